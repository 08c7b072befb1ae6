/*
 * fit.c — exponential-kernel Hawkes maximum likelihood: recursive
 * log-likelihood and gradient, bounded L-BFGS over (log mu, G, log beta),
 * standard errors from the observed information, time-rescaled residuals
 * and the Kolmogorov-Smirnov test (design note in fit.h).
 */
#include "libcore/hawkes/fit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/hawkes/lbfgsb.h"

#define MAXD     HAWKES_MAX_DIM
#define MAXP     (MAXD + MAXD * MAXD + MAXD)
#define MAX_STARTS 8u
#define SCREEN_ITER 30u        /* iterations per start before choosing */
#define G_OFF_MAX  100.0       /* upper bound of an off-diagonal G[i][j] */
#define HESS_STEP  1e-5        /* relative step of the Hessian differences */

/* ------------------------------------------------------------ likelihood */

/*
 * Move the state from one time to dt later: A_ij <- e_i A_ij and
 * B_ij <- e_i (B_ij + dt A_ij), e_i = exp(-beta_i dt).  B is the sum of
 * lag * kernel, the (negated) beta-derivative of A.
 */
static inline void decay(uint32_t d, const double *beta, int same_beta, double dt,
			 double A[MAXD][MAXD], double B[MAXD][MAXD], int with_b)
{
	double e0 = exp(-beta[0] * dt);

	for (uint32_t i = 0; i < d; i++) {
		double e = same_beta || i == 0 ? e0 : exp(-beta[i] * dt);
		for (uint32_t j = 0; j < d; j++) {
			if (with_b)
				B[i][j] = e * (B[i][j] + dt * A[i][j]);
			A[i][j] *= e;
		}
	}
}

double hfit_loglik(const struct hseries *s, const struct hawkes_params *p, double *grad)
{
	uint32_t d = p->dim;
	double ll = 0;
	double gmu[MAXD] = { 0 }, ga[MAXD][MAXD] = { { 0 } }, gb[MAXD] = { 0 };
	int same_beta = 1, with_b = grad != NULL;

	if (d != s->dim || d < 1 || d > MAXD)
		return NAN;
	for (uint32_t i = 1; i < d; i++)
		if (p->beta[i] != p->beta[0])
			same_beta = 0;

	for (uint32_t sg = 0; sg < s->n_seg; sg++) {
		const struct hseries_seg *g = &s->seg[sg];
		double A[MAXD][MAXD] = { { 0 } }, B[MAXD][MAXD] = { { 0 } };
		double cnt[MAXD] = { 0 }, tprev = 0, T = g->len_s;

		for (uint64_t k = g->first; k < g->end; k++) {
			double dt = s->t[k] - tprev, lam;
			uint32_t m = s->type[k];

			if (dt > 0) {
				decay(d, p->beta, same_beta, dt, A, B, with_b);
				tprev = s->t[k];
			}
			lam = p->mu[m];
			for (uint32_t j = 0; j < d; j++)
				lam += p->alpha[m][j] * A[m][j];
			if (!(lam > 0))
				return -INFINITY;
			ll += log(lam);
			if (with_b) {
				double inv = 1.0 / lam, sb = 0;
				gmu[m] += inv;
				for (uint32_t j = 0; j < d; j++) {
					ga[m][j] += A[m][j] * inv;
					sb += p->alpha[m][j] * B[m][j];
				}
				gb[m] -= sb * inv;
			}
			for (uint32_t i = 0; i < d; i++)
				A[i][m] += 1.0;
			cnt[m] += 1.0;
		}
		if (T > tprev)
			decay(d, p->beta, same_beta, T - tprev, A, B, with_b);
		/* compensator: mu T + sum_j alpha/beta sum_k (1 - exp(-beta (T - t_k))) */
		for (uint32_t i = 0; i < d; i++) {
			double ib = 1.0 / p->beta[i];
			ll -= p->mu[i] * T;
			if (with_b)
				gmu[i] -= T;
			for (uint32_t j = 0; j < d; j++) {
				double c = cnt[j] - A[i][j];
				ll -= p->alpha[i][j] * ib * c;
				if (with_b) {
					ga[i][j] -= c * ib;
					gb[i] += p->alpha[i][j] * ib * (c * ib - B[i][j]);
				}
			}
		}
	}
	if (grad) {
		for (uint32_t i = 0; i < d; i++) {
			grad[i] = gmu[i];
			for (uint32_t j = 0; j < d; j++)
				grad[d + i * d + j] = ga[i][j];
			grad[d + d * d + i] = gb[i];
		}
	}
	return ll;
}

