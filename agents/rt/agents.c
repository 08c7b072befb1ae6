/*
 * agents.c — the six agents as rt_main hosts them (agents.h): each
 * agents/<name>.c is `return rt_main(argc, argv, &ag_<name>);`.  Each
 * hosts the role of the same name (topology.h, rt_agent_role).
 */
#include "agents/rt/agents.h"

const struct rt_agent ag_coordinator = {
	.name = "coordinator", .id = AGENT_COORDINATOR,
	.app_version = AG_COORD_VERSION, .app_size = sizeof(struct coord_state),
	.init = ag_coord_init, .close = ag_coord_close,
};

const struct rt_agent ag_data = {
	.name = "data", .id = AGENT_DATA,
	.app_version = AG_DATA_VERSION, .app_size = sizeof(struct ag_data_state),
	.opts = ag_data_opts, .n_opts = AG_DATA_NOPTS,
	.synopsis = ag_data_synopsis, .help = ag_data_help,
	.check_opts = ag_data_check_opts,
	.init = ag_data_init, .close = ag_data_close,
};

const struct rt_agent ag_feature = {
	.name = "feature", .id = AGENT_FEATURE,
	.app_version = AG_FEATURE_VERSION, .app_size = sizeof(struct featd_state),
	.init = ag_feature_init, .close = ag_feature_close,
};

const struct rt_agent ag_ml = {
	.name = "ml", .id = AGENT_ML,
	.app_version = AG_ML_VERSION, .app_size = sizeof(struct strategy_state),
	.init = ag_ml_init, .close = ag_ml_close,
};

const struct rt_agent ag_execution = {
	.name = "execution", .id = AGENT_EXECUTION,
	.app_version = AG_EXEC_VERSION, .app_size = AG_EXEC_APP_SIZE,
	.init = ag_exec_init, .close = ag_exec_close,
};

const struct rt_agent ag_risk = {
	.name = "risk", .id = AGENT_RISK,
	.app_version = AG_RISK_VERSION, .app_size = sizeof(struct riskd_state),
	.init = ag_risk_init, .close = ag_risk_close,
};
