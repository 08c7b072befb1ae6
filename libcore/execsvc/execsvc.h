/*
 * execsvc.h — the execution service: what the execution agent does with a
 * message, on caller-owned memory, hosted by the agent process and by an
 * in-process backtest alike.
 *
 * Design note.  The service composes the order table (libcore/exec) and
 * the venue simulator (libcore/venue) and adds what sits between them and
 * the rest of the system:
 *
 *   orders      a released order (msg_order) gets a client order id from
 *               the table, is journaled (JREC_ORDER, with that id), marked
 *               sent, then handed to the venue; an order whose decision id
 *               is already in the table is a re-delivery and is dropped;
 *               one the table refuses comes back as a REJECTED report so
 *               that risk releases its exposure.
 *   journal     nothing leaves unjournaled.  An order whose record cannot
 *               be made durable is not sent: it is cancelled in the table
 *               before the venue (a CANCELLED report, cancelled_unsent;
 *               the host writes the record later, so the journal shows the
 *               order and its end).  While the journal fails, orders are
 *               refused before the table (REJECTED, journal_error), and
 *               reports wait in the outbox, journaled and published in
 *               order once it writes again.
 *   the clock   the venue runs on the market's clock: the exchange time of
 *               the newest market event.  Live (the newest event not
 *               flagged MSG_F_REPLAY): when no market event came for
 *               quiet_ns of local time, the clock follows local time from
 *               there, so pending orders and reports still complete.  A
 *               replay never lets local time in: the clock stays at the
 *               newest event however long the pipeline stalls, ack
 *               timeouts (which run on local time) are not checked, and
 *               after MSG_END (execsvc_on_end) the clock steps to each
 *               next due venue time (an arrival, a report) until nothing
 *               is in flight, so every fill of a replay has the venue time
 *               the market's events give it, on any machine.
 *   reports     every venue report goes through the table's state machine;
 *               what it says to forward is journaled (JREC_EXEC) and queued
 *               in the outbox with its decision id; execsvc_tick publishes
 *               the outbox (journal flushed first) and marks fills
 *               published in the table.
 *   restart     execsvc_reconcile, at every start: the table takes the
 *               venue's word for every order (fills it had not seen come
 *               out as synthetic fills), fills applied but never published
 *               go out again, and so does the final status of every order
 *               that ended in the last resend_ns (receivers drop repeats).
 *   votes       execution's vote on a decision: the kill switch, no book
 *               yet, or the table's limits (exec_can_accept).
 *   cancels     one order, or all of them (client_order_id 0).
 *
 * Memory.  Two parts, both owned by the caller:
 *
 *   the state block (execsvc_memsize bytes; survives a restart when the
 *   host places it in shared memory; pointer-free, position independent):
 *
 *     +----------------------------+ 0
 *     | struct execsvc_state       |  clock, counters, venue_cur
 *     +----------------------------+ EXECSVC_TABLE_OFF (4 KiB)
 *     | order table (libcore/exec) |  exec_table_memsize(table_cap)
 *     +----------------------------+ venue_off: the table rounded up to 64 KiB
 *     | venue copy 0               |  venue_room bytes
 *     | venue copy 1 (if double)   |  venue_room bytes
 *     +----------------------------+ execsvc_memsize
 *
 *   struct execsvc (the process's handle: where the block is, the
 *   parameters, the output interface, the outbox).  It is rebuilt by
 *   execsvc_attach at every start; what it held is recovered by
 *   execsvc_reconcile.  Several instances live side by side in one
 *   process: nothing is global.
 *
 * All-or-nothing venue steps.  With params.double_venue = 1 (a host whose
 * process may die at any instruction, its block in shared memory) a step
 * that can change an order or a report (an order, a cancel, a market event
 * while orders are in flight, the quiet clock, a step after the end of a
 * replay) runs on the other copy, then one release store of venue_cur
 * makes it current: a kill -9 leaves the simulated exchange before or
 * after the step, never half-way (the table has its own redo log).  The
 * other copy is first brought up to the current one by what changed since
 * it was current (venue_sync: the header, the open orders, the records
 * made since; about 2 KB instead of the whole venue), or copied whole on
 * the first step after execsvc_attach.  Market events with nothing in
 * flight touch only the book and run in place.  With
 * double_venue = 0 (an in-process host that does not survive its own
 * crash) every step runs in place on one copy and nothing is copied.
 *
 * Threads.  One thread drives an instance (every function taking struct
 * execsvc).  Readers in other processes use execsvc_table_of and
 * execsvc_venue_of on the block.  Nothing here allocates, locks, blocks or
 * makes a system call except execsvc_init (venue_init reads the latency
 * file); the output interface is the host's, and should follow the same
 * rule on the hot path.
 */
