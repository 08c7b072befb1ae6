/*
 * test_instrument.c — points, ticks and money (currency x 10^9).
 *
 * Expected values are worked by hand from the contract specifications
 * (WIN: 5-point tick, R$ 0.20 a point; a WDO-like contract: 0.5-point tick,
 * R$ 10 a point, prices with 3 decimals), recomputed naively with floating
 * point over a range, or read from real WING22 bars in tests/data.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "libcore/config/config.h"
#include "libcore/market/instrument.h"

#define T_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* The hand-worked amounts below are in centavos; money is BRL x 10^9. */
#define CENTS(x) ((int64_t)(x) * 10000000)

static void t_win(struct instrument *in)
{
	struct dm_config c;

	config_defaults(&c);
	cr_assert_eq(instr_init(in, &c.instrument), 0);
}

/* Tick 0.5 points, R$ 10 a point, prices quoted with 3 decimals. */
static void t_wdo(struct instrument *in)
{
	struct dm_config c;

	config_defaults(&c);
	strcpy(c.instrument.symbol, "WDO");
	c.instrument.tick_size_e6 = 500000;
	c.instrument.point_value_e6 = 10 * CFG_DEC_SCALE;
	c.instrument.price_decimals = 3;
	cr_assert_eq(instr_init(in, &c.instrument), 0);
}

Test(instrument, win_from_default_config)
{
	struct instrument in;

	t_win(&in);
	cr_assert_str_eq(in.symbol, "WIN");
	cr_assert_eq(in.price_decimals, 0);
	cr_assert_eq(in.pts_scale, 1);
	cr_assert_eq(in.tick_pts, 5);
	cr_assert_eq(in.tick_value_e9, CENTS(100));   /* 5 x R$ 0.20 = R$ 1.00 */
	cr_assert_eq(in.point_value_e6, 200000);
	cr_assert_eq(in.lot_size_e6, 1000000);
	cr_assert_str_eq(in.currency, "BRL");
}

Test(instrument, wdo_like_from_config)
{
	struct instrument in;

	t_wdo(&in);
	cr_assert_eq(in.pts_scale, 1000);
	cr_assert_eq(in.tick_pts, 500);           /* 0.500 */
	cr_assert_eq(in.tick_value_e9, CENTS(500));   /* 0.5 x R$ 10 = R$ 5.00 */
}

Test(instrument, init_refuses_inconsistent_settings)
{
	struct dm_config c;
	struct cfg_instrument bad;
	struct instrument in;

	config_defaults(&c);
	bad = c.instrument;
	bad.tick_size_e6 = 500000;            /* 0.5 point, whole-point prices */
	cr_assert_eq(instr_init(&in, &bad), -EINVAL);
	bad = c.instrument;                   /* 0.000001 x R$ 0.000001 = 10^-12 */
	bad.tick_size_e6 = 1;
	bad.price_decimals = 6;
	bad.point_value_e6 = 1;
	cr_assert_eq(instr_init(&in, &bad), -EINVAL);
	bad.point_value_e6 = 1000;            /* x R$ 0.001 = 10^-9: one unit */
	cr_assert_eq(instr_init(&in, &bad), 0);
	cr_assert_eq(in.tick_value_e9, 1);
	bad = c.instrument;
	bad.point_value_e6 = 1000;            /* 5 x R$ 0.001 = R$ 0.005, exact now */
	cr_assert_eq(instr_init(&in, &bad), 0);
	cr_assert_eq(in.tick_value_e9, 5000000);
	bad = c.instrument;
	bad.lot_size_e6 = 0;
	cr_assert_eq(instr_init(&in, &bad), -EINVAL);
	bad = c.instrument;
	strcpy(bad.currency, "");
	cr_assert_eq(instr_init(&in, &bad), -EINVAL);
	strcpy(bad.currency, "brl");
	cr_assert_eq(instr_init(&in, &bad), -EINVAL);
	bad = c.instrument;    /* 100000 x 1000000 = 10^11 a tick: 10^20 units, beyond int64 */
	bad.tick_size_e6 = 100000LL * CFG_DEC_SCALE;
	bad.point_value_e6 = 1000000LL * CFG_DEC_SCALE;
	cr_assert_eq(instr_init(&in, &bad), -EINVAL);
	bad.point_value_e6 = 1000LL * CFG_DEC_SCALE;   /* 10^8 a tick: 10^17 units */
	cr_assert_eq(instr_init(&in, &bad), 0);
	cr_assert_eq(in.tick_value_e9, 100000000000000000LL);
	bad = c.instrument;
	bad.price_decimals = 7;
	cr_assert_eq(instr_init(&in, &bad), -EINVAL);
	bad = c.instrument;
	bad.tick_size_e6 = 0;
	cr_assert_eq(instr_init(&in, &bad), -EINVAL);
	bad = c.instrument;
	bad.point_value_e6 = -200000;
	cr_assert_eq(instr_init(&in, &bad), -EINVAL);
	/* 3 decimals take a 0.001 tick */
	bad = c.instrument;
	bad.tick_size_e6 = 1000;
	bad.point_value_e6 = 10 * CFG_DEC_SCALE;   /* 0.001 x R$ 10 = 1 centavo */
	bad.price_decimals = 3;
	cr_assert_eq(instr_init(&in, &bad), 0);
	cr_assert_eq(in.tick_pts, 1);
	cr_assert_eq(in.tick_value_e9, CENTS(1));
}

