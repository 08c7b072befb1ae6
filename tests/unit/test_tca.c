/*
 * test_tca.c — transaction cost analysis (libcore/report/tca.h) against
 * values worked out by hand on a mid path built by hand, and against a
 * naive recomputation over a random path.
 *
 * The hand-worked cases use WIN's units: a tick is 5 points and worth
 * R$ 1.00 a lot, prices are whole points, so a mid of bid + ask = x2 ticks
 * is x2 x 5 / 2 points.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/report/tca.h"
#include "tests/helpers.h"

#define S(x) ((int64_t)((x) * 1e9 + 0.5)) /* seconds -> ns */

static struct instrument t_win(void)
{
	struct cfg_instrument c = { .symbol = "WIN", .currency = "BRL",
				    .tick_size_e6 = 5000000, .point_value_e6 = 200000,
				    .lot_size_e6 = 1000000 };
	struct instrument in;
	cr_assert_eq(instr_init(&in, &c), 0);
	return in;
}

/* AAPL's units: a tick of 0.01 dollar, prices with two decimals */
static struct instrument t_aapl(void)
{
	struct cfg_instrument c = { .symbol = "AAPL", .currency = "USD", .tick_size_e6 = 10000,
				    .point_value_e6 = 1000000, .lot_size_e6 = 1000000,
				    .price_decimals = 2 };
	struct instrument in;
	cr_assert_eq(instr_init(&in, &c), 0);
	return in;
}

/* A tca over heap memory writing to a memory stream. */
struct t_tca {
	struct tca c;
	void *mem;
	FILE *f;
	char *buf;
	size_t len;
};

static void t_open(struct t_tca *t, const struct instrument *in, const struct tca_params *p)
{
	memset(t, 0, sizeof(*t));
	size_t n = tca_memsize(p);
	cr_assert_gt(n, 0);
	t->mem = malloc(n);
	t->f = open_memstream(&t->buf, &t->len);
	cr_assert(t->mem && t->f);
	cr_assert_eq(tca_init(&t->c, t->mem, n, in, p, t->f), 0);
}

static void t_close(struct t_tca *t)
{
	fclose(t->f);
	free(t->buf);
	free(t->mem);
}

/* The rows written so far (after the header), counted. */
static int t_rows(struct t_tca *t)
{
	fflush(t->f);
	int n = 0;
	for (size_t i = 0; i < t->len; i++)
		n += t->buf[i] == '\n';
	return n - 1;
}

/* Row r (0 = the first after the header) into out. */
static void t_row(struct t_tca *t, int r, char *out, size_t n)
{
	fflush(t->f);
	const char *p = t->buf;
	for (int i = 0; i <= r; i++) {
		p = strchr(p, '\n');
		cr_assert_not_null(p, "no row %d", r);
		p++;
	}
	size_t len = strcspn(p, "\n");
	cr_assert_lt(len, n);
	memcpy(out, p, len);
	out[len] = '\0';
}

static struct tca_fill t_fill(uint64_t id, uint64_t coid, uint64_t dec, int side, int32_t qty,
			      int64_t px, int64_t t, int64_t sent, int64_t ack, int taker)
{
	struct tca_fill f = { .fill_id = id, .client_order_id = coid, .decision_id = dec,
			      .t_ns = t, .px = px, .sent_ns = sent, .ack_ns = ack, .qty = qty,
			      .side = (int8_t)side, .taker = (uint8_t)taker };
	return f;
}

/* ------------------------------------------------------------ by hand */

Test(tca, header_is_pinned)
{
	cr_assert_str_eq(tca_header,
		"fill_id,t_ns,client_order_id,decision_id,side,qty,price,liquidity,arrival_mid,"
		"mid_at_fill,effective_spread,realized_spread_1s,realized_spread_5s,"
		"realized_spread_30s,impact_1s,impact_5s,impact_30s,shortfall,"
		"lat_decision_to_send_ns,lat_send_to_ack_ns,lat_ack_to_fill_ns");
}

