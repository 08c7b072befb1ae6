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
 *      (a tie to the even one).  Neither ends in 0 (that is case 1).
 * The text leaves out trailing zeros.
 *
 * Exact comparisons.  With x in {4c - 2 (4c - 1 at c = 2^52), 4c, 4c + 2}
 * (4 x R's lower end, v and R's upper end, in units of 2^(q-2)),
 * Y(x) = x x 2^q x 10^-k is 4 x the point scaled by 10^-k, and n is in R
 * iff Y(lower) <= 4n <= Y(upper) (strictly when c is odd).  Y is computed
 * rounded to odd: floor(Y), with its last bit set when Y is not an
 * integer.  That keeps every comparison with an even integer (4n, and
 * 4s + 2 = 2(s + t) for the tie) exact.  10^-k comes from a table as a
 * 128-bit G, 10^-k = G x 2^(r - 127) with r = floor(log2 10^-k), so
 * Y = floor(x G / 2^sh) with sh = 127 - q - r (124..127), computed as the
 * top word of (x 2^(128 - sh)) G, the words below being its fraction.
 * G is exact for k in -55..0 (10^-k = 5^-k x 2^-k and 5^55 < 2^128): v
 * from 2^-130 to 2^56, about 7e-40 to 7e16.  Elsewhere G is 10^-k rounded down, the
 * true x G' lies in [x G, x G + x), and Y is decided unless that range
 * holds a multiple of 2^sh: then exact multi-precision arithmetic
 * (cmp_exact, about a microsecond) says on which side of that integer Y
 * is.  That happens where Y is an integer, above 2^56 when 5^k divides x
 * (1e20, 3e22; about one random double in a thousand), and, as far as the
 * tests have seen, nowhere else.
 *
 * Text.  d (up to 17 digits) is scaled to exactly 17 and turned into a
 * first digit and two words of 8 ASCII digits by multiplications (no
 * table, no loop; on x86-64 both words at once in the lanes of one SSE2
 * register, where one byte compare also counts the trailing zeros); the
 * text is then a few stores at fixed offsets, with the point put into a
 * word by shifts.  For a normal double no digit count is needed: d has
 * 16 or 17 digits (V is c, in [2^52, 2^53), times R's width in units of
 * 10^k, in [1, 10)).  The digits come from integer arithmetic only: no
 * floating point, no locale.
 *
 * Cost.  The common case (v from about 1e-12 to 4.5e16, one-word G) is
 * inlined in fmt_double and in fmt_double_row's loop; the two-word
 * products, whole numbers from 10^8 and subnormals are out of line so
 * that it keeps its registers.  About 210 instructions for a 16- or 17-digit
 * value (docs/features.md, "Where the CSV time goes").
 *
 * Rows, four at a time.  Where the CPU has AVX2, fmt_double_row gathers a
 * row's values that its memos do not hold and turns them into digits four
 * at a time (batch4): the same steps in the 64-bit lanes of AVX2
 * registers, the 64 x 64-bit products each made of four 32 x 32-bit ones,
 * the table read by four loads, the choice by masks, the divisions of the
 * digit split by reciprocals (exact below the bounds they are used at:
 * s < 2^57 for 10, x < 2^57 for 10^16, rest < 2^54 for 10^8).  Values
 * outside the common case are flagged and written one at a time.  About
 * 100 instructions a value instead of 210; the text is written as before
 * (put_text), so the bytes are the same (test_fmt: rows of new values of
 * every class against fmt_double).  Where the CPU has AVX-512 (F, BW, DQ)
 * the same steps run eight at a time (batch8), the table read by
 * permutes: 13-15% less time a row than four at a time on an AMD EPYC of
 * family 26 (docs/features.md).  fmt_double_row_on picks a path; the
 * tests run every one the CPU has.
 */
#include "libcore/fmt/fmt.h"

#include <string.h>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "fmt_double stores digit words least significant byte first");

/* The 8 digits of y < 10^8 as ASCII in one word, the first digit in the
 * lowest byte: [abcd | efgh] in 32-bit lanes, then [ab | cd | ef | gh] in
 * 16-bit lanes, then one digit a byte (x / 100 = x * 10486 >> 20 for
 * x < 10^4, x / 10 = x * 103 >> 10 for x < 100; no lane overflows). */
static inline uint64_t ascii8(uint32_t y)
{
	uint64_t x = (uint64_t)(y / 10000) | (uint64_t)(y % 10000) << 32;
	uint64_t q = (x * 10486) >> 20 & 0x0000007f0000007full;

	x = q | (x - q * 100) << 16;
	q = (x * 103) >> 10 & 0x000f000f000f000full;
	x = q | (x - q * 10) << 8;
	return x | 0x3030303030303030ull;
}

#if defined(__SSE2__) && defined(__x86_64__)
/*
 * ascii8 of hi and of lo at once, in the two 64-bit lanes of an SSE2
 * register (16 digits, hi's first digit in the lowest byte): the same
 * steps with the lanes' own multiplications.  y / 10^4 = y x 0xd1b71759
 * >> 45 for any 32-bit y; x / 100 = x x 5243 >> 19 for x < 10^4 and
 * z / 10 = z x 6554 >> 16 for z < 100 in 16-bit lanes (the high half of
 * the product, mulhi).  test_fmt checks every digit word against
 * printf through fmt_double and fmt_u64.
 */
static inline __m128i ascii16(uint32_t hi, uint32_t lo)
{
	__m128i y = _mm_set_epi64x((long long)lo, (long long)hi);
	__m128i q = _mm_srli_epi64(_mm_mul_epu32(y, _mm_set1_epi32((int)0xd1b71759)), 45);
	__m128i r = _mm_sub_epi32(y, _mm_mul_epu32(q, _mm_set1_epi32(10000)));
	__m128i x = _mm_or_si128(q, _mm_slli_epi64(r, 32));      /* abcd | efgh, 32-bit lanes */
	__m128i h = _mm_srli_epi16(_mm_mulhi_epu16(x, _mm_set1_epi32(5243)), 3);
	__m128i l = _mm_sub_epi16(x, _mm_mullo_epi16(h, _mm_set1_epi16(100)));

	x = _mm_or_si128(h, _mm_slli_epi32(l, 16));              /* ab | cd, 16-bit lanes */
	h = _mm_mulhi_epu16(x, _mm_set1_epi16(6554));
	l = _mm_sub_epi16(x, _mm_mullo_epi16(h, _mm_set1_epi16(10)));
	x = _mm_or_si128(h, _mm_slli_epi16(l, 8));               /* one digit a byte */
	return _mm_or_si128(x, _mm_set1_epi8('0'));
}

