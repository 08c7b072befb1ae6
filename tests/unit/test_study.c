/*
 * test_study.c — libcore/study and dm-study.
 *
 * Each estimator is fed hand-built or simulated events whose answer is
 * known independently of the module: the OFI of a hand-worked book
 * sequence per Cont, Kukanov and Stoikov's definition, Kyle's lambda of
 * flows that move the mid by a known amount, Roll on a bid-ask bounce of
 * known half-spread, Glosten-Harris and Huang-Stoll on prices made by
 * their own models, the fill curve on orders drawn with known A and k,
 * the variance-to-mean of Poisson and Hawkes arrivals (simulated by
 * libcore/gen/hawkes.h) and the profiles of events at known local times.
 * The regressions are checked against a naive two-pass computation here.
 * Then dm-study on the bundled Binance USD-M capture against
 * tests/study/check.py, an independent computation in Python (its own
 * JSON parse and book), and against dm-hawkes-fit.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcore/gen/hawkes.h"
#include "libcore/gen/rng.h"
#include "libcore/study/study.h"
#include "tests/helpers.h"

#define NS 1000000000LL
#define T_USDM "tests/data/binance-ws-raw-hftbacktest/usdm_btcusdt_20240808.jsonl.gz"
#define T_LOBSTER "tests/data/lobster-aapl-20120621-excerpt/" \
		  "AAPL_2012-06-21_34200000_57600000_message_10.csv"

static void t_setup(void)
{
	t_tmp_init("dmstudy");
}

static void t_teardown(void)
{
	t_tmp_cleanup();
}

TestSuite(study, .init = t_setup, .fini = t_teardown, .timeout = 180);

/* ------------------------------------------------------------ helpers */

static struct study_result t_res;  /* ~150 KB: not on the stack */

/* A study of *p (defaults filled, a currency per tick-lot of 1 when 0). */
static struct study *t_study(struct study_params *p)
{
	if (!(p->ccy_per_tick_lot > 0))
		p->ccy_per_tick_lot = 1;
	study_params_defaults(p);
	char err[128];
	cr_assert_eq(study_params_check(p, err, sizeof(err)), 0, "%s", err);
	size_t n = study_memsize(p);
	struct study *s = aligned_alloc(64, (n + 63) & ~(size_t)63);
	cr_assert_not_null(s);
	cr_assert_eq(study_init(s, n, p), 0);
	return s;
}

static void t_done(struct study *s)
{
	cr_assert_eq(study_finish(s, &t_res), 0);
	study_close(s);
	free(s);
}

/* A book of one level a side at time t (s). */
static void t_book(struct study *s, double t, int64_t bid, int64_t bq, int64_t ask, int64_t aq)
{
	struct event ev = { .kind = EV_BOOK };
	ev.exch_ns = ev.recv_ns = (int64_t)llround(t * 1e9);
	ev.book.n_bid = 1;
	ev.book.n_ask = 1;
	ev.book.bid[0] = (struct book_level){ bid, bq };
	ev.book.ask[0] = (struct book_level){ ask, aq };
	cr_assert_eq(study_on_event(s, &ev), 0);
}

static void t_trade_ns(struct study *s, int64_t ns, int64_t px, int64_t qty, int side)
{
	struct event ev = { .kind = EV_TRADE };
	ev.exch_ns = ev.recv_ns = ns;
	ev.trade.px = px;
	ev.trade.qty = qty;
	ev.trade.aggressor = (int8_t)side;
	cr_assert_eq(study_on_event(s, &ev), 0);
}

static void t_trade(struct study *s, double t, int64_t px, int64_t qty, int side)
{
	t_trade_ns(s, (int64_t)llround(t * 1e9), px, qty, side);
}

static double t_unif(struct t_rng *g)
{
	return ((double)(t_rng_next(g) >> 11) + 0.5) / 9007199254740992.0;
}

