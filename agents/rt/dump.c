/* dump.c — the agents' state for monitors (dump.h). */
#include <inttypes.h>
#include <string.h>

#include "agents/rt/agents.h"
#include "agents/rt/dump.h"
#include "libcore/replay/replay.h"

static const void *app(const struct seg *s, uint32_t a, uint32_t version, uint32_t size)
{
	if (!rt_state_valid(s, a))
		return NULL;
	const struct rt_state *st = rt_state_of(s, a);
	if (atomic_load(&((struct rt_state *)st)->app_version) != version || st->app_size != size)
		return NULL;
	return rt_app_of(s, a);
}

static const struct risk_state *risk_now(const struct riskd_state *r)
{
	return &r->rs[atomic_load(&((struct riskd_state *)r)->cur) & 1];
}

/* Money as risk and the venue keep it (nano-units: the instrument's
 * currency x 10^9) in the currency's units: the conversions of this file,
 * a number for JSON and exact decimal text for people. */
static double money(int64_t e9)
{
	return (double)e9 / 1e9;
}

static const char *money_txt(int64_t e9, char *buf)
{
	instr_money_format(e9, buf, 32);
	return buf;
}
#define MTXT(e9) money_txt((e9), (char[32]){ 0 })

static const char *const outcome_names[] = { "none", "ok", "refused", "failed" };

static const char *outcome_name(uint32_t o)
{
	return o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o] : "?";
}

/* "-" for no command yet, else the runtime's one name for it */
static const char *cmd_name(uint32_t cmd)
{
	return cmd ? rt_cmd_name(cmd) : "-";
}

/* The last command answer of agent a; 0, or -1 if the region is not there. */
static int ack_of(const struct seg *s, uint32_t a, struct rt_cmd_ack *out)
{
	memset(out, 0, sizeof(*out));
	if (a >= s->hdr->n_agents || !rt_state_valid(s, a))
		return -1;
	return rt_cmd_ack_read(&rt_state_of(s, a)->ack, out) == 0 ? 0 : -1;
}

static json_t *decision_json(const struct vote_record *d)
{
	json_t *votes = json_array();
	for (uint32_t i = 0; i < d->n_voters && i < VOTE_MAX_VOTERS; i++)
		json_array_append_new(votes, json_pack("{s:s, s:s, s:s}",
			"voter", d->v[i].voter < AGENT_COUNT ? cfg_agent_names[d->v[i].voter] : "?",
			"verdict", d->v[i].verdict ? vote_verdict_name(d->v[i].verdict) : "missing",
			"reason", vote_reason_name(d->v[i].reason)));
	return json_pack("{s:I, s:s, s:s, s:I, s:I, s:i, s:i, s:f, s:o}",
		"decision_id", (json_int_t)d->decision_id,
		"outcome", vote_outcome_name(d->outcome),
		"reason", vote_reason_name(d->reason),
		"client_order_id", (json_int_t)d->client_order_id,
		"px", (json_int_t)d->px, "qty", (int)d->qty, "side", (int)d->side,
		"decide_us", (double)(d->decided_ns - d->opened_ns) / 1e3,
		"votes", votes);
}

/* A histogram as {"n", "p50_ns", "p99_ns", "p999_ns", "max_ns"}. */
static json_t *hist_json(const struct hist *h)
{
	uint64_t n = hist__load(&h->count);
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "n", (json_int_t)n,
		"p50_ns", (json_int_t)(n ? hist_quantile(h, 0.50) : 0),
		"p99_ns", (json_int_t)(n ? hist_quantile(h, 0.99) : 0),
		"p999_ns", (json_int_t)(n ? hist_quantile(h, 0.999) : 0),
		"max_ns", (json_int_t)(n ? hist__load(&h->max) : 0));
}

/* What each agent's stage histogram measures (state.h, struct rt_lat). */
static const char *const stage_names[AGENT_COUNT] = {
	[AGENT_COORDINATOR] = "tick_to_release", [AGENT_DATA] = "tick_to_book",
	[AGENT_FEATURE] = "tick_to_features", [AGENT_ML] = "tick_to_intent",
	[AGENT_EXECUTION] = "tick_to_order", [AGENT_RISK] = "tick_to_risk_vote",
};

