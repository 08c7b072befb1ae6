/*
 * test_convert.c — dm-convert and the journal as a feed.
 *
 * dm-convert is run as a program (build/bin/dm-convert beside this test's
 * build/tests/, found through /proc/self/exe, so the sanitizer build
 * tests its own binary) on the real LOBSTER sample and on hand-made MT5
 * files; the journal it writes is read back with the journal reader and
 * compared event for event, byte for byte, with feed_next on the source.
 * Peak memory is the ru_maxrss of the dm-convert child (wait4) while it
 * converts about 1 GB of LOBSTER text that a generator child writes into
 * FIFOs, so no input file ever sits on disk.
 *
 * The feed_journal suite reads journals written here with the journal
 * writer through feed_open / feed_next: detection by magic, level cut,
 * torn tail, corruption, other record types, bounded memory.
 *
 * Tests run from the repository root; the LOBSTER tests skip with a
 * message when tests/data is absent.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/feed/feed.h"
#include "libcore/journal/journal.h"
#include "tests/helpers.h"

#define DATA    "tests/data"
#define LOB_DIR DATA "/lobster-aapl-20120621-excerpt"
#define LOB_MSG LOB_DIR "/AAPL_2012-06-21_34200000_57600000_message_10.csv"

#define MAX_RSS_KIB (64 * 1024)

/* ------------------------------------------------------------ fixture */

static void t_setup(void)
{
	t_tmp_init("dmconvert");
}

static void t_teardown(void)
{
	t_tmp_cleanup();
}

