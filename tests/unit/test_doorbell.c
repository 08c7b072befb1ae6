/*
 * test_doorbell.c — the futex doorbell (shm/doorbell.h): counters, time-out,
 * and the no-lost-wake-up promise under stress between threads (also run
 * under TSan).  A lost wake-up cannot hang these tests: the consumer waits
 * with a 2 s time-out, far longer than any producer pause, so every expiry
 * is a lost wake-up and is counted.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "shm/doorbell.h"
#include "shm/ring.h"
#include "tests/helpers.h"

#if T_SANITIZED
#define HANDOFFS 100000ull
#else
#define HANDOFFS 200000ull
#endif

#define LONG_WAIT_NS  (2ll * 1000000000)   /* any expiry = a lost wake-up */
#define MAX_TIMEOUTS  3                     /* then stop: the verdict is in */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* ------------------------------------------------------------ fixture */

static void *bufs[8];
static unsigned n_bufs;

static void teardown(void)
{
	while (n_bufs)
		free(bufs[--n_bufs]);
}

TestSuite(doorbell, .fini = teardown);

static void *t_alloc(size_t sz)
{
	sz = (sz + DM_CACHELINE - 1) / DM_CACHELINE * DM_CACHELINE;
	cr_assert_lt(n_bufs, sizeof(bufs) / sizeof(bufs[0]));
	void *p = aligned_alloc(DM_CACHELINE, sz);
	cr_assert_not_null(p);
	bufs[n_bufs++] = p;
	return p;
}

static struct doorbell *new_bell(void)
{
	struct doorbell *d = t_alloc(sizeof(*d));
	memset(d, 0x5a, sizeof(*d)); /* init must not rely on zeroed memory */
	doorbell_init(d);
	return d;
}

static struct ring *new_ring(uint64_t cap)
{
	struct ring *r = t_alloc(ring_memsize(cap, 16));
	cr_assert_eq(ring_init(r, "bell", cap, 16, RING_BLOCK), 0);
	return r;
}

static uint32_t epoch(struct doorbell *d) { return atomic_load(&d->epoch); }
static uint32_t waiters(struct doorbell *d) { return atomic_load(&d->waiters); }
static uint64_t sleeps(struct doorbell *d) { return atomic_load(&d->sleeps); }
static uint64_t wakes(struct doorbell *d) { return atomic_load(&d->wakes); }

/* ------------------------------------------------------------ counters */

Test(doorbell, init_zeroes_everything)
{
	struct doorbell *d = new_bell();
	cr_assert_eq(epoch(d), 0);
	cr_assert_eq(waiters(d), 0);
	cr_assert_eq(sleeps(d), 0);
	cr_assert_eq(wakes(d), 0);
}

Test(doorbell, ring_without_sleeper_makes_no_wake)
{
	struct doorbell *d = new_bell();
	for (int i = 0; i < 1000; i++)
		doorbell_ring(d);
	cr_assert_eq(wakes(d), 0);
	cr_assert_eq(epoch(d), 0);
	cr_assert_eq(sleeps(d), 0);
}

Test(doorbell, cancel_withdraws_the_sleeper)
{
	struct doorbell *d = new_bell();
	uint32_t e = doorbell_prepare(d);
	cr_assert_eq(e, 0);
	cr_assert_eq(waiters(d), 1);
	doorbell_cancel(d);
	cr_assert_eq(waiters(d), 0);
	doorbell_ring(d);
	cr_assert_eq(wakes(d), 0);
	cr_assert_eq(epoch(d), 0);
}

Test(doorbell, ring_after_prepare_wakes_once)
{
	struct doorbell *d = new_bell();
	uint32_t e = doorbell_prepare(d);
	doorbell_ring(d);
	cr_assert_eq(wakes(d), 1);
	cr_assert_eq(epoch(d), e + 1);

	/* the epoch moved before the wait: it must return at once */
	int64_t t0 = t_now_ns();
	cr_assert_eq(doorbell_wait(d, e, LONG_WAIT_NS), 0);
	int64_t took = t_now_ns() - t0;
	cr_assert_lt(took, LONG_WAIT_NS / 4, "wait slept %ld ns after a ring", (long)took);
	cr_assert_eq(sleeps(d), 1);
	cr_assert_eq(waiters(d), 0, "wait clears waiters");

	doorbell_ring(d);
	cr_assert_eq(wakes(d), 1, "nobody waits any more");
	cr_assert_eq(epoch(d), e + 1);
}

