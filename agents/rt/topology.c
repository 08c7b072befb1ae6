/*
 * topology.c — the agents, their part of the run configuration and the
 * segment spec (topology.h).
 *
 * The agents' root rows, offsets relative to struct rt_config:
 *
 *   rt_root_keys  system -> system_keys
 *                 agents -> agents_keys   one CFG_MAP_NAMED row per agent
 *                                         -> agent_keys (relative to
 *                                         struct rt_agent_cfg)
 *                 rings  -> CFG_K_SEQ of ring_keys (relative to struct
 *                                         rt_ring_cfg)
 *
 * They join libcore's root rows in config_load_host; check_host runs once
 * every key of the file is in, before libcore's cross-checks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agents/rt/topology.h"
#include "libcore/config/cfg.h"
#include "libcore/msg/msg.h"

#define ARRAY_SIZE(a) CFG_ARRAY_SIZE(a)

_Static_assert(AGENT_COUNT <= SEG_MAX_AGENTS, "registry holds every agent");
_Static_assert(RT_MAX_RINGS <= SEG_MAX_RINGS, "ring table holds every ring");
_Static_assert(RT_NAME_MAX <= RING_NAME_MAX, "a ring name fits the segment's");
/* Agent a hosts role a: the coordinator's masks of roles are the
 * registry's masks of agents, and a voter's role is its agent's number. */
_Static_assert(AGENT_COUNT == (int)ROLE_COUNT, "one agent per role");
_Static_assert(AGENT_COORDINATOR == (int)ROLE_COORDINATOR && AGENT_DATA == (int)ROLE_DATA &&
	       AGENT_FEATURE == (int)ROLE_FEATURE && AGENT_ML == (int)ROLE_ML &&
	       AGENT_EXECUTION == (int)ROLE_EXECUTION && AGENT_RISK == (int)ROLE_RISK,
	       "agent a hosts role a");

const char *const rt_agent_names[AGENT_COUNT] = {
	[AGENT_COORDINATOR] = "coordinator",
	[AGENT_DATA]        = "data",
	[AGENT_FEATURE]     = "feature",
	[AGENT_ML]          = "ml",
	[AGENT_EXECUTION]   = "execution",
	[AGENT_RISK]        = "risk",
};

const enum dm_role rt_agent_role[AGENT_COUNT] = {
	[AGENT_COORDINATOR] = ROLE_COORDINATOR,
	[AGENT_DATA]        = ROLE_DATA,
	[AGENT_FEATURE]     = ROLE_FEATURE,
	[AGENT_ML]          = ROLE_ML,
	[AGENT_EXECUTION]   = ROLE_EXECUTION,
	[AGENT_RISK]        = ROLE_RISK,
};

int rt_agent_id(const char *name)
{
	for (int i = 0; name && i < AGENT_COUNT; i++)
		if (strcmp(rt_agent_names[i], name) == 0)
			return i;
	return -1;
}

int rt_role_agent(uint32_t role)
{
	for (int i = 0; i < AGENT_COUNT; i++)
		if ((uint32_t)rt_agent_role[i] == role)
			return i;
	return -1;
}

/* ------------------------------------------------------------ key tables */

static const char *const idle_names[] = {
	[IDLE_SPIN] = "spin", [IDLE_YIELD] = "yield",
	[IDLE_SLEEP] = "sleep", [IDLE_BACKOFF] = "backoff",
};

static const char *const policy_names[] = {
	[RING_BLOCK] = "block", [RING_CONFLATE] = "conflate",
};

static const char *check_shm_name(const void *field)
{
	if (seg_name_check(field, NULL, 0) != 0)
		return "must be '/' followed by a name without '/' or control characters, "
		       "not '.' or '..' (seg_name_check)";
	return NULL;
}

static const char *check_abs_path(const void *field)
{
	return ((const char *)field)[0] == '/' ? NULL : "must be an absolute path";
}

