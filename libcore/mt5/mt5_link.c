/*
 * mt5_link.c — DreamMaker's end of a bridge connection (mt5_link.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libcore/mt5/mt5_link.h"

/* ------------------------------------------------------------ the clocks */

void mt5_clock_init(struct mt5_clock *c)
{
	memset(c, 0, sizeof(*c));
	c->lo = c->lo_prev = INT64_MIN;
	c->hi = c->hi_prev = INT64_MAX;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* the bounds over the current and the previous window */
static void bounds(const struct mt5_clock *c, int64_t *lo, int64_t *hi)
{
	*lo = max64(c->lo, c->lo_prev);
	*hi = min64(c->hi, c->hi_prev);
}

/* Bounds that cross: a clock jumped.  Start over from the sample that
 * crossed (kept in the current window of its kind). */
static void check_cross(struct mt5_clock *c, int was_lo, int64_t v)
{
	int64_t lo, hi;
	bounds(c, &lo, &hi);
	if (lo == INT64_MIN || hi == INT64_MAX || lo <= hi)
		return;
	uint64_t resets = c->resets + 1, samples = c->samples;
	mt5_clock_init(c);
	c->resets = resets;
	c->samples = samples;
	if (was_lo) {
		c->lo = v;
		c->n_lo = 1;
	} else {
		c->hi = v;
		c->n_hi = 1;
	}
}

void mt5_clock_rx(struct mt5_clock *c, uint64_t ea_us, uint64_t dm_us)
{
	int64_t v = (int64_t)(ea_us - dm_us);
	c->samples++;
	if (c->n_lo >= MT5_CLOCK_WINDOW) {
		c->lo_prev = c->lo;
		c->lo = INT64_MIN;
		c->n_lo = 0;
	}
	c->lo = max64(c->lo, v);
	c->n_lo++;
	check_cross(c, 1, v);
}

void mt5_clock_echo(struct mt5_clock *c, uint64_t ea_us, uint64_t dm_us)
{
	int64_t v = (int64_t)(ea_us - dm_us);
	c->samples++;
	if (c->n_hi >= MT5_CLOCK_WINDOW) {
		c->hi_prev = c->hi;
		c->hi = INT64_MAX;
		c->n_hi = 0;
	}
	c->hi = min64(c->hi, v);
	c->n_hi++;
	check_cross(c, 0, v);
}

int mt5_clock_offset(const struct mt5_clock *c, int64_t *offset_us, int64_t *err_us)
{
	int64_t lo, hi;
	bounds(c, &lo, &hi);
	if (lo == INT64_MIN || hi == INT64_MAX)
		return 0;
	*offset_us = lo + (hi - lo) / 2;
	*err_us = (hi - lo + 1) / 2;
	return 1;
}

/* ------------------------------------------------------------ output */

static void fail(struct mt5_link *l, const char *why)
{
	if (!l->want_close)
		snprintf(l->why, sizeof(l->why), "%s", why);
	l->want_close = 1;
}

static void put_bytes(struct mt5_link *l, const void *p, size_t n)
{
	if (l->out_len + n > MT5_LINK_OUT_CAP) {
		l->st.out_overflow += n;
		fail(l, "the terminal does not read: output buffer full");
		return;
	}
	memcpy(l->out + l->out_len, p, n);
	l->out_len += (uint32_t)n;
}

static void put_msg(struct mt5_link *l, const struct mt5_msg *m, int64_t now_ns)
{
	uint8_t f[MT5_FRAME_MAX];
	int n = mt5_msg_encode(f, sizeof(f), 0, 0, m);
	if (n < 0)
		return;
	put_bytes(l, f, (size_t)n);
	mt5_hb_on_tx(&l->hb, now_ns);
}

void mt5_link_consumed(struct mt5_link *l, uint32_t n)
{
	if (n >= l->out_len) {
		l->out_len = 0;
		return;
	}
	memmove(l->out, l->out + n, l->out_len - n);
	l->out_len -= n;
}

/* ------------------------------------------------------------ lifecycle */

int mt5_link_init(struct mt5_link *l, const struct mt5_link_cfg *cfg,
                  const struct mt5_link_out *out, uint64_t cmd_stream_id)
{
	if (!cfg || !cfg->key || !cfg->key->len || !cfg->symbol[0] || cmd_stream_id == 0 ||
	    cfg->hb_interval_ns <= 0 || cfg->hb_timeout_ns < 2 * cfg->hb_interval_ns ||
	    cfg->handshake_timeout_ns <= 0)
		return -EINVAL;
	memset(l, 0, offsetof(struct mt5_link, out));
	l->cfg = *cfg;
	l->cfg.symbol[sizeof(l->cfg.symbol) - 1] = '\0';
	if (out)
		l->out_if = *out;
	mt5_hs_server_init(&l->hs, cfg->key);
	l->cmd_stream_id = cmd_stream_id;
	mt5_seq_tx_init(&l->tx, 1);
	mt5_outbox_init(&l->ob, l->obmem, sizeof(l->obmem));
	mt5_seq_rx_init(&l->rx, 1);
	mt5_clock_init(&l->clock);
	l->next_req_id = 1;
	return 0;
}

static void went_down(struct mt5_link *l, const char *why)
{
	int was_up = l->phase == MT5_LINK_UP;
	l->phase = MT5_LINK_DOWN;
	l->snap_open = 0;
	if (was_up && l->out_if.state)
		l->out_if.state(l->out_if.ctx, 0, why);
}

int mt5_link_connect(struct mt5_link *l, const uint8_t nonce[MT5_NONCE_LEN], int64_t now_ns)
{
	if (l->phase != MT5_LINK_DOWN)
		went_down(l, "a new connection replaced it");
	int rc = mt5_hs_server_begin(&l->hs, nonce, now_ns, l->cfg.handshake_timeout_ns);
	if (rc < 0)
		return rc;
	mt5_dec_init(&l->dec, l->decbuf, sizeof(l->decbuf));
	l->out_len = 0;
	l->want_close = 0;
	l->why[0] = '\0';
	l->errs = 0;
	l->errs_since_ns = now_ns;
	l->gap_since_ns = 0;
	l->phase = MT5_LINK_HANDSHAKE;
	l->st.connections++;
	mt5_hb_init(&l->hb, l->cfg.hb_interval_ns, l->cfg.hb_timeout_ns, now_ns);
	return 0;
}

void mt5_link_disconnect(struct mt5_link *l, const char *why)
{
	went_down(l, why && *why ? why : "connection closed");
	l->out_len = 0;
}

/* ------------------------------------------------------------ commands */

static int64_t send_seq(struct mt5_link *l, const struct mt5_msg *m, int64_t now_ns)
{
	uint8_t f[MT5_FRAME_MAX];
	uint64_t seq = l->tx.next;
	int n = mt5_msg_encode(f, sizeof(f), seq, 0, m);
	if (n < 0)
		return n == -MT5_EVALUE ? -EINVAL : n;
	int rc = mt5_outbox_put(&l->ob, f, (size_t)n);
	if (rc < 0)
		return rc;
	mt5_seq_tx_take(&l->tx);
	l->st.commands++;
	if (l->phase == MT5_LINK_UP) {
		put_bytes(l, f, (size_t)n);
		mt5_hb_on_tx(&l->hb, now_ns);
	}
	return (int64_t)seq;
}

int64_t mt5_link_send_order(struct mt5_link *l, const struct mt5_new_order *o, int64_t now_ns)
{
	struct mt5_msg m = { .type = MT5_T_NEW_ORDER };
	m.u.new_order = *o;
	return send_seq(l, &m, now_ns);
}

int64_t mt5_link_take_order(struct mt5_link *l, const struct mt5_new_order *o, int64_t now_ns)
{
	if (l->phase != MT5_LINK_UP)
		return -ENOTCONN;
	return mt5_link_send_order(l, o, now_ns);
}

int64_t mt5_link_send_cancel(struct mt5_link *l, const struct mt5_cancel *c, int64_t now_ns)
{
	struct mt5_msg m = { .type = MT5_T_CANCEL };
	m.u.cancel = *c;
	return send_seq(l, &m, now_ns);
}

uint64_t mt5_link_request_snapshot(struct mt5_link *l, int64_t now_ns)
{
	if (l->phase != MT5_LINK_UP)
		return 0;
	struct mt5_msg m = { .type = MT5_T_SNAPSHOT_REQ };
	m.u.snapshot_req.req_id = l->next_req_id++;
	put_msg(l, &m, now_ns);
	return m.u.snapshot_req.req_id;
}

/* Every held command from from_seq on, marked resent; a SEQ_RESET first
 * when the store no longer holds from_seq. */
static void resend_cmds(struct mt5_link *l, uint64_t from_seq, int64_t now_ns)
{
	uint64_t first = l->ob.count ? l->ob.first_seq : l->tx.next;
	if (from_seq < first) {
		struct mt5_msg m = { .type = MT5_T_SEQ_RESET };
		m.u.seq_reset.next_seq = first;
		m.u.seq_reset.reason = MT5_RESET_OVERFLOW;
		put_msg(l, &m, now_ns);
		from_seq = first;
	}
	for (uint64_t s = from_seq; s < l->tx.next; s++) {
		const uint8_t *f;
		size_t len;
		if (mt5_outbox_get(&l->ob, s, &f, &len) != 1)
			continue;
		uint8_t copy[MT5_FRAME_MAX];
		memcpy(copy, f, len);
		mt5_frame_mark_resent(copy);
		put_bytes(l, copy, len);
		l->st.commands_resent++;
	}
}

static void cmd_acked(struct mt5_link *l, uint64_t ack_seq)
{
	if (ack_seq >= l->tx.next)
		return; /* an ack of a number never sent: ignored */
	mt5_seq_tx_ack(&l->tx, ack_seq);
	mt5_outbox_ack(&l->ob, ack_seq);
}

/* ------------------------------------------------------------ the handshake */

static void accept_ea(struct mt5_link *l, int64_t now_ns, int64_t wall_ns)
{
	const struct mt5_hello *h = &l->hs.hello;
	uint8_t f[MT5_FRAME_MAX];
	size_t len = 0;
	if (strcmp(h->symbol, l->cfg.symbol) != 0) {
		char d[96];
		snprintf(d, sizeof(d), "symbol %.24s is not %.24s: see mt5.symbols",
			 h->symbol, l->cfg.symbol);
		mt5_hs_server_refuse(&l->hs, MT5_REFUSE_SYMBOL, d, f, sizeof(f), &len);
		put_bytes(l, f, len);
		l->st.refused++;
		fail(l, "refused: another symbol");
		return;
	}
	if (h->tick_size_pts <= 0) {
		mt5_hs_server_refuse(&l->hs, MT5_REFUSE_PROTOCOL, "tick size 0", f, sizeof(f), &len);
		put_bytes(l, f, len);
		l->st.refused++;
		fail(l, "refused: tick size 0");
		return;
	}
	l->hello = *h;
	l->sym.tick_pts = h->tick_size_pts;
	l->sym.server_time_offset_s = h->server_time_offset_s;
	l->sym.instrument = l->cfg.instrument;
	if (h->stream_id != l->ea_stream_id) {
		/* a stream we do not know (the EA restarted, or we did): from 1;
		 * what it no longer holds comes as SEQ_RESET */
		l->ea_stream_id = h->stream_id;
		mt5_seq_rx_init(&l->rx, 1);
	}
	l->last_tick_seq = l->last_book_seq = 0;
	struct mt5_accept a;
	memset(&a, 0, sizeof(a));
	a.resume_seq = l->rx.next;
	a.cmd_stream_id = l->cmd_stream_id;
	a.next_cmd_seq = l->tx.next;
	a.hb_interval_ms = (uint32_t)(l->cfg.hb_interval_ns / 1000000);
	a.hb_timeout_ms = (uint32_t)(l->cfg.hb_timeout_ns / 1000000);
	a.backoff_min_ms = (uint32_t)(l->cfg.reconnect_min_ns / 1000000);
	a.backoff_max_ms = (uint32_t)(l->cfg.reconnect_max_ns / 1000000);
	if (!a.backoff_min_ms)
		a.backoff_min_ms = 100;
	if (a.backoff_max_ms < a.backoff_min_ms)
		a.backoff_max_ms = a.backoff_min_ms;
	a.dm_time_ns = wall_ns;
	if (mt5_hs_server_accept(&l->hs, &a, f, sizeof(f), &len) < 0) {
		fail(l, "cannot accept");
		return;
	}
	put_bytes(l, f, len);
	l->phase = MT5_LINK_UP;
	l->st.accepted++;
	mt5_hb_init(&l->hb, l->cfg.hb_interval_ns, l->cfg.hb_timeout_ns, now_ns);
	/* commands: what the EA carried out is done; the rest again */
	if (h->cmd_stream_id == l->cmd_stream_id) {
		cmd_acked(l, h->last_cmd_seq);
		resend_cmds(l, h->last_cmd_seq + 1, now_ns);
	} else {
		uint64_t first = l->ob.count ? l->ob.first_seq : l->tx.next;
		if (first > 1) {
			/* the EA starts our stream at 1: the numbers before what we
			 * hold were carried out by an EA that is gone */
			struct mt5_msg m = { .type = MT5_T_SEQ_RESET };
			m.u.seq_reset.next_seq = first;
			m.u.seq_reset.reason = MT5_RESET_RESTART;
			put_msg(l, &m, now_ns);
		}
		resend_cmds(l, first, now_ns);
	}
	if (l->out_if.state)
		l->out_if.state(l->out_if.ctx, 1, "accepted");
}

/* ------------------------------------------------------------ the session */

static void frame_error(struct mt5_link *l, int err, int64_t now_ns)
{
	l->st.frame_errors++;
	if (now_ns - l->errs_since_ns > l->cfg.hb_timeout_ns) {
		l->errs = 0;
		l->errs_since_ns = now_ns;
	}
	if (err == -MT5_EVERSION)
		fail(l, "a frame of another protocol version");
	else if (++l->errs > MT5_LINK_MAX_ERRORS)
		fail(l, "more than 16 bad frames within a heartbeat timeout");
}

/* 1 when the deal was seen lately (a transaction reported twice) */
static int deal_seen(struct mt5_link *l, uint64_t deal)
{
	uint64_t *slot = &l->deals[(deal * 0x9E3779B97F4A7C15ull >> 40) & (MT5_LINK_DEALS - 1)];
	if (*slot == deal)
		return 1;
	*slot = deal;
	return 0;
}

static void on_market_frame(struct mt5_link *l, const struct mt5_msg *m, uint64_t dm_us,
			    int64_t wall_ns)
{
	struct event ev;
	if (m->type == MT5_T_TICK) {
		const struct mt5_tick *t = &m->u.tick;
		l->st.ticks++;
		if (l->last_tick_seq && t->tick_seq != l->last_tick_seq + 1)
			l->st.tick_gaps++;
		l->last_tick_seq = t->tick_seq;
		mt5_clock_rx(&l->clock, t->ea_us, dm_us);
		int rc = mt5_event_from_tick(&ev, t, &l->sym, wall_ns);
		if (rc < 0) {
			l->st.md_errors++;
			return;
		}
		if (rc == 1) {
			l->st.prints++;
			if (l->out_if.md)
				l->out_if.md(l->out_if.ctx, &ev, t->ea_us);
		}
		return;
	}
	const struct mt5_book *b = &m->u.book;
	l->st.books++;
	if (l->last_book_seq && b->book_seq != l->last_book_seq + 1)
		l->st.book_gaps++;
	l->last_book_seq = b->book_seq;
	mt5_clock_rx(&l->clock, b->ea_us, dm_us);
	if (mt5_event_from_book(&ev, b, &l->sym, wall_ns) < 0) {
		l->st.md_errors++;
		return;
	}
	if (l->out_if.md)
		l->out_if.md(l->out_if.ctx, &ev, b->ea_us);
}

static void on_snapshot_frame(struct mt5_link *l, const struct mt5_msg *m)
{
	struct mt5_link_snap *s = &l->snap;
	switch (m->type) {
	case MT5_T_SNAPSHOT_BEGIN:
		memset(s, 0, offsetof(struct mt5_link_snap, pos));
		s->req_id = m->u.snapshot_begin.req_id;
		s->last_seq = m->u.snapshot_begin.last_seq;
		s->time_msc = m->u.snapshot_begin.time_msc;
		l->snap_open = 1;
		return;
	case MT5_T_POSITION:
		if (l->snap_open && m->u.position.req_id == s->req_id &&
		    s->n_positions < MT5_LINK_SNAP_MAX)
			s->pos[s->n_positions++] = m->u.position;
		return;
	case MT5_T_ORDER:
		if (l->snap_open && m->u.order.req_id == s->req_id && s->n_orders < MT5_LINK_SNAP_MAX)
			s->ord[s->n_orders++] = m->u.order;
		return;
	default:
		if (!l->snap_open || m->u.snapshot_end.req_id != s->req_id)
			return;
		l->snap_open = 0;
		if (m->u.snapshot_end.n_sent != s->n_positions + s->n_orders) {
			l->st.md_errors++; /* incomplete: ask again */
			return;
		}
		l->st.snapshots++;
		if (l->out_if.snapshot)
			l->out_if.snapshot(l->out_if.ctx, s);
	}
}

/* A sequenced report.  1 when it moved the stream (acknowledge). */
static int on_report(struct mt5_link *l, const struct mt5_frame *f, const struct mt5_msg *m,
		     uint64_t dm_us, int64_t now_ns)
{
	int v = mt5_seq_rx_check(&l->rx, f->h.seq);
	if (v == MT5_SEQ_DUP) {
		l->st.dup_reports++;
		return 1;
	}
	if (v == MT5_SEQ_GAP || v == MT5_SEQ_GAP_ASK) {
		l->st.gaps++;
		if (!l->gap_since_ns)
			l->gap_since_ns = now_ns;
		if (v == MT5_SEQ_GAP_ASK) {
			struct mt5_msg r = { .type = MT5_T_RESEND };
			r.u.resend.from_seq = l->rx.next;
			put_msg(l, &r, now_ns);
			l->st.resends_asked++;
		}
		return 0;
	}
	l->gap_since_ns = 0;
	if (m->type == MT5_T_TRADE) {
		const struct mt5_trade *t = &m->u.trade;
		mt5_clock_rx(&l->clock, t->ea_us, dm_us);
		if ((t->event == MT5_EVENT_PARTIAL || t->event == MT5_EVENT_FILLED) && t->deal &&
		    deal_seen(l, t->deal)) {
			l->st.dup_deals++;
			return 1;
		}
		l->st.trades++;
		if (l->out_if.trade)
			l->out_if.trade(l->out_if.ctx, t, f->h.seq, dm_us);
	} else {
		const struct mt5_order_result *r = &m->u.order_result;
		mt5_clock_rx(&l->clock, r->ea_us, dm_us);
		if (r->echo_dm_us)
			mt5_clock_echo(&l->clock, r->ea_us, r->echo_dm_us);
		l->st.results++;
		if (l->out_if.result)
			l->out_if.result(l->out_if.ctx, r, dm_us);
	}
	return 1;
}

/* One frame of the session; 1 when it asks for an ACK. */
static int on_frame(struct mt5_link *l, const struct mt5_frame *f, int64_t now_ns, int64_t wall_ns)
{
	struct mt5_msg m;
	int rc = mt5_msg_decode(f, &m);
	if (rc < 0) {
		frame_error(l, rc, now_ns);
		return 0;
	}
	if (mt5_msg_dir(m.type) == MT5_DIR_D2E) {
		frame_error(l, -MT5_EPROTO, now_ns);
		return 0;
	}
	uint64_t dm_us = (uint64_t)(now_ns / 1000);
	switch (m.type) {
	case MT5_T_TICK:
	case MT5_T_BOOK:
		on_market_frame(l, &m, dm_us, wall_ns);
		return 0;
	case MT5_T_TRADE:
	case MT5_T_ORDER_RESULT:
		return on_report(l, f, &m, dm_us, now_ns);
	case MT5_T_HEARTBEAT:
		l->peer_hb_us = m.u.heartbeat.time_us;
		mt5_clock_rx(&l->clock, m.u.heartbeat.time_us, dm_us);
		if (m.u.heartbeat.echo_us)
			mt5_clock_echo(&l->clock, m.u.heartbeat.time_us, m.u.heartbeat.echo_us);
		cmd_acked(l, m.u.heartbeat.ack_seq);
		return 0;
	case MT5_T_ACK:
		cmd_acked(l, m.u.ack.ack_seq);
		return 0;
	case MT5_T_RESEND:
		resend_cmds(l, m.u.resend.from_seq, now_ns);
		return 0;
	case MT5_T_SEQ_RESET: {
		int64_t lost = mt5_seq_rx_reset(&l->rx, m.u.seq_reset.next_seq);
		if (lost > 0) {
			l->st.lost += (uint64_t)lost;
			l->gap_since_ns = 0;
			/* the lost reports' effects: from the terminal's own state */
			mt5_link_request_snapshot(l, now_ns);
		}
		return 1;
	}
	case MT5_T_SNAPSHOT_BEGIN:
	case MT5_T_POSITION:
	case MT5_T_ORDER:
	case MT5_T_SNAPSHOT_END:
		on_snapshot_frame(l, &m);
		return 0;
	case MT5_T_BYE:
		fail(l, "the terminal said bye");
		return 0;
	default:
		frame_error(l, -MT5_EPROTO, now_ns);
		return 0;
	}
}

uint8_t *mt5_link_space(struct mt5_link *l, uint32_t *room)
{
	return mt5_dec_space(&l->dec, room);
}

void mt5_link_commit(struct mt5_link *l, uint32_t n, int64_t now_ns, int64_t wall_ns)
{
	if (l->phase == MT5_LINK_DOWN)
		return;
	mt5_dec_commit(&l->dec, n);
	if (n)
		mt5_hb_on_rx(&l->hb, now_ns);
	struct mt5_frame f;
	int rc, ack = 0;
	while (!l->want_close && (rc = mt5_dec_next(&l->dec, &f)) != 0) {
		if (rc < 0) {
			if (l->phase == MT5_LINK_HANDSHAKE) {
				uint8_t o[MT5_FRAME_MAX];
				size_t len = 0;
				mt5_hs_server_refuse(&l->hs, rc == -MT5_EVERSION ? MT5_REFUSE_VERSION
						     : MT5_REFUSE_PROTOCOL, "bad frame in the handshake",
						     o, sizeof(o), &len);
				put_bytes(l, o, len);
				l->st.refused++;
				fail(l, "bad frame in the handshake");
				break;
			}
			frame_error(l, rc, now_ns);
			continue;
		}
		if (l->phase == MT5_LINK_HANDSHAKE) {
			uint8_t o[MT5_FRAME_MAX];
			size_t len = 0;
			int st = mt5_hs_server_on_frame(&l->hs, &f, now_ns, o, sizeof(o), &len);
			if (len)
				put_bytes(l, o, len);
			if (st == MT5_HS_VERIFIED) {
				accept_ea(l, now_ns, wall_ns);
			} else if (st == MT5_HS_FAILED || st < 0) {
				l->st.refused++;
				fail(l, "handshake refused");
			}
			continue;
		}
		ack |= on_frame(l, &f, now_ns, wall_ns);
	}
	if (ack && l->phase == MT5_LINK_UP) {
		struct mt5_msg m = { .type = MT5_T_ACK };
		m.u.ack.ack_seq = mt5_seq_rx_acked(&l->rx);
		put_msg(l, &m, now_ns);
	}
}

int mt5_link_step(struct mt5_link *l, int64_t now_ns)
{
	if (l->phase == MT5_LINK_HANDSHAKE) {
		uint8_t o[MT5_FRAME_MAX];
		size_t len = 0;
		if (mt5_hs_server_tick(&l->hs, now_ns, o, sizeof(o), &len) == MT5_HS_FAILED) {
			put_bytes(l, o, len);
			fail(l, "handshake timeout");
		}
		return l->want_close;
	}
	if (l->phase != MT5_LINK_UP)
		return l->want_close;
	if (mt5_hb_expired(&l->hb, now_ns)) {
		fail(l, "heartbeat timeout: the terminal is silent");
		return 1;
	}
	if (l->gap_since_ns && now_ns - l->gap_since_ns > l->cfg.hb_timeout_ns) {
		fail(l, "a gap in the reports not filled within a heartbeat timeout");
		return 1;
	}
	if (mt5_hb_send_due(&l->hb, now_ns)) {
		struct mt5_msg m = { .type = MT5_T_HEARTBEAT };
		m.u.heartbeat.time_us = (uint64_t)(now_ns / 1000);
		m.u.heartbeat.echo_us = l->peer_hb_us;
		m.u.heartbeat.ack_seq = mt5_seq_rx_acked(&l->rx);
		put_msg(l, &m, now_ns);
	}
	return l->want_close;
}

int64_t mt5_link_next_ns(const struct mt5_link *l)
{
	if (l->phase == MT5_LINK_HANDSHAKE)
		return l->hs.deadline_ns;
	if (l->phase != MT5_LINK_UP)
		return INT64_MAX;
	return mt5_hb_next_ns(&l->hb);
}
