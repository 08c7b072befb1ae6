/*
 * dm-fake-mt5 — a MetaTrader 5 terminal with the bridge's Expert Advisor,
 * faked, and made to misbehave on request (docs/mt5-bridge.md, "The fake
 * terminal").
 *
 * It speaks the protocol as DreamMakerBridge.mq5 does: connects to
 * DreamMaker's listen address as a TCP client, proves the shared secret
 * (HELLO, CHALLENGE, AUTH, ACCEPT), sends a snapshot, then plays a market
 * file (any format dm-inspect reads) as TICK and BOOK messages at the
 * chosen pace, and carries out NEW_ORDER and CANCEL against its book with
 * the venue simulator (libcore/venue: latencies, queue position, partial
 * fills), reporting each transaction as TRADE with MT5's numbers and
 * retcodes.  Reports are sequenced and kept until DreamMaker acknowledges
 * them; it resends on RESEND and after a reconnect, as the EA does.
 *
 * Its own truth, for tests to compare against: --fill-log (one CSV line a
 * deal) and --state (position and counters, at exit).
 *
 * One thread, one poll() loop, non-blocking socket.  The faults
 * (--fault NAME[@N]) are in fault_tab below and in --help.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libcore/cli/cli.h"
#include "libcore/feed/feed.h"
#include "libcore/mt5/mt5_cfg.h"
#include "libcore/mt5/mt5_md.h"
#include "libcore/mt5/mt5_proto.h"
#include "libcore/mt5/mt5_session.h"
#include "libcore/replay/replay.h"
#include "libcore/venue/venue.h"

#define OUTBUF_CAP   (4u << 20)      /* bytes waiting for the socket */
#define OUTBOX_CAP   (1u << 20)      /* sequenced reports kept for resending */
#define COID_SLOTS   (1u << 16)      /* coids ever sent: never twice */
#define TICKET_BASE  500000000ull    /* order tickets: venue order id + this */
#define DEAL_BASE    700000000ull    /* deal tickets: exec id + this */
#define POS_TICKET   900000001ull    /* the one netting position's ticket */
#define FAKE_EA_VERSION 10000u       /* 1.0.0 */
#define MAX_REFUSALS 3               /* handshakes refused in a row: give up */

/* MT5's raw numbers (information in TRADE; mt5_md.c has the rest) */
enum { TX_REQUEST = 10 };
enum { OS_PLACED = 1, OS_PARTIAL = 3, OS_REJECTED = 5 };

/* ------------------------------------------------------------ faults */

enum fault_kind {
	F_DISCONNECT, F_GARBAGE, F_TRUNCATED, F_DUPLICATE, F_REORDER, F_EARLY, F_SLOW,
	F_HBSTOP, F_SKEW, F_RESTART, F_LOST, F_NKINDS
};

/* What N counts: market messages sent, reports sent, orders received,
 * deals made. */
enum fault_count { FC_MD, FC_REPORT, FC_ORDER, FC_DEAL };

static const struct {
	const char *name;
	uint8_t count;
	uint64_t def_at;
	const char *help;
} fault_tab[F_NKINDS] = {
	[F_DISCONNECT] = { "disconnect", FC_MD, 200, "after N market messages, write half a frame and "
			   "close; reconnect after the backoff" },
	[F_GARBAGE] = { "garbage", FC_MD, 200, "after N market messages, 61 random bytes" },
	[F_TRUNCATED] = { "truncated", FC_MD, 200, "after N market messages, a TICK frame cut in the "
			  "middle (the next frame is eaten by it)" },
	[F_DUPLICATE] = { "duplicate", FC_DEAL, 1, "the Nth deal's TRADE sent twice, the second "
			  "under a new sequence number (a repeated transaction)" },
	[F_REORDER] = { "reorder", FC_REPORT, 2, "the Nth report held back and sent after the "
			"next one (out-of-order transactions)" },
	[F_EARLY] = { "early-report", FC_ORDER, 1, "the Nth order's ORDER_RESULT sent after its "
		      "first TRADE (a report before the acknowledgement)" },
	[F_SLOW] = { "slow-reader", FC_MD, 200, "after N market messages, read nothing for "
		     "--slow-ms (backpressure on DreamMaker)" },
	[F_HBSTOP] = { "heartbeat-stop", FC_MD, 200, "after N market messages, send nothing at all "
		       "(heartbeats included) until DreamMaker closes" },
	[F_SKEW] = { "clock-skew", FC_MD, 200, "after N market messages, the trade server's clock "
		     "and the EA's microsecond clock jump --skew-ms ahead" },
	[F_RESTART] = { "restart", FC_MD, 200, "after N market messages, the terminal restarts: "
			"unacknowledged reports lost, a new stream, the server time an hour "
			"further off UTC" },
	[F_LOST] = { "lost-order", FC_ORDER, 1, "the Nth order accepted (ORDER_RESULT) and then "
		     "lost: never placed, never reported, in no snapshot" },
};

#define FAULTS_MAX 32
struct fault {
	uint8_t kind, fired;
	uint64_t at;
};

/* ------------------------------------------------------------ state */

struct args {
	const char *connect, *secret, *input, *format, *pace_s, *fill_log, *state, *order_log;
	const char *symbol, *latency_file;
	double speed;
	int pace;
	uint32_t entry_us, response_us;
	int64_t server_offset_s;
	uint64_t account;
	double linger_s;
	uint32_t slow_ms, skew_ms;
	uint32_t n_faults;
	struct fault faults[FAULTS_MAX];
	uint32_t n_rejects;
	struct { uint32_t rc; uint64_t at; uint8_t fired; } rejects[FAULTS_MAX];
	int quiet;
};