/*
 * The mid path (bid/ask ticks -> x2):
 *   1.0 s 100/102 202    2.0 s 101/103 204    2.5 s 102/104 206
 *   3.6 s 104/106 210    3.7 s 103/105 208    7.6 s 100/102 202
 *   40 s   90/92  182    41.5 s 91/93 184 (the last event)
 * Decision 1 at 2.0 s (before the event of 2.0 s comes); fill 11: buy 2 at
 * 104 ticks (520 points) at 2.6 s, sent 2.0002 s, acknowledged 2.0005 s.
 * Decision 2 at 38 s (no event then); fill 12: sell 1 at 90 ticks at 40.5 s,
 * a maker, its send time unknown, acknowledged at 40.5 s.
 */
Test(tca, every_column_of_two_fills_worked_by_hand)
{
	struct instrument in = t_win();
	struct tca_params p;
	tca_params_default(&p);
	struct t_tca t;
	t_open(&t, &in, &p);
	struct tca *c = &t.c;

	tca_on_market(c, S(1.0), 202);
	tca_on_decision(c, 1, S(2.0));
	tca_on_market(c, S(2.0), 204);
	tca_on_market(c, S(2.5), 206);
	struct tca_fill f = t_fill(11, 7, 1, +1, 2, 104, S(2.6), S(2.0002), S(2.0005), 1);
	tca_on_fill(c, &f);
	tca_on_market(c, S(3.6), 210);
	tca_on_market(c, S(3.7), 208);
	tca_on_market(c, S(7.6), 202);
	cr_assert_eq(t_rows(&t), 0, "the row waits for t + 30 s");
	tca_on_decision(c, 2, S(38.0));
	tca_on_market(c, S(40.0), 182);
	cr_assert_eq(t_rows(&t), 1, "written once the market passed 32.6 s");
	f = t_fill(12, 8, 2, -1, 1, 90, S(40.5), TCA_NONE, S(40.5), 0);
	tca_on_fill(c, &f);
	tca_on_order_end(c, 2);
	tca_on_market(c, S(41.5), 184);
	cr_assert_eq(tca_finish(c), 0);
	cr_assert_eq(t_rows(&t), 2);

	char row[1024];
	/*
	 * fill 11, d = +1, 2p = 208 ticks:
	 *   arrival m(2.0) = 204/2 ticks = 510 points; at the fill m(2.6) =
	 *   206 -> 515; effective 208 - 206 = 2 ticks = 10 points;
	 *   1 s: m(3.6) = 210 (the event at exactly 3.6 s counts): realized
	 *   208 - 210 = -2 ticks = -10, impact 210 - 206 = 4 ticks = 20;
	 *   5 s: m(7.6) = 202: realized 6 ticks = 30, impact -4 ticks = -20;
	 *   30 s: m(32.6) = 202 still (the next event is at 40 s): 30, -20;
	 *   shortfall (104 - 102) ticks x 2 lots x R$ 1 = 4.00;
	 *   legs 200 us, 300 us, 2.6 - 2.0005 s
	 */
	t_row(&t, 0, row, sizeof(row));
	cr_expect_str_eq(row, "11,2600000000,7,1,buy,2,520,taker,510,515,10,-10,30,30,20,-20,-20,"
			      "4.00,200000,300000,599500000");
	/*
	 * fill 12, d = -1, 2p = 180: arrival m(38) = 202 (the 7.6 s event;
	 * resolved when the 40 s event came) = 505 points; at the fill m(40.5)
	 * = 182 -> 455; effective -(180 - 182) = 2 ticks = 10; 1 s: m(41.5) =
	 * 184 (the last event, at exactly t + 1 s): realized -(180 - 184) = 4
	 * ticks = 20, impact -(184 - 182) = -2 ticks = -10; 5 s and 30 s are
	 * past the end: empty; shortfall -(90 - 101) ticks x 1 = 11.00; the
	 * send time unknown: the first two legs empty, ack to fill 0
	 */
	t_row(&t, 1, row, sizeof(row));
	cr_expect_str_eq(row, "12,40500000000,8,2,sell,1,450,maker,505,455,10,20,,,-10,,,11.00,,,0");

	/* the aggregate: means over the rows that have each value */
	struct tca_result r;
	tca_result(c, &r);
	cr_expect_eq(r.count, 2);
	cr_expect_float_eq(r.effective_spread, 10.0, 1e-12);
	cr_expect_float_eq(r.realized_spread[0], (-10.0 + 20.0) / 2, 1e-12);
	cr_expect_float_eq(r.impact[0], (20.0 - 10.0) / 2, 1e-12);
	cr_expect_float_eq(r.realized_spread[1], 30.0, 1e-12);
	cr_expect_float_eq(r.impact[1], -20.0, 1e-12);
	cr_expect_float_eq(r.realized_spread[2], 30.0, 1e-12);
	cr_expect_float_eq(r.impact[2], -20.0, 1e-12);
	cr_expect_eq(r.shortfall_e9, 15000000000ll);
	cr_expect_eq(c->n.with_horizon[1], 1);
	cr_expect_eq(c->n.with_arrival, 2);
	cr_expect_eq(c->n.cut_short + c->n.history_short + c->n.no_decision, 0);

	json_t *j = tca_summary_json(c);
	cr_expect_eq(json_integer_value(json_object_get(j, "count")), 2);
	cr_expect_float_eq(json_real_value(json_object_get(j, "impact_30s")), -20.0, 1e-12);
	cr_expect_eq(json_integer_value(json_object_get(j, "shortfall_e9")), 15000000000ll);
	cr_expect_eq(json_integer_value(json_object_get(j, "with_5s")), 1);
	json_decref(j);
	t_close(&t);
}