/* ascii8(hi) and ascii8(lo) as two words. */
static inline void ascii8x2(uint32_t hi, uint32_t lo, uint64_t *whi, uint64_t *wlo)
{
	__m128i v = ascii16(hi, lo);

	*whi = (uint64_t)_mm_cvtsi128_si64(v);
	*wlo = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
}

/* ascii8x2, and how many of the 16 digits are left once the trailing
 * '0's are cut (0..16): one byte compare and its mask. */
static inline int digits16(uint32_t hi, uint32_t lo, uint64_t *whi, uint64_t *wlo)
{
	__m128i v = ascii16(hi, lo);
	unsigned nz = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('0'))) & 0xffff;

	*whi = (uint64_t)_mm_cvtsi128_si64(v);
	*wlo = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
	return nz ? 32 - __builtin_clz(nz) : 0;
}
#else
static inline void ascii8x2(uint32_t hi, uint32_t lo, uint64_t *whi, uint64_t *wlo)
{
	*whi = ascii8(hi);
	*wlo = ascii8(lo);
}

static inline int digits16(uint32_t hi, uint32_t lo, uint64_t *whi, uint64_t *wlo)
{
	uint64_t z1, z0;

	ascii8x2(hi, lo, whi, wlo);
	z1 = *wlo ^ 0x3030303030303030ull;
	z0 = *whi ^ 0x3030303030303030ull;
	return z1 ? 16 - __builtin_clzll(z1) / 8 : z0 ? 8 - __builtin_clzll(z0) / 8 : 0;
}
#endif

/* The 8 bytes of w at p, its lowest byte first. */
static inline void store8(char *p, uint64_t w)
{
	memcpy(p, &w, 8);
}

/* The n (1..8) digits of u < 10^n at p: one word's last n bytes (8
 * bytes stored). */
static inline char *put_head(char *p, uint32_t u, int n)
{
	store8(p, ascii8(u) >> (8 * (8 - n)));
	return p + n;
}

char *fmt_u64(char *p, uint64_t u)
{
	if (u < 100000000)
		return put_head(p, (uint32_t)u, u ? ndigits(u) : 1);
	uint64_t hi = u / 100000000;
	uint32_t lo = (uint32_t)(u % 100000000);

	if (hi < 100000000) {
		p = put_head(p, (uint32_t)hi, ndigits(hi));
		store8(p, ascii8(lo));
		return p + 8;
	}
	uint32_t top = (uint32_t)(hi / 100000000);  /* 17..20 digits */
	uint64_t wa, wb;

	p = put_head(p, top, ndigits(top));
	ascii8x2((uint32_t)(hi % 100000000), lo, &wa, &wb);
	store8(p, wa);
	store8(p + 8, wb);
	return p + 16;
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
	memset(a, 0, sizeof(*a));
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
	static const uint32_t p10[9] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	};

	for (; e >= 9; e -= 9)
		bn_mul32(a, 1000000000u);
	bn_mul32(a, p10[e]);                       /* e in 0..8 */
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

/* Y = x 2^q 10^-k rounded to odd (design note): G = fmt_pow10_g[k -
 * FMT_K_MIN], a = 128 - sh (1..4), so Y = floor(x 2^a G / 2^128), the top
 * word of the 192-bit product, and the two words below are its fraction. */
static inline __attribute__((always_inline)) uint64_t scaled(uint64_t x, int q, int k,
							     const uint64_t g[2], int a, int exact)
{
	uint64_t xa = x << a;                      /* < 2^60 */
	u128 lo = (u128)xa * g[1], hi = (u128)xa * g[0];
	uint64_t f0 = (uint64_t)lo;
	u128 mid = (lo >> 64) + (uint64_t)hi;
	uint64_t f1 = (uint64_t)mid;
	uint64_t f2 = (uint64_t)(hi >> 64) + (uint64_t)(mid >> 64);

	if (exact)
		return f2 | ((f1 | f0) != 0);
	/* x 2^a G' in [x 2^a G, x 2^a G + x 2^a): decided when no multiple of
	 * 2^128 is in it */
	int zero = (f1 | f0) == 0, crosses = f1 == UINT64_MAX && f0 + xa < f0;
	if (__builtin_expect(!zero && !crosses, 1))
		return f2 | 1;
	uint64_t m = zero ? f2 : f2 + 1;           /* the integer in range */
	int c = cmp_exact(x, q, k, m);
	return c == 0 ? m : c > 0 ? m | 1 : (m - 1) | 1;
}

/* Y of 4c (returned), of R's lower end (*vl) and of its upper end (*vr)
 * with the two-word G: out of line, so that the common one-word case
 * (v from about 1e-12 to 4.5e16, where the features are) keeps its
 * registers. */
static __attribute__((noinline)) uint64_t scaled2(uint64_t c, int q, int k, const uint64_t g[2],
						  int a, int irregular, uint64_t *vl, uint64_t *vr)
{
	int exact = k >= -55 && k <= 0;

	*vl = scaled(4 * c - 2 + (uint64_t)irregular, q, k, g, a, exact);
	*vr = scaled(4 * c + 2, q, k, g, a, exact);
	return scaled(4 * c, q, k, g, a, exact);
}

/* One word of G (g[1] = 0): the top word of x 2^a G and whether the low
 * one is zero. */
