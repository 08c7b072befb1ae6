/*
 * bench_ring.c — what one hand-off between two processes costs: the
 * cache-line floor, a pipe, an eventfd, and the shm ring in spin and
 * spin-then-sleep modes; then ring throughput.  Prints one table, each
 * figure beside the baseline it is compared with, and a goals section.
 *
 * Method.  Every two-party figure forks a child: the parent (A) is pinned
 * to CPU 0, the child (B) to CPU 1, and B says it is ready before A starts.
 * Round trips are timed on A only, one by one, with the TSC (lfence; rdtsc
 * ... rdtscp; lfence; about 20 ns per pair here, in every figure alike)
 * calibrated against CLOCK_MONOTONIC, and recorded in a struct hist
 * (libcore/hist/hist.h: reported values are bucket upper bounds, less than 1/32
 * above the truth).  Every run has an unrecorded warm-up; fork, pinning,
 * segment creation and first page faults are outside the timed loops.
 *
 * The floor and the four ring round trips run interleaved in one process
 * pair (see measure_rtts): on a virtual machine the distance between the
 * two vCPUs changes from one second to the next, and only figures taken
 * side by side can be divided by each other.  Pipe and eventfd are 40x
 * slower and run on their own.  Throughput is timed from the producer's
 * first timed push to the consumer's last pop (CLOCK_MONOTONIC in both
 * processes); each configuration runs --reps times, in turn with the
 * others, and the median run is shown.
 *
 * Message = ring slot: msg_hdr + payload filling slot_size - 8 bytes.  The
 * sender stamps seq in the header and in the message's last 8 bytes, the
 * receiver checks both, so every cache line of the message crosses and a
 * torn or lost message stops the run.
 *
 * Spin-then-sleep: a waiting consumer polls its ring --spin times, then
 * doorbell_prepare, re-checks, and doorbell_wait()s on the bell in its
 * registry slot; every producer push (or burst) is followed by
 * doorbell_ring().  The table's notes say how often anyone really slept.
 *
 * The segment is "/dmbench-<pid>"; it is unlinked right after creation
 * (the child inherits the mapping across fork), so no crash can leave the
 * name behind.
 *
 * Exit status: 0 whether or not the goals are met; 1 if a measurement
 * breaks (sequence error, child crash, time-out, cannot pin); 2 for bad
 * usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "libcore/hist/hist.h"
#include "shm/doorbell.h"
#include "libcore/msg/msg.h"
#include "shm/ring.h"
#include "shm/seg.h"
#include "tests/bench/bench_table.h"

#define CPU_A 0
#define CPU_B 1

#define GOAL_SPIN_VS_FLOOR 1.5   /* spin RTT p50 <= 1.5 x floor p50 */
#define GOAL_MSGS_PER_S    20e6  /* 64 B throughput */
#define GOAL_STS_VS_PIPE   5.0   /* spin-then-sleep RTT p50 5x below pipe p50 */
#define DESIGN_FLOOR_NS    140   /* docs: DESIGN.md, "Measured on this kind of machine" */

#define RTT_CAPACITY    1024
#define TPUT_CAPACITY   4096
#define BURST           32       /* producer claim/publish burst */
#define PEEK_MAX        256      /* consumer peek_burst limit */
#define WAIT_TIMEOUT_NS 100000000 /* doorbell_wait: re-check at least every 100 ms */

struct opts {
	uint64_t rtt;      /* round trips: floor, ring spin, ring spin-then-sleep */
	uint64_t slow_rtt; /* round trips: pipe, eventfd */
	uint64_t msgs;     /* messages per throughput run */
	uint32_t spin;     /* polls before a waiting consumer sleeps */
	uint32_t reps;     /* throughput runs per configuration; the median is shown */
};

/* ------------------------------------------------------------------ clock */

static double g_ns_per_tick = 1.0;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#if defined(__x86_64__)
/* the fences keep the timed work between the two reads */
static inline uint64_t clk_begin(void)
{
	_mm_lfence();
	uint64_t t = __rdtsc();
	_mm_lfence();
	return t;
}

static inline uint64_t clk_end(void)
{
	unsigned aux;
	uint64_t t = __rdtscp(&aux);
	_mm_lfence();
	return t;
}

static inline void cpu_relax(void)
{
#ifndef BENCH_NO_PAUSE
	_mm_pause();
#endif
}
#else
static inline uint64_t clk_begin(void) { return (uint64_t)mono_ns(); }
static inline uint64_t clk_end(void) { return (uint64_t)mono_ns(); }
static inline void cpu_relax(void) { }
#endif

static void clk_calibrate(void)
{
	int64_t t0 = mono_ns();
	uint64_t c0 = clk_begin();
	while (mono_ns() - t0 < 100000000)
		;
	uint64_t c1 = clk_end();
	int64_t t1 = mono_ns();
	if (c1 > c0)
		g_ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
}

static inline uint64_t ticks_ns(uint64_t d)
{
	return (uint64_t)((double)d * g_ns_per_tick + 0.5);
}

/* ------------------------------------------------------------ processes */

