/*
 * mt5_recon.c — reconciliation with the terminal's snapshot (mt5_recon.h).
 */
#include <errno.h>
#include <string.h>

#include "libcore/msg/msg.h"
#include "libcore/mt5/mt5_recon.h"

int64_t mt5_snap_position(const struct mt5_link_snap *s)
{
	int64_t p = 0;
	for (uint32_t i = 0; i < s->n_positions; i++) {
		int64_t v = s->pos[i].volume_e8 / 100000000;
		p += s->pos[i].side == MT5_SIDE_BUY ? v : -v;
	}
	return p;
}

static int add(struct mt5_recon_plan *p, uint64_t coid, uint64_t ticket, uint32_t action,
	       int8_t side, int64_t qty)
{
	if (p->n >= MT5_RECON_MAX)
		return -E2BIG;
	struct mt5_recon_item *it = &p->it[p->n++];
	memset(it, 0, sizeof(*it));
	it->coid = coid;
	it->ticket = ticket;
	it->action = action;
	it->side = side;
	it->qty = qty;
	switch (action) {
	case MT5_RECON_KEEP: p->n_keep++; break;
	case MT5_RECON_FILLS_MISSED: p->n_missed++; break;
	case MT5_RECON_ENDED: p->n_ended++; break;
	default: p->n_cancel++; break;
	}
	return 0;
}

int mt5_recon_plan(const struct mt5_link_snap *s, const struct mt5_recon_ours *ours, uint32_t n,
                   int64_t our_pos, struct mt5_recon_plan *p)
{
	memset(p, 0, offsetof(struct mt5_recon_plan, it));
	p->terminal_pos = mt5_snap_position(s);
	p->our_pos = our_pos;
	uint8_t matched[MT5_LINK_SNAP_MAX];
	memset(matched, 0, sizeof(matched));
	int rc;
	for (uint32_t i = 0; i < n; i++) {
		const struct mt5_recon_ours *o = &ours[i];
		uint32_t j = 0;
		while (j < s->n_orders && (s->ord[j].coid != o->coid || o->coid == 0))
			j++;
		if (j < s->n_orders)
			matched[j] = 1;
		if (!o->open) {
			/* ended for us and still open at the terminal: cancel it */
			if (j < s->n_orders &&
			    (rc = add(p, o->coid, s->ord[j].ticket, MT5_RECON_CANCEL, o->side,
				      s->ord[j].volume_current_e8 / 100000000)) < 0)
				return rc;
			continue;
		}
		int64_t leaves = o->qty - o->cum;
		if (j == s->n_orders) {
			if ((rc = add(p, o->coid, 0, MT5_RECON_ENDED, o->side, leaves)) < 0)
				return rc;
			continue;
		}
		int64_t t_leaves = s->ord[j].volume_current_e8 / 100000000;
		if (t_leaves < leaves) {
			int64_t miss = leaves - t_leaves;
			p->missed_pos += o->side == SIDE_BUY ? miss : -miss;
			if ((rc = add(p, o->coid, s->ord[j].ticket, MT5_RECON_FILLS_MISSED, o->side,
				      miss)) < 0)
				return rc;
		} else if ((rc = add(p, o->coid, s->ord[j].ticket, MT5_RECON_KEEP, o->side, 0)) < 0) {
			return rc;
		}
	}
	for (uint32_t j = 0; j < s->n_orders; j++) {
		if (matched[j])
			continue;
		/* not ours (coid 0), or a coid we do not know */
		int8_t side = s->ord[j].side == MT5_SIDE_BUY ? SIDE_BUY : SIDE_SELL;
		if ((rc = add(p, s->ord[j].coid, s->ord[j].ticket, MT5_RECON_CANCEL, side,
			      s->ord[j].volume_current_e8 / 100000000)) < 0)
			return rc;
	}
	p->unexplained = p->terminal_pos - p->our_pos - p->missed_pos;
	return 0;
}

void mt5_recon_pos_init(struct mt5_recon_pos *r)
{
	memset(r, 0, sizeof(*r));
}

void mt5_recon_pos_snapshot(struct mt5_recon_pos *r, uint64_t stream,
                            const struct mt5_link_snap *s)
{
	r->pos = mt5_snap_position(s);
	r->stream = stream;
	r->covered_seq = s->last_seq;
	r->snapshots++;
}

int mt5_recon_pos_fill(struct mt5_recon_pos *r, uint64_t stream, uint64_t seq, int64_t qty)
{
	if (stream == r->stream && seq <= r->covered_seq) {
		r->covered++;
		return 0;
	}
	if (stream != r->stream) {
		/* a new stream: nothing of it is covered yet */
		r->stream = stream;
		r->covered_seq = 0;
	}
	r->pos += qty;
	r->fills++;
	return 1;
}
