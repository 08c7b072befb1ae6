/*
 * dm-shmdump against a live segment made here: the JSON must parse and
 * report what this test did to the segment (pushes, pops, registrations);
 * the summary counts every loss the agents' regions hold and warns about
 * each; the machine forms (--system, --command) have pinned columns.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agents/rt/agents.h"
#include "agents/rt/topology.h"
#include "libcore/replay/replay.h"
#include "libcore/msg/msg.h"
#include "shm/seg.h"

static char seg_name[64];
static struct seg seg;

/* dm-shmdump of the same build: <build>/tests/test_shmdump -> <build>/bin/ */
static void tool_path(char *out, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert(len > 0);
	exe[len] = '\0';
	snprintf(out, n, "%s/../bin/dm-shmdump", dirname(exe));
}

static int run_tool(const char *args, char *out, size_t n)
{
	char tool[PATH_MAX], cmd[PATH_MAX + 256];
	tool_path(tool, sizeof(tool));
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", tool, args);
	FILE *p = popen(cmd, "r");
	cr_assert(p, "popen %s", cmd);
	size_t got = fread(out, 1, n - 1, p);
	out[got] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void setup(void)
{
	snprintf(seg_name, sizeof(seg_name), "/dmtest-dump-%d", (int)getpid());
	seg_unlink(seg_name);
	struct seg_spec sp = {
		.name = seg_name,
		.n_agents = 2,
		.agents = { "alpha", "beta" },
		.n_rings = 2,
		.ring = {
			{ "a_to_b", 0, 1, 64, 128, RING_BLOCK },
			{ "b_to_a", 1, 0, 16, 64, RING_CONFLATE },
		},
		.app_layout = msg_layout_hash(), /* dm-shmdump attaches with it */
	};
	cr_assert_eq(seg_create(&seg, &sp, 1000000000), 0);
}

static void teardown(void)
{
	seg_close(&seg);
	seg_unlink(seg_name);
}

TestSuite(shmdump, .init = setup, .fini = teardown);

static json_int_t jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "key %s is not an integer", k);
	return json_integer_value(v);
}

Test(shmdump, json_reports_live_segment)
{
	struct ring *r = seg_ring(&seg, 0);
	struct msg_hdr m = { .type = MSG_TRADE, .version = MSG_VERSION, .size = sizeof(m) };
	for (uint64_t i = 1; i <= 10; i++) {
		m.seq = i;
		cr_assert_eq(ring_try_push(r, &m, sizeof(m)), 0);
	}
	struct msg_hdr out;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ring_try_pop(r, &out, sizeof(out)), 0);
	cr_assert_eq(agent_register(seg_agent(&seg, 1), getpid(), 5), 0);

	static char buf[1 << 16];
	char args[128];
	snprintf(args, sizeof(args), "--name %s --json", seg_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "dm-shmdump failed: %s", buf);

	json_error_t err;
	json_t *j = json_loads(buf, 0, &err);
	cr_assert(j, "not JSON at line %d: %s\n%s", err.line, err.text, buf);
	json_t *sg = json_object_get(j, "segment");
	cr_assert_str_eq(json_string_value(json_object_get(sg, "name")), seg_name);
	cr_assert_eq(jint(sg, "creator_pid"), getpid());
	cr_assert_eq(jint(sg, "epoch"), 1, "created at second 1, no epoch given");

	json_t *rings = json_object_get(j, "rings");
	cr_assert_eq(json_array_size(rings), 2);
	json_t *r0 = json_array_get(rings, 0);
	cr_assert_str_eq(json_string_value(json_object_get(r0, "name")), "a_to_b");
	cr_assert_str_eq(json_string_value(json_object_get(r0, "producer")), "alpha");
	cr_assert_str_eq(json_string_value(json_object_get(r0, "consumer")), "beta");
	cr_assert_eq(jint(r0, "head"), 10);
	cr_assert_eq(jint(r0, "tail"), 3);
	cr_assert_eq(jint(r0, "fill"), 7);
	cr_assert_eq(jint(r0, "pushed"), 10);
	cr_assert_eq(jint(r0, "popped"), 3);
	cr_assert_eq(jint(r0, "full"), 0);
	cr_assert_eq(jint(r0, "last_seq"), 10);
	cr_assert_eq(jint(r0, "capacity"), 64);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(rings, 1), "policy")),
			 "conflate");

	json_t *agents = json_object_get(j, "agents");
	cr_assert_eq(json_array_size(agents), 2);
	json_t *b = json_array_get(agents, 1);
	cr_assert_str_eq(json_string_value(json_object_get(b, "name")), "beta");
	cr_assert_eq(jint(b, "pid"), getpid());
	cr_assert_eq(jint(b, "generation"), 1);
	cr_assert(json_is_true(json_object_get(b, "alive")));
	cr_assert_str_eq(json_string_value(json_object_get(b, "state")), "starting");
	cr_assert_eq(jint(json_array_get(agents, 0), "pid"), 0);

	/* this segment has no agent-state area: the state section says so
	 * rather than reading past the mapping */
	json_t *state = json_object_get(json_object_get(j, "state"), "agents");
	cr_assert(json_is_object(state), "no state.agents object");
	json_t *first = json_object_get(state, "coordinator");
	cr_assert_str_eq(json_string_value(json_object_get(first, "state")), "none");
	json_decref(j);
}

