/*
 * venue.h — the exchange simulator: matches our orders against a replayed
 * L2 book with latencies, queue position and fees.
 *
 * Design note.  A deterministic discrete-event model of one exchange
 * session for one instrument.  Nothing here reads a clock: every time is
 * passed in (ns since the epoch, the exchange clock of the replay).
 *
 *   our side                      venue (the simulated exchange)
 *   --------                      ------------------------------
 *   venue_order_send(o, t)  ----> arrives at t + entry latency   (pending)
 *   venue_cancel_send(c, t) ----> arrives at t + entry latency   (pending)
 *                                 venue_on_event(ev): market data at
 *                                 ev->exch_ns (the replayed book; trades)
 *   venue_poll(now)         <---- report of a venue event at T is due at
 *                                 T + response latency
 *   strategy sees ev at ev->exch_ns + venue_feed_delay()
 *
 * Time moves forward through the caller: venue_on_event first runs every
 * pending message that arrives strictly before the event's exchange time,
 * then applies the event; venue_advance(now) runs those arriving at or
 * before now.  So an order arriving at A acts on the book of A (every
 * event stamped <= A applied, an event stamped exactly A first).  Messages
 * arrive in the order they were sent and reports are delivered in the
 * order the venue produced them (one session, like a TCP connection): a
 * later message never overtakes an earlier one, whatever the latencies.
 *
 * The model (docs/venue.md has the reasoning and the limits):
 *  - The venue's book is the replayed book; our orders never change it
 *    (no market impact).  Liquidity we take is remembered per price as
 *    "consumed" and subtracted from the displayed size, so we never fill
 *    twice against the same displayed lots: consumed = min(consumed,
 *    displayed) on every book update, forgotten when the level empties or
 *    leaves the displayed depth.
 *  - A marketable order walks the opposite side best first, each level at
 *    its own price, up to displayed - consumed per level and only over the
 *    displayed levels.  IOC cancels the rest, FOK is killed whole unless it
 *    fills completely, market orders behave as IOC without a price limit,
 *    DAY limit orders rest.
 *  - A resting order joins the back of its price level: queue_ahead =
 *    displayed - consumed at its price (0 for a new price).  A trade print
 *    at its price (aggressor on the other side) takes queue_ahead first,
 *    then fills it; a size decrease at its price not explained by prints
 *    is a cancellation and shrinks queue_ahead in proportion
 *    (queue_ahead * decrease / size before the decrease).  A print through
 *    its price, or the opposite side's best unconsumed level at or through
 *    it, fills all that is left at its own price.
 *  - Fees: fee_per_lot_e6 per lot of every fill, in the instrument's
 *    currency; every fee is currency x 10^9 (fee_e9), exact.
 *
 * Memory: one contiguous block of venue_memsize(cfg) bytes owned by the
 * caller (a shared-memory segment, a static buffer, the heap), starting
 * with struct venue.  The block is pointer-free and position independent:
 * it can live in shared memory, be copied with memcpy, and outlive the
 * process that drives it (venue_attach checks it on the way back in), like
 * the real exchange outliving our crash.  Only venue_init reads a file
 * (the latency samples); nothing else allocates, locks, blocks or makes a
 * system call.  One thread drives a venue at a time; readers in other
 * processes need the driver's synchronisation.
 */
#ifndef DM_LIBCORE_VENUE_H
#define DM_LIBCORE_VENUE_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/config/cfg.h"
#include "libcore/market/book.h"
#include "libcore/market/event.h"
#include "libcore/types.h"
#include "libcore/msg/msg.h"

#define VENUE_MAGIC   0x31304e4556474d44ull /* "DMGVEN01" little-endian */
#define VENUE_VERSION 1u

/* queue_ahead is kept in 1/VENUE_Q_SCALE contracts so that proportional
 * cancellations do not round a small queue to a standstill. */
#define VENUE_Q_SCALE 1000

