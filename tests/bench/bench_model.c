/*
 * bench_model.c — single-row inference latency of the model: XGBoost's
 * own prediction call against the flattened evaluator (libcore/model/
 * flat.h) on the same model, side by side.  Prints one table (figure |
 * value | unit | baseline compared with | ratio) and the goals.
 *
 * Model.  Trained here with libcore/model/xgb.h: 200 rounds of depth-6
 * trees (binary:logistic, hist, eta 0.1, no subsampling, no early
 * stopping) on --rows random rows of 27 N(0,1) features whose target
 * mixes products, thresholds and a sine of several features plus noise,
 * so every tree has splits to make down to depth 6 (the table gives how
 * many trees reach it and their mean leaf count).  Feature 27 is NaN in
 * 5% of the rows, as fracdiff is before its window fills.  The flat
 * model is built from the trained booster and checked with flat_verify
 * before anything is timed.
 *
 * Method.  The process is pinned to CPU 0; XGBoost predicts with
 * nthread = 1.  Each call is timed alone with the TSC (rdtsc with fences,
 * its own cost included and shown on its own row) into a struct hist, on
 * rows cycled from a pool of 4096 held-out rows, after an untimed
 * warm-up.  XGBoost's calls:
 *   - XGBoosterPredictFromDense on one row (in-place prediction, the
 *     fastest single-row call the 1.7 C API has), with no proxy DMatrix:
 *     XGBoost makes one per call;
 *   - the same with one proxy DMatrix (XGProxyDMatrixCreate) reused for
 *     every call.
 * The array-interface strings naming each pool row are built before
 * timing, so only XGBoost's own work is timed.  Both ask for the
 * probability (type 0), like flat_predict, which takes the row as 27
 * doubles (the feature engine's output) and returns P(y = 1); flat_margin
 * (27 floats in, the margin out) is shown too, and flat_predict on a copy
 * of the block without its binned tables (the key walk every CPU runs).
 * The speedup baseline is
 * the faster of the two XGBoost calls.  A last flat run evicts the model
 * block from every cache level (clflush) before each call: the latency
 * when other work has pushed the model out between events.
 *
 * Exit 0 whether or not the goals are met; 1 if a run breaks (training,
 * flat check or an XGBoost call fails); 2 for bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "libcore/hist/hist.h"
#include "libcore/model/flat.h"
#include "libcore/model/xgb.h"
#include "tests/bench/bench_clock.h"
#include "tests/bench/bench_table.h"

#define BENCH_CPU        0
#define N_FEAT           27u
#define N_ROUNDS         200u
#define DEPTH            6u
#define POOL             4096u
#define GOAL_SPEEDUP     10.0
#define GOAL_FLAT_P50_NS 1000.0

/* ------------------------------------------------------------------ clock */

/* One timed span into h, in ns (bench_clock.h). */
static inline void rec(struct hist *h, uint64_t t0, uint64_t t1)
{
	hist_record(h, (uint64_t)((double)(t1 - t0) * g_ns_per_tick + 0.5));
}

/* ------------------------------------------------------------------ data */

static uint64_t g_rng = 0x9E3779B97F4A7C15ULL;

static double unif(void)
{
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return (double)((g_rng * 0x2545F4914F6CDD1DULL) >> 11) * 0x1p-53;
}

static double normal(void)
{
	return sqrt(-2.0 * log(unif() + 1e-300)) * cos(2.0 * M_PI * unif());
}

static void make_rows(float *x, float *y, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float *r = x + i * N_FEAT;

		for (uint32_t j = 0; j < N_FEAT; j++)
			r[j] = (float)normal();
		if (unif() < 0.05)
			r[N_FEAT - 1] = NAN;
		double s = r[0] * r[1] + (r[2] > 0.2 ? r[3] : -r[4]) + sin(2.0 * r[5]) * r[6] +
			   0.5 * r[7] * (r[8] > -0.5) + 0.3 * r[9] * r[10] * r[11] +
			   0.8 * normal();
		if (y)
			y[i] = s > 0;
	}
}

