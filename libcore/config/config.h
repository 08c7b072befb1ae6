/*
 * config.h — the run configuration: agents, rings, system settings, the
 * traded instrument with its exchange calendar, and the feature parameters.
 *
 * One YAML file (conf/default.yaml documents every key) is read once at
 * start-up into a plain struct dm_config; nothing reads YAML afterwards.
 * Loading starts from the built-in defaults, which equal conf/default.yaml,
 * and the file (a site file) overrides only the keys it sets — except
 * `rings:`, which, when present, replaces the whole default ring list.
 *
 * Paths (strategy.model, risk.limits, venue.latency_file).  A relative path
 * the file sets is taken from that file's directory: config_load stores it
 * joined to the file's absolute directory.  A path the file leaves alone
 * keeps its default, which is relative to the project's conf/ directory
 * (config_conf_dir), exactly as in conf/default.yaml; config_resolve does
 * that join.  So a site file anywhere that sets only strategy.model still
 * gets conf/risk.yaml as its risk limits.
 *
 * Money is in the instrument's currency (instrument.currency): the venue's
 * fees (venue.currency) and the risk limits file (its `currency:` key)
 * state theirs, and one that differs from the instrument's is refused at
 * load, never applied.
 *
 * The YAML engine is libcore/config/cfg.h; the key tables are in config.c.
 *
 * All functions here may allocate (libyaml does) and read files; call them
 * from start-up code or tools, never from a do_work loop.  They keep no
 * state between calls, so any thread may call them on its own struct.
 */
#ifndef DM_LIBCORE_CONFIG_CONFIG_H
#define DM_LIBCORE_CONFIG_CONFIG_H

#include <stdint.h>
#include <stddef.h>

#include "libcore/config/cfg.h"
#include "libcore/exec/exec.h"
#include "libcore/features/features.h"
#include "libcore/quality/quality.h"
#include "libcore/replay/replay_cfg.h"
#include "libcore/strategy/strategy_cfg.h"
#include "libcore/vote/vote_cfg.h"
#include "libcore/venue/venue.h"

enum cfg_agent_id {
	AGENT_COORDINATOR,
	AGENT_DATA,
	AGENT_FEATURE,
	AGENT_ML,
	AGENT_EXECUTION,
	AGENT_RISK,
	AGENT_COUNT
};

/* "coordinator", "data", "feature", "ml", "execution", "risk" */
extern const char *const cfg_agent_names[AGENT_COUNT];

/* How an agent waits when it has no work.  YAML: spin, yield, sleep, backoff. */
enum cfg_idle { IDLE_SPIN, IDLE_YIELD, IDLE_SLEEP, IDLE_BACKOFF };

/* What a ring does when full.  YAML: block, conflate (same values as
 * enum ring_policy in shm/ring.h). */
enum cfg_policy { CFG_RING_BLOCK = 0, CFG_RING_CONFLATE = 1 };

#define CFG_MAX_RINGS 32
#define CFG_NAME_MAX  32

struct cfg_agent {
	int32_t  cpu;              /* -1 = not pinned; else 0..1023 */
	uint32_t idle;             /* enum cfg_idle; default backoff */
	uint32_t spin_iters;       /* backoff: polls before yielding; default 0, 0..100000000 */
	uint32_t yield_iters;      /* backoff: sched_yield polls before sleeping; default 0, 0..1000000 */
	uint32_t sleep_timeout_us; /* futex sleep upper bound, us; default 100000, 1..10000000 */
};

struct cfg_ring {
	char     name[CFG_NAME_MAX];   /* unique; letters, digits, '_' */
	uint32_t producer, consumer;   /* enum cfg_agent_id; YAML: agent names; differ */
	uint32_t capacity;             /* slots, power of two, 2..1048576 */
	uint32_t slot_size;            /* bytes, multiple of 64, 64..4096 */
	uint32_t policy;               /* enum cfg_policy */
};

