/*
 * config.c — YAML configuration loader driven by key tables.
 *
 * Design
 * ------
 * Each section of struct dm_config is described by a static table of
 * struct cfg_key rows: name, type, offset into the enclosing struct, range,
 * enum names, an optional extra rule and a help line.  The loader walks the
 * libyaml document tree (yaml_parser_load) against these tables, so a new
 * setting is one new row plus its default; no parsing code changes.
 *
 *   root_keys   system -> system_keys   (offsets relative to dm_config:
 *                                        system is an anonymous struct)
 *               agents -> agents_keys   one K_MAP row per agent ->
 *                                       agent_keys (relative to cfg_agent)
 *               rings  -> K_SEQ of ring_keys (relative to cfg_ring)
 *               instrument -> instrument_keys (relative to dm_config);
 *                                       holidays_extra is a K_DATES list
 *               features -> features_keys (relative to dm_config), with
 *                                       nested maps hawkes, macd,
 *                                       bollinger, fracdiff
 *
 * Besides integers, strings and names, a value may be a decimal (K_DEC,
 * stored x CFG_DEC_SCALE in an int64_t: "0.20" -> 200000), a time of day
 * (K_TIME, "HH:MM" or "HH:MM:SS" -> seconds after midnight in a uint32_t)
 * or a sequence of dates (K_DATES, "YYYY-MM-DD" -> int32_t days since
 * 1970-01-01, with an entry count like K_SEQ), a boolean (K_BOOL, true or
 * false -> uint32_t 1 or 0) or a set of agent names (K_AGENTS, a sequence
 * like [risk, execution] -> uint32_t with bit 1 << enum cfg_agent_id).
 *
 * A row flagged KF_REQUIRED must be present in its mapping; the risk
 * limits file (config_load_risk) has every key required, so a limit left
 * out is an error, never a silent default.
 *
 * The file is loaded into a copy that starts from config_defaults(); the
 * caller's struct is overwritten only when everything, cross-checks
 * included, succeeded.  Every error names file:line:column of the key it
 * is about (of the entry, for a whole ring entry) and the key's dotted path,
 * which the walk keeps in load_ctx.key as it descends.
 */
#include "libcore/config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <yaml.h>

#include "libcore/market/calendar.h"
#include "libcore/features/features.h"
#include "libcore/market/instrument.h"
#include "libcore/model/xgb.h"
#include "libcore/risk/risk.h"
#include "libcore/types.h"
#include "libcore/vote/vote.h"

#define ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define FIELD_SIZE(st, fld) sizeof(((st *)0)->fld)
#define KEY_PATH_MAX        160 /* dotted path of a key, for messages */
#define SHOW_MAX            48  /* bytes of a user's text quoted in a message */
#define LIST_MAX            384 /* "a, b, c" list of allowed names */
#define KIND_MAX            (SHOW_MAX + 32) /* "quoted string '...'" */

/* ------------------------------------------------------------ key tables */

enum key_type { K_I32, K_U32, K_STR, K_ENUM, K_MAP, K_SEQ, K_DEC, K_TIME, K_DATES,
                K_BOOL, K_AGENTS, K_I64, K_DBL };

#define KF_REQUIRED 1u /* must be present in its mapping (or sequence entry) */

struct cfg_key {
	const char *name;
	enum key_type type;
	uint32_t flags;                /* KF_* */
	size_t off;                    /* offset in the enclosing struct */
	size_t size;                   /* K_STR: buffer size; K_SEQ: element size */
	int64_t min, max;              /* K_I32/K_U32/K_DEC/K_TIME range;
	                                * K_SEQ/K_DATES: max entries */
	const char *const *names;      /* K_ENUM: allowed names, index = value */
	size_t n_names;
	const char *what;              /* K_ENUM: what a name denotes */
	const struct cfg_key *sub;     /* K_MAP/K_SEQ: table of the nested keys */
	size_t count_off;              /* K_SEQ/K_DATES: uint32_t entry count */
	/* Extra rule checked on the stored field; returns why it fails or NULL. */
	const char *(*check)(const void *field);
	const char *help;
};

#define INT_ROW(t, nm, st, fld, lo, hi, chk, fl, hlp)                      \
	{ .name = nm, .type = t, .flags = fl, .off = offsetof(st, fld),    \
	  .min = lo, .max = hi, .check = chk, .help = hlp }
#define U32(nm, st, fld, lo, hi, chk, fl, hlp) INT_ROW(K_U32, nm, st, fld, lo, hi, chk, fl, hlp)
#define I32(nm, st, fld, lo, hi, chk, fl, hlp) INT_ROW(K_I32, nm, st, fld, lo, hi, chk, fl, hlp)
#define I64(nm, st, fld, lo, hi, chk, fl, hlp) INT_ROW(K_I64, nm, st, fld, lo, hi, chk, fl, hlp)
#define STR(nm, st, fld, chk, fl, hlp)                                     \
	{ .name = nm, .type = K_STR, .flags = fl, .off = offsetof(st, fld),\
	  .size = FIELD_SIZE(st, fld), .check = chk, .help = hlp }
#define ENUM(nm, st, fld, list, wh, fl, hlp)                               \
	{ .name = nm, .type = K_ENUM, .flags = fl, .off = offsetof(st, fld),\
	  .names = list, .n_names = ARRAY_SIZE(list), .what = wh, .help = hlp }
#define MAP(nm, offset, table, hlp)                                        \
	{ .name = nm, .type = K_MAP, .off = offset, .sub = table, .help = hlp }
#define DEC(nm, st, fld, lo, hi, hlp)                                      \
	{ .name = nm, .type = K_DEC, .off = offsetof(st, fld),             \
	  .min = lo, .max = hi, .help = hlp }
#define TIME(nm, st, fld, hlp)                                             \
	{ .name = nm, .type = K_TIME, .off = offsetof(st, fld),            \
	  .min = 0, .max = 86399, .help = hlp }
#define DATES(nm, st, fld, cnt, hlp)                                       \
	{ .name = nm, .type = K_DATES, .off = offsetof(st, fld),           \
	  .max = ARRAY_SIZE(((st *)0)->fld), .count_off = offsetof(st, cnt), \
	  .help = hlp }
#define BOOL(nm, st, fld, fl, hlp)                                         \
	{ .name = nm, .type = K_BOOL, .flags = fl, .off = offsetof(st, fld), .help = hlp }
#define AGENTS(nm, st, fld, hlp)                                           \
	{ .name = nm, .type = K_AGENTS, .off = offsetof(st, fld), .help = hlp }
#define DECF(nm, st, fld, lo, hi, fl, hlp)                                 \
	{ .name = nm, .type = K_DEC, .flags = fl, .off = offsetof(st, fld),\
	  .min = lo, .max = hi, .help = hlp }
#define DBL(nm, st, fld, lo_e6, hi_e6, hlp)                                \
	{ .name = nm, .type = K_DBL, .off = offsetof(st, fld),             \
	  .min = lo_e6, .max = hi_e6, .help = hlp }
#define KEY_END { .name = NULL }

const char *const cfg_agent_names[AGENT_COUNT] = {
	[AGENT_COORDINATOR] = "coordinator",
	[AGENT_DATA]        = "data",
	[AGENT_FEATURE]     = "feature",
	[AGENT_ML]          = "ml",
	[AGENT_EXECUTION]   = "execution",
	[AGENT_RISK]        = "risk",
};

static const char *const idle_names[] = {
	[IDLE_SPIN] = "spin", [IDLE_YIELD] = "yield",
	[IDLE_SLEEP] = "sleep", [IDLE_BACKOFF] = "backoff",
};

static const char *const policy_names[] = {
	[CFG_RING_BLOCK] = "block", [CFG_RING_CONFLATE] = "conflate",
};

/* enum values = tm_wday: 0 = Sunday. */
static const char *const weekday_names[] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
};

static const char *check_pow2(const void *field)
{
	uint32_t v;

	memcpy(&v, field, sizeof v);
	return (v & (v - 1)) ? "is not a power of two" : NULL;
}

static const char *check_mul64(const void *field)
{
	uint32_t v;

	memcpy(&v, field, sizeof v);
	return (v % 64) ? "is not a multiple of 64" : NULL;
}

