/*
 * test_ring.c — the SPSC ring (shm/ring.h): shapes, full/empty edges,
 * wrap-around, batches, at-least-once, conflation, producer recovery, and
 * stress between two threads (also under TSan) and two processes over a
 * real segment (not under TSan, which cannot see across processes).
 *
 * Every message carries its sequence number and bytes derived from it by
 * an RNG that knows nothing of the ring, so the consumer recomputes what it
 * must have received instead of trusting what it read.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/doorbell.h"
#include "libcore/msg/msg.h"
#include "shm/ring.h"
#include "shm/seg.h"
#include "tests/helpers.h"

/* Full counts in the plain build; sanitizers run about ten times slower. */
#if T_SANITIZED
#define THREAD_MSGS  1000000ull
#define PROCESS_MSGS 10000000ull
#else
#define THREAD_MSGS  10000000ull
#define PROCESS_MSGS 10000000ull
#endif

#define STRESS_CAPACITY 64
#define STRESS_SLOT     64
#define STRESS_DEADLINE_NS (90ll * 1000000000)  /* fail instead of hanging */
#define BELL_TIMEOUT_NS    (2ll * 1000000000)   /* any expiry = lost wake-up */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* ------------------------------------------------------------ fixture */

static void *bufs[8];
static unsigned n_bufs;
static char seg_name[SEG_NAME_MAX];
static struct seg seg;
static pid_t child;

static void teardown(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = 0;
	}
	seg_close(&seg);
	if (seg_name[0])
		seg_unlink(seg_name);
	while (n_bufs)
		free(bufs[--n_bufs]);
}

TestSuite(ring, .fini = teardown);

/* A ring in a cache-line aligned heap buffer, freed by the fixture. */
static struct ring *new_ring(uint64_t cap, uint32_t slot, enum ring_policy pol)
{
	size_t sz = ring_memsize(cap, slot);
	cr_assert_neq(sz, 0, "shape %lu x %u refused", (unsigned long)cap, slot);
	cr_assert_lt(n_bufs, sizeof(bufs) / sizeof(bufs[0]));
	struct ring *r = aligned_alloc(DM_CACHELINE, sz);
	cr_assert_not_null(r);
	bufs[n_bufs++] = r;
	memset(r, 0xa5, sz); /* ring_init must not rely on zeroed memory */
	cr_assert_eq(ring_init(r, "test", cap, slot, pol), 0);
	return r;
}

/* ------------------------------------------------------------ patterns */

/* Message of len bytes for sequence seq: seq in the first 8 bytes, then
 * bytes from an RNG seeded with seq. */
static void pat_fill(uint8_t *buf, uint32_t len, uint64_t seq)
{
	struct t_rng g;
	t_rng_seed(&g, seq * 0x9e3779b97f4a7c15ull + 1);
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(t_rng_next(&g) >> 56);
	memcpy(buf, &seq, len < 8 ? len : 8);
}

static uint64_t pat_seq(const void *m)
{
	uint64_t s;
	memcpy(&s, m, 8);
	return s;
}

static void assert_pat(const void *m, uint32_t len, uint64_t seq)
{
	uint8_t want[256];
	cr_assert_leq(len, sizeof(want));
	pat_fill(want, len, seq);
	cr_assert_eq(pat_seq(m), seq, "got message %lu, want %lu",
		     (unsigned long)pat_seq(m), (unsigned long)seq);
	cr_assert_arr_eq(m, want, len, "payload of message %lu differs", (unsigned long)seq);
}

static int push_seq(struct ring *r, uint64_t seq)
{
	uint8_t m[256];
	uint32_t len = ring_msg_max(r);
	pat_fill(m, len, seq);
	return ring_try_push(r, m, len);
}

static int offer_seq(struct ring *r, uint64_t seq)
{
	uint8_t m[256];
	uint32_t len = ring_msg_max(r);
	pat_fill(m, len, seq);
	return ring_offer(r, m, len);
}

static void assert_pop_seq(struct ring *r, uint64_t seq)
{
	uint8_t m[256];
	int rc = ring_try_pop(r, m, sizeof(m));
	cr_assert_eq(rc, 0, "pop of message %lu: %d", (unsigned long)seq, rc);
	assert_pat(m, ring_msg_max(r), seq);
}

static void assert_empty(struct ring *r)
{
	uint8_t m[256];
	cr_assert_null(ring_peek(r));
	cr_assert_eq(ring_peek_burst(r, 64), 0);
	cr_assert_eq(ring_try_pop(r, m, sizeof(m)), -EAGAIN);
}

static struct ring_stats stats(const struct ring *r)
{
	struct ring_stats st;
	ring_stats(r, &st);
	return st;
}

/* ------------------------------------------------------------ shapes */

