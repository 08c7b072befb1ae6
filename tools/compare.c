/*
 * dm-compare — every strategy variant on every market, side by side
 * (docs/strategies.md, "Comparing strategies"; docs/report.md).
 *
 *   dm-compare --input FILE[,FILE...] [--variant NAME=CONF ...] --out DIR
 *              [-c CONF] [--cv [--groups N] [--test-groups K] [--embargo D]
 *              [--sample-every D]]
 *              [--jobs J] [--json] [--quiet]
 *
 * A variant is a configuration file layered last (a file of conf/strategies/:
 * taker, mm_as, mm_glft by default), so a new way of trading is one more
 * file.  For each input the layers under it are the -c files when given;
 * else nothing when the first variant alone trades the input's instrument
 * (WIN, the built-in one); else the bundled instrument profile of
 * conf/instruments/ under which it does (as dm-backtest picks one when
 * given no -c).  Every variant is loaded over those layers before
 * anything runs: a file that does not load is named with its line and key
 * and nothing runs (exit 2).
 *
 * Then, one child process each (this program's directory's dm-backtest and
 * dm-cv, at most J at once), for market M and variant V:
 *   DIR/runs/M/V/   dm-backtest --input FILE -c LAYERS... -c CONF --out it
 *   DIR/cv/M/V/     dm-cv (with --cv) the same way
 *   DIR/logs/M-V-backtest.log, DIR/logs/M-V-cv.log: their output
 * and the figures of each run, worked out from its files (below), into
 * DIR/compare.json, which dm-report renders (dm-report DIR).
 *
 * The figures, per run (compare.json markets.M.runs.V):
 *   net_pnl            equity of the last equity.csv row (net of fees)
 *   sharpe, max_drawdown   summary.json performance.* (libcore/report/perf.h)
 *   fills, orders      rows of fills.csv, of orders.csv
 *   fill_rate          fills / orders (null without orders)
 *   passive_share      share of the fills with liquidity "maker"
 *   inventory_mean_abs |position| of equity.csv held from row to row,
 *                      averaged over market time (first row to last)
 *   inventory_max_abs  the largest |position| of equity.csv
 *   adverse_1s/5s/30s  mean over tca.csv's rows that have impact_H of
 *                      -impact_H / 2 = d (m(t) - m(t + H)): how far the mid
 *                      moved against the fill H after it, price units,
 *                      positive = adverse selection (n_1s/5s/30s: rows)
 *   fees               sum of fills.csv's fee
 *   cv                 with --cv: cv.json path_sharpe n, mean, stdev
 *
 * Prints the figures as a Markdown table per market on stdout (--json:
 * compare.json instead).
 *
 * Exit 0 when every run gave a result; 1 when one did not (its log is
 * named, the others are still gathered) or on a runtime failure; 2 on bad
 * usage, input or configuration.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "agents/rt/view.h"
#include "libcore/backtest/bt_setup.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "tools/lib/files.h"

extern char **environ;

#define MAX_INPUTS   16
#define MAX_VARIANTS 16
#define NAME_MAX_LEN 96

enum { O_OUT = 0x200, O_VARIANT, O_CV, O_GROUPS, O_TEST_GROUPS, O_EMBARGO, O_EVERY, O_JOBS };

struct variant {
	char name[NAME_MAX_LEN];
	char conf[PATH_MAX];
};

struct market {
	char name[NAME_MAX_LEN];
	const char *input;
	const char *layers[BT_MAX_CONFIGS];
	uint32_t n_layers;
	char profile[PATH_MAX];  /* the picked profile, "" none */
	char cname[2200];        /* what the layers are, for the page */
};

