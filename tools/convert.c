/*
 * dm-convert — any supported market-data file to a DreamMaker journal of
 * events (libcore/feed/feed.h in, libcore/journal/journal.h out; docs/feeds.md).
 *
 *   dm-convert --input FILE [--format F] --output JOURNAL [-c CONF]
 *              [--tick T] [--lot Q] [--levels L] [--symbol S]
 *              [--utc-offset MIN] [--strict] [--max-bad-share X]
 *              [--sync] [--json] [--quiet]
 *
 * The instrument (symbol, tick, lot, currency, point value in its own
 * units) comes from feed_resolve (libcore/feed/feed.h), the one rule every
 * tool shares, and goes into the journal header.
 *
 * Streaming: one event at a time from the reader into the journal
 * writer's buffers, so memory stays a few MiB whatever the input size
 * (the line buffers of the reader, the writer's two 1 MiB buffers).
 * The journal is written under OUTPUT.tmp-PID beside OUTPUT, fsynced and
 * renamed onto it only when the whole input converted (tools/lib/files.h),
 * so OUTPUT never holds a partial conversion; an OUTPUT that is not a
 * regular file (a device, FIFO, directory) is refused.
 *
 * Exit 0 on success, 2 for bad usage or bad input (a bad row under
 * --strict, more bad rows than --max-bad-share, a tick or lot that does
 * not fit the data, a corrupt journal, an unreadable or unrecognised
 * input: the message names file:line), 1 for a runtime failure (cannot
 * write, out of memory, a read error) or an input without any event.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/feed/feed.h"
#include "libcore/journal/journal.h"
#include "tools/lib/files.h"

#define PROGRESS_EVERY 8192u /* events between clock reads */

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-convert --input FILE --output JOURNAL [options]\n"
"\n"
"Converts a market-data file into a DreamMaker journal of book and trade\n"
"events (prices in integer ticks, sizes in integer lots), streaming in a\n"
"few MiB of memory whatever the input size.  The journal's header records\n"
"the instrument: symbol, tick, lot, currency and point value, in the\n"
"instrument's own units; every tool reads prices back in those units.\n"
"\n"
"  --input FILE      the data: either file of a LOBSTER pair\n"
"                    (*_message_N.csv / *_orderbook_N.csv), a MetaTrader 5\n"
"                    tick export, a B3 NEG_* trade file, a Binance websocket\n"
"                    capture, or a journal; *.gz is inflated as it is read\n"
"  --output JOURNAL  journal to write; a regular file, replaced when the\n"
"                    conversion succeeds (written under a temporary name\n"
"                    until then)\n"
CLI_FEED_HELP
"  --max-bad-share X exit 2 when more than this share of the rows is bad\n"
"                    (0..1, default 0.01); nothing is written then\n"
"  --sync            fdatasync the journal as it is closed (it is fsynced\n"
"                    before the rename in any case)\n"
"  --json            one JSON summary on stdout instead of the text:\n"
"                    input, format, rows, bad_rows, events, book_events,\n"
"                    trade_events, output, instrument {symbol, tick, lot,\n"
"                    currency, point_value}\n"
CLI_COMMON_HELP
"\n"
"Prints progress on stderr about once a second and a summary at the end:\n"
"the instrument, counts, skipped bad rows with sample messages.\n"
"Exit 0 done; 1 runtime failure, or no event at all in the input (nothing\n"
"written); 2 bad usage or bad input: a tick or lot that does not fit the\n"
"data (the message names the one that does), more bad rows than\n"
"--max-bad-share, a bad row under --strict.\n");
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

static void human_bytes(double b, char *buf, size_t len)
{
	if (b >= 1e9)
		snprintf(buf, len, "%.2f GB", b / 1e9);
	else if (b >= 1e6)
		snprintf(buf, len, "%.1f MB", b / 1e6);
	else
		snprintf(buf, len, "%.0f kB", b / 1e3);
}

static void summary(const char *in, const struct feed_plan *p, const char *out,
		    const struct feed_stats *st, const struct journal_writer *w,
		    double el)
{
	const struct feed_instr *ins = &p->in;
	char b[32];

	human_bytes((double)st->bytes, b, sizeof(b));
	printf("dm-convert: %s (%s) -> %s\n", in, feed_format_name(p->fmt), out);
	printf("  instrument    %s: tick %s (%s), lot %s (%s), %s, point value %.12g\n",
	       ins->symbol[0] ? ins->symbol : "(no symbol)", ins->tick, p->tick_from, ins->lot,
	       p->lot_from, ins->currency[0] ? ins->currency : "currency unknown",
	       ins->point_value);
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

static void print_json(const char *in, const char *fmt_name, const char *out,
		       const struct feed_stats *st, const struct feed_instr *ins)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:o}",
		"input", in, "format", fmt_name, "rows", (json_int_t)st->rows,
		"bad_rows", (json_int_t)st->skipped,
		"events", (json_int_t)(st->events_book + st->events_trade),
		"book_events", (json_int_t)st->events_book,
		"trade_events", (json_int_t)st->events_trade, "output", out ? out : "",
		"instrument", cli_instr_json(ins));

	if (o) {
		if (!out)
			json_object_set_new(o, "output", json_null());
		json_dumpf(o, stdout, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
		json_decref(o);
	}
	fputc('\n', stdout);
}

