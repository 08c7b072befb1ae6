/*
 * dm-gen — a synthetic WIN-like L2 market from Hawkes order flow, written
 * as a journal of events (libcore/gen/gen.h; docs/market-model.md).
 *
 *   dm-gen --seed N --events N --output FILE [--date YYYY-MM-DD]
 *          [--levels L] [--params FILE] [--truth FILE] [--orders FILE]
 *          [--mid hawkes|gbm|abm [--mid-mu X] [--mid-sigma X]]
 *          [-c CONF] [--json] [--quiet]
 *
 * Every output is written whole or not at all (tools/lib/files.h): the
 * journal under FILE.tmp-PID, the --orders and --truth files likewise,
 * fsynced and renamed into place once every event is written; an output
 * path that holds a device, FIFO or directory is refused.
 *
 * Exit 0 on success, 1 on a runtime failure (cannot write), 2 on bad
 * usage, a bad parameter file or an output path that is not a regular file.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/market/calendar.h"
#include "libcore/config/config.h"
#include "libcore/feed/feed.h"
#include "libcore/gen/gen.h"
#include "libcore/gen/gen_params.h"
#include "libcore/journal/journal.h"
#include "tools/lib/files.h"

#define DEFAULT_DATE "2022-01-03"
/* per sqrt(s): 1-minute log-return vol 6e-5 sqrt(60) = 0.000465, inside
 * the real WING22 range 0.000314..0.000591 (docs/market-model.md) */
#define DEFAULT_MID_SIGMA 6e-5

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-gen --seed N --events N --output FILE [options]\n"
"\n"
"Synthetic WIN-like L2 market: a 6-type Hawkes order flow (limit, cancel,\n"
"market; buy and sell) acting on a 5-point-tick book near 130,000 points,\n"
"written as a DreamMaker journal of struct events: the trades of each market\n"
"order, then one book event (top L levels) per order-flow event.\n"
"\n"
"  --seed N         64-bit seed; same seed and parameters, same bytes\n"
"  --events N       events to write (book events + trades), N >= 1\n"
"  --output FILE    journal to write: a regular file, replaced if it exists,\n"
"                   only once the run succeeded (written as FILE.tmp-PID)\n"
"  --date D         first session day, YYYY-MM-DD (default " DEFAULT_DATE ");\n"
"                   the B3 day session 09:00-18:25 (UTC-3), later session\n"
"                   days follow when N events need more than one\n"
"  --levels L       book levels per side in each book event, 1..%d (default 10)\n"
"  --params FILE    YAML or JSON parameters overriding the defaults (a --truth\n"
"                   file works too); docs/market-model.md lists the keys\n"
"  --truth FILE     write the exact model parameters, branching matrix,\n"
"                   stationary rates and run counts as JSON ('-' = stdout)\n"
"  --orders FILE    write the order-flow events as CSV (seq, Hawkes time,\n"
"                   exch_ns, type, px, qty, done, levels)\n"
"  --mid M          what moves the price: hawkes (default: the order flow\n"
"                   alone), gbm (a geometric Brownian mid, dS = mu S dt +\n"
"                   sigma S dW) or abm (arithmetic, dS = mu dt + sigma dW); the\n"
"                   book is shifted before each order to the tick-rounded mid,\n"
"                   so quotes and trades happen around it\n"
"  --mid-mu X       drift per second of session time: gbm a rate (0.0 = none),\n"
"                   abm points per second (default 0)\n"
"  --mid-sigma X    volatility per sqrt(second): gbm a rate (default %g, a\n"
"                   1-minute return vol of %.6f like WING22's), abm points\n"
"                   (default the same at the start price: %g x start mid)\n"
"                   (--params keys: mid, mid_mu_per_s, mid_sigma_per_sqrt_s)\n"
"  --json           the summary as one JSON object on stdout: output, seed,\n"
"                   events, book_events, trade_events, instrument {symbol,\n"
"                   tick, lot, currency, point_value}\n"
"  -c, --config F   configuration: its instrument (default WIN: tick 5\n"
"                   points, lot 1 contract, BRL, point value 0.2) and B3\n"
"                   calendar; the journal header records the instrument\n"
"  --quiet          no progress and no summary\n"
"  -h, --help       this text\n"
"  --version        the release and the journal layout\n"
"\n"
"Prints a summary: counts, simulated time, price range, 1-minute return\n"
"volatility and mean 1-minute volume (the calibration targets).\n",
		EV_MAX_LEVELS, DEFAULT_MID_SIGMA, DEFAULT_MID_SIGMA * sqrt(60.0),
		DEFAULT_MID_SIGMA);
}

