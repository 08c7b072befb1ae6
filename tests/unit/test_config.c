/*
 * test_config.c — the YAML configuration loader: libcore's part of the
 * run configuration, and a host's sections joining it (config_load_host).
 *
 * Each error test writes a small YAML text to a mkstemp file under /tmp,
 * loads it, removes it, and checks the message starts with
 * "<file>:<line>:<column>: key '<dotted key>'" worked out by hand from the
 * text (lines and columns count from 1; a key indented by 2 is column 3).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/rt/topology.h"
#include "libcore/config/config.h"
#include "libcore/vote/role.h"
#include "libcore/types.h"

struct t_load {
	int rc;
	char path[64];
	char err[512];
	struct dm_config c;
};

/* Write text to a fresh file under /tmp, load it into r->c, remove it. */
static void t_load_text(const char *text, struct t_load *r)
{
	size_t n = strlen(text);
	int fd;

	strcpy(r->path, "/tmp/dm_test_config_XXXXXX");
	fd = mkstemp(r->path);
	cr_assert(fd >= 0, "mkstemp failed");
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	r->err[0] = '\0';
	r->rc = config_load(&r->c, r->path, r->err, sizeof(r->err));
	unlink(r->path);
}

/* The load fails; err starts with "<file>:<where>" and contains what. */
static void t_expect_error(const char *text, const char *where, const char *what)
{
	struct t_load r;
	char want[256];

	t_load_text(text, &r);
	cr_assert_eq(r.rc, -DM_ECONFIG, "rc %d for:\n%s", r.rc, text);
	snprintf(want, sizeof(want), "%s:%s", r.path, where);
	cr_assert(strncmp(r.err, want, strlen(want)) == 0,
	          "err '%s'\ndoes not start with '%s'", r.err, want);
	cr_assert(strstr(r.err, what), "err '%s'\nlacks '%s'", r.err, what);
	cr_assert_null(strchr(r.err, '\n'), "err is one line: '%s'", r.err);
}

static void t_load_ok(const char *text, struct t_load *r)
{
	t_load_text(text, r);
	cr_assert_eq(r->rc, 0, "load failed: %s", r->err);
	cr_assert_str_eq(r->c.path, r->path);
}

static void t_assert_instrument_eq(const struct cfg_instrument *x,
                                   const struct cfg_instrument *y)
{
	cr_assert_str_eq(x->symbol, y->symbol);
	cr_assert_str_eq(x->contract_months, y->contract_months);
	cr_assert_eq(x->tick_size_e6, y->tick_size_e6);
	cr_assert_eq(x->point_value_e6, y->point_value_e6);
	cr_assert_eq(x->lot_size_e6, y->lot_size_e6);
	cr_assert_str_eq(x->currency, y->currency);
	cr_assert_eq(x->price_decimals, y->price_decimals);
	cr_assert_eq(x->utc_offset_min, y->utc_offset_min);
	cr_assert_eq(x->session_open_s, y->session_open_s);
	cr_assert_eq(x->session_close_s, y->session_close_s);
	cr_assert_eq(x->ash_wednesday_open_s, y->ash_wednesday_open_s);
	cr_assert_eq(x->expiry_weekday, y->expiry_weekday);
	cr_assert_eq(x->expiry_anchor_day, y->expiry_anchor_day);
	cr_assert_eq(x->roll_days_before_expiry, y->roll_days_before_expiry);
	cr_assert_eq(x->n_holidays_extra, y->n_holidays_extra);
	for (uint32_t i = 0; i < CFG_HOLIDAYS_MAX; i++)
		cr_assert_eq(x->holidays_extra[i], y->holidays_extra[i], "holidays_extra[%u]", i);
}

static void t_assert_features_eq(const struct feat_params *x, const struct feat_params *y)
{
	cr_assert_eq(x->tick, y->tick, "features.tick (the host's)");
	cr_assert_eq(x->lot, y->lot, "features.lot (the host's)");
	cr_assert_eq(x->levels, y->levels, "features.levels");
	cr_assert_eq(x->w_ofi, y->w_ofi, "features.ofi_window");
	cr_assert_eq(x->w_vol, y->w_vol, "features.vol_window");
	cr_assert_eq(x->vel_k, y->vel_k, "features.velocity_lag");
	cr_assert_eq(x->w_liq, y->w_liq, "features.liquidity_window");
	cr_assert_eq(x->rsi_n, y->rsi_n, "features.rsi_period");
	cr_assert_eq(x->macd_fast, y->macd_fast, "features.macd.fast");
	cr_assert_eq(x->macd_slow, y->macd_slow, "features.macd.slow");
	cr_assert_eq(x->macd_signal, y->macd_signal, "features.macd.signal");
	cr_assert_eq(x->boll_n, y->boll_n, "features.bollinger.window");
	cr_assert_eq(x->boll_k, y->boll_k, "features.bollinger.k");
	cr_assert_eq(x->mu_buy, y->mu_buy, "features.hawkes.mu_buy");
	cr_assert_eq(x->mu_sell, y->mu_sell, "features.hawkes.mu_sell");
	cr_assert_eq(x->alpha, y->alpha, "features.hawkes.alpha");
	cr_assert_eq(x->beta, y->beta, "features.hawkes.beta");
	cr_assert_eq(x->fd_d, y->fd_d, "features.fracdiff.d");
	cr_assert_eq(x->fd_thresh, y->fd_thresh, "features.fracdiff.threshold");
	cr_assert_eq(x->clock, y->clock, "features.clock");
}

/* Field-by-field, so a failure names the field; then every byte. */
static void t_assert_config_eq(const struct dm_config *a, const struct dm_config *b)
{
	cr_assert_str_eq(a->path, b->path);
	t_assert_instrument_eq(&a->instrument, &b->instrument);
	t_assert_features_eq(&a->features, &b->features);
	cr_assert_eq(a->vote.voters, b->vote.voters, "vote.voters");
	cr_assert_eq(a->vote.veto, b->vote.veto, "vote.veto");
	cr_assert_str_eq(a->vote.quorum, b->vote.quorum, "vote.quorum");
	cr_assert_eq(a->vote.deadline_us, b->vote.deadline_us, "vote.deadline_us");
	cr_assert_str_eq(a->strategy.model, b->strategy.model, "strategy.model");
	cr_assert_str_eq(a->strategy.primary_feature, b->strategy.primary_feature);
	cr_assert_eq(a->strategy.threshold_e6, b->strategy.threshold_e6, "strategy.threshold");
	cr_assert_eq(a->strategy.min_prob_e6, b->strategy.min_prob_e6, "strategy.min_prob");
	cr_assert_eq(a->venue.fee_per_lot_e6, b->venue.fee_per_lot_e6, "venue fee");
	cr_assert_str_eq(a->venue.currency, b->venue.currency, "venue.currency");
	cr_assert_str_eq(a->risk.limits, b->risk.limits, "risk.limits");
	cr_assert(memcmp(a, b, sizeof(*a)) == 0, "configs differ in some byte");
}

/* ------------------------------------------------------------ loading */

/* The run configuration's sections that the agents own (system:, agents:,
 * rings:) are their loader's (agents/rt/topology.h, test_topology.c); here
 * libcore's part alone. */
Test(config, empty_file_and_empty_sections_give_defaults)
{
	struct t_load r;
	struct dm_config want;

	config_defaults(&want);
	t_load_ok("", &r);
	strcpy(want.path, r.path);
	t_assert_config_eq(&r.c, &want);
	t_load_ok("# nothing set\nvote:\ninstrument:\nfeatures:\n  macd:\n", &r);
	strcpy(want.path, r.path);
	t_assert_config_eq(&r.c, &want);
}

Test(config, failed_load_leaves_config_unchanged)
{
	struct dm_config c, before;
	char err[256];

	config_defaults(&c);
	c.vote.deadline_us = 7;
	before = c;
	cr_assert_eq(config_load(&c, "/tmp/dm_test_config_no_such_file.yaml",
	                         err, sizeof(err)), -DM_ECONFIG);
	cr_assert(memcmp(&c, &before, sizeof(c)) == 0);
	/* a file that reads but fails a cross-check leaves it too */
	struct t_load r;
	r.c = before;
	t_load_text("vote:\n  deadline_us: 9\n  voters: []\n", &r);
	cr_assert_eq(r.rc, -DM_ECONFIG);
	cr_assert(memcmp(&r.c, &before, sizeof(r.c)) == 0);
}

/* A file over a loaded configuration: its keys replace, the rest stays;
 * the result equals one file holding both; a refused file changes nothing. */
