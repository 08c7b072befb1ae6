/*
 * riskd.h — the risk voter: pre-trade votes, approvals held until a report
 * names them, the position from fills, the day start and the kill switch,
 * on the limits of libcore/risk (docs/risk.md, "The live path").  The risk
 * agent (agents/rt/ag_risk.c) hosts it with its state in the segment; an
 * in-process host calls the same functions in the same order.
 *
 * Design note.  Two parts:
 *
 *   struct riskd_state   everything that must survive a restart: plain,
 *                        fixed-size, no pointers (the host places it in
 *                        shared memory or anywhere else)
 *   struct riskd         the process-local handle: the limits, the
 *                        calendar, the output interface and a pointer to
 *                        the state (riskd_attach)
 *
 *   riskd_memsize -> caller memory -> riskd_init (a fresh state)
 *   -> riskd_attach (fresh or surviving) -> riskd_on_* ... riskd_tick
 *
 * Clock.  Every function takes now_ns, the host's local clock.  Risk
 * judges orders on the market's clock (riskd_market_ns): live, the
 * exchange time of the newest book plus the local time elapsed since it
 * arrived, so the stale-data guard measures local time since the newest
 * book; in a replay (the newest book flagged MSG_F_REPLAY) the exchange
 * time of the newest book alone, so the session hours, the daily reset,
 * the order rate and the stale-data guard follow the replayed market
 * whatever the machine's speed or a stall of the pipeline.
 *
 * Approvals.  An approved vote opens the order in the risk state under its
 * decision id; execution's reports carry that id, so fills and the
 * terminal report release it.  A ballot another voter blocked never gives
 * a report: the coordinator's MSG_VOTE_DONE says so and releases it at
 * once (riskd_on_vote_done); should that message be lost, the approval
 * expires after params.reserve_ns of local time (riskd_tick).
 *
 * Intents.  With vote.fanout risk gets each intent from ml itself and
 * votes on it at once (riskd_on_intent); its approval is held under the
 * intent's id until the coordinator's MSG_VOTE_DONE names the decision,
 * which then replaces it (a release) or lets it go (a block).  The two
 * rings race outside a replay's lockstep; what comes first is kept in
 * ahead[] until the other (riskd_on_vote_done).
 *
 * Fills are applied to a copy of the risk state, then one release store
 * flips cur to it, so a process killed at any point leaves either the old
 * or the new position (fills de-duplicated by exec_id make a re-delivered
 * report harmless).  Checks, marks and open orders change rs[cur] in
 * place (a crash there costs at most a rate token or a mark).
 *
 * Outputs.  Votes go through out.vote_claim / out.vote_publish: the claim
 * is asked before anything changes, so a host whose output is full gets
 * -EAGAIN with the state untouched and hands the request again later.
 * Positions are snapshots (out.position may refuse one: the next replaces
 * it): after every fill, on marks at most once per params.pos_every_ns
 * while a position is open, and while a kill switch flattens.
 *
 * Threads: one thread per handle; the state may be read by other processes
 * (cur with acquire).  No function after riskd_attach allocates, locks or
 * makes a system call; out.log is called on rare events only (kill switch,
 * re-arm, a refused fill).
 */
#ifndef DM_LIBCORE_RISKD_RISKD_H
#define DM_LIBCORE_RISKD_RISKD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "libcore/market/calendar.h"
#include "libcore/market/instrument.h"
#include "libcore/risk/risk.h"
#include "libcore/msg/msg.h"

#define RISKD_VERSION 8u      /* layout of struct riskd_state */
#define RISKD_PENDING 256u    /* approvals not yet confirmed by a report */
#define RISKD_AHEAD   16u     /* news of an order come before what it is about */
/* Intent ids risk holds approvals under (fan-out) are below this; decision
 * ids are at or above it (epoch >= 1, shifted by 40: coord.h), so the two
 * never name the same approval. */
#define RISKD_INTENT_MAX (1ull << 40)
#define RISKD_RESERVE_NS   (2000ll * 1000000) /* default: approval without a report expires */
#define RISKD_POS_EVERY_NS (1000ll * 1000000) /* default: mark-only position updates */

struct riskd_pending {
	uint64_t id;                /* decision id, or the intent's id until its
				     * ballot ends (fan-out); 0 = free */
	int64_t  expire_ns;         /* local time: no report by then -> released */
};