/* ------------------------------------------------------------ minute bars */

/*
 * The calibration figures, measured the way docs/market-model.md measures
 * the real WING22 bars: per session day, 1-minute bars of the trades
 * (close = last trade price), the standard deviation of the log returns
 * between consecutive bars, and the mean contracts per bar; then the mean
 * over days.  A day with fewer than 30 bars (a run cut short) is left out.
 */
struct bars {
	const struct calendar *cal;
	dm_date_t day;
	int64_t minute;     /* current bar, ns / 60e9; -1 before the first */
	double close, prev_close;
	int64_t vol;
	/* current day */
	uint64_t n_bars, n_ret;
	double sum, sumsq;
	int64_t day_vol;
	/* finished days */
	uint32_t days;
	double sum_std, min_std, max_std;
	double sum_meanvol, min_meanvol, max_meanvol;
};

static void bars_close_bar(struct bars *b)
{
	if (b->minute < 0)
		return;
	if (b->n_bars) {
		double r = log(b->close / b->prev_close);
		b->sum += r;
		b->sumsq += r * r;
		b->n_ret++;
	}
	b->prev_close = b->close;
	b->n_bars++;
	b->day_vol += b->vol;
	b->vol = 0;
}

static void bars_close_day(struct bars *b)
{
	if (b->n_bars >= 30 && b->n_ret >= 2) {
		double n = (double)b->n_ret, m = b->sum / n;
		double sd = sqrt((b->sumsq - n * m * m) / (n - 1));
		double mv = (double)b->day_vol / (double)b->n_bars;
		if (!b->days || sd < b->min_std) b->min_std = sd;
		if (!b->days || sd > b->max_std) b->max_std = sd;
		if (!b->days || mv < b->min_meanvol) b->min_meanvol = mv;
		if (!b->days || mv > b->max_meanvol) b->max_meanvol = mv;
		b->sum_std += sd;
		b->sum_meanvol += mv;
		b->days++;
	}
	b->n_bars = b->n_ret = 0;
	b->sum = b->sumsq = 0;
	b->day_vol = 0;
}

static void bars_trade(struct bars *b, int64_t ns, int64_t px, int64_t qty)
{
	int64_t minute = ns / 60000000000LL;

	if (minute != b->minute) {
		dm_date_t d = cal_local_date(b->cal, ns);
		bars_close_bar(b);
		if (b->minute >= 0 && d != b->day)
			bars_close_day(b);
		b->day = d;
		b->minute = minute;
	}
	b->close = (double)px;
	b->vol += qty;
}

/* ------------------------------------------------------------ outputs */