/* The whole file as a NUL-terminated string (small files only). */
static char *t_slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = 0;
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* build/bin/dm-convert of the build this test belongs to */
static const char *t_convert_bin(void)
{
	static char bin[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	cr_assert_gt(n, 0);
	self[n] = '\0';
	char *d = dirname(dirname(self)); /* <build>/tests/test_x -> <build> */
	snprintf(bin, sizeof(bin), "%s/bin/dm-convert", d);
	cr_assert(access(bin, X_OK) == 0, "%s not built (make %s)", bin, bin);
	return bin;
}

struct t_run {
	int status;          /* exit code, or 128 + signal */
	long maxrss_kib;     /* ru_maxrss of the child: an upper bound, as it
			      * also counts the pages the child had from this
			      * process between fork and exec */
	long hwm_kib;        /* VmHWM of dm-convert itself, last seen in
			      * /proc/PID/status while it ran (polled) */
	char out[256], err[256]; /* files holding its stdout / stderr */
};

/* VmHWM of pid in KiB, or -1 (gone, or not yet exec'd: then it is ours) */
static long t_hwm_kib(pid_t pid)
{
	char path[64], line[128];
	long v = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Run dm-convert with args (NULL-terminated); stdout / stderr to files. */
static void t_convert(struct t_run *res, const char *const *args)
{
	const char *argv[32];
	int n = 0;
	argv[n++] = t_convert_bin();
	for (int i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	memset(res, 0, sizeof(*res));
	snprintf(res->out, sizeof(res->out), "%s/stdout.txt", t_tmp_dir);
	snprintf(res->err, sizeof(res->err), "%s/stderr.txt", t_tmp_dir);

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int o = open(res->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(res->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(120);
		execv(argv[0], (char *const *)argv);
		_exit(121);
	}
	struct rusage ru;
	int st;
	pid_t w;
	char exe[64], self_exe[PATH_MAX], child_exe[PATH_MAX];
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	ssize_t ns = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	self_exe[ns > 0 ? ns : 0] = '\0';
	res->hwm_kib = -1;
	while ((w = wait4(pid, &st, WNOHANG, &ru)) == 0) {
		/* once exec'd, the child's VmHWM is dm-convert's alone */
		ssize_t nc = readlink(exe, child_exe, sizeof(child_exe) - 1);
		child_exe[nc > 0 ? nc : 0] = '\0';
		long h = strcmp(child_exe, self_exe) ? t_hwm_kib(pid) : -1;
		if (h > res->hwm_kib)
			res->hwm_kib = h;
		usleep(20000);
	}
	cr_assert_eq(w, pid, "wait4: %s", strerror(errno));
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	res->maxrss_kib = ru.ru_maxrss;
	cr_assert_lt(res->status, 120, "dm-convert did not start (%d)", res->status);
}

static int t_skip_without_data(void)
{
	if (access(LOB_MSG, R_OK) == 0)
		return 0;
	cr_fatal("%s absent: the real-data tests need the bundled tests/data "
		 "(run from the repository root)", LOB_MSG);
	return 1;
}

/*
 * Every event of src (read with feed_open(fmt, *o)) equals the next event
 * of the journal jpath, read both with journal_next_event and with
 * feed_open(FEED_AUTO) (the journal wired into the readers); returns the
 * count.
 */
static size_t t_same_events(const char *src, enum feed_format fmt,
			    const struct feed_opts *o, const char *jpath)
{
	struct feed_reader fr, jf;
	struct journal_reader jr;
	struct feed_opts jo;
	struct event a, b, c;
	char err[512];
	size_t n = 0;
	int ra, rb, rc;

	cr_assert_eq(feed_open(&fr, src, fmt, o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(journal_open_read(&jr, jpath, JOURNAL_VERIFY), 0);
	memset(&jo, 0, sizeof(jo)); /* no tick: a journal needs none */
	cr_assert_eq(feed_open(&jf, jpath, FEED_AUTO, &jo, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(feed_format_of(&jf), FEED_JOURNAL);
	for (;;) {
		ra = feed_next(&fr, &a);
		rb = journal_next_event(&jr, &b);
		rc = feed_next(&jf, &c);
		cr_assert_eq(ra, rb, "event %zu: source %d, journal %d", n, ra, rb);
		cr_assert_eq(ra, rc, "event %zu: source %d, journal feed %d (%s)", n, ra,
			     rc, feed_error(&jf));
		if (ra != 1)
			break;
		cr_assert(memcmp(&a, &b, sizeof(a)) == 0, "event %zu differs (journal)", n);
		cr_assert(memcmp(&a, &c, sizeof(a)) == 0, "event %zu differs (journal feed)", n);
		n++;
	}
	cr_assert_eq(ra, 0, "%s", feed_error(&fr));
	cr_assert_eq(feed_stats(&jf)->rows, n);
	cr_assert_eq(feed_stats(&jf)->skipped, 0);
	feed_close(&fr);
	feed_close(&jf);
	journal_reader_close(&jr);
	return n;
}

/* The first book of the LOBSTER sample, as its orderbook file's first row
 * reads (ask 5859400 x 200, bid 5853300 x 18 in dollars x 10000), at tick
 * $0.01: 58594 and 58533 ticks, a spread of 61 ticks, mid $585.635. */
static void t_assert_first_lobster_book(const struct event *ev)
{
	FILE *f = fopen(LOB_DIR "/AAPL_2012-06-21_34200000_57600000_orderbook_10.csv", "r");
	long ask, askq, bid, bidq;
	cr_assert(f);
	cr_assert_eq(fscanf(f, "%ld,%ld,%ld,%ld", &ask, &askq, &bid, &bidq), 4);
	fclose(f);
	cr_assert_eq(ev->book.ask[0].px * 100, ask, "ask %lld ticks", (long long)ev->book.ask[0].px);
	cr_assert_eq(ev->book.bid[0].px * 100, bid, "bid %lld ticks", (long long)ev->book.bid[0].px);
	cr_assert_eq(ev->book.ask[0].qty, askq);
	cr_assert_eq(ev->book.bid[0].qty, bidq);
	cr_assert_lt(ev->book.ask[0].px - ev->book.bid[0].px, 100, "spread in ticks of $0.01");
	cr_assert_float_eq((ev->book.ask[0].px + ev->book.bid[0].px) * 0.01 / 2,
			   (ask + bid) / 20000.0, 1e-9, "mid in dollars");
}

/* ------------------------------------------------------------ MT5 fixtures */

#define MT5_HDR "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"

/* WIN, tick 5.  Line 5 has a price off the 5-point grid, line 7 an
 * unknown flag bit: bad rows. */
static const char mt5_ticks[] =
	MT5_HDR
	"2022.01.03\t09:00:00.123\t108400\t108405\t\t\t6\n"
	"2022.01.03\t09:00:00.200\t\t108410\t\t\t4\n"
	"2022.01.03\t09:00:01\t\t\t108410\t3\t88\n"
	"2022.01.03\t09:00:01.001\t108402\t\t\t\t2\n"
	"2022.01.03\t09:00:01.004\t108400\t108405\t108405\t1\t62\n"
	"2022.01.03\t09:00:01.005\t\t\t\t7\t1024\n"
	"2022.01.03\t09:00:01.007\t\t108410\t\t\t0\n"
	"2022.01.03\t09:00:02\t108395\t108400\t108400\t2\t122\n";

/* ------------------------------------------------------------ convert */

TestSuite(convert, .init = t_setup, .fini = t_teardown);

Test(convert, lobster_sample_round_trip)
{
	if (t_skip_without_data())
		return;
	struct t_run r;
	const char *out = t_tmp_path("aapl.jrnl");
	/* --tick in the instrument's units: dollars */
	const char *args[] = { "--input", LOB_MSG, "--format", "lobster", "--tick", "0.01",
			       "--levels", "10", "--output", out, NULL };
	t_convert(&r, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, t_slurp(r.err));
	cr_assert(strstr(t_slurp(r.out), "999 read, 0 skipped"), "%s", t_slurp(r.out));
	cr_assert(strstr(t_slurp(r.out), "1158 = 999 book + 159 trades"), "%s", t_slurp(r.out));

	/* the reader's own unit: LOBSTER files count dollars x 10000 */
	struct feed_opts o = { .tick = 100, .levels = 10 };
	cr_assert_eq(t_same_events(LOB_MSG, FEED_LOBSTER, &o, out), 1158);

	/* the header: the full instrument, from the file name and LOBSTER's units */
	struct journal_reader jr;
	cr_assert_eq(journal_open_read(&jr, out, 0), 0);
	cr_assert_str_eq(jr.hdr.symbol, "AAPL");
	cr_assert_str_eq(jr.hdr.tick_size, "0.01");
	cr_assert_str_eq(jr.hdr.lot_size, "1");
	cr_assert_str_eq(jr.hdr.currency, "USD");
	cr_assert(jr.hdr.flags & JOURNAL_HDR_F_INSTR);
	cr_assert_float_eq(jr.hdr.point_value, 1.0, 1e-12);
	/* the first book as the orderbook file's first row has it: ask
	 * 5859400 and bid 5853300 file units = $585.94 / $585.33, 61 ticks */
	struct event ev;
	cr_assert_eq(journal_next_event(&jr, &ev), 1);
	cr_assert_eq(ev.kind, EV_BOOK);
	t_assert_first_lobster_book(&ev);
	journal_reader_close(&jr);

	/* journal -> journal keeps every record, header symbol and tick */
	const char *out2 = t_tmp_path("again.jrnl");
	const char *args2[] = { "--input", out, "--output", out2, "--symbol", "AAPL", NULL };
	t_convert(&r, args2);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, t_slurp(r.err));
	cr_assert(strstr(t_slurp(r.out), "(journal)"), "%s", t_slurp(r.out));
	cr_assert_eq(t_same_events(out, FEED_JOURNAL, &o, out2), 1158);
	cr_assert_eq(journal_open_read(&jr, out2, 0), 0);
	cr_assert_str_eq(jr.hdr.symbol, "AAPL");
	cr_assert_str_eq(jr.hdr.tick_size, "0.01");
	cr_assert_str_eq(jr.hdr.currency, "USD");
	journal_reader_close(&jr);
}

Test(convert, mt5_fixture_round_trip_and_bad_row_report)
{
	struct t_run r;
	const char *in = t_tmp_path("ticks.tsv"), *out = t_tmp_path("ticks.jrnl");
	t_write_file(in, mt5_ticks);

	/* tick and symbol from the instrument section of the configuration */
	const char *args[] = { "--input", in, "-c", "conf/default.yaml", "--output", out,
			       "--utc-offset", "0", "--max-bad-share", "0.5", NULL };
	t_convert(&r, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, t_slurp(r.err));
	const char *s = t_slurp(r.out);
	cr_assert(strstr(s, "8 read, 2 skipped as bad"), "%s", s);
	cr_assert(strstr(s, "the first at line 5"), "%s", s);
	cr_assert(strstr(s, "ticks.tsv:5: bid '108402'"), "%s", s);
	cr_assert(strstr(s, "ticks.tsv:7: flags '1024'"), "%s", s);

	struct feed_opts o = { .tick = 5 };
	/* e0 book, e1 book, e2 trade, e3 trade + e4 book, e5 book (ask
	 * changed), e6 trade + e7 book */
	cr_assert_eq(t_same_events(in, FEED_MT5, &o, out), 8);

	struct journal_reader jr;
	cr_assert_eq(journal_open_read(&jr, out, 0), 0);
	cr_assert_str_eq(jr.hdr.symbol, "WIN");
	cr_assert_str_eq(jr.hdr.tick_size, "5");
	cr_assert_str_eq(jr.hdr.lot_size, "1");
	cr_assert_str_eq(jr.hdr.currency, "BRL");
	cr_assert_float_eq(jr.hdr.point_value, 0.2, 1e-12);
	journal_reader_close(&jr);

	/* 2 bad rows of 8 is above the default --max-bad-share 0.01 */
	const char *strict_share[] = { "--input", in, "--output", out, NULL };
	t_convert(&r, strict_share);
	cr_assert_eq(r.status, 2, "exit %d", r.status);
	cr_assert(strstr(t_slurp(r.err), "2 of 8 rows are bad (25.00%, above "
			 "--max-bad-share 0.01)"), "%s", t_slurp(r.err));
	cr_assert(strstr(t_slurp(r.err), "ticks.tsv:5: bid '108402'"), "%s", t_slurp(r.err));
}

Test(convert, strict_bad_row_exits_2_with_file_and_line)
{
	struct t_run r;
	const char *in = t_tmp_path("ticks.tsv"), *out = t_tmp_path("strict.jrnl");
	t_write_file(in, mt5_ticks);

	const char *args[] = { "--input", in, "--tick", "5", "--strict", "--output", out, NULL };
	t_convert(&r, args);
	cr_assert_eq(r.status, 2, "exit %d", r.status);
	const char *e = t_slurp(r.err);
	cr_assert(strstr(e, "ticks.tsv:5: bid '108402': not a whole number"), "%s", e);
	cr_assert(!t_exists(out), "no output after a failed conversion");

	/* nothing else is left behind either: only the input and the logs */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "test $(ls '%s' | wc -l) -eq 3", t_tmp_dir);
	cr_assert_eq(system(cmd), 0, "temporary journal left in %s", t_tmp_dir);
}

Test(convert, usage_and_input_errors)
{
	struct t_run r;
	char in[256]; /* t_path's buffers rotate: keep a copy */
	snprintf(in, sizeof(in), "%s", t_tmp_path("ticks.tsv"));
	t_write_file(in, mt5_ticks);

	const char *help[] = { "--help", NULL };
	t_convert(&r, help);
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(t_slurp(r.out), "usage: dm-convert --input FILE --output JOURNAL"));

	const char *none[] = { NULL };
	t_convert(&r, none);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(t_slurp(r.err), "missing --input"), "%s", t_slurp(r.err));

	const char *unknown[] = { "--input", in, "--output", t_tmp_path("o"), "--bogus", NULL };
	t_convert(&r, unknown);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(t_slurp(r.err), "unknown option '--bogus'"), "%s", t_slurp(r.err));

	/* MT5 without --tick: the configured instrument's (WIN 5); the
	 * fixture's 2 bad rows of 8 are then too many */
	const char *no_tick[] = { "--input", in, "--output", t_tmp_path("o"), NULL };
	t_convert(&r, no_tick);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(t_slurp(r.err), "--max-bad-share"), "%s", t_slurp(r.err));

	const char *bad_tick[] = { "--input", in, "--tick", "-5", "--output", t_tmp_path("o"), NULL };
	t_convert(&r, bad_tick);
	cr_assert_eq(r.status, 2);

	const char *off_grid[] = { "--input", in, "--tick", "0.3333333333333", "--output",
				   t_tmp_path("o"), NULL };
	t_convert(&r, off_grid);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(t_slurp(r.err), "--tick '0.3333333333333': expected a positive "
			 "decimal with at most 8 decimals"), "%s", t_slurp(r.err));

	const char *missing[] = { "--input", t_tmp_path("nope.tsv"), "--tick", "5", "--output",
				  t_tmp_path("o"), NULL };
	t_convert(&r, missing);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(t_slurp(r.err), "nope.tsv"), "%s", t_slurp(r.err));

	t_write_file(t_tmp_path("what.txt"), "hello,world\n");
	const char *unknown_fmt[] = { "--input", t_tmp_path("what.txt"), "--tick", "5",
				      "--output", t_tmp_path("o"), NULL };
	t_convert(&r, unknown_fmt);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(t_slurp(r.err), "cannot tell the format"), "%s", t_slurp(r.err));

	/* never replace what is not a regular file, never the input */
	const char *devnull[] = { "--input", in, "--tick", "5", "--output", "/dev/null", NULL };
	t_convert(&r, devnull);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(t_slurp(r.err), "not a regular file"), "%s", t_slurp(r.err));
	const char *self[] = { "--input", in, "--tick", "5", "--output", in, NULL };
	t_convert(&r, self);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(t_slurp(r.err), "is the input file"), "%s", t_slurp(r.err));

	const char *bad_conf[] = { "--input", in, "-c", t_tmp_path("nope.yaml"), "--output",
				   t_tmp_path("o"), NULL };
	t_convert(&r, bad_conf);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(t_slurp(r.err), "nope.yaml"), "%s", t_slurp(r.err));

	/* a journal whose middle is damaged is bad input */
	const char *j = t_tmp_path("ok.jrnl");
	const char *conv[] = { "--input", in, "--tick", "5", "--output", j, "--quiet",
			       "--max-bad-share", "1", NULL };
	t_convert(&r, conv);
	cr_assert_eq(r.status, 0, "%s", t_slurp(r.err));
	int fd = open(j, O_RDWR);
	cr_assert_geq(fd, 0);
	char x = 0x5a;
	cr_assert_eq(pwrite(fd, &x, 1, JOURNAL_HDR_SIZE + 40), 1); /* record 1's payload */
	close(fd);
	const char *corrupt[] = { "--input", j, "--output", t_tmp_path("o2"), NULL };
	t_convert(&r, corrupt);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(t_slurp(r.err), "corrupt record at offset 128"), "%s", t_slurp(r.err));
	cr_assert(!t_exists(t_tmp_path("o2")));
}

