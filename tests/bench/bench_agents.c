/*
 * bench_agents.c — tick-to-order latency through the six agent processes.
 *
 * What it measures.  The whole live path as operators run it: dm-gen
 * writes a synthetic WIN market, tools/dmctl starts the six agents on it
 * with the data agent replaying at the market's pace times a speed factor
 * (so the system is measured at a realistic event rate, not drowned in a
 * backlog), and every order the coordinator releases is timed from the
 * moment the data agent took the market event in (msg_hdr.ingress_ns) to
 * the moment the execution agent hands it to the venue adapter.  The
 * execution agent records that span in its stage histogram in the segment
 * (agents/rt/state.h); this program reads it with dm-shmdump --json before
 * stopping the system.  The per-stage figures show where the time goes.
 *
 * Two runs, same market, same configuration but the agents' idle mode:
 *   spin               every agent polls without pause (one core each is
 *                      what this mode is for)
 *   spin-then-sleep    backoff: --spin polls, --yield yields (both 0 by
 *                      default, as in conf/default.yaml), then a futex sleep
 *                      until a producer rings the doorbell
 *
 * Goals: spin-then-sleep p50 under 50 us on this 2-core machine; spin p50
 * under 5 us on a machine with six isolated cores (docs/operations.md says
 * how to run it there: pin each agent with agents.<name>.cpu and isolate
 * the cores).  With six spinning processes on two cores, spin mode here
 * measures the scheduler's time slices; the row is printed for comparison.
 *
 * A third run, spin-then-sleep with every agent at SCHED_FIFO priority
 * --rt-priority (agents.<name>.rt_priority, default 10; 0 leaves it out):
 * woken, an agent preempts the time-sharing tasks on its core at once.  It
 * needs CAP_SYS_NICE (root); without it the row says so.  The tail's goals
 * (p99 at most 5 times the p50, p99.9 at most 20 times) are rows of their
 * own for both spin-then-sleep runs.
 *
 * --cpus A,B,C,D,E,F pins the agents (coordinator, data, feature, ml,
 * execution, risk) with agents.<name>.cpu in every configuration: the
 * run for a box with six isolated cores.
 *
 * Usage: bench_agents [--events N] [--seconds S] [--spin N] [--yield N]
 *                     [--rt-priority N] [--cpus LIST] [--bindir DIR]
 * Needs build/bin (make) and tools/dmctl; exits 1 if a run fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_table.h"
#include "libcore/hist/hist.h"
#include "libcore/journal/journal.h"
#include "shm/doorbell.h"
#include "shm/ring.h"
#include "tests/proc_helpers.h"

#define GOAL_SLEEP_P50_US 50.0
#define GOAL_SPIN_P50_US  5.0
#define GOAL_P99_X        5.0  /* p99 / p50 */
#define GOAL_P999_X       20.0 /* p99.9 / p50 */

static unsigned g_spin, g_yield; /* backoff: polls and yields before sleeping */
static int g_fanout = 1;         /* vote.fanout of the next run */
static const char *g_voters;     /* --voters: vote.voters of every run; NULL: default */
static long g_slice[6] = { -1, -1, -1, -1, -1, -1 }; /* --slice: agents.<name>.slice_us,
                                                       * in ag[] order; -1: the default */
static int g_cpu[6] = { -1, -1, -1, -1, -1, -1 }; /* --cpus: agents.<name>.cpu, in ag[] order */
static char g_bindir[PATH_MAX / 2], g_tmp[64];
static struct t_paths g_paths; /* the checkout: tools/dmctl */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench_agents: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Exchange-time span of a journal, ns. */
static int64_t span_ns(const char *path)
{
	static struct journal_reader r;
	struct event ev;
	int64_t first = 0, last = 0;
	int rc = journal_open_read(&r, path, 0);
	if (rc)
		die("%s: %s", path, dm_strerror(rc));
	while ((rc = journal_next_event(&r, &ev)) == 1) {
		if (!first)
			first = ev.exch_ns;
		last = ev.exch_ns;
	}
	journal_reader_close(&r);
	return last - first;
}

