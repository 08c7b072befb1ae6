/*
 * The synthetic market generator (libcore/gen) against independent
 * computations: the Hawkes stationary rates solved here by a small
 * Gaussian elimination, the book invariants checked event by event, the
 * trades of every market order replayed against the book event before it,
 * and the 1-minute volatility and volume against the real WING22 bars.
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
#include "libcore/gen/gen_params.h"
#include "libcore/gen/hawkes.h"
#include "libcore/journal/journal.h"
#include "tests/helpers.h"


/* Events of the long runs: about three hours of session; the whole file
 * takes ~5 s plain and ~8 s under ASan+UBSan, so sanitizers run it all. */
#define T_LONG_EVENTS 2000000u

/* ------------------------------------------------------------ helpers */

static struct gen t_g, t_g2; /* ~3 KiB each: keep them off the stack */

static void t_cal(struct calendar *cal)
{
	struct dm_config c;

	config_defaults(&c);
	cr_assert_eq(cal_init(cal, &c.instrument), 0);
}

static dm_date_t t_date(const char *s)
{
	dm_date_t d;

	cr_assert_eq(cal_date_parse(s, strlen(s), &d), 0, "%s", s);
	return d;
}

static void t_start(struct gen *g, const struct gen_params *p, uint64_t seed,
		    const char *date)
{
	struct calendar cal;
	char err[256] = "";

	t_cal(&cal);
	cr_assert_eq(gen_init(g, p, seed, &cal, t_date(date), err, sizeof(err)), 0,
		     "gen_init: %s", err);
}

static void t_default_start(struct gen *g, uint64_t seed)
{
	struct gen_params p;

	gen_params_default(&p);
	t_start(g, &p, seed, "2022-01-03");
}

/* Lambda = (I - A/B)^-1 mu by Gaussian elimination with partial pivoting,
 * written here, independent of libcore/gen/hawkes.c. */
static void t_solve_rates(const struct hawkes_params *p, double *lam)
{
	enum { N = GEN_NTYPES };
	double m[N][N + 1];

	for (int i = 0; i < N; i++) {
		for (int j = 0; j < N; j++)
			m[i][j] = (i == j ? 1.0 : 0.0) - p->alpha[i][j] / p->beta[i];
		m[i][N] = p->mu[i];
	}
	for (int c = 0; c < N; c++) {
		int piv = c;
		for (int r = c + 1; r < N; r++)
			if (fabs(m[r][c]) > fabs(m[piv][c]))
				piv = r;
		for (int k = 0; k <= N; k++) {
			double t = m[c][k];
			m[c][k] = m[piv][k];
			m[piv][k] = t;
		}
		cr_assert(fabs(m[c][c]) > 1e-12, "singular I - G");
		for (int r = 0; r < N; r++) {
			if (r == c)
				continue;
			double f = m[r][c] / m[c][c];
			for (int k = c; k <= N; k++)
				m[r][k] -= f * m[c][k];
		}
	}
	for (int i = 0; i < N; i++)
		lam[i] = m[i][N] / m[i][i];
}

/* 1-minute bars of one session day, as docs/market-model.md defines them:
 * close = last trade price of the minute, volume = contracts traded. */
struct t_day {
	int64_t minute;
	double close, prev;
	int64_t vol, total;
	long bars, n;
	double sum, sumsq;
};

static void t_day_bar_end(struct t_day *d)
{
	if (d->minute < 0)
		return;
	if (d->bars) {
		double r = log(d->close / d->prev);
		d->sum += r;
		d->sumsq += r * r;
		d->n++;
	}
	d->prev = d->close;
	d->bars++;
	d->total += d->vol;
	d->vol = 0;
}

static void t_day_add(struct t_day *d, int64_t minute, double close, int64_t vol)
{
	if (minute != d->minute) {
		t_day_bar_end(d);
		d->minute = minute;
	}
	d->close = close;
	d->vol += vol;
}

static void t_day_result(struct t_day *d, double *ret_std, double *mean_vol)
{
	t_day_bar_end(d);
	d->minute = -1;
	double n = (double)d->n, m = d->sum / n;
	*ret_std = sqrt((d->sumsq - n * m * m) / (n - 1));
	*mean_vol = (double)d->total / (double)d->bars;
}

