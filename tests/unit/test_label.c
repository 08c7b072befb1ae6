/*
 * test_label.c — the triple-barrier labeler, its weights, meta-labels, the
 * CUSUM filter and the primary side rule (libcore/label/).
 *
 * Expected values come from hand-worked paths (barrier levels, touch rows,
 * concurrency counted by hand) and from a naive labeler written here: for
 * each event it scans forward row by row, and it counts the concurrency of
 * every row by looking at every label (O(n^2)); its volatility is the
 * explicit weighted sum (EWMA) or a two-pass window (rolling).  A
 * randomized run compares the streaming labeler with it on hundreds of
 * paths and parameter sets.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/features/features.h"
#include "libcore/label/label.h"
#include "libcore/label/primary.h"
#include "tests/helpers.h"

extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

#define SEC 1000000000LL

/* ------------------------------------------------------------ drivers */

static struct label *t_new(const struct label_params *p)
{
	size_t sz = label_memsize(p);
	struct label *l;

	cr_assert_gt(sz, 0);
	l = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	cr_assert_not_null(l);
	cr_assert_eq(label_init(l, sz, p), 0);
	return l;
}

/* A path of n rows; hi / lo may be NULL (no range), t may be NULL (row k at
 * k seconds), ev / side may be NULL (every row an event, no side). */
struct t_path {
	size_t n;
	const int64_t *t;
	const double *px, *hi, *lo;
	const int8_t *ev, *side;
};

static int64_t t_time(const struct t_path *P, size_t k)
{
	return P->t ? P->t[k] : (int64_t)k * SEC;
}

/* Run the streaming labeler over P, popping after every row; returns the
 * number of labels written into out (room for P->n). */
static size_t t_run(const struct label_params *p, const struct t_path *P,
		    struct label_rec *out, struct label_stats *st)
{
	struct label *l = t_new(p);
	size_t k = 0;

	for (size_t i = 0; i < P->n; i++) {
		struct label_row row = {
			.t_ns = t_time(P, i), .px = P->px[i],
			.hi = P->hi ? P->hi[i] : NAN, .lo = P->lo ? P->lo[i] : NAN,
		};
		int rc = label_push(l, &row, P->ev ? P->ev[i] : 1, P->side ? P->side[i] : 0);

		cr_assert_eq(rc, 0, "push row %zu: %d", i, rc);
		k += label_pop_burst(l, out + k, (uint32_t)(P->n - k));
	}
	label_finish(l);
	k += label_pop_burst(l, out + k, (uint32_t)(P->n - k));
	cr_assert_eq(label_pop_burst(l, out + k, 1), 0);
	if (st)
		*st = *label_stats(l);
	free(l);
	return k;
}

/* Parameters with tick barriers of pt / sl ticks (tick 1) and a row-count
 * vertical barrier of v rows. */
static struct label_params t_ticks(double pt, double sl, uint32_t v)
{
	struct label_params p;

	label_params_default(&p);
	p.pt_kind = p.sl_kind = LABEL_BAR_TICKS;
	p.pt = pt;
	p.sl = sl;
	p.tick = 1;
	p.vert_events = v;
	return p;
}

/* Label a single event at row 0 of px (no side unless side given). */
static struct label_rec t_one(const struct label_params *p, const double *px, size_t n,
			      int side)
{
	int8_t ev[64] = { 1 }, sd[64] = { (int8_t)side };
	struct label_rec out[64];
	struct t_path P = { .n = n, .px = px, .ev = ev, .side = sd };

	cr_assert_leq(n, 64);
	cr_assert_eq(t_run(p, &P, out, NULL), 1);
	return out[0];
}

/* ------------------------------------------------------------ naive labeler */

/* The weight of return k of m in the EWMA: the first keeps (1-a)^(m-1),
 * return k gets a(1-a)^(m-k); they sum to 1. */
static double n_ewma_w(double a, size_t m, size_t k)
{
	return (k == 1 ? 1.0 : a) * pow(1 - a, (double)(m - k));
}

static double n_sigma(const struct label_params *p, const double *px, size_t i0)
{
	size_t m = i0; /* returns r_1..r_i0 */
	double mean = 0, var = 0;

	if (m == 0)
		return 0;
	if (p->vol_kind == LABEL_VOL_EWMA) {
		/* explicit weights (n_ewma_w) */
		double a = 2.0 / (p->vol_n + 1.0);

		for (size_t k = 1; k <= m; k++)
			mean += n_ewma_w(a, m, k) * log(px[k] / px[k - 1]);
		for (size_t k = 1; k <= m; k++) {
			double d = log(px[k] / px[k - 1]) - mean;

			var += n_ewma_w(a, m, k) * d * d;
		}
		return sqrt(var);
	}
	size_t first = m > p->vol_n ? m - p->vol_n + 1 : 1, cnt = m - first + 1;

	for (size_t k = first; k <= m; k++)
		mean += log(px[k] / px[k - 1]);
	mean /= (double)cnt;
	for (size_t k = first; k <= m; k++) {
		double d = log(px[k] / px[k - 1]) - mean;

		var += d * d;
	}
	return sqrt(var / (double)cnt);
}

/* Does price x reach the barrier of kind/mult in direction dir (+1 up,
 * -1 down) from p0?  Ticks: measured in ticks; volatility: the level
 * p0 exp(dir mult sigma). */
static int n_reach(uint32_t kind, double mult, double sigma, double tick, double p0,
		   int dir, double x)
{
	if (kind == LABEL_BAR_TICKS)
		return dir * (x - p0) / tick >= mult - LABEL_TICK_EPS;
	if (kind == LABEL_BAR_VOL) {
		double lv = p0 * exp(dir * mult * sigma);

		return dir > 0 ? x >= lv : x <= lv;
	}
	return 0;
}

static int n_sign(double x)
{
	return (x > 0) - (x < 0);
}

static size_t n_label(const struct label_params *p, const struct t_path *P,
		      struct label_rec *out, uint64_t *skipped, uint64_t *dropped)
{
	int any_vol = p->pt_kind == LABEL_BAR_VOL || p->sl_kind == LABEL_BAR_VOL;
	int64_t H = (int64_t)llround(p->vert_sec * 1e9);
	size_t k = 0;

