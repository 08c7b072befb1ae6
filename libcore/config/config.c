/*
 * config.c — the run configuration (config.h): the file's key table over
 * struct dm_config, the built-in defaults, the cross-checks and the paths.
 *
 * The YAML engine is cfg.c.  The root table names each section; a section
 * a module owns is that module's table nested at the member's offset:
 *
 *   root_keys   instrument -> instrument_keys (relative to dm_config);
 *                                       holidays_extra is a CFG_K_DATES list
 *               features -> feat_cfg_keys (libcore/features, relative
 *                                       to struct feat_params), with
 *                                       nested maps hawkes, macd,
 *                                       bollinger, fracdiff
 *               vote -> vote_cfg_keys        (libcore/vote/vote_cfg.h)
 *               coordinator -> coord_cfg_keys (libcore/coord/coord_cfg.h)
 *               data -> replay_cfg_keys      (libcore/replay/replay_cfg.h)
 *               quality -> qual_cfg_keys     (libcore/quality)
 *               strategy -> strategy_cfg_keys (libcore/strategy/strategy_cfg.h)
 *               execution -> exec_cfg_keys   (libcore/exec)
 *               venue -> venue_cfg_keys      (libcore/venue)
 *               risk -> risk_ref_keys   (the limits file's path; the file
 *                                       itself is risk_cfg_keys, libcore/risk)
 *               mt5 -> mt5_cfg_keys          (libcore/mt5/mt5_cfg.h)
 *
 * Each module's defaults are its own (feat_params_default, venue_cfg_default,
 * ...); config_defaults calls them.  What spans sections (the venue's
 * currency against the instrument's, the voters against the roles, the
 * engine's own check of the features) is checked here once every key is in.
 *
 * A host's root rows (struct config_host) join root_keys as a second part
 * of the same load (cfg_load_parts, the host's first, so that the list of
 * allowed root keys reads in the file's order); its cross-check runs
 * before libcore's.
 *
 * The file is loaded into a copy that starts from config_defaults(); the
 * caller's struct is overwritten only when everything, cross-checks
 * included, succeeded.
 */
#include "libcore/config/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "libcore/config/cfg.h"
#include "libcore/exec/exec.h"
#include "libcore/market/calendar.h"
#include "libcore/features/features.h"
#include "libcore/market/instrument.h"
#include "libcore/mt5/mt5_cfg.h"
#include "libcore/quality/quality.h"
#include "libcore/replay/replay_cfg.h"
#include "libcore/risk/risk.h"
#include "libcore/strategy/strategy_cfg.h"
#include "libcore/types.h"
#include "libcore/venue/venue.h"
#include "libcore/vote/role.h"
#include "libcore/vote/vote.h"
#include "libcore/vote/vote_cfg.h"

#define ARRAY_SIZE(a) CFG_ARRAY_SIZE(a)

_Static_assert(CFG_CURRENCY_MAX == 8, "cfg_check_currency takes 1..7 letters");

/* ------------------------------------------------------------ key tables */

/* enum values = tm_wday: 0 = Sunday. */
static const char *const weekday_names[] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
};

