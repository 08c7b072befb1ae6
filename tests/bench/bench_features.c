/*
 * bench_features.c — how fast the feature engine (libcore/features) turns
 * market events into the 27-feature vector, and how fast dm-features
 * turns a journal into CSV.  Prints one table (figure | value | unit |
 * baseline compared with | ratio) and the goals.
 *
 * Input.  A synthetic WIN journal from build/bin/dm-gen (--seed 1, 2M
 * events by default, about 1.77M book updates and 0.23M trades, 10 levels)
 * written under /tmp and removed at the end.  The journal is decoded once
 * into a compact array in memory (time, kind, and the top L levels or the
 * trade), so the timed loops run the engine alone: no I/O, no decoding.
 *
 * Method.  The process is pinned to CPU 0.  One untimed warm-up pass, then
 * --reps timed passes over every event (feat_reset between passes; the
 * median pass is shown), each timed around the whole pass with the
 * thread's CPU clock (CLOCK_THREAD_CPUTIME_ID: the box is shared, and time
 * another process holds the core is not the engine's; the wall-clock
 * passes are in the notes): updates/s = events (or vectors) / pass time.  A further pass
 * times each book update alone with the TSC (rdtsc with fences, about
 * 20 ns of its own, included) into a struct hist for p50/p99/p99.9.
 * dm-features runs end to end on the same journal as a child process,
 * to CSV and to .npy, each into a tmpfs (/dev/shm: the tool's own rate,
 * the file in memory) and into /tmp (the disk, with the fsync of the
 * whole file that every tool does before its rename), the four kinds
 * taking turns --runs times (default 3), the median wall shown, with that
 * run's CPU time (user + system, all its threads) and every run's wall in
 * the notes.  They start after this process has freed its own copies of
 * the journal: with about 400 MB of them held, a child's writes into the
 * tmpfs took twice the system time (the pages it got were the machine's
 * colder ones).
 * Their baseline is the engine rate, so the ratio is what decoding,
 * formatting and writing cost on top.
 *
 * Exit 0 whether or not the goals are met; 1 if a run breaks (dm-gen or
 * dm-features missing or failing); 2 for bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "libcore/fmt/fmt.h"
#include "libcore/market/event.h"
#include "libcore/features/feat_csv.h"
#include "libcore/features/features.h"
#include "libcore/hist/hist.h"
#include "libcore/journal/journal.h"
#include "tests/bench/bench_clock.h"
#include "tests/bench/bench_table.h"

#define GOAL_UPDATES_PER_S 5e6   /* issue 4: >= 5M/s on one core */
#define GOAL_CSV_ROWS_PER_S 3e6  /* dm-features end to end into CSV */
#define BENCH_LEVELS       5u    /* the spec's default L */
#define BENCH_CPU          0
#define RUNS_MAX           15u
#define FMT_ROWS           (1u << 18) /* rows kept for the CSV formatting passes */
#define FMT_BLOCK          4096u      /* rows per text buffer, as dm-features' blocks */

struct opts {
	uint64_t events;   /* journal size */
	uint32_t reps;     /* timed passes */
	uint32_t runs;     /* dm-features runs of each kind */
	const char *bindir;
};

/* A pre-decoded event: 176 bytes for L = 5. */
struct cev {
	int64_t  t_ns;
	uint32_t kind;     /* EV_BOOK / EV_TRADE */
	uint16_t nb, na;   /* book: levels; trade: aggressor + 1 in nb */
	struct book_level lv[2][BENCH_LEVELS]; /* trade: lv[0][0].qty */
};

/* ------------------------------------------------------------------ table */
/* ------------------------------------------------------------------ input */

/* Run argv; its CPU time (user + system, every thread) into *cpu_s when
 * not NULL.  Returns the exit status, -1 if it could not run. */
