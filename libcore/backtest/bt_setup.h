/*
 * bt_setup.h — what a backtest needs before its first event: the
 * configuration, the input's reading plan and the trading core's
 * parameters, found the same way by every tool that backtests (dm-backtest,
 * dm-cv, dm-search).
 *
 * The configuration is the file given (-c), else the built-in one; when no
 * file is given and the built-in configuration does not trade the input's
 * instrument, the bundled profile that does (a conf/instruments/ file, as
 * `dmctl run` picks it), and the input is resolved again with that
 * profile's instrument.  The files the configuration names (risk limits,
 * model, latency file) are checked to exist before anything runs.
 *
 * Start-up code: reads files, may allocate through libyaml.
 */
#ifndef DM_LIBCORE_BACKTEST_BT_SETUP_H
#define DM_LIBCORE_BACKTEST_BT_SETUP_H

#include <stdint.h>

#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/feed/feed.h"
#include "libcore/trader/trader_params.h"

/* How the host reads a configuration file into libcore's part (the agents'
 * host: rt_config_load_core, which also knows the agents' sections), and
 * a file over one already loaded (rt_config_load_core_over); NULL:
 * config_load and config_load_host_over without a host. */
typedef int (*bt_load_fn)(struct dm_config *c, const char *path, char *err, size_t errlen);

struct bt_loader {
	bt_load_fn load, load_over;
};

#define BT_MAX_CONFIGS 8

struct bt_setup {
	struct dm_config cfg;
	struct feed_plan plan;        /* feed_open(input, plan.fmt, &plan.fo) */
	struct feed_instr conf_in;    /* the configured instrument plan points into */
	struct trader_params tp;
	char model[512];              /* strategy.model, resolved ("" none) */
	char cname[2200];             /* the configuration: its file(s) ("a + b"),
	                               * or "the built-in configuration" */
	int  profile;                 /* 1: cname is a bundled profile picked for
	                               * the input */
};

/*
 * Fill *s for input (configs: n files, each read over the ones before it
 * (-c A -c B), or none; ld: how to read them and the bundled profiles,
 * NULL for libcore's own loaders; fa: the feed options as given; epoch:
 * the order ids' epoch).  0, or a negative error with one line in
 * err naming the file and key or the input (cli_exit_code maps it: 2 for
 * bad input or configuration).
 */
int bt_setup(struct bt_setup *s, const char *input, const char *const *configs, uint32_t n,
	     const struct bt_loader *ld, const struct cli_feed_args *fa, uint64_t epoch, char *err,
	     size_t errlen);

#endif /* DM_LIBCORE_BACKTEST_BT_SETUP_H */
