/*
 * The Hawkes fitter (libcore/hawkes) against independent computations:
 * the optimizer on problems with known minimisers, the O(n) likelihood
 * against a naive O(n^2) sum written here, its gradient against finite
 * differences, the Kolmogorov distribution against its other series, and
 * parameter recovery on processes simulated with known parameters (Ogata
 * thinning of libcore/gen/hawkes.h, and the dm-gen market flow through
 * the same event path the tool reads from a journal).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcore/market/calendar.h"
#include "libcore/config/config.h"
#include "libcore/gen/gen.h"
#include "libcore/gen/hawkes.h"
#include "libcore/gen/rng.h"
#include "libcore/hawkes/fit.h"
#include "libcore/hawkes/lbfgsb.h"
#include "libcore/hawkes/series.h"
#include "libcore/types.h"
#include "tests/helpers.h"

/*
 * Sizes.  The recovery tests need >= 200k events to hold alpha and beta
 * within 10%; the dm-gen cross-excitation (alpha 0.5 against 5.5 on the
 * diagonal) has a standard error of about 5% at 200k market orders, so
 * that test uses 1M orders (2.3%: 10% is over 4 standard errors).  The
 * numeric loops barely slow down under ASan+UBSan, so the sanitizer build
 * runs the same sizes (about 15 s either way).
 */
#define T_N_RECOVER 200000u
#define T_N_GEN     1000000u
#define T_MC_REPS   40u

/* ------------------------------------------------------------ helpers */

static void t_params1(struct hawkes_params *p, double mu, double alpha, double beta)
{
	memset(p, 0, sizeof(*p));
	p->dim = 1;
	p->mu[0] = mu;
	p->alpha[0][0] = alpha;
	p->beta[0] = beta;
}

/* The bivariate test process: G = [[.5 .2] [.15 .3]], spectral radius 0.6. */
static void t_params2(struct hawkes_params *p)
{
	memset(p, 0, sizeof(*p));
	p->dim = 2;
	p->mu[0] = 1.0;
	p->mu[1] = 0.6;
	p->beta[0] = 10;
	p->beta[1] = 20;
	p->alpha[0][0] = 5;
	p->alpha[0][1] = 2;
	p->alpha[1][0] = 3;
	p->alpha[1][1] = 6;
}

/* n events of p by Ogata thinning (hawkes.h) into a fresh one-segment series. */
static void t_simulate(struct hseries *s, const struct hawkes_params *p, uint64_t n,
		       uint64_t seed)
{
	struct hawkes h;
	struct rng r;
	char err[256] = "";

	cr_assert_eq(hawkes_init(&h, p, 0, err, sizeof(err)), 0, "%s", err);
	rng_seed(&r, seed, 7);
	cr_assert_eq(hseries_init(s, p->dim, -1, HSERIES_TIES_MERGE), 0);
	for (uint64_t i = 0; i < n; i++) {
		double t;
		uint32_t ty = hawkes_next(&h, &r, &t);
		cr_assert_eq(hseries_push_s(s, t, ty), 0);
	}
}

/* |est - truth| <= rel * truth, and within k standard errors. */
static void t_close(const char *what, double est, double se, double truth, double rel,
		    double k)
{
	cr_log_info("%-22s true %9.4f  fitted %9.4f +- %.4f  (%+.2f%%, %+.2f se)", what,
		    truth, est, se, 100 * (est - truth) / truth, (est - truth) / se);
	cr_expect(fabs(est - truth) <= rel * fabs(truth),
		  "%s: fitted %g, true %g: off by more than %g%%", what, est, truth, 100 * rel);
	cr_expect(isfinite(se) && se > 0, "%s: no standard error", what);
	cr_expect(fabs(est - truth) <= k * se,
		  "%s: fitted %g, true %g, more than %g standard errors (%g)", what, est,
		  truth, k, se);
}

static void t_check_recovery(const struct hfit_result *r, const struct hawkes_params *p,
			     const char *tag)
{
	char name[64];

	cr_assert(r->converged, "%s: optimizer status %u", tag, r->status);
	cr_assert(r->hess_ok, "%s: no standard errors", tag);
	for (uint32_t i = 0; i < p->dim; i++) {
		snprintf(name, sizeof(name), "%s mu[%u]", tag, i);
		t_close(name, r->p.mu[i], r->se.mu[i], p->mu[i], 0.10, 4);
		snprintf(name, sizeof(name), "%s beta[%u]", tag, i);
		t_close(name, r->p.beta[i], r->se.beta[i], p->beta[i], 0.10, 4);
		for (uint32_t j = 0; j < p->dim; j++) {
			snprintf(name, sizeof(name), "%s alpha[%u][%u]", tag, i, j);
			t_close(name, r->p.alpha[i][j], r->se.alpha[i][j], p->alpha[i][j], 0.10, 4);
		}
	}
	cr_expect(r->rho < 1);
}

/* Poisson with the MLE rates N_i / T: the clearly wrong model. */
static void t_poisson_of(const struct hseries *s, struct hawkes_params *q)
{
	double T = hseries_total_s(s);

	memset(q, 0, sizeof(*q));
	q->dim = s->dim;
	for (uint32_t i = 0; i < s->dim; i++) {
		q->mu[i] = (double)s->count[i] / T;
		q->beta[i] = 1;
	}
}

