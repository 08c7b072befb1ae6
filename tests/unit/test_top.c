/*
 * test_top.c — dm-top: its screen (tools/lib/top.h) and the program under
 * tmux on a running system.
 *
 *   screen     any frame, however wide its figures and odd its names, fits
 *              80x24 in printable ASCII with the help line last; alarms
 *              past their rows are counted; decisions newest first; a
 *              missing segment says so
 *   sort       every sort key against orders worked out by hand, unknown
 *              values last, ties in registry order, reversed
 *   rates      CPU% and messages per second from two samples
 *   /proc      utime + stime and the start time of a stat line whose
 *              command name holds spaces and parentheses
 *   tmux       dm-top in an 80x24 tmux pane on a six-agent run paced in
 *              real time: at most 24 lines of at most 80 columns, one line
 *              per agent with the pid, state and restarts dm-shmdump --tsv
 *              gives, the system line dm-shmdump --system gives, messages
 *              per second while the replay runs; p freezes the screen and
 *              unfreezes it, s sorts by name then pid, r reverses; q and
 *              SIGTERM both leave the terminal as they found it (normal
 *              screen, cursor shown, icanon and echo back on)
 *   usage      --help, bad options and intervals, no terminal without --once
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "tests/live.h"
#include "tools/lib/top.h"

static struct t_live live;
static char tmux_sock[64];

static void setup(void)
{
	t_live_init(&live, "top");
	snprintf(tmux_sock, sizeof(tmux_sock), "dmtest-top-%d", (int)getpid());
}

static void teardown(void)
{
	t_system("tmux -L '%s' kill-server >/dev/null 2>&1", tmux_sock);
	t_live_cleanup(&live);
}

TestSuite(top, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ helpers */

/* the lines of text (modified in place) into l[]; their count */
static int split_lines(char *text, char **l, int max)
{
	int n = 0;
	for (char *p = text; *p && n < max;) {
		char *e = strchr(p, '\n');
		l[n++] = p;
		if (!e)
			break;
		*e = '\0';
		p = e + 1;
	}
	return n;
}

/* at most 24 lines of at most 80 printable ASCII columns */
static void expect_fits(const char *screen)
{
	int rows = 0;
	for (const char *p = screen; *p; rows++) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		cr_expect_leq(len, 80, "line %d is %zu columns: %.*s", rows + 1, len, (int)len, p);
		for (size_t i = 0; i < len; i++)
			cr_expect(p[i] >= 0x20 && p[i] < 0x7f, "line %d: byte 0x%02x", rows + 1,
				  (unsigned char)p[i]);
		p = e ? e + 1 : p + len;
	}
	cr_expect_leq(rows, 24, "%d lines", rows);
}

/* src cut to dst's n bytes */
static void fill_name(char *dst, size_t n, const char *src)
{
	size_t k = strnlen(src, n - 1);
	memcpy(dst, src, k);
	dst[k] = '\0';
}

/* ------------------------------------------------------------ screen */

