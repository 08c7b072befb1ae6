/*
 * test_report.c — dm-report end to end on run directories of every kind.
 *
 *   - every number cell of the summary table names its JSON path
 *     (data-key) and equals summary.json there; a paper run's figures
 *     computed by dm-report (data-derived) equal dm-backtest's on the same
 *     market and fills;
 *   - the round trips' histogram counts what an independent reading of
 *     fills.csv gives; the drawdown's duration what equity.csv gives; the
 *     decisions' bars what decisions.csv gives; the TCA tables the means of
 *     a hand-made tca.csv;
 *   - every section of each kind is there, the page fetches nothing;
 *   - a missing file, a cut or damaged CSV, a directory of no known kind:
 *     exit 2 with the file (and line), and no page.
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

static const char *bindir;
static char root[PATH_MAX / 4];
static char market[512], conf[512];
static char out[1 << 16];

/* a configuration that trades both ways on the synthetic market (round
 * trips): a low bar and room for the bet size */
static const char TRADE_CONF[] =
	"strategy:\n"
	"  max_contracts: 16\n"
	"  min_prob: 0.33\n";

static void setup(void)
{
	struct t_paths p;
	t_paths_or_fail(&p);
	snprintf(root, sizeof(root), "%s", p.root);
	bindir = t_bin_dir();
	t_tmp_init("dmtest-report");
	snprintf(market, sizeof(market), "%s", t_tmp_path("m.jnl"));
	snprintf(conf, sizeof(conf), "%s", t_tmp_path("trade.yaml"));
	t_write_file(conf, TRADE_CONF);
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-gen' --seed 1 --events 50000 --output '%s' "
			  "--quiet", bindir, market), 0, "%s", out);
}

static void teardown(void)
{
	if (!getenv("DM_TEST_KEEP"))
		t_tmp_cleanup();
}

TestSuite(report, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(report_research, .init = setup, .fini = teardown, .timeout = 300);

/* ------------------------------------------------------------ helpers */

/* dm-backtest of the market into dir/name with the trading configuration;
 * returns the directory (a rotating buffer). */
static const char *backtest(const char *name)
{
	const char *d = t_tmp_path(name);
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-backtest' -c '%s' --input '%s' --out '%s' "
			  "--quiet", bindir, conf, market, d), 0, "%s", out);
	return d;
}

/* dm-report of dir to dir/report.html: its exit status (output in out). */
static int report(const char *dir)
{
	return t_sh(out, sizeof(out), "'%s/dm-report' '%s' -o '%s/report.html' --quiet", bindir,
		    dir, dir);
}

static char *page_of(const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/report.html", dir);
	char *s = t_file_text(p, NULL);
	cr_assert_not_null(s, "no %s", p);
	return s;
}

static json_t *json_of(const char *dir, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	json_error_t e;
	json_t *j = json_load_file(p, 0, &e);
	cr_assert_not_null(j, "%s: %s", p, e.text);
	return j;
}

/* The value at a dotted path of j, or NULL (the test's own walk). */
static json_t *jget(json_t *j, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL;
	for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = json_object_get(j, k);
	return j;
}

/* The text of the element whose opening tag holds `attr="name"` in s
 * (from its '>' to the next '<'), into buf; NULL when not there. */
static const char *cell(const char *s, const char *attr, const char *name, char *buf, size_t n)
{
	char pat[256];
	snprintf(pat, sizeof(pat), "%s=\"%s\"", attr, name);
	const char *p = strstr(s, pat);
	if (!p)
		return NULL;
	p = strchr(p, '>');
	cr_assert_not_null(p);
	p++;
	size_t k = strcspn(p, "<");
	snprintf(buf, n, "%.*s", (int)(k < n - 1 ? k : n - 1), p);
	return buf;
}

/* The part of page s from <section id="id"> to its </section> (malloc'd). */
static char *section(const char *s, const char *id)
{
	char pat[96];
	snprintf(pat, sizeof(pat), "<section id=\"%s\">", id);
	const char *a = strstr(s, pat);
	cr_assert_not_null(a, "no section %s", id);
	const char *b = strstr(a, "</section>");
	cr_assert_not_null(b);
	char *r = strndup(a, (size_t)(b - a));
	cr_assert_not_null(r, "strndup");
	return r;
}

static size_t count(const char *s, const char *pat)
{
	size_t n = 0;
	for (const char *p = strstr(s, pat); p; p = strstr(p + 1, pat))
		n++;
	return n;
}

/* A number cell's text against a JSON value: null is "n/a", an integer
 * exact, a real to the 12 significant digits the project's JSON carries. */
