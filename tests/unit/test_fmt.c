/*
 * test_fmt.c — numbers as text (libcore/fmt/fmt.h) against independent
 * computations:
 *   - the table of powers of ten and the fixed-point logarithms
 *     (fmt_int.h) recomputed with this file's own exact arithmetic;
 *   - for 2M random doubles (any bits, feature-sized values, short
 *     decimals, subnormals) and every exponent's edges, every power of
 *     two and of ten and their neighbours: the text reads back (strtod)
 *     to the same bits, is no longer than "%.17g", has its notation, and
 *     its digits are the shortest and nearest, by printf:
 *       . the fewest digits: the least p for which v rounded to p digits
 *         down or up (printf under FE_DOWNWARD, FE_UPWARD) reads back,
 *         found by bisection (true for p, true for p + 1);
 *       . of those the nearest: printf's "%.{p-1}e" when it reads back,
 *         else the other of down and up;
 *       . on the edges, the short decimals and one in eight of the rest,
 *         the plain loop over "%.{1..17}e" that stops at the first
 *         precision whose nearest rounding reads back: same digits, or
 *         (only where v's rounding interval is lopsided, at c = 2^52) a
 *         shorter decimal than the loop's;
 *   - whole numbers below 2^53 (written from the bits) against printf's
 *     "%.0f", their halves and quarters through the search;
 *   - fmt_double_row (the memo that copies a repeated value's text)
 *     against fmt_double, strtod and "%.17g", field by field, and on
 *     rows of new values (its batched conversion) against fmt_double;
 *   - hand-written texts, and the integer writers against printf.
 */
#include <criterion/criterion.h>
#include <fenv.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/fmt/fmt.h"
#include "libcore/fmt/fmt_int.h"
#include "tests/helpers.h"

/* ------------------------------------------------------------ exact arithmetic */

/* A natural number in 32-bit words, least significant first. */
#define T_W 80
struct t_big {
	uint32_t w[T_W];
	int n;                 /* words in use; w[n-1] != 0 unless n == 1 */
};

static void t_big_set(struct t_big *a, uint64_t v)
{
	memset(a, 0, sizeof(*a));
	a->w[0] = (uint32_t)v;
	a->w[1] = (uint32_t)(v >> 32);
	a->n = a->w[1] ? 2 : 1;
}

static void t_big_norm(struct t_big *a)
{
	while (a->n > 1 && a->w[a->n - 1] == 0)
		a->n--;
}

static void t_big_mul(struct t_big *a, uint32_t m)
{
	uint64_t carry = 0;

	for (int i = 0; i < a->n; i++) {
		uint64_t t = (uint64_t)a->w[i] * m + carry;
		a->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry) {
		cr_assert_lt(a->n, T_W);
		a->w[a->n++] = (uint32_t)carry;
	}
	t_big_norm(a);
}

/* a x 2^e, bit by bit: slow and plain */
static void t_big_shl(struct t_big *a, int e)
{
	for (int i = 0; i < e; i++)
		t_big_mul(a, 2);
}

static void t_big_pow10(struct t_big *a, int e)
{
	for (int i = 0; i < e; i++)
		t_big_mul(a, 10);
}

