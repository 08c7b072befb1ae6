/*
 * replay.c — paced event stream over a feed reader or a caller's source
 * (replay.h).
 *
 * State per event: the source hands one event into pend (fill); its
 * pacing time is fixed there (the running maximum), and, when the replay
 * is anchored, the local time it is due.  replay_next releases pend when
 * the pace allows, then the next call fills again.  Due times are
 * computed once per event, so a caller polling an event that is not due
 * costs one comparison per call.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "libcore/config/config.h"
#include "libcore/replay/replay.h"

/* the configuration's values pass straight in (replay.h) */
_Static_assert((int)REPLAY_CLOCK_AUTO == (int)FEAT_CLOCK_AUTO &&
	       (int)REPLAY_CLOCK_EXCH == (int)FEAT_CLOCK_EXCH &&
	       (int)REPLAY_CLOCK_RECV == (int)FEAT_CLOCK_RECV,
	       "replay_clock = feat_clock");

static int feed_source(void *ctx, struct event *ev)
{
	return feed_next((struct feed_reader *)ctx, ev);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* speed -> speed_e9, or 0 when out of range */
static int64_t speed_e9_of(double speed)
{
	if (speed == 0)
		speed = 1;
	if (!(speed >= REPLAY_SPEED_MIN && speed <= REPLAY_SPEED_MAX))
		return 0;
	return (int64_t)llround(speed * 1e9);
}

static int setup(struct replay *r, const struct replay_opts *o, char *err,
		 size_t errlen)
{
	struct replay_opts d = { 0 };

	if (!o)
		o = &d;
	if (o->pace > REPLAY_LOCKSTEP) {
		set_err(err, errlen, "replay: pace %u: want max, realtime or lockstep",
			o->pace);
		return -EINVAL;
	}
	if (o->clock > REPLAY_CLOCK_RECV) {
		set_err(err, errlen, "replay: clock %u: want auto, exchange or receive",
			o->clock);
		return -EINVAL;
	}
	if (o->late_ns < 0) {
		set_err(err, errlen, "replay: late_ns %lld: want >= 0 (0 = 1 ms)",
			(long long)o->late_ns);
		return -EINVAL;
	}
	int64_t s = speed_e9_of(o->speed);
	if (!s) {
		set_err(err, errlen, "replay: speed %g: want a factor in [%g, %g]",
			o->speed, REPLAY_SPEED_MIN, REPLAY_SPEED_MAX);
		return -EINVAL;
	}
	r->pace = o->pace;
	r->clock = o->clock;
	r->speed_e9 = s;
	r->late_ns = o->late_ns ? o->late_ns : REPLAY_DEF_LATE_NS;
	return 0;
}

int replay_init(struct replay *r, replay_source_fn next, void *ctx,
		const struct replay_opts *o, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (err && errlen)
		err[0] = '\0';
	if (!next) {
		set_err(err, errlen, "replay: no source");
		return -EINVAL;
	}
	int rc = setup(r, o, err, errlen);
	if (rc)
		return rc;
	if (r->clock == REPLAY_CLOCK_AUTO)
		r->clock = REPLAY_CLOCK_EXCH;
	r->next = next;
	r->ctx = ctx;
	return 0;
}

int replay_open(struct replay *r, const char *path, enum feed_format fmt,
		const struct feed_opts *fo, const struct replay_opts *o,
		char *err, size_t errlen)
{
	struct feed_opts none = { 0 };
	int rc = replay_init(r, feed_source, &r->feed, o, err, errlen);
	if (rc)
		return rc;
	if (!fo)
		fo = &none;     /* enough for a journal */
	rc = feed_open(&r->feed, path, fmt, fo, err, errlen);
	if (rc)
		return rc;
	r->own_feed = 1;
	uint32_t clock = o ? o->clock : REPLAY_CLOCK_AUTO;
	if (clock == REPLAY_CLOCK_AUTO) {
		/* Binance is timed by receive time, and so is a journal
		 * converted from it (its header says so) */
		enum feed_format f = feed_format_of(&r->feed);
		int recv = f == FEED_BINANCE ||
			   (f == FEED_JOURNAL &&
			    (r->feed.u.jn.jr.hdr.flags & JOURNAL_HDR_F_RECV_TIME));
		r->clock = recv ? REPLAY_CLOCK_RECV : REPLAY_CLOCK_EXCH;
	}
	return 0;
}

void replay_close(struct replay *r)
{
	if (r->own_feed)
		feed_close(&r->feed);
	r->own_feed = 0;
	r->next = NULL;
	r->state = 1;
	r->have = 0;
}

/* Local time pacing time t is due under the anchor: the least integer w
 * with (w - wall0) * speed_e9 >= (t - t0) * 1e9. */
static int64_t due_of(const struct replay *r, int64_t t)
{
	if (t <= r->t0_ns)
		return r->wall0_ns;
	__int128 num = ((__int128)t - r->t0_ns) * 1000000000;
	__int128 d = (num + r->speed_e9 - 1) / r->speed_e9;
	__int128 w = (__int128)r->wall0_ns + d;
	return w > INT64_MAX ? INT64_MAX : (int64_t)w;
}

/* Read the next event into pend.  1, 0 at the end, < 0 sticky error. */
static int fill(struct replay *r)
{
	if (DM_UNLIKELY(r->state))
		return r->state > 0 ? 0 : r->state;
	int rc = r->next(r->ctx, &r->pend);
	if (DM_UNLIKELY(rc <= 0)) {
		if (rc < 0) {
			if (r->own_feed)
				snprintf(r->err, sizeof(r->err), "%s", feed_error(&r->feed));
			else
				snprintf(r->err, sizeof(r->err), "replay source: %s",
					 dm_strerror(rc));
		}
		r->state = rc < 0 ? rc : 1;
		return rc;
	}
	int64_t t = r->clock == REPLAY_CLOCK_RECV ? r->pend.recv_ns : r->pend.exch_ns;
	if (DM_UNLIKELY(!r->started)) {
		r->started = 1;
		r->tmax_ns = t;
	} else if (t < r->tmax_ns) {
		t = r->tmax_ns;
		r->st.backwards++;
	} else {
		r->tmax_ns = t;
	}
	r->pend_t_ns = t;
	if (r->anchored)
		r->due_ns = due_of(r, t);
	r->have = 1;
	return 1;
}

int replay_next(struct replay *r, int64_t now_ns, struct event *ev)
{
	if (!r->have) {
		int rc = fill(r);
		if (rc <= 0)
			return rc;
	}
	if (r->pace == REPLAY_REALTIME) {
		if (DM_UNLIKELY(!r->anchored)) {
			r->anchored = 1;
			r->wall0_ns = now_ns;
			r->t0_ns = r->pend_t_ns;
			r->due_ns = now_ns;
			r->st.anchors++;
		}
		int64_t late;
		if (DM_UNLIKELY(__builtin_sub_overflow(now_ns, r->due_ns, &late)))
			late = now_ns < r->due_ns ? -INT64_MAX : INT64_MAX;
		if (late < 0) {
			r->wait_ns = -late;
			r->st.waits++;
			return REPLAY_WAIT;
		}
		if (late > r->late_ns)
			r->st.late++;
		if (late > r->st.max_late_ns)
			r->st.max_late_ns = late;
		r->st.late_sum_ns += (uint64_t)late;
	} else if (r->pace == REPLAY_LOCKSTEP) {
		if (!r->grant) {
			r->st.step_waits++;
			return REPLAY_STEP;
		}
		r->grant--;
	}
	*ev = r->pend;
	r->have = 0;
	r->index++;
	r->st.events++;
	return REPLAY_EVENT;
}

int64_t replay_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int replay_next_wait(struct replay *r, struct event *ev)
{
	for (;;) {
		int rc = replay_next(r, replay_now_ns(), ev);
		if (rc != REPLAY_WAIT)
			return rc;
		int64_t w = replay_wait_ns(r);
		struct timespec ts = { .tv_sec = w / 1000000000,
				       .tv_nsec = w % 1000000000 };
		/* an interrupted sleep just polls again */
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	}
}

void replay_step(struct replay *r, uint64_t n)
{
	r->grant = r->grant + n < r->grant ? UINT64_MAX : r->grant + n;
}

int64_t replay_skip(struct replay *r, uint64_t n)
{
	uint64_t k = 0;

	r->anchored = 0;
	while (k < n) {
		if (!r->have) {
			int rc = fill(r);
			if (rc < 0)
				return rc;
			if (rc == 0)
				break;
		}
		r->have = 0;
		r->index++;
		r->st.skipped++;
		k++;
	}
	return (int64_t)k;
}

void replay_anchor(struct replay *r)
{
	r->anchored = 0;
}

void replay_anchor_at(struct replay *r, int64_t wall0_ns, int64_t t0_ns)
{
	r->anchored = 1;
	r->wall0_ns = wall0_ns;
	r->t0_ns = t0_ns;
	r->st.anchors++;
	if (r->have)
		r->due_ns = due_of(r, r->pend_t_ns);
}

int replay_set_speed(struct replay *r, double speed)
{
	int64_t s = speed_e9_of(speed);

	if (!s || speed == 0)
		return -EINVAL;
	r->speed_e9 = s;
	r->anchored = 0;
	return 0;
}

const char *replay_error(const struct replay *r)
{
	return r->err;
}

static const char *const pace_names[] = {
	[REPLAY_MAX] = "max", [REPLAY_REALTIME] = "realtime",
	[REPLAY_LOCKSTEP] = "lockstep",
};

const char *replay_pace_name(enum replay_pace p)
{
	return (unsigned)p < sizeof(pace_names) / sizeof(pace_names[0]) ?
	       pace_names[p] : NULL;
}

int replay_pace_parse(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "fast") == 0)
		return REPLAY_MAX;
	for (unsigned i = 0; i < sizeof(pace_names) / sizeof(pace_names[0]); i++)
		if (strcmp(s, pace_names[i]) == 0)
			return (int)i;
	return -1;
}
