/*
 * test_run.c — `tools/dmctl run` as a new user runs it: the supervisor
 * script of the checkout, the programs of the build under test (DM_BIN =
 * <build>/bin beside <build>/tests), the real samples of tests/data, and
 * the walk-through of docs/operations.md ("Your own data to a paper run")
 * taken block by block from the document itself, so that what the
 * document tells a user to type is what runs here.
 *
 * Each test has its own scratch directory, run directory (DM_RUN_DIR) and
 * segment name (DM_SHM_NAME); the teardown kills whatever a failed test
 * left running and removes the segment.
 *
 * Expected values come from outside the code under test: event counts
 * from dm-inspect on the source file, the currency from the sample's
 * market (LOBSTER AAPL trades in USD, Binance BTCUSDT in USDT), bad-row
 * shares from the rows this file writes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/seg.h"
#include "tests/helpers.h"

#define LOBSTER_MSG "tests/data/lobster-aapl-20120621-excerpt/" \
		    "AAPL_2012-06-21_34200000_57600000_message_10.csv"
#define SPOT_FILE "tests/data/binance-ws-raw-hftbacktest/spot_btcusdt_20240808.jsonl.gz"
#define USDM_FILE "tests/data/binance-ws-raw-hftbacktest/usdm_btcusdt_20240808.jsonl.gz"

static char root[PATH_MAX / 2];   /* the checkout: holds tools/dmctl */
static char bindir[PATH_MAX];     /* the programs of this build */
static char segname[SEG_NAME_MAX];
static char rundir[PATH_MAX];

/* Heap blocks of the running test, freed by the teardown when an assertion
 * ends the test before their owner could. */
static void *held[32];

static void *hold(void *p)
{
	cr_assert_not_null(p, "out of memory");
	for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
		if (!held[i]) {
			held[i] = p;
			return p;
		}
	cr_fatal("more than %zu blocks held", sizeof(held) / sizeof(held[0]));
	return p;
}

static void *rehold(void *old, size_t n)
{
	for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++)
		if (held[i] == old) {
			void *p = realloc(old, n);
			cr_assert_not_null(p, "out of memory");
			held[i] = p;
			return p;
		}
	cr_fatal("realloc of a block not held");
	return NULL;
}

static void release(void *p)
{
	for (size_t i = 0; p && i < sizeof(held) / sizeof(held[0]); i++)
		if (held[i] == p)
			held[i] = NULL;
	free(p);
}

static void setup(void)
{
	struct t_paths p;
	t_paths_or_fail(&p);
	snprintf(root, sizeof(root), "%s", p.root);
	snprintf(bindir, sizeof(bindir), "%s", p.bin);
	cr_assert_eq(chdir(root), 0, "chdir %s: %s", root, strerror(errno));
	t_tmp_init("dmtest-run");
	t_seg_name(segname, sizeof(segname), "run");
	snprintf(rundir, sizeof(rundir), "%s/rundir", t_tmp_dir);
	setenv("DM_SHM_NAME", segname, 1);
	setenv("DM_RUN_DIR", rundir, 1);
	setenv("DM_BIN", bindir, 1);
	setenv("TMPDIR", t_tmp_dir, 1);   /* mktemp -d in the walk-through */
}

static void teardown(void)
{
	t_kill_run(rundir, segname);
	for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
		free(held[i]);
		held[i] = NULL;
	}
	if (getenv("DM_TEST_KEEP") == NULL)
		t_tmp_cleanup();
}

TestSuite(run, .init = setup, .fini = teardown, .timeout = 240);
TestSuite(run_docs, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ helpers */

struct out {
	char  *text;   /* stdout and stderr together, NUL-terminated */
	int    rc;     /* exit status, 128 + signal */
	double secs;   /* wall time */
};

/* Runs a shell command line from the checkout; owns r->text. */
static struct out sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static struct out sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	cr_assert(n > 0 && (size_t)n < sizeof(cmd) - 8, "command too long");
	strcat(cmd, " 2>&1");

	struct out r = { 0 };
	size_t cap = 1 << 16, len = 0;
	r.text = hold(malloc(cap));
	int64_t t0 = t_now_ns();
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p, "popen %s", cmd);
	size_t got;
	while ((got = fread(r.text + len, 1, cap - len - 1, p)) > 0) {
		len += got;
		if (cap - len < 4096) {
			cap *= 2;
			r.text = rehold(r.text, cap);
		}
	}
	r.text[len] = '\0';
	int st = pclose(p);
	r.secs = (double)(t_now_ns() - t0) / 1e9;
	r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return r;
}

static void out_free(struct out *r)
{
	release(r->text);
	r->text = NULL;
}

/* dmctl run's summary: what follows its "summary:" line, or "" */
static const char *summary_of(const char *text)
{
	const char *s = strstr(text, "\nsummary:\n");
	return s ? s : "";
}

/* The number after "\n  <key> " at the start of a summary line, or -1. */
static long long summary_number(const char *text, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\n  %s ", key);
	const char *s = strstr(summary_of(text), pat);
	if (!s)
		return -1;
	s += strlen(pat);
	while (*s == ' ')
		s++;
	char *end;
	long long v = strtoll(s, &end, 10);
	return end == s ? -1 : v;
}

/* The line of text that starts with "  <key> " (summary lines), or "". */
static void summary_line(const char *text, const char *key, char *line, size_t n)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\n  %s ", key);
	const char *s = strstr(summary_of(text), pat);
	line[0] = '\0';
	if (!s)
		return;
	s += 1;
	size_t k = strcspn(s, "\n");
	snprintf(line, n, "%.*s", (int)(k < n - 1 ? k : n - 1), s);
}

/* events.total of `dm-inspect FILE --json` */
static long long inspect_events(const char *file)
{
	struct out r = sh("'%s/dm-inspect' '%s' --json", bindir, file);
	cr_assert_eq(r.rc, 0, "dm-inspect %s: %s", file, r.text);
	json_error_t e;
	json_t *doc = json_loads(r.text, 0, &e);
	cr_assert_not_null(doc, "dm-inspect --json: %s", e.text);
	long long v = json_integer_value(json_object_get(json_object_get(doc, "events"), "total"));
	json_decref(doc);
	out_free(&r);
	return v;
}

/* The P&L line says `ccy` (a whole word) and no other currency. */
static void expect_pnl_in(const char *text, const char *ccy)
{
	char line[512], word[16];
	summary_line(text, "P&L", line, sizeof(line));
	cr_assert(line[0], "no P&L line in:\n%s", text);
	snprintf(word, sizeof(word), " %s", ccy);
	const char *w = strstr(line, word);
	cr_expect(w && (w[strlen(word)] == ',' || w[strlen(word)] == ' ' ||
			w[strlen(word)] == ')' || w[strlen(word)] == '\0'),
		  "P&L not in %s: %s", ccy, line);
	static const char *const others[] = { "BRL", "USD", "USDT" };
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(others[i], ccy) == 0)
			continue;
		snprintf(word, sizeof(word), " %s,", others[i]);
		cr_expect_null(strstr(line, word), "P&L in %s, not %s: %s", others[i], ccy, line);
	}
}

/* The run stopped before dm-seg create and the supervisor ran. */
static void expect_nothing_started(const char *text)
{
	cr_expect_null(strstr(text, "six agents running"), "processes started:\n%s", text);
	cr_expect_null(strstr(text, "created /"), "a segment was created:\n%s", text);
}

/* Nothing of the run is left: no segment, no process in a pid file. */
static void expect_nothing_left(void)
{
	char p[SEG_NAME_MAX + 16];
	snprintf(p, sizeof(p), "/dev/shm%s", segname);
	cr_expect(!t_exists(p), "segment %s left behind", segname);
	static const char *const agents[] = { "supervisor", "coordinator", "risk", "execution",
		"feature", "ml", "data" };
	for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++) {
		char f[PATH_MAX + 64];
		snprintf(f, sizeof(f), "%s/%s.pid", rundir, agents[i]);
		FILE *fp = fopen(f, "r");
		if (!fp)
			continue;
		int pid = 0;
		if (fscanf(fp, "%d", &pid) == 1 && pid > 1)
			cr_expect(kill(pid, 0) != 0, "%s (pid %d) still runs", agents[i], pid);
		fclose(fp);
	}
}

/* ------------------------------------------------------------ make run */

/* make passes its variables through as dmctl's options, each once. */
Test(run_docs, make_run_passes_the_feed_options_through)
{
	struct out r = sh("make -n run DATA=x.csv FORMAT=lobster TICK=0.01 LOT=1 SYMBOL=AAPL "
			  "UTC_OFFSET=-180 CONF=conf/default.yaml | grep '^tools/dmctl'");
	cr_assert_eq(r.rc, 0, "make -n run: %s", r.text);
	cr_expect_str_eq(r.text, "tools/dmctl -c \"conf/default.yaml\" run --input \"x.csv\" "
				 "--format \"lobster\" --tick \"0.01\" --lot \"1\" --symbol \"AAPL\" "
				 "--utc-offset \"-180\"\n");
	out_free(&r);
	r = sh("make -n run | grep '^tools/dmctl'");
	cr_expect_str_eq(r.text, "tools/dmctl run\n", "plain make run: %s", r.text);
	out_free(&r);
}

/* ------------------------------------------------------------ supervisor */