/* Naive two-pass OLS of y on x with an intercept. */
static void t_ols(const double *x, const double *y, int n, double *b, double *a, double *r2)
{
	double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
	for (int i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= n;
	my /= n;
	for (int i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		syy += (y[i] - my) * (y[i] - my);
		sxy += (x[i] - mx) * (y[i] - my);
	}
	*b = sxy / sxx;
	*a = my - *b * mx;
	*r2 = sxy * sxy / (sxx * syy);
}

#define T_NEAR(got, want, tol, what) \
	cr_expect(fabs((got) - (want)) <= (tol), "%s: %.10g, expected %.10g +- %g", (what), \
		  (double)(got), (double)(want), (double)(tol))

/* ------------------------------------------------------------ OFI */

/* The four cases of the paper for each side (eq. 10), by hand. */
Test(study, ofi_event_follows_the_paper)
{
	/* bid: up -> +q; same -> q - q0; down -> -q0; ask mirrored */
	cr_expect_eq(study_ofi_event(101, 4, 100, 9, 200, 5, 200, 5), 4.0);      /* bid up */
	cr_expect_eq(study_ofi_event(100, 12, 100, 9, 200, 5, 200, 5), 3.0);     /* bid grows */
	cr_expect_eq(study_ofi_event(99, 7, 100, 9, 200, 5, 200, 5), -9.0);      /* bid down */
	cr_expect_eq(study_ofi_event(100, 9, 100, 9, 199, 6, 200, 5), -6.0);     /* ask down */
	cr_expect_eq(study_ofi_event(100, 9, 100, 9, 200, 2, 200, 5), 3.0);      /* ask shrinks */
	cr_expect_eq(study_ofi_event(100, 9, 100, 9, 201, 8, 200, 5), 5.0);      /* ask up */
	/* both at once: bid up 4, ask up +5 */
	cr_expect_eq(study_ofi_event(101, 4, 100, 9, 201, 8, 200, 5), 9.0);
	/* an empty bid side that fills: +q; a bid side emptied: -q0 */
	cr_expect_eq(study_ofi_event(100, 6, INT64_MIN, 0, 200, 5, 200, 5), 6.0);
	cr_expect_eq(study_ofi_event(INT64_MIN, 0, 100, 6, 200, 5, 200, 5), -6.0);
}

/*
 * A hand-worked sequence, level 1, windows of 1 s and 10 s:
 *   t 1000.0  100x10 / 101x10   first book, mid2 201
 *   t 1000.2  100x15 / 101x10   e = +5 (bid grows)
 *   t 1000.5  101x4  / 102x7    e = +4 (bid up) + 10 (ask up: +q0) = +14, mid2 203
 *   t 1001.3  100x9  / 102x2    e = -4 (bid down) + 5 (ask shrinks) = +1, mid2 202
 *                               (spread 2 ticks from here on)
 *   t 1003.1  100x9  / 101x3    e = -3 (ask down), mid2 201
 * 1 s windows: 1000 (19, +1), 1001 (1, -0.5), 1002 empty (0, 0),
 * 1003 (-3, -0.5); 10 s: one window (17, 0).
 */
Test(study, ofi_windows_of_a_hand_built_sequence)
{
	struct study_params p = { .n_windows = 2, .window_ns = { 1 * NS, 10 * NS },
				  .ofi_levels = 1 };
	struct study *s = t_study(&p);

	t_book(s, 1000.0, 100, 10, 101, 10);
	t_book(s, 1000.2, 100, 15, 101, 10);
	t_book(s, 1000.5, 101, 4, 102, 7);
	t_book(s, 1001.3, 100, 9, 102, 2);
	t_book(s, 1003.1, 100, 9, 101, 3);
	t_done(s);

	const struct study_window_res *w = &t_res.win[0];
	cr_assert_eq(w->n, 4);
	cr_assert_eq(w->n_points, 3, "non-empty windows sampled");
	double px[3] = { 19, 1, -3 }, py[3] = { 1, -0.5, -0.5 };
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(w->points[i].x, px[i], "window %d OFI %g", i, w->points[i].x);
		cr_expect_eq(w->points[i].y, py[i], "window %d dP %g", i, w->points[i].y);
	}
	double x[4] = { 19, 1, 0, -3 }, y[4] = { 1, -0.5, 0, -0.5 }, b, a, r2;
	t_ols(x, y, 4, &b, &a, &r2);
	T_NEAR(w->ofi.slope, b, 1e-12, "slope");
	T_NEAR(w->ofi.intercept, a, 1e-12, "intercept");
	T_NEAR(w->ofi.r2, r2, 1e-12, "R2");
	cr_expect_eq(t_res.win[1].n, 1);
	cr_expect_eq(t_res.win[1].points[0].x, 17);
	cr_expect_eq(t_res.win[1].points[0].y, 0);
	cr_expect(isnan(t_res.win[1].ofi.slope), "one window has no slope");
	/* quoted spread: 1 tick for 1.3 s, then 2 ticks for 1.8 s */
	T_NEAR(t_res.quoted_spread, (1.3 * 1 + 1.8 * 2) / 3.1, 1e-9, "quoted spread");
	T_NEAR(t_res.observed_s, 3.1, 1e-9, "observed");
}

/* The regression from sums against a naive two-pass one, and an exact
 * line. */
Test(study, ols_from_sums_matches_a_naive_regression)
{
	struct t_rng g;
	t_rng_seed(&g, 7);
	enum { N = 5000 };
	static double x[N], y[N];
	struct study_sums2 sm = { 0 };
	for (int i = 0; i < N; i++) {
		x[i] = 1000 * (t_unif(&g) - 0.3);
		y[i] = 3 - 0.25 * x[i] + 40 * (t_unif(&g) - 0.5);
		sm.n++;
		sm.sx += x[i];
		sm.sy += y[i];
		sm.sxx += x[i] * x[i];
		sm.sxy += x[i] * y[i];
		sm.syy += y[i] * y[i];
	}
	struct study_ols o;
	double b, a, r2;
	study_ols_from_sums(&sm, &o);
	t_ols(x, y, N, &b, &a, &r2);
	T_NEAR(o.slope, b, 1e-9, "slope");
	T_NEAR(o.intercept, a, 1e-7, "intercept");
	T_NEAR(o.r2, r2, 1e-9, "R2");
	T_NEAR(o.slope, -0.25, 0.005, "slope near the truth");
	/* y = 2 + 0.5 x exactly */
	struct study_sums2 e = { 0 };
	for (int i = 0; i < 10; i++) {
		double xi = i * i - 7, yi = 2 + 0.5 * xi;
		e.n++;
		e.sx += xi;
		e.sy += yi;
		e.sxx += xi * xi;
		e.sxy += xi * yi;
		e.syy += yi * yi;
	}
	study_ols_from_sums(&e, &o);
	T_NEAR(o.slope, 0.5, 1e-12, "exact slope");
	T_NEAR(o.intercept, 2, 1e-12, "exact intercept");
	T_NEAR(o.r2, 1, 1e-12, "exact R2");
	/* a constant regressor has no slope */
	struct study_sums2 c = { .n = 5, .sx = 10, .sy = 3, .sxx = 20, .sxy = 6, .syy = 4 };
	study_ols_from_sums(&c, &o);
	cr_expect(isnan(o.slope));
}

Test(study, linear_algebra)
{
	/* [[4,1],[1,3]]: eigenvalues (7 +- sqrt 5) / 2 */
	double a[4] = { 4, 1, 1, 3 }, val[2], vec[4];
	study_eigen_sym(a, 2, val, vec);
	T_NEAR(val[0], (7 + sqrt(5)) / 2, 1e-12, "lambda 1");
	T_NEAR(val[1], (7 - sqrt(5)) / 2, 1e-12, "lambda 2");
	/* A v = lambda v */
	T_NEAR(4 * vec[0] + 1 * vec[1], val[0] * vec[0], 1e-12, "A v0 [0]");
	T_NEAR(1 * vec[0] + 3 * vec[1], val[0] * vec[1], 1e-12, "A v0 [1]");
	/* rank one v v^T, v = (1, 2, 2): eigenvalue 9, vector v / 3 */
	double r[9], v3[3] = { 1, 2, 2 }, val3[3], vec3[9];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			r[i * 3 + j] = v3[i] * v3[j];
	study_eigen_sym(r, 3, val3, vec3);
	T_NEAR(val3[0], 9, 1e-12, "rank one");
	T_NEAR(fabs(val3[1]) + fabs(val3[2]), 0, 1e-12, "the others 0");
	for (int i = 0; i < 3; i++)
		T_NEAR(fabs(vec3[i]), v3[i] / 3, 1e-12, "eigenvector");
	/* a x = b: [[4,2,0],[2,5,1],[0,1,3]] x = (2, 1, 3) -> x by hand */
	double m[9] = { 4, 2, 0, 2, 5, 1, 0, 1, 3 }, b[3] = { 2, 1, 3 };
	cr_assert_eq(study_solve_spd(m, b, 3), 0);
	double m2[9] = { 4, 2, 0, 2, 5, 1, 0, 1, 3 }, rhs[3] = { 2, 1, 3 };
	for (int i = 0; i < 3; i++) {
		double v = 0;
		for (int j = 0; j < 3; j++)
			v += m2[i * 3 + j] * b[j];
		T_NEAR(v, rhs[i], 1e-12, "a x = b");
	}
	double bad[4] = { 1, 2, 2, 1 }, bb[2] = { 1, 1 };
	cr_expect_eq(study_solve_spd(bad, bb, 2), -EDOM);
}

