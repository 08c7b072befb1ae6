/*
 * strategy.h — the live strategy: from one feature vector (and, for a
 * market maker, the execution reports) to order intents (docs/model.md,
 * "The live path"; docs/strategies.md).  The ml agent (agents/rt/ag_ml.c)
 * hosts it with its state in the segment and loads the model; an
 * in-process host (libcore/trader) calls the same functions in the same
 * order.
 *
 * Strategies are modules chosen by params.kind (strategy.kind in the
 * configuration); the hosts call strategy_on_features and
 * strategy_on_report whatever the kind:
 *   taker    the primary rule and the meta-model, IOC intents (below)
 *   mm_as    a market maker quoting Avellaneda-Stoikov around the mid
 *   mm_glft  a market maker quoting Gueant-Lehalle-Fernandez-Tapia
 * (the market makers: strategy_mm.c, "Market maker" below).
 *
 * The taker, per feature vector (libcore/features order):
 *   1 fewer than FEAT_N features: counted (short_vectors), dropped
 *   2 flagged by data quality (msg_features.quality): counted in total
 *     and by flag bit, dropped
 *   3 room for the intent asked (out.intent_claim): none -> -EAGAIN,
 *     nothing counted, the host hands the vector again
 *   4 side = the primary rule (libcore/label/primary); 0 -> no_side
 *   5 within min_interval_ns of market time (exch_ns) of the last
 *     intent -> too_soon; a vector flagged MSG_F_DEFERRED gets the rest
 *     of its features from out.fill here (none -> short_vectors)
 *   6 with a meta-model: p = flat_predict(x)[0] (scored); no model ->
 *     no_model; p < min_prob -> below_prob; size = bet_size(p, 2,
 *     max_contracts, 1) <= 0 -> zero_size.  Rule only (no model
 *     configured): p = 0, one contract
 *   7 the touch on the other side, rebuilt from FEAT_MID (points, / tick)
 *     and FEAT_SPREAD_TICKS: not finite or spread <= 0 -> no_quote
 *   8 an IOC limit intent at that price, stamped with the vector's
 *     exchange time (msg_intent.market_ns, the decision's time on the
 *     market clock): intents, prob_sum
 *
 * Market maker, per feature vector: steps 1 to 3 as above; the mid and
 * the touch from FEAT_MID and FEAT_SPREAD_TICKS (not finite or spread
 * <= 0 -> no_quote); the mid (ticks) into the online volatility (struct
 * mm_vol; no sigma yet -> no_vol); the wanted quotes (strategy_mm_want);
 * then per side (bid, ask) with its resting quote (struct strategy_quote):
 *   FREE    and a wanted price: a DAY limit intent (PENDING)
 *   PENDING waits for its first report (LIVE, or FREE if it ended); with
 *           none after ack_timeout_ns of market time (its ballot was
 *           blocked, say) it is taken as gone (FREE, pending_lost)
 *   LIVE    no wanted price (the inventory bound), or a wanted price
 *           >= requote_ticks from the resting one: a cancel (CANCELLING)
 *   CANCELLING waits for the order's end (its terminal report: FREE, and
 *           the new quote at the next vector); after ack_timeout_ns the
 *           cancel is sent again.  Never two orders on one side: a fill
 *           racing the cancel cannot add to a replacement's, so the
 *           inventory stays within the bound
 * Intents go to the coordinator's vote as every intent.  A cancel goes
 * out through out.cancel (a MSG_CANCEL of one client order id, to the
 * coordinator, which forwards it without a vote: docs/coord.md).  Orders
 * are known by their reports (strategy_on_report): the first report of a
 * client order id newer than the side's last one is the pending quote; a
 * second live order of a side (a pending quote taken as gone that lived
 * after all) is cancelled (strays).  The inventory q is the sum of the
 * fills of every report (what risk counts from the same reports), kept
 * in a double-buffered ledger that a report handed again after a restart
 * does not move (struct strategy_mm_ledger).
 *
 * Design note.  struct strategy_state is what survives a restart (plain,
 * no pointers: counters, the last intent's market time and id, which
 * model file is in use); struct strategy is the process-local handle with
 * the parameters, the output pair and the flattened model (owned by the
 * host: strategy_use_model swaps it between two vectors).
 *
 * Threads: one thread per handle.  strategy_on_features allocates
 * nothing, takes no lock and makes no system call.
 */
