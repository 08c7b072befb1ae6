/*
 * test_label_tool.c — dm-label end to end: a dm-features-shaped CSV written
 * here (the real header, rows by feat_csv_row), the label rows it writes
 * checked against barrier touches, spans and weights worked out by hand,
 * event selection (every k-th row, CUSUM against the textbook loop), the
 * micro-price path, the primary side and meta-labels; bad input (exit 2
 * naming FILE:LINE:COLUMN), bad usage, a window too small (exit 1), no
 * output left behind by a failed run, and memory that does not grow with
 * the input.
 *
 * The program is the dm-label of the build this test belongs to:
 * <dir of this test>/../bin/dm-label.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/features/feat_csv.h"
#include "libcore/features/features.h"
#include "tests/helpers.h"

static char t_tool[PATH_MAX + 32];

static void setup(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	cr_assert(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(t_tool, sizeof(t_tool), "%s/../bin/dm-label", self);
	cr_assert_eq(access(t_tool, X_OK), 0, "%s missing: build it first", t_tool);
	t_tmp_init("dmlabeltool");
}

TestSuite(label_tool, .init = setup, .fini = t_tmp_cleanup, .timeout = 120);

/* Run dm-label with args (NULL-terminated); stderr into *err (malloc'd);
 * the child's peak RSS in KiB into *rss_kb when not NULL.  Returns the
 * exit status. */
