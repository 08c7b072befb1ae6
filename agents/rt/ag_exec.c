/*
 * ag_exec.c — the execution agent: the order table (libcore/exec) in front
 * of the venue (libcore/venue, the simulated exchange of paper trading).
 *
 * Orders.  A released order (MSG_ORDER) gets execution's client order id
 * (exec_new_order: epoch << 40 | n, unique across restarts and runs),
 * goes to the orders journal (JREC_ORDER, with that id), is marked sent,
 * then is handed to the venue (the tick-to-order clock stops here).  An
 * order whose decision id is already in the table is a re-delivery and
 * is dropped; an order refused by the table (limits, kill switch) comes
 * back as a REJECTED report so that risk releases its exposure.
 *
 * The venue runs on the market's clock: an order sent now is stamped
 * with the exchange time of the newest market event plus the feed
 * latency (what the strategy saw), arrives after the entry latency, and
 * is matched against the book of its arrival time as market events move
 * the venue's clock on.  When the market falls quiet (the end of a
 * replay) the venue's clock follows local time, so pending orders and
 * reports still complete.  Venue steps that may touch an order or a
 * report run on a copy of the venue block, then one store flips to it
 * (agents.h), so a kill -9 never leaves the simulated exchange half-way.
 *
 * Reports.  Every venue report goes through the table's state machine
 * (duplicates, out-of-order, replace chains); what it says to forward is
 * journaled (JREC_EXEC) and queued in a process-local outbox, published
 * to risk and to the coordinator, and fills are then marked published in
 * the table.  After a restart the table is reconciled with the venue's
 * view (fills the table had not seen come out as synthetic fills) and
 * fills applied but not yet published are sent again (receivers drop
 * exec ids they have seen).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agents/rt/agents.h"
#include "libcore/journal/journal.h"

#define OUTBOX     512   /* reports waiting for room on the report rings */
#define QUIET_NS   (50ll * 1000000) /* no market data this long: clock follows local time */
#define RESEND_NS  (10ll * 1000000000) /* orders ended this recently: final status again */

struct outmsg {
	struct msg_exec_report m;
	uint32_t done;        /* report rings that have it (bit k = out_rep[k]) */
	uint32_t pad;
};

struct exec_ctx {
	int in_md, in_orders, in_req;
	int out_vote, out_rep[2];
	struct journal_writer jw;
	int jopen;
	struct exec_cfg cfg;
	struct exec_table *t;
	uint8_t *vblk[2];
	uint32_t head, tail;  /* outbox ring */
	struct outmsg box[OUTBOX];
};

static struct exec_ctx ctx;

static struct ag_exec_state *state(struct rt *rt)
{
	return rt->app;
}

static struct venue *venue_now(struct exec_ctx *c, struct ag_exec_state *st)
{
	return (struct venue *)(void *)c->vblk[atomic_load_explicit(&st->venue_cur,
								    memory_order_relaxed) & 1];
}

/* The copy a step works on; venue_commit makes it current. */
static struct venue *venue_begin(struct exec_ctx *c, struct ag_exec_state *st)
{
	uint32_t cur = atomic_load_explicit(&st->venue_cur, memory_order_relaxed) & 1;
	memcpy(c->vblk[cur ^ 1], c->vblk[cur], st->venue_size);
	return (struct venue *)(void *)c->vblk[cur ^ 1];
}

static void venue_commit(struct ag_exec_state *st)
{
	uint32_t cur = atomic_load_explicit(&st->venue_cur, memory_order_relaxed) & 1;
	atomic_store_explicit(&st->venue_cur, cur ^ 1, memory_order_release);
}

/* Anything in flight at the venue (a step may then change orders). */
static int venue_busy(const struct exec_ctx *c, const struct venue *v)
{
	return venue_next_arrival_ns(v) != INT64_MAX || venue_next_report_ns(v) != INT64_MAX ||
	       c->t->ctr.open > 0;
}

/* The market clock: the newest event's time, or local time once quiet. */
static int64_t market_now(const struct rt *rt, const struct ag_exec_state *st)
{
	int64_t idle = rt->now_ns - st->last_md_ns;
	if (!st->last_md_ns || idle <= QUIET_NS)
		return st->last_exch_ns;
	return st->last_exch_ns + (idle - QUIET_NS);
}

