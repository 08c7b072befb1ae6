/*
 * execsvc.c — the execution service (execsvc.h; docs/execution.md).
 *
 * Order of durable steps, the reason for each (a kill -9 may come between
 * any two, the block surviving in shared memory):
 *
 *   order    journal + flush, exec_sent, venue step committed: a crash
 *            before exec_sent leaves a NEW order that reconciliation
 *            rejects (never sent twice); after it, one the venue either
 *            has (committed) or not (rejected as never sent).  A failed
 *            append or flush: no exec_sent, no venue; the order is
 *            cancelled in the table (a report, journaled later).
 *   report   venue step and table update, then the outbox (process
 *            memory): a crash loses the outbox, and reconciliation sends
 *            the unpublished fills and recent final statuses again.
 *   publish  journal appended (box[tail..jhead) are in the host's journal,
 *            in outbox order), flushed, report published, then
 *            exec_fill_published.  A report is published only after a
 *            flush that follows its append succeeded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "libcore/execsvc/execsvc.h"
#include "libcore/control/passive.h"
#include "libcore/market/event.h"
#include "libcore/journal/journal.h"
#include "libcore/types.h"
#include "libcore/vote/vote.h"

#define OUTBOX_MASK (EXECSVC_OUTBOX - 1)
_Static_assert((EXECSVC_OUTBOX & OUTBOX_MASK) == 0, "outbox is a power of two");

#define RETRY_NS (200ll * 1000)   /* a receiver had no room: try again */
#define CLOCK_NS (1000ll * 1000)  /* quiet clock: step again */

static size_t round_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/* ------------------------------------------------------------ parameters */

void execsvc_params_default(struct execsvc_params *p)
{
	memset(p, 0, sizeof(*p));
	exec_cfg_default(&p->limits);
	venue_cfg_default(&p->venue);
	p->table_cap = 1024;
	p->double_venue = 1;
	p->quiet_ns = 50ll * 1000000;
	p->resend_ns = 10ll * 1000000000;
}

static int refuse_cfg(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -DM_ECONFIG;
}

int execsvc_params_check(const struct execsvc_params *p, char *err, size_t errlen)
{
	if (exec_cfg_check(&p->limits) < 0)
		return refuse_cfg(err, errlen, "execution limits: max_inflight, max_open and "
				  "ack_timeout_ms must each be at least 1");
	if (!exec_table_memsize(p->table_cap))
		return refuse_cfg(err, errlen, "order table: %u slots (a power of two, 2..%u)",
				  p->table_cap, EXEC_CAPACITY_MAX);
	char verr[200];
	if (venue_cfg_check(&p->venue, verr, sizeof(verr)) < 0)
		return refuse_cfg(err, errlen, "venue: %s", verr);
	size_t need = venue_memsize(&p->venue);
	if (p->venue_room && p->venue_room < need)
		return refuse_cfg(err, errlen, "venue: %zu bytes needed, %llu available in the "
				  "state area", need, (unsigned long long)p->venue_room);
	if (p->venue_room % 8)
		return refuse_cfg(err, errlen, "venue_room %llu: not a multiple of 8",
				  (unsigned long long)p->venue_room);
	if (p->quiet_ns <= 0 || p->resend_ns < 0)
		return refuse_cfg(err, errlen, "quiet_ns must be > 0 and resend_ns >= 0");
	return 0;
}

/* ------------------------------------------------------------ the block */

struct layout {
	size_t table_size, venue_off, venue_room, venue_size, total;
};

static int layout_of(const struct execsvc_params *p, struct layout *l)
{
	if (execsvc_params_check(p, NULL, 0) < 0)
		return -DM_ECONFIG;
	l->table_size = exec_table_memsize(p->table_cap);
	l->venue_size = venue_memsize(&p->venue);
	l->venue_off = EXECSVC_TABLE_OFF + round_up(l->table_size, EXECSVC_ALIGN);
	l->venue_room = p->venue_room ? p->venue_room : round_up(l->venue_size, EXECSVC_ALIGN);
	l->total = l->venue_off + (p->double_venue ? 2 : 1) * l->venue_room;
	return 0;
}

size_t execsvc_memsize(const struct execsvc_params *p)
{
	struct layout l;
	return layout_of(p, &l) < 0 ? 0 : l.total;
}

