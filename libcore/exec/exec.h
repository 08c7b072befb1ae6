/*
 * exec.h — the execution order table and its state machine.
 *
 * Design note.  The table is one fixed-size, pointer-free block that lives
 * in the execution agent's restart-surviving region of the segment (or in
 * any memory a test hands in: exec_table_memsize + exec_table_init, then
 * exec_table_attach at every start).  It holds the orders the agent has
 * created, one slot per client order id, and everything needed to go on
 * after a kill -9 at any instruction:
 *
 *   ids      client order id = epoch << 40 | n, n from a counter in the
 *            table that is stored before the id is returned: a crash can
 *            skip an id, never reuse one.  The epoch (1..2^24-1), given at
 *            init, separates tables of different runs that write the same
 *            journal.  Fill ids (the exec_id a fill carries downstream)
 *            have the same shape and their own counter.
 *   slots    slot = n & (capacity - 1): an order is found in O(1); a slot
 *            is reused only when its previous order is terminal (a live
 *            order's slot is skipped, and so is its id).
 *   updates  every change (one or two orders and the counters) is written
 *            to a redo log inside the table, committed by one store, then
 *            copied into place; exec_table_attach finishes a committed
 *            log, so a crash leaves each change entirely done or not at
 *            all.  Each slot has a generation that is odd while the slot
 *            is rewritten, for readers in other processes.
 *
 * The state machine (docs/execution.md has the table): NEW (created here)
 * -> PENDING (handed to the venue) -> ACK -> PARTIAL -> FILLED; live orders
 * -> CANCEL_PENDING -> CANCELLED; PENDING -> REJECTED.  Venue reports may
 * come twice or out of order: quantities follow cum_qty, which never goes
 * down; a fill implies the ack; a terminal order is never reopened, but
 * late fills are applied (a fill is never dropped).  Each call fills a
 * struct exec_out that says what the caller must do: forward a report or
 * a fill, send an order or a cancel, nothing (duplicate, stale), or raise
 * an anomaly.
 *
 * Pure: no clock (times are passed in), no I/O, no allocation, no locks.
 * One writer: the execution agent's thread.  Readers in other processes
 * use exec_order_snapshot.  Every operation is O(1) except those that say
 * otherwise (scans of the live window or of the whole table).
 */
#ifndef DM_LIBCORE_EXEC_H
#define DM_LIBCORE_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/config/cfg.h"
#include "libcore/msg/msg.h"

#define EXEC_MAGIC        0x3130544345584d44ull /* "DMXECT01" */
#define EXEC_VERSION      1u
#define EXEC_ID_SHIFT     40                    /* id = epoch << 40 | n */
#define EXEC_EPOCH_MAX    ((1ull << 24) - 1)
#define EXEC_SEQ_MASK     ((1ull << EXEC_ID_SHIFT) - 1)
#define EXEC_CAPACITY_MAX (1u << 20)

/* A venue report status beyond enum exec_status: the venue refused a
 * cancel (or the cancel half of a replace); the order stands. */
#define EXEC_VENUE_CANCEL_REJECT 16

/* ------------------------------------------------------------ config */

/* The order limits (YAML: execution:, the keys of exec_cfg_keys; struct
 * dm_config embeds this struct). */
