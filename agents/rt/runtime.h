/*
 * runtime.h — what every agent process shares: attach, register,
 * heartbeat, poll the input rings, publish, wait, obey control commands,
 * drain and leave.
 *
 * Design note.  An agent main is
 *
 *   rt_args_parse -> rt_open -> (agent init: rt_set_ops) -> rt_running
 *   while (!rt_done(&rt)) rt_idle(&rt, rt_work(&rt));
 *   (agent close) -> rt_close
 *
 * rt_main does all of it for an agent described by a struct rt_agent, so
 * each agents/<name>.c is one line over it.
 *
 * rt_open attaches the segment named by --name / $DM_SHM_NAME / the
 * configuration and checks it against the configuration (agents, rings);
 * registers in the agent's registry slot (refused while a live process
 * holds it); opens the agent's restart-surviving region (state.h); finds
 * the input rings (consumer == me) and output rings (producer == me);
 * recovers every output ring (ring_producer_recover); pins the CPU if the
 * configuration says so; installs the signal handlers.
 *
 * rt_work is one pass: heartbeat when due; operator signals; every input
 * ring in round-robin order (the starting ring rotates each pass), up to
 * RT_BURST messages each: a message whose seq is not above the last one
 * handled on that ring is a re-delivery and is skipped; MSG_CONTROL is
 * applied by the runtime then handed to the agent's on_control; anything
 * else goes to on_msg.  A handler returns 0 (handled: its seq is stored,
 * the tail moves past it), -EAGAIN (not handled now, nothing changed: the
 * ring stays where it is until the next pass — used for backpressure), or
 * another negative error (counted; the message is skipped).  Then on_tick,
 * then the doorbells of every consumer this pass published to.
 *
 * rt_idle applies the configured strategy after an empty pass: spin,
 * sched_yield, futex sleep, or backoff (spin_iters empty passes, then
 * yield_iters yields, then sleep).  Sleeping is the doorbell protocol of
 * shm/doorbell.h: prepare, re-check every input, wait.  A sleep never
 * outlasts the heartbeat interval or a wake-up time the agent asked for.
 *
 * Signals: SIGTERM / SIGINT start a drain (state STOPPING: inputs are
 * handled until empty and on busy() says 0, at most RT_DRAIN_NS), then
 * rt_done is true.  Operator signals are turned into control commands:
 * SIGUSR1 halt, SIGUSR2 resume, SIGHUP reload, SIGRTMIN+1 kill switch,
 * SIGRTMIN+2 re-arm, SIGRTMIN+3 cancel all (RT_CTL_CANCEL_ALL).
 * SIGRTMIN+4 reopens the log (rt_log_reopen; no command).  With
 * $DM_SUPERVISED set the process also drains when its parent dies.
 *
 * Operator commands are numbered and answered.  dmctl writes "N NAME"
 * into the file RT_CMD_FILE of the run directory, then sends NAME's
 * signal to the coordinator; the runtime takes the number when the file
 * names the signal's command (and removes the file), so a bare signal is
 * an unnumbered command (number 0).  The coordinator forwards the command
 * with its number (msg_control.arg) to every agent.  Every agent answers
 * every command it handles in its state region (state.h, struct
 * rt_cmd_ack: number, command, outcome, one line of text): the agent's
 * on_control may answer with rt_cmd_reply (refused, failed, or ok with
 * its own text); otherwise the runtime answers ok.  The runtime itself
 * refuses CTL_RESUME while the kill switch is latched, and while any
 * agent's journal does not write (nothing changes, on_control is not
 * called); a resume clears RT_SF_JOURNAL with RT_SF_HALTED.  dmctl polls
 * the answer (dm-shmdump --command AGENT) and prints it.
 *
 * Journals.  An agent that writes a journal names it (rt_journal_name)
 * and reports each write that fails (rt_journal_failed) and the retry
 * that writes again (rt_journal_ok): its alarm in the state region
 * (state.h, struct rt_journal_alarm), one log line as an episode starts
 * and one as it ends.  SIGXFSZ is ignored, so a write past RLIMIT_FSIZE
 * fails (EFBIG) like one on a full disk instead of killing the process.
 *
 * Threads: one rt per agent process, used by its main thread only.
 * rt_open / rt_close allocate and make system calls; rt_work makes none
 * besides clock_gettime (vDSO) and, on a producer whose consumer sleeps,
 * futex_wake; rt_idle sleeps by design.
 */
#ifndef DM_AGENTS_RT_RUNTIME_H
#define DM_AGENTS_RT_RUNTIME_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "agents/rt/state.h"
#include "agents/rt/topology.h"
#include "libcore/config/config.h"
#include "libcore/msg/msg.h"
#include "shm/seg.h"

