/*
 * control.c — the names of the operator commands (runtime.h) and the fault
 * points a test arms (dump.h, rt_fault_arm), apart from the runtime so
 * that a tool (view.h) links them without the runtime.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agents/rt/dump.h"
#include "agents/rt/runtime.h"

const char *rt_cmd_name(uint32_t cmd)
{
	switch (cmd) {
	case CTL_HALT:          return "halt";
	case CTL_RESUME:        return "resume";
	case CTL_RELOAD:        return "reload";
	case CTL_SHUTDOWN:      return "shutdown";
	case CTL_KILL_SWITCH:   return "kill-switch";
	case CTL_REARM:         return "rearm";
	case RT_CTL_CANCEL_ALL: return "cancel-all";
	default:                return "?";
	}
}

uint32_t rt_cmd_parse(const char *name)
{
	static const uint32_t all[] = { CTL_HALT, CTL_RESUME, CTL_RELOAD, CTL_SHUTDOWN,
					CTL_KILL_SWITCH, CTL_REARM, RT_CTL_CANCEL_ALL };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(name, rt_cmd_name(all[i])) == 0)
			return all[i];
	return 0;
}

/* ------------------------------------------------------------ fault points */

static const struct {
	const char *name;
	int agent;
} faults[RT_FAULT_COUNT] = {
	[RT_FAULT_NONE] = { "none", -1 },
	[RT_FAULT_RELEASE] = { "release", AGENT_COORDINATOR },
	[RT_FAULT_SEND] = { "send", AGENT_EXECUTION },
};

const char *rt_fault_name(uint32_t point)
{
	return point < RT_FAULT_COUNT ? faults[point].name : "?";
}

int rt_fault_agent(uint32_t point)
{
	return point > RT_FAULT_NONE && point < RT_FAULT_COUNT ? faults[point].agent : -1;
}

const char *rt_fault_list(void)
{
	return "coordinator release, execution send";
}

int rt_fault_arm(const struct seg *s, const char *agent, const char *point, char *err,
		 size_t n)
{
	int a = -1;
	for (uint32_t i = 0; i < AGENT_COUNT; i++)
		if (strcmp(agent, rt_agent_names[i]) == 0)
			a = (int)i;
	if (a < 0) {
		snprintf(err, n, "unknown agent '%s' (fault points: %s)", agent, rt_fault_list());
		return -EINVAL;
	}
	uint32_t p = 0;
	for (uint32_t i = 1; i < RT_FAULT_COUNT; i++)
		if (faults[i].agent == a && strcmp(point, faults[i].name) == 0)
			p = i;
	if (!p) {
		snprintf(err, n, "%s has no fault point '%s' (fault points: %s)", agent, point,
			 rt_fault_list());
		return -EINVAL;
	}
	if (!rt_state_valid(s, (uint32_t)a)) {
		snprintf(err, n, "%s has not set up its state region in %s yet", agent, s->name);
		return -ENOENT;
	}
	atomic_store_explicit(&rt_state_of(s, (uint32_t)a)->fault, p, memory_order_release);
	return 0;
}
