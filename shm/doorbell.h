/*
 * doorbell.h — futex doorbell that lets a consumer sleep without a lost
 * wake-up, and lets producers skip the system call while it is awake.
 *
 * One doorbell per consuming agent, in its registry slot; every producer
 * that feeds the agent rings the same bell.  The protocol is Dekker's:
 *
 *   consumer                            producer
 *   e = epoch; waiters = 1              publish message (ring P1/P2)
 *   full fence (D0)                     full fence (D1)
 *   re-check every input ring           if (waiters) { epoch++; futex_wake }
 *   if empty: futex_wait(epoch, e)
 *   waiters = 0
 *
 * D0 and D1 are seq_cst fences: either the producer sees waiters = 1 and
 * bumps the epoch (so futex_wait returns at once or is woken), or the
 * consumer's re-check sees the message.  No third outcome exists, so no
 * wake-up is lost; the timeout only bounds heartbeat staleness.
 */
#ifndef DM_SHM_DOORBELL_H
#define DM_SHM_DOORBELL_H

#include <stdatomic.h>
#include <stdint.h>

#include "libcore/types.h"

struct doorbell {
	_Alignas(DM_CACHELINE) _Atomic uint32_t epoch; /* futex word */
	_Atomic uint32_t waiters;  /* 1 while the consumer is (about to be) asleep */
	_Atomic uint64_t sleeps;   /* consumer: futex waits entered */
	_Atomic uint64_t wakes;    /* producers: futex wakes issued */
	_Atomic int64_t  rung_ns;  /* producers: CLOCK_REALTIME ns of the last futex wake
				    * (the consumer's wake histogram, agents/rt/state.h) */
};
_Static_assert(sizeof(struct doorbell) == DM_CACHELINE, "doorbell is one line");

void doorbell_init(struct doorbell *d);

/*
 * Consumer: announce the intent to sleep.  Returns the epoch to pass to
 * doorbell_wait.  After this, re-check the input rings; if one has work,
 * call doorbell_cancel instead of waiting.
 */
static inline uint32_t doorbell_prepare(struct doorbell *d)
{
	uint32_t e = atomic_load_explicit(&d->epoch, memory_order_acquire);
	atomic_store_explicit(&d->waiters, 1, memory_order_relaxed);
	/* D0: waiters store before the rings' re-check; pairs with D1 */
	atomic_thread_fence(memory_order_seq_cst);
	return e;
}

static inline void doorbell_cancel(struct doorbell *d)
{
	atomic_store_explicit(&d->waiters, 0, memory_order_relaxed);
}

/*
 * Consumer: sleep until the epoch moves past e or timeout_ns elapses
 * (futex; a system call).  Returns 0 when woken or when the epoch had
 * already moved, -ETIMEDOUT, or -EINTR.  Clears waiters.
 */
int doorbell_wait(struct doorbell *d, uint32_t e, int64_t timeout_ns);

/* Wake the sleeper (system call).  Producers call doorbell_ring(). */
void doorbell__wake(struct doorbell *d);

/*
 * Producer: after publishing one or more messages to rings this consumer
 * reads.  Costs one fence and one load while the consumer is awake; the
 * futex system call only when it sleeps.
 */
static inline void doorbell_ring(struct doorbell *d)
{
	/* D1: message publish before the waiters load; pairs with D0 */
	atomic_thread_fence(memory_order_seq_cst);
	/* the first producer to see the sleeper takes the wake on itself */
	if (DM_UNLIKELY(atomic_load_explicit(&d->waiters, memory_order_relaxed)) &&
	    atomic_exchange_explicit(&d->waiters, 0, memory_order_relaxed))
		doorbell__wake(d);
}

#endif /* DM_SHM_DOORBELL_H */
