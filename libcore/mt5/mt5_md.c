/*
 * mt5_md.c — events and orders to and from the bridge's messages
 * (mt5_md.h has the units and the rules).
 */
#include <errno.h>
#include <string.h>

#include "libcore/mt5/mt5_md.h"
#include "libcore/venue/venue.h"

const char *mt5_retcode_name(uint32_t rc)
{
	switch (rc) {
	case MT5_RC_REQUOTE: return "REQUOTE";
	case MT5_RC_REJECT: return "REJECT";
	case MT5_RC_CANCEL: return "CANCEL";
	case MT5_RC_PLACED: return "PLACED";
	case MT5_RC_DONE: return "DONE";
	case MT5_RC_DONE_PARTIAL: return "DONE_PARTIAL";
	case MT5_RC_ERROR: return "ERROR";
	case MT5_RC_TIMEOUT: return "TIMEOUT";
	case MT5_RC_INVALID: return "INVALID";
	case MT5_RC_INVALID_VOLUME: return "INVALID_VOLUME";
	case MT5_RC_INVALID_PRICE: return "INVALID_PRICE";
	case MT5_RC_INVALID_STOPS: return "INVALID_STOPS";
	case MT5_RC_TRADE_DISABLED: return "TRADE_DISABLED";
	case MT5_RC_MARKET_CLOSED: return "MARKET_CLOSED";
	case MT5_RC_NO_MONEY: return "NO_MONEY";
	case MT5_RC_PRICE_CHANGED: return "PRICE_CHANGED";
	case MT5_RC_PRICE_OFF: return "PRICE_OFF";
	case MT5_RC_INVALID_EXPIRATION: return "INVALID_EXPIRATION";
	case MT5_RC_TOO_MANY_REQUESTS: return "TOO_MANY_REQUESTS";
	case MT5_RC_LIMIT_ORDERS: return "LIMIT_ORDERS";
	default: return NULL;
	}
}

static void level_put(struct mt5_book_level *l, uint8_t side, const struct book_level *b,
		      const struct mt5_sym *s)
{
	l->side = side;
	l->price = b->px * s->tick_pts;
	l->volume = b->qty > 0 ? (uint64_t)b->qty : 0;
	l->volume_real_e8 = b->qty > 0 ? b->qty * 100000000 : 0;
}

int mt5_book_from_event(struct mt5_book *out, const struct event *ev, const struct mt5_sym *s,
                        uint64_t book_seq, uint64_t ea_us)
{
	if (ev->kind != EV_BOOK)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->book_seq = book_seq;
	out->time_msc = mt5_ns_to_msc(s, ev->exch_ns);
	out->ea_us = ea_us;
	uint32_t na = ev->book.n_ask < EV_MAX_LEVELS ? ev->book.n_ask : EV_MAX_LEVELS;
	uint32_t nb = ev->book.n_bid < EV_MAX_LEVELS ? ev->book.n_bid : EV_MAX_LEVELS;
	uint32_t n = 0;
	/* MarketBookGet's order: highest price first, so the asks deepest first */
	for (uint32_t i = na; i-- > 0 && n < MT5_BOOK_LEVELS_MAX;)
		level_put(&out->levels[n++], MT5_BOOK_SIDE_ASK, &ev->book.ask[i], s);
	for (uint32_t i = 0; i < nb && n < MT5_BOOK_LEVELS_MAX; i++)
		level_put(&out->levels[n++], MT5_BOOK_SIDE_BID, &ev->book.bid[i], s);
	out->n_levels = (uint16_t)n;
	return 0;
}

int mt5_tick_from_trade(struct mt5_tick *out, const struct event *ev, const struct mt5_sym *s,
                        int64_t best_bid, int64_t best_ask, uint64_t tick_seq, uint64_t ea_us)
{
	if (ev->kind != EV_TRADE)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->tick_seq = tick_seq;
	out->time_msc = mt5_ns_to_msc(s, ev->exch_ns);
	out->flags = MT5_TICK_LAST | MT5_TICK_VOLUME;
	if (ev->trade.aggressor > 0)
		out->flags |= MT5_TICK_BUY;
	else if (ev->trade.aggressor < 0)
		out->flags |= MT5_TICK_SELL;
	if (best_bid > 0) {
		out->bid = best_bid * s->tick_pts;
		out->flags |= MT5_TICK_BID;
	}
	if (best_ask > 0) {
		out->ask = best_ask * s->tick_pts;
		out->flags |= MT5_TICK_ASK;
	}
	out->last = ev->trade.px * s->tick_pts;
	out->volume = ev->trade.qty > 0 ? (uint64_t)ev->trade.qty : 0;
	out->volume_real_e8 = ev->trade.qty > 0 ? ev->trade.qty * 100000000 : 0;
	out->ea_us = ea_us;
	return 0;
}

