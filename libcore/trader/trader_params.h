/*
 * trader_params.h — the parameters of every module of the trading path,
 * made from one configuration, for every host of those modules: the agents
 * (agents/rt/ag_*.c) and the in-process host (trader.h, dm-backtest).
 *
 * Design note.  Two hosts that must decide alike must run their modules
 * with equal parameters; the only way to be sure is that both get them
 * from the same functions.  Each function below turns the configuration's
 * keys into one module's parameter struct and checks them with the
 * module's own check; an error is one line naming the key.  Host-specific
 * values (a voter's role, the heartbeat interval, the state block's
 * fixed room) are arguments.  Start-up code: may read files (the risk
 * limits, a latency file is only resolved here, read by the module).
 */
#ifndef DM_LIBCORE_TRADER_PARAMS_H
#define DM_LIBCORE_TRADER_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/config/config.h"
#include "libcore/coord/coord.h"
#include "libcore/execsvc/execsvc.h"
#include "libcore/featd/featd.h"
#include "libcore/model/flat.h"
#include "libcore/riskd/riskd.h"
#include "libcore/strategy/strategy.h"
#include "libcore/trader/trader.h"
#include "libcore/vote/role.h"

/* The feature voter: features: (prices in points, sizes in contracts),
 * quality:, the clock of features.clock (auto = the exchange time).
 * 0 or -DM_ECONFIG. */
int trader_featd_params(const struct dm_config *cfg, uint16_t voter, struct featd_params *p,
			char *err, size_t errlen);

/* The live strategy: strategy: and the instrument's tick; its kind, and
 * for a market maker strategy.mm: with the session close and UTC offset of
 * instrument: (its horizon), A and k read here from the dm-study JSON
 * strategy.mm.fill names, if any.  model (len bytes) receives the model
 * file resolved against the configuration's directory, "" when
 * strategy.model is "" (primary rule alone).  0 or -DM_ECONFIG. */
int trader_strategy_params(const struct dm_config *cfg, struct strategy_params *p,
			   char *model, size_t len, char *err, size_t errlen);

/*
 * Load the meta-model file path for the live strategy: XGBoost's C API
 * loads it, model_check_live checks it against the live strategy (target,
 * objective, feature names in order; another instrument only warns), it is
 * flattened and checked against XGBoost's own margins on 4000 rows
 * (tolerance 1e-6).  why (whylen) receives one line either way.  Returns
 * 0 (or MODEL_CHECK_WARN) with the flattened model in *out (flat_free it),
 * or a negative error.
 */
int trader_model_load(const struct dm_config *cfg, const char *path, struct flat **out,
		      char *why, size_t whylen);

/* The voters' roles (enum dm_role, libcore/vote/role.h), in ballot order
 * (risk, execution, feature, data, ml). */
extern const uint32_t trader_voter_order[5];

/*
 * The roles (bit 1 << enum dm_role) that get each intent from ml itself and
 * vote on it without a request: with vote.fanout, the voters among risk,
 * execution and feature, unless execution.child_max_qty cuts intents into
 * children (each voted on by request).  0: every vote is requested.  The
 * ml agent's rings out, the voters' rings in and the coordinator's
 * coord_params.fanout all follow it.  Pure.
 */
uint32_t trader_fanout_roles(const struct dm_config *cfg);

/*
 * The coordinator: vote: and coordinator: of the configuration, quorum and
 * deadline_ns overriding vote.quorum / vote.deadline_us when given (NULL /
 * 0: the configuration's), self its role (ROLE_COORDINATOR), health_ns the
 * health check interval.  0 or -DM_ECONFIG.
 */
int trader_coord_params(const struct dm_config *cfg, uint32_t self, int64_t health_ns,
			const char *quorum, int64_t deadline_ns, struct coord_params *p,
			char *err, size_t errlen);

/* The risk voter: the limits file of risk.limits (read here), the
 * instrument and its calendar.  0 or the error of the part refused. */
int trader_riskd_params(const struct dm_config *cfg, uint16_t voter, struct riskd_params *p,
			char *err, size_t errlen);

/*
 * The execution service: execution: and venue: (the latency file resolved
 * against the configuration's directory), table_cap slots, venue_room
 * bytes per venue copy (0: as small as the venue needs), double_venue as
 * the host needs it.  0 or -DM_ECONFIG.
 */
int trader_execsvc_params(const struct dm_config *cfg, uint16_t voter, uint32_t table_cap,
			  uint64_t venue_room, uint32_t double_venue,
			  struct execsvc_params *p, char *err, size_t errlen);

/*
 * The instrument an input holds (feed_resolve's: a journal's header, a
 * LOBSTER or Binance file's own, MT5 and NEG the configured one) against
 * the configured one: the same symbol (or a contract of the configured
 * root: WING22 for WIN), tick and lot.  0, or -DM_ECONFIG with one line in
 * err naming both and the fix.
 */
struct feed_instr;
int trader_instr_check(const struct dm_config *cfg, const struct feed_instr *in, char *err,
		       size_t errlen);

/*
 * Every module's parameters for the in-process host (trader.h): the
 * functions above with the roles (role.h) as voters, the coordinator's
 * health check every 50 ms of market time, a 1024-slot order table and
 * one venue copy (double_venue 0), decision and order ids from epoch.
 * model (len bytes) receives the model file as trader_strategy_params.
 * 0 or a negative error with one line in err.
 */
int trader_params_from_config(const struct dm_config *cfg, uint64_t epoch,
			      struct trader_params *p, char *model, size_t len,
			      char *err, size_t errlen);

#endif /* DM_LIBCORE_TRADER_PARAMS_H */
