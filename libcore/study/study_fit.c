/*
 * study_fit.c — the estimates from the stream's sums (study.h): least
 * squares from cross-product sums, the first principal component of the
 * multi-level OFI, the spread decompositions, the fill curve, the
 * profiles and the Hawkes fits.  docs/study.md has the definitions.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "libcore/study/study.h"
#include "libcore/study/study_int.h"

#define NONE INT64_MIN

/* ------------------------------------------------------------ algebra */

void study_ols_from_sums(const struct study_sums2 *s, struct study_ols *o)
{
	double n = (double)s->n;

	o->n = s->n;
	o->slope = o->intercept = o->r2 = o->slope_se = NAN;
	if (s->n < 3)
		return;
	double sxx = s->sxx - s->sx * s->sx / n;
	double syy = s->syy - s->sy * s->sy / n;
	double sxy = s->sxy - s->sx * s->sy / n;
	/* a constant regressor (in floating point: its spread lost in the
	 * sums' rounding) has no slope */
	if (!(sxx > 1e-12 * s->sxx) || !(sxx > 0))
		return;
	o->slope = sxy / sxx;
	o->intercept = (s->sy - o->slope * s->sx) / n;
	if (syy > 1e-12 * s->syy && syy > 0) {
		o->r2 = sxy * sxy / (sxx * syy);
		double ssr = syy - o->slope * sxy;
		o->slope_se = sqrt((ssr > 0 ? ssr : 0) / (n - 2) / sxx);
	} else {
		o->r2 = NAN;
		o->slope_se = 0;
	}
}

int study_solve_spd(double *a, double *b, uint32_t n)
{
	/* Cholesky a = L L^T, L in the lower triangle */
	for (uint32_t j = 0; j < n; j++) {
		double d = a[j * n + j];
		for (uint32_t k = 0; k < j; k++)
			d -= a[j * n + k] * a[j * n + k];
		if (!(d > 0))
			return -EDOM;
		d = sqrt(d);
		a[j * n + j] = d;
		for (uint32_t i = j + 1; i < n; i++) {
			double v = a[i * n + j];
			for (uint32_t k = 0; k < j; k++)
				v -= a[i * n + k] * a[j * n + k];
			a[i * n + j] = v / d;
		}
	}
	for (uint32_t i = 0; i < n; i++) {         /* L y = b */
		double v = b[i];
		for (uint32_t k = 0; k < i; k++)
			v -= a[i * n + k] * b[k];
		b[i] = v / a[i * n + i];
	}
	for (uint32_t i = n; i-- > 0;) {           /* L^T x = y */
		double v = b[i];
		for (uint32_t k = i + 1; k < n; k++)
			v -= a[k * n + i] * b[k];
		b[i] = v / a[i * n + i];
	}
	return 0;
}

void study_eigen_sym(double *a, uint32_t n, double *val, double *vec)
{
	double v[STUDY_OFI_LEVELS * STUDY_OFI_LEVELS];

	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < n; j++)
			v[i * n + j] = i == j;
	for (int sweep = 0; sweep < 100; sweep++) {
		double off = 0, diag = 0;
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = 0; j < n; j++)
				if (i != j)
					off += a[i * n + j] * a[i * n + j];
				else
					diag += a[i * n + i] * a[i * n + i];
		if (off <= 1e-30 * (diag > 0 ? diag : 1))
			break;
		for (uint32_t p = 0; p < n; p++)
			for (uint32_t q = p + 1; q < n; q++) {
				double apq = a[p * n + q];
				if (apq == 0)
					continue;
				double th = (a[q * n + q] - a[p * n + p]) / (2 * apq);
				double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
				double c = 1 / sqrt(t * t + 1), sn = t * c;
				for (uint32_t k = 0; k < n; k++) {   /* columns p, q */
					double akp = a[k * n + p], akq = a[k * n + q];
					a[k * n + p] = c * akp - sn * akq;
					a[k * n + q] = sn * akp + c * akq;
				}
				for (uint32_t k = 0; k < n; k++) {   /* rows p, q */
					double apk = a[p * n + k], aqk = a[q * n + k];
					a[p * n + k] = c * apk - sn * aqk;
					a[q * n + k] = sn * apk + c * aqk;
				}
				for (uint32_t k = 0; k < n; k++) {   /* V = V J */
					double vkp = v[k * n + p], vkq = v[k * n + q];
					v[k * n + p] = c * vkp - sn * vkq;
					v[k * n + q] = sn * vkp + c * vkq;
				}
			}
	}
	/* sort descending; eigenvector i is column i of v */
	uint32_t idx[STUDY_OFI_LEVELS];
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && a[idx[j] * n + idx[j]] > a[idx[j - 1] * n + idx[j - 1]]; j--) {
			uint32_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	for (uint32_t i = 0; i < n; i++) {
		val[i] = a[idx[i] * n + idx[i]];
		for (uint32_t k = 0; k < n; k++)
			vec[i * n + k] = v[k * n + idx[i]];
	}
}