int execsvc_init(void *mem, size_t size, const struct execsvc_params *p, uint64_t epoch,
		 char *err, size_t errlen)
{
	struct layout l;
	int rc = execsvc_params_check(p, err, errlen);
	if (rc < 0)
		return rc;
	layout_of(p, &l);
	if ((uintptr_t)mem % 8)
		return -EINVAL;
	if (size < l.total)
		return -DM_ESIZE;
	struct execsvc_state *st = mem;
	memset(st, 0, EXECSVC_TABLE_OFF); /* no magic: a half-made block is refused */
	uint8_t *base = mem;
	rc = exec_table_init((struct exec_table *)(void *)(base + EXECSVC_TABLE_OFF),
			     l.table_size, p->table_cap, epoch);
	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "order table: %s", dm_strerror(rc));
		return rc;
	}
	rc = venue_init((struct venue *)(void *)(base + l.venue_off), l.venue_room, &p->venue,
			err, errlen);
	if (rc < 0)
		return rc;
	st->version = EXECSVC_VERSION;
	st->double_venue = p->double_venue ? 1 : 0;
	st->size = l.total;
	st->table_off = EXECSVC_TABLE_OFF;
	st->table_size = l.table_size;
	st->venue_off = l.venue_off;
	st->venue_room = l.venue_room;
	st->venue_size = l.venue_size;
	atomic_store_explicit(&st->venue_cur, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	((volatile struct execsvc_state *)st)->magic = EXECSVC_MAGIC;
	return 0;
}

int execsvc_attach(struct execsvc *x, void *mem, size_t size,
		   const struct execsvc_params *p, const struct execsvc_out *out)
{
	struct execsvc_state *st = mem;
	if (st->magic != EXECSVC_MAGIC)
		return -DM_EMAGIC;
	if (st->version != EXECSVC_VERSION)
		return -DM_EVERSION;
	if (st->size > size || st->table_off != EXECSVC_TABLE_OFF ||
	    st->table_size != exec_table_memsize(p->table_cap) ||
	    st->venue_off < st->table_off + st->table_size || st->venue_size > st->venue_room ||
	    st->venue_off + (st->double_venue ? 2 : 1) * st->venue_room > st->size)
		return -DM_ESIZE;
	uint8_t *base = mem;
	memset(x, 0, offsetof(struct execsvc, box));
	x->st = st;
	x->t = (struct exec_table *)(void *)(base + st->table_off);
	x->vblk[0] = base + st->venue_off;
	x->vblk[1] = st->double_venue ? base + st->venue_off + st->venue_room : x->vblk[0];
	x->p = *p;
	x->out = *out;
	st->journal_failing = 0; /* the host's journal was opened anew */
	st->held = 0;
	int rc = exec_table_attach(x->t, st->table_size);
	if (rc < 0)
		return rc;
	uint32_t cur = atomic_load_explicit(&st->venue_cur, memory_order_relaxed) & 1;
	return venue_attach((const struct venue *)(const void *)x->vblk[cur], st->venue_room);
}

/* ------------------------------------------------------------ venue steps */

static struct venue *venue_now(struct execsvc *x)
{
	return (struct venue *)(void *)x->vblk[atomic_load_explicit(&x->st->venue_cur,
								    memory_order_relaxed) & 1];
}

/*
 * The copy a step works on; venue_commit makes it current.  The other copy
 * is brought up to the current one first: by what changed since it was
 * current (venue_sync) when this process committed the step that left it
 * behind (x->twin: it is then the current venue as it was before that
 * step, written by nothing since), else whole (the first step after
 * attach: a step cut short by a crash may have left anything in it).
 */
static struct venue *venue_begin(struct execsvc *x)
{
	struct execsvc_state *st = x->st;
	uint32_t cur = atomic_load_explicit(&st->venue_cur, memory_order_relaxed) & 1;
	if (!st->double_venue)
		return (struct venue *)(void *)x->vblk[0];
	struct venue *v = (struct venue *)(void *)x->vblk[cur ^ 1];
	const struct venue *now = (const struct venue *)(const void *)x->vblk[cur];
	st->venue_copied += x->twin ? venue_sync(v, now) : venue_copy(v, now);
	x->twin = 0; /* until the commit: this copy is being written */
	if (x->out.fault)
		x->out.fault(x->out.ctx, EXECSVC_FAULT_VENUE_COPY);
	return v;
}

static void venue_commit(struct execsvc *x)
{
	struct execsvc_state *st = x->st;
	if (!st->double_venue)
		return;
	if (x->out.fault)
		x->out.fault(x->out.ctx, EXECSVC_FAULT_VENUE_STEP);
	uint32_t cur = atomic_load_explicit(&st->venue_cur, memory_order_relaxed) & 1;
	atomic_store_explicit(&st->venue_cur, cur ^ 1, memory_order_release);
	st->venue_steps++;
	x->twin = 1; /* the copy left behind is the venue before this step */
}

/* Anything in flight at the venue (a step may then change orders). */
static int venue_busy(const struct execsvc *x, const struct venue *v)
{
	return venue_next_arrival_ns(v) != INT64_MAX || venue_next_report_ns(v) != INT64_MAX ||
	       x->t->ctr.open > 0;
}

