/*
 * ag_exec.c — the execution agent: moves messages between its rings and
 * the execution service (libcore/execsvc: the order table in front of the
 * venue simulator, the outbox, reconciliation, the vote; docs/execution.md).
 *
 *   md_execution        -> execsvc_on_md (books, trades; MSG_END: the
 *                          replayed market is over, execsvc_on_end)
 *   orders              -> execsvc_on_order, execsvc_on_cancel
 *   vote_req_execution  -> execsvc_on_vote_req -> votes_execution
 *                          (MSG_VOTE_DONE: nothing to do)
 *   execsvc_tick        -> reports_risk and reports_coordinator, and
 *                          reports_ml when the strategy is a market maker
 *                          (strategy.kind mm_as, mm_glft: its quotes' fate
 *                          and its inventory); a report goes to every one
 *                          or, while any is full, to none
 *   orders.journal      <- JREC_ORDER, JREC_EXEC records
 *
 * The service's state block is the agent's app area in the segment
 * (agents.h), double-buffered venue included, so a restarted agent
 * resumes with the same orders and the same simulated exchange; the
 * handle (outbox, journal writer) is process memory, made here at start.
 *
 * The journal.  Its buffer holds a whole outbox of reports and an order
 * (AG_EXEC_JOURNAL_BUF), so an append never writes: only the service's
 * flushes do.  A flush that fails leaves its records in the buffer; the
 * service then holds what depends on them (execsvc.h, "journal"), the
 * agent raises its alarm (the coordinator halts new orders) and retries
 * the journal every AG_JOURNAL_RETRY_NS, before the service's tick, until
 * it writes again.  The fault point "send" (a test's) kills the process
 * between an order's record and the venue.
 *
 * venue.kind mt5 (docs/mt5-bridge.md, "The execution agent trading through
 * the terminal").  The orders go to the MetaTrader 5 terminal, whose one
 * connection is the data agent's: the service's external venue
 * (execsvc_set_external) is a remote mt5_venue over the service's table,
 *
 *   venue_cmds     <- NEW_ORDER and CANCEL (struct msg_venue_cmd); HELLO
 *                     at every start, so the data agent says the link's
 *                     state and, when up, asks the terminal a snapshot
 *   venue_reports  -> the link's state (down: new orders refused,
 *                     VOTE_R_VENUE_DOWN, also once up until the
 *                     snapshot reconciles the table), TRADE and
 *                     ORDER_RESULT (mt5_venue_on_trade, _on_result), the
 *                     snapshot in pieces, whole at SNAP_END
 *
 * A command the ring has no room for waits in a queue of AG_EXEC_CMDQ and
 * goes first on the next pass.  The simulator still takes the market data
 * (the votes' book, the passive rule); it carries out nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agents/rt/agents.h"
#include "libcore/journal/journal.h"
#include "libcore/mt5/mt5_venue.h"

#define AG_EXEC_JOURNAL_BUF (256u << 10)
_Static_assert(AG_EXEC_JOURNAL_BUF >= EXECSVC_OUTBOX * JREC_SIZE(sizeof(struct msg_exec_report)) +
				      JREC_SIZE(sizeof(struct msg_order)),
	       "a whole outbox and an order fit the journal's buffer: appends never write");

#define AG_EXEC_CMD_RETRY_NS 100000 /* a full venue_cmds: tried again after */
#define AG_EXEC_CMDQ 1024            /* venue commands waiting for a full venue_cmds */
#define AG_EXEC_SNAP_MIN_NS (500ll * 1000000) /* snapshots for unanswered orders: at
					       * most this often */

/* venue.kind mt5: the terminal through the data agent's link */
struct exec_mt5 {
	int in_ev, out_cmd;
	int up;                      /* the link's last state */
	uint32_t snap_open;          /* SNAP_BEGIN seen, not yet SNAP_END */
	uint32_t n_unacked;
	uint64_t q_head, q_tail;     /* [q_tail, q_head) waiting */
	uint64_t lost;               /* commands the queue could not hold */
	uint64_t sent_down;          /* orders handed over while the link was down
				      * (the table refuses them: expected 0) */
	uint64_t overdue_snaps;      /* snapshots asked for unanswered orders */
	int64_t snap_asked_ns;       /* the last one */
	struct mt5_venue v;
	struct mt5_link_snap snap;   /* being assembled */
	uint64_t unacked[MT5_VENUE_UNACKED];
	struct msg_venue_cmd q[AG_EXEC_CMDQ];
};

