/*
 * dm-inspect — what a market-data file holds, in one streaming pass:
 * events, time span, book depth, spreads, sizes, volume by aggressor and
 * the anomalies found (docs/replay.md).
 *
 *   dm-inspect FILE [feed options] [-c CONF] [--json] [--progress] [--quiet]
 *   dm-inspect --list-symbols FILE [--json]
 *
 * Memory is bounded whatever the input: the feed reader's buffers, one
 * struct book and fixed-bin histograms (libcore/hist/hist.h) for the spread
 * and size distributions, never an array of values.  Quantiles come from
 * the histograms: exact below 64, within 1/32 above.
 *
 * Units.  --tick and --lot are in the instrument's own units, resolved by
 * the rule every tool shares (feed_resolve, libcore/feed/feed.h); the
 * report prints prices in those units, spreads in ticks, sizes in lots.
 *
 * Exit 0 on success (bad rows skipped are counted in the report), 1 on a
 * runtime failure (read error, out of memory), 2 on bad usage or bad
 * input (unknown option, unreadable or unrecognised file, a bad row under
 * --strict, a corrupt journal, a journal of no market data: an orders or
 * decisions journal, named with its records and time span), with one line
 * naming file:line and field.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libcore/market/book.h"
#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/market/event.h"
#include "libcore/feed/feed.h"
#include "libcore/hist/hist.h"

#define NS_PER_S      1000000000LL
#define PROGRESS_NS   1000000000LL   /* one progress line a second */
#define PROGRESS_MASK 0x3fffu        /* events between clock reads - 1 */

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-inspect FILE [options]\n"
"       dm-inspect --list-symbols FILE [--json]\n"
"\n"
"Reads a market-data file once, in bounded memory, and reports its\n"
"instrument (symbol, tick, lot, currency, point value in the instrument's\n"
"own units), events (book updates, trades), time span, prices, levels seen\n"
"per side, spread and size statistics, volume by aggressor and the\n"
"anomalies found.  Spreads are counted in ticks, sizes in lots.\n"
"\n"
"  FILE              either file of a LOBSTER pair (*_message_N.csv /\n"
"                    *_orderbook_N.csv), a MetaTrader 5 tick export, a B3\n"
"                    NEG_* trade file, a Binance websocket capture, or a\n"
"                    DreamMaker journal; *.gz is inflated as it is read\n"
"  --list-symbols    list the symbols of a multi-symbol file instead (NEG:\n"
"                    symbol, rows, trades; Binance: the \"s\" values)\n"
CLI_FEED_HELP
"  --json            one JSON object on stdout instead of the text report\n"
"  --progress        a progress line on stderr every second even when\n"
"                    stderr is not a terminal (on a terminal: always)\n"
CLI_COMMON_HELP
"                    (dm-inspect: --quiet hides the progress line; the\n"
"                    report is its output)\n"
"\n"
"A DreamMaker journal that holds no market data (a run's orders.journal or\n"
"decisions.journal) is refused, exit 2, with what it holds (its kind, its\n"
"records, their time span) and the dm-journal command that prints its rows,\n"
"rather than reported as a market of 0 events.\n"
"\n"
"Exit 0 done, 2 bad usage or bad input, 1 runtime failure.\n");
}

/* ------------------------------------------------------------ statistics */

/* Everything the report says, updated per event in O(L). */
struct insp {
	uint64_t events, books, trades;
	int64_t  t_first, t_last;          /* earliest and latest exch_ns */
	int64_t  last_trade_ns;            /* trade ordering */
	uint64_t trade_ooo;                /* trades earlier than the previous trade */
	uint64_t lv_dist[2][EV_MAX_LEVELS + 1]; /* book events by levels per side */
	uint32_t lv_max[2];
	uint64_t two_sided, one_sided;     /* book events with both / one side empty */
	uint64_t crossed;                  /* best bid >= best ask */
	uint64_t spread1;                  /* one-tick spreads */
	uint64_t neg_trade;                /* trades with a negative size */
	uint64_t gap_books;                /* FEED_BOOK_F_GAP */
	uint64_t vol[3], n_agg[3];         /* [0] buy, [1] sell, [2] unknown */
	uint64_t hidden, cancelled;
	int64_t  px_min, px_max;           /* best bid / ask and trade prices, ticks */
	int64_t  first_mid2;               /* bid + ask of the first two-sided book */
	struct book book;                  /* counts crossed, negative, out of order */
	struct hist spread;                /* ticks, uncrossed two-sided books */
	struct hist top[2];                /* best level sizes per side */
	struct hist trade_qty;
};

