/*
 * dm-search — hyperparameter search over the live strategy, each trial
 * scored by combinatorial purged cross-validation on the backtest (dm-cv),
 * resumable, on this machine or as Slurm job arrays (docs/research.md).
 *
 *   dm-search --input FILE [feed options] [-c CONF ...] [--model-conf F ...]
 *             --space SPACE.yaml --trials N [--jobs J] [--executor local|slurm]
 *             [--seed N] [--out DIR] [--resume] [--promote] [--json] [--quiet]
 *
 * The space file names keys of the run configuration (conf/default.yaml:
 * "strategy.min_prob") and of the training parameters (conf/model.yaml,
 * prefixed "model.": "model.max_depth") with a law each: uniform [lo, hi],
 * log_uniform [lo, hi], int [lo, hi] or choice [a, b, ...].  Trial t's
 * values come from (seed, t) alone, so a trial is the same whatever ran
 * before it.
 *
 * Successive halving.  The budget is the number of CPCV groups: rung 0
 * runs every trial with rungs[0] groups; the best `keep` share of a rung
 * (by the median Sharpe ratio of its CPCV paths; ties: the lower trial)
 * goes on to the next rung's larger budget.  The trials of a rung run at
 * once (up to --jobs at a time, or one job array); promotion waits for the
 * whole rung, so the result does not depend on which trial finished first:
 * a resumed search, a local and a Slurm search with the same seed agree.
 *
 * Files in DIR: search.json (the plan: input and its digest, space, seed,
 * trials; a resume must find the same), trials/tNNN/{conf,model}.yaml (a
 * trial's files, over the base ones), trials/tNNN-rR/ (dm-cv's output for
 * trial NNN at rung R; its cv.json, written last, says the run is done),
 * batch-rR.json (the rung's command lines, read by the tasks), logs/,
 * trials.csv (a row per trial and rung, rewritten atomically after each
 * rung) and result.json (the best trial; the deflated Sharpe ratio and
 * PBO over every trial of rung 0).  --promote trains the best trial's
 * model on every sample and writes DIR/promoted/{model.json, config.yaml,
 * model.yaml, promotion.json}: `-c DIR/promoted/config.yaml` over the
 * base configuration trades it.
 *
 *   dm-search --run-task I --batch FILE   (what the executor runs: task I
 *                                           of a rung, one dm-cv)
 *
 * Exit 0 with a result; 1 on a runtime failure (trials failed: --resume
 * runs them again) or no result; 2 on bad usage, a bad space file (file,
 * line, column and key named) or input.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml.h>

#include "agents/rt/view.h"
#include "libcore/backtest/bt_setup.h"
#include "libcore/cli/cli.h"
#include "libcore/model/digest.h"
#include "libcore/model/xgb.h"
#include "libcore/validate/validate.h"
#include "tools/lib/executor.h"
#include "tools/lib/files.h"

#define MAX_PARAMS  32u
#define MAX_CHOICES 16u
#define MAX_RUNGS   6u
#define MAX_TRIALS  1000u    /* a Slurm array's indexes stay below 1001 */
#define KEY_MAX     64u
#define VAL_MAX     64u

enum law { LAW_UNIFORM, LAW_LOG_UNIFORM, LAW_INT, LAW_CHOICE };
static const char *const law_names[] = { "uniform", "log_uniform", "int", "choice" };

struct param {
	char key[KEY_MAX];        /* as written: "strategy.min_prob", "model.eta" */
	int model;                /* 1: a conf/model.yaml key (after "model.") */
	enum law law;
	double lo, hi;
	char choice[MAX_CHOICES][VAL_MAX];
	uint32_t n_choice;
	size_t line, col;
};

struct space {
	char path[PATH_MAX];
	struct param p[MAX_PARAMS];
	uint32_t n;
	uint32_t rungs[MAX_RUNGS], test_groups[MAX_RUNGS], n_rungs;
	double keep;
	char sample_every[32], embargo[32];
	uint64_t seed;
	int have_seed;
};

enum { O_SPACE = 0x200, O_TRIALS, O_JOBS, O_EXECUTOR, O_SEED, O_OUT, O_RESUME, O_PROMOTE,
       O_RUN_TASK, O_BATCH, O_MODEL_CONF, O_PARTITION, O_SBATCH };

struct args {
	const char *input, *space, *out, *batch, *partition, *sbatch_extra;
	const char *configs[BT_MAX_CONFIGS], *model_confs[BT_MAX_CONFIGS];
	uint32_t n_configs, n_model_confs;
	struct cli_feed_args feed;
	uint32_t trials, jobs, run_task;
	uint64_t seed;
	int have_seed, have_run_task, resume, promote, json, quiet;
	enum executor_kind executor;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-search --input FILE --space SPACE.yaml --trials N [options]\n"
"\n"
"Hyperparameter search over the live strategy (docs/research.md): random\n"
"trials from the space, each scored by dm-cv (combinatorial purged\n"
"cross-validation on the backtest: the median Sharpe ratio of its paths),\n"
"successive halving on the number of CPCV groups, resumable; the deflated\n"
"Sharpe ratio and the probability of backtest overfitting of the best.\n"
"\n"
"  --input FILE        market data (any supported format)\n"
"  --space F           the search space (YAML; docs/research.md)\n"
"  --trials N          trials at the first rung, 2..%u\n"
"  --jobs J            trials at once (local), the array's throttle (slurm);\n"
"                      default 1\n"
"  --executor E        local (default) or slurm: each rung one job array\n"
"  --partition P       slurm: the partition (default the cluster's)\n"
"  --sbatch-extra S    slurm: more sbatch options (\"--time=30 --mem=2G\")\n"
"  --seed N            the trials' draws (default the space's seed, else 1)\n"
"  --out DIR           output directory (default system.run_dir + '-search')\n"
"  --resume            go on with the search in DIR (same plan): finished\n"
"                      trials are kept, failed and missing ones run\n"
"  --promote           train the best trial's model on every sample and write it\n"
"                      with its configuration to DIR/promoted/\n"
"  --model-conf F      base training parameters (default conf/model.yaml); again:\n"
"                      each file over the ones before it\n"
"  -c F -c G ...       base configuration: each file over the ones before it\n"
"  --json              result.json on standard output too\n"
CLI_FEED_HELP
CLI_COMMON_HELP
"\n"
"Writes DIR/trials.csv, DIR/result.json, DIR/search.json and each trial's dm-cv\n"
"output under DIR/trials/.  Exit 0 with a result, 1 on a runtime failure or no\n"
"result, 2 on bad usage, a bad space file or bad input.\n",
		MAX_TRIALS);
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "space", required_argument, NULL, O_SPACE },
		{ "trials", required_argument, NULL, O_TRIALS },
		{ "jobs", required_argument, NULL, O_JOBS },
		{ "executor", required_argument, NULL, O_EXECUTOR },
		{ "partition", required_argument, NULL, O_PARTITION },
		{ "sbatch-extra", required_argument, NULL, O_SBATCH },
		{ "seed", required_argument, NULL, O_SEED },
		{ "out", required_argument, NULL, O_OUT },
		{ "resume", no_argument, NULL, O_RESUME },
		{ "promote", no_argument, NULL, O_PROMOTE },
		{ "model-conf", required_argument, NULL, O_MODEL_CONF },
		{ "run-task", required_argument, NULL, O_RUN_TASK },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "json", no_argument, NULL, CLI_O_JSON },
		CLI_FEED_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;
	long v;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", lo, NULL)) != -1) {
		if ((rc = cli_feed_option(c, optarg, &a->feed)) == 1)
			continue;
		if (rc)
			return rc;
		switch (c) {
		case 'i': a->input = optarg; break;
		case 'c':
			if ((rc = cli_add_file("-c", optarg, a->configs, &a->n_configs,
						 BT_MAX_CONFIGS)))
				return rc;
			break;
		case O_MODEL_CONF:
			if ((rc = cli_add_file("--model-conf", optarg, a->model_confs,
						 &a->n_model_confs, BT_MAX_CONFIGS)))
				return rc;
			break;
		case O_SPACE: a->space = optarg; break;
		case O_OUT: a->out = optarg; break;
		case O_BATCH: a->batch = optarg; break;
		case O_PARTITION: a->partition = optarg; break;
		case O_SBATCH: a->sbatch_extra = optarg; break;
		case O_RESUME: a->resume = 1; break;
		case O_PROMOTE: a->promote = 1; break;
		case O_TRIALS:
			if (cli_parse_u32(optarg, 2, MAX_TRIALS, &a->trials))
				return cli_usage_error("--trials '%s': a whole number 2..%u", optarg,
						       MAX_TRIALS);
			break;
		case O_JOBS:
			if (cli_parse_u32(optarg, 1, 1024, &a->jobs))
				return cli_usage_error("--jobs '%s': a whole number 1..1024", optarg);
			break;
		case O_EXECUTOR:
			if (executor_kind_parse(optarg, &a->executor) < 0)
				return cli_usage_error("--executor '%s': local or slurm", optarg);
			break;
		case O_SEED:
			if (cli_parse_long(optarg, 0, LONG_MAX, &v))
				return cli_usage_error("--seed '%s': a whole number >= 0", optarg);
			a->seed = (uint64_t)v;
			a->have_seed = 1;
			break;
		case O_RUN_TASK:
			if (cli_parse_u32(optarg, 0, MAX_TRIALS, &a->run_task))
				return cli_usage_error("--run-task '%s': a task index", optarg);
			a->have_run_task = 1;
			break;
		case CLI_O_JSON: a->json = 1; break;
		case CLI_O_QUIET: a->quiet = 1; break;
		case CLI_O_VERSION: exit(cli_version());
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->have_run_task) {
		if (!a->batch)
			return cli_usage_error("--run-task needs --batch FILE");
		return 0;
	}
	if (!a->input)
		return cli_usage_error("--input FILE is required");
	if (!a->space)
		return cli_usage_error("--space FILE is required");
	if (!a->trials)
		return cli_usage_error("--trials N is required");
	return 0;
}

