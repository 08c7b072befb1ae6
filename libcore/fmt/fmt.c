/*
 * fmt.c — numbers as text (fmt.h has the contract).
 *
 * Design note: the shortest decimal of a double (Schubfach).
 *
 * A finite v > 0 is c x 2^q with an integer c: a normal double has c in
 * [2^52, 2^53) and q = biased exponent - 1075, a subnormal c < 2^52 and
 * q = -1074.  The reals that round to v form the interval R: v plus or
 * minus half the gap to each neighbour, 2^(q-1) above and 2^(q-1) below,
 * except at c = 2^52 (not the smallest exponent), whose lower neighbour
 * is in the binade below and only 2^(q-2) away.  Round-half-even puts the
 * ends of R in R when c is even.
 *
 * Pick k = floor(log10 of R's width): the width is 2^q (3/4 x 2^q at
 * c = 2^52), so in units of 10^k R is between 1 and 10 wide and holds at
 * least one integer and at most one multiple of 10.  Then, with
 * V = v x 10^-k, s = floor(V) and t = s + 1:
 *   1. if a multiple of 10 is in R (s rounded down to a multiple of 10,
 *      or that plus 10), it has the fewest digits: take it;
 *   2. else s or t, whichever is in R; when both are, the one nearer V
 *      (a tie to the even one).
 * Trailing zeros are then dropped.
 *
 * Exact comparisons.  With x in {4c - 2 (4c - 1 at c = 2^52), 4c, 4c + 2}
 * (4 x R's lower end, v and R's upper end, in units of 2^(q-2)),
 * Y(x) = x x 2^q x 10^-k is 4 x the point scaled by 10^-k, and n is in R
 * iff Y(lower) <= 4n <= Y(upper) (strictly when c is odd).  Y is computed
 * rounded to odd: floor(Y), with its last bit set when Y is not an
 * integer.  That keeps every comparison with an even integer (4n, and
 * 4s + 2 = 2(s + t) for the tie) exact.  10^-k comes from a table as a
 * 128-bit G, 10^-k = G x 2^(r - 127) with r = floor(log2 10^-k), so
 * Y = floor(x G / 2^sh) with sh = 127 - q - r (124..127).  G is exact
 * for k in -55..0 (10^-k = 5^-k x 2^-k and 5^55 < 2^128): v from 2^-130
 * to 2^56, about 7e-40 to 7e16.  Elsewhere G is 10^-k rounded down, the
 * true x G' lies in [x G, x G + x), and Y is decided unless that range
 * holds a multiple of 2^sh: then exact multi-precision arithmetic
 * (cmp_exact, about a microsecond) says on which side of that integer Y
 * is.  That happens where Y is an integer, above 2^56 when 5^k divides x
 * (1e20, 3e22; about one random double in a thousand), and, as far as the
 * tests have seen, nowhere else.
 *
 * The digits come from integer arithmetic only: no floating point, no
 * locale.
 */
#include "libcore/fmt/fmt.h"

#include <string.h>

#include "libcore/fmt/fmt_int.h"

typedef unsigned __int128 u128;

/* ------------------------------------------------------------ integers */

static const char pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static const uint64_t pow10_u64[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull,
	10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
	10000000000000000000ull,
};

/* Decimal digits of u >= 1. */
static inline int ndigits(uint64_t u)
{
	int t = ((64 - __builtin_clzll(u)) * 1233) >> 12;   /* floor(log10 2^bits) */

	return t + (u >= pow10_u64[t]);
}

/* Exactly 4 digits of x < 10000 ending at end. */
static inline void put4(char *end, uint32_t x)
{
	memcpy(end - 4, pairs + 2 * (x / 100), 2);
	memcpy(end - 2, pairs + 2 * (x % 100), 2);
}

/* The ndigits(u) digits of u >= 1 (u = 0: one '0'), ending at end. */
static inline void put_digits(char *end, uint64_t u)
{
	while (u >= 100000000) {
		uint32_t lo = (uint32_t)(u % 100000000);

		u /= 100000000;
		put4(end, lo % 10000);
		put4(end - 4, lo / 10000);
		end -= 8;
	}
	uint32_t w = (uint32_t)u;
	while (w >= 100) {
		end -= 2;
		memcpy(end, pairs + 2 * (w % 100), 2);
		w /= 100;
	}
	if (w >= 10)
		memcpy(end - 2, pairs + 2 * w, 2);
	else
		end[-1] = (char)('0' + w);
}

char *fmt_u64(char *p, uint64_t u)
{
	int n = u ? ndigits(u) : 1;

	put_digits(p + n, u);
	return p + n;
}

char *fmt_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return fmt_u64(p, 0 - (uint64_t)v);
	}
	return fmt_u64(p, (uint64_t)v);
}

