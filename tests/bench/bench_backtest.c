/*
 * bench_backtest.c — the whole trading path in one thread (libcore/trader,
 * dm-backtest) against the feature engine alone and against the six
 * agent processes in lockstep.
 *
 * What it measures, on one dm-gen market (--events, default 2M) read from
 * its journal the same way by every row (read(2) into the reader's
 * buffer, events by reference: journal_next_event_ref):
 *   engine      journal -> feature engine (27 features), nothing else
 *   trader      journal -> every module of the trading path, with the
 *               default configuration and the default meta-model
 *               (build/model/default.json, 'make model'), in process
 *   dm-backtest the tool end to end (CSV files and summary included),
 *               and its peak resident memory
 *   lockstep    tools/dmctl run on a --lockstep-events market (default
 *               20000): six processes, an event released only when every
 *               ring is empty; the wall time of the whole command
 * Goals (docs/backtest.md): trader >= 3M events/s on one core and >= a
 * third of the engine's rate; dm-backtest under 64 MiB whatever the input
 * length.  A missed goal is printed, never fatal.  The engine and trader
 * rates are given by the clock and by the thread's CPU time: on a shared
 * machine the clock also counts the time the thread waited for its core.
 *
 * Usage: bench_backtest [--events N] [--lockstep-events N] [--reps N]
 *                       [--bin DIR]
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/config/config.h"
#include "libcore/features/features.h"
#include "libcore/journal/journal.h"
#include "libcore/trader/trader.h"
#include "libcore/trader/trader_params.h"
#include "tests/bench/bench_clock.h"
#include "tests/bench/bench_table.h"

#define GOAL_EVENTS_PER_S 3e6
#define GOAL_RSS_MIB      64.0
#define BENCH_CPU         0

static int run_child(char *const argv[], int quiet, struct rusage *ru)
{
	pid_t pid = fork();
	int st;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (quiet && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)))
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	struct rusage r;
	if (wait4(pid, &st, 0, &r) < 0)
		return -1;
	if (ru)
		*ru = r;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void default_bindir(const char *argv0, char *out, size_t n)
{
	const char *slash = strrchr(argv0, '/');
	if (!slash)
		snprintf(out, n, "build/bin");
	else
		snprintf(out, n, "%.*s/../bin", (int)(slash - argv0), argv0);
}

static double median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n ? v[n / 2] : 0;
}

/* Events per second of wall time, and per second of this thread's CPU
 * time (*cpu_rate): the machine may be shared, and the CPU time leaves out
 * the time the thread waited for a core. */
static double rates(uint64_t n, int64_t wall_ns, int64_t cpu_ns_, double *cpu_rate)
{
	*cpu_rate = cpu_ns_ > 0 ? (double)n / ((double)cpu_ns_ / 1e9) : 0;
	return wall_ns > 0 ? (double)n / ((double)wall_ns / 1e9) : 0;
}