/* ------------------------------------------------------------ reports out */

static void queue(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st,
		  const struct msg_exec_report *m)
{
	if (c->head - c->tail == OUTBOX) {
		/* cannot happen with max_open orders and OUTBOX >> 2 per order;
		 * a lost fill is re-sent by exec_unpublished after a restart */
		rt_log(rt, "report outbox full: report of order %llu dropped",
		       (unsigned long long)m->client_order_id);
		rt_count(&rt->slot->ctr.errors, 1);
		return;
	}
	if (journal_append(&c->jw, JREC_EXEC, m, sizeof(*m)) < 0)
		st->journal_errors++;
	struct outmsg *o = &c->box[c->head++ % OUTBOX];
	o->m = *m;
	o->done = 0;
}

/* Journal first (flushed), then both report rings; fills marked published. */
static int flush_outbox(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st)
{
	if (c->head == c->tail)
		return 0;
	if (journal_flush(&c->jw) < 0)
		st->journal_errors++;
	int work = 0;
	while (c->tail != c->head) {
		struct outmsg *o = &c->box[c->tail % OUTBOX];
		for (int k = 0; k < 2; k++)
			if (!(o->done & (1u << k)) &&
			    rt_send(rt, (uint32_t)c->out_rep[k], &o->m, sizeof(o->m)) == 0)
				o->done |= 1u << k;
		if (o->done != 3u) {
			rt->wake_at_ns = rt->now_ns + 200000; /* rings full: retry */
			break;
		}
		st->reports_out++;
		if (o->m.exec_id && o->m.last_qty > 0) {
			st->fills_out++;
			st->filled_qty += o->m.side * o->m.last_qty;
			exec_fill_published(c->t, o->m.exec_id);
		}
		c->tail++;
		work++;
	}
	return work;
}

/* Forward what an exec_out says (the report of coid, and of the other order). */
static void forward(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st,
		    const struct exec_out *o, int64_t ingress_ns)
{
	for (int other = 0; other < 2; other++) {
		uint32_t bit = other ? EXEC_ACT_REPORT_OTHER : (EXEC_ACT_REPORT | EXEC_ACT_FILL);
		if (!(o->act & bit))
			continue;
		struct msg_exec_report m;
		exec_out_report(c->t, o, other, &m);
		const struct exec_order *e = exec_find(c->t, other ? o->other_coid : o->coid);
		m.decision_id = e ? e->decision_id : 0;
		m.hdr.ingress_ns = ingress_ns;
		m.hdr.flags = MSG_F_REPLAY;
		queue(rt, c, st, &m);
	}
	if (o->act & EXEC_ACT_ANOMALY)
		rt_log(rt, "order %llu: %s", (unsigned long long)o->coid,
		       exec_reason_name(o->anomaly));
}

/* A refusal before the venue: a REJECTED report under the decision id. */
static void refuse(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st,
		   const struct msg_order *o, uint32_t reason)
{
	struct msg_exec_report m;
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_EXEC_REPORT;
	m.hdr.size = sizeof(m);
	m.hdr.flags = MSG_F_REPLAY;
	m.hdr.ingress_ns = o->hdr.ingress_ns;
	m.decision_id = o->decision_id;
	m.side = o->side;
	m.status = EXEC_REJECTED;
	m.reason = (uint16_t)reason;
	m.venue_ns = st->last_exch_ns;
	st->refused++;
	queue(rt, c, st, &m);
}

/* Every report the venue has due by the market clock, through the table. */
static void drain_venue(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st,
			struct venue *v, int64_t mkt)
{
	struct msg_exec_report vr;
	while (venue_poll(v, mkt, &vr) == 1) {
		struct exec_report r;
		exec_report_from_msg(&r, &vr);
		if (vr.status == EXEC_REJECTED && venue_reason_is_cancel_reject(vr.reason))
			r.status = EXEC_VENUE_CANCEL_REJECT;
		struct exec_out o;
		int rc = exec_on_report(c->t, &r, rt->now_ns, &o);
		if (rc < 0) {
			rt_log(rt, "venue report for order %llu refused by the table: %s",
			       (unsigned long long)vr.client_order_id, dm_strerror(rc));
			continue;
		}
		forward(rt, c, st, &o, vr.hdr.ingress_ns);
		if (o.act & EXEC_ACT_CANCEL) {
			struct msg_cancel k = { .hdr = { .type = MSG_CANCEL, .size = sizeof(k) },
						.client_order_id = o.coid };
			if (venue_cancel_send(v, &k, mkt + venue_feed_delay(v)) < 0)
				st->venue_full++;
		}
	}
}

