/* registry.c — agent slot lifecycle (registry.h). */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "shm/registry.h"

static const char *const state_names[AGENT_STATE_COUNT] = {
	"empty", "starting", "running", "halted", "stopping", "exited",
};

const char *agent_state_name(uint32_t state)
{
	return state < AGENT_STATE_COUNT ? state_names[state] : "invalid";
}

void agent_slot_init(struct agent_slot *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	strncpy(a->name, name, AGENT_NAME_MAX - 1);
	doorbell_init(&a->bell);
}

static int pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

int agent_pid_alive(const struct agent_slot *a)
{
	return pid_alive(atomic_load_explicit(&((struct agent_slot *)a)->pid,
					      memory_order_relaxed));
}

int agent_register(struct agent_slot *a, int32_t pid, int64_t now_ns)
{
	int32_t old = atomic_load_explicit(&a->pid, memory_order_relaxed);
	if (old != 0 && old != pid && pid_alive(old))
		return -DM_EBUSY;
	if (!atomic_compare_exchange_strong(&a->pid, &old, pid))
		return -DM_EBUSY; /* another starter won the race */
	uint64_t gen = atomic_fetch_add(&a->generation, 1) + 1;
	if (gen > 1)
		atomic_fetch_add(&a->restarts, 1);
	atomic_store(&a->started_ns, now_ns);
	atomic_store(&a->heartbeat_ns, now_ns);
	atomic_store(&a->state, AGENT_STARTING);
	return 0;
}

void agent_deregister(struct agent_slot *a, int64_t now_ns)
{
	atomic_store(&a->heartbeat_ns, now_ns);
	atomic_store(&a->state, AGENT_EXITED);
	atomic_store(&a->pid, 0);
}