static int t_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Percentile q of v[0..n-1] (sorts v), linear interpolation between
 * order statistics (numpy's default). */
static double t_percentile(double *v, size_t n, double q)
{
	double k = q * (double)(n - 1);
	size_t i = (size_t)k;

	qsort(v, n, sizeof(*v), t_cmp_double);
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (k - (double)i) * (v[i + 1] - v[i]);
}

/* ------------------------------------------------------------ Hawkes */

Test(gen, branching_ratio_of_known_matrices)
{
	struct hawkes_params p = { .dim = 2, .mu = { 1, 1 }, .beta = { 1, 2 } };
	double lam[2];

	/* symmetric: eigenvalues 0.5 +- 0.25 */
	p.alpha[0][0] = 0.5; p.alpha[0][1] = 0.25;
	p.alpha[1][0] = 0.5; p.alpha[1][1] = 1.0; /* / beta 2: 0.25, 0.5 */
	cr_assert_float_eq(hawkes_branching_ratio(&p), 0.75, 1e-9);
	/* periodic (zero diagonal): rho = sqrt(0.5 * 0.8) */
	p.alpha[0][0] = 0; p.alpha[0][1] = 0.5;
	p.alpha[1][0] = 1.6; p.alpha[1][1] = 0;
	cr_assert_float_eq(hawkes_branching_ratio(&p), sqrt(0.4), 1e-9);
	/* nilpotent: rho = 0 */
	p.alpha[1][0] = 0;
	cr_assert_float_eq(hawkes_branching_ratio(&p), 0.0, 1e-12);
	/* rates: mu = (1, 1), G = [[0, .5], [0, 0]] -> Lambda = (1.5, 1) */
	cr_assert_eq(hawkes_stationary_rates(&p, lam), 0);
	cr_assert_float_eq(lam[0], 1.5, 1e-12);
	cr_assert_float_eq(lam[1], 1.0, 1e-12);
}

Test(gen, init_refuses_explosive_flow)
{
	struct calendar cal;
	struct gen_params p;
	char err[256] = "";

	t_cal(&cal);
	gen_params_default(&p);
	for (int i = 0; i < GEN_NTYPES; i++)
		for (int j = 0; j < GEN_NTYPES; j++)
			p.hawkes.alpha[i][j] *= 2.0; /* default rho 0.6 -> 1.2 */
	cr_assert_eq(gen_init(&t_g, &p, 1, &cal, t_date("2022-01-03"), err, sizeof(err)),
		     -DM_ECONFIG);
	cr_assert(strstr(err, "branching ratio"), "message: %s", err);
	cr_assert(strstr(err, "1.2"), "message: %s", err);

	gen_params_default(&p);
	p.hawkes.beta[4] = 0;
	cr_assert_eq(gen_init(&t_g, &p, 1, &cal, t_date("2022-01-03"), err, sizeof(err)),
		     -DM_ECONFIG);
	cr_assert(strstr(err, "beta[4]"), "message: %s", err);

	gen_params_default(&p);
	cr_assert(hawkes_branching_ratio(&p.hawkes) < 1);
	cr_assert_eq(gen_params_check(&p, err, sizeof(err)), 0, "%s", err);
}

Test(gen, date_without_session_is_refused)
{
	struct calendar cal;
	struct gen_params p;
	char err[256] = "";

	t_cal(&cal);
	gen_params_default(&p);
	cr_assert_eq(gen_init(&t_g, &p, 1, &cal, t_date("2022-01-01"), err, sizeof(err)),
		     -ENOENT);
	cr_assert(strstr(err, "2022-01-03"), "names the next session day: %s", err);
	cr_assert_eq(gen_init(&t_g, &p, 1, &cal, t_date("2022-03-01"), err, sizeof(err)),
		     -ENOENT, "Carnival Tuesday");
}

/* ------------------------------------------------------------ determinism */

Test(gen, same_seed_gives_identical_events)
{
	struct event a, b;
	int differ = 0;

	t_default_start(&t_g, 42);
	t_default_start(&t_g2, 42);
	for (int i = 0; i < 300000; i++) {
		gen_next(&t_g, &a);
		gen_next(&t_g2, &b);
		cr_assert(!memcmp(&a, &b, sizeof(a)), "event %d differs", i);
	}
	t_default_start(&t_g, 42);
	t_default_start(&t_g2, 43);
	for (int i = 0; i < 1000 && !differ; i++) {
		gen_next(&t_g, &a);
		gen_next(&t_g2, &b);
		differ = memcmp(&a, &b, sizeof(a)) != 0;
	}
	cr_assert(differ, "seeds 42 and 43 gave the same 1000 events");
}

Test(gen, order_flow_does_not_depend_on_book_parameters)
{
	struct gen_params p;
	struct event ev;

	gen_params_default(&p);
	p.refill_min = 5;
	p.refill_max = 10;
	p.place_decay = 0.5;
	p.latency_max_ns = 9000000;
	t_default_start(&t_g, 9);
	t_start(&t_g2, &p, 9, "2022-01-03");
	for (int i = 0; i < 50000; i++) {
		const struct gen_order *a, *b;
		do gen_next(&t_g, &ev); while (ev.kind != EV_BOOK);
		do gen_next(&t_g2, &ev); while (ev.kind != EV_BOOK);
		a = gen_last_order(&t_g);
		b = gen_last_order(&t_g2);
		cr_assert(a->type == b->type && a->t_s == b->t_s && a->exch_ns == b->exch_ns,
			  "order %d: type %u/%u t %.9f/%.9f", i, a->type, b->type, a->t_s, b->t_s);
	}
}

Test(gen, journal_holds_the_same_events)
{
	char path[] = "/tmp/dmtest-gen-XXXXXX";
	struct journal_writer w;
	struct journal_reader r;
	struct journal_opts o = { .symbol = "WIN", .tick_size = "5",
				  .flags = JOURNAL_W_TRUNC };
	struct event a, b;
	int fd = mkstemp(path), rc;
	uint64_t n = 0;

	cr_assert(fd >= 0);
	close(fd);
	t_default_start(&t_g, 5);
	rc = journal_open_write(&w, path, &o);
	cr_assert_eq(rc, 0, "journal_open_write: %s", dm_strerror(rc));
	for (int i = 0; i < 50000; i++) {
		gen_next(&t_g, &a);
		cr_assert_eq(journal_append_event(&w, &a), 0);
	}
	cr_assert_eq(journal_close(&w), 0);
	cr_assert_eq(journal_open_read(&r, path, JOURNAL_VERIFY), 0);
	t_default_start(&t_g, 5);
	while ((rc = journal_next_event(&r, &b)) == 1) {
		gen_next(&t_g, &a);
		/* book levels past the levels in use decode as zero, as generated */
		cr_assert(!memcmp(&a, &b, sizeof(a)), "event %lu differs after the journal",
			  (unsigned long)n);
		n++;
	}
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 50000);
	journal_reader_close(&r);
	unlink(path);
}