static void write_conf(const char *path, const char *idle, unsigned rtprio, const char *name)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "system:\n  shm_name: /%s\n  run_dir: %s\n", name, g_tmp);
	fprintf(f, "agents:\n");
	static const char *const ag[] = { "coordinator", "data", "feature", "ml",
					  "execution", "risk" };
	for (int i = 0; i < 6; i++) {
		fprintf(f, "  %s: { cpu: %d, idle: %s, spin_iters: %u, yield_iters: %u, "
			   "rt_priority: %u", ag[i], g_cpu[i], idle, g_spin, g_yield, rtprio);
		if (g_slice[i] >= 0)
			fprintf(f, ", slice_us: %ld", g_slice[i]);
		fprintf(f, " }\n");
	}
	/* act on most signals: many orders to time, through the meta-model
	 * when it is built (make model), else the primary rule alone */
	char model[PATH_MAX];
	snprintf(model, sizeof(model), "%s/build/model/default.json", g_paths.root);
	fprintf(f, "strategy:\n  threshold: 0.2\n  min_interval_ms: 0\n  min_prob: 0\n"
		   "  model: \"%s\"\n", t_exists(model) ? model : "");
	/* loose limits: the figure is the path's latency, not the strategy's */
	fprintf(f, "risk:\n  limits: risk.yaml\n");
	fprintf(f, "vote:\n  fanout: %s\n", g_fanout ? "true" : "false");
	if (g_voters)
		fprintf(f, "  voters: [%s]\n  quorum: 1\n", g_voters);
	fclose(f);
	char risk[PATH_MAX];
	snprintf(risk, sizeof(risk), "%s/risk.yaml", g_tmp);
	if (!(f = fopen(risk, "w")))
		die("%s: %s", risk, strerror(errno));
	fprintf(f, "currency: BRL\nmax_position: 1000\nmax_order_qty: 10\norder_rate: { per_second: 100000, "
		   "burst: 100000 }\nprice_collar_ticks: 1000\ndaily_loss: 100000000\n"
		   "max_drawdown: 100000000\nreducing_at_loss: 0\nstale_data_ms: 60000\n"
		   "enforce_session: false\nkill_switch: { flatten: false }\n");
	fclose(f);
}

struct stage {
	const char *agent;
	double p50, p99, p999, max;
	long long n;
};

/* Where one agent's time goes (the tail's breakdown): ring transit, the
 * scheduler's share of it (a producer's futex wake to the agent running),
 * log lines, page faults (the run's whole life, start-up included). */
struct brk {
	double hop50, hop99, wake50, wake99, wake999, log_max;
	long long wake_n, log_n, minflt, majflt, nivcsw;
};

static double q_us(json_t *h, const char *key)
{
	return (double)json_integer_value(json_object_get(h, key)) / 1e3;
}

static void read_brk(json_t *root, const char *agent, struct brk *b)
{
	json_t *ag = json_object_get(json_object_get(json_object_get(root, "state"), "agents"),
				     agent);
	json_t *lat = json_object_get(ag, "latency"), *pf = json_object_get(ag, "page_faults");
	json_t *hop = json_object_get(lat, "hop"), *wake = json_object_get(lat, "wake");
	json_t *log = json_object_get(lat, "log");
	b->hop50 = q_us(hop, "p50_ns");
	b->hop99 = q_us(hop, "p99_ns");
	b->wake_n = json_integer_value(json_object_get(wake, "n"));
	b->wake50 = q_us(wake, "p50_ns");
	b->wake99 = q_us(wake, "p99_ns");
	b->wake999 = q_us(wake, "p999_ns");
	b->log_n = json_integer_value(json_object_get(log, "n"));
	b->log_max = q_us(log, "max_ns");
	b->minflt = json_integer_value(json_object_get(pf, "minor"));
	b->majflt = json_integer_value(json_object_get(pf, "major"));
	b->nivcsw = json_integer_value(json_object_get(json_object_get(ag, "switches"),
						       "involuntary"));
}

static const char *const brk_agents[6] = { "data", "feature", "ml", "coordinator", "execution",
					    "risk" };

