/*
 * The file readers of libcore/feed against independent computations:
 * the real LOBSTER and NEG samples in tests/data re-parsed here with
 * sscanf / strtok, and small hand-made MT5, LOBSTER and NEG files whose
 * events are worked out by hand in the comments.  Binance is in
 * test_feed_binance.c.  Tests run from the repository root.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcore/feed/feed.h"
#include "libcore/feed/feed_int.h"
#include "tests/helpers.h"

#define DATA "tests/data"
#define LOB_MSG DATA "/lobster-aapl-20120621-excerpt/AAPL_2012-06-21_34200000_57600000_message_10.csv"
#define LOB_OB  DATA "/lobster-aapl-20120621-excerpt/AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"
#define NEG_GZ  DATA "/b3-neg-ofer-gethfdata/NEG_OPCOES_20151126.TXT.gz"

#define NS 1000000000LL

/* ------------------------------------------------------------ helpers */

static void t_setup(void)
{
	t_tmp_init("dmfeed");
}

static void t_teardown(void)
{
	t_tmp_cleanup();
}

static struct feed_opts t_opts(double tick)
{
	struct feed_opts o;
	memset(&o, 0, sizeof(o));
	o.tick = tick;
	return o;
}

/* Open or fail the test with the error text. */
static void t_open(struct feed_reader *r, const char *path, enum feed_format fmt,
		   const struct feed_opts *o)
{
	char err[512];
	int rc = feed_open(r, path, fmt, o, err, sizeof(err));
	cr_assert_eq(rc, 0, "feed_open(%s) = %d: %s", path, rc, err);
}

/* Read every event into evs (at most max); returns the count, *last_rc
 * the closing return value. */
static size_t t_read_all(struct feed_reader *r, struct event *evs, size_t max,
			 int *last_rc)
{
	struct event ev;
	size_t n = 0;
	int rc;
	while ((rc = feed_next(r, &ev)) == 1) {
		if (n < max)
			evs[n] = ev;
		n++;
	}
	*last_rc = rc;
	return n;
}

static void t_expect_trade(const struct event *ev, int64_t t, int64_t px,
			   int64_t qty, int agg, unsigned flags)
{
	cr_assert_eq(ev->kind, EV_TRADE, "kind %u, want trade", ev->kind);
	cr_assert_eq(ev->exch_ns, t, "trade time %ld, want %ld", (long)ev->exch_ns, (long)t);
	cr_assert_eq(ev->trade.px, px, "trade px %ld, want %ld", (long)ev->trade.px, (long)px);
	cr_assert_eq(ev->trade.qty, qty, "trade qty %ld, want %ld", (long)ev->trade.qty, (long)qty);
	cr_assert_eq(ev->trade.aggressor, agg, "aggressor %d, want %d", ev->trade.aggressor, agg);
	cr_assert_eq(ev->trade.flags, flags, "trade flags %u, want %u", ev->trade.flags, flags);
}

/* L1 book with sizes (MT5: 0); px 0 = that side empty */
static void t_expect_l1(const struct event *ev, int64_t t, int64_t bid, int64_t ask)
{
	cr_assert_eq(ev->kind, EV_BOOK, "kind %u, want book", ev->kind);
	cr_assert_eq(ev->exch_ns, t, "book time %ld, want %ld", (long)ev->exch_ns, (long)t);
	cr_assert_eq(ev->book.n_bid, bid ? 1 : 0);
	cr_assert_eq(ev->book.n_ask, ask ? 1 : 0);
	if (bid)
		cr_assert(ev->book.bid[0].px == bid && ev->book.bid[0].qty == 0,
			  "bid %ld x %ld, want %ld x 0", (long)ev->book.bid[0].px,
			  (long)ev->book.bid[0].qty, (long)bid);
	if (ask)
		cr_assert(ev->book.ask[0].px == ask && ev->book.ask[0].qty == 0,
			  "ask %ld x %ld, want %ld x 0", (long)ev->book.ask[0].px,
			  (long)ev->book.ask[0].qty, (long)ask);
}

/* ------------------------------------------------------------ LOBSTER */

TestSuite(feed_lobster, .init = t_setup, .fini = t_teardown);

/* One message row and its orderbook row, parsed without the reader. */
struct t_lob_row {
	int64_t t_ns;          /* after midnight */
	int type, dir;
	int64_t size, price;
	int64_t ob[40];
};

static size_t t_lob_load(struct t_lob_row *rows, size_t max)
{
	FILE *m = fopen(LOB_MSG, "r"), *o = fopen(LOB_OB, "r");
	char ml[256], ol[1024];
	size_t n = 0;

	cr_assert(m && o, "sample LOBSTER files missing under " DATA);
	while (fgets(ml, sizeof(ml), m)) {
		struct t_lob_row *w = &rows[n];
		long sec, oid;
		char frac[16];
		cr_assert_lt(n, max);
		cr_assert_eq(sscanf(ml, "%ld.%9[0-9],%d,%ld,%ld,%ld,%d", &sec, frac,
				    &w->type, &oid, &w->size, &w->price, &w->dir), 7,
			     "message row %zu: %s", n + 1, ml);
		int64_t f = 0;
		size_t k = strlen(frac);
		for (size_t i = 0; i < 9; i++)
			f = f * 10 + (i < k ? frac[i] - '0' : 0);
		w->t_ns = sec * NS + f;
		cr_assert_not_null(fgets(ol, sizeof(ol), o), "orderbook ends early");
		char *save = NULL, *tok = strtok_r(ol, ",\n", &save);
		for (int i = 0; i < 40; i++, tok = strtok_r(NULL, ",\n", &save)) {
			cr_assert_not_null(tok, "orderbook row %zu short", n + 1);
			w->ob[i] = strtoll(tok, NULL, 10);
		}
		n++;
	}
	fclose(m);
	fclose(o);
	return n;
}

/* 2012-06-21 is a summer date: New York is UTC-4, midnight UTC of that day
 * is 1340236800 (date -u -d 2012-06-21 +%s). */
#define LOB_MIDNIGHT_NS ((1340236800LL + 4 * 3600) * NS)

static void t_lobster_sample(const char *path, uint32_t levels)
{
	static struct t_lob_row rows[1200];
	static struct event evs[1500];
	size_t nrow = t_lob_load(rows, 1200), nev, e = 0, trades = 0;
	struct feed_opts o = t_opts(100); /* USD*10000, 1 cent */
	struct feed_reader r;
	int rc;

	cr_assert_eq(nrow, 999, "the excerpt has 999 rows");
	o.levels = levels;
	t_open(&r, path, FEED_AUTO, &o);
	cr_assert_eq(feed_format_of(&r), FEED_LOBSTER);
	nev = t_read_all(&r, evs, 1500, &rc);
	cr_assert_eq(rc, 0, "%s", feed_error(&r));

	for (size_t i = 0; i < nrow; i++) {
		const struct t_lob_row *w = &rows[i];
		int64_t t = LOB_MIDNIGHT_NS + w->t_ns;
		if (w->type == 4 || w->type == 5) {
			cr_assert_lt(e, nev);
			cr_assert_eq(w->price % 100, 0);
			/* direction = resting side: a buy order executed means
			 * a seller hit it */
			t_expect_trade(&evs[e++], t, w->price / 100, w->size, -w->dir,
				       w->type == 5 ? EV_TRADE_HIDDEN : 0);
			trades++;
		}
		cr_assert_lt(e, nev);
		const struct event *b = &evs[e++];
		cr_assert_eq(b->kind, EV_BOOK, "row %zu", i + 1);
		cr_assert_eq(b->exch_ns, t);
		cr_assert_eq(b->recv_ns, t);
		uint32_t eff = levels ? levels : EV_MAX_LEVELS;
		uint32_t want = eff < 10 ? eff : 10;
		cr_assert_eq(b->book.n_ask, want, "row %zu", i + 1);
		cr_assert_eq(b->book.n_bid, want, "row %zu", i + 1);
		for (uint32_t k = 0; k < want; k++) {
			cr_assert_eq(b->book.ask[k].px * 100, w->ob[4 * k], "row %zu ask %u", i + 1, k);
			cr_assert_eq(b->book.ask[k].qty, w->ob[4 * k + 1]);
			cr_assert_eq(b->book.bid[k].px * 100, w->ob[4 * k + 2], "row %zu bid %u", i + 1, k);
			cr_assert_eq(b->book.bid[k].qty, w->ob[4 * k + 3]);
		}
		for (uint32_t k = want; k < EV_MAX_LEVELS; k++)
			cr_assert(b->book.ask[k].px == 0 && b->book.bid[k].qty == 0,
				  "unused levels are zero");
		cr_assert_eq(b->book.flags, 0, "no crossed book in the excerpt");
	}
	cr_assert_eq(e, nev, "no events beyond the rows");
	cr_assert_eq(trades, 98 + 61, "PROVENANCE: 98 type 4 and 61 type 5");

	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->rows, 999);
	cr_assert_eq(st->events_book, 999);
	cr_assert_eq(st->events_trade, trades);
	cr_assert_eq(st->skipped, 0);
	cr_assert_eq(st->first_bad_line, 0);
	feed_close(&r);
}