json_t *rt_dump_json(const struct seg *s)
{
	json_t *agents = json_object();
	json_t *recent = json_array();
	for (uint32_t a = 0; a < AGENT_COUNT && a < s->hdr->n_agents; a++) {
		json_t *o;
		if (!rt_state_valid(s, a)) {
			json_object_set_new(agents, cfg_agent_names[a], json_pack("{s:s}", "state", "none"));
			continue;
		}
		const struct rt_state *st = rt_state_of(s, a);
		uint32_t f = atomic_load(&((struct rt_state *)st)->flags);
		o = json_pack("{s:b, s:b, s:I, s:I}",
			"halted", (f & RT_SF_HALTED) != 0, "kill_switch", (f & RT_SF_KILLED) != 0,
			"opens", (json_int_t)atomic_load(&((struct rt_state *)st)->opens),
			"dup_skipped", (json_int_t)atomic_load(&((struct rt_state *)st)->dup_skipped));
		struct rt_cmd_ack ack;
		if (ack_of(s, a, &ack) == 0)
			json_object_set_new(o, "command", json_pack("{s:I, s:s, s:s, s:s}",
				"seq", (json_int_t)ack.seq, "cmd", cmd_name(ack.cmd),
				"outcome", outcome_name(ack.outcome), "text", ack.text));
		const struct rt_lat *lat = rt_lat_of(s, a);
		json_object_set_new(o, "latency", json_pack("{s:o, s:s, s:o}",
			"hop", hist_json(&lat->hop), "stage_name", stage_names[a],
			"stage", hist_json(&lat->stage)));
		const void *p;
		switch (a) {
		case AGENT_DATA:
			if ((p = app(s, a, AG_DATA_VERSION, sizeof(struct ag_data_state)))) {
				const struct ag_data_state *d = p;
				json_object_set_new(o, "events", json_integer((json_int_t)d->events));
				json_object_set_new(o, "books", json_integer((json_int_t)d->books));
				json_object_set_new(o, "trades", json_integer((json_int_t)d->trades));
				json_object_set_new(o, "replay_done", json_boolean(d->done));
				json_object_set_new(o, "bad_rows", json_integer((json_int_t)d->bad_rows));
				json_object_set_new(o, "pace", json_string(replay_pace_name(d->pace)));
				json_object_set_new(o, "input_error", d->input_error ?
					json_string(d->input_error_text) : json_null());
			}
			break;
		case AGENT_FEATURE:
			if ((p = app(s, a, AG_FEATURE_VERSION, sizeof(struct featd_state)))) {
				const struct featd_state *d = p;
				json_object_set_new(o, "books", json_integer((json_int_t)d->books));
				json_object_set_new(o, "features", json_integer((json_int_t)d->features));
				json_object_set_new(o, "votes", json_integer((json_int_t)d->votes));
			}
			break;
		case AGENT_ML:
			if ((p = app(s, a, AG_ML_VERSION, sizeof(struct strategy_state)))) {
				const struct strategy_state *d = p;
				json_object_set_new(o, "features", json_integer((json_int_t)d->evaluated));
				json_object_set_new(o, "no_side", json_integer((json_int_t)d->no_side));
				json_object_set_new(o, "scored", json_integer((json_int_t)d->predicted));
				json_object_set_new(o, "below_min_prob", json_integer((json_int_t)d->below_prob));
				json_object_set_new(o, "zero_size", json_integer((json_int_t)d->zero_size));
				json_object_set_new(o, "too_soon", json_integer((json_int_t)d->too_soon));
				json_object_set_new(o, "quality_dropped",
						    json_integer((json_int_t)d->quality_dropped));
				json_object_set_new(o, "no_model", json_integer((json_int_t)d->no_model));
				json_object_set_new(o, "intents", json_integer((json_int_t)d->intents));
				json_object_set_new(o, "mean_prob_intents",
					json_real(d->intents ? d->prob_sum / (double)d->intents : 0.0));
				json_object_set_new(o, "mean_prob_scored",
					json_real(d->predicted ? d->score_sum / (double)d->predicted : 0.0));
				json_object_set_new(o, "model", json_string(d->model));
				json_object_set_new(o, "model_ok", json_boolean(d->model_ok));
				json_object_set_new(o, "reloads", json_integer((json_int_t)d->reloads));
			}
			break;
		case AGENT_EXECUTION:
			if ((p = app(s, a, AG_EXEC_VERSION, AG_EXEC_APP_SIZE))) {
				const struct ag_exec_state *d = p;
				const struct exec_table *t = (const void *)((const uint8_t *)p +
									     AG_EXEC_TABLE_OFF);
				const struct venue *v = (const void *)((const uint8_t *)p +
					AG_EXEC_VENUE_OFF + (atomic_load(&((struct ag_exec_state *)d)->venue_cur) & 1) *
					AG_EXEC_VENUE_MAX);
				const struct venue_totals *vt = venue_totals(v);
				json_object_set_new(o, "orders", json_integer((json_int_t)t->ctr.orders));
				json_object_set_new(o, "filled", json_integer((json_int_t)t->ctr.filled));
				json_object_set_new(o, "cancelled", json_integer((json_int_t)t->ctr.cancels));
				json_object_set_new(o, "rejected", json_integer((json_int_t)t->ctr.rejects));
				json_object_set_new(o, "refused", json_integer((json_int_t)d->refused));
				json_object_set_new(o, "duplicate_orders", json_integer((json_int_t)d->dup_orders));
				json_object_set_new(o, "open", json_integer((json_int_t)t->ctr.open));
				json_object_set_new(o, "fills", json_integer((json_int_t)d->fills_out));
				json_object_set_new(o, "net_filled", json_integer((json_int_t)d->filled_qty));
				json_object_set_new(o, "anomalies", json_integer((json_int_t)t->ctr.anomalies));
				json_object_set_new(o, "venue", json_pack("{s:I, s:I, s:I, s:I, s:I, s:f}",
					"fills", (json_int_t)vt->fills, "buy_qty", (json_int_t)vt->buy_qty,
					"sell_qty", (json_int_t)vt->sell_qty,
					"buy_value_ticks", (json_int_t)vt->buy_value,
					"sell_value_ticks", (json_int_t)vt->sell_value,
					"fees", money(vt->fee_e9)));
			}
			break;
		case AGENT_RISK:
			if ((p = app(s, a, AG_RISK_VERSION, sizeof(struct riskd_state)))) {
				const struct risk_state *r = risk_now(p);
				struct risk_pnl pnl;
				risk_pnl(r, &pnl);
				json_t *rej = json_object();
				for (uint32_t k = 0; k < VOTE_R_COUNT; k++)
					if (r->rejected[k])
						json_object_set_new(rej, vote_reason_name(k),
							json_integer((json_int_t)r->rejected[k]));
				json_object_set_new(o, "trading_state", json_string(risk_state_name(r->state)));
				json_object_set_new(o, "kill_switch_latched", json_boolean(r->killed));
				json_object_set_new(o, "position", json_integer((json_int_t)r->position));
				json_object_set_new(o, "avg_px", json_real(risk_avg_px(r)));
				json_object_set_new(o, "mark_px", json_real((double)r->mid_x2 / 2.0));
				const struct riskd_state *rst = p;
				json_object_set_new(o, "symbol", json_string(rst->symbol));
				json_object_set_new(o, "currency", json_string(rst->currency));
				json_object_set_new(o, "realized", json_real(money(pnl.realized_e9)));
				json_object_set_new(o, "unrealized", json_real(money(pnl.unrealized_e9)));
				json_object_set_new(o, "fees", json_real(money(pnl.fees_e9)));
				json_object_set_new(o, "net", json_real(money(pnl.net_e9)));
				json_object_set_new(o, "drawdown", json_real(money(pnl.drawdown_e9)));
				json_object_set_new(o, "fills", json_integer((json_int_t)r->fills));
				json_object_set_new(o, "volume", json_integer((json_int_t)r->volume));
				json_object_set_new(o, "open_orders", json_integer((json_int_t)r->n_open));
				json_object_set_new(o, "checks", json_integer((json_int_t)r->checks));
				json_object_set_new(o, "approved", json_integer((json_int_t)r->approved));
				json_object_set_new(o, "rejected", rej);
			}
			break;
		case AGENT_COORDINATOR:
			if ((p = app(s, a, AG_COORD_VERSION, sizeof(struct ag_coord_state)))) {
				const struct ag_coord_state *d = p;
				json_t *why = json_object();
				for (uint32_t r = 0; r < VOTE_R_COUNT; r++)
					if (d->by_reason[r])
						json_object_set_new(why, vote_reason_name(r),
								    json_integer((json_int_t)d->by_reason[r]));
				json_object_set_new(o, "decisions", json_integer((json_int_t)d->decisions));
				json_object_set_new(o, "released", json_integer((json_int_t)d->released));
				json_object_set_new(o, "blocked", json_integer((json_int_t)d->blocked));
				json_object_set_new(o, "by_reason", why);
				json_object_set_new(o, "orders_sent", json_integer((json_int_t)d->orders_sent));
				json_object_set_new(o, "agents_down", json_integer(d->down_mask));
				uint64_t n = d->n_recent, k = n < AG_COORD_RECENT ? n : AG_COORD_RECENT;
				for (uint64_t i = n - k; i < n; i++)
					json_array_append_new(recent,
						decision_json(&d->recent[i % AG_COORD_RECENT]));
			}
			break;
		default:
			break;
		}
		json_object_set_new(agents, cfg_agent_names[a], o);
	}
	return json_pack("{s:o, s:o}", "agents", agents, "decisions", recent);
}