static void insp_init(struct insp *s, uint32_t levels)
{
	memset(s, 0, sizeof(*s));
	s->t_first = INT64_MAX;
	s->t_last = INT64_MIN;
	s->last_trade_ns = INT64_MIN;
	s->px_min = INT64_MAX;
	s->px_max = INT64_MIN;
	s->first_mid2 = INT64_MIN;
	book_init(&s->book, levels);
	hist_init(&s->spread);
	hist_init(&s->top[0]);
	hist_init(&s->top[1]);
	hist_init(&s->trade_qty);
}

static void px_seen(struct insp *s, int64_t px)
{
	if (px < s->px_min)
		s->px_min = px;
	if (px > s->px_max)
		s->px_max = px;
}

static void insp_book(struct insp *s, const struct event *ev)
{
	const struct ev_book *b = &ev->book;
	uint32_t nb = b->n_bid, na = b->n_ask;

	s->books++;
	s->lv_dist[BOOK_BID][nb <= EV_MAX_LEVELS ? nb : EV_MAX_LEVELS]++;
	s->lv_dist[BOOK_ASK][na <= EV_MAX_LEVELS ? na : EV_MAX_LEVELS]++;
	if (nb > s->lv_max[BOOK_BID])
		s->lv_max[BOOK_BID] = nb;
	if (na > s->lv_max[BOOK_ASK])
		s->lv_max[BOOK_ASK] = na;
	if (b->flags & FEED_BOOK_F_GAP)
		s->gap_books++;
	/* the book refuses negative sizes and counts them, times going back
	 * and unsorted levels; MetaTrader 5's size-0 levels are empty to it,
	 * so the top of book is taken from the event itself */
	book_apply_snapshot(&s->book, b->bid, nb, b->ask, na, ev->exch_ns, ev->recv_ns);
	if (nb && b->bid[0].qty >= 0)
		hist_record(&s->top[BOOK_BID], (uint64_t)b->bid[0].qty);
	if (na && b->ask[0].qty >= 0)
		hist_record(&s->top[BOOK_ASK], (uint64_t)b->ask[0].qty);
	if (!nb || !na) {
		s->one_sided++;
		return;
	}
	s->two_sided++;
	if (s->first_mid2 == INT64_MIN)
		s->first_mid2 = b->ask[0].px + b->bid[0].px;
	px_seen(s, b->bid[0].px);
	px_seen(s, b->ask[0].px);
	int64_t sp = b->ask[0].px - b->bid[0].px;
	if (sp <= 0) {
		s->crossed++;
		return;
	}
	hist_record(&s->spread, (uint64_t)sp);
	s->spread1 += sp == 1;
}

static void insp_trade(struct insp *s, const struct event *ev)
{
	const struct ev_trade *t = &ev->trade;

	s->trades++;
	px_seen(s, t->px);
	if (ev->exch_ns < s->last_trade_ns)
		s->trade_ooo++;
	s->last_trade_ns = ev->exch_ns;
	if (t->flags & EV_TRADE_HIDDEN)
		s->hidden++;
	if (t->flags & FEED_TRADE_CANCELLED)
		s->cancelled++;
	if (t->qty < 0) {
		s->neg_trade++;
		return;
	}
	int k = t->aggressor > 0 ? 0 : t->aggressor < 0 ? 1 : 2;
	s->vol[k] += (uint64_t)t->qty;
	s->n_agg[k]++;
	hist_record(&s->trade_qty, (uint64_t)t->qty);
}

static void insp_event(struct insp *s, const struct event *ev)
{
	s->events++;
	if (ev->exch_ns < s->t_first)
		s->t_first = ev->exch_ns;
	if (ev->exch_ns > s->t_last)
		s->t_last = ev->exch_ns;
	if (ev->kind == EV_BOOK)
		insp_book(s, ev);
	else if (ev->kind == EV_TRADE)
		insp_trade(s, ev);
}

/* ------------------------------------------------------------ report */

struct run {
	const char *file;
	enum feed_format fmt;
	uint32_t levels;
	double tick, lot;
	const struct feed_plan *plan;
	const struct feed_stats *st;
	double secs;           /* wall time of the pass */
};