/*
 * An agent that exits 2 refused its input: the supervisor stops the run
 * at once and dmctl prints that agent's reason, exit 2; no restart.
 */
Test(run, agent_exiting_2_stops_the_run_with_its_reason)
{
	const char *in = t_tmp_path("market.txt");
	t_write_file(in, "this is not market data\nnor is this\n");
	struct out r = sh("tools/dmctl start --input '%s'", in);
	cr_expect_eq(r.rc, 2, "exit %d:\n%s", r.rc, r.text);
	/* at once: not after the 15 s start timeout, nor a crash loop */
	cr_expect_lt(r.secs, 12.0, "%.1f s to the error", r.secs);
	cr_expect(strstr(r.text, "the data agent refused to run") != NULL, "%s", r.text);
	/* the agent's own words, not a tail of every log */
	cr_expect(strstr(r.text, "cannot tell the format") != NULL, "%s", r.text);
	cr_expect_null(strstr(r.text, "==>"), "every agent's log tail:\n%s", r.text);
	struct out s = sh("grep -c 'restart in' '%s/supervisor.log'", rundir);
	cr_expect_str_eq(s.text, "0\n", "restarted:\n%s", s.text);
	out_free(&s);
	expect_nothing_left();
	out_free(&r);
}

/* A journal whose body is not a journal stops before any process starts. */
Test(run, garbage_journal_refused_before_anything_starts)
{
	const char *in = t_tmp_path("bad.journal");
	t_write_file(in, "DMJRNL and then nothing a journal holds\n");
	struct out r = sh("tools/dmctl run --input '%s'", in);
	cr_expect_eq(r.rc, 2, "exit %d:\n%s", r.rc, r.text);
	cr_expect_lt(r.secs, 5.0);
	expect_nothing_started(r.text);
	cr_expect(strstr(r.text, "not a journal the data agent can replay") != NULL, "%s", r.text);
	expect_nothing_left();
	out_free(&r);
}

/* ------------------------------------------------------------ checks before start */

Test(run, options_checked)
{
	struct out r = sh("tools/dmctl run --timeout 5");
	cr_expect_eq(r.rc, 2, "%s", r.text);
	cr_expect(strstr(r.text, "--timeout '5'") != NULL, "%s", r.text);
	out_free(&r);
	r = sh("tools/dmctl run --tick 0.01");
	cr_expect_eq(r.rc, 2, "%s", r.text);
	cr_expect(strstr(r.text, "need --input") != NULL, "%s", r.text);
	out_free(&r);
	r = sh("tools/dmctl run --input '%s' --max-bad-share 5", LOBSTER_MSG);
	cr_expect_eq(r.rc, 2, "%s", r.text);
	out_free(&r);
	r = sh("tools/dmctl run --input /nonexistent/market.csv");
	cr_expect_eq(r.rc, 2, "%s", r.text);
	cr_expect(strstr(r.text, "/nonexistent/market.csv") != NULL, "%s", r.text);
	out_free(&r);
}

/* A bad configuration stops the run before any market data is made. */
Test(run, bad_configuration_refused_before_any_market_data)
{
	const char *conf = t_tmp_path("site.yaml");
	t_write_file(conf, "# a site file\ninstrument:\n  tick_size: -3\n");
	struct out r = sh("tools/dmctl -c '%s' run --events 1000", conf);
	cr_expect_eq(r.rc, 2, "exit %d:\n%s", r.rc, r.text);
	/* the loader's file:line and key */
	cr_expect(strstr(r.text, "site.yaml:3") != NULL, "no file:line:\n%s", r.text);
	cr_expect(strstr(r.text, "tick_size") != NULL, "no key:\n%s", r.text);
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/market.journal", rundir);
	cr_expect(!t_exists(p), "market data made before the configuration was checked");
	expect_nothing_left();
	out_free(&r);
}

#define MT5_HDR "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"

/* An MT5 export of n rows on the WIN grid, every (n / bad)th unreadable. */
static void write_mt5(const char *path, int n, int bad)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(MT5_HDR, f);
	for (int i = 0; i < n; i++) {
		if (bad && i % (n / bad) == n / bad / 2) {
			fputs("2022.01.03\tnot a time\tx\ty\t\t\t6\n", f);
			continue;
		}
		int bid = 108400 + 5 * (i % 7);
		fprintf(f, "2022.01.03\t09:%02d:%02d.%03d\t%d\t%d\t\t\t6\n", i / 60, i % 60, i,
			bid, bid + 5);
	}
	fclose(f);
}

/* 0 events: dm-convert's exit 1 ends the run before it starts. */
Test(run, zero_events_refused_before_start)
{
	const char *in = t_tmp_path("empty.mt5");
	t_write_file(in, MT5_HDR);
	struct out r = sh("tools/dmctl run --input '%s'", in);
	cr_expect_eq(r.rc, 1, "exit %d:\n%s", r.rc, r.text);
	cr_expect(strstr(r.text, "0 events") || strstr(r.text, "no events"), "%s", r.text);
	expect_nothing_started(r.text);
	expect_nothing_left();
	out_free(&r);
}

/* 3 bad rows of 60 = 5%: above the default 1%, below --max-bad-share 0.1 */
Test(run, bad_row_share_above_the_limit_refused)
{
	const char *in = t_tmp_path("quotes.mt5");
	write_mt5(in, 60, 3);
	struct out c = sh("grep -c 'not a time' '%s'", in);
	cr_assert_str_eq(c.text, "3\n");
	out_free(&c);
	struct out r = sh("tools/dmctl run --input '%s'", in);
	cr_expect_eq(r.rc, 2, "exit %d:\n%s", r.rc, r.text);
	expect_nothing_started(r.text);
	out_free(&r);
	/* past the input check, the run goes through, and its verdict is the
	 * next honest one: an MT5 export has no sizes, so every book has an
	 * empty side and the run ignored its input (exit 1, saying so) */
	r = sh("tools/dmctl run --input '%s' --max-bad-share 0.1", in);
	cr_expect_eq(r.rc, 1, "exit %d:\n%s", r.rc, r.text);
	cr_expect(strstr(r.text, "summary:") != NULL, "%s", r.text);
	cr_expect(strstr(r.text, "3 bad") != NULL, "the 3 bad rows are reported:\n%s", r.text);
	cr_expect(strstr(r.text, "not a result") && strstr(r.text, "empty_book"), "%s", r.text);
	expect_pnl_in(r.text, "BRL");
	out_free(&r);
	expect_nothing_left();
}

/* The data's instrument against the user's -c: refused with the fix. */
Test(run, instrument_mismatch_refused_with_the_fix)
{
	struct out r = sh("tools/dmctl -c conf/default.yaml run --input '%s'", LOBSTER_MSG);
	cr_expect_eq(r.rc, 2, "exit %d:\n%s", r.rc, r.text);
	cr_expect(strstr(r.text, "AAPL") != NULL, "the data's instrument:\n%s", r.text);
	cr_expect(strstr(r.text, "WIN") != NULL, "the configured one:\n%s", r.text);
	cr_expect(strstr(r.text, "-c conf/instruments/aapl.yaml") != NULL, "the fix:\n%s", r.text);
	expect_nothing_started(r.text);
	expect_nothing_left();
	out_free(&r);
}

/* Without -c the profile of the data's instrument is picked and named. */
Test(run, lobster_file_runs_with_the_profile_picked)
{
	long long want = inspect_events(LOBSTER_MSG);
	cr_assert_gt(want, 0);
	struct out r = sh("tools/dmctl run --input '%s'", LOBSTER_MSG);
	cr_expect_eq(r.rc, 0, "exit %d:\n%s", r.rc, r.text);
	cr_expect(strstr(r.text, "configuration conf/instruments/aapl.yaml") != NULL, "%s", r.text);
	cr_expect_eq(summary_number(r.text, "events"), want, "%s", r.text);
	cr_expect_gt(summary_number(r.text, "ml"), 0, "no side scored:\n%s", r.text);
	expect_pnl_in(r.text, "USD");
	expect_nothing_left();
	out_free(&r);
}

/* The synthetic default: WIN, BRL, as make run has always done. */
Test(run, synthetic_default)
{
	struct out r = sh("tools/dmctl run --events 3000");
	cr_expect_eq(r.rc, 0, "exit %d:\n%s", r.rc, r.text);
	cr_expect_eq(summary_number(r.text, "events"), 3000, "%s", r.text);
	cr_expect_gt(summary_number(r.text, "ml"), 0, "%s", r.text);
	expect_pnl_in(r.text, "BRL");
	cr_expect(strstr(r.text, "run directory") != NULL, "%s", r.text);
	expect_nothing_left();
	out_free(&r);
}

/* The generated market is WIN: a profile of another instrument is refused. */
Test(run, synthetic_market_refused_for_another_instrument)
{
	struct out r = sh("tools/dmctl -c conf/instruments/aapl.yaml run --events 1000");
	cr_expect_eq(r.rc, 2, "exit %d:\n%s", r.rc, r.text);
	cr_expect(strstr(r.text, "the generated market is WIN") != NULL, "%s", r.text);
	cr_expect(strstr(r.text, "AAPL") != NULL, "%s", r.text);
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/market.journal", rundir);
	cr_expect(!t_exists(p), "market generated before the refusal");
	expect_nothing_started(r.text);
	out_free(&r);
}