/*
 * Reason codes of the reports (msg_exec_report.reason).  The range says
 * what the report means; vote reasons (libcore/vote/vote.h) stay below 100.
 *   100..129  REJECTED: the new order was refused and is dead
 *   130..149  CANCELLED: why the order ended without filling completely
 *   150..169  REJECTED: a cancel (or the cancel half of a replace) was
 *             refused; the order it names is unchanged, the report carries
 *             its cum_qty and leaves_qty
 * Append only: the numbers are journaled.
 */
enum venue_reason {
	VENUE_R_NONE = 0,
	VENUE_R_BAD_SIDE = 100,     /* side not SIDE_BUY / SIDE_SELL */
	VENUE_R_BAD_QTY,            /* qty <= 0 */
	VENUE_R_BAD_PRICE,          /* limit price <= 0 */
	VENUE_R_BAD_TYPE,           /* ord_type not limit / market */
	VENUE_R_BAD_TIF,            /* tif not DAY / IOC / FOK */
	VENUE_R_INSTRUMENT,         /* not the venue's instrument */
	VENUE_R_BAD_ID,             /* client_order_id 0, or already known */
	VENUE_R_NO_BOOK,            /* no book received yet: no market */
	VENUE_R_TABLE_FULL,         /* max_orders orders are all open */
	VENUE_R_REPLACE_TARGET,     /* replaces an order filled, rejected or unknown */
	VENUE_R_BROKER = 110,       /* a live broker's trade server refused it (its
	                             * own code in the orders journal's context:
	                             * libcore/mt5, the MT5 retcode) */
	VENUE_R_REQUESTED = 130,    /* cancelled by a cancel or cancel-all */
	VENUE_R_IOC,                /* IOC or market: the unfilled rest */
	VENUE_R_FOK,                /* FOK: not fully fillable, killed */
	VENUE_R_REPLACED,           /* cancelled by a replacing order */
	VENUE_R_CXL_UNKNOWN = 150,  /* cancel: no such order */
	VENUE_R_CXL_TOO_LATE,       /* cancel: order already filled or done */
	VENUE_R_END
};

/* 1 for the reasons of a refused cancel (150..169). */
static inline int venue_reason_is_cancel_reject(uint32_t r)
{
	return r >= 150 && r < 170;
}

/* "bad_side", "ioc", "cxl_too_late"... ("?" for an unknown code).  Pure. */
const char *venue_reason_name(uint32_t reason);

/* venue_fill.liquidity, and msg_exec_report.liquidity of a fill report */
enum venue_liq { VENUE_LIQ_TAKER = MSG_LIQ_TAKER, VENUE_LIQ_MAKER = MSG_LIQ_MAKER };
_Static_assert(VENUE_R_END <= 256, "venue reasons fit msg_exec_report.reason");

/* Defaults (docs/venue.md says where the numbers come from). */
#define VENUE_DEF_FEED_US     200u
#define VENUE_DEF_ENTRY_US    300u
#define VENUE_DEF_RESPONSE_US 300u
/* B3 single fee (emolumentos + taxa de registro) for a WIN day trade in the
 * first volume tiers: BRL 1.97 x contract factor 0.2 x (1 - 35%), BRL x
 * 10^6 per contract (the default instrument, WIN). */
#define VENUE_DEF_FEE_E6  256100
#define VENUE_DEF_CURRENCY "BRL"   /* the default fee's currency */
#define VENUE_CURRENCY_MAX 8       /* currency code buffer: 1..7 letters A-Z */
#define VENUE_DEF_MAX_ORDERS  64u
#define VENUE_DEF_MAX_PENDING 64u
#define VENUE_DEF_MAX_REPORTS 256u
#define VENUE_DEF_MAX_FILLS   1024u
#define VENUE_DEF_MAX_LAT     1024u

#define VENUE_PATH_MAX 256
#define VENUE_MAX_SLOTS (1u << 20) /* upper bound of every max_* below */

/*
 * Configuration (YAML: venue:, the keys of venue_cfg_keys; struct
 * dm_config embeds this struct).  Latencies are constant unless
 * latency_file names a file of measured samples, one "entry_us
 * response_us" pair a line, used in turn (cycled) by each message we send.
 * The YAML sets the latencies, latency_file, fee_per_lot (or its
 * deprecated BRL alias fee_per_contract_brl) and currency; instrument and
 * the max_* capacities are the host's.
 */
