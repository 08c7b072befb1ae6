/*
 * strategy.h — the live strategy: from one feature vector to at most one
 * order intent (docs/model.md, "The live path").  The ml agent
 * (agents/rt/ag_ml.c) hosts it with its state in the segment and loads
 * the model; an in-process host calls the same function in the same order.
 *
 * Per feature vector (libcore/features order):
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

#include <stddef.h>
#include <stdint.h>

#include "libcore/quality/quality.h"
#include "libcore/label/primary.h"
#include "libcore/strategy/strategy_cfg.h"
#include "libcore/model/flat.h"
#include "libcore/msg/msg.h"

#define STRATEGY_VERSION 3u /* layout of struct strategy_state */

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
	uint32_t pad;
	char     model[256];   /* file of the model in use (or refused) */
};

struct strategy_params {
	struct primary_params primary; /* the side rule */
	double   tick;          /* points per tick: FEAT_MID is in points */
	double   min_prob;      /* act when p >= min_prob */
	int64_t  min_interval_ns; /* market time between two intents */
	int64_t  max_contracts; /* bet_size's cap */
	int      rule_only;     /* 1: no meta-model (p = 0, one contract) */
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
 * yet: model_ok becomes 0 (the model lives in the process).  Returns 0,
 * or -EINVAL for a missing output function, a tick <= 0 or a primary
 * feature out of range.
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
 * One feature vector (the order at the top).  Returns 0 (an intent
 * published or not), or -EAGAIN when out.intent_claim gave no room
 * (nothing counted).
 */
int strategy_on_features(struct strategy *s, const struct msg_features *f);

/* ------------------------------------------------------------ dump */

struct json_t;

/*
 * The state st as a new JSON object for monitors (caller owns it,
 * json_decref): "features" (vectors looked at), "no_side", "scored",
 * "below_min_prob", "zero_size", "too_soon", "no_quote",
 * "quality_dropped", "quality_by_flag" {every flag's name: count, in bit
 * order}, "short_vectors", "no_model", "intents", "mean_prob_intents",
 * "mean_prob_scored" (0 when none), "model", "model_ok", "reloads",
 * "reload_failures".  Reads without a lock.  Allocates (jansson): tools
 * and tests, never a handler.
 */
struct json_t *strategy_dump_json(const struct strategy_state *st);

#endif /* DM_LIBCORE_STRATEGY_STRATEGY_H */