void rt_dump_text(const struct seg *s, FILE *f)
{
	const struct ag_coord_state *c =
		app(s, AGENT_COORDINATOR, AG_COORD_VERSION, sizeof(struct ag_coord_state));
	const struct riskd_state *r = app(s, AGENT_RISK, AG_RISK_VERSION, sizeof(struct riskd_state));
	const struct ag_data_state *d = app(s, AGENT_DATA, AG_DATA_VERSION, sizeof(struct ag_data_state));
	rt_system_text(s, f);
	if (d)
		fprintf(f, "replay     %" PRIu64 " events (%" PRIu64 " books, %" PRIu64 " trades), "
			"%" PRIu64 " bad rows, pace %s%s\n", d->events, d->books, d->trades,
			d->bad_rows, replay_pace_name(d->pace), d->done ? ", done" : "");
	if (r) {
		const struct risk_state *p = risk_now(r);
		struct risk_pnl pnl;
		risk_pnl(p, &pnl);
		const char *ccy = r->currency;
		fprintf(f, "position   %" PRId64 " @ %.1f, mark %.1f, realized %s %s, unrealized "
			"%s %s, fees %s %s, net %s %s, %" PRIu64 " fills, state %s%s\n",
			p->position, risk_avg_px(p), (double)p->mid_x2 / 2.0,
			MTXT(pnl.realized_e9), ccy, MTXT(pnl.unrealized_e9), ccy,
			MTXT(pnl.fees_e9), ccy, MTXT(pnl.net_e9), ccy, p->fills,
			risk_state_name(p->state), p->killed ? " (kill switch latched)" : "");
		fprintf(f, "risk       %" PRIu64 " checks, %" PRIu64 " approved;", p->checks, p->approved);
		for (uint32_t k = 0; k < VOTE_R_COUNT; k++)
			if (p->rejected[k])
				fprintf(f, " %s %" PRIu64, vote_reason_name(k), p->rejected[k]);
		fputc('\n', f);
	}
	fprintf(f, "latency    %-12s %-18s %8s %8s %8s %8s %10s  (us)\n", "agent", "stage",
		"n", "p50", "p99", "p99.9", "max");
	for (uint32_t a = 0; a < AGENT_COUNT && a < s->hdr->n_agents; a++) {
		if (!rt_state_valid(s, a))
			continue;
		const struct rt_lat *lat = rt_lat_of(s, a);
		const struct hist *hs[2] = { &lat->stage, &lat->hop };
		const char *what[2] = { stage_names[a], "ring_hop" };
		for (int k = 0; k < 2; k++) {
			uint64_t n = hist__load(&hs[k]->count);
			if (!n)
				continue;
			fprintf(f, "           %-12s %-18s %8" PRIu64 " %8.1f %8.1f %8.1f %10.1f\n",
				cfg_agent_names[a], what[k], n, hist_quantile(hs[k], 0.50) / 1e3,
				hist_quantile(hs[k], 0.99) / 1e3, hist_quantile(hs[k], 0.999) / 1e3,
				(double)hist__load(&hs[k]->max) / 1e3);
		}
	}
	if (!c)
		return;
	fprintf(f, "decisions  %" PRIu64 ": released %" PRIu64 ", blocked %" PRIu64 ";",
		c->decisions, c->released, c->blocked);
	for (uint32_t k = 0; k < VOTE_R_COUNT; k++)
		if (c->by_reason[k])
			fprintf(f, " %s %" PRIu64, vote_reason_name(k), c->by_reason[k]);
	fputc('\n', f);
	uint64_t n = c->n_recent, k = n < 5 ? n : 5;
	for (uint64_t i = n - k; i < n; i++) {
		const struct vote_record *v = &c->recent[i % AG_COORD_RECENT];
		fprintf(f, "  %016" PRIx64 " %-7s %-14s %s %d @ %" PRId64 " coid %016" PRIx64 " [",
			v->decision_id, vote_outcome_name(v->outcome), vote_reason_name(v->reason),
			v->side > 0 ? "buy" : "sell", v->qty, v->px, v->client_order_id);
		for (uint32_t j = 0; j < v->n_voters && j < VOTE_MAX_VOTERS; j++)
			fprintf(f, "%s%s:%s/%s", j ? " " : "",
				v->v[j].voter < AGENT_COUNT ? cfg_agent_names[v->v[j].voter] : "?",
				v->v[j].verdict ? vote_verdict_name(v->v[j].verdict) : "missing",
				vote_reason_name(v->v[j].reason));
		fputs("]\n", f);
	}
}