/*
 * Least squares without an intercept from X'X (k x k), X'y, y'y, sum y
 * and n: coefficients b, their standard errors, the centred R^2.
 * Returns 0 or -EDOM (X'X singular, n <= k).
 */
static int ols_multi(const double *xx, const double *xy, double yy, double sy, uint64_t n,
		     uint32_t k, double *b, double *se, double *r2)
{
	double a[16], f[16];

	for (uint32_t i = 0; i < k; i++) {
		b[i] = se[i] = NAN;
	}
	*r2 = NAN;
	if (n <= k)
		return -EDOM;
	memcpy(a, xx, k * k * sizeof(double));
	double x[4];
	memcpy(x, xy, k * sizeof(double));
	if (study_solve_spd(a, x, k))
		return -EDOM;
	double ssr = yy;
	for (uint32_t i = 0; i < k; i++)
		ssr -= x[i] * xy[i];
	if (ssr < 0)
		ssr = 0;
	double s2 = ssr / (double)(n - k);
	for (uint32_t i = 0; i < k; i++) {
		/* the i-th diagonal of (X'X)^-1 */
		double e[4] = { 0, 0, 0, 0 };
		e[i] = 1;
		memcpy(f, xx, k * k * sizeof(double));
		if (study_solve_spd(f, e, k) == 0)
			se[i] = sqrt(s2 * e[i]);
		b[i] = x[i];
	}
	double sst = yy - sy * sy / (double)n;
	*r2 = sst > 0 ? 1 - ssr / sst : NAN;
	return 0;
}

void study_fano_from_sums(uint64_t n, double s, double ss, struct study_fano *f)
{
	f->n = n;
	f->mean = f->var = f->ratio = f->branching = NAN;
	if (n < 2)
		return;
	f->mean = s / (double)n;
	f->var = (ss - s * s / (double)n) / (double)(n - 1);
	if (f->var < 0)
		f->var = 0;
	if (f->mean > 0) {
		f->ratio = f->var / f->mean;
		if (f->ratio > 0)
			f->branching = 1 - 1 / sqrt(f->ratio);
	}
}

void study_fill_fit(struct study_fill *f)
{
	struct study_sums2 sm = { 0 };
	uint64_t cum[STUDY_FILL_BINS] = { 0 };
	uint64_t c = 0;

	f->n_fit = 0;
	f->a = f->k = f->r2 = NAN;
	for (uint32_t j = STUDY_FILL_BINS; j-- > 0;) {
		c += f->reach[j];
		cum[j] = c;
	}
	if (!(f->observed_s > 0))
		return;
	/* the distances orders reached (the last bin holds every order
	 * beyond it, no exact distance), each with enough orders at or
	 * beyond it */
	for (uint32_t j = 1; j + 1 < STUDY_FILL_BINS; j++) {
		if (!f->reach[j] || cum[j] < STUDY_FILL_MIN_COUNT)
			continue;
		if (f->max_ticks > 0 && j / 2.0 > f->max_ticks)
			break;
		double x = j / 2.0, y = log((double)cum[j] / f->observed_s);
		sm.n++;
		sm.sx += x;
		sm.sy += y;
		sm.sxx += x * x;
		sm.sxy += x * y;
		sm.syy += y * y;
	}
	f->n_fit = (uint32_t)sm.n;
	if (sm.n < 2)
		return;
	double n = (double)sm.n;
	double sxx = sm.sxx - sm.sx * sm.sx / n, sxy = sm.sxy - sm.sx * sm.sy / n;
	double syy = sm.syy - sm.sy * sm.sy / n;
	if (!(sxx > 0))
		return;
	double b = sxy / sxx;
	f->k = -b;
	f->a = exp((sm.sy - b * sm.sx) / n);
	f->r2 = syy > 0 ? sxy * sxy / (sxx * syy) : 1.0;
}

/* ------------------------------------------------------------ finish */

