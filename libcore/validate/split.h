/*
 * split.h — the samples of one split of combinatorial purged
 * cross-validation: which are tested, trained on, purged or embargoed
 * (Lopez de Prado 2018, 7.4 and 12; docs/research.md).
 *
 * Samples 0 .. n-1 are in t0 order, each with its label span [t0, t1].
 * They are cut into n_groups contiguous groups of (nearly) equal size:
 * group g holds rows [floor(g n / N), floor((g + 1) n / N)).  A split tests
 * a set of groups (bit g of test_mask); each test group g has its window
 * [T0_g, T1_g] = [min t0, max t1] over its rows.  Every other row i is
 *   PURGED     when its span overlaps a test window: t0[i] <= T1_g and
 *              t1[i] >= T0_g for some test group g;
 *   EMBARGOED  else when it starts within `embargo` after a test window:
 *              T1_g < t0[i] <= T1_g + embargo for some g;
 *   TRAIN      otherwise.
 * The roles are enum model_split's (libcore/model/xgb.h).  Pure, no
 * allocation.
 */
#ifndef DM_LIBCORE_VALIDATE_SPLIT_H
#define DM_LIBCORE_VALIDATE_SPLIT_H

#include <stddef.h>
#include <stdint.h>

/* The first row of group g of n rows in n_groups groups (g = n_groups: n). */
static inline size_t validate_group_begin(size_t n, uint32_t n_groups, uint32_t g)
{
	return (size_t)(((unsigned __int128)n * g) / n_groups);
}

struct validate_split_counts {
	size_t train, test, purged, embargoed;
};

/*
 * Roles of rows 0 .. n-1 for the split testing the groups of test_mask
 * (n_groups <= 64) into role[n] (enum model_split), counts when not NULL.
 * 0, or -EINVAL: n < n_groups, n_groups < 2 or > 64, an empty mask or one
 * naming a group past n_groups, t0 decreasing, t1[i] < t0[i], embargo < 0.
 */
int validate_split_roles(const int64_t *t0, const int64_t *t1, size_t n, uint32_t n_groups,
			 uint64_t test_mask, int64_t embargo, uint8_t *role,
			 struct validate_split_counts *counts);

#endif /* DM_LIBCORE_VALIDATE_SPLIT_H */
