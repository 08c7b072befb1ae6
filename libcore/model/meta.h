/*
 * meta.h — what a model file records about its training, and the check
 * the live strategy runs on it before trading it (docs/model.md,
 * "Metadata and the live check").
 *
 * Design note.  The record travels inside the model file as XGBoost
 * booster attributes (XGBoosterSetAttr), which XGBoost writes into the
 * JSON model (learner.attributes) and restores on XGBoosterLoadModel, so a
 * copied or renamed model keeps them and `dmctl reload-model FILE` needs
 * no second file.  The feature set is XGBoost's own feature_names (saved
 * and restored the same way; XGBoost also checks them against a named
 * DMatrix), so the record never disagrees with what the trees split on.
 *
 * Attributes (all strings): dm_meta_version, dm_target, dm_weight,
 * dm_params (the canonical parameter text), dm_params_sha256, dm_symbol,
 * dm_tick, dm_features_file, dm_features_sha256, dm_labels_file,
 * dm_labels_sha256.  A model without dm_meta_version predates the record.
 *
 * Start-up and research code: allocates through XGBoost, never on a
 * per-event path.
 */
#ifndef DM_LIBCORE_MODEL_META_H
#define DM_LIBCORE_MODEL_META_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/model/digest.h"

#define MODEL_META_VERSION    1u
#define MODEL_META_TEXT_MAX   1024u /* dm_params */
#define MODEL_META_PATH_MAX   256u  /* file names as given to dm-train */
#define MODEL_AUC_CHANCE_BAND 0.02  /* |AUC - 0.5| <= this: no better than chance */

struct model;
struct model_params;

/* What dm-train trains on (dm-train --target). */
enum model_target {
	MODEL_TARGET_META   = 0, /* the meta column, 0/1: the live strategy's */
	MODEL_TARGET_LABEL  = 1, /* label == +1 against the rest */
	MODEL_TARGET_LABEL3 = 2, /* label -1/0/+1 as three classes */
};

/* The target the live strategy (the ml agent) trades: it acts on the
 * primary rule's side when P(meta = 1) is high enough. */
#define MODEL_LIVE_TARGET MODEL_TARGET_META

/* "meta", "label", "label3"; "?" otherwise.  Pure. */
const char *model_target_name(uint32_t target);

/* The enum model_target named s, or -1.  Pure. */
int model_target_parse(const char *s);

struct model_meta {
	uint32_t version;            /* MODEL_META_VERSION; 0 = none recorded */
	uint32_t pad;
	char target[16];             /* model_target_name() */
	char weight[48];             /* weight column trained with, "" = none */
	char symbol[32];             /* instrument, "" = not given */
	char tick[32];               /* its tick in instrument units (decimal
	                              * text), "" = not given */
	char params[MODEL_META_TEXT_MAX];  /* model_params_text() */
	char params_sha256[SHA256_HEX];    /* of params */
	char features_sha256[SHA256_HEX];  /* of the features file's bytes */
	char labels_sha256[SHA256_HEX];    /* of the labels file's bytes */
	char features_file[MODEL_META_PATH_MAX];
	char labels_file[MODEL_META_PATH_MAX];
};

/*
 * The training parameters as one canonical line ("objective=binary:logistic
 * num_class=2 max_depth=6 ... embargo_frac=0 kind=gbdt num_parallel_tree=1
 * colsample_bynode=1"), every field, doubles with 17 significant digits,
 * so equal parameters give equal text and equal dm_params_sha256.  A field
 * the model does not use shows the value XGBoost trains with: num_class 2
 * for binary, num_parallel_tree 1 for gbdt.  The three last keys came
 * with the rf kind; the text of a gbdt parameter set is the earlier text
 * with " kind=gbdt num_parallel_tree=1 colsample_bynode=..." appended.
 * Returns the length snprintf would write.  Pure.
 */
size_t model_params_text(const struct model_params *p, char *buf, size_t len);

/*
 * Record *meta in m's booster (attributes above, version set to
 * MODEL_META_VERSION) and in m->meta; model_save then writes it.  0, or
 * -EIO naming the XGBoost call that failed.
 */
int model_meta_set(struct model *m, const struct model_meta *meta, char *err,
		   size_t errlen);

/*
 * Read the attributes of m's booster into m->meta (version 0 when the
 * model records none).  model_load calls it.  0 or -EIO.
 */
int model_meta_get(struct model *m, char *err, size_t errlen);

/* What the live strategy needs of a model. */
struct model_live {
	uint32_t target;                 /* enum model_target: MODEL_LIVE_TARGET */
	uint32_t n_feat;                 /* features of the live vector */
	const char *const *feat_names;   /* their names, in order */
	const char *symbol;              /* configured instrument; NULL = unknown */
	double tick;                     /* its tick, instrument units; 0 = unknown */
};

#define MODEL_CHECK_WARN 1 /* accepted, with a warning in why */

/*
 * May the live strategy trade m?  Refused (-DM_ECONFIG) when the model
 * records no metadata (trained before dm-train kept it), when its target
 * or objective is not the live one, or when its feature names differ from
 * live->feat_names in number or order; why then holds one line saying
 * what differs and how to retrain.  Accepted with a warning
 * (MODEL_CHECK_WARN, why says which) when its instrument is not recorded
 * or differs from the configured one: features are in tick units, so a
 * model can carry over, but the operator should know.  0 when all agree
 * (why = "").  Pure; why (whylen bytes) may be NULL.
 */
int model_check_live(const struct model *m, const struct model_live *live, char *why,
		     size_t whylen);

#endif /* DM_LIBCORE_MODEL_META_H */