Test(ring, memsize_matches_formula)
{
	/* worked by hand: 192-byte header + (capacity + 1) slots, up to 64 */
	static const struct { uint64_t cap; uint32_t slot; size_t want; } hand[] = {
		{ 2, 16, 256 },       /* 192 + 48 = 240 */
		{ 8, 16, 384 },       /* 192 + 144 = 336 */
		{ 2, 24, 320 },       /* 192 + 72 = 264 */
		{ 64, 64, 4352 },     /* 192 + 4160, already a multiple */
		{ 1024, 40, 41216 },  /* 192 + 41000 = 41192 */
	};
	cr_assert_eq(sizeof(struct ring), 192);
	for (size_t i = 0; i < sizeof(hand) / sizeof(hand[0]); i++)
		cr_assert_eq(ring_memsize(hand[i].cap, hand[i].slot), hand[i].want,
			     "memsize(%lu, %u)", (unsigned long)hand[i].cap, hand[i].slot);

	for (uint64_t cap = 2; cap <= (1u << 20); cap *= 2)
		for (uint32_t slot = 16; slot <= 256; slot += 8) {
			size_t raw = 192 + (size_t)slot * (cap + 1);
			size_t want = (raw + 63) / 64 * 64;
			cr_assert_eq(ring_memsize(cap, slot), want, "memsize(%lu, %u)",
				     (unsigned long)cap, slot);
		}
}

Test(ring, init_rejects_bad_shapes)
{
	static const uint64_t caps[] = { 0, 1, 3, 5, 6, 7, 12, 100, 1000, (1u << 20) + 1 };
	static const uint32_t slots[] = { 0, 8, 12, 15, 17, 20, 33, 65, 100 };
	size_t sz = 1 << 16;
	uint8_t *buf = aligned_alloc(DM_CACHELINE, sz);
	cr_assert_not_null(buf);
	bufs[n_bufs++] = buf;
	memset(buf, 0xee, sz);

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		cr_assert_eq(ring_memsize(caps[i], 64), 0, "capacity %lu", (unsigned long)caps[i]);
		cr_assert_eq(ring_init((struct ring *)buf, "x", caps[i], 64, RING_BLOCK), -EINVAL,
			     "capacity %lu", (unsigned long)caps[i]);
	}
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		cr_assert_eq(ring_memsize(8, slots[i]), 0, "slot size %u", slots[i]);
		cr_assert_eq(ring_init((struct ring *)buf, "x", 8, slots[i], RING_BLOCK), -EINVAL,
			     "slot size %u", slots[i]);
	}
	cr_assert_eq(ring_init((struct ring *)buf, "x", 8, 64, (enum ring_policy)7), -EINVAL);
	cr_assert_eq(ring_init((struct ring *)(buf + 8), "x", 8, 64, RING_BLOCK), -EINVAL,
		     "memory not aligned to a cache line");

	/* a refused init leaves the memory alone */
	for (size_t i = 0; i < sz; i++)
		cr_assert_eq(buf[i], 0xee, "byte %zu written by a refused init", i);

	/* smallest valid shape */
	cr_assert_eq(ring_init((struct ring *)buf, "x", 2, 16, RING_BLOCK), 0);
}

Test(ring, init_sets_shape_and_name)
{
	struct ring *r = new_ring(16, 48, RING_CONFLATE);
	cr_assert_eq(r->magic, RING_MAGIC);
	cr_assert_eq(r->capacity, 16);
	cr_assert_eq(r->mask, 15);
	cr_assert_eq(r->slot_size, 48);
	cr_assert_eq(r->policy, RING_CONFLATE);
	cr_assert_str_eq(r->name, "test");
	cr_assert_eq(ring_msg_max(r), 40);
	struct ring_stats st = stats(r);
	cr_assert_eq(st.head, 0);
	cr_assert_eq(st.tail, 0);
	cr_assert_eq(st.full, 0);
	cr_assert_eq(st.dropped, 0);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(ring_check(r, 16, 48, RING_CONFLATE), 0);

	/* names longer than RING_NAME_MAX - 1 are cut, and NUL-terminated */
	const char *longname = "a-ring-name-that-is-much-longer-than-31";
	cr_assert_eq(ring_init(r, longname, 16, 48, RING_BLOCK), 0);
	cr_assert_eq(strlen(r->name), RING_NAME_MAX - 1);
	cr_assert_eq(strncmp(r->name, longname, RING_NAME_MAX - 1), 0);
}

Test(ring, check_detects_wrong_magic_and_shape)
{
	struct ring *r = new_ring(8, 32, RING_BLOCK);
	cr_assert_eq(ring_check(r, 8, 32, RING_BLOCK), 0);
	cr_assert_eq(ring_check(r, 16, 32, RING_BLOCK), -DM_ELAYOUT);
	cr_assert_eq(ring_check(r, 4, 32, RING_BLOCK), -DM_ELAYOUT);
	cr_assert_eq(ring_check(r, 8, 64, RING_BLOCK), -DM_ELAYOUT);
	cr_assert_eq(ring_check(r, 8, 32, RING_CONFLATE), -DM_ELAYOUT);
	r->magic ^= 1;
	cr_assert_eq(ring_check(r, 8, 32, RING_BLOCK), -DM_EMAGIC);
	memset(r, 0, ring_memsize(8, 32));
	cr_assert_eq(ring_check(r, 8, 32, RING_BLOCK), -DM_EMAGIC);
}

