/*
 * test_hist.c — the log-linear histogram against exact computations:
 * nearest-rank quantiles of a sorted copy of the data, bucket bounds
 * checked value by value, merge against recording everything in one.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "libcore/hist/hist.h"

/* xorshift64*: deterministic data without libc's rand state */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* nearest rank, written out independently of hist.c's loop */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q)
{
	double r = ceil(q * (double)n);
	size_t rank = r < 1.0 ? 1 : (size_t)r;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static const double qs[] = { 0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9,
			     0.99, 0.999, 0.9999, 1.0 };

static void check_quantiles(const struct hist *h, uint64_t *v, size_t n, const char *what)
{
	qsort(v, n, sizeof(v[0]), cmp_u64);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t want = exact_quantile(v, n, qs[i]);
		uint64_t got = hist_quantile(h, qs[i]);
		cr_assert(got >= want, "%s q=%g: %lu below exact %lu", what, qs[i],
			  (unsigned long)got, (unsigned long)want);
		if (want < 2 * HIST_SUB)
			cr_assert_eq(got, want, "%s q=%g: small values are exact", what, qs[i]);
		else
			/* relative error < 1/32, in integers: (got - want) * 32 < want */
			cr_assert((long double)(got - want) * HIST_SUB < (long double)want,
				  "%s q=%g: %lu vs exact %lu, error >= 1/32", what, qs[i],
				  (unsigned long)got, (unsigned long)want);
	}
	cr_assert_eq(hist_min(h), v[0], "%s min", what);
	cr_assert_eq(hist_max(h), v[n - 1], "%s max", what);
	cr_assert_eq(hist_count(h), n, "%s count", what);
}

static struct hist h1, h2, h3;

#define N_RANDOM 200000
static uint64_t vals[N_RANDOM];

Test(hist, empty_reports_zero_everywhere)
{
	hist_init(&h1);
	cr_assert_eq(hist_count(&h1), 0);
	cr_assert_eq(hist_min(&h1), 0);
	cr_assert_eq(hist_max(&h1), 0);
	cr_assert_eq(hist_mean(&h1), 0.0);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		cr_assert_eq(hist_quantile(&h1, qs[i]), 0);
}

Test(hist, buckets_tile_the_whole_u64_range)
{
	cr_assert_eq(hist_bucket_lo(0), 0);
	cr_assert_eq(hist_bucket_hi(HIST_BUCKETS - 1), UINT64_MAX);
	cr_assert_eq(hist_bucket_of(UINT64_MAX), HIST_BUCKETS - 1);
	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo = hist_bucket_lo(i), hi = hist_bucket_hi(i);
		cr_assert(lo <= hi, "bucket %u: lo %lu > hi %lu", i, (unsigned long)lo,
			  (unsigned long)hi);
		cr_assert_eq(hist_bucket_of(lo), i, "bucket of lo(%u)", i);
		cr_assert_eq(hist_bucket_of(hi), i, "bucket of hi(%u)", i);
		if (i + 1 < HIST_BUCKETS)
			cr_assert_eq(hist_bucket_lo(i + 1), hi + 1, "gap after bucket %u", i);
		if (i < 2 * HIST_SUB)
			cr_assert_eq(lo, hi, "bucket %u is exact", i);
		else
			/* width (hi - lo + 1) at most lo / 32 */
			cr_assert((long double)(hi - lo + 1) * HIST_SUB <= (long double)lo,
				  "bucket %u too wide", i);
	}
}

Test(hist, edge_values_zero_one_and_huge)
{
	hist_init(&h1);
	hist_record(&h1, 0);
	cr_assert_eq(hist_min(&h1), 0);
	cr_assert_eq(hist_max(&h1), 0);
	cr_assert_eq(hist_quantile(&h1, 0.5), 0);
	cr_assert_eq(hist_quantile(&h1, 1.0), 0);

	hist_record(&h1, 1);
	cr_assert_eq(hist_quantile(&h1, 0.5), 0);
	cr_assert_eq(hist_quantile(&h1, 1.0), 1);

	hist_record(&h1, UINT64_MAX);
	cr_assert_eq(hist_count(&h1), 3);
	cr_assert_eq(hist_min(&h1), 0);
	cr_assert_eq(hist_max(&h1), UINT64_MAX);
	cr_assert_eq(hist_quantile(&h1, 1.0), UINT64_MAX);
	cr_assert_eq(hist_quantile(&h1, 0.0), 0);
	cr_assert_eq(h1.bucket[HIST_BUCKETS - 1], 1);

	/* 1e11 ns: the top of the expected range, reported exactly as max */
	hist_init(&h2);
	hist_record(&h2, 100000000000ull);
	cr_assert_eq(hist_quantile(&h2, 0.5), 100000000000ull);
	hist_record(&h2, 99000000000ull);
	uint64_t q0 = hist_quantile(&h2, 0.0);
	cr_assert(q0 >= 99000000000ull && (q0 - 99000000000ull) * 32 < 99000000000ull,
		  "q0 %lu", (unsigned long)q0);

	/* the boundaries of the exact region and the first log bucket */
	uint64_t edge[] = { 62, 63, 64, 65, 66, 67, 127, 128, 129 };
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		hist_init(&h3);
		hist_record(&h3, edge[i]);
		hist_record(&h3, edge[i]);
		cr_assert_eq(hist_quantile(&h3, 0.5), edge[i], "single value %lu",
			     (unsigned long)edge[i]);
	}
	cr_assert_eq(hist_bucket_of(63), 63);
	cr_assert_eq(hist_bucket_of(64), 64);
	cr_assert_eq(hist_bucket_of(65), 64);
	cr_assert_eq(hist_bucket_hi(64), 65);
}

