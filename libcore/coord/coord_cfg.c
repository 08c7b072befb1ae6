/*
 * coord_cfg.c — the coordinator: section of the configuration, as a key
 * table over struct coord_cfg (coord_cfg.h, cfg.h), and its defaults.
 */
#include <stddef.h>
#include <string.h>

#include "libcore/config/cfg.h"
#include "libcore/coord/coord_cfg.h"

void coord_cfg_default(struct coord_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->max_intent_age_ns = 1000000000; /* 1 s */
}

const struct cfg_key coord_cfg_keys[] = {
	CFG_DUR("max_intent_age", struct coord_cfg, max_intent_age_ns, 0, COORD_CFG_MAX_AGE_MAX,
	        "intents whose market event is older are blocked (stale_intent); 0 = no limit"),
	CFG_KEY_END
};