Test(feed_lobster, real_sample_named_by_message_file)
{
	t_lobster_sample(LOB_MSG, 10);
}

Test(feed_lobster, real_sample_named_by_orderbook_file)
{
	t_lobster_sample(LOB_OB, 10);
}

Test(feed_lobster, real_sample_top_three_and_all_twenty)
{
	t_lobster_sample(LOB_MSG, 3);
	t_lobster_sample(LOB_MSG, 0); /* 0 = 20, capped by the file's 10 */
}

Test(feed_lobster, dummy_levels_are_empty_and_hidden_flagged)
{
	/* 3 levels; a January date: New York is UTC-5 (EST) */
	const char *mp = t_tmp_path("X_2012-01-10_0_0_message_3.csv");
	const char *op = t_tmp_path("X_2012-01-10_0_0_orderbook_3.csv");
	t_write_file(mp,
		"36000.5,1,1,10,1000000,1\n"       /* submit */
		"36000.75,4,1,4,1000000,1\n"       /* buy order hit: seller aggressor */
		"36001,5,7,3,1010000,-1\n");       /* hidden sell hit: buyer aggressor */
	t_write_file(op,
		"1010000,5,1000000,10,9999999999,0,-9999999999,0,9999999999,0,-9999999999,0\n"
		"1010000,5,1000000,6,1020000,1,-9999999999,0,9999999999,0,-9999999999,0\n"
		"1010000,5,1000000,6,1020000,1,990000,2,9999999999,0,-9999999999,0\n");
	struct feed_opts o = t_opts(100);
	struct feed_reader r;
	struct event ev[8];
	int rc;
	t_open(&r, mp, FEED_AUTO, &o);
	size_t n = t_read_all(&r, ev, 8, &rc);
	cr_assert_eq(rc, 0, "%s", feed_error(&r));
	cr_assert_eq(n, 5);
	int64_t mid = (1326153600LL + 5 * 3600) * NS; /* 2012-01-10 00:00 EST */
	cr_assert_eq(ev[0].kind, EV_BOOK);
	cr_assert_eq(ev[0].exch_ns, mid + 36000 * NS + 500000000);
	cr_assert_eq(ev[0].book.n_ask, 1);
	cr_assert_eq(ev[0].book.n_bid, 1);
	cr_assert_eq(ev[0].book.ask[0].px, 10100);
	cr_assert_eq(ev[0].book.bid[0].px, 10000);
	cr_assert_eq(ev[0].book.bid[0].qty, 10);
	t_expect_trade(&ev[1], mid + 36000 * NS + 750000000, 10000, 4, -1, 0);
	cr_assert_eq(ev[2].kind, EV_BOOK);
	cr_assert_eq(ev[2].book.n_ask, 2);
	cr_assert_eq(ev[2].book.ask[1].px, 10200);
	cr_assert_eq(ev[2].book.n_bid, 1);
	t_expect_trade(&ev[3], mid + 36001 * NS, 10100, 3, 1, EV_TRADE_HIDDEN);
	cr_assert_eq(ev[4].book.n_bid, 2);
	cr_assert_eq(ev[4].book.bid[1].px, 9900);
	cr_assert_eq(ev[4].book.bid[1].qty, 2);
	feed_close(&r);

	/* the same file read as UTC-naive */
	o.flags = FEED_O_FIXED_TZ;
	t_open(&r, op, FEED_LOBSTER, &o);
	cr_assert_eq(feed_next(&r, &ev[0]), 1);
	cr_assert_eq(ev[0].exch_ns, 1326153600LL * NS + 36000 * NS + 500000000);
	feed_close(&r);
}

/* rows 1 and 5 good; 2..4 and 6 bad in different ways */
static void t_lob_bad_files(const char **mp, const char **op)
{
	*mp = t_tmp_path("B_2012-06-21_0_0_message_1.csv");
	*op = t_tmp_path("B_2012-06-21_0_0_orderbook_1.csv");
	t_write_file(*mp,
		"34200.1,1,1,10,5853300,1\n"
		"34200.2,1,2,10,5853300,1\n"
		"34200.3,1,3,10,5853300\n"          /* 5 fields */
		"34200.4,4,4,10,5853350,1\n"        /* execution price off the cent grid */
		"34200.5,4,5,10,5853300,1\n"
		"34200.6,1,6,1x,5853300,1\n");      /* non-numeric size */
	t_write_file(*op,
		"5859400,200,5853300,18\n"
		"5859400,200,5853300,abc\n"         /* non-numeric bid size */
		"5859400,200,5853300,18\n"
		"5859400,200,5853300,18\n"
		"5859400,200,5853300,8\n"
		"5859400,200,5853300,8\n");
}

Test(feed_lobster, bad_rows_are_skipped_and_counted)
{
	const char *mp, *op;
	struct feed_opts o = t_opts(100);
	struct feed_reader r;
	struct event ev[8];
	int rc;

	t_lob_bad_files(&mp, &op);
	t_open(&r, mp, FEED_AUTO, &o);
	size_t n = t_read_all(&r, ev, 8, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 3, "row 1 book, row 5 trade + book");
	cr_assert_eq(ev[0].book.bid[0].qty, 18);
	t_expect_trade(&ev[1], LOB_MIDNIGHT_NS + 34200 * NS + 500000000, 58533, 10, -1, 0);
	cr_assert_eq(ev[2].book.bid[0].qty, 8);
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->rows, 6);
	cr_assert_eq(st->skipped, 4);
	cr_assert_eq(st->first_bad_line, 2);
	cr_assert_eq(st->n_samples, 4);
	char want[300];
	snprintf(want, sizeof(want), "%s:2: ", op);
	cr_assert(strncmp(st->sample[0], want, strlen(want)) == 0, "%s", st->sample[0]);
	snprintf(want, sizeof(want), "%s:3: ", mp);
	cr_assert(strncmp(st->sample[1], want, strlen(want)) == 0, "%s", st->sample[1]);
	cr_assert(strstr(st->sample[2], ":4: ") && strstr(st->sample[2], "5853350"),
		  "%s", st->sample[2]);
	cr_assert(strstr(st->sample[3], ":6: ") && strstr(st->sample[3], "1x"),
		  "%s", st->sample[3]);
	feed_close(&r);
}

Test(feed_lobster, strict_fails_at_the_first_bad_row)
{
	const char *mp, *op;
	struct feed_opts o = t_opts(100);
	struct feed_reader r;
	struct event ev;
	char want[300];

	t_lob_bad_files(&mp, &op);
	o.strict = 1;
	t_open(&r, mp, FEED_AUTO, &o);
	cr_assert_eq(feed_next(&r, &ev), 1);
	cr_assert_eq(feed_next(&r, &ev), -DM_ECORRUPT);
	snprintf(want, sizeof(want), "%s:2: ", op);
	cr_assert(strncmp(feed_error(&r), want, strlen(want)) == 0, "%s", feed_error(&r));
	cr_assert(strstr(feed_error(&r), "abc"), "%s", feed_error(&r));
	cr_assert_eq(feed_next(&r, &ev), -DM_ECORRUPT, "the error is sticky");
	cr_assert_eq(feed_stats(&r)->first_bad_line, 2);
	feed_close(&r);
}

