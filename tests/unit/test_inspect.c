/*
 * dm-inspect end to end: build/bin/dm-inspect run on fixtures whose
 * statistics are worked out by hand in the comments (a journal of
 * hand-made events with every anomaly, an MT5 export, a Binance capture
 * with sequence gaps), and on the real LOBSTER sample against a naive
 * recomputation here (sscanf, sort, nearest rank).  The --json report is
 * parsed with jansson; bad usage must exit 2, a bad row under --strict
 * exit 2 naming file:line.
 *
 * The program is the dm-inspect of the build this test belongs to:
 * <dir of this test>/../bin/dm-inspect.  Tests run from the repo root.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/market/event.h"
#include "libcore/journal/journal.h"
#include "libcore/msg/msg.h"
#include "libcore/vote/vote.h"
#include "tests/helpers.h"

#define NS 1000000000LL
#define MS 1000000LL

#define T_LOBSTER_DIR "tests/data/lobster-aapl-20120621-excerpt/"
#define T_LOBSTER_MSG T_LOBSTER_DIR "AAPL_2012-06-21_34200000_57600000_message_10.csv"
#define T_LOBSTER_OB  T_LOBSTER_DIR "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"

static char t_tool[PATH_MAX + 32];

static void t_setup(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	cr_assert(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(t_tool, sizeof(t_tool), "%s/../bin/dm-inspect", self);
	cr_assert_eq(access(t_tool, X_OK), 0, "%s missing: build it first "
		     "(make build/bin/dm-inspect)", t_tool);
	t_tmp_init("dminspect");
}

static void t_teardown(void)
{
	t_tmp_cleanup();
}

TestSuite(inspect, .init = t_setup, .fini = t_teardown, .timeout = 60);

static char *t_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	char *b = calloc(1, 1 << 20);
	cr_assert_not_null(b);
	size_t k = fread(b, 1, (1 << 20) - 1, f);
	b[k] = '\0';
	fclose(f);
	return b;
}

/* Run dm-inspect with args (NULL-terminated); stdout into *out and stderr
 * into *err (malloc'd).  Returns the exit status. */