Test(doorbell, wait_times_out_without_ring)
{
	struct doorbell *d = new_bell();
	const int64_t timeout = 20 * 1000000;
	uint32_t e = doorbell_prepare(d);
	int64_t t0 = t_now_ns();
	cr_assert_eq(doorbell_wait(d, e, timeout), -ETIMEDOUT);
	int64_t took = t_now_ns() - t0;
	cr_assert_geq(took, timeout, "returned after %ld ns", (long)took);
	cr_assert_lt(took, 50 * timeout, "returned after %ld ns", (long)took);
	cr_assert_eq(sleeps(d), 1);
	cr_assert_eq(wakes(d), 0);
	cr_assert_eq(waiters(d), 0);
}

Test(doorbell, sleeps_counts_waits)
{
	struct doorbell *d = new_bell();
	for (uint64_t i = 1; i <= 5; i++) {
		uint32_t e = doorbell_prepare(d);
		/* a stale epoch: the futex refuses to sleep, the wait counts */
		cr_assert_eq(doorbell_wait(d, e + 1, LONG_WAIT_NS), 0);
		cr_assert_eq(sleeps(d), i);
	}
	uint32_t e = doorbell_prepare(d);
	cr_assert_eq(doorbell_wait(d, e, 1000000), -ETIMEDOUT);
	cr_assert_eq(sleeps(d), 6);
	cr_assert_eq(wakes(d), 0);
}

struct sleeper {
	struct doorbell *d;
	int rc;
	int64_t slept_ns;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	uint32_t e = doorbell_prepare(s->d);
	int64_t t0 = t_now_ns();
	s->rc = doorbell_wait(s->d, e, 10 * LONG_WAIT_NS);
	s->slept_ns = t_now_ns() - t0;
	return NULL;
}

Test(doorbell, ring_wakes_a_sleeping_thread, .timeout = 30)
{
	struct doorbell *d = new_bell();
	struct sleeper s = { .d = d, .rc = 1 };
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, sleeper_main, &s), 0);
	while (sleeps(d) == 0)
		sched_yield();
	struct timespec ts = { 0, 20 * 1000000 }; /* let it reach the futex */
	nanosleep(&ts, NULL);
	int64_t t0 = t_now_ns();
	doorbell_ring(d);
	pthread_join(th, NULL);
	int64_t join_ns = t_now_ns() - t0;
	cr_assert_eq(s.rc, 0);
	cr_assert_eq(wakes(d), 1);
	cr_assert_lt(join_ns, LONG_WAIT_NS, "woken %ld ns after the ring", (long)join_ns);
	cr_assert_geq(s.slept_ns, 10 * 1000000, "it did sleep until the ring");
}

/* ------------------------------------------------------------ stress */

struct handoff {
	struct ring *r[2];
	unsigned n_rings;
	struct doorbell *d;
	uint64_t n;          /* messages per ring */
	uint64_t seed;
	_Atomic int stop;    /* one side gave up */
	_Atomic int push_failed; /* a producer found its drained ring full */
	/* consumer results */
	uint64_t got[2];
	uint64_t timeouts, errors, bad;
};

struct producer_arg {
	struct handoff *h;
	unsigned which;
};

/*
 * Strict hand-offs: pause, publish one message, ring, then wait until the
 * consumer has taken it before the next.  Nothing else would wake the
 * consumer, so a lost wake-up leaves it asleep with a message waiting
 * until its 2 s time-out, which it counts.  The pause is one of: none; a
 * busy pause or a sleep of 0..50 us; or an ambush: wait until the
 * consumer announces it will sleep (waiters = 1) and publish at once,
 * into the window between its re-check and its futex wait.
 */
