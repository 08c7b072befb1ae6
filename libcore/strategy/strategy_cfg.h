/*
 * strategy_cfg.h — the strategy's configuration, apart from strategy.h so
 * that the run configuration (libcore/config/config.h) embeds it without
 * the model and message headers strategy.h needs.
 */
#ifndef DM_LIBCORE_STRATEGY_STRATEGY_CFG_H
#define DM_LIBCORE_STRATEGY_STRATEGY_CFG_H

#include <stdint.h>

#include "libcore/config/cfg.h"

/* strategy.kind: what turns features, book and position into intents */
enum strategy_kind { STRAT_TAKER = 0, STRAT_MM_AS, STRAT_MM_GLFT, STRAT_KIND_COUNT };

/* The names of enum strategy_kind, in order: "taker", "mm_as", "mm_glft". */
extern const char *const strategy_kind_names[STRAT_KIND_COUNT];

/*
 * The market maker's keys (strategy.mm:, docs/strategies.md, "Market
 * making").  Prices and distances in ticks, time in seconds: sigma is in
 * ticks per sqrt(s), gamma and k per tick, A in fills per second.
 */
struct strategy_mm_cfg {
	double   gamma;              /* risk aversion, 1/tick; default 0.1, > 0 */
	double   k;                  /* fill intensity decay, 1/tick; default 1.5 */
	double   a;                  /* fill intensity at the mid, 1/s; default 1 */
	char     fill[256];          /* dm-study JSON whose fill: result (a_per_s,
	                              * k_per_tick) replaces a and k; "" = none;
	                              * relative: as strategy.model */
	uint32_t qty;                /* contracts per quote; default 1, 1..1000 */
	uint32_t qmax;               /* inventory bound, contracts; default 5, 1..10000 */
	uint32_t requote_ticks;      /* move of the wanted price that re-quotes;
	                              * default 1, 1..1000 */
	uint32_t horizon_s;          /* mm_as: 0 = T is the session close (the
	                              * time left to it); > 0: a rolling horizon
	                              * of that many seconds; default 0 */
	int64_t  vol_halflife_ns;    /* half-life of the online sigma; default 60 s */
	double   sigma_prior;        /* prior sigma, ticks / sqrt(s); 0 = none
	                              * (no quote before the mid first moves);
	                              * default 0.5 */
	double   skew_ticks;         /* reservation shift by the meta-model:
	                              * skew_ticks x side x (2p - 1); 0 = off */
	int64_t  ack_timeout_ns;     /* a quote sent and not seen in any report
	                              * this long is taken as gone; default 1 s */
};

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
	uint32_t kind;               /* enum strategy_kind; default taker */
	struct strategy_mm_cfg mm;   /* kind mm_as, mm_glft */
};

/* The defaults above.  Pure. */
void strategy_cfg_default(struct strategy_cfg *c);

/* The keys of the configuration's strategy: section, relative to struct
 * strategy_cfg: model, primary_feature (a name of feat_names), threshold,
 * min_prob, min_interval_ms, max_contracts, invert, kind and mm: (gamma,
 * k, a, fill, qty, qmax, requote_ticks, horizon_s, vol_halflife,
 * sigma_prior, skew_ticks, ack_timeout). */
extern const struct cfg_key strategy_cfg_keys[];

#endif /* DM_LIBCORE_STRATEGY_STRATEGY_CFG_H */
