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
#include "libcore/quality/quality.h"
#include "libcore/risk/risk.h"
#include "libcore/coord/coord.h"
#include "libcore/market/calendar.h"
#include "libcore/market/instrument.h"
#include "libcore/riskd/riskd.h"
#include "libcore/strategy/strategy.h"
#include "libcore/label/primary.h"
#include "libcore/model/bet.h"
#include "libcore/model/flat.h"
#include "libcore/model/xgb.h"
#include "libcore/exec/exec.h"
#include "libcore/execsvc/execsvc.h"
#include "libcore/venue/venue.h"
#include "libcore/market/book.h"
#include "libcore/features/features.h"
#include "libcore/featd/featd.h"
#include "libcore/vote/vote.h"
#include "libcore/msg/msg.h"
#include "libcore/trader/trader_params.h"

/* ------------------------------------------------ parameters (constants)
 * The configurable ones are in conf/default.yaml (vote, coordinator, data,
 * quality, strategy, execution, venue, risk); these are internal. */
#define AG_COORD_BALLOTS        COORD_BALLOTS /* decisions in flight (libcore/coord) */
/* A journal that cannot write is retried this often (journal_retry: one
 * write of what it holds) until it writes again. */
#define AG_JOURNAL_RETRY_NS     (100ll * 1000000)

/* Journal files in the run directory */
#define AG_DECISIONS_JOURNAL "decisions.journal" /* coordinator: JREC_DECISION */
#define AG_ORDERS_JOURNAL    "orders.journal"    /* execution: JREC_ORDER, JREC_EXEC */
#define AG_DATA_DONE_FILE    "data.done"         /* data: replay finished */
#define AG_RISK_FINAL_FILE   "risk.final"        /* risk: position and P&L at exit,
						  * "key value" lines (docs/agents.md) */

/* ------------------------------------------------ app areas */

#define AG_DATA_VERSION 3u
struct ag_data_state {
	uint64_t events;      /* events fully published: a restart resumes after them */
	uint64_t books, trades;
	uint32_t done;        /* 1 once the input is exhausted or a read
			       * error stopped it (input_error) */
	uint32_t pace;        /* enum replay_pace of the replay (max, realtime,
			       * lockstep): max and realtime depend on the
			       * machine's speed once books are conflated */
	int64_t  done_ns;
	uint64_t bad_rows;    /* input rows the reader skipped (feed_stats.skipped) */
	uint64_t first_bad_line; /* line of the first of them, 0 = none */
	uint32_t input_error; /* 1: the input was refused at open (done 0) or the
			       * replay stopped on a read error (done 1) */
	uint32_t has_input;   /* 1: an --input is being replayed */
	char     input_error_text[192]; /* its message, one line */
	int64_t  last_exch_ns; /* exchange time of the newest event published */
	uint64_t end_mask;    /* md rings (by output order) that have MSG_END */
	uint32_t end_sent;    /* 1 once every md ring has MSG_END */
	uint32_t pad;
};

/* The data agent's state as a new JSON object for monitors (caller owns
 * it, json_decref): "replay" ("no input", "replaying", "done", "stopped"
 * when an input error cut the replay short, "refused" when the input was
 * refused at open), "input_error" (that error's message, or null),
 * "events", "books", "trades", "replay_done" (true once the input was
 * replayed to its end, false when an error stopped it), "bad_rows",
 * "first_bad_line", "pace", "has_input", "market_time_ns" (exchange time
 * of the newest event published, 0 before one).  The other agents' states dump themselves
 * (coord_dump_json, execsvc_dump_json, ...).  Reads without a lock.
 * Allocates: tools and tests (agents/rt/dump.c). */
struct json_t;
struct json_t *ag_data_dump_json(const struct ag_data_state *d);

/* feature: the app area is the feature voter's block (libcore/featd) */
#define AG_FEATURE_VERSION FEATD_VERSION

/* ml: the app area is the live strategy's state (libcore/strategy) */
#define AG_ML_VERSION STRATEGY_VERSION

/*
 * Execution's app area is the state block of the execution service
 * (libcore/execsvc/execsvc.h: its header, the order table of
 * AG_EXEC_TABLE_CAP slots, two copies of the venue simulator of
 * AG_EXEC_VENUE_MAX bytes each, flipped by venue_cur so a kill -9 leaves
 * the venue before or after a step, never half-way).  ag_exec_init
 * refuses a build whose service layout differs from these offsets;
 * readers go through execsvc_table_of / execsvc_venue_of (execsvc_dump_json).
 */
