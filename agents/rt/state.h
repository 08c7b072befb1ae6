/*
 * state.h — agent state that survives a restart, in the segment's user
 * area (seg_user(), TOPOLOGY_USER_SIZE bytes, zero at creation).
 *
 *   user area
 *   +--------------------------+ 0
 *   | reserved (zero)          |  RT_USER_RESERVED bytes
 *   +--------------------------+ RT_USER_RESERVED + a * RT_REGION_SIZE
 *   | region of agent a        |  a = enum agent_id (coordinator = 0 ...)
 *   |  struct rt_state         |  runtime: per-ring sequence numbers, flags
 *   |  (RT_STATE_SIZE bytes)   |
 *   |  struct rt_lat           |  latency histograms (RT_LAT_SIZE bytes)
 *   |  app area                |  the agent's own versioned struct
 *   |  (RT_APP_SIZE bytes)     |  (agents/rt/agents.h)
 *   +--------------------------+
 *
 * Only agent a writes region a; anybody may read it (dm-shmdump, tests,
 * the supervisor).  A region is initialised by the first process that
 * opens it: zero it, fill the header, publish the magic last (release).
 * A region whose magic, version or size differs from this build's is
 * refused (-DM_ELAYOUT), never reinterpreted; the app area likewise by
 * app_version / app_size.  Segment creation zeroes everything, so a new
 * run starts afresh while an agent restart inside one run resumes.
 *
 * Sequence numbers (msg_hdr.seq) are per (producer, ring): out_seq[r] is
 * the last seq the producer gave out on ring r, stored before the message
 * is published, so a restarted producer never reuses one.  in_seq[r] is
 * the last seq the consumer finished handling; it is stored after the
 * handler returns and before the tail is committed, so a message
 * re-delivered after a crash is recognised and skipped.  Both arrays are
 * indexed by segment ring index.
 */
#ifndef DM_AGENTS_RT_STATE_H
#define DM_AGENTS_RT_STATE_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "agents/rt/topology.h"
#include "libcore/config/config.h"
#include "libcore/hist/hist.h"
#include "shm/seg.h"

#define RT_USER_RESERVED 4096u
#define RT_REGION_SIZE   (1u << 20)
#define RT_STATE_SIZE    4096u
#define RT_LAT_SIZE      (64u << 10)
#define RT_APP_OFF       (RT_STATE_SIZE + RT_LAT_SIZE)
#define RT_APP_SIZE      (RT_REGION_SIZE - RT_APP_OFF)
#define RT_STATE_MAGIC   0x3130545352544d44ull /* "DMRTST01" little-endian */
#define RT_STATE_VERSION 4u

/* rt_state.flags: latched until cleared by a control command */
#define RT_SF_HALTED  0x1u /* CTL_HALT: refuse new orders (agent-specific) */
#define RT_SF_KILLED  0x2u /* CTL_KILL_SWITCH: latched until CTL_REARM */
#define RT_SF_JOURNAL 0x4u /* coordinator, with HALTED: a journal of some
			    * agent failed; new orders refused (journal_error)
			    * until every journal writes again and CTL_RESUME */

/*
 * The answer to the last operator command the agent handled (runtime.h,
 * "Operator commands").  Written by the agent only, read by dmctl through
 * dm-shmdump --command.  A sequence lock: ver is odd while the writer
 * fills the fields; a reader copies them between two equal, even reads of
 * ver (acquire), else retries (rt_cmd_ack_read).
 */
#define RT_CMD_TEXT_MAX 240
enum rt_cmd_outcome {
	RT_CMD_NONE = 0,    /* no command answered yet */
	RT_CMD_OK = 1,      /* done */
	RT_CMD_REFUSED = 2, /* not done: the state forbids it (text says why) */
	RT_CMD_FAILED = 3   /* tried and failed (text says why) */
};

struct rt_cmd_ack {
	_Atomic uint32_t ver;          /* sequence lock, odd while writing */
	uint32_t cmd;                  /* enum ctl_cmd or RT_CTL_CANCEL_ALL */
	uint64_t seq;                  /* command number dmctl gave; 0 = unnumbered
				        * (a bare signal, the supervisor) */
	uint32_t outcome;              /* enum rt_cmd_outcome */
	uint32_t pad;
	int64_t  done_ns;              /* when it was answered */
	char     text[RT_CMD_TEXT_MAX];/* one line, NUL-terminated */
};