/* ------------------------------------------------------------ points <-> ticks */

Test(instrument, exact_conversion_needs_the_grid)
{
	struct instrument in;
	dm_ticks_t t = 777;

	t_win(&in);
	cr_assert_eq(instr_pts_to_ticks(&in, 108400, INSTR_EXACT, &t), 0);
	cr_assert_eq(t, 21680);
	cr_assert_eq(instr_pts_to_ticks(&in, -25, INSTR_EXACT, &t), 0);
	cr_assert_eq(t, -5);
	cr_assert_eq(instr_pts_to_ticks(&in, 0, INSTR_EXACT, &t), 0);
	cr_assert_eq(t, 0);
	t = 777;
	cr_assert_eq(instr_pts_to_ticks(&in, 108402, INSTR_EXACT, &t), -EDOM);
	cr_assert_eq(instr_pts_to_ticks(&in, -1, INSTR_EXACT, &t), -EDOM);
	cr_assert_eq(t, 777, "untouched on error");
	cr_assert_eq(instr_pts_to_ticks(&in, 3, (enum instr_round)42, &t), -EINVAL);
	cr_assert_eq(instr_pts_to_ticks(&in, 5, (enum instr_round)42, &t), 0,
	             "an on-grid price needs no rounding");
}

/* Hand-worked, tick 5: 108402 lies 2/5 above 108400, 108403 3/5. */
Test(instrument, rounding_modes_by_hand)
{
	static const struct { int64_t pts; dm_ticks_t floor, ceil, nearest; } t[] = {
		{ 108400, 21680, 21680, 21680 },
		{ 108401, 21680, 21681, 21680 },
		{ 108402, 21680, 21681, 21680 },
		{ 108403, 21680, 21681, 21681 },
		{ 108404, 21680, 21681, 21681 },
		{     -1,    -1,     0,     0 },   /* -0.2 tick */
		{     -2,    -1,     0,     0 },   /* -0.4 */
		{     -3,    -1,     0,    -1 },   /* -0.6 */
		{     -7,    -2,    -1,    -1 },   /* -1.4 */
	};
	struct instrument in;

	t_win(&in);
	for (size_t i = 0; i < T_ARRAY_SIZE(t); i++) {
		dm_ticks_t f, c, n;

		cr_assert_eq(instr_pts_to_ticks(&in, t[i].pts, INSTR_FLOOR, &f), 0);
		cr_assert_eq(instr_pts_to_ticks(&in, t[i].pts, INSTR_CEIL, &c), 0);
		cr_assert_eq(instr_pts_to_ticks(&in, t[i].pts, INSTR_NEAREST, &n), 0);
		cr_assert_eq(f, t[i].floor, "floor %ld", (long)t[i].pts);
		cr_assert_eq(c, t[i].ceil, "ceil %ld", (long)t[i].pts);
		cr_assert_eq(n, t[i].nearest, "nearest %ld", (long)t[i].pts);
	}
}