struct exec_cfg {
	uint32_t max_inflight;   /* orders created or sent, not yet acknowledged;
	                          * YAML max_inflight, default 4, 1..1024 */
	uint32_t max_open;       /* live (non-terminal) orders; max_open, default
	                          * 16, 1..1024 */
	uint32_t ack_timeout_ms; /* pending longer -> ask the venue (status query);
	                          * ack_timeout_ms, default 1000, 1..600000 */
	uint32_t child_max_qty;  /* an intent larger than this is cut into child
				  * orders over child_horizon (docs/execution.md,
				  * "Child orders"); child_max_qty, 0 = never (default) */
	int64_t  child_horizon_ns; /* child_horizon: T of the children's trajectory,
				  * > 0 when child_max_qty > 0 */
	/* impact: the Almgren-Chriss model of the children's trajectory; prices
	 * in ticks, time in seconds; every key optional, 0 = the straight line */
	double   ac_eta;         /* impact.eta: ticks per contract per contract of one
				  * child (dm-study's temporary impact) */
	double   ac_gamma;       /* impact.gamma: ticks per contract (Kyle's lambda) */
	double   ac_sigma;       /* impact.sigma: ticks per sqrt(s) */
	double   ac_lambda;      /* impact.risk_aversion: 1 / tick */
	/* passive: cross the spread or rest at the touch, per intent
	 * (libcore/control/passive.h, docs/execution.md "Passive execution") */
	uint32_t passive;        /* passive: off (0, default) or auto (1) */
	uint32_t pad;
	int64_t  passive_horizon_ns; /* passive_model.horizon: H, the signal's horizon;
				  * the resting order is cancelled after it */
	double   passive_move;   /* passive_model.move_ticks: m, the signal's expected
				  * move its way over H, ticks */
	double   passive_a;      /* passive_model.fill_a: A, aggressive orders per
				  * second reaching the mid on one side (dm-study's
				  * a_per_s counts both: half of it) */
	double   passive_k;      /* passive_model.fill_k: k, 1 / tick */
	double   passive_lots;   /* passive_model.order_lots: lots one aggressive
				  * order takes (dm-study's impact.mean_qty); 0 = 1 */
	char     study[256];     /* study: a dm-study --json file whose figures fill
				  * the impact and passive_model keys left at 0 (and
				  * the kill switch's flatten_eta and flatten_gamma);
				  * "" = none (libcore/trader/trader_params.c) */
};

enum exec_passive_mode { EXEC_PASSIVE_OFF = 0, EXEC_PASSIVE_AUTO = 1 };

/* 4, 16, 1000, the rest 0 (no children, passive off).  Pure. */
void exec_cfg_default(struct exec_cfg *c);

/* The keys of the configuration's execution: section, relative to struct
 * exec_cfg: max_inflight, max_open, ack_timeout_ms, child_max_qty,
 * child_horizon, impact {eta, gamma, sigma, risk_aversion}, passive,
 * passive_model {horizon, move_ticks, fill_a, fill_k, order_lots}, study. */
extern const struct cfg_key exec_cfg_keys[];
/* 0 if max_inflight, max_open and ack_timeout_ms are >= 1, a child size
 * comes with a horizon > 0, the impact model is >= 0, and passive auto
 * comes with a horizon > 0 and a fill_a > 0; else -EINVAL.  Pure. */
int exec_cfg_check(const struct exec_cfg *c);

/* ------------------------------------------------------------ reasons */

/*
 * Reasons the table gives: of a local decision (an order ended here, not
 * at the venue: exec_order.flags has EXEC_F_LOCAL) and of an anomaly.
 * Append only: the numbers are journaled.
 */
enum exec_reason {
	EXEC_R_NONE = 0,
	/* local decisions */
	EXEC_R_UNSENT_CANCEL,    /* cancelled before it was handed to the venue */
	EXEC_R_NOT_SENT,         /* never reached the venue (reconciliation) */
	EXEC_R_REPLACE_FILLED,   /* replacement dropped: the old order filled first */
	EXEC_R_REPLACE_REFUSED,  /* replacement dropped: the venue refused the cancel */
	EXEC_R_REPLACE_DEAD,     /* replacement dropped: the old order was rejected or lost */
	/* anomalies */
	EXEC_R_UNKNOWN_ORDER,    /* report or view for a client order id not in the table */
	EXEC_R_OVERFILL,         /* cum_qty above the order quantity */
	EXEC_R_NOT_MARKED_SENT,  /* venue event for an order never marked sent */
	EXEC_R_REJECT_AFTER_ACK, /* the venue rejected an order it had acknowledged */
	EXEC_R_FILL_AFTER_REJECT,/* a fill for a rejected order */
	EXEC_R_CONTRADICTION,    /* cancelled/rejected after filled, rejected after cancelled... */
	EXEC_R_VENUE_LOST,       /* a live order the venue does not know (reconciliation) */
	EXEC_R_CUM_BEHIND,       /* the venue reports less filled than already applied */
	EXEC_R_VENUE_ID,         /* the venue order id changed */
	EXEC_R_BAD_REPORT,       /* negative quantities, last_qty > cum_qty, unknown status */
	EXEC_R_COUNT
};