Test(config, a_file_over_another_replaces_only_its_keys)
{
	static const char base[] = "strategy:\n  min_prob: 0.6\n  max_contracts: 3\n"
				   "vote:\n  deadline_us: 70000\n";
	static const char top[] = "strategy:\n  max_contracts: 5\nfeatures:\n  levels: 3\n";
	static const char both[] = "strategy:\n  min_prob: 0.6\n  max_contracts: 5\n"
				   "vote:\n  deadline_us: 70000\nfeatures:\n  levels: 3\n";
	struct t_load a, m;
	char err[512], p[64];
	t_load_text(base, &a);
	cr_assert_eq(a.rc, 0, "%s", a.err);
	strcpy(p, "/tmp/dm_test_config_XXXXXX");
	int fd = mkstemp(p);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, top, strlen(top)), (ssize_t)strlen(top));
	close(fd);
	cr_assert_eq(config_load_host_over(&a.c, p, NULL, err, sizeof(err)), 0, "%s", err);
	t_load_text(both, &m);
	cr_assert_eq(m.rc, 0, "%s", m.err);
	strcpy(m.c.path, a.c.path);
	t_assert_config_eq(&a.c, &m.c);
	cr_assert_eq(a.c.strategy.max_contracts, 5);
	cr_assert_eq(a.c.vote.deadline_us, 70000, "a key the top file leaves stays");
	/* a refused file over it changes nothing */
	struct dm_config before = a.c;
	fd = open(p, O_WRONLY | O_TRUNC);
	cr_assert(fd >= 0);
	static const char bad[] = "features:\n  levels: 99\n";
	cr_assert_eq(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	cr_assert_eq(config_load_host_over(&a.c, p, NULL, err, sizeof(err)), -DM_ECONFIG);
	cr_assert(strstr(err, "features.levels"), "%s", err);
	cr_assert(memcmp(&a.c, &before, sizeof(before)) == 0);
	unlink(p);
}

Test(config, short_or_null_error_buffer_is_safe)
{
	struct dm_config c;
	char err[16];

	memset(err, 'x', sizeof(err));
	cr_assert_eq(config_load(&c, "/tmp/dm_test_config_no_such_file.yaml",
	                         err, sizeof(err)), -DM_ECONFIG);
	cr_assert_eq(strlen(err), sizeof(err) - 1);
	cr_assert_eq(config_load(&c, "/tmp/dm_test_config_no_such_file.yaml",
	                         NULL, 0), -DM_ECONFIG);
}

Test(config, missing_file)
{
	const char *path = "/tmp/dm_test_config_no_such_dir/none.yaml";
	struct dm_config c;
	char err[256], want[256];

	cr_assert_eq(config_load(&c, path, err, sizeof(err)), -DM_ECONFIG);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	cr_assert_str_eq(err, want);
}

Test(config, unknown_top_level_key)
{
	t_expect_error("vote: {}\n"
	               "instrumnet:\n"
	               "  symbol: WIN\n",
	               "2:1: key 'instrumnet': ", "unknown key (did you mean 'instrument'?); "
	               "expected one of: instrument, features, vote, coordinator, data, "
	               "quality, strategy, execution, venue, risk");
}

/* Without a host, libcore knows no section of its host's: config_load
 * refuses one as any unknown key (every tool loads the file through the
 * agents' loader, rt_config_load). */
Test(config, without_a_host_a_hosts_section_is_unknown)
{
	t_expect_error("agents:\n"
	               "  ml: { cpu: 1 }\n",
	               "1:1: key 'agents': ", "unknown key; expected one of: instrument,");
}

/* ------------------------------------------------------------ a host */

/* A host of its own, apart from the agents': two root sections over its
 * struct, defaults it sets, a cross-check that places its error. */
struct t_host {
	uint32_t workers;        /* pool.workers, 1..64 */
	uint32_t queue;          /* pool.queue, a power of two */
	char     tag[16];        /* tag: */
	int      defaults_ran;
	const struct dm_config *seen_core; /* what the cross-check was given */
};

static const struct cfg_key t_pool_keys[] = {
	CFG_U32("workers", struct t_host, workers, 1, 64, NULL, 0, "threads"),
	CFG_U32("queue", struct t_host, queue, 2, 1024, cfg_check_pow2, 0, "slots"),
	CFG_KEY_END
};

static const struct cfg_key t_host_keys[] = {
	CFG_MAP("pool", 0, t_pool_keys, "the pool"),
	CFG_STR("tag", struct t_host, tag, NULL, 0, "a tag"),
	CFG_KEY_END
};

static void t_host_defaults(void *base)
{
	struct t_host *h = base;

	h->workers = 2;
	h->queue = 16;
	strcpy(h->tag, "none");
	h->defaults_ran = 1;
}

/* pool.workers must not exceed pool.queue; the vote's deadline (libcore's
 * part) must be at least workers us, to show the check sees both. */
static int t_host_check(struct cfg_ctx *x, void *base, const struct dm_config *c)
{
	struct t_host *h = base;
	static const char *const keys[] = { "workers", "queue" };

	h->seen_core = c;
	if (h->workers > h->queue) {
		cfg_at_section_key(x, "pool", keys, 2);
		return cfg_fail(x, "workers %u exceed queue %u", h->workers, h->queue);
	}
	if (c->vote.deadline_us < h->workers) {
		cfg_at_section_key(x, "pool", keys, 1);
		return cfg_fail(x, "workers %u exceed vote.deadline_us %u", h->workers,
		                c->vote.deadline_us);
	}
	return 0;
}

struct t_host_load {
	int rc;
	char path[64];
	char err[512];
	struct dm_config c;
	struct t_host h;
};

static void t_host_run(const char *text, struct t_host_load *r)
{
	const struct config_host host = {
		.keys = t_host_keys, .base = &r->h, .defaults = t_host_defaults,
		.check = t_host_check,
	};
	size_t n = strlen(text);
	int fd;

	strcpy(r->path, "/tmp/dm_test_config_XXXXXX");
	fd = mkstemp(r->path);
	cr_assert(fd >= 0, "mkstemp failed");
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	memset(&r->h, 0, sizeof(r->h));
	r->err[0] = '\0';
	r->rc = config_load_host(&r->c, r->path, &host, r->err, sizeof(r->err));
	unlink(r->path);
}

static void t_host_fails(const char *text, const char *where, const char *what)
{
	struct t_host_load r;
	char want[256];

	t_host_run(text, &r);
	cr_assert_eq(r.rc, -DM_ECONFIG, "rc %d for:\n%s", r.rc, text);
	snprintf(want, sizeof(want), "%s:%s", r.path, where);
	cr_assert(strncmp(r.err, want, strlen(want)) == 0,
	          "err '%s'\ndoes not start with '%s'", r.err, want);
	cr_assert(strstr(r.err, what), "err '%s'\nlacks '%s'", r.err, what);
}

