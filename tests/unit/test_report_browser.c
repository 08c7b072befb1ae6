/*
 * test_report_browser.c — dm-report's pages as a browser renders them: a
 * headless Chromium (tests/cdp.h, the DevTools protocol over a pipe)
 * loads the page of each kind of run directory (dm-backtest, tools/dmctl
 * run, dm-cv, dm-search, dm-compare, each made here from a small run) and
 *
 *   - the page loads with no console error, exception or error log entry;
 *   - a screenshot is not blank: its PNG, decoded here, has more than one
 *     colour;
 *   - every svg.chart has elements of class axis and at least one of
 *     class mark whose bounding box is not empty (width and height > 0).
 *
 * Skipped, and said so, only when no Chromium is installed: make deps
 * installs Debian's chromium (make test runs it).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/cdp.h"
#include "tests/helpers.h"

static char root[PATH_MAX / 4], bindir[PATH_MAX / 2];
static char segname[64], rundir[PATH_MAX / 2], conf[PATH_MAX / 2];
static char out[1 << 16];

static const char TRADE_CONF[] =
	"strategy:\n"
	"  max_contracts: 16\n"
	"  min_prob: 0.33\n";

static void setup(void)
{
	struct t_paths p;
	t_paths_or_fail(&p);
	snprintf(root, sizeof(root), "%s", p.root);
	snprintf(bindir, sizeof(bindir), "%s", p.bin);
	cr_assert_eq(chdir(root), 0, "chdir %s: %s", root, strerror(errno));
	t_tmp_init("dmtest-browser");
	t_seg_name(segname, sizeof(segname), "browser");
	snprintf(rundir, sizeof(rundir), "%s/rundir", t_tmp_dir);
	snprintf(conf, sizeof(conf), "%s", t_tmp_path("trade.yaml"));
	t_write_file(conf, TRADE_CONF);
	setenv("DM_SHM_NAME", segname, 1);
	setenv("DM_BIN", bindir, 1);
	setenv("TMPDIR", t_tmp_dir, 1); /* the browser's profile goes there too */
}

static void teardown(void)
{
	t_kill_run(rundir, segname);
	if (!getenv("DM_TEST_KEEP"))
		t_tmp_cleanup();
}

TestSuite(report_browser, .init = setup, .fini = teardown, .timeout = 300);

/* every chart: its title, its axis elements, its marks, those with a box */
static const char CHARTS_JS[] =
	"JSON.stringify(Array.prototype.map.call(document.querySelectorAll('svg.chart'),"
	" function (s) {"
	"  var marks = s.querySelectorAll('.mark'), boxed = 0;"
	"  for (var i = 0; i < marks.length; i++) {"
	"    var r = marks[i].getBoundingClientRect();"
	"    if (r.width > 0 && r.height > 0) boxed++;"
	"  }"
	"  return { title: s.getAttribute('aria-label'), axes: s.querySelectorAll('.axis').length,"
	"           marks: marks.length, boxed: boxed,"
	"           width: s.getBoundingClientRect().width };"
	" }))";

static void need_browser(char *path, size_t n)
{
	/* the browser is the same in both builds and dm-report's code runs
	 * under the sanitizers in test_report: render in the plain build only
	 * (make test's time budget) */
	if (T_SANITIZED)
		cr_skip_test("the pages are rendered in the plain build");
	if (cdp_find_browser(path, n) < 0)
		cr_skip_test("chromium is not installed ('make deps' installs it): the pages are "
			     "not rendered");
}

/* What the browser saw of a page. */
struct seen {
	json_t *charts;        /* the array CHARTS_JS gives */
	int colours;           /* of the screenshot: 1 blank, 2 more */
	unsigned w, h;
	int n_errors;
	char errors[CDP_MAX_ERRORS][512];
};

/* Load page (a file) in the browser: what it showed into *s.  The
 * browser is gone when this returns, whatever failed. */