/* "none", "overfill"... ("?" for an unknown code).  Any thread. */
const char *exec_reason_name(uint32_t reason);
/* "new", "pending", "ack", "partial", "filled", "cancel_pending",
 * "cancelled", "rejected"; "free" for 0, "?" otherwise.  Any thread. */
const char *exec_status_name(uint32_t status);
/* 1 for FILLED, CANCELLED, REJECTED. */
int exec_status_terminal(uint32_t status);

/* ------------------------------------------------------------ the table */

/* exec_order.flags */
#define EXEC_F_ACKED       0x01u /* the venue acknowledged it (or filled it) */
#define EXEC_F_UNCONFIRMED 0x02u /* awaiting the venue's view (reconciliation) */
#define EXEC_F_LOCAL       0x04u /* ended here, not at the venue: reason is EXEC_R_* */
#define EXEC_F_ANOMALY     0x08u /* an anomaly was flagged on it (anomaly says the last) */
#define EXEC_F_OVERFILL    0x10u /* cum_qty > qty */
#define EXEC_F_GAP_PRICED  0x20u /* some contracts priced at a later fill's price */

struct exec_order {
	uint32_t gen;            /* odd while the slot is rewritten */
	uint8_t  status;         /* enum exec_status; 0 = free slot */
	int8_t   side;           /* SIDE_BUY / SIDE_SELL */
	uint8_t  ord_type;       /* enum ord_type */
	uint8_t  tif;            /* enum ord_tif */
	uint64_t coid;           /* client order id */
	uint64_t decision_id;    /* the approving decision (inherited by a replacement) */
	uint64_t venue_order_id; /* 0 until the venue names it */
	uint64_t replaces;       /* client order id it replaces, 0 */
	uint64_t replaced_by;    /* client order id of its replacement, 0 */
	uint64_t venue_exec_id;  /* the venue's exec_id of the last fill applied */
	uint64_t fill_id;        /* table fill id of its last fill, 0 none */
	int64_t  px;             /* limit, ticks (0 for market) */
	int64_t  notional;       /* sum of px * qty over its fills, ticks x contracts */
	int64_t  fill_px;        /* price of its last fill, ticks */
	int64_t  since_ns;       /* local time of the last change or status query */
	int32_t  qty;            /* contracts ordered */
	int32_t  cum_qty;        /* contracts filled */
	int32_t  fill_qty;       /* contracts of its last fill */
	int32_t  repl_cum;       /* cum_qty when its replace was asked */
	uint16_t reason;         /* the venue's reject reason, or EXEC_R_* when LOCAL */
	uint16_t anomaly;        /* EXEC_R_* of the last anomaly, 0 */
	uint16_t flags;          /* EXEC_F_* */
	uint16_t pad;
};
_Static_assert(sizeof(struct exec_order) == 120, "exec_order size");
_Static_assert(offsetof(struct exec_order, coid) == 8, "exec_order.coid");

struct exec_counters {
	uint64_t orders;         /* created (replacements included) */
	uint64_t sent;
	uint64_t acks;
	uint64_t fills;          /* fills handed out, synthetic included */
	uint64_t fill_qty;       /* contracts in them */
	uint64_t filled;         /* orders that ended FILLED */
	uint64_t cancels;        /* orders that ended CANCELLED */
	uint64_t rejects;        /* orders that ended REJECTED */
	uint64_t replaces;
	uint64_t cancel_rejects;
	uint64_t dups;           /* reports ignored as duplicates */
	uint64_t stale;          /* reports ignored as older than what is known */
	uint64_t ooo;            /* out-of-order reports handled (fill before ack...) */
	uint64_t anomalies;
	uint64_t overfills;
	uint64_t queries;        /* status queries asked by exec_tick */
	uint64_t synthetic;      /* fills made up by reconciliation */
	uint64_t refused;        /* new orders refused */
	uint64_t reconciles;     /* exec_reconcile_begin calls */
	uint32_t open;           /* gauge: live orders */
	uint32_t inflight;       /* gauge: NEW, PENDING, unacknowledged CANCEL_PENDING */
};
_Static_assert(sizeof(struct exec_counters) == 160, "exec_counters size");

