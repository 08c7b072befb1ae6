/*
 * libcore/replay against hand-worked schedules: a fake clock (the times
 * passed to replay_next), a source of events written here, and the due
 * times worked out in the comments or by a naive integer search.  Every
 * file format goes through replay_open from a small fixture written by
 * the test; the journal is one written from libcore/gen's market, checked
 * against the same market generated again.  Tests run from the repo root.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/market/calendar.h"
#include "libcore/config/config.h"
#include "libcore/gen/gen.h"
#include "libcore/journal/journal.h"
#include "libcore/replay/replay.h"
#include "tests/helpers.h"

#define NS 1000000000LL
#define MS 1000000LL

/* jemalloc's control interface, weak: NULL in the sanitizer builds. */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

static void t_setup(void)
{
	t_tmp_init("dmreplay");
}

static void t_teardown(void)
{
	t_tmp_cleanup();
}

TestSuite(replay, .init = t_setup, .fini = t_teardown);

/* ------------------------------------------------------------ a fake source */

struct t_src {
	struct event ev[64];
	size_t n, i;
	size_t fail_at;   /* index that returns fail_rc; 0 = never */
	int fail_rc;
};

static int t_src_next(void *ctx, struct event *ev)
{
	struct t_src *s = ctx;

	if (s->fail_at && s->i == s->fail_at)
		return s->fail_rc;
	if (s->i >= s->n)
		return 0;
	*ev = s->ev[s->i++];
	return 1;
}

/* Trades at exchange times ex[] (receive time = exchange + 1 ms), trade id
 * = position + 1 so each event can be recognised. */
static void t_src_fill(struct t_src *s, const int64_t *ex, size_t n)
{
	memset(s, 0, sizeof(*s));
	cr_assert_leq(n, 64);
	for (size_t i = 0; i < n; i++) {
		struct event *e = &s->ev[i];
		e->kind = EV_TRADE;
		e->exch_ns = ex[i];
		e->recv_ns = ex[i] + MS;
		e->trade.px = 1000 + (int64_t)i;
		e->trade.qty = 1;
		e->trade.trade_id = i + 1;
	}
	s->n = n;
}

static void t_init(struct replay *r, struct t_src *s, uint32_t pace, double speed,
		   int64_t late_ns)
{
	struct replay_opts o = { .pace = pace, .speed = speed, .late_ns = late_ns };
	char err[256];
	int rc = replay_init(r, t_src_next, s, &o, err, sizeof(err));
	cr_assert_eq(rc, 0, "replay_init: %s", err);
}

/* The feed reader of a replay that opened a file (never NULL then). */
static const struct feed_reader *t_feed(const struct replay *r)
{
	const struct feed_reader *f = replay_feed(r);
	cr_assert_not_null(f, "the replay holds no feed reader");
	return f;
}

/* replay_next at now must hand out the event with trade id `id`. */
static void t_expect_ev(struct replay *r, int64_t now, uint64_t id)
{
	struct event ev;
	int rc = replay_next(r, now, &ev);
	cr_assert_eq(rc, REPLAY_EVENT, "now %lld: rc %d, want event %llu", (long long)now,
		     rc, (unsigned long long)id);
	cr_assert_eq(ev.trade.trade_id, id, "now %lld: event %llu, want %llu",
		     (long long)now, (unsigned long long)ev.trade.trade_id,
		     (unsigned long long)id);
}

/* replay_next at now must say "wait `wait` ns". */
static void t_expect_wait(struct replay *r, int64_t now, int64_t wait)
{
	struct event ev;
	int rc = replay_next(r, now, &ev);
	cr_assert_eq(rc, REPLAY_WAIT, "now %lld: rc %d, want a wait of %lld",
		     (long long)now, rc, (long long)wait);
	cr_assert_eq(replay_wait_ns(r), wait, "now %lld: wait %lld, want %lld",
		     (long long)now, (long long)replay_wait_ns(r), (long long)wait);
	cr_assert_eq(replay_due_ns(r), now + wait);
}

/* ------------------------------------------------------------ max */

Test(replay, max_hands_out_every_event_whatever_the_time)
{
	static struct t_src s;
	static struct replay r;
	const int64_t ex[] = { 10 * NS, 20 * NS, 20 * NS, 5 * NS, 3600 * NS };
	struct event ev;

	t_src_fill(&s, ex, 5);
	t_init(&r, &s, REPLAY_MAX, 0, 0);
	for (uint64_t i = 1; i <= 5; i++)
		t_expect_ev(&r, 0, i);   /* the clock stands still: no matter */
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_END);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_END, "the end is sticky");
	const struct replay_stats *st = replay_stats(&r);
	cr_assert_eq(st->events, 5);
	cr_assert_eq(st->waits, 0);
	cr_assert_eq(st->late, 0);
	cr_assert_eq(st->backwards, 1, "5 s after 20 s");
	cr_assert_eq(replay_index(&r), 5);
	cr_assert_eq(replay_clock_of(&r), REPLAY_CLOCK_EXCH);
	replay_close(&r);
}