static void render(const char *page, struct seen *s)
{
	char browser[PATH_MAX], err[2048] = "", url[PATH_MAX + 16], real[PATH_MAX];
	need_browser(browser, sizeof(browser));
	cr_assert_not_null(realpath(page, real), "%s: %s", page, strerror(errno));
	snprintf(url, sizeof(url), "file://%s", real);
	memset(s, 0, sizeof(*s));
	struct cdp c;
	unsigned char *png = NULL;
	size_t png_len = 0;
	int ok = cdp_start(&c, browser, err, sizeof(err)) == 0 &&
		 cdp_navigate(&c, url, 60000, err, sizeof(err)) == 0;
	json_t *v = NULL;
	if (ok && cdp_eval(&c, CHARTS_JS, &v, 30000, err, sizeof(err)) == 0) {
		json_error_t je;
		s->charts = json_loads(json_string_value(v) ?: "", 0, &je);
		if (!s->charts)
			snprintf(err, sizeof(err), "the charts' JSON: %s", je.text);
		json_decref(v);
	}
	ok = ok && s->charts && cdp_screenshot(&c, &png, &png_len, err, sizeof(err)) == 0;
	s->n_errors = c.n_errors;
	memcpy(s->errors, c.errors, sizeof(s->errors));
	cdp_stop(&c); /* before any assertion: nothing of the browser is left */
	cr_assert(ok, "%s: %s", page, err);
	cr_assert_eq(cdp_png_colours(png, png_len, &s->w, &s->h, &s->colours, err, sizeof(err)),
		     0, "%s: the screenshot: %s", page, err);
	free(png);
}

/* The page loads without an error, is not blank, and every chart has its
 * axes and a mark with a box; min_charts: charts it must have at least. */
static void expect_renders(const char *page, int min_charts)
{
	struct seen s;
	render(page, &s);
	for (int i = 0; i < s.n_errors && i < CDP_MAX_ERRORS; i++)
		cr_expect_fail("%s: the page logged an error: %s", page, s.errors[i]);
	cr_expect_eq(s.n_errors, 0, "%s: %d errors in the browser", page, s.n_errors);
	cr_expect(s.w >= 800 && s.h >= 600, "a %ux%u screenshot", s.w, s.h);
	cr_expect_gt(s.colours, 1, "%s: the screenshot is blank (one colour)", page);
	size_t n = json_array_size(s.charts), i;
	cr_expect_geq(n, (size_t)min_charts, "%s: %zu charts, at least %d expected", page, n,
		      min_charts);
	json_t *ch;
	json_array_foreach(s.charts, i, ch) {
		const char *t = json_string_value(json_object_get(ch, "title")) ?: "?";
		cr_expect_gt(json_integer_value(json_object_get(ch, "axes")), 0,
			     "%s: chart '%s' has no axis", page, t);
		cr_expect_gt(json_integer_value(json_object_get(ch, "boxed")), 0,
			     "%s: chart '%s': none of its %lld marks has a box", page, t,
			     (long long)json_integer_value(json_object_get(ch, "marks")));
		cr_expect_gt(json_number_value(json_object_get(ch, "width")), 300,
			     "%s: chart '%s' is not laid out", page, t);
	}
	json_decref(s.charts);
}

/* The checks themselves see what they look for: a blank page that logs
 * an error and throws, with a chart of a mark without a box. */
Test(report_browser, the_checks_see_a_broken_page)
{
	const char *p = t_tmp_path("broken.html");
	t_write_file(p, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>x</title>"
		     "</head><body style=\"margin:0;background:#fff\">"
		     "<svg class=\"chart\" width=\"400\" height=\"10\"><g class=\"axis\"></g>"
		     "<line class=\"mark\" x1=\"0\" y1=\"5\" x2=\"0\" y2=\"5\"/></svg>"
		     "<script>console.error('planted error'); throw new Error('planted throw');"
		     "</script></body></html>\n");
	struct seen s;
	render(p, &s);
	cr_expect_eq(s.colours, 1, "a white page reads as blank");
	cr_expect_geq(s.n_errors, 2, "the console error and the exception are seen");
	int console = 0, thrown = 0;
	for (int i = 0; i < s.n_errors && i < CDP_MAX_ERRORS; i++) {
		console |= strstr(s.errors[i], "planted error") != NULL;
		thrown |= strstr(s.errors[i], "planted throw") != NULL;
	}
	cr_expect(console && thrown, "both planted errors named");
	cr_assert_eq(json_array_size(s.charts), 1);
	json_t *ch = json_array_get(s.charts, 0);
	cr_expect_eq(json_integer_value(json_object_get(ch, "axes")), 1);
	cr_expect_eq(json_integer_value(json_object_get(ch, "marks")), 1);
	cr_expect_eq(json_integer_value(json_object_get(ch, "boxed")), 0, "a point has no box");
	json_decref(s.charts);
}

static const char *gen_market(const char *name, int events, int seed)
{
	const char *m = t_tmp_path(name);
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-gen' --seed %d --events %d --output '%s' "
			  "--quiet", bindir, seed, events, m), 0, "%s", out);
	return m;
}