Test(config_host, one_file_feeds_libcore_and_the_host)
{
	struct t_host_load r;
	struct dm_config want;

	t_host_run("pool:\n"
	           "  workers: 8\n"
	           "vote: { deadline_us: 1234 }\n"
	           "tag: abc\n", &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert(r.h.defaults_ran, "the host's defaults come first");
	cr_assert_eq(r.h.workers, 8);
	cr_assert_eq(r.h.queue, 16, "a key the file leaves keeps the host's default");
	cr_assert_str_eq(r.h.tag, "abc");
	cr_assert_not_null(r.h.seen_core, "the host's cross-check ran");
	config_defaults(&want);
	strcpy(want.path, r.path);
	want.vote.deadline_us = 1234;
	t_assert_config_eq(&r.c, &want);
}

Test(config_host, host_keys_are_checked_located_and_suggested)
{
	/* a typo of a host's section is measured against the host's names too */
	t_host_fails("vote: {}\n"
	             "pol:\n"
	             "  workers: 3\n",
	             "2:1: key 'pol': ", "unknown key (did you mean 'pool'?); expected one "
	             "of: pool, tag, instrument, features,");
	t_host_fails("pool:\n"
	             "  workres: 3\n",
	             "2:3: key 'pool.workres': ", "unknown key (did you mean 'workers'?)");
	t_host_fails("pool:\n"
	             "  queue: 12\n",
	             "2:3: key 'pool.queue': ", "value 12 is not a power of two");
	/* the host's cross-check, placed at the key the file sets */
	t_host_fails("tag: x\n"
	             "pool:\n"
	             "  queue: 4\n"
	             "  workers: 9\n",
	             "4:3: key 'pool.workers': ", "workers 9 exceed queue 4");
	t_host_fails("vote: { deadline_us: 3 }\n"
	             "pool: { workers: 4 }\n",
	             "2:9: key 'pool.workers': ", "workers 4 exceed vote.deadline_us 3");
	/* libcore's own errors are located as before */
	t_host_fails("pool: { workers: 1 }\n"
	             "vote:\n"
	             "  voters: [coordinator, risk]\n",
	             "3:3: key 'vote.voters': ", "cannot be a voter");
}

Test(config_host, failure_leaves_libcore_part_unchanged)
{
	struct t_host_load r;
	struct dm_config before;

	config_defaults(&r.c);
	r.c.vote.deadline_us = 77;
	before = r.c;
	t_host_run("vote: { deadline_us: 5 }\n"
	           "pool: { workers: 70 }\n", &r);
	cr_assert_eq(r.rc, -DM_ECONFIG);
	cr_assert(memcmp(&r.c, &before, sizeof(before)) == 0);
}

Test(config_host, a_host_key_libcore_owns_is_refused)
{
	static const struct cfg_key clash[] = {
		CFG_STR("vote", struct t_host, tag, NULL, 0, "libcore's name"),
		CFG_KEY_END
	};
	struct t_host h;
	const struct config_host host = { .keys = clash, .base = &h };
	struct dm_config c;
	char err[512];

	cr_assert_eq(config_load_host(&c, "conf/default.yaml", &host, err, sizeof(err)),
	             -DM_ECONFIG);
	cr_assert(strstr(err, "root key 'vote' in two key tables"), "%s", err);
}

/* ------------------------------------------------------------ instrument */

/* Days since 1970-01-01, counted by hand: 2022-01-01 is 52 years of
 * 365 days plus 13 leap days (1972..2020) = 18993. */
#define T_2022_01_01 18993

/* The WIN contract as B3 specifies it, restated independently of config.c. */
Test(config, instrument_defaults_describe_win)
{
	struct dm_config c;

	config_defaults(&c);
	cr_assert_str_eq(c.instrument.symbol, "WIN");
	cr_assert_eq(c.instrument.tick_size_e6, 5000000);      /* 5 points */
	cr_assert_eq(c.instrument.point_value_e6, 200000);     /* R$ 0.20 */
	cr_assert_eq(c.instrument.lot_size_e6, 1000000);       /* 1 contract */
	cr_assert_str_eq(c.instrument.currency, "BRL");
	cr_assert_str_eq(c.venue.currency, "BRL");
	cr_assert_eq(c.instrument.price_decimals, 0);
	cr_assert_eq(c.instrument.utc_offset_min, -3 * 60);
	cr_assert_eq(c.instrument.session_open_s, 9 * 3600);
	cr_assert_eq(c.instrument.session_close_s, 18 * 3600 + 25 * 60);
	cr_assert_eq(c.instrument.ash_wednesday_open_s, 13 * 3600);
	cr_assert_str_eq(c.instrument.contract_months, "GJMQVZ");
	cr_assert_eq(c.instrument.expiry_weekday, 3);          /* wednesday */
	cr_assert_eq(c.instrument.expiry_anchor_day, 15);
	cr_assert_eq(c.instrument.roll_days_before_expiry, 0);
	cr_assert_eq(c.instrument.n_holidays_extra, 0);
}

Test(config, instrument_keys_load)
{
	struct t_load r;
	struct dm_config want;

	t_load_ok("instrument:\n"
	          "  symbol: WDO\n"
	          "  tick_size: 0.5\n"
	          "  point_value_brl: 10\n"
	          "  price_decimals: 3\n"
	          "  utc_offset_minutes: -120\n"
	          "  session_open: 09:00:30\n"
	          "  session_close: \"18:30\"\n"
	          "  ash_wednesday_open: '12:00'\n"
	          "  contract_months: FGHJKMNQUVXZ\n"
	          "  expiry_weekday: monday\n"
	          "  expiry_anchor_day: 4\n"
	          "  roll_days_before_expiry: 2\n"
	          "  holidays_extra:\n"
	          "    - 2022-01-25\n"
	          "    - \"2022-01-01\"\n", &r);
	config_defaults(&want);
	strcpy(want.path, r.path);
	strcpy(want.instrument.symbol, "WDO");
	want.instrument.tick_size_e6 = 500000;
	want.instrument.point_value_e6 = 10000000;
	want.instrument.price_decimals = 3;
	want.instrument.utc_offset_min = -120;
	want.instrument.session_open_s = 9 * 3600 + 30;
	want.instrument.session_close_s = 18 * 3600 + 30 * 60;
	want.instrument.ash_wednesday_open_s = 12 * 3600;
	strcpy(want.instrument.contract_months, "FGHJKMNQUVXZ");
	want.instrument.expiry_weekday = 1;
	want.instrument.expiry_anchor_day = 4;
	want.instrument.roll_days_before_expiry = 2;
	want.instrument.n_holidays_extra = 2;
	want.instrument.holidays_extra[0] = T_2022_01_01 + 24;
	want.instrument.holidays_extra[1] = T_2022_01_01;
	t_assert_config_eq(&r.c, &want);
}

Test(config, holidays_extra_flow_list_and_empty_list)
{
	struct t_load r;

	t_load_ok("instrument: { holidays_extra: [2021-12-31, 2022-01-03] }\n", &r);
	cr_assert_eq(r.c.instrument.n_holidays_extra, 2);
	cr_assert_eq(r.c.instrument.holidays_extra[0], T_2022_01_01 - 1);
	cr_assert_eq(r.c.instrument.holidays_extra[1], T_2022_01_01 + 2);
	t_load_ok("instrument:\n  holidays_extra: []\n", &r);
	cr_assert_eq(r.c.instrument.n_holidays_extra, 0);
}

Test(config, bad_dates)
{
	/* "  holidays_extra: [" is 19 bytes: the first entry starts in column 20,
	 * the second, after "2022-01-25, ", in column 32. */
	t_expect_error("instrument:\n"
	               "  holidays_extra: [2022-01-25, 2022-02-30]\n",
	               "2:32: key 'instrument.holidays_extra[1]': ",
	               "value '2022-02-30' is not a date (expected YYYY-MM-DD");
	t_expect_error("instrument:\n"
	               "  holidays_extra:\n"
	               "    - 2022-01-25\n"
	               "    - 2022-1-26\n",
	               "4:7: key 'instrument.holidays_extra[1]': ",
	               "value '2022-1-26' is not a date");
	t_expect_error("instrument:\n"
	               "  holidays_extra: [25/01/2022]\n",
	               "2:20: key 'instrument.holidays_extra[0]': ",
	               "value '25/01/2022' is not a date");
	t_expect_error("instrument:\n"
	               "  holidays_extra: [2023-02-29]\n",
	               "2:20: key 'instrument.holidays_extra[0]': ",
	               "value '2023-02-29' is not a date");
	t_expect_error("instrument:\n"
	               "  holidays_extra: [2022-01-25, ~]\n",
	               "2:32: key 'instrument.holidays_extra[1]': ",
	               "expected a date YYYY-MM-DD, got null");
	t_expect_error("instrument:\n"
	               "  holidays_extra: [{day: 2022-01-25}]\n",
	               "2:20: key 'instrument.holidays_extra[0]': ",
	               "expected a date YYYY-MM-DD, got a mapping");
	t_expect_error("instrument:\n"
	               "  holidays_extra: 2022-01-25\n",
	               "2:3: key 'instrument.holidays_extra': ",
	               "expected a sequence of dates, got '2022-01-25'");
	t_expect_error("instrument:\n"
	               "  holidays_extra:\n"
	               "    - 2022-01-25\n"
	               "    - 2022-03-01\n"
	               "    - 2022-01-25\n",
	               "5:7: key 'instrument.holidays_extra[2]': ",
	               "date 2022-01-25 already listed at [0] (line 3)");
}

Test(config, too_many_extra_holidays)
{
	char text[4096];
	size_t pos = 0;

	pos += (size_t)snprintf(text, sizeof(text), "instrument:\n  holidays_extra:\n");
	for (int i = 0; i <= CFG_HOLIDAYS_MAX; i++)
		pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
		                        "    - 2030-%02d-%02d\n", 1 + i / 28, 1 + i % 28);
	/* Entry 65 (index 64) sits on line 67, after its "    - ". */
	t_expect_error(text, "67:7: key 'instrument.holidays_extra': ",
	               "too many entries (at most 64)");
}

Test(config, bad_times)
{
	t_expect_error("instrument:\n"
	               "  session_open: \"25:00\"\n",
	               "2:3: key 'instrument.session_open': ",
	               "value '25:00' is not a time of day (expected HH:MM or HH:MM:SS");
	t_expect_error("instrument:\n"
	               "  session_close: 9:00\n",
	               "2:3: key 'instrument.session_close': ",
	               "value '9:00' is not a time of day");
	t_expect_error("instrument:\n"
	               "  symbol: WIN\n"
	               "  session_close: \"18:60\"\n",
	               "3:3: key 'instrument.session_close': ",
	               "value '18:60' is not a time of day");
	t_expect_error("instrument:\n"
	               "  ash_wednesday_open: noon\n",
	               "2:3: key 'instrument.ash_wednesday_open': ",
	               "value 'noon' is not a time of day");
	t_expect_error("instrument:\n"
	               "  session_open:\n",
	               "2:3: key 'instrument.session_open': ",
	               "expected a time of day HH:MM, got null");
	t_expect_error("instrument:\n"
	               "  session_open: [9, 0]\n",
	               "2:3: key 'instrument.session_open': ",
	               "expected a time of day HH:MM, got a sequence");
}

Test(config, session_times_in_order)
{
	t_expect_error("instrument:\n"
	               "  session_open: \"19:00\"\n",
	               "2:3: key 'instrument.session_open': ",
	               "session_open 19:00 must be earlier than session_close 18:25");
	t_expect_error("instrument:\n"
	               "  symbol: WIN\n"
	               "  session_close: \"08:59:30\"\n",
	               "3:3: key 'instrument.session_close': ",
	               "session_open 09:00 must be earlier than session_close 08:59:30");
	t_expect_error("instrument:\n"
	               "  session_close: \"12:00\"\n",
	               "2:3: key 'instrument.session_close': ",
	               "ash_wednesday_open 13:00 must be earlier than session_close 12:00");
}