static void t_tick_10(struct instrument *in)
{
	struct dm_config c;

	config_defaults(&c);
	c.instrument.tick_size_e6 = 10 * CFG_DEC_SCALE;
	cr_assert_eq(instr_init(in, &c.instrument), 0);
}

/* An even tick has exact halves: they go up (toward +infinity). */
Test(instrument, nearest_halves_go_up)
{
	struct instrument in;
	dm_ticks_t t;

	t_tick_10(&in);
	cr_assert_eq(instr_pts_to_ticks(&in, 15, INSTR_NEAREST, &t), 0);
	cr_assert_eq(t, 2);
	cr_assert_eq(instr_pts_to_ticks(&in, -15, INSTR_NEAREST, &t), 0);
	cr_assert_eq(t, -1);
	cr_assert_eq(instr_pts_to_ticks(&in, 14, INSTR_NEAREST, &t), 0);
	cr_assert_eq(t, 1);
	cr_assert_eq(instr_pts_to_ticks(&in, -16, INSTR_NEAREST, &t), 0);
	cr_assert_eq(t, -2);
}

/* Against floor(), ceil() and floor(x + 0.5) of the exact quotient in
 * double (exact here: |pts| < 2^53). */
static void t_against_libm(const struct instrument *in)
{
	for (int64_t pts = -2000; pts <= 2000; pts++) {
		double q = (double)pts / (double)in->tick_pts;
		dm_ticks_t f, c, n, e;
		int rc;

		cr_assert_eq(instr_pts_to_ticks(in, pts, INSTR_FLOOR, &f), 0);
		cr_assert_eq(instr_pts_to_ticks(in, pts, INSTR_CEIL, &c), 0);
		cr_assert_eq(instr_pts_to_ticks(in, pts, INSTR_NEAREST, &n), 0);
		cr_assert_eq(f, (dm_ticks_t)floor(q), "floor %ld", (long)pts);
		cr_assert_eq(c, (dm_ticks_t)ceil(q), "ceil %ld", (long)pts);
		cr_assert_eq(n, (dm_ticks_t)floor(q + 0.5), "nearest %ld", (long)pts);
		rc = instr_pts_to_ticks(in, pts, INSTR_EXACT, &e);
		cr_assert_eq(rc, floor(q) == q ? 0 : -EDOM, "exact %ld", (long)pts);
	}
}

Test(instrument, rounding_matches_libm)
{
	struct instrument in;

	t_win(&in);
	t_against_libm(&in);
	t_tick_10(&in);
	t_against_libm(&in);
	t_wdo(&in);
	t_against_libm(&in);
}

Test(instrument, extremes_do_not_wrap)
{
	struct instrument in;
	dm_ticks_t t;
	int64_t pts;

	t_win(&in);
	cr_assert_eq(instr_pts_to_ticks(&in, INT64_MIN, INSTR_FLOOR, &t), 0);
	cr_assert_eq(t, INT64_MIN / 5 - 1);   /* INT64_MIN = -5 * (2^63 / 5) - 3 */
	cr_assert_eq(instr_pts_to_ticks(&in, INT64_MAX, INSTR_CEIL, &t), 0);
	cr_assert_eq(t, INT64_MAX / 5 + 1);
	cr_assert_eq(instr_ticks_to_pts(&in, 21680, &pts), 0);
	cr_assert_eq(pts, 108400);
	cr_assert_eq(instr_ticks_to_pts(&in, INT64_MAX / 5, &pts), 0);
	cr_assert_eq(instr_ticks_to_pts(&in, INT64_MAX / 5 + 1, &pts), -ERANGE);
	cr_assert_eq(instr_ticks_to_pts(&in, INT64_MIN / 5 - 1, &pts), -ERANGE);
}

/* ------------------------------------------------------------ money */

