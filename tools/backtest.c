/*
 * dm-backtest — a market file through the whole trading path in one
 * process: the modules the six agents host (libcore/trader), in one
 * thread, on the market's clock, deterministically (docs/backtest.md).
 *
 *   dm-backtest --input FILE [feed options] [-c CONF] [--out DIR]
 *               [--epoch N] [--json] [--quiet]
 *
 * Writes into DIR fills.csv, orders.csv, decisions.csv, equity.csv and
 * tca.csv (libcore/report: the rows `dmctl run` writes from its journals)
 * and summary.json (the paper-trading summary's fields plus the performance
 * figures of libcore/report/perf.h).  Prints progress every 2 s (events,
 * market time, P&L) and a summary.  Each file is written whole or not at
 * all (tools/lib/files.h: NAME.tmp-PID, fsynced, renamed at the end); a
 * device, FIFO or directory under one of the names is refused (exit 2).
 *
 * Exit 0 with a result; 1 when the run is no result (no market event, the
 * data-quality vote dropped most of the input, a step that did not come
 * to rest) or on a runtime failure (write error); 2 on bad usage, bad
 * input or configuration, with the file and line or key at fault.
 */
#include <errno.h>
#include <getopt.h>
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
#include "libcore/backtest/bt.h"
#include "libcore/backtest/bt_setup.h"
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
#include "tools/lib/files.h"

#define PROGRESS_NS (2ll * 1000000000)
#define NCSV        5 /* fills, orders, decisions, equity, tca */

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
"                    orders.csv, decisions.csv, equity.csv, tca.csv (the\n"
"                    transaction costs of each fill, docs/tca.md), summary.json.\n"
"                    Default: system.run_dir of the configuration + '-backtest'\n"
"  --epoch N         decision and order ids are N << 40 | n, N in 1..16777215\n"
"                    (default 1, as 'tools/dmctl run' replays)\n"
CLI_FEED_HELP
"  --json            the summary (summary.json) on stdout as well\n"
"  -c F -c G ...      several files: each over the ones before it\n"
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
	const char *input, *out;
	const char *configs[BT_MAX_CONFIGS];
	uint32_t n_configs;
	struct cli_feed_args feed;
	uint64_t epoch;
	int quiet, json;
};

static const struct bt_loader rt_loader = { rt_config_load_core, rt_config_load_core_over };

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
			if ((rc = cli_add_file("-c", optarg, a->configs, &a->n_configs,
						 BT_MAX_CONFIGS)))
				return rc;
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

static void on_log(void *ctx, int error, const char *line)
{
	const int *quiet = ctx;
	if (!*quiet || error)
		fprintf(stderr, "%s: %s%s\n", cli_prog(), error ? "ERROR: " : "", line);
}

/* ------------------------------------------------------------ helpers */

static double money(int64_t e9)
{
	return (double)e9 / 1e9;
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* The instrument section as loaded (config.h, struct cfg_instrument): the
 * exact decimals as x 10^6 integers, the local time's offset. */
static json_t *instrument_json(const struct cfg_instrument *c)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:i}", "symbol", c->symbol,
		"currency", c->currency, "tick_size_e6", (json_int_t)c->tick_size_e6,
		"point_value_e6", (json_int_t)c->point_value_e6, "lot_size_e6",
		(json_int_t)c->lot_size_e6, "price_decimals", (int)c->price_decimals,
		"utc_offset_min", (int)c->utc_offset_min);
}

