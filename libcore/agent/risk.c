/* risk.c — position keeping and pre-trade checks (risk.h). */
#include <errno.h>
#include <string.h>

#include "libcore/agent/risk.h"
#include "libcore/vote/vote.h"

void risk_pos_init(struct risk_pos *p)
{
	memset(p, 0, sizeof(*p));
}

int risk_pos_fill(struct risk_pos *p, uint64_t exec_id, int side, int64_t px,
		  int64_t qty, int64_t fee_mbrl)
{
	if ((side != 1 && side != -1) || qty <= 0)
		return -EINVAL;
	if (exec_id && exec_id <= p->last_exec_id)
		return 0;
	int64_t pos = p->position;
	int64_t d = side * qty;
	if (pos == 0 || (pos > 0) == (d > 0)) {
		/* opening or adding: weighted average */
		int64_t n = (pos < 0 ? -pos : pos) + qty;
		p->avg_px = (p->avg_px * (double)(pos < 0 ? -pos : pos) + (double)px * (double)qty) /
			    (double)n;
	} else {
		int64_t open = pos < 0 ? -pos : pos;
		int64_t closed = qty < open ? qty : open;
		p->realized_ticks += ((double)px - p->avg_px) * (double)closed * (pos > 0 ? 1 : -1);
		if (qty > open)
			p->avg_px = (double)px; /* flipped: the rest opens at px */
		else if (qty == open)
			p->avg_px = 0;
	}
	p->position = pos + d;
	p->fees_mbrl += fee_mbrl;
	p->fills++;
	p->volume += qty;
	if (exec_id)
		p->last_exec_id = exec_id;
	return 1;
}

double risk_pos_unrealized(const struct risk_pos *p)
{
	if (!p->position || !p->mark_px)
		return 0;
	return ((double)p->mark_px - p->avg_px) * (double)p->position;
}

void risk_reserved(struct risk_reserve *r, int64_t now_ns, int64_t *buy, int64_t *sell)
{
	*buy = *sell = 0;
	for (int i = 0; i < RISK_RESERVE_MAX; i++) {
		if (!r->qty[i])
			continue;
		if (now_ns >= r->expiry_ns[i])
			r->qty[i] = 0;
		else if (r->qty[i] > 0)
			*buy += r->qty[i];
		else
			*sell -= r->qty[i];
	}
}

int risk_reserve(struct risk_reserve *r, int side, int64_t qty, int64_t expiry_ns)
{
	for (int i = 0; i < RISK_RESERVE_MAX; i++)
		if (!r->qty[i]) {
			r->qty[i] = side * qty;
			r->expiry_ns[i] = expiry_ns;
			return 0;
		}
	return -ENOSPC;
}

uint32_t risk_check(const struct risk_limits *l, const struct risk_pos *p, int64_t pend_buy,
		    int64_t pend_sell, int killed, int side, int64_t px, int64_t qty)
{
	if (killed)
		return VOTE_R_KILL_SWITCH;
	if ((side != 1 && side != -1) || qty <= 0 || px < 0)
		return VOTE_R_BAD_ORDER;
	if (qty > l->max_order_qty)
		return VOTE_R_QTY_LIMIT;
	/* the position if this order and every pending one on its side fill */
	int64_t worst = side > 0 ? p->position + pend_buy + qty : p->position - pend_sell - qty;
	if ((worst < 0 ? -worst : worst) > l->max_position)
		return VOTE_R_POS_LIMIT;
	if (l->collar_ticks && p->mark_px && px) {
		int64_t dev = px - p->mark_px;
		if ((dev < 0 ? -dev : dev) > l->collar_ticks)
			return VOTE_R_PRICE_COLLAR;
	}
	return VOTE_R_APPROVED;
}
