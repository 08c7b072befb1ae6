/*
 * test_cv.c — combinatorial purged cross-validation: the roles of one
 * split against a brute-force reading of the definition, and leakage
 * shown rather than assumed: on labels that overlap heavily and carry no
 * signal, a model tested without purging scores well above chance, and
 * with purging at chance (libcore/validate/split, libcore/model).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/model/xgb.h"
#include "libcore/validate/split.h"
#include "libcore/validate/validate.h"
#include "tests/helpers.h"

/* The definition, one row at a time, one test window at a time. */
static uint8_t brute_role(const int64_t *t0, const int64_t *t1, size_t n, uint32_t N,
			  uint64_t mask, int64_t embargo, size_t i)
{
	uint32_t gi = 0;
	while (!(i >= n * gi / N && i < n * (gi + 1) / N))
		gi++;
	if (mask >> gi & 1)
		return MODEL_SPLIT_TEST;
	int purged = 0, emb = 0;
	for (uint32_t g = 0; g < N; g++) {
		if (!(mask >> g & 1))
			continue;
		int64_t lo = INT64_MAX, hi = INT64_MIN;
		for (size_t k = n * g / N; k < n * (g + 1) / N; k++) {
			lo = t0[k] < lo ? t0[k] : lo;
			hi = t1[k] > hi ? t1[k] : hi;
		}
		if (t0[i] <= hi && t1[i] >= lo)
			purged = 1;
		else if (t0[i] > hi && t0[i] <= hi + embargo)
			emb = 1;
	}
	return purged ? MODEL_SPLIT_PURGED : emb ? MODEL_SPLIT_EMBARGOED : MODEL_SPLIT_TRAIN;
}

Test(cv, split_roles_follow_the_definition_row_by_row)
{
	struct t_rng g;
	t_rng_seed(&g, 7);
	for (int trial = 0; trial < 40; trial++) {
		size_t n = 50 + t_rng_below(&g, 400);
		uint32_t N = 2 + (uint32_t)t_rng_below(&g, 9), K = 1 + (uint32_t)t_rng_below(&g, N - 1);
		int64_t *t0 = malloc(n * sizeof(int64_t)), *t1 = malloc(n * sizeof(int64_t));
		uint8_t *role = malloc(n);
		cr_assert(t0 && t1 && role);
		int64_t t = 0;
		for (size_t i = 0; i < n; i++) {
			t += (int64_t)t_rng_below(&g, 5); /* ties happen */
			t0[i] = t;
			t1[i] = t + (int64_t)t_rng_below(&g, 60);
		}
		int64_t embargo = (int64_t)t_rng_below(&g, 3) * 20;
		uint64_t splits = validate_cpcv_splits(N, K);
		uint32_t *groups = malloc(splits * K * sizeof(uint32_t));
		uint32_t *path_of = malloc(splits * K * sizeof(uint32_t));
		cr_assert(groups && path_of);
		cr_assert_eq(validate_cpcv_table(N, K, groups, path_of), 0);
		for (uint64_t s = 0; s < splits; s++) {
			uint64_t mask = 0;
			for (uint32_t j = 0; j < K; j++)
				mask |= 1ull << groups[s * K + j];
			struct validate_split_counts c;
			cr_assert_eq(validate_split_roles(t0, t1, n, N, mask, embargo, role, &c), 0);
			size_t count[4] = { 0, 0, 0, 0 };
			for (size_t i = 0; i < n; i++) {
				uint8_t want = brute_role(t0, t1, n, N, mask, embargo, i);
				cr_assert_eq(role[i], want, "n %zu N %u K %u split %llu row %zu: %u, "
					     "the definition says %u", n, N, K, (unsigned long long)s, i,
					     role[i], want);
				count[want]++;
			}
			cr_assert_eq(c.train, count[MODEL_SPLIT_TRAIN]);
			cr_assert_eq(c.test, count[MODEL_SPLIT_TEST]);
			cr_assert_eq(c.purged, count[MODEL_SPLIT_PURGED]);
			cr_assert_eq(c.embargoed, count[MODEL_SPLIT_EMBARGOED]);
		}
		free(t0);
		free(t1);
		free(role);
		free(groups);
		free(path_of);
	}
}

