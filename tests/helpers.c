/* helpers.c — shared test helpers (helpers.h). */
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "libcore/journal/journal.h"
#include "libcore/market/event.h"
#include "tests/helpers.h"

char *t_seg_name(char *out, size_t n, const char *tag)
{
	static unsigned counter;
	snprintf(out, n, "/dmtest-%s-%d-%u", tag, (int)getpid(), counter++);
	return out;
}

uint64_t t_fnv1a(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void t_rng_seed(struct t_rng *g, uint64_t seed)
{
	g->s = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t t_rng_next(struct t_rng *g)
{
	uint64_t x = g->s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->s = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint64_t t_rng_below(struct t_rng *g, uint64_t n)
{
	return t_rng_next(g) % n;
}

int64_t t_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void t_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void t_spec_two_agents(struct seg_spec *sp, const char *name, uint64_t capacity,
		       uint32_t slot_size, enum ring_policy policy, uint64_t user_size)
{
	memset(sp, 0, sizeof(*sp));
	sp->name = name;
	sp->n_agents = 2;
	sp->agents[0] = "prod";
	sp->agents[1] = "cons";
	sp->n_rings = 1;
	sp->ring[0] = (struct seg_ring_spec){
		.name = "p2c", .producer = 0, .consumer = 1,
		.capacity = capacity, .slot_size = slot_size, .policy = policy,
	};
	sp->user_size = user_size;
	sp->app_layout = T_APP_LAYOUT;
}

uint64_t t_rings_fill(const struct seg *s)
{
	uint64_t fill = 0;
	for (uint32_t i = 0; i < s->hdr->n_rings; i++) {
		struct ring_stats st;
		ring_stats(seg_ring(s, i), &st);
		fill += st.head - st.tail + st.pending;
	}
	return fill;
}

#if defined(__SANITIZE_THREAD__)
/*
 * Criterion under TSan (Criterion issue #274, open): at start-up BoxFort
 * maps its inheritable arena at 0x200000000000 + rand_r() % 2^22 * 16 MiB,
 * probing at most a few addresses.  Nearly that whole range is TSan's
 * shadow or protected memory, so the test binary aborts with "Could not
 * initialize inheritable arena" before any test runs.  This rand_r, which
 * the executable's definition lets win over libc's, keeps every pick in
 * TSan's application range 0x550000000000-0x568000000000 (offsets
 * 0x350000-0x368000).  Only BoxFort calls rand_r in these binaries.
 */
int rand_r(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	unsigned x = (*seed >> 8) ^ (*seed << 3);
	return (int)(0x350100u + x % 0x17e00u);
}
#endif

FILE *t_open_wing22(void)
{
	char line[256];
	if (access(T_WING22_CSV, R_OK) != 0)
		cr_assert_fail("%s missing: the real-data check needs the bundled tests/data (run from the repository root)", T_WING22_CSV);
	FILE *f = popen("gzip -dc < " T_WING22_CSV, "r");
	if (!f)
		cr_assert_fail("cannot run gzip");
	cr_assert(fgets(line, sizeof(line), f), "%s is empty", T_WING22_CSV);
	cr_assert_str_eq(line, "open;high;low;close;volume\n");
	return f;
}

char t_tmp_dir[64];

/* The scratch directory of a test that ended without its .fini: a
 * cr_skip_test in the test's body skips the fixture's .fini, and the
 * directory would stay behind in /tmp.  Each test runs in its own
 * process, which exits after it (only that process removes it, not a
 * child it forked); DM_TEST_KEEP keeps it, as the fixtures do. */
static pid_t t_tmp_owner;       /* a child forked by the test inherits the handler */

/* rm -rf of the scratch directory: 0 or -1 */
static int t_tmp_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_tmp_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void t_tmp_at_exit(void)
{
	if (t_tmp_dir[0] && getpid() == t_tmp_owner && !getenv("DM_TEST_KEEP") &&
	    access(t_tmp_dir, F_OK) == 0 && t_tmp_remove() < 0)
		fprintf(stderr, "could not remove %s\n", t_tmp_dir);
}

void t_tmp_init(const char *prefix)
{
	static int registered;

	if (!registered && atexit(t_tmp_at_exit) == 0)
		registered = 1;
	t_tmp_owner = getpid();
	snprintf(t_tmp_dir, sizeof(t_tmp_dir), "/tmp/%s-XXXXXX", prefix);
	cr_assert_not_null(mkdtemp(t_tmp_dir), "mkdtemp %s: %s", t_tmp_dir, strerror(errno));
}

void t_tmp_cleanup(void)
{
	if (!t_tmp_dir[0])
		return;
	if (t_tmp_remove() < 0)
		cr_log_warn("could not remove %s", t_tmp_dir);
}

const char *t_tmp_path(const char *name)
{
	static char buf[8][256];
	static unsigned k;
	char *p = buf[k++ % 8];
	snprintf(p, 256, "%s/%s", t_tmp_dir, name);
	return p;
}

void t_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

int t_sh(char *out, size_t n, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	cr_assert(k > 0 && (size_t)k < sizeof(cmd) - 8, "command too long");
	strcat(cmd, " 2>&1");
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p, "popen %s", cmd);
	size_t len = 0, got;
	while (len + 1 < n && (got = fread(out + len, 1, n - 1 - len, p)) > 0)
		len += got;
	out[len] = '\0';
	char sink[4096];
	while (fread(sink, 1, sizeof(sink), p) > 0)
		;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

const char *t_bin_dir(void)
{
	static char dir[4200];
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert_gt(n, 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(dir, sizeof(dir), "%s/../bin", exe);
	return dir;
}

char *t_file_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	cr_assert_geq(n, 0);
	cr_assert_eq(fseek(f, 0, SEEK_SET), 0);
	char *b = malloc((size_t)n + 1);
	cr_assert_not_null(b);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

void t_write_win_journal(const char *path, uint32_t n, uint32_t levels, uint32_t pause_at,
			 int64_t pause_ns)
{
	struct journal_writer w;
	struct journal_opts o = { .symbol = "WIN", .tick_size = "5", .lot_size = "1",
				  .currency = "BRL", .point_value = 0.2, .snapshot_every = 1,
				  .flags = JOURNAL_W_NO_URING | JOURNAL_W_TRUNC };
	cr_assert(levels >= 1 && levels <= EV_MAX_LEVELS);
	cr_assert_eq(journal_open_write(&w, path, &o), 0, "%s", path);
	for (uint32_t i = 0; i < n; i++) {
		struct event ev;
		memset(&ev, 0, sizeof(ev));
		ev.exch_ns = ev.recv_ns = 1641211200000000000ll + (int64_t)i * 1000000 +
					  (pause_ns && i >= pause_at ? pause_ns : 0);
		int64_t mid = 26000 + (int64_t)((i / 50) % 7); /* ticks: 130000 points */
		if (i % 10 == 9) {
			ev.kind = EV_TRADE;
			ev.trade.px = mid;
			ev.trade.qty = 1;
			ev.trade.aggressor = (i / 10) % 2 ? 1 : -1;
		} else {
			ev.kind = EV_BOOK;
			ev.book.n_bid = ev.book.n_ask = (uint16_t)levels;
			for (uint32_t j = 0; j < levels; j++) {
				ev.book.bid[j].px = mid - 1 - (int64_t)j;
				ev.book.bid[j].qty = 10 + j;
				ev.book.ask[j].px = mid + 1 + (int64_t)j;
				ev.book.ask[j].qty = 12 + j;
			}
		}
		cr_assert_eq(journal_append_event(&w, &ev), 0, "event %u", i);
	}
	cr_assert_eq(journal_close(&w), 0);
}

int64_t t_journal_record_off(const char *path, uint64_t k, uint32_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	int64_t off = 128;
	uint32_t n = 0;
	for (uint64_t i = 0;; i++) {
		cr_assert_eq(fseek(f, off, SEEK_SET), 0);
		cr_assert_eq(fread(&n, 4, 1, f), 1, "%s: no record %llu", path,
			     (unsigned long long)k);
		if (i == k)
			break;
		off += 24 + (((int64_t)n + 7) & ~(int64_t)7);
	}
	fclose(f);
	if (len)
		*len = n;
	return off;
}

int64_t t_journal_damage(const char *path, uint64_t k)
{
	uint32_t len;
	int64_t off = t_journal_record_off(path, k, &len);
	uint8_t buf[4096];
	cr_assert(len > 0 && len <= sizeof(buf));
	FILE *f = fopen(path, "r+b");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fseek(f, off + 24, SEEK_SET), 0);
	cr_assert_eq(fread(buf, 1, len, f), len);
	for (uint32_t i = 0; i < len; i++)
		buf[i] ^= 0xff;
	cr_assert_eq(fseek(f, off + 24, SEEK_SET), 0);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return off;
}

void *t_realloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	cr_assert_not_null(q, "realloc %zu bytes", n);
	return q;
}

void t_paths_or_fail(struct t_paths *p)
{
	int rc = t_paths_find(p);
	if (rc != 0 && !p->exe_dir[0])
		cr_assert_fail("cannot read /proc/self/exe: %s", strerror(-rc));
	if (rc != 0)
		cr_assert_fail("tools/dmctl not found above %s", p->exe_dir);
}

void t_expect_clean_logs(const char *dir)
{
	int rc = t_system("grep -l -E 'runtime error|Sanitizer|LeakSanitizer' '%s'/*.log >&2", dir);
	cr_expect_eq(rc, 1, "sanitizer reports in the agents' logs (see above)");
}
