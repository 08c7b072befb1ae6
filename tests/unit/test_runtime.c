/*
 * test_runtime.c — the agent runtime (agents/rt/runtime.h) against a real
 * segment of the default topology: ring discovery, publish and poll with
 * sequence numbers, skip of re-delivered messages, backpressure (-EAGAIN
 * leaves the message in place), fair round-robin bursts, control
 * commands (numbered and answered), only conflatable messages superseded
 * on a full conflating ring, state that survives a close and reopen,
 * refusal of a slot
 * held by a live process and of a region of another layout, the doorbell
 * sleep, and the command line.
 *
 * Several agents are opened in this one process (each in its own slot);
 * the fixture closes them and unlinks the segment even when a test fails.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agents/rt/agents.h"
#include "agents/rt/runtime.h"
#include "agents/rt/topology.h"
#include "tests/helpers.h"

static char segname[SEG_NAME_MAX];
static char rundir[128];
static struct rt rts[AGENT_COUNT];
static int opened[AGENT_COUNT];

static void setup(void)
{
	struct rt_config c;
	struct seg_spec spec;
	struct seg s;
	rt_config_defaults(&c);
	t_seg_name(segname, sizeof(segname), "rt");
	snprintf(rundir, sizeof(rundir), "/tmp/dmtest-rt-%d", (int)getpid());
	t_tmp_init("dmtest-rtfiles");
	cr_assert_eq(topology_spec(&c, segname, &spec), 0);
	cr_assert_eq(seg_create(&s, &spec, rt_now_ns()), 0);
	seg_close(&s);
}

static void teardown(void)
{
	for (int i = 0; i < AGENT_COUNT; i++)
		if (opened[i]) {
			rt_close(&rts[i]);
			opened[i] = 0;
		}
	seg_unlink(segname);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s 2>/dev/null; rm -rf %s", rundir, rundir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", rundir);
	t_tmp_cleanup();
}

TestSuite(runtime, .init = setup, .fini = teardown);

static int t_open_v(uint32_t agent, uint32_t app_version)
{
	struct rt_args a = { .name = segname, .run_dir = rundir };
	int rc = rt_open(&rts[agent], agent, &a, app_version, 64, RT_O_NO_SIGNALS | RT_O_NO_PIN);
	if (rc == 0)
		opened[agent] = 1;
	return rc;
}

static struct rt *t_open(uint32_t agent)
{
	cr_assert_eq(t_open_v(agent, 1), 0, "open %s", rt_agent_names[agent]);
	rt_running(&rts[agent]);
	return &rts[agent];
}

static void t_close(uint32_t agent)
{
	rt_close(&rts[agent]);
	opened[agent] = 0;
}

/* a feature vector with a payload marker */
static struct msg_features feat(uint32_t k)
{
	struct msg_features f;
	memset(&f, 0, sizeof(f));
	f.hdr.type = MSG_FEATURES;
	f.hdr.size = sizeof(f);
	f.hdr.ingress_ns = 1000 + k;
	f.n = k;
	return f;
}

/* what the consumer's handler saw */
static struct {
	uint32_t n, per_in[SEG_MAX_RINGS], marks[256];
	uint64_t seqs[256];
	int eagain_left;     /* return -EAGAIN this many times first */
	uint32_t controls, last_cmd;
} seen;

static int on_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	(void)rt;
	if (seen.eagain_left > 0) {
		seen.eagain_left--;
		return -EAGAIN;
	}
	if (seen.n < 256) {
		seen.seqs[seen.n] = m->seq;
		seen.marks[seen.n] = m->type == MSG_FEATURES ?
			((const struct msg_features *)m)->n : 0;
	}
	seen.n++;
	seen.per_in[in]++;
	return 0;
}

static void on_control(struct rt *rt, uint32_t cmd, const struct msg_control *c)
{
	(void)rt;
	(void)c;
	seen.controls++;
	seen.last_cmd = cmd;
}

static const struct rt_ops counting = { .on_msg = on_msg, .on_control = on_control };

Test(runtime, open_finds_own_rings)
{
	struct rt *ml = t_open(AGENT_ML);
	cr_expect_eq(ml->n_in, 3);                    /* features, reports_ml, control_ml */
	cr_expect_eq(ml->n_out, 4);                   /* intents, intents_<3 voters> */
	cr_expect_geq(rt_in_find(ml, "features"), 0);
	cr_expect_geq(rt_in_find(ml, "reports_ml"), 0);
	cr_expect_geq(rt_in_find(ml, "control_ml"), 0);
	cr_expect_eq(rt_out_find(ml, "intents"), 0);
	cr_expect_eq(rt_in_find(ml, "orders"), -1);
	cr_expect_eq(ml->app_fresh, 1);
	cr_expect_eq(atomic_load(&ml->slot->pid), getpid());
	cr_expect_eq(atomic_load(&ml->slot->state), AGENT_RUNNING);
	struct rt *co = t_open(AGENT_COORDINATOR);
	cr_expect_eq(co->n_in, 6);  /* intents, 3 votes, reports, positions */
	cr_expect_eq(co->n_out, 9);  /* 3 vote requests, orders, 5 controls */
}

Test(runtime, publish_then_poll_in_order_with_seq)
{
	struct rt *fe = t_open(AGENT_FEATURE);
	struct rt *ml = t_open(AGENT_ML);
	rt_set_ops(ml, &counting, NULL);
	int out = rt_out_find(fe, "features");
	for (uint32_t k = 1; k <= 10; k++) {
		struct msg_features f = feat(k);
		cr_assert_eq(rt_send(fe, (uint32_t)out, &f, sizeof(f)), 0);
	}
	int work = rt_work(ml);
	cr_expect_eq(work, 10);
	cr_assert_eq(seen.n, 10);
	for (uint32_t k = 0; k < 10; k++) {
		cr_expect_eq(seen.seqs[k], k + 1, "seq %u", k);
		cr_expect_eq(seen.marks[k], k + 1);
	}
	uint32_t ring = fe->out[out].ring;
	cr_expect_eq(atomic_load(&fe->st->out_seq[ring]), 10);
	cr_expect_eq(atomic_load(&ml->st->in_seq[ring]), 10);
	cr_expect_eq(atomic_load(&ml->slot->ctr.msgs_in), 10);
	cr_expect_eq(rt_work(ml), 0);
}

/* an agent that keeps what its inputs bring until told to let it go
 * (execution's outbox waiting for its journal) */
static struct {
	uint32_t kept, let_go, went;
} box;

static int box_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	(void)rt;
	(void)in;
	(void)m;
	box.kept++;
	return 0;
}

static int box_tick(struct rt *rt, int64_t now)
{
	(void)rt;
	(void)now;
	if (!box.let_go || !box.kept)
		return 0;
	box.went += box.kept;
	box.kept = 0;
	return 1;
}

static int box_busy(struct rt *rt)
{
	(void)rt;
	return box.kept != 0;
}

static const struct rt_ops boxing = { .on_msg = box_msg, .on_tick = box_tick,
				      .busy = box_busy };

/*
 * held (agent_counters): odd from the pass that takes a message off a
 * ring until a pass ends with nothing kept, one increment each way; a
 * lockstep replay reads it beside the rings, which are empty all along.
 */
