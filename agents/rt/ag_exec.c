/*
 * ag_exec.c — the execution agent: takes released orders, fills them
 * against the last book with the PLACEHOLDER venue of
 * libcore/agent/venue.h (immediate fill at the touch, rest cancelled),
 * and reports each order twice (ACK, then FILLED / CANCELLED / REJECTED)
 * to risk and to the coordinator.  Every order accepted is journaled
 * (JREC_ORDER, struct msg_order as received, then JREC_EXEC, its final
 * struct msg_exec_report) before any report leaves.  Orders arrive in
 * increasing client order ids; one not above the last handled is a
 * duplicate and is dropped, so a re-sent order never reaches the venue
 * twice.  Votes: in-flight limit, book present, kill switch.
 */
#include <errno.h>
#include <string.h>

#include "agents/rt/agents.h"
#include "libcore/journal.h"

struct exec_ctx {
	int in_md, in_orders, in_req;
	int out_vote, out_rep[2];
	struct journal_writer jw;
	int jopen;
};

static struct exec_ctx ctx;

static void report(struct msg_exec_report *r, const struct msg_order *o,
		   const struct ag_exec_order *e, uint8_t status, int64_t now)
{
	memset(r, 0, sizeof(*r));
	r->hdr.type = MSG_EXEC_REPORT;
	r->hdr.size = sizeof(*r);
	r->hdr.flags = o->hdr.flags & MSG_F_REPLAY;
	r->hdr.ingress_ns = o->hdr.ingress_ns;
	r->client_order_id = e->client_order_id;
	r->venue_order_id = e->venue_order_id;
	r->side = e->side;
	r->venue_ns = now;
	r->status = status;
	if (status == EXEC_ACK) {
		r->leaves_qty = e->qty;
		return;
	}
	r->exec_id = e->exec_id;
	r->last_px = e->fill_px;
	r->last_qty = e->cum_qty;
	r->cum_qty = e->cum_qty;
	r->reason = e->reason;
}

/*
 * One order.  The entry in the order table is complete before
 * last_client_order_id moves to it (the commit point: the venue has
 * filled it); the journal and the reports follow, each marked done in
 * the entry.  An order re-delivered after a kill -9 is dropped when it
 * was reported, or finished without a second fill when it was not.
 */
static int on_order(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st,
		    const struct msg_order *o)
{
	uint64_t coid = o->client_order_id;
	struct ag_exec_order *e = &st->order[coid % AG_EXEC_ORDERS];
	if (coid < st->last_client_order_id ||
	    (coid == st->last_client_order_id &&
	     (e->client_order_id != coid || (e->flags & AG_EXEC_F_REPORTED))))
		return 0; /* a duplicate: already sent to the venue */
	for (int k = 0; k < 2; k++)
		if (!rt_claim(rt, (uint32_t)c->out_rep[k], 2))
			return -EAGAIN;
	int64_t now = rt->now_ns;
	if (coid > st->last_client_order_id) {
		struct ag_exec_order n;
		memset(&n, 0, sizeof(n));
		n.client_order_id = coid;
		n.decision_id = o->decision_id;
		n.venue_order_id = ++st->next_venue_id;
		n.px = o->px;
		n.qty = o->qty;
		n.side = o->side;
		n.recv_ns = now;
		if (rt_flags(rt) & RT_SF_KILLED) {
			n.status = EXEC_REJECTED;
			n.reason = VOTE_R_KILL_SWITCH;
		} else {
			int64_t fpx = 0;
			rt_lat_stage(rt, o->hdr.ingress_ns); /* hand-off: tick-to-order */
			int64_t fq = venue_touch_fill(&st->touch, o->side,
						      o->ord_type == ORD_MARKET ? 0 : o->px,
						      o->qty, &fpx);
			if (fq > 0) {
				n.status = EXEC_FILLED;
				n.exec_id = ++st->next_exec_id;
				n.fill_px = fpx;
				n.cum_qty = (int32_t)fq;
			} else {
				n.status = EXEC_CANCELLED; /* IOC, nothing at the touch */
			}
		}
		*e = n;
		st->last_client_order_id = coid; /* commit point */
		st->orders++;
		if (n.status == EXEC_FILLED) {
			st->fills++;
			st->filled_qty += n.side * n.cum_qty;
		} else if (n.status == EXEC_CANCELLED) {
			st->cancels++;
		} else {
			st->rejects++;
		}
	}
	struct msg_exec_report fin;
	report(&fin, o, e, e->status, now);
	if (!(e->flags & AG_EXEC_F_JOURNALED)) {
		/* on file before any report leaves */
		if (journal_append(&c->jw, JREC_ORDER, o, sizeof(*o)) < 0 ||
		    journal_append(&c->jw, JREC_EXEC, &fin, sizeof(fin)) < 0 ||
		    journal_flush(&c->jw) < 0)
			rt_count(&rt->slot->ctr.errors, 1);
		e->flags |= AG_EXEC_F_JOURNALED;
	}
	for (int k = 0; k < 2; k++) {
		uint32_t out = (uint32_t)c->out_rep[k];
		report(rt_slot(rt, out, 0), o, e, EXEC_ACK, now);
		memcpy(rt_slot(rt, out, 1), &fin, sizeof(fin));
		rt_publish(rt, out, 2);
	}
	e->flags |= AG_EXEC_F_REPORTED;
	return 0;
}

