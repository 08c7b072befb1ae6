/*
 * fit.h — maximum-likelihood fit of the exponential-kernel Hawkes process
 * to a series (series.h): estimate, standard errors, goodness of fit.
 *
 * Design note (docs/hawkes-fit.md has the derivations).
 *
 * Model: the kernel of libcore/gen/hawkes.h, struct hawkes_params,
 *
 *   lambda_i(t) = mu[i] + sum over events (t_k, j_k), t_k < t, of
 *                 alpha[i][j_k] * exp(-beta[i] * (t - t_k))
 *
 * with the decay per excited type (per target) or one decay shared by all
 * (HFIT_BETA_SHARED).  dim 1 is the univariate process.
 *
 * Log-likelihood over each segment's window [0, T]:
 *
 *   l = sum_k log lambda_{j_k}(t_k)
 *       - sum_i ( mu[i] T + sum_j alpha[i][j] / beta[i] * (N_j - A_ij(T)) )
 *
 * where A_ij(t) = sum over type-j events t_k < t of exp(-beta[i](t - t_k)).
 * A and B_ij(t) = sum (t - t_k) exp(-beta[i](t - t_k)) (= -dA/dbeta) obey
 * one-step recursions, so l and its exact gradient cost O(n dim^2) with
 * dim exp() calls per event (one when the betas are equal).
 *
 * Estimation minimises -l / n over x = (log mu, G, log beta) with
 * G[i][j] = alpha[i][j] / beta[i] (the branching matrix) under the box
 * bounds of lbfgsb.h: mu and beta within wide multiples of the event rate,
 * 0 <= G[i][i] <= rho_max, 0 <= G[i][j] <= 100.  The branching ratio (the
 * spectral radius of G; G itself for dim 1, where the box is exact) is
 * kept below rho_max by the objective being +inf beyond it, which the
 * line search never accepts.  Several starts (different decays) run a
 * few iterations each; the best continues to convergence.
 *
 * Standard errors: the observed information -d2l/dtheta2 in the natural
 * parameters theta = (mu, alpha, beta) by central differences of the
 * analytic gradient, inverted by Cholesky; parameters at a bound (an
 * alpha at 0) are held fixed and get no standard error (NaN).  The
 * branching ratio's by the delta method.
 *
 * Goodness of fit: the compensator increments between consecutive events
 * of one type (time-rescaled residuals) are i.i.d. Exp(1) under the true
 * model; hfit_ks compares them with Exp(1) by the Kolmogorov-Smirnov
 * statistic and its asymptotic p-value.
 *
 * Memory: hfit_fit and hfit_ks allocate their scratch (residuals,
 * Hessian) and free it before returning; the likelihood allocates
 * nothing.  Reentrant; one thread per call.  Offline code.
 */
#ifndef DM_LIBCORE_HAWKES_FIT_H
#define DM_LIBCORE_HAWKES_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/gen/hawkes.h"
#include "libcore/hawkes/series.h"

enum hfit_beta {
	HFIT_BETA_PER_TARGET = 0, /* beta[i] per excited type (dm-gen's model) */
	HFIT_BETA_SHARED     = 1  /* one beta for every kernel */
};

#define HFIT_MIN_EVENTS   10u    /* per type */
#define HFIT_DEF_STARTS   3u
#define HFIT_DEF_RHO_MAX  0.9999

struct hfit_opts {
	uint32_t beta_mode;  /* enum hfit_beta */
	uint32_t starts;     /* 0 = HFIT_DEF_STARTS, at most 8 */
	uint32_t max_iter;   /* L-BFGS iterations of the final run; 0 = 500 */
	uint32_t pad;
	double   rho_max;    /* branching ratio bound, (0, 1); 0 = HFIT_DEF_RHO_MAX */
};

struct hfit_ks {
	uint64_t n;          /* residuals */
	double   stat;       /* sup |F_n - F_Exp(1)| */
	double   p;          /* asymptotic p-value */
	double   mean;       /* mean residual (1 under the model) */
};