/* ------------------------------------------------------------ system */

struct sysline {
	const char *state;      /* TRADING, HALTED, KILL_SWITCH, DOWN */
	char reason[96];        /* "-", "operator", "agents down: ...", "latched" */
	int have_risk;
	int64_t position;
	struct risk_pnl pnl;
	const char *symbol, *currency;
};

static void system_of(const struct seg *s, struct sysline *y)
{
	memset(y, 0, sizeof(*y));
	y->symbol = "?";
	y->currency = "?";
	snprintf(y->reason, sizeof(y->reason), "-");
	const struct riskd_state *r = app(s, AGENT_RISK, AG_RISK_VERSION,
					    sizeof(struct riskd_state));
	int killed = 0;
	if (r) {
		const struct risk_state *rs = risk_now(r);
		y->have_risk = 1;
		y->position = rs->position;
		risk_pnl(rs, &y->pnl);
		y->symbol = r->symbol[0] ? r->symbol : "?";
		y->currency = r->currency[0] ? r->currency : "?";
		killed = rs->killed != 0;
	}
	const struct ag_coord_state *c = app(s, AGENT_COORDINATOR, AG_COORD_VERSION,
					     sizeof(struct ag_coord_state));
	const struct agent_slot *cs = seg_agent(s, AGENT_COORDINATOR);
	if (!c || !atomic_load(&((struct agent_slot *)cs)->pid)) {
		y->state = "DOWN";
		snprintf(y->reason, sizeof(y->reason), "coordinator not running");
		return;
	}
	uint32_t f = atomic_load(&rt_state_of(s, AGENT_COORDINATOR)->flags);
	if ((f & RT_SF_KILLED) || killed) {
		y->state = "KILL_SWITCH";
		snprintf(y->reason, sizeof(y->reason), "latched until rearm");
	} else if (f & RT_SF_HALTED) {
		y->state = "HALTED";
		snprintf(y->reason, sizeof(y->reason), "operator");
	} else if (c->down_mask) {
		y->state = "HALTED";
		size_t n = (size_t)snprintf(y->reason, sizeof(y->reason), "agents down:");
		for (uint32_t a = 0; a < AGENT_COUNT && n < sizeof(y->reason); a++)
			if (c->down_mask & (1u << a))
				n += (size_t)snprintf(y->reason + n, sizeof(y->reason) - n, "%s%s",
						      n > 12 ? "," : "", cfg_agent_names[a]);
	} else {
		y->state = "TRADING";
	}
}

json_t *rt_system_json(const struct seg *s)
{
	struct sysline y;
	system_of(s, &y);
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:f, s:f, s:f, s:f}",
		"state", y.state, "reason", y.reason, "position", (json_int_t)y.position,
		"symbol", y.symbol, "currency", y.currency,
		"net", money(y.pnl.net_e9), "realized", money(y.pnl.realized_e9),
		"unrealized", money(y.pnl.unrealized_e9), "fees", money(y.pnl.fees_e9));
}

void rt_system_fields(const struct seg *s, FILE *f)
{
	struct sysline y;
	system_of(s, &y);
	/* the reason is the last column: it may hold spaces */
	fprintf(f, "%s %" PRId64 " %s %s %s %s %s %s %s\n", y.state, y.position,
		MTXT(y.pnl.net_e9), MTXT(y.pnl.realized_e9), MTXT(y.pnl.unrealized_e9),
		MTXT(y.pnl.fees_e9), y.currency, y.symbol, y.reason);
}

void rt_system_text(const struct seg *s, FILE *f)
{
	struct sysline y;
	system_of(s, &y);
	const char *st = strcmp(y.state, "KILL_SWITCH") == 0 ? "KILL SWITCH" : y.state;
	fprintf(f, "%s%s%s%s  position %" PRId64 " %s  P&L net %s %s (realized %s, "
		"unrealized %s, fees %s)\n", st, strcmp(y.reason, "-") ? " (" : "",
		strcmp(y.reason, "-") ? y.reason : "", strcmp(y.reason, "-") ? ")" : "",
		y.position, y.symbol, MTXT(y.pnl.net_e9), y.currency,
		MTXT(y.pnl.realized_e9), MTXT(y.pnl.unrealized_e9), MTXT(y.pnl.fees_e9));
}

int rt_command_fields(const struct seg *s, uint32_t agent, FILE *f)
{
	struct rt_cmd_ack a;
	if (ack_of(s, agent, &a) < 0)
		return -1;
	fprintf(f, "%" PRIu64 " %s %s %s\n", a.seq, cmd_name(a.cmd), outcome_name(a.outcome),
		a.text[0] ? a.text : "-");
	return 0;
}

