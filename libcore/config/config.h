/*
 * config.h — the run configuration of the trading system: the traded
 * instrument with its exchange calendar, and each module's parameters
 * (features, vote, coordinator, data, quality, strategy, execution, venue,
 * risk, mt5).
 *
 * One YAML file (conf/default.yaml documents every key) is read once at
 * start-up into a plain struct dm_config; nothing reads YAML afterwards.
 * Loading starts from the built-in defaults, which equal conf/default.yaml,
 * and the file (a site file) overrides only the keys it sets.
 *
 * Hosts.  The same file may hold sections that belong to whoever hosts
 * the modules, not to the trading system: the agents keep their
 * processes, rings and segment there (agents:, rings:, system:;
 * agents/rt/topology.h).  libcore knows none of them.  A host hands its
 * root sections to config_load_host (struct config_host: its key rows,
 * its struct, its defaults, its cross-check) and the file is read in one
 * pass against both: an unknown root key is measured against the host's
 * names too ("ringz" -> "did you mean 'rings'"), and the host's errors are
 * located like libcore's.  config_load is config_load_host without a
 * host: a root key no libcore module owns (agents:, say) is refused as
 * unknown, so every tool reads the run configuration through its host's
 * loader (rt_config_load, agents/rt/view.h) and a file is refused alike by
 * all.
 *
 * Paths (strategy.model, risk.limits, venue.latency_file, mt5.secret_file).  A relative path
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
#include "libcore/coord/coord_cfg.h"
#include "libcore/exec/exec.h"
#include "libcore/features/features.h"
#include "libcore/mt5/mt5_cfg.h"
#include "libcore/quality/quality.h"
#include "libcore/replay/replay_cfg.h"
#include "libcore/strategy/strategy_cfg.h"
#include "libcore/vote/vote_cfg.h"
#include "libcore/venue/venue.h"

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
	struct cfg_instrument instrument;    /* YAML: instrument: { symbol: WIN, ... } */
	struct feat_params features;         /* YAML: features: { levels: 5, ... };
	                                      * feat_cfg_keys; tick, lot and an
	                                      * auto clock are the host's
	                                      * (feat_params_host) */
	struct vote_cfg vote;                /* YAML: vote:; vote_cfg_keys */
	struct coord_cfg coordinator;        /* YAML: coordinator:; coord_cfg_keys */
	struct replay_cfg data;              /* YAML: data:; replay_cfg_keys */
	struct qual_limits quality;          /* YAML: quality:; qual_cfg_keys */
	struct strategy_cfg strategy;        /* YAML: strategy:; strategy_cfg_keys;
	                                      * model: see Paths above */
	struct exec_cfg execution;           /* YAML: execution:; exec_cfg_keys */
	struct venue_cfg venue;              /* YAML: venue:; venue_cfg_keys; the
	                                      * host sets instrument and max_*,
	                                      * and resolves latency_file */
	struct cfg_risk_ref risk;            /* YAML: risk: */
	struct mt5_cfg mt5;                  /* YAML: mt5:; mt5_cfg_keys (the
	                                      * MetaTrader 5 bridge); secret_file:
	                                      * see Paths above */
};

/* Fill c with the built-in defaults (the values in conf/default.yaml).
 * Never fails, never allocates. */
void config_defaults(struct dm_config *c);

/*
 * Load the YAML file at path over the built-in defaults into c (c need not
 * be initialised).  Returns 0, or -DM_ECONFIG with one line in err naming
 * the place and the key ("conf/x.yaml:12:5: key 'features.levels': value
 * 0 out of range [1, 10]"); an unreadable file gives "path: cannot open:
 * <errno text>".  On failure c is left unchanged.  err may be NULL; a
 * message longer than errlen is cut.  A root key of no libcore module is
 * refused as unknown (see Hosts above): config_load_host(c, path, NULL,
 * err, errlen).  Allocates through libyaml and frees everything before
 * returning.
 */
int config_load(struct dm_config *c, const char *path, char *err, size_t errlen);

struct cfg_ctx;

/*
 * A host's root sections of the file (see Hosts above).  Its rows are
 * root rows of cfg.h (CFG_MAP, CFG_K_SEQ...) with offsets into *base; no
 * name may be one of libcore's sections.  A sequence the file sets
 * replaces the host's whole default list, as any CFG_K_SEQ does.
 */
struct config_host {
	const struct cfg_key *keys;     /* root rows, CFG_KEY_END last */
	void *base;                     /* the struct the rows write into */
	/* Fill the host's part of *base with its defaults before the file is
	 * read; may be NULL (base already holds them). */
	void (*defaults)(void *base);
	/* Cross-check once every key of the file is in (before libcore's own):
	 * 0, or cfg_fail() placed with the cfg.h cross-check functions, so the
	 * error is located ("file:line:col: key 'sec[2].name': ...").  c is the
	 * libcore part as loaded.  May be NULL. */
	int (*check)(struct cfg_ctx *x, void *base, const struct dm_config *c);
};

/*
 * config_load with a host's sections: the file is read once against
 * libcore's root rows and h's (h NULL: config_load).  Returns as
 * config_load; c is left unchanged on failure, but h->base may be partly
 * written: a host loads into a scratch copy and keeps it on success
 * (rt_config_load does).  The same threads and cost as config_load.
 */
int config_load_host(struct dm_config *c, const char *path, const struct config_host *h,
                     char *err, size_t errlen);

/*
 * A file over a configuration already loaded: the keys path sets replace
 * those of *c (and of h->base), every other value stays; the same checks
 * and located errors as config_load_host, the file's relative paths taken
 * from its own directory.  So a search trial's file of a few keys goes
 * over its base file (dm-cv -c BASE -c TRIAL).  c unchanged on failure.
 */
int config_load_host_over(struct dm_config *c, const char *path, const struct config_host *h,
                          char *err, size_t errlen);

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
 * (/proc/self/exe: build/bin/dm-x -> build/bin/../../conf), or in an
 * installed tree the nearest share/dreammaker/conf/ with one
 * (PREFIX/bin/dm-x -> PREFIX/share/dreammaker/conf, where make install
 * puts the shipped conf/, and the model beside it as in the source tree:
 * PREFIX/share/dreammaker/build/model/default.json); else ./conf if it
 * has a default.yaml.  Absolute unless DM_CONF_DIR is relative.
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

#endif /* DM_LIBCORE_CONFIG_CONFIG_H */