struct args {
	const char *inputs[MAX_INPUTS];
	uint32_t n_inputs;
	struct variant var[MAX_VARIANTS];
	uint32_t n_var;
	const char *configs[BT_MAX_CONFIGS];
	uint32_t n_configs;
	const char *out;
	int cv, quiet, json;
	const char *groups, *test_groups, *embargo, *every;
	uint32_t jobs;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-compare --input FILE[,FILE...] [--variant NAME=CONF ...] --out DIR\n"
"                  [-c CONF] [--cv [--groups N] [--test-groups K] [--embargo D]\n"
"                  [--sample-every D]] [--jobs J] [--json] [--quiet]\n"
"\n"
"Runs every strategy variant on every market with dm-backtest (and dm-cv with\n"
"--cv) and gathers the figures side by side into DIR/compare.json, which\n"
"'dm-report DIR' renders: net P&L, Sharpe, max drawdown, fills, orders, fill\n"
"rate, passive share, mean and max |inventory|, adverse selection at 1, 5 and\n"
"30 s (tca.csv), fees; with --cv the mean and spread of the paths' Sharpe.\n"
"\n"
"  --input FILE[,...]  market data (any format dm-backtest reads); again for more\n"
"  --variant NAME=CONF a strategy variant: a configuration file layered last;\n"
"                      NAME letters, digits, '-' and '_'; again for more.  Default:\n"
"                      taker, mm_as and mm_glft of conf/strategies/\n"
"  --out DIR           where the runs and compare.json go (created)\n"
"  -c, --config F      layers under every variant, for every input (again: each\n"
"                      over the ones before).  Default: the bundled instrument\n"
"                      profile that trades the input (conf/instruments/), as\n"
"                      dm-backtest picks it, or none for WIN\n"
"  --cv                also dm-cv each variant on each market\n"
"  --groups N          dm-cv --groups (default 6)\n"
"  --test-groups K     dm-cv --test-groups (default 2)\n"
"  --embargo D         dm-cv --embargo (default 0)\n"
"  --sample-every D    dm-cv --sample-every (default the strategy's min_interval_ms)\n"
"  --jobs J            runs at once, 1..64 (default 1)\n"
"  --json              compare.json on standard output (instead of the tables)\n"
"  --quiet             no progress on stderr\n"
"  -h, --help          this text\n"
"  --version           the release and the journal layout\n"
"\n"
"Writes DIR/runs/MARKET/VARIANT/ (dm-backtest's files), DIR/cv/MARKET/VARIANT/\n"
"(dm-cv's), DIR/logs/ and DIR/compare.json; MARKET is the input's file name up\n"
"to its first '.'.  A variant that does not load over a market's layers is named\n"
"(file:line:key) and nothing runs.\n"
"Exit 0 when every run gave a result, 1 when one did not (or on a runtime\n"
"failure), 2 on bad usage, input or configuration.\n");
}

static const struct bt_loader rt_loader = { rt_config_load_core, rt_config_load_core_over };

static int name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int add_variant(struct args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || !eq[1])
		return cli_usage_error("--variant '%s': NAME=CONF (taker=conf/strategies/taker.yaml)",
				       arg);
	size_t n = (size_t)(eq - arg);
	if (!name_ok(arg, n))
		return cli_usage_error("--variant '%s': the name is 1..%d letters, digits, '-' or '_'",
				       arg, NAME_MAX_LEN - 1);
	if (a->n_var == MAX_VARIANTS)
		return cli_usage_error("--variant: at most %d variants", MAX_VARIANTS);
	struct variant *v = &a->var[a->n_var];
	memcpy(v->name, arg, n);
	v->name[n] = '\0';
	for (uint32_t i = 0; i < a->n_var; i++)
		if (!strcmp(a->var[i].name, v->name))
			return cli_usage_error("--variant '%s': the name '%s' is given twice", arg,
					       v->name);
	if (strlen(eq + 1) >= sizeof(v->conf))
		return cli_usage_error("--variant '%s': the path is too long", arg);
	snprintf(v->conf, sizeof(v->conf), "%s", eq + 1);
	a->n_var++;
	return 0;
}