/* Local time may move the clock: the newest market event is live. */
static int live_clock(const struct execsvc_state *st)
{
	return !st->md_replay && !st->ended;
}

/*
 * The market clock: the newest event's time; after the end of a replay
 * the venue's own clock where the steps took it; live, local time once
 * quiet.
 */
static int64_t market_now(const struct execsvc *x, int64_t now_ns)
{
	const struct execsvc_state *st = x->st;
	if (st->ended) {
		const struct venue *v = (const struct venue *)(const void *)
			x->vblk[atomic_load_explicit(&((struct execsvc_state *)st)->venue_cur,
						     memory_order_relaxed) & 1];
		return v->now_ns > st->last_exch_ns ? v->now_ns : st->last_exch_ns;
	}
	int64_t idle = now_ns - st->last_md_ns;
	if (!live_clock(st) || !st->last_md_ns || idle <= x->p.quiet_ns)
		return st->last_exch_ns;
	return st->last_exch_ns + (idle - x->p.quiet_ns);
}

/* ------------------------------------------------------------ output */

static void say(struct execsvc *x, int error, const char *fmt, ...)
{
	if (!x->out.log)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	x->out.log(x->out.ctx, error, line);
}

/* One record to the host's journal: 0 appended (or no journal), < 0 not
 * (counted; the journal fails until a flush succeeds). */
static int jput(struct execsvc *x, uint16_t type, const void *rec, uint32_t len)
{
	if (!x->out.journal || x->out.journal(x->out.ctx, type, rec, len) == 0)
		return 0;
	x->st->journal_errors++;
	x->st->journal_failing = 1;
	return -EIO;
}

/* Everything appended made durable: 0 (or no journal), < 0 not yet.
 * count: 0 for the look made while the journal is known to fail (does it
 * write again?), which is not a new error. */
static int jsync(struct execsvc *x, int count)
{
	if (!x->out.journal_flush || x->out.journal_flush(x->out.ctx) == 0) {
		x->st->journal_failing = 0;
		return 0;
	}
	x->st->journal_errors += count != 0;
	x->st->journal_failing = 1;
	return -EIO;
}

static void queue(struct execsvc *x, const struct msg_exec_report *m)
{
	if (x->head - x->tail == EXECSVC_OUTBOX) {
		/* cannot happen with max_open orders and the outbox >> 2 per
		 * order; a lost fill is re-sent by reconciliation after a restart */
		x->st->outbox_dropped++;
		say(x, 1, "report outbox full: report of order %llu dropped",
		    (unsigned long long)m->client_order_id);
		return;
	}
	x->box[x->head & OUTBOX_MASK] = *m;
	/* journaled in outbox order: after an earlier one waits, this one too */
	if (x->jhead == x->head && !x->st->journal_failing &&
	    jput(x, JREC_EXEC, m, sizeof(*m)) == 0)
		x->jhead++;
	x->head++;
}

/* Journal first (appended, flushed), then the receivers; fills marked
 * published.  While the journal fails the reports wait, in order. */
static int flush_outbox(struct execsvc *x, int64_t now_ns, int64_t *wake_at_ns)
{
	struct execsvc_state *st = x->st;
	if (x->head == x->tail && !st->journal_failing)
		return 0;
	int rc = st->journal_failing ? jsync(x, 0) : 0;
	while (rc == 0 && x->jhead != x->head &&
	       jput(x, JREC_EXEC, &x->box[x->jhead & OUTBOX_MASK],
			   sizeof(struct msg_exec_report)) == 0)
		x->jhead++;
	if (rc < 0 || jsync(x, 1) < 0) {
		st->held = x->head - x->tail;
		if (wake_at_ns && x->head != x->tail)
			*wake_at_ns = now_ns + RETRY_NS;
		return 0;
	}
	st->held = 0;
	int work = 0;
	while (x->tail != x->jhead) {
		const struct msg_exec_report *m = &x->box[x->tail & OUTBOX_MASK];
		if (x->out.report(x->out.ctx, m) < 0) {
			if (wake_at_ns)
				*wake_at_ns = now_ns + RETRY_NS;
			break;
		}
		st->reports_out++;
		if (m->exec_id && m->last_qty > 0) {
			st->fills_out++;
			st->filled_qty += m->side * m->last_qty;
			exec_fill_published(x->t, m->exec_id);
		}
		x->tail++;
		work++;
	}
	return work;
}