static void window_result(const struct study *s, const struct study_win *w,
			  struct study_window_res *r)
{
	uint32_t L = s->levels;
	double cov[STUDY_OFI_LEVELS * STUDY_OFI_LEVELS], val[STUDY_OFI_LEVELS];
	double vec[STUDY_OFI_LEVELS * STUDY_OFI_LEVELS];
	double n = (double)w->ml_n;

	r->len_ns = w->len_ns;
	r->n = w->s_ofi.n;
	study_ols_from_sums(&w->s_ofi, &r->ofi);
	study_ols_from_sums(&w->s_kyle, &r->kyle);
	r->levels = L;
	r->pc1_share = NAN;
	for (uint32_t i = 0; i < STUDY_OFI_LEVELS; i++)
		r->pc1[i] = NAN;
	r->ofi_int = (struct study_ols){ .n = w->ml_n, .slope = NAN, .intercept = NAN,
					 .r2 = NAN, .slope_se = NAN };
	if (w->ml_n >= 3) {
		double tr = 0;
		for (uint32_t i = 0; i < L; i++)
			for (uint32_t j = 0; j <= i; j++) {
				double c = (w->ml_sxx[i][j] - w->ml_sx[i] * w->ml_sx[j] / n) /
					   (n - 1);
				cov[i * L + j] = cov[j * L + i] = c;
			}
		for (uint32_t i = 0; i < L; i++)
			tr += cov[i * L + i];
		if (tr > 0) {
			study_eigen_sym(cov, L, val, vec);
			double sum = 0, l1 = 0;
			for (uint32_t i = 0; i < L; i++) {
				sum += vec[i];
				l1 += fabs(vec[i]);
			}
			double sg = sum < 0 ? -1 : 1;
			double ev = 0;
			for (uint32_t i = 0; i < L; i++) {
				r->pc1[i] = sg * vec[i] / l1;
				ev += val[i] > 0 ? val[i] : 0;
			}
			r->pc1_share = ev > 0 ? val[0] / ev : NAN;
			/* the integrated OFI w.x of every window, as sums */
			struct study_sums2 m = { .n = w->ml_n, .sy = w->ml_sy, .syy = w->ml_syy };
			for (uint32_t i = 0; i < L; i++) {
				m.sx += r->pc1[i] * w->ml_sx[i];
				m.sxy += r->pc1[i] * w->ml_sxy[i];
				for (uint32_t j = 0; j < L; j++) {
					double xij = i >= j ? w->ml_sxx[i][j] : w->ml_sxx[j][i];
					m.sxx += r->pc1[i] * r->pc1[j] * xij;
				}
			}
			study_ols_from_sums(&m, &r->ofi_int);
		}
	}
	r->amihud_n = w->amihud_n;
	r->amihud = w->amihud_n ? w->amihud_sum / (double)w->amihud_n : NAN;
	for (int k = 0; k < 3; k++)
		study_fano_from_sums(w->f_n, w->f_s[k], w->f_ss[k], &r->fano[k]);
	r->n_points = w->n_points;
	memcpy(r->points, w->points, w->n_points * sizeof(w->points[0]));
}

static int hawkes_result(struct study *s, struct study_result *r)
{
	struct study_hawkes *h = &r->hawkes;
	const struct hseries *hs = &s->series;

	h->capped = (uint32_t)s->series_capped;
	h->trades_left_out = s->series_left_out;
	h->rc[0] = h->rc[1] = h->rc[2] = -EINVAL;
	if (!s->series_ok)
		return 0;
	h->events = hs->n;
	h->count[0] = hs->count[0];
	h->count[1] = hs->count[1];
	h->merged = hs->merged;
	h->no_side = hs->no_side;
	h->observed_s = hseries_total_s(hs);
	if (hs->count[0] < HFIT_MIN_EVENTS || hs->count[1] < HFIT_MIN_EVENTS)
		return 0;
	/* the models of dm-hawkes-fit, with its default options */
	for (uint32_t k = 0; k < 2; k++) {
		struct hseries one;
		int rc = hseries_select(&one, hs, k);
		if (rc)
			return rc == -ENOMEM ? rc : 0;
		h->rc[k] = hfit_fit(&one, NULL, &h->uni[k]);
		hseries_free(&one);
		if (h->rc[k] == -ENOMEM)
			return -ENOMEM;
	}
	h->rc[2] = hfit_fit(hs, NULL, &h->bi);
	if (h->rc[2] == -ENOMEM)
		return -ENOMEM;
	h->fitted = !h->rc[0] && !h->rc[1] && !h->rc[2];
	return 0;
}