static int add_inputs(struct args *a, char *arg)
{
	char *save = NULL;
	for (char *t = strtok_r(arg, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (a->n_inputs == MAX_INPUTS)
			return cli_usage_error("--input: at most %d files", MAX_INPUTS);
		a->inputs[a->n_inputs++] = t;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, O_OUT },
		{ "variant", required_argument, NULL, O_VARIANT },
		{ "cv", no_argument, NULL, O_CV },
		{ "groups", required_argument, NULL, O_GROUPS },
		{ "test-groups", required_argument, NULL, O_TEST_GROUPS },
		{ "embargo", required_argument, NULL, O_EMBARGO },
		{ "sample-every", required_argument, NULL, O_EVERY },
		{ "jobs", required_argument, NULL, O_JOBS },
		{ "json", no_argument, NULL, CLI_O_JSON },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;
	uint32_t u;
	int64_t ns;

	a->jobs = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			if ((rc = add_inputs(a, optarg)))
				return rc;
			break;
		case 'c':
			if ((rc = cli_add_file("-c", optarg, a->configs, &a->n_configs,
					       BT_MAX_CONFIGS - 1)))
				return rc;
			break;
		case O_OUT:
			a->out = optarg;
			break;
		case O_VARIANT:
			if ((rc = add_variant(a, optarg)))
				return rc;
			break;
		case O_CV:
			a->cv = 1;
			break;
		case O_GROUPS:
			if (cli_parse_u32(optarg, 2, 16, &u) < 0)
				return cli_usage_error("--groups '%s': a whole number 2..16", optarg);
			a->groups = optarg;
			break;
		case O_TEST_GROUPS:
			if (cli_parse_u32(optarg, 1, 15, &u) < 0)
				return cli_usage_error("--test-groups '%s': a whole number 1..15", optarg);
			a->test_groups = optarg;
			break;
		case O_EMBARGO:
			if (cli_parse_duration_ns(optarg, &ns) < 0)
				return cli_usage_error("--embargo '%s': a duration with its unit (30s, "
						       "5m) or 0", optarg);
			a->embargo = optarg;
			break;
		case O_EVERY:
			if (cli_parse_duration_ns(optarg, &ns) < 0)
				return cli_usage_error("--sample-every '%s': a duration with its unit "
						       "(250ms, 1s) or 0", optarg);
			a->every = optarg;
			break;
		case O_JOBS:
			if (cli_parse_u32(optarg, 1, 64, &a->jobs) < 0)
				return cli_usage_error("--jobs '%s': a whole number 1..64", optarg);
			break;
		case CLI_O_QUIET:
			a->quiet = 1;
			break;
		case CLI_O_JSON:
			a->json = 1;
			break;
		case CLI_O_VERSION:
			exit(cli_version());
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->n_inputs)
		return cli_usage_error("--input FILE is required");
	if (!a->out)
		return cli_usage_error("--out DIR is required");
	if (!a->cv && (a->groups || a->test_groups || a->embargo || a->every))
		return cli_usage_error("--groups, --test-groups, --embargo and --sample-every go "
				       "with --cv");
	return 0;
}

/* The default variants: conf/strategies/{taker,mm_as,mm_glft}.yaml of the
 * configuration directory (config_conf_dir). */
static int default_variants(struct args *a)
{
	static const char *const names[] = { "taker", "mm_as", "mm_glft" };
	char dir[PATH_MAX];
	if (config_conf_dir(dir, sizeof(dir)) < 0)
		return cli_fail(2, "no conf/ directory found for the default variants "
				"(conf/strategies/): give --variant NAME=CONF");
	for (int i = 0; i < 3; i++) {
		struct variant *v = &a->var[a->n_var++];
		snprintf(v->name, sizeof(v->name), "%s", names[i]);
		if (snprintf(v->conf, sizeof(v->conf), "%s/strategies/%s.yaml", dir, names[i]) >=
		    (int)sizeof(v->conf))
			return cli_fail(2, "%s: path too long", dir);
	}
	return 0;
}

/* The market's name: the input's file name up to its first '.', other
 * characters than letters, digits, '-' and '_' as '_', cut to fit, made
 * unique with -2, -3... */
static void market_name(struct market *ms, uint32_t k)
{
	const char *b = strrchr(ms[k].input, '/');
	b = b ? b + 1 : ms[k].input;
	char n[NAME_MAX_LEN - 4];
	size_t i = 0;
	for (; b[i] && b[i] != '.' && i + 1 < sizeof(n); i++) {
		char c = b[i];
		n[i] = name_ok(&c, 1) ? c : '_';
	}
	n[i] = '\0';
	if (!i)
		snprintf(n, sizeof(n), "market");
	snprintf(ms[k].name, sizeof(ms[k].name), "%s", n);
	for (int s = 2;; s++) {
		uint32_t j = 0;
		for (; j < k && strcmp(ms[j].name, ms[k].name); j++)
			;
		if (j == k)
			return;
		snprintf(ms[k].name, sizeof(ms[k].name), "%s-%d", n, s);
	}
}

/* The layers of market m and a check that every variant loads over them
 * (bt_setup: the files, what they name, the instrument against the
 * input).  0, or the exit code after the message. */
