/*
 * test_risk.c — pre-trade risk (libcore/risk/risk.h): every limit at,
 * just inside and just past its boundary, the order of the checks, the
 * trading states and the kill switch, open-order exposure, fill
 * de-duplication, and P&L in the instrument's currency (BRL x 10^9 for WIN; USDT cases at the end).
 *
 * Expected values are worked by hand from the rules in docs/risk.md with
 * the default WIN contract (1 tick = 5 points = R$ 1.00 per contract, so
 * 1000 milli-BRL, 10^9 in the money unit), session instants come from timegm(3) rather than the
 * calendar, and the P&L is also checked against a naive cash ledger and a
 * floating-point average-cost book over random fills.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/helpers.h"
#include "libcore/market/calendar.h"
#include "libcore/config/config.h"
#include "libcore/market/instrument.h"
#include "libcore/risk/risk.h"
#include "libcore/types.h"
#include "libcore/vote/vote.h"
#include "libcore/msg/msg.h"

_Static_assert((int)RISK_ORD_LIMIT == (int)ORD_LIMIT, "order types agree with msg.h");
_Static_assert((int)RISK_ORD_MARKET == (int)ORD_MARKET, "order types agree with msg.h");

#define T_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define T_MS  1000000LL
#define T_S   1000000000LL
#define BRL(x) ((int64_t)(x) * 1000000)   /* whole BRL as BRL x 10^6 (limits) */
/* The hand-worked amounts below are in milli-BRL; money is BRL x 10^9. */
#define MBRL(x) ((int64_t)(x) * 1000000)

#define BUY  1
#define SELL (-1)
#define LMT  RISK_ORD_LIMIT
#define MKT  RISK_ORD_MARKET

/* ------------------------------------------------------------ fixtures */

static struct instrument win;
static struct calendar cal;

/* UTC instant of a civil UTC time, ns (from libc, not the calendar). */
static int64_t t_utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return (int64_t)timegm(&tm) * T_S;
}

/* Monday 2022-01-10, 15:00 local (UTC-3): inside the session. */
#define T0 t_utc(2022, 1, 10, 18, 0, 0)

static void setup(void)
{
	struct dm_config c;

	config_defaults(&c);
	cr_assert_eq(instr_init(&win, &c.instrument), 0);
	cr_assert_eq(cal_init(&cal, &c.instrument), 0);
	cr_assert_eq(win.tick_value_e9, 1000000000, "WIN tick is R$ 1.00");
	cr_assert_str_eq(win.currency, "BRL");
}

TestSuite(risk, .init = setup);

/* Loose limits: each test tightens the one it looks at. */
static struct risk_cfg t_cfg(void)
{
	struct risk_cfg c = {
		.max_position = 1000, .max_order_qty = 1000,
		.rate_per_s = 1000000, .rate_burst = 1000000,
		.collar_ticks = 1000000,
		.daily_loss_e6 = BRL(1000000), .max_drawdown_e6 = BRL(1000000),
		.reducing_at_e6 = 0, .stale_data_ms = 3600000,
		.enforce_session = 0, .kill_flatten = 1, .currency = "BRL",
	};

	cr_assert_eq(risk_cfg_check(&c, NULL), 0);
	return c;
}

static struct risk_order t_ord(int side, int64_t qty, int64_t px)
{
	struct risk_order o = { .px = px, .qty = qty, .side = side,
				.ord_type = px ? LMT : MKT };
	return o;
}

static uint64_t t_exec = 1000;

/* Apply a fill that must be taken; returns nothing. */
static void t_fill(struct risk_state *st, const struct risk_cfg *c, int side, int64_t px,
		   int64_t qty, int64_t fee_mbrl, uint64_t coid)
{
	struct risk_fill f = { .exec_id = ++t_exec, .client_order_id = coid, .px = px,
			       .qty = qty, .fee_e9 = MBRL(fee_mbrl), .side = side };

	cr_assert_eq(risk_on_fill(st, c, &f, T0), 1, "fill %d x %lld @ %lld", side,
		     (long long)qty, (long long)px);
}

static uint32_t t_check(struct risk_state *st, const struct risk_cfg *c, int side,
			int64_t qty, int64_t px, int64_t now)
{
	struct risk_order o = t_ord(side, qty, px);

	return risk_check_order(st, c, &cal, &o, now);
}

static int64_t t_net(const struct risk_state *st)
{
	struct risk_pnl p;

	risk_pnl(st, &p);
	return p.net_e9;
}

