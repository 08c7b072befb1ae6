/*
 * lbfgsb.c — projected L-BFGS under box bounds (design note in lbfgsb.h).
 */
#include "libcore/hawkes/lbfgsb.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define LB_DEF_M        8u
#define LB_DEF_ITER     500u
#define LB_DEF_PGTOL    1e-7
#define LB_DEF_FTOL     1e-13
#define LB_C1           1e-4   /* Armijo constant */
#define LB_MAX_BACKTRACK 60
#define LB_EPS_ACTIVE   1e-3   /* largest epsilon of the active set */

struct lb_work {
	double *xt, *g, *gt, *d, *q, *free; /* n each */
	double *s, *y;                      /* m * n each, pair k at k * n */
	double *rho, *alpha;                /* m each */
};

size_t lbfgsb_memsize(uint32_t n, uint32_t m)
{
	if (!m)
		m = LB_DEF_M;
	return sizeof(double) * ((size_t)6 * n + (size_t)2 * m * n + (size_t)2 * m);
}

static void lb_carve(struct lb_work *w, void *mem, uint32_t n, uint32_t m)
{
	double *p = mem;

	w->xt = p; p += n;
	w->g = p; p += n;
	w->gt = p; p += n;
	w->d = p; p += n;
	w->q = p; p += n;
	w->free = p; p += n;
	w->s = p; p += (size_t)m * n;
	w->y = p; p += (size_t)m * n;
	w->rho = p; p += m;
	w->alpha = p;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* max |P(x - g) - x| */
static double proj_grad_norm(uint32_t n, const double *x, const double *g,
			     const double *lo, const double *hi)
{
	double r = 0;

	for (uint32_t i = 0; i < n; i++) {
		double v = fabs(clamp(x[i] - g[i], lo[i], hi[i]) - x[i]);
		if (v > r)
			r = v;
	}
	return r;
}

/* Dot product over the free variables only (mask 1.0 / 0.0). */
static double dot_free(uint32_t n, const double *a, const double *b, const double *mask)
{
	double s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += mask[i] * a[i] * b[i];
	return s;
}

const char *lbfgsb_status_name(uint32_t status)
{
	switch (status) {
	case LBFGSB_PGTOL:     return "pgtol";
	case LBFGSB_FTOL:      return "ftol";
	case LBFGSB_MAX_ITER:  return "max_iter";
	case LBFGSB_LINE_FAIL: return "line_search_failed";
	default:               return "?";
	}
}

int lbfgsb_minimize(uint32_t n, double *x, const double *lo, const double *hi,
		    lbfgsb_fn fn, void *ctx, const struct lbfgsb_opts *o,
		    struct lbfgsb_result *res, void *work)
{
	struct lbfgsb_opts def = { 0 };
	struct lb_work w;
	uint32_t m, max_iter, max_eval, k_used = 0, k_next = 0, evals = 0, iter;
	double pgtol, ftol, f, pg;
	int status = LBFGSB_MAX_ITER;

	if (!n || !x || !lo || !hi || !fn || !res || !work)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (!(lo[i] <= hi[i]))
			return -EINVAL;
	if (!o)
		o = &def;
	m = o->m ? o->m : LB_DEF_M;
	max_iter = o->max_iter ? o->max_iter : LB_DEF_ITER;
	max_eval = o->max_eval ? o->max_eval : 20 * max_iter;
	pgtol = o->pgtol > 0 ? o->pgtol : LB_DEF_PGTOL;
	ftol = o->ftol > 0 ? o->ftol : LB_DEF_FTOL;
	lb_carve(&w, work, n, m);

	for (uint32_t i = 0; i < n; i++)
		x[i] = clamp(x[i], lo[i], hi[i]);
	f = fn(x, w.g, ctx);
	evals++;
	if (!isfinite(f))
		return -EDOM;

	for (iter = 0; iter < max_iter; iter++) {
		double eps, gd, gd_free, dnorm = 0, t, ft = INFINITY, dec;
		int steepest = 0, accepted = 0;

		pg = proj_grad_norm(n, x, w.g, lo, hi);
		if (pg <= pgtol) {
			status = LBFGSB_PGTOL;
			break;
		}
		if (evals >= max_eval)
			break;
		/* epsilon-active set: near a bound and pushed into it */
		eps = pg < LB_EPS_ACTIVE ? pg : LB_EPS_ACTIVE;
		for (uint32_t i = 0; i < n; i++) {
			int act = (x[i] <= lo[i] + eps && w.g[i] > 0) ||
				  (x[i] >= hi[i] - eps && w.g[i] < 0);
			w.free[i] = act ? 0.0 : 1.0;
		}
retry:
		/* two-loop recursion on the free variables: d = -H g */
		for (uint32_t i = 0; i < n; i++)
			w.q[i] = w.free[i] * w.g[i];
		if (!steepest && k_used) {
			uint32_t newest = (k_next + m - 1) % m;
			double sy, yy, gamma;

			for (uint32_t c = 0; c < k_used; c++) {
				uint32_t k = (k_next + m - 1 - c) % m;
				double *s = w.s + (size_t)k * n, *y = w.y + (size_t)k * n;
				double syk = dot_free(n, s, y, w.free);
				w.rho[k] = syk > 0 ? 1.0 / syk : 0.0;
				w.alpha[k] = w.rho[k] * dot_free(n, s, w.q, w.free);
				for (uint32_t i = 0; i < n; i++)
					w.q[i] -= w.alpha[k] * w.free[i] * y[i];
			}
			sy = dot_free(n, w.s + (size_t)newest * n, w.y + (size_t)newest * n, w.free);
			yy = dot_free(n, w.y + (size_t)newest * n, w.y + (size_t)newest * n, w.free);
			gamma = sy > 0 && yy > 0 ? sy / yy : 1.0;
			for (uint32_t i = 0; i < n; i++)
				w.q[i] *= gamma;
			for (uint32_t c = k_used; c-- > 0;) {
				uint32_t k = (k_next + m - 1 - c) % m;
				double *s = w.s + (size_t)k * n, *y = w.y + (size_t)k * n;
				double b = w.rho[k] * dot_free(n, y, w.q, w.free);
				for (uint32_t i = 0; i < n; i++)
					w.q[i] += (w.alpha[k] - b) * w.free[i] * s[i];
			}
		}
		/* Free variables: the quasi-Newton step.  Active ones: steepest
		 * descent, which the projection turns into "onto the bound"
		 * (Bertsekas' diagonal scaling on the active set). */
		gd = 0;
		gd_free = 0;
		dnorm = 0;
		for (uint32_t i = 0; i < n; i++) {
			w.d[i] = w.free[i] != 0 ? -w.q[i] : -w.g[i];
			gd += w.g[i] * w.d[i];
			gd_free += w.free[i] * w.g[i] * w.d[i];
			if (fabs(w.d[i]) > dnorm)
				dnorm = fabs(w.d[i]);
		}
		if (gd_free > 0 || !isfinite(gd)) {
			if (!steepest) {
				steepest = 1;
				k_used = 0; /* memory no longer describes f: drop it */
				goto retry;
			}
		}
		if (!(gd < 0)) {
			/* no component to move: a KKT point up to rounding */
			status = LBFGSB_PGTOL;
			break;
		}
		/* First step without curvature information: at most one unit
		 * in any variable. */
		t = (steepest || !k_used) && dnorm > 1 ? 1.0 / dnorm : 1.0;
		for (int bt = 0; bt < LB_MAX_BACKTRACK && evals < max_eval; bt++) {
			double lin = 0, tn;

			for (uint32_t i = 0; i < n; i++) {
				w.xt[i] = clamp(x[i] + t * w.d[i], lo[i], hi[i]);
				lin += w.g[i] * (w.xt[i] - x[i]);
			}
			ft = fn(w.xt, w.gt, ctx);
			evals++;
			if (isfinite(ft) && ft <= f + LB_C1 * lin) {
				accepted = 1;
				break;
			}
			if (lin == 0)
				break; /* the step no longer moves x */
			if (!isfinite(ft)) {
				t *= 0.25;
				continue;
			}
			/* minimiser of the quadratic through f, slope gd, f(t) */
			tn = -gd * t * t / (2 * (ft - f - gd * t));
			t = isfinite(tn) ? clamp(tn, 0.1 * t, 0.5 * t) : 0.5 * t;
		}
		if (!accepted) {
			if (!steepest && k_used) {
				steepest = 1;
				k_used = 0;
				goto retry;
			}
			status = LBFGSB_LINE_FAIL;
			break;
		}
		/* keep the pair when the curvature is positive */
		{
			double *s = w.s + (size_t)k_next * n, *y = w.y + (size_t)k_next * n;
			double sy = 0, ss = 0, yy = 0;
			for (uint32_t i = 0; i < n; i++) {
				s[i] = w.xt[i] - x[i];
				y[i] = w.gt[i] - w.g[i];
				sy += s[i] * y[i];
				ss += s[i] * s[i];
				yy += y[i] * y[i];
			}
			if (sy > 1e-10 * sqrt(ss * yy)) {
				k_next = (k_next + 1) % m;
				if (k_used < m)
					k_used++;
			}
		}
		dec = f - ft;
		memcpy(x, w.xt, sizeof(double) * n);
		memcpy(w.g, w.gt, sizeof(double) * n);
		f = ft;
		if (dec <= ftol * fmax(1.0, fabs(f))) {
			iter++;
			status = LBFGSB_FTOL;
			break;
		}
	}
	res->f = f;
	res->pg = proj_grad_norm(n, x, w.g, lo, hi);
	res->iter = iter;
	res->evals = evals;
	res->status = (uint32_t)status;
	res->active = 0;
	for (uint32_t i = 0; i < n; i++)
		if (x[i] <= lo[i] || x[i] >= hi[i])
			res->active++;
	return 0;
}