static inline uint64_t scaled1(uint64_t x, uint64_t g0, int a)
{
	u128 p = (u128)(x << a) * g0;

	return (uint64_t)(p >> 64) | ((uint64_t)p != 0);
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

/* The shortest decimal of c 2^q, c >= 1: d 10^e; d may end in zeros
 * (case 1).  irregular: c = 2^52 above the smallest exponent. */
static inline __attribute__((always_inline)) uint64_t shortest(uint64_t c, int q,
							       int irregular, int *e)
{
	int k = irregular ? fmt_flog10_3q_pow2(q) : fmt_flog10_pow2(q);
	const uint64_t *g = fmt_pow10_g[k - FMT_K_MIN];
	int a = q + fmt_flog2_pow10(-k) + 1;       /* 128 - sh, 1..4 */
	uint64_t vl, vb, vr;

	if (g[1] == 0) {
		/* k in -27..0: G is 5^-k in one word, exact */
		vl = scaled1(4 * c - 2 + (uint64_t)irregular, g[0], a);
		vb = scaled1(4 * c, g[0], a);
		vr = scaled1(4 * c + 2, g[0], a);
	} else {
		vb = scaled2(c, q, k, g, a, irregular, &vl, &vr);
	}
	uint64_t out = c & 1;                      /* odd c: R's ends are not in R */
	uint64_t s = vb >> 2;

	*e = k;
	/* 1. a multiple of 10 in R; 2. else s or t, whichever is in R, and
	 * when both are, the nearer V (a tie to the even one).  Both cases
	 * are worked out and one is picked by masks, with no branch: which
	 * one applies is as good as random from one value to the next, and a
	 * mispredicted branch cost more than the other case's arithmetic (a
	 * fifth of this function's time) */
	uint64_t s10 = s / 10 * 10, t10 = s10 + 10;
	uint64_t u10 = vl + out <= 4 * s10, w10 = 4 * t10 + out <= vr;
	uint64_t t = s + 1;
	uint64_t u = vl + out <= 4 * s, w = 4 * t + out <= vr;
	uint64_t nearer_s = (vb < 4 * s + 2) | ((vb == 4 * s + 2) & ~s & 1);
	uint64_t pick_s = u ^ w ? u : nearer_s;
	uint64_t case1 = t10 - 10 * u10;           /* s10 when u10, else t10 */
	uint64_t case2 = t - pick_s;
	uint64_t is1 = 0 - (u10 ^ w10);            /* all ones in case 1 */
	return (case1 & is1) | (case2 & ~is1);
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
	d = strip_zeros(d, &e);
	*digits = d;
	*exp10 = e;
	return ndigits(d);
}

/* ------------------------------------------------------------ text */

/* Word w (8 ASCII bytes) with '.' put at byte m (0..7) and the bytes from
 * m on moved up one; the byte pushed out is w's last, w >> 56. */
static inline uint64_t insert_point(uint64_t w, int m)
{
	uint64_t below = w & ((1ull << 8 * m) - 1);

	return below | (uint64_t)'.' << 8 * m | ((w >> 8 * m) << 8) << 8 * m;
}

#define FIXED_MAX 17          /* fixed notation below 10^17, as %.17g */

/*
 * |v| = x x 10^(E - 16) as text at p, x of exactly 17 digits (10^16 <= x
 * < 10^17, maybe ending in zeros) given as its first digit c0, the 16
 * after it as two words of 8 ASCII digits, and n, how many of the 17 are
 * left once the trailing zeros are cut; stored whole at fixed offsets, so
 * the text is written with a few stores and no copy loop; what is stored
 * past the text's end (zeros of x) stays within p[0..22].
 */
static inline __attribute__((always_inline)) char *put_text(char *p, char c0, uint64_t w0,
								uint64_t w1, int n, int E)
{
	if (E >= 0 && E < FIXED_MAX) {
		p[0] = c0;
		if (n <= E + 1) {                  /* ddd000: x's first E + 1 digits */
			store8(p + 1, w0);
			store8(p + 9, w1);
			return p + E + 1;
		}
		int j = E + 1;                     /* ddd.ddd, the point after j (1..16) */
		if (j <= 8) {
			uint64_t ins = insert_point(w0, j - 1);
			store8(p + 1, ins);
			p[9] = (char)(w0 >> 56);
			store8(p + 10, w1);
		} else {
			uint64_t ins = insert_point(w1, j - 9);
			store8(p + 1, w0);
			store8(p + 9, ins);
			p[17] = (char)(w1 >> 56);
		}
		return p + n + 1;
	}
	if (E < 0 && E >= -4) {                    /* 0.000ddd */
		memcpy(p, "0.000000", 8);
		p += 1 - E;
		p[0] = c0;
		store8(p + 1, w0);
		store8(p + 9, w1);
		return p + n;
	}
	p[0] = c0;                                 /* d.ddde+XX */
	p[1] = '.';
	store8(p + 2, w0);
	store8(p + 10, w1);
	p += n > 1 ? n + 1 : 1;
	p[0] = 'e';
	p[1] = E < 0 ? '-' : '+';
	unsigned ae = (unsigned)(E < 0 ? -E : E);
	if (ae >= 100) {
		p[2] = (char)('0' + ae / 100);
		memcpy(p + 3, pairs + 2 * (ae % 100), 2);
		return p + 5;
	}
	memcpy(p + 2, pairs + 2 * ae, 2);
	return p + 4;
}

/* put_text of x: its digits split and made ASCII here. */
static inline __attribute__((always_inline)) char *put_x17(char *p, uint64_t x, int E)
{
	uint64_t first = x / 10000000000000000ull;
	uint64_t rest = x - first * 10000000000000000ull;
	uint64_t w0, w1;
	/* significant digits: 17 less the trailing '0' bytes of x */
	int n = 1 + digits16((uint32_t)(rest / 100000000), (uint32_t)(rest % 100000000), &w0, &w1);

	return put_text(p, (char)('0' + first), w0, w1, n, E);
}

/* |v| = d x 10^e, d >= 1 of at most 17 digits, as put_x17: whole
 * numbers from 10^8 and subnormals, out of the common path. */
static __attribute__((noinline)) char *put_decimal(char *p, uint64_t d, int e)
{
	int n0 = ndigits(d);

	return put_x17(p, d * pow10_u64[17 - n0], e + n0 - 1);
}

/* fmt_double's body, inlined into fmt_double_row's loop. */
static inline __attribute__((always_inline)) char *double_text(char *p, double v)
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
	/* the sign without a branch: half the values of a signed column are
	 * negative, in no order a predictor could learn */
	*p = '-';
	p += bits >> 63;
	bits &= ~(1ull << 63);
	if (bits == 0) {
		*p = '0';
		return p + 1;
	}
	/* a whole number below 2^53 is its own shortest decimal: 1 <= v <
	 * 2^53 (biased exponent 1023..1075) with no fraction bit below the
	 * point (the 1075 - exponent lowest of c) */
	unsigned be = (unsigned)(bits >> 52);
	if (be - 1023 < 53) {
		unsigned sh = 1075 - be;
		uint64_t m = (bits & ((1ull << 52) - 1)) | 1ull << 52;

		if ((m & ((1ull << sh) - 1)) == 0) {
			uint64_t u = m >> sh;

			if (u < 100000000)         /* 1..99999999: one word */
				return put_head(p, (uint32_t)u, ndigits(u));
			return put_decimal(p, u, 0);
		}
	}
	decompose(bits, &c, &q, &irr);
	d = shortest(c, q, irr, &e);
	/* a normal v: V = v 10^-k is c times R's width in units of 10^k,
	 * so d (s, t or a multiple of 10 beside them) is in [4.5 x 10^15,
	 * 9.1 x 10^16): 16 or 17 digits, no count needed */
	if (__builtin_expect(be == 0, 0))
		return put_decimal(p, d, e);
	int d17 = d >= 10000000000000000ull;
	return put_x17(p, d17 ? d : d * 10, e + 15 + d17);
}

