/*
 * meta.c — the training record of a model file and the live check
 * (meta.h, docs/model.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/model/meta.h"
#include "libcore/model/xgb.h"
#include "libcore/types.h"

static int seterr(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int seterr(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const char *model_target_name(uint32_t target)
{
	switch (target) {
	case MODEL_TARGET_META:   return "meta";
	case MODEL_TARGET_LABEL:  return "label";
	case MODEL_TARGET_LABEL3: return "label3";
	default:                  return "?";
	}
}

int model_target_parse(const char *s)
{
	for (uint32_t t = MODEL_TARGET_META; t <= MODEL_TARGET_LABEL3; t++)
		if (!strcmp(s, model_target_name(t)))
			return (int)t;
	return -1;
}

size_t model_params_text(const struct model_params *p, char *buf, size_t len)
{
	static const char *const tm[] = { "hist", "approx", "exact" };
	int n = snprintf(buf, len,
		"objective=%s num_class=%u max_depth=%u n_rounds=%u "
		"early_stopping_rounds=%u tree_method=%s max_bin=%u nthread=%u seed=%u "
		"eta=%.17g subsample=%.17g colsample_bytree=%.17g min_child_weight=%.17g "
		"lambda=%.17g alpha=%.17g gamma=%.17g base_score=%.17g holdout=%.17g "
		"embargo=%" PRId64 " embargo_frac=%.17g kind=%s num_parallel_tree=%u "
		"colsample_bynode=%.17g",
		model_objective_name(p->objective),
		p->objective == MODEL_OBJ_MULTI ? p->num_class : 2, p->max_depth, p->n_rounds,
		p->early_stopping_rounds, p->tree_method <= MODEL_TREE_EXACT ?
		tm[p->tree_method] : "?", p->max_bin, p->nthread, p->seed, p->eta,
		p->subsample, p->colsample_bytree, p->min_child_weight, p->lambda, p->alpha,
		p->gamma, p->base_score, p->holdout, p->embargo, p->embargo_frac,
		model_kind_name(p->kind), p->kind == MODEL_KIND_RF ? p->num_parallel_tree : 1,
		p->colsample_bynode);

	return n < 0 ? 0 : (size_t)n;
}

/* The attribute table: name and field of struct model_meta. */
#define META_FIELDS(X)                                   \
	X("dm_target", target)                           \
	X("dm_weight", weight)                           \
	X("dm_params", params)                           \
	X("dm_params_sha256", params_sha256)             \
	X("dm_symbol", symbol)                           \
	X("dm_tick", tick)                               \
	X("dm_features_file", features_file)             \
	X("dm_features_sha256", features_sha256)         \
	X("dm_labels_file", labels_file)                 \
	X("dm_labels_sha256", labels_sha256)

static int set_attr(BoosterHandle b, const char *key, const char *v, char *err,
		    size_t errlen)
{
	const char *e;

	if (XGBoosterSetAttr(b, key, v) == 0)
		return 0;
	e = XGBGetLastError();
	return seterr(err, errlen, -EIO, "XGBoost SetAttr(%s) failed: %.*s", key,
		      e ? (int)strcspn(e, "\n") : 0, e ? e : "");
}

int model_meta_set(struct model *m, const struct model_meta *meta, char *err,
		   size_t errlen)
{
	char v[16];
	int rc;

	if (!m->booster)
		return seterr(err, errlen, -EINVAL, "model not loaded");
	snprintf(v, sizeof(v), "%u", MODEL_META_VERSION);
	rc = set_attr(m->booster, "dm_meta_version", v, err, errlen);
#define SET(key, field)                                                          \
	if (!rc)                                                                 \
		rc = set_attr(m->booster, key, meta->field, err, errlen);
	META_FIELDS(SET)
#undef SET
	if (rc)
		return rc;
	m->meta = *meta;
	m->meta.version = MODEL_META_VERSION;
	return 0;
}