Test(instrument, ticks_to_money)
{
	struct instrument in;
	int64_t e9;

	t_win(&in);
	cr_assert_eq(instr_ticks_to_money(&in, 1, &e9), 0);
	cr_assert_eq(e9, CENTS(100));         /* R$ 1.00 per tick */
	cr_assert_eq(instr_ticks_to_money(&in, 20, &e9), 0);
	cr_assert_eq(e9, CENTS(2000));        /* 100 points x R$ 0.20 = R$ 20 */
	cr_assert_eq(instr_ticks_to_money(&in, -3, &e9), 0);
	cr_assert_eq(e9, CENTS(-300));
	cr_assert_eq(instr_ticks_to_money(&in, INT64_MAX / 1000000000 + 1, &e9), -ERANGE);
	t_wdo(&in);
	cr_assert_eq(instr_ticks_to_money(&in, 2, &e9), 0);
	cr_assert_eq(e9, CENTS(1000));        /* 1 point x R$ 10 */
}

/*
 * One tick of one lot of every bundled instrument is a whole number of
 * 10^-9 of its currency (by hand: tick x point value per lot):
 *   AAPL       0.01 USD x 1            = 0.01 USD       = 10^7
 *   BTCUSDT    0.01 USDT x 0.00001     = 0.0000001 USDT = 100
 *   USD-M      0.1 USDT x 0.001        = 0.0001 USDT    = 10^5
 */
Test(instrument, tick_values_of_other_currencies)
{
	static const struct {
		const char *currency;
		int64_t tick_e6, pv_e6, lot_e6;
		uint32_t decimals;
		int64_t want_e9;
	} t[] = {
		{ "USD", 10000, 1000000, 1000000, 2, 10000000 },
		{ "USDT", 10000, 10, 10, 2, 100 },
		{ "USDT", 100000, 1000, 1000, 1, 100000 },
	};
	for (size_t i = 0; i < T_ARRAY_SIZE(t); i++) {
		struct dm_config c;
		struct instrument in;
		int64_t e9;

		config_defaults(&c);
		strcpy(c.instrument.currency, t[i].currency);
		c.instrument.tick_size_e6 = t[i].tick_e6;
		c.instrument.point_value_e6 = t[i].pv_e6;
		c.instrument.lot_size_e6 = t[i].lot_e6;
		c.instrument.price_decimals = t[i].decimals;
		cr_assert_eq(instr_init(&in, &c.instrument), 0, "row %zu", i);
		cr_assert_str_eq(in.currency, t[i].currency);
		cr_assert_eq(in.tick_value_e9, t[i].want_e9, "row %zu", i);
		cr_assert_eq(in.lot_size_e6, t[i].lot_e6);
		/* long 7 lots, up 3 ticks */
		cr_assert_eq(instr_pnl_e9(&in, 7, 1000, 1003, &e9), 0);
		cr_assert_eq(e9, 21 * t[i].want_e9, "row %zu", i);
	}
}

Test(instrument, money_format_is_exact)
{
	static const struct { int64_t e9; const char *want; } t[] = {
		{ 0, "0.00" },
		{ 1000000000, "1.00" },
		{ 1500000000, "1.50" },
		{ -256100000, "-0.2561" },
		{ 100, "0.0000001" },
		{ -1, "-0.000000001" },
		{ 123456789012345678, "123456789.012345678" },
		{ INT64_MIN, "-9223372036.854775808" },
	};
	char buf[64];

	for (size_t i = 0; i < T_ARRAY_SIZE(t); i++) {
		instr_money_format(t[i].e9, buf, sizeof(buf));
		cr_assert_str_eq(buf, t[i].want, "row %zu", i);
	}
}

Test(instrument, pnl_of_one_entry)
{
	struct instrument in;
	int64_t e9 = 7;

	t_win(&in);
	/* long 2 at 108400, marked 108500: 100 pts x R$ 0.20 x 2 = R$ 40 */
	cr_assert_eq(instr_pnl_e9(&in, 2, 21680, 21700, &e9), 0);
	cr_assert_eq(e9, CENTS(4000));
	/* short 3 at 108400, marked 108450: -50 pts x R$ 0.20 x 3 = -R$ 30 */
	cr_assert_eq(instr_pnl_e9(&in, -3, 21680, 21690, &e9), 0);
	cr_assert_eq(e9, CENTS(-3000));
	/* short 1, price falls 1 tick: +R$ 1 */
	cr_assert_eq(instr_pnl_e9(&in, -1, 21680, 21679, &e9), 0);
	cr_assert_eq(e9, CENTS(100));
	cr_assert_eq(instr_pnl_e9(&in, 0, 21680, 1, &e9), 0);
	cr_assert_eq(e9, CENTS(0));
	e9 = 7;
	cr_assert_eq(instr_pnl_e9(&in, 1, INT64_MIN, INT64_MAX, &e9), -ERANGE);
	cr_assert_eq(instr_pnl_e9(&in, INT64_MAX / 2, 0, 3, &e9), -ERANGE);
	cr_assert_eq(instr_pnl_e9(&in, INT64_MAX / 200, 0, 3, &e9), -ERANGE,
	             "qty x move fits, x 10^9 does not");
	cr_assert_eq(e9, 7, "untouched on error");
}

