/*
 * ring.h — single-producer / single-consumer ring of fixed-size slots.
 *
 * The ring is one self-contained block of memory (no pointers inside), so it
 * lives equally in the shared segment or in a test's buffer:
 *
 *   struct ring (3 cache lines) | side slot (conflate) | capacity x slot_size
 *
 * Each slot starts with an 8-byte turn word written by the ring; the
 * message follows (RING_SLOT_HDR).  Positions are free-running 64-bit
 * counters, masked on access.  The slot at position p holds a message when
 * its turn word equals p + 1; the consumer polls that word instead of the
 * producer's head, so one hand-off moves one cache line (the slot), not two.
 *
 * Producer-written fields (head, cached_tail, counters) and consumer-written
 * fields (tail) sit on separate cache lines.  Each side caches what it needs
 * of the other: the producer keeps the last tail it read and reads the real
 * one only when the ring looks full.
 *
 * At-least-once: the consumer peeks, handles, and only then commits its
 * tail.  A consumer that dies between handling and commit re-reads those
 * messages after restart; handlers are idempotent by msg_hdr.seq.
 *
 * Full policy: RING_BLOCK rings never lose a message; try_push fails with
 * -EAGAIN and the caller decides (wait, alarm, halt).  RING_CONFLATE rings
 * accept ring_offer(): when full, the newest offered message waits in the
 * side slot, superseding the one that waited there (counted as dropped),
 * and is published ahead of anything pushed later, so order is kept.
 *
 * Threads/processes: exactly one producer and one consumer at a time.  The
 * memory ordering edges are listed at the top of ring.c.
 */
#ifndef DM_SHM_RING_H
#define DM_SHM_RING_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "libcore/types.h"

#define RING_MAGIC     0x474e4952u /* "RING" */
#define RING_SLOT_HDR  8u          /* turn word at the start of every slot */
#define RING_NAME_MAX  32

enum ring_policy { RING_BLOCK = 0, RING_CONFLATE = 1 };

struct ring {
	/* line 0: written once by ring_init, read-only after */
	uint32_t magic;
	uint32_t slot_size;   /* bytes per slot, turn word included */
	uint64_t capacity;    /* slots, a power of two */
	uint64_t mask;        /* capacity - 1 */
	uint32_t policy;      /* enum ring_policy */
	uint32_t pad0;
	char     name[RING_NAME_MAX];

	/* line 1: producer */
	_Alignas(DM_CACHELINE) _Atomic uint64_t head; /* next position; = messages pushed */
	uint64_t cached_tail;              /* producer's last view of tail */
	_Atomic uint64_t full;             /* pushes refused because full */
	_Atomic uint64_t dropped;          /* offers superseded in the side slot */
	_Atomic uint32_t pending;          /* 1 when the side slot holds a message */
	uint32_t pending_len;

	/* line 2: consumer */
	_Alignas(DM_CACHELINE) _Atomic uint64_t tail; /* next position to read; = messages popped */
};
_Static_assert(sizeof(struct ring) == 3 * DM_CACHELINE, "ring header is 3 lines");
_Static_assert(offsetof(struct ring, head) == DM_CACHELINE, "ring.head line");
_Static_assert(offsetof(struct ring, tail) == 2 * DM_CACHELINE, "ring.tail line");

/* Bytes of memory a ring of this shape needs; 0 if the shape is invalid. */
size_t ring_memsize(uint64_t capacity, uint32_t slot_size);

/*
 * Initialize a ring in caller-owned memory of ring_memsize() bytes, aligned
 * to a cache line.  capacity: power of two >= 2; slot_size: multiple of 8,
 * >= 16.  Returns 0 or -EINVAL.  Not thread-safe; call before sharing.
 */
int ring_init(struct ring *r, const char *name, uint64_t capacity,
	      uint32_t slot_size, enum ring_policy policy);

/*
 * Check that memory holds a ring of the given shape (magic, capacity, slot
 * size, policy).  Returns 0, -DM_EMAGIC or -DM_ELAYOUT.
 */
int ring_check(const struct ring *r, uint64_t capacity, uint32_t slot_size,
	       enum ring_policy policy);

/*
 * Producer side, once after (re)attaching: a producer that died between
 * writing turn words and advancing head left published slots past head;
 * move head past them so they are not overwritten.  Returns the number of
 * positions recovered.
 */
uint64_t ring_producer_recover(struct ring *r);

/* Message bytes a slot carries. */
static inline uint32_t ring_msg_max(const struct ring *r)
{
	return r->slot_size - RING_SLOT_HDR;
}

static inline uint8_t *ring__slot(const struct ring *r, uint64_t pos)
{
	uint8_t *base = (uint8_t *)(r + 1) + r->slot_size; /* after the side slot */
	return base + (size_t)(pos & r->mask) * r->slot_size;
}

static inline _Atomic uint64_t *ring__turn(const struct ring *r, uint64_t pos)
{
	return (_Atomic uint64_t *)(void *)ring__slot(r, pos);
}