Test(convert, a_signal_leaves_no_partial_output, .timeout = 30)
{
	const char *in = t_tmp_path("live.tsv");
	char out[256], tmp_glob[300];
	snprintf(out, sizeof(out), "%s", t_tmp_path("live.jrnl"));
	cr_assert_eq(mkfifo(in, 0600), 0);

	const char *bin = t_convert_bin();
	/* a feed that sends a few rows, then stays open and silent */
	pid_t gen = fork();
	cr_assert_geq(gen, 0);
	if (gen == 0) {
		int fd = open(in, O_WRONLY);
		if (fd < 0 || write(fd, mt5_ticks, sizeof(mt5_ticks) - 1) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int dn = open("/dev/null", O_WRONLY);
		dup2(dn, 1);
		dup2(dn, 2);
		execl(bin, "dm-convert", "--input", in, "--format", "mt5", "--tick",
		      "5", "--output", out, (char *)NULL);
		_exit(121);
	}
	/* wait for its journal to exist under the temporary name */
	snprintf(tmp_glob, sizeof(tmp_glob), "%s.tmp-%d", out, (int)pid);
	for (int i = 0; i < 500 && !t_exists(tmp_glob); i++)
		usleep(10000);
	cr_assert(t_exists(tmp_glob), "%s never appeared", tmp_glob);
	cr_assert_eq(kill(pid, SIGTERM), 0);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "status %d", st);
	cr_assert(!t_exists(tmp_glob), "the temporary journal was left behind");
	cr_assert(!t_exists(out));
	kill(gen, SIGKILL);
	waitpid(gen, &st, 0);
}