static int on_vote_req(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st,
		       const struct msg_vote_req *q)
{
	if (!rt_claim(rt, (uint32_t)c->out_vote, 1))
		return -EAGAIN;
	uint32_t reason = VOTE_R_APPROVED;
	if (rt_flags(rt) & RT_SF_KILLED)
		reason = VOTE_R_KILL_SWITCH;
	else if (!st->touch_ns)
		reason = VOTE_R_NO_BOOK;
	else if (st->inflight >= rt->cfg.execution.max_inflight)
		reason = VOTE_R_INFLIGHT;
	struct msg_vote *v = rt_slot(rt, (uint32_t)c->out_vote, 0);
	memset(v, 0, sizeof(*v));
	v->hdr.type = MSG_VOTE;
	v->hdr.size = sizeof(*v);
	v->hdr.ingress_ns = q->hdr.ingress_ns;
	v->decision_id = q->decision_id;
	v->voter = (uint16_t)rt->self;
	v->verdict = reason == VOTE_R_APPROVED ? VOTE_APPROVE : VOTE_REJECT;
	v->reason = reason;
	rt_publish(rt, (uint32_t)c->out_vote, 1);
	st->votes++;
	return 0;
}

static int exec_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct exec_ctx *c = rt->ctx;
	struct ag_exec_state *st = rt->app;
	if ((int)in == c->in_md) {
		if (m->type == MSG_BOOK) {
			const struct msg_book *b = (const struct msg_book *)m;
			st->touch.bid_px = b->n_bid ? b->bid[0].px : 0;
			st->touch.bid_qty = b->n_bid ? b->bid[0].qty : 0;
			st->touch.ask_px = b->n_ask ? b->ask[0].px : 0;
			st->touch.ask_qty = b->n_ask ? b->ask[0].qty : 0;
			st->touch_ns = b->exch_ns;
		}
		return 0;
	}
	if ((int)in == c->in_orders) {
		if (m->type == MSG_ORDER)
			return on_order(rt, c, st, (const struct msg_order *)m);
		if (m->type == MSG_CANCEL) {
			/* every order is IOC and final at once: nothing rests to cancel */
			rt_log(rt, "cancel all: no resting orders");
			return 0;
		}
		return -EPROTO;
	}
	if ((int)in == c->in_req && m->type == MSG_VOTE_REQ)
		return on_vote_req(rt, c, st, (const struct msg_vote_req *)m);
	return -EPROTO;
}

static int exec_tick(struct rt *rt, int64_t now)
{
	struct exec_ctx *c = rt->ctx;
	(void)now;
	if (c->jopen && rt->last_work == 0)
		journal_poll(&c->jw);
	return 0;
}

static const struct rt_ops exec_ops = {
	.on_msg = exec_msg,
	.on_tick = exec_tick,
};

int ag_exec_init(struct rt *rt)
{
	struct exec_ctx *c = &ctx;
	memset(c, 0, sizeof(*c));
	if ((c->in_md = ag_need_in(rt, "md_execution", sizeof(struct msg_book))) < 0 ||
	    (c->in_orders = ag_need_in(rt, "orders", sizeof(struct msg_order))) < 0 ||
	    (c->in_req = ag_need_in(rt, "vote_req_execution", sizeof(struct msg_vote_req))) < 0 ||
	    (c->out_vote = ag_need_out(rt, "votes_execution", sizeof(struct msg_vote))) < 0 ||
	    (c->out_rep[0] = ag_need_out(rt, "reports_risk", sizeof(struct msg_exec_report))) < 0 ||
	    (c->out_rep[1] = ag_need_out(rt, "reports_coordinator",
					 sizeof(struct msg_exec_report))) < 0)
		return -DM_ETOPOLOGY;
	int rc = ag_journal_open(rt, &c->jw, AG_ORDERS_JOURNAL);
	if (rc < 0)
		return rc;
	c->jopen = 1;
	rt_set_ops(rt, &exec_ops, c);
	return 0;
}

void ag_exec_close(struct rt *rt)
{
	struct ag_exec_state *st = rt->app;
	if (ctx.jopen && journal_close(&ctx.jw) < 0)
		rt_log(rt, "orders journal: write error");
	ctx.jopen = 0;
	rt_log(rt, "orders %llu: filled %llu, cancelled %llu, rejected %llu; net filled %lld",
	       (unsigned long long)st->orders, (unsigned long long)st->fills,
	       (unsigned long long)st->cancels, (unsigned long long)st->rejects,
	       (long long)st->filled_qty);
}
