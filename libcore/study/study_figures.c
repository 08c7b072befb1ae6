/*
 * study_figures.c — the figures execution takes from a dm-study --json
 * file (study.h, study_figures_read): the temporary impact, Kyle's lambda
 * and the fill intensity.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>

#include "libcore/study/study.h"
#include "libcore/types.h"

/* The number at o[k1][k2], NaN when absent or null. */
static double num2(const json_t *o, const char *k1, const char *k2)
{
	const json_t *a = json_object_get(o, k1);
	const json_t *b = a ? json_object_get(a, k2) : NULL;
	return b && json_is_number(b) ? json_number_value(b) : NAN;
}

int study_figures_read(const char *path, struct study_figures *out, char *err,
		       size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root) {
		snprintf(err, errlen, "%s:%d: not a dm-study --json file: %s", path, je.line,
			 je.text);
		return -DM_ECONFIG;
	}
	if (!json_is_object(root) || !json_is_object(json_object_get(root, "impact")) ||
	    !json_is_object(json_object_get(root, "fill"))) {
		snprintf(err, errlen, "%s: no 'impact' and 'fill' objects: not the output of "
			 "dm-study --json (of this version)", path);
		json_decref(root);
		return -DM_ECONFIG;
	}
	out->eta = num2(root, "impact", "eta_ticks_per_lot");
	out->epsilon = num2(root, "impact", "epsilon_ticks");
	out->mean_qty = num2(root, "impact", "mean_qty");
	out->fill_a = num2(root, "fill", "a_per_s");
	out->fill_k = num2(root, "fill", "k_per_tick");
	const json_t *w = json_array_get(json_object_get(root, "windows"), 0);
	const json_t *ky = w ? json_object_get(json_object_get(w, "kyle"), "slope") : NULL;
	out->gamma = ky && json_is_number(ky) ? json_number_value(ky) : NAN;
	json_decref(root);
	return 0;
}
