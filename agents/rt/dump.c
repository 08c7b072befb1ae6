/*
 * dump.c — the agents' state for monitors (dump.h).
 *
 * Design: this file knows no agent's app-area layout.  `views` holds one
 * row per agent: the app version and size its region must hold, what its
 * stage histogram measures, and the function that turns the app area into
 * a JSON object, each the module's own (coord_dump_json,
 * execsvc_dump_json, riskd_dump_json, featd_dump_json,
 * strategy_dump_json; the data agent's glue state here,
 * ag_data_dump_json).  Everything below (the JSON dump, the human text,
 * the system line, the summary and its verdict) reads those objects by
 * their documented keys, so an agent whose layout changes changes its
 * module's dump and its row, nothing else.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "agents/rt/agents.h"
#include "agents/rt/dump.h"
#include "libcore/replay/replay.h"

/* ------------------------------------------------------------ the data agent */

json_t *ag_data_dump_json(const struct ag_data_state *d)
{
	char err[sizeof(d->input_error_text) + 1];
	snprintf(err, sizeof(err), "%.*s", (int)sizeof(d->input_error_text),
		 d->input_error_text);
	/* a replay cut short by its input is no done replay; input_error,
	 * next to it, says why */
	const char *replay = d->input_error ? (d->done ? "stopped" : "refused")
			   : d->done ? "done" : d->has_input ? "replaying" : "no input";
	return json_pack("{s:s, s:o, s:I, s:I, s:I, s:b, s:I, s:I, s:s, s:b, s:I}",
		"replay", replay,
		"input_error", d->input_error ? json_string(err) : json_null(),
		"events", (json_int_t)d->events, "books", (json_int_t)d->books,
		"trades", (json_int_t)d->trades, "replay_done", d->done && !d->input_error,
		"bad_rows", (json_int_t)d->bad_rows,
		"first_bad_line", (json_int_t)d->first_bad_line,
		"pace", replay_pace_name(d->pace), "has_input", d->has_input != 0,
		"market_time_ns", (json_int_t)d->last_exch_ns);
}

/* ------------------------------------------------------------ the table */

struct view {
	uint32_t agent;        /* enum agent_id */
	uint32_t app_version;  /* what rt_state.app_version must say */
	uint32_t app_size;     /* and rt_state.app_size */
	const char *stage;     /* what its stage histogram measures (struct rt_lat) */
	/* the app area (app_size bytes) as a new object */
	json_t *(*json)(const void *app, size_t size);
};

static json_t *coord_view(const void *p, size_t n)
{
	(void)n;
	return coord_dump_json(p);
}

static json_t *data_view(const void *p, size_t n)
{
	(void)n;
	return ag_data_dump_json(p);
}

static json_t *feature_view(const void *p, size_t n)
{
	(void)n;
	return featd_dump_json(p);
}

static json_t *ml_view(const void *p, size_t n)
{
	(void)n;
	return strategy_dump_json(p);
}

static json_t *exec_view(const void *p, size_t n)
{
	return execsvc_dump_json(p, n);
}

static json_t *risk_view(const void *p, size_t n)
{
	(void)n;
	return riskd_dump_json(p);
}

static const struct view views[] = {
	{ AGENT_COORDINATOR, AG_COORD_VERSION, sizeof(struct coord_state),
	  "tick_to_release", coord_view },
	{ AGENT_DATA, AG_DATA_VERSION, sizeof(struct ag_data_state),
	  "tick_to_book", data_view },
	{ AGENT_FEATURE, AG_FEATURE_VERSION, sizeof(struct featd_state),
	  "tick_to_features", feature_view },
	{ AGENT_ML, AG_ML_VERSION, sizeof(struct strategy_state),
	  "tick_to_intent", ml_view },
	{ AGENT_EXECUTION, AG_EXEC_VERSION, AG_EXEC_APP_SIZE,
	  "tick_to_order", exec_view },
	{ AGENT_RISK, AG_RISK_VERSION, sizeof(struct riskd_state),
	  "tick_to_risk_vote", risk_view },
};
#define N_VIEWS (sizeof(views) / sizeof(views[0]))
_Static_assert(N_VIEWS == AGENT_COUNT, "one view per agent");

static const struct view *view_of(uint32_t agent)
{
	for (size_t i = 0; i < N_VIEWS; i++)
		if (views[i].agent == agent)
			return &views[i];
	return NULL;
}

/* dump.h; a region not there or of another layout is never reinterpreted */
const void *rt_app_view(const struct seg *s, uint32_t a, size_t *size)
{
	const struct view *v = view_of(a);
	if (!v || !rt_state_valid(s, a))
		return NULL;
	const struct rt_state *st = rt_state_of(s, a);
	if (atomic_load(&((struct rt_state *)st)->app_version) != v->app_version ||
	    st->app_size != v->app_size)
		return NULL;
	if (size)
		*size = v->app_size;
	return rt_app_of(s, a);
}

/* The app area of agent a as its module shows it, or NULL when the region
 * is not there or holds another layout (never reinterpreted).  The caller
 * owns the object. */
static json_t *app_json(const struct seg *s, uint32_t a)
{
	size_t n;
	const struct view *v = view_of(a);
	const void *p = rt_app_view(s, a, &n);
	return p && v ? v->json(p, n) : NULL;
}

/* ------------------------------------------------------------ reading objects */