Test(feed_lobster, rows_without_partner_and_bad_names)
{
	const char *mp = t_tmp_path("C_2012-06-21_0_0_message_1.csv");
	const char *op = t_tmp_path("C_2012-06-21_0_0_orderbook_1.csv");
	struct feed_opts o = t_opts(100);
	struct feed_reader r;
	struct event ev[4];
	char err[512];
	int rc;

	t_write_file(mp, "34200.1,1,1,10,5853300,1\n");
	t_write_file(op, "5859400,200,5853300,18\n5859400,200,5853300,19\n");
	t_open(&r, mp, FEED_AUTO, &o);
	cr_assert_eq(t_read_all(&r, ev, 4, &rc), 1);
	cr_assert_eq(rc, 0);
	cr_assert_eq(feed_stats(&r)->skipped, 1);
	cr_assert(strstr(feed_error(&r), "without a partner"), "%s", feed_error(&r));
	feed_close(&r);
	o.strict = 1;
	t_open(&r, mp, FEED_AUTO, &o);
	cr_assert_eq(t_read_all(&r, ev, 4, &rc), 1);
	cr_assert_eq(rc, -DM_ECORRUPT);
	feed_close(&r);
	o.strict = 0;

	/* the partner file is missing */
	const char *lone = t_tmp_path("D_2012-06-21_0_0_message_1.csv");
	t_write_file(lone, "34200.1,1,1,10,5853300,1\n");
	rc = feed_open(&r, lone, FEED_AUTO, &o, err, sizeof(err));
	cr_assert_eq(rc, -ENOENT, "%d %s", rc, err);
	cr_assert(strstr(err, "D_2012-06-21_0_0_orderbook_1.csv"), "%s", err);

	/* no date in the name */
	const char *nodate = t_tmp_path("AAPL_message_1.csv");
	t_write_file(nodate, "34200.1,1,1,10,5853300,1\n");
	rc = feed_open(&r, nodate, FEED_AUTO, &o, err, sizeof(err));
	cr_assert_eq(rc, -DM_ECONFIG, "%d %s", rc, err);
}

Test(feed_lobster, level_count_from_name_must_match_columns)
{
	const char *mp = t_tmp_path("E_2012-06-21_0_0_message_2.csv");
	const char *op = t_tmp_path("E_2012-06-21_0_0_orderbook_2.csv");
	struct feed_opts o = t_opts(100);
	struct feed_reader r;
	struct event ev[4];
	int rc;

	t_write_file(mp, "34200.1,1,1,10,5853300,1\n34200.2,1,1,10,5853300,1\n"
		    "34200.3,1,1,10,5853300,1\n");
	t_write_file(op, "5859400,200,5853300,18\n"   /* 4 columns, the name says 2 levels */
		    "5859400,200,5853300,18,5859500,1,5853200,2\n"
		    "5859400,200,5853300,18,5859500,1,5853400,2\n" /* bid 2 above bid 1 */
		    "\n");                        /* a blank line at the end is fine */
	t_open(&r, mp, FEED_AUTO, &o);
	cr_assert_eq(t_read_all(&r, ev, 4, &rc), 1);
	cr_assert_eq(rc, 0);
	cr_assert_eq(feed_stats(&r)->skipped, 2);
	cr_assert(strstr(feed_stats(&r)->sample[1], ":3: bid level 2"), "%s",
		  feed_stats(&r)->sample[1]);
	cr_assert_eq(ev[0].book.n_bid, 2);
	cr_assert_eq(ev[0].book.bid[1].px, 58532);
	feed_close(&r);
}

/* ---- bounded memory: 2M rows streamed through FIFOs, never stored */

struct t_gen {
	const char *path;
	long rows;
	int orderbook;
};

static void *t_gen_main(void *p)
{
	const struct t_gen *g = p;
	FILE *f = fopen(g->path, "w");
	if (!f)
		return NULL;
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	for (long i = 0; i < g->rows; i++) {
		if (g->orderbook)
			fprintf(f, "%ld,200,5853300,%ld\n", 5859400 + (i % 7) * 100, 1 + i % 50);
		else
			fprintf(f, "%ld.%09ld,%d,%ld,10,5853300,1\n", 34200 + i / 100000,
				(i % 100000) * 10000, i % 10 == 0 ? 4 : 1, i);
	}
	fclose(f);
	return NULL;
}