/* got is evaluated once; the message names both reasons, then fmt. */
#define assert_reason(got, want, fmt, ...)                                       \
	do {                                                                     \
		uint32_t got_ = (got), want_ = (want);                           \
		cr_assert_eq(got_, want_, "reason %s, expected %s: " fmt,        \
			     vote_reason_name(got_), vote_reason_name(want_),    \
			     ##__VA_ARGS__);                                     \
	} while (0)

/* ------------------------------------------------------------ configuration */

Test(risk, cfg_check_ranges)
{
	static const struct {
		const char *field;
		size_t off, size;
		int64_t ok_lo, ok_hi, bad_lo, bad_hi;
	} rows[] = {
#define F(f, lo, hi, blo, bhi) { #f, offsetof(struct risk_cfg, f), sizeof(((struct risk_cfg *)0)->f), lo, hi, blo, bhi }
		F(max_position, 1, 100000, 0, 100001),
		F(max_order_qty, 1, 100000, 0, 100001),
		F(rate_per_s, 1, 1000000, 0, 1000001),
		F(rate_burst, 1, 1000000, 0, 1000001),
		F(collar_ticks, 1, 1000000, 0, 1000001),
		F(stale_data_ms, 1, 3600000, 0, 3600001),
		F(enforce_session, 0, 1, 2, 2),
		F(kill_flatten, 0, 1, 2, 2),
#undef F
	};
	/* the keys of conf/risk.yaml */
	static const char *names[] = { "max_position", "max_order_qty", "order_rate.per_second",
				       "order_rate.burst", "price_collar_ticks", "stale_data_ms",
				       "enforce_session", "kill_switch.flatten" };

	for (size_t i = 0; i < T_ARRAY_SIZE(rows); i++) {
		int64_t vals[4] = { rows[i].ok_lo, rows[i].ok_hi, rows[i].bad_lo, rows[i].bad_hi };

		for (int k = 0; k < 4; k++) {
			struct risk_cfg c = t_cfg();
			const char *field = NULL;

			if (rows[i].size == 8)
				memcpy((char *)&c + rows[i].off, &vals[k], 8);
			else {
				uint32_t v = (uint32_t)vals[k];
				memcpy((char *)&c + rows[i].off, &v, 4);
			}
			int rc = risk_cfg_check(&c, &field);
			if (k < 2) {
				cr_assert_eq(rc, 0, "%s = %lld refused", rows[i].field, (long long)vals[k]);
			} else {
				cr_assert_eq(rc, -EINVAL, "%s = %lld accepted", rows[i].field,
					     (long long)vals[k]);
				cr_assert_str_eq(field, names[i]);
			}
		}
	}

	struct risk_cfg c = t_cfg();
	const char *field = NULL;
	c.daily_loss_e6 = 0;
	cr_assert_eq(risk_cfg_check(&c, &field), -EINVAL);
	cr_assert_str_eq(field, "daily_loss");
	c = t_cfg();
	c.max_drawdown_e6 = -1;
	cr_assert_eq(risk_cfg_check(&c, &field), -EINVAL);
	cr_assert_str_eq(field, "max_drawdown");
	c = t_cfg();
	c.daily_loss_e6 = BRL(100);
	c.reducing_at_e6 = BRL(100);          /* must be below the loss limit */
	cr_assert_eq(risk_cfg_check(&c, &field), -EINVAL);
	cr_assert_str_eq(field, "reducing_at_loss");
	c.reducing_at_e6 = BRL(100) - 1;
	cr_assert_eq(risk_cfg_check(&c, NULL), 0);
	c.reducing_at_e6 = 0;                 /* never */
	cr_assert_eq(risk_cfg_check(&c, NULL), 0);
	c.reducing_at_e6 = -1;
	cr_assert_eq(risk_cfg_check(&c, NULL), -EINVAL);
}

Test(risk, names)
{
	cr_assert_str_eq(risk_state_name(RISK_ACTIVE), "active");
	cr_assert_str_eq(risk_state_name(RISK_REDUCING), "reducing");
	cr_assert_str_eq(risk_state_name(RISK_HALTED), "halted");
	cr_assert_str_eq(risk_state_name(3), "?");
	cr_assert_str_eq(vote_reason_name(VOTE_R_REDUCING), "reducing_only");
	cr_assert_str_eq(vote_reason_name(VOTE_R_STATE_HALTED), "risk_halted");
}

/* ------------------------------------------------------------ size */

Test(risk, order_size_at_below_above_limit)
{
	static const struct { int side; int64_t qty; uint32_t want; } rows[] = {
		{ BUY, 1, VOTE_R_APPROVED }, { BUY, 4, VOTE_R_APPROVED },
		{ BUY, 5, VOTE_R_APPROVED }, { BUY, 6, VOTE_R_QTY_LIMIT },
		{ SELL, 4, VOTE_R_APPROVED }, { SELL, 5, VOTE_R_APPROVED },
		{ SELL, 6, VOTE_R_QTY_LIMIT }, { SELL, 1000, VOTE_R_QTY_LIMIT },
	};

	for (size_t i = 0; i < T_ARRAY_SIZE(rows); i++) {
		struct risk_cfg c = t_cfg();
		struct risk_state st;

		c.max_order_qty = 5;
		risk_init(&st, &c, &win);
		risk_on_mark(&st, &c, 21680, T0);
		assert_reason(t_check(&st, &c, rows[i].side, rows[i].qty, 21680, T0),
			      rows[i].want, "row %zu", i);
	}
}

/* ------------------------------------------------------------ position */

Test(risk, position_worst_case_with_open_orders_both_sides)
{
	/* max_position 10: a buy passes when pos + open buys + qty <= 10, a sell
	 * when pos - open sells - qty >= -10; the other side's open orders
	 * never help. */
	static const struct {
		int64_t pos, open_buy, open_sell;
		int side;
		int64_t qty;
		uint32_t want;
	} rows[] = {
		{  3, 4, 0, BUY,  2, VOTE_R_APPROVED },  /* 3 + 4 + 2 = 9 */
		{  3, 4, 0, BUY,  3, VOTE_R_APPROVED },  /* = 10 */
		{  3, 4, 0, BUY,  4, VOTE_R_POS_LIMIT }, /* = 11 */
		{  3, 0, 5, SELL, 7, VOTE_R_APPROVED },  /* 3 - 5 - 7 = -9 */
		{  3, 0, 5, SELL, 8, VOTE_R_APPROVED },  /* = -10 */
		{  3, 0, 5, SELL, 9, VOTE_R_POS_LIMIT }, /* = -11 */
		{  3, 4, 5, BUY,  3, VOTE_R_APPROVED },  /* open sells don't offset */
		{  3, 4, 5, BUY,  4, VOTE_R_POS_LIMIT },
		{ -4, 6, 2, BUY,  8, VOTE_R_APPROVED },  /* -4 + 6 + 8 = 10 */
		{ -4, 6, 2, BUY,  9, VOTE_R_POS_LIMIT },
		{ -4, 6, 2, SELL, 4, VOTE_R_APPROVED },  /* -4 - 2 - 4 = -10 */
		{ -4, 6, 2, SELL, 5, VOTE_R_POS_LIMIT },
		{  0, 10, 0, BUY, 1, VOTE_R_POS_LIMIT },
		{  0, 10, 0, SELL, 10, VOTE_R_APPROVED },
		{  0, 0, 10, SELL, 1, VOTE_R_POS_LIMIT },
		{ 12, 0, 0, SELL, 1, VOTE_R_APPROVED },  /* already beyond: reducing passes */
		{ 12, 0, 0, BUY,  1, VOTE_R_POS_LIMIT },
		{ -12, 0, 0, BUY, 10, VOTE_R_APPROVED },
	};

	for (size_t i = 0; i < T_ARRAY_SIZE(rows); i++) {
		struct risk_cfg c = t_cfg();
		struct risk_state st;

		c.max_position = 10;
		risk_init(&st, &c, &win);
		risk_on_mark(&st, &c, 20000, T0);
		if (rows[i].pos)
			t_fill(&st, &c, rows[i].pos > 0 ? BUY : SELL, 20000, llabs(rows[i].pos), 0, 0);
		if (rows[i].open_buy)
			cr_assert_eq(risk_on_order_open(&st, 1, BUY, rows[i].open_buy), 0);
		if (rows[i].open_sell)
			cr_assert_eq(risk_on_order_open(&st, 2, SELL, rows[i].open_sell), 0);
		assert_reason(t_check(&st, &c, rows[i].side, rows[i].qty, 20000, T0),
			      rows[i].want, "row %zu", i);
	}
}

Test(risk, open_orders_released_by_fills_and_done)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;

	c.max_position = 10;
	risk_init(&st, &c, &win);
	risk_on_mark(&st, &c, 20000, T0);

	cr_assert_eq(risk_on_order_open(&st, 0, BUY, 1), -EINVAL);
	cr_assert_eq(risk_on_order_open(&st, 7, 0, 1), -EINVAL);
	cr_assert_eq(risk_on_order_open(&st, 7, BUY, 0), -EINVAL);
	cr_assert_eq(risk_on_order_open(&st, 7, BUY, 6), 0);
	cr_assert_eq(risk_on_order_open(&st, 7, BUY, 1), -EEXIST);
	cr_assert_eq(risk_on_order_open(&st, 8, SELL, 3), 0);
	cr_assert_eq(risk_on_order_open(&st, 9, BUY, 2), 0);
	cr_assert_eq(st.open_buy, 8);
	cr_assert_eq(st.open_sell, 3);
	assert_reason(t_check(&st, &c, BUY, 3, 20000, T0), VOTE_R_POS_LIMIT, ""); /* 0+8+3 */

	/* a fill of 4 on order 7: position 4, 2 left open; the sum is the same */
	t_fill(&st, &c, BUY, 20000, 4, 0, 7);
	cr_assert_eq(st.position, 4);
	cr_assert_eq(st.open_buy, 4);
	assert_reason(t_check(&st, &c, BUY, 3, 20000, T0), VOTE_R_POS_LIMIT, ""); /* 4+4+3 */
	assert_reason(t_check(&st, &c, BUY, 2, 20000, T0), VOTE_R_APPROVED, "");  /* 4+4+2 */

	/* a sell fill naming a buy order does not release it */
	t_fill(&st, &c, SELL, 20000, 1, 0, 7);
	cr_assert_eq(st.open_buy, 4);
	cr_assert_eq(st.position, 3);

	/* done releases what is left, once; the middle one of three goes */
	cr_assert_eq(risk_on_order_done(&st, 8), 3);
	cr_assert_eq(risk_on_order_done(&st, 8), -ENOENT);
	cr_assert_eq(st.open_sell, 0);
	cr_assert_eq(st.n_open, 2);
	cr_assert_eq(risk_on_order_done(&st, 9), 2);
	cr_assert_eq(risk_on_order_done(&st, 7), 2);
	cr_assert_eq(st.open_buy, 0);
	cr_assert_eq(st.n_open, 0);
	cr_assert_eq(risk_on_order_done(&st, 0), -ENOENT);

	/* an overfill (more than the order's leaves) releases only the leaves */
	cr_assert_eq(risk_on_order_open(&st, 11, SELL, 2), 0);
	t_fill(&st, &c, SELL, 20000, 5, 0, 11);
	cr_assert_eq(st.open_sell, 0);
	cr_assert_eq(st.n_open, 0);
	cr_assert_eq(st.position, -2);
}

Test(risk, open_order_table_full)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;

	risk_init(&st, &c, &win);
	risk_on_mark(&st, &c, 20000, T0);
	for (uint64_t id = 1; id <= RISK_OPEN_MAX; id++)
		cr_assert_eq(risk_on_order_open(&st, id, id % 2 ? BUY : SELL, 1), 0);
	cr_assert_eq(risk_on_order_open(&st, 9999, BUY, 1), -DM_EFULL);
	assert_reason(t_check(&st, &c, BUY, 1, 20000, T0), VOTE_R_OPEN_ORDERS, "");
	cr_assert_eq(risk_on_order_done(&st, 100), 1);
	assert_reason(t_check(&st, &c, BUY, 1, 20000, T0), VOTE_R_APPROVED, "");
	cr_assert_eq(risk_on_order_open(&st, 9999, BUY, 1), 0);
	/* every remaining id is still found after the swap-removal */
	for (uint64_t id = 1; id <= RISK_OPEN_MAX; id++)
		if (id != 100)
			cr_assert_eq(risk_on_order_done(&st, id), 1, "id %llu", (unsigned long long)id);
	cr_assert_eq(risk_on_order_done(&st, 9999), 1);
	cr_assert_eq(st.open_buy, 0);
	cr_assert_eq(st.open_sell, 0);
}

/* ------------------------------------------------------------ collar */

Test(risk, collar_both_sides_of_the_mid)
{
	/* collar 3: |px - mid| <= 3 passes */
	static const struct {
		int64_t bid, ask;
		int side;
		int64_t px;
		uint32_t want;
	} rows[] = {
		/* mid 1000 */
		{ 999, 1001, BUY,  1003, VOTE_R_APPROVED },
		{ 999, 1001, BUY,  1004, VOTE_R_PRICE_COLLAR },
		{ 999, 1001, BUY,  1002, VOTE_R_APPROVED },
		{ 999, 1001, BUY,   997, VOTE_R_APPROVED },
		{ 999, 1001, BUY,   996, VOTE_R_PRICE_COLLAR },
		{ 999, 1001, SELL, 1003, VOTE_R_APPROVED },
		{ 999, 1001, SELL, 1004, VOTE_R_PRICE_COLLAR },
		{ 999, 1001, SELL,  997, VOTE_R_APPROVED },
		{ 999, 1001, SELL,  996, VOTE_R_PRICE_COLLAR },
		/* mid 1000.5: 2.5 passes, 3.5 does not */
		{ 1000, 1001, BUY,  1003, VOTE_R_APPROVED },
		{ 1000, 1001, BUY,  1004, VOTE_R_PRICE_COLLAR },
		{ 1000, 1001, BUY,   998, VOTE_R_APPROVED },
		{ 1000, 1001, BUY,   997, VOTE_R_PRICE_COLLAR },
		{ 1000, 1001, SELL, 1003, VOTE_R_APPROVED },
		{ 1000, 1001, SELL, 1004, VOTE_R_PRICE_COLLAR },
		{ 1000, 1001, SELL,  998, VOTE_R_APPROVED },
		{ 1000, 1001, SELL,  997, VOTE_R_PRICE_COLLAR },
		/* market orders carry no price to collar */
		{ 1000, 1001, BUY,     0, VOTE_R_APPROVED },
		{ 1000, 1001, SELL,    0, VOTE_R_APPROVED },
	};

	for (size_t i = 0; i < T_ARRAY_SIZE(rows); i++) {
		struct risk_cfg c = t_cfg();
		struct risk_state st;

		c.collar_ticks = 3;
		risk_init(&st, &c, &win);
		cr_assert_eq(risk_on_book(&st, &c, rows[i].bid, rows[i].ask, T0), 0);
		assert_reason(t_check(&st, &c, rows[i].side, 1, rows[i].px, T0), rows[i].want,
			      "row %zu", i);
	}
}

/* ------------------------------------------------------------ rate */