/* ------------------------------------------------------------ invariants */

Test(gen, book_invariants_hold_along_a_run)
{
	struct calendar cal;
	struct gen_params p;
	struct event ev;
	int64_t last_exch = 0, last_recv = 0;
	uint64_t last_trade_id = 0, books = 0, spread1 = 0;
	int64_t min_top = INT64_MAX, max_top = 0;

	t_cal(&cal);
	gen_params_default(&p);
	t_start(&t_g, &p, 11, "2022-01-03");
	for (uint32_t i = 0; i < T_LONG_EVENTS; i++) {
		gen_next(&t_g, &ev);
		cr_assert(ev.exch_ns >= last_exch, "event %u: exch_ns went back", i);
		cr_assert(ev.recv_ns >= last_recv, "event %u: recv_ns went back", i);
		cr_assert(ev.recv_ns - ev.exch_ns >= p.latency_min_ns &&
			  ev.recv_ns - ev.exch_ns <= p.latency_max_ns,
			  "event %u: latency %ld ns", i, (long)(ev.recv_ns - ev.exch_ns));
		cr_assert(cal_in_session(&cal, ev.exch_ns), "event %u outside the session", i);
		last_exch = ev.exch_ns;
		last_recv = ev.recv_ns;
		if (ev.kind == EV_TRADE) {
			cr_assert(ev.trade.qty > 0);
			cr_assert(ev.trade.aggressor == 1 || ev.trade.aggressor == -1);
			cr_assert_eq(ev.trade.trade_id, last_trade_id + 1);
			last_trade_id = ev.trade.trade_id;
			continue;
		}
		cr_assert_eq(ev.kind, EV_BOOK);
		const struct ev_book *b = &ev.book;
		cr_assert(b->n_bid >= 1 && b->n_bid <= p.levels, "event %u: %u bids", i, b->n_bid);
		cr_assert(b->n_ask >= 1 && b->n_ask <= p.levels, "event %u: %u asks", i, b->n_ask);
		cr_assert(b->ask[0].px - b->bid[0].px >= 1, "event %u: crossed or locked %ld/%ld",
			  i, (long)b->bid[0].px, (long)b->ask[0].px);
		for (uint32_t k = 0; k < b->n_bid; k++) {
			cr_assert(b->bid[k].qty > 0, "event %u bid %u qty %ld", i, k, (long)b->bid[k].qty);
			cr_assert(b->bid[k].px > 0);
			if (k)
				cr_assert(b->bid[k].px < b->bid[k - 1].px, "event %u: bids not descending", i);
		}
		for (uint32_t k = 0; k < b->n_ask; k++) {
			cr_assert(b->ask[k].qty > 0, "event %u ask %u qty %ld", i, k, (long)b->ask[k].qty);
			if (k)
				cr_assert(b->ask[k].px > b->ask[k - 1].px, "event %u: asks not ascending", i);
		}
		for (uint32_t k = b->n_bid; k < EV_MAX_LEVELS; k++)
			cr_assert(b->bid[k].px == 0 && b->bid[k].qty == 0);
		for (uint32_t k = b->n_ask; k < EV_MAX_LEVELS; k++)
			cr_assert(b->ask[k].px == 0 && b->ask[k].qty == 0);
		/* the model's own best is the published one: no empty best level */
		cr_assert(gen_best_bid(&t_g) == b->bid[0].px && gen_best_ask(&t_g) == b->ask[0].px,
			  "event %u: model best %ld/%ld, book %ld/%ld", i, (long)gen_best_bid(&t_g),
			  (long)gen_best_ask(&t_g), (long)b->bid[0].px, (long)b->ask[0].px);
		books++;
		spread1 += b->ask[0].px - b->bid[0].px == 1;
		int64_t top = b->bid[0].qty < b->ask[0].qty ? b->bid[0].qty : b->ask[0].qty;
		if (top < min_top) min_top = top;
		if (top > max_top) max_top = top;
		/* the 130,000-point market stays in its neighbourhood */
		cr_assert(labs((long)(b->ask[0].px - p.start_px)) < 5000,
			  "event %u: price %ld drifted far", i, (long)b->ask[0].px);
	}
	cr_assert_eq(books + last_trade_id, T_LONG_EVENTS);
	/* "spread mostly one tick" */
	cr_assert(spread1 > books * 85 / 100, "spread 1 tick in %lu of %lu books",
		  (unsigned long)spread1, (unsigned long)books);
	cr_assert(max_top >= 100, "top of book never reached 100 contracts (max %ld)",
		  (long)max_top);
}