/* Queue what an exec_out says (the report of coid, and of the other order). */
static void forward(struct execsvc *x, const struct exec_out *o, int64_t ingress_ns)
{
	for (int other = 0; other < 2; other++) {
		uint32_t bit = other ? EXEC_ACT_REPORT_OTHER : (EXEC_ACT_REPORT | EXEC_ACT_FILL);
		if (!(o->act & bit))
			continue;
		struct msg_exec_report m;
		exec_out_report(x->t, o, other, &m);
		const struct exec_order *e = exec_find(x->t, other ? o->other_coid : o->coid);
		m.decision_id = e ? e->decision_id : 0;
		m.hdr.ingress_ns = ingress_ns;
		m.hdr.flags = MSG_F_REPLAY;
		queue(x, &m);
	}
	if (o->act & EXEC_ACT_ANOMALY)
		say(x, 0, "order %llu: %s", (unsigned long long)o->coid,
		    exec_reason_name(o->anomaly));
}

/* A refusal before the venue: a REJECTED report under the decision id. */
static void refuse(struct execsvc *x, const struct msg_order *o, uint32_t reason)
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
	m.venue_ns = x->st->last_exch_ns;
	x->st->refused++;
	queue(x, &m);
}

/* Every report the venue has due by the market clock, through the table. */
static void drain_venue(struct execsvc *x, struct venue *v, int64_t mkt, int64_t now_ns)
{
	struct msg_exec_report vr;
	while (venue_poll(v, mkt, &vr) == 1) {
		struct exec_report r;
		exec_report_from_msg(&r, &vr);
		if (vr.status == EXEC_REJECTED && venue_reason_is_cancel_reject(vr.reason))
			r.status = EXEC_VENUE_CANCEL_REJECT;
		struct exec_out o;
		int rc = exec_on_report(x->t, &r, now_ns, &o);
		if (rc < 0) {
			say(x, 0, "venue report for order %llu refused by the table: %s",
			    (unsigned long long)vr.client_order_id, dm_strerror(rc));
			continue;
		}
		forward(x, &o, vr.hdr.ingress_ns);
		if (o.act & EXEC_ACT_CANCEL) {
			struct msg_cancel k = { .hdr = { .type = MSG_CANCEL, .size = sizeof(k) },
						.client_order_id = o.coid };
			if (venue_cancel_send(v, &k, mkt + venue_feed_delay(v)) < 0)
				x->st->venue_full++;
		}
	}
}

/* ------------------------------------------------------------ start */

/* Is the fill fill_id already in the outbox (queued by this start)? */
static int queued_fill(const struct execsvc *x, uint64_t fill_id)
{
	for (uint32_t i = x->tail; i != x->head; i++)
		if (x->box[i & OUTBOX_MASK].exec_id == fill_id)
			return 1;
	return 0;
}

void execsvc_set_external(struct execsvc *x, const struct execsvc_ext *e)
{
	x->ext = *e;
}

void execsvc_ext_forward(struct execsvc *x, const struct exec_out *o, int64_t now_ns)
{
	forward(x, o, 0);
	if ((o->act & EXEC_ACT_CANCEL) && x->ext.cancel &&
	    x->ext.cancel(x->ext.ctx, o->coid, now_ns) < 0)
		x->st->venue_full++;
}

/* The table takes the simulator's word for every order it knows, as far
 * as the simulator has said it: an order, a cancel or a report of it still
 * on its way (the simulated latencies, on the market clock) only confirms
 * the order, and comes when it is due, as in a run without the restart.
 * Taken from the order's state instead, a fill due later came now without
 * its fee and time, an order on its way in was rejected as never sent, and
 * a cancel on its way in was taken as refused. */
static void reconcile_on_sim(struct execsvc *x, int64_t now_ns, struct execsvc_recon *r)
{
	struct venue *v = venue_now(x);
	struct venue_order_view vw;
	struct exec_out o;
	uint32_t cur = 0;
	exec_set_venue_up(x->t, 1);
	exec_reconcile_begin(x->t);
	/* on their way in: not yet in the venue's table */
	for (uint32_t i = 0; i < x->t->capacity; i++) {
		struct exec_order e;
		if (exec_order_snapshot(x->t, i, &e) < 0 || !e.status ||
		    !(e.flags & EXEC_F_UNCONFIRMED) || !venue_owes(v, e.coid))
			continue;
		if (exec_reconcile_owed(x->t, e.coid, now_ns, &o) == 0) {
			forward(x, &o, 0);
			r->confirmed++;
		}
	}
	while (venue_order_next(v, &cur, &vw) == 1) {
		if (!exec_find(x->t, vw.client_order_id))
			continue; /* an order of an earlier table generation */
		if (venue_owes(v, vw.client_order_id))
			continue; /* confirmed above: its word is to come */
		struct exec_venue_view w = { .coid = vw.client_order_id,
					     .venue_order_id = vw.venue_order_id,
					     .notional = vw.fill_value, .cum_qty = vw.cum_qty,
					     .leaves_qty = vw.leaves_qty, .status = vw.status };
		if (exec_reconcile_order(x->t, &w, now_ns, &o) == 0) {
			if (o.act & EXEC_ACT_FILL)
				x->st->synthetic++;
			forward(x, &o, 0);
		}
		r->confirmed++;
	}
	struct exec_out outs[32];
	uint32_t n;
	while ((n = exec_reconcile_end(x->t, now_ns, outs, 32)) > 0) {
		for (uint32_t i = 0; i < n; i++)
			forward(x, &outs[i], 0);
		r->ended += n;
	}
}