/* venue.kind: the simulator, or the MetaTrader 5 terminal (docs/mt5-bridge.md;
 * the live bridge, --live mt5, carries the orders and their reports) */
enum venue_kind { VENUE_KIND_SIM = 0, VENUE_KIND_MT5 = 1 };
extern const char *const venue_kind_names[2];

struct venue_cfg {
	uint32_t feed_latency_us;     /* exchange time -> our side sees it; default 200 */
	uint32_t entry_latency_us;    /* our send -> venue acts; default 300 */
	uint32_t response_latency_us; /* venue event -> report reaches us; default 300 */
	uint32_t instrument;          /* the one instrument traded; default 0 */
	char     latency_file[VENUE_PATH_MAX]; /* "" = constant latencies */
	int64_t  fee_per_lot_e6;      /* instrument currency x 10^6 per lot per fill;
	                               * default 256100 (R$ 0.2561), 0..10^9 */
	uint32_t max_orders;          /* order table (open + remembered); default 64 */
	uint32_t max_pending;         /* our messages in flight; default 64 */
	uint32_t max_reports;         /* reports in flight to us; default 256 */
	uint32_t max_fills;           /* fill log (the newest kept); default 1024 */
	uint32_t max_latency_samples; /* room for the file's samples; default 1024 */
	uint32_t kind;                /* enum venue_kind: who carries the orders out;
	                               * default VENUE_KIND_SIM (the simulator) */
	char     currency[VENUE_CURRENCY_MAX]; /* the fee's currency; must equal
	                               * the instrument's (config_load checks);
	                               * default "BRL" */
};

/* One latency sample, in microseconds. */
struct venue_lat {
	uint32_t entry_us, response_us;
};

/* One fill, as the venue recorded it. */
struct venue_fill {
	uint64_t exec_id;         /* as in the report: unique, increasing */
	uint64_t client_order_id;
	uint64_t venue_order_id;
	int64_t  px;              /* ticks */
	int32_t  qty;             /* contracts, > 0 */
	int8_t   side;            /* SIDE_BUY / SIDE_SELL */
	uint8_t  liquidity;       /* enum venue_liq */
	uint16_t pad;
	int64_t  fee_e9;          /* as in the report: currency x 10^9 */
	int64_t  venue_ns;        /* venue time of the fill */
	int64_t  pad2;
};
_Static_assert(sizeof(struct venue_fill) == 64, "venue_fill size");

/* Sums over every fill since init (exact even after the log wrapped). */
struct venue_totals {
	uint64_t fills;
	int64_t  buy_qty, sell_qty;     /* contracts */
	int64_t  buy_value, sell_value; /* sum of px * qty, ticks x contracts */
	int64_t  fee_e9;                 /* currency x 10^9 */
};

/* Counters since init; they only grow. */
struct venue_stats {
	uint64_t orders;          /* orders that arrived */
	uint64_t rejects;         /* orders refused */
	uint64_t cancels;         /* orders cancelled (any reason) */
	uint64_t cancel_rejects;  /* cancels refused */
	uint64_t taker_fills, maker_fills;
	uint64_t books, trades;   /* market events applied */
	uint64_t foreign_events;  /* events of another instrument, ignored */
	uint64_t bad_events;      /* refused by the book (negative size) */
	uint64_t late_events;     /* exch_ns before the venue's clock */
	uint64_t send_refused;    /* sends refused: pending queue full */
	uint64_t reports_dropped; /* reports lost: report queue full */
};

/* What the venue knows of one order (venue_query, venue_order_next). */
struct venue_order_view {
	uint64_t client_order_id;
	uint64_t venue_order_id;
	int64_t  px;              /* limit ticks; 0 for market */
	int32_t  qty, cum_qty, leaves_qty;
	int8_t   side;
	uint8_t  ord_type, tif;
	uint8_t  status;          /* EXEC_ACK, EXEC_PARTIAL (open) or
	                           * EXEC_FILLED, EXEC_CANCELLED, EXEC_REJECTED */
	uint16_t reason;          /* of a CANCELLED / REJECTED order */
	uint16_t pad;
	int32_t  pad2;
	int64_t  queue_ahead;     /* open orders: contracts ahead, rounded up;
	                           * -1 while its price is beyond the displayed
	                           * depth and was never seen; else 0 */
	int64_t  fill_value;      /* sum of px * qty of its fills */
	int64_t  fee_e9;          /* fees of its fills, currency x 10^9 */
	int64_t  arrive_ns;       /* venue time it arrived */
	int64_t  done_ns;         /* venue time it ended; 0 while open */
};

