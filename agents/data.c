/*
 * dm-agent-data — the data agent process: the runtime loop around the
 * glue in agents/rt/ag_data.c (agents.h, docs/agents.md).
 *
 *   dm-agent-data [-c CONF] [--name SEG] [--run-dir DIR] [--input FILE]
 *
 * Exit 0 after a clean drain, 1 on a runtime failure, 2 on bad usage or
 * configuration, or an input it cannot open or read, or whose instrument
 * is not the configured one (one line names the file and the cause).
 */
#include "agents/rt/agents.h"

static struct rt rt;

int main(int argc, char **argv)
{
	struct rt_args a;
	int rc = rt_args_parse(&a, argc, argv, "data");
	if (rc)
		return rc == 1 ? 0 : 2;

	rc = rt_open(&rt, AGENT_DATA, &a, AG_DATA_VERSION, sizeof(struct ag_data_state), 0);
	if (rc < 0)
		return rc == -DM_ECONFIG || rc == -DM_ETOPOLOGY ? 2 : 1;
	rc = ag_data_init(&rt);
	if (rc < 0) {
		int code = rt.exit_code ? rt.exit_code :
			   rc == -DM_ECONFIG || rc == -DM_ETOPOLOGY ? 2 : 1;
		rt_close(&rt);
		return code;
	}
	rt_running(&rt);

	while (!rt_done(&rt))
		rt_idle(&rt, rt_work(&rt));

	ag_data_close(&rt);
	rt_close(&rt);
	return rt.exit_code; /* 2 after an input that could not be read */
}
