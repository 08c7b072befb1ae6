/*
 * primary.h — the primary model of meta-labeling: a side from one feature
 * column with a dead zone (docs/labels.md, "Primary rule").
 *
 *   d = x - center
 *   side = +1 when d > threshold, -1 when d < -threshold, 0 otherwise
 *   (|d| <= threshold is the dead zone: no side; NaN gives no side)
 *   invert: side = -side (a contrarian rule)
 *
 * The column is one of the feature engine's (enum feat_id, the names of
 * feat_names and docs/features.md), e.g. ofi_ml (multi-level order-flow
 * imbalance: buy pressure gives +1) or micro_dev (micro-price above mid).
 *
 * Pure functions; no allocation; any thread.
 */
#ifndef DM_LIBCORE_LABEL_PRIMARY_H
#define DM_LIBCORE_LABEL_PRIMARY_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/features/features.h"

struct primary_params {
	uint32_t feature;   /* enum feat_id of the column read (default FEAT_OFI_ML) */
	uint32_t invert;    /* 0 or 1 (default 0) */
	double   center;    /* finite (default 0) */
	double   threshold; /* dead-zone half-width, finite, >= 0 (default 0) */
};

/* The defaults above.  Pure. */
void primary_params_default(struct primary_params *p);

/* Returns 0 or -EINVAL with one line naming the field in err (may be NULL). */
int primary_params_check(const struct primary_params *p, char *err, size_t errlen);

/* The enum feat_id of a feature name ("ofi_ml"), or -1 when none. */
int primary_feature_index(const char *name);

/* The side for a feature value x: -1, 0 or +1.  O(1). */
static inline int primary_side(const struct primary_params *p, double x)
{
	double d = x - p->center;
	int s = (d > p->threshold) - (d < -p->threshold); /* NaN: 0 */

	return p->invert ? -s : s;
}

/* The side for a feature vector (enum feat_id order). */
static inline int primary_side_row(const struct primary_params *p, const double v[FEAT_N])
{
	return primary_side(p, v[p->feature]);
}

#endif /* DM_LIBCORE_LABEL_PRIMARY_H */
