/*
 * mt5_link.h — DreamMaker's end of one MetaTrader 5 bridge connection as
 * pure code: bytes in, events and bytes out (docs/mt5-bridge.md,
 * "DreamMaker's side").
 *
 * Design note.  The host owns the socket (the data agent, through
 * io_uring; a test, through plain calls): it hands every byte it reads to
 * mt5_link_space / mt5_link_commit, calls mt5_link_step with the time,
 * and writes out what mt5_link_out holds.  The link does the rest:
 *
 *   handshake   mt5_hs_server (HMAC challenge-response), then the policy
 *               (the symbol must be the configured one) and ACCEPT with
 *               where the two sequenced streams resume;
 *   market      TICK and BOOK become the events a replayed file gives
 *               (mt5_md.h), handed to out->md;
 *   reports     TRADE and ORDER_RESULT are sequenced: a duplicate number
 *               is dropped, a gap asks for a resend once and drops until
 *               filled, a SEQ_RESET counts the lost numbers and asks for a
 *               snapshot.  A deal ticket seen lately is dropped too (the
 *               terminal may report one transaction twice under two
 *               numbers).  Each report goes to out->trade / out->result;
 *               the link acknowledges after each burst;
 *   commands    mt5_link_send_order / _cancel number the command, keep it
 *               until the EA acknowledges it, and resend what the EA has
 *               not carried out after a reconnect; a command is never
 *               numbered twice, and the EA never places a coid twice;
 *   snapshot    after ACCEPT and on request: the positions and open orders
 *               (at most MT5_LINK_SNAP_MAX) go to out->snapshot whole;
 *   heartbeats  sent every interval; a peer silent for the timeout is gone
 *               (the host closes; mt5_link_up is 0 from then on, and risk
 *               votes no while the link is down);
 *   the clocks  every EA-stamped frame and every echo bounds the offset
 *               between the EA's microsecond clock and DreamMaker's
 *               (struct mt5_clock below), so each order's legs are
 *               measured on one clock.
 *
 * What survives a reconnect lives in the struct: the EA's stream and the
 * command stream with its unacknowledged commands.  What survives a
 * restart of the host is the host's to keep (the journal): mt5_link_init
 * starts a new command stream.
 *
 * No I/O, no clock, no allocation, no locks: one thread drives a link.
 * Times: now_ns is DreamMaker's CLOCK_MONOTONIC; wall_ns its
 * CLOCK_REALTIME (events' recv_ns).
 */
#ifndef DM_LIBCORE_MT5_MT5_LINK_H
#define DM_LIBCORE_MT5_MT5_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/market/event.h"
#include "libcore/mt5/mt5_md.h"
#include "libcore/mt5/mt5_proto.h"
#include "libcore/mt5/mt5_session.h"

/* ------------------------------------------------------------ the clocks */

/*
 * The offset between the EA's clock and DreamMaker's, both in us:
 * ea = dm + offset.  Two kinds of samples bound it, NTP's reasoning
 * without NTP's four stamps:
 *
 *   a frame the EA stamped at ea_us and DreamMaker received at dm_us:
 *       dm_us = ea_us - offset + d_rev  (d_rev >= 0, the way back)
 *       so  offset >= ea_us - dm_us             (lo: the largest wins)
 *   an echo: the EA stamped ea_us after it received what DreamMaker
 *   stamped at dm_us (ORDER_RESULT: echo_dm_us, ea_us; HEARTBEAT:
 *   echo_us, time_us):
 *       ea_us = dm_us + offset + d_fwd + hold   (both >= 0)
 *       so  offset <= ea_us - dm_us             (hi: the smallest wins)
 *
 * The estimate is the middle of [lo, hi] and its error at most half the
 * width: the min-RTT filter (the fastest samples each way bound it
 * best).  Samples are kept over a window of MT5_CLOCK_WINDOW samples of
 * each kind (the best of the current and the previous window), so a
 * drifting clock is followed; bounds that cross (lo > hi: a clock that
 * jumped) start the estimate over from the crossing sample.
 */
#define MT5_CLOCK_WINDOW 256

struct mt5_clock {
	int64_t lo, hi;             /* bounds of the current window; INT64_MIN/MAX unset */
	int64_t lo_prev, hi_prev;   /* of the previous window */
	uint32_t n_lo, n_hi;        /* samples in the current windows */
	uint64_t resets;            /* bounds that crossed: a clock jumped */
	uint64_t samples;
};