/* ------------------------------------------------------------ objective */

/*
 * x = [log mu (d)] [G row-major (d*d)] [log beta (d, or 1 shared)],
 * alpha[i][j] = G[i][j] * beta[i].  f = -l / n.
 */
struct fctx {
	const struct hseries *s;
	uint32_t d, shared, nx, pad;
	double inv_n, rho_max;
};

static void x_to_params(const struct fctx *c, const double *x, struct hawkes_params *p)
{
	uint32_t d = c->d, ob = d + d * d;

	memset(p, 0, sizeof(*p));
	p->dim = d;
	for (uint32_t i = 0; i < d; i++) {
		p->mu[i] = exp(x[i]);
		p->beta[i] = exp(x[ob + (c->shared ? 0 : i)]);
		for (uint32_t j = 0; j < d; j++)
			p->alpha[i][j] = x[d + i * d + j] * p->beta[i];
	}
}

static double objective(const double *x, double *g, void *ctx)
{
	const struct fctx *c = ctx;
	uint32_t d = c->d, ob = d + d * d;
	struct hawkes_params p;
	double gn[MAXP], ll;

	x_to_params(c, x, &p);
	if (d > 1 && !(hawkes_branching_ratio(&p) < c->rho_max))
		return INFINITY;
	ll = hfit_loglik(c->s, &p, gn);
	if (!isfinite(ll))
		return INFINITY;
	if (c->shared)
		g[ob] = 0;
	for (uint32_t i = 0; i < d; i++) {
		double gbeta = gn[ob + i];
		g[i] = -p.mu[i] * gn[i] * c->inv_n;
		for (uint32_t j = 0; j < d; j++) {
			double ga = gn[d + i * d + j];
			g[d + i * d + j] = -p.beta[i] * ga * c->inv_n;
			gbeta += x[d + i * d + j] * ga; /* alpha = G beta moves with beta */
		}
		if (c->shared)
			g[ob] -= p.beta[i] * gbeta * c->inv_n;
		else
			g[ob + i] = -p.beta[i] * gbeta * c->inv_n;
	}
	return -ll * c->inv_n;
}

/* ------------------------------------------------------------ linear algebra */

/* In place: a (k x k, row-major, symmetric positive definite) becomes its
 * inverse.  Cholesky a = L L^T, then columns of L^-T L^-1.  Returns 0 or
 * -EDOM when a pivot is not positive.  tmp: 2 k values. */
static int spd_inverse(double *a, uint32_t k, double *L, double *tmp)
{
	for (uint32_t j = 0; j < k; j++) {
		double s = a[j * k + j];
		for (uint32_t q = 0; q < j; q++)
			s -= L[j * k + q] * L[j * k + q];
		if (!(s > 0))
			return -EDOM;
		L[j * k + j] = sqrt(s);
		for (uint32_t i = j + 1; i < k; i++) {
			double v = a[i * k + j];
			for (uint32_t q = 0; q < j; q++)
				v -= L[i * k + q] * L[j * k + q];
			L[i * k + j] = v / L[j * k + j];
		}
	}
	for (uint32_t c = 0; c < k; c++) {
		double *z = tmp, *y = tmp + k;
		/* L z = e_c */
		for (uint32_t i = 0; i < k; i++) {
			double v = i == c;
			for (uint32_t q = 0; q < i; q++)
				v -= L[i * k + q] * z[q];
			z[i] = v / L[i * k + i];
		}
		/* L^T y = z */
		for (uint32_t i = k; i-- > 0;) {
			double v = z[i];
			for (uint32_t q = i + 1; q < k; q++)
				v -= L[q * k + i] * y[q];
			y[i] = v / L[i * k + i];
		}
		for (uint32_t i = 0; i < k; i++)
			a[i * k + c] = y[i];
	}
	return 0;
}

