/*
 * hawkes.h — a multivariate Hawkes process with exponential kernels,
 * simulated exactly by Ogata's thinning.
 *
 * Design note.  With d event types the intensity of type i at time t is
 *
 *   lambda_i(t) = mu[i] + sum over past events (t_k, j_k), t_k < t, of
 *                 alpha[i][j_k] * exp(-beta[i] * (t - t_k))
 *
 * alpha[i][j] (1/s) is the jump in lambda_i caused by one event of type j
 * (row = the excited type, column = the exciting type: the `adjacency`
 * convention of the tick library), beta[i] (1/s) the decay rate of
 * everything that excites type i, mu[i] (1/s) its baseline.  Because the
 * decay depends on the excited type only, the whole history of type i
 * folds into one number exc[i]: between events exc[i] decays by
 * exp(-beta[i] dt), an event of type j adds alpha[i][j] to every exc[i].
 * So each event costs O(d) (O(d) exp calls at most, one per distinct beta).
 *
 * The branching matrix G[i][j] = alpha[i][j] / beta[i] is the mean number
 * of type-i children of one type-j event; the process is stationary iff
 * its spectral radius (the branching ratio) is < 1, and then its mean
 * rates are Lambda = (I - G)^-1 mu.  hawkes_check refuses anything else.
 *
 * Thinning is exact here because the total intensity never rises between
 * events: the current total is an upper bound until the next event.
 * Time is a double in seconds from the process start.
 *
 * Memory: every struct is fixed-size and owned by the caller; nothing
 * allocates, locks or makes a system call.  One thread per struct hawkes.
 */
#ifndef DM_LIBCORE_GEN_HAWKES_H
#define DM_LIBCORE_GEN_HAWKES_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/gen/rng.h"

#define HAWKES_MAX_DIM 8u

struct hawkes_params {
	uint32_t dim;                                 /* d, 1..HAWKES_MAX_DIM */
	double   mu[HAWKES_MAX_DIM];                  /* baselines, 1/s, >= 0 */
	double   alpha[HAWKES_MAX_DIM][HAWKES_MAX_DIM]; /* [excited][exciting], 1/s, >= 0 */
	double   beta[HAWKES_MAX_DIM];                /* decay per excited type, 1/s, > 0 */
};

struct hawkes {
	struct hawkes_params p;
	double   t;                        /* time of the last event, s */
	double   exc[HAWKES_MAX_DIM];      /* lambda_i(t) - mu[i] just after it */
	uint32_t n_decay;                  /* distinct betas */
	uint32_t decay_of[HAWKES_MAX_DIM]; /* index of beta[i] among them */
	double   decay_rate[HAWKES_MAX_DIM];
	double   mu_sum;
	uint64_t candidates;               /* thinning proposals drawn */
	uint64_t accepted;                 /* events returned */
};

/*
 * Spectral radius of G = alpha / beta (rows divided by beta[i]), computed
 * by repeated normalised squaring, so it is exact to about 1e-9 for any
 * non-negative matrix, periodic or reducible ones included.  Parameters
 * must be finite with beta > 0.  Pure; O(d^3 * 40).
 */
double hawkes_branching_ratio(const struct hawkes_params *p);

/*
 * Mean stationary rates Lambda = (I - G)^-1 mu into lambda[0..dim-1], 1/s.
 * Returns 0, or -EDOM when the branching ratio is >= 1 (no stationary
 * regime; lambda untouched).  Pure.
 */
int hawkes_stationary_rates(const struct hawkes_params *p, double *lambda);

/*
 * Check p: dim in range, every value finite, mu >= 0 with a positive sum,
 * alpha >= 0, beta > 0, branching ratio < 1.  Returns 0 or -DM_ECONFIG
 * with one line naming the field at fault in err (errlen bytes; err may be
 * NULL when errlen is 0).  Pure.
 */
int hawkes_check(const struct hawkes_params *p, char *err, size_t errlen);

/*
 * Start *h at time t0 (seconds) with no history: every intensity at its
 * baseline.  Returns 0 or hawkes_check's error.  No allocation.
 */
int hawkes_init(struct hawkes *h, const struct hawkes_params *p, double t0,
		char *err, size_t errlen);

/*
 * Draw the next event by Ogata's thinning: stores its time (> the previous
 * one, seconds) in *t and returns its type 0..dim-1, then adds its
 * excitation.  Uses r for every draw, so the sequence is a function of the
 * parameters and r's seed.  No allocation; O(dim) per proposal, with about
 * 1 / (1 - rejection rate) proposals per event.
 */
uint32_t hawkes_next(struct hawkes *h, struct rng *r, double *t);

/* lambda_i just after the last event (or at the start), 1/s. */
static inline double hawkes_intensity(const struct hawkes *h, uint32_t i)
{
	return h->p.mu[i] + h->exc[i];
}

#endif /* DM_LIBCORE_GEN_HAWKES_H */