/* The redo log: one update of at most two slots and the counters. */
struct exec_log {
	uint32_t state;          /* 0 empty, else 1 + slots in it: committed */
	uint32_t idx[2];
	uint32_t pad;
	struct exec_counters ctr;
	struct exec_order e[2];
};

struct exec_table {
	uint64_t magic;          /* EXEC_MAGIC, stored last by init */
	uint32_t version;        /* EXEC_VERSION */
	uint32_t capacity;       /* slots, a power of two */
	uint64_t size;           /* exec_table_memsize(capacity) */
	uint64_t epoch;          /* high bits of every id */
	uint64_t last_seq;       /* last order counter given out */
	uint64_t last_fill;      /* last fill counter given out */
	uint64_t published_fill; /* highest fill id the caller said it published */
	uint64_t low_seq;        /* no live order below this counter (a hint) */
	uint32_t reconciling;    /* 1 from exec_reconcile_begin to its end */
	uint32_t venue_up;       /* exec_set_venue_up; 0 after every attach */
	uint64_t attaches;
	struct exec_counters ctr;
	struct exec_log log;
	struct exec_order slot[]; /* [counter & (capacity - 1)] */
};

/* Bytes for a table of capacity slots (a power of two, 2..2^20); 0 if
 * capacity is not allowed.  1024 slots: 123 536 bytes.  Pure. */
size_t exec_table_memsize(uint32_t capacity);

/*
 * Make an empty table in size bytes at t (8-byte aligned).  epoch in
 * 1..EXEC_EPOCH_MAX, e.g. the segment's creation second & 0xffffff.
 * Returns 0, or -EINVAL (capacity, epoch, alignment), -DM_ESIZE (size too
 * small).  Writes every byte; the magic last.  The venue starts down.
 */
int exec_table_init(struct exec_table *t, size_t size, uint32_t capacity, uint64_t epoch);

/*
 * Take over a table at every start (after init too): checks it, finishes
 * an update a crash interrupted, recounts the gauges, marks the venue down
 * and the table reconciling, so new orders are refused until the caller
 * has connected (exec_set_venue_up) and reconciled (exec_reconcile_begin
 * ... exec_reconcile_end).  Returns 0, -DM_EMAGIC (not a table: init it),
 * -DM_EVERSION, -DM_ESIZE (size differs from the table's), -DM_ECORRUPT.
 * O(capacity).  Call it before any other function, from the one writer.
 */
int exec_table_attach(struct exec_table *t, size_t size);

/* Venue connection state, set by the caller: orders are refused while it
 * is down. */
void exec_set_venue_up(struct exec_table *t, int up);

/* ------------------------------------------------------------ results */

/* exec_out.act bits: what the caller must do. */
#define EXEC_ACT_REPORT       0x001u /* forward a report of coid (status, cum, leaves) */
#define EXEC_ACT_FILL         0x002u /* ...carrying this fill (fill_*): forward it */
#define EXEC_ACT_CANCEL       0x004u /* send the venue a cancel of coid */
#define EXEC_ACT_SEND_OTHER   0x008u /* send the venue order other_coid (a replacement) */
#define EXEC_ACT_REPORT_OTHER 0x010u /* forward a report of other_coid (other_status) */
#define EXEC_ACT_DUP          0x020u /* ignored: a duplicate */
#define EXEC_ACT_STALE        0x040u /* ignored: older than what is known */
#define EXEC_ACT_OOO          0x080u /* out-of-order report handled */
#define EXEC_ACT_ANOMALY      0x100u /* anomaly says what; counted, raise it */