/* --timeout bounds the replay and says why the limit is there. */
Test(run, timeout_ends_a_long_run_and_names_the_limit)
{
	struct out r = sh("tools/dmctl run --events 200000 --pace realtime --timeout 2s");
	cr_expect_eq(r.rc, 1, "exit %d:\n%s", r.rc, r.text);
	cr_expect(strstr(r.text, "not done after 2s") != NULL, "%s", r.text);
	cr_expect(strstr(r.text, "--timeout") != NULL, "%s", r.text);
	cr_expect_lt(r.secs, 20.0);
	expect_nothing_left();
	out_free(&r);
}

/* ------------------------------------------------------------ options, run directories */

/* No segment of this test, and no run directory: a refused command
 * created nothing. */
static void expect_nothing_created(const char *text)
{
	char p[SEG_NAME_MAX + 16];
	snprintf(p, sizeof(p), "/dev/shm%s", segname);
	cr_expect(!t_exists(p), "segment %s created:\n%s", segname, text);
	cr_expect(!t_exists(rundir), "run directory %s created:\n%s", rundir, text);
}

/* `dmctl ARGS` is refused with exit 2, names `what`, creates nothing. */
static void refused(const char *args, const char *what)
{
	struct out r = sh("tools/dmctl %s", args);
	cr_expect_eq(r.rc, 2, "dmctl %s: exit %d:\n%s", args, r.rc, r.text);
	cr_expect(strstr(r.text, what) != NULL, "dmctl %s does not say \"%s\":\n%s", args, what,
		  r.text);
	expect_nothing_created(r.text);
	out_free(&r);
}

/*
 * dmctl start checks every option before it creates anything: a bad one
 * is exit 2 with a line naming the option and its value, and no segment,
 * no run directory, no process.
 */
Test(run, start_checks_every_option_before_creating_anything)
{
	const char *j = t_tmp_path("market.journal"), *dir = t_tmp_path("adir");
	const char *fifo = t_tmp_path("fifo"), *conf = t_tmp_path("bad.yaml");
	t_write_win_journal(j, 50, 5, 0, 0);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	t_write_file(conf, "instrument:\n  tick_size: -3\n");
	char a[PATH_MAX * 2];
	static const char *const speeds[] = { "0", "-2", "fast", "2e7", "1,5", "" };
	for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++) {
		char what[64];
		snprintf(what, sizeof(what), "--speed '%s'", speeds[i]);
		snprintf(a, sizeof(a), "start --input '%s' --speed '%s'", j, speeds[i]);
		refused(a, what);
	}
	snprintf(a, sizeof(a), "start --input '%s' --pace warp", j);
	refused(a, "--pace 'warp'");
	snprintf(a, sizeof(a), "start --input '%s' --format csv", j);
	refused(a, "--format 'csv'");
	snprintf(a, sizeof(a), "start --input '%s' --epoch 16777216", j);
	refused(a, "--epoch '16777216'");
	refused("start --input /nonexistent/market.journal",
		"--input '/nonexistent/market.journal': no such file");
	snprintf(a, sizeof(a), "start --input '%s'", dir);
	refused(a, "not a regular file");
	snprintf(a, sizeof(a), "start --input '%s'", fifo);
	refused(a, "not a regular file");
	refused("start --pace max", "--pace 'max' needs --input");
	refused("start --speed 2", "--speed '2' needs --input");
	snprintf(a, sizeof(a), "-c '%s' start --input '%s'", dir, j);
	refused(a, "not a regular file");
	refused("-c /nonexistent/site.yaml start", "-c /nonexistent/site.yaml: no such file");
	/* the configuration, with everything it names, before anything */
	snprintf(a, sizeof(a), "-c '%s' start --input '%s'", conf, j);
	refused(a, "bad.yaml:2");
	refused("--name noslash start", "--name 'noslash'");
}

/* dmctl run: the same, and without --run-dir no directory appears beside
 * the default one either. */
Test(run, run_checks_every_option_before_creating_anything)
{
	const char *dir = t_tmp_path("adir");
	cr_assert_eq(mkdir(dir, 0700), 0);
	refused("run --pace warp", "--pace 'warp'");
	refused("run --events 0", "--events '0'");
	refused("run --format csv", "--format 'csv'");
	refused("run --epoch 0", "--epoch '0'");
	refused("run --timeout 5", "--timeout '5'");
	char a[PATH_MAX * 2];
	snprintf(a, sizeof(a), "run --input '%s'", dir);
	refused(a, "not a regular file");
	static const char *const feed[][2] = {
		{ "--levels", "0" }, { "--levels", "21" }, { "--tick", "-1" },
		{ "--tick", "0.000000001" }, { "--lot", "x" }, { "--utc-offset", "900" },
		{ "--utc-offset", "-721" }, { "--symbol", "ABCDEFGHIJKLMNOP" },
	};
	for (size_t i = 0; i < sizeof(feed) / sizeof(feed[0]); i++) {
		char what[64];
		snprintf(what, sizeof(what), "%s '%s'", feed[i][0], feed[i][1]);
		snprintf(a, sizeof(a), "run --input '%s' %s '%s'", LOBSTER_MSG, feed[i][0],
			 feed[i][1]);
		refused(a, what);
	}
	/* the default place: $XDG_RUNTIME_DIR/dreammaker, and run's fresh
	 * directories beside it; nothing there after a refusal */
	char xdg[PATH_MAX];
	snprintf(xdg, sizeof(xdg), "%s/xdg", t_tmp_dir);
	cr_assert_eq(mkdir(xdg, 0700), 0);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	unsetenv("DM_RUN_DIR");
	refused("run --pace warp", "--pace 'warp'");
	struct out r = sh("ls -A '%s'", xdg);
	cr_expect_str_eq(r.text, "", "left in %s: %s", xdg, r.text);
	out_free(&r);
	/* and a run that goes ahead makes its directory there, mode 0700 */
	r = sh("tools/dmctl run --events 500 --timeout 60s; ls -ld '%s'/dreammaker-run.*", xdg);
	cr_expect_eq(r.rc, 0, "%s", r.text);
	cr_expect(strstr(r.text, "\ndrwx------ ") != NULL, "%s", r.text);
	snprintf(a, sizeof(a), "run directory %s/dreammaker-run.", xdg);
	cr_expect(strstr(r.text, a) != NULL, "%s", r.text);
	out_free(&r);
}

/*
 * A run directory another user could have made or can change is refused
 * (exit 2, naming it and what is wrong) before anything is created: one
 * others may write, one of another user (root's test gives it to
 * nobody), one in a directory others may write without the sticky bit,
 * a link; the predictable shared path made first by another user with
 * links in it, as the configured base.
 */
Test(run, foreign_run_directories_refused)
{
	const char *j = t_tmp_path("market.journal");
	t_write_win_journal(j, 50, 5, 0, 0);
	char d[PATH_MAX], a[PATH_MAX * 3];
	cr_assert_lt(strlen(t_tmp_dir), 100);
	snprintf(d, sizeof(d), "%s/open", t_tmp_dir);
	cr_assert_eq(mkdir(d, 0700), 0);
	cr_assert_eq(chmod(d, 0777), 0);
	snprintf(a, sizeof(a), "--run-dir '%s' start --input '%s'", d, j);
	char what[PATH_MAX * 2];
	snprintf(what, sizeof(what), "run directory %s: mode 0777 lets other users write in it", d);
	refused(a, what);
	snprintf(a, sizeof(a), "--run-dir '%s' status", d);
	refused(a, what);
	cr_assert_eq(chmod(d, 0700), 0);

	char p[PATH_MAX / 2];
	snprintf(p, sizeof(p), "%s/shared", t_tmp_dir);
	cr_assert_eq(mkdir(p, 0777), 0);
	cr_assert_eq(chmod(p, 0777), 0);
	snprintf(d, sizeof(d), "%s/run", p);
	snprintf(a, sizeof(a), "--run-dir '%s' start --input '%s'", d, j);
	refused(a, "lets other users write in it without the sticky bit");
	cr_expect(!t_exists(d), "made inside a directory others may write");

	char l[PATH_MAX + 32];
	snprintf(d, sizeof(d), "%s/mine", t_tmp_dir);
	snprintf(l, sizeof(l), "%s/link", t_tmp_dir);
	cr_assert_eq(mkdir(d, 0700), 0);
	cr_assert_eq(symlink(d, l), 0);
	snprintf(a, sizeof(a), "--run-dir '%s' start --input '%s'", l, j);
	refused(a, "is a symbolic link");

	if (geteuid() != 0)
		return; /* giving a directory away needs root (the CI runs as root) */
	snprintf(d, sizeof(d), "%s/theirs", t_tmp_dir);
	cr_assert_eq(mkdir(d, 0700), 0);
	cr_assert_eq(chown(d, 65534, 65534), 0);
	snprintf(a, sizeof(a), "--run-dir '%s' start --input '%s'", d, j);
	snprintf(what, sizeof(what), "run directory %s: owned by uid 65534", d);
	refused(a, what);

	/* the old attack: the base, predictable, made first by another user,
	 * world-writable, with this run's directory and a link in it */
	char base[PATH_MAX / 4], victim[PATH_MAX / 4], conf[PATH_MAX / 4];
	snprintf(base, sizeof(base), "%s/dreammaker", t_tmp_dir);
	snprintf(d, sizeof(d), "%s%s", base, segname);
	snprintf(victim, sizeof(victim), "%s/victim", t_tmp_dir);
	t_write_file(victim, "precious\n");
	cr_assert_eq(mkdir(base, 0777), 0);
	cr_assert_eq(mkdir(d, 0777), 0);
	cr_assert_eq(chmod(base, 0777), 0);
	cr_assert_eq(chmod(d, 0777), 0);
	snprintf(l, sizeof(l), "%s/supervisor.log", d);
	cr_assert_eq(symlink(victim, l), 0);
	cr_assert_eq(chown(d, 65534, 65534), 0);
	cr_assert_eq(chown(base, 65534, 65534), 0);
	snprintf(conf, sizeof(conf), "%s/site.yaml", t_tmp_dir);
	FILE *f = fopen(conf, "w");
	cr_assert_not_null(f);
	fprintf(f, "system:\n  run_dir: %s\n", base);
	fclose(f);
	unsetenv("DM_RUN_DIR");
	snprintf(a, sizeof(a), "-c '%s' start --input '%s'", conf, j);
	snprintf(what, sizeof(what), "run directory %s: the directory holding it, %s, is owned by "
		 "uid 65534", d, base);
	refused(a, what);
	char *text = t_file_text(victim, NULL);
	cr_expect_str_eq(text, "precious\n", "written through the planted link");
	free(text);
}