/* KS: true model accepted (p > 0.01), Poisson rejected (p < 1e-6). */
static void t_check_ks(const struct hseries *s, const struct hawkes_params *truth,
		       const struct hfit_result *r)
{
	struct hfit_ks ks[HAWKES_MAX_DIM], kp[HAWKES_MAX_DIM];
	struct hawkes_params q;

	cr_assert_eq(hfit_ks_test(s, truth, ks), 0);
	t_poisson_of(s, &q);
	cr_assert_eq(hfit_ks_test(s, &q, kp), 0);
	for (uint32_t i = 0; i < s->dim; i++) {
		cr_log_info("KS type %u: true model D %.5f p %.4f; fitted p %.4f; "
			    "Poisson D %.4f p %.3g", i, ks[i].stat, ks[i].p, r->ks[i].p,
			    kp[i].stat, kp[i].p);
		cr_expect_gt(ks[i].p, 0.01, "type %u: KS rejects the true model (p %g)", i, ks[i].p);
		cr_expect_gt(r->ks[i].p, 0.01, "type %u: KS rejects the fit (p %g)", i, r->ks[i].p);
		cr_expect_lt(kp[i].p, 1e-6, "type %u: KS accepts Poisson (p %g)", i, kp[i].p);
		cr_expect(fabs(ks[i].mean - 1) < 0.01, "type %u: mean residual %g", i, ks[i].mean);
	}
}

/* ------------------------------------------------------------ optimizer */

struct t_quad {
	double a[4], c[4];
};

static double t_quad_fn(const double *x, double *g, void *ctx)
{
	const struct t_quad *q = ctx;
	double f = 0;

	for (int i = 0; i < 4; i++) {
		f += q->c[i] * (x[i] - q->a[i]) * (x[i] - q->a[i]);
		g[i] = 2 * q->c[i] * (x[i] - q->a[i]);
	}
	/* a coupling term so that the problem is not separable */
	f += 0.5 * (x[0] - x[1]) * (x[0] - x[1]);
	g[0] += x[0] - x[1];
	g[1] -= x[0] - x[1];
	return f;
}

Test(lbfgsb, quadratic_with_active_bounds)
{
	struct t_quad q = { { 3, -2, 0.5, 10 }, { 1, 2, 100, 0.01 } };
	double lo[4] = { -1, -1, -1, -1 }, hi[4] = { 1, 1, 1, 20 };
	double x[4] = { 0, 0, 0, 0 };
	struct lbfgsb_result res;
	static double work[1024];

	cr_assert_leq(lbfgsb_memsize(4, 0), sizeof(work));
	cr_assert_eq(lbfgsb_minimize(4, x, lo, hi, t_quad_fn, &q, NULL, &res, work), 0);
	/* x0 = 1 and x1 = -1 at their bounds (the KKT multipliers are
	 * 2*(1-3) + 2 = -2 < 0 and 2*2*(-1+2) - 2 = 2 > 0), x2 and x3 free */
	cr_expect(fabs(x[0] - 1) < 1e-9, "x0 %g", x[0]);
	cr_expect(fabs(x[1] + 1) < 1e-9, "x1 %g", x[1]);
	cr_expect(fabs(x[2] - 0.5) < 1e-6, "x2 %g", x[2]);
	cr_expect(fabs(x[3] - 10) < 1e-4, "x3 %g", x[3]);
	cr_expect_eq(res.active, 2);
	cr_expect(res.status == LBFGSB_PGTOL || res.status == LBFGSB_FTOL);
}

static double t_rosen(const double *x, double *g, void *ctx)
{
	(void)ctx;
	double a = 1 - x[0], b = x[1] - x[0] * x[0];

	g[0] = -2 * a - 400 * x[0] * b;
	g[1] = 200 * b;
	return a * a + 100 * b * b;
}

Test(lbfgsb, rosenbrock_unconstrained)
{
	double lo[2] = { -INFINITY, -INFINITY }, hi[2] = { INFINITY, INFINITY };
	double x[2] = { -1.2, 1 };
	struct lbfgsb_opts o = { .pgtol = 1e-10, .ftol = 1e-16 };
	struct lbfgsb_result res;
	static double work[256];

	cr_assert_eq(lbfgsb_minimize(2, x, lo, hi, t_rosen, NULL, &o, &res, work), 0);
	cr_expect(fabs(x[0] - 1) < 1e-5 && fabs(x[1] - 1) < 1e-5, "x = (%g, %g), %u iter %s",
		  x[0], x[1], res.iter, lbfgsb_status_name(res.status));
	cr_expect_lt(res.iter, 200);
}

Test(lbfgsb, rosenbrock_with_binding_bound)
{
	/* x0 <= 0.5: on the bound the best x1 is x0^2, so (0.5, 0.25) */
	double lo[2] = { -2, -2 }, hi[2] = { 0.5, 2 };
	double x[2] = { -1.2, 1 };
	struct lbfgsb_opts o = { .pgtol = 1e-10, .ftol = 1e-16 };
	struct lbfgsb_result res;
	static double work[256];

	cr_assert_eq(lbfgsb_minimize(2, x, lo, hi, t_rosen, NULL, &o, &res, work), 0);
	cr_expect_eq(x[0], 0.5);
	cr_expect(fabs(x[1] - 0.25) < 1e-7, "x1 %g", x[1]);
	cr_expect_eq(res.active, 1);
}

static int t_dom_calls_outside;

/* (x - 2)^2, defined only for x < 1: the minimiser approaches the edge. */
static double t_domain_fn(const double *x, double *g, void *ctx)
{
	(void)ctx;
	if (x[0] >= 1) {
		t_dom_calls_outside++;
		return INFINITY;
	}
	g[0] = 2 * (x[0] - 2);
	return (x[0] - 2) * (x[0] - 2);
}