json_t *rt_command_json(const struct seg *s, uint32_t agent)
{
	struct rt_cmd_ack a;
	if (ack_of(s, agent, &a) < 0)
		return NULL;
	return json_pack("{s:s, s:I, s:s, s:s, s:s}", "agent", cfg_agent_names[agent],
		"seq", (json_int_t)a.seq, "cmd", cmd_name(a.cmd), "outcome",
		outcome_name(a.outcome), "text", a.text);
}

/* ------------------------------------------------------------ summary */

struct summary {
	int ok_data, ok_ml, ok_exec, ok_risk, ok_coord;
	uint64_t events, books, trades, bad_rows, first_bad_line;
	int done, input_error;
	uint32_t pace;
	const char *input_error_text;
	uint64_t features, quality_dropped, short_vectors, no_side, too_soon;
	uint64_t scored, below_prob, zero_size, no_model, no_quote, intents;
	const uint64_t *quality_by_flag; /* QUAL_F_COUNT */
	double mean_prob, mean_scored;
	uint64_t decisions, released, blocked;
	const uint64_t *by_reason;      /* coordinator, VOTE_R_COUNT */
	const uint64_t *risk_rejected;  /* risk, VOTE_R_COUNT */
	uint64_t orders, filled, cancelled, rejected, refused;
	struct venue_totals vt;
	int64_t position, max_abs_position, max_position, mid_x2, tick_value_e9;
	struct risk_pnl pnl;
	int64_t gross_e9, fees_e9, net_e9; /* the run's, across day starts */
	int64_t venue_gross_e9;       /* recomputed from the venue's sums */
	const char *state, *symbol, *currency;
	uint64_t conflated;             /* every ring's superseded messages */
	uint64_t lat_n;
	double lat_p50, lat_p99, lat_p999;
};

static void summarize(const struct seg *s, struct summary *m)
{
	static const uint64_t zeros[QUAL_F_COUNT];
	memset(m, 0, sizeof(*m));
	m->quality_by_flag = zeros;
	m->symbol = m->currency = "?";
	m->pace = REPLAY_LOCKSTEP;
	const struct ag_data_state *d = app(s, AGENT_DATA, AG_DATA_VERSION,
					    sizeof(struct ag_data_state));
	if (d) {
		m->ok_data = 1;
		m->events = d->events;
		m->books = d->books;
		m->trades = d->trades;
		m->done = (int)d->done;
		m->bad_rows = d->bad_rows;
		m->first_bad_line = d->first_bad_line;
		m->pace = d->pace;
		m->input_error = (int)d->input_error;
		m->input_error_text = d->input_error_text;
	}
	const struct strategy_state *ml = app(s, AGENT_ML, AG_ML_VERSION, sizeof(struct strategy_state));
	if (ml) {
		m->ok_ml = 1;
		m->features = ml->evaluated;
		m->quality_dropped = ml->quality_dropped;
		m->quality_by_flag = ml->quality_by_flag;
		m->short_vectors = ml->short_vectors;
		m->no_side = ml->no_side;
		m->too_soon = ml->too_soon;
		m->scored = ml->predicted;
		m->below_prob = ml->below_prob;
		m->zero_size = ml->zero_size;
		m->no_model = ml->no_model;
		m->no_quote = ml->no_quote;
		m->intents = ml->intents;
		m->mean_prob = ml->intents ? ml->prob_sum / (double)ml->intents : 0;
		m->mean_scored = ml->predicted ? ml->score_sum / (double)ml->predicted : 0;
	}
	const struct ag_coord_state *c = app(s, AGENT_COORDINATOR, AG_COORD_VERSION,
					     sizeof(struct ag_coord_state));
	if (c) {
		m->ok_coord = 1;
		m->decisions = c->decisions;
		m->released = c->released;
		m->blocked = c->blocked;
		m->by_reason = c->by_reason;
	}
	const uint8_t *ex = app(s, AGENT_EXECUTION, AG_EXEC_VERSION, AG_EXEC_APP_SIZE);
	if (ex) {
		const struct ag_exec_state *es = (const void *)ex;
		const struct exec_table *t = (const void *)(ex + AG_EXEC_TABLE_OFF);
		uint32_t cur = atomic_load(&((struct ag_exec_state *)es)->venue_cur) & 1;
		const struct venue *v = (const void *)(ex + AG_EXEC_VENUE_OFF + cur * AG_EXEC_VENUE_MAX);
		m->ok_exec = 1;
		m->orders = t->ctr.orders;
		m->filled = t->ctr.filled;
		m->cancelled = t->ctr.cancels;
		m->rejected = t->ctr.rejects;
		m->refused = es->refused;
		m->vt = *venue_totals(v);
	}
	const struct riskd_state *r = app(s, AGENT_RISK, AG_RISK_VERSION,
					    sizeof(struct riskd_state));
	if (r) {
		const struct risk_state *rs = risk_now(r);
		m->ok_risk = 1;
		m->position = rs->position;
		m->mid_x2 = rs->mid_x2;
		m->tick_value_e9 = rs->tick_value_e9;
		m->max_abs_position = r->max_abs_position;
		m->max_position = r->max_position;
		risk_pnl(rs, &m->pnl);
		m->gross_e9 = m->pnl.run_gross_e9;
		m->fees_e9 = m->pnl.run_fees_e9;
		m->net_e9 = m->gross_e9 - m->fees_e9;
		m->risk_rejected = rs->rejected;
		m->state = risk_state_name(rs->state);
		m->symbol = r->symbol[0] ? r->symbol : "?";
		m->currency = r->currency[0] ? r->currency : "?";
		/* the venue's fills valued independently: cash of every fill
		 * plus the open position at risk's mark (mid = mid_x2 / 2) */
		int64_t net = m->vt.buy_qty - m->vt.sell_qty;
		m->venue_gross_e9 = (m->vt.sell_value - m->vt.buy_value) * rs->tick_value_e9 +
				    (int64_t)((__int128)net * rs->mid_x2 * rs->tick_value_e9 / 2);
	}
	for (uint32_t i = 0; i < s->hdr->n_rings; i++) {
		struct ring_stats rs;
		ring_stats(seg_ring(s, i), &rs);
		m->conflated += rs.dropped;
	}
	const struct hist *h = &rt_lat_of(s, AGENT_EXECUTION)->stage;
	if (rt_state_valid(s, AGENT_EXECUTION) && (m->lat_n = hist__load(&h->count))) {
		m->lat_p50 = (double)hist_quantile(h, 0.50) / 1e3;
		m->lat_p99 = (double)hist_quantile(h, 0.99) / 1e3;
		m->lat_p999 = (double)hist_quantile(h, 0.999) / 1e3;
	}
}

