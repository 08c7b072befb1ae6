/*
 * ag_risk.c — the risk agent: keeps the position and P&L from execution
 * reports (fills deduplicated by exec_id), marks it at the mid of md_risk,
 * publishes MSG_POSITION to the coordinator after every fill (and at most
 * once per AG_RISK_POS_EVERY_NS on mark changes), and votes on orders
 * with the PLACEHOLDER limits of libcore/agent/risk.h.  Risk holds the
 * veto: its rejection blocks an order whatever the quorum.
 */
#include <errno.h>
#include <string.h>

#include "agents/rt/agents.h"

struct risk_ctx {
	int in_md, in_req, in_rep;
	int out_vote, out_pos;
	struct risk_limits lim;
	double brl_per_tick;
	uint32_t instrument;
};

static struct risk_ctx ctx;

static inline struct risk_pos *cur_pos(struct ag_risk_state *st)
{
	return &st->pos[atomic_load_explicit(&st->cur, memory_order_relaxed) & 1];
}

static void send_position(struct rt *rt, struct risk_ctx *c, struct ag_risk_state *st,
			  int64_t ingress_ns)
{
	struct msg_position p;
	memset(&p, 0, sizeof(p));
	p.hdr.type = MSG_POSITION;
	p.hdr.size = sizeof(p);
	p.hdr.ingress_ns = ingress_ns;
	const struct risk_pos *pos = cur_pos(st);
	p.position = pos->position;
	p.mark_px = pos->mark_px;
	p.avg_px = pos->avg_px;
	p.realized_brl = pos->realized_ticks * c->brl_per_tick;
	p.unrealized_brl = risk_pos_unrealized(pos) * c->brl_per_tick;
	p.fees_brl = (double)pos->fees_mbrl / 1000.0;
	p.instrument = c->instrument;
	p.trading_state = rt_flags(rt) & (RT_SF_HALTED | RT_SF_KILLED) ? 2 : 0;
	/* a snapshot: when the ring is full the next one replaces it */
	if (rt_send(rt, (uint32_t)c->out_pos, &p, sizeof(p)) == 0) {
		st->positions++;
		st->last_pos_ns = rt->now_ns;
	}
}

static int on_vote_req(struct rt *rt, struct risk_ctx *c, struct ag_risk_state *st,
		       const struct msg_vote_req *q)
{
	if (!rt_claim(rt, (uint32_t)c->out_vote, 1))
		return -EAGAIN;
	int64_t pb, ps;
	risk_reserved(&st->reserve, rt->now_ns, &pb, &ps);
	uint32_t reason = risk_check(&c->lim, cur_pos(st), pb, ps,
				     rt_flags(rt) & RT_SF_KILLED ? 1 : 0, q->side, q->px, q->qty);
	if (reason == VOTE_R_APPROVED &&
	    risk_reserve(&st->reserve, q->side, q->qty, rt->now_ns + AG_RISK_RESERVE_NS) < 0)
		reason = VOTE_R_POS_LIMIT; /* too many approvals in flight */
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

static int risk_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct risk_ctx *c = rt->ctx;
	struct ag_risk_state *st = rt->app;
	if ((int)in == c->in_md) {
		if (m->type == MSG_BOOK) {
			const struct msg_book *b = (const struct msg_book *)m;
			struct risk_pos *pos = cur_pos(st);
			if (b->n_bid && b->n_ask)
				pos->mark_px = (b->bid[0].px + b->ask[0].px) / 2;
			c->instrument = b->instrument;
			if (pos->position && rt->now_ns - st->last_pos_ns > AG_RISK_POS_EVERY_NS)
				send_position(rt, c, st, m->ingress_ns);
		}
		return 0;
	}
	if ((int)in == c->in_rep) {
		if (m->type != MSG_EXEC_REPORT)
			return -EPROTO;
		const struct msg_exec_report *r = (const struct msg_exec_report *)m;
		st->reports++;
		if (r->last_qty <= 0)
			return 0;
		uint32_t cur = atomic_load_explicit(&st->cur, memory_order_relaxed) & 1;
		struct risk_pos next = st->pos[cur];
		if (risk_pos_fill(&next, r->exec_id, r->side, r->last_px, r->last_qty,
				  r->fee_mbrl) != 1)
			return 0; /* a fill applied before (re-delivered report) */
		st->pos[cur ^ 1] = next;
		/* the one store that applies the fill */
		atomic_store_explicit(&st->cur, cur ^ 1, memory_order_release);
		send_position(rt, c, st, m->ingress_ns);
		return 0;
	}
	if ((int)in == c->in_req && m->type == MSG_VOTE_REQ)
		return on_vote_req(rt, c, st, (const struct msg_vote_req *)m);
	return -EPROTO;
}

static const struct rt_ops risk_ops = {
	.on_msg = risk_msg,
};

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
	c->lim.max_position = AG_RISK_MAX_POSITION;
	c->lim.max_order_qty = AG_RISK_MAX_ORDER_QTY;
	c->lim.collar_ticks = AG_RISK_COLLAR_TICKS;
	/* BRL per tick per contract = tick (points) x BRL per point */
	c->brl_per_tick = (double)rt->cfg.instrument.tick_size_e6 *
			  (double)rt->cfg.instrument.point_value_e6 /
			  ((double)CFG_DEC_SCALE * CFG_DEC_SCALE);
	if (rt->app_fresh) {
		risk_pos_init(&st->pos[0]);
		risk_pos_init(&st->pos[1]);
	}
	rt_set_ops(rt, &risk_ops, c);
	return 0;
}

void ag_risk_close(struct rt *rt)
{
	const struct risk_pos *pos = cur_pos(rt->app);
	rt_log(rt, "position %lld, fills %llu, volume %lld, realized %.2f BRL, "
	       "unrealized %.2f BRL at mark %lld",
	       (long long)pos->position, (unsigned long long)pos->fills,
	       (long long)pos->volume, pos->realized_ticks * ctx.brl_per_tick,
	       risk_pos_unrealized(pos) * ctx.brl_per_tick, (long long)pos->mark_px);
}