static const char *check_symbol(const void *field)
{
	const char *s = field;
	size_t n = strlen(s);

	if (n == 0 || n >= CFG_SYMBOL_MAX || s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")])
		return "must be 1 to 7 capital letters A-Z";
	return NULL;
}

/* Letters of F G H J K M N Q U V X Z, each month once, in month order. */
static const char *check_months(const void *field)
{
	const char *s = field;
	int last = 0;

	if (*s == '\0')
		return "must list at least one month letter";
	for (; *s; s++) {
		int m = cal_month_of_letter(*s);

		if (m < 0)
			return "must use the month letters F G H J K M N Q U V X Z (Jan..Dec)";
		if (m <= last)
			return "must list each month once, in month order (F before G ... Z)";
		last = m;
	}
	return NULL;
}

static const struct cfg_key instrument_keys[] = {
	CFG_STR("symbol", struct dm_config, instrument.symbol, check_symbol, 0,
	    "root of the contract codes"),
	CFG_DEC("tick_size", struct dm_config, instrument.tick_size_e6, 1,
	    100000LL * CFG_DEC_SCALE, "price increment, points"),
	CFG_DEC("point_value", struct dm_config, instrument.point_value_e6, 1,
	    1000000LL * CFG_DEC_SCALE, "currency per 1.0 price unit per lot"),
	CFG_DEC("point_value_brl", struct dm_config, instrument.point_value_e6, 1,
	    1000000LL * CFG_DEC_SCALE, "deprecated: point_value of a BRL instrument"),
	CFG_DEC("lot_size", struct dm_config, instrument.lot_size_e6, 1,
	    1000000000LL * CFG_DEC_SCALE, "one lot in the instrument's size unit"),
	CFG_STR("currency", struct dm_config, instrument.currency, cfg_check_currency, 0,
	    "currency of prices, P&L, fees and limits"),
	CFG_U32("price_decimals", struct dm_config, instrument.price_decimals, 0, 6, NULL, 0,
	    "decimals of a price in points"),
	CFG_I32("utc_offset_minutes", struct dm_config, instrument.utc_offset_min, -720, 840,
	    NULL, 0, "local exchange time minus UTC, minutes"),
	CFG_TIME("session_open", struct dm_config, instrument.session_open_s,
	     "local time the session opens"),
	CFG_TIME("session_close", struct dm_config, instrument.session_close_s,
	     "local time the session closes"),
	CFG_TIME("ash_wednesday_open", struct dm_config, instrument.ash_wednesday_open_s,
	     "local time the session opens on Ash Wednesday"),
	CFG_STR("contract_months", struct dm_config, instrument.contract_months, check_months,
	    0, "month letters of the listed contracts"),
	CFG_ENUM("expiry_weekday", struct dm_config, instrument.expiry_weekday, weekday_names,
	     "weekday", 0, "expiry falls on this weekday nearest the anchor day"),
	CFG_U32("expiry_anchor_day", struct dm_config, instrument.expiry_anchor_day, 4, 25,
	    NULL, 0, "day of the month the expiry weekday is nearest to"),
	CFG_U32("roll_days_before_expiry", struct dm_config, instrument.roll_days_before_expiry,
	    0, 20, NULL, 0, "session days before expiry to roll; 0 = expiry day"),
	CFG_DATES("holidays_extra", struct dm_config, instrument.holidays_extra,
	      instrument.n_holidays_extra, "non-session dates besides the computed holidays"),
	CFG_KEY_END
};

static const struct cfg_key risk_ref_keys[] = {
	CFG_STR("limits", struct dm_config, risk.limits, NULL, 0, "risk limits file"),
	CFG_KEY_END
};

static const struct cfg_key root_keys[] = {
	CFG_MAP("instrument", 0, instrument_keys, "traded contract and its calendar"),
	CFG_MAP("features", offsetof(struct dm_config, features), feat_cfg_keys,
	        "feature engine parameters"),
	CFG_MAP("vote", offsetof(struct dm_config, vote), vote_cfg_keys,
	        "the coordinator's release policy"),
	CFG_MAP("coordinator", offsetof(struct dm_config, coordinator), coord_cfg_keys,
	        "the coordinator's refusal of stale intents"),
	CFG_MAP("data", offsetof(struct dm_config, data), replay_cfg_keys,
	        "replay pacing of the data agent"),
	CFG_MAP("quality", offsetof(struct dm_config, quality), qual_cfg_keys,
	        "the feature agent's data-quality vote"),
	CFG_MAP("strategy", offsetof(struct dm_config, strategy), strategy_cfg_keys,
	        "the ML agent's strategy"),
	CFG_MAP("execution", offsetof(struct dm_config, execution), exec_cfg_keys,
	        "the execution agent's order limits"),
	CFG_MAP("venue", offsetof(struct dm_config, venue), venue_cfg_keys,
	        "the simulated venue of paper trading"),
	CFG_MAP("risk", 0, risk_ref_keys, "where the risk limits are"),
	CFG_MAP("mt5", offsetof(struct dm_config, mt5), mt5_cfg_keys,
	        "the MetaTrader 5 bridge"),
	CFG_KEY_END
};

/* ------------------------------------------------------------ defaults */

void config_defaults(struct dm_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->instrument.symbol, "WIN");
	strcpy(c->instrument.contract_months, "GJMQVZ");
	c->instrument.tick_size_e6 = 5 * CFG_DEC_SCALE;
	c->instrument.point_value_e6 = CFG_DEC_SCALE / 5;    /* R$ 0.20 */
	c->instrument.lot_size_e6 = CFG_DEC_SCALE;           /* 1 contract */
	strcpy(c->instrument.currency, "BRL");
	c->instrument.price_decimals = 0;
	c->instrument.utc_offset_min = -180;
	c->instrument.session_open_s = 9 * 3600;
	c->instrument.session_close_s = 18 * 3600 + 25 * 60;
	c->instrument.ash_wednesday_open_s = 13 * 3600;
	c->instrument.expiry_weekday = 3;                    /* wednesday */
	c->instrument.expiry_anchor_day = 15;
	c->instrument.roll_days_before_expiry = 0;
	c->instrument.n_holidays_extra = 0;
	feat_params_default(&c->features);
	vote_cfg_default(&c->vote);
	coord_cfg_default(&c->coordinator);
	replay_cfg_default(&c->data);
	qual_limits_default(&c->quality);
	strategy_cfg_default(&c->strategy);
	exec_cfg_default(&c->execution);
	venue_cfg_default(&c->venue);
	strcpy(c->risk.limits, "risk.yaml");
	mt5_cfg_default(&c->mt5);
}