struct exec_host {
	struct rt *rt;
	int in_md, in_orders, in_req;
	int in_int;                /* intents_execution (vote.fanout), else -1 */
	int out_vote, out_rep[3];
	int n_rep;                 /* 2, or 3 with a market maker's reports_ml */
	struct journal_writer jw;
	int jopen;
	int64_t retry_ns;          /* the journal fails: next retry */
	struct exec_mt5 *mt5;      /* venue.kind mt5, else NULL */
	struct execsvc x;
};

/* ------------------------------------------------------------ output interface */

/* A write that failed raises the alarm; a call refused on a failure
 * already known does not count again. */
static int host_journal(void *ctx, uint16_t type, const void *rec, uint32_t len)
{
	struct exec_host *h = ctx;
	int had = journal_writer_error(&h->jw);
	int rc = journal_append(&h->jw, type, rec, len);
	if (DM_UNLIKELY(rc < 0) && !had)
		rt_journal_failed(h->rt, rc);
	return rc;
}

static int host_journal_flush(void *ctx)
{
	struct exec_host *h = ctx;
	int had = journal_writer_error(&h->jw);
	int rc = journal_flush(&h->jw);
	if (DM_UNLIKELY(rc < 0) && !had)
		rt_journal_failed(h->rt, rc);
	return rc;
}

static void host_fault(void *ctx, uint32_t point)
{
	struct exec_host *h = ctx;
	if (point == EXECSVC_FAULT_SEND)
		rt_fault_point(h->rt, RT_FAULT_SEND);
}

/* Every report ring or none: claim a slot in each, then publish. */
static int host_report(void *ctx, const struct msg_exec_report *m)
{
	struct exec_host *h = ctx;
	struct rt *rt = h->rt;
	for (int k = 0; k < h->n_rep; k++)
		if (!rt_claim(rt, (uint32_t)h->out_rep[k], 1))
			return -EAGAIN; /* an unpublished claim is harmless */
	for (int k = 0; k < h->n_rep; k++) {
		memcpy(rt_slot(rt, (uint32_t)h->out_rep[k], 0), m, sizeof(*m));
		rt_publish(rt, (uint32_t)h->out_rep[k], 1);
	}
	return 0;
}

static int host_vote(void *ctx, const struct msg_vote *v)
{
	struct exec_host *h = ctx;
	struct rt *rt = h->rt;
	if (!rt_claim(rt, (uint32_t)h->out_vote, 1))
		return -EAGAIN;
	memcpy(rt_slot(rt, (uint32_t)h->out_vote, 0), v, sizeof(*v));
	rt_publish(rt, (uint32_t)h->out_vote, 1);
	return 0;
}

static void host_order_sent(void *ctx, const struct msg_order *o)
{
	struct exec_host *h = ctx;
	rt_lat_stage(h->rt, o->hdr.ingress_ns); /* hand-off to the venue: tick-to-order */
}

static void host_log(void *ctx, int error, const char *line)
{
	struct exec_host *h = ctx;
	if (error)
		rt_count(&h->rt->slot->ctr.errors, 1);
	rt_log_at(h->rt, error ? RT_LOG_ERROR : RT_LOG_INFO, "%s", line);
}

/* ------------------------------------------------------------ venue.kind mt5 */

/* The queue's commands on venue_cmds, oldest first: 1 when it is empty. */
static int mt5_cmds_drain(struct exec_host *h)
{
	struct exec_mt5 *m = h->mt5;
	while (m->q_tail != m->q_head) {
		struct msg_venue_cmd *c = &m->q[m->q_tail % AG_EXEC_CMDQ];
		if (rt_send(h->rt, (uint32_t)m->out_cmd, c, sizeof(*c)) < 0)
			return 0;
		m->q_tail++;
	}
	return 1;
}

