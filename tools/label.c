/*
 * dm-label — triple-barrier labels, meta-labels and sample weights for the
 * rows of a dm-features CSV (libcore/label/label.h; docs/labels.md).
 *
 *   dm-label --input FEATURES.csv --output LABELS.csv [options]
 *
 * Reads the CSV one row at a time (t_ns and the price columns, plus the
 * primary model's feature column with --primary-feature), labels every
 * row, every k-th row or the rows a CUSUM filter picks, and writes one row
 * per label in t0 order.  Memory is the labeler's window (the rows a label
 * can span), not the file.  A dm-features .npy (known by its magic, with
 * its FILE.columns) is read the same way: t_ns is t_sec x 10^9 + t_nsec,
 * the other columns by name; the doubles are those of the CSV (whose
 * numbers read back exactly), so the labels are the same.
 *
 * Output.  Return-attribution weights are normalised to sum to the number
 * of labels, a sum known only at the end: the rows go to OUT.tmp-PID-raw
 * with the raw weight last, then a second pass copies them to OUT.tmp-PID
 * with the weight scaled, fsynced, and a rename puts that in place
 * (tools/lib/files.h).  A failed run leaves neither file; an OUT that is
 * not a regular file (a device, FIFO, directory) is refused with exit 2.
 *
 * Exit 0 on success, 1 on a runtime failure (read or write error, out of
 * memory, the window too small for the path), 2 on bad usage or bad input
 * (unknown option, bad value, missing column, a bad row: FILE:LINE:COLUMN).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/features/feat_csv.h"
#include "libcore/feed/feed.h"
#include "libcore/label/label.h"
#include "libcore/label/primary.h"
#include "tools/lib/files.h"
#include "tools/lib/npy.h"

#define PROGRESS_NS 1000000000LL /* progress line at most once a second */
#define IO_BUF      (1u << 20)
#define POP_BURST   256u

static void usage(FILE *f)
{
	struct label_params d;

	label_params_default(&d);
	fprintf(f,
"usage: dm-label --input FEATURES.csv --output LABELS.csv [options]\n"
"\n"
"Triple-barrier labels (docs/labels.md) for the rows of a dm-features CSV:\n"
"for each event row t0 a profit-taking barrier, a stop-loss barrier and a\n"
"vertical barrier; the label is +1 when the profit barrier is touched first,\n"
"-1 for the stop, 0 for the vertical one.  With --primary-feature each event\n"
"gets a side from that column and the barriers are oriented by it: the\n"
"meta-label is 1 when acting on the side takes profit first, else 0.\n"
"\n"
"Input and events\n"
"  --input FILE        CSV with a header: t_ns and the price columns (dm-features\n"
"                      output); '-' reads standard input; or a dm-features\n"
"                      .npy with its FILE.columns (t_sec, t_nsec, the names)\n"
"  --price P           path price: mid (column mid, default), micro (mid +\n"
"                      micro_dev x tick), wmid (mid + wmid_dev x tick), or the\n"
"                      name of any column holding prices\n"
"  --tick T            tick size in price units (default: the configured\n"
"                      instrument tick, %g for WIN); used by micro, wmid and\n"
"                      tick barriers\n"
"  -c, --config F      YAML configuration: its instrument tick is the default\n"
"  --every K           label every K-th row (rows 0, K, 2K, ...; default 1)\n"
"  --cusum H           label the rows a symmetric CUSUM filter on log price\n"
"                      with threshold H (log return) picks, instead of --every\n"
"\n"
"Barriers (sigma: volatility of per-row log returns up to t0)\n"
"  --pt X              profit barrier at X sigma (default %g); 0 disables it\n"
"  --sl X              stop barrier at X sigma (default %g); 0 disables it\n"
"  --pt-ticks N        profit barrier N ticks from the t0 price instead\n"
"  --sl-ticks N        stop barrier N ticks from the t0 price instead\n"
"  --vol ewma|rolling  sigma estimator (default ewma)\n"
"  --vol-n N           EWMA span (alpha = 2/(N+1)) or rolling window, in rows\n"
"                      (default %u)\n"
"  --vol-warmup N      returns needed before a sigma barrier is set; earlier\n"
"                      events are skipped (default %u)\n"
"  --vol-floor S       sigma = max(estimate, S) (default 0)\n"
"  --vert-events N     vertical barrier N rows after t0, 0 = off (default %u)\n"
"  --vert-sec S        vertical barrier S seconds after t0: the last row at or\n"
"                      before t0 + S; 0 = off (default off); with both, the\n"
"                      first one ends the label\n"
"  --vert-sign         a vertical end is labeled by the sign of the return\n"
"                      (default: label 0)\n"
"  --tie stop|profit|zero   both horizontal barriers in one row (default stop;\n"
"                      with one price per row this cannot happen)\n"
"  --eod last|drop     data end before a barrier: label by the sign of the\n"
"                      return to the last row, barrier 'end' (default), or drop\n"
"  --window N          rows a label may stay open (default: 2 x vert-events + 4,\n"
"                      or 65536 with only --vert-sec); a longer span fails (exit 1)\n"
"\n"
"Primary model and meta-labels\n"
"  --primary-feature NAME   side = sign(x - center) outside |x - center| <=\n"
"                      threshold, x the column NAME (e.g. ofi_ml, micro_dev)\n"
"  --primary-threshold T    dead-zone half-width (default 0)\n"
"  --primary-center C  (default 0)\n"
"  --primary-invert    flip the side\n"
"  --primary-from-config    the live strategy's rule: strategy.primary_feature,\n"
"                      strategy.threshold and strategy.invert of -c CONF (or\n"
"                      the built-in defaults), so a meta-model trains on the\n"
"                      sides the ml agent will act on\n"
"  --keep-no-side      also label events in the dead zone (side 0, oriented\n"
"                      long); by default they are not labeled\n"
"\n"
"Output\n"
"  --output FILE       CSV, written to FILE.tmp-PID-raw and FILE.tmp-PID, then\n"
"                      renamed, so a failed run leaves nothing behind (a device,\n"
"                      FIFO or directory at FILE is refused).  Columns:\n"
"                      t0_idx,t0_ns,t1_idx,t1_ns,label,barrier,ret[,side,meta],uniq,w_ret\n"
"                      (idx: 0-based data row; ret: log return t0 -> t1 times the\n"
"                      side; barrier: pt, sl, vert, tie or end; uniq: average\n"
"                      uniqueness; w_ret: return-attribution weight, summing to\n"
"                      the number of labels)\n"
"  --quiet             no progress or summary on stderr\n"
"  --json              the summary as one JSON object on stdout\n"
"  -h, --help          this text\n"
"  --version           program version and build layout words\n"
"\n"
"Exit 0 on success, 1 on a runtime failure, 2 on bad usage or bad input, with\n"
"FILE:LINE:COLUMN of a bad row.\n",
		d.tick, d.pt, d.sl, d.vol_n, d.vol_warmup, d.vert_events);
}