/* ------------------------------------------------------------ standard errors */

/* theta (natural, reduced: [mu, alpha, beta(d or 1)]) <-> params */
static void theta_to_params(uint32_t d, int shared, const double *th, struct hawkes_params *p)
{
	uint32_t ob = d + d * d;

	memset(p, 0, sizeof(*p));
	p->dim = d;
	for (uint32_t i = 0; i < d; i++) {
		p->mu[i] = th[i];
		p->beta[i] = th[ob + (shared ? 0 : i)];
		for (uint32_t j = 0; j < d; j++)
			p->alpha[i][j] = th[d + i * d + j];
	}
}

static void reduced_grad(const struct hseries *s, uint32_t d, int shared,
			 const double *th, double *g)
{
	struct hawkes_params p;
	double gn[MAXP];
	uint32_t ob = d + d * d;

	theta_to_params(d, shared, th, &p);
	hfit_loglik(s, &p, gn);
	memcpy(g, gn, sizeof(double) * ob);
	if (shared) {
		g[ob] = 0;
		for (uint32_t i = 0; i < d; i++)
			g[ob] += gn[ob + i];
	} else {
		memcpy(g + ob, gn + ob, sizeof(double) * d);
	}
}

static double theta_rho(uint32_t d, int shared, const double *th)
{
	struct hawkes_params p;

	theta_to_params(d, shared, th, &p);
	return hawkes_branching_ratio(&p);
}

int hfit_std_errors(const struct hseries *s, const struct hawkes_params *p,
		    uint32_t beta_mode, const uint8_t *fixed,
		    struct hawkes_params *se, double *rho_se)
{
	uint32_t d = p->dim, shared = beta_mode == HFIT_BETA_SHARED;
	uint32_t ob = d + d * d, nt = ob + (shared ? 1 : d), k = 0;
	uint32_t idx[MAXP];
	double th[MAXP], step[MAXP], gp[MAXP], gm[MAXP], drho[MAXP];
	double *H, *L, *tmp, v[MAXP];
	int rc = 0;

	if (d != s->dim || d < 1 || d > MAXD)
		return -EINVAL;
	memset(se, 0, sizeof(*se));
	se->dim = d;
	for (uint32_t i = 0; i < d; i++) {
		se->mu[i] = se->beta[i] = NAN;
		for (uint32_t j = 0; j < d; j++)
			se->alpha[i][j] = NAN;
	}
	if (rho_se)
		*rho_se = NAN;
	for (uint32_t i = 0; i < d; i++) {
		th[i] = p->mu[i];
		for (uint32_t j = 0; j < d; j++)
			th[d + i * d + j] = p->alpha[i][j];
		if (!shared || i == 0)
			th[ob + (shared ? 0 : i)] = p->beta[i];
	}
	for (uint32_t a = 0; a < nt; a++) {
		if (fixed && fixed[a])
			continue;
		idx[k++] = a;
		step[a] = HESS_STEP * (fabs(th[a]) > 0 ? fabs(th[a]) : 1e-3);
	}
	if (!k)
		return 0;
	H = malloc(sizeof(double) * ((size_t)2 * k * k + 2 * k));
	if (!H)
		return -ENOMEM;
	L = H + (size_t)k * k;
	tmp = L + (size_t)k * k;