/* ------------------------------------------------------------ files */

/* dst (n bytes) = src, cut to fit. */
static void cpy(char *dst, size_t n, const char *src)
{
	size_t k = strnlen(src, n - 1);
	memcpy(dst, src, k);
	dst[k] = '\0';
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* ------------------------------------------------------------ the space file */

struct yctx {
	const char *path;
	yaml_document_t doc;
};

static int space_fail(const struct yctx *y, const yaml_node_t *n, const char *key,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int space_fail(const struct yctx *y, const yaml_node_t *n, const char *key,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		fprintf(stderr, "%s: %s:%zu:%zu: key '%s': %s\n", cli_prog(), y->path,
			n->start_mark.line + 1, n->start_mark.column + 1, key, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", cli_prog(), y->path, msg);
	return 2;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int num_of(const struct yctx *y, const yaml_node_t *n, const char *key, double *out)
{
	const char *s = scalar(n);
	if (!s || cli_parse_double(s, out))
		return space_fail(y, n, key, "'%s' is not a number", s ? s : "(not a scalar)");
	return 0;
}

/* One law: {uniform: [lo, hi]} and the like. */
static int parse_law(const struct yctx *y, yaml_node_t *v, struct param *p)
{
	yaml_document_t *d = (yaml_document_t *)&y->doc;
	if (v->type != YAML_MAPPING_NODE || v->data.mapping.pairs.top - v->data.mapping.pairs.start != 1)
		return space_fail(y, v, p->key, "a law with its bounds: {uniform: [lo, hi]}, "
				  "{log_uniform: [lo, hi]}, {int: [lo, hi]} or {choice: [a, b, ...]}");
	yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	yaml_node_t *k = yaml_document_get_node(d, pr->key), *b = yaml_document_get_node(d, pr->value);
	const char *name = scalar(k);
	int law = -1;
	for (int i = 0; name && i < 4; i++)
		if (strcmp(name, law_names[i]) == 0)
			law = i;
	if (law < 0)
		return space_fail(y, k, p->key, "unknown law '%s' (uniform, log_uniform, int, "
				  "choice)", name ? name : "?");
	p->law = (enum law)law;
	if (b->type != YAML_SEQUENCE_NODE)
		return space_fail(y, b, p->key, "the %s law takes a list: [...]", name);
	size_t n = (size_t)(b->data.sequence.items.top - b->data.sequence.items.start);
	if (p->law == LAW_CHOICE) {
		if (n < 1 || n > MAX_CHOICES)
			return space_fail(y, b, p->key, "a choice of 1..%u values", MAX_CHOICES);
		for (size_t i = 0; i < n; i++) {
			const char *s = scalar(yaml_document_get_node(d, b->data.sequence.items.start[i]));
			if (!s || !*s || strlen(s) >= VAL_MAX)
				return space_fail(y, b, p->key, "choice %zu is not a short scalar", i + 1);
			cpy(p->choice[i], VAL_MAX, s);
		}
		p->n_choice = (uint32_t)n;
		return 0;
	}
	if (n != 2)
		return space_fail(y, b, p->key, "the %s law takes [lo, hi]", name);
	yaml_node_t *a0 = yaml_document_get_node(d, b->data.sequence.items.start[0]);
	yaml_node_t *a1 = yaml_document_get_node(d, b->data.sequence.items.start[1]);
	int rc;
	if ((rc = num_of(y, a0, p->key, &p->lo)) || (rc = num_of(y, a1, p->key, &p->hi)))
		return rc;
	if (!(p->lo <= p->hi))
		return space_fail(y, b, p->key, "lo %g above hi %g", p->lo, p->hi);
	if (p->law == LAW_LOG_UNIFORM && !(p->lo > 0))
		return space_fail(y, b, p->key, "log_uniform needs lo > 0");
	if (p->law == LAW_INT && (p->lo != floor(p->lo) || p->hi != floor(p->hi)))
		return space_fail(y, b, p->key, "int takes whole bounds");
	return 0;
}

static int parse_uint_list(const struct yctx *y, yaml_node_t *v, const char *key, uint32_t lo,
			   uint32_t hi, uint32_t *out, uint32_t *n)
{
	yaml_document_t *d = (yaml_document_t *)&y->doc;
	if (v->type != YAML_SEQUENCE_NODE)
		return space_fail(y, v, key, "a list of whole numbers [%u..%u]", lo, hi);
	size_t k = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (k < 1 || k > MAX_RUNGS)
		return space_fail(y, v, key, "1..%u entries", MAX_RUNGS);
	for (size_t i = 0; i < k; i++) {
		yaml_node_t *e = yaml_document_get_node(d, v->data.sequence.items.start[i]);
		const char *s = scalar(e);
		if (!s || cli_parse_u32(s, lo, hi, &out[i]))
			return space_fail(y, e, key, "'%s' is not a whole number %u..%u", s ? s : "?",
					  lo, hi);
	}
	*n = (uint32_t)k;
	return 0;
}

static int parse_space(const char *path, struct space *sp)
{
	struct yctx y = { .path = path };
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->path, sizeof(sp->path), "%s", path);
	sp->rungs[0] = 3;
	sp->rungs[1] = 6;
	sp->n_rungs = 2;
	sp->keep = 0.5;
	sp->seed = 1;
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s: cannot open: %s\n", cli_prog(), path, strerror(errno));
		return 2;
	}
	yaml_parser_t ps;
	yaml_parser_initialize(&ps);
	yaml_parser_set_input_file(&ps, f);
	int code = 0;
	if (!yaml_parser_load(&ps, &y.doc)) {
		fprintf(stderr, "%s: %s:%zu:%zu: %s\n", cli_prog(), path, ps.problem_mark.line + 1,
			ps.problem_mark.column + 1, ps.problem ? ps.problem : "YAML error");
		yaml_parser_delete(&ps);
		fclose(f);
		return 2;
	}
	yaml_node_t *root = yaml_document_get_root_node(&y.doc);
	uint32_t n_tg = 0;
	if (!root || root->type != YAML_MAPPING_NODE) {
		code = space_fail(&y, root, "", "the space is a mapping with params: (and rungs:, "
				  "keep:, seed:, ...)");
		goto done;
	}
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     !code && pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&y.doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(&y.doc, pr->value);
		const char *name = scalar(k);
		double d;
		if (!name) {
			code = space_fail(&y, k, "?", "a key must be a scalar");
		} else if (!strcmp(name, "seed")) {
			long s;
			if (!scalar(v) || cli_parse_long(scalar(v), 0, LONG_MAX, &s))
				code = space_fail(&y, v, name, "a whole number >= 0");
			sp->seed = (uint64_t)s;
			sp->have_seed = 1;
		} else if (!strcmp(name, "keep")) {
			if (!(code = num_of(&y, v, name, &d)) && !(d > 0 && d <= 1))
				code = space_fail(&y, v, name, "a share in (0, 1]");
			sp->keep = d;
		} else if (!strcmp(name, "rungs")) {
			code = parse_uint_list(&y, v, name, 2, 16, sp->rungs, &sp->n_rungs);
			for (uint32_t i = 1; !code && i < sp->n_rungs; i++)
				if (sp->rungs[i] <= sp->rungs[i - 1])
					code = space_fail(&y, v, name, "the groups grow from rung to rung");
		} else if (!strcmp(name, "test_groups")) {
			code = parse_uint_list(&y, v, name, 1, 15, sp->test_groups, &n_tg);
		} else if (!strcmp(name, "sample_every") || !strcmp(name, "embargo")) {
			int64_t ns;
			const char *s = scalar(v);
			if (!s || cli_parse_duration_ns(s, &ns) || strlen(s) >= 32)
				code = space_fail(&y, v, name, "a duration with its unit (0, 500ms, 1s)");
			else
				snprintf(!strcmp(name, "embargo") ? sp->embargo : sp->sample_every, 32,
					 "%s", s);
		} else if (!strcmp(name, "params")) {
			if (v->type != YAML_MAPPING_NODE) {
				code = space_fail(&y, v, name, "a mapping of key: {law: [...]}");
				break;
			}
			for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
			     !code && q < v->data.mapping.pairs.top; q++) {
				yaml_node_t *pk = yaml_document_get_node(&y.doc, q->key);
				yaml_node_t *pv = yaml_document_get_node(&y.doc, q->value);
				const char *key = scalar(pk);
				if (sp->n == MAX_PARAMS) {
					code = space_fail(&y, pk, "params", "at most %u keys", MAX_PARAMS);
					break;
				}
				if (!key || !strchr(key, '.') || strlen(key) >= KEY_MAX) {
					code = space_fail(&y, pk, key ? key : "?", "a dotted key of the "
							  "configuration (strategy.min_prob) or of the "
							  "training parameters (model.max_depth)");
					break;
				}
				struct param *p = &sp->p[sp->n];
				snprintf(p->key, sizeof(p->key), "%s", key);
				p->model = strncmp(key, "model.", 6) == 0;
				p->line = pk->start_mark.line + 1;
				p->col = pk->start_mark.column + 1;
				for (uint32_t i = 0; i < sp->n; i++)
					if (!strcmp(sp->p[i].key, key))
						code = space_fail(&y, pk, key, "listed twice");
				if (!code)
					code = parse_law(&y, pv, p);
				sp->n++;
			}
		} else {
			code = space_fail(&y, k, name, "unknown key (params, rungs, test_groups, keep, "
					  "seed, sample_every, embargo)");
		}
	}
	if (!code && sp->n == 0)
		code = space_fail(&y, root, "params", "no parameter to search");
	if (!code && n_tg && n_tg != sp->n_rungs)
		code = space_fail(&y, root, "test_groups", "one entry per rung (%u)", sp->n_rungs);
	for (uint32_t r = 0; !code && r < sp->n_rungs; r++) {
		if (!n_tg)
			sp->test_groups[r] = sp->rungs[r] >= 6 ? 2 : 1;
		if (sp->test_groups[r] >= sp->rungs[r])
			code = space_fail(&y, root, "test_groups", "rung %u: %u test groups of %u", r,
					  sp->test_groups[r], sp->rungs[r]);
	}
done:
	yaml_document_delete(&y.doc);
	yaml_parser_delete(&ps);
	fclose(f);
	return code;
}