Test(risk, rate_burst_then_refill_at_exact_times)
{
	/* 10 orders/s = one token per 100 ms; burst 3 */
	static const struct { int64_t at_ns; uint32_t want; } steps[] = {
		{ 0, VOTE_R_APPROVED }, { 0, VOTE_R_APPROVED }, { 0, VOTE_R_APPROVED },
		{ 0, VOTE_R_RATE_LIMIT },
		{ 100 * T_MS - 1, VOTE_R_RATE_LIMIT },      /* 0.99999999 token */
		{ 100 * T_MS, VOTE_R_APPROVED },            /* exactly 1 */
		{ 100 * T_MS, VOTE_R_RATE_LIMIT },
		{ 350 * T_MS, VOTE_R_APPROVED },            /* 2.5 tokens */
		{ 350 * T_MS, VOTE_R_APPROVED },            /* 1.5 */
		{ 350 * T_MS, VOTE_R_RATE_LIMIT },          /* 0.5 */
		{ 400 * T_MS - 1, VOTE_R_RATE_LIMIT },
		{ 400 * T_MS, VOTE_R_APPROVED },            /* 0.5 + 0.5 */
		{ 10 * T_S, VOTE_R_APPROVED },              /* long idle: capped at 3 */
		{ 10 * T_S, VOTE_R_APPROVED },
		{ 10 * T_S, VOTE_R_APPROVED },
		{ 10 * T_S, VOTE_R_RATE_LIMIT },
	};
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_order bad = t_ord(BUY, 1, 21680);

	c.rate_per_s = 10;
	c.rate_burst = 3;
	risk_init(&st, &c, &win);
	risk_on_mark(&st, &c, 21680, T0);
	for (size_t i = 0; i < T_ARRAY_SIZE(steps); i++) {
		/* a rejection for another reason first: it must take no token */
		bad.side = 0;
		assert_reason(risk_check_order(&st, &c, &cal, &bad, T0 + steps[i].at_ns),
			      VOTE_R_BAD_ORDER, "");
		assert_reason(t_check(&st, &c, BUY, 1, 21680, T0 + steps[i].at_ns), steps[i].want,
			      "step %zu at +%lld ns", i, (long long)steps[i].at_ns);
	}
	cr_assert_eq(st.approved, 10);
	cr_assert_eq(st.rejected[VOTE_R_RATE_LIMIT], 6);
	cr_assert_eq(st.rejected[VOTE_R_BAD_ORDER], T_ARRAY_SIZE(steps));
	cr_assert_eq(st.checks, 2 * T_ARRAY_SIZE(steps));
}

Test(risk, rate_bucket_follows_a_lowered_burst_and_ignores_time_going_back)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;

	c.rate_per_s = 1;
	c.rate_burst = 5;
	risk_init(&st, &c, &win);
	risk_on_mark(&st, &c, 21680, T0);
	c.rate_burst = 2;   /* configuration reloaded with a smaller bucket */
	assert_reason(t_check(&st, &c, BUY, 1, 21680, T0), VOTE_R_APPROVED, "");
	assert_reason(t_check(&st, &c, BUY, 1, 21680, T0), VOTE_R_APPROVED, "");
	assert_reason(t_check(&st, &c, BUY, 1, 21680, T0), VOTE_R_RATE_LIMIT, "");
	/* an earlier clock adds nothing and does not move the refill time */
	assert_reason(t_check(&st, &c, BUY, 1, 21680, T0 - 5 * T_S), VOTE_R_RATE_LIMIT, "");
	assert_reason(t_check(&st, &c, BUY, 1, 21680, T0 + T_S - 1), VOTE_R_RATE_LIMIT, "");
	assert_reason(t_check(&st, &c, BUY, 1, 21680, T0 + T_S), VOTE_R_APPROVED, "");
}

/* ------------------------------------------------------------ loss limits */

Test(risk, daily_loss_at_below_above_limit)
{
	/* long 1 @ 21680, fee R$ 0.50; limit R$ 100: net = mid - 21680 - 0.5 */
	static const struct {
		int64_t bid, ask;
		uint32_t state, reason;
		int64_t net_mbrl;
	} rows[] = {
		{ 21581, 21581, RISK_ACTIVE, VOTE_R_APPROVED,   -99500 },
		{ 21580, 21581, RISK_HALTED, VOTE_R_DAILY_LOSS, -100000 }, /* mid 21580.5 */
		{ 21580, 21580, RISK_HALTED, VOTE_R_DAILY_LOSS, -100500 },
		{ 21700, 21700, RISK_ACTIVE, VOTE_R_APPROVED,    19500 },
	};

	for (size_t i = 0; i < T_ARRAY_SIZE(rows); i++) {
		struct risk_cfg c = t_cfg();
		struct risk_state st;

		c.daily_loss_e6 = BRL(100);
		risk_init(&st, &c, &win);
		t_fill(&st, &c, BUY, 21680, 1, 500, 0);
		cr_assert_eq(risk_on_book(&st, &c, rows[i].bid, rows[i].ask, T0), 0);
		cr_assert_eq(t_net(&st), MBRL(rows[i].net_mbrl), "row %zu", i);
		cr_assert_eq(st.state, rows[i].state, "row %zu: %s", i, risk_state_name(st.state));
		assert_reason(t_check(&st, &c, SELL, 1, 0, T0), rows[i].reason, "row %zu", i);
	}
}

Test(risk, daily_loss_from_fees_alone_and_on_a_fill)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;

	c.daily_loss_e6 = BRL(10);
	risk_init(&st, &c, &win);
	risk_on_mark(&st, &c, 21680, T0);
	t_fill(&st, &c, BUY, 21680, 1, 9999, 0);     /* R$ 9.999 */
	cr_assert_eq(st.state, RISK_ACTIVE);
	t_fill(&st, &c, SELL, 21680, 1, 1, 0);       /* R$ 10.000 exactly */
	cr_assert_eq(st.state, RISK_HALTED);
	cr_assert_eq(st.halt_reason, VOTE_R_DAILY_LOSS);
	cr_assert_eq(t_net(&st), MBRL(-10000));
}

Test(risk, drawdown_from_the_days_peak)
{
	/* long 2 @ 1000: R$ 2 per tick of the mid; drawdown limit R$ 30 */
	static const struct {
		int64_t bid, ask;
		int64_t net_mbrl, peak_mbrl;
		uint32_t state;
	} steps[] = {
		{ 1010, 1010,  20000, 20000, RISK_ACTIVE },
		{ 1025, 1025,  50000, 50000, RISK_ACTIVE },
		{ 1011, 1011,  22000, 50000, RISK_ACTIVE },   /* 28 down */
		{ 1010, 1011,  21000, 50000, RISK_ACTIVE },   /* mid 1010.5: 29 down */
		{ 1010, 1010,  20000, 50000, RISK_HALTED },   /* 30 down */
		{ 1040, 1040,  80000, 80000, RISK_HALTED },   /* a new peak: still halted */
	};
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_pnl p;

	c.max_drawdown_e6 = BRL(30);
	risk_init(&st, &c, &win);
	t_fill(&st, &c, BUY, 1000, 2, 0, 0);
	for (size_t i = 0; i < T_ARRAY_SIZE(steps); i++) {
		cr_assert_eq(risk_on_book(&st, &c, steps[i].bid, steps[i].ask, T0 + (int64_t)i), 0);
		risk_pnl(&st, &p);
		cr_assert_eq(p.net_e9, MBRL(steps[i].net_mbrl), "step %zu", i);
		cr_assert_eq(p.peak_e9, MBRL(steps[i].peak_mbrl), "step %zu", i);
		cr_assert_eq(p.drawdown_e9, MBRL(steps[i].peak_mbrl - steps[i].net_mbrl));
		cr_assert_eq(st.state, steps[i].state, "step %zu: %s", i, risk_state_name(st.state));
	}
	cr_assert_eq(st.halt_reason, VOTE_R_DRAWDOWN);
	cr_assert_eq(st.state_ns, T0 + 4);
	assert_reason(t_check(&st, &c, SELL, 2, 0, T0 + 10), VOTE_R_DRAWDOWN, "");
	/* the peak is 80 now: rearm finds no limit reached */
	cr_assert_eq(risk_rearm(&st, &c, T0 + 11), RISK_ACTIVE);

	/* from a peak of 0: a loss of 30 is a drawdown of 30 */
	risk_init(&st, &c, &win);
	t_fill(&st, &c, SELL, 1000, 3, 0, 0);
	risk_on_mark(&st, &c, 1009, T0);                /* -27 */
	cr_assert_eq(st.state, RISK_ACTIVE);
	risk_on_mark(&st, &c, 1010, T0);                /* -30 */
	cr_assert_eq(st.state, RISK_HALTED);
	cr_assert_eq(st.halt_reason, VOTE_R_DRAWDOWN);
}

