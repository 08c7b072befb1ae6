/*
 * dm-train — train the XGBoost model (gradient-boosted trees or a random
 * forest) on a features CSV and a labels CSV (docs/model.md).
 *
 *   dm-train --features F.csv --labels L.csv --output MODEL.json [-c CONF]
 *            [--metrics M.json] [--target label|meta|label3] [--holdout F]
 *            [--kind gbdt|rf] [--num-parallel-tree N] [--embargo N]
 *            [--rounds N] [--seed N] [...] [--quiet]
 *
 * The features CSV is dm-features' output: a header "t_ns," and the
 * feature names, one row per book update; rows are numbered 0, 1, ... in
 * file order.  A dm-features .npy (known by its magic, its names in
 * F.columns) is read the same way: the columns after t_sec and t_nsec
 * are the features, with the doubles the CSV's text reads back to, so
 * the model is the same.  The labels CSV has a header naming its columns; dm-train
 * takes, by name, the event's feature row (t0_idx), the row its label
 * span ends at (t1_idx, optional), the target (label: -1/0/+1, or meta:
 * 0/1) and an optional weight.  A sample is the feature row t0_idx with
 * that target; the samples are put in t0 order, the last --holdout of
 * them is the hold-out, and training samples whose [t0, t1] reaches the
 * hold-out's window are purged (model_split_purged).
 *
 * After training, the flattened evaluator is built from the model and
 * checked against XGBoost on rows of the sample (flat_verify); a model
 * the live path could not evaluate exactly is not written.  The model
 * (XGBoost JSON) and the metrics (JSON) are written to temporary names,
 * fsynced and renamed into place (libcore/model); both paths are checked
 * first (tools/lib/files.h): a device, FIFO or directory there is refused
 * with exit 2 before any work.
 *
 * Exit 0 on success, 1 on a runtime failure (XGBoost error, write error,
 * out of memory, flat check failed), 2 on bad usage or bad input (file,
 * line and column named).
 */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcore/cli/cli.h"
#include "libcore/model/digest.h"
#include "tools/lib/files.h"
#include "tools/lib/npy.h"
#include "libcore/model/flat.h"
#include "libcore/model/meta.h"
#include "libcore/model/xgb.h"
#include "libcore/types.h"

#define MAX_COLS      1024        /* fields per CSV line */
#define PROGRESS_NS   1000000000LL
#define FLAT_CHECK_ROWS 4000u
#define FLAT_TOL      1e-6

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-train --features F.csv --labels L.csv --output MODEL.json [options]\n"
"\n"
"Trains the XGBoost model (docs/model.md) on the feature rows the labels\n"
"point at, with a purged hold-out (the last --holdout of the samples in time\n"
"order): gradient-boosted trees with early stopping on the hold-out loss\n"
"(kind gbdt), or a random forest (kind rf); writes the model (XGBoost JSON)\n"
"and its hold-out metrics (JSON).  One progress line per round.\n"
"\n"
"  --features F     dm-features CSV: header 't_ns,' then feature names;\n"
"                   data rows are numbered from 0; or a dm-features .npy\n"
"                   with its F.columns (t_sec, t_nsec, then the features)\n"
"  --labels L       labels CSV with a header (dm-label output); columns\n"
"                   taken by name:\n"
"  --t0-col NAME      feature row of the event (default t0_idx)\n"
"  --t1-col NAME      feature row where its label span ends (default t1_idx;\n"
"                     when absent, t1 = t0 and nothing is purged)\n"
"  --label-col NAME   -1/0/+1 label (default label)\n"
"  --meta-col NAME    0/1 meta-label (default meta)\n"
"  --weight-col NAME  sample weight >= 0 (default uniq, dm-label's average\n"
"                     uniqueness; when absent and not named, every weight 1)\n"
"  --target T       meta (default): binary, the meta column, what the live\n"
"                   strategy trades (dm-label --primary-from-config writes\n"
"                   it); label: binary, label == +1; label3: three classes\n"
"                   -1/0/+1 (multi:softprob).  Rows with an empty or nan\n"
"                   target are skipped.  The ml agent refuses a model whose\n"
"                   target is not meta.\n"
"  --symbol S       instrument the data are of, recorded in the model (the\n"
"                   ml agent warns when it trades another)\n"
"  --tick T         its tick in the instrument's units (WIN 5, AAPL 0.01),\n"
"                   recorded with --symbol\n"
"  --output MODEL   model file to write (XGBoost JSON)\n"
"  --metrics M      metrics file (default: MODEL with .json replaced by\n"
"                   .metrics.json)\n"
"  -c, --config F   model parameters from a YAML file (conf/model.yaml);\n"
"                   the options below override it\n"
"  --kind K         gbdt (default): gradient-boosted trees, --rounds rounds\n"
"                   of one tree per class; rf: a random forest, XGBoost's\n"
"                   recipe: one round of --num-parallel-tree trees, eta 1,\n"
"                   no early stopping, rows and columns (per split) sampled\n"
"                   at 0.8.  A kind other than the file's (-c) puts rounds,\n"
"                   early stop, eta and column sampling at the kind's\n"
"                   defaults\n"
"  --num-parallel-tree N  rf: trees of the forest, 1..10000 (default 100);\n"
"                   refused with kind gbdt\n"
"  --holdout F      hold-out fraction, 0.01..0.9 (default 0.2)\n"
"  --embargo N      embargo after a test block: N feature rows, or a\n"
"                   fraction of the sample's span when below 1 (default 0)\n"
"  --rounds N       gbdt: boosting rounds, 1..100000 (default 200)\n"
"  --early-stop N   gbdt: stop after N rounds without a better hold-out\n"
"                   loss; 0 = never (default 20)\n"
"  --max-depth N    tree depth, 1..16 (default 6)\n"
"  --eta X          gbdt: learning rate, (0, 1] (default 0.1)\n"
"                   (--rounds, --early-stop and --eta are refused with\n"
"                   kind rf)\n"
"  --seed N         random seed (default 0)\n"
"  --nthread N      training threads, 0 = every core (default 1: more\n"
"                   threads pay only when cores are idle)\n"
"  --quiet          no progress or summary on stderr (WARNING lines stay)\n"
"  --json           the metrics document (as written to --metrics) on stdout\n"
"                   instead of the summary\n"
"  -h, --help       this text\n"
"  --version        program version and build layout words\n"
"\n"
"The model records its target, weight column, parameters (and their\n"
"SHA-256), instrument and the SHA-256 of both input files (docs/model.md).\n"
"WARNING lines: a hold-out AUC within 0.02 of 0.5, a constant feature.\n"
"\n"
"Exit 0 on success, 1 on a runtime failure (XGBoost or write error, or the\n"
"flattened evaluator disagreeing with XGBoost), 2 on bad usage or bad\n"
"input, with the file, line and column at fault.\n");
}