/* ns since the epoch as "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ". */
static void iso_utc(int64_t ns, char *buf, size_t len)
{
	int64_t s = ns / NS_PER_S, f = ns % NS_PER_S;
	struct tm tm;
	char day[32];

	if (f < 0) {
		f += NS_PER_S;
		s--;
	}
	time_t t = (time_t)s;
	if (!gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(day, sizeof(day), "@%" PRId64, s);
	snprintf(buf, len, "%s.%09" PRId64 "Z", day, f);
}

static uint64_t anomalies_neg(const struct insp *s)
{
	return s->book.stats.neg_size + s->neg_trade;
}

static void side_dist(const struct insp *s, int side, uint32_t L)
{
	int first = 1;

	for (uint32_t k = 0; k <= L; k++)
		if (s->lv_dist[side][k]) {
			printf("%s%u:%" PRIu64, first ? "" : " ", k, s->lv_dist[side][k]);
			first = 0;
		}
	if (first)
		printf("-");
}

/* ticks / div (div 1, or 2 for a mid given as bid + ask) in the
 * instrument's units, exactly: "585.635". */
static void px_text(const struct run *u, int64_t ticks, int div, char *buf, size_t len)
{
	int64_t t, v;
	int w = 9;

	/* in units of 10^-9: the tick's 10^-8 units x 10, halved */
	if (feed_dec_parse(u->plan->in.tick, &t) || ticks < 0 ||
	    __builtin_mul_overflow(ticks, t * 10 / div, &v)) {
		snprintf(buf, len, "%.10g", (double)ticks * u->tick / div);
		return;
	}
	int64_t ip = v / 1000000000, fp = v % 1000000000;
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

static void report_text(const struct run *u, const struct insp *s)
{
	const struct feed_stats *st = u->st;
	char a[48], b[48];

	const struct feed_instr *ins = &u->plan->in;
	char p0[32], p1[32], pm[32];

	printf("%s (%s, L %u)\n", u->file, feed_format_name(u->fmt), u->levels);
	printf("  instrument    %s: tick %s (%s), lot %s (%s), %s, point value %.12g\n",
	       ins->symbol[0] ? ins->symbol : "(no symbol)", ins->tick, u->plan->tick_from,
	       ins->lot, u->plan->lot_from, ins->currency[0] ? ins->currency :
	       "currency unknown", ins->point_value);
	printf("  events        %" PRIu64 " = %" PRIu64 " book updates + %" PRIu64
	       " trades\n", s->events, s->books, s->trades);
	printf("  rows          %" PRIu64 " read, %" PRIu64 " skipped as bad, %" PRIu64
	       " without an event, %" PRIu64 " of other symbols\n", st->rows,
	       st->skipped, st->ignored, st->other_symbol);
	if (s->events) {
		iso_utc(s->t_first, a, sizeof(a));
		iso_utc(s->t_last, b, sizeof(b));
		printf("  time          %s .. %s (%.9f s)\n", a, b,
		       (double)(s->t_last - s->t_first) / 1e9);
	} else {
		printf("  time          - (no events)%s\n", st->other_symbol ? ": every row is "
		       "of another symbol; dm-inspect --list-symbols FILE lists them" : "");
	}
	if (s->px_min <= s->px_max) {
		px_text(u, s->px_min, 1, p0, sizeof(p0));
		px_text(u, s->px_max, 1, p1, sizeof(p1));
		printf("  prices        %s .. %s %s (best bid, best ask and trades)", p0, p1,
		       ins->currency);
		if (s->first_mid2 != INT64_MIN) {
			px_text(u, s->first_mid2, 2, pm, sizeof(pm));
			printf("; first mid %s", pm);
		}
		printf("\n");
	}
	printf("  levels bid    max %u; by count ", s->lv_max[BOOK_BID]);
	side_dist(s, BOOK_BID, u->levels);
	printf("\n  levels ask    max %u; by count ", s->lv_max[BOOK_ASK]);
	side_dist(s, BOOK_ASK, u->levels);
	printf("\n");
	uint64_t n = hist_count(&s->spread);
	if (n)
		printf("  spread ticks  %" PRIu64 " books: min %" PRIu64 ", p50 %" PRIu64
		       ", p99 %" PRIu64 ", max %" PRIu64 "; 1 tick %.2f%%\n", n,
		       hist_min(&s->spread), hist_quantile(&s->spread, 0.5),
		       hist_quantile(&s->spread, 0.99), hist_max(&s->spread),
		       100.0 * (double)s->spread1 / (double)n);
	else
		printf("  spread ticks  - (no uncrossed two-sided book)\n");
	printf("  top size      bid p50 %" PRIu64 ", p99 %" PRIu64 "; ask p50 %" PRIu64
	       ", p99 %" PRIu64 "\n", hist_quantile(&s->top[BOOK_BID], 0.5),
	       hist_quantile(&s->top[BOOK_BID], 0.99), hist_quantile(&s->top[BOOK_ASK], 0.5),
	       hist_quantile(&s->top[BOOK_ASK], 0.99));
	printf("  trade size    %" PRIu64 " trades: p50 %" PRIu64 ", p99 %" PRIu64
	       ", max %" PRIu64 "\n", hist_count(&s->trade_qty),
	       hist_quantile(&s->trade_qty, 0.5), hist_quantile(&s->trade_qty, 0.99),
	       hist_max(&s->trade_qty));
	printf("  volume        buy %" PRIu64 " (%" PRIu64 " trades), sell %" PRIu64
	       " (%" PRIu64 "), unknown %" PRIu64 " (%" PRIu64 "); hidden %" PRIu64
	       " trades\n", s->vol[0], s->n_agg[0], s->vol[1], s->n_agg[1], s->vol[2],
	       s->n_agg[2], s->hidden);
	printf("  anomalies     crossed %" PRIu64 ", negative sizes %" PRIu64
	       ", out of order %" PRIu64 " books / %" PRIu64 " trades, unsorted %" PRIu64
	       ", one-sided %" PRIu64 "\n", s->crossed, anomalies_neg(s),
	       s->book.stats.out_of_order, s->trade_ooo, s->book.stats.unsorted,
	       s->one_sided);
	printf("                sequence gaps %" PRIu64 " (%" PRIu64 " book updates "
	       "flagged), bad rows %" PRIu64 "\n", st->gaps, s->gap_books, st->skipped);
	if (st->skipped) {
		printf("  bad rows      the first at line %" PRIu64 "; %s:\n",
		       st->first_bad_line,
		       st->n_samples < st->skipped ? "the first ones" : "all of them");
		for (uint32_t i = 0; i < st->n_samples; i++)
			printf("    %s\n", st->sample[i]);
	}
}

static json_t *j_u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *j_side(const struct insp *s, int side, uint32_t L)
{
	json_t *d = json_array();

	for (uint32_t k = 0; k <= L; k++)
		json_array_append_new(d, j_u64(s->lv_dist[side][k]));
	return json_pack("{s:I, s:o}", "max", (json_int_t)s->lv_max[side], "dist", d);
}

static int report_json(const struct run *u, const struct insp *s)
{
	const struct feed_stats *st = u->st;
	json_t *samples = json_array(), *time;
	char a[48], b[48];

	for (uint32_t i = 0; i < st->n_samples; i++)
		json_array_append_new(samples, json_string(st->sample[i]));
	if (s->events) {
		iso_utc(s->t_first, a, sizeof(a));
		iso_utc(s->t_last, b, sizeof(b));
		time = json_pack("{s:s, s:s, s:I, s:I, s:I, s:f}", "first", a, "last", b,
				 "first_ns", (json_int_t)s->t_first,
				 "last_ns", (json_int_t)s->t_last,
				 "duration_ns", (json_int_t)(s->t_last - s->t_first),
				 "duration_s", (double)(s->t_last - s->t_first) / 1e9);
	} else {
		time = json_null();
	}
	uint64_t n = hist_count(&s->spread);
	json_t *spread = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:f}",
		"count", j_u64(n), "min", j_u64(hist_min(&s->spread)),
		"p50", j_u64(hist_quantile(&s->spread, 0.5)),
		"p99", j_u64(hist_quantile(&s->spread, 0.99)),
		"max", j_u64(hist_max(&s->spread)),
		"one_tick", j_u64(s->spread1),
		"one_tick_share", n ? (double)s->spread1 / (double)n : 0.0);
	json_t *top = json_object();
	for (int side = 0; side < 2; side++)
		json_object_set_new(top, side == BOOK_BID ? "bid" : "ask",
			json_pack("{s:o, s:o, s:o}",
				  "count", j_u64(hist_count(&s->top[side])),
				  "p50", j_u64(hist_quantile(&s->top[side], 0.5)),
				  "p99", j_u64(hist_quantile(&s->top[side], 0.99))));
	json_t *root = json_pack(
		"{s:s, s:s, s:I, s:f, s:f, s:f,"
		" s:{s:o, s:o, s:o},"
		" s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o},"
		" s:o,"
		" s:{s:o, s:o},"
		" s:o, s:o,"
		" s:{s:o, s:o, s:o, s:o},"
		" s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o},"
		" s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}}",
		"file", u->file, "format", feed_format_name(u->fmt),
		"levels", (json_int_t)u->levels, "tick", u->tick, "lot", u->lot,
		"seconds", u->secs,
		"events", "total", j_u64(s->events), "book", j_u64(s->books),
		"trade", j_u64(s->trades),
		"rows", "read", j_u64(st->rows), "skipped", j_u64(st->skipped),
		"ignored", j_u64(st->ignored), "other_symbol", j_u64(st->other_symbol),
		"cancelled", j_u64(st->cancelled), "first_bad_line", j_u64(st->first_bad_line),
		"samples", samples,
		"time", time,
		"levels_seen", "bid", j_side(s, BOOK_BID, u->levels),
		"ask", j_side(s, BOOK_ASK, u->levels),
		"spread_ticks", spread, "top_size", top,
		"trade_size", "count", j_u64(hist_count(&s->trade_qty)),
		"p50", j_u64(hist_quantile(&s->trade_qty, 0.5)),
		"p99", j_u64(hist_quantile(&s->trade_qty, 0.99)),
		"max", j_u64(hist_max(&s->trade_qty)),
		"volume", "buy", j_u64(s->vol[0]), "sell", j_u64(s->vol[1]),
		"unknown", j_u64(s->vol[2]), "buy_trades", j_u64(s->n_agg[0]),
		"sell_trades", j_u64(s->n_agg[1]), "unknown_trades", j_u64(s->n_agg[2]),
		"hidden_trades", j_u64(s->hidden),
		"anomalies", "crossed", j_u64(s->crossed),
		"negative_sizes", j_u64(anomalies_neg(s)),
		"out_of_order_book", j_u64(s->book.stats.out_of_order),
		"out_of_order_trade", j_u64(s->trade_ooo),
		"unsorted", j_u64(s->book.stats.unsorted),
		"one_sided", j_u64(s->one_sided),
		"sequence_gaps", j_u64(st->gaps), "gap_books", j_u64(s->gap_books),
		"bad_rows", j_u64(st->skipped));
	if (!root)
		return -1;
	json_object_set_new(root, "instrument", cli_instr_json(&u->plan->in));
	if (s->px_min <= s->px_max) {
		char p0[32], p1[32];
		px_text(u, s->px_min, 1, p0, sizeof(p0));
		px_text(u, s->px_max, 1, p1, sizeof(p1));
		json_object_set_new(root, "prices", json_pack("{s:s, s:s}", "min", p0, "max", p1));
	} else {
		json_object_set_new(root, "prices", json_null());
	}
	int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------ main */

struct args {
	const char *input, *config;
	struct cli_feed_args feed;
	int json, progress, quiet, list;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, CLI_O_JSON },
		{ "progress", no_argument, NULL, 'P' },
		{ "list-symbols", no_argument, NULL, 'l' },
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
		case 'c':
			a->config = optarg;
			break;
		case CLI_O_JSON:
			a->json = 1;
			break;
		case 'P':
			a->progress = 1;
			break;
		case 'l':
			a->list = 1;
			break;
		case CLI_O_QUIET:
			a->quiet = 1;
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
	if (optind >= argc)
		return cli_usage_error("no FILE given");
	a->input = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s' (one FILE at a time)", argv[optind]);
	return 0;
}

