/*
 * test_feed_tools.c — the instrument travels with the data, and the tools
 * that read market data agree on their options.
 *
 *   feed_resolve   the instrument of every bundled sample in its own units
 *                  (LOBSTER dollars, Binance from the file, NEG from the
 *                  configuration, a journal from its header), and the fit
 *                  check that refuses a tick or lot the data is not on.
 *   tools          each bundled sample with book data through dm-convert,
 *                  then dm-features on the file and on the journal: the CSVs
 *                  are equal byte for byte; dm-features on NEG (trades only)
 *                  exits 1 and writes nothing; dm-convert --json and
 *                  dm-inspect --json carry the same "instrument";
 *                  dm-inspect --list-symbols against a naive recount.
 *   cli            every tool of the feed family with --version, --help and
 *                  an unknown option: exit codes and message format.
 *
 * Expected values are computed here from the sample files' own text (the
 * decimals the prices and sizes are written with, zcat + a scan), never
 * taken from the tools.  Tests run from the repository root.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/config/config.h"
#include "libcore/feed/feed.h"
#include "libcore/journal/journal.h"
#include "libcore/msg/msg.h"
#include "tests/helpers.h"

#define DATA     "tests/data"
#define LOB_MSG  DATA "/lobster-aapl-20120621-excerpt/AAPL_2012-06-21_34200000_57600000_message_10.csv"
#define LOB_OB   DATA "/lobster-aapl-20120621-excerpt/AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"
#define BN_SPOT  DATA "/binance-ws-raw-hftbacktest/spot_btcusdt_20240808.jsonl.gz"
#define BN_USDM  DATA "/binance-ws-raw-hftbacktest/usdm_btcusdt_20240808.jsonl.gz"
#define NEG_OPT  DATA "/b3-neg-ofer-gethfdata/NEG_OPCOES_20151126.TXT.gz"

static void t_setup(void)
{
	t_tmp_init("dmfeedtools");
	const char *need[] = { LOB_MSG, LOB_OB, BN_SPOT, BN_USDM, NEG_OPT };
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (access(need[i], R_OK))
			cr_fatal("%s missing: the bundled samples live in tests/data "
				 "(run from the repository root)", need[i]);
}

static void t_teardown(void)
{
	t_tmp_cleanup();
}

/* build/bin/NAME of the build this test belongs to */
static const char *t_bin(const char *name)
{
	static char bin[4][PATH_MAX];
	static int k;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	cr_assert_gt(n, 0);
	self[n] = '\0';
	char *b = bin[k++ & 3];
	snprintf(b, PATH_MAX, "%s/bin/%s", dirname(dirname(self)), name);
	cr_assert(access(b, X_OK) == 0, "%s not built", b);
	return b;
}

/* The whole file as a string (malloc'd; caller frees). */
static char *t_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	cr_assert(b);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	return b;
}

struct t_out {
	int status;
	char *out, *err;   /* malloc'd */
};

/* Run tool with args (NULL-terminated), stdout and stderr captured. */
static void t_run(struct t_out *r, const char *tool, const char *const *args)
{
	const char *argv[40];
	char o[300], e[300];
	int n = 0, st;

	argv[n++] = t_bin(tool);
	for (int i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	snprintf(o, sizeof(o), "%s/run.out", t_tmp_dir);
	snprintf(e, sizeof(e), "%s/run.err", t_tmp_dir);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
			_exit(120);
		execv(argv[0], (char *const *)argv);
		_exit(121);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = t_slurp(o);
	r->err = t_slurp(e);
}

static void t_free(struct t_out *r)
{
	free(r->out);
	free(r->err);
}

/*
 * The finest decimal step the quoted numbers of a Binance capture are
 * written with, found by a scan of the text independent of the readers:
 * for every "price","qty" pair of "b"/"a" arrays (and "p"/"q" of trades),
 * the number of significant decimals; the result is 10^-max over the file.
 */
static void t_binance_decimals(const char *path, int *px_dec, int *qty_dec)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "zcat '%s' | grep -o '\\[\"[0-9.]*\",\"[0-9.]*\"\\]' | "
		 "awk -F'\"' '{ for (k = 2; k <= 4; k += 2) { split($k, a, \".\"); "
		 "sub(/0+$/, \"\", a[2]); d = length(a[2]); if (d > m[k]) m[k] = d } } "
		 "END { print m[2] + 0, m[4] + 0 }'", path);
	FILE *p = popen(cmd, "r");
	cr_assert(p);
	cr_assert_eq(fscanf(p, "%d %d", px_dec, qty_dec), 2);
	pclose(p);
}

