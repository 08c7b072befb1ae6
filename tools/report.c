/*
 * dm-report — a run directory as one self-contained HTML page.
 *
 *   dm-report DIR [-o FILE] [--quiet]
 *
 * DIR is what one of the research or trading tools wrote:
 *
 *   backtest   dm-backtest --out DIR: summary.json (with "performance"),
 *              fills.csv, orders.csv, decisions.csv, equity.csv
 *   run        tools/dmctl run: the same files from the journals, and
 *              summary.json from the segment (no "performance": the
 *              figures are computed here, with libcore/report/perf.h, from
 *              fills.csv and equity.csv), env, final-dump.json
 *   cv         dm-cv --out DIR: cv.json, paths.csv, models/split-NN.json
 *   search     dm-search --out DIR: search.json, trials.csv, result.json,
 *              trials/tNNN-rR/ (each a cv directory)
 *
 * The page (default DIR/report.html) holds a summary table whose every
 * number cell names the JSON path it comes from (data-key="pnl.net"), the
 * charts (tools/lib/chart.h: inline SVG, no script, nothing fetched) and
 * tables of the sections docs/report.md describes.  Large series are
 * streamed and decimated (min and max per pixel column), so the page's
 * size does not grow with the run, nor the tool's memory but for the round
 * trips' P&L (8 bytes each), the decisions' times (16 bytes each) and the
 * orders' latencies (8 bytes each), which histograms need whole.
 *
 * Errors name the file and line at fault; a directory of no known kind,
 * a missing or damaged file is exit 2; a write failure exit 1.  The page
 * is written to FILE.tmp-PID and renamed into place (tools/lib/files.h).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/journal/journal.h"
#include "libcore/market/instrument.h"
#include "libcore/report/perf.h"
#include "libcore/report/report.h"
#include "tools/lib/chart.h"
#include "tools/lib/files.h"

#define MAX_COLS   64
#define ERR_LEN    (PATH_MAX + 512)
#define HIST_BINS  40

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dm-report DIR [-o FILE] [--quiet]\n"
		"\n"
		"A run directory as one HTML page: no script, nothing fetched, readable\n"
		"offline and printable (A4).  DIR is what wrote it:\n"
		"\n"
		"  dm-backtest --out DIR   summary.json, fills.csv, orders.csv,\n"
		"                          decisions.csv, equity.csv (and tca.csv)\n"
		"  tools/dmctl run         the same, with env and final-dump.json\n"
		"  dm-cv --out DIR         cv.json, paths.csv, models/\n"
		"  dm-search --out DIR     search.json, trials.csv, result.json\n"
		"  dm-compare --out DIR    compare.json, runs/MARKET/VARIANT/ (cv/...)\n"
		"\n"
		"Sections: the summary (P&L, fees, Sharpe, Sortino, drawdown and its\n"
		"duration, hit rate, profit factor, turnover, holding time, orders,\n"
		"fills, rejections by reason), equity and drawdown, position, the price\n"
		"with the fills, the round trips' P&L, decisions and vetoes by reason,\n"
		"latencies, the model's feature importance and transaction costs;\n"
		"for cv and search directories the paths' Sharpe ratios, the trials\n"
		"and the PBO logits; for a comparison the strategies side by side per\n"
		"market with their equity curves overlaid (docs/report.md).\n"
		"\n"
		"  -o, --output FILE   where the page goes (default DIR/report.html)\n"
		"      --quiet         no closing line on stderr\n"
		"  -h, --help          this text\n"
		"      --version       the release and the layout words\n"
		"\n"
		"exit: 0 ok, 1 runtime failure (a write), 2 bad usage, a directory of\n"
		"no known kind, a missing or damaged file (named with its line)\n");
}

/* ------------------------------------------------------------ errors */

/* The first error: its message (with the file and line) and exit code. */
static char g_err[ERR_LEN];
static int g_code;

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	if (!g_code) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(g_err, sizeof(g_err), fmt, ap);
		va_end(ap);
		g_code = code;
	}
	return -1;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "dm-report: out of memory (%zu bytes)\n", n);
		exit(1);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "dm-report: out of memory (%zu bytes)\n", n);
		exit(1);
	}
	return q;
}

/* A growing array of doubles. */
struct dvec {
	double *v;
	size_t n, cap;
};

static void dvec_push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 256;
		d->v = xrealloc(d->v, d->cap * sizeof(double));
	}
	d->v[d->n++] = x;
}

/* ------------------------------------------------------------ CSV */

/*
 * A CSV file of the project's writers: a header line naming the columns,
 * then rows of as many fields, separated by ',' (no quoting: none of the
 * files quote), each line ended by '\n'.  A row with another number of
 * fields or a last line without its end is a damaged file: the error
 * names the file and the line.
 */
struct csv {
	FILE *f;
	char path[PATH_MAX];
	char *line;
	size_t cap;
	uint64_t lineno;
	int ncol;
	char hdr[MAX_COLS][48];
	int nf;
	char *field[MAX_COLS];
};

static void csv_close(struct csv *c);

/* 0, -ENOENT when the file is not there (no error set: the caller says
 * whether it must be), -1 with the error set otherwise (nothing open). */
static int csv_open_(struct csv *c, const char *dir, const char *name);
static int csv_open(struct csv *c, const char *dir, const char *name)
{
	int rc = csv_open_(c, dir, name);
	if (rc < 0)
		csv_close(c);
	return rc;
}

static int csv_open_(struct csv *c, const char *dir, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s/%s", dir, name);
	c->f = fopen(c->path, "r");
	if (!c->f)
		return errno == ENOENT ? -ENOENT : fail(2, "%s: cannot open: %s", c->path,
							 strerror(errno));
	ssize_t n = getline(&c->line, &c->cap, c->f);
	c->lineno = 1;
	if (n <= 0)
		return fail(2, "%s:1: empty file: no header line", c->path);
	if (c->line[n - 1] != '\n')
		return fail(2, "%s:1: the header line has no end of line: the file is cut short",
			    c->path);
	c->line[n - 1] = '\0';
	char *save = NULL;
	for (char *t = strtok_r(c->line, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (c->ncol == MAX_COLS)
			return fail(2, "%s:1: more than %d columns", c->path, MAX_COLS);
		snprintf(c->hdr[c->ncol++], sizeof(c->hdr[0]), "%s", t);
	}
	return 0;
}

static void csv_close(struct csv *c)
{
	if (c->f)
		fclose(c->f);
	free(c->line);
	c->f = NULL;
	c->line = NULL;
}

static int csv_col(const struct csv *c, const char *name)
{
	for (int i = 0; i < c->ncol; i++)
		if (!strcmp(c->hdr[i], name))
			return i;
	return -1;
}

/* The index of a column the file must have, or -1 with the error set. */
static int csv_need(const struct csv *c, const char *name)
{
	int i = csv_col(c, name);
	if (i < 0)
		fail(2, "%s:1: no column '%s' in the header", c->path, name);
	return i;
}

/* The next row: 1, 0 at the end, -1 on a damaged row (error set). */
static int csv_next(struct csv *c)
{
	errno = 0;
	ssize_t n = getline(&c->line, &c->cap, c->f);
	if (n < 0)
		return errno ? fail(2, "%s:%" PRIu64 ": read error: %s", c->path, c->lineno + 1,
				    strerror(errno)) : 0;
	c->lineno++;
	if (c->line[n - 1] != '\n')
		return fail(2, "%s:%" PRIu64 ": the last line has no end of line: the file is cut "
			    "short", c->path, c->lineno);
	c->line[n - 1] = '\0';
	c->nf = 0;
	char *p = c->line;
	for (;;) {
		if (c->nf == MAX_COLS)
			return fail(2, "%s:%" PRIu64 ": more than %d fields", c->path, c->lineno,
				    MAX_COLS);
		c->field[c->nf++] = p;
		char *q = strchr(p, ',');
		if (!q)
			break;
		*q = '\0';
		p = q + 1;
	}
	if (c->nf != c->ncol)
		return fail(2, "%s:%" PRIu64 ": %d fields, the header has %d (a damaged or cut "
			    "file)", c->path, c->lineno, c->nf, c->ncol);
	return 1;
}

static int bad_field(const struct csv *c, int col, const char *what)
{
	return fail(2, "%s:%" PRIu64 ": column '%s': '%.60s' is not %s", c->path, c->lineno,
		    c->hdr[col], c->field[col], what);
}

/* A number field: 0 with *out, 1 when empty (*out NaN), -1 (error set). */
static int csv_num(const struct csv *c, int col, double *out)
{
	const char *s = c->field[col];
	*out = NAN;
	if (!*s)
		return 1;
	char *end;
	double v = strtod(s, &end); /* "nan" too: dm-cv writes it for no figure */
	if (*end)
		return bad_field(c, col, "a number");
	*out = v;
	return 0;
}

/* An integer field: 0, 1 when empty (*out 0), -1. */
static int csv_int(const struct csv *c, int col, int64_t *out)
{
	const char *s = c->field[col];
	*out = 0;
	if (!*s)
		return 1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno)
		return bad_field(c, col, "an integer");
	*out = v;
	return 0;
}

/* An exact decimal with at most 9 decimals as x 10^9: 0, -1 (error set). */
static int csv_e9(const struct csv *c, int col, int64_t *out)
{
	const char *s = c->field[col];
	int neg = 0;
	int64_t ip = 0, fp = 0;
	int nd = 0, digits = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		if (__builtin_mul_overflow(ip, 10, &ip) || __builtin_add_overflow(ip, *s - '0', &ip))
			return bad_field(c, col, "an amount");
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
			if (nd == 9)
				return bad_field(c, col, "an amount of at most 9 decimals");
			fp = fp * 10 + (*s - '0');
			nd++;
		}
	if (*s || !digits)
		return bad_field(c, col, "an amount");
	for (; nd < 9; nd++)
		fp *= 10;
	int64_t v;
	if (__builtin_mul_overflow(ip, INSTR_MONEY_SCALE, &v) || __builtin_add_overflow(v, fp, &v))
		return bad_field(c, col, "an amount in range");
	*out = neg ? -v : v;
	return 0;
}

/* ------------------------------------------------------------ JSON */

static json_t *load_json(const char *dir, const char *name, int must)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	json_error_t e;
	json_t *j = json_load_file(p, JSON_DECODE_ANY, &e);
	if (!j) {
		struct stat st;
		if (!must && stat(p, &st) < 0 && errno == ENOENT)
			return NULL;
		fail(2, "%s:%d:%d: %s", p, e.line, e.column, e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		fail(2, "%s: not a JSON object", p);
		return NULL;
	}
	return j;
}

/* The value at a dotted path ("pnl.net"), or NULL. */
static json_t *jpath(const json_t *root, const char *path)
{
	char key[128];
	const json_t *j = root;
	while (j && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		j = json_is_object(j) ? json_object_get(j, key) : NULL;
		path += n + (dot != NULL);
	}
	return (json_t *)j;
}

static double jnum(const json_t *root, const char *path)
{
	const json_t *v = jpath(root, path);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* ------------------------------------------------------------ the report */

enum kind { K_BACKTEST, K_RUN, K_CV, K_SEARCH, K_COMPARE };

static const char *const kind_name[] = {
	"backtest (dm-backtest)", "paper trading run (tools/dmctl run)",
	"cross-validation (dm-cv)", "hyperparameter search (dm-search)",
	"strategy comparison (dm-compare)" };

struct rep {
	const char *dir;
	enum kind kind;
	FILE *f;
	json_t *sum;          /* summary.json (backtest, run) */
	json_t *dump;         /* final-dump.json (run), may be NULL */
	int has_in;           /* the instrument is known */
	struct instrument in;
	int utc_off;          /* local = UTC + this, minutes */
	int tz_known;
	char currency[16];
	char model[PATH_MAX]; /* the model the run traded, "" unknown */
	char model_from[128];
	/* the performance figures: summary.json's (a backtest), or computed
	 * here from the market the run replayed and fills.csv (PERF_MARKET,
	 * as dm-backtest does), or from equity.csv and fills.csv (PERF_CSV,
	 * when the market journal is gone) */
	enum { PERF_JSON, PERF_MARKET, PERF_CSV } perf_mode;
	char market[PATH_MAX];
	struct perf perf;
	struct dvec trips;    /* round trips' P&L, currency */
	double dd_max, dd_secs;
	int dd_recovered;
	uint64_t equity_rows, fills;
};

/* ---- rows of the summary table */

static void row_begin(struct rep *r, const char *label)
{
	chart_html(r->f, "<tr>");
	chart_cell_text(r->f, 0, label);
}

/* A figure of json at path; from: the file named in the last column. */
static void row_json(struct rep *r, const json_t *doc, const char *label, const char *path,
		     const char *unit, const char *from)
{
	const json_t *v = jpath(doc, path);
	if (!v)
		return;
	row_begin(r, label);
	if (json_is_integer(v))
		chart_cell_int(r->f, path, json_integer_value(v));
	else if (json_is_number(v) || json_is_null(v))
		chart_cell_num(r->f, path, json_is_null(v) ? NAN : json_number_value(v));
	else if (json_is_boolean(v))
		chart_cell_text(r->f, 0, json_is_true(v) ? "yes" : "no");
	else if (json_is_string(v))
		chart_cell_text(r->f, 0, json_string_value(v));
	else
		chart_cell_text(r->f, 0, "?");
	chart_cell_text(r->f, 0, unit ? unit : "");
	chart_cell_text(r->f, 0, from);
	chart_html(r->f, "</tr>\n");
}

/* A figure computed here (data-derived names it; no JSON holds it). */
static void row_derived(struct rep *r, const char *label, const char *name, double v,
			const char *unit, const char *from)
{
	char b[40];
	row_begin(r, label);
	chart_html(r->f, "<td class=\"num\" data-derived=\"%s\">%s</td>", name,
		   chart_fmt_num(b, sizeof(b), v));
	chart_cell_text(r->f, 0, unit ? unit : "");
	chart_cell_text(r->f, 0, from);
	chart_html(r->f, "</tr>\n");
}

/* Every member of the object at path as a row "label: key". */
static void rows_by_reason(struct rep *r, const char *label, const char *path)
{
	const json_t *o = jpath(r->sum, path);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		char lab[160], p[256];
		snprintf(lab, sizeof(lab), "%s: %s", label, k);
		snprintf(p, sizeof(p), "%s.%s", path, k);
		row_json(r, r->sum, lab, p, NULL, "summary.json");
	}
}