static int t_run_rss(char **err, long *rss_kb, ...)
{
	static char errf[320];
	char *argv[64];
	va_list ap;
	int n = 0, st;
	struct rusage ru;
	pid_t pid;

	snprintf(errf, sizeof(errf), "%s/stderr.txt", t_tmp_dir);
	argv[n++] = t_tool;
	va_start(ap, rss_kb);
	while ((argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (!freopen(errf, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(126);
		execv(t_tool, argv);
		_exit(127);
	}
	cr_assert_eq(wait4(pid, &st, 0, &ru), pid);
	FILE *f = fopen(errf, "r");
	cr_assert_not_null(f);
	*err = calloc(1, 65536);
	cr_assert_not_null(*err);
	size_t k = fread(*err, 1, 65535, f);
	(*err)[k] = '\0';
	fclose(f);
	cr_assert(WIFEXITED(st), "dm-label died: %s", *err);
	if (rss_kb)
		*rss_kb = ru.ru_maxrss;
	return WEXITSTATUS(st);
}

#define t_run(err, ...) t_run_rss(err, NULL, __VA_ARGS__)

/* A dm-features CSV: the real header, rows at 1 s apart with the given
 * mids and, when not NULL, micro_dev and ofi_ml values; other columns 0. */
static void t_features_csv(const char *path, size_t n, const double *mid, const double *micro,
			   const double *ofi)
{
	FILE *f = fopen(path, "w");
	char buf[FEAT_CSV_ROW_MAX + 64];

	cr_assert_not_null(f);
	cr_assert_gt(feat_csv_header(buf, sizeof(buf)), 0);
	fputs(buf, f);
	for (size_t i = 0; i < n; i++) {
		double v[FEAT_N] = { 0 };

		v[FEAT_MID] = mid[i];
		v[FEAT_MICRO_DEV] = micro ? micro[i] : 0;
		v[FEAT_OFI_ML] = ofi ? ofi[i] : 0;
		v[FEAT_FRACDIFF] = NAN;
		fwrite(buf, 1, feat_csv_row(buf, 1700000000000000000LL + (int64_t)i * 1000000000LL, v),
		       f);
	}
	cr_assert_eq(fclose(f), 0);
}

/* One output row. */
struct t_lrow {
	uint64_t i0, i1;
	int64_t t0, t1;
	int label, side, meta;
	char barrier[8];
	double ret, uniq, w;
};

/* Read the output: checks the header, returns the number of rows. */
static size_t t_read(const char *path, int with_side, struct t_lrow *rows, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t n = 0;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_str_eq(line, with_side ? "t0_idx,t0_ns,t1_idx,t1_ns,label,barrier,ret,side,meta,uniq,w_ret\n"
					 : "t0_idx,t0_ns,t1_idx,t1_ns,label,barrier,ret,uniq,w_ret\n");
	while (fgets(line, sizeof(line), f)) {
		struct t_lrow *r = &rows[n];
		char *tok[16], *s = line;
		int k = 0;

		cr_assert_lt(n, cap);
		line[strcspn(line, "\n")] = '\0';
		while (k < 16 && (tok[k] = strsep(&s, ",")))
			k++;
		cr_assert_eq(k, with_side ? 11 : 9, "row %zu: %d fields", n, k);
		r->i0 = strtoull(tok[0], NULL, 10);
		r->t0 = strtoll(tok[1], NULL, 10);
		r->i1 = strtoull(tok[2], NULL, 10);
		r->t1 = strtoll(tok[3], NULL, 10);
		r->label = atoi(tok[4]);
		snprintf(r->barrier, sizeof(r->barrier), "%s", tok[5]);
		r->ret = strtod(tok[6], NULL);
		r->side = with_side ? atoi(tok[7]) : 0;
		r->meta = with_side ? atoi(tok[8]) : -1;
		r->uniq = strtod(tok[with_side ? 9 : 7], NULL);
		r->w = strtod(tok[with_side ? 10 : 8], NULL);
		n++;
	}
	fclose(f);
	return n;
}

/* Nothing named like the output is left in the scratch directory. */
static void t_nothing_left(const char *out)
{
	char cmd[512];

	cr_assert_neq(access(out, F_OK), 0, "%s left behind", out);
	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q 'tmp-'", t_tmp_dir);
	cr_assert_neq(system(cmd), 0, "a temporary file is left in %s", t_tmp_dir);
}

#define T0 1700000000000000000LL
#define SEC 1000000000LL

/* ------------------------------------------------------------ labels */

Test(label_tool, labels_spans_and_weights_by_hand)
{
	/* mids 100 101 103 102 99 100, tick 1, barriers 2 ticks, 3-row vertical:
	 *  row 0 (100): 102 / 98  -> 103 at row 2: +1 pt
	 *  row 1 (101): 103 / 99  -> 103 at row 2: +1 pt
	 *  row 2 (103): 105 / 101 -> 99 at row 4: -1 sl
	 *  row 3 (102): 104 / 100 -> 99 at row 4: -1 sl
	 *  row 4 (99):  101 / 97  -> data end at row 5: end, sign(100/99) = +1
	 *  row 5 (100): its own last row: end, 0
	 * spans [0,2] [1,2] [2,4] [3,4] [4,5] [5,5]
	 * concurrency rows 0..5: 1 2 3 2 3 2 */
	const double mid[] = { 100, 101, 103, 102, 99, 100 };
	const char *in = t_tmp_path("f.csv"), *out = t_tmp_path("l.csv");
	struct t_lrow r[16];
	char *err;

	t_features_csv(in, 6, mid, NULL, NULL);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--tick", "1", "--pt-ticks", "2",
			   "--sl-ticks", "2", "--vert-events", "3", NULL), 0, "%s", err);
	cr_assert(strstr(err, "6 rows"), "%s", err);
	cr_assert(strstr(err, "mean uniqueness"), "%s", err);
	free(err);
	cr_assert_eq(t_read(out, 0, r, 16), 6);

	const uint64_t i1[] = { 2, 2, 4, 4, 5, 5 };
	const int lab[] = { 1, 1, -1, -1, 1, 0 };
	const char *bar[] = { "pt", "pt", "sl", "sl", "end", "end" };
	const double c[] = { 1, 2, 3, 2, 3, 2 };
	double wsum = 0, attr[6], asum = 0;

	for (int k = 0; k < 6; k++) {
		cr_assert_eq(r[k].i0, (uint64_t)k);
		cr_assert_eq(r[k].t0, T0 + k * SEC);
		cr_assert_eq(r[k].i1, i1[k], "row %d", k);
		cr_assert_eq(r[k].t1, T0 + (int64_t)i1[k] * SEC);
		cr_assert_eq(r[k].label, lab[k], "row %d", k);
		cr_assert_str_eq(r[k].barrier, bar[k]);
		cr_assert_float_eq(r[k].ret, log(mid[i1[k]] / mid[k]), 1e-13);
		double u = 0, a = 0;
		for (uint64_t t = (uint64_t)k; t <= i1[k]; t++) {
			u += 1 / c[t];
			if (t > (uint64_t)k)
				a += log(mid[t] / mid[t - 1]) / c[t];
		}
		cr_assert_float_eq(r[k].uniq, u / (double)(i1[k] - (uint64_t)k + 1), 1e-13, "row %d", k);
		attr[k] = fabs(a);
		asum += attr[k];
		wsum += r[k].w;
	}
	cr_assert_float_eq(wsum, 6.0, 1e-12);
	for (int k = 0; k < 6; k++)
		cr_assert_float_eq(r[k].w, attr[k] * 6 / asum, 1e-12, "row %d", k);
	cr_assert_eq(r[5].w, 0);
	t_nothing_left(t_tmp_path("none.csv")); /* no temporary file remains */
}

/* --json: the summary as one object on stdout, its counts those of the
 * hand-worked example above (labels +1 rows 0, 1, 4; 0 row 5; -1 rows 2, 3;
 * barriers pt 0, 1; sl 2, 3; end 4, 5), and nothing on stderr but warnings. */
Test(label_tool, json_summary_counts_the_hand_worked_labels)
{
	const double mid[] = { 100, 101, 103, 102, 99, 100 };
	const char *in = t_tmp_path("fj.csv"), *out = t_tmp_path("lj.csv");
	char cmd[PATH_MAX * 3 + 200], doc[8192];

	t_features_csv(in, 6, mid, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "'%s' --input '%s' --output '%s' --tick 1 --pt-ticks 2 "
		 "--sl-ticks 2 --vert-events 3 --json 2>'%s'", t_tool, in, out,
		 t_tmp_path("json.err"));
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t k = fread(doc, 1, sizeof(doc) - 1, p);
	doc[k] = '\0';
	cr_assert_eq(pclose(p), 0, "%s", doc);
	json_error_t je;
	json_t *j = json_loads(doc, 0, &je);
	cr_assert_not_null(j, "%s: %s", je.text, doc);
	cr_expect_eq(json_integer_value(json_object_get(j, "rows")), 6);
	cr_expect_eq(json_integer_value(json_object_get(j, "labels")), 6);
	json_t *bl = json_object_get(j, "by_label"), *bb = json_object_get(j, "by_barrier");
	cr_expect_eq(json_integer_value(json_object_get(bl, "+1")), 3);
	cr_expect_eq(json_integer_value(json_object_get(bl, "0")), 1);
	cr_expect_eq(json_integer_value(json_object_get(bl, "-1")), 2);
	cr_expect_eq(json_integer_value(json_object_get(bb, "pt")), 2);
	cr_expect_eq(json_integer_value(json_object_get(bb, "sl")), 2);
	cr_expect_eq(json_integer_value(json_object_get(bb, "end")), 2);
	cr_expect_str_eq(json_string_value(json_object_get(j, "output")), out);
	json_decref(j);
	FILE *e = fopen(t_tmp_path("json.err"), "r");
	cr_assert_not_null(e);
	cr_expect_eq(fgetc(e), EOF, "no text summary on stderr with --json");
	fclose(e);
}

Test(label_tool, every_kth_row_and_cusum_events)
{
	enum { N = 400 };
	double mid[N];
	const char *in = t_tmp_path("f.csv"), *out = t_tmp_path("l.csv");
	struct t_lrow *r = calloc(N, sizeof(*r));
	cr_assert_not_null(r);
	struct t_rng g;
	char *err;

	t_rng_seed(&g, 3);
	mid[0] = 130000;
	for (int i = 1; i < N; i++)
		mid[i] = mid[i - 1] + 2.5 * ((double)t_rng_below(&g, 5) - 2);
	t_features_csv(in, N, mid, NULL, NULL);

	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--every", "7", "--pt-ticks", "3",
			   "--sl-ticks", "3", "--vert-events", "20", NULL), 0, "%s", err);
	free(err);
	size_t n = t_read(out, 0, r, N);
	cr_assert_eq(n, (N + 6) / 7);
	for (size_t k = 0; k < n; k++)
		cr_assert_eq(r[k].i0, 7 * k);

	/* CUSUM, h = 5e-5, worked here with the textbook loop */
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--cusum", "5e-5", "--pt-ticks",
			   "3", "--sl-ticks", "3", "--vert-events", "20", NULL), 0, "%s", err);
	free(err);
	n = t_read(out, 0, r, N);
	double sp = 0, sn = 0;
	size_t k = 0;
	for (int i = 1; i < N; i++) {
		double d = log(mid[i]) - log(mid[i - 1]);
		int ev = 0;

		sp = fmax(0, sp + d);
		sn = fmin(0, sn + d);
		if (sn < -5e-5) {
			sn = 0;
			ev = 1;
		} else if (sp > 5e-5) {
			sp = 0;
			ev = 1;
		}
		if (ev) {
			cr_assert_lt(k, n);
			cr_assert_eq(r[k].i0, (uint64_t)i, "event %zu", k);
			k++;
		}
	}
	cr_assert_eq(k, n);
	cr_assert_gt(n, 20);
	free(r);
}