Test(runtime, held_is_odd_while_the_agent_keeps_what_its_inputs_brought)
{
	struct rt *fe = t_open(AGENT_FEATURE);
	struct rt *ml = t_open(AGENT_ML);
	rt_set_ops(ml, &boxing, NULL);
	_Atomic uint64_t *held = &ml->slot->ctr.held;
	int out = rt_out_find(fe, "features");
	struct ring *r = fe->out[out].r;
	uint64_t h0 = atomic_load(held);
	cr_expect_eq(h0 % 2, 0, "held even at start: %llu", (unsigned long long)h0);
	cr_expect_eq(rt_work(ml), 0);
	cr_expect_eq(atomic_load(held), h0, "a pass with nothing in holds nothing");
	struct msg_features f = feat(1);
	cr_assert_eq(rt_send(fe, (uint32_t)out, &f, sizeof(f)), 0);
	rt_work(ml);
	cr_expect_eq(atomic_load(&r->head), atomic_load(&r->tail), "the ring is empty");
	cr_expect_eq(box.kept, 1);
	cr_expect_eq(atomic_load(held), h0 + 1, "taken and kept: held odd");
	rt_work(ml);
	cr_expect_eq(atomic_load(held), h0 + 1, "still kept: still odd, no second increment");
	f = feat(2);
	cr_assert_eq(rt_send(fe, (uint32_t)out, &f, sizeof(f)), 0);
	rt_work(ml);
	cr_expect_eq(atomic_load(held), h0 + 1, "more taken while odd: one increment in all");
	box.let_go = 1;
	rt_work(ml);
	cr_expect_eq(box.went, 2);
	cr_expect_eq(atomic_load(held), h0 + 2, "let go: even again");
	f = feat(3);
	cr_assert_eq(rt_send(fe, (uint32_t)out, &f, sizeof(f)), 0);
	rt_work(ml);
	cr_expect_eq(box.went, 3);
	cr_expect_eq(atomic_load(held), h0 + 4, "taken and let go in one pass: odd, then even");
}

Test(runtime, claim_fills_slots_and_publish_stamps_them)
{
	struct rt *fe = t_open(AGENT_FEATURE);
	struct rt *ml = t_open(AGENT_ML);
	rt_set_ops(ml, &counting, NULL);
	uint32_t out = (uint32_t)rt_out_find(fe, "features");
	cr_assert_eq(rt_claim(fe, out, 3), 1);
	for (uint32_t i = 0; i < 3; i++) {
		struct msg_features *f = rt_slot(fe, out, i);
		*f = feat(20 + i);
	}
	rt_publish(fe, out, 3);
	cr_assert_eq(rt_work(ml), 3);
	cr_expect_eq(seen.marks[2], 22);
	cr_expect_eq(seen.seqs[2], 3);
}

Test(runtime, redelivered_message_is_skipped)
{
	struct rt *fe = t_open(AGENT_FEATURE);
	struct rt *ml = t_open(AGENT_ML);
	rt_set_ops(ml, &counting, NULL);
	int out = rt_out_find(fe, "features");
	for (uint32_t k = 1; k <= 3; k++) {
		struct msg_features f = feat(k);
		rt_send(fe, (uint32_t)out, &f, sizeof(f));
	}
	/* a consumer that died after handling seq 1 and 2, before its commit */
	atomic_store(&ml->st->in_seq[fe->out[out].ring], 2);
	cr_expect_eq(rt_work(ml), 3);
	cr_assert_eq(seen.n, 1);
	cr_expect_eq(seen.seqs[0], 3);
	cr_expect_eq(atomic_load(&ml->st->dup_skipped), 2);
}

Test(runtime, eagain_leaves_the_message_for_the_next_pass)
{
	struct rt *fe = t_open(AGENT_FEATURE);
	struct rt *ml = t_open(AGENT_ML);
	rt_set_ops(ml, &counting, NULL);
	int out = rt_out_find(fe, "features");
	struct msg_features f = feat(7);
	rt_send(fe, (uint32_t)out, &f, sizeof(f));
	seen.eagain_left = 1;
	cr_expect_eq(rt_work(ml), 0);
	cr_expect_eq(seen.n, 0);
	struct ring_stats rs;
	ring_stats(fe->out[out].r, &rs);
	cr_expect_eq(rs.tail, 0, "not committed");
	cr_expect_eq(rt_work(ml), 1);
	cr_expect_eq(seen.marks[0], 7);
}

Test(runtime, inputs_are_polled_fairly_in_bursts)
{
	struct rt *da = t_open(AGENT_DATA);
	struct rt *co = t_open(AGENT_COORDINATOR);
	struct rt *ex = t_open(AGENT_EXECUTION);
	rt_set_ops(ex, &counting, NULL);
	uint32_t md = (uint32_t)rt_out_find(da, "md_execution");
	uint32_t ord = (uint32_t)rt_out_find(co, "orders");
	for (int k = 0; k < 100; k++) {
		struct msg_trade t = { .hdr = { .type = MSG_TRADE, .size = sizeof(t) } };
		struct msg_order o = { .hdr = { .type = MSG_ORDER, .size = sizeof(o) } };
		cr_assert_eq(rt_send(da, md, &t, sizeof(t)), 0);
		cr_assert_eq(rt_send(co, ord, &o, sizeof(o)), 0);
	}
	int i_md = rt_in_find(ex, "md_execution"), i_ord = rt_in_find(ex, "orders");
	cr_expect_eq(rt_work(ex), 2 * RT_BURST);
	cr_expect_eq(seen.per_in[i_md], RT_BURST);
	cr_expect_eq(seen.per_in[i_ord], RT_BURST);
	for (int p = 0; p < 10; p++)
		rt_work(ex);
	cr_expect_eq(seen.per_in[i_md], 100);
	cr_expect_eq(seen.per_in[i_ord], 100);
}

Test(runtime, claim_refuses_a_full_ring_and_counts_it)
{
	struct rt *ml = t_open(AGENT_ML);
	uint32_t out = (uint32_t)rt_out_find(ml, "intents");
	uint64_t cap = ml->out[out].r->capacity;
	for (uint64_t k = 0; k < cap; k++) {
		struct msg_intent it = { .hdr = { .type = MSG_INTENT, .size = sizeof(it) } };
		cr_assert_eq(rt_send(ml, out, &it, sizeof(it)), 0);
	}
	struct msg_intent it = { .hdr = { .type = MSG_INTENT, .size = sizeof(it) } };
	cr_expect_eq(rt_send(ml, out, &it, sizeof(it)), -EAGAIN);
	cr_expect_eq(rt_claim(ml, out, 1), 0);
	cr_expect_eq(atomic_load(&ml->slot->ctr.backpressure), 2);
	/* the refused send used no sequence number */
	cr_expect_eq(atomic_load(&ml->st->out_seq[ml->out[out].ring]), cap);
}

