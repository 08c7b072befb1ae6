/*
 * The Binance capture reader against a naive reference written here: the
 * real captures in tests/data (an extract of their first lines, and
 * the whole files against the figures in their PROVENANCE.md), re-parsed
 * with jansson and strtod, the book kept as an unsorted array that is
 * sorted by brute force whenever its top is compared.  Hand-made captures
 * cover the sync rules: stale diffs, a gap, a resync from a later
 * snapshot, bad rows, the level cap.  Tests run from the repository root.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/feed/feed.h"
#include "tests/helpers.h"

#define DATA "tests/data/binance-ws-raw-hftbacktest"
#define SPOT DATA "/spot_btcusdt_20240808.jsonl.gz"
#define USDM DATA "/usdm_btcusdt_20240808.jsonl.gz"
#define MS   1000000LL

/* ------------------------------------------------------------ helpers */

static void t_setup(void)
{
	t_tmp_init("dmfeedbn");
}

static void t_teardown(void)
{
	t_tmp_cleanup();
}

TestSuite(feed_binance, .init = t_setup, .fini = t_teardown);

/* The first n lines of a gzip capture into dir/name. */
static const char *t_extract(const char *gz, long n, const char *name)
{
	char cmd[512];
	const char *p = t_tmp_path(name);
	snprintf(cmd, sizeof(cmd), "gzip -dc '%s' | head -n %ld > '%s'", gz, n, p);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	return p;
}

static void t_open(struct feed_reader *r, const char *path, const struct feed_opts *o)
{
	char err[512];
	int rc = feed_open(r, path, FEED_AUTO, o, err, sizeof(err));
	cr_assert_eq(rc, 0, "feed_open(%s) = %d: %s", path, rc, err);
	cr_assert_eq(feed_format_of(r), FEED_BINANCE);
}

/* ---- the naive reference book */

struct t_lv {
	int64_t px, qty;
};

struct t_side {
	struct t_lv v[200000];
	size_t n;
};

static struct t_side t_bid, t_ask;

static int64_t t_units(const char *s, double unit)
{
	return llround(strtod(s, NULL) / unit);
}

static void t_side_set(struct t_side *s, int64_t px, int64_t qty)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].px == px) {
			if (qty)
				s->v[i].qty = qty;
			else
				s->v[i] = s->v[--s->n];
			return;
		}
	}
	if (qty) {
		cr_assert_lt(s->n, sizeof(s->v) / sizeof(s->v[0]));
		s->v[s->n++] = (struct t_lv){ px, qty };
	}
}

static int t_desc(const void *a, const void *b)
{
	int64_t x = ((const struct t_lv *)a)->px, y = ((const struct t_lv *)b)->px;
	return (x < y) - (x > y);
}

static int t_asc(const void *a, const void *b)
{
	return -t_desc(a, b);
}

/* Top min(L, n) of a side, best first. */
static size_t t_top(const struct t_side *s, int bid, struct t_lv *out, size_t L)
{
	static struct t_lv tmp[200000];
	memcpy(tmp, s->v, s->n * sizeof(tmp[0]));
	qsort(tmp, s->n, sizeof(tmp[0]), bid ? t_desc : t_asc);
	size_t n = s->n < L ? s->n : L;
	memcpy(out, tmp, n * sizeof(out[0]));
	return n;
}

static void t_apply_levels(json_t *arr, struct t_side *s, double tick, double lot)
{
	size_t i;
	json_t *lv;
	json_array_foreach(arr, i, lv)
		t_side_set(s, t_units(json_string_value(json_array_get(lv, 0)), tick),
			   t_units(json_string_value(json_array_get(lv, 1)), lot));
}

