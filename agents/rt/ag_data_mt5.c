/*
 * ag_data_mt5.c — the data agent's live source: the MetaTrader 5 bridge
 * (docs/mt5-bridge.md, "DreamMaker's side").  ag_data.c hands its tick
 * here when started with --live mt5.
 *
 * DreamMaker listens on mt5.listen (loopback unless mt5.allow_remote) and
 * the Expert Advisor connects.  The session's rules are libcore's
 * (libcore/mt5/mt5_link: handshake, sequences, heartbeats, the clocks);
 * this file only moves bytes, through one io_uring: an accept, then on the
 * connection one receive (straight into the link's decoder buffer) and
 * one send in flight at a time.  Completions are reaped without waiting
 * on every pass; the agent asks to be woken every MT5_POLL_NS while a
 * terminal is connected, since nothing rings its doorbell for a socket.
 *
 * Every TICK with a print and every BOOK becomes the event a replayed file
 * gives, and the same message (msg_md_from_event, flagged live: no
 * MSG_F_REPLAY), on every md ring; it is journaled as it arrives in the
 * run directory's market.journal (the instrument's header), so a live
 * session replays and backtests like any file (`dmctl run --input
 * RUN/market.journal`).  A message a full ring refuses waits in a queue
 * of MT5_QUEUE messages and goes first on the next pass; a full queue
 * drops the oldest book (books are conflatable), never a print.
 *
 * Counters land in the data agent's state (ag_data_state: events, books,
 * trades), and the link's state in the log ("terminal connected",
 * "terminal gone: heartbeat timeout").
 *
 * venue.kind mt5 (ag_data_mt5_venue): the link carries the execution
 * agent's orders too.  Its commands (ring venue_cmds) go to the link as
 * they come (mt5_link_take_order / mt5_link_send_cancel: kept until the EA
 * acknowledges them, resent after a reconnect); a new order that comes
 * while the link is down is answered refused (ORDER_RESULT not accepted,
 * "link down at DreamMaker") and never sent; the link's state, TRADE, ORDER_RESULT
 * and snapshots (the latter in pieces, with the NEW_ORDER coids the EA has
 * not acknowledged) go to execution on venue_reports, through a queue of
 * MT5_EVQ messages when the ring is full; the state also goes to risk on
 * its md ring.  This end has the link's clock, so it measures the orders'
 * latencies (mt5_lat) and appends them to the run directory's
 * mt5-latency.txt: the lines wait in a buffer of MT5_LAT_BUF bytes (no
 * system call while busy) and are written every MT5_FLUSH_NS when idle and
 * at close.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agents/rt/ag_data_mt5.h"
#include "libcore/journal/journal.h"
#include "libcore/msg/msg_md.h"
#include "libcore/mt5/mt5_lat.h"
#include "libcore/mt5/mt5_link.h"
#include "libcore/mt5/mt5_venue.h"

#define MT5_POLL_NS   20000        /* wake this often while connected */
#define MT5_QUEUE     4096         /* messages waiting for a full ring */
#define MT5_FLUSH_NS  (100ll * 1000000) /* the market journal is flushed this often */
#define MT5_MARKET_JOURNAL "market.journal"
#define MT5_LATENCY_FILE "mt5-latency.txt"
#define MT5_RISK_STATE_NS 1000000000ll /* the link's state to risk at least this often */
#define MT5_BUSY_MAX  4            /* refused connections waiting to close */
#define MT5_BUSY_LINGER_NS 2000000000ll /* a refused connection closes after this */
#define MT5_EVQ       4096
#define MT5_LAT_BUF   (256u << 10) /* latency lines between two writes (about 1500) */         /* venue events waiting for a full venue_reports */

enum { UD_ACCEPT = 1, UD_RECV = 2, UD_SEND = 3 };

