/*
 * dm-backtest — a market file through the whole trading path in one
 * process: the modules the six agents host (libcore/trader), in one
 * thread, on the market's clock, deterministically (docs/backtest.md).
 *
 *   dm-backtest --input FILE [feed options] [-c CONF] [--out DIR]
 *               [--epoch N] [--json] [--quiet]
 *
 * Writes into DIR fills.csv, orders.csv, decisions.csv and equity.csv
 * (libcore/report: the rows `dmctl run` writes from its journals) and
 * summary.json (the paper-trading summary's fields plus the performance
 * figures of libcore/report/perf.h).  Prints progress every 2 s (events,
 * market time, P&L) and a summary.
 *
 * Exit 0 with a result; 1 when the run is no result (no market event, the
 * data-quality vote dropped most of the input, a step that did not come
 * to rest) or on a runtime failure (write error); 2 on bad usage, bad
 * input or configuration, with the file and line or key at fault.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/feed/feed.h"
#include "libcore/journal/journal.h"
#include "libcore/report/perf.h"
#include "libcore/report/report.h"
#include "libcore/trader/trader.h"
#include "libcore/trader/trader_params.h"
#include "libcore/coord/coord.h"
#include "libcore/execsvc/execsvc.h"
#include "libcore/riskd/riskd.h"
#include "libcore/strategy/strategy.h"

#define PROGRESS_NS (2ll * 1000000000)
#define PEND_CAP    8192u          /* execution records waiting for market time */
#define MAX_OPEN    4096u          /* orders the report follows at once */

enum { O_OUT = 0x200, O_EPOCH };

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-backtest --input FILE [options]\n"
"\n"
"Replays FILE through the whole trading path in one process and one thread:\n"
"the feature engine, the data-quality vote, the primary rule with the\n"
"meta-model and bet size, the coordinator's vote (voters risk, execution,\n"
"feature in process), risk, the order table and the venue simulator with\n"
"its latencies and queue model, all on the market's clock.  The same\n"
"modules the six agents run: with the same configuration, a lockstep\n"
"'tools/dmctl run' makes the same decisions and fills (docs/backtest.md).\n"
"\n"
"  --input FILE      market data: a LOBSTER *_message_N.csv or\n"
"                    *_orderbook_N.csv, a MetaTrader 5 tick export, a Binance\n"
"                    capture, a B3 NEG file or a DreamMaker journal; .gz works\n"
"  --out DIR         where the results go (created; files replaced): fills.csv,\n"
"                    orders.csv, decisions.csv, equity.csv, summary.json.\n"
"                    Default: system.run_dir of the configuration + '-backtest'\n"
"  --epoch N         decision and order ids are N << 40 | n, N in 1..16777215\n"
"                    (default 1, as 'tools/dmctl run' replays)\n"
CLI_FEED_HELP
"  --json            the summary (summary.json) on stdout as well\n"
CLI_COMMON_HELP
"\n"
"The configuration (-c) must trade the input's instrument; without -c the\n"
"built-in one is used when it does (WIN), else the bundled profile of\n"
"conf/instruments/ that does (aapl.yaml for LOBSTER AAPL, btcusdt-spot.yaml,\n"
"btcusdt-usdm.yaml), as 'tools/dmctl run' picks it.  strategy.model names\n"
"the meta-model ('make model' trains the default one).\n"
"Exit 0 with a result; 1 when the run is no result (summary.json says why)\n"
"or on a runtime failure; 2 on bad usage, input or configuration.\n");
}

/* ------------------------------------------------------------ arguments */

struct args {
	const char *input, *config, *out;
	struct cli_feed_args feed;
	uint64_t epoch;
	int quiet, json;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, O_OUT },
		{ "epoch", required_argument, NULL, O_EPOCH },
		{ "json", no_argument, NULL, CLI_O_JSON },
		CLI_FEED_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;
	char *end;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", lo, NULL)) != -1) {
		if ((rc = cli_feed_option(c, optarg, &a->feed)) == 1)
			continue;
		if (rc)
			return rc;
		switch (c) {
		case 'i':
			a->input = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case O_OUT:
			a->out = optarg;
			break;
		case O_EPOCH:
			errno = 0;
			a->epoch = strtoull(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || a->epoch < 1 ||
			    a->epoch > COORD_EPOCH_MAX)
				return cli_usage_error("--epoch '%s': a whole number 1..%llu", optarg,
						       (unsigned long long)COORD_EPOCH_MAX);
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
	if (!a->input)
		return cli_usage_error("--input FILE is required");
	return 0;
}