struct args {
	const char *in, *out, *conf;
	struct cli_feed_args feed;
	double max_bad;
	int quiet, sync, json;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "input",         required_argument, 0, 'i' },
		{ "output",        required_argument, 0, 'o' },
		{ "max-bad-share", required_argument, 0, 'B' },
		{ "sync",          no_argument,       0, 'y' },
		{ "json",          no_argument,       0, CLI_O_JSON },
		CLI_FEED_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{ 0, 0, 0, 0 }
	};
	int c, rc;

	a->max_bad = 0.01;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", opts, NULL)) != -1) {
		if ((rc = cli_feed_option(c, optarg, &a->feed)))
			if (rc != 1)
				return rc;
		if (rc == 1)
			continue;
		switch (c) {
		case 'i': a->in = optarg; break;
		case 'o': a->out = optarg; break;
		case 'c': a->conf = optarg; break;
		case 'B':
			if (cli_parse_double(optarg, &a->max_bad) || a->max_bad < 0 || a->max_bad > 1)
				return cli_usage_error("--max-bad-share '%s': want a share 0..1 "
						       "(0.01 = 1%% of the rows)", optarg);
			break;
		case 'y': a->sync = 1; break;
		case CLI_O_JSON: a->json = 1; break;
		case CLI_O_QUIET: a->quiet = 1; break;
		case CLI_O_VERSION: exit(cli_version());
		case 'h': usage(stdout); exit(0);
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->in || !a->out)
		return cli_usage_error("missing %s", !a->in ? "--input FILE" : "--output JOURNAL");
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	int rc;
	static struct dm_config cfg;
	static struct feed_reader r;
	static struct journal_writer w;
	struct journal_opts jo;
	struct feed_instr conf_in;
	struct feed_want want;
	struct feed_plan plan;
	char err[FEED_ERR_LEN];
	char *tmp = g_tmp;
	struct stat sti, sto;

	memset(&a, 0, sizeof(a));
	cli_set_prog("dm-convert");
	if ((rc = parse_args(argc, argv, &a)))
		return rc;
	const char *in = a.in, *out = a.out;
	int quiet = a.quiet;

	if (a.conf) {
		if (rt_config_load_core(&cfg, a.conf, err, sizeof(err)))
			return cli_fail(2, "-c %s", err);
	} else {
		config_defaults(&cfg);
	}

	/* the output: a regular file or nothing, never the input */
	if (stat(in, &sti))
		return cli_fail(2, "--input %s: %s", in, strerror(errno));
	char terr[PATH_MAX + 128];
	if (files_check_target(out, terr, sizeof(terr)) < 0)
		return cli_fail(2, "--output %s", terr);
	if (stat(out, &sto) == 0 && sto.st_dev == sti.st_dev && sto.st_ino == sti.st_ino)
		return cli_fail(2, "--output %s is the input file", out);

	/* the instrument, its units and the reader's options */
	cli_feed_want(&a.feed, &cfg, &conf_in, &want);
	if ((rc = feed_resolve(in, &want, &plan, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	rc = feed_open(&r, in, plan.fmt, &plan.fo, err, sizeof(err));
	if (rc < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);

	if (files_tmp_name(tmp, sizeof(g_tmp), out) < 0) {
		fprintf(stderr, "dm-convert: --output %s: name too long\n", out);
		feed_close(&r);
		return 2;
	}
	memset(&jo, 0, sizeof(jo));
	jo.symbol = plan.in.symbol;
	jo.tick_size = plan.in.tick;
	jo.lot_size = plan.in.lot;
	jo.currency = plan.in.currency;
	jo.point_value = plan.in.point_value;
	jo.hdr_flags = plan.recv_clock ? JOURNAL_HDR_F_RECV_TIME : 0;
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
	if (st->rows && (double)st->skipped > a.max_bad * (double)st->rows) {
		fprintf(stderr, "dm-convert: %s: %" PRIu64 " of %" PRIu64 " rows are bad "
			"(%.2f%%, above --max-bad-share %g); %s not written.  The first:\n",
			in, st->skipped, st->rows, 100.0 * (double)st->skipped / (double)st->rows,
			a.max_bad, out);
		for (uint32_t i = 0; i < st->n_samples; i++)
			fprintf(stderr, "    %s\n", st->sample[i]);
		exit_code = 2;
		goto fail;
	}
	if (n == 0) {
		fprintf(stderr, "dm-convert: %s: no event in %" PRIu64 " rows (%" PRIu64
			" bad, %" PRIu64 " without an event, %" PRIu64 " of other symbols); "
			"%s not written%s\n", in, st->rows, st->skipped, st->ignored,
			st->other_symbol, out, st->other_symbol ? " (dm-inspect --list-symbols "
			"FILE lists the symbols it holds)" : "");
		if (a.json)
			print_json(in, feed_format_name(plan.fmt), NULL, st, &plan.in);
		exit_code = 1;
		goto fail;
	}
	if (a.sync && (rc = journal_sync(&w)) < 0) {
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
	/* fsync, rename, fsync the directory; tmp removed on failure */
	if ((rc = files_commit_tmp(tmp, out)) < 0) {
		fprintf(stderr, "dm-convert: renaming %s to %s: %s\n", tmp, out,
			files_strerror(rc));
		feed_close(&r);
		return rc == -EEXIST ? 2 : 1;
	}
	if (a.json)
		print_json(in, feed_format_name(plan.fmt), out, st, &plan.in);
	else if (!quiet)
		summary(in, &plan, out, st, &done, cli_mono_s() - t0);
	feed_close(&r);
	return 0;

fail:
	journal_close(&w);
	unlink(tmp);
	feed_close(&r);
	return exit_code;
}