Test(lbfgsb, stays_inside_the_domain)
{
	double lo[1] = { -10 }, hi[1] = { 10 }, x[1] = { -5 };
	struct lbfgsb_opts o = { .max_iter = 100 };
	struct lbfgsb_result res;
	static double work[64];

	cr_assert_eq(lbfgsb_minimize(1, x, lo, hi, t_domain_fn, NULL, &o, &res, work), 0);
	cr_expect_lt(x[0], 1);
	cr_expect_gt(x[0], 0.99, "x %g", x[0]);
	cr_expect_gt(t_dom_calls_outside, 0); /* it did try, and backed off */
}

Test(lbfgsb, refuses_bad_arguments)
{
	double lo[1] = { 1 }, hi[1] = { 0 }, x[1] = { 0 };
	struct lbfgsb_result res;
	static double work[64];

	cr_expect_eq(lbfgsb_minimize(1, x, lo, hi, t_domain_fn, NULL, NULL, &res, work), -EINVAL);
	lo[0] = 2;
	hi[0] = 3;
	cr_expect_eq(lbfgsb_minimize(1, x, lo, hi, t_domain_fn, NULL, NULL, &res, work), -EDOM);
}

/* ------------------------------------------------------------ series */

static struct event t_trade(int64_t ns, int aggressor)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_TRADE;
	ev.exch_ns = ev.recv_ns = ns;
	ev.trade.px = 26000;
	ev.trade.qty = 1;
	ev.trade.aggressor = (int8_t)aggressor;
	return ev;
}

static struct event t_book(int64_t ns)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_BOOK;
	ev.exch_ns = ev.recv_ns = ns;
	return ev;
}

static void t_feed_sample(struct hseries *s)
{
	const int64_t T0 = 1641211200000000000LL;
	struct event evs[] = {
		t_trade(T0, +1), t_trade(T0, +1), /* one buy order, 2 prints */
		t_book(T0),                       /* (LOBSTER: a book row per print) */
		t_trade(T0, +1),                  /* still the same order */
		t_trade(T0, -1),                  /* other side, same ns: a new order */
		t_trade(T0, +1),                  /* and back: a new buy order */
		t_book(T0),
		t_trade(T0 + 1000, 0),            /* no aggressor: dropped */
		t_trade(T0 + 2000, -1), t_trade(T0 + 2000, -1),
		t_trade(T0 + 1500, +1),           /* back in time: taken at T0 + 2000 */
		t_book(T0 + 3000),
	};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		cr_assert_geq(hseries_add_event(s, &evs[i]), 0);
}

Test(hseries, merges_prints_of_one_aggressive_order)
{
	struct hseries s;

	cr_assert_eq(hseries_init(&s, 2, 0, HSERIES_TIES_MERGE), 0);
	t_feed_sample(&s);
	cr_expect_eq(s.trades, 9);
	cr_expect_eq(s.no_side, 1);
	cr_expect_eq(s.books, 3);
	cr_expect_eq(s.back_in_time, 1);
	cr_expect_eq(s.merged, 3);            /* 2 buy prints + 1 sell print */
	cr_expect_eq(s.n, 5);
	cr_expect_eq(s.count[HSERIES_BUY], 3);
	cr_expect_eq(s.count[HSERIES_SELL], 2);
	cr_expect_eq(s.zero_gaps, 3);         /* sell, buy at T0; buy at T0 + 2000 */
	cr_expect_eq(s.n_seg, 1);
	cr_expect(fabs(s.seg[0].len_s - 2e-6) < 1e-18);
	cr_expect(fabs(s.t[3] - 2e-6) < 1e-18);
	cr_expect_eq(s.type[4], HSERIES_BUY);
	hseries_free(&s);

	cr_assert_eq(hseries_init(&s, 2, 0, HSERIES_TIES_KEEP), 0);
	t_feed_sample(&s);
	cr_expect_eq(s.merged, 0);
	cr_expect_eq(s.n, 8);
	cr_expect_eq(s.count[HSERIES_BUY], 5);
	cr_expect_eq(s.zero_gaps, 6);
	hseries_free(&s);
}

Test(hseries, long_gaps_start_new_segments)
{
	struct hseries s, one;

	cr_assert_eq(hseries_init(&s, 2, 100, HSERIES_TIES_MERGE), 0);
	cr_assert_eq(hseries_push_s(&s, 1000, 0), 0);
	cr_assert_eq(hseries_push_s(&s, 1010, 1), 0);
	cr_assert_eq(hseries_push_s(&s, 1050, 0), 0);
	cr_assert_eq(hseries_push_s(&s, 2000, 1), 0); /* gap 950 > 100 */
	cr_assert_eq(hseries_push_s(&s, 2030, 1), 0);
	cr_expect_eq(hseries_push_s(&s, 2029, 1), -EINVAL);
	cr_expect_eq(hseries_push_s(&s, 2040, 2), -EINVAL);
	cr_expect_eq(hseries_push_ns(&s, 5, 0), -EINVAL); /* clocks do not mix */
	cr_assert_eq(s.n_seg, 2);
	cr_expect_eq(s.seg[0].first, 0);
	cr_expect_eq(s.seg[0].end, 3);
	cr_expect_eq(s.seg[0].len_s, 50);
	cr_expect_eq(s.seg[1].first, 3);
	cr_expect_eq(s.seg[1].len_s, 30);
	cr_expect_eq(s.t[4], 30);
	cr_expect_eq(hseries_total_s(&s), 80);

	/* one type keeps every window, even one without its events */
	cr_assert_eq(hseries_select(&one, &s, 0), 0);
	cr_expect_eq(one.dim, 1);
	cr_expect_eq(one.n, 2);
	cr_assert_eq(one.n_seg, 2);
	cr_expect_eq(one.seg[0].len_s, 50);
	cr_expect_eq(one.seg[1].len_s, 30);
	cr_expect_eq(one.seg[1].first, one.seg[1].end);
	cr_expect_eq(one.t[1], 50);
	hseries_free(&one);
	hseries_free(&s);
}