static int copy_path(char *out, size_t len, const char *a, const char *b)
{
	int n = b ? snprintf(out, len, "%s/%s", a, b) : snprintf(out, len, "%s", a);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int readable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

int config_conf_dir(char *out, size_t len)
{
	const char *env = getenv("DM_CONF_DIR");
	char exe[PATH_MAX], probe[PATH_MAX + 32], *slash;
	ssize_t n;

	if (env && *env)
		return copy_path(out, len, env, NULL);
	/* build/bin/dm-x, build/tests/test_x, build/san-.../bin/dm-x: the
	 * nearest ancestor holding conf/default.yaml; installed,
	 * PREFIX/bin/dm-x: PREFIX/share/dreammaker/conf (make install) */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		static const char *const under[] = { "conf", "share/dreammaker/conf" };
		exe[n] = '\0';
		while ((slash = strrchr(exe, '/'))) {
			*slash = '\0';
			for (size_t i = 0; i < sizeof(under) / sizeof(under[0]); i++) {
				snprintf(probe, sizeof(probe), "%s/%s/default.yaml", exe, under[i]);
				if (readable(probe)) {
					snprintf(probe, sizeof(probe), "%s/%s", exe, under[i]);
					return copy_path(out, len, probe, NULL);
				}
			}
		}
	}
	if (readable("conf/default.yaml") && realpath("conf", exe))
		return copy_path(out, len, exe, NULL);
	return -ENOENT;
}

int config_resolve(const struct dm_config *c, const char *rel, char *out, size_t len)
{
	char dir[PATH_MAX];
	int rc;

	(void)c;
	if (rel[0] == '/' || rel[0] == '\0')
		return copy_path(out, len, rel, NULL);
	rc = config_conf_dir(dir, sizeof(dir));
	return rc ? rc : copy_path(out, len, dir, rel);
}

/* ------------------------------------------------------------ cross-checks */

#define AT_INSTRUMENT(x, root, ...)                                          \
	do {                                                                 \
		static const char *const k_[] = { __VA_ARGS__ };             \
		(void)(root);                                                \
		cfg_at_section_key(x, "instrument", k_, ARRAY_SIZE(k_));     \
	} while (0)

/*
 * "use conf/instruments/aapl.yaml or set currency": the profiles under the
 * conf/ directory whose file name starts with the symbol in lower case, or
 * the directory itself when none does.
 */