/* ------------------------------------------------------------ peak memory */

/*
 * A synthetic LOBSTER pair with 10 levels, written by two child processes
 * into two FIFOs.  The orderbook rows cycle through a pool of valid rows
 * built once (so the writer is never the bottleneck); the message rows
 * carry increasing times and every tenth is a visible execution.
 */
#define GEN_POOL 1024

static void t_gen_orderbook(int fd, long rows)
{
	static char pool[GEN_POOL * 256];
	size_t len = 0;
	struct t_rng g;

	t_rng_seed(&g, 42);
	for (int i = 0; i < GEN_POOL; i++) {
		long ask = 5859400 + (long)t_rng_below(&g, 20) * 100;
		long bid = ask - 100 - (long)t_rng_below(&g, 3) * 100;
		for (int k = 0; k < 10; k++)
			len += (size_t)sprintf(pool + len, "%s%ld,%ld,%ld,%ld", k ? "," : "",
					       ask + 100 * k, 1 + (long)t_rng_below(&g, 900),
					       bid - 100 * k, 1 + (long)t_rng_below(&g, 900));
		pool[len++] = '\n';
	}
	/* whole pool copies, then the first rows of one more */
	long left = rows;
	while (left >= GEN_POOL) {
		for (size_t off = 0; off < len;) {
			ssize_t k = write(fd, pool + off, len - off);
			if (k <= 0)
				_exit(1);
			off += (size_t)k;
		}
		left -= GEN_POOL;
	}
	size_t tail = 0;
	for (long i = 0; i < left; i++)
		tail = (size_t)((char *)memchr(pool + tail, '\n', len - tail) - pool) + 1;
	for (size_t off = 0; off < tail;) {
		ssize_t k = write(fd, pool + off, tail - off);
		if (k <= 0)
			_exit(1);
		off += (size_t)k;
	}
}