/* ------------------------------------------------------------ inputs */

static void on_md(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st,
		  const struct msg_hdr *m)
{
	struct event ev;
	memset(&ev, 0, sizeof(ev));
	if (m->type == MSG_BOOK) {
		const struct msg_book *b = (const struct msg_book *)m;
		ev.kind = EV_BOOK;
		ev.instrument = b->instrument;
		ev.exch_ns = b->exch_ns;
		ev.recv_ns = b->recv_ns;
		ev.book.n_bid = b->n_bid;
		ev.book.n_ask = b->n_ask;
		ev.book.flags = b->book_flags;
		memcpy(ev.book.bid, b->bid, sizeof(struct book_level) * b->n_bid);
		memcpy(ev.book.ask, b->ask, sizeof(struct book_level) * b->n_ask);
		st->have_book = b->n_bid && b->n_ask;
	} else if (m->type == MSG_TRADE) {
		const struct msg_trade *t = (const struct msg_trade *)m;
		ev.kind = EV_TRADE;
		ev.instrument = t->instrument;
		ev.exch_ns = t->exch_ns;
		ev.recv_ns = t->recv_ns;
		ev.trade.px = t->px;
		ev.trade.qty = t->qty;
		ev.trade.trade_id = t->trade_id;
		ev.trade.aggressor = t->aggressor;
		ev.trade.flags = t->trade_flags & TRADE_F_HIDDEN ? EV_TRADE_HIDDEN : 0;
	} else {
		return;
	}
	struct venue *v = venue_now(c, st);
	int busy = venue_busy(c, v);
	if (busy)
		v = venue_begin(c, st);
	venue_on_event(v, &ev);
	if (ev.exch_ns > st->last_exch_ns)
		st->last_exch_ns = ev.exch_ns;
	st->last_md_ns = rt->now_ns;
	if (busy) {
		drain_venue(rt, c, st, v, st->last_exch_ns);
		venue_commit(st);
	}
}

static int on_order(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st,
		    const struct msg_order *o)
{
	st->orders_in++;
	if (exec_find_decision(c->t, o->decision_id)) {
		st->dup_orders++; /* re-delivered: already at the venue */
		return 0;
	}
	/* under the kill switch only the flattening orders risk asked for pass */
	if ((rt_flags(rt) & RT_SF_KILLED) && !(o->hdr.flags & MSG_F_FLATTEN)) {
		refuse(rt, c, st, o, VOTE_R_KILL_SWITCH);
		return 0;
	}
	uint64_t coid = 0;
	int rc = exec_new_order(c->t, &c->cfg, o->decision_id, o->side, o->qty, o->px,
				o->ord_type, o->tif, rt->now_ns, &coid);
	if (rc != 0) {
		refuse(rt, c, st, o, (uint32_t)rc);
		return 0;
	}
	struct msg_order sent = *o;
	sent.client_order_id = coid;
	if (journal_append(&c->jw, JREC_ORDER, &sent, sizeof(sent)) < 0 ||
	    journal_flush(&c->jw) < 0)
		st->journal_errors++;
	exec_sent(c->t, coid, rt->now_ns); /* before the send: never sent twice */
	struct venue *v = venue_begin(c, st);
	int64_t mkt = market_now(rt, st);
	rt_lat_stage(rt, o->hdr.ingress_ns); /* hand-off to the venue: tick-to-order */
	if (venue_order_send(v, &sent, mkt + venue_feed_delay(v)) < 0) {
		st->venue_full++;
		rt_log(rt, "venue: too many messages in flight; order %llu left to "
		       "reconciliation", (unsigned long long)coid);
	}
	venue_commit(st);
	return 0;
}