/* ------------------------------------------------------------ realtime */

Test(replay, realtime_speed_one_keeps_the_market_pace)
{
	static struct t_src s;
	static struct replay r;
	const int64_t T = 1700000000 * NS;
	const int64_t ex[] = { T, T + 100, T + 250, T + 1000 };

	t_src_fill(&s, ex, 4);
	t_init(&r, &s, REPLAY_REALTIME, 1, 100);
	/* anchor: local 5000 <-> market T; event k due at 5000 + (t_k - T) */
	t_expect_ev(&r, 5000, 1);
	t_expect_wait(&r, 5099, 1);      /* due 5100 */
	t_expect_ev(&r, 5100, 2);        /* on time */
	t_expect_wait(&r, 5200, 50);     /* due 5250 */
	t_expect_ev(&r, 5400, 3);        /* 150 late */
	t_expect_wait(&r, 5400, 600);    /* due 6000 */
	t_expect_ev(&r, 7000, 4);        /* 1000 late */
	struct event ev;
	cr_assert_eq(replay_next(&r, 7000, &ev), REPLAY_END);

	const struct replay_stats *st = replay_stats(&r);
	cr_assert_eq(st->events, 4);
	cr_assert_eq(st->waits, 3);
	cr_assert_eq(st->late, 2, "150 and 1000 exceed late_ns 100");
	cr_assert_eq(st->max_late_ns, 1000);
	cr_assert_eq(st->late_sum_ns, 1150);
	cr_assert_eq(st->anchors, 1);
	int64_t w0, t0;
	cr_assert_eq(replay_anchor_get(&r, &w0, &t0), 1);
	cr_assert_eq(w0, 5000);
	cr_assert_eq(t0, T);
}

/* Smallest w >= 0 with w * a >= dt * b (speed = a / b), by search. */
static int64_t t_naive_wall(int64_t dt, int64_t a, int64_t b)
{
	int64_t w = 0;
	while (w * a < dt * b)
		w++;
	return w;
}

Test(replay, realtime_speed_factors)
{
	static struct t_src s;
	static struct replay r;
	/* speed = a / b, every one exact with 9 decimals */
	const struct { int64_t a, b; } sp[] = {
		{ 1, 1 }, { 10, 1 }, { 3, 1 }, { 1, 2 }, { 5, 2 }, { 7, 1000 },
		{ 1000, 1 },
	};
	/* market gaps between events, ns: uneven, so rounding shows */
	const int64_t gap[] = { 0, 100, 1, 7, 1000, 333, 2, 0, 4999 };
	const size_t n = sizeof(gap) / sizeof(gap[0]);
	int64_t ex[sizeof(gap) / sizeof(gap[0])];
	int64_t t = 42 * NS;

	for (size_t i = 0; i < n; i++)
		ex[i] = (t += gap[i]);
	for (size_t k = 0; k < sizeof(sp) / sizeof(sp[0]); k++) {
		double speed = (double)sp[k].a / (double)sp[k].b;
		t_src_fill(&s, ex, n);
		t_init(&r, &s, REPLAY_REALTIME, speed, 0);
		const int64_t wall0 = 1000000;
		int64_t prev_due = wall0;
		for (size_t i = 0; i < n; i++) {
			int64_t due = wall0 + t_naive_wall(ex[i] - ex[0], sp[k].a, sp[k].b);
			if (due > prev_due)
				t_expect_wait(&r, due - 1, 1);
			t_expect_ev(&r, due, i + 1);
			prev_due = due;
		}
		cr_assert_eq(replay_stats(&r)->late, 0, "speed %g", speed);
		cr_assert_eq(replay_stats(&r)->max_late_ns, 0, "speed %g", speed);
		replay_close(&r);
	}
	/* one worked by hand: speed 3, 100 ns of market take ceil(100/3) = 34 */
	const int64_t ex3[] = { 0, 100 };
	t_src_fill(&s, ex3, 2);
	t_init(&r, &s, REPLAY_REALTIME, 3, 0);
	t_expect_ev(&r, 0, 1);
	t_expect_wait(&r, 33, 1);        /* 33 * 3 = 99 < 100 */
	t_expect_ev(&r, 34, 2);          /* 34 * 3 = 102 >= 100 */
}

Test(replay, equal_and_backward_times_go_at_once)
{
	static struct t_src s;
	static struct replay r;
	const int64_t ex[] = { 1000, 2000, 1500, 2000, 1200, 3000 };
	struct event ev;

	t_src_fill(&s, ex, 6);
	t_init(&r, &s, REPLAY_REALTIME, 1, 0);
	t_expect_ev(&r, 0, 1);
	t_expect_wait(&r, 999, 1);
	t_expect_ev(&r, 1000, 2);        /* t 2000 */
	/* 1500, 2000 and 1200 are paced as 2000: all due at 1000 */
	cr_assert_eq(replay_next(&r, 1000, &ev), REPLAY_EVENT);
	cr_assert_eq(ev.trade.trade_id, 3);
	cr_assert_eq(ev.exch_ns, 1500, "the event keeps its own time");
	t_expect_ev(&r, 1000, 4);
	t_expect_ev(&r, 1000, 5);
	t_expect_wait(&r, 1000, 1000);   /* 3000: due 2000 */
	t_expect_ev(&r, 2000, 6);
	cr_assert_eq(replay_stats(&r)->backwards, 2, "1500 and 1200; an equal time is not");
	cr_assert_eq(replay_stats(&r)->late, 0);
}

