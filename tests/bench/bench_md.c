/*
 * bench_md.c — market-data throughput: journal replay into the book,
 * LOBSTER and MetaTrader 5 CSV parsing, journal writing through io_uring
 * beside a plain write() loop, and dm-convert's peak memory on a 1 GB
 * input.  Prints one table, each figure beside its goal or the baseline
 * it is compared with, and a goals section.
 *
 * Method.  Inputs are generated first into a private directory under
 * --dir (default /tmp), outside every timed region, and are then in the
 * page cache: the figures are CPU cost, not disk speed.  The process is
 * pinned to CPU 1 for the single-threaded figures.  Each figure runs
 * --reps times in turn with the others (default 3) after one unrecorded
 * warm-up pass, and the median run is shown.
 *
 *   journal replay     a dm-gen market (libcore/gen, default parameters:
 *                      10 levels, ~12% trades) of --events events, written
 *                      twice: with book deltas (the default format) and
 *                      snapshots only (JOURNAL_W_FULL, the old format).
 *                      Every way below checks each record's crc and
 *                      brings a struct book up to date for every book
 *                      event; times include the open.  Best path: the
 *                      delta file read(2) into one buffer (JOURNAL_SEQ),
 *                      journal_next_event_ref, and the price-level changes
 *                      the reader reports applied with book_apply_level
 *                      (book_apply_snapshot when it reports none).  Beside
 *                      it the old path, the baseline: the snapshot file
 *                      mapped, journal_next_event + book_apply_snapshot.
 *                      Then the delta file with journal_next_event +
 *                      book_apply_snapshot, read and mapped; feed_next on
 *                      the delta file (libcore/feed) + book_apply_snapshot;
 *                      and the snapshot file opened with JOURNAL_VERIFY
 *                      (every crc checked once at open), then journal_next
 *                      with the levels handed to book_apply_snapshot
 *                      straight from the mapping, no decode: timed with
 *                      and without the open.
 *   CSV parsing        feed_open + feed_next to the end over a generated
 *                      LOBSTER pair with 10 levels (like the bundled AAPL
 *                      sample; --rows row pairs) and an MT5 export
 *                      (--mt5-rows rows); rows/s counts data rows (LOBSTER:
 *                      row pairs).
 *   journal writing    --write-mb MB of event records (a pool of 4096
 *                      dm-gen events, appended in a cycle, snapshots only)
 *                      through journal_append_event + journal_close, with
 *                      io_uring and with its pwrite fallback, beside a
 *                      plain loop of write(2) calls of 1 MiB writing the
 *                      same number of bytes of the same records; then the
 *                      same events with book deltas (events/s: the
 *                      encoder's cost).  No fsync in any of them (page
 *                      cache).  Files are unlinked after.
 *   dm-convert memory  <build>/bin/dm-convert converts --convert-gb GB of
 *                      LOBSTER text written into two FIFOs by generator
 *                      processes (no input file on disk); peak RSS is the
 *                      child's ru_maxrss (wait4).  Not pinned.
 *
 * Exit status: 0 whether or not the goals are met; 1 if a measurement
 * breaks (an error from the code under test, cannot generate); 2 for bad
 * usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libcore/market/book.h"
#include "libcore/market/calendar.h"
#include "libcore/config/config.h"
#include "libcore/feed/feed.h"
#include "libcore/gen/gen.h"
#include "libcore/journal/journal.h"
#include "tests/bench/bench_table.h"

#define CPU_BENCH 1

#define GOAL_REPLAY_EV_S  20e6   /* journal replay into the book */
#define GOAL_PARSE_ROWS_S 3e6    /* LOBSTER and MT5 rows */
#define GOAL_RSS_MIB      64.0   /* dm-convert on 1 GB */
#define MAX_REPS          9

struct opts {
	uint64_t events, rows, mt5_rows, write_mb;
	double   convert_gb;
	uint32_t reps;
	const char *dir;
};

static const char *g_stage = "start";
static char g_dir[PATH_MAX];
static int64_t g_t0_ns;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void cleanup_dir(void)
{
	char cmd[PATH_MAX + 32];
	if (!g_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_md: could not remove %s\n", g_dir);
	g_dir[0] = '\0';
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "bench_md: %s: ", g_stage);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup_dir();
	exit(1);
}

static void stage(const char *s)
{
	g_stage = s;
	fprintf(stderr, "[%5.1fs] %s\n", (double)(mono_ns() - g_t0_ns) / 1e9, s);
}

static int pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
	} else {
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	}
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static const char *path_in(const char *name)
{
	static char buf[4][PATH_MAX + 64];
	static unsigned k;
	char *p = buf[k++ % 4];
	if (snprintf(p, sizeof(buf[0]), "%s/%s", g_dir, name) >= (int)sizeof(buf[0]))
		die("path too long");
	return p;
}

