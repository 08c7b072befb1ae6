/*
 * exec_config.c — the execution: section of the configuration, as a key
 * table over struct exec_cfg (exec.h, cfg.h).
 */
#include <stddef.h>

#include "libcore/config/cfg.h"
#include "libcore/exec/exec.h"

#define EX_DBL(nm, fld, hlp) \
	CFG_DBL(nm, struct exec_cfg, fld, 0, 1000000LL * CFG_DEC_SCALE, hlp)

static const char *const passive_names[] = { [EXEC_PASSIVE_OFF] = "off",
					     [EXEC_PASSIVE_AUTO] = "auto" };

static const struct cfg_key exec_impact_keys[] = {
	EX_DBL("eta", ac_eta, "temporary impact, ticks per contract per contract of a child"),
	EX_DBL("gamma", ac_gamma, "permanent impact, ticks per contract"),
	EX_DBL("sigma", ac_sigma, "volatility of the mid, ticks per sqrt(second)"),
	EX_DBL("risk_aversion", ac_lambda, "Almgren-Chriss lambda, 1 / tick"),
	CFG_KEY_END
};

static const struct cfg_key exec_passive_keys[] = {
	CFG_DUR("horizon", struct exec_cfg, passive_horizon_ns, 1000000LL,
		86400LL * 1000000000LL, "the signal's horizon; a resting order is cancelled after it"),
	CFG_DBL("move_ticks", struct exec_cfg, passive_move, -1000000LL * CFG_DEC_SCALE,
		1000000LL * CFG_DEC_SCALE, "the signal's expected move its way over the horizon, ticks"),
	EX_DBL("fill_a", passive_a, "aggressive orders per second reaching the mid, one side"),
	EX_DBL("fill_k", passive_k, "decay of the fill intensity, 1 / tick"),
	EX_DBL("order_lots", passive_lots, "lots one aggressive order takes; 0 = 1"),
	CFG_KEY_END
};

const struct cfg_key exec_cfg_keys[] = {
	CFG_U32("max_inflight", struct exec_cfg, max_inflight, 1, 1024, NULL, 0,
	        "orders sent and not yet acknowledged"),
	CFG_U32("max_open", struct exec_cfg, max_open, 1, 1024, NULL, 0, "live orders"),
	CFG_U32("ack_timeout_ms", struct exec_cfg, ack_timeout_ms, 1, 600000, NULL, 0,
	        "unacknowledged this long: ask the venue, ms"),
	CFG_U32("child_max_qty", struct exec_cfg, child_max_qty, 0, 100000, NULL, 0,
	        "intents larger than this are cut into child orders; 0 = never"),
	CFG_DUR("child_horizon", struct exec_cfg, child_horizon_ns, 1000000LL,
		86400LL * 1000000000LL, "time the child orders of one intent are spread over"),
	CFG_MAP("impact", 0, exec_impact_keys, "Almgren-Chriss model of the child orders"),
	CFG_ENUM("passive", struct exec_cfg, passive, passive_names, "passive mode", 0,
	         "off: cross the spread (IOC); auto: cross or rest at the touch per intent"),
	CFG_MAP("passive_model", 0, exec_passive_keys, "the passive rule's model"),
	CFG_STR("study", struct exec_cfg, study, NULL, 0,
	        "a dm-study --json file: its impact and fill figures for the keys left at 0"),
	CFG_KEY_END
};