/*
 * Three levels that always move together: each window's depth-normalised
 * OFI vector has three equal entries, so the first principal component is
 * (1/3, 1/3, 1/3) with all the variance, and the integrated OFI is that
 * common value: its regression equals one on level 1 divided by depth,
 * computed here per window.
 */
Test(study, integrated_ofi_of_levels_that_move_together)
{
	struct study_params p = { .n_windows = 1, .window_ns = { NS }, .ofi_levels = 3 };
	struct study *s = t_study(&p);
	struct t_rng g;
	t_rng_seed(&g, 11);
	enum { W = 400 };
	static double x[W], y[W];
	int64_t q = 50, mid = 0;
	struct event ev = { .kind = EV_BOOK };
	ev.book.n_bid = ev.book.n_ask = 3;
	int64_t start_mid2 = 0;
	for (int k = 0; k < W; k++) {
		double ofi = 0, depth_sum = 0;
		int64_t mid2_0 = 0;
		for (int e = 0; e < 4; e++) {
			/* all three bid sizes change by d, the mid moves by m */
			int64_t d = (int64_t)t_rng_below(&g, 9) - 4;
			int64_t mv = k == 0 && e == 0 ? 0 : (int64_t)t_rng_below(&g, 3) - 1;
			if (q + d < 1)
				d = 0;
			if (k || e) {
				/* level-1 OFI of this update, as the paper */
				if (mv > 0)
					ofi += (double)(q + d) + 10;        /* bid up, ask up */
				else if (mv < 0)
					ofi += -(double)q - 10;             /* bid down, ask down */
				else
					ofi += (double)d;                    /* bid resized */
			}
			q += d;
			mid += mv;
			for (int m = 0; m < 3; m++) {
				ev.book.bid[m] = (struct book_level){ 1000 + mid - m, q };
				ev.book.ask[m] = (struct book_level){ 1001 + mid + m, 10 };
			}
			ev.exch_ns = ev.recv_ns = (int64_t)k * NS + e * 200000000LL;
			if (k == 0 && e == 0)
				start_mid2 = 2001 + 2 * mid;
			if (e == 0)
				mid2_0 = k == 0 ? start_mid2 : 2001 + 2 * (mid - mv);
			cr_assert_eq(study_on_event(s, &ev), 0);
			depth_sum += (3.0 * (double)q + 30.0) / 6.0;
		}
		x[k] = ofi / (depth_sum / 4);
		y[k] = (double)(2001 + 2 * mid - mid2_0) / 2.0;
	}
	t_done(s);
	const struct study_window_res *w = &t_res.win[0];
	cr_assert_eq(w->n, W);
	for (int m = 0; m < 3; m++)
		T_NEAR(w->pc1[m], 1.0 / 3, 1e-9, "PC1 weight");
	T_NEAR(w->pc1_share, 1, 1e-9, "PC1 share");
	double b, a, r2;
	t_ols(x, y, W, &b, &a, &r2);
	T_NEAR(w->ofi_int.slope, b, 1e-9 * fabs(b), "integrated slope");
	T_NEAR(w->ofi_int.r2, r2, 1e-9, "integrated R2");
}

/* ------------------------------------------------------------ Kyle, Amihud */

/*
 * One trade a second of signed volume v (1..20 lots, either side) at the
 * touch, then the book moves by v ticks: Kyle's lambda is 1 tick per lot
 * with R2 1; Amihud's measure is computed here from the same prices.
 * Spread 1 tick, so quoted and effective spreads are 1.
 */
Test(study, kyle_lambda_amihud_and_spreads_of_known_flows)
{
	struct study_params p = { .n_windows = 1, .window_ns = { NS }, .ofi_levels = 1,
				  .ccy_per_tick_lot = 0.25 };
	struct study *s = t_study(&p);
	struct t_rng g;
	t_rng_seed(&g, 3);
	int64_t bid = 100000;
	double am = 0;
	enum { W = 300 };
	t_book(s, 0.0, bid, 10, bid + 1, 10);
	for (int k = 0; k < W; k++) {
		int64_t v = 1 + (int64_t)t_rng_below(&g, 20);
		int side = t_rng_below(&g, 2) ? 1 : -1;
		int64_t px = side > 0 ? bid + 1 : bid;
		int64_t m0 = 2 * bid + 1;
		t_trade(s, k + 0.1, px, v, side);
		bid += side * v;
		t_book(s, k + 0.5, bid, 10, bid + 1, 10);
		am += fabs(log((double)(2 * bid + 1) / (double)m0)) /
		      ((double)px * (double)v * 0.25) * 1e6;
	}
	t_done(s);
	const struct study_window_res *w = &t_res.win[0];
	cr_assert_eq(w->kyle.n, W);
	T_NEAR(w->kyle.slope, 1.0, 1e-12, "lambda");
	T_NEAR(w->kyle.r2, 1.0, 1e-12, "R2");
	cr_expect_eq(w->amihud_n, W);
	T_NEAR(w->amihud, am / W, 1e-9 * am / W, "Amihud");
	T_NEAR(t_res.quoted_spread, 1.0, 1e-12, "quoted");
	T_NEAR(t_res.effective_spread, 1.0, 1e-12, "effective");
	T_NEAR(t_res.effective_median, 1.0, 1e-12, "effective median");
	cr_expect_eq(t_res.signed_by[0], W);
}

/* ------------------------------------------------------------ spreads */

