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

/*
 * The paper-trading summary: events, ML intents and mean probability,
 * decisions approved and rejected by reason, orders, fills, position (final
 * and largest), P&L in the instrument's currency gross and net of fees
 * (exact in the "pnl_e9" object: currency x 10^9) beside the same P&L
 * recomputed from the venue's own fill sums, tick-to-order p50/p99/p99.9.
 */
json_t *rt_summary_json(const struct seg *s);
void rt_summary_text(const struct seg *s, FILE *f);

/* One progress line of the same figures. */
void rt_progress_text(const struct seg *s, FILE *f);

#endif /* DM_AGENTS_RT_DUMP_H */
