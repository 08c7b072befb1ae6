/*
 * quality_config.c — the quality: section of the configuration, as a key
 * table over struct qual_limits (quality.h, cfg.h).
 */
#include <stddef.h>

#include "libcore/config/cfg.h"
#include "libcore/quality/quality.h"

const struct cfg_key qual_cfg_keys[] = {
	CFG_I64_SCALED("stale_ms", struct qual_limits, stale_ns, 1, 3600000, 1000000,
	               "newest book older than this is stale, ms"),
	CFG_I64("max_spread_ticks", struct qual_limits, max_spread_ticks, 1, 100000, NULL, 0,
	        "a wider spread is rejected, ticks"),
	CFG_KEY_END
};
