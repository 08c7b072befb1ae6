/*
 * xgb.h — tree ensembles through the XGBoost 1.7 C API (docs/model.md):
 * gradient-boosted trees (kind gbdt) or a random forest (kind rf),
 * training with a purged, embargoed hold-out and early stopping, hold-out
 * metrics, save and load of the JSON model format, and prediction through
 * XGBoost itself.
 *
 * Design note.  This is the research and start-up side of the model.  A
 * struct model owns one XGBoost booster; training, saving, loading and
 * XGBoost's own predictions all allocate, take XGBoost's locks and may
 * start threads, so none of it belongs on a per-event path.  The live path
 * evaluates the same trees through libcore/model/flat.h, built from a
 * loaded struct model and checked against XGBoost's predictions
 * (flat_verify) before it is used.
 *
 * Data.  A sample is a dense row-major float matrix, n rows of n_feat
 * features, NaN meaning missing (XGBoost's missing value here), in time
 * order.  Each row carries a label span [t0, t1] (any integer unit: the
 * feature row index in dm-train) so the hold-out can be purged: the
 * hold-out is the last `holdout` fraction of the rows, and a training row
 * whose span reaches the hold-out's first t0 is dropped
 * (model_split_purged, Lopez de Prado 2018, ch. 7).
 *
 * Kinds.  Both kinds are XGBoost gbtree models, evaluated alike (the
 * margin is the base margin plus every tree's leaf, flat.h).  gbdt boosts
 * n_rounds rounds of one tree per output with learning rate eta and early
 * stopping on the hold-out loss.  rf is XGBoost's random-forest recipe:
 * one round of num_parallel_tree trees per output, each grown on a row
 * subsample with columns sampled per split, eta 1 (XGBoost divides each
 * tree's leaves by the forest size, so the margin is the trees' mean), no
 * early stopping.  model_params_check refuses an rf parameter set that
 * departs from the recipe.
 *
 * Errors.  Functions return 0 or a negative error: -EINVAL for bad
 * arguments or data, -ENOMEM, -errno for file errors, -DM_ECORRUPT for a
 * model file XGBoost accepts but this module cannot use, and -EIO when an
 * XGBoost call fails.  With err (errlen bytes, may be NULL) they leave one
 * line saying what failed; an XGBoost failure carries the first line of
 * XGBGetLastError().
 *
 * Threads.  A struct model belongs to one thread at a time.  XGBoost keeps
 * its last error per thread, so concurrent models on different threads
 * are fine.
 */
#ifndef DM_LIBCORE_MODEL_XGB_H
#define DM_LIBCORE_MODEL_XGB_H

#include <stddef.h>
#include <stdint.h>

#include <xgboost/c_api.h>

#include "libcore/config/cfg.h"
#include "libcore/model/meta.h"

#define MODEL_MAX_FEATURES 128u   /* columns of a sample */
#define MODEL_MAX_CLASS    16u    /* multi-class outputs */
#define MODEL_NAME_MAX     48u    /* feature name buffer, NUL included */

/* What the booster learns.  YAML (conf/model.yaml): objective. */
enum model_objective {
	MODEL_OBJ_BINARY = 0,  /* "binary:logistic": one output, P(y = 1) */
	MODEL_OBJ_MULTI  = 1,  /* "multi:softprob": num_class outputs */
};

/* How the trees are grown.  YAML (conf/model.yaml): kind. */
enum model_kind {
	MODEL_KIND_GBDT = 0,   /* "gbdt": gradient boosting, n_rounds rounds */
	MODEL_KIND_RF   = 1,   /* "rf": a random forest, one round of
	                        * num_parallel_tree trees */
};

/* XGBoost's tree_method. */
enum model_tree_method {
	MODEL_TREE_HIST   = 0, /* "hist" (default) */
	MODEL_TREE_APPROX = 1, /* "approx" */
	MODEL_TREE_EXACT  = 2, /* "exact" */
};

/*
 * Training parameters.  Ranges are what model_params_check accepts; the
 * defaults are model_params_default's (kind gbdt).  Fields marked "by
 * kind" default differently for rf (model_params_kind); fields marked
 * "gbdt" or "rf" are used by that kind only.
 */
