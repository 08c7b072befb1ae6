/*
 * dm-features — the 27 features of specs/features.md for every book update
 * of a market-data file, as CSV or as a NumPy .npy matrix
 * (docs/features.md).
 *
 *   dm-features --input FILE [feed options] [-c CONF] --output OUT.csv|OUT.npy
 *               [--threads N] [--json] [--quiet]
 *
 * Reads FILE through the feed readers (libcore/feed/feed.h), runs the
 * feature engine (libcore/features/features.h) and writes one row per book
 * update.  The output is written to OUT.tmp-PID, fsynced and renamed into
 * place at the end (tools/lib/files.h), so a failed run leaves no partial
 * file ('-' writes CSV to stdout instead); an OUT that is not a regular
 * file (a device, FIFO, directory) is refused with exit 2.
 *
 * CSV (feat_csv.h): numbers are the shortest text that reads back to the
 * engine's double; a value equal to the one above it in its column is
 * copied (feat_csv_row_memo).  Formatting costs several times the engine, so the
 * main thread (reader and engine) fills blocks of rows and --threads
 * formatter threads turn them into text; the thread that finishes the
 * next block due writes it and any that follow, so the file is in row
 * order.  Blocks are asked to be written back to disk as they are
 * written (sync_file_range), so the final fsync waits for little more
 * than the last ones.
 *
 * .npy (OUT ends in ".npy", tools/lib/npy.h): a float64 matrix of one row
 * per book update: t_sec, t_nsec (t_ns = t_sec x 10^9 + t_nsec, both whole
 * and exact in a double; a double cannot hold t_ns itself to the
 * nanosecond), then the 27 features, the engine's doubles as they are.
 * The names are in OUT.columns, one per line, written and renamed before
 * OUT.  No formatting: one output thread turns the blocks' rows into
 * doubles and writes them while the main thread reads and computes.
 *
 * Units.  --tick and --lot are in the instrument's own units and resolved
 * with every other tool's rule (feed_resolve, libcore/feed/feed.h): LOBSTER
 * dollars 0.01, Binance found from the file, MT5 and NEG the configured
 * instrument, a journal its header.  The features see the same ticks, lots,
 * tick and lot from a file and from its journal, so their rows are equal.
 *
 * Exit 0 on success (bad input rows skipped are counted in the summary),
 * 1 on a runtime failure (read or write error, out of memory) or an input
 * without a two-sided book update (nothing written), 2 on bad
 * usage or bad input (unknown option, unreadable or unrecognised file, bad
 * configuration, a bad row under --strict), with one line naming the file
 * and line at fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/features/feat_csv.h"
#include "libcore/features/features.h"
#include "libcore/feed/feed.h"
#include "tools/lib/files.h"
#include "tools/lib/npy.h"

#define BLOCK_ROWS   4096u        /* rows an output thread takes at once */
#define THREADS_MAX  64u
#define NPY_COLS     (2u + FEAT_N) /* t_sec, t_nsec, the features */
#define PROGRESS_NS  1000000000LL /* progress line at most once a second */