/* A number of a derived table: 6 significant digits shown, the value to
 * 12 in data-value (what a reader of the markup takes). */
static void cell_short(FILE *f, const char *attrs, double v)
{
	char b[40], l[40];
	chart_fmt_num(b, sizeof(b), v);
	if (isfinite(v))
		snprintf(l, sizeof(l), "%.6g", v == 0 ? 0.0 : v);
	else
		snprintf(l, sizeof(l), "n/a");
	chart_html(f, "<td class=\"num\"%s data-value=\"%s\">%s</td>", attrs ? attrs : "", b, l);
}

/* ------------------------------------------------------------ run data */

/* Round trips as perf.h closes them. */
static void on_trip(void *ctx, double pnl, int64_t open_ns, int64_t close_ns)
{
	struct rep *r = ctx;
	(void)open_ns;
	(void)close_ns;
	dvec_push(&r->trips, pnl);
}

/* The instrument, local time and model of a backtest: its summary.json. */
static void setup_backtest(struct rep *r)
{
	const json_t *i = json_object_get(r->sum, "instrument");
	if (json_is_object(i)) {
		struct cfg_instrument c;
		struct dm_config d;
		config_defaults(&d);
		c = d.instrument;
		snprintf(c.symbol, sizeof(c.symbol), "%s", json_string_value(json_object_get(i, "symbol")) ?: "");
		snprintf(c.currency, sizeof(c.currency), "%s",
			 json_string_value(json_object_get(i, "currency")) ?: "");
		c.tick_size_e6 = json_integer_value(json_object_get(i, "tick_size_e6"));
		c.point_value_e6 = json_integer_value(json_object_get(i, "point_value_e6"));
		c.lot_size_e6 = json_integer_value(json_object_get(i, "lot_size_e6"));
		c.price_decimals = (uint32_t)json_integer_value(json_object_get(i, "price_decimals"));
		c.utc_offset_min = (int32_t)json_integer_value(json_object_get(i, "utc_offset_min"));
		if (instr_init(&r->in, &c) == 0) {
			r->has_in = 1;
			r->utc_off = c.utc_offset_min;
			r->tz_known = 1;
		}
	}
	const char *m = json_string_value(json_object_get(r->sum, "model"));
	if (m) {
		snprintf(r->model, sizeof(r->model), "%s", m);
		snprintf(r->model_from, sizeof(r->model_from), "summary.json \"model\"");
	}
}

/* key=value lines of DIR/env (tools/dmctl start writes it). */
static int env_get(const char *dir, const char *key, char *out, size_t n)
{
	char p[PATH_MAX + 8], line[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/env", dir);
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	size_t kl = strlen(key);
	int rc = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == '=') {
			line[strcspn(line, "\n")] = '\0';
			const char *v = line + kl + 1;
			size_t vl = strlen(v);
			if (vl >= 2 && v[0] == '\'' && v[vl - 1] == '\'') { /* shell-quoted */
				v++;
				vl -= 2;
			}
			snprintf(out, n, "%.*s", (int)vl, v);
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

/* A paper run: its configuration (env conf=) for the instrument, local
 * time and model; the market journal's header for the instrument when
 * the configuration cannot be read; the ml agent's own dump for the model
 * it loaded. */
static void setup_run(struct rep *r)
{
	char conf[PATH_MAX], input[PATH_MAX], err[512];
	static struct dm_config cfg;
	if (env_get(r->dir, "conf", conf, sizeof(conf)) == 0 &&
	    rt_config_load_core(&cfg, conf, err, sizeof(err)) == 0) {
		if (instr_init(&r->in, &cfg.instrument) == 0)
			r->has_in = 1;
		r->utc_off = cfg.instrument.utc_offset_min;
		r->tz_known = 1;
		if (cfg.strategy.model[0]) {
			snprintf(r->model, sizeof(r->model), "%s", cfg.strategy.model);
			snprintf(r->model_from, sizeof(r->model_from), "strategy.model of %.80s", conf);
		}
	}
	struct journal_reader jr;
	if (env_get(r->dir, "input", input, sizeof(input)) < 0)
		snprintf(input, sizeof(input), "%s/market.journal", r->dir);
	if (journal_open_read(&jr, input, 0) == 0) {
		if (!r->has_in &&
		    report_instrument_from_header(&jr.hdr, &r->in, err, sizeof(err)) == 0)
			r->has_in = 1;
		journal_reader_close(&jr);
		snprintf(r->market, sizeof(r->market), "%s", input);
	}
	r->perf_mode = r->market[0] && r->has_in ? PERF_MARKET : PERF_CSV;
	const char *m = json_string_value(jpath(r->dump, "state.agents.ml.model"));
	if (m && *m) {
		snprintf(r->model, sizeof(r->model), "%s", m);
		snprintf(r->model_from, sizeof(r->model_from), "the ml agent's state (final-dump.json)");
	}
}

/*
 * equity.csv: the equity, drawdown, position and mark series; the equity
 * path into perf (the figures a run's summary.json does not hold) and the
 * duration of the largest drawdown: from the highest equity before its
 * trough to the first row back at that height (or the last row).
 */
static int read_equity(struct rep *r, struct chart_series *eq, struct chart_series *dd,
		       struct chart_series *pos, struct chart_series *mark)
{
	struct csv c;
	int rc = csv_open(&c, r->dir, "equity.csv");
	if (rc == -ENOENT)
		return fail(2, "%s/equity.csv: missing (every run directory has it)", r->dir);
	if (rc < 0)
		return -1;
	int ct = csv_need(&c, "t_ns"), cp = csv_need(&c, "position"), cm = csv_need(&c, "mark"),
	    ce = csv_need(&c, "equity");
	if (ct < 0 || cp < 0 || cm < 0 || ce < 0)
		goto bad;
	int64_t peak = 0, peak_t = INT64_MIN, t_first = INT64_MIN, last_t = 0;
	int64_t dd_max = 0, dd_peak = 0, dd_peak_t = 0, rec_t = INT64_MIN;
	while ((rc = csv_next(&c)) == 1) {
		int64_t t, p, e;
		double m;
		if (csv_int(&c, ct, &t) != 0 || csv_int(&c, cp, &p) < 0 || csv_num(&c, cm, &m) < 0 ||
		    csv_e9(&c, ce, &e) < 0) {
			if (!g_code)
				bad_field(&c, ct, "a time");
			goto bad;
		}
		if (t_first == INT64_MIN) {
			t_first = t;
			peak_t = t;
		}
		r->equity_rows++;
		double x = (double)t, ev = (double)e / 1e9;
		chart_series_add(eq, x, ev);
		chart_series_add(pos, x, (double)p);
		chart_series_add(mark, x, m);
		if (r->perf_mode == PERF_CSV)
			perf_on_equity(&r->perf, t, e);
		if (e > peak) {
			peak = e;
			peak_t = t;
		}
		chart_series_add(dd, x, -(double)(peak - e) / 1e9);
		if (peak - e > dd_max) {
			dd_max = peak - e;
			dd_peak = peak;
			dd_peak_t = peak_t;
			rec_t = INT64_MIN;
		} else if (dd_max > 0 && rec_t == INT64_MIN && e >= dd_peak) {
			rec_t = t;
		}
		last_t = t;
	}
	if (rc < 0)
		goto bad;
	csv_close(&c);
	r->dd_max = (double)dd_max / 1e9;
	r->dd_recovered = rec_t != INT64_MIN;
	r->dd_secs = dd_max ? (double)((r->dd_recovered ? rec_t : last_t) - dd_peak_t) / 1e9 : 0;
	return 0;
bad:
	csv_close(&c);
	return -1;
}

/* fills.csv: the buy and sell marks, and every fill into perf (round
 * trips, turnover; prices to ticks by the instrument). */
static int read_fills(struct rep *r, struct chart_series *buy, struct chart_series *sell,
		      struct dvec *qty_of_fill)
{
	struct csv c;
	int rc = csv_open(&c, r->dir, "fills.csv");
	if (rc == -ENOENT)
		return fail(2, "%s/fills.csv: missing (every run directory has it)", r->dir);
	if (rc < 0)
		return -1;
	int ct = csv_need(&c, "t_ns"), cs = csv_need(&c, "side"), cq = csv_need(&c, "qty"),
	    cp = csv_need(&c, "price"), cf = csv_need(&c, "fee");
	if (ct < 0 || cs < 0 || cq < 0 || cp < 0 || cf < 0)
		goto bad;
	while ((rc = csv_next(&c)) == 1) {
		int64_t t, q, fee;
		double px;
		const char *side = c.field[cs];
		int sd = !strcmp(side, "buy") ? 1 : !strcmp(side, "sell") ? -1 : 0;
		if (!sd) {
			bad_field(&c, cs, "buy or sell");
			goto bad;
		}
		if (csv_int(&c, ct, &t) != 0 || csv_int(&c, cq, &q) != 0 || csv_num(&c, cp, &px) != 0 ||
		    csv_e9(&c, cf, &fee) < 0) {
			if (!g_code)
				bad_field(&c, ct, "a full row");
			goto bad;
		}
		r->fills++;
		chart_series_add(sd > 0 ? buy : sell, (double)t, px);
		if (qty_of_fill)
			dvec_push(qty_of_fill, (double)q);
		if (r->has_in && r->perf_mode != PERF_MARKET) {
			dm_ticks_t tk;
			const char *s = c.field[cp];
			if (instr_parse_ticks(&r->in, s, strlen(s), INSTR_EXACT, &tk) < 0) {
				bad_field(&c, cp, "a price on the instrument's tick grid");
				goto bad;
			}
			perf_on_fill(&r->perf, t, sd, q, tk, fee);
		}
	}
	if (rc < 0)
		goto bad;
	csv_close(&c);
	return 0;
bad:
	csv_close(&c);
	return -1;
}

/*
 * The performance figures of a paper run as dm-backtest computes them
 * (libcore/backtest/bt.c): the market the run replayed and its fills in
 * market-time order (a fill after the market events up to its venue time,
 * a market event at the fill's time first), the equity (cash from the
 * fills less fees, plus the position at the last two-sided book's mid, as
 * libcore/report keeps it) given to perf after every fill and every market
 * event.  0, or -1 with the error set.
 */
static int perf_market(struct rep *r)
{
	struct journal_reader jr;
	struct csv c;
	int rc = journal_open_read(&jr, r->market, JOURNAL_SEQ);
	if (rc < 0)
		return fail(2, "%s: %s", r->market, dm_strerror(rc));
	if ((rc = csv_open(&c, r->dir, "fills.csv")) < 0) {
		journal_reader_close(&jr);
		return rc == -ENOENT ? fail(2, "%s/fills.csv: missing", r->dir) : -1;
	}
	int ct = csv_need(&c, "t_ns"), cs = csv_need(&c, "side"), cq = csv_need(&c, "qty"),
	    cp = csv_need(&c, "price"), cf = csv_need(&c, "fee");
	int64_t pos = 0, cash = 0, mark_x2 = 0, tv = r->in.tick_value_e9;
	int has_mark = 0;
	struct { int64_t t, q, px, fee; int side; } fl = { 0 };
	int have = 0;
#define EQUITY() ((int64_t)((__int128)cash + (has_mark && pos ? \
			(__int128)pos * mark_x2 * tv / 2 : 0)))
