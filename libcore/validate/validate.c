/*
 * validate.c — moments, PSR, DSR, PBO by CSCV and CPCV paths (validate.h;
 * formulas and references in docs/validation.md).
 */
#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "libcore/validate/validate.h"

/* ------------------------------------------------------------ moments */

void validate_moments(const double *r, size_t n, struct validate_moments *m)
{
	m->n = n;
	m->mean = m->stdev = m->skew = m->kurt = m->sr = NAN;
	if (n == 0)
		return;
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += r[i];
	double mean = sum / (double)n;
	if (n < 2) {
		m->mean = mean;
		return;
	}
	/* second pass about the first mean, then the binomial shift to the
	 * corrected mean mean + c: sum (d - c)^k with sum d = n c.  The
	 * correction removes the rounding of the first mean from m2..m4. */
	double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
	int constant = 1;
	for (size_t i = 0; i < n; i++) {
		double d = r[i] - mean, d2 = d * d;
		s1 += d;
		s2 += d2;
		s3 += d2 * d;
		s4 += d2 * d2;
		constant &= r[i] == r[0];
	}
	double dn = (double)n, c = s1 / dn, c2 = c * c;
	m->mean = mean + c;
	if (constant) {
		m->mean = r[0];
		m->stdev = 0;
		return;
	}
	double m2 = s2 - dn * c2;
	double m3 = s3 - 3 * c * s2 + 2 * dn * c2 * c;
	double m4 = s4 - 4 * c * s3 + 6 * c2 * s2 - 3 * dn * c2 * c2;
	if (!(m2 > 0)) { /* NaN data, or dispersion below rounding */
		m->stdev = isnan(m2) ? NAN : 0;
		return;
	}
	m->stdev = sqrt(m2 / (dn - 1));
	m->sr = m->mean / m->stdev;
	double v = m2 / dn; /* the n-divisor variance of the standardized moments */
	m->skew = m3 / dn / (v * sqrt(v));
	m->kurt = m4 / dn / (v * v);
}

double validate_sharpe(const double *r, size_t n)
{
	struct validate_moments m;
	validate_moments(r, n, &m);
	return m.sr;
}

double validate_sharpe_annual(double sr, double periods_per_year)
{
	if (!(periods_per_year > 0))
		return NAN;
	return sr * sqrt(periods_per_year);
}

/* ------------------------------------------------------------ normal law */

double validate_norm_cdf(double x)
{
	return 0.5 * erfc(-x * M_SQRT1_2);
}

/* Acklam's coefficients: central region |p - 1/2| <= 1/2 - P_LOW, tails
 * in q = sqrt(-2 ln p). */
#define P_LOW 0.02425
static const double acklam_a[6] = { -3.969683028665376e+01, 2.209460984245205e+02,
				    -2.759285104469687e+02, 1.383577518672690e+02,
				    -3.066479806614716e+01, 2.506628277459239e+00 };
static const double acklam_b[5] = { -5.447609879822406e+01, 1.615858368580409e+02,
				    -1.556989798598866e+02, 6.680131188771972e+01,
				    -1.328068155288572e+01 };
static const double acklam_c[6] = { -7.784894002430293e-03, -3.223964580411365e-01,
				    -2.400758277161838e+00, -2.549732539343734e+00,
				    4.374664141464968e+00, 2.938163982698783e+00 };
static const double acklam_d[4] = { 7.784695709041462e-03, 3.224671290700398e-01,
				    2.445134137142996e+00, 3.754408661907416e+00 };