Test(cv, split_roles_refuse_what_is_not_a_split)
{
	int64_t t0[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, t1[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t r[8];
	cr_assert_eq(validate_split_roles(t0, t1, 8, 4, 0, 0, r, NULL), -EINVAL, "no test group");
	cr_assert_eq(validate_split_roles(t0, t1, 8, 4, 1u << 4, 0, r, NULL), -EINVAL,
		     "a group past N");
	cr_assert_eq(validate_split_roles(t0, t1, 8, 1, 1, 0, r, NULL), -EINVAL, "one group");
	cr_assert_eq(validate_split_roles(t0, t1, 3, 4, 1, 0, r, NULL), -EINVAL, "n < N");
	cr_assert_eq(validate_split_roles(t0, t1, 8, 4, 1, -1, r, NULL), -EINVAL, "embargo < 0");
	int64_t back[8] = { 0, 1, 2, 1, 4, 5, 6, 7 };
	cr_assert_eq(validate_split_roles(back, t1, 8, 4, 1, 0, r, NULL), -EINVAL, "t0 back");
	int64_t short1[8] = { 1, 2, 3, 2, 5, 6, 7, 8 };
	cr_assert_eq(validate_split_roles(t0, short1, 8, 4, 1, 0, r, NULL), -EINVAL, "t1 < t0");
}

/*
 * Leakage.  Episodes: 200 of them, each with a label (a fair coin) and a
 * fingerprint (a number, uniform), each lasting L = 800 of the 6000 sample
 * times, about 13 at once.  The sample at time i belongs to a random
 * episode active then: its label and fingerprint (plus a noise feature)
 * are the episode's, its label span [i, the episode's end].  The features
 * say nothing about the label across episodes: no signal.  But every
 * episode outlives a group, so without purging each test sample's episode
 * also has training samples, and the model reads its label off the
 * fingerprint; purging drops every training sample whose span overlaps a
 * test window, hence every episode the test groups saw.
 */
#define LK_N      6000
#define LK_L      800
#define LK_EPIS   200
#define LK_FEAT   2
#define LK_SEEDS  4

static double mean_test_auc(const float *x, const float *y, const int64_t *t0, const int64_t *t1,
			    size_t n, int purge, int64_t embargo)
{
	const uint32_t N = 6, K = 2;
	uint64_t splits = validate_cpcv_splits(N, K);
	uint32_t groups[15 * 2], path_of[15 * 2];
	cr_assert_eq(validate_cpcv_table(N, K, groups, path_of), 0);
	uint8_t *role = malloc(n);
	float *xt = malloc(n * LK_FEAT * sizeof(float)), *yt = malloc(n * sizeof(float));
	float *xs = malloc(n * LK_FEAT * sizeof(float)), *ys = malloc(n * sizeof(float));
	int64_t *a0 = malloc(n * sizeof(int64_t)), *a1 = malloc(n * sizeof(int64_t));
	float *pt = malloc(n * sizeof(float));
	double *sc = malloc(n * sizeof(double)), sum = 0;
	cr_assert(role && xt && yt && xs && ys && a0 && a1 && pt && sc);
	uint32_t used = 0;
	struct model_params p;
	model_params_default(&p);
	p.nthread = 1;
	p.n_rounds = 80;
	p.eta = 0.3;
	p.early_stopping_rounds = 0;
	p.holdout = 0.1;
	for (uint64_t s = 0; s < splits; s++) {
		uint64_t mask = 1ull << groups[s * K] | 1ull << groups[s * K + 1];
		cr_assert_eq(validate_split_roles(t0, t1, n, N, mask, embargo, role, NULL), 0);
		size_t k = 0, kt = 0;
		for (size_t i = 0; i < n; i++) {
			int train = role[i] == MODEL_SPLIT_TRAIN ||
				    (!purge && role[i] != MODEL_SPLIT_TEST);
			if (train) {
				memcpy(xs + k * LK_FEAT, x + i * LK_FEAT, LK_FEAT * sizeof(float));
				ys[k] = y[i];
				a0[k] = t0[i];
				a1[k] = purge ? t1[i] : t0[i];
				k++;
			} else if (role[i] == MODEL_SPLIT_TEST) {
				memcpy(xt + kt * LK_FEAT, x + i * LK_FEAT, LK_FEAT * sizeof(float));
				yt[kt++] = y[i];
			}
		}
		cr_assert_gt(k, 200, "split %llu keeps %zu training samples", (unsigned long long)s, k);
		struct model_sample ms = { .x = xs, .y = ys, .t0 = a0, .t1 = a1, .n = k,
					   .n_feat = LK_FEAT };
		struct model m;
		char err[256];
		memset(&m, 0, sizeof(m));
		cr_assert_eq(model_train(&m, &p, &ms, NULL, NULL, NULL, err, sizeof(err)), 0, "%s",
			     err);
		cr_assert_eq(model_predict(&m, xt, kt, 0, pt, err, sizeof(err)), 0, "%s", err);
		for (size_t i = 0; i < kt; i++)
			sc[i] = pt[i];
		double auc = model_auc(sc, yt, NULL, kt);
		if (isfinite(auc)) {
			sum += auc;
			used++;
		}
		model_close(&m);
	}
	free(role);
	free(xt);
	free(yt);
	free(xs);
	free(ys);
	free(a0);
	free(a1);
	free(pt);
	free(sc);
	cr_assert_eq(used, splits, "every test set holds both classes");
	return sum / used;
}

static void leak_case(uint64_t seed, double *leaky, double *purged)
{
	struct t_rng g;
	t_rng_seed(&g, seed);
	int64_t start[LK_EPIS];
	float label[LK_EPIS], print[LK_EPIS];
	for (int e = 0; e < LK_EPIS; e++) {
		start[e] = (int64_t)e * (LK_N - LK_L) / (LK_EPIS - 1);
		label[e] = (float)t_rng_below(&g, 2);
		print[e] = (float)t_rng_below(&g, 1000000) / 1e6f;
	}
	float *x = malloc(LK_N * LK_FEAT * sizeof(float)), *y = malloc(LK_N * sizeof(float));
	int64_t *t0 = malloc(LK_N * sizeof(int64_t)), *t1 = malloc(LK_N * sizeof(int64_t));
	cr_assert(x && y && t0 && t1);
	for (int64_t i = 0; i < LK_N; i++) {
		int act[LK_EPIS], na = 0;
		for (int e = 0; e < LK_EPIS; e++)
			if (start[e] <= i && i < start[e] + LK_L)
				act[na++] = e;
		cr_assert_gt(na, 0);
		int e = act[t_rng_below(&g, (uint64_t)na)];
		x[i * LK_FEAT] = print[e];
		x[i * LK_FEAT + 1] = (float)t_rng_below(&g, 1000000) / 1e6f;
		y[i] = label[e];
		t0[i] = i;
		t1[i] = start[e] + LK_L - 1;
	}
	*leaky = mean_test_auc(x, y, t0, t1, LK_N, 0, 0);
	*purged = mean_test_auc(x, y, t0, t1, LK_N, 1, 50);
	free(x);
	free(y);
	free(t0);
	free(t1);
}

Test(cv, overlapping_labels_leak_without_purging_and_not_with_it, .timeout = 240)
{
	double leaky = 0, purged = 0;
	for (uint64_t seed = 1; seed <= LK_SEEDS; seed++) {
		double l, p;
		leak_case(seed * 7919, &l, &p);
		cr_log_info("episodes %llu: mean test AUC over 15 splits %.4f without purging, "
			    "%.4f with it", (unsigned long long)seed, l, p);
		leaky += l / LK_SEEDS;
		purged += p / LK_SEEDS;
	}
	cr_log_info("over %d draws: %.4f without purging, %.4f with it", LK_SEEDS, leaky, purged);
	cr_assert_gt(leaky, 0.65, "without purging the overlap should leak (AUC %.4f)", leaky);
	cr_assert_lt(fabs(purged - 0.5), 0.05, "purged, the model should be at chance (AUC %.4f)",
		     purged);
}

/* ------------------------------------------------------------ dm-cv, end to end */

static const char *bindir;

static void cli_setup(void)
{
	bindir = t_bin_dir();
	t_tmp_init("dmtest-cv");
}

static void cli_teardown(void)
{
	if (!getenv("DM_TEST_KEEP"))
		t_tmp_cleanup();
}

TestSuite(cv_tool, .init = cli_setup, .fini = cli_teardown, .timeout = 300);

#define run t_sh
#define slurp t_file_text

/* splits.csv against the definition: for each split, the windows of its
 * test rows as the file gives them, then every other row's role. */
static void check_splits_csv(const char *path, uint32_t n_splits, int64_t embargo)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	char line[256];
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_str_eq(line, "split,row,t0_ns,t1_ns,group,role\n");
	size_t cap = 1 << 16, n = 0;
	uint32_t *split = calloc(cap, sizeof(uint32_t)), *grp = calloc(cap, sizeof(uint32_t));
	int64_t *t0 = calloc(cap, sizeof(int64_t)), *t1 = calloc(cap, sizeof(int64_t));
	char (*role)[12] = calloc(cap, 12);
	cr_assert(split && grp && t0 && t1 && role);
	while (fgets(line, sizeof(line), f)) {
		if (n == cap) {
			cap *= 2;
			split = t_realloc(split, cap * sizeof(uint32_t));
			grp = t_realloc(grp, cap * sizeof(uint32_t));
			t0 = t_realloc(t0, cap * sizeof(int64_t));
			t1 = t_realloc(t1, cap * sizeof(int64_t));
			role = t_realloc(role, cap * 12);
		}
		size_t row;
		long long a, b;
		cr_assert_eq(sscanf(line, "%u,%zu,%lld,%lld,%u,%11s", &split[n], &row, &a, &b, &grp[n],
				    role[n]), 6, "%s", line);
		t0[n] = a;
		t1[n] = b;
		n++;
	}
	fclose(f);
	cr_assert_eq(n % n_splits, 0, "%zu rows for %u splits", n, n_splits);
	size_t per = n / n_splits;
	for (uint32_t s = 0; s < n_splits; s++) {
		size_t base = (size_t)s * per;
		int64_t lo[64], hi[64];
		int tested[64] = { 0 };
		for (int g = 0; g < 64; g++)
			lo[g] = INT64_MAX, hi[g] = INT64_MIN;
		for (size_t i = base; i < base + per; i++) {
			cr_assert_eq(split[i], s);
			if (strcmp(role[i], "test") == 0) {
				tested[grp[i]] = 1;
				lo[grp[i]] = t0[i] < lo[grp[i]] ? t0[i] : lo[grp[i]];
				hi[grp[i]] = t1[i] > hi[grp[i]] ? t1[i] : hi[grp[i]];
			}
		}
		for (size_t i = base; i < base + per; i++) {
			const char *want = "train";
			if (tested[grp[i]]) {
				want = "test";
			} else {
				int pu = 0, em = 0;
				for (int g = 0; g < 64; g++) {
					if (!tested[g])
						continue;
					if (t0[i] <= hi[g] && t1[i] >= lo[g])
						pu = 1;
					else if (t0[i] > hi[g] && t0[i] <= hi[g] + embargo)
						em = 1;
				}
				want = pu ? "purged" : em ? "embargoed" : "train";
			}
			cr_assert_str_eq(role[i], want, "split %u row %zu", s, i - base);
		}
	}
	free(split);
	free(grp);
	free(t0);
	free(t1);
	free(role);
}

Test(cv_tool, writes_verifiable_splits_and_a_path_per_combination)
{
	static char out[1 << 16];
	const char *mkt = t_tmp_path("m.jnl");
	cr_assert_eq(run(out, sizeof(out), "'%s/dm-gen' --seed 5 --events 200000 --output '%s' "
			 "--quiet", bindir, mkt), 0, "%s", out);
	char dir[512], dir1[512];
	snprintf(dir, sizeof(dir), "%s/cv", t_tmp_dir);
	snprintf(dir1, sizeof(dir1), "%s/cv1", t_tmp_dir);
	int rc = run(out, sizeof(out), "'%s/dm-cv' --input '%s' --groups 4 --test-groups 2 "
		     "--embargo 2s --sample-every 250ms --jobs 2 --out '%s'", bindir, mkt, dir);
	cr_assert_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "split 6 of 6") && strstr(out, "path 3 of 3"), "progress:\n%s", out);
	char p[600];
	snprintf(p, sizeof(p), "%s/splits.csv", dir);
	check_splits_csv(p, 6, 2000000000ll);
	/* C(4,2) = 6 splits, 2/4 x 6 = 3 paths */
	json_error_t je;
	snprintf(p, sizeof(p), "%s/cv.json", dir);
	json_t *j = json_load_file(p, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	cr_assert_eq(json_array_size(json_object_get(j, "splits")), 6);
	cr_assert_eq(json_array_size(json_object_get(j, "paths")), 3);
	size_t embargoed = 0;
	for (size_t s = 0; s < 6; s++) {
		json_t *o = json_array_get(json_object_get(j, "splits"), s);
		double auc = json_real_value(json_object_get(o, "auc"));
		cr_expect(auc > 0 && auc < 1, "split %zu AUC %f", s, auc);
		embargoed += (size_t)json_integer_value(json_object_get(o, "embargoed"));
		snprintf(p, sizeof(p), "%s/models/split-%02zu.json", dir, s);
		cr_expect_eq(access(p, R_OK), 0, "%s", p);
	}
	cr_expect_gt(embargoed, 0, "a 2 s embargo over 250 ms samples drops some");
	json_t *dist = json_object_get(j, "path_sharpe");
	cr_expect_eq(json_integer_value(json_object_get(dist, "n")) +
		     json_integer_value(json_object_get(dist, "undefined")), 3,
		     "every path is either in the distribution or counted undefined");
	json_decref(j);
	/* paths.csv: a row per path; nothing left of the work */
	snprintf(p, sizeof(p), "%s/paths.csv", dir);
	char *pc = slurp(p, NULL);
	int lines = 0;
	for (char *c = pc; *c; c++)
		lines += *c == '\n';
	cr_expect_eq(lines, 4, "%s", pc);
	static const char hdr[] = "path,sharpe,return,max_drawdown,trades,hit_rate,psr,minutes\n";
	cr_expect(strncmp(pc, hdr, strlen(hdr)) == 0, "%s", pc);
	snprintf(p, sizeof(p), "%s/work", dir);
	cr_expect_neq(access(p, F_OK), 0, "the work directory stays behind");
	/* returns.csv: each path's minutes add up to its return in paths.csv */
	snprintf(p, sizeof(p), "%s/returns.csv", dir);
	FILE *rf = fopen(p, "r");
	cr_assert_not_null(rf);
	char line[512];
	double sum[3] = { 0, 0, 0 };
	cr_assert_not_null(fgets(line, sizeof(line), rf));
	cr_expect_str_eq(line, "minute,path_0,path_1,path_2\n");
	long long prev = -1;
	while (fgets(line, sizeof(line), rf)) {
		long long m;
		double a, b, c;
		cr_assert_eq(sscanf(line, "%lld,%lf,%lf,%lf", &m, &a, &b, &c), 4, "%s", line);
		cr_expect_gt(m, prev, "minutes in order");
		prev = m;
		sum[0] += a, sum[1] += b, sum[2] += c;
	}
	fclose(rf);
	char *row = strchr(pc, '\n') + 1;
	for (int k = 0; k < 3; k++) {
		int path;
		double sharpe, ret;
		cr_assert_eq(sscanf(row, "%d,%lf,%lf", &path, &sharpe, &ret), 3, "%s", row);
		cr_expect_eq(path, k);
		cr_expect(fabs(sum[k] - ret) < 1e-6 * (1 + fabs(ret)), "path %d: minutes add to %.6f, "
			  "return %.6f", k, sum[k], ret);
		row = strchr(row, '\n') + 1;
	}
	/* one process gives the same files */
	rc = run(out, sizeof(out), "'%s/dm-cv' --input '%s' --groups 4 --test-groups 2 "
		 "--embargo 2s --sample-every 250ms --jobs 1 --quiet --out '%s'", bindir, mkt, dir1);
	cr_assert_eq(rc, 0, "%s", out);
	static const char *const same[] = { "splits.csv", "paths.csv", "models/split-03.json" };
	for (size_t i = 0; i < 3; i++) {
		char a[600], b[600];
		size_t la, lb;
		snprintf(a, sizeof(a), "%s/%s", dir, same[i]);
		snprintf(b, sizeof(b), "%s/%s", dir1, same[i]);
		char *x = slurp(a, &la), *y = slurp(b, &lb);
		cr_expect(la == lb && memcmp(x, y, la) == 0, "%s differs between --jobs 2 and 1",
			  same[i]);
		free(x);
		free(y);
	}
	free(pc);
}

