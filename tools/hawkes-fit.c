/*
 * dm-hawkes-fit — maximum-likelihood exponential-kernel Hawkes parameters
 * of trade (or order-flow) arrival times: univariate per type and the
 * joint model with cross-excitation (libcore/hawkes/fit.h;
 * docs/hawkes-fit.md).
 *
 *   dm-hawkes-fit --input FILE [--json] [--format F] [--types LIST]
 *                 [--model uni|multi|all] [--beta per-target|shared]
 *                 [--ties merge|keep] [--max-gap SEC] [--starts N]
 *                 [feed options: --tick T --lot Q --symbol S ...] [-c CONF]
 *                 [--quiet]
 *
 * Exit 0 on success, 1 on a runtime failure (out of memory, optimizer
 * failure), 2 on bad usage or bad input (unreadable or unknown file,
 * corrupt journal, bad CSV row, too few events).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/feed/feed.h"
#include "libcore/gen/gen.h"
#include "libcore/hawkes/fit.h"
#include "libcore/hawkes/lbfgsb.h"
#include "libcore/hawkes/series.h"
#include "libcore/journal/journal.h"

#define DEFAULT_TYPES "market_buy,market_sell"
#define MAX_TYPES     HSERIES_MAX_DIM

enum in_format { IN_AUTO = 0, IN_JOURNAL, IN_ORDERS, IN_FEED };
enum model_sel { MODEL_ALL = 0, MODEL_UNI, MODEL_MULTI };

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-hawkes-fit --input FILE [options]\n"
"\n"
"Maximum-likelihood fit of the exponential-kernel Hawkes process\n"
"  lambda_i(t) = mu_i + sum_{t_k < t} alpha[i][type_k] exp(-beta_i (t - t_k))\n"
"to event times: trades by aggressor side (buy-initiated, sell-initiated)\n"
"from a journal or a market-data feed, or order-flow types from dm-gen's\n"
"--orders CSV.  Fits each type alone (univariate) and all types jointly\n"
"(cross-excitation), with standard errors from the observed information,\n"
"the branching ratio (kept below 1), log-likelihood, AIC and the\n"
"Kolmogorov-Smirnov test of the time-rescaled residuals against Exp(1).\n"
"\n"
"  --input FILE     journal (dm-gen, dm-convert), dm-gen --orders CSV, or a\n"
"                   feed file (LOBSTER, MT5, NEG, Binance: docs/feeds.md)\n"
"  --json           one JSON document on stdout instead of text\n"
"  --format F       auto|journal|orders|lobster|mt5|neg|binance (default auto:\n"
"                   journal by magic, orders by its CSV header, else the feed\n"
"                   readers' detection)\n"
"  --types LIST     orders CSV only: comma-separated types, one dimension each\n"
"                   (default " DEFAULT_TYPES ")\n"
"  --model M        uni (each type alone), multi (all types jointly) or all\n"
"                   (default)\n"
"  --beta B         per-target (a decay per excited type, default) or shared\n"
"  --ties T         merge (default): trade prints with the same timestamp and\n"
"                   aggressor and no book update between them are one order;\n"
"                   keep: every print is an event (zero inter-arrival times)\n"
"  --max-gap SEC    a gap longer than SEC starts a new, independent segment\n"
"                   (nights, halts); default 1800, 0 = never split\n"
"  --starts N       optimizer starting points, 1..8 (default %u)\n"
"Feed files take the feed options of every tool (prices and sizes are not\n"
"used here, but a tick or lot that does not fit the data is refused):\n"
CLI_FEED_HELP
CLI_COMMON_HELP
"\n"
"exit: 0 ok, 1 runtime failure, 2 bad usage or bad input\n",
		HFIT_DEF_STARTS);
}

/* ------------------------------------------------------------ input */

struct input {
	const char *path;
	const char *format;               /* name printed */
	char *names[MAX_TYPES];
	uint32_t n_types;
	uint64_t records;                 /* events / rows read */
	uint64_t skipped;                 /* feed rows the reader refused */
};