char *fmt_double(char *p, double v)
{
	return double_text(p, v);
}

void fmt_memo_init(struct fmt_memo *m, int n)
{
	memset(m, 0, (size_t)n * sizeof(*m));
	for (int i = 0; i < n; i++) {
		m[i].len = 1;
		m[i].text[0] = '0';
	}
}

/* What the batch leaves for the text: the first digit, the 16 after it
 * as two words, how many digits are significant, the exponent E of
 * put_text; or "do it the ordinary way" (rare: see batch4). */
struct digits {
	uint64_t w[2];
	int32_t E;
	uint8_t n;
	char c0;
	uint8_t ordinary;
};

#if defined(__x86_64__) && defined(__GNUC__)
#define BATCH_AVX2 1
/* ------------------------------------------------------------ four at once */

#define AVX2 __attribute__((target("avx2"), always_inline))

/* The high 64 bits of a x b in each 64-bit lane, from four 32 x 32-bit
 * products; *lo_nz, when asked, is 1 where the low 64 bits are not 0. */
static inline AVX2 __m256i mulhi64(__m256i a, __m256i b, __m256i *lo_nz)
{
	const __m256i m32 = _mm256_set1_epi64x(0xffffffff);
	__m256i ah = _mm256_srli_epi64(a, 32), bh = _mm256_srli_epi64(b, 32);
	__m256i ll = _mm256_mul_epu32(a, b), lh = _mm256_mul_epu32(a, bh);
	__m256i hl = _mm256_mul_epu32(ah, b), hh = _mm256_mul_epu32(ah, bh);
	__m256i mid = _mm256_add_epi64(_mm256_srli_epi64(ll, 32),
				       _mm256_add_epi64(_mm256_and_si256(lh, m32),
							_mm256_and_si256(hl, m32)));
	__m256i hi = _mm256_add_epi64(_mm256_add_epi64(hh, _mm256_srli_epi64(lh, 32)),
				      _mm256_add_epi64(_mm256_srli_epi64(hl, 32),
						       _mm256_srli_epi64(mid, 32)));

	if (lo_nz) {
		__m256i lo = _mm256_or_si256(_mm256_and_si256(ll, m32), _mm256_slli_epi64(mid, 32));
		*lo_nz = _mm256_andnot_si256(_mm256_cmpeq_epi64(lo, _mm256_setzero_si256()),
					     _mm256_set1_epi64x(1));
	}
	return hi;
}

/* scaled1 in each lane: the top word of x 2^a g0, rounded to odd. */
static inline AVX2 __m256i scaled1x4(__m256i x, __m256i g0, __m256i a)
{
	__m256i nz, hi = mulhi64(_mm256_sllv_epi64(x, a), g0, &nz);

	return _mm256_or_si256(hi, nz);
}

/* ascii16's steps in four 64-bit lanes: each lane's y < 10^8 (low 32
 * bits) as 8 ASCII digits, the first in the lowest byte. */
static inline AVX2 __m256i ascii8x4(__m256i y)
{
	__m256i q = _mm256_srli_epi64(_mm256_mul_epu32(y, _mm256_set1_epi32((int)0xd1b71759)), 45);
	__m256i r = _mm256_sub_epi32(y, _mm256_mul_epu32(q, _mm256_set1_epi32(10000)));
	__m256i x = _mm256_or_si256(q, _mm256_slli_epi64(r, 32));
	__m256i h = _mm256_srli_epi16(_mm256_mulhi_epu16(x, _mm256_set1_epi32(5243)), 3);
	__m256i l = _mm256_sub_epi16(x, _mm256_mullo_epi16(h, _mm256_set1_epi16(100)));

	x = _mm256_or_si256(h, _mm256_slli_epi32(l, 16));
	h = _mm256_mulhi_epu16(x, _mm256_set1_epi16(6554));
	l = _mm256_sub_epi16(x, _mm256_mullo_epi16(h, _mm256_set1_epi16(10)));
	x = _mm256_or_si256(h, _mm256_slli_epi16(l, 8));
	return _mm256_or_si256(x, _mm256_set1_epi8('0'));
}


/* Unsigned a <= b for lanes below 2^63. */
static inline AVX2 __m256i le64(__m256i a, __m256i b)
{
	return _mm256_xor_si256(_mm256_cmpgt_epi64(a, b), _mm256_set1_epi64x(-1));
}

/*
 * shortest() and put_x17's digits for the four values at bits[0..3]
 * (magnitudes, sign cleared), out[0..3], with every step in the lanes of
 * AVX2 registers: decompose, k, G from the table (four loads), the three
 * products (each from four 32 x 32-bit products), the choice (masks, as
 * shortest's), the 17 digits split as 1 + 8 + 8 (multiplications by
 * reciprocals) and turned into ASCII two values a register.  Only the
 * common case is done so: a normal double, c not 2^52, k in -27..0 (one
 * exact word of G: v from about 1e-12 to 4.5e16) and not a whole number;
 * for anything else (zero, NaN, infinity, subnormal, whole number, a
 * power of two, v outside that range) out[i].ordinary is set and the
 * caller formats it one at a time.  The lanes' arithmetic is the scalar
 * code's, so the digits are the same bit for bit (test_fmt compares the
 * two on every class of double).
 */