Test(replay, reanchor_after_a_pause)
{
	static struct t_src s;
	static struct replay r, r2;
	const int64_t ex[] = { 0, 100, 200, 300 };

	t_src_fill(&s, ex, 4);
	t_init(&r, &s, REPLAY_REALTIME, 1, 0);
	t_expect_ev(&r, 0, 1);
	t_expect_ev(&r, 100, 2);
	t_expect_wait(&r, 150, 50);      /* pending: t 200, due 200 */
	/* the caller pauses until 10000, then takes up the pace again */
	replay_anchor(&r);
	t_expect_ev(&r, 10000, 3);       /* anchors: due at once */
	t_expect_wait(&r, 10099, 1);     /* 300 - 200 later */
	t_expect_ev(&r, 10100, 4);
	cr_assert_eq(replay_stats(&r)->late, 0);
	cr_assert_eq(replay_stats(&r)->anchors, 2);

	/* without the new anchor the same pause makes event 3 late by 9800 */
	static struct t_src s2;
	t_src_fill(&s2, ex, 4);
	t_init(&r2, &s2, REPLAY_REALTIME, 1, 100);
	t_expect_ev(&r2, 0, 1);
	t_expect_ev(&r2, 100, 2);
	t_expect_ev(&r2, 10000, 3);
	t_expect_ev(&r2, 10000, 4);
	cr_assert_eq(replay_stats(&r2)->late, 2, "9800 and 9700 > 100");
	cr_assert_eq(replay_stats(&r2)->max_late_ns, 9800);
	cr_assert_eq(replay_stats(&r2)->late_sum_ns, 9800 + 9700);
}

Test(replay, anchor_at_a_given_time)
{
	static struct t_src s;
	static struct replay r;
	const int64_t ex[] = { 900, 1000, 1300 };
	int64_t w0, t0;

	t_src_fill(&s, ex, 3);
	t_init(&r, &s, REPLAY_REALTIME, 2, 0);
	cr_assert_eq(replay_anchor_get(&r, &w0, &t0), 0, "no anchor before the first event");
	replay_anchor_at(&r, 500, 1000);
	t_expect_wait(&r, 499, 1);       /* t 900 < t0: due at wall0 */
	t_expect_ev(&r, 500, 1);
	t_expect_ev(&r, 500, 2);         /* t0 itself */
	t_expect_wait(&r, 500, 150);     /* (1300 - 1000) / 2 */
	t_expect_ev(&r, 650, 3);
	cr_assert_eq(replay_anchor_get(&r, &w0, &t0), 1);
	cr_assert_eq(w0, 500);
	cr_assert_eq(t0, 1000);

	/* an anchor set while an event is pending moves its due time */
	const int64_t ex2[] = { 0, 1000 };
	t_src_fill(&s, ex2, 2);
	t_init(&r, &s, REPLAY_REALTIME, 1, 0);
	t_expect_ev(&r, 0, 1);
	t_expect_wait(&r, 10, 990);
	replay_anchor_at(&r, 10, 500);   /* t 1000 now due at 510 */
	t_expect_wait(&r, 10, 500);
	t_expect_ev(&r, 510, 2);
}

Test(replay, set_speed_changes_the_pace_and_reanchors)
{
	static struct t_src s;
	static struct replay r;
	const int64_t ex[] = { 0, 1000, 2000, 3000 };

	t_src_fill(&s, ex, 4);
	t_init(&r, &s, REPLAY_REALTIME, 1, 0);
	t_expect_ev(&r, 0, 1);
	t_expect_ev(&r, 1000, 2);
	cr_assert_eq(replay_set_speed(&r, 0), -EINVAL);
	cr_assert_eq(replay_set_speed(&r, 2e6), -EINVAL);
	cr_assert_eq(replay_set_speed(&r, 10), 0);
	t_expect_ev(&r, 1500, 3);        /* new anchor: at once */
	t_expect_wait(&r, 1500, 100);    /* 1000 of market at x10 */
	t_expect_ev(&r, 1600, 4);
}

/* ------------------------------------------------------------ lock-step */