/* ------------------------------------------------------------ arguments */

enum price_kind { PRICE_MID = 0, PRICE_MICRO, PRICE_WMID, PRICE_COLUMN };

struct args {
	const char *input, *output, *config, *price_col, *primary;
	enum price_kind price;
	double tick;                  /* 0 = from the configuration */
	uint32_t every;
	double cusum;                 /* 0 = off */
	int pt_set, sl_set, pt_ticks_set, sl_ticks_set;
	int keep_no_side, quiet, primary_conf, json;
	struct label_params lp;
	struct primary_params pp;
};

enum {
	O_INPUT = 256, O_OUTPUT, O_PRICE, O_TICK, O_EVERY, O_CUSUM, O_PT, O_SL, O_PT_TICKS,
	O_SL_TICKS, O_VOL, O_VOL_N, O_VOL_WARMUP, O_VOL_FLOOR, O_VERT_EVENTS, O_VERT_SEC,
	O_VERT_SIGN, O_TIE, O_EOD, O_WINDOW, O_PRIMARY, O_PRIMARY_THR, O_PRIMARY_CENTER,
	O_PRIMARY_INVERT, O_KEEP_NO_SIDE, O_QUIET, O_PRIMARY_CONF, O_VERSION, O_JSON,
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "input", required_argument, NULL, O_INPUT },
		{ "output", required_argument, NULL, O_OUTPUT },
		{ "price", required_argument, NULL, O_PRICE },
		{ "tick", required_argument, NULL, O_TICK },
		{ "config", required_argument, NULL, 'c' },
		{ "every", required_argument, NULL, O_EVERY },
		{ "cusum", required_argument, NULL, O_CUSUM },
		{ "pt", required_argument, NULL, O_PT },
		{ "sl", required_argument, NULL, O_SL },
		{ "pt-ticks", required_argument, NULL, O_PT_TICKS },
		{ "sl-ticks", required_argument, NULL, O_SL_TICKS },
		{ "vol", required_argument, NULL, O_VOL },
		{ "vol-n", required_argument, NULL, O_VOL_N },
		{ "vol-warmup", required_argument, NULL, O_VOL_WARMUP },
		{ "vol-floor", required_argument, NULL, O_VOL_FLOOR },
		{ "vert-events", required_argument, NULL, O_VERT_EVENTS },
		{ "vert-sec", required_argument, NULL, O_VERT_SEC },
		{ "vert-sign", no_argument, NULL, O_VERT_SIGN },
		{ "tie", required_argument, NULL, O_TIE },
		{ "eod", required_argument, NULL, O_EOD },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "primary-feature", required_argument, NULL, O_PRIMARY },
		{ "primary-threshold", required_argument, NULL, O_PRIMARY_THR },
		{ "primary-center", required_argument, NULL, O_PRIMARY_CENTER },
		{ "primary-invert", no_argument, NULL, O_PRIMARY_INVERT },
		{ "keep-no-side", no_argument, NULL, O_KEEP_NO_SIDE },
		{ "primary-from-config", no_argument, NULL, O_PRIMARY_CONF },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "json", no_argument, NULL, O_JSON },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct label_params *p = &a->lp;
	double v;
	int c, every_set = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", lo, NULL)) != -1) {
		switch (c) {
		case O_INPUT:
			a->input = optarg;
			break;
		case O_OUTPUT:
			a->output = optarg;
			break;
		case O_PRICE:
			if (!strcmp(optarg, "mid"))
				a->price = PRICE_MID;
			else if (!strcmp(optarg, "micro"))
				a->price = PRICE_MICRO;
			else if (!strcmp(optarg, "wmid"))
				a->price = PRICE_WMID;
			else if (*optarg)
				a->price = PRICE_COLUMN;
			else
				return cli_usage_error("--price: expected mid, micro, wmid or a column name");
			a->price_col = optarg;
			break;
		case O_TICK:
			if (cli_parse_pos_double(optarg, &a->tick))
				return cli_usage_error("--tick '%s': expected a positive number", optarg);
			break;
		case 'c':
			a->config = optarg;
			break;
		case O_EVERY:
			if (cli_parse_u32(optarg, 1, UINT32_MAX, &a->every))
				return cli_usage_error("--every '%s': expected a whole number >= 1", optarg);
			every_set = 1;
			break;
		case O_CUSUM:
			if (cli_parse_pos_double(optarg, &a->cusum))
				return cli_usage_error("--cusum '%s': expected a positive log-return threshold",
						       optarg);
			break;
		case O_PT:
		case O_SL:
			if (cli_parse_double(optarg, &v) || v < 0)
				return cli_usage_error("%s '%s': expected a multiple of sigma >= 0 (0 = off)",
						       c == O_PT ? "--pt" : "--sl", optarg);
			if (c == O_PT) {
				p->pt_kind = v > 0 ? LABEL_BAR_VOL : LABEL_BAR_OFF;
				p->pt = v;
				a->pt_set = 1;
			} else {
				p->sl_kind = v > 0 ? LABEL_BAR_VOL : LABEL_BAR_OFF;
				p->sl = v;
				a->sl_set = 1;
			}
			break;
		case O_PT_TICKS:
		case O_SL_TICKS:
			if (cli_parse_pos_double(optarg, &v))
				return cli_usage_error("%s '%s': expected a positive number of ticks",
						       c == O_PT_TICKS ? "--pt-ticks" : "--sl-ticks", optarg);
			if (c == O_PT_TICKS) {
				p->pt_kind = LABEL_BAR_TICKS;
				p->pt = v;
				a->pt_ticks_set = 1;
			} else {
				p->sl_kind = LABEL_BAR_TICKS;
				p->sl = v;
				a->sl_ticks_set = 1;
			}
			break;
		case O_VOL:
			if (!strcmp(optarg, "ewma"))
				p->vol_kind = LABEL_VOL_EWMA;
			else if (!strcmp(optarg, "rolling"))
				p->vol_kind = LABEL_VOL_ROLLING;
			else
				return cli_usage_error("--vol '%s': expected ewma or rolling", optarg);
			break;
		case O_VOL_N:
			if (cli_parse_u32(optarg, 0, UINT32_MAX, &p->vol_n))
				return cli_usage_error("--vol-n '%s': expected a whole number", optarg);
			break;
		case O_VOL_WARMUP:
			if (cli_parse_u32(optarg, 0, UINT32_MAX, &p->vol_warmup))
				return cli_usage_error("--vol-warmup '%s': expected a whole number", optarg);
			break;
		case O_VOL_FLOOR:
			if (cli_parse_double(optarg, &p->vol_floor) || p->vol_floor < 0)
				return cli_usage_error("--vol-floor '%s': expected a number >= 0", optarg);
			break;
		case O_VERT_EVENTS:
			if (cli_parse_u32(optarg, 0, UINT32_MAX, &p->vert_events))
				return cli_usage_error("--vert-events '%s': expected a whole number", optarg);
			break;
		case O_VERT_SEC:
			if (cli_parse_double(optarg, &p->vert_sec) || p->vert_sec < 0)
				return cli_usage_error("--vert-sec '%s': expected seconds >= 0", optarg);
			break;
		case O_VERT_SIGN:
			p->vert_sign = 1;
			break;
		case O_TIE:
			if (!strcmp(optarg, "stop"))
				p->tie = LABEL_TIE_STOP;
			else if (!strcmp(optarg, "profit"))
				p->tie = LABEL_TIE_PROFIT;
			else if (!strcmp(optarg, "zero"))
				p->tie = LABEL_TIE_ZERO;
			else
				return cli_usage_error("--tie '%s': expected stop, profit or zero", optarg);
			break;
		case O_EOD:
			if (!strcmp(optarg, "last"))
				p->eod = LABEL_EOD_LAST;
			else if (!strcmp(optarg, "drop"))
				p->eod = LABEL_EOD_DROP;
			else
				return cli_usage_error("--eod '%s': expected last or drop", optarg);
			break;
		case O_WINDOW:
			if (cli_parse_u32(optarg, 0, UINT32_MAX, &p->window))
				return cli_usage_error("--window '%s': expected a whole number", optarg);
			break;
		case O_PRIMARY:
			if (!*optarg)
				return cli_usage_error("--primary-feature: expected a column name");
			a->primary = optarg;
			break;
		case O_PRIMARY_THR:
			if (cli_parse_double(optarg, &a->pp.threshold) || a->pp.threshold < 0)
				return cli_usage_error("--primary-threshold '%s': expected a number >= 0", optarg);
			break;
		case O_PRIMARY_CENTER:
			if (cli_parse_double(optarg, &a->pp.center))
				return cli_usage_error("--primary-center '%s': expected a number", optarg);
			break;
		case O_PRIMARY_INVERT:
			a->pp.invert = 1;
			break;
		case O_PRIMARY_CONF:
			a->primary_conf = 1;
			break;
		case O_KEEP_NO_SIDE:
			a->keep_no_side = 1;
			break;
		case O_QUIET:
			a->quiet = 1;
			break;
		case O_JSON:
			a->json = 1;
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
	if (!a->input)
		return cli_usage_error("--input FILE is required");
	if (!a->output)
		return cli_usage_error("--output FILE is required");
	if (!strcmp(a->output, "-"))
		return cli_usage_error("--output: a file is needed (the weights are rewritten in a "
				       "second pass)");
	if ((a->pt_set && a->pt_ticks_set) || (a->sl_set && a->sl_ticks_set))
		return cli_usage_error("--pt and --pt-ticks (or --sl and --sl-ticks) exclude each other");
	if (a->cusum > 0 && every_set)
		return cli_usage_error("--every and --cusum exclude each other");
	if (a->primary_conf && (a->primary || a->pp.threshold > 0 || a->pp.invert))
		return cli_usage_error("--primary-from-config excludes --primary-feature, "
				       "--primary-threshold and --primary-invert");
	if ((a->pp.threshold > 0 || a->pp.center != 0 || a->pp.invert || a->keep_no_side) &&
	    !a->primary && !a->primary_conf)
		return cli_usage_error("--primary-threshold, --primary-center, --primary-invert and "
				       "--keep-no-side need --primary-feature");
	return 0;
}