static void t_pow10_text(int dec, char *buf, size_t len)
{
	if (dec == 0)
		snprintf(buf, len, "1");
	else
		snprintf(buf, len, "0.%0*d", dec, 1);
}

/* ------------------------------------------------------------ resolve */

TestSuite(feed_resolve, .init = t_setup, .fini = t_teardown, .timeout = 60);

static int t_resolve(const char *path, const char *tick, const char *lot,
		     struct feed_plan *p, char *err, size_t errlen)
{
	struct feed_want w = { .tick = tick, .lot = lot };
	return feed_resolve(path, &w, p, err, errlen);
}

Test(feed_resolve, lobster_is_in_dollars_and_shares)
{
	static struct feed_plan p;
	char err[512];
	cr_assert_eq(t_resolve(LOB_MSG, NULL, NULL, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.fmt, FEED_LOBSTER);
	cr_assert_str_eq(p.in.symbol, "AAPL");
	cr_assert_str_eq(p.in.tick, "0.01");
	cr_assert_str_eq(p.in.lot, "1");
	cr_assert_str_eq(p.in.currency, "USD");
	cr_assert_float_eq(p.in.point_value, 1.0, 1e-12);
	/* the reader counts dollars x 10000: one cent is 100 of its units */
	cr_assert_float_eq(p.fo.tick, 100.0, 1e-9);
	/* every LOBSTER price is a whole cent */
	cr_assert_str_eq(p.grid_px, "0.01");

	/* --tick 0.01 says the same thing as the default */
	static struct feed_plan q;
	cr_assert_eq(t_resolve(LOB_MSG, "0.01", "1", &q, err, sizeof(err)), 0, "%s", err);
	cr_assert_float_eq(q.fo.tick, 100.0, 1e-9);
}

Test(feed_resolve, a_tick_off_the_data_is_refused_naming_the_one_that_fits)
{
	static struct feed_plan p;
	char err[512];
	/* dollars: 0.05 leaves most cents off its grid; 100 (the file's raw
	 * unit, once the meaning of --tick in dm-convert) even more so */
	cr_assert_eq(t_resolve(LOB_MSG, "0.05", NULL, &p, err, sizeof(err)), -EDOM);
	cr_assert(strstr(err, "tick 0.05 (--tick) does not fit the data"), "%s", err);
	cr_assert(strstr(err, "give --tick 0.01"), "%s", err);
	cr_assert_eq(t_resolve(LOB_MSG, "100", NULL, &p, err, sizeof(err)), -EDOM);
	cr_assert(strstr(err, "give --tick 0.01"), "%s", err);
	/* a lot of 7 shares: sizes are not multiples of 7 */
	cr_assert_eq(t_resolve(LOB_MSG, NULL, "7", &p, err, sizeof(err)), -EDOM);
	cr_assert(strstr(err, "lot 7 (--lot) does not fit"), "%s", err);
	cr_assert(strstr(err, "give --lot 1"), "%s", err);
	/* malformed: more than 8 decimals, negative, text */
	cr_assert_eq(t_resolve(LOB_MSG, "0.000000001", NULL, &p, err, sizeof(err)), -EINVAL);
	cr_assert_eq(t_resolve(LOB_MSG, "-1", NULL, &p, err, sizeof(err)), -EINVAL);
	cr_assert_eq(t_resolve(LOB_MSG, "cent", NULL, &p, err, sizeof(err)), -EINVAL);
}

Test(feed_resolve, binance_tick_and_lot_are_found_from_the_file)
{
	const char *files[] = { BN_SPOT, BN_USDM };
	for (int i = 0; i < 2; i++) {
		static struct feed_plan p;
		char err[512], want_px[16], want_qty[16];
		int pd, qd;
		t_binance_decimals(files[i], &pd, &qd);
		t_pow10_text(pd, want_px, sizeof(want_px));
		t_pow10_text(qd, want_qty, sizeof(want_qty));
		cr_assert_eq(t_resolve(files[i], NULL, NULL, &p, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(p.fmt, FEED_BINANCE);
		cr_assert_str_eq(p.in.symbol, "BTCUSDT");
		cr_assert_str_eq(p.in.currency, "USDT");
		cr_assert_str_eq(p.in.tick, want_px, "%s: tick %s, the text has %d decimals",
				 files[i], p.in.tick, pd);
		cr_assert_str_eq(p.in.lot, want_qty, "%s: lot %s, the text has %d decimals",
				 files[i], p.in.lot, qd);
		cr_assert_float_eq(p.in.point_value, p.in.lot_v, 1e-15, "USDT per USDT per lot");
		cr_assert(p.recv_clock);
	}
}

Test(feed_resolve, neg_takes_the_configured_instrument_and_refuses_a_misfit)
{
	static struct feed_plan p;
	char err[512];
	/* the built-in configuration is WIN: tick 5 points; options trade in
	 * centavos */
	cr_assert_eq(t_resolve(NEG_OPT, NULL, NULL, &p, err, sizeof(err)), -EDOM);
	cr_assert(strstr(err, "tick 5 (the configured instrument's, WIN) does not fit"), "%s", err);
	cr_assert(strstr(err, "give --tick 0.01"), "%s", err);
	cr_assert(strstr(err, "--list-symbols"), "%s", err);
	cr_assert_eq(t_resolve(NEG_OPT, "0.01", NULL, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(p.in.currency, "BRL");
	/* not a WIN contract: one BRL per price unit per lot */
	cr_assert_float_eq(p.in.point_value, 1.0, 1e-12);
	/* B3 local time by default: the configuration's UTC-3 */
	cr_assert_eq(p.fo.utc_offset_s, -180 * 60);
}

Test(feed_resolve, a_journal_names_its_own_instrument)
{
	struct journal_writer w;
	struct journal_opts o = { .symbol = "BTCUSDT", .tick_size = "0.1", .lot_size = "0.001",
				  .currency = "USDT", .point_value = 0.001,
				  .hdr_flags = JOURNAL_HDR_F_RECV_TIME };
	const char *j = t_tmp_path("h.jrnl");
	cr_assert_eq(journal_open_write(&w, j, &o), 0);
	cr_assert_eq(journal_close(&w), 0);

	static struct feed_plan p;
	char err[512];
	cr_assert_eq(t_resolve(j, NULL, NULL, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.fmt, FEED_JOURNAL);
	cr_assert_str_eq(p.in.symbol, "BTCUSDT");
	cr_assert_str_eq(p.in.tick, "0.1");
	cr_assert_str_eq(p.in.lot, "0.001");
	cr_assert_str_eq(p.in.currency, "USDT");
	cr_assert_float_eq(p.in.point_value, 0.001, 1e-15);
	cr_assert(p.recv_clock);
	/* the same tick is fine, another cannot re-grid whole ticks */
	cr_assert_eq(t_resolve(j, "0.10", NULL, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(t_resolve(j, "0.01", NULL, &p, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "cannot re-grid"), "%s", err);
}

/* ------------------------------------------------------------ tools */

TestSuite(feed_tools, .init = t_setup, .fini = t_teardown, .timeout = 120);

Test(feed_tools, features_from_a_converted_journal_equal_features_from_the_file)
{
	const char *files[] = { LOB_MSG, BN_SPOT, BN_USDM };
	for (int i = 0; i < 3; i++) {
		char j[300], a[300], b[300];
		struct t_out r;
		snprintf(j, sizeof(j), "%s", t_tmp_path("s.jrnl"));
		snprintf(a, sizeof(a), "%s", t_tmp_path("file.csv"));
		snprintf(b, sizeof(b), "%s", t_tmp_path("journal.csv"));
		const char *conv[] = { "--input", files[i], "--output", j, "--quiet", NULL };
		t_run(&r, "dm-convert", conv);
		cr_assert_eq(r.status, 0, "%s: %s", files[i], r.err);
		t_free(&r);
		const char *fa[] = { "--input", files[i], "--output", a, "--quiet", NULL };
		t_run(&r, "dm-features", fa);
		cr_assert_eq(r.status, 0, "%s: %s", files[i], r.err);
		t_free(&r);
		const char *fb[] = { "--input", j, "--output", b, "--quiet", NULL };
		t_run(&r, "dm-features", fb);
		cr_assert_eq(r.status, 0, "%s: %s", j, r.err);
		t_free(&r);
		char *ca = t_slurp(a), *cb = t_slurp(b);
		size_t rows = 0;
		for (char *p = ca; *p; p++)
			rows += *p == '\n';
		cr_assert_gt(rows, 900, "%s: %zu rows", files[i], rows);
		cr_assert(strcmp(ca, cb) == 0, "%s: the journal's features differ", files[i]);
		free(ca);
		free(cb);
	}

	/* LOBSTER: the first row's mid is the dollars of the orderbook's first
	 * row, not its raw units */
	FILE *f = fopen(LOB_OB, "r");
	long ask, aq, bid;
	cr_assert(f);
	cr_assert_eq(fscanf(f, "%ld,%ld,%ld", &ask, &aq, &bid), 3);
	fclose(f);
	char *csv = t_slurp(t_tmp_path("journal.csv")); /* last: USD-M; redo LOBSTER */
	free(csv);
	struct t_out r;
	const char *fl[] = { "--input", LOB_MSG, "--output", t_tmp_path("l.csv"), "--quiet", NULL };
	t_run(&r, "dm-features", fl);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_free(&r);
	csv = t_slurp(t_tmp_path("l.csv"));
	char *row = strchr(csv, '\n') + 1;
	double mid;
	cr_assert_eq(sscanf(strchr(row, ',') + 1, "%lf", &mid), 1);
	cr_assert_float_eq(mid, (ask + bid) / 20000.0, 1e-9, "mid %.6f", mid);
	free(csv);
}

Test(feed_tools, neg_has_no_book_so_dm_features_exits_1_and_writes_nothing)
{
	struct t_out r;
	const char *out = t_tmp_path("neg.csv");
	const char *a[] = { "--input", NEG_OPT, "--tick", "0.01", "--output", out, NULL };
	t_run(&r, "dm-features", a);
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "NEG files hold trades only"), "%s", r.err);
	cr_assert(access(out, F_OK) != 0, "an empty CSV was left behind");
	t_free(&r);
}

Test(feed_tools, convert_json_and_inspect_json_carry_the_same_instrument)
{
	struct t_out r;
	json_error_t je;
	const char *j = t_tmp_path("a.jrnl");
	const char *a[] = { "--input", LOB_MSG, "--output", j, "--json", NULL };
	t_run(&r, "dm-convert", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_t *c = json_loads(r.out, 0, &je);
	cr_assert(c, "not JSON: %s", r.out);
	const char *keys[] = { "input", "format", "rows", "bad_rows", "events", "book_events",
			       "trade_events", "output", "instrument" };
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		cr_assert(json_object_get(c, keys[k]), "no \"%s\"", keys[k]);
	cr_assert_eq(json_integer_value(json_object_get(c, "rows")), 999);
	cr_assert_eq(json_integer_value(json_object_get(c, "events")), 1158);
	json_t *in = json_object_get(c, "instrument");
	cr_assert_str_eq(json_string_value(json_object_get(in, "symbol")), "AAPL");
	cr_assert_str_eq(json_string_value(json_object_get(in, "tick")), "0.01");
	cr_assert_str_eq(json_string_value(json_object_get(in, "lot")), "1");
	cr_assert_str_eq(json_string_value(json_object_get(in, "currency")), "USD");
	t_free(&r);

	const char *b[] = { j, "--json", NULL };
	t_run(&r, "dm-inspect", b);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_t *s = json_loads(r.out, 0, &je);
	cr_assert(s, "not JSON: %s", r.out);
	cr_assert(json_equal(in, json_object_get(s, "instrument")), "%s", r.out);
	/* prices in dollars: the orderbook's best prices lie in this range */
	const char *lo = json_string_value(json_object_get(json_object_get(s, "prices"), "min"));
	cr_assert(lo && atof(lo) > 500 && atof(lo) < 700, "min price %s", lo ? lo : "-");
	json_decref(c);
	json_decref(s);
	t_free(&r);
}

Test(feed_tools, convert_exits_1_on_no_events_and_names_the_fitting_tick)
{
	struct t_out r;
	const char *in = t_tmp_path("empty.tsv"), *out = t_tmp_path("e.jrnl");
	t_write_file(in, "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n");
	const char *a[] = { "--input", in, "--output", out, NULL };
	t_run(&r, "dm-convert", a);
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "no event"), "%s", r.err);
	cr_assert(access(out, F_OK) != 0);
	t_free(&r);

	const char *b[] = { "--input", LOB_MSG, "--tick", "0.05", "--output", out, NULL };
	t_run(&r, "dm-convert", b);
	cr_assert_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "give --tick 0.01"), "%s", r.err);
	cr_assert(access(out, F_OK) != 0);
	t_free(&r);
}

Test(feed_tools, list_symbols_of_a_neg_file_against_a_recount)
{
	/* naive recount: field 2 of every data line (not RH / RT) */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "zcat '%s' | grep -v '^R[HT] ' | awk -F';' "
		 "'{ gsub(/ /, \"\", $2); n[$2]++; if ($7 + 0 == 1) t[$2]++ } END "
		 "{ for (s in n) print s, n[s], t[s] + 0 }' | sort", NEG_OPT);
	FILE *p = popen(cmd, "r");
	cr_assert(p);
	char sym[64];
	unsigned long rows, trades;
	size_t want = 0;
	struct t_out r;
	const char *a[] = { "--list-symbols", NEG_OPT, "--json", NULL };
	t_run(&r, "dm-inspect", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_error_t je;
	json_t *o = json_loads(r.out, 0, &je), *arr = json_object_get(o, "symbols");
	cr_assert(json_is_array(arr), "%s", r.out);
	while (fscanf(p, "%63s %lu %lu", sym, &rows, &trades) == 3) {
		int found = 0;
		for (size_t i = 0; i < json_array_size(arr); i++) {
			json_t *e = json_array_get(arr, i);
			if (strcmp(json_string_value(json_object_get(e, "symbol")), sym))
				continue;
			found = 1;
			cr_assert_eq(json_integer_value(json_object_get(e, "rows")), (json_int_t)rows,
				     "%s rows", sym);
			cr_assert_eq(json_integer_value(json_object_get(e, "trades")),
				     (json_int_t)trades, "%s trades", sym);
		}
		cr_assert(found, "%s not listed", sym);
		want++;
	}
	pclose(p);
	cr_assert_gt(want, 100);
	cr_assert_eq(json_array_size(arr), want);
	json_decref(o);
	t_free(&r);

	/* the text form names them too; a single-instrument format is refused */
	const char *b[] = { "--list-symbols", NEG_OPT, NULL };
	t_run(&r, "dm-inspect", b);
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "ABEVA20"), "%s", r.out);
	t_free(&r);
	const char *c[] = { "--list-symbols", LOB_MSG, NULL };
	t_run(&r, "dm-inspect", c);
	cr_assert_eq(r.status, 2);
	t_free(&r);
}

/* ------------------------------------------------------------ cli */

TestSuite(feed_cli, .init = t_setup, .fini = t_teardown, .timeout = 60);

Test(feed_cli, every_tool_takes_version_help_and_refuses_an_unknown_option_alike)
{
	const char *tools[] = { "dm-convert", "dm-features", "dm-inspect", "dm-hawkes-fit",
				"dm-study", "dm-gen", "dm-label", "dm-train" };
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		struct t_out r;
		char want[128];
		const char *v[] = { "--version", NULL };
		t_run(&r, tools[i], v);
		cr_assert_eq(r.status, 0, "%s --version", tools[i]);
		snprintf(want, sizeof(want), "%s (DreamMaker) ", tools[i]);
		cr_assert(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
		t_free(&r);

		const char *h[] = { "--help", NULL };
		t_run(&r, tools[i], h);
		cr_assert_eq(r.status, 0, "%s --help", tools[i]);
		cr_assert(strstr(r.out, "usage: "), "%s", r.out);
		cr_assert(strstr(r.out, "--version"), "%s --help lacks --version", tools[i]);
		cr_assert(strstr(r.out, "--quiet"), "%s --help lacks --quiet", tools[i]);
		cr_assert(strstr(r.out, "-c, --config"), "%s --help lacks -c, --config", tools[i]);
		cr_assert(strstr(r.out, "--json"), "%s --help lacks --json", tools[i]);
		if (i < 5) /* the tools that read a feed */
			for (const char *const *o = (const char *const[]){ "--tick", "--lot",
			     "--levels", "--symbol", "--utc-offset", "--strict", "--format",
			     NULL }; *o; o++)
				cr_assert(strstr(r.out, *o), "%s --help lacks %s", tools[i], *o);
		t_free(&r);

		const char *u[] = { "--bogus", NULL };
		t_run(&r, tools[i], u);
		cr_assert_eq(r.status, 2, "%s --bogus: exit %d", tools[i], r.status);
		snprintf(want, sizeof(want), "%s: unknown option '--bogus'\n(%s --help for usage)\n",
			 tools[i], tools[i]);
		cr_assert_str_eq(r.err, want);
		t_free(&r);

		/* -c and --config are one option */
		const char *c[] = { "--config", t_tmp_path("nope.yaml"), "--help", NULL };
		t_run(&r, tools[i], c);
		cr_assert_eq(r.status, 0, "%s --config F --help", tools[i]);
		t_free(&r);
	}

	/* the segment tools: the same --version and unknown-option contract */
	const char *seg_tools[] = { "dm-seg", "dm-shmdump" };
	for (size_t i = 0; i < 2; i++) {
		struct t_out r;
		char want[128];
		const char *v[] = { "--version", NULL };
		t_run(&r, seg_tools[i], v);
		cr_assert_eq(r.status, 0, "%s --version", seg_tools[i]);
		snprintf(want, sizeof(want), "%s (DreamMaker) ", seg_tools[i]);
		cr_assert(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
		t_free(&r);
		const char *u[] = { "--bogus", NULL };
		t_run(&r, seg_tools[i], u);
		cr_assert_eq(r.status, 2, "%s --bogus: exit %d", seg_tools[i], r.status);
		snprintf(want, sizeof(want), "%s: unknown option '--bogus'\n(%s --help for usage)\n",
			 seg_tools[i], seg_tools[i]);
		cr_assert_str_eq(r.err, want);
		t_free(&r);
	}

	/* a feed tool refuses a malformed feed option with the same words */
	const char *feed_tools[] = { "dm-convert", "dm-features", "dm-inspect", "dm-hawkes-fit",
				     "dm-study" };
	for (size_t i = 0; i < 5; i++) {
		struct t_out r;
		const char *a[] = { "--tick", "0.000000001", LOB_MSG, NULL };
		t_run(&r, feed_tools[i], a);
		cr_assert_eq(r.status, 2);
		cr_assert(strstr(r.err, "--tick '0.000000001': expected a positive decimal with "
				 "at most 8 decimals"), "%s: %s", feed_tools[i], r.err);
		t_free(&r);
		const char *b[] = { "--levels", "21", LOB_MSG, NULL };
		t_run(&r, feed_tools[i], b);
		cr_assert_eq(r.status, 2);
		cr_assert(strstr(r.err, "--levels '21': expected a whole number 1..20"), "%s: %s",
			  feed_tools[i], r.err);
		t_free(&r);
	}
}

Test(feed_cli, hawkes_fit_reads_lobster_in_dollars_without_a_tick)
{
	/* once its --tick defaulted to 1e-8 of the file's unit; now the
	 * shared rule: LOBSTER 0.01 dollars */
	struct t_out r;
	const char *a[] = { "--input", LOB_MSG, "--json", "--model", "uni", "--starts", "1", NULL };
	t_run(&r, "dm-hawkes-fit", a);
	cr_assert(r.status == 0 || r.status == 2, "exit %d: %s", r.status, r.err);
	cr_assert(!strstr(r.err, "does not fit"), "%s", r.err);
	t_free(&r);
	const char *b[] = { "--input", LOB_MSG, "--tick", "0.05", NULL };
	t_run(&r, "dm-hawkes-fit", b);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "give --tick 0.01"), "%s", r.err);
	t_free(&r);
}