#ifndef DM_LIBCORE_EXECSVC_H
#define DM_LIBCORE_EXECSVC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "libcore/exec/exec.h"
#include "libcore/venue/venue.h"
#include "libcore/msg/msg.h"

#define EXECSVC_MAGIC     0x3130535845584d44ull /* "DMXEXS01" little-endian */
#define EXECSVC_VERSION   3u
#define EXECSVC_PASSIVE   32u          /* resting orders of execution.passive awaiting
					* their cancel at the signal's horizon */
#define EXECSVC_TABLE_OFF 4096u        /* the state header's room */
#define EXECSVC_ALIGN     (64u << 10)  /* the table and venue parts round up to this */
#define EXECSVC_OUTBOX    512u         /* reports waiting to be published */

/* ------------------------------------------------------------ parameters */

struct execsvc_params {
	struct exec_cfg limits;   /* max_inflight, max_open, ack_timeout_ms */
	struct venue_cfg venue;   /* the simulator; latency_file already resolved */
	uint32_t table_cap;       /* order table slots, a power of two; default 1024 */
	uint32_t double_venue;    /* 1: all-or-nothing venue steps on two copies (default) */
	uint64_t venue_room;      /* bytes per venue copy; 0 = venue_memsize rounded up
				   * to EXECSVC_ALIGN; a fixed room keeps the layout when
				   * the venue parameters change between runs */
	int64_t  quiet_ns;        /* no market event this long: the clock follows local
				   * time; default 50 ms */
	int64_t  resend_ns;       /* at a start, final statuses of orders ended this
				   * recently go out again; default 10 s */
	uint16_t voter;           /* msg_vote.voter of the votes (its role, role.h) */
	uint16_t pad[3];
};

/* Defaults: exec_cfg_default, venue_cfg_default, the values above.  Pure. */
void execsvc_params_default(struct execsvc_params *p);

/* 0, or -DM_ECONFIG with one line in err (errlen bytes, may be NULL) naming
 * the parameter: limits, venue, table_cap, venue_room too small for the
 * venue.  Pure. */
int execsvc_params_check(const struct execsvc_params *p, char *err, size_t errlen);

/* ------------------------------------------------------------ the state block */

/*
 * The block's header.  Written by the one driving thread; counters are
 * plain (a reader in another process may see a torn 64-bit value only on
 * a 32-bit machine); venue_cur is stored with release, loaded with acquire
 * by readers.
 */
