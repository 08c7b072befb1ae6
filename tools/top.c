/*
 * dm-top — a live 80x24 view of a running system, like top.
 *
 *   dm-top [--name SEG] [-c CONF] [--interval DURATION] [--once]
 *
 * Samples the segment (read-only, through segwatch: it follows the system
 * across a restart) and /proc/PID/stat of every agent each interval, and
 * draws the screen of tools/lib/top.h with plain ANSI escapes on the
 * terminal's alternate screen.  CPU% is the agent's utime + stime over
 * the interval (100 = one core); messages per second come from the
 * registry's counters' deltas.  Keys: q quit, p pause, s cycle the sort,
 * r reverse it, + / - slower / faster, space sample now.  The terminal is
 * restored on quit, on SIGINT, SIGTERM and SIGHUP, and around a ^Z.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/msg/msg.h"
#include "shm/seg.h"
#include "tools/lib/segwatch.h"
#include "tools/lib/top.h"

#define INTERVAL_MIN_NS 100000000ll        /* 100 ms */
#define INTERVAL_MAX_NS 3600000000000ll    /* 1 h */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dm-top [--name SEG] [-c CONF] [--interval DURATION] [--once]\n"
		"\n"
		"A live view of a running system in 80x24, like top: the system line\n"
		"(TRADING, HALTED and why, KILL SWITCH, DOWN; market time, position, P&L),\n"
		"one line per agent (state, pid, restarts, CPU%%, messages in and out per\n"
		"second, heartbeat age), ring and journal alarms, the last decisions with\n"
		"every vote.  Read-only; follows the system across a restart under the\n"
		"same segment name.\n"
		"\n"
		"Keys: q quit, p pause (the screen stays as it is), s next sort (slot, name,\n"
		"pid, cpu, msgs, heartbeat, restarts), r reverse the sort, + slower, - faster,\n"
		"space sample now.  ^C quits too.\n"
		"\n"
		"  -n, --name SEG         segment name (default $DM_SHM_NAME, else\n"
		"                         system.shm_name of CONF, else the configuration's)\n"
		"  -c, --config CONF      the configuration that names the segment\n"
		"  -i, --interval DURATION\n"
		"                         between samples (default 1s; 100ms..1h)\n"
		"      --once             print one screen as text (two samples an interval\n"
		"                         apart, for the rates) and exit; what a script or a\n"
		"                         stdout that is no terminal takes\n"
		"  -h, --help             this text\n"
		"      --version          the release and the layout words\n"
		"\n"
		"exit: 0 quit, 1 no segment (--once) or no terminal to draw on, 2 bad usage,\n"
		"a bad segment name, a segment of another build, or a configuration refused\n");
}

/* ------------------------------------------------------------ sampling */