/* ------------------------------------------------------------ edges */

Test(ring, empty_ring_has_nothing_to_read)
{
	struct ring *r = new_ring(8, 32, RING_BLOCK);
	assert_empty(r);
	cr_assert_eq(stats(r).tail, 0, "a refused pop must not move the tail");
}

Test(ring, full_ring_refuses_push_until_pop)
{
	enum { CAP = 8 };
	struct ring *r = new_ring(CAP, 32, RING_BLOCK);
	for (uint64_t s = 1; s <= CAP; s++)
		cr_assert_eq(push_seq(r, s), 0, "push %lu of %d", (unsigned long)s, CAP);
	cr_assert_eq(push_seq(r, 99), -EAGAIN);
	cr_assert_eq(stats(r).full, 1);
	cr_assert_eq(push_seq(r, 99), -EAGAIN);
	cr_assert_eq(stats(r).full, 2);
	uint64_t pos = 0;
	cr_assert_eq(ring_claim(r, 4, &pos), 0, "claim on a full ring");
	cr_assert_eq(stats(r).full, 3);
	cr_assert_eq(stats(r).head, CAP);

	assert_pop_seq(r, 1);
	cr_assert_eq(push_seq(r, CAP + 1), 0, "one pop frees one slot");
	cr_assert_eq(push_seq(r, 99), -EAGAIN);
	cr_assert_eq(stats(r).full, 4);

	for (uint64_t s = 2; s <= CAP + 1; s++)
		assert_pop_seq(r, s);
	assert_empty(r);
	struct ring_stats st = stats(r);
	cr_assert_eq(st.head, CAP + 1);
	cr_assert_eq(st.tail, CAP + 1);
}

Test(ring, wraps_around)
{
	enum { CAP = 16 };
	const uint64_t total = 10 * CAP + 3;
	struct ring *r = new_ring(CAP, 32, RING_BLOCK);
	struct t_rng g;
	t_rng_seed(&g, 7);
	uint64_t pushed = 0, popped = 0, refused = 0;

	while (popped < total) {
		/* bursts of 1..CAP+2 pushes: the ring must refuse exactly those
		 * that would exceed CAP in flight */
		uint64_t k = 1 + t_rng_below(&g, CAP + 2);
		for (uint64_t i = 0; i < k && pushed < total; i++) {
			int rc = push_seq(r, pushed + 1);
			if (pushed - popped < CAP) {
				cr_assert_eq(rc, 0, "push %lu with %lu in flight",
					     (unsigned long)pushed + 1, (unsigned long)(pushed - popped));
				pushed++;
			} else {
				cr_assert_eq(rc, -EAGAIN);
				refused++;
			}
		}
		uint64_t j = 1 + t_rng_below(&g, CAP + 2);
		for (uint64_t i = 0; i < j; i++) {
			if (popped < pushed) {
				assert_pop_seq(r, popped + 1);
				popped++;
			} else {
				assert_empty(r);
			}
		}
	}
	assert_empty(r);
	struct ring_stats st = stats(r);
	cr_assert_eq(st.head, total);
	cr_assert_eq(st.tail, total);
	cr_assert_eq(st.full, refused);
	cr_assert_gt(refused, 0, "the pattern should have filled the ring at least once");
}

Test(ring, try_pop_copies_at_most_cap)
{
	struct ring *r = new_ring(4, 32, RING_BLOCK); /* messages of 24 bytes */
	uint8_t want[24], out[40];
	pat_fill(want, 24, 1);
	cr_assert_eq(push_seq(r, 1), 0);
	cr_assert_eq(push_seq(r, 2), 0);

	memset(out, 0xee, sizeof(out));
	cr_assert_eq(ring_try_pop(r, out, 10), 0);
	cr_assert_arr_eq(out, want, 10);
	for (size_t i = 10; i < sizeof(out); i++)
		cr_assert_eq(out[i], 0xee, "byte %zu written past cap", i);

	/* a bigger buffer gets the slot's message bytes, no more */
	pat_fill(want, 24, 2);
	memset(out, 0xee, sizeof(out));
	cr_assert_eq(ring_try_pop(r, out, sizeof(out)), 0);
	cr_assert_arr_eq(out, want, 24);
	for (size_t i = 24; i < sizeof(out); i++)
		cr_assert_eq(out[i], 0xee, "byte %zu written past the message", i);
}

/* ------------------------------------------------------------ batches */