/* Every market order's trades walk the book event before it, level by
 * level, and its book event shows exactly what they left. */
Test(gen, trades_equal_what_market_orders_took)
{
	struct gen_params p;
	struct event ev, prev;
	struct ev_trade tr[GEN_DEPTH];
	uint64_t sum_trades = 0, sum_done = 0, markets = 0, walks = 0;
	uint32_t nt = 0;

	gen_params_default(&p);
	t_start(&t_g, &p, 21, "2022-01-03");
	memset(&prev, 0, sizeof(prev));
	for (uint32_t i = 0; i < T_LONG_EVENTS; i++) {
		gen_next(&t_g, &ev);
		if (ev.kind == EV_TRADE) {
			cr_assert(nt < GEN_DEPTH);
			tr[nt++] = ev.trade;
			sum_trades += (uint64_t)ev.trade.qty;
			continue;
		}
		const struct gen_order *o = gen_last_order(&t_g);
		int is_mkt = o->type == GEN_MARKET_BUY || o->type == GEN_MARKET_SELL;
		cr_assert_eq(is_mkt, nt > 0, "event %u: type %s with %u trades", i,
			     gen_type_name(o->type), nt);
		if (is_mkt && prev.kind == EV_BOOK) {
			int buy = o->type == GEN_MARKET_BUY;
			const struct book_level *was = buy ? prev.book.ask : prev.book.bid;
			const struct book_level *now = buy ? ev.book.ask : ev.book.bid;
			uint32_t n_was = buy ? prev.book.n_ask : prev.book.n_bid;
			uint32_t n_now = buy ? ev.book.n_ask : ev.book.n_bid;
			int64_t qty = 0;

			markets++;
			walks += nt > 1;
			cr_assert(nt <= n_was);
			for (uint32_t k = 0; k < nt; k++) {
				cr_assert_eq(tr[k].aggressor, buy ? 1 : -1);
				cr_assert_eq(tr[k].px, was[k].px, "trade %u not at level %u", k, k);
				if (k + 1 < nt)
					cr_assert_eq(tr[k].qty, was[k].qty, "level %u not taken whole", k);
				else
					cr_assert(tr[k].qty <= was[k].qty);
				qty += tr[k].qty;
			}
			cr_assert_eq(qty, o->done);
			cr_assert(o->done <= o->qty);
			if (o->done < o->qty) /* only when max_walk levels ran out */
				cr_assert_eq(nt, p.max_walk);
			/* what is left: the partly taken level, then the untouched ones */
			uint32_t k = nt - 1, j = 0;
			if (tr[k].qty < was[k].qty) {
				cr_assert(now[0].px == was[k].px && now[0].qty == was[k].qty - tr[k].qty,
					  "event %u: remainder of the last level", i);
				j = 1;
			}
			for (k = nt; k < n_was && j < n_now; k++, j++)
				cr_assert(now[j].px == was[k].px && now[j].qty == was[k].qty,
					  "event %u: untouched level %u changed", i, k);
			/* and the other side did not move */
			cr_assert(!memcmp(buy ? ev.book.bid : ev.book.ask,
					  buy ? prev.book.bid : prev.book.ask,
					  sizeof(ev.book.bid)));
		}
		if (is_mkt)
			sum_done += (uint64_t)o->done;
		nt = 0;
		prev = ev;
	}
	cr_assert(markets > 1000);
	cr_assert(walks > 10, "no market order walked more than one level");
	cr_assert_eq(sum_trades, gen_stats(&t_g)->traded_qty);
	cr_assert(sum_trades >= sum_done && sum_trades - sum_done <= 10000,
		  "trades %lu vs market orders %lu", (unsigned long)sum_trades,
		  (unsigned long)sum_done); /* a cut-off order at the end at most */
}

