/*
 * control.c — the names of the operator commands (runtime.h), apart from
 * the runtime so that a tool reading the agents' state (view.h) links them
 * without the runtime.
 */
#include <string.h>

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
