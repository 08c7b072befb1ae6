/*
 * test_compare.c — dm-compare end to end, and dm-report of what it writes.
 *
 *   - the default variants (conf/strategies/: taker, mm_as, mm_glft) on a
 *     synthetic WIN market of 50k events (with dm-cv) and on the LOBSTER
 *     AAPL sample (its bundled profile picked): every figure of
 *     compare.json equals an independent reading of the run's own files
 *     (fills.csv, orders.csv, equity.csv, tca.csv, summary.json; cv.json
 *     and paths.csv for the paths' Sharpe);
 *   - the market makers quote passively, the taker takes: passive shares
 *     1-ish and 0;
 *   - the page: a section per market, every number cell's data-key a path
 *     of compare.json and its data-value that value; the equity curves of
 *     the variants overlaid;
 *   - bad input named: a missing input, a variant that does not load
 *     (file:line:key, exit 2, nothing run), a bad --variant, a comparison
 *     whose run directory went missing (dm-report: exit 2 naming it).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/helpers.h"

#define AAPL "tests/data/lobster-aapl-20120621-excerpt/" \
	     "AAPL_2012-06-21_34200000_57600000_message_10.csv"
#define AAPL_NAME "AAPL_2012-06-21_34200000_57600000_message_10"

static const char *bindir;
static char root[PATH_MAX / 4];
static char market[512];
static char out[1 << 16];

static void setup(void)
{
	struct t_paths p;
	t_paths_or_fail(&p);
	snprintf(root, sizeof(root), "%s", p.root);
	bindir = t_bin_dir();
	t_tmp_init("dmtest-compare");
	snprintf(market, sizeof(market), "%s", t_tmp_path("syn.dmj"));
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-gen' --seed 3 --events 50000 --output '%s' "
			  "--quiet", bindir, market), 0, "%s", out);
}

static void teardown(void)
{
	if (!getenv("DM_TEST_KEEP"))
		t_tmp_cleanup();
}

TestSuite(compare, .init = setup, .fini = teardown, .timeout = 300);

/* ------------------------------------------------------------ helpers */

static json_t *json_at(const char *dir, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	json_error_t e;
	json_t *j = json_load_file(p, 0, &e);
	cr_assert_not_null(j, "%s: %s", p, e.text);
	return j;
}

static json_t *jget(json_t *j, const char *path)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL;
	for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = json_object_get(j, k);
	return j;
}

static double jnum(json_t *j, const char *path)
{
	json_t *v = jget(j, path);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A CSV file read whole: rows of fields, by the header's names. */
struct tcsv {
	char *text;
	int ncol;
	char *head[64];
	size_t nrow;
	char ***row;
};

static int tsplit(char *s, char **f, int max)
{
	int n = 0;
	for (;;) {
		cr_assert_lt(n, max);
		f[n++] = s;
		char *c = strchr(s, ',');
		if (!c)
			return n;
		*c = '\0';
		s = c + 1;
	}
}

static void tcsv_read(struct tcsv *c, const char *dir, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	memset(c, 0, sizeof(*c));
	c->text = t_file_text(p, NULL);
	cr_assert_not_null(c->text, "no %s", p);
	char *save = NULL, *line = strtok_r(c->text, "\n", &save);
	cr_assert_not_null(line, "%s: empty", p);
	c->ncol = tsplit(line, c->head, 64);
	while ((line = strtok_r(NULL, "\n", &save))) {
		c->row = t_realloc(c->row, (c->nrow + 1) * sizeof(*c->row));
		char **f = t_realloc(NULL, 64 * sizeof(char *));
		cr_assert_eq(tsplit(line, f, 64), c->ncol, "%s: row %zu", p, c->nrow + 2);
		c->row[c->nrow++] = f;
	}
}

static int tcsv_col(const struct tcsv *c, const char *name)
{
	for (int i = 0; i < c->ncol; i++)
		if (!strcmp(c->head[i], name))
			return i;
	cr_assert_fail("no column %s", name);
	return -1;
}

static void tcsv_free(struct tcsv *c)
{
	for (size_t i = 0; i < c->nrow; i++)
		free(c->row[i]);
	free(c->row);
	free(c->text);
}

static void expect_near(double got, double want, const char *what)
{
	if (isnan(want)) {
		cr_expect(isnan(got), "%s: %.12g, expected none", what, got);
		return;
	}
	cr_expect(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want)), "%s: %.12g, expected %.12g",
		  what, got, want);
}

