/*
 * dm-features — the 27 features of specs/features.md for every book update
 * of a market-data file, as CSV (docs/features.md).
 *
 *   dm-features --input FILE [feed options] [-c CONF] --output OUT.csv
 *               [--json] [--quiet]
 *
 * Reads FILE through the feed readers (libcore/feed/feed.h), runs the
 * feature engine (libcore/features/features.h) and writes one row per book
 * update (feat_csv.h).  The output is written to OUT.csv.tmp-PID, fsynced
 * and renamed into place at the end (tools/lib/files.h), so a failed run
 * leaves no partial file ('-' writes to stdout instead); an OUT that is
 * not a regular file (a device, FIFO, directory) is refused with exit 2.
 *
 * Units.  --tick and --lot are in the instrument's own units and resolved
 * with every other tool's rule (feed_resolve, libcore/feed/feed.h): LOBSTER
 * dollars 0.01, Binance found from the file, MT5 and NEG the configured
 * instrument, a journal its header.  The features see the same ticks, lots,
 * tick and lot from a file and from its journal, so their rows are equal.
 *
 * Exit 0 on success (bad input rows skipped are counted in the summary),
 * 1 on a runtime failure (read or write error, out of memory) or an input
 * without a two-sided book update (nothing written), 2 on bad
 * usage or bad input (unknown option, unreadable or unrecognised file, bad
 * configuration, a bad row under --strict), with one line naming the file
 * and line at fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/features/feat_csv.h"
#include "libcore/features/features.h"
#include "libcore/feed/feed.h"
#include "tools/lib/files.h"

#define OUT_BUF      (1u << 20)   /* bytes of CSV buffered per write */
#define PROGRESS_NS  1000000000LL /* progress line at most once a second */

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-features --input FILE --output OUT.csv [options]\n"
"\n"
"The 27 features of specs/features.md (docs/features.md) for every book\n"
"update of FILE, one CSV row each: a header 't_ns,' then the 27 names, the\n"
"row's time in ns since the epoch, then the values with 15 significant\n"
"digits ('nan' for fracdiff before its window fills).  Prices are in the\n"
"instrument's own units (LOBSTER dollars, Binance USDT, WIN points), sizes\n"
"in its size units; a journal gives the same rows as the file it was\n"
"converted from.\n"
"\n"
"  --input FILE      market data: a LOBSTER *_message_N.csv or\n"
"                    *_orderbook_N.csv (the other file is found), a MetaTrader\n"
"                    5 tick export, a Binance websocket capture, or a\n"
"                    DreamMaker journal; .gz works.  A B3 NEG file holds\n"
"                    trades only: no book, no rows, exit 1\n"
"  --output OUT      CSV to write ('-' = stdout); written to OUT.tmp-PID, then\n"
"                    renamed, so a failed run leaves nothing behind; a device,\n"
"                    FIFO or directory at OUT is refused\n"
CLI_FEED_HELP
"                    The features sum over min(L, features.levels) levels:\n"
"                    features.levels of the configuration (5) is the depth\n"
"                    the live feature agent uses\n"
"  --json            the summary as one JSON object on stdout (not with\n"
"                    --output -)\n"
CLI_COMMON_HELP
"\n"
"Rows are timed by the exchange time stamp, Binance rows (and a journal\n"
"converted from Binance) by the receive time (features.clock: auto).\n"
"Exit 0 on success; 1 on a runtime failure (read or write error) or when\n"
"the input has no book update with both sides (nothing written); 2 on bad\n"
"usage or bad input, with the file and line at fault.\n");
}

/* ------------------------------------------------------------ output */

struct out {
	int fd;
	const char *name;       /* as the user named it */
	char *buf;
	size_t n;
	int err;                /* errno of the first failed write */
};