/*
 * 1 when the result depends on how fast this machine ran the agents: any
 * pace but lockstep (an order meets the market wherever the replay has got
 * to when it arrives, and a slow consumer has books conflated away).
 */
static int speed_dependent(const struct summary *m)
{
	return m->ok_data && m->events && m->pace != REPLAY_LOCKSTEP;
}

/*
 * The summary's warnings, one line each (without "WARNING: "), through
 * emit(ctx, line).  Every counter that means something was lost or
 * skipped gives one when non-zero.
 */
static void warnings(const struct seg *s, const struct summary *m,
		     void (*emit)(void *ctx, const char *line), void *ctx)
{
	char w[640];
	size_t n;
	if (m->ok_data && m->events == 0) {
		snprintf(w, sizeof(w), "no market event was handled: the run traded nothing "
			 "(see data.log)");
		emit(ctx, w);
	}
	if (m->input_error) {
		snprintf(w, sizeof(w), "the replay stopped on an input error: %s",
			 m->input_error_text);
		emit(ctx, w);
	}
	if (m->bad_rows) {
		snprintf(w, sizeof(w), "%" PRIu64 " bad input rows skipped (first at line %" PRIu64
			 "; data.log names it)", m->bad_rows, m->first_bad_line);
		emit(ctx, w);
	}
	if (m->quality_dropped) {
		n = (size_t)snprintf(w, sizeof(w), "%" PRIu64 " feature vectors dropped by a data-"
				     "quality flag, never looked at (", m->quality_dropped);
		int any = 0;
		for (uint32_t k = 0; k < QUAL_F_COUNT && n < sizeof(w); k++)
			if (m->quality_by_flag[k]) {
				n += (size_t)snprintf(w + n, sizeof(w) - n, "%s%s %" PRIu64,
						      any ? ", " : "", qual_flag_name(k),
						      m->quality_by_flag[k]);
				any = 1;
			}
		if (n < sizeof(w))
			snprintf(w + n, sizeof(w) - n, ")");
		emit(ctx, w);
	}
	if (m->short_vectors) {
		snprintf(w, sizeof(w), "%" PRIu64 " feature vectors with fewer than %d features "
			 "dropped", m->short_vectors, FEAT_N);
		emit(ctx, w);
	}
	if (m->zero_size) {
		snprintf(w, sizeof(w), "%" PRIu64 " sides above strategy.min_prob got a bet size "
			 "that rounds to 0 lots: no order (raise strategy.max_contracts or "
			 "strategy.min_prob)", m->zero_size);
		emit(ctx, w);
	}
	if (m->no_model) {
		snprintf(w, sizeof(w), "%" PRIu64 " sides dropped: no verified model "
			 "(ml.log says why; dmctl reload-model)", m->no_model);
		emit(ctx, w);
	}
	if (m->no_quote) {
		snprintf(w, sizeof(w), "%" PRIu64 " sides dropped: no usable mid or spread",
			 m->no_quote);
		emit(ctx, w);
	}
	if (m->conflated) {
		n = (size_t)snprintf(w, sizeof(w), "%" PRIu64 " messages conflated (", m->conflated);
		int any = 0;
		for (uint32_t i = 0; i < s->hdr->n_rings && n < sizeof(w); i++) {
			struct ring_stats rs;
			ring_stats(seg_ring(s, i), &rs);
			if (!rs.dropped)
				continue;
			n += (size_t)snprintf(w + n, sizeof(w) - n, "%s%s %" PRIu64, any ? ", " : "",
					      s->hdr->ring[i].name, rs.dropped);
			any = 1;
		}
		if (n < sizeof(w))
			snprintf(w + n, sizeof(w) - n, "): those book updates never reached that ring's consumer");
		emit(ctx, w);
	}
	if (speed_dependent(m)) {
		snprintf(w, sizeof(w), "at --pace %s this result depends on the machine's speed "
			 "and load (%s); reproducible alternatives: --pace lockstep, or the "
			 "in-process backtest (dm-backtest, coming next)", replay_pace_name(m->pace),
			 m->conflated ? "books were conflated, and orders meet the market wherever "
			 "the replay has got to" : "orders meet the market wherever the replay has "
			 "got to when they arrive");
		emit(ctx, w);
	}
	if (m->ok_risk && m->position) {
		snprintf(w, sizeof(w), "a position of %" PRId64 " %s is open: the P&L counts "
			 "%s %s unrealized, marked at the last mid", m->position, m->symbol,
			 MTXT(m->pnl.unrealized_e9), m->currency);
		emit(ctx, w);
	}
	if (m->ok_data && !m->done && m->events) {
		snprintf(w, sizeof(w), "the replay had not finished when this was read");
		emit(ctx, w);
	}
}