/* Every figure of compare.json markets.M.runs.V against the run's files. */
static void check_run(const char *dir, json_t *cj, const char *m, const char *v, int cv)
{
	char rp[256], rd[PATH_MAX], what[320];
	snprintf(rp, sizeof(rp), "markets.%s.runs.%s", m, v);
	json_t *r = jget(cj, rp);
	cr_assert_not_null(r, "no %s in compare.json", rp);
	cr_assert_eq(json_integer_value(json_object_get(r, "exit")), 0, "%s: exit", rp);
	snprintf(rd, sizeof(rd), "%s/runs/%s/%s", dir, m, v);
	cr_expect_str_eq(json_string_value(json_object_get(r, "dir")), rd + strlen(dir) + 1);

	struct tcsv c;
	tcsv_read(&c, rd, "fills.csv");
	int cl = tcsv_col(&c, "liquidity"), cf = tcsv_col(&c, "fee");
	double fees = 0, maker = 0;
	for (size_t i = 0; i < c.nrow; i++) {
		fees += strtod(c.row[i][cf], NULL);
		maker += !strcmp(c.row[i][cl], "maker");
	}
	double fills = (double)c.nrow;
	tcsv_free(&c);
	tcsv_read(&c, rd, "orders.csv");
	double orders = (double)c.nrow;
	tcsv_free(&c);

	tcsv_read(&c, rd, "equity.csv");
	int ct = tcsv_col(&c, "t_ns"), cp = tcsv_col(&c, "position"), ce = tcsv_col(&c, "equity");
	cr_assert_gt(c.nrow, 1, "%s: equity.csv rows", rp);
	/* |position| held from one row to the next, over market time */
	double area = 0, mx = 0;
	for (size_t i = 0; i < c.nrow; i++) {
		double q = fabs(strtod(c.row[i][cp], NULL));
		mx = fmax(mx, q);
		if (i + 1 < c.nrow)
			area += q * (strtod(c.row[i + 1][ct], NULL) - strtod(c.row[i][ct], NULL));
	}
	double span = strtod(c.row[c.nrow - 1][ct], NULL) - strtod(c.row[0][ct], NULL);
	double net = strtod(c.row[c.nrow - 1][ce], NULL);
	tcsv_free(&c);

	tcsv_read(&c, rd, "tca.csv");
	static const char *const hz[] = { "1s", "5s", "30s" };
	double adv[3];
	for (int h = 0; h < 3; h++) {
		char col[32];
		snprintf(col, sizeof(col), "impact_%s", hz[h]);
		int k = tcsv_col(&c, col);
		double s = 0, n = 0;
		for (size_t i = 0; i < c.nrow; i++) {
			if (!*c.row[i][k])
				continue;
			/* the mid's move against the fill: for a buy, m(t) - m(t+H) */
			s += -strtod(c.row[i][k], NULL) / 2;
			n++;
		}
		adv[h] = n ? s / n : NAN;
		snprintf(col, sizeof(col), "n_%s", hz[h]);
		cr_expect_eq(json_integer_value(json_object_get(r, col)), (json_int_t)n, "%s %s",
			     rp, col);
	}
	cr_expect_eq((double)c.nrow, fills, "%s: a tca.csv row per fill", rp);
	tcsv_free(&c);
	json_t *sum = json_at(rd, "summary.json");

#define NEAR(key, want) \
	(snprintf(what, sizeof(what), "%s.%s", rp, key), \
	 expect_near(jnum(r, key), (want), what))
	NEAR("net_pnl", net);
	NEAR("sharpe", jnum(sum, "performance.sharpe"));
	NEAR("max_drawdown", jnum(sum, "performance.max_drawdown"));
	NEAR("fills", fills);
	NEAR("orders", orders);
	NEAR("fill_rate", orders ? fills / orders : NAN);
	NEAR("passive_share", fills ? maker / fills : NAN);
	NEAR("inventory_mean_abs", area / span);
	NEAR("inventory_max_abs", mx);
	NEAR("adverse_1s", adv[0]);
	NEAR("adverse_5s", adv[1]);
	NEAR("adverse_30s", adv[2]);
	NEAR("fees", fees);
	json_decref(sum);

	/* a taker takes (on the AAPL sample the meta-model, trained on the
	 * synthetic market, may let it take nothing), a market maker rests */
	if (!strcmp(v, "taker")) {
		cr_expect_eq(maker, 0, "%s: a taker's fill was passive", rp);
	} else {
		cr_expect_gt(fills, 0, "%s: no fill", rp);
		cr_expect_geq(maker / fills, 0.9, "%s: passive share %g", rp, maker / fills);
	}

	if (!cv)
		return;
	char cd[PATH_MAX];
	snprintf(cd, sizeof(cd), "%s/cv/%s/%s", dir, m, v);
	tcsv_read(&c, cd, "paths.csv");
	int cs = tcsv_col(&c, "sharpe");
	double s = 0, n = 0;
	double *xs = calloc(c.nrow + 1, sizeof(*xs));
	cr_assert_not_null(xs);
	for (size_t i = 0; i < c.nrow; i++) {
		char *end;
		double x = strtod(c.row[i][cs], &end);
		if (*end || !isfinite(x))
			continue;
		s += x;
		xs[(size_t)n++] = x;
	}
	double paths = (double)c.nrow;
	tcsv_free(&c);
	double mean = n ? s / n : NAN;
	/* two passes: equal paths (a market maker without skew) give 0, not
	 * the rounding of s2 - n mean^2 */
	double ss = 0;
	for (size_t i = 0; i < (size_t)n; i++)
		ss += (xs[i] - mean) * (xs[i] - mean);
	free(xs);
	double sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
	NEAR("cv.paths", paths);
	NEAR("cv.sharpe_n", n);
	cr_expect(fabs(jnum(r, "cv.sharpe_mean") - mean) <= 1e-6 * fmax(1, fabs(mean)),
		  "%s cv mean %.12g, paths.csv %.12g", rp, jnum(r, "cv.sharpe_mean"), mean);
	if (n > 1)
		cr_expect(fabs(jnum(r, "cv.sharpe_stdev") - sd) <= 1e-6 * fmax(1, sd),
			  "%s cv stdev %.12g, paths.csv %.12g", rp, jnum(r, "cv.sharpe_stdev"), sd);
#undef NEAR
}

