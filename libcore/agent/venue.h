/*
 * venue.h — PLACEHOLDER venue for the execution agent until the venue
 * simulator lands (matching against the replayed book with latency and
 * queue position): an order is filled at once at the touch of the last
 * book, up to the size shown there; the rest is cancelled (IOC).  A limit
 * order that is not marketable against the touch gets no fill.  Pure.
 */
#ifndef DM_LIBCORE_AGENT_VENUE_H
#define DM_LIBCORE_AGENT_VENUE_H

#include <stdint.h>

struct venue_touch {
	int64_t bid_px, bid_qty; /* best bid; qty 0 = no bid */
	int64_t ask_px, ask_qty; /* best ask; qty 0 = no ask */
};

/*
 * side +1 buy / -1 sell, limit_px 0 = market.  Returns the contracts filled
 * (0..qty) and the price in *px; -EINVAL for a bad side or qty.
 */
int64_t venue_touch_fill(const struct venue_touch *t, int side, int64_t limit_px,
			 int64_t qty, int64_t *px);

#endif /* DM_LIBCORE_AGENT_VENUE_H */