	/* observed information, column a: -(g(th + h e_a) - g(th - h e_a)) / 2h */
	for (uint32_t c = 0; c < k; c++) {
		uint32_t a = idx[c];
		double keep = th[a], h = step[a];
		th[a] = keep + h;
		reduced_grad(s, d, shared, th, gp);
		drho[c] = theta_rho(d, shared, th);
		th[a] = keep - h;
		reduced_grad(s, d, shared, th, gm);
		drho[c] = (drho[c] - theta_rho(d, shared, th)) / (2 * h);
		th[a] = keep;
		for (uint32_t r = 0; r < k; r++)
			H[r * k + c] = -(gp[idx[r]] - gm[idx[r]]) / (2 * h);
	}
	for (uint32_t r = 0; r < k; r++)
		for (uint32_t c = r + 1; c < k; c++) {
			double m = 0.5 * (H[r * k + c] + H[c * k + r]);
			H[r * k + c] = H[c * k + r] = m;
		}
	rc = spd_inverse(H, k, L, tmp);
	if (rc)
		goto out;
	for (uint32_t c = 0; c < k; c++)
		v[idx[c]] = sqrt(H[c * k + c]);
	for (uint32_t i = 0; i < d; i++) {
		if (!(fixed && fixed[i]))
			se->mu[i] = v[i];
		for (uint32_t j = 0; j < d; j++)
			if (!(fixed && fixed[d + i * d + j]))
				se->alpha[i][j] = v[d + i * d + j];
		uint32_t b = ob + (shared ? 0 : i);
		if (!(fixed && fixed[b]))
			se->beta[i] = v[b];
	}
	if (rho_se) {
		double var = 0;
		for (uint32_t r = 0; r < k; r++)
			for (uint32_t c = 0; c < k; c++)
				var += drho[r] * H[r * k + c] * drho[c];
		*rho_se = var >= 0 ? sqrt(var) : NAN;
	}
out:
	free(H);
	return rc;
}

/* ------------------------------------------------------------ residuals, KS */