/* points -> ticks: 0 with *ticks, or -MT5_EVALUE (not a positive whole
 * number of ticks) */
static int to_ticks(int64_t pts, const struct mt5_sym *s, int64_t *ticks)
{
	if (s->tick_pts <= 0 || pts <= 0 || pts % s->tick_pts)
		return -MT5_EVALUE;
	*ticks = pts / s->tick_pts;
	return 0;
}

int mt5_event_from_book(struct event *ev, const struct mt5_book *b, const struct mt5_sym *s,
                        int64_t recv_ns)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = EV_BOOK;
	ev->instrument = s->instrument;
	ev->exch_ns = mt5_msc_to_ns(s, b->time_msc);
	ev->recv_ns = recv_ns;
	/* asks come highest first: collect them, then reverse to best first */
	struct book_level asks[MT5_BOOK_LEVELS_MAX];
	uint32_t na = 0, nb = 0;
	int seen_bid = 0;
	for (uint32_t i = 0; i < b->n_levels && i < MT5_BOOK_LEVELS_MAX; i++) {
		const struct mt5_book_level *l = &b->levels[i];
		if (l->side == MT5_BOOK_SIDE_BID_MARKET || l->side == MT5_BOOK_SIDE_ASK_MARKET)
			continue;
		if (l->volume > (uint64_t)INT64_MAX)
			return -MT5_EVALUE;
		struct book_level lv;
		if (to_ticks(l->price, s, &lv.px) < 0)
			return -MT5_EVALUE;
		lv.qty = (int64_t)l->volume;
		if (l->side == MT5_BOOK_SIDE_ASK) {
			if (seen_bid)
				return -MT5_EVALUE; /* an ask below a bid in MarketBookGet's order */
			asks[na++] = lv;
		} else if (nb < EV_MAX_LEVELS) {
			seen_bid = 1;
			ev->book.bid[nb++] = lv;
		} else {
			seen_bid = 1;
		}
	}
	uint32_t keep = na < EV_MAX_LEVELS ? na : EV_MAX_LEVELS;
	for (uint32_t k = 0; k < keep; k++)
		ev->book.ask[k] = asks[na - 1 - k];
	ev->book.n_ask = (uint16_t)keep;
	ev->book.n_bid = (uint16_t)nb;
	return 0;
}

int mt5_event_from_tick(struct event *ev, const struct mt5_tick *t, const struct mt5_sym *s,
                        int64_t recv_ns)
{
	if (!(t->flags & MT5_TICK_LAST) || t->volume == 0)
		return 0;
	int64_t px;
	if (to_ticks(t->last, s, &px) < 0 || t->volume > (uint64_t)INT64_MAX)
		return -MT5_EVALUE;
	memset(ev, 0, sizeof(*ev));
	ev->kind = EV_TRADE;
	ev->instrument = s->instrument;
	ev->exch_ns = mt5_msc_to_ns(s, t->time_msc);
	ev->recv_ns = recv_ns;
	ev->trade.px = px;
	ev->trade.qty = (int64_t)t->volume;
	ev->trade.aggressor = (t->flags & MT5_TICK_BUY) ? 1 : (t->flags & MT5_TICK_SELL) ? -1 : 0;
	return 1;
}

uint32_t mt5_retcode_of_reason(uint32_t r)
{
	switch (r) {
	case VENUE_R_BAD_QTY: return MT5_RC_INVALID_VOLUME;
	case VENUE_R_BAD_PRICE: return MT5_RC_INVALID_PRICE;
	case VENUE_R_BAD_SIDE:
	case VENUE_R_BAD_TYPE:
	case VENUE_R_BAD_TIF:
	case VENUE_R_BAD_ID:
	case VENUE_R_INSTRUMENT:
	case VENUE_R_REPLACE_TARGET: return MT5_RC_INVALID;
	case VENUE_R_NO_BOOK: return MT5_RC_PRICE_OFF;
	case VENUE_R_TABLE_FULL: return MT5_RC_LIMIT_ORDERS;
	case VENUE_R_CXL_UNKNOWN: return MT5_RC_INVALID;
	case VENUE_R_CXL_TOO_LATE: return MT5_RC_REJECT;
	default: return MT5_RC_REJECT;
	}
}