Test(shmdump, watch_json_emits_one_document_per_line)
{
	static char buf[1 << 16];
	char args[128];
	/* --watch runs until a signal: bound it with timeout(1) */
	char tool[PATH_MAX], cmd[PATH_MAX + 256];
	tool_path(tool, sizeof(tool));
	snprintf(args, sizeof(args), "--name %s --json --watch 0.1", seg_name);
	snprintf(cmd, sizeof(cmd), "timeout -s INT 0.75 %s %s", tool, args);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	FILE *p = popen(cmd, "r");
	cr_assert(p, "popen: %s", strerror(errno));
	size_t got = fread(buf, 1, sizeof(buf) - 1, p);
	buf[got] = '\0';
	pclose(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int docs = 0;
	char *sp;
	for (char *line = strtok_r(buf, "\n", &sp); line; line = strtok_r(NULL, "\n", &sp)) {
		json_t *j = json_loads(line, 0, NULL);
		cr_assert(j, "line %d is not JSON: %s", docs + 1, line);
		json_decref(j);
		docs++;
	}
	/* one document per 0.1 s at most (plus the first, at once); at least
	 * two, whatever the machine's load: the watch repeats */
	cr_assert(docs >= 2 && docs <= (int)(secs / 0.1) + 2,
		  "expected 2 to %d documents in %.2f s at 0.1 s, got %d", (int)(secs / 0.1) + 2,
		  secs, docs);
}

Test(shmdump, table_names_every_ring_and_agent)
{
	static char buf[1 << 16];
	char args[128];
	snprintf(args, sizeof(args), "--name %s", seg_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	cr_assert(strstr(buf, "a_to_b"));
	cr_assert(strstr(buf, "b_to_a"));
	cr_assert(strstr(buf, "alpha->beta"));
	cr_assert(strstr(buf, "beta->alpha"));
}

Test(shmdump, missing_segment_exits_1)
{
	static char buf[4096];
	cr_assert_eq(run_tool("--name /dmtest-no-such-segment-xyz", buf, sizeof(buf)), 1);
	cr_assert(strstr(buf, "no such segment"), "%s", buf);
}

Test(shmdump, bad_usage_exits_2)
{
	static char buf[4096];
	cr_assert_eq(run_tool("--watch -1", buf, sizeof(buf)), 2);
	cr_assert_eq(run_tool("--bogus", buf, sizeof(buf)), 2);
	cr_assert_eq(run_tool("--name noslash", buf, sizeof(buf)), 2);
	cr_assert_eq(run_tool("--help", buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, "usage: dm-shmdump"));
}

/* Split line into tab-separated fields (in place); returns the count. */
static int t_split_tabs(char *line, char **f, int max)
{
	int n = 0;
	for (char *p = line; n < max; ) {
		f[n++] = p;
		char *t = strchr(p, '\t');
		if (!t)
			break;
		*t = '\0';
		p = t + 1;
	}
	return n;
}

/* The next line of *cur (newline cut), NULL at the end. */
static char *t_next_line(char **cur)
{
	if (!*cur || !**cur)
		return NULL;
	char *l = *cur, *nl = strchr(l, '\n');
	cr_assert(nl, "unterminated line: %s", l);
	*nl = '\0';
	*cur = nl + 1;
	return l;
}

static void t_u64_eq(const char *field, uint64_t want, const char *col)
{
	char w[32];
	snprintf(w, sizeof(w), "%llu", (unsigned long long)want);
	cr_assert_str_eq(field, w, "column %s: '%s', segment holds %s", col, field, w);
}

Test(shmdump, tsv_agents_pins_each_column_to_the_segment)
{
	struct agent_slot *b = seg_agent(&seg, 1);
	int64_t now = (int64_t)time(NULL) * 1000000000;
	cr_assert_eq(agent_register(b, getpid(), now), 0);
	cr_assert_eq(agent_register(b, getpid(), now), 0); /* generation 2, 1 restart */
	agent_set_state(b, AGENT_HALTED);
	atomic_store(&b->ctr.msgs_in, 41);
	atomic_store(&b->ctr.msgs_out, 17);
	atomic_store(&b->ctr.errors, 3);
	atomic_store(&b->ctr.backpressure, 5);
	atomic_store(&b->ctr.last_seq_in, 99);
	atomic_store(&b->ctr.held, 11);
	atomic_store(&b->bell.sleeps, 7);
	atomic_store(&b->bell.wakes, 6);

	static char buf[1 << 16];
	char args[128];
	snprintf(args, sizeof(args), "--name %s --tsv agents", seg_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	char *cur = buf, *f[32];
	char *hdr = t_next_line(&cur);
	cr_assert(hdr, "no header");
	cr_assert_str_eq(hdr, "name\tpid\talive\tstate\tgeneration\trestarts\theartbeat_age_ms\t"
			      "msgs_in\tmsgs_out\terrors\tbackpressure\tsleeps\twakes\tlast_seq_in\t"
			      "held");

	/* alpha: never started */
	char *l = t_next_line(&cur);
	cr_assert(l, "no row for alpha");
	cr_assert_eq(t_split_tabs(l, f, 32), 15, "alpha: 15 columns");
	cr_assert_str_eq(f[0], "alpha");
	cr_assert_str_eq(f[1], "0");
	cr_assert_str_eq(f[2], "no");
	cr_assert_str_eq(f[3], "empty");
	cr_assert_str_eq(f[4], "0");
	cr_assert_str_eq(f[6], "-", "heartbeat of an agent never heard from");

	l = t_next_line(&cur);
	cr_assert(l, "no row for beta");
	cr_assert_eq(t_split_tabs(l, f, 32), 15, "beta: 15 columns");
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	cr_assert_str_eq(f[0], "beta");
	cr_assert_str_eq(f[1], pid);
	cr_assert_str_eq(f[2], "yes");
	cr_assert_str_eq(f[3], "halted");
	t_u64_eq(f[4], atomic_load(&b->generation), "generation");
	cr_assert_str_eq(f[4], "2");
	t_u64_eq(f[5], atomic_load(&b->restarts), "restarts");
	cr_assert_str_eq(f[5], "1");
	/* registered at the start of this second: age 0 .. a few seconds */
	double hb = strtod(f[6], NULL);
	cr_assert(hb >= 0 && hb < 10000, "heartbeat_age_ms %s", f[6]);
	t_u64_eq(f[7], 41, "msgs_in");
	t_u64_eq(f[8], 17, "msgs_out");
	t_u64_eq(f[9], 3, "errors");
	t_u64_eq(f[10], 5, "backpressure");
	t_u64_eq(f[11], 7, "sleeps");
	t_u64_eq(f[12], 6, "wakes");
	t_u64_eq(f[13], 99, "last_seq_in");
	t_u64_eq(f[14], 11, "held");
	cr_assert_null(t_next_line(&cur), "one row per agent, nothing after");
}

Test(shmdump, tsv_rings_pins_each_column_to_the_segment)
{
	struct ring *r = seg_ring(&seg, 0);
	struct msg_hdr m = { .type = MSG_TRADE, .version = MSG_VERSION, .size = sizeof(m) };
	for (uint64_t i = 1; i <= 12; i++) {
		m.seq = 100 + i;
		cr_assert_eq(ring_try_push(r, &m, sizeof(m)), 0);
	}
	struct msg_hdr out;
	for (int i = 0; i < 5; i++)
		cr_assert_eq(ring_try_pop(r, &out, sizeof(out)), 0);

	static char buf[1 << 16];
	char args[128];
	snprintf(args, sizeof(args), "--name %s --tsv rings", seg_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	char *cur = buf, *f[32];
	cr_assert_str_eq(t_next_line(&cur), "name\tproducer\tconsumer\tpolicy\tcapacity\tslot_size\t"
					    "fill\thead\ttail\tfull\tdropped\tpending\tlast_seq");
	struct ring_stats st;
	ring_stats(r, &st);
	char *l = t_next_line(&cur);
	cr_assert(l);
	cr_assert_eq(t_split_tabs(l, f, 32), 13, "a_to_b: 13 columns");
	cr_assert_str_eq(f[0], "a_to_b");
	cr_assert_str_eq(f[1], "alpha");
	cr_assert_str_eq(f[2], "beta");
	cr_assert_str_eq(f[3], "block");
	t_u64_eq(f[4], 64, "capacity");
	t_u64_eq(f[5], 128, "slot_size");
	t_u64_eq(f[6], 7, "fill");
	t_u64_eq(f[7], 12, "head");
	t_u64_eq(f[8], 5, "tail");
	t_u64_eq(f[9], st.full, "full");
	t_u64_eq(f[10], st.dropped, "dropped");
	cr_assert_str_eq(f[11], st.pending ? "yes" : "no", "column pending");
	t_u64_eq(f[12], 112, "last_seq");

	l = t_next_line(&cur);
	cr_assert(l);
	cr_assert_eq(t_split_tabs(l, f, 32), 13, "b_to_a: 13 columns");
	cr_assert_str_eq(f[0], "b_to_a");
	cr_assert_str_eq(f[1], "beta");
	cr_assert_str_eq(f[2], "alpha");
	cr_assert_str_eq(f[3], "conflate");
	t_u64_eq(f[4], 16, "capacity");
	t_u64_eq(f[5], 64, "slot_size");
	t_u64_eq(f[6], 0, "fill");
	t_u64_eq(f[12], 0, "last_seq");
	cr_assert_null(t_next_line(&cur), "one row per ring, nothing after");
}

Test(shmdump, tsv_refuses_other_tables_and_json)
{
	static char buf[4096];
	char args[128];
	snprintf(args, sizeof(args), "--name %s --tsv bogus", seg_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 2);
	cr_assert(strstr(buf, "agents or rings"), "%s", buf);
	snprintf(args, sizeof(args), "--name %s --tsv rings --json", seg_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 2);
}

/* ------------------------------------------------------------------
 * The paper-trading summary and the machine forms, on a segment of the
 * default topology whose agent regions this test fills with known counts.
 */

static char sum_name[64], sum_dir[128];
static struct rt srt[AGENT_COUNT];
static int s_open[AGENT_COUNT];

static void s_setup(void)
{
	struct rt_config c;
	struct seg_spec spec;
	struct seg s;
	rt_config_defaults(&c);
	snprintf(sum_name, sizeof(sum_name), "/dmtest-sum-%d", (int)getpid());
	snprintf(sum_dir, sizeof(sum_dir), "/tmp/dmtest-sum-%d", (int)getpid());
	seg_unlink(sum_name);
	cr_assert_eq(topology_spec(&c, sum_name, &spec), 0);
	cr_assert_eq(seg_create(&s, &spec, 1000000000), 0);
	seg_close(&s);
}

static void s_teardown(void)
{
	for (int a = 0; a < AGENT_COUNT; a++)
		if (s_open[a]) {
			rt_close(&srt[a]);
			s_open[a] = 0;
		}
	seg_unlink(sum_name);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sum_dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", sum_dir);
}

TestSuite(summary, .init = s_setup, .fini = s_teardown);

static void *s_open_agent(uint32_t a, uint32_t version, uint32_t size)
{
	struct rt_args args = { .name = sum_name, .run_dir = sum_dir };
	cr_assert_eq(rt_open(&srt[a], a, &args, version, size, RT_O_NO_SIGNALS | RT_O_NO_PIN), 0);
	s_open[a] = 1;
	rt_running(&srt[a]);
	return srt[a].app;
}

/* the regions of data, ml, risk and the coordinator, with known counts */
static struct ag_data_state *s_fill(void)
{
	struct ag_data_state *d = s_open_agent(AGENT_DATA, AG_DATA_VERSION, sizeof(*d));
	d->events = 100;
	d->books = 90;
	d->trades = 10;
	d->bad_rows = 3;
	d->first_bad_line = 17;
	d->pace = REPLAY_MAX;
	d->done = 1;
	struct strategy_state *ml = s_open_agent(AGENT_ML, AG_ML_VERSION, sizeof(*ml));
	ml->evaluated = 50;
	ml->quality_dropped = 5;
	ml->quality_by_flag[0] = 1; /* QUAL_F_EMPTY */
	ml->quality_by_flag[2] = 4; /* QUAL_F_WIDE */
	ml->predicted = 20;
	ml->below_prob = 7;
	ml->zero_size = 6;
	struct riskd_state *r = s_open_agent(AGENT_RISK, AG_RISK_VERSION, sizeof(*r));
	snprintf(r->symbol, sizeof(r->symbol), "WIN");
	snprintf(r->currency, sizeof(r->currency), "BRL");
	s_open_agent(AGENT_COORDINATOR, AG_COORD_VERSION, sizeof(struct coord_state));
	return d;
}

/* n books beyond a full md_feature: n - 1 of them superseded */
static void s_conflate(uint32_t n)
{
	struct rt *da = &srt[AGENT_DATA];
	uint32_t out = (uint32_t)rt_out_find(da, "md_feature");
	uint64_t cap = da->out[out].r->capacity;
	for (uint64_t i = 0; i < cap + n; i++) {
		struct msg_book b;
		memset(&b, 0, sizeof(b));
		b.hdr.type = MSG_BOOK;
		b.hdr.flags = MSG_F_CONFLATABLE;
		b.hdr.size = sizeof(b);
		cr_assert_geq(rt_send(da, out, &b, sizeof(b)), 0);
	}
}

static int has_line(const char *buf, const char *want)
{
	return strstr(buf, want) != NULL;
}

Test(summary, counts_every_loss_with_a_warning_line_each)
{
	static char buf[1 << 16];
	char args[160];
	s_fill();
	s_conflate(3);
	snprintf(args, sizeof(args), "--name %s --summary", sum_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	cr_expect(has_line(buf, "events      100 (90 book updates, 10 trades), 3 bad input rows "
			   "skipped, pace max\n"), "%s", buf);
	cr_expect(has_line(buf, "\nWARNING: 3 bad input rows skipped (first at line 17"), "%s", buf);
	cr_expect(has_line(buf, "\nWARNING: 5 feature vectors dropped by a data-quality flag, never "
			   "looked at (empty_book 1, wide_spread 4)\n"), "%s", buf);
	cr_expect(has_line(buf, "\nWARNING: 6 sides above strategy.min_prob got a bet size that "
			   "rounds to 0 lots"), "%s", buf);
	cr_expect(has_line(buf, "7 below min_prob, 6 with bet size 0"), "%s", buf);
	cr_expect(has_line(buf, "\nWARNING: 2 messages conflated (md_feature 2)"), "%s", buf);
	cr_expect(has_line(buf, "\nWARNING: at --pace max this result depends on the machine's "
			   "speed"), "%s", buf);
	cr_expect(has_line(buf, "--pace lockstep, or the in-process backtest (dm-backtest"), "%s", buf);
	cr_expect(has_line(buf, "net 0.00 BRL"), "P&L in the instrument's currency: %s", buf);
	cr_expect(!has_line(buf, "no market event"), "%s", buf);

	snprintf(args, sizeof(args), "--name %s --summary --json", sum_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	json_t *j = json_loads(buf, 0, NULL);
	cr_assert_not_null(j, "%s", buf);
	cr_expect(json_is_false(json_object_get(j, "no_events")));
	cr_expect(json_is_true(json_object_get(j, "machine_speed_dependent")));
	cr_expect_str_eq(json_string_value(json_object_get(j, "currency")), "BRL");
	json_t *ml = json_object_get(j, "ml");
	cr_expect_eq(jint(ml, "zero_size"), 6);
	cr_expect_eq(jint(ml, "below_min_prob"), 7);
	json_t *q = json_object_get(ml, "quality_dropped");
	cr_expect_eq(jint(q, "total"), 5);
	cr_expect_eq(jint(json_object_get(q, "by_reason"), "wide_spread"), 4);
	cr_expect_eq(jint(json_object_get(q, "by_reason"), "empty_book"), 1);
	json_t *c = json_object_get(j, "conflated");
	cr_expect_eq(jint(c, "total"), 2);
	cr_expect_eq(jint(json_object_get(c, "by_ring"), "md_feature"), 2);
	cr_expect_eq(jint(json_object_get(c, "by_ring"), "md_risk"), 0);
	cr_expect_eq(jint(json_object_get(j, "events"), "bad_rows"), 3);
	cr_expect_eq(json_array_size(json_object_get(j, "warnings")), 5,
		     "bad rows, quality, bet size 0, conflation, machine speed");
	json_decref(j);
}

Test(summary, a_run_that_handled_nothing_says_so_and_exits_1)
{
	static char buf[1 << 16];
	char args[160];
	struct ag_data_state *d = s_fill();
	d->events = d->books = d->trades = 0;
	d->pace = REPLAY_LOCKSTEP;
	snprintf(args, sizeof(args), "--name %s --summary", sum_name);
	cr_expect_eq(run_tool(args, buf, sizeof(buf)), 1, "%s", buf);
	cr_expect(has_line(buf, "WARNING: no market event was handled"), "%s", buf);
	cr_expect(!has_line(buf, "depends on the machine"), "lockstep, nothing conflated: %s", buf);
	cr_expect(has_line(buf, "dm-shmdump: not a result: no market event was handled"),
		  "the reason on stderr: %s", buf);
	snprintf(args, sizeof(args), "--name %s --summary --json", sum_name);
	cr_expect_eq(run_tool(args, buf, sizeof(buf)), 1);
	/* stdout holds the document; the reason line went to stderr */
	const char *doc = strchr(buf, '{');
	cr_assert_not_null(doc, "%s", buf);
	json_t *j = json_loads(doc, JSON_DISABLE_EOF_CHECK, NULL);
	cr_assert_not_null(j, "%s", buf);
	cr_expect(json_is_true(json_object_get(j, "no_events")));
	const char *res = json_string_value(json_object_get(j, "result"));
	cr_expect(res && strstr(res, "no market event was handled"), "result: %s", res);
	json_decref(j);
}

Test(summary, system_and_command_machine_forms)
{
	static char buf[1 << 16];
	char args[160];
	s_fill();
	snprintf(args, sizeof(args), "--name %s --system", sum_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	cr_expect_str_eq(buf, "TRADING 0 0.00 0.00 0.00 0.00 BRL WIN -\n");
	atomic_fetch_or(&srt[AGENT_COORDINATOR].st->flags, RT_SF_HALTED);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	cr_expect_str_eq(buf, "HALTED 0 0.00 0.00 0.00 0.00 BRL WIN operator\n");
	atomic_fetch_or(&srt[AGENT_COORDINATOR].st->flags, RT_SF_KILLED);
	snprintf(args, sizeof(args), "--name %s --system --json", sum_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	json_t *j = json_loads(buf, 0, NULL);
	cr_assert_not_null(j, "%s", buf);
	cr_expect_str_eq(json_string_value(json_object_get(j, "state")), "KILL_SWITCH");
	cr_expect_str_eq(json_string_value(json_object_get(j, "currency")), "BRL");
	json_decref(j);

	snprintf(args, sizeof(args), "--name %s --command coordinator", sum_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	cr_expect_str_eq(buf, "0 - none -\n", "nothing answered yet");
	/* an answer as the runtime stores it */
	struct rt_cmd_ack *a = &srt[AGENT_COORDINATOR].st->ack;
	a->seq = 42;
	a->cmd = CTL_RESUME;
	a->outcome = RT_CMD_REFUSED;
	snprintf(a->text, sizeof(a->text), "kill switch latched");
	atomic_store(&a->ver, 2);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	cr_expect_str_eq(buf, "42 resume refused kill switch latched\n");

	cr_expect_eq(run_tool("--command nobody", buf, sizeof(buf)), 2);
	cr_expect_eq(run_tool("--summary --system", buf, sizeof(buf)), 2);
}