Test(config, bad_decimals)
{
	t_expect_error("instrument:\n"
	               "  tick_size: five\n",
	               "2:3: key 'instrument.tick_size': ",
	               "expected a decimal number, got 'five'");
	t_expect_error("instrument:\n"
	               "  tick_size: \"5\"\n",
	               "2:3: key 'instrument.tick_size': ",
	               "expected a decimal number, got quoted string '5'");
	t_expect_error("instrument:\n"
	               "  point_value_brl: 0.2000001\n",
	               "2:3: key 'instrument.point_value_brl': ",
	               "value 0.2000001 has more than 6 decimals");
	t_expect_error("instrument:\n"
	               "  tick_size: 0\n",
	               "2:3: key 'instrument.tick_size': ",
	               "value 0 out of range [0.000001, 100000]");
	t_expect_error("instrument:\n"
	               "  point_value_brl: -0.2\n",
	               "2:3: key 'instrument.point_value_brl': ",
	               "value -0.2 out of range [0.000001, 1000000]");
	t_expect_error("instrument:\n"
	               "  tick_size: 99999999999999999999\n",
	               "2:3: key 'instrument.tick_size': ",
	               "value 99999999999999999999 out of range");
}

Test(config, tick_must_fit_price_grid_and_nano_units)
{
	t_expect_error("instrument:\n"
	               "  tick_size: 0.5\n",
	               "2:3: key 'instrument.tick_size': ",
	               "tick_size 0.5 is not a multiple of 1, the smallest price step "
	               "with price_decimals 0");
	t_expect_error("instrument:\n"
	               "  tick_size: 0.25\n"
	               "  price_decimals: 1\n",
	               "2:3: key 'instrument.tick_size': ", "not a multiple of 0.1");
	/* 0.000001 x R$ 0.0001 = R$ 10^-10: a tenth of the money unit. */
	t_expect_error("instrument:\n"
	               "  tick_size: 0.000001\n"
	               "  price_decimals: 6\n"
	               "  point_value: 0.0001\n",
	               "4:3: key 'instrument.point_value': ",
	               "one tick of one lot is worth tick_size 0.000001 x point_value "
	               "0.0001 BRL, not a whole number of 10^-9 BRL");
	/* 0.000001 x 0.001 = 10^-9: exactly one unit, accepted. */
	struct t_load r;
	t_load_ok("instrument:\n"
	          "  tick_size: 0.000001\n"
	          "  price_decimals: 6\n"
	          "  point_value: 0.001\n", &r);
	/* what was refused as half a centavo is now exact: 5 x 0.001 =
	 * R$ 0.005 = 5,000,000 x 10^-9 */
	t_load_ok("instrument:\n  point_value: 0.001\n", &r);
}

Test(config, bad_symbol_months_weekday)
{
	t_expect_error("instrument:\n"
	               "  symbol: win\n",
	               "2:3: key 'instrument.symbol': ",
	               "value 'win' must be 1 to 7 capital letters A-Z");
	t_expect_error("instrument:\n"
	               "  contract_months: GJMQVZA\n",
	               "2:3: key 'instrument.contract_months': ",
	               "must use the month letters F G H J K M N Q U V X Z");
	t_expect_error("instrument:\n"
	               "  contract_months: ZG\n",
	               "2:3: key 'instrument.contract_months': ",
	               "each month once, in month order");
	t_expect_error("instrument:\n"
	               "  contract_months: \"\"\n",
	               "2:3: key 'instrument.contract_months': ",
	               "at least one month letter");
	t_expect_error("instrument:\n"
	               "  expiry_weekday: wed\n",
	               "2:3: key 'instrument.expiry_weekday': ",
	               "unknown weekday 'wed'; expected one of: sunday, monday, tuesday, "
	               "wednesday, thursday, friday, saturday");
	t_expect_error("instrument:\n"
	               "  expiry_anchor_day: 28\n",
	               "2:3: key 'instrument.expiry_anchor_day': ",
	               "value 28 out of range [4, 25]");
	t_expect_error("instrument:\n"
	               "  roll_days_before_expiry: 21\n",
	               "2:3: key 'instrument.roll_days_before_expiry': ",
	               "value 21 out of range [0, 20]");
}

Test(config, unknown_instrument_key)
{
	t_expect_error("instrument:\n"
	               "  holiday_extra: []\n",
	               "2:3: key 'instrument.holiday_extra': ",
	               "unknown key (did you mean 'holidays_extra'?)");
	t_expect_error("instrumnet:\n"
	               "  symbol: WIN\n",
	               "1:1: key 'instrumnet': ", "unknown key (did you mean 'instrument'?)");
}

/* ------------------------------------------------------------ features */

/* specs/features.md's defaults, restated here. */
Test(config, features_defaults_are_the_spec_values)
{
	struct dm_config c;

	config_defaults(&c);
	cr_assert_eq(c.features.levels, 5);
	cr_assert_eq(c.features.w_ofi, 100);
	cr_assert_eq(c.features.w_vol, 100);
	cr_assert_eq(c.features.vel_k, 10);
	cr_assert_eq(c.features.w_liq, 50);
	cr_assert_eq(c.features.rsi_n, 14);
	cr_assert_eq(c.features.macd_fast, 12);
	cr_assert_eq(c.features.macd_slow, 26);
	cr_assert_eq(c.features.macd_signal, 9);
	cr_assert_eq(c.features.boll_n, 20);
	cr_assert_eq(c.features.boll_k, 2.0);
	cr_assert_eq(c.features.mu_buy, 0.5);
	cr_assert_eq(c.features.mu_sell, 0.5);
	cr_assert_eq(c.features.alpha, 0.7);
	cr_assert_eq(c.features.beta, 10.0);
	cr_assert_eq(c.features.fd_d, 0.4);
	cr_assert_eq(c.features.fd_thresh, 0.0001);
	cr_assert_eq(c.features.clock, FEAT_CLOCK_AUTO);
	/* the host's part: tick and lot 1 until the host sets them */
	cr_assert_eq(c.features.tick, 1.0);
	cr_assert_eq(c.features.lot, 1.0);
}

Test(config, features_keys_load)
{
	struct t_load r;
	struct dm_config want;

	t_load_ok("features:\n"
	          "  levels: 10\n"
	          "  ofi_window: 7\n"
	          "  vol_window: 8\n"
	          "  velocity_lag: 3\n"
	          "  liquidity_window: 9\n"
	          "  rsi_period: 21\n"
	          "  hawkes: { mu_buy: 0.25, mu_sell: 1.5, alpha: 0.35, beta: 2.5 }\n"
	          "  macd:\n"
	          "    fast: 5\n"
	          "    slow: 35\n"
	          "    signal: 5\n"
	          "  bollinger: { window: 50, k: 2.5 }\n"
	          "  fracdiff: { d: 0.55, threshold: 0.00001 }\n"
	          "  clock: receive\n", &r);
	config_defaults(&want);
	strcpy(want.path, r.path);
	want.features.levels = 10;
	want.features.w_ofi = 7;
	want.features.w_vol = 8;
	want.features.vel_k = 3;
	want.features.w_liq = 9;
	want.features.rsi_n = 21;
	want.features.mu_buy = 0.25;
	want.features.mu_sell = 1.5;
	want.features.alpha = 0.35;
	want.features.beta = 2.5;
	want.features.macd_fast = 5;
	want.features.macd_slow = 35;
	want.features.macd_signal = 5;
	want.features.boll_n = 50;
	want.features.boll_k = 2.5;
	want.features.fd_d = 0.55;
	want.features.fd_thresh = 0.00001;
	want.features.clock = FEAT_CLOCK_RECV;
	t_assert_config_eq(&r.c, &want);
}

Test(config, features_bad_values)
{
	t_expect_error("features:\n"
	               "  levels: 21\n",
	               "2:3: key 'features.levels': ", "value 21 out of range [1, 20]");
	t_expect_error("features:\n"
	               "  ofi_window: 0\n",
	               "2:3: key 'features.ofi_window': ", "value 0 out of range [1, 100000]");
	t_expect_error("features:\n"
	               "  hawkes:\n"
	               "    beta: 0\n",
	               "3:5: key 'features.hawkes.beta': ", "value 0 out of range");
	t_expect_error("features:\n"
	               "  hawkes:\n"
	               "    alfa: 0.5\n",
	               "3:5: key 'features.hawkes.alfa': ",
	               "unknown key (did you mean 'alpha'?)");
	t_expect_error("features:\n"
	               "  fracdiff: { d: 0.4, threshold: 0.0000001 }\n",
	               "2:23: key 'features.fracdiff.threshold': ",
	               "more than 6 decimals");
	t_expect_error("features:\n"
	               "  fracdiff: { d: 2.5 }\n",
	               "2:15: key 'features.fracdiff.d': ", "value 2.5 out of range [0, 2]");
	t_expect_error("features:\n"
	               "  clock: wall\n",
	               "2:3: key 'features.clock': ",
	               "unknown clock 'wall'; expected one of: auto, exchange, receive");
	t_expect_error("features:\n"
	               "  macd: 12\n",
	               "2:3: key 'features.macd': ", "expected a mapping, got '12'");
}