Test(ring, claim_returns_only_free_slots)
{
	enum { CAP = 8 };
	struct ring *r = new_ring(CAP, 32, RING_BLOCK);
	uint32_t len = ring_msg_max(r);
	for (uint64_t s = 1; s <= 3; s++)
		cr_assert_eq(push_seq(r, s), 0);

	uint64_t pos = 99;
	cr_assert_eq(ring_claim(r, 10, &pos), CAP - 3, "claim more than free");
	cr_assert_eq(pos, 3);
	for (uint32_t i = 0; i < CAP - 3; i++)
		pat_fill(ring_slot(r, pos + i), len, pos + i + 1);
	cr_assert_eq(ring_peek_burst(r, CAP), 3, "claimed slots are not visible before publish");
	ring_publish(r, 3); /* fewer than claimed */
	cr_assert_eq(stats(r).head, 6);

	cr_assert_eq(ring_peek_burst(r, CAP), 6);
	cr_assert_eq(ring_peek_burst(r, 4), 4);
	for (uint32_t i = 0; i < 6; i++)
		assert_pat(ring_at(r, i), len, i + 1);
	ring_commit(r, 4);
	cr_assert_eq(stats(r).tail, 4);
	assert_pat(ring_peek(r), len, 5);
	cr_assert_eq(ring_peek_burst(r, CAP), 2);

	/* free = CAP - (head - tail) = 8 - (6 - 4) = 6, from head 6 */
	cr_assert_eq(ring_claim(r, 10, &pos), 6);
	cr_assert_eq(pos, 6);
	for (uint32_t i = 0; i < 6; i++)
		pat_fill(ring_slot(r, pos + i), len, pos + i + 1);
	ring_publish(r, 6);
	cr_assert_eq(ring_claim(r, 1, &pos), 0, "full");
	cr_assert_eq(stats(r).full, 1);

	cr_assert_eq(ring_peek_burst(r, 64), CAP);
	for (uint32_t i = 0; i < CAP; i++)
		assert_pat(ring_at(r, i), len, 5 + i);
	ring_commit(r, CAP);
	assert_empty(r);
	struct ring_stats st = stats(r);
	cr_assert_eq(st.head, 12);
	cr_assert_eq(st.tail, 12);
}

Test(ring, peek_without_commit_redelivers)
{
	struct ring *r = new_ring(8, 32, RING_BLOCK);
	uint32_t len = ring_msg_max(r);
	cr_assert_eq(push_seq(r, 1), 0);
	cr_assert_eq(push_seq(r, 2), 0);

	const void *m = ring_peek(r);
	cr_assert_not_null(m);
	assert_pat(m, len, 1);
	/* a consumer that handled it but died before commit sees it again */
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(ring_peek(r), m);
		assert_pat(ring_peek(r), len, 1);
		cr_assert_eq(ring_peek_burst(r, 8), 2);
	}
	cr_assert_eq(stats(r).tail, 0);
	ring_commit(r, 1);
	assert_pat(ring_peek(r), len, 2);
	ring_commit(r, 1);
	assert_empty(r);
}

/* ------------------------------------------------------------ conflation */

Test(ring, conflate_keeps_newest_offer_in_order)
{
	enum { CAP = 4 };
	struct ring *r = new_ring(CAP, 32, RING_CONFLATE);
	for (uint64_t s = 1; s <= CAP; s++)
		cr_assert_eq(offer_seq(r, s), 0, "offer %lu fits", (unsigned long)s);
	cr_assert_eq(offer_seq(r, 5), 1);
	cr_assert_eq(stats(r).dropped, 0, "nothing superseded yet");
	cr_assert_eq(offer_seq(r, 6), 1);
	cr_assert_eq(offer_seq(r, 7), 1);
	struct ring_stats st = stats(r);
	cr_assert_eq(st.dropped, 2, "5 and 6 superseded");
	cr_assert_eq(st.pending, 1);
	cr_assert_eq(st.head, CAP);

	/* One pop frees one slot; the waiting offer (7) takes it, so a push
	 * behind it must still be refused. */
	assert_pop_seq(r, 1);
	cr_assert_eq(push_seq(r, 100), -EAGAIN);
	st = stats(r);
	cr_assert_eq(st.pending, 0, "the side slot was flushed into the freed slot");
	cr_assert_eq(st.head, CAP + 1);
	assert_pop_seq(r, 2);
	cr_assert_eq(push_seq(r, 100), 0);

	assert_pop_seq(r, 3);
	assert_pop_seq(r, 4);
	assert_pop_seq(r, 7);   /* the newest offer, ahead of the later push */
	assert_pop_seq(r, 100);
	assert_empty(r);
	cr_assert_eq(stats(r).dropped, 2);
}

