/*
 * dm-features — the 27 features of specs/features.md for every book update
 * of a market-data file, as CSV (docs/features.md).
 *
 *   dm-features --input FILE [--format auto|lobster|mt5|neg|binance|journal]
 *               [--levels L] [--tick T] [--lot Q] [-c CONF] --output OUT.csv
 *               [--strict] [--quiet]
 *
 * Reads FILE through the feed readers (libcore/feed/feed.h), runs the
 * feature engine (libcore/features/features.h) and writes one row per book
 * update (feat_csv.h).  The output is written to OUT.csv.tmp-PID and
 * renamed into place at the end, so a failed run leaves no partial file
 * ('-' writes to stdout instead).  No fsync: a crash may lose the file,
 * never leave half of it under the final name.
 *
 * Units.  T is the tick in the output's price unit, which for LOBSTER is
 * the dollar (the file's integers / 10000), for every other source the
 * file's own price unit; Q is the size unit per integer lot (Binance
 * sizes are BTC, held as multiples of Q).  Defaults: LOBSTER 0.01; MT5 the
 * configured instrument tick (WIN: 5 points); NEG 0.01; Binance 0.1 for a
 * USD-M capture (its diffs carry "pu"), else 0.01; a journal the tick in
 * its header.  Lot: Binance 0.00000001, else 1.
 *
 * Exit 0 on success (bad input rows skipped are counted in the summary),
 * 1 on a runtime failure (read or write error, out of memory), 2 on bad
 * usage or bad input (unknown option, unreadable or unrecognised file, bad
 * configuration, a bad row under --strict), with one line naming the file
 * and line at fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcore/cli.h"
#include "libcore/config.h"
#include "libcore/features/feat_csv.h"
#include "libcore/features/features.h"
#include "libcore/feed/feed.h"

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
"digits ('nan' for fracdiff before its window fills).\n"
"\n"
"  --input FILE     market data: a LOBSTER *_message_N.csv or\n"
"                   *_orderbook_N.csv (the other file is found), a MetaTrader 5\n"
"                   tick export, a B3 NEG trade file (trades only: no rows), a\n"
"                   Binance websocket capture, or a DreamMaker journal; .gz works\n"
"  --format F       auto (default: by name, then content), lobster, mt5, neg,\n"
"                   binance, journal\n"
"  --levels L       book levels per side, 1..20 (default: features.levels of\n"
"                   the configuration, 5)\n"
"  --tick T         tick size in the output's price unit: LOBSTER dollars\n"
"                   (default 0.01); MT5 the file's unit (default: the\n"
"                   configured instrument tick, 5 for WIN); NEG 0.01; Binance 0.01 spot,\n"
"                   0.1 USD-M (default: from the file); journal its header's\n"
"  --lot Q          size unit per integer lot (default 1; Binance 0.00000001 BTC)\n"
"  -c, --config F   YAML configuration (default: the built-in defaults, which\n"
"                   equal conf/default.yaml); its features: section sets the\n"
"                   windows, Hawkes parameters and the clock\n"
"  --output OUT     CSV to write ('-' = stdout); written to OUT.tmp-PID, then\n"
"                   renamed, so a failed run leaves nothing behind\n"
"  --strict         stop at the first bad input row (exit 2) instead of\n"
"                   skipping and counting it\n"
"  --quiet          no progress or summary on stderr\n"
"  -h, --help       this text\n"
"\n"
"Rows are timed by the exchange time stamp, Binance rows by the receive time\n"
"(features.clock: auto).  Exit 0 on success, 1 on a runtime failure (read or\n"
"write error), 2 on bad usage or bad input, with the file and line at fault.\n");
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
	struct cli_feed_args feed; /* levels 0 = from the configuration */
	int strict, quiet;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'f' },
		{ "levels", required_argument, NULL, 'L' },
		{ "tick", required_argument, NULL, 't' },
		{ "lot", required_argument, NULL, 'q' },
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "strict", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			a->input = optarg;
			break;
		case 'f': case 'L': case 't': case 'q':
			if (cli_feed_option(c, optarg, FEAT_MAX_LEVELS, &a->feed))
				return 2;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 's':
			a->strict = 1;
			break;
		case 'Q':
			a->quiet = 1;
			break;
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
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { .feed.format = FEED_AUTO };
	struct dm_config cfg;
	struct feed_reader rd;
	struct feed_opts fo;
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
		if (config_load(&cfg, a.config, err, sizeof(err)))
			return cli_fail(2, "%s", err);
	} else {
		config_defaults(&cfg);
	}
	uint32_t L = a.feed.levels ? a.feed.levels : cfg.features.levels;

	/* ---- format, then the tick and lot it implies */
	memset(&fo, 0, sizeof(fo));
	fo.levels = L;
	fo.tick = 1;                        /* provisional: the format decides */
	fmt = (enum feed_format)a.feed.format;
	if (fmt == FEED_AUTO) {
		rc = feed_detect(a.input, &fo, err, sizeof(err));
		if (rc < 0)
			return cli_fail(cli_exit_code(rc), "%s", err);
		fmt = (enum feed_format)rc;
	}
	double tau = a.feed.tick, lot = a.feed.lot ? a.feed.lot : fmt == FEED_BINANCE ? 1e-8 : 1.0;
	double cfg_tick = (double)cfg.instrument.tick_size_e6 / CFG_DEC_SCALE;
	if (!tau)
		tau = feed_default_tick(a.input, fmt);
	if (!tau)
		tau = cfg_tick;
	fo.tick = feed_file_tick(fmt, tau);
	fo.lot = lot;
	fo.strict = a.strict;
	rc = feed_open(&rd, a.input, fmt, &fo, err, sizeof(err));
	if (rc)
		return cli_fail(cli_exit_code(rc), "%s", err);

	/* ---- engine */
	enum feat_clock clock = cfg.features.clock == CFG_FEAT_CLOCK_RECEIVE ? FEAT_CLOCK_RECV :
				cfg.features.clock == CFG_FEAT_CLOCK_EXCHANGE ? FEAT_CLOCK_EXCH :
				fmt == FEED_BINANCE ? FEAT_CLOCK_RECV : FEAT_CLOCK_EXCH;
	feat_params_from_config(&fp, &cfg.features, tau, lot, clock);
	fp.levels = L;
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
		if (snprintf(tmp_path, sizeof(tmp_path), "%s.tmp-%d", a.output,
			     (int)getpid()) >= (int)sizeof(tmp_path)) {
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
		if (rename(tmp_path, a.output)) {
			code = cli_fail(1, "%s: cannot rename to %s: %s", tmp_path, a.output,
					strerror(errno));
			goto close_out;
		}
		tmp_path[0] = '\0';
	}

	/* ---- summary */
	if (!a.quiet) {
		const struct feed_stats *st = feed_stats(&rd);
		double secs = (double)(cli_mono_ns() - t0) / 1e9;

		fprintf(stderr, "%s: %s (%s, L %u, tick %.12g, lot %.12g, %s clock) -> %s\n",
			cli_prog(), a.input, feed_format_name(fmt), L, tau, lot,
			clock == FEAT_CLOCK_RECV ? "receive" : "exchange", a.output);
		fprintf(stderr, "  rows %" PRIu64 " (book updates %" PRIu64 ", %" PRIu64
			" with an empty side emit none), trades %" PRIu64 ", %.2f s, %.0f rows/s\n",
			rows, books, books - rows, trades, secs, secs > 0 ? (double)rows / secs : 0);
		fprintf(stderr, "  bad input rows skipped: %" PRIu64 "%s\n", st->skipped,
			st->skipped ? " (the first ones below; --strict stops at the first)" : "");
		for (uint32_t i = 0; i < st->n_samples; i++)
			fprintf(stderr, "    %s\n", st->sample[i]);
		if (rows == 0)
			fprintf(stderr, "  note: no book update with both sides in %s%s\n",
				a.input, fmt == FEED_NEG ? " (NEG files hold trades only)" : "");
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