static int on_cancel(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st,
		     const struct msg_cancel *k)
{
	struct exec_out outs[64];
	uint32_t n = 0;
	if (k->client_order_id == 0) {
		n = exec_cancel_all(c->t, rt->now_ns, outs, 64);
	} else if (exec_cancel(c->t, k->client_order_id, rt->now_ns, &outs[0]) == 0) {
		n = 1;
	}
	if (!n)
		return 0;
	struct venue *v = venue_begin(c, st);
	int64_t mkt = market_now(rt, st);
	for (uint32_t i = 0; i < n; i++) {
		forward(rt, c, st, &outs[i], k->hdr.ingress_ns);
		if (outs[i].act & EXEC_ACT_CANCEL) {
			struct msg_cancel vk = *k;
			vk.client_order_id = outs[i].coid;
			if (venue_cancel_send(v, &vk, mkt + venue_feed_delay(v)) < 0)
				st->venue_full++;
		}
	}
	venue_commit(st);
	rt_log(rt, "cancel %s: %u order(s)", k->client_order_id ? "one" : "all", n);
	return 0;
}

static int on_vote_req(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st,
		       const struct msg_vote_req *q)
{
	if (!rt_claim(rt, (uint32_t)c->out_vote, 1))
		return -EAGAIN;
	uint32_t reason;
	if (rt_flags(rt) & RT_SF_KILLED)
		reason = VOTE_R_KILL_SWITCH;
	else if (!st->have_book)
		reason = VOTE_R_NO_BOOK;
	else
		reason = exec_can_accept(c->t, &c->cfg);
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
	struct ag_exec_state *st = state(rt);
	if ((int)in == c->in_md) {
		on_md(rt, c, st, m);
		return 0;
	}
	if ((int)in == c->in_orders) {
		if (c->head - c->tail > OUTBOX - 8)
			return -EAGAIN; /* let the outbox drain first */
		if (m->type == MSG_ORDER)
			return on_order(rt, c, st, (const struct msg_order *)m);
		if (m->type == MSG_CANCEL)
			return on_cancel(rt, c, st, (const struct msg_cancel *)m);
		return -EPROTO;
	}
	if ((int)in == c->in_req && m->type == MSG_VOTE_REQ)
		return on_vote_req(rt, c, st, (const struct msg_vote_req *)m);
	return -EPROTO;
}

/* Quiet market: the venue's clock follows local time; timeouts; outbox. */
static int exec_on_tick(struct rt *rt, int64_t now)
{
	struct exec_ctx *c = rt->ctx;
	struct ag_exec_state *st = state(rt);
	int work = 0;
	struct venue *v = venue_now(c, st);
	if (venue_busy(c, v) && st->last_md_ns && now - st->last_md_ns > QUIET_NS) {
		int64_t mkt = market_now(rt, st);
		v = venue_begin(c, st);
		venue_advance(v, mkt);
		drain_venue(rt, c, st, v, mkt);
		venue_commit(st);
		rt->wake_at_ns = now + 1000000; /* keep the clock moving */
	}
	uint64_t q[16];
	uint32_t n = exec_tick(c->t, &c->cfg, now, q, 16);
	for (uint32_t i = 0; i < n; i++) {
		struct venue_order_view vw;
		if (venue_query(venue_now(c, st), q[i], &vw) < 0)
			continue; /* still in flight */
		struct exec_report r = { .coid = vw.client_order_id,
					 .venue_order_id = vw.venue_order_id,
					 .cum_qty = vw.cum_qty, .leaves_qty = vw.leaves_qty,
					 .status = vw.status };
		struct exec_out o;
		if (exec_on_report(c->t, &r, now, &o) == 0)
			forward(rt, c, st, &o, 0);
	}
	work += flush_outbox(rt, c, st);
	if (c->jopen && rt->last_work == 0)
		journal_poll(&c->jw);
	return work;
}

static int exec_busy(struct rt *rt)
{
	struct exec_ctx *c = rt->ctx;
	return c->head != c->tail;
}

static const struct rt_ops exec_ops = {
	.on_msg = exec_msg,
	.on_tick = exec_on_tick,
	.busy = exec_busy,
};

/* ------------------------------------------------------------ start */