Test(replay, lockstep_hands_out_one_event_per_grant)
{
	static struct t_src s;
	static struct replay r;
	const int64_t ex[] = { 0, 10 * NS, 20 * NS, 30 * NS };
	struct event ev;

	t_src_fill(&s, ex, 4);
	t_init(&r, &s, REPLAY_LOCKSTEP, 0, 0);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_STEP);
	cr_assert_eq(replay_grant(&r), 0);
	replay_step(&r, 2);
	t_expect_ev(&r, 0, 1);
	t_expect_ev(&r, -5, 2);          /* time plays no part */
	cr_assert_eq(replay_next(&r, 100 * NS, &ev), REPLAY_STEP);
	replay_step(&r, 5);
	t_expect_ev(&r, 0, 3);
	t_expect_ev(&r, 0, 4);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_END, "the end, with grants left");
	cr_assert_eq(replay_grant(&r), 3);
	cr_assert_eq(replay_stats(&r)->step_waits, 2);
	cr_assert_eq(replay_stats(&r)->events, 4);

	/* the end is reported even with no grant left */
	const int64_t one[] = { 0 };
	t_src_fill(&s, one, 1);
	t_init(&r, &s, REPLAY_LOCKSTEP, 0, 0);
	replay_step(&r, 1);
	t_expect_ev(&r, 0, 1);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_END);
	/* grants saturate */
	replay_step(&r, UINT64_MAX);
	replay_step(&r, 10);
	cr_assert_eq(replay_grant(&r), UINT64_MAX);
}

Test(replay, skip_resumes_after_a_restart_and_reanchors)
{
	static struct t_src s, s2;
	static struct replay r, r2;
	int64_t ex[10];
	struct event ev;

	for (int i = 0; i < 10; i++)
		ex[i] = 7 * NS + 100 * i;
	/* the first run hands out 4 events at their due times, then dies */
	t_src_fill(&s, ex, 10);
	t_init(&r, &s, REPLAY_REALTIME, 1, 0);
	for (int i = 0; i < 4; i++)
		t_expect_ev(&r, 1000 + 100 * i, (uint64_t)i + 1);
	uint64_t published = replay_index(&r);
	cr_assert_eq(published, 4);

	/* the restarted one skips them; its pace starts at the 5th */
	t_src_fill(&s2, ex, 10);
	t_init(&r2, &s2, REPLAY_REALTIME, 1, 0);
	cr_assert_eq(replay_skip(&r2, published), 4);
	cr_assert_eq(replay_index(&r2), 4);
	t_expect_ev(&r2, 50000, 5);
	t_expect_wait(&r2, 50000, 100);
	/* a skip takes the pending event first and drops the anchor */
	cr_assert_eq(replay_skip(&r2, 1), 1);   /* event 6 */
	t_expect_ev(&r2, 60000, 7);
	t_expect_wait(&r2, 60050, 50);
	cr_assert_eq(replay_skip(&r2, 100), 3, "8, 9, 10, then the end");
	cr_assert_eq(replay_next(&r2, 0, &ev), REPLAY_END);
	cr_assert_eq(replay_stats(&r2)->skipped, 8);
	cr_assert_eq(replay_stats(&r2)->events, 2);
	cr_assert_eq(replay_stats(&r2)->late, 0);
	cr_assert_eq(replay_index(&r2), 10);

	/* lock-step: skipped events take no grant */
	t_src_fill(&s2, ex, 10);
	t_init(&r2, &s2, REPLAY_LOCKSTEP, 0, 0);
	replay_step(&r2, 1);
	cr_assert_eq(replay_skip(&r2, 3), 3);
	cr_assert_eq(replay_grant(&r2), 1);
	t_expect_ev(&r2, 0, 4);
}

/* ------------------------------------------------------------ errors */

Test(replay, options_are_checked)
{
	static struct t_src s;
	static struct replay r;
	char err[256];
	struct replay_opts o = { .pace = REPLAY_REALTIME, .speed = 2e6 };

	t_src_fill(&s, NULL, 0);
	cr_assert_eq(replay_init(&r, t_src_next, &s, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "speed"), "%s", err);
	o.speed = -1;
	cr_assert_eq(replay_init(&r, t_src_next, &s, &o, err, sizeof(err)), -EINVAL);
	o.speed = 1;
	o.pace = 7;
	cr_assert_eq(replay_init(&r, t_src_next, &s, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "pace"), "%s", err);
	o.pace = REPLAY_MAX;
	o.clock = 9;
	cr_assert_eq(replay_init(&r, t_src_next, &s, &o, err, sizeof(err)), -EINVAL);
	o.clock = 0;
	o.late_ns = -1;
	cr_assert_eq(replay_init(&r, t_src_next, &s, &o, err, sizeof(err)), -EINVAL);
	cr_assert_eq(replay_init(&r, NULL, &s, NULL, err, sizeof(err)), -EINVAL);
	cr_assert_eq(replay_init(&r, t_src_next, &s, NULL, NULL, 0), 0, "NULL opts: max");

	struct feed_opts fo = { .tick = 5 };
	cr_assert_lt(replay_open(&r, t_tmp_path("missing.csv"), FEED_AUTO, &fo, NULL,
				 err, sizeof(err)), 0);
	cr_assert(strstr(err, "missing.csv"), "%s", err);

	cr_assert_str_eq(replay_pace_name(REPLAY_LOCKSTEP), "lockstep");
	cr_assert_eq(replay_pace_parse("realtime"), REPLAY_REALTIME);
	cr_assert_eq(replay_pace_parse("fast"), REPLAY_MAX);
	cr_assert_eq(replay_pace_parse("max"), REPLAY_MAX);
	cr_assert_eq(replay_pace_parse("slow"), -1);
	cr_assert_null(replay_pace_name((enum replay_pace)3));
}

