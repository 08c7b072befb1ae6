/*
 * test_agents.c — the six agents end to end, as separate processes under
 * tools/dmctl (a multi-process integration test kept in tests/unit/ until
 * the Makefile has a rule for tests/integration/).
 *
 *   dm-gen --seed 1 --events 20000  ->  dmctl start --input  ->  wait for
 *   the replay and for every ring to drain  ->  dmctl restart risk (its
 *   position survives)  ->  kill -9 feature (the supervisor restarts it)
 *   ->  dmctl stop  ->  the segment is gone, every agent exited, and
 *   every order execution journaled has an approving decision in the
 *   coordinator's journal.
 *
 * Then the vote in one process (suite coordinator): release, a risk
 * veto, a missing vote at the deadline and a stale voter each block;
 * agent down and halt block before any vote; ids unique across a
 * coordinator restart.
 *
 * The agents and tools are taken from the build this test belongs to
 * (<build>/bin beside <build>/tests), dmctl from the source tree above it.
 * Each run has its own segment name and run directory; the fixture kills
 * the supervisor and every agent and unlinks the segment even when an
 * assertion fails.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>

#include "agents/rt/agents.h"
#include "agents/rt/dump.h"
#include "agents/rt/topology.h"
#include "libcore/quality/quality.h"
#include "libcore/journal/journal.h"
#include "libcore/replay/replay.h"
#include "libcore/vote/vote.h"
#include "libcore/msg/msg.h"
#include "shm/seg.h"
#include "tests/helpers.h"

static char segname[SEG_NAME_MAX];
static char rundir[256];
static char bindir[PATH_MAX];
static char dmctl[PATH_MAX];

/* <build>/tests/test_agents -> <build>/bin; the tree holding tools/dmctl */
static void find_paths(void)
{
	struct t_paths p;
	t_paths_or_fail(&p);
	snprintf(bindir, sizeof(bindir), "%s", p.bin);
	snprintf(dmctl, sizeof(dmctl), "%s", p.dmctl);
}

static void setup(void)
{
	t_seg_name(segname, sizeof(segname), "agents");
	snprintf(rundir, sizeof(rundir), "/tmp%s", segname);
	find_paths();
	setenv("DM_SHM_NAME", segname, 1);
	setenv("DM_RUN_DIR", rundir, 1);
	setenv("DM_BIN", bindir, 1);
	mkdir(rundir, 0755);
}

static void teardown(void)
{
	t_kill_run(rundir, segname);
	if (getenv("DM_TEST_KEEP") == NULL && t_system("rm -rf '%s'", rundir) != 0)
		cr_log_warn("could not remove %s", rundir);
}

TestSuite(agents, .init = setup, .fini = teardown);

static int running_pid(struct seg *s, uint32_t a, int timeout_ms);

/* every ring empty and no ballot open, three polls in a row, up to 30 s */
static int wait_drained(void)
{
	struct seg s;
	if (seg_attach(&s, segname, 1, msg_layout_hash()) != 0)
		return 0;
	int quiet = 0;
	int64_t end = t_now_ns() + 30ll * 1000000000;
	while (quiet < 3 && t_now_ns() < end) {
		uint64_t fill = t_rings_fill(&s);
		const struct coord_state *cs = rt_app_of(&s, AGENT_COORDINATOR);
		for (uint32_t i = 0; i < AG_COORD_BALLOTS; i++)
			fill += cs->ballot[i].state != AG_B_FREE;
		quiet = fill == 0 ? quiet + 1 : 0;
		usleep(100 * 1000);
	}
	seg_close(&s);
	return quiet >= 3;
}

#define MAX_DECISIONS 4096

Test(agents, replay_restart_stop_and_every_order_approved, .timeout = 300)
{
	char journal[512], path[512];
	snprintf(journal, sizeof(journal), "%s/market.journal", rundir);
	cr_assert_eq(t_system("'%s/dm-gen' --seed 1 --events 20000 --output '%s' --quiet >/dev/null",
			      bindir, journal), 0, "dm-gen");

	int rc = t_system("'%s' start --input '%s' >'%s/start.out' 2>&1", dmctl, journal, rundir);
	if (rc != 0) {
		t_system("cat '%s/start.out' >&2", rundir);
		t_show_logs(rundir, 20);
	}
	cr_assert_eq(rc, 0, "dmctl start");

	snprintf(path, sizeof(path), "%s/data.done", rundir);
	int done = t_wait_file(path, 180);
	if (!done)
		t_show_logs(rundir, 20);
	cr_assert(done, "the data agent finished the replay");
	cr_assert(wait_drained(), "every ring drained and every ballot decided");

	struct seg s;
	cr_assert_eq(seg_attach(&s, segname, 1, msg_layout_hash()), 0);
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		cr_expect_eq(atomic_load(&seg_agent(&s, a)->restarts), 0, "%s never restarted",
			     rt_agent_names[a]);

	/* restart on request: risk comes back with its position */
	const struct riskd_state *rs = rt_app_of(&s, AGENT_RISK);
	int64_t position = rs->rs[rs->cur & 1].position;
	uint64_t fills = rs->rs[rs->cur & 1].fills;
	rc = t_system("'%s' restart risk >>'%s/restart.out' 2>&1", dmctl, rundir);
	cr_expect_eq(rc, 0, "dmctl restart risk");
	cr_expect_eq(atomic_load(&seg_agent(&s, AGENT_RISK)->generation), 2);
	cr_expect_eq(rs->rs[rs->cur & 1].position, position, "position survives the restart");
	cr_expect_eq(rs->rs[rs->cur & 1].fills, fills);

	/* a crash: the supervisor restarts the agent */
	int victim = atomic_load(&seg_agent(&s, AGENT_FEATURE)->pid);
	cr_assert_gt(victim, 0);
	kill(victim, SIGKILL);
	int64_t end = t_now_ns() + 15ll * 1000000000;
	int back = 0;
	while (!back && t_now_ns() < end) {
		const struct agent_slot *a = seg_agent(&s, AGENT_FEATURE);
		int32_t p = atomic_load(&((struct agent_slot *)a)->pid);
		back = atomic_load(&((struct agent_slot *)a)->generation) == 2 && p > 0 &&
		       p != victim && atomic_load(&((struct agent_slot *)a)->state) == AGENT_RUNNING;
		usleep(20 * 1000);
	}
	if (!back)
		t_show_logs(rundir, 20);
	cr_assert(back, "feature restarted after kill -9");
	cr_expect_eq(t_system("grep -q 'feature crashed' '%s/supervisor.log'", rundir), 0);

	/* the agents' pids before the stop, to check they are all gone after */
	int pids[AGENT_COUNT] = { 0 };
	for (uint32_t a = 0; a < AGENT_COUNT; a++) {
		pids[a] = atomic_load(&seg_agent(&s, a)->pid);
		cr_expect_gt(pids[a], 0, "%s registered", rt_agent_names[a]);
	}
	seg_close(&s);

	rc = t_system("'%s' status >/dev/null", dmctl);
	cr_expect_eq(rc, 0, "dmctl status: everything runs");
	rc = t_system("'%s' stop >'%s/stop.out' 2>&1", dmctl, rundir);
	if (rc != 0)
		t_show_logs(rundir, 20);
	cr_assert_eq(rc, 0, "dmctl stop");

	/* the segment is unlinked and every agent exited */
	int fd = shm_open(segname, O_RDONLY, 0);
	cr_expect_eq(fd, -1, "segment %s still exists after stop", segname);
	if (fd >= 0)
		close(fd);
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		cr_expect(pids[a] <= 0 || (kill(pids[a], 0) != 0 && errno == ESRCH),
			  "%s (pid %d) still alive", rt_agent_names[a], pids[a]);
	rc = t_system("grep -q 'stopped; segment' '%s/supervisor.log'", rundir);
	cr_expect_eq(rc, 0, "the supervisor stopped cleanly");
	t_expect_clean_logs(rundir);
	for (uint32_t a = 0; a < AGENT_COUNT; a++) {
		rc = t_system("grep -q ' exit: ' '%s/%s.log'", rundir, rt_agent_names[a]);
		cr_expect_eq(rc, 0, "%s drained and exited cleanly", rt_agent_names[a]);
	}

	/* every decision, by id */
	static struct vote_record dec[MAX_DECISIONS];
	uint32_t n_dec = 0, n_rel = 0;
	struct journal_reader jr;
	const struct jrec *r;
	snprintf(path, sizeof(path), "%s/%s", rundir, AG_DECISIONS_JOURNAL);
	cr_assert_eq(journal_open_read(&jr, path, JOURNAL_VERIFY), 0, "open %s", path);
	while ((rc = journal_next(&jr, &r)) == 1) {
		cr_assert_eq(r->type, JREC_DECISION);
		cr_assert_eq(r->len, sizeof(struct vote_record));
		cr_assert_lt(n_dec, MAX_DECISIONS);
		memcpy(&dec[n_dec], r->payload, sizeof(dec[0]));
		cr_expect_eq(dec[n_dec].version, VOTE_RECORD_VERSION);
		cr_expect(dec[n_dec].outcome == VOTE_RELEASE || dec[n_dec].outcome == VOTE_BLOCK);
		if (dec[n_dec].outcome == VOTE_RELEASE) {
			n_rel++;
			cr_expect_eq(dec[n_dec].reason, VOTE_R_APPROVED);
			cr_expect_neq(dec[n_dec].client_order_id, 0);
			/* the votes: risk (the veto holder) approved */
			cr_expect_eq(dec[n_dec].v[0].voter, AGENT_RISK);
			cr_expect_eq(dec[n_dec].v[0].verdict, VOTE_V_APPROVE);
		}
		n_dec++;
	}
	cr_assert_eq(rc, 0, "decisions journal reads to its end");
	journal_reader_close(&jr);
	for (uint32_t i = 1; i < n_dec; i++)
		for (uint32_t j = 0; j < i; j++)
			cr_assert_neq(dec[i].decision_id, dec[j].decision_id, "decision ids unique");

	/* every order execution received has an approving decision */
	uint32_t n_orders = 0;
	uint64_t last_coid = 0;
	snprintf(path, sizeof(path), "%s/%s", rundir, AG_ORDERS_JOURNAL);
	cr_assert_eq(journal_open_read(&jr, path, JOURNAL_VERIFY), 0, "open %s", path);
	uint32_t n_refused = 0;
	while ((rc = journal_next(&jr, &r)) == 1) {
		if (r->type == JREC_EXEC) {
			struct msg_exec_report e;
			cr_assert_eq(r->len, sizeof(e));
			memcpy(&e, r->payload, sizeof(e));
			/* refused before the venue: no client order id, the decision's id */
			if (e.client_order_id == 0 && e.status == EXEC_REJECTED && e.decision_id)
				n_refused++;
			continue;
		}
		cr_assert_eq(r->type, JREC_ORDER);
		cr_assert_eq(r->len, sizeof(struct msg_order));
		struct msg_order o;
		memcpy(&o, r->payload, sizeof(o));
		const struct vote_record *d = NULL;
		for (uint32_t i = 0; i < n_dec && !d; i++)
			if (dec[i].decision_id == o.decision_id)
				d = &dec[i];
		cr_assert_not_null(d, "order %llu: no decision %llx in the journal",
				   (unsigned long long)o.client_order_id,
				   (unsigned long long)o.decision_id);
		cr_expect_eq(d->outcome, VOTE_RELEASE, "order %llu: decision %llx is a %s",
			     (unsigned long long)o.client_order_id,
			     (unsigned long long)o.decision_id, vote_outcome_name(d->outcome));
		cr_expect_neq(o.client_order_id, 0, "execution named the order");
		cr_expect_eq(d->px, o.px);
		cr_expect_eq(d->qty, o.qty);
		cr_expect_eq(d->side, o.side);
		cr_expect_gt(o.client_order_id, last_coid, "client order ids increase, no duplicate");
		last_coid = o.client_order_id;
		n_orders++;
	}
	cr_assert_eq(rc, 0, "orders journal reads to its end");
	journal_reader_close(&jr);
	cr_log_info("%u decisions, %u released, %u orders, %u refused by execution", n_dec,
		    n_rel, n_orders, n_refused);
	cr_expect_gt(n_dec, 0, "the replay produced decisions");
	cr_expect_gt(n_orders, 0, "the replay produced orders");
	cr_expect_eq(n_orders + n_refused, n_rel,
		     "every released decision reached execution once (%u orders, %u refused, "
		     "%u released)", n_orders, n_refused, n_rel);
}