Test(feed_tools, convert_strict_names_the_row_dated_past_2262)
{
	struct t_out r;
	const char *in = t_tmp_path("range.tsv"), *out = t_tmp_path("range.jrnl");
	char want[600];

	t_write_file(in, "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
			 "2022.01.03\t09:00:00.000\t108400\t108405\t\t\t6\n"
			 "2263.01.01\t09:00:00.000\t108400\t108410\t\t\t6\n"
			 "1677.12.31\t09:00:00.000\t108400\t108415\t\t\t6\n"
			 "2022.01.03\t99999999999999\t108400\t108420\t\t\t6\n"
			 "2022.01.03\t09:00:01.000\t108400\t108425\t\t\t6\n");
	const char *a[] = { "--input", in, "--tick", "5", "--strict", "--output", out, NULL };
	t_run(&r, "dm-convert", a);
	cr_assert_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	snprintf(want, sizeof(want), "%s:3: date '2263.01.01': outside 1678-01-01..2262-04-11", in);
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert(access(out, F_OK) != 0);
	t_free(&r);

	/* without --strict the three bad rows are skipped, the two good read */
	const char *b[] = { "--input", in, "--tick", "5", "--max-bad-share", "0.9", "--utc-offset", "0",
			    "--output", out, NULL };
	t_run(&r, "dm-convert", b);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	t_free(&r);
	struct feed_opts o = { .tick = 1 };
	struct feed_reader fr;
	struct event ev;
	char err[512];
	cr_assert_eq(feed_open(&fr, out, FEED_AUTO, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(feed_next(&fr, &ev), 1);
	cr_assert_eq(ev.exch_ns, (1641168000LL + 9 * 3600) * 1000000000LL);
	cr_assert_eq(feed_next(&fr, &ev), 1);
	cr_assert_eq(ev.exch_ns, (1641168000LL + 9 * 3600 + 1) * 1000000000LL);
	cr_assert_eq(ev.book.ask[0].px, 21685);
	cr_assert_eq(feed_next(&fr, &ev), 0);
	feed_close(&fr);
}

/* ------------------------------------------------------------ run journals */

/* A run's orders journal as an agent writes it (the symbol alone in its
 * header): one order sent, its fill. */
static void t_orders_journal(const char *path)
{
	static struct journal_writer w;
	struct journal_opts o = { .symbol = "WIN" };
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	struct msg_order ord;
	memset(&ord, 0, sizeof(ord));
	ord.client_order_id = ord.decision_id = 1;
	cr_assert_eq(journal_append(&w, JREC_ORDER, &ord, sizeof(ord)), 0);
	struct msg_exec_report x;
	memset(&x, 0, sizeof(x));
	x.client_order_id = 1;
	x.status = EXEC_FILLED;
	x.venue_ns = 1641211200LL * 1000000000;
	cr_assert_eq(journal_append(&w, JREC_EXEC, &x, sizeof(x)), 0);
	cr_assert_eq(journal_close(&w), 0);
}

Test(feed_tools, a_run_journal_is_refused_by_every_tool_naming_what_it_holds)
{
	const char *j = t_tmp_path("orders.journal");
	t_orders_journal(j);
	char out[PATH_MAX];
	snprintf(out, sizeof(out), "%s/out", t_tmp_dir);
	struct {
		const char *tool;
		const char *args[10];
	} runs[] = {
		{ "dm-features", { "--input", j, "--output", out, NULL } },
		{ "dm-features", { "--input", j, "--format", "journal", "--output", out, NULL } },
		{ "dm-convert", { "--input", j, "--output", out, NULL } },
		{ "dm-backtest", { "--input", j, "--out", out, NULL } },
		{ "dm-backtest", { "--input", j, "--format", "journal", "--out", out, NULL } },
		{ "dm-hawkes-fit", { "--input", j, NULL } },
		{ "dm-label", { "--input", j, "--output", out, NULL } },
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct t_out r;
		t_run(&r, runs[i].tool, runs[i].args);
		cr_expect_eq(r.status, 2, "%s: exit %d: %s", runs[i].tool, r.status, r.err);
		cr_expect(strstr(r.err, "orders.journal: an orders journal") &&
			  strstr(r.err, "2 records (1 orders, 1 execution reports)"),
			  "%s does not name what the file holds: %s", runs[i].tool, r.err);
		cr_expect(access(out, F_OK) != 0, "%s wrote %s", runs[i].tool, out);
		t_free(&r);
	}
}