static void warn_json(void *ctx, const char *line)
{
	json_array_append_new(ctx, json_string(line));
}

static void warn_text(void *ctx, const char *line)
{
	fprintf(ctx, "WARNING: %s\n", line);
}

static json_t *reasons_json(const uint64_t *by, int skip_approved)
{
	json_t *o = json_object();
	for (uint32_t k = 0; by && k < VOTE_R_COUNT; k++)
		if (by[k] && !(skip_approved && k == VOTE_R_APPROVED))
			json_object_set_new(o, vote_reason_name(k), json_integer((json_int_t)by[k]));
	return o;
}

static int verdict(const struct summary *m, char *why, size_t n)
{
	uint64_t seen = m->features + m->quality_dropped;
	if (m->events == 0) {
		snprintf(why, n, "no market event was handled: nothing was traded (see data.log)");
		return 1;
	}
	if (m->input_error) {
		snprintf(why, n, "the replay stopped on an input error: %s", m->input_error_text);
		return 1;
	}
	if (m->no_model && m->scored == 0) {
		snprintf(why, n, "the ml agent had no verified model and scored nothing "
			 "(ml.log says why; retrain with make model or give strategy.model)");
		return 1;
	}
	if (seen && m->quality_dropped * 2 > seen) {
		/* the flag that dropped the most says what to do */
		uint32_t top = 0;
		for (uint32_t k = 1; k < QUAL_F_COUNT; k++)
			if (m->quality_by_flag[k] > m->quality_by_flag[top])
				top = k;
		const char *fix = top == 0
			? "a side of the book was empty: the book keeps only levels with a size, "
			  "and an MT5 tick export carries none"
			: "set the quality section, e.g. quality.max_spread_ticks, for this "
			  "instrument";
		snprintf(why, n, "data-quality flags dropped %" PRIu64 " of %" PRIu64 " feature "
			 "vectors, most as %s: the run ignored most of its input (%s)",
			 m->quality_dropped, seen, qual_flag_name(top), fix);
		return 1;
	}
	if (n)
		why[0] = '\0';
	return 0;
}

int rt_summary_verdict(const struct seg *s, char *why, size_t n)
{
	struct summary m;
	summarize(s, &m);
	return verdict(&m, why, n);
}

json_t *rt_summary_json(const struct seg *s)
{
	struct summary m;
	summarize(s, &m);
	int64_t gross = m.gross_e9;
	json_t *qual = json_object(), *rings = json_object(), *warn = json_array();
	for (uint32_t k = 0; k < QUAL_F_COUNT; k++)
		json_object_set_new(qual, qual_flag_name(k),
				    json_integer((json_int_t)m.quality_by_flag[k]));
	for (uint32_t i = 0; i < s->hdr->n_rings; i++) {
		struct ring_stats rs;
		ring_stats(seg_ring(s, i), &rs);
		if (s->hdr->ring[i].policy == RING_CONFLATE || rs.dropped)
			json_object_set_new(rings, s->hdr->ring[i].name,
					    json_integer((json_int_t)rs.dropped));
	}
	warnings(s, &m, warn_json, warn);
	json_t *j = json_pack("{s:s, s:s, s:b, s:b, s:{s:I, s:I, s:I, s:b, s:I, s:I, s:s, s:o}, "
			 "s:{s:I, s:{s:I, s:o}, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:f, s:f}, "
			 "s:{s:I, s:o}}",
		"symbol", m.symbol, "currency", m.currency,
		"no_events", m.events == 0, "machine_speed_dependent", speed_dependent(&m),
		"events", "total", (json_int_t)m.events, "books", (json_int_t)m.books,
			"trades", (json_int_t)m.trades, "done", m.done,
			"bad_rows", (json_int_t)m.bad_rows,
			"first_bad_line", (json_int_t)m.first_bad_line,
			"pace", replay_pace_name(m.pace),
			"input_error", m.input_error ? json_string(m.input_error_text) : json_null(),
		"ml", "features", (json_int_t)m.features,
			"quality_dropped", "total", (json_int_t)m.quality_dropped, "by_reason", qual,
			"short_vectors", (json_int_t)m.short_vectors,
			"no_side", (json_int_t)m.no_side, "too_soon", (json_int_t)m.too_soon,
			"scored", (json_int_t)m.scored, "below_min_prob", (json_int_t)m.below_prob,
			"zero_size", (json_int_t)m.zero_size, "no_model", (json_int_t)m.no_model,
			"no_quote", (json_int_t)m.no_quote, "intents", (json_int_t)m.intents,
			"mean_prob_intents", m.mean_prob, "mean_prob_scored", m.mean_scored,
		"conflated", "total", (json_int_t)m.conflated, "by_ring", rings);
	json_object_set_new(j, "decisions", json_pack("{s:I, s:I, s:I, s:o, s:o}",
		"total", (json_int_t)m.decisions, "approved", (json_int_t)m.released,
		"rejected", (json_int_t)m.blocked,
		"rejected_by_reason", reasons_json(m.by_reason, 1),
		"risk_rejections_by_reason", reasons_json(m.risk_rejected, 1)));
	json_object_set_new(j, "orders", json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"total", (json_int_t)m.orders, "filled", (json_int_t)m.filled,
		"cancelled", (json_int_t)m.cancelled, "rejected", (json_int_t)m.rejected,
		"refused", (json_int_t)m.refused));
	json_object_set_new(j, "fills", json_pack("{s:I, s:I, s:I, s:f}",
		"count", (json_int_t)m.vt.fills, "bought", (json_int_t)m.vt.buy_qty,
		"sold", (json_int_t)m.vt.sell_qty, "fees", money(m.vt.fee_e9)));
	json_object_set_new(j, "position", json_pack("{s:I, s:I, s:I, s:s, s:I, s:I}",
		"final", (json_int_t)m.position, "max_abs", (json_int_t)m.max_abs_position,
		"limit", (json_int_t)m.max_position, "risk_state", m.state ? m.state : "?",
		"mark_x2_ticks", (json_int_t)m.mid_x2,
		"tick_value_e9", (json_int_t)m.tick_value_e9));
	json_object_set_new(j, "pnl", json_pack("{s:s, s:f, s:f, s:f, s:f, s:b}",
		"currency", m.currency, "gross", money(gross), "fees", money(m.fees_e9),
		"net", money(m.net_e9), "gross_from_venue", money(m.venue_gross_e9),
		"venue_agrees", gross == m.venue_gross_e9 && m.fees_e9 == m.vt.fee_e9));
	/* exact: integer nano-units of the currency */
	json_object_set_new(j, "pnl_e9", json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"gross", (json_int_t)gross, "fees", (json_int_t)m.fees_e9,
		"net", (json_int_t)m.net_e9, "gross_from_venue", (json_int_t)m.venue_gross_e9,
		"fees_from_venue", (json_int_t)m.vt.fee_e9));
	json_object_set_new(j, "tick_to_order_us", json_pack("{s:I, s:f, s:f, s:f}",
		"n", (json_int_t)m.lat_n, "p50", m.lat_p50, "p99", m.lat_p99, "p999", m.lat_p999));
	json_object_set_new(j, "system", rt_system_json(s));
	json_object_set_new(j, "warnings", warn);
	char why[512];
	json_object_set_new(j, "result", verdict(&m, why, sizeof(why)) ? json_string(why)
								      : json_string("ok"));
	return j;
}