Test(ring, flush_publishes_pending_when_room)
{
	struct ring *r = new_ring(2, 32, RING_CONFLATE);
	cr_assert_eq(ring_flush(r), 0, "nothing pending");
	cr_assert_eq(offer_seq(r, 1), 0);
	cr_assert_eq(offer_seq(r, 2), 0);
	cr_assert_eq(offer_seq(r, 3), 1);
	cr_assert_eq(ring_flush(r), -EAGAIN);
	cr_assert_eq(stats(r).pending, 1);
	assert_pop_seq(r, 1);
	cr_assert_eq(ring_flush(r), 0);
	cr_assert_eq(stats(r).pending, 0);
	cr_assert_eq(stats(r).head, 3);
	assert_pop_seq(r, 2);
	assert_pop_seq(r, 3);
	assert_empty(r);
}

Test(ring, claim_publishes_pending_first)
{
	struct ring *r = new_ring(2, 32, RING_CONFLATE);
	uint64_t pos;
	cr_assert_eq(offer_seq(r, 1), 0);
	cr_assert_eq(offer_seq(r, 2), 0);
	cr_assert_eq(offer_seq(r, 3), 1);
	assert_pop_seq(r, 1);
	cr_assert_eq(ring_claim(r, 2, &pos), 0, "the freed slot went to the pending offer");
	assert_pop_seq(r, 2);
	cr_assert_eq(ring_claim(r, 2, &pos), 1);
	cr_assert_eq(pos, 3);
	pat_fill(ring_slot(r, pos), ring_msg_max(r), 4);
	ring_publish(r, 1);
	assert_pop_seq(r, 3);
	assert_pop_seq(r, 4);
	assert_empty(r);
}

Test(ring, offer_on_block_ring_is_try_push)
{
	enum { CAP = 4 };
	struct ring *r = new_ring(CAP, 32, RING_BLOCK);
	for (uint64_t s = 1; s <= CAP; s++)
		cr_assert_eq(offer_seq(r, s), 0);
	cr_assert_eq(offer_seq(r, 5), -EAGAIN);
	cr_assert_eq(offer_seq(r, 6), -EAGAIN);
	struct ring_stats st = stats(r);
	cr_assert_eq(st.full, 2);
	cr_assert_eq(st.pending, 0);
	cr_assert_eq(st.dropped, 0);
	assert_pop_seq(r, 1);
	cr_assert_eq(offer_seq(r, 7), 0);
	for (uint64_t s = 2; s <= CAP; s++)
		assert_pop_seq(r, s);
	assert_pop_seq(r, 7);
	assert_empty(r);
}

/* ------------------------------------------------------------ recovery */

Test(ring, producer_recover_restores_head)
{
	enum { CAP = 8 };
	struct ring *r = new_ring(CAP, 32, RING_BLOCK);
	uint32_t len = ring_msg_max(r);
	for (uint64_t s = 1; s <= 5; s++)
		cr_assert_eq(push_seq(r, s), 0);
	cr_assert_eq(ring_producer_recover(r), 0, "nothing to recover");
	cr_assert_eq(stats(r).head, 5);

	/* died after the turn words of 3..5 and before head moved past 2 */
	atomic_store(&r->head, 2);
	cr_assert_eq(ring_producer_recover(r), 3);
	cr_assert_eq(stats(r).head, 5);

	/* died in a batch: turn words of 2 of 3 claimed slots written */
	uint64_t pos;
	cr_assert_eq(ring_claim(r, 3, &pos), 3);
	cr_assert_eq(pos, 5);
	for (uint32_t i = 0; i < 3; i++)
		pat_fill(ring_slot(r, pos + i), len, pos + i + 1);
	for (uint32_t i = 0; i < 2; i++)
		atomic_store_explicit(ring__turn(r, pos + i), pos + i + 1, memory_order_release);
	cr_assert_eq(ring_producer_recover(r), 2);
	cr_assert_eq(stats(r).head, 7);

	cr_assert_eq(push_seq(r, 8), 0, "next push goes after the recovered ones");
	for (uint64_t s = 1; s <= 8; s++)
		assert_pop_seq(r, s);
	assert_empty(r);
}

Test(ring, producer_recover_ignores_previous_lap)
{
	enum { CAP = 4 };
	struct ring *r = new_ring(CAP, 32, RING_BLOCK);
	for (uint64_t s = 1; s <= CAP; s++)
		cr_assert_eq(push_seq(r, s), 0);
	for (uint64_t s = 1; s <= CAP; s++)
		assert_pop_seq(r, s);
	cr_assert_eq(push_seq(r, 5), 0);
	cr_assert_eq(push_seq(r, 6), 0);
	/* positions 4, 5 published this lap; 6, 7 still hold turns 3, 4 */
	atomic_store(&r->head, 4);
	cr_assert_eq(ring_producer_recover(r), 2);
	cr_assert_eq(stats(r).head, 6);
	assert_pop_seq(r, 5);
	assert_pop_seq(r, 6);
	assert_empty(r);
}