#ifndef DM_LIBCORE_STRATEGY_STRATEGY_H
#define DM_LIBCORE_STRATEGY_STRATEGY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "libcore/control/mm.h"
#include "libcore/quality/quality.h"
#include "libcore/label/primary.h"
#include "libcore/strategy/strategy_cfg.h"
#include "libcore/model/flat.h"
#include "libcore/msg/msg.h"

#define STRATEGY_VERSION 5u /* layout of struct strategy_state */
#define STRATEGY_MM_SEEN 64u /* recent fills' exec_ids a market maker keeps */

/* struct strategy_quote.state */
enum strategy_quote_state { SQ_FREE = 0, SQ_PENDING, SQ_LIVE, SQ_CANCELLING };

/* One side's quote of a market maker (quote[0] bid, quote[1] ask). */
struct strategy_quote {
	uint64_t coid;        /* LIVE, CANCELLING: its client order id; else 0 */
	uint64_t last_coid;   /* newest client order id seen on this side:
			       * reports of older ones only move the position */
	int64_t  px;          /* ticks: asked for (PENDING) or resting (LIVE) */
	int64_t  sent_ns;     /* PENDING, CANCELLING: market time its intent
			       * or its cancel left */
	int32_t  leaves;      /* LIVE: contracts still resting */
	uint32_t state;       /* enum strategy_quote_state */
};

/*
 * What the reports add up to (the inventory and its counters), kept twice
 * (strategy_mm_state.led[cur]): a report is applied to a copy, then one
 * release store flips cur, so a host killed at any point leaves the old
 * or the new ledger, never half of one.  A report whose seq (msg_hdr.seq,
 * per producer and ring; 0 = not numbered) is not above last_seq is one
 * the ledger already holds, handed again after a restart: it changes
 * nothing (dups).  A fill whose exec_id is among the last
 * STRATEGY_MM_SEEN applied (a report execution published again after its
 * own restart, under a new seq) moves nothing either (dup_fills).
 */
struct strategy_mm_ledger {
	int64_t  position;    /* signed contracts: the fills of every report */
	uint64_t reports;     /* execution reports taken */
	uint64_t fills, fill_qty, maker_fills; /* fills (reports), their contracts,
			       * of them passive (liquidity maker) */
	uint64_t last_seq;    /* msg_hdr.seq of the newest report applied */
	uint64_t dups;        /* reports handed again (seq not above last_seq) */
	uint64_t dup_fills;   /* fills whose exec_id was applied already */
	uint64_t seen[STRATEGY_MM_SEEN]; /* exec_ids of the last fills, by fills % N */
};

/* A market maker's part of the state (kind mm_as, mm_glft). */
struct strategy_mm_state {
	struct strategy_mm_ledger led[2]; /* led[cur] is the ledger */
	_Atomic uint32_t cur;
	uint32_t pad0;
	struct mm_vol vol;    /* of the mid, in ticks */
	struct strategy_quote quote[2];
	uint64_t quotes;      /* quote intents sent (requotes included) */
	uint64_t requotes;    /* resting quotes cancelled to move them */
	uint64_t cancels;     /* cancels sent (requotes, pulls, strays, again) */
	uint64_t cancel_waits;/* cancels the host had no room for (retried) */
	uint64_t no_vol;      /* vectors before sigma was known */
	uint64_t bound;       /* sides left unquoted by the inventory bound */
	uint64_t pending_lost;/* quotes never seen in a report (ack_timeout) */
	uint64_t strays;      /* second live orders of a side, cancelled */
	uint64_t no_room;     /* second-side intents without room (next vector) */
	double   sigma;       /* last sigma used, ticks / sqrt(s) */
	double   want_bid, want_ask; /* last wanted prices before rounding, ticks */
	uint32_t instrument;  /* of the last vector (reports carry none) */
	uint32_t pad;
};