static void t_gen_messages(int fd, long rows)
{
	static char buf[1 << 16];
	size_t n = 0;

	for (long i = 0; i < rows; i++) {
		if (n > sizeof(buf) - 128) {
			for (size_t off = 0; off < n;) {
				ssize_t k = write(fd, buf + off, n - off);
				if (k <= 0)
					_exit(1);
				off += (size_t)k;
			}
			n = 0;
		}
		n += (size_t)sprintf(buf + n, "%ld.%09ld,%d,%ld,10,5859400,-1\n",
				     34200 + i / 1000000, (i % 1000000) * 1000,
				     i % 10 == 0 ? 4 : 1, 1000000 + i);
	}
	for (size_t off = 0; off < n;) {
		ssize_t k = write(fd, buf + off, n - off);
		if (k <= 0)
			_exit(1);
		off += (size_t)k;
	}
}

/* Fork a child writing one file of the pair into the FIFO at path. */
static pid_t t_spawn_gen(const char *path, long rows, int orderbook)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_WRONLY);
		if (fd < 0)
			_exit(1);
		if (orderbook)
			t_gen_orderbook(fd, rows);
		else
			t_gen_messages(fd, rows);
		close(fd);
		_exit(0);
	}
	return pid;
}

Test(convert, peak_memory_on_a_1gb_input, .timeout = 180)
{
	/* ~280 bytes per row pair: 3.6 M rows = 1 GB (about 4 s, 5 s under
	 * ASan: no need for a smaller sanitizer run) */
	const long rows = 3600000;
	const char *mp = t_tmp_path("SYN_2012-06-21_0_0_message_10.csv");
	const char *op = t_tmp_path("SYN_2012-06-21_0_0_orderbook_10.csv");
	const char *out = t_tmp_path("syn.jrnl");
	struct t_run r;

	cr_assert_eq(mkfifo(mp, 0600), 0);
	cr_assert_eq(mkfifo(op, 0600), 0);
	pid_t gm = t_spawn_gen(mp, rows, 0), go = t_spawn_gen(op, rows, 1);
	int64_t t0 = t_now_ns();
	/* one level per side keeps the journal (on disk until the fixture
	 * removes it) at ~0.5 GB; the reader still parses all 10 */
	const char *args[] = { "--input", mp, "--tick", "0.01", "--levels", "1",
			       "--output", out, NULL };
	t_convert(&r, args);
	int64_t t1 = t_now_ns();
	int st;
	cr_assert_eq(waitpid(gm, &st, 0), gm);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "message generator failed");
	cr_assert_eq(waitpid(go, &st, 0), go);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "orderbook generator failed");

	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, t_slurp(r.err));
	char want[64];
	snprintf(want, sizeof(want), "%ld read, 0 skipped", rows);
	const char *s = t_slurp(r.out);
	cr_assert(strstr(s, want), "%s", s);
	snprintf(want, sizeof(want), "%ld book + %ld trades", rows, rows / 10);
	cr_assert(strstr(s, want), "%s", s);
	/* a progress line about every second (when it ran long enough) */
	if (t1 - t0 > 2000000000LL)
		cr_assert(strstr(t_slurp(r.err), "MB/s"), "no progress lines: %s",
			  t_slurp(r.err));
	/* a sanitizer's own memory (shadow, runtime) is not dm-convert's:
	 * ~22 MiB under ASan here; allow it some room */
	long limit = T_SANITIZED ? 2 * MAX_RSS_KIB : MAX_RSS_KIB;
	cr_assert_lt(r.maxrss_kib, limit, "dm-convert peak RSS %ld KiB", r.maxrss_kib);
	cr_assert_lt(r.hwm_kib, limit, "dm-convert VmHWM %ld KiB", r.hwm_kib);
	cr_log_info("dm-convert: %ld LOBSTER row pairs (%.2f GB) via FIFOs in %.1f s, "
		    "peak RSS %.1f MiB (ru_maxrss), %.1f MiB (its own VmHWM)", rows,
		    rows * 280e-9, (t1 - t0) / 1e9, r.maxrss_kib / 1024.0,
		    r.hwm_kib / 1024.0);
}