/* First bytes of the file: journal magic, orders header, or neither. */
static int sniff(const char *path, enum in_format *fmt, char *err, size_t errlen)
{
	char buf[64] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		snprintf(err, errlen, "--input %s: %s", path, strerror(errno));
		return -errno;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n >= 8 && !memcmp(buf, JOURNAL_MAGIC, 8))
		*fmt = IN_JOURNAL;
	else if (!strncmp(buf, "seq,t_s,", 8))
		*fmt = IN_ORDERS;
	else
		*fmt = IN_FEED;
	return 0;
}

static int read_journal(struct hseries *s, struct input *in)
{
	struct journal_reader jr;
	struct event ev;
	int rc;

	char what[512], why[256];
	if (feed_journal_kind(in->path, what, sizeof(what), why, sizeof(why)) > 0)
		return cli_fail(2, "--input %s: %s; not market data: 'dm-journal %s --market "
				"JOURNAL' prints its rows", in->path, what, in->path);
	rc = journal_open_read(&jr, in->path, 0);
	if (rc)
		return cli_fail(2, "--input %s: not a readable journal: %s", in->path,
				dm_strerror(rc));
	while ((rc = journal_next_event(&jr, &ev)) == 1) {
		in->records++;
		rc = hseries_add_event(s, &ev);
		if (rc < 0) {
			journal_reader_close(&jr);
			return cli_fail(1, "--input %s: event %" PRIu64 ": %s", in->path,
					in->records, strerror(-rc));
		}
	}
	if (rc == 0 && journal_reader_torn_bytes(&jr))
		fprintf(stderr, "dm-hawkes-fit: %s: %" PRIu64 " bytes of a torn last record "
			"ignored (a writer stopped mid-record)\n", in->path,
			journal_reader_torn_bytes(&jr));
	if (rc < 0) {
		uint64_t off = journal_reader_bad_offset(&jr);
		journal_reader_close(&jr);
		return cli_fail(2, "--input %s: corrupt record at byte offset %" PRIu64
				" after %" PRIu64 " events: %s (dm-convert or a repair "
				"open can cut a torn tail)", in->path, off, in->records,
				dm_strerror(rc));
	}
	journal_reader_close(&jr);
	return 0;
}

/* A feed file, its instrument resolved by the rule every tool shares
 * (feed_resolve): the same --tick, --lot and defaults as dm-convert. */
static int read_feed(struct hseries *s, struct input *in, const struct cli_feed_args *fa,
		     const char *conf, int quiet)
{
	static struct feed_reader fr;
	static struct dm_config cfg;
	struct feed_instr conf_in;
	struct feed_want want;
	struct feed_plan plan;
	struct event ev;
	char err[FEED_ERR_LEN];
	int rc;

	if (conf) {
		if (rt_config_load_core(&cfg, conf, err, sizeof(err)))
			return cli_fail(2, "-c %s", err);
	} else {
		config_defaults(&cfg);
	}
	cli_feed_want(fa, &cfg, &conf_in, &want);
	if ((rc = feed_resolve(in->path, &want, &plan, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "--input: %s", err);
	rc = feed_open(&fr, in->path, plan.fmt, &plan.fo, err, sizeof(err));
	if (rc)
		return cli_fail(cli_exit_code(rc), "--input: %s", err);
	in->format = feed_format_name(feed_format_of(&fr));
	while ((rc = feed_next(&fr, &ev)) == 1) {
		in->records++;
		rc = hseries_add_event(s, &ev);
		if (rc < 0) {
			feed_close(&fr);
			return cli_fail(1, "--input %s: %s", in->path, strerror(-rc));
		}
	}
	if (rc < 0) {
		int code = rc == -DM_ECORRUPT ? 2 : 1;
		cli_fail(code, "--input: %s", feed_error(&fr));
		feed_close(&fr);
		return code;
	}
	{
		const struct feed_stats *st = feed_stats(&fr);
		in->skipped = st->skipped;
		if (st->skipped && !quiet)
			fprintf(stderr, "dm-hawkes-fit: %s: %" PRIu64 " bad rows skipped, "
				"first: %s\n", in->path, st->skipped,
				st->n_samples ? st->sample[0] : "?");
	}
	feed_close(&fr);
	return 0;
}

/* ------------------------------------------------------------ output */

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jvec(const double *v, uint32_t n)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, jnum(v[i]));
	return a;
}