/* ------------------------------------------------------------ statistics */

Test(gen, type_counts_match_hawkes_stationary_rates)
{
	struct gen_params p;
	struct event ev;
	double lam[GEN_NTYPES], lam_lib[GEN_NTYPES], t_end = 0;
	uint64_t count[GEN_NTYPES] = { 0 };
	/* one full session day of flow, s */
	const double horizon = 33900;

	gen_params_default(&p);
	t_solve_rates(&p.hawkes, lam);
	cr_assert_eq(hawkes_stationary_rates(&p.hawkes, lam_lib), 0);
	for (int i = 0; i < GEN_NTYPES; i++)
		cr_assert_float_eq(lam_lib[i], lam[i], 1e-9 * lam[i]);

	t_start(&t_g, &p, 31, "2022-01-03");
	for (;;) {
		gen_next(&t_g, &ev);
		if (ev.kind != EV_BOOK)
			continue;
		const struct gen_order *o = gen_last_order(&t_g);
		if (o->t_s > horizon)
			break;
		count[o->type]++;
		t_end = o->t_s;
	}
	double worst = 0;
	for (int i = 0; i < GEN_NTYPES; i++)
		worst = fmax(worst, fabs((double)count[i] / t_end / lam[i] - 1));
	cr_log_info("order-type rates over %.0f s: worst %.2f%% off the stationary rates",
		    t_end, 100 * worst);
	for (int i = 0; i < GEN_NTYPES; i++) {
		double rate = (double)count[i] / t_end;
		cr_assert(fabs(rate / lam[i] - 1) < 0.03,
			  "%s: %.3f/s measured, %.3f/s stationary (%.2f%% off)",
			  gen_type_name((uint32_t)i), rate, lam[i], 100 * (rate / lam[i] - 1));
	}
}