static void print_brk(const char *what, const struct brk b[6])
{
	printf("\nwhere the time goes, %s, us (hop: ring transit; wake: a producer's futex wake "
	       "to the agent running; faults since start; preempted: involuntary context "
	       "switches):\n", what);
	printf("  %-12s %8s %8s | %8s %8s %8s %8s | %6s %8s | %8s %6s | %9s\n", "agent",
	       "hop p50", "hop p99", "wakes", "p50", "p99", "p99.9", "logs", "log max", "minflt",
	       "majflt", "preempted");
	for (int i = 0; i < 6; i++)
		printf("  %-12s %8.1f %8.1f | %8lld %8.1f %8.1f %8.1f | %6lld %8.1f | %8lld %6lld | "
		       "%9lld\n", brk_agents[i], b[i].hop50, b[i].hop99, b[i].wake_n, b[i].wake50,
		       b[i].wake99, b[i].wake999, b[i].log_n, b[i].log_max, b[i].minflt,
		       b[i].majflt, b[i].nivcsw);
}

static int read_stage(json_t *root, struct stage *s)
{
	json_t *st = json_object_get(json_object_get(json_object_get(json_object_get(
			json_object_get(root, "state"), "agents"), s->agent), "latency"), "stage");
	if (!st)
		return -1;
	s->n = json_integer_value(json_object_get(st, "n"));
	s->p50 = (double)json_integer_value(json_object_get(st, "p50_ns")) / 1e3;
	s->p99 = (double)json_integer_value(json_object_get(st, "p99_ns")) / 1e3;
	s->p999 = (double)json_integer_value(json_object_get(st, "p999_ns")) / 1e3;
	s->max = (double)json_integer_value(json_object_get(st, "max_ns")) / 1e3;
	return 0;
}

/* --cpus "A,B,C,D,E,F": six CPUs 0..1023 into g_cpu; 0, or -1 if malformed. */
static int parse_cpus(const char *s)
{
	for (int i = 0; i < 6; i++) {
		char *end;
		errno = 0;
		long v = strtol(s, &end, 10);
		if (end == s || errno || v < 0 || v > 1023 || *end != (i < 5 ? ',' : '\0'))
			return -1;
		g_cpu[i] = (int)v;
		s = end + 1;
	}
	return 0;
}