static json_t *jmat(const double m[HAWKES_MAX_DIM][HAWKES_MAX_DIM], uint32_t n)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, jvec(m[i], n));
	return a;
}

static json_t *jparams(const struct hawkes_params *p)
{
	return json_pack("{s:o, s:o, s:o}", "mu_per_s", jvec(p->mu, p->dim),
			 "alpha_per_s", jmat(p->alpha, p->dim),
			 "beta_per_s", jvec(p->beta, p->dim));
}

struct model {
	const char *kind;             /* "univariate" / "multivariate" */
	uint32_t types[MAX_TYPES];    /* indices into input names */
	uint32_t dim;
	uint64_t n;
	double   secs;
	struct hfit_result r;
};

static void warnings(const struct model *m, const char **w, uint32_t *nw)
{
	*nw = 0;
	if (!m->r.converged)
		w[(*nw)++] = "optimizer stopped before its tolerance (see status)";
	if (m->r.rho_at_max)
		w[(*nw)++] = "branching ratio at its bound: the data look non-stationary "
			     "for this model (or the kernel is not exponential)";
	if (m->r.at_bound && !m->r.rho_at_max)
		w[(*nw)++] = "some parameters sit on a bound of the search box (an alpha at 0, "
			     "a beta at its limit): no standard error for them";
	if (!m->r.hess_ok)
		w[(*nw)++] = "information matrix not positive definite: no standard errors";
}

static json_t *model_json(const struct model *m, const struct input *in)
{
	const struct hfit_result *r = &m->r;
	json_t *o, *types = json_array(), *ks = json_array(), *warn = json_array();
	double G[HAWKES_MAX_DIM][HAWKES_MAX_DIM];
	const char *w[4];
	uint32_t nw;

	for (uint32_t i = 0; i < m->dim; i++) {
		json_array_append_new(types, json_string(in->names[m->types[i]]));
		json_array_append_new(ks, json_pack("{s:s, s:I, s:o, s:o, s:o}",
			"type", in->names[m->types[i]], "n", (json_int_t)r->ks[i].n,
			"stat", jnum(r->ks[i].stat), "p", jnum(r->ks[i].p),
			"mean_residual", jnum(r->ks[i].mean)));
		for (uint32_t j = 0; j < m->dim; j++)
			G[i][j] = r->p.alpha[i][j] / r->p.beta[i];
	}
	warnings(m, w, &nw);
	for (uint32_t k = 0; k < nw; k++)
		json_array_append_new(warn, json_string(w[k]));
	o = json_pack("{s:s, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o}",
		"model", m->kind, "types", types, "events", (json_int_t)m->n,
		"params", jparams(&r->p), "std_err", jparams(&r->se),
		"branching_matrix", jmat((const double (*)[HAWKES_MAX_DIM])G, m->dim),
		"branching_ratio", jnum(r->rho), "branching_ratio_se", jnum(r->rho_se),
		"loglik", jnum(r->loglik), "aic", jnum(r->aic),
		"loglik_poisson", jnum(r->loglik_poisson), "k", (int)r->k,
		"ks", ks, "warnings", warn);
	json_object_set_new(o, "optimizer", json_pack("{s:b, s:s, s:i, s:i, s:i, s:f, s:f}",
		"converged", (int)r->converged, "status", lbfgsb_status_name(r->status),
		"iterations", (int)r->iter, "evaluations", (int)r->evals,
		"starts", (int)r->starts, "projected_gradient", r->pg, "seconds", m->secs));
	return o;
}