struct model_params {
	uint32_t kind;             /* enum model_kind; default gbdt */
	uint32_t objective;        /* enum model_objective; default binary */
	uint32_t num_class;        /* multi: 2..MODEL_MAX_CLASS, default 3;
	                            * ignored for binary */
	uint32_t max_depth;        /* 1..16, default 6 */
	uint32_t n_rounds;         /* boosting rounds, 1..100000; by kind:
	                            * gbdt 200, rf 1 (and only 1) */
	uint32_t early_stopping_rounds; /* stop after this many rounds without
	                            * a lower hold-out loss; 0 = never;
	                            * 0..100000; by kind: gbdt 20, rf 0 (and
	                            * only 0) */
	uint32_t tree_method;      /* enum model_tree_method; default hist */
	uint32_t max_bin;          /* hist/approx bins per feature, 2..65536,
	                            * default 256 */
	uint32_t nthread;          /* training threads, 0 = every core
	                            * (XGBoost's choice); 0..1024, default 1:
	                            * more pay only on idle cores */
	uint32_t seed;             /* XGBoost's random seed (subsampling);
	                            * any, default 0 */
	uint32_t num_parallel_tree; /* rf: trees of the forest (per output),
	                            * 1..10000, default 100; gbdt: not used
	                            * (one tree per round and output) */
	uint32_t pad;
	double   eta;              /* learning rate, (0, 1]; by kind: gbdt 0.1,
	                            * rf 1 (and only 1) */
	double   subsample;        /* row fraction per tree, (0, 1], default
	                            * 0.8; rf: below 1 */
	double   colsample_bytree; /* column fraction per tree, (0, 1]; by
	                            * kind: gbdt 0.8, rf 1 */
	double   colsample_bynode; /* column fraction per split (of the tree's
	                            * columns), (0, 1]; by kind: gbdt 1, rf 0.8;
	                            * rf: below 1 */
	double   min_child_weight; /* minimum hessian in a child, 0..1e6, default 1 */
	double   lambda;           /* L2 on leaf weights, 0..1e6, default 1 */
	double   alpha;            /* L1 on leaf weights, 0..1e6, default 0 */
	double   gamma;            /* minimum loss reduction to split, 0..1e6,
	                            * default 0 */
	double   base_score;       /* initial prediction (a probability for
	                            * binary), (0, 1), default 0.5 */
	double   holdout;          /* hold-out fraction (last rows), 0.01..0.9,
	                            * default 0.2 */
	double   embargo_frac;     /* embargo as a fraction of the sample's t
	                            * range, 0..0.5, default 0 */
	int64_t  embargo;          /* embargo in t units (rows of the feature
	                            * file in dm-train), 0..2^40, default 0;
	                            * the larger of the two applies */
};

/* The defaults above (kind gbdt).  Pure. */
void model_params_default(struct model_params *p);

/*
 * Make p a parameter set of kind (enum model_kind): p->kind = kind, and
 * the fields whose defaults differ by kind (n_rounds, early_stopping_rounds,
 * eta, colsample_bytree, colsample_bynode) at that kind's defaults; every
 * other field unchanged.  rf's are XGBoost's random-forest recipe (one
 * round, eta 1, no early stopping) with the column sampling of its
 * XGBRFClassifier (colsample_bynode 0.8, colsample_bytree 1).  An unknown
 * kind is stored as is (model_params_check refuses it).  Pure.
 */
void model_params_kind(struct model_params *p, uint32_t kind);

/* Check every field.  0, or -EINVAL naming the field in err.  Pure. */
int model_params_check(const struct model_params *p, char *err, size_t errlen);

/*
 * Read the model parameters from a YAML file (conf/model.yaml) over *p,
 * which holds the defaults or earlier values; keys absent from the file
 * leave their field unchanged.  0, or a negative error with one line
 * (file, line, key) in err; *p unchanged on failure.  Reads the file with
 * model_params_keys (libcore/config/cfg.h).  Start-up code only.
 */
int model_params_load(const char *path, struct model_params *p, char *err,
		      size_t errlen);

/* The keys of conf/model.yaml, relative to struct model_params. */
extern const struct cfg_key model_params_keys[];

/* "binary:logistic" / "multi:softprob"; "?" for anything else.  Pure. */
const char *model_objective_name(uint32_t objective);

/* "gbdt" / "rf"; "?" for anything else.  Pure. */
const char *model_kind_name(uint32_t kind);

/* The enum model_kind named s ("gbdt", "rf"), or -1.  Pure. */
int model_kind_parse(const char *s);

/* ------------------------------------------------------------ split */

/* What model_split_purged makes of each row. */
enum model_split {
	MODEL_SPLIT_TRAIN     = 0,
	MODEL_SPLIT_TEST      = 1,
	MODEL_SPLIT_PURGED    = 2, /* span overlaps the test window */
	MODEL_SPLIT_EMBARGOED = 3, /* starts within the embargo after it */
};

struct model_split_counts {
	size_t train, test, purged, embargoed;
};