static long t_rss_kib(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%ld %ld", &size, &res), 2);
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

Test(feed_lobster, long_stream_in_bounded_memory, .timeout = 120)
{
	const long rows = T_SANITIZED ? 200000 : 2000000;
	const char *mp = t_tmp_path("M_2012-06-21_0_0_message_1.csv");
	const char *op = t_tmp_path("M_2012-06-21_0_0_orderbook_1.csv");
	struct t_gen gm = { mp, rows, 0 }, go = { op, rows, 1 };
	struct feed_opts o = t_opts(100);
	struct feed_reader r;
	struct event ev;
	pthread_t tm, to;
	long books = 0, trades = 0, rss0 = 0, rss_max = 0;
	int rc;

	cr_assert_eq(mkfifo(mp, 0600), 0);
	cr_assert_eq(mkfifo(op, 0600), 0);
	cr_assert_eq(pthread_create(&tm, NULL, t_gen_main, &gm), 0);
	cr_assert_eq(pthread_create(&to, NULL, t_gen_main, &go), 0);
	o.levels = 1;
	int64_t t0 = t_now_ns();
	t_open(&r, mp, FEED_AUTO, &o);
	while ((rc = feed_next(&r, &ev)) == 1) {
		if (ev.kind == EV_BOOK)
			books++;
		else
			trades++;
		if (books == 10000 && ev.kind == EV_BOOK)
			rss0 = t_rss_kib();
		if (books % 200000 == 0) {
			long now = t_rss_kib();
			rss_max = now > rss_max ? now : rss_max;
		}
	}
	int64_t t1 = t_now_ns();
	long rss1 = t_rss_kib();
	rss_max = rss1 > rss_max ? rss1 : rss_max;
	cr_assert_eq(rc, 0, "%s", feed_error(&r));
	cr_assert_eq(books, rows);
	cr_assert_eq(trades, rows / 10);
	cr_assert_eq(feed_stats(&r)->skipped, 0);
	cr_assert_lt(rss_max - rss0, 16 * 1024, "RSS grew %ld KiB over %ld rows",
		     rss_max - rss0, rows);
	cr_log_info("lobster stream: %ld rows in %.2f s (%.0f rows/s), RSS %ld -> %ld KiB",
		    rows, (t1 - t0) / 1e9, rows / ((t1 - t0) / 1e9), rss0, rss_max);
	feed_close(&r);
	pthread_join(tm, NULL);
	pthread_join(to, NULL);
}

/* ------------------------------------------------------------ MT5 */

TestSuite(feed_mt5, .init = t_setup, .fini = t_teardown);

#define MT5_HDR "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"

/* Flags: 2 bid, 4 ask, 8 last, 16 volume, 32 buy, 64 sell.  WIN, tick 5. */
static const char mt5_every_flag[] =
	MT5_HDR
	"2022.01.03\t09:00:00.123\t108400\t108405\t\t\t6\n"   /* e0 book 21680/21681 */
	"2022.01.03\t09:00:00.200\t\t108410\t\t\t4\n"         /* e1 book 21680/21682 (bid carried) */
	"2022.01.03\t09:00:00.250\t108395\t\t\t\t2\n"         /* e2 book 21679/21682 (ask carried) */
	"2022.01.03\t09:00:01\t\t\t108410\t3\t88\n"           /* e3 trade 21682 x3 sell */
	"2022.01.03\t09:00:01.001\t\t\t108405\t2\t56\n"       /* e4 trade 21681 x2 buy */
	"2022.01.03\t09:00:01.002\t\t\t\t\t24\n"              /* e5 trade 21681 x2 carried, unknown */
	"2022.01.03\t09:00:01.003\t\t\t108400\t5\t120\n"      /* e6 trade 21680 x5 buy+sell: unknown */
	"2022.01.03\t09:00:01.004\t108400\t108405\t108405\t1\t62\n" /* e7 trade 21681 x1 buy, e8 book 21680/21681 */
	"2022.01.03\t09:00:01.005\t\t\t\t7\t16\n"             /* volume only: no event */
	"2022.01.03\t09:00:01.006\t108400\t\t\t\t0\n"         /* same bid, no flag: no event */
	"2022.01.03\t09:00:01.007\t\t108410\t\t\t0\n"         /* e9 ask changed without flag: book 21680/21682 */
	"2022.01.03\t09:00:01.008\t\t\t\t\t8\n"               /* e10 trade 21681 x7 (both carried) */
	"2022.01.04\t10:00:00.000000001\t0\t108410\t\t\t2\n"; /* e11 book: bid 0 = none, ask 21682 */

static void t_mt5_check_every_flag(struct feed_reader *r, int64_t shift_ns)
{
	struct event ev[16];
	int rc;
	size_t n = t_read_all(r, ev, 16, &rc);
	const int64_t d0 = 1641168000LL * NS + shift_ns; /* 2022-01-03 00:00 */
	const int64_t s9 = d0 + 9 * 3600 * NS;

	cr_assert_eq(rc, 0, "%s", feed_error(r));
	cr_assert_eq(n, 12);
	t_expect_l1(&ev[0], s9 + 123000000, 21680, 21681);
	t_expect_l1(&ev[1], s9 + 200000000, 21680, 21682);
	t_expect_l1(&ev[2], s9 + 250000000, 21679, 21682);
	t_expect_trade(&ev[3], s9 + NS, 21682, 3, -1, 0);
	t_expect_trade(&ev[4], s9 + NS + 1000000, 21681, 2, 1, 0);
	t_expect_trade(&ev[5], s9 + NS + 2000000, 21681, 2, 0, 0);
	t_expect_trade(&ev[6], s9 + NS + 3000000, 21680, 5, 0, 0);
	t_expect_trade(&ev[7], s9 + NS + 4000000, 21681, 1, 1, 0);
	t_expect_l1(&ev[8], s9 + NS + 4000000, 21680, 21681);
	t_expect_l1(&ev[9], s9 + NS + 7000000, 21680, 21682);
	t_expect_trade(&ev[10], s9 + NS + 8000000, 21681, 7, 0, 0);
	t_expect_l1(&ev[11], d0 + 86400 * NS + 10 * 3600 * NS + 1, 0, 21682);
	const struct feed_stats *st = feed_stats(r);
	cr_assert_eq(st->rows, 13);
	cr_assert_eq(st->ignored, 2);
	cr_assert_eq(st->events_book, 6);
	cr_assert_eq(st->events_trade, 6);
	cr_assert_eq(st->skipped, 0);
}

Test(feed_mt5, every_flag_and_carry_forward)
{
	const char *p = t_tmp_path("ticks.tsv");
	struct feed_opts o = t_opts(5);
	struct feed_reader r;

	t_write_file(p, mt5_every_flag);
	t_open(&r, p, FEED_AUTO, &o);
	cr_assert_eq(feed_format_of(&r), FEED_MT5);
	t_mt5_check_every_flag(&r, 0);
	feed_close(&r);

	/* terminal in Sao Paulo standard time: local = UTC - 3 h */
	o.utc_offset_s = -3 * 3600;
	t_open(&r, p, FEED_MT5, &o);
	t_mt5_check_every_flag(&r, 3 * 3600 * NS);
	feed_close(&r);
}

Test(feed_mt5, crlf_gzip_and_utf16_exports_read_the_same)
{
	struct feed_opts o = t_opts(5);
	struct feed_reader r;
	const char *crlf = t_tmp_path("crlf.tsv"), *u16 = t_tmp_path("u16.tsv");
	char cmd[600];

	/* CRLF line ends */
	FILE *f = fopen(crlf, "w");
	cr_assert_not_null(f);
	for (const char *c = mt5_every_flag; *c; c++) {
		if (*c == '\n')
			fputc('\r', f);
		fputc(*c, f);
	}
	fclose(f);
	t_open(&r, crlf, FEED_AUTO, &o);
	t_mt5_check_every_flag(&r, 0);
	feed_close(&r);

	/* UTF-16LE with a byte-order mark, as MetaTrader writes "Unicode" */
	f = fopen(u16, "w");
	cr_assert_not_null(f);
	fputc(0xff, f);
	fputc(0xfe, f);
	for (const char *c = mt5_every_flag; *c; c++) {
		fputc(*c, f);
		fputc(0, f);
	}
	fclose(f);
	t_open(&r, u16, FEED_AUTO, &o);
	t_mt5_check_every_flag(&r, 0);
	feed_close(&r);

	/* gzip, found by its magic whatever the name */
	snprintf(cmd, sizeof(cmd), "gzip -c '%s' > '%s/plain.tsv'", crlf, t_tmp_dir);
	cr_assert_eq(system(cmd), 0);
	t_open(&r, t_tmp_path("plain.tsv"), FEED_AUTO, &o);
	t_mt5_check_every_flag(&r, 0);
	feed_close(&r);
}

static const char mt5_bad[] =
	MT5_HDR
	"2022.01.03\t09:00:00.000\t108400\t108405\t\t\t6\n"   /* good */
	"2022.01.03\t09:00:00.001\t108402\t\t\t\t2\n"         /* 3: off the 5-point grid */
	"2022.01.03\t09:00:00.002\t\tabc\t\t\t4\n"            /* 4: not a number */
	"2022-01-03\t09:00:00.003\t108400\t\t\t\t2\n"         /* 5: date format */
	"2022.01.03\t09:00:00.004\t108400\t\t\t\t1\n"         /* 6: flag bit 1 unknown */
	"2022.01.03\t09:00:00.005\t\t\t\t\t8\n"               /* 7: LAST without a last price */
	"2022.01.03\t09:00:00.006\t108395\t\t\t\t2\textra\n"  /* 8: too many fields */
	"2022.01.03\t25:00:00.000\t108395\t\t\t\t2\n"         /* 9: hour 25 */
	"2022.01.03\t09:00:00.007\t\t108410\t\t\t4\n"         /* good: bid 21680 kept */
	"2022.01.03\t09:00:00.008\t-5\t\t\t\t2\n";            /* 11: negative */

Test(feed_mt5, bad_rows_leave_no_trace)
{
	const char *p = t_tmp_path("bad.tsv");
	struct feed_opts o = t_opts(5);
	struct feed_reader r;
	struct event ev[4];
	int rc;

	t_write_file(p, mt5_bad);
	t_open(&r, p, FEED_AUTO, &o);
	size_t n = t_read_all(&r, ev, 4, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 2);
	const int64_t s9 = (1641168000LL + 9 * 3600) * NS;
	t_expect_l1(&ev[0], s9, 21680, 21681);
	t_expect_l1(&ev[1], s9 + 7000000, 21680, 21682);
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->skipped, 8);
	cr_assert_eq(st->first_bad_line, 3);
	cr_assert_eq(st->n_samples, FEED_SAMPLES);
	const int lines[8] = { 3, 4, 5, 6, 7, 8, 9, 11 };
	for (int i = 0; i < 8; i++) {
		char want[300];
		snprintf(want, sizeof(want), "%s:%d: ", p, lines[i]);
		cr_assert(strncmp(st->sample[i], want, strlen(want)) == 0,
			  "sample %d: %s, want %s...", i, st->sample[i], want);
	}
	cr_assert(strstr(st->sample[0], "108402"), "%s", st->sample[0]);
	feed_close(&r);

	o.strict = 1;
	t_open(&r, p, FEED_AUTO, &o);
	cr_assert_eq(feed_next(&r, &ev[0]), 1);
	cr_assert_eq(feed_next(&r, &ev[0]), -DM_ECORRUPT);
	char want[300];
	snprintf(want, sizeof(want), "%s:3: bid '108402'", p);
	cr_assert(strncmp(feed_error(&r), want, strlen(want)) == 0, "%s", feed_error(&r));
	feed_close(&r);
}

Test(feed_mt5, decimal_prices_convert_exactly)
{
	/* 0.3 / 0.1 is 2.9999999999999996 in binary floating point */
	const char *p = t_tmp_path("fx.tsv");
	struct feed_opts o = t_opts(0.1);
	struct feed_reader r;
	struct event ev[4];
	int rc;

	o.lot = 0.01;
	t_write_file(p, MT5_HDR
		"2022.01.03\t09:00:00\t0.3\t0.7\t\t\t6\n"
		"2022.01.03\t09:00:01\t\t\t0.70\t0.03\t56\n"
		"2022.01.03\t09:00:02\t0.35\t\t\t\t2\n"); /* off the 0.1 grid */
	t_open(&r, p, FEED_MT5, &o);
	size_t n = t_read_all(&r, ev, 4, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 2);
	t_expect_l1(&ev[0], (1641168000LL + 9 * 3600) * NS, 3, 7);
	t_expect_trade(&ev[1], (1641168000LL + 9 * 3600 + 1) * NS, 7, 3, 1, 0);
	cr_assert_eq(feed_stats(&r)->skipped, 1);
	feed_close(&r);
}