/*
 * Buy 2 at 21680, buy 1 at 21690, sell 3 at 21700 (ticks):
 * cost = 2*21680 + 21690 - 3*21700 = -50; flat, so P&L = 50 ticks = R$ 50
 * (by hand: 2 contracts gained 20 ticks, 1 gained 10).
 */
Test(instrument, pnl_of_a_position_built_from_fills)
{
	struct instrument in;
	int64_t e9, cost = 0;
	dm_qty_t qty = 0;

	t_win(&in);
	qty += 2; cost += 2 * 21680;
	qty += 1; cost += 1 * 21690;
	cr_assert_eq(instr_position_pnl_e9(&in, qty, cost, 21700, &e9), 0);
	cr_assert_eq(e9, CENTS(5000), "open: marked at 21700");
	cr_assert_eq(instr_position_pnl_e9(&in, qty, cost, 21680, &e9), 0);
	cr_assert_eq(e9, CENTS(-1000), "open: 1 contract 10 ticks under water");
	qty -= 3; cost -= 3 * 21700;
	cr_assert_eq(cost, -50);
	cr_assert_eq(instr_position_pnl_e9(&in, qty, cost, 99999, &e9), 0);
	cr_assert_eq(e9, CENTS(5000), "flat: realised only, mark irrelevant");
	/* agrees with the one-entry form for a single fill */
	cr_assert_eq(instr_position_pnl_e9(&in, -4, -4 * 21680, 21670, &e9), 0);
	cr_assert_eq(e9, CENTS(4000));
	cr_assert_eq(instr_position_pnl_e9(&in, INT64_MAX, 0, 2, &e9), -ERANGE);
}

/* ------------------------------------------------------------ text */