static void *producer_main(void *arg)
{
	struct producer_arg *pa = arg;
	struct handoff *h = pa->h;
	struct ring *r = h->r[pa->which];
	struct t_rng g;
	t_rng_seed(&g, h->seed + pa->which);
	for (uint64_t seq = 1; seq <= h->n; seq++) {
		uint64_t pick = t_rng_below(&g, 5);
		int64_t pause_ns = (int64_t)t_rng_below(&g, 50001);
		if (pick >= 3) {
			int64_t give_up = t_now_ns() + 1000000;
			while (!atomic_load_explicit(&h->d->waiters, memory_order_relaxed) &&
			       t_now_ns() < give_up)
				cpu_relax();
			for (int64_t i = pause_ns % 64; i > 0; i--)
				cpu_relax();
		} else if (pick == 1) {
			int64_t until = t_now_ns() + pause_ns;
			while (t_now_ns() < until)
				cpu_relax();
		} else if (pick == 2) {
			struct timespec ts = { 0, (long)pause_ns };
			nanosleep(&ts, NULL);
		}

		if (ring_try_push(r, &seq, sizeof(seq)) != 0) { /* cannot be full */
			atomic_fetch_add(&h->push_failed, 1);
			atomic_store(&h->stop, 1);
			return NULL;
		}
		doorbell_ring(h->d);

		uint64_t spins = 0;
		while (atomic_load_explicit(&r->tail, memory_order_acquire) < seq) {
			if (atomic_load_explicit(&h->stop, memory_order_relaxed))
				return NULL;
			if (++spins % 64 == 0)
				sched_yield();
			else
				cpu_relax();
		}
	}
	return NULL;
}

/* Consumer: drain every ring; when all are empty, sleep on the bell only. */
static void consume(struct handoff *h)
{
	uint64_t total = h->n * h->n_rings, done = 0;
	while (done < total) {
		int found = 0;
		for (unsigned i = 0; i < h->n_rings; i++) {
			uint64_t m;
			if (ring_try_pop(h->r[i], &m, sizeof(m)) == 0) {
				if (m != h->got[i] + 1) {
					h->bad++;
					atomic_store(&h->stop, 1);
					return;
				}
				h->got[i]++;
				done++;
				found = 1;
			}
		}
		if (found)
			continue;
		uint32_t e = doorbell_prepare(h->d);
		int ready = 0;
		for (unsigned i = 0; i < h->n_rings; i++)
			ready |= ring_peek(h->r[i]) != NULL;
		if (ready) {
			doorbell_cancel(h->d);
			continue;
		}
		int rc = doorbell_wait(h->d, e, LONG_WAIT_NS);
		if (rc == -ETIMEDOUT && ++h->timeouts >= MAX_TIMEOUTS) {
			atomic_store(&h->stop, 1);
			return;
		}
		if (rc != 0 && rc != -ETIMEDOUT && rc != -EINTR)
			h->errors++;
		if (atomic_load_explicit(&h->stop, memory_order_relaxed))
			return;
	}
}

static void handoff_run(unsigned n_producers, uint64_t n, uint32_t capacity)
{
	struct handoff *h = t_alloc(sizeof(*h));
	memset(h, 0, sizeof(*h));
	h->d = new_bell();
	h->n = n;
	h->n_rings = n_producers;
	h->seed = 12345;
	struct producer_arg pa[2];
	pthread_t th[2];
	for (unsigned i = 0; i < n_producers; i++) {
		h->r[i] = new_ring(capacity);
		pa[i] = (struct producer_arg){ h, i };
	}
	for (unsigned i = 0; i < n_producers; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, producer_main, &pa[i]), 0);
	consume(h);
	for (unsigned i = 0; i < n_producers; i++)
		pthread_join(th[i], NULL);

	cr_assert_eq(h->bad, 0, "a message arrived out of order");
	cr_assert_eq(h->timeouts, 0, "%lu waits of 2 s expired: lost wake-ups (after %lu/%lu msgs)",
		     (unsigned long)h->timeouts, (unsigned long)(h->got[0] + h->got[1]),
		     (unsigned long)(n * n_producers));
	cr_assert_eq(h->errors, 0);
	cr_assert_eq(atomic_load(&h->push_failed), 0, "push into a drained ring failed");
	for (unsigned i = 0; i < n_producers; i++) {
		cr_assert_eq(h->got[i], n, "ring %u: %lu of %lu", i, (unsigned long)h->got[i],
			     (unsigned long)n);
		cr_assert_null(ring_peek(h->r[i]), "ring %u: more than was sent", i);
	}
	cr_assert_gt(sleeps(h->d), 0, "the consumer never slept: the test proved nothing");
	cr_log_info("%lu handoffs, sleeps %lu, wakes %lu", (unsigned long)(n * n_producers),
		    (unsigned long)sleeps(h->d), (unsigned long)wakes(h->d));
}

Test(doorbell, no_lost_wakeup_one_producer, .timeout = 120)
{
	handoff_run(1, HANDOFFS, 8);
}

Test(doorbell, no_lost_wakeup_two_producers, .timeout = 120)
{
	handoff_run(2, HANDOFFS / 4, 8);
}