#define RT_BURST     32u                   /* messages per ring per pass */
#define RT_DRAIN_NS  (3000ll * 1000000)    /* longest drain after SIGTERM */
#define RT_PATH_MAX  512

/* Control commands beyond enum ctl_cmd, delivered to on_control only. */
#define RT_CTL_CANCEL_ALL 100u

/* File of the run directory naming the number of the next operator
 * command: one line "N NAME" (NAME as rt_cmd_name gives it). */
#define RT_CMD_FILE "command"

/* rt_open flags */
#define RT_O_NO_SIGNALS 0x1u /* tests: leave signal dispositions alone */
#define RT_O_NO_PIN     0x2u /* ignore the configured CPU and real-time priority */

/* Command line common to every agent. */
#define RT_MAX_OPTS 8

/* An option an agent takes beyond the runtime's own (-c, --name,
 * --run-dir, --help).  The runtime parses the command line but does not
 * know what the agent's options mean: it hands their text over. */
struct rt_opt {
	const char *name;     /* long name without "--": "input" */
	int takes_value;      /* 1: --name VALUE; 0: a flag */
};

struct rt_args {
	const char *conf;     /* -c CONF; NULL = built-in defaults */
	const char *name;     /* --name SEG; NULL = $DM_SHM_NAME, else config */
	const char *run_dir;  /* --run-dir DIR; NULL = $DM_RUN_DIR, else
			       * system.run_dir/<segment name without '/'> */
	const char *opt[RT_MAX_OPTS]; /* the agent's options (rt_agent.opts), in
				       * its order: the value, "" for a flag given,
				       * NULL when absent; pointers into argv */
};

struct rt;

/*
 * One agent as the runtime hosts it: what agents/<name>.c hands rt_main.
 * The six live in agents/rt/agents.c (agents.h).
 */
struct rt_agent {
	const char *name;            /* "data": program dm-agent-<name>, messages */
	uint32_t id;                 /* enum agent_id (topology.h) */
	uint32_t app_version;        /* its struct in the app area (rt_open) */
	uint32_t app_size;
	const struct rt_opt *opts;   /* n_opts options of its own, or NULL */
	uint32_t n_opts;             /* <= RT_MAX_OPTS */
	const char *synopsis;        /* its options in the usage line, or NULL */
	const char *help;            /* their lines of --help, or NULL */
	/* Check the values of its options before anything is opened: 0, or
	 * -EINVAL after one line on stderr (exit 2).  NULL: nothing to check. */
	int  (*check_opts)(const struct rt_args *a);
	/* Between rt_open and rt_running: 0, or a negative error after
	 * logging why (rt->exit_code, when set, is the exit status). */
	int  (*init)(struct rt *rt);
	void (*close)(struct rt *rt);   /* before rt_close */
};

/*
 * Parse argv into a: the runtime's options and ag's own.  Returns 0; 1
 * after printing --help to stdout (exit 0); 2 after printing a usage error
 * to stderr (exit 2).  Pointers in a point into argv.
 */
int rt_args_parse(struct rt_args *a, int argc, char **argv, const struct rt_agent *ag);

/*
 * The whole life of one agent process: parse the command line, check the
 * agent's options, rt_open, ag->init, rt_running, the work loop until
 * rt_done, ag->close, rt_close.  Returns the exit status: 0 after a clean
 * drain (or --help), 1 on a runtime failure, 2 on bad usage or
 * configuration, or the status the agent set (rt->exit_code).  The main
 * thread of the process only; once per process.
 */
int rt_main(int argc, char **argv, const struct rt_agent *ag);

struct rt_ops {
	/* A message from input `in`; see the design note for the returns. */
	int  (*on_msg)(struct rt *rt, uint32_t in, const struct msg_hdr *m);
	/* Once per pass after the inputs; returns units of work done. */
	int  (*on_tick)(struct rt *rt, int64_t now_ns);
	/* After the runtime applied a command: c is the message, or NULL for
	 * an operator signal. */
	void (*on_control)(struct rt *rt, uint32_t cmd, const struct msg_control *c);
	/* 1 while work is left that a drain must finish (unsent messages). */
	int  (*busy)(struct rt *rt);
};

struct rt_in {
	struct ring *r;
	uint32_t ring;       /* segment ring index */
	uint16_t producer;   /* agent index */
	uint16_t pad;
	const char *name;    /* ring name (in the segment header) */
};

