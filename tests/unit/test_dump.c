/*
 * agents/rt/dump.c in process: the data agent's state dump, and the table
 * that shows every agent's region through its module's dump (a region of
 * another layout shows its runtime part only; the coordinator's recent
 * decisions become the document's "decisions").
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/rt/agents.h"
#include "agents/rt/dump.h"
#include "agents/rt/topology.h"
#include "libcore/replay/replay.h"
#include "libcore/riskd/riskd.h"

static json_int_t jint(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "key %s is not an integer", k);
	return json_integer_value(v);
}

Test(dump, data_state)
{
	struct ag_data_state d;
	memset(&d, 0, sizeof(d));
	d.events = 100;
	d.books = 90;
	d.trades = 10;
	d.done = 1;
	d.pace = REPLAY_REALTIME;
	d.bad_rows = 3;
	d.first_bad_line = 17;
	d.has_input = 1;
	json_t *o = ag_data_dump_json(&d);
	cr_assert_not_null(o);
	cr_expect_eq(jint(o, "events"), 100);
	cr_expect_eq(jint(o, "books"), 90);
	cr_expect_eq(jint(o, "trades"), 10);
	cr_expect(json_is_true(json_object_get(o, "replay_done")));
	cr_expect_eq(jint(o, "bad_rows"), 3);
	cr_expect_eq(jint(o, "first_bad_line"), 17);
	cr_expect_str_eq(json_string_value(json_object_get(o, "pace")), "realtime");
	cr_expect(json_is_true(json_object_get(o, "has_input")));
	cr_expect(json_is_null(json_object_get(o, "input_error")), "no error: null");
	cr_expect_str_eq(json_string_value(json_object_get(o, "replay")), "done");
	json_decref(o);

	/* a replay an input error cut short: stopped, not done, and why */
	d.input_error = 1;
	memset(d.input_error_text, 'x', sizeof(d.input_error_text)); /* no terminator */
	o = ag_data_dump_json(&d);
	const char *e = json_string_value(json_object_get(o, "input_error"));
	cr_assert_not_null(e);
	cr_expect_eq(strlen(e), sizeof(d.input_error_text), "cut at its room");
	cr_expect_str_eq(json_string_value(json_object_get(o, "replay")), "stopped");
	cr_expect(json_is_false(json_object_get(o, "replay_done")), "a stopped replay is not done");
	json_decref(o);

	/* refused at open (nothing replayed), replaying, no input */
	d.done = 0;
	d.has_input = 0;
	o = ag_data_dump_json(&d);
	cr_expect_str_eq(json_string_value(json_object_get(o, "replay")), "refused");
	json_decref(o);
	d.input_error = 0;
	d.has_input = 1;
	o = ag_data_dump_json(&d);
	cr_expect_str_eq(json_string_value(json_object_get(o, "replay")), "replaying");
	cr_expect(json_is_false(json_object_get(o, "replay_done")));
	json_decref(o);
	d.has_input = 0;
	o = ag_data_dump_json(&d);
	cr_expect_str_eq(json_string_value(json_object_get(o, "replay")), "no input");
	json_decref(o);
}

/*
 * The summary of a run whose replay an input error stopped: not a result,
 * the reason in the verdict, the warnings and the events line, and no
 * "not finished" (it will not finish).
 */