#define NEXT_FILL() do { \
		have = 0; \
		if ((rc = csv_next(&c)) == 1) { \
			const char *sd_ = c.field[cs], *p_ = c.field[cp]; \
			fl.side = !strcmp(sd_, "buy") ? 1 : !strcmp(sd_, "sell") ? -1 : 0; \
			if (!fl.side) { rc = bad_field(&c, cs, "buy or sell"); break; } \
			if (csv_int(&c, ct, &fl.t) != 0 || csv_int(&c, cq, &fl.q) != 0 || \
			    csv_e9(&c, cf, &fl.fee) < 0) { \
				rc = g_code ? -1 : bad_field(&c, ct, "a full row"); break; } \
			if (instr_parse_ticks(&r->in, p_, strlen(p_), INSTR_EXACT, &fl.px) < 0) { \
				rc = bad_field(&c, cp, "a price on the instrument's tick grid"); break; } \
			have = 1; \
		} \
	} while (0)
#define APPLY_FILL() do { \
		pos += fl.side * fl.q; \
		cash = (int64_t)((__int128)cash - (__int128)fl.side * fl.q * fl.px * tv - fl.fee); \
		perf_on_fill(&r->perf, fl.t, fl.side, fl.q, fl.px, fl.fee); \
		perf_on_equity(&r->perf, fl.t, EQUITY()); \
	} while (0)
	if (ct < 0 || cs < 0 || cq < 0 || cp < 0 || cf < 0)
		goto bad;
	NEXT_FILL();
	if (rc < 0)
		goto bad;
	const struct event *ev;
	int mrc;
	while ((mrc = journal_next_event_ref(&jr, &ev)) == 1) {
		if (ev->kind != EV_BOOK && ev->kind != EV_TRADE)
			continue;
		while (have && fl.t < ev->exch_ns) {
			APPLY_FILL();
			NEXT_FILL();
			if (rc < 0)
				goto bad;
		}
		if (ev->kind == EV_BOOK && ev->book.n_bid && ev->book.n_ask &&
		    ev->book.bid[0].px > 0 && ev->book.ask[0].px > 0) {
			mark_x2 = ev->book.bid[0].px + ev->book.ask[0].px;
			has_mark = 1;
		}
		perf_on_equity(&r->perf, ev->exch_ns, EQUITY());
	}
	if (mrc < 0) {
		fail(2, "%s: %s at offset %" PRIu64, r->market, dm_strerror(mrc),
		     journal_reader_bad_offset(&jr));
		goto bad;
	}
	while (have) {
		APPLY_FILL();
		NEXT_FILL();
		if (rc < 0)
			goto bad;
	}
#undef EQUITY
#undef NEXT_FILL
#undef APPLY_FILL
	csv_close(&c);
	journal_reader_close(&jr);
	return 0;
bad:
	csv_close(&c);
	journal_reader_close(&jr);
	return -1;
}

/* ------------------------------------------------------------ decision times */

/* decision id -> market time: the pairs in id order (decisions.csv is in
 * decision order, so sorting is rarely needed), found by binary search. */
struct idpair {
	uint64_t id;
	int64_t t;
};

struct idmap {
	struct idpair *v;
	size_t n, cap;
	int sorted;
};

static void idmap_put(struct idmap *m, uint64_t k, int64_t t)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
	}
	if (m->n && m->v[m->n - 1].id >= k)
		m->sorted = 0;
	else if (!m->n)
		m->sorted = 1;
	m->v[m->n].id = k;
	m->v[m->n].t = t;
	m->n++;
}

static int by_id(const void *a, const void *b)
{
	const struct idpair *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Once every pair is in: sorted by id. */
static void idmap_seal(struct idmap *m)
{
	if (!m->sorted && m->n)
		qsort(m->v, m->n, sizeof(*m->v), by_id);
	m->sorted = 1;
}

static int idmap_get(const struct idmap *m, uint64_t k, int64_t *t)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].id < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->n || m->v[lo].id != k)
		return -1;
	*t = m->v[lo].t;
	return 0;
}

static void idmap_free(struct idmap *m)
{
	free(m->v);
}

/* ------------------------------------------------------------ sections */

static void nav(struct rep *r, const char *const *ids, const char *const *titles, int n)
{
	chart_html(r->f, "<nav><ul>\n");
	for (int i = 0; i < n; i++) {
		chart_html(r->f, "<li><a href=\"#%s\">", ids[i]);
		chart_esc(r->f, titles[i]);
		chart_html(r->f, "</a></li>\n");
	}
	chart_html(r->f, "</ul></nav>\n");
}

static const char *const sum_head[] = { "figure", "value", "unit", "from" };

static void section_summary(struct rep *r)
{
	const char *ccy = r->currency;
	int perf_json = r->perf_mode == PERF_JSON;
	const char *pf = perf_json ? "summary.json" : r->perf_mode == PERF_MARKET ?
			 "market journal, fills.csv (perf.h, here)" : "fills.csv, equity.csv (perf.h, here)";
	struct perf_result pr;
	perf_result(&r->perf, &pr);
	chart_section_begin(r->f, "summary", "Summary");
	if (r->perf_mode == PERF_MARKET)
		chart_para(r->f, "note", "summary.json of this run has no \"performance\": the "
			   "figures marked \"here\" are computed by dm-report with libcore/report/"
			   "perf.h from the market the run replayed (%s) and fills.csv, the equity "
			   "given at every fill and market event, as dm-backtest computes them.",
			   r->market);
	else if (r->perf_mode == PERF_CSV)
		chart_para(r->f, "note", "summary.json of this run has no \"performance\" and the "
			   "market journal it replayed is not there: the figures marked \"here\" are "
			   "computed by dm-report with libcore/report/perf.h from fills.csv and "
			   "equity.csv, whose rows sample the equity at every fill and every second "
			   "of market time only (dm-backtest: at every market event), so the Sharpe "
			   "and Sortino ratios and the drawdown are approximations.");
	chart_table_begin(r->f, "summary", NULL, sum_head, 4);
	row_json(r, r->sum, "gross P&L", "pnl.gross", ccy, "summary.json");
	row_json(r, r->sum, "fees", "pnl.fees", ccy, "summary.json");
	row_json(r, r->sum, "net P&L", "pnl.net", ccy, "summary.json");
	if (perf_json) {
		row_json(r, r->sum, "Sharpe ratio (annualised)", "performance.sharpe", NULL, pf);
		row_json(r, r->sum, "Sortino ratio (annualised)", "performance.sortino", NULL, pf);
		row_json(r, r->sum, "max drawdown", "performance.max_drawdown", ccy, pf);
	} else {
		row_derived(r, "Sharpe ratio (annualised)", "performance.sharpe", pr.sharpe, NULL, pf);
		row_derived(r, "Sortino ratio (annualised)", "performance.sortino", pr.sortino, NULL, pf);
		row_derived(r, "max drawdown", "performance.max_drawdown", pr.max_drawdown, ccy, pf);
	}
	row_derived(r, r->dd_recovered || r->dd_max == 0 ? "max drawdown duration (peak to recovery)"
			: "max drawdown duration (peak to the end: not recovered)",
		    "drawdown_duration_s", r->dd_secs, "s", "equity.csv (here)");
	if (perf_json) {
		row_json(r, r->sum, "round trips", "performance.trades", NULL, pf);
		row_json(r, r->sum, "hit rate", "performance.hit_rate", NULL, pf);
		row_json(r, r->sum, "profit factor", "performance.profit_factor", NULL, pf);
		row_json(r, r->sum, "turnover", "performance.turnover", ccy, pf);
		row_json(r, r->sum, "fees / |gross P&L|", "performance.fees_share", NULL, pf);
		row_json(r, r->sum, "average holding time", "performance.avg_holding_s", "s", pf);
		row_json(r, r->sum, "active market minutes", "performance.active_minutes", NULL, pf);
	} else if (r->has_in) {
		row_derived(r, "round trips", "performance.trades", (double)pr.trips, NULL, pf);
		row_derived(r, "hit rate", "performance.hit_rate", pr.hit_rate, NULL, pf);
		row_derived(r, "profit factor", "performance.profit_factor", pr.profit_factor, NULL, pf);
		row_derived(r, "turnover", "performance.turnover", pr.turnover, ccy, pf);
		row_derived(r, "fees / |gross P&L|", "performance.fees_share", pr.fees_share, NULL, pf);
		row_derived(r, "average holding time", "performance.avg_holding_s", pr.avg_holding_s,
			    "s", pf);
		row_derived(r, "active market minutes", "performance.active_minutes",
			    (double)pr.minutes, NULL, pf);
	}
	row_json(r, r->sum, "market events", "events.total", NULL, "summary.json");
	row_json(r, r->sum, "intents", "ml.intents", NULL, "summary.json");
	row_json(r, r->sum, "decisions", "decisions.total", NULL, "summary.json");
	row_json(r, r->sum, "decisions approved", "decisions.approved", NULL, "summary.json");
	row_json(r, r->sum, "decisions rejected", "decisions.rejected", NULL, "summary.json");
	rows_by_reason(r, "rejected", "decisions.rejected_by_reason");
	rows_by_reason(r, "risk's rejections", "decisions.risk_rejections_by_reason");
	row_json(r, r->sum, "orders", "orders.total", NULL, "summary.json");
	row_json(r, r->sum, "orders filled", "orders.filled", NULL, "summary.json");
	row_json(r, r->sum, "orders cancelled", "orders.cancelled", NULL, "summary.json");
	row_json(r, r->sum, "orders rejected by the venue", "orders.rejected", NULL, "summary.json");
	row_json(r, r->sum, "orders refused before the venue", "orders.refused", NULL,
		 "summary.json");
	row_json(r, r->sum, "fills", "fills.count", NULL, "summary.json");
	row_json(r, r->sum, "lots bought", "fills.bought", NULL, "summary.json");
	row_json(r, r->sum, "lots sold", "fills.sold", NULL, "summary.json");
	row_json(r, r->sum, "final position", "position.final", "lots", "summary.json");
	row_json(r, r->sum, "largest |position|", "position.max_abs", "lots", "summary.json");
	row_json(r, r->sum, "result", "result", NULL, "summary.json");
	chart_table_end(r->f);
	const json_t *w = json_object_get(r->sum, "warnings");
	size_t i;
	const json_t *v;
	json_array_foreach(w, i, v)
		chart_para(r->f, "note", "Warning: %s", json_string_value(v) ?: "?");
	chart_section_end(r->f);
}

static void section_series(struct rep *r, struct chart_series *eq, struct chart_series *dd,
			   struct chart_series *pos, struct chart_series *mark,
			   struct chart_series *buy, struct chart_series *sell)
{
	char yl[64];
	snprintf(yl, sizeof(yl), "%s", r->currency[0] ? r->currency : "currency");
	const char *tz = r->tz_known ? NULL : "The instrument's local time is not known: UTC.";
	chart_section_begin(r->f, "equity", "Equity and drawdown");
	struct chart c = { .title = "Equity (net P&L) over market time", .x_label = "market time",
			   .y_label = yl, .x_axis = CHART_AX_TIME, .utc_offset_min = r->utc_off,
			   .y_zero = 1, .note = tz };
	const struct chart_series *s1[] = { eq };
	chart_xy(r->f, &c, s1, 1);
	c.title = "Drawdown: equity below its highest value so far (from 0)";
	const struct chart_series *s2[] = { dd };
	chart_xy(r->f, &c, s2, 1);
	chart_para(r->f, "note", "From equity.csv: %" PRIu64 " rows (every fill, the first market "
		   "event of every second, the end).", r->equity_rows);
	chart_section_end(r->f);

	chart_section_begin(r->f, "position", "Position");
	c.title = "Position over market time";
	c.y_label = "lots";
	const struct chart_series *s3[] = { pos };
	chart_xy(r->f, &c, s3, 1);
	chart_section_end(r->f);

	chart_section_begin(r->f, "price", "Price and fills");
	c.title = "Mid price (equity.csv's mark) with the fills (fills.csv)";
	c.y_label = "price";
	c.y_zero = 0;
	const struct chart_series *s4[] = { mark, buy, sell };
	chart_xy(r->f, &c, s4, 3);
	chart_section_end(r->f);
}

