/*
 * hist.h — fixed-memory log-linear histogram of latencies (HDR-style).
 *
 * Design note.  A value v lands in one of HIST_BUCKETS counters:
 *
 *   v < 2 * HIST_SUB (64)      bucket v, width 1: exact
 *   v >= 64, msb(v) = m        shift = m - HIST_SUB_BITS (>= 1),
 *                              bucket = shift * HIST_SUB + (v >> shift)
 *
 * v >> shift keeps the top HIST_SUB_BITS + 1 bits of v (32..63), so each
 * power-of-two range [2^m, 2^(m+1)) is cut into HIST_SUB = 32 linear
 * sub-buckets of width 2^shift, and a bucket's width is at most 1/32 of
 * its lower bound.  Every uint64_t value has a bucket (no clamping): the
 * last one, 1919, ends at UINT64_MAX.
 *
 * Quantiles use the nearest-rank rule: the value of rank ceil(q * count)
 * (at least 1) in sorted order.  hist_quantile returns the upper bound of
 * that value's bucket, clamped to the exact max, so for the true value x
 *
 *   x <= hist_quantile(h, q) < x * (1 + 1/32)
 *
 * and values below 64 come back exact.  count, min, max and sum are exact.
 *
 * Memory: the caller owns it (stack, static, or a shared segment); the
 * struct is fixed-size, pointer-free and explicit-width, so it can sit in
 * shared memory and be read by another process.  One writer at a time;
 * the fields are relaxed atomics so readers in other threads or processes
 * (monitors, hist_merge into a report) see untorn values without any
 * locked instruction on the writer's side.  A reader's snapshot may be a
 * few records behind on some fields.  sum wraps after 2^64 (584 years of
 * summed nanoseconds).
 */
#ifndef DM_LIBCORE_HIST_H
#define DM_LIBCORE_HIST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "libcore/types.h"

#define HIST_SUB_BITS 5u
#define HIST_SUB      (1u << HIST_SUB_BITS)                 /* 32 sub-buckets */
#define HIST_BUCKETS  ((65u - HIST_SUB_BITS) * HIST_SUB)    /* 1920 */

struct hist {
	_Atomic uint64_t count;
	_Atomic uint64_t sum;   /* of every value recorded; wraps at 2^64 */
	_Atomic uint64_t min;   /* UINT64_MAX while empty */
	_Atomic uint64_t max;   /* 0 while empty */
	uint64_t pad[4];
	_Atomic uint64_t bucket[HIST_BUCKETS];
};
_Static_assert(sizeof(struct hist) == 64 + 8 * HIST_BUCKETS, "hist size");
_Static_assert(offsetof(struct hist, bucket) == DM_CACHELINE, "hist.bucket line");
_Static_assert(HIST_BUCKETS == 1920, "hist bucket count");

/* Empty the histogram.  No allocation; any thread before sharing it. */
void hist_init(struct hist *h);

/* Bucket of a value: 0 .. HIST_BUCKETS - 1. */
static inline uint32_t hist_bucket_of(uint64_t v)
{
	/* v | 63 keeps clz defined and puts v < 64 at shift 0, bucket v */
	uint32_t shift = 63u - HIST_SUB_BITS - (uint32_t)__builtin_clzll(v | 63u);
	return (shift << HIST_SUB_BITS) + (uint32_t)(v >> shift);
}

/* Smallest and largest value that land in bucket i (< HIST_BUCKETS). */
uint64_t hist_bucket_lo(uint32_t i);
uint64_t hist_bucket_hi(uint32_t i);

/* single-writer update: a plain load and store, no locked instruction */
static inline void hist__store(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, v, memory_order_relaxed);
}

static inline uint64_t hist__load(const _Atomic uint64_t *c)
{
	return atomic_load_explicit((_Atomic uint64_t *)c, memory_order_relaxed);
}

/*
 * Record one value (any uint64_t; nanoseconds by convention).  The single
 * writer only; never blocks, never allocates, no data-dependent branch.
 */
static inline void hist_record(struct hist *h, uint64_t v)
{
	_Atomic uint64_t *b = &h->bucket[hist_bucket_of(v)];
	hist__store(b, hist__load(b) + 1);
	hist__store(&h->count, hist__load(&h->count) + 1);
	hist__store(&h->sum, hist__load(&h->sum) + v);
	uint64_t mn = hist__load(&h->min), mx = hist__load(&h->max);
	hist__store(&h->min, v < mn ? v : mn);
	hist__store(&h->max, v > mx ? v : mx);
}

/*
 * Value at quantile q in [0, 1] (clamped), nearest rank, reported as the
 * upper bound of its bucket clamped to max: never below the true value,
 * less than 1/32 above it.  0 when empty.  Any thread; reads only.
 */
uint64_t hist_quantile(const struct hist *h, double q);

/* Add every value recorded in src to dst (the writer of dst only). */
void hist_merge(struct hist *dst, const struct hist *src);

static inline uint64_t hist_count(const struct hist *h)
{
	return hist__load(&h->count);
}

/* Exact smallest / largest value recorded; 0 when empty. */
static inline uint64_t hist_min(const struct hist *h)
{
	return hist__load(&h->count) ? hist__load(&h->min) : 0;
}

static inline uint64_t hist_max(const struct hist *h)
{
	return hist__load(&h->max);
}

/* Mean of the values recorded; 0 when empty. */
double hist_mean(const struct hist *h);

#endif /* DM_LIBCORE_HIST_H */