/* How many trees reach full depth and their mean leaf count, from the
 * flat block (padding nodes hold key 0 and offset 0).  Not timed. */
static void tree_stats(const struct flat *f, uint32_t *n_full, double *mean_leaves)
{
	uint64_t leaves = 0;

	*n_full = 0;
	for (uint32_t t = 0; t < f->n_trees; t++) {
		const struct flat_node *nd = flat_tree_nodes(f, t);
		uint32_t splits = 0;
		int full = 0;

		for (uint32_t i = 1; i < f->tree_nodes; i++) {
			int real = !(nd[i].off == 0 && nd[i].thr_key == 0);

			splits += (uint32_t)real;
			if (i >= f->tree_nodes / 2)      /* the last internal level */
				full |= real;
		}
		*n_full += (uint32_t)full;
		leaves += splits + 1;
	}
	*mean_leaves = f->n_trees ? (double)leaves / f->n_trees : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_model [--rows N] [--calls N]\n"
		"\n"
		"Single-row inference latency: XGBoost's PredictFromDense (nthread 1)\n"
		"against the flattened evaluator, on a %u-tree depth-%u model over %u\n"
		"features trained here.  Pinned to CPU %d.\n"
		"\n"
		"  --rows N    training rows (default 20000)\n"
		"  --calls N   timed XGBoost calls per variant (default 20000); the flat\n"
		"              evaluator gets 10x as many\n"
		"  -h, --help  this text\n",
		N_ROUNDS, DEPTH, N_FEAT, BENCH_CPU);
}

static double g_sink;