/*
 * Roll (1984): a trade at m + c Q with Q = +-1 independent and m a random
 * walk independent of Q has cov(dp_t, dp_t-1) = -c^2, so 2 sqrt(-cov) =
 * 2c.  c = 3 ticks, m steps of -1, 0, +1 tick.
 */
Test(study, roll_on_a_simulated_bid_ask_bounce)
{
	struct study_params p = { 0 };
	struct study *s = t_study(&p);
	struct t_rng g;
	t_rng_seed(&g, 5);
	int64_t m = 50000;
	for (int i = 0; i < 400000; i++) {
		int q = t_rng_below(&g, 2) ? 1 : -1;
		m += (int64_t)t_rng_below(&g, 3) - 1;
		t_trade_ns(s, 1000 * NS + (int64_t)i * 1000000, m + 3 * q, 1, q);
	}
	t_done(s);
	cr_expect_eq(t_res.roll.n, 400000 - 2);
	T_NEAR(t_res.roll.cov, -9.0, 0.15, "cov = -c^2");
	T_NEAR(t_res.roll.spread, 6.0, 0.06, "Roll spread = 2c");
}

/*
 * Glosten and Harris (1988): the efficient price moves by z0 Q + z1 Q V
 * (+ noise), the trade is at m + c0 Q + c1 Q V; the regression recovers
 * (c0, c1, z0, z1).  With V constant, Huang and Stoll's two-way model:
 * dP = (c + z) dQ + z Q(-1), so S/2 = c + z and lambda = z / (c + z).
 */
Test(study, glosten_harris_and_huang_stoll_recover_their_parameters)
{
	struct t_rng g;
	t_rng_seed(&g, 9);
	/* GH: c0 2, c1 0.01, z0 1, z1 0.02 ticks (per lot), V in {100, 200, 300} */
	struct study_params p = { 0 };
	struct study *s = t_study(&p);
	int64_t m = 1000000;
	for (int i = 0; i < 200000; i++) {
		int q = t_rng_below(&g, 2) ? 1 : -1;
		int64_t v = 100 * (1 + (int64_t)t_rng_below(&g, 3));
		m += q * (1 + v / 50) + (int64_t)t_rng_below(&g, 5) - 2;
		t_trade_ns(s, 1000 * NS + (int64_t)i * 1000000, m + q * (2 + v / 100), v, q);
	}
	t_done(s);
	const struct study_gh *gh = &t_res.gh;
	T_NEAR(gh->c0, 2.0, 0.05, "c0");
	T_NEAR(gh->c1, 0.01, 0.0003, "c1");
	T_NEAR(gh->z0, 1.0, 0.05, "z0");
	T_NEAR(gh->z1, 0.02, 0.0003, "z1");
	T_NEAR(gh->v_mean, 200, 2, "mean size");
	T_NEAR(gh->transitory, 4.0, 0.05, "c at the mean size");
	T_NEAR(gh->adverse, 5.0, 0.05, "z at the mean size");
	T_NEAR(gh->adverse_share, 5.0 / 9.0, 0.01, "adverse share");

	/* Huang-Stoll: c = 2, z = 1, V = 1 */
	s = t_study(&p);
	m = 1000000;
	for (int i = 0; i < 200000; i++) {
		int q = t_rng_below(&g, 2) ? 1 : -1;
		m += q + (int64_t)t_rng_below(&g, 5) - 2;
		t_trade_ns(s, 1000 * NS + (int64_t)i * 1000000, m + 2 * q, 1, q);
	}
	t_done(s);
	T_NEAR(t_res.hs.half_spread, 3.0, 0.03, "S/2");
	T_NEAR(t_res.hs.lambda, 1.0 / 3.0, 0.01, "lambda");
}

/* ------------------------------------------------------------ fill curve */

/*
 * Orders arrive as a Poisson process of rate R (book 1000 / 1001); each
 * reaches j ticks beyond the touch with P(j >= n) = exp(-k n), so 0.5 + j
 * ticks beyond the mid: lambda(delta) = R exp(-k (delta - 0.5)), i.e.
 * A = R exp(k / 2).  R = 2/s, k = 0.3 per tick.
 */
Test(study, fill_curve_recovers_a_and_k)
{
	const double R = 2.0, K = 0.3;
	struct study_params p = { .fill_max_ticks = 15 };
	struct study *s = t_study(&p);
	struct study_params p2 = { 0 };
	struct study *s2 = t_study(&p2);
	struct t_rng g;
	t_rng_seed(&g, 21);
	double t = 100;
	t_book(s, t, 1000, 50, 1001, 50);
	t_book(s2, t, 1000, 50, 1001, 50);
	uint64_t n = 0;
	while (t < 100 + 50000) {
		t += -log(t_unif(&g)) / R;
		int64_t j = (int64_t)floor(-log(t_unif(&g)) / K);
		int side = t_rng_below(&g, 2) ? 1 : -1;
		int64_t px = side > 0 ? 1001 + j : 1000 - j;
		t_trade(s, t, px, 1, side);
		t_trade(s2, t, px, 1, side);
		n++;
	}
	double T = t - 100;
	t_done(s);
	cr_expect_eq(t_res.fill.orders, n);
	T_NEAR(t_res.fill.observed_s, T, 1e-6, "observed");
	cr_expect_gt(t_res.fill.n_fit, 10);
	T_NEAR(t_res.fill.k, K, 0.01, "k, up to 15 ticks");
	T_NEAR(t_res.fill.a, R * exp(K / 2), 0.03 * R * exp(K / 2), "A, up to 15 ticks");
	cr_expect_gt(t_res.fill.r2, 0.995);
	/* the count at delta 0.5 is every order */
	cr_expect_gt(t_res.fill.reach[1], 0);
	t_done(s2);
	T_NEAR(t_res.fill.k, K, 0.05 * K, "k, every distance");
	T_NEAR(t_res.fill.a, R * exp(K / 2), 0.1 * R * exp(K / 2), "A, every distance");
}

/* Prints of one aggressive order (same exchange time and side) count
 * once, at their furthest reach; another side or time is another order. */
