/*
 * feat_config.c — the features: section of the configuration, as a key
 * table over struct feat_params (features.h, cfg.h).  The ranges are the
 * YAML's; feat_params_check, which has the last word, is the engine's.
 */
#include <stddef.h>

#include "libcore/config/cfg.h"
#include "libcore/features/features.h"

static const char *const clock_names[] = {
	[FEAT_CLOCK_AUTO] = "auto", [FEAT_CLOCK_EXCH] = "exchange",
	[FEAT_CLOCK_RECV] = "receive",
};

#define FEAT_U32(nm, fld, lo, hi, hlp) \
	CFG_U32(nm, struct feat_params, fld, lo, hi, NULL, 0, hlp)
#define FEAT_DEC(nm, fld, lo, hi, hlp) \
	CFG_DEC_F64(nm, struct feat_params, fld, lo, hi, hlp)

static const struct cfg_key hawkes_keys[] = {
	FEAT_DEC("mu_buy", mu_buy, 0, 1000000LL * CFG_DEC_SCALE,
	         "baseline intensity of buyer-initiated trades, 1/s"),
	FEAT_DEC("mu_sell", mu_sell, 0, 1000000LL * CFG_DEC_SCALE,
	         "baseline intensity of seller-initiated trades, 1/s"),
	FEAT_DEC("alpha", alpha, 0, 100LL * CFG_DEC_SCALE, "branching ratio"),
	FEAT_DEC("beta", beta, 1, 1000000LL * CFG_DEC_SCALE, "kernel decay, 1/s"),
	CFG_KEY_END
};

static const struct cfg_key macd_keys[] = {
	FEAT_U32("fast", macd_fast, 1, 100000, "fast EMA period, updates"),
	FEAT_U32("slow", macd_slow, 1, 100000, "slow EMA period, updates"),
	FEAT_U32("signal", macd_signal, 1, 100000, "signal EMA period, updates"),
	CFG_KEY_END
};

static const struct cfg_key bollinger_keys[] = {
	FEAT_U32("window", boll_n, 1, 100000, "mids in the bands' window"),
	FEAT_DEC("k", boll_k, 1, 100LL * CFG_DEC_SCALE,
	         "band half-width in standard deviations"),
	CFG_KEY_END
};

static const struct cfg_key fracdiff_keys[] = {
	FEAT_DEC("d", fd_d, 0, 2LL * CFG_DEC_SCALE, "order of differencing"),
	FEAT_DEC("threshold", fd_thresh, 1, CFG_DEC_SCALE, "smallest |weight| kept"),
	CFG_KEY_END
};

const struct cfg_key feat_cfg_keys[] = {
	FEAT_U32("levels", levels, 1, 20, "book levels per side, L"),
	FEAT_U32("ofi_window", w_ofi, 1, 100000, "OFI window, updates"),
	FEAT_U32("vol_window", w_vol, 1, 100000, "realized volatility window, updates"),
	FEAT_U32("velocity_lag", vel_k, 1, 100000, "velocity/accel lag K, updates"),
	FEAT_U32("liquidity_window", w_liq, 1, 100000, "Kyle/Amihud window, intervals"),
	FEAT_U32("rsi_period", rsi_n, 1, 100000, "Wilder RSI period, changes"),
	CFG_MAP("hawkes", 0, hawkes_keys, "Hawkes intensity parameters"),
	CFG_MAP("macd", 0, macd_keys, "MACD periods"),
	CFG_MAP("bollinger", 0, bollinger_keys, "Bollinger bands"),
	CFG_MAP("fracdiff", 0, fracdiff_keys, "fixed-width fractional difference"),
	CFG_ENUM("clock", struct feat_params, clock, clock_names, "clock", 0,
	         "which event time the features use"),
	CFG_KEY_END
};
