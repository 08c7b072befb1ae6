/*
 * top.h — dm-top's screen: one frame of a running system as at most
 * TOP_ROWS lines of at most TOP_COLS columns, plain ASCII, from figures
 * already sampled (struct top_frame).  dm-top (tools/top.c) samples the
 * segment and /proc and drives the terminal; everything here is pure, so
 * a test can render any frame without a terminal or a system.
 *
 * The screen, top to bottom:
 *   title       segment, wall-clock time, refresh interval, sort, PAUSED
 *   system      TRADING | HALTED (why) | KILL SWITCH | DOWN, market time,
 *               position, P&L net; then realized, unrealized, fees; then
 *               events, decisions (released, blocked), orders, fills
 *   agents      a header and one line per agent: state, pid, restarts,
 *               CPU%, messages in and out per second, heartbeat age
 *   alarms      rings filling up, full or conflating since the last
 *               sample, journals that cannot write (at most TOP_ALARM_ROWS
 *               lines; "alarms: none" when there is none)
 *   decisions   the newest decisions first, each with every vote, as many
 *               as the rows left allow
 *   keys        the help line
 */
#ifndef DM_TOOLS_LIB_TOP_H
#define DM_TOOLS_LIB_TOP_H

#include <stddef.h>
#include <stdint.h>

#include "shm/seg.h"

#define TOP_COLS        80
#define TOP_ROWS        24
#define TOP_MAX_AGENTS  SEG_MAX_AGENTS
#define TOP_MAX_ALARMS  16
#define TOP_ALARM_ROWS  4   /* lines the alarms may take */
#define TOP_MAX_DEC     12
#define TOP_MAX_VOTES   8

struct top_agent {
	uint32_t slot;          /* registry index: the default order */
	char     name[16];
	char     state[12];     /* agent_state_name */
	int32_t  pid;           /* 0: none */
	uint32_t restarts;
	double   cpu_pct;       /* of one core; < 0 unknown (first sample, no process) */
	double   in_per_s;      /* messages taken per second; < 0 unknown */
	double   out_per_s;     /* messages published per second; < 0 unknown */
	int64_t  hb_age_ns;     /* < 0: never heard from */
};

struct top_alarm {
	int      ring;          /* 1: a ring (the fields below), 0: text */
	char     name[40];      /* the ring */
	uint64_t fill, capacity;
	uint64_t full_delta, dropped_delta; /* since the previous sample */
	char     text[96];      /* ring 0: the alarm as one line */
};

struct top_vote {
	char voter[16];
	char verdict[12];       /* "approve", "reject", "veto", "missing" */
	char reason[24];
};

struct top_decision {
	uint64_t id;            /* decision id (epoch << 40 | number) */
	char     outcome[12];   /* "release", "block" */
	char     reason[24];
	int      side;          /* > 0 buy, else sell */
	int64_t  qty, px;       /* px in ticks */
	double   decide_us;     /* from opening the ballot to the decision */
	uint32_t n_votes;
	struct top_vote vote[TOP_MAX_VOTES];
};

struct top_frame {
	char     seg[SEG_NAME_MAX];
	int      attached;      /* 0: no segment (why says why); the rest is empty */
	char     why[128];
	int64_t  now_ns;        /* wall clock of the sample, Unix ns */
	char     state[16];     /* TRADING, HALTED, KILL_SWITCH, DOWN */
	char     reason[96];    /* "-" when none */
	int64_t  market_ns;     /* exchange time of the newest event, 0 none */
	int64_t  position;
	char     symbol[16], currency[8];
	double   net, realized, unrealized, fees; /* currency units */
	uint64_t events, decisions, released, blocked, orders, fills;
	uint32_t n_agents;
	struct top_agent agent[TOP_MAX_AGENTS];
	uint32_t n_alarms;
	struct top_alarm alarm[TOP_MAX_ALARMS];
	uint32_t n_dec;         /* oldest first */
	struct top_decision dec[TOP_MAX_DEC];
};

/* The orders of the agent lines; s cycles through them in this order. */
enum top_sort {
	TOP_SORT_SLOT,          /* registry order */
	TOP_SORT_NAME,
	TOP_SORT_PID,
	TOP_SORT_CPU,           /* busiest first */
	TOP_SORT_RATE,          /* messages in + out per second, most first */
	TOP_SORT_HB,            /* oldest heartbeat first */
	TOP_SORT_RESTARTS,      /* most first */
	TOP_SORT_COUNT
};

/* "slot", "name", "pid", "cpu", "msgs", "heartbeat", "restarts" */
const char *top_sort_name(enum top_sort s);

/* How to show a frame. */
struct top_view {
	enum top_sort sort;
	int      reverse;       /* 1: the other way round */
	int      paused;
	int64_t  interval_ns;   /* between samples */
};

/* Order f's agent lines by v->sort (and v->reverse); unknown values
 * (negative) last, ties in registry order.  Pure. */
void top_sort_agents(struct top_frame *f, const struct top_view *v);

/*
 * The screen of f as text into buf (cap bytes, NUL-terminated): at most
 * TOP_ROWS lines, each ending in '\n' and at most TOP_COLS bytes before
 * it, printable ASCII only (any other byte of a name shows as '?').  The
 * agent lines are shown in f's order (top_sort_agents first).  Returns the
 * number of lines.  cap of TOP_ROWS * (TOP_COLS + 1) + 1 is always enough.
 * Pure: no allocation, no system call.
 */
#define TOP_SCREEN_MAX (TOP_ROWS * (TOP_COLS + 1) + 1)
int top_render(const struct top_frame *f, const struct top_view *v, char *buf, size_t cap);

/*
 * The rates of a line from two samples dt_s seconds apart.  top_cpu_pct:
 * CPU time (clock ticks, tck a second) spent over the interval as a
 * percentage of one core.  top_rate: a counter's increase per second.
 * Both -1 (unknown) when dt_s <= 0 or the figure went back (another
 * process, a new segment).  Pure.
 */
double top_cpu_pct(uint64_t prev_ticks, uint64_t cur_ticks, long tck, double dt_s);
double top_rate(uint64_t prev, uint64_t cur, double dt_s);

/*
 * Parse the text of /proc/PID/stat: the process's CPU time so far,
 * utime + stime, in clock ticks (sysconf(_SC_CLK_TCK)) into *cpu_ticks,
 * and its start time after boot in ticks into *start_ticks (a new process
 * under a reused pid has another).  The command name may hold spaces and
 * parentheses: the fields are counted after its last ')'.  0, or -EINVAL.
 * Pure.
 */
int top_parse_stat(const char *text, uint64_t *cpu_ticks, uint64_t *start_ticks);

#endif /* DM_TOOLS_LIB_TOP_H */