/* Compare the reader's next event with the reference book. */
static void t_expect_book(struct feed_reader *r, size_t L, int64_t exch_ns,
			  int64_t recv_ns, long line)
{
	struct t_lv b[EV_MAX_LEVELS], a[EV_MAX_LEVELS];
	size_t nb = t_top(&t_bid, 1, b, L), na = t_top(&t_ask, 0, a, L);
	struct event ev;
	int rc = feed_next(r, &ev);

	cr_assert_eq(rc, 1, "line %ld: feed_next %d: %s", line, rc, feed_error(r));
	cr_assert_eq(ev.kind, EV_BOOK, "line %ld: want a book event", line);
	cr_assert_eq(ev.exch_ns, exch_ns, "line %ld", line);
	cr_assert_eq(ev.recv_ns, recv_ns, "line %ld", line);
	cr_assert_eq(ev.book.n_bid, nb, "line %ld: %u bids, want %zu", line, ev.book.n_bid, nb);
	cr_assert_eq(ev.book.n_ask, na, "line %ld: %u asks, want %zu", line, ev.book.n_ask, na);
	for (size_t i = 0; i < nb; i++)
		cr_assert(ev.book.bid[i].px == b[i].px && ev.book.bid[i].qty == b[i].qty,
			  "line %ld bid %zu: %ld x %ld, want %ld x %ld", line, i,
			  (long)ev.book.bid[i].px, (long)ev.book.bid[i].qty,
			  (long)b[i].px, (long)b[i].qty);
	for (size_t i = 0; i < na; i++)
		cr_assert(ev.book.ask[i].px == a[i].px && ev.book.ask[i].qty == a[i].qty,
			  "line %ld ask %zu: %ld x %ld, want %ld x %ld", line, i,
			  (long)ev.book.ask[i].px, (long)ev.book.ask[i].qty,
			  (long)a[i].px, (long)a[i].qty);
	cr_assert_eq(ev.book.flags, 0, "line %ld: flags %x", line, ev.book.flags);
}

struct t_counts {
	long diffs, trades, buys;
};

/*
 * Replay path with the naive rules (no gap in the data: apply every diff
 * newer than the snapshot, in file order; diffs before the snapshot wait
 * for it) and compare every event of the reader on the way.
 */
static struct t_counts t_replay_naive(const char *path, int futures, double tick,
				      double lot, uint32_t L)
{
	struct feed_opts o = { .levels = L, .tick = tick, .lot = lot };
	struct t_counts c = { 0 };
	static char *stash[4096];
	static int64_t stash_recv[4096];
	size_t nstash = 0, cap = 0;
	struct feed_reader r;
	char *line = NULL;
	int64_t snap_id = -1, snap_recv = 0;
	long ln = 0;
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f);
	t_bid.n = t_ask.n = 0;
	t_open(&r, path, &o);
	while (getline(&line, &cap, f) > 0) {
		long long recv;
		int off;
		ln++;
		cr_assert_eq(sscanf(line, "%lld %n", &recv, &off), 1);
		json_t *root = json_loads(line + off, 0, NULL), *m;
		cr_assert_not_null(root, "line %ld", ln);
		m = json_object_get(root, "data") ? json_object_get(root, "data") : root;
		const char *e = json_string_value(json_object_get(m, "e"));
		if (json_object_get(m, "lastUpdateId")) {
			cr_assert_lt(snap_id, 0, "one snapshot in the extract");
			snap_id = json_integer_value(json_object_get(m, "lastUpdateId"));
			snap_recv = recv;
			t_apply_levels(json_object_get(m, "bids"), &t_bid, tick, lot);
			t_apply_levels(json_object_get(m, "asks"), &t_ask, tick, lot);
			for (size_t i = 0; i < nstash; i++) {
				json_t *sr = json_loads(stash[i], 0, NULL);
				json_t *sm = json_object_get(sr, "data");
				int64_t u = json_integer_value(json_object_get(sm, "u"));
				if (futures ? u >= snap_id : u > snap_id) {
					t_apply_levels(json_object_get(sm, "b"), &t_bid, tick, lot);
					t_apply_levels(json_object_get(sm, "a"), &t_ask, tick, lot);
					t_expect_book(&r, L, json_integer_value(json_object_get(sm, "E")) * MS,
						      snap_recv, ln);
					c.diffs++;
				}
				json_decref(sr);
				free(stash[i]);
				(void)stash_recv;
			}
			nstash = 0;
		} else if (e && strcmp(e, "depthUpdate") == 0) {
			int64_t u = json_integer_value(json_object_get(m, "u"));
			if (snap_id < 0) {
				cr_assert_lt(nstash, 4096);
				stash_recv[nstash] = recv;
				stash[nstash++] = strdup(line + off);
			} else if (futures ? u >= snap_id : u > snap_id) {
				t_apply_levels(json_object_get(m, "b"), &t_bid, tick, lot);
				t_apply_levels(json_object_get(m, "a"), &t_ask, tick, lot);
				t_expect_book(&r, L, json_integer_value(json_object_get(m, "E")) * MS,
					      recv, ln);
				c.diffs++;
			}
		} else if (e && strcmp(e, "trade") == 0) {
			struct event ev;
			int rc = feed_next(&r, &ev);
			int maker_buyer = json_is_true(json_object_get(m, "m"));
			cr_assert_eq(rc, 1, "line %ld: %s", ln, feed_error(&r));
			cr_assert_eq(ev.kind, EV_TRADE, "line %ld", ln);
			cr_assert_eq(ev.trade.px, t_units(json_string_value(json_object_get(m, "p")), tick));
			cr_assert_eq(ev.trade.qty, t_units(json_string_value(json_object_get(m, "q")), lot));
			/* m = the buyer was the maker: the seller crossed the spread */
			cr_assert_eq(ev.trade.aggressor, maker_buyer ? -1 : 1, "line %ld", ln);
			cr_assert_eq(ev.trade.trade_id, (uint64_t)json_integer_value(json_object_get(m, "t")));
			cr_assert_eq(ev.exch_ns, json_integer_value(json_object_get(m, "T")) * MS);
			cr_assert_eq(ev.recv_ns, recv);
			c.trades++;
			c.buys += !maker_buyer;
		}
		json_decref(root);
	}
	free(line);
	fclose(f);
	struct event ev;
	cr_assert_eq(feed_next(&r, &ev), 0, "no events beyond the reference");
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->skipped, 0, "%s", feed_error(&r));
	cr_assert_eq(st->gaps, 0);
	cr_assert_eq(st->diffs_applied, (uint64_t)c.diffs);
	cr_assert_eq(st->events_trade, (uint64_t)c.trades);
	cr_assert_eq(st->rows, (uint64_t)ln);
	feed_close(&r);
	return c;
}