struct ag_data_mt5 {
	struct rt *rt;
	struct ag_data_state *st;
	uint32_t n_md;
	uint32_t md[SEG_MAX_RINGS];
	struct io_uring ring;
	int ring_ok;
	int lfd, cfd;
	int accept_armed, recv_armed, send_armed;
	uint32_t recv_room;
	uint32_t send_len, send_off;
	int closing;                 /* the connection is being closed: wait for
	                              * its operations to end */
	/* second connections while one EA is connected: answered REFUSE(BUSY),
	 * their write side shut, closed MT5_BUSY_LINGER_NS later (closing at
	 * once could reset the connection before the peer read the refusal) */
	int busy_fd[MT5_BUSY_MAX];
	int64_t busy_close_ns[MT5_BUSY_MAX];
	uint64_t busy_refused;
	struct mt5_key key;
	struct journal_writer jw;
	int jopen;
	int64_t flush_at_ns;         /* the journal's next timed flush */
	uint64_t dropped;            /* events dropped by a full queue */
	/* the queue: [q_tail, q_head) */
	uint64_t q_head, q_tail;
	uint64_t q_done;             /* rings that have the tail message */
	uint32_t q_len[MT5_QUEUE];
	union msg_md q[MT5_QUEUE];
	/* venue.kind mt5 */
	int venue;                   /* 1: execution's orders go through the link */
	uint32_t out_ev;             /* venue_reports */
	int risk_md;                 /* the md ring to risk (output index), -1 none */
	int risk_state;              /* the link's state risk has not had yet: 0/1, -1 none */
	int risk_ok;                 /* what risk was told last: up and not silent */
	int64_t risk_every_ns;       /* the next periodic state for risk */
	uint64_t e_head, e_tail;     /* the events' queue [e_tail, e_head) */
	uint64_t e_lost, cmd_errors;
	uint64_t refused_down;       /* orders taken while the link was down */
	FILE *latf;                  /* mt5-latency.txt (unbuffered: lat_buf is) */
	uint64_t lat_lines, lat_dropped;
	uint32_t lat_len;            /* bytes of lat_buf not yet written */
	char lat_buf[MT5_LAT_BUF];
	struct mt5_lat lat;
	struct msg_venue_event evq[MT5_EVQ];
	uint8_t sendbuf[MT5_LINK_OUT_CAP];
	struct mt5_link link;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------ publishing */

/* The queue's messages on every md ring, oldest first.  Returns the
 * messages published. */
static int drain(struct ag_data_mt5 *d)
{
	struct rt *rt = d->rt;
	uint64_t all = d->n_md >= 64 ? ~0ull : (1ull << d->n_md) - 1;
	int n = 0;
	while (d->q_tail != d->q_head) {
		uint32_t k = (uint32_t)(d->q_tail % MT5_QUEUE);
		union msg_md *m = &d->q[k];
		for (uint32_t j = 0; j < d->n_md; j++)
			if (!(d->q_done & (1ull << j)) && rt_send(rt, d->md[j], m, d->q_len[k]) >= 0)
				d->q_done |= 1ull << j;
		if (d->q_done != all)
			break;
		rt_lat_stage(rt, m->hdr.ingress_ns);
		d->q_tail++;
		d->q_done = 0;
		d->st->events++;
		if (m->hdr.type == MSG_TRADE)
			d->st->trades++;
		else
			d->st->books++;
		n++;
	}
	return n;
}

static void on_md(void *ctx, const struct event *ev, uint64_t ea_us)
{
	(void)ea_us;
	struct ag_data_mt5 *d = ctx;
	if (d->jopen && journal_append_event(&d->jw, ev) < 0 && !journal_writer_error(&d->jw))
		rt_error(d->rt, "%s: cannot append", MT5_MARKET_JOURNAL);
	if (d->q_head - d->q_tail >= MT5_QUEUE) {
		/* full: the oldest book goes (conflatable); a print never */
		uint32_t k = (uint32_t)(d->q_tail % MT5_QUEUE);
		if (d->q[k].hdr.type == MSG_TRADE || d->q_done) {
			d->dropped++; /* cannot drop the oldest: this one is lost */
			return;
		}
		d->q_tail++;
		d->dropped++;
	}
	uint32_t k = (uint32_t)(d->q_head % MT5_QUEUE);
	d->q_len[k] = msg_md_from_event(&d->q[k], ev);
	d->q[k].hdr.flags &= (uint16_t)~MSG_F_REPLAY; /* live */
	d->q[k].hdr.ingress_ns = d->rt->now_ns;
	d->q_head++;
	d->st->last_exch_ns = ev->exch_ns;
}

/* ------------------------------------------------------------ venue.kind mt5 */

/* A venue event for execution, queued; the queue goes out in order. */
static struct msg_venue_event *ev_new(struct ag_data_mt5 *d, uint32_t ev)
{
	if (d->e_head - d->e_tail >= MT5_EVQ) {
		if (!d->e_lost++)
			rt_error(d->rt, "venue mt5: %u reports waiting for execution: the queue is "
				 "full, reports lost (the next snapshot reconciles)", MT5_EVQ);
		return NULL;
	}
	struct msg_venue_event *e = &d->evq[d->e_head++ % MT5_EVQ];
	memset(e, 0, sizeof(*e));
	e->hdr.type = MSG_VENUE_EVENT;
	e->hdr.version = MSG_VERSION;
	e->hdr.size = sizeof(*e);
	e->ev = ev;
	return e;
}

static int ev_drain(struct ag_data_mt5 *d)
{
	int n = 0;
	while (d->e_tail != d->e_head) {
		struct msg_venue_event *e = &d->evq[d->e_tail % MT5_EVQ];
		if (rt_send(d->rt, d->out_ev, e, sizeof(*e)) < 0)
			break;
		d->e_tail++;
		n++;
	}
	/* risk learns the link's state on its md ring (never superseded) */
	if (d->risk_state >= 0) {
		struct msg_venue_event e;
		memset(&e, 0, sizeof(e));
		e.hdr.type = MSG_VENUE_EVENT;
		e.hdr.size = sizeof(e);
		e.ev = MT5_VEV_STATE;
		e.n = (uint32_t)d->risk_state;
		if (rt_send(d->rt, (uint32_t)d->risk_md, &e, sizeof(e)) >= 0)
			d->risk_state = -1;
	}
	return n;
}

static void ev_state(struct ag_data_mt5 *d, int up)
{
	struct msg_venue_event *e = ev_new(d, MT5_VEV_STATE);
	if (e) {
		e->n = up ? 1 : 0;
		if (up)
			e->u.sym = d->link.sym;
	}
	if (d->risk_md >= 0)
		d->risk_state = d->risk_ok = up ? 1 : 0;
}

static void on_trade(void *ctx, const struct mt5_trade *t, uint64_t seq, uint64_t recv_us)
{
	struct ag_data_mt5 *d = ctx;
	if (!d->venue)
		return;
	struct mt5_lat_rec rec;
	char line[512];
	int k;
	if (mt5_lat_trade(&d->lat, t, recv_us, &d->link.clock, &rec) == 1 && d->latf &&
	    (k = mt5_lat_format(&rec, line, sizeof(line))) > 0) {
		/* kept here, written when the source is idle (lat_write) */
		if (d->lat_len + (uint32_t)k <= MT5_LAT_BUF) {
			memcpy(d->lat_buf + d->lat_len, line, (size_t)k);
			d->lat_len += (uint32_t)k;
			d->lat_lines++;
		} else {
			d->lat_dropped++;
		}
	}
	struct msg_venue_event *e = ev_new(d, MT5_VEV_TRADE);
	if (!e)
		return;
	e->seq = seq;
	e->recv_us = recv_us;
	e->u.trade = *t;
}

static void on_result(void *ctx, const struct mt5_order_result *r, uint64_t recv_us)
{
	struct ag_data_mt5 *d = ctx;
	if (!d->venue)
		return;
	mt5_lat_result(&d->lat, r);
	struct msg_venue_event *e = ev_new(d, MT5_VEV_RESULT);
	if (!e)
		return;
	e->recv_us = recv_us;
	e->u.result = *r;
}

/* The snapshot in pieces: its header, the positions, the orders, the
 * NEW_ORDER coids the EA has not acknowledged, the end. */
static void on_snapshot(void *ctx, const struct mt5_link_snap *s)
{
	struct ag_data_mt5 *d = ctx;
	if (!d->venue)
		return;
	if (MT5_EVQ - (d->e_head - d->e_tail) < 2 + s->n_positions + s->n_orders +
						 MT5_VENUE_UNACKED / 12 + 2) {
		d->e_lost++;
		rt_error(d->rt, "venue mt5: no room for the terminal's snapshot: dropped");
		return;
	}
	struct msg_venue_event *e = ev_new(d, MT5_VEV_SNAP_BEGIN);
	e->u.snap.req_id = s->req_id;
	e->u.snap.last_seq = s->last_seq;
	e->u.snap.time_msc = s->time_msc;
	for (uint32_t i = 0; i < s->n_positions && i < MT5_LINK_SNAP_MAX; i++)
		ev_new(d, MT5_VEV_SNAP_POS)->u.pos = s->pos[i];
	for (uint32_t i = 0; i < s->n_orders && i < MT5_LINK_SNAP_MAX; i++)
		ev_new(d, MT5_VEV_SNAP_ORD)->u.ord = s->ord[i];
	uint64_t un[MT5_VENUE_UNACKED];
	uint32_t n = mt5_venue_unacked_of_link(&d->link, un, MT5_VENUE_UNACKED);
	for (uint32_t i = 0; i < n; i += 12) {
		e = ev_new(d, MT5_VEV_SNAP_UNACKED);
		e->n = n - i < 12 ? n - i : 12;
		memcpy(e->u.coids, un + i, e->n * sizeof(un[0]));
	}
	ev_new(d, MT5_VEV_SNAP_END);
}

/* The latency lines kept so far to mt5-latency.txt (idle passes, close). */
static void lat_write(struct ag_data_mt5 *d)
{
	if (!d->latf || !d->lat_len)
		return;
	if (fwrite(d->lat_buf, 1, d->lat_len, d->latf) != d->lat_len || fflush(d->latf) != 0)
		rt_error(d->rt, "%s: write error: %u bytes of latency lines lost", MT5_LATENCY_FILE,
			 d->lat_len);
	d->lat_len = 0;
}

/* An order taken while the link is down (execution did not know yet: a
 * killed data agent tells nobody): answered refused, as the EA answers an
 * order it could not send, so the table ends it; it never reaches the
 * terminal (mt5_link_take_order). */
static void refuse_down(struct ag_data_mt5 *d, const struct mt5_new_order *n)
{
	d->refused_down++;
	struct msg_venue_event *e = ev_new(d, MT5_VEV_RESULT);
	if (!e)
		return; /* the next reconciliation ends it: the terminal has it not */
	static const char why[] = "link down at DreamMaker";
	_Static_assert(sizeof(why) <= sizeof(e->u.result.comment), "the reason fits");
	e->recv_us = n->dm_us;
	e->u.result.coid = n->coid;
	e->u.result.cmd = MT5_CMD_NEW;
	e->u.result.accepted = 0;
	e->u.result.retcode = MT5_RC_REJECT;
	memcpy(e->u.result.comment, why, sizeof(why));
}

int ag_data_mt5_on_cmd(struct ag_data_mt5 *d, const struct msg_venue_cmd *c)
{
	if (!d->venue || c->hdr.size < sizeof(*c))
		return -EPROTO;
	int64_t now = mono_ns();
	int64_t rc = 0;
	switch (c->cmd) {
	case MT5_VCMD_ORDER: {
		struct mt5_new_order n = c->u.order;
		n.dm_us = (uint64_t)(now / 1000); /* the link's clock, on which the legs are */
		/* the decision's time, CLOCK_REALTIME, onto the same clock */
		uint64_t dec = 0, wall_us = (uint64_t)(wall_ns() / 1000);
		if (c->decision_us && c->decision_us <= wall_us && wall_us - c->decision_us < n.dm_us)
			dec = n.dm_us - (wall_us - c->decision_us);
		rc = mt5_link_take_order(&d->link, &n, now);
		if (rc >= 0)
			mt5_lat_sent(&d->lat, n.coid, dec, n.dm_us);
		if (rc == -ENOTCONN) {
			refuse_down(d, &n);
			return 0;
		}
		break;
	}
	case MT5_VCMD_CANCEL: {
		struct mt5_cancel k = c->u.cancel;
		k.dm_us = (uint64_t)(now / 1000);
		rc = mt5_link_send_cancel(&d->link, &k, now);
		break;
	}
	case MT5_VCMD_SNAPSHOT:
		if (mt5_link_up(&d->link))
			mt5_link_request_snapshot(&d->link, now);
		return 0;
	case MT5_VCMD_HELLO:
		/* a (re)started execution agent: the state again, and what the
		 * terminal holds when it is up */
		ev_state(d, mt5_link_up(&d->link));
		if (mt5_link_up(&d->link))
			mt5_link_request_snapshot(&d->link, now);
		return 0;
	default:
		return -EPROTO;
	}
	if (rc < 0) {
		/* the link's store is full: the command is lost; the table's order
		 * ends at the next reconciliation */
		d->cmd_errors++;
		rt_error(d->rt, "venue mt5: command %u for order %llu refused by the link: %s",
			 c->cmd, (unsigned long long)(c->cmd == MT5_VCMD_ORDER ? c->u.order.coid
									  : c->u.cancel.coid),
			 dm_strerror((int)rc));
		return 0;
	}
	return 0;
}

int ag_data_mt5_venue(struct ag_data_mt5 *d, uint32_t out)
{
	struct rt *rt = d->rt;
	char path[RT_PATH_MAX];
	d->venue = 1;
	d->out_ev = out;
	d->risk_md = -1;
	d->risk_state = -1;
	for (uint32_t j = 0; j < d->n_md; j++)
		if (rt->out[d->md[j]].consumer == AGENT_RISK)
			d->risk_md = (int)d->md[j];
	mt5_lat_init(&d->lat);
	int rc = rt_run_path(rt, MT5_LATENCY_FILE, path, sizeof(path));
	if (rc < 0 || !(d->latf = fopen(path, "a"))) {
		rc = rc < 0 ? rc : -errno;
		rt_error(rt, "%s: %s", MT5_LATENCY_FILE, dm_strerror(rc));
		return rc;
	}
	setvbuf(d->latf, NULL, _IONBF, 0);
	if (ftell(d->latf) == 0)
		fputs(mt5_lat_header(), d->latf);
	ev_state(d, 0);
	rt_log(rt, "venue mt5: the execution agent's orders go through this link; latencies "
	       "to %s", MT5_LATENCY_FILE);
	return 0;
}

static void on_state(void *ctx, int up, const char *why)
{
	struct ag_data_mt5 *d = ctx;
	if (d->venue)
		ev_state(d, up);
	if (up)
		rt_log(d->rt, "terminal connected: %s, account %llu, server %s, tick %lld points",
		       d->link.hello.symbol, (unsigned long long)d->link.hello.account_login,
		       d->link.hello.server, (long long)d->link.hello.tick_size_pts);
	else
		rt_warn(d->rt, "terminal gone: %s", why);
}

/* ------------------------------------------------------------ io_uring */

static struct io_uring_sqe *sqe_get(struct ag_data_mt5 *d)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&d->ring);
	if (!s) {
		io_uring_submit(&d->ring);
		s = io_uring_get_sqe(&d->ring);
	}
	return s;
}

