/*
 * agents.h — the six agents' glue between the rings and libcore: what each
 * keeps in its restart-surviving app area (state.h), the parameters that
 * are constants until the configuration grows keys for them, and the
 * init / close pair each thin main calls around the runtime loop.
 *
 * Rings are found by the names of conf/default.yaml (md_<agent>,
 * features, intents, vote_req_<voter>, votes_<voter>, orders,
 * reports_<agent>, positions, control_<agent>); a configuration that
 * renames them must keep these names, or the agent refuses to start and
 * says which ring it misses.
 *
 * Every app struct below has a version (AG_*_VERSION): change the layout,
 * bump the version; a segment holding another version is refused, never
 * reinterpreted.  docs/agents.md describes the flow and the semantics.
 */
#ifndef DM_AGENTS_RT_AGENTS_H
#define DM_AGENTS_RT_AGENTS_H

#include <stdint.h>

#include "agents/rt/runtime.h"
#include "libcore/agent/quality.h"
#include "libcore/risk/risk.h"
#include "libcore/riskd/riskd.h"
#include "libcore/strategy/strategy.h"
#include "libcore/calendar.h"
#include "libcore/instrument.h"
#include "libcore/label/primary.h"
#include "libcore/model/bet.h"
#include "libcore/model/flat.h"
#include "libcore/model/xgb.h"
#include "libcore/exec/exec.h"
#include "libcore/venue/venue.h"
#include "libcore/book.h"
#include "libcore/features/features.h"
#include "libcore/featd/featd.h"
#include "libcore/vote/vote.h"
#include "shm/msg.h"

/* ------------------------------------------------ parameters (constants)
 * The configurable ones are in conf/default.yaml (vote, data, quality,
 * strategy, execution, venue, risk); these are internal. */
#define AG_COORD_BALLOTS        64       /* decisions in flight */

/* Journal files in the run directory */
#define AG_DECISIONS_JOURNAL "decisions.journal" /* coordinator: JREC_DECISION */
#define AG_ORDERS_JOURNAL    "orders.journal"    /* execution: JREC_ORDER, JREC_EXEC */
#define AG_DATA_DONE_FILE    "data.done"         /* data: replay finished */
#define AG_RISK_FINAL_FILE   "risk.final"        /* risk: position and P&L at exit,
						  * "key value" lines (docs/agents.md) */

/* ------------------------------------------------ app areas */

#define AG_DATA_VERSION 2u
struct ag_data_state {
	uint64_t events;      /* events fully published: a restart resumes after them */
	uint64_t books, trades;
	uint32_t done;        /* 1 once the input is exhausted */
	uint32_t pace;        /* enum replay_pace of the replay (max, realtime,
			       * lockstep): max and realtime depend on the
			       * machine's speed once books are conflated */
	int64_t  done_ns;
	uint64_t bad_rows;    /* input rows the reader skipped (feed_stats.skipped) */
	uint64_t first_bad_line; /* line of the first of them, 0 = none */
	uint32_t input_error; /* 1: the replay stopped on a read error (exit 2) */
	uint32_t has_input;   /* 1: an --input is being replayed */
	char     input_error_text[192]; /* its message, one line */
};

/* feature: the app area is the feature voter's block (libcore/featd) */
#define AG_FEATURE_VERSION FEATD_VERSION

/* ml: the app area is the live strategy's state (libcore/strategy) */
#define AG_ML_VERSION STRATEGY_VERSION

/*
 * Execution's app area: this header, then the order table (libcore/exec,
 * AG_EXEC_TABLE_CAP slots), then two copies of the venue simulator
 * (libcore/venue; the simulated exchange, which outlives the process).
 * A venue step that can change an order or a report runs on a copy of the
 * current block, then venue_cur flips in one store, so a kill -9 leaves
 * the venue before or after the step, never half-way.
 */
#define AG_EXEC_VERSION   3u
#define AG_EXEC_TABLE_CAP 1024u
#define AG_EXEC_TABLE_OFF 4096u
#define AG_EXEC_VENUE_OFF (AG_EXEC_TABLE_OFF + (128u << 10))
#define AG_EXEC_VENUE_MAX (256u << 10)
#define AG_EXEC_APP_SIZE  (AG_EXEC_VENUE_OFF + 2 * AG_EXEC_VENUE_MAX)
struct ag_exec_state {
	uint64_t table_size, venue_size;
	_Atomic uint32_t venue_cur;   /* the venue copy in use, 0 or 1 */
	uint32_t have_book;
	int64_t  last_exch_ns;        /* exchange time of the newest market event */
	int64_t  last_md_ns;          /* local time it arrived */
	uint64_t votes, orders_in, dup_orders, refused, reports_out, fills_out;
	uint64_t venue_full, journal_errors, synthetic;
	int64_t  filled_qty;          /* signed contracts forwarded as fills */
};
_Static_assert(sizeof(struct ag_exec_state) <= AG_EXEC_TABLE_OFF, "exec header fits");
_Static_assert(AG_EXEC_APP_SIZE <= RT_APP_SIZE, "execution's app area fits");