/* ------------------------------------------------------------ real data */

Test(feed_binance, spot_extract_matches_naive_book, .timeout = 120)
{
	const char *p = t_extract(SPOT, T_SANITIZED ? 1500 : 4000, "spot.jsonl");
	/* spot: tick 0.01 USDT; sizes have 8 decimals in the depth stream */
	struct t_counts c = t_replay_naive(p, 0, 0.01, 0.00000001, 20);
	cr_assert_gt(c.diffs, 100);
	cr_assert_gt(c.trades, 100);
	cr_assert(c.buys > 0 && c.buys < c.trades, "both aggressor sides occur");
}

Test(feed_binance, usdm_extract_matches_naive_book, .timeout = 120)
{
	const char *p = t_extract(USDM, T_SANITIZED ? 1500 : 5000, "usdm.jsonl");
	struct t_counts c = t_replay_naive(p, 1, 0.1, 0.001, 5);
	cr_assert_gt(c.diffs, 50);
	cr_assert_gt(c.trades, 100);
}

/* Whole captures against PROVENANCE.md: diffs applied, no gap, final BBO. */
static void t_whole(const char *gz, double tick, double lot, uint64_t applied,
		    uint64_t trades, int64_t bid, int64_t ask)
{
	struct feed_opts o = { .levels = 1, .tick = tick, .lot = lot };
	struct feed_reader r;
	struct event ev, last = { 0 };
	int rc;
	int64_t t0 = t_now_ns();

	t_open(&r, gz, &o);
	while ((rc = feed_next(&r, &ev)) == 1)
		if (ev.kind == EV_BOOK)
			last = ev;
	double s = (t_now_ns() - t0) / 1e9;
	cr_assert_eq(rc, 0, "%s", feed_error(&r));
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->skipped, 0, "%s", feed_error(&r));
	cr_assert_eq(st->gaps, 0);
	cr_assert_eq(st->snapshots, 1);
	cr_assert_eq(st->diffs_applied, applied);
	cr_assert_eq(st->events_book, applied);
	cr_assert_eq(st->events_trade, trades);
	cr_assert_eq(st->bbo_mismatch, 0);
	cr_assert_eq(last.book.bid[0].px, bid);
	cr_assert_eq(last.book.ask[0].px, ask);
	cr_log_info("%s: %lu lines in %.2f s (%.0f lines/s), bbo checked %lu",
		    gz, (unsigned long)st->rows, s, st->rows / s, (unsigned long)st->bbo_checked);
	feed_close(&r);
}

