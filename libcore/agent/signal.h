/*
 * signal.h — the ml agent's PLACEHOLDER trading rule: buy at the ask when
 * the top-of-book imbalance is at or above +threshold, sell at the bid at
 * or below -threshold, at most one intent per min_interval_ns of market
 * (exchange) time, so a replay gives the same intents at any speed.
 * Replaced by the primary signal plus the XGBoost meta-model (issue: ml).
 * Pure; fixed-size state that lives in the agent's restart-surviving area.
 */
#ifndef DM_LIBCORE_AGENT_SIGNAL_H
#define DM_LIBCORE_AGENT_SIGNAL_H

#include <stdint.h>

struct sig_rule {
	double  threshold;       /* |imbalance| to act on, (0, 1] */
	int64_t min_interval_ns; /* market time between two intents */
	int32_t qty;             /* contracts per intent */
	int32_t pad;
};

struct sig_state {
	int64_t  last_ns;   /* exchange time of the last intent; 0 = none */
	uint64_t seen;      /* feature vectors evaluated */
	uint64_t emitted;   /* intents emitted */
};

struct sig_intent {
	int     side;       /* +1 buy, -1 sell */
	int32_t qty;
	int64_t px;         /* limit, ticks: the touch on the other side */
	double  strength;   /* |imbalance| */
};

/* Returns 1 and fills *out when the rule fires (and records it in s),
 * 0 otherwise.  bid/ask: best prices in ticks (<= 0 = missing). */
int sig_decide(const struct sig_rule *r, struct sig_state *s, double imbalance,
	       int64_t bid, int64_t ask, int64_t exch_ns, struct sig_intent *out);

#endif /* DM_LIBCORE_AGENT_SIGNAL_H */
