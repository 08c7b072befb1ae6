/*
 * ag_risk.c — the risk agent: the pre-trade vote and the position, with
 * the limits of conf/risk.yaml (libcore/risk; docs/risk.md).
 *
 * Clock.  Risk judges orders on the market's clock: the exchange time of
 * the newest book plus the local time elapsed since it arrived.  Live,
 * that is the exchange's time; in a replay it is the replayed day, so the
 * session hours and the daily reset follow the market being replayed.
 * The stale-data guard therefore measures how long ago (local time) the
 * newest book arrived.
 *
 * Approvals.  An approved vote opens the order in risk's table under its
 * decision id; execution's reports carry that id beside the client order
 * id, so fills and the terminal report of the order release it.  A ballot that
 * another voter blocks never produces a report: the approval expires
 * after AG_RISK_RESERVE_NS without one.
 *
 * Fills are applied to a copy of the state, then one store flips to it, so
 * a kill -9 leaves either the old or the new position (fills de-duplicated
 * by exec_id make a re-delivered report harmless).  The position goes to
 * the coordinator after every fill and, on mark changes, at most once per
 * AG_RISK_POS_EVERY_NS.  Risk holds the veto.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agents/rt/agents.h"

struct risk_ctx {
	int in_md, in_req, in_rep;
	int out_vote, out_pos;
	struct risk_cfg cfg;
	struct instrument instr;
	struct calendar cal;
	uint32_t instrument;
};

static struct risk_ctx ctx;

static inline struct risk_state *cur_rs(struct ag_risk_state *st)
{
	return &st->rs[atomic_load_explicit(&st->cur, memory_order_relaxed) & 1];
}

/* The market's clock (see the top). */
static int64_t market_now(const struct rt *rt, const struct ag_risk_state *st)
{
	if (!st->book_local_ns)
		return rt->now_ns;
	return st->book_exch_ns + (rt->now_ns - st->book_local_ns);
}

static void send_position(struct rt *rt, struct risk_ctx *c, struct ag_risk_state *st,
			  int64_t ingress_ns)
{
	const struct risk_state *rs = cur_rs(st);
	struct risk_pnl pnl;
	risk_pnl(rs, &pnl);
	struct msg_position p;
	memset(&p, 0, sizeof(p));
	p.hdr.type = MSG_POSITION;
	p.hdr.size = sizeof(p);
	p.hdr.ingress_ns = ingress_ns;
	p.position = rs->position;
	p.mark_px = rs->mid_x2 / 2;
	p.avg_px = risk_avg_px(rs);
	p.realized_e9 = pnl.realized_e9;
	p.unrealized_e9 = pnl.unrealized_e9;
	p.fees_e9 = pnl.fees_e9;
	p.instrument = c->instrument;
	p.trading_state = rs->state;
	if (st->flatten && rs->killed) {
		struct risk_order fo;
		if (risk_flatten_order(rs, &c->cfg, &fo)) {
			p.flags |= POS_F_FLATTEN;
			p.flatten_qty = (int32_t)(fo.side * fo.qty);
		} else {
			st->flatten = 0; /* flat: done */
			rt_log(rt, "kill switch: position flat");
		}
	}
	/* a snapshot: when the ring is full the next one replaces it */
	if (rt_send(rt, (uint32_t)c->out_pos, &p, sizeof(p)) == 0) {
		st->positions++;
		st->last_pos_ns = rt->now_ns;
	}
}

static void pend_add(struct ag_risk_state *st, uint64_t id, int64_t expire_ns)
{
	struct ag_risk_pending *free_slot = NULL;
	for (uint32_t i = 0; i < AG_RISK_PENDING; i++) {
		if (st->pend[i].id == id)
			return;
		if (!st->pend[i].id && !free_slot)
			free_slot = &st->pend[i];
	}
	if (free_slot) {
		free_slot->expire_ns = expire_ns;
		free_slot->id = id;
	}
}

/* A report names the order: it reached the venue, no expiry any more. */
static void pend_clear(struct ag_risk_state *st, uint64_t id)
{
	for (uint32_t i = 0; i < AG_RISK_PENDING; i++)
		if (st->pend[i].id == id)
			st->pend[i].id = 0;
}

/* Kill switch and re-arm follow the runtime's latched flag. */
static void follow_kill(struct rt *rt, struct risk_ctx *c, struct ag_risk_state *st)
{
	uint32_t killed = rt_flags(rt) & RT_SF_KILLED ? 1 : 0;
	if (killed == st->killed_seen)
		return;
	struct risk_state *rs = cur_rs(st);
	int64_t now = market_now(rt, st);
	if (killed) {
		if (risk_kill(rs, &c->cfg, now, VOTE_R_KILL_SWITCH)) {
			rt_log(rt, "kill switch: flattening a position of %lld",
			       (long long)rs->position);
			st->flatten = 1;
		}
		rt_log(rt, "kill switch latched: every order refused until re-armed");
	} else {
		st->flatten = 0;
		uint32_t s = risk_rearm(rs, &c->cfg, now);
		rt_log(rt, "re-armed: state %s", risk_state_name(s));
	}
	st->killed_seen = killed;
	if (st->flatten)
		send_position(rt, c, st, 0);
}