static void arm_accept(struct ag_data_mt5 *d)
{
	/* connected, it keeps accepting, to refuse a second EA (on_accept) */
	if (d->accept_armed || d->closing)
		return;
	struct io_uring_sqe *s = sqe_get(d);
	if (!s)
		return;
	io_uring_prep_accept(s, d->lfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(s, UD_ACCEPT);
	d->accept_armed = 1;
}

static void arm_recv(struct ag_data_mt5 *d)
{
	if (d->recv_armed || d->cfd < 0 || d->closing)
		return;
	uint32_t room;
	uint8_t *p = mt5_link_space(&d->link, &room);
	struct io_uring_sqe *s = sqe_get(d);
	if (!s || !room)
		return;
	io_uring_prep_recv(s, d->cfd, p, room, 0);
	io_uring_sqe_set_data64(s, UD_RECV);
	d->recv_armed = 1;
	d->recv_room = room;
}

static void arm_send(struct ag_data_mt5 *d)
{
	if (d->send_armed || d->cfd < 0 || d->closing)
		return;
	if (d->send_off == d->send_len) {
		uint32_t len;
		const uint8_t *out = mt5_link_out(&d->link, &len);
		if (!len)
			return;
		memcpy(d->sendbuf, out, len);
		mt5_link_consumed(&d->link, len);
		d->send_len = len;
		d->send_off = 0;
	}
	struct io_uring_sqe *s = sqe_get(d);
	if (!s)
		return;
	io_uring_prep_send(s, d->cfd, d->sendbuf + d->send_off, d->send_len - d->send_off,
			   MSG_NOSIGNAL);
	io_uring_sqe_set_data64(s, UD_SEND);
	d->send_armed = 1;
}

static void start_close(struct ag_data_mt5 *d, const char *why)
{
	if (d->cfd < 0 || d->closing)
		return;
	mt5_link_disconnect(&d->link, why);
	shutdown(d->cfd, SHUT_RDWR); /* ends the receive and send in flight */
	d->closing = 1;
	d->send_len = d->send_off = 0;
}

static void finish_close(struct ag_data_mt5 *d)
{
	if (!d->closing || d->recv_armed || d->send_armed)
		return;
	close(d->cfd);
	d->cfd = -1;
	d->closing = 0;
}

/* Refused connections whose time is up closed (all with force). */
static void busy_reap(struct ag_data_mt5 *d, int force)
{
	int64_t now = mono_ns();
	for (int i = 0; i < MT5_BUSY_MAX; i++)
		if (d->busy_fd[i] >= 0 && (force || now >= d->busy_close_ns[i])) {
			close(d->busy_fd[i]);
			d->busy_fd[i] = -1;
		}
}

/* A second EA while one is connected: REFUSE(BUSY) and close, the
 * session in place untouched (docs/mt5-bridge.md, "Policy"). */
static void refuse_busy(struct ag_data_mt5 *d, int fd)
{
	struct mt5_msg m = { .type = MT5_T_REFUSE };
	m.u.refuse.reason = MT5_REFUSE_BUSY;
	m.u.refuse.supported_version = MT5_PROTO_VERSION;
	snprintf(m.u.refuse.detail, sizeof(m.u.refuse.detail),
		 "busy: another EA is connected; one at a time");
	uint8_t f[MT5_FRAME_MAX];
	int n = mt5_msg_encode(f, sizeof(f), 0, 0, &m);
	/* a new socket's buffer takes one small frame without blocking */
	if (n > 0 && send(fd, f, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n)
		n = -1;
	d->busy_refused++;
	rt_warn(d->rt, "mt5: a second terminal connection refused (busy: an EA is connected)%s",
		n > 0 ? "" : "; the refusal could not be sent");
	shutdown(fd, SHUT_WR);
	busy_reap(d, 0);
	for (int i = 0; i < MT5_BUSY_MAX; i++)
		if (d->busy_fd[i] < 0) {
			d->busy_fd[i] = fd;
			d->busy_close_ns[i] = mono_ns() + MT5_BUSY_LINGER_NS;
			return;
		}
	close(fd); /* more at once than kept: closed now */
}

static void on_accept(struct ag_data_mt5 *d, int res)
{
	d->accept_armed = 0;
	if (res < 0) {
		if (res != -EINTR && res != -ECANCELED)
			rt_warn(d->rt, "mt5: accept: %s", strerror(-res));
		return;
	}
	if (d->cfd >= 0) {
		refuse_busy(d, res);
		return;
	}
	uint8_t nonce[MT5_NONCE_LEN];
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce) ||
	    mt5_link_connect(&d->link, nonce, mono_ns()) < 0) {
		rt_error(d->rt, "mt5: no fresh nonce for the handshake (random source): refused");
		close(res);
		return;
	}
	int one = 1;
	setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	d->cfd = res;
}

