/*
 * hist.c — log-linear latency histogram: bounds, quantiles, merge (hist.h).
 */
#include <math.h>
#include <string.h>

#include "libcore/hist/hist.h"

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	hist__store(&h->min, UINT64_MAX);
}

uint64_t hist_bucket_lo(uint32_t i)
{
	if (i < 2 * HIST_SUB)
		return i;
	uint32_t shift = (i >> HIST_SUB_BITS) - 1;
	uint64_t top = HIST_SUB + (i & (HIST_SUB - 1));
	return top << shift;
}

uint64_t hist_bucket_hi(uint32_t i)
{
	if (i < 2 * HIST_SUB)
		return i;
	uint32_t shift = (i >> HIST_SUB_BITS) - 1;
	uint64_t top = HIST_SUB + (i & (HIST_SUB - 1));
	/* the last bucket: (64 << 58) wraps to 0, and 0 - 1 is UINT64_MAX */
	return ((top + 1) << shift) - 1;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t n = hist__load(&h->count);
	if (n == 0)
		return 0;
	if (!(q > 0.0)) /* also NaN */
		q = 0.0;
	if (q > 1.0)
		q = 1.0;
	double r = ceil(q * (double)n);
	uint64_t rank = r < 1.0 ? 1 : r >= (double)n ? n : (uint64_t)r;
	uint64_t mx = hist__load(&h->max);
	uint64_t seen = 0;
	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		seen += hist__load(&h->bucket[i]);
		if (seen >= rank) {
			uint64_t hi = hist_bucket_hi(i);
			return hi < mx ? hi : mx;
		}
	}
	/* a reader racing the writer saw count ahead of the buckets */
	return mx;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		uint64_t c = hist__load(&src->bucket[i]);
		if (c)
			hist__store(&dst->bucket[i], hist__load(&dst->bucket[i]) + c);
	}
	hist__store(&dst->count, hist__load(&dst->count) + hist__load(&src->count));
	hist__store(&dst->sum, hist__load(&dst->sum) + hist__load(&src->sum));
	uint64_t smin = hist__load(&src->min), dmin = hist__load(&dst->min);
	uint64_t smax = hist__load(&src->max), dmax = hist__load(&dst->max);
	hist__store(&dst->min, smin < dmin ? smin : dmin);
	hist__store(&dst->max, smax > dmax ? smax : dmax);
}

double hist_mean(const struct hist *h)
{
	uint64_t n = hist__load(&h->count);
	return n ? (double)hist__load(&h->sum) / (double)n : 0.0;
}