static void market_time(int64_t t_ns, char *buf, size_t len)
{
	time_t s = (time_t)(t_ns / 1000000000);
	struct tm tm;
	if (t_ns <= 0 || !gmtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
}


/* ------------------------------------------------------------ summary */

/*
 * summary.json: the paper-trading summary of dm-shmdump --summary, built
 * by the same code (rt_summary_of_dumps) from the same modules' dumps,
 * plus what only this run knows (input, performance, run).  *why: NULL
 * for a result, else why not (the summary's own verdict, or this host's:
 * records out of order, a step that did not come to rest).
 */
static json_t *summary_json(const struct bt *b,
			    const struct feed_stats *fs, const struct args *a,
			    const char *fmt_name, double secs, int stuck, char *why, size_t n)
{
	const struct trader *t = &b->t;
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
	perf_result(&b->perf, &pr);
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
	json_object_set_new(j, "tca", tca_summary_json(&b->tca));
	if (strategy_kind_is_mm(trader_strategy_state(t)->kind)) {
		/* a market maker's own figures (docs/strategies.md) */
		json_t *sd = strategy_dump_json(trader_strategy_state(t));
		json_t *mm = json_object_get(sd, "mm");
		json_object_set_new(mm, "kind", json_string(strategy_kind_names[t->p.strategy.kind]));
		json_object_set(j, "market_maker", mm);
		json_decref(sd);
	}
	json_object_set_new(j, "run", json_pack("{s:f, s:f, s:I, s:I, s:I}",
		"seconds", secs, "events_per_s", secs > 0 ? (double)t->n.events / secs : 0.0,
		"rounds", (json_int_t)t->n.rounds, "max_rounds_per_event",
		(json_int_t)t->n.max_rounds, "epoch", (json_int_t)t->p.epoch));
	const char *res = json_string_value(json_object_get(j, "result"));
	if (res && strcmp(res, "ok") != 0)
		snprintf(why, n, "%s", res);
	else if (stuck)
		snprintf(why, n, "a step did not come to rest (see the errors above)");
	else if (b->pend_overflow)
		snprintf(why, n, "%" PRIu64 " execution records were reported out of market-time "
			 "order", b->pend_overflow);
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
	/* exact decimal text of the integer nano-units, as the agents' summary */
	const json_t *e9 = json_object_get(j, "pnl_e9");
	char gross[32], fees[32], net[32];
	instr_money_format(I(e9, "gross"), gross, sizeof(gross));
	instr_money_format(I(e9, "fees"), fees, sizeof(fees));
	instr_money_format(I(e9, "net"), net, sizeof(net));
	fprintf(f, "  P&L %s: gross %s, fees %s, net %s (the venue %s)\n", ccy, gross, fees, net,
		json_is_true(json_object_get(pnl, "venue_agrees")) ? "agrees" : "DISAGREES");
	fprintf(f, "  trades %lld: hit rate %.3f, profit factor %.3f, average holding %.1f s; "
		"Sharpe %.3f, Sortino %.3f, max drawdown %.4f, turnover %.2f, fees share %.3f\n",
		I(pf, "trades"), RN(pf, "hit_rate"), RN(pf, "profit_factor"),
		RN(pf, "avg_holding_s"), RN(pf, "sharpe"), RN(pf, "sortino"),
		R(pf, "max_drawdown"), R(pf, "turnover"), RN(pf, "fees_share"));
	const json_t *mm = json_object_get(j, "market_maker");
	if (mm)
		fprintf(f, "  market maker %s: quotes %lld, moved %lld, cancels %lld, fills %lld "
			"(%lld passive, %lld contracts), inventory %lld, last sigma %.4g ticks/sqrt(s); "
			"left unquoted by the bound %lld, quotes never seen %lld, strays %lld\n",
			json_string_value(json_object_get(mm, "kind")), I(mm, "quotes"),
			I(mm, "requotes"), I(mm, "cancels"), I(mm, "fills"), I(mm, "maker_fills"),
			I(mm, "fill_qty"), I(mm, "position"), R(mm, "sigma"), I(mm, "bound"),
			I(mm, "pending_lost"), I(mm, "strays"));
	const json_t *tc = json_object_get(j, "tca");
	fprintf(f, "  transaction costs of %lld fills (price units, + = a cost): effective "
		"spread %.6g, realized 1 s %.6g, 30 s %.6g, impact 1 s %.6g, 30 s %.6g; "
		"shortfall %.4f %s\n", I(tc, "count"), RN(tc, "effective_spread"),
		RN(tc, "realized_spread_1s"), RN(tc, "realized_spread_30s"), RN(tc, "impact_1s"),
		RN(tc, "impact_30s"), R(tc, "shortfall"), ccy);
	/* what the summary warns of (the agents' summary prints the same) */
	const json_t *w;
	size_t k;
	json_array_foreach(json_object_get(j, "warnings"), k, w)
		fprintf(f, "  WARNING: %s\n", json_string_value(w));
	fprintf(f, "  result: %s\n  written: %s/{fills,orders,decisions,equity,tca}.csv, "
		"%s/summary.json\n", json_string_value(json_object_get(j, "result")), dir, dir);
#undef I
#undef R
#undef RN
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	struct args a = { .feed.format = FEED_AUTO, .epoch = 1 };
	struct feed_reader rd;
	char err[FEED_ERR_LEN + 256], model[512], dir[4096], path[4096 + 32];
	int rc, code = 0;

	cli_set_prog("dm-backtest");
	if ((rc = parse_args(argc, argv, &a)))
		return rc;

	/* ---- configuration, the input and its instrument, the modules' parameters */
	static struct bt_setup su;
	if ((rc = bt_setup(&su, a.input, a.configs, a.n_configs, &rt_loader, &a.feed, a.epoch,
			   err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	/* the run directory is the agents' setting (system.run_dir) */
	static struct rt_config rcfg;
	rt_config_defaults(&rcfg);
	for (uint32_t i = 0; i < a.n_configs; i++)
		if (rt_config_load_over(&rcfg, a.configs[i], err, sizeof(err)) < 0)
			return cli_fail(2, "%s", err);
	const char *cname = su.cname;
	struct trader_params tp = su.tp;
	snprintf(model, sizeof(model), "%s", su.model);
	if (su.profile && !a.quiet)
		fprintf(stderr, "%s: configuration %s (the bundled profile of %s; -c to "
			"choose another)\n", cli_prog(), su.cname, su.plan.in.symbol);

	struct flat *flat = NULL;
	if (!tp.strategy.rule_only) {
		char why[1024];
		if ((rc = trader_model_load(&su.cfg, model, &flat, why, sizeof(why))) < 0)
			return cli_fail(2, "model refused: %s (strategy.model of %s; 'make model' "
					"trains the default one)", why, cname);
		if (!a.quiet)
			fprintf(stderr, "%s: model %s\n", cli_prog(), why);
	}

	/* ---- the output directory */
	if (a.out)
		snprintf(dir, sizeof(dir), "%s", a.out);
	else
		snprintf(dir, sizeof(dir), "%s-backtest", rcfg.system.run_dir);
	if ((rc = files_mkdir_p(dir)) < 0) {
		flat_free(flat);
		return cli_fail(2, "--out %s: cannot create the directory: %s", dir,
				strerror(-rc));
	}

	size_t msize = bt_memsize(&tp);
	void *mem = msize ? aligned_alloc(64, (msize + 63) & ~(size_t)63) : NULL;
	struct bt *b = aligned_alloc(64, (sizeof(*b) + 63) & ~(size_t)63);
	FILE *csv[NCSV] = { NULL };
	struct afile *csvf = calloc(NCSV, sizeof(*csvf)); /* 5 x 12 KiB: not on the stack */
	int keep = 0; /* the files are a result: rename them into place */
	static const char *const names[NCSV] = { "fills.csv", "orders.csv", "decisions.csv",
						 "equity.csv", "tca.csv" };
	if (!mem || !b || !csvf) {
		code = cli_fail(1, "out of memory (%zu bytes of module state)", msize);
		goto free_all;
	}
	for (int i = 0; i < NCSV; i++) {
		if ((rc = afile_open(&csvf[i], dir, names[i])) < 0) {
			code = cli_fail(rc == -EEXIST ? 2 : 1, "%s", csvf[i].err);
			goto free_all;
		}
		csv[i] = csvf[i].f;
	}
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if ((rc = files_check_target(path, err, sizeof(err))) < 0) {
		code = cli_fail(2, "%s", err);
		goto free_all;
	}
	struct instrument in;
	if (instr_init(&in, &su.cfg.instrument) < 0) {
		code = cli_fail(2, "%s: instrument refused", cname);
		goto free_all;
	}
	const struct bt_opts bo = {
		.out = { .fills = csv[0], .orders = csv[1], .decisions = csv[2], .equity = csv[3] },
		.tca_csv = csv[4],
		.voter_names = role_names, .n_names = ROLE_COUNT,
		.log = on_log, .ctx = &a.quiet,
	};
	if ((rc = bt_init(b, mem, msize, &tp, flat, model, &in, &bo, err, sizeof(err))) < 0) {
		code = cli_fail(2, "%s: %s", cname, err);
		goto free_all;
	}
	const struct trader *t = &b->t;
	if ((rc = feed_open(&rd, a.input, su.plan.fmt, &su.plan.fo, err, sizeof(err))) < 0) {
		code = cli_fail(cli_exit_code(rc), "%s", err);
		goto free_all;
	}

	/* ---- the run */
	if (!a.quiet)
		fprintf(stderr, "%s: %s (%s, %s tick %s %s) -> %s; progress every 2 s\n",
			cli_prog(), a.input, feed_format_name(su.plan.fmt), su.plan.in.symbol,
			su.plan.in.tick, su.plan.in.currency, dir);
	const struct event *ev;
	int64_t t0 = cli_mono_ns(), next = t0 + PROGRESS_NS;
	int stuck = 0;
	while ((rc = feed_next_ref(&rd, &ev)) == 1) {
		int k = bt_on_event(b, ev);
		if (k == 0)
			continue;
		if (k < 0) {
			stuck = 1;
			break;
		}
		if (!a.quiet && (t->n.events & 0xfff) == 0 && cli_mono_ns() >= next) {
			char mt[32];
			next += PROGRESS_NS;
			market_time(ev->exch_ns, mt, sizeof(mt));
			fprintf(stderr, "%s: %" PRIu64 " events, market %s UTC, position %lld, "
				"P&L %.2f %s, %.0f events/s\n", cli_prog(), t->n.events, mt,
				(long long)riskd_current(trader_riskd_state(t))->position,
				money(bt_equity_e9(b)), su.cfg.instrument.currency,
				(double)t->n.events / ((double)(cli_mono_ns() - t0) / 1e9));
		}
	}
	if (rc < 0) {
		code = cli_fail(cli_exit_code(rc), "%s", feed_error(&rd));
		goto close_feed;
	}
	rc = bt_finish(b);
	if (rc == -EAGAIN)
		stuck = 1;
	else if (rc < 0) {
		code = cli_fail(1, "%s: writing the CSV files: %s", dir, strerror(EIO));
		goto close_feed;
	}
	double secs = (double)(cli_mono_ns() - t0) / 1e9;

	/* ---- summary */
	char why[512];
	json_t *j = summary_json(b, feed_stats(&rd), &a, feed_format_name(su.plan.fmt), secs,
				 stuck, why, sizeof(why));
	/* what a reader of the directory needs besides (dm-report): the
	 * configuration, its instrument and the model the run traded */
	json_object_set_new(j, "configuration", json_string(cname));
	json_object_set_new(j, "instrument", instrument_json(&su.cfg.instrument));
	json_object_set_new(j, "model", tp.strategy.rule_only ? json_null() : json_string(model));
	const struct feed_stats *fs = feed_stats(&rd);
	for (int i = 0; i < NCSV && !code; i++) {
		csv[i] = NULL;
		if ((rc = afile_commit(&csvf[i])) < 0)
			code = cli_fail(rc == -EEXIST ? 2 : 1, "%s", csvf[i].err);
	}
	if (!code && (rc = files_json_write(dir, "summary.json", j)) < 0)
		code = cli_fail(rc == -EEXIST ? 2 : 1, "%s/summary.json: cannot write: %s", dir,
				files_strerror(rc));
	if (code) {
		json_decref(j);
		goto close_feed;
	}
	keep = 1;
	if (a.json) {
		json_dumpf(j, stdout, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
		fputc('\n', stdout);
	}
	if (!a.quiet)
		summary_text(stderr, j, dir);
	if (fs->skipped)
		fprintf(stderr, "%s: WARNING: %" PRIu64 " bad input rows skipped (first at line %"
			PRIu64 ")\n", cli_prog(), fs->skipped, fs->first_bad_line);
	if (b->tca.n.decisions_not_followed || b->tca.n.cut_short || b->tca.n.history_short)
		fprintf(stderr, "%s: WARNING: tca.csv: %" PRIu64 " decisions beyond the table "
			"(their fills have no arrival mid), %" PRIu64 " rows written before their "
			"30 s horizon (the queue was full), %" PRIu64 " mids older than the "
			"history: those cells are empty (summary.json tca, docs/tca.md)\n",
			cli_prog(), b->tca.n.decisions_not_followed, b->tca.n.cut_short,
			b->tca.n.history_short);
	json_decref(j);
	if (why[0]) {
		fprintf(stderr, "%s: not a result: %s\n", cli_prog(), why);
		code = 1;
	}

close_feed:
	feed_close(&rd);
free_all:
	for (int i = 0; csvf && !keep && i < NCSV; i++)
		afile_abort(&csvf[i]); /* nothing of a failed run under a final name */
	free(csvf);
	free(b);
	free(mem);
	flat_free(flat);
	return code;
}