enum { O_THREADS = 0x200 };

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-features --input FILE --output OUT.csv|OUT.npy [options]\n"
"\n"
"The 27 features of specs/features.md (docs/features.md) for every book\n"
"update of FILE, one row each.  CSV: a header 't_ns,' then the 27 names, the\n"
"row's time in ns since the epoch, then the values, each the shortest\n"
"decimal that reads back to the engine's double ('nan' for fracdiff before\n"
"its window fills).  OUT ending in .npy: a NumPy float64 matrix, columns\n"
"t_sec, t_nsec (the time: t_sec x 10^9 + t_nsec ns) and the 27 features,\n"
"with the names in OUT.columns, one per line; numpy.load(OUT) reads it.\n"
"Prices are in the instrument's own units (LOBSTER dollars, Binance USDT,\n"
"WIN points), sizes in its size units; a journal gives the same rows as\n"
"the file it was converted from.\n"
"\n"
"  --input FILE      market data: a LOBSTER *_message_N.csv or\n"
"                    *_orderbook_N.csv (the other file is found), a MetaTrader\n"
"                    5 tick export, a Binance websocket capture, or a\n"
"                    DreamMaker journal; .gz works.  A B3 NEG file holds\n"
"                    trades only: no book, no rows, exit 1\n"
"  --output OUT      CSV, or .npy when OUT ends in .npy ('-' = CSV on stdout);\n"
"                    written to OUT.tmp-PID, then renamed, so a failed run\n"
"                    leaves nothing behind; a device, FIFO or directory at OUT\n"
"                    is refused\n"
"  --threads N       CSV formatter threads, 1..%u (default: the online CPUs);\n"
"                    the reader and the engine run in one more (a .npy has one\n"
"                    output thread: no formatting)\n"
CLI_FEED_HELP
"                    The features sum over min(L, features.levels) levels:\n"
"                    features.levels of the configuration (5) is the depth\n"
"                    the live feature agent uses\n"
"  --json            the summary as one JSON object on stdout (not with\n"
"                    --output -)\n"
CLI_COMMON_HELP
"\n"
"Rows are timed by the exchange time stamp, Binance rows (and a journal\n"
"converted from Binance) by the receive time (features.clock: auto).\n"
"Exit 0 on success; 1 on a runtime failure (read or write error) or when\n"
"the input has no book update with both sides (nothing written); 2 on bad\n"
"usage or bad input, with the file and line at fault.\n", THREADS_MAX);
}

/* ------------------------------------------------------------ output */

struct out {
	int fd;
	const char *name;       /* as the user named it */
	uint64_t off;           /* bytes written */
	int writeback;          /* a regular file: start its writeback as it goes */
	int err;                /* errno of the first failed write */
};

/* n bytes at the end of the output: 0, or -1 with o->err set (then and
 * after, nothing more is written). */