static int plan_market(const struct args *a, struct market *m)
{
	static struct bt_setup su;
	struct cli_feed_args fa = { 0 };
	char err[1024];
	int rc;

	m->n_layers = 0;
	if (a->n_configs) {
		for (uint32_t i = 0; i < a->n_configs; i++)
			m->layers[m->n_layers++] = a->configs[i];
	} else {
		/* the first variant alone; else over each bundled profile (as
		 * bt_setup picks one, but with the variant's strategy: the
		 * built-in one may name a model not trained) */
		const char *l[2] = { a->var[0].conf, NULL };
		rc = bt_setup(&su, m->input, l, 1, &rt_loader, &fa, 1, err, sizeof(err));
		if (rc < 0) {
			char dir[PATH_MAX], pat[PATH_MAX + 32], e2[1024];
			glob_t g = { 0 };
			int found = 0;
			if (config_conf_dir(dir, sizeof(dir)) == 0) {
				snprintf(pat, sizeof(pat), "%s/instruments/*.yaml", dir);
				if (glob(pat, 0, NULL, &g) != 0)
					g.gl_pathc = 0;
			}
			for (size_t i = 0; i < g.gl_pathc && !found; i++) {
				l[0] = g.gl_pathv[i];
				l[1] = a->var[0].conf;
				if (bt_setup(&su, m->input, l, 2, &rt_loader, &fa, 1, e2,
					     sizeof(e2)) == 0) {
					snprintf(m->profile, sizeof(m->profile), "%s", g.gl_pathv[i]);
					m->layers[m->n_layers++] = m->profile;
					found = 1;
				}
			}
			if (g.gl_pathc)
				globfree(&g);
			if (!found)
				return cli_fail(cli_exit_code(rc), "variant '%s' on %s: %s (nor over "
						"a bundled profile of conf/instruments/)", a->var[0].name,
						m->input, err);
		}
	}
	for (uint32_t v = 0; v < a->n_var; v++) {
		const char *l[BT_MAX_CONFIGS];
		memcpy(l, m->layers, m->n_layers * sizeof(*l));
		l[m->n_layers] = a->var[v].conf;
		rc = bt_setup(&su, m->input, l, m->n_layers + 1, &rt_loader, &fa, 1, err,
			      sizeof(err));
		if (rc < 0)
			return cli_fail(cli_exit_code(rc), "variant '%s' on %s: %s", a->var[v].name,
					m->input, err);
	}
	size_t at = 0;
	m->cname[0] = '\0';
	for (uint32_t i = 0; i < m->n_layers; i++)
		at += (size_t)snprintf(m->cname + at, at < sizeof(m->cname) ? sizeof(m->cname) - at : 0,
				       "%s%s", i ? " + " : "", m->layers[i]);
	if (!m->n_layers)
		snprintf(m->cname, sizeof(m->cname), "the built-in configuration");
	return 0;
}

/* ------------------------------------------------------------ the runs */

struct job {
	const struct market *m;
	const struct variant *v;
	int cv;            /* 0 dm-backtest, 1 dm-cv */
	char dir[PATH_MAX];
	char log[PATH_MAX];
	pid_t pid;
	int status;        /* exit code; -1 not run; 128 + signal */
};

static char g_bindir[PATH_MAX];

