/*
 * topology.h — the agents, their rings and their segment: which process
 * hosts which role, and the part of the run configuration that says how
 * the processes run (agents:, rings:, system:).
 *
 * Design note.  libcore is the trading system on caller-owned memory and
 * knows parts of it by role (libcore/vote/role.h): what runs the vote,
 * what votes, what a journal record names as voter.  The agents are six
 * processes over one shared-memory segment; each has a slot in the
 * segment's registry (enum agent_id, the order of the registry and of the
 * state regions) and hosts one role (rt_agent_role).  Today agent a hosts
 * role a, and the names are the same; a static assert and a table test
 * hold them together, since the coordinator's liveness masks, the vote's
 * voters and the rings' ends are then the same numbers.
 *
 * The run configuration file holds both: libcore's sections (struct
 * dm_config, libcore/config/config.h) and the agents' (this file).
 * rt_config_load reads the file once through config_load_host with the
 * agents' root rows beside libcore's, so a key of either part is checked,
 * located and suggested alike ("ringz" -> "did you mean 'rings'").  Every
 * tool reads the configuration this way, so a file is refused alike by
 * all of them.
 *
 * Also the bridge from the configuration to shm/seg (which knows no
 * YAML): topology_spec.  Used by whoever creates the segment (dm-seg, the
 * supervisor), by the agents that look up their rings, and by tools
 * (through agents/rt/view.h).  Start-up code: the loaders allocate and
 * read files; nothing here runs in a do_work loop.
 */
#ifndef DM_AGENTS_TOPOLOGY_H
#define DM_AGENTS_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/config/config.h"
#include "libcore/vote/role.h"
#include "shm/seg.h"

/* Bytes of the user area agents keep restart-surviving state in. */
#define TOPOLOGY_USER_SIZE (8u << 20)

/* The six processes: their slot in the segment's registry, their state
 * region, the names the rings' ends use.  Never renumber: a segment
 * records the names in this order. */
enum agent_id {
	AGENT_COORDINATOR,
	AGENT_DATA,
	AGENT_FEATURE,
	AGENT_ML,
	AGENT_EXECUTION,
	AGENT_RISK,
	AGENT_COUNT
};

/* "coordinator", "data", "feature", "ml", "execution", "risk": program
 * dm-agent-<name>, the registry's names, YAML agents: keys and ring ends. */
extern const char *const rt_agent_names[AGENT_COUNT];

/* The role each agent hosts (rt_agent_role[AGENT_RISK] = ROLE_RISK). */
extern const enum dm_role rt_agent_role[AGENT_COUNT];

/* enum agent_id of an agent name, or -1 if name is unknown or NULL. */
int rt_agent_id(const char *name);

/* The agent hosting role (enum dm_role), or -1 if none does.  Pure. */
int rt_role_agent(uint32_t role);

/* How an agent waits when it has no work.  YAML: spin, yield, sleep, backoff. */
enum rt_idle { IDLE_SPIN, IDLE_YIELD, IDLE_SLEEP, IDLE_BACKOFF };

#define RT_MAX_RINGS 32
#define RT_NAME_MAX  32

/* YAML: agents: <name>: {...} */
struct rt_agent_cfg {
	int32_t  cpu;              /* -1 = not pinned; else 0..1023 */
	uint32_t idle;             /* enum rt_idle; default backoff */
	uint32_t spin_iters;       /* backoff: polls before yielding; default 0, 0..100000000 */
	uint32_t yield_iters;      /* backoff: sched_yield polls before sleeping; default 0, 0..1000000 */
	uint32_t sleep_timeout_us; /* futex sleep upper bound, us; default 100000, 1..10000000 */
	uint32_t rt_priority;      /* 0 (default): time-sharing; 1..99: SCHED_FIFO at that
	                            * priority, with idle sleep or backoff only */
	uint32_t expect_us;        /* after a message that announces another (rt_expect:
	                            * execution's intent, then its order; the
	                            * coordinator's first vote of a ballot, then the
	                            * others), poll with sched_yield this long before
	                            * sleeping; default 0, execution and coordinator
	                            * 300; 0..100000 */
	uint32_t slice_us;         /* time-shared: the scheduler slice asked for
	                            * (sched_setattr's sched_runtime, Linux 6.12 and
	                            * later), so that a woken agent preempts tasks
	                            * with longer slices; 0 = the kernel's own;
	                            * default 100; 0 or 100..100000 */
};

/* YAML: rings: - {...} */
struct rt_ring_cfg {
	char     name[RT_NAME_MAX];    /* unique; letters, digits, '_' */
	uint32_t producer, consumer;   /* enum agent_id; YAML: agent names; differ */
	uint32_t capacity;             /* slots, power of two, 2..1048576 */
	uint32_t slot_size;            /* bytes, multiple of 64, 64..4096 */
	uint32_t policy;               /* enum ring_policy (shm/ring.h); YAML: block,
	                                * conflate */
};

/* YAML: system: the segment and the processes around it. */
struct rt_system {
	char     shm_name[64];  /* default "/dreammaker"; '/' then no other '/' */
	char     run_dir[256];  /* default topology_run_dir_default(); absolute */
	uint32_t heartbeat_ms;  /* default 50, 1..10000 */
	uint32_t stale_ms;      /* heartbeat older = agent down; default 500,
	                         * 1..600000, > heartbeat_ms */
};