Test(runtime, control_messages_halt_and_resume)
{
	struct rt *co = t_open(AGENT_COORDINATOR);
	struct rt *ml = t_open(AGENT_ML);
	rt_set_ops(ml, &counting, NULL);
	uint32_t out = (uint32_t)rt_out_find(co, "control_ml");
	struct msg_control c = { .hdr = { .type = MSG_CONTROL, .size = sizeof(c) },
				 .cmd = CTL_HALT, .target = ~0u };
	rt_send(co, out, &c, sizeof(c));
	rt_work(ml);
	cr_expect(rt_flags(ml) & RT_SF_HALTED);
	cr_expect_eq(atomic_load(&ml->slot->state), AGENT_HALTED);
	cr_expect_eq(seen.controls, 1);
	cr_expect_eq(seen.last_cmd, CTL_HALT);
	cr_expect_eq(seen.n, 0, "control messages do not reach on_msg");

	c.cmd = CTL_KILL_SWITCH;
	rt_send(co, out, &c, sizeof(c));
	c.cmd = CTL_RESUME;
	rt_send(co, out, &c, sizeof(c));
	rt_work(ml);
	cr_expect(rt_flags(ml) & RT_SF_KILLED, "resume does not clear the kill switch");
	c.cmd = CTL_REARM;
	rt_send(co, out, &c, sizeof(c));
	rt_work(ml);
	cr_expect_eq(rt_flags(ml), 0);
	cr_expect_eq(atomic_load(&ml->slot->state), AGENT_RUNNING);

	c.cmd = CTL_HALT;
	c.target = AGENT_RISK; /* someone else */
	rt_send(co, out, &c, sizeof(c));
	rt_work(ml);
	cr_expect_eq(rt_flags(ml), 0);

	c.cmd = CTL_SHUTDOWN;
	c.target = AGENT_ML;
	rt_send(co, out, &c, sizeof(c));
	rt_work(ml);
	cr_expect(ml->stopping);
	cr_expect_eq(atomic_load(&ml->slot->state), AGENT_STOPPING);
	rt_work(ml);
	cr_expect(rt_done(ml), "nothing left: the drain ends");
}

/* ------------------------------------------------ only books conflate */

static struct msg_book t_book(int64_t k)
{
	struct msg_book b;
	memset(&b, 0, sizeof(b));
	b.hdr.type = MSG_BOOK;
	b.hdr.flags = MSG_F_CONFLATABLE | MSG_F_REPLAY;
	b.hdr.size = sizeof(b);
	b.exch_ns = k;
	b.n_bid = b.n_ask = 1;
	b.bid[0].px = 100;
	b.ask[0].px = 101;
	return b;
}

static struct msg_trade t_trade(uint64_t id)
{
	struct msg_trade t;
	memset(&t, 0, sizeof(t));
	t.hdr.type = MSG_TRADE;
	t.hdr.flags = MSG_F_REPLAY;
	t.hdr.size = sizeof(t);
	t.trade_id = id;
	t.px = 100;
	t.qty = 1;
	return t;
}

/* what the md consumer saw: trade ids in arrival order, books */
static struct {
	uint64_t books, trades, out_of_order, last_trade;
	int64_t last_book;
} md;

static int md_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	(void)rt;
	(void)in;
	if (m->type == MSG_TRADE) {
		const struct msg_trade *t = (const struct msg_trade *)m;
		if (t->trade_id != md.last_trade + 1)
			md.out_of_order++;
		md.last_trade = t->trade_id;
		md.trades++;
	} else if (m->type == MSG_BOOK) {
		const struct msg_book *b = (const struct msg_book *)m;
		if (b->exch_ns <= md.last_book)
			md.out_of_order++;
		md.last_book = b->exch_ns;
		md.books++;
	}
	return 0;
}

static const struct rt_ops md_counting = { .on_msg = md_msg };

/*
 * A full conflating ring (md_feature): a book waits in the side slot and
 * the next book supersedes it (counted as dropped); a trade is never put
 * there: it gets -EAGAIN (back-pressure) and arrives once there is room,
 * after the book that waited.
 */
Test(runtime, full_conflating_ring_supersedes_books_never_trades)
{
	struct rt *da = t_open(AGENT_DATA);
	struct rt *fe = t_open(AGENT_FEATURE);
	rt_set_ops(fe, &md_counting, NULL);
	uint32_t out = (uint32_t)rt_out_find(da, "md_feature");
	struct ring *r = da->out[out].r;
	cr_assert_eq(r->policy, RING_CONFLATE);
	uint64_t cap = r->capacity;
	int64_t k = 0;
	for (uint64_t i = 0; i < cap; i++) {
		struct msg_book b = t_book(++k);
		cr_assert_eq(rt_send(da, out, &b, sizeof(b)), 0);
	}
	struct msg_book b = t_book(++k);
	cr_expect_eq(rt_send(da, out, &b, sizeof(b)), 1, "a book waits in the side slot");
	struct msg_trade t = t_trade(1);
	cr_expect_eq(rt_send(da, out, &t, sizeof(t)), -EAGAIN, "a trade is never parked");
	cr_expect_eq(atomic_load(&r->dropped), 0, "the trade superseded nothing");
	b = t_book(++k);
	cr_expect_eq(rt_send(da, out, &b, sizeof(b)), 1);
	cr_expect_eq(atomic_load(&r->dropped), 1, "one book superseded the other");
	cr_expect_eq(atomic_load(&da->slot->ctr.backpressure), 1, "the trade met a full ring");

	/* the consumer makes room: the waiting book goes first, then the trade */
	while (rt_work(fe) > 0)
		;
	cr_expect_eq(md.books, cap);
	cr_expect_eq(rt_send(da, out, &t, sizeof(t)), 0, "room now: the trade is pushed");
	while (rt_work(fe) > 0)
		;
	cr_expect_eq(md.trades, 1);
	cr_expect_eq(md.books, cap + 1, "the newest waiting book, before the trade");
	cr_expect_eq(md.last_book, k);
	cr_expect_eq(md.out_of_order, 0);
}

/*
 * The data agent's hold-and-retry against a consumer that keeps the ring
 * full: every trade arrives, in order; every book either arrives or is
 * counted as conflated (books sent = books seen + dropped).
 */
Test(runtime, slow_consumer_gets_every_trade_and_conflation_counts_books_only)
{
	struct rt *da = t_open(AGENT_DATA);
	struct rt *fe = t_open(AGENT_FEATURE);
	rt_set_ops(fe, &md_counting, NULL);
	uint32_t out = (uint32_t)rt_out_find(da, "md_feature");
	struct ring *r = da->out[out].r;
	uint64_t n_events = 4 * r->capacity + 7, books = 0, trades = 0, retries = 0;
	for (uint64_t e = 1; e <= n_events; e++) {
		if (e % 64 == 0)
			rt_work(fe); /* the consumer: one burst now and then */
		if (e % 5 == 0) {
			struct msg_trade t = t_trade(++trades);
			while (rt_send(da, out, &t, sizeof(t)) < 0) {
				retries++; /* held: the consumer runs, then we retry */
				rt_work(fe);
			}
		} else {
			struct msg_book b = t_book((int64_t)e);
			cr_assert_geq(rt_send(da, out, &b, sizeof(b)), 0);
			books++;
		}
	}
	rt_work(da); /* flushes a book left in the side slot */
	while (rt_work(fe) > 0 || atomic_load(&r->pending))
		rt_work(da);
	uint64_t dropped = atomic_load(&r->dropped);
	cr_log_info("%llu books, %llu trades, %llu retries, %llu conflated",
		    (unsigned long long)books, (unsigned long long)trades,
		    (unsigned long long)retries, (unsigned long long)dropped);
	cr_expect_eq(md.trades, trades, "every trade arrived (%llu of %llu)",
		     (unsigned long long)md.trades, (unsigned long long)trades);
	cr_expect_gt(retries, 0, "the ring was full when trades came");
	cr_expect_gt(dropped, 0, "books were conflated");
	cr_expect_eq(md.books + dropped, books, "books seen %llu + conflated %llu = sent %llu",
		     (unsigned long long)md.books, (unsigned long long)dropped,
		     (unsigned long long)books);
	cr_expect_eq(md.out_of_order, 0, "order kept");
	cr_expect_eq(atomic_load(&r->pending), 0);
}