/* --slice: one value for every agent, or six in ag[] order */
static int parse_slices(const char *s)
{
	long v[6];
	int n = 0;
	for (;;) {
		char *end;
		errno = 0;
		long x = strtol(s, &end, 10);
		if (end == s || errno || x < 0 || x > 100000 || (x && x < 100) || n == 6)
			return -1;
		v[n++] = x;
		if (*end == '\0')
			break;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
	if (n != 1 && n != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		g_slice[i] = v[n == 1 ? 0 : i];
	return 0;
}

/* One run; fills the five stages (data .. execution).  tag names its
 * files; rtprio: agents.<name>.rt_priority. */
static void run_mode(const char *mode, const char *tag, const char *idle, unsigned rtprio,
		     const char *journal, double speed, struct stage st[5], struct brk b[6])
{
	char conf[PATH_MAX / 2], name[48], json[PATH_MAX / 2];
	snprintf(name, sizeof(name), "dm_bench_%d_%s", (int)getpid(), tag);
	snprintf(conf, sizeof(conf), "%s/%s.yaml", g_tmp, tag);
	snprintf(json, sizeof(json), "%s/%s.json", g_tmp, tag);
	write_conf(conf, idle, rtprio, name);
	fprintf(stderr, "bench_agents: %s run (%s)...\n", mode, tag);
	if (t_system("'%s' -c '%s' --run-dir '%s/run-%s' start --input '%s' --pace realtime "
		     "--speed %.3f >'%s/start-%s.out' 2>&1", g_paths.dmctl, conf, g_tmp, tag,
		     journal, speed, g_tmp, tag) != 0)
		die("%s: dmctl start failed (see %s/start-%s.out)", mode, g_tmp, tag);
	/* wait for the replay to end (data.done), at most 120 s */
	char done[PATH_MAX];
	snprintf(done, sizeof(done), "%s/run-%s/data.done", g_tmp, tag);
	t_wait_file(done, 120);
	usleep(300000); /* the last orders through */
	int rc = t_system("PATH='%s':\"$PATH\" '%s/dm-shmdump' --name /%s --json >'%s' 2>/dev/null",
			  g_bindir, g_bindir, name, json);
	t_system("'%s' -c '%s' --run-dir '%s/run-%s' stop >/dev/null 2>&1", g_paths.dmctl, conf,
		 g_tmp, tag);
	if (!t_exists(done))
		die("%s: the replay did not finish in 120 s", mode);
	if (rc != 0)
		die("%s: dm-shmdump failed", mode);
	json_error_t err;
	json_t *root = json_load_file(json, 0, &err);
	if (!root)
		die("%s: %s", json, err.text);
	static const char *const names[5] = { "data", "feature", "ml", "coordinator",
					      "execution" };
	for (int i = 0; i < 5; i++) {
		st[i].agent = names[i];
		if (read_stage(root, &st[i]) < 0)
			die("%s: no latency for %s in the dump", mode, names[i]);
	}
	for (int i = 0; i < 6; i++)
		read_brk(root, brk_agents[i], &b[i]);
	json_decref(root);
}

/*
 * The futex chain: hops + 1 processes in a line over shm rings, each
 * asleep on its doorbell until the one before hands it a message (the
 * agents' own ring, doorbell and idle: backoff with nothing spun), at the
 * replay's event rate.  The first stamps CLOCK_REALTIME and pushes; the
 * last records now - stamp.  What an order path of that many sequential
 * hand-offs would cost if the agents did nothing but pass the message on:
 * the floor the six agents are compared with, measured in the same run.
 */
#define CHAIN_MAX 16
#define CHAIN_SLOT 128u
#define CHAIN_CAP 64u

struct chain_shm {
	struct doorbell bell[CHAIN_MAX + 1];
	struct hist lat;
	_Atomic int stop;
};

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct ring *chain_ring(uint8_t *base, uint32_t i)
{
	return (struct ring *)(void *)(base + (size_t)i * ring_memsize(CHAIN_CAP, CHAIN_SLOT));
}

/* Process i of the chain (1..hops): take from ring i-1, pass to ring i
 * (the last records). */
static void chain_member(struct chain_shm *c, uint8_t *rings, uint32_t i, uint32_t hops)
{
	struct ring *in = chain_ring(rings, i - 1), *out = i < hops ? chain_ring(rings, i) : NULL;
	struct doorbell *bell = &c->bell[i];
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		const uint64_t *m = ring_peek(in);
		if (!m) {
			uint32_t e = doorbell_prepare(bell);
			if ((m = ring_peek(in)) == NULL) {
				doorbell_wait(bell, e, 100000000);
				continue;
			}
			doorbell_cancel(bell);
		}
		uint64_t msg[2] = { m[0], m[1] };
		ring_commit(in, 1);
		if (out) {
			while (ring_try_push(out, msg, sizeof(msg)) != 0)
				sched_yield();
			doorbell_ring(&c->bell[i + 1]);
		} else {
			int64_t d = real_ns() - (int64_t)msg[0];
			hist_record(&c->lat, d > 0 ? (uint64_t)d : 0);
		}
	}
	_exit(0);
}

/* n messages through a chain of hops hand-offs, one every period_ns; its
 * p50/p99/p99.9 in us into *out (n = messages through).  rtprio > 0: every
 * process at SCHED_FIFO (when allowed). */
static void run_chain(uint32_t hops, long n, int64_t period_ns, unsigned rtprio,
		      struct stage *out)
{
	size_t rsz = ring_memsize(CHAIN_CAP, CHAIN_SLOT);
	size_t len = sizeof(struct chain_shm) + (size_t)hops * rsz + DM_CACHELINE;
	uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("chain: mmap: %s", strerror(errno));
	struct chain_shm *c = (struct chain_shm *)(void *)mem;
	uint8_t *rings = mem + ((sizeof(*c) + DM_CACHELINE - 1) & ~(size_t)(DM_CACHELINE - 1));
	for (uint32_t i = 0; i <= hops; i++)
		doorbell_init(&c->bell[i]);
	hist_init(&c->lat);
	for (uint32_t i = 0; i < hops; i++)
		if (ring_init(chain_ring(rings, i), "chain", CHAIN_CAP, CHAIN_SLOT, RING_BLOCK) != 0)
			die("chain: ring_init");
	struct sched_param sp = { .sched_priority = (int)rtprio };
	pid_t kids[CHAIN_MAX];
	for (uint32_t i = 1; i <= hops; i++) {
		pid_t p = fork();
		if (p < 0)
			die("chain: fork: %s", strerror(errno));
		if (p == 0) {
			if (rtprio)
				sched_setscheduler(0, SCHED_FIFO, &sp);
			chain_member(c, rings, i, hops);
		}
		kids[i - 1] = p;
	}
	usleep(200000); /* every member asleep on its bell */
	struct ring *first = chain_ring(rings, 0);
	int64_t next = real_ns();
	for (long k = 0; k < n; k++) {
		next += period_ns;
		int64_t now;
		while ((now = real_ns()) < next)
			usleep((useconds_t)((next - now) / 1000 > 1 ? (next - now) / 1000 : 1));
		uint64_t msg[2] = { (uint64_t)real_ns(), (uint64_t)k };
		while (ring_try_push(first, msg, sizeof(msg)) != 0)
			sched_yield();
		doorbell_ring(&c->bell[1]);
	}
	usleep(200000); /* the last through */
	atomic_store(&c->stop, 1);
	for (uint32_t i = 0; i <= hops; i++) {
		atomic_fetch_add(&c->bell[i].epoch, 1);
		doorbell__wake(&c->bell[i]);
	}
	for (uint32_t i = 0; i < hops; i++) {
		int st;
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st))
			die("chain: member %u did not end cleanly", i + 1);
	}
	out->agent = "chain";
	out->n = (long long)hist__load(&c->lat.count);
	out->p50 = hist_quantile(&c->lat, 0.50) / 1e3;
	out->p99 = hist_quantile(&c->lat, 0.99) / 1e3;
	out->p999 = hist_quantile(&c->lat, 0.999) / 1e3;
	out->max = (double)hist__load(&c->lat.max) / 1e3;
	munmap(mem, len);
	if (out->n < n)
		die("chain: %lld of %ld messages through", out->n, n);
}