/* ------------------------------------------------------------ feed_journal */

TestSuite(feed_journal, .init = t_setup, .fini = t_teardown);

/* n events: book i has (i % 21) bids and ((i * 7) % 21) asks, every third
 * event a trade; values from i. */
static void t_event(uint64_t i, struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->instrument = 3;
	ev->exch_ns = 1640995200000000000LL + (int64_t)i * 1000;
	ev->recv_ns = ev->exch_ns + 7;
	if (i % 3 == 2) {
		ev->kind = EV_TRADE;
		ev->trade.px = 26000 + (int64_t)(i % 11);
		ev->trade.qty = 1 + (int64_t)(i % 5);
		ev->trade.trade_id = i;
		ev->trade.aggressor = i % 2 ? 1 : -1;
		return;
	}
	ev->kind = EV_BOOK;
	ev->book.n_bid = (uint16_t)(i % 21);
	ev->book.n_ask = (uint16_t)((i * 7) % 21);
	ev->book.flags = (uint32_t)(i % 4 == 0);
	for (int k = 0; k < ev->book.n_bid; k++)
		ev->book.bid[k] = (struct book_level){ 26000 - k, 1 + (int64_t)((i + k) % 50) };
	for (int k = 0; k < ev->book.n_ask; k++)
		ev->book.ask[k] = (struct book_level){ 26001 + k, 1 + (int64_t)((i * 3 + k) % 50) };
}

static void t_write_journal(const char *path, uint64_t n, int with_raw)
{
	static struct journal_writer w;
	struct journal_opts o = { .symbol = "WIN", .tick_size = "5" };
	struct event ev;

	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	for (uint64_t i = 0; i < n; i++) {
		t_event(i, &ev);
		cr_assert_eq(journal_append_event(&w, &ev), 0);
		if (with_raw && i % 10 == 0)
			cr_assert_eq(journal_append(&w, JREC_RAW, "raw line", 8), 0);
	}
	cr_assert_eq(journal_close(&w), 0);
}