/*
 * Purged, embargoed split (Lopez de Prado 2018, 7.4).  Rows
 * [test_begin, test_end) are the test block; its window is
 * [T0, T1] = [min t0, max t1] over those rows.  Every other row i is
 *   PURGED     when its span overlaps the window: t0[i] <= T1 and t1[i] >= T0;
 *   EMBARGOED  else when it starts within `embargo` t units after the
 *              window: T1 < t0[i] <= T1 + embargo;
 *   TRAIN      otherwise.
 * For a final hold-out (test_end = n) only purging matters; the embargo is
 * for a test block with rows after it (cross-validation).  Writes
 * mask_out[n] (enum model_split) and, when counts is not NULL, the counts.
 * Returns 0, or -EINVAL (empty or out-of-range block, t1[i] < t0[i],
 * negative embargo).  No allocation; any thread.
 */
int model_split_purged(const int64_t *t0, const int64_t *t1, size_t n,
		       size_t test_begin, size_t test_end, int64_t embargo,
		       uint8_t *mask_out, struct model_split_counts *counts);

/* ------------------------------------------------------------ metrics */

/*
 * Area under the ROC curve of score against y (positive when y > 0.5),
 * weighted by w (NULL: every weight 1): the Mann-Whitney statistic with
 * tied scores counted one half, which is the rank formula with mid-ranks.
 * O(n log n).  NaN when a class has no weight, n is 0 or memory runs out
 * (allocates n indices).  Any thread.
 */
double model_auc(const double *score, const float *y, const float *w, size_t n);

struct model_eval {
	size_t n;                  /* rows */
	size_t tp, fp, tn, fn;     /* binary, at the threshold */
	double auc;                /* binary: model_auc; multi: the mean of the
	                            * one-vs-rest AUCs of the classes present */
	double logloss;            /* mean -ln p(true class), p clipped to
	                            * [1e-15, 1 - 1e-15] */
	double precision;          /* binary: tp / (tp + fp); multi: mean over
	                            * predicted classes; NaN when undefined */
	double recall;             /* binary: tp / (tp + fn); multi: mean over
	                            * true classes */
	double accuracy;           /* share of rows whose predicted class
	                            * (binary: p >= threshold) is the true one */
	double threshold;          /* binary decision threshold (0.5) */
	double pos_rate;           /* binary: share of positives; multi: share
	                            * of the most frequent class */
};

/*
 * Hold-out metrics from predicted probabilities: binary p[n] = P(y = 1)
 * (k = 1), or multi p[n * k] row-major with y in 0..k-1 (k >= 2).
 * Unweighted.  0, -EINVAL (k > MODEL_MAX_CLASS, a label outside the
 * classes) or -ENOMEM.  Any thread.
 */
int model_eval_probs(const double *p, const float *y, size_t n, uint32_t k,
		     double threshold, struct model_eval *e);

/* ------------------------------------------------------------ model */

struct model {
	BoosterHandle booster;     /* NULL when closed */
	uint32_t objective;        /* enum model_objective */
	uint32_t n_out;            /* outputs per row: 1 binary, K multi */
	uint32_t n_feat;           /* features per row */
	uint32_t n_rounds;         /* boosting rounds held (a forest: 1) */
	int32_t  best_iteration;   /* 0-based round the hold-out liked best,
	                            * -1 unknown; the booster holds rounds
	                            * 0..best_iteration only after training */
	uint32_t n_trees;          /* trees held: n_rounds x n_out x n_parallel */
	uint32_t n_parallel;       /* trees per round and output (XGBoost's
	                            * num_parallel_tree): 1 boosted, the forest
	                            * size for a forest */
	uint32_t pad;
	char     feat_names[MODEL_MAX_FEATURES][MODEL_NAME_MAX];
	struct model_meta meta;    /* the training record (meta.h); version 0
	                            * when the file has none */
};

/* A training sample (see the design note).  t0/t1 NULL: the row index. */
struct model_sample {
	const float   *x;          /* n * n_feat, row-major, NaN = missing */
	const float   *y;          /* binary 0/1; multi 0..num_class-1 */
	const float   *w;          /* weights >= 0, or NULL for 1 */
	const int64_t *t0, *t1;    /* label spans, t0 non-decreasing */
	size_t n, n_feat;          /* n_feat 1..MODEL_MAX_FEATURES */
	const char *const *names;  /* n_feat names, or NULL for f0, f1, ... */
};

/* One boosting round, for progress reports. */
struct model_round {
	uint32_t round;            /* 0-based */
	uint32_t best_round;       /* lowest hold-out loss so far */
	double   train_loss;       /* XGBoost's logloss / mlogloss (weighted) */
	double   holdout_loss;
	double   best_loss;
};

typedef void (*model_progress_fn)(const struct model_round *r, void *ctx);

struct model_importance {
	char     name[MODEL_NAME_MAX];
	uint32_t index;            /* column */
	uint32_t pad;
	double   total_gain;       /* summed over every split on it */
	double   gain;             /* mean per split; 0 when never split on */
};