/* ------------------------------------------------------------ arguments */

struct args {
	const char *features, *labels, *output, *metrics, *config;
	const char *t0_col, *t1_col, *label_col, *meta_col, *weight_col;
	const char *symbol;
	int t1_named, weight_named;   /* named on the command line: required */
	int target, target_named;     /* enum model_target */
	double tick;                  /* 0 = not given */
	int quiet, json;
	/* overrides: set when given */
	int has_holdout, has_embargo, has_rounds, has_seed, has_early, has_depth;
	int has_eta, has_nthread, has_kind, has_trees;
	double holdout, embargo, eta;
	uint32_t rounds, seed, early, depth, nthread, kind, trees;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	enum { O_FEAT = 256, O_LAB, O_OUT, O_MET, O_TARGET, O_HOLD, O_EMB, O_ROUNDS,
	       O_SEED, O_EARLY, O_DEPTH, O_ETA, O_NTHREAD, O_T0, O_T1, O_LABC, O_META,
	       O_WEIGHT, O_QUIET, O_SYMBOL, O_TICK, O_VERSION, O_JSON, O_KIND, O_TREES };
	static const struct option lo[] = {
		{ "features", required_argument, NULL, O_FEAT },
		{ "labels", required_argument, NULL, O_LAB },
		{ "output", required_argument, NULL, O_OUT },
		{ "metrics", required_argument, NULL, O_MET },
		{ "config", required_argument, NULL, 'c' },
		{ "target", required_argument, NULL, O_TARGET },
		{ "kind", required_argument, NULL, O_KIND },
		{ "num-parallel-tree", required_argument, NULL, O_TREES },
		{ "holdout", required_argument, NULL, O_HOLD },
		{ "embargo", required_argument, NULL, O_EMB },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "early-stop", required_argument, NULL, O_EARLY },
		{ "max-depth", required_argument, NULL, O_DEPTH },
		{ "eta", required_argument, NULL, O_ETA },
		{ "nthread", required_argument, NULL, O_NTHREAD },
		{ "t0-col", required_argument, NULL, O_T0 },
		{ "t1-col", required_argument, NULL, O_T1 },
		{ "label-col", required_argument, NULL, O_LABC },
		{ "meta-col", required_argument, NULL, O_META },
		{ "weight-col", required_argument, NULL, O_WEIGHT },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "json", no_argument, NULL, O_JSON },
		{ "symbol", required_argument, NULL, O_SYMBOL },
		{ "tick", required_argument, NULL, O_TICK },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", lo, NULL)) != -1) {
		switch (c) {
		case O_FEAT: a->features = optarg; break;
		case O_LAB: a->labels = optarg; break;
		case O_OUT: a->output = optarg; break;
		case O_MET: a->metrics = optarg; break;
		case 'c': a->config = optarg; break;
		case O_T0: a->t0_col = optarg; break;
		case O_T1: a->t1_col = optarg; a->t1_named = 1; break;
		case O_LABC: a->label_col = optarg; break;
		case O_META: a->meta_col = optarg; break;
		case O_WEIGHT: a->weight_col = optarg; a->weight_named = 1; break;
		case O_QUIET: a->quiet = 1; break;
		case O_JSON: a->json = 1; break;
		case O_TARGET:
			if ((a->target = model_target_parse(optarg)) < 0)
				return cli_usage_error("--target '%s': expected meta, label or label3",
						       optarg);
			a->target_named = 1;
			break;
		case O_SYMBOL:
			if (!*optarg || strlen(optarg) >= sizeof(((struct model_meta *)0)->symbol))
				return cli_usage_error("--symbol '%s': expected 1..31 characters", optarg);
			a->symbol = optarg;
			break;
		case O_TICK:
			if (cli_parse_pos_double(optarg, &a->tick))
				return cli_usage_error("--tick '%s': expected a positive number", optarg);
			break;
		case O_KIND: {
			int k = model_kind_parse(optarg);

			if (k < 0)
				return cli_usage_error("--kind '%s': expected gbdt or rf", optarg);
			a->kind = (uint32_t)k;
			a->has_kind = 1;
			break;
		}
		case O_TREES:
			if (cli_parse_u32(optarg, 1, 10000, &a->trees))
				return cli_usage_error("--num-parallel-tree '%s': expected 1..10000",
						       optarg);
			a->has_trees = 1;
			break;
		case O_HOLD:
			if (cli_parse_double(optarg, &a->holdout) || a->holdout < 0.01 || a->holdout > 0.9)
				return cli_usage_error("--holdout '%s': expected a fraction 0.01..0.9",
						       optarg);
			a->has_holdout = 1;
			break;
		case O_EMB:
			if (cli_parse_double(optarg, &a->embargo) || a->embargo < 0 ||
			    (a->embargo >= 1 && a->embargo != floor(a->embargo)) ||
			    (a->embargo < 1 && a->embargo > 0.5) || a->embargo > 1e12)
				return cli_usage_error("--embargo '%s': expected a whole number of rows "
						       "or a fraction 0..0.5", optarg);
			a->has_embargo = 1;
			break;
		case O_ROUNDS:
			if (cli_parse_u32(optarg, 1, 100000, &a->rounds))
				return cli_usage_error("--rounds '%s': expected 1..100000", optarg);
			a->has_rounds = 1;
			break;
		case O_SEED:
			if (cli_parse_u32(optarg, 0, UINT32_MAX, &a->seed))
				return cli_usage_error("--seed '%s': expected 0..%u", optarg, UINT32_MAX);
			a->has_seed = 1;
			break;
		case O_EARLY:
			if (cli_parse_u32(optarg, 0, 100000, &a->early))
				return cli_usage_error("--early-stop '%s': expected 0..100000", optarg);
			a->has_early = 1;
			break;
		case O_DEPTH:
			if (cli_parse_u32(optarg, 1, 16, &a->depth))
				return cli_usage_error("--max-depth '%s': expected 1..16", optarg);
			a->has_depth = 1;
			break;
		case O_ETA:
			if (cli_parse_double(optarg, &a->eta) || !(a->eta > 0 && a->eta <= 1))
				return cli_usage_error("--eta '%s': expected a number in (0, 1]", optarg);
			a->has_eta = 1;
			break;
		case O_NTHREAD:
			if (cli_parse_u32(optarg, 0, 1024, &a->nthread))
				return cli_usage_error("--nthread '%s': expected 0..1024", optarg);
			a->has_nthread = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case O_VERSION:
			exit(cli_version());
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->features)
		return cli_usage_error("--features F.csv is required");
	if (!a->labels)
		return cli_usage_error("--labels L.csv is required");
	if (!a->output)
		return cli_usage_error("--output MODEL.json is required");
	if (!a->symbol != !a->tick)
		return cli_usage_error("--symbol and --tick go together (the instrument the "
				       "model records)");
	return 0;
}

