/*
 * validate.h — statistics that say whether a backtest's Sharpe ratio
 * survives the search that found it (docs/validation.md): sample moments,
 * the probabilistic and deflated Sharpe ratios, the probability of
 * backtest overfitting by combinatorially symmetric cross-validation, and
 * the path bookkeeping of combinatorial purged cross-validation.
 *
 * Design note.  Research code, run once per study over a finished set of
 * backtests; nothing here belongs on a per-event path, though nothing here
 * would hurt one either: every function is pure, works on caller-owned
 * memory (validate_pbo takes a caller workspace of validate_pbo_worksize
 * bytes), keeps no state, never allocates, never blocks and makes no
 * system call.  Any thread.
 *
 * Units.  A Sharpe ratio here is per period (mean / standard deviation of
 * the series as given: per minute, per day, per bet).  Every input and
 * output Sharpe ratio, benchmark and variance of Sharpe ratios is in those
 * units; validate_sharpe_annual is the one place that scales by
 * sqrt(periods per year).  A benchmark stated per year enters as
 * SR_year / sqrt(periods per year), a variance of yearly Sharpe ratios as
 * V_year / periods per year.
 *
 * Undefined values are NaN, never an error code: fewer than two
 * observations, no dispersion, a non-positive radicand in the PSR.  Only
 * functions that fill caller buffers return int (0 or -errno).
 */
#ifndef DM_LIBCORE_VALIDATE_VALIDATE_H
#define DM_LIBCORE_VALIDATE_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

/* Euler-Mascheroni constant, the weight of the second quantile in E[max]. */
#define VALIDATE_EULER_GAMMA 0.57721566490153286061

/* ------------------------------------------------------------ moments */

/*
 * Sample moments of a return series as the PSR uses them:
 *
 *   mean   sum x / n
 *   stdev  sqrt(sum (x - mean)^2 / (n - 1))         sample, n - 1
 *   skew   m3 / m2^(3/2)                            normal: 0
 *   kurt   m4 / m2^2                                normal: 3 (not excess)
 *   sr     mean / stdev, per period
 *
 * with m_k = sum (x - mean)^k / n.
 *
 * skew and kurt are the n-divisor ("biased") standardized moments of
 * Bailey & Lopez de Prado's code (scipy.stats.skew, kurtosis(fisher=False)).
 */
struct validate_moments {
	uint64_t n;
	double   mean;   /* NaN when n = 0 */
	double   stdev;  /* NaN when n < 2; 0 for a constant series */
	double   skew;   /* NaN when n < 2 or stdev = 0 */
	double   kurt;   /* NaN when n < 2 or stdev = 0 */
	double   sr;     /* per period; NaN when n < 2 or stdev = 0 */
};

/*
 * The moments of r[0 .. n-1] into *m (two passes over r).  A NaN or
 * infinite value makes every field but n NaN or infinite.  Pure.
 */
void validate_moments(const double *r, size_t n, struct validate_moments *m);

/* mean / stdev (n - 1) of r[0 .. n-1], per period; NaN when n < 2 or all
 * values are equal.  Pure. */
double validate_sharpe(const double *r, size_t n);

/* sr * sqrt(periods_per_year): 252 for daily returns, 252 x minutes per
 * session for minute returns.  NaN when periods_per_year <= 0 or NaN. */
double validate_sharpe_annual(double sr, double periods_per_year);

/* ------------------------------------------------------------ normal law */

/* Phi(x) = erfc(-x / sqrt 2) / 2, the standard normal distribution
 * function; full relative precision in both tails.  Pure. */
double validate_norm_cdf(double x);

/*
 * Phi^-1(p): Acklam's rational approximation (relative error 1.15e-9) and
 * one Halley step on erfc, about 1e-15 relative.  -inf at p = 0, +inf at
 * p = 1, NaN outside [0, 1] or for NaN.  Pure.
 */
double validate_norm_quantile(double p);

/* ------------------------------------------------------------ PSR, DSR */

/*
 * Probabilistic Sharpe ratio (Bailey & Lopez de Prado 2012): the
 * probability that the true Sharpe ratio exceeds sr_star, given the
 * estimate sr from n returns of skewness skew and kurtosis kurt
 * (non-excess, validate_moments):
 *
 *   PSR = Phi( (sr - sr_star) sqrt(n - 1)
 *              / sqrt(1 - skew sr + (kurt - 1) / 4 sr^2) )
 *
 * sr and sr_star per period.  NaN when n < 2, when the radicand is not
 * positive (a strongly skewed series with a large sr: the estimate's
 * variance is not defined there) or when an input is NaN.  Pure.
 */
double validate_psr(double sr, double sr_star, uint64_t n, double skew, double kurt);

/*
 * Expected maximum of n_trials independent standard normal draws, the
 * approximation of Bailey et al. (2014) and Bailey & Lopez de Prado (2014):
 *
 *   (1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e))
 *
 * 0 for N = 1 (the formula's Phi^-1(0) = -inf; one draw's mean is 0);
 * NaN for N = 0.  Pure.
 */
double validate_expected_max(uint64_t n_trials);

/*
 * The deflated Sharpe ratio's benchmark SR0 = sqrt(var_sr) x
 * validate_expected_max(n_trials): the Sharpe ratio the best of n_trials
 * skill-less trials is expected to show, var_sr the variance across the
 * trials of their per-period Sharpe ratios.  0 for N = 1; NaN for N = 0 or
 * var_sr < 0 or NaN.  Pure.
 */