static void section_trips(struct rep *r)
{
	chart_section_begin(r->f, "trips", "P&L per round trip");
	if (!r->has_in) {
		chart_para(r->f, "nodata", "The instrument is not known (no \"instrument\" in "
			   "summary.json, no readable configuration or market journal): fills.csv's "
			   "prices cannot be turned into money, so the round trips are not computed.");
		chart_section_end(r->f);
		return;
	}
	struct chart_bin *b = xmalloc(HIST_BINS * sizeof(*b));
	int nb = chart_bins(r->trips.v, r->trips.n, HIST_BINS, b);
	char xl[64];
	snprintf(xl, sizeof(xl), "P&L of the trip, %s", r->currency);
	struct chart c = { .title = "Round trips by P&L", .x_label = xl, .y_label = "trips",
			   .note = "A trip runs from flat to flat; a fill that flips the position "
				   "closes one and opens the next, its quantity and fee split "
				   "(libcore/report/perf.h)" };
	chart_hist(r->f, &c, b, nb);
	double win = 0, loss = 0;
	size_t nw = 0, nl = 0;
	for (size_t i = 0; i < r->trips.n; i++) {
		if (r->trips.v[i] > 0)
			win += r->trips.v[i], nw++;
		else if (r->trips.v[i] < 0)
			loss += r->trips.v[i], nl++;
	}
	chart_para(r->f, "note", "%zu round trips from fills.csv: %zu won (sum %.6g %s), %zu lost "
		   "(sum %.6g %s).", r->trips.n, nw, win, r->currency, nl, loss, r->currency);
	free(b);
	chart_section_end(r->f);
}

/* A bar chart of counts by label (sorted by count, largest first). */
struct counter {
	char label[96];
	double n;
	char cls[8];
};

static int by_count(const void *a, const void *b)
{
	const struct counter *x = a, *y = b;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->label, y->label);
}

static void count_add(struct counter **v, int *n, const char *label, const char *cls)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp((*v)[i].label, label)) {
			(*v)[i].n++;
			return;
		}
	*v = xrealloc(*v, (size_t)(*n + 1) * sizeof(**v));
	snprintf((*v)[*n].label, sizeof((*v)[0].label), "%s", label);
	snprintf((*v)[*n].cls, sizeof((*v)[0].cls), "%s", cls);
	(*v)[*n].n = 1;
	(*n)++;
}

static void bars_of(struct rep *r, const struct chart *c, struct counter *v, int n)
{
	if (n > 0)
		qsort(v, (size_t)n, sizeof(*v), by_count);
	const char **lab = xmalloc((size_t)(n + 1) * sizeof(char *));
	const char **cls = xmalloc((size_t)(n + 1) * sizeof(char *));
	double *val = xmalloc((size_t)(n + 1) * sizeof(double));
	for (int i = 0; i < n; i++) {
		lab[i] = v[i].label;
		cls[i] = v[i].cls;
		val[i] = v[i].n;
	}
	chart_bars(r->f, c, lab, val, cls, n);
	free(lab);
	free(cls);
	free(val);
}

/* decisions.csv: outcomes and reasons, the vetoes by voter and reason,
 * and each decision's market time for the latencies. */
static int section_decisions(struct rep *r, struct idmap *dec_t)
{
	struct csv c;
	int rc = csv_open(&c, r->dir, "decisions.csv");
	if (rc == -ENOENT)
		return fail(2, "%s/decisions.csv: missing (every run directory has it)", r->dir);
	if (rc < 0)
		return -1;
	int cid = csv_need(&c, "decision_id"), co = csv_need(&c, "outcome"),
	    cr = csv_need(&c, "reason"), cv = csv_need(&c, "votes"), ct = csv_need(&c, "t_ns");
	if (cid < 0 || co < 0 || cr < 0 || cv < 0 || ct < 0) {
		csv_close(&c);
		return -1;
	}
	struct counter *oc = NULL, *vt = NULL;
	int noc = 0, nvt = 0, last = -1;
	char last_o[24] = "", last_r[64] = "";
	uint64_t total = 0;
	while ((rc = csv_next(&c)) == 1) {
		int64_t id, t;
		if (csv_int(&c, cid, &id) != 0 || csv_int(&c, ct, &t) < 0) {
			if (!g_code)
				bad_field(&c, cid, "a decision id");
			rc = -1;
			break;
		}
		total++;
		idmap_put(dec_t, (uint64_t)id, t);
		char lab[96];
		if (last >= 0 && !strcmp(c.field[co], last_o) && !strcmp(c.field[cr], last_r)) {
			oc[last].n++; /* most rows repeat the row before */
		} else {
			snprintf(lab, sizeof(lab), "%.20s: %.60s", c.field[co], c.field[cr]);
			count_add(&oc, &noc, lab, !strcmp(c.field[co], "released") ? "s2" : "s3");
			for (last = 0; strcmp(oc[last].label, lab); last++)
				;
			snprintf(last_o, sizeof(last_o), "%s", c.field[co]);
			snprintf(last_r, sizeof(last_r), "%s", c.field[cr]);
		}
		/* votes: voter:verdict:reason;... — every verdict but approve */
		char *save = NULL;
		for (char *v = strtok_r(c.field[cv], ";", &save); v; v = strtok_r(NULL, ";", &save)) {
			char *a = strchr(v, ':');
			char *b = a ? strchr(a + 1, ':') : NULL;
			if (!a || !b)
				continue;
			*a = '\0';
			*b = '\0';
			if (!strcmp(a + 1, "approve"))
				continue;
			snprintf(lab, sizeof(lab), "%.24s %.12s: %.50s", v, a + 1, b + 1);
			count_add(&vt, &nvt, lab, !strcmp(a + 1, "none") ? "s1" : "s3");
		}
	}
	csv_close(&c);
	if (rc < 0) {
		free(oc);
		free(vt);
		return -1;
	}
	idmap_seal(dec_t);
	chart_section_begin(r->f, "decisions", "Decisions and vetoes");
	struct chart ch = { .title = "Decisions by outcome and reason (decisions.csv)",
			    .x_label = "decisions" };
	bars_of(r, &ch, oc, noc);
	ch.title = "Votes against (reject) and missing (none) by voter and reason";
	ch.x_label = "votes";
	bars_of(r, &ch, vt, nvt);
	chart_para(r->f, "note", "%" PRIu64 " decisions in decisions.csv; the summary's counts by "
		   "reason are in the summary table.", total);
	chart_section_end(r->f);
	free(oc);
	free(vt);
	return 0;
}

/* A latency histogram of values in ns, drawn in microseconds. */
static void lat_hist(struct rep *r, const char *title, struct dvec *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		ns->v[i] /= 1e3;
	struct chart_bin b[HIST_BINS];
	int nb = chart_bins(ns->v, ns->n, HIST_BINS, b);
	struct chart c = { .title = title, .x_label = "microseconds", .y_label = "count" };
	chart_hist(r->f, &c, b, nb);
}

/* The histograms of final-dump.json (hist_json's buckets), by agent. */
static int lat_dump(struct rep *r)
{
	const json_t *ag = jpath(r->dump, "state.agents");
	if (!json_is_object(ag))
		return 0;
	static const char *const head[] = { "agent", "histogram", "n", "p50 us", "p99 us",
					    "p99.9 us", "max us" };
	chart_table_begin(r->f, "latency", "Latency histograms of the agents (final-dump.json)",
			  head, 7);
	const char *name;
	const json_t *a;
	int rows = 0;
	json_object_foreach((json_t *)ag, name, a) {
		const json_t *l = json_object_get(a, "latency");
		if (!json_is_object(l))
			continue;
		const char *st = json_string_value(json_object_get(l, "stage_name")) ?: "stage";
		const char *which[2] = { "stage", "hop" };
		for (int k = 0; k < 2; k++) {
			const json_t *h = json_object_get(l, which[k]);
			if (!json_is_object(h))
				continue;
			chart_html(r->f, "<tr>");
			chart_cell_text(r->f, 0, name);
			chart_cell_text(r->f, 0, k ? "ring_hop" : st);
			chart_cell_int(r->f, NULL, json_integer_value(json_object_get(h, "n")));
			static const char *const q[] = { "p50_ns", "p99_ns", "p999_ns", "max_ns" };
			for (int i = 0; i < 4; i++)
				cell_short(r->f, NULL, jnum(h, q[i]) / 1e3);
			chart_html(r->f, "</tr>\n");
			rows++;
		}
	}
	chart_table_end(r->f);
	json_object_foreach((json_t *)ag, name, a) {
		const json_t *l = json_object_get(a, "latency");
		const json_t *bk = jpath(l, "stage.buckets");
		const char *st = json_string_value(json_object_get(l, "stage_name")) ?: "stage";
		char title[160];
		snprintf(title, sizeof(title), "%s: %s (from the market event's ingress)", name, st);
		if (!json_is_array(bk) || !json_array_size(bk)) {
			if (json_is_object(l) && json_integer_value(jpath(l, "stage.n")) > 0)
				chart_para(r->f, "nodata", "%s: the distribution is not recorded "
					   "(final-dump.json written before its histograms carried "
					   "their buckets).", title);
			continue;
		}
		/* the log-linear buckets regrouped into 10 bins a decade, in us */
		struct chart_bin b[160];
		int nb = 0;
		size_t i;
		const json_t *e;
		double lo_all = INFINITY, hi_all = 0;
		json_array_foreach(bk, i, e) {
			double lo = json_number_value(json_array_get(e, 0)) / 1e3;
			double hi = (json_number_value(json_array_get(e, 1)) + 1) / 1e3;
			lo_all = fmin(lo_all, lo > 0 ? lo : 1e-3);
			hi_all = fmax(hi_all, hi);
		}
		hi_all = fmax(hi_all, lo_all * 1.01);
		double d0 = floor(log10(lo_all) * 10) / 10;
		nb = (int)ceil((log10(hi_all) - d0) * 10);
		if (nb < 1)
			nb = 1;
		if (nb > 160)
			nb = 160;
		for (int k = 0; k < nb; k++) {
			b[k].lo = pow(10, d0 + k / 10.0);
			b[k].hi = pow(10, d0 + (k + 1) / 10.0);
			b[k].count = 0;
		}
		json_array_foreach(bk, i, e) {
			double lo = json_number_value(json_array_get(e, 0)) / 1e3;
			double hi = (json_number_value(json_array_get(e, 1)) + 1) / 1e3;
			double mid = lo > 0 ? sqrt(lo * hi) : hi / 2;
			int k = (int)floor((log10(mid) - d0) * 10);
			k = k < 0 ? 0 : k >= nb ? nb - 1 : k;
			b[k].count += json_number_value(json_array_get(e, 2));
		}
		struct chart c = { .title = title, .x_label = "microseconds (log scale)",
				   .y_label = "count", .x_log = 1 };
		chart_hist(r->f, &c, b, nb);
	}
	return rows;
}

/* tca.csv's latency legs, a histogram each: the legs drawn (0 without
 * tca.csv), or -1 with the error set. */
static int lat_tca(struct rep *r)
{
	static const char *const leg[3][2] = {
		{ "lat_decision_to_send_ns", "Decision to the order sent (tca.csv)" },
		{ "lat_send_to_ack_ns", "Order sent to its acknowledgement (tca.csv)" },
		{ "lat_ack_to_fill_ns", "Acknowledgement to the fill (tca.csv)" } };
	struct csv c;
	int rc = csv_open(&c, r->dir, "tca.csv");
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return -1;
	int col[3];
	for (int k = 0; k < 3; k++)
		if ((col[k] = csv_need(&c, leg[k][0])) < 0) {
			csv_close(&c);
			return -1;
		}
	struct dvec v[3] = { { 0 }, { 0 }, { 0 } };
	while (rc >= 0 && (rc = csv_next(&c)) == 1)
		for (int k = 0; k < 3 && rc >= 0; k++) {
			double x;
			if ((rc = csv_num(&c, col[k], &x)) == 0 && isfinite(x))
				dvec_push(&v[k], x);
		}
	csv_close(&c);
	int drawn = 0;
	for (int k = 0; k < 3; k++) {
		if (rc >= 0 && v[k].n) {
			lat_hist(r, leg[k][1], &v[k]);
			drawn++;
		} else if (rc >= 0) {
			chart_para(r->f, "nodata", "%s: not recorded (no known value).", leg[k][1]);
		}
		free(v[k].v);
	}
	return rc < 0 ? -1 : drawn;
}

/*
 * Latencies: what the directory holds.  final-dump.json (a paper run):
 * every agent's stage and ring-hop histograms; summary.json's tick-to-order
 * quantiles; decisions.csv and orders.csv: each order's decision (market
 * time) to its first venue report, which in a replay or a backtest is the
 * venue simulator's latency; tca.csv's legs when it is there.
 */