static int on_vote_req(struct rt *rt, struct risk_ctx *c, struct ag_risk_state *st,
		       const struct msg_vote_req *q)
{
	if (!rt_claim(rt, (uint32_t)c->out_vote, 1))
		return -EAGAIN;
	follow_kill(rt, c, st);
	struct risk_state *rs = cur_rs(st);
	struct risk_order o = { .px = q->ord_type == ORD_MARKET ? 0 : q->px, .qty = q->qty,
				.side = q->side, .ord_type = q->ord_type };
	uint32_t reason = risk_check_order(rs, &c->cfg, &c->cal, &o, market_now(rt, st));
	if (reason == VOTE_R_APPROVED) {
		int rc = risk_on_order_open(rs, q->decision_id, q->side, q->qty);
		if (rc == -DM_EFULL)
			reason = VOTE_R_OPEN_ORDERS;
		else if (rc == 0)
			pend_add(st, q->decision_id, rt->now_ns + AG_RISK_RESERVE_NS);
		/* -EEXIST: the same request again (a re-delivery): approve again */
	}
	struct msg_vote *v = rt_slot(rt, (uint32_t)c->out_vote, 0);
	memset(v, 0, sizeof(*v));
	v->hdr.type = MSG_VOTE;
	v->hdr.size = sizeof(*v);
	v->hdr.ingress_ns = q->hdr.ingress_ns;
	v->decision_id = q->decision_id;
	v->voter = (uint16_t)rt->self;
	v->verdict = reason == VOTE_R_APPROVED ? VOTE_APPROVE :
		     reason == VOTE_R_KILL_SWITCH ? VOTE_VETO : VOTE_REJECT;
	v->reason = reason;
	rt_publish(rt, (uint32_t)c->out_vote, 1);
	rt_lat_stage(rt, q->hdr.ingress_ns);
	st->votes++;
	return 0;
}

static void on_book(struct rt *rt, struct risk_ctx *c, struct ag_risk_state *st,
		    const struct msg_book *b)
{
	c->instrument = b->instrument;
	st->book_exch_ns = b->exch_ns;
	st->book_local_ns = rt->now_ns;
	struct risk_state *rs = cur_rs(st);
	/* a new session day starts the daily limits afresh */
	int32_t day = (int32_t)cal_local_date(&c->cal, b->exch_ns);
	if (day != st->day) {
		if (st->day)
			risk_day_start(rs, &c->cfg, b->exch_ns);
		st->day = day;
	}
	if (b->n_bid && b->n_ask)
		risk_on_book(rs, &c->cfg, b->bid[0].px, b->ask[0].px, b->exch_ns);
	if (rs->position && rt->now_ns - st->last_pos_ns > AG_RISK_POS_EVERY_NS)
		send_position(rt, c, st, b->hdr.ingress_ns);
}

static void on_report(struct rt *rt, struct risk_ctx *c, struct ag_risk_state *st,
		      const struct msg_exec_report *r)
{
	st->reports++;
	/* risk holds an approval under its decision id (reports carry both) */
	uint64_t id = r->decision_id;
	pend_clear(st, id);
	if (r->last_qty > 0 && r->exec_id) {
		uint32_t cur = atomic_load_explicit(&st->cur, memory_order_relaxed) & 1;
		st->rs[cur ^ 1] = st->rs[cur];
		struct risk_fill f = { .exec_id = r->exec_id, .client_order_id = id,
				       .px = r->last_px, .qty = r->last_qty,
				       .fee_e9 = r->fee_e9, .side = r->side };
		int rc = risk_on_fill(&st->rs[cur ^ 1], &c->cfg, &f, market_now(rt, st));
		if (rc == 1) {
			/* the one store that applies the fill */
			atomic_store_explicit(&st->cur, cur ^ 1, memory_order_release);
			int64_t a = st->rs[cur ^ 1].position;
			a = a < 0 ? -a : a;
			if (a > st->max_abs_position)
				st->max_abs_position = a;
			send_position(rt, c, st, r->hdr.ingress_ns);
		} else if (rc < 0) {
			rt_log(rt, "fill %llu of order %llu refused: %s",
			       (unsigned long long)r->exec_id,
			       (unsigned long long)r->client_order_id, dm_strerror(rc));
			rt_count(&rt->slot->ctr.errors, 1);
		}
	}
	if (id && (r->status == EXEC_FILLED || r->status == EXEC_CANCELLED ||
		   r->status == EXEC_REJECTED))
		risk_on_order_done(cur_rs(st), id);
}