Test(feed_binance, whole_captures_match_provenance, .timeout = 300)
{
	t_whole(SPOT, 0.01, 0.00000001, 3449, 9757, 6168599, 6168600);
	t_whole(USDM, 0.1, 0.001, 6547, 21313, 616597, 616598);
}

Test(feed_binance, removed_diff_is_a_detected_gap, .timeout = 120)
{
	const char *full = t_extract(SPOT, 3000, "full.jsonl");
	const char *cut = t_tmp_path("cut.jsonl");
	FILE *in = fopen(full, "r"), *out = fopen(cut, "w");
	char *line = NULL;
	size_t cap = 0;
	long ln = 0, removed = 0, diffs_after = 0;
	int seen_snap = 0;

	cr_assert(in && out);
	while (getline(&line, &cap, in) > 0) {
		ln++;
		if (strstr(line, "lastUpdateId"))
			seen_snap = 1;
		if (seen_snap && strstr(line, "depthUpdate") && ++diffs_after == 20) {
			removed = ln;
			continue;
		}
		fputs(line, out);
	}
	free(line);
	fclose(in);
	fclose(out);
	cr_assert_gt(removed, 0);

	struct feed_opts o = { .levels = 5, .tick = 0.01, .lot = 0.00000001 };
	struct feed_reader r;
	struct event ev;
	long books = 0, flagged = 0, first_flagged = -1;
	int rc;
	t_open(&r, cut, &o);
	while ((rc = feed_next(&r, &ev)) == 1) {
		if (ev.kind != EV_BOOK)
			continue;
		if (ev.book.flags & FEED_BOOK_F_GAP) {
			if (first_flagged < 0)
				first_flagged = books;
			flagged++;
		}
		books++;
	}
	cr_assert_eq(rc, 0);
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->gaps, 1, "one gap");
	cr_assert_eq(st->skipped, 0);
	/* the stashed diff straddling the snapshot is book event 0; the 19
	 * diffs after the snapshot and before the cut are clean */
	cr_assert_eq(first_flagged, 20, "first flagged event %ld", first_flagged);
	cr_assert_eq(flagged, books - first_flagged, "flagged until the end (no new snapshot)");
	feed_close(&r);

	o.strict = 1; /* a gap is not a bad row: strict reads on */
	t_open(&r, cut, &o);
	while ((rc = feed_next(&r, &ev)) == 1)
		;
	cr_assert_eq(rc, 0);
	feed_close(&r);
}

/* ------------------------------------------------------------ hand-made */

#define DIFF(recv, E, U, u, b, a) \
	#recv " {\"stream\":\"xusdt@depth\",\"data\":{\"e\":\"depthUpdate\",\"E\":" #E \
	",\"s\":\"XUSDT\",\"U\":" #U ",\"u\":" #u ",\"b\":[" b "],\"a\":[" a "]}}\n"
#define FDIFF(recv, E, U, u, pu, b, a) \
	#recv " {\"stream\":\"xusdt@depth\",\"data\":{\"e\":\"depthUpdate\",\"E\":" #E \
	",\"s\":\"XUSDT\",\"U\":" #U ",\"u\":" #u ",\"pu\":" #pu ",\"b\":[" b "],\"a\":[" a "]}}\n"

