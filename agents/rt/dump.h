/*
 * dump.h — the agents' restart-surviving state (state.h, agents.h) as
 * JSON or text, for dm-shmdump and the supervisor: per agent its flags
 * and progress, the position and P&L, the vote counters by reason, and
 * the most recent decisions with every vote.
 *
 * Reads a mapped segment (read-only is enough) without stopping anyone:
 * figures may come from slightly different instants, and a record being
 * written at that moment may show half old, half new.  Allocates (jansson);
 * tools only, never an agent's work loop.
 */
#ifndef DM_AGENTS_RT_DUMP_H
#define DM_AGENTS_RT_DUMP_H

#include <jansson.h>
#include <stdio.h>

#include "shm/seg.h"

/* A new JSON object {"agents": {name: {...}}, "decisions": [...]}; the
 * caller owns it (json_decref).  Regions not yet initialised show as
 * {"state": "none"}. */
json_t *rt_dump_json(const struct seg *s);

/* The same as a few human-readable lines. */
void rt_dump_text(const struct seg *s, FILE *f);

#endif /* DM_AGENTS_RT_DUMP_H */