Test(config, trading_sections_defaults)
{
	struct dm_config c;

	config_defaults(&c);
	cr_assert_eq(c.vote.voters, (1u << ROLE_RISK) | (1u << ROLE_EXECUTION) |
	                            (1u << ROLE_FEATURE));
	cr_assert_eq(c.vote.veto, 1u << ROLE_RISK);
	cr_assert_str_eq(c.vote.quorum, "majority");
	cr_assert_eq(c.vote.deadline_us, 50000);
	cr_assert_eq(c.data.pace, REPLAY_MAX);
	cr_assert_eq(c.data.speed_e6, 1000000);
	cr_assert_eq(c.venue.fee_per_lot_e6, 256100);
	cr_assert_str_eq(c.risk.limits, "risk.yaml");
	cr_assert_str_eq(c.strategy.primary_feature, "imb_1");
}

/* The sections a module owns are the module's own struct, and their
 * defaults the module's: config_defaults leaves them as the module's
 * default function does; the values restated from conf/default.yaml. */
Test(config, module_sections_carry_the_module_defaults)
{
	struct dm_config c;
	struct feat_params f;
	struct venue_cfg v;
	struct exec_cfg e;

	config_defaults(&c);
	feat_params_default(&f);
	venue_cfg_default(&v);
	exec_cfg_default(&e);
	cr_assert(memcmp(&c.features, &f, sizeof(f)) == 0, "features = feat_params_default");
	cr_assert(memcmp(&c.venue, &v, sizeof(v)) == 0, "venue = venue_cfg_default");
	cr_assert(memcmp(&c.execution, &e, sizeof(e)) == 0, "execution = exec_cfg_default");
	cr_assert_eq(c.execution.max_inflight, 4);
	cr_assert_eq(c.execution.max_open, 16);
	cr_assert_eq(c.execution.ack_timeout_ms, 1000);
	cr_assert_eq(c.venue.feed_latency_us, 200);
	cr_assert_eq(c.venue.entry_latency_us, 300);
	cr_assert_eq(c.venue.response_latency_us, 300);
	cr_assert_str_eq(c.venue.latency_file, "");
	cr_assert_eq(c.venue.fee_per_lot_e6, 256100);
	cr_assert_str_eq(c.venue.currency, "BRL");
	struct qual_limits q;
	qual_limits_default(&q);
	cr_assert(memcmp(&c.quality, &q, sizeof(q)) == 0, "quality = qual_limits_default");
	cr_assert_eq(c.quality.stale_ns, 1000000000, "stale_ms 1000");
	cr_assert_eq(c.quality.max_spread_ticks, 8);
	struct strategy_cfg s;
	strategy_cfg_default(&s);
	cr_assert(memcmp(&c.strategy, &s, sizeof(s)) == 0, "strategy = strategy_cfg_default");
	cr_assert_str_eq(c.strategy.model, "../build/model/default.json");
	cr_assert_eq(c.strategy.threshold_e6, 600000);
	cr_assert_eq(c.strategy.min_prob_e6, 550000);
	cr_assert_eq(c.strategy.min_interval_ms, 1000);
	cr_assert_eq(c.strategy.max_contracts, 1);
	cr_assert_eq(c.strategy.invert, 0);
	struct vote_cfg vc;
	vote_cfg_default(&vc);
	cr_assert(memcmp(&c.vote, &vc, sizeof(vc)) == 0, "vote = vote_cfg_default");
	struct replay_cfg rc;
	memset(&rc, 0xa5, sizeof(rc));
	replay_cfg_default(&rc);
	cr_assert(memcmp(&c.data, &rc, sizeof(rc)) == 0, "data = replay_cfg_default");
	cr_assert_eq(c.data.events_per_pass, 64);
	cr_assert_eq(c.data.speed_e6, 1000000);
}

/* A value read in one unit and stored in another keeps its range and
 * messages in the file's unit. */
Test(config, quality_ms_range_in_the_files_unit)
{
	t_expect_error("quality:\n"
	               "  stale_ms: 0\n",
	               "2:3: key 'quality.stale_ms': ", "value 0 out of range [1, 3600000]");
	t_expect_error("quality:\n"
	               "  stale_ms: 3600001\n",
	               "2:3: key 'quality.stale_ms': ",
	               "value 3600001 out of range [1, 3600000]");
	t_expect_error("quality:\n"
	               "  max_spread_ticks: 1.5\n",
	               "2:3: key 'quality.max_spread_ticks': ", "expected an integer, got '1.5'");
}

Test(config, trading_sections_load)
{
	struct t_load r;

	t_load_ok("vote:\n"
	          "  voters: [execution, risk]\n"
	          "  veto: []\n"
	          "  quorum: 2\n"
	          "  deadline_us: 1234\n"
	          "data: { pace: lockstep, speed: 2.5, events_per_pass: 8 }\n"
	          "quality: { stale_ms: 7, max_spread_ticks: 3 }\n"
	          "strategy: { model: m.json, primary_feature: ofi_ml, threshold: 1.5,\n"
	          "            min_prob: 0.7, invert: true, max_contracts: 3 }\n"
	          "execution: { max_inflight: 2, max_open: 5, ack_timeout_ms: 9 }\n"
	          "venue: { entry_latency_us: 11, fee_per_contract_brl: 0.31 }\n"
	          "risk: { limits: /etc/dm/risk.yaml }\n", &r);
	cr_assert_eq(r.c.vote.voters, (1u << ROLE_RISK) | (1u << ROLE_EXECUTION));
	cr_assert_eq(r.c.vote.veto, 0);
	cr_assert_str_eq(r.c.vote.quorum, "2");
	cr_assert_eq(r.c.vote.deadline_us, 1234);
	cr_assert_eq(r.c.data.pace, REPLAY_LOCKSTEP);
	cr_assert_eq(r.c.data.speed_e6, 2500000);
	cr_assert_eq(r.c.data.events_per_pass, 8);
	cr_assert_eq(r.c.quality.stale_ns, 7000000, "stale_ms 7 is 7 ms in ns");
	cr_assert_eq(r.c.quality.max_spread_ticks, 3);
	/* a relative path the file sets is taken from its directory (/tmp) */
	char tmpdir[PATH_MAX], want_model[PATH_MAX + 16];
	cr_assert_not_null(realpath("/tmp", tmpdir));
	snprintf(want_model, sizeof(want_model), "%s/m.json", tmpdir);
	cr_assert_str_eq(r.c.strategy.model, want_model);
	cr_assert_str_eq(r.c.strategy.primary_feature, "ofi_ml");
	cr_assert_eq(r.c.strategy.threshold_e6, 1500000);
	cr_assert_eq(r.c.strategy.min_prob_e6, 700000);
	cr_assert_eq(r.c.strategy.invert, 1);
	cr_assert_eq(r.c.strategy.max_contracts, 3);
	cr_assert_eq(r.c.execution.max_open, 5);
	cr_assert_eq(r.c.venue.entry_latency_us, 11);
	cr_assert_eq(r.c.venue.response_latency_us, 300, "unset keys keep defaults");
	cr_assert_eq(r.c.venue.fee_per_lot_e6, 310000, "the deprecated BRL name still reads");
	cr_assert_str_eq(r.c.risk.limits, "/etc/dm/risk.yaml");
}

Test(config, trading_sections_refuse_bad_values)
{
	t_expect_error("vote:\n  voters: [risk, exection]\n", "2:18: key 'vote.voters[1]': ",
	               "unknown role 'exection' (did you mean 'execution'?)");
	t_expect_error("vote:\n  voters: [risk, risk]\n", "2:18: key 'vote.voters[1]': ",
	               "listed twice");
	t_expect_error("vote:\n  voters: risk\n", "2:3: key 'vote.voters': ",
	               "a sequence of role names");
	t_expect_error("vote:\n  voters: [execution]\n", "2:3: key 'vote.voters': ",
	               "every veto holder must be among vote.voters");
	t_expect_error("vote:\n  voters: []\n", "2:3: key 'vote.voters': ",
	               "at least one voter");
	t_expect_error("vote:\n  voters: [coordinator, risk]\n", "2:3: key 'vote.voters': ",
	               "cannot be a voter");
	t_expect_error("vote:\n  quorum: 4\n", "2:3: key 'vote.quorum': ",
	               "must be 1..3");
	t_expect_error("vote:\n  quorum: most\n", "2:3: key 'vote.quorum': ",
	               "is not a quorum");
	t_expect_error("data:\n  pace: fast\n", "2:3: key 'data.pace': ",
	               "unknown pace 'fast'");
	t_expect_error("strategy:\n  invert: yes\n", "2:3: key 'strategy.invert': ",
	               "not a boolean");
	t_expect_error("strategy:\n  primary_feature: ofi\n",
	               "2:3: key 'strategy.primary_feature': ", "is not a feature name");
	t_expect_error("venue:\n  fee_per_contract_brl: -0.25\n",
	               "2:3: key 'venue.fee_per_contract_brl': ", "");
}