static const char *profile_hint(const char *symbol, char *out, size_t len)
{
	char dir[PATH_MAX], lower[CFG_SYMBOL_MAX], found[160] = "";
	size_t n = 0, pos = 0;
	struct dirent *e;
	DIR *d = NULL;

	for (; symbol[n] && n + 1 < sizeof(lower); n++)
		lower[n] = (char)(symbol[n] - 'A' + 'a');
	lower[n] = '\0';
	if (config_conf_dir(dir, sizeof(dir) - 16) == 0) {
		strcat(dir, "/instruments");
		d = opendir(dir);
	}
	while (d && n && (e = readdir(d))) {
		size_t len_e = strlen(e->d_name);

		if (strncmp(e->d_name, lower, n) || len_e < 5 ||
		    strcmp(e->d_name + len_e - 5, ".yaml"))
			continue;
		if (pos < sizeof(found)) {
			int w = snprintf(found + pos, sizeof(found) - pos,
			                 "%sconf/instruments/%s", pos ? " or " : "", e->d_name);

			if (w > 0)
				pos += (size_t)w;
		}
	}
	if (d)
		closedir(d);
	if (pos)
		snprintf(out, len, "use %s (-c) or set currency", found);
	else
		snprintf(out, len, "use an instrument profile from conf/instruments/ (-c) "
		         "or set currency");
	return out;
}

/* A deprecated BRL alias: not beside its new name, not for another currency. */
static int check_alias(struct cfg_ctx *x, const struct dm_config *c, struct cfg_node *root,
                       const char *section, const char *name, const char *alias)
{
	struct cfg_node *sec = cfg_find(x, root, section, 1);
	size_t line;

	if (!cfg_find(x, sec, alias, 1))
		return 0;
	cfg_key(x, section);
	cfg_key_push(x, alias);
	if ((line = cfg_find_line(x, sec, name)))
		return cfg_fail(x, "deprecated name of %s.%s, which is set too (line %zu): keep %s",
		            section, name, line, name);
	if (strcmp(c->instrument.currency, "BRL"))
		return cfg_fail(x, "is in BRL but instrument.currency is %s: use %s.%s in %s",
		            c->instrument.currency, section, name, c->instrument.currency);
	return 0;
}

/* One load: libcore's scratch copy, the host if any, and whether the file
 * goes over a configuration already loaded (config_load_host_over). */
struct host_load {
	struct dm_config *c;
	const struct config_host *h;
	int over;
};

/* Session times in order, the tick on the price grid, the tick value a
 * whole number of nano-units of the currency, the fees in the
 * instrument's currency; then instr_init and cal_init must agree. */
static int check_instrument(struct cfg_ctx *x, const struct dm_config *c,
                            struct cfg_node *root)
{
	const struct cfg_instrument *in = &c->instrument;
	char t1[16], t2[16], d1[32], d2[32];
	struct instrument instr;
	struct calendar cal;
	int64_t grid = 1;