Test(agents, dmctl_usage_errors_exit_2)
{
	cr_expect_eq(t_system("'%s' >/dev/null 2>&1", dmctl), 2);
	cr_expect_eq(t_system("'%s' bogus >/dev/null 2>&1", dmctl), 2);
	cr_expect_eq(t_system("'%s' restart nobody >/dev/null 2>&1", dmctl), 2);
	cr_expect_eq(t_system("'%s' --name noslash status >/dev/null 2>&1", dmctl), 2);
	cr_expect_eq(t_system("'%s' --help >/dev/null 2>&1", dmctl), 0);
	cr_expect_eq(t_system("'%s' start --input /nonexistent >/dev/null 2>&1", dmctl), 2);
	cr_expect_eq(t_system("'%s' stop >/dev/null 2>&1", dmctl), 1, "nothing to stop");
	cr_expect_eq(t_system("'%s' status >/dev/null 2>&1", dmctl), 1, "nothing runs");
}

/*
 * The main job's path (dmctl run, as make run calls it): the summary is
 * printed and the run exits 0; then, from the files it leaves, the P&L is
 * recomputed from every fill execution reported (orders journal) and must
 * equal risk's to the 10^-9 BRL, as must the venue's own sums; the position
 * after every fill stays within conf/risk.yaml's max_position.
 */
Test(agents, paper_trading_pnl_is_the_fills_and_position_stays_in_limits, .timeout = 240)
{
	char out[600], path[600];
	snprintf(out, sizeof(out), "%s/run.out", rundir);
	int rc = t_system("'%s' run --events 20000 >'%s' 2>&1", dmctl, out);
	if (rc != 0)
		t_show_logs(rundir, 20);
	cr_assert_eq(rc, 0, "dmctl run exits 0");
	cr_expect_eq(t_system("grep -q '^summary:' '%s' && grep -q 'P&L  *gross' '%s' && "
			      "grep -q 'tick-to-order p50' '%s'", out, out, out), 0,
		     "the summary is printed");
	struct seg s;
	cr_expect_neq(seg_attach(&s, segname, 1, msg_layout_hash()), 0, "the segment is gone");

	snprintf(path, sizeof(path), "%s/summary.json", rundir);
	json_error_t jerr;
	json_t *sum = json_load_file(path, 0, &jerr);
	cr_assert_not_null(sum, "%s: %s", path, jerr.text);
	json_t *pm = json_object_get(sum, "pnl_e9"), *po = json_object_get(sum, "position");
	int64_t gross = json_integer_value(json_object_get(pm, "gross"));
	int64_t fees = json_integer_value(json_object_get(pm, "fees"));
	int64_t net = json_integer_value(json_object_get(pm, "net"));
	int64_t mid_x2 = json_integer_value(json_object_get(po, "mark_x2_ticks"));
	int64_t tick_e9 = json_integer_value(json_object_get(po, "tick_value_e9"));
	int64_t final = json_integer_value(json_object_get(po, "final"));
	int64_t n_fills = json_integer_value(json_object_get(json_object_get(sum, "fills"), "count"));
	cr_expect_eq(tick_e9, 1000000000, "WIN: one tick of one contract is R$ 1.00 (x 10^9)");

	/* every fill execution forwarded, once each (by exec id) */
	static uint64_t seen[8192];
	uint32_t n_seen = 0;
	int64_t pos = 0, cash_ticks = 0, fee_sum = 0, max_abs = 0;
	struct journal_reader jr;
	const struct jrec *r;
	snprintf(path, sizeof(path), "%s/%s", rundir, AG_ORDERS_JOURNAL);
	cr_assert_eq(journal_open_read(&jr, path, JOURNAL_VERIFY), 0);
	while ((rc = journal_next(&jr, &r)) == 1) {
		if (r->type != JREC_EXEC)
			continue;
		struct msg_exec_report e;
		memcpy(&e, r->payload, sizeof(e));
		if (!e.exec_id || e.last_qty <= 0)
			continue;
		int dup = 0;
		for (uint32_t i = 0; i < n_seen; i++)
			dup |= seen[i] == e.exec_id;
		if (dup)
			continue;
		cr_assert_lt(n_seen, 8192);
		seen[n_seen++] = e.exec_id;
		pos += e.side * e.last_qty;
		cash_ticks -= e.side * e.last_px * e.last_qty;
		fee_sum += e.fee_e9;
		int64_t a = pos < 0 ? -pos : pos;
		max_abs = a > max_abs ? a : max_abs;
		cr_expect_leq(a, 5, "position %lld after fill %llu beyond max_position 5",
			      (long long)pos, (unsigned long long)e.exec_id);
	}
	cr_assert_eq(rc, 0);
	journal_reader_close(&jr);
	cr_log_info("%u fills, position %lld (largest %lld), cash %lld ticks, fees %lld x 10^-9 BRL",
		    n_seen, (long long)pos, (long long)max_abs, (long long)cash_ticks,
		    (long long)fee_sum);
	cr_expect_gt(n_seen, 0, "the strategy traded");
	cr_expect_eq((int64_t)n_seen, n_fills, "the venue's fill count");
	cr_expect_eq(pos, final, "final position");
	/* P&L of the fills: their cash plus the open position at the mark */
	int64_t want = cash_ticks * tick_e9 + pos * mid_x2 * tick_e9 / 2;
	cr_expect_eq(gross, want, "gross P&L %lld x 10^-9 BRL = the fills' %lld", (long long)gross,
		     (long long)want);
	cr_expect_eq(fees, fee_sum, "fees = the fills' fees");
	cr_expect_eq(fees, (int64_t)n_seen * 256100000, "R$ 0.2561 per contract, one contract "
		     "per fill, exact in 10^-9 BRL (%lld)", (long long)fees);
	cr_expect_eq(net, gross - fees);
	cr_expect_eq(json_integer_value(json_object_get(pm, "gross_from_venue")), gross,
		     "the venue's own sums give the same P&L");
	cr_expect(json_is_true(json_object_get(json_object_get(sum, "pnl"), "venue_agrees")));
	cr_expect_leq(json_integer_value(json_object_get(po, "max_abs")), 5);

	/* the summary names the currency and warns about every loss it counts */
	cr_expect_str_eq(json_string_value(json_object_get(sum, "currency")), "BRL");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(sum, "pnl"),
							   "currency")), "BRL");
	cr_expect(json_is_false(json_object_get(sum, "no_events")));
	cr_expect_eq(t_system("grep -q 'net -\\{0,1\\}[0-9.]* BRL' '%s'", out), 0, "P&L in BRL");
	json_t *ml = json_object_get(sum, "ml");
	int64_t zero = json_integer_value(json_object_get(ml, "zero_size"));
	int64_t qual = json_integer_value(json_object_get(json_object_get(ml, "quality_dropped"),
							  "total"));
	int64_t conf = json_integer_value(json_object_get(json_object_get(sum, "conflated"),
							  "total"));
	cr_expect_eq(conf, 0, "lockstep: nothing conflated");
	cr_expect_eq(t_system("grep -q 'WARNING: %lld sides above strategy.min_prob got a bet size' "
			      "'%s'", (long long)zero, out), zero ? 0 : 1, "bet size 0 warned iff counted (%lld)",
		     (long long)zero);
	cr_expect_eq(t_system("grep -q 'WARNING: %lld feature vectors dropped by a data-quality flag' "
			      "'%s'", (long long)qual, out), qual ? 0 : 1,
		     "quality drops warned iff counted (%lld)", (long long)qual);
	/* sides: every clean vector is in exactly one bucket */
	int64_t feats = json_integer_value(json_object_get(ml, "features"));
	int64_t parts = json_integer_value(json_object_get(ml, "no_side")) +
			json_integer_value(json_object_get(ml, "too_soon")) +
			json_integer_value(json_object_get(ml, "below_min_prob")) + zero +
			json_integer_value(json_object_get(ml, "no_model")) +
			json_integer_value(json_object_get(ml, "no_quote")) +
			json_integer_value(json_object_get(ml, "intents"));
	cr_expect_eq(parts, feats, "every vector accounted for (%lld of %lld)", (long long)parts,
		     (long long)feats);
	json_decref(sum);
}

/*
 * dmctl reload-model during a replay: a file that is no model is refused and
 * the current model stays; a good one is verified and swapped in; no
 * feature vector is lost on the way (every one published was handled).
 */
Test(agents, reload_model_swaps_a_verified_model_without_losing_an_event, .timeout = 240)
{
	char journal[512], bad[512], good[512], model[PATH_MAX];
	snprintf(journal, sizeof(journal), "%s/market.journal", rundir);
	snprintf(bad, sizeof(bad), "%s/broken.json", rundir);
	snprintf(good, sizeof(good), "%s/second.json", rundir);
	/* the built model (make model): the one the configuration names,
	 * build/model/default.json beside tools/ */
	snprintf(model, sizeof(model), "%.*s/build/model/default.json",
		 (int)(strlen(dmctl) - strlen("/tools/dmctl")), dmctl);
	cr_assert(t_exists(model), "%s missing: run 'make model'", model);
	cr_assert_eq(t_system("cp '%s' '%s' && printf '{\"learner\": 7' >'%s'", model, good, bad), 0);
	cr_assert_eq(t_system("'%s/dm-gen' --seed 2 --events 8000 --output '%s' --quiet >/dev/null",
			      bindir, journal), 0, "dm-gen");
	int rc = t_system("'%s' start --input '%s' --pace lockstep >'%s/start.out' 2>&1", dmctl,
			  journal, rundir);
	if (rc != 0)
		t_show_logs(rundir, 20);
	cr_assert_eq(rc, 0, "dmctl start");
	struct seg s;
	cr_assert_eq(seg_attach(&s, segname, 1, msg_layout_hash()), 0);
	const struct strategy_state *ml = rt_app_of(&s, AGENT_ML);
	cr_assert_gt(running_pid(&s, AGENT_ML, 10000), 0);
	cr_expect_eq(ml->model_ok, 1, "the configured model passed its check");

	cr_expect_eq(t_system("'%s' reload-model '%s' >'%s/reload-bad.out' 2>&1", dmctl, bad, rundir),
		     1, "a refused model: exit 1");
	cr_expect_eq(t_system("grep -q '^reload-model failed: model refused: %s' "
			      "'%s/reload-bad.out'", bad, rundir), 0, "the answer says why");
	int64_t end = t_now_ns() + 20ll * 1000000000;
	while (ml->reload_failures == 0 && t_now_ns() < end)
		usleep(20 * 1000);
	cr_expect_eq(ml->reload_failures, 1, "the broken file is refused");
	cr_expect_eq(ml->reloads, 0);
	cr_expect_eq(ml->model_ok, 1, "the current model stays");

	cr_expect_eq(t_system("'%s' reload-model '%s' >'%s/reload-good.out'", dmctl, good, rundir), 0);
	cr_expect_eq(t_system("grep -q '^reload-model ok: now trading with %s' '%s/reload-good.out'",
			      good, rundir), 0);
	end = t_now_ns() + 20ll * 1000000000;
	while (ml->reloads == 0 && t_now_ns() < end)
		usleep(20 * 1000);
	cr_expect_eq(ml->reloads, 1, "the good model is swapped in");
	cr_expect_str_eq(ml->model, good);
	char path[600];
	snprintf(path, sizeof(path), "%s/data.done", rundir);
	cr_expect_eq(t_exists(path), 0, "both reloads happened during the replay");

	cr_assert(t_wait_file(path, 120), "the replay finished");
	cr_assert(wait_drained(), "every ring drained");
	int r = seg_ring_find(&s, "features");
	cr_assert_geq(r, 0);
	uint64_t out = atomic_load(&rt_state_of(&s, AGENT_FEATURE)->out_seq[r]);
	uint64_t in = atomic_load(&rt_state_of(&s, AGENT_ML)->in_seq[r]);
	cr_expect_gt(out, 1000);
	cr_expect_eq(in, out, "ml handled every feature vector published (%llu of %llu)",
		     (unsigned long long)in, (unsigned long long)out);
	cr_expect_eq(ml->reloads, 1);
	seg_close(&s);
	cr_assert_eq(t_system("'%s' stop >'%s/stop.out' 2>&1", dmctl, rundir), 0, "dmctl stop");
	cr_expect_eq(t_system("grep -q 'reload: now trading with %s' '%s/ml.log'", good, rundir), 0);
	cr_expect_eq(t_system("grep -q 'reload: keeping' '%s/ml.log'", rundir), 0,
		     "the refusal is logged");
}

