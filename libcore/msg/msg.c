/*
 * msg.c — the layout hash of the messages, and the vote request of an
 * intent (msg.h).
 */
#include <string.h>

#include "libcore/msg/msg.h"
#include "libcore/mt5/mt5_venue.h" /* the terminal's commands and events (venue.kind mt5) */
#include "libcore/types.h"

/*
 * Every size and offset a process relies on when it reads a message another
 * process wrote.  Adding a field to any message changes the hash, and
 * processes built before the change refuse to attach.
 */
#define L(type, field) offsetof(struct type, field)
static const uint64_t layout_words[] = {
	MSG_VERSION, MSG_BOOK_LEVELS, MSG_NFEATURES,
	sizeof(struct msg_hdr), L(msg_hdr, type), L(msg_hdr, size), L(msg_hdr, seq),
	L(msg_hdr, ingress_ns), L(msg_hdr, send_ns),
	sizeof(struct msg_level), sizeof(struct msg_book), L(msg_book, n_bid),
	L(msg_book, bid), L(msg_book, ask),
	sizeof(struct msg_trade), L(msg_trade, px), L(msg_trade, qty), L(msg_trade, aggressor),
	sizeof(struct msg_features), L(msg_features, f),
	sizeof(struct msg_intent), L(msg_intent, px), L(msg_intent, qty), L(msg_intent, prob),
	L(msg_intent, market_ns),
	sizeof(struct msg_vote_req), L(msg_vote_req, decision_id), L(msg_vote_req, deadline_ns),
	sizeof(struct msg_vote), L(msg_vote, verdict), L(msg_vote, reason), L(msg_vote, intent_id),
	sizeof(struct msg_order), L(msg_order, client_order_id), L(msg_order, px),
	sizeof(struct msg_cancel), L(msg_cancel, client_order_id),
	sizeof(struct msg_exec_report), L(msg_exec_report, last_px), L(msg_exec_report, status),
	L(msg_exec_report, reason), L(msg_exec_report, liquidity),
	L(msg_exec_report, fee_e9), L(msg_exec_report, decision_id),
	sizeof(struct msg_position), L(msg_position, position), L(msg_position, realized_e9),
	sizeof(struct msg_control), L(msg_control, cmd), L(msg_control, text),
	MSG_END, sizeof(struct msg_end), L(msg_end, exch_ns), L(msg_end, events),
	MSG_VOTE_DONE, sizeof(struct msg_vote_done), L(msg_vote_done, decision_id),
	L(msg_vote_done, outcome), L(msg_vote_done, intent_id),
	MSG_VENUE_CMD, sizeof(struct msg_venue_cmd), L(msg_venue_cmd, u),
	MSG_VENUE_EVENT, sizeof(struct msg_venue_event), L(msg_venue_event, seq),
	L(msg_venue_event, u),
};
#undef L

uint64_t msg_layout_hash(void)
{
	return dm_layout_hash(layout_words, sizeof(layout_words) / sizeof(layout_words[0]));
}

void msg_vote_req_of_intent(struct msg_vote_req *q, const struct msg_intent *it)
{
	memset(q, 0, sizeof(*q));
	q->hdr.type = MSG_VOTE_REQ;
	q->hdr.size = sizeof(*q);
	q->hdr.flags = it->hdr.flags & MSG_F_REPLAY;
	q->hdr.ingress_ns = it->hdr.ingress_ns;
	q->intent_id = it->intent_id;
	q->px = it->px;
	q->qty = it->qty;
	q->side = it->side;
	q->ord_type = it->ord_type;
	q->tif = it->tif;
	q->instrument = it->instrument;
}