struct exec_out {
	uint32_t act;            /* EXEC_ACT_* bits; 0 = nothing to do */
	uint8_t  status;         /* coid's status after the call */
	int8_t   side;
	uint16_t reason;         /* of the report: venue reason, or EXEC_R_* if local */
	uint16_t anomaly;        /* EXEC_R_* when EXEC_ACT_ANOMALY */
	uint8_t  other_status;   /* other_coid's status after the call */
	uint8_t  liquidity;      /* EXEC_ACT_FILL: enum msg_liquidity of the venue's
				  * report, 0 for a merged or synthetic fill */
	uint16_t other_reason;   /* EXEC_R_* when the replacement was dropped */
	uint16_t pad2;
	uint64_t coid;
	uint64_t venue_order_id;
	uint64_t other_coid;     /* the replacement involved, 0 */
	uint64_t fill_id;        /* EXEC_ACT_FILL: table fill id, the exec_id downstream */
	int64_t  fill_px;        /* ticks; a merged or synthetic fill: rounded average */
	int64_t  fill_notional;  /* px * qty of the fill, exact */
	int64_t  fee_e9;         /* currency x 10^9, passed through from the venue report */
	int64_t  venue_ns;       /* passed through from the venue report */
	int32_t  fill_qty;       /* contracts of this fill */
	int32_t  cum_qty;        /* coid's totals after the call */
	int32_t  leaves_qty;
	int32_t  pad3;
};

/*
 * The message to forward for out (other = 0) or for its replacement
 * (other = 1): type, size, ids, status, fill (exec_id = fill_id,
 * liquidity), totals, side, reason; header seq and times are the
 * caller's.  Pure.
 */
void exec_out_report(const struct exec_table *t, const struct exec_out *o, int other,
		     struct msg_exec_report *m);

/* ------------------------------------------------------------ orders */

/*
 * Can a new order be taken now?  VOTE_R_APPROVED, or the refusal:
 * VOTE_R_VENUE_DOWN, VOTE_R_RECONCILING, VOTE_R_INFLIGHT (inflight >=
 * max_inflight), VOTE_R_OPEN_ORDERS (open >= max_open).  Pure, O(1).
 */
uint32_t exec_can_accept(const struct exec_table *t, const struct exec_cfg *cfg);

/*
 * Create an order in state NEW and give it the next client order id.
 * Returns 0 (and *coid), or the refusal as a positive enum vote_reason:
 * VOTE_R_BAD_ORDER (side not +-1, qty <= 0, bad type or tif, a limit
 * without a price > 0), those of exec_can_accept, or VOTE_R_OPEN_ORDERS
 * when no slot is free.  The caller then hands the order to the venue:
 * exec_sent FIRST, then the send (so a crash in between leaves an order
 * that reconciliation drops, never one sent twice).  O(1) amortized.
 */
int exec_new_order(struct exec_table *t, const struct exec_cfg *cfg, uint64_t decision_id,
		   int side, int32_t qty, int64_t px, uint32_t ord_type, uint32_t tif,
		   int64_t now_ns, uint64_t *coid);

/* NEW -> PENDING.  0, -ENOENT (no such order), -EALREADY (not NEW). */
int exec_sent(struct exec_table *t, uint64_t coid, int64_t now_ns);

/*
 * Ask to cancel coid.  PENDING/ACK/PARTIAL -> CANCEL_PENDING, out says
 * EXEC_ACT_CANCEL (send it); NEW -> CANCELLED here, out says
 * EXEC_ACT_REPORT.  Returns 0, -ENOENT, -EALREADY (terminal or a cancel
 * already pending; out->act 0).
 */
int exec_cancel(struct exec_table *t, uint64_t coid, int64_t now_ns, struct exec_out *out);

/*
 * exec_cancel of every live order without a cancel pending, at most max of
 * them per call; one out each.  Returns how many (0: none left).  Call
 * again until 0.  O(live window).
 */
uint32_t exec_cancel_all(struct exec_table *t, int64_t now_ns, struct exec_out *out,
			 uint32_t max);