struct rt_out {
	struct ring *r;
	uint32_t ring;
	uint16_t consumer;
	uint16_t policy;     /* enum ring_policy */
	const char *name;
	uint64_t claimed;    /* head when the last rt_claim succeeded */
};

struct rt {
	struct seg seg;
	struct rt_config cfg;        /* the run configuration; libcore's part is
				     * cfg.core */
	struct rt_args args;
	uint32_t self;              /* enum agent_id (topology.h) */
	uint32_t oflags;            /* RT_O_* */
	const char *name;           /* agent name */
	struct agent_slot *slot;    /* own registry slot */
	struct rt_state *st;        /* own state region */
	struct rt_lat *lat;         /* own latency histograms (state.h) */
	void *app;                  /* own app area (RT_APP_SIZE bytes) */
	int app_fresh;              /* 1 if the app area was just zeroed */
	const struct rt_ops *ops;
	void *ctx;                  /* the agent's process-local context */

	uint32_t n_in, n_out;
	struct rt_in in[SEG_MAX_RINGS];
	struct rt_out out[SEG_MAX_RINGS];
	uint32_t rr;                /* first input polled next pass */
	uint64_t bells;             /* bit per consumer agent to ring */

	uint32_t idle;              /* enum rt_idle */
	uint32_t spin_iters, yield_iters;
	uint64_t empty;             /* consecutive empty passes */
	int64_t sleep_ns;           /* longest futex sleep */

	int64_t now_ns;             /* CLOCK_REALTIME at the start of the pass */
	int64_t hb_ns, next_hb_ns, stale_ns;
	int64_t expect_ns;          /* poll (yield) instead of sleeping until then: a
	                             * message is due soon (rt_expect) */
	int64_t expect_win_ns;      /* agents.<name>.expect_us, ns */
	int64_t wake_at_ns;         /* agent: wake up by then (0 = no timer);
				     * cleared at the start of every pass */

	uint64_t cmd_seq;           /* number of the command being applied */
	uint32_t cmd_cur;           /* the command being applied */
	int cmd_replied;            /* on_control answered it (rt_cmd_reply) */
	int exit_code;              /* the process's exit status once done (0;
				     * an agent sets 2 for bad input) */

	int stopping;               /* drain in progress */
	int exit_now;               /* leave at the end of this pass */
	int last_work;
	int64_t drain_end_ns;
	int32_t parent;             /* supervisor pid when $DM_SUPERVISED */
	char run_dir[RT_PATH_MAX];
};

/*
 * Set up the process as agent `agent` (enum agent_id) with a as its
 * command line.  app_version (> 0) and app_size (<= RT_APP_SIZE) describe
 * the agent's struct in its app area; a region holding another version is
 * refused.  Returns 0, or a negative error after printing one line to
 * stderr that says what failed and what to do (no segment: start it with
 * dmctl; slot held by a live pid; layout mismatch...).  On failure nothing
 * stays open.  Allocates (config), makes system calls; start-up only.
 */
int rt_open(struct rt *rt, uint32_t agent, const struct rt_args *a,
	    uint32_t app_version, uint32_t app_size, uint32_t oflags);

/* Install the agent's callbacks and context (before rt_running). */
static inline void rt_set_ops(struct rt *rt, const struct rt_ops *ops, void *ctx)
{
	rt->ops = ops;
	rt->ctx = ctx;
}

/* Setup done: state RUNNING (HALTED if the region says so), first heartbeat. */
void rt_running(struct rt *rt);

/* One work pass; returns the messages handled plus on_tick's work. */
int rt_work(struct rt *rt);

/* Wait according to the idle strategy when work == 0; reset it otherwise. */
void rt_idle(struct rt *rt, int work);

/* 1 when the process should leave the loop. */
int rt_done(struct rt *rt);

/* Start a drain as SIGTERM does (e.g. on CTL_SHUTDOWN). */
void rt_stop(struct rt *rt);

/* Deregister (state EXITED, pid 0), unmap, free the configuration. */
void rt_close(struct rt *rt);

/* Index of the input / output ring called name, or -1. */
int rt_in_find(const struct rt *rt, const char *name);
int rt_out_find(const struct rt *rt, const char *name);

/*
 * Claim n free slots on output `out`, all or nothing.  Returns 1 with the
 * slots reserved (fill them through rt_slot(rt, out, 0..n-1), then
 * rt_publish), 0 when full (counted as backpressure; nothing changed).
 * An unpublished claim is harmless: the next claim returns the same slots.
 */
int rt_claim(struct rt *rt, uint32_t out, uint32_t n);

static inline void *rt_slot(struct rt *rt, uint32_t out, uint32_t i)
{
	return ring_slot(rt->out[out].r, rt->out[out].claimed + i);
}