static int64_t ji(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static uint64_t ju(const json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

static double jf(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* the string under k, or dflt when absent or empty */
static const char *js(const json_t *o, const char *k, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v && v[0] ? v : dflt;
}

/* Money as risk and the venue keep it (nano-units: the instrument's
 * currency x 10^9) in the currency's units: the conversions of this file,
 * a number for JSON and exact decimal text for people. */
static double money(int64_t e9)
{
	return (double)e9 / 1e9;
}

static const char *money_txt(int64_t e9, char *buf)
{
	instr_money_format(e9, buf, 32);
	return buf;
}
#define MTXT(e9) money_txt((e9), (char[32]){ 0 })

static const char *const outcome_names[] = { "none", "ok", "refused", "failed" };

static const char *outcome_name(uint32_t o)
{
	return o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o] : "?";
}

/* "-" for no command yet, else the runtime's one name for it */
static const char *cmd_name(uint32_t cmd)
{
	return cmd ? rt_cmd_name(cmd) : "-";
}

/* The last command answer of agent a; 0, or -1 if the region is not there. */
static int ack_of(const struct seg *s, uint32_t a, struct rt_cmd_ack *out)
{
	memset(out, 0, sizeof(*out));
	if (a >= s->hdr->n_agents || !rt_state_valid(s, a))
		return -1;
	return rt_cmd_ack_read(&rt_state_of(s, a)->ack, out) == 0 ? 0 : -1;
}

/* A histogram as {"n", "p50_ns", "p99_ns", "p999_ns", "max_ns", "buckets"}:
 * buckets lists the counters that are not 0 as [lo_ns, hi_ns, count], lo
 * and hi the smallest and largest value of the bucket (hist.h), in order
 * (what dm-report draws the distribution from). */
static json_t *hist_json(const struct hist *h)
{
	uint64_t n = hist__load(&h->count);
	json_t *b = json_array();
	for (uint32_t i = 0; n && i < HIST_BUCKETS; i++) {
		uint64_t c = hist__load(&h->bucket[i]);
		if (c)
			json_array_append_new(b, json_pack("[I, I, I]", (json_int_t)hist_bucket_lo(i),
				(json_int_t)(hist_bucket_hi(i) > INT64_MAX ? INT64_MAX : hist_bucket_hi(i)),
				(json_int_t)c));
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "n", (json_int_t)n,
		"p50_ns", (json_int_t)(n ? hist_quantile(h, 0.50) : 0),
		"p99_ns", (json_int_t)(n ? hist_quantile(h, 0.99) : 0),
		"p999_ns", (json_int_t)(n ? hist_quantile(h, 0.999) : 0),
		"max_ns", (json_int_t)(n ? hist__load(&h->max) : 0), "buckets", b);
}

/* ------------------------------------------------------------ journals */

/* Agent a's journal alarm, copied; 0, or -1 when it has none (no region,
 * no journal named). */
static int alarm_of(const struct seg *s, uint32_t a, struct rt_journal_alarm *out)
{
	memset(out, 0, sizeof(*out));
	if (a >= s->hdr->n_agents || !rt_state_valid(s, a) ||
	    rt_journal_alarm_read(&rt_state_of(s, a)->journal, out) < 0 || !out->file[0])
		return -1;
	return 0;
}

static json_t *alarm_json(uint32_t a, const struct rt_journal_alarm *al)
{
	int failing = atomic_load_explicit(&al->failing, memory_order_relaxed) != 0;
	return json_pack("{s:s, s:s, s:b, s:o, s:i, s:I, s:I, s:I, s:I, s:I}",
		"agent", rt_agent_names[a], "file", al->file, "failing", failing,
		"error", al->err ? json_string(dm_strerror(al->err)) : json_null(),
		"errno", -al->err, "failures", (json_int_t)al->failures,
		"episodes", (json_int_t)al->episodes,
		"first_failure_ns", (json_int_t)al->first_ns,
		"last_failure_ns", (json_int_t)al->last_ns,
		"cleared_ns", (json_int_t)al->cleared_ns);
}

json_t *rt_journal_json(const struct seg *s, uint32_t agent)
{
	struct rt_journal_alarm al;
	return alarm_of(s, agent, &al) < 0 ? NULL : alarm_json(agent, &al);
}

/* "2024-08-08 12:00:01.234 UTC" */
static const char *utc_txt(int64_t ns, char *out)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t k = strftime(out, 40, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out + k, 40 - k, ".%03d UTC", (int)(ns % 1000000000 / 1000000));
	return out;
}
#define UTC(ns) utc_txt((ns), (char[40]){ 0 })

int rt_alarms_text(const struct seg *s, FILE *f)
{
	int n = 0;
	for (uint32_t a = 0; a < s->hdr->n_agents && a < AGENT_COUNT; a++) {
		struct rt_journal_alarm al;
		if (alarm_of(s, a, &al) < 0 || !atomic_load(&al.failing))
			continue;
		fprintf(f, "ALARM: the journal of %s (%s) cannot write: %s, since %s (%" PRIu64
			" failed writes, the last at %s); new orders are halted\n",
			rt_agent_names[a], al.file, dm_strerror(al.err), UTC(al.first_ns),
			al.failures, UTC(al.last_ns));
		n++;
	}
	if (!n && rt_state_valid(s, AGENT_COORDINATOR) &&
	    (atomic_load(&rt_state_of(s, AGENT_COORDINATOR)->flags) & RT_SF_JOURNAL)) {
		fprintf(f, "ALARM: new orders are halted because a journal failed; every journal "
			"writes again: 'dmctl resume' resumes trading\n");
		n++;
	}
	return n;
}

/* ------------------------------------------------------------ dump */

/* What the runtime keeps for every agent: flags, opens, the last command
 * answered, its journal, latency. */
static json_t *runtime_json(const struct seg *s, const struct view *v)
{
	uint32_t a = v->agent;
	struct rt_state *st = rt_state_of(s, a);
	uint32_t f = atomic_load(&st->flags);
	json_t *o = json_pack("{s:b, s:b, s:b, s:I, s:I}",
		"halted", (f & RT_SF_HALTED) != 0, "kill_switch", (f & RT_SF_KILLED) != 0,
		"journal_halt", (f & RT_SF_JOURNAL) != 0,
		"opens", (json_int_t)atomic_load(&st->opens),
		"dup_skipped", (json_int_t)atomic_load(&st->dup_skipped));
	json_t *j = rt_journal_json(s, a);
	if (j)
		json_object_set_new(o, "journal", j);
	struct rt_cmd_ack ack;
	if (ack_of(s, a, &ack) == 0)
		json_object_set_new(o, "command", json_pack("{s:I, s:s, s:s, s:s}",
			"seq", (json_int_t)ack.seq, "cmd", cmd_name(ack.cmd),
			"outcome", outcome_name(ack.outcome), "text", ack.text));
	const struct rt_lat *lat = rt_lat_of(s, a);
	json_object_set_new(o, "latency", json_pack("{s:o, s:s, s:o, s:o, s:o}",
		"hop", hist_json(&lat->hop), "stage_name", v->stage,
		"stage", hist_json(&lat->stage), "wake", hist_json(&lat->wake),
		"log", hist_json(&lat->log)));
	json_object_set_new(o, "page_faults", json_pack("{s:I, s:I}",
		"minor", (json_int_t)atomic_load(&st->minflt),
		"major", (json_int_t)atomic_load(&st->majflt)));
	json_object_set_new(o, "switches", json_pack("{s:I, s:I}",
		"voluntary", (json_int_t)atomic_load(&st->nvcsw),
		"involuntary", (json_int_t)atomic_load(&st->nivcsw)));
	return o;
}

json_t *rt_dump_json(const struct seg *s)
{
	json_t *agents = json_object();
	json_t *recent = json_array();
	json_t *alarms = json_array();
	for (uint32_t a = 0; a < s->hdr->n_agents && a < AGENT_COUNT; a++) {
		struct rt_journal_alarm al;
		if (alarm_of(s, a, &al) == 0 && atomic_load(&al.failing))
			json_array_append_new(alarms, alarm_json(a, &al));
	}
	for (size_t i = 0; i < N_VIEWS; i++) {
		const struct view *v = &views[i];
		if (v->agent >= s->hdr->n_agents)
			continue;
		const char *name = rt_agent_names[v->agent];
		if (!rt_state_valid(s, v->agent)) {
			json_object_set_new(agents, name, json_pack("{s:s}", "state", "none"));
			continue;
		}
		json_t *o = runtime_json(s, v), *app = app_json(s, v->agent);
		if (app) {
			/* an agent's recent decisions go to the document's list */
			json_t *rec = json_object_get(app, "recent");
			if (json_is_array(rec)) {
				json_array_extend(recent, rec);
				json_object_del(app, "recent");
			}
			json_object_update(o, app);
			json_decref(app);
		}
		json_object_set_new(agents, name, o);
	}
	return json_pack("{s:o, s:o, s:o}", "agents", agents, "decisions", recent,
			 "alarms", alarms);
}

/* ------------------------------------------------------------ text */

/* A JSON value as text for people into buf (n bytes): numbers as they are,
 * true/false as yes/no, null and "" as "-", objects as {key value, ...},
 * arrays as [item; ...]. */
static size_t value_text(const json_t *v, char *buf, size_t n)
{
	size_t k = 0;
#define PUT(...) do { if (k < n) k += (size_t)snprintf(buf + k, n - k, __VA_ARGS__); } while (0)
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		PUT("%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		PUT("%.10g", json_real_value(v));
		break;
	case JSON_STRING:
		PUT("%s", json_string_length(v) ? json_string_value(v) : "-");
		break;
	case JSON_TRUE:
		PUT("yes");
		break;
	case JSON_FALSE:
		PUT("no");
		break;
	case JSON_NULL:
		PUT("-");
		break;
	case JSON_OBJECT: {
		const char *key;
		json_t *e;
		int first = 1;
		PUT("{");
		json_object_foreach((json_t *)v, key, e) {
			PUT("%s%s ", first ? "" : ", ", key);
			if (k < n)
				k += value_text(e, buf + k, n - k);
			first = 0;
		}
		PUT("}");
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *e;
		PUT("[");
		json_array_foreach(v, i, e) {
			PUT("%s", i ? "; " : "");
			if (k < n)
				k += value_text(e, buf + k, n - k);
		}
		PUT("]");
		break;
	}
	}
#undef PUT
	return k;
}

/* One agent's dump as "name       key value, key value, ..." wrapped
 * before column 100. */
static void object_text(FILE *f, const char *name, const json_t *o)
{
	const char *key;
	json_t *e;
	int col = fprintf(f, "%-10s", name), first = 1;
	json_object_foreach((json_t *)o, key, e) {
		char item[512];
		size_t n = (size_t)snprintf(item, sizeof(item), "%s ", key);
		value_text(e, item + n, sizeof(item) - n);
		int len = (int)strlen(item);
		if (!first && col + 2 + len > 100) {
			col = fprintf(f, ",\n%-10s", "") - 2;
		} else if (!first) {
			col += fprintf(f, ",");
		}
		col += fprintf(f, " %s", item);
		first = 0;
	}
	fputc('\n', f);
}

void rt_dump_text(const struct seg *s, FILE *f)
{
	json_t *dec = json_array();
	rt_system_text(s, f);
	rt_alarms_text(s, f);
	for (size_t i = 0; i < N_VIEWS; i++) {
		json_t *app = app_json(s, views[i].agent);
		if (!app)
			continue;
		json_t *rec = json_object_get(app, "recent"); /* listed below */
		if (json_is_array(rec)) {
			json_array_extend(dec, rec);
			json_object_del(app, "recent");
		}
		object_text(f, rt_agent_names[views[i].agent], app);
		json_decref(app);
	}
	fprintf(f, "latency    %-12s %-18s %8s %8s %8s %8s %10s  (us)\n", "agent", "stage",
		"n", "p50", "p99", "p99.9", "max");
	for (size_t i = 0; i < N_VIEWS; i++) {
		uint32_t a = views[i].agent;
		if (a >= s->hdr->n_agents || !rt_state_valid(s, a))
			continue;
		const struct rt_lat *lat = rt_lat_of(s, a);
		const struct hist *hs[4] = { &lat->stage, &lat->hop, &lat->wake, &lat->log };
		const char *what[4] = { views[i].stage, "ring_hop", "wake", "log_line" };
		for (int k = 0; k < 4; k++) {
			uint64_t n = hist__load(&hs[k]->count);
			if (!n)
				continue;
			fprintf(f, "           %-12s %-18s %8" PRIu64 " %8.1f %8.1f %8.1f %10.1f\n",
				rt_agent_names[a], what[k], n, hist_quantile(hs[k], 0.50) / 1e3,
				hist_quantile(hs[k], 0.99) / 1e3, hist_quantile(hs[k], 0.999) / 1e3,
				(double)hist__load(&hs[k]->max) / 1e3);
		}
	}
	/* the last few decisions, each with every vote */
	size_t n = json_array_size(dec), k = n < 5 ? n : 5;
	if (k)
		fprintf(f, "decisions  the last %zu of those kept:\n", k);
	for (size_t i = n - k; i < n; i++) {
		json_t *v = json_array_get(dec, i), *votes = json_object_get(v, "votes"), *e;
		size_t j;
		fprintf(f, "  %016" PRIx64 " %-7s %-14s %s %" PRId64 " @ %" PRId64 " coid %016"
			PRIx64 " [", ju(v, "decision_id"), js(v, "outcome", "?"),
			js(v, "reason", "?"), ji(v, "side") > 0 ? "buy" : "sell", ji(v, "qty"),
			ji(v, "px"), ju(v, "client_order_id"));
		json_array_foreach(votes, j, e)
			fprintf(f, "%s%s:%s/%s", j ? " " : "", js(e, "voter", "?"),
				js(e, "verdict", "?"), js(e, "reason", "?"));
		fputs("]\n", f);
	}
	json_decref(dec);
}

/* ------------------------------------------------------------ system */

struct sysline {
	const char *state;      /* TRADING, HALTED, KILL_SWITCH, DOWN */
	char reason[160];       /* "-", "operator", "agents down: ...", "latched",
				 * "journal error: ..." */
	int have_risk;
	int64_t position;
	struct risk_pnl pnl;
	const char *symbol, *currency;
	char symbol_buf[32], currency_buf[16];
};

static void system_of(const struct seg *s, struct sysline *y)
{
	memset(y, 0, sizeof(*y));
	y->symbol = "?";
	y->currency = "?";
	snprintf(y->reason, sizeof(y->reason), "-");
	json_t *r = app_json(s, AGENT_RISK), *c = app_json(s, AGENT_COORDINATOR);
	int killed = 0;
	if (r) {
		json_t *p = json_object_get(r, "pnl_e9");
		y->have_risk = 1;
		y->position = ji(r, "position");
		y->pnl.realized_e9 = ji(p, "realized");
		y->pnl.unrealized_e9 = ji(p, "unrealized");
		y->pnl.fees_e9 = ji(p, "fees");
		y->pnl.net_e9 = ji(p, "net");
		snprintf(y->symbol_buf, sizeof(y->symbol_buf), "%s", js(r, "symbol", "?"));
		snprintf(y->currency_buf, sizeof(y->currency_buf), "%s", js(r, "currency", "?"));
		y->symbol = y->symbol_buf;
		y->currency = y->currency_buf;
		killed = json_is_true(json_object_get(r, "kill_switch_latched"));
	}
	uint32_t down = (uint32_t)ju(c, "agents_down");
	int have_coord = c != NULL;
	json_decref(r);
	json_decref(c);
	const struct agent_slot *cs = seg_agent(s, AGENT_COORDINATOR);
	if (!have_coord || !atomic_load(&((struct agent_slot *)cs)->pid)) {
		y->state = "DOWN";
		snprintf(y->reason, sizeof(y->reason), "coordinator not running");
		return;
	}
	uint32_t f = atomic_load(&rt_state_of(s, AGENT_COORDINATOR)->flags);
	if ((f & RT_SF_KILLED) || killed) {
		y->state = "KILL_SWITCH";
		snprintf(y->reason, sizeof(y->reason), "latched until rearm");
	} else if (f & RT_SF_JOURNAL) {
		y->state = "HALTED";
		int bad = rt_journal_failing(s);
		struct rt_journal_alarm al;
		if (bad >= 0 && alarm_of(s, (uint32_t)bad, &al) == 0)
			snprintf(y->reason, sizeof(y->reason), "journal error: %s %s: %s",
				 rt_agent_names[bad], al.file, dm_strerror(al.err));
		else
			snprintf(y->reason, sizeof(y->reason), "journal error cleared: resume "
				 "with dmctl resume");
	} else if (f & RT_SF_HALTED) {
		y->state = "HALTED";
		snprintf(y->reason, sizeof(y->reason), "operator");
	} else if (down) {
		y->state = "HALTED";
		size_t n = (size_t)snprintf(y->reason, sizeof(y->reason), "agents down:");
		/* the coordinator's mask is of roles: name the agents hosting them */
		for (uint32_t a = 0; a < AGENT_COUNT && n < sizeof(y->reason); a++)
			if (down & (1u << rt_agent_role[a]))
				n += (size_t)snprintf(y->reason + n, sizeof(y->reason) - n, "%s%s",
						      n > 12 ? "," : "", rt_agent_names[a]);
	} else {
		y->state = "TRADING";
	}
}

json_t *rt_system_json(const struct seg *s)
{
	struct sysline y;
	system_of(s, &y);
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:f, s:f, s:f, s:f}",
		"state", y.state, "reason", y.reason, "position", (json_int_t)y.position,
		"symbol", y.symbol, "currency", y.currency,
		"net", money(y.pnl.net_e9), "realized", money(y.pnl.realized_e9),
		"unrealized", money(y.pnl.unrealized_e9), "fees", money(y.pnl.fees_e9));
}