void execsvc_reconcile(struct execsvc *x, int64_t now_ns, struct execsvc_recon *res)
{
	struct execsvc_recon r = { 0 };
	/* an external venue reconciles on its own word (its snapshot), once
	 * it is reachable: the simulator knows none of its orders */
	if (!x->ext.send)
		reconcile_on_sim(x, now_ns, &r);
	struct exec_out outs[32];
	uint32_t n;
	/* fills applied before a crash but never published: again (not the
	 * synthetic ones just queued, which are unpublished too) */
	while ((n = exec_unpublished(x->t, outs, 32)) > 0) {
		uint64_t top = 0;
		for (uint32_t i = 0; i < n; i++) {
			top = outs[i].fill_id > top ? outs[i].fill_id : top;
			if (queued_fill(x, outs[i].fill_id))
				continue;
			forward(x, &outs[i], 0);
			r.unpublished++;
		}
		exec_fill_published(x->t, top); /* queued: the receivers drop repeats */
	}
	/* a crash may also have lost non-fill reports still in the outbox: the
	 * final status of every order that ended lately goes out again (a
	 * repeat is a no-op for risk and the coordinator) */
	for (uint32_t i = 0; i < x->t->capacity && x->head - x->tail < EXECSVC_OUTBOX / 2; i++) {
		struct exec_order e;
		if (exec_order_snapshot(x->t, i, &e) < 0 || !e.status ||
		    !exec_status_terminal(e.status) || now_ns - e.since_ns > x->p.resend_ns)
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
		queue(x, &m);
		r.again++;
	}
	r.queued = x->head - x->tail;
	say(x, 0, "reconciled with the venue: %u order(s) confirmed, %u ended here, "
	    "%u final status(es) sent again, %u report(s) to send", r.confirmed, r.ended,
	    r.again, r.queued);
	if (res)
		*res = r;
}

/* ------------------------------------------------------------ inputs */

_Static_assert(EV_MAX_LEVELS >= MSG_BOOK_LEVELS, "a book message fits an event");

int execsvc_on_md(struct execsvc *x, const struct msg_hdr *m, int64_t now_ns)
{
	struct execsvc_state *st = x->st;
	const struct msg_book *b = NULL;
	struct event ev;
	int64_t exch_ns;
	if (m->type == MSG_BOOK) {
		/* the levels go to the venue as they stand in the message; a
		 * count past the message's room is cut to it */
		b = (const struct msg_book *)m;
		exch_ns = b->exch_ns;
		st->have_book = b->n_bid && b->n_ask;
	} else if (m->type == MSG_TRADE) {
		const struct msg_trade *t = (const struct msg_trade *)m;
		memset(&ev, 0, sizeof(ev));
		ev.kind = EV_TRADE;
		ev.instrument = t->instrument;
		ev.exch_ns = t->exch_ns;
		ev.recv_ns = t->recv_ns;
		ev.trade.px = t->px;
		ev.trade.qty = t->qty;
		ev.trade.trade_id = t->trade_id;
		ev.trade.aggressor = t->aggressor;
		ev.trade.flags = t->trade_flags & TRADE_F_HIDDEN ? EV_TRADE_HIDDEN : 0;
		exch_ns = t->exch_ns;
	} else if (m->type == MSG_END) {
		return execsvc_on_end(x, (const struct msg_end *)m, now_ns);
	} else {
		return 0;
	}
	st->md_replay = (m->flags & MSG_F_REPLAY) ? 1 : 0;
	st->ended = 0; /* a market event: the market goes on */
	struct venue *v = venue_now(x);
	int busy = venue_busy(x, v);
	if (busy)
		v = venue_begin(x);
	if (b) {
		uint32_t nb = b->n_bid < MSG_BOOK_LEVELS ? b->n_bid : MSG_BOOK_LEVELS;
		uint32_t na = b->n_ask < MSG_BOOK_LEVELS ? b->n_ask : MSG_BOOK_LEVELS;
		venue_on_book(v, b->instrument, b->exch_ns, b->recv_ns,
			      (const struct book_level *)(const void *)b->bid, nb,
			      (const struct book_level *)(const void *)b->ask, na,
			      (b->md_flags & MSG_BOOK_SORTED) != 0);
	} else {
		venue_on_event(v, &ev);
	}
	if (exch_ns > st->last_exch_ns)
		st->last_exch_ns = exch_ns;
	st->last_md_ns = now_ns;
	if (busy) {
		drain_venue(x, v, st->last_exch_ns, now_ns);
		venue_commit(x);
	}
	return 0;
}