/* One consumed level (internal; public for the layout). */
struct venue_consumed {
	int64_t px;    /* ticks */
	int64_t qty;   /* contracts taken by us, still counted against the level */
};

/*
 * The block's header.  Fields are for reading (dm-shmdump, tests); change
 * them only through the functions below.  The arrays follow the header at
 * the byte offsets recorded here.
 */
struct venue {
	uint64_t magic;           /* VENUE_MAGIC once initialised */
	uint32_t version;         /* VENUE_VERSION */
	uint32_t layout;          /* hash of the internal record sizes */
	uint64_t size;            /* bytes of the whole block */
	struct venue_cfg cfg;     /* as given to venue_init */
	uint64_t off_orders, off_pending, off_reports, off_fills, off_lat;
	uint32_t n_lat;           /* latency samples held; 0 = constant */
	uint32_t has_book;        /* 1 once a book was applied */
	uint64_t lat_next;        /* samples used so far (cycled) */
	int64_t  now_ns;          /* venue clock: last event or arrival run */
	int64_t  last_arrive_ns;  /* latest arrival scheduled (session order) */
	int64_t  last_deliver_ns; /* latest report delivery scheduled */
	uint64_t next_venue_order_id, next_exec_id;
	uint64_t done_seq;        /* orders ended, for slot reuse (oldest first) */
	uint64_t pend_head, pend_tail; /* free-running: [tail, head) pending */
	uint64_t rep_head, rep_tail;   /* free-running: [tail, head) queued */
	uint64_t n_fills;              /* fills logged since init */
	uint32_t rest_first, rest_last; /* open orders, oldest first (slot ids) */
	uint32_t n_open;
	uint32_t n_consumed[2];         /* by book_side */
	uint32_t pad;
	struct venue_consumed consumed[2][EV_MAX_LEVELS];
	struct book book;               /* the replayed book at now_ns */
	struct venue_totals totals;
	struct venue_stats stats;
};

/*
 * Fill c with the defaults above.  Never fails, never allocates.
 */
void venue_cfg_default(struct venue_cfg *c);

/*
 * The keys of the configuration's venue: section, relative to struct
 * venue_cfg: feed_latency_us, entry_latency_us, response_latency_us
 * (0..10000000 each), latency_file, fee_per_lot (0..1000, at most 6
 * decimals; fee_per_contract_brl its deprecated BRL name), currency.
 */
extern const struct cfg_key venue_cfg_keys[];

/*
 * 0 if c is usable, else -DM_ECONFIG with one line naming the field in err
 * (errlen bytes; err may be NULL).  Limits: every max_* 1..VENUE_MAX_SLOTS,
 * fee >= 0, latency_file NUL-terminated.  Pure.
 */
int venue_cfg_check(const struct venue_cfg *c, char *err, size_t errlen);

/* Bytes of the block for c; 0 if c fails venue_cfg_check.  Pure. */
size_t venue_memsize(const struct venue_cfg *c);

/*
 * Make the block at v (size bytes, at least venue_memsize(c), 8-byte
 * aligned) a fresh venue: no book, no orders, clock 0.  Reads
 * c->latency_file when set (see venue_lat_parse).  Returns 0; -DM_ECONFIG
 * (bad c, or a bad latency file: one line "file:line: what" in err);
 * -DM_ESIZE (size too small); -errno (file cannot be read).  Start-up
 * code: reads a file through stdio; -EINVAL if v is not 8-byte aligned.  After a failure the block holds no
 * venue (venue_attach refuses it).
 */
int venue_init(struct venue *v, size_t size, const struct venue_cfg *c,
	       char *err, size_t errlen);