static int section_latency(struct rep *r, const struct idmap *dec_t)
{
	chart_section_begin(r->f, "latency", "Latency");
	int shown = 0;
	if (r->dump)
		shown += lat_dump(r) > 0;
	const json_t *tto = json_object_get(r->sum, "tick_to_order_us");
	if (json_integer_value(json_object_get(tto, "n")) > 0) {
		chart_table_begin(r->f, "summary", "Tick to order (summary.json)", sum_head, 4);
		row_json(r, r->sum, "orders timed", "tick_to_order_us.n", NULL, "summary.json");
		row_json(r, r->sum, "p50", "tick_to_order_us.p50", "us", "summary.json");
		row_json(r, r->sum, "p99", "tick_to_order_us.p99", "us", "summary.json");
		row_json(r, r->sum, "p99.9", "tick_to_order_us.p999", "us", "summary.json");
		chart_table_end(r->f);
		shown++;
	} else if (!r->dump) {
		chart_para(r->f, "nodata", "Tick to order: not recorded (%s).",
			   r->kind == K_BACKTEST ? "an in-process backtest has no agents to time; "
			   "its latencies are the venue simulator's, below" : "summary.json has none");
	}
	/* orders.csv: decision -> first venue report, and -> last report */
	struct csv c;
	int rc = csv_open(&c, r->dir, "orders.csv");
	if (rc == -ENOENT)
		return fail(2, "%s/orders.csv: missing (every run directory has it)", r->dir);
	if (rc < 0)
		return -1;
	int cd = csv_need(&c, "decision_id"), cf = csv_need(&c, "first_ns"),
	    cs = csv_need(&c, "status"), cl = csv_need(&c, "last_ns");
	if (cd < 0 || cf < 0 || cs < 0 || cl < 0) {
		csv_close(&c);
		return -1;
	}
	struct dvec first = { 0 }, fill = { 0 };
	uint64_t orders = 0, unmatched = 0;
	while ((rc = csv_next(&c)) == 1) {
		int64_t id, f0, l0, t;
		if (csv_int(&c, cd, &id) != 0 || csv_int(&c, cf, &f0) < 0 || csv_int(&c, cl, &l0) < 0) {
			if (!g_code)
				bad_field(&c, cd, "a decision id");
			rc = -1;
			break;
		}
		orders++;
		if (idmap_get(dec_t, (uint64_t)id, &t) < 0) {
			unmatched++;
			continue;
		}
		if (f0 > 0)
			dvec_push(&first, (double)(f0 - t));
		if (l0 > 0 && !strcmp(c.field[cs], "filled"))
			dvec_push(&fill, (double)(l0 - t));
	}
	csv_close(&c);
	if (rc < 0) {
		free(first.v);
		free(fill.v);
		return -1;
	}
	if (first.n) {
		lat_hist(r, "Decision to the order's first venue report (orders.csv first_ns - "
			 "decisions.csv t_ns, market time)", &first);
		lat_hist(r, "Decision to the last fill of a filled order (orders.csv last_ns - "
			 "decisions.csv t_ns)", &fill);
		shown++;
	} else {
		chart_para(r->f, "nodata", "Decision to venue: not recorded (no order with a venue "
			   "report and its decision).");
	}
	if (unmatched)
		chart_para(r->f, "note", "%" PRIu64 " of %" PRIu64 " orders have no decision in "
			   "decisions.csv (kill-switch flattening, or an older journal).", unmatched,
			   orders);
	int legs = lat_tca(r);
	if (legs < 0) {
		free(first.v);
		free(fill.v);
		return -1;
	}
	shown += legs > 0;
	if (!shown)
		chart_para(r->f, "nodata", "No latency is recorded in this directory.");
	free(first.v);
	free(fill.v);
	chart_section_end(r->f);
	return 0;
}

/* ------------------------------------------------------------ models */

#define MAX_FEAT 512

struct importance {
	int n;                 /* features named */
	char name[MAX_FEAT][48];
	double gain[MAX_FEAT]; /* total gain of the splits on the feature */
	double weight[MAX_FEAT]; /* splits on the feature */
	int models;
};

/*
 * The splits of an XGBoost JSON model (learner.gradient_booster, gbtree or
 * dart): per tree, a node whose left child is not -1 splits on feature
 * split_indices[i] with gain loss_changes[i].  As XGBoost's own
 * get_score: weight = splits, total_gain = sum of their gains,
 * gain = total_gain / weight.  0, or -1 with the error set.
 */
static int importance_add(struct importance *im, const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		return fail(2, "%s:%d:%d: %s", path, e.line, e.column, e.text);
	const json_t *l = json_object_get(j, "learner");
	const json_t *fn = json_object_get(l, "feature_names");
	const json_t *gb = json_object_get(l, "gradient_booster");
	const json_t *trees = jpath(gb, "model.trees");
	if (!trees)
		trees = jpath(gb, "gbtree.model.trees");
	if (!json_is_array(trees)) {
		json_decref(j);
		return fail(2, "%s: not an XGBoost JSON model (no learner.gradient_booster.model."
			    "trees)", path);
	}
	size_t i;
	const json_t *v;
	json_array_foreach(fn, i, v)
		if (i < MAX_FEAT && (int)i >= im->n) {
			snprintf(im->name[i], sizeof(im->name[0]), "%s", json_string_value(v) ?: "?");
			im->n = (int)i + 1;
		}
	const json_t *t;
	json_array_foreach(trees, i, t) {
		const json_t *si = json_object_get(t, "split_indices"),
			     *lc = json_object_get(t, "loss_changes"),
			     *left = json_object_get(t, "left_children");
		size_t k, nn = json_array_size(left);
		for (k = 0; k < nn; k++) {
			if (json_integer_value(json_array_get(left, k)) == -1)
				continue;
			json_int_t f = json_integer_value(json_array_get(si, k));
			if (f < 0 || f >= MAX_FEAT)
				continue;
			if (f >= im->n) {
				for (int q = im->n; q <= f; q++)
					snprintf(im->name[q], sizeof(im->name[0]), "f%d", q);
				im->n = (int)f + 1;
			}
			im->gain[f] += json_number_value(json_array_get(lc, k));
			im->weight[f] += 1;
		}
	}
	im->models++;
	json_decref(j);
	return 0;
}

static void section_importance(struct rep *r, struct importance *im, const char *from)
{
	chart_section_begin(r->f, "importance", "Feature importance of the model");
	if (!im || !im->models) {
		chart_para(r->f, "nodata", "The model is not recorded in this directory%s%s.",
			   from ? ": " : "", from ? from : "");
		chart_section_end(r->f);
		return;
	}
	chart_para(r->f, "note", "%s.  Gain: XGBoost's loss reduction summed over every split "
		   "on the feature (total gain); weight: the number of those splits; mean gain = "
		   "total / weight (XGBoost's \"gain\").", from);
	int idx[MAX_FEAT], n = 0;
	for (int i = 0; i < im->n; i++)
		idx[n++] = i;
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && im->gain[idx[k]] > im->gain[idx[k - 1]]; k--) {
			int t = idx[k];
			idx[k] = idx[k - 1];
			idx[k - 1] = t;
		}
	const char *lab[MAX_FEAT];
	double val[MAX_FEAT];
	for (int i = 0; i < n; i++) {
		lab[i] = im->name[idx[i]];
		val[i] = im->gain[idx[i]] / im->models;
	}
	struct chart c = { .title = im->models > 1 ? "Total gain by feature (mean over the models)"
						   : "Total gain by feature",
			   .x_label = "total gain" };
	chart_bars(r->f, &c, lab, val, NULL, n);
	static const char *const head[] = { "feature", "total gain", "weight (splits)",
					    "mean gain" };
	chart_table_begin(r->f, "importance", NULL, head, 4);
	for (int i = 0; i < n; i++) {
		int k = idx[i];
		chart_html(r->f, "<tr>");
		chart_cell_text(r->f, 0, im->name[k]);
		cell_short(r->f, NULL, im->gain[k] / im->models);
		cell_short(r->f, NULL, im->weight[k] / im->models);
		cell_short(r->f, NULL, im->weight[k] > 0 ? im->gain[k] / im->weight[k] : NAN);
		chart_html(r->f, "</tr>\n");
	}
	chart_table_end(r->f);
	chart_section_end(r->f);
}

/* Every models/split-*.json of a cv directory (sorted by name). */
static int importance_of_cv(struct importance *im, const char *cvdir, char *from, size_t fn)
{
	char md[PATH_MAX + 16];
	snprintf(md, sizeof(md), "%s/models", cvdir);
	struct dirent **list = NULL;
	int n = scandir(md, &list, NULL, alphasort);
	if (n < 0)
		return 0;
	int rc = 0, used = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = list[i]->d_name;
		size_t l = strlen(nm);
		if (!rc && !strncmp(nm, "split-", 6) && l > 5 && !strcmp(nm + l - 5, ".json")) {
			char p[PATH_MAX + 300];
			snprintf(p, sizeof(p), "%s/%s", md, nm);
			rc = importance_add(im, p);
			used++;
		}
		free(list[i]);
	}
	free(list);
	snprintf(from, fn, "The %d split models of %.200s/models (mean over them)", used, cvdir);
	return rc;
}

/* ------------------------------------------------------------ TCA */

/* tca.csv's columns (the order the writer pins; read by name). */
static const char *const tca_metric[] = {
	"effective_spread", "realized_spread_1s", "realized_spread_5s", "realized_spread_30s",
	"impact_1s", "impact_5s", "impact_30s", "shortfall" };
#define N_TCA 8

struct tca_group {
	char label[32];
	uint64_t count;
	double sum[N_TCA];
	uint64_t n[N_TCA];
};

static void tca_put(struct tca_group *g, const double *v)
{
	g->count++;
	for (int k = 0; k < N_TCA; k++)
		if (isfinite(v[k])) {
			g->sum[k] += v[k];
			g->n[k]++;
		}
}

/* size bucket of qty lots: 1, 2-3, 4-7, ... (powers of two) */
static int size_bucket(int64_t q)
{
	int b = 0;
	while (b < 20 && q >= (2ll << b))
		b++;
	return b;
}

static void tca_table(struct rep *r, const char *caption, const char *dim,
		      const struct tca_group *g, int n)
{
	static const char *const head[] = { "group", "fills", "effective spread",
		"realized 1 s", "realized 5 s", "realized 30 s", "impact 1 s", "impact 5 s",
		"impact 30 s", "shortfall" };
	chart_table_begin(r->f, "tca", caption, head, 10);
	for (int i = 0; i < n; i++) {
		if (!g[i].count)
			continue;
		chart_html(r->f, "<tr data-tca=\"%s:%s\">", dim, g[i].label);
		chart_cell_text(r->f, 0, g[i].label);
		chart_cell_int(r->f, NULL, (int64_t)g[i].count);
		for (int k = 0; k < N_TCA; k++) {
			char a[96];
			snprintf(a, sizeof(a), " data-metric=\"%s\" data-n=\"%" PRIu64 "\"",
				 tca_metric[k], g[i].n[k]);
			cell_short(r->f, a, g[i].n[k] ? g[i].sum[k] / (double)g[i].n[k] : NAN);
		}
		chart_html(r->f, "</tr>\n");
	}
	chart_table_end(r->f);
}

/*
 * tca.csv (one row per fill; docs/report.md): means of each measure by
 * side, by size bucket and by hour of the instrument's local day, each
 * over the rows where it is known (an empty cell is unknown and left out
 * of that mean; the fills column counts every row of the group).
 */