/*
 * Cancel/replace, chained: coid (PENDING, ACK or PARTIAL) goes
 * CANCEL_PENDING (out: EXEC_ACT_CANCEL) and a replacement is created in
 * NEW with new_qty at new_px (same side, type, tif, decision; replaces =
 * coid; *new_coid).  The replacement is sent only once the venue confirms
 * the cancel (that report's out says EXEC_ACT_SEND_OTHER); fills of coid
 * that raced the cancel reduce it; it is dropped (REJECTED here) if coid
 * fills completely, the cancel is refused, or coid ends otherwise.
 * new_qty is what is still wanted after the fills known now.  Not checked
 * against the limits.  Returns 0, -ENOENT, -EALREADY (terminal), -EBUSY
 * (NEW or a cancel already pending), -EINVAL (new_qty <= 0, a limit
 * without a price), -EAGAIN (reconciling), -DM_EFULL (no free slot).
 */
int exec_replace(struct exec_table *t, uint64_t coid, int32_t new_qty, int64_t new_px,
		 int64_t now_ns, uint64_t *new_coid, struct exec_out *out);

/* ------------------------------------------------------------ venue events */

/* One venue event about one order (a venue adapter's report). */
struct exec_report {
	uint64_t coid;
	uint64_t venue_order_id; /* 0 if the venue gives none */
	uint64_t exec_id;        /* the venue's id of this fill; 0 for non-fills */
	int64_t  last_px;        /* ticks of this fill */
	int64_t  fee_e9;         /* of this fill, currency x 10^9, passed through */
	int64_t  venue_ns;       /* venue time, passed through */
	int32_t  last_qty;       /* contracts of this fill, 0 for non-fills */
	int32_t  cum_qty;        /* contracts filled so far, at the venue */
	int32_t  leaves_qty;     /* contracts still working, at the venue */
	uint8_t  status;         /* EXEC_PENDING, ACK, PARTIAL, FILLED, CANCEL_PENDING,
				  * CANCELLED, REJECTED or EXEC_VENUE_CANCEL_REJECT */
	uint8_t  liquidity;      /* a fill: enum msg_liquidity, passed through */
	uint16_t reason;         /* the venue's reason code (rejects) */
};

/*
 * A report from the message form: every field copied.  A venue that
 * signals a refused cancel otherwise (e.g. status REJECTED with a reason
 * of its own, as the simulator does) is mapped by the caller to
 * EXEC_VENUE_CANCEL_REJECT.  Pure.
 */
void exec_report_from_msg(struct exec_report *r, const struct msg_exec_report *m);

/*
 * Apply a venue report.  Returns 0 with out filled (act may be 0, DUP or
 * STALE: nothing to forward), -ENOENT (coid not in the table: counted
 * anomaly EXEC_R_UNKNOWN_ORDER), -EINVAL (malformed: anomaly
 * EXEC_R_BAD_REPORT).  The rules are in docs/execution.md.
 */
int exec_on_report(struct exec_table *t, const struct exec_report *r, int64_t now_ns,
		   struct exec_out *out);

/*
 * Orders PENDING or CANCEL_PENDING for ack_timeout_ms or more since their
 * last change or query: their ids go to coids (at most max), each is
 * stamped as queried now, so it comes again only after another timeout.
 * Returns how many.  O(live window).
 */
uint32_t exec_tick(struct exec_table *t, const struct exec_cfg *cfg, int64_t now_ns,
		   uint64_t *coids, uint32_t max);

/* ------------------------------------------------------------ fills out */

/*
 * Fills carry table fill ids, increasing.  After forwarding a fill the
 * caller says so (exec_fill_published: the highest id it has published);
 * exec_unpublished gives again, in id order, each order's last fill whose
 * id is above that (after a crash between applying a fill and forwarding
 * it).  Receivers drop a fill id they have seen, so saying nothing only
 * costs a re-send.  exec_unpublished is O(capacity) per fill returned.
 */
void exec_fill_published(struct exec_table *t, uint64_t fill_id);
uint32_t exec_unpublished(const struct exec_table *t, struct exec_out *out, uint32_t max);