Test(dump, summary_of_a_stopped_replay)
{
	struct ag_data_state d;
	memset(&d, 0, sizeof(d));
	d.events = 1545;
	d.books = 1373;
	d.trades = 172;
	d.done = 1;
	d.has_input = 1;
	d.pace = REPLAY_LOCKSTEP;
	d.input_error = 1;
	snprintf(d.input_error_text, sizeof(d.input_error_text),
		 "/x/m.journal: corrupt record at offset 70176");
	json_t *j = rt_summary_of_dumps(ag_data_dump_json(&d), NULL, NULL, NULL, NULL);
	cr_assert_not_null(j);
	json_t *ev = json_object_get(j, "events");
	cr_expect(json_is_false(json_object_get(ev, "done")));
	cr_expect_str_eq(json_string_value(json_object_get(ev, "input_error")),
			 "/x/m.journal: corrupt record at offset 70176");
	cr_expect_str_eq(json_string_value(json_object_get(j, "result")),
			 "the replay stopped on an input error: /x/m.journal: corrupt record at "
			 "offset 70176");
	json_t *w = json_object_get(j, "warnings"), *x;
	size_t i;
	int said = 0;
	json_array_foreach(w, i, x) {
		const char *t = json_string_value(x);
		cr_expect_null(strstr(t, "not finished"), "%s", t);
		said |= strstr(t, "corrupt record at offset 70176") != NULL;
	}
	cr_expect(said, "a warning names the error");
	json_decref(j);
}

/* The summary's warnings that hold needle, counted. */
static int t_warned(json_t *summary, const char *needle)
{
	json_t *x;
	size_t i;
	int n = 0;
	json_array_foreach(json_object_get(summary, "warnings"), i, x)
		n += strstr(json_string_value(x), needle) != NULL;
	return n;
}

/*
 * An open position at the end: risk's unrealized P&L is the day's, so
 * once a new day began during the run (risk re-valued the position at
 * that day's first mid) the warning says since when, in market time;
 * without one it reads as before.  Short 13 lots at 616600 ticks, a
 * tick worth 0.0001 (tick_value_e9 100000), marked at 616597.5:
 * unrealized 13 x 2.5 x 0.0001 = 0.00325.
 */
Test(dump, an_open_position_says_since_when_its_unrealized_counts)
{
	struct riskd_state *st = calloc(1, sizeof(*st));
	cr_assert_not_null(st);
	struct risk_state *r = &st->rs[0];
	r->tick_value_e9 = 100000;
	r->position = -13;
	r->open_cost_e9 = -13ll * 616600 * 100000;
	r->has_mark = 1;
	r->mid_x2 = 1233195;
	snprintf(st->symbol, sizeof(st->symbol), "BTCUSDT");
	snprintf(st->currency, sizeof(st->currency), "USDT");
	for (int day = 0; day < 2; day++) {
		r->day_start_ns = day ? 1723161600042000000 : 0;
		json_t *j = rt_summary_of_dumps(NULL, NULL, NULL, NULL, riskd_dump_json(st));
		cr_assert_not_null(j);
		cr_expect_eq(t_warned(j, "a position of -13 BTCUSDT is open: the P&L counts "
				      "0.00325 USDT unrealized"), 1, "day %d", day);
		cr_expect_eq(t_warned(j, "since a new day began at 2024-08-09 00:00:00.042 UTC "
				      "(market time"), day, "day %d", day);
		cr_expect_eq(t_warned(j, "0.00325 USDT unrealized, marked at the last mid"), !day,
			     "day %d", day);
		json_decref(j);
	}
	free(st);
}

/* ------------------------------------------------------------------
 * A segment of the default topology whose regions this test fills. */

static char t_name[64], t_dir[128];
static struct rt trt[AGENT_COUNT];
static int t_open[AGENT_COUNT];

static void setup(void)
{
	struct rt_config c;
	struct seg_spec spec;
	struct seg s;
	rt_config_defaults(&c);
	snprintf(t_name, sizeof(t_name), "/dmtest-dumptab-%d", (int)getpid());
	snprintf(t_dir, sizeof(t_dir), "/tmp/dmtest-dumptab-%d", (int)getpid());
	seg_unlink(t_name);
	cr_assert_eq(topology_spec(&c, t_name, &spec), 0);
	cr_assert_eq(seg_create(&s, &spec, 1000000000), 0);
	seg_close(&s);
}

static void teardown(void)
{
	for (int a = 0; a < AGENT_COUNT; a++)
		if (t_open[a]) {
			rt_close(&trt[a]);
			t_open[a] = 0;
		}
	seg_unlink(t_name);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t_dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", t_dir);
}