struct execsvc_state {
	uint64_t magic;               /* EXECSVC_MAGIC, stored last by execsvc_init */
	uint32_t version;             /* EXECSVC_VERSION */
	uint32_t double_venue;        /* two venue copies */
	uint64_t size;                /* execsvc_memsize at init */
	uint64_t table_off, table_size;
	uint64_t venue_off, venue_room, venue_size;
	_Atomic uint32_t venue_cur;   /* the venue copy in use, 0 or 1 */
	uint32_t have_book;           /* a two-sided book was seen */
	int64_t  last_exch_ns;        /* exchange time of the newest market event */
	int64_t  last_md_ns;          /* local time it arrived */
	uint64_t votes, orders_in, dup_orders, refused, reports_out, fills_out;
	uint64_t venue_full;          /* venue sends refused: too much in flight */
	uint64_t journal_errors;      /* journal appends or flushes that failed */
	uint64_t synthetic;           /* fills made up by reconciliation */
	uint64_t outbox_dropped;      /* reports lost to a full outbox (never expected) */
	int64_t  filled_qty;          /* signed contracts published as fills */
	uint32_t md_replay;           /* the newest market event came from a replay */
	uint32_t ended;               /* MSG_END seen: the replayed market is over */
	int64_t  end_exch_ns;         /* MSG_END's exchange time of the last event */
	uint64_t end_steps;           /* venue clock steps taken after the end */
	uint32_t journal_failing;     /* 1 from a failed journal append or flush
				       * until a flush succeeds */
	uint32_t held;                /* reports waiting for the journal (outbox) */
	uint64_t journal_refused;     /* orders refused while the journal failed */
	uint64_t journal_unsent;      /* orders not sent: their record failed */
	uint64_t venue_steps;         /* venue steps committed on two copies */
	uint64_t venue_copied;        /* bytes copied between the copies by them */
	/* execution.passive auto (docs/execution.md, "Passive execution") */
	uint64_t passive_by[3];       /* intents that crossed, joined, improved */
	uint64_t passive_expired;     /* resting orders cancelled at their horizon */
	uint64_t passive_untimed;     /* rested with no room to time their cancel:
				       * sent as IOC at the far touch instead */
	struct {
		uint64_t coid;        /* 0 = free */
		int64_t  cancel_ns;   /* market time: cancel if still open */
	} passive_q[EXECSVC_PASSIVE];
};
_Static_assert(sizeof(struct execsvc_state) <= EXECSVC_TABLE_OFF, "execsvc header fits");

/* Bytes of the state block for p; 0 if p fails execsvc_params_check.
 * Default parameters: 397 312 bytes (4 KiB + 128 KiB + 2 x 128 KiB).  Pure. */
size_t execsvc_memsize(const struct execsvc_params *p);

/*
 * Make a fresh state block at mem (size bytes, at least execsvc_memsize(p),
 * 8-byte aligned): an empty order table whose ids carry epoch (1..2^24-1;
 * e.g. the creation second of the run, so two runs writing one journal
 * never share an id), a venue with no book, clock 0.  Returns 0, or
 * -DM_ECONFIG (p refused, or the latency file: one line in err), -DM_ESIZE,
 * -EINVAL (alignment, epoch), -errno (the latency file cannot be read).
 * The header's magic is stored last.  Start-up code: reads a file.
 */
int execsvc_init(void *mem, size_t size, const struct execsvc_params *p, uint64_t epoch,
		 char *err, size_t errlen);

/* ------------------------------------------------------------ output interface */

/*
 * What the host does with the service's output.  Every callback gets ctx.
 *   journal        append one record (JREC_ORDER: a struct msg_order with
 *                  its client order id; JREC_EXEC: a struct
 *                  msg_exec_report) to the orders journal: 0, or < 0 when
 *                  it is not appended (counted in journal_errors; what
 *                  depends on it is held).  An append must not fail for
 *                  want of buffer room: the host's buffer holds a whole
 *                  outbox of reports and an order.  May be NULL.
 *   journal_flush  make every record appended so far durable: called
 *                  before an order goes to the venue and before reports
 *                  are published.  0, or < 0 when they are not: the host
 *                  keeps them and writes them, in order, once its journal
 *                  writes again (counted; what depends on them is held).
 *                  May be NULL.
 *   report         publish one report to its receivers (risk and the
 *                  coordinator), all of them or none: 0 taken, -EAGAIN no
 *                  room (the report stays queued; execsvc_tick tries again).
 *   vote           publish one vote: 0, or -EAGAIN no room (the request
 *                  is then left for a retry, nothing counted).
 *   order_sent     the order is being handed to the venue (the
 *                  tick-to-order clock stops here).  May be NULL.
 *   log            one line for the operator; error = 1 for a condition
 *                  that is counted as an error.  Cold paths only (refusals
 *                  by the table, anomalies, cancels, reconciliation).  May
 *                  be NULL.
 *   fault          optional (NULL: none): the service passes fault point
 *                  `point` (EXECSVC_FAULT_*); a test host may end the
 *                  process there.  Must return if it does nothing.
 */