static int section_tca(struct rep *r)
{
	struct csv c;
	chart_section_begin(r->f, "tca", "Transaction costs (tca.csv)");
	int rc = csv_open(&c, r->dir, "tca.csv");
	if (rc == -ENOENT) {
		chart_para(r->f, "nodata", "No tca.csv in this directory: transaction costs are not "
			   "recorded for this run.");
		chart_section_end(r->f);
		return 0;
	}
	if (rc < 0)
		return -1;
	int ct = csv_need(&c, "t_ns"), cs = csv_need(&c, "side"), cq = csv_need(&c, "qty");
	int cm[N_TCA];
	for (int k = 0; k < N_TCA; k++)
		if ((cm[k] = csv_need(&c, tca_metric[k])) < 0)
			rc = -1;
	if (ct < 0 || cs < 0 || cq < 0 || rc < 0) {
		csv_close(&c);
		return -1;
	}
	struct tca_group side[2] = { { .label = "buy" }, { .label = "sell" } }, all = { .label = "all" };
	struct tca_group size[21], hour[24];
	memset(size, 0, sizeof(size));
	memset(hour, 0, sizeof(hour));
	for (int b = 0; b < 21; b++) {
		long long lo = 1ll << b, hi = (2ll << b) - 1;
		if (b == 20)
			snprintf(size[b].label, sizeof(size[b].label), "%lld+", lo);
		else if (lo == hi)
			snprintf(size[b].label, sizeof(size[b].label), "%lld", lo);
		else
			snprintf(size[b].label, sizeof(size[b].label), "%lld-%lld", lo, hi);
	}
	for (int h = 0; h < 24; h++)
		snprintf(hour[h].label, sizeof(hour[h].label), "%02d:00-%02d:59", h, h);
	while ((rc = csv_next(&c)) == 1) {
		int64_t t, q;
		double v[N_TCA];
		const char *sd = c.field[cs];
		int si = !strcmp(sd, "buy") ? 0 : !strcmp(sd, "sell") ? 1 : -1;
		if (si < 0) {
			rc = bad_field(&c, cs, "buy or sell");
			break;
		}
		if (csv_int(&c, ct, &t) != 0 || csv_int(&c, cq, &q) != 0) {
			rc = g_code ? -1 : bad_field(&c, cq, "a quantity");
			break;
		}
		for (int k = 0; k < N_TCA; k++)
			if (csv_num(&c, cm[k], &v[k]) < 0)
				rc = -1;
		if (rc < 0)
			break;
		tca_put(&side[si], v);
		tca_put(&all, v);
		tca_put(&size[size_bucket(q > 0 ? q : -q)], v);
		int64_t sec = t / 1000000000 - (t % 1000000000 < 0) + (int64_t)r->utc_off * 60;
		int64_t hh = ((sec % 86400) + 86400) % 86400 / 3600;
		tca_put(&hour[hh], v);
	}
	csv_close(&c);
	if (rc < 0)
		return -1;
	char tz[32];
	if (!r->utc_off)
		snprintf(tz, sizeof(tz), "UTC");
	else
		snprintf(tz, sizeof(tz), "UTC%+d:%02d", r->utc_off / 60, abs(r->utc_off) % 60);
	chart_para(r->f, "note", "%" PRIu64 " fills.  Means in the instrument's price unit, signed "
		   "so that a positive value is a cost: effective spread = 2 d (p - mid at the "
		   "fill), realized spread at h = 2 d (p - mid at t + h), impact at h = 2 d (mid at "
		   "t + h - mid at the fill), shortfall as tca.csv gives it (d = +1 buy, -1 sell).  "
		   "An empty cell is unknown: each mean is over the rows where it is known.",
		   all.count);
	tca_table(r, "All fills", "all", &all, 1);
	tca_table(r, "By side", "side", side, 2);
	tca_table(r, "By size (lots)", "size", size, 21);
	char cap[64];
	snprintf(cap, sizeof(cap), "By hour of the day (%s)", tz);
	tca_table(r, cap, "hour", hour, 24);
	/* the chart: mean effective and 5 s realized spread by hour */
	struct chart_series *s = xmalloc(2 * sizeof(*s));
	chart_series_init(&s[0], "effective spread", CHART_LINE, "s0");
	chart_series_init(&s[1], "realized spread 5 s", CHART_LINE, "s1");
	for (int h = 0; h < 24; h++) {
		if (hour[h].n[0])
			chart_series_add(&s[0], h * 3600 + 1800, hour[h].sum[0] / (double)hour[h].n[0]);
		if (hour[h].n[2])
			chart_series_add(&s[1], h * 3600 + 1800, hour[h].sum[2] / (double)hour[h].n[2]);
	}
	const struct chart_series *ss[] = { &s[0], &s[1] };
	struct chart ch = { .title = "Mean spreads by hour of the day", .x_label = "local time",
			    .y_label = "price units", .x_axis = CHART_AX_CLOCK, .y_zero = 1 };
	chart_xy(r->f, &ch, ss, 2);
	free(s);
	chart_section_end(r->f);
	return 0;
}

/* ------------------------------------------------------------ a trading run */

static int report_trading(struct rep *r)
{
	if (r->kind == K_BACKTEST) {
		setup_backtest(r);
		r->perf_mode = PERF_JSON;
	} else {
		setup_run(r);
	}
	const char *ccy = json_string_value(jpath(r->sum, "pnl.currency"));
	if (!ccy)
		ccy = json_string_value(json_object_get(r->sum, "currency"));
	snprintf(r->currency, sizeof(r->currency), "%s", ccy ? ccy : (r->has_in ? r->in.currency : ""));
	perf_init(&r->perf, r->has_in ? r->in.tick_value_e9 : 0);
	r->perf.on_trip = on_trip;
	r->perf.trip_ctx = r;

	struct chart_series *s = xmalloc(6 * sizeof(*s));
	chart_series_init(&s[0], "equity", CHART_STEP, "s0");
	chart_series_init(&s[1], "drawdown", CHART_STEP, "neg");
	chart_series_init(&s[2], "position", CHART_STEP, "s4");
	chart_series_init(&s[3], "mid", CHART_LINE, "s0");
	chart_series_init(&s[4], "buy fills", CHART_POINTS, "buy");
	chart_series_init(&s[5], "sell fills", CHART_POINTS, "sell");
	struct idmap dec = { 0 };
	int rc = -1;
	if (read_equity(r, &s[0], &s[1], &s[2], &s[3]) < 0 ||
	    read_fills(r, &s[4], &s[5], NULL) < 0 ||
	    (r->perf_mode == PERF_MARKET && perf_market(r) < 0))
		goto out;

	char sub[PATH_MAX + 200];
	snprintf(sub, sizeof(sub), "%s: %s%s%s", kind_name[r->kind], r->dir,
		 json_string_value(json_object_get(r->sum, "symbol")) ? ", " : "",
		 json_string_value(json_object_get(r->sum, "symbol")) ?: "");
	chart_page_begin(r->f, "DreamMaker run report", sub);
	static const char *const ids[] = { "summary", "equity", "position", "price", "trips",
					   "decisions", "latency", "importance", "tca" };
	static const char *const titles[] = { "Summary", "Equity and drawdown", "Position",
		"Price and fills", "P&L per round trip", "Decisions and vetoes", "Latency",
		"Feature importance of the model", "Transaction costs" };
	nav(r, ids, titles, 9);
	section_summary(r);
	section_series(r, &s[0], &s[1], &s[2], &s[3], &s[4], &s[5]);
	section_trips(r);
	if (section_decisions(r, &dec) < 0 || section_latency(r, &dec) < 0)
		goto out;
	struct importance *im = xmalloc(sizeof(*im));
	memset(im, 0, sizeof(*im));
	if (r->model[0]) {
		char from[PATH_MAX + 200];
		snprintf(from, sizeof(from), "The model %s (%s)", r->model, r->model_from);
		struct stat st;
		if (stat(r->model, &st) < 0) {
			snprintf(from, sizeof(from), "%s names %s, which is no longer there",
				 r->model_from, r->model);
			section_importance(r, NULL, from);
		} else if (importance_add(im, r->model) < 0) {
			free(im);
			goto out;
		} else {
			section_importance(r, im, from);
		}
	} else {
		section_importance(r, NULL, r->kind == K_BACKTEST ? "summary.json names none (a "
				   "backtest of the primary rule, or written before it did)" :
				   "neither final-dump.json nor the configuration names one");
	}
	free(im);
	if (section_tca(r) < 0)
		goto out;
	chart_page_end(r->f);
	rc = 0;
out:
	idmap_free(&dec);
	free(r->trips.v);
	free(s);
	return rc;
}

/* ------------------------------------------------------------ cv */

static const char *const path_head[] = { "path", "Sharpe", "return", "max drawdown",
					 "trades", "hit rate", "PSR", "minutes" };

/* paths.csv: the table and the histogram of the paths' Sharpe ratios. */
static int paths_section(struct rep *r, const char *cvdir)
{
	struct csv c;
	int rc = csv_open(&c, cvdir, "paths.csv");
	if (rc == -ENOENT)
		return fail(2, "%s/paths.csv: missing (dm-cv writes it)", cvdir);
	if (rc < 0)
		return -1;
	int col[8];
	static const char *const name[] = { "path", "sharpe", "return", "max_drawdown", "trades",
					    "hit_rate", "psr", "minutes" };
	for (int k = 0; k < 8; k++)
		if ((col[k] = csv_need(&c, name[k])) < 0) {
			csv_close(&c);
			return -1;
		}
	struct dvec sh = { 0 };
	chart_para(r->f, "note", "From %s/paths.csv: a row per CPCV path; Sharpe annualised as "
		   "dm-backtest's (per-minute P&L changes), return the net P&L.", cvdir);
	chart_table_begin(r->f, "paths", NULL, path_head, 8);
	while ((rc = csv_next(&c)) == 1) {
		chart_html(r->f, "<tr>");
		for (int k = 0; k < 8; k++) {
			double v;
			if (csv_num(&c, col[k], &v) < 0) {
				rc = -1;
				break;
			}
			cell_short(r->f, NULL, v);
			if (k == 1 && isfinite(v))
				dvec_push(&sh, v);
		}
		chart_html(r->f, "</tr>\n");
		if (rc < 0)
			break;
	}
	chart_table_end(r->f);
	csv_close(&c);
	if (rc < 0) {
		free(sh.v);
		return -1;
	}
	struct chart_bin b[HIST_BINS];
	int nb = chart_bins(sh.v, sh.n, sh.n < 10 ? 10 : 20, b);
	struct chart ch = { .title = "Distribution of the paths' Sharpe ratios",
			    .x_label = "Sharpe ratio (annualised)", .y_label = "paths" };
	chart_hist(r->f, &ch, b, nb);
	free(sh.v);
	return 0;
}

static int report_cv(struct rep *r)
{
	json_t *cv = load_json(r->dir, "cv.json", 1);
	if (!cv)
		return -1;
	char sub[PATH_MAX + 100];
	snprintf(sub, sizeof(sub), "%s: %s", kind_name[K_CV], r->dir);
	chart_page_begin(r->f, "DreamMaker cross-validation report", sub);
	static const char *const ids[] = { "summary", "paths", "splits", "importance" };
	static const char *const titles[] = { "Summary", "Paths' Sharpe ratios", "Splits",
					      "Feature importance of the models" };
	nav(r, ids, titles, 4);
	chart_section_begin(r->f, "summary", "Summary");
	chart_table_begin(r->f, "summary", "cv.json", sum_head, 4);
	row_json(r, cv, "result", "result", NULL, "cv.json");
	row_json(r, cv, "input", "input", NULL, "cv.json");
	row_json(r, cv, "configuration", "configuration", NULL, "cv.json");
	row_json(r, cv, "groups", "groups", NULL, "cv.json");
	row_json(r, cv, "test groups", "test_groups", NULL, "cv.json");
	row_json(r, cv, "samples", "samples.samples", NULL, "cv.json");
	row_json(r, cv, "mean test AUC", "mean_auc", NULL, "cv.json");
	row_json(r, cv, "paths", "path_sharpe.n", NULL, "cv.json");
	row_json(r, cv, "paths' Sharpe: mean", "path_sharpe.mean", NULL, "cv.json");
	row_json(r, cv, "paths' Sharpe: median", "path_sharpe.median", NULL, "cv.json");
	row_json(r, cv, "paths' Sharpe: standard deviation", "path_sharpe.stdev", NULL, "cv.json");
	row_json(r, cv, "paths' Sharpe: min", "path_sharpe.min", NULL, "cv.json");
	row_json(r, cv, "paths' Sharpe: max", "path_sharpe.max", NULL, "cv.json");
	row_json(r, cv, "seconds", "seconds.total", "s", "cv.json");
	chart_table_end(r->f);
	chart_section_end(r->f);

	chart_section_begin(r->f, "paths", "Paths' Sharpe ratios");
	int rc = paths_section(r, r->dir);
	chart_section_end(r->f);
	if (rc < 0)
		goto out;

	chart_section_begin(r->f, "splits", "Splits");
	const json_t *sp = json_object_get(cv, "splits");
	size_t n = json_array_size(sp), i;
	const json_t *e;
	char (*lab)[32] = xmalloc((n + 1) * sizeof(*lab));
	const char **lp = xmalloc((n + 1) * sizeof(char *));
	double *auc = xmalloc((n + 1) * sizeof(double));
	json_array_foreach(sp, i, e) {
		snprintf(lab[i], sizeof(lab[0]), "split %lld",
			 (long long)json_integer_value(json_object_get(e, "split")));
		lp[i] = lab[i];
		auc[i] = jnum(e, "auc");
	}
	struct chart ch = { .title = "Test AUC per split (cv.json)", .x_label = "AUC" };
	chart_bars(r->f, &ch, lp, auc, NULL, (int)n);
	free(lab);
	free(lp);
	free(auc);
	chart_section_end(r->f);

	struct importance *im = xmalloc(sizeof(*im));
	memset(im, 0, sizeof(*im));
	char from[PATH_MAX + 300];
	rc = importance_of_cv(im, r->dir, from, sizeof(from));
	if (rc == 0) {
		section_importance(r, im, im->models ? from : "no models/split-NN.json");
		chart_page_end(r->f);
	}
	free(im);
out:
	json_decref(cv);
	return rc;
}

/* ------------------------------------------------------------ search */

/* trials.csv: the score against each parameter, a series per rung (numbers)
 * or the mean score per value (choices). */