/*
 * The consumer polls turn words, not head, so it may already have read
 * the messages a dead producer published without moving head: tail is
 * then past head.  Recovery must still move head up to them, or the next
 * push lands on a position the consumer has passed and is never read.
 */
Test(ring, producer_recover_after_consumer_passed_head)
{
	enum { CAP = 8 };
	struct ring *r = new_ring(CAP, 32, RING_BLOCK);
	for (uint64_t s = 1; s <= 5; s++)
		cr_assert_eq(push_seq(r, s), 0);
	for (uint64_t s = 1; s <= 5; s++)
		assert_pop_seq(r, s);
	atomic_store(&r->head, 3); /* died before head moved past 3 and 4 */

	uint64_t n = ring_producer_recover(r);
	struct ring_stats st = stats(r);
	cr_assert_eq(n, 2, "recovered %lu positions (head %lu, tail %lu)",
		     (unsigned long)n, (unsigned long)st.head, (unsigned long)st.tail);
	cr_assert_eq(st.head, 5);
	cr_assert_eq(push_seq(r, 6), 0);
	assert_pop_seq(r, 6);
	assert_empty(r);
}

/* ------------------------------------------------------------ stress */

/* One message per 64-byte slot: header, 16 derived bytes, checksum. */
struct stress_msg {
	struct msg_hdr hdr;
	uint8_t  payload[16];
	uint64_t check;   /* t_fnv1a of every byte above */
};
_Static_assert(sizeof(struct stress_msg) == STRESS_SLOT - RING_SLOT_HDR, "fills the slot");

enum { BAD_NONE = 0, BAD_SEQ, BAD_CHECKSUM, BAD_PAYLOAD };

static void stress_fill(struct stress_msg *m, uint64_t seq)
{
	struct t_rng g;
	t_rng_seed(&g, seq);
	memset(m, 0, sizeof(*m));
	m->hdr.type = MSG_TRADE;
	m->hdr.version = MSG_VERSION;
	m->hdr.size = sizeof(*m);
	m->hdr.seq = seq;
	m->hdr.ingress_ns = (int64_t)(seq * 1000);
	uint64_t a = t_rng_next(&g), b = t_rng_next(&g);
	memcpy(m->payload, &a, 8);
	memcpy(m->payload + 8, &b, 8);
	m->check = t_fnv1a(m, offsetof(struct stress_msg, check));
}

static int stress_verify(const struct stress_msg *m, uint64_t seq)
{
	if (m->hdr.seq != seq)
		return BAD_SEQ;
	if (m->check != t_fnv1a(m, offsetof(struct stress_msg, check)))
		return BAD_CHECKSUM;
	struct stress_msg want;
	stress_fill(&want, seq);
	return memcmp(m, &want, sizeof(want)) ? BAD_PAYLOAD : BAD_NONE;
}

/* Shared by the two sides; in the two-process test it lives in the
 * segment's user area, so the parent can read the child's findings. */
struct stress_report {
	uint64_t received;  /* messages verified, in order */
	uint64_t bad;       /* BAD_* of the first bad message */
	uint64_t bad_got;   /* seq found where received + 1 was due */
	uint64_t timeouts;  /* doorbell waits that expired: lost wake-ups */
	uint64_t gave_up;   /* 1 if the consumer hit its deadline */
};

struct stress {
	struct ring *r;
	struct doorbell *bell;  /* NULL: both sides spin */
	uint64_t n;
	int64_t deadline_ns;
	struct stress_report *rep;
	pid_t child;            /* consumer process, 0 for a thread */
	int child_status;
	int child_reaped;
	_Atomic int consumer_done; /* thread mode: the producer stops waiting */
};

/* Back off while the other side catches up; 0, or -1 to give up. */
static int stress_backoff(struct stress *s, uint64_t *spins)
{
	++*spins;
	if (atomic_load_explicit(&s->consumer_done, memory_order_relaxed))
		return -1;
	if ((*spins & 63) == 0)
		sched_yield(); /* 2-core CI: let the other side run */
	else
		cpu_relax();
	if ((*spins & 0xffff) != 0)
		return 0;
	if (t_now_ns() > s->deadline_ns)
		return -1;
	if (s->child > 0 && !s->child_reaped &&
	    waitpid(s->child, &s->child_status, WNOHANG) == s->child) {
		s->child_reaped = 1;
		return -1;
	}
	return 0;
}

/*
 * Producer.  Spin mode: ring_try_push one at a time.  Doorbell mode:
 * claim/publish bursts of 1..16, ring the bell after each, and pause
 * now and then so the consumer goes to sleep.  Returns messages sent.
 */