void rt_system_fields(const struct seg *s, FILE *f)
{
	struct sysline y;
	system_of(s, &y);
	/* the reason is the last column: it may hold spaces */
	fprintf(f, "%s %" PRId64 " %s %s %s %s %s %s %s\n", y.state, y.position,
		MTXT(y.pnl.net_e9), MTXT(y.pnl.realized_e9), MTXT(y.pnl.unrealized_e9),
		MTXT(y.pnl.fees_e9), y.currency, y.symbol, y.reason);
}

void rt_system_text(const struct seg *s, FILE *f)
{
	struct sysline y;
	system_of(s, &y);
	const char *st = strcmp(y.state, "KILL_SWITCH") == 0 ? "KILL SWITCH" : y.state;
	fprintf(f, "%s%s%s%s  position %" PRId64 " %s  P&L net %s %s (realized %s, "
		"unrealized %s, fees %s)\n", st, strcmp(y.reason, "-") ? " (" : "",
		strcmp(y.reason, "-") ? y.reason : "", strcmp(y.reason, "-") ? ")" : "",
		y.position, y.symbol, MTXT(y.pnl.net_e9), y.currency,
		MTXT(y.pnl.realized_e9), MTXT(y.pnl.unrealized_e9), MTXT(y.pnl.fees_e9));
}