static int trials_section(struct rep *r)
{
	struct csv c;
	int rc = csv_open(&c, r->dir, "trials.csv");
	if (rc == -ENOENT)
		return fail(2, "%s/trials.csv: missing (dm-search writes it)", r->dir);
	if (rc < 0)
		return -1;
	int cs = csv_need(&c, "score"), cr = csv_need(&c, "rung"), cst = csv_need(&c, "status");
	int first = csv_need(&c, "mean_auc");
	if (cs < 0 || cr < 0 || cst < 0 || first < 0) {
		csv_close(&c);
		return -1;
	}
	int np = c.ncol - first - 1;
	if (np <= 0) {
		csv_close(&c);
		chart_para(r->f, "nodata", "trials.csv has no parameter column.");
		return 0;
	}
	/* whole file in memory: a search has hundreds of rows, not millions */
	struct trow {
		int rung;
		double score;
		char val[MAX_COLS][40];
	} *rows = NULL;
	size_t nr = 0;
	int max_rung = 0;
	while ((rc = csv_next(&c)) == 1) {
		rows = xrealloc(rows, (nr + 1) * sizeof(*rows));
		struct trow *t = &rows[nr];
		int64_t rg;
		if (csv_int(&c, cr, &rg) != 0 || csv_num(&c, cs, &t->score) < 0) {
			rc = g_code ? -1 : bad_field(&c, cr, "a rung");
			break;
		}
		t->rung = (int)rg;
		if (t->rung > max_rung)
			max_rung = t->rung < 5 ? t->rung : 5;
		for (int k = 0; k < np; k++)
			snprintf(t->val[k], sizeof(t->val[0]), "%s", c.field[first + 1 + k]);
		nr++;
	}
	char pname[MAX_COLS][48];
	for (int k = 0; k < np; k++)
		snprintf(pname[k], sizeof(pname[0]), "%s", c.hdr[first + 1 + k]);
	csv_close(&c);
	if (rc < 0) {
		free(rows);
		return -1;
	}
	chart_para(r->f, "note", "%zu rows of trials.csv (a trial at each rung it reached); the "
		   "score is the median Sharpe ratio of the trial's paths.", nr);
	struct chart_series *s = xmalloc(6 * sizeof(*s));
	for (int k = 0; k < np; k++) {
		int numeric = 1;
		for (size_t i = 0; i < nr && numeric; i++) {
			char *end;
			strtod(rows[i].val[k], &end);
			numeric = rows[i].val[k][0] && !*end;
		}
		char title[128];
		snprintf(title, sizeof(title), "Score against %s", pname[k]);
		if (numeric) {
			for (int g = 0; g <= max_rung; g++) {
				char nm[32], cl[16];
				snprintf(nm, sizeof(nm), "rung %d", g);
				snprintf(cl, sizeof(cl), "s%d", g);
				chart_series_init(&s[g], nm, CHART_POINTS, cl);
			}
			for (size_t i = 0; i < nr; i++)
				chart_series_add(&s[rows[i].rung > 5 ? 5 : rows[i].rung],
						 strtod(rows[i].val[k], NULL), rows[i].score);
			const struct chart_series *ss[6];
			for (int g = 0; g <= max_rung; g++)
				ss[g] = &s[g];
			struct chart ch = { .title = title, .x_label = pname[k], .y_label = "score" };
			chart_xy(r->f, &ch, ss, max_rung + 1);
		} else {
			/* the mean score of each value, rung 0 (every trial once) */
			struct counter *v = NULL;
			double *sum = NULL;
			int nv = 0;
			for (size_t i = 0; i < nr; i++) {
				if (rows[i].rung || !isfinite(rows[i].score))
					continue;
				int before = nv;
				count_add(&v, &nv, rows[i].val[k], "s0");
				if (nv > before) {
					sum = xrealloc(sum, (size_t)nv * sizeof(double));
					sum[nv - 1] = 0;
				}
				for (int q = 0; q < nv; q++)
					if (!strcmp(v[q].label, rows[i].val[k]))
						sum[q] += rows[i].score;
			}
			const char **lab = xmalloc((size_t)(nv + 1) * sizeof(char *));
			double *mean = xmalloc((size_t)(nv + 1) * sizeof(double));
			for (int q = 0; q < nv; q++) {
				lab[q] = v[q].label;
				mean[q] = sum[q] / v[q].n;
			}
			snprintf(title, sizeof(title), "Mean score at rung 0 by %s", pname[k]);
			struct chart ch = { .title = title, .x_label = "mean score" };
			chart_bars(r->f, &ch, lab, mean, NULL, nv);
			free(lab);
			free(mean);
			free(v);
			free(sum);
		}
	}
	free(s);
	free(rows);
	return 0;
}

static int report_search(struct rep *r)
{
	json_t *res = load_json(r->dir, "result.json", 1), *plan = NULL;
	if (!res)
		return -1;
	plan = load_json(r->dir, "search.json", 0);
	if (g_code) {
		json_decref(res);
		return -1;
	}
	char sub[PATH_MAX + 100];
	snprintf(sub, sizeof(sub), "%s: %s", kind_name[K_SEARCH], r->dir);
	chart_page_begin(r->f, "DreamMaker search report", sub);
	static const char *const ids[] = { "summary", "trials", "pbo", "paths", "importance" };
	static const char *const titles[] = { "Summary", "Trials", "Overfitting: PBO logits",
		"Best trial's paths", "Feature importance of the best trial's models" };
	nav(r, ids, titles, 5);
	chart_section_begin(r->f, "summary", "Summary");
	chart_table_begin(r->f, "summary", "result.json", sum_head, 4);
	row_json(r, res, "best trial", "best_trial", NULL, "result.json");
	row_json(r, res, "its rung", "rung", NULL, "result.json");
	row_json(r, res, "its CPCV groups", "groups", NULL, "result.json");
	row_json(r, res, "score (median path Sharpe)", "score", NULL, "result.json");
	row_json(r, res, "mean path Sharpe", "mean_sharpe", NULL, "result.json");
	row_json(r, res, "mean test AUC", "mean_auc", NULL, "result.json");
	static const char *const of[][2] = {
		{ "trials tried", "trials_tried" }, { "market minutes", "minutes" },
		{ "trials with a series", "trials_with_a_series" },
		{ "best trial's per-minute Sharpe", "best_minute_sharpe" },
		{ "variance of the trials' Sharpe ratios", "sharpe_variance" },
		{ "SR0 (expected best of skill-less trials)", "sr0" },
		{ "PSR of the best trial", "psr" }, { "deflated Sharpe ratio", "dsr" },
		{ "PBO", "pbo" }, { "PBO blocks", "pbo_blocks" } };
	for (size_t i = 0; i < sizeof(of) / sizeof(of[0]); i++) {
		char p[96];
		snprintf(p, sizeof(p), "overfitting.%s", of[i][1]);
		row_json(r, res, of[i][0], p, NULL, "result.json");
	}
	const char *k;
	const json_t *v;
	json_object_foreach(json_object_get(res, "params"), k, v) {
		char p[160], lab[160];
		snprintf(p, sizeof(p), "params.%s", k);
		snprintf(lab, sizeof(lab), "parameter %s", k);
		/* a key with dots inside: no path; the value as text */
		row_begin(r, lab);
		chart_cell_text(r->f, 0, json_string_value(v) ?: "?");
		chart_cell_text(r->f, 0, "");
		chart_cell_text(r->f, 0, "result.json");
		chart_html(r->f, "</tr>\n");
	}
	chart_table_end(r->f);
	if (plan) {
		/* another file: its own table (a data-key is a path in the caption's file) */
		chart_table_begin(r->f, "summary", "search.json", sum_head, 4);
		row_json(r, plan, "input", "input", NULL, "search.json");
		row_json(r, plan, "trials planned", "trials", NULL, "search.json");
		row_json(r, plan, "seed", "seed", NULL, "search.json");
		chart_table_end(r->f);
	}
	const char *why = json_string_value(jpath(res, "overfitting.why_not"));
	const char *why2 = json_string_value(jpath(res, "overfitting.why_no_pbo"));
	if (why || why2)
		chart_para(r->f, "note", "%s", why ? why : why2);
	chart_section_end(r->f);

	int rc;
	chart_section_begin(r->f, "trials", "Trials");
	rc = trials_section(r);
	chart_section_end(r->f);
	if (rc < 0)
		goto out;

	chart_section_begin(r->f, "pbo", "Overfitting: PBO logits");
	const json_t *lg = jpath(res, "overfitting.pbo_logits");
	struct dvec l = { 0 };
	size_t i;
	json_array_foreach(lg, i, v)
		if (json_is_number(v))
			dvec_push(&l, json_number_value(v));
	if (l.n) {
		struct chart_bin b[HIST_BINS];
		int nb = chart_bins(l.v, l.n, 20, b);
		struct chart ch = { .title = "Logits of the in-sample best trial's out-of-sample rank",
				    .x_label = "lambda = ln(omega / (1 - omega))",
				    .y_label = "combinations",
				    .note = "PBO is the share of combinations with lambda <= 0 "
					    "(docs/validation.md)" };
		chart_hist(r->f, &ch, b, nb);
	} else {
		chart_para(r->f, "nodata", "result.json holds no PBO logits (%s).",
			   why2 ? why2 : why ? why : "overfitting.pbo_logits is absent");
	}
	free(l.v);
	chart_section_end(r->f);

	/* the best trial's own cv directory */
	char cvdir[PATH_MAX];
	snprintf(cvdir, sizeof(cvdir), "%.3900s/trials/t%03lld-r%lld", r->dir,
		 (long long)json_integer_value(json_object_get(res, "best_trial")),
		 (long long)json_integer_value(json_object_get(res, "rung")));
	chart_section_begin(r->f, "paths", "Best trial's paths");
	struct stat st;
	int have_cv = json_is_integer(json_object_get(res, "best_trial")) && stat(cvdir, &st) == 0;
	if (have_cv)
		rc = paths_section(r, cvdir);
	else
		chart_para(r->f, "nodata", "The best trial's directory (%s) is not there.", cvdir);
	chart_section_end(r->f);
	if (rc < 0)
		goto out;
	struct importance *im = xmalloc(sizeof(*im));
	memset(im, 0, sizeof(*im));
	char from[PATH_MAX + 300], pm[PATH_MAX + 32];
	snprintf(pm, sizeof(pm), "%.4000s/promoted/model.json", r->dir);
	if (stat(pm, &st) == 0) {
		rc = importance_add(im, pm);
		snprintf(from, sizeof(from), "The promoted model %s", pm);
	} else if (have_cv) {
		rc = importance_of_cv(im, cvdir, from, sizeof(from));
	} else {
		snprintf(from, sizeof(from), "no promoted model and no best trial directory");
	}
	if (rc == 0) {
		section_importance(r, im, from);
		chart_page_end(r->f);
	}
	free(im);
out:
	json_decref(res);
	json_decref(plan);
	return rc;
}

/* ------------------------------------------------------------ compare */

/*
 * A dm-compare directory: compare.json's figures, a table per market with
 * a row per variant (every number cell's data-key its path in
 * compare.json), the dm-cv paths' Sharpe when there, and the variants'
 * equity and position from each run's equity.csv overlaid on one chart
 * each per market.
 */
#define CMP_COLORS 6

struct cmp_col {
	const char *head, *key;
};

static const struct cmp_col cmp_cols[] = {
	{ "net P&L", "net_pnl" }, { "Sharpe", "sharpe" }, { "max drawdown", "max_drawdown" },
	{ "fills", "fills" }, { "orders", "orders" }, { "fill rate", "fill_rate" },
	{ "passive share", "passive_share" }, { "mean |q|", "inventory_mean_abs" },
	{ "max |q|", "inventory_max_abs" }, { "adverse 1 s", "adverse_1s" },
	{ "adverse 5 s", "adverse_5s" }, { "adverse 30 s", "adverse_30s" }, { "fees", "fees" },
};
#define CMP_NCOLS ((int)(sizeof(cmp_cols) / sizeof(cmp_cols[0])))

static void cmp_cell(struct rep *r, const json_t *run, const char *path, const char *key)
{
	char k[512];
	snprintf(k, sizeof(k), "%s.%s", path, key);
	const json_t *v = json_object_get(run, key);
	if (json_is_integer(v))
		chart_cell_int(r->f, k, json_integer_value(v));
	else
		chart_cell_num(r->f, k, json_is_number(v) ? json_number_value(v) : NAN);
}