static void fmt_se(char *buf, size_t n, double v)
{
	if (isfinite(v))
		snprintf(buf, n, "%.6g", v);
	else
		snprintf(buf, n, "-");
}

static void model_text(FILE *f, const struct model *m, const struct input *in, uint32_t beta_mode)
{
	const struct hfit_result *r = &m->r;
	char se[32], name[96];
	const char *w[4];
	uint32_t nw;

	fprintf(f, "\n%s", m->kind);
	if (m->dim > 1)
		fprintf(f, " (beta %s)", beta_mode == HFIT_BETA_SHARED ? "shared" : "per target");
	fprintf(f, ":");
	for (uint32_t i = 0; i < m->dim; i++)
		fprintf(f, "%s%s", i ? ", " : " ", in->names[m->types[i]]);
	fprintf(f, "  (%" PRIu64 " events, fitted in %.2f s)\n", m->n, m->secs);
	fprintf(f, "  %-34s %14s %12s\n", "parameter", "estimate", "std err");
	for (uint32_t i = 0; i < m->dim; i++) {
		const char *ni = in->names[m->types[i]];
		snprintf(name, sizeof(name), m->dim > 1 ? "mu[%s] 1/s" : "mu 1/s", ni);
		fmt_se(se, sizeof(se), r->se.mu[i]);
		fprintf(f, "  %-34s %14.6g %12s\n", name, r->p.mu[i], se);
		for (uint32_t j = 0; j < m->dim; j++) {
			if (m->dim > 1)
				snprintf(name, sizeof(name), "alpha[%s <- %s] 1/s", ni,
					 in->names[m->types[j]]);
			else
				snprintf(name, sizeof(name), "alpha 1/s");
			fmt_se(se, sizeof(se), r->se.alpha[i][j]);
			fprintf(f, "  %-34s %14.6g %12s\n", name, r->p.alpha[i][j], se);
		}
		if (m->dim == 1 || beta_mode != HFIT_BETA_SHARED || i == 0) {
			if (m->dim > 1 && beta_mode != HFIT_BETA_SHARED)
				snprintf(name, sizeof(name), "beta[%s] 1/s", ni);
			else
				snprintf(name, sizeof(name), "beta 1/s");
			fmt_se(se, sizeof(se), r->se.beta[i]);
			fprintf(f, "  %-34s %14.6g %12s\n", name, r->p.beta[i], se);
		}
	}
	fmt_se(se, sizeof(se), r->rho_se);
	fprintf(f, "  %-34s %14.6g %12s\n", m->dim > 1 ? "branching ratio (spectral radius)" :
		"branching ratio alpha/beta", r->rho, se);
	fprintf(f, "  loglik %.3f   AIC %.3f (k = %u)   Poisson loglik %.3f (LR %.1f)\n",
		r->loglik, r->aic, r->k, r->loglik_poisson, 2 * (r->loglik - r->loglik_poisson));
	for (uint32_t i = 0; i < m->dim; i++)
		fprintf(f, "  KS %-12s D = %.6f  p = %.4g  (%" PRIu64 " residuals, mean %.4f)\n",
			in->names[m->types[i]], r->ks[i].stat, r->ks[i].p, r->ks[i].n, r->ks[i].mean);
	fprintf(f, "  optimizer: %s (%s), %u iterations, %u evaluations, %u starts\n",
		r->converged ? "converged" : "NOT converged", lbfgsb_status_name(r->status),
		r->iter, r->evals, r->starts);
	warnings(m, w, &nw);
	for (uint32_t k = 0; k < nw; k++)
		fprintf(f, "  warning: %s\n", w[k]);
}

/* ------------------------------------------------------------ main */