static uint64_t stress_produce(struct stress *s)
{
	struct t_rng g;
	t_rng_seed(&g, 42);
	uint64_t seq = 1, spins = 0, next_pause = 1024;
	struct stress_msg m;
	stress_fill(&m, seq);
	while (seq <= s->n) {
		if (!s->bell) {
			/* a length known only at run time keeps memcpy a call,
			 * which TSan intercepts; an inlined copy it cannot see */
			if (ring_try_push(s->r, &m, ring_msg_max(s->r)) == 0) {
				if (++seq <= s->n)
					stress_fill(&m, seq);
				continue;
			}
		} else {
			uint64_t left = s->n - seq + 1;
			uint32_t want = 1 + (uint32_t)t_rng_below(&g, 16);
			uint64_t pos;
			uint32_t got = ring_claim(s->r, want < left ? want : (uint32_t)left, &pos);
			if (got) {
				for (uint32_t i = 0; i < got; i++)
					stress_fill(ring_slot(s->r, pos + i), seq + i);
				ring_publish(s->r, got);
				doorbell_ring(s->bell);
				seq += got;
				if (seq >= next_pause) {
					next_pause = seq + 512 + t_rng_below(&g, 4096);
					struct timespec ts = { 0, (long)t_rng_below(&g, 50000) };
					nanosleep(&ts, NULL);
				}
				continue;
			}
		}
		if (stress_backoff(s, &spins))
			break;
	}
	return seq - 1;
}

/* Consumer: verify every message; spin, or spin then sleep on the bell. */
static void stress_consume(struct stress *s)
{
	struct stress_report *rep = s->rep;
	uint64_t next = 1, spins = 0;
	uint32_t idle = 0;
	while (next <= s->n) {
		if (!s->bell) {
			/* odd messages copied out by try_pop, even ones read in
			 * place by peek/commit: both paths under stress */
			struct stress_msg copy;
			const struct stress_msg *m = NULL;
			if (next & 1) {
				if (ring_try_pop(s->r, &copy, sizeof(copy)) == 0)
					m = &copy;
			} else {
				m = ring_peek(s->r);
			}
			if (m) {
				int bad = stress_verify(m, next);
				if (bad) {
					rep->bad = bad;
					rep->bad_got = m->hdr.seq;
					break;
				}
				if (m != &copy)
					ring_commit(s->r, 1);
				rep->received = next++;
				continue;
			}
			if (stress_backoff(s, &spins)) {
				rep->gave_up = 1;
				break;
			}
			continue;
		}
		uint32_t n = ring_peek_burst(s->r, 32);
		if (n) {
			for (uint32_t i = 0; i < n; i++) {
				const struct stress_msg *m = ring_at(s->r, i);
				int bad = stress_verify(m, next);
				if (bad) {
					rep->bad = bad;
					rep->bad_got = m->hdr.seq;
					return;
				}
				next++;
			}
			ring_commit(s->r, n);
			rep->received = next - 1;
			idle = 0;
			continue;
		}
		if (++idle < 200) {
			cpu_relax();
			continue;
		}
		idle = 0;
		uint32_t e = doorbell_prepare(s->bell);
		if (ring_peek(s->r)) {
			doorbell_cancel(s->bell);
			continue;
		}
		if (doorbell_wait(s->bell, e, BELL_TIMEOUT_NS) == -ETIMEDOUT)
			rep->timeouts++;
		if (t_now_ns() > s->deadline_ns) {
			rep->gave_up = 1;
			break;
		}
	}
}

static void *consumer_thread(void *arg)
{
	struct stress *s = arg;
	stress_consume(s);
	atomic_store(&s->consumer_done, 1);
	return NULL;
}

static void assert_report(const struct stress *s, const struct stress_report *rep)
{
	cr_assert_eq(rep->bad, BAD_NONE,
		     "message %lu: %s (found seq %lu)", (unsigned long)rep->received + 1,
		     rep->bad == BAD_SEQ ? "lost, duplicated or reordered" :
		     rep->bad == BAD_CHECKSUM ? "checksum mismatch" : "payload differs",
		     (unsigned long)rep->bad_got);
	cr_assert_eq(rep->gave_up, 0, "consumer gave up after %lu messages",
		     (unsigned long)rep->received);
	cr_assert_eq(rep->received, s->n);
	cr_assert_eq(rep->timeouts, 0, "%lu doorbell waits timed out: lost wake-ups",
		     (unsigned long)rep->timeouts);
}

