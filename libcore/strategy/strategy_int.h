/*
 * strategy_int.h — what the strategy's own files share (strategy.c, the
 * taker and the dispatch; strategy_mm.c, the market makers).  Not for
 * includers of strategy.h.
 */
#ifndef DM_LIBCORE_STRATEGY_STRATEGY_INT_H
#define DM_LIBCORE_STRATEGY_STRATEGY_INT_H

#include "libcore/strategy/strategy.h"

/* Steps 1 and 2 of every kind: 1 if f is whole and clean, else 0 with
 * short_vectors or the quality counters counted. */
int strategy_vector_usable(struct strategy_state *st, const struct msg_features *f);

/* The market makers' strategy_on_features and strategy_on_report. */
int strategy_mm_on_features(struct strategy *s, const struct msg_features *f);
int strategy_mm_on_report(struct strategy *s, const struct msg_exec_report *r);

#endif /* DM_LIBCORE_STRATEGY_STRATEGY_INT_H */