/*
 * A symbolic link planted in the run directory under a name dmctl or an
 * agent writes (the supervisor's log, an agent's log, a journal) makes
 * dmctl refuse (exit 2, naming the link) before it creates anything, and
 * the file the link points to keeps its bytes.
 */
Test(run, planted_links_refused_their_targets_unchanged)
{
	const char *j = t_tmp_path("market.journal"), *victim = t_tmp_path("victim");
	t_write_win_journal(j, 50, 5, 0, 0);
	t_write_file(victim, "precious\n");
	cr_assert_eq(mkdir(rundir, 0700), 0);
	static const char *const names[] = { "supervisor.log", "coordinator.log",
					     "decisions.journal", "orders.journal" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char l[PATH_MAX + 32], what[PATH_MAX + 64];
		snprintf(l, sizeof(l), "%s/%s", rundir, names[i]);
		cr_assert_eq(symlink(victim, l), 0);
		struct out r = sh("tools/dmctl start --input '%s'", j);
		cr_expect_eq(r.rc, 2, "%s: exit %d:\n%s", names[i], r.rc, r.text);
		snprintf(what, sizeof(what), "%s -> %s", names[i], victim);
		cr_expect(strstr(r.text, what) != NULL, "does not name %s:\n%s", what, r.text);
		expect_nothing_started(r.text);
		expect_nothing_left();
		char *text = t_file_text(victim, NULL);
		cr_expect_str_eq(text, "precious\n", "%s: written through the link", names[i]);
		free(text);
		out_free(&r);
		cr_assert_eq(unlink(l), 0);
	}
}

/* The number (from 0) of the first record of the journal at path that
 * ends past byte end, walked by hand (128-byte header, records of a
 * 24-byte header and the payload padded to 8). */
static uint64_t record_past(const char *path, int64_t end)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	int64_t off = 128;
	uint32_t len;
	uint64_t k = 0;
	for (;; k++) {
		cr_assert_eq(fseek(f, off, SEEK_SET), 0);
		cr_assert_eq(fread(&len, 4, 1, f), 1, "no record past %lld", (long long)end);
		off += 24 + (((int64_t)len + 7) & ~(int64_t)7);
		if (off > end)
			break;
	}
	fclose(f);
	return k;
}

/*
 * A replay stopped by its input says so: dmctl status (exit 1, "STOPPED
 * after K events" and `why`), dmctl dump (the data agent's "replay
 * stopped" and the error), and again once the run is stopped.  K comes
 * from the file as written and damaged here.
 */
static void stopped_replay(const char *j, uint64_t k, const char *why)
{
	struct out r = sh("tools/dmctl start --input '%s' --pace max", j);
	cr_assert_eq(r.rc, 0, "exit %d:\n%s", r.rc, r.text);
	out_free(&r);
	char done[PATH_MAX + 32], line[128];
	snprintf(done, sizeof(done), "%s/data.done", rundir);
	cr_assert(t_wait_file(done, 30), "the replay did not end");

	r = sh("tools/dmctl status");
	cr_expect_eq(r.rc, 1, "a stopped replay is no healthy run:\n%s", r.text);
	snprintf(line, sizeof(line), "replay: STOPPED after %llu events by an input error: ",
		 (unsigned long long)k);
	cr_expect(strstr(r.text, line) != NULL, "no '%s' in:\n%s", line, r.text);
	cr_expect(strstr(r.text, why) != NULL, "no '%s' in:\n%s", why, r.text);
	cr_expect_null(strstr(r.text, "replay: done"), "%s", r.text);
	out_free(&r);
	r = sh("tools/dmctl dump");
	cr_expect_eq(r.rc, 0, "%s", r.text);
	cr_expect(strstr(r.text, "\ndata       replay stopped,") != NULL, "%s", r.text);
	cr_expect(strstr(r.text, why) != NULL, "no '%s' in:\n%s", why, r.text);
	snprintf(line, sizeof(line), "events %llu,", (unsigned long long)k);
	cr_expect(strstr(r.text, line) != NULL, "%s", r.text);
	out_free(&r);
	r = sh("tools/dmctl stop");
	cr_expect_eq(r.rc, 0, "%s", r.text);
	out_free(&r);
	/* stopped, the status still says how the replay ended */
	r = sh("tools/dmctl status");
	cr_expect_eq(r.rc, 1);
	cr_expect(strstr(r.text, why) != NULL, "no '%s' in:\n%s", why, r.text);
	out_free(&r);
	expect_nothing_left();
}

Test(run, replay_stopped_by_a_corrupt_record_says_so)
{
	const char *j = t_tmp_path("damaged.journal");
	t_write_win_journal(j, 800, 5, 0, 0);
	int64_t off = t_journal_damage(j, 500);
	char why[PATH_MAX + 128];
	snprintf(why, sizeof(why), "%s: corrupt record at offset %lld", j, (long long)off);
	stopped_replay(j, 500, why);
}

Test(run, replay_of_a_journal_cut_mid_record_says_so)
{
	const char *j = t_tmp_path("cut.journal");
	t_write_win_journal(j, 800, 5, 0, 0);
	int64_t off = t_journal_record_off(j, 600, NULL);
	cr_assert_eq(truncate(j, off + 40), 0);
	char why[PATH_MAX + 128];
	snprintf(why, sizeof(why), "%s: ends mid-record at offset %lld (40 bytes after the last "
		 "whole record): the journal was cut short", j, (long long)off);
	stopped_replay(j, 600, why);
}

/*
 * dmctl run on a journal that is damaged while it is replayed (the check
 * before the start read it whole and intact): the run is cut short at the
 * bad record, the summary is printed and says so, summary.json carries
 * the error and no "done", and dmctl exits 2 naming the record.
 *
 * How the damage lands before the reader: the journal reader takes the
 * file 1 MiB at a time, and the replay reads one event ahead, so the
 * record b that first reaches past the first MiB is read only once event
 * b - 1 is handed out.  At realtime pace, with 6 s of market time before
 * event b - 1, that is 6 s after the replay starts; the test damages
 * record b + 40 as soon as the data agent says it is replaying.
 */
Test(run, run_cut_short_by_a_damaged_journal_exits_2_with_the_reason)
{
	const char *j = t_tmp_path("market.journal");
	t_write_win_journal(j, 2500, 20, 0, 0);
	uint64_t b = record_past(j, 128 + (1 << 20));
	cr_assert(b > 100 && b + 100 < 2500, "the first MiB ends at record %llu",
		  (unsigned long long)b);
	t_write_win_journal(j, 2500, 20, (uint32_t)b - 1, 6000000000ll);
	cr_assert_eq(record_past(j, 128 + (1 << 20)), b, "the pause moved no record");
	uint64_t k = b + 40;
	char out[PATH_MAX], log[PATH_MAX + 32];
	snprintf(out, sizeof(out), "%s/run.out", t_tmp_dir);
	snprintf(log, sizeof(log), "%s/data.log", rundir);
	/* in the background, holding nothing of sh()'s pipe */
	struct out r = sh("(tools/dmctl run --input '%s' --pace realtime --timeout 120s >'%s' 2>&1; "
			  "echo \"rc $?\" >>'%s') </dev/null >/dev/null 2>&1 &", j, out, out);
	out_free(&r);
	int replaying = 0;
	int64_t t0 = t_now_ns();
	for (int i = 0; i < 1200 && !replaying; i++) {
		char *l = t_exists(log) ? t_file_text(log, NULL) : NULL;
		replaying = l && strstr(l, "replaying ") != NULL;
		free(l);
		if (!replaying)
			usleep(20 * 1000);
	}
	cr_assert(replaying, "the data agent never started");
	int64_t off = t_journal_damage(j, k);
	cr_assert_lt(t_now_ns() - t0, 60000000000ll);
	char *text = NULL;
	for (int i = 0; i < 1800; i++) {
		text = t_file_text(out, NULL);
		if (strstr(text, "\nrc "))
			break;
		free(text);
		text = NULL;
		usleep(100 * 1000);
	}
	cr_assert_not_null(text, "dmctl run did not end");
	hold(text);
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "%s: corrupt record at offset %lld", j, (long long)off);
	cr_expect(strstr(text, "\nrc 2\n") != NULL, "exit:\n%s", text);
	cr_expect(strstr(text, "\nsummary:\n") != NULL, "no summary:\n%s", text);
	cr_expect(strstr(text, "replay STOPPED on an input error") != NULL, "%s", text);
	snprintf(log, sizeof(log), "was cut short: STOPPED after %llu events by an input error: ",
		 (unsigned long long)k);
	cr_expect(strstr(text, log) != NULL, "no '%s' in:\n%s", log, text);
	cr_expect(strstr(text, want) != NULL, "no '%s' in:\n%s", want, text);

	char sj[PATH_MAX + 32];
	snprintf(sj, sizeof(sj), "%s/summary.json", rundir);
	json_error_t e;
	json_t *doc = json_load_file(sj, 0, &e);
	cr_assert_not_null(doc, "%s: %s", sj, e.text);
	json_t *ev = json_object_get(doc, "events");
	cr_expect_eq(json_integer_value(json_object_get(ev, "total")), (json_int_t)k);
	cr_expect(json_is_false(json_object_get(ev, "done")));
	const char *ie = json_string_value(json_object_get(ev, "input_error"));
	cr_expect(ie && strstr(ie, want), "events.input_error: %s", ie ? ie : "null");
	const char *res = json_string_value(json_object_get(doc, "result"));
	cr_expect(res && strstr(res, "the replay stopped on an input error") == res, "%s",
		  res ? res : "null");
	json_decref(doc);
	expect_nothing_left();
}