static void stress_threads(int use_bell)
{
	struct ring *r = new_ring(STRESS_CAPACITY, STRESS_SLOT, RING_BLOCK);
	struct doorbell *bell = aligned_alloc(DM_CACHELINE, sizeof(*bell));
	cr_assert_not_null(bell);
	bufs[n_bufs++] = bell;
	doorbell_init(bell);
	struct stress_report rep = { 0 };
	struct stress s = {
		.r = r, .bell = use_bell ? bell : NULL, .n = THREAD_MSGS,
		.deadline_ns = t_now_ns() + STRESS_DEADLINE_NS, .rep = &rep,
	};
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, consumer_thread, &s), 0);
	uint64_t sent = stress_produce(&s);
	pthread_join(th, NULL);

	assert_report(&s, &rep);
	cr_assert_eq(sent, s.n);
	assert_empty(r);
	struct ring_stats st = stats(r);
	cr_assert_eq(st.head, s.n);
	cr_assert_eq(st.tail, s.n);
	if (use_bell)
		cr_assert_gt(atomic_load(&bell->sleeps), 0, "the consumer never slept");
	cr_log_info("%lu msgs, full %lu, sleeps %lu, wakes %lu", (unsigned long)s.n,
		    (unsigned long)st.full, (unsigned long)atomic_load(&bell->sleeps),
		    (unsigned long)atomic_load(&bell->wakes));
}

Test(ring, stress_threads_spin, .timeout = 120)
{
	stress_threads(0);
}

Test(ring, stress_threads_doorbell, .timeout = 120)
{
	stress_threads(1);
}

/* The consumer process: attach, register as "cons", verify, report. */
static void __attribute__((noreturn)) consumer_process(const char *name, int use_bell, uint64_t n)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct seg s;
	if (seg_attach(&s, name, 0, T_APP_LAYOUT) != 0)
		_exit(10);
	int ri = seg_ring_find(&s, "p2c"), ai = seg_agent_find(&s, "cons");
	if (ri < 0 || ai < 0)
		_exit(11);
	struct agent_slot *a = seg_agent(&s, (uint32_t)ai);
	if (agent_register(a, getpid(), t_now_ns()) != 0)
		_exit(12);
	struct stress_report *rep = seg_user(&s);
	struct stress st = {
		.r = seg_ring(&s, (uint32_t)ri), .bell = use_bell ? &a->bell : NULL, .n = n,
		.deadline_ns = t_now_ns() + STRESS_DEADLINE_NS, .rep = rep,
	};
	stress_consume(&st);
	/* anything beyond n would be a duplicate or an invented message */
	int extra = ring_peek(st.r) != NULL;
	int code = rep->bad || rep->gave_up ? 20 : rep->timeouts ? 21 :
		   rep->received != n ? 22 : extra ? 23 : 0;
	agent_deregister(a, t_now_ns());
	seg_close(&s);
	_exit(code);
}

static void stress_processes(int use_bell)
{
#if T_TSAN
	cr_skip_test("TSan cannot follow memory shared between processes");
#endif
	t_seg_name(seg_name, sizeof(seg_name), "ring");
	seg_unlink(seg_name);
	struct seg_spec sp;
	t_spec_two_agents(&sp, seg_name, STRESS_CAPACITY, STRESS_SLOT, RING_BLOCK,
			  sizeof(struct stress_report));
	cr_assert_eq(seg_create(&seg, &sp, t_now_ns()), 0, "seg_create %s", seg_name);
	struct stress_report *rep = seg_user(&seg);
	struct doorbell *bell = &seg_agent(&seg, 1)->bell;

	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0)
		consumer_process(seg_name, use_bell, PROCESS_MSGS);
	child = pid;

	struct stress s = {
		.r = seg_ring(&seg, 0), .bell = use_bell ? bell : NULL, .n = PROCESS_MSGS,
		.deadline_ns = t_now_ns() + STRESS_DEADLINE_NS, .rep = rep, .child = pid,
	};
	uint64_t sent = stress_produce(&s);
	if (!s.child_reaped)
		cr_assert_eq(waitpid(pid, &s.child_status, 0), pid);
	child = 0;

	cr_assert(WIFEXITED(s.child_status), "consumer killed by signal %d",
		  WIFSIGNALED(s.child_status) ? WTERMSIG(s.child_status) : 0);
	assert_report(&s, rep);
	cr_assert_eq(WEXITSTATUS(s.child_status), 0, "consumer exit %d",
		     WEXITSTATUS(s.child_status));
	cr_assert_eq(sent, s.n);
	struct ring_stats st = stats(s.r);
	cr_assert_eq(st.head, s.n);
	cr_assert_eq(st.tail, s.n);
	struct agent_slot *a = seg_agent(&seg, 1);
	cr_assert_eq(atomic_load(&a->generation), 1);
	cr_assert_eq(atomic_load(&a->state), AGENT_EXITED);
	if (use_bell)
		cr_assert_gt(atomic_load(&bell->sleeps), 0, "the consumer never slept");
	cr_log_info("%lu msgs, full %lu, sleeps %lu, wakes %lu", (unsigned long)s.n,
		    (unsigned long)st.full, (unsigned long)atomic_load(&bell->sleeps),
		    (unsigned long)atomic_load(&bell->wakes));
}

Test(ring, stress_processes_spin, .timeout = 150)
{
	stress_processes(0);
}

Test(ring, stress_processes_doorbell, .timeout = 150)
{
	stress_processes(1);
}