#define EXECSVC_FAULT_SEND 1u /* an order journaled and marked sent, not yet
			       * handed to the venue */
#define EXECSVC_FAULT_VENUE_COPY 2u /* double_venue: the other copy brought
				     * up to the current one, the step not run */
#define EXECSVC_FAULT_VENUE_STEP 3u /* double_venue: the step run on the other
				     * copy (the table updated), not yet current */
struct execsvc_out {
	void *ctx;
	int  (*journal)(void *ctx, uint16_t type, const void *rec, uint32_t len);
	int  (*journal_flush)(void *ctx);
	int  (*report)(void *ctx, const struct msg_exec_report *m);
	int  (*vote)(void *ctx, const struct msg_vote *v);
	void (*order_sent)(void *ctx, const struct msg_order *o);
	void (*log)(void *ctx, int error, const char *line);
	void (*fault)(void *ctx, uint32_t point);
};

/*
 * An external venue (venue.kind mt5: the terminal, docs/mt5-bridge.md)
 * instead of the simulator.  The host supplies where orders and cancels
 * go; the service then never hands them to the simulator (which still
 * takes the market data: the book its votes and the passive rule read).
 *   send    the order (its client_order_id set, in the table and marked
 *           sent) to the venue: 0, or < 0 when it could not be handed
 *           over (counted venue_full; the order is left to the next
 *           reconciliation, never sent twice)
 *   cancel  a cancel of an order at the venue: 0, or < 0 (counted)
 *   overdue optional: orders PENDING or CANCEL_PENDING past
 *           limits.ack_timeout_ms on a live market (exec_tick: each comes
 *           again only after another timeout), for the host to look up
 *           at the venue (the terminal: a snapshot to reconcile on)
 * The venue's reports and reconciliations go through the table by the
 * host's adapter (libcore/mt5/mt5_venue), whose outputs the host hands to
 * execsvc_ext_forward.  The table's venue is up only as the adapter says
 * (exec_set_venue_up).
 */
struct execsvc_ext {
	void *ctx;
	int (*send)(void *ctx, const struct msg_order *o, int64_t now_ns);
	int (*cancel)(void *ctx, uint64_t coid, int64_t now_ns);
	void (*overdue)(void *ctx, const uint64_t *coids, uint32_t n, int64_t now_ns);
};

/* ------------------------------------------------------------ the handle */

/* The process's handle on one state block.  Caller-owned (about 53 KiB);
 * its fields are the service's; read them through the functions below. */
struct execsvc {
	struct execsvc_state *st;
	struct exec_table *t;
	uint8_t *vblk[2];
	struct execsvc_params p;
	struct execsvc_out out;
	struct execsvc_ext ext;       /* ext.send NULL: the simulator */
	uint32_t head, tail;          /* outbox: free-running, masked on access */
	uint32_t jhead;               /* box[tail..jhead) appended to the journal */
	uint32_t twin;                /* 1: the other venue copy is the current one
				       * before the last step this process
				       * committed, written by nothing since */
	struct msg_exec_report box[EXECSVC_OUTBOX];
};

/*
 * Take over the state block at mem (size bytes) at every start, after
 * execsvc_init too: checks the header (-DM_EMAGIC: not a block, init it;
 * -DM_EVERSION; -DM_ESIZE: size or table capacity differ), the order table
 * (exec_table_attach: finishes an update a crash interrupted) and the
 * current venue (venue_attach); binds x to it with p (limits, clock, voter;
 * the block keeps the venue it was made with) and out (copied).  The
 * outbox starts empty and the table refuses new orders until
 * execsvc_reconcile.  Returns 0 or the error of the part refused.
 */
int execsvc_attach(struct execsvc *x, void *mem, size_t size,
		   const struct execsvc_params *p, const struct execsvc_out *out);