/* What the previous sample saw, for rates and deltas. */
struct prev {
	int      have;
	int64_t  mono_ns;
	uint64_t attaches;     /* segwatch's: another segment resets the rest */
	struct {
		int32_t  pid;
		int      cpu_ok;
		uint64_t cpu, start, in, out;
	} agent[TOP_MAX_AGENTS];
	uint64_t full[SEG_MAX_RINGS], dropped[SEG_MAX_RINGS];
};

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* utime + stime and start time of pid from /proc: 0, or -1 */
static int proc_cpu(int32_t pid, uint64_t *cpu, uint64_t *start)
{
	char path[64], text[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	return top_parse_stat(text, cpu, start) == 0 ? 0 : -1;
}

/* src cut to fit dst (n bytes) */
static void copy(char *dst, size_t n, const char *src)
{
	size_t k = src ? strnlen(src, n - 1) : 0;
	memcpy(dst, src ? src : "", k);
	dst[k] = '\0';
}

static int64_t ji(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static const char *js(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static void agents_of(const struct seg *s, struct top_frame *f, struct prev *p,
		      struct prev *next, double dt_s, long tck)
{
	f->n_agents = s->hdr->n_agents < TOP_MAX_AGENTS ? s->hdr->n_agents : TOP_MAX_AGENTS;
	for (uint32_t i = 0; i < f->n_agents; i++) {
		struct agent_slot *a = seg_agent(s, i);
		struct top_agent *t = &f->agent[i];
		t->slot = i;
		snprintf(t->name, sizeof(t->name), "%.*s", AGENT_NAME_MAX, a->name);
		copy(t->state, sizeof(t->state), agent_state_name(atomic_load(&a->state)));
		t->pid = atomic_load(&a->pid);
		t->restarts = atomic_load(&a->restarts);
		int64_t hb = atomic_load(&a->heartbeat_ns);
		t->hb_age_ns = hb > 0 ? (f->now_ns > hb ? f->now_ns - hb : 0) : -1;
		uint64_t in = atomic_load(&a->ctr.msgs_in), out = atomic_load(&a->ctr.msgs_out);
		uint64_t cpu = 0, start = 0;
		int cpu_ok = t->pid > 0 && proc_cpu(t->pid, &cpu, &start) == 0;
		t->cpu_pct = t->in_per_s = t->out_per_s = -1;
		if (p->have) {
			/* the same process as before, else its ticks are another's */
			if (cpu_ok && p->agent[i].cpu_ok && p->agent[i].pid == t->pid &&
			    p->agent[i].start == start)
				t->cpu_pct = top_cpu_pct(p->agent[i].cpu, cpu, tck, dt_s);
			t->in_per_s = top_rate(p->agent[i].in, in, dt_s);
			t->out_per_s = top_rate(p->agent[i].out, out, dt_s);
		}
		next->agent[i].pid = t->pid;
		next->agent[i].cpu_ok = cpu_ok;
		next->agent[i].cpu = cpu;
		next->agent[i].start = start;
		next->agent[i].in = in;
		next->agent[i].out = out;
	}
}

static void add_alarm_text(struct top_frame *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_alarm_text(struct top_frame *f, const char *fmt, ...)
{
	if (f->n_alarms >= TOP_MAX_ALARMS)
		return;
	struct top_alarm *a = &f->alarm[f->n_alarms++];
	memset(a, 0, sizeof(*a));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->text, sizeof(a->text), fmt, ap);
	va_end(ap);
}

/* a ring is an alarm when half full or more, or when it refused a push
 * or conflated a message since the previous sample */
static void rings_of(const struct seg *s, struct top_frame *f, struct prev *p, struct prev *next)
{
	for (uint32_t i = 0; i < s->hdr->n_rings && i < SEG_MAX_RINGS; i++) {
		struct ring_stats st;
		ring_stats(seg_ring(s, i), &st);
		uint64_t fill = st.head > st.tail ? st.head - st.tail : 0;
		uint64_t cap = s->hdr->ring[i].capacity;
		uint64_t full = p->have && st.full >= p->full[i] ? st.full - p->full[i] : 0;
		uint64_t drop = p->have && st.dropped >= p->dropped[i] ? st.dropped - p->dropped[i] : 0;
		next->full[i] = st.full;
		next->dropped[i] = st.dropped;
		if ((fill * 2 < cap && !full && !drop) || f->n_alarms >= TOP_MAX_ALARMS)
			continue;
		struct top_alarm *a = &f->alarm[f->n_alarms++];
		memset(a, 0, sizeof(*a));
		a->ring = 1;
		snprintf(a->name, sizeof(a->name), "%.*s", RING_NAME_MAX, s->hdr->ring[i].name);
		a->fill = fill;
		a->capacity = cap;
		a->full_delta = full;
		a->dropped_delta = drop;
	}
}

static void decisions_of(json_t *dump, struct top_frame *f)
{
	json_t *dec = json_object_get(dump, "decisions");
	size_t n = json_array_size(dec), k = n < TOP_MAX_DEC ? n : TOP_MAX_DEC;
	for (size_t i = n - k; i < n; i++) {
		json_t *d = json_array_get(dec, i), *votes = json_object_get(d, "votes"), *v;
		struct top_decision *t = &f->dec[f->n_dec++];
		t->id = (uint64_t)ji(d, "decision_id");
		copy(t->outcome, sizeof(t->outcome), js(d, "outcome"));
		copy(t->reason, sizeof(t->reason), js(d, "reason"));
		t->side = (int)ji(d, "side");
		t->qty = ji(d, "qty");
		t->px = ji(d, "px");
		t->decide_us = json_number_value(json_object_get(d, "decide_us"));
		size_t j;
		json_array_foreach(votes, j, v) {
			if (t->n_votes >= TOP_MAX_VOTES)
				break;
			struct top_vote *tv = &t->vote[t->n_votes++];
			copy(tv->voter, sizeof(tv->voter), js(v, "voter"));
			copy(tv->verdict, sizeof(tv->verdict), js(v, "verdict"));
			copy(tv->reason, sizeof(tv->reason), js(v, "reason"));
		}
	}
}

/* One sample into f (and p, for the next one). */
static void sample(struct segwatch *w, struct top_frame *f, struct prev *p)
{
	memset(f, 0, sizeof(*f));
	copy(f->seg, sizeof(f->seg), w->name);
	f->now_ns = clock_ns(CLOCK_REALTIME);
	int64_t mono = clock_ns(CLOCK_MONOTONIC);
	if (!segwatch_refresh(w)) {
		f->attached = 0;
		copy(f->why, sizeof(f->why), w->why[0] ? w->why : dm_strerror(w->err));
		p->have = 0;
		return;
	}
	if (w->attaches != p->attaches)
		p->have = 0; /* another run: its counters start afresh */
	static struct prev next;
	memset(&next, 0, sizeof(next));
	const struct seg *s = &w->seg;
	f->attached = 1;
	double dt = (double)(mono - p->mono_ns) / 1e9;
	agents_of(s, f, p, &next, dt, sysconf(_SC_CLK_TCK));

	json_t *sys = rt_system_json(s), *dump = rt_dump_json(s);
	copy(f->state, sizeof(f->state), js(sys, "state"));
	copy(f->reason, sizeof(f->reason), js(sys, "reason"));
	copy(f->symbol, sizeof(f->symbol), js(sys, "symbol"));
	copy(f->currency, sizeof(f->currency), js(sys, "currency"));
	f->position = ji(sys, "position");
	f->net = json_number_value(json_object_get(sys, "net"));
	f->realized = json_number_value(json_object_get(sys, "realized"));
	f->unrealized = json_number_value(json_object_get(sys, "unrealized"));
	f->fees = json_number_value(json_object_get(sys, "fees"));
	json_t *ag = json_object_get(dump, "agents");
	json_t *data = json_object_get(ag, "data"), *coord = json_object_get(ag, "coordinator");
	json_t *ex = json_object_get(ag, "execution");
	f->events = (uint64_t)ji(data, "events");
	f->market_ns = ji(data, "market_time_ns");
	f->decisions = (uint64_t)ji(coord, "decisions");
	f->released = (uint64_t)ji(coord, "released");
	f->blocked = (uint64_t)ji(coord, "blocked");
	f->orders = (uint64_t)ji(ex, "orders");
	f->fills = (uint64_t)ji(json_object_get(ex, "venue"), "fills");
	size_t i;
	json_t *al;
	json_array_foreach(json_object_get(dump, "alarms"), i, al)
		add_alarm_text(f, "journal of %s (%s) cannot write: %s", js(al, "agent"),
			       js(al, "file"), js(al, "error"));
	rings_of(s, f, p, &next);
	decisions_of(dump, f);
	json_decref(dump);
	json_decref(sys);

	next.have = 1;
	next.mono_ns = mono;
	next.attaches = w->attaches;
	*p = next;
}

/* ------------------------------------------------------------ the terminal */

static volatile sig_atomic_t g_stop, g_suspend;
static struct termios g_saved;
static int g_raw;     /* the terminal is ours: raw keys, alternate screen */

static void on_stop(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void on_tstp(int sig)
{
	(void)sig;
	g_suspend = 1;
}

static void put_all(const char *s, size_t n)
{
	while (n) {
		ssize_t k = write(STDOUT_FILENO, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

static void put_str(const char *s)
{
	put_all(s, strlen(s));
}

static void term_restore(void)
{
	if (!g_raw)
		return;
	/* cursor back, attributes off, leave the alternate screen */
	put_str("\033[0m\033[?25h\033[?1049l");
	if (isatty(STDIN_FILENO))
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved);
	g_raw = 0;
}

/* keys one at a time, no echo; signals (^C, ^Z) still work */
static int term_setup(void)
{
	if (isatty(STDIN_FILENO)) {
		if (tcgetattr(STDIN_FILENO, &g_saved) < 0)
			return -1;
		struct termios t = g_saved;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
			return -1;
	}
	g_raw = 1;
	put_str("\033[?1049h\033[?25l\033[H\033[2J");
	return 0;
}

/* The screen at the top left: each line cleared to its end unless it
 * fills the row (an erase at the last column would take its character),
 * no newline after the last (it would scroll a 24-row terminal). */
static void draw(const char *screen)
{
	char out[TOP_SCREEN_MAX * 2 + 64];
	size_t n = 0;
	n += (size_t)snprintf(out, sizeof(out), "\033[H");
	const char *l = screen;
	while (*l) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		memcpy(out + n, l, len);
		n += len;
		if (len < TOP_COLS) {
			memcpy(out + n, "\033[K", 3);
			n += 3;
		}
		if (!e || !e[1])
			break;
		memcpy(out + n, "\r\n", 2);
		n += 2;
		l = e + 1;
	}
	put_all(out, n);
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	enum { O_ONCE = 0x200 };
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, O_ONCE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	cli_set_prog("dm-top");
	opterr = 0;
	const char *name = NULL, *conf = NULL;
	int once = 0, c;
	int64_t interval = 1000000000;
	while ((c = getopt_long(argc, argv, ":n:c:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'i':
			if (cli_parse_duration_ns(optarg, &interval) != 0 ||
			    interval < INTERVAL_MIN_NS || interval > INTERVAL_MAX_NS)
				return cli_usage_error("--interval '%s': a duration with its unit, "
						       "100ms..1h (500ms, 2s)", optarg);
			break;
		case O_ONCE:
			once = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return cli_version();
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!once && !isatty(STDOUT_FILENO))
		return cli_fail(1, "standard output is not a terminal: --once prints one screen "
				"as text");

	static struct rt_config cfg;
	char err[512];
	const char *from;
	if (topology_seg_name_load(&cfg, conf, &name, &from, err, sizeof(err)) != 0)
		return cli_fail(2, "%s", err);
	static struct segwatch w;
	if (segwatch_init(&w, name, msg_layout_hash()) != 0)
		return cli_fail(2, "%s (from %s)", w.why, from);

	static struct prev p;
	static struct top_frame f, shown;
	struct top_view v = { .sort = TOP_SORT_SLOT, .interval_ns = interval };
	static char screen[TOP_SCREEN_MAX];
	sample(&w, &f, &p);
	/* a segment of another build is bad input, as in dm-shmdump */
	if (!f.attached && seg_bad_input(w.err))
		return cli_fail(2, "%s: %s: %s", name, dm_strerror(w.err), w.why);
	if (once) {
		if (!f.attached)
			return cli_fail(1, "%s: %s", name, f.why);
		struct timespec ts = { (time_t)(interval / 1000000000), (long)(interval % 1000000000) };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		sample(&w, &f, &p);
		shown = f;
		top_sort_agents(&shown, &v);
		top_render(&shown, &v, screen, sizeof(screen));
		fputs(screen, stdout);
		segwatch_close(&w);
		return 0;
	}

	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_tstp;
	sigaction(SIGTSTP, &sa, NULL);
	atexit(term_restore);
	if (term_setup() != 0)
		return cli_fail(1, "cannot set up the terminal: %s", strerror(errno));

	int64_t next = clock_ns(CLOCK_MONOTONIC) + interval;
	int keys_fd = STDIN_FILENO;
	while (!g_stop) {
		shown = f;
		top_sort_agents(&shown, &v);
		top_render(&shown, &v, screen, sizeof(screen));
		draw(screen);

		int64_t wait_ms = (next - clock_ns(CLOCK_MONOTONIC) + 999999) / 1000000;
		if (wait_ms < 0)
			wait_ms = 0;
		struct pollfd pfd = { .fd = keys_fd, .events = POLLIN };
		int r = poll(&pfd, 1, v.paused ? -1 : (int)wait_ms);
		if (g_stop)
			break;
		if (g_suspend) {
			/* ^Z: give the terminal back, stop, take it again */
			g_suspend = 0;
			term_restore();
			signal(SIGTSTP, SIG_DFL);
			raise(SIGTSTP);
			sigaction(SIGTSTP, &sa, NULL);
			if (term_setup() != 0)
				break;
			continue;
		}
		int now_sample = 0;
		if (r > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
			char keys[32];
			ssize_t n = read(keys_fd, keys, sizeof(keys));
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				keys_fd = -1; /* no more keys: the screen goes on */
			for (ssize_t k = 0; k < n; k++) {
				switch (keys[k]) {
				case 'q':
				case 'Q':
					g_stop = 1;
					break;
				case 'p':
				case 'P':
					v.paused = !v.paused;
					if (!v.paused)
						now_sample = 1;
					break;
				case 's':
				case 'S':
					v.sort = (enum top_sort)((v.sort + 1) % TOP_SORT_COUNT);
					break;
				case 'r':
				case 'R':
					v.reverse = !v.reverse;
					break;
				case '+':
					v.interval_ns = v.interval_ns * 2 > INTERVAL_MAX_NS ?
							INTERVAL_MAX_NS : v.interval_ns * 2;
					break;
				case '-':
					v.interval_ns = v.interval_ns / 2 < INTERVAL_MIN_NS ?
							INTERVAL_MIN_NS : v.interval_ns / 2;
					break;
				case ' ':
					now_sample = !v.paused;
					break;
				default:
					break;
				}
			}
		}
		int64_t now = clock_ns(CLOCK_MONOTONIC);
		if (!g_stop && !v.paused && (now_sample || now >= next)) {
			sample(&w, &f, &p);
			next = now + v.interval_ns;
		}
	}
	term_restore();
	segwatch_close(&w);
	return 0;
}
