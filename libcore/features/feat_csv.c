/*
 * feat_csv.c — feature rows as CSV text (feat_csv.h has the number rules).
 */
#include "libcore/features/feat_csv.h"

#include <math.h>
#include <string.h>

#define SIG 15                         /* significant digits written */

static const double pow10_tab[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* v x 10^k; exact powers (|k| <= 22) keep it within one rounding. */
static double scale10(double v, int k)
{
	if (k >= 0 && k <= 22)
		return v * pow10_tab[k];
	if (k < 0 && k >= -22)
		return v / pow10_tab[-k];
	while (k > 300) {                  /* subnormal v: 10^k would overflow */
		v *= 1e22;
		k -= 22;
	}
	return v * pow(10.0, (double)k);
}

static const char pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Exactly 4 digits of x < 10000 at p. */
static inline void put4(char *p, uint32_t x)
{
	memcpy(p, pairs + 2 * (x / 100), 2);
	memcpy(p + 2, pairs + 2 * (x % 100), 2);
}

/* Exactly 8 digits of x < 10^8 at p: two independent halves. */
static inline void put8(char *p, uint32_t x)
{
	put4(p, x / 10000);
	put4(p + 4, x % 10000);
}

/* Decimal digits of u, most significant first, at p; returns the end. */
static char *put_u64(char *p, uint64_t u)
{
	char tmp[24];
	int n = 24;

	while (u >= 100) {
		n -= 2;
		memcpy(tmp + n, pairs + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		n -= 2;
		memcpy(tmp + n, pairs + 2 * u, 2);
	} else {
		tmp[--n] = (char)('0' + u);
	}
	memcpy(p, tmp + n, (size_t)(24 - n));
	return p + 24 - n;
}

/* floor(log10(v)) for finite v > 0: from the binary exponent (never above
 * the truth, at most one below), then one check. */
static int dec_exp(double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	int e2 = (int)((bits >> 52) & 0x7ff) - 1023;
	if (e2 == -1023)                   /* subnormal */
		return (int)floor(log10(v));
	int e = (e2 * 78913) >> 18;        /* floor(e2 * log10(2)) */
	if (e + 1 >= -22 && e + 1 <= 22) {
		if (e + 1 >= 0 ? v >= pow10_tab[e + 1] : v * pow10_tab[-(e + 1)] >= 1.0)
			e++;
		return e;
	}
	return (int)floor(log10(v));
}

char *feat_csv_double(char *p, double v)
{
	if (isnan(v)) {
		memcpy(p, "nan", 3);
		return p + 3;
	}
	if (v == 0) {
		*p++ = '0';
		return p;
	}
	if (v < 0) {
		*p++ = '-';
		v = -v;
	}
	if (isinf(v)) {
		memcpy(p, "inf", 3);
		return p + 3;
	}
	if (v < 1e15 && v == (double)(uint64_t)v)
		return put_u64(p, (uint64_t)v);

	/* d = the SIG leading digits of v, v ~ d x 10^(e - SIG + 1) */
	int e = dec_exp(v);
	uint64_t d = (uint64_t)(scale10(v, SIG - 1 - e) + 0.5);
	const uint64_t lo = 100000000000000ull, hi = 1000000000000000ull; /* 1e14, 1e15 */

	if (d < lo) {                      /* v * 10^k rounded below a power */
		e--;
		d = (uint64_t)(scale10(v, SIG - 1 - e) + 0.5);
	}
	if (d >= hi) {                     /* rounding carried into a new digit */
		e++;
		d = (d + 5) / 10;
	}
	char dig[16];                      /* SIG = 15 digits: 7 + 8 */
	uint32_t top = (uint32_t)(d / 100000000u);
	put8(dig + 7, (uint32_t)(d % 100000000u));
	put4(dig + 3, top % 10000);
	dig[0] = (char)('0' + top / 1000000);
	memcpy(dig + 1, pairs + 2 * (top / 10000 % 100), 2);
	int nd = SIG;
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;

	if (e >= -4 && e < SIG) {
		if (e < 0) {
			*p++ = '0';
			*p++ = '.';
			for (int i = -1; i > e; i--)
				*p++ = '0';
			memcpy(p, dig, (size_t)nd);
			return p + nd;
		}
		int ip = e + 1;                /* digits before the point */
		for (int i = 0; i < ip; i++)
			*p++ = i < nd ? dig[i] : '0';
		if (nd > ip) {
			*p++ = '.';
			memcpy(p, dig + ip, (size_t)(nd - ip));
			p += nd - ip;
		}
		return p;
	}
	*p++ = dig[0];
	if (nd > 1) {
		*p++ = '.';
		memcpy(p, dig + 1, (size_t)(nd - 1));
		p += nd - 1;
	}
	*p++ = 'e';
	*p++ = e < 0 ? '-' : '+';
	unsigned ae = (unsigned)(e < 0 ? -e : e);
	if (ae < 10)
		*p++ = '0';
	return put_u64(p, ae);
}

size_t feat_csv_header(char *buf, size_t cap)
{
	size_t n = 0;
	const char *first = "t_ns";

	for (int i = -1; i < FEAT_N; i++) {
		const char *s = i < 0 ? first : feat_names[i];
		size_t k = strlen(s);

		if (n + k + 2 > cap)
			return 0;
		memcpy(buf + n, s, k);
		n += k;
		buf[n++] = i == FEAT_N - 1 ? '\n' : ',';
	}
	buf[n] = '\0';
	return n;
}

size_t feat_csv_row(char *buf, int64_t t_ns, const double v[FEAT_N])
{
	char *p = buf;

	if (t_ns < 0) {
		*p++ = '-';
		p = put_u64(p, 0 - (uint64_t)t_ns);
	} else {
		p = put_u64(p, (uint64_t)t_ns);
	}
	for (int i = 0; i < FEAT_N; i++) {
		*p++ = ',';
		p = feat_csv_double(p, v[i]);
	}
	*p++ = '\n';
	return (size_t)(p - buf);
}