Test(config, resolve_defaults_against_the_conf_directory)
{
	struct dm_config c;
	char out[PATH_MAX + 64], dir[PATH_MAX], want[PATH_MAX + 64];

	/* the test runs from the checkout; its program is build/.../test_config */
	cr_assert_not_null(realpath("conf", dir));
	unsetenv("DM_CONF_DIR");
	cr_assert_eq(config_conf_dir(out, sizeof(out)), 0);
	cr_assert_str_eq(out, dir, "found from the executable's path");
	config_defaults(&c);
	snprintf(want, sizeof(want), "%s/risk.yaml", dir);
	cr_assert_eq(config_resolve(&c, "risk.yaml", out, sizeof(out)), 0);
	cr_assert_str_eq(out, want);
	/* whatever the configuration's own path: relative means a default */
	strcpy(c.path, "/elsewhere/site.yaml");
	cr_assert_eq(config_resolve(&c, "risk.yaml", out, sizeof(out)), 0);
	cr_assert_str_eq(out, want);
	cr_assert_eq(config_resolve(&c, "/abs/risk.yaml", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/abs/risk.yaml");
	cr_assert_eq(config_resolve(&c, "", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(config_resolve(&c, "risk.yaml", out, 8), -ENAMETOOLONG);
	/* DM_CONF_DIR overrides */
	setenv("DM_CONF_DIR", "/opt/dm/conf", 1);
	cr_assert_eq(config_resolve(&c, "risk.yaml", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/opt/dm/conf/risk.yaml");
	unsetenv("DM_CONF_DIR");
}

/* ---------------------------------------------------------------- risk.yaml */

#include "libcore/risk/risk.h"

/* currency last, so every other key keeps the line numbers below */
static const char risk_ok[] =
	"max_position: 5\n"
	"max_order_qty: 2\n"
	"order_rate:\n"
	"  per_second: 10\n"
	"  burst: 20\n"
	"price_collar_ticks: 20\n"
	"daily_loss: 2000\n"
	"max_drawdown: 1500.5\n"
	"reducing_at_loss: 1000\n"
	"stale_data_ms: 2000\n"
	"enforce_session: true\n"
	"kill_switch:\n"
	"  flatten: false\n"
	"currency: BRL\n";

struct t_risk {
	int rc;
	char path[64];
	char err[512];
	struct risk_cfg r;
};

static void t_risk_text(const char *text, struct t_risk *t)
{
	strcpy(t->path, "/tmp/dm_test_risk_XXXXXX");
	int fd = mkstemp(t->path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	t->err[0] = '\0';
	memset(&t->r, 0x5a, sizeof(t->r));
	t->rc = config_load_risk(&t->r, t->path, t->err, sizeof(t->err));
	unlink(t->path);
}

/* risk_ok with the line starting with `key` replaced by `line` ("" drops it). */
static void t_risk_edit(const char *key, const char *line, char *out, size_t n)
{
	const char *p = risk_ok;
	size_t o = 0;
	while (*p) {
		const char *e = strchr(p, '\n') + 1;
		if (strncmp(p, key, strlen(key)) == 0)
			o += (size_t)snprintf(out + o, n - o, "%s", line);
		else
			o += (size_t)snprintf(out + o, n - o, "%.*s", (int)(e - p), p);
		p = e;
	}
}

static void t_risk_error(const char *text, const char *where, const char *what)
{
	struct t_risk t;
	char want[128];
	t_risk_text(text, &t);
	cr_assert_eq(t.rc, -DM_ECONFIG, "accepted:\n%s", text);
	snprintf(want, sizeof(want), "%s:%s", t.path, where);
	cr_assert(strncmp(t.err, want, strlen(want)) == 0, "err '%s' does not start with '%s'",
	          t.err, want);
	cr_assert(strstr(t.err, what), "err '%s' lacks '%s'", t.err, what);
	for (size_t i = 0; i < sizeof(t.r); i++)
		cr_assert_eq(((unsigned char *)&t.r)[i], 0x5a, "output touched on failure");
}

Test(config_risk, bundled_file_loads)
{
	struct risk_cfg r;
	char err[512] = "";
	cr_assert_eq(config_load_risk(&r, "conf/risk.yaml", err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r.max_position, 5);
	cr_expect_eq(r.max_order_qty, 2);
	cr_expect_eq(r.daily_loss_e6, 2000LL * 1000000);
	cr_expect_str_eq(r.currency, "BRL");
	cr_expect_eq(r.enforce_session, 1);
	cr_expect_eq(r.kill_flatten, 0);
}

Test(config_risk, every_value_is_stored)
{
	struct t_risk t;
	t_risk_text(risk_ok, &t);
	cr_assert_eq(t.rc, 0, "%s", t.err);
	cr_expect_eq(t.r.max_position, 5);
	cr_expect_eq(t.r.max_order_qty, 2);
	cr_expect_eq(t.r.rate_per_s, 10);
	cr_expect_eq(t.r.rate_burst, 20);
	cr_expect_eq(t.r.collar_ticks, 20);
	cr_expect_eq(t.r.daily_loss_e6, 2000000000);
	cr_expect_eq(t.r.max_drawdown_e6, 1500500000);
	cr_expect_eq(t.r.reducing_at_e6, 1000000000);
	cr_expect_str_eq(t.r.currency, "BRL");
	cr_expect_eq(t.r.stale_data_ms, 2000);
	cr_expect_eq(t.r.enforce_session, 1);
	cr_expect_eq(t.r.kill_flatten, 0);
}

Test(config_risk, missing_limit_is_refused_with_its_name)
{
	char text[1024];
	t_risk_edit("max_position", "", text, sizeof(text));
	t_risk_error(text, "1:1: ", "missing required key 'max_position'");
	t_risk_edit("  burst", "", text, sizeof(text));
	t_risk_error(text, "4:3: key 'order_rate': ", "missing required key 'burst'");
	t_risk_error("", "1:1: ", "every risk limit must be set");
	t_risk_edit("currency", "", text, sizeof(text));
	t_risk_error(text, "1:1: ", "missing required key 'currency'");
	t_risk_edit("currency", "currency: brl\n", text, sizeof(text));
	t_risk_error(text, "14:1: key 'currency': ", "currency code of 1 to 7 capital letters");
}

Test(config_risk, negative_size_is_refused_with_line_and_key)
{
	char text[1024];
	t_risk_edit("max_order_qty", "max_order_qty: -3\n", text, sizeof(text));
	t_risk_error(text, "2:1: key 'max_order_qty': ", "value -3 out of range [1, 100000]");
	t_risk_edit("max_position", "max_position: 0\n", text, sizeof(text));
	t_risk_error(text, "1:1: key 'max_position': ", "out of range");
	t_risk_edit("daily_loss", "daily_loss: -10\n", text, sizeof(text));
	t_risk_error(text, "7:1: key 'daily_loss': ", "");
}

Test(config_risk, unknown_key_is_refused_with_a_suggestion)
{
	char text[1024];
	t_risk_edit("max_position", "max_postion: 5\n", text, sizeof(text));
	t_risk_error(text, "1:1: key 'max_postion': ", "did you mean 'max_position'?");
	t_risk_edit("  flatten", "  flaten: true\n", text, sizeof(text));
	t_risk_error(text, "13:3: key 'kill_switch.flaten': ", "did you mean 'flatten'?");
}

Test(config_risk, cross_checks_and_types)
{
	char text[1024];
	t_risk_edit("reducing_at_loss", "reducing_at_loss: 2000\n", text, sizeof(text));
	t_risk_error(text, "9:1: key 'reducing_at_loss': ", "below daily_loss");
	t_risk_edit("enforce_session", "enforce_session: 1\n", text, sizeof(text));
	t_risk_error(text, "11:1: key 'enforce_session': ", "not a boolean");
	t_risk_edit("max_position", "max_position: five\n", text, sizeof(text));
	t_risk_error(text, "1:1: key 'max_position': ", "an integer");
}

/* The flatten's plan: optional keys under kill_switch (0 / 1 slice: all at
 * once), read in their units; slices without a horizon refused. */
Test(config_risk, flatten_plan_keys)
{
	char text[1024];
	struct t_risk t;
	t_risk_text(risk_ok, &t);
	cr_assert_eq(t.rc, 0, "%s", t.err);
	cr_expect_eq(t.r.flatten_slices, 0, "default: all at once");
	cr_expect_eq(t.r.flatten_horizon_ns, 0);
	cr_expect_eq(t.r.flatten_eta, 0);
	t_risk_edit("  flatten:", "  flatten: true\n  flatten_slices: 4\n  flatten_horizon: 2s\n"
		    "  flatten_eta: 0.05\n  flatten_gamma: 0.01\n  flatten_sigma: 1.5\n"
		    "  flatten_risk_aversion: 0.1\n", text, sizeof(text));
	t_risk_text(text, &t);
	cr_assert_eq(t.rc, 0, "%s", t.err);
	cr_expect_eq(t.r.kill_flatten, 1);
	cr_expect_eq(t.r.flatten_slices, 4);
	cr_expect_eq(t.r.flatten_horizon_ns, 2000000000LL);
	cr_expect_float_eq(t.r.flatten_eta, 0.05, 1e-12);
	cr_expect_float_eq(t.r.flatten_gamma, 0.01, 1e-12);
	cr_expect_float_eq(t.r.flatten_sigma, 1.5, 1e-12);
	cr_expect_float_eq(t.r.flatten_lambda, 0.1, 1e-12);
	t_risk_edit("  flatten:", "  flatten: true\n  flatten_slices: 4\n", text, sizeof(text));
	t_risk_error(text, "", "kill_switch.flatten_horizon");
	t_risk_edit("  flatten:", "  flatten: true\n  flatten_slices: 300\n  flatten_horizon: 1s\n",
		    text, sizeof(text));
	t_risk_error(text, "14:3: key 'kill_switch.flatten_slices': ", "range");
}

/* execution: child orders and the passive rule, their cross-checks. */
Test(config, execution_child_and_passive_keys)
{
	struct t_load r;
	t_load_ok("execution:\n  child_max_qty: 4\n  child_horizon: 2s\n  impact:\n"
		  "    eta: 0.05\n    gamma: 0.01\n    sigma: 1.5\n    risk_aversion: 0.1\n"
		  "  passive: auto\n  passive_model:\n    horizon: 5s\n    move_ticks: 2\n"
		  "    fill_a: 1.2\n    fill_k: 0.8\n    order_lots: 3\n", &r);
	const struct exec_cfg *e = &r.c.execution;
	cr_expect_eq(e->child_max_qty, 4);
	cr_expect_eq(e->child_horizon_ns, 2000000000LL);
	cr_expect_float_eq(e->ac_eta, 0.05, 1e-12);
	cr_expect_float_eq(e->ac_gamma, 0.01, 1e-12);
	cr_expect_float_eq(e->ac_sigma, 1.5, 1e-12);
	cr_expect_float_eq(e->ac_lambda, 0.1, 1e-12);
	cr_expect_eq(e->passive, EXEC_PASSIVE_AUTO);
	cr_expect_eq(e->passive_horizon_ns, 5000000000LL);
	cr_expect_float_eq(e->passive_move, 2, 1e-12);
	cr_expect_float_eq(e->passive_a, 1.2, 1e-12);
	cr_expect_float_eq(e->passive_k, 0.8, 1e-12);
	cr_expect_float_eq(e->passive_lots, 3, 1e-12);
	cr_expect_eq(exec_cfg_check(e), 0);
	/* the defaults: nothing cut, passive off */
	t_load_ok("execution:\n  max_open: 8\n", &r);
	cr_expect_eq(r.c.execution.child_max_qty, 0);
	cr_expect_eq(r.c.execution.passive, EXEC_PASSIVE_OFF);
	t_expect_error("execution:\n  child_max_qty: 4\n", "2:3: key 'execution.child_max_qty'",
		       "needs child_horizon");
	t_expect_error("execution:\n  passive: auto\n", "2:3: key 'execution.passive'",
		       "passive_model.horizon");
	t_expect_error("execution:\n  passive: sometimes\n", "2:3: key 'execution.passive'",
		       "off");
	/* a study in place of fill_a; its path taken from the file's directory */
	t_load_ok("execution:\n  passive: auto\n  passive_model:\n    horizon: 5s\n"
		  "  study: s.json\n", &r);
	cr_expect_str_eq(r.c.execution.study, "/tmp/s.json");
}

Test(config_risk, missing_file_names_it)
{
	struct risk_cfg r;
	char err[512];
	cr_assert_eq(config_load_risk(&r, "/nonexistent/risk.yaml", err, sizeof(err)), -DM_ECONFIG);
	cr_expect(strstr(err, "/nonexistent/risk.yaml: cannot open") == err, "%s", err);
}

/* ---------------------------------------------------------------- model.yaml */

#include "libcore/model/xgb.h"

Test(config_model, bundled_file_equals_the_defaults)
{
	struct model_params want, got;
	char err[512] = "";
	model_params_default(&want);
	memset(&got, 0x5a, sizeof(got));
	model_params_default(&got);
	got.max_depth = 99; /* the file must set it back */
	cr_assert_eq(model_params_load("conf/model.yaml", &got, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(got.objective, want.objective);
	cr_expect_eq(got.max_depth, 6);
	cr_expect_eq(got.n_rounds, want.n_rounds);
	cr_expect_eq(got.early_stopping_rounds, want.early_stopping_rounds);
	cr_expect_float_eq(got.eta, 0.1, 1e-15);
	cr_expect_float_eq(got.subsample, want.subsample, 1e-15);
	cr_expect_float_eq(got.holdout, want.holdout, 1e-15);
	cr_expect_eq(got.embargo, want.embargo);
	cr_expect_eq(got.nthread, want.nthread);
}

static int t_model_text(const char *text, struct model_params *p, char *err, size_t n,
			char *path)
{
	strcpy(path, "/tmp/dm_test_model_XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	model_params_default(p);
	int rc = model_params_load(path, p, err, n);
	unlink(path);
	return rc;
}

Test(config_model, keys_load_over_the_defaults)
{
	struct model_params p;
	char err[512], path[64];
	cr_assert_eq(t_model_text("objective: multi\nnum_class: 4\neta: 0.05\nrounds: 7\n"
				  "tree_method: exact\nembargo: 12\n", &p, err, sizeof(err), path),
		     0, "%s", err);
	cr_expect_eq(p.objective, MODEL_OBJ_MULTI);
	cr_expect_eq(p.num_class, 4);
	cr_expect_float_eq(p.eta, 0.05, 1e-15);
	cr_expect_eq(p.n_rounds, 7);
	cr_expect_eq(p.tree_method, MODEL_TREE_EXACT);
	cr_expect_eq(p.embargo, 12);
	cr_expect_eq(p.max_depth, 6, "unset keys keep their value");
}

Test(config_model, bad_values_name_file_line_and_key)
{
	struct model_params p;
	char err[512], path[64], want[128];
	cr_assert_eq(t_model_text("max_depth: 6\neta: 0\n", &p, err, sizeof(err), path),
		     -DM_ECONFIG);
	snprintf(want, sizeof(want), "%s:2:1: key 'eta': value 0 out of range", path);
	cr_expect(strncmp(err, want, strlen(want)) == 0, "%s", err);
	cr_assert_eq(t_model_text("max_dpth: 6\n", &p, err, sizeof(err), path), -DM_ECONFIG);
	cr_expect(strstr(err, "key 'max_dpth': unknown key (did you mean 'max_depth'?)"), "%s", err);
	cr_assert_eq(t_model_text("subsample: lots\n", &p, err, sizeof(err), path), -DM_ECONFIG);
	cr_expect(strstr(err, ":1:1: key 'subsample': expected a number"), "%s", err);
	cr_assert_eq(t_model_text("objective: regression\n", &p, err, sizeof(err), path),
		     -DM_ECONFIG);
	cr_expect(strstr(err, "unknown objective 'regression'"), "%s", err);
	struct model_params before = p;
	cr_assert_eq(t_model_text("rounds: 0\n", &p, err, sizeof(err), path), -DM_ECONFIG);
	(void)before;
}

/* ---------------------------------------------------------------- money */

#include "libcore/market/instrument.h"

Test(config_money, currency_and_lot_load)
{
	struct t_load r;

	t_load_ok("instrument:\n"
	          "  symbol: AAPL\n"
	          "  currency: USD\n"
	          "  tick_size: 0.01\n"
	          "  price_decimals: 2\n"
	          "  lot_size: 1\n"
	          "  point_value: 1\n"
	          "venue: { currency: USD, fee_per_lot: 0.003 }\n", &r);
	cr_assert_str_eq(r.c.instrument.currency, "USD");
	cr_assert_eq(r.c.instrument.lot_size_e6, 1000000);
	cr_assert_eq(r.c.instrument.point_value_e6, 1000000);
	cr_assert_str_eq(r.c.venue.currency, "USD");
	cr_assert_eq(r.c.venue.fee_per_lot_e6, 3000);
	t_load_ok("instrument:\n  lot_size: 0.00001\n", &r);
	cr_assert_eq(r.c.instrument.lot_size_e6, 10);
}

Test(config_money, fees_in_another_currency_are_refused)
{
	/* the instrument moves to USD, the fees stay BRL (the default) */
	t_expect_error("instrument:\n"
	               "  symbol: AAPL\n"
	               "  currency: USD\n",
	               "3:3: key 'instrument.currency': ",
	               "the venue's fees are in BRL (venue.currency) but the instrument "
	               "AAPL trades in USD (instrument.currency)");
	t_expect_error("instrument:\n"
	               "  symbol: AAPL\n"
	               "  currency: USD\n",
	               "3:3: key 'instrument.currency': ", "or set currency");
	/* the fees move to USDT, the instrument stays BRL */
	t_expect_error("venue:\n"
	               "  currency: USDT\n",
	               "2:3: key 'venue.currency': ",
	               "the venue's fees are in USDT (venue.currency) but the instrument "
	               "WIN trades in BRL");
	t_expect_error("instrument:\n  currency: usd\n", "2:3: key 'instrument.currency': ",
	               "currency code of 1 to 7 capital letters");
	/* the same currency, but the fee left at its BRL default */
	t_expect_error("instrument:\n"
	               "  currency: USD\n"
	               "venue:\n"
	               "  currency: USD\n",
	               "4:3: key 'venue.currency': ",
	               "the fees are in USD but venue.fee_per_lot is not set: its default "
	               "is a BRL amount");
}

Test(config_money, deprecated_brl_names)
{
	struct t_load r;

	t_load_ok("instrument:\n  point_value_brl: 0.4\n", &r);
	cr_assert_eq(r.c.instrument.point_value_e6, 400000);
	t_expect_error("instrument:\n"
	               "  point_value: 0.2\n"
	               "  point_value_brl: 0.4\n",
	               "3:3: key 'instrument.point_value_brl': ",
	               "deprecated name of instrument.point_value, which is set too (line 2)");
	t_expect_error("instrument:\n"
	               "  currency: USD\n"
	               "  point_value_brl: 1\n"
	               "venue: { currency: USD }\n",
	               "3:3: key 'instrument.point_value_brl': ",
	               "is in BRL but instrument.currency is USD");
	t_expect_error("instrument: { currency: USDT }\n"
	               "venue:\n"
	               "  currency: USDT\n"
	               "  fee_per_contract_brl: 0.1\n",
	               "4:3: key 'venue.fee_per_contract_brl': ",
	               "is in BRL but instrument.currency is USDT");
}

/* One tick of one lot, computed by hand in 10^-9 of the currency, for the
 * default and every bundled profile: each loads with its own limits. */
Test(config_money, bundled_profiles_load_with_exact_tick_values)
{
	static const struct {
		const char *file, *symbol, *currency;
		int64_t tick_e6, lot_e6, tick_value_e9;
	} t[] = {
		/* 5 points x R$ 0.20 = R$ 1.00 */
		{ "conf/default.yaml", "WIN", "BRL", 5000000, 1000000, 1000000000 },
		/* 0.01 USD x 1 USD per dollar per share = 0.01 USD */
		{ "conf/instruments/aapl.yaml", "AAPL", "USD", 10000, 1000000, 10000000 },
		/* 0.01 USDT x 0.000001 (BTC per lot) = 0.00000001 USDT */
		{ "conf/instruments/btcusdt-spot.yaml", "BTCUSDT", "USDT", 10000, 1, 10 },
		/* 0.1 USDT x 0.001 = 0.0001 USDT */
		{ "conf/instruments/btcusdt-usdm.yaml", "BTCUSDT", "USDT", 100000, 1000, 100000 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dm_config c;
		struct instrument in;
		struct risk_cfg r;
		char err[1024] = "", path[PATH_MAX];

		/* the bundled files hold the agents' sections too: read them as
		 * every tool does, keep libcore's part */
		cr_assert_eq(rt_config_load_core(&c, t[i].file, err, sizeof(err)), 0, "%s", err);
		cr_assert_str_eq(c.instrument.symbol, t[i].symbol, "%s", t[i].file);
		cr_assert_str_eq(c.instrument.currency, t[i].currency, "%s", t[i].file);
		cr_assert_str_eq(c.venue.currency, t[i].currency, "%s", t[i].file);
		cr_assert_eq(c.instrument.tick_size_e6, t[i].tick_e6, "%s", t[i].file);
		cr_assert_eq(c.instrument.lot_size_e6, t[i].lot_e6, "%s", t[i].file);
		cr_assert_eq(instr_init(&in, &c.instrument), 0, "%s", t[i].file);
		cr_assert_eq(in.tick_value_e9, t[i].tick_value_e9, "%s: tick value %lld",
		             t[i].file, (long long)in.tick_value_e9);
		cr_assert_eq(config_load_risk_for(&c, &r, path, sizeof(path), err, sizeof(err)), 0,
		             "%s: %s", t[i].file, err);
		cr_assert_str_eq(r.currency, t[i].currency, "%s: limits in %s", t[i].file,
		                 r.currency);
		if (i > 0) {
			/* the BTC markets never close, and the calendar knows
			 * only B3 holidays: the profiles do not enforce it */
			cr_assert_eq(r.enforce_session, 0, "%s", t[i].file);
			cr_assert(strstr(path, "/conf/instruments/risk/"), "%s", path);
		}
	}
}

/* ---------------------------------------------------------------- overlay */

/* A site file in a directory outside the checkout that sets only the
 * model: everything else, the risk limits file included, is as in
 * conf/default.yaml. */
Test(config_overlay, site_file_setting_only_the_model)
{
	char dir[] = "/tmp/dm_test_site_XXXXXX", site[128], model[128], conf[PATH_MAX];
	char err[1024] = "", got[PATH_MAX], want[PATH_MAX + 32], real_dir[PATH_MAX];
	struct dm_config c, d;
	struct risk_cfg r, bundled;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_not_null(realpath(dir, real_dir));
	cr_assert_not_null(realpath("conf", conf));
	snprintf(site, sizeof(site), "%s/site.yaml", dir);
	snprintf(model, sizeof(model), "%s/my-model.json", dir);
	cr_assert_not_null(f = fopen(site, "w"));
	fputs("strategy:\n  model: my-model.json\n", f);
	fclose(f);
	cr_assert_not_null(f = fopen(model, "w"));
	fputs("{}\n", f);
	fclose(f);

	cr_assert_eq(config_load(&c, site, err, sizeof(err)), 0, "%s", err);
	snprintf(want, sizeof(want), "%s/my-model.json", real_dir);
	cr_assert_str_eq(c.strategy.model, want, "the model is taken from the site file's directory");
	cr_assert_eq(config_load_risk_for(&c, &r, got, sizeof(got), err, sizeof(err)), 0, "%s", err);
	snprintf(want, sizeof(want), "%s/risk.yaml", conf);
	cr_assert_str_eq(got, want, "the risk limits file is conf/risk.yaml");
	cr_assert_eq(config_load_risk(&bundled, "conf/risk.yaml", err, sizeof(err)), 0, "%s", err);
	cr_assert(memcmp(&r, &bundled, sizeof(r)) == 0, "the limits are the bundled ones");
	/* every other key as in the defaults */
	config_defaults(&d);
	strcpy(d.path, site);
	strcpy(d.strategy.model, c.strategy.model);
	t_assert_config_eq(&c, &d);
	/* and the whole check a run makes passes */
	cr_assert_eq(config_check_files(&c, NULL, err, sizeof(err)), 0, "%s", err);

	/* a model that does not exist: file, line and key */
	unlink(model);
	cr_assert_eq(config_check_files(&c, NULL, err, sizeof(err)), -DM_ECONFIG);
	snprintf(want, sizeof(want), "%s:2:3: key 'strategy.model': cannot read", site);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "'%s' does not start with '%s'",
	          err, want);
	unlink(site);
	rmdir(dir);
}

/* A site file for another currency that forgets its own limits gets the
 * bundled BRL ones, which are refused with both currencies and the fix. */
Test(config_overlay, limits_in_another_currency_are_refused)
{
	char dir[] = "/tmp/dm_test_site_XXXXXX", site[128], err[1024] = "";
	struct dm_config c;
	struct risk_cfg r;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(site, sizeof(site), "%s/usd.yaml", dir);
	cr_assert_not_null(f = fopen(site, "w"));
	fputs("instrument: { symbol: AAPL, currency: USD, tick_size: 0.01, price_decimals: 2,\n"
	      "              point_value: 1 }\n"
	      "venue: { currency: USD, fee_per_lot: 0.003 }\n", f);
	fclose(f);
	cr_assert_eq(config_load(&c, site, err, sizeof(err)), 0, "%s", err);
	memset(&r, 0x5a, sizeof(r));
	cr_assert_eq(config_load_risk_for(&c, &r, NULL, 0, err, sizeof(err)), -DM_ECONFIG);
	cr_assert(strstr(err, "/conf/risk.yaml:"), "names the limits file: %s", err);
	cr_assert(strstr(err, "key 'currency': the limits are in BRL but the instrument AAPL"),
	          "%s", err);
	cr_assert(strstr(err, "trades in USD"), "%s", err);
	cr_assert(strstr(err, "use conf/instruments/aapl.yaml (-c) or set currency"), "%s", err);
	for (size_t i = 0; i < sizeof(r); i++)
		cr_assert_eq(((unsigned char *)&r)[i], 0x5a, "nothing applied");
	unlink(site);
	rmdir(dir);
}