/* Intents, votes, orders, reports on a block ring, and any message not
 * flagged conflatable, are pushed: a full ring gives -EAGAIN, never a
 * side slot. */
Test(runtime, unflagged_message_on_a_conflating_ring_is_pushed_not_offered)
{
	struct rt *da = t_open(AGENT_DATA);
	uint32_t out = (uint32_t)rt_out_find(da, "md_risk");
	struct ring *r = da->out[out].r;
	cr_assert_eq(r->policy, RING_CONFLATE);
	for (uint64_t i = 0; i < r->capacity; i++) {
		struct msg_trade t = t_trade(i + 1);
		cr_assert_eq(rt_send(da, out, &t, sizeof(t)), 0);
	}
	struct msg_book b = t_book(1);
	b.hdr.flags = MSG_F_REPLAY; /* a book that may not be superseded */
	cr_expect_eq(rt_send(da, out, &b, sizeof(b)), -EAGAIN);
	cr_expect_eq(atomic_load(&r->pending), 0);
	cr_expect_eq(atomic_load(&r->dropped), 0);
}

/* ------------------------------------------------ operator commands */

static void reload_fails(struct rt *rt, uint32_t cmd, const struct msg_control *c)
{
	(void)c;
	seen.controls++;
	seen.last_cmd = cmd;
	if (cmd == CTL_RELOAD)
		rt_cmd_reply(rt, RT_CMD_FAILED, "model %s: no such file", "m.json");
}

static const struct rt_ops answering = { .on_msg = on_msg, .on_control = reload_fails };

static struct rt_cmd_ack t_ack(struct rt *rt)
{
	struct rt_cmd_ack a;
	cr_assert_eq(rt_cmd_ack_read(&rt->st->ack, &a), 0);
	return a;
}

static void t_cmd(struct rt *co, struct rt *to, uint32_t cmd, uint64_t number)
{
	uint32_t out = (uint32_t)rt_out_find(co, "control_ml");
	struct msg_control c = { .hdr = { .type = MSG_CONTROL, .size = sizeof(c) },
				 .cmd = cmd, .target = ~0u, .arg = number };
	cr_assert_eq(rt_send(co, out, &c, sizeof(c)), 0);
	rt_work(to);
}

Test(runtime, numbered_commands_are_answered_in_the_state_region)
{
	struct rt *co = t_open(AGENT_COORDINATOR);
	struct rt *ml = t_open(AGENT_ML);
	rt_set_ops(ml, &answering, NULL);
	struct rt_cmd_ack a = t_ack(ml);
	cr_expect_eq(a.outcome, RT_CMD_NONE, "nothing answered yet");

	t_cmd(co, ml, CTL_HALT, 7);
	a = t_ack(ml);
	cr_expect_eq(a.seq, 7);
	cr_expect_eq(a.cmd, CTL_HALT);
	cr_expect_eq(a.outcome, RT_CMD_OK);
	cr_expect(strstr(a.text, "halted") != NULL, "text '%s'", a.text);

	t_cmd(co, ml, CTL_HALT, 8);
	cr_expect_str_eq(t_ack(ml).text, "already halted");

	t_cmd(co, ml, CTL_KILL_SWITCH, 9);
	cr_expect_eq(t_ack(ml).outcome, RT_CMD_OK);
	uint32_t calls = seen.controls;
	t_cmd(co, ml, CTL_RESUME, 10);
	a = t_ack(ml);
	cr_expect_eq(a.seq, 10);
	cr_expect_eq(a.outcome, RT_CMD_REFUSED, "resume under a kill switch is refused");
	cr_expect(strstr(a.text, "kill switch latched") != NULL, "text '%s'", a.text);
	cr_expect(rt_flags(ml) & RT_SF_KILLED, "still latched");
	cr_expect(rt_flags(ml) & RT_SF_HALTED, "still halted");
	cr_expect_eq(seen.controls, calls, "a refused command does not reach the agent");

	t_cmd(co, ml, CTL_REARM, 11);
	a = t_ack(ml);
	cr_expect_eq(a.outcome, RT_CMD_OK);
	cr_expect_eq(rt_flags(ml), 0);

	t_cmd(co, ml, CTL_RELOAD, 12);
	a = t_ack(ml);
	cr_expect_eq(a.seq, 12);
	cr_expect_eq(a.cmd, CTL_RELOAD);
	cr_expect_eq(a.outcome, RT_CMD_FAILED, "the agent's own answer");
	cr_expect_str_eq(a.text, "model m.json: no such file");

	t_cmd(co, ml, CTL_HALT, 0);
	cr_expect_eq(t_ack(ml).seq, 0, "an unnumbered command is answered as number 0");
}

Test(runtime, command_names_round_trip)
{
	static const uint32_t all[] = { CTL_HALT, CTL_RESUME, CTL_RELOAD, CTL_SHUTDOWN,
					CTL_KILL_SWITCH, CTL_REARM, RT_CTL_CANCEL_ALL };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		cr_expect_eq(rt_cmd_parse(rt_cmd_name(all[i])), all[i], "%s", rt_cmd_name(all[i]));
	cr_expect_str_eq(rt_cmd_name(CTL_KILL_SWITCH), "kill-switch");
	cr_expect_str_eq(rt_cmd_name(RT_CTL_CANCEL_ALL), "cancel-all");
	cr_expect_eq(rt_cmd_parse("command 5"), 0);
}

/* A signal carries the command, the run directory's command file its
 * number; the file is used once, and only for the command it names. */
Test(runtime, signal_takes_its_number_from_the_command_file)
{
	struct rt_args args = { .name = segname, .run_dir = rundir };
	cr_assert_eq(rt_open(&rts[AGENT_COORDINATOR], AGENT_COORDINATOR, &args, 1, 64,
			     RT_O_NO_PIN), 0);
	opened[AGENT_COORDINATOR] = 1;
	struct rt *co = &rts[AGENT_COORDINATOR];
	rt_running(co);
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", rundir, RT_CMD_FILE);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "5 halt\n");
	fclose(f);
	raise(SIGUSR1);
	rt_work(co);
	struct rt_cmd_ack a = t_ack(co);
	cr_expect_eq(a.seq, 5);
	cr_expect_eq(a.cmd, CTL_HALT);
	cr_expect_eq(a.outcome, RT_CMD_OK);
	cr_expect_neq(access(path, F_OK), 0, "the number is used once");

	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "6 rearm\n");
	fclose(f);
	raise(SIGUSR2); /* resume: the file names another command */
	rt_work(co);
	a = t_ack(co);
	cr_expect_eq(a.seq, 0);
	cr_expect_eq(a.cmd, CTL_RESUME);
	cr_expect_eq(access(path, F_OK), 0, "left for the command it names");
	raise(SIGRTMIN + 2);
	rt_work(co);
	cr_expect_eq(t_ack(co).seq, 6);
	cr_expect_eq(t_ack(co).cmd, CTL_REARM);
}

