/*
 * hawkes.c — exponential-kernel multivariate Hawkes process: checks,
 * stationary rates and Ogata thinning (design note in hawkes.h).
 */
#include "libcore/gen/hawkes.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "libcore/types.h"

/* G[i][j] = alpha[i][j] / beta[i] */
static void branching_matrix(const struct hawkes_params *p,
			     double g[HAWKES_MAX_DIM][HAWKES_MAX_DIM])
{
	for (uint32_t i = 0; i < p->dim; i++)
		for (uint32_t j = 0; j < p->dim; j++)
			g[i][j] = p->alpha[i][j] / p->beta[i];
}

/* Max absolute row sum: a norm, which is all the squaring needs. */
static double norm_inf(double a[HAWKES_MAX_DIM][HAWKES_MAX_DIM], uint32_t d)
{
	double best = 0;

	for (uint32_t i = 0; i < d; i++) {
		double s = 0;
		for (uint32_t j = 0; j < d; j++)
			s += fabs(a[i][j]);
		if (s > best)
			best = s;
	}
	return best;
}

double hawkes_branching_ratio(const struct hawkes_params *p)
{
	double a[HAWKES_MAX_DIM][HAWKES_MAX_DIM], b[HAWKES_MAX_DIM][HAWKES_MAX_DIM];
	uint32_t d = p->dim;
	double n, log_scale;

	/*
	 * rho = lim ||G^k||^(1/k).  Keep G^(2^m) = A * exp(log_scale) with
	 * ||A|| = 1 so neither underflows; after 40 squarings k = 2^40 and
	 * the polynomial factor of a Jordan block is gone to ~1e-10.
	 */
	branching_matrix(p, a);
	n = norm_inf(a, d);
	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < d; i++)
		for (uint32_t j = 0; j < d; j++)
			a[i][j] /= n;
	log_scale = log(n);
	for (int m = 1; m <= 40; m++) {
		for (uint32_t i = 0; i < d; i++)
			for (uint32_t j = 0; j < d; j++) {
				double s = 0;
				for (uint32_t k = 0; k < d; k++)
					s += a[i][k] * a[k][j];
				b[i][j] = s;
			}
		n = norm_inf(b, d);
		if (n == 0 || !isfinite(n))
			return n == 0 ? 0 : INFINITY; /* nilpotent: rho = 0 */
		for (uint32_t i = 0; i < d; i++)
			for (uint32_t j = 0; j < d; j++)
				a[i][j] = b[i][j] / n;
		log_scale = 2 * log_scale + log(n);
	}
	return exp(log_scale / 1099511627776.0); /* 2^40 */
}

int hawkes_stationary_rates(const struct hawkes_params *p, double *lambda)
{
	double m[HAWKES_MAX_DIM][HAWKES_MAX_DIM + 1];
	uint32_t d = p->dim;

	if (!(hawkes_branching_ratio(p) < 1))
		return -EDOM;
	/* (I - G) Lambda = mu by Gaussian elimination, partial pivoting */
	for (uint32_t i = 0; i < d; i++) {
		for (uint32_t j = 0; j < d; j++)
			m[i][j] = (i == j) - p->alpha[i][j] / p->beta[i];
		m[i][d] = p->mu[i];
	}
	for (uint32_t c = 0; c < d; c++) {
		uint32_t piv = c;
		for (uint32_t r = c + 1; r < d; r++)
			if (fabs(m[r][c]) > fabs(m[piv][c]))
				piv = r;
		if (piv != c)
			for (uint32_t k = 0; k <= d; k++) {
				double t = m[c][k];
				m[c][k] = m[piv][k];
				m[piv][k] = t;
			}
		for (uint32_t r = c + 1; r < d; r++) {
			double f = m[r][c] / m[c][c];
			for (uint32_t k = c; k <= d; k++)
				m[r][k] -= f * m[c][k];
		}
	}
	for (uint32_t c = d; c-- > 0;) {
		double s = m[c][d];
		for (uint32_t k = c + 1; k < d; k++)
			s -= m[c][k] * lambda[k];
		lambda[c] = s / m[c][c];
	}
	return 0;
}