static void expect_same(const char *key, const char *text, const json_t *v)
{
	cr_assert_not_null(v, "data-key \"%s\" names nothing in the JSON", key);
	if (json_is_null(v)) {
		cr_expect_str_eq(text, "n/a", "%s: '%s' for a null", key, text);
	} else if (json_is_integer(v)) {
		char *end;
		long long x = strtoll(text, &end, 10);
		cr_expect(!*end && x == json_integer_value(v), "%s: '%s', the JSON has %lld", key,
			  text, (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		char *end;
		double x = strtod(text, &end), y = json_real_value(v);
		cr_expect(!*end && fabs(x - y) <= 5e-12 * fabs(y), "%s: '%s', the JSON has %.17g",
			  key, text, y);
	} else {
		cr_expect(json_is_string(v) || json_is_boolean(v), "%s: an unexpected JSON type", key);
	}
}

/* Every data-key cell of page s against doc; returns how many. */
static int check_keys(const char *s, json_t *doc)
{
	int n = 0;
	cr_assert_not_null(s);
	for (const char *p = strstr(s, "data-key=\""); p; p = strstr(p + 1, "data-key=\"")) {
		char key[256], text[128];
		const char *k = p + 10;
		size_t kl = strcspn(k, "\"");
		snprintf(key, sizeof(key), "%.*s", (int)kl, k);
		/* the whole value is data-value's when the cell has one (the
		 * text shows it short), else the text */
		const char *gt = strchr(k, '>'), *dv = strstr(k, "data-value=\"");
		const char *t = dv && dv < gt ? dv + 12 : gt + 1;
		size_t tl = strcspn(t, dv && dv < gt ? "\"" : "<");
		snprintf(text, sizeof(text), "%.*s", (int)tl, t);
		expect_same(key, text, jget(doc, key));
		n++;
	}
	return n;
}

/* A CSV file's rows, split on ',' in place: rows[i][j] (row 0 the
 * header).  The test's own reading. */
struct rows {
	char *text;
	int n;
	char *f[200000][12];
	int nf[200000];
};

static struct rows *csv_rows(const char *dir, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	struct rows *r = calloc(1, sizeof(*r));
	cr_assert_not_null(r);
	r->text = t_file_text(p, NULL);
	cr_assert_not_null(r->text, "no %s", p);
	char *save = NULL;
	for (char *line = strtok_r(r->text, "\n", &save); line && r->n < 200000;
	     line = strtok_r(NULL, "\n", &save)) {
		int k = 0;
		char *q = line;
		for (;;) {
			if (k < 12)
				r->f[r->n][k++] = q;
			char *c = strchr(q, ',');
			if (!c)
				break;
			*c = '\0';
			q = c + 1;
		}
		r->nf[r->n++] = k;
	}
	return r;
}

static int col_of(const struct rows *r, const char *name)
{
	for (int j = 0; j < r->nf[0]; j++)
		if (!strcmp(r->f[0][j], name))
			return j;
	cr_fatal("no column %s", name);
	return -1;
}

static void rows_free(struct rows *r)
{
	free(r->text);
	free(r);
}

/* An exact decimal as x 10^9 (the test's own parse). */
static long long e9_of(const char *s)
{
	int neg = *s == '-';
	if (neg || *s == '+')
		s++;
	long long ip = 0, fp = 0;
	int nd = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		ip = ip * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9' && nd < 9; s++, nd++)
			fp = fp * 10 + (*s - '0');
	for (; nd < 9; nd++)
		fp *= 10;
	long long v = ip * 1000000000ll + fp;
	return neg ? -v : v;
}

/* ------------------------------------------------------------ trading runs */

/* Every number of the summary table equals summary.json at its data-key,
 * and the figures the issue asks for are all there. */
Test(report, summary_numbers_are_summary_json)
{
	const char *d = backtest("bt");
	cr_assert_eq(report(d), 0, "%s", out);
	char *html = page_of(d);
	json_t *sum = json_of(d, "summary.json");
	char *s = section(html, "summary");
	int n = check_keys(s, sum);
	cr_expect_geq(n, 30, "only %d numbers named", n);
	static const char *const must[] = {
		"pnl.gross", "pnl.fees", "pnl.net", "performance.sharpe", "performance.sortino",
		"performance.max_drawdown", "performance.hit_rate", "performance.profit_factor",
		"performance.turnover", "performance.avg_holding_s", "performance.trades",
		"orders.total", "orders.filled", "orders.cancelled", "orders.rejected",
		"fills.count", "decisions.total", "decisions.rejected" };
	char buf[128];
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		cr_expect(cell(s, "data-key", must[i], buf, sizeof(buf)), "no cell for %s", must[i]);
	/* every rejection reason of the summary has its row */
	const char *k;
	json_t *v;
	int reasons = 0;
	json_object_foreach(jget(sum, "decisions.rejected_by_reason"), k, v) {
		char key[160];
		snprintf(key, sizeof(key), "decisions.rejected_by_reason.%s", k);
		cr_expect(cell(s, "data-key", key, buf, sizeof(buf)), "no row for %s", key);
		reasons++;
	}
	cr_expect_gt(reasons, 0, "the run rejected nothing: a weak test");
	cr_expect_gt(json_integer_value(jget(sum, "performance.trades")), 2,
		     "too few round trips for a test");
	json_decref(sum);
	free(s);
	free(html);
}

/* The round trips' histogram: fills.csv read by the test, trips from flat
 * to flat (a flip splits the fill's quantity and fee), P&L = cash flow;
 * each trip counted in the bin [data-lo, data-hi) the page drew. */
Test(report, round_trip_histogram_counts_the_fills_trips)
{
	const char *d = backtest("bt");
	cr_assert_eq(report(d), 0, "%s", out);
	struct rows *f = csv_rows(d, "fills.csv");
	int cs = col_of(f, "side"), cq = col_of(f, "qty"), cp = col_of(f, "price"),
	    cf = col_of(f, "fee");
	/* WIN: 0.20 BRL a point a lot */
	const long long pv_e9 = 200000000;
	double trips[4096];
	int nt = 0;
	long long pos = 0, cash = 0;
	for (int i = 1; i < f->n; i++) {
		long long s = !strcmp(f->f[i][cs], "buy") ? 1 : -1, q = atoll(f->f[i][cq]);
		long long px = e9_of(f->f[i][cp]) / 1000000000ll, fee = e9_of(f->f[i][cf]);
#define PART(k) (-s * (k) * px * pv_e9 - fee * (k) / q)
		long long after = pos + s * q;
		if (pos == 0) {
			cash = PART(q);
		} else if ((pos > 0) == (after > 0) && after != 0) {
			cash += PART(q);
		} else {
			long long closing = pos > 0 ? pos : -pos;
			cash += PART(closing);
			trips[nt++] = (double)cash / 1e9;
			cash = q > closing ? PART(q) - PART(closing) : 0;
		}
#undef PART
		pos = after;
	}
	rows_free(f);
	cr_assert_gt(nt, 2, "too few trips for a test");
	char *html = page_of(d);
	char *s = section(html, "trips");
	int bins = 0, counted = 0;
	double total = 0;
	for (const char *p = strstr(s, "data-lo=\""); p; p = strstr(p + 1, "data-lo=\"")) {
		double lo, hi, cnt;
		cr_assert_eq(sscanf(p, "data-lo=\"%lf\" data-hi=\"%lf\" data-count=\"%lf\"", &lo, &hi,
				    &cnt), 3);
		int want = 0;
		for (int i = 0; i < nt; i++)
			want += trips[i] >= lo && trips[i] < hi;
		/* the last bin holds its upper edge too */
		if (!strstr(p + 1, "data-lo=\""))
			for (int i = 0; i < nt; i++)
				want += trips[i] == hi;
		cr_expect_eq(cnt, want, "bin [%g, %g): %g trips drawn, %d in fills.csv", lo, hi, cnt,
			     want);
		counted += want;
		total += cnt;
		bins++;
	}
	cr_expect_gt(bins, 1);
	cr_expect_eq(counted, nt, "%d of %d trips fall in a drawn bar", counted, nt);
	cr_expect_eq(total, nt);
	json_t *sum = json_of(d, "summary.json");
	cr_expect_eq(json_integer_value(jget(sum, "performance.trades")), nt,
		     "summary.json counts %lld trips, fills.csv %d",
		     (long long)json_integer_value(jget(sum, "performance.trades")), nt);
	json_decref(sum);
	free(s);
	free(html);
}

/* The largest drawdown's duration: from the highest equity before its
 * trough (the first row that reached it) to the first row back at that
 * height, or the last row; equity.csv read naively (O(n^2)). */
Test(report, drawdown_duration_is_equity_csvs)
{
	const char *d = backtest("bt");
	cr_assert_eq(report(d), 0, "%s", out);
	struct rows *e = csv_rows(d, "equity.csv");
	int ct = col_of(e, "t_ns"), ce = col_of(e, "equity");
	int n = e->n - 1;
	long long *t = malloc((size_t)n * sizeof(long long)), *q = malloc((size_t)n * sizeof(long long));
	cr_assert(t && q, "malloc");
	for (int i = 0; i < n; i++) {
		t[i] = atoll(e->f[i + 1][ct]);
		q[i] = e9_of(e->f[i + 1][ce]);
	}
	rows_free(e);
	long long best = 0;
	int trough = -1;
	for (int i = 0; i < n; i++) {
		long long peak = 0;
		for (int j = 0; j <= i; j++)
			peak = q[j] > peak ? q[j] : peak;
		if (peak - q[i] > best) {
			best = peak - q[i];
			trough = i;
		}
	}
	cr_assert_geq(trough, 0, "no drawdown at all");
	long long peak = 0, peak_t = t[0];
	for (int j = 0; j <= trough; j++)
		if (q[j] > peak) {
			peak = q[j];
			peak_t = t[j];
		}
	long long end_t = t[n - 1];
	for (int k = trough + 1; k < n; k++)
		if (q[k] >= peak) {
			end_t = t[k];
			break;
		}
	char *html = page_of(d);
	char buf[64];
	cr_assert(cell(html, "data-derived", "drawdown_duration_s", buf, sizeof(buf)));
	cr_expect_float_eq(strtod(buf, NULL), (double)(end_t - peak_t) / 1e9, 1e-6,
			   "duration %s s, equity.csv gives %.9f s", buf, (double)(end_t - peak_t) / 1e9);
	free(t);
	free(q);
	free(html);
}

/* The decisions' bars: outcome and reason counted from decisions.csv. */
Test(report, decision_bars_count_decisions_csv)
{
	const char *d = backtest("bt");
	cr_assert_eq(report(d), 0, "%s", out);
	struct rows *r = csv_rows(d, "decisions.csv");
	int co = col_of(r, "outcome"), cr = col_of(r, "reason");
	char *html = page_of(d);
	char *s = section(html, "decisions");
	int checked = 0;
	for (int i = 1; i < r->n; i++) {
		char label[160], buf[64];
		snprintf(label, sizeof(label), "%s: %s", r->f[i][co], r->f[i][cr]);
		int want = 0;
		for (int k = 1; k < r->n; k++)
			want += !strcmp(r->f[k][co], r->f[i][co]) && !strcmp(r->f[k][cr], r->f[i][cr]);
		char pat[200];
		snprintf(pat, sizeof(pat), "data-label=\"%s\" data-value=\"", label);
		const char *p = strstr(s, pat);
		cr_assert_not_null(p, "no bar for %s", label);
		snprintf(buf, sizeof(buf), "%d\"", want);
		cr_expect(!strncmp(p + strlen(pat), buf, strlen(buf)), "%s: %.12s, decisions.csv "
			  "has %d", label, p + strlen(pat), want);
		checked++;
	}
	cr_expect_gt(checked, 0);
	rows_free(r);
	free(s);
	free(html);
}

/* Every section of a trading run, and nothing fetched or scripted. */
static void expect_trading_sections(const char *html)
{
	static const char *const ids[] = { "summary", "equity", "position", "price", "trips",
					   "decisions", "latency", "importance", "tca" };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char pat[64];
		snprintf(pat, sizeof(pat), "<section id=\"%s\">", ids[i]);
		cr_expect(strstr(html, pat), "no section %s", ids[i]);
	}
	cr_expect_geq(count(html, "<svg class=\"chart\""), 7);
}

static void expect_self_contained(const char *html)
{
	cr_expect(!strstr(html, "<script"), "a script");
	cr_expect(!strstr(html, "src="), "an external source");
	cr_expect(!strstr(html, "@import") && !strstr(html, "url("), "a fetched style");
	cr_expect(!strstr(html, "href=\"http"), "a link out");
	cr_expect(strstr(html, "@media print") && strstr(html, "size:A4"), "no print style");
}

Test(report, a_backtest_has_every_section)
{
	const char *d = backtest("bt");
	cr_assert_eq(report(d), 0, "%s", out);
	char *html = page_of(d);
	expect_trading_sections(html);
	expect_self_contained(html);
	char *imp = section(html, "importance");
	cr_expect(strstr(imp, "build/model/default.json"), "the model is named:\n%.400s", imp);
	cr_expect_geq(count(imp, "data-label=\""), 10, "a bar per feature");
	free(imp);
	/* the backtest's own tca.csv: every fill with a known effective
	 * spread counted in the all-fills row (counted here with awk) */
	char *tca = section(html, "tca");
	cr_assert_eq(t_sh(out, sizeof(out), "awk -F, 'NR > 1 && $11 != \"\" { n++ } END "
			  "{ printf \"%%d\", n }' '%s/tca.csv'", d), 0, "%s", out);
	int known = atoi(out);
	cr_assert_gt(known, 0, "the backtest's tca.csv has fills");
	char pat[128];
	snprintf(pat, sizeof(pat), "data-metric=\"effective_spread\" data-n=\"%d\"", known);
	const char *all = strstr(tca, "<tr data-tca=\"all:all\">");
	cr_assert_not_null(all, "no all-fills row:\n%.600s", tca);
	cr_expect(strstr(all, pat), "expected %s in\n%.600s", pat, all);
	free(tca);
	free(html);
	/* without it, the section says so */
	cr_assert_eq(t_sh(out, sizeof(out), "rm '%s/tca.csv'", d), 0, "%s", out);
	cr_assert_eq(report(d), 0, "%s", out);
	html = page_of(d);
	tca = section(html, "tca");
	cr_expect(strstr(tca, "No tca.csv in this directory"), "the absent tca.csv is said");
	free(tca);
	free(html);
}

/*
 * A paper run's directory, made from a backtest's: its CSV files, a
 * summary.json without "performance", env naming the configuration and
 * the market journal (as tools/dmctl start writes it) and a final dump
 * with a latency histogram.  dm-report computes the figures from the
 * market and fills.csv; they equal the backtest's.
 */
static const char *paper_dir(const char *bt, const char *name, int with_market)
{
	const char *d = t_tmp_path(name);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", d);
	cr_assert_eq(t_sh(out, sizeof(out), "mkdir -p '%s' && cp '%s'/*.csv '%s'/", dir, bt, dir),
		     0, "%s", out);
	json_t *sum = json_of(bt, "summary.json");
	json_object_del(sum, "performance");
	json_object_del(sum, "instrument");
	json_object_del(sum, "model");
	json_object_del(sum, "configuration");
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/summary.json", dir);
	cr_assert_eq(json_dump_file(sum, p, JSON_INDENT(1)), 0);
	json_decref(sum);
	snprintf(p, sizeof(p), "%s/env", dir);
	char env[2048];
	snprintf(env, sizeof(env), "conf=%s\nname=/x\ninput=%s\nformat=journal\npace=lockstep\n",
		 conf, with_market ? market : "/nonexistent/m.jnl");
	t_write_file(p, env);
	/* execution's tick-to-order: 3 at 100-103 us, 1 at 2 ms */
	snprintf(p, sizeof(p), "%s/final-dump.json", dir);
	t_write_file(p, "{\"state\": {\"agents\": {\"execution\": {\"latency\": {"
		     "\"stage_name\": \"tick_to_order\", \"stage\": {\"n\": 4, \"p50_ns\": 103423,"
		     " \"p99_ns\": 2031615, \"p999_ns\": 2031615, \"max_ns\": 2000000, \"buckets\": "
		     "[[100352, 103423, 3], [1966080, 2031615, 1]]}, \"hop\": {\"n\": 0, \"p50_ns\": 0,"
		     " \"p99_ns\": 0, \"p999_ns\": 0, \"max_ns\": 0, \"buckets\": []}}},"
		     " \"ml\": {\"model\": \"/nonexistent/model.json\"}}}}\n");
	return d;
}

Test(report, a_paper_runs_figures_are_the_backtests)
{
	char bt[PATH_MAX];
	snprintf(bt, sizeof(bt), "%s", backtest("bt"));
	const char *d = paper_dir(bt, "run", 1);
	cr_assert_eq(report(d), 0, "%s", out);
	char *html = page_of(d);
	expect_trading_sections(html);
	json_t *btsum = json_of(bt, "summary.json"), *sum = json_of(d, "summary.json");
	char *s = section(html, "summary");
	cr_expect_geq(check_keys(s, sum), 20);
	static const char *const figs[] = { "performance.sharpe", "performance.sortino",
		"performance.max_drawdown", "performance.trades", "performance.hit_rate",
		"performance.profit_factor", "performance.turnover", "performance.fees_share",
		"performance.avg_holding_s", "performance.active_minutes" };
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		char buf[64];
		cr_assert(cell(s, "data-derived", figs[i], buf, sizeof(buf)), "no %s", figs[i]);
		expect_same(figs[i], buf, jget(btsum, figs[i]));
	}
	cr_expect(strstr(s, "from the market the run replayed"), "the source is said");
	free(s);
	/* the final dump's histogram: 4 values, 3 around 100 us, 1 at 2 ms */
	char *lat = section(html, "latency");
	cr_expect(strstr(lat, "execution: tick_to_order"), "no stage histogram:\n%.600s", lat);
	double total = 0;
	for (const char *p = strstr(lat, "data-count=\""); p; p = strstr(p + 1, "data-count=\"")) {
		const char *title = strstr(p, "<title>");
		(void)title;
		total += strtod(p + 12, NULL);
	}
	cr_expect_geq(total, 4, "the dump's 4 values are drawn");
	free(lat);
	/* the model the ml agent names is gone: said, not an error */
	char *imp = section(html, "importance");
	cr_expect(strstr(imp, "no longer there"), "%.300s", imp);
	free(imp);
	json_decref(btsum);
	json_decref(sum);
	free(html);
}