int execsvc_on_end(struct execsvc *x, const struct msg_end *e, int64_t now_ns)
{
	struct execsvc_state *st = x->st;
	(void)now_ns;
	if (st->ended)
		return 0; /* heard already (a restarted data agent sent it again) */
	if (e->exch_ns > st->last_exch_ns)
		st->last_exch_ns = e->exch_ns;
	st->end_exch_ns = e->exch_ns;
	st->md_replay = 1;
	st->ended = 1;
	return 0;
}

/*
 * After the end: the venue's clock to each next due time, arrivals and
 * reports alike, until nothing is in flight or the outbox is nearly full
 * (the rest on the next tick).  Each step is one all-or-nothing venue
 * step.  Returns 1 when work is left.
 */
static int step_to_end(struct execsvc *x, int64_t now_ns)
{
	for (;;) {
		if (x->head - x->tail > EXECSVC_OUTBOX - 8)
			return 1;
		const struct venue *cur = venue_now(x);
		int64_t a = venue_next_arrival_ns(cur), r = venue_next_report_ns(cur);
		int64_t next = a < r ? a : r;
		if (next == INT64_MAX)
			return 0;
		if (next < cur->now_ns)
			next = cur->now_ns; /* due already: at the clock */
		struct venue *v = venue_begin(x);
		venue_advance(v, next);
		drain_venue(x, v, next, now_ns);
		venue_commit(x);
		x->st->end_steps++;
	}
}

/*
 * execution.passive auto: cross, join or improve (passive.h) for an IOC
 * limit intent on the venue's book.  Returns the choice and sets *px
 * (and nothing when the rule cannot run: no two-sided book, no room to
 * time a cancel, a model refused: cross).
 */
static uint32_t passive_pick(struct execsvc *x, const struct msg_order *o, int64_t *px,
			     int *slot)
{
	const struct exec_cfg *c = &x->p.limits;
	const struct book *b = venue_book(venue_now(x));
	*slot = -1;
	if (!b->n[BOOK_BID] || !b->n[BOOK_ASK])
		return PASSIVE_CROSS;
	for (uint32_t i = 0; i < EXECSVC_PASSIVE && *slot < 0; i++)
		if (!x->st->passive_q[i].coid)
			*slot = (int)i;
	struct passive_model m = { .a = c->passive_a, .k = c->passive_k,
				   .order_lots = c->passive_lots > 0 ? c->passive_lots : 1,
				   .horizon_s = (double)c->passive_horizon_ns / 1e9,
				   .move_ticks = c->passive_move };
	struct passive_in in = { .side = o->side, .bid_px = book_best_bid_px(b),
				 .ask_px = book_best_ask_px(b), .qty = o->qty,
				 .queue_ahead = o->side > 0 ? book_best_bid_qty(b) :
							      book_best_ask_qty(b) };
	struct passive_eval ev;
	if (passive_choose(&m, &in, &ev) < 0)
		return PASSIVE_CROSS;
	if (ev.choice != PASSIVE_CROSS && *slot < 0) {
		x->st->passive_untimed++;
		return PASSIVE_CROSS;
	}
	*px = ev.px;
	return ev.choice;
}