/* Attribute key into dst (cap bytes), "" when absent. */
static int get_attr(BoosterHandle b, const char *key, char *dst, size_t cap, char *err,
		    size_t errlen)
{
	const char *out = NULL, *e;
	int ok = 0;

	dst[0] = '\0';
	if (XGBoosterGetAttr(b, key, &out, &ok)) {
		e = XGBGetLastError();
		return seterr(err, errlen, -EIO, "XGBoost GetAttr(%s) failed: %.*s", key,
			      e ? (int)strcspn(e, "\n") : 0, e ? e : "");
	}
	if (ok && out)
		snprintf(dst, cap, "%s", out);
	return 0;
}

int model_meta_get(struct model *m, char *err, size_t errlen)
{
	struct model_meta t;
	char v[16];
	int rc;

	memset(&t, 0, sizeof(t));
	if (!m->booster)
		return seterr(err, errlen, -EINVAL, "model not loaded");
	rc = get_attr(m->booster, "dm_meta_version", v, sizeof(v), err, errlen);
#define GET(key, field)                                                            \
	if (!rc)                                                                   \
		rc = get_attr(m->booster, key, t.field, sizeof(t.field), err, errlen);
	META_FIELDS(GET)
#undef GET
	if (rc)
		return rc;
	t.version = v[0] ? (uint32_t)strtoul(v, NULL, 10) : 0;
	m->meta = t;
	return 0;
}

int model_check_live(const struct model *m, const struct model_live *live, char *why,
		     size_t whylen)
{
	const struct model_meta *md = &m->meta;
	const char *want = model_target_name(live->target);

	seterr(why, whylen, 0, "%s", "");
	if (md->version == 0 || md->target[0] == '\0')
		return seterr(why, whylen, -DM_ECONFIG, "the model records no training target "
			      "or data (written before dm-train kept them): retrain it (make "
			      "model, or dm-label --primary-from-config then dm-train)");
	if (strcmp(md->target, want) != 0)
		return seterr(why, whylen, -DM_ECONFIG, "the model was trained on target '%s'; "
			      "the live strategy needs '%s' (P(meta-label = 1) of the primary "
			      "rule's side): retrain with dm-train --target %s on labels from "
			      "dm-label --primary-from-config", md->target, want, want);
	if (m->objective != MODEL_OBJ_BINARY || m->n_out != 1)
		return seterr(why, whylen, -DM_ECONFIG, "the model's objective is %s; the live "
			      "strategy needs binary:logistic", model_objective_name(m->objective));
	if (m->n_feat != live->n_feat)
		return seterr(why, whylen, -DM_ECONFIG, "the model has %u features; the live "
			      "feature vector has %u (%s .. %s): retrain on dm-features output "
			      "of this version", m->n_feat, live->n_feat, live->feat_names[0],
			      live->feat_names[live->n_feat - 1]);
	for (uint32_t j = 0; j < m->n_feat; j++)
		if (strcmp(m->feat_names[j], live->feat_names[j]) != 0)
			return seterr(why, whylen, -DM_ECONFIG, "the model's feature %u is '%s'; "
				      "the live feature vector has '%s' there: retrain on "
				      "dm-features output of this version", j, m->feat_names[j],
				      live->feat_names[j]);
	if (md->symbol[0] == '\0' || md->tick[0] == '\0')
		return seterr(why, whylen, MODEL_CHECK_WARN, "the model records no instrument "
			      "(dm-train --symbol, --tick); the configuration trades %s tick %g",
			      live->symbol ? live->symbol : "?", live->tick);
	double t = strtod(md->tick, NULL);
	int same_tick = live->tick > 0 && fabs(t - live->tick) <= 1e-9 * fabs(live->tick);
	if (!live->symbol || strcmp(md->symbol, live->symbol) != 0 || !same_tick)
		return seterr(why, whylen, MODEL_CHECK_WARN, "the model was trained on %s tick "
			      "%s; the configuration trades %s tick %g", md->symbol, md->tick,
			      live->symbol ? live->symbol : "?", live->tick);
	return 0;
}