Test(top, render_fits_80x24_whatever_the_figures)
{
	static struct top_frame f;
	memset(&f, 0, sizeof(f));
	fill_name(f.seg, sizeof(f.seg), "/a-segment-name-that-is-quite-long-indeed-0123456789-abcdefgh");
	f.attached = 1;
	f.now_ns = 1700000000123456789ll;
	fill_name(f.state, sizeof(f.state), "HALTED");
	memset(f.reason, 'r', sizeof(f.reason) - 1);
	f.market_ns = 1641211215802535852ll;
	f.position = -9223372036854775807ll;
	fill_name(f.symbol, sizeof(f.symbol), "WINZ24WINZ24WIN");
	fill_name(f.currency, sizeof(f.currency), "BRLBRLB");
	f.net = -1e300;
	f.realized = 1e300;
	f.unrealized = -1e300;
	f.fees = 1e300;
	f.events = f.decisions = f.released = f.blocked = f.orders = f.fills = UINT64_MAX;
	f.n_agents = TOP_MAX_AGENTS;
	for (uint32_t i = 0; i < f.n_agents; i++) {
		struct top_agent *a = &f.agent[i];
		a->slot = i;
		fill_name(a->name, sizeof(a->name), "agent\033[2Jname\xff");
		fill_name(a->state, sizeof(a->state), "stoppingxxx");
		a->pid = 2147483647;
		a->restarts = UINT32_MAX;
		a->cpu_pct = 123456.0;
		a->in_per_s = 1e12;
		a->out_per_s = 1e300;
		a->hb_age_ns = INT64_MAX;
	}
	f.n_alarms = TOP_MAX_ALARMS;
	for (uint32_t i = 0; i < f.n_alarms; i++) {
		struct top_alarm *a = &f.alarm[i];
		a->ring = i % 2;
		memset(a->name, 'n', sizeof(a->name) - 1);
		a->fill = a->capacity = a->full_delta = a->dropped_delta = UINT64_MAX;
		memset(a->text, 't', sizeof(a->text) - 1);
	}
	f.n_dec = TOP_MAX_DEC;
	for (uint32_t i = 0; i < f.n_dec; i++) {
		struct top_decision *d = &f.dec[i];
		d->id = (UINT64_C(0xffffff) << 40) | (i + 1); /* #1 oldest ... #12 newest */
		fill_name(d->outcome, sizeof(d->outcome), "blockblockbl");
		memset(d->reason, 'x', sizeof(d->reason) - 1);
		d->qty = INT64_MIN;
		d->px = INT64_MAX;
		d->decide_us = 1e300;
		d->n_votes = TOP_MAX_VOTES;
		for (uint32_t k = 0; k < d->n_votes; k++) {
			fill_name(d->vote[k].voter, sizeof(d->vote[k].voter), "execution");
			fill_name(d->vote[k].verdict, sizeof(d->vote[k].verdict), "veto");
			memset(d->vote[k].reason, 'v', sizeof(d->vote[k].reason) - 1);
		}
	}
	struct top_view v = { .sort = TOP_SORT_RESTARTS, .reverse = 1, .paused = 1,
			      .interval_ns = 3600000000000ll };
	static char screen[TOP_SCREEN_MAX];
	cr_assert_eq(top_render(&f, &v, screen, sizeof(screen)), 24);
	expect_fits(screen);
	cr_expect_null(strchr(screen, '\033'), "an escape reached the screen");
	char *l[32];
	cr_assert_eq(split_lines(screen, l, 32), 24);
	cr_expect(strstr(l[0], "sort: restarts (reversed)  [PAUSED]  /a-segment"), "%s", l[0]);
	cr_expect(strncmp(l[23], "q quit", 6) == 0, "help line last: %s", l[23]);
	/* 8 agent lines after the header; 3 alarms shown, the rest counted */
	cr_expect(strncmp(l[5], "AGENT", 5) == 0, "%s", l[5]);
	for (int i = 6; i < 14; i++)
		cr_expect(strncmp(l[i], "agent?[2Jnam stoppingx", 22) == 0, "agent line %d: %s", i,
			  l[i]); /* the name cut at 12 columns, the escape shown as ? */
	cr_expect_str_eq(l[18], "ALARM ... and 13 more");
	/* the rows left take the newest decisions first */
	cr_expect(strncmp(l[19], "LAST DECISIONS", 14) == 0, "%s", l[19]);
	cr_expect(strncmp(l[20], "#12 ", 4) == 0, "%s", l[20]);
	cr_expect(strncmp(l[21], "#11 ", 4) == 0, "%s", l[21]);
	cr_expect(strncmp(l[22], "#10 ", 4) == 0, "%s", l[22]);
}

Test(top, render_of_a_quiet_frame_and_of_no_segment)
{
	static struct top_frame f;
	memset(&f, 0, sizeof(f));
	fill_name(f.seg, sizeof(f.seg), "/dm");
	f.attached = 1;
	f.now_ns = 1700000000000000000ll; /* 2023-11-14 22:13:20 UTC */
	fill_name(f.state, sizeof(f.state), "KILL_SWITCH");
	fill_name(f.reason, sizeof(f.reason), "latched until rearm");
	fill_name(f.symbol, sizeof(f.symbol), "WIN");
	fill_name(f.currency, sizeof(f.currency), "BRL");
	f.position = 3;
	f.net = -12.5;
	f.n_agents = 1;
	fill_name(f.agent[0].name, sizeof(f.agent[0].name), "risk");
	fill_name(f.agent[0].state, sizeof(f.agent[0].state), "running");
	f.agent[0].pid = 4242;
	f.agent[0].cpu_pct = 12.34;
	f.agent[0].in_per_s = 1500;
	f.agent[0].out_per_s = -1;
	f.agent[0].hb_age_ns = 45000000;
	struct top_view v = { .sort = TOP_SORT_SLOT, .interval_ns = 1000000000 };
	static char screen[TOP_SCREEN_MAX];
	cr_assert_eq(top_render(&f, &v, screen, sizeof(screen)), 24);
	expect_fits(screen);
	char *l[32];
	split_lines(screen, l, 32);
	cr_expect_str_eq(l[0], "dm-top  22:13:20 UTC  every 1.0s  sort: slot  /dm");
	cr_expect_str_eq(l[1], "KILL SWITCH (latched until rearm)  market -  position +3 WIN  "
			 "net -12.50 BRL");
	cr_expect_str_eq(l[6], "risk         running      4242    0   12.3     1500        -     "
			 "45ms");
	cr_expect_str_eq(l[8], "alarms: none");
	cr_expect_str_eq(l[10], "  none yet");

	f.attached = 0;
	fill_name(f.why, sizeof(f.why), "no such segment (is the system running?)");
	cr_assert_eq(top_render(&f, &v, screen, sizeof(screen)), 24);
	expect_fits(screen);
	split_lines(screen, l, 32);
	cr_expect_str_eq(l[1], "NO SEGMENT: no such segment (is the system running?)");
	cr_expect_null(strstr(l[6], "risk"), "no agent of a segment that is not there");
}