/* ------------------------------------------------------------ the walk-through */

/* The fenced block after "<!-- walkthrough: NAME -->" in docs/operations.md. */
static char *walkthrough_block(const char *name)
{
	FILE *f = fopen("docs/operations.md", "r");
	cr_assert_not_null(f, "docs/operations.md: %s", strerror(errno));
	static char doc[1 << 17];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	char mark[128];
	snprintf(mark, sizeof(mark), "<!-- walkthrough: %s -->\n```sh\n", name);
	char *s = strstr(doc, mark);
	cr_assert_not_null(s, "docs/operations.md has no block '%s'", name);
	s += strlen(mark);
	char *e = strstr(s, "\n```");
	cr_assert_not_null(e);
	return hold(strndup(s, (size_t)(e - s) + 1));
}

/*
 * Runs the block as a script from the checkout, the programs of this
 * build in place of build/bin (the same ones in the plain build), and
 * checks what a user reads: the replayed events equal the source file's,
 * sides were scored on its features, and the P&L is in its currency.
 */
static void walk(const char *name, const char *source, const char *ccy)
{
	char *block = walkthrough_block(name);
	const char *script = t_tmp_path("walk.sh");
	FILE *f = fopen(script, "w");
	cr_assert_not_null(f);
	fputs("set -e\n", f);
	for (char *l = block; *l;) {
		char *nl = strchr(l, '\n');
		size_t k = nl ? (size_t)(nl - l) + 1 : strlen(l);
		if (strncmp(l, "build/bin/", 10) == 0)
			fprintf(f, "'%s'/%.*s", bindir, (int)(k - 10), l + 10);
		else
			fprintf(f, "%.*s", (int)k, l);
		l += k;
	}
	fclose(f);
	cr_expect(strstr(block, "tools/dmctl -c conf/instruments/") != NULL,
		  "the walk-through runs with the profile:\n%s", block);
	release(block);

	long long want = inspect_events(source);
	cr_assert_gt(want, 0);
	struct out r = sh("bash '%s'", script);
	cr_expect_eq(r.rc, 0, "exit %d:\n%s", r.rc, r.text);
	cr_expect(strstr(r.text, "summary:") != NULL, "no summary:\n%s", r.text);
	cr_expect_eq(summary_number(r.text, "events"), want, "replayed events:\n%s", r.text);
	cr_expect_gt(summary_number(r.text, "ml"), 0, "no side scored:\n%s", r.text);
	expect_pnl_in(r.text, ccy);
	expect_nothing_left();
	out_free(&r);
}

Test(run, walkthrough_lobster_aapl) { walk("lobster", LOBSTER_MSG, "USD"); }
/* The Binance walkthroughs run in the plain build only: under the
 * sanitizers the LOBSTER one takes a real input through the same agents,
 * and the readers have their own sanitized tests and fuzz targets. */
Test(run, walkthrough_binance_spot)
{
	if (T_SANITIZED)
		cr_skip_test("the Binance walkthroughs run in the plain build");
	walk("binance-spot", SPOT_FILE, "USDT");
}
Test(run, walkthrough_binance_usdm)
{
	if (T_SANITIZED)
		cr_skip_test("the Binance walkthroughs run in the plain build");
	walk("binance-usdm", USDM_FILE, "USDT");
}

/* ------------------------------------------------------------ the docs */

/*
 * Every glob alternative of pattern p (one {a,b} group at most; <name>
 * placeholders match anything) names an existing path.
 */
static int pattern_exists(const char *p)
{
	char pat[PATH_MAX], alt[PATH_MAX];
	size_t j = 0;
	/* <name> -> * */
	for (const char *s = p; *s && j < sizeof(pat) - 2; s++) {
		if (*s == '<') {
			const char *e = strchr(s, '>');
			if (e) {
				pat[j++] = '*';
				s = e;
				continue;
			}
		}
		pat[j++] = *s;
	}
	pat[j] = '\0';
	char *lb = strchr(pat, '{'), *rb = lb ? strchr(lb, '}') : NULL;
	if (!lb || !rb) {
		glob_t g;
		int rc = glob(pat, 0, NULL, &g);
		int ok = rc == 0 && g.gl_pathc > 0;
		if (rc == 0)
			globfree(&g);
		return ok;
	}
	const char *opt = lb + 1;
	while (opt < rb) {
		size_t k = strcspn(opt, ",}");
		snprintf(alt, sizeof(alt), "%.*s%.*s%s", (int)(lb - pat), pat, (int)k, opt, rb + 1);
		if (!pattern_exists(alt))
			return 0;
		opt += k + 1;
	}
	return 1;
}

static int path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_./*<>+-", c) != NULL;
}

/*
 * The repository paths a document names (conf/..., docs/..., tests/...,
 * tools/..., libcore/..., agents/..., shm/..., .github/...) and its
 * relative Markdown links.  A path followed by ":<digit>" is quoted inside
 * an example message about the reader's own file (file:line:key), not a
 * reference to one of ours.  Returns the number missing, listed in miss.
 */
static int missing_paths(const char *md, const char *text, char *miss, size_t n)
{
	static const char *const tops[] = { "conf/", "docs/", "tests/", "tools/", "libcore/",
		"agents/", "shm/", ".github/" };
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", md);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	int bad = 0;
	for (const char *s = text; *s; s++) {
		char tok[PATH_MAX];
		size_t k = 0;
		if (s[0] == ']' && s[1] == '(') {            /* [text](target) */
			const char *t = s + 2;
			size_t m = strcspn(t, ")# \n");
			if (m && strncmp(t, "http", 4) && strncmp(t, "mailto:", 7) && t[0] != '#') {
				snprintf(tok, sizeof(tok), "%s%.*s", dir, (int)m, t);
				if (!t_exists(tok)) {
					bad++;
					snprintf(miss + strlen(miss), n - strlen(miss), "  %s: link %s\n", md, tok);
				}
			}
			continue;
		}
		if (s > text && (path_char(s[-1]) || s[-1] == '~'))
			continue;
		size_t t;
		for (t = 0; t < sizeof(tops) / sizeof(tops[0]); t++)
			if (strncmp(s, tops[t], strlen(tops[t])) == 0)
				break;
		if (t == sizeof(tops) / sizeof(tops[0]))
			continue;
		const char *e = s;
		while (*e && k < sizeof(tok) - 1) {
			if (*e == '{') {                      /* {h,c} alternatives */
				const char *rb = strchr(e, '}');
				if (!rb || (size_t)(rb - e) > 64)
					break;
				while (e <= rb && k < sizeof(tok) - 1)
					tok[k++] = *e++;
				continue;
			}
			if (!path_char(*e))
				break;
			tok[k++] = *e++;
		}
		tok[k] = '\0';
		while (k && strchr(".:,;", tok[k - 1]))
			tok[--k] = '\0';
		s = e - 1;
		if (e[0] == ':' && e[1] >= '0' && e[1] <= '9')
			continue;                             /* file:line in a message */
		if (!pattern_exists(tok)) {
			bad++;
			snprintf(miss + strlen(miss), n - strlen(miss), "  %s: %s\n", md, tok);
		}
	}
	return bad;
}

Test(run_docs, every_path_the_docs_name_exists)
{
	glob_t g;
	cr_assert_eq(glob("docs/*.md", 0, NULL, &g), 0);
	cr_assert_gt(g.gl_pathc, 5);
	static char miss[1 << 14];
	miss[0] = '\0';
	int bad = 0, files = 0;
	for (size_t i = 0; i <= g.gl_pathc; i++) {
		const char *md = i < g.gl_pathc ? g.gl_pathv[i] : "README.md";
		FILE *f = fopen(md, "r");
		cr_assert_not_null(f, "%s", md);
		static char text[1 << 18];
		size_t n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		bad += missing_paths(md, text, miss, sizeof(miss));
		files++;
	}
	globfree(&g);
	cr_expect_eq(bad, 0, "%d path(s) named in the docs do not exist:\n%s", bad, miss);
	cr_expect_gt(files, 6);
}