static __attribute__((target("avx2"))) void batch4(const uint64_t bits[4], struct digits out[4])
{
	const __m256i one = _mm256_set1_epi64x(1);
	__m256i b = _mm256_loadu_si256((const __m256i *)bits);
	__m256i be = _mm256_srli_epi64(b, 52);
	__m256i frac = _mm256_and_si256(b, _mm256_set1_epi64x((1ll << 52) - 1));
	__m256i c = _mm256_or_si256(frac, _mm256_set1_epi64x(1ll << 52));
	__m256i q = _mm256_sub_epi64(be, _mm256_set1_epi64x(1075));   /* |q| <= 1075 */
	/* k = floor(q log10 2): the signed product's high word (q's low 32
	 * bits are the signed q; the high word is a signed 32-bit k) */
	__m256i k = _mm256_srli_epi64(_mm256_mul_epi32(q, _mm256_set1_epi64x(1292913986)), 32);
	__m256i k_lo = _mm256_set1_epi32(-27), k_hi = _mm256_set1_epi32(0);
	__m256i k_ok = _mm256_andnot_si256(_mm256_or_si256(_mm256_cmpgt_epi32(k_lo, k),
							   _mm256_cmpgt_epi32(k, k_hi)),
					   _mm256_set1_epi64x(0xffffffff));
	/* a whole number: be - 1023 < 53 and no bit of c below the point */
	__m256i sh = _mm256_sub_epi64(_mm256_set1_epi64x(1075), be);
	__m256i below = _mm256_sub_epi64(_mm256_sllv_epi64(one, sh), one);  /* sh >= 64: ~0 */
	__m256i whole = _mm256_cmpeq_epi64(_mm256_and_si256(c, below), _mm256_setzero_si256());
	__m256i bad = _mm256_or_si256(_mm256_cmpeq_epi64(be, _mm256_setzero_si256()),
				      _mm256_cmpeq_epi64(frac, _mm256_setzero_si256()));
	bad = _mm256_or_si256(bad, _mm256_cmpeq_epi64(be, _mm256_set1_epi64x(0x7ff)));
	bad = _mm256_or_si256(bad, whole);
	bad = _mm256_or_si256(bad, _mm256_cmpeq_epi64(_mm256_and_si256(k_ok, _mm256_set1_epi64x(0xffffffff)),
						      _mm256_setzero_si256()));
	/* G: one word, 5^-k, for k in -27..0; other lanes read entry 0 */
	__m256i kc = _mm256_and_si256(_mm256_sub_epi32(k, _mm256_set1_epi32(FMT_K_MIN)), k_ok);
	kc = _mm256_and_si256(kc, _mm256_set1_epi64x(0xffffffff));
	/* four loads, not a gather: 3-7% less time a row on an AMD EPYC of
	 * family 26, where the gather is slow */
	int64_t ki[4];

	_mm256_storeu_si256((__m256i *)ki, kc);
	__m128i g01 = _mm_set_epi64x((long long)fmt_pow10_g[ki[1]][0], (long long)fmt_pow10_g[ki[0]][0]);
	__m128i g23 = _mm_set_epi64x((long long)fmt_pow10_g[ki[3]][0], (long long)fmt_pow10_g[ki[2]][0]);
	__m256i g0 = _mm256_inserti128_si256(_mm256_castsi128_si256(g01), g23, 1);
	/* a = q + floor(-k log2 10) + 1, 1..4 in the good lanes; the
	 * logarithm's 34-bit constant is 3 x 2^32 + 1382670639, so
	 * floor(j x it / 2^32) = 3j + floor(j x 1382670639 / 2^32) */
	__m256i nk = _mm256_sub_epi32(_mm256_setzero_si256(), k);
	__m256i fl = _mm256_srli_epi64(_mm256_mul_epi32(nk, _mm256_set1_epi64x(1382670639)), 32);
	fl = _mm256_add_epi32(fl, _mm256_add_epi32(nk, _mm256_add_epi32(nk, nk)));
	__m256i a = _mm256_add_epi32(_mm256_add_epi32(q, fl), _mm256_set1_epi32(1));
	a = _mm256_and_si256(a, _mm256_set1_epi64x(0x7));
	/* vl, vb, vr: Y of 4c - 2, 4c, 4c + 2 */
	__m256i c4 = _mm256_slli_epi64(c, 2), two = _mm256_set1_epi64x(2);
	__m256i vl = scaled1x4(_mm256_sub_epi64(c4, two), g0, a);
	__m256i vb = scaled1x4(c4, g0, a);
	__m256i vr = scaled1x4(_mm256_add_epi64(c4, two), g0, a);
	/* the choice, as shortest() */
	__m256i out_ = _mm256_and_si256(c, one);
	__m256i sv = _mm256_srli_epi64(vb, 2);
	__m256i s10 = _mm256_srli_epi64(mulhi64(sv, _mm256_set1_epi64x((long long)0xcccccccccccccccdull), NULL), 3);
	s10 = _mm256_add_epi64(_mm256_slli_epi64(s10, 3), _mm256_slli_epi64(s10, 1));
	__m256i t10 = _mm256_add_epi64(s10, _mm256_set1_epi64x(10));
	__m256i vlo = _mm256_add_epi64(vl, out_);
	__m256i u10 = le64(vlo, _mm256_slli_epi64(s10, 2));
	__m256i w10 = le64(_mm256_add_epi64(_mm256_slli_epi64(t10, 2), out_), vr);
	__m256i t = _mm256_add_epi64(sv, one);
	__m256i u = le64(vlo, _mm256_slli_epi64(sv, 2));
	__m256i w = le64(_mm256_add_epi64(_mm256_slli_epi64(t, 2), out_), vr);
	__m256i s4p2 = _mm256_add_epi64(_mm256_slli_epi64(sv, 2), two);
	__m256i s_even = _mm256_cmpeq_epi64(_mm256_and_si256(sv, one), _mm256_setzero_si256());
	__m256i nearer_s = _mm256_or_si256(_mm256_cmpgt_epi64(s4p2, vb),
					   _mm256_and_si256(_mm256_cmpeq_epi64(vb, s4p2), s_even));
	__m256i pick_s = _mm256_blendv_epi8(nearer_s, u, _mm256_xor_si256(u, w));
	__m256i case1 = _mm256_blendv_epi8(t10, s10, u10);
	__m256i case2 = _mm256_blendv_epi8(t, sv, pick_s);
	__m256i d = _mm256_blendv_epi8(case2, case1, _mm256_xor_si256(u10, w10));
	/* 17 digits: d or 10 d; E = k + 15 + (d has 17) */
	__m256i d17 = _mm256_cmpgt_epi64(d, _mm256_set1_epi64x(9999999999999999ll));
	__m256i d10 = _mm256_add_epi64(_mm256_slli_epi64(d, 3), _mm256_slli_epi64(d, 1));
	__m256i x = _mm256_blendv_epi8(d10, d, d17);
	__m256i E = _mm256_add_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(15)),
				     _mm256_and_si256(d17, _mm256_set1_epi64x(1)));
	/* first = x / 10^16, rest; hi = rest / 10^8, lo (x < 10^17) */
	__m256i first = _mm256_srli_epi64(mulhi64(x, _mm256_set1_epi64x((long long)0xe69594bec44de15cull), NULL), 53);
	__m256i f16 = _mm256_add_epi64(_mm256_mul_epu32(first, _mm256_set1_epi64x(0x6fc10000)),
				       _mm256_slli_epi64(_mm256_mul_epu32(first, _mm256_set1_epi64x(0x2386f2)), 32));
	__m256i rest = _mm256_sub_epi64(x, f16);
	__m256i hi = _mm256_srli_epi64(mulhi64(rest, _mm256_set1_epi64x((long long)0xabcc77118461cefdull), NULL), 26);
	__m256i lo = _mm256_sub_epi64(rest, _mm256_mul_epu32(hi, _mm256_set1_epi64x(100000000)));
	/* values 0 and 2 in A, 1 and 3 in B (unpack works in 128-bit halves) */
	__m256i dA = ascii8x4(_mm256_unpacklo_epi64(hi, lo));
	__m256i dB = ascii8x4(_mm256_unpackhi_epi64(hi, lo));
	unsigned zA = ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(dA, _mm256_set1_epi8('0')));
	unsigned zB = ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(dB, _mm256_set1_epi8('0')));
	char txt[2][32] __attribute__((aligned(32)));
	int64_t fv[4], ev[4], badv[4];

	_mm256_store_si256((__m256i *)txt[0], dA);
	_mm256_store_si256((__m256i *)txt[1], dB);
	_mm256_storeu_si256((__m256i *)fv, first);
	_mm256_storeu_si256((__m256i *)ev, E);
	_mm256_storeu_si256((__m256i *)badv, bad);
	for (int i = 0; i < 4; i++) {
		/* value i: register i & 1, half i >> 1 */
		unsigned nz = ((i & 1 ? zB : zA) >> (16 * (i >> 1))) & 0xffff;

		memcpy(out[i].w, txt[i & 1] + 16 * (i >> 1), 16);
		out[i].n = (uint8_t)(1 + (nz ? 32 - __builtin_clz(nz) : 0));
		out[i].E = (int32_t)ev[i];
		out[i].c0 = (char)('0' + fv[i]);
		out[i].ordinary = badv[i] != 0;
	}
}