/* ------------------------------------------------------------ CSV input */

#define MAX_COLS 1024

struct csv {
	FILE *f;
	const char *name;
	char *line;
	size_t cap;
	uint64_t lineno;
	uint32_t ncols;
	char *field[MAX_COLS];
};

/* Read the next line and split it at commas; returns the field count, 0
 * at the end, -1 on a read error.  A line with more than MAX_COLS fields
 * reports MAX_COLS + 1. */
static int csv_next(struct csv *c)
{
	ssize_t n = getline(&c->line, &c->cap, c->f);
	uint32_t k = 0;
	char *s;

	if (n < 0)
		return ferror(c->f) ? -1 : 0;
	c->lineno++;
	while (n > 0 && (c->line[n - 1] == '\n' || c->line[n - 1] == '\r'))
		c->line[--n] = '\0';
	s = c->line;
	for (;;) {
		char *comma = memchr(s, ',', (size_t)(c->line + n - s));

		if (k == MAX_COLS)
			return MAX_COLS + 1;
		c->field[k++] = s;
		if (!comma)
			break;
		*comma = '\0';
		s = comma + 1;
	}
	return (int)k;
}

static int col_of(const struct csv *c, const char *name)
{
	for (uint32_t i = 0; i < c->ncols; i++)
		if (!strcmp(c->field[i], name))
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ output */

struct sink {
	FILE *f;
	char *path;       /* temporary file, freed after rename or unlink */
	char *buf;
};

static int sink_open(struct sink *s, const char *path)
{
	s->path = strdup(path);
	s->buf = malloc(IO_BUF);
	if (!s->path || !s->buf)
		return -ENOMEM;
	s->f = fopen(path, "w");
	if (!s->f)
		return -errno;
	setvbuf(s->f, s->buf, _IOFBF, IO_BUF);
	return 0;
}

/* Close; returns 0 or -errno of the first failed write. */
static int sink_close(struct sink *s)
{
	int rc = 0;

	if (s->f) {
		if (ferror(s->f))
			rc = -EIO;
		if (fclose(s->f) && !rc)
			rc = -errno;
		s->f = NULL;
	}
	free(s->buf);
	s->buf = NULL;
	return rc;
}

static void sink_discard(struct sink *s)
{
	sink_close(s);
	if (s->path) {
		unlink(s->path);
		free(s->path);
		s->path = NULL;
	}
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static char *put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* One label row with the raw attribution weight last (printf costs more
 * than the labeling at millions of rows). */
static void write_rec(FILE *f, const struct label_rec *r, int with_side)
{
	char b[4 * FEAT_CSV_NUM_MAX + 128], *p = b;
	const char *bn = label_barrier_name(r->barrier);

	p = put_u64(p, r->i0);
	*p++ = ',';
	p = put_i64(p, r->t0_ns);
	*p++ = ',';
	p = put_u64(p, r->i1);
	*p++ = ',';
	p = put_i64(p, r->t1_ns);
	*p++ = ',';
	p = put_i64(p, r->label);
	*p++ = ',';
	while (*bn)
		*p++ = *bn++;
	*p++ = ',';
	p = feat_csv_double(p, r->ret);
	if (with_side) {
		*p++ = ',';
		p = put_i64(p, r->side);
		*p++ = ',';
		p = put_i64(p, r->meta);
	}
	*p++ = ',';
	p = feat_csv_double(p, r->uniq);
	*p++ = ',';
	p = feat_csv_double(p, r->attr);
	*p++ = '\n';
	fwrite(b, 1, (size_t)(p - b), f);
}

/* ------------------------------------------------------------ main */

/*
 * A primary rule on book sizes is constant on an input without sizes (MT5
 * tick exports: L1 updates of size 0).  While the rule has given one side
 * only, the run watches the primary column, the size-based columns and a
 * few price-based ones, so a warning at the end can say why and name a
 * rule that works on this input.  Once two sides have appeared it stops
 * looking (normal data: after a few rows).
 */
static const char *const size_cols[] = {
	"imb_1", "imb_L", "imb_w", "micro_dev", "wmid_dev", "ofi_1", "ofi_2", "ofi_3", "ofi_ml",
};
static const char *const price_cols[] = { "macd_hist", "velocity", "macd" };
#define N_SIZE_COLS  (sizeof(size_cols) / sizeof(size_cols[0]))
#define N_PRICE_COLS (sizeof(price_cols) / sizeof(price_cols[0]))

struct watch {
	int on;                     /* still one side only */
	unsigned seen;              /* bit side + 1: the sides events got */
	int prim_varies;            /* the primary column took two values */
	double prim0;               /* its first value */
	int c_size[N_SIZE_COLS], c_price[N_PRICE_COLS];   /* columns, -1 absent */
	double size0[N_SIZE_COLS];
	int size_varies[N_SIZE_COLS];
	int price_pos[N_PRICE_COLS], price_neg[N_PRICE_COLS];
};

/* Equal as values, NaN equal to NaN. */
static int same(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

struct run {
	struct args a;
	struct watch w;
	struct csv in;
	int npy;                    /* the input is a .npy: np, not in.f */
	struct npy_reader np;
	double *nrow;               /* its current row */
	char where[PATH_MAX + 48];  /* "FILE:LINE" or "FILE: row N", for messages */
	struct label *l;
	struct sink raw, out;
	char *tmp_raw, *tmp_out;
	uint64_t no_side;           /* events in the primary's dead zone, unlabeled */
	uint64_t side_n[3];         /* sides of the labeled events */
};

/* The number in column col of the current row (CSV: as strtod reads it). */
static double col_value(const struct run *R, int col)
{
	return R->npy ? R->nrow[col] : strtod(R->in.field[col], NULL);
}

static void watch_row(struct watch *w, const struct run *R, double x, uint64_t row)
{
	if (row == 0)
		w->prim0 = x;
	else if (!same(x, w->prim0))
		w->prim_varies = 1;
	for (size_t i = 0; i < N_SIZE_COLS; i++) {
		double v;

		if (w->c_size[i] < 0 || w->size_varies[i])
			continue;
		v = col_value(R, w->c_size[i]);
		if (row == 0)
			w->size0[i] = v;
		else if (!same(v, w->size0[i]))
			w->size_varies[i] = 1;
	}
	for (size_t i = 0; i < N_PRICE_COLS; i++) {
		double v;

		if (w->c_price[i] < 0)
			continue;
		v = col_value(R, w->c_price[i]);
		w->price_pos[i] |= v > 0;
		w->price_neg[i] |= v < 0;
	}
}

static void pop_all(struct run *R, struct label_rec *buf)
{
	uint32_t k;

	while ((k = label_pop_burst(R->l, buf, POP_BURST)) > 0)
		for (uint32_t i = 0; i < k; i++)
			write_rec(R->raw.f, &buf[i], R->a.primary != NULL);
}

/* Second pass: scale the last column of every row of the raw file. */
static int rescale(struct run *R, double scale)
{
	FILE *f = fopen(R->tmp_raw, "r");
	char *line = NULL, num[FEAT_CSV_NUM_MAX + 2];
	size_t cap = 0;
	ssize_t n;
	int first = 1, rc = 0;

	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		char *comma = strrchr(line, ',');

		if (first || !comma) {
			fwrite(line, 1, (size_t)n, R->out.f);
			first = 0;
			continue;
		}
		double w = strtod(comma + 1, NULL);
		char *e = feat_csv_double(num, scale > 0 ? w * scale : 1.0);

		*e++ = '\n';
		fwrite(line, 1, (size_t)(comma + 1 - line), R->out.f);
		fwrite(num, 1, (size_t)(e - num), R->out.f);
	}
	if (ferror(f))
		rc = -EIO;
	free(line);
	fclose(f);
	return rc;
}

/* The primary rule gave one side only (or none) over the whole input:
 * say why and name a rule that works here. */
static void warn_one_side(const struct run *R, uint64_t rows)
{
	const struct watch *w = &R->w;
	const struct args *a = &R->a;
	uint64_t ev = R->side_n[0] + R->side_n[1] + R->side_n[2] + R->no_side;
	const char *what = R->side_n[2] ? "long" : R->side_n[0] ? "short" : "none (dead zone)";
	size_t n_size = 0, n_size_const = 0;

	if (rows == 0 || ev == 0)
		return;
	fprintf(stderr, "%s: WARNING: the primary rule (%s, dead zone %g%s) gave every one of "
		"the %" PRIu64 " events the same side: %s", cli_prog(), a->primary,
		a->pp.threshold, a->pp.invert ? ", inverted" : "", ev, what);
	if (!w->prim_varies)
		fprintf(stderr, "; column %s is constant (%g) over the %" PRIu64 " rows", a->primary,
			w->prim0, rows);
	for (size_t i = 0; i < N_SIZE_COLS; i++)
		if (w->c_size[i] >= 0) {
			n_size++;
			n_size_const += !w->size_varies[i];
		}
	if (n_size && n_size_const == n_size)
		fprintf(stderr, "; every book-size feature (imb_*, micro_dev, wmid_dev, ofi_*) is "
			"constant: the input carries no book sizes (an MT5 tick export has none)");
	fputc('\n', stderr);
	for (size_t i = 0; i < N_PRICE_COLS; i++)
		if (w->c_price[i] >= 0 && w->price_pos[i] && w->price_neg[i] &&
		    strcmp(price_cols[i], a->primary) != 0) {
			fprintf(stderr, "%s: WARNING: a price-based rule works on this input: "
				"--primary-feature %s (it takes both signs here), or "
				"strategy.primary_feature: %s with strategy.threshold: 0 for "
				"--primary-from-config and the live strategy\n", cli_prog(),
				price_cols[i], price_cols[i]);
			return;
		}
	fprintf(stderr, "%s: WARNING: no price-based column (macd_hist, velocity, macd) takes "
		"both signs here either: the input may be too short or its price flat\n",
		cli_prog());
}

int main(int argc, char **argv)
{
	struct run R;
	struct args *a = &R.a;
	struct label_rec *pop = NULL;
	char err[512];
	int rc, code = 0;

	cli_set_prog("dm-label");
	memset(&R, 0, sizeof(R));
	label_params_default(&a->lp);
	primary_params_default(&a->pp);
	a->every = 1;
	if ((rc = parse_args(argc, argv, a)))
		return rc;

	/* ---- tick: option, else the configured instrument; the primary
	 * rule of the live strategy with --primary-from-config */
	static struct dm_config cfg;
	if (a->config) {
		if (rt_config_load_core(&cfg, a->config, err, sizeof(err)))
			return cli_fail(2, "%s", err);
	} else {
		config_defaults(&cfg);
	}
	if (!a->tick)
		a->tick = (double)cfg.instrument.tick_size_e6 / CFG_DEC_SCALE;
	if (a->primary_conf) {
		a->primary = cfg.strategy.primary_feature;
		a->pp.threshold = (double)cfg.strategy.threshold_e6 / CFG_DEC_SCALE;
		a->pp.invert = cfg.strategy.invert;
	}
	a->lp.tick = a->tick;
	if (label_params_check(&a->lp, err, sizeof(err)))
		return cli_usage_error("%s", err);

	/* ---- the output: a regular file or nothing (files.h), before any work */
	char terr[PATH_MAX + 128];
	if (files_check_target(a->output, terr, sizeof(terr)) < 0)
		return cli_fail(2, "--output %s", terr);

	/* ---- a DreamMaker journal is no CSV: say which it is */
	if (strcmp(a->input, "-") != 0) {
		char what[512], jerr[256];
		int k = feed_journal_kind(a->input, what, sizeof(what), jerr, sizeof(jerr));
		if (k == FEED_JK_MARKET)
			return cli_fail(2, "%s: a market journal, not a dm-features CSV: 'dm-features "
					"--input %s --output FEATURES.csv' makes one", a->input,
					a->input);
		if (k > 0)
			return cli_fail(2, "%s: %s; not a dm-features CSV (dm-label labels the rows "
					"of one)", a->input, what);
	}

	/* ---- input header: a CSV's first line, or a .npy's column file */
	R.in.name = strcmp(a->input, "-") ? a->input : "(stdin)";
	rc = strcmp(a->input, "-") ? npy_sniff(a->input) : 0;
	if (rc < 0)
		return cli_fail(rc == -ENOENT || rc == -EACCES || rc == -EISDIR ? 2 : 1,
				"%s: cannot open: %s", a->input, strerror(-rc));
	R.npy = rc == 1;
	char **names = NULL, **owned = NULL;  /* owned: the CSV's copies, nnames of them */
	int nc, nnames = 0;
	if (R.npy) {
		if ((rc = npy_open(&R.np, a->input, err, sizeof(err))))
			return cli_fail(rc == -ENOMEM || rc == -EIO ? 1 : 2, "%s", err);
		if (R.np.sh.cols > MAX_COLS) {
			code = cli_fail(2, "%s: %u columns, at most %u are read", R.in.name,
					R.np.sh.cols, MAX_COLS);
			goto close_in;
		}
		nc = (int)R.np.sh.cols;
		R.in.ncols = R.np.sh.cols;
		R.nrow = malloc(R.np.sh.cols * sizeof(double));
		if (!R.nrow) {
			code = cli_fail(1, "out of memory");
			goto close_in;
		}
		names = R.np.names;               /* the reader's, until npy_close */
	} else {
		R.in.f = strcmp(a->input, "-") ? fopen(a->input, "r") : stdin;
		if (!R.in.f)
			return cli_fail(errno == ENOENT || errno == EACCES || errno == EISDIR ? 2 : 1,
					"%s: cannot open: %s", a->input, strerror(errno));
		nc = csv_next(&R.in);
		if (nc < 0) {
			code = cli_fail(1, "%s: read error: %s", R.in.name, strerror(errno));
			goto close_in;
		}
		if (nc == 0) {
			code = cli_fail(2, "%s:1: empty file: expected a header (t_ns,mid,...)",
					R.in.name);
			goto close_in;
		}
		if (nc > MAX_COLS) {
			code = cli_fail(2, "%s:1: more than %u columns", R.in.name, MAX_COLS);
			goto close_in;
		}
		R.in.ncols = (uint32_t)nc;
		/* the header's names live in the line buffer: copy them out */
		names = owned = calloc((size_t)nc, sizeof(char *));
		if (!owned) {
			code = cli_fail(1, "out of memory");
			goto close_in;
		}
		for (; nnames < nc; nnames++)
			if (!(owned[nnames] = strdup(R.in.field[nnames]))) {
				code = cli_fail(1, "out of memory");
				goto free_names;
			}
	}
	for (int i = 0; i < nc; i++)
		R.in.field[i] = names[i];
	/* where the header is, for messages about a column */
	char hdr_at[PATH_MAX + 32];
	if (R.npy)
		snprintf(hdr_at, sizeof(hdr_at), "%s" NPY_COLUMNS_EXT, R.in.name);
	else
		snprintf(hdr_at, sizeof(hdr_at), "%s:1", R.in.name);

	int c_t = col_of(&R.in, "t_ns"), c_px, c_dev = -1, c_prim = -1;
	int c_sec = col_of(&R.in, "t_sec"), c_nsec = col_of(&R.in, "t_nsec");
	const char *px_name = a->price == PRICE_COLUMN ? a->price_col : "mid";
	c_px = col_of(&R.in, px_name);
	if (a->price == PRICE_MICRO || a->price == PRICE_WMID) {
		const char *dn = a->price == PRICE_MICRO ? "micro_dev" : "wmid_dev";

		if ((c_dev = col_of(&R.in, dn)) < 0) {
			code = cli_fail(2, "%s: no column '%s' in the header (needed by --price %s)",
					hdr_at, dn, a->price_col);
			goto free_names;
		}
	}
	if (R.npy && (c_sec < 0 || c_nsec < 0)) {
		code = cli_fail(2, "%s: no column '%s' (a dm-features .npy starts t_sec,t_nsec,"
				"mid,...)", hdr_at, c_sec < 0 ? "t_sec" : "t_nsec");
		goto free_names;
	}
	if ((!R.npy && c_t < 0) || c_px < 0) {
		code = cli_fail(2, "%s: no column '%s' in the header (a dm-features CSV starts "
				"t_ns,mid,micro_dev,...)", hdr_at, !R.npy && c_t < 0 ? "t_ns" : px_name);
		goto free_names;
	}
	if (a->primary) {
		if ((c_prim = col_of(&R.in, a->primary)) < 0) {
			code = cli_fail(2, "%s: no column '%s' in the header (--primary-feature)",
					hdr_at, a->primary);
			goto free_names;
		}
		int fi = primary_feature_index(a->primary);
		a->pp.feature = fi >= 0 ? (uint32_t)fi : a->pp.feature;
		R.w.on = 1;
		for (size_t i = 0; i < N_SIZE_COLS; i++)
			R.w.c_size[i] = col_of(&R.in, size_cols[i]);
		for (size_t i = 0; i < N_PRICE_COLS; i++)
			R.w.c_price[i] = col_of(&R.in, price_cols[i]);
	}

	/* ---- labeler and output files */
	size_t lsz = label_memsize(&a->lp);
	R.l = aligned_alloc(64, (lsz + 63) & ~(size_t)63);
	pop = malloc(POP_BURST * sizeof(*pop));
	size_t plen = strlen(a->output) + 48;
	R.tmp_raw = malloc(plen);
	R.tmp_out = malloc(plen);
	if (!R.l || !pop || !R.tmp_raw || !R.tmp_out) {
		code = cli_fail(1, "out of memory");
		goto free_all;
	}
	label_init(R.l, lsz, &a->lp);
	snprintf(R.tmp_raw, plen, "%s.tmp-%d-raw", a->output, (int)getpid());
	snprintf(R.tmp_out, plen, "%s.tmp-%d", a->output, (int)getpid());
	if ((rc = sink_open(&R.raw, R.tmp_raw))) {
		code = cli_fail(rc == -ENOENT || rc == -EACCES || rc == -EISDIR || rc == -ENOTDIR ? 2 : 1,
				"%s: cannot create (written as %s, then renamed): %s", a->output,
				R.tmp_raw, strerror(-rc));
		goto discard;
	}
	fprintf(R.raw.f, "t0_idx,t0_ns,t1_idx,t1_ns,label,barrier,ret,%suniq,w_ret\n",
		a->primary ? "side,meta," : "");

	/* ---- the run */
	struct label_cusum cu;
	uint64_t rows = 0;
	int64_t t_prev = INT64_MIN, t0 = cli_mono_ns(), last_progress = t0;
	int tty = isatty(2);

	label_cusum_init(&cu, a->cusum);
	for (;;) {
		char *end;
		double px, dev = 0, x = 0;
		int64_t t;
		int col = -1;

		if (R.npy) {
			if ((nc = npy_next(&R.np, R.nrow)) <= 0)
				break;
			snprintf(R.where, sizeof(R.where), "%s: row %" PRIu64, R.in.name, rows);
			/* t_ns = t_sec x 10^9 + t_nsec, both whole, t_nsec in [0, 10^9) */
			double ts = R.nrow[c_sec], tn = R.nrow[c_nsec];
			if (!(ts == floor(ts) && fabs(ts) < 9.2e9 && tn == floor(tn) && tn >= 0 &&
			      tn < 1e9)) {
				code = cli_fail(2, "%s: t_sec %.17g, t_nsec %.17g is no time (whole "
						"seconds and nanoseconds below 10^9)", R.where, ts, tn);
				goto discard;
			}
			t = (int64_t)ts * 1000000000 + (int64_t)tn;
			px = R.nrow[c_px];
			dev = c_dev >= 0 ? R.nrow[c_dev] : 0;
			x = c_prim >= 0 ? R.nrow[c_prim] : 0;
			c_t = c_sec;
		} else {
			if ((nc = csv_next(&R.in)) <= 0)
				break;
			snprintf(R.where, sizeof(R.where), "%s:%" PRIu64, R.in.name, R.in.lineno);
			if ((uint32_t)nc != R.in.ncols) {
				code = cli_fail(2, "%s: %d fields, the header has %u", R.where,
						nc > MAX_COLS ? MAX_COLS + 1 : nc, R.in.ncols);
				goto discard;
			}
			errno = 0;
			t = strtoll(R.in.field[c_t], &end, 10);
			if (end == R.in.field[c_t] || *end || errno) {
				col = c_t;
				goto bad_number;
			}
			if (cli_parse_double(R.in.field[c_px], &px)) {
				col = c_px;
				goto bad_number;
			}
			if (c_dev >= 0 && cli_parse_double(R.in.field[c_dev], &dev)) {
				col = c_dev;
				goto bad_number;
			}
			if (c_prim >= 0) {
				errno = 0;
				x = strtod(R.in.field[c_prim], &end);
				if (end == R.in.field[c_prim] || *end) {
					col = c_prim;
					goto bad_number;
				}
			}
		}
		if (t < t_prev) {
			code = cli_fail(2, "%s:%d: t_ns %" PRId64 " is before the previous row's %"
					PRId64 " (rows must be in time order)", R.where, c_t + 1, t,
					t_prev);
			goto discard;
		}
		px += dev * a->tick;
		if (!(px > 0)) {
			code = cli_fail(2, "%s:%d: price %.17g is not positive (column '%s'%s)",
					R.where, (c_dev >= 0 ? c_dev : c_px) + 1, px, names[c_px],
					c_dev >= 0 ? " with its deviation" : "");
			goto discard;
		}

		/* event and side */
		int event = a->cusum > 0 ? label_cusum_update(&cu, px) != 0 : rows % a->every == 0;
		int side = 0;
		if (event && c_prim >= 0) {
			side = primary_side(&a->pp, x);
			R.w.seen |= 1u << (side + 1);
			if (side == 0 && !a->keep_no_side) {
				event = 0;
				R.no_side++;
			}
		}
		if (event)
			R.side_n[side + 1]++;
		if (R.w.on) {
			if (__builtin_popcount(R.w.seen) > 1)
				R.w.on = 0;
			else
				watch_row(&R.w, &R, x, rows);
		}

		struct label_row row = { .t_ns = t, .px = px, .hi = NAN, .lo = NAN };
		rc = label_push(R.l, &row, event, side);
		if (rc == -ENOSPC) {
			pop_all(&R, pop);
			rc = label_push(R.l, &row, event, side);
		}
		if (rc == -ENOSPC) {
			code = cli_fail(1, "%s: labels stay open longer than the window of %u "
					"rows: raise --window", R.where, label_capacity(&a->lp));
			goto discard;
		}
		if (rc) {
			code = cli_fail(2, "%s: row refused by the labeler: %s", R.where,
					strerror(-rc));
			goto discard;
		}
		pop_all(&R, pop);
		t_prev = t;
		rows++;

		if (!a->quiet && (rows & 0xffff) == 0) {
			int64_t now = cli_mono_ns();

			if (now - last_progress >= (tty ? PROGRESS_NS : 10 * PROGRESS_NS)) {
				last_progress = now;
				fprintf(stderr, "%s%s: %s: %" PRIu64 " rows, %" PRIu64 " labels, "
					"%.0f rows/s%s", tty ? "\r" : "", cli_prog(), R.in.name, rows,
					label_stats(R.l)->popped,
					(double)rows / ((double)(now - t0) / 1e9), tty ? "" : "\n");
			}
		}
		continue;
bad_number:
		code = cli_fail(2, "%s:%d: column '%s': '%s' is not a number", R.where, col + 1,
				names[col], R.in.field[col]);
		goto discard;
	}
	if (!a->quiet && tty && last_progress != t0)
		fputc('\n', stderr);
	if (nc < 0) {
		code = cli_fail(1, "%s: read error: %s", R.in.name, R.npy ? "cut short" :
				strerror(errno));
		goto discard;
	}
	label_finish(R.l);
	pop_all(&R, pop);

	/* ---- second pass: normalised attribution weights */
	const struct label_stats *st = label_stats(R.l);
	double scale = label_attr_scale(st->sum_attr, st->popped);

	if ((rc = sink_close(&R.raw))) {
		code = cli_fail(1, "%s: write error: %s", R.tmp_raw, strerror(-rc));
		goto discard;
	}
	if ((rc = sink_open(&R.out, R.tmp_out))) {
		code = cli_fail(1, "%s: cannot create: %s", R.tmp_out, strerror(-rc));
		goto discard;
	}
	if ((rc = rescale(&R, scale))) {
		code = cli_fail(1, "%s: read error: %s", R.tmp_raw, strerror(-rc));
		goto discard;
	}
	if ((rc = sink_close(&R.out))) {
		code = cli_fail(1, "%s: write error: %s", R.tmp_out, strerror(-rc));
		goto discard;
	}
	/* fsync, rename, fsync the directory; tmp removed on failure */
	if ((rc = files_commit_tmp(R.tmp_out, a->output)) < 0) {
		code = cli_fail(rc == -EEXIST ? 2 : 1, "%s: cannot rename to %s: %s", R.tmp_out,
				a->output, files_strerror(rc));
		goto discard;
	}
	free(R.out.path);
	R.out.path = NULL;
	sink_discard(&R.raw);

	if (R.w.on)
		warn_one_side(&R, rows);

	/* ---- summary */
	if (a->json) {
		uint64_t n = st->popped;
		json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:{s:I, s:I, s:I}, "
				      "s:{s:I, s:I, s:I, s:I, s:I}, s:f, s:I, s:I}",
			"input", R.in.name, "output", a->output, "rows", (json_int_t)rows,
			"events", (json_int_t)st->events, "labels", (json_int_t)n,
			"by_label", "+1", (json_int_t)st->by_label[2], "0",
			(json_int_t)st->by_label[1], "-1", (json_int_t)st->by_label[0],
			"by_barrier", "pt", (json_int_t)st->by_barrier[LABEL_B_PT],
			"sl", (json_int_t)st->by_barrier[LABEL_B_SL],
			"vert", (json_int_t)st->by_barrier[LABEL_B_VERT],
			"tie", (json_int_t)st->by_barrier[LABEL_B_TIE],
			"end", (json_int_t)st->by_barrier[LABEL_B_END],
			"mean_uniqueness", n ? st->sum_uniq / (double)n : 0.0,
			"skipped", (json_int_t)st->skipped, "dropped", (json_int_t)st->dropped);
		if (j && a->primary)
			json_object_set_new(j, "primary", json_pack("{s:s, s:I, s:I, s:I, s:I}",
				"feature", a->primary, "long", (json_int_t)R.side_n[2],
				"short", (json_int_t)R.side_n[0], "no_side",
				(json_int_t)(a->keep_no_side ? R.side_n[1] : R.no_side),
				"meta1", (json_int_t)st->meta1));
		if (!j || json_dumpf(j, stdout, JSON_COMPACT) < 0 || fputc('\n', stdout) == EOF ||
		    fflush(stdout)) {
			json_decref(j);
			code = cli_fail(1, "cannot write the JSON summary");
			goto free_all;
		}
		json_decref(j);
	}
	if (!a->quiet && !a->json) {
		double secs = (double)(cli_mono_ns() - t0) / 1e9;
		uint64_t n = st->popped;

		fprintf(stderr, "%s: %s -> %s: %" PRIu64 " rows, %" PRIu64 " events, %" PRIu64
			" labels, %.2f s\n", cli_prog(), R.in.name, a->output, rows, st->events,
			n, secs);
		fprintf(stderr, "  labels  +1 %" PRIu64 "  0 %" PRIu64 "  -1 %" PRIu64
			"   barrier pt %" PRIu64 " sl %" PRIu64 " vert %" PRIu64 " tie %" PRIu64
			" end %" PRIu64 "\n", st->by_label[2], st->by_label[1], st->by_label[0],
			st->by_barrier[LABEL_B_PT], st->by_barrier[LABEL_B_SL],
			st->by_barrier[LABEL_B_VERT], st->by_barrier[LABEL_B_TIE],
			st->by_barrier[LABEL_B_END]);
		fprintf(stderr, "  mean uniqueness %.6f, skipped %" PRIu64 " (volatility warm-up"
			" or zero), dropped at the end %" PRIu64 "\n",
			n ? st->sum_uniq / (double)n : 0, st->skipped, st->dropped);
		if (a->primary)
			fprintf(stderr, "  primary %s: long %" PRIu64 ", short %" PRIu64 ", no side %"
				PRIu64 "%s; meta-label 1: %" PRIu64 " (%.1f%%)\n", a->primary,
				R.side_n[2], R.side_n[0], a->keep_no_side ? R.side_n[1] : R.no_side,
				a->keep_no_side ? " (labeled long)" : " (not labeled)", st->meta1,
				n ? 100.0 * (double)st->meta1 / (double)n : 0);
	}
	goto free_all;

discard:
	sink_discard(&R.out);
	sink_discard(&R.raw);
free_all:
	free(R.tmp_raw);
	free(R.tmp_out);
	free(pop);
	free(R.l);
free_names:
	for (int i = 0; i < nnames; i++)
		free(owned[i]);
	free(owned);
close_in:
	free(R.in.line);
	if (R.in.f && R.in.f != stdin)
		fclose(R.in.f);
	if (R.npy)
		npy_close(&R.np);
	free(R.nrow);
	return code;
}