/* tick 0.01, lot 0.1 */
static const char bn_resync[] =
	DIFF(1000, 1, 95, 99, "", "")                             /* 1: before the snapshot, stale */
	DIFF(1001, 2, 100, 102, "[\"10.00\",\"0.5\"]", "")        /* 2: waits, straddles 102 */
	"1002 {\"lastUpdateId\":101,\"bids\":[[\"10.00\",\"1.0\"],[\"9.90\",\"2.0\"]],"
	"\"asks\":[[\"10.10\",\"1.5\"],[\"10.20\",\"3.0\"]]}\n"   /* 3 */
	DIFF(1003, 3, 103, 104, "[\"10.05\",\"1.0\"]", "")        /* 4 */
	"1004 {\"stream\":\"xusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":7,\"T\":7,"
	"\"s\":\"XUSDT\",\"t\":1,\"p\":\"10.10\",\"q\":\"0.3\",\"m\":false}}\n" /* 5 */
	DIFF(1005, 5, 107, 107, "[\"9.90\",\"0\"]", "")           /* 6: gap, 105-106 missing */
	DIFF(1006, 6, 108, 108, "", "[\"10.10\",\"0.00\"]")       /* 7 */
	"1007 {\"lastUpdateId\":107,\"bids\":[[\"10.05\",\"1.0\"],[\"10.00\",\"0.5\"]],"
	"\"asks\":[[\"10.10\",\"1.5\"],[\"10.20\",\"3.0\"]]}\n"   /* 8: resync */
	DIFF(1008, 8, 109, 109, "[\"10.06\",\"2.0\"]", "")        /* 9 */
	"1009 {\"stream\":\"xusdt@bookTicker\",\"data\":{\"u\":109,\"s\":\"XUSDT\","
	"\"b\":\"10.06\",\"B\":\"2.0\",\"a\":\"10.20\",\"A\":\"3.0\"}}\n" /* 10 */
	DIFF(1010, 10, 110, 110, "", "[\"10.055\",\"1.0\"]")      /* 11: off the tick grid */
	DIFF(1011, 11, 111, 111, "", "[\"10.30\",\"1.0\"]")       /* 12: gap (110 was bad) */
	"1012 {\"stream\":\"xusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":13,\"T\":12,"
	"\"s\":\"YUSDT\",\"t\":2,\"p\":\"10.10\",\"q\":\"0.3\",\"m\":true}}\n"  /* 13: other symbol */
	"1013 {\"stream\":\"xusdt@aggTrade\",\"data\":{\"e\":\"aggTrade\",\"E\":14,\"T\":14,"
	"\"s\":\"XUSDT\",\"a\":9,\"p\":\"10.20\",\"q\":\"1.2\",\"m\":true}}\n"; /* 14 */

#define LV(p, q) ((struct book_level){ (p), (q) })

static void t_book_is(const struct event *ev, int64_t recv, uint32_t flags,
		      const struct book_level *b, size_t nb,
		      const struct book_level *a, size_t na)
{
	cr_assert_eq(ev->kind, EV_BOOK);
	cr_assert_eq(ev->recv_ns, recv, "recv %ld, want %ld", (long)ev->recv_ns, (long)recv);
	cr_assert_eq(ev->book.flags, flags, "recv %ld: flags %x, want %x", (long)recv,
		     ev->book.flags, flags);
	cr_assert_eq(ev->book.n_bid, nb, "recv %ld: %u bids", (long)recv, ev->book.n_bid);
	cr_assert_eq(ev->book.n_ask, na, "recv %ld: %u asks", (long)recv, ev->book.n_ask);
	for (size_t i = 0; i < nb; i++)
		cr_assert(ev->book.bid[i].px == b[i].px && ev->book.bid[i].qty == b[i].qty,
			  "recv %ld bid %zu", (long)recv, i);
	for (size_t i = 0; i < na; i++)
		cr_assert(ev->book.ask[i].px == a[i].px && ev->book.ask[i].qty == a[i].qty,
			  "recv %ld ask %zu", (long)recv, i);
}

#define BOOK_IS(ev, recv, flags, B, A) do { \
	const struct book_level b_[] = B, a_[] = A; \
	t_book_is((ev), (recv), (flags), b_, sizeof(b_) / sizeof(b_[0]), \
		  a_, sizeof(a_) / sizeof(a_[0])); \
} while (0)
#define L_(...) { __VA_ARGS__ }