static void report(const char *dir)
{
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-report' '%s' --quiet", bindir, dir), 0, "%s",
		     out);
}

Test(report_browser, a_backtest_page)
{
	char browser[PATH_MAX];
	need_browser(browser, sizeof(browser));
	const char *m = gen_market("m.jnl", 50000, 1);
	const char *d = t_tmp_path("bt");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-backtest' -c '%s' --input '%s' --out '%s' "
			  "--quiet", bindir, conf, m, d), 0, "%s", out);
	report(d);
	char page[PATH_MAX];
	snprintf(page, sizeof(page), "%s/report.html", d);
	/* equity, drawdown, position, price, trips, 2 decisions, 2 latencies,
	 * importance */
	expect_renders(page, 10);
}

/* tools/dmctl run writes the page itself and names it last. */
Test(report_browser, a_paper_run_page)
{
	char browser[PATH_MAX];
	need_browser(browser, sizeof(browser));
	cr_assert_eq(t_sh(out, sizeof(out), "tools/dmctl -c '%s' run --events 20000 --run-dir '%s'",
			  conf, rundir), 0, "%s", out);
	char page[PATH_MAX], line[PATH_MAX + 16];
	snprintf(page, sizeof(page), "%s/report.html", rundir);
	snprintf(line, sizeof(line), "\nreport: %s\n", page);
	const char *at = strstr(out, line);
	cr_expect(at && !at[strlen(line)], "the run's output should end with '%s':\n%s", line + 1,
		  out);
	/* ... and the agents' latency histograms (final-dump.json) */
	expect_renders(page, 14);
}

Test(report_browser, a_cv_page)
{
	char browser[PATH_MAX];
	need_browser(browser, sizeof(browser));
	const char *m = gen_market("m80.jnl", 80000, 5);
	const char *d = t_tmp_path("cv");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-cv' -c '%s' --input '%s' --groups 4 "
			  "--test-groups 2 --sample-every 250ms --out '%s' --quiet", bindir, conf, m,
			  d), 0, "%s", out);
	report(d);
	char page[PATH_MAX];
	snprintf(page, sizeof(page), "%s/report.html", d);
	expect_renders(page, 3); /* paths' Sharpe, AUC per split, importance */
}

/* dm-compare: the default variants on one market, a table of them and
 * their equity and position curves overlaid. */
Test(report_browser, a_comparison_page)
{
	char browser[PATH_MAX];
	need_browser(browser, sizeof(browser));
	const char *m = gen_market("m.jnl", 50000, 1);
	const char *d = t_tmp_path("cmp");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-compare' --input '%s' --out '%s' --quiet",
			  bindir, m, d), 0, "%s", out);
	report(d);
	char page[PATH_MAX];
	snprintf(page, sizeof(page), "%s/report.html", d);
	expect_renders(page, 2); /* equity and position of the variants */
}

Test(report_browser, a_search_page)
{
	char browser[PATH_MAX];
	need_browser(browser, sizeof(browser));
	const char *m = gen_market("m80.jnl", 80000, 5);
	const char *sp = t_tmp_path("space.yaml");
	t_write_file(sp, "seed: 3\nrungs: [3]\nsample_every: 250ms\nparams:\n"
		     "  strategy.min_prob: {uniform: [0.3, 0.6]}\n"
		     "  strategy.max_contracts: {int: [5, 20]}\n"
		     "  model.kind: {choice: [gbdt, rf]}\n");
	const char *d = t_tmp_path("search");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-search' --input '%s' --space '%s' --trials 3 "
			  "--jobs 2 --out '%s' --quiet", bindir, m, sp, d), 0, "%s", out);
	report(d);
	char page[PATH_MAX];
	snprintf(page, sizeof(page), "%s/report.html", d);
	/* 2 scatters, the choice's bars, the logits, paths, importance */
	expect_renders(page, 5);
}

/* dm-study's page (docs/study.md) of the bundled Binance capture: the OFI
 * scatters, lambda(delta) twice and the four intraday profiles. */
Test(report_browser, a_study_page)
{
	char browser[PATH_MAX];
	need_browser(browser, sizeof(browser));
	const char *page = t_tmp_path("study.html");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-study' "
			  "tests/data/binance-ws-raw-hftbacktest/usdm_btcusdt_20240808.jsonl.gz "
			  "--quiet -o '%s' > /dev/null", bindir, page), 0, "%s", out);
	expect_renders(page, 9);
}