static void reasons_text(FILE *f, const uint64_t *by)
{
	int any = 0;
	for (uint32_t k = 0; by && k < VOTE_R_COUNT; k++)
		if (by[k] && k != VOTE_R_APPROVED) {
			fprintf(f, "%s %s %" PRIu64, any ? "," : "", vote_reason_name(k), by[k]);
			any = 1;
		}
	if (!any)
		fputs(" none", f);
}

void rt_summary_text(const struct seg *s, FILE *f)
{
	struct summary m;
	summarize(s, &m);
	int64_t gross = m.gross_e9;
	const char *ccy = m.currency;
	fprintf(f, "events      %" PRIu64 " (%" PRIu64 " book updates, %" PRIu64 " trades), "
		"%" PRIu64 " bad input rows skipped, pace %s%s\n", m.events, m.books, m.trades,
		m.bad_rows, replay_pace_name(m.pace), m.done ? "" : ", replay not finished");
	fprintf(f, "features    %" PRIu64 " vectors looked at, %" PRIu64 " dropped by data "
		"quality; %" PRIu64 " conflated messages\n", m.features, m.quality_dropped,
		m.conflated);
	fprintf(f, "ml          %" PRIu64 " sides scored by the meta-model (mean p %.3f): "
		"%" PRIu64 " below min_prob, %" PRIu64 " with bet size 0; %" PRIu64
		" intents (mean p %.3f); %" PRIu64 " in the dead zone, %" PRIu64
		" within min_interval\n", m.scored, m.mean_scored, m.below_prob, m.zero_size,
		m.intents, m.mean_prob, m.no_side, m.too_soon);
	fprintf(f, "decisions   %" PRIu64 ": approved %" PRIu64 ", rejected %" PRIu64 " by reason:",
		m.decisions, m.released, m.blocked);
	reasons_text(f, m.by_reason);
	fprintf(f, "\n            risk's rejections:");
	reasons_text(f, m.risk_rejected);
	fprintf(f, "\norders      %" PRIu64 ": filled %" PRIu64 ", cancelled %" PRIu64
		", rejected %" PRIu64 "; refused before the venue %" PRIu64 "\n",
		m.orders, m.filled, m.cancelled, m.rejected, m.refused);
	fprintf(f, "fills       %" PRIu64 ": bought %" PRId64 ", sold %" PRId64 " lots\n",
		m.vt.fills, m.vt.buy_qty, m.vt.sell_qty);
	fprintf(f, "position    final %" PRId64 " %s, largest |position| %" PRId64 " (limit %" PRId64
		"), risk state %s\n", m.position, m.symbol, m.max_abs_position, m.max_position,
		m.state ? m.state : "?");
	fprintf(f, "P&L         gross %s %s, fees %s %s, net %s %s "
		"(venue's fills give gross %s, fees %s: %s)\n",
		MTXT(gross), ccy, MTXT(m.fees_e9), ccy, MTXT(m.net_e9), ccy,
		MTXT(m.venue_gross_e9), MTXT(m.vt.fee_e9),
		gross == m.venue_gross_e9 && m.fees_e9 == m.vt.fee_e9 ? "agree"
										  : "DIFFER");
	if (m.lat_n)
		fprintf(f, "latency     tick-to-order p50 %.1f us, p99 %.1f us, p99.9 %.1f us "
			"(%" PRIu64 " orders)\n", m.lat_p50, m.lat_p99, m.lat_p999, m.lat_n);
	else
		fprintf(f, "latency     tick-to-order: no order timed\n");
	warnings(s, &m, warn_text, f);
}

void rt_progress_text(const struct seg *s, FILE *f)
{
	struct summary m;
	summarize(s, &m);
	fprintf(f, "%" PRIu64 " events, %" PRIu64 " intents, %" PRIu64 " decisions (%" PRIu64
		" approved), %" PRIu64 " fills, position %" PRId64 ", net %s %s%s\n",
		m.events, m.intents, m.decisions, m.released, m.vt.fills, m.position,
		MTXT(m.net_e9), m.currency, m.conflated ? ", books conflated" : "");
}