int study_finish(struct study *s, struct study_result *r)
{
	memset(r, 0, sizeof(*r));
	study_flush(s);

	r->events = s->events;
	r->books = s->books;
	r->trades = s->trades;
	r->back_in_time = s->back_in_time;
	r->segments = s->segments;
	r->n_windows = s->p.n_windows;
	r->t_first = s->t_first;
	r->t_last = s->t_last;
	r->observed_s = s->observed_s;
	memcpy(r->signed_by, s->signed_by, sizeof(r->signed_by));
	r->quoted_spread = s->spread_dt > 0 ? s->spread_t / s->spread_dt : NAN;
	r->effective_n = s->eff_n;
	r->effective_spread = s->eff_n ? s->eff_sum / (double)s->eff_n : NAN;
	r->effective_median = s->eff_n ? (double)hist_quantile(&s->eff_hist, 0.5) : NAN;
	for (uint32_t i = 0; i < s->p.n_windows; i++)
		window_result(s, &s->win[i], &r->win[i]);

	/* Roll */
	r->roll.n = s->roll_n;
	r->roll.cov = r->roll.spread = NAN;
	if (s->roll_n >= 2) {
		double n = (double)s->roll_n;
		r->roll.cov = (s->roll_sab - s->roll_sa * s->roll_sb / n) / (n - 1);
		if (r->roll.cov < 0)
			r->roll.spread = 2 * sqrt(-r->roll.cov);
	}

	/* Glosten-Harris */
	double b[4] = { 0 }, se[4] = { 0 }, r2 = NAN;
	struct study_gh *gh = &r->gh;
	gh->n = s->gh_n;
	ols_multi(&s->gh_xx[0][0], s->gh_xy, s->gh_yy, s->gh_sy, s->gh_n, 4, b, se, &r2);
	gh->c0 = b[0];
	gh->c1 = b[1];
	gh->z0 = b[2];
	gh->z1 = b[3];
	memcpy(gh->se, se, sizeof(se));
	gh->r2 = r2;
	gh->v_mean = s->gh_n ? s->gh_v / (double)s->gh_n : NAN;
	gh->transitory = gh->c0 + gh->c1 * gh->v_mean;
	gh->adverse = gh->z0 + gh->z1 * gh->v_mean;
	gh->spread = 2 * (gh->transitory + gh->adverse);
	gh->adverse_share = gh->adverse / (gh->transitory + gh->adverse);

	/* Huang-Stoll */
	struct study_hs *hs = &r->hs;
	hs->n = s->gh_n;
	ols_multi(&s->hs_xx[0][0], s->hs_xy, s->gh_yy, s->gh_sy, s->gh_n, 2, b, se, &r2);
	hs->half_spread = b[0];
	hs->lambda = b[1] / b[0];
	hs->se_half = se[0];
	hs->se_lambda_s = se[1];
	hs->r2 = r2;

	/* the fill curve */
	r->fill.orders = s->fill_orders;
	r->fill.observed_s = s->observed_s;
	r->fill.max_ticks = s->p.fill_max_ticks;
	memcpy(r->fill.reach, s->fill, sizeof(s->fill));
	study_fill_fit(&r->fill);

	/* the temporary impact */
	study_ols_from_sums(&s->s_impact, &r->impact.fit);
	r->impact.mean_qty = s->s_impact.n ? s->s_impact.sx / (double)s->s_impact.n : NAN;
	r->impact.mean_slip = s->s_impact.n ? s->s_impact.sy / (double)s->s_impact.n : NAN;

	/* profiles */
	r->profile_bin_ns = s->p.profile_bin_ns;
	r->profile_bins = s->n_bins;
	for (uint32_t i = 0; i < s->n_bins; i++) {
		const struct study_pbin *pb = &s->bins[i];
		struct study_profile_bin *o = &r->profile[i];
		o->observed_s = pb->obs_s;
		o->spread_ticks = pb->spread_s > 0 ? pb->spread_ts / pb->spread_s : NAN;
		o->volume = pb->volume;
		o->trades = pb->trades;
		o->volume_per_min = pb->obs_s > 0 ? pb->volume / pb->obs_s * 60 : NAN;
		o->trades_per_min = pb->obs_s > 0 ? (double)pb->trades / pb->obs_s * 60 : NAN;
		o->volatility_bps = pb->obs_s > 0 && pb->rv_n ?
				    1e4 * sqrt(60 * pb->rv / pb->obs_s) : NAN;
	}
	return hawkes_result(s, r);
}