static const char *check_shm_name(const void *field)
{
	const char *s = field;

	if (s[0] != '/' || s[1] == '\0' || strchr(s + 1, '/'))
		return "must be '/' followed by a name without '/'";
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

static const char *check_currency(const void *field)
{
	const char *s = field;
	size_t n = strlen(s);

	if (n == 0 || n >= CFG_CURRENCY_MAX || s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")])
		return "must be a currency code of 1 to 7 capital letters (BRL, USD, USDT)";
	return NULL;
}

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

static const struct cfg_key system_keys[] = {
	STR("shm_name", struct dm_config, system.shm_name, check_shm_name, 0,
	    "POSIX shared-memory segment name"),
	STR("run_dir", struct dm_config, system.run_dir, check_abs_path, 0,
	    "directory for pid files, logs and sockets"),
	U32("heartbeat_ms", struct dm_config, system.heartbeat_ms, 1, 10000, NULL, 0,
	    "ms between agent heartbeats"),
	U32("stale_ms", struct dm_config, system.stale_ms, 1, 600000, NULL, 0,
	    "ms after which a silent agent counts as down"),
	KEY_END
};

static const struct cfg_key agent_keys[] = {
	I32("cpu", struct cfg_agent, cpu, -1, 1023, NULL, 0,
	    "CPU to pin the agent to, -1 = not pinned"),
	ENUM("idle", struct cfg_agent, idle, idle_names, "idle mode", 0,
	     "how the agent waits when it has no work"),
	U32("spin_iters", struct cfg_agent, spin_iters, 0, 100000000, NULL, 0,
	    "backoff: empty polls before yielding"),
	U32("yield_iters", struct cfg_agent, yield_iters, 0, 1000000, NULL, 0,
	    "backoff: sched_yield polls before sleeping"),
	U32("sleep_timeout_us", struct cfg_agent, sleep_timeout_us, 1, 10000000, NULL, 0,
	    "upper bound of one futex sleep, us"),
	KEY_END
};

#define AGENT_ROW(id) \
	MAP(NULL, offsetof(struct dm_config, agent[id]), agent_keys, "one agent")

/* Names are filled from cfg_agent_names by name_of_row(). */
static const struct cfg_key agents_keys[] = {
	AGENT_ROW(AGENT_COORDINATOR), AGENT_ROW(AGENT_DATA), AGENT_ROW(AGENT_FEATURE),
	AGENT_ROW(AGENT_ML), AGENT_ROW(AGENT_EXECUTION), AGENT_ROW(AGENT_RISK),
	KEY_END
};
_Static_assert(ARRAY_SIZE(agents_keys) == AGENT_COUNT + 1, "one row per agent");

static const struct cfg_key ring_keys[] = {
	STR("name", struct cfg_ring, name, check_ring_name, KF_REQUIRED,
	    "unique ring name"),
	ENUM("producer", struct cfg_ring, producer, cfg_agent_names, "agent",
	     KF_REQUIRED, "agent that writes the ring"),
	ENUM("consumer", struct cfg_ring, consumer, cfg_agent_names, "agent",
	     KF_REQUIRED, "agent that reads the ring"),
	U32("capacity", struct cfg_ring, capacity, 2, 1048576, check_pow2, KF_REQUIRED,
	    "slots, a power of two"),
	U32("slot_size", struct cfg_ring, slot_size, 64, 4096, check_mul64, KF_REQUIRED,
	    "bytes per slot, a multiple of 64"),
	ENUM("policy", struct cfg_ring, policy, policy_names, "ring policy",
	     KF_REQUIRED, "what a full ring does"),
	KEY_END
};
_Static_assert(ARRAY_SIZE(ring_keys) <= 33, "entry keys fit the 32-bit seen mask");

static const struct cfg_key instrument_keys[] = {
	STR("symbol", struct dm_config, instrument.symbol, check_symbol, 0,
	    "root of the contract codes"),
	DEC("tick_size", struct dm_config, instrument.tick_size_e6, 1,
	    100000LL * CFG_DEC_SCALE, "price increment, points"),
	DEC("point_value", struct dm_config, instrument.point_value_e6, 1,
	    1000000LL * CFG_DEC_SCALE, "currency per 1.0 price unit per lot"),
	DEC("point_value_brl", struct dm_config, instrument.point_value_e6, 1,
	    1000000LL * CFG_DEC_SCALE, "deprecated: point_value of a BRL instrument"),
	DEC("lot_size", struct dm_config, instrument.lot_size_e6, 1,
	    1000000000LL * CFG_DEC_SCALE, "one lot in the instrument's size unit"),
	STR("currency", struct dm_config, instrument.currency, check_currency, 0,
	    "currency of prices, P&L, fees and limits"),
	U32("price_decimals", struct dm_config, instrument.price_decimals, 0, 6, NULL, 0,
	    "decimals of a price in points"),
	I32("utc_offset_minutes", struct dm_config, instrument.utc_offset_min, -720, 840,
	    NULL, 0, "local exchange time minus UTC, minutes"),
	TIME("session_open", struct dm_config, instrument.session_open_s,
	     "local time the session opens"),
	TIME("session_close", struct dm_config, instrument.session_close_s,
	     "local time the session closes"),
	TIME("ash_wednesday_open", struct dm_config, instrument.ash_wednesday_open_s,
	     "local time the session opens on Ash Wednesday"),
	STR("contract_months", struct dm_config, instrument.contract_months, check_months,
	    0, "month letters of the listed contracts"),
	ENUM("expiry_weekday", struct dm_config, instrument.expiry_weekday, weekday_names,
	     "weekday", 0, "expiry falls on this weekday nearest the anchor day"),
	U32("expiry_anchor_day", struct dm_config, instrument.expiry_anchor_day, 4, 25,
	    NULL, 0, "day of the month the expiry weekday is nearest to"),
	U32("roll_days_before_expiry", struct dm_config, instrument.roll_days_before_expiry,
	    0, 20, NULL, 0, "session days before expiry to roll; 0 = expiry day"),
	DATES("holidays_extra", struct dm_config, instrument.holidays_extra,
	      instrument.n_holidays_extra, "non-session dates besides the computed holidays"),
	KEY_END
};

static const char *const feat_clock_names[] = {
	[CFG_FEAT_CLOCK_AUTO] = "auto", [CFG_FEAT_CLOCK_EXCHANGE] = "exchange",
	[CFG_FEAT_CLOCK_RECEIVE] = "receive",
};

#define FEAT_U32(nm, fld, lo, hi, hlp) \
	U32(nm, struct dm_config, features.fld, lo, hi, NULL, 0, hlp)
#define FEAT_DEC(nm, fld, lo, hi, hlp) \
	DEC(nm, struct dm_config, features.fld, lo, hi, hlp)

static const struct cfg_key features_hawkes_keys[] = {
	FEAT_DEC("mu_buy", hawkes_mu_buy_e6, 0, 1000000LL * CFG_DEC_SCALE,
	         "baseline intensity of buyer-initiated trades, 1/s"),
	FEAT_DEC("mu_sell", hawkes_mu_sell_e6, 0, 1000000LL * CFG_DEC_SCALE,
	         "baseline intensity of seller-initiated trades, 1/s"),
	FEAT_DEC("alpha", hawkes_alpha_e6, 0, 100LL * CFG_DEC_SCALE,
	         "branching ratio"),
	FEAT_DEC("beta", hawkes_beta_e6, 1, 1000000LL * CFG_DEC_SCALE,
	         "kernel decay, 1/s"),
	KEY_END
};

static const struct cfg_key features_macd_keys[] = {
	FEAT_U32("fast", macd_fast, 1, 100000, "fast EMA period, updates"),
	FEAT_U32("slow", macd_slow, 1, 100000, "slow EMA period, updates"),
	FEAT_U32("signal", macd_signal, 1, 100000, "signal EMA period, updates"),
	KEY_END
};

static const struct cfg_key features_bollinger_keys[] = {
	FEAT_U32("window", bollinger_window, 1, 100000, "mids in the bands' window"),
	FEAT_DEC("k", bollinger_k_e6, 1, 100LL * CFG_DEC_SCALE,
	         "band half-width in standard deviations"),
	KEY_END
};

static const struct cfg_key features_fracdiff_keys[] = {
	FEAT_DEC("d", fracdiff_d_e6, 0, 2LL * CFG_DEC_SCALE, "order of differencing"),
	FEAT_DEC("threshold", fracdiff_threshold_e6, 1, CFG_DEC_SCALE,
	         "smallest |weight| kept"),
	KEY_END
};

static const struct cfg_key features_keys[] = {
	FEAT_U32("levels", levels, 1, 20, "book levels per side, L"),
	FEAT_U32("ofi_window", ofi_window, 1, 100000, "OFI window, updates"),
	FEAT_U32("vol_window", vol_window, 1, 100000, "realized volatility window, updates"),
	FEAT_U32("velocity_lag", velocity_lag, 1, 100000, "velocity/accel lag K, updates"),
	FEAT_U32("liquidity_window", liquidity_window, 1, 100000,
	         "Kyle/Amihud window, intervals"),
	FEAT_U32("rsi_period", rsi_period, 1, 100000, "Wilder RSI period, changes"),
	MAP("hawkes", 0, features_hawkes_keys, "Hawkes intensity parameters"),
	MAP("macd", 0, features_macd_keys, "MACD periods"),
	MAP("bollinger", 0, features_bollinger_keys, "Bollinger bands"),
	MAP("fracdiff", 0, features_fracdiff_keys, "fixed-width fractional difference"),
	ENUM("clock", struct dm_config, features.clock, feat_clock_names, "clock", 0,
	     "which event time the features use"),
	KEY_END
};

static const char *check_quorum(const void *field)
{
	uint32_t n;

	if (vote_quorum_parse(field, &n) < 0)
		return "is not a quorum: use all, majority or a number of voters";
	return NULL;
}

static const struct cfg_key vote_keys[] = {
	AGENTS("voters", struct dm_config, vote.voters, "agents asked to vote on every intent"),
	AGENTS("veto", struct dm_config, vote.veto, "voters whose approval is required"),
	STR("quorum", struct dm_config, vote.quorum, check_quorum, 0,
	    "approvals needed: all, majority or N"),
	U32("deadline_us", struct dm_config, vote.deadline_us, 1, 10000000, NULL, 0,
	    "a vote missing this long after the request is a rejection, us"),
	KEY_END
};

static const char *const pace_names[] = {
	[CFG_PACE_MAX] = "max", [CFG_PACE_REALTIME] = "realtime",
	[CFG_PACE_LOCKSTEP] = "lockstep",
};

static const struct cfg_key data_keys[] = {
	ENUM("pace", struct dm_config, data.pace, pace_names, "pace", 0,
	     "how the replay releases events"),
	DEC("speed", struct dm_config, data.speed_e6, 1000, 1000000LL * CFG_DEC_SCALE,
	    "realtime: times the market's pace"),
	U32("events_per_pass", struct dm_config, data.events_per_pass, 1, 4096, NULL, 0,
	    "events released per work pass"),
	KEY_END
};

static const struct cfg_key quality_keys[] = {
	U32("stale_ms", struct dm_config, quality.stale_ms, 1, 3600000, NULL, 0,
	    "newest book older than this is stale, ms"),
	U32("max_spread_ticks", struct dm_config, quality.max_spread_ticks, 1, 100000, NULL, 0,
	    "a wider spread is rejected, ticks"),
	KEY_END
};

static const char *check_feature_name(const void *field)
{
	for (uint32_t i = 0; i < FEAT_N; i++)
		if (strcmp(feat_names[i], field) == 0)
			return NULL;
	return "is not a feature name (docs/features.md lists them)";
}

static const struct cfg_key strategy_keys[] = {
	STR("model", struct dm_config, strategy.model, NULL, 0,
	    "XGBoost model file; empty = primary rule only"),
	STR("primary_feature", struct dm_config, strategy.primary_feature, check_feature_name,
	    0, "feature whose sign gives the side"),
	DEC("threshold", struct dm_config, strategy.threshold_e6, 0, 1000000000LL * CFG_DEC_SCALE,
	    "dead zone of the primary rule, in the feature's unit"),
	DEC("min_prob", struct dm_config, strategy.min_prob_e6, 0, CFG_DEC_SCALE,
	    "meta-model probability needed to act"),
	U32("min_interval_ms", struct dm_config, strategy.min_interval_ms, 0, 86400000, NULL, 0,
	    "market time between two intents, ms"),
	U32("max_contracts", struct dm_config, strategy.max_contracts, 1, 1000, NULL, 0,
	    "bet size cap, contracts"),
	BOOL("invert", struct dm_config, strategy.invert, 0, "trade against the primary signal"),
	KEY_END
};

static const struct cfg_key execution_keys[] = {
	U32("max_inflight", struct dm_config, execution.max_inflight, 1, 1024, NULL, 0,
	    "orders sent and not yet acknowledged"),
	U32("max_open", struct dm_config, execution.max_open, 1, 1024, NULL, 0, "live orders"),
	U32("ack_timeout_ms", struct dm_config, execution.ack_timeout_ms, 1, 600000, NULL, 0,
	    "unacknowledged this long: ask the venue, ms"),
	KEY_END
};

static const struct cfg_key venue_keys[] = {
	U32("feed_latency_us", struct dm_config, venue.feed_latency_us, 0, 10000000, NULL, 0,
	    "exchange to us, market data, us"),
	U32("entry_latency_us", struct dm_config, venue.entry_latency_us, 0, 10000000, NULL, 0,
	    "our send to the order at the venue, us"),
	U32("response_latency_us", struct dm_config, venue.response_latency_us, 0, 10000000,
	    NULL, 0, "venue event to the report reaching us, us"),
	STR("latency_file", struct dm_config, venue.latency_file, NULL, 0,
	    "measured latencies, 'entry_us response_us' per line"),
	DEC("fee_per_lot", struct dm_config, venue.fee_per_lot_e6, 0,
	    1000LL * CFG_DEC_SCALE, "exchange fees per lot per fill, in venue.currency"),
	DEC("fee_per_contract_brl", struct dm_config, venue.fee_per_lot_e6, 0,
	    1000LL * CFG_DEC_SCALE, "deprecated: fee_per_lot of a BRL instrument"),
	STR("currency", struct dm_config, venue.currency, check_currency, 0,
	    "currency of the fees; must be instrument.currency"),
	KEY_END
};

static const struct cfg_key risk_ref_keys[] = {
	STR("limits", struct dm_config, risk.limits, NULL, 0, "risk limits file"),
	KEY_END
};

/* ---- conf/risk.yaml: struct risk_cfg (libcore/risk/risk.h), every key required */

#define RISK_I64(nm, fld, lo, hi, hlp) \
	I64(nm, struct risk_cfg, fld, lo, hi, NULL, KF_REQUIRED, hlp)
#define RISK_U32(nm, fld, lo, hi, hlp) \
	U32(nm, struct risk_cfg, fld, lo, hi, NULL, KF_REQUIRED, hlp)
#define RISK_MONEY(nm, fld, lo, hlp) \
	DECF(nm, struct risk_cfg, fld, lo, 1000000000LL * CFG_DEC_SCALE, KF_REQUIRED, hlp)

static const struct cfg_key risk_rate_keys[] = {
	RISK_U32("per_second", rate_per_s, 1, 1000000, "token bucket refill, orders per second"),
	RISK_U32("burst", rate_burst, 1, 1000000, "token bucket capacity, orders"),
	KEY_END
};

static const struct cfg_key risk_kill_keys[] = {
	BOOL("flatten", struct risk_cfg, kill_flatten, KF_REQUIRED,
	     "the kill switch also flattens the position"),
	KEY_END
};

static const struct cfg_key risk_root_keys[] = {
	RISK_I64("max_position", max_position, 1, 100000,
	         "|position| any fill of an order could leave, contracts"),
	RISK_I64("max_order_qty", max_order_qty, 1, 100000, "contracts per order"),
	{ .name = "order_rate", .type = K_MAP, .flags = KF_REQUIRED, .sub = risk_rate_keys,
	  .help = "order rate token bucket" },
	RISK_I64("price_collar_ticks", collar_ticks, 1, 1000000,
	         "|limit price - mid| allowed, ticks"),
	STR("currency", struct risk_cfg, currency, check_currency, KF_REQUIRED,
	    "currency of the money limits; must be instrument.currency"),
	RISK_MONEY("daily_loss", daily_loss_e6, 1, "daily loss limit, in currency"),
	RISK_MONEY("max_drawdown", max_drawdown_e6, 1,
	           "drawdown from the day's peak net P&L, in currency"),
	RISK_MONEY("reducing_at_loss", reducing_at_e6, 0,
	           "loss from which only reducing orders pass, in currency; 0 = never"),
	RISK_U32("stale_data_ms", stale_data_ms, 1, 3600000, "market data older than this, ms"),
	BOOL("enforce_session", struct risk_cfg, enforce_session, KF_REQUIRED,
	     "refuse orders outside the exchange session"),
	{ .name = "kill_switch", .type = K_MAP, .flags = KF_REQUIRED, .sub = risk_kill_keys,
	  .help = "kill switch behaviour" },
	KEY_END
};

/* ---- conf/model.yaml: struct model_params (libcore/model/xgb.h) */

static const char *const objective_names[] = {
	[MODEL_OBJ_BINARY] = "binary", [MODEL_OBJ_MULTI] = "multi",
};
static const char *const tree_method_names[] = {
	[MODEL_TREE_HIST] = "hist", [MODEL_TREE_APPROX] = "approx",
	[MODEL_TREE_EXACT] = "exact",
};

#define MP_U32(nm, fld, lo, hi, hlp) U32(nm, struct model_params, fld, lo, hi, NULL, 0, hlp)
#define MP_DBL(nm, fld, lo, hi, hlp) \
	DBL(nm, struct model_params, fld, (int64_t)((lo) * (double)CFG_DEC_SCALE), \
	    (int64_t)((hi) * (double)CFG_DEC_SCALE), hlp)

static const struct cfg_key model_keys[] = {
	ENUM("objective", struct model_params, objective, objective_names, "objective", 0,
	     "binary (binary:logistic) or multi (multi:softprob)"),
	MP_U32("num_class", num_class, 2, 16, "classes of a multi model"),
	MP_U32("max_depth", max_depth, 1, 16, "deepest tree"),
	MP_U32("rounds", n_rounds, 1, 100000, "boosting rounds"),
	MP_U32("early_stopping_rounds", early_stopping_rounds, 0, 100000,
	       "stop after this many rounds without a better hold-out loss; 0 = never"),
	ENUM("tree_method", struct model_params, tree_method, tree_method_names,
	     "tree method", 0, "hist, approx or exact"),
	MP_U32("max_bin", max_bin, 2, 65536, "bins per feature (hist, approx)"),
	MP_U32("nthread", nthread, 0, 1024, "training threads; 0 = every core"),
	U32("seed", struct model_params, seed, 0, 4294967295LL, NULL, 0, "random seed"),
	MP_DBL("eta", eta, 0.000001, 1, "learning rate"),
	MP_DBL("subsample", subsample, 0.000001, 1, "row fraction per tree"),
	MP_DBL("colsample_bytree", colsample_bytree, 0.000001, 1, "column fraction per tree"),
	MP_DBL("min_child_weight", min_child_weight, 0, 1000000, "minimum hessian in a child"),
	MP_DBL("lambda", lambda, 0, 1000000, "L2 on leaf weights"),
	MP_DBL("alpha", alpha, 0, 1000000, "L1 on leaf weights"),
	MP_DBL("gamma", gamma, 0, 1000000, "minimum loss reduction to split"),
	MP_DBL("base_score", base_score, 0.000001, 0.999999, "initial prediction"),
	MP_DBL("holdout", holdout, 0.01, 0.9, "hold-out fraction, the last rows"),
	I64("embargo", struct model_params, embargo, 0, 1LL << 40, NULL, 0,
	    "embargo after the hold-out's start, rows"),
	MP_DBL("embargo_frac", embargo_frac, 0, 0.5, "embargo as a fraction of the sample"),
	KEY_END
};

static const struct cfg_key root_keys[] = {
	MAP("system", 0, system_keys, "process-wide settings"),
	MAP("agents", 0, agents_keys, "per-agent settings"),
	{ .name = "rings", .type = K_SEQ, .off = offsetof(struct dm_config, ring),
	  .size = sizeof(struct cfg_ring), .max = CFG_MAX_RINGS, .sub = ring_keys,
	  .count_off = offsetof(struct dm_config, n_rings),
	  .help = "ring list; replaces the default list when present" },
	MAP("instrument", 0, instrument_keys, "traded contract and its calendar"),
	MAP("features", 0, features_keys, "feature engine parameters"),
	MAP("vote", 0, vote_keys, "the coordinator's release policy"),
	MAP("data", 0, data_keys, "replay pacing of the data agent"),
	MAP("quality", 0, quality_keys, "the feature agent's data-quality vote"),
	MAP("strategy", 0, strategy_keys, "the ML agent's strategy"),
	MAP("execution", 0, execution_keys, "the execution agent's order limits"),
	MAP("venue", 0, venue_keys, "the simulated venue of paper trading"),
	MAP("risk", 0, risk_ref_keys, "where the risk limits are"),
	KEY_END
};

/* agents_keys rows take their names from cfg_agent_names. */
static const char *name_of_row(const struct cfg_key *tab, const struct cfg_key *row)
{
	if (tab == agents_keys)
		return row - tab < AGENT_COUNT ? cfg_agent_names[row - tab] : NULL;
	return row->name;
}

static int row_is_end(const struct cfg_key *tab, const struct cfg_key *row)
{
	return name_of_row(tab, row) == NULL;
}

/* ------------------------------------------------------------ defaults */

static const struct cfg_agent default_agent = {
	.cpu = -1, .idle = IDLE_BACKOFF, .spin_iters = 0,
	.yield_iters = 0, .sleep_timeout_us = 100000,
};

#define RING(n, p, c, cap, slot, pol) \
	{ n, AGENT_##p, AGENT_##c, cap, slot, CFG_RING_##pol }
static const struct cfg_ring default_rings[] = {
	RING("md_feature",          DATA,        FEATURE,     4096, 1024, CONFLATE),
	RING("md_execution",        DATA,        EXECUTION,   4096, 1024, CONFLATE),
	RING("md_risk",             DATA,        RISK,        4096, 1024, CONFLATE),
	RING("features",            FEATURE,     ML,          4096,  512, BLOCK),
	RING("intents",             ML,          COORDINATOR, 1024,  128, BLOCK),
	RING("vote_req_risk",       COORDINATOR, RISK,        1024,  128, BLOCK),
	RING("vote_req_execution",  COORDINATOR, EXECUTION,   1024,  128, BLOCK),
	RING("vote_req_feature",    COORDINATOR, FEATURE,     1024,  128, BLOCK),
	RING("votes_risk",          RISK,        COORDINATOR, 1024,  128, BLOCK),
	RING("votes_execution",     EXECUTION,   COORDINATOR, 1024,  128, BLOCK),
	RING("votes_feature",       FEATURE,     COORDINATOR, 1024,  128, BLOCK),
	RING("orders",              COORDINATOR, EXECUTION,   1024,  128, BLOCK),
	RING("reports_risk",        EXECUTION,   RISK,        4096,  128, BLOCK),
	RING("reports_coordinator", EXECUTION,   COORDINATOR, 4096,  128, BLOCK),
	RING("positions",           RISK,        COORDINATOR, 1024,  128, BLOCK),
	RING("control_data",        COORDINATOR, DATA,          64,  128, BLOCK),
	RING("control_feature",     COORDINATOR, FEATURE,       64,  128, BLOCK),
	RING("control_ml",          COORDINATOR, ML,            64,  128, BLOCK),
	RING("control_execution",   COORDINATOR, EXECUTION,     64,  128, BLOCK),
	RING("control_risk",        COORDINATOR, RISK,          64,  128, BLOCK),
};
_Static_assert(ARRAY_SIZE(default_rings) <= CFG_MAX_RINGS, "default rings fit");

void config_defaults(struct dm_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->system.shm_name, "/dreammaker");
	strcpy(c->system.run_dir, "/tmp/dreammaker");
	c->system.heartbeat_ms = 50;
	c->system.stale_ms = 500;
	for (int i = 0; i < AGENT_COUNT; i++)
		c->agent[i] = default_agent;
	memcpy(c->ring, default_rings, sizeof(default_rings));
	c->n_rings = ARRAY_SIZE(default_rings);
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
	c->features.levels = 5;
	c->features.ofi_window = 100;
	c->features.vol_window = 100;
	c->features.velocity_lag = 10;
	c->features.liquidity_window = 50;
	c->features.rsi_period = 14;
	c->features.macd_fast = 12;
	c->features.macd_slow = 26;
	c->features.macd_signal = 9;
	c->features.bollinger_window = 20;
	c->features.bollinger_k_e6 = 2 * CFG_DEC_SCALE;
	c->features.hawkes_mu_buy_e6 = CFG_DEC_SCALE / 2;
	c->features.hawkes_mu_sell_e6 = CFG_DEC_SCALE / 2;
	c->features.hawkes_alpha_e6 = CFG_DEC_SCALE * 7 / 10;
	c->features.hawkes_beta_e6 = 10 * CFG_DEC_SCALE;
	c->features.fracdiff_d_e6 = CFG_DEC_SCALE * 4 / 10;
	c->features.fracdiff_threshold_e6 = CFG_DEC_SCALE / 10000;
	c->features.clock = CFG_FEAT_CLOCK_AUTO;
	c->vote.voters = 1u << AGENT_RISK | 1u << AGENT_EXECUTION | 1u << AGENT_FEATURE;
	c->vote.veto = 1u << AGENT_RISK;
	strcpy(c->vote.quorum, "majority");
	c->vote.deadline_us = 50000;
	c->data.pace = CFG_PACE_MAX;
	c->data.events_per_pass = 64;
	c->data.speed_e6 = CFG_DEC_SCALE;
	c->quality.stale_ms = 1000;
	c->quality.max_spread_ticks = 8;
	strcpy(c->strategy.model, "../build/model/default.json");
	strcpy(c->strategy.primary_feature, "imb_1");
	c->strategy.threshold_e6 = CFG_DEC_SCALE * 6 / 10;
	c->strategy.min_prob_e6 = CFG_DEC_SCALE * 55 / 100;
	c->strategy.min_interval_ms = 1000;
	c->strategy.max_contracts = 1;
	c->execution.max_inflight = 4;
	c->execution.max_open = 16;
	c->execution.ack_timeout_ms = 1000;
	c->venue.feed_latency_us = 200;
	c->venue.entry_latency_us = 300;
	c->venue.response_latency_us = 300;
	c->venue.fee_per_lot_e6 = 256100;                    /* R$ 0.2561 */
	strcpy(c->venue.currency, "BRL");
	strcpy(c->risk.limits, "risk.yaml");
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
	 * nearest ancestor holding conf/default.yaml */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		while ((slash = strrchr(exe, '/'))) {
			*slash = '\0';
			snprintf(probe, sizeof(probe), "%s/conf/default.yaml", exe);
			if (readable(probe)) {
				snprintf(probe, sizeof(probe), "%s/conf", exe);
				return copy_path(out, len, probe, NULL);
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

int config_ring_find(const struct dm_config *c, const char *name)
{
	for (uint32_t i = 0; name && i < c->n_rings; i++)
		if (strcmp(c->ring[i].name, name) == 0)
			return (int)i;
	return -1;
}

int config_agent_id(const char *name)
{
	for (int i = 0; name && i < AGENT_COUNT; i++)
		if (strcmp(cfg_agent_names[i], name) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------------ messages */

struct load_ctx {
	const char *path;
	char *err;
	size_t errlen;
	yaml_document_t *doc;
	yaml_mark_t mark;            /* where the key being loaded sits */
	char key[KEY_PATH_MAX];      /* its dotted path, "" at the top */
	size_t key_len;
	const void *arg;             /* the cross-check's argument, may be NULL */
};

static void vappend(char *buf, size_t len, size_t *pos, const char *fmt, va_list ap)
{
	int n;

	if (*pos >= len)
		return;
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	if (n > 0)
		*pos += (size_t)n;
}

static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(buf, len, pos, fmt, ap);
	va_end(ap);
}

/* "file:line:col: key 'a.b': <fmt>" at x->mark, x->key. */
static int fail(struct load_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct load_ctx *x, const char *fmt, ...)
{
	size_t pos = 0;
	va_list ap;

	if (!x->err || !x->errlen)
		return -DM_ECONFIG;
	append(x->err, x->errlen, &pos, "%s:%zu:%zu: ", x->path,
	       x->mark.line + 1, x->mark.column + 1);
	if (x->key_len)
		append(x->err, x->errlen, &pos, "key '%s': ", x->key);
	else
		append(x->err, x->errlen, &pos, "top level: ");
	va_start(ap, fmt);
	vappend(x->err, x->errlen, &pos, fmt, ap);
	va_end(ap);
	return -DM_ECONFIG;
}

/* Copy at most SHOW_MAX bytes of s into out, control bytes as '?', so a
 * message stays one printable line. */
static const char *show(const char *s, size_t n, char out[SHOW_MAX + 4])
{
	size_t i, m = n < SHOW_MAX ? n : SHOW_MAX;

	for (i = 0; i < m; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	strcpy(out + m, n > m ? "..." : "");
	return out;
}

/* Edit distance of two short names, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[KEY_PATH_MAX + 1];

	if (la > KEY_PATH_MAX || lb > KEY_PATH_MAX)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Writes " (did you mean 'x'?)" for a close name, then "; expected one of:
 * a, b, c" into out. */
static const char *alternatives(const char *got, const char *const *names,
                                size_t n, char out[LIST_MAX])
{
	size_t pos = 0, best = SIZE_MAX, pick = 0;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(got, names[i]);

		if (d < best) {
			best = d;
			pick = i;
		}
	}
	out[0] = '\0';
	if (n && best <= 2 && best < strlen(names[pick]))
		append(out, LIST_MAX, &pos, " (did you mean '%s'?)", names[pick]);
	append(out, LIST_MAX, &pos, "; expected one of:");
	for (size_t i = 0; i < n; i++)
		append(out, LIST_MAX, &pos, "%s %s", i ? "," : "", names[i]);
	return out;
}

/* ------------------------------------------------------------ yaml nodes */

static yaml_node_t *node_at(struct load_ctx *x, int index)
{
	return yaml_document_get_node(x->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!is_plain(n))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (strcmp(scalar(n), nulls[i]) == 0)
			return 1;
	return 0;
}

/* Describes a node for "expected X, got <this>". */
static const char *kind(const yaml_node_t *n, char out[KIND_MAX])
{
	char shown[SHOW_MAX + 4];

	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a sequence";
	if (is_null(n))
		return "null";
	snprintf(out, KIND_MAX, "%s'%s'", is_plain(n) ? "" : "quoted string ",
	         show(scalar(n), n->data.scalar.length, shown));
	return out;
}

static int scalar_is(const yaml_node_t *n, const char *name)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.length == strlen(name) &&
	       memcmp(scalar(n), name, n->data.scalar.length) == 0;
}

/* Value of key name in mapping map (NULL if absent); *mark = the key's place. */
static yaml_node_t *map_find(struct load_ctx *x, yaml_node_t *map,
                             const char *name, yaml_mark_t *mark)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(x, p->key);

		if (scalar_is(k, name)) {
			*mark = k->start_mark;
			return node_at(x, p->value);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ key path */

static size_t key_push_name(struct load_ctx *x, const char *name, size_t n)
{
	size_t saved = x->key_len;
	char shown[SHOW_MAX + 4];

	append(x->key, sizeof(x->key), &x->key_len, "%s%s", saved ? "." : "",
	       show(name, n, shown));
	if (x->key_len >= sizeof(x->key))
		x->key_len = sizeof(x->key) - 1;
	return saved;
}

static size_t key_push_index(struct load_ctx *x, size_t i)
{
	size_t saved = x->key_len;

	append(x->key, sizeof(x->key), &x->key_len, "[%zu]", i);
	if (x->key_len >= sizeof(x->key))
		x->key_len = sizeof(x->key) - 1;
	return saved;
}

static void key_pop(struct load_ctx *x, size_t saved)
{
	x->key_len = saved;
	x->key[saved] = '\0';
}

/* ------------------------------------------------------------ scalars */

static int fail_type(struct load_ctx *x, const char *expected, const yaml_node_t *got)
{
	char buf[KIND_MAX];

	return fail(x, "expected %s, got %s", expected, kind(got, buf));
}

static int integer_syntax(const char *s, size_t n)
{
	size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;

	if (i == n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int set_int(struct load_ctx *x, const struct cfg_key *row,
                   const yaml_node_t *v, void *field)
{
	const char *s = scalar(v);
	char shown[SHOW_MAX + 4];
	long long val;

	if (!is_plain(v) || !integer_syntax(s, v->data.scalar.length))
		return fail_type(x, "an integer", v);
	errno = 0;
	val = strtoll(s, NULL, 10);
	if (errno == ERANGE || val < row->min || val > row->max)
		return fail(x, "value %s out of range [%" PRId64 ", %" PRId64 "]",
		            show(s, v->data.scalar.length, shown), row->min, row->max);
	if (row->type == K_I32) {
		int32_t i = (int32_t)val;

		memcpy(field, &i, sizeof(i));
	} else if (row->type == K_I64) {
		int64_t i = val;

		memcpy(field, &i, sizeof(i));
	} else {
		uint32_t u = (uint32_t)val;

		memcpy(field, &u, sizeof(u));
	}
	return 0;
}

static int set_str(struct load_ctx *x, const struct cfg_key *row,
                   const yaml_node_t *v, char *field)
{
	size_t n = v->data.scalar.length;

	if (is_null(v))
		return fail_type(x, "a string", v);
	if (memchr(scalar(v), '\0', n))
		return fail(x, "string contains a NUL byte");
	if (n >= row->size)
		return fail(x, "string of %zu bytes is too long (at most %zu)",
		            n, row->size - 1);
	memcpy(field, scalar(v), n + 1);
	return 0;
}

static int set_enum(struct load_ctx *x, const struct cfg_key *row,
                    const yaml_node_t *v, void *field)
{
	char shown[SHOW_MAX + 4], alts[LIST_MAX];

	for (uint32_t i = 0; i < row->n_names; i++) {
		if (scalar_is(v, row->names[i])) {
			memcpy(field, &i, sizeof(i));
			return 0;
		}
	}
	show(scalar(v), v->data.scalar.length, shown);
	return fail(x, "unknown %s '%s'%s", row->what, shown,
	            alternatives(shown, row->names, row->n_names, alts));
}

/* A K_DEC value (x CFG_DEC_SCALE) as the shortest decimal: "5", "0.2". */
static const char *show_dec(int64_t v, char out[32])
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	uint64_t frac = mag % CFG_DEC_SCALE;
	size_t pos = 0;

	out[0] = '\0';
	append(out, 32, &pos, "%s%" PRIu64, v < 0 ? "-" : "", mag / CFG_DEC_SCALE);
	if (frac) {
		char digits[8];
		size_t n = (size_t)snprintf(digits, sizeof(digits), "%06" PRIu64, frac);

		while (n > 1 && digits[n - 1] == '0')
			digits[--n] = '\0';
		append(out, 32, &pos, ".%s", digits);
	}
	return out;
}

/* Seconds after midnight as "HH:MM", or "HH:MM:SS" when they matter. */
static const char *show_time(uint32_t s, char out[16])
{
	if (s % 60)
		snprintf(out, 16, "%02u:%02u:%02u", s / 3600 % 100, s / 60 % 60, s % 60);
	else
		snprintf(out, 16, "%02u:%02u", s / 3600 % 100, s / 60 % 60);
	return out;
}

static int set_dec(struct load_ctx *x, const struct cfg_key *row,
                   const yaml_node_t *v, void *field)
{
	/* A price parser with 6 decimals reads exactly the K_DEC syntax. */
	static const struct instrument e6 = { .price_decimals = 6 };
	char shown[SHOW_MAX + 4], lo[32], hi[32];
	int64_t val;
	int rc;

	if (!is_plain(v))
		return fail_type(x, "a decimal number", v);
	rc = instr_pts_parse(&e6, scalar(v), v->data.scalar.length, &val);
	if (rc == -EINVAL)
		return fail_type(x, "a decimal number", v);
	show(scalar(v), v->data.scalar.length, shown);
	if (rc == -EDOM)
		return fail(x, "value %s has more than 6 decimals", shown);
	if (rc || val < row->min || val > row->max)
		return fail(x, "value %s out of range [%s, %s]", shown,
		            show_dec(row->min, lo), show_dec(row->max, hi));
	memcpy(field, &val, sizeof(val));
	return 0;
}

/* "HH:MM" or "HH:MM:SS", two digits each, 00:00 to 23:59:59. */
static int parse_time(const char *s, size_t n, uint32_t *secs)
{
	uint32_t part[3] = { 0, 0, 0 };

	if (n != 5 && n != 8)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return -1;
		} else if (s[i] < '0' || s[i] > '9') {
			return -1;
		} else {
			part[i / 3] = part[i / 3] * 10 + (uint32_t)(s[i] - '0');
		}
	}
	if (part[0] > 23 || part[1] > 59 || part[2] > 59)
		return -1;
	*secs = part[0] * 3600 + part[1] * 60 + part[2];
	return 0;
}

static int set_time(struct load_ctx *x, const struct cfg_key *row,
                    const yaml_node_t *v, void *field)
{
	char shown[SHOW_MAX + 4];
	uint32_t secs;

	if (is_null(v))
		return fail_type(x, "a time of day HH:MM", v);
	if (parse_time(scalar(v), v->data.scalar.length, &secs) ||
	    secs < row->min || secs > row->max)
		return fail(x, "value '%s' is not a time of day (expected HH:MM or "
		            "HH:MM:SS, 00:00 to 23:59:59)",
		            show(scalar(v), v->data.scalar.length, shown));
	memcpy(field, &secs, sizeof(secs));
	return 0;
}

static int set_bool(struct load_ctx *x, const yaml_node_t *v, void *field)
{
	char shown[SHOW_MAX + 4];
	uint32_t b;

	if (is_plain(v) && (scalar_is(v, "true") || scalar_is(v, "false"))) {
		b = scalar_is(v, "true");
		memcpy(field, &b, sizeof(b));
		return 0;
	}
	return fail(x, "value '%s' is not a boolean (use true or false)",
	            show(scalar(v), v->data.scalar.length, shown));
}

/* A K_DBL value: a finite number within [min, max] x 10^-6. */
static int set_dbl(struct load_ctx *x, const struct cfg_key *row, const yaml_node_t *v,
                   void *field)
{
	char shown[SHOW_MAX + 4], buf[64], *end;
	size_t n = v->data.scalar.length;
	double d;

	show(scalar(v), n, shown);
	if (!is_plain(v) || n == 0 || n >= sizeof(buf))
		return fail_type(x, "a number", v);
	memcpy(buf, scalar(v), n);
	buf[n] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	if (*end || errno == ERANGE || !isfinite(d))
		return fail_type(x, "a number", v);
	if (d < (double)row->min / CFG_DEC_SCALE || d > (double)row->max / CFG_DEC_SCALE)
		return fail(x, "value %s out of range [%g, %g]", shown,
		            (double)row->min / CFG_DEC_SCALE, (double)row->max / CFG_DEC_SCALE);
	memcpy(field, &d, sizeof(d));
	return 0;
}

static int load_scalar(struct load_ctx *x, const struct cfg_key *row,
                       const yaml_node_t *v, char *field)
{
	static const char *const expect[] = {
		[K_I32] = "an integer", [K_U32] = "an integer",
		[K_STR] = "a string", [K_ENUM] = "a name",
		[K_DEC] = "a decimal number", [K_TIME] = "a time of day HH:MM",
		[K_BOOL] = "true or false", [K_I64] = "an integer",
		[K_DBL] = "a number",
	};
	char shown[SHOW_MAX + 4];
	const char *why;
	int rc;

	if (v->type != YAML_SCALAR_NODE)
		return fail_type(x, expect[row->type], v);
	if (row->type == K_STR)
		rc = set_str(x, row, v, field);
	else if (row->type == K_ENUM)
		rc = set_enum(x, row, v, field);
	else if (row->type == K_DEC)
		rc = set_dec(x, row, v, field);
	else if (row->type == K_TIME)
		rc = set_time(x, row, v, field);
	else if (row->type == K_BOOL)
		rc = set_bool(x, v, field);
	else if (row->type == K_DBL)
		rc = set_dbl(x, row, v, field);
	else
		rc = set_int(x, row, v, field);
	if (rc || !row->check || !(why = row->check(field)))
		return rc;
	show(scalar(v), v->data.scalar.length, shown);
	if (row->type == K_STR)
		return fail(x, "value '%s' %s", shown, why);
	return fail(x, "value %s %s", shown, why);
}

/* ------------------------------------------------------------ mappings */

static int load_value(struct load_ctx *x, const struct cfg_key *row,
                      yaml_node_t *v, char *base);

static const struct cfg_key *find_row(const struct cfg_key *tab, const yaml_node_t *k)
{
	for (const struct cfg_key *row = tab; !row_is_end(tab, row); row++)
		if (scalar_is(k, name_of_row(tab, row)))
			return row;
	return NULL;
}

static int fail_unknown(struct load_ctx *x, const struct cfg_key *tab,
                        const yaml_node_t *k)
{
	const char *names[24];
	char shown[SHOW_MAX + 4], alts[LIST_MAX];
	size_t n = 0;

	for (const struct cfg_key *row = tab; !row_is_end(tab, row) &&
	     n < ARRAY_SIZE(names); row++)
		names[n++] = name_of_row(tab, row);
	show(scalar(k), k->data.scalar.length, shown);
	return fail(x, "unknown key%s", alternatives(shown, names, n, alts));
}

static int check_duplicate(struct load_ctx *x, yaml_node_t *map, yaml_node_pair_t *p)
{
	yaml_node_t *k = node_at(x, p->key);

	for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
		yaml_node_t *prev = node_at(x, q->key);

		if (prev->type == YAML_SCALAR_NODE &&
		    prev->data.scalar.length == k->data.scalar.length &&
		    memcmp(scalar(prev), scalar(k), k->data.scalar.length) == 0)
			return fail(x, "duplicate key (first set at line %zu, column %zu)",
			            prev->start_mark.line + 1, prev->start_mark.column + 1);
	}
	return 0;
}

static int load_pair(struct load_ctx *x, yaml_node_t *map, yaml_node_pair_t *p,
                     const struct cfg_key *tab, char *base, uint32_t *seen)
{
	yaml_node_t *k = node_at(x, p->key);
	const struct cfg_key *row;
	size_t saved;
	int rc;

	x->mark = k->start_mark;
	if (k->type != YAML_SCALAR_NODE)
		return fail_type(x, "a key name", k);
	saved = key_push_name(x, scalar(k), k->data.scalar.length);
	rc = check_duplicate(x, map, p);
	if (rc)
		return rc;
	row = find_row(tab, k);
	if (!row)
		return fail_unknown(x, tab, k);
	rc = load_value(x, row, node_at(x, p->value), base);
	if (!rc && seen && row - tab < 32)
		*seen |= 1u << (row - tab);
	key_pop(x, saved);
	return rc;
}

/* An empty value ("system:" with every key commented out) sets nothing. */
static int load_map(struct load_ctx *x, yaml_node_t *map,
                    const struct cfg_key *tab, char *base, uint32_t *seen)
{
	yaml_node_pair_t *p;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail_type(x, "a mapping", map);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		int rc = load_pair(x, map, p, tab, base, seen);

		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ sequences */

static int check_required(struct load_ctx *x, const struct cfg_key *tab, uint32_t seen)
{
	for (const struct cfg_key *row = tab; !row_is_end(tab, row); row++)
		if ((row->flags & KF_REQUIRED) && row - tab < 32 && !(seen & (1u << (row - tab))))
			return fail(x, "missing required key '%s'", name_of_row(tab, row));
	return 0;
}

static int load_entry(struct load_ctx *x, const struct cfg_key *row,
                      yaml_node_t *item, char *elem, size_t i)
{
	size_t saved = key_push_index(x, i);
	uint32_t seen = 0;
	int rc;

	x->mark = item->start_mark;
	if (item->type != YAML_MAPPING_NODE)
		return fail_type(x, "a mapping", item);
	rc = load_map(x, item, row->sub, elem, &seen);
	if (rc)
		return rc;
	x->mark = item->start_mark;
	rc = check_required(x, row->sub, seen);
	key_pop(x, saved);
	return rc;
}

/* A sequence replaces the whole default list. */
static int load_seq(struct load_ctx *x, const struct cfg_key *row,
                    yaml_node_t *v, char *base)
{
	yaml_node_item_t *start, *top;
	char *elems = base + row->off;
	uint32_t n = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail_type(x, "a sequence", v);
	start = v->data.sequence.items.start;
	top = v->data.sequence.items.top;
	if (top - start > row->max) {
		x->mark = node_at(x, start[row->max])->start_mark;
		return fail(x, "too many entries (at most %" PRId64 ")", row->max);
	}
	memset(elems, 0, row->size * (size_t)row->max);
	for (yaml_node_item_t *it = start; it < top; it++, n++) {
		int rc = load_entry(x, row, node_at(x, *it), elems + n * row->size, n);

		if (rc)
			return rc;
	}
	memcpy(base + row->count_off, &n, sizeof(n));
	return 0;
}

/* A sequence of "YYYY-MM-DD" scalars; replaces the default list.  Each
 * error points at its entry. */
static int load_dates(struct load_ctx *x, const struct cfg_key *row,
                      yaml_node_t *v, char *base)
{
	yaml_node_item_t *start, *top;
	char shown[SHOW_MAX + 4];
	int32_t *dates = (int32_t *)(base + row->off);
	uint32_t n = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail_type(x, "a sequence of dates", v);
	start = v->data.sequence.items.start;
	top = v->data.sequence.items.top;
	if (top - start > row->max) {
		x->mark = node_at(x, start[row->max])->start_mark;
		return fail(x, "too many entries (at most %" PRId64 ")", row->max);
	}
	memset(dates, 0, sizeof(*dates) * (size_t)row->max);
	for (yaml_node_item_t *it = start; it < top; it++, n++) {
		yaml_node_t *item = node_at(x, *it);
		size_t saved = key_push_index(x, n);
		dm_date_t d;

		x->mark = item->start_mark;
		if (item->type != YAML_SCALAR_NODE || is_null(item))
			return fail_type(x, "a date YYYY-MM-DD", item);
		if (cal_date_parse(scalar(item), item->data.scalar.length, &d))
			return fail(x, "value '%s' is not a date (expected YYYY-MM-DD, "
			            "a day that exists)",
			            show(scalar(item), item->data.scalar.length, shown));
		for (uint32_t j = 0; j < n; j++)
			if (dates[j] == d)
				return fail(x, "date %s already listed at [%" PRIu32 "] "
				            "(line %zu)", show(scalar(item),
				            item->data.scalar.length, shown), j,
				            node_at(x, start[j])->start_mark.line + 1);
		dates[n] = d;
		key_pop(x, saved);
	}
	memcpy(base + row->count_off, &n, sizeof(n));
	return 0;
}

/* A set of agent names, [risk, execution], into a bit mask. */
static int load_agents(struct load_ctx *x, const struct cfg_key *row,
                       yaml_node_t *v, char *base)
{
	char shown[SHOW_MAX + 4], alts[LIST_MAX];
	uint32_t mask = 0;
	size_t n = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail_type(x, "a sequence of agent names", v);
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++, n++) {
		yaml_node_t *item = node_at(x, *it);
		size_t saved = key_push_index(x, n);
		int id = -1;

		x->mark = item->start_mark;
		if (item->type != YAML_SCALAR_NODE || is_null(item))
			return fail_type(x, "an agent name", item);
		for (int a = 0; a < AGENT_COUNT; a++)
			if (scalar_is(item, cfg_agent_names[a]))
				id = a;
		if (id < 0) {
			show(scalar(item), item->data.scalar.length, shown);
			return fail(x, "unknown agent '%s'%s", shown,
			            alternatives(shown, cfg_agent_names, AGENT_COUNT, alts));
		}
		if (mask & (1u << id))
			return fail(x, "agent '%s' listed twice", cfg_agent_names[id]);
		mask |= 1u << id;
		key_pop(x, saved);
	}
	memcpy(base + row->off, &mask, sizeof(mask));
	return 0;
}

static int check_required(struct load_ctx *x, const struct cfg_key *tab, uint32_t seen);

/* A mapping whose table has required rows must name each of them. */
static int load_map_checked(struct load_ctx *x, yaml_node_t *v,
                            const struct cfg_key *tab, char *base)
{
	uint32_t seen = 0;
	int rc = load_map(x, v, tab, base, &seen);

	if (rc)
		return rc;
	x->mark = v->start_mark;
	return check_required(x, tab, seen);
}

static int load_value(struct load_ctx *x, const struct cfg_key *row,
                      yaml_node_t *v, char *base)
{
	switch (row->type) {
	case K_MAP:
		return load_map_checked(x, v, row->sub, base + row->off);
	case K_AGENTS:
		return load_agents(x, row, v, base);
	case K_SEQ:
		return load_seq(x, row, v, base);
	case K_DATES:
		return load_dates(x, row, v, base);
	default:
		return load_scalar(x, row, v, base + row->off);
	}
}

/* ------------------------------------------------------------ cross-checks */

static int check_system(struct load_ctx *x, const struct dm_config *c, yaml_node_t *root)
{
	yaml_node_t *sys;

	if (c->system.stale_ms > c->system.heartbeat_ms)
		return 0;
	/* Defaults pass, so the file set stale_ms or heartbeat_ms: point there. */
	sys = map_find(x, root, "system", &x->mark);
	key_pop(x, 0);
	if (map_find(x, sys, "stale_ms", &x->mark) || !map_find(x, sys, "heartbeat_ms", &x->mark)) {
		key_push_name(x, "system.stale_ms", strlen("system.stale_ms"));
		return fail(x, "value %" PRIu32 " must be greater than system.heartbeat_ms (%"
		            PRIu32 ")", c->system.stale_ms, c->system.heartbeat_ms);
	}
	key_push_name(x, "system.heartbeat_ms", strlen("system.heartbeat_ms"));
	return fail(x, "value %" PRIu32 " must be less than system.stale_ms (%" PRIu32 ")",
	            c->system.heartbeat_ms, c->system.stale_ms);
}

/* Places x at entry i of the file's rings sequence (the defaults pass the
 * checks, so a failing ring always comes from the file). */
static void at_ring(struct load_ctx *x, yaml_node_t *root, uint32_t i)
{
	yaml_node_t *seq = map_find(x, root, "rings", &x->mark);

	if (seq && seq->type == YAML_SEQUENCE_NODE &&
	    i < seq->data.sequence.items.top - seq->data.sequence.items.start)
		x->mark = node_at(x, seq->data.sequence.items.start[i])->start_mark;
	key_pop(x, 0);
	key_push_name(x, "rings", strlen("rings"));
	key_push_index(x, i);
}

/* A duplicate name also covers two rings with the same (producer, consumer,
 * name). */
static int check_ring(struct load_ctx *x, const struct dm_config *c,
                      yaml_node_t *root, uint32_t i)
{
	const struct cfg_ring *r = &c->ring[i];

	for (uint32_t j = 0; j < i; j++) {
		if (strcmp(c->ring[j].name, r->name) == 0) {
			size_t first;

			at_ring(x, root, j);
			first = x->mark.line + 1;
			at_ring(x, root, i);
			return fail(x, "duplicate ring name '%s' (first used by rings[%" PRIu32
			            "] at line %zu)", r->name, j, first);
		}
	}
	if (r->producer == r->consumer) {
		at_ring(x, root, i);
		return fail(x, "ring '%s' has producer and consumer both '%s'; "
		            "a ring joins two different agents",
		            r->name, cfg_agent_names[r->producer]);
	}
	return 0;
}

/* Places x at the first of names[] the file sets under section (the
 * defaults pass every cross-check, so the file set one of them) and names
 * that key. */
static void at_section_key(struct load_ctx *x, yaml_node_t *root, const char *section,
                           const char *const *names, size_t n)
{
	yaml_node_t *sec = map_find(x, root, section, &x->mark);
	const char *name = names[0];

	for (size_t i = 0; i < n; i++) {
		if (map_find(x, sec, names[i], &x->mark)) {
			name = names[i];
			break;
		}
	}
	key_pop(x, 0);
	key_push_name(x, section, strlen(section));
	key_push_name(x, name, strlen(name));
}

#define AT_INSTRUMENT(x, root, ...)                                          \
	do {                                                                 \
		static const char *const k_[] = { __VA_ARGS__ };             \
		at_section_key(x, root, "instrument", k_, ARRAY_SIZE(k_));   \
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
		append(found, sizeof(found), &pos, "%sconf/instruments/%s",
		       pos ? " or " : "", e->d_name);
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
static int check_alias(struct load_ctx *x, const struct dm_config *c, yaml_node_t *root,
                       const char *section, const char *name, const char *alias)
{
	yaml_node_t *sec = map_find(x, root, section, &x->mark);
	yaml_mark_t m;

	if (!map_find(x, sec, alias, &x->mark))
		return 0;
	key_pop(x, 0);
	key_push_name(x, section, strlen(section));
	key_push_name(x, alias, strlen(alias));
	if (map_find(x, sec, name, &m))
		return fail(x, "deprecated name of %s.%s, which is set too (line %zu): keep %s",
		            section, name, m.line + 1, name);
	if (strcmp(c->instrument.currency, "BRL"))
		return fail(x, "is in BRL but instrument.currency is %s: use %s.%s in %s",
		            c->instrument.currency, section, name, c->instrument.currency);
	return 0;
}

/* Session times in order, the tick on the price grid, the tick value a
 * whole number of nano-units of the currency, the fees in the
 * instrument's currency; then instr_init and cal_init must agree. */
static int check_instrument(struct load_ctx *x, const struct dm_config *c,
                            yaml_node_t *root)
{
	const struct cfg_instrument *in = &c->instrument;
	char t1[16], t2[16], d1[32], d2[32];
	struct instrument instr;
	struct calendar cal;
	int64_t grid = 1;

	if (in->session_open_s >= in->session_close_s) {
		AT_INSTRUMENT(x, root, "session_open", "session_close");
		return fail(x, "session_open %s must be earlier than session_close %s",
		            show_time(in->session_open_s, t1),
		            show_time(in->session_close_s, t2));
	}
	if (in->ash_wednesday_open_s >= in->session_close_s) {
		AT_INSTRUMENT(x, root, "ash_wednesday_open", "session_close");
		return fail(x, "ash_wednesday_open %s must be earlier than session_close %s",
		            show_time(in->ash_wednesday_open_s, t1),
		            show_time(in->session_close_s, t2));
	}
	for (uint32_t i = in->price_decimals; i < 6; i++)
		grid *= 10;
	if (in->tick_size_e6 % grid) {
		AT_INSTRUMENT(x, root, "tick_size", "price_decimals");
		return fail(x, "tick_size %s is not a multiple of %s, the smallest price "
		            "step with price_decimals %" PRIu32,
		            show_dec(in->tick_size_e6, d1), show_dec(grid, d2),
		            in->price_decimals);
	}
	/* tick x point value is currency x 10^12; money is x 10^9 */
	if ((__int128)in->tick_size_e6 * in->point_value_e6 % 1000 ||
	    (__int128)in->tick_size_e6 * in->point_value_e6 / 1000 > INT64_MAX) {
		AT_INSTRUMENT(x, root, "point_value", "point_value_brl", "tick_size");
		return fail(x, "one tick of one lot is worth tick_size %s x point_value %s "
		            "%s, not a whole number of 10^-9 %s (the money unit) or too "
		            "large", show_dec(in->tick_size_e6, d1),
		            show_dec(in->point_value_e6, d2), in->currency, in->currency);
	}
	if (check_alias(x, c, root, "instrument", "point_value", "point_value_brl") ||
	    check_alias(x, c, root, "venue", "fee_per_lot", "fee_per_contract_brl"))
		return -DM_ECONFIG;
	if (strcmp(c->venue.currency, in->currency)) {
		char hint[256];
		yaml_node_t *v = map_find(x, root, "venue", &x->mark);

		if (map_find(x, v, "currency", &x->mark)) {
			key_pop(x, 0);
			key_push_name(x, "venue.currency", strlen("venue.currency"));
		} else {
			AT_INSTRUMENT(x, root, "currency", "symbol");
		}
		return fail(x, "the venue's fees are in %s (venue.currency) but the instrument "
		            "%s trades in %s (instrument.currency): %s (venue.currency and "
		            "venue.fee_per_lot in %s)", c->venue.currency, in->symbol,
		            in->currency, profile_hint(in->symbol, hint, sizeof(hint)),
		            in->currency);
	}
	/* the built-in fee is a BRL amount: another currency needs its own */
	if (strcmp(c->venue.currency, "BRL")) {
		yaml_node_t *v = map_find(x, root, "venue", &x->mark);
		yaml_mark_t m;

		if (!map_find(x, v, "fee_per_lot", &m)) {
			if (map_find(x, v, "currency", &x->mark)) {
				key_pop(x, 0);
				key_push_name(x, "venue.currency", strlen("venue.currency"));
			} else {
				AT_INSTRUMENT(x, root, "currency", "symbol");
			}
			return fail(x, "the fees are in %s but venue.fee_per_lot is not set: its "
			            "default is a BRL amount; set venue.fee_per_lot in %s (0 for "
			            "none)", c->venue.currency, c->venue.currency);
		}
	}
	if (instr_init(&instr, in) || cal_init(&cal, in)) {
		AT_INSTRUMENT(x, root, "symbol");
		return fail(x, "instrument settings refused by instr_init/cal_init");
	}
	return 0;
}

/* The engine's own check, which has the last word.  Within the ranges of
 * the table (threshold >= 0.000001) fracdiff keeps at most ~33k weights,
 * below the engine's limit, so this is defence in depth. */
static int check_features(struct load_ctx *x, const struct dm_config *c,
                          yaml_node_t *root)
{
	struct feat_params p;
	const char *name = "threshold";
	char why[160];
	yaml_node_t *fd;

	feat_params_from_config(&p, &c->features, 1.0, 1.0, FEAT_CLOCK_EXCH);
	if (!feat_params_check(&p, why, sizeof(why)))
		return 0;
	/* the defaults pass, so the file set d or threshold: point there */
	fd = map_find(x, map_find(x, root, "features", &x->mark), "fracdiff", &x->mark);
	if (!map_find(x, fd, "threshold", &x->mark) && map_find(x, fd, "d", &x->mark))
		name = "d";
	key_pop(x, 0);
	key_push_name(x, "features.fracdiff", strlen("features.fracdiff"));
	key_push_name(x, name, strlen(name));
	return fail(x, "%s", why);
}

#define AT_KEY(x, root, section, ...)                                        \
	do {                                                                 \
		static const char *const k_[] = { __VA_ARGS__ };             \
		at_section_key(x, root, section, k_, ARRAY_SIZE(k_));        \
	} while (0)

/* Voters exist, veto holders vote, a fixed quorum fits the voters. */
static int check_vote(struct load_ctx *x, const struct dm_config *c, yaml_node_t *root)
{
	uint32_t n = (uint32_t)__builtin_popcount(c->vote.voters), q = 0;

	if (n == 0) {
		AT_KEY(x, root, "vote", "voters");
		return fail(x, "at least one voter is needed");
	}
	if (c->vote.voters & (1u << AGENT_COORDINATOR)) {
		AT_KEY(x, root, "vote", "voters");
		return fail(x, "the coordinator runs the vote and cannot be a voter");
	}
	if (c->vote.veto & ~c->vote.voters) {
		AT_KEY(x, root, "vote", "veto", "voters");
		return fail(x, "every veto holder must be among vote.voters");
	}
	if (vote_quorum_parse(c->vote.quorum, &q) == VOTE_QUORUM_N && (q < 1 || q > n)) {
		AT_KEY(x, root, "vote", "quorum", "voters");
		return fail(x, "quorum %" PRIu32 " must be 1..%" PRIu32 " (the number of voters)",
		            q, n);
	}
	return 0;
}

static int cross_check(struct load_ctx *x, const struct dm_config *c)
{
	yaml_node_t *root = yaml_document_get_root_node(x->doc);
	int rc;

	if (root)
		x->mark = root->start_mark;
	rc = check_system(x, c, root);

	for (uint32_t i = 0; !rc && i < c->n_rings; i++)
		rc = check_ring(x, c, root, i);
	if (!rc)
		rc = check_instrument(x, c, root);
	if (!rc)
		rc = check_features(x, c, root);
	if (!rc)
		rc = check_vote(x, c, root);
	return rc;
}

/* ------------------------------------------------------------ file, parser */

static int fail_file(struct load_ctx *x, const char *what, int errnum)
{
	if (x->err && x->errlen)
		snprintf(x->err, x->errlen, "%s: %s: %s", x->path, what, strerror(errnum));
	return -DM_ECONFIG;
}

static int open_input(struct load_ctx *x, FILE **out)
{
	struct stat st;
	FILE *f = fopen(x->path, "rb");

	if (!f)
		return fail_file(x, "cannot open", errno);
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return fail_file(x, "cannot read", EISDIR);
	}
	*out = f;
	return 0;
}

/* Reader errors (bad encoding) carry a byte offset, not a mark. */
static yaml_mark_t mark_of_offset(FILE *f, size_t offset)
{
	yaml_mark_t m = { 0, 0, 0 };
	int ch;

	rewind(f);
	for (; m.index < offset && (ch = getc(f)) != EOF; m.index++) {
		m.column++;
		if (ch == '\n') {
			m.line++;
			m.column = 0;
		}
	}
	return m;
}

static int fail_syntax(struct load_ctx *x, const yaml_parser_t *p, FILE *f)
{
	size_t pos = 0;
	char ctx[128] = "";

	if (p->error == YAML_MEMORY_ERROR)
		return fail_file(x, "cannot parse", ENOMEM);
	x->mark = p->error == YAML_READER_ERROR ?
	          mark_of_offset(f, p->problem_offset) : p->problem_mark;
	if (p->context)
		append(ctx, sizeof(ctx), &pos, " (%s at line %zu, column %zu)",
		       p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	if (x->err && x->errlen)
		snprintf(x->err, x->errlen, "%s:%zu:%zu: YAML syntax error: %s%s",
		         x->path, x->mark.line + 1, x->mark.column + 1,
		         p->problem ? p->problem : "unknown problem", ctx);
	return -DM_ECONFIG;
}

/* The file must hold one document: anything after it is refused. */
static int check_single_document(struct load_ctx *x, yaml_parser_t *p, FILE *f)
{
	yaml_document_t next;
	int rc = 0;

	if (!yaml_parser_load(p, &next))
		return fail_syntax(x, p, f);
	if (yaml_document_get_root_node(&next)) {
		x->mark = next.start_mark;
		key_pop(x, 0);
		rc = fail(x, "a second YAML document; the file must hold one");
	}
	yaml_document_delete(&next);
	return rc;
}

/*
 * Every relative path the file sets is taken from the file's directory:
 * store it joined to that directory made absolute, so that config_resolve
 * only ever resolves defaults (against conf/).
 */
static int absolute_paths(struct load_ctx *x, struct dm_config *c, yaml_node_t *root)
{
	static const struct { const char *section, *key; size_t off, size; } paths[] = {
		{ "strategy", "model", offsetof(struct dm_config, strategy.model),
		  FIELD_SIZE(struct dm_config, strategy.model) },
		{ "risk", "limits", offsetof(struct dm_config, risk.limits),
		  FIELD_SIZE(struct dm_config, risk.limits) },
		{ "venue", "latency_file", offsetof(struct dm_config, venue.latency_file),
		  FIELD_SIZE(struct dm_config, venue.latency_file) },
	};
	char dir[PATH_MAX], joined[PATH_MAX + 256], *slash;
	int have_dir = 0;

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		char *field = (char *)c + paths[i].off;
		yaml_node_t *sec = map_find(x, root, paths[i].section, &x->mark);

		if (!map_find(x, sec, paths[i].key, &x->mark) || field[0] == '\0' ||
		    field[0] == '/')
			continue;
		key_pop(x, 0);
		key_push_name(x, paths[i].section, strlen(paths[i].section));
		key_push_name(x, paths[i].key, strlen(paths[i].key));
		if (!have_dir) {
			if (!realpath(x->path, dir))
				return fail(x, "cannot find the file's directory: %s",
				            strerror(errno));
			slash = strrchr(dir, '/');
			slash[slash == dir] = '\0';   /* "/x.yaml" -> "/" */
			have_dir = 1;
		}
		snprintf(joined, sizeof(joined), "%s%s%s", dir,
		         dir[1] ? "/" : "", field);
		if (strlen(joined) >= paths[i].size)
			return fail(x, "'%s' taken from the file's directory is %zu bytes "
			            "long (at most %zu)", field, strlen(joined),
			            paths[i].size - 1);
		strcpy(field, joined);
	}
	return 0;
}

static int load_document(struct load_ctx *x, struct dm_config *c,
                         yaml_parser_t *p, FILE *f)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int rc;

	if (!yaml_parser_load(p, &doc))
		return fail_syntax(x, p, f);
	x->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	rc = root ? load_map(x, root, root_keys, (char *)c, NULL) : 0;
	if (!rc)
		rc = cross_check(x, c);
	if (!rc && root)
		rc = absolute_paths(x, c, root);
	if (!rc)
		rc = check_single_document(x, p, f);
	yaml_document_delete(&doc);
	x->doc = NULL;
	return rc;
}

int config_load(struct dm_config *c, const char *path, char *err, size_t errlen)
{
	struct load_ctx x = { .path = path ? path : "(null)", .err = err, .errlen = errlen };
	struct dm_config tmp;
	yaml_parser_t parser;
	FILE *f;
	int rc;

	if (!path || strlen(path) >= sizeof(c->path))
		return fail_file(&x, "cannot use as config path", path ? ENAMETOOLONG : EINVAL);
	rc = open_input(&x, &f);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&parser)) {
		rc = fail_file(&x, "cannot parse", ENOMEM);
		goto close_file;
	}
	yaml_parser_set_input_file(&parser, f);
	config_defaults(&tmp);
	rc = load_document(&x, &tmp, &parser, f);
	if (!rc) {
		strcpy(tmp.path, path);
		*c = tmp;
	}
	yaml_parser_delete(&parser);
close_file:
	fclose(f);
	return rc;
}

/* ------------------------------------------------------------ risk limits */

/* What config_load_risk_for expects of the limits file. */
struct risk_want {
	const char *currency, *symbol, *config;
};

/* reducing_at below the daily loss; then risk_cfg_check must agree; the
 * currency, when x->arg says which, is the instrument's. */
static int check_risk(struct load_ctx *x, const struct risk_cfg *r)
{
	yaml_node_t *root = yaml_document_get_root_node(x->doc);
	const struct risk_want *want = x->arg;
	const char *field = NULL;
	char hint[256];

	if (r->reducing_at_e6 && r->reducing_at_e6 >= r->daily_loss_e6) {
		map_find(x, root, "reducing_at_loss", &x->mark);
		key_pop(x, 0);
		key_push_name(x, "reducing_at_loss", strlen("reducing_at_loss"));
		return fail(x, "must be below daily_loss (or 0 = never)");
	}
	if (want && strcmp(r->currency, want->currency)) {
		map_find(x, root, "currency", &x->mark);
		key_pop(x, 0);
		key_push_name(x, "currency", strlen("currency"));
		return fail(x, "the limits are in %s but the instrument %s of %s trades in %s: "
		            "%s (risk.limits naming limits in %s)", r->currency, want->symbol,
		            want->config, want->currency,
		            profile_hint(want->symbol, hint, sizeof(hint)), want->currency);
	}
	if (risk_cfg_check(r, &field) < 0) {
		if (field)
			map_find(x, root, field, &x->mark);
		key_pop(x, 0);
		if (field)
			key_push_name(x, field, strlen(field));
		return fail(x, "refused by the risk engine");
	}
	return 0;
}

/*
 * Load a whole file against one key table into dst (the caller's scratch
 * copy): what names the file in messages; empty, when not NULL, is the
 * error for a file without a document; check (may be NULL) is the
 * cross-check run once every key is in.  0 or -DM_ECONFIG as config_load.
 */
static int load_table_file(const char *path, const char *what, const struct cfg_key *tab,
                           void *dst, const char *empty,
                           int (*check)(struct load_ctx *x, const void *dst),
                           const void *arg, char *err, size_t errlen)
{
	struct load_ctx x = { .path = path ? path : "(null)", .err = err, .errlen = errlen,
	                      .arg = arg };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char why[64];
	FILE *f;
	int rc;

	if (!path) {
		snprintf(why, sizeof(why), "cannot use as %s path", what);
		return fail_file(&x, why, EINVAL);
	}
	rc = open_input(&x, &f);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&parser)) {
		rc = fail_file(&x, "cannot parse", ENOMEM);
		goto close_file;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = fail_syntax(&x, &parser, f);
		goto delete_parser;
	}
	x.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root && empty) {
		x.mark.line = x.mark.column = 0;
		rc = fail(&x, "%s", empty);
	} else if (root) {
		rc = load_map_checked(&x, root, tab, dst);
	}
	if (!rc && check)
		rc = check(&x, dst);
	if (!rc)
		rc = check_single_document(&x, &parser, f);
	yaml_document_delete(&doc);
	x.doc = NULL;