Test(label_tool, micro_price_path_uses_the_tick)
{
	/* mid flat at 100; micro_dev 0.5 then 2.5 ticks of 5: micro 102.5,
	 * then 112.5 -> with 2-tick (10 point) barriers only the micro path
	 * touches, at row 2 */
	const double mid[] = { 100, 100, 100, 100 }, dev[] = { 0, 0.5, 2.5, 0 };
	const char *in = t_tmp_path("f.csv"), *out = t_tmp_path("l.csv");
	struct t_lrow r[8];
	char *err;

	t_features_csv(in, 4, mid, dev, NULL);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--tick", "5", "--every", "4",
			   "--pt-ticks", "2", "--sl-ticks", "2", "--price", "micro", NULL), 0, "%s", err);
	free(err);
	cr_assert_eq(t_read(out, 0, r, 8), 1);
	cr_assert_eq(r[0].i1, 2);
	cr_assert_str_eq(r[0].barrier, "pt");
	cr_assert_float_eq(r[0].ret, log(112.5 / 100), 1e-13);

	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--tick", "5", "--every", "4",
			   "--pt-ticks", "2", "--sl-ticks", "2", NULL), 0, "%s", err);
	free(err);
	cr_assert_eq(t_read(out, 0, r, 8), 1);
	cr_assert_str_eq(r[0].barrier, "end");
}