Test(risk, reducing_threshold_and_what_passes_while_reducing)
{
	/* long 5 @ 1000: R$ 5 per tick; REDUCING at a R$ 50 loss */
	struct risk_cfg c = t_cfg();
	struct risk_state st;

	c.reducing_at_e6 = BRL(50);
	c.daily_loss_e6 = BRL(100);
	risk_init(&st, &c, &win);
	t_fill(&st, &c, BUY, 1000, 5, 0, 0);
	risk_on_book(&st, &c, 990, 991, T0);            /* -47.5 */
	cr_assert_eq(st.state, RISK_ACTIVE);
	assert_reason(t_check(&st, &c, BUY, 1, 990, T0), VOTE_R_APPROVED, "");
	risk_on_book(&st, &c, 990, 990, T0);            /* -50 */
	cr_assert_eq(st.state, RISK_REDUCING);
	cr_assert_eq(st.halt_reason, 0);

	static const struct {
		int64_t open_sell;
		int side;
		int64_t qty, px;
		uint32_t want;
	} rows[] = {
		{ 0, SELL, 5, 990, VOTE_R_APPROVED },   /* to flat */
		{ 0, SELL, 1, 0,   VOTE_R_APPROVED },   /* market */
		{ 0, SELL, 6, 990, VOTE_R_REDUCING },   /* would flip */
		{ 0, BUY,  1, 990, VOTE_R_REDUCING },   /* grows */
		{ 3, SELL, 2, 990, VOTE_R_APPROVED },   /* 5 - 3 - 2 = 0 */
		{ 3, SELL, 3, 990, VOTE_R_REDUCING },   /* 5 - 3 - 3 = -1 */
	};
	for (size_t i = 0; i < T_ARRAY_SIZE(rows); i++) {
		struct risk_state s2 = st;   /* the state is plain memory */

		if (rows[i].open_sell)
			cr_assert_eq(risk_on_order_open(&s2, 1, SELL, rows[i].open_sell), 0);
		assert_reason(t_check(&s2, &c, rows[i].side, rows[i].qty, rows[i].px, T0),
			      rows[i].want, "row %zu", i);
	}

	/* short 4 while reducing; flat while reducing */
	risk_init(&st, &c, &win);
	t_fill(&st, &c, SELL, 1000, 4, 0, 0);
	risk_on_mark(&st, &c, 1013, T0);                /* -52 */
	cr_assert_eq(st.state, RISK_REDUCING);
	assert_reason(t_check(&st, &c, BUY, 4, 1013, T0), VOTE_R_APPROVED, "");
	assert_reason(t_check(&st, &c, BUY, 5, 1013, T0), VOTE_R_REDUCING, "");
	assert_reason(t_check(&st, &c, SELL, 1, 1013, T0), VOTE_R_REDUCING, "");
	t_fill(&st, &c, BUY, 1013, 4, 0, 0);
	cr_assert_eq(st.position, 0);
	assert_reason(t_check(&st, &c, BUY, 1, 1013, T0), VOTE_R_REDUCING, "");
	assert_reason(t_check(&st, &c, SELL, 1, 1013, T0), VOTE_R_REDUCING, "");
}

Test(risk, states_ratchet_up_until_rearm)
{
	/* long 1 @ 1000 (R$ 1 per tick): REDUCING at -50, HALTED at -100,
	 * drawdown out of the way */
	struct risk_cfg c = t_cfg();
	struct risk_state st;

	c.reducing_at_e6 = BRL(50);
	c.daily_loss_e6 = BRL(100);
	risk_init(&st, &c, &win);
	t_fill(&st, &c, BUY, 1000, 1, 0, 0);
	static const struct { int64_t mid; uint32_t state; } steps[] = {
		{ 951, RISK_ACTIVE }, { 950, RISK_REDUCING }, { 1000, RISK_REDUCING },
		{ 901, RISK_REDUCING }, { 900, RISK_HALTED }, { 1100, RISK_HALTED },
	};
	for (size_t i = 0; i < T_ARRAY_SIZE(steps); i++) {
		risk_on_mark(&st, &c, steps[i].mid, T0 + (int64_t)i);
		cr_assert_eq(st.state, steps[i].state, "step %zu: %s", i, risk_state_name(st.state));
	}
	cr_assert_eq(st.halt_reason, VOTE_R_DAILY_LOSS);
	cr_assert_eq(st.state_ns, T0 + 4);
	assert_reason(t_check(&st, &c, SELL, 1, 0, T0 + 6), VOTE_R_DAILY_LOSS, "");

	/* rearm takes the state the limits give now, from scratch */
	risk_on_mark(&st, &c, 940, T0 + 7);             /* -60 */
	cr_assert_eq(risk_rearm(&st, &c, T0 + 8), RISK_REDUCING);
	risk_on_mark(&st, &c, 899, T0 + 9);             /* -101 */
	cr_assert_eq(st.state, RISK_HALTED);
	cr_assert_eq(risk_rearm(&st, &c, T0 + 10), RISK_HALTED);
	cr_assert_eq(st.halt_reason, VOTE_R_DAILY_LOSS);
	risk_on_mark(&st, &c, 1000, T0 + 11);           /* 0 (drawdown limit far) */
	cr_assert_eq(st.state, RISK_HALTED);
	cr_assert_eq(risk_rearm(&st, &c, T0 + 12), RISK_ACTIVE);
	cr_assert_eq(st.halt_reason, 0);
	assert_reason(t_check(&st, &c, BUY, 1, 1000, T0 + 12), VOTE_R_APPROVED, "");
}

/* ------------------------------------------------------------ kill switch */

Test(risk, kill_switch_latches_until_rearm)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_order fl;

	risk_init(&st, &c, &win);
	risk_on_mark(&st, &c, 1000, T0);
	t_fill(&st, &c, BUY, 1000, 3, 0, 0);
	cr_assert(risk_allows_cancel(&st));

	cr_assert_eq(risk_kill(&st, &c, T0 + 5, 42), 1);      /* kill_flatten, long 3 */
	cr_assert_eq(st.state, RISK_HALTED);
	cr_assert_eq(st.halt_reason, VOTE_R_KILL_SWITCH);
	cr_assert_eq(st.killed, 1);
	cr_assert_eq(st.kill_reason, 42);
	cr_assert_eq(st.kill_ns, T0 + 5);
	cr_assert(risk_allows_cancel(&st));
	/* every order, reducing ones too, until an operator rearms */
	assert_reason(t_check(&st, &c, SELL, 1, 0, T0 + 6), VOTE_R_KILL_SWITCH, "");
	assert_reason(t_check(&st, &c, BUY, 1, 1000, T0 + 6), VOTE_R_KILL_SWITCH, "");
	risk_on_mark(&st, &c, 1100, T0 + 7);
	cr_assert_eq(st.state, RISK_HALTED);
	/* a second kill keeps the first reason and time */
	cr_assert_eq(risk_kill(&st, &c, T0 + 8, 43), 1);
	cr_assert_eq(st.kill_reason, 42);
	cr_assert_eq(st.kill_ns, T0 + 5);
	/* a new day does not clear it */
	risk_day_start(&st, &c, T0 + 9);
	cr_assert_eq(st.state, RISK_HALTED);
	assert_reason(t_check(&st, &c, SELL, 1, 0, T0 + 9), VOTE_R_KILL_SWITCH, "");

	cr_assert_eq(risk_flatten_order(&st, &c, &fl), 1);
	cr_assert_eq(fl.side, SELL);
	cr_assert_eq(fl.qty, 3);
	cr_assert_eq(fl.px, 0);
	cr_assert_eq(fl.ord_type, MKT);

	cr_assert_eq(risk_rearm(&st, &c, T0 + 10), RISK_ACTIVE);
	cr_assert_eq(st.killed, 0);
	assert_reason(t_check(&st, &c, BUY, 1, 1100, T0 + 10), VOTE_R_APPROVED, "");

	/* kill_flatten 0, or nothing to flatten: no flatten asked */
	c.kill_flatten = 0;
	cr_assert_eq(risk_kill(&st, &c, T0 + 11, 1), 0);
	risk_rearm(&st, &c, T0 + 12);
	c.kill_flatten = 1;
	risk_init(&st, &c, &win);
	cr_assert_eq(risk_kill(&st, &c, T0, 1), 0);
	cr_assert_eq(risk_flatten_order(&st, &c, &fl), 0);
}

Test(risk, operator_halt)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;

	risk_init(&st, &c, &win);
	risk_on_mark(&st, &c, 1000, T0);
	risk_halt(&st, T0 + 1);
	cr_assert_eq(st.state, RISK_HALTED);
	assert_reason(t_check(&st, &c, BUY, 1, 1000, T0 + 2), VOTE_R_STATE_HALTED, "");
	risk_day_start(&st, &c, T0 + 3);
	assert_reason(t_check(&st, &c, BUY, 1, 1000, T0 + 4), VOTE_R_STATE_HALTED, "");
	/* the kill switch takes precedence over a halt, and rearm clears both */
	risk_kill(&st, &c, T0 + 5, 7);
	assert_reason(t_check(&st, &c, BUY, 1, 1000, T0 + 6), VOTE_R_KILL_SWITCH, "");
	cr_assert_eq(risk_rearm(&st, &c, T0 + 7), RISK_ACTIVE);
	assert_reason(t_check(&st, &c, BUY, 1, 1000, T0 + 8), VOTE_R_APPROVED, "");
}

Test(risk, flatten_order_sizes)
{
	static const struct { int64_t pos; int side; int64_t qty; } rows[] = {
		{ 7, SELL, 5 }, { 5, SELL, 5 }, { 2, SELL, 2 }, { -3, BUY, 3 }, { -12, BUY, 5 },
	};

	for (size_t i = 0; i < T_ARRAY_SIZE(rows); i++) {
		struct risk_cfg c = t_cfg();
		struct risk_state st;
		struct risk_order fl;

		c.max_order_qty = 5;
		c.reducing_at_e6 = BRL(1);
		risk_init(&st, &c, &win);
		t_fill(&st, &c, rows[i].pos > 0 ? BUY : SELL, 1000, llabs(rows[i].pos), 0, 0);
		risk_on_mark(&st, &c, rows[i].pos > 0 ? 990 : 1010, T0);
		cr_assert_eq(st.state, RISK_REDUCING);
		cr_assert_eq(risk_flatten_order(&st, &c, &fl), 1);
		cr_assert_eq(fl.side, rows[i].side, "row %zu", i);
		cr_assert_eq(fl.qty, rows[i].qty, "row %zu", i);
		cr_assert_eq(fl.ord_type, MKT);
		/* it passes the checks while reducing */
		assert_reason(risk_check_order(&st, &c, &cal, &fl, T0), VOTE_R_APPROVED, "row %zu", i);
	}
}

/* The kill switch's flatten along its plan (risk_flatten_plan /
 * risk_flatten_due): slices due at the kill + (j - 1) tau, each bringing
 * the position to the rounded trajectory, by hand. */
