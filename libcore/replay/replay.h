/*
 * replay.h — one paced stream of market events over every source: a file
 * of any format the feed readers take (LOBSTER, MetaTrader 5, B3 NEG,
 * Binance capture, DreamMaker journal; libcore/feed/feed.h) or events the
 * caller produces (a generator, an in-memory array).
 *
 * Design note.  The replay keeps one event read ahead (the pending event)
 * and decides when the caller may have it:
 *
 *   REPLAY_MAX       every call hands out the next event;
 *   REPLAY_REALTIME  the pending event is due when
 *                        (now - wall0) * speed >= t - t0
 *                    where t is its pacing time, (wall0, t0) the anchor:
 *                    the local time and pacing time of the first event
 *                    handed out, set again by replay_anchor (after a pause
 *                    or a restart) and by replay_skip;
 *   REPLAY_LOCKSTEP  the caller grants events with replay_step(r, n); each
 *                    event handed out takes one grant.
 *
 * Time is passed in: replay_next(r, now_ns, &ev) never reads a clock and
 * never sleeps.  When the pending event is not due it returns REPLAY_WAIT
 * and replay_wait_ns() says how long until it is, so the caller (the data
 * agent's loop) chooses how to wait; REPLAY_STEP says a lock-step replay
 * has no grant left.  replay_next_wait is the blocking form for tools.
 * now_ns may come from any clock (CLOCK_REALTIME, CLOCK_MONOTONIC, a
 * test's counter) as long as one replay always gets the same clock.
 *
 * Pacing time.  t is the event's exchange time (exch_ns), except for a
 * Binance capture, whose events are paced by their receive time (recv_ns),
 * as the feature engine times them (features.clock, docs/features.md);
 * replay_opts.clock forces either.  t never runs back: an event whose time
 * is earlier than an event before it takes that earlier maximum, so equal
 * and backward time stamps are released at once, never after a negative
 * wait (counted in stats.backwards when strictly earlier).
 *
 * Exact arithmetic.  speed is held as speed_e9 = round(speed * 1e9), and
 * an event is due at wall0 + ceil((t - t0) * 1e9 / speed_e9): the first
 * integer now for which (now - wall0) * speed_e9 >= (t - t0) * 1e9.
 * 128-bit intermediates, so no spans overflow.
 *
 * Memory.  struct replay is owned by the caller (static, heap, stack: it
 * holds a feed reader, a few KiB).  replay_open allocates, through
 * feed_open, every buffer the reader will use; replay_next allocates
 * nothing and makes no system call of its own.  Reading the pending event
 * is the source's work: a text reader refills its line buffer with read(2)
 * once per buffer, a journal is mapped (page faults only), and the Binance
 * reader parses JSON with jansson, which allocates inside the call.
 *
 * Threads.  One replay is used by one thread at a time.
 * docs/replay.md has the modes worked through with numbers.
 */
#ifndef DM_LIBCORE_REPLAY_REPLAY_H
#define DM_LIBCORE_REPLAY_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/market/event.h"
#include "libcore/feed/feed.h"
#include "libcore/replay/replay_cfg.h"
#include "libcore/types.h"

#define REPLAY_DEF_LATE_NS 1000000   /* 1 ms: later than this is "late" */
#define REPLAY_SPEED_MAX   1e6       /* fastest realtime factor accepted */
#define REPLAY_SPEED_MIN   1e-6      /* slowest */
#define REPLAY_ERR_LEN     FEED_ERR_LEN

/* enum replay_pace (replay_cfg.h) is the configuration's data.pace, so it
 * passes straight in (speed: data.speed_e6 / 1e6). */

/* Which event time paces; the values are those of enum feat_clock
 * (libcore/features/features.h), so features.clock can be passed straight in. */
enum replay_clock {
	REPLAY_CLOCK_AUTO = 0, /* receive time for Binance (and a journal whose
				* header has JOURNAL_HDR_F_RECV_TIME), else
				* exchange */
	REPLAY_CLOCK_EXCH = 1, /* event.exch_ns */
	REPLAY_CLOCK_RECV = 2  /* event.recv_ns */
};

/* replay_next results (negative: an error of the source). */
enum replay_result {
	REPLAY_END   = 0, /* no more events (and again on every later call) */
	REPLAY_EVENT = 1, /* *ev holds the next event */
	REPLAY_WAIT  = 2, /* realtime: not due yet, see replay_wait_ns */
	REPLAY_STEP  = 3  /* lock-step: no grant left, see replay_step */
};