/*
 * The generator's 1-minute return volatility and mean 1-minute volume over
 * one session day fall within the 5th..95th percentile of the real WING22
 * days (bars before the 18:25 close; days whose volume is at least half
 * the median day and that have 500+ bars, which is all 42 of them).
 */
Test(gen, calibration_within_real_wing22_range, .timeout = 120)
{
	static double real_std[128], real_vol[128], day_total[128];
	static long day_bars[128];
	struct t_day day = { .minute = -1 };
	struct calendar cal;
	struct event ev;
	char line[256], cur[11] = "";
	double sd, mv, keep_std[128], keep_vol[128], med;
	size_t n_days = 0, n_keep = 0;
	int64_t open_ns, close_ns;
	FILE *f;

	f = t_open_wing22();
	while (fgets(line, sizeof(line), f)) {
		double o, h, l, c;
		long long v;
		int hh, mm, ss;

		cr_assert_eq(sscanf(line + 11, "%2d:%2d:%2d;%lf;%lf;%lf;%lf;%lld",
				    &hh, &mm, &ss, &o, &h, &l, &c, &v), 8, "line: %s", line);
		if (hh * 60 + mm >= 18 * 60 + 25) /* the closing call's prints */
			continue;
		if (strncmp(line, cur, 10)) {
			if (cur[0]) {
				t_day_result(&day, &real_std[n_days], &mv);
				day_total[n_days] = (double)day.total;
				day_bars[n_days] = day.bars;
				real_vol[n_days++] = mv;
				memset(&day, 0, sizeof(day));
				day.minute = -1;
			}
			memcpy(cur, line, 10);
			cr_assert(n_days < 127);
		}
		t_day_add(&day, hh * 60 + mm, c, v);
	}
	t_day_result(&day, &real_std[n_days], &mv);
	day_total[n_days] = (double)day.total;
	day_bars[n_days] = day.bars;
	real_vol[n_days++] = mv;
	cr_assert_eq(pclose(f), 0, "gzip failed");
	cr_assert_eq(n_days, 42);

	double totals[128];
	memcpy(totals, day_total, sizeof(totals));
	med = t_percentile(totals, n_days, 0.5);
	for (size_t i = 0; i < n_days; i++)
		if (day_total[i] >= 0.5 * med && day_bars[i] >= 500) {
			keep_std[n_keep] = real_std[i];
			keep_vol[n_keep++] = real_vol[i];
		}
	cr_assert_eq(n_keep, 42, "every WING22 day has substantial volume");
	double std_lo = t_percentile(keep_std, n_keep, 0.05);
	double std_hi = t_percentile(keep_std, n_keep, 0.95);
	double vol_lo = t_percentile(keep_vol, n_keep, 0.05);
	double vol_hi = t_percentile(keep_vol, n_keep, 0.95);
	/* docs/market-model.md quotes these */
	cr_assert(fabs(std_lo - 0.000314) < 5e-6 && fabs(std_hi - 0.000591) < 5e-6,
		  "real return vol range %.6f..%.6f", std_lo, std_hi);
	cr_assert(fabs(vol_lo - 23945) < 50 && fabs(vol_hi - 43724) < 50,
		  "real volume range %.0f..%.0f", vol_lo, vol_hi);

	/* one synthetic session day */
	t_cal(&cal);
	cr_assert_eq(cal_session_bounds(&cal, t_date("2022-01-03"), &open_ns, &close_ns), 0);
	t_default_start(&t_g, 1);
	memset(&day, 0, sizeof(day));
	day.minute = -1;
	for (;;) {
		gen_next(&t_g, &ev);
		if (ev.exch_ns >= close_ns)
			break;
		if (ev.kind == EV_TRADE)
			t_day_add(&day, ev.exch_ns / 60000000000LL, (double)ev.trade.px, ev.trade.qty);
	}
	cr_assert(day.bars >= 560, "%ld bars in the synthetic day", day.bars);
	t_day_result(&day, &sd, &mv);
	cr_log_info("real: 1-min return std %.6f..%.6f, mean 1-min volume %.0f..%.0f; "
		    "synthetic: %.6f, %.0f", std_lo, std_hi, vol_lo, vol_hi, sd, mv);
	cr_assert(sd >= std_lo && sd <= std_hi,
		  "synthetic 1-min return std %.6f outside the real %.6f..%.6f", sd, std_lo, std_hi);
	cr_assert(mv >= vol_lo && mv <= vol_hi,
		  "synthetic mean 1-min volume %.0f outside the real %.0f..%.0f", mv, vol_lo, vol_hi);
}