/*
 * Check that the block at v (size bytes) is a venue of this build, e.g.
 * one left in shared memory by a previous process, and carry on with it
 * as it is.  Returns 0; -DM_EMAGIC, -DM_EVERSION, -DM_ELAYOUT, -DM_ESIZE,
 * -DM_ECORRUPT (its configuration fails the checks).  Reads only.
 */
int venue_attach(const struct venue *v, size_t size);

/*
 * Copy the venue src whole onto dst (src->size bytes, dst as large; the
 * blocks must not overlap): dst is then the same venue, byte for byte.
 * Returns the bytes copied.  No allocation.
 */
size_t venue_copy(struct venue *dst, const struct venue *src);

/*
 * Bring dst up to src, copying only what changed: dst must be a byte-for-
 * byte copy of this same venue at an earlier state (made by venue_copy or
 * venue_sync from src's past) and not written since.  Copies the header,
 * the order slots open in src or ended since dst, the pending messages,
 * reports and fills recorded since dst (each at most its capacity), never
 * the latency samples; afterwards dst equals src byte for byte over
 * src->size bytes.  A dst that cannot be such a state (no venue there,
 * another size or layout, a counter ahead of src's) is copied whole.  A
 * dst written since (a step cut short in it) is not detected: copy it
 * whole.  Returns the bytes copied.  No allocation; O(open orders +
 * records since dst), O(max_orders) when orders ended since dst.
 */
size_t venue_sync(struct venue *dst, const struct venue *src);

/*
 * Parse a latency file: one sample a line, "entry_us response_us", two
 * non-negative decimal integers (< 2^32) separated by blanks; blank lines
 * and lines starting with '#' are skipped.  Writes at most max samples
 * into out (caller-owned) and their count into *n.  Returns 0; -errno if
 * the file cannot be read ("path: cannot open: <text>" in err);
 * -DM_ECONFIG with "path:line: <what>" in err for a bad line, more than
 * max samples, or a file without samples.  Start-up code (stdio).
 */
int venue_lat_parse(const char *path, struct venue_lat *out, uint32_t max,
		    uint32_t *n, char *err, size_t errlen);

/* Feed latency in ns: our side sees a market event stamped T at T + this. */
static inline int64_t venue_feed_delay(const struct venue *v)
{
	return (int64_t)v->cfg.feed_latency_us * 1000;
}

/*
 * Send an order at local time send_ns: it reaches the venue at send_ns +
 * entry latency (not before an earlier message).  Every check happens on
 * arrival and a refusal comes back as a REJECTED report.  o->replaces != 0
 * makes it a cancel/replace: on arrival an open old order is cancelled
 * (CANCELLED, VENUE_R_REPLACED) and o enters as a new order with its own
 * qty and no queue priority; an old order already cancelled (a replace
 * sent after its cancel was confirmed) is left as it is and o enters; an
 * old order filled, rejected or unknown gets o REJECTED
 * (VENUE_R_REPLACE_TARGET), so a replace never adds to what already
 * filled.  Returns 0, or -DM_EFULL when
 * max_pending messages are in flight (nothing queued; try later).
 * No allocation; O(1).
 */
int venue_order_send(struct venue *v, const struct msg_order *o, int64_t send_ns);

/*
 * Send a cancel (c->client_order_id, or every open order when it is 0) at
 * send_ns; it arrives like an order.  On arrival an open order is
 * CANCELLED (VENUE_R_REQUESTED) with the fills it had; an order already
 * done gets a REJECTED report with VENUE_R_CXL_TOO_LATE (its fills
 * stand), an unknown id VENUE_R_CXL_UNKNOWN.  Cancel-all of nothing sends
 * no report.  Returns 0 or -DM_EFULL like venue_order_send.  O(1).
 */
int venue_cancel_send(struct venue *v, const struct msg_cancel *c, int64_t send_ns);

/*
 * Apply one market event at its exchange time ev->exch_ns: first every
 * pending message arriving before it, then the event (a book replaces the
 * venue's book; a trade print moves queues).  Resting orders fill as the
 * model says.  Events of another instrument are counted and ignored;
 * events must come in exchange time order (an earlier one is applied at
 * the venue's clock and counted in late_events).  Returns 0, or -DM_EFULL
 * if a report had to be dropped (report queue full; the order table and
 * the fill log still hold the truth).  No allocation; O(open orders x L).
 */
