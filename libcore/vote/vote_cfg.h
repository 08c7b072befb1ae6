/*
 * vote_cfg.h — the coordinator's release policy as the configuration states
 * it (YAML: vote:), apart from vote.h so that the run configuration
 * (libcore/config/config.h) embeds it.  coord_policy_make turns it into the
 * coordinator's policy (libcore/coord, libcore/trader/trader_params.c).
 */
#ifndef DM_LIBCORE_VOTE_VOTE_CFG_H
#define DM_LIBCORE_VOTE_VOTE_CFG_H

#include <stdint.h>

#include "libcore/config/cfg.h"

struct vote_cfg {
	uint32_t voters;             /* bit 1 << role (enum dm_role, role.h)
	                              * per role asked to vote; default
	                              * risk, execution, feature */
	uint32_t veto;               /* voters whose approval is required; default
	                              * risk; a subset of voters */
	char     quorum[16];         /* "all", "majority" or N (1..voters);
	                              * default "majority" */
	uint32_t deadline_us;        /* a vote missing this long after the request
	                              * is a rejection; default 50000, 1..10000000 */
	uint32_t fanout;             /* 1: risk, execution and feature get each
	                              * intent from ml itself and vote without a
	                              * request (not with execution.child_max_qty);
	                              * default 1 */
};

/* The defaults above.  Pure. */
void vote_cfg_default(struct vote_cfg *c);

/* The keys of the configuration's vote: section, relative to struct
 * vote_cfg: voters and veto (sets of role names), quorum, deadline_us,
 * fanout.
 * That the voters exist, hold the vetoes and fit the quorum is
 * config_load's cross-check. */
extern const struct cfg_key vote_cfg_keys[];

#endif /* DM_LIBCORE_VOTE_VOTE_CFG_H */