int execsvc_on_order(struct execsvc *x, const struct msg_order *order, uint32_t ctl,
		     int64_t now_ns)
{
	struct msg_order po = *order;
	const struct msg_order *o = order;
	uint32_t pchoice = PASSIVE_CROSS;
	int pslot = -1;
	if (x->p.limits.passive == EXEC_PASSIVE_AUTO && !(order->hdr.flags & MSG_F_FLATTEN) &&
	    order->ord_type == ORD_LIMIT && order->tif == TIF_IOC &&
	    !(ctl & EXECSVC_CTL_KILLED) && x->head - x->tail <= EXECSVC_OUTBOX - 8 &&
	    !exec_find_decision(x->t, order->decision_id)) {
		int64_t px = order->px;
		pchoice = passive_pick(x, order, &px, &pslot);
		x->st->passive_by[pchoice]++;
		if (pchoice != PASSIVE_CROSS) {
			po.px = px;
			po.tif = TIF_DAY;
			o = &po;
		}
	}
	struct execsvc_state *st = x->st;
	if (x->head - x->tail > EXECSVC_OUTBOX - 8)
		return -EAGAIN; /* let the outbox drain first */
	st->orders_in++;
	if (exec_find_decision(x->t, o->decision_id)) {
		st->dup_orders++; /* re-delivered: already at the venue */
		return 0;
	}
	/* under the kill switch only the flattening orders risk asked for pass */
	if ((ctl & EXECSVC_CTL_KILLED) && !(o->hdr.flags & MSG_F_FLATTEN)) {
		refuse(x, o, VOTE_R_KILL_SWITCH);
		return 0;
	}
	/* while the journal fails no order gets a table entry, whose record
	 * could then be missing: refused until a flush succeeds */
	if (st->journal_failing && jsync(x, 0) < 0) {
		st->journal_refused++;
		refuse(x, o, VOTE_R_JOURNAL_ERROR);
		return 0;
	}
	uint64_t coid = 0;
	int rc = exec_new_order(x->t, &x->p.limits, o->decision_id, o->side, o->qty, o->px,
				o->ord_type, o->tif, now_ns, &coid);
	if (rc != 0) {
		refuse(x, o, (uint32_t)rc);
		return 0;
	}
	struct msg_order sent = *o;
	sent.client_order_id = coid;
	/* the record says when it left on the venue's clock (the send time
	 * below), so a run's journals give the order's latency legs */
	int64_t mkt = market_now(x, now_ns);
	sent.hdr.send_ns = mkt + venue_feed_delay(venue_now(x));
	sent.hdr.flags |= MSG_F_VENUE_TIME;
	/* reports waiting for the journal first: the file keeps their order */
	while (x->jhead != x->head &&
	       jput(x, JREC_EXEC, &x->box[x->jhead & OUTBOX_MASK],
			   sizeof(struct msg_exec_report)) == 0)
		x->jhead++;
	if (jput(x, JREC_ORDER, &sent, sizeof(sent)) < 0 || jsync(x, 1) < 0) {
		/* not durable: never sent.  Cancelled before the venue; the host
		 * writes the record once its journal writes, then the report. */
		struct exec_out out;
		st->journal_unsent++;
		if (exec_cancel(x->t, coid, now_ns, &out) == 0)
			forward(x, &out, o->hdr.ingress_ns);
		say(x, 1, "order %llu (decision %llx) not sent: its journal record could not "
		    "be written", (unsigned long long)coid, (unsigned long long)o->decision_id);
		return 0;
	}
	if (pchoice != PASSIVE_CROSS && pslot >= 0) {
		x->st->passive_q[pslot].cancel_ns = mkt + x->p.limits.passive_horizon_ns;
		x->st->passive_q[pslot].coid = coid;
	}
	exec_sent(x->t, coid, now_ns); /* before the send: never sent twice */
	if (x->out.fault)
		x->out.fault(x->out.ctx, EXECSVC_FAULT_SEND);
	if (x->ext.send) {
		if (x->out.order_sent)
			x->out.order_sent(x->out.ctx, &sent);
		if (x->ext.send(x->ext.ctx, &sent, now_ns) < 0) {
			st->venue_full++;
			say(x, 0, "venue: order %llu not handed over; left to reconciliation",
			    (unsigned long long)coid);
		}
		return 0;
	}
	struct venue *v = venue_begin(x);
	if (x->out.order_sent)
		x->out.order_sent(x->out.ctx, &sent);
	if (venue_order_send(v, &sent, sent.hdr.send_ns) < 0) {
		st->venue_full++;
		say(x, 0, "venue: too many messages in flight; order %llu left to "
		    "reconciliation", (unsigned long long)coid);
	}
	venue_commit(x);
	return 0;
}

int execsvc_on_cancel(struct execsvc *x, const struct msg_cancel *k, int64_t now_ns)
{
	if (x->head - x->tail > EXECSVC_OUTBOX - 8)
		return -EAGAIN;
	struct exec_out outs[64];
	uint32_t n = 0;
	if (k->client_order_id == 0)
		n = exec_cancel_all(x->t, now_ns, outs, 64);
	else if (exec_cancel(x->t, k->client_order_id, now_ns, &outs[0]) == 0)
		n = 1;
	if (!n)
		return 0;
	if (x->ext.send) {
		for (uint32_t i = 0; i < n; i++) {
			forward(x, &outs[i], k->hdr.ingress_ns);
			if ((outs[i].act & EXEC_ACT_CANCEL) &&
			    x->ext.cancel(x->ext.ctx, outs[i].coid, now_ns) < 0)
				x->st->venue_full++;
		}
		if (!k->client_order_id)
			say(x, 0, "cancel all: %u order(s)", n);
		return (int)n;
	}
	struct venue *v = venue_begin(x);
	int64_t mkt = market_now(x, now_ns);
	for (uint32_t i = 0; i < n; i++) {
		forward(x, &outs[i], k->hdr.ingress_ns);
		if (outs[i].act & EXEC_ACT_CANCEL) {
			struct msg_cancel vk = *k;
			vk.client_order_id = outs[i].coid;
			if (venue_cancel_send(v, &vk, mkt + venue_feed_delay(v)) < 0)
				x->st->venue_full++;
		}
	}
	venue_commit(x);
	/* the operator's cancel-all is an event; a market maker's cancel of
	 * one quote is routine (the table counts it) */
	if (!k->client_order_id)
		say(x, 0, "cancel all: %u order(s)", n);
	return (int)n;
}