Test(feed_binance, stale_gap_and_resync_by_hand)
{
	const char *p = t_tmp_path("resync.txt");
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(bn_resync, f);
	fclose(f);
	struct feed_opts o = { .levels = 5, .tick = 0.01, .lot = 0.1, .symbol = "XUSDT" };
	struct feed_reader r;
	struct event ev[16];
	size_t n = 0;
	int rc;

	t_open(&r, p, &o);
	while ((rc = feed_next(&r, &ev[n])) == 1)
		cr_assert_lt(++n, 16);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 9);
	/* diff 2 replayed on the snapshot, stamped with its receive time */
	BOOK_IS(&ev[0], 1002, 0, L_(LV(1000, 5), LV(990, 20)), L_(LV(1010, 15), LV(1020, 30)));
	cr_assert_eq(ev[0].exch_ns, 2 * MS);
	BOOK_IS(&ev[1], 1003, 0, L_(LV(1005, 10), LV(1000, 5), LV(990, 20)),
		L_(LV(1010, 15), LV(1020, 30)));
	cr_assert_eq(ev[2].kind, EV_TRADE);
	cr_assert_eq(ev[2].trade.px, 1010);
	cr_assert_eq(ev[2].trade.qty, 3);
	cr_assert_eq(ev[2].trade.aggressor, 1, "m false: the buyer took");
	cr_assert_eq(ev[2].exch_ns, 7 * MS);
	BOOK_IS(&ev[3], 1005, FEED_BOOK_F_GAP, L_(LV(1005, 10), LV(1000, 5)),
		L_(LV(1010, 15), LV(1020, 30)));
	BOOK_IS(&ev[4], 1006, FEED_BOOK_F_GAP, L_(LV(1005, 10), LV(1000, 5)),
		L_(LV(1020, 30)));
	/* resync: diff 6 is older than the new snapshot, diff 7 replays clean */
	BOOK_IS(&ev[5], 1007, 0, L_(LV(1005, 10), LV(1000, 5)), L_(LV(1020, 30)));
	cr_assert_eq(ev[5].exch_ns, 6 * MS);
	BOOK_IS(&ev[6], 1008, 0, L_(LV(1006, 20), LV(1005, 10), LV(1000, 5)), L_(LV(1020, 30)));
	BOOK_IS(&ev[7], 1011, FEED_BOOK_F_GAP, L_(LV(1006, 20), LV(1005, 10), LV(1000, 5)),
		L_(LV(1020, 30), LV(1030, 10)));
	cr_assert_eq(ev[8].kind, EV_TRADE);
	cr_assert_eq(ev[8].trade.aggressor, -1, "aggTrade m true: the seller took");
	cr_assert_eq(ev[8].trade.trade_id, 9);
	cr_assert_eq(ev[8].trade.qty, 12);
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->rows, 14);
	cr_assert_eq(st->gaps, 2);
	cr_assert_eq(st->snapshots, 2);
	cr_assert_eq(st->diffs_applied, 7, "2, 4, 6, 7, 7 again on resync, 9, 12");
	cr_assert_eq(st->diffs_stale, 2, "1, and 6 on resync");
	cr_assert_eq(st->skipped, 1);
	cr_assert_eq(st->first_bad_line, 11);
	cr_assert(strstr(st->sample[0], "a[0] price"), "%s", st->sample[0]);
	cr_assert_eq(st->other_symbol, 1);
	cr_assert_eq(st->bbo_checked, 1);
	cr_assert_eq(st->bbo_mismatch, 0);
	cr_assert_eq(st->ignored, 1, "the bookTicker");
	feed_close(&r);

	/* strict: the off-grid diff stops the read with its line */
	o.strict = 1;
	t_open(&r, p, &o);
	while ((rc = feed_next(&r, &ev[0])) == 1)
		;
	cr_assert_eq(rc, -DM_ECORRUPT);
	char want[300];
	snprintf(want, sizeof(want), "%s:11: a[0] price: ", p);
	cr_assert(strncmp(feed_error(&r), want, strlen(want)) == 0, "%s", feed_error(&r));
	feed_close(&r);
}

Test(feed_binance, futures_pu_rules_by_hand)
{
	const char *p = t_tmp_path("fut.txt");
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(FDIFF(1, 1, 90, 99, 89, "[\"10.0\",\"1.000\"]", "")          /* stale: u < 100 */
	      "2 {\"lastUpdateId\":100,\"E\":2,\"T\":2,\"bids\":[[\"10.0\",\"2.000\"]],"
	      "\"asks\":[[\"10.1\",\"3.000\"]]}\n"
	      FDIFF(3, 3, 100, 100, 99, "", "[\"10.2\",\"0.001\"]")          /* U <= 100 <= u */
	      FDIFF(4, 4, 101, 105, 100, "[\"10.0\",\"0\"]", "")             /* pu = 100 */
	      FDIFF(5, 5, 107, 109, 106, "[\"9.9\",\"0.5\"]", "")            /* pu 106 != 105 */
	      FDIFF(6, 6, 110, 111, 109, "[\"9.8\",\"0.5\"]", ""), f);      /* contiguous, still gapped */
	fclose(f);
	struct feed_opts o = { .levels = 3, .tick = 0.1, .lot = 0.001 };
	struct feed_reader r;
	struct event ev[8];
	size_t n = 0;
	int rc;

	t_open(&r, p, &o);
	while ((rc = feed_next(&r, &ev[n])) == 1)
		cr_assert_lt(++n, 8);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 4);
	BOOK_IS(&ev[0], 3, 0, L_(LV(100, 2000)), L_(LV(101, 3000), LV(102, 1)));
	BOOK_IS(&ev[1], 4, 0, L_(), L_(LV(101, 3000), LV(102, 1)));
	BOOK_IS(&ev[2], 5, FEED_BOOK_F_GAP, L_(LV(99, 500)), L_(LV(101, 3000), LV(102, 1)));
	BOOK_IS(&ev[3], 6, FEED_BOOK_F_GAP, L_(LV(99, 500), LV(98, 500)),
		L_(LV(101, 3000), LV(102, 1)));
	cr_assert_eq(feed_stats(&r)->gaps, 1);
	cr_assert_eq(feed_stats(&r)->diffs_stale, 1);
	feed_close(&r);
}