/* ------------------------------------------------------------ exact fallback */

/* A natural number in 32-bit words, least significant first; 40 words
 * hold the largest product below (about 1140 bits). */
struct bn {
	uint32_t w[40];
	int n;
};

static void bn_set(struct bn *a, uint64_t v)
{
	a->w[0] = (uint32_t)v;
	a->w[1] = (uint32_t)(v >> 32);
	a->n = a->w[1] ? 2 : 1;
}

static void bn_mul32(struct bn *a, uint32_t m)
{
	uint64_t carry = 0;

	for (int i = 0; i < a->n; i++) {
		uint64_t t = (uint64_t)a->w[i] * m + carry;

		a->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry)
		a->w[a->n++] = (uint32_t)carry;
}

static void bn_mul_pow10(struct bn *a, int e)
{
	for (; e >= 9; e -= 9)
		bn_mul32(a, 1000000000u);
	if (e > 0)
		bn_mul32(a, (uint32_t)pow10_u64[e]);
}

static void bn_shl(struct bn *a, int bits)
{
	int words = bits / 32, b = bits % 32;

	if (b) {
		uint32_t carry = 0;

		for (int i = 0; i < a->n; i++) {
			uint32_t w = a->w[i];

			a->w[i] = w << b | carry;
			carry = w >> (32 - b);
		}
		if (carry)
			a->w[a->n++] = carry;
	}
	if (words) {
		memmove(a->w + words, a->w, (size_t)a->n * sizeof(a->w[0]));
		memset(a->w, 0, (size_t)words * sizeof(a->w[0]));
		a->n += words;
	}
}