static int venue_config(struct rt *rt, struct venue_cfg *v)
{
	const struct cfg_venue *cv = &rt->cfg.venue;
	venue_cfg_default(v);
	v->feed_latency_us = cv->feed_latency_us;
	v->entry_latency_us = cv->entry_latency_us;
	v->response_latency_us = cv->response_latency_us;
	v->fee_per_lot_e6 = cv->fee_per_lot_e6;
	if (cv->latency_file[0] &&
	    config_resolve(&rt->cfg, cv->latency_file, v->latency_file,
			   sizeof(v->latency_file)) < 0) {
		rt_log(rt, "venue.latency_file '%s': path too long", cv->latency_file);
		return -DM_ECONFIG;
	}
	char err[256];
	if (venue_cfg_check(v, err, sizeof(err)) < 0) {
		rt_log(rt, "venue: %s", err);
		return -DM_ECONFIG;
	}
	if (venue_memsize(v) > AG_EXEC_VENUE_MAX) {
		rt_log(rt, "venue: %zu bytes needed, %u available in the state area",
		       venue_memsize(v), AG_EXEC_VENUE_MAX);
		return -DM_ECONFIG;
	}
	return 0;
}

/* Crash-only start: the table takes the venue's word for every order. */
static void reconcile(struct rt *rt, struct exec_ctx *c, struct ag_exec_state *st)
{
	struct venue *v = venue_now(c, st);
	struct venue_order_view vw;
	struct exec_out o;
	uint32_t cur = 0, known = 0;
	exec_set_venue_up(c->t, 1);
	exec_reconcile_begin(c->t);
	while (venue_order_next(v, &cur, &vw) == 1) {
		if (!exec_find(c->t, vw.client_order_id))
			continue; /* an order of an earlier table generation */
		struct exec_venue_view x = { .coid = vw.client_order_id,
					     .venue_order_id = vw.venue_order_id,
					     .notional = vw.fill_value, .cum_qty = vw.cum_qty,
					     .leaves_qty = vw.leaves_qty, .status = vw.status };
		if (exec_reconcile_order(c->t, &x, rt->now_ns, &o) == 0) {
			if (o.act & EXEC_ACT_FILL)
				st->synthetic++;
			forward(rt, c, st, &o, 0);
		}
		known++;
	}
	struct exec_out outs[32];
	uint32_t n, ended = 0;
	while ((n = exec_reconcile_end(c->t, rt->now_ns, outs, 32)) > 0) {
		for (uint32_t i = 0; i < n; i++)
			forward(rt, c, st, &outs[i], 0);
		ended += n;
	}
	/* fills applied before a crash but never published: again */
	while ((n = exec_unpublished(c->t, outs, 32)) > 0) {
		for (uint32_t i = 0; i < n; i++)
			forward(rt, c, st, &outs[i], 0);
		uint64_t top = 0;
		for (uint32_t i = 0; i < n; i++)
			top = outs[i].fill_id > top ? outs[i].fill_id : top;
		exec_fill_published(c->t, top); /* queued: the receivers drop repeats */
	}
	/* a crash may also have lost non-fill reports still in the outbox: the
	 * final status of every order that ended lately goes out again (a
	 * repeat is a no-op for risk and the coordinator) */
	uint32_t again = 0;
	for (uint32_t i = 0; i < c->t->capacity && c->head - c->tail < OUTBOX / 2; i++) {
		struct exec_order e;
		if (exec_order_snapshot(c->t, i, &e) < 0 || !e.status ||
		    !exec_status_terminal(e.status) || rt->now_ns - e.since_ns > RESEND_NS)
			continue;
		struct msg_exec_report m;
		memset(&m, 0, sizeof(m));
		m.hdr.type = MSG_EXEC_REPORT;
		m.hdr.size = sizeof(m);
		m.hdr.flags = MSG_F_REPLAY;
		m.client_order_id = e.coid;
		m.venue_order_id = e.venue_order_id;
		m.cum_qty = e.cum_qty;
		m.status = e.status;
		m.side = e.side;
		m.reason = e.reason;
		m.decision_id = e.decision_id;
		queue(rt, c, st, &m);
		again++;
	}
	rt_log(rt, "reconciled with the venue: %u order(s) confirmed, %u ended here, "
	       "%u final status(es) sent again, %u report(s) to send", known, ended, again,
	       c->head - c->tail);
}