	*skipped = *dropped = 0;
	for (size_t i0 = 0; i0 < P->n; i0++) {
		if (P->ev && !P->ev[i0])
			continue;
		int side = P->side ? P->side[i0] : 0, o = side ? side : 1;
		double p0 = P->px[i0], sigma = 0;

		if (any_vol) {
			if (i0 < p->vol_warmup) {
				(*skipped)++;
				continue;
			}
			sigma = fmax(n_sigma(p, P->px, i0), p->vol_floor);
			if ((p->pt_kind == LABEL_BAR_VOL && p0 * exp(p->pt * sigma) == p0) ||
			    (p->sl_kind == LABEL_BAR_VOL && p0 * exp(-p->sl * sigma) == p0) ||
			    (p->pt_kind == LABEL_BAR_VOL && p0 * exp(-p->pt * sigma) == p0) ||
			    (p->sl_kind == LABEL_BAR_VOL && p0 * exp(p->sl * sigma) == p0)) {
				(*skipped)++;
				continue;
			}
		}
		struct label_rec r = { .i0 = i0, .t0_ns = t_time(P, i0), .side = (int8_t)side };
		int done = 0;

		for (size_t j = i0 + 1; !done; j++) {
			if (j >= P->n) {
				if (p->eod == LABEL_EOD_DROP) {
					(*dropped)++;
					done = 2;
					break;
				}
				r.i1 = P->n - 1;
				r.barrier = LABEL_B_END;
				r.label = (int8_t)n_sign(o * log(P->px[r.i1] / p0));
				done = 1;
				break;
			}
			if (H && t_time(P, j) > r.t0_ns + H) {
				r.i1 = j - 1;
				r.barrier = LABEL_B_VERT;
				done = 1;
				break;
			}
			double hi = P->hi ? P->hi[j] : P->px[j], lo = P->lo ? P->lo[j] : P->px[j];
			int prof = n_reach(p->pt_kind, p->pt, sigma, p->tick, p0, o, o > 0 ? hi : lo);
			int stop = n_reach(p->sl_kind, p->sl, sigma, p->tick, p0, -o, o > 0 ? lo : hi);

			if (prof || stop) {
				r.i1 = j;
				r.barrier = prof && stop ? LABEL_B_TIE : prof ? LABEL_B_PT : LABEL_B_SL;
				r.label = prof && stop ? (p->tie == LABEL_TIE_STOP ? -1 :
							  p->tie == LABEL_TIE_PROFIT ? 1 : 0) :
					  prof ? 1 : -1;
				done = 1;
			} else if (p->vert_events && j == i0 + p->vert_events) {
				r.i1 = j;
				r.barrier = LABEL_B_VERT;
				done = 1;
			}
		}
		if (done == 2)
			continue;
		r.t1_ns = t_time(P, r.i1);
		r.ret = o * log(P->px[r.i1] / p0);
		if (r.barrier == LABEL_B_VERT)
			r.label = p->vert_sign ? (int8_t)n_sign(r.ret) : 0;
		r.meta = r.label == 1;
		r.sigma = any_vol ? sigma : 0;
		out[k++] = r;
	}
	/* weights: concurrency of every row by looking at every label */
	for (size_t a = 0; a < k; a++) {
		double su = 0, sr = 0;

		for (uint64_t t = out[a].i0; t <= out[a].i1; t++) {
			int c = 0;

			for (size_t b = 0; b < k; b++)
				c += out[b].i0 <= t && t <= out[b].i1;
			su += 1.0 / c;
			if (t > out[a].i0)
				sr += log(P->px[t] / P->px[t - 1]) / c;
		}
		out[a].uniq = su / (double)(out[a].i1 - out[a].i0 + 1);
		out[a].attr = fabs(sr);
	}
	return k;
}

/* ------------------------------------------------------------ parameters */