/* ------------------------------------------------------------ CSV */

/* Split line in place at commas; strips the line end, spaces and
 * surrounding double quotes.  Returns the field count (at most cap). */
static size_t split(char *line, char **f, size_t cap)
{
	size_t n = 0, len = strlen(line);

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	for (char *p = line;;) {
		char *c = strchr(p, ','), *e;

		if (c)
			*c = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (e - p >= 2 && *p == '"' && e[-1] == '"') {
			e[-1] = '\0';
			p++;
		}
		if (n < cap)
			f[n] = p;
		n++;
		if (!c)
			break;
		p = c + 1;
	}
	return n < cap ? n : cap;
}

static int col_of(char **f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i], name))
			return (int)i;
	return -1;
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || errno)
		return -1;
	if (*end == '.') {            /* "12.0" */
		for (end++; *end == '0'; end++)
			;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* A bad cell, bad input (exit 2): "FILE:LINE:COL: column 'NAME': <why>",
 * COL the 1-based byte column of the value f in line (split() leaves the
 * fields in place). */
static int cell_fail(const char *path, uint64_t ln, const char *line, const char *f,
		     const char *name, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int cell_fail(const char *path, uint64_t ln, const char *line, const char *f,
		     const char *name, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return cli_fail(2, "%s:%" PRIu64 ":%zu: column '%s': %s", path, ln,
			(size_t)(f - line) + 1, name, why);
}

/* A target value is absent when empty or nan. */
static int absent(const char *s)
{
	return *s == '\0' || !strcasecmp(s, "nan") || !strcasecmp(s, "na");
}

struct label_row {
	int64_t t0, t1;
	float   y, w;
	uint64_t line;
	uint32_t t0_col;  /* byte column of the t0 value, for messages */
	uint32_t pad;
};

struct labels {
	struct label_row *r;
	size_t n, cap, skipped;
	int has_t1, has_w;
};

static int cmp_label(const void *a, const void *b)
{
	const struct label_row *x = a, *y = b;

	if (x->t0 != y->t0)
		return x->t0 < y->t0 ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int read_labels(const struct args *a, struct labels *L)
{
	char *line = NULL, *f[MAX_COLS];
	size_t cap = 0, nf;
	uint64_t ln = 1;
	int c0, c1, cy, cw, rc = 0;
	const char *ycol = a->target == MODEL_TARGET_META ? a->meta_col : a->label_col;
	FILE *fp = fopen(a->labels, "r");

	if (!fp)
		return cli_fail(errno == ENOENT || errno == EACCES ? 2 : 1, "%s: cannot open: %s",
				a->labels, strerror(errno));
	if (getline(&line, &cap, fp) < 0) {
		rc = cli_fail(2, "%s:1: empty file (a header is expected)", a->labels);
		goto out;
	}
	nf = split(line, f, MAX_COLS);
	c0 = col_of(f, nf, a->t0_col);
	c1 = col_of(f, nf, a->t1_col);
	cy = col_of(f, nf, ycol);
	cw = col_of(f, nf, a->weight_col);
	if (c0 >= 0 && cy < 0 && a->target == MODEL_TARGET_META && !a->target_named) {
		rc = cli_fail(2, "%s:1: no column '%s': the default target is the live "
			      "strategy's meta-label (dm-label --primary-from-config writes it); "
			      "for the direction label say --target label", a->labels, ycol);
		goto out;
	}
	if (c0 < 0 || cy < 0) {
		rc = cli_fail(2, "%s:1: no column '%s' in the header (--%s names it)", a->labels,
			      c0 < 0 ? a->t0_col : ycol, c0 < 0 ? "t0-col" :
			      a->target == MODEL_TARGET_META ? "meta-col" : "label-col");
		goto out;
	}
	if ((c1 < 0 && a->t1_named) || (cw < 0 && a->weight_named)) {
		rc = cli_fail(2, "%s:1: no column '%s' in the header", a->labels,
			      c1 < 0 && a->t1_named ? a->t1_col : a->weight_col);
		goto out;
	}
	if (c1 < 0 && !a->quiet)
		fprintf(stderr, "%s: %s: no '%s' column: label spans end where they start, "
			"nothing is purged\n", cli_prog(), a->labels, a->t1_col);
	if (cw < 0 && !a->quiet)
		fprintf(stderr, "%s: %s: no '%s' column: every sample weighs 1\n", cli_prog(),
			a->labels, a->weight_col);
	L->has_t1 = c1 >= 0;
	L->has_w = cw >= 0;
	int need = c0 > cy ? c0 : cy;
	if (c1 > need)
		need = c1;
	if (cw > need)
		need = cw;
	while (getline(&line, &cap, fp) >= 0) {
		struct label_row r;
		const char *s;
		double v;

		ln++;
		if (line[0] == '\n' || (line[0] == '\r' && line[1] == '\n') || line[0] == '\0')
			continue;
		nf = split(line, f, MAX_COLS);
		if ((int)nf <= need) {
			rc = cli_fail(2, "%s:%" PRIu64 ": %zu fields, the header has at least %d",
				      a->labels, ln, nf, need + 1);
			goto out;
		}
		r.line = ln;
		r.t0_col = (uint32_t)(f[c0] - line) + 1;
		if (parse_i64(f[c0], &r.t0) || r.t0 < 0) {
			rc = cell_fail(a->labels, ln, line, f[c0], a->t0_col,
				       "'%s' is not a row number >= 0", f[c0]);
			goto out;
		}
		r.t1 = r.t0;
		if (c1 >= 0 && (parse_i64(f[c1], &r.t1) || r.t1 < r.t0)) {
			rc = cell_fail(a->labels, ln, line, f[c1], a->t1_col,
				       "'%s' is not a row number >= %s (%" PRId64 ")", f[c1],
				       a->t0_col, r.t0);
			goto out;
		}
		s = f[cy];
		if (absent(s)) {
			L->skipped++;
			continue;
		}
		if (cli_parse_double(s, &v) || v != floor(v) ||
		    (a->target == MODEL_TARGET_META ? (v != 0 && v != 1) : (v < -1 || v > 1))) {
			rc = cell_fail(a->labels, ln, line, s, ycol, "'%s' is not %s", s,
				       a->target == MODEL_TARGET_META ? "0 or 1" : "-1, 0 or 1");
			goto out;
		}
		r.y = a->target == MODEL_TARGET_META ? (float)v : a->target == MODEL_TARGET_LABEL3 ?
			(float)(v + 1) : (float)(v == 1);
		r.w = 1.0f;
		if (cw >= 0) {
			/* cli_parse_double refuses nan and inf */
			if (cli_parse_double(f[cw], &v) || v < 0 || v > FLT_MAX) {
				rc = cell_fail(a->labels, ln, line, f[cw], a->weight_col,
					       "'%s' is not a finite weight >= 0", f[cw]);
				goto out;
			}
			r.w = (float)v;
		}
		if (L->n == L->cap) {
			size_t nc = L->cap ? 2 * L->cap : 4096;
			struct label_row *p = realloc(L->r, nc * sizeof(*p));

			if (!p) {
				rc = cli_fail(1, "out of memory");
				goto out;
			}
			L->r = p;
			L->cap = nc;
		}
		L->r[L->n++] = r;
	}
	if (ferror(fp)) {
		rc = cli_fail(1, "%s: read error: %s", a->labels, strerror(errno));
		goto out;
	}
	if (L->n < 2) {
		rc = cli_fail(2, "%s: %zu usable label rows: at least 2 needed", a->labels, L->n);
		goto out;
	}
	qsort(L->r, L->n, sizeof(*L->r), cmp_label);
out:
	free(line);
	fclose(fp);
	return rc;
}

struct sample_buf {
	float *x, *y, *w;
	int64_t *t0, *t1;
	size_t n, n_feat;
	char names[MODEL_MAX_FEATURES][MODEL_NAME_MAX];
	const char *name_ptr[MODEL_MAX_FEATURES];
};

/* The sample arrays for L's rows, y, w and the spans filled in; the
 * features (s->n_feat, names) already set.  0 or exit code 1. */
static int alloc_samples(const struct labels *L, struct sample_buf *s)
{
	s->n = L->n;
	s->x = malloc(L->n * s->n_feat * sizeof(float));
	s->y = malloc(L->n * sizeof(float));
	s->w = L->has_w ? malloc(L->n * sizeof(float)) : NULL;
	s->t0 = malloc(L->n * sizeof(int64_t));
	s->t1 = malloc(L->n * sizeof(int64_t));
	if (!s->x || !s->y || (L->has_w && !s->w) || !s->t0 || !s->t1)
		return cli_fail(1, "out of memory for %zu samples", L->n);
	for (size_t i = 0; i < L->n; i++) {
		s->y[i] = L->r[i].y;
		if (s->w)
			s->w[i] = L->r[i].w;
		s->t0[i] = L->r[i].t0;
		s->t1[i] = L->r[i].t1;
	}
	return 0;
}

/* A feature value as a float: 0, or -1 for an infinity or a number no
 * float holds (nan is XGBoost's missing value and passes). */
static int feature_float(double v, float *out)
{
	if (!isnan(v) && !(fabs(v) <= FLT_MAX))
		return -1;
	*out = (float)v;
	return 0;
}

static void progress(const struct args *a, uint64_t row, size_t k, size_t n, int tty,
		     int64_t *last)
{
	if (!a->quiet && (row & 0xffff) == 0) {
		int64_t now = cli_mono_ns();

		if (now - *last >= (tty ? PROGRESS_NS : 10 * PROGRESS_NS)) {
			*last = now;
			fprintf(stderr, "%s%s: %s: %" PRIu64 " rows read, %zu of %zu "
				"samples%s", tty ? "\r" : "", cli_prog(), a->features, row, k,
				n, tty ? "" : "\n");
		}
	}
}

/* The feature rows the (sorted) labels point at, from a dm-features
 * .npy: the columns after t_sec, t_nsec. */
static int read_features_npy(const struct args *a, const struct labels *L, struct sample_buf *s)
{
	struct npy_reader r;
	char err[PATH_MAX + 512];
	double *row = NULL;
	float tmp[MODEL_MAX_FEATURES];
	size_t k = 0;
	uint64_t n = 0;
	int64_t t_start = cli_mono_ns(), last = t_start;
	int rc, tty = isatty(2);

	if ((rc = npy_open(&r, a->features, err, sizeof(err))))
		return cli_fail(rc == -ENOMEM || rc == -EIO ? 1 : 2, "%s", err);
	if (r.sh.cols < 3 || strcmp(r.names[0], "t_sec") || strcmp(r.names[1], "t_nsec")) {
		rc = cli_fail(2, "%s" NPY_COLUMNS_EXT ": the columns must start with t_sec, t_nsec "
			      "and name at least one feature (dm-features .npy output)", a->features);
		goto out;
	}
	if (r.sh.cols - 2 > MODEL_MAX_FEATURES) {
		rc = cli_fail(2, "%s: %u features, at most %u supported", a->features,
			      r.sh.cols - 2, MODEL_MAX_FEATURES);
		goto out;
	}
	s->n_feat = r.sh.cols - 2;
	for (size_t j = 0; j < s->n_feat; j++) {
		snprintf(s->names[j], MODEL_NAME_MAX, "%s", r.names[j + 2]);
		s->name_ptr[j] = s->names[j];
	}
	row = malloc(r.sh.cols * sizeof(double));
	if (!row) {
		rc = cli_fail(1, "out of memory");
		goto out;
	}
	if ((rc = alloc_samples(L, s)))
		goto out;
	while (k < L->n && (rc = npy_next(&r, row)) == 1) {
		if ((int64_t)n == L->r[k].t0) {
			for (size_t j = 0; j < s->n_feat; j++)
				if (feature_float(row[j + 2], &tmp[j])) {
					rc = cli_fail(2, "%s: row %" PRIu64 ": column '%s': %g is %s: a "
						      "feature value is finite (or nan, read as "
						      "missing)", a->features, n, s->names[j], row[j + 2],
						      isinf(row[j + 2]) ? "infinite" : "beyond the float range");
					goto out;
				}
			while (k < L->n && L->r[k].t0 == (int64_t)n)
				memcpy(s->x + k++ * s->n_feat, tmp, s->n_feat * sizeof(float));
		}
		n++;
		progress(a, n, k, L->n, tty, &last);
	}
	if (!a->quiet && tty && last != t_start)
		fputc('\n', stderr);
	if (rc < 0) {
		rc = cli_fail(1, "%s: read error (cut short?)", a->features);
		goto out;
	}
	rc = 0;
	if (k < L->n)
		rc = cli_fail(2, "%s:%" PRIu64 ":%" PRIu32 ": column '%s': row %" PRId64 " is past "
			      "the last row of %s (%" PRIu64 " data rows)", a->labels, L->r[k].line,
			      L->r[k].t0_col, a->t0_col, L->r[k].t0, a->features, r.sh.rows);
out:
	free(row);
	npy_close(&r);
	return rc;
}

/* The feature rows the (sorted) labels point at, in label order. */
static int read_features(const struct args *a, const struct labels *L, struct sample_buf *s)
{
	char *line = NULL, *f[MAX_COLS];
	size_t cap = 0, nf, k = 0;
	uint64_t ln = 1, row = 0;
	int64_t t_start = cli_mono_ns(), last = t_start;
	float tmp[MODEL_MAX_FEATURES];
	int rc = 0, tty = isatty(2);

	if ((rc = npy_sniff(a->features)) == 1)
		return read_features_npy(a, L, s);
	FILE *fp = fopen(a->features, "r");
	if (!fp)
		return cli_fail(errno == ENOENT || errno == EACCES ? 2 : 1, "%s: cannot open: %s",
				a->features, strerror(errno));
	rc = 0;
	if (getline(&line, &cap, fp) < 0) {
		rc = cli_fail(2, "%s:1: empty file (a header 't_ns,...' is expected)", a->features);
		goto out;
	}
	nf = split(line, f, MAX_COLS);
	if (nf < 2 || strcmp(f[0], "t_ns") != 0) {
		rc = cli_fail(2, "%s:1: header must start with 't_ns' and name at least one "
			      "feature (dm-features output)", a->features);
		goto out;
	}
	if (nf - 1 > MODEL_MAX_FEATURES) {
		rc = cli_fail(2, "%s:1: %zu features, at most %u supported", a->features, nf - 1,
			      MODEL_MAX_FEATURES);
		goto out;
	}
	s->n_feat = nf - 1;
	for (size_t j = 0; j < s->n_feat; j++) {
		snprintf(s->names[j], MODEL_NAME_MAX, "%s", f[j + 1]);
		s->name_ptr[j] = s->names[j];
	}
	if ((rc = alloc_samples(L, s)))
		goto out;
	while (k < L->n && getline(&line, &cap, fp) >= 0) {
		ln++;
		if ((int64_t)row == L->r[k].t0) {
			nf = split(line, f, MAX_COLS);
			if (nf != s->n_feat + 1) {
				rc = cli_fail(2, "%s:%" PRIu64 ": %zu fields, the header has %zu",
					      a->features, ln, nf, s->n_feat + 1);
				goto out;
			}
			for (size_t j = 0; j < s->n_feat; j++) {
				double v;
				char *end;

				errno = 0;
				v = strtod(f[j + 1], &end);
				if (*f[j + 1] == '\0' || *end) {
					rc = cell_fail(a->features, ln, line, f[j + 1], s->names[j],
						       "'%s' is not a number", f[j + 1]);
					goto out;
				}
				/* nan is a missing value (XGBoost's); an infinity, or a
				 * number a float cannot hold, is no feature value */
				if (feature_float(v, &tmp[j])) {
					rc = cell_fail(a->features, ln, line, f[j + 1], s->names[j],
						       "'%s' is %s: a feature value is finite (or "
						       "nan, read as missing)", f[j + 1], isinf(v) ?
						       "infinite" : "beyond the float range");
					goto out;
				}
			}
			while (k < L->n && L->r[k].t0 == (int64_t)row)
				memcpy(s->x + k++ * s->n_feat, tmp, s->n_feat * sizeof(float));
		}
		row++;
		progress(a, row, k, L->n, tty, &last);
	}
	if (!a->quiet && tty && last != t_start)
		fputc('\n', stderr);
	if (ferror(fp)) {
		rc = cli_fail(1, "%s: read error: %s", a->features, strerror(errno));
		goto out;
	}
	if (k < L->n) {
		rc = cli_fail(2, "%s:%" PRIu64 ":%" PRIu32 ": column '%s': row %" PRId64 " is past "
			      "the last row of %s (%" PRIu64 " data rows)", a->labels, L->r[k].line,
			      L->r[k].t0_col, a->t0_col, L->r[k].t0, a->features, row);
		goto out;
	}
out:
	free(line);
	fclose(fp);
	return rc;
}

/* ------------------------------------------------------------ record */

/* The training record into m (model_meta_set): target, weight column,
 * parameters and their digest, instrument, both input files' digests. */
static int record(const struct args *a, const struct model_params *p, int has_w,
		  struct model *m, char *err, size_t errlen)
{
	struct model_meta md;
	int rc;

	memset(&md, 0, sizeof(md));
	snprintf(md.target, sizeof(md.target), "%s", model_target_name((uint32_t)a->target));
	if (has_w)
		snprintf(md.weight, sizeof(md.weight), "%s", a->weight_col);
	model_params_text(p, md.params, sizeof(md.params));
	sha256_hex(md.params, strlen(md.params), md.params_sha256);
	if (a->symbol) {
		snprintf(md.symbol, sizeof(md.symbol), "%s", a->symbol);
		snprintf(md.tick, sizeof(md.tick), "%.10g", a->tick);
	}
	snprintf(md.features_file, sizeof(md.features_file), "%s", a->features);
	snprintf(md.labels_file, sizeof(md.labels_file), "%s", a->labels);
	if ((rc = sha256_file(a->features, md.features_sha256, err, errlen)) ||
	    (rc = sha256_file(a->labels, md.labels_sha256, err, errlen)))
		return rc;
	return model_meta_set(m, &md, err, errlen);
}

/* WARNING lines a user must see even with --quiet. */
static void warn(const struct model_metrics *met)
{
	if (met->auc_near_chance > 0)
		fprintf(stderr, "%s: WARNING: hold-out AUC %.4f is within %.2f of 0.5: the "
			"model ranks the hold-out no better than chance (auc_near_chance in "
			"the metrics)\n", cli_prog(), met->holdout.auc, MODEL_AUC_CHANCE_BAND);
	else if (met->auc_near_chance < 0)
		fprintf(stderr, "%s: WARNING: hold-out AUC undefined: the hold-out holds one "
			"class only\n", cli_prog());
	if (met->n_const) {
		fprintf(stderr, "%s: WARNING: %u of %u feature columns are constant over the "
			"samples, the model cannot use them:", cli_prog(), met->n_const, met->n_feat);
		for (uint32_t j = 0; j < met->n_const; j++)
			fprintf(stderr, "%s %s", j ? "," : "", met->const_names[j]);
		fprintf(stderr, " (constant size features mean an input without book "
			"sizes, e.g. an MT5 tick export)\n");
	}
}

/* ------------------------------------------------------------ main */

static void on_round(const struct model_round *r, void *ctx)
{
	const struct model_params *p = ctx;
	const char *m = p->objective == MODEL_OBJ_MULTI ? "mlogloss" : "logloss";

	fprintf(stderr, "%s: round %4u/%u  train-%s %.6f  holdout-%s %.6f  best %.6f @ %u\n",
		cli_prog(), r->round, p->n_rounds, m, r->train_loss, m, r->holdout_loss,
		r->best_loss, r->best_round);
}

static void summary(const struct model_metrics *met, const struct model *m,
		    const char *out, const char *mpath)
{
	const struct model_eval *e = &met->holdout;

	fprintf(stderr, "%s: %zu samples: %zu train, %zu hold-out, %zu purged, %zu embargoed "
		"(embargo %" PRId64 " rows); %u features; %s\n", cli_prog(), met->n_rows,
		met->n_train, met->n_holdout, met->n_purged, met->n_embargoed, met->embargo,
		met->n_feat, model_objective_name(met->params.objective));
	if (met->params.kind == MODEL_KIND_RF)
		fprintf(stderr, "%s: random forest: %u trees, one round of %u per output "
			"(hold-out loss %.6f), %.1f s\n", cli_prog(), m->n_trees, m->n_parallel,
			met->best_holdout_loss, met->train_seconds);
	else
		fprintf(stderr, "%s: %u rounds run, kept rounds 0..%u (hold-out loss %.6f), "
			"%.1f s\n", cli_prog(), met->rounds_run, met->best_iteration,
			met->best_holdout_loss, met->train_seconds);
	fprintf(stderr, "%s: hold-out AUC %.4f  logloss %.4f  precision %.4f  recall %.4f  "
		"accuracy %.4f  (threshold %.2f, positive rate %.4f)\n", cli_prog(), e->auc,
		e->logloss, e->precision, e->recall, e->accuracy, e->threshold, e->pos_rate);
	fprintf(stderr, "%s: top features by total gain:", cli_prog());
	for (uint32_t j = 0; j < met->n_feat && j < 8; j++)
		fprintf(stderr, " %s %.4g", met->imp[j].name, met->imp[j].total_gain);
	fprintf(stderr, "\n%s: flat evaluator matches XGBoost on %zu rows (max |diff| %.3g); "
		"%u trees\n", cli_prog(), met->flat_rows, met->flat_max_diff, m->n_trees);
	fprintf(stderr, "%s: wrote %s and %s\n", cli_prog(), out, mpath);
}

int main(int argc, char **argv)
{
	struct args a = {
		.t0_col = "t0_idx", .t1_col = "t1_idx", .label_col = "label",
		.meta_col = "meta", .weight_col = "uniq", .target = MODEL_LIVE_TARGET,
	};
	struct model_params p;
	struct labels L = { 0 };
	struct sample_buf s;
	struct model_sample ms;
	struct model_metrics *met = NULL;
	struct model m;
	struct flat *fl = NULL;
	struct flat_check fc;
	char err[1024], mpath[4096];
	int rc, code = 0;

	cli_set_prog("dm-train");
	memset(&s, 0, sizeof(s));
	memset(&m, 0, sizeof(m));
	if ((rc = parse_args(argc, argv, &a)))
		return rc;

	/* ---- parameters: defaults, file, options */
	model_params_default(&p);
	if (a.config && model_params_load(a.config, &p, err, sizeof(err)))
		return cli_fail(2, "%s", err);
	if (a.target == MODEL_TARGET_LABEL3) {
		p.objective = MODEL_OBJ_MULTI;
		p.num_class = 3;
	} else {
		p.objective = MODEL_OBJ_BINARY;
	}
	if (a.has_kind && a.kind != p.kind)
		model_params_kind(&p, a.kind);
	if (p.kind == MODEL_KIND_RF && (a.has_rounds || a.has_early || a.has_eta))
		return cli_usage_error("%s is not used by kind rf (one round of "
				       "--num-parallel-tree trees, eta 1, no early stopping)",
				       a.has_rounds ? "--rounds" : a.has_early ? "--early-stop" :
				       "--eta");
	if (p.kind == MODEL_KIND_GBDT && a.has_trees)
		return cli_usage_error("--num-parallel-tree is the forest size of kind rf; kind "
				       "gbdt grows one tree per round and class (--kind rf for "
				       "a forest)");
	if (a.has_trees)
		p.num_parallel_tree = a.trees;
	if (a.has_holdout)
		p.holdout = a.holdout;
	if (a.has_embargo) {
		if (a.embargo >= 1) {
			p.embargo = (int64_t)a.embargo;
			p.embargo_frac = 0;
		} else {
			p.embargo = 0;
			p.embargo_frac = a.embargo;
		}
	}
	if (a.has_rounds)
		p.n_rounds = a.rounds;
	if (a.has_seed)
		p.seed = a.seed;
	if (a.has_early)
		p.early_stopping_rounds = a.early;
	if (a.has_depth)
		p.max_depth = a.depth;
	if (a.has_eta)
		p.eta = a.eta;
	if (a.has_nthread)
		p.nthread = a.nthread;
	if (model_params_check(&p, err, sizeof(err)))
		return cli_fail(2, "%s%s%s", a.config ? a.config : "", a.config ? ": " : "", err);
	if (a.metrics) {
		snprintf(mpath, sizeof(mpath), "%s", a.metrics);
	} else {
		size_t n = strlen(a.output);
		int k = n > 5 && !strcmp(a.output + n - 5, ".json") ? (int)(n - 5) : (int)n;

		if (snprintf(mpath, sizeof(mpath), "%.*s.metrics.json", k, a.output) >=
		    (int)sizeof(mpath))
			return cli_usage_error("--output path too long");
	}
	/* every output a regular file or nothing (files.h), before any work */
	char terr[PATH_MAX + 128];
	if (files_check_target(a.output, terr, sizeof(terr)) < 0)
		return cli_fail(2, "--output %s", terr);
	if (files_check_target(mpath, terr, sizeof(terr)) < 0)
		return cli_fail(2, "--metrics %s", terr);
	met = calloc(1, sizeof(*met));
	if (!met)
		return cli_fail(1, "out of memory");

	/* ---- data */
	code = read_labels(&a, &L);
	if (code)
		goto free_all;
	code = read_features(&a, &L, &s);
	if (code)
		goto free_all;
	if (!a.quiet)
		fprintf(stderr, "%s: %zu samples from %s (%zu rows without a target skipped), "
			"%zu features from %s\n", cli_prog(), s.n, a.labels, L.skipped, s.n_feat,
			a.features);

	/* ---- training */
	ms = (struct model_sample){
		.x = s.x, .y = s.y, .w = s.w, .t0 = s.t0, .t1 = s.t1,
		.n = s.n, .n_feat = s.n_feat, .names = s.name_ptr,
	};
	rc = model_train(&m, &p, &ms, a.quiet ? NULL : on_round, &p, met, err, sizeof(err));
	if (rc) {
		code = cli_fail(rc == -EINVAL ? 2 : 1, "training failed: %s", err);
		goto free_all;
	}

	/* ---- the live path's evaluator must agree with XGBoost */
	rc = flat_create(&fl, &m, err, sizeof(err));
	if (!rc)
		rc = flat_verify(fl, &m, s.x, s.n, FLAT_CHECK_ROWS, FLAT_TOL, 1, &fc, err,
				 sizeof(err));
	if (rc) {
		code = cli_fail(1, "flattened evaluator check failed, model not written: %s", err);
		goto free_all;
	}
	met->flat_rows = fc.rows;
	met->flat_max_diff = fc.max_diff;

	/* ---- what the model file records of its training (meta.h) */
	rc = record(&a, &p, L.has_w, &m, err, sizeof(err));
	if (rc) {
		code = cli_fail(rc == -ENOENT || rc == -EACCES ? 2 : 1, "%s", err);
		goto free_all;
	}
	met->meta = m.meta;
	warn(met);

	/* ---- output */
	rc = model_save(&m, a.output, err, sizeof(err));
	if (rc) {
		code = cli_fail(1, "%s", err);
		goto free_all;
	}
	rc = model_metrics_write(met, a.output, mpath, err, sizeof(err));
	if (rc) {
		code = cli_fail(1, "%s", err);
		goto free_all;
	}
	if (a.json) {
		/* the machine summary is the metrics file itself */
		FILE *mf = fopen(mpath, "r");
		char buf[8192];
		size_t k;
		if (!mf) {
			code = cli_fail(1, "%s: cannot read back: %s", mpath, strerror(errno));
			goto free_all;
		}
		while ((k = fread(buf, 1, sizeof(buf), mf)) > 0)
			fwrite(buf, 1, k, stdout);
		fclose(mf);
		if (fflush(stdout)) {
			code = cli_fail(1, "cannot write the JSON summary");
			goto free_all;
		}
	} else if (!a.quiet) {
		summary(met, &m, a.output, mpath);
	}
free_all:
	flat_free(fl);
	model_close(&m);
	free(met);
	free(L.r);
	free(s.x);
	free(s.y);
	free(s.w);
	free(s.t0);
	free(s.t1);
	return code;
}