/* Split list (modified) into in->names: distinct dm-gen type names. */
static int parse_types(char *list, struct input *in, char *err, size_t errlen)
{
	char *save = NULL;

	in->n_types = 0;
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t g;
		for (g = 0; g < GEN_NTYPES; g++)
			if (!strcmp(tok, gen_type_name(g)))
				break;
		if (g == GEN_NTYPES) {
			snprintf(err, errlen, "'%s' is not a dm-gen order type", tok);
			return -1;
		}
		for (uint32_t k = 0; k < in->n_types; k++)
			if (!strcmp(in->names[k], tok)) {
				snprintf(err, errlen, "'%s' is named twice", tok);
				return -1;
			}
		in->names[in->n_types++] = tok;
	}
	if (!in->n_types) {
		snprintf(err, errlen, "no type named");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input",   required_argument, 0, 'i' },
		{ "json",    no_argument,       0, 'j' },
		{ "types",   required_argument, 0, 'T' },
		{ "model",   required_argument, 0, 'm' },
		{ "beta",    required_argument, 0, 'b' },
		{ "ties",    required_argument, 0, 't' },
		{ "max-gap", required_argument, 0, 'g' },
		{ "starts",  required_argument, 0, 's' },
		CLI_FEED_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{ 0, 0, 0, 0 }
	};
	static char types_buf[512] = DEFAULT_TYPES;
	static char *trade_names[2] = { "buy", "sell" };
	struct input in = { 0 };
	enum in_format fmt = IN_AUTO;
	enum model_sel sel = MODEL_ALL;
	struct hfit_opts fo = { 0 };
	struct hseries s;
	struct model *models = NULL;
	uint32_t n_models = 0, ties = HSERIES_TIES_MERGE, types_given = 0;
	double max_gap = HSERIES_DEF_MAX_GAP, t0;
	struct cli_feed_args fa = { 0 };
	const char *conf = NULL;
	char err[512];
	int json = 0, quiet = 0, c, rc, code = 0;

	cli_set_prog("dm-hawkes-fit");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", opts, NULL)) != -1) {
		if (c == CLI_O_FORMAT) {
			if (!strcmp(optarg, "auto"))
				fmt = IN_AUTO;
			else if (!strcmp(optarg, "journal"))
				fmt = IN_JOURNAL;
			else if (!strcmp(optarg, "orders"))
				fmt = IN_ORDERS;
			else {
				int v = feed_format_parse(optarg);
				if (v <= 0 || v == FEED_JOURNAL)
					return cli_usage_error("--format '%s': expected auto, journal, "
							       "orders, lobster, mt5, neg or binance", optarg);
				fmt = IN_FEED;
				fa.format = v;
			}
			continue;
		}
		if ((rc = cli_feed_option(c, optarg, &fa)) == 1)
			continue;
		if (rc)
			return rc;
		switch (c) {
		case 'i': in.path = optarg; break;
		case 'j': json = 1; break;
		case 'c': conf = optarg; break;
		case CLI_O_QUIET: quiet = 1; break;
		case CLI_O_VERSION: return cli_version();
		case 'T':
			if (strlen(optarg) >= sizeof(types_buf))
				return cli_usage_error("--types: list too long");
			strcpy(types_buf, optarg);
			types_given = 1;
			break;
		case 'm':
			if (!strcmp(optarg, "all")) sel = MODEL_ALL;
			else if (!strcmp(optarg, "uni")) sel = MODEL_UNI;
			else if (!strcmp(optarg, "multi")) sel = MODEL_MULTI;
			else return cli_usage_error("--model '%s': expected uni, multi or all", optarg);
			break;
		case 'b':
			if (!strcmp(optarg, "per-target")) fo.beta_mode = HFIT_BETA_PER_TARGET;
			else if (!strcmp(optarg, "shared")) fo.beta_mode = HFIT_BETA_SHARED;
			else return cli_usage_error("--beta '%s': expected per-target or shared", optarg);
			break;
		case 't':
			if (!strcmp(optarg, "merge")) ties = HSERIES_TIES_MERGE;
			else if (!strcmp(optarg, "keep")) ties = HSERIES_TIES_KEEP;
			else return cli_usage_error("--ties '%s': expected merge or keep", optarg);
			break;
		case 'g':
			if (cli_parse_double(optarg, &max_gap) || max_gap < 0)
				return cli_usage_error("--max-gap '%s': expected seconds >= 0", optarg);
			if (max_gap == 0)
				max_gap = -1; /* never split */
			break;
		case 's': {
			long v;
			if (cli_parse_long(optarg, 1, 8, &v))
				return cli_usage_error("--starts '%s': expected 1..8", optarg);
			fo.starts = (uint32_t)v;
			break;
		}
		case 'h': usage(stdout); return 0;
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!in.path)
		return cli_usage_error("missing --input FILE");

	if (fmt == IN_AUTO || fmt == IN_JOURNAL || fmt == IN_ORDERS) {
		enum in_format seen;
		if (sniff(in.path, &seen, err, sizeof(err)))
			return cli_fail(2, "%s", err);
		if (fmt == IN_AUTO)
			fmt = seen;
		else if (fmt != seen)
			return cli_fail(2, "--input %s: not a%s (--format %s)", in.path,
					fmt == IN_JOURNAL ? " DreamMaker journal (no DMJRNL magic)" :
					" dm-gen --orders CSV (header seq,t_s,...)",
					fmt == IN_JOURNAL ? "journal" : "orders");
	}
	if (types_given && fmt != IN_ORDERS)
		return cli_usage_error("--types applies to dm-gen --orders CSV input only; "
				       "trades are typed by aggressor side (buy, sell)");

	t0 = cli_mono_s();
	if (fmt == IN_ORDERS) {
		if (parse_types(types_buf, &in, err, sizeof(err)))
			return cli_usage_error("--types: %s; expected distinct comma-separated names "
					       "among limit_buy, limit_sell, cancel_buy, cancel_sell, "
					       "market_buy, market_sell", err);
		in.format = "orders";
	} else {
		in.names[0] = trade_names[0];
		in.names[1] = trade_names[1];
		in.n_types = 2;
		in.format = "journal";
	}
	if (hseries_init(&s, in.n_types, max_gap, ties))
		return cli_fail(1, "internal: series refused its options");
	if (fmt == IN_ORDERS) {
		rc = hseries_load_orders(&s, in.path, (const char *const *)in.names,
					 in.n_types, err, sizeof(err));
		if (rc) {
			code = cli_fail(rc == -ENOMEM ? 1 : 2, "--input %s", err);
			goto free_series;
		}
		in.records = s.n;
	} else if (fmt == IN_JOURNAL) {
		if ((code = read_journal(&s, &in)))
			goto free_series;
	} else {
		if ((code = read_feed(&s, &in, &fa, conf, quiet)))
			goto free_series;
	}
	for (uint32_t i = 0; i < in.n_types; i++)
		if (s.count[i] < HFIT_MIN_EVENTS) {
			char why[96] = "";
			if (fmt != IN_ORDERS)
				snprintf(why, sizeof(why), " (of %" PRIu64 " trades, %" PRIu64
					 " without an aggressor side)", s.trades, s.no_side);
			code = cli_fail(2, "--input %s: %" PRIu64 " %s events%s; at least %u per type "
					"are needed to fit", in.path, s.count[i], in.names[i], why,
					HFIT_MIN_EVENTS);
			goto free_series;
		}
	if (!json && !quiet)
		fprintf(stderr, "dm-hawkes-fit: read %s in %.2f s\n", in.path, cli_mono_s() - t0);

	/* models: univariate per type, then the joint one */
	models = calloc(in.n_types + 1, sizeof(*models));
	if (!models) {
		code = cli_fail(1, "out of memory");
		goto free_series;
	}
	if (sel != MODEL_MULTI || in.n_types == 1)
		for (uint32_t i = 0; i < in.n_types; i++) {
			models[n_models].kind = "univariate";
			models[n_models].dim = 1;
			models[n_models].types[0] = i;
			n_models++;
		}
	if (sel != MODEL_UNI && in.n_types > 1) {
		models[n_models].kind = in.n_types == 2 ? "bivariate" : "multivariate";
		models[n_models].dim = in.n_types;
		for (uint32_t i = 0; i < in.n_types; i++)
			models[n_models].types[i] = i;
		n_models++;
	}
	for (uint32_t k = 0; k < n_models; k++) {
		struct model *m = &models[k];
		struct hseries one;
		const struct hseries *src = &s;

		if (m->dim == 1 && in.n_types > 1) {
			if (hseries_select(&one, &s, m->types[0])) {
				code = cli_fail(1, "out of memory");
				goto free_models;
			}
			src = &one;
		}
		t0 = cli_mono_s();
		rc = hfit_fit(src, &fo, &m->r);
		m->secs = cli_mono_s() - t0;
		m->n = src->n;
		if (src != &s)
			hseries_free(&one);
		if (rc) {
			code = cli_fail(rc == -EINVAL ? 2 : 1, "%s fit of %s: %s", m->kind, in.path,
					rc == -EINVAL ? "too few events or an empty window" :
					rc == -EDOM ? "no starting point with a finite likelihood" :
					strerror(-rc));
			goto free_models;
		}
		if (!json && !quiet)
			fprintf(stderr, "dm-hawkes-fit: %s fit %u/%u done in %.2f s\n",
				m->kind, k + 1, n_models, m->secs);
	}

	if (json) {
		json_t *root, *counts = json_object(), *arr = json_array();
		for (uint32_t i = 0; i < in.n_types; i++)
			json_object_set_new(counts, in.names[i], json_integer((json_int_t)s.count[i]));
		for (uint32_t k = 0; k < n_models; k++)
			json_array_append_new(arr, model_json(&models[k], &in));
		root = json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:f},"
				 " s:s, s:s, s:o, s:o}",
			"input", in.path, "format", in.format,
			"data", "records", (json_int_t)in.records, "trades", (json_int_t)s.trades,
			"events", (json_int_t)s.n, "merged_prints", (json_int_t)s.merged,
			"no_aggressor", (json_int_t)s.no_side, "back_in_time", (json_int_t)s.back_in_time,
			"zero_gaps", (json_int_t)s.zero_gaps, "segments", (json_int_t)s.n_seg,
			"counts", counts, "bad_rows_skipped", (json_int_t)in.skipped, "observed_s", hseries_total_s(&s),
			"ties", ties == HSERIES_TIES_MERGE ? "merge" : "keep",
			"beta_mode", fo.beta_mode == HFIT_BETA_SHARED ? "shared" : "per-target",
			"max_gap_s", max_gap > 0 ? json_real(max_gap) : json_null(),
			"models", arr);
		if (!root || json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12))) {
			json_decref(root);
			code = cli_fail(1, "writing JSON to stdout failed");
			goto free_models;
		}
		putchar('\n');
		json_decref(root);
	} else {
		printf("dm-hawkes-fit: %s (%s)\n", in.path, in.format);
		if (fmt != IN_ORDERS)
			printf("  %" PRIu64 " records, %" PRIu64 " trades -> %" PRIu64 " events "
			       "(%" PRIu64 " prints merged: same time and side, --ties %s; "
			       "%" PRIu64 " without aggressor dropped)\n",
			       in.records, s.trades, s.n, s.merged,
			       ties == HSERIES_TIES_MERGE ? "merge" : "keep", s.no_side);
		else
			printf("  %" PRIu64 " events of the selected types\n", s.n);
		printf("  %u segment%s, %.1f s observed, %" PRIu64 " zero inter-arrival times;",
		       s.n_seg, s.n_seg == 1 ? "" : "s", hseries_total_s(&s), s.zero_gaps);
		for (uint32_t i = 0; i < in.n_types; i++)
			printf(" %s %" PRIu64, in.names[i], s.count[i]);
		printf("\n");
		for (uint32_t k = 0; k < n_models; k++)
			model_text(stdout, &models[k], &in, fo.beta_mode);
	}
	if (fflush(stdout))
		code = cli_fail(1, "writing stdout: %s", strerror(errno));
free_models:
	free(models);
free_series:
	hseries_free(&s);
	return code;
}
