/*
 * dm-convert — any supported market-data file to a DreamMaker journal of
 * events (libcore/feed/feed.h in, libcore/journal.h out; docs/feeds.md).
 *
 *   dm-convert --input FILE [--format F] --output JOURNAL [-c CONF]
 *              [--tick T] [--lot L] [--levels L] [--symbol S]
 *              [--utc-offset MIN] [--strict] [--sync] [--quiet]
 *
 * Streaming: one event at a time from the reader into the journal
 * writer's buffers, so memory stays a few MiB whatever the input size
 * (the line buffers of the reader, the writer's two 1 MiB buffers).
 * The journal is written under a temporary name beside OUTPUT and renamed
 * onto it only when the whole input converted, so OUTPUT never holds a
 * partial conversion.
 *
 * Exit 0 on success, 2 for bad usage or bad input (a bad row under
 * --strict, a corrupt journal, an unreadable or unrecognised input: the
 * message names file:line), 1 for a runtime failure (cannot write, out
 * of memory, a read error).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcore/cli.h"
#include "libcore/config.h"
#include "libcore/feed/feed.h"
#include "libcore/journal.h"

#define PROGRESS_EVERY 8192u /* events between clock reads */

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-convert --input FILE --output JOURNAL [options]\n"
"\n"
"Converts a market-data file into a DreamMaker journal of book and trade\n"
"events (prices in integer ticks, sizes in integer lots), streaming in a\n"
"few MiB of memory whatever the input size.\n"
"\n"
"  --input FILE      the data: either file of a LOBSTER pair\n"
"                    (*_message_N.csv / *_orderbook_N.csv), a MetaTrader 5\n"
"                    tick export, a B3 NEG_* trade file, a Binance websocket\n"
"                    capture, or a journal; *.gz is read through gzip -dc\n"
"  --format F        auto (default: by name, magic or first line), lobster,\n"
"                    mt5, neg, binance, journal\n"
"  --output JOURNAL  journal to write; a regular file, replaced when the\n"
"                    conversion succeeds (written under a temporary name\n"
"                    until then)\n"
"  -c CONF           take the tick size, the symbol and the UTC offset from\n"
"                    the instrument section of CONF (conf/default.yaml: WIN,\n"
"                    tick 5, UTC-3); the options below override it\n"
"  --tick T          price units of the file per tick: LOBSTER 100 (1 cent),\n"
"                    MT5 or NEG WIN 5, NEG equities 0.01, Binance spot 0.01;\n"
"                    required unless -c is given or the input is a journal\n"
"  --lot L           size units per lot (default 1; Binance spot 0.00000001)\n"
"  --levels L        book levels per side kept, 1..%u (default %u)\n"
"  --symbol S        NEG: the instrument to keep (default the first in the\n"
"                    file); Binance: keep messages whose \"s\" is S; also the\n"
"                    journal header's symbol (at most %u characters)\n"
"  --utc-offset MIN  MT5 and NEG times are local = UTC + MIN minutes\n"
"                    (default 0, or the instrument's with -c)\n"
"  --strict          stop at the first bad row: exit 2 with file:line\n"
"                    (default: skip bad rows, count them, list samples)\n"
"  --sync            fdatasync the journal before renaming it into place\n"
"  --quiet           no progress lines on stderr\n"
"  --help            this text\n"
"\n"
"Prints progress on stderr about once a second (rows, events, MB/s) and a\n"
"summary at the end: counts, skipped bad rows with sample messages.\n"
"Exit 0 done, 2 bad usage or bad input, 1 runtime failure.\n",
		EV_MAX_LEVELS, EV_MAX_LEVELS, JOURNAL_SYMBOL_MAX - 1);
}

/* The journal being written, removed if a signal ends the run. */
static char g_tmp[PATH_MAX];

static void on_signal(int sig)
{
	/* async-signal-safe: unlink, then die of the signal as usual
	 * (SA_RESETHAND restored the default action) */
	unlink(g_tmp);
	raise(sig);
}

