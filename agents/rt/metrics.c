/*
 * metrics.c — the segment as Prometheus text (metrics.h).
 *
 * Design: like dump.c, this file knows no agent's app-area layout.  The
 * registry, the rings and the latency histograms are the runtime's and
 * shm's (read here directly); everything an agent's module keeps is read
 * from rt_dump_json and rt_system_json by their documented keys, so a
 * module that changes its layout changes its dump, not this file.
 *
 * The text is written through one appender that counts what it could not
 * store (struct out), so the caller learns the size the whole text needs,
 * as with snprintf.  A family's HELP and TYPE lines are written with its
 * first sample: a family without samples (an agent not set up yet) leaves
 * no empty header.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "agents/rt/dump.h"
#include "agents/rt/metrics.h"
#include "agents/rt/state.h"
#include "agents/rt/topology.h"
#include "libcore/hist/hist.h"
#include "libcore/quality/quality.h"
#include "libcore/risk/risk.h"
#include "libcore/vote/vote.h"

const uint64_t rt_metrics_le_ns[RT_METRICS_N_LE] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
	250000000, 500000000, 1000000000,
};

/* the boundaries as the exposition writes them (seconds, exact) */
static const char *const le_text[RT_METRICS_N_LE] = {
	"0.0000005", "0.000001", "0.0000025", "0.000005", "0.00001", "0.000025", "0.00005",
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
	"0.1", "0.25", "0.5", "1",
};

/* ------------------------------------------------------------ the appender */

struct out {
	char *buf;
	size_t cap, len;        /* len counts what did not fit too */
	const char *name;       /* the family being written */
	const char *type, *help;
	int header_done;
};

/* n bytes as they are */
static void put_mem(struct out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t room = o->cap - o->len - 1; /* keep the NUL's byte */
		size_t k = n < room ? n : room;
		memcpy(o->buf + o->len, s, k);
		o->buf[o->len + k] = '\0';
	}
	o->len += n;
}