Test(replay, source_error_is_sticky)
{
	static struct t_src s;
	static struct replay r;
	const int64_t ex[] = { 0, 1, 2, 3 };
	struct event ev;

	t_src_fill(&s, ex, 4);
	s.fail_at = 2;
	s.fail_rc = -EIO;
	t_init(&r, &s, REPLAY_MAX, 0, 0);
	t_expect_ev(&r, 0, 1);
	t_expect_ev(&r, 0, 2);
	cr_assert_eq(replay_next(&r, 0, &ev), -EIO);
	s.fail_at = 0;                   /* the source would go on: the replay does not */
	cr_assert_eq(replay_next(&r, 0, &ev), -EIO);
	cr_assert_eq(replay_skip(&r, 1), -EIO);
	cr_assert(strlen(replay_error(&r)) > 0);
}

/* ------------------------------------------------------------ file formats */

static void t_open_file(struct replay *r, const char *path, enum feed_format fmt,
			const struct feed_opts *fo, uint32_t pace, uint32_t clock)
{
	struct replay_opts o = { .pace = pace, .clock = clock, .speed = 1 };
	char err[512];
	int rc = replay_open(r, path, fmt, fo, &o, err, sizeof(err));
	cr_assert_eq(rc, 0, "replay_open(%s): %s", path, err);
}

Test(replay, lobster_pair)
{
	/* 3 levels; 2012-01-10 is EST: midnight local = 05:00 UTC */
	const char *mp = t_tmp_path("X_2012-01-10_0_0_message_3.csv");
	const char *op = t_tmp_path("X_2012-01-10_0_0_orderbook_3.csv");
	t_write_file(mp,
		"36000.5,1,1,10,1000000,1\n"       /* book */
		"36000.75,4,1,4,1000000,1\n"       /* trade, then book */
		"36001,1,7,3,1010000,-1\n");       /* book */
	t_write_file(op,
		"1010000,5,1000000,10,9999999999,0,-9999999999,0,9999999999,0,-9999999999,0\n"
		"1010000,5,1000000,6,9999999999,0,-9999999999,0,9999999999,0,-9999999999,0\n"
		"1010000,8,1000000,6,9999999999,0,-9999999999,0,9999999999,0,-9999999999,0\n");
	struct feed_opts fo = { .tick = 100 };
	static struct replay r;
	struct event ev;
	const int64_t mid = (1326153600LL + 5 * 3600) * NS;
	/* event times: 36000.5, 36000.75 (trade and book), 36001 */
	const int64_t t[] = { mid + 36000 * NS + 500 * MS, mid + 36000 * NS + 750 * MS,
			      mid + 36000 * NS + 750 * MS, mid + 36001 * NS };
	const uint32_t kind[] = { EV_BOOK, EV_TRADE, EV_BOOK, EV_BOOK };

	t_open_file(&r, mp, FEED_AUTO, &fo, REPLAY_REALTIME, REPLAY_CLOCK_AUTO);
	cr_assert_eq(replay_clock_of(&r), REPLAY_CLOCK_EXCH);
	for (int i = 0; i < 4; i++) {
		int64_t due = t[i] - t[0];
		if (i == 1 || i == 3)
			cr_assert_eq(replay_next(&r, due - 1, &ev), REPLAY_WAIT);
		cr_assert_eq(replay_next(&r, due, &ev), REPLAY_EVENT, "event %d", i);
		cr_assert_eq(ev.kind, kind[i], "event %d", i);
		cr_assert_eq(ev.exch_ns, t[i], "event %d", i);
	}
	cr_assert_eq(ev.book.ask[0].qty, 8);
	cr_assert_eq(replay_next(&r, INT64_MAX, &ev), REPLAY_END);
	cr_assert_eq(t_feed(&r)->st.events_book, 3);
	replay_close(&r);
}