/* Copy a consistent snapshot of a (any process).  Returns 0, or -EAGAIN if
 * the writer kept it busy for every one of a few tries. */
static inline int rt_cmd_ack_read(const struct rt_cmd_ack *a, struct rt_cmd_ack *out)
{
	for (int i = 0; i < 1000; i++) {
		uint32_t v1 = atomic_load_explicit(&((struct rt_cmd_ack *)a)->ver,
						   memory_order_acquire);
		if (v1 & 1)
			continue;
		out->cmd = a->cmd;
		out->seq = a->seq;
		out->outcome = a->outcome;
		out->done_ns = a->done_ns;
		memcpy(out->text, a->text, sizeof(out->text));
		out->text[RT_CMD_TEXT_MAX - 1] = '\0';
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&((struct rt_cmd_ack *)a)->ver,
					 memory_order_relaxed) == v1) {
			out->ver = v1;
			return 0;
		}
	}
	return -EAGAIN;
}

/*
 * The agent's journal as monitors see it: one per agent (the coordinator's
 * decisions.journal, execution's orders.journal), written by the agent
 * only.  `failing` is read alone (relaxed) by the coordinator on every
 * pass; the other fields are copied under the sequence lock ver, as
 * rt_cmd_ack (rt_journal_alarm_read).  An episode runs from a write that
 * fails to the retry that writes again.
 */
#define RT_JOURNAL_FILE_MAX 48
struct rt_journal_alarm {
	_Atomic uint32_t ver;          /* sequence lock, odd while writing */
	_Atomic uint32_t failing;      /* 1 while the journal does not write */
	int32_t  err;                  /* -errno of the last failure, 0 none yet */
	uint32_t pad;
	uint64_t failures;             /* writes that failed: the first of each
				        * episode, then every failed retry */
	uint64_t episodes;             /* times it started failing */
	int64_t  first_ns;             /* this (or the last) episode's first failure */
	int64_t  last_ns;              /* and its last one */
	int64_t  cleared_ns;           /* when it wrote again; 0 while failing */
	char     file[RT_JOURNAL_FILE_MAX]; /* its name in the run directory, "" none */
};

/* Copy a consistent snapshot of a (any process).  0, or -EAGAIN if the
 * writer kept it busy for every one of a few tries. */
static inline int rt_journal_alarm_read(const struct rt_journal_alarm *a,
					struct rt_journal_alarm *out)
{
	for (int i = 0; i < 1000; i++) {
		uint32_t v1 = atomic_load_explicit(&((struct rt_journal_alarm *)a)->ver,
						   memory_order_acquire);
		if (v1 & 1)
			continue;
		atomic_store_explicit(&out->failing,
				      atomic_load_explicit(&((struct rt_journal_alarm *)a)->failing,
							   memory_order_relaxed),
				      memory_order_relaxed);
		out->err = a->err;
		out->failures = a->failures;
		out->episodes = a->episodes;
		out->first_ns = a->first_ns;
		out->last_ns = a->last_ns;
		out->cleared_ns = a->cleared_ns;
		memcpy(out->file, a->file, sizeof(out->file));
		out->file[RT_JOURNAL_FILE_MAX - 1] = '\0';
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&((struct rt_journal_alarm *)a)->ver,
					 memory_order_relaxed) == v1) {
			atomic_store_explicit(&out->ver, v1, memory_order_relaxed);
			return 0;
		}
	}
	return -EAGAIN;
}

/*
 * Fault points (testing: dmctl fault AGENT POINT, docs/operations.md).
 * rt_state.fault holds the point armed in that agent, 0 none; the agent
 * disarms it when it passes the point, then kills itself (SIGKILL).
 */
enum rt_fault {
	RT_FAULT_NONE = 0,
	RT_FAULT_RELEASE,   /* coordinator: a release decided and journaled,
			     * its order not yet on the orders ring */
	RT_FAULT_SEND,      /* execution: an order journaled and marked sent,
			     * not yet handed to the venue */
	RT_FAULT_COUNT
};