/* What model_train reports (and model_metrics_write saves). */
struct model_metrics {
	struct model_params params;
	size_t   n_rows, n_train, n_holdout, n_purged, n_embargoed;
	int64_t  holdout_t0, holdout_t1; /* hold-out window [T0, T1] */
	int64_t  embargo;          /* effective embargo, t units */
	uint32_t rounds_run;       /* rounds boosted before stopping */
	uint32_t best_iteration;   /* 0-based; the model keeps 0..this */
	double   best_holdout_loss;
	double   train_pos_rate;   /* binary: share of positive training rows */
	double   train_seconds;
	struct model_eval holdout; /* the kept model on the hold-out */
	uint32_t n_feat;
	uint32_t n_trees;          /* trees the kept model holds */
	struct model_importance imp[MODEL_MAX_FEATURES]; /* by total_gain,
	                            * largest first; n_feat entries */
	size_t   flat_rows;        /* rows flat_verify compared, 0 = not run
	                            * (filled by the caller, not model_train) */
	double   flat_max_diff;    /* its largest |flat - XGBoost| margin */
	int32_t  auc_near_chance;  /* 1: |hold-out AUC - 0.5| <=
	                            * MODEL_AUC_CHANCE_BAND; 0: not; -1: AUC
	                            * undefined (one class in the hold-out) */
	uint32_t n_const;          /* feature columns constant over the sample
	                            * (every value equal, NaN counted as a value) */
	char     const_names[MODEL_MAX_FEATURES][MODEL_NAME_MAX]; /* their names */
	struct model_meta meta;    /* what the model file records (filled by
	                            * the caller, like flat_rows) */
};

/*
 * Train a new booster into *m (whatever it held is closed first) on s
 * with p: split off the last p->holdout of the rows as the hold-out,
 * purge (and embargo) the training rows against it, boost up to
 * p->n_rounds rounds evaluating both sets after each (progress, when not
 * NULL, is called once per round), stop early after
 * p->early_stopping_rounds rounds without a lower hold-out loss, keep
 * only the rounds up to the best one, and fill *met (may be NULL) with
 * the split, the hold-out metrics of the kept model and the feature
 * importance.  Kind rf grows the forest as XGBoost's one round of
 * p->num_parallel_tree trees per output (booster gbtree; progress is
 * called once).  The booster is left with nthread = 1 for prediction.
 * Allocates; research code and tools only.
 */
int model_train(struct model *m, const struct model_params *p,
		const struct model_sample *s, model_progress_fn progress, void *ctx,
		struct model_metrics *met, char *err, size_t errlen);

/*
 * Write the model as XGBoost JSON to path, atomically (path.tmp-PID,
 * fsync, rename): a failure leaves no file under path.  The booster
 * carries the feature names and the best_iteration attribute.
 */
int model_save(const struct model *m, const char *path, char *err, size_t errlen);

/*
 * Load a model file (XGBoost JSON; XGBoost's binary formats also load)
 * into *m, closing what it held (*m must hold a model or be zeroed).
 * Sets nthread = 1 on the booster: a
 * multi-threaded predict inside a pinned process is far slower.
 * -DM_ECORRUPT when the model is not a gbtree binary:logistic or
 * multi:softprob/softmax model of at most MODEL_MAX_FEATURES features.
 */
int model_load(struct model *m, const char *path, char *err, size_t errlen);

/* Same from a buffer holding the file's bytes. */
int model_load_buffer(struct model *m, const void *buf, size_t len, char *err,
		      size_t errlen);

/* Free the booster; *m may be reused.  Safe on a closed model. */
void model_close(struct model *m);

/*
 * The model as XGBoost JSON text (not NUL-terminated): *json points into
 * XGBoost's per-thread buffer, valid until the next XGBoost call on this
 * thread.
 */
int model_json(const struct model *m, const char **json, size_t *len, char *err,
	       size_t errlen);

/*
 * XGBoost's own prediction for n rows x (n * m->n_feat floats, NaN =
 * missing) through XGBoosterPredictFromDense: out[n * m->n_out] receives
 * probabilities, or margins (untransformed sums, base score included)
 * when margin is 1.  Uses the booster's nthread (1 after load/train).
 * Allocates inside XGBoost.
 */
int model_predict(const struct model *m, const float *x, size_t n, int margin,
		  float *out, char *err, size_t errlen);

/*
 * Write *met as JSON (jansson) to path atomically (docs/model.md lists
 * the keys), naming the model file model_path (may be NULL).
 */
int model_metrics_write(const struct model_metrics *met, const char *model_path,
			const char *path, char *err, size_t errlen);

#endif /* DM_LIBCORE_MODEL_XGB_H */