int mt5_new_order_from_msg(struct mt5_new_order *out, const struct msg_order *o,
                           const struct mt5_sym *s, uint64_t dm_us)
{
	memset(out, 0, sizeof(*out));
	if (o->qty <= 0)
		return -EINVAL;
	if (o->side == SIDE_BUY)
		out->side = MT5_SIDE_BUY;
	else if (o->side == SIDE_SELL)
		out->side = MT5_SIDE_SELL;
	else
		return -EINVAL;
	if (o->ord_type == ORD_LIMIT)
		out->kind = MT5_KIND_LIMIT;
	else if (o->ord_type == ORD_MARKET)
		out->kind = MT5_KIND_MARKET;
	else
		return -EINVAL;
	switch (o->tif) {
	case TIF_DAY: out->filling = MT5_FILLING_RETURN; out->tif = MT5_TIF_DAY; break;
	case TIF_IOC: out->filling = MT5_FILLING_IOC; out->tif = MT5_TIF_DAY; break;
	case TIF_FOK: out->filling = MT5_FILLING_FOK; out->tif = MT5_TIF_DAY; break;
	default: return -EINVAL;
	}
	out->coid = o->client_order_id;
	out->volume_e8 = (int64_t)o->qty * 100000000;
	out->price = o->ord_type == ORD_LIMIT ? o->px * s->tick_pts : 0;
	out->dm_us = dm_us;
	return 0;
}

int mt5_msg_from_new_order(struct msg_order *out, const struct mt5_new_order *n,
                           const struct mt5_sym *s)
{
	memset(out, 0, sizeof(*out));
	if (n->kind != MT5_KIND_LIMIT && n->kind != MT5_KIND_MARKET)
		return -MT5_EVALUE;
	if (n->volume_e8 <= 0 || n->volume_e8 % 100000000 || n->volume_e8 / 100000000 > INT32_MAX)
		return -MT5_EVALUE;
	out->client_order_id = n->coid;
	out->side = n->side == MT5_SIDE_BUY ? SIDE_BUY : SIDE_SELL;
	out->qty = (int32_t)(n->volume_e8 / 100000000);
	out->instrument = s->instrument;
	if (n->kind == MT5_KIND_LIMIT) {
		out->ord_type = ORD_LIMIT;
		if (to_ticks(n->price, s, &out->px) < 0)
			return -MT5_EVALUE;
	} else {
		out->ord_type = ORD_MARKET;
	}
	switch (n->filling) {
	case MT5_FILLING_IOC: out->tif = TIF_IOC; break;
	case MT5_FILLING_FOK: out->tif = TIF_FOK; break;
	default: out->tif = n->kind == MT5_KIND_MARKET ? TIF_IOC : TIF_DAY; break;
	}
	return 0;
}

/* MT5's raw numbers (information in TRADE) */
enum { TX_ORDER_ADD = 0, TX_HISTORY_ADD = 3, TX_DEAL_ADD = 6, TX_REQUEST = 10 };
enum { OS_PLACED = 1, OS_CANCELED = 2, OS_PARTIAL = 3, OS_FILLED = 4, OS_REJECTED = 5 };

int mt5_trade_from_report(struct mt5_trade *out, const struct msg_exec_report *r,
                          const struct venue_order_view *ov, const struct mt5_sym *s,
                          uint64_t order_base, uint64_t deal_base)
{
	memset(out, 0, sizeof(*out));
	out->coid = r->client_order_id;
	out->side = r->side == SIDE_BUY ? MT5_SIDE_ANY_BUY : MT5_SIDE_ANY_SELL;
	out->kind = ov && ov->ord_type == ORD_MARKET ? MT5_KIND_MARKET : MT5_KIND_LIMIT;
	out->order = r->venue_order_id ? r->venue_order_id + order_base : 0;
	out->time_msc = mt5_ns_to_msc(s, r->venue_ns);
	out->cum_volume_e8 = (int64_t)r->cum_qty * 100000000;
	out->leaves_volume_e8 = (int64_t)r->leaves_qty * 100000000;
	out->price = ov ? ov->px * s->tick_pts : 0;
	out->volume_e8 = ov ? (int64_t)ov->qty * 100000000 : 0;
	switch (r->status) {
	case EXEC_ACK:
		out->event = MT5_EVENT_PLACED;
		out->raw_tx_type = TX_ORDER_ADD;
		out->raw_order_state = OS_PLACED;
		out->retcode = MT5_RC_PLACED;
		return 0;
	case EXEC_PARTIAL:
	case EXEC_FILLED:
		out->event = r->status == EXEC_FILLED ? MT5_EVENT_FILLED : MT5_EVENT_PARTIAL;
		out->raw_tx_type = TX_DEAL_ADD;
		out->raw_order_state = r->status == EXEC_FILLED ? OS_FILLED : OS_PARTIAL;
		out->raw_deal_type = r->side == SIDE_BUY ? 0 : 1;
		out->retcode = r->status == EXEC_FILLED ? MT5_RC_DONE : MT5_RC_DONE_PARTIAL;
		out->deal = r->exec_id + deal_base;
		out->price = r->last_px * s->tick_pts;
		out->volume_e8 = (int64_t)r->last_qty * 100000000;
		return 0;
	case EXEC_CANCELLED:
		out->event = MT5_EVENT_CANCELLED;
		out->raw_tx_type = TX_HISTORY_ADD;
		out->raw_order_state = OS_CANCELED;
		out->retcode = MT5_RC_DONE;
		return 0;
	case EXEC_REJECTED:
		out->event = venue_reason_is_cancel_reject(r->reason) ? MT5_EVENT_CANCEL_REJECTED
								     : MT5_EVENT_REJECTED;
		out->raw_tx_type = TX_REQUEST;
		if (out->event == MT5_EVENT_REJECTED)
			out->raw_order_state = OS_REJECTED;
		out->retcode = mt5_retcode_of_reason(r->reason);
		return 0;
	default:
		return -EINVAL;
	}
}