#define CFG_SYMBOL_MAX   8        /* symbol root buffer: 1..7 letters A-Z */
#define CFG_CURRENCY_MAX 8        /* currency code buffer: 1..7 letters A-Z */
#define CFG_MONTHS_MAX   13       /* contract month letters buffer: 1..12 */
#define CFG_HOLIDAYS_MAX 64       /* entries of instrument.holidays_extra */

/*
 * The traded instrument and its calendar (YAML: instrument:).  Read by
 * instr_init() (libcore/market/instrument.h) and cal_init() (libcore/market/calendar.h);
 * docs/instrument.md explains the units and the rules.  Times of day are
 * local exchange time; dates are days since 1970-01-01 (dm_date_t).
 */
struct cfg_instrument {
	char     symbol[CFG_SYMBOL_MAX];    /* contract code root; default "WIN" */
	char     contract_months[CFG_MONTHS_MAX]; /* month letters (F=Jan..Z=Dec)
	                                     * in month order; default "GJMQVZ" */
	int64_t  tick_size_e6;              /* tick, points x 10^6; default
	                                     * 5000000 (5 points) */
	int64_t  point_value_e6;            /* currency per 1.0 price unit per lot
	                                     * x 10^6; default 200000 (R$ 0.20);
	                                     * YAML point_value (point_value_brl,
	                                     * deprecated, when currency is BRL) */
	int64_t  lot_size_e6;               /* one lot in the instrument's size
	                                     * unit x 10^6; default 1000000 (1) */
	char     currency[CFG_CURRENCY_MAX]; /* of every money amount; default "BRL" */
	uint32_t price_decimals;            /* decimals of a price in points;
	                                     * default 0, 0..6 */
	int32_t  utc_offset_min;            /* local = UTC + this, minutes;
	                                     * default -180, -720..840 */
	uint32_t session_open_s;            /* local s after midnight; default
	                                     * 32400 (09:00) */
	uint32_t session_close_s;           /* default 66300 (18:25); > open */
	uint32_t ash_wednesday_open_s;      /* late open on Ash Wednesday;
	                                     * default 46800 (13:00); < close */
	uint32_t expiry_weekday;            /* 0 = Sunday .. 6; default 3 */
	uint32_t expiry_anchor_day;         /* default 15, 4..25 */
	uint32_t roll_days_before_expiry;   /* default 0 (roll on expiry day), 0..20 */
	uint32_t n_holidays_extra;          /* used entries of holidays_extra[] */
	int32_t  holidays_extra[CFG_HOLIDAYS_MAX]; /* extra non-session dates, days
	                                     * since 1970-01-01, as listed; rest 0 */
};

/* The risk agent's limits live in their own file (YAML: risk: limits:). */
struct cfg_risk_ref {
	char     limits[256];        /* path of the limits file (see Paths above);
	                              * default "risk.yaml" (conf/risk.yaml) */
};

struct dm_config {
	char path[256];                 /* file it was loaded from ("" = defaults) */
	struct {
		char     shm_name[64];  /* default "/dreammaker"; '/' then no other '/' */
		char     run_dir[256];  /* default "/tmp/dreammaker"; absolute */
		uint32_t heartbeat_ms;  /* default 50, 1..10000 */
		uint32_t stale_ms;      /* heartbeat older = agent down; default 500,
		                         * 1..600000, > heartbeat_ms */
	} system;
	struct cfg_agent agent[AGENT_COUNT]; /* YAML: agents: { coordinator: {...}, ... } */
	struct cfg_ring ring[CFG_MAX_RINGS]; /* YAML: rings: a sequence of mappings */
	uint32_t n_rings;                    /* used entries of ring[]; the rest are zero */
	struct cfg_instrument instrument;    /* YAML: instrument: { symbol: WIN, ... } */
	struct feat_params features;         /* YAML: features: { levels: 5, ... };
	                                      * feat_cfg_keys; tick, lot and an
	                                      * auto clock are the host's
	                                      * (feat_params_host) */
	struct vote_cfg vote;                /* YAML: vote:; vote_cfg_keys */
	struct replay_cfg data;              /* YAML: data:; replay_cfg_keys */
	struct qual_limits quality;          /* YAML: quality:; qual_cfg_keys */
	struct strategy_cfg strategy;        /* YAML: strategy:; strategy_cfg_keys;
	                                      * model: see Paths above */
	struct exec_cfg execution;           /* YAML: execution:; exec_cfg_keys */
	struct venue_cfg venue;              /* YAML: venue:; venue_cfg_keys; the
	                                      * host sets instrument and max_*,
	                                      * and resolves latency_file */
	struct cfg_risk_ref risk;            /* YAML: risk: */
};

