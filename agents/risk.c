/*
 * dm-agent-risk — the risk agent process: one line over rt_main
 * (agents/rt/runtime.h) with its descriptor ag_risk (agents/rt/agents.c);
 * the glue is agents/rt/ag_risk.c (agents.h, docs/agents.md).
 *
 *   dm-agent-risk [-c CONF] [--name SEG] [--run-dir DIR]
 *
 * Exit 0 after a clean drain, 1 on a runtime failure, 2 on bad usage or
 * configuration.
 */
#include "agents/rt/agents.h"

int main(int argc, char **argv) { return rt_main(argc, argv, &ag_risk); }
