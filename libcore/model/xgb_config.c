/*
 * xgb_config.c — the training parameters file (conf/model.yaml) as a key
 * table over struct model_params (xgb.h, cfg.h), and model_params_load.
 */
#include <stddef.h>

#include "libcore/config/cfg.h"
#include "libcore/model/xgb.h"

#define ARRAY_SIZE(a) CFG_ARRAY_SIZE(a)

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
	CFG_ENUM("objective", struct model_params, objective, objective_names, "objective", 0,
	     "binary (binary:logistic) or multi (multi:softprob)"),
	MP_U32("num_class", num_class, 2, 16, "classes of a multi model"),
	MP_U32("max_depth", max_depth, 1, 16, "deepest tree"),
	MP_U32("rounds", n_rounds, 1, 100000, "boosting rounds"),
	MP_U32("early_stopping_rounds", early_stopping_rounds, 0, 100000,
	       "stop after this many rounds without a better hold-out loss; 0 = never"),
	CFG_ENUM("tree_method", struct model_params, tree_method, tree_method_names,
	     "tree method", 0, "hist, approx or exact"),
	MP_U32("max_bin", max_bin, 2, 65536, "bins per feature (hist, approx)"),
	MP_U32("nthread", nthread, 0, 1024, "training threads; 0 = every core"),
	CFG_U32("seed", struct model_params, seed, 0, 4294967295LL, NULL, 0, "random seed"),
	MP_DBL("eta", eta, 0.000001, 1, "learning rate"),
	MP_DBL("subsample", subsample, 0.000001, 1, "row fraction per tree"),
	MP_DBL("colsample_bytree", colsample_bytree, 0.000001, 1, "column fraction per tree"),
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

/* The parameters must also pass model_params_check (xgb.h). */
static int check_model_file(struct cfg_ctx *x, void *dst)
{
	char why[200];

	if (model_params_check(dst, why, sizeof(why)) == 0)
		return 0;
	cfg_at(x, cfg_root(x));
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