/*
 * test_model.c — the model module (libcore/model): XGBoost training with a
 * purged hold-out, the metrics, save/load, the flattened evaluator against
 * XGBoost's own margins, flat_verify refusing a damaged block, bet
 * sizing, dm-train end to end, and the random-forest kind (training, the
 * flat evaluator on forests, its YAML keys and refusals, gbdt unchanged).
 *
 * Expected values come from outside the code under test: XGBoost's own
 * predictions for the flat evaluator, hand-worked examples (AUC with ties,
 * purged masks, bet sizes from the normal table), a naive O(n^2) pair
 * count for the AUC, and a target the data were generated from.  Data
 * are small and rounds few so the whole file runs in seconds.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agents/rt/agents.h"
#include "libcore/config/config.h"
#include "libcore/features/features.h"
#include "libcore/model/bet.h"
#include "libcore/model/digest.h"
#include "libcore/model/flat.h"
#include "libcore/model/meta.h"
#include "libcore/model/xgb.h"
#include "libcore/types.h"
#include "tests/helpers.h"

/* jemalloc's control interface, weak: NULL in the sanitizer builds. */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

#define NF 27u

static void setup(void)
{
	t_tmp_init("dmmodel");
}

static void teardown(void)
{
	t_tmp_cleanup();
}

TestSuite(model, .init = setup, .fini = teardown, .timeout = 60);

/* ------------------------------------------------------------ data */

static double t_unif(struct t_rng *g)
{
	return (double)(t_rng_next(g) >> 11) * 0x1p-53;
}

