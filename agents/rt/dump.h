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

/*
 * A new JSON object {"agents": {name: {...}}, "decisions": [...]}; the
 * caller owns it (json_decref).  Each agent's object holds the runtime's
 * part ("halted", "kill_switch", "opens", "dup_skipped", "command",
 * "latency") and, when its app area holds the layout of this build, the
 * keys of its module's dump (coord_dump_json, execsvc_dump_json,
 * riskd_dump_json, featd_dump_json, strategy_dump_json,
 * ag_data_dump_json); an agent's "recent" decisions become the
 * document's "decisions", oldest first.  Regions not yet initialised
 * show as {"state": "none"}.
 */
json_t *rt_dump_json(const struct seg *s);

/*
 * The app area of agent a (enum agent_id of topology.h) when it holds the
 * layout of this build (the test rt_dump_json makes), else NULL; *size
 * (may be NULL) gets its bytes.  For a tool that reads a module's state
 * itself through the module's own header (dm-audit: the execution
 * agent's struct execsvc_state, its venue's orders and fills; the risk
 * agent's struct riskd_state).  Read-only; the figures may change under
 * the reader.  No allocation.
 */
const void *rt_app_view(const struct seg *s, uint32_t a, size_t *size);

/* The same for people: the system line, one "name  key value, ..." block
 * per agent, the latency table and the last few decisions. */
void rt_dump_text(const struct seg *s, FILE *f);

/*
 * The paper-trading summary: events and bad input rows, feature vectors
 * dropped by data quality (by reason), ML sides scored, below min_prob and
 * with a bet size of 0, intents and mean probability, conflated messages
 * (per ring and total), decisions approved and rejected by reason, orders,
 * fills, position (final and largest), P&L in the instrument's currency
 * (exact in the "pnl_e9" object: currency x 10^9) gross and net of fees beside the same P&L recomputed from the venue's
 * own fill sums, tick-to-order p50/p99/p99.9, then one WARNING line per
 * non-zero loss counter (JSON: "warnings"), and one saying that a run
 * paced max or realtime (conflated or not) depends on the machine's speed.
 * JSON fields other tools read: "no_events" (true: nothing handled),
 * "machine_speed_dependent", "currency", "conflated", "warnings".
 */
json_t *rt_summary_json(const struct seg *s);
void rt_summary_text(const struct seg *s, FILE *f);

/* The pace of a run hosted in one process (dm-backtest): reproducible. */
#define RT_PACE_IN_PROCESS "in-process"

/*
 * The same summary (without "system"; no ring, so nothing conflated; no
 * latency measured) of a run whose modules were hosted in process, from
 * their dumps: data as ag_data_dump_json's keys ("events", "books",
 * "trades", "replay_done", "bad_rows", "first_bad_line", "pace",
 * "input_error": a replay stopped by it is no result), ml strategy_dump_json, coord coord_dump_json, exec
 * execsvc_dump_json, risk riskd_dump_json.  Takes the five references
 * (any may be NULL).  The caller owns the result.
 */
json_t *rt_summary_of_dumps(json_t *data, json_t *ml, json_t *coord, json_t *exec,
			    json_t *risk);

/* One progress line of the same figures. */
void rt_progress_text(const struct seg *s, FILE *f);

/*
 * Whether the run is a result.  Returns 0, or 1 with one line in why
 * (n bytes) when it is not: the data agent handled no event, the replay
 * stopped on an input error, the ml agent scored nothing for want of a
 * verified model, or data-quality flags dropped most feature vectors (the
 * run ignored most of its input).  dm-shmdump --summary then exits 1.
 */
int rt_summary_verdict(const struct seg *s, char *why, size_t n);

/*
 * The system in one line: state TRADING | HALTED | KILL_SWITCH | DOWN
 * (coordinator not running), why (operator, agents down: ..., latched),
 * position, P&L (net, realized, unrealized, fees) in the instrument's
 * currency.
 *   rt_system_json    {"state","reason","position","symbol","currency",
 *                      "net","realized","unrealized","fees"}
 *   rt_system_fields  machine form, one line of space-separated columns in
 *                     this order (the reason last: it may hold spaces):
 *                     STATE POSITION NET REALIZED UNREALIZED FEES CURRENCY
 *                     SYMBOL REASON ("-" when none)
 *   rt_system_text    for people: "TRADING  position 0 WIN  P&L net ..."
 */
json_t *rt_system_json(const struct seg *s);
void rt_system_fields(const struct seg *s, FILE *f);
void rt_system_text(const struct seg *s, FILE *f);

/*
 * The answer to the last operator command agent handled (state.h, struct
 * rt_cmd_ack).  rt_command_fields prints one line "SEQ CMD OUTCOME TEXT"
 * (OUTCOME none | ok | refused | failed; TEXT the rest of the line, "-"
 * when empty) and returns 0, or -1 when the agent's region is not set up.
 * rt_command_json: {"agent","seq","cmd","outcome","text"}, or NULL.
 */
int rt_command_fields(const struct seg *s, uint32_t agent, FILE *f);
json_t *rt_command_json(const struct seg *s, uint32_t agent);

/*
 * The agents' journal alarms (state.h, struct rt_journal_alarm): of every
 * agent that has a journal, {"agent", "file", "failing", "error" (errno
 * text, null before any failure), "errno", "failures", "episodes",
 * "first_failure_ns", "last_failure_ns", "cleared_ns"}; rt_dump_json
 * shows each under its agent as "journal", and the document's "alarms"
 * lists the failing ones.  rt_alarms_text prints one line per journal
 * that fails now, and one while the coordinator still halts for a journal
 * that writes again ("... 'dmctl resume' resumes trading"); returns how
 * many lines (0: no alarm).
 */
json_t *rt_journal_json(const struct seg *s, uint32_t agent);
int rt_alarms_text(const struct seg *s, FILE *f);

/*
 * Testing: arm the fault point `point` of `agent` (names as dmctl takes
 * them: coordinator release, execution send; rt_fault_list) in that
 * agent's state region of s, which must be mapped writable.  The agent
 * disarms it and kills itself (SIGKILL) when it next passes the point
 * (runtime.h, rt_fault_point); the supervisor restarts it.  0, or -EINVAL
 * (unknown agent or point) / -ENOENT (region not set up) with one line in
 * err (n bytes).  Writes one word of the segment.
 */
int rt_fault_arm(const struct seg *s, const char *agent, const char *point, char *err,
		 size_t n);
const char *rt_fault_list(void);

#endif /* DM_AGENTS_RT_DUMP_H */