Test(feed_mt5, header_must_name_every_column)
{
	const char *p = t_tmp_path("nohdr.tsv");
	struct feed_opts o = t_opts(5);
	struct feed_reader r;
	char err[512];

	t_write_file(p, "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\n");
	cr_assert_eq(feed_open(&r, p, FEED_MT5, &o, err, sizeof(err)), -DM_ECORRUPT);
	cr_assert(strstr(err, "<FLAGS>"), "%s", err);

	/* columns in another order, plus one unknown: found by name */
	t_write_file(p, "<TIME>\t<DATE>\t<FLAGS>\t<ASK>\t<BID>\t<X>\t<VOLUME>\t<LAST>\n"
		   "09:00:00\t2022.01.03\t6\t108405\t108400\tq\t\t\n");
	struct event ev;
	t_open(&r, p, FEED_AUTO, &o);
	cr_assert_eq(feed_next(&r, &ev), 1);
	t_expect_l1(&ev, (1641168000LL + 9 * 3600) * NS, 21680, 21681);
	cr_assert_eq(feed_next(&r, &ev), 0);
	feed_close(&r);
}

/* ------------------------------------------------------------ NEG */

TestSuite(feed_neg, .init = t_setup, .fini = t_teardown);

struct t_neg_sum {
	long trades, cancelled, buy, sell, none;
	long long qty, px_cents;
	unsigned long long id_hash;
	long first_id;
};

/* The sample re-read with gzip -dc | fgets | strtok, for one symbol. */
static struct t_neg_sum t_neg_independent(const char *sym)
{
	struct t_neg_sum s = { 0 };
	FILE *p = popen("gzip -dc " NEG_GZ, "r");
	char line[512];

	cr_assert_not_null(p);
	s.first_id = -1;
	while (fgets(line, sizeof(line), p)) {
		char *f[20], *save = NULL;
		int k = 0;
		for (char *t = strtok_r(line, ";\n", &save); t && k < 20; t = strtok_r(NULL, ";\n", &save))
			f[k++] = t;
		if (k != 18)
			continue;
		char name[64];
		if (sscanf(f[1], "%63s", name) != 1 || strcmp(name, sym) != 0)
			continue;
		if (atoi(f[6]) == 2) {
			s.cancelled++;
			continue;
		}
		long whole, frac;
		cr_assert_eq(sscanf(f[3], " %ld.%ld", &whole, &frac), 2);
		cr_assert_eq(frac % 10000, 0, "price %s has sub-cent digits", f[3]);
		long id = atol(f[2]);
		s.trades++;
		s.qty += atoll(f[4]);
		s.px_cents += whole * 100 + frac / 10000;
		s.id_hash = s.id_hash * 31 + (unsigned long long)id;
		if (s.first_id < 0)
			s.first_id = id;
		int b = atoi(f[10]), a = atoi(f[14]);
		if (b == 1 && a == 2)
			s.buy++;
		else if (b == 2 && a == 1)
			s.sell++;
		else
			s.none++;
	}
	pclose(p);
	return s;
}

static struct t_neg_sum t_neg_reader(const char *sym, uint32_t flags,
				     struct feed_stats *out)
{
	struct t_neg_sum s = { 0 };
	struct feed_opts o = t_opts(0.01);
	struct feed_reader r;
	struct event ev;
	int rc;

	o.symbol = sym;
	o.flags = flags;
	s.first_id = -1;
	t_open(&r, NEG_GZ, FEED_AUTO, &o);
	cr_assert_eq(feed_format_of(&r), FEED_NEG);
	while ((rc = feed_next(&r, &ev)) == 1) {
		cr_assert_eq(ev.kind, EV_TRADE);
		if (ev.trade.flags & FEED_TRADE_CANCELLED) {
			s.cancelled++;
			continue;
		}
		s.trades++;
		s.qty += ev.trade.qty;
		s.px_cents += ev.trade.px;
		s.id_hash = s.id_hash * 31 + ev.trade.trade_id;
		if (s.first_id < 0)
			s.first_id = (long)ev.trade.trade_id;
		s.buy += ev.trade.aggressor == 1;
		s.sell += ev.trade.aggressor == -1;
		s.none += ev.trade.aggressor == 0;
	}
	cr_assert_eq(rc, 0, "%s", feed_error(&r));
	*out = *feed_stats(&r);
	feed_close(&r);
	return s;
}

static void t_neg_same(const struct t_neg_sum *a, const struct t_neg_sum *b)
{
	cr_assert_eq(a->trades, b->trades, "trades %ld vs %ld", a->trades, b->trades);
	cr_assert_eq(a->qty, b->qty);
	cr_assert_eq(a->px_cents, b->px_cents);
	cr_assert_eq(a->id_hash, b->id_hash, "same trades in the same order");
	cr_assert_eq(a->first_id, b->first_id);
	cr_assert_eq(a->buy, b->buy);
	cr_assert_eq(a->sell, b->sell);
	cr_assert_eq(a->none, b->none);
}

Test(feed_neg, real_sample_one_instrument)
{
	struct feed_stats st;
	struct t_neg_sum want = t_neg_independent("PETRL80");
	struct t_neg_sum got = t_neg_reader("PETRL80", 0, &st);

	cr_assert_gt(want.trades, 1000);
	t_neg_same(&got, &want);
	cr_assert_eq(st.rows, 18302);
	cr_assert_eq(st.other_symbol, 18302 - want.trades);
	cr_assert_eq(st.trailer_rows, 18304);
	cr_assert_eq(st.skipped, 0);
}

Test(feed_neg, first_symbol_by_default)
{
	struct feed_stats st;
	struct t_neg_sum want = t_neg_independent("ABEVA20"); /* first record */
	struct t_neg_sum got = t_neg_reader(NULL, 0, &st);
	t_neg_same(&got, &want);
}

Test(feed_neg, cancelled_trade_dropped_or_flagged)
{
	struct feed_stats st;
	struct t_neg_sum want = t_neg_independent("ITUBA9");
	struct t_neg_sum got = t_neg_reader("ITUBA9", 0, &st);

	cr_assert_eq(want.cancelled, 1, "PROVENANCE: one cancelled record");
	t_neg_same(&got, &want);
	cr_assert_eq(got.cancelled, 0, "dropped by default");
	cr_assert_eq(st.cancelled, 1);

	got = t_neg_reader("ITUBA9", FEED_O_KEEP_CANCELLED, &st);
	t_neg_same(&got, &want);
	cr_assert_eq(got.cancelled, 1, "returned flagged when asked");
	cr_assert_eq(st.cancelled, 1);
}

#define NEG_ROW(sym, no, px, qty, tm, ind, ba, sa) \
	"2015-11-26;" sym "                                          ;" no "; " px ";" qty ";" tm ";" ind \
	";2015-11-26;000086726728716;000000014551023;" ba ";2015-11-26;000086726732358;000000014551024;" sa \
	";0;00000114;00000735\n"