/* Set-up handshakes between A and B; the floor's line holds nothing else. */
struct ctl {
	_Alignas(DM_CACHELINE) _Atomic uint64_t ping; /* floor: A writes odd, B even */
	_Alignas(DM_CACHELINE) _Atomic uint32_t ready; /* B: pinned, about to loop */
	_Atomic uint32_t warm_done;                   /* A: warm-up messages received */
	_Alignas(DM_CACHELINE) _Atomic int64_t start_ns; /* B: first timed push */
};

static struct ctl *g_ctl;
static struct hist g_hist;
static char g_seg_name[SEG_NAME_MAX];
static const char *volatile g_stage = "set-up";
static int64_t g_t0_ns;

static void on_alarm(int sig)
{
	(void)sig;
	static const char a[] = "bench_ring: time-out in ";
	const char *s = g_stage;
	ssize_t rc = write(2, a, sizeof(a) - 1);
	rc = write(2, s, strlen(s));
	rc = write(2, "; giving up\n", 12);
	(void)rc;
	_exit(1);
}

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "bench_ring: %s: ", g_stage);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* A watchdog for one run of count steps; it only fires on a hang. */
static void watchdog(const char *name, uint64_t count)
{
	g_stage = name;
	alarm((unsigned)(60 + count / 2000));
}

/* One stage: a progress line on stderr. */
static void stage(const char *name, uint64_t count)
{
	fprintf(stderr, "[%5.1fs] %s (%" PRIu64 ")\n",
		(double)(mono_ns() - g_t0_ns) / 1e9, name, count);
	watchdog(name, count);
}

static int pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static uint64_t warm_of(uint64_t n)
{
	return n / 10 > 10000 ? n / 10 : 10000;
}

typedef int (*child_fn)(const void *arg);

/* Fork B on CPU_B running fn(arg); returns its pid once it is ready, or -1. */
static pid_t spawn(child_fn fn, const void *arg)
{
	atomic_store(&g_ctl->ready, 0);
	atomic_store(&g_ctl->warm_done, 0);
	atomic_store(&g_ctl->start_ns, 0);
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		alarm(0);
		int rc = pin(CPU_B);
		if (rc) {
			fail("cannot pin the child to CPU %d: %s (needs 2 CPUs)", CPU_B,
			     strerror(-rc));
			_exit(1);
		}
		atomic_store_explicit(&g_ctl->ready, 1, memory_order_release);
		_exit(fn(arg) ? 1 : 0);
	}
	while (!atomic_load_explicit(&g_ctl->ready, memory_order_acquire)) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fail("child exited during set-up");
			return -1;
		}
		sched_yield();
	}
	return pid;
}

/* Wait for B; 0 if it exited with 0. */
static int reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			fail("waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		fail("child killed by %s", strsignal(WTERMSIG(st)));
	else
		fail("child exited with status %d", WEXITSTATUS(st));
	return -1;
}

/* ------------------------------------------------------------- results */

struct lat {
	uint64_t p50, p99, p999, max, n;
};

static void lat_take(struct lat *l, const struct hist *h)
{
	l->p50 = hist_quantile(h, 0.50);
	l->p99 = hist_quantile(h, 0.99);
	l->p999 = hist_quantile(h, 0.999);
	l->max = hist_max(h);
	l->n = hist_count(h);
}

/* ----------------------------------------------------------- messages */

/* a whole message of the largest slot measured: 128 - 8 bytes */
union bmsg {
	struct msg_hdr hdr;
	uint64_t w[15];
};

static void msg_fill(union bmsg *m, uint32_t len)
{
	memset(m, 0, sizeof(*m));
	for (uint32_t i = 0; i < sizeof(m->w) / 8; i++)
		m->w[i] = 0x0101010101010101ull * (i + 1);
	m->hdr.type = MSG_CONTROL;
	m->hdr.version = MSG_VERSION;
	m->hdr.size = len;
}

static inline void msg_stamp(void *m, uint32_t len, uint64_t seq)
{
	((struct msg_hdr *)m)->seq = seq;
	memcpy((uint8_t *)m + len - 8, &seq, 8);
}

static inline int msg_ok(const void *m, uint32_t len, uint64_t seq)
{
	uint64_t tail;
	memcpy(&tail, (const uint8_t *)m + len - 8, 8);
	return ((const struct msg_hdr *)m)->seq == seq && tail == seq;
}

/* ---------------------------------------------------------------- timer */

static int measure_timer(uint64_t n, struct lat *out)
{
	hist_init(&g_hist);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = clk_begin();
		uint64_t t1 = clk_end();
		hist_record(&g_hist, ticks_ns(t1 - t0));
	}
	lat_take(out, &g_hist);
	return 0;
}

/* ------------------------------------------------------ pipe and eventfd */

struct fdpp {
	int rd, wr;          /* B's ends */
	int close_b[2];      /* A's ends, closed in B (-1: none) */
	uint64_t total;
	size_t len;          /* 1 for a pipe, 8 for an eventfd */
};