struct replay_opts {
	uint32_t pace;     /* enum replay_pace */
	uint32_t clock;    /* enum replay_clock */
	double   speed;    /* REPLAY_REALTIME: market ns per local ns, in
			    * [REPLAY_SPEED_MIN, REPLAY_SPEED_MAX]; 0 = 1 */
	int64_t  late_ns;  /* an event handed out more than this after it was
			    * due counts as late; 0 = REPLAY_DEF_LATE_NS */
};

/* Counters since open; they only grow (max_late_ns aside: a maximum). */
struct replay_stats {
	uint64_t events;      /* handed out by replay_next */
	uint64_t skipped;     /* passed over by replay_skip */
	uint64_t backwards;   /* events whose time was earlier than an earlier
			       * event's: paced as that maximum */
	uint64_t late;        /* realtime: handed out more than late_ns late */
	int64_t  max_late_ns; /* realtime: largest now - due seen */
	uint64_t late_sum_ns; /* realtime: sum of now - due, for a mean */
	uint64_t waits;       /* REPLAY_WAIT returns */
	uint64_t step_waits;  /* REPLAY_STEP returns */
	uint64_t anchors;     /* times the realtime anchor was set */
};

/* A caller's source: 1 with *ev, 0 at the end, < 0 an error (sticky in the
 * replay).  Called from replay_next and replay_skip. */
typedef int (*replay_source_fn)(void *ctx, struct event *ev);

/* ------------------------------------------------------------ private
 * The replay's own state, in the header only so that the caller can own
 * the struct.  Read it through the accessors below. */
struct replay {
	uint32_t pace;        /* enum replay_pace */
	uint32_t clock;       /* REPLAY_CLOCK_EXCH or _RECV, resolved */
	int64_t  speed_e9;    /* speed * 1e9, >= 1 */
	int64_t  late_ns;
	int      state;       /* 0 reading, 1 at end, < 0 sticky error */
	uint8_t  have;        /* pend holds the pending event */
	uint8_t  anchored;    /* wall0_ns / t0_ns are set */
	uint8_t  started;     /* tmax_ns holds a time */
	uint8_t  own_feed;    /* feed is open and ours to close */
	int64_t  wall0_ns;    /* anchor: local time ... */
	int64_t  t0_ns;       /* ... of this pacing time */
	int64_t  tmax_ns;     /* latest pacing time read so far */
	int64_t  pend_t_ns;   /* pacing time of pend (after the maximum) */
	int64_t  due_ns;      /* local time pend is due (anchored realtime) */
	int64_t  wait_ns;     /* of the last REPLAY_WAIT */
	uint64_t grant;       /* lock-step events still granted */
	uint64_t index;       /* events taken from the source (skipped + out) */
	replay_source_fn next;
	void    *ctx;
	struct replay_stats st;
	char     err[REPLAY_ERR_LEN];
	struct event pend;
	struct feed_reader feed;
};

/* ------------------------------------------------------------ API */

/*
 * Open path as format fmt with reader options fo (feed_open's rules: fo->
 * tick required except for a journal; NULL = all defaults, which only a
 * journal accepts) and pacing o (NULL = REPLAY_MAX,
 * automatic clock).  Returns 0, or the negative error of feed_open, or
 * -EINVAL for bad pacing options; err (errlen bytes, may be NULL) then
 * holds one line naming the file or option and the cause, and *r holds
 * nothing to close.  Allocates the reader's buffers; start-up code only.
 */
int replay_open(struct replay *r, const char *path, enum feed_format fmt,
		const struct feed_opts *fo, const struct replay_opts *o,
		char *err, size_t errlen);

/*
 * The same over the caller's source: next(ctx, &ev) is called for every
 * event.  REPLAY_CLOCK_AUTO means exchange time.  Returns 0 or -EINVAL
 * (bad options, message in err).  No allocation.
 */
int replay_init(struct replay *r, replay_source_fn next, void *ctx,
		const struct replay_opts *o, char *err, size_t errlen);