static int out_write(struct out *o, const char *buf, size_t n)
{
	size_t off = 0;

	while (off < n && !o->err) {
		ssize_t k = write(o->fd, buf + off, n - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			o->err = k < 0 ? errno : EIO;
		else
			off += (size_t)k;
	}
	if (o->err)
		return -1;
	/* a hint to the kernel: write these pages back now; an error shows
	 * at the fsync of files_commit_tmp */
	if (o->writeback)
		(void)sync_file_range(o->fd, (off64_t)o->off, (off64_t)n, SYNC_FILE_RANGE_WRITE);
	o->off += n;
	return 0;
}

/* ------------------------------------------------------------ output threads */

/* The row t_sec, t_nsec, v[0..26] at out, as NPY_COLS doubles. */
static void npy_row(char *out, int64_t t_ns, const double v[FEAT_N])
{
	int64_t sec = t_ns / 1000000000, ns = t_ns % 1000000000;

	if (ns < 0) {                     /* floor: t_nsec in [0, 10^9) */
		ns += 1000000000;
		sec--;
	}
	double t[2] = { (double)sec, (double)ns };

	memcpy(out, t, sizeof(t));
	memcpy(out + sizeof(t), v, FEAT_N * sizeof(double));
}

/*
 * Blocks go round a ring: the main thread claims block `filled` once it
 * has been written (filled - written < nb), fills its rows and submits
 * it; a formatter takes block `taken`, formats it, and if it is block
 * `written` (the next due) and no one is writing, writes it and every
 * formatted block after it, the lock released around each write.  All
 * counters are under mu; a block's rows and text belong to whoever the
 * counters say (main while filling, a formatter while formatting, the
 * writer while writing).
 */
struct csv_row {
	int64_t t_ns;
	double v[FEAT_N];
};

struct block {
	struct csv_row *rows;
	uint32_t n;
	int formatted;
	char *text;             /* BLOCK_ROWS x FEAT_CSV_ROW_MAX bytes */
	size_t len;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct block *b;
	char *mem;              /* every block's rows, then every block's text */
	size_t mem_len;
	uint32_t nb, nthreads;
	int npy;                /* rows as .npy doubles, not CSV text */
	uint64_t filled, taken, written;
	int writing, done, failed;
	struct out *o;
	pthread_t th[THREADS_MAX];
};

/* How much lower than the main thread the output threads run (nice
 * steps).  Three threads on two cores, at one priority, each got two
 * thirds of a core: the main thread (the reader and the engine, which
 * cannot be split) fell behind, the formatters ran out of blocks and
 * slept, and a core idled (formatters waiting 150-340 ms of a 0.55 s
 * run).  A step of 3 (weight 526 against 1024) lets the main thread run
 * ahead until the ring is full, the formatters taking what is left:
 * 0.59-0.63 s -> 0.52-0.59 s a run (docs/features.md).  A no-op where
 * the threads have a core each. */
#define OUTPUT_NICE 3

static void *formatter(void *arg)
{
	struct pool *p = arg;
	struct feat_csv_memo memo;
	pid_t tid = gettid();

	errno = 0;
	int nice = getpriority(PRIO_PROCESS, (id_t)tid);
	if (errno == 0)           /* relative: dm-features run under nice stays below */
		(void)setpriority(PRIO_PROCESS, (id_t)tid, nice + OUTPUT_NICE > 19 ? 19 :
				  nice + OUTPUT_NICE);

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->taken == p->filled && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->taken == p->filled)
			break;
		struct block *b = &p->b[p->taken++ % p->nb];
		pthread_mutex_unlock(&p->mu);

		size_t len = 0;
		if (p->npy) {
			for (uint32_t i = 0; i < b->n; i++)
				npy_row(b->text + (size_t)i * NPY_COLS * sizeof(double),
					b->rows[i].t_ns, b->rows[i].v);
			len = (size_t)b->n * NPY_COLS * sizeof(double);
		} else {
			feat_csv_memo_init(&memo);        /* a block's rows follow each other */
			for (uint32_t i = 0; i < b->n; i++)
				len += feat_csv_row_memo(b->text + len, b->rows[i].t_ns,
							 b->rows[i].v, &memo);
		}
		b->len = len;

		pthread_mutex_lock(&p->mu);
		b->formatted = 1;
		while (!p->writing && p->written < p->taken && p->b[p->written % p->nb].formatted) {
			struct block *w = &p->b[p->written % p->nb];

			p->writing = 1;
			pthread_mutex_unlock(&p->mu);
			int rc = p->failed ? -1 : out_write(p->o, w->text, w->len);
			pthread_mutex_lock(&p->mu);
			p->failed |= rc < 0;
			w->formatted = 0;
			p->written++;
			p->writing = 0;
			pthread_cond_broadcast(&p->cv);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* n bytes of zeroed memory on 2 MB pages where the kernel has them (free
 * with munmap(m, n)): NULL when out of memory.  The blocks'
 * 4 KB pages cost a page fault each when first touched, about 13 000 a
 * run, and the formatted text is copied into the output from cold memory
 * through as many TLB entries; on 2 MB pages both nearly vanish (docs/
 * features.md).  Without transparent huge pages it is plain memory. */
#define HUGE_PAGE (2u << 20)

/* n up to a multiple of m */
static size_t round_up(size_t n, size_t m)
{
	return (n + m - 1) / m * m;
}

static char *huge_alloc(size_t n)
{
	n = round_up(n, 4096);            /* munmap rounds the same way */
	void *m = mmap(NULL, n + HUGE_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	/* keep [a, a + n), a the first 2 MB boundary in the mapping, and
	 * give back the lead before it and the tail after it */
	uintptr_t start = (uintptr_t)m;
	uintptr_t a = round_up(start, HUGE_PAGE);

	if (a > start)
		munmap(m, a - start);
	munmap((void *)(a + n), start + HUGE_PAGE - a);
	(void)madvise((void *)a, n, MADV_HUGEPAGE);
	return (char *)a;
}

/* nthreads formatters and their blocks: 0 or -ENOMEM / -errno.
 * Blocks are written in order, so a formatter preempted in the middle of
 * one holds back every block after it; with 2 x nthreads + 2 blocks the
 * ring filled behind it and the main thread and the other formatters
 * waited (a core idle 10-12% of a run on a 2-core box; 3-4% with 8 x
 * nthreads + 4).  So 6 more a thread up to 4 threads (3.8 MB a block, of
 * which about 2 MB is touched). */
static int pool_start(struct pool *p, struct out *o, uint32_t nthreads, int npy)
{
	memset(p, 0, sizeof(*p));
	p->o = o;
	p->npy = npy;
	p->nb = 2 * nthreads + 4 + 6 * (nthreads < 4 ? nthreads : 4);
	p->b = calloc(p->nb, sizeof(*p->b));
	if (!p->b)
		return -ENOMEM;
	/* each text on its own 2 MB pages: a block's text is about 1.6 MB of
	 * the FEAT_CSV_ROW_MAX a row reserved, so it touches (and the kernel
	 * zeroes) one huge page, not the two a packed layout straddles */
	size_t rows = BLOCK_ROWS * sizeof(struct csv_row);
	size_t all_rows = round_up(p->nb * rows, HUGE_PAGE);
	size_t text = round_up((size_t)BLOCK_ROWS * FEAT_CSV_ROW_MAX, HUGE_PAGE);

	p->mem_len = all_rows + p->nb * text;
	p->mem = huge_alloc(p->mem_len);
	if (!p->mem)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->nb; i++) {
		p->b[i].rows = (struct csv_row *)(p->mem + i * rows);
		p->b[i].text = p->mem + all_rows + i * text;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (; p->nthreads < nthreads; p->nthreads++) {
		int rc = pthread_create(&p->th[p->nthreads], NULL, formatter, p);

		if (rc)
			return -rc;
		/* named, for top -H and perf: the main thread keeps the tool's name */
		(void)pthread_setname_np(p->th[p->nthreads], "dm-features-fmt");
	}
	return 0;
}

/* The block to fill next, once it is free; NULL when a write failed. */
static struct block *pool_claim(struct pool *p)
{
	struct block *b = NULL;

	pthread_mutex_lock(&p->mu);
	while (p->filled - p->written >= p->nb && !p->failed)
		pthread_cond_wait(&p->cv, &p->mu);
	if (!p->failed) {
		b = &p->b[p->filled % p->nb];
		b->n = 0;
	}
	pthread_mutex_unlock(&p->mu);
	return b;
}

static void pool_submit(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->filled++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Let the formatters finish what was submitted and end; free it all.
 * Safe on a pool whose start failed half way.  Returns p->failed. */
static int pool_stop(struct pool *p)
{
	if (p->nthreads) {
		pthread_mutex_lock(&p->mu);
		p->done = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		for (uint32_t i = 0; i < p->nthreads; i++)
			pthread_join(p->th[i], NULL);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
	}
	if (p->mem)
		munmap(p->mem, p->mem_len);
	p->mem = NULL;
	free(p->b);
	p->b = NULL;
	p->nthreads = 0;
	return p->failed;
}

/* ------------------------------------------------------------ .npy */

/* OUT.columns: "t_sec\nt_nsec\n" and the names, through a temporary and
 * a rename (files.h).  0, or -errno with err. */
static int write_columns(const char *path, char *err, size_t errlen)
{
	struct afile af;
	int rc = afile_open(&af, path, NULL);

	if (rc < 0) {
		snprintf(err, errlen, "%s", af.err);
		return rc;
	}
	fputs("t_sec\nt_nsec\n", af.f);
	for (int i = 0; i < FEAT_N; i++)
		fprintf(af.f, "%s\n", feat_names[i]);
	if ((rc = afile_commit(&af)) < 0)
		snprintf(err, errlen, "%s", af.err);
	return rc;
}

/* ------------------------------------------------------------ main */

struct args {
	const char *input, *output, *config;
	struct cli_feed_args feed;
	uint32_t threads;
	int quiet, json;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "json", no_argument, NULL, CLI_O_JSON },
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
		case 'i':
			a->input = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case O_THREADS:
			if (cli_parse_u32(optarg, 1, THREADS_MAX, &a->threads))
				return cli_usage_error("--threads '%s': a count of 1..%u", optarg,
						       THREADS_MAX);
			break;
		case CLI_O_QUIET:
			a->quiet = 1;
			break;
		case CLI_O_JSON:
			a->json = 1;
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
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->input)
		return cli_usage_error("--input FILE is required");
	if (!a->output)
		return cli_usage_error("--output OUT.csv is required");
	if (a->json && strcmp(a->output, "-") == 0)
		return cli_usage_error("--json prints the summary on stdout: give --output a "
				       "file name, not '-'");
	if (!a->threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		a->threads = n < 1 ? 1 : n > (long)THREADS_MAX ? THREADS_MAX : (uint32_t)n;
	}
	return 0;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && strcmp(s + n - k, tail) == 0;
}

int main(int argc, char **argv)
{
	struct args a = { .feed.format = FEED_AUTO };
	struct dm_config cfg;
	struct feed_reader rd;
	struct feed_instr conf_in;
	struct feed_want want;
	struct feed_plan plan;
	struct feat_params fp;
	struct feat *f = NULL;
	struct out out = { .fd = -1 };
	struct pool pool = { 0 };
	char err[FEED_ERR_LEN + 64], tmp_path[4096] = "", col_path[4096] = "";
	enum feed_format fmt;
	int rc, code = 0, npy;

	cli_set_prog("dm-features");
	if ((rc = parse_args(argc, argv, &a)))
		return rc;
	npy = strcmp(a.output, "-") != 0 && ends_with(a.output, ".npy");

	/* ---- configuration */
	if (a.config) {
		if (rt_config_load_core(&cfg, a.config, err, sizeof(err)))
			return cli_fail(2, "%s", err);
	} else {
		config_defaults(&cfg);
	}

	/* ---- the output: a regular file or nothing (files.h), before any work */
	char terr[PATH_MAX + 128];
	if (strcmp(a.output, "-") && files_check_target(a.output, terr, sizeof(terr)) < 0)
		return cli_fail(2, "--output %s", terr);
	if (npy) {
		if (npy_columns_path(col_path, sizeof(col_path), a.output))
			return cli_fail(2, "%s: output path too long", a.output);
		if (files_check_target(col_path, terr, sizeof(terr)) < 0)
			return cli_fail(2, "--output's column names %s", terr);
	}

	/* ---- the instrument and its units (feed_resolve: every tool's rule) */
	cli_feed_want(&a.feed, &cfg, &conf_in, &want);
	if ((rc = feed_resolve(a.input, &want, &plan, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	fmt = plan.fmt;
	rc = feed_open(&rd, a.input, fmt, &plan.fo, err, sizeof(err));
	if (rc)
		return cli_fail(cli_exit_code(rc), "%s", err);
	uint32_t L = a.feed.levels ? a.feed.levels : EV_MAX_LEVELS;
	uint32_t FL = L < cfg.features.levels ? L : cfg.features.levels;
	double tau = plan.in.tick_v, lot = plan.in.lot_v;

	/* ---- engine */
	fp = cfg.features;
	feat_params_host(&fp, tau, lot, plan.recv_clock);
	enum feat_clock clock = (enum feat_clock)fp.clock;
	fp.levels = FL;
	if (feat_params_check(&fp, err, sizeof(err))) {
		feed_close(&rd);
		return cli_fail(2, "%s: %s", a.config ? a.config : "features", err);
	}
	size_t fsz = feat_memsize(&fp);
	f = aligned_alloc(64, (fsz + 63) & ~(size_t)63);
	if (!f) {
		code = cli_fail(1, "out of memory");
		goto close_feed;
	}
	feat_init(f, fsz, &fp);

	/* ---- output */
	out.name = a.output;
	if (strcmp(a.output, "-") == 0) {
		out.fd = 1;
	} else {
		if (files_tmp_name(tmp_path, sizeof(tmp_path), a.output) < 0) {
			tmp_path[0] = '\0';
			code = cli_fail(2, "%s: output path too long", a.output);
			goto close_feed;
		}
		out.fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out.fd < 0) {
			code = cli_fail(errno == ENOENT || errno == EACCES || errno == EISDIR ||
					errno == ENOTDIR ? 2 : 1, "%s: cannot create (written as "
					"%s, then renamed): %s", a.output, tmp_path, strerror(errno));
			tmp_path[0] = '\0';
			goto close_feed;
		}
		out.writeback = 1;
	}
	if (npy) {
		char hdr[NPY_HEADER_LEN];

		npy_header(hdr, 0, NPY_COLS);     /* the row count goes in at the end */
		out_write(&out, hdr, sizeof(hdr));
	} else {
		char hdr[FEAT_CSV_ROW_MAX];
		size_t n = feat_csv_header(hdr, sizeof(hdr));

		out_write(&out, hdr, n);
	}
	/* a .npy's rows need no formatting: one thread turns them into
	 * doubles and writes them while the main thread reads and computes */
	uint32_t nthreads = npy ? 1 : a.threads;
	if ((rc = pool_start(&pool, &out, nthreads, npy)) < 0) {
		code = cli_fail(1, "cannot start %u output threads: %s", nthreads, strerror(-rc));
		goto close_out;
	}

	/* ---- the run */
	struct event ev;
	struct block *blk = pool_claim(&pool);
	uint64_t rows = 0, events = 0, books = 0, trades = 0;
	int64_t t0 = cli_mono_ns(), last_progress = t0;
	int tty = isatty(2);

	while (blk && (rc = feed_next(&rd, &ev)) == 1) {
		events++;
		books += ev.kind == EV_BOOK;
		trades += ev.kind == EV_TRADE;
		if (feat_update(f, &ev, blk->rows[blk->n].v)) {
			blk->rows[blk->n++].t_ns = feat_last_t_ns(f);
			rows++;
			if (blk->n == BLOCK_ROWS) {
				pool_submit(&pool);
				blk = pool_claim(&pool);
			}
		}
		if (!a.quiet && (events & 0xffff) == 0) {
			int64_t now = cli_mono_ns();

			if (now - last_progress >= (tty ? PROGRESS_NS : 10 * PROGRESS_NS)) {
				last_progress = now;
				fprintf(stderr, "%s%s: %s: %" PRIu64 " events, %" PRIu64
					" rows, %.0f rows/s%s", tty ? "\r" : "", cli_prog(),
					a.input, events, rows,
					(double)rows / ((double)(now - t0) / 1e9), tty ? "" : "\n");
			}
		}
	}
	if (blk && blk->n)
		pool_submit(&pool);
	pool_stop(&pool);                     /* every submitted block written or failed */
	if (!a.quiet && tty && last_progress != t0)
		fputc('\n', stderr);
	if (out.err) {
		code = cli_fail(1, "%s: write error: %s", out.name, strerror(out.err));
		goto close_out;
	}
	if (rc < 0) {
		code = cli_fail(cli_exit_code(rc), "%s", feed_error(&rd));
		goto close_out;
	}
	if (rows == 0) {
		code = cli_fail(1, "%s: no book update with both sides in %" PRIu64 " events "
				"(%" PRIu64 " trades)%s; %s not written", a.input, events, trades,
				fmt == FEED_NEG ? ": NEG files hold trades only" : "",
				a.output);
		goto close_out;
	}
	if (npy) {
		char hdr[NPY_HEADER_LEN];

		npy_header(hdr, rows, NPY_COLS);
		if (pwrite(out.fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
			code = cli_fail(1, "%s: write error: %s", out.name, strerror(errno));
			goto close_out;
		}
	}
	if (out.fd != 1) {
		if (close(out.fd)) {
			out.fd = -1;
			code = cli_fail(1, "%s: close: %s", tmp_path, strerror(errno));
			goto close_out;
		}
		out.fd = -1;
		/* the names first: once OUT is there, so are they */
		static char cerr[sizeof(((struct afile *)0)->err)];
		if (npy && (rc = write_columns(col_path, cerr, sizeof(cerr))) < 0) {
			code = cli_fail(rc == -EEXIST ? 2 : 1, "%s", cerr);
			goto close_out;
		}
		/* fsync, rename, fsync the directory; tmp removed on failure */
		rc = files_commit_tmp(tmp_path, a.output);
		if (rc < 0) {
			code = cli_fail(rc == -EEXIST ? 2 : 1, "%s: cannot rename to %s: %s",
					tmp_path, a.output, files_strerror(rc));
			tmp_path[0] = '\0';
			if (npy)
				unlink(col_path);
			goto close_out;
		}
		tmp_path[0] = '\0';
	}

	/* ---- summary */
	const struct feed_stats *st = feed_stats(&rd);
	double secs = (double)(cli_mono_ns() - t0) / 1e9;
	if (a.json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:f}",
			"input", a.input, "format", feed_format_name(fmt), "output", a.output,
			"output_format", npy ? "npy" : "csv",
			"instrument", cli_instr_json(&plan.in), "levels", (json_int_t)L,
			"feature_levels", (json_int_t)FL,
			"clock", clock == FEAT_CLOCK_RECV ? "receive" : "exchange",
			"rows", (json_int_t)rows, "book_events", (json_int_t)books,
			"trade_events", (json_int_t)trades, "bad_rows", (json_int_t)st->skipped,
			"seconds", secs);
		if (!o || json_dumpf(o, stdout, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)))
			code = cli_fail(1, "cannot write the JSON summary");
		fputc('\n', stdout);
		json_decref(o);
	} else if (!a.quiet) {
		fprintf(stderr, "%s: %s (%s) -> %s%s%s\n", cli_prog(), a.input,
			feed_format_name(fmt), a.output, npy ? " and " : "", npy ? col_path : "");
		fprintf(stderr, "  instrument %s: tick %s, lot %s, %s, point value %.12g; "
			"L %u read, %u summed, %s clock\n", plan.in.symbol, plan.in.tick,
			plan.in.lot, plan.in.currency[0] ? plan.in.currency : "currency unknown",
			plan.in.point_value, L, FL, clock == FEAT_CLOCK_RECV ? "receive" : "exchange");
		fprintf(stderr, "  rows %" PRIu64 " (book updates %" PRIu64 ", %" PRIu64
			" with an empty side emit none), trades %" PRIu64 ", %.2f s, %.0f rows/s\n",
			rows, books, books - rows, trades, secs, secs > 0 ? (double)rows / secs : 0);
		fprintf(stderr, "  bad input rows skipped: %" PRIu64 "%s\n", st->skipped,
			st->skipped ? " (the first ones below; --strict stops at the first)" : "");
		for (uint32_t i = 0; i < st->n_samples; i++)
			fprintf(stderr, "    %s\n", st->sample[i]);
	}

close_out:
	pool_stop(&pool);
	if (out.fd > 1)
		close(out.fd);
	if (tmp_path[0])
		unlink(tmp_path);
close_feed:
	feed_close(&rd);
	free(f);
	return code;
}