/* ------------------------------------------------------------ trials */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1) of (seed, trial, parameter): a trial's draws do not
 * depend on the others. */
static double draw(uint64_t seed, uint32_t trial, uint32_t param)
{
	uint64_t s = seed ^ ((uint64_t)trial << 32 | param) * 0xd1b54a32d192ed03ull;
	splitmix(&s);
	return (double)(splitmix(&s) >> 11) * 0x1p-53;
}

/* Parameter p's value in trial t, as YAML text. */
static void value_of(const struct space *sp, uint64_t seed, uint32_t t, uint32_t i, char *out,
		     size_t n)
{
	const struct param *p = &sp->p[i];
	double u = draw(seed, t, i);
	switch (p->law) {
	case LAW_UNIFORM:
	case LAW_LOG_UNIFORM: {
		double v = p->law == LAW_UNIFORM ? p->lo + u * (p->hi - p->lo) :
			   exp(log(p->lo) + u * (log(p->hi) - log(p->lo)));
		snprintf(out, n, "%.6f", v);
		/* trailing zeros off, so "0.500000" reads 0.5 */
		char *e = out + strlen(out) - 1;
		while (e > out && *e == '0')
			*e-- = '\0';
		if (*e == '.')
			*e = '\0';
		break;
	}
	case LAW_INT: {
		double span = p->hi - p->lo + 1;
		long long v = (long long)p->lo + (long long)floor(u * span);
		snprintf(out, n, "%lld", v > (long long)p->hi ? (long long)p->hi : v);
		break;
	}
	case LAW_CHOICE:
		snprintf(out, n, "%s", p->choice[(uint32_t)(u * p->n_choice) % p->n_choice]);
		break;
	}
}

/* A YAML scalar as written: bare when plain, else double-quoted. */
static void yaml_scalar(FILE *f, const char *v)
{
	int plain = *v != '\0';
	for (const char *c = v; *c; c++)
		if (!(isalnum((unsigned char)*c) || strchr("._-+/", *c)))
			plain = 0;
	if (plain) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (const char *c = v; *c; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', f);
		fputc(*c, f);
	}
	fputc('"', f);
}