/* Phi^-1(p) for 0 < p <= 1/2: the rational guess, then one Halley step. */
static double quantile_lower(double p)
{
	const double *a = acklam_a, *b = acklam_b, *c = acklam_c, *d = acklam_d;
	double x;
	if (p < P_LOW) {
		double q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else {
		double q = p - 0.5, r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	/* Halley on Phi(x) - p: u = (Phi(x) - p) / phi(x).  exp(x^2 / 2)
	 * alone overflows past |x| = 37.7 (subnormal p); its square root
	 * twice, after the small e, does not */
	double e = validate_norm_cdf(x) - p, h = exp(0.25 * x * x);
	double u = e * h * h * sqrt(2 * M_PI);
	return x - u / (1 + 0.5 * x * u);
}

double validate_norm_quantile(double p)
{
	if (!(p >= 0 && p <= 1))
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;
	/* 1 - p is exact for p >= 1/2, and the refinement is accurate in the
	 * lower half, where Phi is small and erfc keeps its digits */
	return p <= 0.5 ? quantile_lower(p) : -quantile_lower(1 - p);
}

/* ------------------------------------------------------------ PSR, DSR */

double validate_psr(double sr, double sr_star, uint64_t n, double skew, double kurt)
{
	if (n < 2)
		return NAN;
	double rad = 1 - skew * sr + (kurt - 1) / 4 * sr * sr;
	if (!(rad > 0)) /* also NaN */
		return NAN;
	double z = (sr - sr_star) * sqrt((double)(n - 1)) / sqrt(rad);
	return validate_norm_cdf(z);
}

double validate_expected_max(uint64_t n_trials)
{
	if (n_trials == 0)
		return NAN;
	if (n_trials == 1)
		return 0;
	const double g = VALIDATE_EULER_GAMMA, nt = (double)n_trials;
	return (1 - g) * validate_norm_quantile(1 - 1 / nt) +
	       g * validate_norm_quantile(1 - 1 / (nt * M_E));
}

double validate_sr0(uint64_t n_trials, double var_sr)
{
	if (n_trials == 0 || !(var_sr >= 0))
		return NAN;
	if (n_trials == 1)
		return 0;
	return sqrt(var_sr) * validate_expected_max(n_trials);
}

double validate_dsr(double sr, uint64_t n, double skew, double kurt, uint64_t n_trials,
		    double var_sr)
{
	return validate_psr(sr, validate_sr0(n_trials, var_sr), n, skew, kurt);
}

/* ------------------------------------------------------------ combinations */

/* C(n, k) for n <= 64, exact: each partial product r * (n - i) / (i + 1)
 * is C(n, i + 1) times a whole number, and r * (n - i) fits in 128 bits. */
static uint64_t binomial(uint32_t n, uint32_t k)
{
	if (k > n)
		return 0;
	if (k > n - k)
		k = n - k;
	unsigned __int128 r = 1;
	for (uint32_t i = 0; i < k; i++)
		r = r * (n - i) / (i + 1);
	return (uint64_t)r;
}

/* The first k-combination of 0 .. n-1 in lexicographic order. */
static void comb_first(uint32_t *idx, uint32_t k)
{
	for (uint32_t i = 0; i < k; i++)
		idx[i] = i;
}

/* The next one; 0 after the last. */
static int comb_next(uint32_t *idx, uint32_t k, uint32_t n)
{
	uint32_t i = k;
	while (i > 0 && idx[i - 1] == n - k + i - 1)
		i--;
	if (i == 0)
		return 0;
	idx[i - 1]++;
	for (uint32_t j = i; j < k; j++)
		idx[j] = idx[j - 1] + 1;
	return 1;
}

/* ------------------------------------------------------------ PBO (CSCV) */

uint32_t validate_pbo_combinations(uint32_t s)
{
	if (s < 2 || s > VALIDATE_PBO_MAX_BLOCKS || s % 2)
		return 0;
	return (uint32_t)binomial(s, s / 2);
}

size_t validate_pbo_worksize(uint32_t n_trials, uint32_t s)
{
	if (n_trials < 2 || validate_pbo_combinations(s) == 0)
		return 0;
	return sizeof(double) * (2 * (size_t)s + 2) * n_trials;
}

/*
 * Sharpe ratio of trial j over the h blocks listed in blk, each of len
 * rows, from the blocks' means and centred sums of squares: the pooled
 * sum of squares is the blocks' own plus len x the spread of their means
 * (Chan et al.), so no raw sum of squares loses digits.  A constant
 * block has m2 = 0 and its value as mean exactly, so a constant set is
 * recognised as such and not as the rounding of its mean.
 */
static double pooled_sr(const double *bmean, const double *bm2, uint32_t n_trials,
			const uint32_t *blk, uint32_t h, uint32_t len, uint32_t j)
{
	double mean = 0, m2 = 0, v0 = bmean[(size_t)blk[0] * n_trials + j];
	int flat = 1;
	for (uint32_t i = 0; i < h; i++) {
		size_t at = (size_t)blk[i] * n_trials + j;
		mean += bmean[at];
		flat &= bm2[at] == 0 && bmean[at] == v0;
	}
	if (flat) /* no dispersion: the limit of mean / stdev as stdev -> 0 */
		return v0 > 0 ? INFINITY : v0 < 0 ? -INFINITY : 0;
	mean /= h;
	for (uint32_t i = 0; i < h; i++) {
		size_t at = (size_t)blk[i] * n_trials + j;
		double d = bmean[at] - mean;
		m2 += bm2[at] + len * d * d;
	}
	if (!(m2 > 0)) /* differences below double precision */
		return mean > 0 ? INFINITY : mean < 0 ? -INFINITY : 0;
	return mean / sqrt(m2 / ((double)h * len - 1));
}

int validate_pbo(const double *ret, uint32_t t, uint32_t n_trials, uint32_t s, void *work,
		 size_t work_size, struct validate_pbo_comb *comb, double *pbo)
{
	size_t need = validate_pbo_worksize(n_trials, s);
	if (!ret || !pbo || need == 0 || !work || (uintptr_t)work % alignof(double))
		return -EINVAL;
	uint32_t h = s / 2, len = t / s;
	if ((uint64_t)h * len < 2)
		return -EINVAL;
	if (work_size < need)
		return -ENOSPC;

	/* per block and trial: mean, then centred sum of squares (two passes,
	 * row by row for the cache); a constant block gets its value as mean
	 * and m2 = 0 exactly.  is_sr holds "constant so far" meanwhile. */
	double *bmean = work, *bm2 = bmean + (size_t)s * n_trials;
	double *is_sr = bm2 + (size_t)s * n_trials, *oos_sr = is_sr + n_trials;
	double *flat = is_sr;
	for (uint32_t b = 0; b < s; b++) {
		double *mu = bmean + (size_t)b * n_trials, *m2 = bm2 + (size_t)b * n_trials;
		const double *rows = ret + (size_t)b * len * n_trials;
		memset(mu, 0, sizeof(double) * n_trials);
		memset(m2, 0, sizeof(double) * n_trials);
		for (uint32_t j = 0; j < n_trials; j++)
			flat[j] = 1;
		for (uint32_t i = 0; i < len; i++)
			for (uint32_t j = 0; j < n_trials; j++) {
				double x = rows[(size_t)i * n_trials + j];
				if (!isfinite(x))
					return -EDOM;
				mu[j] += x;
				if (x != rows[j])
					flat[j] = 0;
			}
		for (uint32_t j = 0; j < n_trials; j++)
			mu[j] = flat[j] ? rows[j] : mu[j] / len;
		for (uint32_t i = 0; i < len; i++)
			for (uint32_t j = 0; j < n_trials; j++) {
				double d = rows[(size_t)i * n_trials + j] - mu[j];
				m2[j] += d * d;
			}
	}

	uint32_t in[VALIDATE_PBO_MAX_BLOCKS / 2], out[VALIDATE_PBO_MAX_BLOCKS / 2];
	uint32_t c = 0, overfit = 0;
	comb_first(in, h);
	do {
		uint32_t mask = 0;
		for (uint32_t i = 0; i < h; i++)
			mask |= 1u << in[i];
		for (uint32_t b = 0, o = 0; b < s; b++)
			if (!(mask >> b & 1))
				out[o++] = b;
		uint32_t best = 0;
		for (uint32_t j = 0; j < n_trials; j++) {
			is_sr[j] = pooled_sr(bmean, bm2, n_trials, in, h, len, j);
			oos_sr[j] = pooled_sr(bmean, bm2, n_trials, out, h, len, j);
			if (is_sr[j] > is_sr[best]) /* strict: ties keep the lowest index */
				best = j;
		}
		/* twice the rank, ties at their mean: 2 (1 + below) + equal others */
		uint64_t rank2 = 2;
		for (uint32_t j = 0; j < n_trials; j++)
			if (j != best)
				rank2 += oos_sr[j] < oos_sr[best] ? 2 : oos_sr[j] == oos_sr[best];
		if (rank2 <= (uint64_t)n_trials + 1)
			overfit++;
		if (comb) {
			double omega = (double)rank2 / (2.0 * ((double)n_trials + 1));
			comb[c] = (struct validate_pbo_comb){
				.is_mask = mask, .best = best,
				.is_sr = is_sr[best], .oos_sr = oos_sr[best],
				.omega = omega, .logit = log(omega / (1 - omega)),
			};
		}
		c++;
	} while (comb_next(in, h, s));
	*pbo = (double)overfit / c;
	return 0;
}

/* ------------------------------------------------------------ CPCV paths */

uint64_t validate_cpcv_splits(uint32_t n_groups, uint32_t k)
{
	if (k < 1 || k >= n_groups || n_groups > VALIDATE_CPCV_MAX_GROUPS)
		return 0;
	return binomial(n_groups, k);
}

uint64_t validate_cpcv_paths(uint32_t n_groups, uint32_t k)
{
	if (validate_cpcv_splits(n_groups, k) == 0)
		return 0;
	return binomial(n_groups - 1, k - 1);
}

int validate_cpcv_table(uint32_t n_groups, uint32_t k, uint32_t *groups, uint32_t *path_of)
{
	if (!path_of || validate_cpcv_splits(n_groups, k) == 0)
		return -EINVAL;
	uint32_t idx[VALIDATE_CPCV_MAX_GROUPS], seen[VALIDATE_CPCV_MAX_GROUPS] = { 0 };
	size_t row = 0;
	comb_first(idx, k);
	do {
		for (uint32_t j = 0; j < k; j++) {
			if (groups)
				groups[row + j] = idx[j];
			path_of[row + j] = seen[idx[j]]++;
		}
		row += k;
	} while (comb_next(idx, k, n_groups));
	return 0;
}