/* Without the market journal the figures come from equity.csv (say so);
 * what rests on the fills alone is still exact. */
Test(report, a_paper_run_without_its_market_uses_equity_csv)
{
	char bt[PATH_MAX];
	snprintf(bt, sizeof(bt), "%s", backtest("bt"));
	const char *d = paper_dir(bt, "run", 0);
	cr_assert_eq(report(d), 0, "%s", out);
	char *html = page_of(d);
	json_t *btsum = json_of(bt, "summary.json");
	char buf[64];
	cr_expect(strstr(html, "are approximations"), "the approximation is said");
	static const char *const exact[] = { "performance.trades", "performance.turnover",
		"performance.hit_rate", "performance.avg_holding_s" };
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		cr_assert(cell(html, "data-derived", exact[i], buf, sizeof(buf)));
		expect_same(exact[i], buf, jget(btsum, exact[i]));
	}
	json_decref(btsum);
	free(html);
}

/* tca.csv aggregated by side, size and hour of the local day (WIN:
 * UTC-3), each mean over the rows where the measure is known. */
Test(report, tca_means_by_side_size_and_hour)
{
	const char *d = backtest("bt");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/tca.csv", d);
	/* 2022-01-03 12:05 and 12:40 UTC (09 local), 13:10 UTC (10 local) */
	t_write_file(p,
		"fill_id,t_ns,client_order_id,decision_id,side,qty,price,liquidity,arrival_mid,"
		"mid_at_fill,effective_spread,realized_spread_1s,realized_spread_5s,"
		"realized_spread_30s,impact_1s,impact_5s,impact_30s,shortfall,"
		"lat_decision_to_send_ns,lat_send_to_ack_ns,lat_ack_to_fill_ns\n"
		"1,1641211500000000000,11,11,buy,1,100,taker,99,99.5,1,3,2,,-2,-1,,1.5,1000,2000,3000\n"
		"2,1641213600000000000,12,12,sell,3,100,maker,101,100.5,10,-1,4,6,11,6,4,-3,1500,,5000\n"
		"3,1641215400000000000,13,13,buy,2,101,taker,100,100.5,0,,,,,,,2,,,\n");
	cr_assert_eq(report(d), 0, "%s", out);
	char *html = page_of(d);
	char *s = section(html, "tca");
	/* one row: the cell of a metric within <tr data-tca="dim:label"> */
	struct { const char *row, *metric, *n, *value; } want[] = {
		{ "all:all", "effective_spread", "3", "3.66666666667" },
		{ "all:all", "realized_spread_30s", "1", "6" },
		{ "side:buy", "effective_spread", "2", "0.5" },
		{ "side:buy", "realized_spread_1s", "1", "3" },
		{ "side:buy", "shortfall", "2", "1.75" },
		{ "side:sell", "impact_1s", "1", "11" },
		{ "size:1", "realized_spread_5s", "1", "2" },
		{ "size:2-3", "effective_spread", "2", "5" },
		{ "size:2-3", "impact_30s", "1", "4" },
		{ "hour:09:00-09:59", "effective_spread", "2", "5.5" },
		{ "hour:09:00-09:59", "realized_spread_1s", "2", "1" },
		{ "hour:10:00-10:59", "shortfall", "1", "2" },
		{ "hour:10:00-10:59", "impact_5s", "0", "n/a" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char pat[96], mp[128];
		snprintf(pat, sizeof(pat), "<tr data-tca=\"%s\">", want[i].row);
		const char *row = strstr(s, pat);
		cr_assert_not_null(row, "no row %s", want[i].row);
		const char *end = strstr(row, "</tr>");
		snprintf(mp, sizeof(mp), "data-metric=\"%s\" data-n=\"%s\" data-value=\"%s\">",
			 want[i].metric, want[i].n, want[i].value);
		const char *hit = strstr(row, mp);
		cr_expect(hit && hit < end, "%s %s: expected n %s, mean %s in\n%.*s", want[i].row,
			  want[i].metric, want[i].n, want[i].value, (int)(end - row), row);
	}
	cr_expect(!strstr(s, "data-tca=\"hour:11:00-11:59\""), "no empty hour is listed");
	cr_expect(strstr(s, "<td class=\"num\">3</td>"), "the fills are counted");
	cr_expect(strstr(s, "data-value=\"3.66666666667\">3.66667</td>"), "6 digits shown");
	free(s);
	/* the latency legs */
	char *lat = section(html, "latency");
	cr_expect(strstr(lat, "Decision to the order sent (tca.csv)"));
	cr_expect(strstr(lat, "Acknowledgement to the fill (tca.csv)"));
	free(lat);
	free(html);
}

/* ------------------------------------------------------------ bad input */

static void expect_refused(const char *dir, const char *what)
{
	int rc = report(dir);
	cr_expect_eq(rc, 2, "exit %d, expected 2:\n%s", rc, out);
	cr_expect(strstr(out, what), "the message should say '%s':\n%s", what, out);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/report.html", dir);
	cr_expect(!t_exists(p), "a page was written for a refused directory");
}

Test(report, a_missing_file_is_named)
{
	const char *d = backtest("bt");
	char p[PATH_MAX], want[PATH_MAX];
	snprintf(p, sizeof(p), "%s/equity.csv", d);
	cr_assert_eq(unlink(p), 0);
	snprintf(want, sizeof(want), "%s/equity.csv: missing", d);
	expect_refused(d, want);
}

Test(report, a_cut_csv_is_named_with_its_line)
{
	const char *d = backtest("bt");
	char p[PATH_MAX], want[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/fills.csv", d);
	size_t len;
	char *text = t_file_text(p, &len);
	int lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	/* the file cut in the middle of its last row */
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fwrite(text, 1, len - 8, f);
	fclose(f);
	snprintf(want, sizeof(want), "%s:%d: the last line has no end of line", p, lines);
	expect_refused(d, want);
	/* a row short of fields, ended: the third line */
	char *second = strchr(strchr(text, '\n') + 1, '\n') + 1;
	char *comma = strchr(second, ',');
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fwrite(text, 1, (size_t)(comma - text), f);
	fputs("\n", f);
	fclose(f);
	snprintf(want, sizeof(want), "%s:3: 1 fields, the header has 7", p);
	expect_refused(d, want);
	/* a price that is no number */
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs("t_ns,client_order_id,side,qty,price,fee,liquidity\n"
	      "1641211203752142654,1,buy,1,12x,0.25,taker\n", f);
	fclose(f);
	snprintf(want, sizeof(want), "%s:2: column 'price': '12x' is not a number", p);
	expect_refused(d, want);
	free(text);
}

Test(report, a_directory_of_no_known_kind_is_refused)
{
	const char *d = t_tmp_path("empty");
	cr_assert_eq(mkdir(d, 0755), 0);
	expect_refused(d, "looked for summary.json");
	cr_expect(strstr(out, "cv.json") && strstr(out, "search.json"), "%s", out);
	expect_refused(market, "not a directory");
	const char *b = backtest("bt");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/summary.json", b);
	t_write_file(p, "{\"pnl\": {\"net\": 1,}\n");
	expect_refused(b, "summary.json:1:");
}

Test(report, the_output_goes_only_where_a_file_may)
{
	const char *d = backtest("bt");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/report.html", d);
	cr_assert_eq(mkdir(p, 0755), 0);
	int rc = report(d);
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "not a regular file"), "%s", out);
}