int rt_command_fields(const struct seg *s, uint32_t agent, FILE *f)
{
	struct rt_cmd_ack a;
	if (ack_of(s, agent, &a) < 0)
		return -1;
	fprintf(f, "%" PRIu64 " %s %s %s\n", a.seq, cmd_name(a.cmd), outcome_name(a.outcome),
		a.text[0] ? a.text : "-");
	return 0;
}

json_t *rt_command_json(const struct seg *s, uint32_t agent)
{
	struct rt_cmd_ack a;
	if (ack_of(s, agent, &a) < 0)
		return NULL;
	return json_pack("{s:s, s:I, s:s, s:s, s:s}", "agent", rt_agent_names[agent],
		"seq", (json_int_t)a.seq, "cmd", cmd_name(a.cmd), "outcome",
		outcome_name(a.outcome), "text", a.text);
}

/* ------------------------------------------------------------ summary */

struct summary {
	json_t *data, *ml, *exec, *risk, *coord; /* the agents' dumps (owned), or NULL */
	int ok_data, ok_ml, ok_exec, ok_risk, ok_coord;
	uint64_t events, books, trades, bad_rows, first_bad_line;
	int done, input_error;
	const char *pace;               /* replay_pace_name */
	const char *input_error_text;
	uint64_t features, quality_dropped, short_vectors, no_side, too_soon;
	uint64_t scored, below_prob, zero_size, no_model, no_quote, intents;
	json_t *quality_by_flag;        /* {flag: count}, every flag in bit order (owned) */
	json_t *mm;                     /* a market maker's part of ml's dump, or NULL */
	const char *kind;               /* ml's strategy kind */
	double mean_prob, mean_scored;
	uint64_t decisions, released, blocked;
	json_t *by_reason;              /* coordinator's {reason: count}, or NULL */
	json_t *risk_rejected;          /* risk's, or NULL */
	uint64_t orders, filled, cancelled, rejected, refused;
	struct venue_totals vt;
	int64_t position, max_abs_position, max_position, mid_x2, tick_value_e9;
	struct risk_pnl pnl;
	int64_t day_start_ns;           /* risk's last new day (market time), 0: none */
	int64_t gross_e9, fees_e9, net_e9; /* the run's, across day starts */
	int64_t venue_gross_e9;       /* recomputed from the venue's sums */
	const char *state, *symbol, *currency;
	uint64_t conflated;             /* every ring's superseded messages */
	json_t *rings;                  /* {ring: superseded} of the conflating rings and
					 * of any other that dropped (owned) */
	uint64_t lat_n;
	double lat_p50, lat_p99, lat_p999;
	json_t *journals;               /* alarm objects of the journals that
					 * failed during the run (owned), or NULL */
};