/* The checker itself: it finds what is there and flags what is not. */
Test(run_docs, path_check_finds_a_missing_file)
{
	static char miss[4096];
	miss[0] = '\0';
	const char *text = "See docs/operations.md, tools/dmctl and libcore/gen/hawkes.{h,c}.\n"
			   "Also `tests/unit/test_<module>.c` and docs/no-such-page.md; the\n"
			   "message conf/yours.yaml:3:1: is an example. [x](feeds.md) [y](gone.md)\n";
	int bad = missing_paths("docs/x.md", text, miss, sizeof(miss));
	cr_expect_eq(bad, 2, "%s", miss);
	cr_expect(strstr(miss, "docs/no-such-page.md") != NULL, "%s", miss);
	cr_expect(strstr(miss, "docs/gone.md") != NULL, "%s", miss);
}

/* ------------------------------------------------------------ parity
 * The same market and configuration through the six agents in lockstep
 * (tools/dmctl run) and through dm-backtest in one thread: the same
 * fills, decisions, equity rows, transaction costs (tca.csv and
 * summary.json's tca) and final P&L.  A failure names the file
 * and the first row that differs. */

TestSuite(parity, .init = setup, .fini = teardown, .timeout = 300);

/* The whole text of a file (held), or NULL if it cannot be read. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0, got;
	char *s = hold(malloc(cap));
	while ((got = fread(s + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (cap - len < 4096) {
			cap *= 2;
			s = rehold(s, cap);
		}
	}
	s[len] = '\0';
	fclose(f);
	return s;
}

/* a and b hold the same rows; else a failure naming the first that differs. */
static void expect_same_file(const char *name, const char *a_dir, const char *b_dir)
{
	char pa[PATH_MAX + 64], pb[PATH_MAX + 64];
	snprintf(pa, sizeof(pa), "%s/%s", a_dir, name);
	snprintf(pb, sizeof(pb), "%s/%s", b_dir, name);
	char *a = slurp(pa), *b = slurp(pb);
	cr_assert_not_null(a, "%s not written", pa);
	cr_assert_not_null(b, "%s not written", pb);
	const char *x = a, *y = b;
	long row = 0;
	while (*x || *y) {
		size_t nx = strcspn(x, "\n"), ny = strcspn(y, "\n");
		if (nx != ny || memcmp(x, y, nx) != 0) {
			cr_expect_fail("%s: the first difference is at row %ld (the header is row 0):\n"
				"  lockstep:  %.*s\n  backtest:  %.*s", name, row, (int)nx, x, (int)ny, y);
			break;
		}
		x += nx + (x[nx] == '\n');
		y += ny + (y[ny] == '\n');
		row++;
	}
	release(a);
	release(b);
}

/* pnl_e9.net of a summary.json */
static long long net_e9(const char *path)
{
	json_error_t e;
	json_t *doc = json_load_file(path, 0, &e);
	cr_assert_not_null(doc, "%s: %s", path, e.text);
	json_t *v = json_object_get(json_object_get(doc, "pnl_e9"), "net");
	cr_assert(json_is_integer(v), "%s: no pnl_e9.net", path);
	long long n = json_integer_value(v);
	json_decref(doc);
	return n;
}

/* summary.json's "tca" objects of both hosts are equal, key by key */
static void expect_same_tca(const char *a_path, const char *b_path)
{
	json_error_t e;
	json_t *a = json_load_file(a_path, 0, &e), *b = json_load_file(b_path, 0, &e);
	cr_assert(a && b, "%s or %s: %s", a_path, b_path, e.text);
	json_t *ta = json_object_get(a, "tca"), *tb = json_object_get(b, "tca");
	cr_assert(json_is_object(ta), "%s: no tca object", a_path);
	cr_assert(json_is_object(tb), "%s: no tca object", b_path);
	cr_expect(json_integer_value(json_object_get(ta, "count")) ==
		  json_integer_value(json_object_get(tb, "count")), "tca.count differs");
	const char *k;
	json_t *v;
	json_object_foreach(ta, k, v) {
		char *x = json_dumps(v, JSON_ENCODE_ANY), *y = json_dumps(json_object_get(tb, k),
									     JSON_ENCODE_ANY);
		cr_expect(x && y && strcmp(x, y) == 0, "summary.json tca.%s: lockstep %s, "
			  "backtest %s", k, x ? x : "-", y ? y : "-");
		free(x);
		free(y);
	}
	json_decref(a);
	json_decref(b);
}

static long long count_lines(const char *path)
{
	char *s = slurp(path);
	cr_assert_not_null(s, "%s", path);
	long long n = 0;
	for (const char *p = s; *p; p++)
		n += *p == '\n';
	release(s);
	return n;
}

/*
 * dmctl run (lockstep) on input (NULL: the synthetic market of events
 * events) with conf, then dm-backtest on the market the run replayed,
 * same conf; the files and the P&L compared.  min_fills: fills the market must give at least (a parity of two empty
 * runs proves little).
 */
static void parity_of(const char *conf, const char *input, long long min_fills, int events)
{
	struct out r = input ? sh("tools/dmctl -c %s run --input '%s'", conf, input)
			     : sh("tools/dmctl -c %s run --events %d", conf, events);
	cr_assert_eq(r.rc, 0, "dmctl run failed:\n%s", r.text);
	/* the run's page, named last (dm-report; its own tests check it) */
	char page[PATH_MAX + 64], line[PATH_MAX + 96];
	snprintf(page, sizeof(page), "%s/report.html", rundir);
	snprintf(line, sizeof(line), "\nreport: %s\n", page);
	const char *at = strstr(r.text, line);
	cr_expect(at && !at[strlen(line)], "dmctl run should end with 'report: %s':\n%s", page,
		  r.text);
	cr_expect(t_exists(page), "no %s", page);
	out_free(&r);
	/* the market journal the run replayed */
	char market[PATH_MAX + 64], bt[PATH_MAX];
	glob_t g;
	snprintf(market, sizeof(market), "%s/*.journal", rundir);
	cr_assert_eq(glob(market, 0, NULL, &g), 0, "no journal in %s", rundir);
	market[0] = '\0';
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (!strstr(g.gl_pathv[i], "/decisions.journal") &&
		    !strstr(g.gl_pathv[i], "/orders.journal"))
			snprintf(market, sizeof(market), "%s", g.gl_pathv[i]);
	globfree(&g);
	cr_assert(market[0], "no market journal in %s", rundir);
	snprintf(bt, sizeof(bt), "%s/backtest", t_tmp_dir);
	r = sh("'%s/dm-backtest' -c %s --input '%s' --out '%s' --quiet", bindir, conf,
	       input ? input : market, bt);
	cr_assert_eq(r.rc, 0, "dm-backtest failed:\n%s", r.text);
	out_free(&r);
	char f[PATH_MAX + 64];
	snprintf(f, sizeof(f), "%s/fills.csv", bt);
	cr_assert_geq(count_lines(f) - 1, min_fills, "the market gave fewer than %lld fills",
		      min_fills);
	expect_same_file("fills.csv", rundir, bt);
	expect_same_file("decisions.csv", rundir, bt);
	expect_same_file("orders.csv", rundir, bt);
	expect_same_file("equity.csv", rundir, bt);
	expect_same_file("tca.csv", rundir, bt);
	char sa[PATH_MAX + 64], sb[PATH_MAX + 64];
	snprintf(sa, sizeof(sa), "%s/summary.json", rundir);
	snprintf(sb, sizeof(sb), "%s/summary.json", bt);
	cr_expect_eq(net_e9(sa), net_e9(sb), "final net P&L (currency x 1e9): lockstep %lld, "
		     "backtest %lld", net_e9(sa), net_e9(sb));
	expect_same_tca(sa, sb);
}

static void parity(const char *conf, const char *input, long long min_fills)
{
	parity_of(conf, input, min_fills, 20000);
}

/* "pushed" of ring name in the run's final-dump.json (what dm-shmdump
 * --json shows of every ring), or -1 when the ring is not there. */
static long long ring_pushed(const char *name)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/final-dump.json", rundir);
	json_error_t e;
	json_t *doc = json_load_file(path, 0, &e);
	cr_assert_not_null(doc, "%s: %s", path, e.text);
	long long n = -1;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(doc, "rings"), i, r) {
		const char *s = json_string_value(json_object_get(r, "name"));
		if (s && strcmp(s, name) == 0)
			n = json_integer_value(json_object_get(r, "pushed"));
	}
	json_decref(doc);
	return n;
}

Test(parity, synthetic_market)
{
	parity("conf/default.yaml", NULL, 5);
	cr_expect_eq(ring_pushed("reports_ml"), 0, "a taker's ml takes no report");
	/* the default vote: every intent fanned out to the three voters */
	long long n = ring_pushed("intents");
	cr_expect_gt(n, 0);
	cr_expect_eq(ring_pushed("intents_risk"), n);
	cr_expect_eq(ring_pushed("intents_execution"), n);
	cr_expect_eq(ring_pushed("intents_feature"), n);
}