Test(runtime, state_survives_close_and_reopen)
{
	struct rt *fe = t_open(AGENT_FEATURE);
	struct rt *ml = t_open(AGENT_ML);
	rt_set_ops(ml, &counting, NULL);
	int out = rt_out_find(fe, "features");
	uint32_t ring = fe->out[out].ring;
	for (uint32_t k = 1; k <= 5; k++) {
		struct msg_features f = feat(k);
		rt_send(fe, (uint32_t)out, &f, sizeof(f));
	}
	rt_work(ml);
	*(uint64_t *)ml->app = 0xfeedu;
	t_close(AGENT_ML);
	t_close(AGENT_FEATURE);

	fe = t_open(AGENT_FEATURE);
	ml = t_open(AGENT_ML);
	rt_set_ops(ml, &counting, NULL);
	cr_expect_eq(ml->app_fresh, 0);
	cr_expect_eq(*(uint64_t *)ml->app, 0xfeedu);
	cr_expect_eq(atomic_load(&ml->slot->generation), 2);
	cr_expect_eq(atomic_load(&ml->slot->restarts), 1);
	cr_expect_eq(atomic_load(&ml->st->in_seq[ring]), 5);
	struct msg_features f = feat(6);
	rt_send(fe, (uint32_t)out, &f, sizeof(f));
	cr_expect_eq(rt_work(ml), 1);
	cr_expect_eq(seen.seqs[5], 6, "the producer goes on from its stored seq");
}

Test(runtime, refuses_a_slot_held_by_a_live_process)
{
	t_open(AGENT_ML);
	t_close(AGENT_ML);
	/* the slot now claims to belong to our (live) parent */
	struct seg s;
	cr_assert_eq(seg_attach(&s, segname, 0, msg_layout_hash()), 0);
	atomic_store(&seg_agent(&s, AGENT_ML)->pid, (int32_t)getppid());
	cr_expect_eq(t_open_v(AGENT_ML, 1), -DM_EBUSY);
	/* a dead holder is taken over */
	atomic_store(&seg_agent(&s, AGENT_ML)->pid, 0x3ffffff0);
	cr_expect_eq(t_open_v(AGENT_ML, 1), 0);
	seg_close(&s);
}

Test(runtime, refuses_state_of_another_version)
{
	cr_assert_eq(t_open_v(AGENT_RISK, 1), 0);
	t_close(AGENT_RISK);
	cr_expect_eq(t_open_v(AGENT_RISK, 2), -DM_ELAYOUT);
	cr_expect_eq(t_open_v(AGENT_RISK, 1), 0);
}

Test(runtime, refuses_a_missing_segment)
{
	struct rt_args a = { .name = "/dmtest-rt-none", .run_dir = rundir };
	struct rt r;
	cr_expect_eq(rt_open(&r, AGENT_ML, &a, 1, 64, RT_O_NO_SIGNALS), -ENOENT);
}

struct wake_arg {
	struct rt *prod;
	uint32_t out;
};

static void *late_producer(void *p)
{
	struct wake_arg *w = p;
	usleep(100 * 1000);
	struct msg_features f = feat(1);
	rt_send(w->prod, w->out, &f, sizeof(f));
	rt_ring_bells(w->prod);
	return NULL;
}

Test(runtime, sleeping_consumer_is_woken_by_the_doorbell)
{
	struct rt *fe = t_open(AGENT_FEATURE);
	struct rt *ml = t_open(AGENT_ML);
	ml->idle = IDLE_SLEEP;
	ml->sleep_ns = 5ll * 1000000000;
	ml->next_hb_ns = rt_now_ns() + 10ll * 1000000000;
	struct wake_arg w = { fe, (uint32_t)rt_out_find(fe, "features") };
	pthread_t th;
	pthread_create(&th, NULL, late_producer, &w);
	int64_t t0 = t_now_ns();
	rt_idle(ml, 0);
	int64_t dt = t_now_ns() - t0;
	pthread_join(th, NULL);
	cr_expect_lt(dt, 2ll * 1000000000, "woken by the bell, not the 5 s timeout (%lld ns)",
		     (long long)dt);
	cr_expect_geq(dt, 50ll * 1000000, "slept until the message came (%lld ns)",
		      (long long)dt);
	cr_expect_eq(atomic_load(&ml->slot->bell.sleeps), 1);
	/* the wake histogram: one record, the producer's ring to running
	 * again, within the time rt_idle took */
	cr_assert_eq(atomic_load(&ml->lat->wake.count), 1, "one wake recorded");
	uint64_t woke = atomic_load(&ml->lat->wake.max);
	cr_expect_leq(woke, (uint64_t)dt, "wake %llu ns within the %lld ns asleep",
		      (unsigned long long)woke, (long long)dt);
	int64_t rung = atomic_load(&ml->slot->bell.rung_ns);
	cr_expect_geq(rung, t0 - 5ll * 1000000000, "rung_ns is a CLOCK_REALTIME stamp");
	/* a sleep that times out records nothing: the ring before it is an
	 * earlier sleep's */
	cr_assert_eq(rt_work(ml), 1, "the message taken");
	ml->sleep_ns = 1000000;
	rt_idle(ml, 0);
	cr_expect_eq(atomic_load(&ml->slot->bell.sleeps), 2);
	cr_expect_eq(atomic_load(&ml->lat->wake.count), 1, "a timeout is no wake");
}

/* At each heartbeat the agent copies its process's page faults and context
 * switches (getrusage) into its state: between the counts just before
 * and just after the pass, and the voluntary ones not 0 (it has slept). */