Test(report, usage)
{
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-report' --help", bindir), 0);
	cr_expect(strstr(out, "usage: dm-report DIR"));
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-report' --version", bindir), 0);
	cr_expect(strstr(out, "dm-report (DreamMaker)"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-report'", bindir), 2);
	cr_expect(strstr(out, "DIR is required"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-report' a b", bindir), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-report' --bogus x", bindir), 2);
}

/* ------------------------------------------------------------ research */

/* A market long enough for PBO (8 market minutes). */
static const char *research_market(void)
{
	const char *m = t_tmp_path("m80.jnl");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-gen' --seed 5 --events 80000 --output '%s' "
			  "--quiet", bindir, m), 0, "%s", out);
	return m;
}

/* The paths table is paths.csv, the histogram counts its Sharpe ratios. */
static void expect_paths(const char *html, const char *cvdir)
{
	struct rows *r = csv_rows(cvdir, "paths.csv");
	int cs = col_of(r, "sharpe");
	char *s = section(html, "paths");
	cr_expect_eq(count(s, "<tr>"), (size_t)r->n, "a row per path, and the header");
	int finite = 0;
	for (int i = 1; i < r->n; i++)
		finite += isfinite(strtod(r->f[i][cs], NULL));
	double total = 0;
	for (const char *p = strstr(s, "data-count=\""); p; p = strstr(p + 1, "data-count=\""))
		total += strtod(p + 12, NULL);
	cr_expect_eq(total, finite, "the histogram holds %g paths, paths.csv %d", total, finite);
	free(s);
	rows_free(r);
}

Test(report_research, a_cv_directory)
{
	char m[512];
	snprintf(m, sizeof(m), "%s", research_market());
	const char *d = t_tmp_path("cv");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-cv' -c '%s' --input '%s' --groups 4 "
			  "--test-groups 2 --sample-every 250ms --out '%s' --quiet", bindir, conf, m,
			  d), 0, "%s", out);
	cr_assert_eq(report(d), 0, "%s", out);
	char *html = page_of(d);
	static const char *const ids[] = { "summary", "paths", "splits", "importance" };
	for (size_t i = 0; i < 4; i++) {
		char pat[64];
		snprintf(pat, sizeof(pat), "<section id=\"%s\">", ids[i]);
		cr_expect(strstr(html, pat), "no section %s", ids[i]);
	}
	expect_self_contained(html);
	json_t *cv = json_of(d, "cv.json");
	cr_expect_geq(check_keys(html, cv), 8);
	json_decref(cv);
	expect_paths(html, d);
	char *imp = section(html, "importance");
	cr_expect(strstr(imp, "The 6 split models"), "%.300s", imp);
	free(imp);
	free(html);
}