/* ------------------------------------------------------------ sessions */

Test(gen, runs_on_into_the_next_session_days)
{
	struct calendar cal;
	struct gen_params p;
	struct event ev;
	dm_date_t day, expect;
	int64_t open_ns, close_ns;
	int days = 1;

	t_cal(&cal);
	gen_params_default(&p);
	for (int i = 0; i < GEN_NTYPES; i++) /* a thin market: ~20k orders a day */
		p.hawkes.mu[i] /= 200;
	/* Friday before Carnival: next sessions Wed 03-02 (Ash Wednesday, opens
	 * 13:00), Thu 03-03 */
	t_start(&t_g, &p, 3, "2022-02-25");
	day = t_date("2022-02-25");
	cr_assert_eq(cal_session_bounds(&cal, day, &open_ns, &close_ns), 0);
	for (int i = 0; i < 150000; i++) {
		gen_next(&t_g, &ev);
		if (ev.exch_ns >= close_ns) {
			expect = cal_next_session_day(&cal, day);
			cr_assert_eq(cal_local_date(&cal, ev.exch_ns), expect, "after day %d", days);
			day = expect;
			cr_assert_eq(cal_session_bounds(&cal, day, &open_ns, &close_ns), 0);
			days++;
		}
		cr_assert(ev.exch_ns >= open_ns && ev.exch_ns < close_ns);
	}
	cr_assert(days >= 3, "only %d session days", days);
	cr_assert_eq(gen_stats(&t_g)->sessions, (uint64_t)days);
}

/* ------------------------------------------------------------ params file */

Test(gen, truth_json_reads_back_as_params)
{
	char path[] = "/tmp/dmtest-gen-XXXXXX";
	struct gen_params p, q;
	char err[256] = "";
	int fd = mkstemp(path);
	FILE *f;

	cr_assert(fd >= 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	gen_params_default(&p);
	p.hawkes.mu[0] = 1.0 / 3; /* not a short decimal */
	p.levels = 7;
	fprintf(f, "{\"seed\": 5, \"params\": ");
	cr_assert_eq(gen_params_write_json(f, &p, 0), 0);
	fprintf(f, ", \"derived\": {\"branching_ratio\": 0.6}}\n");
	fclose(f);
	memset(&q, 0, sizeof(q));
	q.hawkes.dim = GEN_NTYPES;
	cr_assert_eq(gen_params_load(&q, path, err, sizeof(err)), 0, "%s", err);
	cr_assert(!memcmp(&p, &q, sizeof(p)), "params changed through JSON");

	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "cancel_share: 0.1\nlimit_size: {qty: [1, 5], prob: [0.5, 0.5]}\n"
		   "nonsense: 3\n");
	fclose(f);
	cr_assert_eq(gen_params_load(&q, path, err, sizeof(err)), -DM_ECONFIG);
	cr_assert(strstr(err, ":3:") && strstr(err, "nonsense"), "message: %s", err);
	cr_assert(!memcmp(&p, &q, sizeof(p)), "a refused file changed the params");

	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "mu_per_s: [1, 2, 3]\n");
	fclose(f);
	cr_assert_eq(gen_params_load(&q, path, err, sizeof(err)), -DM_ECONFIG);
	cr_assert(strstr(err, "mu_per_s") && strstr(err, "expected 6"), "message: %s", err);
	unlink(path);
}