/*
 * Kill switch with kill_switch.flatten: once latched, no voted order passes,
 * risk asks for the position to be flattened, the coordinator sends
 * market orders journaled as kill_flatten decisions, and the position
 * reaches 0 while the switch stays latched.
 */
Test(agents, kill_switch_flattens_and_stays_latched, .timeout = 240)
{
	char journal[512], conf[512], path[600], model[PATH_MAX];
	snprintf(journal, sizeof(journal), "%s/market.journal", rundir);
	snprintf(conf, sizeof(conf), "%s/site.yaml", rundir);
	snprintf(model, sizeof(model), "%.*s/build/model/default.json",
		 (int)(strlen(dmctl) - strlen("/tools/dmctl")), dmctl);
	cr_assert_eq(t_system("sed 's/^  flatten: false/  flatten: true/' conf/risk.yaml "
			      ">'%s/risk.yaml' && grep -q 'flatten: true' '%s/risk.yaml'", rundir,
			      rundir), 0);
	cr_assert_eq(t_system("printf 'risk:\\n  limits: risk.yaml\\nstrategy:\\n  model: %s\\n' >'%s'",
			      model, conf), 0);
	cr_assert_eq(t_system("'%s/dm-gen' --seed 1 --events 20000 --output '%s' --quiet >/dev/null",
			      bindir, journal), 0, "dm-gen");
	int rc = t_system("'%s' -c '%s' start --input '%s' --pace lockstep >'%s/start.out' 2>&1",
			  dmctl, conf, journal, rundir);
	if (rc != 0)
		t_show_logs(rundir, 20);
	cr_assert_eq(rc, 0, "dmctl start");
	struct seg s;
	cr_assert_eq(seg_attach(&s, segname, 1, msg_layout_hash()), 0);
	const struct riskd_state *rs = rt_app_of(&s, AGENT_RISK);
	int64_t end = t_now_ns() + 90ll * 1000000000;
	while (rs->rs[rs->cur & 1].position == 0 && t_now_ns() < end)
		usleep(20 * 1000);
	int64_t before = rs->rs[rs->cur & 1].position;
	cr_assert_neq(before, 0, "a position to flatten");
	cr_assert_eq(t_system("'%s' -c '%s' kill-switch >/dev/null", dmctl, conf), 0);
	cr_expect_eq(t_system("'%s' -c '%s' status | head -n 1 | grep -q '^KILL SWITCH'", dmctl, conf),
		     0, "status says so first");
	end = t_now_ns() + 60ll * 1000000000;
	while ((rs->rs[rs->cur & 1].position != 0 || rs->flatten) && t_now_ns() < end)
		usleep(20 * 1000);
	const struct risk_state *r = &rs->rs[rs->cur & 1];
	cr_expect_eq(r->position, 0, "flat after the kill switch (was %lld)", (long long)before);
	cr_expect_eq(r->killed, 1, "the kill switch stays latched");
	cr_expect_eq(rs->flatten, 0);
	const struct coord_state *cs = rt_app_of(&s, AGENT_COORDINATOR);
	cr_expect_geq(cs->flattens, 1);
	usleep(500 * 1000); /* more market, no new position */
	cr_expect_eq(rs->rs[rs->cur & 1].position, 0, "nothing trades under the kill switch");
	seg_close(&s);
	cr_assert_eq(t_system("'%s' -c '%s' stop >'%s/stop.out' 2>&1", dmctl, conf, rundir), 0);

	/* the journals: every flattening order has its kill_flatten decision,
	 * and after the first one no other order reached the venue */
	static struct vote_record dec[MAX_DECISIONS];
	uint32_t n_dec = 0, n_flat = 0, after = 0;
	struct journal_reader jr;
	const struct jrec *rec;
	snprintf(path, sizeof(path), "%s/%s", rundir, AG_DECISIONS_JOURNAL);
	cr_assert_eq(journal_open_read(&jr, path, JOURNAL_VERIFY), 0);
	while (journal_next(&jr, &rec) == 1 && n_dec < MAX_DECISIONS)
		memcpy(&dec[n_dec++], rec->payload, sizeof(dec[0]));
	journal_reader_close(&jr);
	snprintf(path, sizeof(path), "%s/%s", rundir, AG_ORDERS_JOURNAL);
	cr_assert_eq(journal_open_read(&jr, path, JOURNAL_VERIFY), 0);
	while (journal_next(&jr, &rec) == 1) {
		if (rec->type != JREC_ORDER)
			continue;
		struct msg_order o;
		memcpy(&o, rec->payload, sizeof(o));
		if (o.hdr.flags & MSG_F_FLATTEN) {
			n_flat++;
			int found = 0;
			for (uint32_t i = 0; i < n_dec; i++)
				found |= dec[i].decision_id == o.decision_id &&
					 dec[i].reason == VOTE_R_FLATTEN &&
					 dec[i].outcome == VOTE_RELEASE && dec[i].side == o.side &&
					 dec[i].qty == o.qty;
			cr_expect(found, "flattening order %llx without its decision",
				  (unsigned long long)o.decision_id);
			cr_expect_eq(o.ord_type, ORD_MARKET);
			cr_expect_eq(o.side, before > 0 ? SIDE_SELL : SIDE_BUY);
		} else if (n_flat) {
			after++;
		}
	}
	journal_reader_close(&jr);
	cr_expect_geq(n_flat, 1, "flattening orders reached the venue");
	cr_expect_eq(after, 0, "no voted order after the kill switch");
}

/* A risk limits file with a fault: dmctl start refuses it with the file,
 * line and key, and nothing is left running or mapped. */
static void refused_start(const char *fault, const char *want)
{
	char conf[600], risk[600], out[600];
	snprintf(conf, sizeof(conf), "%s/site.yaml", rundir);
	snprintf(risk, sizeof(risk), "%s/risk.yaml", rundir);
	snprintf(out, sizeof(out), "%s/refused.out", rundir);
	/* the bundled limits with one line changed (sed), beside the config */
	cr_assert_eq(t_system("sed '%s' conf/risk.yaml >'%s' && "
			      "printf 'risk:\\n  limits: risk.yaml\\n' >'%s'", fault, risk, conf), 0);
	int rc = t_system("'%s' -c '%s' start >'%s' 2>&1", dmctl, conf, out);
	cr_expect_eq(rc, 2, "start with a bad risk.yaml exits 2 (fault '%s')", fault);
	char cmd[1400];
	snprintf(cmd, sizeof(cmd), "grep -qF -- \"%s\" '%s'", want, out);
	cr_expect_eq(t_system("%s", cmd), 0, "the message names '%s' (fault '%s')", want, fault);
	struct seg s;
	cr_expect_neq(seg_attach(&s, segname, 1, msg_layout_hash()), 0, "no segment was created");
	cr_expect_eq(t_system("'%s' status >/dev/null 2>&1", dmctl), 1, "nothing runs");
}

Test(agents, malformed_risk_limits_refused_at_start)
{
	char want[700];
	snprintf(want, sizeof(want), "%s/risk.yaml:", rundir);
	refused_start("/^max_order_qty:/d", "missing required key 'max_order_qty'");
	refused_start("s/^max_order_qty: 2/max_order_qty: -2/", "key 'max_order_qty': value -2 out of range");
	refused_start("s/^max_position:/max_positon:/", "key 'max_positon': unknown key (did you mean 'max_position'?)");
	refused_start("s/^max_position:/max_positon:/", want);
}

/*
 * Operator commands get answers: each is numbered, the coordinator (or ml
 * for a reload) answers in the segment, dmctl prints the outcome and exits
 * 1 on a refusal; status starts with the system line; the logs name the
 * commands and a normal start raises no "down" alarm; stop prints the
 * final position and P&L.
 */
Test(agents, operator_commands_are_answered, .timeout = 120)
{
	char out[600];
	snprintf(out, sizeof(out), "%s/cmd.out", rundir);
	int rc = t_system("'%s' start >'%s/start.out' 2>&1", dmctl, rundir);
	if (rc != 0)
		t_show_logs(rundir, 20);
	cr_assert_eq(rc, 0, "dmctl start (no input: the data agent idles)");
	cr_expect_eq(t_system("'%s' status >'%s' && head -n 1 '%s' | "
			      "grep -q '^TRADING  position 0 WIN  P&L net 0.00 BRL'", dmctl, out, out), 0,
		     "status starts with the system line");
	cr_expect_eq(t_system("'%s/dm-shmdump' --system | grep -q '^TRADING 0 0.00 0.00 0.00 0.00 BRL "
			      "WIN -$'", bindir), 0, "the machine form");
	/* the supervisor's clock is a pipe of its own, both ends in one
	 * read-write descriptor: no agent holds it */
	cr_expect_eq(t_system("sp=$(cat '%s/supervisor.pid') && "
			      "ls -l /proc/$sp/fd | grep -q '^lrwx.* -> pipe:'", rundir), 0,
		     "the supervisor waits on a pipe");
	cr_expect_eq(t_system("sp=$(cat '%s/supervisor.pid'); "
			      "tick=$(ls -l /proc/$sp/fd | sed -n 's/^lrwx.* -> \\(pipe:.*\\)$/\\1/p'); "
			      "[ -n \"$tick\" ] || exit 2; "
			      "for a in coordinator data feature ml execution risk; do "
			      "p=$(cat '%s/'$a.pid) || exit 2; "
			      "for f in /proc/$p/fd/*; do l=$(readlink $f) || continue; "
			      "case \"$tick\" in *\"$l\"*) "
			      "echo \"$a holds the supervisor's $l\"; exit 1;; esac; "
			      "done; done; exit 0", rundir, rundir), 0,
		     "no agent inherits the supervisor's pipe");

	/* each command: its exit status and the answer dmctl prints */
	static const struct { const char *cmd; int rc; const char *answer; } steps[] = {
		{ "halt", 0, "halt ok: halted: new orders refused" },
		{ "halt", 0, "halt ok: halted: new orders refused" },
		{ "resume", 0, "resume ok: resumed: new orders accepted" },
		{ "kill-switch", 0, "kill-switch ok: kill switch latched" },
		{ "resume", 1, "resume refused: kill switch latched" },
		{ "rearm", 0, "rearm ok: re-armed" },
		{ "cancel-all", 0, "cancel-all ok: every open order cancelled" },
		{ "reload", 0, "reload ok: now trading with" },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		rc = t_system("'%s' %s >'%s' 2>&1", dmctl, steps[i].cmd, out);
		cr_expect_eq(rc, steps[i].rc, "%s exits %d (got %d)", steps[i].cmd, steps[i].rc, rc);
		cr_expect_eq(t_system("grep -qF -- \"%s\" '%s'", steps[i].answer, out), 0,
			     "%s answers '%s'", steps[i].cmd, steps[i].answer);
		if (i == 3)
			cr_expect_eq(t_system("'%s/dm-shmdump' --system | grep -q '^KILL_SWITCH '",
					      bindir), 0, "machine form under the kill switch");
	}
	/* the numbers: 8 commands, answered in order by the coordinator */
	cr_expect_eq(t_system("'%s/dm-shmdump' --command coordinator | grep -q '^8 reload ok '",
			      bindir), 0, "the coordinator echoes command 8");
	cr_expect_eq(t_system("'%s/dm-shmdump' --command ml | grep -q '^8 reload ok now trading'",
			      bindir), 0, "ml answered the reload");
	/* a coordinator that cannot answer: dmctl gives up after --timeout */
	char pidf[600];
	snprintf(pidf, sizeof(pidf), "%s/coordinator.pid", rundir);
	/* the log of the normal part of the run: a coordinator stopped and
	 * resumed may well find a voter's heartbeat stale on a busy machine */
	cr_assert_eq(t_system("cp '%s/coordinator.log' '%s/coordinator.normal.log'", rundir,
			      rundir), 0);
	cr_assert_eq(t_system("kill -STOP $(cat '%s')", pidf), 0);
	rc = t_system("'%s' halt --timeout 300ms >'%s' 2>&1", dmctl, out);
	t_system("kill -CONT $(cat '%s')", pidf);
	cr_expect_eq(rc, 1, "unanswered: exit 1");
	cr_expect_eq(t_system("grep -q 'halt (command 9): no answer from the coordinator within 300ms' "
			      "'%s'", out), 0, "says so");
	usleep(300 * 1000); /* the coordinator, resumed, applies it */
	cr_expect_eq(t_system("'%s/dm-shmdump' --command coordinator | grep -q '^9 halt ok '", bindir),
		     0, "and answers it late");
	cr_expect_eq(t_system("'%s' resume >/dev/null", dmctl), 0);
	cr_expect_eq(t_system("'%s' stop >'%s' 2>&1", dmctl, out), 0, "dmctl stop");
	cr_expect_eq(t_system("grep -q '^final position 0 WIN, P&L net 0.00 BRL' '%s'", out), 0,
		     "stop prints the final position and P&L");
	cr_expect_eq(t_system("grep -q 'left open' '%s'", out), 1, "flat: no warning");

	cr_expect_eq(t_system("grep -q 'operator command 4: kill-switch' '%s/coordinator.log'", rundir),
		     0, "the log names the command and its number");
	cr_expect_eq(t_system("grep -q 'command [0-9]*$' '%s/coordinator.log'", rundir), 1,
		     "no bare command numbers");
	cr_expect_eq(t_system("grep -E -q ' is down|ALARM' '%s/coordinator.normal.log'", rundir), 1,
		     "a normal start and commands raise no alarm");
	cr_expect_eq(t_system("grep -q 'every agent up: trading' '%s/coordinator.log'", rundir), 0);
	cr_expect_eq(t_system("grep -i -E -q 'down|halted' '%s/risk.log'", rundir), 1,
		     "nothing alarming in risk's log");
}