void mt5_clock_init(struct mt5_clock *c);
/* An EA-stamped frame received: ea_us on the EA's clock, dm_us on ours. */
void mt5_clock_rx(struct mt5_clock *c, uint64_t ea_us, uint64_t dm_us);
/* An echo: the EA's ea_us, after it had received our dm_us. */
void mt5_clock_echo(struct mt5_clock *c, uint64_t ea_us, uint64_t dm_us);
/* 1 with *offset_us (ea = dm + offset) and *err_us (half the width) when
 * both bounds are known, else 0. */
int mt5_clock_offset(const struct mt5_clock *c, int64_t *offset_us, int64_t *err_us);

/* ------------------------------------------------------------ the link */

#define MT5_LINK_OUT_CAP   (256u << 10)  /* bytes waiting for the socket */
#define MT5_LINK_OUTBOX    (256u << 10)  /* commands kept until acknowledged */
#define MT5_LINK_SNAP_MAX  256           /* positions + orders of one snapshot */
#define MT5_LINK_DEALS     1024          /* deal tickets remembered (a power of two) */
#define MT5_LINK_MAX_ERRORS 16           /* bad frames within a heartbeat timeout */

enum mt5_link_phase { MT5_LINK_DOWN = 0, MT5_LINK_HANDSHAKE, MT5_LINK_UP };

/* A whole snapshot (SNAPSHOT_BEGIN .. SNAPSHOT_END). */
struct mt5_link_snap {
	uint64_t req_id;
	uint64_t last_seq;          /* the EA's last report it includes */
	int64_t time_msc;
	uint32_t n_positions, n_orders;
	struct mt5_position pos[MT5_LINK_SNAP_MAX];
	struct mt5_order ord[MT5_LINK_SNAP_MAX];
};

/* What the host does with the link's output; every callback gets ctx and
 * may be NULL. */
struct mt5_link_out {
	void *ctx;
	/* a market event, as a replayed file would give it */
	void (*md)(void *ctx, const struct event *ev, uint64_t ea_us);
	/* a report, in the EA's sequence order, each once (seq: its number in
	 * the EA's stream l->ea_stream_id); recv_us our clock */
	void (*trade)(void *ctx, const struct mt5_trade *t, uint64_t seq, uint64_t recv_us);
	void (*result)(void *ctx, const struct mt5_order_result *r, uint64_t recv_us);
	void (*snapshot)(void *ctx, const struct mt5_link_snap *s);
	/* the link came up (1) or went down (0), and why */
	void (*state)(void *ctx, int up, const char *why);
};

struct mt5_link_cfg {
	const struct mt5_key *key;  /* the caller's, outlives the link */
	char symbol[32];            /* the MT5 symbol DreamMaker trades */
	uint32_t instrument;        /* event.instrument of the events made */
	int64_t hb_interval_ns, hb_timeout_ns, handshake_timeout_ns;
	int64_t reconnect_min_ns, reconnect_max_ns;
};

struct mt5_link_stats {
	uint64_t connections, accepted, refused;
	uint64_t ticks, books, prints, md_errors;  /* md_errors: TICK/BOOK refused */
	uint64_t trades, results, dup_reports, dup_deals, gaps, lost, resends_asked;
	uint64_t frame_errors, snapshots, commands, commands_resent;
	uint64_t tick_gaps, book_gaps;
	uint64_t out_overflow;      /* bytes that did not fit out: the host closes */
};

struct mt5_link {
	struct mt5_link_cfg cfg;
	struct mt5_link_out out_if;
	uint32_t phase;             /* enum mt5_link_phase */
	uint32_t want_close;        /* 1: the host should close the connection */
	char why[128];              /* why it closes / why it went down */
	struct mt5_hs_server hs;
	struct mt5_dec dec;
	struct mt5_hb hb;
	struct mt5_sym sym;
	struct mt5_hello hello;     /* the EA's, of the current connection */
	/* the EA's sequenced stream */
	uint64_t ea_stream_id;      /* 0: none yet */
	struct mt5_seq_rx rx;
	int64_t gap_since_ns;       /* a gap is open since, 0 none */
	uint64_t last_tick_seq, last_book_seq;
	/* our command stream */
	uint64_t cmd_stream_id;
	struct mt5_seq_tx tx;
	struct mt5_outbox ob;
	/* errors within a heartbeat timeout */
	uint32_t errs;
	int64_t errs_since_ns;
	uint64_t peer_hb_us;        /* the EA's last HEARTBEAT.time_us */
	/* a snapshot being received */
	struct mt5_link_snap snap;
	uint32_t snap_open;
	uint64_t next_req_id;
	/* deals seen lately (duplicate transactions) */
	uint64_t deals[MT5_LINK_DEALS];
	struct mt5_clock clock;
	struct mt5_link_stats st;
	uint32_t out_len;
	uint8_t out[MT5_LINK_OUT_CAP];
	uint8_t decbuf[2 * MT5_FRAME_MAX];
	uint8_t obmem[MT5_LINK_OUTBOX];
};