static int reap(struct ag_data_mt5 *d)
{
	struct io_uring_cqe *cqe;
	int n = 0;
	while (io_uring_peek_cqe(&d->ring, &cqe) == 0) {
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&d->ring, cqe);
		n++;
		if (ud == UD_ACCEPT) {
			on_accept(d, res);
		} else if (ud == UD_RECV) {
			d->recv_armed = 0;
			if (d->closing)
				continue;
			if (res <= 0) {
				start_close(d, res == 0 ? "the terminal closed the connection"
						: strerror(-res));
				continue;
			}
			mt5_link_commit(&d->link, (uint32_t)res, mono_ns(), wall_ns());
		} else if (ud == UD_SEND) {
			d->send_armed = 0;
			if (d->closing)
				continue;
			if (res < 0) {
				start_close(d, strerror(-res));
				continue;
			}
			d->send_off += (uint32_t)res;
		}
	}
	return n;
}

/* ------------------------------------------------------------ the source */

int ag_data_mt5_tick(struct ag_data_mt5 *d, int64_t now)
{
	(void)now;
	int work = reap(d);
	if (d->cfd >= 0 && !d->closing && mt5_link_step(&d->link, mono_ns()))
		start_close(d, d->link.why);
	finish_close(d);
	work += drain(d);
	if (d->venue) {
		/* risk hears the link's state every MT5_RISK_STATE_NS too: a
		 * restarted risk learns it */
		int64_t t = d->rt->now_ns;
		/* a terminal silent for two heartbeat intervals is stale for risk
		 * before the link gives it up (mt5.heartbeat_timeout) */
		int ok = mt5_link_up(&d->link) &&
			 mono_ns() - d->link.hb.last_rx_ns <= 2 * d->link.hb.interval_ns;
		if (d->risk_md >= 0 && ok != d->risk_ok) {
			if (!ok && mt5_link_up(&d->link))
				rt_warn(d->rt, "terminal silent for %lld ms: risk refuses orders",
					(long long)((mono_ns() - d->link.hb.last_rx_ns) / 1000000));
			d->risk_ok = ok;
			d->risk_state = ok;
		}
		if (d->risk_md >= 0 && t >= d->risk_every_ns) {
			d->risk_every_ns = t + MT5_RISK_STATE_NS;
			d->risk_state = d->risk_ok;
		}
		work += ev_drain(d);
	}
	busy_reap(d, 0);
	arm_accept(d);
	arm_recv(d);
	arm_send(d);
	io_uring_submit(&d->ring);
	if (d->jopen && !work) {
		journal_poll(&d->jw);
		/* what arrived is on disk within MT5_FLUSH_NS, however quiet */
		int64_t t = mono_ns();
		if (t >= d->flush_at_ns) {
			d->flush_at_ns = t + MT5_FLUSH_NS;
			journal_flush(&d->jw);
			lat_write(d);
		}
	}
	d->rt->wake_at_ns = d->rt->now_ns + (d->cfd >= 0 || d->q_tail != d->q_head ||
					     d->e_tail != d->e_head ? MT5_POLL_NS : 1000000);
	return work;
}