/* The modules' part of the summary from their dumps (owned by m after). */
static void summary_from_dumps(struct summary *m, json_t *data, json_t *ml, json_t *coord,
			       json_t *exec, json_t *risk)
{
	memset(m, 0, sizeof(*m));
	m->symbol = m->currency = "?";
	m->pace = replay_pace_name(REPLAY_LOCKSTEP);
	m->rings = json_object();
	json_t *d = m->data = data;
	if (d) {
		m->ok_data = 1;
		m->events = ju(d, "events");
		m->books = ju(d, "books");
		m->trades = ju(d, "trades");
		m->done = json_is_true(json_object_get(d, "replay_done"));
		m->bad_rows = ju(d, "bad_rows");
		m->first_bad_line = ju(d, "first_bad_line");
		m->pace = js(d, "pace", m->pace);
		m->input_error_text = json_string_value(json_object_get(d, "input_error"));
		m->input_error = m->input_error_text != NULL;
	}
	m->ml = ml;
	json_t *q = json_object_get(ml, "quality_by_flag");
	if (json_is_object(q)) {
		m->quality_by_flag = json_incref(q);
	} else {
		m->quality_by_flag = json_object();
		for (uint32_t k = 0; k < QUAL_F_COUNT; k++)
			json_object_set_new(m->quality_by_flag, qual_flag_name(k), json_integer(0));
	}
	if (ml) {
		m->ok_ml = 1;
		m->features = ju(ml, "features");
		m->quality_dropped = ju(ml, "quality_dropped");
		m->short_vectors = ju(ml, "short_vectors");
		m->no_side = ju(ml, "no_side");
		m->too_soon = ju(ml, "too_soon");
		m->scored = ju(ml, "scored");
		m->below_prob = ju(ml, "below_min_prob");
		m->zero_size = ju(ml, "zero_size");
		m->no_model = ju(ml, "no_model");
		m->no_quote = ju(ml, "no_quote");
		m->intents = ju(ml, "intents");
		m->mean_prob = jf(ml, "mean_prob_intents");
		m->mean_scored = jf(ml, "mean_prob_scored");
		m->kind = js(ml, "kind", "taker");
		m->mm = json_object_get(ml, "mm");
		if (!json_is_object(m->mm))
			m->mm = NULL;
	}
	json_t *c = m->coord = coord;
	if (c) {
		m->ok_coord = 1;
		m->decisions = ju(c, "decisions");
		m->released = ju(c, "released");
		m->blocked = ju(c, "blocked");
		m->by_reason = json_object_get(c, "by_reason");
	}
	json_t *ex = m->exec = exec;
	if (ex) {
		json_t *v = json_object_get(ex, "venue");
		m->ok_exec = 1;
		m->orders = ju(ex, "orders");
		m->filled = ju(ex, "filled");
		m->cancelled = ju(ex, "cancelled");
		m->rejected = ju(ex, "rejected");
		m->refused = ju(ex, "refused");
		m->vt.fills = ju(v, "fills");
		m->vt.buy_qty = ji(v, "buy_qty");
		m->vt.sell_qty = ji(v, "sell_qty");
		m->vt.buy_value = ji(v, "buy_value_ticks");
		m->vt.sell_value = ji(v, "sell_value_ticks");
		m->vt.fee_e9 = ji(v, "fees_e9");
	}
	json_t *r = m->risk = risk;
	if (r) {
		json_t *p = json_object_get(r, "pnl_e9");
		m->ok_risk = 1;
		m->position = ji(r, "position");
		m->mid_x2 = ji(r, "mark_x2_ticks");
		m->tick_value_e9 = ji(r, "tick_value_e9");
		m->max_abs_position = ji(r, "max_abs_position");
		m->max_position = ji(r, "max_position");
		m->pnl.realized_e9 = ji(p, "realized");
		m->pnl.unrealized_e9 = ji(p, "unrealized");
		m->pnl.fees_e9 = ji(p, "fees");
		m->pnl.net_e9 = ji(p, "net");
		m->pnl.drawdown_e9 = ji(p, "drawdown");
		m->pnl.run_gross_e9 = ji(p, "run_gross");
		m->day_start_ns = ji(r, "day_start_ns");
		m->pnl.run_fees_e9 = ji(p, "run_fees");
		m->gross_e9 = m->pnl.run_gross_e9;
		m->fees_e9 = m->pnl.run_fees_e9;
		m->net_e9 = m->gross_e9 - m->fees_e9;
		m->risk_rejected = json_object_get(r, "rejected");
		m->state = js(r, "trading_state", "?");
		m->symbol = js(r, "symbol", "?");
		m->currency = js(r, "currency", "?");
		/* the venue's fills valued independently: cash of every fill
		 * plus the open position at risk's mark (mid = mid_x2 / 2) */
		int64_t net = m->vt.buy_qty - m->vt.sell_qty;
		m->venue_gross_e9 = (m->vt.sell_value - m->vt.buy_value) * m->tick_value_e9 +
				    (int64_t)((__int128)net * m->mid_x2 * m->tick_value_e9 / 2);
	}
}

/* The summary of a segment: its agents' dumps, its rings, its latency. */
static void summarize(const struct seg *s, struct summary *m)
{
	summary_from_dumps(m, app_json(s, AGENT_DATA), app_json(s, AGENT_ML),
			   app_json(s, AGENT_COORDINATOR), app_json(s, AGENT_EXECUTION),
			   app_json(s, AGENT_RISK));
	for (uint32_t i = 0; i < s->hdr->n_rings; i++) {
		struct ring_stats rs;
		ring_stats(seg_ring(s, i), &rs);
		m->conflated += rs.dropped;
		if (s->hdr->ring[i].policy == RING_CONFLATE || rs.dropped)
			json_object_set_new(m->rings, s->hdr->ring[i].name,
					    json_integer((json_int_t)rs.dropped));
	}
	m->journals = json_array();
	for (uint32_t a = 0; a < s->hdr->n_agents && a < AGENT_COUNT; a++) {
		struct rt_journal_alarm al;
		if (alarm_of(s, a, &al) == 0 && al.episodes)
			json_array_append_new(m->journals, alarm_json(a, &al));
	}
	const struct hist *h = &rt_lat_of(s, AGENT_EXECUTION)->stage;
	if (rt_state_valid(s, AGENT_EXECUTION) && (m->lat_n = hist__load(&h->count))) {
		m->lat_p50 = (double)hist_quantile(h, 0.50) / 1e3;
		m->lat_p99 = (double)hist_quantile(h, 0.99) / 1e3;
		m->lat_p999 = (double)hist_quantile(h, 0.999) / 1e3;
	}
}