/* ------------------------------------------------------------ eight at once */

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq"), always_inline))

/* mulhi64 in the eight lanes of an AVX-512 register; *lo_nz, when asked,
 * has a bit set where the low 64 bits are not 0. */
static inline AVX512 __m512i mulhi64x8(__m512i a, __m512i b, __mmask8 *lo_nz)
{
	const __m512i m32 = _mm512_set1_epi64(0xffffffff);
	__m512i ah = _mm512_srli_epi64(a, 32), bh = _mm512_srli_epi64(b, 32);
	__m512i ll = _mm512_mul_epu32(a, b), lh = _mm512_mul_epu32(a, bh);
	__m512i hl = _mm512_mul_epu32(ah, b), hh = _mm512_mul_epu32(ah, bh);
	__m512i mid = _mm512_add_epi64(_mm512_srli_epi64(ll, 32),
				       _mm512_add_epi64(_mm512_and_si512(lh, m32),
							_mm512_and_si512(hl, m32)));
	__m512i hi = _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(lh, 32)),
				      _mm512_add_epi64(_mm512_srli_epi64(hl, 32),
						       _mm512_srli_epi64(mid, 32)));

	if (lo_nz) {
		__m512i lo = _mm512_or_si512(_mm512_and_si512(ll, m32), _mm512_slli_epi64(mid, 32));
		*lo_nz = _mm512_test_epi64_mask(lo, lo);
	}
	return hi;
}

/* scaled1x4 in eight lanes. */
static inline AVX512 __m512i scaled1x8(__m512i x, __m512i g0, __m512i a)
{
	__mmask8 nz;
	__m512i hi = mulhi64x8(_mm512_sllv_epi64(x, a), g0, &nz);

	return _mm512_mask_or_epi64(hi, nz, hi, _mm512_set1_epi64(1));
}

/* ascii8x4 in eight lanes. */
static inline AVX512 __m512i ascii8x8(__m512i y)
{
	__m512i q = _mm512_srli_epi64(_mm512_mul_epu32(y, _mm512_set1_epi32((int)0xd1b71759)), 45);
	__m512i r = _mm512_sub_epi32(y, _mm512_mul_epu32(q, _mm512_set1_epi32(10000)));
	__m512i x = _mm512_or_si512(q, _mm512_slli_epi64(r, 32));
	__m512i h = _mm512_srli_epi16(_mm512_mulhi_epu16(x, _mm512_set1_epi32(5243)), 3);
	__m512i l = _mm512_sub_epi16(x, _mm512_mullo_epi16(h, _mm512_set1_epi16(100)));

	x = _mm512_or_si512(h, _mm512_slli_epi32(l, 16));
	h = _mm512_mulhi_epu16(x, _mm512_set1_epi16(6554));
	l = _mm512_sub_epi16(x, _mm512_mullo_epi16(h, _mm512_set1_epi16(10)));
	x = _mm512_or_si512(h, _mm512_slli_epi16(l, 8));
	return _mm512_or_si512(x, _mm512_set1_epi8('0'));
}

/*
 * batch4's steps for the eight values at bits[0..7], out[0..7], in the
 * lanes of AVX-512 registers: the same arithmetic, so the same digits;
 * what AVX-512 adds is eight lanes, comparisons to masks, an arithmetic
 * 64-bit shift for k, and the table read by permutes of registers (with
 * a gather instead it was slower than batch4).
 */