/* events/s of the feature engine over the journal */
static double run_engine(const char *path, const struct dm_config *cfg, uint64_t *n_out,
			 double *cpu_rate)
{
	struct feat_params p;
	char err[256];
	p = cfg->features;
	feat_params_host(&p, (double)cfg->instrument.tick_size_e6 / 1e6, 1.0, 0);
	if (feat_params_check(&p, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_backtest: features: %s\n", err);
		return 0;
	}
	size_t sz = feat_memsize(&p);
	struct feat *f = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	feat_init(f, sz, &p);
	struct journal_reader r;
	if (journal_open_read(&r, path, JOURNAL_SEQ) < 0) {
		free(f);
		return 0;
	}
	const struct event *ev;
	double v[FEAT_N], sink = 0;
	uint64_t n = 0;
	int64_t t0 = mono_ns(), c0 = cpu_ns();
	while (journal_next_event_ref(&r, &ev) == 1) {
		if (feat_update(f, ev, v))
			sink += v[0];
		n++;
	}
	int64_t dt = mono_ns() - t0, dc = cpu_ns() - c0;
	journal_reader_close(&r);
	free(f);
	*n_out = n;
	if (sink == 12345.678)
		fputc(' ', stderr);
	return rates(n, dt, dc, cpu_rate);
}

/* events/s of the whole path over the journal; *fills, *decisions out */
static double run_trader(const char *path, const struct dm_config *cfg, int *have_model,
			 uint64_t *fills, uint64_t *decisions, double *cpu_rate)
{
	struct trader_params p;
	char model[512], err[1024];
	if (trader_params_from_config(cfg, 1, &p, model, sizeof(model), err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_backtest: %s\n", err);
		return 0;
	}
	struct flat *f = NULL;
	if (!p.strategy.rule_only && trader_model_load(cfg, model, &f, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_backtest: no model (%s): the primary rule alone\n", err);
		p.strategy.rule_only = 1;
	}
	*have_model = f != NULL;
	size_t sz = trader_memsize(&p);
	void *mem = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	struct trader *t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
	const struct trader_out out = { 0 };
	double rate = 0;
	struct journal_reader r;
	*cpu_rate = 0;
	if (trader_init(t, mem, sz, &p, f, model, &out, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_backtest: %s\n", err);
		goto out;
	}
	if (journal_open_read(&r, path, JOURNAL_SEQ) < 0)
		goto out;
	const struct event *ev;
	uint64_t n = 0;
	int64_t t0 = mono_ns(), c0 = cpu_ns();
	while (journal_next_event_ref(&r, &ev) == 1) {
		trader_on_event(t, ev);
		n++;
	}
	trader_finish(t);
	int64_t dt = mono_ns() - t0, dc = cpu_ns() - c0;
	journal_reader_close(&r);
	rate = rates(n, dt, dc, cpu_rate);
	*fills = venue_totals(execsvc_venue_of(trader_execsvc_state(t)))->fills;
	*decisions = trader_coord_state(t)->decisions;
out:
	free(t);
	free(mem);
	flat_free(f);
	return rate;
}

int main(int argc, char **argv)
{
	uint64_t events = 2000000, lock_events = 20000, v;
	uint32_t reps = 3;
	char bindir[512], gen[600], tool[600], dmctl[600], jpath[96], out[96], nbuf[32];

	setvbuf(stdout, NULL, _IOLBF, 0);
	default_bindir(argv[0], bindir, sizeof(bindir));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: bench_backtest [--events N] [--lockstep-events N] [--reps N] "
			       "[--bin DIR]\n");
			return 0;
		} else if (!strcmp(argv[i], "--events") && i + 1 < argc && !parse_count(argv[i + 1], &v)) {
			events = v;
			i++;
		} else if (!strcmp(argv[i], "--lockstep-events") && i + 1 < argc &&
			   !parse_count(argv[i + 1], &v)) {
			lock_events = v;
			i++;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc && !parse_count(argv[i + 1], &v) &&
			   v <= 20) {
			reps = (uint32_t)v;
			i++;
		} else if (!strcmp(argv[i], "--bin") && i + 1 < argc) {
			snprintf(bindir, sizeof(bindir), "%s", argv[++i]);
		} else {
			fprintf(stderr, "bench_backtest: bad argument '%s'\n", argv[i]);
			return 2;
		}
	}
	snprintf(gen, sizeof(gen), "%s/dm-gen", bindir);
	snprintf(tool, sizeof(tool), "%s/dm-backtest", bindir);
	snprintf(dmctl, sizeof(dmctl), "%s/../../tools/dmctl", bindir);
	snprintf(jpath, sizeof(jpath), "/tmp/dmbench-backtest-%d.jrnl", (int)getpid());
	snprintf(out, sizeof(out), "/tmp/dmbench-backtest-%d.out", (int)getpid());

	cpu_set_t cs;
	CPU_ZERO(&cs);
	CPU_SET(BENCH_CPU, &cs);
	if (sched_setaffinity(0, sizeof(cs), &cs))
		fprintf(stderr, "bench_backtest: cannot pin to CPU %d (running unpinned)\n", BENCH_CPU);

	snprintf(nbuf, sizeof(nbuf), "%" PRIu64, events);
	char *gargv[] = { gen, "--seed", "1", "--events", nbuf, "--output", jpath, "--quiet", NULL };
	if (run_child(gargv, 1, NULL) != 0) {
		fprintf(stderr, "bench_backtest: %s failed (run 'make all' first)\n", gen);
		unlink(jpath);
		return 1;
	}
	struct dm_config cfg;
	config_defaults(&cfg);

	double eng[20], trd[20], eng_c[20], trd_c[20];
	uint64_t n = 0, fills = 0, decisions = 0;
	int have_model = 0;
	for (uint32_t i = 0; i < reps; i++) {
		eng[i] = run_engine(jpath, &cfg, &n, &eng_c[i]);
		trd[i] = run_trader(jpath, &cfg, &have_model, &fills, &decisions, &trd_c[i]);
		fprintf(stderr, "[rep %u] engine %.2f M/s (CPU time %.2f), trader %.2f M/s (CPU "
			"time %.2f)\n", i + 1, eng[i] / 1e6, eng_c[i] / 1e6, trd[i] / 1e6,
			trd_c[i] / 1e6);
	}
	double e = median(eng, (int)reps), t = median(trd, (int)reps);
	double ec = median(eng_c, (int)reps), tc = median(trd_c, (int)reps);

	/* the tool end to end, and its peak memory */
	char *targv[] = { tool, "--input", jpath, "--out", out, "--quiet", NULL };
	struct rusage ru;
	int64_t t0 = mono_ns();
	int rc = run_child(targv, 1, &ru);
	double tool_s = (double)(mono_ns() - t0) / 1e9;
	double rss_mib = (double)ru.ru_maxrss / 1024.0;
	if (rc != 0 && rc != 1)
		fprintf(stderr, "bench_backtest: %s exited %d\n", tool, rc);

	/* six processes in lockstep */
	snprintf(nbuf, sizeof(nbuf), "%" PRIu64, lock_events);
	char *largv[] = { dmctl, "run", "--events", nbuf, NULL };
	t0 = mono_ns();
	int lrc = run_child(largv, 1, NULL);
	double lock_s = (double)(mono_ns() - t0) / 1e9;
	double lock_rate = lrc == 0 && lock_s > 0 ? (double)lock_events / lock_s : 0;
	if (lrc != 0)
		fprintf(stderr, "bench_backtest: tools/dmctl run exited %d\n", lrc);

	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_backtest: cannot remove %s\n", out);
	unlink(jpath);

	printf("market: dm-gen --seed 1, %" PRIu64 " events; default configuration, %s; "
	       "%" PRIu64 " decisions, %" PRIu64 " fills in process; median of %u\n", n,
	       have_model ? "default meta-model" : "NO MODEL (primary rule alone)", decisions,
	       fills, reps);
	row("feature engine alone events/s", e / 1e6, "M/s", 0, NULL);
	row("trader (whole path) events/s", t / 1e6, "M/s", e / 1e6, "feature engine alone");
	row("trader ns per event", t > 0 ? 1e9 / t : 0, "ns", 0, NULL);
	row("feature engine alone, CPU time", ec / 1e6, "M/s", 0, NULL);
	row("trader (whole path), CPU time", tc / 1e6, "M/s", ec / 1e6, "feature engine, CPU time");
	row("trader CPU ns per event", tc > 0 ? 1e9 / tc : 0, "ns", 0, NULL);
	row("dm-backtest end to end events/s", tool_s > 0 ? (double)n / tool_s / 1e6 : 0, "M/s",
	    t / 1e6, "trader in process");
	row("dm-backtest peak resident memory", rss_mib, "MiB", GOAL_RSS_MIB, "goal %.0f MiB",
	    GOAL_RSS_MIB);
	row("six agents, lockstep events/s", lock_rate / 1e3, "k/s", t / 1e3, "trader (k/s)");
	print_table();
	printf("goal trader >= %.0fM events/s: %s by the clock, %s by CPU time; >= 1/3 of the "
	       "engine: %s; dm-backtest under %.0f MiB: %s; in-process / lockstep: %.0fx\n",
	       GOAL_EVENTS_PER_S / 1e6, t >= GOAL_EVENTS_PER_S ? "met" : "MISSED",
	       tc >= GOAL_EVENTS_PER_S ? "met" : "MISSED", t * 3 >= e ? "met" : "MISSED",
	       GOAL_RSS_MIB, rss_mib < GOAL_RSS_MIB ? "met" : "MISSED",
	       lock_rate > 0 ? t / lock_rate : 0);
	return 0;
}