static int mt5_cmd(struct exec_host *h, const struct msg_venue_cmd *c)
{
	struct exec_mt5 *m = h->mt5;
	if (m->q_head - m->q_tail >= AG_EXEC_CMDQ) {
		m->lost++;
		return -ENOBUFS;
	}
	struct msg_venue_cmd *d = &m->q[m->q_head % AG_EXEC_CMDQ];
	*d = *c;
	d->hdr.type = MSG_VENUE_CMD;
	d->hdr.version = MSG_VERSION;
	d->hdr.size = sizeof(*d);
	m->q_head++;
	mt5_cmds_drain(h);
	return 0;
}

static int port_order(void *ctx, const struct mt5_new_order *n, uint64_t decision_us)
{
	struct msg_venue_cmd c;
	memset(&c, 0, sizeof(c));
	c.cmd = MT5_VCMD_ORDER;
	c.decision_us = decision_us;
	c.u.order = *n;
	return mt5_cmd(ctx, &c);
}

static int port_cancel(void *ctx, const struct mt5_cancel *k)
{
	struct msg_venue_cmd c;
	memset(&c, 0, sizeof(c));
	c.cmd = MT5_VCMD_CANCEL;
	c.u.cancel = *k;
	return mt5_cmd(ctx, &c);
}

/* The service's external venue: through the adapter. */
static int ext_send(void *ctx, const struct msg_order *o, int64_t now_ns)
{
	struct exec_host *h = ctx;
	if (!h->mt5->up || h->mt5->v.waiting_snapshot)
		h->mt5->sent_down++;
	uint64_t dec_us = o->hdr.ingress_ns > 0 ? (uint64_t)o->hdr.ingress_ns / 1000 : 0;
	return mt5_venue_send(&h->mt5->v, o->client_order_id, dec_us, now_ns);
}

static int ext_cancel(void *ctx, uint64_t coid, int64_t now_ns)
{
	struct exec_host *h = ctx;
	return mt5_venue_cancel(&h->mt5->v, coid, now_ns);
}

/* Orders the terminal has not answered past the ack timeout: a snapshot
 * to reconcile on (an order it does not hold ends there; a fill of one
 * that comes later still counts: the table takes late fills).  Once per
 * timeout at most: exec_tick hands an order again only after another. */
static void ext_overdue(void *ctx, const uint64_t *coids, uint32_t n, int64_t now_ns)
{
	struct exec_host *h = ctx;
	struct exec_mt5 *m = h->mt5;
	if (!m->up || m->v.waiting_snapshot || m->snap_open ||
	    now_ns - m->snap_asked_ns < AG_EXEC_SNAP_MIN_NS)
		return;
	m->snap_asked_ns = now_ns;
	m->overdue_snaps++;
	rt_log(h->rt, "venue mt5: %u order(s) unanswered past the ack timeout (first %llu): "
	       "asking the terminal a snapshot", n, (unsigned long long)coids[0]);
	struct msg_venue_cmd c;
	memset(&c, 0, sizeof(c));
	c.cmd = MT5_VCMD_SNAPSHOT;
	mt5_cmd(h, &c);
}

/* What the adapter made the table say: published as the simulator's. */
static void venue_out(void *ctx, const struct exec_out *o)
{
	struct exec_host *h = ctx;
	execsvc_ext_forward(&h->x, o, h->rt->now_ns);
}