Test(feed_neg, handmade_rows_bad_rows_and_trailer)
{
	const char *p = t_tmp_path("NEG_BMF_20151126.TXT");
	struct feed_opts o = t_opts(5); /* WIN points, tick 5 */
	struct feed_reader r;
	struct event ev[8];
	int rc;

	t_write_file(p,
		"RH NEG                 2015-11-26 2015-11-26 000000009\n"
		NEG_ROW("WINZ15", "0000000010", "000000045000.000000", "000000000000000002", "10:00:00.000", "1", "1", "2")
		NEG_ROW("WDOZ15", "0000000011", "000000003300.000000", "000000000000000001", "10:00:00.500", "1", "1", "2")
		NEG_ROW("WINZ15", "0000000020", "000000045005.000000", "000000000000000003", "10:00:01.500", "1", "2", "1")
		NEG_ROW("WINZ15", "0000000030", "000000045002.000000", "000000000000000001", "10:00:02.000", "1", "2", "1")
		NEG_ROW("WINZ15", "0000000040", "000000045010.000000", "000000000000000004", "10:00:03.000", "2", "2", "1")
		NEG_ROW("WINZ15", "0000000050", "000000045010.000000", "000000000000000005", "10:00:04.000", "1", "2", "2")
		NEG_ROW("WINZ15", "00000000x0", "000000045010.000000", "000000000000000005", "10:00:05.000", "1", "2", "2")
		"RT NEG                 2015-11-26 2015-11-26 000000010\n");
	/* Sao Paulo summer time on that date: local = UTC - 2 h */
	o.utc_offset_s = -2 * 3600;
	t_open(&r, p, FEED_AUTO, &o);
	cr_assert_eq(feed_format_of(&r), FEED_NEG);
	size_t n = t_read_all(&r, ev, 8, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 3);
	const int64_t d = (1448496000LL + 12 * 3600) * NS; /* 10:00 local = 12:00 UTC */
	t_expect_trade(&ev[0], d, 9000, 2, 1, 0);
	cr_assert_eq(ev[0].trade.trade_id, 10);
	t_expect_trade(&ev[1], d + 1500000000, 9001, 3, -1, 0);
	t_expect_trade(&ev[2], d + 4 * NS, 9002, 5, 0, 0);
	cr_assert_eq(ev[2].trade.trade_id, 50);
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->cancelled, 1);
	cr_assert_eq(st->other_symbol, 1);
	cr_assert_eq(st->trailer_rows, 10);
	/* off-grid price (line 5), bad trade number (line 8), and the trailer
	 * says 10 records where the file holds 9 */
	cr_assert_eq(st->skipped, 3, "%s", feed_error(&r));
	cr_assert_eq(st->first_bad_line, 5);
	cr_assert(strstr(st->sample[0], "TradePrice"), "%s", st->sample[0]);
	cr_assert(strstr(st->sample[1], ":8: "), "%s", st->sample[1]);
	cr_assert(strstr(st->sample[2], "trailer"), "%s", st->sample[2]);
	feed_close(&r);
}

/* ------------------------------------------------------------ API */

TestSuite(feed, .init = t_setup, .fini = t_teardown);

Test(feed, options_are_checked)
{
	const char *p = t_tmp_path("o.tsv");
	struct feed_opts o = t_opts(0);
	struct feed_reader r;
	char err[512];

	t_write_file(p, mt5_every_flag);
	cr_assert_eq(feed_open(&r, p, FEED_AUTO, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "tick"), "%s", err);
	o.tick = 5;
	o.levels = EV_MAX_LEVELS + 1;
	cr_assert_eq(feed_open(&r, p, FEED_AUTO, &o, err, sizeof(err)), -EINVAL);
	o.levels = 5;
	o.tick = 1.0 / 3.0;
	cr_assert_eq(feed_open(&r, p, FEED_AUTO, &o, err, sizeof(err)), -EINVAL);
	o.tick = 5;
	o.lot = -1;
	cr_assert_eq(feed_open(&r, p, FEED_AUTO, &o, err, sizeof(err)), -EINVAL);
	o.lot = 0;
	cr_assert_eq(feed_open(&r, t_tmp_path("missing.tsv"), FEED_AUTO, &o, err,
			       sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "missing.tsv"), "%s", err);
	cr_assert_eq(feed_open(&r, p, FEED_AUTO, NULL, NULL, 0), -EINVAL);
}

Test(feed, auto_detection_and_the_journal_magic)
{
	struct feed_opts o = t_opts(1);
	struct feed_reader r;
	char err[512];

	t_write_file(t_tmp_path("a.txt"), "RH NEG                 2015-11-26 2015-11-26 000000002\n");
	t_open(&r, t_tmp_path("a.txt"), FEED_AUTO, &o);
	cr_assert_eq(feed_format_of(&r), FEED_NEG);
	feed_close(&r);

	t_write_file(t_tmp_path("b.txt"), "1723161253937085768 {\"lastUpdateId\":1,\"bids\":[],\"asks\":[]}\n");
	t_open(&r, t_tmp_path("b.txt"), FEED_AUTO, &o);
	cr_assert_eq(feed_format_of(&r), FEED_BINANCE);
	feed_close(&r);

	t_write_file(t_tmp_path("c.txt"), "hello,world\n");
	cr_assert_eq(feed_open(&r, t_tmp_path("c.txt"), FEED_AUTO, &o, err, sizeof(err)),
		     -DM_ECONFIG);
	cr_assert(strstr(err, "c.txt"), "%s", err);

	/* a journal is recognised by its magic: a 6-byte stub is a truncated
	 * header, and a text file forced to the journal format has no magic */
	t_write_file(t_tmp_path("d.jrnl"), "DMJRNL");
	cr_assert_eq(feed_open(&r, t_tmp_path("d.jrnl"), FEED_AUTO, &o, err, sizeof(err)),
		     -DM_ECORRUPT, "%s", err);
	cr_assert_eq(feed_open(&r, t_tmp_path("c.txt"), FEED_JOURNAL, &o, err, sizeof(err)),
		     -DM_EMAGIC, "%s", err);

	cr_assert_eq(feed_format_parse("binance"), FEED_BINANCE);
	cr_assert_eq(feed_format_parse("journal"), FEED_JOURNAL);
	cr_assert_eq(feed_format_parse("csv"), -1);
	cr_assert_str_eq(feed_format_name(FEED_LOBSTER), "lobster");
}

Test(feed, over_long_line_is_a_bad_row)
{
	const char *p = t_tmp_path("long.tsv");
	struct feed_opts o = t_opts(5);
	struct feed_reader r;
	struct event ev[4];
	int rc;

	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(MT5_HDR "2022.01.03\t09:00:00\t108400\t108405\t\t\t6\n", f);
	fputs("2022.01.03\t09:00:01\t108400\t108405\t\t\t6\t", f);
	for (int i = 0; i < 10000; i++)
		fputc('x', f);
	fputs("\n2022.01.03\t09:00:02\t108395\t\t\t\t2\n", f);
	fclose(f);
	o.line_max = 4096;
	t_open(&r, p, FEED_AUTO, &o);
	size_t n = t_read_all(&r, ev, 4, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 2);
	t_expect_l1(&ev[1], (1641168000LL + 9 * 3600 + 2) * NS, 21679, 21681);
	cr_assert_eq(feed_stats(&r)->skipped, 1);
	cr_assert_eq(feed_stats(&r)->first_bad_line, 3);
	cr_assert(strstr(feed_error(&r), "longer than 4096"), "%s", feed_error(&r));
	feed_close(&r);
}

Test(feed, reader_can_be_reopened)
{
	const char *p = t_tmp_path("re.tsv");
	struct feed_opts o = t_opts(5);
	struct feed_reader r;

	t_write_file(p, mt5_every_flag);
	for (int i = 0; i < 3; i++) {
		t_open(&r, p, FEED_AUTO, &o);
		t_mt5_check_every_flag(&r, 0);
		struct event ev;
		cr_assert_eq(feed_next(&r, &ev), 0, "end stays the end");
		feed_close(&r);
	}
}

/* ------------------------------------------------------------ time range
 *
 * Worked out by hand (and with date(1)): 1970-01-01 .. 2262-04-11 is
 * 106751 days, so 2262-04-11T00:00Z = 9223286400 s; INT64_MAX ns =
 * 9223372036.854775807 s = that midnight + 85636.854775807 s, i.e.
 * 23:47:16.854775807.  1678-01-01 is 106650 days before the epoch:
 * -9214560000 s.  2263-01-01 (day 107016) x 86400e9 does not fit int64
 * (and wrapped to 1678-06-12 before the check). */

#define T_LAST_NS   INT64_MAX                    /* 2262-04-11 23:47:16.854775807 */
#define T_FIRST_NS  (-9214560000LL * NS)         /* 1678-01-01 00:00:00 */

TestSuite(feed_time, .init = t_setup, .fini = t_teardown);

Test(feed_time, bounds_are_the_documented_dates)
{
	cr_assert_eq(feed_days_from_civil(2262, 4, 11), 106751);
	cr_assert_eq(feed_days_from_civil(1678, 1, 1), -106650);
	cr_assert_eq(FEED_DAY_MAX, 106751);
	cr_assert_eq(FEED_DAY_MIN, -106650);
	cr_assert_eq(FEED_NS_MIN, T_FIRST_NS);
	cr_assert_eq(FEED_NS_MAX, T_LAST_NS);
}

