/*
 * primary.c — parameters of the primary side rule (primary.h).
 */
#include "libcore/label/primary.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void primary_params_default(struct primary_params *p)
{
	memset(p, 0, sizeof(*p));
	p->feature = FEAT_OFI_ML;
	p->invert = 0;
	p->center = 0;
	p->threshold = 0;
}

int primary_params_check(const struct primary_params *p, char *err, size_t errlen)
{
	const char *msg = NULL;

	if (p->feature >= FEAT_N)
		msg = "feature: not a feature index (0..26)";
	else if (p->invert > 1)
		msg = "invert: expected 0 or 1";
	else if (!isfinite(p->center))
		msg = "center: expected a finite number";
	else if (!(p->threshold >= 0) || !isfinite(p->threshold))
		msg = "threshold: expected a finite number >= 0";
	if (!msg)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

int primary_feature_index(const char *name)
{
	for (int i = 0; i < FEAT_N; i++)
		if (strcmp(feat_names[i], name) == 0)
			return i;
	return -1;
}
