/*
 * passive.h — the taker's choice between crossing the spread and resting
 * at the touch (docs/execution.md, "Passive execution").
 *
 * A signal says "the mid moves m ticks my way within H seconds".  The
 * order can
 *
 *   cross    an IOC at the far touch: filled at once, paying the
 *            half-spread S/2 against the mid;
 *   join     a DAY limit at the near touch, d = S/2 from the mid, behind
 *            the queue already there (queue_ahead lots), cancelled after H;
 *   improve  a DAY limit one tick inside the spread (only when S >= 2
 *            ticks), d = S/2 - 1, first in its own queue, cancelled after H.
 *
 * Fills of a resting order: aggressive orders reaching d ticks beyond the
 * mid arrive as a Poisson process of rate lambda(d) = A exp(-k d) (the
 * fill-intensity fit of dm-study, A for the side that would hit us); each
 * takes `order_lots` lots at our level, so the order is filled once
 * n = ceil((queue_ahead + qty) / order_lots) of them have come:
 *
 *   P(d, n) = P(Poisson(lambda(d) H) >= n) = 1 - sum_{i < n} e^-mu mu^i / i!
 *
 * Expected value per contract against the mid now, in ticks:
 *
 *   cross    EV_c = m - S/2
 *   passive  EV_p = P(d, n) (m + d)       (not filled: no trade, 0)
 *
 * The choice is the largest EV; a tie goes to the earlier of cross, join,
 * improve (crossing is today's behaviour).  In the brief's words: rest when
 * the fill probability times what resting earns (the half-spread saved plus
 * the move caught) beats crossing, i.e. when the loss from missing the move
 * (1 - P) m is smaller than what the fill saves.  Adverse selection (a
 * resting order fills more often when the mid moves against it) is left
 * out of the model: it makes the rule favour resting somewhat too much.
 *
 * Pure functions; no allocation; any thread.
 */
#ifndef DM_LIBCORE_CONTROL_PASSIVE_H
#define DM_LIBCORE_CONTROL_PASSIVE_H

#include <stdint.h>

enum passive_choice { PASSIVE_CROSS = 0, PASSIVE_JOIN = 1, PASSIVE_IMPROVE = 2 };

/* The fill-intensity model and the signal's move. */
struct passive_model {
	double a;             /* A: aggressive orders per second reaching the mid, on
			       * the side that would fill us, > 0 */
	double k;             /* 1 / tick, >= 0 */
	double order_lots;    /* lots one aggressive order takes at our level, > 0 */
	double horizon_s;     /* H, the signal's horizon, > 0 */
	double move_ticks;    /* m, the signal's expected move its way over H */
};

/* The intent and the book. */
struct passive_in {
	int32_t  side;         /* +1 buy, -1 sell */
	uint32_t pad;
	int64_t  bid_px, ask_px; /* the touch, ticks, bid < ask */
	int64_t  queue_ahead;  /* lots resting at our near touch before us */
	int64_t  qty;          /* lots of the order, > 0 */
};

struct passive_eval {
	uint32_t choice;       /* enum passive_choice */
	uint32_t pad;
	int64_t  px;           /* the chosen order's price, ticks */
	double   ev[3];        /* EV of cross, join, improve (improve NaN when
			        * the spread is one tick), ticks per contract */
	double   p_fill[3];    /* P of each (cross 1) */
};

/* P(Poisson(mu) >= n), n >= 0 (1 for n = 0; mu <= 0: 0 for n > 0). */
double passive_p_at_least(double mu, int64_t n);

/*
 * The choice for in under m (above), with every EV and probability.
 * Returns 0, or -EINVAL (out untouched) for a model or book out of range
 * (a non-positive A, order_lots or horizon, side not +-1, bid >= ask,
 * qty <= 0, queue_ahead < 0).  A caller with no model keeps crossing.
 */
int passive_choose(const struct passive_model *m, const struct passive_in *in,
		   struct passive_eval *out);

#endif /* DM_LIBCORE_CONTROL_PASSIVE_H */
