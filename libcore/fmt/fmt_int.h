/*
 * fmt_int.h — inside libcore/fmt: the powers of ten and the fixed-point
 * logarithms of the shortest-decimal conversion (fmt.c's design note).
 * Only fmt's own .c files include it, and tests/unit/test_fmt.c, which
 * recomputes every entry and every logarithm with exact arithmetic.
 */
#ifndef DM_LIBCORE_FMT_FMT_INT_H
#define DM_LIBCORE_FMT_FMT_INT_H

#include <stdint.h>

#define FMT_K_MIN (-324)      /* k of the smallest subnormal */
#define FMT_K_MAX 292         /* k of DBL_MAX */

/*
 * fmt_pow10_g[k - FMT_K_MIN] = floor(10^-k x 2^(127 - r)) with
 * r = floor(log2 10^-k): the leading 128 bits of 10^-k, in
 * [2^127, 2^128), as { high word, low word }.  Exact (nothing cut) for
 * k in -55..0.
 */
extern const uint64_t fmt_pow10_g[FMT_K_MAX - FMT_K_MIN + 1][2];

/* floor(q log10 2) and floor(log10(3/4 x 2^q)) for |q| <= 1100, and
 * floor(j log2 10) for |j| <= 330: 32-bit fixed-point logarithms (an
 * arithmetic right shift floors negative products). */
static inline int fmt_flog10_pow2(int q)
{
	return (int)(((int64_t)q * 1292913986) >> 32);
}

static inline int fmt_flog10_3q_pow2(int q)
{
	return (int)(((int64_t)q * 1292913986 - 536607788) >> 32);
}

static inline int fmt_flog2_pow10(int j)
{
	return (int)(((int64_t)j * 14267572527) >> 32);
}

#endif /* DM_LIBCORE_FMT_FMT_INT_H */