struct riskd_state {
	struct risk_state rs[2];      /* rs[cur] is the state (double-buffered) */
	_Atomic uint32_t cur;
	uint32_t book_replay;         /* the newest book came from a replay */
	struct riskd_pending pend[RISKD_PENDING];
	int64_t  book_exch_ns;        /* exchange time of the newest book */
	int64_t  book_local_ns;       /* local time it arrived; 0 = none yet */
	int32_t  day;                 /* session date of the last day start */
	uint32_t killed_seen;         /* kill switch already applied (riskd_follow_kill) */
	uint64_t reports, votes, positions, expired;
	int64_t  last_pos_ns;         /* local time of the last position taken */
	int64_t  max_abs_position;    /* largest |position| after any fill */
	uint32_t flatten;             /* kill switch asked to flatten: until flat */
	uint32_t pad2;
	int64_t  max_position;        /* the limit in force, for monitors */
	char     symbol[16];          /* the instrument traded */
	char     currency[8];         /* of every P&L and fee figure */
	uint64_t released_blocked;    /* approvals let go at once: ballot blocked */
	int64_t  flatten_next_ns;     /* market time the flatten's next slice is due; 0 none */
	uint64_t flatten_slices;      /* flattening orders asked for (positions flagged) */
	struct risk_flatten_plan plan; /* the flatten under way (risk_flatten_plan) */
	/* Fan-out (riskd_on_intent, "Intents" above) */
	uint64_t intent_hi;           /* the newest intent voted on */
	uint64_t intent_votes;        /* votes on intents themselves */
	uint64_t rekeyed;             /* approvals held under an intent's id, then
				       * under its decision's (a release) */
	uint64_t ahead_n;             /* entries ever written to ahead[] */
	struct riskd_ahead {
		uint64_t intent_id;   /* RISKD_A_DONE: the intent */
		uint64_t decision_id; /* the decision */
		uint32_t kind;        /* enum riskd_ahead_kind; 0 = free */
		uint32_t outcome;     /* RISKD_A_DONE: enum vote_outcome */
	} ahead[RISKD_AHEAD];         /* [n % RISKD_AHEAD] */
};

/* riskd_state.ahead[].kind */
enum riskd_ahead_kind {
	RISKD_A_DONE = 1,             /* a ballot's end came before its intent */
	RISKD_A_REPORT,               /* a report of a decision risk held nothing for */
	RISKD_A_TERMINAL,             /* likewise, a terminal one */
};

/* What the host provides.  ctx is handed back to every call. */
struct riskd_out {
	void *ctx;
	/* Room for one vote, or NULL when there is none now. */
	struct msg_vote *(*vote_claim)(void *ctx);
	/* The claimed vote is filled (type, size, ingress_ns, payload): send it. */
	void (*vote_publish)(void *ctx, struct msg_vote *v);
	/* A position snapshot (the host may stamp its header): 0 taken, else
	 * dropped (the next replaces it). */
	int (*position)(void *ctx, struct msg_position *p);
	/* One line on a rare event; error = 1 counts as an error. */
	void (*log)(void *ctx, int error, const char *text);
};

struct riskd_params {
	struct risk_cfg limits;       /* risk_cfg_check'ed */
	struct instrument instr;      /* instr_init'ed */
	struct calendar cal;          /* cal_init'ed */
	const char *symbol;           /* stored in the state (truncated to 15) */
	const char *currency;         /* likewise (7) */
	uint16_t voter;               /* msg_vote.voter of every vote */
	int64_t  reserve_ns;          /* RISKD_RESERVE_NS */
	int64_t  pos_every_ns;        /* RISKD_POS_EVERY_NS */
};

struct riskd {
	struct riskd_state *st;
	struct riskd_out out;
	struct risk_cfg cfg;
	struct instrument instr;
	struct calendar cal;
	uint32_t instrument;          /* of the newest book (process-local) */
	uint16_t voter;
	int64_t  reserve_ns, pos_every_ns;
	int64_t  next_expire_ns;      /* no approval expires before this (a lower
				       * bound: riskd_tick skips its scan until then) */
	int64_t  day_start_ns, day_end_ns; /* the books' local date is day_of in
				       * [start, end) (end 0: none known) */
	int32_t  day_of;
	uint32_t venue_down;          /* 1: the venue cannot be reached (riskd_set_venue) */
};

/* reserve_ns and pos_every_ns at their defaults, the rest zero. */
void riskd_params_default(struct riskd_params *p);

/* Bytes of a state: sizeof(struct riskd_state). */
size_t riskd_memsize(void);

/* A fresh state in st (flat, no approval, no book), from p.  Start-up. */
void riskd_init(struct riskd_state *st, const struct riskd_params *p);

/*
 * Bind d to st (fresh from riskd_init or surviving a restart) with p and
 * out (copied).  Refreshes what the state shows of the configuration
 * (max_position, symbol, currency).  Returns 0, or -EINVAL when an output
 * function is missing.
 */
int riskd_attach(struct riskd *d, struct riskd_state *st, const struct riskd_params *p,
		 const struct riskd_out *out);

/* The current risk state (acquire: any reader, any process). */
static inline const struct risk_state *riskd_current(const struct riskd_state *st)
{
	return &st->rs[atomic_load_explicit(&((struct riskd_state *)st)->cur,
					    memory_order_acquire) & 1];
}

/* The market's clock at local time now_ns (see the top). */
int64_t riskd_market_ns(const struct riskd *d, int64_t now_ns);