Test(tca, no_horizon_in_the_market_leaves_empty_cells_and_null_means)
{
	struct instrument in = t_win();
	struct tca_params p;
	tca_params_default(&p);
	struct t_tca t;
	t_open(&t, &in, &p);
	/* a fill before any two-sided book: no mid at all; then one a moment
	 * before the end */
	struct tca_fill f = t_fill(1, 1, 0, +1, 1, 101, S(0.5), TCA_NONE, TCA_NONE, 1);
	tca_on_fill(&t.c, &f);
	tca_on_market(&t.c, S(1.0), 200);
	f = t_fill(2, 2, 0, -1, 1, 100, S(1.2), S(1.1), S(1.15), 1);
	tca_on_fill(&t.c, &f);
	tca_on_market(&t.c, S(1.7), 202);
	cr_assert_eq(tca_finish(&t.c), 0);
	char row[1024];
	t_row(&t, 0, row, sizeof(row));
	/* fill 1: no mid at 0.5 s, so no effective spread nor impact; its
	 * 1 s horizon m(1.5) = 200: realized 202 - 200 = 2 ticks = 10 */
	cr_expect_str_eq(row, "1,500000000,1,,buy,1,505,taker,,,,10,,,,,,,,,");
	/* m(1.2) = 200: effective -(200 - 200) = 0; the horizons pass the
	 * last event (1.7 s); no decision: no arrival, no shortfall */
	t_row(&t, 1, row, sizeof(row));
	cr_expect_str_eq(row, "2,1200000000,2,,sell,1,500,taker,,500,0,,,,,,,,,50000000,50000000");
	struct tca_result r;
	tca_result(&t.c, &r);
	cr_expect_eq(r.count, 2);
	cr_expect(isnan(r.impact[0]) && isnan(r.realized_spread[2]));
	cr_expect_float_eq(r.realized_spread[0], 10.0, 1e-12);
	cr_expect_eq(t.c.n.with_horizon[0], 1);
	cr_expect_eq(t.c.n.with_impact[0], 0);
	json_t *j = tca_summary_json(&t.c);
	cr_expect(json_is_null(json_object_get(j, "impact_1s")));
	json_decref(j);
	t_close(&t);
}