static int t_run(char **out, char **err, ...)
{
	char *argv[32];
	va_list ap;
	int n = 0, st;

	argv[n++] = t_tool;
	va_start(ap, err);
	while ((argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	char po[128], pe[128];   /* not t_tmp_path: the caller's paths stay valid */
	snprintf(po, sizeof(po), "%s/stdout.txt", t_tmp_dir);
	snprintf(pe, sizeof(pe), "%s/stderr.txt", t_tmp_dir);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (!freopen(pe, "w", stderr) || !freopen(po, "w", stdout))
			_exit(126);
		execv(t_tool, argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	*out = t_slurp(po);
	*err = t_slurp(pe);
	cr_assert(WIFEXITED(st), "dm-inspect died: %s", *err);
	return WEXITSTATUS(st);
}

/* The value at a dotted path ("anomalies.crossed") of a JSON object. */
static json_t *t_at(json_t *root, const char *path)
{
	char buf[128], *save = NULL;
	json_t *v = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		v = json_object_get(v, k);
		cr_assert_not_null(v, "no '%s' in the report", path);
	}
	return v;
}

static long long t_int(json_t *root, const char *path)
{
	json_t *v = t_at(root, path);
	cr_assert(json_is_integer(v), "%s is not an integer", path);
	return (long long)json_integer_value(v);
}

static double t_real(json_t *root, const char *path)
{
	json_t *v = t_at(root, path);
	cr_assert(json_is_number(v), "%s is not a number", path);
	return json_number_value(v);
}

static const char *t_str(json_t *root, const char *path)
{
	json_t *v = t_at(root, path);
	cr_assert(json_is_string(v), "%s is not a string", path);
	return json_string_value(v);
}

#define T_EQ(root, path, want) do { \
	long long got_ = t_int((root), (path)); \
	cr_assert_eq(got_, (long long)(want), "%s: %lld, want %lld", (path), got_, \
		     (long long)(want)); \
} while (0)

/* Level-count distribution of one side equals want[0..n-1], zero after. */
static void t_dist(json_t *root, const char *path, const long long *want, size_t n)
{
	json_t *a = t_at(root, path);
	cr_assert(json_is_array(a), "%s", path);
	for (size_t k = 0; k < json_array_size(a); k++) {
		long long w = k < n ? want[k] : 0;
		cr_assert_eq(json_integer_value(json_array_get(a, k)), w,
			     "%s[%zu]: %lld, want %lld", path, k,
			     (long long)json_integer_value(json_array_get(a, k)), w);
	}
}

static json_t *t_json(const char *text)
{
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	cr_assert_not_null(root, "not JSON: %s (line %d): %.300s", je.text, je.line, text);
	return root;
}

/* ------------------------------------------------------------ a journal */

static struct event t_book(int64_t t, const int64_t (*b)[2], int nb,
			   const int64_t (*a)[2], int na)
{
	struct event e;
	memset(&e, 0, sizeof(e));
	e.kind = EV_BOOK;
	e.exch_ns = e.recv_ns = t;
	e.book.n_bid = (uint16_t)nb;
	e.book.n_ask = (uint16_t)na;
	for (int i = 0; i < nb; i++)
		e.book.bid[i] = (struct book_level){ b[i][0], b[i][1] };
	for (int i = 0; i < na; i++)
		e.book.ask[i] = (struct book_level){ a[i][0], a[i][1] };
	return e;
}

static struct event t_trade(int64_t t, int64_t px, int64_t qty, int agg, int flags)
{
	struct event e;
	memset(&e, 0, sizeof(e));
	e.kind = EV_TRADE;
	e.exch_ns = e.recv_ns = t;
	e.trade.px = px;
	e.trade.qty = qty;
	e.trade.aggressor = (int8_t)agg;
	e.trade.flags = (uint8_t)flags;
	return e;
}

#define LV(...) (const int64_t[][2]){ __VA_ARGS__ }

/* 2022-01-03 12:00:00 UTC */
#define T0 (1641211200LL * NS)

/* Twelve events, every statistic worked out by hand in test
 * journal_with_every_anomaly. */
static const char *t_anomaly_journal(void)
{
	const char *p = t_tmp_path("hand.jrnl");
	static struct journal_writer w;
	struct journal_opts jo = { .symbol = "WIN", .tick_size = "5" };
	struct event ev[] = {
		/* e1  */ t_book(T0, LV({ 100, 5 }, { 99, 7 }), 2, LV({ 101, 3 }), 1),
		/* e2  */ t_trade(T0 + 1 * MS, 101, 2, 1, 0),
		/* e3  */ t_book(T0 + 2 * MS, LV({ 100, 4 }), 1,
				 LV({ 102, 6 }, { 103, 1 }, { 104, 2 }), 3),
		/* e4  */ t_trade(T0 + 3 * MS, 100, 5, -1, 0),
		/* e5  */ t_book(T0 + 1 * MS, LV({ 100, 4 }), 1, LV({ 101, 8 }), 1),
		/* e6  */ t_book(T0 + 4 * MS, LV({ 102, 1 }), 1, LV({ 101, 1 }), 1),
		/* e7  */ t_trade(T0 + 2 * MS, 101, 7, 0, EV_TRADE_HIDDEN),
		/* e8  */ t_book(T0 + 5 * MS, NULL, 0, LV({ 105, 2 }), 1),
		/* e9  */ t_book(T0 + 6 * MS, LV({ 100, -3 }), 1, LV({ 101, 1 }), 1),
		/* e10 */ t_book(T0 + 7 * MS, LV({ 99, 1 }, { 100, 2 }), 2, LV({ 101, 4 }), 1),
		/* e11 */ t_trade(T0 + 8 * MS, 101, 3, 1, 0),
		/* e12 */ t_trade(T0 + 9 * MS, 101, -1, 1, 0),
	};

	cr_assert_eq(journal_open_write(&w, p, &jo), 0);
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		cr_assert_eq(journal_append_event(&w, &ev[i]), 0, "event %zu", i + 1);
	cr_assert_eq(journal_close(&w), 0);
	return p;
}

Test(inspect, journal_with_every_anomaly)
{
	const char *p = t_anomaly_journal();
	char *out, *err;

	int rc = t_run(&out, &err, p, "--json", NULL);
	cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
	json_t *j = t_json(out);
	cr_assert_str_eq(t_str(j, "format"), "journal");
	cr_assert_eq(t_real(j, "tick"), 5.0, "the header's tick");
	T_EQ(j, "levels", 20);
	/* books e1 e3 e5 e6 e8 e9 e10, trades e2 e4 e7 e11 e12 */
	T_EQ(j, "events.total", 12);
	T_EQ(j, "events.book", 7);
	T_EQ(j, "events.trade", 5);
	T_EQ(j, "rows.read", 12);
	T_EQ(j, "rows.skipped", 0);
	/* earliest e1 at 12:00:00, latest e12 9 ms later */
	cr_assert_str_eq(t_str(j, "time.first"), "2022-01-03T12:00:00.000000000Z");
	cr_assert_str_eq(t_str(j, "time.last"), "2022-01-03T12:00:00.009000000Z");
	T_EQ(j, "time.first_ns", T0);
	T_EQ(j, "time.duration_ns", 9 * MS);
	cr_assert_float_eq(t_real(j, "time.duration_s"), 0.009, 1e-12);
	/* bids per book: 2 1 1 1 0 1 2; asks: 1 3 1 1 1 1 1 */
	T_EQ(j, "levels_seen.bid.max", 2);
	T_EQ(j, "levels_seen.ask.max", 3);
	t_dist(j, "levels_seen.bid.dist", (const long long[]){ 1, 4, 2 }, 3);
	t_dist(j, "levels_seen.ask.dist", (const long long[]){ 0, 6, 0, 1 }, 4);
	cr_assert_eq(json_array_size(t_at(j, "levels_seen.bid.dist")), 21, "0..L");
	/* spreads of the uncrossed two-sided books: e1 1, e3 2, e5 1, e9 1,
	 * e10 2 (101 - 99: the event's first bid) -> sorted 1 1 1 2 2 */
	T_EQ(j, "spread_ticks.count", 5);
	T_EQ(j, "spread_ticks.min", 1);
	T_EQ(j, "spread_ticks.p50", 1);      /* rank ceil(2.5) = 3 */
	T_EQ(j, "spread_ticks.p99", 2);      /* rank 5 */
	T_EQ(j, "spread_ticks.max", 2);
	T_EQ(j, "spread_ticks.one_tick", 3);
	cr_assert_float_eq(t_real(j, "spread_ticks.one_tick_share"), 0.6, 1e-12);
	/* best bid sizes 5 4 4 1 (e9's -3 left out) 1 -> 1 1 4 4 5;
	 * best ask sizes 3 6 8 1 2 1 4 -> 1 1 2 3 4 6 8 */
	T_EQ(j, "top_size.bid.count", 5);
	T_EQ(j, "top_size.bid.p50", 4);
	T_EQ(j, "top_size.bid.p99", 5);
	T_EQ(j, "top_size.ask.count", 7);
	T_EQ(j, "top_size.ask.p50", 3);      /* rank ceil(3.5) = 4 */
	T_EQ(j, "top_size.ask.p99", 8);
	/* trade sizes 2 5 7 3 (e12's -1 left out) -> 2 3 5 7 */
	T_EQ(j, "trade_size.count", 4);
	T_EQ(j, "trade_size.p50", 3);
	T_EQ(j, "trade_size.p99", 7);
	T_EQ(j, "trade_size.max", 7);
	T_EQ(j, "volume.buy", 5);            /* e2 2 + e11 3 */
	T_EQ(j, "volume.buy_trades", 2);
	T_EQ(j, "volume.sell", 5);           /* e4 */
	T_EQ(j, "volume.sell_trades", 1);
	T_EQ(j, "volume.unknown", 7);        /* e7 */
	T_EQ(j, "volume.unknown_trades", 1);
	T_EQ(j, "volume.hidden_trades", 1);
	T_EQ(j, "anomalies.crossed", 1);     /* e6: 102 over 101 */
	T_EQ(j, "anomalies.negative_sizes", 2); /* e9's bid, e12 */
	T_EQ(j, "anomalies.out_of_order_book", 1);  /* e5 before e3 */
	T_EQ(j, "anomalies.out_of_order_trade", 1); /* e7 before e4 */
	T_EQ(j, "anomalies.unsorted", 1);    /* e10: 99 above 100 */
	T_EQ(j, "anomalies.one_sided", 1);   /* e8 */
	T_EQ(j, "anomalies.sequence_gaps", 0);
	T_EQ(j, "anomalies.gap_books", 0);
	T_EQ(j, "anomalies.bad_rows", 0);
	json_decref(j);
	free(out);
	free(err);

	/* the text report says the same */
	rc = t_run(&out, &err, p, NULL);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(strstr(out, "12 = 7 book updates + 5 trades"), "%s", out);
	cr_assert(strstr(out, "2022-01-03T12:00:00.000000000Z .. "
			 "2022-01-03T12:00:00.009000000Z (0.009000000 s)"), "%s", out);
	cr_assert(strstr(out, "max 2; by count 0:1 1:4 2:2"), "%s", out);
	cr_assert(strstr(out, "5 books: min 1, p50 1, p99 2, max 2; 1 tick 60.00%"), "%s", out);
	cr_assert(strstr(out, "crossed 1, negative sizes 2, out of order 1 books / 1 trades, "
			 "unsorted 1, one-sided 1"), "%s", out);
	cr_assert_eq(strlen(err), 0, "no progress on a non-terminal: %s", err);
	free(out);
	free(err);

	/* --levels 1 cuts every event to its best level */
	rc = t_run(&out, &err, p, "--levels", "1", "--json", NULL);
	cr_assert_eq(rc, 0, "%s", err);
	j = t_json(out);
	T_EQ(j, "levels_seen.ask.max", 1);
	t_dist(j, "levels_seen.bid.dist", (const long long[]){ 1, 6 }, 2);
	cr_assert_eq(json_array_size(t_at(j, "levels_seen.bid.dist")), 2);
	T_EQ(j, "anomalies.unsorted", 0);   /* e10 cut to 99 alone */
	json_decref(j);
	free(out);
	free(err);
}

/* ------------------------------------------------------------ MT5 */

#define MT5_HDR "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"

/* WIN, tick 5.  Flags: 2 bid, 4 ask, 8 last, 16 volume, 32 buy, 64 sell. */
static const char mt5_rows[] =
	MT5_HDR
	"2022.01.03\t09:00:00.123\t108400\t108405\t\t\t6\n"   /* b 21680/21681: 1 */
	"2022.01.03\t09:00:00.200\t\t108410\t\t\t4\n"         /* b 21680/21682: 2 */
	"2022.01.03\t09:00:00.250\t108395\t\t\t\t2\n"         /* b 21679/21682: 3 */
	"2022.01.03\t09:00:01\t\t\t108410\t3\t88\n"           /* t x3 sell */
	"2022.01.03\t09:00:01.001\t\t\t108405\t2\t56\n"       /* t x2 buy */
	"2022.01.03\t09:00:01.002\t\t\t\t\t24\n"              /* t x2 unknown */
	"2022.01.03\t09:00:01.003\t\t\t108400\t5\t120\n"      /* t x5 unknown */
	"2022.01.03\t09:00:01.004\t108400\t108405\t108405\t1\t62\n" /* t x1 buy, b 1 */
	"2022.01.03\t09:00:01.005\t\t\t\t7\t16\n"             /* nothing */
	"2022.01.03\t09:00:01.006\t108400\t\t\t\t0\n"         /* nothing */
	"2022.01.03\t09:00:01.007\t\t108410\t\t\t0\n"         /* b 21680/21682: 2 */
	"2022.01.03\t09:00:01.008\t\t\t\t\t8\n"               /* t x7 unknown */
	"2022.01.04\t10:00:00.000000001\t0\t108410\t\t\t2\n"; /* b ask only */

Test(inspect, mt5_export)
{
	const char *p = t_tmp_path("ticks.tsv");
	char *out, *err;

	t_write_file(p, mt5_rows);
	int rc = t_run(&out, &err, "--json", p, NULL);
	cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
	json_t *j = t_json(out);
	cr_assert_str_eq(t_str(j, "format"), "mt5");
	cr_assert_eq(t_real(j, "tick"), 5.0, "the configured WIN tick");
	T_EQ(j, "events.book", 6);
	T_EQ(j, "events.trade", 6);
	T_EQ(j, "rows.read", 13);
	T_EQ(j, "rows.ignored", 2);
	/* MT5 times are local to the configured instrument (B3, UTC-3) */
	cr_assert_str_eq(t_str(j, "time.first"), "2022-01-03T12:00:00.123000000Z");
	cr_assert_str_eq(t_str(j, "time.last"), "2022-01-04T13:00:00.000000001Z");
	cr_assert_str_eq(t_str(j, "instrument.symbol"), "WIN");
	cr_assert_str_eq(t_str(j, "instrument.tick"), "5");
	cr_assert_str_eq(t_str(j, "instrument.currency"), "BRL");
	/* L1: five two-sided books, one with only an ask */
	t_dist(j, "levels_seen.bid.dist", (const long long[]){ 1, 5 }, 2);
	t_dist(j, "levels_seen.ask.dist", (const long long[]){ 0, 6 }, 2);
	/* spreads 1 2 3 1 2 -> 1 1 2 2 3 */
	T_EQ(j, "spread_ticks.count", 5);
	T_EQ(j, "spread_ticks.min", 1);
	T_EQ(j, "spread_ticks.p50", 2);
	T_EQ(j, "spread_ticks.p99", 3);
	T_EQ(j, "spread_ticks.max", 3);
	cr_assert_float_eq(t_real(j, "spread_ticks.one_tick_share"), 0.4, 1e-12);
	/* MT5 exports carry no book sizes */
	T_EQ(j, "top_size.bid.p99", 0);
	T_EQ(j, "top_size.ask.count", 6);
	/* trades 3 2 2 5 1 7 -> 1 2 2 3 5 7 */
	T_EQ(j, "trade_size.count", 6);
	T_EQ(j, "trade_size.p50", 2);
	T_EQ(j, "trade_size.p99", 7);
	T_EQ(j, "trade_size.max", 7);
	T_EQ(j, "volume.buy", 3);
	T_EQ(j, "volume.sell", 3);
	T_EQ(j, "volume.unknown", 14);
	T_EQ(j, "anomalies.one_sided", 1);
	T_EQ(j, "anomalies.crossed", 0);
	json_decref(j);
	free(out);
	free(err);
}

Test(inspect, bad_rows_are_counted_or_stop_strict)
{
	const char *p = t_tmp_path("bad.tsv");
	char *out, *err;

	/* line 3 has a non-numeric bid, line 4 a price off the 5-point grid */
	t_write_file(p, MT5_HDR
		"2022.01.03\t09:00:00.123\t108400\t108405\t\t\t6\n"
		"2022.01.03\t09:00:00.200\t10840x\t\t\t\t2\n"
		"2022.01.03\t09:00:00.300\t108401\t\t\t\t2\n"
		"2022.01.03\t09:00:00.400\t108395\t\t\t\t2\n");
	int rc = t_run(&out, &err, p, "--json", NULL);
	cr_assert_eq(rc, 0, "%s", err);
	json_t *j = t_json(out);
	T_EQ(j, "events.book", 2);
	T_EQ(j, "rows.skipped", 2);
	T_EQ(j, "rows.first_bad_line", 3);
	T_EQ(j, "anomalies.bad_rows", 2);
	json_t *s = t_at(j, "rows.samples");
	cr_assert_eq(json_array_size(s), 2);
	cr_assert(strstr(json_string_value(json_array_get(s, 0)), "bad.tsv:3:"), "%s",
		  json_string_value(json_array_get(s, 0)));
	json_decref(j);
	free(out);
	free(err);

	rc = t_run(&out, &err, p, "--strict", NULL);
	cr_assert_eq(rc, 2, "exit %d", rc);
	cr_assert(strstr(err, "bad.tsv:3:"), "names file:line: %s", err);
	cr_assert(strstr(err, "BID") || strstr(err, "bid"), "names the field: %s", err);
	cr_assert_eq(strlen(out), 0, "no report: %s", out);
	free(out);
	free(err);
}

/* ------------------------------------------------------------ Binance */

#define DIFF(recv, E, U, u, b, a) \
	#recv " {\"stream\":\"xusdt@depth\",\"data\":{\"e\":\"depthUpdate\",\"E\":" #E \
	",\"s\":\"XUSDT\",\"U\":" #U ",\"u\":" #u ",\"b\":[" b "],\"a\":[" a "]}}\n"

/* tick 0.01, lot 0.1: the resync capture of test_feed_binance */
static const char bn_resync[] =
	DIFF(1000, 1, 95, 99, "", "")
	DIFF(1001, 2, 100, 102, "[\"10.00\",\"0.5\"]", "")
	"1002 {\"lastUpdateId\":101,\"bids\":[[\"10.00\",\"1.0\"],[\"9.90\",\"2.0\"]],"
	"\"asks\":[[\"10.10\",\"1.5\"],[\"10.20\",\"3.0\"]]}\n"
	DIFF(1003, 3, 103, 104, "[\"10.05\",\"1.0\"]", "")
	"1004 {\"stream\":\"xusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":7,\"T\":7,"
	"\"s\":\"XUSDT\",\"t\":1,\"p\":\"10.10\",\"q\":\"0.3\",\"m\":false}}\n"
	DIFF(1005, 5, 107, 107, "[\"9.90\",\"0\"]", "")
	DIFF(1006, 6, 108, 108, "", "[\"10.10\",\"0.00\"]")
	"1007 {\"lastUpdateId\":107,\"bids\":[[\"10.05\",\"1.0\"],[\"10.00\",\"0.5\"]],"
	"\"asks\":[[\"10.10\",\"1.5\"],[\"10.20\",\"3.0\"]]}\n"
	DIFF(1008, 8, 109, 109, "[\"10.06\",\"2.0\"]", "")
	"1009 {\"stream\":\"xusdt@bookTicker\",\"data\":{\"u\":109,\"s\":\"XUSDT\","
	"\"b\":\"10.06\",\"B\":\"2.0\",\"a\":\"10.20\",\"A\":\"3.0\"}}\n"
	DIFF(1010, 10, 110, 110, "", "[\"10.055\",\"1.0\"]")
	DIFF(1011, 11, 111, 111, "", "[\"10.30\",\"1.0\"]")
	"1012 {\"stream\":\"xusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":13,\"T\":12,"
	"\"s\":\"YUSDT\",\"t\":2,\"p\":\"10.10\",\"q\":\"0.3\",\"m\":true}}\n"
	"1013 {\"stream\":\"xusdt@aggTrade\",\"data\":{\"e\":\"aggTrade\",\"E\":14,\"T\":14,"
	"\"s\":\"XUSDT\",\"a\":9,\"p\":\"10.20\",\"q\":\"1.2\",\"m\":true}}\n";

Test(inspect, binance_sequence_gaps)
{
	const char *p = t_tmp_path("resync.txt");
	char *out, *err;

	t_write_file(p, bn_resync);
	int rc = t_run(&out, &err, p, "--json", "--tick", "0.01", "--lot", "0.1",
		       "--symbol", "XUSDT", "--levels", "5", NULL);
	cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
	json_t *j = t_json(out);
	cr_assert_str_eq(t_str(j, "format"), "binance");
	/* books (bid / ask in ticks, sizes in 0.1):
	 *   1000x5 / 1010x15      1005x10 1000 990 / 1010x15 1020
	 *   1005x10 1000 / 1010x15 1020 (gap)   1005x10 1000 / 1020x30 (gap)
	 *   1005x10 1000 / 1020x30   1006x20 1005 1000 / 1020x30
	 *   1006x20 1005 1000 / 1020x30 1030 (gap)
	 * trades 1010 x3 buy at 7 ms, 1020 x12 sell at 14 ms */
	T_EQ(j, "events.book", 7);
	T_EQ(j, "events.trade", 2);
	T_EQ(j, "rows.other_symbol", 1);
	T_EQ(j, "anomalies.sequence_gaps", 2);
	T_EQ(j, "anomalies.gap_books", 3);
	T_EQ(j, "anomalies.bad_rows", 1);
	T_EQ(j, "rows.first_bad_line", 11);
	T_EQ(j, "anomalies.out_of_order_book", 0);
	T_EQ(j, "anomalies.out_of_order_trade", 0);
	t_dist(j, "levels_seen.bid.dist", (const long long[]){ 0, 0, 4, 3 }, 4);
	t_dist(j, "levels_seen.ask.dist", (const long long[]){ 0, 3, 4 }, 3);
	cr_assert_eq(json_array_size(t_at(j, "levels_seen.ask.dist")), 6);
	/* spreads 10 5 5 15 15 14 14 -> 5 5 10 14 14 15 15 */
	T_EQ(j, "spread_ticks.count", 7);
	T_EQ(j, "spread_ticks.min", 5);
	T_EQ(j, "spread_ticks.p50", 14);
	T_EQ(j, "spread_ticks.p99", 15);
	T_EQ(j, "spread_ticks.one_tick", 0);
	/* best bid 5 10 10 10 10 20 20; best ask 15 15 15 30 30 30 30 */
	T_EQ(j, "top_size.bid.p50", 10);
	T_EQ(j, "top_size.bid.p99", 20);
	T_EQ(j, "top_size.ask.p50", 30);
	T_EQ(j, "volume.buy", 3);
	T_EQ(j, "volume.sell", 12);
	cr_assert_str_eq(t_str(j, "time.first"), "1970-01-01T00:00:00.002000000Z");
	cr_assert_str_eq(t_str(j, "time.last"), "1970-01-01T00:00:00.014000000Z");
	json_decref(j);
	free(out);
	free(err);

	/* strict stops at the off-grid diff of line 11 */
	rc = t_run(&out, &err, p, "--strict", "--tick", "0.01", "--lot", "0.1", NULL);
	cr_assert_eq(rc, 2);
	cr_assert(strstr(err, "resync.txt:11: a[0] price"), "%s", err);
	free(out);
	free(err);
}

/* ------------------------------------------------------------ LOBSTER */

static int t_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Nearest rank: the value of rank ceil(q n) in sorted v. */
static long long t_rank(long long *v, size_t n, double q)
{
	qsort(v, n, sizeof(v[0]), t_cmp_ll);
	size_t r = (size_t)(q * (double)n);
	if ((double)r < q * (double)n)
		r++;
	return v[r ? r - 1 : 0];
}

/* A histogram quantile: never below the true value, under 1/32 above. */
static void t_near(json_t *j, const char *path, long long want)
{
	long long got = t_int(j, path);
	cr_assert(got >= want && (double)got < (double)want * (1.0 + 1.0 / 32) + 1,
		  "%s: %lld, want %lld (+ < 1/32)", path, got, want);
}

Test(inspect, lobster_sample_against_a_naive_recount)
{
	static long long spread[2000], bid_sz[2000], ask_sz[2000], tr[2000];
	size_t n = 0, nt = 0;
	long long buy = 0, sell = 0, hidden = 0, lv[2][11] = { { 0 } };
	int64_t t_first = -1, t_last = 0;
	char line[1024];

	if (access(T_LOBSTER_OB, R_OK))
		cr_fatal("LOBSTER sample missing: tests/data is bundled with the repository");
	FILE *fo = fopen(T_LOBSTER_OB, "r"), *fm = fopen(T_LOBSTER_MSG, "r");
	cr_assert(fo && fm);
	while (fgets(line, sizeof(line), fo)) {
		long long c[40];
		char *s = line;
		for (int k = 0; k < 40; k++) {
			c[k] = strtoll(s, &s, 10);
			s++;
		}
		/* ask px, ask sz, bid px, bid sz per level; size 0 = empty */
		int nb = 0, na = 0;
		for (int k = 0; k < 10; k++) {
			na += c[4 * k + 1] > 0;
			nb += c[4 * k + 3] > 0;
		}
		lv[0][nb]++;
		lv[1][na]++;
		cr_assert_lt(n, 2000);
		spread[n] = (c[0] - c[2]) / 100;
		ask_sz[n] = c[1];
		bid_sz[n] = c[3];
		n++;
	}
	while (fgets(line, sizeof(line), fm)) {
		long long sec, id, size, px;
		char frac[16];
		int type, dir;
		cr_assert_eq(sscanf(line, "%lld.%9[0-9],%d,%lld,%lld,%lld,%d", &sec, frac,
				    &type, &id, &size, &px, &dir), 7, "%s", line);
		/* seconds after midnight with up to 9 decimals, to ns */
		int64_t t = sec * NS;
		for (int k = 0, scale = 100000000; k < 9; k++, scale /= 10)
			if (frac[k] && (size_t)k < strlen(frac))
				t += (frac[k] - '0') * (int64_t)scale;
		if (t_first < 0)
			t_first = t;
		t_last = t;
		if (type != 4 && type != 5)
			continue;
		tr[nt++] = size;
		hidden += type == 5;
		if (dir == 1)
			sell += size;        /* a resting buy was hit */
		else
			buy += size;
	}
	fclose(fo);
	fclose(fm);

	char *out, *err;
	int rc = t_run(&out, &err, T_LOBSTER_MSG, "--json", "--levels", "10", NULL);
	cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
	json_t *j = t_json(out);
	cr_assert_str_eq(t_str(j, "format"), "lobster");
	T_EQ(j, "events.book", n);
	T_EQ(j, "events.trade", nt);
	/* New York is UTC-4 in June: 34200 s after midnight is 13:30 UTC */
	int64_t mid = (1340236800LL + 4 * 3600) * NS;
	T_EQ(j, "time.first_ns", mid + t_first);
	T_EQ(j, "time.last_ns", mid + t_last);
	cr_assert_eq(strncmp(t_str(j, "time.first"), "2012-06-21T13:30:00.", 20), 0,
		     "%s", t_str(j, "time.first"));
	t_dist(j, "levels_seen.bid.dist", lv[0], 11);
	t_dist(j, "levels_seen.ask.dist", lv[1], 11);
	/* spreads stay under 64 ticks here: the histogram is exact */
	long long sp_max = 0, sp_min = LLONG_MAX, one = 0;
	for (size_t i = 0; i < n; i++) {
		sp_max = spread[i] > sp_max ? spread[i] : sp_max;
		sp_min = spread[i] < sp_min ? spread[i] : sp_min;
		one += spread[i] == 1;
	}
	cr_assert_lt(sp_max, 64);
	T_EQ(j, "spread_ticks.count", n);
	T_EQ(j, "spread_ticks.min", sp_min);
	T_EQ(j, "spread_ticks.max", sp_max);
	T_EQ(j, "spread_ticks.one_tick", one);
	T_EQ(j, "spread_ticks.p50", t_rank(spread, n, 0.5));
	T_EQ(j, "spread_ticks.p99", t_rank(spread, n, 0.99));
	t_near(j, "top_size.bid.p50", t_rank(bid_sz, n, 0.5));
	t_near(j, "top_size.bid.p99", t_rank(bid_sz, n, 0.99));
	t_near(j, "top_size.ask.p50", t_rank(ask_sz, n, 0.5));
	t_near(j, "top_size.ask.p99", t_rank(ask_sz, n, 0.99));
	t_near(j, "trade_size.p50", t_rank(tr, nt, 0.5));
	t_near(j, "trade_size.p99", t_rank(tr, nt, 0.99));
	T_EQ(j, "trade_size.max", tr[nt - 1]);   /* sorted by t_rank */
	T_EQ(j, "volume.buy", buy);
	T_EQ(j, "volume.sell", sell);
	T_EQ(j, "volume.hidden_trades", hidden);
	T_EQ(j, "anomalies.crossed", 0);
	T_EQ(j, "anomalies.bad_rows", 0);
	json_decref(j);
	free(out);
	free(err);
}

/* ------------------------------------------------------------ usage */

Test(inspect, bad_usage_exits_2)
{
	const char *p = t_anomaly_journal();
	char *out, *err;
	struct {
		const char *a[4];
		const char *says;
	} cases[] = {
		{ { NULL }, "no FILE" },
		{ { p, "--bogus", NULL }, "unknown option" },
		{ { p, "--levels", "0", NULL }, "--levels" },
		{ { p, "--levels", "21", NULL }, "--levels" },
		{ { p, "--format", "csv", NULL }, "--format" },
		{ { p, "--tick", "-5", NULL }, "--tick" },
		{ { p, p, NULL }, "unexpected argument" },
		{ { p, "--levels", NULL }, "needs a value" },
		{ { t_tmp_path("missing.csv"), NULL }, "missing.csv" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char **a = cases[i].a;
		int rc = t_run(&out, &err, a[0], a[0] ? a[1] : NULL,
			       a[0] && a[1] ? a[2] : NULL, NULL);
		cr_assert_eq(rc, 2, "case %zu: exit %d: %s", i, rc, err);
		cr_assert(strstr(err, cases[i].says), "case %zu: %s", i, err);
		cr_assert_eq(strlen(out), 0, "case %zu", i);
		free(out);
		free(err);
	}
	/* a file in no known format */
	const char *junk = t_tmp_path("junk.txt");
	t_write_file(junk, "hello,world\n");
	int rc = t_run(&out, &err, junk, NULL);
	cr_assert_eq(rc, 2);
	cr_assert(strstr(err, "junk.txt"), "%s", err);
	free(out);
	free(err);

	rc = t_run(&out, &err, "--help", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(strstr(out, "usage: dm-inspect FILE"), "%s", out);
	free(out);
	free(err);
}

Test(inspect, corrupt_journal_is_bad_input)
{
	const char *p = t_anomaly_journal();
	char *out, *err;

	/* flip a byte inside the first record's payload: its crc fails and
	 * valid records follow, so this is corruption, not a torn tail */
	FILE *f = fopen(p, "r+b");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, JOURNAL_HDR_SIZE + JREC_HDR_SIZE + 8, SEEK_SET), 0);
	int c = fgetc(f);
	cr_assert_eq(fseek(f, JOURNAL_HDR_SIZE + JREC_HDR_SIZE + 8, SEEK_SET), 0);
	fputc(c ^ 0xff, f);
	fclose(f);
	int rc = t_run(&out, &err, p, NULL);
	cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
	cr_assert(strstr(err, "hand.jrnl"), "%s", err);
	free(out);
	free(err);
}

/* ------------------------------------------------------------ run journals */

#define T_RUN0 1641211200LL /* 2022-01-03T12:00:00Z */

/* A run's orders journal: one order sent at 12:00:03.0002 on the venue
 * clock, its acknowledgement at 12:00:03.0005 and a fill at 12:00:04.5. */
static void t_orders_journal(const char *path)
{
	static struct journal_writer w;
	struct journal_opts o = { .symbol = "WIN" }; /* as an agent writes it */
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	struct msg_order ord;
	memset(&ord, 0, sizeof(ord));
	ord.hdr.flags = MSG_F_VENUE_TIME;
	ord.hdr.send_ns = T_RUN0 * NS + 3 * NS + 200000;
	ord.client_order_id = ord.decision_id = 7;
	ord.side = 1;
	ord.qty = 1;
	cr_assert_eq(journal_append(&w, JREC_ORDER, &ord, sizeof(ord)), 0);
	struct msg_exec_report x;
	memset(&x, 0, sizeof(x));
	x.client_order_id = 7;
	x.status = EXEC_ACK;
	x.venue_ns = T_RUN0 * NS + 3 * NS + 500000;
	cr_assert_eq(journal_append(&w, JREC_EXEC, &x, sizeof(x)), 0);
	x.status = EXEC_FILLED;
	x.exec_id = 1;
	x.last_qty = x.cum_qty = 1;
	x.venue_ns = T_RUN0 * NS + 4 * NS + 500 * MS;
	cr_assert_eq(journal_append(&w, JREC_EXEC, &x, sizeof(x)), 0);
	cr_assert_eq(journal_close(&w), 0);
}

Test(inspect, a_run_journal_is_named_with_its_records_and_times_not_read_as_a_market)
{
	char dir[PATH_MAX], orders[PATH_MAX + 32], decisions[PATH_MAX + 32], notes[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/run", t_tmp_dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(orders, sizeof(orders), "%s/orders.journal", dir);
	snprintf(decisions, sizeof(decisions), "%s/decisions.journal", t_tmp_dir);
	snprintf(notes, sizeof(notes), "%s/notes.journal", t_tmp_dir);
	t_orders_journal(orders);

	char *out, *err;
	int rc = t_run(&out, &err, orders, NULL);
	cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
	cr_expect_str_empty(out, "no report of a market: %s", out);
	cr_expect(strstr(err, "orders.journal: an orders journal"), "%s", err);
	cr_expect(strstr(err, "3 records (1 orders, 2 execution reports)"), "%s", err);
	cr_expect(strstr(err, "venue times 2022-01-03T12:00:03.000200000Z .. "
			      "2022-01-03T12:00:04.500000000Z"), "%s", err);
	cr_expect(strstr(err, "not market data") && strstr(err, "'dm-journal "), "%s", err);
	cr_expect(strstr(err, "--market JOURNAL"), "no market beside it: %s", err);
	free(out);
	free(err);

	/* a market journal beside it (a run directory): the command names it */
	char market[PATH_MAX + 32];
	snprintf(market, sizeof(market), "%s/market.journal", dir);
	static struct journal_writer w;
	struct journal_opts mo = { .symbol = "WIN", .tick_size = "5" };
	cr_assert_eq(journal_open_write(&w, market, &mo), 0);
	cr_assert_eq(journal_close(&w), 0);
	rc = t_run(&out, &err, orders, "--json", NULL);
	cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
	cr_expect_str_empty(out);
	cr_expect(strstr(err, "--market ") && strstr(err, "run/market.journal' prints its rows"),
		  "%s", err);
	free(out);
	free(err);

	/* a decisions journal: two decisions at 12:00:05 and 12:00:06.25 of
	 * the market clock */
	struct journal_opts o = { .symbol = "WIN" };
	cr_assert_eq(journal_open_write(&w, decisions, &o), 0);
	struct vote_record d;
	memset(&d, 0, sizeof(d));
	d.version = VOTE_RECORD_VERSION;
	d.decision_id = 1;
	d.market_ns = T_RUN0 * NS + 5 * NS;
	d.decided_ns = 1; /* local: not the time shown */
	cr_assert_eq(journal_append(&w, JREC_DECISION, &d, sizeof(d)), 0);
	d.decision_id = 2;
	d.market_ns = T_RUN0 * NS + 6 * NS + 250 * MS;
	cr_assert_eq(journal_append(&w, JREC_DECISION, &d, sizeof(d)), 0);
	cr_assert_eq(journal_close(&w), 0);
	rc = t_run(&out, &err, decisions, "--format", "journal", NULL);
	cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
	cr_expect(strstr(err, "a decisions journal"), "%s", err);
	cr_expect(strstr(err, "2 records (2 decisions), market times "
			      "2022-01-03T12:00:05.000000000Z .. 2022-01-03T12:00:06.250000000Z"),
		  "%s", err);
	free(out);
	free(err);

	/* notes alone: no market either */
	cr_assert_eq(journal_open_write(&w, notes, &o), 0);
	cr_assert_eq(journal_append(&w, JREC_NOTE, "restart", 7), 0);
	cr_assert_eq(journal_close(&w), 0);
	rc = t_run(&out, &err, notes, NULL);
	cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
	cr_expect(strstr(err, "a journal of no market event: 1 record (1 notes)"), "%s", err);
	free(out);
	free(err);

	/* a market journal of no event stays a market of 0 events */
	rc = t_run(&out, &err, market, NULL);
	cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
	cr_expect(strstr(out, "events        0 ="), "%s", out);
	free(out);
	free(err);
}