Test(runtime, heartbeat_records_faults_and_context_switches)
{
	struct rt *ml = t_open(AGENT_ML);
	usleep(2000);
	struct rusage before, after;
	cr_assert_eq(getrusage(RUSAGE_SELF, &before), 0);
	ml->next_hb_ns = 0; /* the heartbeat is due */
	rt_work(ml);
	cr_assert_eq(getrusage(RUSAGE_SELF, &after), 0);
	const struct { const char *what; uint64_t got; long lo, hi; } c[] = {
		{ "voluntary switches", atomic_load(&ml->st->nvcsw), before.ru_nvcsw,
		  after.ru_nvcsw },
		{ "involuntary switches", atomic_load(&ml->st->nivcsw), before.ru_nivcsw,
		  after.ru_nivcsw },
		{ "minor faults", atomic_load(&ml->st->minflt), before.ru_minflt,
		  after.ru_minflt },
		{ "major faults", atomic_load(&ml->st->majflt), before.ru_majflt,
		  after.ru_majflt },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		cr_expect(c[i].got >= (uint64_t)c[i].lo && c[i].got <= (uint64_t)c[i].hi,
			  "%s %llu, not within [%ld, %ld]", c[i].what,
			  (unsigned long long)c[i].got, c[i].lo, c[i].hi);
	cr_expect_gt(atomic_load(&ml->st->nvcsw), 0, "it slept: a voluntary switch");
	cr_expect_gt(atomic_load(&ml->st->minflt), 0);
}

Test(runtime, backoff_spins_then_yields_then_sleeps)
{
	struct rt *ml = t_open(AGENT_ML);
	ml->idle = IDLE_BACKOFF;
	ml->spin_iters = 3;
	ml->yield_iters = 2;
	ml->sleep_ns = 1000000;
	for (int i = 0; i < 5; i++)
		rt_idle(ml, 0);
	cr_expect_eq(atomic_load(&ml->slot->bell.sleeps), 0);
	rt_idle(ml, 0);
	cr_expect_eq(atomic_load(&ml->slot->bell.sleeps), 1);
	rt_idle(ml, 1); /* work resets it */
	rt_idle(ml, 0);
	cr_expect_eq(atomic_load(&ml->slot->bell.sleeps), 1);
	cr_expect_eq(atomic_load(&ml->slot->ctr.idle_loops), 7);
}

/* rt_expect: until agents.<name>.expect_us has passed, an idle pass
 * yields instead of sleeping; then it sleeps again; expect_us 0 never
 * holds it awake.  Execution's and the coordinator's default is 300 us,
 * the others' 0. */
Test(runtime, an_expected_message_holds_the_agent_awake_for_expect_us)
{
	struct rt *ex = t_open(AGENT_EXECUTION);
	cr_expect_eq(ex->expect_win_ns, 300000, "execution's default");
	ex->idle = IDLE_SLEEP;
	ex->sleep_ns = 1000000;
	ex->expect_win_ns = 50ll * 1000000; /* 50 ms: the passes below fit in it */
	ex->now_ns = rt_now_ns();
	rt_expect(ex);
	for (int i = 0; i < 20; i++)
		rt_idle(ex, 0);
	cr_expect_eq(atomic_load(&ex->slot->bell.sleeps), 0, "awake while expecting");
	ex->expect_ns = rt_now_ns() - 1; /* the window has passed */
	rt_idle(ex, 0);
	cr_expect_eq(atomic_load(&ex->slot->bell.sleeps), 1);
	cr_expect_eq(ex->expect_ns, 0);
	/* expect_us 0: rt_expect changes nothing */
	struct rt *ml = t_open(AGENT_ML);
	cr_expect_eq(ml->expect_win_ns, 0);
	cr_expect_eq(t_open(AGENT_COORDINATOR)->expect_win_ns, 300000, "the coordinator's");
	ml->idle = IDLE_SLEEP;
	ml->sleep_ns = 1000000;
	ml->now_ns = rt_now_ns();
	rt_expect(ml);
	rt_idle(ml, 0);
	cr_expect_eq(atomic_load(&ml->slot->bell.sleeps), 1);
}

/* agents.<name>.cpu: the agent pins itself in rt_open, read back with
 * sched_getaffinity; RT_O_NO_PIN leaves it alone; a CPU the process may
 * not use is a warning and the agent runs unpinned (the configuration's
 * range, -1..1023, is test_topology's). */
static void t_open_conf(uint32_t agent, const char *text, uint32_t oflags)
{
	const char *conf = t_tmp_path("pin.yaml");
	t_write_file(conf, text);
	struct rt_args a = { .conf = conf, .name = segname, .run_dir = rundir };
	cr_assert_eq(rt_open(&rts[agent], agent, &a, 1, 64, RT_O_NO_SIGNALS | oflags), 0,
	             "open %s with %s", rt_agent_names[agent], text);
	opened[agent] = 1;
}

Test(runtime, configured_cpu_pins_the_agent_at_open)
{
	cpu_set_t before, now;
	char text[64];
	int cpu = -1, outside = -1;
	cr_assert_eq(sched_getaffinity(0, sizeof(before), &before), 0);
	for (int i = 0; i < 1024 && i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &before))
			cpu = i;              /* the highest allowed: not a default's 0 */
		else if (outside < 0 && i > cpu && cpu >= 0)
			outside = i;
	}
	cr_assert_geq(cpu, 0);

	snprintf(text, sizeof(text), "agents: { ml: { cpu: %d } }\n", cpu);
	t_open_conf(AGENT_ML, text, 0);
	cr_assert_eq(sched_getaffinity(0, sizeof(now), &now), 0);
	cr_expect_eq(CPU_COUNT(&now), 1, "pinned to one CPU, not %d", CPU_COUNT(&now));
	cr_expect(CPU_ISSET(cpu, &now), "pinned to CPU %d", cpu);
	t_close(AGENT_ML);
	cr_assert_eq(sched_setaffinity(0, sizeof(before), &before), 0);

	t_open_conf(AGENT_RISK, text, RT_O_NO_PIN);
	cr_assert_eq(sched_getaffinity(0, sizeof(now), &now), 0);
	cr_expect(CPU_EQUAL(&now, &before), "RT_O_NO_PIN: the CPUs as they were");
	t_close(AGENT_RISK);

	if (outside < 0)
		outside = 1023;               /* every lower CPU allowed: take the last */
	if (CPU_ISSET(outside, &before)) {
		cr_log_info("every CPU 0..1023 allowed: the refused pin is not tried");
		return;
	}
	snprintf(text, sizeof(text), "agents: { ml: { cpu: %d } }\n", outside);
	t_open_conf(AGENT_ML, text, 0);
	cr_assert_eq(sched_getaffinity(0, sizeof(now), &now), 0);
	cr_expect(CPU_EQUAL(&now, &before), "CPU %d refused: the agent runs unpinned", outside);
}