Test(study, prints_of_one_order_merge_for_the_fill_counts)
{
	struct study_params p = { 0 };
	struct study *s = t_study(&p);
	t_book(s, 10, 1000, 5, 1001, 5);
	t_trade_ns(s, 11 * NS, 1001, 5, 1);   /* reach 0.5 */
	t_trade_ns(s, 11 * NS, 1002, 5, 1);   /* 1.5 */
	t_trade_ns(s, 11 * NS, 1004, 1, 1);   /* 3.5: the order's reach */
	t_trade_ns(s, 11 * NS, 1000, 2, -1);  /* another order: 0.5 */
	t_trade_ns(s, 12 * NS, 999, 2, -1);   /* another: 1.5 */
	t_done(s);
	cr_expect_eq(t_res.fill.orders, 3);
	cr_expect_eq(t_res.fill.reach[7], 1);
	cr_expect_eq(t_res.fill.reach[1], 1);
	cr_expect_eq(t_res.fill.reach[3], 1);
}

/* ------------------------------------------------------------ arrivals */

/* Poisson arrivals: var = mean, so the ratio is 1 and the branching 0. */
Test(study, arrival_variance_of_a_poisson_process)
{
	struct study_params p = { .n_windows = 1, .window_ns = { 10 * NS } };
	struct study *s = t_study(&p);
	struct t_rng g;
	t_rng_seed(&g, 13);
	double t = 0;
	t_book(s, 0, 1000, 5, 1001, 5);
	while (t < 40000) {
		t += -log(t_unif(&g)) / 5.0;
		t_trade(s, t, 1001, 1, t_rng_below(&g, 2) ? 1 : -1);
	}
	t_done(s);
	const struct study_fano *f = &t_res.win[0].fano[STUDY_ALL];
	cr_expect_gt(f->n, 3990);
	T_NEAR(f->mean, 50, 0.5, "mean count");
	T_NEAR(f->ratio, 1.0, 0.06, "var / mean");
	T_NEAR(f->branching, 0.0, 0.03, "branching");
}

/*
 * A stream of trades only (B3's NEG files): no mid, so no regression, but
 * the counts.  1 s windows: buys at 0.1, 0.2, 0.3 s, a sell at 3.5 s, so
 * the counts are all (3, 0, 0, 1): mean 1, var 2; buy (3, 0, 0, 0): mean
 * 0.75, var 2.25.
 */
Test(study, counts_of_a_trades_only_stream)
{
	struct study_params p = { .n_windows = 1, .window_ns = { NS } };
	struct study *s = t_study(&p);
	t_trade(s, 100.1, 500, 1, 1);
	t_trade(s, 100.2, 500, 1, 1);
	t_trade(s, 100.3, 500, 1, 1);
	t_trade(s, 103.5, 500, 1, -1);
	t_done(s);
	const struct study_window_res *w = &t_res.win[0];
	cr_expect_eq(w->n, 0, "no mid: no regression point");
	cr_expect_eq(w->fano[STUDY_ALL].n, 4);
	T_NEAR(w->fano[STUDY_ALL].mean, 1, 1e-12, "mean");
	T_NEAR(w->fano[STUDY_ALL].var, 2, 1e-12, "var");
	T_NEAR(w->fano[STUDY_ALL].branching, 1 - 1 / sqrt(2), 1e-12, "branching");
	T_NEAR(w->fano[STUDY_BUY].ratio, 2.25 / 0.75, 1e-12, "buy var / mean");
	for (uint32_t i = 0; i < t_res.profile_bins; i++)
		if (t_res.profile[i].observed_s > 0)
			cr_expect(isnan(t_res.profile[i].volatility_bps), "no mid, no volatility");
}

/*
 * Buy and sell orders of a Hawkes process simulated by libcore/gen
 * (Ogata's thinning), each side self-exciting with G = alpha / beta = 0.6
 * and no cross-excitation: the maximum-likelihood fits find 0.6, and so
 * does the variance-to-mean of counts over windows much longer than the
 * clusters (1 / (1 - G)^2 = 6.25).
 */
Test(study, hawkes_arrivals_are_fitted_and_counted)
{
	struct hawkes_params hp = { .dim = 2, .mu = { 0.8, 0.8 },
				    .alpha = { { 2.4, 0 }, { 0, 2.4 } }, .beta = { 4, 4 } };
	struct hawkes h;
	struct rng r;
	char err[128];
	cr_assert_eq(hawkes_init(&h, &hp, 0, err, sizeof(err)), 0, "%s", err);
	rng_seed(&r, 17, 0);
	struct study_params p = { .n_windows = 1, .window_ns = { 60 * NS },
				  .hawkes_max = 1000000 };
	struct study *s = t_study(&p);
	t_book(s, 0, 1000, 5, 1001, 5);
	double t = 0;
	uint64_t n = 0;
	while (1) {
		uint32_t type = hawkes_next(&h, &r, &t);
		if (t > 20000)
			break;
		t_trade_ns(s, (int64_t)llround(t * 1e9) + 1, type == 0 ? 1001 : 1000, 1,
			   type == 0 ? 1 : -1);
		n++;
	}
	t_done(s);
	const struct study_hawkes *hk = &t_res.hawkes;
	cr_assert(hk->fitted, "rc %d %d %d", hk->rc[0], hk->rc[1], hk->rc[2]);
	cr_expect_eq(hk->events, n);
	T_NEAR(hk->uni[0].rho, 0.6, 0.03, "buy branching (ML)");
	T_NEAR(hk->uni[1].rho, 0.6, 0.03, "sell branching (ML)");
	T_NEAR(hk->bi.rho, 0.6, 0.03, "joint spectral radius (ML)");
	T_NEAR(hk->uni[0].p.beta[0], 4, 0.6, "buy decay");
	T_NEAR(hk->bi.p.alpha[0][1], 0, 0.15, "no cross-excitation");
	T_NEAR(t_res.win[0].fano[STUDY_BUY].branching, 0.6, 0.06, "buy branching (counts)");
	T_NEAR(t_res.win[0].fano[STUDY_SELL].branching, 0.6, 0.06, "sell branching (counts)");
}

/* The Hawkes series stops at hawkes_max; the other measures see every
 * trade. */