static double median(double *v, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------ table */
/* ------------------------------------------------------------ journal replay */

static uint64_t g_sink; /* keeps the book's work observable */

static void make_journal(const char *path, uint64_t n, uint32_t flags)
{
	static struct gen g;
	static struct journal_writer w;
	struct dm_config cfg;
	struct calendar cal;
	struct gen_params p;
	struct journal_opts jo = { .symbol = "WIN", .tick_size = "5",
				   .fsync = JOURNAL_FSYNC_NONE,
				   .flags = JOURNAL_W_TRUNC | flags };
	dm_date_t date;
	struct event ev;
	char err[256];
	int rc;

	config_defaults(&cfg);
	if (cal_init(&cal, &cfg.instrument) || cal_date_parse("2022-01-03", 10, &date))
		die("calendar refused");
	gen_params_default(&p);
	if ((rc = gen_init(&g, &p, 1, &cal, date, err, sizeof(err))))
		die("gen_init: %s", err);
	if ((rc = journal_open_write(&w, path, &jo)))
		die("journal_open_write %s: %s", path, dm_strerror(rc));
	for (uint64_t i = 0; i < n; i++) {
		gen_next(&g, &ev);
		if ((rc = journal_append_event(&w, &ev)))
			die("journal_append_event: %s", dm_strerror(rc));
	}
	if ((rc = journal_close(&w)))
		die("journal_close: %s", dm_strerror(rc));
}

/* the best path: JOURNAL_SEQ, events by reference, level changes applied;
 * returns seconds, *snaps gets the book events applied as snapshots */
static double replay_best(const char *path, uint64_t *n_out, uint64_t *snaps)
{
	static struct journal_reader jr;
	static struct book b;
	const struct event *ev;
	uint64_t n = 0, ns = 0;
	int rc;

	book_init(&b, BOOK_MAX_LEVELS);
	int64_t t0 = mono_ns();
	if ((rc = journal_open_read(&jr, path, JOURNAL_SEQ)))
		die("journal_open_read: %s", dm_strerror(rc));
	while ((rc = journal_next_event_ref(&jr, &ev)) == 1) {
		n++;
		if (ev->kind != EV_BOOK)
			continue;
		const struct book_change *ch;
		int k = journal_reader_book_changes(&jr, &ch);
		if (k < 0) {
			ns++;
			book_apply_snapshot(&b, ev->book.bid, ev->book.n_bid, ev->book.ask,
					    ev->book.n_ask, ev->exch_ns, ev->recv_ns);
		}
		for (int i = 0; i < k; i++)
			book_apply_level(&b, (enum book_side)ch[i].side, ch[i].px, ch[i].qty,
					 ev->exch_ns, ev->recv_ns);
	}
	int64_t t1 = mono_ns();
	if (rc < 0)
		die("journal_next_event_ref: %s", dm_strerror(rc));
	/* the levels must be those of the last book event */
	if (b.n[BOOK_BID] != jr.book.book.n_bid || b.n[BOOK_ASK] != jr.book.book.n_ask ||
	    memcmp(b.level[BOOK_BID], jr.book.book.bid, sizeof(struct book_level) * b.n[0]) ||
	    memcmp(b.level[BOOK_ASK], jr.book.book.ask, sizeof(struct book_level) * b.n[1]))
		die("the book built from level changes differs from the last snapshot");
	journal_reader_close(&jr);
	g_sink += (uint64_t)book_best_bid_px(&b);
	*n_out = n;
	*snaps = ns;
	return (double)(t1 - t0) / 1e9;
}

/* (1) journal_next_event + book_apply_snapshot; returns seconds */
static double replay_decode(const char *path, uint32_t flags, uint64_t *n_out)
{
	static struct journal_reader jr;
	static struct book b;
	struct event ev;
	uint64_t n = 0;
	int rc;

	book_init(&b, BOOK_MAX_LEVELS);
	int64_t t0 = mono_ns();
	if ((rc = journal_open_read(&jr, path, flags)))
		die("journal_open_read: %s", dm_strerror(rc));
	while ((rc = journal_next_event(&jr, &ev)) == 1) {
		n++;
		if (ev.kind == EV_BOOK)
			book_apply_snapshot(&b, ev.book.bid, ev.book.n_bid, ev.book.ask,
					    ev.book.n_ask, ev.exch_ns, ev.recv_ns);
	}
	int64_t t1 = mono_ns();
	if (rc < 0)
		die("journal_next_event: %s", dm_strerror(rc));
	journal_reader_close(&jr);
	g_sink += (uint64_t)book_best_bid_px(&b);
	*n_out = n;
	return (double)(t1 - t0) / 1e9;
}

/* (2) feed_next on the journal + book_apply_snapshot */
static double replay_feed(const char *path, uint64_t *n_out)
{
	static struct feed_reader r;
	static struct book b;
	struct feed_opts o = { 0 };
	struct event ev;
	char err[FEED_ERR_LEN];
	uint64_t n = 0;
	int rc;

	book_init(&b, BOOK_MAX_LEVELS);
	int64_t t0 = mono_ns();
	if ((rc = feed_open(&r, path, FEED_AUTO, &o, err, sizeof(err))))
		die("feed_open: %s", err);
	while ((rc = feed_next(&r, &ev)) == 1) {
		n++;
		if (ev.kind == EV_BOOK)
			book_apply_snapshot(&b, ev.book.bid, ev.book.n_bid, ev.book.ask,
					    ev.book.n_ask, ev.exch_ns, ev.recv_ns);
	}
	int64_t t1 = mono_ns();
	if (rc < 0)
		die("feed_next: %s", feed_error(&r));
	feed_close(&r);
	g_sink += (uint64_t)book_best_bid_px(&b);
	*n_out = n;
	return (double)(t1 - t0) / 1e9;
}

/* (3) JOURNAL_VERIFY at open, then the levels straight from the mapping;
 * *open_s gets the open's share */
static double replay_mapped(const char *path, uint64_t *n_out, double *open_s)
{
	static struct journal_reader jr;
	static struct book b;
	const struct jrec *rec;
	uint64_t n = 0;
	int rc;

	book_init(&b, BOOK_MAX_LEVELS);
	int64_t t0 = mono_ns();
	if ((rc = journal_open_read(&jr, path, JOURNAL_VERIFY)))
		die("journal_open_read: %s", dm_strerror(rc));
	int64_t t1 = mono_ns();
	while ((rc = journal_next(&jr, &rec)) == 1) {
		if (rec->type != JREC_EVENT)
			continue;
		struct jev_head h;
		memcpy(&h, rec->payload, sizeof(h));
		n++;
		if (h.kind != EV_BOOK)
			continue;
		struct jev_book jb;
		memcpy(&jb, rec->payload + sizeof(h), sizeof(jb));
		/* records and so levels are 8-aligned in the mapping */
		const struct book_level *lv =
			(const struct book_level *)(const void *)(rec->payload + sizeof(h) + sizeof(jb));
		if (rec->len != JEV_BOOK_SIZE(jb.n_bid, jb.n_ask))
			die("record %" PRIu64 ": bad book length", rec->seq);
		book_apply_snapshot(&b, lv, jb.n_bid, lv + jb.n_bid, jb.n_ask, h.exch_ns,
				    h.recv_ns);
	}
	int64_t t2 = mono_ns();
	if (rc < 0)
		die("journal_next: %s", dm_strerror(rc));
	journal_reader_close(&jr);
	g_sink += (uint64_t)book_best_bid_px(&b);
	*n_out = n;
	*open_s = (double)(t1 - t0) / 1e9;
	return (double)(t2 - t0) / 1e9;
}

/* Bytes of path per second: touching one byte per 64 of a fresh mapping
 * (every page faulted in from the page cache), or read(2) into a reused
 * 1 MiB buffer.  The floor under any replay of a cold mapping. */
static double touch_rate(const char *path, int use_read)
{
	static uint8_t buf[1 << 20];
	struct stat st;
	uint64_t x = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", path, strerror(errno));
	size_t n = (size_t)st.st_size;
	int64_t t0 = mono_ns();
	if (use_read) {
		ssize_t k;
		while ((k = read(fd, buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < k; i += 64)
				x += buf[i];
	} else {
		const volatile uint8_t *m = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		for (size_t i = 0; i < n; i += 64)
			x += m[i];
		munmap((void *)(uintptr_t)m, n);
	}
	int64_t t1 = mono_ns();
	close(fd);
	g_sink += x;
	return (double)n / ((double)(t1 - t0) / 1e9);
}

/* ------------------------------------------------------------ CSV inputs */

static FILE *open_w(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static uint64_t xs_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/*
 * A LOBSTER pair of n levels (like the AAPL sample: prices in 1/10000
 * USD on the cent grid, sizes 1..1000, 10% executions).  The orderbook
 * rows come from a pool of 65536 distinct rows built once: formatting
 * every row would take longer than parsing it.
 */
#define LOB_POOL 65536

static void make_lobster(const char *mpath, const char *opath, uint64_t rows, int n)
{
	FILE *m = open_w(mpath), *o = open_w(opath);
	char *pool = malloc((size_t)LOB_POOL * 26 * 4 * (size_t)n);
	uint32_t *off = malloc(sizeof(uint32_t) * (LOB_POOL + 1));
	uint64_t s = 0x9e3779b97f4a7c15ull;
	size_t len = 0;

	if (!pool || !off)
		die("out of memory");
	for (int i = 0; i < LOB_POOL; i++) {
		long ask = 5859400 + (long)(xs_next(&s) % 40) * 100;
		long bid = ask - 100 - (long)(xs_next(&s) % 3) * 100;
		off[i] = (uint32_t)len;
		for (int k = 0; k < n; k++)
			len += (size_t)sprintf(pool + len, "%s%ld,%ld,%ld,%ld", k ? "," : "",
					       ask + 100 * k + (k > 3 ? 300 : 0),
					       1 + (long)(xs_next(&s) % 1000),
					       bid - 100 * k - (k > 3 ? 700 : 0),
					       1 + (long)(xs_next(&s) % 1000));
		pool[len++] = '\n';
	}
	off[LOB_POOL] = (uint32_t)len;
	for (uint64_t i = 0; i < rows; i++) {
		uint64_t r = xs_next(&s);
		int type = r % 10 == 0 ? 4 : r % 10 < 5 ? 1 : 3;
		fprintf(m, "%" PRIu64 ".%09" PRIu64 ",%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%d\n",
			34200 + i / 100000, (i % 100000) * 10000 + (r >> 40) % 10000, type,
			16113575 + i, 1 + (r >> 8) % 400, 5850000 + ((r >> 20) % 200) * 100,
			(r >> 33) & 1 ? 1 : -1);
		uint32_t k = (uint32_t)(i % LOB_POOL);
		fwrite(pool + off[k], 1, off[k + 1] - off[k], o);
	}
	if (fclose(m) || fclose(o))
		die("writing the LOBSTER pair: %s", strerror(errno));
	free(pool);
	free(off);
}

/* An MT5 tick export of WIN: quote rows (bid and ask, or one side),
 * trades (last + volume + buy/sell), and both at once. */
static void make_mt5(const char *path, uint64_t rows)
{
	FILE *f = open_w(path);
	uint64_t s = 0x2545f4914f6cdd1dull;

	fputs("<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n", f);
	for (uint64_t i = 0; i < rows; i++) {
		uint64_t r = xs_next(&s);
		long bid = 108400 + (long)(r % 9) * 5, ask = bid + 5 * (1 + (long)((r >> 8) % 2));
		unsigned hh = 9 + (unsigned)(i / 3600000 % 9), mm = (unsigned)(i / 60000 % 60);
		unsigned ss = (unsigned)(i / 1000 % 60), ms = (unsigned)(i % 1000);
		long vol = 1 + (long)((r >> 16) % 20);
		switch ((r >> 30) % 4) {
		case 0:
			fprintf(f, "2022.01.03\t%02u:%02u:%02u.%03u\t%ld\t%ld\t\t\t6\n", hh, mm, ss,
				ms, bid, ask);
			break;
		case 1:
			fprintf(f, "2022.01.03\t%02u:%02u:%02u.%03u\t%ld\t\t\t\t2\n", hh, mm, ss, ms,
				bid);
			break;
		case 2:
			fprintf(f, "2022.01.03\t%02u:%02u:%02u.%03u\t\t\t%ld\t%ld\t%d\n", hh, mm, ss,
				ms, (r >> 40) & 1 ? ask : bid, vol, (r >> 40) & 1 ? 56 : 88);
			break;
		default:
			fprintf(f, "2022.01.03\t%02u:%02u:%02u.%03u\t%ld\t%ld\t%ld\t%ld\t62\n", hh, mm,
				ss, ms, bid, ask, ask, vol);
			break;
		}
	}
	if (fclose(f))
		die("writing %s: %s", path, strerror(errno));
}

/* feed_open + feed_next to the end; seconds, *rows and *bytes out */
static double parse_all(const char *path, double tick, uint64_t *rows, uint64_t *bytes)
{
	static struct feed_reader r;
	struct feed_opts o = { .tick = tick, .levels = 10 };
	struct event ev;
	char err[FEED_ERR_LEN];
	uint64_t n = 0;
	int rc;

	int64_t t0 = mono_ns();
	if ((rc = feed_open(&r, path, FEED_AUTO, &o, err, sizeof(err))))
		die("feed_open: %s", err);
	while ((rc = feed_next(&r, &ev)) == 1)
		n += (uint64_t)ev.exch_ns;
	int64_t t1 = mono_ns();
	if (rc < 0)
		die("feed_next: %s", feed_error(&r));
	if (feed_stats(&r)->skipped)
		die("%s: %" PRIu64 " bad rows: %s", path, feed_stats(&r)->skipped,
		    feed_stats(&r)->sample[0]);
	*rows = feed_stats(&r)->rows;
	*bytes = feed_stats(&r)->bytes;
	g_sink += n;
	feed_close(&r);
	return (double)(t1 - t0) / 1e9;
}

/* ------------------------------------------------------------ journal writing */

#define WPOOL 4096
static struct event g_wpool[WPOOL];

static void make_wpool(void)
{
	static struct gen g;
	struct dm_config cfg;
	struct calendar cal;
	struct gen_params p;
	dm_date_t date;
	char err[256];

	config_defaults(&cfg);
	if (cal_init(&cal, &cfg.instrument) || cal_date_parse("2022-01-03", 10, &date))
		die("calendar refused");
	gen_params_default(&p);
	if (gen_init(&g, &p, 7, &cal, date, err, sizeof(err)))
		die("gen_init: %s", err);
	for (int i = 0; i < WPOOL; i++)
		gen_next(&g, &g_wpool[i]);
}

/* Append pool events until target bytes; seconds (open to close). */
/* Append pool events until target bytes, or target_ev events when not 0;
 * seconds (open to close), *bytes and *events out. */
static double write_journal(const char *path, uint64_t target, uint64_t target_ev,
			    uint32_t flags, int *uring, uint64_t *bytes, uint64_t *events)
{
	static struct journal_writer w;
	struct journal_opts jo = { .symbol = "WIN", .tick_size = "5",
				   .fsync = JOURNAL_FSYNC_NONE, .flags = JOURNAL_W_TRUNC | flags };
	int rc;

	int64_t t0 = mono_ns();
	if ((rc = journal_open_write(&w, path, &jo)))
		die("journal_open_write: %s", dm_strerror(rc));
	for (uint64_t i = 0; target_ev ? w.stats.records < target_ev : w.stats.bytes < target; i++)
		if ((rc = journal_append_event(&w, &g_wpool[i % WPOOL])))
			die("journal_append_event: %s", dm_strerror(rc));
	*uring = journal_writer_uses_uring(&w);
	*bytes = w.stats.bytes;
	*events = w.stats.records;
	if ((rc = journal_close(&w)))
		die("journal_close: %s", dm_strerror(rc));
	int64_t t1 = mono_ns();
	return (double)(t1 - t0) / 1e9;
}

/* write(2) of 1 MiB chunks of buf until bytes; seconds (open to close) */
static double write_plain(const char *path, const uint8_t *buf, size_t len, uint64_t bytes)
{
	int64_t t0 = mono_ns();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	for (uint64_t done = 0; done < bytes;) {
		size_t n = bytes - done < len ? (size_t)(bytes - done) : len;
		ssize_t k = write(fd, buf, n);
		if (k <= 0)
			die("write: %s", strerror(errno));
		done += (uint64_t)k;
	}
	if (close(fd))
		die("close: %s", strerror(errno));
	int64_t t1 = mono_ns();
	return (double)(t1 - t0) / 1e9;
}

/* ------------------------------------------------------------ dm-convert */

static const char *convert_bin(void)
{
	static char bin[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	snprintf(bin, sizeof(bin), "%s/bin/dm-convert", dirname(dirname(self)));
	return access(bin, X_OK) == 0 ? bin : NULL;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k <= 0)
			_exit(1);
		p += k;
		n -= (size_t)k;
	}
}

/* Child: rows of one file of a 10-level pair into the FIFO at path. */
static pid_t spawn_gen(const char *path, uint64_t rows, int orderbook)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid)
		return pid;
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		_exit(1);
	static char buf[1 << 20];
	uint64_t s = 42;
	size_t n = 0;
	if (orderbook) { /* a pool of 1024 rows, cycled */
		size_t len = 0, cut[1025];
		for (int i = 0; i < 1024; i++) {
			long ask = 5859400 + (long)(xs_next(&s) % 20) * 100;
			long bid = ask - 100 - (long)(xs_next(&s) % 3) * 100;
			cut[i] = len;
			for (int k = 0; k < 10; k++)
				len += (size_t)sprintf(buf + len, "%s%ld,%ld,%ld,%ld", k ? "," : "",
						       ask + 100 * k, 1 + (long)(xs_next(&s) % 900),
						       bid - 100 * k, 1 + (long)(xs_next(&s) % 900));
			buf[len++] = '\n';
		}
		cut[1024] = len;
		for (; rows >= 1024; rows -= 1024)
			write_all(fd, buf, len);
		write_all(fd, buf, cut[rows]);
	} else {
		static char mb[1 << 16];
		for (uint64_t i = 0; i < rows; i++) {
			if (n > sizeof(mb) - 128) {
				write_all(fd, mb, n);
				n = 0;
			}
			n += (size_t)sprintf(mb + n, "%" PRIu64 ".%09" PRIu64 ",%d,%" PRIu64
					     ",10,5859400,-1\n", 34200 + i / 1000000,
					     (i % 1000000) * 1000, i % 10 == 0 ? 4 : 1,
					     1000000 + i);
		}
		write_all(fd, mb, n);
	}
	close(fd);
	_exit(0);
}

/* Run dm-convert over gb GB; *rss_mib and *secs out; 0 or -1 (skipped). */
static int convert_rss(double gb, double *rss_mib, double *hwm_mib, double *secs,
		       uint64_t *rows_out)
{
	const char *bin = convert_bin();
	if (!bin) {
		fprintf(stderr, "bench_md: dm-convert not built next to this bench; "
			"skipping its memory figure (make all)\n");
		return -1;
	}
	uint64_t rows = (uint64_t)(gb * 1e9 / 280.0); /* ~280 bytes per row pair */
	const char *mp = path_in("SYN_2012-06-21_0_0_message_10.csv");
	const char *op = path_in("SYN_2012-06-21_0_0_orderbook_10.csv");
	const char *out = path_in("syn.jrnl");
	if (mkfifo(mp, 0600) || mkfifo(op, 0600))
		die("mkfifo: %s", strerror(errno));
	pid_t gm = spawn_gen(mp, rows, 0), go = spawn_gen(op, rows, 1);
	int64_t t0 = mono_ns();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int dn = open("/dev/null", O_WRONLY);
		if (dn >= 0)
			dup2(dn, 1);
		execl(bin, bin, "--input", mp, "--tick", "0.01", "--levels", "1", "--output",
		      out, "--quiet", (char *)NULL);
		_exit(127);
	}
	struct rusage ru;
	int st;
	pid_t w;
	long hwm = -1;
	while ((w = wait4(pid, &st, WNOHANG, &ru)) == 0) {
		/* dm-convert's own VmHWM once exec'd (ru_maxrss also counts the
		 * pages the child had from this process before exec) */
		char p[64], exe[PATH_MAX], line[128];
		snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
		ssize_t n = readlink(p, exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
		FILE *f = strcmp(exe, bin) ? NULL : fopen(p, "r");
		long v;
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "VmHWM: %ld kB", &v) == 1 && v > hwm)
				hwm = v;
		if (f)
			fclose(f);
		usleep(20000);
	}
	if (w < 0)
		die("wait4: %s", strerror(errno));
	int64_t t1 = mono_ns();
	int sg, so;
	waitpid(gm, &sg, 0);
	waitpid(go, &so, 0);
	unlink(out);
	unlink(mp);
	unlink(op);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("dm-convert failed (status %d)", st);
	if (!WIFEXITED(sg) || WEXITSTATUS(sg) || !WIFEXITED(so) || WEXITSTATUS(so))
		die("a generator failed");
	*rss_mib = (double)ru.ru_maxrss / 1024.0;
	*hwm_mib = (double)hwm / 1024.0;
	*secs = (double)(t1 - t0) / 1e9;
	*rows_out = rows;
	return 0;
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_md [--events N] [--rows N] [--mt5-rows N] [--write-mb N]\n"
		"                [--convert-gb G] [--reps N] [--dir DIR]\n"
		"\n"
		"Market-data throughput on one core (CPU %d): journal replay into the\n"
		"book, LOBSTER and MT5 parsing, journal writing (io_uring, pwrite, plain\n"
		"write), and dm-convert's peak RSS on a G GB input.  Prints one table and\n"
		"the goals; exits 0 whether or not goals are met.\n"
		"\n"
		"  --events N     journal events to replay (default 1.5M: ~0.07 GB with\n"
		"                 deltas, ~0.5 GB snapshots only)\n"
		"  --rows N       LOBSTER row pairs, 10 levels (default 1.5M, ~0.4 GB)\n"
		"  --mt5-rows N   MT5 rows (default 3M, ~0.13 GB)\n"
		"  --write-mb N   MB written per journal-writing run (default 512)\n"
		"  --convert-gb G GB of LOBSTER text for dm-convert (default 1; 0 skips)\n"
		"  --reps N       runs per figure, median shown (default 3, at most %d)\n"
		"  --dir DIR      where the inputs go (default /tmp; removed after)\n"
		"  -h, --help     this text\n"
		"N takes a k or M suffix.  About 30 s with the defaults.\n",
		CPU_BENCH, MAX_REPS);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint64_t v;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "bench_md: '%s' needs a value or is unknown (try --help)\n", a);
			return -1;
		}
		const char *val = argv[++i];
		if (!strcmp(a, "--dir")) {
			o->dir = val;
			continue;
		}
		if (!strcmp(a, "--convert-gb")) {
			char *end;
			o->convert_gb = strtod(val, &end);
			if (*end || o->convert_gb < 0 || o->convert_gb > 100) {
				fprintf(stderr, "bench_md: --convert-gb wants 0..100\n");
				return -1;
			}
			continue;
		}
		uint64_t *dst = !strcmp(a, "--events") ? &o->events
			      : !strcmp(a, "--rows") ? &o->rows
			      : !strcmp(a, "--mt5-rows") ? &o->mt5_rows
			      : !strcmp(a, "--write-mb") ? &o->write_mb : NULL;
		if (!strcmp(a, "--reps")) {
			if (parse_count(val, &v) || v > MAX_REPS) {
				fprintf(stderr, "bench_md: --reps wants 1..%d\n", MAX_REPS);
				return -1;
			}
			o->reps = (uint32_t)v;
			continue;
		}
		if (!dst) {
			fprintf(stderr, "bench_md: unknown option '%s' (try --help)\n", a);
			return -1;
		}
		if (parse_count(val, dst)) {
			fprintf(stderr, "bench_md: %s needs a positive count like 500k or 2M\n", a);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .events = 1500000, .rows = 1500000, .mt5_rows = 3000000,
			  .write_mb = 512, .convert_gb = 1.0, .reps = 3, .dir = "/tmp" };
	if (parse_opts(argc, argv, &o))
		return 2;
	g_t0_ns = mono_ns();
	snprintf(g_dir, sizeof(g_dir), "%s/dmbench-md-XXXXXX", o.dir);
	if (!mkdtemp(g_dir)) {
		fprintf(stderr, "bench_md: mkdtemp in %s: %s\n", o.dir, strerror(errno));
		return 1;
	}
	int pinned = pin(CPU_BENCH) == 0;
	printf("bench_md: one thread%s; inputs in %s (page cache); median of %u runs\n",
	       pinned ? " pinned to CPU 1" : " (not pinned: fewer than 2 CPUs)", g_dir, o.reps);

	char jp[PATH_MAX + 64], fp[PATH_MAX + 64], lm[PATH_MAX + 64], mp[PATH_MAX + 64];
	snprintf(jp, sizeof(jp), "%s", path_in("gen.jrnl"));
	snprintf(fp, sizeof(fp), "%s", path_in("gen-full.jrnl"));
	const char *lob_m = path_in("B_2012-06-21_0_0_message_10.csv");
	const char *lob_o = path_in("B_2012-06-21_0_0_orderbook_10.csv");
	const char *mt5 = path_in("ticks.tsv");
	snprintf(lm, sizeof(lm), "%s", lob_m);
	snprintf(mp, sizeof(mp), "%s", mt5);

	stage("generating the inputs (not timed)");
	make_journal(jp, o.events, 0);
	make_journal(fp, o.events, JOURNAL_W_FULL);
	make_lobster(lm, lob_o, o.rows, 10);
	make_mt5(mp, o.mt5_rows);
	make_wpool();
	struct stat sb;
	if (stat(jp, &sb))
		die("%s: %s", jp, strerror(errno));
	double jbytes = (double)sb.st_size;
	if (stat(fp, &sb))
		die("%s: %s", fp, strerror(errno));
	double fbytes = (double)sb.st_size;

	/* ---- replay and parsing, interleaved runs */
	double t_dec[MAX_REPS], t_feed[MAX_REPS], t_map[MAX_REPS], t_open[MAX_REPS];
	double t_after[MAX_REPS], t_best[MAX_REPS], t_dseq[MAX_REPS], t_dmap[MAX_REPS];
	double t_lob[MAX_REPS], t_mt5[MAX_REPS], r_map[MAX_REPS], r_read[MAX_REPS];
	uint64_t n_ev = 0, n2, lob_rows = 0, lob_bytes = 0, mt5_rows = 0, mt5_bytes = 0;
	uint64_t best_snaps = 0;
	stage("warm-up pass");
	replay_decode(fp, 0, &n_ev);
	replay_best(jp, &n2, &best_snaps);
	if (n2 != n_ev)
		die("the delta journal gave %" PRIu64 " events, want %" PRIu64, n2, n_ev);
	replay_mapped(fp, &n2, &t_open[0]);
	parse_all(lm, 100, &lob_rows, &lob_bytes);
	parse_all(mp, 5, &mt5_rows, &mt5_bytes);
	for (uint32_t r = 0; r < o.reps; r++) {
		char name[96];
		snprintf(name, sizeof(name), "replay and parsing, run %u/%u", r + 1, o.reps);
		stage(name);
		t_best[r] = replay_best(jp, &n2, &best_snaps);
		t_dec[r] = replay_decode(fp, 0, &n2);
		t_dseq[r] = replay_decode(jp, JOURNAL_SEQ, &n2);
		t_dmap[r] = replay_decode(jp, 0, &n2);
		t_feed[r] = replay_feed(jp, &n2);
		if (n2 != n_ev)
			die("feed replay gave %" PRIu64 " events, want %" PRIu64, n2, n_ev);
		t_map[r] = replay_mapped(fp, &n2, &t_open[r]);
		t_after[r] = t_map[r] - t_open[r];
		r_map[r] = touch_rate(fp, 0);
		r_read[r] = touch_rate(fp, 1);
		t_lob[r] = parse_all(lm, 100, &lob_rows, &lob_bytes);
		t_mt5[r] = parse_all(mp, 5, &mt5_rows, &mt5_bytes);
	}
	double open_s = median(t_open, o.reps), map_s = median(t_map, o.reps);
	double dec_evs = (double)n_ev / median(t_dec, o.reps);
	double best_evs = (double)n_ev / median(t_best, o.reps);
	double dseq_evs = (double)n_ev / median(t_dseq, o.reps);
	double dmap_evs = (double)n_ev / median(t_dmap, o.reps);
	double feed_evs = (double)n_ev / median(t_feed, o.reps);
	double map_evs = (double)n_ev / map_s;
	double map_only_evs = (double)n_ev / median(t_after, o.reps);
	double map_bs = median(r_map, o.reps), read_bs = median(r_read, o.reps);
	double lob_rs = (double)lob_rows / median(t_lob, o.reps);
	double mt5_rs = (double)mt5_rows / median(t_mt5, o.reps);
	double lob_mbs = (double)lob_bytes / median(t_lob, o.reps) / 1e6;
	double mt5_mbs = (double)mt5_bytes / median(t_mt5, o.reps) / 1e6;

	/* ---- journal writing */
	uint64_t target = o.write_mb * 1000000ull, wbytes = 0;
	double t_ur[MAX_REPS], t_pw[MAX_REPS], t_wr[MAX_REPS], t_wd[MAX_REPS];
	uint64_t wevents = 0, dbytes = 0, devents = 0;
	int uring = 0, u2;
	static uint8_t chunk[1 << 20];
	size_t chunk_len = sizeof(chunk);
	for (uint32_t r = 0; r < o.reps; r++) {
		char name[96];
		snprintf(name, sizeof(name), "journal writing, run %u/%u", r + 1, o.reps);
		stage(name);
		const char *wp = path_in("w.jrnl");
		/* snapshots only: the write path's MB/s against plain write() */
		t_ur[r] = write_journal(wp, target, 0, JOURNAL_W_FULL, &uring, &wbytes, &wevents);
		if (r == 0) { /* the plain loop writes these very records */
			int fd = open(wp, O_RDONLY);
			ssize_t k = fd < 0 ? -1 : pread(fd, chunk, sizeof(chunk), JOURNAL_HDR_SIZE);
			if (k <= 0)
				die("reading back %s", wp);
			chunk_len = (size_t)k;
			close(fd);
		}
		unlink(wp);
		t_pw[r] = write_journal(wp, target, 0, JOURNAL_W_NO_URING | JOURNAL_W_FULL, &u2,
					&wbytes, &wevents);
		unlink(wp);
		/* the same events with book deltas (the encoder's cost) */
		t_wd[r] = write_journal(wp, 0, wevents, 0, &u2, &dbytes, &devents);
		unlink(wp);
		t_wr[r] = write_plain(wp, chunk, chunk_len, wbytes);
		unlink(wp);
	}
	double ur_mbs = (double)wbytes / median(t_ur, o.reps) / 1e6;
	double ur_evs = (double)wevents / median(t_ur, o.reps);
	double wd_evs = (double)devents / median(t_wd, o.reps);
	double pw_mbs = (double)wbytes / median(t_pw, o.reps) / 1e6;
	double wr_mbs = (double)wbytes / median(t_wr, o.reps) / 1e6;

	/* ---- dm-convert's memory, both cores free */
	double rss = 0, hwm = 0, conv_s = 0;
	uint64_t conv_rows = 0;
	int have_conv = 0;
	if (o.convert_gb > 0) {
		stage("dm-convert on a generated LOBSTER pair through FIFOs");
		pin(-1);
		have_conv = convert_rss(o.convert_gb, &rss, &hwm, &conv_s, &conv_rows) == 0;
	}
	stage("done");
	cleanup_dir();

	/* ---- table */
	row("journal replay into the book (best)", best_evs / 1e6, "M ev/s", dec_evs / 1e6,
	    "old: snapshots, mmap %.2f M ev/s", dec_evs / 1e6);
	row("replay: goal", best_evs / 1e6, "M ev/s", GOAL_REPLAY_EV_S / 1e6,
	    "goal %.0f M ev/s: %s", GOAL_REPLAY_EV_S / 1e6, met(best_evs >= GOAL_REPLAY_EV_S));
	row("journal size, deltas", jbytes / (double)n_ev, "B/event", fbytes / (double)n_ev,
	    "snapshots only %.0f B/event", fbytes / (double)n_ev);
	row("replay: old: snapshots, mmap, next_event", dec_evs / 1e6, "M ev/s",
	    GOAL_REPLAY_EV_S / 1e6, "goal %.0f M ev/s: %s", GOAL_REPLAY_EV_S / 1e6,
	    met(dec_evs >= GOAL_REPLAY_EV_S));
	row("replay: deltas, read(), next_event + snap", dseq_evs / 1e6, "M ev/s", dec_evs / 1e6,
	    "old path %.2f M ev/s", dec_evs / 1e6);
	row("replay: deltas, mmap, next_event + snap", dmap_evs / 1e6, "M ev/s", dec_evs / 1e6,
	    "old path %.2f M ev/s", dec_evs / 1e6);
	row("replay: feed_next(deltas) + book", feed_evs / 1e6, "M ev/s", dec_evs / 1e6,
	    "old path %.2f M ev/s", dec_evs / 1e6);
	row("replay: snapshots, VERIFY + mapped levels", map_evs / 1e6, "M ev/s",
	    GOAL_REPLAY_EV_S / 1e6, "goal %.0f M ev/s: %s", GOAL_REPLAY_EV_S / 1e6,
	    met(map_evs >= GOAL_REPLAY_EV_S));
	row("replay: mapped levels after the open", map_only_evs / 1e6, "M ev/s",
	    GOAL_REPLAY_EV_S / 1e6, "goal %.0f M ev/s: %s", GOAL_REPLAY_EV_S / 1e6,
	    met(map_only_evs >= GOAL_REPLAY_EV_S));
	row("journal open with VERIFY (crc of all)", fbytes / open_s / 1e6, "MB/s", map_bs / 1e6,
	    "mmap first touch %.0f MB/s", map_bs / 1e6);
	row("page cache: mmap, first touch", map_bs / 1e6, "MB/s", read_bs / 1e6,
	    "read() 1 MiB reused %.0f MB/s", read_bs / 1e6);
	row("LOBSTER 10 levels parse", lob_rs / 1e6, "M row/s", GOAL_PARSE_ROWS_S / 1e6,
	    "goal %.0f M rows/s: %s", GOAL_PARSE_ROWS_S / 1e6, met(lob_rs >= GOAL_PARSE_ROWS_S));
	row("LOBSTER 10 levels parse, text", lob_mbs, "MB/s", 0, NULL);
	row("MT5 ticks parse", mt5_rs / 1e6, "M row/s", GOAL_PARSE_ROWS_S / 1e6,
	    "goal %.0f M rows/s: %s", GOAL_PARSE_ROWS_S / 1e6, met(mt5_rs >= GOAL_PARSE_ROWS_S));
	row("MT5 ticks parse, text", mt5_mbs, "MB/s", 0, NULL);
	row(uring ? "journal write, io_uring" : "journal write (io_uring FAILED: pwrite)",
	    ur_mbs, "MB/s", wr_mbs, "plain write() 1 MiB loop %.0f MB/s", wr_mbs);
	row("journal write, pwrite fallback", pw_mbs, "MB/s", wr_mbs,
	    "plain write() 1 MiB loop %.0f MB/s", wr_mbs);
	row("plain write() loop, same bytes", wr_mbs, "MB/s", 0, NULL);
	row("journal write with deltas, io_uring", wd_evs / 1e6, "M ev/s", ur_evs / 1e6,
	    "snapshots only %.2f M ev/s", ur_evs / 1e6);
	if (have_conv) {
		char fig[56];
		snprintf(fig, sizeof(fig), "dm-convert %.1f GB LOBSTER: peak RSS", o.convert_gb);
		row(fig, rss, "MiB", GOAL_RSS_MIB,
		    "goal < %.0f MiB: %s", GOAL_RSS_MIB, met(rss < GOAL_RSS_MIB));
		snprintf(fig, sizeof(fig), "dm-convert %.1f GB LOBSTER: input", o.convert_gb);
		row(fig, (double)conv_rows * 280 / conv_s / 1e6, "MB/s", 0, NULL);
	}
	print_table();

	printf("\ngoals (never fail the build)\n");
	printf("  journal replay into the book >= %.0f M ev/s: %.2f (best: deltas, read(), "
	       "level changes; old path %.2f)  %s\n", GOAL_REPLAY_EV_S / 1e6,
	       best_evs / 1e6, dec_evs / 1e6, met(best_evs >= GOAL_REPLAY_EV_S));
	printf("  LOBSTER parse >= %.0f M rows/s: %.2f  %s\n", GOAL_PARSE_ROWS_S / 1e6,
	       lob_rs / 1e6, met(lob_rs >= GOAL_PARSE_ROWS_S));
	printf("  MT5 parse >= %.0f M rows/s: %.2f  %s\n", GOAL_PARSE_ROWS_S / 1e6,
	       mt5_rs / 1e6, met(mt5_rs >= GOAL_PARSE_ROWS_S));
	if (have_conv)
		printf("  dm-convert peak RSS on %.1f GB < %.0f MiB: %.1f MiB  %s\n", o.convert_gb,
		       GOAL_RSS_MIB, rss, met(rss < GOAL_RSS_MIB));

	printf("\nnotes\n");
	printf("  journal: %" PRIu64 " dm-gen events: %.0f MB with deltas (%.1f B/event), "
	       "%.0f MB snapshots only (%.1f B/event); the best path applied %" PRIu64
	       " book events as snapshots, the rest as level changes\n", n_ev, jbytes / 1e6,
	       jbytes / (double)n_ev, fbytes / 1e6, fbytes / (double)n_ev, best_snaps);
	printf("  open with VERIFY takes %.0f%% of the verified replay (snapshot file)\n",
	       100 * open_s / map_s);
	printf("  page cache alone caps a replay at %.1f M ev/s with snapshots (%.0f MB/s "
	       "first touch / %.0f B), %.1f with deltas (read() %.0f MB/s / %.1f B)\n",
	       map_bs / (fbytes / (double)n_ev) / 1e6, map_bs / 1e6, fbytes / (double)n_ev,
	       read_bs / (jbytes / (double)n_ev) / 1e6, read_bs / 1e6, jbytes / (double)n_ev);
	printf("  LOBSTER: %" PRIu64 " row pairs, %.0f MB; MT5: %" PRIu64 " rows, %.0f MB\n",
	       lob_rows, (double)lob_bytes / 1e6, mt5_rows, (double)mt5_bytes / 1e6);
	printf("  journal writing: %.0f MB per run (%" PRIu64 " events, snapshots only; "
	       "%.0f MB with deltas), buffers 2 x 1 MiB, fsync none; io_uring %s\n",
	       (double)wbytes / 1e6, wevents, (double)dbytes / 1e6,
	       uring ? "in use" : "unavailable");
	if (have_conv)
		printf("  dm-convert: %" PRIu64 " row pairs (~%.2f GB) in %.1f s, --levels 1; "
		       "peak RSS = ru_maxrss of the child (an upper bound: it includes the pages "
		       "it had from this process before exec); its own VmHWM %.1f MiB\n",
		       conv_rows, (double)conv_rows * 280 / 1e9, conv_s, hwm);
	printf("  (sink %" PRIu64 ")\n", g_sink % 1000);
	return 0;
}