Test(replay, mt5_ticks)
{
	const char *p = t_tmp_path("ticks.tsv");
	t_write_file(p,
		"<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
		"2022.01.03\t09:00:00.123\t108400\t108405\t\t\t6\n"   /* book */
		"2022.01.03\t09:00:00.200\t\t108410\t\t\t4\n"         /* book +77 ms */
		"2022.01.03\t09:00:01\t\t\t108410\t3\t88\n");         /* trade +800 ms */
	struct feed_opts fo = { .tick = 5 };
	static struct replay r;
	struct event ev;

	/* ten times the market: 77 ms -> 7.7 ms, 800 ms -> 80 ms */
	struct replay_opts o = { .pace = REPLAY_REALTIME, .speed = 10 };
	char err[512];
	cr_assert_eq(replay_open(&r, p, FEED_AUTO, &fo, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(feed_format_of(t_feed(&r)), FEED_MT5);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_EVENT);
	cr_assert_eq(ev.book.bid[0].px, 21680);
	t_expect_wait(&r, 0, 7700000);
	cr_assert_eq(replay_next(&r, 7700000, &ev), REPLAY_EVENT);
	cr_assert_eq(ev.book.ask[0].px, 21682);
	t_expect_wait(&r, 7700000, 80000000);
	cr_assert_eq(replay_next(&r, 87700000, &ev), REPLAY_EVENT);
	cr_assert_eq(ev.kind, EV_TRADE);
	cr_assert_eq(ev.trade.qty, 3);
	cr_assert_eq(replay_next(&r, 87700000, &ev), REPLAY_END);
	replay_close(&r);
}

#define NEG_ROW(sym, no, px, qty, tm, ind, ba, sa) \
	"2015-11-26;" sym "                                          ;" no "; " px ";" qty ";" tm ";" ind \
	";2015-11-26;000086726728716;000000014551023;" ba ";2015-11-26;000086726732358;000000014551024;" sa \
	";0;00000114;00000735\n"

Test(replay, neg_trades_in_lockstep)
{
	const char *p = t_tmp_path("NEG_BMF_20151126.TXT");
	t_write_file(p,
		"RH NEG                 2015-11-26 2015-11-26 000000004\n"
		NEG_ROW("WINZ15", "0000000010", "000000045000.000000", "000000000000000002", "10:00:00.000", "1", "1", "2")
		NEG_ROW("WINZ15", "0000000020", "000000045005.000000", "000000000000000003", "10:00:01.500", "1", "2", "1")
		"RT NEG                 2015-11-26 2015-11-26 000000004\n");
	struct feed_opts fo = { .tick = 5 };
	static struct replay r;
	struct event ev;

	t_open_file(&r, p, FEED_AUTO, &fo, REPLAY_LOCKSTEP, REPLAY_CLOCK_AUTO);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_STEP);
	replay_step(&r, 1);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_EVENT);
	cr_assert_eq(ev.kind, EV_TRADE);
	cr_assert_eq(ev.trade.px, 9000);
	cr_assert_eq(ev.trade.trade_id, 10);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_STEP);
	replay_step(&r, 1);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_EVENT);
	cr_assert_eq(ev.trade.px, 9001);
	cr_assert_eq(ev.exch_ns - 1448532000LL * NS, 1500 * MS, "10:00:01.5 UTC");
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_END);
	replay_close(&r);
}

#define DIFF(recv, E, U, u, b, a) \
	#recv " {\"stream\":\"xusdt@depth\",\"data\":{\"e\":\"depthUpdate\",\"E\":" #E \
	",\"s\":\"XUSDT\",\"U\":" #U ",\"u\":" #u ",\"b\":[" b "],\"a\":[" a "]}}\n"

/* Receive times (first field, ns) and exchange times (E, T: ms) disagree:
 * book 5 ms / recv 2000000, book 9 ms / recv 2000500, trade 7 ms / recv
 * 2003000. */
static const char bn_fixture[] =
	"1000000 {\"lastUpdateId\":100,\"bids\":[[\"10.00\",\"1.0\"]],"
	"\"asks\":[[\"10.10\",\"1.5\"]]}\n"
	DIFF(2000000, 5, 101, 101, "[\"10.01\",\"0.5\"]", "")
	DIFF(2000500, 9, 102, 102, "", "[\"10.09\",\"2.0\"]")
	"2003000 {\"stream\":\"xusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":7,\"T\":7,"
	"\"s\":\"XUSDT\",\"t\":1,\"p\":\"10.09\",\"q\":\"0.3\",\"m\":false}}\n";

Test(replay, binance_is_paced_by_receive_time)
{
	const char *p = t_tmp_path("capture.txt");
	t_write_file(p, bn_fixture);
	struct feed_opts fo = { .levels = 5, .tick = 0.01, .lot = 0.1 };
	static struct replay r;
	struct event ev;

	t_open_file(&r, p, FEED_AUTO, &fo, REPLAY_REALTIME, REPLAY_CLOCK_AUTO);
	cr_assert_eq(feed_format_of(t_feed(&r)), FEED_BINANCE);
	cr_assert_eq(replay_clock_of(&r), REPLAY_CLOCK_RECV);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_EVENT);
	cr_assert_eq(ev.book.bid[0].px, 1001);
	t_expect_wait(&r, 0, 500);
	cr_assert_eq(replay_next(&r, 500, &ev), REPLAY_EVENT);
	cr_assert_eq(ev.book.ask[0].px, 1009);
	t_expect_wait(&r, 500, 2500);
	cr_assert_eq(replay_next(&r, 3000, &ev), REPLAY_EVENT);
	cr_assert_eq(ev.kind, EV_TRADE);
	cr_assert_eq(replay_stats(&r)->backwards, 0);
	replay_close(&r);

	/* forced to exchange time: 9 ms after 5 ms, then 7 ms goes back */
	t_open_file(&r, p, FEED_AUTO, &fo, REPLAY_REALTIME, REPLAY_CLOCK_EXCH);
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_EVENT);
	t_expect_wait(&r, 0, 4 * MS);
	cr_assert_eq(replay_next(&r, 4 * MS, &ev), REPLAY_EVENT);
	cr_assert_eq(replay_next(&r, 4 * MS, &ev), REPLAY_EVENT, "7 ms < 9 ms: at once");
	cr_assert_eq(ev.kind, EV_TRADE);
	cr_assert_eq(replay_stats(&r)->backwards, 1);
	replay_close(&r);
}

