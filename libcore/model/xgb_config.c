/*
 * xgb_config.c — the training parameters file (conf/model.yaml) as a key
 * table over struct model_params (xgb.h, cfg.h), and model_params_load.
 *
 * Kinds.  A file that sets `kind` starts the by-kind keys it does not set
 * (rounds, early_stopping_rounds, eta, colsample_bytree, colsample_bynode)
 * from that kind's defaults (model_params_kind), so `kind: rf` alone is a
 * complete forest.  A file that sets a key its kind does not use is
 * refused at that key rather than read and ignored: rounds,
 * early_stopping_rounds and eta with kind rf (one round of
 * num_parallel_tree trees, eta 1, no early stopping), num_parallel_tree
 * with kind gbdt (one tree per round and output).  The kind is the file's,
 * or the one *p held when the file has none.
 */
#include <stddef.h>
#include <string.h>

#include "libcore/config/cfg.h"
#include "libcore/model/xgb.h"

#define ARRAY_SIZE(a) CFG_ARRAY_SIZE(a)

static const char *const kind_names[] = {
	[MODEL_KIND_GBDT] = "gbdt", [MODEL_KIND_RF] = "rf",
};
static const char *const objective_names[] = {
	[MODEL_OBJ_BINARY] = "binary", [MODEL_OBJ_MULTI] = "multi",
};
static const char *const tree_method_names[] = {
	[MODEL_TREE_HIST] = "hist", [MODEL_TREE_APPROX] = "approx",
	[MODEL_TREE_EXACT] = "exact",
};

#define MP_U32(nm, fld, lo, hi, hlp) CFG_U32(nm, struct model_params, fld, lo, hi, NULL, 0, hlp)
#define MP_DBL(nm, fld, lo, hi, hlp) \
	CFG_DBL(nm, struct model_params, fld, (int64_t)((lo) * (double)CFG_DEC_SCALE), \
	    (int64_t)((hi) * (double)CFG_DEC_SCALE), hlp)

const struct cfg_key model_params_keys[] = {
	CFG_ENUM("kind", struct model_params, kind, kind_names, "model kind", 0,
	     "gbdt (gradient boosting) or rf (random forest)"),
	CFG_ENUM("objective", struct model_params, objective, objective_names, "objective", 0,
	     "binary (binary:logistic) or multi (multi:softprob)"),
	MP_U32("num_class", num_class, 2, 16, "classes of a multi model"),
	MP_U32("max_depth", max_depth, 1, 16, "deepest tree"),
	MP_U32("rounds", n_rounds, 1, 100000, "boosting rounds (gbdt)"),
	MP_U32("early_stopping_rounds", early_stopping_rounds, 0, 100000,
	       "stop after this many rounds without a better hold-out loss; 0 = never (gbdt)"),
	MP_U32("num_parallel_tree", num_parallel_tree, 1, 10000, "trees of the forest (rf)"),
	CFG_ENUM("tree_method", struct model_params, tree_method, tree_method_names,
	     "tree method", 0, "hist, approx or exact"),
	MP_U32("max_bin", max_bin, 2, 65536, "bins per feature (hist, approx)"),
	MP_U32("nthread", nthread, 0, 1024, "training threads; 0 = every core"),
	CFG_U32("seed", struct model_params, seed, 0, 4294967295LL, NULL, 0, "random seed"),
	MP_DBL("eta", eta, 0.000001, 1, "learning rate (gbdt)"),
	MP_DBL("subsample", subsample, 0.000001, 1, "row fraction per tree"),
	MP_DBL("colsample_bytree", colsample_bytree, 0.000001, 1, "column fraction per tree"),
	MP_DBL("colsample_bynode", colsample_bynode, 0.000001, 1, "column fraction per split"),
	MP_DBL("min_child_weight", min_child_weight, 0, 1000000, "minimum hessian in a child"),
	MP_DBL("lambda", lambda, 0, 1000000, "L2 on leaf weights"),
	MP_DBL("alpha", alpha, 0, 1000000, "L1 on leaf weights"),
	MP_DBL("gamma", gamma, 0, 1000000, "minimum loss reduction to split"),
	MP_DBL("base_score", base_score, 0.000001, 0.999999, "initial prediction"),
	MP_DBL("holdout", holdout, 0.01, 0.9, "hold-out fraction, the last rows"),
	CFG_I64("embargo", struct model_params, embargo, 0, 1LL << 40, NULL, 0,
	    "embargo after the hold-out's start, rows"),
	MP_DBL("embargo_frac", embargo_frac, 0, 0.5, "embargo as a fraction of the sample"),
	CFG_KEY_END
};