static int find_bindir(void)
{
	char p[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", p, sizeof(p) - 1);
	if (n <= 0)
		return cli_fail(1, "/proc/self/exe: %s", strerror(errno));
	p[n] = '\0';
	char *s = strrchr(p, '/');
	*s = '\0';
	snprintf(g_bindir, sizeof(g_bindir), "%s", p);
	return 0;
}

static int job_start(const struct args *a, struct job *j)
{
	char prog[PATH_MAX + 16];
	const char *argv[64];
	int n = 0;
	snprintf(prog, sizeof(prog), "%s/%s", g_bindir, j->cv ? "dm-cv" : "dm-backtest");
	argv[n++] = prog;
	argv[n++] = "--input";
	argv[n++] = j->m->input;
	for (uint32_t i = 0; i < j->m->n_layers; i++) {
		argv[n++] = "-c";
		argv[n++] = j->m->layers[i];
	}
	argv[n++] = "-c";
	argv[n++] = j->v->conf;
	argv[n++] = "--out";
	argv[n++] = j->dir;
	if (j->cv) {
		if (a->groups) {
			argv[n++] = "--groups";
			argv[n++] = a->groups;
		}
		if (a->test_groups) {
			argv[n++] = "--test-groups";
			argv[n++] = a->test_groups;
		}
		if (a->embargo) {
			argv[n++] = "--embargo";
			argv[n++] = a->embargo;
		}
		if (a->every) {
			argv[n++] = "--sample-every";
			argv[n++] = a->every;
		}
	}
	argv[n] = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, j->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	int rc = posix_spawn(&j->pid, prog, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return cli_fail(1, "%s: %s", prog, strerror(rc));
	return 0;
}

static int run_jobs(const struct args *a, struct job *jobs, uint32_t n)
{
	uint32_t next = 0, done = 0, running = 0;
	while (done < n) {
		while (next < n && running < a->jobs) {
			struct job *j = &jobs[next++];
			if (!a->quiet)
				fprintf(stderr, "%s: [%u/%u] %s / %s: %s -> %s\n", cli_prog(), next, n,
					j->m->name, j->v->name, j->cv ? "dm-cv" : "dm-backtest", j->dir);
			if (job_start(a, j)) {
				/* not started: no result, the others still run */
				j->status = 127;
				done++;
				continue;
			}
			running++;
		}
		if (!running)
			continue;
		int st;
		pid_t p;
		do
			p = wait(&st);
		while (p < 0 && errno == EINTR);
		if (p < 0)
			return cli_fail(1, "wait: %s", strerror(errno));
		for (uint32_t i = 0; i < next; i++) {
			if (jobs[i].pid != p)
				continue;
			jobs[i].status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			jobs[i].pid = 0;
			running--;
			done++;
			if (jobs[i].status && !a->quiet)
				fprintf(stderr, "%s: %s / %s: %s exited %d (see %s)\n", cli_prog(),
					jobs[i].m->name, jobs[i].v->name,
					jobs[i].cv ? "dm-cv" : "dm-backtest", jobs[i].status,
					jobs[i].log);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ CSV files */

#define CSV_MAXF 64

struct csv {
	FILE *f;
	char path[PATH_MAX + 32];
	long line;
	char *buf;
	size_t cap;
	char head[4096];
	char *hf[CSV_MAXF];
	int nh;
	char *fld[CSV_MAXF];
	int nf;
};

static int split(char *s, char **out, int max)
{
	int n = 0;
	size_t l = strlen(s);
	while (l && (s[l - 1] == '\n' || s[l - 1] == '\r'))
		s[--l] = '\0';
	for (;;) {
		if (n == max)
			return -1;
		out[n++] = s;
		char *c = strchr(s, ',');
		if (!c)
			return n;
		*c = '\0';
		s = c + 1;
	}
}

/* 0, or the exit code after the message (2: missing or malformed). */
static int csv_open(struct csv *c, const char *dir, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s/%s", dir, name);
	if (!(c->f = fopen(c->path, "r")))
		return cli_fail(2, "%s: %s", c->path, strerror(errno));
	if (getline(&c->buf, &c->cap, c->f) < 0) {
		fclose(c->f);
		free(c->buf);
		return cli_fail(2, "%s:1: no header", c->path);
	}
	c->line = 1;
	snprintf(c->head, sizeof(c->head), "%s", c->buf);
	c->nh = split(c->head, c->hf, CSV_MAXF);
	return 0;
}

static void csv_close(struct csv *c)
{
	if (c->f)
		fclose(c->f);
	free(c->buf);
	c->f = NULL;
	c->buf = NULL;
}

/* The column's index, or -1 after the message. */
static int csv_col(struct csv *c, const char *name)
{
	for (int i = 0; i < c->nh; i++)
		if (!strcmp(c->hf[i], name))
			return i;
	cli_fail(2, "%s:1: no column '%s'", c->path, name);
	return -1;
}

/* 1 with a row, 0 at the end, -1 after the message. */
static int csv_next(struct csv *c)
{
	ssize_t r = getline(&c->buf, &c->cap, c->f);
	if (r < 0)
		return 0;
	c->line++;
	if (c->buf[r - 1] != '\n') {
		cli_fail(2, "%s:%ld: the last line has no end (a file cut short)", c->path, c->line);
		return -1;
	}
	c->nf = split(c->buf, c->fld, CSV_MAXF);
	if (c->nf != c->nh) {
		cli_fail(2, "%s:%ld: %d fields, the header has %d", c->path, c->line, c->nf, c->nh);
		return -1;
	}
	return 1;
}

/* Column col as a number: 1, 0 when empty, -1 after the message. */
static int csv_num(struct csv *c, int col, double *out)
{
	const char *s = c->fld[col];
	if (!*s)
		return 0;
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	if (errno || *end || !isfinite(*out)) {
		cli_fail(2, "%s:%ld: column '%s': '%s' is not a number", c->path, c->line,
			 c->hf[col], s);
		return -1;
	}
	return 1;
}

/* ------------------------------------------------------------ figures */

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* The figures of one dm-backtest directory into r. 0 or an exit code. */
static int gather_run(const char *dir, json_t *r)
{
	struct csv c;
	int rc;
	double v;

	/* fills.csv: count, passive share, fees */
	if ((rc = csv_open(&c, dir, "fills.csv")))
		return rc;
	int cl = csv_col(&c, "liquidity"), cf = csv_col(&c, "fee");
	if (cl < 0 || cf < 0)
		goto bad;
	long fills = 0, maker = 0;
	double fees = 0;
	while ((rc = csv_next(&c)) == 1) {
		fills++;
		maker += !strcmp(c.fld[cl], "maker");
		if ((rc = csv_num(&c, cf, &v)) < 0)
			goto bad;
		if (rc)
			fees += v;
	}
	if (rc < 0)
		goto bad;
	csv_close(&c);

	/* orders.csv: count */
	if ((rc = csv_open(&c, dir, "orders.csv")))
		return rc;
	long orders = 0;
	while ((rc = csv_next(&c)) == 1)
		orders++;
	if (rc < 0)
		goto bad;
	csv_close(&c);

	/* equity.csv: net P&L, |inventory| */
	if ((rc = csv_open(&c, dir, "equity.csv")))
		return rc;
	int ct = csv_col(&c, "t_ns"), cp = csv_col(&c, "position"), ce = csv_col(&c, "equity");
	if (ct < 0 || cp < 0 || ce < 0)
		goto bad;
	double net = NAN, t0 = NAN, tp = NAN, pp = 0, area = 0, maxabs = 0;
	while ((rc = csv_next(&c)) == 1) {
		double t, p, e;
		if (csv_num(&c, ct, &t) != 1 || csv_num(&c, cp, &p) != 1 || csv_num(&c, ce, &e) != 1) {
			cli_fail(2, "%s:%ld: t_ns, position and equity must be numbers", c.path, c.line);
			goto bad;
		}
		if (isnan(t0))
			t0 = t;
		else
			area += fabs(pp) * (t - tp);
		tp = t;
		pp = p;
		net = e;
		if (fabs(p) > maxabs)
			maxabs = fabs(p);
	}
	if (rc < 0)
		goto bad;
	csv_close(&c);
	double inv_mean = isnan(t0) ? NAN : tp > t0 ? area / (tp - t0) : fabs(pp);

	/* tca.csv: adverse selection */
	static const char *const hz[] = { "1s", "5s", "30s" };
	double adv[3] = { 0 };
	long an[3] = { 0 };
	if ((rc = csv_open(&c, dir, "tca.csv")))
		return rc;
	int ci[3];
	for (int h = 0; h < 3; h++) {
		char col[32];
		snprintf(col, sizeof(col), "impact_%s", hz[h]);
		if ((ci[h] = csv_col(&c, col)) < 0)
			goto bad;
	}
	while ((rc = csv_next(&c)) == 1)
		for (int h = 0; h < 3; h++) {
			int k = csv_num(&c, ci[h], &v);
			if (k < 0) {
				rc = -1;
				goto bad;
			}
			if (k) {
				adv[h] += -v / 2;
				an[h]++;
			}
		}
	if (rc < 0)
		goto bad;
	csv_close(&c);

	json_error_t je;
	char sp[PATH_MAX + 32];
	snprintf(sp, sizeof(sp), "%s/summary.json", dir);
	json_t *sum = json_load_file(sp, 0, &je);
	if (!sum)
		return cli_fail(2, "%s:%d:%d: %s", sp, je.line, je.column, je.text);
	json_t *perf = json_object_get(sum, "performance");
	json_t *sh = json_object_get(perf, "sharpe"), *dd = json_object_get(perf, "max_drawdown");
	const char *cur = json_string_value(json_object_get(json_object_get(sum, "instrument"),
							    "currency"));

	json_object_set_new(r, "net_pnl", num(net));
	json_object_set_new(r, "sharpe", num(json_is_number(sh) ? json_number_value(sh) : NAN));
	json_object_set_new(r, "max_drawdown",
			    num(json_is_number(dd) ? json_number_value(dd) : NAN));
	json_object_set_new(r, "fills", json_integer(fills));
	json_object_set_new(r, "orders", json_integer(orders));
	json_object_set_new(r, "fill_rate", num(orders ? (double)fills / (double)orders : NAN));
	json_object_set_new(r, "passive_share", num(fills ? (double)maker / (double)fills : NAN));
	json_object_set_new(r, "inventory_mean_abs", num(inv_mean));
	json_object_set_new(r, "inventory_max_abs", num(maxabs));
	for (int h = 0; h < 3; h++) {
		char k[32];
		snprintf(k, sizeof(k), "adverse_%s", hz[h]);
		json_object_set_new(r, k, num(an[h] ? adv[h] / (double)an[h] : NAN));
		snprintf(k, sizeof(k), "n_%s", hz[h]);
		json_object_set_new(r, k, json_integer(an[h]));
	}
	json_object_set_new(r, "fees", num(fees));
	json_object_set_new(r, "currency", json_string(cur ? cur : ""));
	json_decref(sum);
	return 0;
bad:
	csv_close(&c);
	return 2;
}

/* cv.json's path_sharpe into r.cv. */
static int gather_cv(const char *dir, json_t *cv)
{
	json_error_t je;
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/cv.json", dir);
	json_t *j = json_load_file(p, 0, &je);
	if (!j)
		return cli_fail(2, "%s:%d:%d: %s", p, je.line, je.column, je.text);
	json_t *ps = json_object_get(j, "path_sharpe");
	json_t *n = json_object_get(ps, "n"), *m = json_object_get(ps, "mean"),
	       *s = json_object_get(ps, "stdev"), *np = json_object_get(j, "paths");
	json_object_set_new(cv, "paths", json_integer((json_int_t)json_array_size(np)));
	json_object_set_new(cv, "sharpe_n", json_integer(json_is_integer(n) ? json_integer_value(n)
							  : 0));
	json_object_set_new(cv, "sharpe_mean", num(json_is_number(m) ? json_number_value(m) : NAN));
	json_object_set_new(cv, "sharpe_stdev",
			    num(json_is_number(s) ? json_number_value(s) : NAN));
	json_decref(j);
	return 0;
}

/* ------------------------------------------------------------ the table */

static void put_num(const json_t *o, const char *key, const char *fmt)
{
	const json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		printf(" %lld |", (long long)json_integer_value(v));
	else if (json_is_number(v)) {
		putchar(' ');
		printf(fmt, json_number_value(v));
		printf(" |");
	} else
		printf(" n/a |");
}

/* compare.json as a Markdown table per market on stdout. */
static void print_tables(const json_t *root, int cv)
{
	const char *mn, *vn;
	const json_t *m, *r;
	json_object_foreach((json_t *)json_object_get(root, "markets"), mn, m) {
		const json_t *runs = json_object_get(m, "runs");
		const char *cur = "";
		json_object_foreach((json_t *)runs, vn, r) {
			const char *c = json_string_value(json_object_get(r, "currency"));
			if (c && *c) {
				cur = c;
				break;
			}
		}
		printf("\n%s (%s; money in %s, adverse selection in price units)\n\n", mn,
		       json_string_value(json_object_get(m, "configuration")), cur);
		printf("| variant | net P&L | Sharpe | max DD | fills | orders | fill rate | "
		       "passive | mean abs q | max abs q | adverse 1s | adverse 5s | adverse 30s | "
		       "fees |%s\n", cv ? " cv paths | cv Sharpe mean | cv Sharpe sd |" : "");
		printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|%s\n",
		       cv ? "---|---|---|" : "");
		json_object_foreach((json_t *)runs, vn, r) {
			printf("| %s |", vn);
			json_int_t ex = json_integer_value(json_object_get(r, "exit"));
			if (ex) {
				printf(" no result (exit %lld) |\n", (long long)ex);
				continue;
			}
			put_num(r, "net_pnl", "%.4g");
			put_num(r, "sharpe", "%.3g");
			put_num(r, "max_drawdown", "%.4g");
			put_num(r, "fills", "%g");
			put_num(r, "orders", "%g");
			put_num(r, "fill_rate", "%.3f");
			put_num(r, "passive_share", "%.3f");
			put_num(r, "inventory_mean_abs", "%.3g");
			put_num(r, "inventory_max_abs", "%g");
			put_num(r, "adverse_1s", "%.4g");
			put_num(r, "adverse_5s", "%.4g");
			put_num(r, "adverse_30s", "%.4g");
			put_num(r, "fees", "%.4g");
			if (cv) {
				const json_t *c = json_object_get(r, "cv");
				if (json_integer_value(json_object_get(c, "exit"))) {
					printf(" no result (exit %lld) | | |",
					       (long long)json_integer_value(json_object_get(c, "exit")));
				} else {
					put_num(c, "paths", "%g");
					put_num(c, "sharpe_mean", "%.3g");
					put_num(c, "sharpe_stdev", "%.3g");
				}
			}
			putchar('\n');
		}
	}
}

/* ------------------------------------------------------------ main */

static int mkdirs(const char *a, const char *b, const char *c, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s%s%s", a, b ? "/" : "", b ? b : "", c ? "/" : "", c ? c : "");
	int rc = files_mkdir_p(out);
	if (rc < 0)
		return cli_fail(cli_exit_code(rc), "%s: %s", out, files_strerror(rc));
	return 0;
}

int main(int argc, char **argv)
{
	static struct args a;
	static struct market ms[MAX_INPUTS];
	int rc;

	cli_set_prog("dm-compare");
	if ((rc = parse_args(argc, argv, &a)))
		return rc;
	if (!a.n_var && (rc = default_variants(&a)))
		return rc;
	for (uint32_t v = 0; v < a.n_var; v++) {
		struct stat st;
		if (stat(a.var[v].conf, &st) < 0)
			return cli_fail(2, "variant '%s': %s: %s", a.var[v].name, a.var[v].conf,
					strerror(errno));
	}
	for (uint32_t k = 0; k < a.n_inputs; k++) {
		ms[k].input = a.inputs[k];
		market_name(ms, k);
		if ((rc = plan_market(&a, &ms[k])))
			return rc;
	}
	if ((rc = find_bindir()))
		return rc;

	char d[PATH_MAX * 2];
	if ((rc = mkdirs(a.out, "logs", NULL, d, sizeof(d))))
		return rc;
	uint32_t nj = a.n_inputs * a.n_var * (a.cv ? 2 : 1);
	struct job *jobs = calloc(nj, sizeof(*jobs));
	if (!jobs)
		return cli_fail(1, "out of memory");
	uint32_t n = 0;
	for (uint32_t k = 0; k < a.n_inputs; k++)
		for (uint32_t v = 0; v < a.n_var; v++)
			for (int cv = 0; cv <= a.cv; cv++) {
				struct job *j = &jobs[n++];
				j->m = &ms[k];
				j->v = &a.var[v];
				j->cv = cv;
				j->status = -1;
				char top[PATH_MAX];
				snprintf(top, sizeof(top), "%s/%s", a.out, cv ? "cv" : "runs");
				if ((rc = mkdirs(top, ms[k].name, a.var[v].name, j->dir,
						 sizeof(j->dir))))
					return rc;
				snprintf(j->log, sizeof(j->log), "%s/logs/%s-%s-%s.log", a.out,
					 ms[k].name, a.var[v].name, cv ? "cv" : "backtest");
			}
	if ((rc = run_jobs(&a, jobs, n)))
		return rc;

	json_t *root = json_object(), *jv = json_object(), *jm = json_object();
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "cv", json_boolean(a.cv));
	if (a.cv)
		json_object_set_new(root, "cv_options",
				    json_pack("{s:s, s:s, s:s, s:s}", "groups", a.groups ? a.groups : "6",
					      "test_groups", a.test_groups ? a.test_groups : "2",
					      "embargo", a.embargo ? a.embargo : "0", "sample_every",
					      a.every ? a.every : "the strategy's min_interval_ms"));
	for (uint32_t v = 0; v < a.n_var; v++)
		json_object_set_new(jv, a.var[v].name, json_pack("{s:s}", "conf", a.var[v].conf));
	json_object_set_new(root, "variants", jv);
	json_object_set_new(root, "markets", jm);
	int failed = 0;
	for (uint32_t k = 0; k < a.n_inputs; k++) {
		json_t *m = json_object(), *runs = json_object();
		json_object_set_new(m, "input", json_string(ms[k].input));
		json_object_set_new(m, "configuration", json_string(ms[k].cname));
		json_object_set_new(m, "runs", runs);
		json_object_set_new(jm, ms[k].name, m);
		for (uint32_t v = 0; v < a.n_var; v++) {
			json_t *r = json_object();
			json_object_set_new(runs, a.var[v].name, r);
			for (uint32_t i = 0; i < n; i++) {
				struct job *j = &jobs[i];
				if (j->m != &ms[k] || j->v != &a.var[v])
					continue;
				/* the path as compare.json's reader finds it: under DIR */
				const char *rel = j->dir + strlen(a.out) + 1;
				json_t *into = r;
				if (j->cv) {
					into = json_object();
					json_object_set_new(r, "cv", into);
				}
				json_object_set_new(into, "dir", json_string(rel));
				json_object_set_new(into, "exit", json_integer(j->status));
				if (j->status) {
					failed = 1;
					continue;
				}
				int g = j->cv ? gather_cv(j->dir, into) : gather_run(j->dir, into);
				if (g) {
					free(jobs);
					json_decref(root);
					return g;
				}
			}
		}
	}
	free(jobs);
	if ((rc = files_json_write(a.out, "compare.json", root)) < 0) {
		json_decref(root);
		return cli_fail(cli_exit_code(rc), "%s/compare.json: %s", a.out, files_strerror(rc));
	}
	if (a.json) {
		json_dumpf(root, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_tables(root, a.cv);
	}
	json_decref(root);
	if (!a.quiet)
		fprintf(stderr, "%s: %s/compare.json (dm-report %s renders it)%s\n", cli_prog(), a.out,
			a.out, failed ? "; some runs gave no result (exit 1)" : "");
	return failed ? 1 : 0;
}