struct term {
	struct args a;
	struct mt5_key key;
	struct mt5_sym sym;
	struct mt5_addr addr;
	uint32_t digits;
	/* the connection */
	int fd;
	int phase;                 /* 0 down, 1 handshake, 2 session */
	struct mt5_dec dec;
	uint8_t decbuf[2 * MT5_FRAME_MAX];
	uint8_t *out;
	size_t out_len;            /* bytes held from out[0] */
	struct mt5_hs_client hs;
	struct mt5_hb hb;
	int muted;                 /* heartbeat-stop: send nothing */
	int64_t slow_until;        /* slow-reader: read nothing before */
	int64_t reconnect_at;
	uint32_t attempts;
	uint64_t connections;
	uint64_t peer_hb_us;       /* DreamMaker's last HEARTBEAT.time_us */
	int64_t hb_interval_ns, hb_timeout_ns, backoff_min_ns, backoff_max_ns;
	/* sequenced streams */
	uint64_t stream_id;
	struct mt5_seq_tx tx;
	struct mt5_outbox ob;
	uint8_t *obmem;
	struct mt5_seq_rx rx;      /* DreamMaker's commands */
	uint64_t cmd_stream_id;    /* the command stream served, 0 none */
	uint64_t seq_lost;         /* our numbers dropped by the restart fault */
	/* the market */
	struct replay rp;
	int have_input, input_done;
	int64_t last_exch_ns, last_local_ns, end_local_ns;
	int64_t best_bid, best_ask;
	uint64_t tick_seq, book_seq;
	uint64_t n_md, n_rep, n_orders, n_deals;
	/* the exchange */
	struct venue *v;
	uint64_t coids[COID_SLOTS];
	uint64_t n_coids;
	uint32_t request_id;
	int64_t pos;               /* net contracts */
	int64_t pos_value;         /* sum of px * qty of the open position, ticks */
	FILE *fill_log;
	FILE *order_log;                 /* --order-log */
	uint64_t coid_repeats;           /* NEW_ORDERs of a coid carried out before */
	uint64_t fills_logged, rejects_sent, dups_sent;
	/* faults in progress */
	uint8_t held[MT5_FRAME_MAX];  /* reorder: the frame held back */
	size_t held_len;
	struct mt5_order_result early; /* early-report: the result held back */
	int early_held;
	int64_t early_since;
	int64_t skew_us;
	int64_t clock_base_us;
	uint64_t faults_fired;
	int stop;
	int overflow;              /* the output buffer overflowed: close */
	int refusals;              /* handshakes refused in a row */
	int64_t last_session_ns;   /* last pass with a session up, 0 never */
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The EA's GetMicrosecondCount(): its own base, and the skew fault's jump. */
static uint64_t ea_us(const struct term *t, int64_t now)
{
	return (uint64_t)(t->clock_base_us + now / 1000 + t->skew_us);
}

static void say(const struct term *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct term *t, const char *fmt, ...)
{
	if (t->a.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "dm-fake-mt5: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ------------------------------------------------------------ output */

/* Queue n bytes for the socket (dropped while muted or down). */
static void out_bytes(struct term *t, const void *p, size_t n)
{
	if (t->fd < 0 || t->muted)
		return;
	if (t->out_len + n > OUTBUF_CAP) {
		say(t, "output buffer full (%zu bytes): DreamMaker does not read; closing",
		    t->out_len);
		t->overflow = 1;
		return;
	}
	memcpy(t->out + t->out_len, p, n);
	t->out_len += n;
}

static void flush_out(struct term *t)
{
	size_t off = 0;
	while (t->fd >= 0 && off < t->out_len) {
		ssize_t w = send(t->fd, t->out + off, t->out_len - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w < 0 && errno == EINTR)
			continue;
		break; /* the reader notices the close */
	}
	if (off) {
		memmove(t->out, t->out + off, t->out_len - off);
		t->out_len -= off;
	}
}

static void send_msg(struct term *t, const struct mt5_msg *m, int64_t now)
{
	uint8_t f[MT5_FRAME_MAX];
	int n = mt5_msg_encode(f, sizeof(f), 0, 0, m);
	if (n < 0) {
		say(t, "cannot encode %s: %s", mt5_msg_name(m->type), mt5_strerror(n));
		return;
	}
	out_bytes(t, f, (size_t)n);
	if (!t->muted)
		mt5_hb_on_tx(&t->hb, now);
}

/* Increment the counter behind the faults counted by c; 1 with the fault
 * that fires now in *k, else 0. */
static int fault_due(struct term *t, uint8_t c, uint64_t count, int kind)
{
	for (uint32_t i = 0; i < t->a.n_faults; i++) {
		struct fault *f = &t->a.faults[i];
		if (f->fired || f->kind != kind || fault_tab[f->kind].count != c)
			continue;
		if (count >= f->at) {
			f->fired = 1;
			t->faults_fired++;
			say(t, "fault %s fires (%s count %llu)", fault_tab[kind].name,
			    c == FC_MD ? "market" : c == FC_REPORT ? "report" :
			    c == FC_ORDER ? "order" : "deal", (unsigned long long)count);
			return 1;
		}
	}
	return 0;
}

/* A sequenced report: numbered, kept for resending, sent (faults apply). */
static void send_seq(struct term *t, const struct mt5_msg *m, int64_t now)
{
	uint8_t f[MT5_FRAME_MAX];
	uint64_t seq = mt5_seq_tx_take(&t->tx);
	int n = mt5_msg_encode(f, sizeof(f), seq, 0, m);
	if (n < 0) {
		say(t, "cannot encode %s: %s", mt5_msg_name(m->type), mt5_strerror(n));
		return;
	}
	while (mt5_outbox_put(&t->ob, f, (size_t)n) == -ENOBUFS)
		if (!mt5_outbox_drop_oldest(&t->ob))
			break;
	t->n_rep++;
	if (t->phase != 2)
		return; /* sent on reconnect, from the store */
	if (fault_due(t, FC_REPORT, t->n_rep, F_REORDER)) {
		memcpy(t->held, f, (size_t)n);
		t->held_len = (size_t)n;
		return;
	}
	out_bytes(t, f, (size_t)n);
	mt5_hb_on_tx(&t->hb, now);
	if (t->held_len) {
		out_bytes(t, t->held, t->held_len);
		t->held_len = 0;
	}
}

/* ------------------------------------------------------------ the exchange's reports */

static uint8_t side_mt5(int8_t s)
{
	return s == SIDE_BUY ? MT5_SIDE_BUY : MT5_SIDE_SELL;
}

static void log_fill(struct term *t, const struct mt5_trade *tr)
{
	if (!t->fill_log)
		return;
	fprintf(t->fill_log, "%llu,%llu,%llu,%s,%lld,%lld,%lld\n", (unsigned long long)tr->deal,
		(unsigned long long)tr->coid, (unsigned long long)tr->order,
		tr->side == MT5_SIDE_ANY_BUY ? "buy" : "sell",
		(long long)(tr->volume_e8 / 100000000), (long long)tr->price,
		(long long)tr->time_msc);
	fflush(t->fill_log);
	t->fills_logged++;
}

static void apply_fill(struct term *t, int8_t side, int64_t px, int64_t qty)
{
	int64_t d = side == SIDE_BUY ? qty : -qty;
	if (t->pos == 0 || (t->pos > 0) == (d > 0)) {
		t->pos_value += px * qty;
	} else {
		/* closing: the open value shrinks at its own average */
		int64_t close = llabs(d) < llabs(t->pos) ? llabs(d) : llabs(t->pos);
		t->pos_value -= t->pos_value * close / llabs(t->pos);
		if (llabs(d) > llabs(t->pos))
			t->pos_value = px * (llabs(d) - llabs(t->pos));
	}
	t->pos += d;
	if (t->pos == 0)
		t->pos_value = 0;
}

static void flush_early(struct term *t, int64_t now)
{
	if (!t->early_held)
		return;
	struct mt5_msg m = { .type = MT5_T_ORDER_RESULT };
	m.u.order_result = t->early;
	t->early_held = 0;
	send_seq(t, &m, now);
}

static void send_trade(struct term *t, struct mt5_trade *tr, int64_t now)
{
	struct mt5_msg m = { .type = MT5_T_TRADE };
	tr->ea_us = ea_us(t, now);
	m.u.trade = *tr;
	send_seq(t, &m, now);
	if (t->early_held && t->early.coid == tr->coid)
		flush_early(t, now);
}

/* One report of the venue simulator as the EA's TRADE (mt5_trade_from_report). */
static void on_venue_report(struct term *t, const struct msg_exec_report *r, int64_t now)
{
	struct mt5_trade tr;
	struct venue_order_view ov;
	int known = venue_query(t->v, r->client_order_id, &ov) == 0;
	if (mt5_trade_from_report(&tr, r, known ? &ov : NULL, &t->sym, TICKET_BASE, DEAL_BASE) < 0)
		return;
	if (tr.event == MT5_EVENT_PARTIAL || tr.event == MT5_EVENT_FILLED) {
		tr.position = POS_TICKET;
		apply_fill(t, r->side, r->last_px, r->last_qty);
		log_fill(t, &tr);
		t->n_deals++;
		send_trade(t, &tr, now);
		if (fault_due(t, FC_DEAL, t->n_deals, F_DUPLICATE)) {
			t->dups_sent++;
			send_trade(t, &tr, now); /* the same deal, a new number */
		}
		return;
	}
	send_trade(t, &tr, now);
}

/* The venue's clock: the market's time, which runs on from the newest
 * event at the pace's speed (realtime) or stands at it (max); after the
 * input, local time from the end on. */
static int64_t market_now(const struct term *t, int64_t now)
{
	if (!t->last_local_ns)
		return 0;
	if (t->input_done)
		return t->last_exch_ns + (now - t->end_local_ns);
	if (t->a.pace == REPLAY_MAX)
		return t->last_exch_ns;
	/* the replay's own anchor: market time runs with local time from it,
	 * so the venue's clock never jumps when an event is released late */
	int64_t wall0, t0;
	if (replay_anchor_get(&t->rp, &wall0, &t0)) {
		int64_t m = t0 + (int64_t)((double)(now - wall0) * t->a.speed);
		return m > t->last_exch_ns ? m : t->last_exch_ns;
	}
	return t->last_exch_ns + (int64_t)((double)(now - t->last_local_ns) * t->a.speed);
}

static void run_venue(struct term *t, int64_t now)
{
	int64_t mk = market_now(t, now);
	if (mk > t->v->now_ns)
		venue_advance(t->v, mk);
	struct msg_exec_report r;
	while (venue_poll(t->v, mk, &r) == 1)
		on_venue_report(t, &r, now);
}

/* ------------------------------------------------------------ commands */

static int coid_seen(struct term *t, uint64_t coid, int add)
{
	uint32_t h = (uint32_t)((coid * 0x9E3779B97F4A7C15ull) >> 48) & (COID_SLOTS - 1);
	for (uint32_t i = 0; i < COID_SLOTS; i++) {
		uint32_t k = (h + i) & (COID_SLOTS - 1);
		if (t->coids[k] == coid)
			return 1;
		if (t->coids[k] == 0) {
			if (add && t->n_coids < COID_SLOTS / 2) {
				t->coids[k] = coid;
				t->n_coids++;
			}
			return 0;
		}
	}
	return 0;
}

static void result(struct term *t, uint64_t cmd_seq, uint64_t coid, uint8_t cmd, int accepted,
		   uint32_t rc, uint64_t echo, const char *comment, int64_t now, int hold)
{
	struct mt5_msg m = { .type = MT5_T_ORDER_RESULT };
	struct mt5_order_result *o = &m.u.order_result;
	o->cmd_seq = cmd_seq;
	o->coid = coid;
	o->cmd = cmd;
	o->accepted = (uint8_t)accepted;
	o->retcode = rc;
	o->request_id = accepted ? ++t->request_id : 0;
	o->echo_dm_us = echo;
	o->ea_us = ea_us(t, now);
	snprintf(o->comment, sizeof(o->comment), "%s", comment);
	if (hold) {
		t->early = *o;
		t->early_held = 1;
		t->early_since = now;
		return;
	}
	send_seq(t, &m, now);
}

static void on_new_order(struct term *t, uint64_t seq, const struct mt5_new_order *n, int64_t now)
{
	t->n_orders++;
	int again = coid_seen(t, n->coid, 0);
	if (t->order_log) {
		fprintf(t->order_log, "%llu,%llu,%s,%lld,%lld,%d\n", (unsigned long long)n->coid,
			(unsigned long long)t->connections, n->side == MT5_SIDE_BUY ? "buy" : "sell",
			(long long)n->volume_e8, (long long)n->price, again);
		fflush(t->order_log);
	}
	if (again)
		t->coid_repeats++;
	if (coid_seen(t, n->coid, 1)) {
		result(t, seq, n->coid, MT5_CMD_NEW, 0, MT5_RC_INVALID, n->dm_us,
		       "coid sent before", now, 0);
		return;
	}
	for (uint32_t i = 0; i < t->a.n_rejects; i++) {
		if (t->a.rejects[i].fired || t->n_orders < t->a.rejects[i].at)
			continue;
		/* the trade server refuses it: handed over, then a REQUEST
		 * transaction with the server's retcode */
		t->a.rejects[i].fired = 1;
		result(t, seq, n->coid, MT5_CMD_NEW, 1, MT5_RC_PLACED, n->dm_us, "", now, 0);
		struct mt5_trade tr;
		memset(&tr, 0, sizeof(tr));
		tr.coid = n->coid;
		tr.event = MT5_EVENT_REJECTED;
		tr.side = n->side;
		tr.kind = n->kind;
		tr.raw_tx_type = TX_REQUEST;
		tr.raw_order_state = OS_REJECTED;
		tr.retcode = t->a.rejects[i].rc;
		tr.request_id = t->request_id;
		tr.price = n->price;
		tr.volume_e8 = n->volume_e8;
		tr.leaves_volume_e8 = n->volume_e8;
		tr.time_msc = mt5_ns_to_msc(&t->sym, market_now(t, now));
		t->rejects_sent++;
		send_trade(t, &tr, now);
		return;
	}
	struct msg_order o;
	if (mt5_msg_from_new_order(&o, n, &t->sym) < 0) {
		result(t, seq, n->coid, MT5_CMD_NEW, 0, MT5_RC_INVALID, n->dm_us,
		       "unsupported by the fake", now, 0);
		return;
	}
	if (fault_due(t, FC_ORDER, t->n_orders, F_LOST)) {
		/* the trade server took the request and lost it */
		result(t, seq, n->coid, MT5_CMD_NEW, 1, MT5_RC_PLACED, n->dm_us, "", now, 0);
		return;
	}
	int hold = fault_due(t, FC_ORDER, t->n_orders, F_EARLY);
	if (venue_order_send(t->v, &o, market_now(t, now)) < 0) {
		result(t, seq, n->coid, MT5_CMD_NEW, 0, MT5_RC_TOO_MANY_REQUESTS, n->dm_us,
		       "too many requests", now, 0);
		return;
	}
	result(t, seq, n->coid, MT5_CMD_NEW, 1, MT5_RC_PLACED, n->dm_us, "", now, hold);
}

static void on_cancel(struct term *t, uint64_t seq, const struct mt5_cancel *c, int64_t now)
{
	struct msg_cancel mc;
	memset(&mc, 0, sizeof(mc));
	mc.client_order_id = c->coid;
	if (c->coid == 0 || venue_cancel_send(t->v, &mc, market_now(t, now)) < 0) {
		result(t, seq, c->coid, MT5_CMD_CANCEL, 0, c->coid ? MT5_RC_TOO_MANY_REQUESTS
		       : MT5_RC_INVALID, c->dm_us, "cannot send the cancel", now, 0);
		return;
	}
	result(t, seq, c->coid, MT5_CMD_CANCEL, 1, MT5_RC_PLACED, c->dm_us, "", now, 0);
}

static void send_snapshot(struct term *t, uint64_t req_id, int64_t now)
{
	struct mt5_msg m;
	struct venue_order_view ov;
	uint32_t cur = 0, n_orders = 0, n_pos = t->pos != 0;
	while (venue_order_next(t->v, &cur, &ov) == 1)
		n_orders += ov.status == EXEC_ACK || ov.status == EXEC_PARTIAL;
	memset(&m, 0, sizeof(m));
	m.type = MT5_T_SNAPSHOT_BEGIN;
	m.u.snapshot_begin.req_id = req_id;
	m.u.snapshot_begin.last_seq = t->tx.next - 1;
	m.u.snapshot_begin.n_positions = n_pos;
	m.u.snapshot_begin.n_orders = n_orders;
	m.u.snapshot_begin.time_msc = mt5_ns_to_msc(&t->sym, market_now(t, now));
	send_msg(t, &m, now);
	if (n_pos) {
		memset(&m, 0, sizeof(m));
		m.type = MT5_T_POSITION;
		struct mt5_position *p = &m.u.position;
		p->req_id = req_id;
		p->ticket = POS_TICKET;
		p->side = t->pos > 0 ? MT5_SIDE_BUY : MT5_SIDE_SELL;
		p->volume_e8 = llabs(t->pos) * 100000000;
		p->price_open = t->pos_value / llabs(t->pos) * t->sym.tick_pts;
		p->time_msc = m.u.position.time_msc;
		send_msg(t, &m, now);
	}
	cur = 0;
	while (venue_order_next(t->v, &cur, &ov) == 1) {
		if (ov.status != EXEC_ACK && ov.status != EXEC_PARTIAL)
			continue;
		memset(&m, 0, sizeof(m));
		m.type = MT5_T_ORDER;
		struct mt5_order *o = &m.u.order;
		o->req_id = req_id;
		o->ticket = ov.venue_order_id + TICKET_BASE;
		o->coid = ov.client_order_id;
		o->magic = ov.client_order_id;
		o->side = side_mt5(ov.side);
		o->kind = ov.ord_type == ORD_MARKET ? MT5_KIND_MARKET : MT5_KIND_LIMIT;
		o->raw_state = ov.status == EXEC_PARTIAL ? OS_PARTIAL : OS_PLACED;
		o->price = ov.px * t->sym.tick_pts;
		o->volume_initial_e8 = (int64_t)ov.qty * 100000000;
		o->volume_current_e8 = (int64_t)ov.leaves_qty * 100000000;
		o->time_setup_msc = mt5_ns_to_msc(&t->sym, ov.arrive_ns);
		send_msg(t, &m, now);
	}
	memset(&m, 0, sizeof(m));
	m.type = MT5_T_SNAPSHOT_END;
	m.u.snapshot_end.req_id = req_id;
	m.u.snapshot_end.n_sent = n_pos + n_orders;
	send_msg(t, &m, now);
}

/* Every held report from from_seq on, marked resent; SEQ_RESET first when
 * the store no longer holds from_seq. */
static void resend_from(struct term *t, uint64_t from_seq, int64_t now)
{
	uint64_t first = t->ob.count ? t->ob.first_seq : t->tx.next;
	if (from_seq < first) {
		struct mt5_msg m = { .type = MT5_T_SEQ_RESET };
		m.u.seq_reset.next_seq = first;
		m.u.seq_reset.reason = t->seq_lost ? MT5_RESET_RESTART : MT5_RESET_OVERFLOW;
		send_msg(t, &m, now);
		from_seq = first;
	}
	for (uint64_t s = from_seq; s < t->tx.next; s++) {
		const uint8_t *f;
		size_t len;
		if (mt5_outbox_get(&t->ob, s, &f, &len) != 1)
			continue;
		uint8_t copy[MT5_FRAME_MAX];
		memcpy(copy, f, len);
		mt5_frame_mark_resent(copy);
		out_bytes(t, copy, len);
	}
	t->held_len = 0; /* a held frame is in the store: resent above */
}

static void send_ack(struct term *t, int64_t now)
{
	struct mt5_msg m = { .type = MT5_T_ACK };
	m.u.ack.ack_seq = mt5_seq_rx_acked(&t->rx);
	send_msg(t, &m, now);
}

/* A frame of the session.  1 when a command was taken (ACK it). */
static int on_session_frame(struct term *t, const struct mt5_frame *f, int64_t now)
{
	struct mt5_msg m;
	int rc = mt5_msg_decode(f, &m);
	if (rc < 0) {
		say(t, "frame %s refused: %s", mt5_msg_name(f->h.type), mt5_strerror(rc));
		return 0;
	}
	switch (m.type) {
	case MT5_T_HEARTBEAT:
		t->peer_hb_us = m.u.heartbeat.time_us;
		if (m.u.heartbeat.ack_seq)
			mt5_outbox_ack(&t->ob, m.u.heartbeat.ack_seq);
		return 0;
	case MT5_T_ACK:
		mt5_outbox_ack(&t->ob, m.u.ack.ack_seq);
		return 0;
	case MT5_T_RESEND:
		resend_from(t, m.u.resend.from_seq, now);
		return 0;
	case MT5_T_SNAPSHOT_REQ:
		send_snapshot(t, m.u.snapshot_req.req_id, now);
		return 0;
	case MT5_T_BYE:
		say(t, "DreamMaker says bye: %s", m.u.bye.detail);
		return 0;
	case MT5_T_SEQ_RESET:
		mt5_seq_rx_reset(&t->rx, m.u.seq_reset.next_seq);
		return 1;
	case MT5_T_NEW_ORDER:
	case MT5_T_CANCEL:
	case MT5_T_MODIFY: {
		int v = mt5_seq_rx_check(&t->rx, f->h.seq);
		if (v == MT5_SEQ_DUP)
			return 1; /* carried out already: acknowledge again */
		if (v == MT5_SEQ_GAP_ASK) {
			struct mt5_msg r = { .type = MT5_T_RESEND };
			r.u.resend.from_seq = t->rx.next;
			send_msg(t, &r, now);
			return 0;
		}
		if (v == MT5_SEQ_GAP)
			return 0;
		if (m.type == MT5_T_NEW_ORDER)
			on_new_order(t, f->h.seq, &m.u.new_order, now);
		else if (m.type == MT5_T_CANCEL)
			on_cancel(t, f->h.seq, &m.u.cancel, now);
		else
			result(t, f->h.seq, m.u.modify.coid, MT5_CMD_MODIFY, 0, MT5_RC_INVALID,
			       m.u.modify.dm_us, "modify unsupported by the fake", now, 0);
		return 1;
	}
	default:
		say(t, "unexpected %s in the session", mt5_msg_name(m.type));
		return 0;
	}
}

/* ------------------------------------------------------------ the connection */

static void hello_of(struct term *t, struct mt5_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->proto_version = MT5_PROTO_VERSION;
	h->schema_hash = mt5_schema_hash();
	h->ea_version = FAKE_EA_VERSION;
	h->terminal_build = 4755;
	if (getrandom(h->client_nonce, sizeof(h->client_nonce), 0) != sizeof(h->client_nonce))
		for (size_t i = 0; i < sizeof(h->client_nonce); i++)
			h->client_nonce[i] = (uint8_t)(rand() | 1);
	h->stream_id = t->stream_id;
	h->next_seq = t->tx.next;
	h->oldest_seq = t->ob.count ? t->ob.first_seq : t->tx.next;
	h->cmd_stream_id = t->cmd_stream_id;
	h->last_cmd_seq = t->cmd_stream_id ? mt5_seq_rx_acked(&t->rx) : 0;
	h->account_login = t->a.account;
	h->server_time_offset_s = t->sym.server_time_offset_s;
	h->digits = t->digits;
	h->tick_size_pts = t->sym.tick_pts;
	h->tick_value_e8 = 100000000;
	h->contract_size_e8 = 100000000;
	h->volume_min_e8 = 100000000;
	h->volume_step_e8 = 100000000;
	h->volume_max_e8 = 100000ll * 100000000;
	h->book_depth = EV_MAX_LEVELS;
	h->filling_modes = 3;
	h->margin_mode = MT5_MARGIN_NETTING;
	h->trade_allowed = 1;
	snprintf(h->currency, sizeof(h->currency), "BRL");
	snprintf(h->server, sizeof(h->server), "Fake-Server");
	snprintf(h->symbol, sizeof(h->symbol), "%s", t->a.symbol);
}

static void drop_conn(struct term *t, const char *why, int64_t now)
{
	if (t->fd >= 0) {
		close(t->fd);
		say(t, "connection closed: %s", why);
	}
	t->fd = -1;
	t->phase = 0;
	t->out_len = 0;
	t->muted = 0;
	t->slow_until = 0;
	t->held_len = 0;
	int64_t d = mt5_backoff_ns(t->backoff_min_ns, t->backoff_max_ns, t->attempts++,
				   (uint32_t)rand());
	t->reconnect_at = now + d;
}

static int try_connect(struct term *t, int64_t now)
{
	int fd = socket(t->addr.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (t->addr.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(t->addr.port);
		memcpy(&s4->sin_addr, t->addr.addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(t->addr.port);
		memcpy(&s6->sin6_addr, t->addr.addr, 16);
		sl = sizeof(*s6);
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	t->fd = fd;
	t->phase = 1;
	t->connections++;
	mt5_dec_init(&t->dec, t->decbuf, sizeof(t->decbuf));
	mt5_hs_client_init(&t->hs, &t->key);
	struct mt5_hello h;
	hello_of(t, &h);
	uint8_t f[MT5_FRAME_MAX];
	size_t len = 0;
	int rc = mt5_hs_client_begin(&t->hs, &h, now, 5000000000ll, f, sizeof(f), &len);
	if (rc < 0)
		return rc;
	out_bytes(t, f, len);
	mt5_hb_init(&t->hb, t->hb_interval_ns, t->hb_timeout_ns, now);
	return 0;
}

static void session_start(struct term *t, int64_t now)
{
	const struct mt5_accept *a = &t->hs.accept;
	t->phase = 2;
	t->hb_interval_ns = (int64_t)a->hb_interval_ms * 1000000;
	t->hb_timeout_ns = (int64_t)a->hb_timeout_ms * 1000000;
	t->backoff_min_ns = (int64_t)a->backoff_min_ms * 1000000;
	t->backoff_max_ns = (int64_t)a->backoff_max_ms * 1000000;
	mt5_hb_init(&t->hb, t->hb_interval_ns, t->hb_timeout_ns, now);
	if (a->cmd_stream_id != t->cmd_stream_id) {
		/* another command stream (DreamMaker started one): from its start */
		t->cmd_stream_id = a->cmd_stream_id;
		mt5_seq_rx_init(&t->rx, 1);
	}
	say(t, "session %llu: DreamMaker expects report %llu, we hold %llu..%llu",
	    (unsigned long long)t->connections, (unsigned long long)a->resume_seq,
	    (unsigned long long)(t->ob.count ? t->ob.first_seq : t->tx.next),
	    (unsigned long long)(t->tx.next - 1));
	if (a->resume_seq < t->tx.next)
		resend_from(t, a->resume_seq, now);
	t->attempts = 0;
	t->refusals = 0;
	send_snapshot(t, 0, now);
}

/* Read what arrived and act on it.  0, or -1 when the connection ended. */
static int read_conn(struct term *t, int64_t now)
{
	if (t->slow_until && now < t->slow_until)
		return 0;
	t->slow_until = 0;
	for (;;) {
		uint32_t room;
		uint8_t *p = mt5_dec_space(&t->dec, &room);
		ssize_t n = recv(t->fd, p, room, 0);
		if (n == 0) {
			drop_conn(t, "DreamMaker closed the connection", now);
			return -1;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			drop_conn(t, strerror(errno), now);
			return -1;
		}
		mt5_dec_commit(&t->dec, (uint32_t)n);
		mt5_hb_on_rx(&t->hb, now);
		int took = 0;
		struct mt5_frame f;
		int rc;
		while ((rc = mt5_dec_next(&t->dec, &f)) != 0) {
			if (rc < 0) {
				say(t, "bad bytes from DreamMaker: %s", mt5_strerror(rc));
				continue;
			}
			if (t->phase == 1) {
				uint8_t o[MT5_FRAME_MAX];
				size_t len = 0;
				int st = mt5_hs_client_on_frame(&t->hs, &f, now, o, sizeof(o), &len);
				if (len)
					out_bytes(t, o, len);
				if (st == MT5_HS_DONE) {
					session_start(t, now);
				} else if (st == MT5_HS_FAILED) {
					say(t, "handshake failed: %s (reason %u: %s)",
					    mt5_strerror(t->hs.error), t->hs.refuse_reason,
					    t->hs.refuse_detail);
					drop_conn(t, "handshake failed", now);
					t->reconnect_at = now + t->backoff_max_ns;
					if (++t->refusals >= MAX_REFUSALS) {
						cli_fail(1, "handshake refused %d times in a row (%s): "
							 "check --secret and --symbol against mt5.secret_file "
							 "and mt5.symbols", MAX_REFUSALS,
							 t->hs.refuse_detail[0] ? t->hs.refuse_detail
										: mt5_strerror(t->hs.error));
						t->stop = 1;
					}
					return -1;
				}
			} else if (t->phase == 2) {
				took |= on_session_frame(t, &f, now);
			}
		}
		if (took)
			send_ack(t, now);
	}
	return 0;
}

/* ------------------------------------------------------------ the market */

static void fire_md_faults(struct term *t, int64_t now)
{
	uint64_t c = t->n_md;
	if (fault_due(t, FC_MD, c, F_GARBAGE)) {
		uint8_t g[61];
		for (size_t i = 0; i < sizeof(g); i++)
			g[i] = (uint8_t)(rand() & 0xff);
		g[0] = 'x'; /* never the magic's first byte */
		out_bytes(t, g, sizeof(g));
	}
	if (fault_due(t, FC_MD, c, F_TRUNCATED)) {
		struct mt5_msg m = { .type = MT5_T_TICK };
		m.u.tick.tick_seq = ++t->tick_seq;
		m.u.tick.time_msc = mt5_ns_to_msc(&t->sym, t->last_exch_ns);
		uint8_t f[MT5_FRAME_MAX];
		int n = mt5_msg_encode(f, sizeof(f), 0, 0, &m);
		if (n > 0)
			out_bytes(t, f, (size_t)n / 2);
	}
	if (fault_due(t, FC_MD, c, F_SLOW))
		t->slow_until = now + (int64_t)t->a.slow_ms * 1000000;
	if (fault_due(t, FC_MD, c, F_HBSTOP))
		t->muted = 1;
	if (fault_due(t, FC_MD, c, F_SKEW)) {
		t->skew_us += (int64_t)t->a.skew_ms * 1000;
	}
	if (fault_due(t, FC_MD, c, F_DISCONNECT)) {
		struct mt5_msg m = { .type = MT5_T_TICK };
		m.u.tick.tick_seq = ++t->tick_seq;
		uint8_t f[MT5_FRAME_MAX];
		int n = mt5_msg_encode(f, sizeof(f), 0, 0, &m);
		if (n > 0)
			out_bytes(t, f, (size_t)n / 2);
		flush_out(t);
		drop_conn(t, "fault disconnect", now);
	}
	if (fault_due(t, FC_MD, c, F_RESTART)) {
		flush_out(t);
		drop_conn(t, "fault restart: the terminal restarts", now);
		/* what the EA held in memory is gone; the broker keeps orders
		 * and positions */
		uint64_t lost = t->tx.next - (t->ob.count ? t->ob.first_seq : t->tx.next);
		t->seq_lost += lost;
		mt5_outbox_init(&t->ob, t->obmem, OUTBOX_CAP);
		uint64_t sid;
		if (getrandom(&sid, sizeof(sid), 0) != sizeof(sid))
			sid = t->stream_id * 6364136223846793005ull + 1;
		t->stream_id = sid | 1;
		mt5_seq_tx_init(&t->tx, 1);
		t->cmd_stream_id = 0;
		mt5_seq_rx_init(&t->rx, 1);
		t->sym.server_time_offset_s += 3600;
		t->clock_base_us += 987654321;
		t->tick_seq = t->book_seq = 0;
		say(t, "restart: %llu unacknowledged reports lost, server time offset now %d s",
		    (unsigned long long)lost, t->sym.server_time_offset_s);
	}
}

/* One market event: the venue sees it, DreamMaker gets TICK or BOOK. */
static void on_market(struct term *t, const struct event *ev, int64_t now)
{
	venue_on_event(t->v, ev);
	t->last_exch_ns = ev->exch_ns;
	t->last_local_ns = now;
	struct mt5_msg m;
	struct mt5_sym s = t->sym;
	/* the clock-skew fault moves the trade server's clock too */
	s.server_time_offset_s += (int32_t)(t->skew_us / 1000000);
	if (ev->kind == EV_BOOK) {
		t->best_bid = ev->book.n_bid ? ev->book.bid[0].px : 0;
		t->best_ask = ev->book.n_ask ? ev->book.ask[0].px : 0;
		m.type = MT5_T_BOOK;
		mt5_book_from_event(&m.u.book, ev, &s, ++t->book_seq, ea_us(t, now));
	} else if (ev->kind == EV_TRADE) {
		m.type = MT5_T_TICK;
		mt5_tick_from_trade(&m.u.tick, ev, &s, t->best_bid, t->best_ask, ++t->tick_seq,
				    ea_us(t, now));
	} else {
		return;
	}
	if (t->phase == 2) {
		send_msg(t, &m, now);
		t->n_md++;
		fire_md_faults(t, now);
	}
}

/* Replay what is due; returns the local time the next event is due, or 0. */
static int64_t run_market(struct term *t, int64_t now)
{
	if (!t->have_input || t->input_done)
		return 0;
	for (int k = 0; k < 256; k++) {
		if (t->phase != 2 || t->out_len > OUTBUF_CAP / 2)
			return 0; /* no session, or DreamMaker reads slowly: wait */
		struct event ev;
		int rc = replay_next(&t->rp, now, &ev);
		if (rc == REPLAY_WAIT)
			return replay_due_ns(&t->rp);
		if (rc == REPLAY_END || rc < 0) {
			if (rc < 0)
				say(t, "input stopped: %s", replay_error(&t->rp));
			t->input_done = 1;
			t->end_local_ns = now;
			say(t, "input done: %llu market messages sent", (unsigned long long)t->n_md);
			return 0;
		}
		on_market(t, &ev, now);
		run_venue(t, now);
	}
	return now;
}

/* ------------------------------------------------------------ options */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dm-fake-mt5 --connect ADDR:PORT --secret FILE --input FILE [options]\n"
		"\n"
		"A MetaTrader 5 terminal running the bridge's Expert Advisor, faked: it\n"
		"connects to DreamMaker (mt5.listen), proves the shared secret, plays a\n"
		"market file as ticks and books, fills DreamMaker's orders against that\n"
		"book with the venue simulator and reports them as the EA does\n"
		"(docs/mt5-bridge.md, \"The fake terminal\").\n"
		"\n"
		"  --connect ADDR:PORT  DreamMaker's mt5.listen (default 127.0.0.1:18625)\n"
		"  --secret FILE        the shared secret (owner-only, as mt5.secret_file)\n"
		"  --input FILE         market data: journal, LOBSTER, MT5, NEG, Binance\n"
		"  --format F           auto|journal|lobster|mt5|neg|binance (default auto)\n"
		"  --pace P             realtime, xN (realtime N times faster) or max\n"
		"                       (default realtime)\n"
		"  --symbol S           the symbol the EA serves (default: the input's)\n"
		"  --server-offset S    trade server time - UTC, seconds (default -10800)\n"
		"  --account N          the account login in HELLO (default 1234567)\n"
		"  --entry-us N         venue: order to exchange latency (default 300)\n"
		"  --response-us N      venue: exchange to report latency (default 300)\n"
		"  --latency-file F     venue: measured latencies (venue.latency_file format)\n"
		"  --reject RC[@N]      the Nth order (default 1) refused by the trade server\n"
		"                       with retcode RC (10004 requote, 10006 rejected, 10018\n"
		"                       market closed, 10019 no money, ...); repeatable\n"
		"  --fault NAME[@N]     inject a fault (repeatable); N counts what the fault\n"
		"                       says, default in brackets:\n");
	for (int k = 0; k < F_NKINDS; k++)
		fprintf(f, "      %-15s [%llu] %s\n", fault_tab[k].name,
			(unsigned long long)fault_tab[k].def_at, fault_tab[k].help);
	fprintf(f,
		"  --slow-ms N          slow-reader: how long (default 2000)\n"
		"  --skew-ms N          clock-skew: the jump (default 1000)\n"
		"  --fill-log FILE      one CSV line a deal: deal,coid,order,side,qty,\n"
		"                       price_pts,time_msc (the terminal's own record)\n"
		"  --order-log FILE     one CSV line a NEW_ORDER received: coid,connection,\n"
		"                       side,volume_e8,price_pts,repeat (1: a coid carried\n"
		"                       out before, refused)\n"
		"  --state FILE         at exit: position, fills, orders, connections...\n"
		"                       as 'key value' lines\n"
		"  --linger S           after the input, stay this many seconds (default 2;\n"
		"                       0 = until a signal), then say BYE and leave\n"
		"  -q, --quiet          no progress lines on stderr\n"
		"  -h, --help           this text\n"
		"      --version        the release and layout words\n"
		"\n"
		"exit: 0 the input was played and the session ended; 1 runtime failure\n"
		"(never connected within 60 s, no session for 60 s after one, or the\n"
		"handshake refused 3 times in a row);\n"
		"2 bad usage or input\n");
}

static int parse_fault(struct args *a, const char *s)
{
	char name[32];
	const char *at = strchr(s, '@');
	size_t n = at ? (size_t)(at - s) : strlen(s);
	if (n == 0 || n >= sizeof(name))
		return cli_usage_error("--fault '%s': a fault name (see --help)", s);
	memcpy(name, s, n);
	name[n] = '\0';
	for (int k = 0; k < F_NKINDS; k++) {
		if (strcmp(name, fault_tab[k].name) != 0)
			continue;
		if (a->n_faults >= FAULTS_MAX)
			return cli_usage_error("--fault: at most %d", FAULTS_MAX);
		struct fault *f = &a->faults[a->n_faults++];
		f->kind = (uint8_t)k;
		f->at = fault_tab[k].def_at;
		if (at) {
			char *end;
			unsigned long long v = strtoull(at + 1, &end, 10);
			if (*end || v == 0)
				return cli_usage_error("--fault '%s': N must be a count >= 1", s);
			f->at = v;
		}
		return 0;
	}
	return cli_usage_error("--fault '%s': no such fault (see --help)", s);
}

static int parse_u32(const char *opt, const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > 100000000ul)
		return cli_usage_error("%s '%s': a whole number", opt, s);
	*out = (uint32_t)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	enum { O_CONNECT = 256, O_SECRET, O_INPUT, O_FORMAT, O_PACE, O_SYMBOL, O_OFFSET,
	       O_ACCOUNT, O_ENTRY, O_RESP, O_LATF, O_REJECT, O_FAULT, O_SLOW, O_SKEW,
	       O_FILLS, O_ORDERS, O_STATE, O_LINGER, O_VERSION };
	static const struct option opts[] = {
		{ "connect", 1, 0, O_CONNECT }, { "secret", 1, 0, O_SECRET },
		{ "input", 1, 0, O_INPUT }, { "format", 1, 0, O_FORMAT },
		{ "pace", 1, 0, O_PACE }, { "symbol", 1, 0, O_SYMBOL },
		{ "server-offset", 1, 0, O_OFFSET }, { "account", 1, 0, O_ACCOUNT },
		{ "entry-us", 1, 0, O_ENTRY }, { "response-us", 1, 0, O_RESP },
		{ "latency-file", 1, 0, O_LATF }, { "reject", 1, 0, O_REJECT },
		{ "fault", 1, 0, O_FAULT }, { "slow-ms", 1, 0, O_SLOW },
		{ "skew-ms", 1, 0, O_SKEW }, { "fill-log", 1, 0, O_FILLS },
		{ "order-log", 1, 0, O_ORDERS },
		{ "state", 1, 0, O_STATE }, { "linger", 1, 0, O_LINGER },
		{ "quiet", 0, 0, 'q' }, { "help", 0, 0, 'h' }, { "version", 0, 0, O_VERSION },
		{ 0, 0, 0, 0 }
	};
	memset(a, 0, sizeof(*a));
	a->connect = "127.0.0.1:18625";
	a->pace = REPLAY_REALTIME;
	a->speed = 1.0;
	a->entry_us = VENUE_DEF_ENTRY_US;
	a->response_us = VENUE_DEF_RESPONSE_US;
	a->server_offset_s = -10800;
	a->account = 1234567;
	a->linger_s = 2.0;
	a->slow_ms = 2000;
	a->skew_ms = 1000;
	opterr = 0;
	int c, rc;
	char *end;
	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (c) {
		case O_CONNECT: a->connect = optarg; break;
		case O_SECRET: a->secret = optarg; break;
		case O_INPUT: a->input = optarg; break;
		case O_FORMAT: a->format = optarg; break;
		case O_PACE: a->pace_s = optarg; break;
		case O_SYMBOL: a->symbol = optarg; break;
		case O_OFFSET:
			a->server_offset_s = strtoll(optarg, &end, 10);
			if (!*optarg || *end || llabs(a->server_offset_s) > 86400)
				return cli_usage_error("--server-offset '%s': seconds, -86400..86400",
						       optarg);
			break;
		case O_ACCOUNT:
			a->account = strtoull(optarg, &end, 10);
			if (!*optarg || *end)
				return cli_usage_error("--account '%s': a number", optarg);
			break;
		case O_ENTRY: if ((rc = parse_u32("--entry-us", optarg, &a->entry_us))) return rc; break;
		case O_RESP: if ((rc = parse_u32("--response-us", optarg, &a->response_us))) return rc; break;
		case O_LATF: a->latency_file = optarg; break;
		case O_REJECT: {
			if (a->n_rejects >= FAULTS_MAX)
				return cli_usage_error("--reject: at most %d", FAULTS_MAX);
			unsigned long rcv = strtoul(optarg, &end, 10);
			uint64_t at = 1;
			if (*end == '@') {
				char *e2;
				at = strtoull(end + 1, &e2, 10);
				end = e2;
				if (at == 0)
					end = (char *)"x";
			}
			if (*end || rcv < 10004 || rcv > 10099)
				return cli_usage_error("--reject '%s': RETCODE[@N], a TRADE_RETCODE "
						       "(10004..10099) and the order's number", optarg);
			a->rejects[a->n_rejects].rc = (uint32_t)rcv;
			a->rejects[a->n_rejects].at = at;
			a->n_rejects++;
			break;
		}
		case O_FAULT: if ((rc = parse_fault(a, optarg))) return rc; break;
		case O_SLOW: if ((rc = parse_u32("--slow-ms", optarg, &a->slow_ms))) return rc; break;
		case O_SKEW: if ((rc = parse_u32("--skew-ms", optarg, &a->skew_ms))) return rc; break;
		case O_FILLS: a->fill_log = optarg; break;
		case O_ORDERS: a->order_log = optarg; break;
		case O_STATE: a->state = optarg; break;
		case O_LINGER:
			a->linger_s = strtod(optarg, &end);
			if (!*optarg || *end || !(a->linger_s >= 0 && a->linger_s < 86400))
				return cli_usage_error("--linger '%s': seconds, 0..86400", optarg);
			break;
		case 'q': a->quiet = 1; break;
		case 'h': usage(stdout); exit(0);
		case O_VERSION: exit(cli_version());
		default: return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->secret)
		return cli_usage_error("--secret FILE is required (the shared secret)");
	if (!a->input)
		return cli_usage_error("--input FILE is required (the market to play)");
	if (a->pace_s) {
		if (strcmp(a->pace_s, "max") == 0 || strcmp(a->pace_s, "fast") == 0) {
			a->pace = REPLAY_MAX;
		} else if (strcmp(a->pace_s, "realtime") == 0) {
			a->pace = REPLAY_REALTIME;
		} else if (a->pace_s[0] == 'x') {
			a->speed = strtod(a->pace_s + 1, &end);
			if (!a->pace_s[1] || *end || !(a->speed >= REPLAY_SPEED_MIN &&
						       a->speed <= REPLAY_SPEED_MAX))
				return cli_usage_error("--pace '%s': realtime, xN (N in (0, 1e6]) "
						       "or max", a->pace_s);
			a->pace = REPLAY_REALTIME;
		} else {
			return cli_usage_error("--pace '%s': realtime, xN or max", a->pace_s);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ main */

static void write_state(struct term *t)
{
	if (!t->a.state)
		return;
	FILE *f = fopen(t->a.state, "w");
	if (!f) {
		cli_fail(1, "%s: cannot write: %s", t->a.state, strerror(errno));
		return;
	}
	const struct venue_totals *vt = venue_totals(t->v);
	const struct venue_stats *vs = venue_stats(t->v);
	struct venue_order_view ov;
	uint32_t cur = 0, open = 0;
	while (venue_order_next(t->v, &cur, &ov) == 1)
		open += ov.status == EXEC_ACK || ov.status == EXEC_PARTIAL;
	fprintf(f, "position %lld\nfills %llu\nbuy_qty %lld\nsell_qty %lld\norders %llu\n"
		"venue_orders %llu\nvenue_rejects %llu\nserver_rejects %llu\ncancels %llu\n"
		"open_orders %u\nconnections %llu\nmarket_msgs %llu\nreports %llu\n"
		"duplicates_sent %llu\nfaults_fired %llu\nreports_lost %llu\ncoid_repeats %llu\n",
		(long long)t->pos, (unsigned long long)vt->fills, (long long)vt->buy_qty,
		(long long)vt->sell_qty, (unsigned long long)t->n_orders,
		(unsigned long long)vs->orders, (unsigned long long)vs->rejects,
		(unsigned long long)t->rejects_sent, (unsigned long long)vs->cancels, open,
		(unsigned long long)t->connections, (unsigned long long)t->n_md,
		(unsigned long long)t->n_rep, (unsigned long long)t->dups_sent,
		(unsigned long long)t->faults_fired, (unsigned long long)t->seq_lost,
		(unsigned long long)t->coid_repeats);
	fclose(f);
}

/* digits and points per tick from the instrument's tick text ("5": 0 and
 * 5; "0.01": 2 and 1; "0.25": 2 and 25) */
static int tick_points(const char *tick, uint32_t *digits, int64_t *pts)
{
	const char *dot = strchr(tick, '.');
	uint32_t d = 0;
	if (dot) {
		d = (uint32_t)strlen(dot + 1);
		while (d && dot[d] == '0')
			d--;
	}
	if (d > 8)
		return -EINVAL;
	int64_t v = 0;
	for (const char *p = tick; *p && (!dot || p <= dot + d); p++) {
		if (*p == '.')
			continue;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v <= 0)
		return -EINVAL;
	*digits = d;
	*pts = v;
	return 0;
}

static int setup(struct term *t)
{
	char err[512];
	int rc = mt5_key_load(&t->key, t->a.secret, err, sizeof(err));
	if (rc < 0)
		return cli_fail(2, "%s", err);
	if (mt5_addr_parse(t->a.connect, &t->addr) < 0)
		return cli_usage_error("--connect '%s': a numeric a.b.c.d:PORT or [v6]:PORT",
				       t->a.connect);
	int fmt = FEED_AUTO;
	if (t->a.format && strcmp(t->a.format, "auto") != 0 &&
	    (fmt = feed_format_parse(t->a.format)) < 0)
		return cli_usage_error("--format '%s': auto, journal, lobster, mt5, neg or binance",
				       t->a.format);
	struct feed_want want = { .fmt = (enum feed_format)fmt };
	struct feed_plan plan;
	if ((rc = feed_resolve(t->a.input, &want, &plan, err, sizeof(err))) < 0)
		return cli_fail(2, "%s", err);
	if (tick_points(plan.in.tick, &t->digits, &t->sym.tick_pts) < 0)
		return cli_fail(2, "%s: tick '%s' cannot be written in MT5 points", t->a.input,
				plan.in.tick);
	if (!t->a.symbol)
		t->a.symbol = strdup(plan.in.symbol);
	t->sym.server_time_offset_s = (int32_t)t->a.server_offset_s;
	struct replay_opts ro = { .pace = (uint32_t)t->a.pace, .speed = t->a.speed };
	if ((rc = replay_open(&t->rp, t->a.input, plan.fmt, &plan.fo, &ro, err, sizeof(err))) < 0)
		return cli_fail(2, "%s", err);
	t->have_input = 1;
	struct venue_cfg vc;
	venue_cfg_default(&vc);
	vc.entry_latency_us = t->a.entry_us;
	vc.response_latency_us = t->a.response_us;
	vc.max_orders = 4096;
	vc.max_pending = 1024;
	vc.max_reports = 8192;
	if (t->a.latency_file)
		snprintf(vc.latency_file, sizeof(vc.latency_file), "%s", t->a.latency_file);
	size_t vsz = venue_memsize(&vc);
	t->v = vsz ? aligned_alloc(64, (vsz + 63) & ~(size_t)63) : NULL;
	if (!t->v)
		return cli_fail(1, "venue: cannot allocate %zu bytes", vsz);
	if ((rc = venue_init(t->v, vsz, &vc, err, sizeof(err))) < 0)
		return cli_fail(2, "venue: %s", err);
	t->out = malloc(OUTBUF_CAP);
	t->obmem = malloc(OUTBOX_CAP);
	if (!t->out || !t->obmem)
		return cli_fail(1, "cannot allocate the buffers");
	mt5_outbox_init(&t->ob, t->obmem, OUTBOX_CAP);
	mt5_seq_tx_init(&t->tx, 1);
	mt5_seq_rx_init(&t->rx, 1);
	if (getrandom(&t->stream_id, sizeof(t->stream_id), 0) != sizeof(t->stream_id))
		t->stream_id = (uint64_t)mono_ns();
	t->stream_id |= 1;
	t->clock_base_us = 4000000000ll; /* another clock than DreamMaker's */
	t->hb_interval_ns = 1000000000;
	t->hb_timeout_ns = 5000000000ll;
	t->backoff_min_ns = 100000000;
	t->backoff_max_ns = 2000000000;
	t->fd = -1;
	if (t->a.order_log) {
		t->order_log = fopen(t->a.order_log, "w");
		if (!t->order_log)
			return cli_fail(1, "%s: cannot write: %s", t->a.order_log, strerror(errno));
		fprintf(t->order_log, "coid,connection,side,volume_e8,price_pts,repeat\n");
		fflush(t->order_log);
	}
	if (t->a.fill_log) {
		t->fill_log = fopen(t->a.fill_log, "w");
		if (!t->fill_log)
			return cli_fail(1, "%s: cannot write: %s", t->a.fill_log, strerror(errno));
		fprintf(t->fill_log, "deal,coid,order,side,qty,price_pts,time_msc\n");
		fflush(t->fill_log);
	}
	return 0;
}

int main(int argc, char **argv)
{
	cli_set_prog("dm-fake-mt5");
	static struct term T;
	struct term *t = &T;
	int rc = parse_args(argc, argv, &t->a);
	if (rc)
		return rc;
	srand((unsigned)mono_ns());
	if ((rc = setup(t)))
		return rc;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	char fp[17];
	mt5_key_fingerprint(&t->key, fp);
	say(t, "key %s; symbol %s, tick %lld points, %u digits; connecting to %s", fp,
	    t->a.symbol, (long long)t->sym.tick_pts, t->digits, t->a.connect);
	int64_t start = mono_ns();
	int last_err = 0;
	while (!g_stop && !t->stop) {
		int64_t now = mono_ns();
		if (t->fd < 0 && now >= t->reconnect_at) {
			int e = try_connect(t, now);
			if (e < 0) {
				if (e != last_err)
					say(t, "connect %s: %s; retrying", t->a.connect, strerror(-e));
				last_err = e;
				t->reconnect_at = now + mt5_backoff_ns(t->backoff_min_ns,
								       t->backoff_max_ns, t->attempts++,
								       (uint32_t)rand());
			} else {
				last_err = 0;
			}
		}
		if (t->fd >= 0)
			read_conn(t, now);
		int64_t due = 0;
		if (t->fd >= 0 && t->phase == 2) {
			due = run_market(t, now);
			run_venue(t, now);
			if (t->early_held && now - t->early_since > 1000000000)
				flush_early(t, now);
			if (!t->muted && mt5_hb_send_due(&t->hb, now)) {
				struct mt5_msg m = { .type = MT5_T_HEARTBEAT };
				m.u.heartbeat.time_us = ea_us(t, now);
				m.u.heartbeat.echo_us = t->peer_hb_us;
				m.u.heartbeat.ack_seq = mt5_seq_rx_acked(&t->rx);
				send_msg(t, &m, now);
			}
			/* a reader that reads nothing cannot tell DreamMaker silent
			 * (slow-reader): it judges again once it has read */
			if (!t->slow_until && mt5_hb_expired(&t->hb, now))
				drop_conn(t, "heartbeat timeout", now);
		} else if (t->fd >= 0 && t->phase == 1 && mt5_hs_client_tick(&t->hs, now) ==
			   MT5_HS_FAILED) {
			drop_conn(t, "handshake timeout", now);
		}
		if (t->fd >= 0)
			flush_out(t);
		if (t->overflow) {
			t->overflow = 0;
			drop_conn(t, "output buffer overflow", now);
		}
		if (t->input_done && t->a.linger_s > 0 &&
		    now - t->end_local_ns > (int64_t)(t->a.linger_s * 1e9))
			break;
		if (t->connections == 0 && now - start > 60ll * 1000000000) {
			write_state(t);
			return cli_fail(1, "no connection to %s within 60 s", t->a.connect);
		}
		/* DreamMaker gone for good: no session for 60 s after one */
		if (t->phase == 2)
			t->last_session_ns = now;
		else if (t->last_session_ns && now - t->last_session_ns > 60ll * 1000000000) {
			write_state(t);
			return cli_fail(1, "no session with %s for 60 s: DreamMaker is gone",
					t->a.connect);
		}
		/* wait for the socket, the next event, or a timer */
		int64_t wait_ns = 5000000;
		if (due > now && due - now < wait_ns)
			wait_ns = due - now;
		if (due == now)
			wait_ns = 0;
		int64_t nv = venue_next_report_ns(t->v);
		int64_t na = venue_next_arrival_ns(t->v);
		if ((nv != INT64_MAX || na != INT64_MAX) && wait_ns > 50000)
			wait_ns = 50000;
		struct pollfd pf = { .fd = t->fd, .events = POLLIN };
		if (t->out_len)
			pf.events |= POLLOUT;
		if (t->slow_until)
			pf.events &= (short)~POLLIN;
		/* ppoll: a timer finer than poll's millisecond, or the venue's
		 * latencies would come out up to 1 ms late */
		struct timespec ts = { .tv_sec = wait_ns / 1000000000, .tv_nsec = wait_ns % 1000000000 };
		ppoll(&pf, t->fd >= 0 ? 1 : 0, &ts, NULL);
	}
	if (t->fd >= 0 && t->phase == 2) {
		struct mt5_msg m = { .type = MT5_T_BYE };
		snprintf(m.u.bye.detail, sizeof(m.u.bye.detail), "the fake terminal leaves");
		t->muted = 0;
		send_msg(t, &m, mono_ns());
		flush_out(t);
		close(t->fd);
	}
	write_state(t);
	say(t, "done: position %lld, %llu fills, %llu orders, %llu connections",
	    (long long)t->pos, (unsigned long long)venue_totals(t->v)->fills,
	    (unsigned long long)t->n_orders, (unsigned long long)t->connections);
	if (t->fill_log)
		fclose(t->fill_log);
	if (t->order_log)
		fclose(t->order_log);
	replay_close(&t->rp);
	return t->connections && t->refusals < MAX_REFUSALS ? 0 : 1;
}
