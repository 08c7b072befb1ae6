/*
 * top.c — dm-top's screen from a sampled frame (top.h).
 *
 * Every line goes through one writer (struct scr) that replaces any byte
 * that is not printable ASCII, cuts the line at TOP_COLS and refuses a
 * line past TOP_ROWS, so no figure, however wide, and no name, however
 * odd, can push the screen past 80x24 or send the terminal an escape.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/lib/top.h"

static const char *const sort_names[TOP_SORT_COUNT] = {
	"slot", "name", "pid", "cpu", "msgs", "heartbeat", "restarts",
};

const char *top_sort_name(enum top_sort s)
{
	return (unsigned)s < TOP_SORT_COUNT ? sort_names[s] : "?";
}

/* ------------------------------------------------------------ sorting */

/* The sort key of a as a number (bigger first for the busy keys), or
 * 0 with *unknown set. */
static double key_of(const struct top_agent *a, enum top_sort s, int *unknown)
{
	*unknown = 0;
	switch (s) {
	case TOP_SORT_PID:
		*unknown = a->pid <= 0;
		return a->pid;
	case TOP_SORT_CPU:
		*unknown = a->cpu_pct < 0;
		return a->cpu_pct;
	case TOP_SORT_RATE:
		*unknown = a->in_per_s < 0 && a->out_per_s < 0;
		return (a->in_per_s > 0 ? a->in_per_s : 0) + (a->out_per_s > 0 ? a->out_per_s : 0);
	case TOP_SORT_HB:
		*unknown = a->hb_age_ns < 0;
		return (double)a->hb_age_ns;
	case TOP_SORT_RESTARTS:
		return a->restarts;
	default:
		return a->slot;
	}
}

/* <0 when a goes before b */
static int cmp(const struct top_agent *a, const struct top_agent *b, const struct top_view *v)
{
	int c = 0;
	if (v->sort == TOP_SORT_NAME) {
		c = strcmp(a->name, b->name);
	} else {
		int ua, ub;
		double ka = key_of(a, v->sort, &ua), kb = key_of(b, v->sort, &ub);
		if (ua != ub)
			return ua - ub; /* unknown last, either way round */
		c = ka < kb ? -1 : ka > kb;
		/* the busy keys put the biggest first */
		if (v->sort == TOP_SORT_CPU || v->sort == TOP_SORT_RATE ||
		    v->sort == TOP_SORT_HB || v->sort == TOP_SORT_RESTARTS)
			c = -c;
	}
	if (v->reverse)
		c = -c;
	return c ? c : (a->slot > b->slot) - (a->slot < b->slot);
}

void top_sort_agents(struct top_frame *f, const struct top_view *v)
{
	/* insertion sort: a handful of lines, stable */
	for (uint32_t i = 1; i < f->n_agents && i < TOP_MAX_AGENTS; i++) {
		struct top_agent x = f->agent[i];
		uint32_t j = i;
		while (j > 0 && cmp(&x, &f->agent[j - 1], v) < 0) {
			f->agent[j] = f->agent[j - 1];
			j--;
		}
		f->agent[j] = x;
	}
}

/* ------------------------------------------------------------ the writer */

struct scr {
	char *buf;
	size_t cap, len;
	int rows;
};