/* Every data-key of page s is a number of cj there, data-value equal. */
static int check_page_cells(const char *s, json_t *cj)
{
	int n = 0;
	for (const char *p = strstr(s, "data-key=\""); p; p = strstr(p + 1, "data-key=\"")) {
		char key[400];
		const char *k = p + 10;
		size_t l = strcspn(k, "\"");
		cr_assert_lt(l, sizeof(key));
		snprintf(key, sizeof(key), "%.*s", (int)l, k);
		const char *gt = strchr(k, '>');
		const char *dv = strstr(k, "data-value=\"");
		json_t *v = jget(cj, key);
		cr_assert_not_null(v, "data-key %s: not in compare.json", key);
		if (json_is_null(v)) {
			cr_expect(!dv || dv > gt, "%s: null, but the cell has a value", key);
			cr_expect(!strncmp(gt + 1, "n/a<", 4), "%s: null shown as n/a", key);
		} else {
			cr_assert(dv && dv < gt, "%s: no data-value", key);
			double got = strtod(dv + 12, NULL), want = json_number_value(v);
			cr_expect(fabs(got - want) <= 1e-11 * fmax(1, fabs(want)),
				  "%s: page %.12g, compare.json %.12g", key, got, want);
		}
		n++;
	}
	return n;
}

/* ------------------------------------------------------------ tests */

Test(compare, figures_equal_an_independent_reading_of_each_run)
{
	/* the synthetic market with dm-cv; the AAPL sample (one minute of
	 * market: too few samples for dm-cv) by dm-backtest only */
	const char *d = t_tmp_path("cmp"), *d2 = t_tmp_path("aapl");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-compare' --input '%s' --out '%s' --cv --groups 4 "
			  "--test-groups 2 --sample-every 250ms --jobs 2", bindir, market, d), 0,
		     "%s", out);
	cr_expect(strstr(out, "[6/6]"), "progress on stderr:\n%s", out);
	cr_assert_eq(t_sh(out, sizeof(out), "cd '%s' && '%s/dm-compare' --input %s --out '%s' "
			  "--quiet >'%s/table.md'", root, bindir, AAPL, d2, t_tmp_dir), 0, "%s", out);
	cr_expect_eq(out[0], '\0', "--quiet: nothing on stderr:\n%s", out);
	/* the table on stdout: a row per variant */
	char *tab = t_file_text(t_tmp_path("table.md"), NULL);
	cr_assert_not_null(tab);
	cr_expect(strstr(tab, "| variant | net P&L |") && strstr(tab, "\n| taker |") &&
		  strstr(tab, "\n| mm_as |") && strstr(tab, "\n| mm_glft |"), "the table:\n%s", tab);
	free(tab);
	json_t *cj = json_at(d, "compare.json"), *cj2 = json_at(d2, "compare.json");
	static const char *const var[] = { "taker", "mm_as", "mm_glft" };
	for (int v = 0; v < 3; v++) {
		check_run(d, cj, "syn", var[v], 1);
		check_run(d2, cj2, AAPL_NAME, var[v], 0);
	}
	/* the profile under the variants of the real sample, none for WIN */
	char p[256];
	snprintf(p, sizeof(p), "markets.%s.configuration", AAPL_NAME);
	cr_expect(strstr(json_string_value(jget(cj2, p)), "conf/instruments/aapl.yaml"), "%s",
		  json_string_value(jget(cj2, p)));
	cr_expect_str_eq(json_string_value(jget(cj, "markets.syn.configuration")),
			 "the built-in configuration");
	json_decref(cj2);

	/* the page */
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-report' '%s' --quiet", bindir, d), 0, "%s",
		     out);
	char pp[PATH_MAX];
	snprintf(pp, sizeof(pp), "%s/report.html", d);
	char *s = t_file_text(pp, NULL);
	cr_assert_not_null(s);
	cr_expect(strstr(s, "<section id=\"m-syn\">"), "a section per market");
	/* 3 variants x (13 figures + 4 of dm-cv) */
	cr_expect_eq(check_page_cells(s, cj), 3 * (13 + 4));
	const char *eq = strstr(s, "Equity (net P&amp;L) of each variant on syn");
	cr_assert_not_null(eq, "the overlaid equity chart");
	const char *fig = strstr(s, "<svg class=\"chart\"");
	cr_assert_not_null(fig);
	for (int v = 0; v < 3; v++) {
		char cls[32];
		snprintf(cls, sizeof(cls), "polyline class=\"mark s%d", v);
		cr_expect(strstr(s, cls), "a line per variant: %s", cls);
	}
	cr_expect(!strstr(s, "<script") && !strstr(s, "src=") && !strstr(s, "url(") &&
		  !strstr(s, "@import") && !strstr(s, "href=\"http"), "nothing fetched or scripted");
	free(s);
	json_decref(cj);
}