Test(risk, flatten_plan_straight_line_by_hand)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_flatten_plan pl;
	struct risk_order fl;
	int64_t next;
	const int64_t S = 1000000000LL;

	c.flatten_slices = 4;
	c.flatten_horizon_ns = 2 * S; /* tau = 0.5 s */
	cr_assert_eq(risk_cfg_check(&c, NULL), 0);
	risk_init(&st, &c, &win);
	t_fill(&st, &c, BUY, 1000, 10, 0, 0);
	cr_assert_eq(risk_flatten_plan(&st, &c, T0, &pl), 0);
	/* no impact model: the straight line 10, 7.5, 5, 2.5, 0 rounded half
	 * up: 10, 8, 5, 3, 0 -> slices 2, 3, 2, 3 */
	cr_assert_eq(pl.n, 4);
	cr_assert_eq(pl.tau_ns, S / 2);
	int64_t want[5] = { 10, 8, 5, 3, 0 };
	for (int j = 0; j <= 4; j++)
		cr_assert_eq(pl.hold[j], want[j], "hold[%d] %lld", j, (long long)pl.hold[j]);

	/* at the kill: slice 1 (10 -> 8), the next at +0.5 s */
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0, &fl, &next), 1);
	cr_assert_eq(fl.side, SELL);
	cr_assert_eq(fl.qty, 2);
	cr_assert_eq(fl.ord_type, MKT);
	cr_assert_eq(next, T0 + S / 2);
	t_fill(&st, &c, SELL, 1000, 2, 0, 0);
	/* filled: nothing more until +0.5 s */
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0 + S / 2 - 1, &fl, &next), 0);
	cr_assert_eq(next, T0 + S / 2);
	/* +0.5 s: 8 -> 5 */
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0 + S / 2, &fl, &next), 1);
	cr_assert_eq(fl.qty, 3);
	cr_assert_eq(next, T0 + S);
	/* late: at +1.2 s without the fill of slice 2, slice 3 is due too:
	 * 8 -> 3, 5 at once */
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0 + 12 * S / 10, &fl, &next), 1);
	cr_assert_eq(fl.qty, 5);
	cr_assert_eq(next, T0 + 3 * S / 2);
	/* capped by max_order_qty */
	c.max_order_qty = 4;
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0 + 12 * S / 10, &fl, &next), 1);
	cr_assert_eq(fl.qty, 4);
	/* the last slice (from +1.5 s on) flattens what is left */
	c.max_order_qty = 1000;
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0 + 3 * S / 2, &fl, &next), 1);
	cr_assert_eq(fl.qty, 8);
	cr_assert_eq(next, 0, "no slice after the last");
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0 + 100 * S, &fl, &next), 1);
	cr_assert_eq(fl.qty, 8);
	/* flat: nothing */
	t_fill(&st, &c, SELL, 1000, 8, 0, 0);
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0 + 100 * S, &fl, &next), 0);
}

Test(risk, flatten_plan_almgren_chriss_by_hand)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_flatten_plan pl;
	struct risk_order fl;
	const int64_t S = 1000000000LL;

	/* a short of 10 over 4 s in 4 slices (tau 1 s), eta 0.5 per contract
	 * of a slice (the paper's eta = 0.5 x tau = 0.5), gamma 0.2, sigma 1,
	 * lambda 0.3: eta~ 0.4, cosh(kappa) = 1.375, holdings 10 sinh(kappa
	 * (4 - j)) / sinh(4 kappa) = 10, 4.290, 1.798 (160 / 89), 0.654, 0
	 * (libcore/control test_ac works them) -> 10, 4, 2, 1, 0 */
	c.flatten_slices = 4;
	c.flatten_horizon_ns = 4 * S;
	c.flatten_eta = 0.5;
	c.flatten_gamma = 0.2;
	c.flatten_sigma = 1;
	c.flatten_lambda = 0.3;
	cr_assert_eq(risk_cfg_check(&c, NULL), 0);
	risk_init(&st, &c, &win);
	t_fill(&st, &c, SELL, 1000, 10, 0, 0);
	cr_assert_eq(risk_flatten_plan(&st, &c, T0, &pl), 0);
	int64_t want[5] = { -10, -4, -2, -1, 0 };
	for (int j = 0; j <= 4; j++)
		cr_assert_eq(pl.hold[j], want[j], "hold[%d] %lld", j, (long long)pl.hold[j]);
	/* front-loaded: 6 at the kill, a buy */
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0, &fl, NULL), 1);
	cr_assert_eq(fl.side, BUY);
	cr_assert_eq(fl.qty, 6);
	/* one slice: everything at once, as risk_flatten_order */
	c.flatten_slices = 1;
	cr_assert_eq(risk_flatten_plan(&st, &c, T0, &pl), 0);
	struct risk_order one;
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0, &fl, NULL), 1);
	cr_assert_eq(risk_flatten_order(&st, &c, &one), 1);
	cr_assert_eq(fl.qty, one.qty);
	cr_assert_eq(fl.side, one.side);
	/* the configuration's defaults (0 slices) are that too */
	c.flatten_slices = 0;
	cr_assert_eq(risk_flatten_plan(&st, &c, T0, &pl), 0);
	cr_assert_eq(pl.n, 1);
	cr_assert_eq(risk_flatten_due(&st, &c, &pl, T0, &fl, NULL), 1);
	cr_assert_eq(fl.qty, 10);
}

Test(risk, flatten_plan_settings_checked)
{
	struct risk_cfg c = t_cfg();
	const char *field = NULL;
	c.flatten_slices = 3; /* without a horizon */
	cr_assert_eq(risk_cfg_check(&c, &field), -EINVAL);
	cr_assert_str_eq(field, "kill_switch.flatten_horizon");
	c.flatten_horizon_ns = 1000000000LL;
	cr_assert_eq(risk_cfg_check(&c, NULL), 0);
	c.flatten_slices = AC_MAX_SLICES + 1;
	cr_assert_eq(risk_cfg_check(&c, &field), -EINVAL);
	cr_assert_str_eq(field, "kill_switch.flatten_slices");
	c.flatten_slices = 3;
	c.flatten_lambda = -1;
	cr_assert_eq(risk_cfg_check(&c, &field), -EINVAL);
	cr_assert_str_eq(field, "kill_switch.flatten_risk_aversion");
}

/* ------------------------------------------------------------ session, data */

Test(risk, session_open_close_holidays)
{
	/* 09:00-18:25 local = 12:00-21:25 UTC; Ash Wednesday opens 13:00 local */
	static const struct {
		const char *what;
		int y, mo, d, h, mi, s;
		int64_t plus_ns;
		uint32_t want;
	} rows[] = {
		{ "1 ns before the open", 2022, 1, 10, 11, 59, 59, T_S - 1, VOTE_R_SESSION },
		{ "at the open",          2022, 1, 10, 12,  0,  0, 0,       VOTE_R_APPROVED },
		{ "1 ns before close",    2022, 1, 10, 21, 24, 59, T_S - 1, VOTE_R_APPROVED },
		{ "at the close",         2022, 1, 10, 21, 25,  0, 0,       VOTE_R_SESSION },
		{ "Saturday",             2022, 1,  8, 15,  0,  0, 0,       VOTE_R_SESSION },
		{ "Tiradentes (Thu)",     2022, 4, 21, 15,  0,  0, 0,       VOTE_R_SESSION },
		{ "the day before",       2022, 4, 20, 15,  0,  0, 0,       VOTE_R_APPROVED },
		{ "Carnival Monday",      2022, 2, 28, 15,  0,  0, 0,       VOTE_R_SESSION },
		{ "Ash Wed 12:59:59",     2022, 3,  2, 15, 59, 59, 0,       VOTE_R_SESSION },
		{ "Ash Wed 13:00",        2022, 3,  2, 16,  0,  0, 0,       VOTE_R_APPROVED },
	};

	for (size_t i = 0; i < T_ARRAY_SIZE(rows); i++) {
		struct risk_cfg c = t_cfg();
		struct risk_state st;
		int64_t now = t_utc(rows[i].y, rows[i].mo, rows[i].d, rows[i].h, rows[i].mi,
				    rows[i].s) + rows[i].plus_ns;

		c.enforce_session = 1;
		risk_init(&st, &c, &win);
		risk_on_mark(&st, &c, 21680, now);
		assert_reason(t_check(&st, &c, BUY, 1, 21680, now), rows[i].want, "%s", rows[i].what);
		/* not enforced: the same instant passes */
		c.enforce_session = 0;
		assert_reason(t_check(&st, &c, BUY, 1, 21680, now), VOTE_R_APPROVED, "%s", rows[i].what);
	}

	/* enforced without a calendar: refused */
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_order o = t_ord(BUY, 1, 21680);

	c.enforce_session = 1;
	risk_init(&st, &c, &win);
	risk_on_mark(&st, &c, 21680, T0);
	assert_reason(risk_check_order(&st, &c, NULL, &o, T0), VOTE_R_SESSION, "");
	assert_reason(risk_check_order(&st, &c, &cal, &o, T0), VOTE_R_APPROVED, "");
}

Test(risk, stale_data_at_exactly_the_limit)
{
	static const struct { int64_t age_ns; uint32_t want; } rows[] = {
		{ 0, VOTE_R_APPROVED },
		{ 500 * T_MS - 1, VOTE_R_APPROVED },
		{ 500 * T_MS, VOTE_R_APPROVED },         /* exactly stale_data_ms old */
		{ 500 * T_MS + 1, VOTE_R_STALE_DATA },
		{ 10 * T_S, VOTE_R_STALE_DATA },
		{ -T_S, VOTE_R_APPROVED },              /* receive stamp ahead of now */
	};

	for (size_t i = 0; i < T_ARRAY_SIZE(rows); i++) {
		struct risk_cfg c = t_cfg();
		struct risk_state st;

		c.stale_data_ms = 500;
		risk_init(&st, &c, &win);
		risk_on_mark(&st, &c, 21680, T0);
		assert_reason(t_check(&st, &c, BUY, 1, 21680, T0 + rows[i].age_ns), rows[i].want,
			      "row %zu", i);
	}
}