/*
 * A book: the newest market time, a new session day starts the daily
 * limits afresh, a two-sided book marks the position; a position snapshot
 * when one is open and the last is older than pos_every_ns.
 */
void riskd_on_book(struct riskd *d, const struct msg_book *b, int64_t now_ns);

/*
 * An execution report: releases the pending approval of its decision;
 * a fill moves the position (double-buffered, then a position snapshot);
 * a terminal status closes the open order.
 */
void riskd_on_report(struct riskd *d, const struct msg_exec_report *r, int64_t now_ns);

/*
 * The venue's reachability, as its host learns it (venue.kind mt5: the
 * terminal's link, which the data agent holds, down after a heartbeat
 * timeout or a lost connection).  While down, every vote request not under
 * the kill switch is rejected with VOTE_R_VENUE_DOWN before the order is
 * checked (no rate token taken, nothing held).  Process-local: a
 * restarted host sets it again.  Any thread driving d.
 */
static inline void riskd_set_venue(struct riskd *d, int up)
{
	d->venue_down = up ? 0u : 1u;
}

/*
 * A vote request: follows the kill flag (riskd_follow_kill), checks the
 * order (VOTE_R_VENUE_DOWN first while the venue is down, riskd_set_venue),
 * holds an approval, emits the vote (approve; veto for the kill
 * switch; reject otherwise).  Returns 0, or -EAGAIN when out.vote_claim
 * gives no room (nothing changed).
 */
int riskd_on_vote_req(struct riskd *d, const struct msg_vote_req *q, int killed,
		      int64_t now_ns);

/*
 * An intent itself, from ml (vote.fanout: no vote request comes for it):
 * the same checks and vote as riskd_on_vote_req, the vote naming the
 * intent (decision_id 0, intent_id), and an approval held under the
 * intent's id until riskd_on_vote_done names its decision.  An intent id
 * of 0 or at or above RISKD_INTENT_MAX is rejected (bad_order).  Returns
 * 0, or -EAGAIN when out.vote_claim gives no room (nothing changed).
 */
int riskd_on_intent(struct riskd *d, const struct msg_intent *it, int killed, int64_t now_ns);

/*
 * How a ballot ended (MSG_VOTE_DONE from the coordinator, on the
 * vote-request port): a blocked ballot releases the approval risk holds
 * for it at once (the order will never exist); a released one changes
 * nothing (its reports release it).  A decision risk did not approve, or
 * whose approval is already gone, changes nothing: harmless twice.
 * With an intent id (a ballot of an intent risk got itself): a block
 * releases what is held under the intent's id; a release holds it under
 * the decision's id from now on, so its reports find it.  Should the
 * notice come before the intent (the rings race live), it is kept in
 * ahead[] and the vote on the intent holds nothing (a block) or holds it
 * under the decision's id at once (a release); should a report of the
 * decision come before the notice, the notice ends the approval (a
 * terminal report) or clears its expiry (any other).
 * Returns 1 when an approval was released, else 0.  No allocation.
 */
int riskd_on_vote_done(struct riskd *d, const struct msg_vote_done *m, int64_t now_ns);

/*
 * The host's kill-switch flag (1 latched, 0 re-armed): on a change, latch
 * the kill switch (and start flattening when the limits ask for it) or
 * re-arm.  Nothing when it did not change.
 */
void riskd_follow_kill(struct riskd *d, int killed, int64_t now_ns);

/* Once per pass: follows the kill flag, asks for the flatten's next slice
 * once it is due by the market clock (a position snapshot), releases
 * expired approvals.  Returns the approvals released plus the snapshots
 * sent for a slice. */
int riskd_tick(struct riskd *d, int killed, int64_t now_ns);

/* ------------------------------------------------------------ dump */

struct json_t;

/*
 * The state st as a new JSON object for monitors (caller owns it,
 * json_decref), from the current copy rs[cur]: "trading_state",
 * "kill_switch_latched", "position", "avg_px" and "mark_px" (ticks),
 * "mark_x2_ticks", "tick_value_e9", "symbol", "currency", the P&L in the
 * currency "realized", "unrealized", "fees", "net", "drawdown" and exact
 * in "pnl_e9" {"realized", "unrealized", "fees", "net", "drawdown",
 * "run_gross", "run_fees"} (currency x 10^9), "fills", "volume",
 * "open_orders", "max_abs_position", "max_position", "checks",
 * "approved", "rejected" {reason: count, non-zero only}, "flatten"
 * {"active", "slices_asked", "plan_slices", "next_slice_ns"} (the kill
 * switch's flatten plan).  Reads without
 * a lock (figures of slightly different instants).  Allocates (jansson):
 * tools and tests, never a handler.
 */
struct json_t *riskd_dump_json(const struct riskd_state *st);

#endif /* DM_LIBCORE_RISKD_RISKD_H */
