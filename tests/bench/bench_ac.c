/*
 * bench_ac.c — the cost of the execution decisions that run on the
 * trading path: the Almgren-Chriss trajectory in whole contracts
 * (ac_slices: the coordinator's cut of a large intent, risk's flatten
 * plan) and the passive rule (passive_choose: every released order with
 * execution.passive auto), each per call, beside the straight line and a
 * short queue.
 *
 * Samples of 256 calls each, timed with the time-stamp counter; the
 * median and p99 of a call over the samples.  A shared machine makes the
 * figures noisy.  Usage: bench_ac [--samples N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/control/ac.h"
#include "libcore/control/passive.h"
#include "tests/bench/bench_clock.h"
#include "tests/bench/bench_table.h"

#define BATCH 256

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static volatile int64_t g_sink;

/* ns per ac_slices call: median and p99 over n samples */
static void time_ac(const struct ac_params *p, int64_t X, uint32_t n, uint64_t samples,
		    double *p50, double *p99)
{
	double *s = malloc(samples * sizeof(double));
	if (!s) {
		fprintf(stderr, "bench_ac: out of memory (%llu samples)\n",
			(unsigned long long)samples);
		exit(1);
	}
	int64_t hold[AC_MAX_SLICES + 1];
	for (uint64_t k = 0; k < samples; k++) {
		uint64_t t0 = clk_begin();
		for (int i = 0; i < BATCH; i++) {
			ac_slices(p, X + (i & 1), n, 2.0, hold);
			g_sink += hold[1];
		}
		s[k] = (double)(clk_end() - t0) * g_ns_per_tick / BATCH;
	}
	qsort(s, samples, sizeof(double), cmp_d);
	*p50 = s[samples / 2];
	*p99 = s[samples * 99 / 100];
	free(s);
}

static void time_passive(int64_t queue, uint64_t samples, double *p50, double *p99)
{
	double *s = malloc(samples * sizeof(double));
	struct passive_model m = { .a = 2.8, .k = 0.53, .order_lots = 1, .horizon_s = 5,
				   .move_ticks = 1 };
	struct passive_in in = { .side = 1, .bid_px = 26000, .ask_px = 26001,
				 .queue_ahead = queue, .qty = 1 };
	struct passive_eval e;
	for (uint64_t k = 0; k < samples; k++) {
		uint64_t t0 = clk_begin();
		for (int i = 0; i < BATCH; i++) {
			in.queue_ahead = queue + (i & 1);
			passive_choose(&m, &in, &e);
			g_sink += e.px;
		}
		s[k] = (double)(clk_end() - t0) * g_ns_per_tick / BATCH;
	}
	qsort(s, samples, sizeof(double), cmp_d);
	*p50 = s[samples / 2];
	*p99 = s[samples * 99 / 100];
	free(s);
}

int main(int argc, char **argv)
{
	uint64_t samples = 2000, v;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--samples") && i + 1 < argc && !parse_count(argv[i + 1], &v)) {
			samples = v;
			i++;
		} else {
			fprintf(stderr, "usage: bench_ac [--samples N]\n");
			return 2;
		}
	}
	clk_calibrate();
	struct ac_params line = { .eta = 1 };
	struct ac_params ac = { .eta = 0.05 * 0.5, .gamma = 0.0037, .sigma = 1.5, .lambda = 0.1 };
	double a50, a99, l50, l99;
	static const uint32_t ns[] = { 4, 16, 64 };
	for (int i = 0; i < 3; i++) {
		char fig[56];
		time_ac(&line, 40, ns[i], samples, &l50, &l99);
		time_ac(&ac, 40, ns[i], samples, &a50, &a99);
		snprintf(fig, sizeof(fig), "ac_slices N=%u, p50", ns[i]);
		row(fig, a50, "ns", l50, "the straight line, %.0f ns", l50);
		snprintf(fig, sizeof(fig), "ac_slices N=%u, p99", ns[i]);
		row(fig, a99, "ns", l99, "the straight line, %.0f ns", l99);
	}
	double q50, q99, s50, s99;
	time_passive(10, samples, &s50, &s99);
	static const int64_t qs[] = { 100, 10000 };
	for (int i = 0; i < 2; i++) {
		char fig[56];
		time_passive(qs[i], samples, &q50, &q99);
		snprintf(fig, sizeof(fig), "passive_choose, queue %lld lots, p50", (long long)qs[i]);
		row(fig, q50, "ns", s50, "a queue of 10 lots, %.0f ns", s50);
		snprintf(fig, sizeof(fig), "passive_choose, queue %lld lots, p99", (long long)qs[i]);
		row(fig, q99, "ns", s99, "a queue of 10 lots, %.0f ns", s99);
	}
	print_table();
	return 0;
}