	if (in->session_open_s >= in->session_close_s) {
		AT_INSTRUMENT(x, root, "session_open", "session_close");
		return cfg_fail(x, "session_open %s must be earlier than session_close %s",
		            cfg_show_time(in->session_open_s, t1),
		            cfg_show_time(in->session_close_s, t2));
	}
	if (in->ash_wednesday_open_s >= in->session_close_s) {
		AT_INSTRUMENT(x, root, "ash_wednesday_open", "session_close");
		return cfg_fail(x, "ash_wednesday_open %s must be earlier than session_close %s",
		            cfg_show_time(in->ash_wednesday_open_s, t1),
		            cfg_show_time(in->session_close_s, t2));
	}
	for (uint32_t i = in->price_decimals; i < 6; i++)
		grid *= 10;
	if (in->tick_size_e6 % grid) {
		AT_INSTRUMENT(x, root, "tick_size", "price_decimals");
		return cfg_fail(x, "tick_size %s is not a multiple of %s, the smallest price "
		            "step with price_decimals %" PRIu32,
		            cfg_show_dec(in->tick_size_e6, d1), cfg_show_dec(grid, d2),
		            in->price_decimals);
	}
	/* tick x point value is currency x 10^12; money is x 10^9 */
	if ((__int128)in->tick_size_e6 * in->point_value_e6 % 1000 ||
	    (__int128)in->tick_size_e6 * in->point_value_e6 / 1000 > INT64_MAX) {
		AT_INSTRUMENT(x, root, "point_value", "point_value_brl", "tick_size");
		return cfg_fail(x, "one tick of one lot is worth tick_size %s x point_value %s "
		            "%s, not a whole number of 10^-9 %s (the money unit) or too "
		            "large", cfg_show_dec(in->tick_size_e6, d1),
		            cfg_show_dec(in->point_value_e6, d2), in->currency, in->currency);
	}
	if (check_alias(x, c, root, "instrument", "point_value", "point_value_brl") ||
	    check_alias(x, c, root, "venue", "fee_per_lot", "fee_per_contract_brl"))
		return -DM_ECONFIG;
	if (strcmp(c->venue.currency, in->currency)) {
		char hint[256];
		struct cfg_node *v = cfg_find(x, root, "venue", 1);

		if (cfg_find(x, v, "currency", 1)) {
			cfg_key(x, "venue.currency");
		} else {
			AT_INSTRUMENT(x, root, "currency", "symbol");
		}
		return cfg_fail(x, "the venue's fees are in %s (venue.currency) but the instrument "
		            "%s trades in %s (instrument.currency): %s (venue.currency and "
		            "venue.fee_per_lot in %s)", c->venue.currency, in->symbol,
		            in->currency, profile_hint(in->symbol, hint, sizeof(hint)),
		            in->currency);
	}
	/* the built-in fee is a BRL amount: another currency needs its own (a
	 * file over another that changes no currency keeps the fee below it) */
	const struct host_load *l = cfg_arg(x);
	if (strcmp(c->venue.currency, "BRL")) {
		struct cfg_node *v = cfg_find(x, root, "venue", 1);
		int moves = !l || !l->over || cfg_find(x, v, "currency", 0) ||
			    cfg_find(x, cfg_find(x, root, "instrument", 0), "currency", 0);

		if (moves && !cfg_find(x, v, "fee_per_lot", 0)) {
			if (cfg_find(x, v, "currency", 1)) {
				cfg_key(x, "venue.currency");
			} else {
				AT_INSTRUMENT(x, root, "currency", "symbol");
			}
			return cfg_fail(x, "the fees are in %s but venue.fee_per_lot is not set: its "
			            "default is a BRL amount; set venue.fee_per_lot in %s (0 for "
			            "none)", c->venue.currency, c->venue.currency);
		}
	}
	if (instr_init(&instr, in) || cal_init(&cal, in)) {
		AT_INSTRUMENT(x, root, "symbol");
		return cfg_fail(x, "instrument settings refused by instr_init/cal_init");
	}
	return 0;
}

/* The engine's own check, which has the last word.  Within the ranges of
 * the table (threshold >= 0.000001) fracdiff keeps at most ~33k weights,
 * below the engine's limit, so this is defence in depth. */
static int check_features(struct cfg_ctx *x, const struct dm_config *c,
                          struct cfg_node *root)
{
	const char *name = "threshold";
	char why[160];
	struct cfg_node *fd;

	if (!feat_params_check(&c->features, why, sizeof(why)))
		return 0;
	/* the defaults pass, so the file set d or threshold: point there */
	fd = cfg_find(x, cfg_find(x, root, "features", 1), "fracdiff", 1);
	if (!cfg_find(x, fd, "threshold", 1) && cfg_find(x, fd, "d", 1))
		name = "d";
	cfg_key(x, "features.fracdiff");
	cfg_key_push(x, name);
	return cfg_fail(x, "%s", why);
}

#define AT_KEY(x, root, section, ...)                                        \
	do {                                                                 \
		static const char *const k_[] = { __VA_ARGS__ };             \
		(void)(root);                                                \
		cfg_at_section_key(x, section, k_, ARRAY_SIZE(k_));          \
	} while (0)