/*
 * The next event into *ev if the pacing lets it out at local time now_ns:
 * REPLAY_EVENT; otherwise REPLAY_WAIT (realtime, not due: replay_wait_ns()
 * ns to go), REPLAY_STEP (lock-step, no grant left), REPLAY_END at the end
 * of the source (even with no grant left), or the source's negative error
 * (sticky; replay_error explains it).  The first event after open,
 * replay_anchor or replay_skip anchors a realtime replay at now_ns and is
 * due at once.  Never sleeps, never reads a clock, allocates nothing; the
 * source may block on file reads (see the top).
 */
int replay_next(struct replay *r, int64_t now_ns, struct event *ev);

/*
 * replay_next with replay_now_ns() as the clock, sleeping (clock_nanosleep)
 * while the event is not due.  Returns REPLAY_EVENT, REPLAY_END,
 * REPLAY_STEP (a lock-step replay cannot be waited for here) or an error.
 * Blocks; for tools, not for agents.
 */
int replay_next_wait(struct replay *r, struct event *ev);

/* CLOCK_MONOTONIC in ns: the clock replay_next_wait uses. */
int64_t replay_now_ns(void);

/* Grant n more events to a lock-step replay (saturating).  O(1). */
void replay_step(struct replay *r, uint64_t n);

/*
 * Pass over the next n events without pacing or grants (a restarted agent
 * resuming after the events it had already published; the pending event,
 * if any, is the first to go).  Returns how many were skipped (< n at the
 * end of the source) or the source's negative error.  The realtime anchor
 * is dropped: the next event handed out is due at once.  Blocks on reads.
 */
int64_t replay_skip(struct replay *r, uint64_t n);

/* Drop the realtime anchor: the next event handed out is due at once, and
 * the pace continues from it (after a pause or a restart).  O(1). */
void replay_anchor(struct replay *r);

/* Set the realtime anchor: pacing time t0_ns is due at local time
 * wall0_ns (an anchor kept across a restart).  Events earlier than t0_ns
 * are due at wall0_ns.  O(1). */
void replay_anchor_at(struct replay *r, int64_t wall0_ns, int64_t t0_ns);

/* Change the realtime speed (same range as opts.speed) and drop the
 * anchor.  Returns 0 or -EINVAL (speed unchanged). */
int replay_set_speed(struct replay *r, double speed);

/* Close the source's files and free its buffers (a caller's source is
 * left alone).  Safe once after a successful open or init. */
void replay_close(struct replay *r);

/* The text of the last error, "" if none.  Points into r. */
const char *replay_error(const struct replay *r);

/* "max", "realtime", "lockstep"; NULL otherwise. */
const char *replay_pace_name(enum replay_pace p);

/* The pace named s (the names above; "fast" is "max"), or -1. */
int replay_pace_parse(const char *s);

/* ------------------------------------------------------------ accessors
 * Read-only, O(1), any time after a successful open or init. */

static inline const struct replay_stats *replay_stats(const struct replay *r)
{
	return &r->st;
}

/* After REPLAY_WAIT: ns from the now_ns passed in until the pending
 * event is due (> 0). */
static inline int64_t replay_wait_ns(const struct replay *r)
{
	return r->wait_ns;
}

/* After REPLAY_WAIT: the local time (the caller's clock) it is due. */
static inline int64_t replay_due_ns(const struct replay *r)
{
	return r->due_ns;
}

/* Events taken from the source so far: skipped + handed out.  A restart
 * resumes with replay_skip(r, the count it had published). */
static inline uint64_t replay_index(const struct replay *r)
{
	return r->index;
}

/* Lock-step grants not yet used. */
static inline uint64_t replay_grant(const struct replay *r)
{
	return r->grant;
}

/* The clock pacing this replay: REPLAY_CLOCK_EXCH or REPLAY_CLOCK_RECV. */
static inline enum replay_clock replay_clock_of(const struct replay *r)
{
	return (enum replay_clock)r->clock;
}

/* The realtime anchor: 1 and *wall0_ns / *t0_ns when set, else 0. */
static inline int replay_anchor_get(const struct replay *r, int64_t *wall0_ns,
				    int64_t *t0_ns)
{
	if (!r->anchored)
		return 0;
	*wall0_ns = r->wall0_ns;
	*t0_ns = r->t0_ns;
	return 1;
}

/* The feed reader underneath (its stats, format), NULL for a caller's
 * source. */
static inline const struct feed_reader *replay_feed(const struct replay *r)
{
	return r->own_feed ? &r->feed : NULL;
}

#endif /* DM_LIBCORE_REPLAY_REPLAY_H */