static const char *check_ring_name(const void *field)
{
	const char *s = field;

	if (*s == '\0' || s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
	                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")])
		return "must be a non-empty name of letters, digits and '_'";
	return NULL;
}

/* the kernel clamps a slice to 0.1..100 ms: a value it would change is
 * refused rather than silently taken as another */
static const char *check_slice(const void *field)
{
	uint32_t v = *(const uint32_t *)field;

	if (v != 0 && v < 100)
		return "must be 0 (the kernel's own) or 100..100000";
	return NULL;
}

static const struct cfg_key system_keys[] = {
	CFG_STR("shm_name", struct rt_config, system.shm_name, check_shm_name, 0,
	    "POSIX shared-memory segment name"),
	CFG_STR("run_dir", struct rt_config, system.run_dir, check_abs_path, 0,
	    "directory for pid files, logs and sockets"),
	CFG_U32("heartbeat_ms", struct rt_config, system.heartbeat_ms, 1, 10000, NULL, 0,
	    "ms between agent heartbeats"),
	CFG_U32("stale_ms", struct rt_config, system.stale_ms, 1, 600000, NULL, 0,
	    "ms after which a silent agent counts as down"),
	CFG_KEY_END
};

static const struct cfg_key agent_keys[] = {
	CFG_I32("cpu", struct rt_agent_cfg, cpu, -1, 1023, NULL, 0,
	    "CPU to pin the agent to, -1 = not pinned"),
	CFG_ENUM("idle", struct rt_agent_cfg, idle, idle_names, "idle mode", 0,
	     "how the agent waits when it has no work"),
	CFG_U32("spin_iters", struct rt_agent_cfg, spin_iters, 0, 100000000, NULL, 0,
	    "backoff: empty polls before yielding"),
	CFG_U32("yield_iters", struct rt_agent_cfg, yield_iters, 0, 1000000, NULL, 0,
	    "backoff: sched_yield polls before sleeping"),
	CFG_U32("sleep_timeout_us", struct rt_agent_cfg, sleep_timeout_us, 1, 10000000, NULL, 0,
	    "upper bound of one futex sleep, us"),
	CFG_U32("rt_priority", struct rt_agent_cfg, rt_priority, 0, 99, NULL, 0,
	    "SCHED_FIFO priority when woken, 0 = time-sharing (idle sleep or backoff)"),
	CFG_U32("expect_us", struct rt_agent_cfg, expect_us, 0, 100000, NULL, 0,
	    "poll (sched_yield) this long for a message announced by another, us, 0 = never"),
	CFG_U32("slice_us", struct rt_agent_cfg, slice_us, 0, 100000, check_slice, 0,
	    "time-shared: scheduler slice asked for, us (Linux 6.12+), 0 = the kernel's"),
	CFG_KEY_END
};

#define AGENT_ROW(id) CFG_MAP_NAMED(rt_agent_names, id, \
	offsetof(struct rt_config, agent[id]), agent_keys, "one agent")

static const struct cfg_key agents_keys[] = {
	AGENT_ROW(AGENT_COORDINATOR), AGENT_ROW(AGENT_DATA), AGENT_ROW(AGENT_FEATURE),
	AGENT_ROW(AGENT_ML), AGENT_ROW(AGENT_EXECUTION), AGENT_ROW(AGENT_RISK),
	CFG_KEY_END
};
_Static_assert(ARRAY_SIZE(agents_keys) == AGENT_COUNT + 1, "one row per agent");

static const struct cfg_key ring_keys[] = {
	CFG_STR("name", struct rt_ring_cfg, name, check_ring_name, CFG_REQUIRED,
	    "unique ring name"),
	CFG_ENUM("producer", struct rt_ring_cfg, producer, rt_agent_names, "agent",
	     CFG_REQUIRED, "agent that writes the ring"),
	CFG_ENUM("consumer", struct rt_ring_cfg, consumer, rt_agent_names, "agent",
	     CFG_REQUIRED, "agent that reads the ring"),
	CFG_U32("capacity", struct rt_ring_cfg, capacity, 2, 1048576, cfg_check_pow2,
	    CFG_REQUIRED, "slots, a power of two"),
	CFG_U32("slot_size", struct rt_ring_cfg, slot_size, 64, 4096, cfg_check_mul64,
	    CFG_REQUIRED, "bytes per slot, a multiple of 64"),
	CFG_ENUM("policy", struct rt_ring_cfg, policy, policy_names, "ring policy",
	     CFG_REQUIRED, "what a full ring does"),
	CFG_KEY_END
};
_Static_assert(ARRAY_SIZE(ring_keys) <= 33, "entry keys fit the 32-bit seen mask");

static const struct cfg_key rt_root_keys[] = {
	CFG_MAP("system", 0, system_keys, "process-wide settings"),
	CFG_MAP("agents", 0, agents_keys, "per-agent settings"),
	{ .name = "rings", .type = CFG_K_SEQ, .off = offsetof(struct rt_config, ring),
	  .size = sizeof(struct rt_ring_cfg), .max = RT_MAX_RINGS, .sub = ring_keys,
	  .count_off = offsetof(struct rt_config, n_rings),
	  .help = "ring list; replaces the default list when present" },
	CFG_KEY_END
};