/* Dotted keys (sorted) as nested YAML mappings. */
static void write_nested(FILE *f, char keys[][KEY_MAX], char vals[][VAL_MAX], uint32_t n)
{
	char prev[KEY_MAX] = "";
	for (uint32_t i = 0; i < n; i++) {
		/* the shared prefix with the previous key, by whole components */
		const char *k = keys[i];
		size_t common = 0, j = 0;
		while (k[j] && prev[j] == k[j]) {
			if (k[j] == '.')
				common = j + 1;
			j++;
		}
		int depth = 0;
		for (size_t q = 0; q < common; q++)
			depth += k[q] == '.';
		const char *part = k + common;
		for (;;) {
			const char *dot = strchr(part, '.');
			fprintf(f, "%*s", 2 * depth, "");
			if (!dot) {
				fprintf(f, "%s: ", part);
				yaml_scalar(f, vals[i]);
				fputc('\n', f);
				break;
			}
			fprintf(f, "%.*s:\n", (int)(dot - part), part);
			part = dot + 1;
			depth++;
		}
		snprintf(prev, sizeof(prev), "%s", k);
	}
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The model keys a kind refuses (conf/model.yaml): a trial drawing rf
 * drops gbdt's, and the other way round. */
static int kind_refuses(const char *kind, const char *key)
{
	static const char *const gbdt_only[] = { "rounds", "early_stopping_rounds", "eta" };
	if (kind && !strcmp(kind, "rf")) {
		for (size_t i = 0; i < 3; i++)
			if (!strcmp(key, gbdt_only[i]))
				return 1;
	} else if (kind && !strcmp(kind, "gbdt")) {
		return !strcmp(key, "num_parallel_tree");
	}
	return 0;
}

/*
 * Trial t's two files, conf.yaml (run configuration keys) and model.yaml
 * (training keys), into dir.  extra_key/extra_val: one more run
 * configuration key (a promotion's strategy.model) or NULL.
 */
static int write_trial_files(const struct space *sp, uint64_t seed, uint32_t t, const char *dir,
			     const char *extra_key, const char *extra_val)
{
	static char ck[MAX_PARAMS + 1][KEY_MAX], cv[MAX_PARAMS + 1][VAL_MAX];
	static char mk[MAX_PARAMS][KEY_MAX], mv[MAX_PARAMS][VAL_MAX];
	struct kv { char k[KEY_MAX], v[VAL_MAX]; } cs[MAX_PARAMS + 1], ms[MAX_PARAMS];
	uint32_t nc = 0, nm = 0;
	const char *kind = NULL;
	char val[MAX_PARAMS][VAL_MAX];
	for (uint32_t i = 0; i < sp->n; i++) {
		value_of(sp, seed, t, i, val[i], VAL_MAX);
		if (!strcmp(sp->p[i].key, "model.kind"))
			kind = val[i];
	}
	for (uint32_t i = 0; i < sp->n; i++) {
		if (sp->p[i].model) {
			if (kind_refuses(kind, sp->p[i].key + 6))
				continue;
			cpy(ms[nm].k, KEY_MAX, sp->p[i].key + 6);
			cpy(ms[nm++].v, VAL_MAX, val[i]);
		} else {
			cpy(cs[nc].k, KEY_MAX, sp->p[i].key);
			cpy(cs[nc++].v, VAL_MAX, val[i]);
		}
	}
	if (extra_key) {
		cpy(cs[nc].k, KEY_MAX, extra_key);
		cpy(cs[nc++].v, VAL_MAX, extra_val);
	}
	qsort(cs, nc, sizeof(cs[0]), cmp_key);
	/* cppcheck-suppress uninitvar
	 * (qsort reads the nm entries the loop above wrote, no further) */
	qsort(ms, nm, sizeof(ms[0]), cmp_key);
	/* kind first: the kind's defaults, then the keys that follow it */
	for (uint32_t i = 0; i < nm; i++)
		if (!strcmp(ms[i].k, "kind") && i) {
			struct kv k = ms[i];
			memmove(&ms[1], &ms[0], i * sizeof(ms[0]));
			ms[0] = k;
		}
	for (uint32_t i = 0; i < nc; i++) {
		cpy(ck[i], KEY_MAX, cs[i].k);
		cpy(cv[i], VAL_MAX, cs[i].v);
	}
	for (uint32_t i = 0; i < nm; i++) {
		cpy(mk[i], KEY_MAX, ms[i].k);
		cpy(mv[i], VAL_MAX, ms[i].v);
	}
	int rc = files_mkdir_p(dir);
	if (rc < 0)
		return rc;
	static struct afile af; /* 12 KiB; the main thread only */
	for (int which = 0; which < 2; which++) {
		if ((rc = afile_open(&af, dir, which ? "model.yaml" : "conf.yaml")) < 0)
			return rc;
		FILE *f = af.f;
		fprintf(f, "# dm-search trial %u (seed %" PRIu64 ", %s): over the base %s\n", t, seed,
			sp->path, which ? "training parameters" : "configuration");
		if (which)
			write_nested(f, mk, mv, nm);
		else
			write_nested(f, ck, cv, nc);
		if ((rc = afile_commit(&af)) < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ the search */

struct result {
	int done;                  /* cv.json read */
	int no_result;             /* dm-cv said why there is no score (no samples) */
	double score;              /* median path Sharpe; -inf when none */
	double mean_auc;
	double median_sharpe, mean_sharpe;
	uint32_t paths;
};

struct search {
	struct args a;
	struct space sp;
	struct bt_setup su;
	char dir[PATH_MAX - 64], self[PATH_MAX], cv_bin[PATH_MAX];
	char input_sha[SHA256_HEX];
	uint64_t seed;
	uint32_t n_trials;
	uint32_t *in_rung[MAX_RUNGS];   /* the trials of each rung, by trial id */
	uint32_t n_in_rung[MAX_RUNGS];
	struct result *res[MAX_RUNGS];  /* [rung][trial] */
	volatile sig_atomic_t stop;
};

static struct search S;

static void on_signal(int sig)
{
	(void)sig;
	S.stop = 1;
}

static void trial_dir(const struct search *s, uint32_t t, int rung, char *out, size_t n)
{
	if (rung < 0)
		snprintf(out, n, "%s/trials/t%03u", s->dir, t);
	else
		snprintf(out, n, "%s/trials/t%03u-r%d", s->dir, t, rung);
}

/* dm-cv's command line for trial t at rung r (argv in a JSON array). */
static json_t *cv_argv(const struct search *s, uint32_t t, uint32_t r)
{
	char td[PATH_MAX], out[PATH_MAX], buf[PATH_MAX + 32];
	trial_dir(s, t, -1, td, sizeof(td));
	trial_dir(s, t, (int)r, out, sizeof(out));
	json_t *v = json_array();
	json_array_append_new(v, json_string(s->cv_bin));
	json_array_append_new(v, json_string("--input"));
	json_array_append_new(v, json_string(s->a.input));
	static const char *const fmt_names[] = { "auto", "lobster", "mt5", "neg", "binance",
						 "journal" };
	const struct cli_feed_args *fa = &s->a.feed;
	if (fa->format > 0 && (size_t)fa->format < sizeof(fmt_names) / sizeof(fmt_names[0])) {
		json_array_append_new(v, json_string("--format"));
		json_array_append_new(v, json_string(fmt_names[fa->format]));
	}
#define OPT(name, val) do { json_array_append_new(v, json_string(name)); \
			    json_array_append_new(v, json_string(val)); } while (0)
	if (fa->tick)
		OPT("--tick", fa->tick);
	if (fa->lot)
		OPT("--lot", fa->lot);
	if (fa->symbol)
		OPT("--symbol", fa->symbol);
	if (fa->levels) {
		snprintf(buf, sizeof(buf), "%u", fa->levels);
		OPT("--levels", buf);
	}
	if (fa->have_utc) {
		snprintf(buf, sizeof(buf), "%d", fa->utc_offset_min);
		OPT("--utc-offset", buf);
	}
	if (fa->strict)
		json_array_append_new(v, json_string("--strict"));
	/* the base configuration: the files given, or the profile picked */
	if (s->a.n_configs)
		for (uint32_t i = 0; i < s->a.n_configs; i++)
			OPT("-c", s->a.configs[i]);
	else if (s->su.profile)
		OPT("-c", s->su.cname);
	snprintf(buf, sizeof(buf), "%s/conf.yaml", td);
	OPT("-c", buf);
	if (s->a.n_model_confs) {
		for (uint32_t i = 0; i < s->a.n_model_confs; i++)
			OPT("--model-conf", s->a.model_confs[i]);
	} else {
		char mc[PATH_MAX];
		if (config_conf_dir(mc, sizeof(mc) - 16) == 0) {
			strcat(mc, "/model.yaml");
			if (access(mc, R_OK) == 0)
				OPT("--model-conf", mc);
		}
	}
	snprintf(buf, sizeof(buf), "%s/model.yaml", td);
	OPT("--model-conf", buf);
	snprintf(buf, sizeof(buf), "%u", s->sp.rungs[r]);
	OPT("--groups", buf);
	snprintf(buf, sizeof(buf), "%u", s->sp.test_groups[r]);
	OPT("--test-groups", buf);
	if (s->sp.embargo[0])
		OPT("--embargo", s->sp.embargo);
	if (s->sp.sample_every[0])
		OPT("--sample-every", s->sp.sample_every);
	OPT("--out", out);
	json_array_append_new(v, json_string("--quiet"));
#undef OPT
	return v;
}

/* What dm-cv left for trial t at rung r (done = 0 when it did not finish). */
static void read_result(const struct search *s, uint32_t t, uint32_t r, struct result *o)
{
	char p[PATH_MAX + 16];
	trial_dir(s, t, (int)r, p, sizeof(p) - 16);
	strcat(p, "/cv.json");
	memset(o, 0, sizeof(*o));
	o->score = -INFINITY;
	json_error_t je;
	json_t *j = json_load_file(p, 0, &je);
	if (!j)
		return;
	json_t *d = json_object_get(j, "path_sharpe");
	json_t *med = json_object_get(d, "median"), *mean = json_object_get(d, "mean");
	json_t *auc = json_object_get(j, "mean_auc");
	o->done = 1;
	const char *res = json_string_value(json_object_get(j, "result"));
	o->no_result = res && strcmp(res, "ok") != 0;
	o->median_sharpe = json_is_number(med) ? json_number_value(med) : NAN;
	o->mean_sharpe = json_is_number(mean) ? json_number_value(mean) : NAN;
	o->mean_auc = json_is_number(auc) ? json_number_value(auc) : NAN;
	o->paths = (uint32_t)json_array_size(json_object_get(j, "paths"));
	o->score = isfinite(o->median_sharpe) ? o->median_sharpe : -INFINITY;
	json_decref(j);
}

static void on_progress(void *ctx, uint32_t done, uint32_t failed, uint32_t total)
{
	const int64_t *t0 = ctx;
	static int64_t next;
	int64_t now = cli_mono_ns();
	if (S.a.quiet || (now < next && done < total))
		return;
	next = now + 2000000000ll;
	double el = (double)(now - *t0) / 1e9;
	fprintf(stderr, "%s: trial %u of %u done (%u failed), %.0f s, ETA %.0f s\n", cli_prog(),
		done, total, failed, el, done ? el * (total - done) / done : NAN);
}

/* Run the trials of rung r that have no result yet. */
static int run_rung(struct search *s, uint32_t r)
{
	char err[1024], path[PATH_MAX], work[PATH_MAX];
	uint32_t n = s->n_in_rung[r], todo = 0;
	uint32_t *tasks = calloc(n ? n : 1, sizeof(uint32_t));
	uint8_t *failed = calloc(n ? n : 1, 1);
	json_t *argvs = json_array();
	if (!tasks || !failed || !argvs)
		return cli_fail(1, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = s->in_rung[r][i];
		char td[PATH_MAX];
		trial_dir(s, t, -1, td, sizeof(td));
		int rc = write_trial_files(&s->sp, s->seed, t, td, NULL, NULL);
		if (rc < 0)
			return cli_fail(rc == -EEXIST ? 2 : 1, "%s: cannot write the trial's files: %s", td, files_strerror(rc));
		json_array_append_new(argvs, cv_argv(s, t, r));
		read_result(s, t, r, &s->res[r][t]);
		if (!s->res[r][t].done)
			tasks[todo++] = i;
	}
	snprintf(path, sizeof(path), "%s/batch-r%u.json", s->dir, r);
	json_t *b = json_pack("{s:i, s:i, s:i, s:o}", "rung", (int)r, "groups",
			      (int)s->sp.rungs[r], "test_groups", (int)s->sp.test_groups[r], "argv",
			      argvs);
	int rc = files_json_write(path, NULL, b);
	json_decref(b);
	if (rc < 0)
		return cli_fail(rc == -EEXIST ? 2 : 1, "%s: %s", path, files_strerror(rc));
	if (!s->a.quiet)
		fprintf(stderr, "%s: rung %u: %u trials with %u groups (%u tested), %u to run (%u "
			"done before)\n", cli_prog(), r, n, s->sp.rungs[r], s->sp.test_groups[r], todo,
			n - todo);
	if (todo) {
		snprintf(work, sizeof(work), "%s/logs", s->dir);
		char task_arg[] = EXECUTOR_TASK_ARG;
		char *argv[] = { s->self, "--run-task", task_arg, "--batch", path, NULL };
		int64_t t0 = cli_mono_ns();
		const struct executor_opts eo = {
			.kind = s->a.executor, .jobs = s->a.jobs, .workdir = work,
			.partition = s->a.partition, .sbatch_extra = s->a.sbatch_extra,
			.cancel = &s->stop, .progress = on_progress, .ctx = &t0,
		};
		rc = executor_run(&eo, argv, tasks, todo, failed, err, sizeof(err));
		if (rc < 0)
			return cli_fail(1, "rung %u: %s", r, err);
	}
	uint32_t bad = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = s->in_rung[r][i];
		read_result(s, t, r, &s->res[r][t]);
		if (!s->res[r][t].done) {
			bad++;
			fprintf(stderr, "%s: trial %u (rung %u) failed: see %s/logs/task-%u.log\n",
				cli_prog(), t, r, s->dir, i);
		}
	}
	free(tasks);
	free(failed);
	return bad ? cli_fail(1, "%u of %u trials of rung %u failed: --resume runs them again",
			      bad, n, r) : 0;
}

/* trials.csv: a row per trial and rung evaluated so far. */
static int write_trials_csv(const struct search *s)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
#define PUT(...) do { \
		int n_ = snprintf(buf + len, cap - len, __VA_ARGS__); \
		while ((size_t)n_ >= cap - len) { \
			cap *= 2; \
			char *b_ = realloc(buf, cap); \
			if (!b_) { free(buf); return -ENOMEM; } \
			buf = b_; \
			n_ = snprintf(buf + len, cap - len, __VA_ARGS__); \
		} \
		len += (size_t)n_; \
	} while (0)
	PUT("trial,rung,groups,test_groups,status,score,median_sharpe,mean_sharpe,mean_auc");
	for (uint32_t i = 0; i < s->sp.n; i++)
		PUT(",%s", s->sp.p[i].key);
	PUT("\n");
	for (uint32_t r = 0; r < s->sp.n_rungs; r++)
		for (uint32_t i = 0; i < s->n_in_rung[r]; i++) {
			uint32_t t = s->in_rung[r][i];
			const struct result *o = &s->res[r][t];
			PUT("%u,%u,%u,%u,%s,%.10g,%.10g,%.10g,%.10g", t, r, s->sp.rungs[r],
			    s->sp.test_groups[r],
			    !o->done ? "missing" : o->no_result ? "no_result" : "ok",
			    o->done && isfinite(o->score) ? o->score : NAN, o->median_sharpe,
			    o->mean_sharpe, o->mean_auc);
			for (uint32_t k = 0; k < s->sp.n; k++) {
				char v[VAL_MAX];
				value_of(&s->sp, s->seed, t, k, v, sizeof(v));
				PUT(",%s", v);
			}
			PUT("\n");
		}
#undef PUT
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/trials.csv", s->dir);
	int rc = files_write_atomic(p, buf, len);
	free(buf);
	return rc;
}