/* The vote by requests (vote.fanout false) decides as the fanned-out
 * default does: the same files as dm-backtest (which follows the same
 * setting). */
Test(parity, synthetic_market_with_vote_requests)
{
	char conf[PATH_MAX];
	snprintf(conf, sizeof(conf), "%s/requests.yaml", t_tmp_dir);
	FILE *f = fopen(conf, "w");
	cr_assert_not_null(f, "%s", conf);
	fprintf(f, "vote:\n  fanout: false\n");
	fclose(f);
	parity(conf, NULL, 5);
	cr_expect_eq(ring_pushed("intents_risk"), 0, "no intent to the voters");
	cr_expect_gt(ring_pushed("vote_req_risk"), ring_pushed("intents"),
		     "a request and a notice per ballot");
}

/* A market maker's configuration (mm_glft, the primary rule alone) in the
 * test's directory; its path into out. */
static void mm_conf(char *out, size_t n, int qmax)
{
	snprintf(out, n, "%s/glft.yaml", t_tmp_dir);
	FILE *f = fopen(out, "w");
	cr_assert_not_null(f, "%s", out);
	fprintf(f, "strategy:\n  model: \"\"\n  kind: mm_glft\n  mm:\n    qmax: %d\n", qmax);
	fclose(f);
}

/* The column col (0-based) of every data row of a CSV file, as a number,
 * into v (at most n); returns the rows. */
static long csv_col(const char *path, int col, long long *v, long n)
{
	char *s = slurp(path);
	cr_assert_not_null(s, "%s", path);
	long rows = 0;
	const char *p = strchr(s, '\n');
	while (p && *++p && rows < n) {
		const char *c = p;
		for (int k = 0; k < col && c; k++) {
			c = strpbrk(c, ",\n");
			c = c && *c == ',' ? c + 1 : NULL;
		}
		v[rows++] = c ? strtoll(c, NULL, 10) : LLONG_MIN;
		p = strchr(p, '\n');
	}
	release(s);
	return rows;
}

/*
 * A market maker through the six agents: ml takes execution's reports
 * (ring reports_ml), its cancels reach the coordinator on the intents
 * ring; dm-backtest on the same market writes the same fills, orders,
 * decisions, equity rows and transaction costs.  The run is consistent on its own:
 * every order names a released decision, its quotes rest
 * (maker fills), the inventory never passes qmax.
 */
Test(parity, market_maker_glft)
{
	char conf[PATH_MAX];
	const int qmax = 3;
	mm_conf(conf, sizeof(conf), qmax);
	parity_of(conf, NULL, 20, 6000);
	static long long ord[4096], ord_dec[4096], dec[4096], dec_ord[4096], pos[8192];
	char f[PATH_MAX + 64];
	snprintf(f, sizeof(f), "%s/orders.csv", rundir);
	long no = csv_col(f, 0, ord, 4096);          /* client_order_id */
	cr_assert_eq(csv_col(f, 1, ord_dec, 4096), no); /* decision_id */
	snprintf(f, sizeof(f), "%s/decisions.csv", rundir);
	long nd = csv_col(f, 0, dec, 4096);          /* decision_id */
	cr_assert_eq(csv_col(f, 7, dec_ord, 4096), nd); /* client_order_id: empty when blocked */
	cr_assert_gt(no, 20, "the maker quoted");
	/* and the decision's row names the order (execution's own id, which
	 * blocked decisions do not advance: the run has some) */
	cr_expect_gt(nd, no, "some decisions blocked (%ld decisions, %ld orders)", nd, no);
	for (long i = 0; i < no; i++) {
		int found = 0;
		for (long j = 0; j < nd && !found; j++)
			found = dec[j] == ord_dec[i] && dec_ord[j] == ord[i]; /* released */
		cr_expect(found, "order %lld: its decision %lld is not a released one naming it",
			  ord[i], ord_dec[i]);
	}
	snprintf(f, sizeof(f), "%s/equity.csv", rundir);
	long ne = csv_col(f, 1, pos, 8192);
	cr_assert_gt(ne, 0);
	for (long i = 0; i < ne; i++)
		cr_expect(llabs(pos[i]) <= qmax, "equity row %ld: position %lld beyond qmax %d",
			  i + 1, pos[i], qmax);
	snprintf(f, sizeof(f), "%s/fills.csv", rundir);
	char *fills = slurp(f);
	cr_expect(fills && strstr(fills, ",maker\n"), "passive fills");
	release(fills);
	/* every report of the run went to ml as well: one per order at least */
	cr_expect_geq(ring_pushed("reports_ml"), no, "reports_ml carried the reports");
	cr_expect_eq(ring_pushed("reports_ml"), ring_pushed("reports_risk"),
		     "ml and risk took the same reports");
}
/* The real inputs' parity runs in the plain build: under the sanitizers
 * the same agents run the synthetic market and the kill -9 case below (the
 * feed readers have their own sanitized tests), which keeps make test in
 * its time budget. */
#define REAL_PARITY(conf, file, fills)                                             \
	do {                                                                       \
		if (T_SANITIZED)                                                   \
			cr_skip_test("real-input parity runs in the plain build");  \
		parity(conf, file, fills);                                         \
	} while (0)
Test(parity, lobster_aapl) { REAL_PARITY("conf/instruments/aapl.yaml", LOBSTER_MSG, 0); }
Test(parity, binance_spot) { REAL_PARITY("conf/instruments/btcusdt-spot.yaml", SPOT_FILE, 5); }
Test(parity, binance_usdm) { REAL_PARITY("conf/instruments/btcusdt-usdm.yaml", USDM_FILE, 5); }

/* A lockstep `dmctl run` of events synthetic events in the background
 * (copt: "-c FILE" or ""), its exit status to run.rc and its output to
 * run.out in the test's directory. */
static void run_in_background(const char *copt, int events)
{
	struct out r = sh("(tools/dmctl %s run --events %d --pace lockstep >'%s/run.out' 2>&1; "
			  "echo $? >'%s/run.rc') </dev/null >/dev/null 2>&1 &", copt, events,
			  t_tmp_dir, t_tmp_dir);
	out_free(&r);
}

/* Waits (until end, ns) for the background run; it must have ended with 0. */
static void run_in_background_ok(int64_t end)
{
	char rcfile[PATH_MAX], outfile[PATH_MAX];
	snprintf(rcfile, sizeof(rcfile), "%s/run.rc", t_tmp_dir);
	snprintf(outfile, sizeof(outfile), "%s/run.out", t_tmp_dir);
	while (!t_exists(rcfile) && t_now_ns() < end)
		usleep(100 * 1000);
	char *rc = slurp(rcfile), *text = slurp(outfile);
	cr_assert_not_null(rc, "dmctl run did not finish");
	cr_assert_eq(atoi(rc), 0, "dmctl run failed:\n%s", text ? text : "");
	release(rc);
	release(text);
}

/* dm-backtest (copt as above) on the market the run replayed: the same
 * fills, decisions, orders and transaction costs, row for row. */
static void backtest_agrees(const char *copt)
{
	char market[PATH_MAX + 32], bt[PATH_MAX];
	snprintf(market, sizeof(market), "%s/market.journal", rundir);
	snprintf(bt, sizeof(bt), "%s/backtest", t_tmp_dir);
	struct out r = sh("'%s/dm-backtest' %s --input '%s' --out '%s' --quiet", bindir, copt,
			  market, bt);
	cr_assert_eq(r.rc, 0, "dm-backtest failed:\n%s", r.text);
	out_free(&r);
	expect_same_file("fills.csv", rundir, bt);
	expect_same_file("decisions.csv", rundir, bt);
	expect_same_file("orders.csv", rundir, bt);
	expect_same_file("tca.csv", rundir, bt);
}

/*
 * kill -9 during a lockstep run: every agent killed twice while the replay
 * runs (the supervisor restarts each); the run still makes the decisions
 * and fills dm-backtest makes on the same market, row for row.
 */
/* conf: NULL for the built-in configuration; events of the synthetic
 * market; kills: agents killed at most (each at least once). */
static void kill9_parity(const char *conf, int events, int kills_max)
{
	setenv("DMCTL_CRASH_LIMIT", "100", 1); /* the kills are deliberate */
	char done[PATH_MAX + 16];
	snprintf(done, sizeof(done), "%s/data.done", rundir);
	char copt[PATH_MAX + 8] = "";
	if (conf)
		snprintf(copt, sizeof(copt), "-c %s", conf);
	run_in_background(copt, events);
	static const char *const agents[] = { "data", "feature", "ml", "coordinator", "risk",
					      "execution" };
	struct t_rng g;
	t_rng_seed(&g, (uint64_t)getpid());
	int kills[6] = { 0 }, n = 0;
	int64_t end = t_now_ns() + 200ll * 1000000000;
	/* the agents start, the replay begins */
	nanosleep(&(struct timespec){ .tv_sec = 1, .tv_nsec = 500000000 }, NULL);
	while (!t_exists(done) && n < kills_max && t_now_ns() < end) {
		int a = n % 6;
		char pf[PATH_MAX + 32];
		snprintf(pf, sizeof(pf), "%s/%s.pid", rundir, agents[a]);
		if (t_kill_pidfile(pf)) {
			kills[a]++;
			n++;
		}
		usleep((useconds_t)(300 + t_rng_below(&g, 301)) * 1000);
	}
	run_in_background_ok(end);
	cr_log_info("%d kills during the replay", n);
	for (int a = 0; a < 6; a++)
		cr_expect_geq(kills[a], 1, "%s killed during the replay", agents[a]);
	backtest_agrees(copt);
}

