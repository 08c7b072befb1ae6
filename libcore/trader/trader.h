/*
 * trader.h — the whole trading path in one thread: the modules the agents
 * host (libcore/featd, strategy, coord, riskd, execsvc) composed in
 * process, on the market's clock, for the backtester (dm-backtest).
 *
 * Design note.  The six agents exchange messages through rings; here the
 * same messages go through in-process mailboxes, one per module, and the
 * modules are called in a fixed order, so a run is a function of its
 * input and its parameters alone.  One market event is one step, run to
 * quiet, as the lockstep replay of the agents does (the data agent gives
 * the next event only once every ring is empty):
 *
 *   market event E  --> execution (the venue's book and clock; fills due
 *                       by E's time come out as reports to risk and the
 *                       coordinator), then risk (the mark), then feature
 *                       (the engine; a feature vector to ml)
 *   rounds until every mailbox is empty and nothing is pending, each
 *   round in the order execution, risk, feature, ml, coordinator: a
 *   module takes every message of its mailbox in arrival order, then its
 *   tick runs (execution publishes its reports; risk its positions and
 *   expiries; the coordinator its deadlines and released orders).
 *
 * Two things only an in-process host can do, neither changing a message
 * a module acts on: the book message is made over the last one
 * (msg_md_book_over: the bytes of msg_md_from_event, levels checked once,
 * MSG_BOOK_SORTED), and feature vectors go to ml deferred (featd
 * params.deferred: the strategy's primary feature at once, the rest made
 * by the engine when the strategy reads the vector whole, within the same
 * step: featd_fill), as most vectors are dropped on that one feature.
 *
 * A market maker (strategy.kind mm_as, mm_glft) also takes execution's
 * reports in ml's mailbox (after risk's and the coordinator's copies), and
 * its cancels go to the coordinator's mailbox as its intents do
 * (coord_on_cancel forwards them to execution): docs/strategies.md.
 *
 * The trader hosts every role (libcore/vote/role.h) in this one thread:
 * the coordinator's voters (risk, execution, feature) are the in-process
 * modules; every role counts as up; no operator command comes (a test may
 * latch the kill switch: trader_kill).  The host
 * clock every module sees is the market clock: the time of the newest
 * market event (exch_ns; never going back), so the venue's latencies and
 * queue model, risk's day start and the strategy's intervals are those of
 * the market.  The decisions, orders and reports the modules emit go to
 * the caller (struct trader_out) as the agents write them to their
 * journals, in the same order, so libcore/report writes the same rows.
 *
 * Memory: trader_memsize() bytes of caller memory hold every module's
 * state (the feature engine, the order table, one copy of the venue:
 * execsvc with double_venue 0); struct trader (about 1 MiB: the
 * mailboxes) is the caller's too.  Nothing allocates after trader_init.
 * One thread per trader; several traders may live in one process.
 */
#ifndef DM_LIBCORE_TRADER_H
#define DM_LIBCORE_TRADER_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/coord/coord.h"
#include "libcore/execsvc/execsvc.h"
#include "libcore/featd/featd.h"
#include "libcore/market/event.h"
#include "libcore/riskd/riskd.h"
#include "libcore/strategy/strategy.h"
#include "libcore/vote/role.h"
#include "libcore/vote/vote.h"
#include "libcore/msg/msg.h"
#include "libcore/msg/msg_md.h"

#define TRADER_MBOX      256u  /* messages a mailbox holds; a power of two */
#define TRADER_MSG_MAX   288u  /* bytes of the largest queued message */
#define TRADER_ROUNDS    4096u /* rounds of one step before it is called stuck */

/* Every module's parameters (trader_params.h makes them from a configuration). */
struct trader_params {
	struct featd_params featd;
	struct strategy_params strategy;
	struct coord_params coord;
	struct riskd_params riskd;
	struct execsvc_params exec;   /* double_venue 0: nothing survives a crash */
	uint64_t epoch;               /* decision and order ids: epoch << 40 | n */
};

struct trader_out {
	void *ctx;
	/* A decision record, as the coordinator journals it. */
	void (*decision)(void *ctx, const struct vote_record *rec);
	/* An execution journal record (JREC_ORDER: struct msg_order;
	 * JREC_EXEC: struct msg_exec_report), as execution journals it. */
	void (*journal)(void *ctx, uint16_t type, const void *rec, uint32_t len);
	/* One line on a rare event (refusals, anomalies); may be NULL. */
	void (*log)(void *ctx, int error, const char *line);
};