static void summary_free(struct summary *m)
{
	json_decref(m->data);
	json_decref(m->ml);
	json_decref(m->exec);
	json_decref(m->risk);
	json_decref(m->coord);
	json_decref(m->quality_by_flag);
	json_decref(m->rings);
	json_decref(m->journals);
	memset(m, 0, sizeof(*m));
}

/*
 * 1 when the result depends on how fast this machine ran the agents: any
 * pace but lockstep (an order meets the market wherever the replay has got
 * to when it arrives, and a slow consumer has books conflated away).
 */
static int speed_dependent(const struct summary *m)
{
	return m->ok_data && m->events &&
	       strcmp(m->pace, replay_pace_name(REPLAY_LOCKSTEP)) != 0 &&
	       strcmp(m->pace, RT_PACE_IN_PROCESS) != 0;
}

/*
 * The summary's warnings, one line each (without "WARNING: "), through
 * emit(ctx, line).  Every counter that means something was lost or
 * skipped gives one when non-zero.
 */
static void warnings(const struct summary *m, void (*emit)(void *ctx, const char *line),
		     void *ctx)
{
	char w[640];
	size_t n;
	if (m->ok_data && m->events == 0) {
		snprintf(w, sizeof(w), "no market event was handled: the run traded nothing "
			 "(see data.log)");
		emit(ctx, w);
	}
	if (m->input_error) {
		snprintf(w, sizeof(w), "the replay stopped on an input error: %s",
			 m->input_error_text);
		emit(ctx, w);
	}
	if (m->bad_rows) {
		snprintf(w, sizeof(w), "%" PRIu64 " bad input rows skipped (first at line %" PRIu64
			 "; data.log names it)", m->bad_rows, m->first_bad_line);
		emit(ctx, w);
	}
	if (m->quality_dropped) {
		n = (size_t)snprintf(w, sizeof(w), "%" PRIu64 " feature vectors dropped by a data-"
				     "quality flag, never looked at (", m->quality_dropped);
		int any = 0;
		const char *flag;
		json_t *cnt;
		json_object_foreach(m->quality_by_flag, flag, cnt)
			if (json_integer_value(cnt) && n < sizeof(w)) {
				n += (size_t)snprintf(w + n, sizeof(w) - n, "%s%s %" JSON_INTEGER_FORMAT,
						      any ? ", " : "", flag,
						      json_integer_value(cnt));
				any = 1;
			}
		if (n < sizeof(w))
			snprintf(w + n, sizeof(w) - n, ")");
		emit(ctx, w);
	}
	if (m->short_vectors) {
		snprintf(w, sizeof(w), "%" PRIu64 " feature vectors with fewer than %d features "
			 "dropped", m->short_vectors, FEAT_N);
		emit(ctx, w);
	}
	if (m->zero_size) {
		snprintf(w, sizeof(w), "%" PRIu64 " sides above strategy.min_prob got a bet size "
			 "that rounds to 0 lots: no order (raise strategy.max_contracts or "
			 "strategy.min_prob)", m->zero_size);
		emit(ctx, w);
	}
	if (m->no_model) {
		snprintf(w, sizeof(w), "%" PRIu64 " sides dropped: no verified model "
			 "(ml.log says why; dmctl reload-model)", m->no_model);
		emit(ctx, w);
	}
	if (m->no_quote) {
		snprintf(w, sizeof(w), "%" PRIu64 " sides dropped: no usable mid or spread",
			 m->no_quote);
		emit(ctx, w);
	}
	if (m->conflated) {
		n = (size_t)snprintf(w, sizeof(w), "%" PRIu64 " messages conflated (", m->conflated);
		int any = 0;
		const char *ring;
		json_t *cnt;
		json_object_foreach(m->rings, ring, cnt) {
			if (!json_integer_value(cnt) || n >= sizeof(w))
				continue;
			n += (size_t)snprintf(w + n, sizeof(w) - n, "%s%s %" JSON_INTEGER_FORMAT,
					      any ? ", " : "", ring, json_integer_value(cnt));
			any = 1;
		}
		if (n < sizeof(w))
			snprintf(w + n, sizeof(w) - n, "): those book updates never reached that ring's consumer");
		emit(ctx, w);
	}
	if (speed_dependent(m)) {
		snprintf(w, sizeof(w), "at --pace %s this result depends on the machine's speed "
			 "and load (%s); reproducible alternatives: --pace lockstep, or the "
			 "in-process backtest (dm-backtest)", m->pace,
			 m->conflated ? "books were conflated, and orders meet the market wherever "
			 "the replay has got to" : "orders meet the market wherever the replay has "
			 "got to when they arrive");
		emit(ctx, w);
	}
	if (m->ok_risk && m->position) {
		/* risk's unrealized is the day's: a new day re-values the
		 * position carried over, and the days before are in the gross */
		char since[200] = "";
		if (m->day_start_ns > 0)
			snprintf(since, sizeof(since), " since a new day began at %s (market time; "
				 "the position carried over was valued at that day's first mid, and "
				 "its move before is in the P&L too)", UTC(m->day_start_ns));
		snprintf(w, sizeof(w), "a position of %" PRId64 " %s is open: the P&L counts "
			 "%s %s unrealized%s, marked at the last mid", m->position, m->symbol,
			 MTXT(m->pnl.unrealized_e9), m->currency, since);
		emit(ctx, w);
	}
	if (m->ok_data && !m->done && !m->input_error && m->events) {
		snprintf(w, sizeof(w), "the replay had not finished when this was read");
		emit(ctx, w);
	}
	size_t i;
	json_t *j;
	json_array_foreach(m->journals, i, j) {
		snprintf(w, sizeof(w), "the journal of %s (%s) failed to write (%s): "
			 "%" JSON_INTEGER_FORMAT " failed writes in %" JSON_INTEGER_FORMAT
			 " episode(s), the last from %s to %s; %s",
			 js(j, "agent", "?"), js(j, "file", "?"), js(j, "error", "?"),
			 json_integer_value(json_object_get(j, "failures")),
			 json_integer_value(json_object_get(j, "episodes")),
			 UTC(ji(j, "first_failure_ns")), UTC(ji(j, "last_failure_ns")),
			 json_is_true(json_object_get(j, "failing")) ?
			 "it still cannot write: new orders are halted" :
			 "it writes again; no order left without its record");
		emit(ctx, w);
	}
}

