/*
 * ring.c — SPSC ring: set-up, recovery, the conflating side slot.
 *
 * Memory ordering edges (every acquire/release names its partner):
 *
 *   P0  producer, acquire load of tail when the cached tail says "full".
 *       Pairs with C1: once the producer sees tail = t, the consumer has
 *       finished reading every slot below t, so they may be overwritten.
 *   P1  producer, release store of a slot's turn word (= position + 1)
 *       after the message bytes.  Pairs with C0.
 *   P2  producer, release store of head after the turn words.  Pairs with
 *       M0; the consumer never reads head.
 *   C0  consumer, acquire load of the turn word at the tail; when it equals
 *       tail + 1 the message bytes written before P1 are visible.
 *   C1  consumer, release store of tail after it has handled the messages.
 *       Pairs with P0.
 *   M0  monitors (dm-shmdump) and ring_producer_recover, acquire load of
 *       head.  Pairs with P2.
 *
 * The turn word makes a stale slot from the previous lap unmistakable:
 * it holds position + 1 - capacity, never position + 1.
 */
#include "shm/ring.h"

static int is_pow2(uint64_t x)
{
	return x >= 2 && (x & (x - 1)) == 0;
}

size_t ring_memsize(uint64_t capacity, uint32_t slot_size)
{
	if (!is_pow2(capacity) || slot_size < 16 || slot_size % 8 != 0 ||
	    capacity > (1ull << 32))
		return 0;
	size_t n = sizeof(struct ring) + (size_t)slot_size * (capacity + 1);
	return (n + DM_CACHELINE - 1) & ~(size_t)(DM_CACHELINE - 1);
}

int ring_init(struct ring *r, const char *name, uint64_t capacity,
	      uint32_t slot_size, enum ring_policy policy)
{
	size_t sz = ring_memsize(capacity, slot_size);
	if (sz == 0 || (policy != RING_BLOCK && policy != RING_CONFLATE) ||
	    ((uintptr_t)r % DM_CACHELINE) != 0)
		return -EINVAL;
	memset(r, 0, sz);
	r->slot_size = slot_size;
	r->capacity = capacity;
	r->mask = capacity - 1;
	r->policy = policy;
	if (name) {
		strncpy(r->name, name, RING_NAME_MAX - 1);
		r->name[RING_NAME_MAX - 1] = '\0';
	}
	/* turn words are all 0: position 0 waits for turn 1 */
	atomic_thread_fence(memory_order_release);
	r->magic = RING_MAGIC;
	return 0;
}

int ring_check(const struct ring *r, uint64_t capacity, uint32_t slot_size,
	       enum ring_policy policy)
{
	if (r->magic != RING_MAGIC)
		return -DM_EMAGIC;
	if (r->capacity != capacity || r->mask != capacity - 1 ||
	    r->slot_size != slot_size || r->policy != (uint32_t)policy)
		return -DM_ELAYOUT;
	return 0;
}

uint64_t ring_producer_recover(struct ring *r)
{
	/* M0 acquire: pairs with P2 */
	uint64_t start = atomic_load_explicit(&r->head, memory_order_acquire);
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	/*
	 * The consumer follows turn words, not head: after a crash between P1
	 * and P2 it may already have read past head.  Those positions were
	 * published, so head resumes at least at tail.
	 */
	uint64_t h = t > start ? t : start;
	while (h - t < r->capacity &&
	       atomic_load_explicit(ring__turn(r, h), memory_order_acquire) == h + 1)
		h++;
	if (h != start)
		atomic_store_explicit(&r->head, h, memory_order_release);
	r->cached_tail = t;
	return h - start;
}

int ring__flush_pending(struct ring *r)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (ring__room(r, h, 1) == 0)
		return -EAGAIN;
	uint8_t *s = ring__slot(r, h);
	const uint8_t *side = (const uint8_t *)(r + 1);
	memcpy(s + RING_SLOT_HDR, side, r->pending_len);
	atomic_store_explicit(&r->pending, 0, memory_order_relaxed);
	/* P1 release: pairs with C0 */
	atomic_store_explicit((_Atomic uint64_t *)(void *)s, h + 1, memory_order_release);
	/* P2 release: pairs with M0 */
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return 0;
}

int ring_offer(struct ring *r, const void *msg, uint32_t len)
{
	if (r->policy != RING_CONFLATE)
		return ring_try_push(r, msg, len);
	if (ring_flush(r) == 0 &&
	    ring__room(r, atomic_load_explicit(&r->head, memory_order_relaxed), 1) > 0)
		return ring_try_push(r, msg, len);
	/* full: the newest offer waits in the side slot */
	if (atomic_load_explicit(&r->pending, memory_order_relaxed))
		ring__inc(&r->dropped, 1);
	memcpy((uint8_t *)(r + 1), msg, len);
	r->pending_len = len;
	atomic_store_explicit(&r->pending, 1, memory_order_relaxed);
	return 1;
}

void ring_stats(const struct ring *r, struct ring_stats *st)
{
	/* M0 acquire: pairs with P2 */
	st->head = atomic_load_explicit(&((struct ring *)r)->head, memory_order_acquire);
	st->tail = atomic_load_explicit(&((struct ring *)r)->tail, memory_order_acquire);
	st->full = atomic_load_explicit(&((struct ring *)r)->full, memory_order_relaxed);
	st->dropped = atomic_load_explicit(&((struct ring *)r)->dropped, memory_order_relaxed);
	st->pending = atomic_load_explicit(&((struct ring *)r)->pending, memory_order_relaxed);
}
