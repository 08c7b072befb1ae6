/*
 * exec_config.c — the execution: section of the configuration, as a key
 * table over struct exec_cfg (exec.h, cfg.h).
 */
#include <stddef.h>

#include "libcore/config/cfg.h"
#include "libcore/exec/exec.h"

const struct cfg_key exec_cfg_keys[] = {
	CFG_U32("max_inflight", struct exec_cfg, max_inflight, 1, 1024, NULL, 0,
	        "orders sent and not yet acknowledged"),
	CFG_U32("max_open", struct exec_cfg, max_open, 1, 1024, NULL, 0, "live orders"),
	CFG_U32("ack_timeout_ms", struct exec_cfg, ack_timeout_ms, 1, 600000, NULL, 0,
	        "unacknowledged this long: ask the venue, ms"),
	CFG_KEY_END
};