struct hfit_result {
	struct hawkes_params p;   /* estimate; alpha[i][j] and beta[i] in 1/s */
	struct hawkes_params se;  /* standard errors; NaN: at a bound or no
				   * positive definite information matrix */
	double   rho, rho_se;     /* branching ratio (spectral radius of alpha/beta) */
	double   loglik;          /* at the estimate */
	double   aic;             /* 2 k - 2 loglik */
	double   loglik_poisson;  /* homogeneous Poisson mu_i = N_i / T */
	double   pg;              /* final projected gradient (per event, x space) */
	uint32_t k;               /* parameters: dim + dim^2 + (dim or 1) */
	uint32_t starts;          /* starts tried */
	uint32_t iter, evals;     /* L-BFGS totals over all starts */
	uint32_t status;          /* lbfgsb status of the final run */
	uint32_t converged;       /* 1: status pgtol or ftol */
	uint32_t hess_ok;         /* 1: standard errors computed */
	uint32_t at_bound;        /* parameters on a bound (no SE) */
	uint32_t rho_at_max;      /* 1: the branching ratio sits at rho_max */
	uint32_t pad;
	struct hfit_ks ks[HAWKES_MAX_DIM]; /* per type, at the estimate */
};

/* Natural parameter count of the full layout [mu(d), alpha(d*d), beta(d)]. */
static inline uint32_t hfit_nparams(uint32_t dim)
{
	return dim + dim * dim + dim;
}

/*
 * The log-likelihood of p (p->dim == s->dim, mu > 0, beta > 0,
 * alpha >= 0) over every segment of s.  grad, if not NULL, receives
 * dl/dtheta in the layout [mu(d), alpha row-major(d*d), beta(d)]
 * (hfit_nparams values).  Returns -inf when an intensity is not positive
 * at an event.  O(n d^2); no allocation; pure.
 */
double hfit_loglik(const struct hseries *s, const struct hawkes_params *p, double *grad);

/*
 * Fit s (every type with at least HFIT_MIN_EVENTS events and a window
 * longer than 0) into *r: estimate, standard errors, AIC, Poisson
 * log-likelihood, KS per type.  o may be NULL (defaults).  Returns 0
 * (r->converged says whether the optimizer met its tolerance), -EINVAL
 * (bad options, dim, too few events: nothing to fit), -ENOMEM.
 */
int hfit_fit(const struct hseries *s, const struct hfit_opts *o, struct hfit_result *r);

/*
 * Standard errors at p into *se (and the branching ratio's into *rho_se,
 * may be NULL) under the parametrisation of beta_mode (shared: beta[0]'s
 * error copied to every beta[i]).  A parameter is held fixed (SE NaN)
 * when fixed is not NULL and fixed[idx] is set, idx in the full layout;
 * for HFIT_BETA_SHARED the betas are one parameter at idx d + d*d.
 * Returns 0, -EDOM (information matrix not positive definite: every SE
 * NaN), -ENOMEM.
 */
int hfit_std_errors(const struct hseries *s, const struct hawkes_params *p,
		    uint32_t beta_mode, const uint8_t *fixed,
		    struct hawkes_params *se, double *rho_se);

/*
 * Time-rescaled residuals of p on s: for each type i, the compensator
 * Lambda_i between consecutive type-i events of a segment, in time
 * order, into out[i] (room for s->count[i] values); n_out[i] gets their
 * number (count[i] minus the segments where type i occurs).  No
 * allocation; O(n d^2).  Returns 0 or -EINVAL (dim mismatch).
 */
int hfit_residuals(const struct hseries *s, const struct hawkes_params *p,
		   double *const *out, uint64_t *n_out);

/*
 * KS test of p's residuals against Exp(1), per type, into ks[0..dim-1].
 * Allocates the residuals.  Returns 0, -EINVAL, -ENOMEM.
 */
int hfit_ks_test(const struct hseries *s, const struct hawkes_params *p,
		 struct hfit_ks *ks);

/*
 * KS statistic of the sample x[0..n-1] against Exp(1): sup over the
 * sample of |empirical cdf - (1 - exp(-x))|.  Sorts x in place.  n > 0.
 */
double hfit_ks_exp1(double *x, uint64_t n);

/* P(K > x) of the Kolmogorov distribution (limit of sqrt(n) D_n). */
double hfit_kolmogorov_sf(double x);

/* Asymptotic p-value of a KS statistic d from n values, with Stephens'
 * small-sample correction sqrt(n) + 0.12 + 0.11 / sqrt(n). */
double hfit_ks_pvalue(double d, uint64_t n);

#endif /* DM_LIBCORE_HAWKES_FIT_H */
