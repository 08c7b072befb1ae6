/*
 * strategy_int.h — what the strategy's own files share (strategy.c, the
 * taker and the dispatch; strategy_mm.c, the market makers).  Not for
 * includers of strategy.h.
 */
#ifndef DM_LIBCORE_STRATEGY_STRATEGY_INT_H
#define DM_LIBCORE_STRATEGY_STRATEGY_INT_H

#include <string.h>

#include "libcore/strategy/strategy.h"

/* Steps 1 and 2 of every kind: 1 if f is whole and clean, else 0 with
 * short_vectors or the quality counters counted. */
int strategy_vector_usable(struct strategy_state *st, const struct msg_features *f);

/* The market makers' strategy_on_features and strategy_on_report. */
int strategy_mm_on_features(struct strategy *s, const struct msg_features *f);
int strategy_mm_on_report(struct strategy *s, const struct msg_exec_report *r);

/*
 * A limit intent into o (claimed) for the vector f: header, a new intent
 * id, side, price, size, tif and probability; the caller publishes it.
 */
static inline void strategy_intent_fill(struct strategy_state *st, struct msg_intent *o,
					const struct msg_features *f, int side, int64_t px,
					int32_t qty, uint8_t tif, double p)
{
	memset(o, 0, sizeof(*o));
	o->hdr.type = MSG_INTENT;
	o->hdr.size = sizeof(*o);
	o->hdr.flags = f->hdr.flags & MSG_F_REPLAY;
	o->hdr.ingress_ns = f->hdr.ingress_ns;
	o->intent_id = ++st->next_intent;
	o->feature_seq = f->hdr.seq;
	o->px = px;
	o->qty = qty;
	o->side = (int8_t)side;
	o->ord_type = ORD_LIMIT;
	o->tif = tif;
	o->prob = p;
	o->instrument = f->instrument;
	o->market_ns = f->exch_ns;
}

#endif /* DM_LIBCORE_STRATEGY_STRATEGY_INT_H */
