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
 *   link up     the table reconciles until the terminal's snapshot (new
 *               orders still refused, VOTE_R_VENUE_DOWN: the venue is up
 *               only once reconciled): every open order of the snapshot that
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
 * Two hosts.  In process (a test): the venue drives the link itself
 * (mt5_venue_init).  In the agents (venue.kind mt5): the link is the data
 * agent's, which holds the terminal's one connection, and the table the
 * execution agent's; the venue is then remote (mt5_venue_init_remote):
 * its commands go out through a port (the host puts them on the ring
 * venue_cmds as struct msg_venue_cmd), and the data agent hands back the
 * link's state, reports and snapshots (struct msg_venue_event on the ring
 * venue_reports), with the symbol's units and the commands the EA has not
 * acknowledged, which a remote venue cannot read off the link.  The
 * latencies are then the data agent's to measure (it has the link's
 * clock): a remote venue keeps none.
 *
 * No I/O, no clock, no allocation; the thread that drives the link (in
 * process) or the execution agent's (remote).
 */
#ifndef DM_LIBCORE_MT5_MT5_VENUE_H
#define DM_LIBCORE_MT5_MT5_VENUE_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/exec/exec.h"
#include "libcore/msg/msg.h"
#include "libcore/mt5/mt5_lat.h"
#include "libcore/mt5/mt5_link.h"
#include "libcore/mt5/mt5_recon.h"

struct mt5_venue_stats {
	uint64_t orders, cancels, reports, refused_cmds, unknown;
	uint64_t reconciles, confirmed, confirmed_sent, filled_unseen;
	int64_t unexplained;        /* contracts of the last reconciliation no order explains */
};

/* A remote venue's way out: the command, for the host to carry to the
 * link (0 taken, < 0 not: -ENOBUFS).  decision_us as mt5_venue_send's. */
struct mt5_venue_port {
	void *ctx;
	int (*order)(void *ctx, const struct mt5_new_order *n, uint64_t decision_us);
	int (*cancel)(void *ctx, const struct mt5_cancel *c);
};

#define MT5_VENUE_UNACKED 256        /* unacknowledged NEW_ORDERs a snapshot considers */

struct mt5_venue {
	struct exec_table *t;        /* the caller's */
	struct mt5_link *l;          /* the caller's; NULL: remote */
	struct mt5_venue_port port;  /* remote: where commands go */
	struct mt5_sym sym;          /* remote: the symbol's units (mt5_venue_set_sym) */
	uint32_t n_unacked;          /* remote: mt5_venue_set_unacked's */
	uint32_t pad2;
	uint64_t unacked[MT5_VENUE_UNACKED];
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

/* A remote venue over table t (the caller's): commands through port
 * (copied), no link.  Starts down, as mt5_venue_init. */
void mt5_venue_init_remote(struct mt5_venue *v, struct exec_table *t,
                           const struct mt5_venue_port *port,
                           void (*out)(void *ctx, const struct exec_out *o), void *ctx);

/* Remote: the symbol's units the link learned at its handshake (before
 * mt5_venue_on_state(1)), and the NEW_ORDER coids the EA has not
 * acknowledged (at most MT5_VENUE_UNACKED; before mt5_venue_on_snapshot:
 * the snapshot taken with them). */
void mt5_venue_set_sym(struct mt5_venue *v, const struct mt5_sym *sym);
void mt5_venue_set_unacked(struct mt5_venue *v, const uint64_t *coids, uint32_t n);

/* The coids of the NEW_ORDER commands link l keeps unacknowledged (the
 * link resends them; the EA places each coid once), at most max.  For the
 * host of the link: what a remote venue's mt5_venue_set_unacked takes. */
uint32_t mt5_venue_unacked_of_link(const struct mt5_link *l, uint64_t *coids, uint32_t max);

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

/* ------------------------------------------------------------ the rings' messages */

/*
 * venue.kind mt5 in the agents.  Execution -> data (ring venue_cmds):
 * struct msg_venue_cmd, type MSG_VENUE_CMD.  Data -> execution (ring
 * venue_reports): struct msg_venue_event, type MSG_VENUE_EVENT.  Both fit a
 * 256-byte slot.  The payloads are the link's own structs (mt5_md.h); the
 * two ends are built from one tree (the segment's layout hash).
 */
enum mt5_vcmd {
	MT5_VCMD_ORDER = 1,   /* u.order: NEW_ORDER (dm_us set by the data agent
			       * when it hands it to the link) */
	MT5_VCMD_CANCEL = 2,  /* u.cancel */
	MT5_VCMD_HELLO = 3,   /* a (re)started execution agent: say the link's
			       * state, and when up ask the terminal a snapshot */
	MT5_VCMD_SNAPSHOT = 4, /* orders unanswered past the ack timeout: ask the
				* terminal a snapshot (when up) to reconcile on */
};

struct msg_venue_cmd {
	struct msg_hdr hdr;
	uint32_t cmd;                /* enum mt5_vcmd */
	uint32_t pad;
	uint64_t decision_us;        /* ORDER: when decided, CLOCK_REALTIME us (0 unknown) */
	union {
		struct mt5_new_order order;
		struct mt5_cancel cancel;
	} u;
};
_Static_assert(offsetof(struct msg_venue_cmd, u) == 48, "msg_venue_cmd.u");
_Static_assert(sizeof(struct msg_venue_cmd) == 136, "msg_venue_cmd size");

enum mt5_vev {
	MT5_VEV_STATE = 1,      /* up (u.state.sym when up) or down */
	MT5_VEV_TRADE = 2,      /* u.trade, seq its number, recv_us */
	MT5_VEV_RESULT = 3,     /* u.result, recv_us */
	MT5_VEV_SNAP_BEGIN = 4, /* u.snap: a snapshot's header; items follow */
	MT5_VEV_SNAP_POS = 5,   /* u.pos */
	MT5_VEV_SNAP_ORD = 6,   /* u.ord */
	MT5_VEV_SNAP_UNACKED = 7, /* u.coids[0..n) unacknowledged NEW_ORDERs */
	MT5_VEV_SNAP_END = 8,   /* the snapshot is whole */
};

struct msg_venue_event {
	struct msg_hdr hdr;
	uint32_t ev;                 /* enum mt5_vev */
	uint32_t n;                  /* STATE: 1 up, 0 down; SNAP_UNACKED: coids */
	uint64_t seq;                /* TRADE: its number in the EA's stream */
	uint64_t recv_us;            /* TRADE, RESULT: received, the data agent's
				      * CLOCK_MONOTONIC us */
	union {
		struct mt5_trade trade;
		struct mt5_order_result result;
		struct mt5_sym sym;
		struct mt5_position pos;
		struct mt5_order ord;
		struct {
			uint64_t req_id, last_seq;
			int64_t time_msc;
		} snap;
		uint64_t coids[12];
	} u;
};
_Static_assert(offsetof(struct msg_venue_event, u) == 56, "msg_venue_event.u");
_Static_assert(offsetof(struct msg_venue_event, seq) == 40, "msg_venue_event.seq");
_Static_assert(sizeof(struct msg_venue_event) == 152, "msg_venue_event size (a 256-byte slot)");

#endif /* DM_LIBCORE_MT5_MT5_VENUE_H */