Test(tca, a_fill_handed_over_late_takes_the_mid_of_its_own_time)
{
	/* the in-process host hands a fill over once its report is delivered,
	 * after market events later than the fill: the mid is its time's */
	struct instrument in = t_win();
	struct tca_params p;
	tca_params_default(&p);
	struct t_tca t;
	t_open(&t, &in, &p);
	tca_on_decision(&t.c, 5, S(1.0));
	tca_on_market(&t.c, S(1.0), 200);
	tca_on_market(&t.c, S(1.0), 204); /* two events at 1.0 s: the last one's mid */
	tca_on_market(&t.c, S(1.001), 206);
	tca_on_market(&t.c, S(1.002), 210);
	struct tca_fill f = t_fill(9, 3, 5, +1, 1, 104, S(1.0015), S(1.0002), S(1.0015), 1);
	tca_on_fill(&t.c, &f);
	cr_assert_eq(tca_finish(&t.c), 0);
	char row[1024];
	t_row(&t, 0, row, sizeof(row));
	/* arrival m(1.0) = 204 -> 510; at the fill m(1.0015) = 206 -> 515;
	 * effective 208 - 206 = 2 ticks; shortfall (208 - 204) / 2 = 2.00 */
	cr_expect_str_eq(row, "9,1001500000,3,5,buy,1,520,taker,510,515,10,,,,,,,2.00,200000,"
			      "1300000,0");
	t_close(&t);
}

Test(tca, half_ticks_and_decimals_of_a_stock)
{
	struct instrument in = t_aapl();
	struct tca_params p;
	tca_params_default(&p);
	struct t_tca t;
	t_open(&t, &in, &p);
	tca_on_decision(&t.c, 3, S(0.5));
	tca_on_market(&t.c, S(0.5), 58563 + 58564);   /* mid 585.635 */
	tca_on_market(&t.c, S(0.9), 58564 + 58566);   /* mid 585.65 */
	struct tca_fill f = t_fill(4, 4, 3, +1, 100, 58564, S(1.0), S(0.6), S(0.7), 1);
	tca_on_fill(&t.c, &f);
	tca_on_market(&t.c, S(2.0), 58560 + 58561);   /* at t + 1 s: 585.605 */
	tca_on_market(&t.c, S(40), 58570 + 58572);
	cr_assert_eq(tca_finish(&t.c), 0);
	char row[1024];
	t_row(&t, 0, row, sizeof(row));
	/* d = +1, 2p = 117128: effective 117128 - 117130 = -2 ticks = -0.02
	 * (better than the mid); 1 s: realized 117128 - 117121 = 7 ticks =
	 * 0.07, impact 117121 - 117130 = -9 = -0.09; 5 s m(6.0) = 117121 too;
	 * 30 s m(31) = 117121; shortfall (117128 - 117127) / 2 ticks x 100 lots
	 * x 0.01 = 0.50 */
	cr_expect_str_eq(row, "4,1000000000,4,3,buy,100,585.64,taker,585.635,585.65,-0.02,0.07,"
			      "0.07,0.07,-0.09,-0.09,-0.09,0.50,100000000,100000000,300000000");
	t_close(&t);
}

Test(tca, every_event_stamped_at_the_horizon_counts)
{
	/* two events at exactly t + 1 s: the horizon's mid is the last one's,
	 * known only once an event stamped later comes (the first of them
	 * resolves the earlier fill's horizon, not this one's) */
	struct instrument in = t_win();
	struct tca_params p;
	tca_params_default(&p);
	struct t_tca t;
	t_open(&t, &in, &p);
	tca_on_market(&t.c, S(0.2), 200);
	struct tca_fill f = t_fill(1, 1, 0, +1, 1, 101, S(0.5), TCA_NONE, TCA_NONE, 1);
	tca_on_fill(&t.c, &f);
	f = t_fill(2, 2, 0, +1, 1, 101, S(1), TCA_NONE, TCA_NONE, 1);
	tca_on_fill(&t.c, &f);
	tca_on_market(&t.c, S(2), 210);
	tca_on_market(&t.c, S(2), 220);
	tca_on_market(&t.c, S(40), 230);
	cr_assert_eq(t_rows(&t), 2);
	char row[1024];
	t_row(&t, 0, row, sizeof(row));
	/* fill 1: 1 s m(1.5) = 200; 5 s and 30 s m = 220 */
	cr_expect_str_eq(row, "1,500000000,1,,buy,1,505,taker,,500,10,10,-90,-90,0,100,100,,,,");
	t_row(&t, 1, row, sizeof(row));
	/* fill 2: 1 s m(2.0) = 220: 202 - 220 = -18 ticks = -90, impact 220 -
	 * 200 = 20 ticks = 100; 5 s and 30 s: 220 as well */
	cr_expect_str_eq(row, "2,1000000000,2,,buy,1,505,taker,,500,10,-90,-90,-90,100,100,100,"
			      ",,,");
	cr_assert_eq(tca_finish(&t.c), 0);
	t_close(&t);
}