#define AG_EXEC_VERSION   6u
#define AG_EXEC_TABLE_CAP 1024u
#define AG_EXEC_TABLE_OFF EXECSVC_TABLE_OFF
#define AG_EXEC_VENUE_OFF (AG_EXEC_TABLE_OFF + (128u << 10))
#define AG_EXEC_VENUE_MAX (256u << 10)
#define AG_EXEC_APP_SIZE  (AG_EXEC_VENUE_OFF + 2 * AG_EXEC_VENUE_MAX)
_Static_assert(AG_EXEC_APP_SIZE <= RT_APP_SIZE, "execution's app area fits");

/* risk: the app area is the risk voter's state (libcore/riskd) */
#define AG_RISK_VERSION RISKD_VERSION

/*
 * The coordinator's app area is the coordinator module's restart-surviving
 * state (libcore/coord/coord.h, struct coord_state: counters, ballots,
 * the last decisions).
 */
#define AG_COORD_VERSION 7u
#define AG_COORD_RECENT  COORD_RECENT /* decisions kept for dm-shmdump */
enum ag_ballot_state {
	AG_B_FREE = COORD_B_FREE, AG_B_OPEN = COORD_B_OPEN, AG_B_DECIDED = COORD_B_DECIDED
};

_Static_assert(sizeof(struct ag_data_state) <= RT_APP_SIZE, "data state fits");

_Static_assert(sizeof(struct featd_state) <= RT_APP_SIZE, "feature state fits");
_Static_assert(sizeof(struct strategy_state) <= RT_APP_SIZE, "ml state fits");
_Static_assert(sizeof(struct riskd_state) <= RT_APP_SIZE, "risk state fits");
_Static_assert(sizeof(struct coord_state) <= RT_APP_SIZE, "coordinator state fits");

/* ------------------------------------------------ the six agents
 * What each agents/<name>.c hands rt_main (agents.c): name, registry
 * slot, app struct, its own options, init and close. */
extern const struct rt_agent ag_coordinator, ag_data, ag_feature, ag_ml, ag_execution,
	ag_risk;

/* The data agent's own options (ag_data.opts, in this order): the
 * runtime parses them and hands their text over in rt_args.opt[]. */
enum {
	AG_DATA_OPT_INPUT,        /* --input FILE */
	AG_DATA_OPT_FORMAT,       /* --format F */
	AG_DATA_OPT_EXIT_AT_END,  /* --exit-at-end */
	AG_DATA_OPT_PACE,         /* --pace max|realtime|lockstep */
	AG_DATA_OPT_SPEED,        /* --speed X */
	AG_DATA_OPT_LIVE,         /* --live mt5 (ag_data_mt5.c) */
	AG_DATA_NOPTS
};
_Static_assert(AG_DATA_NOPTS <= RT_MAX_OPTS, "the runtime holds the data agent's options");
extern const struct rt_opt ag_data_opts[AG_DATA_NOPTS];
extern const char ag_data_synopsis[], ag_data_help[];
/* --pace and --speed make sense (before anything is opened): 0, or
 * -EINVAL after one line on stderr. */
int  ag_data_check_opts(const struct rt_args *a);

/* ------------------------------------------------ init / close
 * Called by rt_main between rt_open and rt_running, and before
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

/*
 * A voter's ring of intents from ml (intents_<agent>), when the vote fans
 * intents out to its role (trader_fanout_roles): its input index; -1 when
 * it does not (the coordinator asks for its votes); -DM_ETOPOLOGY (logged)
 * when the ring is missing.
 */
int ag_intents_in(struct rt *rt);

/* Open a journal in the run directory for appending (pwrite, no io_uring:
 * a record flushed with journal_flush is in the page cache before the
 * next message goes out, so it survives a kill -9), with buffers of
 * buf_size bytes (0: 64 KiB), and name it as the agent's journal
 * (rt_journal_name). */
struct journal_writer;
int ag_journal_open(struct rt *rt, struct journal_writer *w, const char *file,
		    uint32_t buf_size);

#endif /* DM_AGENTS_RT_AGENTS_H */
