/*
 * dm-agent-data — the data agent process: one line over rt_main
 * (agents/rt/runtime.h) with its descriptor ag_data (agents/rt/agents.c);
 * the glue is agents/rt/ag_data.c (agents.h, docs/agents.md).
 *
 *   dm-agent-data [-c CONF] [--name SEG] [--run-dir DIR] [--input FILE]
 *
 * Exit 0 after a clean drain, 1 on a runtime failure, 2 on bad usage or
 * configuration, or an input it cannot open or read, or whose instrument
 * is not the configured one (one line names the file and the cause).
 */
#include "agents/rt/agents.h"

int main(int argc, char **argv) { return rt_main(argc, argv, &ag_data); }