/*
 * Orders go to an external venue from now on (e copied; see struct
 * execsvc_ext): after execsvc_attach, before execsvc_reconcile, which then
 * leaves the orders to the external venue's reconciliation (the table's
 * venue stays down until the adapter's) and only sends again what was
 * never published.  Driving thread; no allocation.
 */
void execsvc_set_external(struct execsvc *x, const struct execsvc_ext *e);

/*
 * An output of the table the external venue's adapter produced (a report
 * it applied, a reconciliation): queued for publication as the
 * simulator's are; a cancel it asks (EXEC_ACT_CANCEL) goes to ext.cancel.
 * Driving thread; no allocation.
 */
void execsvc_ext_forward(struct execsvc *x, const struct exec_out *o, int64_t now_ns);

/* The order table of x, for the external venue's adapter (driving thread). */
static inline struct exec_table *execsvc_table(struct execsvc *x)
{
	return x->t;
}

/* What execsvc_reconcile did. */
struct execsvc_recon {
	uint32_t confirmed;  /* orders the venue knows */
	uint32_t ended;      /* live orders the venue did not confirm, ended here */
	uint32_t unpublished;/* fills sent again */
	uint32_t again;      /* final statuses sent again */
	uint32_t queued;     /* reports in the outbox afterwards */
};

/*
 * Crash-only start, right after execsvc_attach: the venue is up, the table
 * takes the venue's word for every order (exec_reconcile_*), fills the
 * table applied but never published and the final status of every order
 * that ended within resend_ns of now_ns are queued again; then new orders
 * are taken.  Fills *r (may be NULL) and logs one line.  O(table_cap).
 */
void execsvc_reconcile(struct execsvc *x, int64_t now_ns, struct execsvc_recon *r);

/* ------------------------------------------------------------ inputs */

/* execsvc_on_order / execsvc_on_vote_req ctl bits: the host's switches */
#define EXECSVC_CTL_KILLED 0x1u /* kill switch latched: only flattening orders pass */

/*
 * A market event (MSG_BOOK or MSG_TRADE; MSG_END goes to execsvc_on_end;
 * other types are ignored): moves the venue's book and clock; with orders
 * or reports in flight, the venue matches and its reports due by then go
 * through the table to the outbox.  Its MSG_F_REPLAY flag says whether the
 * quiet clock may run.  Returns 0.
 */
int execsvc_on_md(struct execsvc *x, const struct msg_hdr *m, int64_t now_ns);

/*
 * The end of a replayed market (MSG_END): from now on execsvc_tick moves
 * the venue's clock itself, to each next due venue time
 * (venue_next_arrival_ns, venue_next_report_ns) until nothing is in
 * flight, whatever the local times it is called with; ack timeouts stay
 * off.  Idempotent (an end received twice changes nothing); a market
 * event after it starts the market again.  Returns 0.  No allocation.
 */
int execsvc_on_end(struct execsvc *x, const struct msg_end *e, int64_t now_ns);

/*
 * A released order.  With limits.passive auto, an IOC limit that is not a
 * flattening order is first put to the passive rule (libcore/control/
 * passive.h) on the venue's book: crossing keeps it as it is; joining or
 * improving the touch makes it a DAY limit at that price, cancelled
 * (execsvc_tick) once the market clock passes the signal's horizon.
 * A decision already in the table is dropped (counted
 * dup_orders); under EXECSVC_CTL_KILLED an order without MSG_F_FLATTEN,
 * any order the table refuses and, while the journal fails, any order
 * (journal_error) becomes a REJECTED report with the decision id;
 * otherwise journal (append and flush: a failure cancels it before the
 * venue), mark sent, order_sent, venue.  Returns 0, or -EAGAIN when the
 * outbox is nearly full (nothing done: hand it again after execsvc_tick).
 */
int execsvc_on_order(struct execsvc *x, const struct msg_order *o, uint32_t ctl,
		     int64_t now_ns);

/*
 * A cancel: of client_order_id, or of every live order when it is 0.
 * Reports of orders cancelled here are queued, cancels of orders at the
 * venue are sent to it.  Returns how many orders it touched, or -EAGAIN as
 * execsvc_on_order.
 */