Test(label_tool, primary_side_and_meta_labels)
{
	/* mids 100 101 103 102 99 100, ofi_ml 5 -3 0.5 2 1 0 with a dead zone
	 * of 0.5: sides +1 -1 (none) +1 +1 (none)
	 *  row 0 long:  102 / 98  -> 103 at row 2: pt, meta 1
	 *  row 1 short: profit 99, stop 103 -> 103 at row 2: sl, meta 0,
	 *               ret -ln(103/101)
	 *  row 3 long:  104 / 100 -> 99 at row 4: sl, meta 0
	 *  row 4 long:  101 / 97  -> end at row 5, +1, meta 1 */
	const double mid[] = { 100, 101, 103, 102, 99, 100 }, ofi[] = { 5, -3, 0.5, 2, 1, 0 };
	const char *in = t_tmp_path("f.csv"), *out = t_tmp_path("l.csv");
	struct t_lrow r[8];
	char *err;

	t_features_csv(in, 6, mid, NULL, ofi);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--tick", "1", "--pt-ticks", "2",
			   "--sl-ticks", "2", "--vert-events", "3", "--primary-feature", "ofi_ml",
			   "--primary-threshold", "0.5", NULL), 0, "%s", err);
	cr_assert(strstr(err, "no side 2"), "%s", err);
	cr_assert_null(strstr(err, "WARNING"), "two sides: no warning: %s", err);
	free(err);
	cr_assert_eq(t_read(out, 1, r, 8), 4);
	const uint64_t i0[] = { 0, 1, 3, 4 }, i1[] = { 2, 2, 4, 5 };
	const int side[] = { 1, -1, 1, 1 }, meta[] = { 1, 0, 0, 1 };
	for (int k = 0; k < 4; k++) {
		cr_assert_eq(r[k].i0, i0[k]);
		cr_assert_eq(r[k].i1, i1[k], "row %d", k);
		cr_assert_eq(r[k].side, side[k]);
		cr_assert_eq(r[k].meta, meta[k], "row %d", k);
		cr_assert_eq(r[k].label, meta[k] ? 1 : -1);
	}
	cr_assert_float_eq(r[1].ret, -log(103.0 / 101), 1e-13);

	/* inverted: the short at row 0 is stopped at 102 on row 2 (103) */
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--tick", "1", "--pt-ticks", "2",
			   "--sl-ticks", "2", "--vert-events", "3", "--primary-feature", "ofi_ml",
			   "--primary-threshold", "0.5", "--primary-invert", NULL), 0, "%s", err);
	free(err);
	cr_assert_eq(t_read(out, 1, r, 8), 4);
	cr_assert_eq(r[0].side, -1);
	cr_assert_str_eq(r[0].barrier, "sl");
	cr_assert_eq(r[0].meta, 0);

	/* dead-zone rows labeled too, side 0 */
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--tick", "1", "--pt-ticks", "2",
			   "--sl-ticks", "2", "--vert-events", "3", "--primary-feature", "ofi_ml",
			   "--primary-threshold", "0.5", "--keep-no-side", NULL), 0, "%s", err);
	free(err);
	cr_assert_eq(t_read(out, 1, r, 8), 6);
	cr_assert_eq(r[2].side, 0);
	cr_assert_eq(r[5].side, 0);
}