/* ------------------------------------------------------------ the run's records */

/*
 * Execution records wait here until the market passes their venue time,
 * so the report sees market events and execution records in the order
 * dm-journal --run-dir merges the journals of a run: a report at venue
 * time v after every market event with exch_ns <= v, orders where they
 * come.
 */
struct pend {
	uint16_t type;
	union {
		struct msg_order o;
		struct msg_exec_report x;
	};
};

struct run {
	struct report rep;
	struct perf perf;
	struct pend *pend;          /* [PEND_CAP] */
	uint32_t head, tail;
	uint64_t pend_overflow;     /* records written out of order: never expected */
	int64_t  last_t;            /* the last market or record time reported */
	int quiet;
};

static void perf_update(struct run *r, int64_t t_ns)
{
	perf_on_equity(&r->perf, t_ns, report_equity_e9(&r->rep));
}

static void emit(struct run *r, const struct pend *p)
{
	if (p->type == JREC_ORDER) {
		report_on_order(&r->rep, &p->o);
		return;
	}
	const struct msg_exec_report *x = &p->x;
	report_on_exec(&r->rep, x);
	if (x->exec_id && x->last_qty > 0) {
		perf_on_fill(&r->perf, x->venue_ns, x->side, x->last_qty, x->last_px, x->fee_e9);
		perf_update(r, x->venue_ns);
	}
}

/* Records due before a market event at t (every one when all is set). */
static void drain(struct run *r, int64_t t, int all)
{
	while (r->head != r->tail) {
		const struct pend *p = &r->pend[r->head % PEND_CAP];
		if (!all && p->type == JREC_EXEC && p->x.venue_ns >= t)
			break;
		emit(r, p);
		r->head++;
	}
}

static void on_journal(void *ctx, uint16_t type, const void *rec, uint32_t len)
{
	struct run *r = ctx;
	if ((type != JREC_ORDER || len != sizeof(struct msg_order)) &&
	    (type != JREC_EXEC || len != sizeof(struct msg_exec_report)))
		return;
	if (r->tail - r->head >= PEND_CAP) {
		/* keep going in order of production rather than lose a record */
		emit(r, &r->pend[r->head % PEND_CAP]);
		r->head++;
		r->pend_overflow++;
	}
	struct pend *p = &r->pend[r->tail % PEND_CAP];
	p->type = type;
	memcpy(type == JREC_ORDER ? (void *)&p->o : (void *)&p->x, rec, len);
	r->tail++;
}

static void on_decision(void *ctx, const struct vote_record *rec)
{
	struct run *r = ctx;
	report_on_decision(&r->rep, rec);
}

static void on_log(void *ctx, int error, const char *line)
{
	struct run *r = ctx;
	if (!r->quiet || error)
		fprintf(stderr, "%s: %s%s\n", cli_prog(), error ? "ERROR: " : "", line);
}

/* ------------------------------------------------------------ helpers */