Test(compare, bad_input_is_named_and_nothing_runs)
{
	const char *d = t_tmp_path("bad");
	/* a variant with a misspelt key: file:line:key, exit 2, no run */
	const char *bad = t_tmp_path("bad.yaml");
	t_write_file(bad, "strategy:\n  kind: mm_as\n  mm:\n    gama: 0.1\n");
	int rc = t_sh(out, sizeof(out), "'%s/dm-compare' --input '%s' --variant ok=%s/conf/"
		      "strategies/mm_glft.yaml --variant x=%s --out '%s'", bindir, market, root, bad,
		      d);
	cr_expect_eq(rc, 2, "exit %d\n%s", rc, out);
	char want[600];
	snprintf(want, sizeof(want), "%s:4", bad);
	cr_expect(strstr(out, want) && strstr(out, "strategy.mm.gama"), "names file:line:key:\n%s",
		  out);
	cr_expect(strstr(out, "variant 'x'"), "names the variant:\n%s", out);
	struct stat st;
	cr_expect_neq(stat(d, &st), 0, "nothing run, no output directory");

	/* a missing input, a missing variant file, bad options */
	struct { const char *args, *says; } cases[] = {
		{ "--input /nonexistent/m.dmj", "/nonexistent/m.dmj" },
		{ "--input M --variant v=/nonexistent/v.yaml", "/nonexistent/v.yaml" },
		{ "--input M --variant bad.name=x.yaml", "--variant 'bad.name=x.yaml'" },
		{ "--input M --variant v", "NAME=CONF" },
		{ "--input M --groups 4", "go with --cv" },
		{ "--variant v=x.yaml", "--input FILE is required" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char args[600];
		const char *mp = strstr(cases[i].args, " M");
		snprintf(args, sizeof(args), "%.*s%s%s", mp ? (int)(mp - cases[i].args + 1) :
			 (int)strlen(cases[i].args), cases[i].args, mp ? market : "",
			 mp ? mp + 2 : "");
		rc = t_sh(out, sizeof(out), "'%s/dm-compare' %s --out '%s'", bindir, args, d);
		cr_expect_eq(rc, 2, "%s: exit %d\n%s", args, rc, out);
		cr_expect(strstr(out, cases[i].says), "%s: should name %s:\n%s", args,
			  cases[i].says, out);
	}
	cr_expect_neq(stat(d, &st), 0, "nothing run, no output directory");
}

Test(compare, a_missing_run_directory_is_named_by_the_report)
{
	const char *d = t_tmp_path("one");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-compare' --input '%s' --variant glft=%s/conf/"
			  "strategies/mm_glft.yaml --out '%s' --quiet", bindir, market, root, d), 0,
		     "%s", out);
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-report' '%s' --quiet", bindir, d), 0, "%s",
		     out);
	cr_assert_eq(t_sh(out, sizeof(out), "rm '%s/runs/syn/glft/equity.csv' && '%s/dm-report' "
			  "'%s' -o '%s/r2.html'", d, bindir, d, d), 2, "%s", out);
	cr_expect(strstr(out, "runs/syn/glft/equity.csv"), "names the file:\n%s", out);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/r2.html", d);
	struct stat st;
	cr_expect_neq(stat(p, &st), 0, "no page");
}