struct rt_state {
	_Atomic uint64_t magic;        /* RT_STATE_MAGIC once initialised */
	uint32_t version;              /* RT_STATE_VERSION */
	uint32_t size;                 /* sizeof(struct rt_state) */
	uint32_t agent;                /* region owner, enum agent_id */
	_Atomic uint32_t app_version;  /* agent layout version; 0 = app area unset */
	uint32_t app_size;             /* bytes of the app area in use */
	_Atomic uint32_t flags;        /* RT_SF_* */
	_Atomic uint64_t opens;        /* processes that opened the region */
	_Atomic uint64_t dup_skipped;  /* re-delivered messages skipped by seq */
	_Atomic uint64_t in_seq[SEG_MAX_RINGS];  /* by ring: last seq handled */
	_Atomic uint64_t out_seq[SEG_MAX_RINGS]; /* by ring: last seq given out */
	struct rt_cmd_ack ack;         /* the last operator command answered */
	struct rt_journal_alarm journal; /* the agent's journal, when it has one */
	_Atomic uint32_t fault;        /* enum rt_fault armed here, 0 none */
	uint32_t pad;
	/* the process's page faults (getrusage), at each heartbeat: minor
	 * (a page mapped without I/O) and major (read from disk) */
	_Atomic uint64_t minflt, majflt;
	/* and its context switches: voluntary (it slept or yielded) and
	 * involuntary (the scheduler took the CPU from it while it ran: a
	 * woken task preempting it, or its slice ending) */
	_Atomic uint64_t nvcsw, nivcsw;
};
_Static_assert(sizeof(struct rt_state) <= RT_STATE_SIZE, "rt_state fits its part");

/*
 * Latency of one agent, in ns of the shared clock (rt_now_ns), kept for the
 * whole run (a restart adds to them):
 *   hop    ring transit: receive time - msg_hdr.send_ns, every message taken
 *   stage  msg_hdr.ingress_ns to the agent's main output: data's book
 *          messages, feature's vectors, ml's intents, the coordinator's
 *          released orders, risk's votes, execution's hand-off of an order
 *          to the venue adapter (execution's stage is tick-to-order)
 *   wake   a producer's futex wake (doorbell.rung_ns) to the agent running
 *          again after its sleep: the scheduler's share of a hop
 *   log    time spent writing one log line (rt_log, rt_log_at)
 * Written by the agent only; hist fields are relaxed atomics for readers.
 */
struct rt_lat {
	struct hist hop;
	struct hist stage;
	struct hist wake;
	struct hist log;
};
_Static_assert(sizeof(struct rt_lat) <= RT_LAT_SIZE, "rt_lat fits its part");
_Static_assert(RT_USER_RESERVED + AGENT_COUNT * RT_REGION_SIZE <= TOPOLOGY_USER_SIZE,
	       "every agent region fits the user area");

static inline struct rt_state *rt_state_of(const struct seg *s, uint32_t agent)
{
	return (struct rt_state *)(void *)((uint8_t *)seg_user(s) + RT_USER_RESERVED +
					   (size_t)agent * RT_REGION_SIZE);
}

static inline struct rt_lat *rt_lat_of(const struct seg *s, uint32_t agent)
{
	return (struct rt_lat *)(void *)((uint8_t *)rt_state_of(s, agent) + RT_STATE_SIZE);
}

static inline void *rt_app_of(const struct seg *s, uint32_t agent)
{
	return (uint8_t *)rt_state_of(s, agent) + RT_APP_OFF;
}

/* The first agent whose journal does not write now, or -1.  Any process;
 * AGENT_COUNT relaxed loads, no system call. */
static inline int rt_journal_failing(const struct seg *s)
{
	/* segments made for other topologies (tests, tools) may have no room */
	if (s->hdr->user_size < RT_USER_RESERVED + (uint64_t)AGENT_COUNT * RT_REGION_SIZE)
		return -1;
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		if (atomic_load_explicit(&rt_state_of(s, a)->journal.failing, memory_order_relaxed))
			return (int)a;
	return -1;
}

/* 1 if the region of agent holds an initialised state of this build. */
static inline int rt_state_valid(const struct seg *s, uint32_t agent)
{
	/* segments made for other topologies (tests, tools) may have no room */
	if (s->hdr->user_size < RT_USER_RESERVED + (uint64_t)(agent + 1) * RT_REGION_SIZE)
		return 0;
	const struct rt_state *st = rt_state_of(s, agent);
	return atomic_load_explicit(&((struct rt_state *)st)->magic, memory_order_acquire) ==
		       RT_STATE_MAGIC &&
	       st->version == RT_STATE_VERSION && st->size == sizeof(struct rt_state);
}

#endif /* DM_AGENTS_RT_STATE_H */
