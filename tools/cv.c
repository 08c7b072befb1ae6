/*
 * dm-cv — combinatorial purged cross-validation of the live strategy on
 * the backtest (docs/research.md).
 *
 *   dm-cv --input FILE [feed options] [-c CONF] [--model-conf F]
 *         [--groups N] [--test-groups K] [--embargo DURATION]
 *         [--sample-every DURATION] [--out DIR] [--jobs J] [--json] [--quiet]
 *
 * 1. Samples, as the live strategy makes them (libcore/label/sample): the
 *    feature voter's vectors, the primary rule's side on clean books, at
 *    most one sample per --sample-every of market time (default the
 *    strategy's min_interval), triple-barrier meta-labels, uniqueness
 *    weights.
 * 2. Splits: the samples in N contiguous groups; each of the C(N, K)
 *    splits tests K groups; training samples whose label span overlaps a
 *    test group's window are purged, those starting within the embargo
 *    after one are embargoed (libcore/validate/split).  The meta-model is
 *    trained on the rest (libcore/model, conf/model.yaml) and scored on
 *    the test groups (AUC, log loss).
 * 3. Paths: phi = K/N C(N, K) backtests of the whole input through the
 *    trading core (libcore/backtest), each trading every group's period
 *    with the model of the split in which that group was tested (the
 *    model that never saw it): a P&L per path, not only a score.
 *
 * Writes into DIR: splits.csv (split,row,t0_ns,t1_ns,group,role),
 * paths.csv (path,sharpe,return,max_drawdown,trades,hit_rate,psr,minutes),
 * returns.csv (minute,path_0,...: each path's P&L per market minute, one
 * grid for every path and every run over the same input), cv.json (per split: the counts, AUC and log loss; the path Sharpe
 * distribution; PSR), and models/split-NN.json.  Every file is written to
 * a temporary name and renamed into place; the work files of the split
 * and path processes (DIR/work) are removed at the end.  Splits and paths
 * run in up to --jobs processes at once.
 *
 * Exit 0 with a result; 1 on a runtime failure (a training or backtest
 * process failed, a write error) or when the run is no result (too few
 * samples for the groups); 2 on bad usage, input or configuration.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agents/rt/view.h"
#include "libcore/backtest/bt.h"
#include "libcore/backtest/bt_setup.h"
#include "libcore/cli/cli.h"
#include "libcore/label/sample.h"
#include "libcore/model/digest.h"
#include "libcore/model/flat.h"
#include "libcore/model/meta.h"
#include "libcore/model/xgb.h"
#include "libcore/validate/split.h"
#include "libcore/validate/validate.h"
#include "tools/lib/files.h"

#define PROGRESS_NS (2ll * 1000000000)
#define MAX_GROUPS  16u
#define MAX_SPLITS  12870u  /* C(16, 8) */

enum { O_OUT = 0x200, O_GROUPS, O_TEST_GROUPS, O_EMBARGO, O_EVERY, O_JOBS, O_MODEL_CONF,
       O_KEEP_PATHS, O_FINAL };

struct args {
	const char *input, *out, *final_model;
	const char *model_confs[BT_MAX_CONFIGS];
	uint32_t n_model_confs;
	const char *configs[BT_MAX_CONFIGS];
	uint32_t n_configs;
	struct cli_feed_args feed;
	uint32_t groups, test_groups, jobs;
	int64_t embargo_ns, every_ns;
	int have_every, json, quiet, keep_paths;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-cv --input FILE [feed options] [-c CONF] [--groups N] [--test-groups K]\n"
"             [--embargo DURATION] [--out DIR] [options]\n"
"\n"
"Combinatorial purged cross-validation of the live strategy on the backtest\n"
"(docs/research.md): samples and meta-labels as the strategy makes them, C(N,K)\n"
"splits with purging and embargo, a meta-model trained per split, then every\n"
"backtest path through the trading core with, for each period, the model that\n"
"never saw it.\n"
"\n"
"  --input FILE        market data (any supported format)\n"
"  --groups N          contiguous sample groups, 2..%u (default 6)\n"
"  --test-groups K     groups tested per split, 1..N-1 (default 2)\n"
"  --embargo D         training samples starting within D after a test group\n"
"                      are dropped: 0, 500ms, 30s, 5m (default 0)\n"
"  --sample-every D    at most one sample per D of market time (default the\n"
"                      strategy's min_interval_ms; 0: every clean vector with a side)\n"
"  --model-conf F      training parameters (default conf/model.yaml); again: each\n"
"                      file over the ones before it\n"
"  --final-model FILE  no cross-validation: one model trained on every sample,\n"
"                      written to FILE (with its training record)\n"
"  --out DIR           output directory (default system.run_dir + '-cv')\n"
"  --jobs J            splits and paths run in J processes at once (default 1)\n"
"  --keep-paths        each path's fills, orders, decisions, equity and tca CSVs in\n"
"                      DIR/paths/path-NN/ (as dm-backtest writes them)\n"
"  --json              cv.json on standard output too\n"
CLI_FEED_HELP
"  -c F -c G ...      several files: each over the ones before it\n"
CLI_COMMON_HELP
"\n"
"Writes DIR/splits.csv, DIR/paths.csv, DIR/returns.csv, DIR/cv.json and\n"
"DIR/models/split-NN.json.\n"
"Exit 0 with a result, 1 on a runtime failure or no result, 2 on bad usage or input.\n",
		MAX_GROUPS);
}