Test(label_tool, volatility_barriers_skip_the_warmup)
{
	enum { N = 200 };
	double mid[N];
	const char *in = t_tmp_path("f.csv"), *out = t_tmp_path("l.csv");
	struct t_lrow *r = calloc(N, sizeof(*r));
	cr_assert_not_null(r);
	struct t_rng g;
	char *err;

	t_rng_seed(&g, 11);
	mid[0] = 1000;
	for (int i = 1; i < N; i++)
		mid[i] = mid[i - 1] + (double)t_rng_below(&g, 5) - 2;
	t_features_csv(in, N, mid, NULL, NULL);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--vol-warmup", "30", "--vol-n",
			   "30", "--vol", "rolling", NULL), 0, "%s", err);
	cr_assert(strstr(err, "skipped 30"), "%s", err);
	free(err);
	size_t n = t_read(out, 0, r, N);
	/* rows 0..29 have fewer than 30 returns */
	cr_assert_eq(r[0].i0, 30);
	cr_assert_eq(n, N - 30);
	free(r);
}

/* ------------------------------------------------------------ bad input and usage */

static void t_bad_file(const char *text, const char *want, int want_code)
{
	const char *in = t_tmp_path("bad.csv"), *out = t_tmp_path("o.csv");
	char *err;

	t_write_file(in, text);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--pt-ticks", "1", "--sl-ticks",
			   "1", NULL), want_code, "%s", err);
	cr_assert(strstr(err, want), "want '%s' in: %s", want, err);
	free(err);
	t_nothing_left(out);
}

Test(label_tool, bad_rows_name_file_line_and_column)
{
	char want[512];

	snprintf(want, sizeof(want), "%s:3:2: column 'mid': 'abc' is not a number",
		 t_tmp_path("bad.csv"));
	t_bad_file("t_ns,mid\n1,100\n2,abc\n3,101\n", want, 2);
	snprintf(want, sizeof(want), "%s:4:1: column 't_ns'", t_tmp_path("bad.csv"));
	t_bad_file("t_ns,mid\n1,100\n2,100\n3x,101\n", want, 2);
	snprintf(want, sizeof(want), "%s:3:1: t_ns 1 is before", t_tmp_path("bad.csv"));
	t_bad_file("t_ns,mid\n5,100\n1,100\n", want, 2);
	snprintf(want, sizeof(want), "%s:3: 3 fields, the header has 2", t_tmp_path("bad.csv"));
	t_bad_file("t_ns,mid\n1,100\n2,100,7\n", want, 2);
	snprintf(want, sizeof(want), "%s:2:2: price -5 is not positive", t_tmp_path("bad.csv"));
	t_bad_file("t_ns,mid\n1,-5\n", want, 2);
	snprintf(want, sizeof(want), "%s:2:2: column 'mid': 'nan' is not a number",
		 t_tmp_path("bad.csv"));
	t_bad_file("t_ns,mid\n1,nan\n", want, 2);
	snprintf(want, sizeof(want), "%s:1: no column 'mid'", t_tmp_path("bad.csv"));
	t_bad_file("t_ns,price\n1,100\n", want, 2);
	snprintf(want, sizeof(want), "%s:1: empty file", t_tmp_path("bad.csv"));
	t_bad_file("", want, 2);
}

