/*
 * topology.h — the segment a configuration describes.
 *
 * Bridges libcore/config (which knows nothing of shared memory) and
 * shm/seg (which knows nothing of YAML).  Used by whoever creates the
 * segment (dm-seg, the supervisor) and by agents that look up their rings.
 */
#ifndef DM_AGENTS_TOPOLOGY_H
#define DM_AGENTS_TOPOLOGY_H

#include "libcore/config/config.h"
#include "shm/seg.h"

/* Bytes of the user area agents keep restart-surviving state in. */
#define TOPOLOGY_USER_SIZE (8u << 20)

/*
 * Fill spec from the configuration: the six agents in enum cfg_agent_id
 * order, every configured ring.  name: segment name, or NULL for the
 * configuration's system.shm_name.  The spec points into c and name: keep
 * both alive while using it.  Returns 0 or -DM_ETOPOLOGY.
 */
int topology_spec(const struct dm_config *c, const char *name, struct seg_spec *spec);

/*
 * Segment name to use: an explicit name, else $DM_SHM_NAME, else the
 * configuration's.  Never NULL.
 */
const char *topology_seg_name(const struct dm_config *c, const char *explicit_name);

#endif /* DM_AGENTS_TOPOLOGY_H */