/* The best keep share of rung r (by score, then trial) go to rung r + 1. */
static void promote_rung(struct search *s, uint32_t r)
{
	uint32_t n = s->n_in_rung[r];
	uint32_t *ord = malloc(n * sizeof(uint32_t));
	memcpy(ord, s->in_rung[r], n * sizeof(uint32_t));
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0; j--) {
			const struct result *a = &s->res[r][ord[j - 1]], *b = &s->res[r][ord[j]];
			if (b->score > a->score || (b->score == a->score && ord[j] < ord[j - 1])) {
				uint32_t x = ord[j];
				ord[j] = ord[j - 1];
				ord[j - 1] = x;
			} else {
				break;
			}
		}
	uint32_t k = (uint32_t)ceil(s->sp.keep * n);
	if (k < 1)
		k = 1;
	/* a rung's trials in id order: the batch file does not depend on scores' order */
	for (uint32_t i = 1; i < k; i++)
		for (uint32_t j = i; j > 0 && ord[j] < ord[j - 1]; j--) {
			uint32_t x = ord[j];
			ord[j] = ord[j - 1];
			ord[j - 1] = x;
		}
	memcpy(s->in_rung[r + 1], ord, k * sizeof(uint32_t));
	s->n_in_rung[r + 1] = k;
	free(ord);
}