Test(feed_binance, level_cap_keeps_the_best)
{
	const char *p = t_tmp_path("cap.txt");
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs("1 {\"lastUpdateId\":10,\"bids\":[[\"10.6\",\"1\"],[\"10.5\",\"1\"],"
	      "[\"10.4\",\"1\"],[\"10.3\",\"1\"],[\"10.2\",\"1\"],[\"10.1\",\"1\"]],"
	      "\"asks\":[[\"10.7\",\"1\"]]}\n"
	      DIFF(2, 2, 11, 11, "[\"9.0\",\"5\"]", "")      /* worse than a full side: dropped */
	      DIFF(3, 3, 12, 12, "[\"10.65\",\"5\"]", "")    /* better: 10.3 falls off */
	      DIFF(4, 4, 13, 13, "[\"10.6\",\"0\"]", ""), f); /* delete: 3 left, 10.3 gone for good */
	fclose(f);
	struct feed_opts o = { .levels = 10, .tick = 0.05, .book_cap = 4 };
	struct feed_reader r;
	struct event ev[8];
	size_t n = 0;
	int rc;

	t_open(&r, p, &o);
	while ((rc = feed_next(&r, &ev[n])) == 1)
		cr_assert_lt(++n, 8);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 3);
	BOOK_IS(&ev[0], 2, 0, L_(LV(212, 1), LV(210, 1), LV(208, 1), LV(206, 1)), L_(LV(214, 1)));
	BOOK_IS(&ev[1], 3, 0, L_(LV(213, 5), LV(212, 1), LV(210, 1), LV(208, 1)), L_(LV(214, 1)));
	BOOK_IS(&ev[2], 4, 0, L_(LV(213, 5), LV(210, 1), LV(208, 1)), L_(LV(214, 1)));
	cr_assert_eq(feed_stats(&r)->book_overflow, 4, "2 at the snapshot, 1 + 1 after");
	feed_close(&r);
}

Test(feed_binance, no_snapshot_means_no_book)
{
	const char *p = t_tmp_path("nosnap.txt");
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(DIFF(1, 1, 1, 2, "[\"10.00\",\"1\"]", "")
	      DIFF(2, 2, 3, 4, "[\"10.00\",\"2\"]", "")
	      "3 not json\n"
	      "4 {\"stream\":\"x@kline\",\"data\":{\"e\":\"kline\"}}\n", f);
	fclose(f);
	struct feed_opts o = { .levels = 10, .tick = 0.01 };
	struct feed_reader r;
	struct event ev;

	t_open(&r, p, &o);
	cr_assert_eq(feed_next(&r, &ev), 0);
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->diffs_unsynced, 2);
	cr_assert_eq(st->skipped, 1);
	cr_assert_eq(st->ignored, 1);
	cr_assert(strstr(st->sample[0], ":3: "), "%s", st->sample[0]);
	feed_close(&r);
}

