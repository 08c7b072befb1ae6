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
}

static const char *check_feature_name(const void *field)
{
	for (uint32_t i = 0; i < FEAT_N; i++)
		if (strcmp(feat_names[i], field) == 0)
			return NULL;
	return "is not a feature name (docs/features.md lists them)";
}

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
	CFG_KEY_END
};