static int out_flush(struct out *o)
{
	size_t off = 0;

	while (off < o->n && !o->err) {
		ssize_t k = write(o->fd, o->buf + off, o->n - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			o->err = k < 0 ? errno : EIO;
		else
			off += (size_t)k;
	}
	o->n = 0;
	return o->err ? -1 : 0;
}

/* ------------------------------------------------------------ main */

struct args {
	const char *input, *output, *config;
	struct cli_feed_args feed;
	int quiet, json;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
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
		case 'i':
			a->input = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'o':
			a->output = optarg;
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
	if (!a->output)
		return cli_usage_error("--output OUT.csv is required");
	if (a->json && strcmp(a->output, "-") == 0)
		return cli_usage_error("--json prints the summary on stdout: give --output a "
				       "file name, not '-'");
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { .feed.format = FEED_AUTO };
	struct dm_config cfg;
	struct feed_reader rd;
	struct feed_instr conf_in;
	struct feed_want want;
	struct feed_plan plan;
	struct feat_params fp;
	struct feat *f = NULL;
	struct out out = { .fd = -1 };
	char err[FEED_ERR_LEN + 64], tmp_path[4096] = "";
	enum feed_format fmt;
	int rc, code = 0;

	cli_set_prog("dm-features");
	if ((rc = parse_args(argc, argv, &a)))
		return rc;

	/* ---- configuration */
	if (a.config) {
		if (rt_config_load_core(&cfg, a.config, err, sizeof(err)))
			return cli_fail(2, "%s", err);
	} else {
		config_defaults(&cfg);
	}

	/* ---- the output: a regular file or nothing (files.h), before any work */
	char terr[PATH_MAX + 128];
	if (strcmp(a.output, "-") && files_check_target(a.output, terr, sizeof(terr)) < 0)
		return cli_fail(2, "--output %s", terr);

	/* ---- the instrument and its units (feed_resolve: every tool's rule) */
	cli_feed_want(&a.feed, &cfg, &conf_in, &want);
	if ((rc = feed_resolve(a.input, &want, &plan, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	fmt = plan.fmt;
	rc = feed_open(&rd, a.input, fmt, &plan.fo, err, sizeof(err));
	if (rc)
		return cli_fail(cli_exit_code(rc), "%s", err);
	uint32_t L = a.feed.levels ? a.feed.levels : EV_MAX_LEVELS;
	uint32_t FL = L < cfg.features.levels ? L : cfg.features.levels;
	double tau = plan.in.tick_v, lot = plan.in.lot_v;

	/* ---- engine */
	fp = cfg.features;
	feat_params_host(&fp, tau, lot, plan.recv_clock);
	enum feat_clock clock = (enum feat_clock)fp.clock;
	fp.levels = FL;
	if (feat_params_check(&fp, err, sizeof(err))) {
		feed_close(&rd);
		return cli_fail(2, "%s: %s", a.config ? a.config : "features", err);
	}
	size_t fsz = feat_memsize(&fp);
	f = aligned_alloc(64, (fsz + 63) & ~(size_t)63);
	out.buf = malloc(OUT_BUF + FEAT_CSV_ROW_MAX);
	if (!f || !out.buf) {
		code = cli_fail(1, "out of memory");
		goto close_feed;
	}
	feat_init(f, fsz, &fp);

	/* ---- output */
	out.name = a.output;
	if (strcmp(a.output, "-") == 0) {
		out.fd = 1;
	} else {
		if (files_tmp_name(tmp_path, sizeof(tmp_path), a.output) < 0) {
			tmp_path[0] = '\0';
			code = cli_fail(2, "%s: output path too long", a.output);
			goto close_feed;
		}
		out.fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out.fd < 0) {
			code = cli_fail(errno == ENOENT || errno == EACCES || errno == EISDIR ||
					errno == ENOTDIR ? 2 : 1, "%s: cannot create (written as "
					"%s, then renamed): %s", a.output, tmp_path, strerror(errno));
			tmp_path[0] = '\0';
			goto close_feed;
		}
	}
	out.n = feat_csv_header(out.buf, OUT_BUF);

	/* ---- the run */
	struct event ev;
	double v[FEAT_N];
	uint64_t rows = 0, events = 0, books = 0, trades = 0;
	int64_t t0 = cli_mono_ns(), last_progress = t0;
	int tty = isatty(2);

	while ((rc = feed_next(&rd, &ev)) == 1) {
		events++;
		books += ev.kind == EV_BOOK;
		trades += ev.kind == EV_TRADE;
		if (feat_update(f, &ev, v)) {
			out.n += feat_csv_row(out.buf + out.n, feat_last_t_ns(f), v);
			rows++;
			if (out.n >= OUT_BUF && out_flush(&out))
				break;
		}
		if (!a.quiet && (events & 0xffff) == 0) {
			int64_t now = cli_mono_ns();

			if (now - last_progress >= (tty ? PROGRESS_NS : 10 * PROGRESS_NS)) {
				last_progress = now;
				fprintf(stderr, "%s%s: %s: %" PRIu64 " events, %" PRIu64
					" rows, %.0f rows/s%s", tty ? "\r" : "", cli_prog(),
					a.input, events, rows,
					(double)rows / ((double)(now - t0) / 1e9), tty ? "" : "\n");
			}
		}
	}
	if (!a.quiet && tty && last_progress != t0)
		fputc('\n', stderr);
	if (rc < 0) {
		code = cli_fail(cli_exit_code(rc), "%s", feed_error(&rd));
		goto close_out;
	}
	if (rows == 0) {
		code = cli_fail(1, "%s: no book update with both sides in %" PRIu64 " events "
				"(%" PRIu64 " trades)%s; %s not written", a.input, events, trades,
				fmt == FEED_NEG ? ": NEG files hold trades only" : "",
				a.output);
		goto close_out;
	}
	if (out.err || out_flush(&out)) {
		code = cli_fail(1, "%s: write error: %s", out.name,
				strerror(out.err));
		goto close_out;
	}
	if (out.fd != 1) {
		if (close(out.fd)) {
			out.fd = -1;
			code = cli_fail(1, "%s: close: %s", tmp_path, strerror(errno));
			goto close_out;
		}
		out.fd = -1;
		/* fsync, rename, fsync the directory; tmp removed on failure */
		rc = files_commit_tmp(tmp_path, a.output);
		if (rc < 0) {
			code = cli_fail(rc == -EEXIST ? 2 : 1, "%s: cannot rename to %s: %s",
					tmp_path, a.output, files_strerror(rc));
			tmp_path[0] = '\0';
			goto close_out;
		}
		tmp_path[0] = '\0';
	}

	/* ---- summary */
	const struct feed_stats *st = feed_stats(&rd);
	double secs = (double)(cli_mono_ns() - t0) / 1e9;
	if (a.json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:f}",
			"input", a.input, "format", feed_format_name(fmt), "output", a.output,
			"instrument", cli_instr_json(&plan.in), "levels", (json_int_t)L,
			"feature_levels", (json_int_t)FL,
			"clock", clock == FEAT_CLOCK_RECV ? "receive" : "exchange",
			"rows", (json_int_t)rows, "book_events", (json_int_t)books,
			"trade_events", (json_int_t)trades, "bad_rows", (json_int_t)st->skipped,
			"seconds", secs);
		if (!o || json_dumpf(o, stdout, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)))
			code = cli_fail(1, "cannot write the JSON summary");
		fputc('\n', stdout);
		json_decref(o);
	} else if (!a.quiet) {
		fprintf(stderr, "%s: %s (%s) -> %s\n", cli_prog(), a.input,
			feed_format_name(fmt), a.output);
		fprintf(stderr, "  instrument %s: tick %s, lot %s, %s, point value %.12g; "
			"L %u read, %u summed, %s clock\n", plan.in.symbol, plan.in.tick,
			plan.in.lot, plan.in.currency[0] ? plan.in.currency : "currency unknown",
			plan.in.point_value, L, FL, clock == FEAT_CLOCK_RECV ? "receive" : "exchange");
		fprintf(stderr, "  rows %" PRIu64 " (book updates %" PRIu64 ", %" PRIu64
			" with an empty side emit none), trades %" PRIu64 ", %.2f s, %.0f rows/s\n",
			rows, books, books - rows, trades, secs, secs > 0 ? (double)rows / secs : 0);
		fprintf(stderr, "  bad input rows skipped: %" PRIu64 "%s\n", st->skipped,
			st->skipped ? " (the first ones below; --strict stops at the first)" : "");
		for (uint32_t i = 0; i < st->n_samples; i++)
			fprintf(stderr, "    %s\n", st->sample[i]);
	}

close_out:
	if (out.fd > 1)
		close(out.fd);
	if (tmp_path[0])
		unlink(tmp_path);
close_feed:
	feed_close(&rd);
	free(out.buf);
	free(f);
	return code;
}
