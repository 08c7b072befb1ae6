/* split.c — roles of the samples in one CPCV split (split.h). */
#include <errno.h>
#include <string.h>

#include "libcore/model/xgb.h"
#include "libcore/validate/split.h"

int validate_split_roles(const int64_t *t0, const int64_t *t1, size_t n, uint32_t n_groups,
			 uint64_t test_mask, int64_t embargo, uint8_t *role,
			 struct validate_split_counts *counts)
{
	if (!t0 || !t1 || !role || n_groups < 2 || n_groups > 64 || n < n_groups ||
	    !test_mask || embargo < 0 ||
	    (n_groups < 64 && (test_mask >> n_groups) != 0))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (t1[i] < t0[i] || (i && t0[i] < t0[i - 1]))
			return -EINVAL;

	/* the test windows, in time order (groups are) */
	int64_t w0[64], w1[64];
	uint32_t nw = 0;
	for (uint32_t g = 0; g < n_groups; g++) {
		if (!(test_mask >> g & 1))
			continue;
		size_t a = validate_group_begin(n, n_groups, g), b = validate_group_begin(n, n_groups, g + 1);
		int64_t lo = t0[a], hi = t1[a];
		for (size_t i = a; i < b; i++) {
			if (t1[i] > hi)
				hi = t1[i];
		}
		w0[nw] = lo;
		w1[nw] = hi;
		nw++;
	}

	struct validate_split_counts c = { 0, 0, 0, 0 };
	for (uint32_t g = 0; g < n_groups; g++) {
		size_t a = validate_group_begin(n, n_groups, g), b = validate_group_begin(n, n_groups, g + 1);
		int tested = (int)(test_mask >> g & 1);
		for (size_t i = a; i < b; i++) {
			uint8_t r = MODEL_SPLIT_TRAIN;
			if (tested) {
				r = MODEL_SPLIT_TEST;
			} else {
				for (uint32_t k = 0; k < nw; k++) {
					if (t0[i] <= w1[k] && t1[i] >= w0[k]) {
						r = MODEL_SPLIT_PURGED;
						break;
					}
					if (t0[i] > w1[k] && t0[i] - w1[k] <= embargo)
						r = MODEL_SPLIT_EMBARGOED;
				}
			}
			role[i] = r;
			c.train += r == MODEL_SPLIT_TRAIN;
			c.test += r == MODEL_SPLIT_TEST;
			c.purged += r == MODEL_SPLIT_PURGED;
			c.embargoed += r == MODEL_SPLIT_EMBARGOED;
		}
	}
	if (counts)
		*counts = c;
	return 0;
}
