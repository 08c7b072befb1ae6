/* topology.c — configuration to segment spec (topology.h). */
#include <stdlib.h>

#include "agents/rt/topology.h"
#include "libcore/msg/msg.h"

_Static_assert((int)CFG_RING_BLOCK == (int)RING_BLOCK, "policy values agree");
_Static_assert((int)CFG_RING_CONFLATE == (int)RING_CONFLATE, "policy values agree");
_Static_assert(AGENT_COUNT <= SEG_MAX_AGENTS, "registry holds every agent");
_Static_assert(CFG_MAX_RINGS <= SEG_MAX_RINGS, "ring table holds every ring");

const char *topology_seg_name(const struct dm_config *c, const char *explicit_name)
{
	if (explicit_name && *explicit_name)
		return explicit_name;
	const char *env = getenv("DM_SHM_NAME");
	return env && *env ? env : c->system.shm_name;
}

int topology_spec(const struct dm_config *c, const char *name, struct seg_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->name = name ? name : c->system.shm_name;
	spec->n_agents = AGENT_COUNT;
	for (int i = 0; i < AGENT_COUNT; i++)
		spec->agents[i] = cfg_agent_names[i];
	if (c->n_rings > CFG_MAX_RINGS)
		return -DM_ETOPOLOGY;
	spec->n_rings = c->n_rings;
	for (uint32_t i = 0; i < c->n_rings; i++) {
		const struct cfg_ring *r = &c->ring[i];
		spec->ring[i] = (struct seg_ring_spec){
			.name = r->name,
			.producer = (uint16_t)r->producer,
			.consumer = (uint16_t)r->consumer,
			.capacity = r->capacity,
			.slot_size = r->slot_size,
			.policy = (enum ring_policy)r->policy,
		};
	}
	spec->user_size = TOPOLOGY_USER_SIZE;
	spec->app_layout = msg_layout_hash();
	return 0;
}