static void warn_json(void *ctx, const char *line)
{
	json_array_append_new(ctx, json_string(line));
}

static void warn_text(void *ctx, const char *line)
{
	fprintf(ctx, "WARNING: %s\n", line);
}

/* by ({reason: count} or NULL) without its zero counts and approvals */
static json_t *reasons_json(const json_t *by)
{
	json_t *o = json_object(), *cnt;
	const char *why;
	json_object_foreach((json_t *)by, why, cnt)
		if (json_integer_value(cnt) && strcmp(why, vote_reason_name(VOTE_R_APPROVED)))
			json_object_set(o, why, cnt);
	return o;
}

static int verdict(const struct summary *m, char *why, size_t n)
{
	uint64_t seen = m->features + m->quality_dropped;
	if (m->events == 0) {
		snprintf(why, n, "no market event was handled: nothing was traded (see data.log)");
		return 1;
	}
	if (m->input_error) {
		snprintf(why, n, "the replay stopped on an input error: %s", m->input_error_text);
		return 1;
	}
	if (m->no_model && m->scored == 0) {
		snprintf(why, n, "the ml agent had no verified model and scored nothing "
			 "(ml.log says why; retrain with make model or give strategy.model)");
		return 1;
	}
	if (seen && m->quality_dropped * 2 > seen) {
		/* the flag that dropped the most says what to do */
		const char *top = "?", *flag;
		json_int_t most = -1;
		json_t *cnt;
		json_object_foreach(m->quality_by_flag, flag, cnt)
			if (json_integer_value(cnt) > most) {
				most = json_integer_value(cnt);
				top = flag;
			}
		const char *fix = strcmp(top, qual_flag_name(0)) == 0
			? "a side of the book was empty: the book keeps only levels with a size, "
			  "and an MT5 tick export carries none"
			: "set the quality section, e.g. quality.max_spread_ticks, for this "
			  "instrument";
		snprintf(why, n, "data-quality flags dropped %" PRIu64 " of %" PRIu64 " feature "
			 "vectors, most as %s: the run ignored most of its input (%s)",
			 m->quality_dropped, seen, top, fix);
		return 1;
	}
	if (n)
		why[0] = '\0';
	return 0;
}

int rt_summary_verdict(const struct seg *s, char *why, size_t n)
{
	struct summary m;
	summarize(s, &m);
	int rc = verdict(&m, why, n);
	summary_free(&m);
	return rc;
}

/* The summary document of m (without "system"). */
static json_t *summary_doc(const struct summary *m)
{
	int64_t gross = m->gross_e9;
	json_t *qual = json_deep_copy(m->quality_by_flag), *rings = json_deep_copy(m->rings);
	json_t *warn = json_array();
	warnings(m, warn_json, warn);
	json_t *j = json_pack("{s:s, s:s, s:b, s:b, s:{s:I, s:I, s:I, s:b, s:I, s:I, s:s, s:o}, "
			 "s:{s:I, s:{s:I, s:o}, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:f, s:f}, "
			 "s:{s:I, s:o}}",
		"symbol", m->symbol, "currency", m->currency,
		"no_events", m->events == 0, "machine_speed_dependent", speed_dependent(m),
		"events", "total", (json_int_t)m->events, "books", (json_int_t)m->books,
			"trades", (json_int_t)m->trades, "done", m->done,
			"bad_rows", (json_int_t)m->bad_rows,
			"first_bad_line", (json_int_t)m->first_bad_line,
			"pace", m->pace,
			"input_error", m->input_error ? json_string(m->input_error_text) : json_null(),
		"ml", "features", (json_int_t)m->features,
			"quality_dropped", "total", (json_int_t)m->quality_dropped, "by_reason", qual,
			"short_vectors", (json_int_t)m->short_vectors,
			"no_side", (json_int_t)m->no_side, "too_soon", (json_int_t)m->too_soon,
			"scored", (json_int_t)m->scored, "below_min_prob", (json_int_t)m->below_prob,
			"zero_size", (json_int_t)m->zero_size, "no_model", (json_int_t)m->no_model,
			"no_quote", (json_int_t)m->no_quote, "intents", (json_int_t)m->intents,
			"mean_prob_intents", m->mean_prob, "mean_prob_scored", m->mean_scored,
		"conflated", "total", (json_int_t)m->conflated, "by_ring", rings);
	json_t *ml = json_object_get(j, "ml");
	if (ml && m->kind)
		json_object_set_new(ml, "kind", json_string(m->kind));
	if (ml && m->mm)
		json_object_set_new(ml, "mm", json_deep_copy(m->mm));
	json_object_set_new(j, "decisions", json_pack("{s:I, s:I, s:I, s:o, s:o}",
		"total", (json_int_t)m->decisions, "approved", (json_int_t)m->released,
		"rejected", (json_int_t)m->blocked,
		"rejected_by_reason", reasons_json(m->by_reason),
		"risk_rejections_by_reason", reasons_json(m->risk_rejected)));
	json_object_set_new(j, "orders", json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"total", (json_int_t)m->orders, "filled", (json_int_t)m->filled,
		"cancelled", (json_int_t)m->cancelled, "rejected", (json_int_t)m->rejected,
		"refused", (json_int_t)m->refused));
	json_object_set_new(j, "fills", json_pack("{s:I, s:I, s:I, s:f}",
		"count", (json_int_t)m->vt.fills, "bought", (json_int_t)m->vt.buy_qty,
		"sold", (json_int_t)m->vt.sell_qty, "fees", money(m->vt.fee_e9)));
	json_object_set_new(j, "position", json_pack("{s:I, s:I, s:I, s:s, s:I, s:I}",
		"final", (json_int_t)m->position, "max_abs", (json_int_t)m->max_abs_position,
		"limit", (json_int_t)m->max_position, "risk_state", m->state ? m->state : "?",
		"mark_x2_ticks", (json_int_t)m->mid_x2,
		"tick_value_e9", (json_int_t)m->tick_value_e9));
	json_object_set_new(j, "pnl", json_pack("{s:s, s:f, s:f, s:f, s:f, s:b}",
		"currency", m->currency, "gross", money(gross), "fees", money(m->fees_e9),
		"net", money(m->net_e9), "gross_from_venue", money(m->venue_gross_e9),
		"venue_agrees", gross == m->venue_gross_e9 && m->fees_e9 == m->vt.fee_e9));
	/* exact: integer nano-units of the currency */
	json_object_set_new(j, "pnl_e9", json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"gross", (json_int_t)gross, "fees", (json_int_t)m->fees_e9,
		"net", (json_int_t)m->net_e9, "gross_from_venue", (json_int_t)m->venue_gross_e9,
		"fees_from_venue", (json_int_t)m->vt.fee_e9));
	json_object_set_new(j, "tick_to_order_us", json_pack("{s:I, s:f, s:f, s:f}",
		"n", (json_int_t)m->lat_n, "p50", m->lat_p50, "p99", m->lat_p99, "p999", m->lat_p999));
	json_object_set_new(j, "warnings", warn);
	char why[512];
	json_object_set_new(j, "result", verdict(m, why, sizeof(why)) ? json_string(why)
								      : json_string("ok"));
	return j;
}