/* A mailbox: fixed slots, free-running indexes. */
struct trader_slot {
	uint32_t from;    /* the sender's role (enum dm_role; votes: the voter) */
	uint32_t len;
	_Alignas(8) uint8_t msg[TRADER_MSG_MAX];
};

struct trader_mbox {
	uint32_t head, tail;
	uint64_t seq;     /* last sequence number stamped on a message in */
	uint64_t peak;    /* most messages waiting at once */
	struct trader_slot slot[TRADER_MBOX];
};

enum trader_mod { TRADER_EXEC = 0, TRADER_RISK, TRADER_FEATURE, TRADER_ML, TRADER_COORD,
		  TRADER_NMOD };

struct trader_counts {
	uint64_t events, books, trades;
	uint64_t rounds;          /* pump rounds over the run */
	uint64_t max_rounds;      /* most rounds one step needed */
	uint64_t md_retries;      /* market deliveries retried after a full mailbox */
	uint64_t lost;            /* messages a full mailbox refused and nobody
				   * retries (positions: replaced by the next) */
};

struct trader {
	struct featd feat;
	struct strategy strat;
	struct coord co;
	struct riskd risk;
	struct execsvc exec;
	struct trader_out out;
	struct trader_params p;
	uint32_t agent[TRADER_NMOD];  /* role of each module (enum dm_role) */
	int64_t  now_ns;              /* the market clock */
	int64_t  first_ns;            /* time of the first event, 0 none */
	int64_t  last_exch_ns;        /* exchange time of the last event */
	int      ended;               /* trader_finish ran */
	int      killed;              /* trader_kill ran: the kill switch is latched */
	struct trader_counts n;
	union msg_md md;              /* the trade or end being stepped */
	struct msg_book book;         /* the book being stepped; made over the
				       * last one (msg_md_book_over) */
	struct trader_mbox box[TRADER_NMOD];
};

/* Bytes of caller memory for p (64-byte aligned pieces); 0 if p is refused. */
size_t trader_memsize(const struct trader_params *p);

/*
 * Set t up over mem (size >= trader_memsize(p), 64-byte aligned): every
 * module's state made fresh and attached, the model in use (f, flattened
 * and verified by the caller; NULL: none, the strategy then trades only
 * with strategy.model "" — rule_only — and counts no_model otherwise;
 * path is what the state records), out copied.  Returns 0, or a negative
 * error with one line in err.  Start-up code: the venue reads its latency
 * file.
 */
int trader_init(struct trader *t, void *mem, size_t size, const struct trader_params *p,
		struct flat *f, const char *path, const struct trader_out *out,
		char *err, size_t errlen);

/*
 * One market event (EV_BOOK or EV_TRADE; others are ignored, returning 0),
 * run to quiet.  Returns 1 if it was a market event, 0 if ignored, or
 * -EAGAIN if the step did not come to rest within TRADER_ROUNDS (a module
 * kept refusing its input: logged; the run cannot be trusted).
 */
int trader_on_event(struct trader *t, const struct event *ev);

/*
 * The end of the market: orders still in flight at the venue are played
 * out on the venue's own schedule (execsvc's end of a replay), reports
 * delivered, the step run to quiet.  Returns 0 or -EAGAIN as above.
 */
int trader_finish(struct trader *t);

/*
 * The operator's kill switch, engaged now (at the time of the last market
 * event), as the agents' control plane does it: the coordinator is told
 * (COORD_F_KILLED from now on, the cancel-all to execution, the released
 * orders not sent yet dropped), risk latches it (and flattens when
 * kill_switch.flatten says so, by its plan: docs/risk.md) and execution
 * takes only flattening orders.  Latched until the run ends.  Returns 0,
 * or -EAGAIN as trader_on_event.  For tests and what-if runs; dm-backtest
 * does not call it.
 */
int trader_kill(struct trader *t);

/* States, for summaries. */
static inline const struct featd_state *trader_featd_state(const struct trader *t)
{
	return t->feat.st;
}
static inline const struct strategy_state *trader_strategy_state(const struct trader *t)
{
	return t->strat.st;
}
static inline const struct coord_state *trader_coord_state(const struct trader *t)
{
	return t->co.st;
}
static inline const struct riskd_state *trader_riskd_state(const struct trader *t)
{
	return t->risk.st;
}
static inline const struct execsvc_state *trader_execsvc_state(const struct trader *t)
{
	return t->exec.st;
}

#endif /* DM_LIBCORE_TRADER_H */