/* A trial's P&L per minute at rung 0: the mean over its paths. */
static double *trial_returns(const struct search *s, uint32_t t, size_t *n_out, int64_t **min_out)
{
	char p[PATH_MAX + 16];
	trial_dir(s, t, 0, p, sizeof(p) - 16);
	strcat(p, "/returns.csv");
	FILE *f = fopen(p, "r");
	if (!f)
		return NULL;
	size_t cap = 1024, n = 0;
	double *r = malloc(cap * sizeof(double));
	int64_t *m = malloc(cap * sizeof(int64_t));
	char line[8192];
	if (!r || !m || !fgets(line, sizeof(line), f))
		goto close_free;
	while (fgets(line, sizeof(line), f)) {
		if (n == cap) {
			cap *= 2;
			double *r2 = realloc(r, cap * sizeof(double));
			if (r2)
				r = r2;
			int64_t *m2 = realloc(m, cap * sizeof(int64_t));
			if (m2)
				m = m2;
			if (!r2 || !m2)
				goto close_free;
		}
		char *q = line, *end;
		m[n] = strtoll(q, &end, 10);
		double sum = 0;
		int k = 0;
		while (*end == ',') {
			q = end + 1;
			sum += strtod(q, &end);
			k++;
		}
		r[n++] = k ? sum / k : 0;
	}
	fclose(f);
	*n_out = n;
	*min_out = m;
	return r;
close_free:
	fclose(f);
	free(r);
	free(m);
	return NULL;
}

/* DSR and PBO over every trial of rung 0; the best trial's figures. */
static json_t *overfitting(const struct search *s, uint32_t best)
{
	/* every trial of rung 0 that traded (a trial without samples has no
	 * series; it still counts as tried in the deflation) */
	uint32_t n_all = s->n_in_rung[0], N = 0;
	double **ret = calloc(n_all, sizeof(double *));
	int64_t **mins = calloc(n_all, sizeof(int64_t *));
	size_t *len = calloc(n_all, sizeof(size_t));
	json_t *o = json_object();
	size_t T = 0;
	int ok = 1;
	uint32_t best_i = 0;
	for (uint32_t i = 0; i < n_all; i++) {
		uint32_t t = s->in_rung[0][i];
		if (s->res[0][t].no_result)
			continue;
		if (t == best)
			best_i = N;
		ret[N] = trial_returns(s, t, &len[N], &mins[N]);
		if (!ret[N] || (N && (len[N] != len[0] ||
				      memcmp(mins[N], mins[0], len[0] * sizeof(int64_t)))))
			ok = 0;
		N++;
	}
	T = ok && N ? len[0] : 0;
	json_object_set_new(o, "trials_tried", json_integer(n_all));
	if (!ok || N < 2 || T < 4) {
		json_object_set_new(o, "why_not", json_string(!ok ? "the trials' minutes differ or a "
			"returns.csv is missing" : N < 2 ? "fewer than 2 trials traded" :
			"fewer than 4 market minutes"));
		goto done;
	}
	double *sr = calloc(N, sizeof(double));
	double *mat = malloc(T * N * sizeof(double));
	for (uint32_t i = 0; i < N; i++) {
		sr[i] = validate_sharpe(ret[i], T);
		for (size_t k = 0; k < T; k++)
			mat[k * N + i] = ret[i][k];
	}
	/* the variance of the trials' Sharpe ratios (those defined) */
	struct validate_moments vm;
	double *def = malloc(N * sizeof(double));
	uint32_t nd = 0;
	for (uint32_t i = 0; i < N; i++)
		if (isfinite(sr[i]))
			def[nd++] = sr[i];
	validate_moments(def, nd, &vm);
	double var_sr = isfinite(vm.stdev) ? vm.stdev * vm.stdev : NAN;
	struct validate_moments bm;
	validate_moments(ret[best_i], T, &bm);
	double psr = validate_psr(bm.sr, 0, T, bm.skew, bm.kurt);
	double dsr = validate_dsr(bm.sr, T, bm.skew, bm.kurt, n_all, var_sr);
	json_object_set_new(o, "minutes", json_integer((json_int_t)T));
	json_object_set_new(o, "trials_with_a_series", json_integer(N));
	json_object_set_new(o, "trials_with_a_sharpe", json_integer(nd));
	json_object_set_new(o, "best_minute_sharpe", num_or_null(bm.sr));
	json_object_set_new(o, "best_skew", num_or_null(bm.skew));
	json_object_set_new(o, "best_kurtosis", num_or_null(bm.kurt));
	json_object_set_new(o, "sharpe_variance", num_or_null(var_sr));
	json_object_set_new(o, "sr0", num_or_null(validate_sr0(n_all, var_sr)));
	json_object_set_new(o, "psr", num_or_null(psr));
	json_object_set_new(o, "dsr", num_or_null(dsr));
	/* PBO: S blocks, at least 2 minutes each, S even, at most 16; below 4
	 * blocks (2 or fewer combinations) it says nothing */
	uint32_t S = (uint32_t)(T / 2);
	S = S > VALIDATE_PBO_MAX_BLOCKS ? VALIDATE_PBO_MAX_BLOCKS : S & ~1u;
	if (S < 4) {
		json_object_set_new(o, "pbo", json_null());
		json_object_set_new(o, "why_no_pbo", json_string("fewer than 8 market minutes: "
			"PBO needs at least 4 blocks of 2"));
	} else {
		size_t ws = validate_pbo_worksize(N, S);
		uint32_t nc = validate_pbo_combinations(S);
		void *work = aligned_alloc(64, (ws + 63) & ~(size_t)63);
		struct validate_pbo_comb *comb = calloc(nc, sizeof(*comb));
		double pbo = NAN;
		int rc = work && comb ? validate_pbo(mat, (uint32_t)T, N, S, work, ws, comb, &pbo) :
					-ENOMEM;
		if (rc == 0) {
			json_t *lg = json_array();
			for (uint32_t c = 0; c < nc; c++)
				json_array_append_new(lg, num_or_null(comb[c].logit));
			json_object_set_new(o, "pbo", num_or_null(pbo));
			json_object_set_new(o, "pbo_blocks", json_integer(S));
			json_object_set_new(o, "pbo_logits", lg);
		} else {
			json_object_set_new(o, "pbo", json_null());
			json_object_set_new(o, "why_no_pbo", json_string(strerror(-rc)));
		}
		free(work);
		free(comb);
	}
	free(sr);
	free(mat);
	free(def);
done:
	for (uint32_t i = 0; i < n_all; i++) {
		free(ret[i]);
		free(mins[i]);
	}
	free(ret);
	free(mins);
	free(len);
	return o;
}