int hfit_residuals(const struct hseries *s, const struct hawkes_params *p,
		   double *const *out, uint64_t *n_out)
{
	uint32_t d = p->dim;

	if (d != s->dim || d < 1 || d > MAXD)
		return -EINVAL;
	for (uint32_t i = 0; i < d; i++)
		n_out[i] = 0;
	for (uint32_t sg = 0; sg < s->n_seg; sg++) {
		const struct hseries_seg *g = &s->seg[sg];
		double A[MAXD][MAXD] = { { 0 } }, R[MAXD] = { 0 }, tprev = 0;
		int have[MAXD] = { 0 };

		for (uint64_t k = g->first; k < g->end; k++) {
			double dt = s->t[k] - tprev;
			uint32_t m = s->type[k];

			if (dt > 0) {
				for (uint32_t i = 0; i < d; i++) {
					double e = exp(-p->beta[i] * dt);
					double om = -expm1(-p->beta[i] * dt), ex = 0;
					for (uint32_t j = 0; j < d; j++) {
						ex += p->alpha[i][j] * A[i][j];
						A[i][j] *= e;
					}
					R[i] += p->mu[i] * dt + ex / p->beta[i] * om;
				}
				tprev = s->t[k];
			}
			if (have[m])
				out[m][n_out[m]++] = R[m];
			R[m] = 0;
			have[m] = 1;
			for (uint32_t i = 0; i < d; i++)
				A[i][m] += 1.0;
		}
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double hfit_ks_exp1(double *x, uint64_t n)
{
	double dmax = 0;

	for (uint64_t k = 0; k < n; k++)
		x[k] = -expm1(-x[k]); /* the Exp(1) cdf */
	qsort(x, n, sizeof(*x), cmp_double);
	for (uint64_t k = 0; k < n; k++) {
		double hi = (double)(k + 1) / (double)n - x[k];
		double lo = x[k] - (double)k / (double)n;
		if (hi > dmax)
			dmax = hi;
		if (lo > dmax)
			dmax = lo;
	}
	return dmax;
}

double hfit_kolmogorov_sf(double x)
{
	double s = 0;

	if (!(x > 0))
		return 1.0;
	if (x < 1.18) {
		/* P(K <= x) = sqrt(2 pi) / x sum_k exp(-(2k - 1)^2 pi^2 / (8 x^2)),
		 * fast for small x where the alternating series is slow */
		double f = -M_PI * M_PI / (8 * x * x);
		for (int k = 1; k < 100; k++) {
			double term = exp(f * (2 * k - 1) * (2 * k - 1));
			s += term;
			if (term < 1e-17 * s)
				break;
		}
		return 1.0 - sqrt(2 * M_PI) / x * s;
	}
	for (int k = 1; k < 100; k++) {
		double term = exp(-2.0 * k * k * x * x);
		s += (k & 1) ? term : -term;
		if (term < 1e-17)
			break;
	}
	s *= 2;
	return s < 0 ? 0 : s > 1 ? 1 : s;
}

double hfit_ks_pvalue(double d, uint64_t n)
{
	double rn = sqrt((double)n);

	if (!n)
		return NAN;
	return hfit_kolmogorov_sf(d * (rn + 0.12 + 0.11 / rn));
}

int hfit_ks_test(const struct hseries *s, const struct hawkes_params *p,
		 struct hfit_ks *ks)
{
	double *buf[MAXD] = { 0 };
	uint64_t n[MAXD];
	uint32_t d = p->dim;
	int rc = 0;

	if (d != s->dim || d < 1 || d > MAXD)
		return -EINVAL;
	for (uint32_t i = 0; i < d; i++) {
		buf[i] = malloc(sizeof(double) * (s->count[i] ? s->count[i] : 1));
		if (!buf[i]) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = hfit_residuals(s, p, buf, n);
	if (rc)
		goto out;
	for (uint32_t i = 0; i < d; i++) {
		double sum = 0;
		ks[i].n = n[i];
		if (!n[i]) {
			ks[i].stat = ks[i].p = ks[i].mean = NAN;
			continue;
		}
		for (uint64_t k = 0; k < n[i]; k++)
			sum += buf[i][k];
		ks[i].mean = sum / (double)n[i];
		ks[i].stat = hfit_ks_exp1(buf[i], n[i]);
		ks[i].p = hfit_ks_pvalue(ks[i].stat, n[i]);
	}
out:
	for (uint32_t i = 0; i < d; i++)
		free(buf[i]);
	return rc;
}

/* ------------------------------------------------------------ the fit */

/* Decay of start k as a multiple of the total event rate, and its
 * branching ratio. */
static const double start_beta[MAX_STARTS] = { 1, 10, 0.1, 100, 0.01, 3, 30, 0.3 };
static const double start_n[MAX_STARTS]    = { 0.5, 0.5, 0.5, 0.3, 0.3, 0.7, 0.7, 0.7 };

int hfit_fit(const struct hseries *s, const struct hfit_opts *o, struct hfit_result *r)
{
	struct hfit_opts def = { 0 };
	struct fctx c;
	struct lbfgsb_opts lo_screen = { 0 }, lo_final = { 0 };
	struct lbfgsb_result lr;
	double lo[MAXP], hi[MAXP], x[MAXP], xbest[MAXP], fbest = INFINITY;
	double T, rate[MAXD], rtot;
	uint8_t fixed[MAXP] = { 0 };
	uint32_t d = s->dim, nx, ob, starts;
	void *work;
	int rc;

	if (!o)
		o = &def;
	starts = o->starts ? o->starts : HFIT_DEF_STARTS;
	if (d < 1 || d > MAXD || starts > MAX_STARTS || o->beta_mode > HFIT_BETA_SHARED ||
	    o->rho_max < 0 || o->rho_max >= 1 || !isfinite(o->rho_max))
		return -EINVAL;
	T = hseries_total_s(s);
	if (!(T > 0))
		return -EINVAL;
	for (uint32_t i = 0; i < d; i++)
		if (s->count[i] < HFIT_MIN_EVENTS)
			return -EINVAL;
	memset(r, 0, sizeof(*r));
	c.s = s;
	c.d = d;
	c.shared = o->beta_mode == HFIT_BETA_SHARED;
	ob = d + d * d;
	nx = c.nx = ob + (c.shared ? 1 : d);
	c.inv_n = 1.0 / (double)s->n;
	c.rho_max = o->rho_max > 0 ? o->rho_max : HFIT_DEF_RHO_MAX;
	rtot = (double)s->n / T;

	for (uint32_t i = 0; i < d; i++) {
		rate[i] = (double)s->count[i] / T;
		lo[i] = log(1e-6 * rate[i]);
		hi[i] = log(1e3 * rate[i]);
		for (uint32_t j = 0; j < d; j++) {
			lo[d + i * d + j] = 0;
			hi[d + i * d + j] = i == j ? c.rho_max : G_OFF_MAX;
		}
	}
	for (uint32_t b = ob; b < nx; b++) {
		lo[b] = log(1e-4 * rtot);
		hi[b] = log(1e6 * rtot);
	}

	work = malloc(lbfgsb_memsize(nx, 0));
	if (!work)
		return -ENOMEM;
	lo_screen.max_iter = SCREEN_ITER;
	lo_final.max_iter = o->max_iter;
	for (uint32_t k = 0; k < starts; k++) {
		double n0 = start_n[k] < c.rho_max ? start_n[k] : 0.5 * c.rho_max;
		for (uint32_t i = 0; i < d; i++) {
			x[i] = log(rate[i] * (1 - n0));
			for (uint32_t j = 0; j < d; j++)
				x[d + i * d + j] = d == 1 ? n0 :
					i == j ? 0.7 * n0 : 0.3 * n0 / (d - 1);
		}
		for (uint32_t b = ob; b < nx; b++)
			x[b] = log(start_beta[k] * rtot);
		rc = lbfgsb_minimize(nx, x, lo, hi, objective, &c, &lo_screen, &lr, work);
		r->starts++;
		if (rc)
			continue; /* not finite at this start: try the next */
		r->iter += lr.iter;
		r->evals += lr.evals;
		if (lr.f < fbest) {
			fbest = lr.f;
			memcpy(xbest, x, sizeof(double) * nx);
		}
	}
	if (!isfinite(fbest)) {
		free(work);
		return -EDOM;
	}
	memcpy(x, xbest, sizeof(double) * nx);
	rc = lbfgsb_minimize(nx, x, lo, hi, objective, &c, &lo_final, &lr, work);
	free(work);
	if (rc)
		return rc;
	r->iter += lr.iter;
	r->evals += lr.evals;
	r->status = lr.status;
	r->converged = lr.status == LBFGSB_PGTOL || lr.status == LBFGSB_FTOL;
	r->pg = lr.pg;

	x_to_params(&c, x, &r->p);
	r->loglik = hfit_loglik(s, &r->p, NULL);
	r->k = nx;
	r->aic = 2.0 * nx - 2.0 * r->loglik;
	r->loglik_poisson = 0;
	for (uint32_t i = 0; i < d; i++)
		r->loglik_poisson += (double)s->count[i] * (log(rate[i]) - 1.0);
	r->rho = hawkes_branching_ratio(&r->p);
	r->rho_at_max = r->rho > c.rho_max - 1e-6;

	/* parameters on a bound have no standard error; the x and theta
	 * layouts index the same parameters */
	for (uint32_t a = 0; a < nx; a++)
		if (x[a] <= lo[a] || x[a] >= hi[a]) {
			fixed[a] = 1;
			r->at_bound++;
		}
	rc = hfit_std_errors(s, &r->p, o->beta_mode, fixed, &r->se, &r->rho_se);
	if (rc == -ENOMEM)
		return rc;
	r->hess_ok = rc == 0;
	if (r->rho_at_max)
		r->rho_se = NAN;
	return hfit_ks_test(s, &r->p, r->ks);
}