/* ------------------------------------------------------------------
 * The data agent: its glue in this process (suite data_agent) against a
 * real segment, with the md consumers played by the test, and its
 * process (dm-agent-data) on inputs it must refuse.
 */

static struct rt drt[AGENT_COUNT];
static int d_open[AGENT_COUNT];
static int d_glue;

static void d_setup(void)
{
	struct rt_config c;
	struct seg_spec spec;
	struct seg s;
	rt_config_defaults(&c);
	find_paths();
	t_seg_name(segname, sizeof(segname), "data");
	snprintf(rundir, sizeof(rundir), "/tmp%s", segname);
	mkdir(rundir, 0755);
	cr_assert_eq(topology_spec(&c, segname, &spec), 0);
	cr_assert_eq(seg_create(&s, &spec, rt_now_ns()), 0);
	seg_close(&s);
}

static void d_teardown(void)
{
	if (d_glue)
		ag_data_close(&drt[AGENT_DATA]);
	d_glue = 0;
	for (int a = 0; a < AGENT_COUNT; a++)
		if (d_open[a]) {
			rt_close(&drt[a]);
			d_open[a] = 0;
		}
	seg_unlink(segname);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rundir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", rundir);
}

TestSuite(data_agent, .init = d_setup, .fini = d_teardown);

/* books and trades each md consumer saw, by agent */
static uint64_t d_books[AGENT_COUNT], d_trades[AGENT_COUNT];
static int64_t d_last_trade_ns[AGENT_COUNT];
static uint64_t d_trade_backwards;
static uint64_t d_ends[AGENT_COUNT];
static int64_t d_end_ns[AGENT_COUNT], d_last_ns[AGENT_COUNT];

/* lockstep (d_stamps): when each consumer took its last event, and the
 * feature copies whose ingress time was before risk's or execution's
 * taking of the same event, or that came before them */
static int d_stamps;
static int64_t d_taken_ns[AGENT_COUNT];
static uint64_t d_stamp_checked, d_stamp_early, d_phase_wrong;

static void d_stamp(struct rt *rt, const struct msg_hdr *m)
{
	if (!d_stamps)
		return;
	if (rt->self == AGENT_FEATURE) {
		/* this is the feature's k-th event: risk and execution have
		 * taken k (their phases come first) */
		uint64_t k = d_books[AGENT_FEATURE] + d_trades[AGENT_FEATURE] + 1;
		if (d_books[AGENT_RISK] + d_trades[AGENT_RISK] != k ||
		    d_books[AGENT_EXECUTION] + d_trades[AGENT_EXECUTION] != k)
			d_phase_wrong++;
		if (m->ingress_ns < d_taken_ns[AGENT_RISK] ||
		    m->ingress_ns < d_taken_ns[AGENT_EXECUTION])
			d_stamp_early++;
		d_stamp_checked++;
	}
	d_taken_ns[rt->self] = rt_now_ns();
}

static int d_md(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	(void)in;
	if (m->type == MSG_BOOK || m->type == MSG_TRADE)
		d_stamp(rt, m);
	if (m->type == MSG_END) {
		const struct msg_end *e = (const struct msg_end *)m;
		cr_assert(m->flags & MSG_F_REPLAY);
		cr_assert_eq(m->flags & MSG_F_CONFLATABLE, 0);
		d_ends[rt->self]++;
		d_end_ns[rt->self] = e->exch_ns;
		return 0;
	}
	cr_assert_eq(d_ends[rt->self], 0, "nothing after the end");
	d_last_ns[rt->self] = m->type == MSG_BOOK ? ((const struct msg_book *)m)->exch_ns
						  : ((const struct msg_trade *)m)->exch_ns;
	if (m->type == MSG_BOOK) {
		d_books[rt->self]++;
	} else if (m->type == MSG_TRADE) {
		const struct msg_trade *t = (const struct msg_trade *)m;
		if (t->exch_ns < d_last_trade_ns[rt->self])
			d_trade_backwards++;
		d_last_trade_ns[rt->self] = t->exch_ns;
		d_trades[rt->self]++;
	}
	return 0;
}

static const struct rt_ops d_counting = { .on_msg = d_md };

/* the md rings' consumers, in the order the tests work them */
static const uint32_t d_cons[] = { AGENT_FEATURE, AGENT_EXECUTION, AGENT_RISK };

/* A dm-gen market of events into rundir/market.journal (path into out). */
static void d_market(char *out, size_t size, int seed, int events)
{
	snprintf(out, size, "%s/market.journal", rundir);
	cr_assert_eq(t_system("'%s/dm-gen' --seed %d --events %d --output '%s' --quiet >/dev/null",
			      bindir, seed, events, out), 0, "dm-gen");
}

/* The three md consumers in process, counting what they take (d_md). */
static void d_consumers_open(void)
{
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t g = d_cons[i];
		struct rt_args a = { .name = segname, .run_dir = rundir };
		cr_assert_eq(rt_open(&drt[g], g, &a, 1, 64, RT_O_NO_SIGNALS | RT_O_NO_PIN), 0);
		d_open[g] = 1;
		rt_set_ops(&drt[g], &d_counting, NULL);
		rt_running(&drt[g]);
	}
}

/* The data agent in process on journal at pace, running: its state. */
static struct ag_data_state *d_data_start(const char *journal, const char *pace)
{
	struct rt_args a = { .name = segname, .run_dir = rundir,
			     .opt = { [AG_DATA_OPT_INPUT] = journal, [AG_DATA_OPT_PACE] = pace } };
	struct rt *da = &drt[AGENT_DATA];
	cr_assert_eq(rt_open(da, AGENT_DATA, &a, AG_DATA_VERSION, sizeof(struct ag_data_state),
			     RT_O_NO_SIGNALS | RT_O_NO_PIN), 0);
	d_open[AGENT_DATA] = 1;
	cr_assert_eq(ag_data_init(da), 0);
	d_glue = 1;
	rt_running(da);
	return da->app;
}

/*
 * The data agent at pace max against a feature agent that keeps falling
 * behind: md_feature fills, books are conflated there, every trade
 * reaches every consumer (the data agent holds it and retries), and the
 * books sent equal those each consumer saw plus its ring's conflated
 * count.  The event counts come from the journal itself.
 */
Test(data_agent, full_ring_conflates_books_and_every_trade_arrives, .timeout = 120)
{
	char journal[512];
	d_market(journal, sizeof(journal), 3, 20000);
	/* the journal's own counts, read here */
	uint64_t want_books = 0, want_trades = 0;
	struct replay rp;
	char err[REPLAY_ERR_LEN];
	cr_assert_eq(replay_open(&rp, journal, FEED_JOURNAL, NULL, NULL, err, sizeof(err)), 0,
		     "%s", err);
	struct event ev;
	while (replay_next(&rp, 0, &ev) == REPLAY_EVENT) {
		want_books += ev.kind == EV_BOOK;
		want_trades += ev.kind == EV_TRADE;
	}
	replay_close(&rp);
	cr_assert_gt(want_trades, 100);

	const uint32_t *md = d_cons;
	d_consumers_open();
	struct rt *da = &drt[AGENT_DATA];
	const struct ag_data_state *st = d_data_start(journal, "max");
	/* the feature agent takes one burst every 16 passes of the others */
	for (uint64_t pass = 0; !st->done && pass < 50000000; pass++) {
		rt_work(da);
		rt_work(&drt[AGENT_EXECUTION]);
		rt_work(&drt[AGENT_RISK]);
		if (pass % 16 == 0)
			rt_work(&drt[AGENT_FEATURE]);
	}
	cr_assert(st->done, "the replay finished");
	for (int quiet = 0; quiet < 3;) {
		int w = rt_work(da);
		for (uint32_t i = 0; i < 3; i++)
			w += rt_work(&drt[md[i]]);
		quiet = w ? 0 : quiet + 1;
	}
	cr_expect_eq(st->books, want_books);
	cr_expect_eq(st->trades, want_trades);
	cr_expect_eq(st->bad_rows, 0);
	cr_expect_eq(st->pace, REPLAY_MAX);
	struct seg *s = &da->seg;
	uint64_t conflated = 0;
	for (uint32_t i = 0; i < 3; i++) {
		char name[RING_NAME_MAX];
		snprintf(name, sizeof(name), "md_%s", rt_agent_names[md[i]]);
		struct ring_stats rs;
		ring_stats(seg_ring(s, (uint32_t)seg_ring_find(s, name)), &rs);
		cr_expect_eq(d_trades[md[i]], want_trades, "%s: every trade (%llu of %llu)", name,
			     (unsigned long long)d_trades[md[i]], (unsigned long long)want_trades);
		cr_expect_eq(d_books[md[i]] + rs.dropped, want_books,
			     "%s: books seen %llu + conflated %llu = %llu", name,
			     (unsigned long long)d_books[md[i]], (unsigned long long)rs.dropped,
			     (unsigned long long)want_books);
		cr_expect_eq(rs.pending, 0);
		conflated += rs.dropped;
	}
	cr_expect_gt(conflated, 0, "the slow consumer made the ring conflate");
	cr_expect_eq(d_trade_backwards, 0, "trades in order");
	cr_expect_gt(atomic_load(&da->slot->ctr.backpressure), 0, "trades met a full ring");

	/* the summary counts it and says the result depends on the machine */
	char out[600];
	snprintf(out, sizeof(out), "%s/summary.txt", rundir);
	cr_expect_eq(t_system("'%s/dm-shmdump' --name '%s' --summary >'%s'", bindir, segname, out), 0);
	cr_expect_eq(t_system("grep -q '^WARNING: %llu messages conflated (md_feature' '%s'",
			      (unsigned long long)conflated, out), 0, "conflation warned, per ring");
	cr_expect_eq(t_system("grep -q '^WARNING: at --pace max this result depends on the machine' "
			      "'%s' && grep -q 'pace lockstep, or the in-process backtest (dm-backtest' "
			      "'%s'", out, out), 0, "the reproducible alternatives are named");
	cr_expect_eq(t_system("'%s/dm-shmdump' --name '%s' --summary --json | "
			      "grep -q '\"machine_speed_dependent\": *true'", bindir, segname), 0);
	snprintf(out, sizeof(out), "%s/%s", rundir, AG_DATA_DONE_FILE);
	cr_expect_eq(t_system("grep -qx 'trades %llu' '%s' && grep -qx 'bad_rows 0' '%s'",
			      (unsigned long long)want_trades, out, out), 0, "data.done");
}