/* ------------------------------------------------------------ defaults */

static const struct rt_agent_cfg default_agent = {
	.cpu = -1, .idle = IDLE_BACKOFF, .spin_iters = 0,
	.yield_iters = 0, .sleep_timeout_us = 100000, .slice_us = 100,
};

#define RING(n, p, c, cap, slot, pol) \
	{ n, AGENT_##p, AGENT_##c, cap, slot, RING_##pol }
static const struct rt_ring_cfg default_rings[] = {
	RING("md_feature",          DATA,        FEATURE,     4096, 1024, CONFLATE),
	RING("md_execution",        DATA,        EXECUTION,   4096, 1024, CONFLATE),
	RING("md_risk",             DATA,        RISK,        4096, 1024, CONFLATE),
	RING("features",            FEATURE,     ML,          4096,  512, BLOCK),
	RING("intents",             ML,          COORDINATOR, 1024,  128, BLOCK),
	RING("intents_risk",        ML,          RISK,        1024,  128, BLOCK),
	RING("intents_execution",   ML,          EXECUTION,   1024,  128, BLOCK),
	RING("intents_feature",     ML,          FEATURE,     1024,  128, BLOCK),
	RING("vote_req_risk",       COORDINATOR, RISK,        1024,  128, BLOCK),
	RING("vote_req_execution",  COORDINATOR, EXECUTION,   1024,  128, BLOCK),
	RING("vote_req_feature",    COORDINATOR, FEATURE,     1024,  128, BLOCK),
	RING("votes_risk",          RISK,        COORDINATOR, 1024,  128, BLOCK),
	RING("votes_execution",     EXECUTION,   COORDINATOR, 1024,  128, BLOCK),
	RING("votes_feature",       FEATURE,     COORDINATOR, 1024,  128, BLOCK),
	RING("orders",              COORDINATOR, EXECUTION,   1024,  128, BLOCK),
	RING("reports_risk",        EXECUTION,   RISK,        4096,  128, BLOCK),
	RING("reports_coordinator", EXECUTION,   COORDINATOR, 4096,  128, BLOCK),
	RING("reports_ml",          EXECUTION,   ML,          4096,  128, BLOCK),
	RING("positions",           RISK,        COORDINATOR, 1024,  128, BLOCK),
	RING("control_data",        COORDINATOR, DATA,          64,  128, BLOCK),
	RING("control_feature",     COORDINATOR, FEATURE,       64,  128, BLOCK),
	RING("control_ml",          COORDINATOR, ML,            64,  128, BLOCK),
	RING("control_execution",   COORDINATOR, EXECUTION,     64,  128, BLOCK),
	RING("control_risk",        COORDINATOR, RISK,          64,  128, BLOCK),
	RING("venue_cmds",          EXECUTION,   DATA,        1024,  256, BLOCK),
	RING("venue_reports",       DATA,        EXECUTION,   4096,  256, BLOCK),
};
_Static_assert(ARRAY_SIZE(default_rings) <= RT_MAX_RINGS, "default rings fit");

/* path/leaf into out when it fits n and system.run_dir: 0, else -ENAMETOOLONG */
static int run_dir_join(char *out, size_t n, const char *path, const char *leaf)
{
	int k = snprintf(out, n, "%s/%s", path, leaf);
	if (k < 0 || (size_t)k >= n || (size_t)k >= sizeof(((struct rt_system *)0)->run_dir))
		return -ENAMETOOLONG;
	return 0;
}

int topology_run_dir_default(char *out, size_t n)
{
	uid_t uid = geteuid();
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	struct stat st;

	if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == uid && (st.st_mode & 077) == 0 &&
	    run_dir_join(out, n, xdg, "dreammaker") == 0)
		return 0;
	if (uid == 0)
		return run_dir_join(out, n, "/run", "dreammaker");
	if (home && home[0] == '/' && strcmp(home, "/") != 0 &&
	    run_dir_join(out, n, home, ".local/state/dreammaker") == 0)
		return 0;
	char leaf[32];
	snprintf(leaf, sizeof(leaf), "dreammaker-%u", (unsigned)uid);
	return run_dir_join(out, n, "/tmp", leaf);
}