Test(study, hawkes_series_is_capped)
{
	struct study_params p = { .hawkes_max = 50 };
	struct study *s = t_study(&p);
	t_book(s, 0, 1000, 5, 1001, 5);
	for (int i = 0; i < 200; i++)
		t_trade_ns(s, NS + (int64_t)i * 1000000, 1001, 1, i % 3 ? 1 : -1);
	t_done(s);
	cr_expect_eq(t_res.hawkes.events, 50);
	cr_expect(t_res.hawkes.capped);
	cr_expect_eq(t_res.hawkes.trades_left_out, 150);
	cr_expect_eq(t_res.trades, 200);
	cr_expect_eq(t_res.fill.orders, 200);
}

/* ------------------------------------------------------------ time */

/*
 * Local time UTC-3, 30-minute bins; 2022-01-03 (a Monday):
 *   13:00 UTC (10:00 local) book spread 2; 13:10 spread 1; 13:20 a trade
 *   of 7; 13:40 spread 3; 13:50 a trade of 5 (the last event).
 * Bin 10:00: 1800 s observed, spread (600 x 2 + 1200 x 1) / 1800, 7 lots;
 * bin 10:30: 1200 s, spread (600 x 1 + 600 x 3) / 1200, 5 lots.
 */
Test(study, profile_by_local_time)
{
	struct study_params p = { .tz = STUDY_TZ_FIXED, .utc_offset_s = -3 * 3600 };
	struct study *s = t_study(&p);
	double d = 1641168000.0; /* 2022-01-03 00:00 UTC */
	t_book(s, d + 13 * 3600, 100, 5, 102, 5);
	t_book(s, d + 13 * 3600 + 600, 100, 5, 101, 5);
	t_trade(s, d + 13 * 3600 + 1200, 101, 7, 1);
	t_book(s, d + 13 * 3600 + 2400, 100, 5, 103, 5);
	t_trade(s, d + 13 * 3600 + 3000, 103, 5, 1);
	t_done(s);
	cr_assert_eq(t_res.profile_bins, 48);
	const struct study_profile_bin *a = &t_res.profile[20], *b = &t_res.profile[21];
	T_NEAR(a->observed_s, 1800, 1e-6, "10:00 observed");
	T_NEAR(a->spread_ticks, (600 * 2 + 1200 * 1) / 1800.0, 1e-9, "10:00 spread");
	T_NEAR(a->volume, 7, 0, "10:00 volume");
	T_NEAR(a->trades_per_min, 1 / 30.0, 1e-9, "10:00 trades per minute");
	T_NEAR(b->observed_s, 1200, 1e-6, "10:30 observed");
	T_NEAR(b->spread_ticks, 2.0, 1e-9, "10:30 spread");
	T_NEAR(b->volume_per_min, 5 / 20.0, 1e-9, "10:30 volume per minute");
	for (uint32_t i = 0; i < 48; i++)
		if (i != 20 && i != 21)
			cr_expect_eq(t_res.profile[i].observed_s, 0, "bin %u", i);
}

/* New York: 09:30 is 13:30 UTC in July (EDT) and 14:30 UTC in January
 * (EST); both land in the 09:30 bin. */
Test(study, profile_in_new_york_time)
{
	struct study_params p = { .tz = STUDY_TZ_NEW_YORK };
	struct study *s = t_study(&p);
	double jul = 1721001600.0, jan = 1705276800.0; /* 2024-07-15, 2024-01-15 00:00 UTC */
	t_trade(s, jan + 14.5 * 3600 + 60, 100, 4, 1);
	t_trade(s, jul + 13.5 * 3600 + 60, 100, 3, 1);
	t_done(s);
	cr_expect_eq(t_res.profile[19].trades, 2);
	T_NEAR(t_res.profile[19].volume, 7, 0, "09:30 volume");
	cr_expect_eq(t_res.segments, 2);
}

/*
 * Two bursts 2 h apart, max gap 30 min: two segments, their times only
 * observed, no window, price change or spread time across the gap.
 */
Test(study, a_long_gap_splits_segments)
{
	struct study_params p = { .n_windows = 1, .window_ns = { NS } };
	struct study *s = t_study(&p);
	for (int i = 0; i <= 100; i++) {
		t_book(s, 1000 + i, 500 + i % 2, 5, 502 + i % 2, 5);
		t_trade(s, 1000 + i + 0.5, 501 + (i % 3), 1, i % 2 ? 1 : -1);
	}
	for (int i = 0; i <= 100; i++) {
		t_book(s, 8200 + i, 900, 5, 902, 5);
		t_trade(s, 8200 + i + 0.5, 901 + (i % 2), 1, 1);
	}
	t_done(s);
	cr_expect_eq(t_res.segments, 2);
	T_NEAR(t_res.observed_s, 2 * 100.5, 1e-9, "observed");
	cr_expect_eq(t_res.win[0].n, 2 * 101, "windows: 101 a segment");
	cr_expect_eq(t_res.roll.n, 2 * 99, "price-change pairs within each segment");
	T_NEAR(t_res.quoted_spread, 2.0, 1e-12, "quoted");
	/* the jump from 500 to 900 between the segments is no price change */
	cr_expect_lt(fabs(t_res.win[0].ofi.intercept), 1.0);
}

Test(study, params_are_checked)
{
	char err[128];
	struct study_params p = { .ccy_per_tick_lot = 1 };
	study_params_defaults(&p);
	cr_expect_eq(study_params_check(&p, err, sizeof(err)), 0);
	struct study_params q = p;
	q.window_ns[1] = q.window_ns[0];
	cr_expect_eq(study_params_check(&q, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "windows"), "%s", err);
	q = p;
	q.profile_bin_ns = 7 * 60 * NS;
	cr_expect_eq(study_params_check(&q, err, sizeof(err)), -EINVAL);
	q = p;
	q.ofi_levels = 11;
	cr_expect_eq(study_params_check(&q, err, sizeof(err)), -EINVAL);
	q = p;
	q.ccy_per_tick_lot = 0;
	cr_expect_eq(study_params_check(&q, err, sizeof(err)), -EINVAL);
	/* the memory does not depend on the input, only on the bins */
	struct study_params r = p;
	r.profile_bin_ns = 60 * NS;
	cr_expect_gt(study_memsize(&r), study_memsize(&p));
	cr_expect_lt(study_memsize(&r), 1u << 20);
}

/* ------------------------------------------------------------ the tool */