/* ------------------------------------------------------------ reconciliation */

/* The venue's view of one order, for reconciliation. */
struct exec_venue_view {
	uint64_t coid;
	uint64_t venue_order_id;
	int64_t  notional;       /* sum of px * qty of its fills, if the venue
				  * gives it; 0: avg_px is used */
	double   avg_px;         /* ticks, average over cum_qty; 0 if unknown */
	int32_t  cum_qty;
	int32_t  leaves_qty;
	uint8_t  status;         /* enum exec_status as the venue sees it */
	uint8_t  pad[7];
};

/*
 * Start reconciliation (every start, after exec_table_attach and once the
 * venue answers): every live order is marked unconfirmed; new orders stay
 * refused (VOTE_R_RECONCILING) until exec_reconcile_end returns 0.
 * Calling it again restarts it.  O(capacity).
 */
void exec_reconcile_begin(struct exec_table *t);

/*
 * The venue knows order v->coid: confirm it and take the venue's word.
 * Fills the table had not seen come out as one synthetic fill (act FILL,
 * priced from notional, else avg_px, so the order's notional becomes the
 * venue's); the venue's status then applies like a report; a
 * CANCEL_PENDING order the venue holds live without a pending cancel takes
 * the cancel as refused.
 * Returns 0, -ENOENT (not in the table: anomaly), -EINVAL.
 */
int exec_reconcile_order(struct exec_table *t, const struct exec_venue_view *v,
			 int64_t now_ns, struct exec_out *out);

/*
 * The venue knows order coid but still owes word of it (an order or cancel
 * on its way in, a report on its way out): confirm it and take nothing
 * else, the word to come brings the rest as it would have without the
 * restart.  A NEW order is marked sent (anomaly EXEC_R_NOT_MARKED_SENT),
 * as in exec_reconcile_order.  Returns 0, -ENOENT (not in the table).
 */
int exec_reconcile_owed(struct exec_table *t, uint64_t coid, int64_t now_ns,
			struct exec_out *out);

/*
 * Resolve the orders the venue did not confirm, at most max per call (one
 * out each): NEW and PENDING never reached it -> REJECTED here
 * (EXEC_R_NOT_SENT; never re-sent: the decision is stale), an
 * unacknowledged CANCEL_PENDING -> CANCELLED here, anything the venue had
 * acknowledged -> CANCELLED with anomaly EXEC_R_VENUE_LOST.  Returns how
 * many; 0 means done and ends reconciliation.  O(capacity).
 */
uint32_t exec_reconcile_end(struct exec_table *t, int64_t now_ns, struct exec_out *out,
			    uint32_t max);

/* ------------------------------------------------------------ reading */

/* The order with client order id coid, or NULL.  Writer only (a reader in
 * another process uses exec_order_snapshot).  O(1). */
const struct exec_order *exec_find(const struct exec_table *t, uint64_t coid);

/* The newest order of decision_id, or NULL (e.g. is a re-delivered order
 * message already in the table?).  Newest first; O(capacity) if absent. */
const struct exec_order *exec_find_decision(const struct exec_table *t, uint64_t decision_id);

/* Live orders in id order: start with *pos = 0; NULL at the end.  Orders
 * may change in between (exec_cancel_all does); one created in between
 * is seen.  O(live window) in all. */
const struct exec_order *exec_next_open(const struct exec_table *t, uint64_t *pos);

/* A consistent copy of slot i for a reader in another process: 0, or
 * -EAGAIN if the writer kept changing it, -EINVAL bad index. */
int exec_order_snapshot(const struct exec_table *t, uint32_t i, struct exec_order *copy);

/* Test seam: when set, called at each durable step of an update (1 =
 * counter stored, 2 = log written, 3 = committed, 4 = first slot copied,
 * 5 = second slot, 6 = counters copied, 7 = log cleared); a test may
 * longjmp out of it to stop the update as a crash would.  NULL in
 * production. */
extern void (*exec_fault_hook)(int step);

#endif /* DM_LIBCORE_EXEC_H */
