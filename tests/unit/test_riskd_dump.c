/*
 * riskd_dump_json: a risk voter's state with a hand-worked position and
 * P&L in its current copy (a stale one in the other), dumped; every figure
 * checked against the hand computation below.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/riskd/riskd.h"
#include "libcore/vote/vote.h"

static json_int_t jint(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "key %s is not an integer", k);
	return json_integer_value(v);
}

static double jreal(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_real(v), "key %s is not a real", k);
	return json_real_value(v);
}

/*
 * Long 2 lots bought at 26000 ticks, a tick worth 0.20 BRL a lot, marked at
 * mid 26005 (mid_x2 52010):
 *   open cost     2 x 26000 x 0.2           = 10400.00
 *   unrealized    2 x 26005 x 0.2 - 10400   =     2.00
 *   realized 5.00, fees 1.50: net 5 + 2 - 1.5 =   5.50
 *   peak 8.00: drawdown 8 - 5.5             =     2.50
 *   earlier days: gross 10.00, fees 1.00 -> run gross 10 + 5 + 2 = 17.00,
 *   run fees 1 + 1.5 = 2.50
 *   average price 10400 / (2 x 0.2)         = 26000 ticks
 */
Test(riskd_dump, position_and_pnl_of_the_current_copy)
{
	struct riskd_state *st = calloc(1, sizeof(*st));
	cr_assert_not_null(st);
	st->rs[0].position = 99; /* the stale copy */
	struct risk_state *r = &st->rs[1];
	r->tick_value_e9 = 200000000;
	r->position = 2;
	r->open_cost_e9 = 10400000000000;
	r->has_mark = 1;
	r->mid_x2 = 52010;
	r->realized_e9 = 5000000000;
	r->fees_e9 = 1500000000;
	r->peak_e9 = 8000000000;
	r->prior_gross_e9 = 10000000000;
	r->prior_fees_e9 = 1000000000;
	r->killed = 1;
	r->fills = 4;
	r->volume = 6;
	r->n_open = 1;
	r->checks = 10;
	r->approved = 7;
	r->rejected[VOTE_R_POS_LIMIT] = 3;
	r->day_start_ns = 1723161600042000000;
	atomic_store(&st->cur, 1);
	st->max_abs_position = 3;
	st->max_position = 5;
	snprintf(st->symbol, sizeof(st->symbol), "WIN");
	snprintf(st->currency, sizeof(st->currency), "BRL");

	json_t *o = riskd_dump_json(st);
	cr_assert_not_null(o);
	cr_expect_str_eq(json_string_value(json_object_get(o, "trading_state")), "active");
	cr_expect(json_is_true(json_object_get(o, "kill_switch_latched")));
	cr_expect_eq(jint(o, "position"), 2);
	cr_expect_float_eq(jreal(o, "avg_px"), 26000.0, 1e-9);
	cr_expect_float_eq(jreal(o, "mark_px"), 26005.0, 1e-9);
	cr_expect_eq(jint(o, "mark_x2_ticks"), 52010);
	cr_expect_eq(jint(o, "tick_value_e9"), 200000000);
	cr_expect_str_eq(json_string_value(json_object_get(o, "symbol")), "WIN");
	cr_expect_str_eq(json_string_value(json_object_get(o, "currency")), "BRL");
	cr_expect_float_eq(jreal(o, "realized"), 5.0, 1e-9);
	cr_expect_float_eq(jreal(o, "unrealized"), 2.0, 1e-9);
	cr_expect_float_eq(jreal(o, "fees"), 1.5, 1e-9);
	cr_expect_float_eq(jreal(o, "net"), 5.5, 1e-9);
	cr_expect_float_eq(jreal(o, "drawdown"), 2.5, 1e-9);
	json_t *e9 = json_object_get(o, "pnl_e9");
	cr_expect_eq(jint(e9, "realized"), 5000000000);
	cr_expect_eq(jint(e9, "unrealized"), 2000000000);
	cr_expect_eq(jint(e9, "fees"), 1500000000);
	cr_expect_eq(jint(e9, "net"), 5500000000);
	cr_expect_eq(jint(e9, "drawdown"), 2500000000);
	cr_expect_eq(jint(e9, "run_gross"), 17000000000);
	cr_expect_eq(jint(e9, "run_fees"), 2500000000);
	cr_expect_eq(jint(o, "day_start_ns"), 1723161600042000000);
	cr_expect_eq(jint(o, "fills"), 4);
	cr_expect_eq(jint(o, "volume"), 6);
	cr_expect_eq(jint(o, "open_orders"), 1);
	cr_expect_eq(jint(o, "max_abs_position"), 3);
	cr_expect_eq(jint(o, "max_position"), 5);
	cr_expect_eq(jint(o, "checks"), 10);
	cr_expect_eq(jint(o, "approved"), 7);
	json_t *rej = json_object_get(o, "rejected");
	cr_expect_eq(json_object_size(rej), 1, "only the non-zero reasons");
	cr_expect_eq(jint(rej, "position_limit"), 3);
	json_decref(o);

	atomic_store(&st->cur, 0);
	o = riskd_dump_json(st);
	cr_expect_eq(jint(o, "position"), 99, "the copy cur names");
	cr_expect_eq(jint(o, "day_start_ns"), 0, "no new day in that copy");
	/* that copy has no tick value: no finite average price, shown as null
	 * rather than losing the object */
	cr_expect(json_is_null(json_object_get(o, "avg_px")));
	json_decref(o);
	free(st);
}

Test(riskd_dump, strings_filling_their_room_are_cut_there)
{
	struct riskd_state *st = calloc(1, sizeof(*st));
	cr_assert_not_null(st);
	memset(st->symbol, 'S', sizeof(st->symbol));     /* no terminator */
	memset(st->currency, 'C', sizeof(st->currency));
	json_t *o = riskd_dump_json(st);
	cr_expect_eq(strlen(json_string_value(json_object_get(o, "symbol"))), sizeof(st->symbol));
	cr_expect_eq(strlen(json_string_value(json_object_get(o, "currency"))),
		     sizeof(st->currency));
	json_decref(o);
	free(st);
}
