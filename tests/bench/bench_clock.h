/*
 * bench_clock.h — the clocks the benchmarks time with:
 *
 *   mono_ns()        CLOCK_MONOTONIC, for wall time
 *   cpu_ns()         this thread's CPU time
 *   clk_begin/end()  the time-stamp counter between fences (x86-64; the
 *                    monotonic clock elsewhere), converted to ns with the
 *                    g_ns_per_tick that clk_calibrate() measures (100 ms)
 *
 * Header-only: each benchmark is one program (tests/bench/bench_X.c).
 */
#ifndef DM_BENCH_CLOCK_H
#define DM_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

static __attribute__((unused)) int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static __attribute__((unused)) int64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double g_ns_per_tick = 1.0;

#if defined(__x86_64__)
/* the fences keep the timed work between the two reads */
static inline uint64_t clk_begin(void)
{
	_mm_lfence();
	uint64_t t = __rdtsc();
	_mm_lfence();
	return t;
}

static inline uint64_t clk_end(void)
{
	unsigned aux;
	uint64_t t = __rdtscp(&aux);

	_mm_lfence();
	return t;
}
#else
static inline uint64_t clk_begin(void) { return (uint64_t)mono_ns(); }
static inline uint64_t clk_end(void) { return (uint64_t)mono_ns(); }
#endif

static __attribute__((unused)) void clk_calibrate(void)
{
	int64_t t0 = mono_ns();
	uint64_t c0 = clk_begin();

	while (mono_ns() - t0 < 100000000)
		;
	uint64_t c1 = clk_end();
	int64_t t1 = mono_ns();
	if (c1 > c0)
		g_ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
}

#endif /* DM_BENCH_CLOCK_H */