Test(instrument, parse_points)
{
	static const struct { const char *s; int rc; int64_t pts; } win[] = {
		{ "108400", 0, 108400 },
		{ "108400.0", 0, 108400 },
		{ "108400.000000000", 0, 108400 },
		{ "+5", 0, 5 },
		{ "-5", 0, -5 },
		{ "0", 0, 0 },
		{ "108400.5", -EDOM, 0 },
		{ "108400.05", -EDOM, 0 },
		{ "", -EINVAL, 0 },
		{ "-", -EINVAL, 0 },
		{ ".5", -EINVAL, 0 },
		{ "5.", -EINVAL, 0 },
		{ "1.2.3", -EINVAL, 0 },
		{ "1e5", -EINVAL, 0 },
		{ " 5", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
	};
	struct instrument in;

	t_win(&in);
	for (size_t i = 0; i < T_ARRAY_SIZE(win); i++) {
		int64_t pts = 12345;
		int rc = instr_pts_parse(&in, win[i].s, strlen(win[i].s), &pts);

		cr_assert_eq(rc, win[i].rc, "'%s': rc %d", win[i].s, rc);
		cr_assert_eq(pts, rc ? 12345 : win[i].pts, "'%s'", win[i].s);
	}
}

Test(instrument, parse_points_with_decimals)
{
	struct instrument in;
	dm_ticks_t t;
	int64_t pts;

	t_wdo(&in);
	cr_assert_eq(instr_pts_parse(&in, "5123.5", 6, &pts), 0);
	cr_assert_eq(pts, 5123500);
	cr_assert_eq(instr_pts_parse(&in, "5123", 4, &pts), 0);
	cr_assert_eq(pts, 5123000);
	cr_assert_eq(instr_pts_parse(&in, "5123.5005", 9, &pts), -EDOM);
	cr_assert_eq(instr_pts_parse(&in, "5123.50000", 10, &pts), 0);
	cr_assert_eq(pts, 5123500);
	cr_assert_eq(instr_parse_ticks(&in, "5123.500", 8, INSTR_EXACT, &t), 0);
	cr_assert_eq(t, 10247);
	cr_assert_eq(instr_parse_ticks(&in, "5123.25", 7, INSTR_EXACT, &t), -EDOM);
	cr_assert_eq(instr_parse_ticks(&in, "5123.25", 7, INSTR_FLOOR, &t), 0);
	cr_assert_eq(t, 10246);
	cr_assert_eq(instr_parse_ticks(&in, "5123.25", 7, INSTR_NEAREST, &t), 0);
	cr_assert_eq(t, 10247, "a half-tick goes up");
	cr_assert_eq(instr_parse_ticks(&in, "5123.x", 6, INSTR_FLOOR, &t), -EINVAL);
	/* only n bytes are read: a field of a larger line */
	cr_assert_eq(instr_pts_parse(&in, "5123.5;17", 6, &pts), 0);
	cr_assert_eq(pts, 5123500);
}

Test(instrument, format_points)
{
	struct instrument in;
	char buf[32];

	t_win(&in);
	cr_assert_eq(instr_pts_format(&in, 108400, buf, sizeof(buf)), 6);
	cr_assert_str_eq(buf, "108400");
	instr_pts_format(&in, -25, buf, sizeof(buf));
	cr_assert_str_eq(buf, "-25");
	instr_pts_format(&in, INT64_MIN, buf, sizeof(buf));
	cr_assert_str_eq(buf, "-9223372036854775808");
	t_wdo(&in);
	instr_pts_format(&in, 5123500, buf, sizeof(buf));
	cr_assert_str_eq(buf, "5123.500");
	instr_pts_format(&in, -500, buf, sizeof(buf));
	cr_assert_str_eq(buf, "-0.500");
	instr_pts_format(&in, 7, buf, sizeof(buf));
	cr_assert_str_eq(buf, "0.007");
	cr_assert_eq(instr_pts_format(&in, 5123500, buf, 4), 8, "cut, full length returned");
	cr_assert_str_eq(buf, "512");
}

/* ------------------------------------------------------------ real data */


/* Every open/high/low/close of the real WING22 bars lies on the 5-point
 * grid, converts exactly to ticks and back to the same text. */
Test(instrument, wing22_prices_are_on_the_tick_grid)
{
	struct instrument in;
	char line[256];
	long bars = 0;
	dm_ticks_t lo = INT64_MAX, hi = INT64_MIN;
	FILE *f;

	f = t_open_wing22();
	t_win(&in);
	while (fgets(line, sizeof(line), f)) {
		char *field = strchr(line, ';');

		for (int k = 0; k < 4; k++) {
			char *end = field ? strchr(field + 1, ';') : NULL, text[40];
			size_t n;
			dm_ticks_t t;
			int64_t pts;

			cr_assert(end, "line %ld: %s", bars + 2, line);
			n = (size_t)(end - field - 1);
			cr_assert_eq(instr_parse_ticks(&in, field + 1, n, INSTR_EXACT, &t), 0,
			             "line %ld field %d: %.*s", bars + 2, k, (int)n, field + 1);
			/* back to text: the file writes whole points as "108400.0" */
			cr_assert_eq(instr_ticks_to_pts(&in, t, &pts), 0);
			instr_pts_format(&in, pts, text, sizeof(text) - 2);
			strcat(text, ".0");
			cr_assert(strlen(text) == n && memcmp(text, field + 1, n) == 0,
			          "line %ld: %s vs %.*s", bars + 2, text, (int)n, field + 1);
			lo = t < lo ? t : lo;
			hi = t > hi ? t : hi;
			field = end;
		}
		bars++;
	}
	pclose(f);
	cr_assert_eq(bars, 23771);
	/* WIN traded between about 100,000 and 116,000 points in Dec 2021-Feb 2022 */
	cr_assert_gt(lo * 5, 95000);
	cr_assert_lt(hi * 5, 120000);
}