/* Voters exist, veto holders vote, a fixed quorum fits the voters. */
static int check_vote(struct cfg_ctx *x, const struct dm_config *c, struct cfg_node *root)
{
	uint32_t n = (uint32_t)__builtin_popcount(c->vote.voters), q = 0;

	if (n == 0) {
		AT_KEY(x, root, "vote", "voters");
		return cfg_fail(x, "at least one voter is needed");
	}
	if (c->vote.voters & (1u << ROLE_COORDINATOR)) {
		AT_KEY(x, root, "vote", "voters");
		return cfg_fail(x, "the coordinator runs the vote and cannot be a voter");
	}
	if (c->vote.veto & ~c->vote.voters) {
		AT_KEY(x, root, "vote", "veto", "voters");
		return cfg_fail(x, "every veto holder must be among vote.voters");
	}
	if (vote_quorum_parse(c->vote.quorum, &q) == VOTE_QUORUM_N && (q < 1 || q > n)) {
		AT_KEY(x, root, "vote", "quorum", "voters");
		return cfg_fail(x, "quorum %" PRIu32 " must be 1..%" PRIu32 " (the number of voters)",
		            q, n);
	}
	return 0;
}

/* Child orders need their horizon, passive auto its horizon and fill rate. */
static int check_execution(struct cfg_ctx *x, const struct dm_config *c, struct cfg_node *root)
{
	const struct exec_cfg *e = &c->execution;

	if (e->child_max_qty && e->child_horizon_ns <= 0) {
		AT_KEY(x, root, "execution", "child_horizon", "child_max_qty");
		return cfg_fail(x, "child_max_qty %" PRIu32 " needs child_horizon, the time the "
			    "children are spread over (e.g. 2s)", e->child_max_qty);
	}
	if (e->passive == EXEC_PASSIVE_AUTO && e->passive_horizon_ns <= 0) {
		AT_KEY(x, root, "execution", "passive_model", "passive");
		return cfg_fail(x, "passive: auto needs passive_model.horizon, the signal's horizon");
	}
	if (e->passive == EXEC_PASSIVE_AUTO && !(e->passive_a > 0) && !e->study[0]) {
		AT_KEY(x, root, "execution", "passive_model", "passive");
		return cfg_fail(x, "passive: auto needs passive_model.fill_a > 0 (dm-study's "
			    "fill intensity A) or execution.study");
	}
	return 0;
}

static int cross_check(struct cfg_ctx *x, const struct dm_config *c)
{
	struct cfg_node *root = cfg_root(x);
	int rc;

	cfg_at(x, root);
	rc = check_instrument(x, c, root);
	if (!rc)
		rc = check_features(x, c, root);
	if (!rc)
		rc = check_vote(x, c, root);
	if (!rc)
		rc = check_execution(x, c, root);
	if (!rc)
		rc = mt5_cfg_cross_check(x, &c->mt5);
	return rc;
}

static int absolute_paths(struct cfg_ctx *x, struct dm_config *c, struct cfg_node *root)
{
	/* section[.sub].key */
	static const struct { const char *section, *key; size_t off, size;
			      const char *sub; } paths[] = {
		{ "strategy", "model", offsetof(struct dm_config, strategy.model),
		  CFG_FIELD_SIZE(struct dm_config, strategy.model), NULL },
		{ "strategy", "fill", offsetof(struct dm_config, strategy.mm.fill),
		  CFG_FIELD_SIZE(struct dm_config, strategy.mm.fill), "mm" },
		{ "risk", "limits", offsetof(struct dm_config, risk.limits),
		  CFG_FIELD_SIZE(struct dm_config, risk.limits), NULL },
		{ "venue", "latency_file", offsetof(struct dm_config, venue.latency_file),
		  CFG_FIELD_SIZE(struct dm_config, venue.latency_file), NULL },
		{ "mt5", "secret_file", offsetof(struct dm_config, mt5.secret_file),
		  CFG_FIELD_SIZE(struct dm_config, mt5.secret_file), NULL },
		{ "execution", "study", offsetof(struct dm_config, execution.study),
		  CFG_FIELD_SIZE(struct dm_config, execution.study), NULL },
	};
	char dir[PATH_MAX], joined[PATH_MAX + 256], *slash;
	int have_dir = 0;

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		char *field = (char *)c + paths[i].off;
		struct cfg_node *sec = cfg_find(x, root, paths[i].section, 1);
		if (paths[i].sub)
			sec = cfg_find(x, sec, paths[i].sub, 1);

		if (!cfg_find(x, sec, paths[i].key, 1) || field[0] == '\0' ||
		    field[0] == '/')
			continue;
		cfg_key(x, paths[i].section);
		if (paths[i].sub)
			cfg_key_push(x, paths[i].sub);
		cfg_key_push(x, paths[i].key);
		if (!have_dir) {
			if (!realpath(cfg_path(x), dir))
				return cfg_fail(x, "cannot find the file's directory: %s",
				            strerror(errno));
			slash = strrchr(dir, '/');
			slash[slash == dir] = '\0';   /* "/x.yaml" -> "/" */
			have_dir = 1;
		}
		snprintf(joined, sizeof(joined), "%s%s%s", dir,
		         dir[1] ? "/" : "", field);
		if (strlen(joined) >= paths[i].size)
			return cfg_fail(x, "'%s' taken from the file's directory is %zu bytes "
			            "long (at most %zu)", field, strlen(joined),
			            paths[i].size - 1);
		strcpy(field, joined);
	}
	return 0;
}