TestSuite(dumptab, .init = setup, .fini = teardown);

static void *t_agent(uint32_t a, uint32_t version, uint32_t size)
{
	struct rt_args args = { .name = t_name, .run_dir = t_dir };
	cr_assert_eq(rt_open(&trt[a], a, &args, version, size, RT_O_NO_SIGNALS | RT_O_NO_PIN), 0);
	t_open[a] = 1;
	rt_running(&trt[a]);
	return trt[a].app;
}

Test(dumptab, every_region_through_its_row)
{
	struct ag_data_state *d = t_agent(AGENT_DATA, AG_DATA_VERSION, sizeof(*d));
	d->events = 42;
	struct coord_state *c = t_agent(AGENT_COORDINATOR, AG_COORD_VERSION, sizeof(*c));
	c->decisions = 2;
	c->released = 1;
	c->blocked = 1;
	c->n_recent = 2;
	c->recent[0].decision_id = 0x101;
	c->recent[0].outcome = VOTE_RELEASE;
	c->recent[1].decision_id = 0x102;
	c->recent[1].outcome = VOTE_BLOCK;
	struct riskd_state *r = t_agent(AGENT_RISK, AG_RISK_VERSION, sizeof(*r));
	r->rs[0].position = -3;
	snprintf(r->currency, sizeof(r->currency), "BRL");
	/* ml opened with a layout of another version: never reinterpreted */
	uint64_t *ml = t_agent(AGENT_ML, AG_ML_VERSION + 100, 64);
	ml[0] = 77;

	/* ml's process counters, as its heartbeat stores them */
	atomic_store(&trt[AGENT_ML].st->nvcsw, 31);
	atomic_store(&trt[AGENT_ML].st->nivcsw, 7);
	atomic_store(&trt[AGENT_ML].st->minflt, 1200);
	json_t *j = rt_dump_json(&trt[AGENT_DATA].seg);
	json_t *ag = json_object_get(j, "agents");
	cr_expect_eq(jint(json_object_get(ag, "data"), "events"), 42);
	json_t *co = json_object_get(ag, "coordinator");
	cr_expect_eq(jint(co, "released"), 1);
	cr_expect_null(json_object_get(co, "recent"), "lifted to the document's list");
	cr_expect(json_is_object(json_object_get(co, "latency")), "the runtime part stays");
	cr_expect_eq(jint(json_object_get(ag, "risk"), "position"), -3);
	json_t *mlo = json_object_get(ag, "ml");
	cr_expect_not_null(json_object_get(mlo, "opens"), "the runtime part of ml");
	json_t *sw = json_object_get(mlo, "switches");
	cr_expect_eq(jint(sw, "voluntary"), 31, "ml's switches as its state holds them");
	cr_expect_eq(jint(sw, "involuntary"), 7);
	cr_expect_eq(jint(json_object_get(mlo, "page_faults"), "minor"), 1200);
	cr_expect_null(json_object_get(mlo, "features"), "no app part of another layout");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(ag, "feature"),
							   "state")), "none");
	json_t *dec = json_object_get(j, "decisions");
	cr_assert_eq(json_array_size(dec), 2);
	cr_expect_eq(jint(json_array_get(dec, 0), "decision_id"), 0x101);
	cr_expect_eq(jint(json_array_get(dec, 1), "decision_id"), 0x102);
	json_decref(j);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	rt_dump_text(&trt[AGENT_DATA].seg, f);
	fclose(f);
	cr_expect(strstr(text, "\ndata       replay no input, input_error -, events 42,") != NULL,
		  "%s", text);
	cr_expect(strstr(text, "\ncoordinator decisions 2, released 1, blocked 1,") != NULL,
		  "%s", text);
	cr_expect(strstr(text, "position -3,") != NULL, "%s", text);
	cr_expect(strstr(text, "  0000000000000101 release") != NULL, "%s", text);
	cr_expect(strstr(text, "  0000000000000102 block") != NULL, "%s", text);
	free(text);
}