struct strategy_state {
	int64_t  last_ns;      /* exchange time of the last intent; 0 = none */
	uint64_t evaluated;    /* feature vectors looked at (quality clean) */
	uint64_t no_side;      /* in the primary rule's dead zone */
	uint64_t predicted;    /* sides the meta-model scored */
	uint64_t below_prob;   /* probability under min_prob */
	uint64_t zero_size;    /* p >= min_prob, but the bet size rounded to 0 */
	uint64_t too_soon;     /* sides within min_interval_ns of the last intent */
	uint64_t no_quote;     /* sides without a usable mid / spread */
	uint64_t quality_dropped; /* vectors skipped: flagged by data quality */
	uint64_t quality_by_flag[QUAL_F_COUNT]; /* by flag bit (a vector may
			        * carry several): qual_flag_name(k) */
	uint64_t short_vectors;/* vectors with fewer than FEAT_N features */
	uint64_t no_model;     /* sides dropped: no verified model */
	uint64_t intents;      /* intents emitted */
	double   prob_sum;     /* of the intents' probabilities */
	double   score_sum;    /* of every probability scored */
	uint64_t next_intent;  /* last intent id given out */
	uint64_t reloads, reload_failures; /* the host's model reloads */
	uint32_t model_ok;     /* a verified model is in use */
	uint32_t kind;         /* enum strategy_kind of the state's maker */
	char     model[256];   /* file of the model in use (or refused) */
	struct strategy_mm_state mm; /* kind mm_as, mm_glft; zero otherwise */
};

/* A market maker's parameters (strategy_cfg.h, struct strategy_mm_cfg). */
struct strategy_mm_params {
	double   gamma, k, a;     /* per tick, per tick, fills per second */
	int32_t  qty, qmax;       /* contracts per quote, inventory bound */
	int64_t  requote_ticks;   /* >= 1 */
	int64_t  horizon_ns;      /* mm_as: 0 = to the session close */
	int64_t  close_ns;        /* session close, ns after local midnight */
	int64_t  utc_offset_ns;   /* local = UTC + this */
	int64_t  vol_halflife_ns;
	double   sigma_prior;     /* ticks / sqrt(s); 0 none */
	double   skew_ticks;      /* 0 = off */
	int64_t  ack_timeout_ns;
};

struct strategy_params {
	struct primary_params primary; /* the side rule */
	double   tick;          /* points per tick: FEAT_MID is in points */
	double   min_prob;      /* act when p >= min_prob */
	int64_t  min_interval_ns; /* market time between two intents */
	int64_t  max_contracts; /* bet_size's cap */
	int      rule_only;     /* 1: no meta-model (p = 0, one contract) */
	uint32_t kind;          /* enum strategy_kind */
	struct strategy_mm_params mm; /* kind mm_as, mm_glft */
};

/* What the host provides.  ctx is handed back to every call. */
struct strategy_out {
	void *ctx;
	/* Room for one intent, or NULL when there is none now. */
	struct msg_intent *(*intent_claim)(void *ctx);
	/* The claimed intent is filled (type, size, flags, ingress_ns, payload). */
	void (*intent_publish)(void *ctx, struct msg_intent *o);
	/* A vector flagged MSG_F_DEFERRED (an in-process host, its primary
	 * feature written): all its features into out, asked only once the
	 * primary rule and the interval let it through.  0, or < 0 when they
	 * are gone (the vector then counts as short).  May be NULL: no such
	 * vector comes. */
	int (*fill)(void *ctx, const struct msg_features *f, double out[MSG_NFEATURES]);
	/* A market maker's cancel of one resting quote (k->client_order_id),
	 * to the coordinator: 0, or -EAGAIN (no room now: asked again at the
	 * next vector).  Required for the market makers; NULL for the taker.
	 * It may go where intents go (the coordinator's ring): an intent
	 * claimed before a cancel is claimed again after it. */
	int (*cancel)(void *ctx, const struct msg_cancel *k);
};

struct strategy {
	struct strategy_state *st;
	struct strategy_out out;
	struct strategy_params p;
	struct flat *flat;      /* the model in use, or NULL (host-owned) */
};

/* Bytes of a state: sizeof(struct strategy_state). */
size_t strategy_memsize(void);

/* A fresh state (every counter 0, no intent yet). */
void strategy_init(struct strategy_state *st);

/*
 * Bind s to st (fresh or surviving) with p and out (copied).  No model
 * yet: model_ok becomes 0 (the model lives in the process).  A fresh
 * state takes the kind of p; a surviving one of another kind is refused.
 * Returns 0, or -EINVAL for a missing output function (a market maker
 * needs out.cancel), a tick <= 0, a primary feature out of range, a kind
 * out of range or a market maker's parameter out of range (gamma, k, a
 * <= 0, qty < 1, qmax < qty, requote_ticks < 1), -EEXIST for a surviving
 * state of another kind.
 */
int strategy_attach(struct strategy *s, struct strategy_state *st,
		    const struct strategy_params *p, const struct strategy_out *out);