int main(int argc, char **argv)
{
	uint64_t n_rows = 20000, calls = 20000, v;
	char err[1024];

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--rows") && i + 1 < argc &&
			   !parse_count(argv[i + 1], &v) && v >= 1000) {
			n_rows = v;
			i++;
		} else if (!strcmp(argv[i], "--calls") && i + 1 < argc &&
			   !parse_count(argv[i + 1], &v) && v >= 100) {
			calls = v;
			i++;
		} else {
			fprintf(stderr, "bench_model: bad argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	cpu_set_t cs;
	CPU_ZERO(&cs);
	CPU_SET(BENCH_CPU, &cs);
	if (sched_setaffinity(0, sizeof(cs), &cs))
		fprintf(stderr, "bench_model: cannot pin to CPU %d: %s (running unpinned)\n",
			BENCH_CPU, strerror(errno));
	clk_calibrate();

	/* ---- model */
	float *x = malloc(n_rows * N_FEAT * sizeof(float)), *y = malloc(n_rows * sizeof(float));
	float *pool = malloc(POOL * N_FEAT * sizeof(float));
	double *pool_d = malloc(POOL * N_FEAT * sizeof(double));
	char (*arr)[160] = malloc(POOL * sizeof(*arr));
	if (!x || !y || !pool || !pool_d || !arr) {
		fprintf(stderr, "bench_model: out of memory\n");
		return 1;
	}
	make_rows(x, y, n_rows);
	make_rows(pool, NULL, POOL);
	for (size_t i = 0; i < POOL * N_FEAT; i++)
		pool_d[i] = pool[i];

	struct model_params p;
	struct model m;
	struct model_metrics *mt = calloc(1, sizeof(*mt));
	struct model_sample s = { .x = x, .y = y, .n = n_rows, .n_feat = N_FEAT };
	model_params_default(&p);
	p.n_rounds = N_ROUNDS;
	p.max_depth = DEPTH;
	p.early_stopping_rounds = 0;
	p.subsample = 1;
	p.colsample_bytree = 1;
	p.min_child_weight = 0.5;
	p.nthread = 1;
	memset(&m, 0, sizeof(m));
	int64_t t0 = mono_ns();
	if (!mt || model_train(&m, &p, &s, NULL, NULL, mt, err, sizeof(err))) {
		fprintf(stderr, "bench_model: training failed: %s\n", err);
		return 1;
	}
	fprintf(stderr, "[%5.1fs] trained %u rounds on %" PRIu64 " rows (hold-out AUC %.3f)\n",
		(double)(mono_ns() - t0) / 1e9, m.n_rounds, n_rows, mt->holdout.auc);

	struct flat *f = NULL;
	struct flat_check fc;
	if (flat_create(&f, &m, err, sizeof(err)) ||
	    flat_verify(f, &m, pool, POOL, 4000, 1e-6, 7, &fc, err, sizeof(err))) {
		fprintf(stderr, "bench_model: flat model: %s\n", err);
		return 1;
	}
	uint32_t n_full;
	double mean_leaves;
	tree_stats(f, &n_full, &mean_leaves);
	fprintf(stderr, "[%5.1fs] flat model: %u trees, depth %u, %zu bytes; verified on %zu "
		"rows, %zu of %zu margins bit-identical\n", (double)(mono_ns() - t0) / 1e9,
		f->n_trees, f->depth, (size_t)f->size, fc.rows, fc.exact, fc.outputs);

	/* ---- XGBoost: in-place prediction of one row */
	static const char cfg[] = "{\"type\":0,\"training\":false,\"iteration_begin\":0,"
				  "\"iteration_end\":0,\"strict_shape\":false,\"missing\":NaN,"
				  "\"cache_id\":0}";
	for (size_t i = 0; i < POOL; i++)
		snprintf(arr[i], sizeof(arr[i]), "{\"data\":[%" PRIuPTR ",true],\"shape\":[1,%u],"
			 "\"typestr\":\"<f4\",\"version\":3}", (uintptr_t)(pool + i * N_FEAT),
			 N_FEAT);
	DMatrixHandle proxy = NULL;
	if (XGProxyDMatrixCreate(&proxy)) {
		fprintf(stderr, "bench_model: XGProxyDMatrixCreate: %s\n", XGBGetLastError());
		return 1;
	}
	static struct hist h_xgb, h_xgbp, h_flat, h_margin, h_keys, h_cold, h_timer;
	hist_init(&h_xgb);
	hist_init(&h_xgbp);
	hist_init(&h_flat);
	hist_init(&h_margin);
	hist_init(&h_keys);
	hist_init(&h_cold);
	hist_init(&h_timer);
	const bst_ulong *shape;
	bst_ulong dim;
	const float *res;
	double max_pdiff = 0;
	for (int variant = 0; variant < 2; variant++) {
		DMatrixHandle px = variant ? proxy : NULL;
		struct hist *h = variant ? &h_xgbp : &h_xgb;

		for (uint64_t k = 0; k < calls / 10 + 100; k++)   /* warm-up */
			if (XGBoosterPredictFromDense(m.booster, arr[k % POOL], cfg, px, &shape,
						      &dim, &res)) {
				fprintf(stderr, "bench_model: predict: %s\n", XGBGetLastError());
				return 1;
			}
		for (uint64_t k = 0; k < calls; k++) {
			uint64_t a = clk_begin();
			int rc = XGBoosterPredictFromDense(m.booster, arr[k % POOL], cfg, px,
							   &shape, &dim, &res);
			uint64_t b = clk_end();

			if (rc) {
				fprintf(stderr, "bench_model: predict: %s\n", XGBGetLastError());
				return 1;
			}
			rec(h, a, b);
			g_sink += res[0];
		}
	}
	/* the two agree on what they compute */
	for (size_t i = 0; i < 256; i++) {
		double pr;

		if (XGBoosterPredictFromDense(m.booster, arr[i], cfg, proxy, &shape, &dim, &res))
			return 1;
		flat_predict(f, pool_d + i * N_FEAT, &pr);
		if (fabs(pr - res[0]) > max_pdiff)
			max_pdiff = fabs(pr - res[0]);
	}
	fprintf(stderr, "[%5.1fs] XGBoost timed\n", (double)(mono_ns() - t0) / 1e9);

	/* ---- flat evaluator */
	uint64_t fcalls = calls * 10;
	double out[1];
	float mg[1];
	for (uint64_t k = 0; k < fcalls / 10; k++) {        /* warm-up */
		flat_predict(f, pool_d + (k % POOL) * N_FEAT, out);
		g_sink += out[0];
	}
	for (uint64_t k = 0; k < fcalls; k++) {
		const double *r = pool_d + (k % POOL) * N_FEAT;
		uint64_t a = clk_begin();
		flat_predict(f, r, out);
		uint64_t b = clk_end();

		rec(&h_flat, a, b);
		g_sink += out[0];
	}
	for (uint64_t k = 0; k < fcalls; k++) {
		const float *r = pool + (k % POOL) * N_FEAT;
		uint64_t a = clk_begin();
		flat_margin(f, r, mg);
		uint64_t b = clk_end();

		rec(&h_margin, a, b);
		g_sink += mg[0];
	}
	/* the same rows through the key walk: a copy of the block without
	 * its binned tables (what a CPU without AVX-512 VBMI runs) */
	struct flat *fk = aligned_alloc(64, f->size);
	if (!fk) {
		fprintf(stderr, "bench_model: out of memory\n");
		return 1;
	}
	memcpy(fk, f, f->size);
	fk->quant = 0;
	for (uint64_t k = 0; k < fcalls / 10; k++) {        /* warm-up */
		flat_predict(fk, pool_d + (k % POOL) * N_FEAT, out);
		g_sink += out[0];
	}
	for (uint64_t k = 0; k < fcalls; k++) {
		const double *r = pool_d + (k % POOL) * N_FEAT;
		uint64_t a = clk_begin();
		flat_predict(fk, r, out);
		uint64_t b = clk_end();

		rec(&h_keys, a, b);
		g_sink += out[0];
	}
	free(fk);
	for (uint64_t k = 0; k < fcalls; k++) {
		uint64_t a = clk_begin();
		uint64_t b = clk_end();

		rec(&h_timer, a, b);
	}
#if defined(__x86_64__)
	for (uint64_t k = 0; k < calls; k++) {
		const double *r = pool_d + (k % POOL) * N_FEAT;

		for (size_t off = 0; off < f->size; off += 64)
			_mm_clflush((const char *)f + off);
		_mm_mfence();
		uint64_t a = clk_begin();
		flat_predict(f, r, out);
		uint64_t b = clk_end();

		rec(&h_cold, a, b);
		g_sink += out[0];
	}
#endif
	/* throughput: the whole pool, rows back to back, on the thread's CPU
	 * clock (time another process holds the core is not ours) */
	float *bm = malloc(POOL * sizeof(float));
	int64_t b0 = cpu_ns();
	for (int rep = 0; rep < 20; rep++)
		flat_margin_batch(f, pool, POOL, bm);
	double batch_ns = (double)(cpu_ns() - b0) / (20.0 * POOL);
	g_sink += bm[0];
	free(bm);

	double xp50 = (double)hist_quantile(&h_xgb, 0.5);
	double xpp50 = (double)hist_quantile(&h_xgbp, 0.5);
	double best = xpp50 < xp50 ? xpp50 : xp50;
	const char *best_name = xpp50 < xp50 ? "XGBoost + proxy" : "XGBoost";
	double fp50 = (double)hist_quantile(&h_flat, 0.5);

	row("XGBoost PredictFromDense p50", xp50, "ns", 0, NULL);
	row("XGBoost PredictFromDense p99", (double)hist_quantile(&h_xgb, 0.99), "ns", 0, NULL);
	row("XGBoost PredictFromDense p99.9", (double)hist_quantile(&h_xgb, 0.999), "ns", 0,
	    NULL);
	row("XGBoost + reused proxy DMatrix p50", xpp50, "ns", 0, NULL);
	row("XGBoost + reused proxy DMatrix p99", (double)hist_quantile(&h_xgbp, 0.99), "ns", 0,
	    NULL);
	row("XGBoost + reused proxy p99.9", (double)hist_quantile(&h_xgbp, 0.999), "ns", 0,
	    NULL);
	row("flat_predict p50 (27 doubles -> P)", fp50, "ns", best, "%s p50 %.0f ns",
	    best_name, best);
	row("flat_predict p99", (double)hist_quantile(&h_flat, 0.99), "ns", 0, NULL);
	row("flat_predict p99.9", (double)hist_quantile(&h_flat, 0.999), "ns", 0, NULL);
	row("flat_margin p50 (27 floats -> margin)", (double)hist_quantile(&h_margin, 0.5),
	    "ns", 0, NULL);
	row("flat_margin p99", (double)hist_quantile(&h_margin, 0.99), "ns", 0, NULL);
	row("flat_predict p50, key walk only", (double)hist_quantile(&h_keys, 0.5), "ns", fp50,
	    "%s %.0f ns", f->quant ? "binned" : "same walk", fp50);
#if defined(__x86_64__)
	row("flat_predict p50, model flushed", (double)hist_quantile(&h_cold, 0.5), "ns", fp50,
	    "in cache %.0f ns", fp50);
	row("flat_predict p99, model flushed", (double)hist_quantile(&h_cold, 0.99), "ns", 0,
	    NULL);
#endif
	row("flat_margin_batch per row (CPU time)", batch_ns, "ns", 0, NULL);
	row("timer alone p50 (in every figure)", (double)hist_quantile(&h_timer, 0.5), "ns", 0,
	    NULL);
	row("speedup flat vs fastest XGBoost (p50)", best / fp50, "x", GOAL_SPEEDUP,
	    "goal %.0fx", GOAL_SPEEDUP);
	print_table();

	printf("\ngoals (never fail the build)\n");
	printf("  flat evaluator >= %.0fx faster than XGBoost's fastest single-row call (p50): "
	       "%.1fx  %s\n", GOAL_SPEEDUP, best / fp50, met(best / fp50 >= GOAL_SPEEDUP));
	printf("  flat evaluator p50 < %.0f ns: %.0f ns  %s\n", GOAL_FLAT_P50_NS, fp50,
	       met(fp50 < GOAL_FLAT_P50_NS));
	printf("\nnotes\n");
	printf("  model: %u trees (binary:logistic), depth %u, %u of them reaching depth %u, "
	       "%.1f leaves per tree on average; %u features, NaN in 5%% of feature 27\n",
	       f->n_trees, f->depth, n_full, DEPTH, mean_leaves, N_FEAT);
	printf("  flat block: %zu bytes (%s layout, %zu bytes per tree, binned tables %s); "
	       "flat_verify: %zu rows, %zu of %zu margins bit-identical to XGBoost's\n",
	       (size_t)f->size, f->layout == FLAT_PERFECT ? "perfect" : "general",
	       (size_t)f->tree_bytes, f->quant ? "filled" : "absent", fc.rows, fc.exact,
	       fc.outputs);
	printf("  flat_predict vs XGBoost probability on 256 rows: max |diff| %.3g (float vs "
	       "double sigmoid)\n", max_pdiff);
	printf("  XGBoost: %" PRIu64 " timed calls per variant, nthread 1, probability output; "
	       "flat: %" PRIu64 " calls; TSC %.3f ns/tick\n", calls, fcalls, g_ns_per_tick);
	flat_free(f);
	XGDMatrixFree(proxy);
	model_close(&m);
	free(mt);
	free(x);
	free(y);
	free(pool);
	free(pool_d);
	free(arr);
	return g_sink == 12345.678 ? 3 : 0;
}