static const struct bt_loader rt_loader = { rt_config_load_core, rt_config_load_core_over };

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, O_OUT },
		{ "groups", required_argument, NULL, O_GROUPS },
		{ "test-groups", required_argument, NULL, O_TEST_GROUPS },
		{ "embargo", required_argument, NULL, O_EMBARGO },
		{ "sample-every", required_argument, NULL, O_EVERY },
		{ "jobs", required_argument, NULL, O_JOBS },
		{ "model-conf", required_argument, NULL, O_MODEL_CONF },
		{ "keep-paths", no_argument, NULL, O_KEEP_PATHS },
		{ "final-model", required_argument, NULL, O_FINAL },
		{ "json", no_argument, NULL, CLI_O_JSON },
		CLI_FEED_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;

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
		case O_OUT: a->out = optarg; break;
		case O_MODEL_CONF:
			if ((rc = cli_add_file("--model-conf", optarg, a->model_confs,
						 &a->n_model_confs, BT_MAX_CONFIGS)))
				return rc;
			break;
		case O_FINAL: a->final_model = optarg; break;
		case O_GROUPS:
			if (cli_parse_u32(optarg, 2, MAX_GROUPS, &a->groups))
				return cli_usage_error("--groups '%s': a whole number 2..%u", optarg,
						       MAX_GROUPS);
			break;
		case O_TEST_GROUPS:
			if (cli_parse_u32(optarg, 1, MAX_GROUPS - 1, &a->test_groups))
				return cli_usage_error("--test-groups '%s': a whole number 1..%u",
						       optarg, MAX_GROUPS - 1);
			break;
		case O_EMBARGO:
			if (cli_parse_duration_ns(optarg, &a->embargo_ns))
				return cli_usage_error("--embargo '%s': a duration with its unit "
						       "(0, 500ms, 30s, 5m)", optarg);
			break;
		case O_EVERY:
			if (cli_parse_duration_ns(optarg, &a->every_ns))
				return cli_usage_error("--sample-every '%s': a duration with its "
						       "unit (0, 500ms, 1s, 5m)", optarg);
			a->have_every = 1;
			break;
		case O_JOBS:
			if (cli_parse_u32(optarg, 1, 256, &a->jobs))
				return cli_usage_error("--jobs '%s': a whole number 1..256", optarg);
			break;
		case O_KEEP_PATHS: a->keep_paths = 1; break;
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
	if (!a->input)
		return cli_usage_error("--input FILE is required");
	if (a->test_groups >= a->groups)
		return cli_usage_error("--test-groups %u: fewer than --groups %u", a->test_groups,
				       a->groups);
	if (validate_cpcv_splits(a->groups, a->test_groups) > MAX_SPLITS)
		return cli_usage_error("C(%u, %u) splits is too many (at most %u)", a->groups,
				       a->test_groups, MAX_SPLITS);
	return 0;
}

/* ------------------------------------------------------------ files */

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* ------------------------------------------------------------ the run */

struct cv {
	struct args a;
	struct bt_setup su;
	struct model_params mp;
	char dir[4096], work[4200], models[4200];
	char input_sha[SHA256_HEX];
	struct sample_set s;          /* the samples (owned by the builder) */
	uint32_t n_splits, n_paths, K, N;
	uint32_t *groups, *path_of;   /* [n_splits * K] */
	uint8_t *role;                /* [n] of the split being written */
	int64_t group_t[MAX_GROUPS + 1]; /* market time each group's period starts */
};

/* Progress line, at most every 2 s, with an ETA from the share done. */
static void progress(const struct cv *c, const char *what, uint32_t done, uint32_t total,
		     int64_t t0, int64_t *next)
{
	if (c->a.quiet)
		return;
	int64_t now = cli_mono_ns();
	if (now < *next && done < total)
		return;
	*next = now + PROGRESS_NS;
	double el = (double)(now - t0) / 1e9;
	double eta = done ? el * (double)(total - done) / (double)done : NAN;
	fprintf(stderr, "%s: %s %u of %u, %.1f s, ETA %.0f s\n", cli_prog(), what, done, total, el,
		eta);
}

/* Run task(i) for i < n in up to jobs child processes; 0 or the number of
 * tasks that failed. */
static uint32_t run_jobs(struct cv *c, uint32_t n, const char *what,
			 int (*task)(struct cv *c, uint32_t i))
{
	uint32_t next = 0, running = 0, done = 0, failed = 0;
	pid_t *pid_of = calloc(n, sizeof(pid_t));
	int64_t t0 = cli_mono_ns(), nxt = t0 + PROGRESS_NS;
	if (!pid_of)
		return n;
	fflush(NULL);
	while (done < n) {
		while (running < c->a.jobs && next < n) {
			pid_t p = fork();
			if (p == 0) {
				int rc = task(c, next);
				fflush(NULL);
				_exit(rc ? 1 : 0);
			}
			if (p < 0) {
				failed++;
				done++;
				next++;
				continue;
			}
			pid_of[next++] = p;
			running++;
		}
		if (!running)
			break;
		int st;
		pid_t p = wait(&st);
		if (p < 0)
			break;
		running--;
		done++;
		uint32_t i = 0;
		while (i < n && pid_of[i] != p)
			i++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			failed++;
			fprintf(stderr, "%s: %s %u failed (%s %d)\n", cli_prog(), what, i,
				WIFEXITED(st) ? "exit" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		}
		progress(c, what, done, n, t0, &nxt);
	}
	free(pid_of);
	return failed;
}

/* ---- samples */