/*
 * Publish n claimed slots: stamps each header's version, seq (next of the
 * ring, stored in the region before publishing) and send_ns; the caller
 * has set type, flags, size and ingress_ns.  Marks the consumer's bell.
 */
void rt_publish(struct rt *rt, uint32_t out, uint32_t n);

/*
 * rt_publish without marking the consumer's bell: for a message whose
 * consumer is sure to be woken soon by another producer and needs no wake
 * of its own (ml's intent to the coordinator with the vote fanned out: the
 * votes on it ring the coordinator, which then finds the intent too).  A
 * sleeping consumer takes it at its next wake, at the latest after its
 * sleep_timeout_us.
 */
void rt_publish_quiet(struct rt *rt, uint32_t out, uint32_t n);

/*
 * A message is due soon (execution has voted on an intent: its order may
 * follow within a coordinator's hop; the coordinator has a vote of a ballot
 * still open: the others follow): until agents.<name>.expect_us has
 * passed, an idle pass yields the CPU (sched_yield) instead of sleeping on
 * the doorbell, so the message needs no futex wake to be taken; other
 * runnable tasks still get the CPU.  Nothing with expect_us 0 or idle
 * spin.
 */
static inline void rt_expect(struct rt *rt)
{
	if (rt->expect_win_ns)
		rt->expect_ns = rt->now_ns + rt->expect_win_ns;
}

/*
 * Copy one message out (header stamped as rt_publish does).  Only a
 * message flagged MSG_F_CONFLATABLE is offered (ring_offer) on a conflate
 * ring, where a newer one may supersede it; every other message (trades,
 * intents, votes, orders, reports, controls) is pushed (ring_try_push) on
 * any ring and is never superseded.  Returns 0 published, 1 waiting in
 * the conflate side slot, -EAGAIN full (counted as backpressure; the seq
 * is not used up; the caller holds the message and tries again).
 */
int rt_send(struct rt *rt, uint32_t out, void *msg, uint32_t len);

/* Ring the bells marked by publishes now (rt_work does it every pass). */
void rt_ring_bells(struct rt *rt);

/* RT_SF_* flags of the own region. */
static inline uint32_t rt_flags(const struct rt *rt)
{
	return atomic_load_explicit(&rt->st->flags, memory_order_relaxed);
}

/* Counters of the own registry slot (single writer: no locked op). */
static inline void rt_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* CLOCK_REALTIME in ns. */
int64_t rt_now_ns(void);

/* The agent's journal is file (a name in the run directory): shown with
 * its alarm.  Start-up code. */
void rt_journal_name(struct rt *rt, const char *file);

/*
 * A write of the agent's journal failed with err (-errno) at rt->now_ns:
 * counted; the first failure of an episode raises the alarm (failing, in
 * the state region, which the coordinator reads) and logs one ALARM line.
 * Call it for a write that failed, not for an append refused on an error
 * already known.  No allocation; a system call only for the log line.
 */
void rt_journal_failed(struct rt *rt, int err);

/* The journal writes again (a retry succeeded): the episode ends, one log
 * line.  Nothing when it was not failing. */
void rt_journal_ok(struct rt *rt);

/* Fault point `point` (enum rt_fault) of this agent: when it is the one
 * armed in the state region, disarm it, log one line and SIGKILL the
 * process (never returns).  One relaxed load otherwise. */
void rt_fault_fire(struct rt *rt, uint32_t point) __attribute__((noreturn));
static inline void rt_fault_point(struct rt *rt, uint32_t point)
{
	if (DM_UNLIKELY(atomic_load_explicit(&rt->st->fault, memory_order_relaxed) == point))
		rt_fault_fire(rt, point);
}

/* A fault point's name ("release", "send"), "?" else; the agent that has
 * it (enum agent_id), -1 for none.  Any thread. */
const char *rt_fault_name(uint32_t point);
int rt_fault_agent(uint32_t point);

/*
 * Record the agent's stage latency: now - ingress_ns of the market event
 * behind the output just produced (state.h, struct rt_lat).  Nothing for
 * ingress_ns 0 (no market event behind it).  One clock read.
 */
static inline void rt_lat_stage(struct rt *rt, int64_t ingress_ns)
{
	if (ingress_ns <= 0)
		return;
	int64_t d = rt_now_ns() - ingress_ns;
	if (d >= 0)
		hist_record(&rt->lat->stage, (uint64_t)d);
}

/* Name of a control command as operators type it: "halt", "resume",
 * "reload", "shutdown", "kill-switch", "rearm", "cancel-all"; "?" else. */
