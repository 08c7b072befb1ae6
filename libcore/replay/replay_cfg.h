/*
 * replay_cfg.h — how the data agent releases a replayed market, as the
 * configuration states it (YAML: data:), apart from replay.h so that the
 * run configuration (libcore/config/config.h) embeds it without the feed
 * headers.
 */
#ifndef DM_LIBCORE_REPLAY_REPLAY_CFG_H
#define DM_LIBCORE_REPLAY_REPLAY_CFG_H

#include <stdint.h>

#include "libcore/config/cfg.h"

/* YAML data.pace: max, realtime, lockstep. */
enum replay_pace {
	REPLAY_MAX      = 0, /* as fast as the caller takes events */
	REPLAY_REALTIME = 1, /* the market's pace times opts.speed */
	REPLAY_LOCKSTEP = 2  /* one event per grant (replay_step) */
};

struct replay_cfg {
	uint32_t pace;               /* enum replay_pace; default max */
	uint32_t events_per_pass;    /* events per work pass; default 64, 1..4096 */
	int64_t  speed_e6;           /* realtime: times the market's pace x 10^6;
	                              * default 1, 0.001..1000000 */
};

/* The defaults above.  Pure. */
void replay_cfg_default(struct replay_cfg *c);

/* The keys of the configuration's data: section, relative to struct
 * replay_cfg: pace, speed, events_per_pass. */
extern const struct cfg_key replay_cfg_keys[];

#endif /* DM_LIBCORE_REPLAY_REPLAY_CFG_H */