/* Fill c with the built-in defaults (the values in conf/default.yaml).
 * Never fails, never allocates. */
void config_defaults(struct dm_config *c);

/*
 * Load the YAML file at path over the built-in defaults into c (c need not
 * be initialised).  Returns 0, or -DM_ECONFIG with one line in err naming
 * the place and the key ("conf/x.yaml:12:5: key 'agents.feature.spin_iters':
 * value -3 out of range [0, 100000000]"); an unreadable file gives
 * "path: cannot open: <errno text>".  On failure c is left unchanged.
 * err may be NULL; a message longer than errlen is cut.
 * Allocates through libyaml and frees everything before returning.
 */
int config_load(struct dm_config *c, const char *path, char *err, size_t errlen);

/*
 * A path named in the configuration, resolved: absolute stays ("" too); a
 * relative one is a default (config_load made every relative path a file
 * sets absolute), taken from the project's conf/ directory
 * (config_conf_dir).  0, -ENAMETOOLONG, or -ENOENT when no conf/ directory
 * is found.  c is unused but names whose path it is.  Start-up code.
 */
int config_resolve(const struct dm_config *c, const char *rel, char *out, size_t len);

/*
 * The project's conf/ directory, the one holding the built-in default file
 * conf/default.yaml: $DM_CONF_DIR if set and not empty; else the nearest
 * conf/ with a default.yaml above the running executable
 * (/proc/self/exe: build/bin/dm-x -> build/bin/../../conf); else ./conf if
 * it has a default.yaml.  Absolute unless DM_CONF_DIR is relative.
 * 0, -ENOENT (none found) or -ENAMETOOLONG.  Reads the file system.
 */
int config_conf_dir(char *out, size_t len);

struct risk_cfg; /* libcore/risk/risk.h */

/*
 * Load the risk limits file (conf/risk.yaml documents every key) into r.
 * Every limit is required, its `currency` too: a missing one, an unknown
 * key, a wrong type or a value out of range (a negative size, say) is
 * refused with the file, line, column and key, as config_load does, and r
 * is left unchanged.  The currency is not compared with anything here:
 * config_load_risk_for does that.
 */
int config_load_risk(struct risk_cfg *r, const char *path, char *err, size_t errlen);

/*
 * Load the risk limits file c names (risk.limits, resolved by
 * config_resolve) as config_load_risk does, then refuse limits whose
 * currency differs from c->instrument.currency, with a message naming
 * both and the fix (the instrument profile under conf/instruments/, or
 * set currency).  If path is not NULL the resolved path is written there.
 * 0 or -DM_ECONFIG.  Start-up code and tools.
 */
int config_load_risk_for(const struct dm_config *c, struct risk_cfg *r, char *path,
                         size_t pathlen, char *err, size_t errlen);

/*
 * Everything a run needs beyond config_load, checked before any process
 * starts: the risk limits (config_load_risk_for, into r when r is not
 * NULL), and that strategy.model and venue.latency_file, when set, name
 * readable files.  0 or -DM_ECONFIG with one line in err.  Tools.
 */
int config_check_files(const struct dm_config *c, struct risk_cfg *r, char *err,
                       size_t errlen);

/* Index of the ring called name in c->ring[], or -1. */
int config_ring_find(const struct dm_config *c, const char *name);

/* enum cfg_agent_id of an agent name, or -1 if name is unknown or NULL. */
int config_agent_id(const char *name);

#endif /* DM_LIBCORE_CONFIG_CONFIG_H */