int ag_exec_init(struct rt *rt)
{
	struct exec_ctx *c = &ctx;
	struct ag_exec_state *st = state(rt);
	memset(c, 0, sizeof(*c));
	if ((c->in_md = ag_need_in(rt, "md_execution", sizeof(struct msg_book))) < 0 ||
	    (c->in_orders = ag_need_in(rt, "orders", sizeof(struct msg_order))) < 0 ||
	    (c->in_req = ag_need_in(rt, "vote_req_execution", sizeof(struct msg_vote_req))) < 0 ||
	    (c->out_vote = ag_need_out(rt, "votes_execution", sizeof(struct msg_vote))) < 0 ||
	    (c->out_rep[0] = ag_need_out(rt, "reports_risk", sizeof(struct msg_exec_report))) < 0 ||
	    (c->out_rep[1] = ag_need_out(rt, "reports_coordinator",
					 sizeof(struct msg_exec_report))) < 0)
		return -DM_ETOPOLOGY;
	c->cfg.max_inflight = rt->cfg.execution.max_inflight;
	c->cfg.max_open = rt->cfg.execution.max_open;
	c->cfg.ack_timeout_ms = rt->cfg.execution.ack_timeout_ms;
	if (exec_cfg_check(&c->cfg) < 0) {
		rt_log(rt, "execution: limits refused by the order table");
		return -DM_ECONFIG;
	}
	struct venue_cfg vc;
	int rc = venue_config(rt, &vc);
	if (rc < 0)
		return rc;
	uint8_t *app = rt->app;
	c->t = (struct exec_table *)(void *)(app + AG_EXEC_TABLE_OFF);
	c->vblk[0] = app + AG_EXEC_VENUE_OFF;
	c->vblk[1] = app + AG_EXEC_VENUE_OFF + AG_EXEC_VENUE_MAX;
	size_t tsize = exec_table_memsize(AG_EXEC_TABLE_CAP);
	if (rt->app_fresh) {
		/* ids epoch << 40 | n: the epoch is the segment's creation second */
		uint64_t epoch = (uint64_t)(rt->seg.hdr->created_ns / 1000000000) & 0xffffff;
		char err[256];
		if ((rc = exec_table_init(c->t, tsize, AG_EXEC_TABLE_CAP, epoch ? epoch : 1)) < 0) {
			rt_log(rt, "order table: %s", dm_strerror(rc));
			return rc;
		}
		rc = venue_init((struct venue *)(void *)c->vblk[0], AG_EXEC_VENUE_MAX, &vc, err,
				sizeof(err));
		if (rc < 0) {
			rt_log(rt, "venue: %s", err);
			return rc == -DM_ECONFIG ? rc : -DM_ECONFIG;
		}
		st->table_size = tsize;
		st->venue_size = venue_memsize(&vc);
		atomic_store_explicit(&st->venue_cur, 0, memory_order_release);
	} else {
		if ((rc = exec_table_attach(c->t, tsize)) < 0 ||
		    (rc = venue_attach(venue_now(c, st), AG_EXEC_VENUE_MAX)) < 0) {
			rt_log(rt, "order table or venue in the segment refused: %s",
			       dm_strerror(rc));
			return rc;
		}
	}
	rc = ag_journal_open(rt, &c->jw, AG_ORDERS_JOURNAL);
	if (rc < 0)
		return rc;
	c->jopen = 1;
	reconcile(rt, c, st);
	rt_set_ops(rt, &exec_ops, c);
	return 0;
}

void ag_exec_close(struct rt *rt)
{
	struct ag_exec_state *st = state(rt);
	struct exec_ctx *c = &ctx;
	if (c->jopen && journal_close(&c->jw) < 0)
		rt_log(rt, "orders journal: write error");
	c->jopen = 0;
	if (!c->t)
		return;
	const struct exec_counters *k = &c->t->ctr;
	const struct venue_totals *vt = venue_totals(venue_now(c, st));
	rt_log(rt, "orders %llu: filled %llu, cancelled %llu, rejected %llu, refused %llu; "
	       "fills %llu, net filled %lld; venue fills %llu, net %lld",
	       (unsigned long long)k->orders, (unsigned long long)k->filled,
	       (unsigned long long)k->cancels, (unsigned long long)k->rejects,
	       (unsigned long long)st->refused, (unsigned long long)st->fills_out,
	       (long long)st->filled_qty, (unsigned long long)vt->fills,
	       (long long)(vt->buy_qty - vt->sell_qty));
}