/* Every check of the whole file, once each key is in: the host's, then
 * libcore's. */
static int check_config(struct cfg_ctx *x, void *dst)
{
	const struct host_load *l = cfg_arg(x);
	int rc = 0;

	(void)dst; /* the first part's struct: the host's when there is one */
	if (l->h && l->h->check) {
		cfg_at(x, cfg_root(x));
		rc = l->h->check(x, l->h->base, l->c);
	}
	if (!rc)
		rc = cross_check(x, l->c);
	if (!rc && cfg_root(x))
		rc = absolute_paths(x, l->c, cfg_root(x));
	return rc;
}

static int load_host(struct dm_config *c, const char *path, const struct config_host *h,
		     int over, char *err, size_t errlen)
{
	struct dm_config tmp;
	const struct host_load l = { &tmp, h, over };
	struct cfg_part parts[2];
	size_t n = 0;
	int rc;

	if (path && strlen(path) >= sizeof(c->path)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot use as config path: %s", path,
			         strerror(ENAMETOOLONG));
		return -DM_ECONFIG;
	}
	if (over) {
		tmp = *c;
	} else {
		config_defaults(&tmp);
		if (h && h->defaults && h->base)
			h->defaults(h->base);
	}
	if (h) {
		parts[n++] = (struct cfg_part){ h->keys, h->base };
	}
	parts[n++] = (struct cfg_part){ root_keys, &tmp };
	rc = cfg_load_parts(path, "config", parts, n, NULL, check_config, &l, err, errlen);
	if (!rc) {
		strcpy(tmp.path, path);
		*c = tmp;
	}
	return rc;
}

int config_load_host(struct dm_config *c, const char *path, const struct config_host *h,
                     char *err, size_t errlen)
{
	return load_host(c, path, h, 0, err, errlen);
}

int config_load_host_over(struct dm_config *c, const char *path, const struct config_host *h,
                          char *err, size_t errlen)
{
	return load_host(c, path, h, 1, err, errlen);
}

int config_load(struct dm_config *c, const char *path, char *err, size_t errlen)
{
	return config_load_host(c, path, NULL, err, errlen);
}

/* ------------------------------------------------------------ risk limits */

/* What config_load_risk_for expects of the limits file. */
struct risk_want {
	const char *currency, *symbol, *config;
};

/* reducing_at below the daily loss; then risk_cfg_check must agree; the
 * currency, when x->arg says which, is the instrument's. */
static int check_risk(struct cfg_ctx *x, const struct risk_cfg *r)
{
	struct cfg_node *root = cfg_root(x);
	const struct risk_want *want = cfg_arg(x);
	const char *field = NULL;
	char hint[256];

	if (r->reducing_at_e6 && r->reducing_at_e6 >= r->daily_loss_e6) {
		cfg_find(x, root, "reducing_at_loss", 1);
		cfg_key(x, "reducing_at_loss");
		return cfg_fail(x, "must be below daily_loss (or 0 = never)");
	}
	if (want && strcmp(r->currency, want->currency)) {
		cfg_find(x, root, "currency", 1);
		cfg_key(x, "currency");
		return cfg_fail(x, "the limits are in %s but the instrument %s of %s trades in %s: "
		            "%s (risk.limits naming limits in %s)", r->currency, want->symbol,
		            want->config, want->currency,
		            profile_hint(want->symbol, hint, sizeof(hint)), want->currency);
	}
	if (risk_cfg_check(r, &field) < 0) {
		if (field)
			cfg_find(x, root, field, 1);
		cfg_key(x, field ? field : "");
		return cfg_fail(x, "refused by the risk engine");
	}
	return 0;
}