/* The whole file: the trading system's part and the agents'. */
struct rt_config {
	struct dm_config core;               /* libcore's sections; core.path is the file */
	struct rt_system system;             /* YAML: system: */
	struct rt_agent_cfg agent[AGENT_COUNT]; /* YAML: agents: { coordinator: {...}, ... } */
	struct rt_ring_cfg ring[RT_MAX_RINGS];  /* YAML: rings: a sequence of mappings;
	                                         * replaces the default list when present */
	uint32_t n_rings;                    /* used entries of ring[]; the rest are zero */
};

/* Fill c with the built-in defaults (libcore's config_defaults and the
 * agents' below; together they equal conf/default.yaml, which leaves
 * system.run_dir to topology_run_dir_default).  Never fails, never
 * allocates; reads the environment and stats one directory. */
void rt_config_defaults(struct rt_config *c);

/*
 * The default of system.run_dir, the user's own directory rather than a
 * path every user of the machine could create first:
 *   $XDG_RUNTIME_DIR/dreammaker  when $XDG_RUNTIME_DIR is an absolute path
 *                                to a directory owned by the effective
 *                                user and closed to group and others
 *                                (what the XDG spec promises);
 *   /run/dreammaker              else for root;
 *   $HOME/.local/state/dreammaker else when $HOME is an absolute path;
 *   /tmp/dreammaker-<uid>        else (the run directory checks then
 *                                refuse one another user made first).
 * Into out (n bytes); returns 0, or -ENAMETOOLONG when the path does not
 * fit n or system.run_dir (the next choice is taken then).  Reads the
 * environment and stats $XDG_RUNTIME_DIR; no allocation.
 */
int topology_run_dir_default(char *out, size_t n);

/*
 * Load the YAML file at path over the built-in defaults into c (c need not
 * be initialised): libcore's sections and the agents' in one pass
 * (config_load_host).  Returns 0, or -DM_ECONFIG with one line in err
 * naming the place and the key ("conf/x.yaml:12:5: key
 * 'agents.feature.spin_iters': value -3 out of range [0, 100000000]"); an
 * unreadable file gives "path: cannot open: <errno text>".  Besides each
 * key's own range: ring names are unique, a ring joins two different
 * agents, system.stale_ms > system.heartbeat_ms.  On failure c is left
 * unchanged.  err may be NULL; a longer message is cut.  Allocates (a
 * scratch copy, libyaml) and frees everything before returning.
 */
int rt_config_load(struct rt_config *c, const char *path, char *err, size_t errlen);

/*
 * rt_config_load for a reader of libcore's part alone (dm-features,
 * dm-gen...): the whole file is loaded and checked as the agents load it,
 * and only its libcore part is kept in c.  Same returns and cost.
 */
int rt_config_load_core(struct dm_config *c, const char *path, char *err, size_t errlen);

/* A file over *c as loaded so far (config_load_host_over): the keys it sets
 * replace, the rest stays; c unchanged on failure.  The _core form keeps
 * libcore's part only, as rt_config_load_core does. */
int rt_config_load_over(struct rt_config *c, const char *path, char *err, size_t errlen);
int rt_config_load_core_over(struct dm_config *c, const char *path, char *err, size_t errlen);

/* Index of the ring called name in c->ring[], or -1 (also for NULL). */
int rt_config_ring_find(const struct rt_config *c, const char *name);

/*
 * Fill spec from the configuration: the six agents in enum agent_id
 * order, every configured ring.  name: segment name, or NULL for the
 * configuration's system.shm_name.  The spec points into c and name: keep
 * both alive while using it.  Returns 0 or -DM_ETOPOLOGY.
 */
int topology_spec(const struct rt_config *c, const char *name, struct seg_spec *spec);

/*
 * Segment name to use: an explicit name, else $DM_SHM_NAME, else the
 * configuration's.  Never NULL.  An explicit or environment name is taken
 * as given, even empty: the caller checks it (seg_name_check), so that
 * `--name ""` or an empty $DM_SHM_NAME is refused instead of falling back
 * to the configured segment.
 */
const char *topology_seg_name(const struct rt_config *c, const char *explicit_name);

/* Where topology_seg_name takes its answer from, for messages: "--name",
 * "$DM_SHM_NAME" or "system.shm_name". */
const char *topology_seg_name_from(const struct rt_config *c, const char *explicit_name);

/*
 * The segment a tool reads (dm-shmdump, dm-top, dm-exporter): *name when
 * not NULL (its --name), else $DM_SHM_NAME, else system.shm_name of the
 * configuration file conf, or of the built-in defaults when conf is NULL.
 * conf is loaded into *c only in that last case, so a tool given the name
 * never reads it; *c must outlive *name, which may point into it.  *from
 * gets where the name came from (topology_seg_name_from).  Returns 0 with
 * *name set (never NULL), or rt_config_load's error with its line in err
 * (*name and *from unchanged).  Allocates only while loading conf.
 */
int topology_seg_name_load(struct rt_config *c, const char *conf, const char **name,
			   const char **from, char *err, size_t errlen);

#endif /* DM_AGENTS_TOPOLOGY_H */
