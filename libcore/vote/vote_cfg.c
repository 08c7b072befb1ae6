/*
 * vote_cfg.c — the vote: section of the configuration, as a key table over
 * struct vote_cfg (vote_cfg.h, cfg.h), and its defaults.
 */
#include <stddef.h>
#include <string.h>

#include "libcore/config/cfg.h"
#include "libcore/vote/role.h"
#include "libcore/vote/vote.h"
#include "libcore/vote/vote_cfg.h"

void vote_cfg_default(struct vote_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->voters = 1u << ROLE_RISK | 1u << ROLE_EXECUTION | 1u << ROLE_FEATURE;
	c->veto = 1u << ROLE_RISK;
	strcpy(c->quorum, "majority");
	c->deadline_us = 50000;
	c->fanout = 1;
}

static const char *check_quorum(const void *field)
{
	uint32_t n;

	if (vote_quorum_parse(field, &n) < 0)
		return "is not a quorum: use all, majority or a number of voters";
	return NULL;
}

const struct cfg_key vote_cfg_keys[] = {
	CFG_SET("voters", struct vote_cfg, voters, role_names, ROLE_COUNT, "role",
	        "roles asked to vote on every intent"),
	CFG_SET("veto", struct vote_cfg, veto, role_names, ROLE_COUNT, "role",
	        "voters whose approval is required"),
	CFG_STR("quorum", struct vote_cfg, quorum, check_quorum, 0,
	        "approvals needed: all, majority or N"),
	CFG_U32("deadline_us", struct vote_cfg, deadline_us, 1, 10000000, NULL, 0,
	        "a vote missing this long after the request is a rejection, us"),
	CFG_BOOL("fanout", struct vote_cfg, fanout, 0,
	         "risk, execution and feature vote on each intent as it leaves ml"),
	CFG_KEY_END
};