static json_t *t_json_of(const char *cmd_fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *t_json_of(const char *cmd_fmt, ...)
{
	char cmd[4096], out[4096];
	va_list ap;
	va_start(ap, cmd_fmt);
	vsnprintf(cmd, sizeof(cmd), cmd_fmt, ap);
	va_end(ap);
	const char *path = t_tmp_path("out.json");
	int rc = t_sh(out, sizeof(out), "%s > %s", cmd, path);
	cr_assert_eq(rc, 0, "%s: exit %d: %s", cmd, rc, out);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	cr_assert_not_null(j, "%s: %s", cmd, je.text);
	return j;
}

static double t_num(json_t *o, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		if (json_is_array(o))
			o = json_array_get(o, (size_t)atoi(k));
		else
			o = json_object_get(o, k);
		cr_assert_not_null(o, "no %s (at %s)", path, k);
	}
	cr_assert(json_is_number(o), "%s is not a number", path);
	return json_number_value(o);
}

/*
 * The bundled Binance USD-M capture, dm-study against check.py (its own
 * JSON parse, book and regressions): the 10 s level-1 OFI regression and
 * the arrival counts are the same computation (equal to 1e-9); the
 * Hawkes maximum-likelihood fits of each side agree to the optimisers'
 * tolerance.  The figures against the literature: Cont et al. report an
 * R2 of about 0.65 for 10 s windows on US stocks; the branching ratio of
 * trade arrivals on liquid futures and crypto is typically 0.6 - 0.9 by
 * the variance of counts.  The exponential-kernel fit sees only the fast
 * (tens of ms) excitation of this 6-minute sample: 0.3 - 0.5.
 */
static void t_against_check_py(json_t *st)
{
	char out[512];
	/* python's numbers do not depend on the build: the plain build
	 * compares them (make test's time budget) */
	if (T_SANITIZED) {
		cr_log_info("tests/study/check.py: compared in the plain build");
		return;
	}
	cr_assert_eq(t_sh(out, sizeof(out), "command -v python3"), 0,
		     "python3 is needed by this test (make deps installs it)");
	json_t *py = t_json_of("python3 tests/study/check.py %s --window 10", T_USDM);

	cr_assert_eq(t_num(st, "params.windows_s.1"), 10);
	cr_expect_eq(t_num(st, "events.book"), t_num(py, "books"));
	cr_expect_eq(t_num(st, "events.trade"), t_num(py, "trades"));
	cr_expect_eq(t_num(st, "windows.1.ofi.n"), t_num(py, "ofi.n"));
	double r2 = t_num(st, "windows.1.ofi.r2");
	T_NEAR(r2, t_num(py, "ofi.r2"), 1e-9, "OFI R2 (10 s)");
	T_NEAR(t_num(st, "windows.1.ofi.slope"), t_num(py, "ofi.slope"),
	       1e-9 * fabs(t_num(py, "ofi.slope")), "OFI slope (10 s)");
	T_NEAR(t_num(st, "windows.1.ofi.intercept"), t_num(py, "ofi.intercept"), 1e-6,
	       "OFI intercept (10 s)");
	const char *sides[3] = { "buy", "sell", "all" };
	char a[128], b[128];
	for (int k = 0; k < 3; k++) {
		snprintf(a, sizeof(a), "windows.1.arrivals.%s.var_over_mean", sides[k]);
		snprintf(b, sizeof(b), "arrivals.%s.var_over_mean", sides[k]);
		T_NEAR(t_num(st, a), t_num(py, b), 1e-9 * t_num(py, b), a);
		snprintf(a, sizeof(a), "windows.1.arrivals.%s.branching", sides[k]);
		snprintf(b, sizeof(b), "arrivals.%s.branching", sides[k]);
		T_NEAR(t_num(st, a), t_num(py, b), 1e-9, a);
	}
	/* the temporary impact: slippage per lot of each aggressive order on
	 * its size, the same orders and mids as check.py's own book */
	cr_expect_eq(t_num(st, "impact.orders"), t_num(py, "impact.n"));
	T_NEAR(t_num(st, "impact.eta_ticks_per_lot"), t_num(py, "impact.eta"),
	       1e-9 * fabs(t_num(py, "impact.eta")), "impact eta");
	T_NEAR(t_num(st, "impact.epsilon_ticks"), t_num(py, "impact.epsilon"), 1e-9,
	       "impact epsilon");
	T_NEAR(t_num(st, "impact.mean_qty"), t_num(py, "impact.mean_qty"), 1e-9,
	       "impact mean size");
	T_NEAR(t_num(st, "impact.mean_slippage_ticks"), t_num(py, "impact.mean_slippage"),
	       1e-9, "impact mean slippage");
	cr_expect_gt(t_num(st, "impact.mean_slippage_ticks"), 0,
		     "an aggressive order pays against the mid");
	cr_expect_eq(t_num(st, "hawkes.events"), t_num(py, "orders"));
	for (int k = 0; k < 2; k++) {
		snprintf(a, sizeof(a), "hawkes.models.%d.branching_ratio", k);
		snprintf(b, sizeof(b), "hawkes.%s.branching", sides[k]);
		T_NEAR(t_num(st, a), t_num(py, b), 0.005, a);
		snprintf(a, sizeof(a), "hawkes.models.%d.mu_per_s.0", k);
		snprintf(b, sizeof(b), "hawkes.%s.mu", sides[k]);
		T_NEAR(t_num(st, a), t_num(py, b), 0.02 * t_num(py, b), a);
		snprintf(a, sizeof(a), "hawkes.models.%d.beta_per_s.0", k);
		snprintf(b, sizeof(b), "hawkes.%s.beta", sides[k]);
		T_NEAR(t_num(st, a), t_num(py, b), 0.05 * t_num(py, b), a);
	}

	/* against the literature */
	cr_expect(r2 > 0.4 && r2 < 0.8, "10 s level-1 OFI R2 %.3f: Cont et al. about 0.65 "
		  "on US stocks, crypto comparable or lower", r2);
	double br = t_num(st, "windows.1.arrivals.all.branching");
	cr_expect(br > 0.6 && br < 0.9, "branching ratio by counts %.3f, typically 0.6-0.9", br);
	for (int k = 0; k < 3; k++) {
		snprintf(a, sizeof(a), "hawkes.models.%d.branching_ratio", k);
		double v = t_num(st, a);
		cr_expect(v > 0.25 && v < 0.6, "%s %.3f", a, v);
	}
	cr_expect_gt(t_num(st, "windows.1.ofi.slope"), 0, "buying pressure raises the mid");
	cr_expect_gt(t_num(st, "windows.1.kyle.slope"), 0, "Kyle's lambda > 0");
	json_decref(py);
}

