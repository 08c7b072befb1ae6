/*
 * strategy_cfg.h — the strategy's configuration, apart from strategy.h so
 * that the run configuration (libcore/config/config.h) embeds it without
 * the model and message headers strategy.h needs.
 */
#ifndef DM_LIBCORE_STRATEGY_STRATEGY_CFG_H
#define DM_LIBCORE_STRATEGY_STRATEGY_CFG_H

#include <stdint.h>

#include "libcore/config/cfg.h"

/*
 * The configuration's strategy: section (struct dm_config embeds it;
 * strategy_cfg_keys names each key).  The host turns it into struct
 * strategy_params (the feature's index, the instrument's tick, times in ns)
 * and loads the model the path names.
 */
struct strategy_cfg {
	char     model[256];         /* XGBoost model file; "" = primary rule only;
	                              * relative: see libcore/config/config.h,
	                              * Paths; default "../build/model/default.json" */
	char     primary_feature[32];/* feature name giving the side (docs/features.md);
	                              * default "imb_1" */
	int64_t  threshold_e6;       /* dead zone of the primary rule, in the
	                              * feature's unit, x 10^6; default 0.6 */
	int64_t  min_prob_e6;        /* meta-model probability needed to act,
	                              * x 10^6; default 0.55, 0..1 */
	uint32_t min_interval_ms;    /* market time between two intents; default
	                              * 1000, 0..86400000 */
	uint32_t max_contracts;      /* bet size cap, contracts; default 1, 1..1000 */
	uint32_t invert;             /* 1 = trade against the primary signal; default 0 */
	uint32_t pad;
};

/* The defaults above.  Pure. */
void strategy_cfg_default(struct strategy_cfg *c);

/* The keys of the configuration's strategy: section, relative to struct
 * strategy_cfg: model, primary_feature (a name of feat_names), threshold,
 * min_prob, min_interval_ms, max_contracts, invert. */
extern const struct cfg_key strategy_cfg_keys[];

#endif /* DM_LIBCORE_STRATEGY_STRATEGY_CFG_H */
