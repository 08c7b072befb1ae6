/*
 * doorbell.c — the sleeping half of the doorbell protocol (doorbell.h).
 * Shared futexes (no FUTEX_PRIVATE_FLAG): the word lives in a segment
 * mapped by several processes.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shm/doorbell.h"

void doorbell_init(struct doorbell *d)
{
	atomic_store_explicit(&d->epoch, 0, memory_order_relaxed);
	atomic_store_explicit(&d->waiters, 0, memory_order_relaxed);
	atomic_store_explicit(&d->sleeps, 0, memory_order_relaxed);
	atomic_store_explicit(&d->wakes, 0, memory_order_relaxed);
}

int doorbell_wait(struct doorbell *d, uint32_t e, int64_t timeout_ns)
{
	struct timespec ts = {
		.tv_sec = timeout_ns / 1000000000,
		.tv_nsec = timeout_ns % 1000000000,
	};
	atomic_fetch_add_explicit(&d->sleeps, 1, memory_order_relaxed);
	long rc = syscall(SYS_futex, (uint32_t *)&d->epoch, FUTEX_WAIT, e,
			  timeout_ns > 0 ? &ts : NULL, NULL, 0);
	int err = rc == 0 ? 0 : errno;
	atomic_store_explicit(&d->waiters, 0, memory_order_relaxed);
	if (err == EAGAIN) /* epoch already moved: a producer rang */
		return 0;
	return -err;
}

void doorbell__wake(struct doorbell *d)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* before the epoch's release: the woken consumer reads it after */
	atomic_store_explicit(&d->rung_ns, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
			      memory_order_relaxed);
	atomic_fetch_add_explicit(&d->epoch, 1, memory_order_release);
	atomic_fetch_add_explicit(&d->wakes, 1, memory_order_relaxed);
	syscall(SYS_futex, (uint32_t *)&d->epoch, FUTEX_WAKE, 1, NULL, NULL, 0);
}
