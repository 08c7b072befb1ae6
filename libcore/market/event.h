/*
 * event.h — the normalized market event every feed reader produces and
 * every consumer (book, features, journal, data agent) eats.
 *
 * A book event carries the top of the book after one update (L levels per
 * side, L <= EV_MAX_LEVELS, best first); a trade event one print.  Prices
 * are integer ticks of the instrument, sizes whole contracts (or the feed's
 * integer lots), times ns since the Unix epoch: exch_ns as stamped by the
 * exchange, recv_ns when it reached us (or the replay's equivalent).
 * Fixed size, no pointers: events are copied, journaled and memcmp'd.
 */
#ifndef DM_EVENT_H
#define DM_EVENT_H

#include <stdint.h>

#include "libcore/market/book.h"

#define EV_MAX_LEVELS 20

enum ev_kind { EV_NONE = 0, EV_BOOK = 1, EV_TRADE = 2 };

/* ev_book.flags: the book's anomaly bits (BOOK_F_* in book.h) */

struct ev_book {
	uint16_t n_bid, n_ask;        /* valid levels, best first */
	uint32_t flags;
	struct book_level bid[EV_MAX_LEVELS];
	struct book_level ask[EV_MAX_LEVELS];
};

#define EV_TRADE_HIDDEN 0x01 /* against hidden liquidity */

struct ev_trade {
	int64_t  px;          /* ticks */
	int64_t  qty;
	uint64_t trade_id;    /* exchange trade number, 0 if none */
	int8_t   aggressor;   /* +1 buyer-initiated, -1 seller-initiated, 0 unknown */
	uint8_t  flags;       /* EV_TRADE_* */
	uint16_t pad;
	uint32_t pad2;
};

struct event {
	uint32_t kind;        /* enum ev_kind */
	uint32_t instrument;  /* index into the instrument table, 0 = default */
	int64_t  exch_ns;
	int64_t  recv_ns;
	union {
		struct ev_book  book;
		struct ev_trade trade;
	};
};

#endif /* DM_EVENT_H */
