/* msg_md.c — a replayed event as its market message (msg_md.h). */
#include <string.h>

#include "libcore/msg/msg_md.h"

_Static_assert(sizeof(struct book_level) == sizeof(struct msg_level), "levels copy as is");
_Static_assert(EV_MAX_LEVELS == MSG_BOOK_LEVELS, "event and message carry as many levels");

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

uint32_t msg_md_book_over(struct msg_book *b, const struct event *ev)
{
	if (ev->kind != EV_BOOK)
		return 0;
	uint32_t nb = ev->book.n_bid < MSG_BOOK_LEVELS ? ev->book.n_bid : MSG_BOOK_LEVELS;
	uint32_t na = ev->book.n_ask < MSG_BOOK_LEVELS ? ev->book.n_ask : MSG_BOOK_LEVELS;
	uint32_t ob = b->n_bid < MSG_BOOK_LEVELS ? b->n_bid : MSG_BOOK_LEVELS;
	uint32_t oa = b->n_ask < MSG_BOOK_LEVELS ? b->n_ask : MSG_BOOK_LEVELS;
	memcpy(b->bid, ev->book.bid, nb * sizeof(b->bid[0]));
	memcpy(b->ask, ev->book.ask, na * sizeof(b->ask[0]));
	if (ob > nb)
		memset(&b->bid[nb], 0, (ob - nb) * sizeof(b->bid[0]));
	if (oa > na)
		memset(&b->ask[na], 0, (oa - na) * sizeof(b->ask[0]));
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