static void line(struct scr *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct scr *s, const char *fmt, ...)
{
	if (s->rows >= TOP_ROWS)
		return;
	char l[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(l, sizeof(l), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > TOP_COLS)
		n = TOP_COLS;
	/* no trailing blanks: what a terminal shows anyway */
	while (n > 0 && l[n - 1] == ' ')
		n--;
	if (s->len + (size_t)n + 2 > s->cap)
		return;
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		s->buf[s->len++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	s->buf[s->len++] = '\n';
	s->buf[s->len] = '\0';
	s->rows++;
}

/* ------------------------------------------------------------ figures */

/* "HH:MM:SS" (ms 0) or "YYYY-MM-DD HH:MM:SS.mmm" (ms 1) of Unix ns, UTC */
static const char *clock_txt(int64_t ns, int ms, char *out, size_t n)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t k = strftime(out, n, ms ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
	if (ms && k < n)
		snprintf(out + k, n - k, ".%03d", (int)(ns % 1000000000 / 1000000));
	return out;
}

/* a duration for a column: "850us", "12ms", "3.4s", "12m", "5h"; "-" < 0 */
static const char *age_txt(int64_t ns, char *out, size_t n)
{
	if (ns < 0)
		snprintf(out, n, "-");
	else if (ns < 1000000)
		snprintf(out, n, "%" PRId64 "us", ns / 1000);
	else if (ns < 1000000000)
		snprintf(out, n, "%" PRId64 "ms", ns / 1000000);
	else if (ns < 60 * 1000000000ll)
		snprintf(out, n, "%.1fs", (double)ns / 1e9);
	else if (ns < 3600 * 1000000000ll)
		snprintf(out, n, "%" PRId64 "m", ns / INT64_C(60000000000));
	else
		snprintf(out, n, "%" PRId64 "h", ns / INT64_C(3600000000000));
	return out;
}

/* a rate for a column: "0", "1234", "123k", "12.3M"; "-" < 0 */
static const char *rate_txt(double r, char *out, size_t n)
{
	if (r < 0)
		snprintf(out, n, "-");
	else if (r < 99999.5)
		snprintf(out, n, "%.0f", r);
	else if (r < 999.5e3)
		snprintf(out, n, "%.0fk", r / 1e3);
	else if (r < 999.95e6)
		snprintf(out, n, "%.1fM", r / 1e6);
	else
		snprintf(out, n, ">1G");
	return out;
}

static const char *cpu_txt(double p, char *out, size_t n)
{
	if (p < 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.1f", p > 9999 ? 9999.0 : p);
	return out;
}

/* a vote as "risk+" (approve), "exec-pos_limit" (reject: its reason),
 * "feat!crossed" (veto), "ml?" (missing) */
static size_t vote_txt(const struct top_vote *v, char *out, size_t n)
{
	char mark = strcmp(v->verdict, "approve") == 0 ? '+'
		  : strcmp(v->verdict, "veto") == 0   ? '!'
		  : strcmp(v->verdict, "reject") == 0 ? '-' : '?';
	int why = mark == '-' || mark == '!';
	int k = snprintf(out, n, "%.4s%c%s", v->voter, mark, why ? v->reason : "");
	return k < 0 ? 0 : (size_t)k;
}

/* ------------------------------------------------------------ the screen */

static void title(struct scr *s, const struct top_frame *f, const struct top_view *v)
{
	char t[16], iv[16];
	clock_txt(f->now_ns, 0, t, sizeof(t));
	age_txt(v->interval_ns, iv, sizeof(iv));
	/* the segment's name last: a long one is cut, never the state */
	line(s, "dm-top  %s UTC  every %s  sort: %s%s%s  %s", t, iv, top_sort_name(v->sort),
	     v->reverse ? " (reversed)" : "", v->paused ? "  [PAUSED]" : "", f->seg);
}

static void system_lines(struct scr *s, const struct top_frame *f)
{
	if (!f->attached) {
		line(s, "NO SEGMENT: %s", f->why);
		line(s, "waiting for the system to start under this name (tools/dmctl start)");
		line(s, "%s", "");
		return;
	}
	char mt[40] = "-";
	if (f->market_ns > 0)
		clock_txt(f->market_ns, 1, mt, sizeof(mt));
	int why = f->reason[0] && strcmp(f->reason, "-") != 0;
	line(s, "%s%s%s%s  market %s  position %+" PRId64 " %s  net %.2f %s",
	     strcmp(f->state, "KILL_SWITCH") == 0 ? "KILL SWITCH" : f->state,
	     why ? " (" : "", why ? f->reason : "", why ? ")" : "", mt, f->position,
	     f->symbol, f->net, f->currency);
	line(s, "P&L realized %.2f  unrealized %.2f  fees %.2f %s", f->realized, f->unrealized,
	     f->fees, f->currency);
	line(s, "events %" PRIu64 "  decisions %" PRIu64 " (%" PRIu64 " released, %" PRIu64
	     " blocked)  orders %" PRIu64 "  fills %" PRIu64, f->events, f->decisions,
	     f->released, f->blocked, f->orders, f->fills);
}

static void agent_lines(struct scr *s, const struct top_frame *f)
{
	line(s, "%-12s %-9s %7s %4s %6s %8s %8s %8s", "AGENT", "STATE", "PID", "RST", "CPU%",
	     "IN/S", "OUT/S", "HB AGE");
	for (uint32_t i = 0; f->attached && i < f->n_agents && i < TOP_MAX_AGENTS; i++) {
		const struct top_agent *a = &f->agent[i];
		char cpu[16], in[16], out[16], hb[16], pid[16];
		if (a->pid > 0)
			snprintf(pid, sizeof(pid), "%" PRId32, a->pid);
		else
			snprintf(pid, sizeof(pid), "-");
		line(s, "%-12.12s %-9.9s %7s %4" PRIu32 " %6s %8s %8s %8s", a->name, a->state, pid,
		     a->restarts, cpu_txt(a->cpu_pct, cpu, sizeof(cpu)),
		     rate_txt(a->in_per_s, in, sizeof(in)), rate_txt(a->out_per_s, out, sizeof(out)),
		     age_txt(a->hb_age_ns, hb, sizeof(hb)));
	}
}

static void alarm_lines(struct scr *s, const struct top_frame *f)
{
	if (!f->attached)
		return;
	uint32_t n = f->n_alarms < TOP_MAX_ALARMS ? f->n_alarms : TOP_MAX_ALARMS;
	if (n == 0) {
		line(s, "alarms: none");
		return;
	}
	/* the last row says how many more there are */
	uint32_t shown = n <= TOP_ALARM_ROWS ? n : TOP_ALARM_ROWS - 1;
	for (uint32_t i = 0; i < shown; i++) {
		const struct top_alarm *a = &f->alarm[i];
		if (!a->ring) {
			line(s, "ALARM %s", a->text);
			continue;
		}
		double pct = a->capacity ? 100.0 * (double)a->fill / (double)a->capacity : 0;
		line(s, "ALARM ring %-20.32s fill %3.0f%% (%" PRIu64 "/%" PRIu64 ")  full +%" PRIu64
		     "  dropped +%" PRIu64, a->name, pct, a->fill, a->capacity, a->full_delta,
		     a->dropped_delta);
	}
	if (shown < n)
		line(s, "ALARM ... and %" PRIu32 " more", n - shown);
}

/* as many decisions as fit above the help line, newest first */
static void decision_lines(struct scr *s, const struct top_frame *f)
{
	if (!f->attached || s->rows > TOP_ROWS - 3)
		return;
	line(s, "LAST DECISIONS (newest first)");
	uint32_t n = f->n_dec < TOP_MAX_DEC ? f->n_dec : TOP_MAX_DEC;
	if (n == 0)
		line(s, "  none yet");
	for (uint32_t k = 0; k < n && s->rows < TOP_ROWS - 1; k++) {
		const struct top_decision *d = &f->dec[n - 1 - k];
		char votes[256];
		size_t m = 0;
		for (uint32_t i = 0; i < d->n_votes && i < TOP_MAX_VOTES && m < sizeof(votes); i++) {
			if (i)
				votes[m++] = ' ';
			m += vote_txt(&d->vote[i], votes + m, sizeof(votes) - m);
		}
		votes[m < sizeof(votes) ? m : sizeof(votes) - 1] = '\0';
		/* the decision's number within the run (its id without the epoch) */
		line(s, "#%-6" PRIu64 " %-7.7s %-12.12s %-4s %3" PRId64 " @ %-8" PRId64 " %5.0fus %s",
		     d->id & ((UINT64_C(1) << 40) - 1), d->outcome, d->reason, d->side > 0 ? "buy" : "sell",
		     d->qty, d->px, d->decide_us, votes);
	}
}

int top_render(const struct top_frame *f, const struct top_view *v, char *buf, size_t cap)
{
	struct scr s = { buf, cap, 0, 0 };
	if (cap)
		buf[0] = '\0';
	title(&s, f, v);
	system_lines(&s, f);
	line(&s, "%s", "");
	agent_lines(&s, f);
	line(&s, "%s", "");
	alarm_lines(&s, f);
	decision_lines(&s, f);
	while (s.rows < TOP_ROWS - 1)
		line(&s, "%s", "");
	line(&s, "q quit  p pause  s sort  r reverse  + slower  - faster  space refresh");
	return s.rows;
}

/* ------------------------------------------------------------ rates */

double top_cpu_pct(uint64_t prev_ticks, uint64_t cur_ticks, long tck, double dt_s)
{
	if (!(dt_s > 0) || tck <= 0 || cur_ticks < prev_ticks)
		return -1;
	return 100.0 * (double)(cur_ticks - prev_ticks) / (double)tck / dt_s;
}

double top_rate(uint64_t prev, uint64_t cur, double dt_s)
{
	if (!(dt_s > 0) || cur < prev)
		return -1;
	return (double)(cur - prev) / dt_s;
}

/* ------------------------------------------------------------ /proc */

int top_parse_stat(const char *text, uint64_t *cpu_ticks, uint64_t *start_ticks)
{
	const char *p = text ? strrchr(text, ')') : NULL;
	if (!p)
		return -EINVAL;
	p++;
	/* fields after the name: 3 state ... 14 utime, 15 stime ... 22 starttime */
	uint64_t utime = 0, stime = 0, start = 0;
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return -EINVAL;
		char *end;
		if (field == 14 || field == 15 || field == 22) {
			errno = 0;
			unsigned long long v = strtoull(p, &end, 10);
			if (end == p || errno || (*end != ' ' && *end != '\n' && *end))
				return -EINVAL;
			if (field == 14)
				utime = v;
			else if (field == 15)
				stime = v;
			else
				start = v;
			p = end;
		} else {
			while (*p && *p != ' ' && *p != '\n')
				p++;
		}
	}
	*cpu_ticks = utime + stime;
	*start_ticks = start;
	return 0;
}