/* --promote: the best trial's model on every sample, with its files. */
static int promote(struct search *s, uint32_t best, json_t *result)
{
	char dir[PATH_MAX], model[PATH_MAX + 32], p[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/promoted", s->dir);
	int rc = write_trial_files(&s->sp, s->seed, best, dir, "strategy.model", "model.json");
	char from[PATH_MAX + 32], to[PATH_MAX + 32];
	snprintf(from, sizeof(from), "%s/conf.yaml", dir);
	snprintf(to, sizeof(to), "%s/config.yaml", dir);
	if (rc < 0 || rename(from, to) < 0)
		return cli_fail(rc == -EEXIST ? 2 : 1, "%s: %s", dir,
				rc < 0 ? files_strerror(rc) : strerror(errno));
	snprintf(model, sizeof(model), "%s/model.json", dir);
	/* dm-cv --final-model with the trial's files (its argv, rung 0) */
	json_t *v = cv_argv(s, best, 0);
	size_t n = json_array_size(v);
	char **argv = calloc(n + 4, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *a = json_string_value(json_array_get(v, i));
		if (!strcmp(a, "--out") || !strcmp(a, "--groups") || !strcmp(a, "--test-groups") ||
		    !strcmp(a, "--embargo")) {
			i++;
			continue;
		}
		argv[k++] = (char *)a;
	}
	argv[k++] = "--final-model";
	argv[k++] = model;
	argv[k] = NULL;
	if (!s->a.quiet)
		fprintf(stderr, "%s: promoting trial %u: training on every sample\n", cli_prog(),
			best);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		free(argv);
		json_decref(v);
		return cli_fail(1, "promotion: training the final model failed");
	}
	free(argv);
	json_decref(v);
	json_t *meta = json_pack("{s:s, s:s, s:I, s:I, s:s, s:O}", "input", s->a.input,
		"input_sha256", s->input_sha, "trial", (json_int_t)best, "seed", (json_int_t)s->seed,
		"space", s->sp.path, "search", result);
	snprintf(p, sizeof(p), "%s/promotion.json", dir);
	rc = files_json_write(p, NULL, meta);
	json_decref(meta);
	if (rc < 0)
		return cli_fail(rc == -EEXIST ? 2 : 1, "%s: %s", p, files_strerror(rc));
	if (!s->a.quiet)
		fprintf(stderr, "%s: promoted: %s (-c %s/config.yaml over the base configuration "
			"trades it; the training parameters in %s/model.yaml)\n", cli_prog(), model,
			dir, dir);
	return 0;
}

/* ------------------------------------------------------------ --run-task */

static int run_task(const struct args *a)
{
	json_error_t je;
	json_t *b = json_load_file(a->batch, 0, &je);
	if (!b)
		return cli_fail(2, "%s:%d: %s", a->batch, je.line, je.text);
	json_t *v = json_array_get(json_object_get(b, "argv"), a->run_task);
	size_t n = json_array_size(v);
	if (!n)
		return cli_fail(2, "%s: no task %u", a->batch, a->run_task);
	int rc;
	char **argv = calloc(n + 1, sizeof(char *));
	if (!argv) {
		rc = cli_fail(1, "%s: task %u: out of memory", a->batch, a->run_task);
		goto put_batch;
	}
	for (size_t i = 0; i < n; i++) {
		/* a NULL in the middle would end the command line there */
		argv[i] = (char *)json_string_value(json_array_get(v, i));
		if (!argv[i]) {
			rc = cli_fail(2, "%s: task %u: argument %zu is not a string", a->batch,
				      a->run_task, i);
			goto free_argv;
		}
	}
	fflush(NULL);
	execv(argv[0], argv);
	rc = cli_fail(1, "%s: cannot run: %s", argv[0], strerror(errno));
free_argv:
	free(argv);
put_batch:
	json_decref(b);
	return rc;
}

/* ------------------------------------------------------------ main */

static const struct bt_loader rt_loader = { rt_config_load_core, rt_config_load_core_over };

/* Each drawn value through the loader of its file: a key or a value the
 * configuration refuses is named at its line of the space file. */