delete_parser:
	yaml_parser_delete(&parser);
close_file:
	fclose(f);
	return rc;
}

static int check_risk_file(struct load_ctx *x, const void *dst)
{
	return check_risk(x, dst);
}

static int load_risk(struct risk_cfg *r, const char *path, const struct risk_want *want,
                     char *err, size_t errlen)
{
	struct risk_cfg tmp;
	int rc;

	memset(&tmp, 0, sizeof(tmp));
	rc = load_table_file(path, "risk limits", risk_root_keys, &tmp,
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

/* Line and column of section.key in the configuration file, when it sets it. */
static int key_mark(const char *path, const char *section, const char *key, yaml_mark_t *m)
{
	struct load_ctx x = { .path = path };
	yaml_parser_t parser;
	yaml_document_t doc;
	int found = 0;
	FILE *f;

	if (!path[0] || !(f = fopen(path, "rb")))
		return 0;
	if (yaml_parser_initialize(&parser)) {
		yaml_parser_set_input_file(&parser, f);
		if (yaml_parser_load(&parser, &doc)) {
			x.doc = &doc;
			found = map_find(&x, map_find(&x, yaml_document_get_root_node(&doc),
			                               section, m), key, m) != NULL;
			yaml_document_delete(&doc);
		}
		yaml_parser_delete(&parser);
	}
	fclose(f);
	return found;
}

/* A path setting that must name a readable file, when set. */
static int check_file_key(const struct dm_config *c, const char *section, const char *key,
                          const char *val, const char *fix, char *err, size_t errlen)
{
	char p[PATH_MAX], dotted[64], where[PATH_MAX + 64];
	yaml_mark_t m;
	int rc, e;

	if (!val[0])
		return 0;
	snprintf(dotted, sizeof(dotted), "%s.%s", section, key);
	rc = resolve_key(c, dotted, val, p, sizeof(p), err, errlen);
	errno = 0;
	if (rc || readable(p))
		return rc;
	e = errno;
	if (key_mark(c->path, section, key, &m))
		snprintf(where, sizeof(where), "%s:%zu:%zu", c->path, m.line + 1, m.column + 1);
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

/* ------------------------------------------------------------ model parameters */

/* The parameters must also pass model_params_check (xgb.h). */
static int check_model_file(struct load_ctx *x, const void *dst)
{
	yaml_node_t *root = yaml_document_get_root_node(x->doc);
	char why[200];

	if (model_params_check(dst, why, sizeof(why)) == 0)
		return 0;
	if (root)
		x->mark = root->start_mark;
	key_pop(x, 0);
	return fail(x, "%s", why);
}

int model_params_load(const char *path, struct model_params *p, char *err, size_t errlen)
{
	struct model_params tmp = *p;
	int rc = load_table_file(path, "model configuration", model_keys, &tmp, NULL,
	                         check_model_file, NULL, err, errlen);

	if (!rc)
		*p = tmp;
	return rc;
}