/* 1 if this process may run a child at SCHED_FIFO priority prio (tried in
 * a child, which then exits: this process keeps its own class). */
static int fifo_allowed(unsigned prio)
{
	pid_t p = fork();
	if (p == 0) {
		struct sched_param sp = { .sched_priority = (int)prio };
		_exit(sched_setscheduler(0, SCHED_FIFO, &sp) == 0 ? 0 : 1);
	}
	int st = 0;
	return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The tail's two ratio rows of one spin-then-sleep run. */
static void tail_rows(const char *what, const struct stage *ex)
{
	char fig[64];
	snprintf(fig, sizeof(fig), "p99 / p50, %s", what);
	row(fig, ex->p50 > 0 ? ex->p99 / ex->p50 : 0, "x", GOAL_P99_X, "goal <= %.0fx", GOAL_P99_X);
	snprintf(fig, sizeof(fig), "p99.9 / p50, %s", what);
	row(fig, ex->p50 > 0 ? ex->p999 / ex->p50 : 0, "x", GOAL_P999_X, "goal <= %.0fx",
	    GOAL_P999_X);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_agents [--events N] [--seconds S] [--spin N] [--yield N]\n"
		   "                    [--rt-priority N] [--chain-hops N] [--cpus A,B,C,D,E,F]\n"
		   "                    [--bindir DIR]\n"
		   "  tick-to-order latency through the six agents, spin and spin-then-sleep\n"
		   "  --events N    market events replayed (default 20000)\n"
		   "  --seconds S   wall time of each replay (default 10)\n"
		   "  --spin N      spin-then-sleep: polls before sleeping (default 0, the\n"
		   "                configuration's default; on 2 cores spinning steals the CPU\n"
		   "                the woken agent needs)\n"
		   "  --yield N     spin-then-sleep: sched_yield polls after spinning (default 0)\n"
		   "  --chain-hops N   the futex chain's hand-offs on the order path with the\n"
		   "                vote fanned out (default 5: data, feature, ml, a voter,\n"
		   "                coordinator, execution); a second chain has one more, the\n"
		   "                path with vote requests (ml, coordinator, a voter, coordinator)\n"
		   "  --rt-priority N  a third run, spin-then-sleep at SCHED_FIFO priority N\n"
		   "                (agents.<name>.rt_priority; default 10, 0 = no such run;\n"
		   "                needs root or CAP_SYS_NICE)\n"
		   "  --cpus LIST   pin the agents, one CPU each, in the order coordinator, data,\n"
		   "                feature, ml, execution, risk (agents.<name>.cpu in both runs'\n"
		   "                configurations): six isolated cores, docs/operations.md\n"
		   "                (default: not pinned)\n"
		   "  --slice US    agents.<name>.slice_us of every run, one value or six in\n"
		   "                the order of --cpus (0 = the kernel's slice; default: the\n"
		   "                configuration's)\n"
		   "  --voters LIST vote.voters of every run, comma-separated roles, with quorum 1\n"
		   "                (default: the configuration's, risk, execution, feature): what\n"
		   "                each voter costs the order path\n"
		   "  --bindir DIR  where dm-gen, dm-shmdump and the agents are (default\n"
		   "                <build>/bin beside this program)\n");
}

