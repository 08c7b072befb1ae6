/*
 * view.h — all that a tool may know of the agents: the one header of
 * agents/rt/ that tools/ include (docs/architecture.md, `make layering`).
 *
 * A tool that creates the segment needs its shape, which the agents define
 * (topology.h: the six agents, the configured rings, the user area, the
 * segment's name); a tool that reads the agents' state needs to know where
 * each agent keeps it in the user area and how to show it (dump.h), and
 * the same as Prometheus text (metrics.h, dm-exporter).  All are
 * read-only views of the system; nothing here runs an agent.  Tools link
 * only these parts (build/lib/libdm_view.a: topology.o, dump.o,
 * metrics.o, control.o), never the runtime.
 */
#ifndef DM_AGENTS_RT_VIEW_H
#define DM_AGENTS_RT_VIEW_H

#include "agents/rt/dump.h"
#include "agents/rt/metrics.h"
#include "agents/rt/topology.h"

#endif /* DM_AGENTS_RT_VIEW_H */