int hawkes_check(const struct hawkes_params *p, char *err, size_t errlen)
{
	double mu_sum = 0, rho;

#define FAIL(...) do { if (errlen) snprintf(err, errlen, __VA_ARGS__); \
		       return -DM_ECONFIG; } while (0)
	if (p->dim < 1 || p->dim > HAWKES_MAX_DIM)
		FAIL("hawkes: dimension %u out of range 1..%u", p->dim, HAWKES_MAX_DIM);
	for (uint32_t i = 0; i < p->dim; i++) {
		if (!isfinite(p->mu[i]) || p->mu[i] < 0)
			FAIL("mu[%u] = %g: must be finite and >= 0 (events/s)", i, p->mu[i]);
		if (!isfinite(p->beta[i]) || p->beta[i] <= 0)
			FAIL("beta[%u] = %g: must be finite and > 0 (1/s)", i, p->beta[i]);
		for (uint32_t j = 0; j < p->dim; j++)
			if (!isfinite(p->alpha[i][j]) || p->alpha[i][j] < 0)
				FAIL("alpha[%u][%u] = %g: must be finite and >= 0 (1/s)",
				     i, j, p->alpha[i][j]);
		mu_sum += p->mu[i];
	}
	if (!(mu_sum > 0))
		FAIL("mu: every baseline is 0, the process would never fire");
	rho = hawkes_branching_ratio(p);
	if (!(rho < 1))
		FAIL("branching ratio (spectral radius of alpha/beta) = %.6f: must be < 1 "
		     "for a stationary process; lower alpha or raise beta", rho);
#undef FAIL
	return 0;
}

int hawkes_init(struct hawkes *h, const struct hawkes_params *p, double t0,
		char *err, size_t errlen)
{
	int rc = hawkes_check(p, err, errlen);

	if (rc)
		return rc;
	memset(h, 0, sizeof(*h));
	h->p = *p;
	h->t = t0;
	for (uint32_t i = 0; i < p->dim; i++) {
		uint32_t k;
		for (k = 0; k < h->n_decay; k++)
			if (h->decay_rate[k] == p->beta[i])
				break;
		if (k == h->n_decay)
			h->decay_rate[h->n_decay++] = p->beta[i];
		h->decay_of[i] = k;
		h->mu_sum += p->mu[i];
	}
	return 0;
}

uint32_t hawkes_next(struct hawkes *h, struct rng *r, double *t)
{
	uint32_t d = h->p.dim;

	for (;;) {
		double f[HAWKES_MAX_DIM];
		/* cppcheck-suppress duplicateAssignExpression
		 * (two sums that both start from the base rate) */
		double bound = h->mu_sum, lam = h->mu_sum, w, u;

		for (uint32_t i = 0; i < d; i++)
			bound += h->exc[i];
		/* The total intensity only decays until the next event, so its
		 * value now bounds it: propose at rate `bound`, keep with
		 * probability lambda(t + w) / bound. */
		w = rng_exp(r, bound);
		h->t += w;
		for (uint32_t k = 0; k < h->n_decay; k++)
			f[k] = exp(-h->decay_rate[k] * w);
		for (uint32_t i = 0; i < d; i++) {
			/* cppcheck-suppress uninitvar
			 * (decay_of[i] < n_decay, and the loop above set f[0..n_decay)) */
			h->exc[i] *= f[h->decay_of[i]];
			lam += h->exc[i];
		}
		h->candidates++;
		u = rng_uniform(r) * bound;
		if (u >= lam)
			continue;
		/* u is uniform on [0, lam): it also picks the type */
		uint32_t type = d;
		double c = 0;
		for (uint32_t i = 0; i < d; i++) {
			double li = h->p.mu[i] + h->exc[i];
			if (li <= 0)
				continue;
			type = i; /* rounding: the last positive one */
			c += li;
			if (u < c)
				break;
		}
		for (uint32_t i = 0; i < d; i++)
			h->exc[i] += h->p.alpha[i][type];
		h->accepted++;
		*t = h->t;
		return type;
	}
}
