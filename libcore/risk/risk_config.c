/*
 * risk_config.c — the risk limits file (conf/risk.yaml) as a key table over
 * struct risk_cfg (risk.h, cfg.h): every key required.  config_load_risk
 * (libcore/config/config.h) loads it; risk_cfg_check has the last word.
 */
#include <stddef.h>

#include "libcore/config/cfg.h"
#include "libcore/risk/risk.h"

#define RISK_I64(nm, fld, lo, hi, hlp) \
	CFG_I64(nm, struct risk_cfg, fld, lo, hi, NULL, CFG_REQUIRED, hlp)
#define RISK_U32(nm, fld, lo, hi, hlp) \
	CFG_U32(nm, struct risk_cfg, fld, lo, hi, NULL, CFG_REQUIRED, hlp)
#define RISK_MONEY(nm, fld, lo, hlp) \
	CFG_DECF(nm, struct risk_cfg, fld, lo, 1000000000LL * CFG_DEC_SCALE, CFG_REQUIRED, hlp)

static const struct cfg_key risk_rate_keys[] = {
	RISK_U32("per_second", rate_per_s, 1, 1000000, "token bucket refill, orders per second"),
	RISK_U32("burst", rate_burst, 1, 1000000, "token bucket capacity, orders"),
	CFG_KEY_END
};

static const struct cfg_key risk_kill_keys[] = {
	CFG_BOOL("flatten", struct risk_cfg, kill_flatten, CFG_REQUIRED,
	     "the kill switch also flattens the position"),
	CFG_U32("flatten_slices", struct risk_cfg, flatten_slices, 1, AC_MAX_SLICES, NULL, 0,
	        "orders the flatten is spread over (Almgren-Chriss); default 1, all at once"),
	CFG_DUR("flatten_horizon", struct risk_cfg, flatten_horizon_ns, 1000000LL,
	        86400LL * 1000000000LL, "time the flatten is spread over (needed with slices > 1)"),
	CFG_DEC_F64("flatten_eta", struct risk_cfg, flatten_eta, 0, 1000000LL * CFG_DEC_SCALE,
	            "temporary impact, ticks per contract per contract of a slice; 0 = straight line"),
	CFG_DEC_F64("flatten_gamma", struct risk_cfg, flatten_gamma, 0, 1000000LL * CFG_DEC_SCALE,
	            "permanent impact, ticks per contract"),
	CFG_DEC_F64("flatten_sigma", struct risk_cfg, flatten_sigma, 0, 1000000LL * CFG_DEC_SCALE,
	            "volatility of the mid, ticks per sqrt(second)"),
	CFG_DEC_F64("flatten_risk_aversion", struct risk_cfg, flatten_lambda, 0,
	            1000000LL * CFG_DEC_SCALE, "Almgren-Chriss lambda, 1 / tick"),
	CFG_KEY_END
};

const struct cfg_key risk_cfg_keys[] = {
	RISK_I64("max_position", max_position, 1, 100000,
	         "|position| any fill of an order could leave, contracts"),
	RISK_I64("max_order_qty", max_order_qty, 1, 100000, "contracts per order"),
	{ .name = "order_rate", .type = CFG_K_MAP, .flags = CFG_REQUIRED, .sub = risk_rate_keys,
	  .help = "order rate token bucket" },
	RISK_I64("price_collar_ticks", collar_ticks, 1, 1000000,
	         "|limit price - mid| allowed, ticks"),
	CFG_STR("currency", struct risk_cfg, currency, cfg_check_currency, CFG_REQUIRED,
	    "currency of the money limits; must be instrument.currency"),
	RISK_MONEY("daily_loss", daily_loss_e6, 1, "daily loss limit, in currency"),
	RISK_MONEY("max_drawdown", max_drawdown_e6, 1,
	           "drawdown from the day's peak net P&L, in currency"),
	RISK_MONEY("reducing_at_loss", reducing_at_e6, 0,
	           "loss from which only reducing orders pass, in currency; 0 = never"),
	RISK_U32("stale_data_ms", stale_data_ms, 1, 3600000, "market data older than this, ms"),
	CFG_BOOL("enforce_session", struct risk_cfg, enforce_session, CFG_REQUIRED,
	     "refuse orders outside the exchange session"),
	{ .name = "kill_switch", .type = CFG_K_MAP, .flags = CFG_REQUIRED, .sub = risk_kill_keys,
	  .help = "kill switch behaviour" },
	CFG_KEY_END
};

