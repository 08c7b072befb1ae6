/*
 * mt5_md.h — between DreamMaker's normalized events and orders and the
 * MetaTrader 5 bridge's messages (docs/mt5-bridge.md, "The fake terminal"
 * and "DreamMaker's side").
 *
 * Design note.  Both ends of the bridge translate with these functions:
 * the fake terminal (tools/fake-mt5.c) turns a replayed journal into the
 * TICK and BOOK messages an Expert Advisor would send and the venue
 * simulator's reports into TRADE reports with MT5's retcodes; DreamMaker's
 * side turns TICK and BOOK back into the events a replayed file gives, so
 * a live session journals and replays like any file.
 *
 *   prices     DreamMaker: integer ticks of the instrument.  MT5: points
 *              (price x 10^digits).  points = ticks x tick_pts, where
 *              tick_pts is HELLO.tick_size_pts (WIN: 5); a price that is
 *              not a whole number of ticks is refused (-MT5_EVALUE).
 *   volumes    DreamMaker: whole contracts.  MT5: lots (TICK.volume,
 *              book_level.volume) and lots x 10^8 (the _e8 fields).
 *   times      DreamMaker: ns since 1970, UTC.  MT5: time_msc, ms since
 *              1970 in the trade server's clock, which is UTC shifted by
 *              HELLO.server_time_offset_s (B3 brokers: UTC-3):
 *              time_msc = utc_ms + offset_s x 1000.  Sub-millisecond time
 *              does not cross the bridge (MT5 has none).
 *   book       BOOK carries MarketBookGet's entries, highest price first:
 *              the asks from the highest down to the best, then the bids
 *              from the best down.  An event's levels are best first per
 *              side, at most EV_MAX_LEVELS (deeper entries are dropped).
 *   ticks      A TICK with the LAST flag and a volume is a trade print
 *              (aggressor from the BUY / SELL flags); a tick of bid and
 *              ask alone carries nothing the BOOK stream does not.
 *
 * Pure: no I/O, no clock, no allocation.  Any thread.
 */
#ifndef DM_LIBCORE_MT5_MT5_MD_H
#define DM_LIBCORE_MT5_MT5_MD_H

#include <stdint.h>

#include "libcore/market/event.h"
#include "libcore/msg/msg.h"
#include "libcore/mt5/mt5_proto.h"

/* MqlTick.flags (TICK_FLAG_*) */
enum mt5_tick_flag {
	MT5_TICK_BID = 2, MT5_TICK_ASK = 4, MT5_TICK_LAST = 8, MT5_TICK_VOLUME = 16,
	MT5_TICK_BUY = 32, MT5_TICK_SELL = 64
};

/*
 * MT5's trade server return codes (ENUM_TRADE_RETURN_CODES, the MQL5
 * reference "Return Codes of the Trade Server").  The ones the bridge
 * speaks of; the numbers are MT5's.
 */
enum mt5_retcode {
	MT5_RC_NONE = 0,
	MT5_RC_REQUOTE = 10004,        /* requote */
	MT5_RC_REJECT = 10006,         /* request rejected */
	MT5_RC_CANCEL = 10007,         /* request canceled by trader */
	MT5_RC_PLACED = 10008,         /* order placed */
	MT5_RC_DONE = 10009,           /* request completed */
	MT5_RC_DONE_PARTIAL = 10010,   /* only part of the request was completed */
	MT5_RC_ERROR = 10011,          /* request processing error */
	MT5_RC_TIMEOUT = 10012,        /* request canceled by timeout */
	MT5_RC_INVALID = 10013,        /* invalid request */
	MT5_RC_INVALID_VOLUME = 10014, /* invalid volume in the request */
	MT5_RC_INVALID_PRICE = 10015,  /* invalid price in the request */
	MT5_RC_INVALID_STOPS = 10016,  /* invalid stops in the request */
	MT5_RC_TRADE_DISABLED = 10017, /* trade is disabled */
	MT5_RC_MARKET_CLOSED = 10018,  /* market is closed */
	MT5_RC_NO_MONEY = 10019,       /* there is not enough money */
	MT5_RC_PRICE_CHANGED = 10020,  /* prices changed */
	MT5_RC_PRICE_OFF = 10021,      /* there are no quotes to process the request */
	MT5_RC_INVALID_EXPIRATION = 10022, /* invalid order expiration date */
	MT5_RC_TOO_MANY_REQUESTS = 10024,  /* too frequent requests */
	MT5_RC_LIMIT_ORDERS = 10033    /* the number of pending orders reached the limit */
};

/* "REQUOTE", "DONE"... for the codes above, else NULL.  Pure. */
const char *mt5_retcode_name(uint32_t rc);

/* The symbol's conversion factors, from HELLO. */
struct mt5_sym {
	int64_t tick_pts;              /* points per tick of the instrument, > 0 */
	int32_t server_time_offset_s;  /* trade server time - UTC, s */
	uint32_t instrument;           /* event.instrument of the events made */
};

/* A trade server time in ms into UTC ns, and back (ms, rounded down).  Pure. */
static inline int64_t mt5_msc_to_ns(const struct mt5_sym *s, int64_t time_msc)
{
	return (time_msc - (int64_t)s->server_time_offset_s * 1000) * 1000000;
}
static inline int64_t mt5_ns_to_msc(const struct mt5_sym *s, int64_t ns)
{
	int64_t ms = ns >= 0 ? ns / 1000000 : -((-ns + 999999) / 1000000);
	return ms + (int64_t)s->server_time_offset_s * 1000;
}