/* The equity and position of every run of market m, overlaid. */
static int cmp_charts(struct rep *r, const char *mname, const json_t *runs)
{
	struct chart_series *eq = xmalloc(CMP_COLORS * sizeof(*eq));
	struct chart_series *pos = xmalloc(CMP_COLORS * sizeof(*pos));
	const struct chart_series *pe[CMP_COLORS], *pp[CMP_COLORS];
	int n = 0, rc = 0, off = 0, skipped = 0;
	const char *vn;
	const json_t *run;
	json_object_foreach((json_t *)runs, vn, run) {
		const char *d = json_string_value(json_object_get(run, "dir"));
		if (!d || json_integer_value(json_object_get(run, "exit")) != 0)
			continue;
		if (n == CMP_COLORS) {
			skipped++;
			continue;
		}
		char cls[16], dir[PATH_MAX + 300];
		snprintf(cls, sizeof(cls), "s%d", n);
		snprintf(dir, sizeof(dir), "%s/%s", r->dir, d);
		if (n == 0) {
			json_t *s = load_json(dir, "summary.json", 0);
			if (g_code) {
				rc = -1;
				break;
			}
			off = (int)json_integer_value(jpath(s, "instrument.utc_offset_min"));
			json_decref(s);
		}
		chart_series_init(&eq[n], vn, CHART_STEP, cls);
		chart_series_init(&pos[n], vn, CHART_STEP, cls);
		struct csv c;
		int o = csv_open(&c, dir, "equity.csv");
		if (o == -ENOENT) {
			rc = fail(2, "%s/equity.csv: missing (dm-backtest writes it)", dir);
			break;
		}
		if (o < 0) {
			rc = -1;
			break;
		}
		int ct = csv_need(&c, "t_ns"), cp = csv_need(&c, "position"),
		    ce = csv_need(&c, "equity");
		if (ct < 0 || cp < 0 || ce < 0) {
			csv_close(&c);
			rc = -1;
			break;
		}
		while ((o = csv_next(&c)) == 1) {
			int64_t t, p, e;
			if (csv_int(&c, ct, &t) != 0 || csv_int(&c, cp, &p) < 0 ||
			    csv_e9(&c, ce, &e) < 0) {
				if (!g_code)
					bad_field(&c, ct, "a time");
				o = -1;
				break;
			}
			chart_series_add(&eq[n], (double)t, (double)e / 1e9);
			chart_series_add(&pos[n], (double)t, (double)p);
		}
		csv_close(&c);
		if (o < 0) {
			rc = -1;
			break;
		}
		pe[n] = &eq[n];
		pp[n] = &pos[n];
		n++;
	}
	if (rc == 0) {
		char t1[160], t2[160], note[160];
		snprintf(t1, sizeof(t1), "Equity (net P&L) of each variant on %s", mname);
		snprintf(t2, sizeof(t2), "Position of each variant on %s", mname);
		snprintf(note, sizeof(note), "From each run's equity.csv.%s",
			 skipped ? " More variants than colours: the first six are drawn." : "");
		struct chart ch = { .title = t1, .y_label = r->currency[0] ? r->currency : "equity",
				    .x_axis = CHART_AX_TIME, .utc_offset_min = off, .y_zero = 1,
				    .note = note };
		chart_xy(r->f, &ch, pe, n);
		ch.title = t2;
		ch.y_label = "position (lots)";
		chart_xy(r->f, &ch, pp, n);
	}
	free(eq);
	free(pos);
	return rc;
}

static int report_compare(struct rep *r)
{
	json_t *cj = load_json(r->dir, "compare.json", 1);
	if (!cj)
		return -1;
	const json_t *markets = json_object_get(cj, "markets"),
		     *variants = json_object_get(cj, "variants");
	if (!json_is_object(markets) || !json_is_object(variants)) {
		json_decref(cj);
		return fail(2, "%s/compare.json: no 'markets' or 'variants' object", r->dir);
	}
	int cv = json_is_true(json_object_get(cj, "cv"));
	char sub[PATH_MAX + 100];
	snprintf(sub, sizeof(sub), "%s: %s", kind_name[K_COMPARE], r->dir);
	chart_page_begin(r->f, "DreamMaker strategy comparison", sub);

	size_t nm = json_object_size(markets), i = 0;
	char (*ids)[NAME_MAX + 8] = xmalloc((nm + 1) * sizeof(*ids));
	const char **idp = xmalloc((nm + 1) * sizeof(char *)), **tp = xmalloc((nm + 1) *
									     sizeof(char *));
	const char *mn, *vn;
	const json_t *m, *v;
	idp[0] = "variants";
	tp[0] = "Variants";
	json_object_foreach((json_t *)markets, mn, m) {
		snprintf(ids[i], sizeof(ids[0]), "m-%s", mn);
		idp[i + 1] = ids[i];
		tp[i + 1] = mn;
		i++;
	}
	nav(r, idp, tp, (int)nm + 1);

	chart_section_begin(r->f, "variants", "Variants");
	static const char *const vhead[] = { "variant", "configuration (the last layer)" };
	chart_table_begin(r->f, "summary", "compare.json variants", vhead, 2);
	json_object_foreach((json_t *)variants, vn, v) {
		chart_html(r->f, "<tr>");
		chart_cell_text(r->f, 0, vn);
		const char *cf = json_string_value(json_object_get(v, "conf"));
		chart_cell_text(r->f, 0, cf ? cf : "?");
		chart_html(r->f, "</tr>\n");
	}
	chart_table_end(r->f);
	chart_para(r->f, "note", "Net P&L is the last equity.csv row's equity (net of fees); "
		   "Sharpe and max drawdown are summary.json's (performance); fill rate = fills / "
		   "orders; passive share = maker fills / fills; mean |q| is |position| averaged "
		   "over market time; adverse H = mean over tca.csv of -impact_H / 2 = d (m(t) - "
		   "m(t + H)), the mid's move against the fill in price units (positive: adverse "
		   "selection); fees the sum of fills.csv's (docs/report.md).");
	chart_section_end(r->f);

	const char *head[CMP_NCOLS + 1];
	head[0] = "variant";
	for (int k = 0; k < CMP_NCOLS; k++)
		head[k + 1] = cmp_cols[k].head;
	int rc = 0;
	i = 0;
	json_object_foreach((json_t *)markets, mn, m) {
		chart_section_begin(r->f, ids[i++], mn);
		const char *in = json_string_value(json_object_get(m, "input")),
			   *cf = json_string_value(json_object_get(m, "configuration"));
		chart_para(r->f, NULL, "Input %s; configuration %s + the variant.", in ? in : "?",
			   cf ? cf : "?");
		const json_t *runs = json_object_get(m, "runs"), *run;
		/* the currency of the market: its first run with one */
		r->currency[0] = '\0';
		json_object_foreach((json_t *)runs, vn, run) {
			const char *cu = json_string_value(json_object_get(run, "currency"));
			if (cu && *cu && !r->currency[0])
				snprintf(r->currency, sizeof(r->currency), "%s", cu);
		}
		char cap[200];
		snprintf(cap, sizeof(cap), "dm-backtest of each variant (money in %s, adverse "
			 "selection in price units)", r->currency[0] ? r->currency : "the currency");
		chart_table_begin(r->f, "compare", cap, head, CMP_NCOLS + 1);
		json_object_foreach((json_t *)runs, vn, run) {
			char path[300];
			snprintf(path, sizeof(path), "markets.%s.runs.%s", mn, vn);
			chart_html(r->f, "<tr data-variant=\"");
			chart_esc(r->f, vn);
			chart_html(r->f, "\">");
			chart_cell_text(r->f, 0, vn);
			json_int_t ex = json_integer_value(json_object_get(run, "exit"));
			if (ex) {
				chart_html(r->f, "<td colspan=\"%d\">no result: exit %lld (see "
					   "logs/)</td>", CMP_NCOLS, (long long)ex);
			} else {
				for (int k = 0; k < CMP_NCOLS; k++)
					cmp_cell(r, run, path, cmp_cols[k].key);
			}
			chart_html(r->f, "</tr>\n");
		}
		chart_table_end(r->f);
		if (cv) {
			static const char *const chead[] = { "variant", "paths",
				"paths with a Sharpe", "mean path Sharpe", "standard deviation" };
			static const char *const ckey[] = { "paths", "sharpe_n", "sharpe_mean",
							     "sharpe_stdev" };
			chart_table_begin(r->f, "compare-cv", "dm-cv of each variant: the paths' "
					  "Sharpe ratios (cv.json path_sharpe)", chead, 5);
			json_object_foreach((json_t *)runs, vn, run) {
				const json_t *c = json_object_get(run, "cv");
				char path[300];
				snprintf(path, sizeof(path), "markets.%s.runs.%s.cv", mn, vn);
				chart_html(r->f, "<tr data-variant=\"");
				chart_esc(r->f, vn);
				chart_html(r->f, "\">");
				chart_cell_text(r->f, 0, vn);
				json_int_t ex = json_integer_value(json_object_get(c, "exit"));
				if (!c || ex) {
					chart_html(r->f, "<td colspan=\"4\">no result: exit %lld (see "
						   "logs/)</td>", (long long)ex);
				} else {
					for (int k = 0; k < 4; k++)
						cmp_cell(r, c, path, ckey[k]);
				}
				chart_html(r->f, "</tr>\n");
			}
			chart_table_end(r->f);
		}
		rc = cmp_charts(r, mn, runs);
		chart_section_end(r->f);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		chart_page_end(r->f);
	free(ids);
	free(idp);
	free(tp);
	json_decref(cj);
	return rc;
}

/* ------------------------------------------------------------ main */

static int exists(const char *dir, const char *name)
{
	char p[PATH_MAX + 64];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

/* What wrote dir: 0 with *k, or 2 after the message. */
static int detect(const char *dir, enum kind *k, json_t **sum)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return cli_fail(2, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cli_fail(2, "%s: not a directory (give the run directory)", dir);
	if (exists(dir, "compare.json")) {
		*k = K_COMPARE;
		return 0;
	}
	if (exists(dir, "search.json") || (exists(dir, "trials.csv") && exists(dir, "result.json"))) {
		*k = K_SEARCH;
		return 0;
	}
	if (exists(dir, "cv.json") || exists(dir, "paths.csv")) {
		*k = K_CV;
		return 0;
	}
	if (exists(dir, "summary.json")) {
		*sum = load_json(dir, "summary.json", 1);
		if (!*sum)
			return cli_fail(g_code, "%s", g_err);
		*k = json_object_get(*sum, "performance") ? K_BACKTEST : K_RUN;
		return 0;
	}
	return cli_fail(2, "%s: not a run directory of a known kind; looked for summary.json "
			"(dm-backtest --out, tools/dmctl run), cv.json or paths.csv (dm-cv), "
			"search.json, or trials.csv with result.json (dm-search)", dir);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, CLI_O_VERSION },
		{ "quiet", no_argument, NULL, CLI_O_QUIET },
		{ NULL, 0, NULL, 0 } };
	const char *out = NULL;
	int quiet = 0, c;

	cli_set_prog("dm-report");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case CLI_O_VERSION:
			return cli_version();
		case CLI_O_QUIET:
			quiet = 1;
			break;
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("DIR is required (a run directory)");
	if (optind + 1 < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind + 1]);

	struct rep r;
	memset(&r, 0, sizeof(r));
	r.dir = argv[optind];
	char outp[PATH_MAX + 16], err[ERR_LEN];
	if (!out) {
		snprintf(outp, sizeof(outp), "%s/report.html", r.dir);
		out = outp;
	}
	int rc = detect(r.dir, &r.kind, &r.sum);
	if (rc)
		return rc;
	if (files_check_target(out, err, sizeof(err)) < 0) {
		json_decref(r.sum);
		return cli_fail(2, "%s", err);
	}
	if (r.kind == K_RUN) {
		r.dump = load_json(r.dir, "final-dump.json", 0);
		if (g_code) {
			json_decref(r.sum);
			return cli_fail(g_code, "%s", g_err);
		}
	}
	struct afile *af = xmalloc(sizeof(*af));
	if ((rc = afile_open(af, out, NULL)) < 0) {
		json_decref(r.sum);
		json_decref(r.dump);
		rc = cli_fail(rc == -EEXIST ? 2 : 1, "%s", af->err);
		free(af);
		return rc;
	}
	r.f = af->f;
	switch (r.kind) {
	case K_BACKTEST:
	case K_RUN:
		rc = report_trading(&r);
		break;
	case K_CV:
		rc = report_cv(&r);
		break;
	case K_SEARCH:
		rc = report_search(&r);
		break;
	case K_COMPARE:
		rc = report_compare(&r);
		break;
	}
	json_decref(r.sum);
	json_decref(r.dump);
	if (rc < 0) {
		afile_abort(af);
		free(af);
		return cli_fail(g_code ? g_code : 2, "%s", g_err[0] ? g_err : "failed");
	}
	if ((rc = afile_commit(af)) < 0) {
		rc = cli_fail(rc == -EEXIST ? 2 : 1, "%s", af->err);
		free(af);
		return rc;
	}
	free(af);
	if (!quiet)
		fprintf(stderr, "%s: %s: %s -> %s\n", cli_prog(), kind_name[r.kind], r.dir, out);
	return 0;
}