static void write_truth(FILE *f, const struct gen *g, uint64_t seed, const char *date,
			uint64_t events, const char *output, const struct event *last)
{
	const struct gen_params *p = &g->p;
	const struct gen_stats *st = gen_stats(g);
	double lam[GEN_NTYPES] = { 0 };

	hawkes_stationary_rates(&p->hawkes, lam);
	fprintf(f, "{\n  \"generator\": \"dm-gen\",\n");
	fprintf(f, "  \"seed\": %" PRIu64 ",\n  \"date\": \"%s\",\n", seed, date);
	fprintf(f, "  \"events\": %" PRIu64 ",\n  \"output\": \"", events);
	for (const char *c = output; *c; c++)
		fprintf(f, (*c == '"' || *c == '\\') ? "\\%c" : (unsigned char)*c < 0x20 ? "\\u%04x" : "%c",
			(unsigned char)*c);
	fprintf(f, "\",\n");
	fprintf(f, "  \"kernel\": \"lambda_i(t) = mu_i + sum over earlier events k of "
		   "alpha_per_s[i][type_k] * exp(-beta_per_s[i] * (t - t_k)); "
		   "i = excited type, type_k = exciting type\",\n");
	fprintf(f, "  \"time\": \"seconds of session time: t = 0 at the first open; at a "
		   "session's close t continues at the next session day's open\",\n");
	fprintf(f, "  \"params\": ");
	gen_params_write_json(f, p, 2);
	fprintf(f, ",\n  \"derived\": {\n    \"branching_matrix\": [\n");
	for (uint32_t i = 0; i < GEN_NTYPES; i++) {
		fprintf(f, "      [");
		for (uint32_t j = 0; j < GEN_NTYPES; j++) {
			fprintf(f, j ? ", " : "");
			gen_json_double(f, p->hawkes.alpha[i][j] / p->hawkes.beta[i]);
		}
		fprintf(f, "]%s\n", i + 1 < GEN_NTYPES ? "," : "");
	}
	fprintf(f, "    ],\n    \"branching_ratio\": ");
	gen_json_double(f, hawkes_branching_ratio(&p->hawkes));
	fprintf(f, ",\n    \"stationary_rates_per_s\": [");
	for (uint32_t i = 0; i < GEN_NTYPES; i++) {
		fprintf(f, i ? ", " : "");
		gen_json_double(f, lam[i]);
	}
	fprintf(f, "]\n  },\n  \"run\": {\n");
	fprintf(f, "    \"orders\": {");
	for (uint32_t i = 0; i < GEN_NTYPES; i++)
		fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", gen_type_name(i), st->orders[i]);
	fprintf(f, "},\n    \"last_order_t_s\": ");
	gen_json_double(f, gen_last_order(g)->t_s);
	fprintf(f, ",\n    \"book_events\": %" PRIu64 ",\n    \"trades\": %" PRIu64
		   ",\n    \"traded_qty\": %" PRIu64 ",\n    \"sessions\": %" PRIu64
		   ",\n    \"last_exch_ns\": %" PRId64 "\n  }\n}\n",
		st->book_events, st->trades, st->traded_qty, st->sessions,
		last ? last->exch_ns : 0);
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed",   required_argument, 0, 's' },
		{ "events", required_argument, 0, 'n' },
		{ "output", required_argument, 0, 'o' },
		{ "date",   required_argument, 0, 'd' },
		{ "levels", required_argument, 0, 'l' },
		{ "params", required_argument, 0, 'p' },
		{ "truth",  required_argument, 0, 't' },
		{ "orders", required_argument, 0, 'O' },
		{ "mid",       required_argument, 0, 'M' },
		{ "mid-mu",    required_argument, 0, 'U' },
		{ "mid-sigma", required_argument, 0, 'S' },
		{ "json",   no_argument,       0, CLI_O_JSON },
		CLI_COMMON_LONGOPTS,
		{ 0, 0, 0, 0 }
	};
	const char *output = NULL, *date_s = DEFAULT_DATE, *params_path = NULL;
	const char *truth_path = NULL, *orders_path = NULL;
	uint64_t seed = 0, events = 0, levels = 0;
	int have_seed = 0, have_events = 0, quiet = 0, json = 0, c, rc;
	const char *conf = NULL;
	struct dm_config cfg;
	struct calendar cal;
	struct gen_params p;
	static struct gen g;
	static struct journal_writer w;
	struct journal_opts jo = { 0 };
	struct bars bars = { 0 };
	struct event ev, last;
	dm_date_t date;
	char err[512], tick[32], terr[PATH_MAX + 128], tmp[PATH_MAX];
	struct afile orders_f = { .f = NULL }, truth_f = { .f = NULL };
	FILE *orders = NULL;
	int code = 0;
	double t0, el;
	uint64_t next_progress, spread_n = 0;
	uint32_t mid_model = GEN_MID_HAWKES;
	int have_mid = 0, have_mu = 0, have_sigma = 0;
	double mid_mu = 0, mid_sigma = 0;

	cli_set_prog("dm-gen");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cli_parse_u64(optarg, &seed))
				return cli_usage_error("--seed '%s': expected an unsigned 64-bit integer", optarg);
			have_seed = 1;
			break;
		case 'n':
			if (cli_parse_u64(optarg, &events) || events < 1)
				return cli_usage_error("--events '%s': expected an integer >= 1", optarg);
			have_events = 1;
			break;
		case 'o': output = optarg; break;
		case 'd': date_s = optarg; break;
		case 'l':
			if (cli_parse_u64(optarg, &levels) || levels < 1 || levels > EV_MAX_LEVELS)
				return cli_usage_error("--levels '%s': expected 1..%u", optarg, EV_MAX_LEVELS);
			break;
		case 'p': params_path = optarg; break;
		case 't': truth_path = optarg; break;
		case 'O': orders_path = optarg; break;
		case 'M':
			if (gen_mid_parse(optarg, &mid_model))
				return cli_usage_error("--mid '%s': expected hawkes, gbm or abm", optarg);
			have_mid = 1;
			break;
		case 'U':
			if (cli_parse_double(optarg, &mid_mu))
				return cli_usage_error("--mid-mu '%s': expected a finite number", optarg);
			have_mu = 1;
			break;
		case 'S':
			if (cli_parse_double(optarg, &mid_sigma) || mid_sigma < 0)
				return cli_usage_error("--mid-sigma '%s': expected a number >= 0", optarg);
			have_sigma = 1;
			break;
		case CLI_O_QUIET: quiet = 1; break;
		case CLI_O_JSON: json = 1; break;
		case 'c': conf = optarg; break;
		case CLI_O_VERSION: return cli_version();
		case 'h': usage(stdout); return 0;
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_seed || !have_events || !output)
		return cli_usage_error("missing %s", !have_seed ? "--seed N" :
				       !have_events ? "--events N" : "--output FILE");
	if (cal_date_parse(date_s, strlen(date_s), &date))
		return cli_usage_error("--date '%s': expected a real date YYYY-MM-DD", date_s);
	/* every output a regular file or nothing (files.h), before any work */
	const char *outs[3] = { output, orders_path,
				truth_path && strcmp(truth_path, "-") ? truth_path : NULL };
	for (int i = 0; i < 3; i++)
		if (outs[i] && files_check_target(outs[i], terr, sizeof(terr)) < 0)
			return cli_fail(2, "%s", terr);
	if (files_tmp_name(tmp, sizeof(tmp), output) < 0)
		return cli_fail(2, "--output %s: path too long", output);

	if (conf) {
		if (rt_config_load_core(&cfg, conf, err, sizeof(err)))
			return cli_fail(2, "-c %s", err);
	} else {
		config_defaults(&cfg);
	}
	if (cal_init(&cal, &cfg.instrument))
		return cli_fail(1, "the built-in B3 calendar was refused (a bug)");
	gen_params_default(&p);
	if (params_path && (rc = gen_params_load(&p, params_path, err, sizeof(err))))
		return cli_fail(2, "--params %s", err);
	if (levels)
		p.levels = (uint32_t)levels;
	if ((have_mu || have_sigma) && !have_mid && p.mid_model == GEN_MID_HAWKES)
		return cli_usage_error("--mid-mu / --mid-sigma need --mid gbm or --mid abm");
	if (have_mid) {
		if (mid_model != p.mid_model && !have_sigma)
			/* a model chosen here: its volatility's default, not a
			 * value --params gave in the other model's units */
			p.mid_sigma = mid_model == GEN_MID_GBM ? DEFAULT_MID_SIGMA :
				      DEFAULT_MID_SIGMA * ((double)p.start_px - 0.5) *
				      (double)p.tick_pts;
		p.mid_model = mid_model;
	}
	if (have_mu)
		p.mid_mu = mid_mu;
	if (have_sigma)
		p.mid_sigma = mid_sigma;
	if ((rc = gen_init(&g, &p, seed, &cal, date, err, sizeof(err))))
		return cli_fail(2, "%s%s%s", rc == -ENOENT ? "--date: " : "parameters: ",
				err, params_path && rc != -ENOENT ? " (check --params)" : "");

	/* the synthetic market is the configured instrument's (WIN: 5 points,
	 * 1 contract, BRL, 0.2 BRL per point per contract) */
	struct feed_instr gi;
	feed_instr_from_config(&gi, &cfg.instrument);
	snprintf(tick, sizeof(tick), "%" PRId64, p.tick_pts);
	if (strcmp(tick, gi.tick) != 0)
		return cli_fail(2, "--params: tick %s points differs from the configured "
				"instrument's %s (%s): the journal would misname its prices",
				tick, gi.tick, gi.symbol);
	jo.symbol = gi.symbol;
	jo.tick_size = tick;
	jo.lot_size = gi.lot;
	jo.currency = gi.currency;
	jo.point_value = gi.point_value;
	jo.fsync = JOURNAL_FSYNC_NONE;
	jo.flags = JOURNAL_W_TRUNC;
	if ((rc = journal_open_write(&w, tmp, &jo)))
		return cli_fail(1, "cannot create journal %s (written as %s, then renamed): %s",
				output, tmp, dm_strerror(rc));
	if (orders_path) {
		if ((rc = afile_open(&orders_f, orders_path, NULL)) < 0) {
			code = cli_fail(rc == -EEXIST ? 2 : 1, "--orders %s", orders_f.err);
			goto close_journal;
		}
		orders = orders_f.f;
		fprintf(orders, "seq,t_s,exch_ns,type,px_ticks,qty,done,levels\n");
	}

	bars.cal = &cal;
	bars.minute = -1;
	t0 = cli_mono_s();
	next_progress = events / 10;
	memset(&last, 0, sizeof(last));
	for (uint64_t i = 1; i <= events; i++) {
		gen_next(&g, &ev);
		if ((rc = journal_append_event(&w, &ev))) {
			code = cli_fail(1, "writing %s after %" PRIu64 " events: %s", tmp, i - 1,
					dm_strerror(rc));
			goto close_journal;
		}
		if (ev.kind == EV_TRADE) {
			bars_trade(&bars, ev.exch_ns, ev.trade.px, ev.trade.qty);
		} else {
			const struct gen_order *o = gen_last_order(&g);
			if (ev.book.ask[0].px - ev.book.bid[0].px == 1)
				spread_n++;
			if (orders)
				fprintf(orders, "%" PRIu64 ",%.9f,%" PRId64 ",%s,%" PRId64 ",%" PRId64
					",%" PRId64 ",%u\n", o->seq, o->t_s, o->exch_ns,
					gen_type_name(o->type), o->px, o->qty, o->done, o->levels);
		}
		if (!quiet && events >= 100000 && i == next_progress) {
			fprintf(stderr, "dm-gen: %3" PRIu64 "%%  %" PRIu64 " events  %.1f s\n",
				i * 100 / events, i, cli_mono_s() - t0);
			next_progress += events / 10;
		}
		if (i == events)
			last = ev;
	}
	if ((rc = journal_close(&w))) {
		code = cli_fail(1, "closing %s: %s", tmp, dm_strerror(rc));
		goto unlink_tmp;
	}
	el = cli_mono_s() - t0;
	bars_close_bar(&bars);
	bars_close_day(&bars);

	if (truth_path && strcmp(truth_path, "-")) {
		if ((rc = afile_open(&truth_f, truth_path, NULL)) < 0) {
			code = cli_fail(rc == -EEXIST ? 2 : 1, "--truth %s", truth_f.err);
			goto unlink_tmp;
		}
		write_truth(truth_f.f, &g, seed, date_s, events, output, &last);
	}
	/* the journal first: the other files describe it */
	if ((rc = files_commit_tmp(tmp, output)) < 0) {
		if (rc == -EEXIST)
			files_check_target(output, terr, sizeof(terr));
		else
			snprintf(terr, sizeof(terr), "%s: cannot rename to %s: %s", tmp, output,
				 strerror(-rc));
		code = cli_fail(rc == -EEXIST ? 2 : 1, "%s", terr);
		goto abort_files;
	}
	if (orders_f.f && afile_commit(&orders_f) < 0) {
		code = cli_fail(1, "--orders %s", orders_f.err);
		goto abort_files;
	}
	if (truth_f.f && afile_commit(&truth_f) < 0) {
		code = cli_fail(1, "--truth %s", truth_f.err);
		goto abort_files;
	}
	if (truth_path && !strcmp(truth_path, "-")) {
		write_truth(stdout, &g, seed, date_s, events, output, &last);
		if (fflush(stdout))
			return cli_fail(1, "--truth -: %s", strerror(errno));
	}

	/* summary */
	if (json) {
		const struct gen_stats *st = gen_stats(&g);
		json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "output", output,
			"seed", (json_int_t)seed, "events", (json_int_t)st->events,
			"book_events", (json_int_t)st->book_events, "trade_events",
			(json_int_t)st->trades, "instrument", cli_instr_json(&gi));
		if (!o || json_dumpf(o, stdout, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)))
			return cli_fail(1, "cannot write the JSON summary");
		json_decref(o);
		fputc('\n', stdout);
	} else if (!quiet) {
		const struct gen_stats *st = gen_stats(&g);
		FILE *f = truth_path && !strcmp(truth_path, "-") ? stderr : stdout;
		double lam[GEN_NTYPES];
		double T = gen_last_order(&g)->t_s;
		char d0[CAL_DATE_STR], d1[CAL_DATE_STR];

		hawkes_stationary_rates(&p.hawkes, lam);
		cal_date_format(date, d0, sizeof(d0));
		cal_date_format(cal_local_date(&cal, last.exch_ns), d1, sizeof(d1));
		fprintf(f, "dm-gen: %s  seed %" PRIu64 "  %s .. %s (%" PRIu64 " session%s)\n",
			output, seed, d0, d1, st->sessions, st->sessions == 1 ? "" : "s");
		fprintf(f, "  events        %" PRIu64 " = %" PRIu64 " book + %" PRIu64
			" trades, in %.2f s (%.2f M events/s)\n",
			st->events, st->book_events, st->trades, el,
			el > 0 ? (double)st->events / el * 1e-6 : 0);
		fprintf(f, "  session time  %.1f s (%.1f min)   branching ratio %.3f\n",
			T, T / 60, hawkes_branching_ratio(&p.hawkes));
		if (p.mid_model != GEN_MID_HAWKES)
			fprintf(f, "  mid           %s, mu %g per s, sigma %g per sqrt(s)%s; "
				"last %.1f points\n", gen_mid_name(p.mid_model), p.mid_mu,
				p.mid_sigma, p.mid_model == GEN_MID_ABM ? " (points)" : "",
				gen_mid_pts(&g));
		fprintf(f, "  orders        type          count    rate/s   stationary/s\n");
		for (uint32_t i = 0; i < GEN_NTYPES; i++)
			fprintf(f, "                %-12s %8" PRIu64 "  %8.3f   %8.3f\n",
				gen_type_name(i), st->orders[i],
				T > 0 ? (double)st->orders[i] / T : 0, lam[i]);
		fprintf(f, "  prices        trades %" PRId64 " .. %" PRId64 " ticks = %" PRId64
			" .. %" PRId64 " points; spread 1 tick in %.1f%% of book events\n",
			st->px_min, st->px_max, st->px_min * p.tick_pts, st->px_max * p.tick_pts,
			st->book_events ? 100.0 * (double)spread_n / (double)st->book_events : 0);
		fprintf(f, "  volume        %" PRIu64 " contracts; %" PRIu64
			" market contracts dropped past %u levels\n",
			st->traded_qty, st->market_unfilled, p.max_walk);
		if (bars.days)
			fprintf(f, "  1-min bars    return vol %.6f (days %.6f..%.6f)   mean volume "
				"%.0f contracts/min (days %.0f..%.0f), over %u day%s with >= 30 bars\n",
				bars.sum_std / bars.days, bars.min_std, bars.max_std,
				bars.sum_meanvol / bars.days, bars.min_meanvol, bars.max_meanvol,
				bars.days, bars.days == 1 ? "" : "s");
		else
			fprintf(f, "  1-min bars    run shorter than 30 minutes: no volatility figure\n");
		fprintf(f, "  real WING22   return vol 0.000314..0.000591, mean volume 23945..43724 "
			   "contracts/min (5th..95th percentile of days)\n");
	}
	return 0;

close_journal:
	journal_close(&w);
unlink_tmp:
	unlink(tmp);
abort_files:
	afile_abort(&orders_f);
	afile_abort(&truth_f);
	return code;
}
