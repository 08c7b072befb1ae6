/*
 * ag_risk.c — the risk agent: moves messages between its rings and the
 * risk voter of libcore/riskd (the pre-trade vote, the approvals held
 * until a report, the position, the day start, the kill switch; the
 * limits of conf/risk.yaml: libcore/risk, docs/risk.md).
 *
 * The module's state is the agent's app area (struct riskd_state), so a
 * restarted agent resumes its position and approvals.  Votes are written
 * straight into the claimed ring slot; a full vote ring leaves the request
 * in its ring (-EAGAIN).  Positions are snapshots sent with rt_send.  The
 * runtime's latched kill flag (RT_SF_KILLED) is handed to the module on
 * every vote request and every pass.  At exit the agent logs the position
 * and P&L and writes AG_RISK_FINAL_FILE for dmctl stop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agents/rt/agents.h"
#include "libcore/mt5/mt5_venue.h"

struct risk_ctx {
	int in_md, in_req, in_rep;
	int in_int;              /* intents_risk (vote.fanout), else -1 */
	int out_vote, out_pos;
	int venue_mt5;              /* venue.kind mt5: the link's state counts */
	struct rt *rt;
	struct riskd d;             /* the module, on the app area */
};

static struct risk_ctx ctx;

static int killed_flag(const struct rt *rt)
{
	return rt_flags(rt) & RT_SF_KILLED ? 1 : 0;
}

/* ------------------------------------------------ the module's outputs */

static struct msg_vote *out_vote_claim(void *p)
{
	struct risk_ctx *c = p;
	if (!rt_claim(c->rt, (uint32_t)c->out_vote, 1))
		return NULL;
	return rt_slot(c->rt, (uint32_t)c->out_vote, 0);
}

static void out_vote_publish(void *p, struct msg_vote *v)
{
	struct risk_ctx *c = p;
	rt_publish(c->rt, (uint32_t)c->out_vote, 1);
	rt_lat_stage(c->rt, v->hdr.ingress_ns);
}

/* a snapshot: when the ring is full the next one replaces it */
static int out_position(void *p, struct msg_position *m)
{
	struct risk_ctx *c = p;
	return rt_send(c->rt, (uint32_t)c->out_pos, m, sizeof(*m)) == 0 ? 0 : -EAGAIN;
}

static void out_log(void *p, int error, const char *text)
{
	struct risk_ctx *c = p;
	rt_log_at(c->rt, error ? RT_LOG_ERROR : RT_LOG_INFO, "%s", text);
	if (error)
		rt_count(&c->rt->slot->ctr.errors, 1);
}

/* ------------------------------------------------ rings -> module */

/* venue.kind mt5: the terminal's link, as the data agent says it (on a
 * change and every second): down, or silent for two heartbeat intervals */
static void venue_state(struct risk_ctx *c, const struct msg_venue_event *e)
{
	if (e->hdr.size < sizeof(*e) || e->ev != MT5_VEV_STATE)
		return;
	int up = e->n != 0;
	if (up == !c->d.venue_down)
		return;
	riskd_set_venue(&c->d, up);
	if (up)
		rt_log(c->rt, "venue mt5: the terminal's link is up: votes on orders again");
	else
		rt_warn(c->rt, "venue mt5: the terminal's link is down or silent: orders refused "
			"(venue_down)");
}

static int risk_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct risk_ctx *c = rt->ctx;
	if ((int)in == c->in_md) {
		/* trades and the end of a replay (MSG_END) tell risk nothing */
		if (m->type == MSG_BOOK)
			riskd_on_book(&c->d, (const struct msg_book *)m, rt->now_ns);
		else if (m->type == MSG_VENUE_EVENT && c->venue_mt5)
			venue_state(c, (const struct msg_venue_event *)m);
		return 0;
	}
	if ((int)in == c->in_rep) {
		if (m->type != MSG_EXEC_REPORT)
			return -EPROTO;
		riskd_on_report(&c->d, (const struct msg_exec_report *)m, rt->now_ns);
		return 0;
	}
	if ((int)in == c->in_int && m->type == MSG_INTENT)
		return riskd_on_intent(&c->d, (const struct msg_intent *)m, killed_flag(rt),
				       rt->now_ns);
	if ((int)in == c->in_req && m->type == MSG_VOTE_REQ)
		return riskd_on_vote_req(&c->d, (const struct msg_vote_req *)m, killed_flag(rt),
					 rt->now_ns);
	if ((int)in == c->in_req && m->type == MSG_VOTE_DONE) {
		/* a blocked ballot: the approval held for it ends now */
		riskd_on_vote_done(&c->d, (const struct msg_vote_done *)m, rt->now_ns);
		return 0;
	}
	return -EPROTO;
}

/* Approvals that never became orders and whose vote-done was lost
 * release their exposure after the time limit; the kill switch follows
 * the runtime's flag. */
