/*
 * dm-agent-risk — the risk agent process: the runtime loop around the
 * glue in agents/rt/ag_risk.c (agents.h, docs/agents.md).
 *
 *   dm-agent-risk [-c CONF] [--name SEG] [--run-dir DIR]
 *
 * Exit 0 after a clean drain, 1 on a runtime failure, 2 on bad usage or
 * configuration.
 */
#include "agents/rt/agents.h"

static struct rt rt;

int main(int argc, char **argv)
{
	struct rt_args a;
	int rc = rt_args_parse(&a, argc, argv, "risk");
	if (rc)
		return rc == 1 ? 0 : 2;

	rc = rt_open(&rt, AGENT_RISK, &a, AG_RISK_VERSION, sizeof(struct riskd_state), 0);
	if (rc < 0)
		return rc == -DM_ECONFIG || rc == -DM_ETOPOLOGY ? 2 : 1;
	rc = ag_risk_init(&rt);
	if (rc < 0) {
		rt_close(&rt);
		return rc == -DM_ECONFIG || rc == -DM_ETOPOLOGY ? 2 : 1;
	}
	rt_running(&rt);

	while (!rt_done(&rt))
		rt_idle(&rt, rt_work(&rt));

	ag_risk_close(&rt);
	rt_close(&rt);
	return 0;
}