/* The Hawkes models are dm-hawkes-fit's, with its defaults: the same
 * figures on the same file. */
static void t_against_hawkes_fit(json_t *st)
{
	json_t *hf = t_json_of("%s/dm-hawkes-fit --input %s --json --quiet", t_bin_dir(),
			       T_USDM);
	char a[96];
	for (int k = 0; k < 3; k++) {
		snprintf(a, sizeof(a), "models.%d.branching_ratio", k);
		char b[96];
		snprintf(b, sizeof(b), "hawkes.models.%d.branching_ratio", k);
		T_NEAR(t_num(st, b), t_num(hf, a), 1e-9, b);
		snprintf(a, sizeof(a), "models.%d.loglik", k);
		snprintf(b, sizeof(b), "hawkes.models.%d.loglik", k);
		T_NEAR(t_num(st, b), t_num(hf, a), 1e-6, b);
	}
	cr_expect_eq(t_num(st, "hawkes.merged_prints"), t_num(hf, "data.merged_prints"));
	json_decref(hf);
}

/* The LOBSTER sample: New York time (its profile starts at 09:30). */
Test(study, lobster_sample_in_new_york_time)
{
	json_t *st = t_json_of("%s/dm-study %s --json --quiet --levels 10", t_bin_dir(),
			       T_LOBSTER);
	json_t *z = json_object_get(json_object_get(st, "local_time"), "zone");
	cr_expect_str_eq(json_string_value(z), "America/New_York");
	json_t *bins = json_object_get(json_object_get(st, "profile"), "bins");
	cr_assert_gt(json_array_size(bins), 0);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(bins, 0), "start")),
			 "09:30");
	cr_expect_eq(t_num(st, "windows.0.ofi_integrated.levels"), 10);
	json_decref(st);
}

Test(study, usage_errors_exit_2)
{
	char out[8192];
	const char *bin = t_bin_dir();
	cr_expect_eq(t_sh(out, sizeof(out), "%s/dm-study", bin), 2);
	cr_expect(strstr(out, "no FILE"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "%s/dm-study %s --windows 10s,1s", bin, T_USDM), 2);
	cr_expect(strstr(out, "--windows"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "%s/dm-study %s --profile-bin 7m", bin, T_USDM), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "%s/dm-study %s --bogus", bin, T_USDM), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "%s/dm-study /nonexistent/file.csv", bin), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "%s/dm-study --help", bin), 0);
	cr_expect(strstr(out, "usage: dm-study FILE"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "%s/dm-study --version", bin), 0);
	cr_expect(strstr(out, "dm-study (DreamMaker)"), "%s", out);
}

/* A bad row: skipped and counted; under --strict exit 2 naming file:line. */
Test(study, bad_row_names_file_and_line)
{
	char out[8192];
	const char *p = t_tmp_path("bad.jsonl");
	cr_assert_eq(t_sh(out, sizeof(out), "zcat %s | head -300 > %s && "
			  "printf '1723161257999999999 {\"stream\":\"btcusdt@trade\",\"data\":"
			  "{\"e\":\"trade\",\"E\":1,\"T\":1723161258000,\"s\":\"BTCUSDT\","
			  "\"t\":1,\"p\":\"oops\",\"q\":\"0.001\",\"m\":true}}\\n' >> %s && "
			  "zcat %s | sed -n 301,600p >> %s", T_USDM, p, p, T_USDM, p), 0, "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "%s/dm-study %s --tick 0.1 --lot 0.001 --quiet "
			  "> /dev/null", t_bin_dir(), p), 0, "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "%s/dm-study %s --tick 0.1 --lot 0.001 --strict",
			  t_bin_dir(), p), 2);
	cr_expect(strstr(out, "bad.jsonl:301"), "%s", out);
}

/* The number a page's cell keyed by its JSON path holds. */
static double t_cell(const char *html, const char *key)
{
	char pat[160];
	snprintf(pat, sizeof(pat), "data-key=\"%s\" data-value=\"", key);
	const char *p = strstr(html, pat);
	cr_assert_not_null(p, "no cell %s", key);
	return strtod(p + strlen(pat), NULL);
}

/*
 * -o: one page with the sections and charts (an OFI scatter and its line
 * per window, lambda(delta) twice, four profiles) whose numbers are the
 * JSON's; an -o that is a directory is refused before any work.
 */
static void t_page(json_t *st, const char *page)
{
	char out[8192];
	char *html = t_file_text(page, NULL);
	const char *ids[] = { "summary", "ofi", "hawkes", "spreads", "fill", "profile" };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char pat[64];
		snprintf(pat, sizeof(pat), "<section id=\"%s\">", ids[i]);
		cr_expect(strstr(html, pat), "no section %s", ids[i]);
	}
	int svg = 0;
	for (const char *p = html; (p = strstr(p, "<svg")); p++)
		svg++;
	cr_expect_eq(svg, 3 + 2 + 4, "charts: %d", svg);
	const char *keys[] = { "windows.0.ofi.r2", "windows.1.ofi.r2", "windows.1.ofi.slope",
			       "windows.1.kyle.slope", "windows.1.arrivals.all.branching",
			       "hawkes.models.2.branching_ratio", "spread.roll.spread_ticks",
			       "spread.huang_stoll.lambda", "events.trade" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		double v = t_num(st, keys[i]);
		T_NEAR(t_cell(html, keys[i]), v, 1e-10 * fabs(v), keys[i]);
	}
	free(html);
	cr_expect_eq(t_sh(out, sizeof(out), "%s/dm-study %s -o %s", t_bin_dir(), T_USDM,
			  t_tmp_dir), 2);
	cr_expect(strstr(out, "not a regular file"), "%s", out);
}

/* The bundled capture, one run of dm-study (JSON and page) against the
 * three above. */
Test(study, binance_capture)
{
	const char *page = t_tmp_path("study.html");
	json_t *st = t_json_of("%s/dm-study %s --json --quiet -o %s", t_bin_dir(), T_USDM, page);
	t_against_check_py(st);
	t_against_hawkes_fit(st);
	t_page(st, page);
	json_decref(st);
}
