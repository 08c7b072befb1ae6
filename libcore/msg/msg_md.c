/* msg_md.c — a replayed event as its market message (msg_md.h). */
#include <string.h>

#include "libcore/msg/msg_md.h"

_Static_assert(sizeof(struct book_level) == sizeof(struct msg_level), "levels copy as is");
_Static_assert(EV_MAX_LEVELS == MSG_BOOK_LEVELS, "event and message carry as many levels");

/* MSG_BOOK_SORTED when both sides of book event ev, as far as a message
 * carries them, are strictly best first with sizes > 0. */
static uint32_t sorted_flag(const struct event *ev)
{
	uint32_t nb = ev->book.n_bid < MSG_BOOK_LEVELS ? ev->book.n_bid : MSG_BOOK_LEVELS;
	uint32_t na = ev->book.n_ask < MSG_BOOK_LEVELS ? ev->book.n_ask : MSG_BOOK_LEVELS;
	return book_levels_sorted(BOOK_BID, ev->book.bid, nb) &&
	       book_levels_sorted(BOOK_ASK, ev->book.ask, na) ? MSG_BOOK_SORTED : 0;
}

uint32_t msg_md_from_event(union msg_md *m, const struct event *ev)
{
	int64_t recv = ev->recv_ns ? ev->recv_ns : ev->exch_ns;
	if (ev->kind == EV_BOOK) {
		struct msg_book *b = &m->book;
		memset(b, 0, offsetof(struct msg_book, bid));
		b->hdr.type = MSG_BOOK;
		b->hdr.version = 0;
		b->hdr.flags = MSG_F_CONFLATABLE | MSG_F_REPLAY;
		b->hdr.size = sizeof(*b);
		b->exch_ns = ev->exch_ns;
		b->recv_ns = recv;
		b->instrument = ev->instrument;
		b->n_bid = ev->book.n_bid;
		b->n_ask = ev->book.n_ask;
		b->book_flags = ev->book.flags;
		b->md_flags = sorted_flag(ev);
		memcpy(b->bid, ev->book.bid, sizeof(b->bid));
		memcpy(b->ask, ev->book.ask, sizeof(b->ask));
		return sizeof(*b);
	}
	if (ev->kind != EV_TRADE)
		return 0;
	struct msg_trade *t = &m->trade;
	memset(t, 0, sizeof(*t));
	t->hdr.type = MSG_TRADE;
	t->hdr.flags = MSG_F_REPLAY;
	t->hdr.size = sizeof(*t);
	t->exch_ns = ev->exch_ns;
	t->recv_ns = recv;
	t->px = ev->trade.px;
	t->qty = ev->trade.qty;
	t->trade_id = ev->trade.trade_id;
	t->instrument = ev->instrument;
	t->aggressor = ev->trade.aggressor;
	t->trade_flags = ev->trade.flags & EV_TRADE_HIDDEN ? TRADE_F_HIDDEN : 0;
	return sizeof(*t);
}

/*
 * n levels of one side into d, level by level (a handful of moves, where
 * a memcpy of a variable length may become a slow-starting string
 * instruction), checked on the way as book_levels_sorted checks them:
 * returns 1 when they are not strictly best first with sizes > 0.
 */
static inline uint32_t copy_side(struct msg_level *d, const struct book_level *s, uint32_t n,
				 enum book_side side)
{
	if (!n)
		return 0;
	uint32_t odd = s[0].qty <= 0;
	int64_t prev = s[0].px;
	d[0].px = s[0].px;
	d[0].qty = s[0].qty;
	for (uint32_t i = 1; i < n; i++) {
		int64_t px = s[i].px, qty = s[i].qty;
		odd |= (uint32_t)(qty <= 0) |
		       (uint32_t)(side == BOOK_BID ? px >= prev : px <= prev);
		d[i].px = px;
		d[i].qty = qty;
		prev = px;
	}
	return odd;
}

uint32_t msg_md_book_over(struct msg_book *b, const struct event *ev)
{
	if (ev->kind != EV_BOOK)
		return 0;
	uint32_t nb = ev->book.n_bid < MSG_BOOK_LEVELS ? ev->book.n_bid : MSG_BOOK_LEVELS;
	uint32_t na = ev->book.n_ask < MSG_BOOK_LEVELS ? ev->book.n_ask : MSG_BOOK_LEVELS;
	uint32_t ob = b->n_bid < MSG_BOOK_LEVELS ? b->n_bid : MSG_BOOK_LEVELS;
	uint32_t oa = b->n_ask < MSG_BOOK_LEVELS ? b->n_ask : MSG_BOOK_LEVELS;
	const struct msg_level zero = { 0, 0 };
	uint32_t odd = copy_side(b->bid, ev->book.bid, nb, BOOK_BID) |
		       copy_side(b->ask, ev->book.ask, na, BOOK_ASK);
	for (uint32_t i = nb; i < ob; i++)
		b->bid[i] = zero;
	for (uint32_t i = na; i < oa; i++)
		b->ask[i] = zero;
	memset(b, 0, offsetof(struct msg_book, bid));
	b->hdr.type = MSG_BOOK;
	b->hdr.flags = MSG_F_CONFLATABLE | MSG_F_REPLAY;
	b->hdr.size = sizeof(*b);
	b->exch_ns = ev->exch_ns;
	b->recv_ns = ev->recv_ns ? ev->recv_ns : ev->exch_ns;
	b->instrument = ev->instrument;
	b->n_bid = ev->book.n_bid;
	b->n_ask = ev->book.n_ask;
	b->book_flags = ev->book.flags;
	b->md_flags = odd ? 0 : MSG_BOOK_SORTED;
	return sizeof(*b);
}

uint32_t msg_md_end(union msg_md *m, int64_t exch_ns, uint64_t events)
{
	struct msg_end *e = &m->end;
	memset(e, 0, sizeof(*e));
	e->hdr.type = MSG_END;
	e->hdr.flags = MSG_F_REPLAY;
	e->hdr.size = sizeof(*e);
	e->exch_ns = exch_ns;
	e->events = events;
	return sizeof(*e);
}