Test(parity, kill9_during_a_lockstep_run_changes_nothing) { kill9_parity(NULL, 30000, 12); }

/*
 * The same with a market maker: ml's quote state and inventory are in the
 * segment, a report handed again after ml's restart counts once, and the
 * run still makes dm-backtest's decisions, orders and fills.
 */
Test(parity, kill9_during_a_market_makers_lockstep_run_changes_nothing)
{
	char conf[PATH_MAX];
	mm_conf(conf, sizeof(conf), 3);
	kill9_parity(conf, 8000, 6);
}

/*
 * The market maker's lockstep run with the execution agent under strace:
 * each of its system calls (among them the journal write between taking
 * an event and publishing the event's reports) takes tens of
 * microseconds more.  An empty ring does not say its consumer is done;
 * the lockstep waits for the agent's held counter too (docs/agents.md,
 * lockstep), and the run still makes dm-backtest's rows.  Without that
 * wait the run released the next event with reports still in
 * execution's outbox, in two runs out of two: one replacement quote one
 * event late.
 */
Test(parity, market_maker_with_a_slowed_execution_agent)
{
	char conf[PATH_MAX], copt[PATH_MAX + 8];
	mm_conf(conf, sizeof(conf), 3);
	snprintf(copt, sizeof(copt), "-c %s", conf);
	char trace[PATH_MAX], pidfile[PATH_MAX + 32];
	snprintf(trace, sizeof(trace), "%s/strace.out", t_tmp_dir);
	snprintf(pidfile, sizeof(pidfile), "%s/execution.pid", rundir);
	run_in_background(copt, 6000);
	int64_t end = t_now_ns() + 200ll * 1000000000;
	char *pid = NULL;
	while (t_now_ns() < end) {
		if ((pid = slurp(pidfile)) && atoi(pid) > 0)
			break;
		release(pid);
		pid = NULL;
		usleep(20 * 1000);
	}
	cr_assert_not_null(pid, "no %s: the run did not start", pidfile);
	/* every call stops the agent for strace; the writes are kept, to show
	 * it was traced */
	struct out r = sh("strace -q -f -e trace=write,writev,pwrite64 -o '%s' -p %d </dev/null "
			  ">/dev/null 2>&1 &", trace, atoi(pid));
	release(pid);
	out_free(&r);
	run_in_background_ok(end);
	char *tr = slurp(trace);
	cr_assert(tr && strstr(tr, "write"), "strace did not trace the execution agent (%s)",
		  trace);
	release(tr);
	backtest_agrees(copt);
}

/* ------------------------------------------------------------ dm-backtest as a user runs it */

TestSuite(backtest, .init = setup, .fini = teardown, .timeout = 120);

/* A json file's string at obj.key ("" if none), copied into out. */
static void json_str(const char *path, const char *obj, const char *key, char *out, size_t n)
{
	json_error_t e;
	json_t *doc = json_load_file(path, 0, &e);
	cr_assert_not_null(doc, "%s: %s", path, e.text);
	json_t *o = obj ? json_object_get(doc, obj) : doc;
	const char *s = json_string_value(json_object_get(o, key));
	snprintf(out, n, "%s", s ? s : "");
	json_decref(doc);
}

Test(backtest, picks_the_bundled_profile_of_the_input)
{
	char out[PATH_MAX], sum[PATH_MAX + 32], v[64];
	snprintf(out, sizeof(out), "%s/bt", t_tmp_dir);
	struct out r = sh("'%s/dm-backtest' --input '%s' --out '%s'", bindir, SPOT_FILE, out);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	cr_expect(strstr(r.text, "conf/instruments/btcusdt-spot.yaml"), "no profile named:\n%s",
		  r.text);
	cr_expect(strstr(r.text, "result: ok"), "%s", r.text);
	out_free(&r);
	snprintf(sum, sizeof(sum), "%s/summary.json", out);
	json_str(sum, NULL, "symbol", v, sizeof(v));
	cr_expect_str_eq(v, "BTCUSDT");
	json_str(sum, "pnl", "currency", v, sizeof(v));
	cr_expect_str_eq(v, "USDT", "the money of the market's quote asset");
	json_str(sum, NULL, "result", v, sizeof(v));
	cr_expect_str_eq(v, "ok");
	/* with -c of another instrument: refused with the fix, nothing written */
	snprintf(out, sizeof(out), "%s/bt2", t_tmp_dir);
	r = sh("'%s/dm-backtest' -c conf/default.yaml --input '%s' --out '%s'", bindir, SPOT_FILE,
	       out);
	cr_expect_eq(r.rc, 2, "%s", r.text);
	cr_expect(strstr(r.text, "holds BTCUSDT") && strstr(r.text, "conf/instruments/"), "%s",
		  r.text);
	snprintf(sum, sizeof(sum), "%s/fills.csv", out);
	cr_expect(!t_exists(sum), "a refused run wrote %s", sum);
	out_free(&r);
}

/* e9 nano-units as decimal text: at least two decimals, no trailing zero
 * beyond them (the money text of both summaries), worked out by hand:
 * whole part, then the nine decimals trimmed */
static void t_money(int64_t e9, char *out, size_t n)
{
	uint64_t m = e9 < 0 ? (uint64_t)0 - (uint64_t)e9 : (uint64_t)e9;
	char frac[10];
	for (int i = 8; i >= 0; i--) {
		frac[i] = (char)('0' + m % 10);
		m /= 10;
	}
	int k = 9;
	while (k > 2 && frac[k - 1] == '0')
		k--;
	frac[k] = '\0';
	snprintf(out, n, "%s%llu.%s", e9 < 0 ? "-" : "", (unsigned long long)m, frac);
}

/*
 * What dm-backtest prints is what its summary.json says: the P&L to the
 * nano-unit (pnl_e9) and every warning, one "WARNING:" line each.  The
 * USD-M capture crosses midnight with a position open and has books the
 * quality vote drops, so there are warnings to print.
 */
Test(backtest, the_text_summary_says_what_summary_json_does)
{
	char out[PATH_MAX], sum[PATH_MAX + 32], want[512];
	snprintf(out, sizeof(out), "%s/bt", t_tmp_dir);
	struct out r = sh("'%s/dm-backtest' --input '%s' --out '%s'", bindir, USDM_FILE, out);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	snprintf(sum, sizeof(sum), "%s/summary.json", out);
	json_error_t e;
	json_t *doc = json_load_file(sum, 0, &e);
	cr_assert_not_null(doc, "%s: %s", sum, e.text);
	json_t *p = json_object_get(doc, "pnl_e9");
	char g[40], f[40], n[40];
	t_money(json_integer_value(json_object_get(p, "gross")), g, sizeof(g));
	t_money(json_integer_value(json_object_get(p, "fees")), f, sizeof(f));
	t_money(json_integer_value(json_object_get(p, "net")), n, sizeof(n));
	snprintf(want, sizeof(want), "  P&L USDT: gross %s, fees %s, net %s (the venue agrees)\n",
		 g, f, n);
	cr_expect(strstr(r.text, want), "no line '%s' in:\n%s", want, r.text);
	json_t *w = json_object_get(doc, "warnings"), *x;
	size_t i;
	cr_assert_geq(json_array_size(w), 2, "the capture has things to warn of");
	json_array_foreach(w, i, x) {
		snprintf(want, sizeof(want), "  WARNING: %s\n", json_string_value(x));
		cr_expect(strstr(r.text, want), "warning %zu not printed: %s", i, want);
	}
	size_t lines = 0;
	for (const char *q = r.text; (q = strstr(q, "\n  WARNING: ")); q++)
		lines++;
	cr_expect_eq(lines, json_array_size(w), "one summary line per warning, no other");
	json_decref(doc);
	out_free(&r);
}

Test(backtest, options_checked_and_an_empty_market_is_no_result)
{
	struct out r = sh("'%s/dm-backtest' --input '%s' --epoch 0", bindir, LOBSTER_MSG);
	cr_expect_eq(r.rc, 2, "%s", r.text);
	cr_expect(strstr(r.text, "--epoch '0'"), "%s", r.text);
	out_free(&r);
	r = sh("'%s/dm-backtest' --out /tmp/x", bindir);
	cr_expect_eq(r.rc, 2);
	cr_expect(strstr(r.text, "--input FILE is required"), "%s", r.text);
	out_free(&r);
	/* an MT5 export of no tick (WIN, the built-in configuration's):
	 * exit 1, the summary says why */
	char out[PATH_MAX], sum[PATH_MAX + 32], v[256];
	const char *in = t_tmp_path("empty.mt5");
	t_write_file(in, MT5_HDR);
	snprintf(out, sizeof(out), "%s/bt", t_tmp_dir);
	r = sh("'%s/dm-backtest' --input '%s' --out '%s'", bindir, in, out);
	cr_expect_eq(r.rc, 1, "%s", r.text);
	cr_expect(strstr(r.text, "not a result"), "%s", r.text);
	out_free(&r);
	snprintf(sum, sizeof(sum), "%s/summary.json", out);
	json_str(sum, NULL, "result", v, sizeof(v));
	cr_expect(strstr(v, "no market event"), "%s", v);
}