double validate_sr0(uint64_t n_trials, double var_sr);

/*
 * Deflated Sharpe ratio (Bailey & Lopez de Prado 2014): the PSR of the
 * selected trial (sr from n returns of skew, kurt) against
 * validate_sr0(n_trials, var_sr).  NaN as validate_psr and validate_sr0.
 * Pure.
 */
double validate_dsr(double sr, uint64_t n, double skew, double kurt, uint64_t n_trials,
		    double var_sr);

/* ------------------------------------------------------------ PBO (CSCV) */

#define VALIDATE_PBO_MAX_BLOCKS 16u  /* C(16, 8) = 12870 combinations */

/* One combination of CSCV: which blocks were in-sample and what became of
 * the trial chosen there. */
struct validate_pbo_comb {
	uint32_t is_mask;  /* bit b set: block b in-sample */
	uint32_t best;     /* n*: highest IS Sharpe, the lowest index on ties */
	double   is_sr;    /* n*'s in-sample Sharpe ratio, per period */
	double   oos_sr;   /* n*'s out-of-sample Sharpe ratio, per period */
	double   omega;    /* n*'s OOS rank / (N + 1), ranks 1..N ascending,
			    * ties at their mean rank; in (0, 1) */
	double   logit;    /* ln(omega / (1 - omega)); <= 0: overfit */
};

/* C(s, s/2): the combinations of s blocks; 0 unless s is even and
 * 2 <= s <= VALIDATE_PBO_MAX_BLOCKS.  Pure. */
uint32_t validate_pbo_combinations(uint32_t s);

/* Workspace bytes validate_pbo needs for n_trials trials and s blocks
 * (8 (2 s + 2) n_trials); 0 for a shape validate_pbo refuses on its own. */
size_t validate_pbo_worksize(uint32_t n_trials, uint32_t s);

/*
 * Probability of backtest overfitting by combinatorially symmetric
 * cross-validation (Bailey, Borwein, Lopez de Prado & Zhu 2015).
 *
 * ret is a row-major t x n_trials matrix: ret[i * n_trials + j] is the
 * return of trial j in period i, in time order.  The first s x floor(t/s)
 * rows are cut into s consecutive blocks of floor(t/s) rows; the last
 * t mod s rows are dropped.  For every choice of s/2 blocks as the
 * in-sample set, in lexicographic order of the chosen block indices (the
 * rest is out-of-sample), each trial's Sharpe ratio is taken on both sets
 * (a set with no dispersion counts +inf, -inf or 0 by the sign of its
 * mean), and comb[c] records the best in-sample trial, its two Sharpe
 * ratios and its relative OOS rank.  *pbo = the share of combinations
 * with logit <= 0 (the paper's convention: a median rank counts as
 * overfit).
 *
 * work: work_size >= validate_pbo_worksize(n_trials, s) bytes, aligned
 * for double, caller-owned, contents undefined after.  comb: room for
 * validate_pbo_combinations(s) records, or NULL.  Returns 0; -EINVAL for
 * a NULL ret or pbo, n_trials < 2, s odd, 0 or above
 * VALIDATE_PBO_MAX_BLOCKS, fewer than 2 rows in s/2 blocks, or misaligned
 * work; -ENOSPC when work_size is short; -EDOM when a used return is NaN
 * or infinite.  comb and *pbo are untouched on error.  Pure.
 */
int validate_pbo(const double *ret, uint32_t t, uint32_t n_trials, uint32_t s, void *work,
		 size_t work_size, struct validate_pbo_comb *comb, double *pbo);

/* ------------------------------------------------------------ CPCV paths */

#define VALIDATE_CPCV_MAX_GROUPS 64u

/* C(n_groups, k): the splits of combinatorial purged cross-validation
 * with k test groups of n_groups; 0 unless 1 <= k < n_groups <=
 * VALIDATE_CPCV_MAX_GROUPS.  Pure. */
uint64_t validate_cpcv_splits(uint32_t n_groups, uint32_t k);

/* phi = k / n_groups x C(n_groups, k) = C(n_groups - 1, k - 1): the
 * backtest paths (Lopez de Prado 2018, 12.4); 0 as validate_cpcv_splits.
 * Pure. */
uint64_t validate_cpcv_paths(uint32_t n_groups, uint32_t k);

/*
 * The splits and their paths.  Split s (0 .. splits-1) tests the s-th
 * k-combination of the groups 0 .. n_groups-1 in lexicographic order;
 * groups[s * k + j] is its j-th test group (ascending) and
 * path_of[s * k + j] the path that group's predictions in split s belong
 * to: a group's splits, in split order, feed paths 0 .. phi-1, so every
 * path gets exactly one prediction for each group.  groups may be NULL;
 * both hold validate_cpcv_splits(n_groups, k) x k entries.  0, or -EINVAL
 * (shape as validate_cpcv_splits, or a NULL path_of) writing nothing.
 * Pure.
 */
int validate_cpcv_table(uint32_t n_groups, uint32_t k, uint32_t *groups, uint32_t *path_of);

#endif /* DM_LIBCORE_VALIDATE_VALIDATE_H */