static int xfer(int fd, void *buf, size_t len, int wr)
{
	for (;;) {
		ssize_t rc = wr ? write(fd, buf, len) : read(fd, buf, len);
		if (rc == (ssize_t)len)
			return 0;
		if (rc < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

static int fdpp_b(const void *arg)
{
	const struct fdpp *a = arg;
	for (int i = 0; i < 2; i++)
		if (a->close_b[i] >= 0)
			close(a->close_b[i]);
	uint64_t v = 1;
	for (uint64_t i = 0; i < a->total; i++) {
		if (xfer(a->rd, &v, a->len, 0) || (v = 1, xfer(a->wr, &v, a->len, 1))) {
			fail("child read/write: %s", strerror(errno));
			return 1;
		}
	}
	return 0;
}

/* A writes to wr_a, B answers on rd_a. */
static int fdpp_run(struct fdpp *b, int wr_a, int rd_a, uint64_t n, struct lat *out)
{
	uint64_t warm = warm_of(n);
	b->total = warm + n;
	pid_t pid = spawn(fdpp_b, b);
	if (pid < 0)
		return -1;
	hist_init(&g_hist);
	int rc = 0;
	uint64_t v = 1;
	for (uint64_t i = 0; i < b->total; i++) {
		uint64_t t0 = clk_begin();
		v = 1;
		if (xfer(wr_a, &v, b->len, 1) || xfer(rd_a, &v, b->len, 0)) {
			fail("read/write: %s", strerror(errno));
			rc = -1;
			break;
		}
		uint64_t t1 = clk_end();
		if (i >= warm)
			hist_record(&g_hist, ticks_ns(t1 - t0));
	}
	lat_take(out, &g_hist);
	if (rc)
		kill(pid, SIGKILL);
	return reap(pid) || rc ? -1 : 0;
}

static int measure_pipe(uint64_t n, struct lat *out)
{
	int ab[2], ba[2];
	if (pipe(ab) || pipe(ba)) {
		fail("pipe: %s", strerror(errno));
		return -1;
	}
	struct fdpp b = { .rd = ab[0], .wr = ba[1], .close_b = { ab[1], ba[0] }, .len = 1 };
	int rc = fdpp_run(&b, ab[1], ba[0], n, out);
	for (int i = 0; i < 2; i++) {
		close(ab[i]);
		close(ba[i]);
	}
	return rc;
}

static int measure_eventfd(uint64_t n, struct lat *out)
{
	int ab = eventfd(0, 0), ba = eventfd(0, 0);
	if (ab < 0 || ba < 0) {
		fail("eventfd: %s", strerror(errno));
		return -1;
	}
	struct fdpp b = { .rd = ab, .wr = ba, .close_b = { -1, -1 }, .len = 8 };
	int rc = fdpp_run(&b, ab, ba, n, out);
	close(ab);
	close(ba);
	return rc;
}

/* ------------------------------------------------------------ the ring */

enum { AG_A = 0, AG_B = 1 };

/*
 * A segment with agents a, b and, per slot size i, rings "ab<i>" (a -> b,
 * index 2i) and "ba<i>" (b -> a, index 2i + 1).  Unlinked at once: the
 * mapping lives on in this process and in the children it forks.
 */
static int bench_seg_open(struct seg *s, uint64_t capacity, const uint32_t *slot, uint32_t n)
{
	static const char *const names[][2] = { { "ab0", "ba0" }, { "ab1", "ba1" } };
	struct seg_spec sp = {
		.name = g_seg_name,
		.n_agents = 2,
		.agents = { "a", "b" },
		.n_rings = 2 * n,
	};
	for (uint32_t i = 0; i < n && i < 2; i++) {
		sp.ring[2 * i] = (struct seg_ring_spec){ names[i][0], AG_A, AG_B, capacity,
							 slot[i], RING_BLOCK };
		sp.ring[2 * i + 1] = (struct seg_ring_spec){ names[i][1], AG_B, AG_A, capacity,
							     slot[i], RING_BLOCK };
	}
	int rc = seg_create(s, &sp, real_ns());
	if (rc) {
		fail("seg_create %s: %s", g_seg_name, dm_strerror(rc));
		return -1;
	}
	rc = seg_unlink(g_seg_name);
	if (rc) {
		fail("seg_unlink %s: %s", g_seg_name, dm_strerror(rc));
		seg_close(s);
		return -1;
	}
	return 0;
}

/* Wait for the next message: spin, or spin a budget and then sleep on the bell. */
static inline const void *wait_msg(const struct ring *r, struct doorbell *bell,
				   int sleepy, uint32_t spin)
{
	for (;;) {
		for (uint32_t k = 0; !sleepy || k < spin; k++) {
			const void *m = ring_peek(r);
			if (m)
				return m;
			cpu_relax();
		}
		uint32_t e = doorbell_prepare(bell);
		const void *m = ring_peek(r);
		if (m) {
			doorbell_cancel(bell);
			return m;
		}
		doorbell_wait(bell, e, WAIT_TIMEOUT_NS);
	}
}

/* What the spin budget costs in time: polls of an empty ring, ns per poll. */
static double spin_poll_ns(void)
{
	static _Alignas(DM_CACHELINE) uint8_t mem[8192];
	struct ring *r = (struct ring *)(void *)mem;
	if (ring_memsize(16, 64) > sizeof(mem) || ring_init(r, "probe", 16, 64, RING_BLOCK))
		return 0;
	const uint32_t n = 200000;
	uint32_t got = 0;
	uint64_t t0 = clk_begin();
	for (uint32_t i = 0; i < n; i++) {
		got += ring_peek(r) != NULL;
		cpu_relax();
	}
	uint64_t t1 = clk_end();
	return got ? 0 : (double)ticks_ns(t1 - t0) / n;
}

/* ------------------------------------- floor and ring RTT, interleaved */

/*
 * The floor and the four ring modes run in one pair of processes, in
 * blocks of BLOCK round trips taken in turn (floor, spin 64, spin 128,
 * sleep 64, sleep 128, floor, ...).  On a virtual machine the distance
 * between the two vCPUs changes while the bench runs (the floor here moves
 * between ~75 and ~500 ns from one second to the next); interleaving makes
 * such a change move every figure alike, so the ratios to the floor stay
 * meaningful.  The first rotation is the warm-up; the first BLOCK_SKIP
 * round trips of every block are not recorded either (the previous kind's
 * lines are still moving).
 */
#define BLOCK      5000
#define BLOCK_SKIP 50

enum kind { K_FLOOR, K_SPIN64, K_SPIN128, K_STS64, K_STS128, K_COUNT };

static const char *const kind_name[K_COUNT] = {
	[K_FLOOR] = "floor RTT",
	[K_SPIN64] = "ring RTT spin 64B",
	[K_SPIN128] = "ring RTT spin 128B",
	[K_STS64] = "ring RTT spin-then-sleep 64B",
	[K_STS128] = "ring RTT spin-then-sleep 128B",
};

static inline int kind_pair(int k)
{
	return (k - K_SPIN64) % 2;
}

static inline int kind_sleepy(int k)
{
	return k >= K_STS64;
}

/* one ring ping-pong: request ring, reply ring, both bells */
struct pp {
	struct ring *ab, *ba;
	struct doorbell *bell_a, *bell_b;
	uint32_t len;
	uint64_t seq; /* last sent (A) or answered (B) */
	union bmsg m; /* this side's outgoing message */
};

struct rtts {
	struct pp pp[2];    /* 64 B and 128 B slots */
	uint64_t rotations; /* the warm-up one included */
	uint32_t spin;
};

/* B: answer one request. */
static inline int pp_serve(struct pp *p, int sleepy, uint32_t spin)
{
	const void *q = wait_msg(p->ab, p->bell_b, sleepy, spin);
	p->seq++;
	if (DM_UNLIKELY(!msg_ok(q, p->len, p->seq))) {
		fail("child: request %" PRIu64 " torn or out of order", p->seq);
		return -1;
	}
	ring_commit(p->ab, 1);
	msg_stamp(&p->m, p->len, p->seq);
	if (DM_UNLIKELY(ring_try_push(p->ba, &p->m, p->len) != 0)) {
		fail("child: reply ring full in a ping-pong");
		return -1;
	}
	if (sleepy)
		doorbell_ring(p->bell_a);
	return 0;
}

/* A: one timed round trip; ticks, or -1. */
static inline int64_t pp_ask(struct pp *p, int sleepy, uint32_t spin)
{
	p->seq++;
	msg_stamp(&p->m, p->len, p->seq);
	uint64_t t0 = clk_begin();
	if (DM_UNLIKELY(ring_try_push(p->ab, &p->m, p->len) != 0)) {
		fail("request ring full in a ping-pong");
		return -1;
	}
	if (sleepy)
		doorbell_ring(p->bell_b);
	const void *r = wait_msg(p->ba, p->bell_a, sleepy, spin);
	uint64_t t1 = clk_end();
	if (DM_UNLIKELY(!msg_ok(r, p->len, p->seq))) {
		fail("reply %" PRIu64 " torn or out of order", p->seq);
		return -1;
	}
	ring_commit(p->ba, 1);
	return (int64_t)(t1 - t0);
}

/* B: the floor's other half, one round trip (A writes odd, B the next even). */
static inline void floor_serve(_Atomic uint64_t *line, uint64_t *v)
{
	uint64_t odd = *v + 1;
	while (atomic_load_explicit(line, memory_order_acquire) != odd)
		cpu_relax();
	atomic_store_explicit(line, odd + 1, memory_order_release);
	*v = odd + 1;
}

static inline uint64_t floor_ask(_Atomic uint64_t *line, uint64_t *v)
{
	uint64_t odd = *v + 1;
	uint64_t t0 = clk_begin();
	atomic_store_explicit(line, odd, memory_order_release);
	while (atomic_load_explicit(line, memory_order_acquire) != odd + 1)
		cpu_relax();
	uint64_t t1 = clk_end();
	*v = odd + 1;
	return t1 - t0;
}

static int rtts_b(const void *arg)
{
	struct rtts x = *(const struct rtts *)arg;
	_Atomic uint64_t *line = &g_ctl->ping;
	uint64_t v = 0;
	for (uint64_t rot = 0; rot < x.rotations; rot++)
		for (int k = 0; k < K_COUNT; k++)
			for (uint32_t j = 0; j < BLOCK; j++) {
				if (k == K_FLOOR)
					floor_serve(line, &v);
				else if (pp_serve(&x.pp[kind_pair(k)], kind_sleepy(k), x.spin))
					return 1;
			}
	return 0;
}

struct sleeps {
	uint64_t sleeps, wakes;
};

static struct hist g_kh[K_COUNT];

static void bells_read(const struct pp *p, struct sleeps *z)
{
	z->sleeps = atomic_load(&p->bell_a->sleeps) + atomic_load(&p->bell_b->sleeps);
	z->wakes = atomic_load(&p->bell_a->wakes) + atomic_load(&p->bell_b->wakes);
}

/* n recorded round trips (at least) of every kind; zz: futex use per kind. */
static int measure_rtts(uint64_t n, uint32_t spin, struct lat out[K_COUNT],
			struct sleeps zz[K_COUNT])
{
	static const uint32_t slots[2] = { 64, 128 };
	struct seg s;
	if (bench_seg_open(&s, RTT_CAPACITY, slots, 2))
		return -1;
	static struct rtts x;
	memset(&x, 0, sizeof(x));
	for (int i = 0; i < 2; i++) {
		struct pp *p = &x.pp[i];
		p->ab = seg_ring(&s, 2 * i);
		p->ba = seg_ring(&s, 2 * i + 1);
		p->bell_a = &seg_agent(&s, AG_A)->bell;
		p->bell_b = &seg_agent(&s, AG_B)->bell;
		p->len = slots[i] - RING_SLOT_HDR;
		msg_fill(&p->m, p->len);
	}
	x.spin = spin;
	x.rotations = 1 + (n + BLOCK - BLOCK_SKIP - 1) / (BLOCK - BLOCK_SKIP);
	_Atomic uint64_t *line = &g_ctl->ping;
	atomic_store(line, 0);
	for (int k = 0; k < K_COUNT; k++) {
		hist_init(&g_kh[k]);
		zz[k] = (struct sleeps){ 0, 0 };
	}

	pid_t pid = spawn(rtts_b, &x);
	if (pid < 0) {
		seg_close(&s);
		return -1;
	}
	int rc = 0;
	uint64_t v = 0;
	for (uint64_t rot = 0; rot < x.rotations && !rc; rot++)
		for (int k = 0; k < K_COUNT && !rc; k++) {
			struct hist *h = &g_kh[k];
			struct pp *p = k == K_FLOOR ? NULL : &x.pp[kind_pair(k)];
			int sleepy = kind_sleepy(k);
			struct sleeps z0, z1;
			if (p)
				bells_read(p, &z0);
			for (uint32_t j = 0; j < BLOCK; j++) {
				int64_t d = p ? pp_ask(p, sleepy, spin) : (int64_t)floor_ask(line, &v);
				if (DM_UNLIKELY(d < 0)) {
					rc = -1;
					break;
				}
				if (rot > 0 && j >= BLOCK_SKIP)
					hist_record(h, ticks_ns((uint64_t)d));
			}
			if (p) {
				bells_read(p, &z1);
				zz[k].sleeps += z1.sleeps - z0.sleeps;
				zz[k].wakes += z1.wakes - z0.wakes;
			}
		}
	for (int k = 0; k < K_COUNT; k++)
		lat_take(&out[k], &g_kh[k]);
	if (rc)
		kill(pid, SIGKILL);
	if (reap(pid))
		rc = -1;
	seg_close(&s);
	return rc;
}

/* ----------------------------------------------------------- throughput */

enum tp_mode { TP_SPIN_PUSH, TP_SPIN_BURST, TP_STS_BURST };

static const char *const tp_mode_name[] = {
	[TP_SPIN_PUSH] = "spin, try_push",
	[TP_SPIN_BURST] = "spin, claim/publish",
	[TP_STS_BURST] = "spin-then-sleep",
};

struct tp {
	struct ring *r;
	struct doorbell *bell; /* the consumer's */
	uint64_t warm, n;
	uint32_t len;
	uint32_t spin;
	enum tp_mode mode;
};

/* Producer: messages with seq from+1 .. to. */
static void tp_produce(const struct tp *a, union bmsg *m, uint64_t from, uint64_t to)
{
	uint64_t seq = from;
	if (a->mode == TP_SPIN_PUSH) {
		while (seq < to) {
			msg_stamp(m, a->len, seq + 1);
			while (ring_try_push(a->r, m, a->len) != 0)
				cpu_relax();
			seq++;
		}
		return;
	}
	while (seq < to) {
		uint64_t pos;
		uint64_t want = to - seq < BURST ? to - seq : BURST;
		uint32_t k = ring_claim(a->r, (uint32_t)want, &pos);
		if (k == 0) {
			cpu_relax();
			continue;
		}
		for (uint32_t j = 0; j < k; j++) {
			msg_stamp(m, a->len, seq + j + 1);
			memcpy(ring_slot(a->r, pos + j), m, a->len);
		}
		ring_publish(a->r, k);
		if (a->mode == TP_STS_BURST)
			doorbell_ring(a->bell);
		seq += k;
	}
}

static int tp_b(const void *arg)
{
	const struct tp *a = arg;
	union bmsg m;
	msg_fill(&m, a->len);
	tp_produce(a, &m, 0, a->warm);
	while (!atomic_load_explicit(&g_ctl->warm_done, memory_order_acquire))
		cpu_relax();
	atomic_store_explicit(&g_ctl->start_ns, mono_ns(), memory_order_relaxed);
	tp_produce(a, &m, a->warm, a->warm + a->n);
	return 0;
}

/* Consumer: until *seq reaches upto; -1 on a torn or missing message. */
static int tp_consume(const struct tp *a, uint64_t *seq, uint64_t upto)
{
	uint64_t s = *seq;
	uint32_t idle = 0;
	int sleepy = a->mode == TP_STS_BURST;
	while (s < upto) {
		uint32_t k = ring_peek_burst(a->r, PEEK_MAX);
		if (k == 0) {
			if (!sleepy || ++idle < a->spin) {
				cpu_relax();
				continue;
			}
			idle = 0;
			uint32_t e = doorbell_prepare(a->bell);
			if (ring_peek_burst(a->r, 1)) {
				doorbell_cancel(a->bell);
				continue;
			}
			doorbell_wait(a->bell, e, WAIT_TIMEOUT_NS);
			continue;
		}
		idle = 0;
		for (uint32_t j = 0; j < k; j++)
			if (DM_UNLIKELY(!msg_ok(ring_at(a->r, j), a->len, s + j + 1))) {
				fail("message %" PRIu64 " torn or out of order", s + j + 1);
				*seq = s;
				return -1;
			}
		ring_commit(a->r, k);
		s += k;
	}
	*seq = s;
	return 0;
}

struct tp_result {
	double msgs_per_s;
	uint64_t full, sleeps, wakes;
};

static int measure_tput(uint32_t slot, enum tp_mode mode, uint64_t n, uint32_t spin,
			struct tp_result *out)
{
	struct seg s;
	if (bench_seg_open(&s, TPUT_CAPACITY, &slot, 1))
		return -1;
	struct tp a = {
		.r = seg_ring(&s, 0),
		.bell = &seg_agent(&s, AG_A)->bell,
		.warm = n / 10 < 1000000 ? (n / 10 > 100000 ? n / 10 : 100000) : 1000000,
		.n = n,
		.len = slot - RING_SLOT_HDR,
		.spin = spin,
		.mode = mode,
	};
	pid_t pid = spawn(tp_b, &a);
	if (pid < 0) {
		seg_close(&s);
		return -1;
	}
	uint64_t seq = 0;
	int rc = tp_consume(&a, &seq, a.warm);
	if (rc == 0) {
		atomic_store_explicit(&g_ctl->warm_done, 1, memory_order_release);
		rc = tp_consume(&a, &seq, a.warm + a.n);
	}
	int64_t end = mono_ns();
	if (rc)
		kill(pid, SIGKILL);
	if (reap(pid))
		rc = -1;
	int64_t start = atomic_load(&g_ctl->start_ns);
	out->msgs_per_s = rc == 0 && end > start ? (double)n * 1e9 / (double)(end - start) : 0;
	struct ring_stats st;
	ring_stats(a.r, &st);
	out->full = st.full;
	out->sleeps = atomic_load(&a.bell->sleeps);
	out->wakes = atomic_load(&a.bell->wakes);
	seg_close(&s);
	return rc;
}

#define TP_REPS_MAX 15

/* the run with the median rate (the lower middle one for an even count) */
static struct tp_result tp_median(const struct tp_result *r, uint32_t n)
{
	uint32_t best = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t below = 0, equal = 0;
		for (uint32_t j = 0; j < n; j++) {
			below += r[j].msgs_per_s < r[i].msgs_per_s;
			equal += r[j].msgs_per_s == r[i].msgs_per_s;
		}
		if (below <= (n - 1) / 2 && (n - 1) / 2 < below + equal)
			best = i;
	}
	return r[best];
}

/* --------------------------------------------------------------- table */
/* p50 / p99 / p99.9 rows of one latency, each beside its own baseline */
static void lat_rows(const char *what, const struct lat *l, const char *bname,
		     const struct lat *b)
{
	static const char *const qn[] = { "p50", "p99", "p99.9" };
	const uint64_t v[] = { l->p50, l->p99, l->p999 };
	const uint64_t bv[] = { b ? b->p50 : 0, b ? b->p99 : 0, b ? b->p999 : 0 };
	for (int i = 0; i < 3; i++) {
		char fig[56];
		snprintf(fig, sizeof(fig), "%s %s", what, qn[i]);
		if (b)
			row(fig, (double)v[i], "ns", (double)bv[i], "%s %s %" PRIu64 " ns",
			    bname, qn[i], bv[i]);
		else
			row(fig, (double)v[i], "ns", 0, NULL);
	}
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_ring [--rtt N] [--slow-rtt N] [--msgs N] [--reps N] [--spin N]\n"
		"\n"
		"Two processes pinned to CPU %d and CPU %d: cache-line floor, pipe,\n"
		"eventfd and shm-ring round trips (p50/p99/p99.9), then ring throughput.\n"
		"Prints one table and the goals; exits 0 whether or not goals are met.\n"
		"\n"
		"  --rtt N       round trips for the floor and the ring (default 1000000)\n"
		"  --slow-rtt N  round trips for pipe and eventfd (default 200000)\n"
		"  --msgs N      messages per throughput run (default 10000000)\n"
		"  --reps N      throughput runs per configuration, median shown (default 5)\n"
		"  --spin N      polls before a spin-then-sleep consumer sleeps (default 1000,\n"
		"                about 20 us where a pause takes 20 ns)\n"
		"  -h, --help    this text\n"
		"N takes a k or M suffix (200k, 10M).  Warm-ups, not recorded: one more\n"
		"rotation of the floor/ring blocks; 10%% (at least 10k) for pipe and\n"
		"eventfd; 10%% (100k..1M) before each throughput run.  About 30 s with\n"
		"the defaults on 2 cores.\n",
		CPU_A, CPU_B);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		uint64_t *dst = !strcmp(a, "--rtt") ? &o->rtt
			      : !strcmp(a, "--slow-rtt") ? &o->slow_rtt
			      : !strcmp(a, "--msgs") ? &o->msgs
			      : NULL;
		uint64_t v;
		if (!strcmp(a, "--spin") || !strcmp(a, "--reps")) {
			uint64_t lim = a[2] == 's' ? UINT32_MAX : TP_REPS_MAX;
			if (i + 1 >= argc || parse_count(argv[++i], &v) || v > lim) {
				fprintf(stderr, "bench_ring: %s needs a count 1..%" PRIu64 "\n", a, lim);
				return -1;
			}
			*(a[2] == 's' ? &o->spin : &o->reps) = (uint32_t)v;
			continue;
		}
		if (!dst) {
			fprintf(stderr, "bench_ring: unknown option '%s' (try --help)\n", a);
			return -1;
		}
		if (i + 1 >= argc || parse_count(argv[++i], dst)) {
			fprintf(stderr, "bench_ring: %s needs a positive count like 200000 or 200k\n", a);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .rtt = 1000000, .slow_rtt = 200000, .msgs = 10000000, .spin = 1000,
			  .reps = 5 };
	if (parse_opts(argc, argv, &o))
		return 2;
	g_t0_ns = mono_ns();
	signal(SIGALRM, on_alarm);

	int rc = pin(CPU_A);
	if (rc) {
		fprintf(stderr, "bench_ring: cannot pin to CPU %d: %s (needs 2 CPUs)\n", CPU_A,
			strerror(-rc));
		return 1;
	}
	clk_calibrate();
	g_ctl = mmap(NULL, sizeof(struct ctl), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_ctl == MAP_FAILED) {
		fprintf(stderr, "bench_ring: mmap: %s\n", strerror(errno));
		return 1;
	}
	snprintf(g_seg_name, sizeof(g_seg_name), "/dmbench-%d", (int)getpid());

	printf("bench_ring: 2 processes on CPU %d / CPU %d; TSC %.3f GHz; "
	       "rtt %" PRIu64 ", pipe/eventfd %" PRIu64 ", msgs %" PRIu64 ", spin %u polls\n",
	       CPU_A, CPU_B, 1.0 / g_ns_per_tick, o.rtt, o.slow_rtt, o.msgs, o.spin);
	fflush(stdout);

	struct lat timer, pip, efd, rt[K_COUNT];
	struct sleeps zz[K_COUNT];
	static struct tp_result tp[2][3][TP_REPS_MAX];
	struct tp_result tpm[2][3]; /* the median run of each */
	static const uint32_t slots[2] = { 64, 128 };
	char name[96];
	int bad = 0;

	stage("timer overhead", o.rtt);
	bad |= measure_timer(o.rtt, &timer);
	stage("floor + ring RTT, interleaved (each)", o.rtt);
	bad |= measure_rtts(o.rtt, o.spin, rt, zz);
	if (!bad) {
		stage("pipe ping-pong", o.slow_rtt);
		bad |= measure_pipe(o.slow_rtt, &pip);
	}
	if (!bad) {
		stage("eventfd ping-pong", o.slow_rtt);
		bad |= measure_eventfd(o.slow_rtt, &efd);
	}
	/* repetitions outermost: each configuration meets the machine at several times */
	if (!bad) {
		snprintf(name, sizeof(name), "ring throughput, 6 configurations x %u runs, messages each",
			 o.reps);
		stage(name, o.msgs);
	}
	for (uint32_t r = 0; r < o.reps && !bad; r++)
		for (int i = 0; i < 2 && !bad; i++)
			for (int m = 0; m < 3 && !bad; m++) {
				snprintf(name, sizeof(name), "ring throughput %uB %s, run %u/%u",
					 slots[i], tp_mode_name[m], r + 1, o.reps);
				watchdog(name, o.msgs);
				bad |= measure_tput(slots[i], (enum tp_mode)m, o.msgs, o.spin,
						    &tp[i][m][r]);
			}
	alarm(0);
	if (bad) {
		fprintf(stderr, "bench_ring: stopped: a measurement broke (see above)\n");
		return 1;
	}
	fprintf(stderr, "[%5.1fs] done\n", (double)(mono_ns() - g_t0_ns) / 1e9);
	for (int i = 0; i < 2; i++)
		for (int m = 0; m < 3; m++)
			tpm[i][m] = tp_median(tp[i][m], o.reps);

	const struct lat *flr = &rt[K_FLOOR];
	row("timer overhead (begin+end) p50", (double)timer.p50, "ns", 0, NULL);
	row("floor RTT p50", (double)flr->p50, "ns", DESIGN_FLOOR_NS,
	    "DESIGN.md floor p50 %d ns", DESIGN_FLOOR_NS);
	row("floor RTT p99", (double)flr->p99, "ns", 0, NULL);
	row("floor RTT p99.9", (double)flr->p999, "ns", 0, NULL);
	lat_rows("pipe RTT", &pip, "floor", flr);
	lat_rows("eventfd RTT", &efd, "pipe", &pip);
	for (int k = K_SPIN64; k <= K_SPIN128; k++)
		lat_rows(kind_name[k], &rt[k], "floor", flr);
	for (int k = K_STS64; k <= K_STS128; k++)
		lat_rows(kind_name[k], &rt[k], "pipe", &pip);
	for (int i = 0; i < 2; i++)
		for (int m = 0; m < 3; m++) {
			snprintf(name, sizeof(name), "ring tput %uB %s", slots[i], tp_mode_name[m]);
			row(name, tpm[i][m].msgs_per_s / 1e6, "M msg/s", GOAL_MSGS_PER_S / 1e6,
			    "goal %.0f M msg/s", GOAL_MSGS_PER_S / 1e6);
		}
	print_table();

	printf("\ngoals (never fail the build)\n");
	for (int k = K_SPIN64; k <= K_SPIN128; k++) {
		double lim = GOAL_SPIN_VS_FLOOR * (double)flr->p50;
		printf("  spin RTT p50 <= %.1fx floor p50, %4uB: %5" PRIu64 " ns vs %.1f x %" PRIu64
		       " = %.0f ns (%.2fx)  %s\n",
		       GOAL_SPIN_VS_FLOOR, slots[kind_pair(k)], rt[k].p50, GOAL_SPIN_VS_FLOOR,
		       flr->p50, lim, (double)rt[k].p50 / (double)flr->p50,
		       met((double)rt[k].p50 <= lim));
	}
	for (int m = 0; m < 3; m++)
		printf("  64B throughput >= %.0f M msg/s, %-20s %5.1f M msg/s  %s\n",
		       GOAL_MSGS_PER_S / 1e6, tp_mode_name[m], tpm[0][m].msgs_per_s / 1e6,
		       met(tpm[0][m].msgs_per_s >= GOAL_MSGS_PER_S));
	for (int k = K_STS64; k <= K_STS128; k++) {
		double x = rt[k].p50 ? (double)pip.p50 / (double)rt[k].p50 : 0;
		printf("  spin-then-sleep RTT p50 >= %.0fx below pipe p50, %4uB: %5" PRIu64
		       " ns vs pipe %" PRIu64 " ns (%.1fx lower)  %s\n",
		       GOAL_STS_VS_PIPE, slots[kind_pair(k)], rt[k].p50, pip.p50, x,
		       met(x >= GOAL_STS_VS_PIPE));
	}

	printf("\nnotes\n");
	printf("  floor and ring RTTs: one process pair, blocks of %d round trips in turn, "
	       "%" PRIu64 " recorded each;\n"
	       "  pipe/eventfd: %" PRIu64 " recorded (+ %" PRIu64 " warm-up).  Values are "
	       "histogram bucket upper bounds\n"
	       "  (< 1/32 high) and include one timer begin+end (first row).  "
	       "DESIGN.md expects floor 140 ns, ring 160 ns.\n",
	       BLOCK, flr->n, pip.n, warm_of(o.slow_rtt));
	printf("  max RTT: floor %" PRIu64 " ns, ring spin 64B %" PRIu64 " ns, 128B %" PRIu64
	       " ns, pipe %" PRIu64 " ns, eventfd %" PRIu64 " ns\n",
	       flr->max, rt[K_SPIN64].max, rt[K_SPIN128].max, pip.max, efd.max);
	printf("  spin-then-sleep: a waiting side polls %u times (~%.1f us here) before it sleeps\n",
	       o.spin, o.spin * spin_poll_ns() / 1000);
	for (int k = K_STS64; k <= K_STS128; k++)
		printf("  %s: %" PRIu64 " futex sleeps, %" PRIu64 " wakes\n",
		       kind_name[k], zz[k].sleeps, zz[k].wakes);
	for (int i = 0; i < 2; i++)
		for (int m = 0; m < 3; m++) {
			printf("  tput %3uB %-20s runs:", slots[i], tp_mode_name[m]);
			for (uint32_t r = 0; r < o.reps; r++)
				printf(" %.1f", tp[i][m][r].msgs_per_s / 1e6);
			printf(" M msg/s; median run: ring full %" PRIu64 " times, consumer slept %"
			       PRIu64 "\n", tpm[i][m].full, tpm[i][m].sleeps);
		}
	return 0;
}