/* ------------------------------------------------------------ bounds */

Test(tca, a_full_queue_writes_the_oldest_row_early_and_says_so)
{
	struct instrument in = t_win();
	struct tca_params p = { .max_decisions = 1, .max_fills = 1, .history = 4 };
	struct t_tca t;
	t_open(&t, &in, &p);
	tca_on_decision(&t.c, 1, S(0));
	tca_on_decision(&t.c, 2, S(0)); /* the table holds 1 */
	cr_expect_eq(t.c.n.decisions_not_followed, 1);
	tca_on_market(&t.c, S(0), 200);
	struct tca_fill f = t_fill(1, 1, 1, +1, 1, 101, S(1), S(0.1), S(0.2), 1);
	tca_on_fill(&t.c, &f);
	tca_on_market(&t.c, S(2.5), 204);
	f = t_fill(2, 2, 2, +1, 1, 102, S(3), S(2.6), S(2.7), 1);
	tca_on_fill(&t.c, &f); /* the queue holds 1: fill 1 goes now */
	cr_expect_eq(t.c.n.cut_short, 1);
	cr_expect_eq(t_rows(&t), 1);
	char row[1024];
	t_row(&t, 0, row, sizeof(row));
	/* fill 1: its 1 s horizon (2.0 s) was passed at 2.5 s: m = 200;
	 * 5 s and 30 s not yet: empty */
	cr_expect_str_eq(row, "1,1000000000,1,1,buy,1,505,taker,500,500,10,10,,,0,,,1.00,"
			      "100000000,100000000,800000000");
	cr_assert_eq(tca_finish(&t.c), 0);
	/* fill 2: its decision was not followed: no arrival, no shortfall */
	t_row(&t, 1, row, sizeof(row));
	cr_expect_str_eq(row, "2,3000000000,2,2,buy,1,510,taker,,510,0,,,,,,,,,100000000,"
			      "300000000");
	cr_expect_eq(t.c.n.no_decision, 1);
	t_close(&t);
}

Test(tca, a_mid_older_than_the_history_is_counted_not_guessed)
{
	struct instrument in = t_win();
	struct tca_params p = { .max_decisions = 4, .max_fills = 4, .history = 2 };
	struct t_tca t;
	t_open(&t, &in, &p);
	tca_on_market(&t.c, S(1), 200);
	tca_on_market(&t.c, S(2), 202);
	tca_on_market(&t.c, S(2.5), 202); /* no change: not kept */
	tca_on_market(&t.c, S(3), 204);   /* 200 of 1 s is forgotten */
	struct tca_fill f = t_fill(1, 1, 0, +1, 1, 101, S(1.5), TCA_NONE, TCA_NONE, 1);
	tca_on_fill(&t.c, &f);
	cr_expect_eq(t.c.n.history_short, 1);
	f = t_fill(2, 2, 0, +1, 1, 101, S(2.7), TCA_NONE, TCA_NONE, 1);
	tca_on_fill(&t.c, &f);
	cr_expect_eq(t.c.n.history_short, 1, "2.7 s is still held (the change of 2 s)");
	cr_assert_eq(tca_finish(&t.c), 0);
	char row[1024];
	t_row(&t, 0, row, sizeof(row));
	/* no mid at the fill; its 1 s horizon (2.5 s) is held: 202 */
	cr_expect_str_eq(row, "1,1500000000,1,,buy,1,505,taker,,,,0,,,,,,,,,");
	t_row(&t, 1, row, sizeof(row));
	cr_expect_str_eq(row, "2,2700000000,2,,buy,1,505,taker,,505,0,,,,,,,,,,");
	t_close(&t);
}