static int build_samples(struct cv *c, struct sample_builder *b)
{
	char err[FEED_ERR_LEN + 256];
	struct sample_params sp;
	memset(&sp, 0, sizeof(sp));
	sp.featd = c->su.tp.featd;
	sp.primary = c->su.tp.strategy.primary;
	label_params_default(&sp.label);
	sp.label.tick = (double)c->su.cfg.instrument.tick_size_e6 / CFG_DEC_SCALE;
	sp.every_ns = c->a.have_every ? c->a.every_ns : c->su.tp.strategy.min_interval_ns;
	int rc = sample_init(b, &sp, err, sizeof(err));
	if (rc < 0)
		return cli_fail(2, "samples: %s", err);
	struct feed_reader rd;
	if ((rc = feed_open(&rd, c->a.input, c->su.plan.fmt, &c->su.plan.fo, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	struct event ev;
	int64_t t0 = cli_mono_ns(), next = t0 + PROGRESS_NS;
	while ((rc = feed_next(&rd, &ev)) == 1) {
		if (sample_on_event(b, &ev) < 0)
			break;
		if (!c->a.quiet && (b->n.events & 0xffff) == 0 && cli_mono_ns() >= next) {
			next += PROGRESS_NS;
			fprintf(stderr, "%s: samples: %" PRIu64 " events, %zu samples\n", cli_prog(),
				b->n.events, b->out.n);
		}
	}
	int code = 0;
	if (rc < 0)
		code = cli_fail(cli_exit_code(rc), "%s", feed_error(&rd));
	else if (sample_finish(b) < 0)
		code = cli_fail(1, "samples: %s", b->err == -ENOSPC ?
				"labels stay open longer than the labeler's window" :
				strerror(-b->err));
	const struct feed_stats *fs = feed_stats(&rd);
	if (!code && fs->skipped)
		fprintf(stderr, "%s: WARNING: %" PRIu64 " bad input rows skipped (first at line %"
			PRIu64 ")\n", cli_prog(), fs->skipped, fs->first_bad_line);
	feed_close(&rd);
	if (!code && !c->a.quiet)
		fprintf(stderr, "%s: samples: %" PRIu64 " events, %" PRIu64 " vectors (%" PRIu64
			" flagged by data quality, %" PRIu64 " without a side), %zu samples, "
			"%.1f s\n", cli_prog(), b->n.events, b->n.rows, b->n.flagged, b->n.no_side,
			b->out.n, (double)(cli_mono_ns() - t0) / 1e9);
	return code;
}

/* ---- splits.csv */

static const char *role_name(uint8_t r)
{
	static const char *const n[] = { "train", "test", "purged", "embargoed" };
	return r < 4 ? n[r] : "?";
}

static int write_splits(struct cv *c, json_t *jsplits)
{
	struct afile af;
	int rc = afile_open(&af, c->dir, "splits.csv");
	if (rc < 0)
		return cli_fail(rc == -EEXIST ? 2 : 1, "%s", af.err);
	fprintf(af.f, "split,row,t0_ns,t1_ns,group,role\n");
	for (uint32_t s = 0; s < c->n_splits; s++) {
		uint64_t mask = 0;
		for (uint32_t j = 0; j < c->K; j++)
			mask |= 1ull << c->groups[s * c->K + j];
		struct validate_split_counts n;
		if (validate_split_roles(c->s.t0, c->s.t1, c->s.n, c->N, mask, c->a.embargo_ns,
					 c->role, &n) < 0) {
			afile_abort(&af);
			return cli_fail(1, "split %u: the samples are not in time order", s);
		}
		uint32_t g = 0;
		for (size_t i = 0; i < c->s.n; i++) {
			while (i >= validate_group_begin(c->s.n, c->N, g + 1))
				g++;
			fprintf(af.f, "%u,%zu,%" PRId64 ",%" PRId64 ",%u,%s\n", s, i, c->s.t0[i],
				c->s.t1[i], g, role_name(c->role[i]));
		}
		json_t *tg = json_array();
		for (uint32_t j = 0; j < c->K; j++)
			json_array_append_new(tg, json_integer(c->groups[s * c->K + j]));
		json_array_append_new(jsplits, json_pack("{s:i, s:o, s:I, s:I, s:I, s:I}",
			"split", (int)s, "test_groups", tg, "train", (json_int_t)n.train,
			"test", (json_int_t)n.test, "purged", (json_int_t)n.purged,
			"embargoed", (json_int_t)n.embargoed));
	}
	if ((rc = afile_commit(&af)) < 0)
		return cli_fail(rc == -EEXIST ? 2 : 1, "%s: %s", af.path, files_strerror(rc));
	return 0;
}

/* The training record the live check reads (target, weight, parameters,
 * instrument, the input's digest). */
static int stamp(const struct cv *c, struct model *m, const char *label, char *err, size_t n)
{
	struct model_meta md;
	memset(&md, 0, sizeof(md));
	snprintf(md.target, sizeof(md.target), "%s", model_target_name(MODEL_LIVE_TARGET));
	snprintf(md.weight, sizeof(md.weight), "uniq");
	model_params_text(&c->mp, md.params, sizeof(md.params));
	sha256_hex(md.params, strlen(md.params), md.params_sha256);
	snprintf(md.symbol, sizeof(md.symbol), "%s", c->su.plan.in.symbol);
	snprintf(md.tick, sizeof(md.tick), "%.10g",
		 (double)c->su.cfg.instrument.tick_size_e6 / CFG_DEC_SCALE);
	snprintf(md.features_file, sizeof(md.features_file), "%s", c->a.input);
	snprintf(md.features_sha256, sizeof(md.features_sha256), "%s", c->input_sha);
	snprintf(md.labels_file, sizeof(md.labels_file), "%s", label);
	snprintf(md.labels_sha256, sizeof(md.labels_sha256), "%s", c->input_sha);
	return model_meta_set(m, &md, err, n);
}

/* --final-model: one model on every sample, written with its record. */
static int final_model(struct cv *c)
{
	char err[1024];
	const struct model_sample ms = { .x = c->s.x, .y = c->s.y, .w = c->s.w, .t0 = c->s.t0,
					 .t1 = c->s.t1, .n = c->s.n, .n_feat = FEAT_N,
					 .names = feat_names };
	struct model m;
	memset(&m, 0, sizeof(m));
	static struct model_metrics met;
	if (model_train(&m, &c->mp, &ms, NULL, NULL, &met, err, sizeof(err)) < 0)
		return cli_fail(1, "training: %s", err);
	if (stamp(c, &m, "dm-cv --final-model (every sample)", err, sizeof(err)) < 0 ||
	    model_save(&m, c->a.final_model, err, sizeof(err)) < 0) {
		model_close(&m);
		return cli_fail(1, "%s", err);
	}
	model_close(&m);
	if (!c->a.quiet)
		fprintf(stderr, "%s: %zu samples, %u trees, hold-out AUC %.4f: wrote %s\n",
			cli_prog(), c->s.n, met.n_trees, met.holdout.auc, c->a.final_model);
	return 0;
}

/* ---- one split: train on its training rows, score its test rows */

static int split_task(struct cv *c, uint32_t s)
{
	char err[1024], name[4400];
	uint64_t mask = 0;
	for (uint32_t j = 0; j < c->K; j++)
		mask |= 1ull << c->groups[s * c->K + j];
	struct validate_split_counts n;
	if (validate_split_roles(c->s.t0, c->s.t1, c->s.n, c->N, mask, c->a.embargo_ns, c->role,
				 &n) < 0)
		return -1;
	float *x = malloc(n.train * FEAT_N * sizeof(float)), *y = malloc(n.train * sizeof(float));
	float *w = malloc(n.train * sizeof(float));
	int64_t *t0 = malloc(n.train * sizeof(int64_t)), *t1 = malloc(n.train * sizeof(int64_t));
	float *xt = malloc(n.test * FEAT_N * sizeof(float)), *yt = malloc(n.test * sizeof(float));
	float *pt = malloc(n.test * sizeof(float));
	double *sc = malloc(n.test * sizeof(double));
	int rc = -1;
	if (!x || !y || !w || !t0 || !t1 || !xt || !yt || !pt || !sc) {
		fprintf(stderr, "%s: split %u: out of memory\n", cli_prog(), s);
		goto free_rows;
	}
	size_t k = 0, kt = 0;
	for (size_t i = 0; i < c->s.n; i++) {
		if (c->role[i] == MODEL_SPLIT_TRAIN) {
			memcpy(x + k * FEAT_N, c->s.x + i * FEAT_N, FEAT_N * sizeof(float));
			y[k] = c->s.y[i];
			w[k] = c->s.w[i];
			t0[k] = c->s.t0[i];
			t1[k] = c->s.t1[i];
			k++;
		} else if (c->role[i] == MODEL_SPLIT_TEST) {
			memcpy(xt + kt * FEAT_N, c->s.x + i * FEAT_N, FEAT_N * sizeof(float));
			yt[kt++] = c->s.y[i];
		}
	}
	const struct model_sample ms = { .x = x, .y = y, .w = w, .t0 = t0, .t1 = t1, .n = k,
					 .n_feat = FEAT_N, .names = feat_names };
	struct model m;
	memset(&m, 0, sizeof(m));
	static struct model_metrics met;
	if (model_train(&m, &c->mp, &ms, NULL, NULL, &met, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: split %u: training: %s\n", cli_prog(), s, err);
		goto close_model;
	}
	char label[64];
	snprintf(label, sizeof(label), "dm-cv split %u of %u", s, c->n_splits);
	if (stamp(c, &m, label, err, sizeof(err)) < 0 ||
	    model_predict(&m, xt, kt, 0, pt, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: split %u: %s\n", cli_prog(), s, err);
		goto close_model;
	}
	for (size_t i = 0; i < kt; i++)
		sc[i] = pt[i];
	struct model_eval ev;
	memset(&ev, 0, sizeof(ev));
	if (kt && model_eval_probs(sc, yt, kt, 1, 0.5, &ev) < 0)
		ev.auc = ev.logloss = NAN;
	snprintf(name, sizeof(name), "%s/split-%02u.json", c->models, s);
	if (model_save(&m, name, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: split %u: %s\n", cli_prog(), s, err);
		goto close_model;
	}
	json_t *j = json_pack("{s:i, s:I, s:I, s:o, s:o, s:f, s:i, s:i, s:f}", "split", (int)s,
		"trained_on", (json_int_t)k, "tested_on", (json_int_t)kt,
		"auc", num_or_null(kt ? ev.auc : NAN), "logloss", num_or_null(kt ? ev.logloss : NAN),
		"test_pos_rate", kt ? ev.pos_rate : 0.0, "rounds", (int)met.rounds_run,
		"best_iteration", (int)met.best_iteration, "train_seconds", met.train_seconds);
	snprintf(name, sizeof(name), "split-%02u.json", s);
	rc = files_json_write(c->work, name, j);
	json_decref(j);
close_model:
	model_close(&m);
free_rows:
	free(x);
	free(y);
	free(w);
	free(t0);
	free(t1);
	free(xt);
	free(yt);
	free(pt);
	free(sc);
	return rc;
}

/* ---- one path: the whole input, each group's period with its model */

struct minutes {
	int64_t *eq, *min;
	size_t n, cap;
	int oom;
};

static void on_minute(void *ctx, int64_t minute, int64_t equity_e9)
{
	struct minutes *m = ctx;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 1024;
		int64_t *e = realloc(m->eq, cap * sizeof(int64_t));
		if (e)
			m->eq = e;
		int64_t *mi = realloc(m->min, cap * sizeof(int64_t));
		if (mi)
			m->min = mi;
		if (!e || !mi) {
			m->oom = 1;
			return;
		}
		m->cap = cap;
	}
	m->min[m->n] = minute;
	m->eq[m->n++] = equity_e9;
}

static int path_task(struct cv *c, uint32_t p)
{
	char err[FEED_ERR_LEN + 256], why[1024], name[4400];
	struct flat *model_of[MAX_GROUPS] = { NULL };
	uint32_t split_of[MAX_GROUPS];
	memset(split_of, 0xff, sizeof(split_of));
	for (uint32_t s = 0; s < c->n_splits; s++)
		for (uint32_t j = 0; j < c->K; j++)
			if (c->path_of[s * c->K + j] == p)
				split_of[c->groups[s * c->K + j]] = s;
	for (uint32_t g = 0; g < c->N; g++) {
		/* validate_cpcv_table gives every group one split on each path */
		if (split_of[g] == UINT32_MAX) {
			fprintf(stderr, "%s: path %u: no split tests group %u\n", cli_prog(), p, g);
			return -1;
		}
		snprintf(name, sizeof(name), "%s/split-%02u.json", c->models, split_of[g]);
		if (trader_model_load(&c->su.cfg, name, &model_of[g], why, sizeof(why)) < 0) {
			fprintf(stderr, "%s: path %u: %s\n", cli_prog(), p, why);
			return -1;
		}
	}
	size_t msize = bt_memsize(&c->su.tp);
	void *mem = aligned_alloc(64, (msize + 63) & ~(size_t)63);
	struct bt *b = aligned_alloc(64, (sizeof(*b) + 63) & ~(size_t)63);
	struct minutes mn = { NULL, NULL, 0, 0, 0 };
	if (!mem || !b)
		return -1;
	struct instrument in;
	if (instr_init(&in, &c->su.cfg.instrument) < 0)
		return -1;
	struct bt_opts bo = { .on_minute = on_minute, .ctx = &mn,
			      .voter_names = role_names, .n_names = ROLE_COUNT };
	FILE *csv[5] = { NULL, NULL, NULL, NULL, NULL };
	static const char *const csv_name[5] = { "fills.csv", "orders.csv", "decisions.csv",
						 "equity.csv", "tca.csv" };
	char pdir[4300];
	snprintf(pdir, sizeof(pdir), "%s/paths/path-%02u", c->dir, p);
	if (c->a.keep_paths) {
		if (files_mkdir_p(pdir) < 0)
			return -1;
		for (int i = 0; i < 5; i++) {
			snprintf(name, sizeof(name), "%s/%s", pdir, csv_name[i]);
			if (!(csv[i] = fopen(name, "w")))
				return -1;
		}
		bo.out = (struct report_out){ .fills = csv[0], .orders = csv[1],
					      .decisions = csv[2], .equity = csv[3] };
		bo.tca_csv = csv[4];
	}
	snprintf(name, sizeof(name), "%s/split-%02u.json", c->models, split_of[0]);
	if (bt_init(b, mem, msize, &c->su.tp, model_of[0], name, &in, &bo, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: path %u: %s\n", cli_prog(), p, err);
		return -1;
	}
	struct feed_reader rd;
	int rc;
	if ((rc = feed_open(&rd, c->a.input, c->su.plan.fmt, &c->su.plan.fo, err, sizeof(err))) < 0) {
		fprintf(stderr, "%s: path %u: %s\n", cli_prog(), p, err);
		return -1;
	}
	struct event ev;
	uint32_t g = 0;
	while ((rc = feed_next(&rd, &ev)) == 1) {
		while (g + 1 < c->N && ev.exch_ns >= c->group_t[g + 1]) {
			g++;
			snprintf(name, sizeof(name), "%s/split-%02u.json", c->models, split_of[g]);
			bt_use_model(b, model_of[g], name);
		}
		if (bt_on_event(b, &ev) < 0)
			break;
	}
	feed_close(&rd);
	int fin = bt_finish(b);
	for (int i = 0; i < 5; i++)
		if (csv[i] && fclose(csv[i]) == EOF)
			fin = -EIO;
	if (rc < 0 || fin < 0 || mn.oom) {
		fprintf(stderr, "%s: path %u: %s\n", cli_prog(), p,
			rc < 0 ? "input error" : mn.oom ? "out of memory" : "a step did not come to rest");
		return -1;
	}
	struct perf_result pr;
	perf_result(&b->perf, &pr);
	json_t *eq = json_array(), *mins = json_array();
	for (size_t i = 0; i < mn.n; i++) {
		json_array_append_new(eq, json_integer((json_int_t)mn.eq[i]));
		json_array_append_new(mins, json_integer((json_int_t)mn.min[i]));
	}
	json_t *j = json_pack("{s:i, s:o, s:f, s:f, s:I, s:o, s:I, s:o}", "path", (int)p,
		"sharpe", num_or_null(pr.sharpe), "return", pr.net, "max_drawdown", pr.max_drawdown,
		"trades", (json_int_t)pr.trips, "hit_rate", num_or_null(pr.hit_rate),
		"fills", (json_int_t)pr.fills, "minute_equity_e9", eq);
	json_object_set_new(j, "minute", mins);
	snprintf(name, sizeof(name), "path-%02u.json", p);
	rc = files_json_write(c->work, name, j);
	json_decref(j);
	return rc;
}

/* ---- results */

static json_t *read_work(const struct cv *c, const char *kind, uint32_t i)
{
	char path[4400];
	json_error_t je;
	snprintf(path, sizeof(path), "%s/%s-%02u.json", c->work, kind, i);
	return json_load_file(path, 0, &je);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static struct cv c;
	char err[FEED_ERR_LEN + 256];
	int rc, code = 0;
	c.a.groups = 6;
	c.a.test_groups = 2;
	c.a.jobs = 1;

	cli_set_prog("dm-cv");
	if ((rc = parse_args(argc, argv, &c.a)))
		return rc;
	c.N = c.a.groups;
	c.K = c.a.test_groups;

	/* ---- configuration, input, parameters */
	if ((rc = bt_setup(&c.su, c.a.input, c.a.configs, c.a.n_configs, &rt_loader, &c.a.feed,
			   1, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	static struct rt_config rcfg; /* the run directory: system.run_dir */
	rt_config_defaults(&rcfg);
	for (uint32_t i = 0; i < c.a.n_configs; i++)
		if (rt_config_load_over(&rcfg, c.a.configs[i], err, sizeof(err)) < 0)
			return cli_fail(2, "%s", err);
	if (c.su.profile && !c.a.quiet)
		fprintf(stderr, "%s: configuration %s (the bundled profile of %s; -c to choose "
			"another)\n", cli_prog(), c.su.cname, c.su.plan.in.symbol);
	if (c.su.tp.strategy.rule_only)
		return cli_fail(2, "%s: strategy.model is empty (the primary rule alone): there is "
				"no meta-model to cross-validate", c.su.cname);
	model_params_default(&c.mp);
	char mconf[4096];
	if (c.a.n_model_confs) {
		size_t at = 0;
		for (uint32_t i = 0; i < c.a.n_model_confs; i++) {
			if (model_params_load(c.a.model_confs[i], &c.mp, err, sizeof(err)) < 0)
				return cli_fail(2, "%s", err);
			at += (size_t)snprintf(mconf + at, at < sizeof(mconf) ? sizeof(mconf) - at : 0,
					       "%s%s", i ? " + " : "", c.a.model_confs[i]);
			if (at >= sizeof(mconf))
				at = sizeof(mconf) - 1;
		}
	} else if (config_conf_dir(mconf, sizeof(mconf) - 16) == 0) {
		strcat(mconf, "/model.yaml");
		if (access(mconf, R_OK) < 0)
			mconf[0] = '\0';
		else if (model_params_load(mconf, &c.mp, err, sizeof(err)) < 0)
			return cli_fail(2, "%s", err);
	} else {
		mconf[0] = '\0';
	}
	c.mp.nthread = 1; /* the jobs are the parallelism */
	if (c.mp.objective != MODEL_OBJ_BINARY)
		return cli_fail(2, "%s: objective must be binary: the live strategy trades "
				"P(meta = 1)", mconf[0] ? mconf : "the model parameters");
	if ((rc = sha256_file(c.a.input, c.input_sha, err, sizeof(err))) < 0)
		return cli_fail(2, "%s", err);

	/* ---- the output directory */
	if (c.a.out)
		snprintf(c.dir, sizeof(c.dir), "%s", c.a.out);
	else
		snprintf(c.dir, sizeof(c.dir), "%s-cv", rcfg.system.run_dir);
	snprintf(c.work, sizeof(c.work), "%s/work", c.dir);
	snprintf(c.models, sizeof(c.models), "%s/models", c.dir);
	if (!c.a.final_model && ((rc = files_mkdir_p(c.work)) < 0 || (rc = files_mkdir_p(c.models)) < 0))
		return cli_fail(2, "--out %s: cannot create the directory: %s", c.dir,
				strerror(-rc));
	if (c.a.final_model)
		c.work[0] = '\0'; /* nothing of a cross-validation is written */

	/* ---- 1. samples */
	int64_t t_start = cli_mono_ns();
	static struct sample_builder sb;
	if ((code = build_samples(&c, &sb)))
		goto out;
	c.s = sb.out;
	double secs_labels = (double)(cli_mono_ns() - t_start) / 1e9;
	if (c.a.final_model) {
		code = c.s.n < 10 ? cli_fail(1, "%zu samples: too few to train on", c.s.n) :
				    final_model(&c);
		goto out;
	}
	if (c.s.n < 10u * c.N) {
		/* cv.json says why: a search counts this trial as done, without a score */
		char why[256];
		snprintf(why, sizeof(why), "%zu samples for %u groups (at least %u needed)", c.s.n,
			 c.N, 10u * c.N);
		json_t *nr = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "result", why,
			"input", c.a.input, "input_sha256", c.input_sha, "events",
			(json_int_t)sb.n.events, "vectors", (json_int_t)sb.n.rows, "flagged",
			(json_int_t)sb.n.flagged, "no_side", (json_int_t)sb.n.no_side, "samples",
			(json_int_t)c.s.n);
		if ((rc = files_json_write(c.dir, "cv.json", nr)) < 0)
			cli_fail(rc == -EEXIST ? 2 : 1, "%s/cv.json: %s", c.dir, files_strerror(rc));
		json_decref(nr);
		code = cli_fail(1, "%s: not a result (a longer input, a smaller --sample-every, "
				"fewer --groups, or a primary rule that gives sides)", why);
		goto out;
	}
	c.group_t[0] = INT64_MIN;
	for (uint32_t g = 1; g < c.N; g++)
		c.group_t[g] = c.s.t0[validate_group_begin(c.s.n, c.N, g)];

	/* ---- 2. splits */
	c.n_splits = (uint32_t)validate_cpcv_splits(c.N, c.K);
	c.n_paths = (uint32_t)validate_cpcv_paths(c.N, c.K);
	c.groups = calloc((size_t)c.n_splits * c.K, sizeof(uint32_t));
	c.path_of = calloc((size_t)c.n_splits * c.K, sizeof(uint32_t));
	c.role = malloc(c.s.n);
	if (!c.groups || !c.path_of || !c.role) {
		code = cli_fail(1, "out of memory");
		goto out;
	}
	validate_cpcv_table(c.N, c.K, c.groups, c.path_of);
	json_t *jsplits = json_array();
	if ((code = write_splits(&c, jsplits))) {
		json_decref(jsplits);
		goto out;
	}
	if (!c.a.quiet)
		fprintf(stderr, "%s: %u splits (%u groups, %u tested each, embargo %.3f s), %u "
			"paths; training in %u process%s\n", cli_prog(), c.n_splits, c.N, c.K,
			(double)c.a.embargo_ns / 1e9, c.n_paths, c.a.jobs, c.a.jobs > 1 ? "es" : "");
	int64_t t_train = cli_mono_ns();
	uint32_t bad = run_jobs(&c, c.n_splits, "split", split_task);
	double secs_train = (double)(cli_mono_ns() - t_train) / 1e9;
	if (bad) {
		json_decref(jsplits);
		code = cli_fail(1, "%u of %u splits failed (see above)", bad, c.n_splits);
		goto out;
	}

	/* ---- 3. paths */
	int64_t t_paths = cli_mono_ns();
	bad = run_jobs(&c, c.n_paths, "path", path_task);
	double secs_paths = (double)(cli_mono_ns() - t_paths) / 1e9;
	if (bad) {
		json_decref(jsplits);
		code = cli_fail(1, "%u of %u backtest paths failed (see above)", bad, c.n_paths);
		goto out;
	}

	/* ---- results */
	for (uint32_t s = 0; s < c.n_splits; s++) {
		json_t *w = read_work(&c, "split", s), *o = json_array_get(jsplits, s);
		if (!w) {
			json_decref(jsplits);
			code = cli_fail(1, "split %u: its result is missing", s);
			goto out;
		}
		json_object_update(o, w);
		json_decref(w);
	}
	struct afile pf;
	if ((rc = afile_open(&pf, c.dir, "paths.csv")) < 0) {
		json_decref(jsplits);
		code = cli_fail(rc == -EEXIST ? 2 : 1, "%s", pf.err);
		goto out;
	}
	fprintf(pf.f, "path,sharpe,return,max_drawdown,trades,hit_rate,psr,minutes\n");
	json_t *jpaths = json_array();
	double *srs = calloc(c.n_paths, sizeof(double));
	uint32_t n_sr = 0;
	/* returns.csv: the paths' P&L per market minute, on one grid */
	json_t *grid = NULL;
	double **rets = calloc(c.n_paths, sizeof(double *));
	size_t n_min = 0;
	for (uint32_t p = 0; p < c.n_paths && srs; p++) {
		json_t *w = read_work(&c, "path", p);
		if (!w) {
			code = cli_fail(1, "path %u: its result is missing", p);
			break;
		}
		json_t *eq = json_object_get(w, "minute_equity_e9");
		size_t nm = json_array_size(eq);
		double *r = calloc(nm ? nm : 1, sizeof(double));
		size_t nr = 0;
		for (size_t i = 0; r && i < nm; i++) {
			double e = (double)json_integer_value(json_array_get(eq, i)) / 1e9;
			double prev = i ? (double)json_integer_value(json_array_get(eq, i - 1)) / 1e9 : 0;
			r[nr++] = e - prev;
		}
		struct validate_moments mo;
		validate_moments(r, nr, &mo);
		double psr = validate_psr(mo.sr, 0, nr, mo.skew, mo.kurt);
		json_t *mins = json_object_get(w, "minute");
		if (!grid) {
			grid = json_incref(mins);
			n_min = nr;
		} else if (!json_equal(grid, mins)) {
			code = cli_fail(1, "path %u: its market minutes differ from path 0's", p);
		}
		if (rets)
			rets[p] = r;
		else
			free(r);
		json_t *sh = json_object_get(w, "sharpe");
		double sharpe = json_is_real(sh) ? json_real_value(sh) : NAN;
		if (isfinite(sharpe))
			srs[n_sr++] = sharpe;
		json_t *hr = json_object_get(w, "hit_rate");
		fprintf(pf.f, "%u,%.10g,%.10g,%.10g,%lld,%.10g,%.10g,%zu\n", p, sharpe,
			json_real_value(json_object_get(w, "return")),
			json_real_value(json_object_get(w, "max_drawdown")),
			(long long)json_integer_value(json_object_get(w, "trades")),
			json_is_real(hr) ? json_real_value(hr) : NAN, psr, nr);
		json_object_del(w, "minute_equity_e9");
		json_object_del(w, "minute");
		json_object_set_new(w, "psr", num_or_null(psr));
		json_object_set_new(w, "minute_sharpe", num_or_null(mo.sr));
		json_object_set_new(w, "skew", num_or_null(mo.skew));
		json_object_set_new(w, "kurtosis", num_or_null(mo.kurt));
		json_object_set_new(w, "minutes", json_integer((json_int_t)nr));
		json_array_append_new(jpaths, w);
	}
	if (code || (rc = afile_commit(&pf)) < 0) {
		if (!code) {
			code = cli_fail(rc == -EEXIST ? 2 : 1, "%s: %s", pf.path, files_strerror(rc));
		} else {
			afile_abort(&pf);
		}
		json_decref(jsplits);
		json_decref(jpaths);
		free(srs);
		goto out;
	}
	if (!code && rets) {
		struct afile rf;
		if ((rc = afile_open(&rf, c.dir, "returns.csv")) < 0) {
			code = cli_fail(rc == -EEXIST ? 2 : 1, "%s", rf.err);
		} else {
			fprintf(rf.f, "minute");
			for (uint32_t p = 0; p < c.n_paths; p++)
				fprintf(rf.f, ",path_%u", p);
			fputc('\n', rf.f);
			for (size_t i = 0; i < n_min; i++) {
				fprintf(rf.f, "%lld", (long long)json_integer_value(json_array_get(grid, i)));
				for (uint32_t p = 0; p < c.n_paths; p++)
					fprintf(rf.f, ",%.10g", rets[p] ? rets[p][i] : NAN);
				fputc('\n', rf.f);
			}
			if ((rc = afile_commit(&rf)) < 0)
				code = cli_fail(rc == -EEXIST ? 2 : 1, "%s: %s", rf.path, files_strerror(rc));
		}
	}
	for (uint32_t p = 0; rets && p < c.n_paths; p++)
		free(rets[p]);
	free(rets);
	json_decref(grid);
	if (code) {
		json_decref(jsplits);
		json_decref(jpaths);
		free(srs);
		goto out;
	}
	/* the distribution of the paths' (annualised) Sharpe ratios */
	struct validate_moments dm;
	validate_moments(srs, n_sr, &dm);
	qsort(srs, n_sr, sizeof(double), cmp_double);
	double med = !n_sr ? NAN : n_sr % 2 ? srs[n_sr / 2] : (srs[n_sr / 2 - 1] + srs[n_sr / 2]) / 2;
	json_t *dist = json_pack("{s:i, s:i, s:o, s:o, s:o, s:o, s:o}", "n", (int)n_sr,
		"undefined", (int)(c.n_paths - n_sr),
		"mean", num_or_null(dm.mean), "median", num_or_null(med), "stdev", num_or_null(dm.stdev),
		"min", num_or_null(n_sr ? srs[0] : NAN), "max", num_or_null(n_sr ? srs[n_sr - 1] : NAN));
	json_t *vals = json_array();
	for (uint32_t i = 0; i < n_sr; i++)
		json_array_append_new(vals, json_real(srs[i]));
	json_object_set_new(dist, "sorted", vals);
	free(srs);
	double auc_sum = 0;
	uint32_t auc_n = 0;
	for (uint32_t s = 0; s < c.n_splits; s++) {
		json_t *au = json_object_get(json_array_get(jsplits, s), "auc");
		if (json_is_real(au)) {
			auc_sum += json_real_value(au);
			auc_n++;
		}
	}
	json_t *j = json_object();
	json_object_set_new(j, "result", json_string("ok"));
	json_object_set_new(j, "input", json_string(c.a.input));
	json_object_set_new(j, "input_sha256", json_string(c.input_sha));
	json_object_set_new(j, "configuration", json_string(c.su.cname));
	json_object_set_new(j, "model_conf", json_string(mconf[0] ? mconf : "(defaults)"));
	json_object_set_new(j, "groups", json_integer(c.N));
	json_object_set_new(j, "test_groups", json_integer(c.K));
	json_object_set_new(j, "embargo_ns", json_integer((json_int_t)c.a.embargo_ns));
	json_object_set_new(j, "sample_every_ns", json_integer((json_int_t)sb.p.every_ns));
	json_object_set_new(j, "samples", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
		"events", (json_int_t)sb.n.events, "vectors", (json_int_t)sb.n.rows,
		"flagged", (json_int_t)sb.n.flagged, "no_side", (json_int_t)sb.n.no_side,
		"too_soon", (json_int_t)sb.n.too_soon,
		"samples", (json_int_t)c.s.n));
	json_t *gt = json_array();
	for (uint32_t g = 0; g < c.N; g++)
		json_array_append_new(gt, json_pack("{s:i, s:I, s:I}", "group", (int)g,
			"first_row", (json_int_t)validate_group_begin(c.s.n, c.N, g),
			"starts_ns", (json_int_t)(g ? c.group_t[g] : c.s.t0[0])));
	json_object_set_new(j, "group_periods", gt);
	json_object_set_new(j, "splits", jsplits);
	json_object_set_new(j, "mean_auc", num_or_null(auc_n ? auc_sum / auc_n : NAN));
	json_object_set_new(j, "paths", jpaths);
	json_object_set_new(j, "path_sharpe", dist);
	json_object_set_new(j, "seconds", json_pack("{s:f, s:f, s:f, s:f}", "samples", secs_labels,
		"training", secs_train, "backtests", secs_paths,
		"total", (double)(cli_mono_ns() - t_start) / 1e9));
	if ((rc = files_json_write(c.dir, "cv.json", j)) < 0)
		code = cli_fail(rc == -EEXIST ? 2 : 1, "%s/cv.json: %s", c.dir, files_strerror(rc));
	if (!code && c.a.json) {
		json_dumpf(j, stdout, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
		fputc('\n', stdout);
	}
	if (!code && n_min < 60)
		fprintf(stderr, "%s: WARNING: the input holds %zu market minutes: the paths' Sharpe "
			"ratios and PSR rest on that few points\n", cli_prog(), n_min);
	if (!code && !c.a.quiet) {
		fprintf(stderr, "%s: %zu samples, %u splits (mean test AUC %.4f), %u paths: Sharpe "
			"median %.3f, mean %.3f, stdev %.3f, min %.3f, max %.3f\n", cli_prog(), c.s.n,
			c.n_splits, auc_n ? auc_sum / auc_n : NAN, c.n_paths, med, dm.mean, dm.stdev,
			json_real_value(json_object_get(dist, "min")),
			json_real_value(json_object_get(dist, "max")));
		fprintf(stderr, "  time: samples %.1f s, training %.1f s, backtests %.1f s\n",
			secs_labels, secs_train, secs_paths);
		fprintf(stderr, "  written: %s/{splits.csv,paths.csv,cv.json,models/%s}\n", c.dir,
			c.a.keep_paths ? ",paths/" : "");
	}
	json_decref(j);

out:
	/* the work files are the processes' hand-over, not results */
	if (c.work[0]) {
		for (uint32_t i = 0; i < c.n_splits || i < c.n_paths; i++) {
			char p[4400];
			snprintf(p, sizeof(p), "%s/split-%02u.json", c.work, i);
			unlink(p);
			snprintf(p, sizeof(p), "%s/path-%02u.json", c.work, i);
			unlink(p);
		}
		rmdir(c.work);
	}
	free(c.groups);
	free(c.path_of);
	free(c.role);
	sample_free(&sb);
	return code;
}