/*
 * Use model f (verified by the host; NULL = none) read from path (may be
 * NULL: the recorded file stays), between two vectors.  Returns the model
 * used before, for the host to free.
 */
struct flat *strategy_use_model(struct strategy *s, struct flat *f, const char *path);

/*
 * One feature vector (the order at the top, by kind).  Returns 0 (intents
 * published or not), or -EAGAIN when out.intent_claim gave no room
 * (nothing counted).
 */
int strategy_on_features(struct strategy *s, const struct msg_features *f);

/*
 * One execution report (a market maker's fills and its quotes' fate; the
 * taker takes none: 0).  May send a cancel (a stray second quote).
 * Returns 0.
 */
int strategy_on_report(struct strategy *s, const struct msg_exec_report *r);

/* The ledger in force of a market maker's state (inventory, fills). */
static inline const struct strategy_mm_ledger *strategy_mm_led(const struct strategy_mm_state *m)
{
	return &m->led[atomic_load_explicit(&m->cur, memory_order_acquire) & 1];
}

/* 1 if kind is a market maker (needs the execution reports). */
static inline int strategy_kind_is_mm(uint32_t kind)
{
	return kind == STRAT_MM_AS || kind == STRAT_MM_GLFT;
}

/* ------------------------------------------------------------ market maker */

/* A market maker's wanted quotes, in whole ticks. */
struct strategy_mm_want {
	int64_t bid, ask;     /* ticks */
	int     has_bid, has_ask;
	double  raw_bid, raw_ask; /* before rounding (the formula's prices) */
};

/*
 * The quotes of kind (STRAT_MM_AS or STRAT_MM_GLFT) for a mid of mid
 * ticks, a touch spread of spread ticks, an inventory of q contracts,
 * sigma in ticks / sqrt(s), tau_s seconds to the horizon (mm_as) and a
 * reservation shift of shift ticks (the skew):
 *   mm_as    mm_as_quotes(mid, q / qty, gamma, sigma, tau_s, k) + shift
 *   mm_glft  mm_glft_quotes(mid, q / qty, qmax / qty, gamma, sigma, k, a)
 *            + shift
 * (inventory in lots of qty contracts, as the formulas count one fill
 * as one unit).  Rounded away from the mid (bid floor, ask ceiling, to
 * 1e-9 tick), then kept passive: the touch is bid = mid - spread/2, ask
 * = mid + spread/2 rounded to ticks; a bid is at most the best ask - 1,
 * an ask at least the best bid + 1 (a quote may improve the touch inside
 * the spread but never crosses it).  No bid when q + qty > qmax, no ask
 * when q - qty < -qmax (nor where the formula quotes none).  Returns 0,
 * or -EINVAL when a price is not finite (parameters out of range).  Pure.
 */
int strategy_mm_want(const struct strategy_mm_params *p, uint32_t kind, double mid,
		     double spread, double q, double sigma, double tau_s, double shift,
		     struct strategy_mm_want *w);

/* Seconds from exch_ns to the horizon of p: horizon_ns when > 0, else to
 * the session close of that local day (0 at or after it).  Pure. */
double strategy_mm_tau_s(const struct strategy_mm_params *p, int64_t exch_ns);

/* ------------------------------------------------------------ dump */

struct json_t;

/*
 * The state st as a new JSON object for monitors (caller owns it,
 * json_decref): "features" (vectors looked at), "no_side", "scored",
 * "below_min_prob", "zero_size", "too_soon", "no_quote",
 * "quality_dropped", "quality_by_flag" {every flag's name: count, in bit
 * order}, "short_vectors", "no_model", "intents", "mean_prob_intents",
 * "mean_prob_scored" (0 when none), "model", "model_ok", "reloads",
 * "reload_failures"; a market maker's state also "kind" and "mm" {"position",
 * "reports", "fills", "fill_qty", "maker_fills", "dup_reports" (reports handed
 * again after a restart), "dup_fills" (fills published again), "quotes", "requotes",
 * "cancels", "cancel_waits", "no_vol", "bound", "pending_lost", "strays",
 * "no_room", "sigma", "bid", "ask" (the resting quotes' prices, or null)}.
 * Reads without a lock.  Allocates (jansson): tools
 * and tests, never a handler.
 */
struct json_t *strategy_dump_json(const struct strategy_state *st);

#endif /* DM_LIBCORE_STRATEGY_STRATEGY_H */