#define LIST_MAX 65536u /* symbols --list-symbols keeps */

/* --list-symbols: the symbols of a NEG or Binance file. */
static int list_symbols(const struct args *a)
{
	struct feed_opts fo = { .tick = 1 };
	char err[FEED_ERR_LEN];
	int fmt = a->feed.format, n;

	if (fmt == FEED_AUTO && (fmt = feed_detect(a->input, &fo, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(fmt), "%s", err);
	struct feed_symbol *v = malloc(LIST_MAX * sizeof(*v));
	if (!v)
		return cli_fail(1, "out of memory");
	if ((n = feed_list_symbols(a->input, (enum feed_format)fmt, v, LIST_MAX, err,
				   sizeof(err))) < 0) {
		free(v);
		return cli_fail(cli_exit_code(n), "%s", err);
	}
	if (a->json) {
		json_t *arr = json_array();
		for (int i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:I, s:I}", "symbol", v[i].name,
				"rows", (json_int_t)v[i].rows, "trades", (json_int_t)v[i].trades));
		json_t *o = json_pack("{s:s, s:s, s:o}", "file", a->input, "format",
				      feed_format_name((enum feed_format)fmt), "symbols", arr);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf("%s (%s): %d symbols, in order of appearance\n", a->input,
		       feed_format_name((enum feed_format)fmt), n);
		printf("%-20s %12s %12s\n", "symbol", "rows", "trades");
		for (int i = 0; i < n; i++)
			printf("%-20s %12" PRIu64 " %12" PRIu64 "\n", v[i].name, v[i].rows,
			       v[i].trades);
	}
	free(v);
	return fflush(stdout) || ferror(stdout) ? cli_fail(1, "writing the list") : 0;
}