static int mt5_event(struct exec_host *h, const struct msg_venue_event *e)
{
	struct exec_mt5 *m = h->mt5;
	struct rt *rt = h->rt;
	/* a snapshot may end many orders at once: room in the outbox first */
	if (execsvc_pending(&h->x) > EXECSVC_OUTBOX - 64)
		return -EAGAIN;
	if (e->hdr.size < sizeof(*e))
		return -EPROTO;
	switch (e->ev) {
	case MT5_VEV_STATE:
		if (e->n) {
			mt5_venue_set_sym(&m->v, &e->u.sym);
			rt_log(rt, "venue mt5: the terminal's link is up: reconciling on its snapshot");
		} else if (m->up) {
			rt_warn(rt, "venue mt5: the terminal's link is down: new orders refused");
		}
		m->up = e->n != 0;
		m->snap_open = 0;
		mt5_venue_on_state(&m->v, m->up, rt->now_ns);
		return 0;
	case MT5_VEV_TRADE:
		mt5_venue_on_trade(&m->v, &e->u.trade, e->recv_us, rt->now_ns, NULL, NULL);
		return 0;
	case MT5_VEV_RESULT:
		mt5_venue_on_result(&m->v, &e->u.result, rt->now_ns);
		return 0;
	case MT5_VEV_SNAP_BEGIN:
		memset(&m->snap, 0, offsetof(struct mt5_link_snap, pos));
		m->snap.req_id = e->u.snap.req_id;
		m->snap.last_seq = e->u.snap.last_seq;
		m->snap.time_msc = e->u.snap.time_msc;
		m->n_unacked = 0;
		m->snap_open = 1;
		return 0;
	case MT5_VEV_SNAP_POS:
		if (m->snap_open && m->snap.n_positions < MT5_LINK_SNAP_MAX)
			m->snap.pos[m->snap.n_positions++] = e->u.pos;
		return 0;
	case MT5_VEV_SNAP_ORD:
		if (m->snap_open && m->snap.n_orders < MT5_LINK_SNAP_MAX)
			m->snap.ord[m->snap.n_orders++] = e->u.ord;
		return 0;
	case MT5_VEV_SNAP_UNACKED:
		for (uint32_t i = 0; m->snap_open && i < e->n && i < 12 &&
				     m->n_unacked < MT5_VENUE_UNACKED; i++)
			m->unacked[m->n_unacked++] = e->u.coids[i];
		return 0;
	case MT5_VEV_SNAP_END:
		if (!m->snap_open)
			return 0;
		m->snap_open = 0;
		mt5_venue_set_unacked(&m->v, m->unacked, m->n_unacked);
		mt5_venue_on_snapshot(&m->v, &m->snap, rt->now_ns);
		const struct mt5_venue_stats *vs = &m->v.st;
		rt_log(rt, "venue mt5: reconciled on the terminal's snapshot (%u positions, %u "
		       "orders): %llu confirmed, %llu still to be placed, %llu contracts filled "
		       "unseen, %lld unexplained; new orders pass",
		       m->snap.n_positions, m->snap.n_orders, (unsigned long long)vs->confirmed,
		       (unsigned long long)vs->confirmed_sent,
		       (unsigned long long)vs->filled_unseen, (long long)vs->unexplained);
		return 0;
	default:
		return -EPROTO;
	}
}

/* ------------------------------------------------------------ runtime ops */

static uint32_t ctl_of(const struct rt *rt)
{
	return rt_flags(rt) & RT_SF_KILLED ? EXECSVC_CTL_KILLED : 0;
}

static int exec_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct exec_host *h = rt->ctx;
	if ((int)in == h->in_md)
		return execsvc_on_md(&h->x, m, rt->now_ns);
	if ((int)in == h->in_orders) {
		if (m->type == MSG_ORDER)
			return execsvc_on_order(&h->x, (const struct msg_order *)m, ctl_of(rt),
						rt->now_ns);
		if (m->type == MSG_CANCEL) {
			int n = execsvc_on_cancel(&h->x, (const struct msg_cancel *)m, rt->now_ns);
			return n < 0 ? n : 0;
		}
		return -EPROTO;
	}
	if ((int)in == h->in_int && m->type == MSG_INTENT) {
		rt_expect(rt); /* its order may follow: taken without a wake */
		return execsvc_on_intent(&h->x, (const struct msg_intent *)m, ctl_of(rt),
					 rt->now_ns);
	}
	if ((int)in == h->in_req && m->type == MSG_VOTE_REQ)
		return execsvc_on_vote_req(&h->x, (const struct msg_vote_req *)m, ctl_of(rt),
					   rt->now_ns);
	if ((int)in == h->in_req && m->type == MSG_VOTE_DONE)
		return 0; /* execution holds nothing for a decision: its order comes */
	if (h->mt5 && (int)in == h->mt5->in_ev && m->type == MSG_VENUE_EVENT)
		return mt5_event(h, (const struct msg_venue_event *)m);
	return -EPROTO;
}