Test(feed_time, parse_date_refuses_dates_outside_the_range)
{
	int64_t d = 12345;

	cr_assert_eq(feed_parse_date("2262-04-11", 10, '-', &d), 0);
	cr_assert_eq(d, 106751);
	cr_assert_eq(feed_parse_date("1678-01-01", 10, '-', &d), 0);
	cr_assert_eq(d, -106650);
	cr_assert_eq(feed_parse_date("1899-12-31", 10, '-', &d), 0);
	cr_assert_eq(d, -25568);   /* 1900-01-01 is -25567 */
	d = 7;
	cr_assert_eq(feed_parse_date("2262-04-12", 10, '-', &d), -ERANGE);
	cr_assert_eq(feed_parse_date("2263-01-01", 10, '-', &d), -ERANGE);
	cr_assert_eq(feed_parse_date("9999-12-31", 10, '-', &d), -ERANGE);
	cr_assert_eq(feed_parse_date("1677-12-31", 10, '-', &d), -ERANGE);
	cr_assert_eq(feed_parse_date("0000-01-01", 10, '-', &d), -ERANGE);
	cr_assert_eq(d, 7, "untouched on error");
	cr_assert_eq(feed_parse_date("2263-02-29", 10, '-', &d), -EINVAL, "not a date");
	cr_assert_eq(feed_parse_date("2022.01.03", 10, '-', &d), -EINVAL);
}

Test(feed_time, time_ns_at_the_exact_bounds)
{
	const int64_t s_day = 86400LL * NS;
	int64_t t = 1;

	/* last valid ns, first invalid */
	cr_assert_eq(feed_time_ns(106751, 85636854775807LL, 0, &t), 0);
	cr_assert_eq(t, T_LAST_NS);
	cr_assert_eq(feed_time_ns(106751, 85636854775808LL, 0, &t), -ERANGE);
	cr_assert_eq(t, T_LAST_NS, "untouched");
	/* the same instant from local time 3 h behind UTC (local = UTC - 3 h) */
	cr_assert_eq(feed_time_ns(106751, 85636854775807LL - 3 * 3600 * NS, -3 * 3600, &t), 0);
	cr_assert_eq(t, T_LAST_NS);
	cr_assert_eq(feed_time_ns(106751, 85636854775808LL - 3 * 3600 * NS, -3 * 3600, &t),
		     -ERANGE);
	cr_assert_eq(feed_time_ns(106751, s_day - 1, 0, &t), -ERANGE);
	/* first valid ns, and one before it */
	cr_assert_eq(feed_time_ns(-106650, 0, 0, &t), 0);
	cr_assert_eq(t, T_FIRST_NS);
	cr_assert_eq(feed_time_ns(-106650, 0, 1, &t), -ERANGE, "1677-12-31 23:59:59 UTC");
	cr_assert_eq(feed_time_ns(-106650, 1 * NS, 1, &t), 0);
	cr_assert_eq(t, T_FIRST_NS);
	/* days outside the range, whatever the rest */
	cr_assert_eq(feed_time_ns(106752, 0, 86400, &t), -ERANGE);
	cr_assert_eq(feed_time_ns(-106651, s_day - 1, -86400, &t), -ERANGE);
	cr_assert_eq(feed_time_ns(107016, 0, 0, &t), -ERANGE, "2263-01-01");
	/* absurd time of day and offset: overflow, not a wrap */
	cr_assert_eq(feed_time_ns(1, INT64_MAX, 0, &t), -ERANGE);
	cr_assert_eq(feed_time_ns(-1, INT64_MIN, 0, &t), -ERANGE);
	cr_assert_eq(feed_time_ns(0, INT64_MIN, 0, &t), -ERANGE, "before FEED_NS_MIN");
	cr_assert_eq(feed_time_ns(0, 0, INT64_MAX / 1000, &t), -ERANGE);
	cr_assert_eq(feed_time_ns(106751, 0, INT32_MIN, &t), -ERANGE);
	/* an ordinary one: 2022-01-03 09:00 local at UTC - 3 h = 12:00 UTC */
	cr_assert_eq(feed_time_ns(18995, 9 * 3600 * NS, -3 * 3600, &t), 0);
	cr_assert_eq(t, (1641168000LL + 12 * 3600) * NS);
}

Test(feed_time, epoch_and_sum_at_the_exact_bounds)
{
	int64_t t = 5;

	cr_assert_eq(feed_epoch_ns(9223372036854LL, 1000000, &t), 0);
	cr_assert_eq(t, 9223372036854000000LL);
	cr_assert_eq(feed_epoch_ns(9223372036855LL, 1000000, &t), -ERANGE);
	cr_assert_eq(feed_epoch_ns(9223372036854775LL, 1000, &t), 0, "microseconds");
	cr_assert_eq(t, 9223372036854775000LL);
	cr_assert_eq(feed_epoch_ns(9223372036854776LL, 1000, &t), -ERANGE);
	cr_assert_eq(feed_epoch_ns(-9214560000000LL, 1000000, &t), 0);
	cr_assert_eq(t, T_FIRST_NS);
	cr_assert_eq(feed_epoch_ns(-9214560000001LL, 1000000, &t), -ERANGE);
	cr_assert_eq(feed_epoch_ns(9246182400000LL, 1000000, &t), -ERANGE, "2263-01-01 in ms");
	cr_assert_eq(t, T_FIRST_NS, "untouched");

	cr_assert_eq(feed_ns_add(T_LAST_NS - 10, 10, &t), 0);
	cr_assert_eq(t, T_LAST_NS);
	cr_assert_eq(feed_ns_add(T_LAST_NS - 10, 11, &t), -ERANGE);
	cr_assert_eq(feed_ns_add(T_FIRST_NS + 10, -10, &t), 0);
	cr_assert_eq(t, T_FIRST_NS);
	cr_assert_eq(feed_ns_add(T_FIRST_NS + 10, -11, &t), -ERANGE);
}

/* Each sample names its line: want[i] for sample i. */
static void t_samples_at(const struct feed_stats *st, const char *path,
			 const int *lines, const char *const *what, int n)
{
	cr_assert_eq(st->skipped, (uint64_t)n, "skipped %lu, want %d",
		     (unsigned long)st->skipped, n);
	cr_assert_eq(st->first_bad_line, (uint64_t)lines[0]);
	for (int i = 0; i < n; i++) {
		char want[300];
		snprintf(want, sizeof(want), "%s:%d: ", path, lines[i]);
		cr_assert(strncmp(st->sample[i], want, strlen(want)) == 0,
			  "sample %d: %s, want %s...", i, st->sample[i], want);
		cr_assert(strstr(st->sample[i], what[i]), "sample %d: %s, want '%s'",
			  i, st->sample[i], what[i]);
	}
}

static const char mt5_range[] =
	MT5_HDR
	"2262.04.11\t23:47:16.854775807\t108400\t108405\t\t\t6\n" /* good: INT64_MAX */
	"2262.04.11\t23:47:16.854775808\t108400\t108410\t\t\t6\n" /* 3: one ns past */
	"2263.01.01\t09:00:00.000\t108400\t108415\t\t\t6\n"       /* 4: date */
	"1677.12.31\t09:00:00.000\t108400\t108420\t\t\t6\n"       /* 5: date */
	"2022.01.03\t99999999999999\t108400\t108425\t\t\t6\n"     /* 6: time */
	"1678.01.01\t00:00:00.000\t108400\t108430\t\t\t6\n"       /* good: FEED_NS_MIN */
	"2022.01.03\t09:00:00.000\t108400\t108435\t\t\t6\n";      /* good */