/* single-writer counter increment: no locked instruction needed */
static inline void ring__inc(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* Publish the side slot if it holds a message and there is room (ring.c). */
int ring__flush_pending(struct ring *r);

/*
 * Producer: free slots available from head, up to want.  Refreshes the
 * cached tail only when the cache says there is not enough room.
 */
static inline uint64_t ring__room(struct ring *r, uint64_t head, uint64_t want)
{
	uint64_t room = r->capacity - (head - r->cached_tail);
	if (room < want) {
		/* P0 acquire: tail; pairs with C1, the consumer is done with those slots */
		r->cached_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		room = r->capacity - (head - r->cached_tail);
	}
	return room;
}

/*
 * Producer: copy one message of len <= ring_msg_max() bytes into the ring.
 * Returns 0, or -EAGAIN when full (counted in `full`; nothing is lost, the
 * caller still holds the message).  Never blocks, never allocates.
 */
static inline int ring_try_push(struct ring *r, const void *msg, uint32_t len)
{
	if (DM_UNLIKELY(atomic_load_explicit(&r->pending, memory_order_relaxed)) &&
	    ring__flush_pending(r) != 0) {
		ring__inc(&r->full, 1);
		return -EAGAIN;
	}
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (DM_UNLIKELY(ring__room(r, h, 1) == 0)) {
		ring__inc(&r->full, 1);
		return -EAGAIN;
	}
	uint8_t *s = ring__slot(r, h);
	memcpy(s + RING_SLOT_HDR, msg, len);
	/* P1 release: slot bytes before the turn word; pairs with C0 */
	atomic_store_explicit((_Atomic uint64_t *)(void *)s, h + 1, memory_order_release);
	/* P2 release: head after the turn word; pairs with M0 (monitors, recovery) */
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return 0;
}

/*
 * Producer, conflating rings: like ring_try_push, but when the ring is full
 * the message replaces whatever waits in the side slot (counted in
 * `dropped`) and is published by the next push, offer or ring_flush.
 * Returns 0 when published, 1 when it waits in the side slot.  On a
 * RING_BLOCK ring it is ring_try_push.
 */
int ring_offer(struct ring *r, const void *msg, uint32_t len);

/* Producer: publish the side slot if there is room.  0, or -EAGAIN. */
static inline int ring_flush(struct ring *r)
{
	if (!atomic_load_explicit(&r->pending, memory_order_relaxed))
		return 0;
	return ring__flush_pending(r);
}

/*
 * Producer, batch: claim up to n free slots starting at *pos; fill them
 * through ring_slot(r, *pos + i) and then ring_publish() the number filled
 * (<= claimed).  Returns the number claimed (0 when full; counted).
 */
static inline uint32_t ring_claim(struct ring *r, uint32_t n, uint64_t *pos)
{
	if (DM_UNLIKELY(atomic_load_explicit(&r->pending, memory_order_relaxed)) &&
	    ring__flush_pending(r) != 0) {
		ring__inc(&r->full, 1);
		return 0;
	}
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t room = ring__room(r, h, n);
	if (room == 0) {
		ring__inc(&r->full, 1);
		return 0;
	}
	*pos = h;
	return room < n ? (uint32_t)room : n;
}

/* Message area of the slot at a position (producer: claimed; consumer: peeked). */
static inline void *ring_slot(const struct ring *r, uint64_t pos)
{
	return ring__slot(r, pos) + RING_SLOT_HDR;
}

static inline void ring_publish(struct ring *r, uint32_t n)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++)
		/* P1 release: slot bytes before the turn word; pairs with C0 */
		atomic_store_explicit(ring__turn(r, h + i), h + i + 1, memory_order_release);
	/* P2 release: pairs with M0 */
	atomic_store_explicit(&r->head, h + n, memory_order_release);
}

/*
 * Consumer: the message at the tail, or NULL if none.  The pointer stays
 * valid until ring_commit() covers it.
 */
static inline const void *ring_peek(const struct ring *r)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	/* C0 acquire: turn word, then slot bytes; pairs with P1 */
	if (atomic_load_explicit(ring__turn(r, t), memory_order_acquire) != t + 1)
		return NULL;
	return ring__slot(r, t) + RING_SLOT_HDR;
}

/*
 * Consumer: how many messages (up to max) are ready from the tail; read
 * them with ring_at(r, 0..n-1), then ring_commit().
 */
static inline uint32_t ring_peek_burst(const struct ring *r, uint32_t max)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t n = 0;
	/* C0 acquire per slot; pairs with P1 */
	while (n < max &&
	       atomic_load_explicit(ring__turn(r, t + n), memory_order_acquire) == t + n + 1)
		n++;
	return n;
}

static inline const void *ring_at(const struct ring *r, uint32_t i)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	return ring__slot(r, t + i) + RING_SLOT_HDR;
}

/* Consumer: done with n messages from the tail; their slots may be reused. */
static inline void ring_commit(struct ring *r, uint32_t n)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	/* C1 release: reads of the slots before tail moves; pairs with P0 */
	atomic_store_explicit(&r->tail, t + n, memory_order_release);
}

/*
 * Consumer: copy the next message (at most cap bytes) and commit it.
 * Returns 0, or -EAGAIN when empty.
 */
static inline int ring_try_pop(struct ring *r, void *out, uint32_t cap)
{
	const void *m = ring_peek(r);
	if (!m)
		return -EAGAIN;
	uint32_t n = ring_msg_max(r);
	memcpy(out, m, cap < n ? cap : n);
	ring_commit(r, 1);
	return 0;
}

/* Any thread: a consistent-enough snapshot for monitoring. */
struct ring_stats {
	uint64_t head, tail, full, dropped;
	uint32_t pending;
};
void ring_stats(const struct ring *r, struct ring_stats *st);

#endif /* DM_SHM_RING_H */