static int check_risk_file(struct cfg_ctx *x, void *dst)
{
	return check_risk(x, dst);
}

static int load_risk(struct risk_cfg *r, const char *path, const struct risk_want *want,
                     char *err, size_t errlen)
{
	struct risk_cfg tmp;
	int rc;

	memset(&tmp, 0, sizeof(tmp));
	rc = cfg_load_file(path, "risk limits", risk_cfg_keys, &tmp,
	                   "empty file: every risk limit must be set", check_risk_file,
	                   want, err, errlen);
	if (!rc)
		*r = tmp;
	return rc;
}

int config_load_risk(struct risk_cfg *r, const char *path, char *err, size_t errlen)
{
	return load_risk(r, path, NULL, err, errlen);
}

/* "conf/x.yaml" or, for the built-in defaults, what they stand for. */
static const char *config_name(const struct dm_config *c)
{
	return c->path[0] ? c->path : "the built-in defaults (conf/default.yaml)";
}

/* Resolve the path in key (a path setting of c) or say why not. */
static int resolve_key(const struct dm_config *c, const char *key, const char *val,
                       char *out, size_t len, char *err, size_t errlen)
{
	int rc = config_resolve(c, val, out, len);

	if (rc && err && errlen)
		snprintf(err, errlen, "%s: key '%s': '%s' %s", config_name(c), key, val,
		         rc == -ENOENT ? "is relative to conf/, and no conf/ directory with a "
		         "default.yaml was found (set DM_CONF_DIR)" : "is too long once resolved");
	return rc ? -DM_ECONFIG : 0;
}

int config_load_risk_for(const struct dm_config *c, struct risk_cfg *r, char *path,
                         size_t pathlen, char *err, size_t errlen)
{
	const struct risk_want want = { c->instrument.currency, c->instrument.symbol,
	                                config_name(c) };
	char p[PATH_MAX];
	int rc = resolve_key(c, "risk.limits", c->risk.limits, p, sizeof(p), err, errlen);

	if (rc)
		return rc;
	if (path && pathlen)
		snprintf(path, pathlen, "%s", p);
	return load_risk(r, p, &want, err, errlen);
}

/* A path setting that must name a readable file, when set. */
static int check_file_key(const struct dm_config *c, const char *section, const char *key,
                          const char *val, const char *fix, char *err, size_t errlen)
{
	char p[PATH_MAX], dotted[64], where[PATH_MAX + 64];
	size_t line, col;
	int rc, e;

	if (!val[0])
		return 0;
	snprintf(dotted, sizeof(dotted), "%s.%s", section, key);
	rc = resolve_key(c, dotted, val, p, sizeof(p), err, errlen);
	errno = 0;
	if (rc || readable(p))
		return rc;
	e = errno;
	if (cfg_file_key_place(c->path, section, key, &line, &col))
		snprintf(where, sizeof(where), "%s:%zu:%zu", c->path, line, col);
	else
		snprintf(where, sizeof(where), "%s", config_name(c));
	if (err && errlen)
		snprintf(err, errlen, "%s: key '%s': cannot read '%s': %s (%s)", where, dotted, p,
		         e ? strerror(e) : "not a regular file", fix);
	return -DM_ECONFIG;
}

int config_check_files(const struct dm_config *c, struct risk_cfg *r, char *err,
                       size_t errlen)
{
	struct risk_cfg tmp;
	int rc = config_load_risk_for(c, r ? r : &tmp, NULL, 0, err, errlen);

	if (!rc)
		rc = check_file_key(c, "strategy", "model", c->strategy.model,
		                    "train one with `make model` or dm-train, or set "
		                    "strategy.model: \"\" for the primary rule alone", err, errlen);
	if (!rc)
		rc = check_file_key(c, "venue", "latency_file", c->venue.latency_file,
		                    "or set venue.latency_file: \"\" for the constant latencies",
		                    err, errlen);
	return rc;
}