static void put_str(struct out *o, const char *s)
{
	put_mem(o, s, strlen(s));
}

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put_mem(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* decimal digits of v */
static void put_u64(struct out *o, uint64_t v)
{
	char d[24];
	int i = sizeof(d);
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_mem(o, d + i, sizeof(d) - (size_t)i);
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0)
		put_mem(o, "-", 1);
	put_u64(o, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

/* s with the exposition's escapes: a label value escapes \ " and
 * newline, a HELP text \ and newline; in a label value any other control
 * byte and any byte past ASCII (a name in the segment is ASCII; a damaged
 * one must not make the text invalid UTF-8) shows as '?'.  Runs of plain
 * bytes are copied whole. */
static void put_esc(struct out *o, const char *s, int label)
{
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc = c == '\\' ? "\\\\" : c == '\n' ? "\\n"
				: !label ? NULL : c == '"' ? "\\\""
				: c < 0x20 || c >= 0x7f ? "?" : NULL;
		if (!esc)
			continue;
		put_mem(o, run, (size_t)(s - run));
		put_str(o, esc);
		run = s + 1;
	}
	put_mem(o, run, (size_t)(s - run));
}

/* v / 10^9 as exact decimal text: 1500000000 -> 1.5, -250 -> -0.00000025 */
static void put_e9(struct out *o, int64_t v)
{
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v;
	uint64_t whole = a / 1000000000u, frac = a % 1000000000u;
	if (v < 0)
		put_mem(o, "-", 1);
	put_u64(o, whole);
	if (frac) {
		char f[10];
		int n = 9;
		for (int i = 8; i >= 0; i--, frac /= 10)
			f[i] = (char)('0' + frac % 10);
		while (f[n - 1] == '0')
			n--;
		put_mem(o, ".", 1);
		put_mem(o, f, (size_t)n);
	}
}

/* Start a family; its header is written with its first sample. */
static void family(struct out *o, const char *name, const char *type, const char *help)
{
	o->name = name;
	o->type = type;
	o->help = help;
	o->header_done = 0;
}

/* A label set: up to four (key, value) pairs; a NULL key ends it. */
struct lbl {
	const char *k[4], *v[4];
};
#define LBL(...) (&(struct lbl){ __VA_ARGS__ })
#define L1(k0, v0) LBL({ k0 }, { v0 })
#define L2(k0, v0, k1, v1) LBL({ k0, k1 }, { v0, v1 })

/* "name{k="v",...}" of the current family, the header first if due;
 * suffix: "" or "_bucket", "_sum", "_count"; le: the bucket's bound or NULL. */
static void series(struct out *o, const char *suffix, const struct lbl *l, const char *le)
{
	if (!o->header_done) {
		put_str(o, "# HELP ");
		put_str(o, o->name);
		put_mem(o, " ", 1);
		put_esc(o, o->help, 0);
		put_str(o, "\n# TYPE ");
		put_str(o, o->name);
		put_mem(o, " ", 1);
		put_str(o, o->type);
		put_mem(o, "\n", 1);
		o->header_done = 1;
	}
	put_str(o, o->name);
	put_str(o, suffix);
	int n = 0;
	for (int i = 0; l && i < 4 && l->k[i]; i++) {
		put_mem(o, n++ ? "," : "{", 1);
		put_str(o, l->k[i]);
		put_mem(o, "=\"", 2);
		put_esc(o, l->v[i] ? l->v[i] : "", 1);
		put_mem(o, "\"", 1);
	}
	if (le) {
		put_str(o, n++ ? ",le=\"" : "{le=\"");
		put_str(o, le);
		put_mem(o, "\"", 1);
	}
	put_str(o, n ? "} " : " ");
}

static void sample_u(struct out *o, const struct lbl *l, uint64_t v)
{
	series(o, "", l, NULL);
	put_u64(o, v);
	put_mem(o, "\n", 1);
}

static void sample_i(struct out *o, const struct lbl *l, int64_t v)
{
	series(o, "", l, NULL);
	put_i64(o, v);
	put_mem(o, "\n", 1);
}

/* a value kept in 10^-9 units (ns, nano-currency) in whole units */
static void sample_e9(struct out *o, const struct lbl *l, int64_t v)
{
	series(o, "", l, NULL);
	put_e9(o, v);
	put_mem(o, "\n", 1);
}

static void sample_f(struct out *o, const struct lbl *l, double v)
{
	series(o, "", l, NULL);
	put(o, "%.17g\n", v);
}

/* ------------------------------------------------------------ JSON keys */

static int64_t ji(const json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

static int jb(const json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

static const char *js(const json_t *o, const char *k, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v && v[0] ? v : dflt;
}

/* agent a's object of the dump, or NULL when its region is not set up */
static json_t *agent_of(json_t *dump, uint32_t a)
{
	json_t *o = json_object_get(json_object_get(dump, "agents"), rt_agent_names[a]);
	return o && !json_object_get(o, "state") ? o : NULL;
}

/* ------------------------------------------------------------ the parts */

static void up_and_host(struct out *o, const struct seg *s, const struct rt_metrics_host *h)
{
	family(o, "dreammaker_up", "gauge",
	       "1 when the exporter is attached to a segment of this build, else 0");
	sample_u(o, NULL, s != NULL);
	if (!h)
		return;
	family(o, "dreammaker_exporter_scrapes_total", "counter", "Texts the exporter rendered");
	sample_u(o, NULL, h->scrapes);
	family(o, "dreammaker_exporter_attaches_total", "counter",
	       "Successful attaches to the segment (a system restart makes one more)");
	sample_u(o, NULL, h->attaches);
	if (h->attach_error) {
		family(o, "dreammaker_exporter_attach_error", "gauge",
		       "1 with the reason the last attach was refused, while not attached");
		sample_u(o, L1("reason", dm_strerror(h->attach_error)), 1);
	}
}

static void segment_part(struct out *o, const struct seg *s)
{
	const struct seg_hdr *h = s->hdr;
	char hash[24], ver[16];
	snprintf(hash, sizeof(hash), "%016" PRIx64, h->layout_hash);
	snprintf(ver, sizeof(ver), "%" PRIu32, h->version);
	family(o, "dreammaker_segment_info", "gauge", "The segment: name, layout hash, version");
	sample_u(o, LBL({ "name", "layout_hash", "version" }, { s->name, hash, ver }), 1);
	family(o, "dreammaker_segment_created_timestamp_seconds", "gauge",
	       "When the segment was created (Unix time): a new value is a new run");
	sample_e9(o, NULL, h->created_ns);
	family(o, "dreammaker_segment_epoch", "gauge",
	       "The run's id epoch (the high bits of decision and order ids)");
	sample_u(o, NULL, h->epoch);
}

/* one counter of the registry per agent */
static void agent_counter(struct out *o, const struct seg *s, const char *name,
			  const char *help, size_t off)
{
	family(o, name, "counter", help);
	for (uint32_t i = 0; i < s->hdr->n_agents; i++) {
		const struct agent_slot *a = seg_agent(s, i);
		const _Atomic uint64_t *c = (const _Atomic uint64_t *)(const void *)
					    ((const uint8_t *)a + off);
		sample_u(o, L1("agent", a->name),
			 atomic_load_explicit((_Atomic uint64_t *)c, memory_order_relaxed));
	}
}

static void registry_part(struct out *o, const struct seg *s, int64_t now_ns)
{
	uint32_t n = s->hdr->n_agents;
	family(o, "dreammaker_agent_state", "gauge",
	       "1 for the state the agent's registry slot is in, 0 for the others");
	for (uint32_t i = 0; i < n; i++) {
		struct agent_slot *a = seg_agent(s, i);
		uint32_t st = atomic_load_explicit(&a->state, memory_order_relaxed);
		for (uint32_t k = 0; k < AGENT_STATE_COUNT; k++)
			sample_u(o, L2("agent", a->name, "state", agent_state_name(k)), st == k);
	}
	family(o, "dreammaker_agent_pid", "gauge", "The agent's process id, 0 when none");
	for (uint32_t i = 0; i < n; i++)
		sample_i(o, L1("agent", seg_agent(s, i)->name),
			 atomic_load_explicit(&seg_agent(s, i)->pid, memory_order_relaxed));
	family(o, "dreammaker_agent_generation", "gauge", "Registrations of the slot so far");
	for (uint32_t i = 0; i < n; i++)
		sample_u(o, L1("agent", seg_agent(s, i)->name),
			 atomic_load_explicit(&seg_agent(s, i)->generation, memory_order_relaxed));
	family(o, "dreammaker_agent_restarts_total", "counter",
	       "Registrations after the first: the agent's restarts");
	for (uint32_t i = 0; i < n; i++)
		sample_u(o, L1("agent", seg_agent(s, i)->name),
			 atomic_load_explicit(&seg_agent(s, i)->restarts, memory_order_relaxed));
	family(o, "dreammaker_agent_heartbeat_age_seconds", "gauge",
	       "Time since the agent's last heartbeat (absent before the first)");
	for (uint32_t i = 0; i < n; i++) {
		int64_t hb = atomic_load_explicit(&seg_agent(s, i)->heartbeat_ns,
						  memory_order_relaxed);
		if (hb > 0)
			sample_e9(o, L1("agent", seg_agent(s, i)->name),
				  now_ns > hb ? now_ns - hb : 0);
	}
#define CTR(name, field, help) \
	agent_counter(o, s, name, help, offsetof(struct agent_slot, field))
	CTR("dreammaker_agent_messages_in_total", ctr.msgs_in, "Messages the agent took from its rings");
	CTR("dreammaker_agent_messages_out_total", ctr.msgs_out, "Messages the agent published");
	CTR("dreammaker_agent_errors_total", ctr.errors, "Errors the agent counted");
	CTR("dreammaker_agent_backpressure_total", ctr.backpressure,
	    "Pushes of the agent that met a full ring");
	CTR("dreammaker_agent_loops_total", ctr.loops, "Work-loop passes");
	CTR("dreammaker_agent_idle_loops_total", ctr.idle_loops, "Work-loop passes that found nothing");
	CTR("dreammaker_agent_sleeps_total", bell.sleeps, "Futex waits the agent entered");
	CTR("dreammaker_agent_wakes_total", bell.wakes, "Wakes producers issued to the agent");
#undef CTR
}

/* the runtime's part of each agent's state region, and its journal */
static void runtime_part(struct out *o, const struct seg *s, json_t *dump)
{
	static const struct { const char *name, *key, *type, *help; } flags[] = {
		{ "dreammaker_agent_halted", "halted", "gauge",
		  "1 while the agent refuses new orders (operator halt)" },
		{ "dreammaker_agent_kill_switch", "kill_switch", "gauge",
		  "1 while the kill switch is latched in the agent" },
		{ "dreammaker_agent_journal_halt", "journal_halt", "gauge",
		  "1 while the coordinator halts new orders for a journal that failed" },
		{ "dreammaker_agent_duplicates_skipped_total", "dup_skipped", "counter",
		  "Messages delivered again after a restart and skipped by sequence" },
	};
	uint32_t n = s->hdr->n_agents < AGENT_COUNT ? s->hdr->n_agents : AGENT_COUNT;
	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		family(o, flags[f].name, flags[f].type, flags[f].help);
		for (uint32_t a = 0; a < n; a++) {
			json_t *ag = agent_of(dump, a), *v;
			if (!ag || !(v = json_object_get(ag, flags[f].key)))
				continue;
			sample_u(o, L1("agent", rt_agent_names[a]),
				 json_is_boolean(v) ? (uint64_t)json_is_true(v)
						    : (uint64_t)json_integer_value(v));
		}
	}
	static const struct { const char *name, *key, *type, *help; } jr[] = {
		{ "dreammaker_journal_failing", "failing", "gauge",
		  "1 while the agent's journal cannot write (new orders halted)" },
		{ "dreammaker_journal_failures_total", "failures", "counter",
		  "Writes of the journal that failed" },
		{ "dreammaker_journal_failure_episodes_total", "episodes", "counter",
		  "Times the journal started failing" },
	};
	for (size_t f = 0; f < sizeof(jr) / sizeof(jr[0]); f++) {
		family(o, jr[f].name, jr[f].type, jr[f].help);
		for (uint32_t a = 0; a < n; a++) {
			json_t *j = json_object_get(agent_of(dump, a), "journal");
			if (!j)
				continue;
			json_t *v = json_object_get(j, jr[f].key);
			sample_u(o, L2("agent", rt_agent_names[a], "file", js(j, "file", "")),
				 json_is_boolean(v) ? (uint64_t)json_is_true(v)
						    : (uint64_t)json_integer_value(v));
		}
	}
}

static void rings_part(struct out *o, const struct seg *s)
{
	uint32_t n = s->hdr->n_rings;
	struct ring_stats st[SEG_MAX_RINGS];
	for (uint32_t i = 0; i < n; i++)
		ring_stats(seg_ring(s, i), &st[i]);
	family(o, "dreammaker_ring_info", "gauge", "A ring: its producer, consumer and full policy");
	for (uint32_t i = 0; i < n; i++) {
		const struct seg_ring_desc *d = &s->hdr->ring[i];
		sample_u(o, LBL({ "ring", "producer", "consumer", "policy" },
				{ d->name, seg_agent(s, d->producer)->name,
				  seg_agent(s, d->consumer)->name,
				  d->policy == RING_CONFLATE ? "conflate" : "block" }), 1);
	}
	family(o, "dreammaker_ring_capacity_messages", "gauge", "Slots of the ring");
	for (uint32_t i = 0; i < n; i++)
		sample_u(o, L1("ring", s->hdr->ring[i].name), s->hdr->ring[i].capacity);
	/* tail is read after head, so it may have passed the head read */
	family(o, "dreammaker_ring_fill_messages", "gauge", "Messages waiting in the ring");
	for (uint32_t i = 0; i < n; i++)
		sample_u(o, L1("ring", s->hdr->ring[i].name),
			 st[i].head > st[i].tail ? st[i].head - st[i].tail : 0);
	family(o, "dreammaker_ring_fill_ratio", "gauge", "Messages waiting over capacity (0..1)");
	for (uint32_t i = 0; i < n; i++)
		sample_f(o, L1("ring", s->hdr->ring[i].name),
			 st[i].head > st[i].tail ? (double)(st[i].head - st[i].tail) /
							   (double)s->hdr->ring[i].capacity : 0.0);
	family(o, "dreammaker_ring_pushed_total", "counter", "Messages published on the ring");
	for (uint32_t i = 0; i < n; i++)
		sample_u(o, L1("ring", s->hdr->ring[i].name), st[i].head);
	family(o, "dreammaker_ring_popped_total", "counter", "Messages consumed from the ring");
	for (uint32_t i = 0; i < n; i++)
		sample_u(o, L1("ring", s->hdr->ring[i].name), st[i].tail);
	family(o, "dreammaker_ring_full_total", "counter", "Pushes refused because the ring was full");
	for (uint32_t i = 0; i < n; i++)
		sample_u(o, L1("ring", s->hdr->ring[i].name), st[i].full);
	family(o, "dreammaker_ring_dropped_total", "counter",
	       "Offers superseded in a conflating ring's side slot (messages conflated away)");
	for (uint32_t i = 0; i < n; i++)
		sample_u(o, L1("ring", s->hdr->ring[i].name), st[i].dropped);
	family(o, "dreammaker_ring_pending", "gauge",
	       "1 while a conflating ring's side slot holds a message not yet pushed");
	for (uint32_t i = 0; i < n; i++)
		sample_u(o, L1("ring", s->hdr->ring[i].name), st[i].pending != 0);
}

/* One histogram of the segment as cumulative buckets in seconds. */
static void histogram(struct out *o, const struct hist *h, const struct lbl *l)
{
	uint64_t cum[RT_METRICS_N_LE + 1] = { 0 }; /* per bound, then +Inf; not yet summed */
	uint64_t mx = hist__load(&h->max), total = 0;
	uint32_t j = 0;
	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		uint64_t c = hist__load(&h->bucket[i]);
		if (!c)
			continue;
		/* every value of the bucket is <= its upper end and <= max (a
		 * max read before a value still being recorded is ignored) */
		uint64_t hi = hist_bucket_hi(i);
		if (mx < hi && mx >= hist_bucket_lo(i))
			hi = mx;
		while (j < RT_METRICS_N_LE && rt_metrics_le_ns[j] < hi)
			j++;
		cum[j] += c;
		total += c;
	}
	uint64_t run = 0;
	for (uint32_t k = 0; k < RT_METRICS_N_LE; k++) {
		run += cum[k];
		series(o, "_bucket", l, le_text[k]);
		put_u64(o, run);
		put_mem(o, "\n", 1);
	}
	series(o, "_bucket", l, "+Inf");
	put_u64(o, total);
	put_mem(o, "\n", 1);
	series(o, "_sum", l, NULL);
	put_e9(o, (int64_t)hist__load(&h->sum));
	put_mem(o, "\n", 1);
	series(o, "_count", l, NULL);
	put_u64(o, total);
	put_mem(o, "\n", 1);
}

static void latency_part(struct out *o, const struct seg *s, json_t *dump)
{
	uint32_t n = s->hdr->n_agents < AGENT_COUNT ? s->hdr->n_agents : AGENT_COUNT;
	family(o, "dreammaker_stage_latency_seconds", "histogram",
	       "From the market event's ingress in the data agent to the agent's main output "
	       "(execution: tick-to-order)");
	for (uint32_t a = 0; a < n; a++) {
		json_t *ag = agent_of(dump, a);
		if (!ag)
			continue;
		const char *stage = js(json_object_get(ag, "latency"), "stage_name", "stage");
		histogram(o, &rt_lat_of(s, a)->stage, L2("agent", rt_agent_names[a], "stage", stage));
	}
	family(o, "dreammaker_ring_hop_latency_seconds", "histogram",
	       "Ring transit of the messages the agent took: receive time minus send time");
	for (uint32_t a = 0; a < n; a++)
		if (agent_of(dump, a))
			histogram(o, &rt_lat_of(s, a)->hop, L1("agent", rt_agent_names[a]));
	family(o, "dreammaker_wake_latency_seconds", "histogram",
	       "A producer's futex wake to the sleeping agent running again: the scheduler's "
	       "share of a hop");
	for (uint32_t a = 0; a < n; a++)
		if (agent_of(dump, a))
			histogram(o, &rt_lat_of(s, a)->wake, L1("agent", rt_agent_names[a]));
}

/* {reason: count} of obj as one series per reason that decides against
 * (every reason but none and approved; absent keys are 0) */
static void by_reason(struct out *o, const json_t *obj)
{
	for (uint32_t k = VOTE_R_APPROVED + 1; k < VOTE_R_COUNT; k++)
		sample_i(o, L1("reason", vote_reason_name(k)), ji(obj, vote_reason_name(k)));
}

static void trading_part(struct out *o, json_t *dump, json_t *sys)
{
	static const char *const states[] = { "TRADING", "HALTED", "KILL_SWITCH", "DOWN" };
	const char *state = js(sys, "state", "DOWN");
	family(o, "dreammaker_system_state", "gauge",
	       "1 for the system's state (TRADING, HALTED, KILL_SWITCH, DOWN), 0 for the others");
	for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
		sample_u(o, L1("state", states[k]), strcmp(state, states[k]) == 0);
	family(o, "dreammaker_kill_switch", "gauge", "1 while the kill switch is latched");
	sample_u(o, NULL, strcmp(state, "KILL_SWITCH") == 0);

	/* each module's part only when its dump is there (this build's layout) */
	json_t *risk = agent_of(dump, AGENT_RISK);
	if (risk && json_object_get(risk, "trading_state")) {
		const char *ccy = js(risk, "currency", "?"), *sym = js(risk, "symbol", "?");
		const char *rs = js(risk, "trading_state", "?");
		family(o, "dreammaker_risk_state", "gauge",
		       "1 for risk's trading state (active, reducing, halted), 0 for the others");
		for (uint32_t k = RISK_ACTIVE; k <= RISK_HALTED; k++)
			sample_u(o, L1("state", risk_state_name(k)),
				 strcmp(rs, risk_state_name(k)) == 0);
		family(o, "dreammaker_position_lots", "gauge", "Risk's position (lots, signed)");
		sample_i(o, L1("symbol", sym), ji(risk, "position"));
		family(o, "dreammaker_position_max_abs_lots", "gauge",
		       "The largest absolute position of the run");
		sample_i(o, L1("symbol", sym), ji(risk, "max_abs_position"));
		family(o, "dreammaker_position_limit_lots", "gauge", "Risk's position limit");
		sample_i(o, L1("symbol", sym), ji(risk, "max_position"));
		static const char *const pnl[] = { "net", "realized", "unrealized", "fees",
						   "drawdown" };
		json_t *p = json_object_get(risk, "pnl_e9");
		family(o, "dreammaker_pnl", "gauge",
		       "The day's P&L in the instrument's currency, by component (fees are a cost)");
		for (size_t k = 0; k < sizeof(pnl) / sizeof(pnl[0]); k++)
			sample_e9(o, L2("component", pnl[k], "currency", ccy), ji(p, pnl[k]));
		family(o, "dreammaker_risk_checks_total", "counter", "Orders risk checked");
		sample_i(o, NULL, ji(risk, "checks"));
		family(o, "dreammaker_risk_rejections_total", "counter",
		       "Orders risk rejected, by reason");
		by_reason(o, json_object_get(risk, "rejected"));
	}

	json_t *coord = agent_of(dump, AGENT_COORDINATOR);
	if (coord && json_object_get(coord, "decisions")) {
		family(o, "dreammaker_decisions_total", "counter",
		       "The coordinator's decisions by outcome: released or blocked");
		sample_i(o, L1("outcome", "released"), ji(coord, "released"));
		sample_i(o, L1("outcome", "blocked"), ji(coord, "blocked"));
		family(o, "dreammaker_decision_rejections_total", "counter",
		       "Decisions blocked, by reason");
		by_reason(o, json_object_get(coord, "by_reason"));
		family(o, "dreammaker_flattens_total", "counter",
		       "Flattening orders sent under the kill switch");
		sample_i(o, NULL, ji(coord, "flattens"));
	}

	json_t *ex = agent_of(dump, AGENT_EXECUTION);
	if (ex && json_object_get(ex, "orders")) {
		json_t *v = json_object_get(ex, "venue");
		family(o, "dreammaker_orders_total", "counter", "Orders execution sent to the venue");
		sample_i(o, NULL, ji(ex, "orders"));
		family(o, "dreammaker_orders_ended_total", "counter",
		       "Orders that ended, by outcome: filled, cancelled or rejected by the venue");
		sample_i(o, L1("outcome", "filled"), ji(ex, "filled"));
		sample_i(o, L1("outcome", "cancelled"), ji(ex, "cancelled"));
		sample_i(o, L1("outcome", "rejected"), ji(ex, "rejected"));
		family(o, "dreammaker_orders_open", "gauge", "Orders open at the venue");
		sample_i(o, NULL, ji(ex, "open"));
		family(o, "dreammaker_orders_refused_total", "counter",
		       "Orders execution refused before the venue");
		sample_i(o, NULL, ji(ex, "refused"));
		family(o, "dreammaker_fills_total", "counter", "Fills at the venue");
		sample_i(o, NULL, ji(v, "fills"));
		family(o, "dreammaker_filled_lots_total", "counter", "Lots filled, by side");
		sample_i(o, L1("side", "buy"), ji(v, "buy_qty"));
		sample_i(o, L1("side", "sell"), ji(v, "sell_qty"));
	}

	json_t *data = agent_of(dump, AGENT_DATA);
	if (data && json_object_get(data, "events")) {
		family(o, "dreammaker_market_events_total", "counter",
		       "Market events the data agent published");
		sample_i(o, NULL, ji(data, "events"));
		family(o, "dreammaker_market_time_seconds", "gauge",
		       "Exchange time of the newest market event (Unix time; absent before one)");
		if (ji(data, "market_time_ns") > 0)
			sample_e9(o, NULL, ji(data, "market_time_ns"));
		family(o, "dreammaker_replay_done", "gauge", "1 once the input was replayed to its end");
		sample_u(o, NULL, (uint64_t)jb(data, "replay_done"));
		family(o, "dreammaker_input_bad_rows_total", "counter", "Input rows the reader skipped");
		sample_i(o, NULL, ji(data, "bad_rows"));
	}

	json_t *ml = agent_of(dump, AGENT_ML);
	if (ml && json_object_get(ml, "features")) {
		family(o, "dreammaker_feature_vectors_total", "counter",
		       "Feature vectors the ml agent looked at");
		sample_i(o, NULL, ji(ml, "features"));
		family(o, "dreammaker_feature_vectors_dropped_total", "counter",
		       "Feature vectors dropped by a data-quality flag, by flag");
		json_t *q = json_object_get(ml, "quality_by_flag");
		for (uint32_t k = 0; k < QUAL_F_COUNT; k++)
			sample_i(o, L1("flag", qual_flag_name(k)), ji(q, qual_flag_name(k)));
		family(o, "dreammaker_intents_total", "counter", "Order intents the ml agent sent");
		sample_i(o, NULL, ji(ml, "intents"));
		family(o, "dreammaker_model_ok", "gauge", "1 while the ml agent holds a verified model");
		sample_u(o, NULL, (uint64_t)jb(ml, "model_ok"));
	}
}

/* ------------------------------------------------------------ the text */

size_t rt_metrics_render(const struct seg *s, int64_t now_ns, const struct rt_metrics_host *host,
			 char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };
	if (cap)
		buf[0] = '\0'; /* put_mem keeps the text NUL-terminated */
	up_and_host(&o, s, host);
	if (s) {
		json_t *dump = rt_dump_json(s), *sys = rt_system_json(s);
		segment_part(&o, s);
		registry_part(&o, s, now_ns);
		runtime_part(&o, s, dump);
		rings_part(&o, s);
		latency_part(&o, s, dump);
		trading_part(&o, dump, sys);
		json_decref(sys);
		json_decref(dump);
	}
	return o.len;
}