static int exec_on_tick(struct rt *rt, int64_t now)
{
	struct exec_host *h = rt->ctx;
	int64_t wake = 0;
	if (DM_UNLIKELY(journal_writer_error(&h->jw))) {
		if (now >= h->retry_ns) {
			/* what it holds written, in order, or not yet */
			h->retry_ns = now + AG_JOURNAL_RETRY_NS;
			int rc = journal_retry(&h->jw);
			if (rc == 0)
				rt_journal_ok(rt);
			else
				rt_journal_failed(rt, rc);
		}
		if (journal_writer_error(&h->jw))
			wake = h->retry_ns;
	}
	int64_t w2 = 0;
	if (h->mt5 && !mt5_cmds_drain(h))
		wake = wake && wake < now + AG_EXEC_CMD_RETRY_NS ? wake : now + AG_EXEC_CMD_RETRY_NS;
	int work = execsvc_tick(&h->x, now, &w2);
	if (w2 && (!wake || w2 < wake))
		wake = w2;
	if (wake)
		rt->wake_at_ns = wake;
	if (h->jopen && rt->last_work == 0)
		journal_poll(&h->jw);
	return work;
}

static int exec_busy(struct rt *rt)
{
	struct exec_host *h = rt->ctx;
	return execsvc_pending(&h->x) != 0 || (h->mt5 && h->mt5->q_head != h->mt5->q_tail);
}

static const struct rt_ops exec_ops = {
	.on_msg = exec_msg,
	.on_tick = exec_on_tick,
	.busy = exec_busy,
};

/* ------------------------------------------------------------ start */

/* The service's parameters from the configuration (execution:, venue:). */
static int exec_params(struct rt *rt, struct execsvc_params *p)
{
	char err[256];
	if (trader_execsvc_params(&rt->cfg.core, (uint16_t)rt_agent_role[rt->self], AG_EXEC_TABLE_CAP,
				  AG_EXEC_VENUE_MAX, 1, p, err, sizeof(err)) < 0) {
		rt_error(rt, "%s", err);
		return -DM_ECONFIG;
	}
	if (execsvc_memsize(p) != AG_EXEC_APP_SIZE) {
		rt_error(rt, "execution: state block of %zu bytes, the app area holds %u",
		         execsvc_memsize(p), AG_EXEC_APP_SIZE);
		return -DM_ECONFIG;
	}
	return 0;
}

/* venue.kind mt5: the rings, the remote adapter over the service's table,
 * HELLO to the data agent.  After execsvc_attach, before execsvc_reconcile. */
static int exec_mt5_open(struct rt *rt, struct exec_host *h)
{
	struct exec_mt5 *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	h->mt5 = m;
	if ((m->in_ev = ag_need_in(rt, "venue_reports", sizeof(struct msg_venue_event))) < 0 ||
	    (m->out_cmd = ag_need_out(rt, "venue_cmds", sizeof(struct msg_venue_cmd))) < 0)
		return -DM_ETOPOLOGY;
	const struct mt5_venue_port port = { .ctx = h, .order = port_order,
					     .cancel = port_cancel };
	mt5_venue_init_remote(&m->v, execsvc_table(&h->x), &port, venue_out, h);
	/* the fills published so far: the position the terminal's is held to */
	mt5_venue_set_position(&m->v, h->x.st->filled_qty);
	const struct execsvc_ext ext = { .ctx = h, .send = ext_send, .cancel = ext_cancel,
					 .overdue = ext_overdue };
	execsvc_set_external(&h->x, &ext);
	struct msg_venue_cmd hello;
	memset(&hello, 0, sizeof(hello));
	hello.cmd = MT5_VCMD_HELLO;
	mt5_cmd(h, &hello);
	rt_log(rt, "venue mt5: orders go to the MetaTrader 5 terminal through the data agent; "
	       "refused until its link is up and reconciled");
	return 0;
}

