/*
 * coord_cfg.h — the coordinator's own settings as the configuration states
 * them (YAML: coordinator:), apart from coord.h so that the run
 * configuration (libcore/config/config.h) embeds them.  trader_coord_params
 * (libcore/trader/trader_params.c) puts them into struct coord_params.
 */
#ifndef DM_LIBCORE_COORD_COORD_CFG_H
#define DM_LIBCORE_COORD_COORD_CFG_H

#include <stdint.h>

#include "libcore/config/cfg.h"

#define COORD_CFG_MAX_AGE_MAX (3600ll * 1000000000) /* 1 h */

struct coord_cfg {
	int64_t max_intent_age_ns;   /* an intent whose market event was taken in
	                              * longer ago is blocked (stale_intent); 0 =
	                              * no limit; default 1 s, 0..1 h (YAML: a
	                              * duration, max_intent_age: 1s) */
};

/* The defaults above.  Pure. */
void coord_cfg_default(struct coord_cfg *c);

/* The keys of the configuration's coordinator: section, relative to
 * struct coord_cfg: max_intent_age. */
extern const struct cfg_key coord_cfg_keys[];

#endif /* DM_LIBCORE_COORD_COORD_CFG_H */