/* ------------------------------------------------------------ a dm-gen journal */

static struct gen t_g;

static void t_gen_start(uint64_t seed)
{
	struct dm_config c;
	struct calendar cal;
	struct gen_params p;
	dm_date_t d;
	char err[256] = "";

	config_defaults(&c);
	cr_assert_eq(cal_init(&cal, &c.instrument), 0);
	cr_assert_eq(cal_date_parse("2022-01-03", 10, &d), 0);
	gen_params_default(&p);
	cr_assert_eq(gen_init(&t_g, &p, seed, &cal, d, err, sizeof(err)), 0, "%s", err);
}

/* n events of the generated market (seed) into a journal at path. */
static void t_gen_journal(const char *path, uint64_t seed, size_t n)
{
	static struct journal_writer w;
	struct journal_opts jo = { .symbol = "WIN", .tick_size = "5" };
	struct event ev;

	t_gen_start(seed);
	cr_assert_eq(journal_open_write(&w, path, &jo), 0);
	for (size_t i = 0; i < n; i++) {
		gen_next(&t_g, &ev);
		cr_assert_eq(journal_append_event(&w, &ev), 0);
	}
	cr_assert_eq(journal_close(&w), 0);
}

/* A journal whose header says its events are timed by receive time (one
 * converted from a Binance capture) is paced by recv_ns under the auto
 * clock; the same events in a journal without the flag by exch_ns.  The
 * events' receive times run 1 ms apart, their exchange times 1 s apart. */
Test(replay, journal_marked_receive_time_is_paced_by_it)
{
	for (int flagged = 0; flagged < 2; flagged++) {
		const char *p = t_tmp_path(flagged ? "recv.jrnl" : "exch.jrnl");
		static struct journal_writer w;
		static struct replay r;
		struct journal_opts jo = { .symbol = "BTCUSDT", .tick_size = "0.1",
					   .hdr_flags = flagged ? JOURNAL_HDR_F_RECV_TIME : 0 };
		struct event ev;

		cr_assert_eq(journal_open_write(&w, p, &jo), 0);
		for (int k = 0; k < 3; k++) {
			memset(&ev, 0, sizeof(ev));
			ev.kind = EV_TRADE;
			ev.exch_ns = 1000000000ll * (k + 1);
			ev.recv_ns = 5000000000ll + 1000000ll * k;
			ev.trade.px = 600000 + k;
			ev.trade.qty = 1;
			cr_assert_eq(journal_append_event(&w, &ev), 0);
		}
		cr_assert_eq(journal_close(&w), 0);
		t_open_file(&r, p, FEED_AUTO, NULL, REPLAY_REALTIME, REPLAY_CLOCK_AUTO);
		cr_assert_eq(replay_clock_of(&r), flagged ? REPLAY_CLOCK_RECV : REPLAY_CLOCK_EXCH);
		/* the second event is due 1 ms (receive) or 1 s (exchange) after
		 * the first */
		const int64_t wall0 = 777, gap = flagged ? 1000000 : 1000000000;
		cr_assert_eq(replay_next(&r, wall0, &ev), REPLAY_EVENT);
		t_expect_wait(&r, wall0 + gap - 1, 1);
		cr_assert_eq(replay_next(&r, wall0 + gap, &ev), REPLAY_EVENT);
		cr_assert_eq(ev.trade.px, 600001);
		replay_close(&r);
	}
}