static int listen_on(struct rt *rt, const struct mt5_cfg *c)
{
	struct mt5_addr a;
	if (mt5_addr_parse(c->listen, &a) < 0) {
		rt_error(rt, "mt5.listen '%s': not a numeric ADDRESS:PORT", c->listen);
		return -DM_ECONFIG;
	}
	int fd = socket(a.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (a.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a.port);
		memcpy(&s4->sin_addr, a.addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a.port);
		memcpy(&s6->sin6_addr, a.addr, 16);
		sl = sizeof(*s6);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 4) < 0) {
		int e = errno;
		rt_error(rt, "mt5.listen %s: %s", c->listen, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

/* The MT5 name of the configured instrument (mt5.symbols, else its own). */
static const char *mt5_symbol_of(const struct rt *rt)
{
	const struct mt5_cfg *c = &rt->cfg.core.mt5;
	for (uint32_t i = 0; i < c->n_symbols; i++)
		if (strcmp(c->symbols[i].instrument, rt->cfg.core.instrument.symbol) == 0)
			return c->symbols[i].mt5;
	return rt->cfg.core.instrument.symbol;
}

/* decimal text of x / 10^6 */
static void dec6(char *out, size_t n, int64_t x)
{
	int k = snprintf(out, n, "%lld.%06lld", (long long)(x / 1000000), (long long)(x % 1000000));
	while (k > 0 && out[k - 1] == '0')
		out[--k] = '\0';
	if (k > 0 && out[k - 1] == '.')
		out[--k] = '\0';
}

int ag_data_mt5_open(struct rt *rt, struct ag_data_state *st, uint32_t n_md,
                     const uint32_t *md, struct ag_data_mt5 **out)
{
	const struct mt5_cfg *c = &rt->cfg.core.mt5;
	char err[512];
	if (!c->secret_file[0]) {
		rt_error(rt, "--live mt5: mt5.secret_file is not set (dm-mt5 new-secret FILE makes one)");
		return -DM_ECONFIG;
	}
	struct ag_data_mt5 *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->rt = rt;
	d->st = st;
	d->n_md = n_md;
	memcpy(d->md, md, n_md * sizeof(*md));
	d->cfd = -1;
	for (int i = 0; i < MT5_BUSY_MAX; i++)
		d->busy_fd[i] = -1;
	int rc = mt5_key_load(&d->key, c->secret_file, err, sizeof(err));
	if (rc < 0) {
		rt_error(rt, "mt5.secret_file: %s", err);
		rc = -DM_ECONFIG;
		goto free_d;
	}
	struct mt5_link_cfg lc = {
		.key = &d->key,
		.instrument = 0,
		.hb_interval_ns = c->heartbeat_interval_ns,
		.hb_timeout_ns = c->heartbeat_timeout_ns,
		.handshake_timeout_ns = c->handshake_timeout_ns,
		.reconnect_min_ns = c->reconnect_min_ns,
		.reconnect_max_ns = c->reconnect_max_ns,
	};
	snprintf(lc.symbol, sizeof(lc.symbol), "%s", mt5_symbol_of(rt));
	struct mt5_link_out lo = { .ctx = d, .md = on_md, .state = on_state, .trade = on_trade,
				   .result = on_result, .snapshot = on_snapshot };
	uint64_t sid = 0;
	if (getrandom(&sid, sizeof(sid), 0) != (ssize_t)sizeof(sid))
		sid = (uint64_t)wall_ns();
	if ((rc = mt5_link_init(&d->link, &lc, &lo, sid | 1)) < 0) {
		rt_error(rt, "mt5: the link's settings are refused");
		rc = -DM_ECONFIG;
		goto wipe_key;
	}
	if ((d->lfd = listen_on(rt, c)) < 0) {
		rc = d->lfd;
		goto wipe_key;
	}
	if ((rc = io_uring_queue_init(16, &d->ring, 0)) < 0) {
		rt_error(rt, "mt5: io_uring: %s", strerror(-rc));
		goto close_lfd;
	}
	d->ring_ok = 1;
	/* the market journal: the instrument's header, so it replays alone */
	char path[RT_PATH_MAX], tick[32], lot[32];
	const struct cfg_instrument *in = &rt->cfg.core.instrument;
	dec6(tick, sizeof(tick), in->tick_size_e6);
	dec6(lot, sizeof(lot), in->lot_size_e6);
	struct journal_opts jo = {
		.symbol = in->symbol, .tick_size = tick, .lot_size = lot, .currency = in->currency,
		.point_value = (double)in->point_value_e6 / 1e6, .hdr_flags = JOURNAL_HDR_F_RECV_TIME,
		.fsync = JOURNAL_FSYNC_NONE, .buf_size = 256 << 10, .flags = JOURNAL_W_NO_URING,
	};
	if ((rc = rt_run_path(rt, MT5_MARKET_JOURNAL, path, sizeof(path))) < 0 ||
	    (rc = journal_open_append(&d->jw, path, &jo)) < 0) {
		rt_error(rt, "%s: %s", MT5_MARKET_JOURNAL, dm_strerror(rc));
		goto exit_ring;
	}
	d->jopen = 1;
	char fp[17];
	mt5_key_fingerprint(&d->key, fp);
	rt_log(rt, "live: waiting for the MetaTrader 5 terminal on %s (symbol %s, key %s); "
	       "journaling to %s", c->listen, lc.symbol, fp, MT5_MARKET_JOURNAL);
	*out = d;
	return 0;
exit_ring:
	io_uring_queue_exit(&d->ring);
close_lfd:
	close(d->lfd);
wipe_key:
	mt5_key_wipe(&d->key);
free_d:
	free(d);
	return rc;
}

void ag_data_mt5_close(struct ag_data_mt5 *d)
{
	if (!d)
		return;
	if (d->venue) {
		/* the link ends with this process: execution and risk refuse new
		 * orders from now on, not from the next data agent's start (best
		 * effort: a killed agent says nothing; the next one refuses the
		 * orders execution sent meanwhile, refuse_down) */
		ev_state(d, 0);
		ev_drain(d);
		rt_ring_bells(d->rt);
	}
	if (d->cfd >= 0)
		close(d->cfd);
	busy_reap(d, 1);
	close(d->lfd);
	if (d->ring_ok)
		io_uring_queue_exit(&d->ring);
	if (d->jopen && journal_close(&d->jw) < 0)
		rt_error(d->rt, "%s: write error at close", MT5_MARKET_JOURNAL);
	lat_write(d);
	if (d->latf && fclose(d->latf) != 0)
		rt_error(d->rt, "%s: write error at close", MT5_LATENCY_FILE);
	if (d->venue)
		rt_log(d->rt, "venue mt5: %llu commands, %llu reports and %llu snapshots from the "
		       "terminal, %llu latency lines (%llu lost to a full buffer), %llu commands "
		       "refused by the link, %llu orders refused while the link was down, %llu reports lost",
		       (unsigned long long)d->link.st.commands,
		       (unsigned long long)(d->link.st.trades + d->link.st.results),
		       (unsigned long long)d->link.st.snapshots, (unsigned long long)d->lat_lines,
		       (unsigned long long)d->lat_dropped, (unsigned long long)d->cmd_errors,
		       (unsigned long long)d->refused_down, (unsigned long long)d->e_lost);
	const struct mt5_link_stats *s = &d->link.st;
	/* what the faults of a session leave behind: the sequence's repairs
	 * and the clock's jumps (docs/mt5-bridge.md, "Faults") */
	int64_t off = 0, err = 0;
	int have_off = mt5_clock_offset(&d->link.clock, &off, &err);
	rt_log(d->rt, "mt5 link: %llu report gaps, %llu resends asked, %llu repeated reports, "
	       "%llu repeated deals, %llu bytes over the send buffer; clock: %llu jumps, offset "
	       "%s %lld us +- %lld us", (unsigned long long)s->gaps,
	       (unsigned long long)s->resends_asked, (unsigned long long)s->dup_reports,
	       (unsigned long long)s->dup_deals, (unsigned long long)s->out_overflow,
	       (unsigned long long)d->link.clock.resets, have_off ? "known" : "unknown",
	       (long long)off, (long long)err);
	rt_log(d->rt, "live: %llu connections, %llu refused busy, %llu ticks (%llu prints), "
	       "%llu books, %llu bad market messages, %llu frame errors, %llu events dropped by "
	       "a full queue", (unsigned long long)s->connections,
	       (unsigned long long)d->busy_refused, (unsigned long long)s->ticks,
	       (unsigned long long)s->prints, (unsigned long long)s->books,
	       (unsigned long long)s->md_errors, (unsigned long long)s->frame_errors,
	       (unsigned long long)d->dropped);
	mt5_key_wipe(&d->key);
	free(d);
}

const struct mt5_link *ag_data_mt5_link(const struct ag_data_mt5 *d)
{
	return &d->link;
}