/* A path trades each group's period with the model of the split that
 * tested it: before the second group starts, path 0 of N = 2 is exactly
 * dm-backtest with split 0's model. */
Test(cv_tool, a_path_trades_each_period_with_the_model_that_never_saw_it)
{
	static char out[1 << 16];
	const char *mkt = t_tmp_path("m.jnl"), *conf = t_tmp_path("c.yaml");
	cr_assert_eq(run(out, sizeof(out), "'%s/dm-gen' --seed 7 --events 200000 --output '%s' "
			 "--quiet", bindir, mkt), 0, "%s", out);
	/* models near chance: a low bar and room to size, so both periods trade */
	t_write_file(conf, "strategy:\n  min_prob: 0.3\n  min_interval_ms: 200\n"
		     "  max_contracts: 20\n");
	char dir[512], bt[512], p[700];
	snprintf(dir, sizeof(dir), "%s/cv", t_tmp_dir);
	snprintf(bt, sizeof(bt), "%s/bt", t_tmp_dir);
	int rc = run(out, sizeof(out), "'%s/dm-cv' -c '%s' --input '%s' --groups 2 --test-groups 1 "
		     "--sample-every 250ms --keep-paths --quiet --out '%s'", bindir, conf, mkt, dir);
	cr_assert_eq(rc, 0, "%s", out);
	json_error_t je;
	snprintf(p, sizeof(p), "%s/cv.json", dir);
	json_t *j = json_load_file(p, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	long long b = (long long)json_integer_value(json_object_get(
		json_array_get(json_object_get(j, "group_periods"), 1), "starts_ns"));
	json_decref(j);
	const char *c0 = t_tmp_path("c0.yaml");
	char text[1024];
	snprintf(text, sizeof(text), "strategy:\n  min_prob: 0.3\n  min_interval_ms: 200\n"
		 "  max_contracts: 20\n  model: %s/models/split-00.json\n", dir);
	t_write_file(c0, text);
	rc = run(out, sizeof(out), "'%s/dm-backtest' -c '%s' --input '%s' --quiet --out '%s'",
		 bindir, c0, mkt, bt);
	cr_assert_eq(rc, 0, "%s", out);
	/* the decisions before b, row for row (t_ns is the last column) */
	static const char *const files[] = { "decisions.csv" };
	for (size_t f = 0; f < 1; f++) {
		char a[700], d[700];
		snprintf(a, sizeof(a), "%s/paths/path-00/%s", dir, files[f]);
		snprintf(d, sizeof(d), "%s/%s", bt, files[f]);
		char *x = slurp(a, NULL), *y = slurp(d, NULL);
		char *sx, *sy, *lx = strtok_r(x, "\n", &sx), *ly = strtok_r(y, "\n", &sy);
		int before = 0, after = 0;
		for (; lx; lx = strtok_r(NULL, "\n", &sx), ly = ly ? strtok_r(NULL, "\n", &sy) : NULL) {
			const char *t = strrchr(lx, ',');
			long long tn = t ? atoll(t + 1) : 0;
			if (tn >= b) {
				after++;
				continue;
			}
			cr_assert_not_null(ly, "dm-backtest ended before the path's row %s", lx);
			cr_assert_str_eq(lx, ly);
			before++;
		}
		cr_expect_gt(before, 1, "decisions before the switch: %d", before);
		cr_expect_gt(after, 0, "decisions after the switch: %d", after);
		free(x);
		free(y);
	}
	/* the path's tca.csv: dm-backtest's header, one row per fill of the
	 * path's fills.csv in the same order (fill_id, then the fill's t_ns
	 * and client_order_id, fills.csv's first two columns) */
	char a[700], d[700];
	snprintf(a, sizeof(a), "%s/paths/path-00/tca.csv", dir);
	snprintf(d, sizeof(d), "%s/tca.csv", bt);
	char *tx = slurp(a, NULL), *ty = slurp(d, NULL);
	cr_assert(strchr(tx, '\n') && strchr(ty, '\n'));
	cr_assert_eq(strncmp(tx, ty, (size_t)(strchr(ty, '\n') - ty + 1)), 0,
		     "tca.csv headers differ:\n%.200s\n%.200s", tx, ty);
	snprintf(a, sizeof(a), "%s/paths/path-00/fills.csv", dir);
	char *fx = slurp(a, NULL);
	char *st, *sf, *lt = strtok_r(tx, "\n", &st), *lf = strtok_r(fx, "\n", &sf);
	int rows = 0;
	for (lt = strtok_r(NULL, "\n", &st), lf = strtok_r(NULL, "\n", &sf); lt || lf;
	     lt = strtok_r(NULL, "\n", &st), lf = strtok_r(NULL, "\n", &sf)) {
		cr_assert(lt && lf, "tca.csv and fills.csv differ in rows at %d", rows);
		const char *t2 = strchr(lt, ',');
		cr_assert_not_null(t2);
		t2++;
		size_t k = strcspn(lf, ",");
		k += 1 + strcspn(lf + k + 1, ",");
		cr_assert_eq(strncmp(t2, lf, k + 1), 0, "row %d: %s / %s", rows, lt, lf);
		rows++;
	}
	cr_expect_gt(rows, 0, "the path made no fill");
	free(tx);
	free(ty);
	free(fx);
}

Test(cv_tool, bad_options_are_named)
{
	static char out[1 << 14];
	static const struct { const char *args, *says; } bad[] = {
		{ "--groups 1", "--groups '1'" },
		{ "--groups 4 --test-groups 4", "--test-groups 4" },
		{ "--embargo 5", "--embargo '5'" },
		{ "--sample-every -1s", "--sample-every '-1s'" },
		{ "--jobs 0", "--jobs '0'" },
		{ "", "--input FILE is required" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = run(out, sizeof(out), "'%s/dm-cv' %s %s", bindir,
			     strstr(bad[i].says, "--input") ? "" : "--input /dev/null", bad[i].args);
		cr_expect_eq(rc, 2, "%s: exit %d\n%s", bad[i].args, rc, out);
		cr_expect(strstr(out, bad[i].says), "%s: should name %s:\n%s", bad[i].args,
			  bad[i].says, out);
	}
	cr_expect_eq(run(out, sizeof(out), "'%s/dm-cv' --help", bindir), 0);
	cr_expect(strstr(out, "usage: dm-cv"), "%s", out);
}
