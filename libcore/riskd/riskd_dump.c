/*
 * riskd_dump.c — the risk voter's state as JSON (riskd.h, "dump"): the
 * current copy of the risk state (position, P&L, checks and rejections)
 * and the voter's own figures (largest position, limit, instrument).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>

#include "libcore/riskd/riskd.h"
#include "libcore/vote/vote.h"

/* a number JSON can carry: a state being written (or a zero tick value)
 * may give an average price that is not finite */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *riskd_dump_json(const struct riskd_state *st)
{
	const struct risk_state *r =
		&st->rs[atomic_load_explicit(&((struct riskd_state *)st)->cur,
					     memory_order_acquire) & 1];
	struct risk_pnl p;
	risk_pnl(r, &p);
	char sym[sizeof(st->symbol) + 1], ccy[sizeof(st->currency) + 1];
	/* the host's strings, cut at their room whatever a writer left there */
	snprintf(sym, sizeof(sym), "%.*s", (int)sizeof(st->symbol), st->symbol);
	snprintf(ccy, sizeof(ccy), "%.*s", (int)sizeof(st->currency), st->currency);
	json_t *rej = json_object();
	for (uint32_t k = 0; k < VOTE_R_COUNT; k++)
		if (r->rejected[k])
			json_object_set_new(rej, vote_reason_name(k),
					    json_integer((json_int_t)r->rejected[k]));
	json_t *o = json_pack("{s:s, s:b, s:I, s:o, s:o, s:I, s:I, s:s, s:s}",
		"trading_state", risk_state_name(r->state),
		"kill_switch_latched", r->killed != 0,
		"position", (json_int_t)r->position,
		"avg_px", num(risk_avg_px(r)),
		"mark_px", num((double)r->mid_x2 / 2.0),
		"mark_x2_ticks", (json_int_t)r->mid_x2,
		"tick_value_e9", (json_int_t)r->tick_value_e9,
		"symbol", sym, "currency", ccy);
	json_object_set_new(o, "realized", json_real((double)p.realized_e9 / 1e9));
	json_object_set_new(o, "unrealized", json_real((double)p.unrealized_e9 / 1e9));
	json_object_set_new(o, "fees", json_real((double)p.fees_e9 / 1e9));
	json_object_set_new(o, "net", json_real((double)p.net_e9 / 1e9));
	json_object_set_new(o, "drawdown", json_real((double)p.drawdown_e9 / 1e9));
	json_object_set_new(o, "pnl_e9", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"realized", (json_int_t)p.realized_e9, "unrealized", (json_int_t)p.unrealized_e9,
		"fees", (json_int_t)p.fees_e9, "net", (json_int_t)p.net_e9,
		"drawdown", (json_int_t)p.drawdown_e9, "run_gross", (json_int_t)p.run_gross_e9,
		"run_fees", (json_int_t)p.run_fees_e9));
	/* market time of the last new day's first book (risk_day_start: the
	 * open position re-valued at its mid); 0 on the run's first day */
	json_object_set_new(o, "day_start_ns", json_integer((json_int_t)r->day_start_ns));
	json_object_set_new(o, "fills", json_integer((json_int_t)r->fills));
	json_object_set_new(o, "volume", json_integer((json_int_t)r->volume));
	json_object_set_new(o, "open_orders", json_integer((json_int_t)r->n_open));
	json_object_set_new(o, "max_abs_position", json_integer((json_int_t)st->max_abs_position));
	json_object_set_new(o, "max_position", json_integer((json_int_t)st->max_position));
	json_object_set_new(o, "checks", json_integer((json_int_t)r->checks));
	json_object_set_new(o, "approved", json_integer((json_int_t)r->approved));
	json_object_set_new(o, "rejected", rej);
	json_object_set_new(o, "flatten", json_pack("{s:b, s:I, s:I, s:I}",
		"active", st->flatten != 0, "slices_asked", (json_int_t)st->flatten_slices,
		"plan_slices", (json_int_t)st->plan.n,
		"next_slice_ns", (json_int_t)st->flatten_next_ns));
	return o;
}