Test(tca, memsize_refuses_bad_shapes)
{
	struct tca_params p = { .max_decisions = 1, .max_fills = 1, .history = 3 };
	cr_expect_eq(tca_memsize(&p), 0);
	p.history = 4;
	p.max_fills = 0;
	cr_expect_eq(tca_memsize(&p), 0);
	p.max_fills = 1;
	size_t n = tca_memsize(&p);
	cr_assert_gt(n, 0);
	struct instrument in = t_win();
	struct tca c;
	char *mem = malloc(n);
	cr_expect_eq(tca_init(&c, mem, n - 1, &in, &p, NULL), -EINVAL);
	cr_expect_eq(tca_init(&c, mem, n, &in, &p, NULL), 0);
	free(mem);
}

/* ------------------------------------------------------------ naive */

/* m(T) by a scan over the whole path: the last event at or before T */
static int64_t naive_mid(const int64_t *t, const int64_t *x2, int n, int64_t T)
{
	int64_t m = 0;
	for (int i = 0; i < n && t[i] <= T; i++)
		if (x2[i])
			m = x2[i];
	return m;
}

/* Ticks as WIN points ("" for none) */
static void pts(int have, int64_t ticks, char *buf, size_t n)
{
	if (!have)
		buf[0] = '\0';
	else
		snprintf(buf, n, "%lld", (long long)(ticks * 5));
}