Test(risk, no_book_and_one_sided_books)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;

	c.stale_data_ms = 500;
	risk_init(&st, &c, &win);
	assert_reason(t_check(&st, &c, BUY, 1, 0, T0), VOTE_R_NO_BOOK, "");
	cr_assert_eq(risk_on_book(&st, &c, 0, 21681, T0), -EINVAL);
	cr_assert_eq(risk_on_book(&st, &c, 21680, 0, T0), -EINVAL);
	cr_assert_eq(st.has_mark, 0);
	assert_reason(t_check(&st, &c, BUY, 1, 0, T0), VOTE_R_NO_BOOK, "");
	cr_assert_eq(risk_on_book(&st, &c, 21680, 21681, T0), 0);
	/* an empty side later neither moves the mark nor refreshes it */
	cr_assert_eq(risk_on_book(&st, &c, 21690, 0, T0 + T_S), -EINVAL);
	cr_assert_eq(st.mid_x2, 21680 + 21681);
	assert_reason(t_check(&st, &c, BUY, 1, 0, T0 + T_S), VOTE_R_STALE_DATA, "");
}

Test(risk, bad_orders)
{
	static const struct risk_order rows[] = {
		{ .px = 1000, .qty = 1, .side = 0, .ord_type = LMT },
		{ .px = 1000, .qty = 1, .side = 2, .ord_type = LMT },
		{ .px = 1000, .qty = 1, .side = -2, .ord_type = LMT },
		{ .px = 1000, .qty = 0, .side = BUY, .ord_type = LMT },
		{ .px = 1000, .qty = -1, .side = SELL, .ord_type = LMT },
		{ .px = 0, .qty = 1, .side = BUY, .ord_type = LMT },
		{ .px = -5, .qty = 1, .side = BUY, .ord_type = LMT },
		{ .px = 1000, .qty = 1, .side = BUY, .ord_type = MKT },
		{ .px = 1000, .qty = 1, .side = BUY, .ord_type = 0 },
		{ .px = 0, .qty = 1, .side = BUY, .ord_type = 3 },
	};
	struct risk_cfg c = t_cfg();
	struct risk_state st;

	risk_init(&st, &c, &win);
	risk_on_mark(&st, &c, 1000, T0);
	for (size_t i = 0; i < T_ARRAY_SIZE(rows); i++)
		assert_reason(risk_check_order(&st, &c, &cal, &rows[i], T0), VOTE_R_BAD_ORDER,
			      "row %zu", i);
	cr_assert_eq(st.rejected[VOTE_R_BAD_ORDER], T_ARRAY_SIZE(rows));
	assert_reason(t_check(&st, &c, SELL, 1, 0, T0), VOTE_R_APPROVED, "");
	assert_reason(t_check(&st, &c, SELL, 1, 1000, T0), VOTE_R_APPROVED, "");
}

/* ------------------------------------------------------------ check order */

/*
 * Every subset of the eleven rules broken at once: the answer is the
 * first broken rule in the documented order.  Each rule is broken by its
 * own lever, so the levers combine freely.
 */
enum { K_KILL, K_HALT, K_BAD, K_SESSION, K_NO_BOOK, K_STALE, K_QTY, K_REDUCING,
       K_POS, K_COLLAR, K_RATE, K_N };

static const uint32_t precedence[K_N] = {
	VOTE_R_KILL_SWITCH, VOTE_R_STATE_HALTED, VOTE_R_BAD_ORDER, VOTE_R_SESSION,
	VOTE_R_NO_BOOK, VOTE_R_STALE_DATA, VOTE_R_QTY_LIMIT, VOTE_R_REDUCING,
	VOTE_R_POS_LIMIT, VOTE_R_PRICE_COLLAR, VOTE_R_RATE_LIMIT,
};

Test(risk, check_order_every_combination)
{
	struct dm_config dc;
	struct calendar holiday;
	const int64_t now = T0;

	config_defaults(&dc);
	dc.instrument.holidays_extra[0] = cal_date(2022, 1, 10);
	dc.instrument.n_holidays_extra = 1;
	cr_assert_eq(cal_init(&holiday, &dc.instrument), 0);

	for (uint32_t m = 0; m < (1u << K_N); m++) {
		struct risk_cfg c = {
			.max_position = (m >> K_POS) & 1 ? 2 : 3, .max_order_qty = 5,
			.rate_per_s = 1, .rate_burst = 1, .collar_ticks = 4,
			.daily_loss_e6 = BRL(1000), .max_drawdown_e6 = BRL(500),
			.reducing_at_e6 = BRL(10), .stale_data_ms = 500,
			.enforce_session = 1, .kill_flatten = 0, .currency = "BRL",
		};
		const struct calendar *cl = (m >> K_SESSION) & 1 ? &holiday : &cal;
		struct risk_order o = t_ord(BUY, 1, 1000);
		struct risk_state st;
		uint32_t want = VOTE_R_APPROVED;

		cr_assert_eq(risk_cfg_check(&c, NULL), 0);
		risk_init(&st, &c, &win);
		if (!((m >> K_NO_BOOK) & 1))
			risk_on_mark(&st, &c, 1000, (m >> K_STALE) & 1 ? now - 500 * T_MS - 1 : now);
		t_fill(&st, &c, BUY, 1000, 1, 0, 0);
		if ((m >> K_RATE) & 1) {   /* spend the only token */
			struct risk_order d = t_ord(BUY, 1, 1000);
			risk_check_order(&st, &c, cl, &d, now);
		}
		/* the second contract's fee alone is a R$ 10 loss: REDUCING */
		t_fill(&st, &c, BUY, 1000, 1, (m >> K_REDUCING) & 1 ? 10000 : 0, 0);
		if ((m >> K_KILL) & 1)
			risk_kill(&st, &c, now, 1);
		if ((m >> K_HALT) & 1)
			risk_halt(&st, now);
		if ((m >> K_BAD) & 1)
			o.ord_type = 9;
		if ((m >> K_QTY) & 1)
			o.qty = 6;
		if ((m >> K_COLLAR) & 1)
			o.px = 1005;
		for (int k = 0; k < K_N; k++)
			if ((m >> k) & 1) {
				want = precedence[k];
				break;
			}
		assert_reason(risk_check_order(&st, &c, cl, &o, now), want, "mask 0x%03x", m);
	}
}

/* ------------------------------------------------------------ fills */

Test(risk, fill_deduplication)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_fill f = { .exec_id = 5, .client_order_id = 1, .px = 1000, .qty = 2,
			       .fee_e9 = MBRL(300), .side = BUY };

	risk_init(&st, &c, &win);
	cr_assert_eq(risk_on_order_open(&st, 1, BUY, 4), 0);
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 1);
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 0);           /* re-delivered */
	cr_assert_eq(st.position, 2);
	cr_assert_eq(st.fees_e9, MBRL(300));
	cr_assert_eq(st.open_buy, 2);
	cr_assert_eq(st.volume, 2);
	cr_assert_eq(st.fills, 1);
	cr_assert_eq(st.dup_fills, 1);

	/* exec_ids need not increase */
	f.exec_id = 3;
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 1);
	cr_assert_eq(st.position, 4);
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 0);
	f.exec_id = 5;
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 0);

	/* malformed */
	struct risk_fill bad = f;
	bad.exec_id = 0;
	cr_assert_eq(risk_on_fill(&st, &c, &bad, T0), -EINVAL);
	bad = f;
	bad.exec_id = 77;
	bad.side = 0;
	cr_assert_eq(risk_on_fill(&st, &c, &bad, T0), -EINVAL);
	bad.side = BUY;
	bad.qty = 0;
	cr_assert_eq(risk_on_fill(&st, &c, &bad, T0), -EINVAL);
	cr_assert_eq(st.position, 4);

	/* the window: exec 5 is remembered through RISK_EXEC_SEEN - 1 later
	 * fills (each buy then sell, position unchanged) */
	struct risk_fill g = { .px = 1000, .qty = 1 };
	for (uint64_t k = 0; k < RISK_EXEC_SEEN - 2; k++) {
		g.exec_id = 100 + k;
		g.side = k % 2 ? SELL : BUY;
		cr_assert_eq(risk_on_fill(&st, &c, &g, T0), 1);
	}
	f.exec_id = 5;
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 0);
	g.exec_id = 1;
	g.side = BUY;
	cr_assert_eq(risk_on_fill(&st, &c, &g, T0), 1);          /* overwrites exec 5 */
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 1);
}

Test(risk, fill_overflow_is_refused_unchanged)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st, before;
	struct risk_fill f = { .exec_id = 1, .px = INT64_MAX / 2, .qty = INT64_MAX / 2,
			       .side = BUY };

	risk_init(&st, &c, &win);
	before = st;
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), -ERANGE);
	cr_assert_eq(memcmp(&st, &before, sizeof(st)), 0);
	f.px = 1000;
	f.qty = INT64_MAX / 1000;   /* qty x px x 10^9 fits 128 bits, not 64 */
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), -ERANGE);
	cr_assert_eq(memcmp(&st, &before, sizeof(st)), 0);
}

/* ------------------------------------------------------------ P&L */

