/*
 * replay_cfg.c — the data: section of the configuration, as a key table
 * over struct replay_cfg (replay_cfg.h, cfg.h), and its defaults.
 */
#include <stddef.h>

#include "libcore/config/cfg.h"
#include "libcore/replay/replay_cfg.h"

void replay_cfg_default(struct replay_cfg *c)
{
	c->pace = REPLAY_MAX;
	c->events_per_pass = 64;
	c->speed_e6 = CFG_DEC_SCALE;
}

static const char *const pace_names[] = {
	[REPLAY_MAX] = "max", [REPLAY_REALTIME] = "realtime",
	[REPLAY_LOCKSTEP] = "lockstep",
};

const struct cfg_key replay_cfg_keys[] = {
	CFG_ENUM("pace", struct replay_cfg, pace, pace_names, "pace", 0,
	         "how the replay releases events"),
	CFG_DEC("speed", struct replay_cfg, speed_e6, 1000, 1000000LL * CFG_DEC_SCALE,
	        "realtime: times the market's pace"),
	CFG_U32("events_per_pass", struct replay_cfg, events_per_pass, 1, 4096, NULL, 0,
	        "events released per work pass"),
	CFG_KEY_END
};
