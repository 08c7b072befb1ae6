/*
 * test_perf.c — a run's performance figures (libcore/report/perf.h)
 * against values worked out by hand.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "libcore/report/perf.h"

#define S(x) ((int64_t)(x) * 1000000000ll)
#define E9(x) ((int64_t)((x) * 1e9 + ((x) < 0 ? -0.5 : 0.5)))

Test(perf, round_trips_with_a_flip)
{
	struct perf p;
	struct perf_result r;
	perf_init(&p, 1000000000ll); /* 1 currency unit per tick per lot */
	perf_on_fill(&p, S(0), +1, 2, 100, E9(0.2));  /* long 2: trip 1 opens */
	perf_on_fill(&p, S(10), -1, 1, 105, E9(0.1)); /* long 1 */
	perf_on_fill(&p, S(20), -1, 3, 110, E9(0.3)); /* flip: trip 1 closes, short 2 */
	perf_on_fill(&p, S(50), +1, 2, 120, E9(0.2)); /* flat: trip 2 closes */
	perf_result(&p, &r);
	/* trip 1: -200.2 + 104.9 + (110 - 0.1) = 14.6 over 20 s;
	 * trip 2: (220 - 0.2) - 240.2 = -20.4 over 30 s */
	cr_expect_eq(r.trips, 2);
	cr_expect_eq(r.wins, 1);
	cr_expect_float_eq(r.hit_rate, 0.5, 1e-12);
	cr_expect_float_eq(r.profit_factor, 14.6 / 20.4, 1e-9);
	cr_expect_float_eq(r.avg_holding_s, 25.0, 1e-9);
	cr_expect_float_eq(r.turnover, 200.0 + 105 + 330 + 240, 1e-9);
	cr_expect_float_eq(r.fees, 0.8, 1e-12);
	cr_expect_eq(r.fills, 4);
}

Test(perf, no_losing_trip_no_profit_factor)
{
	struct perf p;
	struct perf_result r;
	perf_init(&p, 500000000ll); /* half a unit per tick */
	perf_on_fill(&p, S(0), -1, 1, 100, 0);
	perf_on_fill(&p, S(4), +1, 1, 90, 0); /* short wins 10 ticks = 5.0 */
	perf_on_fill(&p, S(5), +1, 1, 90, 0); /* long 1 stays open: no trip */
	perf_result(&p, &r);
	cr_expect_eq(r.trips, 1);
	cr_expect_float_eq(r.hit_rate, 1.0, 1e-12);
	cr_expect(isnan(r.profit_factor));
	cr_expect_float_eq(r.avg_holding_s, 4.0, 1e-12);
	cr_expect_float_eq(r.turnover, (100.0 + 90 + 90) * 0.5, 1e-12);
}

Test(perf, sharpe_sortino_and_drawdown_per_minute)
{
	struct perf p;
	struct perf_result r;
	perf_init(&p, 1000000000ll);
	/* one day: minute 0 closes at 5, minute 1 at 2, minute 2 at 1 */
	perf_on_equity(&p, S(0), 0);
	perf_on_equity(&p, S(30), E9(5));
	perf_on_equity(&p, S(60), E9(2));
	perf_on_equity(&p, S(130), E9(-3));
	perf_on_equity(&p, S(150), E9(1));
	perf_result(&p, &r);
	double d[3] = { 5, -3, -1 }, mean = 1.0 / 3, var = 0, down = 0;
	for (int i = 0; i < 3; i++) {
		var += (d[i] - mean) * (d[i] - mean) / 2;
		down += d[i] < 0 ? d[i] * d[i] / 3 : 0;
	}
	double scale = sqrt(252.0 * 3); /* 3 active minutes on 1 day */
	cr_expect_eq(r.minutes, 3);
	cr_expect_eq(r.days, 1);
	cr_expect_float_eq(r.sharpe, mean / sqrt(var) * scale, 1e-9);
	cr_expect_float_eq(r.sortino, mean / sqrt(down) * scale, 1e-9);
	cr_expect_float_eq(r.max_drawdown, 8.0, 1e-12, "peak 5, low -3");
	cr_expect_float_eq(r.net, 1.0, 1e-12);
}

Test(perf, too_short_a_run_has_no_ratio)
{
	struct perf p;
	struct perf_result r;
	perf_init(&p, 1000000000ll);
	perf_on_equity(&p, S(1), E9(3));
	perf_result(&p, &r);
	cr_expect(isnan(r.sharpe) && isnan(r.sortino));
	cr_expect(isnan(r.hit_rate) && isnan(r.avg_holding_s));
	cr_expect_float_eq(r.max_drawdown, 0.0, 1e-12);
}

struct trips_seen {
	int n;
	double pnl[4];
	int64_t open_ns[4], close_ns[4];
};

static void record_trip(void *ctx, double pnl, int64_t open_ns, int64_t close_ns)
{
	struct trips_seen *t = ctx;
	if (t->n < 4) {
		t->pnl[t->n] = pnl;
		t->open_ns[t->n] = open_ns;
		t->close_ns[t->n] = close_ns;
	}
	t->n++;
}

/* The same fills as round_trips_with_a_flip: the callback sees each trip
 * as it closes, with the P&L and times worked out there. */
Test(perf, each_trip_is_reported_as_it_closes)
{
	struct perf p;
	struct trips_seen t = { 0 };
	perf_init(&p, 1000000000ll);
	p.on_trip = record_trip;
	p.trip_ctx = &t;
	perf_on_fill(&p, S(0), +1, 2, 100, E9(0.2));
	perf_on_fill(&p, S(10), -1, 1, 105, E9(0.1));
	cr_expect_eq(t.n, 0, "no trip closed yet");
	perf_on_fill(&p, S(20), -1, 3, 110, E9(0.3));
	cr_expect_eq(t.n, 1, "the flip closes trip 1");
	perf_on_fill(&p, S(50), +1, 2, 120, E9(0.2));
	perf_on_fill(&p, S(60), +1, 1, 120, 0); /* opens a third, never closed */
	cr_assert_eq(t.n, 2);
	cr_expect_float_eq(t.pnl[0], 14.6, 1e-9);
	cr_expect_float_eq(t.pnl[1], -20.4, 1e-9);
	cr_expect_eq(t.open_ns[0], S(0));
	cr_expect_eq(t.close_ns[0], S(20));
	cr_expect_eq(t.open_ns[1], S(20));
	cr_expect_eq(t.close_ns[1], S(50));
}