/*
 * Lockstep: each event goes to risk, then execution, then feature, the
 * system quiet between two.  The feature's copy is stamped again as it
 * goes out, so its ingress time, where tick-to-order starts, comes after
 * risk and execution took theirs: the quiet waits are the replay's order,
 * not the order path's.  Every event reaches the three in that order.
 */
Test(data_agent, lockstep_starts_the_tick_to_order_clock_at_the_order_path, .timeout = 120)
{
	char journal[512];
	d_market(journal, sizeof(journal), 4, 2000);
	d_consumers_open();
	struct rt *da = &drt[AGENT_DATA];
	const struct ag_data_state *st = d_data_start(journal, "lockstep");
	cr_assert_eq(st->pace, REPLAY_LOCKSTEP);
	d_stamps = 1;
	for (int quiet = 0; quiet < 3;) {
		int w = rt_work(da);
		for (uint32_t i = 0; i < 3; i++)
			w += rt_work(&drt[d_cons[i]]);
		quiet = w || !st->done ? 0 : quiet + 1;
	}
	d_stamps = 0;
	uint64_t events = st->books + st->trades;
	cr_assert_gt(events, 1000);
	cr_expect_eq(d_stamp_checked, events, "every event reached feature (%llu of %llu)",
		     (unsigned long long)d_stamp_checked, (unsigned long long)events);
	cr_expect_eq(d_phase_wrong, 0, "risk and execution took each event before feature");
	cr_expect_eq(d_stamp_early, 0,
		     "%llu feature copies stamped before risk or execution took the event",
		     (unsigned long long)d_stamp_early);
}

/*
 * The end of the replay: MSG_END once on every md ring, after the last
 * event, with that event's exchange time.  A restarted agent that is done
 * sends nothing again; one killed after the first ring had it sends it on
 * the other rings only.
 */
Test(data_agent, the_end_goes_once_on_every_md_ring, .timeout = 120)
{
	char journal[512];
	d_market(journal, sizeof(journal), 5, 500);
	const uint32_t *md = d_cons;
	d_consumers_open();
	struct rt_args a = { .name = segname, .run_dir = rundir,
			     .opt = { [AG_DATA_OPT_INPUT] = journal, [AG_DATA_OPT_PACE] = "max" } };
	struct rt *da = &drt[AGENT_DATA];
	for (int start = 0; start < 3; start++) {
		struct ag_data_state *st = d_data_start(journal, "max");
		for (int quiet = 0; quiet < 3;) {
			int w = rt_work(da);
			for (uint32_t i = 0; i < 3; i++)
				w += rt_work(&drt[md[i]]);
			quiet = w ? 0 : quiet + 1;
		}
		cr_assert(st->done);
		cr_assert_eq(st->end_sent, 1);
		for (uint32_t i = 0; i < 3; i++) {
			uint32_t g = md[i];
			/* feature got it twice after the simulated kill below */
			uint64_t want = start == 2 && g != AGENT_FEATURE ? 2 : 1;
			cr_expect_eq(d_ends[g], want, "start %d, %s: %llu ends", start,
				     rt_agent_names[g], (unsigned long long)d_ends[g]);
			cr_expect_eq(d_end_ns[g], st->last_exch_ns);
			cr_expect_eq(d_end_ns[g], d_last_ns[g], "the last event's exchange time");
		}
		ag_data_close(da);
		d_glue = 0;
		rt_close(da);
		d_open[AGENT_DATA] = 0;
		if (start == 1) {
			/* as if killed after md_feature had it: the state says so */
			cr_assert_eq(rt_open(da, AGENT_DATA, &a, AG_DATA_VERSION,
					     sizeof(struct ag_data_state),
					     RT_O_NO_SIGNALS | RT_O_NO_PIN), 0);
			struct ag_data_state *w = da->app;
			uint64_t feature_bit = 0; /* end_mask: by md ring, in output order */
			for (uint32_t j = 0, k = 0; j < da->n_out; j++) {
				if (strncmp(da->out[j].name, "md_", 3) != 0)
					continue;
				if (strcmp(da->out[j].name, "md_feature") == 0)
					feature_bit = 1ull << k;
				k++;
			}
			cr_assert_neq(feature_bit, 0);
			w->end_sent = 0;
			w->end_mask = feature_bit;
			rt_close(da);
		}
	}
}

/* dm-agent-data as its own process on input it must refuse: exit 2 and
 * one line naming the file and the cause (never a crash code) */
static void refused_input(const char *input, const char *want1, const char *want2)
{
	char err[600];
	snprintf(err, sizeof(err), "%s/data.err", rundir);
	int rc = t_system("'%s/dm-agent-data' --name '%s' --run-dir '%s' --input '%s' 2>'%s' "
			  ">/dev/null", bindir, segname, rundir, input, err);
	cr_expect_eq(rc, 2, "%s: exit 2 (got %d)", input, rc);
	/* the attach line, then the one line that says why */
	cr_expect_eq(t_system("grep -v 'attached\\|exit:' '%s' | wc -l | grep -qx 1", err), 0,
		     "one line of reason for %s", input);
	cr_expect_eq(t_system("grep -qF -- '%s' '%s'", want1, err), 0, "names '%s'", want1);
	if (want2)
		cr_expect_eq(t_system("grep -qF -- '%s' '%s'", want2, err), 0, "names '%s'", want2);
	if (rc != 2 || t_system("grep -qF -- '%s' '%s'", want1, err) != 0)
		t_system("cat '%s' >&2", err);
}

Test(data_agent, unreadable_input_exits_2_with_one_line)
{
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/no-such.journal", rundir);
	refused_input(missing, missing, "No such file");
	refused_input(rundir, rundir, NULL); /* a directory */
	struct seg s;
	cr_assert_eq(seg_attach(&s, segname, 1, msg_layout_hash()), 0);
	const struct ag_data_state *st = rt_app_of(&s, AGENT_DATA);
	cr_expect_eq(st->input_error, 1, "the segment records it");
	seg_close(&s);
}

/* An agent whose supervisor (DM_SUPERVISED, its pid) died before the agent
 * got to install its parent-death signal drains at once instead of living
 * on under init. */
Test(data_agent, an_agent_whose_supervisor_is_already_gone_drains)
{
	char err[600];
	snprintf(err, sizeof(err), "%s/orphan.err", rundir);
	/* no process is its parent under that pid: the supervisor is gone */
	int rc = t_system("DM_SUPERVISED=999999999 timeout 20 '%s/dm-agent-risk' --name '%s' "
			  "--run-dir '%s' 2>'%s' >/dev/null", bindir, segname, rundir, err);
	cr_expect_neq(rc, 124, "still running after 20 s");
	cr_expect_eq(rc, 0, "drained and left (exit %d)", rc);
	cr_expect_eq(t_system("grep -qF 'supervisor 999999999 is gone' '%s'", err), 0,
		     "says why");
	if (rc != 0)
		t_system("cat '%s' >&2", err);
}

/*
 * A corrupt record in the middle of the input stops the replay there: the
 * events before it are published, the segment says "stopped" with the
 * record's offset (found by walking the file), data.done has
 * "input_error 1" and a "stopped" line naming the file and the offset;
 * under --exit-at-end the agent leaves with exit 2 (bad input).
 */
Test(data_agent, corrupt_record_stops_the_replay_and_says_where, .timeout = 60)
{
	char path[600], err[700], want[800];
	snprintf(path, sizeof(path), "%s/damaged.journal", rundir);
	snprintf(err, sizeof(err), "%s/data.err", rundir);
	t_write_win_journal(path, 600, 5, 0, 0);
	int64_t off = t_journal_damage(path, 400); /* events 0..399 stay readable */
	int rc = t_system("'%s/dm-agent-data' --name '%s' --run-dir '%s' --input '%s' --exit-at-end "
			  "2>'%s'", bindir, segname, rundir, path, err);
	cr_expect_eq(rc, 2, "exit %d", rc);

	struct seg s;
	cr_assert_eq(seg_attach(&s, segname, 1, msg_layout_hash()), 0);
	const struct ag_data_state *st = rt_app_of(&s, AGENT_DATA);
	cr_expect_eq(st->events, 400, "the events before the bad record");
	cr_expect_eq(st->done, 1);
	cr_expect_eq(st->input_error, 1);
	snprintf(want, sizeof(want), "%s: corrupt record at offset %lld", path, (long long)off);
	cr_expect(strstr(st->input_error_text, want) != NULL, "'%s' lacks '%s'",
		  st->input_error_text, want);
	json_t *o = ag_data_dump_json(st);
	cr_expect_str_eq(json_string_value(json_object_get(o, "replay")), "stopped");
	cr_expect(json_is_false(json_object_get(o, "replay_done")));
	json_decref(o);
	seg_close(&s);

	char done[600];
	snprintf(done, sizeof(done), "%s/%s", rundir, AG_DATA_DONE_FILE);
	char *text = t_file_text(done, NULL);
	cr_expect(strstr(text, "events 400\n") != NULL, "%s", text);
	cr_expect(strstr(text, "input_error 1\n") != NULL, "%s", text);
	snprintf(want, sizeof(want), "\nstopped %s: corrupt record at offset %lld", path,
		 (long long)off);
	cr_expect(strstr(text, want) != NULL, "'%s' lacks '%s'", text, want);
	free(text);
}

/*
 * A journal cut in the middle of a record (a copy that stopped) ends in a
 * torn tail: the reader counts it as one bad row, and the replay is
 * stopped, not done, naming where the file was cut.
 */
Test(data_agent, journal_cut_mid_record_stops_the_replay, .timeout = 60)
{
	char path[600], err[700], want[800];
	snprintf(path, sizeof(path), "%s/cut.journal", rundir);
	snprintf(err, sizeof(err), "%s/data.err", rundir);
	t_write_win_journal(path, 600, 5, 0, 0);
	int64_t off = t_journal_record_off(path, 300, NULL);
	cr_assert_eq(truncate(path, off + 30), 0); /* 30 bytes of record 300 */
	int rc = t_system("'%s/dm-agent-data' --name '%s' --run-dir '%s' --input '%s' --exit-at-end "
			  "2>'%s'", bindir, segname, rundir, path, err);
	cr_expect_eq(rc, 2, "exit %d", rc);
	struct seg s;
	cr_assert_eq(seg_attach(&s, segname, 1, msg_layout_hash()), 0);
	const struct ag_data_state *st = rt_app_of(&s, AGENT_DATA);
	cr_expect_eq(st->events, 300);
	cr_expect_eq(st->bad_rows, 1, "the torn tail");
	cr_expect_eq(st->input_error, 1);
	snprintf(want, sizeof(want), "%s: ends mid-record at offset %lld (30 bytes after the last "
		 "whole record)", path, (long long)off);
	cr_expect(strstr(st->input_error_text, want) != NULL, "'%s' lacks '%s'",
		  st->input_error_text, want);
	json_t *o = ag_data_dump_json(st);
	cr_expect_str_eq(json_string_value(json_object_get(o, "replay")), "stopped");
	json_decref(o);
	seg_close(&s);
}

