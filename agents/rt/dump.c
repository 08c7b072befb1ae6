/* dump.c — the agents' state for monitors (dump.h). */
#include <inttypes.h>
#include <string.h>

#include "agents/rt/agents.h"
#include "agents/rt/dump.h"

static const void *app(const struct seg *s, uint32_t a, uint32_t version, uint32_t size)
{
	if (!rt_state_valid(s, a))
		return NULL;
	const struct rt_state *st = rt_state_of(s, a);
	if (atomic_load(&((struct rt_state *)st)->app_version) != version || st->app_size != size)
		return NULL;
	return rt_app_of(s, a);
}

static const struct risk_state *risk_now(const struct ag_risk_state *r)
{
	return &r->rs[atomic_load(&((struct ag_risk_state *)r)->cur) & 1];
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
			}
			break;
		case AGENT_FEATURE:
			if ((p = app(s, a, AG_FEATURE_VERSION, sizeof(struct ag_feature_state)))) {
				const struct ag_feature_state *d = p;
				json_object_set_new(o, "books", json_integer((json_int_t)d->books));
				json_object_set_new(o, "features", json_integer((json_int_t)d->features));
				json_object_set_new(o, "votes", json_integer((json_int_t)d->votes));
			}
			break;
		case AGENT_ML:
			if ((p = app(s, a, AG_ML_VERSION, sizeof(struct ag_ml_state)))) {
				const struct ag_ml_state *d = p;
				json_object_set_new(o, "features", json_integer((json_int_t)d->evaluated));
				json_object_set_new(o, "no_side", json_integer((json_int_t)d->no_side));
				json_object_set_new(o, "scored", json_integer((json_int_t)d->predicted));
				json_object_set_new(o, "below_min_prob", json_integer((json_int_t)d->below_prob));
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
				json_object_set_new(o, "venue", json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:I}",
					"fills", (json_int_t)vt->fills, "buy_qty", (json_int_t)vt->buy_qty,
					"sell_qty", (json_int_t)vt->sell_qty,
					"buy_value_ticks", (json_int_t)vt->buy_value,
					"sell_value_ticks", (json_int_t)vt->sell_value,
					"fees", (double)vt->fee_e9 / 1e9, "fees_e9", (json_int_t)vt->fee_e9));
			}
			break;
		case AGENT_RISK:
			if ((p = app(s, a, AG_RISK_VERSION, sizeof(struct ag_risk_state)))) {
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
				json_object_set_new(o, "currency", json_string(r->currency));
				json_object_set_new(o, "realized", json_real((double)pnl.realized_e9 / 1e9));
				json_object_set_new(o, "unrealized", json_real((double)pnl.unrealized_e9 / 1e9));
				json_object_set_new(o, "fees", json_real((double)pnl.fees_e9 / 1e9));
				json_object_set_new(o, "net", json_real((double)pnl.net_e9 / 1e9));
				json_object_set_new(o, "drawdown", json_real((double)pnl.drawdown_e9 / 1e9));
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
	const struct ag_risk_state *r = app(s, AGENT_RISK, AG_RISK_VERSION, sizeof(struct ag_risk_state));
	const struct ag_data_state *d = app(s, AGENT_DATA, AG_DATA_VERSION, sizeof(struct ag_data_state));
	if (d)
		fprintf(f, "replay     %" PRIu64 " events (%" PRIu64 " books, %" PRIu64 " trades)%s\n",
			d->events, d->books, d->trades, d->done ? ", done" : "");
	if (r) {
		const struct risk_state *p = risk_now(r);
		struct risk_pnl pnl;
		risk_pnl(p, &pnl);
		char mo[4][32];
		instr_money_format(pnl.realized_e9, mo[0], sizeof(mo[0]));
		instr_money_format(pnl.unrealized_e9, mo[1], sizeof(mo[1]));
		instr_money_format(pnl.fees_e9, mo[2], sizeof(mo[2]));
		instr_money_format(pnl.net_e9, mo[3], sizeof(mo[3]));
		fprintf(f, "position   %" PRId64 " @ %.1f, mark %.1f, realized %s %s, unrealized "
			"%s %s, fees %s %s, net %s %s, %" PRIu64 " fills, state %s%s\n",
			p->position, risk_avg_px(p), (double)p->mid_x2 / 2.0,
			mo[0], p->currency, mo[1], p->currency, mo[2], p->currency, mo[3], p->currency,
			p->fills, risk_state_name(p->state), p->killed ? " (kill switch latched)" : "");
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

/* ------------------------------------------------------------ summary */

struct summary {
	int ok_data, ok_ml, ok_exec, ok_risk, ok_coord;
	uint64_t events, books, trades;
	int done;
	uint64_t scored, intents;
	double mean_prob, mean_scored;
	uint64_t decisions, released, blocked;
	const uint64_t *by_reason;      /* coordinator, VOTE_R_COUNT */
	const uint64_t *risk_rejected;  /* risk, VOTE_R_COUNT */
	uint64_t orders, filled, cancelled, rejected, refused;
	struct venue_totals vt;
	int64_t position, max_abs_position, max_position, mid_x2, tick_value_e9;
	struct risk_pnl pnl;
	int64_t venue_gross_e9;         /* recomputed from the venue's sums */
	char currency[CFG_CURRENCY_MAX];
	const char *state;
	uint64_t lat_n;
	double lat_p50, lat_p99, lat_p999;
};

static void summarize(const struct seg *s, struct summary *m)
{
	memset(m, 0, sizeof(*m));
	const struct ag_data_state *d = app(s, AGENT_DATA, AG_DATA_VERSION,
					    sizeof(struct ag_data_state));
	if (d) {
		m->ok_data = 1;
		m->events = d->events;
		m->books = d->books;
		m->trades = d->trades;
		m->done = (int)d->done;
	}
	const struct ag_ml_state *ml = app(s, AGENT_ML, AG_ML_VERSION, sizeof(struct ag_ml_state));
	if (ml) {
		m->ok_ml = 1;
		m->scored = ml->predicted;
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
	const struct ag_risk_state *r = app(s, AGENT_RISK, AG_RISK_VERSION,
					    sizeof(struct ag_risk_state));
	if (r) {
		const struct risk_state *rs = risk_now(r);
		m->ok_risk = 1;
		m->position = rs->position;
		m->mid_x2 = rs->mid_x2;
		m->tick_value_e9 = rs->tick_value_e9;
		memcpy(m->currency, rs->currency, sizeof(m->currency));
		m->currency[sizeof(m->currency) - 1] = '\0';
		m->max_abs_position = r->max_abs_position;
		m->max_position = r->max_position;
		risk_pnl(rs, &m->pnl);
		m->risk_rejected = rs->rejected;
		m->state = risk_state_name(rs->state);
		/* the venue's fills valued independently: cash of every fill
		 * plus the open position at risk's mark (mid = mid_x2 / 2) */
		int64_t net = m->vt.buy_qty - m->vt.sell_qty;
		m->venue_gross_e9 = (m->vt.sell_value - m->vt.buy_value) * rs->tick_value_e9 +
				    (int64_t)((__int128)net * rs->mid_x2 * rs->tick_value_e9 / 2);
	}
	const struct hist *h = &rt_lat_of(s, AGENT_EXECUTION)->stage;
	if (rt_state_valid(s, AGENT_EXECUTION) && (m->lat_n = hist__load(&h->count))) {
		m->lat_p50 = (double)hist_quantile(h, 0.50) / 1e3;
		m->lat_p99 = (double)hist_quantile(h, 0.99) / 1e3;
		m->lat_p999 = (double)hist_quantile(h, 0.999) / 1e3;
	}
}

static json_t *reasons_json(const uint64_t *by, int skip_approved)
{
	json_t *o = json_object();
	for (uint32_t k = 0; by && k < VOTE_R_COUNT; k++)
		if (by[k] && !(skip_approved && k == VOTE_R_APPROVED))
			json_object_set_new(o, vote_reason_name(k), json_integer((json_int_t)by[k]));
	return o;
}

json_t *rt_summary_json(const struct seg *s)
{
	struct summary m;
	summarize(s, &m);
	int64_t gross = m.pnl.realized_e9 + m.pnl.unrealized_e9;
	return json_pack("{s:{s:I, s:I, s:I, s:b}, s:{s:I, s:I, s:f, s:f}, "
			 "s:{s:I, s:I, s:I, s:o, s:o}, s:{s:I, s:I, s:I, s:I, s:I}, "
			 "s:{s:I, s:I, s:I, s:f}, s:{s:I, s:I, s:I, s:s, s:I, s:I}, "
			 "s:{s:s, s:f, s:f, s:f, s:f, s:b}, s:{s:I, s:I, s:I, s:I, s:I}, "
			 "s:{s:I, s:f, s:f, s:f}}",
		"events", "total", (json_int_t)m.events, "books", (json_int_t)m.books,
			"trades", (json_int_t)m.trades, "done", m.done,
		"ml", "scored", (json_int_t)m.scored, "intents", (json_int_t)m.intents,
			"mean_prob_intents", m.mean_prob, "mean_prob_scored", m.mean_scored,
		"decisions", "total", (json_int_t)m.decisions, "approved", (json_int_t)m.released,
			"rejected", (json_int_t)m.blocked,
			"rejected_by_reason", reasons_json(m.by_reason, 1),
			"risk_rejections_by_reason", reasons_json(m.risk_rejected, 1),
		"orders", "total", (json_int_t)m.orders, "filled", (json_int_t)m.filled,
			"cancelled", (json_int_t)m.cancelled, "rejected", (json_int_t)m.rejected,
			"refused", (json_int_t)m.refused,
		"fills", "count", (json_int_t)m.vt.fills, "bought", (json_int_t)m.vt.buy_qty,
			"sold", (json_int_t)m.vt.sell_qty, "fees", (double)m.vt.fee_e9 / 1e9,
		"position", "final", (json_int_t)m.position,
			"max_abs", (json_int_t)m.max_abs_position,
			"limit", (json_int_t)m.max_position, "risk_state", m.state ? m.state : "?",
			"mark_x2_ticks", (json_int_t)m.mid_x2,
			"tick_value_e9", (json_int_t)m.tick_value_e9,
		"pnl", "currency", m.currency, "gross", (double)gross / 1e9,
			"fees", (double)m.pnl.fees_e9 / 1e9,
			"net", (double)m.pnl.net_e9 / 1e9,
			"gross_from_venue", (double)m.venue_gross_e9 / 1e9,
			"venue_agrees", gross == m.venue_gross_e9 && m.pnl.fees_e9 == m.vt.fee_e9,
		"pnl_e9", "gross", (json_int_t)gross, "fees", (json_int_t)m.pnl.fees_e9,
			"net", (json_int_t)m.pnl.net_e9,
			"gross_from_venue", (json_int_t)m.venue_gross_e9,
			"fees_from_venue", (json_int_t)m.vt.fee_e9,
		"tick_to_order_us", "n", (json_int_t)m.lat_n, "p50", m.lat_p50, "p99", m.lat_p99,
			"p999", m.lat_p999);
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
	int64_t gross = m.pnl.realized_e9 + m.pnl.unrealized_e9;
	char mo[5][32];
	instr_money_format(gross, mo[0], sizeof(mo[0]));
	instr_money_format(m.pnl.fees_e9, mo[1], sizeof(mo[1]));
	instr_money_format(m.pnl.net_e9, mo[2], sizeof(mo[2]));
	instr_money_format(m.venue_gross_e9, mo[3], sizeof(mo[3]));
	instr_money_format(m.vt.fee_e9, mo[4], sizeof(mo[4]));
	fprintf(f, "events      %" PRIu64 " (%" PRIu64 " book updates, %" PRIu64 " trades)%s\n",
		m.events, m.books, m.trades, m.done ? "" : ", replay not finished");
	fprintf(f, "ml          %" PRIu64 " sides scored by the meta-model (mean p %.3f), "
		"%" PRIu64 " intents (mean p %.3f)\n", m.scored, m.mean_scored, m.intents,
		m.mean_prob);
	fprintf(f, "decisions   %" PRIu64 ": approved %" PRIu64 ", rejected %" PRIu64 " by reason:",
		m.decisions, m.released, m.blocked);
	reasons_text(f, m.by_reason);
	fprintf(f, "\n            risk's rejections:");
	reasons_text(f, m.risk_rejected);
	fprintf(f, "\norders      %" PRIu64 ": filled %" PRIu64 ", cancelled %" PRIu64
		", rejected %" PRIu64 "; refused before the venue %" PRIu64 "\n",
		m.orders, m.filled, m.cancelled, m.rejected, m.refused);
	fprintf(f, "fills       %" PRIu64 ": bought %" PRId64 ", sold %" PRId64 " contracts\n",
		m.vt.fills, m.vt.buy_qty, m.vt.sell_qty);
	fprintf(f, "position    final %" PRId64 ", largest |position| %" PRId64 " (limit %" PRId64
		"), risk state %s\n", m.position, m.max_abs_position, m.max_position,
		m.state ? m.state : "?");
	fprintf(f, "P&L         gross %s %s, fees %s %s, net %s %s "
		"(venue's fills give gross %s, fees %s: %s)\n",
		mo[0], m.currency, mo[1], m.currency, mo[2], m.currency, mo[3], mo[4],
		gross == m.venue_gross_e9 && m.pnl.fees_e9 == m.vt.fee_e9 ? "agree" : "DIFFER");
	if (m.lat_n)
		fprintf(f, "latency     tick-to-order p50 %.1f us, p99 %.1f us, p99.9 %.1f us "
			"(%" PRIu64 " orders)\n", m.lat_p50, m.lat_p99, m.lat_p999, m.lat_n);
	else
		fprintf(f, "latency     tick-to-order: no order timed\n");
}

void rt_progress_text(const struct seg *s, FILE *f)
{
	struct summary m;
	summarize(s, &m);
	char net[32];
	instr_money_format(m.pnl.net_e9, net, sizeof(net));
	fprintf(f, "%" PRIu64 " events, %" PRIu64 " intents, %" PRIu64 " decisions (%" PRIu64
		" approved), %" PRIu64 " fills, position %" PRId64 ", net %s %s\n",
		m.events, m.intents, m.decisions, m.released, m.vt.fills, m.position, net,
		m.currency);
}
