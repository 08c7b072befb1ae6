/*
 * mt5_lat.c — per-order latency legs of the live link (mt5_lat.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libcore/mt5/mt5_lat.h"

enum { ST_RECEIPT = 1, ST_ACK = 2, ST_FILL = 4, ST_DONE = 8 };

void mt5_lat_init(struct mt5_lat *t)
{
	memset(t, 0, sizeof(*t));
}

static struct mt5_lat_slot *slot_of(struct mt5_lat *t, uint64_t coid)
{
	return &t->s[(coid * 0x9E3779B97F4A7C15ull >> 40) & (MT5_LAT_SLOTS - 1)];
}

void mt5_lat_sent(struct mt5_lat *t, uint64_t coid, uint64_t decision_us, uint64_t send_us)
{
	struct mt5_lat_slot *s = slot_of(t, coid);
	if (s->coid && s->coid != coid && !(s->state & ST_DONE))
		t->evicted++;
	memset(s, 0, sizeof(*s));
	s->coid = coid;
	s->decision_us = decision_us;
	s->send_us = send_us;
	s->back_us = -1;
}

void mt5_lat_result(struct mt5_lat *t, const struct mt5_order_result *r)
{
	struct mt5_lat_slot *s = slot_of(t, r->coid);
	if (s->coid != r->coid || r->cmd != MT5_CMD_NEW || (s->state & ST_RECEIPT))
		return;
	s->receipt_ea = r->ea_us;
	s->state |= ST_RECEIPT;
}

int mt5_lat_trade(struct mt5_lat *t, const struct mt5_trade *tr, uint64_t recv_us,
                  const struct mt5_clock *c, struct mt5_lat_rec *out)
{
	struct mt5_lat_slot *s = slot_of(t, tr->coid);
	if (!tr->coid || s->coid != tr->coid || (s->state & ST_DONE))
		return 0;
	int64_t off, err;
	int have_off = mt5_clock_offset(c, &off, &err);
	if (have_off) {
		int64_t back = (int64_t)recv_us - ((int64_t)tr->ea_us - off);
		if (s->back_us < 0 || back < s->back_us)
			s->back_us = back;
	}
	int fill = tr->event == MT5_EVENT_PARTIAL || tr->event == MT5_EVENT_FILLED;
	int end = fill || tr->event == MT5_EVENT_REJECTED || tr->event == MT5_EVENT_CANCELLED ||
		  tr->event == MT5_EVENT_EXPIRED;
	if (!(s->state & ST_ACK) && (tr->event == MT5_EVENT_PLACED || end)) {
		s->ack_ea = tr->ea_us;
		s->state |= ST_ACK;
	}
	if (fill) {
		s->fill_ea = tr->ea_us;
		s->state |= ST_FILL;
	}
	if (!end || !(s->state & ST_RECEIPT) || !have_off)
		return 0;
	s->state |= ST_DONE;
	memset(out, 0, sizeof(*out));
	out->coid = s->coid;
	out->offset_us = off;
	out->offset_err_us = err;
	out->decision_send_us = s->decision_us ? (int64_t)(s->send_us - s->decision_us) : -1;
	out->send_receipt_us = ((int64_t)s->receipt_ea - off) - (int64_t)s->send_us;
	out->receipt_ack_us = (int64_t)(s->ack_ea - s->receipt_ea);
	out->ack_fill_us = (s->state & ST_FILL) ? (int64_t)(s->fill_ea - s->ack_ea) : -1;
	out->back_us = s->back_us;
	int64_t e = out->send_receipt_us + out->receipt_ack_us / 2;
	int64_t r = out->receipt_ack_us - out->receipt_ack_us / 2 + (s->back_us > 0 ? s->back_us : 0);
	out->entry_us = e > 0 ? e : 0;
	out->response_us = r > 0 ? r : 0;
	t->records++;
	return 1;
}

int mt5_lat_format(const struct mt5_lat_rec *r, char *buf, size_t n)
{
	int k = snprintf(buf, n, "# coid %llu decision_send %lld send_receipt %lld receipt_ack "
			 "%lld ack_fill %lld back %lld offset %lld +-%lld\n%lld %lld\n",
			 (unsigned long long)r->coid, (long long)r->decision_send_us,
			 (long long)r->send_receipt_us, (long long)r->receipt_ack_us,
			 (long long)r->ack_fill_us, (long long)r->back_us, (long long)r->offset_us,
			 (long long)r->offset_err_us, (long long)r->entry_us,
			 (long long)r->response_us);
	if (k < 0 || (size_t)k >= n)
		return -ENOBUFS;
	return k;
}

const char *mt5_lat_header(void)
{
	return "# DreamMaker live latencies through the MetaTrader 5 bridge (docs/mt5-bridge.md,\n"
	       "# \"The latency file\"): one order a line, \"entry_us response_us\", the venue\n"
	       "# simulator's latency file (venue.latency_file).  Above each, its legs in us:\n"
	       "# decision_send, send_receipt (with the clock offset), receipt_ack and\n"
	       "# ack_fill (the terminal's clock), back (the report's way back); -1 unknown.\n"
	       "# entry = send_receipt + receipt_ack/2; response = receipt_ack/2 + back.\n";
}
