/*
 * mt5_venue.h — the MetaTrader 5 terminal as the order table's venue: the
 * adapter's logic between the order table (libcore/exec) and a bridge
 * connection (mt5_link), as pure code (docs/mt5-bridge.md, "The mt5
 * venue").
 *
 * Design note.  The order table is DreamMaker's truth for what it asked,
 * the terminal for what exists; the adapter keeps them agreeing:
 *
 *   send        an order the host created and marked sent in the table
 *               (exec_new_order, exec_sent: so a crash between leaves an
 *               order reconciliation drops, never one sent twice) goes out
 *               as NEW_ORDER with its client order id; the link keeps it
 *               until the EA acknowledges, and the EA never places a coid
 *               twice;
 *   reports     each TRADE becomes the table's report (mt5_report_from_trade;
 *               a refused cancel EXEC_VENUE_CANCEL_REJECT), each refused
 *               command (ORDER_RESULT accepted 0) the order's REJECTED
 *               (reason broker) or the cancel's refusal; whatever the table
 *               says to forward goes to the host's out callback;
 *   link down   the table's venue is down: new orders are refused
 *               (VOTE_R_VENUE_DOWN), the execution's vote says no;
 *   link up     the table reconciles (VOTE_R_RECONCILING) until the
 *               terminal's snapshot: every open order of the snapshot that
 *               is ours confirms its table order (cum and leaves from the
 *               terminal); an order whose NEW_ORDER the EA has not yet
 *               acknowledged is confirmed as sent (the link resends it,
 *               the EA places it once); the position the terminal holds
 *               beyond what the table knows is laid on the orders the
 *               terminal no longer has (filled unseen, priced at the
 *               position's open price: reports lost for good carry no
 *               price); the rest end as the table decides
 *               (exec_reconcile_end: lost, or never sent).  Then the venue
 *               is up and new orders pass again.
 *
 * No I/O, no clock, no allocation; the thread that drives the link.
 */
#ifndef DM_LIBCORE_MT5_MT5_VENUE_H
#define DM_LIBCORE_MT5_MT5_VENUE_H

#include <stdint.h>

#include "libcore/exec/exec.h"
#include "libcore/mt5/mt5_lat.h"
#include "libcore/mt5/mt5_link.h"
#include "libcore/mt5/mt5_recon.h"

struct mt5_venue_stats {
	uint64_t orders, cancels, reports, refused_cmds, unknown;
	uint64_t reconciles, confirmed, confirmed_sent, filled_unseen;
	int64_t unexplained;        /* contracts of the last reconciliation no order explains */
};

struct mt5_venue {
	struct exec_table *t;        /* the caller's */
	struct mt5_link *l;          /* the caller's */
	void *ctx;
	/* what the table says to forward (a report, a fill, a cancel to send) */
	void (*out)(void *ctx, const struct exec_out *o);
	uint32_t waiting_snapshot;   /* up, reconciliation not yet done */
	uint32_t pad;
	int64_t known_pos;           /* signed contracts of the fills the table
	                              * forwarded (out's EXEC_ACT_FILL) */
	struct mt5_venue_stats st;
	struct mt5_lat lat;
	struct mt5_recon_plan plan;  /* the last reconciliation's */
	struct mt5_recon_ours ours[MT5_RECON_MAX];
};

/* Over table t and link l (both the caller's); out may be NULL.  The
 * venue starts down (exec_set_venue_up(t, 0)). */
void mt5_venue_init(struct mt5_venue *v, struct exec_table *t, struct mt5_link *l,
                    void (*out)(void *ctx, const struct exec_out *o), void *ctx);

/*
 * Send the table's order coid (exec_sent already done): NEW_ORDER on the
 * link.  decision_us: when it was decided, our clock (latency legs; 0
 * unknown).  0, -ENOENT (not in the table), -EAGAIN (no terminal has
 * connected yet: the symbol's units are unknown), -ENOBUFS (the link's
 * store is full), -EINVAL.
 */
int mt5_venue_send(struct mt5_venue *v, uint64_t coid, uint64_t decision_us, int64_t now_ns);

/* Cancel coid (the table's exec_cancel said EXEC_ACT_CANCEL).  0 or as above. */
int mt5_venue_cancel(struct mt5_venue *v, uint64_t coid, int64_t now_ns);

/* The position the fills known so far make (a restarted host: from its
 * journal or risk's state), against which a snapshot's is compared. */
static inline void mt5_venue_set_position(struct mt5_venue *v, int64_t pos)
{
	v->known_pos = pos;
}

/* The link's callbacks, forwarded by the host (mt5_link_out).  on_trade:
 * *have_lat 1 with *lat when the trade completes an order's latency
 * record (mt5_lat_trade); both may be NULL. */
void mt5_venue_on_state(struct mt5_venue *v, int up, int64_t now_ns);
void mt5_venue_on_trade(struct mt5_venue *v, const struct mt5_trade *tr, uint64_t recv_us,
                        int64_t now_ns, struct mt5_lat_rec *lat, int *have_lat);
void mt5_venue_on_result(struct mt5_venue *v, const struct mt5_order_result *r, int64_t now_ns);
void mt5_venue_on_snapshot(struct mt5_venue *v, const struct mt5_link_snap *s, int64_t now_ns);

#endif /* DM_LIBCORE_MT5_MT5_VENUE_H */