static int bn_cmp(const struct bn *a, const struct bn *b)
{
	int na = a->n, nb = b->n;

	while (na > 1 && a->w[na - 1] == 0)
		na--;
	while (nb > 1 && b->w[nb - 1] == 0)
		nb--;
	if (na != nb)
		return na < nb ? -1 : 1;
	for (int i = na - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* Sign of x 2^q - m 10^k, exactly. */
static __attribute__((noinline, cold)) int cmp_exact(uint64_t x, int q, int k, uint64_t m)
{
	struct bn a, b;

	bn_set(&a, x);
	bn_set(&b, m);
	if (q > 0)
		bn_shl(&a, q);
	else
		bn_shl(&b, -q);
	if (k > 0)
		bn_mul_pow10(&b, k);
	else
		bn_mul_pow10(&a, -k);
	return bn_cmp(&a, &b);
}

/* ------------------------------------------------------------ shortest */

/* Y = x 2^q 10^-k rounded to odd (design note), G = fmt_pow10_g[k - FMT_K_MIN]. */
static inline __attribute__((always_inline)) uint64_t scaled(uint64_t x, int q, int k, const uint64_t g[2], int sh, int exact)
{
	u128 lo = (u128)x * g[1], hi = (u128)x * g[0];
	uint64_t f0 = (uint64_t)lo;
	u128 mid = (lo >> 64) + (uint64_t)hi;
	uint64_t f1 = (uint64_t)mid;
	uint64_t f2 = (uint64_t)(hi >> 64) + (uint64_t)(mid >> 64);
	int s1 = sh - 64;                          /* 60..63 */
	uint64_t mask = (1ull << s1) - 1;
	uint64_t n = f2 << (64 - s1) | f1 >> s1;   /* floor(x G / 2^sh) */
	uint64_t fh = f1 & mask;                   /* fraction: fh, f0 */

	if (exact)
		return n | ((fh | f0) != 0);
	/* x G' in [x G, x G + x): decided when no multiple of 2^sh is in it */
	uint64_t f0x = f0 + x;
	int zero = (fh | f0) == 0, crosses = fh + (f0x < f0) > mask;
	if (__builtin_expect(!zero && !crosses, 1))
		return n | 1;
	uint64_t m = zero ? n : n + 1;             /* the integer in range */
	int c = cmp_exact(x, q, k, m);
	return c == 0 ? m : c > 0 ? m | 1 : (m - 1) | 1;
}

/* d without its trailing zeros, e raised to match. */
static inline uint64_t strip_zeros(uint64_t d, int *e)
{
	if (d % 100000000 == 0) {
		d /= 100000000;
		*e += 8;
	}
	while (d % 100 == 0) {
		d /= 100;
		*e += 2;
	}
	if (d % 10 == 0) {
		d /= 10;
		*e += 1;
	}
	return d;
}

/* The shortest decimal of c 2^q, c >= 1: d 10^e, d without trailing
 * zeros.  irregular: c = 2^52 above the smallest exponent. */
static inline __attribute__((always_inline)) uint64_t shortest(uint64_t c, int q, int irregular, int *e)
{
	int k = irregular ? fmt_flog10_3q_pow2(q) : fmt_flog10_pow2(q);
	const uint64_t *g = fmt_pow10_g[k - FMT_K_MIN];
	int sh = 127 - q - fmt_flog2_pow10(-k);
	int exact = k >= -55 && k <= 0;
	uint64_t vl = scaled(4 * c - 2 + (uint64_t)irregular, q, k, g, sh, exact);
	uint64_t vb = scaled(4 * c, q, k, g, sh, exact);
	uint64_t vr = scaled(4 * c + 2, q, k, g, sh, exact);
	uint64_t out = c & 1;                      /* odd c: R's ends are not in R */
	uint64_t s = vb >> 2;

	/* 1. a multiple of 10 in R: one trailing zero at least */
	uint64_t s10 = s / 10 * 10, t10 = s10 + 10;
	int u10 = vl + out <= 4 * s10, w10 = 4 * t10 + out <= vr;
	if (u10 != w10) {
		*e = k + 1;
		return strip_zeros((u10 ? s10 : t10) / 10, e);
	}
	/* 2. s or t, neither a multiple of 10 (that was case 1); both in R:
	 * the nearer V, a tie to the even one */
	uint64_t t = s + 1;
	int u = vl + out <= 4 * s, w = 4 * t + out <= vr;
	int pick_s = u != w ? u : vb < 4 * s + 2 || (vb == 4 * s + 2 && !(s & 1));
	*e = k;
	return pick_s ? s : t;
}

/* c, q of a finite non-zero |v| from its bits; irregular as above. */
static inline void decompose(uint64_t bits, uint64_t *c, int *q, int *irregular)
{
	uint64_t frac = bits & ((1ull << 52) - 1);
	int be = (int)(bits >> 52 & 0x7ff);

	if (be == 0) {
		*c = frac;
		*q = -1074;
		*irregular = 0;
	} else {
		*c = frac | 1ull << 52;
		*q = be - 1075;
		*irregular = frac == 0 && be > 1;
	}
}

int fmt_double_shortest(double v, uint64_t *digits, int *exp10)
{
	uint64_t bits, c, d;
	int q, irr, e;

	memcpy(&bits, &v, sizeof(bits));
	bits &= ~(1ull << 63);
	if (bits == 0 || bits >= 0x7ff0000000000000ull)
		return 0;
	decompose(bits, &c, &q, &irr);
	d = shortest(c, q, irr, &e);
	*digits = d;
	*exp10 = e;
	return ndigits(d);
}

#define FIXED_MAX 17          /* fixed notation below 10^17, as %.17g */

char *fmt_double(char *p, double v)
{
	uint64_t bits, c, d;
	int q, irr, e;

	memcpy(&bits, &v, sizeof(bits));
	if ((bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull) {
		if (bits & ((1ull << 52) - 1)) {
			memcpy(p, "nan", 3);
			return p + 3;
		}
		if (bits >> 63)
			*p++ = '-';
		memcpy(p, "inf", 3);
		return p + 3;
	}
	if (bits >> 63) {
		*p++ = '-';
		v = -v;
		bits &= ~(1ull << 63);
	}
	if (bits == 0) {
		*p = '0';
		return p + 1;
	}
	/* a whole number below 2^53 is its own shortest decimal */
	if (v < 9007199254740992.0) {
		uint64_t u = (uint64_t)v;

		if ((double)u == v)
			return fmt_u64(p, u);
	}

	decompose(bits, &c, &q, &irr);
	d = shortest(c, q, irr, &e);
	int n = ndigits(d);
	int E = e + n - 1;                         /* v = d1.d2... x 10^E */

	if (E >= -4 && E < FIXED_MAX) {
		if (E < 0) {                       /* 0.000ddd */
			int z = 1 - E;             /* "0." and -E - 1 zeros */
			memcpy(p, "0.0000", (size_t)z);
			p += z;
			put_digits(p + n, d);
			return p + n;
		}
		if (n <= E + 1) {                  /* ddd000 */
			put_digits(p + n, d);
			memset(p + n, '0', (size_t)(E + 1 - n));
			return p + E + 1;
		}
		put_digits(p + 1 + n, d);          /* ddd.ddd */
		memmove(p, p + 1, (size_t)E + 1);
		p[E + 1] = '.';
		return p + n + 1;
	}
	put_digits(p + 1 + n, d);                  /* d.ddde+XX */
	p[0] = p[1];
	if (n > 1) {
		p[1] = '.';
		p += n + 1;
	} else {
		p += 1;
	}
	*p++ = 'e';
	if (E < 0) {
		*p++ = '-';
		E = -E;
	} else {
		*p++ = '+';
	}
	if (E >= 100) {
		*p++ = (char)('0' + E / 100);
		E %= 100;
	}
	memcpy(p, pairs + 2 * E, 2);
	return p + 2;
}