/* Size of a plain (not gzip) regular file whose bytes the reader counts
 * one for one, for a percentage; 0 when unknown. */
static uint64_t plain_size(const char *path, enum feed_format fmt)
{
	unsigned char m[2] = { 0, 0 };
	struct stat sb;
	int fd;

	if (fmt == FEED_LOBSTER || stat(path, &sb) || !S_ISREG(sb.st_mode))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	ssize_t k = read(fd, m, 2);
	close(fd);
	return k == 2 && m[0] == 0x1f && m[1] == 0x8b ? 0 : (uint64_t)sb.st_size;
}

int main(int argc, char **argv)
{
	struct args a = { .feed.format = FEED_AUTO };
	static struct dm_config cfg;
	static struct feed_reader rd;
	static struct insp s;
	struct feed_instr conf_in;
	struct feed_want want;
	static struct feed_plan plan;
	char err[FEED_ERR_LEN + 64];
	enum feed_format fmt;
	int rc, code = 0;

	cli_set_prog("dm-inspect");
	if ((rc = parse_args(argc, argv, &a)))
		return rc;
	if (a.list)
		return list_symbols(&a);
	if (a.config) {
		if (rt_config_load_core(&cfg, a.config, err, sizeof(err)))
			return cli_fail(2, "-c %s", err);
	} else {
		config_defaults(&cfg);
	}

	/* ---- the instrument and its units (feed_resolve: every tool's rule) */
	cli_feed_want(&a.feed, &cfg, &conf_in, &want);
	if ((rc = feed_resolve(a.input, &want, &plan, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	fmt = plan.fmt;
	uint32_t L = a.feed.levels ? a.feed.levels : EV_MAX_LEVELS;
	rc = feed_open(&rd, a.input, fmt, &plan.fo, err, sizeof(err));
	if (rc)
		return cli_fail(cli_exit_code(rc), "%s", err);

	/* ---- the pass */
	insp_init(&s, L);
	const struct feed_stats *st = feed_stats(&rd);
	uint64_t size = plain_size(a.input, fmt);
	int tty = isatty(2), show = !a.quiet && (tty || a.progress);
	int64_t t0 = cli_mono_ns(), last = t0;
	struct event ev;

	while ((rc = feed_next(&rd, &ev)) == 1) {
		insp_event(&s, &ev);
		if (DM_UNLIKELY((s.events & PROGRESS_MASK) == 0) && show) {
			int64_t now = cli_mono_ns();
			if (now - last >= PROGRESS_NS) {
				char pct[32] = "";
				last = now;
				if (size && st->bytes <= size)
					snprintf(pct, sizeof(pct), " (%.1f%%)",
						 100.0 * (double)st->bytes / (double)size);
				fprintf(stderr, "%s%s: %s: %.0f s, %" PRIu64 " events, %.1f MB"
					"%s%s", tty ? "\r" : "", cli_prog(), a.input,
					(double)(now - t0) / 1e9, s.events,
					(double)st->bytes / 1e6, pct, tty ? "\033[K" : "\n");
			}
		}
	}
	if (tty && last != t0)
		fputs("\r\033[K", stderr);
	if (rc < 0) {
		code = cli_fail(cli_exit_code(rc), "%s%s", feed_error(&rd),
				a.feed.strict && rc == -DM_ECORRUPT ? " (--strict: stopped at the "
				"first bad row)" : "");
		goto close;
	}

	struct run u = {
		.file = a.input, .fmt = fmt, .levels = L, .tick = plan.in.tick_v,
		.lot = plan.in.lot_v, .plan = &plan, .st = st, .secs = (double)(cli_mono_ns() - t0) / 1e9,
	};
	if (a.json) {
		if (report_json(&u, &s))
			code = cli_fail(1, "cannot write the JSON report");
	} else {
		report_text(&u, &s);
	}
	if (fflush(stdout) || ferror(stdout))
		code = cli_fail(1, "writing the report: %s", strerror(errno));
close:
	feed_close(&rd);
	return code;
}
