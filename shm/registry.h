/*
 * registry.h — one slot per agent in the segment: who runs it, in which
 * state, since when, how alive, and the doorbell its producers ring.
 *
 * A slot outlives the process that fills it: a restarted agent registers
 * into the same slot with the next generation, and the supervisor and
 * dm-shmdump read it without talking to the agent.  All fields are atomics
 * written by the owning agent (heartbeat, state, counters) or by the
 * supervisor (restarts), read by anyone; relaxed ordering is enough because
 * no other memory is published through them.
 */
#ifndef DM_SHM_REGISTRY_H
#define DM_SHM_REGISTRY_H

#include <stdatomic.h>
#include <stdint.h>

#include "libcore/types.h"
#include "shm/doorbell.h"

#define AGENT_NAME_MAX 16

enum agent_state {
	AGENT_EMPTY = 0, /* never started */
	AGENT_STARTING,  /* registered, setting up */
	AGENT_RUNNING,
	AGENT_HALTED,    /* running, refusing new orders */
	AGENT_STOPPING,  /* draining after SIGTERM or shutdown */
	AGENT_EXITED,    /* left cleanly */
	AGENT_STATE_COUNT
};

/* per-agent counters, written by the agent only */
struct agent_counters {
	_Alignas(DM_CACHELINE) _Atomic uint64_t msgs_in;
	_Atomic uint64_t msgs_out;
	_Atomic uint64_t loops;      /* work-loop iterations */
	_Atomic uint64_t idle_loops; /* iterations that found nothing */
	_Atomic uint64_t errors;
	_Atomic uint64_t last_seq_in;
	_Atomic uint64_t backpressure; /* pushes that met a full ring */
	/*
	 * Work taken off a ring that the agent's outputs do not show yet:
	 * odd from before the agent commits an input ring's tail until its
	 * loop pass ends with nothing held (its rt_ops busy() says 0), then
	 * even again; each change is one increment.  A lockstep replay's data
	 * agent reads it beside the rings (docs/agents.md, "lockstep").
	 */
	_Atomic uint64_t held;
};

struct agent_slot {
	char name[AGENT_NAME_MAX];
	_Atomic int32_t  pid;          /* 0 when none */
	_Atomic uint32_t state;        /* enum agent_state */
	_Atomic uint64_t generation;   /* registrations so far */
	_Atomic int64_t  heartbeat_ns; /* last sign of life, CLOCK_REALTIME */
	_Atomic int64_t  started_ns;   /* when this generation registered */
	_Atomic uint32_t restarts;     /* registrations after the first */
	uint32_t pad;
	struct doorbell bell;          /* own line: rung by producers */
	struct agent_counters ctr;     /* own line: written by the agent */
};
_Static_assert(sizeof(struct agent_slot) == 3 * DM_CACHELINE, "agent_slot is 3 lines");

const char *agent_state_name(uint32_t state);

/* Set up an empty slot with a name (segment creation). */
void agent_slot_init(struct agent_slot *a, const char *name);

/*
 * Claim the slot for the calling process (pid), as the next generation.
 * Returns 0, or -DM_EBUSY when another live process holds it.
 * Called once at agent start-up; may make a kill(pid, 0) system call.
 */
int agent_register(struct agent_slot *a, int32_t pid, int64_t now_ns);

/* Leave the slot cleanly (state EXITED, pid 0). */
void agent_deregister(struct agent_slot *a, int64_t now_ns);

static inline void agent_heartbeat(struct agent_slot *a, int64_t now_ns)
{
	atomic_store_explicit(&a->heartbeat_ns, now_ns, memory_order_relaxed);
}

static inline void agent_set_state(struct agent_slot *a, enum agent_state s)
{
	atomic_store_explicit(&a->state, (uint32_t)s, memory_order_relaxed);
}

/* 1 if the process in the slot exists (kill(pid, 0)); a system call. */
int agent_pid_alive(const struct agent_slot *a);

/* 1 if the heartbeat is younger than stale_ns at now_ns. */
static inline int agent_fresh(const struct agent_slot *a, int64_t now_ns, int64_t stale_ns)
{
	int64_t hb = atomic_load_explicit(&((struct agent_slot *)a)->heartbeat_ns,
					  memory_order_relaxed);
	return hb > 0 && now_ns - hb < stale_ns;
}

#endif /* DM_SHM_REGISTRY_H */