int execsvc_on_vote_req(struct execsvc *x, const struct msg_vote_req *q, uint32_t ctl,
			int64_t now_ns)
{
	(void)now_ns;
	uint32_t reason;
	if (ctl & EXECSVC_CTL_KILLED)
		reason = VOTE_R_KILL_SWITCH;
	else if (!x->st->have_book)
		reason = VOTE_R_NO_BOOK;
	else
		reason = exec_can_accept(x->t, &x->p.limits);
	struct msg_vote v;
	memset(&v, 0, sizeof(v));
	v.hdr.type = MSG_VOTE;
	v.hdr.size = sizeof(v);
	v.hdr.ingress_ns = q->hdr.ingress_ns;
	v.decision_id = q->decision_id;
	v.intent_id = q->intent_id;
	v.voter = x->p.voter;
	v.verdict = reason == VOTE_R_APPROVED ? VOTE_APPROVE : VOTE_REJECT;
	v.reason = reason;
	if (x->out.vote(x->out.ctx, &v) < 0)
		return -EAGAIN;
	x->st->votes++;
	return 0;
}

int execsvc_on_intent(struct execsvc *x, const struct msg_intent *it, uint32_t ctl,
		      int64_t now_ns)
{
	struct msg_vote_req q;
	msg_vote_req_of_intent(&q, it);
	return execsvc_on_vote_req(x, &q, ctl, now_ns);
}

/* Resting orders of the passive rule past their horizon: cancelled (one
 * that ended meanwhile only frees its slot). */
static void passive_expire(struct execsvc *x, int64_t now_ns)
{
	struct execsvc_state *st = x->st;
	int64_t mkt = market_now(x, now_ns);
	for (uint32_t i = 0; i < EXECSVC_PASSIVE; i++) {
		if (!st->passive_q[i].coid || mkt < st->passive_q[i].cancel_ns)
			continue;
		const struct exec_order *eo = exec_find(x->t, st->passive_q[i].coid);
		if (!eo || exec_status_terminal(eo->status)) {
			st->passive_q[i].coid = 0; /* filled (or ended) before its horizon */
			continue;
		}
		struct msg_cancel k;
		memset(&k, 0, sizeof(k));
		k.hdr.type = MSG_CANCEL;
		k.hdr.size = sizeof(k);
		k.client_order_id = st->passive_q[i].coid;
		if (execsvc_on_cancel(x, &k, now_ns) == -EAGAIN)
			return; /* the outbox first */
		st->passive_q[i].coid = 0;
		st->passive_expired++;
	}
}

int execsvc_tick(struct execsvc *x, int64_t now_ns, int64_t *wake_at_ns)
{
	struct execsvc_state *st = x->st;
	if (x->p.limits.passive == EXEC_PASSIVE_AUTO)
		passive_expire(x, now_ns);
	struct venue *v = venue_now(x);
	if (st->ended) {
		if (step_to_end(x, now_ns) && wake_at_ns)
			*wake_at_ns = now_ns; /* the outbox first, then on */
	} else if (live_clock(st) && venue_busy(x, v) && st->last_md_ns &&
		   now_ns - st->last_md_ns > x->p.quiet_ns) {
		int64_t mkt = market_now(x, now_ns);
		v = venue_begin(x);
		venue_advance(v, mkt);
		drain_venue(x, v, mkt, now_ns);
		venue_commit(x);
		if (wake_at_ns)
			*wake_at_ns = now_ns + CLOCK_NS; /* keep the clock moving */
	}
	/* ack timeouts run on local time: a replay's simulated venue loses
	 * nothing, and a look-up would show the venue's state before its
	 * reports are due on the market clock */
	uint64_t q[16];
	uint32_t n = live_clock(st) ? exec_tick(x->t, &x->p.limits, now_ns, q, 16) : 0;
	if (x->ext.send) {
		/* an external venue looks them up its own way */
		if (n && x->ext.overdue)
			x->ext.overdue(x->ext.ctx, q, n, now_ns);
		n = 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct venue_order_view vw;
		if (venue_query(venue_now(x), q[i], &vw) < 0)
			continue; /* still in flight */
		struct exec_report r = { .coid = vw.client_order_id,
					 .venue_order_id = vw.venue_order_id,
					 .cum_qty = vw.cum_qty, .leaves_qty = vw.leaves_qty,
					 .status = vw.status };
		struct exec_out o;
		if (exec_on_report(x->t, &r, now_ns, &o) == 0)
			forward(x, &o, 0);
	}
	return flush_outbox(x, now_ns, wake_at_ns);
}
