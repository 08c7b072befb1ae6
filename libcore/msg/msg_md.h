/*
 * msg_md.h — the market message of a replayed event, built one way for
 * every host that publishes one (the data agent, the in-process trader),
 * so both feed the modules byte-identical messages.
 */
#ifndef DM_LIBCORE_MSG_MD_H
#define DM_LIBCORE_MSG_MD_H

#include <stdint.h>

#include "libcore/market/event.h"
#include "libcore/msg/msg.h"

/* Room for any market message. */
union msg_md {
	struct msg_hdr   hdr;
	struct msg_book  book;
	struct msg_trade trade;
	struct msg_end   end;
};

/*
 * ev (EV_BOOK or EV_TRADE) as MSG_BOOK / MSG_TRADE flagged MSG_F_REPLAY
 * (books also MSG_F_CONFLATABLE, and MSG_BOOK_SORTED in md_flags when
 * book_levels_sorted accepts both sides): exchange time, the input's own receive
 * time (its exchange time when the input has none: never the local time a
 * host got to it, so features on the receive clock do not depend on the
 * machine), levels or trade fields; seq, ingress_ns and send_ns are the
 * host's (0 here).  Every byte of the message is written.  Returns its
 * size, or 0 for another kind of event (nothing written).
 */
uint32_t msg_md_from_event(union msg_md *m, const struct event *ev);

/*
 * A book event as msg_md_from_event makes it, written over b, which holds
 * the last message this function made in it, or zeros: the levels past
 * b's counts are zero, so only the header, the levels present and the
 * levels b held past the new counts are written.  The levels past the
 * counts are zero whatever ev holds there; for an event whose are (every
 * feed's and the journal reader's are) the message is msg_md_from_event's
 * byte for byte.  Returns its size, or 0 when ev is not a book (b
 * untouched).  No allocation; O(levels held).
 */
uint32_t msg_md_book_over(struct msg_book *b, const struct event *ev);

/* MSG_END after the last event: exch_ns of that event, events replayed.
 * Returns its size. */
uint32_t msg_md_end(union msg_md *m, int64_t exch_ns, uint64_t events);

#endif /* DM_LIBCORE_MSG_MD_H */