Test(hist, quantiles_of_uniform_data_within_one_32nd)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	hist_init(&h1);
	for (size_t i = 0; i < N_RANDOM; i++) {
		vals[i] = 100 + rng_next(&s) % 1000000;
		hist_record(&h1, vals[i]);
	}
	check_quantiles(&h1, vals, N_RANDOM, "uniform");
}

Test(hist, quantiles_of_log_uniform_data_within_one_32nd)
{
	/* 1 ns .. 1e11 ns spread evenly over the decades */
	uint64_t s = 12345;
	hist_init(&h1);
	for (size_t i = 0; i < N_RANDOM; i++) {
		vals[i] = (uint64_t)exp(rng_unit(&s) * log(1e11));
		hist_record(&h1, vals[i]);
	}
	check_quantiles(&h1, vals, N_RANDOM, "log-uniform");
}

Test(hist, quantiles_of_latency_like_data_within_one_32nd)
{
	/* a 150 ns body, an exponential tail, rare 10-100 us outliers */
	uint64_t s = 777;
	hist_init(&h1);
	for (size_t i = 0; i < N_RANDOM; i++) {
		double u = rng_unit(&s);
		uint64_t v = 140 + (uint64_t)(-40.0 * log(1.0 - rng_unit(&s)));
		if (u < 0.001)
			v = 10000 + rng_next(&s) % 90000;
		vals[i] = v;
		hist_record(&h1, v);
	}
	check_quantiles(&h1, vals, N_RANDOM, "latency-like");
}

Test(hist, quantiles_of_small_samples_are_exact_below_64)
{
	uint64_t v[] = { 5, 1, 9, 0, 63, 12, 12, 40 };
	size_t n = sizeof(v) / sizeof(v[0]);
	hist_init(&h1);
	for (size_t i = 0; i < n; i++)
		hist_record(&h1, v[i]);
	check_quantiles(&h1, v, n, "small");
	/* hand-worked: sorted 0 1 5 9 12 12 40 63; rank ceil(0.5 * 8) = 4 -> 9 */
	cr_assert_eq(hist_quantile(&h1, 0.5), 9);
	cr_assert_eq(hist_quantile(&h1, 0.51), 12);
	cr_assert_eq(hist_quantile(&h1, -1.0), 0);
	cr_assert_eq(hist_quantile(&h1, 2.0), 63);
}

Test(hist, mean_and_sum_are_exact)
{
	hist_init(&h1);
	uint64_t v[] = { 100, 200, 300, 1000000 };
	for (size_t i = 0; i < 4; i++)
		hist_record(&h1, v[i]);
	cr_assert_eq(hist_mean(&h1), 1000600.0 / 4);
	cr_assert_eq(h1.sum, 1000600);
}

static void assert_same(const struct hist *a, const struct hist *b)
{
	cr_assert_eq(hist_count(a), hist_count(b));
	cr_assert_eq(a->sum, b->sum);
	cr_assert_eq(hist_min(a), hist_min(b));
	cr_assert_eq(hist_max(a), hist_max(b));
	for (uint32_t i = 0; i < HIST_BUCKETS; i++)
		cr_assert_eq(a->bucket[i], b->bucket[i], "bucket %u", i);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		cr_assert_eq(hist_quantile(a, qs[i]), hist_quantile(b, qs[i]));
}

Test(hist, merge_equals_recording_all)
{
	uint64_t s = 4242;
	hist_init(&h1);
	hist_init(&h2);
	hist_init(&h3);
	for (size_t i = 0; i < N_RANDOM; i++) {
		uint64_t v = (uint64_t)exp(rng_unit(&s) * log(1e9));
		hist_record(i % 3 ? &h1 : &h2, v);
		hist_record(&h3, v);
	}
	hist_merge(&h1, &h2);
	assert_same(&h1, &h3);
}

Test(hist, merge_with_empty_changes_nothing)
{
	hist_init(&h1);
	hist_init(&h2);
	hist_init(&h3);
	uint64_t v[] = { 7, 300, 5000, 123456789 };
	for (size_t i = 0; i < 4; i++) {
		hist_record(&h1, v[i]);
		hist_record(&h3, v[i]);
	}
	hist_merge(&h1, &h2); /* empty into full */
	assert_same(&h1, &h3);
	hist_merge(&h2, &h3); /* full into empty */
	assert_same(&h2, &h3);
	hist_init(&h1);
	hist_merge(&h1, &h2 /* now full */);
	hist_init(&h2);
	hist_merge(&h1, &h2);
	assert_same(&h1, &h3);
}