const char *rt_cmd_name(uint32_t cmd);

/* Command of that name, or 0. */
uint32_t rt_cmd_parse(const char *name);

/*
 * Answer the command being applied (from on_control only): outcome (enum
 * rt_cmd_outcome) and one line of text, stored in the state region for
 * dmctl (state.h, struct rt_cmd_ack) and logged when not ok.  Not for hot
 * paths (formats text).
 */
void rt_cmd_reply(struct rt *rt, uint32_t outcome, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The agents' log.  One line per record on stderr (the supervisor points
 * it at RUN_DIR/<agent>.log):
 *
 *   2024-08-08T12:00:01.234Z INFO coordinator[4242]: every agent up: trading
 *
 * the UTC time to the millisecond (ISO 8601), the level (INFO, WARN,
 * ERROR), the agent and its pid, the text (a line break in it becomes a
 * space).  INFO: lifecycle and counters; WARN: something the operator
 * should look at, the process goes on; ERROR: something failed (the
 * process refuses to start, a journal cannot write, an agent is down).
 * Formats text and writes: never from a hot path.  Main thread only.
 */
enum rt_log_level { RT_LOG_INFO = 0, RT_LOG_WARN = 1, RT_LOG_ERROR = 2 };

/* An INFO line of the agent (rt may be NULL: "agent"). */
void rt_log(const struct rt *rt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A line at that level. */
void rt_log_at(const struct rt *rt, enum rt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define rt_warn(rt, ...) rt_log_at((rt), RT_LOG_WARN, __VA_ARGS__)
#define rt_error(rt, ...) rt_log_at((rt), RT_LOG_ERROR, __VA_ARGS__)

/* A line under a name, before a struct rt exists (option errors). */
void rt_log_named(const char *name, enum rt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The environment variable naming the agent's log file (the supervisor
 * sets it to RUN_DIR/<agent>.log when it starts the agent).
 */
#define RT_LOG_FILE_ENV "DM_LOG_FILE"

/*
 * Reopen the log: open $DM_LOG_FILE again (append, created mode 0600,
 * never through a symbolic link) onto stdout and stderr, so that a log
 * renamed away (logrotate) is followed by a new file.  The runtime calls
 * it when SIGRTMIN+4 arrived (the supervisor sends it on its own SIGHUP),
 * from the signal path of rt_work, never from a handler.  0 (also when
 * the variable is not set: nothing to do) or -errno, logged, the old
 * file kept.  Main thread only.
 */
int rt_log_reopen(const struct rt *rt);

/* The text of the process's last rt_log line (without time and name),
 * e.g. the reason a start-up helper logged.  Main thread only. */
const char *rt_last_log(void);

/* Path of a file in the run directory into out; -ENAMETOOLONG. */
int rt_run_path(const struct rt *rt, const char *file, char *out, size_t n);

/*
 * The run directory rule (docs/operations.md, "Run directories"): dir is
 * an absolute path to a directory, not a symbolic link, owned by the
 * effective user, that neither its group nor others may write; the
 * directory holding it is owned by the user or root and, when other users
 * may write in it, sticky (as /tmp is), so that nobody else can rename or
 * replace it.  Returns 0, or -DM_ECONFIG with one line in why (n bytes)
 * naming the directory and what is wrong.  Makes system calls (stat);
 * start-up only.  dmctl applies the same rule before it writes there.
 */
int rt_run_dir_check(const char *dir, char *why, size_t n);

/* rt_run_dir_check after creating every missing level of dir (the run
 * directory included) with mode 0700.  Same returns; a level that cannot
 * be created is -DM_ECONFIG too.  rt_open calls it on the run directory. */
int rt_run_dir_make(const char *dir, char *why, size_t n);

/*
 * Replace the run directory's file `file` with len bytes of text as one
 * whole: written to "<file>.tmp" (any leftover removed first, then created
 * with O_EXCL | O_NOFOLLOW, mode 0600) and renamed over `file`, so that a
 * symbolic link planted under either name is replaced, never written
 * through, and a reader never sees half a file.  Returns 0 or -errno.
 * System calls; start-up and exit paths only (data.done, risk.final).
 */
int rt_run_file_put(const struct rt *rt, const char *file, const char *text, size_t len);

/* The run directory's file `file` opened for reading without following a
 * symbolic link, or NULL (errno; EINVAL when it is no regular file).  The
 * caller fcloses it.  Signal and command paths only. */
FILE *rt_run_file_read(const struct rt *rt, const char *file);

#endif /* DM_AGENTS_RT_RUNTIME_H */