int venue_on_event(struct venue *v, const struct event *ev);

/*
 * venue_on_event for a book given by parts, without building the event:
 * instrument, exchange and receive time, levels best first (n_bid / n_ask
 * of them, at most EV_MAX_LEVELS read).  The same step and returns as a
 * book event with these fields.  sorted = 1: the caller knows both sides
 * (as far as read) pass book_levels_sorted, so the venue's book takes them
 * without checking again (book_apply_snapshot_sorted); 0: checked.
 */
int venue_on_book(struct venue *v, uint32_t instrument, int64_t exch_ns, int64_t recv_ns,
		  const struct book_level *bid, uint32_t n_bid, const struct book_level *ask,
		  uint32_t n_ask, int sorted);

/*
 * Run every pending message arriving at or before now_ns.  Call it once
 * every market event stamped <= now_ns has been passed to venue_on_event.
 * Returns 0 or -DM_EFULL as venue_on_event.  No allocation.
 */
int venue_advance(struct venue *v, int64_t now_ns);

/*
 * Pop the oldest report due by now_ns (delivery time <= now_ns) into *out.
 * Returns 1 with a report, 0 if none is due.  Reports come in the order
 * the venue produced them.  The header has type, version and size set,
 * and ingress_ns: that of the order or cancel behind the report, 0 for a
 * fill caused by market data; seq, flags and send_ns are the publisher's.  Does not
 * run pending messages (venue_advance does).  No allocation; O(1).
 */
int venue_poll(struct venue *v, int64_t now_ns, struct msg_exec_report *out);

/* Delivery time of the next report queued, INT64_MAX if none.  Pure. */
int64_t venue_next_report_ns(const struct venue *v);

/* Arrival time of the next pending message, INT64_MAX if none.  Pure. */
int64_t venue_next_arrival_ns(const struct venue *v);

/*
 * 1 if the venue still owes word of the order client_order_id: an order or
 * cancel of it on its way in (arriving later), or a report of it queued
 * for delivery later; 0 if not.  Reconciliation takes the venue's word
 * only for what it has said (execsvc).  Reads only; O(pending + queued).
 */
int venue_owes(const struct venue *v, uint64_t client_order_id);

/*
 * What the venue knows of the order client_order_id (open, or ended and
 * still in the table: finished orders are forgotten oldest first when the
 * table needs room).  Returns 0 with *out filled, or -DM_ENOTFOUND (never
 * arrived, still in flight, or forgotten).  Reads only; O(max_orders).
 */
int venue_query(const struct venue *v, uint64_t client_order_id,
		struct venue_order_view *out);

/*
 * Iterate over every order the venue knows, in table order: start with
 * *cursor = 0; returns 1 with *out filled and *cursor advanced, 0 at the
 * end.  Reads only.
 */
int venue_order_next(const struct venue *v, uint32_t *cursor,
		     struct venue_order_view *out);

/* Fills logged since init (exec ids 1..n).  Pure. */
static inline uint64_t venue_fill_count(const struct venue *v)
{
	return v->n_fills;
}

/*
 * Copy fill number i (0 = first since init) into *out.  Returns 0;
 * -DM_ENOTFOUND if i >= venue_fill_count(); -ERANGE if the log (the newest
 * max_fills) no longer holds it.  Reads only.
 */
int venue_fill_get(const struct venue *v, uint64_t i, struct venue_fill *out);

/* Sums over every fill since init; the pointer is into v. */
static inline const struct venue_totals *venue_totals(const struct venue *v)
{
	return &v->totals;
}

/* Counters since init; the pointer is into v. */
static inline const struct venue_stats *venue_stats(const struct venue *v)
{
	return &v->stats;
}

/* The venue's view of the book (the replayed book at its clock). */
static inline const struct book *venue_book(const struct venue *v)
{
	return &v->book;
}

#endif /* DM_LIBCORE_VENUE_H */