/*
 * A link with no connection: cfg copied (key kept by pointer), out the
 * output interface, cmd_stream_id a fresh random number (never 0; a
 * restarted host starts a new stream).  0, or -EINVAL (no key, a symbol
 * not set, timeouts out of order).  About 800 KB: a static or heap struct.
 */
int mt5_link_init(struct mt5_link *l, const struct mt5_link_cfg *cfg,
                  const struct mt5_link_out *out, uint64_t cmd_stream_id);

/*
 * A connection was accepted: its handshake starts (nonce: 32 fresh random
 * bytes).  0, or -MT5_EREPLAY for a nonce the link issued lately (the
 * random source is broken: close).  A connection already up is dropped
 * first (out->state(0)).
 */
int mt5_link_connect(struct mt5_link *l, const uint8_t nonce[MT5_NONCE_LEN], int64_t now_ns);

/* The host closed the connection (or lost it): state DOWN, out->state(0,
 * why) when it was up.  What is sequenced stays for the next connection. */
void mt5_link_disconnect(struct mt5_link *l, const char *why);

/* Where to read into (room bytes), then commit n bytes read: the frames
 * are decoded and acted on by mt5_link_commit, with the time. */
uint8_t *mt5_link_space(struct mt5_link *l, uint32_t *room);
void mt5_link_commit(struct mt5_link *l, uint32_t n, int64_t now_ns, int64_t wall_ns);

/*
 * Timers: the handshake's deadline, heartbeats, a gap not filled within
 * a heartbeat timeout, the peer's silence.  Call after reading and at
 * least at mt5_link_next_ns.  Returns l->want_close (1: close the
 * connection, l->why says why, after writing what out holds).
 */
int mt5_link_step(struct mt5_link *l, int64_t now_ns);
int64_t mt5_link_next_ns(const struct mt5_link *l);

/* Bytes to write, and how many were written (the rest stays first). */
static inline const uint8_t *mt5_link_out(const struct mt5_link *l, uint32_t *len)
{
	*len = l->out_len;
	return l->out;
}
void mt5_link_consumed(struct mt5_link *l, uint32_t n);

static inline int mt5_link_up(const struct mt5_link *l)
{
	return l->phase == MT5_LINK_UP;
}

/*
 * Send an order: NEW_ORDER numbered, kept until acknowledged, written now
 * when the link is up (else on the next connection).  dm_us is the
 * send time on our clock.  The command's sequence number, or -ENOBUFS
 * (the store is full: the EA has not acknowledged for long), -EINVAL.
 */
int64_t mt5_link_send_order(struct mt5_link *l, const struct mt5_new_order *o, int64_t now_ns);
int64_t mt5_link_send_cancel(struct mt5_link *l, const struct mt5_cancel *c, int64_t now_ns);

/*
 * A new order from a host that learns the link's state late (the data
 * agent, for the execution agent): mt5_link_send_order while the link is
 * up; -ENOTCONN while it is not, and nothing kept.  An order taken while
 * the link is down was decided on a market the link no longer showed (a
 * killed data agent leaves the execution agent's orders in the ring until
 * the next one starts): it must not reach the terminal after the
 * reconnect, ahead of the reconciliation.  The host answers it refused.
 * What was sent while up keeps mt5_link_send_order's resend.
 */
int64_t mt5_link_take_order(struct mt5_link *l, const struct mt5_new_order *o, int64_t now_ns);

/* Ask for a snapshot (SNAPSHOT_REQ): its req_id, 0 when the link is down. */
uint64_t mt5_link_request_snapshot(struct mt5_link *l, int64_t now_ns);

#endif /* DM_LIBCORE_MT5_MT5_LINK_H */