Test(label, defaults_pass_the_check_and_bad_fields_are_named)
{
	struct label_params p;
	char err[160];

	label_params_default(&p);
	cr_assert_eq(label_params_check(&p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.pt_kind, LABEL_BAR_VOL);
	cr_assert_eq(p.vert_events, 100);
	cr_assert_eq(label_capacity(&p), 256); /* 2 x 100 + 4 rounded up */

	p.vert_events = 0;
	cr_assert_eq(label_params_check(&p, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "vertical"), "%s", err);
	cr_assert_eq(label_memsize(&p), 0);
	p.vert_sec = 30;
	cr_assert_eq(label_params_check(&p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(label_capacity(&p), 65536);

	label_params_default(&p);
	p.pt = 0;
	cr_assert_eq(label_params_check(&p, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "pt"), "%s", err);
	p.pt_kind = LABEL_BAR_OFF; /* a disabled barrier ignores its value */
	cr_assert_eq(label_params_check(&p, err, sizeof(err)), 0, "%s", err);

	label_params_default(&p);
	p.tie = 3;
	cr_assert_eq(label_params_check(&p, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "tie"), "%s", err);
	label_params_default(&p);
	p.vol_n = 1;
	cr_assert_eq(label_params_check(&p, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "vol_n"), "%s", err);
	label_params_default(&p);
	p.tick = -1;
	cr_assert_eq(label_params_check(&p, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "tick"), "%s", err);
}

/* ------------------------------------------------------------ triple barrier */

Test(label, profit_barrier_first)
{
	/* +-2 ticks from 100: levels 102 and 98; 103 at row 2 is the first touch */
	struct label_params p = t_ticks(2, 2, 10);
	const double px[] = { 100, 101, 103, 97, 100 };
	struct label_rec r = t_one(&p, px, 5, 0);

	cr_assert_eq(r.i0, 0);
	cr_assert_eq(r.i1, 2);
	cr_assert_eq(r.t1_ns, 2 * SEC);
	cr_assert_eq(r.label, 1);
	cr_assert_eq(r.barrier, LABEL_B_PT);
	cr_assert_float_eq(r.ret, log(103.0 / 100.0), 1e-15);
	cr_assert_eq(r.w_pt, 2);
	cr_assert_eq(r.w_sl, 2);
	cr_assert_str_eq(label_barrier_name(r.barrier), "pt");
}

Test(label, stop_barrier_first)
{
	const double px[] = { 100, 99, 97.5, 105, 100 };
	struct label_params p = t_ticks(2, 2, 10);
	struct label_rec r = t_one(&p, px, 5, 0);

	cr_assert_eq(r.i1, 2);
	cr_assert_eq(r.label, -1);
	cr_assert_eq(r.barrier, LABEL_B_SL);
	cr_assert_float_eq(r.ret, log(97.5 / 100.0), 1e-15);
}

Test(label, exact_tick_move_touches)
{
	/* 0.1-tick prices that are not exact in binary: 100.3 - 100.1 is
	 * 0.19999999999998863, two ticks of 0.1 all the same */
	struct label_params p = t_ticks(2, 2, 10);
	const double px[] = { 100.1, 100.2, 100.3 };

	p.tick = 0.1;
	struct label_rec r = t_one(&p, px, 3, 0);
	cr_assert_eq(r.i1, 2);
	cr_assert_eq(r.barrier, LABEL_B_PT);
}

Test(label, vertical_barrier_in_rows)
{
	struct label_params p = t_ticks(2, 2, 3);
	const double px[] = { 100, 101, 99, 100.5, 110, 120 };
	struct label_rec r = t_one(&p, px, 6, 0);

	/* rows 1..3 stay inside (99, 101 not beyond 98, 102): vertical at row 3 */
	cr_assert_eq(r.i1, 3);
	cr_assert_eq(r.barrier, LABEL_B_VERT);
	cr_assert_eq(r.label, 0);
	cr_assert_float_eq(r.ret, log(100.5 / 100), 1e-15);

	/* the sign rule */
	p.vert_sign = 1;
	r = t_one(&p, px, 6, 0);
	cr_assert_eq(r.label, 1);
	cr_assert_eq(r.barrier, LABEL_B_VERT);

	/* a touch on the vertical row itself is a touch */
	const double px2[] = { 100, 101, 99, 102, 100 };
	p.vert_sign = 0;
	r = t_one(&p, px2, 5, 0);
	cr_assert_eq(r.i1, 3);
	cr_assert_eq(r.barrier, LABEL_B_PT);
	cr_assert_eq(r.label, 1);
}

Test(label, vertical_barrier_in_seconds)
{
	struct label_params p = t_ticks(2, 2, 0);
	const double px[] = { 100, 101, 99.5, 101.5, 110, 100 };
	/* rows at 0, 0.5, 1.2, 2.5, 2.6, 9 s */
	const int64_t t[] = { 0, SEC / 2, 1200000000, 2500000000LL, 2600000000LL, 9 * SEC };
	int8_t ev[6] = { 1, 0, 0, 0, 0, 0 };
	struct label_rec out[6];
	struct t_path P = { .n = 6, .t = t, .px = px, .ev = ev };

	p.vert_sec = 2.5;
	/* the deadline is 2.5 s: row 3 at exactly 2.5 s is inside, row 4 at
	 * 2.6 s (a touch at 110) is after it and does not count */
	cr_assert_eq(t_run(&p, &P, out, NULL), 1);
	cr_assert_eq(out[0].i1, 3);
	cr_assert_eq(out[0].t1_ns, 2500000000LL);
	cr_assert_eq(out[0].barrier, LABEL_B_VERT);
	cr_assert_eq(out[0].label, 0);
	cr_assert_float_eq(out[0].ret, log(101.5 / 100), 1e-15);

	/* no row inside (t0, t0 + H]: t1 = t0, return 0 */
	memset(ev, 0, sizeof(ev));
	ev[4] = 1; /* at 2.6 s; the next row is at 9 s */
	cr_assert_eq(t_run(&p, &P, out, NULL), 1);
	cr_assert_eq(out[0].i0, 4);
	cr_assert_eq(out[0].i1, 4);
	cr_assert_eq(out[0].ret, 0);
	cr_assert_eq(out[0].barrier, LABEL_B_VERT);
	cr_assert_float_eq(out[0].uniq, 1.0, 1e-15);
	cr_assert_eq(out[0].attr, 0);

	/* both vertical barriers: whichever comes first (2 rows here) */
	memset(ev, 0, sizeof(ev));
	ev[0] = 1;
	p.vert_events = 2;
	cr_assert_eq(t_run(&p, &P, out, NULL), 1);
	cr_assert_eq(out[0].i1, 2);
	cr_assert_eq(out[0].barrier, LABEL_B_VERT);
}

Test(label, both_barriers_in_one_row_follow_the_tie_rule)
{
	/* row 1 ranges over [97, 103]: beyond both 98 and 102 */
	const double px[] = { 100, 100, 100 }, hi[] = { 100, 103, 100 }, lo[] = { 100, 97, 100 };
	int8_t ev[3] = { 1, 0, 0 }, side[3] = { 0 };
	struct label_rec out[3];
	struct t_path P = { .n = 3, .px = px, .hi = hi, .lo = lo, .ev = ev, .side = side };
	struct label_params p = t_ticks(2, 2, 10);
	static const struct { uint32_t tie; int side, label; } cases[] = {
		{ LABEL_TIE_STOP, 0, -1 },   { LABEL_TIE_PROFIT, 0, 1 },  { LABEL_TIE_ZERO, 0, 0 },
		{ LABEL_TIE_STOP, -1, -1 },  { LABEL_TIE_PROFIT, -1, 1 }, { LABEL_TIE_STOP, 1, -1 },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		p.tie = cases[c].tie;
		side[0] = (int8_t)cases[c].side;
		cr_assert_eq(t_run(&p, &P, out, NULL), 1);
		cr_assert_eq(out[0].i1, 1);
		cr_assert_eq(out[0].barrier, LABEL_B_TIE, "case %zu", c);
		cr_assert_eq(out[0].label, cases[c].label, "case %zu", c);
		cr_assert_eq(out[0].meta, cases[c].label == 1);
		cr_assert_eq(out[0].ret, 0); /* the path price did not move */
	}

	/* one barrier inside the range only: no tie */
	const double hi2[] = { 100, 103, 100 }, lo2[] = { 100, 99, 100 };
	P.hi = hi2;
	P.lo = lo2;
	side[0] = 0;
	cr_assert_eq(t_run(&p, &P, out, NULL), 1);
	cr_assert_eq(out[0].barrier, LABEL_B_PT);

	/* a range that does not hold the price is refused */
	struct label *l = t_new(&p);
	struct label_row bad = { .t_ns = 0, .px = 100, .hi = 99, .lo = 98 };
	cr_assert_eq(label_push(l, &bad, 1, 0), -EINVAL);
	free(l);
}

Test(label, end_of_data_last_price_or_drop)
{
	/* one label at row 0 with barriers 5 ticks away and a 10-row barrier:
	 * the data end at row 3 first */
	const double px[] = { 100, 100.5, 101, 100.7 };
	int8_t ev[4] = { 1, 0, 0, 0 };
	struct label_rec out[4];
	struct label_stats st;
	struct t_path P = { .n = 4, .px = px, .ev = ev };
	struct label_params p = t_ticks(5, 5, 10);

	p.eod = LABEL_EOD_LAST;
	cr_assert_eq(t_run(&p, &P, out, &st), 1);
	cr_assert_eq(out[0].i1, 3);
	cr_assert_eq(out[0].t1_ns, 3 * SEC);
	cr_assert_eq(out[0].barrier, LABEL_B_END);
	cr_assert_eq(out[0].label, 1); /* 100.7 > 100 */
	cr_assert_float_eq(out[0].ret, log(100.7 / 100), 1e-15);
	cr_assert_str_eq(label_barrier_name(out[0].barrier), "end");
	cr_assert_eq(st.dropped, 0);

	/* a short side: the last price is a loss */
	int8_t sd[4] = { -1, 0, 0, 0 };
	P.side = sd;
	cr_assert_eq(t_run(&p, &P, out, &st), 1);
	cr_assert_eq(out[0].label, -1);
	cr_assert_eq(out[0].meta, 0);

	/* an event on the last row: its return is 0 */
	int8_t last[4] = { 0, 0, 0, 1 };
	P.ev = last;
	P.side = NULL;
	cr_assert_eq(t_run(&p, &P, out, &st), 1);
	cr_assert_eq(out[0].i0, 3);
	cr_assert_eq(out[0].i1, 3);
	cr_assert_eq(out[0].label, 0);
	cr_assert_eq(out[0].barrier, LABEL_B_END);

	P.ev = ev;
	p.eod = LABEL_EOD_DROP;
	cr_assert_eq(t_run(&p, &P, out, &st), 0);
	cr_assert_eq(st.dropped, 1);
	cr_assert_eq(st.popped, 0);
}

Test(label, dropped_labels_leave_no_concurrency)
{
	/* A at row 0 with a 2-row barrier: [0, 2].  B at row 1 would end at
	 * row 3, past the data: pending at the end. */
	const double px[] = { 100, 100.2, 100.4 };
	int8_t ev[3] = { 1, 1, 0 };
	struct label_rec out[3];
	struct label_stats st;
	struct t_path P = { .n = 3, .px = px, .ev = ev };
	struct label_params p = t_ticks(5, 5, 2);

	p.eod = LABEL_EOD_DROP;
	cr_assert_eq(t_run(&p, &P, out, &st), 1);
	cr_assert_eq(st.dropped, 1);
	cr_assert_eq(out[0].i0, 0);
	cr_assert_eq(out[0].i1, 2);
	/* alone: concurrency 1 on every row */
	cr_assert_float_eq(out[0].uniq, 1.0, 1e-15);
	cr_assert_float_eq(out[0].attr, log(100.4 / 100), 1e-15);

	/* kept (last price): B covers rows 1, 2 -> A's uniqueness (1 + 1/2 + 1/2)/3 */
	p.eod = LABEL_EOD_LAST;
	cr_assert_eq(t_run(&p, &P, out, &st), 2);
	cr_assert_float_eq(out[0].uniq, 2.0 / 3.0, 1e-15);
	cr_assert_eq(out[1].barrier, LABEL_B_END);
	cr_assert_float_eq(out[1].uniq, 0.5, 1e-15);
}

/* ------------------------------------------------------------ volatility */

/* A fixed pseudo-random path: n prices from 1000 with returns of about
 * 1e-3. */
static void t_walk(double *px, size_t n, uint64_t seed)
{
	struct t_rng g;

	t_rng_seed(&g, seed);
	px[0] = 1000;
	for (size_t i = 1; i < n; i++)
		px[i] = px[i - 1] * exp(((double)t_rng_below(&g, 2001) - 1000.0) * 2e-6);
}

static void t_vol_case(uint32_t vol_kind, uint64_t seed)
{
	enum { N = 80, E = 30 };
	double px[N];
	int8_t ev[N] = { 0 };
	struct label_rec out[N];
	struct t_path P = { .n = N, .px = px, .ev = ev };
	struct label_params p;

	t_walk(px, N, seed);
	label_params_default(&p);
	p.vol_kind = vol_kind;
	p.vol_n = 8;
	p.vol_warmup = 5;
	p.pt = 1.5;
	p.sl = 2.5;
	p.vert_events = 40;
	ev[E] = 1;
	cr_assert_eq(t_run(&p, &P, out, NULL), 1);

	/* sigma from the returns of rows 1..E only */
	double sigma = n_sigma(&p, px, E);
	cr_assert_float_eq(out[0].sigma, sigma, 1e-12 * sigma);
	cr_assert_float_eq(out[0].w_pt, 1.5 * sigma, 1e-12 * sigma);
	cr_assert_float_eq(out[0].w_sl, 2.5 * sigma, 1e-12 * sigma);

	/* the first row beyond p0 e^(1.5 sigma) or below p0 e^(-2.5 sigma) */
	double up = px[E] * exp(1.5 * sigma), dn = px[E] * exp(-2.5 * sigma);
	size_t j = E + 1;
	while (j < E + 40 && px[j] < up && px[j] > dn)
		j++;
	cr_assert_eq(out[0].i1, j);
	cr_assert_eq(out[0].label, j == E + 40 ? 0 : px[j] >= up ? 1 : -1);

	/* label_sigma after row E equals the same number; later rows do not
	 * change the label's sigma */
	struct label *l = t_new(&p);
	for (size_t i = 0; i <= E; i++) {
		struct label_row row = { .t_ns = (int64_t)i, .px = px[i], .hi = NAN, .lo = NAN };
		cr_assert_eq(label_push(l, &row, 0, 0), 0);
	}
	uint64_t nr;
	cr_assert_float_eq(label_sigma(l, &nr), sigma, 1e-12 * sigma);
	cr_assert_eq(nr, E);
	free(l);

	for (size_t i = E + 1; i < N; i++)
		px[i] = px[E] * (1 + 0.01 * (double)(i % 3));
	cr_assert_eq(t_run(&p, &P, out, NULL), 1);
	cr_assert_float_eq(out[0].sigma, sigma, 1e-12 * sigma);
}

Test(label, volatility_barriers_ewma)
{
	for (uint64_t s = 1; s <= 20; s++)
		t_vol_case(LABEL_VOL_EWMA, s);
}

Test(label, volatility_barriers_rolling)
{
	for (uint64_t s = 1; s <= 20; s++)
		t_vol_case(LABEL_VOL_ROLLING, s);
}

Test(label, rolling_window_drops_old_returns_and_warmup_skips)
{
	/* rolling over 3 returns: a big early move leaves the window */
	const double px[] = { 100, 150, 150.1, 150.2, 150.1, 150.2, 150.3, 150.2, 200 };
	int8_t ev[9] = { 1, 0, 0, 0, 0, 1, 0, 0, 0 };
	struct label_rec out[9];
	struct label_stats st;
	struct t_path P = { .n = 9, .px = px, .ev = ev };
	struct label_params p;

	label_params_default(&p);
	p.vol_kind = LABEL_VOL_ROLLING;
	p.vol_n = 3;
	p.vol_warmup = 2;
	p.vert_events = 3;
	cr_assert_eq(t_run(&p, &P, out, &st), 1);
	cr_assert_eq(st.skipped, 1); /* row 0: no return yet */
	cr_assert_eq(st.events, 2);
	double r3 = log(150.2 / 150.1), r4 = log(150.1 / 150.2), r5 = log(150.2 / 150.1);
	double m = (r3 + r4 + r5) / 3;
	double var = ((r3 - m) * (r3 - m) + (r4 - m) * (r4 - m) + (r5 - m) * (r5 - m)) / 3;
	cr_assert_float_eq(out[0].sigma, sqrt(var), 1e-12 * sqrt(var));

	/* a flat window has sigma 0: no barrier can be set, the event is skipped */
	const double flat[] = { 100, 100, 100, 100, 100 };
	int8_t ev2[5] = { 0, 0, 0, 1, 0 };
	struct t_path F = { .n = 5, .px = flat, .ev = ev2 };
	cr_assert_eq(t_run(&p, &F, out, &st), 0);
	cr_assert_eq(st.skipped, 1);
	/* ... unless a floor is set */
	p.vol_floor = 1e-3;
	cr_assert_eq(t_run(&p, &F, out, &st), 1);
	cr_assert_eq(out[0].sigma, 1e-3);
	cr_assert_eq(out[0].barrier, LABEL_B_END);
}

/* ------------------------------------------------------------ weights */

Test(label, uniqueness_and_attribution_by_hand)
{
	/* events at rows 0, 1, 3 with a 2-row barrier and barriers far away:
	 * spans [0,2], [1,3], [3,5].  Concurrency by hand:
	 *   row  0 1 2 3 4 5
	 *   c    1 2 2 2 1 1
	 * uniqueness A (1 + 1/2 + 1/2)/3 = 2/3, B (1/2 + 1/2 + 1/2)/3 = 1/2,
	 * C (1/2 + 1 + 1)/3 = 5/6.  Attribution over (i0, i1]:
	 *   A |r1/2 + r2/2|, B |r2/2 + r3/2|, C |r4 + r5| */
	const double px[] = { 100, 101, 103, 102, 104, 106 };
	int8_t ev[6] = { 1, 1, 0, 1, 0, 0 };
	struct label_rec out[6];
	struct t_path P = { .n = 6, .px = px, .ev = ev };
	struct label_params p = t_ticks(100, 100, 2);
	double r[6];

	for (int i = 1; i < 6; i++)
		r[i] = log(px[i] / px[i - 1]);
	cr_assert_eq(t_run(&p, &P, out, NULL), 3);
	cr_assert_eq(out[0].i1, 2);
	cr_assert_eq(out[1].i1, 3);
	cr_assert_eq(out[2].i1, 5);
	cr_assert_float_eq(out[0].uniq, 2.0 / 3.0, 1e-15);
	cr_assert_float_eq(out[1].uniq, 0.5, 1e-15);
	cr_assert_float_eq(out[2].uniq, 5.0 / 6.0, 1e-15);
	double a = fabs(r[1] / 2 + r[2] / 2), b = fabs(r[2] / 2 + r[3] / 2), c = fabs(r[4] + r[5]);
	cr_assert_float_eq(out[0].attr, a, 1e-15);
	cr_assert_float_eq(out[1].attr, b, 1e-15);
	cr_assert_float_eq(out[2].attr, c, 1e-15);

	/* normalised to sum to the number of labels */
	double s = label_attr_scale(a + b + c, 3);
	cr_assert_float_eq(out[0].attr * s + out[1].attr * s + out[2].attr * s, 3.0, 1e-12);
	cr_assert_float_eq(out[2].attr * s, 3 * c / (a + b + c), 1e-12);
	cr_assert_eq(label_attr_scale(0, 3), 0);

	/* the batch form gives the same from spans alone, in any order */
	struct label_rec rec[3] = { { .i0 = 3, .i1 = 5 }, { .i0 = 0, .i1 = 2 }, { .i0 = 1, .i1 = 3 } };
	size_t sz = label_weights_scratch(6);
	void *scr = aligned_alloc(16, (sz + 15) & ~(size_t)15);
	double sum;
	cr_assert_eq(label_weights(rec, 3, px, 6, scr, sz, &sum), 0);
	cr_assert_float_eq(rec[0].uniq, 5.0 / 6.0, 1e-15);
	cr_assert_float_eq(rec[1].uniq, 2.0 / 3.0, 1e-15);
	cr_assert_float_eq(rec[2].uniq, 0.5, 1e-15);
	cr_assert_float_eq(rec[0].attr, c, 1e-15);
	cr_assert_float_eq(sum, a + b + c, 1e-15);
	rec[0].i1 = 6; /* beyond the path */
	cr_assert_eq(label_weights(rec, 3, px, 6, scr, sz, &sum), -EINVAL);
	cr_assert_eq(label_weights(rec, 3, px, 6, scr, sz - 1, &sum), -EINVAL);
	free(scr);

	struct label_stats st;
	t_run(&p, &P, out, &st);
	cr_assert_float_eq(st.sum_uniq, 2.0 / 3.0 + 0.5 + 5.0 / 6.0, 1e-14);
	cr_assert_float_eq(st.sum_attr, a + b + c, 1e-14);
}

/* ------------------------------------------------------------ meta-labels */

Test(label, meta_labels_orient_the_barriers_by_side)
{
	/* profit 1 tick, stop 3 ticks */
	struct label_params p = t_ticks(1, 3, 10);
	const double up[] = { 100, 101, 102, 99 };
	const double down[] = { 100, 99.5, 99, 98 };
	struct label_rec r;

	/* price rises one tick: long takes profit at row 1 */
	r = t_one(&p, up, 4, 1);
	cr_assert_eq(r.label, 1);
	cr_assert_eq(r.meta, 1);
	cr_assert_eq(r.i1, 1);
	cr_assert_eq(r.barrier, LABEL_B_PT);
	cr_assert_eq(r.side, 1);
	cr_assert_float_eq(r.ret, log(101.0 / 100), 1e-15);

	/* short on the same path: stop at 103 never, profit at 99 at row 3 */
	r = t_one(&p, up, 4, -1);
	cr_assert_eq(r.label, 1);
	cr_assert_eq(r.meta, 1);
	cr_assert_eq(r.i1, 3);
	cr_assert_eq(r.barrier, LABEL_B_PT);
	cr_assert_float_eq(r.ret, -log(99.0 / 100), 1e-15);

	/* short on a falling path: profit at row 2 (99) */
	r = t_one(&p, down, 4, -1);
	cr_assert_eq(r.meta, 1);
	cr_assert_eq(r.i1, 2);

	/* long on the falling path: profit 101 never, stop 97 never: end of data */
	r = t_one(&p, down, 4, 1);
	cr_assert_eq(r.meta, 0);
	cr_assert_eq(r.barrier, LABEL_B_END);
	cr_assert_eq(r.label, -1);

	/* short: the stop is above: 100 -> 103 stops the short out */
	const double spike[] = { 100, 101, 103, 90 };
	r = t_one(&p, spike, 4, -1);
	cr_assert_eq(r.label, -1);
	cr_assert_eq(r.meta, 0);
	cr_assert_eq(r.barrier, LABEL_B_SL);
	cr_assert_eq(r.i1, 2);
	cr_assert_float_eq(r.ret, -log(103.0 / 100), 1e-15);

	/* a vertical end is meta 0, or the sign of the sided return with
	 * vert_sign */
	p = t_ticks(5, 5, 2);
	const double drift[] = { 100, 99, 98.5, 90 };
	r = t_one(&p, drift, 4, -1);
	cr_assert_eq(r.barrier, LABEL_B_VERT);
	cr_assert_eq(r.meta, 0);
	p.vert_sign = 1;
	r = t_one(&p, drift, 4, -1);
	cr_assert_eq(r.label, 1);
	cr_assert_eq(r.meta, 1);
}

/* ------------------------------------------------------------ primary rule */

Test(label, primary_side_with_dead_zone)
{
	struct primary_params p;
	char err[120];

	primary_params_default(&p);
	cr_assert_eq(p.feature, FEAT_OFI_ML);
	cr_assert_eq(primary_params_check(&p, err, sizeof(err)), 0);
	p.threshold = 0.5;
	cr_assert_eq(primary_side(&p, 0.6), 1);
	cr_assert_eq(primary_side(&p, 0.5), 0);
	cr_assert_eq(primary_side(&p, 0.0), 0);
	cr_assert_eq(primary_side(&p, -0.5), 0);
	cr_assert_eq(primary_side(&p, -0.51), -1);
	cr_assert_eq(primary_side(&p, NAN), 0);
	cr_assert_eq(primary_side(&p, INFINITY), 1);
	p.invert = 1;
	cr_assert_eq(primary_side(&p, 0.6), -1);
	cr_assert_eq(primary_side(&p, -0.6), 1);
	cr_assert_eq(primary_side(&p, 0.2), 0);
	p.invert = 0;
	p.center = 10;
	cr_assert_eq(primary_side(&p, 10.4), 0);
	cr_assert_eq(primary_side(&p, 10.6), 1);
	cr_assert_eq(primary_side(&p, 9.4), -1);
	cr_assert_eq(primary_side(&p, 0.6), -1);

	/* threshold 0: only an exact center is no side */
	primary_params_default(&p);
	cr_assert_eq(primary_side(&p, 1e-12), 1);
	cr_assert_eq(primary_side(&p, 0), 0);

	/* the column comes from a feature vector by name */
	double v[FEAT_N] = { 0 };
	p.feature = (uint32_t)primary_feature_index("micro_dev");
	cr_assert_eq(p.feature, FEAT_MICRO_DEV);
	v[FEAT_MICRO_DEV] = -0.3;
	v[FEAT_OFI_ML] = 50;
	cr_assert_eq(primary_side_row(&p, v), -1);
	p.feature = (uint32_t)primary_feature_index("ofi_ml");
	cr_assert_eq(primary_side_row(&p, v), 1);
	cr_assert_eq(primary_feature_index("no_such"), -1);
	cr_assert_eq(primary_feature_index("fracdiff"), FEAT_FRACDIFF);

	p.threshold = -1;
	cr_assert_eq(primary_params_check(&p, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "threshold"));
	p.threshold = 0;
	p.feature = FEAT_N;
	cr_assert_eq(primary_params_check(&p, err, sizeof(err)), -EINVAL);
}

/* ------------------------------------------------------------ CUSUM */

Test(label, cusum_filter_by_hand)
{
	/* h = 0.01.  ln steps: +0.005, +0.006 (s+ 0.011 > h: up, reset),
	 * -0.004, -0.004, -0.003 (s- -0.011 < -h: down), +0.002 */
	const double d[] = { 0, 0.005, 0.006, -0.004, -0.004, -0.003, 0.002 };
	const int want[] = { 0, 0, 1, 0, 0, -1, 0 };
	struct label_cusum c;
	double lp = log(100);

	label_cusum_init(&c, 0.01);
	for (int i = 0; i < 7; i++) {
		lp += d[i];
		cr_assert_eq(label_cusum_update(&c, exp(lp)), want[i], "row %d", i);
	}
}

Test(label, cusum_filter_against_the_textbook_loop)
{
	enum { N = 2000 };
	double px[N];
	struct label_cusum c;
	double sp = 0, sn = 0, h = 4e-3;

	t_walk(px, N, 77);
	label_cusum_init(&c, h);
	int ups = 0, downs = 0;
	for (int i = 0; i < N; i++) {
		int want = 0;

		if (i > 0) {
			double diff = log(px[i]) - log(px[i - 1]);

			sp = sp + diff > 0 ? sp + diff : 0;
			sn = sn + diff < 0 ? sn + diff : 0;
			if (sn < -h) {
				sn = 0;
				want = -1;
			} else if (sp > h) {
				sp = 0;
				want = 1;
			}
		}
		int got = label_cusum_update(&c, px[i]);
		cr_assert_eq(got, want, "row %d", i);
		ups += got > 0;
		downs += got < 0;
	}
	cr_assert_gt(ups, 5);
	cr_assert_gt(downs, 5);
}

/* ------------------------------------------------------------ streaming */

Test(label, bad_rows_are_refused_and_not_taken)
{
	struct label_params p = t_ticks(2, 2, 5);
	struct label *l = t_new(&p);
	struct label_row r = { .t_ns = 10, .px = 100, .hi = NAN, .lo = NAN };

	cr_assert_eq(label_push(l, &r, 1, 0), 0);
	struct label_row bad[] = {
		{ .t_ns = 11, .px = 0, .hi = NAN, .lo = NAN },
		{ .t_ns = 11, .px = -1, .hi = NAN, .lo = NAN },
		{ .t_ns = 11, .px = NAN, .hi = NAN, .lo = NAN },
		{ .t_ns = 11, .px = INFINITY, .hi = NAN, .lo = NAN },
		{ .t_ns = 9, .px = 100, .hi = NAN, .lo = NAN },     /* time runs back */
		{ .t_ns = 11, .px = 100, .hi = 99, .lo = NAN },
		{ .t_ns = 11, .px = 100, .hi = NAN, .lo = 101 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(label_push(l, &bad[i], 0, 0), -EINVAL, "row %zu", i);
	r.t_ns = 10; /* equal times are fine */
	cr_assert_eq(label_push(l, &r, 1, 2), -EINVAL); /* side 2 */
	cr_assert_eq(label_stats(l)->rows, 1);
	cr_assert_eq(label_push(l, &r, 1, -1), 0);
	cr_assert_eq(label_stats(l)->rows, 2);
	label_finish(l);
	cr_assert_eq(label_push(l, &r, 0, 0), -EINVAL);
	struct label_rec out[4];
	cr_assert_eq(label_pop_burst(l, out, 4), 2);
	free(l);
}

Test(label, full_window_refuses_until_popped)
{
	struct label_params p = t_ticks(50, 50, 4);
	struct label_rec out[64];
	struct label *l;
	int rc = 0;
	uint64_t pushed = 0;

	/* label k ends at row k + 4 and is ready once every label up to row
	 * k + 4 has ended, at row k + 8: rows [k, k + 10] must fit */
	p.window = 12;
	l = t_new(&p);
	cr_assert_eq(label_capacity(&p), 16);
	for (int i = 0; i < 64 && rc == 0; i++) {
		struct label_row r = { .t_ns = i, .px = 100, .hi = NAN, .lo = NAN };
		rc = label_push(l, &r, 1, 0);
		pushed += rc == 0;
	}
	cr_assert_eq(rc, -ENOSPC);
	cr_assert_eq(label_stats(l)->rows, pushed);
	cr_assert_eq(pushed, 14); /* rows [0, 15] */
	uint32_t got = label_pop_burst(l, out, 64);
	cr_assert_gt(got, 0);
	/* popping after every push, a 4-row barrier fits in 12 rows */
	for (int i = 0; i < 200; i++) {
		struct label_row r = { .t_ns = 100 + i, .px = 100, .hi = NAN, .lo = NAN };
		cr_assert_eq(label_push(l, &r, 1, 0), 0, "row %d", i);
		got += label_pop_burst(l, out, 64);
	}
	label_finish(l);
	got += label_pop_burst(l, out, 64);
	cr_assert_eq(got, label_stats(l)->events);
	free(l);
}

/* ------------------------------------------------------------ against the naive labeler */

/* Labels per barrier, skipped and dropped over every t_compare call: the
 * randomized test checks it met every case. */
static uint64_t t_seen_barrier[6], t_seen_skipped, t_seen_dropped;

static void t_compare(const struct label_params *p, const struct t_path *P, const char *what)
{
	struct label_rec *got = calloc(P->n + 1, sizeof(*got)), *want = calloc(P->n + 1, sizeof(*want));
	struct label_stats st;
	uint64_t skipped, dropped;
	size_t ng = t_run(p, P, got, &st), nw = n_label(p, P, want, &skipped, &dropped);

	cr_assert_eq(ng, nw, "%s: %zu labels, naive %zu", what, ng, nw);
	cr_assert_eq(st.skipped, skipped, "%s", what);
	cr_assert_eq(st.dropped, dropped, "%s", what);
	cr_assert_eq(st.popped, ng);
	for (int b = 0; b < 6; b++)
		t_seen_barrier[b] += st.by_barrier[b];
	t_seen_skipped += st.skipped;
	t_seen_dropped += st.dropped;
	for (size_t k = 0; k < ng; k++) {
		const struct label_rec *g = &got[k], *w = &want[k];

		cr_assert_eq(g->i0, w->i0, "%s: label %zu i0", what, k);
		cr_assert_eq(g->i1, w->i1, "%s: label %zu (i0 %llu) i1 %llu, naive %llu", what, k,
			     (unsigned long long)g->i0, (unsigned long long)g->i1,
			     (unsigned long long)w->i1);
		cr_assert_eq(g->t0_ns, w->t0_ns);
		cr_assert_eq(g->t1_ns, w->t1_ns);
		cr_assert_eq(g->barrier, w->barrier, "%s: label %zu barrier %d, naive %d", what, k,
			     g->barrier, w->barrier);
		cr_assert_eq(g->label, w->label, "%s: label %zu", what, k);
		cr_assert_eq(g->side, w->side);
		cr_assert_eq(g->meta, w->meta);
		cr_assert_eq(g->ret, w->ret, "%s: label %zu ret", what, k);
		cr_assert_float_eq(g->sigma, w->sigma, 1e-12 * (w->sigma + 1e-300),
				   "%s: label %zu sigma %.17g naive %.17g", what, k, g->sigma, w->sigma);
		cr_assert_float_eq(g->uniq, w->uniq, 1e-12, "%s: label %zu uniq %.17g naive %.17g",
				   what, k, g->uniq, w->uniq);
		cr_assert_float_eq(g->attr, w->attr, 1e-12, "%s: label %zu attr", what, k);
	}

	/* the batch weights agree bit for bit with the streaming ones */
	if (ng) {
		size_t sz = label_weights_scratch(P->n);
		void *scr = aligned_alloc(16, (sz + 15) & ~(size_t)15);
		struct label_rec *b = malloc(ng * sizeof(*b));
		double sum;

		cr_assert(scr && b);

		memcpy(b, got, ng * sizeof(*b));
		cr_assert_eq(label_weights(b, ng, P->px, P->n, scr, sz, &sum), 0);
		for (size_t k = 0; k < ng; k++) {
			cr_assert_eq(b[k].uniq, got[k].uniq, "%s: batch uniq %zu", what, k);
			cr_assert_eq(b[k].attr, got[k].attr, "%s: batch attr %zu", what, k);
		}
		free(b);
		free(scr);
	}
	free(got);
	free(want);
}

Test(label, randomized_against_naive_labeler)
{
	struct t_rng g;
	const int runs = T_SANITIZED ? 150 : 600;

	t_rng_seed(&g, 20240611);
	for (int run = 0; run < runs; run++) {
		size_t n = 20 + (size_t)t_rng_below(&g, 300);
		int64_t *t = malloc(n * sizeof(*t));
		double *px = malloc(n * sizeof(*px)), *hi = malloc(n * sizeof(*hi)),
		       *lo = malloc(n * sizeof(*lo));
		int8_t *ev = malloc(n), *side = malloc(n);
		cr_assert(t && px && hi && lo && ev && side);
		struct label_params p;
		int ranges = t_rng_below(&g, 3) == 0, ticks_path = t_rng_below(&g, 2);
		char what[64];

		/* a path in ticks (exact levels) or a continuous one */
		t[0] = 1000 * SEC;
		px[0] = 1000;
		for (size_t i = 1; i < n; i++) {
			t[i] = t[i - 1] + (int64_t)t_rng_below(&g, 4) * SEC / 2;
			px[i] = ticks_path ? px[i - 1] + (double)t_rng_below(&g, 5) - 2
					   : px[i - 1] * exp(((double)t_rng_below(&g, 2001) - 1000) * 2e-6);
		}
		for (size_t i = 0; i < n; i++) {
			hi[i] = px[i] + (double)t_rng_below(&g, 3);
			lo[i] = px[i] - (double)t_rng_below(&g, 3);
			ev[i] = t_rng_below(&g, 3) != 0;
			side[i] = (int8_t)((int)t_rng_below(&g, 3) - 1);
		}

		label_params_default(&p);
		p.tick = 1;
		p.pt_kind = (uint32_t)t_rng_below(&g, 3);
		p.sl_kind = (uint32_t)t_rng_below(&g, 3);
		p.pt = p.pt_kind == LABEL_BAR_TICKS ? 1 + (double)t_rng_below(&g, 4) / 2
						    : 0.5 + (double)t_rng_below(&g, 8) / 2;
		p.sl = p.sl_kind == LABEL_BAR_TICKS ? 1 + (double)t_rng_below(&g, 4) / 2
						    : 0.5 + (double)t_rng_below(&g, 8) / 2;
		p.vol_kind = (uint32_t)t_rng_below(&g, 2);
		p.vol_n = 2 + (uint32_t)t_rng_below(&g, 20);
		p.vol_warmup = 1 + (uint32_t)t_rng_below(&g, 10);
		p.vol_floor = t_rng_below(&g, 4) == 0 ? 1e-4 : 0;
		p.vert_events = (uint32_t)t_rng_below(&g, 16);
		p.vert_sec = t_rng_below(&g, 2) ? (double)t_rng_below(&g, 12) * 0.5 : 0;
		if (!p.vert_events && !(p.vert_sec > 0))
			p.vert_events = 1 + (uint32_t)t_rng_below(&g, 15);
		p.vert_sign = (uint32_t)t_rng_below(&g, 2);
		p.tie = (uint32_t)t_rng_below(&g, 3);
		p.eod = (uint32_t)t_rng_below(&g, 2);
		if (t_rng_below(&g, 4) == 0 && p.vert_events)
			p.window = 2 * p.vert_events + 4; /* the exact minimum */

		struct t_path P = { .n = n, .t = t, .px = px, .hi = ranges ? hi : NULL,
				    .lo = ranges ? lo : NULL, .ev = ev, .side = side };
		snprintf(what, sizeof(what), "run %d", run);
		t_compare(&p, &P, what);
		free(t);
		free(px);
		free(hi);
		free(lo);
		free(ev);
		free(side);
	}
	for (int b = LABEL_B_PT; b <= LABEL_B_END; b++)
		cr_assert_gt(t_seen_barrier[b], 20, "barrier %s met %llu times", label_barrier_name(b),
			     (unsigned long long)t_seen_barrier[b]);
	cr_assert_gt(t_seen_skipped, 20);
	cr_assert_gt(t_seen_dropped, 20);
}

Test(label, every_row_an_event_on_a_long_path)
{
	/* dense overlap: every row labeled, 30-row barrier, 1500 rows */
	enum { N = 1500 };
	double *px = malloc(N * sizeof(*px));
	cr_assert_not_null(px);
	struct label_params p;

	t_walk(px, N, 5);
	label_params_default(&p);
	p.vol_n = 20;
	p.vol_warmup = 20;
	p.pt = 3;
	p.sl = 2;
	p.vert_events = 30;
	p.window = 64; /* 2 x 30 + 4 */
	struct t_path P = { .n = N, .px = px };
	t_compare(&p, &P, "dense");
	free(px);
}

/* ------------------------------------------------------------ allocation */

static uint64_t t_counter(const char *name)
{
	uint64_t v = 0;
	size_t sz = sizeof(v);

	cr_assert_eq(mallctl(name, &v, &sz, NULL, 0), 0);
	return v;
}

Test(label, steady_state_allocates_nothing)
{
#if T_SANITIZED
	cr_skip_test("sanitizer build: its allocator replaces jemalloc");
#endif
	if (!mallctl)
		cr_skip_test("jemalloc is not linked");
	struct label_params p;
	struct label_rec out[64];
	enum { N = 200000 };
	double *px = malloc(N * sizeof(*px));
	cr_assert_not_null(px);
	struct label *l;
	uint64_t got = 0;

	t_walk(px, N, 9);
	label_params_default(&p);
	l = t_new(&p);
	uint64_t a0 = t_counter("thread.allocated"), d0 = t_counter("thread.deallocated");
	for (size_t i = 0; i < N; i++) {
		struct label_row r = { .t_ns = (int64_t)i, .px = px[i], .hi = NAN, .lo = NAN };
		cr_assert_eq(label_push(l, &r, 1, (int)(i % 3) - 1), 0);
		got += label_pop_burst(l, out, 64);
	}
	label_finish(l);
	got += label_pop_burst(l, out, 64);
	uint64_t a1 = t_counter("thread.allocated"), d1 = t_counter("thread.deallocated");
	cr_assert_eq(a1 - a0, 0, "%llu bytes allocated", (unsigned long long)(a1 - a0));
	cr_assert_eq(d1 - d0, 0);
	cr_assert_eq(got, N - p.vol_warmup);
	free(l);
	free(px);
}