/*
 * An agent never writes a journal through a symbolic link planted under
 * its name: ag_journal_open refuses with -DM_ECONFIG (exit 2: a restart
 * would meet the same link), logs why, and the file it points to keeps
 * its bytes.
 */
Test(data_agent, journal_behind_a_symbolic_link_refused)
{
	char victim[600], lnk[600];
	snprintf(victim, sizeof(victim), "%s/victim", rundir);
	snprintf(lnk, sizeof(lnk), "%s/%s", rundir, AG_DECISIONS_JOURNAL);
	t_write_file(victim, "precious\n");
	cr_assert_eq(symlink(victim, lnk), 0);
	struct rt_args a = { .name = segname, .run_dir = rundir };
	cr_assert_eq(rt_open(&drt[AGENT_COORDINATOR], AGENT_COORDINATOR, &a, 1, 64,
			     RT_O_NO_SIGNALS | RT_O_NO_PIN), 0);
	d_open[AGENT_COORDINATOR] = 1;
	struct journal_writer w;
	cr_expect_eq(ag_journal_open(&drt[AGENT_COORDINATOR], &w, AG_DECISIONS_JOURNAL, 0),
		     -DM_ECONFIG);
	cr_expect(strstr(rt_last_log(), "is a symbolic link") != NULL, "%s", rt_last_log());
	char *text = t_file_text(victim, NULL);
	cr_expect_str_eq(text, "precious\n");
	free(text);
}

/* a journal whose header names its instrument */
static void write_instr_journal(const char *path, const char *sym, const char *tick,
				const char *ccy)
{
	struct journal_writer w;
	struct journal_opts o = { .symbol = sym, .tick_size = tick, .lot_size = "1",
				  .currency = ccy, .point_value = 1.0,
				  .flags = JOURNAL_W_NO_URING };
	unlink(path); /* the writer does not replace a file */
	cr_assert_eq(journal_open_write(&w, path, &o), 0, "%s", path);
	struct event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_TRADE;
	ev.exch_ns = ev.recv_ns = 1641211200000000000ll;
	ev.trade.px = 26000;
	ev.trade.qty = 1;
	cr_assert_eq(journal_append_event(&w, &ev), 0);
	cr_assert_eq(journal_close(&w), 0);
}

Test(data_agent, journal_of_another_instrument_exits_2_naming_both)
{
	char path[600], err[700];
	snprintf(path, sizeof(path), "%s/aapl.journal", rundir);
	snprintf(err, sizeof(err), "%s/data.err", rundir);
	write_instr_journal(path, "AAPL", "0.01", "USD");
	refused_input(path, "holds AAPL (tick 0.01 USD, lot 1)", "trades WIN (tick 5 BRL, lot 1)");
	cr_expect_eq(t_system("grep -qF -- '-c FILE whose instrument has symbol AAPL, tick_size "
			      "0.01 and lot_size 1' '%s'", err), 0, "the fix");
	write_instr_journal(path, "WIN", "0.5", "BRL");
	refused_input(path, "holds WIN (tick 0.5 BRL, lot 1)", NULL);

	/* the configured instrument, its tick written another way, or one of
	 * its contracts: replayed */
	static const char *const same[][2] = { { "WIN", "5" }, { "WIN", "5.000" },
					       { "WING22", "5" } };
	for (size_t i = 0; i < 3; i++) {
		write_instr_journal(path, same[i][0], same[i][1], "BRL");
		int rc = t_system("'%s/dm-agent-data' --name '%s' --run-dir '%s' --input '%s' "
				  "--exit-at-end 2>'%s'", bindir, segname, rundir, path, err);
		cr_expect_eq(rc, 0, "%s tick %s is WIN's (exit %d)", same[i][0], same[i][1], rc);
		if (rc != 0)
			t_system("cat '%s' >&2", err);
		/* a fresh segment for the next: the replay's progress lives in it */
		seg_unlink(segname);
		struct rt_config c;
		struct seg_spec spec;
		struct seg s;
		rt_config_defaults(&c);
		cr_assert_eq(topology_spec(&c, segname, &spec), 0);
		cr_assert_eq(seg_create(&s, &spec, rt_now_ns()), 0);
		seg_close(&s);
	}
}

/* ------------------------------------------------------------------
 * The coordinator's vote in one process: the coordinator glue runs on a
 * real segment while the test plays ml (intents) and the three voters
 * (vote requests in, votes out) through their own runtime handles, and
 * keeps every heartbeat fresh unless a test makes one stale.
 */

static struct rt crt[AGENT_COUNT];
static int c_open[AGENT_COUNT];
static int64_t stale_at[AGENT_COUNT]; /* != 0: heartbeat frozen there */

static void c_setup(void)
{
	struct rt_config c;
	struct seg_spec spec;
	struct seg s;
	rt_config_defaults(&c);
	t_seg_name(segname, sizeof(segname), "coord");
	snprintf(rundir, sizeof(rundir), "/tmp%s", segname);
	cr_assert_eq(topology_spec(&c, segname, &spec), 0);
	cr_assert_eq(seg_create(&s, &spec, rt_now_ns()), 0);
	seg_close(&s);
}

static void c_teardown(void)
{
	for (int a = 0; a < AGENT_COUNT; a++)
		if (c_open[a]) {
			if (a == AGENT_COORDINATOR)
				ag_coord_close(&crt[a]);
			rt_close(&crt[a]);
			c_open[a] = 0;
		}
	seg_unlink(segname);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rundir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", rundir);
}

TestSuite(coordinator, .init = c_setup, .fini = c_teardown);

/* open every agent; the coordinator with its glue (after the env is set) */
static void c_start(void)
{
	static const uint32_t sizes[AGENT_COUNT] = {
		[AGENT_COORDINATOR] = sizeof(struct coord_state),
	};
	for (uint32_t a = 0; a < AGENT_COUNT; a++) {
		struct rt_args args = { .name = segname, .run_dir = rundir };
		uint32_t v = a == AGENT_COORDINATOR ? AG_COORD_VERSION : 1;
		cr_assert_eq(rt_open(&crt[a], a, &args, v, sizes[a] ? sizes[a] : 64,
				     RT_O_NO_SIGNALS | RT_O_NO_PIN), 0, "open %s", rt_agent_names[a]);
		c_open[a] = 1;
		rt_running(&crt[a]);
	}
	cr_assert_eq(ag_coord_init(&crt[AGENT_COORDINATOR]), 0);
}

static void c_beat(void)
{
	int64_t now = rt_now_ns();
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		agent_heartbeat(crt[a].slot, stale_at[a] ? stale_at[a] : now);
}

/* run the coordinator for ms milliseconds (at least one pass) */
static void c_pump(int ms)
{
	int64_t end = rt_now_ns() + (int64_t)ms * 1000000;
	do {
		c_beat();
		rt_work(&crt[AGENT_COORDINATOR]);
	} while (rt_now_ns() < end);
}

/* An intent as ml sends it: to the coordinator and, with the default
 * vote.fanout, to the three voters */
static void c_intent(int side, int64_t px)
{
	static uint64_t next_intent = 77;
	struct rt *ml = &crt[AGENT_ML];
	struct msg_intent it;
	memset(&it, 0, sizeof(it));
	it.hdr.type = MSG_INTENT;
	it.hdr.size = sizeof(it);
	it.hdr.ingress_ns = rt_now_ns();
	it.intent_id = next_intent++;
	it.px = px;
	it.qty = 1;
	it.side = (int8_t)side;
	it.ord_type = ORD_LIMIT;
	it.tif = TIF_IOC;
	static const char *const fan[] = { "intents_risk", "intents_execution", "intents_feature" };
	for (size_t i = 0; i < sizeof(fan) / sizeof(fan[0]); i++)
		cr_assert_eq(rt_send(ml, (uint32_t)rt_out_find(ml, fan[i]), &it, sizeof(it)), 0);
	cr_assert_eq(rt_send(ml, (uint32_t)rt_out_find(ml, "intents"), &it, sizeof(it)), 0);
	rt_ring_bells(ml);
}

/* the voter answers the vote request waiting for it; 0 if none waits */
static int c_vote(uint32_t agent, uint8_t verdict, uint32_t reason)
{
	struct rt *v = &crt[agent];
	char name[RING_NAME_MAX];
	struct msg_vote_req q;
	struct msg_intent it;
	/* vote.fanout (the default): the intent itself, from ml */
	snprintf(name, sizeof(name), "intents_%s", rt_agent_names[agent]);
	if (ring_try_pop(v->in[rt_in_find(v, name)].r, &it, sizeof(it)) == 0) {
		cr_assert_eq(it.hdr.type, MSG_INTENT);
		msg_vote_req_of_intent(&q, &it);
	} else {
		snprintf(name, sizeof(name), "vote_req_%s", rt_agent_names[agent]);
		struct ring *in = v->in[rt_in_find(v, name)].r;
		do /* how earlier ballots ended (MSG_VOTE_DONE) comes on the same ring */
			if (ring_try_pop(in, &q, sizeof(q)) != 0)
				return 0;
		while (q.hdr.type == MSG_VOTE_DONE);
		cr_assert_eq(q.hdr.type, MSG_VOTE_REQ);
	}
	struct msg_vote m;
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_VOTE;
	m.hdr.size = sizeof(m);
	m.decision_id = q.decision_id;
	m.intent_id = q.intent_id;
	m.voter = (uint16_t)rt_agent_role[agent];
	m.verdict = verdict;
	m.reason = reason;
	snprintf(name, sizeof(name), "votes_%s", rt_agent_names[agent]);
	cr_assert_eq(rt_send(v, (uint32_t)rt_out_find(v, name), &m, sizeof(m)), 0);
	return 1;
}

/* orders the coordinator published */
static uint64_t c_orders(void)
{
	struct rt *co = &crt[AGENT_COORDINATOR];
	struct ring_stats st;
	ring_stats(co->out[rt_out_find(co, "orders")].r, &st);
	return st.head;
}

/* the last decision journaled */
static int c_last_decision(struct vote_record *out)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", rundir, AG_DECISIONS_JOURNAL);
	struct journal_reader jr;
	if (journal_open_read(&jr, path, 0) != 0)
		return 0;
	const struct jrec *r;
	int n = 0;
	while (journal_next(&jr, &r) == 1)
		if (r->type == JREC_DECISION && r->len == sizeof(*out)) {
			memcpy(out, r->payload, sizeof(*out));
			n++;
		}
	journal_reader_close(&jr);
	return n;
}

Test(coordinator, approving_voters_release_the_order)
{
	c_start();
	c_pump(1);
	c_intent(SIDE_BUY, 26000);
	c_pump(1);
	cr_assert(c_vote(AGENT_RISK, VOTE_APPROVE, VOTE_R_APPROVED));
	cr_assert(c_vote(AGENT_EXECUTION, VOTE_APPROVE, VOTE_R_APPROVED));
	cr_assert(c_vote(AGENT_FEATURE, VOTE_APPROVE, VOTE_R_APPROVED));
	c_pump(1);
	cr_expect_eq(c_orders(), 1);
	struct vote_record d;
	cr_assert_eq(c_last_decision(&d), 1);
	cr_expect_eq(d.outcome, VOTE_RELEASE);
	cr_expect_eq(d.client_order_id, d.decision_id, "the client order id is the decision id");
	cr_expect_eq(d.px, 26000);
	cr_expect_eq(d.side, SIDE_BUY);
	struct msg_order o;
	struct rt *ex = &crt[AGENT_EXECUTION];
	cr_assert_eq(ring_try_pop(ex->in[rt_in_find(ex, "orders")].r, &o, sizeof(o)), 0);
	cr_expect_eq(o.decision_id, d.decision_id);
	cr_expect_eq(o.client_order_id, d.decision_id);

	/* what a monitor sees of it */
	json_t *j = rt_dump_json(&crt[AGENT_COORDINATOR].seg);
	json_t *co = json_object_get(json_object_get(j, "agents"), "coordinator");
	cr_expect_eq(json_integer_value(json_object_get(co, "released")), 1);
	json_t *dec = json_array_get(json_object_get(j, "decisions"), 0);
	cr_assert_not_null(dec);
	cr_expect_str_eq(json_string_value(json_object_get(dec, "outcome")), "release");
	cr_expect_eq(json_array_size(json_object_get(dec, "votes")), 3);
	/* the test's stand-in ml has no ml state of this layout: not shown */
	cr_expect_null(json_object_get(json_object_get(json_object_get(j, "agents"), "ml"),
				       "intents"));
	json_decref(j);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	rt_dump_text(&crt[AGENT_COORDINATOR].seg, f);
	fclose(f);
	cr_expect(strstr(text, "released 1") != NULL, "text: %s", text);
	free(text);
}