/* Keys a kind does not use: a file of that kind may not set them. */
static const char *const rf_unused[] = { "rounds", "early_stopping_rounds", "eta" };
static const char *const gbdt_unused[] = { "num_parallel_tree" };

/* The file's key a model_params_check message names ("model.FIELD: what"
 * names FIELD's key) into key, "" when none; returns "what" (or the whole
 * message when it names no key). */
static const char *key_of(const char *why, char *key, size_t cap)
{
	const char *f = why + 6;
	size_t n;

	key[0] = '\0';
	if (strncmp(why, "model.", 6) != 0)
		return why;
	n = strcspn(f, ":");
	if (f[n] != ':' || f[n + 1] != ' ' || n >= cap)
		return why;
	memcpy(key, f, n);
	key[n] = '\0';
	if (!strcmp(key, "n_rounds"))
		strcpy(key, "rounds");
	return f + n + 2;
}

/* The kinds' rules (the design note), then model_params_check (xgb.h),
 * each refusal placed at the key it is about when the file sets it. */
static int check_model_file(struct cfg_ctx *x, void *dst)
{
	struct model_params *p = dst, k = *p;
	struct cfg_node *root = cfg_root(x);
	const char *const *unused = p->kind == MODEL_KIND_RF ? rf_unused : gbdt_unused;
	size_t n_unused = p->kind == MODEL_KIND_RF ? ARRAY_SIZE(rf_unused)
						   : ARRAY_SIZE(gbdt_unused);
	char why[200], key[32];
	const char *what;

	if (cfg_find(x, root, "kind", 0)) {
		model_params_kind(&k, p->kind);
		if (!cfg_find(x, root, "rounds", 0))
			p->n_rounds = k.n_rounds;
		if (!cfg_find(x, root, "early_stopping_rounds", 0))
			p->early_stopping_rounds = k.early_stopping_rounds;
		if (!cfg_find(x, root, "eta", 0))
			p->eta = k.eta;
		if (!cfg_find(x, root, "colsample_bytree", 0))
			p->colsample_bytree = k.colsample_bytree;
		if (!cfg_find(x, root, "colsample_bynode", 0))
			p->colsample_bynode = k.colsample_bynode;
	}
	for (size_t i = 0; i < n_unused; i++) {
		if (!cfg_find(x, root, unused[i], 1))
			continue;
		cfg_key(x, unused[i]);
		if (p->kind == MODEL_KIND_RF)
			return cfg_fail(x, "not used by kind rf (one round of num_parallel_tree "
					"trees, eta 1, no early stopping): remove the key, or "
					"set kind: gbdt");
		return cfg_fail(x, "not used by kind gbdt (one tree per round and output): "
				"remove the key, or set kind: rf");
	}
	if (model_params_check(p, why, sizeof(why)) == 0)
		return 0;
	what = key_of(why, key, sizeof(key));
	if (key[0] && cfg_find(x, root, key, 1)) {
		cfg_key(x, key);
		return cfg_fail(x, "%s", what);
	}
	cfg_at(x, root);
	cfg_key(x, "");
	return cfg_fail(x, "%s", why);
}

int model_params_load(const char *path, struct model_params *p, char *err, size_t errlen)
{
	struct model_params tmp = *p;
	int rc = cfg_load_file(path, "model configuration", model_params_keys, &tmp, NULL,
	                       check_model_file, NULL, err, errlen);

	if (!rc)
		*p = tmp;
	return rc;
}
