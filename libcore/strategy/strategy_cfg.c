/*
 * strategy_cfg.c — the strategy: section of the configuration, as a key
 * table over struct strategy_cfg (strategy_cfg.h, cfg.h), and its defaults.
 */
#include <stddef.h>
#include <string.h>

#include "libcore/config/cfg.h"
#include "libcore/features/features.h"
#include "libcore/strategy/strategy_cfg.h"

void strategy_cfg_default(struct strategy_cfg *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->model, "../build/model/default.json");
	strcpy(c->primary_feature, "imb_1");
	c->threshold_e6 = CFG_DEC_SCALE * 6 / 10;
	c->min_prob_e6 = CFG_DEC_SCALE * 55 / 100;
	c->min_interval_ms = 1000;
	c->max_contracts = 1;
	c->invert = 0;
	c->kind = STRAT_TAKER;
	c->mm.gamma = 0.1;
	c->mm.k = 1.5;
	c->mm.a = 1.0;
	c->mm.qty = 1;
	c->mm.qmax = 5;
	c->mm.requote_ticks = 1;
	c->mm.horizon_s = 0;
	c->mm.vol_halflife_ns = 60ll * 1000000000;
	c->mm.sigma_prior = 0.5;
	c->mm.skew_ticks = 0;
	c->mm.ack_timeout_ns = 1000000000;
}

const char *const strategy_kind_names[STRAT_KIND_COUNT] = { "taker", "mm_as", "mm_glft" };

static const char *check_feature_name(const void *field)
{
	for (uint32_t i = 0; i < FEAT_N; i++)
		if (strcmp(feat_names[i], field) == 0)
			return NULL;
	return "is not a feature name (docs/features.md lists them)";
}

#define E6(x) ((int64_t)((x) * 1000000.0))
#define NS_S  1000000000ll

static const struct cfg_key mm_keys[] = {
	CFG_DBL("gamma", struct strategy_mm_cfg, gamma, 1, E6(1000),
	        "risk aversion, per tick"),
	CFG_DBL("k", struct strategy_mm_cfg, k, 1, E6(1000),
	        "fill intensity decay, per tick (A exp(-k delta))"),
	CFG_DBL("a", struct strategy_mm_cfg, a, 1, E6(1000000),
	        "fill intensity at the mid, fills per second"),
	CFG_STR("fill", struct strategy_mm_cfg, fill, NULL, 0,
	        "dm-study JSON whose fill result gives a and k; empty = the keys"),
	CFG_U32("qty", struct strategy_mm_cfg, qty, 1, 1000, NULL, 0, "contracts per quote"),
	CFG_U32("qmax", struct strategy_mm_cfg, qmax, 1, 10000, NULL, 0,
	        "inventory bound, contracts"),
	CFG_U32("requote_ticks", struct strategy_mm_cfg, requote_ticks, 1, 1000, NULL, 0,
	        "move of the wanted price that replaces a resting quote, ticks"),
	CFG_U32("horizon_s", struct strategy_mm_cfg, horizon_s, 0, 86400, NULL, 0,
	        "mm_as horizon: 0 = the session close, else a rolling horizon in s"),
	CFG_DUR("vol_halflife", struct strategy_mm_cfg, vol_halflife_ns, 1000000,
	        86400 * NS_S, "half-life of the online volatility of the mid"),
	CFG_DBL("sigma_prior", struct strategy_mm_cfg, sigma_prior, 0, E6(1000),
	        "prior volatility, ticks per sqrt(s); 0 = none"),
	CFG_DBL("skew_ticks", struct strategy_mm_cfg, skew_ticks, 0, E6(1000),
	        "reservation shift by the meta-model, ticks x side x (2p - 1); 0 = off"),
	CFG_DUR("ack_timeout", struct strategy_mm_cfg, ack_timeout_ns, 1000000, 3600 * NS_S,
	        "a quote not seen in a report this long is taken as gone"),
	CFG_KEY_END
};

const struct cfg_key strategy_cfg_keys[] = {
	CFG_STR("model", struct strategy_cfg, model, NULL, 0,
	        "XGBoost model file; empty = primary rule only"),
	CFG_STR("primary_feature", struct strategy_cfg, primary_feature, check_feature_name,
	        0, "feature whose sign gives the side"),
	CFG_DEC("threshold", struct strategy_cfg, threshold_e6, 0,
	        1000000000LL * CFG_DEC_SCALE,
	        "dead zone of the primary rule, in the feature's unit"),
	CFG_DEC("min_prob", struct strategy_cfg, min_prob_e6, 0, CFG_DEC_SCALE,
	        "meta-model probability needed to act"),
	CFG_U32("min_interval_ms", struct strategy_cfg, min_interval_ms, 0, 86400000, NULL, 0,
	        "market time between two intents, ms"),
	CFG_U32("max_contracts", struct strategy_cfg, max_contracts, 1, 1000, NULL, 0,
	        "bet size cap, contracts"),
	CFG_BOOL("invert", struct strategy_cfg, invert, 0, "trade against the primary signal"),
	CFG_ENUM("kind", struct strategy_cfg, kind, strategy_kind_names, "strategy kind", 0,
	         "taker (primary rule + meta-model, IOC) or a market maker (mm_as, mm_glft)"),
	CFG_MAP("mm", offsetof(struct strategy_cfg, mm), mm_keys,
	        "the market maker (kind mm_as, mm_glft)"),
	CFG_KEY_END
};