/* The agents' part of *base (a struct rt_config); core is left alone. */
static void host_defaults(void *base)
{
	struct rt_config *c = base;

	memset(&c->system, 0, sizeof(c->system));
	strcpy(c->system.shm_name, "/dreammaker");
	topology_run_dir_default(c->system.run_dir, sizeof(c->system.run_dir));
	c->system.heartbeat_ms = 50;
	c->system.stale_ms = 500;
	for (int i = 0; i < AGENT_COUNT; i++)
		c->agent[i] = default_agent;
	/* an intent announces its order: execution waits for it awake; a
	 * ballot's first vote announces the others: so does the coordinator */
	c->agent[AGENT_EXECUTION].expect_us = 300;
	c->agent[AGENT_COORDINATOR].expect_us = 300;
	memset(c->ring, 0, sizeof(c->ring));
	memcpy(c->ring, default_rings, sizeof(default_rings));
	c->n_rings = ARRAY_SIZE(default_rings);
}

void rt_config_defaults(struct rt_config *c)
{
	memset(c, 0, sizeof(*c));
	config_defaults(&c->core);
	host_defaults(c);
}

/* ------------------------------------------------------------ cross-checks */

static int check_system(struct cfg_ctx *x, const struct rt_config *c, struct cfg_node *root)
{
	struct cfg_node *sys;

	if (c->system.stale_ms > c->system.heartbeat_ms)
		return 0;
	/* Defaults pass, so the file set stale_ms or heartbeat_ms: point there. */
	sys = cfg_find(x, root, "system", 1);
	if (cfg_find(x, sys, "stale_ms", 1) || !cfg_find(x, sys, "heartbeat_ms", 1)) {
		cfg_key(x, "system.stale_ms");
		return cfg_fail(x, "value %" PRIu32 " must be greater than system.heartbeat_ms (%"
		            PRIu32 ")", c->system.stale_ms, c->system.heartbeat_ms);
	}
	cfg_key(x, "system.heartbeat_ms");
	return cfg_fail(x, "value %" PRIu32 " must be less than system.stale_ms (%" PRIu32 ")",
	            c->system.heartbeat_ms, c->system.stale_ms);
}

/* Places x at entry i of the file's rings sequence (the defaults pass the
 * checks, so a failing ring always comes from the file). */
static void at_ring(struct cfg_ctx *x, struct cfg_node *root, uint32_t i)
{
	cfg_at(x, cfg_item(x, cfg_find(x, root, "rings", 1), i));
	cfg_key(x, "rings");
	cfg_key_index(x, i);
}

/* A duplicate name also covers two rings with the same (producer, consumer,
 * name). */
static int check_ring(struct cfg_ctx *x, const struct rt_config *c,
                      struct cfg_node *root, uint32_t i)
{
	const struct rt_ring_cfg *r = &c->ring[i];

	for (uint32_t j = 0; j < i; j++) {
		if (strcmp(c->ring[j].name, r->name) == 0) {
			size_t first;

			at_ring(x, root, j);
			first = cfg_line(x);
			at_ring(x, root, i);
			return cfg_fail(x, "duplicate ring name '%s' (first used by rings[%" PRIu32
			            "] at line %zu)", r->name, j, first);
		}
	}
	if (r->producer == r->consumer) {
		at_ring(x, root, i);
		return cfg_fail(x, "ring '%s' has producer and consumer both '%s'; "
		            "a ring joins two different agents",
		            r->name, rt_agent_names[r->producer]);
	}
	return 0;
}

/*
 * A real-time agent must sleep when idle: one that spins or yields at
 * SCHED_FIFO never lets a time-sharing task onto its core (a yield only
 * lets tasks of its own priority run), the supervisor and the shell
 * included, until the kernel's real-time throttle cuts in.
 */
static int check_agents(struct cfg_ctx *x, const struct rt_config *c, struct cfg_node *root)
{
	for (uint32_t i = 0; i < AGENT_COUNT; i++) {
		const struct rt_agent_cfg *a = &c->agent[i];
		if (!a->rt_priority || a->idle == IDLE_SLEEP || a->idle == IDLE_BACKOFF)
			continue;
		/* the defaults pass: the file set one of the two for this agent */
		struct cfg_node *n = cfg_find(x, cfg_find(x, root, "agents", 1), rt_agent_names[i], 1);
		/* the place moves to the key found */
		int set = cfg_find(x, n, "rt_priority", 1) != NULL;
		if (!set)
			cfg_find(x, n, "idle", 1);
		char key[64];
		snprintf(key, sizeof(key), "agents.%s.%s", rt_agent_names[i],
			 set ? "rt_priority" : "idle");
		cfg_key(x, key);
		return cfg_fail(x, "agents.%s: rt_priority %" PRIu32 " with idle %s: a real-time "
			    "agent that never sleeps keeps every time-sharing task off its core; "
			    "use idle backoff or sleep, or rt_priority 0", rt_agent_names[i],
			    a->rt_priority, idle_names[a->idle]);
	}
	return 0;
}