static int risk_tick(struct rt *rt, int64_t now)
{
	struct risk_ctx *c = rt->ctx;
	return riskd_tick(&c->d, killed_flag(rt), now);
}

static const struct rt_ops risk_ops = {
	.on_msg = risk_msg,
	.on_tick = risk_tick,
};

int ag_risk_load_limits(const struct dm_config *cfg, struct risk_cfg *out, char *err,
			size_t errlen)
{
	return config_load_risk_for(cfg, out, NULL, 0, err, errlen);
}

int ag_risk_init(struct rt *rt)
{
	struct risk_ctx *c = &ctx;
	struct riskd_state *st = rt->app;
	memset(c, 0, sizeof(*c));
	c->rt = rt;
	if ((c->in_md = ag_need_in(rt, "md_risk", sizeof(struct msg_book))) < 0 ||
	    (c->in_req = ag_need_in(rt, "vote_req_risk", sizeof(struct msg_vote_req))) < 0 ||
	    (c->in_rep = ag_need_in(rt, "reports_risk", sizeof(struct msg_exec_report))) < 0 ||
	    (c->out_vote = ag_need_out(rt, "votes_risk", sizeof(struct msg_vote))) < 0 ||
	    (c->out_pos = ag_need_out(rt, "positions", sizeof(struct msg_position))) < 0 ||
	    (c->in_int = ag_intents_in(rt)) < -1)
		return -DM_ETOPOLOGY;
	struct riskd_params p;
	char err[512];
	int rc = trader_riskd_params(&rt->cfg.core, (uint16_t)rt_agent_role[rt->self], &p, err, sizeof(err));
	if (rc < 0) {
		rt_error(rt, "%s", err);
		return rc;
	}
	if (rt->app_fresh)
		riskd_init(st, &p);
	const struct riskd_out out = {
		.ctx = c,
		.vote_claim = out_vote_claim,
		.vote_publish = out_vote_publish,
		.position = out_position,
		.log = out_log,
	};
	if (riskd_attach(&c->d, st, &p, &out) < 0)
		return -EINVAL;
	if (rt->cfg.core.venue.kind == VENUE_KIND_MT5) {
		/* no order until the data agent says the terminal is reachable */
		c->venue_mt5 = 1;
		riskd_set_venue(&c->d, 0);
	}
	char path[RT_PATH_MAX];
	if (rt_run_path(rt, AG_RISK_FINAL_FILE, path, sizeof(path)) == 0)
		unlink(path); /* written again at exit */
	rt_set_ops(rt, &risk_ops, c);
	return 0;
}

/* The position and P&L at exit for dmctl stop (AG_RISK_FINAL_FILE). */
static void write_final(struct rt *rt, const struct riskd_state *st,
			const struct risk_state *rs, const struct risk_pnl *p)
{
	char m[4][32], text[512];
	instr_money_format(p->realized_e9, m[0], sizeof(m[0]));
	instr_money_format(p->unrealized_e9, m[1], sizeof(m[1]));
	instr_money_format(p->fees_e9, m[2], sizeof(m[2]));
	instr_money_format(p->net_e9, m[3], sizeof(m[3]));
	int k = snprintf(text, sizeof(text), "symbol %s\ncurrency %s\nposition %lld\n"
			 "realized %s\nunrealized %s\nfees %s\nnet %s\nfills %llu\nstate %s\n"
			 "kill_switch %d\n", st->symbol, st->currency, (long long)rs->position,
			 m[0], m[1], m[2], m[3], (unsigned long long)rs->fills,
			 risk_state_name(rs->state), rs->killed ? 1 : 0);
	int rc = k > 0 && (size_t)k < sizeof(text)
		 ? rt_run_file_put(rt, AG_RISK_FINAL_FILE, text, (size_t)k) : -ENAMETOOLONG;
	if (rc < 0)
		rt_error(rt, "cannot write %s in %s: %s", AG_RISK_FINAL_FILE, rt->run_dir,
		         strerror(-rc));
}

void ag_risk_close(struct rt *rt)
{
	const struct riskd_state *st = rt->app;
	const struct risk_state *rs = riskd_current(st);
	struct risk_pnl p;
	risk_pnl(rs, &p);
	char m[4][32];
	instr_money_format(p.realized_e9, m[0], sizeof(m[0]));
	instr_money_format(p.unrealized_e9, m[1], sizeof(m[1]));
	instr_money_format(p.fees_e9, m[2], sizeof(m[2]));
	instr_money_format(p.net_e9, m[3], sizeof(m[3]));
	rt_log(rt, "position %lld, fills %llu, volume %lld, realized %s %s, unrealized "
	       "%s %s, fees %s %s, net %s %s, state %s",
	       (long long)rs->position, (unsigned long long)rs->fills, (long long)rs->volume,
	       m[0], rs->currency, m[1], rs->currency, m[2], rs->currency, m[3], rs->currency,
	       risk_state_name(rs->state));
	write_final(rt, st, rs, &p);
}