Test(report_research, a_search_directory)
{
	char m[512];
	snprintf(m, sizeof(m), "%s", research_market());
	const char *sp = t_tmp_path("space.yaml");
	t_write_file(sp, "seed: 3\nrungs: [3]\nsample_every: 250ms\nparams:\n"
		     "  strategy.min_prob: {uniform: [0.3, 0.6]}\n"
		     "  model.max_depth: {int: [2, 6]}\n"
		     "  model.kind: {choice: [gbdt, rf]}\n");
	const char *d = t_tmp_path("search");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-search' --input '%s' --space '%s' --trials 3 "
			  "--jobs 2 --out '%s' --quiet", bindir, m, sp, d), 0, "%s", out);
	cr_assert_eq(report(d), 0, "%s", out);
	char *html = page_of(d);
	static const char *const ids[] = { "summary", "trials", "pbo", "paths", "importance" };
	for (size_t i = 0; i < 5; i++) {
		char pat[64];
		snprintf(pat, sizeof(pat), "<section id=\"%s\">", ids[i]);
		cr_expect(strstr(html, pat), "no section %s", ids[i]);
	}
	expect_self_contained(html);
	json_t *res = json_of(d, "result.json"), *plan = json_of(d, "search.json");
	/* each table's data-key are paths in the file its caption names */
	const char *t1 = strstr(html, "<caption>result.json</caption>");
	const char *t2 = strstr(html, "<caption>search.json</caption>");
	cr_assert(t1 && t2 && t1 < t2);
	char *first = strndup(t1, (size_t)(t2 - t1));
	cr_expect_geq(check_keys(first, res), 10);
	cr_expect_eq(check_keys(t2, plan), 2, "trials and seed");
	free(first);
	json_decref(plan);
	/* the logits' histogram holds every logit of result.json */
	json_t *lg = jget(res, "overfitting.pbo_logits");
	cr_assert(json_is_array(lg) && json_array_size(lg) > 0, "no logits in result.json");
	char *pbo = section(html, "pbo");
	double total = 0;
	for (const char *p = strstr(pbo, "data-lo=\""); p; p = strstr(p + 1, "data-lo=\"")) {
		double lo, hi, cnt;
		cr_assert_eq(sscanf(p, "data-lo=\"%lf\" data-hi=\"%lf\" data-count=\"%lf\"", &lo, &hi,
				    &cnt), 3);
		int want = 0;
		size_t i;
		json_t *v;
		json_array_foreach(lg, i, v) {
			double x = json_number_value(v);
			want += x >= lo && (x < hi || (!strstr(p + 1, "data-lo=\"") && x == hi));
		}
		cr_expect_eq(cnt, want, "bin [%g, %g)", lo, hi);
		total += cnt;
	}
	cr_expect_eq(total, json_array_size(lg));
	free(pbo);
	/* a chart of the score per numeric parameter, bars for the choice */
	char *tr = section(html, "trials");
	cr_expect(strstr(tr, "Score against strategy.min_prob"));
	cr_expect(strstr(tr, "Score against model.max_depth"));
	cr_expect(strstr(tr, "Mean score at rung 0 by model.kind"));
	free(tr);
	/* the best trial's own paths */
	char cvdir[PATH_MAX];
	snprintf(cvdir, sizeof(cvdir), "%s/trials/t%03lld-r0", d,
		 (long long)json_integer_value(json_object_get(res, "best_trial")));
	expect_paths(html, cvdir);
	json_decref(res);
	free(html);
}