static uint32_t reason_of_retcode(uint32_t rc)
{
	switch (rc) {
	case MT5_RC_INVALID_VOLUME: return VENUE_R_BAD_QTY;
	case MT5_RC_INVALID_PRICE: return VENUE_R_BAD_PRICE;
	case MT5_RC_PRICE_OFF: return VENUE_R_NO_BOOK;
	case MT5_RC_LIMIT_ORDERS: return VENUE_R_TABLE_FULL;
	case MT5_RC_INVALID: return VENUE_R_BAD_TYPE;
	default: return VENUE_R_BROKER;
	}
}

/* lots x 10^8 -> whole contracts: 0, or -MT5_EVALUE */
static int lots(int64_t e8, int32_t *out)
{
	if (e8 < 0 || e8 % 100000000 || e8 / 100000000 > INT32_MAX)
		return -MT5_EVALUE;
	*out = (int32_t)(e8 / 100000000);
	return 0;
}

int mt5_report_from_trade(struct msg_exec_report *out, const struct mt5_trade *t,
                          const struct mt5_sym *s)
{
	memset(out, 0, sizeof(*out));
	if (!t->coid)
		return 0;
	out->hdr.type = MSG_EXEC_REPORT;
	out->hdr.version = MSG_VERSION;
	out->hdr.size = sizeof(*out);
	out->client_order_id = t->coid;
	out->venue_order_id = t->order;
	out->side = t->side == MT5_SIDE_ANY_BUY ? SIDE_BUY : t->side == MT5_SIDE_ANY_SELL ? SIDE_SELL
										      : 0;
	out->venue_ns = mt5_msc_to_ns(s, t->time_msc);
	if (lots(t->cum_volume_e8, &out->cum_qty) < 0 ||
	    lots(t->leaves_volume_e8, &out->leaves_qty) < 0)
		return -MT5_EVALUE;
	switch (t->event) {
	case MT5_EVENT_PLACED:
		out->status = EXEC_ACK;
		return 1;
	case MT5_EVENT_PARTIAL:
	case MT5_EVENT_FILLED:
		out->status = t->event == MT5_EVENT_FILLED ? EXEC_FILLED : EXEC_PARTIAL;
		out->exec_id = t->deal;
		if (to_ticks(t->price, s, &out->last_px) < 0 || lots(t->volume_e8, &out->last_qty) < 0 ||
		    out->last_qty == 0)
			return -MT5_EVALUE;
		return 1;
	case MT5_EVENT_CANCELLED:
	case MT5_EVENT_EXPIRED:
		out->status = EXEC_CANCELLED;
		out->reason = VENUE_R_REQUESTED;
		return 1;
	case MT5_EVENT_REJECTED:
		out->status = EXEC_REJECTED;
		out->reason = (uint8_t)reason_of_retcode(t->retcode);
		return 1;
	case MT5_EVENT_CANCEL_REJECTED:
		out->status = EXEC_REJECTED;
		out->reason = t->retcode == MT5_RC_INVALID ? VENUE_R_CXL_UNKNOWN : VENUE_R_CXL_TOO_LATE;
		return 1;
	default:
		return 0;
	}
}