Test(feed_journal, detected_by_magic_and_read_back)
{
	/* a LOBSTER-looking, .csv name: the magic wins */
	const char *p = t_tmp_path("X_2022-01-01_0_0_message_5.csv");
	struct feed_opts o = { 0 };
	struct feed_reader r;
	struct event ev, want;
	char err[512];
	int rc;
	uint64_t i = 0;

	t_write_journal(p, 1000, 1);
	cr_assert_eq(feed_open(&r, p, FEED_AUTO, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(feed_format_of(&r), FEED_JOURNAL);
	while ((rc = feed_next(&r, &ev)) == 1) {
		t_event(i, &want);
		cr_assert(memcmp(&ev, &want, sizeof(ev)) == 0, "event %lu differs",
			  (unsigned long)i);
		i++;
	}
	cr_assert_eq(rc, 0, "%s", feed_error(&r));
	cr_assert_eq(i, 1000);
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->rows, 1100, "records read");
	cr_assert_eq(st->ignored, 100, "JREC_RAW records");
	cr_assert_eq(st->events_book + st->events_trade, 1000);
	cr_assert_eq(st->events_trade, 333);
	struct stat sb;
	cr_assert_eq(stat(p, &sb), 0);
	cr_assert_eq(st->bytes, (uint64_t)sb.st_size);
	cr_assert_eq(feed_next(&r, &ev), 0, "the end stays the end");
	feed_close(&r);

	/* named explicitly too */
	cr_assert_eq(feed_open(&r, p, FEED_JOURNAL, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(feed_next(&r, &ev), 1);
	feed_close(&r);
}

Test(feed_journal, levels_cut_and_instrument_replaced)
{
	const char *p = t_tmp_path("l.jrnl");
	struct feed_opts o = { .levels = 3, .instrument = 9 };
	struct feed_reader r;
	struct event ev, want;
	char err[512];
	uint64_t i = 0;

	t_write_journal(p, 300, 0);
	cr_assert_eq(feed_open(&r, p, FEED_AUTO, &o, err, sizeof(err)), 0, "%s", err);
	while (feed_next(&r, &ev) == 1) {
		t_event(i++, &want);
		want.instrument = 9;
		if (want.kind == EV_BOOK) {
			for (int k = 3; k < EV_MAX_LEVELS; k++) {
				want.book.bid[k] = (struct book_level){ 0, 0 };
				want.book.ask[k] = (struct book_level){ 0, 0 };
			}
			want.book.n_bid = want.book.n_bid > 3 ? 3 : want.book.n_bid;
			want.book.n_ask = want.book.n_ask > 3 ? 3 : want.book.n_ask;
		}
		cr_assert(memcmp(&ev, &want, sizeof(ev)) == 0, "event %lu", (unsigned long)i - 1);
	}
	cr_assert_eq(i, 300);
	feed_close(&r);
}

/* Two readers of path, one by feed_next, one by feed_next_ref: the same
 * events, returns, counters and errors.  Returns the events. */
static uint64_t t_ref_equals_copy(const char *path, enum feed_format fmt,
				  const struct feed_opts *o)
{
	static struct feed_reader a, b;
	struct event ev;
	const struct event *ref;
	char err[512];
	int ra, rb;
	uint64_t n = 0;

	cr_assert_eq(feed_open(&a, path, fmt, o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(feed_open(&b, path, fmt, o, err, sizeof(err)), 0, "%s", err);
	do {
		ra = feed_next(&a, &ev);
		rb = feed_next_ref(&b, &ref);
		cr_assert_eq(ra, rb, "event %lu: %d by copy, %d by reference", (unsigned long)n,
			     ra, rb);
		if (ra == 1) {
			cr_assert(memcmp(&ev, ref, sizeof(ev)) == 0, "event %lu differs",
				  (unsigned long)n);
			n++;
		}
	} while (ra == 1);
	cr_assert_eq(feed_next_ref(&b, &ref), ra, "the end (or the error) stays");
	cr_assert(memcmp(feed_stats(&a), feed_stats(&b), sizeof(struct feed_stats)) == 0,
		  "the counters differ");
	cr_assert_str_eq(feed_error(&a), feed_error(&b));
	feed_close(&a);
	feed_close(&b);
	return n;
}

Test(feed_journal, by_reference_reads_what_a_copy_reads)
{
	const char *p = t_tmp_path("ref.jrnl"), *v1 = t_tmp_path("ref-v1.jrnl");
	struct feed_opts o = { 0 }, cut = { .levels = 3, .instrument = 9 };
	struct stat sb;

	t_write_journal(p, 3000, 1);
	cr_assert_eq(t_ref_equals_copy(p, FEED_AUTO, &o), 3000);
	cr_assert_eq(t_ref_equals_copy(p, FEED_AUTO, &cut), 3000, "levels cut, instrument set");
	/* version 1: every book a snapshot decoded on its own */
	static struct journal_writer w;
	struct journal_opts jo = { .symbol = "WIN", .tick_size = "5", .flags = JOURNAL_W_FULL };
	struct event ev;
	cr_assert_eq(journal_open_write(&w, v1, &jo), 0);
	for (uint64_t i = 0; i < 500; i++) {
		t_event(i, &ev);
		cr_assert_eq(journal_append_event(&w, &ev), 0);
	}
	cr_assert_eq(journal_close(&w), 0);
	cr_assert_eq(t_ref_equals_copy(v1, FEED_AUTO, &o), 500);
	/* a torn tail: one bad row either way, then strict: the same error */
	cr_assert_eq(stat(p, &sb), 0);
	cr_assert_eq(truncate(p, sb.st_size - 5), 0);
	cr_assert_eq(t_ref_equals_copy(p, FEED_AUTO, &o), 2999);
	o.strict = 1;
	cr_assert_eq(t_ref_equals_copy(p, FEED_AUTO, &o), 2999);
	/* a text format goes through the reader's own event */
	struct feed_opts lo = { .tick = 0.01 };
	cr_assert_eq(t_ref_equals_copy(LOB_MSG, FEED_LOBSTER, &lo), 1158);
}

Test(feed_journal, torn_tail_is_one_bad_row)
{
	const char *p = t_tmp_path("torn.jrnl");
	struct feed_opts o = { 0 };
	struct feed_reader r;
	struct event ev;
	char err[512];
	struct stat sb;
	uint64_t n = 0;
	int rc;

	t_write_journal(p, 50, 0);
	cr_assert_eq(stat(p, &sb), 0);
	cr_assert_eq(truncate(p, sb.st_size - 5), 0); /* the last record loses 5 bytes */

	cr_assert_eq(feed_open(&r, p, FEED_AUTO, &o, err, sizeof(err)), 0, "%s", err);
	while ((rc = feed_next(&r, &ev)) == 1)
		n++;
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 49);
	const struct feed_stats *st = feed_stats(&r);
	cr_assert_eq(st->skipped, 1);
	cr_assert_eq(st->first_bad_line, 50, "the record number of the torn one");
	cr_assert(strstr(st->sample[0], "torn.jrnl:50: torn tail"), "%s", st->sample[0]);
	cr_assert_eq(st->bytes, (uint64_t)sb.st_size - 5);
	feed_close(&r);

	o.strict = 1;
	n = 0;
	cr_assert_eq(feed_open(&r, p, FEED_AUTO, &o, err, sizeof(err)), 0, "%s", err);
	while ((rc = feed_next(&r, &ev)) == 1)
		n++;
	cr_assert_eq(n, 49);
	cr_assert_eq(rc, -DM_ECORRUPT);
	cr_assert(strstr(feed_error(&r), "torn tail"), "%s", feed_error(&r));
	cr_assert_eq(feed_next(&r, &ev), -DM_ECORRUPT, "sticky");
	feed_close(&r);
}

Test(feed_journal, corruption_is_fatal_in_any_mode)
{
	const char *p = t_tmp_path("bad.jrnl");
	struct feed_opts o = { 0 };
	struct feed_reader r;
	struct event ev;
	char err[512];
	uint64_t n = 0;
	int rc;

	t_write_journal(p, 50, 0);
	/* record 1 is a book of 0 bids and 0 asks: 24 + 32 bytes; damage
	 * record 2's payload */
	int fd = open(p, O_RDWR);
	cr_assert_geq(fd, 0);
	char x = 0x7f;
	cr_assert_eq(pwrite(fd, &x, 1, JOURNAL_HDR_SIZE + 56 + 30), 1);
	close(fd);
	cr_assert_eq(feed_open(&r, p, FEED_AUTO, &o, err, sizeof(err)), 0, "%s", err);
	while ((rc = feed_next(&r, &ev)) == 1)
		n++;
	cr_assert_eq(n, 1);
	cr_assert_eq(rc, -DM_ECORRUPT);
	cr_assert(strstr(feed_error(&r), "corrupt record at offset 184"), "%s", feed_error(&r));
	cr_assert_eq(feed_next(&r, &ev), -DM_ECORRUPT, "sticky");
	feed_close(&r);
}

Test(feed_journal, bad_headers_and_non_files)
{
	struct feed_opts o = { 0 };
	struct feed_reader r;
	char err[512];

	t_write_file(t_tmp_path("short.jrnl"), "DMJRNL");
	cr_assert_eq(feed_open(&r, t_tmp_path("short.jrnl"), FEED_AUTO, &o, err, sizeof(err)),
		     -DM_ECORRUPT);
	cr_assert(strstr(err, "short.jrnl: damaged or incomplete journal header"), "%s", err);

	t_write_file(t_tmp_path("text.csv"), "hello,world\n");
	cr_assert_eq(feed_open(&r, t_tmp_path("text.csv"), FEED_JOURNAL, &o, err, sizeof(err)),
		     -DM_EMAGIC);
	cr_assert(strstr(err, "not a DreamMaker journal"), "%s", err);

	cr_assert_eq(mkfifo(t_tmp_path("fifo"), 0600), 0);
	cr_assert_eq(feed_open(&r, t_tmp_path("fifo"), FEED_JOURNAL, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not a regular file"), "%s", err);

	/* other formats still need their tick */
	cr_assert_eq(feed_open(&r, t_tmp_path("text.csv"), FEED_MT5, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "tick"), "%s", err);
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

Test(feed_journal, long_journal_in_bounded_memory, .timeout = 120)
{
	/* ~190 bytes per record: 1.2 M records = 230 MB mapped */
	const uint64_t n = T_SANITIZED ? 300000 : 1200000;
	const char *p = t_tmp_path("long.jrnl");
	struct feed_opts o = { 0 };
	struct feed_reader r;
	struct event ev;
	char err[512];
	long rss0 = 0, rss_max = 0;
	uint64_t k = 0;
	int rc;

	t_write_journal(p, n, 0);
	cr_assert_eq(feed_open(&r, p, FEED_AUTO, &o, err, sizeof(err)), 0, "%s", err);
	while ((rc = feed_next(&r, &ev)) == 1) {
		if (++k == 1000)
			rss0 = t_rss_kib();
		if (k % 100000 == 0) {
			long now = t_rss_kib();
			rss_max = now > rss_max ? now : rss_max;
		}
	}
	cr_assert_eq(rc, 0, "%s", feed_error(&r));
	cr_assert_eq(k, n);
	cr_assert_lt(rss_max - rss0, 48 * 1024, "RSS grew %ld KiB over %.0f MB of journal",
		     rss_max - rss0, feed_stats(&r)->bytes / 1e6);
	cr_log_info("journal feed: %.0f MB, RSS %ld -> %ld KiB", feed_stats(&r)->bytes / 1e6,
		    rss0, rss_max);
	feed_close(&r);
}