Test(feed_binance, full_resync_buffer_drops_the_oldest)
{
	const char *p = t_tmp_path("many.txt");
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	for (int i = 1; i <= 20; i++)
		fprintf(f, "%d {\"stream\":\"xusdt@depth\",\"data\":{\"e\":\"depthUpdate\","
			"\"E\":%d,\"s\":\"XUSDT\",\"U\":%d,\"u\":%d,\"b\":[[\"10.00\",\"%d\"]],"
			"\"a\":[]}}\n", i, i, i, i, i);
	fputs("21 {\"lastUpdateId\":18,\"bids\":[[\"10.00\",\"1\"]],\"asks\":[]}\n", f);
	fclose(f);
	/* about 150 bytes a diff: half of 1 KiB keeps the last three */
	struct feed_opts o = { .levels = 1, .tick = 0.01, .pend_bytes = 1024 };
	struct feed_reader r;
	struct event ev[4];
	size_t n = 0;
	int rc;

	t_open(&r, p, &o);
	while ((rc = feed_next(&r, &ev[n])) == 1)
		cr_assert_lt(++n, 4);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 2, "diffs 19 and 20 replay on the snapshot");
	BOOK_IS(&ev[0], 21, 0, L_(LV(1000, 19)), L_());
	BOOK_IS(&ev[1], 21, 0, L_(LV(1000, 20)), L_());
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->gaps, 0);
	cr_assert_eq(st->diffs_applied, 2);
	cr_assert_gt(st->diffs_unsynced, 0);
	cr_assert_eq(st->diffs_unsynced + st->diffs_stale + st->diffs_applied, 20);
	feed_close(&r);
}

/* ------------------------------------------------------------ time range */

#define TRADE_T(recv, T) \
	#recv " {\"stream\":\"xusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"T\":" #T \
	",\"s\":\"XUSDT\",\"t\":1,\"p\":\"10.10\",\"q\":\"0.3\",\"m\":false}}\n"

/* Epoch ms by hand: INT64_MAX ns = 9223372036854.775807 ms, so
 * 9223372036854 ms is the last whole ms that fits and ...855 the first
 * past it; 2263-01-01 is day 107016 = 9246182400000 ms; 1677-12-31 is
 * day -106651 = -9214646400000 ms; 2022-01-03 is 1641168000000 ms. */
Test(feed_binance, times_outside_the_range_are_bad_rows)
{
	const char *p = t_tmp_path("range.txt");
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(TRADE_T(1000, 9223372036854)                    /* 1: good */
	      TRADE_T(1001, 9223372036855)                    /* 2: one ms past */
	      TRADE_T(1002, 9246182400000)                    /* 3: 2263-01-01 */
	      TRADE_T(1003, -9214646400000)                   /* 4: 1677-12-31 */
	      TRADE_T(99999999999999999999, 1641168000000)    /* 5: receive time */
	      DIFF(1005, 9246182400000, 1, 2, "[\"10.00\",\"1\"]", "") /* 6: E 2263 */
	      TRADE_T(1006, 1641168000000), f);               /* 7: good */
	fclose(f);
	struct feed_opts o = { .levels = 5, .tick = 0.01, .lot = 0.1 };
	struct feed_reader r;
	struct event ev[8];
	size_t n = 0;
	int rc;

	t_open(&r, p, &o);
	while ((rc = feed_next(&r, &ev[n])) == 1)
		cr_assert_lt(++n, 8);
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(ev[0].kind, EV_TRADE);
	cr_assert_eq(ev[0].exch_ns, 9223372036854000000LL);
	cr_assert_eq(ev[0].recv_ns, 1000);
	cr_assert_eq(ev[1].exch_ns, 1641168000000LL * MS);
	cr_assert_eq(ev[1].recv_ns, 1006);
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->skipped, 5);
	cr_assert_eq(st->first_bad_line, 2);
	const char *want[5] = { ":2: trade time 9223372036855 ms: outside",
				":3: trade time 9246182400000 ms: outside",
				":4: trade without a time",
				":5: receive time 99999999999999999999 ns: outside",
				":6: depthUpdate event time E 9246182400000 ms: outside" };
	for (int i = 0; i < 5; i++)
		cr_assert(strstr(st->sample[i], want[i]), "sample %d: %s, want %s",
			  i, st->sample[i], want[i]);
	feed_close(&r);

	o.strict = 1;
	t_open(&r, p, &o);
	cr_assert_eq(feed_next(&r, &ev[0]), 1);
	cr_assert_eq(feed_next(&r, &ev[0]), -DM_ECORRUPT);
	char w[300];
	snprintf(w, sizeof(w), "%s:2: ", p);
	cr_assert(strncmp(feed_error(&r), w, strlen(w)) == 0, "%s", feed_error(&r));
	feed_close(&r);
}