Test(coordinator, risk_veto_blocks_the_order)
{
	c_start();
	c_pump(1);
	c_intent(SIDE_SELL, 26000);
	c_pump(1);
	cr_assert(c_vote(AGENT_EXECUTION, VOTE_APPROVE, VOTE_R_APPROVED));
	cr_assert(c_vote(AGENT_FEATURE, VOTE_APPROVE, VOTE_R_APPROVED));
	cr_assert(c_vote(AGENT_RISK, VOTE_REJECT, VOTE_R_POS_LIMIT));
	c_pump(1);
	cr_expect_eq(c_orders(), 0, "no order");
	struct vote_record d;
	cr_assert_eq(c_last_decision(&d), 1);
	cr_expect_eq(d.outcome, VOTE_BLOCK);
	cr_expect_eq(d.reason, VOTE_R_VETOED);
	cr_expect_eq(d.decisive, 0);
	cr_expect_eq(d.v[0].reason, VOTE_R_POS_LIMIT);
	cr_expect_eq(d.client_order_id, 0);
}

Test(coordinator, missing_vote_at_deadline_blocks_the_order)
{
	setenv("DM_VOTE_DEADLINE_US", "20000", 1);
	c_start();
	c_pump(1);
	c_intent(SIDE_BUY, 26000);
	c_pump(1);
	cr_assert(c_vote(AGENT_EXECUTION, VOTE_APPROVE, VOTE_R_APPROVED));
	cr_assert(c_vote(AGENT_FEATURE, VOTE_APPROVE, VOTE_R_APPROVED));
	c_pump(5);
	struct vote_record d;
	cr_expect_eq(c_last_decision(&d), 0, "undecided before the deadline");
	c_pump(30); /* risk never answers */
	cr_expect_eq(c_orders(), 0, "no order");
	cr_assert_eq(c_last_decision(&d), 1);
	cr_expect_eq(d.outcome, VOTE_BLOCK);
	cr_expect_eq(d.reason, VOTE_R_DEADLINE);
	cr_expect_eq(d.v[0].verdict, VOTE_V_NONE, "risk's vote missing");
	cr_expect_geq(d.decided_ns, d.deadline_ns);
	/* a vote after the decision changes nothing */
	cr_assert(c_vote(AGENT_RISK, VOTE_APPROVE, VOTE_R_APPROVED));
	c_pump(1);
	cr_expect_eq(c_orders(), 0);
	cr_expect_eq(((struct coord_state *)crt[AGENT_COORDINATOR].app)->late_votes, 1);
}

Test(coordinator, stale_voter_blocks_the_order)
{
	setenv("DM_VOTE_QUORUM", "all", 1);
	c_start();
	c_pump(1);
	c_intent(SIDE_BUY, 26000);
	c_pump(1);
	/* feature stops beating with its vote outstanding */
	stale_at[AGENT_FEATURE] = rt_now_ns() - 10ll * 1000000000;
	cr_assert(c_vote(AGENT_RISK, VOTE_APPROVE, VOTE_R_APPROVED));
	cr_assert(c_vote(AGENT_EXECUTION, VOTE_APPROVE, VOTE_R_APPROVED));
	c_pump(2);
	cr_expect_eq(c_orders(), 0, "no order");
	struct vote_record d;
	cr_assert_eq(c_last_decision(&d), 1);
	cr_expect_eq(d.outcome, VOTE_BLOCK);
	cr_expect_eq(d.reason, VOTE_R_NO_QUORUM);
	cr_expect_eq(d.v[2].voter, AGENT_FEATURE);
	cr_expect_eq(d.v[2].verdict, VOTE_V_REJECT);
	cr_expect_eq(d.v[2].reason, VOTE_R_STALE_VOTER);
}

Test(coordinator, agent_down_or_halt_blocks_before_any_vote)
{
	c_start();
	stale_at[AGENT_DATA] = rt_now_ns() - 10ll * 1000000000;
	c_pump(60); /* a health check sees data down */
	c_intent(SIDE_BUY, 26000);
	c_pump(1);
	struct vote_record d;
	cr_assert_eq(c_last_decision(&d), 1);
	cr_expect_eq(d.outcome, VOTE_BLOCK);
	cr_expect_eq(d.reason, VOTE_R_ROLE_DOWN);
	/* no request went out; risk, which has the intent from ml (vote
	 * fan-out), hears at once that it ended, by the intent's id */
	struct rt *rk = &crt[AGENT_RISK];
	struct ring *req = rk->in[rt_in_find(rk, "vote_req_risk")].r;
	struct msg_vote_done dn;
	cr_assert_eq(ring_try_pop(req, &dn, sizeof(dn)), 0, "risk told the intent's end");
	cr_expect_eq(dn.hdr.type, MSG_VOTE_DONE);
	cr_expect_eq(dn.decision_id, d.decision_id);
	cr_expect_eq(dn.intent_id, d.intent_id);
	cr_expect_eq(dn.outcome, VOTE_BLOCK);
	cr_expect_eq(dn.reason, VOTE_R_ROLE_DOWN);
	cr_expect_neq(ring_try_pop(req, &dn, sizeof(dn)), 0, "and nothing else: no request");

	stale_at[AGENT_DATA] = 0;
	atomic_fetch_or(&crt[AGENT_COORDINATOR].st->flags, RT_SF_HALTED);
	c_intent(SIDE_BUY, 26000);
	c_pump(1);
	cr_assert_eq(c_last_decision(&d), 2);
	cr_expect_eq(d.reason, VOTE_R_HALTED);
	cr_expect_eq(c_orders(), 0);
}

Test(coordinator, decision_ids_are_unique_across_a_restart)
{
	c_start();
	c_pump(1);
	c_intent(SIDE_BUY, 26000);
	c_pump(1);
	c_vote(AGENT_RISK, VOTE_APPROVE, VOTE_R_APPROVED);
	c_vote(AGENT_EXECUTION, VOTE_APPROVE, VOTE_R_APPROVED);
	c_vote(AGENT_FEATURE, VOTE_APPROVE, VOTE_R_APPROVED);
	c_pump(1);
	struct vote_record d1, d2;
	cr_assert_eq(c_last_decision(&d1), 1);
	/* a new coordinator process on the same segment */
	ag_coord_close(&crt[AGENT_COORDINATOR]);
	rt_close(&crt[AGENT_COORDINATOR]);
	struct rt_args args = { .name = segname, .run_dir = rundir };
	cr_assert_eq(rt_open(&crt[AGENT_COORDINATOR], AGENT_COORDINATOR, &args, AG_COORD_VERSION,
			     sizeof(struct coord_state), RT_O_NO_SIGNALS | RT_O_NO_PIN), 0);
	cr_assert_eq(ag_coord_init(&crt[AGENT_COORDINATOR]), 0);
	rt_running(&crt[AGENT_COORDINATOR]);
	c_pump(1);
	c_intent(SIDE_SELL, 26000);
	c_pump(1);
	c_vote(AGENT_RISK, VOTE_APPROVE, VOTE_R_APPROVED);
	c_vote(AGENT_EXECUTION, VOTE_APPROVE, VOTE_R_APPROVED);
	c_vote(AGENT_FEATURE, VOTE_APPROVE, VOTE_R_APPROVED);
	c_pump(1);
	cr_assert_eq(c_last_decision(&d2), 2);
	cr_expect_neq(d1.decision_id, d2.decision_id);
	cr_expect_eq(d2.client_order_id, d1.client_order_id + 1);
	cr_expect_eq(c_orders(), 2);
}

/* ------------------------------------------------------------------
 * Chaos: during a paced replay of 100k events, kill -9 a running agent
 * every 200-500 ms (20 kills, every agent at least three times) and
 * 'dmctl restart' each agent once.  Afterwards: no client order id names
 * two orders, no coid is filled twice, every fill the venue made reached
 * risk (its fill count and position equal the venue's), and every order
 * has an approving decision.
 */

TestSuite(chaos, .init = setup, .fini = teardown);

/* wait until agent a runs (alive pid, state running); its pid or 0 */
static int running_pid(struct seg *s, uint32_t a, int timeout_ms)
{
	int64_t end = t_now_ns() + (int64_t)timeout_ms * 1000000;
	do {
		struct agent_slot *sl = seg_agent(s, a);
		int32_t p = atomic_load(&sl->pid);
		if (p > 0 && atomic_load(&sl->state) == AGENT_RUNNING && kill(p, 0) == 0)
			return p;
		usleep(10 * 1000);
	} while (t_now_ns() < end);
	return 0;
}

/* The venue's sums since the run began, from execution's state region. */
static const struct venue_totals *venue_of(const struct seg *s)
{
	return venue_totals(execsvc_venue_of(rt_app_of(s, AGENT_EXECUTION)));
}

#define CHAOS_KILLS 20
#define MAX_FILLS   8192

struct fill {
	uint64_t exec_id, coid;
	int64_t  px;
	int32_t  qty;
	int8_t   side;
};

/* A dm-gen market (seed, events) replayed by dmctl start at realtime x
 * speed, and the segment attached read-only in s. */
static void start_paced(struct seg *s, int seed, int events, int speed)
{
	char journal[512];
	snprintf(journal, sizeof(journal), "%s/market.journal", rundir);
	cr_assert_eq(t_system("'%s/dm-gen' --seed %d --events %d --output '%s' --quiet >/dev/null",
			      bindir, seed, events, journal), 0, "dm-gen");
	int rc = t_system("'%s' start --input '%s' --pace realtime --speed %d >'%s/start.out' 2>&1",
			  dmctl, journal, speed, rundir);
	if (rc != 0)
		t_show_logs(rundir, 20);
	cr_assert_eq(rc, 0, "dmctl start");
	cr_assert_eq(seg_attach(s, segname, 1, msg_layout_hash()), 0);
}