/* value x 10^-6 as the shortest decimal text: 5000000 -> "5". */
static void e6_text(int64_t v, char *buf, size_t len)
{
	int64_t ip = v / 1000000, fp = v % 1000000;
	int w = 6;

	if (!fp) {
		snprintf(buf, len, "%" PRId64, ip);
		return;
	}
	while (fp % 10 == 0) {
		fp /= 10;
		w--;
	}
	snprintf(buf, len, "%" PRId64 ".%0*" PRId64, ip, w, fp);
}

static void human_bytes(double b, char *buf, size_t len)
{
	if (b >= 1e9)
		snprintf(buf, len, "%.2f GB", b / 1e9);
	else if (b >= 1e6)
		snprintf(buf, len, "%.1f MB", b / 1e6);
	else
		snprintf(buf, len, "%.0f kB", b / 1e3);
}

static void summary(const char *in, const char *fmt_name, const char *out,
		    const struct feed_stats *st, const struct journal_writer *w,
		    double el)
{
	char b[32];

	human_bytes((double)st->bytes, b, sizeof(b));
	printf("dm-convert: %s (%s) -> %s\n", in, fmt_name, out);
	printf("  rows          %" PRIu64 " read, %" PRIu64 " skipped as bad, %" PRIu64
	       " without an event by design\n", st->rows, st->skipped, st->ignored);
	printf("  events        %" PRIu64 " = %" PRIu64 " book + %" PRIu64 " trades\n",
	       st->events_book + st->events_trade, st->events_book, st->events_trade);
	printf("  journal       %" PRIu64 " records, %" PRIu64 " bytes (%s)\n",
	       w->stats.records, w->stats.bytes + JOURNAL_HDR_SIZE,
	       journal_writer_uses_uring(w) ? "io_uring" : "pwrite");
	printf("  time          %.2f s: %.0f rows/s, %s in at %.1f MB/s\n", el,
	       el > 0 ? (double)st->rows / el : 0, b,
	       el > 0 ? (double)st->bytes / el / 1e6 : 0);
	if (st->other_symbol)
		printf("  other symbols %" PRIu64 " rows of other instruments left out\n",
		       st->other_symbol);
	if (st->cancelled)
		printf("  cancelled     %" PRIu64 " trades marked cancelled by the exchange, "
		       "dropped\n", st->cancelled);
	if (st->snapshots || st->diffs_applied || st->gaps)
		printf("  binance       %" PRIu64 " snapshots (%" PRIu64 " ignored in sync), %"
		       PRIu64 " diffs applied, %" PRIu64 " stale, %" PRIu64 " never synced, %"
		       PRIu64 " gaps, %" PRIu64 "/%" PRIu64 " bookTicker mismatches, %" PRIu64
		       " levels dropped at the cap\n", st->snapshots, st->snapshots_ignored,
		       st->diffs_applied, st->diffs_stale, st->diffs_unsynced, st->gaps,
		       st->bbo_mismatch, st->bbo_checked, st->book_overflow);
	if (st->skipped) {
		printf("  bad rows      %" PRIu64 " skipped, the first at line %" PRIu64
		       "; %s:\n", st->skipped, st->first_bad_line,
		       st->n_samples < st->skipped ? "the first ones" : "all of them");
		for (uint32_t i = 0; i < st->n_samples; i++)
			printf("    %s\n", st->sample[i]);
		printf("                (--strict stops at the first bad row instead)\n");
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input",      required_argument, 0, 'i' },
		{ "format",     required_argument, 0, 'f' },
		{ "output",     required_argument, 0, 'o' },
		{ "tick",       required_argument, 0, 't' },
		{ "lot",        required_argument, 0, 'L' },
		{ "levels",     required_argument, 0, 'l' },
		{ "symbol",     required_argument, 0, 's' },
		{ "utc-offset", required_argument, 0, 'u' },
		{ "strict",     no_argument,       0, 'S' },
		{ "sync",       no_argument,       0, 'y' },
		{ "quiet",      no_argument,       0, 'q' },
		{ "help",       no_argument,       0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *in = NULL, *out = NULL, *conf = NULL, *tick_s = NULL;
	const char *symbol = NULL;
	int fmt = FEED_AUTO, strict = 0, quiet = 0, sync = 0, c, rc;
	long levels = 0, utc_min = 0;
	int have_utc = 0;
	double tick = 0, lot = 0;
	struct feed_opts fo;
	static struct feed_reader r;
	static struct journal_writer w;
	struct journal_opts jo;
	char err[FEED_ERR_LEN], tick_txt[JOURNAL_TICK_MAX + 16], sym_txt[JOURNAL_SYMBOL_MAX];
	char *tmp = g_tmp;
	struct stat sti, sto;

	memset(&fo, 0, sizeof(fo));
	tick_txt[0] = sym_txt[0] = '\0';
	cli_set_prog("dm-convert");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'c': conf = optarg; break;
		case 'f':
			if ((fmt = feed_format_parse(optarg)) < 0)
				return cli_usage_error("--format '%s': want auto, lobster, mt5, neg, "
						       "binance or journal", optarg);
			break;
		case 't':
			if (cli_parse_pos_double(optarg, &tick))
				return cli_usage_error("--tick '%s': want a positive decimal such as "
						       "5, 100 or 0.01", optarg);
			tick_s = optarg;
			break;
		case 'L':
			if (cli_parse_pos_double(optarg, &lot))
				return cli_usage_error("--lot '%s': want a positive decimal such as "
						       "1 or 0.00000001", optarg);
			break;
		case 'l':
			if (cli_parse_long(optarg, 1, EV_MAX_LEVELS, &levels))
				return cli_usage_error("--levels '%s': want 1..%u", optarg, EV_MAX_LEVELS);
			break;
		case 's':
			if (!*optarg || strlen(optarg) >= JOURNAL_SYMBOL_MAX)
				return cli_usage_error("--symbol '%s': want 1..%u characters", optarg,
						       JOURNAL_SYMBOL_MAX - 1);
			symbol = optarg;
			break;
		case 'u':
			if (cli_parse_long(optarg, -720, 840, &utc_min))
				return cli_usage_error("--utc-offset '%s': want minutes -720..840 "
						       "(Sao Paulo -180)", optarg);
			have_utc = 1;
			break;
		case 'S': strict = 1; break;
		case 'y': sync = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case ':':
			return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!in || !out)
		return cli_usage_error("missing %s", !in ? "--input FILE" : "--output JOURNAL");

	if (conf) {
		static struct dm_config cfg;
		if (config_load(&cfg, conf, err, sizeof(err)))
			return cli_fail(2, "-c %s", err);
		if (!tick_s) {
			tick = (double)cfg.instrument.tick_size_e6 / 1e6;
			e6_text(cfg.instrument.tick_size_e6, tick_txt, sizeof(tick_txt));
		}
		if (!symbol)
			snprintf(sym_txt, sizeof(sym_txt), "%s", cfg.instrument.symbol);
		if (!have_utc)
			utc_min = cfg.instrument.utc_offset_min;
	}
	if (tick_s)
		snprintf(tick_txt, sizeof(tick_txt), "%s", tick_s);
	if (symbol)
		snprintf(sym_txt, sizeof(sym_txt), "%s", symbol);

	/* the output: a regular file or nothing, never the input */
	if (stat(in, &sti))
		return cli_fail(2, "--input %s: %s", in, strerror(errno));
	if (stat(out, &sto) == 0) {
		if (!S_ISREG(sto.st_mode))
			return cli_fail(2, "--output %s exists and is not a regular "
					"file; dm-convert only replaces regular files", out);
		if (sto.st_dev == sti.st_dev && sto.st_ino == sti.st_ino)
			return cli_fail(2, "--output %s is the input file", out);
	}

	fo.levels = (uint32_t)levels;
	fo.tick = tick;
	fo.lot = lot;
	fo.strict = strict;
	fo.symbol = symbol;
	fo.utc_offset_s = (int32_t)(utc_min * 60);
	rc = feed_open(&r, in, (enum feed_format)fmt, &fo, err, sizeof(err));
	if (rc < 0) {
		if (rc == -EINVAL && !tick && strstr(err, "tick"))
			fprintf(stderr, "dm-convert: %s: give --tick T or -c CONF\n", in);
		else
			fprintf(stderr, "dm-convert: %s\n", err);
		return rc == -ENOMEM ? 1 : 2;
	}
	if (feed_format_of(&r) == FEED_JOURNAL) {
		/* a journal names its own symbol and tick */
		const struct journal_file_hdr *h = &r.u.jn.jr.hdr;
		if (!sym_txt[0])
			snprintf(sym_txt, sizeof(sym_txt), "%.*s", (int)sizeof(h->symbol) - 1,
				 h->symbol);
		if (!tick_txt[0])
			snprintf(tick_txt, sizeof(tick_txt), "%.*s",
				 (int)sizeof(h->tick_size) - 1, h->tick_size);
	}
	if (strlen(tick_txt) >= JOURNAL_TICK_MAX)
		snprintf(tick_txt, sizeof(tick_txt), "%.10g", tick);

	if (snprintf(tmp, sizeof(g_tmp), "%s.converting-%d", out, (int)getpid()) >=
	    (int)sizeof(g_tmp)) {
		fprintf(stderr, "dm-convert: --output %s: name too long\n", out);
		feed_close(&r);
		return 2;
	}
	memset(&jo, 0, sizeof(jo));
	jo.symbol = sym_txt;
	jo.tick_size = tick_txt;
	jo.fsync = JOURNAL_FSYNC_NONE;
	jo.flags = JOURNAL_W_TRUNC;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rc = journal_open_write(&w, tmp, &jo);
	if (rc < 0) {
		fprintf(stderr, "dm-convert: cannot create %s: %s\n", tmp, dm_strerror(rc));
		feed_close(&r);
		return 1;
	}

	const struct feed_stats *st = feed_stats(&r);
	double t0 = cli_mono_s(), next = t0 + 1.0, last_t = t0;
	uint64_t n = 0, last_bytes = 0;
	struct event ev;
	int exit_code = 0;

	while ((rc = feed_next(&r, &ev)) == 1) {
		if ((rc = journal_append_event(&w, &ev)) < 0) {
			exit_code = cli_fail(1, "writing %s after %" PRIu64 " events: %s "
					     "(disk full?)", tmp, n, dm_strerror(rc));
			goto fail;
		}
		if (DM_UNLIKELY(++n % PROGRESS_EVERY == 0)) {
			double t = cli_mono_s();
			if (t >= next) {
				if (!quiet)
					fprintf(stderr, "dm-convert: %.1f s  %" PRIu64 " rows  %"
						PRIu64 " events  %" PRIu64 " skipped  %.0f MB "
						"read  %.1f MB/s\n", t - t0, st->rows, n,
						st->skipped, (double)st->bytes / 1e6,
						(double)(st->bytes - last_bytes) / (t - last_t) / 1e6);
				last_t = t;
				last_bytes = st->bytes;
				next = t + 1.0;
			}
		}
	}
	if (rc < 0) {
		/* a bad row under --strict, a corrupt journal: bad input */
		fprintf(stderr, "dm-convert: %s\n", feed_error(&r));
		if (rc == -DM_ECORRUPT)
			fprintf(stderr, "dm-convert: %s not written (%" PRIu64 " events "
				"converted before the error)\n", out, n);
		exit_code = rc == -DM_ECORRUPT ? 2 : 1;
		goto fail;
	}
	if (sync && (rc = journal_sync(&w)) < 0) {
		exit_code = cli_fail(1, "syncing %s: %s", tmp, dm_strerror(rc));
		goto fail;
	}
	struct journal_writer done = w; /* its stats, for the summary */
	if ((rc = journal_close(&w)) < 0) {
		fprintf(stderr, "dm-convert: closing %s: %s\n", tmp, dm_strerror(rc));
		unlink(tmp);
		feed_close(&r);
		return 1;
	}
	if (rename(tmp, out)) {
		fprintf(stderr, "dm-convert: renaming %s to %s: %s\n", tmp, out, strerror(errno));
		unlink(tmp);
		feed_close(&r);
		return 1;
	}
	summary(in, feed_format_name(feed_format_of(&r)), out, st, &done,
		cli_mono_s() - t0);
	feed_close(&r);
	return 0;

fail:
	journal_close(&w);
	unlink(tmp);
	feed_close(&r);
	return exit_code;
}