static int run_child(char *const argv[], int quiet_out, double *cpu_s)
{
	struct rusage ru;
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* the bench is pinned to one CPU; the child may use them all */
		cpu_set_t all;
		CPU_ZERO(&all);
		for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN) && c < CPU_SETSIZE; c++)
			CPU_SET((int)c, &all);
		(void)sched_setaffinity(0, sizeof(all), &all);
		if (quiet_out && !freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(argv[0], argv);
		fprintf(stderr, "bench_features: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0)
		return -1;
	if (cpu_s)
		*cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* One dm-features run into out: wall and CPU seconds, bytes written
 * (the .npy's column file included).  0, or the tool's exit status. */
struct tool_run {
	const char *what;
	char out[160];
	double wall, cpu;
	uint64_t bytes;
	double walls[RUNS_MAX];   /* every run's, sorted */
};

static int run_tool(const char *tool, const char *journal, struct tool_run *r)
{
	char *argv[] = { (char *)tool, "--input", (char *)journal, "--output", r->out, "--quiet",
			 NULL };
	char cols[200];
	struct stat st;
	int64_t a = mono_ns();
	int rc = run_child(argv, 1, &r->cpu);

	r->wall = (double)(mono_ns() - a) / 1e9;
	r->bytes = stat(r->out, &st) ? 0 : (uint64_t)st.st_size;
	snprintf(cols, sizeof(cols), "%s.columns", r->out);
	unlink(r->out);
	unlink(cols);
	if (rc)
		fprintf(stderr, "bench_features: %s --output %s exited %d\n", tool, r->out, rc);
	return rc;
}

/* Decode the journal into a compact array; returns the count or -1. */
static long load(const char *path, struct cev **out, double *tick, uint64_t *n_book)
{
	struct journal_reader r;
	struct event ev;
	size_t cap = 1u << 20, n = 0;
	struct cev *a = malloc(cap * sizeof(*a));
	int rc;

	if (!a)
		return -1;
	rc = journal_open_read(&r, path, 0);
	if (rc) {
		fprintf(stderr, "bench_features: %s: %s\n", path, dm_strerror(rc));
		free(a);
		return -1;
	}
	*tick = r.hdr.tick_size_pts > 0 ? r.hdr.tick_size_pts : 1.0;
	*n_book = 0;
	while ((rc = journal_next_event(&r, &ev)) == 1) {
		if (n == cap) {
			struct cev *b = realloc(a, 2 * cap * sizeof(*a));

			if (!b) {
				rc = -ENOMEM;
				break;
			}
			a = b;
			cap *= 2;
		}
		struct cev *c = &a[n];

		memset(c, 0, sizeof(*c));
		c->t_ns = ev.exch_ns;
		c->kind = ev.kind;
		if (ev.kind == EV_BOOK) {
			c->nb = ev.book.n_bid < BENCH_LEVELS ? ev.book.n_bid : BENCH_LEVELS;
			c->na = ev.book.n_ask < BENCH_LEVELS ? ev.book.n_ask : BENCH_LEVELS;
			memcpy(c->lv[0], ev.book.bid, c->nb * sizeof(struct book_level));
			memcpy(c->lv[1], ev.book.ask, c->na * sizeof(struct book_level));
			(*n_book)++;
		} else if (ev.kind == EV_TRADE) {
			c->nb = (uint16_t)(ev.trade.aggressor + 1);
			c->lv[0][0].qty = ev.trade.qty;
		} else {
			continue;
		}
		n++;
	}
	journal_reader_close(&r);
	if (rc < 0) {
		fprintf(stderr, "bench_features: %s: %s\n", path, dm_strerror(rc));
		free(a);
		return -1;
	}
	*out = a;
	return (long)n;
}

/* ------------------------------------------------------------------ runs */

static double g_sink;

/* One pass over every event; returns emitted vectors. */
static uint64_t pass(struct feat *f, const struct cev *ev, size_t n)
{
	double out[FEAT_N], s = 0;
	uint64_t k = 0;

	for (size_t i = 0; i < n; i++) {
		const struct cev *c = &ev[i];

		if (c->kind == EV_BOOK) {
			if (feat_on_book(f, c->t_ns, c->lv[0], c->nb, c->lv[1], c->na, out)) {
				k++;
				s += out[FEAT_FRACDIFF];
			}
		} else {
			feat_on_trade(f, c->t_ns, c->lv[0][0].qty, (int)c->nb - 1);
		}
	}
	g_sink += s;
	return k;
}

/* Per-update latency of book updates into h. */
static void pass_timed(struct feat *f, const struct cev *ev, size_t n, struct hist *h)
{
	double out[FEAT_N];

	for (size_t i = 0; i < n; i++) {
		const struct cev *c = &ev[i];

		if (c->kind == EV_BOOK) {
			uint64_t t0 = clk_begin();
			int k = feat_on_book(f, c->t_ns, c->lv[0], c->nb, c->lv[1], c->na, out);
			uint64_t t1 = clk_end();

			if (k)
				hist_record(h, (uint64_t)((double)(t1 - t0) * g_ns_per_tick + 0.5));
		} else {
			feat_on_trade(f, c->t_ns, c->lv[0][0].qty, (int)c->nb - 1);
		}
	}
}

/* The first FMT_ROWS emitted rows (time and vector) into t and v; returns
 * how many. */
static uint32_t collect(struct feat *f, const struct cev *ev, size_t n, int64_t *t, double *v)
{
	uint32_t k = 0;

	for (size_t i = 0; i < n && k < FMT_ROWS; i++) {
		const struct cev *c = &ev[i];

		if (c->kind != EV_BOOK)
			feat_on_trade(f, c->t_ns, c->lv[0][0].qty, (int)c->nb - 1);
		else if (feat_on_book(f, c->t_ns, c->lv[0], c->nb, c->lv[1], c->na, v + (size_t)k * FEAT_N))
			t[k++] = feat_last_t_ns(f);
	}
	return k;
}

/* The rows as dm-features' formatter threads write them: blocks of
 * FMT_BLOCK rows into text, the memo fresh for each block; returns bytes. */
static uint64_t format_rows(const int64_t *t, const double *v, uint32_t k, char *text)
{
	static struct feat_csv_memo memo;
	uint64_t bytes = 0;

	for (uint32_t b = 0; b < k; b += FMT_BLOCK) {
		size_t len = 0;

		feat_csv_memo_init(&memo);
		for (uint32_t i = b; i < k && i < b + FMT_BLOCK; i++)
			len += feat_csv_row_memo(text + len, t[i], v + (size_t)i * FEAT_N, &memo);
		bytes += len;
		g_sink += text[len - 2];
	}
	return bytes;
}

/* The rows' 27 values alone through one of fmt_double_row's paths, in
 * blocks of FMT_BLOCK rows with fresh memos, as format_rows; the thread's
 * CPU time of one pass, s. */
static double format_values(const double *v, uint32_t k, char *text, enum fmt_row_path path)
{
	static struct fmt_memo m[FEAT_N];
	int64_t c = cpu_ns();

	for (uint32_t b = 0; b < k; b += FMT_BLOCK) {
		char *e = text;

		fmt_memo_init(m, FEAT_N);
		for (uint32_t i = b; i < k && i < b + FMT_BLOCK; i++)
			e = fmt_double_row_on(e, v + (size_t)i * FEAT_N, FEAT_N, ',', m, path);
		g_sink += e[-1];
	}
	return (double)(cpu_ns() - c) / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_features [--events N] [--reps N] [--bin DIR]\n"
		"\n"
		"Feature engine updates/s on a dm-gen journal decoded in memory (all 27\n"
		"features, L = %u, the spec's defaults), per-update latency, and\n"
		"dm-features end to end rows/s.  Pinned to CPU %d.\n"
		"\n"
		"  --events N   journal events (default 2M; k/M suffix)\n"
		"  --reps N     timed engine passes, median shown (default 5)\n"
		"  --runs N     dm-features runs of each kind, the median wall shown\n"
		"               (default 3, at most %u)\n"
		"  --bin DIR    where dm-gen and dm-features are (default: the bin\n"
		"               directory beside this program's bench directory)\n"
		"  -h, --help   this text\n",
		BENCH_LEVELS, BENCH_CPU, RUNS_MAX);
}

/* build/bench/bench_features -> build/bin */
static void default_bindir(const char *argv0, char *out, size_t n)
{
	const char *slash = strrchr(argv0, '/');

	if (!slash) {
		snprintf(out, n, "build/bin");
		return;
	}
	snprintf(out, n, "%.*s/../bin", (int)(slash - argv0), argv0);
}

int main(int argc, char **argv)
{
	struct opts o = { .events = 2000000, .reps = 5, .runs = 3 };
	char bindir[512], gen[600], tool[600], jpath[128], nbuf[32];
	uint64_t v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	__builtin_cpu_init();
	default_bindir(argv[0], bindir, sizeof(bindir));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--events") && i + 1 < argc &&
			   !parse_count(argv[i + 1], &v)) {
			o.events = v;
			i++;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc &&
			   !parse_count(argv[i + 1], &v) && v <= 100) {
			o.reps = (uint32_t)v;
			i++;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc &&
			   !parse_count(argv[i + 1], &v) && v >= 1 && v <= RUNS_MAX) {
			o.runs = (uint32_t)v;
			i++;
		} else if (!strcmp(argv[i], "--bin") && i + 1 < argc) {
			snprintf(bindir, sizeof(bindir), "%s", argv[++i]);
		} else {
			fprintf(stderr, "bench_features: bad argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	snprintf(gen, sizeof(gen), "%s/dm-gen", bindir);
	snprintf(tool, sizeof(tool), "%s/dm-features", bindir);
	snprintf(jpath, sizeof(jpath), "/tmp/dmbench-features-%d.jrnl", (int)getpid());

	cpu_set_t cs;
	CPU_ZERO(&cs);
	CPU_SET(BENCH_CPU, &cs);
	if (sched_setaffinity(0, sizeof(cs), &cs))
		fprintf(stderr, "bench_features: cannot pin to CPU %d: %s (running unpinned)\n",
			BENCH_CPU, strerror(errno));
	clk_calibrate();

	/* ---- input */
	snprintf(nbuf, sizeof(nbuf), "%" PRIu64, o.events);
	char *gargv[] = { gen, "--seed", "1", "--events", nbuf, "--output", jpath,
			  "--quiet", NULL };
	int64_t t0 = mono_ns();
	if (run_child(gargv, 1, NULL) != 0) {
		fprintf(stderr, "bench_features: %s failed (run 'make all' first)\n", gen);
		unlink(jpath);
		return 1;
	}
	fprintf(stderr, "[%5.1fs] journal of %" PRIu64 " events written: %s\n",
		(double)(mono_ns() - t0) / 1e9, o.events, jpath);

	struct cev *ev;
	double tick;
	uint64_t n_book;
	long n = load(jpath, &ev, &tick, &n_book);
	if (n < 0) {
		unlink(jpath);
		return 1;
	}
	fprintf(stderr, "[%5.1fs] decoded: %ld events, %" PRIu64 " book updates, tick %g\n",
		(double)(mono_ns() - t0) / 1e9, n, n_book, tick);

	/* ---- engine */
	struct feat_params p;
	feat_params_default(&p);
	p.levels = BENCH_LEVELS;
	p.tick = tick;
	size_t sz = feat_memsize(&p);
	struct feat *f = aligned_alloc(64, sz);
	if (!f || feat_init(f, sz, &p)) {
		fprintf(stderr, "bench_features: feat_init failed\n");
		unlink(jpath);
		return 1;
	}
	uint64_t vec = pass(f, ev, (size_t)n);          /* warm-up */
	double *secs = calloc(o.reps, sizeof(double)), *wall = calloc(o.reps, sizeof(double));
	if (!secs || !wall) {
		fprintf(stderr, "bench_features: out of memory\n");
		unlink(jpath);
		return 1;
	}
	for (uint32_t r = 0; r < o.reps; r++) {
		feat_reset(f);
		int64_t a = mono_ns(), c = cpu_ns();
		uint64_t k = pass(f, ev, (size_t)n);
		secs[r] = (double)(cpu_ns() - c) / 1e9;
		wall[r] = (double)(mono_ns() - a) / 1e9;
		if (k != vec) {
			fprintf(stderr, "bench_features: pass %u emitted %" PRIu64 ", not %" PRIu64
				"\n", r, k, vec);
			unlink(jpath);
			return 1;
		}
	}
	qsort(secs, o.reps, sizeof(double), cmp_double);
	qsort(wall, o.reps, sizeof(double), cmp_double);
	double med = secs[o.reps / 2], med_wall = wall[o.reps / 2];
	double ev_rate = (double)n / med, vec_rate = (double)vec / med;
	fprintf(stderr, "[%5.1fs] engine: %u passes, median %.3f s\n",
		(double)(mono_ns() - t0) / 1e9, o.reps, med);

	static struct hist h;
	hist_init(&h);
	feat_reset(f);
	pass_timed(f, ev, (size_t)n, &h);

	/* ---- CSV formatting alone, one core: the first FMT_ROWS rows */
	int64_t *ft = malloc(FMT_ROWS * sizeof(*ft));
	double *fv = malloc((size_t)FMT_ROWS * FEAT_N * sizeof(*fv));
	char *ftext = malloc((size_t)FMT_BLOCK * FEAT_CSV_ROW_MAX);
	double *fsecs = calloc(o.reps, sizeof(double));
	if (!ft || !fv || !ftext || !fsecs) {
		fprintf(stderr, "bench_features: out of memory\n");
		unlink(jpath);
		return 1;
	}
	feat_reset(f);
	uint32_t fk = collect(f, ev, (size_t)n, ft, fv);
	uint64_t fbytes = format_rows(ft, fv, fk, ftext);     /* warm-up */
	for (uint32_t r = 0; r < o.reps; r++) {
		int64_t c = cpu_ns();

		format_rows(ft, fv, fk, ftext);
		fsecs[r] = (double)(cpu_ns() - c) / 1e9;
	}
	qsort(fsecs, o.reps, sizeof(double), cmp_double);
	double fmt_rate = (double)fk / fsecs[o.reps / 2];
	fprintf(stderr, "[%5.1fs] CSV formatting: %u passes over %u rows, median %.3f s\n",
		(double)(mono_ns() - t0) / 1e9, o.reps, fk, fsecs[o.reps / 2]);

	/* ---- the values alone through each path of fmt_double_row the CPU
	 * has, the passes of the paths taking turns */
	static const char *const path_name[3] = { "one at a time", "AVX2 x4", "AVX-512 x8" };
	double path_ns[3] = { 0, 0, 0 };
	double *psecs = calloc((size_t)3 * o.reps, sizeof(double));
	if (!psecs) {
		fprintf(stderr, "bench_features: out of memory\n");
		unlink(jpath);
		return 1;
	}
	for (int q = 0; q < 3; q++)
		if (fmt_row_path_ok((enum fmt_row_path)q))
			format_values(fv, fk, ftext, (enum fmt_row_path)q);    /* warm-up */
	for (uint32_t r = 0; r < o.reps; r++)
		for (int q = 0; q < 3; q++)
			if (fmt_row_path_ok((enum fmt_row_path)q))
				psecs[q * o.reps + r] = format_values(fv, fk, ftext, (enum fmt_row_path)q);
	for (int q = 0; q < 3; q++)
		if (fmt_row_path_ok((enum fmt_row_path)q)) {
			qsort(psecs + q * o.reps, o.reps, sizeof(double), cmp_double);
			path_ns[q] = psecs[q * o.reps + o.reps / 2] * 1e9 / fk;
		}

	/* ---- dm-features end to end: CSV and .npy, tmpfs and disk */
	struct tool_run tr[4] = {
		{ .what = "CSV, tmpfs" }, { .what = ".npy, tmpfs" },
		{ .what = "CSV, disk" }, { .what = ".npy, disk" },
	};
	int shm = access("/dev/shm", W_OK) == 0;
	snprintf(tr[0].out, sizeof(tr[0].out), "%s/dmbench-features-%d.csv",
		 shm ? "/dev/shm" : "/tmp", (int)getpid());
	snprintf(tr[1].out, sizeof(tr[1].out), "%s/dmbench-features-%d.npy",
		 shm ? "/dev/shm" : "/tmp", (int)getpid());
	snprintf(tr[2].out, sizeof(tr[2].out), "/tmp/dmbench-features-%d.csv", (int)getpid());
	snprintf(tr[3].out, sizeof(tr[3].out), "/tmp/dmbench-features-%d.npy", (int)getpid());
	/* the in-memory copies go first: a child's tmpfs writes ran at half
	 * speed while this process held the decoded journal (about 400 MB
	 * at 2M events), the pages it wrote being the machine's colder ones */
	free(ft);
	free(fv);
	free(ftext);
	free(f);
	free(ev);
	/* the kinds take turns, o.runs rounds; the median wall of each */
	struct tool_run one;
	double cpus[4][RUNS_MAX];
	for (uint32_t r = 0; r < o.runs; r++)
		for (int i = 0; i < 4; i++) {
			one = tr[i];
			if (run_tool(tool, jpath, &one)) {
				unlink(jpath);
				return 1;
			}
			tr[i].walls[r] = one.wall;
			cpus[i][r] = one.cpu;
			tr[i].bytes = one.bytes;
		}
	for (int i = 0; i < 4; i++) {
		/* the CPU time shown is that of the run whose wall is the median */
		double w[RUNS_MAX];
		memcpy(w, tr[i].walls, o.runs * sizeof(double));
		qsort(tr[i].walls, o.runs, sizeof(double), cmp_double);
		tr[i].wall = tr[i].walls[o.runs / 2];
		for (uint32_t r = 0; r < o.runs; r++)
			if (w[r] == tr[i].wall)
				tr[i].cpu = cpus[i][r];
	}
	unlink(jpath);
	fprintf(stderr, "[%5.1fs] dm-features: %u runs\n", (double)(mono_ns() - t0) / 1e9,
		4 * o.runs);

	row("engine events/s (books + trades)", ev_rate / 1e6, "M/s", 0, NULL);
	row("engine book updates/s (27 features)", vec_rate / 1e6, "M/s",
	    GOAL_UPDATES_PER_S / 1e6, "goal %.0f M updates/s", GOAL_UPDATES_PER_S / 1e6);
	row("engine ns per book update (mean)", 1e9 / vec_rate, "ns", 0, NULL);
	row("book update p50 (TSC, timer incl.)", (double)hist_quantile(&h, 0.5), "ns", 0, NULL);
	row("book update p99", (double)hist_quantile(&h, 0.99), "ns", 0, NULL);
	row("book update p99.9", (double)hist_quantile(&h, 0.999), "ns", 0, NULL);
	row("CSV formatting rows/s, one core", fmt_rate / 1e6, "M rows/s", 0, NULL);
	row("CSV formatting ns per row", 1e9 / fmt_rate, "ns", 0, NULL);
	for (int q = 0; q < 3; q++) {
		char fig[56];

		if (!path_ns[q])
			continue;
		snprintf(fig, sizeof(fig), "27 values ns per row, %s", path_name[q]);
		if (q == FMT_ROW_SCALAR)
			row(fig, path_ns[q], "ns", 0, NULL);
		else
			row(fig, path_ns[q], "ns", path_ns[FMT_ROW_SCALAR], "one at a time");
	}
	for (int i = 0; i < 4; i++) {
		char fig[56];

		snprintf(fig, sizeof(fig), "dm-features end to end, %s", tr[i].what);
		row(fig, (double)vec / tr[i].wall / 1e6, "M rows/s", vec_rate / 1e6,
		    "engine alone %.2f M/s", vec_rate / 1e6);
	}
	print_table();

	printf("\ngoals (never fail the build)\n");
	printf("  feature engine >= %.0f M book updates/s on one core: %.2f M/s  %s\n",
	       GOAL_UPDATES_PER_S / 1e6, vec_rate / 1e6, met(vec_rate >= GOAL_UPDATES_PER_S));
	double csv_rate = (double)vec / tr[0].wall;
	printf("  dm-features end to end into CSV >= %.0f M rows/s (tmpfs): %.2f M rows/s  %s\n",
	       GOAL_CSV_ROWS_PER_S / 1e6, csv_rate / 1e6, met(csv_rate >= GOAL_CSV_ROWS_PER_S));
	printf("\nnotes\n");
	printf("  input: dm-gen --seed 1 --events %" PRIu64 ": %ld events, %" PRIu64
	       " book updates (%" PRIu64 " vectors), L = %u, tick %g points\n",
	       o.events, n, n_book, vec, BENCH_LEVELS, tick);
	printf("  engine passes, thread CPU time (s):");
	for (uint32_t r = 0; r < o.reps; r++)
		printf(" %.3f", secs[r]);
	printf("  (sorted; median shown)\n");
	printf("  engine passes, wall clock (s):");
	for (uint32_t r = 0; r < o.reps; r++)
		printf(" %.3f", wall[r]);
	printf("  (median %.2f M book updates/s: differs from the CPU-time figure\n"
	       "  only when another process took the core)\n", (double)vec / med_wall / 1e6);
	for (int i = 0; i < 4; i++) {
		printf("  dm-features %-11s %6.2f s wall, %6.2f s CPU (%.2f M rows per CPU s), "
		       "%" PRIu64 " MB, %s\n", tr[i].what, tr[i].wall, tr[i].cpu,
		       tr[i].cpu > 0 ? (double)vec / tr[i].cpu / 1e6 : 0, tr[i].bytes >> 20,
		       tr[i].out);
		printf("    walls of its %u runs (s, sorted; median shown):", o.runs);
		for (uint32_t r = 0; r < o.runs; r++)
			printf(" %.2f", tr[i].walls[r]);
		printf("\n");
	}
	printf("  (%ld CPUs online: the CSV is formatted by that many threads beside the\n"
	       "  reader and engine; wall below CPU time means they ran side by side)\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("  CSV formatting: feat_csv_row_memo over the first %u rows in blocks of %u\n"
	       "  (memo fresh per block, as dm-features), %.0f bytes a row; thread CPU time\n"
	       "  per pass (s):", fk, FMT_BLOCK, (double)fbytes / fk);
	for (uint32_t r = 0; r < o.reps; r++)
		printf(" %.3f", fsecs[r]);
	printf("  (sorted; median shown)\n");
	printf("  27 values a row: fmt_double_row_on over the same rows without the time,\n"
	       "  each path this CPU has (");
	for (int q = 0, first = 1; q < 3; q++)
		if (path_ns[q]) {
			printf("%s%s", first ? "" : ", ", path_name[q]);
			first = 0;
		}
	printf("; fmt_double_row takes the widest), passes taking turns, thread CPU\n"
	       "  time, median of %u\n", o.reps);
	printf("  fracdiff: %u weights, dot product %s\n", feat_fd_count(p.fd_d, p.fd_thresh),
	       __builtin_cpu_supports("avx2") ? "AVX2" : "SSE2");
	free(secs);
	free(wall);
	free(fsecs);
	free(psecs);
	return g_sink == 12345.678 ? 3 : 0;
}