Test(label_tool, usage_errors_and_help)
{
	const char *in = t_tmp_path("f.csv"), *out = t_tmp_path("o.csv");
	const double mid[] = { 100, 101 };
	char *err;

	t_features_csv(in, 2, mid, NULL, NULL);
	cr_assert_eq(t_run(&err, "--help", NULL), 0);
	free(err);
	cr_assert_eq(t_run(&err, NULL), 2);
	cr_assert(strstr(err, "--input FILE is required"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", in, NULL), 2);
	cr_assert(strstr(err, "--output FILE is required"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--bogus", NULL), 2);
	cr_assert(strstr(err, "unknown option '--bogus'"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--pt", "2", "--pt-ticks", "3",
			   NULL), 2);
	cr_assert(strstr(err, "exclude each other"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--tie", "coin", NULL), 2);
	cr_assert(strstr(err, "--tie 'coin'"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--vert-events", "0", NULL), 2);
	cr_assert(strstr(err, "no vertical barrier"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--primary-feature", "nope", NULL),
		     2);
	cr_assert(strstr(err, "no column 'nope'"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", t_tmp_path("missing.csv"), "--output", out, NULL), 2);
	cr_assert(strstr(err, "missing.csv"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", in, "--output", t_tmp_path("no/such/dir.csv"), NULL), 2);
	cr_assert(strstr(err, "cannot create"), "%s", err);
	free(err);
	t_nothing_left(out);
}

Test(label_tool, window_too_small_is_exit_1)
{
	/* a 100-second barrier over rows 1 s apart needs ~200 rows; allow 16 */
	enum { N = 300 };
	double mid[N];
	const char *in = t_tmp_path("f.csv"), *out = t_tmp_path("o.csv");
	char *err;

	for (int i = 0; i < N; i++)
		mid[i] = 100 + 0.001 * (i % 3);
	t_features_csv(in, N, mid, NULL, NULL);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--pt-ticks", "50", "--sl-ticks",
			   "50", "--vert-events", "0", "--vert-sec", "100", "--window", "16", NULL), 1);
	cr_assert(strstr(err, "raise --window"), "%s", err);
	free(err);
	t_nothing_left(out);
	cr_assert_eq(t_run(&err, "--input", in, "--output", out, "--pt-ticks", "50", "--sl-ticks",
			   "50", "--vert-events", "0", "--vert-sec", "100", NULL), 0, "%s", err);
	free(err);
}

/* ------------------------------------------------------------ streaming */

static void t_long_csv(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");
	struct t_rng g;
	double mid = 130000;

	cr_assert_not_null(f);
	t_rng_seed(&g, 99);
	fputs("t_ns,mid\n", f);
	for (size_t i = 0; i < n; i++) {
		mid += 2.5 * ((double)t_rng_below(&g, 3) - 1);
		fprintf(f, "%zu,%.1f\n", i * 1000, mid);
	}
	cr_assert_eq(fclose(f), 0);
}

Test(label_tool, memory_does_not_grow_with_the_input)
{
	const size_t small = 20000, big = T_SANITIZED ? 200000 : 1000000;
	const char *a = t_tmp_path("a.csv"), *b = t_tmp_path("b.csv"), *out = t_tmp_path("o.csv");
	long rss_a, rss_b;
	char *err;

	t_long_csv(a, small);
	t_long_csv(b, big);
	cr_assert_eq(t_run_rss(&err, &rss_a, "--input", a, "--output", out, "--quiet", NULL), 0,
		     "%s", err);
	free(err);
	cr_assert_eq(t_run_rss(&err, &rss_b, "--input", b, "--output", out, "--quiet", NULL), 0,
		     "%s", err);
	free(err);
	/* RUSAGE_CHILDREN-style peak of each child; 50x the rows, the same
	 * memory give or take allocator noise */
	cr_assert_lt(rss_b - rss_a, 4096, "peak RSS %ld KiB for %zu rows, %ld KiB for %zu",
		     rss_b, big, rss_a, small);
	FILE *f = fopen(out, "r");
	char line[256];
	size_t n = 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	cr_assert_eq(n, 1 + big - 100); /* header + rows after the 100-return warm-up */
}

/* ------------------------------------------------------------ inputs without sizes */

/* Run another tool of this build (dm-features) with args; stderr into
 * *err.  Returns the exit status. */
static int t_run_tool(const char *name, char **err, const char *const *args)
{
	char tool[PATH_MAX + 64], errf[320], *argv[32];
	int n = 0, st;
	pid_t pid;

	snprintf(tool, sizeof(tool), "%.*s/dm-%s", (int)(strrchr(t_tool, '/') - t_tool), t_tool,
		 name);
	cr_assert_eq(access(tool, X_OK), 0, "%s missing: build it first", tool);
	snprintf(errf, sizeof(errf), "%s/stderr-%s.txt", t_tmp_dir, name);
	argv[n++] = tool;
	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (!freopen(errf, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(126);
		execv(tool, argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	FILE *f = fopen(errf, "r");
	cr_assert_not_null(f);
	*err = calloc(1, 65536);
	cr_assert_not_null(*err);
	size_t k = fread(*err, 1, 65535, f);
	(*err)[k] = '\0';
	fclose(f);
	cr_assert(WIFEXITED(st), "dm-%s died: %s", name, *err);
	return WEXITSTATUS(st);
}

/*
 * A MetaTrader 5 tick export as the terminal writes one for WIN: L1 bid /
 * ask changes (a random walk on the 5-point grid, spread 1 or 2 ticks)
 * and trades with the LAST flag and a volume; the book rows carry no
 * sizes, as every MT5 tick export.
 */
static void t_mt5_file(const char *path, int rows)
{
	FILE *f = fopen(path, "w");
	struct t_rng g;
	long bid = 108400, ms = 0;

	cr_assert_not_null(f);
	t_rng_seed(&g, 77);
	fputs("<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n", f);
	for (int i = 0; i < rows; i++) {
		long s;

		ms += 20 + (long)t_rng_below(&g, 380);
		s = ms / 1000;
		char tm[32];
		snprintf(tm, sizeof(tm), "%02ld:%02ld:%02ld.%03ld", 9 + s / 3600, s / 60 % 60,
			 s % 60, ms % 1000);
		if (t_rng_below(&g, 5) == 0) {
			int up = (int)t_rng_below(&g, 2);
			fprintf(f, "2022.01.03\t%s\t\t\t%ld\t%d\t%d\n", tm, bid + 5 * up,
				1 + (int)t_rng_below(&g, 5), up ? 56 : 88);
		} else {
			bid += 5 * ((long)t_rng_below(&g, 3) - 1);
			fprintf(f, "2022.01.03\t%s\t%ld\t%ld\t\t\t6\n", tm, bid,
				bid + 5 * (1 + (long)t_rng_below(&g, 2)));
		}
	}
	cr_assert_eq(fclose(f), 0);
}

/* Column col of a CSV with a header: its value range and whether it took
 * values of both signs, read here from the file itself. */
static void t_column_range(const char *path, const char *col, double *lo, double *hi,
			   size_t *rows)
{
	FILE *f = fopen(path, "r");
	static char line[1 << 14];
	int c = -1, k = 0;

	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	line[strcspn(line, "\n")] = '\0';
	for (char *s = line, *t; (t = strsep(&s, ",")); k++)
		if (!strcmp(t, col))
			c = k;
	cr_assert_geq(c, 0, "no column %s in %s", col, path);
	*lo = INFINITY;
	*hi = -INFINITY;
	*rows = 0;
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *t = NULL;
		for (int j = 0; j <= c; j++)
			t = strsep(&s, ",");
		cr_assert_not_null(t, "%s: a row without column %s", path, col);
		double v = strtod(t, NULL);
		*lo = v < *lo ? v : *lo;
		*hi = v > *hi ? v : *hi;
		(*rows)++;
	}
	fclose(f);
}

/*
 * The live strategy's primary rule (imb_1, from the configuration) on an
 * input without book sizes: imb_1 is 0 on every row, so every event falls
 * in the dead zone.  dm-label says so and names a price-based column that
 * takes both signs on this input; that rule then labels both sides.
 */
Test(label_tool, constant_primary_on_a_sizes_free_input_warns_and_names_a_working_rule)
{
	char mt5[256], feat[256], out[256], *err;
	double lo, hi;
	size_t n;

	snprintf(mt5, sizeof(mt5), "%s", t_tmp_path("WIN_ticks.txt"));
	snprintf(feat, sizeof(feat), "%s", t_tmp_path("mt5-features.csv"));
	snprintf(out, sizeof(out), "%s", t_tmp_path("mt5-labels.csv"));
	t_mt5_file(mt5, 3000);
	const char *fa[] = { "--input", mt5, "--format", "mt5", "--output", feat, "--quiet", NULL };
	cr_assert_eq(t_run_tool("features", &err, fa), 0, "dm-features: %s", err);
	free(err);

	/* what the file holds, read independently: every size feature is
	 * constant, imb_1 is 0, macd_hist takes both signs */
	static const char *const sized[] = { "imb_1", "imb_L", "imb_w", "micro_dev", "wmid_dev",
					     "ofi_1", "ofi_2", "ofi_3", "ofi_ml" };
	for (size_t i = 0; i < sizeof(sized) / sizeof(sized[0]); i++) {
		t_column_range(feat, sized[i], &lo, &hi, &n);
		cr_assert_eq(lo, hi, "%s varies (%g..%g) without book sizes", sized[i], lo, hi);
	}
	t_column_range(feat, "imb_1", &lo, &hi, &n);
	cr_assert_eq(lo, 0);
	cr_assert_gt(n, 2000);
	t_column_range(feat, "macd_hist", &lo, &hi, &n);
	cr_assert(lo < 0 && hi > 0, "macd_hist %g..%g", lo, hi);

	cr_assert_eq(t_run(&err, "--input", feat, "--output", out, "--primary-from-config",
			   "--quiet", NULL), 0, "%s", err);
	cr_assert(strstr(err, "WARNING: the primary rule (imb_1"), "%s", err);
	cr_assert(strstr(err, "same side: none"), "%s", err);
	cr_assert(strstr(err, "column imb_1 is constant (0)"), "%s", err);
	cr_assert(strstr(err, "no book sizes"), "%s", err);
	cr_assert(strstr(err, "--primary-feature macd_hist"), "%s", err);
	free(err);

	/* the rule it names works: both sides, no warning */
	struct t_lrow *r = calloc(4000, sizeof(*r));
	cr_assert_not_null(r);
	cr_assert_eq(t_run(&err, "--input", feat, "--output", out, "--primary-feature", "macd_hist",
			   "--quiet", NULL), 0, "%s", err);
	cr_assert_null(strstr(err, "WARNING"), "%s", err);
	free(err);
	size_t k = t_read(out, 1, r, 4000), lng = 0, sht = 0;
	for (size_t i = 0; i < k; i++) {
		lng += r[i].side == 1;
		sht += r[i].side == -1;
	}
	cr_assert(lng > 100 && sht > 100, "long %zu short %zu of %zu", lng, sht, k);
	free(r);

	/* a size feature chosen by hand warns the same way */
	cr_assert_eq(t_run(&err, "--input", feat, "--output", out, "--primary-feature", "ofi_ml",
			   "--quiet", NULL), 0, "%s", err);
	cr_assert(strstr(err, "column ofi_ml is constant (0)"), "%s", err);
	cr_assert(strstr(err, "--primary-feature macd_hist"), "%s", err);
	free(err);
}

/* ------------------------------------------------------------ .npy input */

static char *t_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	cr_assert_not_null(b);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* dm-features' CSV and .npy of one input label alike, byte for byte:
 * the LOBSTER sample (999 rows) and a synthetic journal with several
 * options (micro price, primary side, CUSUM, seconds barrier). */
Test(label_tool, npy_input_gives_the_csv_labels)
{
	char feat[PATH_MAX + 32], gen[PATH_MAX + 32], cmd[4 * PATH_MAX];
	char csv[320], npy[320], jr[320], a[320], b[320];
	const char *lob = "tests/data/lobster-aapl-20120621-excerpt/"
			  "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv";

	snprintf(feat, sizeof(feat), "%s", t_tool);
	strcpy(strrchr(feat, '/') + 1, "dm-features");
	snprintf(gen, sizeof(gen), "%s", t_tool);
	strcpy(strrchr(gen, '/') + 1, "dm-gen");
	snprintf(jr, sizeof(jr), "%s/g.jrnl", t_tmp_dir);
	snprintf(cmd, sizeof(cmd), "'%s' --seed 5 --events 20000 --output '%s' --quiet", gen, jr);
	cr_assert_eq(system(cmd), 0, "%s", cmd);

	const char *inputs[] = { lob, jr };
	const char *opts[][12] = {
		{ "--primary-feature", "ofi_ml", "--vert-events", "20", NULL },
		{ "--price", "micro", "--tick", "0.01", "--cusum", "0.0001", "--vert-sec", "2", NULL },
		{ "--primary-feature", "imb_1", "--primary-threshold", "0.2", "--pt-ticks", "3",
		  "--sl-ticks", "3", "--vert-events", "50", NULL },
	};
	for (size_t i = 0; i < 2; i++) {
		snprintf(csv, sizeof(csv), "%s/f%zu.csv", t_tmp_dir, i);
		snprintf(npy, sizeof(npy), "%s/f%zu.npy", t_tmp_dir, i);
		snprintf(cmd, sizeof(cmd), "'%s' --input '%s' --output '%s' --quiet && '%s' --input "
			 "'%s' --output '%s' --quiet", feat, inputs[i], csv, feat, inputs[i], npy);
		cr_assert_eq(system(cmd), 0, "%s", cmd);
		for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
			char *err, *x, *y;
			size_t lx, ly;
			const char **op = opts[o];

			snprintf(a, sizeof(a), "%s/l%zu%zu-csv.csv", t_tmp_dir, i, o);
			snprintf(b, sizeof(b), "%s/l%zu%zu-npy.csv", t_tmp_dir, i, o);
			cr_assert_eq(t_run(&err, "--input", csv, "--output", a, "--quiet", op[0], op[1],
					   op[2], op[3], op[4], op[5], op[6], op[7], op[8], op[9],
					   NULL), 0, "%s", err);
			free(err);
			cr_assert_eq(t_run(&err, "--input", npy, "--output", b, "--quiet", op[0], op[1],
					   op[2], op[3], op[4], op[5], op[6], op[7], op[8], op[9],
					   NULL), 0, "%s", err);
			free(err);
			x = t_file(a, &lx);
			y = t_file(b, &ly);
			cr_assert_gt(lx, 200, "input %zu options %zu: %zu bytes of labels", i, o, lx);
			cr_assert(lx == ly && memcmp(x, y, lx) == 0,
				  "input %zu options %zu: labels from the .npy differ", i, o);
			free(x);
			free(y);
		}
	}

	/* without its column file: exit 2 naming it */
	char *err;
	snprintf(cmd, sizeof(cmd), "%s.columns", npy);
	cr_assert_eq(unlink(cmd), 0);
	cr_assert_eq(t_run(&err, "--input", npy, "--output", a, NULL), 2);
	cr_assert(strstr(err, "f1.npy.columns"), "%s", err);
	free(err);
}