/* ------------------------------------------------------------ sort */

static void expect_order(struct top_frame *f, enum top_sort s, int reverse, const char *want)
{
	struct top_view v = { .sort = s, .reverse = reverse };
	struct top_frame g = *f;
	top_sort_agents(&g, &v);
	char got[128] = "";
	for (uint32_t i = 0; i < g.n_agents; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
			 g.agent[i].name);
	cr_expect_str_eq(got, want, "sort %s%s", top_sort_name(s), reverse ? " reversed" : "");
}

Test(top, sort_orders_agents_by_each_key)
{
	static struct top_frame f;
	memset(&f, 0, sizeof(f));
	static const struct top_agent a[] = {
		{ 0, "risk", "running", 300, 0, 5.0, 10, 0, 50000000 },
		{ 1, "coord", "running", 100, 2, -1, -1, -1, -1 },
		{ 2, "data", "running", 200, 1, 50.0, 0, 900, 10000000 },
		{ 3, "ml", "exited", 0, 0, 5.0, 1, 1, 2000000000 },
	};
	f.n_agents = 4;
	memcpy(f.agent, a, sizeof(a));
	expect_order(&f, TOP_SORT_SLOT, 0, "risk coord data ml");
	expect_order(&f, TOP_SORT_NAME, 0, "coord data ml risk");
	expect_order(&f, TOP_SORT_NAME, 1, "risk ml data coord");
	expect_order(&f, TOP_SORT_PID, 0, "coord data risk ml");       /* no pid last */
	expect_order(&f, TOP_SORT_CPU, 0, "data risk ml coord");       /* tie: slot order */
	expect_order(&f, TOP_SORT_CPU, 1, "risk ml data coord");       /* unknown still last */
	expect_order(&f, TOP_SORT_RATE, 0, "data risk ml coord");
	expect_order(&f, TOP_SORT_HB, 0, "ml risk data coord");        /* oldest first */
	expect_order(&f, TOP_SORT_RESTARTS, 0, "coord data risk ml");
	cr_expect_str_eq(top_sort_name(TOP_SORT_HB), "heartbeat");
	cr_expect_str_eq(top_sort_name(TOP_SORT_COUNT), "?");
}

/* ------------------------------------------------------------ /proc */

Test(top, parse_stat_counts_fields_after_the_last_parenthesis)
{
	/* fields: 1 pid, 2 (comm), 3 state, 4..13, 14 utime, 15 stime, 16..21,
	 * 22 starttime */
	const char *line = "4242 (dm (agent) x) S 1 2 3 4 5 6 7 8 9 10 1234 567 11 12 13 14 15 16 "
			   "987654 17 18\n";
	uint64_t cpu = 0, start = 0;
	cr_assert_eq(top_parse_stat(line, &cpu, &start), 0);
	cr_expect_eq(cpu, 1234 + 567);
	cr_expect_eq(start, 987654);
	cr_expect_eq(top_parse_stat("4242 (x) S 1 2 3", &cpu, &start), -EINVAL, "cut short");
	cr_expect_eq(top_parse_stat("no parenthesis", &cpu, &start), -EINVAL);
	cr_expect_eq(top_parse_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 1a 5 6 7 8 9 10 11 12\n", &cpu,
				    &start), -EINVAL, "not a number");
	/* this process: its own stat parses, and its start does not move */
	char self[1024];
	uint64_t c1, s1, c2, s2;
	cr_assert_eq(t_sh(self, sizeof(self), "cat /proc/%d/stat", (int)getpid()), 0);
	cr_assert_eq(top_parse_stat(self, &c1, &s1), 0, "%s", self);
	for (volatile int i = 0; i < 20000000; i++)
		; /* some CPU time */
	cr_assert_eq(t_sh(self, sizeof(self), "cat /proc/%d/stat", (int)getpid()), 0);
	cr_assert_eq(top_parse_stat(self, &c2, &s2), 0, "%s", self);
	cr_expect_eq(s1, s2);
	cr_expect_geq(c2, c1);
}