static int t_big_cmp(const struct t_big *a, const struct t_big *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (int i = a->n - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

static int t_big_bits(const struct t_big *a)
{
	uint32_t top = a->w[a->n - 1];

	return top ? 32 * (a->n - 1) + 32 - __builtin_clz(top) : 0;
}

static int t_big_bit(const struct t_big *a, int i)
{
	return i >= 0 && i / 32 < a->n ? (int)(a->w[i / 32] >> (i % 32) & 1) : 0;
}

/* a x b (b: 128 bits as hi, lo) */
static void t_big_mul128(struct t_big *out, const struct t_big *a, uint64_t hi, uint64_t lo)
{
	uint32_t b[4] = { (uint32_t)lo, (uint32_t)(lo >> 32), (uint32_t)hi, (uint32_t)(hi >> 32) };

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < a->n; i++) {
		uint64_t carry = 0;

		for (int j = 0; j < 4; j++) {
			uint64_t t = (uint64_t)a->w[i] * b[j] + out->w[i + j] + carry;
			out->w[i + j] = (uint32_t)t;
			carry = t >> 32;
		}
		for (int j = i + 4; carry; j++) {
			uint64_t t = (uint64_t)out->w[j] + carry;
			out->w[j] = (uint32_t)t;
			carry = t >> 32;
		}
	}
	out->n = T_W;
	t_big_norm(out);
}

/* m1 x 2^a1 x 10^b1 compared with m2 x 2^a2 x 10^b2, exactly */
static int t_cmp_scaled(uint64_t m1, int a1, int b1, uint64_t m2, int a2, int b2)
{
	struct t_big x, y;

	t_big_set(&x, m1);
	t_big_set(&y, m2);
	int a = a1 - a2, b = b1 - b2;
	if (a > 0)
		t_big_shl(&x, a);
	else
		t_big_shl(&y, -a);
	if (b > 0)
		t_big_pow10(&x, b);
	else
		t_big_pow10(&y, -b);
	return t_big_cmp(&x, &y);
}

/* ------------------------------------------------------------ the table */

/* Every entry: G = floor(10^-k x 2^(127 - r)) in [2^127, 2^128), r =
 * floor(log2 10^-k) = fmt_flog2_pow10(-k), exact iff k in -55..0. */
Test(fmt, pow10_table_is_exact)
{
	for (int k = FMT_K_MIN; k <= FMT_K_MAX; k++) {
		const uint64_t *g = fmt_pow10_g[k - FMT_K_MIN];
		struct t_big p;
		int j = -k, r;

		cr_assert(g[0] >> 63, "k %d: not normalised", k);
		t_big_set(&p, 1);
		if (j >= 0) {
			/* 10^j: its leading 128 bits */
			t_big_pow10(&p, j);
			int bits = t_big_bits(&p);
			r = bits - 1;
			uint64_t hi = 0, lo = 0;
			int cut = 0;
			for (int i = 0; i < 128; i++) {
				int b = t_big_bit(&p, r - i);
				if (i < 64)
					hi |= (uint64_t)b << (63 - i);
				else
					lo |= (uint64_t)b << (127 - i);
			}
			for (int i = 0; i <= r - 128; i++)
				cut |= t_big_bit(&p, i);
			cr_assert_eq(g[0], hi, "k %d: high word", k);
			cr_assert_eq(g[1], lo, "k %d: low word", k);
			cr_assert_eq(cut == 0, j <= 55, "k %d: exactness", k);
		} else {
			/* 10^-j = 1/10^(-j): G x 10^(-j) <= 2^(127 + b) < (G + 1) x 10^(-j),
			 * b the bit length of 10^(-j) */
			t_big_pow10(&p, -j);
			int b = t_big_bits(&p);
			r = -b;
			struct t_big lo_side, hi_side, two;
			t_big_mul128(&lo_side, &p, g[0], g[1]);
			uint64_t g1 = g[1] + 1, g0 = g[0] + (g1 == 0);
			t_big_mul128(&hi_side, &p, g0, g1);
			t_big_set(&two, 1);
			t_big_shl(&two, 127 + b);
			cr_assert_leq(t_big_cmp(&lo_side, &two), 0, "k %d: G too large", k);
			cr_assert_gt(t_big_cmp(&hi_side, &two), 0, "k %d: G too small", k);
		}
		cr_assert_eq(fmt_flog2_pow10(j), r, "floor(log2 10^%d)", j);
	}
	for (int j = -330; j <= 330; j++) {
		/* floor(j log2 10) = r  iff  2^r <= 10^j < 2^(r + 1) */
		int r = fmt_flog2_pow10(j);
		cr_assert_leq(t_cmp_scaled(1, r, 0, 1, 0, j), 0, "j %d", j);
		cr_assert_lt(t_cmp_scaled(1, 0, j, 1, r + 1, 0), 0, "j %d", j);
	}
}

/* floor(q log10 2) and floor(log10(3/4 x 2^q)): 10^k <= x < 10^(k+1). */
Test(fmt, fixed_point_logarithms)
{
	for (int q = -1100; q <= 1100; q++) {
		int k = fmt_flog10_pow2(q);
		cr_assert_leq(t_cmp_scaled(1, 0, k, 1, q, 0), 0, "q %d: 10^%d > 2^q", q, k);
		cr_assert_lt(t_cmp_scaled(1, q, 0, 1, 0, k + 1), 0, "q %d: 2^q >= 10^%d", q, k + 1);
		k = fmt_flog10_3q_pow2(q);
		cr_assert_leq(t_cmp_scaled(1, 0, k, 3, q - 2, 0), 0, "q %d: irregular", q);
		cr_assert_lt(t_cmp_scaled(3, q - 2, 0, 1, 0, k + 1), 0, "q %d: irregular", q);
	}
}

/* ------------------------------------------------------------ the oracles */

static uint64_t t_bits(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

/* The significant digits of printf's "%.*e" text s (no trailing zeros)
 * into dig, its decimal exponent into *e. */
static void t_e_digits(const char *s, char *dig, int *e)
{
	int n = 0;

	if (*s == '-')
		s++;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			dig[n++] = *s;
	cr_assert_eq(*s, 'e', "'%s'", s);
	*e = atoi(s + 1);
	while (n > 1 && dig[n - 1] == '0')
		n--;
	dig[n] = '\0';
}

/* v (> 0) to p significant digits rounded in the current mode: does it
 * read back to v?  Its digits and exponent into dig, e. */
static int t_round_trips(double v, int p, char *dig, int *e)
{
	char s[64];

	snprintf(s, sizeof(s), "%.*e", p - 1, v);
	t_e_digits(s, dig, e);
	fesetround(FE_TONEAREST);
	double back = strtod(s, NULL);
	return t_bits(back) == t_bits(v);
}

/* The significant digits of fmt_double's text (no sign, point or
 * exponent; no leading or trailing zeros) and the exponent of the first. */
static void t_text_digits(const char *s, char *dig, int *e)
{
	int n = 0, point = -1, first = -1, pos = 0;

	if (*s == '-')
		s++;
	for (; *s && *s != 'e'; s++) {
		if (*s == '.') {
			point = pos;
			continue;
		}
		cr_assert(*s >= '0' && *s <= '9', "bad character in '%s'", s);
		if (first < 0 && *s != '0')
			first = pos;
		if (first >= 0)
			dig[n++] = *s;
		pos++;
	}
	if (point < 0)
		point = pos;
	cr_assert_geq(first, 0, "no digit in the text");
	*e = point - first - 1 + (*s == 'e' ? atoi(s + 1) : 0);
	while (n > 1 && dig[n - 1] == '0')
		n--;
	dig[n] = '\0';
}

struct t_stats {
	uint64_t n, shorter_than_loop;
};

/* Everything this file checks about one finite double. */
static void t_check(double v, int loop, struct t_stats *st)
{
	char text[64], g17[64], dig[32], ldig[32], odig[32];
	int e, le, oe;
	uint64_t d;
	int ex;

	memset(text, 'X', sizeof(text));
	char *end = fmt_double(text, v);
	size_t len = (size_t)(end - text);
	cr_assert_leq(len, FMT_DOUBLE_MAX, "%a: %zu bytes", v, len);
	for (size_t i = FMT_DOUBLE_MAX; i < sizeof(text); i++)
		cr_assert_eq(text[i], 'X', "%a: wrote past FMT_DOUBLE_MAX", v);
	*end = '\0';

	/* reads back bit for bit, no longer than %.17g */
	char *pe;
	double back = strtod(text, &pe);
	cr_assert_eq(*pe, '\0', "%a: '%s' is not one number", v, text);
	cr_assert_eq(t_bits(back), t_bits(v), "%.17g (%a) written '%s' reads %.17g", v, v, text,
		     back);
	snprintf(g17, sizeof(g17), "%.17g", v);
	if (!isfinite(v))
		return;
	cr_assert_leq(len, strlen(g17), "%a: '%s' longer than %%.17g '%s'", v, text, g17);
	if (v == 0)
		return;

	/* the notation of %.17g: exponent form outside 1e-4 .. 1e17 */
	t_text_digits(text, dig, &e);
	cr_assert_eq(strchr(text, 'e') != NULL, e < -4 || e >= 17, "%a: '%s' notation", v, text);
	if (strchr(text, 'e')) {
		char want[16];
		snprintf(want, sizeof(want), "e%c%02d", e < 0 ? '-' : '+', abs(e));
		cr_assert_str_eq(strchr(text, 'e'), want, "%a: '%s' exponent", v, text);
	}

	/* the digits as fmt_double_shortest gives them */
	int n = fmt_double_shortest(v, &d, &ex);
	char sd[32];
	snprintf(sd, sizeof(sd), "%" PRIu64, d);
	cr_assert_eq(n, (int)strlen(sd), "%a: digit count", v);
	cr_assert_str_eq(sd, dig, "%a: shortest %s vs text '%s'", v, sd, text);
	cr_assert_eq(ex + n - 1, e, "%a: exponent", v);
	cr_assert_neq(sd[n - 1], '0', "%a: trailing zero", v);

	double a = fabs(v);
	if (loop) {
		/* the loop: fewest digits whose nearest rounding reads back */
		int p;
		for (p = 1; p <= 17; p++)
			if (t_round_trips(a, p, ldig, &le))
				break;
		cr_assert_leq(p, 17, "%a: even 17 digits do not read back", v);
		cr_assert_leq(n, p, "%a: '%s' has %d digits, the loop found %d (%s)", v, text, n,
			      p, ldig);
		if (n == p) {
			cr_assert_str_eq(dig, ldig, "%a: '%s' vs the loop's %se%d", v, text, ldig, le);
			cr_assert_eq(e, le, "%a: exponent", v);
		} else {
			/* shorter than the nearest: only a lopsided interval allows it */
			cr_assert_eq(t_bits(a) & ((1ull << 52) - 1), 0, "%a: '%s' shorter than the "
				     "loop's %s without a lopsided interval", v, text, ldig);
			st->shorter_than_loop++;
		}
	}
	/* the fewest digits of any decimal that reads back: with p digits,
	 * v rounded down or up reads back (monotone in p: search it) */
	int lo = 1, hi = 17;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		fesetround(FE_DOWNWARD);
		int ok = t_round_trips(a, mid, odig, &oe);
		if (!ok) {
			fesetround(FE_UPWARD);
			ok = t_round_trips(a, mid, odig, &oe);
		}
		if (ok)
			hi = mid;
		else
			lo = mid + 1;
	}
	cr_assert_eq(n, lo, "%a: '%s' has %d digits, the fewest are %d", v, text, n, lo);
	/* of the n-digit decimals the nearest that reads back: printf's
	 * nearest, or else the other one of down and up */
	if (t_round_trips(a, n, odig, &oe)) {
		cr_assert_str_eq(dig, odig, "%a: '%s' vs the nearest %se%d", v, text, odig, oe);
	} else {
		char ddig[32], udig[32];
		int de, ue;
		fesetround(FE_DOWNWARD);
		int dn = t_round_trips(a, n, ddig, &de);
		fesetround(FE_UPWARD);
		int up = t_round_trips(a, n, udig, &ue);
		cr_assert(dn != up, "%a: both or neither of %se%d, %se%d", v, ddig, de, udig, ue);
		cr_assert_str_eq(dig, dn ? ddig : udig, "%a", v);
		st->shorter_than_loop++;
	}
	fesetround(FE_TONEAREST);
	st->n++;
}

/* ------------------------------------------------------------ tests */

static const struct {
	double v;
	const char *text;
} t_texts[] = {
	{ 0.0, "0" }, { -0.0, "-0" }, { 1.0, "1" }, { -12.0, "-12" }, { 130000.0, "130000" },
	{ 0.5, "0.5" }, { -2.25, "-2.25" }, { 0.1, "0.1" }, { 0.3, "0.3" },
	{ 0.1 + 0.2, "0.30000000000000004" }, { 1.0 / 3.0, "0.3333333333333333" },
	{ 2.0 / 3.0, "0.6666666666666666" }, { 585.325, "585.325" }, { 129962.5, "129962.5" },
	{ 0.0001, "0.0001" }, { 0.00012345, "0.00012345" }, { 0.00001, "1e-05" },
	{ 1.5e-7, "1.5e-07" }, { 1e-300, "1e-300" }, { 1e300, "1e+300" }, { 1e15, "1000000000000000" },
	{ 1e16, "10000000000000000" }, { 1e17, "1e+17" }, { 1e22, "1e+22" }, { 1e23, "1e+23" },
	{ 9007199254740991.0, "9007199254740991" }, { 9007199254740992.0, "9007199254740992" },
	{ 72057594037927936.0, "72057594037927940" }, { 123456789012345680.0, "1.2345678901234568e+17" },
	{ 5e-324, "5e-324" }, { -5e-324, "-5e-324" }, { 2.2250738585072014e-308, "2.2250738585072014e-308" },
	{ 2.225073858507201e-308, "2.225073858507201e-308" }, { DBL_MAX, "1.7976931348623157e+308" },
	{ -DBL_MAX, "-1.7976931348623157e+308" }, { 9.9999999999999995, "10" },
	{ 123456789012345.5, "123456789012345.5" }, { 0.7337662337662337, "0.7337662337662337" },
	{ -0.7337662337662337, "-0.7337662337662337" }, { 1.0e-4 - 1e-20, "9.999999999999999e-05" },
};

Test(fmt, hand_written_texts)
{
	char buf[64];

	for (size_t i = 0; i < sizeof(t_texts) / sizeof(t_texts[0]); i++) {
		*fmt_double(buf, t_texts[i].v) = '\0';
		cr_assert_str_eq(buf, t_texts[i].text, "%a", t_texts[i].v);
	}
	*fmt_double(buf, NAN) = '\0';
	cr_assert_str_eq(buf, "nan");
	*fmt_double(buf, -NAN) = '\0';
	cr_assert_str_eq(buf, "nan");
	*fmt_double(buf, INFINITY) = '\0';
	cr_assert_str_eq(buf, "inf");
	*fmt_double(buf, -INFINITY) = '\0';
	cr_assert_str_eq(buf, "-inf");
	cr_assert_eq(strtod("-0", NULL), 0.0);
	cr_assert(signbit(strtod("-0", NULL)));

	uint64_t d = 7;
	int e = 7;
	cr_assert_eq(fmt_double_shortest(0.0, &d, &e), 0);
	cr_assert_eq(fmt_double_shortest(-0.0, &d, &e), 0);
	cr_assert_eq(fmt_double_shortest(NAN, &d, &e), 0);
	cr_assert_eq(fmt_double_shortest(-INFINITY, &d, &e), 0);
	cr_assert(d == 7 && e == 7);
	cr_assert_eq(fmt_double_shortest(-0.5, &d, &e), 1);
	cr_assert(d == 5 && e == -1);
	cr_assert_eq(fmt_double_shortest(1e23, &d, &e), 1);
	cr_assert(d == 1 && e == 23);
	cr_assert_eq(fmt_double_shortest(5e-324, &d, &e), 1);
	cr_assert(d == 5 && e == -324);
}

Test(fmt, edge_values)
{
	struct t_stats st = { 0 };
	static const double v[] = {
		0.0, -0.0, 5e-324, 1e-323, 2.2250738585072009e-308, 2.2250738585072014e-308,
		DBL_MAX, 1e-300, 1e300, 1.0, 2.0, 3.0, 9007199254740991.0, 9007199254740992.0,
		9007199254740994.0, 18014398509481984.0, 9223372036854775808.0,
		18446744073709551616.0, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23,
		5e17, 3e20, 7e21, 123e20, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.1, 2.675,
		0.1 + 0.2, 1.0 / 3.0, 100.0 / 7.0, M_PI, M_E, 1e-5, 1e-4, 9.5e-5, 0.001,
		1.7976931348623157e308 / 3, 4.9406564584124654e-324 * 3,
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		t_check(v[i], 1, &st);
		t_check(-v[i], 1, &st);
		t_check(nextafter(v[i], 0), 1, &st);
		t_check(nextafter(v[i], INFINITY), 1, &st);
	}
}

/* Each binary exponent: the lopsided c = 2^52, its neighbours, the top;
 * every power of two and of ten in range and their neighbours. */
Test(fmt, every_exponent)
{
	struct t_stats st = { 0 };
	struct t_rng g;

	t_rng_seed(&g, 7);
	for (uint64_t be = 0; be <= 2046; be++) {
		uint64_t fr[] = { 0, 1, 2, 3, (1ull << 52) - 1, (1ull << 52) - 2, 1ull << 51,
				  t_rng_next(&g) >> 12, t_rng_next(&g) >> 12 };
		for (size_t i = 0; i < sizeof(fr) / sizeof(fr[0]); i++) {
			uint64_t b = be << 52 | fr[i];
			double v;
			memcpy(&v, &b, sizeof(v));
			t_check(v, 1, &st);
		}
	}
	for (int e = -1074; e <= 1023; e++) {
		double v = ldexp(1.0, e);
		t_check(v, 1, &st);
		t_check(nextafter(v, 0), 1, &st);
		t_check(nextafter(v, INFINITY), 1, &st);
	}
	for (int e = -323; e <= 308; e++) {
		char s[16];
		snprintf(s, sizeof(s), "1e%d", e);
		double v = strtod(s, NULL);
		t_check(v, 1, &st);
		t_check(nextafter(v, 0), 1, &st);
		t_check(nextafter(v, INFINITY), 1, &st);
	}
	/* the lopsided powers of two do have shorter decimals than the
	 * nearest (2^-1074 x 2^k ...): the loop is not always shortest */
	cr_assert_gt(st.shorter_than_loop, 0);
}

/* Random doubles of four kinds; seed s, n of each. */
static void t_random(uint64_t seed, int n)
{
	struct t_stats st = { 0 };
	struct t_rng g;

	t_rng_seed(&g, seed);
	for (int i = 0; i < n; i++) {
		/* any bits */
		uint64_t b = t_rng_next(&g);
		double v;
		memcpy(&v, &b, sizeof(v));
		if (isfinite(v))
			t_check(v, i % 8 == 0, &st);
		/* the sizes features take: 53 random bits x 10^(-20..20) */
		double m = (double)(t_rng_next(&g) >> 11) / 9007199254740992.0;
		t_check((t_rng_below(&g, 2) ? -1 : 1) * m * pow(10, (double)t_rng_below(&g, 41) - 20),
			i % 8 == 1, &st);
		/* short decimals: up to 7 digits x 10^(-30..30) */
		char s[40];
		snprintf(s, sizeof(s), "%" PRIu64 "e%d", t_rng_below(&g, 10000000),
			 (int)t_rng_below(&g, 61) - 30);
		t_check(strtod(s, NULL), 1, &st);
		/* subnormals */
		b = t_rng_next(&g) >> (12 + t_rng_below(&g, 52));
		memcpy(&v, &b, sizeof(v));
		t_check(v, i % 8 == 2, &st);
	}
	cr_assert_geq(st.n, (uint64_t)(3.9 * n));
}

/*
 * 4 tests x 4 kinds x 25k = 400k doubles (each checked against printf at
 * every precision and strtod), in four tests that may run side by side:
 * about 4 s each in the plain build.  DM_TEST_FMT_N=N asks N of each kind
 * per test instead (a long run: 500000 takes about a minute per test).
 */
static int t_random_n(void)
{
	const char *e = getenv("DM_TEST_FMT_N");
	long n = e ? strtol(e, NULL, 10) : 0;
	if (n > 0 && n < (1L << 30))
		return (int)n;
	return T_SANITIZED ? 8000 : 25000;
}
#define T_RANDOM_N t_random_n()
Test(fmt, random_doubles_1, .timeout = 120) { t_random(1, T_RANDOM_N); }
Test(fmt, random_doubles_2, .timeout = 120) { t_random(2, T_RANDOM_N); }
Test(fmt, random_doubles_3, .timeout = 120) { t_random(3, T_RANDOM_N); }
Test(fmt, random_doubles_4, .timeout = 120) { t_random(4, T_RANDOM_N); }

/* Whole numbers: below 2^53 fmt_double writes them from the bits (the
 * exponent and no fraction bit below the point), not through the shortest
 * search, so the text must be printf's "%.0f" exactly (such a number is
 * its own shortest decimal: its neighbours are at most 1 away), sign and
 * "-0" included; u + 0.5 and u + 0.25 (a fraction bit just below the
 * point) and everything from 2^53 up go through the search: t_check.
 * Random magnitudes of every bit length 1..64, both signs, and 10^n - 1,
 * 10^n, 10^n + 1 for n = 0..22. */
static void t_whole(double v, int loop, struct t_stats *st)
{
	char text[64], want[64];

	*fmt_double(text, v) = '\0';
	if (fabs(v) < 9007199254740992.0) {
		snprintf(want, sizeof(want), "%.0f", v);
		cr_assert_str_eq(text, want, "%a", v);
	}
	t_check(v, loop, st);
}

Test(fmt, whole_numbers_and_halves)
{
	struct t_stats st = { 0 };
	struct t_rng g;
	const int n = T_SANITIZED ? 60 : 400;

	t_rng_seed(&g, 11);
	for (int bits = 1; bits <= 64; bits++)
		for (int i = 0; i < n; i++) {
			uint64_t u = t_rng_next(&g) >> (64 - bits);
			for (int sg = 1; sg >= -1; sg -= 2) {
				double v = sg * (double)u;
				t_whole(v, i % 8 == 0, &st);
				if (u < (1ull << 52))
					t_check(v + sg * 0.5, i % 8 == 1, &st);
				if (u < (1ull << 51))
					t_check(v + sg * 0.25, i % 8 == 2, &st);
			}
		}
	double p10 = 1;
	for (int e = 0; e <= 22; e++, p10 *= 10)      /* 10^e exact up to 10^22 */
		for (int sg = 1; sg >= -1; sg -= 2) {
			t_whole(sg * p10, 1, &st);
			t_whole(sg * (p10 - 1), 1, &st);
			t_whole(sg * (p10 + 1), 1, &st);
		}
	t_whole(0.0, 1, &st);
	t_whole(-0.0, 1, &st);
	cr_assert_geq(st.n, (uint64_t)(64 * n * 2));
}

/*
 * fmt_double_row's paths (one value at a time, four in AVX2 lanes, eight
 * in AVX-512 lanes) and fmt_double_row itself, which takes the widest the
 * CPU has: t_each_path runs a check on each the CPU has and says which it
 * could not run (a CPU without AVX-512 cannot test that path).
 */
#define T_PATH_DEFAULT 3

static const char *t_path_name(int path)
{
	static const char *const names[] = { "scalar", "AVX2", "AVX-512", "fmt_double_row" };

	return names[path];
}

static char *t_row(char *p, const double *v, int n, char sep, struct fmt_memo *m, int path)
{
	if (path == T_PATH_DEFAULT)
		return fmt_double_row(p, v, n, sep, m);
	return fmt_double_row_on(p, v, n, sep, m, (enum fmt_row_path)path);
}

static void t_each_path(void (*check)(int path))
{
	for (int path = 0; path <= T_PATH_DEFAULT; path++) {
		if (path != T_PATH_DEFAULT && !fmt_row_path_ok((enum fmt_row_path)path)) {
			cr_log_warn("fmt_double_row: this CPU has no %s path: not tested here",
				    t_path_name(path));
			continue;
		}
		check(path);
	}
}

/* fmt_double_row against fmt_double and against strtod and printf: rows
 * of 27 columns, each value repeating the one above half the time (the
 * memo's copy) or drawn from any bits, feature sizes, whole numbers,
 * 1e15..1e22, subnormals, 0, -0 (other bits than 0: written again), NaNs
 * of several payloads, infinities, with both signs.  Every field is
 * fmt_double's text, reads back to the value's bits (strtod) and to
 * printf's "%.17g" value, "nan" for a NaN; the memo ends holding the row;
 * nothing is written past n x (FMT_DOUBLE_MAX + 1) bytes. */
static double t_row_value(struct t_rng *g)
{
	uint64_t b;
	double v;

	switch (t_rng_below(g, 9)) {
	case 0:
		b = t_rng_next(g);
		memcpy(&v, &b, sizeof(v));
		return isfinite(v) ? v : 1.5;
	case 1:
		return (double)(t_rng_next(g) >> 11) / 9007199254740992.0 *
		       pow(10, (double)t_rng_below(g, 21) - 10);
	case 2:
		return (double)(t_rng_next(g) >> t_rng_below(g, 64));
	case 3:
		return pow(10, 15 + (double)t_rng_below(g, 8));
	case 4:
		b = t_rng_next(g) >> (12 + t_rng_below(g, 52));
		memcpy(&v, &b, sizeof(v));
		return v;
	case 5:
		return t_rng_below(g, 2) ? 0.0 : -0.0;
	case 6:
		b = 0x7ff0000000000000ull | (t_rng_next(g) >> 12 | 1);  /* a NaN, any payload */
		memcpy(&v, &b, sizeof(v));
		return v;
	case 7:
		return INFINITY;
	default:
		return (double)t_rng_below(g, 1000) - 500;
	}
}

/* The rows of the test below through one path (T_PATH_DEFAULT:
 * fmt_double_row itself). */
static void t_row_memo(int path)
{
	enum { N = 27 };
	const int rows = T_SANITIZED ? 3000 : 20000;
	static struct fmt_memo m[N];
	char buf[N * (FMT_DOUBLE_MAX + 1) + 16], want[sizeof(buf)], g17[64];
	double v[N] = { 0 };
	struct t_rng g;

	fmt_memo_init(m, N);
	t_rng_seed(&g, 5);
	for (int r = 0; r < rows; r++) {
		for (int i = 0; r > 0 && i < N; i++)
			if (t_rng_below(&g, 2)) {
				double x = t_row_value(&g);
				v[i] = t_rng_below(&g, 2) ? -x : x;
			}
		memset(buf, 'X', sizeof(buf));
		char *end = t_row(buf, v, N, ',', m, path);
		for (size_t k = N * (FMT_DOUBLE_MAX + 1); k < sizeof(buf); k++)
			cr_assert_eq(buf[k], 'X', "row %d: wrote past n x (FMT_DOUBLE_MAX + 1)", r);
		*end = '\0';
		char *w = want;
		for (int i = 0; i < N; i++) {
			*w++ = ',';
			w = fmt_double(w, v[i]);
		}
		*w = '\0';
		cr_assert_str_eq(buf, want, "%s: row %d", t_path_name(path), r);

		char *f = buf;
		for (int i = 0; i < N; i++) {
			cr_assert_eq(*f, ',', "row %d column %d", r, i);
			char *e = strchr(f + 1, ',');
			size_t len = e ? (size_t)(e - f - 1) : strlen(f + 1);
			char field[32];
			cr_assert_leq(len, FMT_DOUBLE_MAX);
			memcpy(field, f + 1, len);
			field[len] = '\0';
			if (isnan(v[i])) {
				cr_assert_str_eq(field, "nan");
			} else {
				char *pe;
				double back = strtod(field, &pe);
				cr_assert_eq(*pe, '\0', "'%s'", field);
				cr_assert_eq(t_bits(back), t_bits(v[i]), "%a written '%s'", v[i], field);
				snprintf(g17, sizeof(g17), "%.17g", v[i]);
				double pv = strtod(g17, NULL);
				cr_assert_eq(t_bits(back), t_bits(pv), "'%s' and %%.17g '%s'", field, g17);
			}
			cr_assert_eq(m[i].bits, t_bits(v[i]), "row %d column %d: memo", r, i);
			cr_assert_eq(m[i].len, len, "row %d column %d: memo length", r, i);
			f += 1 + len;
		}
		cr_assert_eq(*f, '\0');
	}
}

Test(fmt, row_memo_is_fmt_double_and_reads_back)
{
	t_each_path(t_row_memo);
}

/* fmt_double_row where every value is new (no memo copies), so each goes
 * through the row's conversion path (four at a time in AVX2 registers
 * where the CPU has them, fmt.c): rows of 1..27 values, most in that
 * path's range (any mantissa, exponents from 2^-96 to 2^60, past both of
 * its ends: about 1e-29 to 1e18), with short decimals whose digits end
 * in ties, powers of two, whole numbers and the rest mixed in, both
 * signs.  Every field must be fmt_double's text. */
static double t_batch_value(struct t_rng *g)
{
	uint64_t b;
	double v;

	switch (t_rng_below(g, 8)) {
	case 0:                                      /* a short decimal: n / 10^j */
		return (double)(t_rng_below(g, 100000) + 1) / pow(10, (double)t_rng_below(g, 12));
	case 1:                                      /* a power of two */
		return ldexp(1.0, (int)t_rng_below(g, 150) - 96);
	case 2:
		return t_row_value(g);
	default:                                     /* any mantissa, the path's exponents */
		b = (t_rng_next(g) >> 12) | (uint64_t)(1023 - 96 + t_rng_below(g, 157)) << 52;
		memcpy(&v, &b, sizeof(v));
		return v;
	}
}

static void t_row_new(int path)
{
	enum { N = 27 };
	const int rows = T_SANITIZED ? 4000 : 40000;
	static struct fmt_memo m[N];
	char buf[N * (FMT_DOUBLE_MAX + 1) + 1], want[sizeof(buf)];
	double v[N];
	struct t_rng g;

	t_rng_seed(&g, 11);
	for (int r = 0; r < rows; r++) {
		int n = 1 + (int)t_rng_below(&g, N);

		for (int i = 0; i < n; i++) {
			double x = t_batch_value(&g);
			v[i] = t_rng_below(&g, 2) ? -x : x;
		}
		fmt_memo_init(m, n);
		for (int i = 0; i < n; i++)               /* no value equals its memo */
			if (t_bits(v[i]) == 0)
				v[i] = 1.0;
		char *end = t_row(buf, v, n, ';', m, path);
		*end = '\0';
		char *w = want;
		for (int i = 0; i < n; i++) {
			*w++ = ';';
			w = fmt_double(w, v[i]);
		}
		*w = '\0';
		cr_assert_str_eq(buf, want, "%s: row %d of %d values", t_path_name(path), r, n);
	}
}

Test(fmt, row_of_new_values_is_fmt_double)
{
	t_each_path(t_row_new);
}

Test(fmt, integers)
{
	static const int64_t v[] = {
		0, 1, -1, 9, 10, -10, 99, 100, 12345678, 99999999, 100000000, 123456789012345678,
		INT64_MAX, INT64_MIN, INT64_MIN + 1, 1000000000000000000, -999999999999999999,
	};
	char a[32], b[32];
	struct t_rng g;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		*fmt_i64(a, v[i]) = '\0';
		snprintf(b, sizeof(b), "%" PRId64, v[i]);
		cr_assert_str_eq(a, b);
	}
	*fmt_u64(a, UINT64_MAX) = '\0';
	cr_assert_str_eq(a, "18446744073709551615");
	cr_assert_eq(strlen(a), FMT_I64_MAX);
	*fmt_i64(a, INT64_MIN) = '\0';
	cr_assert_eq(strlen(a), FMT_I64_MAX);
	t_rng_seed(&g, 3);
	for (int i = 0; i < 1000000; i++) {
		uint64_t u = t_rng_next(&g) >> t_rng_below(&g, 64);
		memset(a, 'X', sizeof(a));
		*fmt_u64(a, u) = '\0';
		snprintf(b, sizeof(b), "%" PRIu64, u);
		cr_assert_str_eq(a, b);
		memset(a, 'X', sizeof(a));
		char *e = fmt_i64(a, (int64_t)u);
		for (size_t k = FMT_I64_MAX; k < sizeof(a); k++)
			cr_assert_eq(a[k], 'X', "%" PRId64 ": wrote past FMT_I64_MAX", (int64_t)u);
		*e = '\0';
		snprintf(b, sizeof(b), "%" PRId64, (int64_t)u);
		cr_assert_str_eq(a, b);
	}
}