Test(tca, rows_equal_a_naive_recomputation_on_a_random_path)
{
	enum { N = 3000, NF = 300 };
	static int64_t t[N], x2[N];
	struct t_rng g;
	t_rng_seed(&g, 42);
	int64_t now = S(100), mid = 20000;
	for (int i = 0; i < N; i++) {
		now += (int64_t)t_rng_below(&g, 200) * 1000000; /* 0..199 ms, ties too */
		mid += (int64_t)t_rng_below(&g, 5) - 2;
		t[i] = now;
		x2[i] = t_rng_below(&g, 10) == 0 && i < 5 ? 0 : 2 * mid + (int64_t)t_rng_below(&g, 2);
	}
	struct instrument in = t_win();
	struct tca_params p;
	tca_params_default(&p);
	struct t_tca tt;
	t_open(&tt, &in, &p);
	/* fill k: decision at event i0, fill at event i1 > i0 (fed after every
	 * event up to its time and after a few later ones, as a report
	 * delivered late is) */
	static int64_t ft[NF], fpx[NF], dt[NF];
	static int fside[NF];
	int next_fill = 0, fed = 0;
	for (int k = 0; k < NF; k++) {
		int i0 = 5 + (int)t_rng_below(&g, N - 20), lag = 1 + (int)t_rng_below(&g, 5);
		dt[k] = t[i0];
		ft[k] = t[i0 + lag] + (int64_t)t_rng_below(&g, 1000);
		fside[k] = t_rng_below(&g, 2) ? 1 : -1;
		fpx[k] = mid - 50 + (int64_t)t_rng_below(&g, 100);
	}
	/* fills in time order, as a venue gives them */
	for (int a = 1; a < NF; a++)
		for (int b = a; b > 0 && ft[b] < ft[b - 1]; b--) {
			int64_t s;
			s = ft[b]; ft[b] = ft[b - 1]; ft[b - 1] = s;
			s = dt[b]; dt[b] = dt[b - 1]; dt[b - 1] = s;
			s = fpx[b]; fpx[b] = fpx[b - 1]; fpx[b - 1] = s;
			int q = fside[b]; fside[b] = fside[b - 1]; fside[b - 1] = q;
		}
	int dec_fed = 0;
	for (int i = 0; i < N; i++) {
		/* decisions before the market passes their time */
		while (dec_fed < NF && dt[dec_fed] <= t[i]) {
			tca_on_decision(&tt.c, 1000 + (uint64_t)dec_fed, dt[dec_fed]);
			dec_fed++;
		}
		tca_on_market(&tt.c, t[i], x2[i]);
		fed = i + 1;
		/* a fill once the market is 0..3 events past its time */
		while (next_fill < NF && next_fill < dec_fed && ft[next_fill] <= t[i] &&
		       (i + 1 >= N || t[i + 1] > ft[next_fill]) && t_rng_below(&g, 4) == 0) {
			struct tca_fill f = t_fill(1 + (uint64_t)next_fill, 1, 1000 + (uint64_t)next_fill,
						   fside[next_fill], 1, fpx[next_fill],
						   ft[next_fill], TCA_NONE, TCA_NONE, 1);
			tca_on_fill(&tt.c, &f);
			next_fill++;
		}
		while (next_fill < NF && next_fill < dec_fed && i >= 3 && ft[next_fill] <= t[i - 3]) {
			struct tca_fill f = t_fill(1 + (uint64_t)next_fill, 1, 1000 + (uint64_t)next_fill,
						   fside[next_fill], 1, fpx[next_fill],
						   ft[next_fill], TCA_NONE, TCA_NONE, 1);
			tca_on_fill(&tt.c, &f);
			next_fill++;
		}
	}
	cr_assert_eq(fed, N);
	while (next_fill < NF) {
		struct tca_fill f = t_fill(1 + (uint64_t)next_fill, 1, 1000 + (uint64_t)next_fill,
					   fside[next_fill], 1, fpx[next_fill], ft[next_fill],
					   TCA_NONE, TCA_NONE, 1);
		tca_on_fill(&tt.c, &f);
		next_fill++;
	}
	cr_assert_eq(tca_finish(&tt.c), 0);
	cr_assert_eq(t_rows(&tt), NF);
	cr_assert_eq(tt.c.n.history_short + tt.c.n.no_decision, 0);
	for (int k = 0; k < NF; k++) {
		int d = fside[k];
		int64_t p2 = 2 * fpx[k], a = naive_mid(t, x2, N, dt[k]);
		int64_t m = naive_mid(t, x2, N, ft[k]);
		char want[1024], got[1024], arr[32] = "", mf[32] = "", eff[32], r[3][32], im[3][32];
		char sf[32] = "";
		if (a) {
			snprintf(arr, sizeof(arr), "%lld%s", (long long)(a * 5 / 2), a % 2 ? ".5" : "");
			int64_t e9 = d * (p2 - a) * 1000000000ll / 2;
			instr_money_format(e9, sf, sizeof(sf));
		}
		if (m)
			snprintf(mf, sizeof(mf), "%lld%s", (long long)(m * 5 / 2), m % 2 ? ".5" : "");
		pts(m != 0, d * (p2 - m), eff, sizeof(eff));
		for (int h = 0; h < 3; h++) {
			int64_t T = ft[k] + tca_horizon_ns[h];
			int64_t mh = T <= t[N - 1] ? naive_mid(t, x2, N, T) : 0;
			pts(mh != 0, d * (p2 - mh), r[h], sizeof(r[h]));
			pts(mh && m, d * (mh - m), im[h], sizeof(im[h]));
		}
		snprintf(want, sizeof(want), "%d,%lld,1,%d,%s,1,%lld,taker,%s,%s,%s,%s,%s,%s,%s,%s,%s,"
			 "%s,,,", k + 1, (long long)ft[k], 1000 + k, d > 0 ? "buy" : "sell",
			 (long long)(fpx[k] * 5), arr, mf, eff, r[0], r[1], r[2], im[0], im[1], im[2],
			 sf);
		t_row(&tt, k, got, sizeof(got));
		cr_assert_str_eq(got, want, "fill %d", k + 1);
	}
	t_close(&tt);
}