static double t_normal(struct t_rng *g)
{
	double u = t_unif(g), v = t_unif(g);

	return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

/* n rows of nf N(0,1) features, a share nan_rate of them NaN. */
static float *t_rows(size_t n, uint32_t nf, double nan_rate, uint64_t seed)
{
	struct t_rng g;
	float *x = calloc(n * nf, sizeof(float));

	cr_assert_not_null(x);
	t_rng_seed(&g, seed);
	for (size_t i = 0; i < n * nf; i++)
		x[i] = t_unif(&g) < nan_rate ? NAN : (float)t_normal(&g);
	return x;
}

static double t_val(const float *r, uint32_t j)
{
	return isnan(r[j]) ? 0.0 : r[j];
}

/* Binary target that needs depth: interactions of three features. */
static float *t_target_deep(const float *x, size_t n, uint32_t nf, uint64_t seed)
{
	struct t_rng g;
	float *y = malloc(n * sizeof(float));

	cr_assert_not_null(y);
	t_rng_seed(&g, seed);
	for (size_t i = 0; i < n; i++) {
		const float *r = x + i * nf;
		double s = t_val(r, 0) * t_val(r, 1) + (t_val(r, 2) > 0.3 ? 0.8 : -0.5) *
			   t_val(r, 3) + 0.3 * t_normal(&g);
		y[i] = s > 0;
	}
	return y;
}

static void t_params(struct model_params *p, uint32_t rounds, uint32_t depth)
{
	model_params_default(p);
	p->n_rounds = rounds;
	p->max_depth = depth;
	p->early_stopping_rounds = 0;
	p->nthread = 1;
}

static void t_train(struct model *m, const struct model_params *p, const float *x,
		    const float *y, size_t n, uint32_t nf, struct model_metrics *met)
{
	struct model_sample s = { .x = x, .y = y, .n = n, .n_feat = nf };
	char err[512] = "";
	int rc;

	memset(m, 0, sizeof(*m));
	rc = model_train(m, p, &s, NULL, NULL, met, err, sizeof(err));
	cr_assert_eq(rc, 0, "model_train: %d %s", rc, err);
}

static struct flat *t_flat(const struct model *m)
{
	struct flat *f = NULL;
	char err[512] = "";
	int rc = flat_create(&f, m, err, sizeof(err));

	cr_assert_eq(rc, 0, "flat_create: %d %s", rc, err);
	return f;
}

/*
 * The flat margins of n random rows (a share of NaN) against XGBoost's
 * output_margin: returns the largest |difference| and counts exact ones.
 */
static double t_compare(const struct flat *f, const struct model *m, size_t n,
			uint64_t seed, size_t *exact)
{
	float *x = t_rows(n, m->n_feat, 0.1, seed);
	float *a = malloc(n * m->n_out * sizeof(float));
	float *b = malloc(n * m->n_out * sizeof(float));
	char err[512] = "";
	double worst = 0;

	cr_assert(a && b);
	cr_assert_eq(model_predict(m, x, n, 1, a, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < n; i++)
		flat_margin(f, x + i * m->n_feat, b + i * m->n_out);
	*exact = 0;
	for (size_t i = 0; i < n * m->n_out; i++) {
		double d = fabs((double)a[i] - (double)b[i]);

		cr_assert(!isnan(d), "output %zu: NaN", i);
		if (d > worst)
			worst = d;
		*exact += a[i] == b[i];
	}
	free(x);
	free(a);
	free(b);
	return worst;
}

/* ------------------------------------------------------------ flat = XGBoost */

Test(model, flat_equals_xgboost_binary_with_nans)
{
	struct model_params p;
	struct model m;
	size_t n = 4000, exact;
	float *x = t_rows(n, NF, 0.05, 1), *y = t_target_deep(x, n, NF, 2);

	t_params(&p, 30, 6);
	p.base_score = 0.3;        /* a base margin of logit(0.3), not 0 */
	t_train(&m, &p, x, y, n, NF, NULL);
	struct flat *f = t_flat(&m);

	cr_assert_eq(f->layout, FLAT_PERFECT);
	cr_assert_eq(f->depth, 6, "trees should reach max_depth; depth %u", f->depth);
	cr_assert_eq(f->n_trees, 30);
	cr_assert_eq(f->n_out, 1);
	double d = t_compare(f, &m, 10000, 3, &exact);
	cr_assert_leq(d, 1e-6, "max |flat - XGBoost| = %g", d);
	/* the same float operations in the same order: bit for bit */
	cr_assert_eq(exact, 10000, "%zu of 10000 margins bit-identical", exact);
	char err[512] = "";
	cr_assert_eq(flat_verify(f, &m, NULL, 0, 4000, 0.0, 5, NULL, err, sizeof(err)), 0, "%s",
		     err);
	flat_free(f);
	model_close(&m);
	free(x);
	free(y);
}

Test(model, flat_equals_xgboost_three_classes)
{
	struct model_params p;
	struct model m;
	struct t_rng g;
	size_t n = 3000, exact;
	float *x = t_rows(n, NF, 0.05, 4), *y = malloc(n * sizeof(float));

	cr_assert_not_null(y);
	t_rng_seed(&g, 5);
	for (size_t i = 0; i < n; i++) {
		const float *r = x + i * NF;
		double a = t_val(r, 0) + 0.5 * t_normal(&g), b = t_val(r, 1) * t_val(r, 2);

		y[i] = a > 0.5 ? 2.0f : b > 0 ? 1.0f : 0.0f;
	}
	t_params(&p, 15, 5);
	p.objective = MODEL_OBJ_MULTI;
	p.num_class = 3;
	t_train(&m, &p, x, y, n, NF, NULL);
	cr_assert_eq(m.n_out, 3);
	struct flat *f = t_flat(&m);

	cr_assert_eq(f->n_out, 3);
	cr_assert_eq(f->n_trees, 45);
	double d = t_compare(f, &m, 10000, 6, &exact);
	cr_assert_leq(d, 1e-6, "max |flat - XGBoost| = %g", d);
	cr_assert_eq(exact, 30000, "%zu of 30000 margins bit-identical", exact);
	/* and on rows at the split thresholds, a float step either side */
	char err[512] = "";
	cr_assert_eq(flat_verify(f, &m, x, n, 4000, 0.0, 5, NULL, err, sizeof(err)), 0, "%s",
		     err);

	/* probabilities: softmax of the margins, rows sum to 1 */
	double xd[NF], pr[3];
	float xf[NF], mg[3];
	for (uint32_t j = 0; j < NF; j++)
		xf[j] = (float)(xd[j] = 0.1 * j - 1.0);
	cr_assert_eq(flat_predict(f, xd, pr), 3);
	flat_margin(f, xf, mg);
	double z = exp(mg[0]) + exp(mg[1]) + exp(mg[2]);
	for (int k = 0; k < 3; k++)
		cr_assert_float_eq(pr[k], exp(mg[k]) / z, 1e-12);
	flat_free(f);
	model_close(&m);
	free(x);
	free(y);
}

Test(model, flat_general_layout_for_deep_trees)
{
	struct model_params p;
	struct model m;
	size_t n = 3000, exact;
	float *x = t_rows(n, 8, 0.05, 7), *y = malloc(n * sizeof(float));
	struct t_rng g;

	cr_assert_not_null(y);
	t_rng_seed(&g, 8);
	for (size_t i = 0; i < n; i++)
		y[i] = t_unif(&g) < 0.5;   /* noise: trees grow as deep as allowed */
	t_params(&p, 5, 11);
	p.min_child_weight = 0;
	p.subsample = 1;
	p.colsample_bytree = 1;
	t_train(&m, &p, x, y, n, 8, NULL);
	struct flat *f = t_flat(&m);

	cr_assert_gt(f->depth, FLAT_PERFECT_MAX_DEPTH, "depth %u", f->depth);
	cr_assert_eq(f->layout, FLAT_GENERAL);
	double d = t_compare(f, &m, 5000, 9, &exact);
	cr_assert_leq(d, 1e-6, "max |flat - XGBoost| = %g", d);
	cr_assert_eq(exact, 5000);
	char err[512] = "";
	cr_assert_eq(flat_verify(f, &m, x, n, 4000, 0.0, 5, NULL, err, sizeof(err)), 0, "%s",
		     err);
	flat_free(f);
	model_close(&m);
	free(x);
	free(y);
}

Test(model, flat_memsize_and_init_refuse_small_memory)
{
	struct model_params p;
	struct model m;
	size_t n = 500, need, len = 0;
	const char *js = NULL;
	float *x = t_rows(n, 4, 0, 10), *y = t_target_deep(x, n, 4, 11);
	char err[512];

	t_params(&p, 3, 3);
	t_train(&m, &p, x, y, n, 4, NULL);
	cr_assert_eq(model_json(&m, &js, &len, err, sizeof(err)), 0);
	need = flat_memsize(js, len, err, sizeof(err));
	/* header (128) + 3 perfect trees of depth <= 3 (8 node slots x 8 +
	 * 8 leaves x 4 = 96 -> 128 bytes each) + the class bytes (64) */
	cr_assert_gt(need, 0, "%s", err);
	cr_assert_leq(need, 128 + 3 * 128 + 64);
	void *mem = aligned_alloc(64, need);
	cr_assert_eq(flat_init(mem, need - 1, js, len, err, sizeof(err)), -ENOSPC);
	cr_assert_eq(flat_init((struct flat *)((char *)mem + 8), need - 64, js, len, err,
			       sizeof(err)), -EINVAL);
	cr_assert_eq(flat_init(mem, need, js, len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(((struct flat *)mem)->size, need);
	cr_assert_eq(((struct flat *)mem)->magic, FLAT_MAGIC);
	cr_assert_eq(flat_memsize("{\"learner\":{}}", 14, err, sizeof(err)), 0);
	cr_assert_eq(flat_init(mem, need, "{\"learner\":{}}", 14, err, sizeof(err)),
		     -DM_ECORRUPT);
	cr_assert_eq(flat_init(mem, need, "not json", 8, err, sizeof(err)), -DM_ECORRUPT);
	free(mem);
	model_close(&m);
	free(x);
	free(y);
}

/* ------------------------------------------------------------ flat_verify */

Test(model, flat_verify_accepts_the_model_and_refuses_tampering)
{
	struct model_params p;
	struct model m;
	struct flat_check c;
	size_t n = 3000;
	float *x = t_rows(n, NF, 0.02, 12), *y = t_target_deep(x, n, NF, 13);
	char err[512] = "";

	t_params(&p, 20, 6);
	t_train(&m, &p, x, y, n, NF, NULL);
	struct flat *f = t_flat(&m);
	cr_assert_eq(flat_verify(f, &m, x, n, 3000, 1e-6, 1, &c, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(c.rows, 3000);
	cr_assert_eq(c.exact, c.outputs);

	/* a copy of the block with one threshold moved: tree 0's root */
	struct flat *g = aligned_alloc(64, f->size);
	cr_assert_not_null(g);
	memcpy(g, f, f->size);
	struct flat_node *root = (struct flat_node *)flat_tree_nodes(g, 0) + 1;
	root->thr_key = flat_key(flat_key_float(root->thr_key + 1) + 0.5f) - 1;
	int rc = flat_verify(g, &m, x, n, 3000, 1e-6, 1, &c, err, sizeof(err));
	cr_assert_eq(rc, -DM_ECORRUPT, "tampered threshold accepted (rc %d)", rc);
	cr_assert(strstr(err, "differs from XGBoost"), "%s", err);
	cr_assert_gt(c.max_diff, 1e-6);

	/* the same threshold one float step up (consecutive keys are
	 * consecutive floats): only the edge rows see it */
	memcpy(g, f, f->size);
	root = (struct flat_node *)flat_tree_nodes(g, 0) + 1;
	cr_assert_eq(flat_key_float(root->thr_key + 2),
		     nextafterf(flat_key_float(root->thr_key + 1), INFINITY));
	root->thr_key += 1;
	rc = flat_verify(g, &m, x, n, 3000, 1e-6, 1, &c, err, sizeof(err));
	cr_assert_eq(rc, -DM_ECORRUPT, "threshold one ulp off accepted");

	/* the root's missing-value direction flipped */
	memcpy(g, f, f->size);
	root = (struct flat_node *)flat_tree_nodes(g, 0) + 1;
	root->off = root->off >= g->n_feat ? root->off - g->n_feat : root->off + g->n_feat;
	rc = flat_verify(g, &m, x, n, 3000, 1e-6, 1, &c, err, sizeof(err));
	cr_assert_eq(rc, -DM_ECORRUPT, "flipped default direction accepted");

	/* a leaf value off by 1e-5 */
	memcpy(g, f, f->size);
	float *leaf = (float *)flat_tree_leaves(g, 0);
	for (uint32_t i = 0; i < g->tree_leaves; i++)
		leaf[i] += 1e-5f;
	rc = flat_verify(g, &m, x, n, 3000, 1e-6, 1, &c, err, sizeof(err));
	cr_assert_eq(rc, -DM_ECORRUPT, "changed leaves accepted");

	/* without a sample, the threshold-built rows still catch the moved root */
	memcpy(g, f, f->size);
	root = (struct flat_node *)flat_tree_nodes(g, 0) + 1;
	root->thr_key -= 1;
	rc = flat_verify(g, &m, NULL, 0, 3000, 1e-6, 1, &c, err, sizeof(err));
	cr_assert_eq(rc, -DM_ECORRUPT, "sample-free check missed a one-ulp change");
	cr_assert_eq(flat_verify(f, &m, NULL, 0, 3000, 1e-6, 1, &c, err, sizeof(err)), 0,
		     "%s", err);
	free(g);
	flat_free(f);
	model_close(&m);
	free(x);
	free(y);
}

/* ------------------------------------------------------------ training */

/* label = x0 + 0.5 x1 + noise > 0 over 5 features */
static void t_learnable(size_t n, float **px, float **py, uint64_t seed)
{
	struct t_rng g;
	float *x = t_rows(n, 5, 0, seed), *y = malloc(n * sizeof(float));

	cr_assert_not_null(y);
	t_rng_seed(&g, seed + 1);
	for (size_t i = 0; i < n; i++)
		y[i] = x[i * 5] + 0.5f * x[i * 5 + 1] + 0.3 * t_normal(&g) > 0;
	*px = x;
	*py = y;
}

Test(model, learnable_target_reaches_holdout_auc_above_0_9)
{
	struct model_params p;
	struct model m;
	struct model_metrics *met = calloc(1, sizeof(*met));
	float *x, *y;
	size_t n = 5000;

	cr_assert_not_null(met);
	t_learnable(n, &x, &y, 20);
	t_params(&p, 60, 4);
	p.early_stopping_rounds = 10;
	t_train(&m, &p, x, y, n, 5, met);
	cr_assert_eq(met->n_holdout, 1000);
	cr_assert_eq(met->n_train, 4000);
	cr_assert_gt(met->holdout.auc, 0.9, "hold-out AUC %g", met->holdout.auc);
	cr_assert_gt(met->holdout.accuracy, 0.8);
	/* the metrics agree with an independent recomputation on the hold-out */
	float *pr = malloc(1000 * sizeof(float));
	double *pd = malloc(1000 * sizeof(double));
	char err[256];
	cr_assert_eq(model_predict(&m, x + 4000 * 5, 1000, 0, pr, err, sizeof(err)), 0);
	size_t tp = 0, fp = 0, fn = 0, tn = 0;
	double ll = 0;
	for (size_t i = 0; i < 1000; i++) {
		int t = y[4000 + i] > 0.5f, d = pr[i] >= 0.5f;
		pd[i] = pr[i];
		tp += t && d;
		fp += !t && d;
		fn += t && !d;
		tn += !t && !d;
		ll -= t ? log(pr[i]) : log(1.0 - pr[i]);
	}
	cr_assert_eq(met->holdout.tp, tp);
	cr_assert_eq(met->holdout.fp, fp);
	cr_assert_eq(met->holdout.fn, fn);
	cr_assert_eq(met->holdout.tn, tn);
	cr_assert_float_eq(met->holdout.precision, (double)tp / (tp + fp), 1e-12);
	cr_assert_float_eq(met->holdout.recall, (double)tp / (tp + fn), 1e-12);
	cr_assert_float_eq(met->holdout.logloss, ll / 1000, 1e-9);
	/* x0 carries the signal: most gain */
	cr_assert_eq(met->imp[0].index, 0, "top feature %s", met->imp[0].name);
	cr_assert_str_eq(met->imp[0].name, "f0");
	cr_assert_gt(met->imp[0].total_gain, met->imp[1].total_gain);
	free(pr);
	free(pd);
	free(met);
	model_close(&m);
	free(x);
	free(y);
}

Test(model, shuffled_labels_stay_near_auc_one_half)
{
	struct model_params p;
	struct model m;
	struct model_metrics *met = calloc(1, sizeof(*met));
	struct t_rng g;
	float *x, *y;
	size_t n = 5000;

	cr_assert_not_null(met);
	t_learnable(n, &x, &y, 30);
	t_rng_seed(&g, 31);
	for (size_t i = n - 1; i > 0; i--) {    /* Fisher-Yates */
		size_t j = t_rng_below(&g, i + 1);
		float t = y[i];
		y[i] = y[j];
		y[j] = t;
	}
	t_params(&p, 40, 4);
	t_train(&m, &p, x, y, n, 5, met);
	cr_assert(met->holdout.auc > 0.4 && met->holdout.auc < 0.6, "hold-out AUC %g",
		  met->holdout.auc);
	free(met);
	model_close(&m);
	free(x);
	free(y);
}

Test(model, early_stopping_keeps_the_best_round)
{
	struct model_params p;
	struct model m;
	struct model_metrics *met = calloc(1, sizeof(*met));
	struct t_rng g;
	size_t n = 2000;
	float *x = t_rows(n, 6, 0, 40), *y = malloc(n * sizeof(float));

	cr_assert(met && y);
	t_rng_seed(&g, 41);
	for (size_t i = 0; i < n; i++)     /* weak signal: overfits quickly */
		y[i] = x[i * 6] * 0.2 + t_normal(&g) > 0;
	t_params(&p, 300, 6);
	p.eta = 0.5;
	p.early_stopping_rounds = 5;
	t_train(&m, &p, x, y, n, 6, met);
	cr_assert_lt(met->rounds_run, 300, "never stopped");
	cr_assert_eq(met->rounds_run, met->best_iteration + 1 + 5);
	cr_assert_eq(m.n_rounds, met->best_iteration + 1, "kept %u rounds", m.n_rounds);
	cr_assert_eq(m.best_iteration, (int32_t)met->best_iteration);
	/* the kept model's hold-out loss is the best one XGBoost reported */
	cr_assert_float_eq(met->holdout.logloss, met->best_holdout_loss, 1e-6);
	free(met);
	model_close(&m);
	free(x);
	free(y);
}

Test(model, training_purges_rows_whose_labels_reach_the_holdout)
{
	struct model_params p;
	struct model m;
	struct model_metrics *met = calloc(1, sizeof(*met));
	size_t n = 1000;
	float *x, *y;
	int64_t *t0 = malloc(n * sizeof(int64_t)), *t1 = malloc(n * sizeof(int64_t));

	cr_assert(met && t0 && t1);
	t_learnable(n, &x, &y, 50);
	for (size_t i = 0; i < n; i++) {
		t0[i] = 10 * (int64_t)i;         /* events every 10 feature rows */
		t1[i] = t0[i] + 35;              /* spans reach 3 events ahead */
	}
	struct model_sample s = { .x = x, .y = y, .t0 = t0, .t1 = t1, .n = n, .n_feat = 5 };
	char err[256];
	t_params(&p, 5, 3);
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_train(&m, &p, &s, NULL, NULL, met, err, sizeof(err)), 0, "%s", err);
	/* hold-out rows 800..999 start at t = 8000; rows 797..799 end at
	 * 7965 + 35 = 8000 and later: purged */
	cr_assert_eq(met->n_holdout, 200);
	cr_assert_eq(met->n_purged, 3);
	cr_assert_eq(met->n_train, 797);
	cr_assert_eq(met->holdout_t0, 8000);
	cr_assert_eq(met->holdout_t1, 9990 + 35);
	/* rows out of time order are refused */
	t0[10] = 0;
	cr_assert_eq(model_train(&m, &p, &s, NULL, NULL, met, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "time order"), "%s", err);
	free(met);
	model_close(&m);
	free(x);
	free(y);
	free(t0);
	free(t1);
}

Test(model, params_defaults_and_checks)
{
	struct model_params p;
	char err[256];

	model_params_default(&p);
	cr_assert_eq(p.objective, MODEL_OBJ_BINARY);
	cr_assert_eq(p.max_depth, 6);
	cr_assert_eq(p.n_rounds, 200);
	cr_assert_eq(p.early_stopping_rounds, 20);
	cr_assert_eq(p.tree_method, MODEL_TREE_HIST);
	cr_assert_float_eq(p.eta, 0.1, 0);
	cr_assert_float_eq(p.holdout, 0.2, 0);
	cr_assert_eq(model_params_check(&p, err, sizeof(err)), 0);
	p.eta = 0;
	cr_assert_eq(model_params_check(&p, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "eta"), "%s", err);
	model_params_default(&p);
	p.objective = MODEL_OBJ_MULTI;
	p.num_class = 1;
	cr_assert_eq(model_params_check(&p, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "num_class"), "%s", err);
	model_params_default(&p);
	p.holdout = NAN;
	cr_assert_eq(model_params_check(&p, err, sizeof(err)), -EINVAL);
}

/* ------------------------------------------------------------ save / load */

Test(model, save_load_round_trip_predicts_identically)
{
	struct model_params p;
	struct model m, l;
	size_t n = 2000;
	float *x = t_rows(n, NF, 0.05, 60), *y = t_target_deep(x, n, NF, 61);
	const char *names[NF];
	char nb[NF][16], err[512];

	for (uint32_t j = 0; j < NF; j++) {
		snprintf(nb[j], sizeof(nb[j]), "feat_%u", j);
		names[j] = nb[j];
	}
	t_params(&p, 25, 5);
	p.early_stopping_rounds = 3;
	struct model_sample s = { .x = x, .y = y, .n = n, .n_feat = NF, .names = names };
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_train(&m, &p, &s, NULL, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	const char *path = t_tmp_path("m.json");
	cr_assert_eq(model_save(&m, path, err, sizeof(err)), 0, "%s", err);
	memset(&l, 0, sizeof(l));
	cr_assert_eq(model_load(&l, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l.n_feat, NF);
	cr_assert_eq(l.n_out, 1);
	cr_assert_eq(l.n_rounds, m.n_rounds);
	cr_assert_eq(l.best_iteration, m.best_iteration);
	cr_assert_str_eq(l.feat_names[26], "feat_26");

	float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
	cr_assert_eq(model_predict(&m, x, n, 0, a, err, sizeof(err)), 0);
	cr_assert_eq(model_predict(&l, x, n, 0, b, err, sizeof(err)), 0);
	cr_assert_eq(memcmp(a, b, n * sizeof(float)), 0, "probabilities differ after load");
	cr_assert_eq(model_predict(&m, x, n, 1, a, err, sizeof(err)), 0);
	cr_assert_eq(model_predict(&l, x, n, 1, b, err, sizeof(err)), 0);
	cr_assert_eq(memcmp(a, b, n * sizeof(float)), 0, "margins differ after load");
	/* the flat block built from either is the same bytes */
	struct flat *fm = t_flat(&m), *fl = t_flat(&l);
	cr_assert_eq(fm->size, fl->size);
	cr_assert_eq(memcmp(fm, fl, fm->size), 0);
	/* no temporary left beside the file */
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	cr_assert_neq(access(tmp, F_OK), 0);
	/* load errors name the file */
	cr_assert_lt(model_load(&l, t_tmp_path("none.json"), err, sizeof(err)), 0);
	cr_assert(strstr(err, "none.json"), "%s", err);
	t_write_file(t_tmp_path("bad.json"), "{\"learner\": 1}");
	cr_assert_lt(model_load(&l, t_tmp_path("bad.json"), err, sizeof(err)), 0);
	cr_assert(strstr(err, "bad.json"), "%s", err);
	flat_free(fm);
	flat_free(fl);
	free(a);
	free(b);
	model_close(&m);
	model_close(&l);
	free(x);
	free(y);
}

Test(model, load_refuses_an_objective_it_cannot_evaluate)
{
	size_t n = 200;
	float *x = t_rows(n, 3, 0, 70), *y = malloc(n * sizeof(float));
	DMatrixHandle d;
	BoosterHandle b;
	bst_ulong len;
	const char *buf;
	struct model m;
	char err[512];

	for (size_t i = 0; i < n; i++)
		y[i] = x[i * 3] * 2;
	cr_assert_eq(XGDMatrixCreateFromMat(x, n, 3, NAN, &d), 0);
	cr_assert_eq(XGDMatrixSetFloatInfo(d, "label", y, n), 0);
	cr_assert_eq(XGBoosterCreate(&d, 1, &b), 0);
	cr_assert_eq(XGBoosterSetParam(b, "objective", "reg:squarederror"), 0);
	cr_assert_eq(XGBoosterSetParam(b, "nthread", "1"), 0);
	cr_assert_eq(XGBoosterUpdateOneIter(b, 0, d), 0);
	cr_assert_eq(XGBoosterSaveModelToBuffer(b, "{\"format\":\"json\"}", &len, &buf), 0);
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load_buffer(&m, buf, len, err, sizeof(err)), -DM_ECORRUPT);
	cr_assert(strstr(err, "reg:squarederror"), "%s", err);
	cr_assert_eq(flat_memsize(buf, len, err, sizeof(err)), 0);
	cr_assert(strstr(err, "reg:squarederror"), "%s", err);
	XGBoosterFree(b);
	XGDMatrixFree(d);
	free(x);
	free(y);
}

/* ------------------------------------------------------------ AUC */

Test(model, auc_hand_case_with_ties)
{
	/* positives 0.35, 0.8, 0.4; negatives 0.1, 0.4, 0.4.
	 * 0.35 beats 0.1 (1); 0.8 beats all three (3); 0.4 beats 0.1 and ties
	 * two 0.4s (1 + 0.5 + 0.5): 6 of 9 pairs.  Mid-ranks: 0.1 -> 1,
	 * 0.35 -> 2, the three 0.4s -> 4, 0.8 -> 6; positives 2 + 4 + 6 = 12,
	 * U = 12 - 3*4/2 = 6, AUC = 6/9. */
	const double s[6] = { 0.1, 0.4, 0.35, 0.8, 0.4, 0.4 };
	const float y[6] = { 0, 0, 1, 1, 1, 0 };

	cr_assert_float_eq(model_auc(s, y, NULL, 6), 6.0 / 9.0, 1e-15);
	/* weights: the 0.8 positive counts 3 times -> pairs (1 + 9 + 2) of 15 */
	const float w[6] = { 1, 1, 1, 3, 1, 1 };
	cr_assert_float_eq(model_auc(s, y, w, 6), 12.0 / 15.0, 1e-15);
	/* all one score: one half; one class only: undefined */
	const double same[4] = { 0.5, 0.5, 0.5, 0.5 };
	const float y2[4] = { 0, 1, 0, 1 }, y1[4] = { 1, 1, 1, 1 };
	cr_assert_float_eq(model_auc(same, y2, NULL, 4), 0.5, 1e-15);
	cr_assert(isnan(model_auc(same, y1, NULL, 4)));
	/* perfect and reversed */
	const double up[4] = { 0.1, 0.9, 0.2, 0.8 };
	cr_assert_float_eq(model_auc(up, y2, NULL, 4), 1.0, 1e-15);
	const float y3[4] = { 1, 0, 1, 0 };
	cr_assert_float_eq(model_auc(up, y3, NULL, 4), 0.0, 1e-15);
}

Test(model, auc_equals_naive_pair_count)
{
	struct t_rng g;
	size_t n = 600;
	double *s = malloc(n * sizeof(double));
	float *y = malloc(n * sizeof(float)), *w = malloc(n * sizeof(float));

	cr_assert(s && y && w);
	t_rng_seed(&g, 80);
	for (int rep = 0; rep < 5; rep++) {
		for (size_t i = 0; i < n; i++) {
			y[i] = t_unif(&g) < 0.4;
			/* one decimal: many ties; positives a little higher */
			s[i] = round((t_unif(&g) + 0.2 * y[i]) * 10) / 10;
			w[i] = (float)(0.5 + t_unif(&g));
		}
		double num = 0, den = 0, numw = 0, denw = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++) {
				if (!(y[i] == 1 && y[j] == 0))
					continue;
				double win = s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
				num += win;
				den += 1;
				numw += (double)w[i] * w[j] * win;
				denw += (double)w[i] * w[j];
			}
		cr_assert_float_eq(model_auc(s, y, NULL, n), num / den, 1e-12);
		cr_assert_float_eq(model_auc(s, y, w, n), numw / denw, 1e-9);
	}
	free(s);
	free(y);
	free(w);
}

Test(model, eval_probs_hand_case)
{
	/* threshold 0.5: predictions 1 1 0 1 0 0 vs truth 1 0 0 1 1 0:
	 * tp 2, fp 1, fn 1, tn 2 */
	const double p[6] = { 0.9, 0.6, 0.2, 0.5, 0.4, 0.1 };
	const float y[6] = { 1, 0, 0, 1, 1, 0 };
	struct model_eval e;

	cr_assert_eq(model_eval_probs(p, y, 6, 1, 0.5, &e), 0);
	cr_assert_eq(e.tp, 2);
	cr_assert_eq(e.fp, 1);
	cr_assert_eq(e.fn, 1);
	cr_assert_eq(e.tn, 2);
	cr_assert_float_eq(e.precision, 2.0 / 3.0, 1e-15);
	cr_assert_float_eq(e.recall, 2.0 / 3.0, 1e-15);
	cr_assert_float_eq(e.accuracy, 4.0 / 6.0, 1e-15);
	double ll = -(log(0.9) + log(0.4) + log(0.8) + log(0.5) + log(0.4) + log(0.9)) / 6;
	cr_assert_float_eq(e.logloss, ll, 1e-14);
	/* positives 0.9 0.5 0.4 vs negatives 0.6 0.2 0.1: 0.9 beats 3, 0.5
	 * beats 2, 0.4 beats 2: 7 of 9 */
	cr_assert_float_eq(e.auc, 7.0 / 9.0, 1e-15);

	/* three classes: argmax 0, 2, 1, 2 vs truth 0, 2, 2, 1 */
	const double q[12] = { 0.6, 0.3, 0.1,  0.1, 0.2, 0.7,  0.2, 0.5, 0.3,  0.3, 0.3, 0.4 };
	const float z[4] = { 0, 2, 2, 1 };
	cr_assert_eq(model_eval_probs(q, z, 4, 3, 0.5, &e), 0);
	cr_assert_float_eq(e.accuracy, 0.5, 1e-15);
	cr_assert_float_eq(e.logloss, -(log(0.6) + log(0.7) + log(0.3) + log(0.3)) / 4, 1e-14);
	/* precision per predicted class: 0 -> 1/1, 1 -> 0/1, 2 -> 1/2 */
	cr_assert_float_eq(e.precision, (1.0 + 0.0 + 0.5) / 3, 1e-15);
	/* recall per true class: 0 -> 1/1, 1 -> 0/1, 2 -> 1/2 */
	cr_assert_float_eq(e.recall, (1.0 + 0.0 + 0.5) / 3, 1e-15);
	const float bad[4] = { 0, 3, 1, 1 };
	cr_assert_eq(model_eval_probs(q, bad, 4, 3, 0.5, &e), -EINVAL);
}

/* ------------------------------------------------------------ purged split */

static void t_expect_mask(const uint8_t *got, const char *want, size_t n)
{
	/* want: T train, X test, P purged, E embargoed */
	for (size_t i = 0; i < n; i++) {
		uint8_t k = want[i] == 'T' ? MODEL_SPLIT_TRAIN : want[i] == 'X' ? MODEL_SPLIT_TEST :
			    want[i] == 'P' ? MODEL_SPLIT_PURGED : MODEL_SPLIT_EMBARGOED;
		cr_assert_eq(got[i], k, "row %zu: got %u, want %c (%s)", i, got[i], want[i], want);
	}
}

Test(model, purged_split_hand_masks)
{
	/* ten events at rows 0..9, each label spanning 3 rows [i, i + 2] */
	int64_t t0[10], t1[10];
	uint8_t mk[10];
	struct model_split_counts c;

	for (int i = 0; i < 10; i++) {
		t0[i] = i;
		t1[i] = i + 2;
	}
	/* test rows 4, 5: window [4, 7].  Rows 2, 3 end at 4, 5 >= 4: purged;
	 * rows 6, 7 start at 6, 7 <= 7: purged; embargo 2 drops rows starting
	 * in (7, 9]: 8, 9. */
	cr_assert_eq(model_split_purged(t0, t1, 10, 4, 6, 2, mk, &c), 0);
	t_expect_mask(mk, "TTPPXXPPEE", 10);
	cr_assert_eq(c.train, 2);
	cr_assert_eq(c.test, 2);
	cr_assert_eq(c.purged, 4);
	cr_assert_eq(c.embargoed, 2);
	/* embargo 1: only row 8 */
	cr_assert_eq(model_split_purged(t0, t1, 10, 4, 6, 1, mk, NULL), 0);
	t_expect_mask(mk, "TTPPXXPPET", 10);
	/* no embargo */
	cr_assert_eq(model_split_purged(t0, t1, 10, 4, 6, 0, mk, NULL), 0);
	t_expect_mask(mk, "TTPPXXPPTT", 10);
	/* final hold-out rows 7..9: window [7, 11]; rows 5, 6 end at 7, 8 */
	cr_assert_eq(model_split_purged(t0, t1, 10, 7, 10, 5, mk, &c), 0);
	t_expect_mask(mk, "TTTTTPPXXX", 10);
	cr_assert_eq(c.embargoed, 0);
	/* a long label at row 0 reaching row 5 is purged too */
	t1[0] = 5;
	cr_assert_eq(model_split_purged(t0, t1, 10, 4, 6, 0, mk, NULL), 0);
	t_expect_mask(mk, "PTPPXXPPTT", 10);
	/* point labels (t1 = t0): nothing to purge */
	for (int i = 0; i < 10; i++)
		t1[i] = t0[i];
	cr_assert_eq(model_split_purged(t0, t1, 10, 4, 6, 0, mk, NULL), 0);
	t_expect_mask(mk, "TTTTXXTTTT", 10);
	/* bad arguments */
	cr_assert_eq(model_split_purged(t0, t1, 10, 6, 6, 0, mk, NULL), -EINVAL);
	cr_assert_eq(model_split_purged(t0, t1, 10, 4, 11, 0, mk, NULL), -EINVAL);
	cr_assert_eq(model_split_purged(t0, t1, 10, 4, 6, -1, mk, NULL), -EINVAL);
	t1[3] = 2;
	cr_assert_eq(model_split_purged(t0, t1, 10, 4, 6, 0, mk, NULL), -EINVAL);
}

/* ------------------------------------------------------------ bet sizing */

Test(model, bet_size_hand_values)
{
	/* p = 0.7, K = 2: z = 0.2 / sqrt(0.21) = 0.43644, Phi(z) = 0.66874
	 * (normal table), m = 2 Phi - 1 = 0.33748 */
	cr_assert_float_eq(bet_size_raw(0.7, 2), 0.33748, 1e-4);
	cr_assert_float_eq(bet_size_raw(0.3, 2), -0.33748, 1e-4);
	/* p = 0.6, K = 3: z = (0.6 - 1/3) / sqrt(0.24) = 0.54433, Phi = 0.70689 */
	cr_assert_float_eq(bet_size_raw(0.6, 3), 0.41379, 1e-4);
	/* p = 0.9, K = 3: z = 0.56667 / 0.3 = 1.88889, Phi = 0.97055 */
	cr_assert_float_eq(bet_size_raw(0.9, 3), 0.94109, 1e-4);
	/* p = 1/K: no bet; the ends */
	cr_assert_float_eq(bet_size_raw(0.5, 2), 0.0, 1e-15);
	cr_assert_float_eq(bet_size_raw(1.0 / 3.0, 3), 0.0, 1e-15);
	cr_assert_float_eq(bet_size_raw(1.0, 2), 1.0, 0);
	cr_assert_float_eq(bet_size_raw(0.0, 2), -1.0, 0);
	cr_assert_float_eq(bet_size_raw(NAN, 2), 0.0, 0);
	cr_assert_float_eq(bet_size_raw(0.7, 1), 0.0, 0);

	/* contracts, max 10 */
	cr_assert_eq(bet_size(0.7, 2, 10, 1), 3);     /* 3.37 */
	cr_assert_eq(bet_size(0.7, 2, 10, 2), 4);     /* 3.37 / 2 = 1.69 -> 2 steps */
	cr_assert_eq(bet_size(0.6, 3, 10, 1), 4);     /* 4.14 */
	cr_assert_eq(bet_size(0.9, 3, 10, 1), 9);     /* 9.41 */
	cr_assert_eq(bet_size(0.9, 3, 10, 4), 8);     /* 9.41 / 4 = 2.35 -> 2 steps */
	cr_assert_eq(bet_size(0.99, 2, 10, 4), 8);    /* 2.5 -> 3 steps = 12, cap 8 */
	cr_assert_eq(bet_size(0.99, 2, 10, 1), 10);   /* m = 0.999999 */
	cr_assert_eq(bet_size(0.3, 2, 10, 1), -3);
	cr_assert_eq(bet_size(0.55, 2, 10, 1), 1);    /* 0.80 */
	cr_assert_eq(bet_size(0.55, 2, 5, 1), 0);     /* 0.40 */
	cr_assert_eq(bet_size(0.7, 2, 0, 1), 0);
	cr_assert_eq(bet_size(0.7, 2, 10, 0), 3);     /* step < 1 counts as 1 */
}

/* ------------------------------------------------------------ hot path */

static uint64_t t_counter(const char *name)
{
	uint64_t v = 0;
	size_t sz = sizeof(v);

	cr_assert_eq(mallctl(name, &v, &sz, NULL, 0), 0);
	return v;
}

Test(model, flat_predict_allocates_nothing)
{
#if T_SANITIZED
	cr_skip_test("sanitizer build: its allocator replaces jemalloc");
#endif
	if (!mallctl)
		cr_skip_test("jemalloc is not linked");
	struct model_params p;
	struct model m;
	size_t n = 1000;
	float *x = t_rows(n, NF, 0.05, 90), *y = t_target_deep(x, n, NF, 91);
	double xd[NF], out[1], sink = 0;

	t_params(&p, 10, 6);
	t_train(&m, &p, x, y, n, NF, NULL);
	struct flat *f = t_flat(&m);
	uint64_t a0 = t_counter("thread.allocated"), d0 = t_counter("thread.deallocated");
	for (size_t i = 0; i < 100000; i++) {
		for (uint32_t j = 0; j < NF; j++)
			xd[j] = x[(i % n) * NF + j];
		flat_predict(f, xd, out);
		sink += out[0];
	}
	cr_assert_eq(t_counter("thread.allocated") - a0, 0);
	cr_assert_eq(t_counter("thread.deallocated") - d0, 0);
	cr_assert(sink > 0);
	flat_free(f);
	model_close(&m);
	free(x);
	free(y);
}

/* ------------------------------------------------------------ dm-train */

static char t_tool[PATH_MAX + 32];

static int t_have_tool(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return 0;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(t_tool, sizeof(t_tool), "%s/../bin/dm-train", self);
	return access(t_tool, X_OK) == 0;
}

/* Run dm-train with args (NULL-terminated); stderr into err_path. */
static int t_run(const char *err_path, const char *const *args)
{
	char *argv[40];
	int k = 0, st;
	pid_t pid;

	argv[k++] = t_tool;
	for (; *args && k < 39; args++)
		argv[k++] = (char *)*args;
	argv[k] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (!freopen(err_path, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(t_tool, argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int t_file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 20];
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* features.csv: 3000 rows of 4 features; labels.csv: every other row,
 * label from x0 + 0.5 x1 with noise, spans of 6 rows. */
static void t_write_csvs(const char *fpath, const char *lpath)
{
	struct t_rng g;
	FILE *f = fopen(fpath, "w"), *l = fopen(lpath, "w");
	double x[4];

	cr_assert(f && l);
	t_rng_seed(&g, 100);
	fprintf(f, "t_ns,a,b,c,d\n");
	fprintf(l, "t0_idx,t1_idx,label,meta,weight\n");
	for (int r = 0; r < 3000; r++) {
		for (int j = 0; j < 4; j++)
			x[j] = t_normal(&g);
		if (r % 97 == 0)
			fprintf(f, "%d,%.9g,%.9g,nan,%.9g\n", 1000 + r, x[0], x[1], x[3]);
		else
			fprintf(f, "%d,%.9g,%.9g,%.9g,%.9g\n", 1000 + r, x[0], x[1], x[2], x[3]);
		if (r % 2 == 0) {
			double s = x[0] + 0.5 * x[1] + 0.3 * t_normal(&g);
			int lab = s > 0.1 ? 1 : s < -0.1 ? -1 : 0;
			fprintf(l, "%d,%d,%d,%d,1\n", r, r + 6 < 3000 ? r + 6 : 2999, lab,
				lab == 1);
		}
	}
	fclose(f);
	fclose(l);
}

Test(model, dm_train_end_to_end)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	const char *fp = t_tmp_path("f.csv"), *lp = t_tmp_path("l.csv");
	char fpath[128], lpath[128], out[128], met[128], errp[128];

	snprintf(fpath, sizeof(fpath), "%s", fp);
	snprintf(lpath, sizeof(lpath), "%s", lp);
	snprintf(out, sizeof(out), "%s", t_tmp_path("m.json"));
	snprintf(met, sizeof(met), "%s", t_tmp_path("m.metrics.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	t_write_csvs(fpath, lpath);

	const char *a1[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--rounds", "30", "--seed", "1", NULL };
	int rc = t_run(errp, a1);
	cr_assert_eq(rc, 0, "dm-train exited %d", rc);
	cr_assert(t_file_has(errp, "round   29/30"), "no per-round progress line");
	cr_assert(t_file_has(errp, "hold-out AUC"));

	/* the metrics file: 1500 samples, 300 in the hold-out, spans of 6
	 * rows = 3 events reach into it: 3 purged */
	json_error_t je;
	json_t *j = json_load_file(met, 0, &je);
	cr_assert_not_null(j, "%s: %s", met, je.text);
	cr_assert_eq(json_integer_value(json_object_get(j, "rows")), 1500);
	cr_assert_eq(json_integer_value(json_object_get(j, "holdout_rows")), 300);
	cr_assert_eq(json_integer_value(json_object_get(j, "purged_rows")), 3);
	double auc = json_real_value(json_object_get(json_object_get(j, "holdout"), "auc"));
	cr_assert_gt(auc, 0.9, "AUC %g", auc);
	json_t *imp = json_array_get(json_object_get(j, "feature_importance"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(imp, "feature")), "a");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "flat_check"),
							"rows")), 4000);
	json_decref(j);

	/* the model loads, names its features, and agrees with its flat form */
	struct model m;
	char err[512];
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load(&m, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.n_feat, 4);
	cr_assert_str_eq(m.feat_names[1], "b");
	struct flat *f = t_flat(&m);
	cr_assert_eq(flat_verify(f, &m, NULL, 0, 2000, 1e-6, 3, NULL, err, sizeof(err)), 0,
		     "%s", err);
	flat_free(f);
	model_close(&m);

	/* meta target, three-class target, named metrics file */
	const char *a2[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--target", "label3", "--rounds", "5", "--metrics",
			     t_tmp_path("x.json"), "--quiet", NULL };
	cr_assert_eq(t_run(errp, a2), 0);
	j = json_load_file(t_tmp_path("x.json"), 0, &je);
	cr_assert_not_null(j);
	cr_assert_str_eq(json_string_value(json_object_get(j, "objective")), "multi:softprob");
	json_decref(j);
	const char *a3[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--target", "meta", "--rounds", "5", "--quiet", NULL };
	cr_assert_eq(t_run(errp, a3), 0);

	/* --json: stdout is the metrics document, byte for byte, and stderr
	 * has no text summary */
	static char cmd[8192];
	snprintf(cmd, sizeof(cmd), "'%s' --features '%s' --labels '%s' --output '%s' --rounds 5 "
		 "--json >'%s' 2>'%s'", t_tool, fpath, lpath, out, t_tmp_path("stdout.json"),
		 errp);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_assert(!t_file_has(errp, "hold-out AUC"), "no text summary with --json");
	char a[1 << 14], b[1 << 14];
	FILE *fa = fopen(t_tmp_path("stdout.json"), "r"), *fb = fopen(met, "r");
	cr_assert(fa && fb);
	size_t na = fread(a, 1, sizeof(a), fa), nb = fread(b, 1, sizeof(b), fb);
	fclose(fa);
	fclose(fb);
	cr_assert(na > 0 && na == nb && memcmp(a, b, na) == 0, "stdout %zu B, metrics %zu B",
		  na, nb);
	j = json_loads(a, JSON_DISABLE_EOF_CHECK, &je);
	cr_assert_not_null(j, "%s", je.text);
	cr_assert_eq(json_integer_value(json_object_get(j, "rows")), 1500, "every labeled row");
	json_decref(j);
}

/* t_write_csvs' 3000 x 4 features (nan in c every 97th row) at full
 * precision, as a CSV with 17 significant digits (they read back
 * exactly) and as a dm-features shaped .npy written here by the format's
 * rules: t_sec, t_nsec, a, b, c, d, names in the .columns file. */
static void t_write_csv_and_npy(const char *csv, const char *npy)
{
	char cols[256];
	FILE *f = fopen(csv, "w"), *g = fopen(npy, "wb");
	struct t_rng r;
	const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3000, 6), }";
	unsigned char hdr[128];

	cr_assert(f && g);
	memset(hdr, ' ', sizeof(hdr));
	memcpy(hdr, "\x93NUMPY\x01\x00", 8);
	hdr[8] = 128 - 10;
	hdr[9] = 0;
	memcpy(hdr + 10, dict, strlen(dict));
	hdr[127] = '\n';
	fwrite(hdr, 1, sizeof(hdr), g);
	fprintf(f, "t_ns,a,b,c,d\n");
	t_rng_seed(&r, 100);
	for (int i = 0; i < 3000; i++) {
		double row[6] = { 0, 1000 + i };

		for (int j = 0; j < 4; j++)
			row[2 + j] = t_normal(&r);
		if (i % 97 == 0)
			row[4] = NAN;
		fprintf(f, "%d,%.17g,%.17g,%.17g,%.17g\n", 1000 + i, row[2], row[3], row[4], row[5]);
		fwrite(row, sizeof(double), 6, g);
		if (i % 2 == 0)               /* t_write_csvs' label noise: same draws */
			(void)t_normal(&r);
	}
	fclose(f);
	fclose(g);
	snprintf(cols, sizeof(cols), "%s.columns", npy);
	f = fopen(cols, "w");
	cr_assert_not_null(f);
	fputs("t_sec\nt_nsec\na\nb\nc\nd\n", f);
	fclose(f);
}

/* path's text with the value of every "key":"..." in keys blanked. */
static char *t_model_text(const char *path)
{
	static const char *const keys[] = { "\"dm_features_file\":\"", "\"dm_features_sha256\":\"" };
	FILE *f = fopen(path, "r");
	char *b = calloc(1, 1 << 22);

	cr_assert(f && b);
	size_t n = fread(b, 1, (1 << 22) - 1, f);
	fclose(f);
	cr_assert_gt(n, 0);
	for (size_t k = 0; k < 2; k++) {
		char *p = strstr(b, keys[k]);

		cr_assert_not_null(p, "%s: no %s", path, keys[k]);
		p += strlen(keys[k]);
		char *e = strchr(p, '"');
		cr_assert_not_null(e, "%s: %s unterminated", path, keys[k]);
		memmove(p, e, strlen(e) + 1);
	}
	return b;
}

/* dm-train on the .npy makes the model it makes on the CSV: the model
 * file but for the features file's name and digest, and the metrics. */
Test(model, dm_train_npy_features_give_the_csv_model)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	char csv[128], npy[128], lab[128], errp[128], mc[128], mn[128], xc[128], xn[128];
	const char *kinds[][4] = { { "--kind", "gbdt", "--rounds", "30" },
				   { "--kind", "rf", "--num-parallel-tree", "20" } };

	snprintf(csv, sizeof(csv), "%s", t_tmp_path("f.csv"));
	snprintf(npy, sizeof(npy), "%s", t_tmp_path("f.npy"));
	snprintf(lab, sizeof(lab), "%s", t_tmp_path("l.csv"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	snprintf(mc, sizeof(mc), "%s", t_tmp_path("mc.json"));
	snprintf(mn, sizeof(mn), "%s", t_tmp_path("mn.json"));
	snprintf(xc, sizeof(xc), "%s", t_tmp_path("xc.json"));
	snprintf(xn, sizeof(xn), "%s", t_tmp_path("xn.json"));
	t_write_csvs(t_tmp_path("unused.csv"), lab);
	t_write_csv_and_npy(csv, npy);
	for (size_t k = 0; k < 2; k++) {
		const char *ac[] = { "--features", csv, "--labels", lab, "--output", mc, "--metrics",
				     xc, "--target", "label", "--seed", "1", kinds[k][0], kinds[k][1],
				     kinds[k][2], kinds[k][3], "--quiet", NULL };
		const char *an[] = { "--features", npy, "--labels", lab, "--output", mn, "--metrics",
				     xn, "--target", "label", "--seed", "1", kinds[k][0], kinds[k][1],
				     kinds[k][2], kinds[k][3], "--quiet", NULL };
		cr_assert_eq(t_run(errp, ac), 0, "%s on the CSV", kinds[k][1]);
		cr_assert_eq(t_run(errp, an), 0, "%s on the .npy", kinds[k][1]);
		char *a = t_model_text(mc), *b = t_model_text(mn);
		cr_assert_str_eq(a, b, "%s: the models differ", kinds[k][1]);
		free(a);
		free(b);

		json_error_t je;
		json_t *jc = json_load_file(xc, 0, &je), *jn = json_load_file(xn, 0, &je);
		cr_assert(jc && jn);
		cr_assert_gt(json_real_value(json_object_get(json_object_get(jn, "holdout"), "auc")),
			     0.8);
		for (json_t **j = (json_t *[]){ jc, jn, NULL }; *j; j++) {
			json_object_del(*j, "model");
			json_object_del(*j, "train_seconds");
			json_object_del(json_object_get(*j, "metadata"), "features_file");
			json_object_del(json_object_get(*j, "metadata"), "features_sha256");
		}
		cr_assert(json_equal(jc, jn), "%s: the metrics differ", kinds[k][1]);
		json_decref(jc);
		json_decref(jn);
	}
}

Test(model, dm_train_bad_usage_and_bad_input)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	char fpath[128], lpath[128], out[128], errp[128], bad[128];

	snprintf(fpath, sizeof(fpath), "%s", t_tmp_path("f.csv"));
	snprintf(lpath, sizeof(lpath), "%s", t_tmp_path("l.csv"));
	snprintf(out, sizeof(out), "%s", t_tmp_path("m.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	snprintf(bad, sizeof(bad), "%s", t_tmp_path("bad.csv"));
	t_write_csvs(fpath, lpath);

	const char *h[] = { "--help", NULL };
	cr_assert_eq(t_run(errp, h), 0);
	const char *u1[] = { "--features", fpath, "--output", out, NULL };
	cr_assert_eq(t_run(errp, u1), 2);
	cr_assert(t_file_has(errp, "--labels"));
	const char *u2[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--holdout", "2", NULL };
	cr_assert_eq(t_run(errp, u2), 2);
	const char *u3[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--target", "side", NULL };
	cr_assert_eq(t_run(errp, u3), 2);

	/* a bad label value: file, line and column named */
	t_write_file(bad, "t0_idx,t1_idx,label\n0,2,1\n2,4,-1\n4,6,7\n");
	const char *b1[] = { "--features", fpath, "--labels", bad, "--output", out, "--target",
			     "label", NULL };
	cr_assert_eq(t_run(errp, b1), 2);
	cr_assert(t_file_has(errp, "bad.csv:4:5: column 'label': '7' is not -1, 0 or 1"),
		  "message names file:line:column and the column");
	cr_assert_neq(access(out, F_OK), 0, "a model was written");

	/* a missing column, a row past the end of the features */
	t_write_file(bad, "start,label\n0,1\n");
	cr_assert_eq(t_run(errp, b1), 2);
	cr_assert(t_file_has(errp, "t0_idx"));
	t_write_file(bad, "t0_idx,label\n0,1\n5000,-1\n");
	cr_assert_eq(t_run(errp, b1), 2);
	cr_assert(t_file_has(errp, "bad.csv:3:1: column 't0_idx'"));

	/* other column names by option */
	t_write_file(bad, "i0,y\n0,1\n2,-1\n4,1\n6,-1\n8,1\n10,-1\n12,1\n14,-1\n16,1\n18,-1\n");
	const char *b2[] = { "--features", fpath, "--labels", bad, "--output", out,
			     "--t0-col", "i0", "--label-col", "y", "--rounds", "3",
			     "--target", "label", "--quiet", NULL };
	cr_assert_eq(t_run(errp, b2), 0);
	cr_assert_eq(access(out, F_OK), 0);

	/* a bad feature value */
	t_write_file(bad, "t_ns,a,b\n1,0.5,zz\n");
	t_write_file(lpath, "t0_idx,label\n0,1\n0,-1\n");
	const char *b3[] = { "--features", bad, "--labels", lpath, "--output", out, "--target",
			     "label", NULL };
	cr_assert_eq(t_run(errp, b3), 2);
	cr_assert(t_file_has(errp, "bad.csv:2:7: column 'b': 'zz' is not a number"));
}

/* Non-finite input: a feature may be nan (missing), never infinite or
 * beyond a float; a weight is finite; each refused at file:line:col with
 * the column's name, exit 2, no model written. */
Test(model, dm_train_refuses_non_finite_input_at_file_line_col)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	char fpath[128], lpath[128], out[128], errp[128];
	static char text[1 << 16];

	snprintf(fpath, sizeof(fpath), "%s", t_tmp_path("nf.csv"));
	snprintf(lpath, sizeof(lpath), "%s", t_tmp_path("nl.csv"));
	snprintf(out, sizeof(out), "%s", t_tmp_path("nm.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("nerr.txt"));
	/* 40 rows, the label the sign of a; row k's line is k + 2 */
	static const struct { const char *cell, *why; } bad[] = {
		{ "inf", "'inf' is infinite" },
		{ "-Infinity", "'-Infinity' is infinite" },
		{ "1e999", "'1e999' is infinite" },
		{ "3e38", NULL },                            /* a float holds it */
		{ "4e38", "'4e38' is beyond the float range" },
		{ "nan", NULL },                             /* missing: trained on */
	};
	for (size_t c = 0; c < sizeof(bad) / sizeof(bad[0]); c++) {
		size_t k = 0;
		k += (size_t)snprintf(text + k, sizeof(text) - k, "t_ns,a,spread\n");
		for (int i = 0; i < 40; i++)
			k += (size_t)snprintf(text + k, sizeof(text) - k, "%d,%s,%s\n", i,
					      i % 2 ? "1.5" : "-1.5", i == 17 ? bad[c].cell : "0.25");
		t_write_file(fpath, text);
		k = 0;
		k += (size_t)snprintf(text + k, sizeof(text) - k, "t0_idx,label\n");
		for (int i = 0; i < 40; i++)
			k += (size_t)snprintf(text + k, sizeof(text) - k, "%d,%d\n", i,
					      i % 2 ? 1 : -1);
		t_write_file(lpath, text);
		unlink(out);
		const char *argv[] = { "--features", fpath, "--labels", lpath, "--output", out,
				       "--target", "label", "--rounds", "2", "--quiet", NULL };
		int rc = t_run(errp, argv);
		if (!bad[c].why) {
			cr_assert_eq(rc, 0, "%s: exit %d", bad[c].cell, rc);
			continue;
		}
		cr_assert_eq(rc, 2, "%s: exit %d", bad[c].cell, rc);
		/* row 17 is line 19; "17,1.5," puts the spread at column 8 */
		char want[256];
		snprintf(want, sizeof(want), "nf.csv:19:8: column 'spread': %s", bad[c].why);
		cr_assert(t_file_has(errp, want), "%s: no '%s'", bad[c].cell, want);
		cr_assert_neq(access(out, F_OK), 0, "%s: a model was written", bad[c].cell);
	}

	/* a weight of nan or inf */
	static const char *const weights[] = { "nan", "inf", "-1" };
	for (size_t c = 0; c < sizeof(weights) / sizeof(weights[0]); c++) {
		size_t k = 0;
		k += (size_t)snprintf(text + k, sizeof(text) - k, "t0_idx,label,uniq\n");
		for (int i = 0; i < 40; i++)
			k += (size_t)snprintf(text + k, sizeof(text) - k, "%d,%d,%s\n", i,
					      i % 2 ? 1 : -1, i == 5 ? weights[c] : "0.5");
		t_write_file(lpath, text);
		const char *argv[] = { "--features", fpath, "--labels", lpath, "--output", out,
				       "--target", "label", "--rounds", "2", "--quiet", NULL };
		cr_assert_eq(t_run(errp, argv), 2, "weight %s", weights[c]);
		/* row 5 is line 7; "5,1," puts the weight at column 5 */
		char want[256];
		snprintf(want, sizeof(want), "nl.csv:7:5: column 'uniq': '%s' is not a finite "
			 "weight >= 0", weights[c]);
		cr_assert(t_file_has(errp, want), "no '%s'", want);
	}
}

/* ------------------------------------------------------------ SHA-256 */

/* The digest the stock sha256sum prints for path (an independent tool). */
static void t_sha256sum(const char *path, char hex[SHA256_HEX])
{
	char cmd[600];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%64s", hex), 1);
	cr_assert_eq(pclose(p), 0);
}

Test(model, sha256_known_answers_and_sha256sum)
{
	char hex[SHA256_HEX], want[SHA256_HEX], err[256];
	struct sha256 s;
	uint8_t d[SHA256_LEN];

	/* FIPS 180-4 examples */
	sha256_hex("", 0, hex);
	cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex(two, strlen(two), hex);
	cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* a million 'a', fed in uneven pieces across block boundaries */
	char a[1000];
	memset(a, 'a', sizeof(a));
	sha256_init(&s);
	for (size_t done = 0, k = 1; done < 1000000; done += k, k = k % 997 + 1) {
		if (done + k > 1000000)
			k = 1000000 - done;
		sha256_update(&s, a, k);
	}
	sha256_final(&s, d);
	for (unsigned i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

	/* a file of 3 MB + 17 bytes against sha256sum */
	const char *path = t_tmp_path("blob.bin");
	FILE *f = fopen(path, "wb");
	struct t_rng g;
	cr_assert_not_null(f);
	t_rng_seed(&g, 9);
	for (size_t i = 0; i < 3 * 1048576 + 17; i++)
		fputc((int)(t_rng_next(&g) >> 56), f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(sha256_file(path, hex, err, sizeof(err)), 0, "%s", err);
	t_sha256sum(path, want);
	cr_assert_str_eq(hex, want);
	cr_assert_eq(sha256_file(t_tmp_path("absent"), hex, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "absent: cannot open"), "%s", err);
}

/* ------------------------------------------------------------ metadata */

/* A small binary model over nf features named names (NULL: f0, f1, ...). */
static void t_small_model(struct model *m, uint32_t nf, const char *const *names,
			  uint64_t seed)
{
	struct model_params p;
	char err[512] = "";

	cr_assert_geq(nf, 4); /* t_target_deep reads features 0..3 of each row */
	float *x = t_rows(400, nf, 0.0, seed);
	float *y = t_target_deep(x, 400, nf, seed + 1);
	struct model_sample s = { .x = x, .y = y, .n = 400, .n_feat = nf, .names = names };

	t_params(&p, 3, 3);
	memset(m, 0, sizeof(*m));
	cr_assert_eq(model_train(m, &p, &s, NULL, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	free(x);
	free(y);
}

static void t_meta_fill(struct model_meta *md, const char *target, const char *sym,
			const char *tick)
{
	memset(md, 0, sizeof(*md));
	snprintf(md->target, sizeof(md->target), "%s", target);
	snprintf(md->weight, sizeof(md->weight), "uniq");
	snprintf(md->symbol, sizeof(md->symbol), "%s", sym);
	snprintf(md->tick, sizeof(md->tick), "%s", tick);
	snprintf(md->params, sizeof(md->params), "objective=binary:logistic eta=0.1");
	sha256_hex(md->params, strlen(md->params), md->params_sha256);
	snprintf(md->features_file, sizeof(md->features_file), "data/f.csv");
	snprintf(md->labels_file, sizeof(md->labels_file), "data/l.csv");
	memset(md->features_sha256, 'a', 64);
	memset(md->labels_sha256, 'b', 64);
}

Test(model, metadata_round_trips_through_save_and_load)
{
	struct model m, r;
	struct model_meta md;
	char err[512] = "";
	const char *path = t_tmp_path("meta.json"), *bare = t_tmp_path("bare.json");

	t_small_model(&m, 5, NULL, 41);
	cr_assert_eq(m.meta.version, 0, "a freshly trained model records nothing yet");
	cr_assert_eq(model_save(&m, bare, err, sizeof(err)), 0, "%s", err);
	t_meta_fill(&md, "meta", "WIN", "5");
	cr_assert_eq(model_meta_set(&m, &md, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(model_save(&m, path, err, sizeof(err)), 0, "%s", err);

	/* through model_load */
	memset(&r, 0, sizeof(r));
	cr_assert_eq(model_load(&r, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.meta.version, MODEL_META_VERSION);
	cr_assert_str_eq(r.meta.target, "meta");
	cr_assert_str_eq(r.meta.weight, "uniq");
	cr_assert_str_eq(r.meta.symbol, "WIN");
	cr_assert_str_eq(r.meta.tick, "5");
	cr_assert_str_eq(r.meta.params, md.params);
	cr_assert_str_eq(r.meta.params_sha256, md.params_sha256);
	cr_assert_str_eq(r.meta.features_file, "data/f.csv");
	cr_assert_str_eq(r.meta.labels_file, "data/l.csv");
	cr_assert_str_eq(r.meta.features_sha256, md.features_sha256);
	cr_assert_str_eq(r.meta.labels_sha256, md.labels_sha256);
	cr_assert_str_eq(r.feat_names[4], "f4");
	model_close(&r);

	/* through XGBoost's own load: the attributes and names survive
	 * XGBoosterLoadModel, no code of ours in between */
	BoosterHandle b = NULL;
	const char *v = NULL, **fn = NULL;
	int ok = 0;
	bst_ulong nfn = 0;
	cr_assert_eq(XGBoosterCreate(NULL, 0, &b), 0);
	cr_assert_eq(XGBoosterLoadModel(b, path), 0, "%s", XGBGetLastError());
	cr_assert_eq(XGBoosterGetAttr(b, "dm_target", &v, &ok), 0);
	cr_assert(ok && v && !strcmp(v, "meta"));
	cr_assert_eq(XGBoosterGetAttr(b, "dm_params_sha256", &v, &ok), 0);
	cr_assert(ok && v && !strcmp(v, md.params_sha256));
	cr_assert_eq(XGBoosterGetStrFeatureInfo(b, "feature_name", &nfn, &fn), 0);
	cr_assert_eq(nfn, 5);
	cr_assert_str_eq(fn[2], "f2");
	XGBoosterFree(b);

	/* a model saved before the record was set has none */
	memset(&r, 0, sizeof(r));
	cr_assert_eq(model_load(&r, bare, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.meta.version, 0);
	cr_assert_str_eq(r.meta.target, "");
	model_close(&r);
	model_close(&m);

	/* the parameter text: every field, equal parameters equal text */
	struct model_params p, q;
	char a[MODEL_META_TEXT_MAX], c[MODEL_META_TEXT_MAX];
	model_params_default(&p);
	q = p;
	model_params_text(&p, a, sizeof(a));
	model_params_text(&q, c, sizeof(c));
	cr_assert_str_eq(a, c);
	cr_assert(strstr(a, "objective=binary:logistic ") && strstr(a, " eta=0.10000000000000001 ") &&
		  strstr(a, " max_depth=6 ") && strstr(a, " embargo_frac=0"), "%s", a);
	q.lambda = 2;
	model_params_text(&q, c, sizeof(c));
	cr_assert_str_neq(a, c);
}

static const struct model_live t_live = {
	.target = MODEL_LIVE_TARGET, .n_feat = FEAT_N, .feat_names = feat_names,
	.symbol = "WIN", .tick = 5.0,
};

Test(model, live_check_refuses_another_target_feature_set_or_no_record)
{
	struct model m;
	struct model_meta md;
	char err[512] = "", why[512];

	t_small_model(&m, FEAT_N, feat_names, 43);
	/* nothing recorded: refused, retrain */
	cr_assert_eq(model_check_live(&m, &t_live, why, sizeof(why)), -DM_ECONFIG);
	cr_assert(strstr(why, "records no training target") && strstr(why, "retrain"), "%s", why);

	t_meta_fill(&md, "meta", "WIN", "5");
	cr_assert_eq(model_meta_set(&m, &md, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(model_check_live(&m, &t_live, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(why, "");

	/* another instrument, or none recorded: a warning, not a refusal */
	t_meta_fill(&md, "meta", "AAPL", "0.01");
	cr_assert_eq(model_meta_set(&m, &md, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(model_check_live(&m, &t_live, why, sizeof(why)), MODEL_CHECK_WARN);
	cr_assert(strstr(why, "trained on AAPL tick 0.01") && strstr(why, "trades WIN tick 5"),
		  "%s", why);
	t_meta_fill(&md, "meta", "WIN", "0.5");
	cr_assert_eq(model_meta_set(&m, &md, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(model_check_live(&m, &t_live, why, sizeof(why)), MODEL_CHECK_WARN);
	t_meta_fill(&md, "meta", "", "");
	cr_assert_eq(model_meta_set(&m, &md, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(model_check_live(&m, &t_live, why, sizeof(why)), MODEL_CHECK_WARN);
	cr_assert(strstr(why, "records no instrument"), "%s", why);

	/* another target: refused, the fix named */
	t_meta_fill(&md, "label", "WIN", "5");
	cr_assert_eq(model_meta_set(&m, &md, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(model_check_live(&m, &t_live, why, sizeof(why)), -DM_ECONFIG);
	cr_assert(strstr(why, "target 'label'") && strstr(why, "--target meta"), "%s", why);
	model_close(&m);

	/* another feature set: a renamed column, or another count */
	const char *names[FEAT_N];
	for (uint32_t j = 0; j < FEAT_N; j++)
		names[j] = feat_names[j];
	names[3] = "ofi_x";
	t_small_model(&m, FEAT_N, names, 45);
	t_meta_fill(&md, "meta", "WIN", "5");
	cr_assert_eq(model_meta_set(&m, &md, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(model_check_live(&m, &t_live, why, sizeof(why)), -DM_ECONFIG);
	cr_assert(strstr(why, "feature 3 is 'ofi_x'") && strstr(why, "'ofi_1'"), "%s", why);
	model_close(&m);
	t_small_model(&m, 6, NULL, 47);
	cr_assert_eq(model_meta_set(&m, &md, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(model_check_live(&m, &t_live, why, sizeof(why)), -DM_ECONFIG);
	cr_assert(strstr(why, "has 6 features") && strstr(why, "has 27"), "%s", why);
	model_close(&m);
}

/* ------------------------------------------------------------ dm-train and the live strategy */

/*
 * A features CSV with the live header (t_ns and the 27 names) and a labels
 * CSV as dm-label --primary-from-config writes it (t0_idx, t0_ns, t1_idx,
 * t1_ns, label, barrier, ret, side, meta, uniq, w_ret).  meta follows
 * imb_1 + 0.5 micro_dev, label follows -ofi_1: the two targets are
 * different functions of the features.  When shuffle, the meta column is
 * permuted (Fisher-Yates) so it carries nothing.  const_col >= 0 holds
 * that column at 0.
 */
static void t_live_csvs(const char *fpath, const char *lpath, int rows, int shuffle,
			int const_col)
{
	struct t_rng g;
	FILE *f = fopen(fpath, "w"), *l = fopen(lpath, "w");
	int *meta = malloc((size_t)rows * sizeof(int)), *lab = malloc((size_t)rows * sizeof(int));
	double *uq = malloc((size_t)rows * sizeof(double));

	cr_assert(f && l && meta && lab && uq);
	t_rng_seed(&g, 300);
	fprintf(f, "t_ns");
	for (uint32_t j = 0; j < FEAT_N; j++)
		fprintf(f, ",%s", feat_names[j]);
	fputc('\n', f);
	for (int r = 0; r < rows; r++) {
		double x[FEAT_N] = { 0 };
		for (uint32_t j = 0; j < FEAT_N; j++)
			x[j] = (int)j == const_col ? 0 : t_normal(&g);
		fprintf(f, "%d", 1000 + r);
		for (uint32_t j = 0; j < FEAT_N; j++)
			fprintf(f, ",%.9g", x[j]);
		fputc('\n', f);
		meta[r] = x[FEAT_IMB_1] + 0.5 * x[FEAT_MICRO_DEV] + 0.3 * t_normal(&g) > 0;
		lab[r] = -x[FEAT_OFI_1] + 0.3 * t_normal(&g) > 0 ? 1 : -1;
		uq[r] = 0.25 + 0.75 * t_unif(&g);
	}
	for (int r = rows - 1; shuffle && r > 0; r--) {
		int k = (int)t_rng_below(&g, (uint64_t)r + 1), t = meta[r];
		meta[r] = meta[k];
		meta[k] = t;
	}
	fprintf(l, "t0_idx,t0_ns,t1_idx,t1_ns,label,barrier,ret,side,meta,uniq,w_ret\n");
	for (int r = 0; r < rows; r++) {
		int t1 = r + 3 < rows ? r + 3 : rows - 1;
		fprintf(l, "%d,%d,%d,%d,%d,pt,0.001,1,%d,%.6f,1\n", r, 1000 + r, t1, 1000 + t1,
			lab[r], meta[r], uq[r]);
	}
	fclose(f);
	fclose(l);
	free(meta);
	free(lab);
	free(uq);
}

/* The whole file into a malloc'd buffer; *len its size. */
static char *t_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;

	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	b = malloc(*len + 1);
	cr_assert_not_null(b);
	cr_assert_eq(fread(b, 1, *len, f), *len);
	b[*len] = '\0';
	fclose(f);
	return b;
}

Test(model, dm_train_defaults_to_the_live_target_and_uniqueness_weights)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	char fpath[128], lpath[128], a[128], b[128], c[128], errp[128];

	snprintf(fpath, sizeof(fpath), "%s", t_tmp_path("f.csv"));
	snprintf(lpath, sizeof(lpath), "%s", t_tmp_path("l.csv"));
	snprintf(a, sizeof(a), "%s", t_tmp_path("a.json"));
	snprintf(b, sizeof(b), "%s", t_tmp_path("b.json"));
	snprintf(c, sizeof(c), "%s", t_tmp_path("c.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	t_live_csvs(fpath, lpath, 2000, 0, -1);

	const char *d[] = { "--features", fpath, "--labels", lpath, "--output", a, "--rounds",
			    "10", "--quiet", NULL };
	const char *e[] = { "--features", fpath, "--labels", lpath, "--output", b, "--rounds",
			    "10", "--target", "meta", "--weight-col", "uniq", "--quiet", NULL };
	const char *l[] = { "--features", fpath, "--labels", lpath, "--output", c, "--rounds",
			    "10", "--target", "label", "--weight-col", "uniq", "--quiet", NULL };
	cr_assert_eq(t_run(errp, d), 0);
	cr_assert_eq(t_run(errp, e), 0);
	cr_assert_eq(t_run(errp, l), 0);
	size_t na, nb, nc;
	char *ja = t_slurp(a, &na), *jb = t_slurp(b, &nb), *jc = t_slurp(c, &nc);
	/* the default is exactly --target meta --weight-col uniq, and another
	 * target is another model */
	cr_assert(na == nb && !memcmp(ja, jb, na), "default != --target meta --weight-col uniq");
	cr_assert(na != nc || memcmp(ja, jc, na));
	free(ja);
	free(jb);
	free(jc);

	struct model m;
	char err[512];
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load(&m, a, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(m.meta.target, "meta");
	cr_assert_str_eq(m.meta.weight, "uniq");
	model_close(&m);

	/* no meta column and no --target: refused with the way out */
	t_write_file(lpath, "t0_idx,label\n0,1\n2,-1\n4,1\n");
	cr_assert_eq(t_run(errp, d), 2);
	cr_assert(t_file_has(errp, "no column 'meta'") && t_file_has(errp, "--target label"));
}

Test(model, dm_train_records_instrument_parameters_and_data_digests)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	char fpath[128], lpath[128], out[128], met[128], errp[128], h[SHA256_HEX];

	snprintf(fpath, sizeof(fpath), "%s", t_tmp_path("f.csv"));
	snprintf(lpath, sizeof(lpath), "%s", t_tmp_path("l.csv"));
	snprintf(out, sizeof(out), "%s", t_tmp_path("m.json"));
	snprintf(met, sizeof(met), "%s", t_tmp_path("m.metrics.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	t_live_csvs(fpath, lpath, 1500, 0, -1);
	const char *a1[] = { "--features", fpath, "--labels", lpath, "--output", out, "--rounds",
			     "8", "--symbol", "WIN", "--tick", "5", "--quiet", NULL };
	cr_assert_eq(t_run(errp, a1), 0);

	struct model m;
	char err[512];
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load(&m, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.meta.version, MODEL_META_VERSION);
	cr_assert_str_eq(m.meta.symbol, "WIN");
	cr_assert_str_eq(m.meta.tick, "5");
	cr_assert_str_eq(m.meta.features_file, fpath);
	cr_assert_str_eq(m.meta.labels_file, lpath);
	t_sha256sum(fpath, h);
	cr_assert_str_eq(m.meta.features_sha256, h);
	t_sha256sum(lpath, h);
	cr_assert_str_eq(m.meta.labels_sha256, h);
	/* the parameter digest is of the recorded text, which names the
	 * options given */
	cr_assert(strstr(m.meta.params, " n_rounds=8 "), "%s", m.meta.params);
	const char *ptxt = t_tmp_path("params.txt");
	t_write_file(ptxt, m.meta.params);
	t_sha256sum(ptxt, h);
	cr_assert_str_eq(m.meta.params_sha256, h);
	char first[SHA256_HEX];
	snprintf(first, sizeof(first), "%s", m.meta.params_sha256);
	model_close(&m);

	/* the metrics file carries the same record */
	json_error_t je;
	json_t *j = json_load_file(met, 0, &je), *md;
	cr_assert_not_null(j, "%s", je.text);
	md = json_object_get(j, "metadata");
	cr_assert_str_eq(json_string_value(json_object_get(md, "target")), "meta");
	cr_assert_str_eq(json_string_value(json_object_get(md, "symbol")), "WIN");
	cr_assert_str_eq(json_string_value(json_object_get(md, "params_sha256")), first);
	json_decref(j);

	/* other parameters, another digest; an instrument needs both halves */
	const char *a2[] = { "--features", fpath, "--labels", lpath, "--output", out, "--rounds",
			     "8", "--eta", "0.2", "--quiet", NULL };
	cr_assert_eq(t_run(errp, a2), 0);
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load(&m, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_neq(m.meta.params_sha256, first);
	cr_assert_str_eq(m.meta.symbol, "");
	model_close(&m);
	const char *a3[] = { "--features", fpath, "--labels", lpath, "--output", out, "--symbol",
			     "WIN", NULL };
	cr_assert_eq(t_run(errp, a3), 2);
}

/*
 * The ml agent's check (ag_ml_model_check, the function its start-up and
 * reload-model run) on models dm-train wrote: the live target passes, a
 * model trained on the direction label is refused and the text says why,
 * a model without the record (an older file) is refused with "retrain".
 */
Test(model, ml_agent_refuses_a_model_trained_on_another_target)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	char fpath[128], lpath[128], good[128], other[128], old[128], errp[128], why[768];
	struct dm_config cfg;
	struct flat *f = NULL;

	snprintf(fpath, sizeof(fpath), "%s", t_tmp_path("f.csv"));
	snprintf(lpath, sizeof(lpath), "%s", t_tmp_path("l.csv"));
	snprintf(good, sizeof(good), "%s", t_tmp_path("good.json"));
	snprintf(other, sizeof(other), "%s", t_tmp_path("label.json"));
	snprintf(old, sizeof(old), "%s", t_tmp_path("old.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	t_live_csvs(fpath, lpath, 1500, 0, -1);
	config_defaults(&cfg);   /* WIN, tick 5, the live strategy */

	const char *g[] = { "--features", fpath, "--labels", lpath, "--output", good,
			    "--rounds", "8", "--symbol", "WIN", "--tick", "5", "--quiet", NULL };
	const char *o[] = { "--features", fpath, "--labels", lpath, "--output", other,
			    "--rounds", "8", "--symbol", "WIN", "--tick", "5", "--target",
			    "label", "--quiet", NULL };
	cr_assert_eq(t_run(errp, g), 0);
	cr_assert_eq(t_run(errp, o), 0);

	cr_assert_eq(ag_ml_model_check(&cfg, good, &f, why, sizeof(why)), 0, "%s", why);
	cr_assert_not_null(f);
	cr_assert(strstr(why, "target meta, 27 features"), "%s", why);
	flat_free(f);
	f = NULL;

	cr_assert_eq(ag_ml_model_check(&cfg, other, &f, why, sizeof(why)), -DM_ECONFIG);
	cr_assert_null(f, "a refused model is never handed out");
	cr_assert(strstr(why, other) && strstr(why, "trained on target 'label'") &&
		  strstr(why, "--target meta"), "%s", why);

	/* the same trees without the record: an older model file */
	json_error_t je;
	json_t *j = json_load_file(good, 0, &je), *attr;
	cr_assert_not_null(j, "%s", je.text);
	attr = json_object_get(json_object_get(j, "learner"), "attributes");
	cr_assert_not_null(json_object_get(attr, "dm_target"));
	const char *key;
	json_t *val;
	void *tmp;
	json_object_foreach_safe(attr, tmp, key, val)
		if (!strncmp(key, "dm_", 3))
			json_object_del(attr, key);
	cr_assert_eq(json_dump_file(j, old, 0), 0);
	json_decref(j);
	cr_assert_eq(ag_ml_model_check(&cfg, old, &f, why, sizeof(why)), -DM_ECONFIG);
	cr_assert(strstr(why, "records no training target") && strstr(why, "retrain"), "%s", why);

	/* another instrument configured: traded, with a warning */
	snprintf(cfg.instrument.symbol, sizeof(cfg.instrument.symbol), "AAPL");
	cfg.instrument.tick_size_e6 = 10000;
	cr_assert_eq(ag_ml_model_check(&cfg, good, &f, why, sizeof(why)), MODEL_CHECK_WARN);
	cr_assert_not_null(f);
	cr_assert(strstr(why, "target meta, 27 features") && strstr(why, "; WARNING: ") &&
		  strstr(why, "trained on WIN tick 5") && strstr(why, "AAPL tick 0.01"), "%s", why);
	flat_free(f);
}

Test(model, dm_train_warns_when_the_holdout_auc_is_near_one_half)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	char fpath[128], lpath[128], out[128], met[128], errp[128];

	snprintf(fpath, sizeof(fpath), "%s", t_tmp_path("f.csv"));
	snprintf(lpath, sizeof(lpath), "%s", t_tmp_path("l.csv"));
	snprintf(out, sizeof(out), "%s", t_tmp_path("m.json"));
	snprintf(met, sizeof(met), "%s", t_tmp_path("m.metrics.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	const char *a[] = { "--features", fpath, "--labels", lpath, "--output", out, "--rounds",
			    "20", "--holdout", "0.5", "--quiet", NULL };

	/* shuffled meta-labels: nothing to learn.  10000 hold-out rows put
	 * the AUC of a chance ranking within 0.02 of 0.5 with 3.4 standard
	 * deviations (sd = sqrt((P + N + 1) / (12 P N)) = 0.0058) */
	t_live_csvs(fpath, lpath, 20000, 1, -1);
	cr_assert_eq(t_run(errp, a), 0);
	json_error_t je;
	json_t *j = json_load_file(met, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	double auc = json_real_value(json_object_get(json_object_get(j, "holdout"), "auc"));
	cr_assert_leq(fabs(auc - 0.5), MODEL_AUC_CHANCE_BAND, "AUC %g", auc);
	cr_assert(json_is_true(json_object_get(j, "auc_near_chance")));
	json_decref(j);
	cr_assert(t_file_has(errp, "WARNING: hold-out AUC"), "no warning on stderr");
	cr_assert(t_file_has(errp, "within 0.02 of 0.5"));

	/* the same features with the real meta-labels: no warning */
	t_live_csvs(fpath, lpath, 20000, 0, -1);
	cr_assert_eq(t_run(errp, a), 0);
	j = json_load_file(met, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	auc = json_real_value(json_object_get(json_object_get(j, "holdout"), "auc"));
	cr_assert_gt(auc, 0.8, "AUC %g", auc);
	cr_assert(json_is_false(json_object_get(j, "auc_near_chance")));
	json_decref(j);
	cr_assert(!t_file_has(errp, "WARNING"), "a warning on a learnable target");
}

Test(model, dm_train_warns_on_a_constant_feature)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	char fpath[128], lpath[128], out[128], met[128], errp[128];

	snprintf(fpath, sizeof(fpath), "%s", t_tmp_path("f.csv"));
	snprintf(lpath, sizeof(lpath), "%s", t_tmp_path("l.csv"));
	snprintf(out, sizeof(out), "%s", t_tmp_path("m.json"));
	snprintf(met, sizeof(met), "%s", t_tmp_path("m.metrics.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	t_live_csvs(fpath, lpath, 1500, 0, FEAT_OFI_2);
	const char *a[] = { "--features", fpath, "--labels", lpath, "--output", out, "--rounds",
			    "8", "--quiet", NULL };
	cr_assert_eq(t_run(errp, a), 0);
	cr_assert(t_file_has(errp, "WARNING: 1 of 27 feature columns are constant"));
	cr_assert(t_file_has(errp, "cannot use them: ofi_2 ("));
	json_error_t je;
	json_t *j = json_load_file(met, 0, &je), *c;
	cr_assert_not_null(j, "%s", je.text);
	c = json_object_get(j, "constant_features");
	cr_assert_eq(json_array_size(c), 1);
	cr_assert_str_eq(json_string_value(json_array_get(c, 0)), "ofi_2");
	json_decref(j);

	/* every column varies: no such warning, an empty list */
	t_live_csvs(fpath, lpath, 1500, 0, -1);
	cr_assert_eq(t_run(errp, a), 0);
	cr_assert(!t_file_has(errp, "constant"));
	j = json_load_file(met, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	cr_assert_eq(json_array_size(json_object_get(j, "constant_features")), 0);
	json_decref(j);
}

/* Run dm-<name> of this build with args; stderr into err_path. */
static int t_run_bin(const char *name, const char *err_path, const char *const *args)
{
	char bin[PATH_MAX + 64], *argv[40];
	int k = 0, st;
	pid_t pid;

	cr_assert(t_have_tool());
	snprintf(bin, sizeof(bin), "%.*s/dm-%s", (int)(strrchr(t_tool, '/') - t_tool), t_tool,
		 name);
	argv[k++] = bin;
	for (; *args && k < 39; args++)
		argv[k++] = (char *)*args;
	argv[k] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (!freopen(err_path, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(bin, argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * The research chain with no target or weight named: a generated WIN
 * market, dm-features, dm-label --primary-from-config, dm-train.  The
 * model it gives is one the ml agent's check accepts without a warning
 * (target meta, the 27 live features, WIN tick 5), trained on uniq.
 */
Test(model, label_from_config_then_train_defaults_give_what_the_agent_trades,
     .timeout = 120)
{
	char j[128], fe[128], la[128], mo[128], errp[128], why[768];
	struct dm_config cfg;
	struct flat *f = NULL;

	snprintf(j, sizeof(j), "%s", t_tmp_path("m.journal"));
	snprintf(fe, sizeof(fe), "%s", t_tmp_path("features.csv"));
	snprintf(la, sizeof(la), "%s", t_tmp_path("labels.csv"));
	snprintf(mo, sizeof(mo), "%s", t_tmp_path("model.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	const char *g[] = { "--seed", "5", "--events", "40000", "--output", j, "--quiet", NULL };
	const char *ft[] = { "--input", j, "--output", fe, "--quiet", NULL };
	const char *lb[] = { "--input", fe, "--output", la, "--primary-from-config", "--quiet",
			     NULL };
	const char *tr[] = { "--features", fe, "--labels", la, "--output", mo, "--symbol", "WIN",
			     "--tick", "5", "--rounds", "20", "--quiet", NULL };
	cr_assert_eq(t_run_bin("gen", errp, g), 0);
	cr_assert_eq(t_run_bin("features", errp, ft), 0);
	cr_assert_eq(t_run_bin("label", errp, lb), 0);
	cr_assert(!t_file_has(errp, "WARNING"), "dm-label warned on a sized market");
	cr_assert_eq(t_run_bin("train", errp, tr), 0);

	config_defaults(&cfg);
	cr_assert_eq(ag_ml_model_check(&cfg, mo, &f, why, sizeof(why)), 0, "%s", why);
	flat_free(f);
	struct model m;
	char err[512];
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load(&m, mo, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(m.meta.target, "meta");
	cr_assert_str_eq(m.meta.weight, "uniq");
	model_close(&m);
}

/* model_train's constant columns: all NaN, +0 and -0, one value; a
 * column that differs in its last row is not constant. */
Test(model, training_reports_constant_columns)
{
	struct model m;
	struct model_params p;
	struct model_metrics *met = calloc(1, sizeof(*met));
	const uint32_t nf = 6;
	float *x = t_rows(300, nf, 0.0, 51), *y = t_target_deep(x, 300, nf, 52);
	const char *names[] = { "a", "nan", "zero", "b", "seven", "late" };

	cr_assert_not_null(met);
	for (size_t i = 0; i < 300; i++) {
		x[i * nf + 1] = NAN;
		x[i * nf + 2] = i % 2 ? 0.0f : -0.0f;
		x[i * nf + 4] = 7.0f;
		x[i * nf + 5] = i == 299 ? 1.0f : 3.0f;
	}
	struct model_sample s = { .x = x, .y = y, .n = 300, .n_feat = nf, .names = names };
	char err[512] = "";
	t_params(&p, 3, 3);
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_train(&m, &p, &s, NULL, NULL, met, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(met->n_const, 3);
	cr_assert_str_eq(met->const_names[0], "nan");
	cr_assert_str_eq(met->const_names[1], "zero");
	cr_assert_str_eq(met->const_names[2], "seven");
	model_close(&m);
	free(met);
	free(x);
	free(y);
}

/* ------------------------------------------------------------ random forest */

/* n rows of nf N(0,1) features (2% NaN); y = x0 > 0.3, one label in ten
 * flipped (a missing x0 counts as 0). */
static void t_forest_data(size_t n, uint32_t nf, float **px, float **py, uint64_t seed)
{
	struct t_rng g;
	float *x = t_rows(n, nf, 0.02, seed), *y = malloc(n * sizeof(float));

	cr_assert_not_null(y);
	t_rng_seed(&g, seed + 1);
	for (size_t i = 0; i < n; i++) {
		int up = t_val(x + i * nf, 0) > 0.3;

		y[i] = (float)(t_unif(&g) < 0.1 ? !up : up);
	}
	*px = x;
	*py = y;
}

static void t_forest_params(struct model_params *p, uint32_t trees, uint32_t depth)
{
	model_params_default(p);
	model_params_kind(p, MODEL_KIND_RF);
	p->num_parallel_tree = trees;
	p->max_depth = depth;
	p->max_bin = 64;           /* at most 63 thresholds a feature: binned tables */
	p->nthread = 1;
}

/* The model's JSON, parsed (an independent reading of what XGBoost wrote). */
static json_t *t_model_doc(const struct model *m)
{
	const char *js = NULL;
	size_t len = 0;
	char err[256];
	json_error_t je;
	json_t *root;

	cr_assert_eq(model_json(m, &js, &len, err, sizeof(err)), 0, "%s", err);
	root = json_loadb(js, len, 0, &je);
	cr_assert_not_null(root, "%s", je.text);
	return root;
}

static json_t *t_gbtree(json_t *root)
{
	return json_object_get(json_object_get(json_object_get(root, "learner"),
					       "gradient_booster"), "model");
}

/* AUC as the share of (positive, negative) pairs ranked right, ties one
 * half: the O(n^2) definition. */
static double t_auc_pairs(const float *p, const float *y, size_t n)
{
	double right = 0, pairs = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (y[i] > 0.5f && y[j] < 0.5f) {
				pairs += 1;
				right += p[i] > p[j] ? 1.0 : p[i] == p[j] ? 0.5 : 0.0;
			}
	return right / pairs;
}

/*
 * Every row's flat margins against XGBoost's, both evaluations: the one
 * flat_margin picks on this CPU (binned when the block has the tables and
 * the CPU AVX-512 VBMI) and the key walk (a copy of the block with the
 * binned tables switched off).  Returns the largest |difference|; counts
 * outputs where both are bit-equal to XGBoost's.
 */
static double t_compare_rows(const struct flat *f, const struct model *m, const float *x,
			     size_t n, size_t *exact)
{
	float *a = malloc(n * m->n_out * sizeof(float));
	float *b = malloc(n * m->n_out * sizeof(float));
	float *c = malloc(n * m->n_out * sizeof(float));
	struct flat *keys = aligned_alloc(64, f->size);
	char err[512] = "";
	double worst = 0;

	cr_assert(a && b && c && keys);
	memcpy(keys, f, f->size);
	keys->quant = 0;
	cr_assert_eq(model_predict(m, x, n, 1, a, err, sizeof(err)), 0, "%s", err);
	flat_margin_batch(f, x, n, b);
	flat_margin_batch(keys, x, n, c);
	*exact = 0;
	for (size_t i = 0; i < n * m->n_out; i++) {
		double d = fabs((double)a[i] - (double)b[i]), e = fabs((double)a[i] - (double)c[i]);

		cr_assert(!isnan(d) && !isnan(e), "output %zu: NaN", i);
		worst = fmax(worst, fmax(d, e));
		*exact += a[i] == b[i] && a[i] == c[i];
	}
	free(keys);
	free(a);
	free(b);
	free(c);
	return worst;
}

Test(model, forest_learns_a_threshold_and_flat_equals_xgboost_on_every_row)
{
	struct model_params p;
	struct model m;
	struct model_metrics *met = calloc(1, sizeof(*met));
	size_t n = 4000, nh = 800, exact;
	float *x, *y, *pr = malloc(nh * sizeof(float));
	char err[512] = "";

	cr_assert(met && pr);
	t_forest_data(n, 6, &x, &y, 300);
	t_forest_params(&p, 60, 5);
	t_train(&m, &p, x, y, n, 6, met);

	/* one round of 60 trees, as XGBoost wrote it */
	cr_assert_eq(m.n_rounds, 1);
	cr_assert_eq(m.n_trees, 60);
	cr_assert_eq(m.n_parallel, 60);
	cr_assert_eq(met->rounds_run, 1);
	cr_assert_eq(met->n_trees, 60);
	json_t *doc = t_model_doc(&m), *gm = t_gbtree(doc);
	cr_assert_eq(json_array_size(json_object_get(gm, "trees")), 60);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(gm,
			 "gbtree_model_param"), "num_parallel_tree")), "60");
	json_decref(doc);

	/* the hold-out is the last 800 rows; its AUC, recomputed from
	 * XGBoost's own probabilities by counting pairs, is far above 0.5
	 * (the flips cap it near 0.9) and is what model_train reported */
	cr_assert_eq(met->n_holdout, nh);
	cr_assert_eq(model_predict(&m, x + (n - nh) * 6, nh, 0, pr, err, sizeof(err)), 0,
		     "%s", err);
	double auc = t_auc_pairs(pr, y + (n - nh), nh);
	cr_assert_gt(auc, 0.8, "hold-out AUC %g", auc);
	cr_assert_float_eq(met->holdout.auc, auc, 1e-9);

	/* the flat block: 60 trees, binned tables built, every row of the
	 * sample (hold-out included) bit-equal to XGBoost both ways */
	struct flat *f = t_flat(&m);
	cr_assert_eq(f->n_trees, 60);
	cr_assert_eq(f->layout, FLAT_PERFECT);
	cr_assert_eq(f->quant, 1, "binned tables expected (depth %u)", f->depth);
	double d = t_compare_rows(f, &m, x, n, &exact);
	cr_assert_leq(d, 1e-6, "max |flat - XGBoost| = %g", d);
	cr_assert_eq(exact, n, "%zu of %zu margins bit-identical", exact, n);
	struct flat_check c;
	cr_assert_eq(flat_verify(f, &m, x, n, 4000, 1e-6, 7, &c, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(c.exact, c.outputs);
	flat_free(f);
	free(pr);
	free(met);
	model_close(&m);
	free(x);
	free(y);
}

Test(model, forest_of_three_classes_flat_equals_xgboost)
{
	struct model_params p;
	struct model m;
	size_t n = 3000, exact;
	float *x, *y;
	char err[512] = "";

	t_forest_data(n, 5, &x, &y, 310);
	for (size_t i = 0; i < n; i++)      /* a third class from x1 */
		if (t_val(x + i * 5, 1) > 0.5)
			y[i] = 2.0f;
	t_forest_params(&p, 20, 4);
	p.objective = MODEL_OBJ_MULTI;
	p.num_class = 3;
	p.base_score = 0.2;
	t_train(&m, &p, x, y, n, 5, NULL);
	cr_assert_eq(m.n_out, 3);
	cr_assert_eq(m.n_trees, 60);

	/* XGBoost lists the forest class by class: 20 trees of class 0, then 1, then 2 */
	json_t *doc = t_model_doc(&m), *info = json_object_get(t_gbtree(doc), "tree_info");
	cr_assert_eq(json_array_size(info), 60);
	for (size_t t = 0; t < 60; t++)
		cr_assert_eq(json_integer_value(json_array_get(info, t)), (json_int_t)(t / 20),
			     "tree %zu", t);
	json_decref(doc);

	struct flat *f = t_flat(&m);
	cr_assert_eq(f->n_trees, 60);
	cr_assert_eq(f->n_out, 3);
	cr_assert_eq(f->quant, 1);
	double d = t_compare_rows(f, &m, x, n, &exact);
	cr_assert_leq(d, 1e-6, "max |flat - XGBoost| = %g", d);
	cr_assert_eq(exact, 3 * n, "%zu of %zu margins bit-identical", exact, 3 * n);
	cr_assert_eq(flat_verify(f, &m, x, n, 4000, 0.0, 9, NULL, err, sizeof(err)), 0, "%s",
		     err);
	flat_free(f);
	model_close(&m);
	free(x);
	free(y);
}

Test(model, forest_size_is_the_tree_count)
{
	static const uint32_t sizes[] = { 1, 7, 33 };
	size_t n = 600, exact;
	float *x, *y;

	t_forest_data(n, 4, &x, &y, 320);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct model_params p;
		struct model m;
		char want[16];

		t_forest_params(&p, sizes[k], 3);
		t_train(&m, &p, x, y, n, 4, NULL);
		cr_assert_eq(m.n_trees, sizes[k]);
		cr_assert_eq(m.n_rounds, 1);
		json_t *doc = t_model_doc(&m), *gm = t_gbtree(doc);
		snprintf(want, sizeof(want), "%u", sizes[k]);
		cr_assert_eq(json_array_size(json_object_get(gm, "trees")), sizes[k]);
		cr_assert_str_eq(json_string_value(json_object_get(json_object_get(gm,
				 "gbtree_model_param"), "num_parallel_tree")), want);
		json_decref(doc);
		struct flat *f = t_flat(&m);
		cr_assert_eq(f->n_trees, sizes[k]);
		cr_assert_leq(t_compare_rows(f, &m, x, n, &exact), 1e-6);
		cr_assert_eq(exact, n);
		flat_free(f);
		model_close(&m);
	}
	free(x);
	free(y);
}

Test(model, flat_refuses_a_tree_count_that_disagrees_with_the_trees)
{
	struct model_params p;
	struct model m;
	float *x, *y;
	char err[512] = "", *txt;

	t_forest_data(400, 4, &x, &y, 330);
	t_forest_params(&p, 5, 3);
	t_train(&m, &p, x, y, 400, 4, NULL);
	json_t *doc = t_model_doc(&m);
	json_object_set_new(json_object_get(t_gbtree(doc), "gbtree_model_param"), "num_trees",
			    json_string("6"));
	txt = json_dumps(doc, JSON_COMPACT);
	cr_assert_not_null(txt);
	cr_assert_eq(flat_memsize(txt, strlen(txt), err, sizeof(err)), 0);
	cr_assert(strstr(err, "num_trees 6, 5 trees"), "%s", err);
	free(txt);
	json_decref(doc);
	model_close(&m);
	free(x);
	free(y);
}

/*
 * A gbdt model is what it was before the forest kind: model_train with the
 * default kind gives byte for byte the model of a booster driven here
 * directly through XGBoost's C API with the parameter list of the
 * gradient-boosting trainer as it stood (no num_parallel_tree, no
 * colsample_bynode), the same rows, rounds, feature names and attributes.
 */
Test(model, gbdt_model_is_byte_for_byte_what_xgboost_gives_the_old_parameters)
{
	struct model_params p;
	struct model m;
	size_t n = 2000, ntr = 1600;
	float *x, *y;
	const char *names[4] = { "f0", "f1", "f2", "f3" }, *v = NULL;
	const char *mine = NULL, *theirs = NULL;
	bst_ulong len_m = 0, len_t = 0;
	DMatrixHandle dm = NULL;
	BoosterHandle b = NULL;
	int ok = 0;

	t_forest_data(n, 4, &x, &y, 340);
	model_params_default(&p);
	p.n_rounds = 25;
	p.early_stopping_rounds = 0;
	p.seed = 3;
	t_train(&m, &p, x, y, n, 4, NULL);

	cr_assert_eq(XGDMatrixCreateFromMat(x, ntr, 4, NAN, &dm), 0);
	cr_assert_eq(XGDMatrixSetFloatInfo(dm, "label", y, ntr), 0);
	cr_assert_eq(XGDMatrixSetStrFeatureInfo(dm, "feature_name", names, 4), 0);
	cr_assert_eq(XGBoosterCreate(&dm, 1, &b), 0);
	static const char *const kv[][2] = {
		{ "objective", "binary:logistic" }, { "eval_metric", "logloss" },
		{ "tree_method", "hist" }, { "max_depth", "6" }, { "max_bin", "256" },
		{ "eta", "0.10000000000000001" }, { "subsample", "0.80000000000000004" },
		{ "colsample_bytree", "0.80000000000000004" }, { "min_child_weight", "1" },
		{ "lambda", "1" }, { "alpha", "0" }, { "gamma", "0" }, { "base_score", "0.5" },
		{ "seed", "3" }, { "nthread", "1" },
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		cr_assert_eq(XGBoosterSetParam(b, kv[i][0], kv[i][1]), 0, "%s", kv[i][0]);
	cr_assert_eq(XGBoosterSetStrFeatureInfo(b, "feature_name", names, 4), 0);
	for (int it = 0; it < 25; it++)
		cr_assert_eq(XGBoosterUpdateOneIter(b, it, dm), 0, "%s", XGBGetLastError());
	cr_assert_eq(XGBoosterGetAttr(m.booster, "best_iteration", &v, &ok), 0);
	cr_assert(ok && !strcmp(v, "24"), "best_iteration %s", v);
	cr_assert_eq(XGBoosterSetAttr(b, "best_iteration", v), 0);
	cr_assert_eq(XGBoosterGetAttr(m.booster, "best_score", &v, &ok), 0);
	cr_assert(ok);
	cr_assert_eq(XGBoosterSetAttr(b, "best_score", v), 0);

	cr_assert_eq(XGBoosterSaveModelToBuffer(m.booster, "{\"format\":\"json\"}", &len_m,
						&mine), 0);
	char *a = malloc(len_m);
	cr_assert_not_null(a);
	memcpy(a, mine, len_m);
	cr_assert_eq(XGBoosterSaveModelToBuffer(b, "{\"format\":\"json\"}", &len_t, &theirs),
		     0);
	cr_assert_eq(len_m, len_t, "%llu bytes against %llu", (unsigned long long)len_m,
		     (unsigned long long)len_t);
	cr_assert(memcmp(a, theirs, len_m) == 0, "the gbdt model changed");
	free(a);
	XGBoosterFree(b);
	XGDMatrixFree(dm);
	model_close(&m);
	free(x);
	free(y);
}

Test(model, params_text_of_gbdt_only_grows_and_names_the_kind)
{
	/* the text model_params_text gave for the defaults before the kinds
	 * (written out by hand from that format) */
	static const char before[] =
		"objective=binary:logistic num_class=2 max_depth=6 n_rounds=200 "
		"early_stopping_rounds=20 tree_method=hist max_bin=256 nthread=1 seed=0 "
		"eta=0.10000000000000001 subsample=0.80000000000000004 "
		"colsample_bytree=0.80000000000000004 min_child_weight=1 lambda=1 alpha=0 "
		"gamma=0 base_score=0.5 holdout=0.20000000000000001 embargo=0 embargo_frac=0";
	struct model_params p, q;
	char a[MODEL_META_TEXT_MAX], c[MODEL_META_TEXT_MAX], want[MODEL_META_TEXT_MAX];

	model_params_default(&p);
	model_params_text(&p, a, sizeof(a));
	snprintf(want, sizeof(want), "%s kind=gbdt num_parallel_tree=1 colsample_bynode=1",
		 before);
	cr_assert_str_eq(a, want);

	/* gbdt does not use num_parallel_tree: the text shows the 1 XGBoost
	 * trains with, whatever the field holds */
	q = p;
	q.num_parallel_tree = 250;
	model_params_text(&q, c, sizeof(c));
	cr_assert_str_eq(a, c);

	/* a forest: its own text, and its size changes it */
	model_params_kind(&q, MODEL_KIND_RF);
	model_params_text(&q, a, sizeof(a));
	cr_assert(strstr(a, " n_rounds=1 early_stopping_rounds=0 ") && strstr(a, " eta=1 ") &&
		  strstr(a, " colsample_bytree=1 ") &&
		  strstr(a, " kind=rf num_parallel_tree=250 colsample_bynode=0.80000000000000004"),
		  "%s", a);
	q.num_parallel_tree = 100;
	model_params_text(&q, c, sizeof(c));
	cr_assert_str_neq(a, c);
	q.colsample_bynode = 0.5;
	model_params_text(&q, a, sizeof(a));
	cr_assert_str_neq(a, c);
}

Test(model, params_rf_follow_xgboosts_recipe)
{
	struct model_params p, q;
	char err[256];

	model_params_default(&p);
	cr_assert_eq(p.kind, MODEL_KIND_GBDT);
	cr_assert_eq(p.num_parallel_tree, 100);
	cr_assert_float_eq(p.colsample_bynode, 1.0, 0);
	q = p;
	model_params_kind(&q, MODEL_KIND_RF);
	cr_assert_eq(q.kind, MODEL_KIND_RF);
	cr_assert_eq(q.n_rounds, 1);
	cr_assert_eq(q.early_stopping_rounds, 0);
	cr_assert_float_eq(q.eta, 1.0, 0);
	cr_assert_float_eq(q.subsample, 0.8, 0);
	cr_assert_float_eq(q.colsample_bytree, 1.0, 0);
	cr_assert_float_eq(q.colsample_bynode, 0.8, 0);
	cr_assert_eq(q.num_parallel_tree, 100);
	cr_assert_eq(q.max_depth, p.max_depth, "other fields unchanged");
	cr_assert_float_eq(q.lambda, p.lambda, 0);
	cr_assert_eq(model_params_check(&q, err, sizeof(err)), 0, "%s", err);
	/* and back: the gbdt defaults again */
	model_params_kind(&q, MODEL_KIND_GBDT);
	cr_assert_eq(memcmp(&q, &p, sizeof(p)), 0);

#define T_RF_BAD(stmt, field)                                                   \
	do {                                                                     \
		model_params_default(&q);                                        \
		model_params_kind(&q, MODEL_KIND_RF);                            \
		stmt;                                                            \
		cr_assert_eq(model_params_check(&q, err, sizeof(err)), -EINVAL, #stmt); \
		cr_assert(strstr(err, "model." field ":"), "%s: %s", #stmt, err); \
	} while (0)
	T_RF_BAD(q.n_rounds = 2, "n_rounds");
	T_RF_BAD(q.early_stopping_rounds = 5, "early_stopping_rounds");
	T_RF_BAD(q.eta = 0.3, "eta");
	T_RF_BAD(q.subsample = 1, "subsample");
	T_RF_BAD(q.colsample_bynode = 1, "colsample_bynode");
	T_RF_BAD(q.colsample_bynode = 0, "colsample_bynode");
	T_RF_BAD(q.num_parallel_tree = 0, "num_parallel_tree");
	T_RF_BAD(q.num_parallel_tree = 10001, "num_parallel_tree");
	T_RF_BAD(q.kind = 2, "kind");
#undef T_RF_BAD
	/* gbdt takes any forest size (unused) and a per-split column fraction */
	model_params_default(&q);
	q.num_parallel_tree = 10000;
	q.colsample_bynode = 0.5;
	cr_assert_eq(model_params_check(&q, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(model_kind_parse("rf"), MODEL_KIND_RF);
	cr_assert_eq(model_kind_parse("gbdt"), MODEL_KIND_GBDT);
	cr_assert_eq(model_kind_parse("forest"), -1);
	cr_assert_str_eq(model_kind_name(MODEL_KIND_RF), "rf");
}

/* model_params_load of text over the defaults; the file's path in path. */
static int t_yaml(const char *text, struct model_params *p, char *err, size_t n, char *path)
{
	snprintf(path, 256, "%s", t_tmp_path("model.yaml"));
	t_write_file(path, text);
	model_params_default(p);
	return model_params_load(path, p, err, n);
}

Test(model, yaml_kind_rf_takes_the_forest_defaults)
{
	struct model_params p, want;
	char err[512] = "", path[256];

	cr_assert_eq(t_yaml("kind: rf\n", &p, err, sizeof(err), path), 0, "%s", err);
	model_params_default(&want);
	model_params_kind(&want, MODEL_KIND_RF);
	cr_assert_eq(memcmp(&p, &want, sizeof(p)), 0, "kind: rf alone is the rf defaults");

	cr_assert_eq(t_yaml("max_depth: 4\nkind: rf\nnum_parallel_tree: 250\n"
			    "colsample_bynode: 0.5\nsubsample: 0.6\n", &p, err, sizeof(err), path),
		     0, "%s", err);
	cr_assert_eq(p.kind, MODEL_KIND_RF);
	cr_assert_eq(p.num_parallel_tree, 250);
	cr_assert_eq(p.max_depth, 4);
	cr_assert_eq(p.n_rounds, 1);
	cr_assert_float_eq(p.eta, 1.0, 0);
	cr_assert_float_eq(p.colsample_bynode, 0.5, 1e-15);
	cr_assert_float_eq(p.subsample, 0.6, 1e-15);
	cr_assert_float_eq(p.colsample_bytree, 1.0, 0);

	/* gbdt may sample columns per split too */
	cr_assert_eq(t_yaml("colsample_bynode: 0.7\n", &p, err, sizeof(err), path), 0, "%s", err);
	cr_assert_eq(p.kind, MODEL_KIND_GBDT);
	cr_assert_float_eq(p.colsample_bynode, 0.7, 1e-15);
	cr_assert_eq(p.n_rounds, 200);

	/* the bundled file is the gbdt defaults; switched to rf the way its
	 * comments say (kind: rf, the "kind gbdt" block deleted, the "kind
	 * rf" block uncommented) it is the rf defaults */
	FILE *f = fopen("conf/model.yaml", "r");
	cr_assert_not_null(f, "conf/model.yaml (run from the repository root)");
	static char text[1 << 14], line[512];
	size_t k = 0;
	int block = 0;          /* 1 in the gbdt block, 2 in the rf block */
	text[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "# ---- kind gbdt"))
			block = 1;
		else if (strstr(line, "# ---- kind rf"))
			block = 2;
		else if (strncmp(line, "# ----", 6) == 0)
			block = 0;
		if (!strcmp(line, "kind: gbdt\n"))
			snprintf(line, sizeof(line), "kind: rf\n");
		if (block == 1 && line[0] != '#')
			continue;
		/* "# key: value" -> "key: value" (a comment's words are not
		 * followed by ": ") */
		size_t w = strspn(line + 2, "abcdefghijklmnopqrstuvwxyz_");
		int is_key = !strncmp(line, "# ", 2) && w && !strncmp(line + 2 + w, ": ", 2);
		k += (size_t)snprintf(text + k, sizeof(text) - k, "%s",
				      block == 2 && is_key ? line + 2 : line);
	}
	fclose(f);
	cr_assert(strstr(text, "\nnum_parallel_tree: 100\n"), "%s", text);
	cr_assert_eq(t_yaml(text, &p, err, sizeof(err), path), 0, "%s\n%s", err, text);
	model_params_default(&want);
	model_params_kind(&want, MODEL_KIND_RF);
	cr_assert_eq(p.kind, want.kind);
	cr_assert_eq(p.n_rounds, 1);
	cr_assert_eq(p.early_stopping_rounds, 0);
	cr_assert_eq(p.num_parallel_tree, 100);
	cr_assert_float_eq(p.eta, 1.0, 0);
	cr_assert_float_eq(p.colsample_bynode, 0.8, 1e-15);
	cr_assert_float_eq(p.colsample_bytree, 1.0, 1e-15);
	cr_assert_eq(model_params_check(&p, err, sizeof(err)), 0, "%s", err);
	model_params_default(&p);
	cr_assert_eq(model_params_load("conf/model.yaml", &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.kind, MODEL_KIND_GBDT);
	cr_assert_float_eq(p.colsample_bynode, 1.0, 0);
}

Test(model, yaml_refuses_keys_the_kind_does_not_use_and_rf_without_sampling)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "kind: rf\nrounds: 50\n", ":2:1: key 'rounds': not used by kind rf" },
		{ "kind: rf\neta: 0.3\n", ":2:1: key 'eta': not used by kind rf" },
		{ "early_stopping_rounds: 5\nkind: rf\n",
		  ":1:1: key 'early_stopping_rounds': not used by kind rf" },
		{ "num_parallel_tree: 50\n", ":1:1: key 'num_parallel_tree': not used by kind gbdt" },
		{ "kind: gbdt\nmax_depth: 3\nnum_parallel_tree: 50\n",
		  ":3:1: key 'num_parallel_tree': not used by kind gbdt" },
		{ "kind: rf\nsubsample: 1\n",
		  ":2:1: key 'subsample': 1 with kind rf: each tree needs its own row sample" },
		{ "kind: rf\ncolsample_bynode: 1\n",
		  ":2:1: key 'colsample_bynode': 1 with kind rf" },
		{ "kind: rf\nnum_parallel_tree: 0\n", ":2:1: key 'num_parallel_tree': value 0 out of range" },
		{ "kind: rf\nnum_parallel_tree: 10001\n", "key 'num_parallel_tree': value 10001 out of range" },
		{ "kind: forest\n", "unknown model kind 'forest'" },
		{ "colsample_bynode: 0\n", ":1:1: key 'colsample_bynode': value 0 out of range" },
	};
	struct model_params p, d;
	char err[512], path[256], want[512];

	model_params_default(&d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(t_yaml(cases[i].text, &p, err, sizeof(err), path), -DM_ECONFIG,
			     "accepted: %s", cases[i].text);
		snprintf(want, sizeof(want), "%s%s", cases[i].want[0] == ':' ? path : "",
			 cases[i].want);
		cr_assert(strstr(err, want), "%s\nwant: %s", err, want);
		cr_assert_eq(memcmp(&p, &d, sizeof(p)), 0, "parameters changed on failure");
	}
}

Test(model, dm_train_trains_a_forest_by_option_or_file)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	char fpath[128], lpath[128], out[128], met[128], errp[128], rf[128], gb[128];
	struct model m;
	char err[512];

	snprintf(fpath, sizeof(fpath), "%s", t_tmp_path("f.csv"));
	snprintf(lpath, sizeof(lpath), "%s", t_tmp_path("l.csv"));
	snprintf(out, sizeof(out), "%s", t_tmp_path("m.json"));
	snprintf(met, sizeof(met), "%s", t_tmp_path("m.metrics.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	snprintf(rf, sizeof(rf), "%s", t_tmp_path("rf.yaml"));
	snprintf(gb, sizeof(gb), "%s", t_tmp_path("gb.yaml"));
	t_write_csvs(fpath, lpath);

	/* by option: one round of 30 trees, checked against XGBoost, recorded */
	const char *a1[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--target", "label", "--kind", "rf", "--num-parallel-tree", "30",
			     "--seed", "1", NULL };
	int rc = t_run(errp, a1);
	cr_assert_eq(rc, 0, "dm-train exited %d", rc);
	cr_assert(t_file_has(errp, "random forest: 30 trees, one round of 30 per output"), "summary names the forest");
	json_error_t je;
	json_t *j = json_load_file(met, 0, &je);
	cr_assert_not_null(j, "%s: %s", met, je.text);
	cr_assert_str_eq(json_string_value(json_object_get(j, "kind")), "rf");
	cr_assert_eq(json_integer_value(json_object_get(j, "trees")), 30);
	cr_assert_eq(json_integer_value(json_object_get(j, "rounds_run")), 1);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "params"),
							"num_parallel_tree")), 30);
	double auc = json_real_value(json_object_get(json_object_get(j, "holdout"), "auc"));
	cr_assert_gt(auc, 0.85, "AUC %g", auc);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "flat_check"),
							"rows")), 4000);
	json_decref(j);
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load(&m, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.n_trees, 30);
	cr_assert_eq(m.n_parallel, 30);
	cr_assert(strstr(m.meta.params, " n_rounds=1 early_stopping_rounds=0 ") &&
		  strstr(m.meta.params, " kind=rf num_parallel_tree=30 colsample_bynode=0.8"),
		  "%s", m.meta.params);
	struct flat *f = t_flat(&m);
	cr_assert_eq(flat_verify(f, &m, NULL, 0, 2000, 0.0, 3, NULL, err, sizeof(err)), 0,
		     "%s", err);
	flat_free(f);
	model_close(&m);

	/* by file; the option overrides the file's forest size */
	t_write_file(rf, "kind: rf\nnum_parallel_tree: 12\nmax_depth: 4\n");
	const char *a2[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--target", "label", "-c", rf, "--quiet", NULL };
	cr_assert_eq(t_run(errp, a2), 0);
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load(&m, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.n_trees, 12);
	model_close(&m);
	const char *a3[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--target", "label", "-c", rf, "--num-parallel-tree", "20",
			     "--quiet", NULL };
	cr_assert_eq(t_run(errp, a3), 0);
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load(&m, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.n_trees, 20);
	model_close(&m);

	/* --kind over a gbdt file: the file's rounds give way to one round */
	t_write_file(gb, "rounds: 7\nmax_depth: 3\n");
	const char *a4[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--target", "label", "-c", gb, "--kind", "rf",
			     "--num-parallel-tree", "10", "--quiet", NULL };
	cr_assert_eq(t_run(errp, a4), 0);
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load(&m, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.n_trees, 10);
	cr_assert_eq(m.n_rounds, 1);
	cr_assert(strstr(m.meta.params, " max_depth=3 "), "%s", m.meta.params);
	model_close(&m);
	/* and the gbdt file alone still boosts its 7 rounds */
	const char *a5[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--target", "label", "-c", gb, "--early-stop", "0", "--quiet", NULL };
	cr_assert_eq(t_run(errp, a5), 0);
	memset(&m, 0, sizeof(m));
	cr_assert_eq(model_load(&m, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.n_trees, 7);
	cr_assert_eq(m.n_parallel, 1);
	model_close(&m);
}

Test(model, dm_train_refuses_options_the_kind_does_not_use)
{
	if (!t_have_tool())
		cr_skip_test("dm-train not built (make all)");
	char fpath[128], lpath[128], out[128], errp[128], bad[128];
	static char cmd[PATH_MAX + 512];

	snprintf(fpath, sizeof(fpath), "%s", t_tmp_path("f.csv"));
	snprintf(lpath, sizeof(lpath), "%s", t_tmp_path("l.csv"));
	snprintf(out, sizeof(out), "%s", t_tmp_path("m.json"));
	snprintf(errp, sizeof(errp), "%s", t_tmp_path("err.txt"));
	snprintf(bad, sizeof(bad), "%s", t_tmp_path("bad.yaml"));
	t_write_csvs(fpath, lpath);

	static const struct { const char *opt[4]; const char *want; } cases[] = {
		{ { "--kind", "rf", "--rounds", "5" }, "--rounds is not used by kind rf" },
		{ { "--kind", "rf", "--eta", "0.3" }, "--eta is not used by kind rf" },
		{ { "--early-stop", "3", "--kind", "rf" }, "--early-stop is not used by kind rf" },
		{ { "--num-parallel-tree", "5", NULL, NULL }, "kind gbdt" },
		{ { "--kind", "forest", NULL, NULL }, "--kind 'forest': expected gbdt or rf" },
		{ { "--kind", "rf", "--num-parallel-tree", "0" }, "expected 1..10000" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *a[16] = { "--features", fpath, "--labels", lpath, "--output", out,
				      "--target", "label" };
		size_t k = 8;

		for (size_t o = 0; o < 4 && cases[i].opt[o]; o++)
			a[k++] = cases[i].opt[o];
		a[k] = NULL;
		cr_assert_eq(t_run(errp, a), 2, "case %zu", i);
		cr_assert(t_file_has(errp, cases[i].want), "case %zu: want '%s'", i,
			  cases[i].want);
		cr_assert_neq(access(out, F_OK), 0, "case %zu: a model was written", i);
	}

	/* a file setting a key its kind does not use: file, line and key */
	t_write_file(bad, "kind: rf\nrounds: 9\n");
	const char *b1[] = { "--features", fpath, "--labels", lpath, "--output", out,
			     "--target", "label", "-c", bad, NULL };
	cr_assert_eq(t_run(errp, b1), 2);
	cr_assert(t_file_has(errp, "bad.yaml:2:1: key 'rounds': not used by kind rf"));

	/* --help names both options */
	snprintf(cmd, sizeof(cmd), "'%s' --help >'%s'", t_tool, errp);
	cr_assert_eq(system(cmd), 0);
	cr_assert(t_file_has(errp, "--kind K") && t_file_has(errp, "--num-parallel-tree N"));
}