Test(hseries, reads_dm_gen_orders_csv)
{
	char path[] = "/tmp/dmtest-orders-XXXXXX", err[256] = "";
	const char *names[2] = { "market_buy", "market_sell" };
	struct hseries s;
	FILE *f;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fprintf(f, "seq,t_s,exch_ns,type,px_ticks,qty,done,levels\n"
		   "1,0.5,1,limit_buy,1,1,1,0\n"
		   "2,0.75,2,market_sell,1,1,1,1\n"
		   "3,1.25,3,market_buy,1,1,1,2\n"
		   "4,2.0,4,cancel_sell,1,1,1,0\n"
		   "5,2.5,5,market_sell,1,1,1,1\n");
	fclose(f);
	cr_assert_eq(hseries_init(&s, 2, 0, HSERIES_TIES_MERGE), 0);
	cr_assert_eq(hseries_load_orders(&s, path, names, 2, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(s.n, 3);
	cr_expect_eq(s.count[0], 1);
	cr_expect_eq(s.count[1], 2);
	cr_expect_eq(s.type[0], 1);
	cr_expect_eq(s.t[1], 0.5);
	cr_expect_eq(s.seg[0].len_s, 1.75);
	hseries_free(&s);

	f = fopen(path, "a");
	cr_assert_not_null(f);
	fprintf(f, "6,abc,6,market_buy,1,1,1,1\n");
	fclose(f);
	cr_assert_eq(hseries_init(&s, 2, 0, HSERIES_TIES_MERGE), 0);
	cr_expect_eq(hseries_load_orders(&s, path, names, 2, err, sizeof(err)), -DM_ECORRUPT);
	cr_expect(strstr(err, ":7: t_s") != NULL, "err '%s'", err);
	hseries_free(&s);
	unlink(path);

	cr_assert_eq(hseries_init(&s, 2, 0, HSERIES_TIES_MERGE), 0);
	cr_expect_eq(hseries_load_orders(&s, "/nonexistent/orders.csv", names, 2, err,
					 sizeof(err)), -ENOENT);
	hseries_free(&s);
}

/* ------------------------------------------------------------ likelihood */

/*
 * The log-likelihood by its definition, O(n^2): at each event the
 * intensity summed over every earlier event of its segment (earlier in
 * the sequence: an equal time counts, as in the recursion), and the
 * compensator as sum_i mu_i T + sum_k alpha/beta (1 - exp(-beta (T - t_k))).
 */
static double t_naive_loglik(const struct hseries *s, const struct hawkes_params *p)
{
	double ll = 0;

	for (uint32_t g = 0; g < s->n_seg; g++) {
		const struct hseries_seg *sg = &s->seg[g];
		double T = sg->len_s;
		for (uint64_t k = sg->first; k < sg->end; k++) {
			uint32_t m = s->type[k];
			double lam = p->mu[m];
			for (uint64_t q = sg->first; q < k; q++)
				lam += p->alpha[m][s->type[q]] *
				       exp(-p->beta[m] * (s->t[k] - s->t[q]));
			ll += log(lam);
			for (uint32_t i = 0; i < s->dim; i++)
				ll -= p->alpha[i][m] / p->beta[i] *
				      (1 - exp(-p->beta[i] * (T - s->t[k])));
		}
		for (uint32_t i = 0; i < s->dim; i++)
			ll -= p->mu[i] * T;
	}
	return ll;
}

/* A small sample with two segments and exact ties. */
static void t_small_sample(struct hseries *s, const struct hawkes_params *p, uint64_t seed)
{
	struct hawkes h;
	struct rng r;
	char err[256] = "";
	double t, off = 0;

	cr_assert_eq(hseries_init(s, p->dim, 1000, HSERIES_TIES_MERGE), 0);
	rng_seed(&r, seed, 3);
	for (int part = 0; part < 2; part++) {
		cr_assert_eq(hawkes_init(&h, p, 0, err, sizeof(err)), 0, "%s", err);
		for (int i = 0; i < 400; i++) {
			uint32_t ty = hawkes_next(&h, &r, &t);
			cr_assert_eq(hseries_push_s(s, off + t, ty), 0);
			if (i % 97 == 5) /* a tie */
				cr_assert_eq(hseries_push_s(s, off + t, (ty + 1) % p->dim), 0);
		}
		off += t + 5000; /* beyond max_gap: a second segment */
	}
	cr_assert_eq(s->n_seg, 2);
	cr_assert_gt(s->zero_gaps, 0);
}

Test(hfit, loglik_matches_naive_sum)
{
	struct hawkes_params p1, p2, q;
	struct hseries s;

	t_params1(&p1, 1.5, 6, 10);
	t_small_sample(&s, &p1, 11);
	double a = hfit_loglik(&s, &p1, NULL), b = t_naive_loglik(&s, &p1);
	cr_expect(fabs(a - b) <= 1e-9 * fabs(b), "univariate: %.12g vs naive %.12g", a, b);
	/* away from the truth too */
	t_params1(&q, 0.7, 2, 3);
	a = hfit_loglik(&s, &q, NULL);
	b = t_naive_loglik(&s, &q);
	cr_expect(fabs(a - b) <= 1e-9 * fabs(b), "univariate off-truth: %.12g vs %.12g", a, b);
	hseries_free(&s);

	t_params2(&p2);
	t_small_sample(&s, &p2, 12);
	a = hfit_loglik(&s, &p2, NULL);
	b = t_naive_loglik(&s, &p2);
	cr_expect(fabs(a - b) <= 1e-9 * fabs(b), "bivariate: %.12g vs naive %.12g", a, b);
	q = p2;
	q.beta[1] = q.beta[0]; /* the shared-beta path */
	a = hfit_loglik(&s, &q, NULL);
	b = t_naive_loglik(&s, &q);
	cr_expect(fabs(a - b) <= 1e-9 * fabs(b), "bivariate shared: %.12g vs %.12g", a, b);
	hseries_free(&s);
}

static void t_check_gradient(const struct hseries *s, const struct hawkes_params *p)
{
	uint32_t d = p->dim, np = hfit_nparams(d);
	double g[80];

	hfit_loglik(s, p, g);
	for (uint32_t a = 0; a < np; a++) {
		struct hawkes_params hp = *p, hm = *p;
		double *vp, *vm;
		if (a < d) {
			vp = &hp.mu[a];
			vm = &hm.mu[a];
		} else if (a < d + d * d) {
			vp = &hp.alpha[(a - d) / d][(a - d) % d];
			vm = &hm.alpha[(a - d) / d][(a - d) % d];
		} else {
			vp = &hp.beta[a - d - d * d];
			vm = &hm.beta[a - d - d * d];
		}
		double h = 1e-6 * fabs(*vp);
		*vp += h;
		*vm -= h;
		double fd = (hfit_loglik(s, &hp, NULL) - hfit_loglik(s, &hm, NULL)) / (2 * h);
		cr_expect(fabs(fd - g[a]) <= 1e-6 * fmax(1, fabs(g[a])),
			  "d=%u parameter %u: analytic %.10g, finite difference %.10g", d, a,
			  g[a], fd);
	}
}

Test(hfit, gradient_matches_finite_differences)
{
	struct hawkes_params p1, p2, q;
	struct hseries s;

	t_params1(&p1, 1.5, 6, 10);
	t_small_sample(&s, &p1, 21);
	t_check_gradient(&s, &p1);
	t_params1(&q, 0.8, 3, 4);
	t_check_gradient(&s, &q);
	hseries_free(&s);

	t_params2(&p2);
	t_small_sample(&s, &p2, 22);
	t_check_gradient(&s, &p2);
	q = p2;
	q.alpha[0][1] = 0.4;
	q.beta[0] = 7;
	q.beta[1] = 7;
	t_check_gradient(&s, &q);
	hseries_free(&s);
}

Test(hfit, residuals_sum_to_the_compensator)
{
	struct hawkes_params p;
	struct hseries s;
	double buf0[1000], buf1[1000], *out[2] = { buf0, buf1 };
	uint64_t n[2];

	t_params2(&p);
	t_small_sample(&s, &p, 31);
	cr_assert_lt(s.count[0], 1000);
	cr_assert_lt(s.count[1], 1000);
	cr_assert_eq(hfit_residuals(&s, &p, out, n), 0);
	/* each segment drops its first event of each type */
	cr_expect_eq(n[0], s.count[0] - 2);
	cr_expect_eq(n[1], s.count[1] - 2);
	/* the residuals of type i in segment 0 add up to Lambda_i between its
	 * first and last type-i events: recompute that directly */
	for (uint32_t i = 0; i < 2; i++) {
		const struct hseries_seg *sg = &s.seg[0];
		double first = -1, last = -1, sum = 0, direct = 0;
		uint64_t m = 0;
		for (uint64_t k = sg->first; k < sg->end; k++)
			if (s.type[k] == i) {
				if (first < 0)
					first = s.t[k];
				last = s.t[k];
				m++;
			}
		for (uint64_t k = 0; k + 1 < m; k++)
			sum += out[i][k];
		direct = p.mu[i] * (last - first);
		for (uint64_t k = sg->first; k < sg->end; k++) {
			double a = fmax(first, s.t[k]);
			if (s.t[k] >= last)
				break;
			direct += p.alpha[i][s.type[k]] / p.beta[i] *
				  (exp(-p.beta[i] * (a - s.t[k])) - exp(-p.beta[i] * (last - s.t[k])));
		}
		cr_expect(fabs(sum - direct) <= 1e-9 * direct, "type %u: %.12g vs %.12g",
			  i, sum, direct);
	}
	hseries_free(&s);
}

/* ------------------------------------------------------------ KS */

/* The alternating series 2 sum (-1)^(k-1) exp(-2 k^2 x^2), many terms. */
static double t_kolmogorov_alt(double x)
{
	double s = 0;

	for (int k = 1; k <= 400; k++)
		s += (k & 1 ? 2 : -2) * exp(-2.0 * k * k * x * x);
	return s;
}

Test(hfit, kolmogorov_distribution)
{
	/* the two series agree where both converge, across the switch at 1.18 */
	for (double x = 0.35; x < 3; x += 0.05)
		cr_expect(fabs(hfit_kolmogorov_sf(x) - t_kolmogorov_alt(x)) < 1e-12,
			  "x %g: %.15g vs %.15g", x, hfit_kolmogorov_sf(x), t_kolmogorov_alt(x));
	/* textbook values: the 5% and 1% critical points */
	cr_expect(fabs(hfit_kolmogorov_sf(1.3581) - 0.05) < 1e-4);
	cr_expect(fabs(hfit_kolmogorov_sf(1.6276) - 0.01) < 1e-4);
	cr_expect_eq(hfit_kolmogorov_sf(0), 1);
	cr_expect(hfit_kolmogorov_sf(0.1) > 0.999999);
	cr_expect(hfit_kolmogorov_sf(5) < 1e-20);
}

Test(hfit, ks_statistic_on_exponential_samples)
{
	static double x[20000];
	struct rng r;
	double d;

	/* a hand-worked case: x = -log(1 - u) with u = .1 .4 .7; D is the
	 * largest of 1/3 - .1, .1, 2/3 - .4, .4 - 1/3, 1 - .7, .7 - 2/3: .3 */
	x[0] = -log(0.9);
	x[1] = -log(0.3);
	x[2] = -log(0.6);
	cr_expect(fabs(hfit_ks_exp1(x, 3) - 0.3) < 1e-12);

	rng_seed(&r, 5, 1);
	for (int i = 0; i < 20000; i++)
		x[i] = rng_exp(&r, 1.0);
	d = hfit_ks_exp1(x, 20000);
	cr_expect_gt(hfit_ks_pvalue(d, 20000), 0.01, "Exp(1) rejected: D %g", d);
	for (int i = 0; i < 20000; i++)
		x[i] = rng_exp(&r, 1.1); /* 10% off in scale */
	d = hfit_ks_exp1(x, 20000);
	cr_expect_lt(hfit_ks_pvalue(d, 20000), 1e-6, "Exp(1.1) accepted: D %g", d);
}

/* ------------------------------------------------------------ recovery */

Test(hfit, recovers_univariate_process, .timeout = 60)
{
	struct hawkes_params p;
	struct hseries s;
	struct hfit_result r;

	t_params1(&p, 1.5, 6, 10); /* branching ratio 0.6 */
	t_simulate(&s, &p, T_N_RECOVER, 101);
	cr_assert_eq(hfit_fit(&s, NULL, &r), 0);
	t_check_recovery(&r, &p, "uni");
	t_close("uni branching ratio", r.rho, r.rho_se, 0.6, 0.05, 4);
	t_check_ks(&s, &p, &r);
	cr_expect_gt(r.loglik, hfit_loglik(&s, &p, NULL)); /* the MLE beats the truth */
	cr_expect_gt(r.loglik, r.loglik_poisson + 1000);
	hseries_free(&s);
}

Test(hfit, recovers_bivariate_process, .timeout = 60)
{
	struct hawkes_params p;
	struct hseries s;
	struct hfit_result r;

	t_params2(&p);
	t_simulate(&s, &p, T_N_RECOVER, 202);
	cr_assert_eq(hfit_fit(&s, NULL, &r), 0);
	t_check_recovery(&r, &p, "bi");
	t_close("bi branching ratio", r.rho, r.rho_se, 0.6, 0.05, 4);
	t_check_ks(&s, &p, &r);
	cr_expect_gt(r.loglik, hfit_loglik(&s, &p, NULL));
	cr_expect_eq(r.k, 8);
	hseries_free(&s);
}

Test(hfit, shared_beta_recovers_common_decay, .timeout = 60)
{
	struct hawkes_params p;
	struct hseries s;
	struct hfit_result r, rp;
	struct hfit_opts o = { .beta_mode = HFIT_BETA_SHARED };

	t_params2(&p);
	p.beta[0] = p.beta[1] = 15;
	p.alpha[0][0] = 7.5;
	p.alpha[0][1] = 3;
	p.alpha[1][0] = 2.25;
	p.alpha[1][1] = 4.5; /* same G as t_params2 */
	t_simulate(&s, &p, T_N_RECOVER, 303);
	cr_assert_eq(hfit_fit(&s, &o, &r), 0);
	cr_expect_eq(r.p.beta[0], r.p.beta[1]);
	cr_expect_eq(r.k, 7);
	t_check_recovery(&r, &p, "shared");
	/* the per-target model nests it: higher likelihood, beta close */
	cr_assert_eq(hfit_fit(&s, NULL, &rp), 0);
	cr_expect_geq(rp.loglik, r.loglik - 1e-6);
	cr_expect_lt(2 * (rp.loglik - r.loglik), 15, "LR %g for a true restriction",
		     2 * (rp.loglik - r.loglik));
	hseries_free(&s);
}

/*
 * The standard errors mean something: over independent replicas the
 * spread of the estimates matches the mean reported standard error.
 */
Test(hfit, standard_errors_match_replica_spread, .timeout = 60)
{
	struct hawkes_params p;
	double est[3][T_MC_REPS], se[3] = { 0 };

	t_params1(&p, 1.5, 6, 10);
	for (uint32_t k = 0; k < T_MC_REPS; k++) {
		struct hseries s;
		struct hfit_result r;
		t_simulate(&s, &p, 20000, 1000 + k);
		cr_assert_eq(hfit_fit(&s, NULL, &r), 0);
		est[0][k] = r.p.mu[0];
		est[1][k] = r.p.alpha[0][0];
		est[2][k] = r.p.beta[0];
		se[0] += r.se.mu[0] / T_MC_REPS;
		se[1] += r.se.alpha[0][0] / T_MC_REPS;
		se[2] += r.se.beta[0] / T_MC_REPS;
		hseries_free(&s);
	}
	for (int q = 0; q < 3; q++) {
		double m = 0, v = 0;
		for (uint32_t k = 0; k < T_MC_REPS; k++)
			m += est[q][k] / T_MC_REPS;
		for (uint32_t k = 0; k < T_MC_REPS; k++)
			v += (est[q][k] - m) * (est[q][k] - m) / (T_MC_REPS - 1);
		cr_log_info("param %d: replica sd %.4f, mean reported se %.4f", q, sqrt(v), se[q]);
		/* the sd of 40 values is known to about +-11% */
		cr_expect(sqrt(v) > 0.55 * se[q] && sqrt(v) < 1.5 * se[q],
			  "param %d: replica sd %g vs reported se %g", q, sqrt(v), se[q]);
	}
}

Test(hfit, branching_ratio_kept_below_its_bound, .timeout = 60)
{
	struct hawkes_params p;
	struct hseries s;
	struct hfit_result r;
	struct hfit_opts o = { .rho_max = 0.8 };

	/* univariate at n = 0.95: the box bound on G binds */
	t_params1(&p, 0.5, 9.5, 10);
	t_simulate(&s, &p, 50000, 404);
	cr_assert_eq(hfit_fit(&s, &o, &r), 0);
	cr_expect_leq(r.rho, 0.8);
	cr_expect(r.rho_at_max);
	cr_expect_gt(r.at_bound, 0);
	hseries_free(&s);

	/* bivariate, G = [[.8 .3] [.2 .6]]: spectral radius 0.965; here the
	 * bound is not a box, the objective's wall holds it */
	t_params2(&p);
	p.alpha[0][0] = 8;
	p.alpha[0][1] = 3;
	p.alpha[1][0] = 4;
	p.alpha[1][1] = 12;
	cr_assert(fabs(hawkes_branching_ratio(&p) - 0.9646) < 0.001, "%g",
		  hawkes_branching_ratio(&p));
	t_simulate(&s, &p, 50000, 405);
	cr_assert_eq(hfit_fit(&s, &o, &r), 0);
	cr_expect_lt(r.rho, 0.8);
	cr_expect_gt(r.rho, 0.79);
	cr_expect(r.rho_at_max);
	hseries_free(&s);
}

Test(hfit, poisson_data_has_no_excitation, .timeout = 60)
{
	struct hawkes_params p;
	struct hseries s;
	struct hfit_result r;

	t_params1(&p, 4, 0, 10);
	t_simulate(&s, &p, 50000, 505);
	cr_assert_eq(hfit_fit(&s, NULL, &r), 0);
	/* With no excitation beta is not identified: the fit may hide a
	 * little of the noise in a slow kernel.  What must hold: nothing
	 * worth a likelihood-ratio test, a small branching ratio and the
	 * right mean rate mu / (1 - n). */
	cr_log_info("Poisson data: mu %g alpha %g beta %g n %g LR %g", r.p.mu[0],
		    r.p.alpha[0][0], r.p.beta[0], r.rho, 2 * (r.loglik - r.loglik_poisson));
	cr_expect_lt(r.rho, 0.1, "branching %g on Poisson data", r.rho);
	cr_expect(fabs(r.p.mu[0] / (1 - r.rho) - 4) < 0.1, "mean rate %g",
		  r.p.mu[0] / (1 - r.rho));
	cr_expect_lt(2 * (r.loglik - r.loglik_poisson), 15, "LR %g",
		     2 * (r.loglik - r.loglik_poisson));
	cr_expect_gt(r.ks[0].p, 0.01);
	hseries_free(&s);
}

Test(hfit, refuses_what_it_cannot_fit)
{
	struct hseries s;
	struct hfit_result r;
	struct hfit_opts bad = { .rho_max = 1.5 };

	cr_assert_eq(hseries_init(&s, 2, 0, HSERIES_TIES_MERGE), 0);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(hseries_push_s(&s, i * 0.1, i < 95 ? 0 : 1), 0);
	cr_expect_eq(hfit_fit(&s, NULL, &r), -EINVAL); /* 5 events of type 1 */
	hseries_free(&s);
	cr_assert_eq(hseries_init(&s, 1, 0, HSERIES_TIES_MERGE), 0);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(hseries_push_s(&s, i * 0.1, 0), 0);
	cr_expect_eq(hfit_fit(&s, &bad, &r), -EINVAL);
	hseries_free(&s);
}

/* ------------------------------------------------------------ dm-gen flow */

static struct gen t_g;

static void t_gen_start(const struct gen_params *gp, uint64_t seed)
{
	struct dm_config c;
	struct calendar cal;
	dm_date_t date;
	char err[256] = "";

	config_defaults(&c);
	cr_assert_eq(cal_init(&cal, &c.instrument), 0);
	cr_assert_eq(cal_date_parse("2022-01-03", 10, &date), 0);
	cr_assert_eq(gen_init(&t_g, gp, seed, &cal, date, err, sizeof(err)), 0, "%s", err);
}

/*
 * Run the generator and feed every event to the series, exactly as
 * dm-hawkes-fit does with the journal dm-gen writes, until n aggressive
 * orders have been collected.
 */
static void t_gen_trades(struct hseries *s, uint64_t n)
{
	struct event ev;

	cr_assert_eq(hseries_init(s, 2, 0, HSERIES_TIES_MERGE), 0);
	while (s->n < n) {
		gen_next(&t_g, &ev);
		cr_assert_geq(hseries_add_event(s, &ev), 0);
	}
	/* finish the current order so the counts below are whole */
	do
		gen_next(&t_g, &ev);
	while (ev.kind != EV_BOOK);
	hseries_add_event(s, &ev);
	/* merging the prints of each market order gives back the orders */
	const struct gen_stats *st = gen_stats(&t_g);
	cr_assert_eq(s->count[HSERIES_BUY], st->orders[GEN_MARKET_BUY],
		     "buy events %lu vs market buys %lu", (unsigned long)s->count[0],
		     (unsigned long)st->orders[GEN_MARKET_BUY]);
	cr_assert_eq(s->count[HSERIES_SELL], st->orders[GEN_MARKET_SELL]);
	cr_assert_gt(s->merged, 0);
	cr_assert_eq(s->no_side, 0);
}

/* The (market_buy, market_sell) block of the generator's parameters. */
static void t_market_block(const struct gen_params *gp, struct hawkes_params *p)
{
	memset(p, 0, sizeof(*p));
	p->dim = 2;
	for (uint32_t i = 0; i < 2; i++) {
		p->mu[i] = gp->hawkes.mu[GEN_MARKET_BUY + i];
		p->beta[i] = gp->hawkes.beta[GEN_MARKET_BUY + i];
		for (uint32_t j = 0; j < 2; j++)
			p->alpha[i][j] = gp->hawkes.alpha[GEN_MARKET_BUY + i][GEN_MARKET_BUY + j];
	}
}

/*
 * The default market: the market-order intensities are excited by market
 * orders only (their rows of alpha are 0 for limits and cancels), so
 * (market_buy, market_sell) is by itself exactly a bivariate Hawkes
 * process with the generator's parameters: the bivariate fit must recover
 * them.  A univariate fit of one side would not be a fair test (that
 * marginal is not a univariate Hawkes process).
 */
Test(hfit, recovers_dm_gen_market_orders, .timeout = 150)
{
	struct gen_params gp;
	struct hawkes_params p;
	struct hseries s;
	struct hfit_result r;
	int64_t t0;

	gen_params_default(&gp);
	for (uint32_t i = GEN_MARKET_BUY; i <= GEN_MARKET_SELL; i++)
		for (uint32_t j = 0; j < GEN_MARKET_BUY; j++)
			cr_assert_eq(gp.hawkes.alpha[i][j], 0,
				     "default alpha[%u][%u] != 0: the market block is no "
				     "longer closed; this test must fit all six types", i, j);
	t_market_block(&gp, &p);
	t_gen_start(&gp, 1);
	t0 = t_now_ns();
	t_gen_trades(&s, T_N_GEN);
	cr_log_info("dm-gen: %lu market orders from %lu prints in %.2f s, %u segments",
		    (unsigned long)s.n, (unsigned long)s.trades, (t_now_ns() - t0) * 1e-9, s.n_seg);
	t0 = t_now_ns();
	cr_assert_eq(hfit_fit(&s, NULL, &r), 0);
	cr_log_info("bivariate fit of %lu events: %.2f s, %u iterations",
		    (unsigned long)s.n, (t_now_ns() - t0) * 1e-9, r.iter);
	t_check_recovery(&r, &p, "dm-gen");
	t_close("dm-gen branching ratio", r.rho, r.rho_se, hawkes_branching_ratio(&p), 0.05, 4);
	t_check_ks(&s, &p, &r);
	hseries_free(&s);
}

/*
 * The univariate fit on the generator's flow: with the two market
 * sides decoupled through the generator's parameters (alpha between
 * market buys and sells set to 0), each side is exactly a univariate
 * Hawkes process (mu 3.1, alpha 5.5, beta 10).
 */
Test(hfit, recovers_dm_gen_sides_univariate, .timeout = 150)
{
	struct gen_params gp;
	struct hawkes_params p;
	struct hseries s;

	gen_params_default(&gp);
	gp.hawkes.alpha[GEN_MARKET_BUY][GEN_MARKET_SELL] = 0;
	gp.hawkes.alpha[GEN_MARKET_SELL][GEN_MARKET_BUY] = 0;
	t_gen_start(&gp, 2);
	t_gen_trades(&s, 2 * T_N_RECOVER + T_N_RECOVER / 10);
	for (uint32_t side = 0; side < 2; side++) {
		struct hseries one;
		struct hfit_result r;
		char tag[32];
		t_params1(&p, gp.hawkes.mu[GEN_MARKET_BUY + side],
			  gp.hawkes.alpha[GEN_MARKET_BUY + side][GEN_MARKET_BUY + side],
			  gp.hawkes.beta[GEN_MARKET_BUY + side]);
		cr_assert_eq(hseries_select(&one, &s, side), 0);
		cr_assert_geq(one.n, T_N_RECOVER);
		cr_assert_eq(hfit_fit(&one, NULL, &r), 0);
		snprintf(tag, sizeof(tag), "dm-gen %s", side ? "sell" : "buy");
		t_check_recovery(&r, &p, tag);
		t_check_ks(&one, &p, &r);
		hseries_free(&one);
	}
	hseries_free(&s);
}
