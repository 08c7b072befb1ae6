/*
 * test_validate.c — the overfitting statistics (libcore/validate/validate.h)
 * against independent computations: hand-worked moments and a plain
 * two-pass in long double, normal quantiles computed to 50 digits
 * elsewhere, the normal distribution by quadrature of its density, the
 * expected maximum by Monte Carlo, the deflated Sharpe ratio example of
 * Bailey & Lopez de Prado (2014), PBO by a naive re-implementation of
 * CSCV, and the CPCV path table against its defining properties.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>

#include "libcore/validate/validate.h"
#include "tests/helpers.h"

/* |got - want| <= tol x max(1, |want|) */
static int t_near(double got, double want, double tol)
{
	return fabs(got - want) <= tol * fmax(1.0, fabs(want));
}

/* |got - want| <= tol x |want| */
static int t_rel(double got, double want, double tol)
{
	return fabs(got - want) <= tol * fabs(want);
}

#define expect_near(got, want, tol)                                                  \
	do {                                                                         \
		double g_ = (got), w_ = (want);                                      \
		cr_expect(t_near(g_, w_, (tol)), "%s = %.17g, want %.17g", #got, g_, w_); \
	} while (0)

#define expect_rel(got, want, tol)                                                   \
	do {                                                                         \
		double g_ = (got), w_ = (want);                                      \
		cr_expect(t_rel(g_, w_, (tol)), "%s = %.17g, want %.17g", #got, g_, w_); \
	} while (0)

/* uniform in (0, 1), never 0 */
static double t_unit(struct t_rng *g)
{
	return ((double)(t_rng_next(g) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* standard normal by Box-Muller (one of the pair) */
static double t_gauss(struct t_rng *g)
{
	double u = t_unit(g), v = t_unit(g);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* ------------------------------------------------------------ moments */

/* plain two-pass in long double, n-divisor standardized moments */
static void naive_moments(const double *r, size_t n, long double *mean, long double *sd,
			  long double *skew, long double *kurt)
{
	long double s = 0, m2 = 0, m3 = 0, m4 = 0;
	for (size_t i = 0; i < n; i++)
		s += r[i];
	*mean = s / n;
	for (size_t i = 0; i < n; i++) {
		long double d = r[i] - *mean;
		m2 += d * d;
		m3 += d * d * d;
		m4 += d * d * d * d;
	}
	*sd = sqrtl(m2 / (n - 1));
	long double v = m2 / n;
	*skew = m3 / n / powl(v, 1.5L);
	*kurt = m4 / n / (v * v);
}

Test(validate, moments_of_a_hand_worked_series)
{
	/* mean 4; deviations -3 -2 -1 0 6: sum d^2 = 50, d^3 = 180, d^4 = 1394;
	 * m2 = 10, m3 = 36, m4 = 278.8 */
	const double r[] = { 1, 2, 3, 4, 10 };
	struct validate_moments m;
	validate_moments(r, 5, &m);
	cr_expect_eq(m.n, 5);
	cr_expect(t_near(m.mean, 4.0, 1e-15), "mean %.17g", m.mean);
	cr_expect(t_near(m.stdev, sqrt(12.5), 1e-15), "stdev %.17g", m.stdev);
	cr_expect(t_near(m.skew, 36.0 / pow(10.0, 1.5), 1e-14), "skew %.17g", m.skew);
	cr_expect(t_near(m.kurt, 2.788, 1e-14), "kurt %.17g", m.kurt);
	cr_expect(t_near(m.sr, 4.0 / sqrt(12.5), 1e-15), "sr %.17g", m.sr);
	expect_near(validate_sharpe(r, 5), 4.0 / sqrt(12.5), 1e-15);

	/* two points: m2 = m4 = 1, no skew, kurtosis 1 */
	const double pm[] = { -1, 1 };
	validate_moments(pm, 2, &m);
	cr_expect_eq(m.mean, 0.0);
	expect_near(m.stdev, M_SQRT2, 1e-15);
	cr_expect_eq(m.skew, 0.0);
	expect_near(m.kurt, 1.0, 1e-15);
	cr_expect_eq(m.sr, 0.0);
}

Test(validate, moments_match_a_long_double_two_pass_far_from_zero)
{
	/* a mean 10^4 standard deviations away from 0: a one-pass sum of
	 * squares would lose most digits here */
	enum { N = 5000 };
	static double r[N];
	struct t_rng g;
	t_rng_seed(&g, 11);
	for (size_t i = 0; i < N; i++) {
		double z = t_gauss(&g);
		r[i] = 100.0 + 0.01 * (z + 0.3 * z * z); /* skewed */
	}
	long double mean, sd, skew, kurt;
	naive_moments(r, N, &mean, &sd, &skew, &kurt);
	struct validate_moments m;
	validate_moments(r, N, &m);
	cr_expect(t_rel(m.mean, mean, 1e-15), "mean %.17g vs %.17Lg", m.mean, mean);
	cr_expect(t_rel(m.stdev, sd, 1e-10), "stdev %.17g vs %.17Lg", m.stdev, sd);
	cr_expect(t_rel(m.skew, skew, 1e-8), "skew %.17g vs %.17Lg", m.skew, skew);
	cr_expect(t_rel(m.kurt, kurt, 1e-8), "kurt %.17g vs %.17Lg", m.kurt, kurt);
	cr_expect(t_rel(m.sr, mean / sd, 1e-10), "sr %.17g", m.sr);
	cr_expect(skew > 0.5, "the series is skewed: %Lg", skew);
}

Test(validate, moments_of_degenerate_series_are_nan)
{
	struct validate_moments m;
	validate_moments(NULL, 0, &m);
	cr_expect_eq(m.n, 0);
	cr_expect(isnan(m.mean) && isnan(m.stdev) && isnan(m.skew) && isnan(m.kurt) &&
		  isnan(m.sr));

	const double one = 0.25;
	validate_moments(&one, 1, &m);
	cr_expect_eq(m.mean, 0.25);
	cr_expect(isnan(m.stdev) && isnan(m.skew) && isnan(m.kurt) && isnan(m.sr));
	cr_expect(isnan(validate_sharpe(&one, 1)));

	/* 0.1 is inexact: the mean must still come back as the value itself */
	const double flat[] = { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 };
	validate_moments(flat, 7, &m);
	cr_expect_eq(m.mean, 0.1);
	cr_expect_eq(m.stdev, 0.0);
	cr_expect(isnan(m.skew) && isnan(m.kurt) && isnan(m.sr));
	cr_expect(isnan(validate_sharpe(flat, 7)));

	const double bad[] = { 1, NAN, 2 };
	validate_moments(bad, 3, &m);
	cr_expect(isnan(m.mean) && isnan(m.stdev) && isnan(m.sr));
}

Test(validate, annual_sharpe_scales_by_root_periods)
{
	expect_near(validate_sharpe_annual(0.1, 252), 0.1 * 15.874507866387544, 1e-15);
	expect_near(validate_sharpe_annual(-0.02, 252 * 390.0), -0.02 * sqrt(98280.0), 1e-15);
	cr_expect(isnan(validate_sharpe_annual(0.1, 0)));
	cr_expect(isnan(validate_sharpe_annual(0.1, -252)));
	cr_expect(isnan(validate_sharpe_annual(0.1, NAN)));
}

/* ------------------------------------------------------------ normal law */

/* Quantiles computed elsewhere to 50 digits (root of Phi(x) = p). */
static const struct {
	double p, x;
} quantiles[] = {
	{ 0.975, 1.9599639845400542355 },    { 0.025, -1.9599639845400542355 },
	{ 1e-10, -6.3613409024040562047 },   { 0.99, 2.3263478740408411009 },
	{ 0.999, 3.0902323061678135415 },    { 0.001, -3.0902323061678135415 },
	{ 0.9, 1.281551565544600467 },       { 0.3, -0.52440051270804078404 },
	{ 1e-5, -4.2648907939228246285 },    { 1e-300, -37.047096299361199237 },
	/* either side of the seam between Acklam's regions */
	{ 0.02425, -1.9729610513118848503 }, { 0.97575, 1.9729610513118848503 },
};

Test(validate, norm_quantile_matches_known_values)
{
	for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++) {
		double got = validate_norm_quantile(quantiles[i].p);
		/* the decimal p itself is rounded: allow a few ulps of x */
		cr_expect(t_rel(got, quantiles[i].x, 4e-15), "Phi^-1(%g) = %.17g, want %.17g",
			   quantiles[i].p, got, quantiles[i].x);
	}
	cr_expect_eq(validate_norm_quantile(0.5), 0.0);
}

Test(validate, norm_quantile_edges)
{
	cr_expect(isinf(validate_norm_quantile(0)) && validate_norm_quantile(0) < 0);
	cr_expect(isinf(validate_norm_quantile(1)) && validate_norm_quantile(1) > 0);
	cr_expect(isnan(validate_norm_quantile(-1e-300)));
	cr_expect(isnan(validate_norm_quantile(1.0000001)));
	cr_expect(isnan(validate_norm_quantile(NAN)));
	/* subnormal p: finite, below the smallest normal p's quantile */
	double sub = validate_norm_quantile(4.9e-324);
	cr_expect(isfinite(sub) && sub < validate_norm_quantile(2.3e-308), "%.17g", sub);
}

Test(validate, norm_quantile_inverts_the_cdf_over_the_range)
{
	/* x -> Phi -> Phi^-1 is well conditioned in the lower tail
	 * (dx / x = dp / p / x^2): a few ulps of x from -37.5 (Phi = 4.6e-308,
	 * near the smallest normal double) to 0; above 0, Phi(x) as a double
	 * near 1 has lost the digits, and symmetry covers that half */
	for (int i = 0; i <= 3750; i++) {
		double x = -37.5 + i * 0.01;
		double back = validate_norm_quantile(validate_norm_cdf(x));
		cr_expect(t_near(back, x, 4e-15), "Phi^-1(Phi(%.17g)) = %.17g", x, back);
	}
	/* subnormal p carries fewer digits than x (down to one bit): the
	 * quantile maps back onto the same p, within a few units of the last */
	for (double x = -38.45; x < -37.5; x += 0.05) {
		double p = validate_norm_cdf(x), back = validate_norm_quantile(p);
		cr_expect(p > 0 && fabs(validate_norm_cdf(back) - p) <= 1e-9 * p + 2 * 4.9e-324,
			  "Phi(Phi^-1(%a)) = %a", p, validate_norm_cdf(back));
	}
	/* p -> Phi^-1 -> Phi is not: rounding x to a double moves Phi by
	 * x^2 ulps in the tail.  p from 1e-300 to 1/2, 20 points a decade */
	for (int i = 0; i <= 6000; i++) {
		double p = pow(10.0, -300.0 + i * 0.05);
		if (p > 0.5)
			break;
		double x = validate_norm_quantile(p), back = validate_norm_cdf(x);
		cr_expect(t_rel(back, p, 2.3e-16 * (8 + 2 * x * x)),
			  "Phi(Phi^-1(%.17g)) = %.17g", p, back);
		cr_expect_eq(validate_norm_quantile(1 - p), -validate_norm_quantile(1 - (1 - p)),
			     "symmetry at %g", p);
	}
	/* the upper half, where 1 - p is exact */
	for (int i = 1; i < 1000; i++) {
		double p = 0.5 + i * 0.0005;
		double x = validate_norm_quantile(p);
		cr_expect(t_rel(1 - validate_norm_cdf(x), 1 - p, 1e-12), "upper p %g", p);
	}
}

/*
 * Phi by composite Simpson quadrature of the density from -40 (where the
 * mass below is far under 1e-300): an independent path to the CDF.
 */
static double quad_phi(double z)
{
	const int n = 200000; /* even */
	double a = -40, h = (z - a) / n, s = 0;
	for (int i = 0; i <= n; i++) {
		double x = a + i * h, f = exp(-0.5 * x * x);
		s += (i == 0 || i == n) ? f : (i % 2 ? 4 * f : 2 * f);
	}
	return s * h / 3 / sqrt(2 * M_PI);
}

Test(validate, norm_cdf_matches_quadrature)
{
	const double zs[] = { -8, -3.5, -1.2, 0, 0.4, 1.959963984540054, 3 };
	for (size_t i = 0; i < sizeof(zs) / sizeof(zs[0]); i++)
		cr_expect(t_rel(validate_norm_cdf(zs[i]), quad_phi(zs[i]), 1e-10), "Phi(%g)", zs[i]);
	cr_expect_eq(validate_norm_cdf(0), 0.5);
	expect_rel(validate_norm_cdf(-6.3613409024040562), 1e-10, 1e-13);
}

/* ------------------------------------------------------------ PSR */

/* the PSR written out, its Phi by quadrature */
static double naive_psr(double sr, double sr_star, double n, double g3, double g4)
{
	double z = (sr - sr_star) * sqrt(n - 1) / sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr * sr);
	return quad_phi(z);
}

Test(validate, psr_matches_the_closed_form)
{
	const struct {
		double sr, sr_star;
		uint64_t n;
		double skew, kurt;
	} c[] = {
		{ 0.1, 0.0, 250, -0.5, 5.0 },    { 0.05, 0.02, 1000, 0.3, 3.5 },
		{ 0.1581, 0.1132, 1250, -3, 10 }, { -0.02, 0.0, 500, 0.0, 3.0 },
		{ 0.3, 0.1, 24, -1.5, 12.0 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		double got = validate_psr(c[i].sr, c[i].sr_star, c[i].n, c[i].skew, c[i].kurt);
		double want = naive_psr(c[i].sr, c[i].sr_star, (double)c[i].n, c[i].skew,
					c[i].kurt);
		cr_expect(t_rel(got, want, 1e-9), "case %zu: %.17g vs %.17g", i, got, want);
	}
}

Test(validate, psr_properties)
{
	/* at the benchmark: one half, whatever the shape */
	cr_expect_eq(validate_psr(0.12, 0.12, 300, -1.1, 7.0), 0.5);
	cr_expect_eq(validate_psr(-0.3, -0.3, 2, 0.4, 2.0), 0.5);

	/* more data: more confident either way */
	double up = 0, down = 1;
	for (uint64_t n = 2; n < 5000; n += 97) {
		double a = validate_psr(0.05, 0.0, n, -0.8, 6.0);
		double b = validate_psr(-0.05, 0.0, n, -0.8, 6.0);
		cr_expect(a > up, "n %lu: %.17g not above %.17g", (unsigned long)n, a, up);
		cr_expect(b < down, "n %lu: %.17g not below %.17g", (unsigned long)n, b, down);
		up = a;
		down = b;
	}

	/* a normal series: Phi((sr - sr*) sqrt(n - 1) / sqrt(1 + sr^2 / 2)) */
	double sr = 0.08, star = 0.03;
	double z = (sr - star) * sqrt(399.0) / sqrt(1 + sr * sr / 2);
	expect_rel(validate_psr(sr, star, 400, 0, 3), 0.5 * erfc(-z / sqrt(2.0)), 1e-15);

	/* negative skew and fat tails widen the estimate: a lower PSR */
	cr_expect_lt(validate_psr(sr, star, 400, -2, 9), validate_psr(sr, star, 400, 0, 3));
}

Test(validate, psr_undefined_cases_are_nan)
{
	cr_expect(isnan(validate_psr(0.1, 0, 1, 0, 3)), "n = 1");
	cr_expect(isnan(validate_psr(0.1, 0, 0, 0, 3)), "n = 0");
	/* 1 - 3 x 1 + 0 < 0 and 1 - 2 x 1 + (5 - 1)/4 = 0 */
	cr_expect(isnan(validate_psr(1.0, 0, 100, 3, 1)), "negative radicand");
	cr_expect(isnan(validate_psr(1.0, 0, 100, 2, 5)), "zero radicand");
	cr_expect(isnan(validate_psr(NAN, 0, 100, 0, 3)));
	cr_expect(isnan(validate_psr(0.1, 0, 100, NAN, 3)));
}

/* ------------------------------------------------------------ E[max], DSR */

Test(validate, expected_max_matches_the_formula)
{
	/* the formula at 50 digits, computed elsewhere */
	expect_rel(validate_expected_max(2), 0.51975534428059392, 1e-14);
	expect_rel(validate_expected_max(10), 1.57459830134575, 1e-14);
	expect_rel(validate_expected_max(100), 2.530602893201682, 1e-14);
	expect_rel(validate_expected_max(1000), 3.2551215136527256, 1e-14);
	cr_expect_eq(validate_expected_max(1), 0.0);
	cr_expect(isnan(validate_expected_max(0)));
	/* grows with the number of trials */
	for (uint64_t n = 2; n < 100000; n = n * 3 / 2 + 1)
		cr_expect_lt(validate_expected_max(n), validate_expected_max(n * 3 / 2 + 1));
}

/* mean of the largest of n standard normals, over draws maxima */
static double mc_expected_max(uint32_t n, uint32_t draws, uint64_t seed)
{
	struct t_rng g;
	t_rng_seed(&g, seed);
	double sum = 0;
	for (uint32_t d = 0; d < draws; d++) {
		double mx = -INFINITY;
		for (uint32_t i = 0; i < n; i++)
			mx = fmax(mx, t_gauss(&g));
		sum += mx;
	}
	return sum / draws;
}

Test(validate, expected_max_is_close_to_monte_carlo, .timeout = 60)
{
	/* the approximation is within about 1% of the exact mean for N >= 100;
	 * the Monte Carlo error here is about 0.1% */
	uint32_t draws = T_SANITIZED ? 5000 : 20000;
	double mc100 = mc_expected_max(100, draws, 7);
	double mc1000 = mc_expected_max(1000, draws / 4, 8);
	cr_expect(t_rel(validate_expected_max(100), mc100, 0.02), "E[max 100] vs MC %.6f", mc100);
	cr_expect(t_rel(validate_expected_max(1000), mc1000, 0.02), "E[max 1000] vs MC %.6f", mc1000);
	/* the known exact values: 2.50759 and 3.24144 */
	cr_expect(t_rel(mc100, 2.50759, 0.01), "MC %.6f", mc100);
	cr_expect(t_rel(mc1000, 3.24144, 0.01), "MC %.6f", mc1000);
}

Test(validate, sr0_scales_with_the_trials_dispersion)
{
	cr_expect_eq(validate_sr0(1, 0.25), 0.0);
	cr_expect_eq(validate_sr0(1, 7.0), 0.0);
	cr_expect_eq(validate_sr0(100, 0.0), 0.0);
	expect_rel(validate_sr0(100, 0.25), 0.5 * 2.530602893201682, 1e-14);
	cr_expect(isnan(validate_sr0(0, 0.25)));
	cr_expect(isnan(validate_sr0(100, -0.01)));
	cr_expect(isnan(validate_sr0(100, NAN)));
}

Test(validate, dsr_reproduces_the_paper_example)
{
	/* Bailey & Lopez de Prado (2014), numerical example: N = 100 trials
	 * whose annualised Sharpe ratios have variance 1/2, the best at 2.5 a
	 * year over 1250 days of 250, skew -3, kurtosis 10:
	 * SR0 = 0.1132 a day, DSR = 0.9004 */
	double ppy = 250, v = 0.5 / ppy, sr = 2.5 / sqrt(ppy);
	cr_expect(t_near(validate_sr0(100, v), 0.1132, 5e-5), "SR0 %.6f", validate_sr0(100, v));
	double dsr = validate_dsr(sr, 1250, -3, 10, 100, v);
	cr_expect(t_near(dsr, 0.9004, 5e-5), "DSR %.6f", dsr);
	/* and the same through the independent PSR */
	expect_rel(dsr, naive_psr(sr, sqrt(v) * 2.530602893201682, 1250, -3, 10), 1e-9);
}

Test(validate, dsr_of_one_trial_is_the_psr_against_zero)
{
	cr_expect_eq(validate_dsr(0.07, 600, -0.4, 4.2, 1, 0.3),
		     validate_psr(0.07, 0.0, 600, -0.4, 4.2));
	/* more trials raise the bar */
	cr_expect_lt(validate_dsr(0.07, 600, -0.4, 4.2, 50, 0.001),
		     validate_dsr(0.07, 600, -0.4, 4.2, 5, 0.001));
	cr_expect(isnan(validate_dsr(0.07, 600, -0.4, 4.2, 0, 0.001)));
	cr_expect(isnan(validate_dsr(0.07, 1, -0.4, 4.2, 10, 0.001)));
}

/* ------------------------------------------------------------ PBO */

#define MAXC 12870

static struct validate_pbo_comb combs[MAXC], combs2[MAXC];
static alignas(double) unsigned char work[1 << 16];

/* Sharpe over the rows of blocks b0 and b1 (len rows each), two-pass */
static double naive_sr2(const double *ret, uint32_t nt, uint32_t len, uint32_t b0,
			uint32_t b1, uint32_t j)
{
	double x[64];
	uint32_t m = 0;
	cr_assert(len > 0 && len <= 32, "len %u", len);
	for (uint32_t i = 0; i < len; i++)
		x[m++] = ret[(b0 * len + i) * nt + j];
	for (uint32_t i = 0; i < len; i++)
		x[m++] = ret[(b1 * len + i) * nt + j];
	double mean = 0, ss = 0;
	for (uint32_t i = 0; i < m; i++)
		mean += x[i];
	mean /= m;
	for (uint32_t i = 0; i < m; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	return mean / sqrt(ss / (m - 1));
}

/*
 * CSCV for S = 4 written out: the pairs (a, b) of in-sample blocks by
 * nested loops (lexicographic), the other two out-of-sample.
 */
static double naive_pbo_s4(const double *ret, uint32_t t, uint32_t nt,
			   struct validate_pbo_comb *out)
{
	uint32_t len = t / 4, c = 0, bad = 0;
	cr_assert(nt > 0 && nt <= 16, "nt %u", nt);
	for (uint32_t a = 0; a < 4; a++)
		for (uint32_t b = a + 1; b < 4; b++) {
			uint32_t o[2], k = 0;
			for (uint32_t x = 0; x < 4; x++)
				if (x != a && x != b)
					o[k++] = x;
			double is[16], oos[16];
			uint32_t best = 0;
			for (uint32_t j = 0; j < nt; j++) {
				is[j] = naive_sr2(ret, nt, len, a, b, j);
				oos[j] = naive_sr2(ret, nt, len, o[0], o[1], j);
			}
			for (uint32_t j = 1; j < nt; j++)
				if (is[j] > is[best])
					best = j;
			double below = 0, ties = 0;
			for (uint32_t j = 0; j < nt; j++) {
				if (j == best)
					continue;
				below += oos[j] < oos[best];
				ties += oos[j] == oos[best];
			}
			double rank = 1 + below + ties / 2;
			double w = rank / (nt + 1);
			out[c] = (struct validate_pbo_comb){
				.is_mask = (1u << a) | (1u << b), .best = best,
				.is_sr = is[best], .oos_sr = oos[best],
				.omega = w, .logit = log(w / (1 - w)),
			};
			bad += out[c].logit <= 0;
			c++;
		}
	return bad / 6.0;
}

static void fill_noise(double *ret, uint32_t t, uint32_t nt, uint64_t seed, double scale)
{
	struct t_rng g;
	t_rng_seed(&g, seed);
	for (uint32_t i = 0; i < t * nt; i++)
		ret[i] = scale * t_gauss(&g);
}

Test(validate, pbo_combination_counts)
{
	cr_expect_eq(validate_pbo_combinations(2), 2);
	cr_expect_eq(validate_pbo_combinations(4), 6);
	cr_expect_eq(validate_pbo_combinations(8), 70);
	cr_expect_eq(validate_pbo_combinations(16), 12870);
	cr_expect_eq(validate_pbo_combinations(0), 0);
	cr_expect_eq(validate_pbo_combinations(5), 0);
	cr_expect_eq(validate_pbo_combinations(18), 0);
	cr_expect_eq(validate_pbo_worksize(3, 4), 8 * (2 * 4 + 2) * 3);
	cr_expect_eq(validate_pbo_worksize(1, 4), 0);
	cr_expect_eq(validate_pbo_worksize(3, 3), 0);
}

Test(validate, pbo_matches_a_naive_cscv)
{
	/* T = 8, N = 3, S = 4: blocks of two rows, six combinations; several
	 * seeds so that every outcome shows up */
	double ret[9 * 3];
	int seen_overfit = 0, seen_fine = 0;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		fill_noise(ret, 8, 3, seed, 0.01);
		for (uint32_t i = 0; i < 8; i++)
			ret[i * 3 + 2] += 0.002; /* one trial with a small edge */
		struct validate_pbo_comb want[6];
		double want_pbo = naive_pbo_s4(ret, 8, 3, want);
		double pbo = -1;
		cr_assert_eq(validate_pbo(ret, 8, 3, 4, work, sizeof(work), combs, &pbo), 0);
		cr_expect(t_near(pbo, want_pbo, 1e-15), "seed %lu: pbo %g vs %g",
			    (unsigned long)seed, pbo, want_pbo);
		for (int c = 0; c < 6; c++) {
			cr_expect_eq(combs[c].is_mask, want[c].is_mask, "seed %lu comb %d",
				     (unsigned long)seed, c);
			cr_expect_eq(combs[c].best, want[c].best, "seed %lu comb %d",
				     (unsigned long)seed, c);
			expect_near(combs[c].is_sr, want[c].is_sr, 1e-12);
			expect_near(combs[c].oos_sr, want[c].oos_sr, 1e-12);
			cr_expect_eq(combs[c].omega, want[c].omega);
			expect_near(combs[c].logit, want[c].logit, 1e-15);
		}
		seen_overfit |= want_pbo > 0;
		seen_fine |= want_pbo < 1;

		/* a ninth row is dropped (T mod S = 1): same answer, however wild */
		ret[24] = 1e6;
		ret[25] = -1e6;
		ret[26] = 3;
		double pbo9 = -1;
		cr_assert_eq(validate_pbo(ret, 9, 3, 4, work, sizeof(work), combs2, &pbo9), 0);
		cr_expect_eq(pbo9, pbo);
		cr_expect(memcmp(combs, combs2, 6 * sizeof(combs[0])) == 0, "seed %lu",
			  (unsigned long)seed);
	}
	cr_expect(seen_overfit && seen_fine, "the seeds cover both outcomes");
}

Test(validate, pbo_of_a_dominant_trial_is_zero)
{
	/* trial 3 earns 1 a period with a little noise: the best everywhere */
	enum { T = 160, N = 6 };
	static double ret[T * N];
	fill_noise(ret, T, N, 21, 1.0);
	for (uint32_t i = 0; i < T; i++)
		ret[i * N + 3] = 1.0 + 0.05 * ret[i * N + 3];
	double pbo = -1;
	cr_assert_eq(validate_pbo(ret, T, N, 8, work, sizeof(work), combs, &pbo), 0);
	cr_expect_eq(pbo, 0.0);
	for (int c = 0; c < 70; c++) {
		cr_expect_eq(combs[c].best, 3);
		cr_expect_eq(combs[c].omega, 6.0 / 7.0);
		expect_near(combs[c].logit, log(6.0), 1e-15);
		cr_expect_gt(combs[c].is_sr, 10.0);
		cr_expect_gt(combs[c].oos_sr, 10.0);
	}

	/* a constant positive return has no dispersion: +inf, still the best */
	for (uint32_t i = 0; i < T; i++)
		ret[i * N + 3] = 0.001;
	cr_assert_eq(validate_pbo(ret, T, N, 8, work, sizeof(work), combs, &pbo), 0);
	cr_expect_eq(pbo, 0.0);
	cr_expect(isinf(combs[0].is_sr) && combs[0].is_sr > 0);
	cr_expect(isinf(combs[69].oos_sr) && combs[69].oos_sr > 0);
}

Test(validate, pbo_constant_trials_rank_by_the_sign_of_their_mean)
{
	/* S = 6: three blocks a side, and 0.1 + 0.1 + 0.1 = 0.30000000000000004,
	 * so a pooled mean of 0.1 is inexact; a constant trial must still show
	 * no dispersion (+inf), not the rounding of its mean (about 1e16) */
	enum { T = 60, N = 4 };
	double ret[T * N];
	fill_noise(ret, T, N, 31, 0.01);
	for (uint32_t i = 0; i < T; i++) {
		ret[i * N + 1] = -0.1;
		ret[i * N + 2] = 0;
		ret[i * N + 3] = 0.1;
	}
	double pbo = -1;
	cr_assert_eq(validate_pbo(ret, T, N, 6, work, sizeof(work), combs, &pbo), 0);
	cr_expect_eq(pbo, 0.0);
	for (int c = 0; c < 20; c++) {
		cr_expect_eq(combs[c].best, 3);
		cr_expect(isinf(combs[c].is_sr) && combs[c].is_sr > 0, "comb %d: %g", c,
			  combs[c].is_sr);
		cr_expect(isinf(combs[c].oos_sr) && combs[c].oos_sr > 0, "comb %d: %g", c,
			  combs[c].oos_sr);
		cr_expect_eq(combs[c].omega, 0.8);
	}
	/* without trial 3: the flat zero (Sharpe 0) beats the flat loss
	 * (-inf); against noise it wins when the noise loses */
	for (uint32_t i = 0; i < T; i++)
		ret[i * N + 3] = -0.2;
	cr_assert_eq(validate_pbo(ret, T, N, 6, work, sizeof(work), combs, &pbo), 0);
	for (int c = 0; c < 20; c++) {
		cr_expect(combs[c].best == 0 || combs[c].best == 2, "comb %d: %u", c,
			  combs[c].best);
		if (combs[c].best == 2) {
			cr_expect_eq(combs[c].is_sr, 0.0);
			cr_expect_eq(combs[c].oos_sr, 0.0);
		}
		cr_expect_geq(combs[c].omega, 0.6, "above both losers");
	}
}

Test(validate, pbo_of_reversing_trials_is_one)
{
	/* S = 2, two trials: each is good in one half and bad in the other;
	 * whichever wins in-sample comes last out-of-sample: rank 1 of 2,
	 * omega 1/3, logit ln(1/2) */
	const double ret[8 * 2] = {
		0.02, -0.01, 0.03, -0.02, 0.01, -0.01, 0.02, -0.03,
		-0.02, 0.01, -0.01, 0.03, -0.03, 0.02, -0.01, 0.01,
	};
	double pbo = -1;
	cr_assert_eq(validate_pbo(ret, 8, 2, 2, work, sizeof(work), combs, &pbo), 0);
	cr_expect_eq(pbo, 1.0);
	cr_expect_eq(combs[0].is_mask, 1u);
	cr_expect_eq(combs[0].best, 0);
	cr_expect_eq(combs[1].is_mask, 2u);
	cr_expect_eq(combs[1].best, 1);
	for (int c = 0; c < 2; c++) {
		expect_near(combs[c].omega, 1.0 / 3.0, 1e-16);
		expect_near(combs[c].logit, log(0.5), 1e-15);
		cr_expect_gt(combs[c].is_sr, 0);
		cr_expect_lt(combs[c].oos_sr, 0);
	}
	/* rows 0..3, trial 0: 0.02 0.03 0.01 0.02 -> mean 0.02, sd sqrt(2e-4/3) */
	cr_expect(t_near(combs[0].is_sr, 0.02 / sqrt(2e-4 / 3), 1e-12), "%.17g", combs[0].is_sr);
}

Test(validate, pbo_ties_pick_the_lowest_index_and_share_the_rank)
{
	/* trials 1 and 2 identical and ahead of trial 0 everywhere: n* = 1; out
	 * of sample 1 and 2 tie above 0: rank 2.5 of 3, omega 5/8 */
	enum { T = 16, N = 3 };
	double ret[T * N];
	fill_noise(ret, T, N, 5, 0.01);
	for (uint32_t i = 0; i < T; i++) {
		ret[i * N + 1] += 0.05;
		ret[i * N + 2] = ret[i * N + 1];
	}
	double pbo = -1;
	cr_assert_eq(validate_pbo(ret, T, N, 4, work, sizeof(work), combs, &pbo), 0);
	cr_expect_eq(pbo, 0.0);
	for (int c = 0; c < 6; c++) {
		cr_expect_eq(combs[c].best, 1);
		cr_expect_eq(combs[c].omega, 0.625);
		expect_near(combs[c].logit, log(5.0 / 3.0), 1e-15);
	}

	/* a median rank counts as overfit: N = 3 identical trials rank 2 of 3,
	 * omega exactly 1/2, logit 0 */
	for (uint32_t i = 0; i < T; i++)
		ret[i * N + 0] = ret[i * N + 2] = ret[i * N + 1];
	cr_assert_eq(validate_pbo(ret, T, N, 4, work, sizeof(work), combs, &pbo), 0);
	cr_expect_eq(pbo, 1.0);
	cr_expect_eq(combs[3].best, 0);
	cr_expect_eq(combs[3].logit, 0.0);
}

Test(validate, pbo_of_noise_is_near_one_half, .timeout = 60)
{
	/* N = 10 skill-less trials (an even N: ranks 1..5 of 10 are the
	 * overfit half); one dataset's combinations are strongly dependent,
	 * so average over many datasets: the mean's spread is about 0.03 */
	enum { T = 240, N = 10, RUNS = 100 };
	static double ret[T * N];
	double sum = 0;
	for (uint64_t r = 0; r < RUNS; r++) {
		fill_noise(ret, T, N, 1000 + r, 0.01);
		double pbo;
		cr_assert_eq(validate_pbo(ret, T, N, 8, work, sizeof(work), NULL, &pbo), 0);
		sum += pbo;
	}
	double mean = sum / RUNS;
	cr_expect(fabs(mean - 0.5) < 0.1, "mean PBO of noise %.4f", mean);
}

Test(validate, pbo_refuses_bad_input_and_writes_nothing)
{
	double ret[16 * 3];
	fill_noise(ret, 16, 3, 3, 0.01);
	double pbo = -7;
	size_t ws = sizeof(work);
	cr_expect_eq(validate_pbo(ret, 16, 3, 3, work, ws, combs, &pbo), -EINVAL, "odd S");
	cr_expect_eq(validate_pbo(ret, 16, 3, 0, work, ws, combs, &pbo), -EINVAL, "S 0");
	cr_expect_eq(validate_pbo(ret, 16, 3, 18, work, ws, combs, &pbo), -EINVAL, "S 18");
	cr_expect_eq(validate_pbo(ret, 16, 1, 4, work, ws, combs, &pbo), -EINVAL, "one trial");
	cr_expect_eq(validate_pbo(ret, 3, 3, 4, work, ws, combs, &pbo), -EINVAL, "no rows");
	cr_expect_eq(validate_pbo(ret, 3, 3, 2, work, ws, combs, &pbo), -EINVAL,
		     "one row a side");
	cr_expect_eq(validate_pbo(NULL, 16, 3, 4, work, ws, combs, &pbo), -EINVAL);
	cr_expect_eq(validate_pbo(ret, 16, 3, 4, work, ws, combs, NULL), -EINVAL);
	cr_expect_eq(validate_pbo(ret, 16, 3, 4, NULL, ws, combs, &pbo), -EINVAL);
	cr_expect_eq(validate_pbo(ret, 16, 3, 4, work + 4, ws - 4, combs, &pbo), -EINVAL,
		     "misaligned");
	cr_expect_eq(validate_pbo(ret, 16, 3, 4, work, validate_pbo_worksize(3, 4) - 1, combs,
				  &pbo), -ENOSPC);
	ret[17] = NAN;
	cr_expect_eq(validate_pbo(ret, 16, 3, 4, work, ws, combs, &pbo), -EDOM);
	ret[17] = INFINITY;
	cr_expect_eq(validate_pbo(ret, 16, 3, 4, work, ws, combs, &pbo), -EDOM);
	cr_expect_eq(pbo, -7.0);
	/* an infinite value in a dropped row is never read */
	ret[17] = 0;
	ret[15 * 3] = INFINITY;
	cr_expect_eq(validate_pbo(ret, 15, 3, 4, work, ws, combs, &pbo), 0);
	/* exactly the work size it asks for */
	cr_expect_eq(validate_pbo(ret, 15, 3, 4, work, validate_pbo_worksize(3, 4), combs, &pbo),
		     0);
}

Test(validate, pbo_with_sixteen_blocks_enumerates_every_half)
{
	enum { T = 64, N = 4 };
	static double ret[T * N];
	fill_noise(ret, T, N, 99, 0.01);
	double pbo;
	cr_assert_eq(validate_pbo(ret, T, N, 16, work, sizeof(work), combs, &pbo), 0);
	/* every 8-of-16 mask once, in increasing lexicographic order of the
	 * chosen indices (for masks: the lowest differing bit set first) */
	uint32_t count = 0, overfit = 0;
	for (int c = 0; c < MAXC; c++) {
		cr_assert_eq(__builtin_popcount(combs[c].is_mask), 8);
		cr_assert_lt(combs[c].is_mask, 1u << 16);
		if (c > 0) {
			uint32_t diff = combs[c].is_mask ^ combs[c - 1].is_mask;
			uint32_t low = diff & -diff;
			cr_assert(combs[c - 1].is_mask & low, "order at %d", c);
		}
		count++;
		overfit += combs[c].logit <= 0;
	}
	cr_expect_eq(count, 12870);
	cr_expect_eq(combs[0].is_mask, 0x00ffu);
	cr_expect_eq(combs[MAXC - 1].is_mask, 0xff00u);
	expect_near(pbo, overfit / 12870.0, 1e-15);
	/* the symmetric twin: the complement's IS is this one's OOS */
	cr_expect_eq(combs[0].is_mask ^ combs[MAXC - 1].is_mask, 0xffffu);
}

/* ------------------------------------------------------------ CPCV */

/* C(n, k) by Pascal's triangle */
static uint64_t pascal(uint32_t n, uint32_t k)
{
	static uint64_t row[65];
	memset(row, 0, sizeof(row));
	row[0] = 1;
	for (uint32_t i = 1; i <= n; i++)
		for (uint32_t j = i; j > 0; j--)
			row[j] += row[j - 1];
	return k <= n ? row[k] : 0;
}

Test(validate, cpcv_counts)
{
	const uint32_t nk[][2] = { { 6, 2 }, { 10, 2 }, { 5, 1 }, { 6, 3 }, { 10, 3 },
				   { 8, 4 }, { 12, 5 }, { 2, 1 } };
	for (size_t i = 0; i < sizeof(nk) / sizeof(nk[0]); i++) {
		uint32_t n = nk[i][0], k = nk[i][1];
		cr_expect_eq(validate_cpcv_splits(n, k), pascal(n, k));
		cr_expect_eq(validate_cpcv_paths(n, k), k * pascal(n, k) / n, "phi(%u, %u)", n,
			     k);
	}
	cr_expect_eq(validate_cpcv_splits(6, 2), 15);
	cr_expect_eq(validate_cpcv_paths(6, 2), 5);
	cr_expect_eq(validate_cpcv_paths(10, 2), 9);
	cr_expect_eq(validate_cpcv_paths(5, 1), 1);
	cr_expect_eq(validate_cpcv_paths(10, 3), 36);
	cr_expect_eq(validate_cpcv_splits(64, 32), 1832624140942590534ull);
	cr_expect_eq(validate_cpcv_splits(6, 0), 0);
	cr_expect_eq(validate_cpcv_splits(6, 6), 0);
	cr_expect_eq(validate_cpcv_splits(65, 2), 0);
	cr_expect_eq(validate_cpcv_paths(6, 0), 0);
}

/* every property the table must have, for any (n, k) */
static void check_table(uint32_t n, uint32_t k)
{
	static uint32_t groups[4096], path[4096];
	uint64_t splits = pascal(n, k), phi = k * pascal(n, k) / n;
	cr_assert_leq(splits * k, 4096);
	memset(groups, 0xff, sizeof(groups));
	memset(path, 0xff, sizeof(path));
	cr_assert_eq(validate_cpcv_table(n, k, groups, path), 0);
	cr_expect_eq(groups[splits * k], UINT32_MAX, "nothing past the table");
	/* splits: ascending groups, in increasing lexicographic order */
	for (uint64_t s = 0; s < splits; s++) {
		for (uint32_t j = 1; j < k; j++)
			cr_assert_lt(groups[s * k + j - 1], groups[s * k + j]);
		if (s > 0) {
			uint32_t j = 0;
			while (j < k && groups[(s - 1) * k + j] == groups[s * k + j])
				j++;
			cr_assert(j < k && groups[(s - 1) * k + j] < groups[s * k + j],
				  "(%u,%u) split %lu out of order", n, k, (unsigned long)s);
		}
	}
	/* each group tested in phi splits, fed to paths 0..phi-1 in split order;
	 * so each (path, group) cell holds exactly one prediction */
	static uint32_t cell[64][4096];
	memset(cell, 0, sizeof(cell));
	for (uint32_t g = 0; g < n; g++) {
		uint32_t next = 0;
		for (uint64_t s = 0; s < splits; s++)
			for (uint32_t j = 0; j < k; j++)
				if (groups[s * k + j] == g) {
					cr_assert_eq(path[s * k + j], next, "(%u,%u) group %u", n, k,
						     g);
					next++;
				}
		cr_expect_eq(next, phi, "(%u,%u) group %u in %u splits", n, k, g, next);
	}
	for (uint64_t i = 0; i < splits * k; i++) {
		cr_assert_lt(path[i], phi);
		cell[groups[i]][path[i]]++;
	}
	for (uint32_t g = 0; g < n; g++)
		for (uint64_t p = 0; p < phi; p++)
			cr_assert_eq(cell[g][p], 1, "(%u,%u) path %lu group %u", n, k,
				     (unsigned long)p, g);
}

Test(validate, cpcv_table_six_groups_two_tested)
{
	/* Lopez de Prado (2018), figure 12.1: 15 splits, 5 paths */
	uint32_t groups[30], path[30];
	cr_assert_eq(validate_cpcv_table(6, 2, groups, path), 0);
	const uint32_t want_groups[30] = { 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 1, 2, 1, 3, 1, 4,
					   1, 5, 2, 3, 2, 4, 2, 5, 3, 4, 3, 5, 4, 5 };
	/* group g's splits in order: paths 0..4 */
	const uint32_t want_path[30] = { 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 1, 1, 2, 1, 3, 1,
					 4, 1, 2, 2, 3, 2, 4, 2, 3, 3, 4, 3, 4, 4 };
	for (int i = 0; i < 30; i++) {
		cr_expect_eq(groups[i], want_groups[i], "groups[%d]", i);
		cr_expect_eq(path[i], want_path[i], "path_of[%d]", i);
	}
	check_table(6, 2);
}

Test(validate, cpcv_table_properties_for_other_shapes)
{
	check_table(5, 1);
	check_table(10, 2);
	check_table(7, 3);
	check_table(8, 4);
	check_table(10, 9);
	/* without the groups: the same paths */
	uint32_t a[45 * 2], b[45 * 2], gr[45 * 2];
	cr_assert_eq(validate_cpcv_table(10, 2, NULL, a), 0);
	cr_assert_eq(validate_cpcv_table(10, 2, gr, b), 0);
	cr_expect(memcmp(a, b, sizeof(a)) == 0);
	cr_expect_eq(validate_cpcv_table(6, 0, gr, a), -EINVAL);
	cr_expect_eq(validate_cpcv_table(6, 6, gr, a), -EINVAL);
	cr_expect_eq(validate_cpcv_table(6, 2, gr, NULL), -EINVAL);
}