Test(top, rates_from_two_samples)
{
	/* 50 ticks of 10 ms in 0.5 s: one core, all the time */
	cr_expect_float_eq(top_cpu_pct(100, 150, 100, 0.5), 100.0, 1e-9);
	cr_expect_float_eq(top_cpu_pct(100, 125, 100, 1.0), 25.0, 1e-9);
	cr_expect_float_eq(top_cpu_pct(0, 300, 100, 1.0), 300.0, 1e-9, "three cores' worth");
	cr_expect_eq(top_cpu_pct(150, 100, 100, 1.0), -1, "ticks went back: another process");
	cr_expect_eq(top_cpu_pct(100, 150, 100, 0), -1, "no interval");
	cr_expect_float_eq(top_rate(10, 1010, 2.0), 500.0, 1e-9);
	cr_expect_float_eq(top_rate(7, 7, 1.0), 0.0, 1e-9);
	cr_expect_eq(top_rate(10, 5, 1.0), -1, "counter went back: a new segment");
	cr_expect_eq(top_rate(10, 20, -1.0), -1);
}

/* ------------------------------------------------------------ tmux */

static int tmux(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int tmux(char *out, size_t n, const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return t_sh(out, n, "tmux -L '%s' %s", tmux_sock, args);
}

/* the pane's text, wrapped lines joined (-J): a line wider than the pane
 * comes back wider than 80 */
static void capture(char *out, size_t n)
{
	cr_assert_eq(tmux(out, n, "capture-pane -p -J -t top"), 0, "%s", out);
	/* tmux ends the capture with the pane's empty last rows: drop them */
	size_t len = strlen(out);
	while (len > 1 && out[len - 1] == '\n' && out[len - 2] == '\n')
		out[--len] = '\0';
}

static int fmt_int(const char *fmt)
{
	char out[64];
	tmux(out, sizeof(out), "display -p -t top '%s'", fmt);
	return atoi(out);
}

/* wait up to timeout_ms for the pane to hold want; the capture in out */
static int wait_screen(char *out, size_t n, const char *want, int timeout_ms)
{
	int64_t end = t_now_ns() + (int64_t)timeout_ms * 1000000;
	do {
		capture(out, n);
		if (strstr(out, want))
			return 1;
		usleep(50 * 1000);
	} while (t_now_ns() < end);
	return 0;
}

struct row {
	char name[32], state[16], cpu[16], in[16], out[16];
	int pid, rst;
};

/* the agent lines under the AGENT header, in screen order */
static int agent_rows(const char *screen, struct row *r, int max)
{
	const char *p = strstr(screen, "\nAGENT");
	cr_assert(p, "no agent header:\n%s", screen);
	p = strchr(p + 1, '\n') + 1;
	int n = 0;
	while (n < max && *p && *p != '\n') {
		char pid[16];
		cr_assert_eq(sscanf(p, "%31s %15s %15s %d %15s %15s %15s", r[n].name, r[n].state, pid,
				    &r[n].rst, r[n].cpu, r[n].in, r[n].out), 7, "agent line: %.80s", p);
		r[n].pid = atoi(pid);
		n++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

/* dm-shmdump --tsv agents: name, pid, state, restarts in registry order */
static int tsv_agents(struct row *r, int max)
{
	static char out[8192];
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-shmdump' --name '%s' --tsv agents | cut -f1,2,4,6",
			  live.bindir, live.seg), 0, "%s", out);
	char *l[16];
	int n = split_lines(out, l, 16), k = 0;
	for (int i = 1; i < n && k < max; i++)
		if (sscanf(l[i], "%31s %d %15s %d", r[k].name, &r[k].pid, r[k].state, &r[k].rst) == 4)
			k++;
	return k;
}

/* the terminal of the pane after dm-top left: normal screen, cursor
 * shown, and the shell's stty says icanon and echo */
static void expect_terminal_restored(const char *tag)
{
	int64_t end = t_now_ns() + 5000000000ll;
	while (fmt_int("#{alternate_on}") != 0 && t_now_ns() < end)
		usleep(50 * 1000);
	cr_expect_eq(fmt_int("#{alternate_on}"), 0, "%s: still on the alternate screen", tag);
	cr_expect_eq(fmt_int("#{cursor_flag}"), 1, "%s: cursor hidden", tag);
	char out[4096], path[512];
	snprintf(path, sizeof(path), "%s/stty-%s.txt", live.rundir, tag);
	unlink(path);
	tmux(out, sizeof(out), "send-keys -t top \"stty -a | tr ' ;' '\\\\n\\\\n' | grep -x -- "
	     "'-\\\\?icanon\\\\|-\\\\?echo' > %s\" Enter", path);
	end = t_now_ns() + 5000000000ll;
	while (access(path, R_OK) != 0 && t_now_ns() < end)
		usleep(50 * 1000);
	usleep(100 * 1000);
	char *modes = t_file_text(path, NULL);
	cr_expect_str_eq(modes, "icanon\necho\n", "%s: terminal modes left: %s", tag, modes);
	free(modes);
}

/* start dm-top in the pane through a shell that notes its pid */
static int start_top(void)
{
	char out[512], pidf[512];
	snprintf(pidf, sizeof(pidf), "%s/top.pid", live.rundir);
	unlink(pidf);
	tmux(out, sizeof(out), "send-keys -t top \"sh -c 'echo \\$\\$ > %s; exec %s/dm-top --name %s'\" "
	     "Enter", pidf, live.bindir, live.seg);
	int64_t end = t_now_ns() + 5000000000ll;
	int pid = 0;
	while (pid == 0 && t_now_ns() < end) {
		FILE *f = fopen(pidf, "r");
		if (f) {
			if (fscanf(f, "%d", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		usleep(20 * 1000);
	}
	cr_assert_gt(pid, 0, "dm-top did not start");
	return pid;
}

Test(top, live_screen_keys_and_terminal_restore, .timeout = 120)
{
	/* 3000 events over 15.8 s of market time, replayed at twice its pace */
	t_live_start(&live, 3000, "--pace realtime --speed 2");
	static char scr[16384], scr2[16384];
	char out[1024];
	cr_assert_eq(tmux(out, sizeof(out), "-f /dev/null new-session -d -s top -x 80 -y 24 "
			  "\"env PS1='$ ' bash --norc --noprofile\""), 0, "tmux: %s", out);
	cr_assert_eq(fmt_int("#{pane_width}"), 80);
	cr_assert_eq(fmt_int("#{pane_height}"), 24);
	int pid = start_top();
	cr_assert(wait_screen(scr, sizeof(scr), "\nrisk ", 10000), "no agent line:\n%s", scr);

	/* while the replay runs the data agent publishes: a rate once a
	 * second sample is in */
	struct row r[8], want[8];
	int n = 0, busy = 0;
	int64_t end = t_now_ns() + 8000000000ll;
	while (!busy && t_now_ns() < end) {
		usleep(200 * 1000);
		capture(scr, sizeof(scr));
		n = agent_rows(scr, r, 8);
		for (int i = 0; i < n; i++)
			busy |= strcmp(r[i].name, "data") == 0 && atof(r[i].out) > 0;
	}
	cr_expect(busy, "the data agent's OUT/S never rose above 0:\n%s", scr);
	expect_fits(scr);
	int m = tsv_agents(want, 8);
	cr_assert_eq(n, 6, "%d agent lines:\n%s", n, scr);
	cr_assert_eq(m, 6);
	for (int i = 0; i < n; i++) {
		/* the default order is the registry's */
		cr_expect_str_eq(r[i].name, want[i].name);
		cr_expect_eq(r[i].pid, want[i].pid, "%s pid", r[i].name);
		cr_expect_str_eq(r[i].state, want[i].state, "%s state", r[i].name);
		cr_expect_eq(r[i].rst, want[i].rst, "%s restarts", r[i].name);
		char *end_num;
		strtod(r[i].cpu, &end_num);
		cr_expect(*end_num == '\0', "%s CPU%% '%s' is no number", r[i].name, r[i].cpu);
	}
	cr_expect(strstr(scr, "sort: slot"), "%s", scr);
	char sys[256];
	cr_assert_eq(t_sh(sys, sizeof(sys), "'%s/dm-shmdump' --name '%s' --system | cut -d' ' -f1",
			  live.bindir, live.seg), 0);
	sys[strcspn(sys, "\n")] = '\0';
	char *line2 = strchr(scr, '\n') + 1;
	cr_expect(strncmp(line2, strcmp(sys, "KILL_SWITCH") ? sys : "KILL SWITCH", strlen(sys)) == 0,
		  "system line '%.40s', dm-shmdump says %s", line2, sys);

	/* p: the screen stands still while the system moves; p again: it moves */
	tmux(out, sizeof(out), "send-keys -t top p");
	cr_assert(wait_screen(scr, sizeof(scr), "[PAUSED]", 3000), "%s", scr);
	t_sleep_ms(1500);
	capture(scr2, sizeof(scr2));
	cr_expect_str_eq(scr2, scr, "the paused screen changed");
	tmux(out, sizeof(out), "send-keys -t top p");
	t_sleep_ms(1500);
	capture(scr2, sizeof(scr2));
	cr_expect_null(strstr(scr2, "[PAUSED]"));
	cr_expect_str_neq(scr2, scr, "the screen stood still after the second p");

	/* s: by name, then by pid; r: reversed */
	tmux(out, sizeof(out), "send-keys -t top s");
	cr_assert(wait_screen(scr, sizeof(scr), "sort: name", 3000), "%s", scr);
	n = agent_rows(scr, r, 8);
	for (int i = 1; i < n; i++)
		cr_expect_lt(strcmp(r[i - 1].name, r[i].name), 0, "by name: %s before %s",
			     r[i - 1].name, r[i].name);
	tmux(out, sizeof(out), "send-keys -t top s");
	cr_assert(wait_screen(scr, sizeof(scr), "sort: pid", 3000), "%s", scr);
	n = agent_rows(scr, r, 8);
	for (int i = 1; i < n; i++)
		cr_expect_lt(r[i - 1].pid, r[i].pid, "by pid: %d before %d", r[i - 1].pid, r[i].pid);
	tmux(out, sizeof(out), "send-keys -t top r");
	cr_assert(wait_screen(scr, sizeof(scr), "sort: pid (reversed)", 3000), "%s", scr);
	n = agent_rows(scr, r, 8);
	for (int i = 1; i < n; i++)
		cr_expect_gt(r[i - 1].pid, r[i].pid, "reversed: %d before %d", r[i - 1].pid,
			     r[i].pid);
	expect_fits(scr);

	/* q: gone, the terminal as it was */
	tmux(out, sizeof(out), "send-keys -t top q");
	end = t_now_ns() + 5000000000ll;
	while (kill(pid, 0) == 0 && t_now_ns() < end)
		usleep(50 * 1000);
	cr_expect_neq(kill(pid, 0), 0, "dm-top still runs after q");
	expect_terminal_restored("q");

	/* SIGTERM: the same */
	pid = start_top();
	cr_assert(wait_screen(scr, sizeof(scr), "\nrisk ", 10000), "no agent line:\n%s", scr);
	cr_assert_eq(kill(pid, SIGTERM), 0);
	end = t_now_ns() + 5000000000ll;
	while (kill(pid, 0) == 0 && t_now_ns() < end)
		usleep(50 * 1000);
	cr_expect_neq(kill(pid, 0), 0, "dm-top still runs after SIGTERM");
	expect_terminal_restored("sigterm");

	/* --once: the same screen as text */
	static char once[8192];
	cr_assert_eq(t_sh(once, sizeof(once), "'%s/dm-top' --name '%s' --once --interval 200ms",
			  live.bindir, live.seg), 0, "%s", once);
	expect_fits(once);
	cr_expect_eq(agent_rows(once, r, 8), 6, "%s", once);
}

/* ------------------------------------------------------------ usage */

Test(top, usage_errors)
{
	char out[4096];
	const char *b = live.bindir;
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-top' --help", b), 0);
	cr_expect(strstr(out, "q quit") || strstr(out, "Keys: q quit"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-top' --bogus", b), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-top' extra", b), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-top' --interval 5 --once", b), 2);
	cr_expect(strstr(out, "--interval '5'"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-top' --interval 10ms --once", b), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-top' --name noslash --once", b), 2);
	/* no terminal to draw on (popen's pipe): --once or nothing */
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-top'", b), 1);
	cr_expect(strstr(out, "not a terminal"), "%s", out);
	/* no segment of that name */
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-top' --once --interval 100ms", b), 1);
	cr_expect(strstr(out, "no such segment"), "%s", out);
}