json_t *rt_summary_json(const struct seg *s)
{
	struct summary m;
	summarize(s, &m);
	json_t *j = summary_doc(&m);
	json_object_set_new(j, "system", rt_system_json(s));
	summary_free(&m);
	return j;
}

json_t *rt_summary_of_dumps(json_t *data, json_t *ml, json_t *coord, json_t *exec,
			    json_t *risk)
{
	struct summary m;
	summary_from_dumps(&m, data, ml, coord, exec, risk);
	json_t *j = summary_doc(&m);
	summary_free(&m);
	return j;
}

static void reasons_text(FILE *f, const json_t *by)
{
	json_t *o = reasons_json(by), *cnt;
	const char *why;
	int any = 0;
	json_object_foreach(o, why, cnt) {
		fprintf(f, "%s %s %" JSON_INTEGER_FORMAT, any ? "," : "", why,
			json_integer_value(cnt));
		any = 1;
	}
	json_decref(o);
	if (!any)
		fputs(" none", f);
}

void rt_summary_text(const struct seg *s, FILE *f)
{
	struct summary m;
	summarize(s, &m);
	int64_t gross = m.gross_e9;
	const char *ccy = m.currency;
	fprintf(f, "events      %" PRIu64 " (%" PRIu64 " book updates, %" PRIu64 " trades), "
		"%" PRIu64 " bad input rows skipped, pace %s%s\n", m.events, m.books, m.trades,
		m.bad_rows, m.pace, m.input_error ? ", replay STOPPED on an input error"
			: m.done ? "" : ", replay not finished");
	fprintf(f, "features    %" PRIu64 " vectors looked at, %" PRIu64 " dropped by data "
		"quality; %" PRIu64 " conflated messages\n", m.features, m.quality_dropped,
		m.conflated);
	if (m.mm)
		fprintf(f, "ml          market maker %s: %" PRIu64 " quotes (%" PRIu64 " requotes, %"
			PRIu64 " cancels); no quote: %" PRIu64 " before sigma, %" PRIu64
			" at a bound (qmax, collar); fills %" PRIu64 " (%" PRIu64 " passive), "
			"position %" PRId64 "; quotes lost %" PRIu64 ", stray orders %" PRIu64
			", reports handed again %" PRIu64 "\n", m.kind, ju(m.mm, "quotes"),
			ju(m.mm, "requotes"), ju(m.mm, "cancels"), ju(m.mm, "no_vol"),
			ju(m.mm, "bound"), ju(m.mm, "fills"), ju(m.mm, "maker_fills"),
			(int64_t)json_integer_value(json_object_get(m.mm, "position")),
			ju(m.mm, "pending_lost"), ju(m.mm, "strays"), ju(m.mm, "dup_reports"));
	else
		fprintf(f, "ml          %" PRIu64 " sides scored by the meta-model (mean p %.3f): "
			"%" PRIu64 " below min_prob, %" PRIu64 " with bet size 0; %" PRIu64
			" intents (mean p %.3f); %" PRIu64 " in the dead zone, %" PRIu64
			" within min_interval\n", m.scored, m.mean_scored, m.below_prob,
			m.zero_size, m.intents, m.mean_prob, m.no_side, m.too_soon);
	fprintf(f, "decisions   %" PRIu64 ": approved %" PRIu64 ", rejected %" PRIu64 " by reason:",
		m.decisions, m.released, m.blocked);
	reasons_text(f, m.by_reason);
	fprintf(f, "\n            risk's rejections:");
	reasons_text(f, m.risk_rejected);
	fprintf(f, "\norders      %" PRIu64 ": filled %" PRIu64 ", cancelled %" PRIu64
		", rejected %" PRIu64 "; refused before the venue %" PRIu64 "\n",
		m.orders, m.filled, m.cancelled, m.rejected, m.refused);
	fprintf(f, "fills       %" PRIu64 ": bought %" PRId64 ", sold %" PRId64 " lots\n",
		m.vt.fills, m.vt.buy_qty, m.vt.sell_qty);
	fprintf(f, "position    final %" PRId64 " %s, largest |position| %" PRId64 " (limit %" PRId64
		"), risk state %s\n", m.position, m.symbol, m.max_abs_position, m.max_position,
		m.state ? m.state : "?");
	fprintf(f, "P&L         gross %s %s, fees %s %s, net %s %s "
		"(venue's fills give gross %s, fees %s: %s)\n",
		MTXT(gross), ccy, MTXT(m.fees_e9), ccy, MTXT(m.net_e9), ccy,
		MTXT(m.venue_gross_e9), MTXT(m.vt.fee_e9),
		gross == m.venue_gross_e9 && m.fees_e9 == m.vt.fee_e9 ? "agree"
										  : "DIFFER");
	if (m.lat_n)
		fprintf(f, "latency     tick-to-order p50 %.1f us, p99 %.1f us, p99.9 %.1f us "
			"(%" PRIu64 " orders)\n", m.lat_p50, m.lat_p99, m.lat_p999, m.lat_n);
	else
		fprintf(f, "latency     tick-to-order: no order timed\n");
	warnings(&m, warn_text, f);
	summary_free(&m);
}

void rt_progress_text(const struct seg *s, FILE *f)
{
	struct summary m;
	summarize(s, &m);
	fprintf(f, "%" PRIu64 " events, %" PRIu64 " intents, %" PRIu64 " decisions (%" PRIu64
		" approved), %" PRIu64 " fills, position %" PRId64 ", net %s %s%s\n",
		m.events, m.intents, m.decisions, m.released, m.vt.fills, m.position,
		MTXT(m.net_e9), m.currency, m.conflated ? ", books conflated" : "");
	summary_free(&m);
}