static int risk_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct risk_ctx *c = rt->ctx;
	struct ag_risk_state *st = rt->app;
	if ((int)in == c->in_md) {
		if (m->type == MSG_BOOK)
			on_book(rt, c, st, (const struct msg_book *)m);
		return 0;
	}
	if ((int)in == c->in_rep) {
		if (m->type != MSG_EXEC_REPORT)
			return -EPROTO;
		on_report(rt, c, st, (const struct msg_exec_report *)m);
		return 0;
	}
	if ((int)in == c->in_req && m->type == MSG_VOTE_REQ)
		return on_vote_req(rt, c, st, (const struct msg_vote_req *)m);
	return -EPROTO;
}

/* Approvals that never became orders (blocked ballots) release their
 * exposure; the kill switch follows the runtime's flag. */
static int risk_tick(struct rt *rt, int64_t now)
{
	struct risk_ctx *c = rt->ctx;
	struct ag_risk_state *st = rt->app;
	int work = 0;
	follow_kill(rt, c, st);
	for (uint32_t i = 0; i < AG_RISK_PENDING; i++) {
		struct ag_risk_pending *p = &st->pend[i];
		if (p->id && now > p->expire_ns) {
			risk_on_order_done(cur_rs(st), p->id);
			p->id = 0;
			st->expired++;
			work++;
		}
	}
	return work;
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
	struct ag_risk_state *st = rt->app;
	memset(c, 0, sizeof(*c));
	if ((c->in_md = ag_need_in(rt, "md_risk", sizeof(struct msg_book))) < 0 ||
	    (c->in_req = ag_need_in(rt, "vote_req_risk", sizeof(struct msg_vote_req))) < 0 ||
	    (c->in_rep = ag_need_in(rt, "reports_risk", sizeof(struct msg_exec_report))) < 0 ||
	    (c->out_vote = ag_need_out(rt, "votes_risk", sizeof(struct msg_vote))) < 0 ||
	    (c->out_pos = ag_need_out(rt, "positions", sizeof(struct msg_position))) < 0)
		return -DM_ETOPOLOGY;
	char err[512];
	int rc = ag_risk_load_limits(&rt->cfg, &c->cfg, err, sizeof(err));
	if (rc < 0) {
		rt_log(rt, "%s", err);
		return rc;
	}
	if (instr_init(&c->instr, &rt->cfg.instrument) < 0 ||
	    cal_init(&c->cal, &rt->cfg.instrument) < 0) {
		rt_log(rt, "instrument: refused by instr_init / cal_init");
		return -DM_ECONFIG;
	}
	if (rt->app_fresh) {
		risk_init(&st->rs[0], &c->cfg, &c->instr);
		st->rs[1] = st->rs[0];
	}
	st->max_position = c->cfg.max_position;
	snprintf(st->symbol, sizeof(st->symbol), "%s", rt->cfg.instrument.symbol);
	snprintf(st->currency, sizeof(st->currency), "%s", ag_currency(&rt->cfg));
	char path[RT_PATH_MAX];
	if (rt_run_path(rt, AG_RISK_FINAL_FILE, path, sizeof(path)) == 0)
		unlink(path); /* written again at exit */
	rt_set_ops(rt, &risk_ops, c);
	return 0;
}

/* The position and P&L at exit for dmctl stop (AG_RISK_FINAL_FILE). */
static void write_final(struct rt *rt, const struct ag_risk_state *st,
			const struct risk_state *rs, const struct risk_pnl *p)
{
	char path[RT_PATH_MAX], tmp[RT_PATH_MAX + 8];
	if (rt_run_path(rt, AG_RISK_FINAL_FILE, path, sizeof(path)) < 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	char m[4][32];
	instr_money_format(p->realized_e9, m[0], sizeof(m[0]));
	instr_money_format(p->unrealized_e9, m[1], sizeof(m[1]));
	instr_money_format(p->fees_e9, m[2], sizeof(m[2]));
	instr_money_format(p->net_e9, m[3], sizeof(m[3]));
	fprintf(f, "symbol %s\ncurrency %s\nposition %lld\nrealized %s\nunrealized %s\n"
		"fees %s\nnet %s\nfills %llu\nstate %s\nkill_switch %d\n", st->symbol,
		st->currency, (long long)rs->position, m[0], m[1], m[2], m[3],
		(unsigned long long)rs->fills, risk_state_name(rs->state), rs->killed ? 1 : 0);
	if (fclose(f) == 0)
		rename(tmp, path);
}

void ag_risk_close(struct rt *rt)
{
	const struct ag_risk_state *st = rt->app;
	const struct risk_state *rs = cur_rs(rt->app);
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