static __attribute__((target("avx512f,avx512bw,avx512dq"))) void batch8(const uint64_t bits[8],
									 struct digits out[8])
{
	const __m512i one = _mm512_set1_epi64(1), zero = _mm512_setzero_si512();
	__m512i b = _mm512_loadu_si512((const void *)bits);
	__m512i be = _mm512_srli_epi64(b, 52);
	__m512i frac = _mm512_and_si512(b, _mm512_set1_epi64((1ll << 52) - 1));
	__m512i c = _mm512_or_si512(frac, _mm512_set1_epi64(1ll << 52));
	__m512i q = _mm512_sub_epi64(be, _mm512_set1_epi64(1075));   /* |q| <= 1075 */
	/* k = floor(q log10 2), sign-extended */
	__m512i k = _mm512_srai_epi64(_mm512_mul_epi32(q, _mm512_set1_epi64(1292913986)), 32);
	__mmask8 k_ok = _mm512_cmpge_epi64_mask(k, _mm512_set1_epi64(-27)) &
			_mm512_cmple_epi64_mask(k, zero);
	/* a whole number: be - 1023 < 53 and no bit of c below the point */
	__m512i sh = _mm512_sub_epi64(_mm512_set1_epi64(1075), be);
	__m512i below = _mm512_sub_epi64(_mm512_sllv_epi64(one, sh), one);  /* sh >= 64: ~0 */
	__mmask8 bad = _mm512_testn_epi64_mask(c, below) |
		       _mm512_cmpeq_epi64_mask(be, zero) |
		       _mm512_cmpeq_epi64_mask(frac, zero) |
		       _mm512_cmpeq_epi64_mask(be, _mm512_set1_epi64(0x7ff)) |
		       (__mmask8)~k_ok;
	/* G: one word, 5^-k, for k in -27..0: the table's words from k = -27
	 * on (two a k) in eight registers, picked by permutes on j = 2 (k +
	 * 27), 0..54 in the good lanes (a gather is slower here) */
	const uint64_t *gt = &fmt_pow10_g[-27 - FMT_K_MIN][0];
	__m512i j = _mm512_and_si512(_mm512_slli_epi64(_mm512_add_epi64(k, _mm512_set1_epi64(27)), 1),
				     _mm512_set1_epi64(63));
	__m512i gA = _mm512_permutex2var_epi64(_mm512_loadu_si512((const void *)gt), j,
					       _mm512_loadu_si512((const void *)(gt + 8)));
	__m512i gB = _mm512_permutex2var_epi64(_mm512_loadu_si512((const void *)(gt + 16)), j,
					       _mm512_loadu_si512((const void *)(gt + 24)));
	__m512i gC = _mm512_permutex2var_epi64(_mm512_loadu_si512((const void *)(gt + 32)), j,
					       _mm512_loadu_si512((const void *)(gt + 40)));
	__m512i gD = _mm512_permutex2var_epi64(_mm512_loadu_si512((const void *)(gt + 48)), j,
					       _mm512_loadu_si512((const void *)(gt + 56)));
	__mmask8 b16 = _mm512_test_epi64_mask(j, _mm512_set1_epi64(16));
	__mmask8 b32 = _mm512_test_epi64_mask(j, _mm512_set1_epi64(32));
	__m512i g0 = _mm512_mask_blend_epi64(b32, _mm512_mask_blend_epi64(b16, gA, gB),
					     _mm512_mask_blend_epi64(b16, gC, gD));
	/* a = q + floor(-k log2 10) + 1, 1..4 in the good lanes (batch4) */
	__m512i nk = _mm512_sub_epi64(zero, k);
	__m512i fl = _mm512_srli_epi64(_mm512_mul_epi32(nk, _mm512_set1_epi64(1382670639)), 32);
	fl = _mm512_add_epi64(fl, _mm512_add_epi64(nk, _mm512_add_epi64(nk, nk)));
	__m512i a = _mm512_add_epi64(_mm512_add_epi64(q, fl), one);
	a = _mm512_and_si512(a, _mm512_set1_epi64(0x7));
	/* vl, vb, vr: Y of 4c - 2, 4c, 4c + 2 */
	__m512i c4 = _mm512_slli_epi64(c, 2), two = _mm512_set1_epi64(2);
	__m512i vl = scaled1x8(_mm512_sub_epi64(c4, two), g0, a);
	__m512i vb = scaled1x8(c4, g0, a);
	__m512i vr = scaled1x8(_mm512_add_epi64(c4, two), g0, a);
	/* the choice, as shortest() */
	__m512i out_ = _mm512_and_si512(c, one);
	__m512i sv = _mm512_srli_epi64(vb, 2);
	__m512i s10 = _mm512_srli_epi64(mulhi64x8(sv, _mm512_set1_epi64((long long)0xcccccccccccccccdull), NULL), 3);
	s10 = _mm512_add_epi64(_mm512_slli_epi64(s10, 3), _mm512_slli_epi64(s10, 1));
	__m512i t10 = _mm512_add_epi64(s10, _mm512_set1_epi64(10));
	__m512i vlo = _mm512_add_epi64(vl, out_);
	__mmask8 u10 = _mm512_cmple_epu64_mask(vlo, _mm512_slli_epi64(s10, 2));
	__mmask8 w10 = _mm512_cmple_epu64_mask(_mm512_add_epi64(_mm512_slli_epi64(t10, 2), out_), vr);
	__m512i t = _mm512_add_epi64(sv, one);
	__mmask8 u = _mm512_cmple_epu64_mask(vlo, _mm512_slli_epi64(sv, 2));
	__mmask8 w = _mm512_cmple_epu64_mask(_mm512_add_epi64(_mm512_slli_epi64(t, 2), out_), vr);
	__m512i s4p2 = _mm512_add_epi64(_mm512_slli_epi64(sv, 2), two);
	__mmask8 nearer_s = _mm512_cmpgt_epu64_mask(s4p2, vb) |
			    (_mm512_cmpeq_epi64_mask(vb, s4p2) & _mm512_testn_epi64_mask(sv, one));
	__mmask8 pick_s = (__mmask8)(((u ^ w) & u) | (~(u ^ w) & nearer_s));
	__m512i case1 = _mm512_mask_blend_epi64(u10, t10, s10);
	__m512i case2 = _mm512_mask_blend_epi64(pick_s, t, sv);
	__m512i d = _mm512_mask_blend_epi64(u10 ^ w10, case2, case1);
	/* 17 digits: d or 10 d; E = k + 15 + (d has 17) */
	__mmask8 d17 = _mm512_cmpgt_epu64_mask(d, _mm512_set1_epi64(9999999999999999ll));
	__m512i d10 = _mm512_add_epi64(_mm512_slli_epi64(d, 3), _mm512_slli_epi64(d, 1));
	__m512i x = _mm512_mask_blend_epi64(d17, d10, d);
	__m512i E = _mm512_add_epi64(k, _mm512_set1_epi64(15));
	E = _mm512_mask_add_epi64(E, d17, E, one);
	/* first = x / 10^16, rest; hi = rest / 10^8, lo (x < 10^17) */
	__m512i first = _mm512_srli_epi64(mulhi64x8(x, _mm512_set1_epi64((long long)0xe69594bec44de15cull), NULL), 53);
	__m512i rest = _mm512_sub_epi64(x, _mm512_mullo_epi64(first, _mm512_set1_epi64(10000000000000000ll)));
	__m512i hi = _mm512_srli_epi64(mulhi64x8(rest, _mm512_set1_epi64((long long)0xabcc77118461cefdull), NULL), 26);
	__m512i lo = _mm512_sub_epi64(rest, _mm512_mul_epu32(hi, _mm512_set1_epi64(100000000)));
	/* values 0, 2, 4, 6 in A, 1, 3, 5, 7 in B (unpack works in 128-bit lanes) */
	__m512i dA = ascii8x8(_mm512_unpacklo_epi64(hi, lo));
	__m512i dB = ascii8x8(_mm512_unpackhi_epi64(hi, lo));
	uint64_t zA = _mm512_cmpneq_epi8_mask(dA, _mm512_set1_epi8('0'));
	uint64_t zB = _mm512_cmpneq_epi8_mask(dB, _mm512_set1_epi8('0'));
	char txt[2][64] __attribute__((aligned(64)));
	int64_t fv[8], ev[8];