Test(chaos, kill9_and_restarts_during_a_replay_lose_nothing, .timeout = 600)
{
	char path[512];
	setenv("DMCTL_CRASH_LIMIT", "100", 1); /* the kills are deliberate */
	struct seg s;
	start_paced(&s, 3, 100000, 20);
	int rc;

	/* the plan: 3 kills per agent + 2 more, and one restart per agent */
	uint32_t plan[CHAOS_KILLS + AGENT_COUNT];
	uint32_t n = 0;
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		for (int k = 0; k < 3; k++)
			plan[n++] = a;
	plan[n++] = AGENT_EXECUTION;
	plan[n++] = AGENT_RISK;
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		plan[n++] = 100 + a; /* >= 100: dmctl restart */
	struct t_rng g;
	t_rng_seed(&g, (uint64_t)getpid());
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)t_rng_below(&g, i + 1), t = plan[i];
		plan[i] = plan[j];
		plan[j] = t;
	}
	uint32_t kills[AGENT_COUNT] = { 0 }, restarts = 0, during = 0;
	snprintf(path, sizeof(path), "%s/data.done", rundir);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = plan[i] % 100;
		cr_assert_lt(a, AGENT_COUNT);
		int pid = running_pid(&s, a, 20000);
		if (!pid)
			t_show_logs(rundir, 20);
		cr_assert_gt(pid, 0, "%s back and running", rt_agent_names[a]);
		if (!t_exists(path))
			during++;
		if (plan[i] >= 100) {
			rc = t_system("'%s' restart %s >>'%s/restart.out' 2>&1", dmctl,
				      rt_agent_names[a], rundir);
			cr_expect_eq(rc, 0, "dmctl restart %s", rt_agent_names[a]);
			restarts++;
		} else {
			kill(pid, SIGKILL);
			kills[a]++;
		}
		usleep((useconds_t)(200 + t_rng_below(&g, 301)) * 1000);
	}
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		cr_expect_geq(kills[a], 2, "%s killed at least twice", rt_agent_names[a]);
	cr_expect_eq(restarts, AGENT_COUNT);
	cr_log_info("%u of %u actions during the replay", during, n);
	cr_expect_geq(during, n / 2, "most of the chaos happened during the replay");

	int done = t_wait_file(path, 240);
	if (!done)
		t_show_logs(rundir, 20);
	cr_assert(done, "the replay finished");
	cr_assert(wait_drained(), "every ring drained and every ballot decided");
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		cr_expect_gt(running_pid(&s, a, 5000), 0, "%s running at the end", rt_agent_names[a]);
	const struct riskd_state *rs = rt_app_of(&s, AGENT_RISK);
	struct risk_state pos = rs->rs[rs->cur & 1];
	struct venue_totals vt = *venue_of(&s);
	seg_close(&s);
	rc = t_system("'%s' stop >'%s/stop.out' 2>&1", dmctl, rundir);
	cr_assert_eq(rc, 0, "dmctl stop");
	cr_expect_eq(t_system("grep -q 'giving up' '%s/supervisor.log'", rundir), 1,
		     "the supervisor never gave up");
	t_expect_clean_logs(rundir);

	/* decisions: (decision id, outcome, coid) */
	static struct vote_record dec[MAX_DECISIONS];
	uint32_t n_dec = 0;
	struct journal_reader jr;
	const struct jrec *r;
	snprintf(path, sizeof(path), "%s/%s", rundir, AG_DECISIONS_JOURNAL);
	cr_assert_eq(journal_open_read(&jr, path, JOURNAL_VERIFY), 0);
	while ((rc = journal_next(&jr, &r)) == 1 && n_dec < MAX_DECISIONS)
		memcpy(&dec[n_dec++], r->payload, sizeof(dec[0]));
	cr_assert_eq(rc, 0);
	journal_reader_close(&jr);

	/* orders and fills at the venue */
	static struct msg_order ord[MAX_DECISIONS];
	static struct fill fills[MAX_FILLS];
	uint32_t n_ord = 0, n_fill = 0;
	snprintf(path, sizeof(path), "%s/%s", rundir, AG_ORDERS_JOURNAL);
	cr_assert_eq(journal_open_read(&jr, path, JOURNAL_VERIFY), 0);
	while ((rc = journal_next(&jr, &r)) == 1) {
		if (r->type == JREC_ORDER) {
			struct msg_order o;
			memcpy(&o, r->payload, sizeof(o));
			int seen = 0;
			for (uint32_t i = 0; i < n_ord; i++)
				if (ord[i].client_order_id == o.client_order_id) {
					/* only a journal write repeated after a kill: same order */
					cr_expect_eq(ord[i].decision_id, o.decision_id,
						     "coid %llu names two orders",
						     (unsigned long long)o.client_order_id);
					seen = 1;
				}
			if (seen)
				continue;
			int approved = 0;
			for (uint32_t i = 0; i < n_dec; i++)
				approved |= dec[i].decision_id == o.decision_id &&
					    dec[i].outcome == VOTE_RELEASE;
			for (uint32_t i = 0; i < n_ord; i++)
				cr_expect_neq(ord[i].decision_id, o.decision_id,
					      "decision %llx reached the venue twice",
					      (unsigned long long)o.decision_id);
			cr_expect(approved, "order %llu without an approving decision",
				  (unsigned long long)o.client_order_id);
			cr_assert_lt(n_ord, MAX_DECISIONS);
			ord[n_ord++] = o;
		} else if (r->type == JREC_EXEC) {
			struct msg_exec_report e;
			memcpy(&e, r->payload, sizeof(e));
			if (!e.exec_id)
				continue;
			int seen = 0;
			for (uint32_t i = 0; i < n_fill; i++) {
				if (fills[i].exec_id == e.exec_id) {
					cr_expect_eq(fills[i].coid, e.client_order_id);
					cr_expect_eq(fills[i].qty, e.last_qty);
					seen = 1;
				} else {
					cr_expect_neq(fills[i].coid, e.client_order_id,
						      "coid %llu filled twice",
						      (unsigned long long)e.client_order_id);
				}
			}
			if (seen)
				continue;
			cr_assert_lt(n_fill, MAX_FILLS);
			fills[n_fill++] = (struct fill){ e.exec_id, e.client_order_id, e.last_px,
							 e.last_qty, e.side };
		}
	}
	cr_assert_eq(rc, 0);
	journal_reader_close(&jr);

	int64_t net = 0;
	for (uint32_t i = 0; i < n_fill; i++)
		net += fills[i].side * fills[i].qty;
	cr_log_info("%u decisions, %u orders, %u fills, net %lld; risk %lld from %llu fills",
		    n_dec, n_ord, n_fill, (long long)net, (long long)pos.position,
		    (unsigned long long)pos.fills);
	cr_expect_gt(n_ord, 0, "orders were sent");
	cr_expect_eq(pos.fills, n_fill, "every fill reached risk exactly once");
	cr_expect_eq(pos.position, net, "risk's position is the net of the fills reported");
	cr_expect_eq(pos.position, vt.buy_qty - vt.sell_qty,
		     "risk's position is the venue's own net fills (%lld bought, %lld sold)",
		     (long long)vt.buy_qty, (long long)vt.sell_qty);
	cr_expect_eq(pos.volume, vt.buy_qty + vt.sell_qty, "no contract lost or counted twice");
}

/* "events N" of data.done, or -1 */
static long long done_events(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/data.done", rundir);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char k[64];
	long long v, ev = -1;
	while (fscanf(f, "%63s %lld", k, &v) == 2)
		if (!strcmp(k, "events"))
			ev = v;
	fclose(f);
	return ev;
}

/*
 * The supervisor dies during a replay (kill -9): its agents drain and
 * exit, the segment stays.  dmctl start adopts it: no new segment (the
 * same creator and epoch), every agent resumes its state (generation 2,
 * "resuming state"), the replay goes on where it stopped (data.done counts
 * each event of the market once) and the run's invariants hold (dm-audit:
 * every release reached execution, one position everywhere).  An option
 * that asks for another run is refused before anything starts.
 */
Test(chaos, start_adopts_the_segment_a_dead_supervisor_left, .timeout = 300)
{
	char path[512];
	struct seg s;
	start_paced(&s, 1, 20000, 15); /* 110 s of market at x15: about 7 s */
	int rc;
	int64_t created = s.hdr->created_ns;
	uint32_t epoch = s.hdr->epoch;
	int pids[AGENT_COUNT];
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		cr_assert_gt(pids[a] = running_pid(&s, a, 10000), 0, "%s running",
			     rt_agent_names[a]);
	t_sleep_ms(2000);

	snprintf(path, sizeof(path), "%s/supervisor.pid", rundir);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	int sup = 0;
	cr_assert_eq(fscanf(f, "%d", &sup), 1);
	fclose(f);
	cr_assert_eq(kill(sup, SIGKILL), 0);
	/* its agents drain and exit */
	int left = AGENT_COUNT;
	for (int i = 0; i < 100 && left; i++) {
		usleep(50 * 1000);
		left = 0;
		for (uint32_t a = 0; a < AGENT_COUNT; a++)
			left += kill(pids[a], 0) == 0;
	}
	cr_assert_eq(left, 0, "every agent exited with its supervisor");
	cr_assert_eq(done_events(), -1, "the replay was cut short by the supervisor's death");
	const struct riskd_state *rs = rt_app_of(&s, AGENT_RISK);
	uint64_t fills_before = rs->rs[rs->cur & 1].fills;

	/* another run's options: refused, nothing started */
	rc = t_system("'%s' start --pace max >'%s/adopt-bad.out' 2>&1", dmctl, rundir);
	cr_expect_eq(rc, 2, "start --pace max over the run that used realtime");
	cr_expect_eq(t_system("grep -q \"adopted with the run it holds (--pace 'realtime')\" "
			      "'%s/adopt-bad.out'", rundir), 0, "the refusal names the run's own option");
	cr_expect_eq(kill(sup, 0), -1, "no supervisor after the refusal");

	rc = t_system("'%s' start >'%s/adopt.out' 2>&1", dmctl, rundir);
	if (rc != 0) {
		t_system("cat '%s/adopt.out' >&2", rundir);
		t_show_logs(rundir, 20);
	}
	cr_assert_eq(rc, 0, "dmctl start over the dead supervisor's segment");
	cr_expect_eq(t_system("grep -q '^adopted %s' '%s/adopt.out'", segname, rundir), 0,
		     "start says it adopted the segment");
	cr_expect_eq(s.hdr->created_ns, created, "the same segment (its creation time)");
	cr_expect_eq(s.hdr->epoch, epoch, "the same epoch");
	for (uint32_t a = 0; a < AGENT_COUNT; a++) {
		cr_expect_gt(running_pid(&s, a, 10000), 0, "%s running again", rt_agent_names[a]);
		cr_expect_eq(atomic_load(&seg_agent(&s, a)->generation), 2,
			     "%s resumed in the same slot", rt_agent_names[a]);
		cr_expect_eq(t_system("grep -q 'resuming state' '%s/%s.log'", rundir,
				      rt_agent_names[a]), 0, "%s resumed its state", rt_agent_names[a]);
	}
	cr_expect_geq(rs->rs[rs->cur & 1].fills, fills_before, "risk kept its fills");

	snprintf(path, sizeof(path), "%s/data.done", rundir);
	int done = t_wait_file(path, 120);
	if (!done)
		t_show_logs(rundir, 20);
	cr_assert(done, "the adopted replay finished");
	cr_expect_eq(done_events(), 20000, "every event of the market replayed once");
	cr_assert(wait_drained(), "every ring drained and every ballot decided");
	seg_close(&s);
	rc = t_system("'%s/dm-audit' '%s' --name '%s' >'%s/audit.out' 2>&1", bindir, rundir, segname,
		      rundir);
	if (rc != 0)
		t_system("cat '%s/audit.out' >&2", rundir);
	cr_expect_eq(rc, 0, "dm-audit: every invariant holds across the adoption");
	cr_expect_eq(t_system("'%s' stop >'%s/stop.out' 2>&1", dmctl, rundir), 0, "dmctl stop");
	t_expect_clean_logs(rundir);
}

/* ------------------------------------------------------------------
 * The agents' pure logic (libcore/quality/): hand-worked examples.
 */
Test(agent_logic, quality_flags_and_vote)
{
	struct book b;
	book_init(&b, 5);
	struct qual_limits l = { .stale_ns = 1000, .max_spread_ticks = 3 };
	cr_expect_eq(qual_flags(&b, &l), QUAL_F_EMPTY);
	cr_expect_eq(qual_vote(&l, &b, 0, 10), VOTE_R_NO_BOOK);
	struct book_level bid = { 100, 3 }, ask = { 102, 1 };
	book_apply_snapshot(&b, &bid, 1, &ask, 1, 1, 1);
	cr_expect_eq(qual_flags(&b, &l), 0);
	cr_expect_eq(qual_vote(&l, &b, 100, 500), VOTE_R_APPROVED);
	cr_expect_eq(qual_vote(&l, &b, 100, 1101), VOTE_R_STALE_BOOK);
	ask.px = 110;
	book_apply_snapshot(&b, &bid, 1, &ask, 1, 2, 2);
	cr_expect_eq(qual_flags(&b, &l), QUAL_F_WIDE);
	cr_expect_eq(qual_vote(&l, &b, 100, 500), VOTE_R_WIDE_SPREAD);
	ask.px = 100;
	book_apply_snapshot(&b, &bid, 1, &ask, 1, 3, 3);
	cr_expect_eq(qual_flags(&b, &l) & QUAL_F_CROSSED, QUAL_F_CROSSED);
	cr_expect_eq(qual_vote(&l, &b, 100, 500), VOTE_R_CROSSED);
}