Test(risk, pnl_hand_computed_win_sequence_with_fees_and_a_flip)
{
	/* WIN, R$ 1.00 per tick per contract.  By hand:
	 *   buy  2 @ 21680, fee 1.50   pos  2  avg 21680
	 *   buy  1 @ 21683, fee 0.75   pos  3  avg (2x21680 + 21683)/3 = 21681
	 *   sell 1 @ 21690, fee 0.75   realized (21690 - 21681) x 1 = 9.00; pos 2 avg 21681
	 *   sell 5 @ 21685, fee 3.75   closes 2: (21685 - 21681) x 2 = 8.00 -> 17.00
	 *                              opens short 3 @ 21685
	 *   mark 21682 / 21684        unrealized (21685 - 21683) x 3 = 6.00
	 *                              fees 6.75, net 17 + 6 - 6.75 = 16.25
	 *   buy  3 @ 21687, fee 2.25   realized (21685 - 21687) x 3 = -6 -> 11.00
	 *                              flat; fees 9.00; net 2.00 */
	static const struct {
		int side;
		int64_t px, qty, fee;
		int64_t pos, realized, fees;
		double avg;
	} steps[] = {
		{ BUY,  21680, 2, 1500,  2,     0, 1500, 21680 },
		{ BUY,  21683, 1,  750,  3,     0, 2250, 21681 },
		{ SELL, 21690, 1,  750,  2,  9000, 3000, 21681 },
		{ SELL, 21685, 5, 3750, -3, 17000, 6750, 21685 },
	};
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_pnl p;

	risk_init(&st, &c, &win);
	cr_assert_eq(st.tick_value_e9, 1000000000);
	for (size_t i = 0; i < T_ARRAY_SIZE(steps); i++) {
		t_fill(&st, &c, steps[i].side, steps[i].px, steps[i].qty, steps[i].fee, 0);
		risk_pnl(&st, &p);
		cr_assert_eq(st.position, steps[i].pos, "step %zu", i);
		cr_assert_eq(p.realized_e9, MBRL(steps[i].realized), "step %zu", i);
		cr_assert_eq(p.fees_e9, MBRL(steps[i].fees), "step %zu", i);
		cr_assert_eq(p.unrealized_e9, 0, "no mark yet: at cost");
		cr_assert_float_eq(risk_avg_px(&st), steps[i].avg, 1e-9, "step %zu", i);
	}
	cr_assert_eq(risk_on_book(&st, &c, 21682, 21684, T0), 0);
	risk_pnl(&st, &p);
	cr_assert_eq(p.unrealized_e9, MBRL(6000));
	cr_assert_eq(p.net_e9, MBRL(16250));
	cr_assert_eq(p.peak_e9, MBRL(16250));
	t_fill(&st, &c, BUY, 21687, 3, 2250, 0);
	risk_pnl(&st, &p);
	cr_assert_eq(st.position, 0);
	cr_assert_eq(st.open_cost_e9, 0);
	cr_assert_eq(risk_avg_px(&st), 0);
	cr_assert_eq(p.realized_e9, MBRL(11000));
	cr_assert_eq(p.unrealized_e9, MBRL(0));
	cr_assert_eq(p.fees_e9, MBRL(9000));
	cr_assert_eq(p.net_e9, MBRL(2000));
	cr_assert_eq(p.peak_e9, MBRL(16250));
	cr_assert_eq(p.drawdown_e9, MBRL(14250));
	cr_assert_eq(st.volume, 12);
}

Test(risk, pnl_fractional_average_and_half_tick_mark)
{
	/* buy 1 @ 100, buy 1 @ 101: avg 100.5; sell 1 @ 103: +2.50;
	 * mark 102 / 103 (102.5): the other one is up 2.00 */
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_pnl p;

	risk_init(&st, &c, &win);
	t_fill(&st, &c, BUY, 100, 1, 0, 0);
	t_fill(&st, &c, BUY, 101, 1, 0, 0);
	cr_assert_float_eq(risk_avg_px(&st), 100.5, 1e-12);
	t_fill(&st, &c, SELL, 103, 1, 0, 0);
	cr_assert_float_eq(risk_avg_px(&st), 100.5, 1e-12);
	risk_on_book(&st, &c, 102, 103, T0);
	risk_pnl(&st, &p);
	cr_assert_eq(p.realized_e9, MBRL(2500));
	cr_assert_eq(p.unrealized_e9, MBRL(2000));
	cr_assert_eq(p.net_e9, MBRL(4500));

	/* a short flipped long through zero in one fill */
	risk_init(&st, &c, &win);
	t_fill(&st, &c, SELL, 200, 2, 0, 0);
	t_fill(&st, &c, BUY, 190, 5, 0, 0);     /* +10 x 2 = 20; long 3 @ 190 */
	risk_on_mark(&st, &c, 191, T0);
	risk_pnl(&st, &p);
	cr_assert_eq(st.position, 3);
	cr_assert_float_eq(risk_avg_px(&st), 190, 1e-12);
	cr_assert_eq(p.realized_e9, MBRL(20000));
	cr_assert_eq(p.unrealized_e9, MBRL(3000));
}

/* A second contract: R$ 10 a point, 0.5-point tick = R$ 5 per tick. */
Test(risk, pnl_uses_the_instruments_tick_value)
{
	struct dm_config dc;
	struct instrument wdo;
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_pnl p;

	config_defaults(&dc);
	dc.instrument.tick_size_e6 = 500000;
	dc.instrument.point_value_e6 = 10 * CFG_DEC_SCALE;
	dc.instrument.price_decimals = 3;
	cr_assert_eq(instr_init(&wdo, &dc.instrument), 0);
	risk_init(&st, &c, &wdo);
	cr_assert_eq(st.tick_value_e9, 5000000000);
	t_fill(&st, &c, SELL, 10000, 2, 0, 0);
	risk_on_book(&st, &c, 9996, 9997, T0);     /* 3.5 ticks x 2 x R$ 5 = 35 */
	risk_pnl(&st, &p);
	cr_assert_eq(p.unrealized_e9, MBRL(35000));
}

/*
 * Random fills against two naive books: a cash ledger (net P&L is cash +
 * position x mark - fees, whatever the accounting method) must agree to the
 * 10^-9 real, and a floating-point average-cost book must agree on the
 * realized P&L within the 10^-9 BRL truncation of each partial close.
 */
Test(risk, pnl_matches_naive_books_over_random_fills)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_pnl p;
	struct t_rng g;
	double avg = 0, realized = 0;
	int64_t cash = 0, fees = 0, pos = 0, closes = 0;

	t_rng_seed(&g, 20220110);
	risk_init(&st, &c, &win);
	for (int i = 0; i < 20000; i++) {
		int side = t_rng_below(&g, 2) ? BUY : SELL;
		int64_t qty = 1 + (int64_t)t_rng_below(&g, 7);
		int64_t px = 21000 + (int64_t)t_rng_below(&g, 400);
		int64_t fee = (int64_t)t_rng_below(&g, 1000);
		int64_t mark2 = 2 * 21000 + (int64_t)t_rng_below(&g, 800);
		struct risk_fill f = { .exec_id = 1 + (uint64_t)i, .px = px, .qty = qty,
				       .fee_e9 = MBRL(fee), .side = side };

		cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 1);
		/* naive average cost, in ticks */
		int64_t d = side * qty;
		if (pos == 0 || (pos > 0) == (d > 0)) {
			avg = (avg * (double)llabs(pos) + (double)px * (double)qty) /
			      (double)(llabs(pos) + qty);
		} else {
			int64_t closed = qty < llabs(pos) ? qty : llabs(pos);
			realized += ((double)px - avg) * (double)closed * (pos > 0 ? 1 : -1);
			closes++;
			if (qty > llabs(pos))
				avg = (double)px;
		}
		pos += d;
		if (pos == 0)
			avg = 0;
		cash -= d * px * 1000;
		fees += fee;

		cr_assert_eq(risk_on_book(&st, &c, mark2 / 2, mark2 - mark2 / 2, T0), 0);
		risk_pnl(&st, &p);
		cr_assert_eq(st.position, pos);
		/* cash + pos x mid x 1000 - fees (mbrl), mid = mark2 / 2 */
		cr_assert_eq(p.net_e9, MBRL(cash + pos * mark2 * 500 - fees), "fill %d", i);
		/* realized in ticks x 10^9 BRL a tick; the double has ~16
		 * digits, so allow its rounding beside the truncations */
		cr_assert(fabs((double)p.realized_e9 - realized * 1e9) <=
			  (double)closes + fabs(realized) * 1e9 * 1e-12 + 1e-6,
			  "fill %d: realized %lld, naive %.3f", i, (long long)p.realized_e9,
			  realized * 1e9);
		/* the same bound on the open cost, avg x |pos| x 10^9 */
		if (pos)
			cr_assert(fabs(risk_avg_px(&st) - avg) * (double)llabs(pos) * 1e9 <=
				  (double)closes + avg * (double)llabs(pos) * 1e9 * 1e-12 + 1e-6,
				  "fill %d: avg %.9f vs %.9f", i, risk_avg_px(&st), avg);
	}
}

Test(risk, day_start_rebases_at_the_mark)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_pnl p;

	c.reducing_at_e6 = BRL(15);
	c.daily_loss_e6 = BRL(100);
	risk_init(&st, &c, &win);
	t_fill(&st, &c, BUY, 1000, 2, 700, 0);
	risk_on_mark(&st, &c, 990, T0);                 /* -20 - 0.7 */
	cr_assert_eq(st.state, RISK_REDUCING);
	cr_assert_eq(t_net(&st), MBRL(-20700));

	risk_day_start(&st, &c, T0 + T_S);
	risk_pnl(&st, &p);
	cr_assert_eq(st.state, RISK_ACTIVE);
	cr_assert_eq(st.day_start_ns, T0 + T_S);
	cr_assert_eq(st.position, 2);
	cr_assert_float_eq(risk_avg_px(&st), 990, 1e-12);
	cr_assert_eq(p.realized_e9, MBRL(0));
	cr_assert_eq(p.fees_e9, MBRL(0));
	cr_assert_eq(p.unrealized_e9, MBRL(0));
	cr_assert_eq(p.peak_e9, MBRL(0));
	risk_on_mark(&st, &c, 995, T0 + 2 * T_S);        /* +5 x 2 */
	cr_assert_eq(t_net(&st), MBRL(10000));
	t_fill(&st, &c, SELL, 996, 2, 0, 0);
	risk_pnl(&st, &p);
	cr_assert_eq(p.realized_e9, MBRL(12000));

	/* half-tick mark at the day start: cost exact in 10^-9 BRL */
	risk_init(&st, &c, &win);
	t_fill(&st, &c, SELL, 1000, 3, 0, 0);
	risk_on_book(&st, &c, 1000, 1001, T0);
	risk_day_start(&st, &c, T0);
	cr_assert_float_eq(risk_avg_px(&st), 1000.5, 1e-12);
	t_fill(&st, &c, BUY, 1000, 3, 0, 0);
	risk_pnl(&st, &p);
	cr_assert_eq(p.realized_e9, MBRL(1500));
}