Test(feed_time, mt5_rows_outside_the_range_are_bad_rows)
{
	const char *p = t_tmp_path("range.tsv");
	struct feed_opts o = t_opts(5);
	struct feed_reader r;
	struct event ev[8];
	int rc;

	t_write_file(p, mt5_range);
	t_open(&r, p, FEED_AUTO, &o);
	size_t n = t_read_all(&r, ev, 8, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 3);
	t_expect_l1(&ev[0], T_LAST_NS, 21680, 21681);
	t_expect_l1(&ev[1], T_FIRST_NS, 21680, 21686);
	t_expect_l1(&ev[2], (1641168000LL + 9 * 3600) * NS, 21680, 21687);
	const int lines[] = { 3, 4, 5, 6 };
	const char *const what[] = { "outside 1678-01-01 00:00:00 .. 2262-04-11 23:47:16",
				     "'2263.01.01': outside 1678-01-01..2262-04-11",
				     "'1677.12.31': outside 1678-01-01..2262-04-11",
				     "time '99999999999999'" };
	t_samples_at(feed_stats(&r), p, lines, what, 4);
	feed_close(&r);

	/* local = UTC - 3 h: the first row is 3 h past the end now, the
	 * 1678 row 3 h later than its midnight */
	o.utc_offset_s = -3 * 3600;
	t_open(&r, p, FEED_AUTO, &o);
	n = t_read_all(&r, ev, 8, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 2);
	t_expect_l1(&ev[0], T_FIRST_NS + 3 * 3600 * NS, 21680, 21686);
	cr_assert_eq(feed_stats(&r)->skipped, 5);
	cr_assert_eq(feed_stats(&r)->first_bad_line, 2);
	feed_close(&r);

	o.utc_offset_s = 0;
	o.strict = 1;
	t_open(&r, p, FEED_AUTO, &o);
	cr_assert_eq(feed_next(&r, &ev[0]), 1);
	cr_assert_eq(feed_next(&r, &ev[0]), -DM_ECORRUPT);
	char want[300];
	snprintf(want, sizeof(want), "%s:3: time '2262.04.11 23:47:16.854775808'", p);
	cr_assert(strncmp(feed_error(&r), want, strlen(want)) == 0, "%s", feed_error(&r));
	feed_close(&r);
}

#define NEG_ROW_D(date, no, tm) \
	date ";WINZ15                                          ;" no "; 000000045000.000000;000000000000000002;" tm ";1" \
	";" date ";000086726728716;000000014551023;1;" date ";000086726732358;000000014551024;2" \
	";0;00000114;00000735\n"

Test(feed_time, neg_rows_outside_the_range_are_bad_rows)
{
	const char *p = t_tmp_path("NEG_BMF_22620411.TXT");
	struct feed_opts o = t_opts(5);
	struct feed_reader r;
	struct event ev[8];
	int rc;

	t_write_file(p,
		"RH NEG                 2262-04-11 2262-04-11 000000009\n"
		NEG_ROW_D("2262-04-11", "0000000010", "23:47:16.854")     /* good */
		NEG_ROW_D("2262-04-11", "0000000011", "23:47:16.855")     /* 3: past the end */
		NEG_ROW_D("2263-01-01", "0000000012", "10:00:00.000")     /* 4 */
		NEG_ROW_D("1677-12-31", "0000000013", "10:00:00.000")     /* 5 */
		NEG_ROW_D("2015-11-26", "0000000014", "99999999999999")   /* 6 */
		NEG_ROW_D("1678-01-01", "0000000015", "00:00:00.000")     /* good */
		NEG_ROW_D("2015-11-26", "0000000016", "10:00:00.000")     /* good */
		"RT NEG                 2262-04-11 2262-04-11 000000009\n");
	t_open(&r, p, FEED_AUTO, &o);
	size_t n = t_read_all(&r, ev, 8, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 3);
	t_expect_trade(&ev[0], T_LAST_NS - 854775807 + 854000000, 9000, 2, 1, 0);
	cr_assert_eq(ev[0].trade.trade_id, 10);
	t_expect_trade(&ev[1], T_FIRST_NS, 9000, 2, 1, 0);
	t_expect_trade(&ev[2], (1448496000LL + 10 * 3600) * NS, 9000, 2, 1, 0);
	cr_assert_eq(ev[2].trade.trade_id, 16);
	const int lines[] = { 3, 4, 5, 6 };
	const char *const what[] = { "'23:47:16.855': with the SessionDate",
				     "'2263-01-01': outside 1678-01-01..2262-04-11",
				     "'1677-12-31': outside 1678-01-01..2262-04-11",
				     "TradeTime" };
	t_samples_at(feed_stats(&r), p, lines, what, 4);
	feed_close(&r);

	o.strict = 1;
	t_open(&r, p, FEED_AUTO, &o);
	cr_assert_eq(feed_next(&r, &ev[0]), 1);
	cr_assert_eq(feed_next(&r, &ev[0]), -DM_ECORRUPT);
	char want[300];
	snprintf(want, sizeof(want), "%s:3: field 6 (TradeTime)", p);
	cr_assert(strncmp(feed_error(&r), want, strlen(want)) == 0, "%s", feed_error(&r));
	feed_close(&r);
}

Test(feed_time, lobster_times_past_the_range_are_bad_rows)
{
	/* the file date is 2262-04-11, UTC (fixed offset 0) */
	const char *mp = t_tmp_path("C_2262-04-11_0_0_message_1.csv");
	const char *op = t_tmp_path("C_2262-04-11_0_0_orderbook_1.csv");
	struct feed_opts o = t_opts(100);
	struct feed_reader r;
	struct event ev[8];
	char err[512];
	int rc;

	t_write_file(mp,
		"85636.854775807,1,1,10,5853300,1\n"     /* good: INT64_MAX */
		"85636.854775808,1,2,10,5853300,1\n"     /* 2: one ns past */
		"99999999999999,1,3,10,5853300,1\n"      /* 3: absurd */
		"90000,1,4,10,5853300,1\n"               /* 4: < 2 days, past the end */
		"34200,1,5,10,5853300,1\n");             /* good */
	t_write_file(op,
		"5859400,200,5853300,18\n"
		"5859400,200,5853300,19\n"
		"5859400,200,5853300,20\n"
		"5859400,200,5853300,21\n"
		"5859400,200,5853300,22\n");
	o.flags = FEED_O_FIXED_TZ;
	t_open(&r, mp, FEED_AUTO, &o);
	size_t n = t_read_all(&r, ev, 8, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(ev[0].exch_ns, T_LAST_NS);
	cr_assert_eq(ev[0].book.bid[0].qty, 18);
	cr_assert_eq(ev[1].exch_ns, (9223286400LL + 34200) * NS);
	cr_assert_eq(ev[1].book.bid[0].qty, 22);
	const int lines[] = { 2, 3, 4 };
	const char *const what[] = { "time 85636.854775808 s after the file date's midnight",
				     "time '99999999999999': out of range",
				     "time 90000 s after" };
	t_samples_at(feed_stats(&r), mp, lines, what, 3);
	feed_close(&r);

	/* America/New_York (daylight time in April: local = UTC - 4 h): the
	 * last valid row is 4 h earlier, so 85636.854775807 is past it too */
	o.flags = 0;
	t_open(&r, mp, FEED_AUTO, &o);
	n = t_read_all(&r, ev, 8, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(ev[0].exch_ns, (9223286400LL + 34200 + 4 * 3600) * NS);
	cr_assert_eq(feed_stats(&r)->skipped, 4);
	feed_close(&r);

	o.flags = FEED_O_FIXED_TZ;
	o.strict = 1;
	t_open(&r, mp, FEED_AUTO, &o);
	cr_assert_eq(feed_next(&r, &ev[0]), 1);
	cr_assert_eq(feed_next(&r, &ev[0]), -DM_ECORRUPT);
	char want[300];
	snprintf(want, sizeof(want), "%s:2: time 85636.854775808", mp);
	cr_assert(strncmp(feed_error(&r), want, strlen(want)) == 0, "%s", feed_error(&r));
	feed_close(&r);

	/* a file date outside the range: nothing in it can be read */
	const char *names[] = { "D_2263-01-01_0_0_message_1.csv", "D_1677-12-31_0_0_message_1.csv" };
	for (int i = 0; i < 2; i++) {
		const char *m = t_tmp_path(names[i]);
		char ob[600];
		snprintf(ob, sizeof(ob), "%.*sorderbook_1.csv", (int)(strlen(m) - 13), m);
		t_write_file(m, "34200,1,5,10,5853300,1\n");
		t_write_file(ob, "5859400,200,5853300,22\n");
		cr_assert_eq(feed_open(&r, m, FEED_AUTO, &o, err, sizeof(err)), -DM_ECONFIG);
		cr_assert(strstr(err, "outside 1678-01-01..2262-04-11"), "%s", err);
	}
}