static int mkdir_p(const char *dir)
{
	char buf[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	struct stat sb;
	if (stat(buf, &sb) < 0)
		return -errno;
	return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
}

static FILE *open_in(const char *dir, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	return fopen(path, "w");
}

static double money(int64_t e9)
{
	return (double)e9 / 1e9;
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static void market_time(int64_t t_ns, char *buf, size_t len)
{
	time_t s = (time_t)(t_ns / 1000000000);
	struct tm tm;
	if (t_ns <= 0 || !gmtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
}


/*
 * No -c and the built-in configuration does not trade the input's
 * instrument: the bundled profile that does (a conf/instruments/ YAML file, as
 * 'tools/dmctl run' picks it).  0 with cfg loaded and path set, else -1.
 */
static int pick_profile(const struct feed_instr *in, struct rt_config *cfg, char *path,
			size_t len)
{
	char dir[2048], err[512];
	if (config_conf_dir(dir, sizeof(dir)) < 0)
		return -1;
	glob_t g;
	char pat[2100];
	snprintf(pat, sizeof(pat), "%s/instruments/*.yaml", dir);
	if (glob(pat, 0, NULL, &g) != 0)
		return -1;
	int rc = -1;
	for (size_t i = 0; i < g.gl_pathc && rc < 0; i++) {
		static struct rt_config c;
		if (rt_config_load(&c, g.gl_pathv[i], err, sizeof(err)) == 0 &&
		    trader_instr_check(&c.core, in, err, sizeof(err)) == 0) {
			*cfg = c;
			snprintf(path, len, "%s", g.gl_pathv[i]);
			rc = 0;
		}
	}
	globfree(&g);
	return rc;
}

/* ------------------------------------------------------------ summary */

/*
 * summary.json: the paper-trading summary of dm-shmdump --summary, built
 * by the same code (rt_summary_of_dumps) from the same modules' dumps,
 * plus what only this run knows (input, performance, run).  *why: NULL
 * for a result, else why not (the summary's own verdict, or this host's:
 * records out of order, a step that did not come to rest).
 */
static json_t *summary_json(const struct trader *t, const struct run *r,
			    const struct feed_stats *fs, const struct args *a,
			    const char *fmt_name, double secs, int stuck, char *why, size_t n)
{
	json_t *data = json_pack("{s:I, s:I, s:I, s:b, s:I, s:I, s:s, s:n}",
		"events", (json_int_t)t->n.events, "books", (json_int_t)t->n.books,
		"trades", (json_int_t)t->n.trades, "replay_done", 1,
		"bad_rows", (json_int_t)fs->skipped, "first_bad_line", (json_int_t)fs->first_bad_line,
		"pace", RT_PACE_IN_PROCESS, "input_error");
	const struct execsvc_state *xs = trader_execsvc_state(t);
	json_t *j = rt_summary_of_dumps(data, strategy_dump_json(trader_strategy_state(t)),
					coord_dump_json(trader_coord_state(t)),
					execsvc_dump_json(xs, execsvc_memsize(&t->p.exec)),
					riskd_dump_json(trader_riskd_state(t)));
	struct perf_result pr;
	perf_result(&r->perf, &pr);
	json_object_set_new(j, "input", json_string(a->input));
	json_object_set_new(j, "format", json_string(fmt_name));
	json_object_set_new(j, "first_ns", json_integer((json_int_t)t->first_ns));
	json_object_set_new(j, "last_ns", json_integer((json_int_t)t->now_ns));
	json_t *perf = json_object();
	json_object_set_new(perf, "sharpe", num_or_null(pr.sharpe));
	json_object_set_new(perf, "sortino", num_or_null(pr.sortino));
	json_object_set_new(perf, "max_drawdown", json_real(pr.max_drawdown));
	json_object_set_new(perf, "trades", json_integer((json_int_t)pr.trips));
	json_object_set_new(perf, "hit_rate", num_or_null(pr.hit_rate));
	json_object_set_new(perf, "profit_factor", num_or_null(pr.profit_factor));
	json_object_set_new(perf, "turnover", json_real(pr.turnover));
	json_object_set_new(perf, "fees_share", num_or_null(pr.fees_share));
	json_object_set_new(perf, "avg_holding_s", num_or_null(pr.avg_holding_s));
	json_object_set_new(perf, "active_minutes", json_integer((json_int_t)pr.minutes));
	json_object_set_new(perf, "days", json_integer((json_int_t)pr.days));
	json_object_set_new(perf, "net_from_fills", json_real(pr.net));
	json_object_set_new(j, "performance", perf);
	json_object_set_new(j, "run", json_pack("{s:f, s:f, s:I, s:I, s:I}",
		"seconds", secs, "events_per_s", secs > 0 ? (double)t->n.events / secs : 0.0,
		"rounds", (json_int_t)t->n.rounds, "max_rounds_per_event",
		(json_int_t)t->n.max_rounds, "epoch", (json_int_t)t->p.epoch));
	const char *res = json_string_value(json_object_get(j, "result"));
	if (res && strcmp(res, "ok") != 0)
		snprintf(why, n, "%s", res);
	else if (stuck)
		snprintf(why, n, "a step did not come to rest (see the errors above)");
	else if (r->pend_overflow)
		snprintf(why, n, "%" PRIu64 " execution records were reported out of market-time "
			 "order", r->pend_overflow);
	else
		why[0] = '\0';
	if (why[0])
		json_object_set_new(j, "result", json_string(why));
	return j;
}

static void summary_text(FILE *f, const json_t *j, const char *dir)
{
	const json_t *ev = json_object_get(j, "events"), *pnl = json_object_get(j, "pnl");
	const json_t *pf = json_object_get(j, "performance"), *fl = json_object_get(j, "fills");
	const json_t *dc = json_object_get(j, "decisions"), *pos = json_object_get(j, "position");
	const json_t *run = json_object_get(j, "run");
	const char *ccy = json_string_value(json_object_get(pnl, "currency"));
#define I(o, k) ((long long)json_integer_value(json_object_get((o), (k))))
#define R(o, k) (json_real_value(json_object_get((o), (k))))
#define RN(o, k) (json_is_real(json_object_get((o), (k))) ? R(o, k) : NAN)
	fprintf(f, "%s: %lld events (%lld books, %lld trades, %lld bad rows) in %.2f s, "
		"%.0f events/s\n", cli_prog(), I(ev, "total"), I(ev, "books"), I(ev, "trades"),
		I(ev, "bad_rows"), R(run, "seconds"), R(run, "events_per_s"));
	fprintf(f, "  decisions %lld: approved %lld, rejected %lld; fills %lld (bought %lld, "
		"sold %lld); final position %lld\n", I(dc, "total"), I(dc, "approved"),
		I(dc, "rejected"), I(fl, "count"), I(fl, "bought"), I(fl, "sold"),
		I(pos, "final"));
	fprintf(f, "  P&L %s: gross %.4f, fees %.4f, net %.4f (the venue %s)\n", ccy,
		R(pnl, "gross"), R(pnl, "fees"), R(pnl, "net"),
		json_is_true(json_object_get(pnl, "venue_agrees")) ? "agrees" : "DISAGREES");
	fprintf(f, "  trades %lld: hit rate %.3f, profit factor %.3f, average holding %.1f s; "
		"Sharpe %.3f, Sortino %.3f, max drawdown %.4f, turnover %.2f, fees share %.3f\n",
		I(pf, "trades"), RN(pf, "hit_rate"), RN(pf, "profit_factor"),
		RN(pf, "avg_holding_s"), RN(pf, "sharpe"), RN(pf, "sortino"),
		R(pf, "max_drawdown"), R(pf, "turnover"), RN(pf, "fees_share"));
	fprintf(f, "  result: %s\n  written: %s/{fills,orders,decisions,equity}.csv, "
		"%s/summary.json\n", json_string_value(json_object_get(j, "result")), dir, dir);
#undef I
#undef R
#undef RN
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	struct args a = { .feed.format = FEED_AUTO, .epoch = 1 };
	static struct rt_config cfg;
	struct feed_reader rd;
	struct feed_instr conf_in;
	struct feed_want want;
	struct feed_plan plan;
	char err[FEED_ERR_LEN + 256], model[512], dir[4096], path[4096 + 32];
	int rc, code = 0;

	cli_set_prog("dm-backtest");
	if ((rc = parse_args(argc, argv, &a)))
		return rc;

	/* ---- configuration */
	if (a.config) {
		if (rt_config_load(&cfg, a.config, err, sizeof(err)))
			return cli_fail(2, "%s", err);
	} else {
		rt_config_defaults(&cfg);
	}
	const char *cname = a.config ? a.config : "the built-in configuration";

	if (config_check_files(&cfg.core, NULL, err, sizeof(err)) < 0)
		return cli_fail(2, "%s", err);

	/* ---- the input and its instrument */
	cli_feed_want(&a.feed, &cfg.core, &conf_in, &want);
	if ((rc = feed_resolve(a.input, &want, &plan, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	static char profile[2200];
	if (trader_instr_check(&cfg.core, &plan.in, err, sizeof(err)) < 0) {
		if (a.config || pick_profile(&plan.in, &cfg, profile, sizeof(profile)) < 0)
			return cli_fail(2, "%s: %s", a.input, err);
		cname = profile;
		if (!a.quiet)
			fprintf(stderr, "%s: configuration %s (the bundled profile of %s; -c to "
				"choose another)\n", cli_prog(), profile, plan.in.symbol);
		/* the profile's instrument: resolve the input with it again */
		cli_feed_want(&a.feed, &cfg.core, &conf_in, &want);
		if ((rc = feed_resolve(a.input, &want, &plan, err, sizeof(err))) < 0)
			return cli_fail(cli_exit_code(rc), "%s", err);
		if ((rc = config_check_files(&cfg.core, NULL, err, sizeof(err))) < 0)
			return cli_fail(2, "%s", err);
	}

	/* ---- the modules */
	struct trader_params tp;
	if ((rc = trader_params_from_config(&cfg.core, a.epoch, &tp, model, sizeof(model), err,
					    sizeof(err))) < 0)
		return cli_fail(2, "%s: %s", cname, err);
	struct flat *flat = NULL;
	if (!tp.strategy.rule_only) {
		char why[1024];
		if ((rc = trader_model_load(&cfg.core, model, &flat, why, sizeof(why))) < 0)
			return cli_fail(2, "model refused: %s (strategy.model of %s; 'make model' "
					"trains the default one)", why, cname);
		if (!a.quiet)
			fprintf(stderr, "%s: model %s\n", cli_prog(), why);
	}

	/* ---- the output directory */
	if (a.out)
		snprintf(dir, sizeof(dir), "%s", a.out);
	else
		snprintf(dir, sizeof(dir), "%s-backtest", cfg.system.run_dir);
	if ((rc = mkdir_p(dir)) < 0) {
		flat_free(flat);
		return cli_fail(2, "--out %s: cannot create the directory: %s", dir,
				strerror(-rc));
	}

	size_t msize = trader_memsize(&tp);
	void *mem = msize ? aligned_alloc(64, (msize + 63) & ~(size_t)63) : NULL;
	struct trader *t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
	struct run *r = calloc(1, sizeof(*r));
	void *rmem = malloc(report_memsize(MAX_OPEN));
	if (r)
		r->pend = calloc(PEND_CAP, sizeof(struct pend));
	FILE *csv[4] = { NULL, NULL, NULL, NULL };
	static const char *const names[4] = { "fills.csv", "orders.csv", "decisions.csv",
					      "equity.csv" };
	if (!mem || !t || !r || !rmem || !r->pend) {
		code = cli_fail(1, "out of memory (%zu bytes of module state)", msize);
		goto free_all;
	}
	r->quiet = a.quiet;
	r->last_t = 0;
	for (int i = 0; i < 4; i++)
		if (!(csv[i] = open_in(dir, names[i], path, sizeof(path)))) {
			code = cli_fail(1, "%s: cannot create: %s", path, strerror(errno));
			goto free_all;
		}
	struct instrument in;
	if (instr_init(&in, &cfg.core.instrument) < 0) {
		code = cli_fail(2, "%s: instrument refused", cname);
		goto free_all;
	}
	const struct report_opts ro = { .max_open = MAX_OPEN, .n_names = ROLE_COUNT,
					.voter_names = role_names };
	const struct report_out rout = { .fills = csv[0], .orders = csv[1], .decisions = csv[2],
					 .equity = csv[3] };
	if (report_init(&r->rep, rmem, report_memsize(MAX_OPEN), &in, &ro, &rout) < 0) {
		code = cli_fail(1, "report: refused");
		goto free_all;
	}
	perf_init(&r->perf, in.tick_value_e9);
	const struct trader_out to = { .ctx = r, .decision = on_decision,
				       .journal = on_journal, .log = on_log };
	if ((rc = trader_init(t, mem, msize, &tp, flat, model, &to, err, sizeof(err))) < 0) {
		code = cli_fail(2, "%s: %s", cname, err);
		goto free_all;
	}
	if ((rc = feed_open(&rd, a.input, plan.fmt, &plan.fo, err, sizeof(err))) < 0) {
		code = cli_fail(cli_exit_code(rc), "%s", err);
		goto free_all;
	}

	/* ---- the run */
	if (!a.quiet)
		fprintf(stderr, "%s: %s (%s, %s tick %s %s) -> %s; progress every 2 s\n",
			cli_prog(), a.input, feed_format_name(plan.fmt), plan.in.symbol,
			plan.in.tick, plan.in.currency, dir);
	struct event ev;
	int64_t t0 = cli_mono_ns(), next = t0 + PROGRESS_NS;
	int stuck = 0;
	while ((rc = feed_next(&rd, &ev)) == 1) {
		int k = trader_on_event(t, &ev);
		if (k == 0)
			continue;
		if (k < 0) {
			stuck = 1;
			break;
		}
		drain(r, ev.exch_ns, 0);
		report_on_market(&r->rep, &ev, ev.exch_ns);
		perf_update(r, ev.exch_ns);
		r->last_t = ev.exch_ns;
		if (!a.quiet && (t->n.events & 0xfff) == 0 && cli_mono_ns() >= next) {
			char mt[32];
			next += PROGRESS_NS;
			market_time(ev.exch_ns, mt, sizeof(mt));
			fprintf(stderr, "%s: %" PRIu64 " events, market %s UTC, position %lld, "
				"P&L %.2f %s, %.0f events/s\n", cli_prog(), t->n.events, mt,
				(long long)riskd_current(trader_riskd_state(t))->position,
				money(report_equity_e9(&r->rep)), cfg.core.instrument.currency,
				(double)t->n.events / ((double)(cli_mono_ns() - t0) / 1e9));
		}
	}
	if (rc < 0) {
		code = cli_fail(cli_exit_code(rc), "%s", feed_error(&rd));
		goto close_feed;
	}
	if (!stuck && trader_finish(t) < 0)
		stuck = 1;
	drain(r, 0, 1);
	if (r->rep.last_t_ns > r->last_t)
		r->last_t = r->rep.last_t_ns;
	if (report_finish(&r->rep, r->last_t) < 0) {
		code = cli_fail(1, "%s: writing the CSV files: %s", dir, strerror(EIO));
		goto close_feed;
	}
	double secs = (double)(cli_mono_ns() - t0) / 1e9;

	/* ---- summary */
	char why[512];
	json_t *j = summary_json(t, r, feed_stats(&rd), &a, feed_format_name(plan.fmt), secs,
				 stuck, why, sizeof(why));
	const struct feed_stats *fs = feed_stats(&rd);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	FILE *sf = fopen(path, "w");
	if (!sf || json_dumpf(j, sf, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
			      JSON_REAL_PRECISION(12)) < 0 || fputc('\n', sf) == EOF ||
	    fclose(sf) == EOF) {
		code = cli_fail(1, "%s: cannot write: %s", path, strerror(errno));
		json_decref(j);
		goto close_feed;
	}
	if (a.json) {
		json_dumpf(j, stdout, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
		fputc('\n', stdout);
	}
	if (!a.quiet)
		summary_text(stderr, j, dir);
	if (fs->skipped)
		fprintf(stderr, "%s: WARNING: %" PRIu64 " bad input rows skipped (first at line %"
			PRIu64 ")\n", cli_prog(), fs->skipped, fs->first_bad_line);
	json_decref(j);
	if (why[0]) {
		fprintf(stderr, "%s: not a result: %s\n", cli_prog(), why);
		code = 1;
	}

close_feed:
	feed_close(&rd);
free_all:
	for (int i = 0; i < 4; i++)
		if (csv[i] && fclose(csv[i]) == EOF && code == 0)
			code = cli_fail(1, "%s/%s: %s", dir, names[i], strerror(errno));
	if (r)
		free(r->pend);
	free(r);
	free(rmem);
	free(t);
	free(mem);
	flat_free(flat);
	return code;
}