/* The run's P&L survives day starts: whatever days the fills fall in,
 * run_gross is the cash of every fill plus the position at the mark (what
 * the venue's own fill sums give) and run_fees every fee, while the day's
 * figures start again at each day start. */
Test(risk, run_totals_span_day_starts)
{
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_pnl p;
	struct t_rng g;
	int64_t cash = 0, fees = 0, pos = 0, day_fees = 0, days = 0;

	t_rng_seed(&g, 20240808);
	risk_init(&st, &c, &win);
	for (int i = 0; i < 5000; i++) {
		int side = t_rng_below(&g, 2) ? BUY : SELL;
		int64_t qty = 1 + (int64_t)t_rng_below(&g, 5);
		int64_t px = 21000 + (int64_t)t_rng_below(&g, 400);
		int64_t fee = (int64_t)t_rng_below(&g, 1000);
		int64_t mark2 = 2 * 21000 + (int64_t)t_rng_below(&g, 800);
		struct risk_fill f = { .exec_id = 1 + (uint64_t)i, .px = px, .qty = qty,
				       .fee_e9 = MBRL(fee), .side = side };

		cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 1);
		pos += side * qty;
		cash -= side * qty * px * 1000;
		fees += fee;
		day_fees += fee;
		cr_assert_eq(risk_on_book(&st, &c, mark2 / 2, mark2 - mark2 / 2, T0), 0);
		if (t_rng_below(&g, 50) == 0) {
			risk_day_start(&st, &c, T0 + (int64_t)i);
			day_fees = 0;
			days++;
		}
		risk_pnl(&st, &p);
		/* cash + pos x mid (mid = mark2 / 2, 1000 mbrl a tick), mbrl */
		cr_assert_eq(p.run_gross_e9, MBRL(cash + pos * mark2 * 500), "fill %d", i);
		cr_assert_eq(p.run_fees_e9, MBRL(fees), "fill %d", i);
		cr_assert_eq(p.fees_e9, MBRL(day_fees), "fill %d: the day's fees", i);
	}
	cr_assert_gt(days, 50, "the walk crossed many days (%lld)", (long long)days);
}

/* ------------------------------------------------------------ state memory */

Test(risk, state_is_plain_memory)
{
	/* a copy taken mid-run (as a restarted process finds it) goes on
	 * exactly like the original */
	struct risk_cfg c = t_cfg();
	struct risk_state a, *b = malloc(sizeof(*b));

	cr_assert(b);
	c.rate_per_s = 2;
	c.rate_burst = 2;
	risk_init(&a, &c, &win);
	risk_on_mark(&a, &c, 1000, T0);
	t_fill(&a, &c, BUY, 1000, 2, 10, 0);
	cr_assert_eq(risk_on_order_open(&a, 9, SELL, 1), 0);
	assert_reason(t_check(&a, &c, BUY, 1, 1000, T0), VOTE_R_APPROVED, "");
	memcpy(b, &a, sizeof(a));
	for (int i = 0; i < 4; i++) {
		int64_t at = T0 + i * 300 * T_MS;
		cr_assert_eq(t_check(&a, &c, SELL, 1, 1000, at), t_check(b, &c, SELL, 1, 1000, at));
	}
	cr_assert_eq(memcmp(&a, b, sizeof(a)), 0);
	cr_assert_eq(a.checks, 5);
	free(b);
}

/* ------------------------------------------------------------ other currencies */

/* An instrument from a configuration's instrument section. */
static void t_instr(struct instrument *in, const char *currency, int64_t tick_e6,
		    uint32_t decimals, int64_t point_value_e6, int64_t lot_e6)
{
	struct dm_config dc;

	config_defaults(&dc);
	strcpy(dc.instrument.currency, currency);
	dc.instrument.tick_size_e6 = tick_e6;
	dc.instrument.price_decimals = decimals;
	dc.instrument.point_value_e6 = point_value_e6;
	dc.instrument.lot_size_e6 = lot_e6;
	cr_assert_eq(instr_init(in, &dc.instrument), 0);
}

/*
 * Binance spot BTCUSDT: tick 0.01 USDT, lot 0.00001 BTC, so one tick of one
 * lot is 0.01 x 0.00001 = 0.0000001 USDT = 100 x 10^-9.  Long 3 lots at
 * 61700.00 (6170000 ticks), marked at 61701.23 / 61701.24 (mid 61701.235):
 * up 123.5 ticks x 3 lots x 100 = 37050 x 10^-9 USDT; fees 0.000617 USDT a
 * lot are 617000 x 10^-9 each.
 */
Test(risk, usdt_spot_pnl_is_exact_in_its_currency)
{
	struct instrument btc;
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_pnl p;

	t_instr(&btc, "USDT", 10000, 2, 10, 10);
	cr_assert_eq(btc.tick_value_e9, 100);
	strcpy(c.currency, "USDT");
	risk_init(&st, &c, &btc);
	cr_assert_str_eq(st.currency, "USDT");
	struct risk_fill f = { .exec_id = 1, .px = 6170000, .qty = 3,
			       .fee_e9 = 3 * 617000, .side = BUY };
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 1);
	cr_assert_eq(risk_on_book(&st, &c, 6170123, 6170124, T0), 0);
	risk_pnl(&st, &p);
	cr_assert_eq(p.unrealized_e9, 37050);
	cr_assert_eq(p.fees_e9, 1851000);
	cr_assert_eq(p.net_e9, 37050 - 1851000);
	/* sell them at 61702.00: 200 ticks x 3 x 100 */
	f = (struct risk_fill){ .exec_id = 2, .px = 6170200, .qty = 3, .side = SELL };
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 1);
	risk_pnl(&st, &p);
	cr_assert_eq(p.realized_e9, 60000);
	cr_assert_eq(p.unrealized_e9, 0);
}

/*
 * A limit in USDT is compared in USDT: daily loss 0.000001 USDT (the
 * smallest limit, 1000 x 10^-9) on USD-M BTCUSDT (tick 0.1 x lot 0.001 =
 * 0.0001 USDT a tick = 10^5 x 10^-9): a 1-tick loss on 1 lot is 100 times
 * the limit and halts; a loss of 0.0000009 USDT in fees alone does not.
 */
Test(risk, limits_apply_in_the_instruments_currency)
{
	struct instrument usdm;
	struct risk_cfg c = t_cfg();
	struct risk_state st;

	t_instr(&usdm, "USDT", 100000, 1, 1000, 1000);
	cr_assert_eq(usdm.tick_value_e9, 100000);
	strcpy(c.currency, "USDT");
	c.daily_loss_e6 = 1;
	risk_init(&st, &c, &usdm);
	struct risk_fill f = { .exec_id = 1, .px = 617000, .qty = 1, .fee_e9 = 900,
			       .side = BUY };
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 1);
	cr_assert_eq(risk_on_mark(&st, &c, 617000, T0), 0);
	cr_assert_eq(st.state, RISK_ACTIVE, "0.0000009 USDT is within 0.000001");
	cr_assert_eq(risk_on_mark(&st, &c, 616999, T0), 0);
	cr_assert_eq(t_net(&st), -100000 - 900);
	cr_assert_eq(st.state, RISK_HALTED);
	cr_assert_eq(st.halt_reason, VOTE_R_DAILY_LOSS);
}

/* An odd tick value (1 x 10^-9) and a half-tick mark: the open P&L is
 * truncated toward zero by half a unit, never more. */
Test(risk, odd_tick_value_half_tick_mark)
{
	struct instrument tiny;
	struct risk_cfg c = t_cfg();
	struct risk_state st;
	struct risk_pnl p;

	/* tick 0.000001 x point value 0.001 = 10^-9 */
	t_instr(&tiny, "USDT", 1, 6, 1000, 1000000);
	cr_assert_eq(tiny.tick_value_e9, 1);
	strcpy(c.currency, "USDT");
	risk_init(&st, &c, &tiny);
	struct risk_fill f = { .exec_id = 1, .px = 100, .qty = 1, .side = BUY };
	cr_assert_eq(risk_on_fill(&st, &c, &f, T0), 1);
	cr_assert_eq(risk_on_book(&st, &c, 102, 103, T0), 0);    /* mid 102.5: +2.5 units */
	risk_pnl(&st, &p);
	cr_assert_eq(p.unrealized_e9, 2);
	cr_assert_eq(risk_on_book(&st, &c, 102, 102, T0), 0);
	risk_pnl(&st, &p);
	cr_assert_eq(p.unrealized_e9, 2);
}

Test(risk, cfg_check_wants_a_currency)
{
	struct risk_cfg c = t_cfg();
	const char *field = NULL;

	memset(c.currency, 0, sizeof(c.currency));
	cr_assert_eq(risk_cfg_check(&c, &field), -EINVAL);
	cr_assert_str_eq(field, "currency");
	strcpy(c.currency, "usd");
	cr_assert_eq(risk_cfg_check(&c, &field), -EINVAL);
	strcpy(c.currency, "USD");
	cr_assert_eq(risk_cfg_check(&c, &field), 0);
}