static int check_host(struct cfg_ctx *x, void *base, const struct dm_config *core)
{
	const struct rt_config *c = base;
	struct cfg_node *root = cfg_root(x);
	int rc = check_system(x, c, root);
	if (!rc)
		rc = check_agents(x, c, root);

	(void)core;
	for (uint32_t i = 0; !rc && i < c->n_rings; i++)
		rc = check_ring(x, c, root, i);
	return rc;
}

/* ------------------------------------------------------------ loading */

/* path over *c (over: as loaded so far; else over the defaults), through
 * a scratch copy: c unchanged on failure. */
static int load(struct rt_config *c, const char *path, int over, char *err, size_t errlen)
{
	struct rt_config *tmp = malloc(sizeof(*tmp));
	int rc;

	if (!tmp) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot load: %s", path ? path : "(null)",
			         strerror(ENOMEM));
		return -DM_ECONFIG;
	}
	if (over)
		*tmp = *c;
	else
		rt_config_defaults(tmp);
	const struct config_host h = {
		.keys = rt_root_keys, .base = tmp, .defaults = over ? NULL : host_defaults,
		.check = check_host,
	};
	rc = over ? config_load_host_over(&tmp->core, path, &h, err, errlen) :
		    config_load_host(&tmp->core, path, &h, err, errlen);
	if (!rc)
		*c = *tmp;
	free(tmp);
	return rc;
}

/* libcore's part alone: the agents' sections are read (and checked) into
 * a scratch rt_config around it. */
static int load_core(struct dm_config *c, const char *path, int over, char *err, size_t errlen)
{
	struct rt_config *tmp = malloc(sizeof(*tmp));
	int rc;

	if (!tmp) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot load: %s", path ? path : "(null)",
			         strerror(ENOMEM));
		return -DM_ECONFIG;
	}
	rt_config_defaults(tmp);
	if (over)
		tmp->core = *c;
	rc = load(tmp, path, over, err, errlen);
	if (!rc)
		*c = tmp->core;
	free(tmp);
	return rc;
}

int rt_config_load(struct rt_config *c, const char *path, char *err, size_t errlen)
{
	return load(c, path, 0, err, errlen);
}

int rt_config_load_over(struct rt_config *c, const char *path, char *err, size_t errlen)
{
	return load(c, path, 1, err, errlen);
}

int rt_config_load_core(struct dm_config *c, const char *path, char *err, size_t errlen)
{
	return load_core(c, path, 0, err, errlen);
}

int rt_config_load_core_over(struct dm_config *c, const char *path, char *err, size_t errlen)
{
	return load_core(c, path, 1, err, errlen);
}

int rt_config_ring_find(const struct rt_config *c, const char *name)
{
	for (uint32_t i = 0; name && i < c->n_rings; i++)
		if (strcmp(c->ring[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ segment */

const char *topology_seg_name(const struct rt_config *c, const char *explicit_name)
{
	if (explicit_name)
		return explicit_name;
	const char *env = getenv("DM_SHM_NAME");
	return env ? env : c->system.shm_name;
}

const char *topology_seg_name_from(const struct rt_config *c, const char *explicit_name)
{
	(void)c;
	if (explicit_name)
		return "--name";
	return getenv("DM_SHM_NAME") ? "$DM_SHM_NAME" : "system.shm_name";
}

int topology_seg_name_load(struct rt_config *c, const char *conf, const char **name,
			   const char **from, char *err, size_t errlen)
{
	if (!*name && !getenv("DM_SHM_NAME")) {
		if (!conf)
			rt_config_defaults(c);
		else {
			int rc = rt_config_load(c, conf, err, errlen);
			if (rc != 0)
				return rc;
		}
	}
	*from = topology_seg_name_from(c, *name);
	*name = topology_seg_name(c, *name);
	return 0;
}

int topology_spec(const struct rt_config *c, const char *name, struct seg_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->name = name ? name : c->system.shm_name;
	spec->n_agents = AGENT_COUNT;
	for (int i = 0; i < AGENT_COUNT; i++)
		spec->agents[i] = rt_agent_names[i];
	if (c->n_rings > RT_MAX_RINGS)
		return -DM_ETOPOLOGY;
	spec->n_rings = c->n_rings;
	for (uint32_t i = 0; i < c->n_rings; i++) {
		const struct rt_ring_cfg *r = &c->ring[i];
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