/*
 * A book event into BOOK (book_seq, ea_us as given): the event's asks
 * from the deepest up, then its bids from the best down.  0, or -EINVAL
 * when ev is not a book.  Pure.
 */
int mt5_book_from_event(struct mt5_book *out, const struct event *ev, const struct mt5_sym *s,
                        uint64_t book_seq, uint64_t ea_us);

/*
 * A trade event into TICK: last = the print's price, volume its size,
 * BUY / SELL from its aggressor, bid and ask from best_bid / best_ask
 * (ticks, 0 when unknown: the flags then leave them out).  0, or -EINVAL
 * when ev is not a trade.  Pure.
 */
int mt5_tick_from_trade(struct mt5_tick *out, const struct event *ev, const struct mt5_sym *s,
                        int64_t best_bid, int64_t best_ask, uint64_t tick_seq, uint64_t ea_us);

/*
 * BOOK into a book event (recv_ns as given; flags 0).  Levels at the
 * market (BOOK_SIDE_*_MARKET) carry no price and are skipped; levels
 * past EV_MAX_LEVELS per side are dropped.  0, or -MT5_EVALUE for a price
 * that is not a positive whole number of ticks, a volume above INT64_MAX
 * or a side out of order (a bid above an ask in MarketBookGet's order).
 * Pure.
 */
int mt5_event_from_book(struct event *ev, const struct mt5_book *b, const struct mt5_sym *s,
                        int64_t recv_ns);

/*
 * TICK into a trade event: 1 with *ev for a print (LAST flag, volume >
 * 0), 0 for a tick without one (*ev untouched), -MT5_EVALUE for a price
 * that is not a positive whole number of ticks.  Pure.
 */
int mt5_event_from_tick(struct event *ev, const struct mt5_tick *t, const struct mt5_sym *s,
                        int64_t recv_ns);

/*
 * The retcode a refusal of the venue simulator stands for
 * (enum venue_reason, libcore/venue): bad quantity -> INVALID_VOLUME, bad
 * price -> INVALID_PRICE, bad side, type, tif, id or instrument ->
 * INVALID, no book -> PRICE_OFF, table full -> LIMIT_ORDERS, a refused
 * cancel -> INVALID (unknown order) or REJECT (too late); anything else
 * REJECT.  Pure.
 */
uint32_t mt5_retcode_of_reason(uint32_t venue_reason);

/*
 * What an order of DreamMaker's becomes on the wire (NEW_ORDER): side,
 * kind (limit or market), filling (IOC -> IOC, FOK -> FOK, DAY ->
 * RETURN), price in points, volume in lots x 10^8, the client order id
 * and dm_us.  0, or -EINVAL for a side, type or tif DreamMaker does not
 * have, a quantity <= 0.  Pure.
 */
int mt5_new_order_from_msg(struct mt5_new_order *out, const struct msg_order *o,
                           const struct mt5_sym *s, uint64_t dm_us);

/*
 * NEW_ORDER back into DreamMaker's order (the fake terminal feeds its
 * venue simulator with it): 0, or -MT5_EVALUE for what the simulator
 * cannot model (stop orders, a volume that is not whole lots, a price
 * that is not whole ticks).  decision_id 0, hdr zero.  Pure.
 */
int mt5_msg_from_new_order(struct msg_order *out, const struct mt5_new_order *n,
                           const struct mt5_sym *s);

/*
 * A report of the venue simulator as the EA's TRADE (the fake terminal's
 * transactions): ACK -> PLACED, PARTIAL / FILLED -> the deal (PARTIAL,
 * FILLED; deal = exec_id + deal_base), CANCELLED -> CANCELLED, REJECTED
 * -> REJECTED, or CANCEL_REJECTED for a refused cancel, with the retcode
 * of mt5_retcode_of_reason.  order = venue_order_id + order_base (0 stays
 * 0); ov (may be NULL) the venue's view of the order for its kind, price
 * and volume.  MT5's raw numbers as OnTradeTransaction gives them.  ea_us
 * 0 (the caller stamps it).  0, or -EINVAL for another status.  Pure.
 */
struct venue_order_view;
int mt5_trade_from_report(struct mt5_trade *out, const struct msg_exec_report *r,
                          const struct venue_order_view *ov, const struct mt5_sym *s,
                          uint64_t order_base, uint64_t deal_base);

/*
 * The EA's TRADE as the report the execution service takes (the mt5
 * venue's side): PLACED -> ACK, PARTIAL / FILLED -> the fill (exec_id the
 * deal ticket, last_px in ticks, last_qty, cum and leaves in contracts),
 * CANCELLED / EXPIRED -> CANCELLED (VENUE_R_REQUESTED), REJECTED ->
 * REJECTED with the venue reason the retcode stands for (INVALID_VOLUME
 * bad_qty, INVALID_PRICE bad_price, PRICE_OFF no_book, LIMIT_ORDERS
 * table_full, INVALID bad_type, anything else broker), CANCEL_REJECTED ->
 * REJECTED with cxl_unknown (INVALID) or cxl_too_late.  venue_order_id is
 * the order ticket, venue_ns the trade server time in UTC; fees and
 * liquidity are not in a TRADE (0).  1 with *out, 0 for a transaction
 * that is no report (MODIFIED, MODIFY_REJECTED, OTHER, or not ours: coid
 * 0), -MT5_EVALUE for a price off the tick grid or a volume that is not
 * whole lots.  Pure.
 */
int mt5_report_from_trade(struct msg_exec_report *out, const struct mt5_trade *t,
                          const struct mt5_sym *s);

#endif /* DM_LIBCORE_MT5_MT5_MD_H */