	_mm512_store_si512((void *)txt[0], dA);
	_mm512_store_si512((void *)txt[1], dB);
	_mm512_storeu_si512((void *)fv, first);
	_mm512_storeu_si512((void *)ev, E);
	for (int i = 0; i < 8; i++) {
		/* value i: register i & 1, 128-bit lane i >> 1 */
		unsigned nz = (unsigned)((i & 1 ? zB : zA) >> (16 * (i >> 1))) & 0xffff;

		memcpy(out[i].w, txt[i & 1] + 16 * (i >> 1), 16);
		out[i].n = (uint8_t)(1 + (nz ? 32 - __builtin_clz(nz) : 0));
		out[i].E = (int32_t)ev[i];
		out[i].c0 = (char)('0' + fv[i]);
		out[i].ordinary = (bad >> i) & 1;
	}
}
#endif

/* The n (1..FMT_DOUBLE_MAX) bytes at s to d, reading no byte of s past
 * them: two moves that may overlap. */
static inline void copy_text(char *d, const char *s, unsigned n)
{
	if (n >= 16) {
		memcpy(d, s, 16);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/*
 * The row at p, column by column: a value equal to its memo's copied
 * from it, any other written from its digits in g (the next of them each
 * time) or, with no g or one marked ordinary, by double_text.
 *
 * A value's text goes into its memo one value late, and only its own
 * bytes are read: read back at once, or past its end into the next
 * value's, the load would span narrower stores still in flight and wait
 * for them all to land (a failed store-to-load forward: 18% of this
 * loop's time when the whole 24-byte slot was copied at once).  By the
 * end of the next value the text's own stores have landed.
 */
static inline __attribute__((always_inline)) char *row_write(char *p, const double *v, int n,
							     char sep, struct fmt_memo *m,
							     const struct digits *g)
{
	struct fmt_memo *late = NULL;              /* formatted, its text not yet kept */
	const char *late_text = NULL;

	for (int i = 0; i < n; i++) {
		uint64_t bits;
		char *e;

		memcpy(&bits, &v[i], sizeof(bits));
		*p++ = sep;
		if (bits == m[i].bits) {
			/* the whole slot: p has room for it past the text */
			memcpy(p, m[i].text, FMT_DOUBLE_MAX);
			p += m[i].len;
			continue;
		}
		if (!g || __builtin_expect(g->ordinary, 0)) {
			e = double_text(p, v[i]);
		} else {
			*p = '-';
			e = put_text(p + (bits >> 63), g->c0, g->w[0], g->w[1], g->n, g->E);
		}
		if (g)
			g++;
		if (late)
			copy_text(late->text, late_text, late->len);
		m[i].bits = bits;
		m[i].len = (uint8_t)(e - p);
		late = &m[i];
		late_text = p;
		p = e;
	}
	if (late)
		copy_text(late->text, late_text, late->len);
	return p;
}

#ifdef BATCH_AVX2
#define BATCH_MAX 64          /* values a row for the batched paths */

/* The row's values that are not copied from a memo, gathered and turned
 * into digits W at a time (batch4 or batch8), then the row written.
 * Always inlined into one function per width, each compiled with its
 * own instructions. */
static inline __attribute__((always_inline)) char *row_batched(char *p, const double *v, int n,
							       char sep, struct fmt_memo *m,
							       int W)
{
	uint64_t todo[BATCH_MAX + 7];
	struct digits dg[BATCH_MAX + 7];
	int k = 0;

	for (int i = 0; i < n; i++) {
		uint64_t bits;

		memcpy(&bits, &v[i], sizeof(bits));
		todo[k] = bits & ~(1ull << 63);
		k += bits != m[i].bits;              /* no branch: as good as random */
	}
	for (int j = k; j % W; j++)
		todo[j] = 0x3ff8000000000000ull;    /* 1.5: any value will do */
	for (int j = 0; j < k; j += W) {
		if (W == 8)
			batch8(todo + j, dg + j);
		else
			batch4(todo + j, dg + j);
	}
	return row_write(p, v, n, sep, m, dg);
}

static __attribute__((target("avx2"), noinline)) char *row_avx2(char *p, const double *v, int n,
								 char sep, struct fmt_memo *m)
{
	return row_batched(p, v, n, sep, m, 4);
}

static __attribute__((target("avx512f,avx512bw,avx512dq"), noinline)) char *
row_avx512(char *p, const double *v, int n, char sep, struct fmt_memo *m)
{
	return row_batched(p, v, n, sep, m, 8);
}
#endif

int fmt_row_path_ok(enum fmt_row_path path)
{
	switch (path) {
	case FMT_ROW_SCALAR:
		return 1;
#ifdef BATCH_AVX2
	case FMT_ROW_AVX2:
		return __builtin_cpu_supports("avx2");
	case FMT_ROW_AVX512:
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		       __builtin_cpu_supports("avx512dq");
#endif
	default:
		return 0;
	}
}

enum fmt_row_path fmt_row_path_best(void)
{
	if (fmt_row_path_ok(FMT_ROW_AVX512))
		return FMT_ROW_AVX512;
	if (fmt_row_path_ok(FMT_ROW_AVX2))
		return FMT_ROW_AVX2;
	return FMT_ROW_SCALAR;
}

char *fmt_double_row_on(char *p, const double *v, int n, char sep, struct fmt_memo *m,
			enum fmt_row_path path)
{
#ifdef BATCH_AVX2
	if (n <= BATCH_MAX && path == FMT_ROW_AVX512)
		return row_avx512(p, v, n, sep, m);
	if (n <= BATCH_MAX && path == FMT_ROW_AVX2)
		return row_avx2(p, v, n, sep, m);
#endif
	return row_write(p, v, n, sep, m, NULL);
}

char *fmt_double_row(char *p, const double *v, int n, char sep, struct fmt_memo *m)
{
	return fmt_double_row_on(p, v, n, sep, m, fmt_row_path_best());
}
