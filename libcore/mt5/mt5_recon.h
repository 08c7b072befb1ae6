/*
 * mt5_recon.h — reconciliation with the MetaTrader 5 terminal: what its
 * snapshot (positions and open orders) says against what DreamMaker
 * believes (docs/mt5-bridge.md, "Reconciliation").
 *
 * Design note.  The terminal is the truth for what exists now: its
 * positions and its open orders.  DreamMaker's order table is the truth
 * for what it asked (every order's client order id, side and quantity).
 * After a reconnect, a restart of either end, or reports lost for good
 * (SEQ_RESET), the two are compared order by order, keyed by the coid:
 *
 *   ours open, the terminal's open, same leaves   KEEP
 *   ours open, the terminal's open, fewer leaves  FILLS_MISSED: the
 *                                                 difference filled while
 *                                                 we did not hear
 *   ours open, not at the terminal                ENDED: it finished (filled,
 *                                                 cancelled or refused)
 *                                                 unseen; the position says
 *                                                 how much of it filled
 *   the terminal's open, not ours or ended for us CANCEL: an order nobody
 *                                                 tracks is cancelled through
 *                                                 the terminal (never sent
 *                                                 again: the coid is the key)
 *
 * and the position: the terminal's minus ours is what missed fills must
 * explain; what FILLS_MISSED does not explain is laid on the ENDED orders
 * (unexplained), and what is left after them is a position nobody ordered
 * (foreign: a manual trade), reported, never traded away silently.
 *
 * The running position between snapshots (struct mt5_recon_pos): a
 * snapshot covers every report up to its last_seq, so a fill numbered at
 * or below it (a resend that arrives after the snapshot) is already in
 * the snapshot's position and is not counted again; a new report stream
 * (the terminal restarted) covers nothing until its first snapshot.
 *
 * Pure, no allocation; any thread.
 */
#ifndef DM_LIBCORE_MT5_MT5_RECON_H
#define DM_LIBCORE_MT5_MT5_RECON_H

#include <stdint.h>

#include "libcore/mt5/mt5_link.h"

/* Signed contracts of a snapshot's positions (buy +, sell -). */
int64_t mt5_snap_position(const struct mt5_link_snap *s);

/* Our view of one order (the order table's). */
struct mt5_recon_ours {
	uint64_t coid;
	int64_t qty;              /* contracts ordered */
	int64_t cum;              /* filled as far as we know */
	int8_t side;              /* SIDE_BUY / SIDE_SELL */
	uint8_t open;             /* 1: resting or in flight for us */
	uint8_t pad[6];
};

enum mt5_recon_action {
	MT5_RECON_KEEP = 1,
	MT5_RECON_FILLS_MISSED,   /* qty: contracts filled unseen (> 0) */
	MT5_RECON_ENDED,          /* qty: leaves we held open */
	MT5_RECON_CANCEL          /* ticket: the terminal's order to cancel */
};

#define MT5_RECON_MAX (2 * MT5_LINK_SNAP_MAX)

struct mt5_recon_item {
	uint64_t coid;            /* 0: an order not ours */
	uint64_t ticket;          /* the terminal's order ticket, 0 none */
	uint32_t action;          /* enum mt5_recon_action */
	int8_t side;
	uint8_t pad[3];
	int64_t qty;
};

struct mt5_recon_plan {
	int64_t terminal_pos, our_pos;
	int64_t missed_pos;       /* signed contracts FILLS_MISSED explains */
	int64_t unexplained;      /* terminal - ours - missed: fills of ENDED
	                           * orders, or a foreign position */
	uint32_t n, n_keep, n_missed, n_ended, n_cancel;
	struct mt5_recon_item it[MT5_RECON_MAX];
};

/*
 * The plan for snapshot s against ours (n orders, every order we know
 * that is open for us; ended ones may be given too, open 0) and our
 * position our_pos.  0, or -E2BIG when the items do not fit (more than
 * MT5_RECON_MAX).  O(n x orders of s).
 */
int mt5_recon_plan(const struct mt5_link_snap *s, const struct mt5_recon_ours *ours, uint32_t n,
                   int64_t our_pos, struct mt5_recon_plan *p);

/* The running position between snapshots (see the design note). */
struct mt5_recon_pos {
	int64_t pos;              /* signed contracts */
	uint64_t stream;          /* the report stream covered */
	uint64_t covered_seq;     /* reports up to this are in pos via a snapshot */
	uint64_t snapshots, fills, covered;
};

void mt5_recon_pos_init(struct mt5_recon_pos *r);
/* A whole snapshot of stream: pos becomes its position. */
void mt5_recon_pos_snapshot(struct mt5_recon_pos *r, uint64_t stream,
                            const struct mt5_link_snap *s);
/* A fill report numbered seq of stream, signed contracts: 1 when counted,
 * 0 when a snapshot already covers it. */
int mt5_recon_pos_fill(struct mt5_recon_pos *r, uint64_t stream, uint64_t seq, int64_t qty);

#endif /* DM_LIBCORE_MT5_MT5_RECON_H */