/* risk: the app area is the risk voter's state (libcore/riskd) */
#define AG_RISK_VERSION RISKD_VERSION

enum ag_ballot_state { AG_B_FREE = 0, AG_B_OPEN, AG_B_DECIDED };

struct ag_ballot {
	uint32_t state;             /* enum ag_ballot_state */
	uint32_t pad;
	uint64_t client_order_id;   /* DECIDED (released, journaled): its order */
	struct msg_intent intent;
	struct vote_ballot b;
};

#define AG_COORD_RECENT 16u /* decisions kept for dm-shmdump */

#define AG_COORD_VERSION 3u
struct ag_coord_state {
	uint64_t run_id;            /* high bits of decision ids (segment creation s) */
	uint64_t next_decision;     /* last decision counter given out */
	uint64_t next_order;        /* last client order id given out */
	uint64_t decisions, released, blocked, orders_sent, late_votes;
	uint64_t by_reason[VOTE_R_COUNT];
	uint32_t down_mask;         /* agents whose heartbeat is stale */
	uint32_t pad;
	uint64_t reports, fills;
	uint64_t flatten_id;        /* decision of the flattening order in flight, 0 */
	uint64_t flattens;          /* flattening orders sent */
	int64_t  position;          /* last MSG_POSITION */
	int64_t  realized_e9;       /* last MSG_POSITION, instrument currency x 10^9 */
	struct ag_ballot ballot[AG_COORD_BALLOTS];
	uint64_t n_recent;          /* decisions written to recent[] so far */
	struct vote_record recent[AG_COORD_RECENT]; /* [n % AG_COORD_RECENT] */
};

_Static_assert(sizeof(struct ag_data_state) <= RT_APP_SIZE, "data state fits");
_Static_assert(sizeof(struct featd_state) <= RT_APP_SIZE, "feature state fits");
_Static_assert(sizeof(struct strategy_state) <= RT_APP_SIZE, "ml state fits");
_Static_assert(sizeof(struct riskd_state) <= RT_APP_SIZE, "risk state fits");
_Static_assert(sizeof(struct ag_coord_state) <= RT_APP_SIZE, "coordinator state fits");

/* ------------------------------------------------ init / close
 * Called by each main between rt_open and rt_running, and before
 * rt_close.  init returns 0 or a negative error after logging why. */
int  ag_data_init(struct rt *rt);
void ag_data_close(struct rt *rt);
int  ag_feature_init(struct rt *rt);
void ag_feature_close(struct rt *rt);
int  ag_ml_init(struct rt *rt);
void ag_ml_close(struct rt *rt);
/*
 * The ml agent's model check, with no process around it: load the model
 * file at path, check it against the live strategy of cfg
 * (model_check_live: target, objective, feature set; instrument), flatten
 * it and verify the flat form against XGBoost.  0, or MODEL_CHECK_WARN
 * (accepted; why holds the warning), with the verified block in *out
 * (flat_free it); or a negative error with one line in why saying why the
 * model is refused (*out untouched).  Allocates and runs XGBoost: start-up
 * and control code only, never per event.
 */
int  ag_ml_model_check(const struct dm_config *cfg, const char *path, struct flat **out,
		       char *why, size_t whylen);
/*
 * One line on the last model load or reload-model of this process: "model
 * FILE: trading it ...", "reload failed: FILE: the model was trained on
 * target 'label'; ... (keeping OLD)".  Static storage, rewritten by the
 * next load; "" before the first.  The ml agent's thread only.
 */
const char *ag_ml_model_outcome(void);
int  ag_exec_init(struct rt *rt);
void ag_exec_close(struct rt *rt);
int  ag_risk_init(struct rt *rt);
/* Load the risk limits file the configuration names (risk.limits, taken
 * as config_resolve does) and check its currency against the
 * instrument's (config_load_risk_for).  0 or -DM_ECONFIG with one
 * line in err naming file, line and key.  Start-up code and tools. */
int  ag_risk_load_limits(const struct dm_config *cfg, struct risk_cfg *out, char *err,
			 size_t errlen);
void ag_risk_close(struct rt *rt);
int  ag_coord_init(struct rt *rt);
void ag_coord_close(struct rt *rt);

/*
 * The currency of the instrument's prices and P&L ("BRL"), for what the
 * agents store and show.  The one place that decides it: the
 * configuration's instrument currency once it has one.  Any thread.
 */
const char *ag_currency(const struct dm_config *cfg);

/* Shared by the glue: the input / output called name, or log and fail. */
int ag_need_in(struct rt *rt, const char *name, uint32_t msg_size);
int ag_need_out(struct rt *rt, const char *name, uint32_t msg_size);

/* Open a journal in the run directory for appending (pwrite, no io_uring:
 * a record flushed with journal_flush is in the page cache before the
 * next message goes out, so it survives a kill -9). */
struct journal_writer;
int ag_journal_open(struct rt *rt, struct journal_writer *w, const char *file);

#endif /* DM_AGENTS_RT_AGENTS_H */