int main(int argc, char **argv)
{
	long events = 20000;
	double seconds = 10;
	unsigned rtprio = 10;
	unsigned hops = 5; /* data, feature, ml, a voter, coordinator, execution */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--events") && i + 1 < argc) {
			events = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = strtod(argv[++i], NULL);
		} else if (!strcmp(argv[i], "--spin") && i + 1 < argc) {
			g_spin = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--yield") && i + 1 < argc) {
			g_yield = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--chain-hops") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || v < 1 || v > CHAIN_MAX) {
				fprintf(stderr, "bench_agents: --chain-hops '%s': 1..%d\n", argv[i],
					CHAIN_MAX);
				return 2;
			}
			hops = (unsigned)v;
		} else if (!strcmp(argv[i], "--rt-priority") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || v < 0 || v > 99) {
				fprintf(stderr, "bench_agents: --rt-priority '%s': 0..99\n", argv[i]);
				return 2;
			}
			rtprio = (unsigned)v;
		} else if (!strcmp(argv[i], "--cpus") && i + 1 < argc) {
			if (parse_cpus(argv[++i]) < 0) {
				fprintf(stderr, "bench_agents: --cpus '%s': six CPU numbers 0..1023, "
					"comma-separated (coordinator,data,feature,ml,execution,risk)\n",
					argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--slice") && i + 1 < argc) {
			if (parse_slices(argv[++i]) < 0) {
				fprintf(stderr, "bench_agents: --slice '%s': one value or six, "
					"comma-separated (coordinator,data,feature,ml,execution,risk), "
					"each 0 or 100..100000\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--voters") && i + 1 < argc) {
			g_voters = argv[++i];
		} else if (!strcmp(argv[i], "--bindir") && i + 1 < argc) {
			snprintf(g_bindir, sizeof(g_bindir), "%s", argv[++i]);
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (events < 1000 || seconds <= 0) {
		usage(stderr);
		return 2;
	}
	t_paths_or_exit(&g_paths, "bench_agents");
	if (!g_bindir[0])
		snprintf(g_bindir, sizeof(g_bindir), "%s", g_paths.bin);
	snprintf(g_tmp, sizeof(g_tmp), "/tmp/dm_bench_agents.XXXXXX");
	if (!mkdtemp(g_tmp))
		die("mkdtemp: %s", strerror(errno));
	char journal[PATH_MAX / 2];
	snprintf(journal, sizeof(journal), "%s/market.journal", g_tmp);
	if (t_system("'%s/dm-gen' --seed 7 --events %ld --output '%s' >/dev/null 2>&1", g_bindir,
		     events, journal) != 0)
		die("dm-gen failed");
	double span_s = (double)span_ns(journal) / 1e9;
	double speed = span_s / seconds;
	if (speed < 0.001)
		speed = 0.001;

	struct stage sp[5], sl[5], sf[5], sq[5], sfq[5];
	struct brk bl[6], bf[6], bp[6], bq[6], bfq[6];
	int fifo = rtprio && fifo_allowed(rtprio);
	/* back to back: the vote by requests (vote.fanout false), then the
	 * default, the intents fanned out to the voters */
	g_fanout = 0;
	run_mode("spin-then-sleep, vote requests", "requests", "backoff", 0, journal, speed, sq,
		 bq);
	g_fanout = 1;
	run_mode("spin-then-sleep", "backoff", "backoff", 0, journal, speed, sl, bl);
	if (fifo) {
		g_fanout = 0;
		run_mode("spin-then-sleep, SCHED_FIFO, vote requests", "fifo-requests", "backoff",
			 rtprio, journal, speed, sfq, bfq);
		g_fanout = 1;
		run_mode("spin-then-sleep, SCHED_FIFO", "fifo", "backoff", rtprio, journal, speed, sf,
			 bf);
	}
	run_mode("spin", "spin", "spin", 0, journal, speed, sp, bp);
	/* the chain at the replay's event rate, 4000 messages (2 s at 2000/s) */
	struct stage ch, chq, chf;
	int64_t period = (int64_t)(seconds * 1e9 / (double)events);
	fprintf(stderr, "bench_agents: futex chains, %u and %u hand-offs...\n", hops, hops + 1);
	run_chain(hops, 4000, period, 0, &ch);
	run_chain(hops + 1, 4000, period, 0, &chq);
	if (fifo)
		run_chain(hops, 4000, period, rtprio, &chf);
	t_system("rm -rf '%s'", g_tmp);

	printf("tick-to-order: %ld events over %.0f s of market time replayed in %.0f s "
	       "(%.0f events/s), %lld orders timed (spin-then-sleep), %lld (spin)\n",
	       events, span_s, seconds, (double)events / seconds, sl[4].n, sp[4].n);
	printf("\nper stage, ingress to the agent's output, us (spin-then-sleep | spin):\n");
	printf("  %-12s %10s %10s %10s %10s | %10s %10s\n", "agent", "n", "p50", "p99",
	       "p99.9", "n", "p50");
	for (int i = 0; i < 5; i++)
		printf("  %-12s %10lld %10.1f %10.1f %10.1f | %10lld %10.1f\n", sl[i].agent,
		       sl[i].n, sl[i].p50, sl[i].p99, sl[i].p999, sp[i].n, sp[i].p50);
	print_brk("spin-then-sleep", bl);
	printf("\nper stage, spin-then-sleep with vote requests (vote.fanout false), us:\n");
	printf("  %-12s %10s %10s %10s %10s\n", "agent", "n", "p50", "p99", "p99.9");
	for (int i = 0; i < 5; i++)
		printf("  %-12s %10lld %10.1f %10.1f %10.1f\n", sq[i].agent, sq[i].n, sq[i].p50,
		       sq[i].p99, sq[i].p999);
	print_brk("spin-then-sleep with vote requests", bq);
	if (fifo) {
		char what[64];
		snprintf(what, sizeof(what), "spin-then-sleep at SCHED_FIFO priority %u", rtprio);
		print_brk(what, bf);
		printf("\nper stage, spin-then-sleep at SCHED_FIFO priority %u, us:\n", rtprio);
		printf("  %-12s %10s %10s %10s %10s\n", "agent", "n", "p50", "p99", "p99.9");
		for (int i = 0; i < 5; i++)
			printf("  %-12s %10lld %10.1f %10.1f %10.1f\n", sf[i].agent, sf[i].n,
			       sf[i].p50, sf[i].p99, sf[i].p999);
	}

	row("tick-to-order p50, spin-then-sleep", sl[4].p50, "us", GOAL_SLEEP_P50_US,
	    "goal < %.0f us (2 cores)", GOAL_SLEEP_P50_US);
	row("tick-to-order p99, spin-then-sleep", sl[4].p99, "us", 0, NULL);
	row("tick-to-order p99.9, spin-then-sleep", sl[4].p999, "us", 0, NULL);
	tail_rows("spin-then-sleep", &sl[4]);
	row("tick-to-order p50, vote requests", sq[4].p50, "us", 0, NULL);
	row("tick-to-order p99, vote requests", sq[4].p99, "us", 0, NULL);
	row("tick-to-order p50, fan-out / requests", sl[4].p50, "us", sq[4].p50,
	    "vote requests, run just before; goal <= 0.70x");
	char fig[64], base[64];
	snprintf(fig, sizeof(fig), "futex chain, %u hand-offs p50", hops);
	row(fig, ch.p50, "us", 0, NULL);
	snprintf(fig, sizeof(fig), "futex chain, %u hand-offs p99", hops);
	row(fig, ch.p99, "us", 0, NULL);
	snprintf(fig, sizeof(fig), "futex chain, %u hand-offs p50", hops + 1);
	row(fig, chq.p50, "us", 0, NULL);
	snprintf(base, sizeof(base), "chain p50 (%u hand-offs), goal <= 1.5x", hops);
	row("tick-to-order p50 / chain p50", sl[4].p50, "us", ch.p50, "%s", base);
	snprintf(base, sizeof(base), "chain p50 (%u hand-offs)", hops + 1);
	row("requests p50 / chain p50", sq[4].p50, "us", chq.p50, "%s", base);
	if (fifo) {
		row("tick-to-order p50, sleep + SCHED_FIFO", sf[4].p50, "us", sl[4].p50,
		    "spin-then-sleep, same run");
		row("tick-to-order p50, FIFO, vote requests", sfq[4].p50, "us", 0, NULL);
		row("FIFO: fan-out / requests p50", sf[4].p50, "us", sfq[4].p50,
		    "FIFO vote requests, run just before; goal <= 0.70x");
		row("tick-to-order p99, sleep + SCHED_FIFO", sf[4].p99, "us", sl[4].p99,
		    "spin-then-sleep, same run");
		row("tick-to-order p99.9, sleep + SCHED_FIFO", sf[4].p999, "us", sl[4].p999,
		    "spin-then-sleep, same run");
		tail_rows("sleep + SCHED_FIFO", &sf[4]);
		row("futex chain p50, SCHED_FIFO", chf.p50, "us", 0, NULL);
		row("futex chain p99, SCHED_FIFO", chf.p99, "us", 0, NULL);
		snprintf(base, sizeof(base), "FIFO chain p50 (%u hand-offs), goal <= 1.5x", hops);
		row("tick-to-order p50 / chain p50, FIFO", sf[4].p50, "us", chf.p50, "%s", base);
		(void)bfq;
	}
	row("tick-to-order p50, spin", sp[4].p50, "us", GOAL_SPIN_P50_US,
	    "goal < %.0f us (6 isolated cores)", GOAL_SPIN_P50_US);
	row("tick-to-order p99, spin", sp[4].p99, "us", 0, NULL);
	row("tick-to-order p99.9, spin", sp[4].p999, "us", 0, NULL);
	print_table();
	printf("\ngoal spin-then-sleep p50 < %.0f us on 2 cores: %s\n", GOAL_SLEEP_P50_US,
	       sl[4].n ? met(sl[4].p50 < GOAL_SLEEP_P50_US) : "NOT MET (no orders)");
	printf("goal p99 <= %.0fx p50, p99.9 <= %.0fx p50, spin-then-sleep: %s\n", GOAL_P99_X,
	       GOAL_P999_X, met(sl[4].p99 <= GOAL_P99_X * sl[4].p50 &&
				sl[4].p999 <= GOAL_P999_X * sl[4].p50));
	if (fifo)
		printf("the same at SCHED_FIFO priority %u: %s\n", rtprio,
		       met(sf[4].p99 <= GOAL_P99_X * sf[4].p50 &&
			   sf[4].p999 <= GOAL_P999_X * sf[4].p50));
	else if (rtprio)
		printf("no SCHED_FIFO run: this user may not set a real-time priority (root or "
		       "CAP_SYS_NICE)\n");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	printf("goal spin p50 < %.0f us: %s\n", GOAL_SPIN_P50_US,
	       ncpu >= 6 ? met(sp[4].p50 < GOAL_SPIN_P50_US)
			 : "not applicable here (needs six isolated cores; this machine has fewer)");
	if (g_cpu[0] >= 0)
		printf("agents pinned (--cpus): coordinator %d, data %d, feature %d, ml %d, "
		       "execution %d, risk %d\n", g_cpu[0], g_cpu[1], g_cpu[2], g_cpu[3], g_cpu[4],
		       g_cpu[5]);
	else if (ncpu >= 6)
		printf("agents not pinned: give --cpus with six isolated cores for the spin goal\n");
	return sl[4].n && sp[4].n && (!fifo || sf[4].n) ? 0 : 1;
}