/* 1 if this process may take SCHED_FIFO (tried in a child that exits). */
static int fifo_allowed(void)
{
	pid_t p = fork();
	if (p == 0) {
		struct sched_param sp = { .sched_priority = 1 };
		_exit(sched_setscheduler(0, SCHED_FIFO, &sp) == 0 ? 0 : 1);
	}
	int st = 0;
	return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* agents.<name>.rt_priority: the agent takes SCHED_FIFO at that priority
 * in rt_open (read back with sched_getscheduler); RT_O_NO_PIN leaves the
 * class alone; a process that may not (no CAP_SYS_NICE) runs time-shared
 * with a warning. */
Test(runtime, configured_rt_priority_runs_the_agent_at_sched_fifo)
{
	int allowed = fifo_allowed();
	cr_assert_eq(sched_getscheduler(0), SCHED_OTHER, "the test starts time-shared");
	t_open_conf(AGENT_ML, "agents: { ml: { rt_priority: 3, idle: sleep } }\n", RT_O_NO_PIN);
	cr_expect_eq(sched_getscheduler(0), SCHED_OTHER, "RT_O_NO_PIN: the class as it was");
	t_close(AGENT_ML);
	t_open_conf(AGENT_ML, "agents: { ml: { rt_priority: 3, idle: sleep } }\n", 0);
	int pol = sched_getscheduler(0);
	struct sched_param sp = { 0 };
	sched_getparam(0, &sp);
	struct sched_param other = { .sched_priority = 0 };
	sched_setscheduler(0, SCHED_OTHER, &other); /* the rest of the run time-shared */
	if (allowed) {
		cr_expect_eq(pol, SCHED_FIFO, "SCHED_FIFO, not policy %d", pol);
		cr_expect_eq(sp.sched_priority, 3);
	} else {
		cr_log_info("this process may not take SCHED_FIFO: the refusal is what is tested");
		cr_expect_eq(pol, SCHED_OTHER, "refused: time-shared, not policy %d", pol);
	}
}

/* sched_setattr's argument (the kernel's ABI, first version) */
struct t_sched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t  nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

/* this thread's slice as the kernel reports it, ns (0: none reported) */
static uint64_t t_slice_ns(void)
{
	struct t_sched_attr at = { 0 };
	if (syscall(SYS_sched_getattr, 0, &at, sizeof(at), 0) != 0)
		return 0;
	return at.runtime;
}

/* 1 if this kernel keeps a custom slice (Linux 6.12 and later): tried in a
 * child that exits */
static int custom_slice_kept(void)
{
	pid_t p = fork();
	if (p == 0) {
		struct t_sched_attr at = { .size = sizeof(at), .policy = SCHED_OTHER,
		                           .runtime = 345000 };
		_exit(syscall(SYS_sched_setattr, 0, &at, 0) == 0 && t_slice_ns() == 345000 ? 0 : 1);
	}
	int st = 0;
	return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* agents.<name>.slice_us: the agent asks the scheduler for that slice in
 * rt_open (read back with sched_getattr), keeping its nice value;
 * RT_O_NO_PIN leaves it alone; a kernel without custom slices keeps its
 * own, and the agent runs on. */
Test(runtime, configured_slice_is_asked_of_the_scheduler)
{
	int kept = custom_slice_kept();
	uint64_t before = t_slice_ns();
	cr_assert_neq(before, 250000, "the test starts with another slice");
	t_open_conf(AGENT_ML, "agents: { ml: { slice_us: 250 } }\n", RT_O_NO_PIN);
	cr_expect_eq(t_slice_ns(), before, "RT_O_NO_PIN: the slice as it was");
	t_close(AGENT_ML);
	int nice_before = getpriority(PRIO_PROCESS, 0);
	t_open_conf(AGENT_ML, "agents: { ml: { slice_us: 250 } }\n", 0);
	uint64_t got = t_slice_ns();
	cr_expect_eq(getpriority(PRIO_PROCESS, 0), nice_before, "the nice value kept");
	cr_expect_eq(sched_getscheduler(0), SCHED_OTHER, "still time-shared");
	struct t_sched_attr back = { .size = sizeof(back), .policy = SCHED_OTHER,
	                             .nice = nice_before };
	syscall(SYS_sched_setattr, 0, &back, 0); /* the kernel's slice again */
	if (kept) {
		cr_expect_eq(got, 250000, "a 250 us slice, not %llu ns", (unsigned long long)got);
	} else {
		cr_log_info("this kernel keeps its own slice: the agent opened regardless");
		cr_expect_eq(got, before, "the kernel's slice, %llu ns, not %llu ns",
		             (unsigned long long)before, (unsigned long long)got);
	}
	/* started in the batch class (a launcher's choice): it stays there */
	t_close(AGENT_ML);
	struct sched_param zero = { 0 };
	cr_assert_eq(sched_setscheduler(0, SCHED_BATCH, &zero), 0);
	t_open_conf(AGENT_ML, "agents: { ml: { slice_us: 300 } }\n", 0);
	int pol = sched_getscheduler(0);
	got = t_slice_ns();
	syscall(SYS_sched_setattr, 0, &back, 0); /* time-shared, the kernel's slice */
	cr_expect_eq(pol, SCHED_BATCH, "still batch, not policy %d", pol);
	if (kept)
		cr_expect_eq(got, 300000, "a 300 us slice, not %llu ns", (unsigned long long)got);
}

Test(runtime, args)
{
	struct rt_args a;
	char *v1[] = { "x", "-c", "conf/default.yaml", "--name", "/seg", "--input", "f.j",
		       "--run-dir", "/tmp/r", "--exit-at-end", NULL };
	cr_assert_eq(rt_args_parse(&a, 10, v1, &ag_data), 0);
	cr_expect_str_eq(a.conf, "conf/default.yaml");
	cr_expect_str_eq(a.name, "/seg");
	cr_expect_str_eq(a.run_dir, "/tmp/r");
	/* the data agent's own options are handed over as text, in its order */
	cr_expect_str_eq(a.opt[AG_DATA_OPT_INPUT], "f.j");
	cr_expect_str_eq(a.opt[AG_DATA_OPT_EXIT_AT_END], "", "a flag given");
	cr_expect_null(a.opt[AG_DATA_OPT_FORMAT]);
	cr_expect_null(a.opt[AG_DATA_OPT_PACE]);
	cr_expect_eq(ag_data_check_opts(&a), 0);
	char *v2[] = { "x", "--bogus", NULL };
	cr_expect_eq(rt_args_parse(&a, 2, v2, &ag_ml), 2);
	char *v3[] = { "x", "--name", "noslash", NULL };
	cr_expect_eq(rt_args_parse(&a, 3, v3, &ag_ml), 2);
	char *v4[] = { "x", "-c", NULL };
	cr_expect_eq(rt_args_parse(&a, 2, v4, &ag_ml), 2);
	char *v5[] = { "x", "stray", NULL };
	cr_expect_eq(rt_args_parse(&a, 2, v5, &ag_ml), 2);
	/* the runtime does not know the data agent's options for another agent */
	char *v6[] = { "x", "--input", "f.j", NULL };
	cr_expect_eq(rt_args_parse(&a, 3, v6, &ag_ml), 2);
	char *v7[] = { "x", "--input", NULL };
	cr_expect_eq(rt_args_parse(&a, 2, v7, &ag_data), 2, "--input needs a value");
	/* the data agent checks the values the runtime handed over */
	char *v8[] = { "x", "--pace", "slow", NULL };
	cr_assert_eq(rt_args_parse(&a, 3, v8, &ag_data), 0);
	cr_expect_eq(ag_data_check_opts(&a), -EINVAL);
	char *v9[] = { "x", "--pace", "lockstep", "--speed", "2.5", NULL };
	cr_assert_eq(rt_args_parse(&a, 5, v9, &ag_data), 0);
	cr_expect_str_eq(a.opt[AG_DATA_OPT_PACE], "lockstep");
	cr_expect_str_eq(a.opt[AG_DATA_OPT_SPEED], "2.5");
	cr_expect_eq(ag_data_check_opts(&a), 0);
	char *v10[] = { "x", "--speed", "0", NULL };
	cr_assert_eq(rt_args_parse(&a, 3, v10, &ag_data), 0);
	cr_expect_eq(ag_data_check_opts(&a), -EINVAL);
}

/* ------------------------------------------------------------ run directories */

TestSuite(run_dir, .init = setup, .fini = teardown);

/* mode bits (07777) of path, following no link */
static unsigned t_mode(const char *path)
{
	struct stat st;
	cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
	return (unsigned)st.st_mode & 07777;
}

/* rt_run_dir_make(dir) refuses, naming dir and saying `what` */
static void t_refused(const char *dir, const char *what)
{
	char why[1024] = "";
	cr_expect_eq(rt_run_dir_make(dir, why, sizeof(why)), -DM_ECONFIG, "%s accepted", dir);
	cr_expect(strstr(why, dir) != NULL, "the reason names %s: %s", dir, why);
	cr_expect(strstr(why, what) != NULL, "the reason says '%s': %s", what, why);
	cr_expect_null(strchr(why, '\n'), "one line: %s", why);
}

/* Every level it creates is 0700, whatever the umask; an existing
 * directory of this user's closed to others is taken as it is. */
Test(run_dir, made_mode_0700_at_every_level)
{
	char a[160], b[200], c[240], why[1024] = "";
	snprintf(a, sizeof(a), "%s/a", rundir);
	snprintf(b, sizeof(b), "%s/b", a);
	snprintf(c, sizeof(c), "%s/c", b);
	mode_t old = umask(0);
	int rc = rt_run_dir_make(c, why, sizeof(why));
	umask(old);
	cr_assert_eq(rc, 0, "%s", why);
	cr_expect_eq(t_mode(rundir), 0700);
	cr_expect_eq(t_mode(a), 0700);
	cr_expect_eq(t_mode(b), 0700);
	cr_expect_eq(t_mode(c), 0700);
	cr_assert_eq(chmod(c, 0755), 0);
	cr_expect_eq(rt_run_dir_make(c, why, sizeof(why)), 0, "0755 of its own: %s", why);
	cr_expect_eq(rt_run_dir_check(c, why, sizeof(why)), 0, "%s", why);
	cr_expect_eq(t_mode(c), 0755, "left as it was");
}

/* Writable by others or the group, or a link, or no directory: refused
 * with a line naming it; the directory itself is left alone. */
Test(run_dir, open_or_linked_directories_refused)
{
	char d[256], link[256], why[1024];
	snprintf(d, sizeof(d), "%s/open", rundir);
	cr_assert_eq(rt_run_dir_make(d, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(chmod(d, 0777), 0);
	t_refused(d, "mode 0777 lets other users write in it");
	cr_expect_eq(t_mode(d), 0777, "not changed");
	cr_assert_eq(chmod(d, 0770), 0);
	t_refused(d, "mode 0770 lets its group write in it");
	cr_assert_eq(chmod(d, 0700), 0);
	snprintf(link, sizeof(link), "%s/link", rundir);
	cr_assert_eq(symlink(d, link), 0);
	t_refused(link, "is a symbolic link");
	snprintf(link, sizeof(link), "%s/file", rundir);
	t_write_file(link, "x\n");
	t_refused(link, "not a directory");
	cr_expect_eq(rt_run_dir_check("relative/dir", why, sizeof(why)), -DM_ECONFIG);
}

/* The directory holding it: writable by others without the sticky bit is
 * refused (they could swap the run directory); sticky, as /tmp, is not. */
Test(run_dir, parent_open_to_others_refused_unless_sticky)
{
	char p[160], d[200], why[1024];
	snprintf(p, sizeof(p), "%s/shared", rundir);
	snprintf(d, sizeof(d), "%s/run", p);
	cr_assert_eq(rt_run_dir_make(d, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(chmod(p, 0777), 0);
	t_refused(d, "the directory holding it");
	char d2[240];
	struct stat st;
	snprintf(d2, sizeof(d2), "%s/new", p);
	t_refused(d2, "the directory holding it");
	cr_expect_neq(lstat(d2, &st), 0, "made inside a directory others may write");
	cr_assert_eq(chmod(p, 01777), 0);
	cr_expect_eq(rt_run_dir_make(d, why, sizeof(why)), 0, "sticky: %s", why);
}

/* Owned by another user (root's test makes it nobody's): refused, for
 * the directory and for the one holding it. */
Test(run_dir, directory_of_another_user_refused)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give a directory away");
	char p[160], d[200], why[1024];
	snprintf(p, sizeof(p), "%s/theirs", rundir);
	snprintf(d, sizeof(d), "%s/run", p);
	cr_assert_eq(rt_run_dir_make(d, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(chown(d, 65534, 65534), 0);
	t_refused(d, "owned by uid 65534, not by this user (uid 0)");
	cr_assert_eq(chown(d, 0, 0), 0);
	cr_assert_eq(chown(p, 65534, 65534), 0);
	t_refused(d, "is owned by uid 65534, neither this user (uid 0) nor root");
}

/* rt_open refuses a run directory the rule refuses: -DM_ECONFIG (exit 2,
 * no restart) and nothing registered. */
Test(run_dir, open_refuses_an_open_run_directory)
{
	char why[1024];
	cr_assert_eq(rt_run_dir_make(rundir, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(chmod(rundir, 0777), 0);
	cr_expect_eq(t_open_v(AGENT_RISK, 1), -DM_ECONFIG);
	struct seg s;
	cr_assert_eq(seg_attach(&s, segname, 1, msg_layout_hash()), 0);
	cr_expect_eq(atomic_load(&seg_agent(&s, AGENT_RISK)->pid), 0, "not registered");
	seg_close(&s);
	cr_assert_eq(chmod(rundir, 0700), 0);
	cr_expect_eq(t_open_v(AGENT_RISK, 1), 0);
}

/* A file the agents put in the run directory replaces a link planted
 * under its name or its temporary's, and never writes through it: the
 * files the links point to keep their bytes. */
Test(run_dir, files_put_never_through_a_link)
{
	struct rt *rt = t_open(AGENT_DATA);
	char victim[2][256], lnk[256], text[256];
	for (int i = 0; i < 2; i++) {
		snprintf(victim[i], sizeof(victim[i]), "%s", t_tmp_path(i ? "v1" : "v0"));
		t_write_file(victim[i], "precious\n");
	}
	snprintf(lnk, sizeof(lnk), "%s/data.done", rundir);
	cr_assert_eq(symlink(victim[0], lnk), 0);
	snprintf(lnk, sizeof(lnk), "%s/data.done.tmp", rundir);
	cr_assert_eq(symlink(victim[1], lnk), 0);
	cr_assert_eq(rt_run_file_put(rt, "data.done", "events 3\n", 9), 0);
	for (int i = 0; i < 2; i++) {
		char *v = t_file_text(victim[i], NULL);
		cr_expect_str_eq(v, "precious\n", "%s written through a link", victim[i]);
		free(v);
	}
	snprintf(lnk, sizeof(lnk), "%s/data.done", rundir);
	cr_expect_eq(t_mode(lnk) & 0777, 0600);
	FILE *f = rt_run_file_read(rt, "data.done");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(text, sizeof(text), f));
	fclose(f);
	cr_expect_str_eq(text, "events 3\n");
	/* a read never follows a link either */
	snprintf(lnk, sizeof(lnk), "%s/command", rundir);
	cr_assert_eq(symlink(victim[0], lnk), 0);
	cr_expect_null(rt_run_file_read(rt, "command"));
}