Test(replay, gen_journal_at_the_market_pace)
{
	const char *p = t_tmp_path("gen.jrnl");
	const size_t n = 3000;
	static struct replay r;
	struct event ev, want;

	t_gen_journal(p, 11, n);
	t_open_file(&r, p, FEED_AUTO, NULL, REPLAY_REALTIME, REPLAY_CLOCK_AUTO);
	cr_assert_eq(feed_format_of(t_feed(&r)), FEED_JOURNAL);
	cr_assert_eq(replay_clock_of(&r), REPLAY_CLOCK_EXCH);
	/* the same market again: event k is due at wall0 + (exch_k - exch_0),
	 * one ns before that it is not (unless an earlier event shares its
	 * time: then it goes with it) */
	t_gen_start(11);
	const int64_t wall0 = 123456789;
	int64_t t0 = 0, prev_due = wall0, waits = 0;
	for (size_t k = 0; k < n; k++) {
		gen_next(&t_g, &want);
		if (k == 0)
			t0 = want.exch_ns;
		int64_t due = wall0 + (want.exch_ns - t0);
		cr_assert_geq(due, prev_due, "gen times never go back");
		if (due > prev_due) {
			t_expect_wait(&r, due - 1, 1);
			waits++;
		}
		cr_assert_eq(replay_next(&r, due, &ev), REPLAY_EVENT, "event %zu", k);
		cr_assert_eq(memcmp(&ev, &want, sizeof(ev)), 0, "event %zu differs", k);
		prev_due = due;
	}
	cr_assert_eq(replay_next(&r, INT64_MAX, &ev), REPLAY_END);
	const struct replay_stats *st = replay_stats(&r);
	cr_assert_eq(st->events, n);
	cr_assert_eq(st->waits, (uint64_t)waits);
	cr_assert_eq(st->late, 0);
	cr_assert_eq(st->max_late_ns, 0);
	cr_assert_eq(st->backwards, 0);
	cr_assert_gt(waits, 100, "the market has distinct times");
	replay_close(&r);
}

Test(replay, gen_journal_resumes_at_an_index)
{
	const char *p = t_tmp_path("gen.jrnl");
	static struct replay r;
	struct event ev, want;

	t_gen_journal(p, 5, 1000);
	t_open_file(&r, p, FEED_JOURNAL, NULL, REPLAY_MAX, REPLAY_CLOCK_AUTO);
	cr_assert_eq(replay_skip(&r, 600), 600);
	t_gen_start(5);
	for (int k = 0; k < 600; k++)
		gen_next(&t_g, &want);
	for (int k = 600; k < 1000; k++) {
		gen_next(&t_g, &want);
		cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_EVENT);
		cr_assert_eq(memcmp(&ev, &want, sizeof(ev)), 0, "event %d differs", k);
	}
	cr_assert_eq(replay_next(&r, 0, &ev), REPLAY_END);
	cr_assert_eq(replay_skip(&r, 5), 0);
	replay_close(&r);
}

Test(replay, blocking_convenience_sleeps_until_due, .timeout = 30)
{
	static struct t_src s;
	static struct replay r;
	/* 30 ms of market at x2: about 15 ms of sleeping */
	const int64_t ex[] = { 0, 10 * MS, 30 * MS };
	struct event ev;

	t_src_fill(&s, ex, 3);
	t_init(&r, &s, REPLAY_REALTIME, 2, 0);
	int64_t t0 = replay_now_ns();
	for (int i = 0; i < 3; i++)
		cr_assert_eq(replay_next_wait(&r, &ev), REPLAY_EVENT);
	int64_t el = replay_now_ns() - t0;
	cr_assert_geq(el, 15 * MS, "took %lld ns", (long long)el);
	cr_assert_lt(el, 2000 * MS, "took %lld ns", (long long)el);
	cr_assert_eq(replay_next_wait(&r, &ev), REPLAY_END);

	/* lock-step cannot be waited for: it says so */
	t_src_fill(&s, ex, 3);
	t_init(&r, &s, REPLAY_LOCKSTEP, 0, 0);
	cr_assert_eq(replay_next_wait(&r, &ev), REPLAY_STEP);
}

/* ------------------------------------------------------------ allocation */

static uint64_t t_allocated(void)
{
	uint64_t v = 0;
	size_t sz = sizeof(v);

	cr_assert_eq(mallctl("thread.allocated", &v, &sz, NULL, 0), 0);
	return v;
}

Test(replay, next_allocates_nothing, .timeout = 120)
{
#if T_SANITIZED
	cr_skip_test("sanitizer build: its allocator replaces jemalloc");
#endif
	if (!mallctl)
		cr_skip_test("jemalloc is not linked");
	const char *p = t_tmp_path("gen.jrnl");
	const size_t n = 200000;
	static struct replay r;
	struct event ev;
	int64_t now = 0;
	uint64_t got = 0, polls = 0;

	t_gen_journal(p, 3, n);
	t_open_file(&r, p, FEED_JOURNAL, NULL, REPLAY_REALTIME, REPLAY_CLOCK_AUTO);
	uint64_t a0 = t_allocated();
	for (;;) {
		int rc = replay_next(&r, now, &ev);
		polls++;
		if (rc == REPLAY_EVENT)
			got++;
		else if (rc == REPLAY_WAIT)
			now += replay_wait_ns(&r) / 2 + 1;   /* poll twice per gap or so */
		else
			break;
	}
	uint64_t a1 = t_allocated();
	cr_assert_eq(got, n);
	cr_assert_eq(a1 - a0, 0, "%llu bytes allocated over %llu calls",
		     (unsigned long long)(a1 - a0), (unsigned long long)polls);
	void *volatile x = malloc(1000);
	cr_assert_geq(t_allocated() - a1, 1000, "the counter works");
	free(x);
	replay_close(&r);
}