int ag_exec_init(struct rt *rt)
{
	struct execsvc_params p;
	int rc;
	if ((rc = exec_params(rt, &p)) < 0)
		return rc;
	struct exec_host *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->rt = rt;
	if ((h->in_md = ag_need_in(rt, "md_execution", sizeof(struct msg_book))) < 0 ||
	    (h->in_orders = ag_need_in(rt, "orders", sizeof(struct msg_order))) < 0 ||
	    (h->in_req = ag_need_in(rt, "vote_req_execution", sizeof(struct msg_vote_req))) < 0 ||
	    (h->out_vote = ag_need_out(rt, "votes_execution", sizeof(struct msg_vote))) < 0 ||
	    (h->in_int = ag_intents_in(rt)) < -1 ||
	    (h->out_rep[0] = ag_need_out(rt, "reports_risk", sizeof(struct msg_exec_report))) < 0 ||
	    (h->out_rep[1] = ag_need_out(rt, "reports_coordinator",
					 sizeof(struct msg_exec_report))) < 0) {
		rc = -DM_ETOPOLOGY;
		goto free_host;
	}
	h->n_rep = 2;
	/* a market maker learns its quotes' fate from the reports; a taker
	 * takes none, so its ml (slow, or down) never holds execution back */
	if (strategy_kind_is_mm(rt->cfg.core.strategy.kind)) {
		if ((h->out_rep[2] = ag_need_out(rt, "reports_ml",
						 sizeof(struct msg_exec_report))) < 0) {
			rc = -DM_ETOPOLOGY;
			goto free_host;
		}
		h->n_rep = 3;
	}
	if (rt->app_fresh) {
		/* ids epoch << 40 | n: the epoch is the segment's (seg_hdr.epoch) */
		char err[256];
		rc = execsvc_init(rt->app, AG_EXEC_APP_SIZE, &p, rt->seg.hdr->epoch, err,
				  sizeof(err));
		if (rc < 0) {
			rt_error(rt, "execution state: %s", err);
			rc = rc == -DM_ECONFIG ? rc : -DM_ECONFIG;
			goto free_host;
		}
	}
	const struct execsvc_out out = {
		.ctx = h,
		.journal = host_journal,
		.journal_flush = host_journal_flush,
		.report = host_report,
		.vote = host_vote,
		.order_sent = host_order_sent,
		.log = host_log,
		.fault = host_fault,
	};
	if ((rc = execsvc_attach(&h->x, rt->app, AG_EXEC_APP_SIZE, &p, &out)) < 0) {
		rt_error(rt, "order table or venue in the segment refused: %s", dm_strerror(rc));
		goto free_host;
	}
	if (rt->cfg.core.venue.kind == VENUE_KIND_MT5 && (rc = exec_mt5_open(rt, h)) < 0)
		goto free_host;
	if ((rc = ag_journal_open(rt, &h->jw, AG_ORDERS_JOURNAL, AG_EXEC_JOURNAL_BUF)) < 0)
		goto free_host;
	h->jopen = 1;
	execsvc_reconcile(&h->x, rt->now_ns, NULL);
	rt_set_ops(rt, &exec_ops, h);
	return 0;
free_host:
	free(h->mt5);
	free(h);
	return rc;
}

void ag_exec_close(struct rt *rt)
{
	struct exec_host *h = rt->ctx;
	if (!h)
		return;
	if (h->jopen && journal_close(&h->jw) < 0)
		rt_error(rt, "orders journal: write error");
	h->jopen = 0;
	const struct execsvc_state *st = h->x.st;
	const struct exec_counters *k = &execsvc_table_of(st)->ctr;
	const struct venue_totals *vt = venue_totals(execsvc_venue_of(st));
	rt_log(rt, "orders %llu: filled %llu, cancelled %llu, rejected %llu, refused %llu; "
	       "fills %llu, net filled %lld; venue fills %llu, net %lld",
	       (unsigned long long)k->orders, (unsigned long long)k->filled,
	       (unsigned long long)k->cancels, (unsigned long long)k->rejects,
	       (unsigned long long)st->refused, (unsigned long long)st->fills_out,
	       (long long)st->filled_qty, (unsigned long long)vt->fills,
	       (long long)(vt->buy_qty - vt->sell_qty));
	if (h->mt5) {
		const struct mt5_venue_stats *vs = &h->mt5->v.st;
		rt_log(rt, "venue mt5: %llu orders and %llu cancels sent, %llu reports, %llu "
		       "refused commands, %llu reconciliations (%llu for unanswered orders), %llu "
		       "commands lost to a full queue, "
		       "%llu orders sent while the link was down or reconciling",
		       (unsigned long long)vs->orders, (unsigned long long)vs->cancels,
		       (unsigned long long)vs->reports, (unsigned long long)vs->refused_cmds,
		       (unsigned long long)vs->reconciles,
		       (unsigned long long)h->mt5->overdue_snaps, (unsigned long long)h->mt5->lost,
		       (unsigned long long)h->mt5->sent_down);
		free(h->mt5);
	}
	rt->ctx = NULL;
	free(h);
}
