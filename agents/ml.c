/*
 * dm-agent-ml — the ml agent process: the runtime loop around the
 * glue in agents/rt/ag_ml.c (agents.h, docs/agents.md).
 *
 *   dm-agent-ml [-c CONF] [--name SEG] [--run-dir DIR]
 *
 * Exit 0 after a clean drain, 1 on a runtime failure, 2 on bad usage or
 * configuration.
 */
#include "agents/rt/agents.h"

static struct rt rt;

int main(int argc, char **argv)
{
	struct rt_args a;
	int rc = rt_args_parse(&a, argc, argv, "ml");
	if (rc)
		return rc == 1 ? 0 : 2;

	rc = rt_open(&rt, AGENT_ML, &a, AG_ML_VERSION, sizeof(struct strategy_state), 0);
	if (rc < 0)
		return rc == -DM_ECONFIG || rc == -DM_ETOPOLOGY ? 2 : 1;
	rc = ag_ml_init(&rt);
	if (rc < 0) {
		rt_close(&rt);
		return rc == -DM_ECONFIG || rc == -DM_ETOPOLOGY ? 2 : 1;
	}
	rt_running(&rt);

	while (!rt_done(&rt))
		rt_idle(&rt, rt_work(&rt));

	ag_ml_close(&rt);
	rt_close(&rt);
	return 0;
}