int execsvc_on_cancel(struct execsvc *x, const struct msg_cancel *k, int64_t now_ns);

/*
 * Execution's vote on a decision: approve unless the kill switch
 * (VOTE_R_KILL_SWITCH), no two-sided book yet (VOTE_R_NO_BOOK) or the
 * table's limits (exec_can_accept) say otherwise; published through
 * out.vote.  Returns 0, or -EAGAIN when out.vote had no room (not counted).
 */
int execsvc_on_vote_req(struct execsvc *x, const struct msg_vote_req *q, uint32_t ctl,
			int64_t now_ns);

/* An intent itself, from ml (vote.fanout): the same vote, naming the
 * intent (decision_id 0, intent_id).  Returns as execsvc_on_vote_req. */
int execsvc_on_intent(struct execsvc *x, const struct msg_intent *it, uint32_t ctl,
		      int64_t now_ns);

/*
 * Time passes.  After the end of a replay the venue's clock steps to each
 * next due venue time until nothing is in flight (local time plays no
 * part); on a quiet live market it follows local time; with a live market
 * orders pending past ack_timeout_ms are looked up at the venue; then the
 * outbox is published: its reports journaled (those not yet), the journal
 * flushed, and only then the journaled ones sent; while the journal fails
 * they wait (a flush is tried on every call, no other system call).  Returns the reports
 * published.  *wake_at_ns (may be NULL) is set when the host should call
 * again by then without new input (the clock is moving, the outbox is
 * full, or a receiver had no room), else left alone.
 */
int execsvc_tick(struct execsvc *x, int64_t now_ns, int64_t *wake_at_ns);

/* Reports queued and not yet published. */
static inline uint32_t execsvc_pending(const struct execsvc *x)
{
	return x->head - x->tail;
}

/* ------------------------------------------------------------ reading */

/* The order table and the current venue of a state block, for the driving
 * thread or a reader in another process (which must tolerate a block
 * changing under it: the table's exec_order_snapshot, the venue's
 * counters).  The block must have passed execsvc_attach or be one a
 * running service owns. */
static inline const struct exec_table *execsvc_table_of(const struct execsvc_state *st)
{
	return (const struct exec_table *)(const void *)((const uint8_t *)st + st->table_off);
}

static inline const struct venue *execsvc_venue_of(const struct execsvc_state *st)
{
	uint32_t cur = atomic_load_explicit(&((struct execsvc_state *)st)->venue_cur,
					    memory_order_acquire) & 1;
	return (const struct venue *)(const void *)((const uint8_t *)st + st->venue_off +
						    cur * st->venue_room);
}

/* ------------------------------------------------------------ dump */

struct json_t;

/*
 * The state block st (size bytes readable there) as a new JSON object for
 * monitors (caller owns it, json_decref).  The service's counters always:
 * "votes", "orders_in", "refused", "duplicate_orders", "reports", "fills",
 * "net_filled" (signed contracts), "venue_full", "journal_errors",
 * "journal_failing" (bool), "held" (reports waiting for the journal),
 * "journal_refused", "journal_unsent", "synthetic", "outbox_dropped",
 * "venue_steps" and "venue_copied" (steps kept on two venue copies, bytes
 * copied between them: docs/execution.md), "passive" {"cross", "join",
 * "improve", "expired", "untimed"} (the passive rule's counters).  Once the block is initialised and its
 * parts lie inside size, also the order table's "orders", "filled",
 * "cancelled", "rejected", "open", "anomalies" and the current venue
 * copy's sums "venue": {"fills", "buy_qty", "sell_qty", "buy_value_ticks",
 * "sell_value_ticks", "fees" (currency), "fees_e9" (exact)}.  Reads
 * without a lock (figures of slightly different instants).  Allocates
 * (jansson): tools and tests, never a handler.
 */
struct json_t *execsvc_dump_json(const struct execsvc_state *st, size_t size);

#endif /* DM_LIBCORE_EXECSVC_H */