static int check_space_keys(struct search *s)
{
	char dir[PATH_MAX], err[1024], p[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/trials/check", s->dir);
	for (uint32_t t = 0; t < 3 && t < s->n_trials; t++) {
		if (write_trial_files(&s->sp, s->seed, t, dir, NULL, NULL) < 0)
			return cli_fail(1, "%s: cannot write", dir);
		struct dm_config c = s->su.cfg;
		snprintf(p, sizeof(p), "%s/conf.yaml", dir);
		int bad = rt_config_load_core_over(&c, p, err, sizeof(err)) < 0;
		struct model_params mp;
		model_params_default(&mp);
		if (!bad) {
			snprintf(p, sizeof(p), "%s/model.yaml", dir);
			bad = model_params_load(p, &mp, err, sizeof(err)) < 0;
		}
		if (bad) {
			/* the key the loader names, at its line of the space */
			const struct param *at = NULL;
			for (uint32_t i = 0; i < s->sp.n; i++) {
				const char *k = s->sp.p[i].key + (s->sp.p[i].model ? 6 : 0);
				char q[KEY_MAX + 8];
				snprintf(q, sizeof(q), "'%s'", k);
				if (strstr(err, q))
					at = &s->sp.p[i];
			}
			const char *why = strstr(err, "': ");
			if (at)
				fprintf(stderr, "%s: %s:%zu:%zu: key '%s': %s\n", cli_prog(), s->sp.path,
					at->line, at->col, at->key, why ? why + 3 : err);
			else
				fprintf(stderr, "%s: %s: a trial's values are refused: %s\n", cli_prog(),
					s->sp.path, err);
			return 2;
		}
	}
	snprintf(p, sizeof(p), "%s/conf.yaml", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/model.yaml", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

int main(int argc, char **argv)
{
	struct search *s = &S;
	char err[FEED_ERR_LEN + 256], p[PATH_MAX + 32];
	int rc, code = 0;

	s->a.jobs = 1;
	cli_set_prog("dm-search");
	if ((rc = parse_args(argc, argv, &s->a)))
		return rc;
	if (s->a.have_run_task)
		return run_task(&s->a);
	if ((rc = parse_space(s->a.space, &s->sp)))
		return rc;
	s->seed = s->a.have_seed ? s->a.seed : s->sp.seed;
	s->n_trials = s->a.trials;

	/* ---- the base configuration, the input, the programs */
	if ((rc = bt_setup(&s->su, s->a.input, s->a.configs, s->a.n_configs, &rt_loader, &s->a.feed,
			   1, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	if (s->su.tp.strategy.rule_only)
		return cli_fail(2, "%s: strategy.model is empty (the primary rule alone): there is "
				"no meta-model to search", s->su.cname);
	static struct rt_config rcfg;
	rt_config_defaults(&rcfg);
	for (uint32_t i = 0; i < s->a.n_configs; i++)
		if (rt_config_load_over(&rcfg, s->a.configs[i], err, sizeof(err)) < 0)
			return cli_fail(2, "%s", err);
	ssize_t n = readlink("/proc/self/exe", s->self, sizeof(s->self) - 1);
	if (n <= 0)
		return cli_fail(1, "cannot find this program: %s", strerror(errno));
	s->self[n] = '\0';
	snprintf(s->cv_bin, sizeof(s->cv_bin), "%.*s/dm-cv", (int)(strrchr(s->self, '/') - s->self),
		 s->self);
	if (access(s->cv_bin, X_OK) < 0)
		return cli_fail(1, "%s: not found beside dm-search", s->cv_bin);
	if ((rc = sha256_file(s->a.input, s->input_sha, err, sizeof(err))) < 0)
		return cli_fail(2, "%s", err);

	/* ---- the output directory and the plan */
	char absdir[PATH_MAX];
	if (s->a.out)
		snprintf(absdir, sizeof(absdir), "%s", s->a.out);
	else
		snprintf(absdir, sizeof(absdir), "%s-search", rcfg.system.run_dir);
	if ((rc = files_mkdir_p(absdir)) < 0)
		return cli_fail(2, "--out %s: cannot create the directory: %s", absdir, strerror(-rc));
	if (!realpath(absdir, s->dir))
		return cli_fail(2, "--out %s: %s", absdir, strerror(errno));
	/* the paths the trials use must hold on any node: absolute */
	static char abs_in[PATH_MAX];
	if (!realpath(s->a.input, abs_in))
		return cli_fail(2, "%s: %s", s->a.input, strerror(errno));
	s->a.input = abs_in;
	static char abs_c[BT_MAX_CONFIGS][PATH_MAX], abs_m[BT_MAX_CONFIGS][PATH_MAX];
	for (uint32_t i = 0; i < s->a.n_configs; i++)
		if (realpath(s->a.configs[i], abs_c[i]))
			s->a.configs[i] = abs_c[i];
	for (uint32_t i = 0; i < s->a.n_model_confs; i++)
		if (realpath(s->a.model_confs[i], abs_m[i]))
			s->a.model_confs[i] = abs_m[i];

	/* every key and value through its loader before anything is written */
	if ((code = check_space_keys(s)))
		return code;

	char *space_text = NULL;
	{
		FILE *f = fopen(s->sp.path, "rb");
		if (f) {
			fseek(f, 0, SEEK_END);
			long len = ftell(f);
			fseek(f, 0, SEEK_SET);
			space_text = calloc((size_t)len + 1, 1);
			if (space_text && fread(space_text, 1, (size_t)len, f) != (size_t)len)
				space_text[0] = '\0';
			fclose(f);
		}
	}
	json_t *cfgs = json_array();
	for (uint32_t i = 0; i < s->a.n_configs; i++)
		json_array_append_new(cfgs, json_string(s->a.configs[i]));
	json_t *plan = json_pack("{s:s, s:s, s:s, s:I, s:i, s:o, s:s}", "input", s->a.input,
		"input_sha256", s->input_sha, "space", space_text ? space_text : "", "seed",
		(json_int_t)s->seed, "trials", (int)s->n_trials, "configs", cfgs, "configuration",
		s->su.cname);
	free(space_text);
	snprintf(p, sizeof(p), "%.4000s/search.json", s->dir);
	json_error_t je;
	json_t *old = json_load_file(p, 0, &je);
	if (old && !s->a.resume) {
		json_decref(old);
		json_decref(plan);
		return cli_fail(2, "%s holds a search already: --resume to go on with it, or another "
				"--out", s->dir);
	}
	if (old && !json_equal(old, plan)) {
		json_decref(old);
		json_decref(plan);
		return cli_fail(2, "%s: --resume with another plan (input, space, seed, trials or "
				"configuration differ from %s)", s->dir, p);
	}
	json_decref(old);
	if ((rc = files_json_write(p, NULL, plan)) < 0) {
		json_decref(plan);
		return cli_fail(rc == -EEXIST ? 2 : 1, "%s: %s", p, files_strerror(rc));
	}
	json_decref(plan);
	/* ---- the rungs */
	for (uint32_t r = 0; r < s->sp.n_rungs; r++) {
		s->in_rung[r] = calloc(s->n_trials, sizeof(uint32_t));
		s->res[r] = calloc(s->n_trials, sizeof(struct result));
		if (!s->in_rung[r] || !s->res[r])
			return cli_fail(1, "out of memory");
	}
	for (uint32_t t = 0; t < s->n_trials; t++)
		s->in_rung[0][t] = t;
	s->n_in_rung[0] = s->n_trials;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!s->a.quiet)
		fprintf(stderr, "%s: %u trials of %u parameters (seed %" PRIu64 "), rungs of %u",
			cli_prog(), s->n_trials, s->sp.n, s->seed, s->sp.rungs[0]);
	for (uint32_t r = 1; !s->a.quiet && r < s->sp.n_rungs; r++)
		fprintf(stderr, ", %u", s->sp.rungs[r]);
	if (!s->a.quiet)
		fprintf(stderr, " groups keeping %.0f%%; %s executor, %u at once -> %s\n",
			100 * s->sp.keep, s->a.executor == EXECUTOR_SLURM ? "slurm" : "local", s->a.jobs,
			s->dir);
	uint32_t last = 0;
	for (uint32_t r = 0; r < s->sp.n_rungs; r++) {
		last = r;
		code = run_rung(s, r);
		if ((rc = write_trials_csv(s)) < 0 && !code)
			code = cli_fail(rc == -EEXIST ? 2 : 1, "%s/trials.csv: %s", s->dir, files_strerror(rc));
		if (code)
			return code;
		if (r + 1 < s->sp.n_rungs) {
			promote_rung(s, r);
			if (s->n_in_rung[r + 1] < 1)
				break;
		}
	}

	/* ---- the result */
	uint32_t best = s->in_rung[last][0];
	for (uint32_t i = 1; i < s->n_in_rung[last]; i++) {
		uint32_t t = s->in_rung[last][i];
		if (s->res[last][t].score > s->res[last][best].score)
			best = t;
	}
	const struct result *br = &s->res[last][best];
	if (!isfinite(br->score)) {
		code = cli_fail(1, "no trial has a path Sharpe ratio: not a result (no trades? see "
				"trials.csv)");
		return code;
	}
	json_t *params = json_object();
	for (uint32_t i = 0; i < s->sp.n; i++) {
		char v[VAL_MAX];
		value_of(&s->sp, s->seed, best, i, v, sizeof(v));
		json_object_set_new(params, s->sp.p[i].key, json_string(v));
	}
	json_t *of = overfitting(s, best);
	json_t *res = json_pack("{s:I, s:i, s:i, s:o, s:o, s:o, s:o, s:o}", "best_trial",
		(json_int_t)best, "rung", (int)last, "groups", (int)s->sp.rungs[last], "params", params,
		"score", num_or_null(br->score), "mean_sharpe", num_or_null(br->mean_sharpe),
		"mean_auc", num_or_null(br->mean_auc), "overfitting", of);
	snprintf(p, sizeof(p), "%.4000s/result.json", s->dir);
	if ((rc = files_json_write(p, NULL, res)) < 0)
		code = cli_fail(rc == -EEXIST ? 2 : 1, "%s: %s", p, files_strerror(rc));
	json_t *mins = json_object_get(of, "minutes");
	if (!code && json_is_integer(mins) && json_integer_value(mins) < 60)
		fprintf(stderr, "%s: WARNING: the input holds %lld market minutes: the Sharpe ratios, "
			"PSR, DSR and PBO rest on that few points\n", cli_prog(),
			(long long)json_integer_value(mins));
	if (!code && !s->a.quiet) {
		fprintf(stderr, "%s: best trial %u at rung %u (%u groups): median path Sharpe %.3f, "
			"mean test AUC %.4f\n", cli_prog(), best, last, s->sp.rungs[last], br->score,
			br->mean_auc);
		const char *pk;
		json_t *pv;
		json_object_foreach(params, pk, pv)
			fprintf(stderr, "  %s: %s\n", pk, json_string_value(pv));
		json_t *pbo = json_object_get(of, "pbo"), *dsr = json_object_get(of, "dsr");
		json_t *psr = json_object_get(of, "psr");
		fprintf(stderr, "  over the %u trials of rung 0 (%lld with a P&L series): PSR %.4f, "
			"DSR %.4f, PBO %.4f\n", s->n_trials,
			(long long)json_integer_value(json_object_get(of, "trials_with_a_series")), json_is_number(psr) ? json_number_value(psr) : NAN,
			json_is_number(dsr) ? json_number_value(dsr) : NAN,
			json_is_number(pbo) ? json_number_value(pbo) : NAN);
		fprintf(stderr, "  written: %s/{trials.csv,result.json}\n", s->dir);
	}
	if (!code && s->a.json) {
		json_dumpf(res, stdout, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
		fputc('\n', stdout);
	}
	if (!code && s->a.promote)
		code = promote(s, best, res);
	json_decref(res);
	return code;
}
