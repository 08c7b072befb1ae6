/*
 * test_coord.c — the coordinator module (libcore/coord/coord.h) alone, in
 * one process, with hand-fed messages and a test host that records what
 * it sends: release, veto, deadline, stale voter (fail closed), agents
 * down, halt and kill switch, quorum all / majority / N, decision ids
 * across a re-attach, two instances side by side, the kill-switch flatten
 * sequence, operator commands, attach refusals, and no allocation in the
 * steady state.
 *
 * Expected values are worked out by hand from the rules in vote.h and
 * coord.h (ids epoch << 40 | n, n = 1, 2, ... in the order decisions are
 * opened).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/coord/coord.h"
#include "libcore/types.h"
#include "tests/helpers.h"

/* jemalloc's control interface, weak: NULL in the sanitizer builds. */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

/* agent indexes of the test (the coordinator is 0) */
#define SELF  0u
#define DATA  1u
#define FEAT  2u
#define ML    3u
#define EXEC  4u
#define RISK  5u
#define NAG   6u
#define ALL   ((1u << NAG) - 1)
#define DL    1000000ll /* deadline: 1 ms */
#define EPOCH 77ull
#define ID(n) (EPOCH << 40 | (uint64_t)(n))

/* ------------------------------------------------------------ test host */

#define T_MAX 64

struct t_host {
	uint32_t full;              /* bit per port (1 << enum coord_port): full */
	uint32_t ctl_full;          /* bit per agent: its control port is full */
	uint32_t n_req[VOTE_MAX_VOTERS];
	struct msg_vote_req req[VOTE_MAX_VOTERS][T_MAX];
	uint32_t n_done[VOTE_MAX_VOTERS];
	struct msg_vote_done done[VOTE_MAX_VOTERS][T_MAX];
	uint32_t req_full;          /* bit per policy voter: its request port is full */
	uint32_t n_orders, n_cancels;
	struct msg_order orders[T_MAX];
	uint32_t n_ctl[NAG];
	struct msg_control ctl[NAG][T_MAX];
	uint32_t n_dec;
	struct vote_record dec[T_MAX];
	uint32_t n_ev;
	struct coord_event ev[T_MAX];
	uint64_t sent;              /* every message, also past T_MAX */
	int keep;                   /* 0: count only (the allocation test) */
	/* the journal, as the agent's behaves: jfull = 1 makes a flush fail;
	 * the first record then stays in the buffer (kept, -EINPROGRESS), a
	 * record of the same decision replaces it, any other is refused;
	 * t_journal_back writes the kept one and takes records again */
	int jfull;
	int has_kept;
	struct vote_record kept;
	uint32_t n_refused;         /* decision() calls refused (not kept) */
	uint32_t n_calls;           /* decision() calls */
};

static int t_can_send(void *ctx, uint32_t port, uint32_t to)
{
	struct t_host *h = ctx;
	if (port == COORD_PORT_CONTROL)
		return to != SELF && !(h->ctl_full & (1u << to));
	if (port == COORD_PORT_VOTE_REQ && (h->req_full & (1u << to)))
		return 0;
	return !(h->full & (1u << port));
}

static int t_send(void *ctx, uint32_t port, uint32_t to, const struct msg_hdr *m)
{
	struct t_host *h = ctx;
	if (port == COORD_PORT_CONTROL && to == SELF)
		return -ENOENT; /* no control port to itself */
	if (!t_can_send(ctx, port, to))
		return -EAGAIN;
	h->sent++;
	if (!h->keep)
		return 0;
	switch (port) {
	case COORD_PORT_VOTE_REQ:
		cr_assert_lt(to, VOTE_MAX_VOTERS);
		if (m->type == MSG_VOTE_DONE) {
			cr_assert_eq(m->size, sizeof(struct msg_vote_done));
			/* never before the decision's record */
			uint64_t id = ((const struct msg_vote_done *)m)->decision_id;
			int recorded = 0;
			for (uint32_t k = 0; k < h->n_dec && k < T_MAX; k++)
				recorded |= h->dec[k].decision_id == id;
			cr_assert(recorded, "vote-done of %llx before its record",
				  (unsigned long long)id);
			if (h->n_done[to] < T_MAX)
				memcpy(&h->done[to][h->n_done[to]], m, sizeof(struct msg_vote_done));
			h->n_done[to]++;
			break;
		}
		cr_assert_eq(m->type, MSG_VOTE_REQ);
		if (h->n_req[to] < T_MAX)
			memcpy(&h->req[to][h->n_req[to]], m, sizeof(struct msg_vote_req));
		h->n_req[to]++;
		break;
	case COORD_PORT_ORDERS:
		if (m->type == MSG_CANCEL) {
			h->n_cancels++;
			cr_assert_eq(((const struct msg_cancel *)m)->client_order_id, 0);
			break;
		}
		cr_assert_eq(m->type, MSG_ORDER);
		if (h->n_orders < T_MAX)
			memcpy(&h->orders[h->n_orders], m, sizeof(struct msg_order));
		h->n_orders++;
		break;
	case COORD_PORT_CONTROL:
		cr_assert_eq(m->type, MSG_CONTROL);
		if (h->n_ctl[to] < T_MAX)
			memcpy(&h->ctl[to][h->n_ctl[to]], m, sizeof(struct msg_control));
		h->n_ctl[to]++;
		break;
	default:
		cr_assert_fail("port %u", port);
	}
	return 0;
}

static void t_durable(struct t_host *h, const struct vote_record *rec)
{
	if (h->keep && h->n_dec < T_MAX)
		h->dec[h->n_dec] = *rec;
	h->n_dec++;
}

static int t_decision(void *ctx, const struct vote_record *rec)
{
	struct t_host *h = ctx;
	h->n_calls++;
	if (!h->jfull) {
		t_durable(h, rec);
		return 0;
	}
	if (h->has_kept && h->kept.decision_id == rec->decision_id) {
		h->kept = *rec; /* the replacement of the record it could not write */
		return -EINPROGRESS;
	}
	if (!h->has_kept) {
		h->kept = *rec;
		h->has_kept = 1;
		return -EINPROGRESS;
	}
	h->n_refused++;
	return -ENOSPC;
}

/* The disk has room again: the kept record is written. */
static void t_journal_back(struct t_host *h)
{
	h->jfull = 0;
	if (h->has_kept)
		t_durable(h, &h->kept);
	h->has_kept = 0;
}

/* fault points passed: the order ports' count at each pass */
static uint32_t t_faults, t_fault_orders;

static void t_fault(void *ctx, uint32_t point)
{
	struct t_host *h = ctx;
	cr_assert_eq(point, COORD_FAULT_RELEASE);
	t_faults++;
	t_fault_orders = h->n_orders;
}

static void t_event(void *ctx, const struct coord_event *ev)
{
	struct t_host *h = ctx;
	if (h->n_ev < T_MAX)
		h->ev[h->n_ev] = *ev;
	h->n_ev++;
}

/* one coordinator: its state (heap, as a segment would hold it), host, handle */
struct t_co {
	struct coord_state *st;
	struct t_host h;
	struct coord c;
	struct coord_env e;
};

/* coord_params.max_intent_age_ns of the next t_start (0: none) */
static int64_t t_max_age;
/* coord_params' child orders of the next t_start (child_max_qty 0: none) */
static struct coord_params t_child;
/* coord_params.fanout of the next t_start (bit v: policy voter v) */
static uint32_t t_fanout;

static void t_params(struct coord_params *p, const char *quorum, uint32_t veto)
{
	static const uint32_t order[] = { RISK, EXEC, FEAT, DATA, ML };
	char err[160];
	coord_params_default(p);
	p->max_intent_age_ns = t_max_age;
	p->child_max_qty = t_child.child_max_qty;
	p->child_horizon_ns = t_child.child_horizon_ns;
	p->child_eta = t_child.child_eta;
	p->child_gamma = t_child.child_gamma;
	p->child_sigma = t_child.child_sigma;
	p->child_lambda = t_child.child_lambda;
	p->fanout = t_fanout;
	p->self = SELF;
	p->n_agents = NAG;
	p->flatten_voter = RISK;
	p->health_every_ns = 1; /* every tick */
	cr_assert_eq(coord_policy_make(&p->vote, order, 5, 1u << RISK | 1u << EXEC | 1u << FEAT,
				       veto, quorum, DL, err, sizeof(err)), 0, "%s", err);
}

static void t_attach(struct t_co *t, const char *quorum, uint32_t veto)
{
	struct coord_params p;
	t_params(&p, quorum, veto);
	struct coord_out out = { .ctx = &t->h, .can_send = t_can_send, .send = t_send,
				 .decision = t_decision, .event = t_event, .fault = t_fault };
	cr_assert_eq(coord_attach(&t->c, t->st, coord_memsize(), &p, &out), 0);
}

static void t_start(struct t_co *t, const char *quorum, uint32_t veto)
{
	memset(t, 0, sizeof(*t));
	t->h.keep = 1;
	t->st = aligned_alloc(64, (coord_memsize() + 63) & ~(size_t)63);
	cr_assert_not_null(t->st);
	memset(t->st, 0xa5, coord_memsize()); /* init must write every byte it relies on */
	cr_assert_eq(coord_init(t->st, coord_memsize(), EPOCH), 0);
	t_attach(t, quorum, veto);
	t->e.now_ns = 1000;
	t->e.fresh = ALL;
	t->e.flags = 0;
	/* first tick: every agent up */
	cr_assert_eq(coord_tick(&t->c, &t->e, NULL), 0);
}

static void t_stop(struct t_co *t)
{
	free(t->st);
	t->st = NULL;
}

static struct msg_intent t_intent(uint64_t id, int side, int64_t px, int32_t qty)
{
	struct msg_intent it;
	memset(&it, 0, sizeof(it));
	it.hdr.type = MSG_INTENT;
	it.hdr.size = sizeof(it);
	it.hdr.ingress_ns = 500;
	it.intent_id = id;
	it.px = px;
	it.qty = qty;
	it.side = (int8_t)side;
	it.ord_type = ORD_LIMIT;
	it.tif = TIF_IOC;
	it.instrument = 3;
	return it;
}

/* A vote on a request (decision) or, decision 0, on an intent itself */
static int t_vote_of(struct t_co *t, uint32_t voter, uint64_t decision, uint64_t intent_id,
		     uint8_t verdict, uint32_t reason)
{
	struct msg_vote v;
	memset(&v, 0, sizeof(v));
	v.hdr.type = MSG_VOTE;
	v.hdr.size = sizeof(v);
	v.decision_id = decision;
	v.intent_id = intent_id;
	v.voter = (uint16_t)voter;
	v.verdict = verdict;
	v.reason = reason;
	return coord_on_vote(&t->c, &t->e, voter, &v);
}

static int t_vote(struct t_co *t, uint32_t voter, uint64_t decision, uint8_t verdict,
		  uint32_t reason)
{
	return t_vote_of(t, voter, decision, 0, verdict, reason);
}

static void t_send_intent(struct t_co *t, uint64_t id, int side)
{
	struct msg_intent it = t_intent(id, side, 26000, 1);
	cr_assert_eq(coord_on_intent(&t->c, &t->e, &it), 0);
}

/* ------------------------------------------------------------ vote */

Test(coord, approving_voters_release_the_order)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	struct msg_intent it = t_intent(41, SIDE_BUY, 26000, 2);
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	/* a request to each voter, in ballot order risk, execution, feature */
	for (uint32_t v = 0; v < 3; v++) {
		cr_assert_eq(t.h.n_req[v], 1, "voter %u asked once", v);
		const struct msg_vote_req *q = &t.h.req[v][0];
		cr_expect_eq(q->decision_id, ID(1));
		cr_expect_eq(q->deadline_ns, 1000 + DL);
		cr_expect_eq(q->intent_id, 41);
		cr_expect_eq(q->px, 26000);
		cr_expect_eq(q->qty, 2);
		cr_expect_eq(q->side, SIDE_BUY);
		cr_expect_eq(q->hdr.ingress_ns, 500);
	}
	cr_expect_eq(coord_busy(&t.c), 1);
	cr_assert_eq(t_vote(&t, EXEC, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.h.n_orders, 0, "one approval of the 2 needed");
	t.e.now_ns = 2000;
	cr_assert_eq(t_vote(&t, RISK, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	/* majority of 3 = 2 approvals, the veto holder among them: released */
	cr_assert_eq(t.h.n_orders, 1);
	const struct msg_order *o = &t.h.orders[0];
	cr_expect_eq(o->decision_id, ID(1));
	cr_expect_eq(o->client_order_id, ID(1), "the client order id is the decision id");
	cr_expect_eq(o->px, 26000);
	cr_expect_eq(o->qty, 2);
	cr_expect_eq(o->side, SIDE_BUY);
	cr_expect_eq(o->ord_type, ORD_LIMIT);
	cr_expect_eq(o->instrument, 3);
	cr_expect_eq(o->hdr.flags & MSG_F_FLATTEN, 0);
	cr_assert_eq(t.h.n_dec, 1);
	const struct vote_record *d = &t.h.dec[0];
	cr_expect_eq(d->outcome, VOTE_RELEASE);
	cr_expect_eq(d->reason, VOTE_R_APPROVED);
	cr_expect_eq(d->decision_id, ID(1));
	cr_expect_eq(d->client_order_id, ID(1));
	cr_expect_eq(d->intent_id, 41);
	cr_expect_eq(d->decided_ns, 2000);
	cr_expect_eq(d->v[0].voter, RISK);
	cr_expect_eq(d->v[0].verdict, VOTE_V_APPROVE);
	cr_expect_eq(d->v[2].verdict, VOTE_V_NONE, "feature had not answered");
	/* the decision is kept in the state for monitors, and counted */
	cr_expect_eq(t.st->n_recent, 1);
	cr_expect_eq(memcmp(&t.st->recent[0], d, sizeof(*d)), 0);
	cr_expect_eq(t.st->released, 1);
	cr_expect_eq(t.st->orders_sent, 1);
	cr_expect_eq(t.st->by_reason[VOTE_R_APPROVED], 1);
	cr_expect_eq(coord_busy(&t.c), 0);
	/* feature's answer comes after the decision: late, changes nothing */
	cr_assert_eq(t_vote(&t, FEAT, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.st->late_votes, 1);
	cr_expect_eq(t.h.n_orders, 1);
	cr_expect_eq(t.h.n_dec, 1);
	t_stop(&t);
}

Test(coord, risk_veto_blocks_the_order)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	t_send_intent(&t, 1, SIDE_SELL);
	cr_assert_eq(t_vote(&t, EXEC, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_assert_eq(t_vote(&t, FEAT, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.h.n_dec, 0, "two approvals, the veto holder's missing: pending");
	cr_assert_eq(t_vote(&t, RISK, ID(1), VOTE_REJECT, VOTE_R_POS_LIMIT), 0);
	cr_expect_eq(t.h.n_orders, 0);
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].outcome, VOTE_BLOCK);
	cr_expect_eq(t.h.dec[0].reason, VOTE_R_VETOED);
	cr_expect_eq(t.h.dec[0].decisive, 0);
	cr_expect_eq(t.h.dec[0].v[0].reason, VOTE_R_POS_LIMIT);
	cr_expect_eq(t.h.dec[0].client_order_id, 0);
	cr_expect_eq(t.st->blocked, 1);
	cr_expect_eq(coord_busy(&t.c), 0, "the ballot is free again");
	t_stop(&t);
}

Test(coord, missing_vote_at_the_deadline_blocks_the_order)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	t_send_intent(&t, 1, SIDE_BUY);
	cr_assert_eq(t_vote(&t, EXEC, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_assert_eq(t_vote(&t, FEAT, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	int64_t wake = -1;
	t.e.now_ns = 1000 + DL - 1;
	cr_expect_eq(coord_tick(&t.c, &t.e, &wake), 0);
	cr_expect_eq(wake, 1000 + DL, "the host is asked back at the deadline");
	cr_expect_eq(t.h.n_dec, 0);
	t.e.now_ns = 1000 + DL;
	cr_expect_eq(coord_tick(&t.c, &t.e, &wake), 1);
	cr_expect_eq(wake, 0, "nothing left to wait for");
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].outcome, VOTE_BLOCK);
	cr_expect_eq(t.h.dec[0].reason, VOTE_R_DEADLINE);
	cr_expect_eq(t.h.dec[0].v[0].verdict, VOTE_V_NONE, "risk's vote missing");
	cr_expect_geq(t.h.dec[0].decided_ns, t.h.dec[0].deadline_ns);
	cr_expect_eq(t.h.n_orders, 0);
	/* risk answers at last: late */
	cr_assert_eq(t_vote(&t, RISK, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.h.n_orders, 0);
	cr_expect_eq(t.st->late_votes, 1);
	t_stop(&t);
}

Test(coord, stale_voter_blocks_the_order)
{
	struct t_co t;
	t_start(&t, "all", 1u << RISK);
	/* feature stale when the intent comes: not asked, rejected for it */
	t.e.fresh = ALL & ~(1u << FEAT);
	t_send_intent(&t, 1, SIDE_BUY);
	cr_expect_eq(t.h.n_req[0], 1);
	cr_expect_eq(t.h.n_req[1], 1);
	cr_expect_eq(t.h.n_req[2], 0, "a stale voter is not asked");
	/* quorum all: the rejection makes it impossible at once */
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].outcome, VOTE_BLOCK);
	cr_expect_eq(t.h.dec[0].reason, VOTE_R_NO_QUORUM);
	cr_expect_eq(t.h.dec[0].v[2].voter, FEAT);
	cr_expect_eq(t.h.dec[0].v[2].verdict, VOTE_V_REJECT);
	cr_expect_eq(t.h.dec[0].v[2].reason, VOTE_R_STALE_VOTER);

	/* feature goes stale with its vote outstanding: the tick rejects for it */
	t.e.fresh = ALL;
	t_send_intent(&t, 2, SIDE_BUY);
	cr_expect_eq(t.h.n_req[2], 1);
	cr_assert_eq(t_vote(&t, RISK, ID(2), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_assert_eq(t_vote(&t, EXEC, ID(2), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.h.n_dec, 1);
	t.e.fresh = ALL & ~(1u << FEAT);
	t.e.now_ns += 10;
	coord_tick(&t.c, &t.e, NULL);
	cr_assert_eq(t.h.n_dec, 2);
	cr_expect_eq(t.h.dec[1].outcome, VOTE_BLOCK);
	cr_expect_eq(t.h.dec[1].reason, VOTE_R_NO_QUORUM);
	cr_expect_eq(t.h.dec[1].v[2].reason, VOTE_R_STALE_VOTER);
	cr_expect_eq(t.h.n_orders, 0);
	t_stop(&t);
}

Test(coord, agent_down_halt_or_kill_switch_block_before_any_vote)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	/* data stops beating: seen by the next health check */
	t.e.fresh = ALL & ~(1u << DATA);
	t.e.now_ns += 10;
	coord_tick(&t.c, &t.e, NULL);
	cr_expect_eq(t.st->down_mask, 1u << DATA);
	cr_expect_eq(coord_blocked_reason(&t.c, &t.e), VOTE_R_ROLE_DOWN);
	t_send_intent(&t, 1, SIDE_BUY);
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].outcome, VOTE_BLOCK);
	cr_expect_eq(t.h.dec[0].reason, VOTE_R_ROLE_DOWN);
	cr_expect_eq(t.h.dec[0].decision_id, ID(1), "a blocked intent has a decision id too");
	for (uint32_t v = 0; v < 3; v++) {
		cr_expect_eq(t.h.n_req[v], 0, "no vote asked");
		cr_expect_eq(t.h.dec[0].v[v].verdict, VOTE_V_NONE);
	}
	/* the events: data went down after being seen up */
	cr_assert_geq(t.h.n_ev, 2);
	cr_expect_eq(t.h.ev[0].kind, COORD_EV_ALL_UP);
	cr_expect_eq(t.h.ev[1].kind, COORD_EV_ROLE_DOWN);
	cr_expect_eq(t.h.ev[1].agent, DATA);

	/* data is back: an intent sees it at once, without waiting for a tick */
	t.e.fresh = ALL;
	t.e.flags = COORD_F_HALTED;
	t_send_intent(&t, 2, SIDE_BUY);
	cr_expect_eq(t.st->down_mask, 0);
	cr_expect_eq(t.h.ev[2].kind, COORD_EV_ROLE_BACK);
	cr_expect_eq(t.h.ev[2].down, 0);
	cr_assert_eq(t.h.n_dec, 2);
	cr_expect_eq(t.h.dec[1].reason, VOTE_R_HALTED);

	t.e.flags = COORD_F_HALTED | COORD_F_KILLED;
	t_send_intent(&t, 3, SIDE_BUY);
	cr_assert_eq(t.h.n_dec, 3);
	cr_expect_eq(t.h.dec[2].reason, VOTE_R_KILL_SWITCH);
	cr_expect_eq(t.st->by_reason[VOTE_R_ROLE_DOWN], 1);
	cr_expect_eq(t.st->by_reason[VOTE_R_HALTED], 1);
	cr_expect_eq(t.st->by_reason[VOTE_R_KILL_SWITCH], 1);
	cr_expect_eq(t.h.n_orders, 0);
	t_stop(&t);
}

/*
 * Every decision record carries the market time of its intent, whether it
 * was voted (release, block) or blocked at once; local times stay beside it.
 * A flattening order, with no market event behind it, gets the newest
 * market time the coordinator saw.
 */
Test(coord, decisions_carry_the_market_time_of_their_intent)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	const int64_t M = 1700000000123456789ll;
	struct msg_intent it = t_intent(1, SIDE_BUY, 26000, 1);
	it.market_ns = M;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	t.e.now_ns = 5000;
	t_vote(&t, RISK, ID(1), VOTE_APPROVE, VOTE_R_APPROVED);
	t_vote(&t, EXEC, ID(1), VOTE_APPROVE, VOTE_R_APPROVED);
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].outcome, VOTE_RELEASE);
	cr_expect_eq(t.h.dec[0].version, 2);
	cr_expect_eq(t.h.dec[0].market_ns, M);
	cr_expect_eq(t.h.dec[0].decided_ns, 5000, "the local time stays");
	cr_expect_eq(t.h.dec[0].opened_ns, 1000);

	it = t_intent(2, SIDE_SELL, 26001, 1);
	it.market_ns = M + 10;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	t_vote(&t, RISK, ID(2), VOTE_VETO, VOTE_R_POS_LIMIT);
	cr_assert_eq(t.h.n_dec, 2);
	cr_expect_eq(t.h.dec[1].outcome, VOTE_BLOCK);
	cr_expect_eq(t.h.dec[1].market_ns, M + 10);

	t.e.flags = COORD_F_HALTED;
	it = t_intent(3, SIDE_SELL, 26001, 1);
	it.market_ns = M + 20;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_assert_eq(t.h.n_dec, 3);
	cr_expect_eq(t.h.dec[2].reason, VOTE_R_HALTED);
	cr_expect_eq(t.h.dec[2].market_ns, M + 20, "blocked at once: still the intent's time");
	cr_expect_eq(t.st->recent[2].market_ns, M + 20);

	t.e.flags = COORD_F_KILLED | COORD_F_HALTED;
	struct msg_position p;
	memset(&p, 0, sizeof(p));
	p.hdr.type = MSG_POSITION;
	p.hdr.size = sizeof(p);
	p.position = 1;
	p.flags = POS_F_FLATTEN;
	p.flatten_qty = -1;
	cr_assert_eq(coord_on_position(&t.c, &t.e, &p), 0);
	cr_assert_eq(t.h.n_dec, 4);
	cr_expect_eq(t.h.dec[3].reason, VOTE_R_FLATTEN);
	cr_expect_eq(t.h.dec[3].market_ns, M + 20, "the newest market time seen");
	t_stop(&t);
}

/*
 * A replay's ballot records every vote whatever order the voters answer
 * in: it is tallied once all are in (the outcome an early tally gives),
 * so two runs whose voters race differently write the same record.  A
 * live one decides as soon as the quorum allows.
 */
Test(coord, a_replay_ballot_waits_for_every_vote_before_deciding)
{
	struct vote_record rec[2];
	for (int run = 0; run < 2; run++) {
		struct t_co t;
		t_start(&t, "majority", 1u << RISK);
		struct msg_intent it = t_intent(1, SIDE_BUY, 26000, 1);
		it.hdr.flags = MSG_F_REPLAY;
		cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
		/* run 0: risk, execution, feature; run 1: feature first */
		if (run == 1)
			t_vote(&t, FEAT, ID(1), VOTE_REJECT, VOTE_R_STALE_BOOK);
		t_vote(&t, RISK, ID(1), VOTE_APPROVE, VOTE_R_APPROVED);
		t_vote(&t, EXEC, ID(1), VOTE_APPROVE, VOTE_R_APPROVED);
		if (run == 0) {
			cr_assert_eq(t.h.n_dec, 0, "quorum reached, feature still to vote: waits");
			cr_assert_eq(t.h.n_orders, 0);
			t_vote(&t, FEAT, ID(1), VOTE_REJECT, VOTE_R_STALE_BOOK);
		}
		cr_assert_eq(t.h.n_dec, 1);
		cr_assert_eq(t.h.n_orders, 1);
		rec[run] = t.h.dec[0];
		cr_expect_eq(t.st->late_votes, 0);
		t_stop(&t);
	}
	for (int run = 0; run < 2; run++) {
		cr_expect_eq(rec[run].outcome, VOTE_RELEASE);
		cr_expect_eq(rec[run].v[2].verdict, VOTE_V_REJECT, "feature's vote is recorded");
		cr_expect_eq(rec[run].v[2].reason, VOTE_R_STALE_BOOK);
	}
	/* a missing replay vote still ends at the deadline */
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	struct msg_intent it = t_intent(2, SIDE_BUY, 26000, 1);
	it.hdr.flags = MSG_F_REPLAY;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	t_vote(&t, RISK, ID(1), VOTE_APPROVE, VOTE_R_APPROVED);
	t_vote(&t, EXEC, ID(1), VOTE_APPROVE, VOTE_R_APPROVED);
	int64_t wake = 0;
	coord_tick(&t.c, &t.e, &wake);
	cr_assert_eq(t.h.n_dec, 0);
	cr_assert_eq(wake, 1000 + DL, "woken at the deadline");
	t.e.now_ns = 1000 + DL;
	coord_tick(&t.c, &t.e, NULL);
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].outcome, VOTE_RELEASE, "what the votes in hand say");
	cr_expect_eq(t.h.dec[0].v[2].verdict, VOTE_V_NONE);
	t_stop(&t);
}

/*
 * Vote-done: after the record, every voter the ballot asked hears the
 * outcome on its request port, whatever it voted and whether its vote was
 * needed; an intent blocked before any vote tells nobody; a stale voter
 * (never asked) is not told.
 */
Test(coord, every_voter_asked_hears_how_its_ballot_ended)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	/* risk approves, feature vetoes (no veto: a rejection), execution
	 * rejects: no quorum, blocked */
	t_send_intent(&t, 1, SIDE_BUY);
	t_vote(&t, RISK, ID(1), VOTE_APPROVE, VOTE_R_APPROVED);
	cr_assert_eq(t.h.n_done[0] + t.h.n_done[1] + t.h.n_done[2], 0, "still open");
	t_vote(&t, EXEC, ID(1), VOTE_REJECT, VOTE_R_INFLIGHT);
	t_vote(&t, FEAT, ID(1), VOTE_REJECT, VOTE_R_STALE_BOOK);
	cr_assert_eq(t.h.n_dec, 1);
	cr_assert_eq(t.h.dec[0].outcome, VOTE_BLOCK);
	for (uint32_t v = 0; v < 3; v++) {
		cr_assert_eq(t.h.n_done[v], 1, "voter %u told once", v);
		const struct msg_vote_done *d = &t.h.done[v][0];
		cr_expect_eq(d->hdr.type, MSG_VOTE_DONE);
		cr_expect_eq(d->decision_id, ID(1));
		cr_expect_eq(d->outcome, VOTE_BLOCK);
		cr_expect_eq(d->reason, VOTE_R_NO_QUORUM);
	}
	/* released with feature's vote not needed: feature is told too */
	t_send_intent(&t, 2, SIDE_BUY);
	t_vote(&t, RISK, ID(2), VOTE_APPROVE, VOTE_R_APPROVED);
	t_vote(&t, EXEC, ID(2), VOTE_APPROVE, VOTE_R_APPROVED);
	for (uint32_t v = 0; v < 3; v++) {
		cr_assert_eq(t.h.n_done[v], 2);
		cr_expect_eq(t.h.done[v][1].decision_id, ID(2));
		cr_expect_eq(t.h.done[v][1].outcome, VOTE_RELEASE);
	}
	cr_expect_eq(t.st->dones_sent, 6);
	/* feature stale before the health check: not asked (a rejection cast
	 * for it), so not told; risk vetoes */
	t.e.fresh = ALL & ~(1u << FEAT);
	t_send_intent(&t, 3, SIDE_BUY);
	cr_assert_eq(t.h.n_req[2], 2, "feature not asked");
	t_vote(&t, RISK, ID(3), VOTE_VETO, VOTE_R_POS_LIMIT);
	cr_assert_eq(t.h.n_dec, 3);
	cr_expect_eq(t.h.n_done[0], 3);
	cr_expect_eq(t.h.n_done[1], 3);
	cr_expect_eq(t.h.n_done[2], 2, "never asked, never told");
	/* once the health check saw it down: blocked at once, no ballot */
	t.e.now_ns += 10;
	coord_tick(&t.c, &t.e, NULL);
	t_send_intent(&t, 4, SIDE_BUY);
	cr_assert_eq(t.h.dec[3].reason, VOTE_R_ROLE_DOWN);
	for (uint32_t v = 0; v < 3; v++)
		cr_expect_eq(t.h.n_done[v], v < 2 ? 3u : 2u, "no ballot, nobody told");
	cr_expect_eq(coord_busy(&t.c), 0);
	t_stop(&t);
}

/*
 * A full request port does not hold the decision: the record is written
 * and the order goes out; the notice waits in the state (surviving a
 * re-attach) and the tick sends it, in decision order, once there is room.
 */
Test(coord, a_full_voter_port_delays_the_notice_not_the_decision)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	t_send_intent(&t, 1, SIDE_BUY);
	t_send_intent(&t, 2, SIDE_BUY);
	t.h.req_full = 1u << 2; /* feature's port (policy index 2) */
	t_vote(&t, RISK, ID(1), VOTE_VETO, VOTE_R_POS_LIMIT);
	t_vote(&t, RISK, ID(2), VOTE_APPROVE, VOTE_R_APPROVED);
	t_vote(&t, EXEC, ID(2), VOTE_APPROVE, VOTE_R_APPROVED);
	cr_assert_eq(t.h.n_dec, 2, "both decided");
	cr_assert_eq(t.h.n_orders, 1, "the released order went out");
	cr_expect_eq(t.h.n_done[0], 2);
	cr_expect_eq(t.h.n_done[1], 2);
	cr_expect_eq(t.h.n_done[2], 0);
	cr_expect_eq(t.c.n_done, 2);
	cr_expect_eq(coord_busy(&t.c), 1, "a drain waits for the notices");
	int64_t wake = 0;
	coord_tick(&t.c, &t.e, &wake);
	cr_expect_eq(wake, t.e.now_ns + t.c.p.retry_ns, "asks to be woken to retry");
	cr_expect_eq(t.h.n_done[2], 0);
	/* a restart in between: the notices are in the state */
	t_attach(&t, "majority", 1u << RISK);
	cr_expect_eq(t.c.n_done, 2);
	t.h.req_full = 0;
	cr_assert_eq(coord_tick(&t.c, &t.e, &wake), 2);
	cr_assert_eq(t.h.n_done[2], 2);
	cr_expect_eq(t.h.done[2][0].decision_id, ID(1), "oldest first");
	cr_expect_eq(t.h.done[2][0].outcome, VOTE_BLOCK);
	cr_expect_eq(t.h.done[2][1].decision_id, ID(2));
	cr_expect_eq(t.h.done[2][1].outcome, VOTE_RELEASE);
	cr_expect_eq(t.st->dones_late, 2);
	cr_expect_eq(t.st->dones_lost, 0);
	cr_expect_eq(t.c.n_done, 0);
	cr_expect_eq(coord_busy(&t.c), 0);
	t_stop(&t);
}

/*
 * Quorum without a veto: the approval at which the order goes out, from
 * n / 2 + 1 (majority of 3 = 2), all (3), N.  Then with a veto holder the
 * quorum alone is not enough.
 */
Test(coord, quorum_majority_all_and_n)
{
	static const struct { const char *q; uint32_t veto; uint32_t at; } rows[] = {
		{ "majority", 0, 2 }, { "all", 0, 3 }, { "1", 0, 1 }, { "2", 0, 2 }, { "3", 0, 3 },
		/* risk is asked first, but voting order here is feature, execution,
		 * risk: the veto holder's approval comes third */
		{ "1", 1u << RISK, 3 }, { "majority", 1u << RISK, 3 },
	};
	static const uint32_t by[3] = { FEAT, EXEC, RISK };
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct t_co t;
		t_start(&t, rows[r].q, rows[r].veto);
		t_send_intent(&t, 1, SIDE_BUY);
		uint32_t released_at = 0;
		for (uint32_t k = 0; k < 3; k++) {
			cr_assert_eq(t_vote(&t, by[k], ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
			if (!released_at && t.h.n_orders)
				released_at = k + 1;
		}
		cr_expect_eq(released_at, rows[r].at, "quorum %s veto %x: released at approval %u",
			     rows[r].q, rows[r].veto, released_at);
		cr_expect_eq(t.h.n_orders, 1);
		t_stop(&t);
	}
	/* majority: two rejections out of three make it impossible */
	struct t_co t;
	t_start(&t, "majority", 0);
	t_send_intent(&t, 1, SIDE_BUY);
	cr_assert_eq(t_vote(&t, FEAT, ID(1), VOTE_REJECT, VOTE_R_WIDE_SPREAD), 0);
	cr_expect_eq(t.h.n_dec, 0);
	cr_assert_eq(t_vote(&t, EXEC, ID(1), VOTE_REJECT, VOTE_R_INFLIGHT), 0);
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].reason, VOTE_R_NO_QUORUM);
	t_stop(&t);
}

Test(coord, policy_from_the_configuration)
{
	static const uint32_t order[] = { RISK, EXEC, FEAT, DATA, ML };
	struct vote_policy p;
	char err[160];
	cr_assert_eq(coord_policy_make(&p, order, 5, 1u << FEAT | 1u << RISK | 1u << ML,
				       1u << ML, "2", 5000, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(p.n_voters, 3);
	cr_expect_eq(p.voter[0], RISK);
	cr_expect_eq(p.voter[1], FEAT);
	cr_expect_eq(p.voter[2], ML);
	cr_expect_eq(p.veto_mask, 1u << 2);
	cr_expect_eq(p.quorum, VOTE_QUORUM_N);
	cr_expect_eq(p.quorum_n, 2);
	cr_expect_eq(p.deadline_ns, 5000);
	cr_expect_eq(coord_policy_make(&p, order, 5, 1u << RISK, 0, "most", 5000, err,
				       sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "most") != NULL, "%s", err);
	cr_expect_eq(coord_policy_make(&p, order, 5, 1u << RISK, 1u << EXEC, "all", 5000, err,
				       sizeof(err)), -EINVAL, "a veto holder that is no voter");
	cr_expect_eq(coord_policy_make(&p, order, 5, 1u << RISK, 0, "2", 5000, err,
				       sizeof(err)), -EINVAL, "quorum above the voters");
	cr_expect_eq(coord_policy_make(&p, order, 5, 0, 0, "all", 5000, err, sizeof(err)),
		     -EINVAL, "no voter");
}

/* ------------------------------------------------------------ restart */

Test(coord, decision_ids_are_unique_across_a_reattach)
{
	struct t_co t;
	t_start(&t, "all", 1u << RISK);
	/* decision 1 released and sent; decision 2 open; decision 3 released
	 * but not sent (orders port full) when the process goes */
	t_send_intent(&t, 1, SIDE_BUY);
	t_vote(&t, RISK, ID(1), VOTE_APPROVE, 0);
	t_vote(&t, EXEC, ID(1), VOTE_APPROVE, 0);
	t_vote(&t, FEAT, ID(1), VOTE_APPROVE, 0);
	cr_assert_eq(t.h.n_orders, 1);
	t_send_intent(&t, 2, SIDE_SELL);
	t_send_intent(&t, 3, SIDE_BUY);
	t.h.full = 1u << COORD_PORT_ORDERS;
	t_vote(&t, RISK, ID(3), VOTE_APPROVE, 0);
	t_vote(&t, EXEC, ID(3), VOTE_APPROVE, 0);
	t_vote(&t, FEAT, ID(3), VOTE_APPROVE, 0);
	cr_expect_eq(t.h.n_orders, 1, "held: the orders port is full");
	int64_t wake = 0;
	coord_tick(&t.c, &t.e, &wake);
	cr_expect_eq(wake, t.e.now_ns + t.c.p.retry_ns, "asked back soon to retry");

	/* a new process: a fresh handle on the same state */
	memset(&t.c, 0xee, sizeof(t.c));
	t.h.full = 0;
	t_attach(&t, "all", 1u << RISK);
	cr_expect_eq(t.c.n_open, 1);
	cr_expect_eq(t.c.n_decided, 1);
	cr_expect_eq(t.st->attaches, 2);
	coord_tick(&t.c, &t.e, NULL);
	cr_assert_eq(t.h.n_orders, 2, "the released order goes out after the restart");
	cr_expect_eq(t.h.orders[1].client_order_id, ID(3), "with its id of before");
	/* the open ballot still collects its votes */
	t_vote(&t, RISK, ID(2), VOTE_APPROVE, 0);
	t_vote(&t, EXEC, ID(2), VOTE_APPROVE, 0);
	t_vote(&t, FEAT, ID(2), VOTE_APPROVE, 0);
	cr_assert_eq(t.h.n_orders, 3);
	cr_expect_eq(t.h.orders[2].client_order_id, ID(2));
	/* and a new intent gets the next id, never one given before */
	t_send_intent(&t, 4, SIDE_BUY);
	cr_expect_eq(t.h.req[0][t.h.n_req[0] - 1].decision_id, ID(4));
	cr_assert_eq(t.h.n_dec, 3);
	for (uint32_t i = 0; i < t.h.n_dec; i++)
		for (uint32_t j = 0; j < i; j++)
			cr_expect_neq(t.h.dec[i].decision_id, t.h.dec[j].decision_id);
	t_stop(&t);
}

Test(coord, attach_refuses_what_is_not_a_state_of_this_build)
{
	struct coord_state *st = aligned_alloc(64, (coord_memsize() + 63) & ~(size_t)63);
	cr_assert_not_null(st);
	struct coord c;
	struct coord_params p;
	struct t_host h = { .keep = 1 };
	struct coord_out out = { .ctx = &h, .can_send = t_can_send, .send = t_send,
				 .decision = t_decision };
	t_params(&p, "all", 0);
	memset(st, 0, coord_memsize());
	cr_expect_eq(coord_attach(&c, st, coord_memsize(), &p, &out), -DM_EMAGIC);
	cr_expect_eq(coord_init(st, coord_memsize(), 0), -EINVAL, "epoch 0");
	cr_expect_eq(coord_init(st, coord_memsize(), COORD_EPOCH_MAX + 1), -EINVAL);
	cr_expect_eq(coord_init(st, coord_memsize() - 1, 1), -DM_ESIZE);
	cr_assert_eq(coord_init(st, coord_memsize(), COORD_EPOCH_MAX), 0);
	cr_expect_eq(coord_attach(&c, st, coord_memsize() - 8, &p, &out), -DM_ESIZE);
	struct coord_out none = out;
	none.decision = NULL;
	cr_expect_eq(coord_attach(&c, st, coord_memsize(), &p, &none), -EINVAL,
		     "decisions must go somewhere");
	st->version++;
	cr_expect_eq(coord_attach(&c, st, coord_memsize(), &p, &out), -DM_EVERSION);
	st->version--;
	st->ballot[5].state = 9;
	cr_expect_eq(coord_attach(&c, st, coord_memsize(), &p, &out), -DM_ECORRUPT);
	st->ballot[5].state = COORD_B_FREE;
	cr_expect_eq(coord_attach(&c, st, coord_memsize(), &p, &out), 0);
	free(st);
}

Test(coord, two_instances_in_one_process_do_not_interfere)
{
	struct t_co a, b;
	t_start(&a, "all", 1u << RISK);
	t_start(&b, "majority", 1u << RISK);
	b.st->epoch = 78; /* another run */
	t_send_intent(&a, 1, SIDE_BUY);
	t_send_intent(&b, 2, SIDE_SELL);
	t_send_intent(&b, 3, SIDE_SELL);
	cr_expect_eq(a.h.req[0][0].decision_id, ID(1));
	cr_expect_eq(b.h.req[0][0].decision_id, 78ull << 40 | 1);
	cr_expect_eq(b.h.req[0][1].decision_id, 78ull << 40 | 2);
	/* a vote for a's ballot fed to b finds no ballot there */
	t_vote(&b, RISK, ID(1), VOTE_APPROVE, 0);
	cr_expect_eq(b.st->late_votes, 1);
	cr_expect_eq(a.st->late_votes, 0);
	t_vote(&a, RISK, ID(1), VOTE_APPROVE, 0);
	t_vote(&a, EXEC, ID(1), VOTE_APPROVE, 0);
	cr_expect_eq(a.h.n_orders, 0, "a needs all three");
	t_vote(&b, RISK, 78ull << 40 | 1, VOTE_APPROVE, 0);
	t_vote(&b, EXEC, 78ull << 40 | 1, VOTE_APPROVE, 0);
	cr_expect_eq(b.h.n_orders, 1, "b needs a majority");
	t_vote(&a, FEAT, ID(1), VOTE_APPROVE, 0);
	cr_expect_eq(a.h.n_orders, 1);
	cr_expect_eq(a.h.orders[0].side, SIDE_BUY);
	cr_expect_eq(b.h.orders[0].side, SIDE_SELL);
	/* halting one halts only that one */
	b.e.flags = COORD_F_HALTED;
	t_send_intent(&a, 4, SIDE_BUY);
	t_send_intent(&b, 5, SIDE_BUY);
	cr_expect_eq(a.c.n_open, 1);
	cr_expect_eq(b.c.n_open, 1, "b's earlier ballot only");
	cr_expect_eq(b.st->by_reason[VOTE_R_HALTED], 1);
	cr_expect_eq(a.st->by_reason[VOTE_R_HALTED], 0);
	cr_expect_eq(a.st->decisions, 1);
	cr_expect_eq(b.st->decisions, 2);
	t_stop(&a);
	t_stop(&b);
}

/* ------------------------------------------------------------ kill switch */

static struct msg_position t_pos(int64_t position, int32_t flatten_qty)
{
	struct msg_position p;
	memset(&p, 0, sizeof(p));
	p.hdr.type = MSG_POSITION;
	p.hdr.size = sizeof(p);
	p.position = position;
	p.instrument = 3;
	if (flatten_qty) {
		p.flags = POS_F_FLATTEN;
		p.flatten_qty = flatten_qty;
	}
	return p;
}

static struct msg_exec_report t_report(uint64_t decision, uint8_t status, int32_t last_qty)
{
	struct msg_exec_report r;
	memset(&r, 0, sizeof(r));
	r.hdr.type = MSG_EXEC_REPORT;
	r.hdr.size = sizeof(r);
	r.decision_id = decision;
	r.status = status;
	r.last_qty = last_qty;
	return r;
}

/* ------------------------------------------------------------ child orders */

/* Every voter approves the open ballot of decision id. */
static void t_approve_all(struct t_co *t, uint64_t id)
{
	cr_assert_eq(t_vote(t, RISK, id, VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_assert_eq(t_vote(t, EXEC, id, VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_assert_eq(t_vote(t, FEAT, id, VOTE_APPROVE, VOTE_R_APPROVED), 0);
}

/*
 * child_max_qty 2 over 3 s, no impact model: 5 contracts become
 * ceil(5 / 2) = 3 children along the straight line 5, 3.33, 1.67, 0,
 * rounded 5, 3, 2, 0: 2, 1, 2 contracts at +0, +1 s, +2 s, each its own
 * ballot and decision; the kill switch drops the ones not sent.
 */
Test(coord, child_orders_straight_line_by_hand)
{
	struct t_co t;
	const int64_t S = 1000000000LL;
	memset(&t_child, 0, sizeof(t_child));
	t_child.child_max_qty = 2;
	t_child.child_horizon_ns = 3 * S;
	t_start(&t, "all", 0);
	struct msg_intent it = t_intent(9, SIDE_SELL, 26000, 5);
	it.market_ns = 777;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_assert_eq(t.h.n_req[0], 1);
	cr_expect_eq(t.h.req[0][0].qty, 2, "the first child at once");
	cr_expect_eq(t.h.req[0][0].px, 26000, "the intent's price");
	cr_expect_eq(t.h.req[0][0].hdr.ingress_ns, 500, "as fresh as the intent");
	t_approve_all(&t, ID(1));
	cr_assert_eq(t.h.n_orders, 1);
	cr_expect_eq(t.h.orders[0].qty, 2);
	cr_expect_eq(t.st->parents, 1);
	cr_expect_eq(t.st->children, 1);

	/* the second is due at 1000 + 1 s: not before, and tick says when */
	int64_t wake = 0;
	t.e.now_ns = 1000 + S - 1;
	coord_tick(&t.c, &t.e, &wake);
	cr_expect_eq(t.h.n_req[0], 1);
	cr_expect_eq(wake, 1000 + S);
	t.e.now_ns = 1000 + S;
	coord_tick(&t.c, &t.e, &wake);
	cr_assert_eq(t.h.n_req[0], 2);
	const struct msg_vote_req *q = &t.h.req[0][1];
	cr_expect_eq(q->decision_id, ID(2), "a decision of its own");
	cr_expect_eq(q->qty, 1);
	cr_expect_eq(q->intent_id, 9);
	cr_expect_eq(q->side, SIDE_SELL);
	cr_expect_eq(q->hdr.ingress_ns, 1000 + S, "its own time");
	cr_expect_eq(wake, 1000 + S + DL, "the new ballot's deadline, before the third's time");
	t_approve_all(&t, ID(2));
	t.e.now_ns = 1000 + S + 1;
	coord_tick(&t.c, &t.e, &wake);
	cr_expect_eq(wake, 1000 + 2 * S, "then the third's time");
	cr_assert_eq(t.h.n_orders, 2);
	cr_expect_eq(t.h.orders[1].qty, 1);
	cr_assert_eq(t.h.n_dec, 2);
	cr_expect_eq(t.h.dec[1].outcome, VOTE_RELEASE);
	cr_expect_eq(t.h.dec[1].qty, 1);
	cr_expect_eq(t.h.dec[1].market_ns, 777 + S, "the market time moved on by 1 s");

	/* the kill switch before the third: dropped, nothing asked */
	t.e.flags = COORD_F_KILLED;
	t.e.now_ns = 1000 + 2 * S;
	coord_tick(&t.c, &t.e, &wake);
	cr_expect_eq(t.h.n_req[0], 2);
	cr_expect_eq(t.st->children_dropped, 1);
	cr_expect_eq(t.st->children, 2);
	cr_expect_eq(wake, 0);
	t_stop(&t);
	memset(&t_child, 0, sizeof(t_child));
}

/*
 * The Almgren-Chriss cut: 10 contracts, child_max_qty 6, 4 s, eta 0.5 per
 * contract of a child, gamma 0.2, sigma 1, lambda 0.3.
 *   n = 2: tau 2, eta 0.5 x 2 = 1, eta~ = 1 - 0.2 = 0.8, cosh(k tau) = 1 +
 *          (0.3 / 0.8) 4 / 2 = 1.75, x_1 = 10 / (2 x 1.75) = 2.86 -> 3:
 *          7, 3 -> 7 > 6, one more slice;
 *   n = 3: tau 4/3, eta~ = 2/3 - 2/15 = 8/15, cosh(k tau) = 1 + (0.3 x
 *          15/8)(16/9) / 2 = 1.5 = c, x_1 = 10 (2c) / (4c^2 - 1) = 3.75
 *          -> 4, x_2 = 10 / (4c^2 - 1) = 1.25 -> 1: 6, 3, 1.
 */
Test(coord, child_orders_almgren_chriss_by_hand)
{
	struct t_co t;
	const int64_t S = 1000000000LL;
	memset(&t_child, 0, sizeof(t_child));
	t_child.child_max_qty = 6;
	t_child.child_horizon_ns = 4 * S;
	t_child.child_eta = 0.5;
	t_child.child_gamma = 0.2;
	t_child.child_sigma = 1;
	t_child.child_lambda = 0.3;
	t_start(&t, "all", 0);
	struct msg_intent it = t_intent(5, SIDE_BUY, 26000, 10);
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	const struct coord_parent *par = &t.st->parent[0];
	cr_assert_eq(par->n, 3);
	cr_expect_eq(par->tau_ns, 4 * S / 3);
	cr_expect_eq(par->hold[1], 4);
	cr_expect_eq(par->hold[2], 1);
	cr_expect_eq(t.h.req[0][0].qty, 6);
	t_approve_all(&t, ID(1));
	int64_t times[2] = { 1000 + 4 * S / 3, 1000 + 2 * (4 * S / 3) };
	int32_t qty[2] = { 3, 1 };
	for (int k = 0; k < 2; k++) {
		t.e.now_ns = times[k];
		coord_tick(&t.c, &t.e, NULL);
		cr_assert_eq(t.h.n_req[0], (uint32_t)k + 2);
		cr_expect_eq(t.h.req[0][k + 1].qty, qty[k], "child %d", k + 2);
		t_approve_all(&t, ID(k + 2));
	}
	cr_expect_eq(t.h.n_orders, 3);
	cr_expect_eq(par->next, 0, "done: the slot is free");
	/* an intent within child_max_qty goes whole, as without children */
	struct msg_intent small = t_intent(6, SIDE_BUY, 26000, 6);
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &small), 0);
	cr_expect_eq(t.h.req[0][3].qty, 6);
	cr_expect_eq(t.st->parents, 1);
	t_stop(&t);
	memset(&t_child, 0, sizeof(t_child));
}

Test(coord, kill_switch_cancels_drops_unsent_orders_and_flattens)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	/* without the kill switch a flatten request does nothing */
	struct msg_position p = t_pos(3, -3);
	cr_assert_eq(coord_on_position(&t.c, &t.e, &p), 0);
	cr_expect_eq(t.h.n_orders, 0);
	cr_expect_eq(t.st->position, 3);

	/* a released order held by a full orders port */
	t_send_intent(&t, 1, SIDE_BUY);
	t.h.full = 1u << COORD_PORT_ORDERS;
	t_vote(&t, RISK, ID(1), VOTE_APPROVE, 0);
	t_vote(&t, EXEC, ID(1), VOTE_APPROVE, 0);
	cr_expect_eq(t.c.n_decided, 1);
	t.h.full = 0;

	/* the operator's kill switch: the host latched it, then the command */
	t.e.flags = COORD_F_KILLED | COORD_F_HALTED;
	struct coord_cmd_result r;
	cr_assert_eq(coord_command(&t.c, &t.e, CTL_KILL_SWITCH, 9, &r), 0);
	cr_expect_eq(r.told, NAG - 1, "every agent but the coordinator");
	cr_expect_eq(r.missed, 0);
	cr_expect_eq(r.cancel, 0);
	cr_expect_eq(r.dropped, 1);
	for (uint32_t a = 1; a < NAG; a++) {
		cr_assert_eq(t.h.n_ctl[a], 1);
		cr_expect_eq(t.h.ctl[a][0].cmd, CTL_KILL_SWITCH);
		cr_expect_eq(t.h.ctl[a][0].target, ~0u);
		cr_expect_eq(t.h.ctl[a][0].arg, 9, "the command's number");
	}
	cr_expect_eq(t.h.n_cancels, 1, "cancel-all");
	cr_expect_eq(t.h.n_orders, 0, "the released order is dropped, not sent");
	cr_expect_eq(t.c.n_decided, 0);
	cr_assert_geq(t.h.n_ev, 2);
	cr_expect_eq(t.h.ev[t.h.n_ev - 1].kind, COORD_EV_ORDER_DROPPED);
	cr_expect_eq(t.h.ev[t.h.n_ev - 1].client_order_id, ID(1));
	/* a later vote changes nothing: the ballot is gone */
	t_vote(&t, FEAT, ID(1), VOTE_APPROVE, 0);
	cr_expect_eq(t.h.n_orders, 0);

	/* risk asks to flatten a long 3: sell 3 at market, no vote */
	uint32_t dec0 = t.h.n_dec;
	p = t_pos(3, -3);
	cr_assert_eq(coord_on_position(&t.c, &t.e, &p), 0);
	cr_assert_eq(t.h.n_orders, 1);
	const struct msg_order *o = &t.h.orders[0];
	cr_expect_eq(o->hdr.flags & MSG_F_FLATTEN, MSG_F_FLATTEN);
	cr_expect_eq(o->side, SIDE_SELL);
	cr_expect_eq(o->qty, 3);
	cr_expect_eq(o->ord_type, ORD_MARKET);
	cr_expect_eq(o->tif, TIF_IOC);
	cr_expect_eq(o->instrument, 3);
	cr_expect_eq(o->decision_id, ID(2), "the next decision id");
	cr_expect_eq(o->client_order_id, ID(2));
	for (uint32_t v = 0; v < 3; v++)
		cr_expect_eq(t.h.n_req[v], 1, "no vote asked for it");
	cr_assert_eq(t.h.n_dec, dec0 + 1, "journaled as a decision");
	const struct vote_record *d = &t.h.dec[dec0];
	cr_expect_eq(d->outcome, VOTE_RELEASE);
	cr_expect_eq(d->reason, VOTE_R_FLATTEN);
	cr_expect_eq(d->client_order_id, ID(2));
	cr_expect_eq(d->n_voters, 1);
	cr_expect_eq(d->v[0].voter, RISK);
	cr_expect_eq(d->v[0].verdict, VOTE_V_APPROVE);
	cr_expect_eq(t.st->flatten_id, ID(2));
	cr_expect_eq(t.h.ev[t.h.n_ev - 1].kind, COORD_EV_FLATTEN);
	cr_expect_eq(t.h.ev[t.h.n_ev - 1].qty, 3);

	/* one at a time: the next request waits for the first to end */
	cr_assert_eq(coord_on_position(&t.c, &t.e, &p), 0);
	cr_expect_eq(t.h.n_orders, 1);
	struct msg_exec_report rep = t_report(ID(2), EXEC_PARTIAL, 2);
	coord_on_report(&t.c, &t.e, &rep);
	cr_expect_eq(t.st->flatten_id, ID(2), "partly filled: still in flight");
	rep = t_report(ID(2), EXEC_CANCELLED, 0);
	coord_on_report(&t.c, &t.e, &rep);
	cr_expect_eq(t.st->flatten_id, 0);
	cr_expect_eq(t.st->reports, 2);
	cr_expect_eq(t.st->fills, 1);
	/* risk asks for the last one (a full orders port makes it wait) */
	p = t_pos(1, -1);
	t.h.full = 1u << COORD_PORT_ORDERS;
	cr_expect_eq(coord_on_position(&t.c, &t.e, &p), -EAGAIN);
	t.h.full = 0;
	cr_assert_eq(coord_on_position(&t.c, &t.e, &p), 0);
	cr_assert_eq(t.h.n_orders, 2);
	cr_expect_eq(t.h.orders[1].qty, 1);
	cr_expect_eq(t.h.orders[1].decision_id, ID(3), "no id was used up by the refusal");
	cr_expect_eq(t.st->flattens, 2);
	/* a voted intent under the kill switch is blocked */
	t_send_intent(&t, 9, SIDE_BUY);
	cr_expect_eq(t.h.dec[t.h.n_dec - 1].reason, VOTE_R_KILL_SWITCH);
	cr_expect_eq(t.h.n_orders, 2);
	t_stop(&t);
}

Test(coord, operator_commands_forward_and_say_what_failed)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	struct coord_cmd_result r;
	t.h.ctl_full = 1u << ML;
	t.e.flags = COORD_F_HALTED;
	cr_expect_eq(coord_command(&t.c, &t.e, CTL_HALT, 4, &r), -EAGAIN);
	cr_expect_eq(r.told, NAG - 2);
	cr_expect_eq(r.missed, 1u << ML);
	cr_expect_eq(r.cancel, 1, "halt cancels nothing");
	cr_expect_eq(t.h.n_cancels, 0);
	cr_expect_eq(t.h.n_ctl[ML], 0);
	cr_expect_eq(t.h.n_ctl[RISK], 1);
	t.h.ctl_full = 0;
	cr_expect_eq(coord_command(&t.c, &t.e, COORD_CMD_CANCEL_ALL, 5, &r), 0);
	cr_expect_eq(r.cancel, 0);
	cr_expect_eq(r.told, 0, "cancel-all is not forwarded");
	cr_expect_eq(t.h.n_cancels, 1);
	t.h.full = 1u << COORD_PORT_ORDERS;
	cr_expect_eq(coord_command(&t.c, &t.e, COORD_CMD_CANCEL_ALL, 6, &r), -EAGAIN);
	cr_expect_eq(r.cancel, -EAGAIN);
	t_stop(&t);
}

Test(coord, backpressure_leaves_the_intent_untouched)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	/* a voter's request port full: nothing opened, no id used */
	t.h.full = 1u << COORD_PORT_VOTE_REQ;
	struct msg_intent it = t_intent(1, SIDE_BUY, 26000, 1);
	cr_expect_eq(coord_on_intent(&t.c, &t.e, &it), -EAGAIN);
	cr_expect_eq(t.c.n_open, 0);
	cr_expect_eq(t.st->next_decision, 0);
	t.h.full = 0;
	/* every ballot busy: intents wait */
	for (uint32_t i = 0; i < COORD_BALLOTS; i++)
		cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_expect_eq(coord_on_intent(&t.c, &t.e, &it), -EAGAIN);
	cr_expect_eq(t.st->next_decision, COORD_BALLOTS);
	/* one decided: room again, and the first id went first */
	t_vote(&t, RISK, ID(1), VOTE_REJECT, VOTE_R_RATE_LIMIT);
	cr_expect_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_expect_eq(t.st->next_decision, COORD_BALLOTS + 1);
	t_stop(&t);
}

Test(coord, released_orders_go_out_in_client_order_id_order)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	for (uint64_t i = 1; i <= 4; i++)
		t_send_intent(&t, i, SIDE_BUY);
	t.h.full = 1u << COORD_PORT_ORDERS;
	/* decided in the order 3, 1, 4, 2 */
	static const uint64_t seq[] = { 3, 1, 4, 2 };
	for (int k = 0; k < 4; k++) {
		t_vote(&t, RISK, ID(seq[k]), VOTE_APPROVE, 0);
		t_vote(&t, EXEC, ID(seq[k]), VOTE_APPROVE, 0);
	}
	cr_expect_eq(t.c.n_decided, 4);
	t.h.full = 0;
	cr_expect_eq(coord_tick(&t.c, &t.e, NULL), 4);
	cr_assert_eq(t.h.n_orders, 4);
	for (uint32_t k = 0; k < 4; k++)
		cr_expect_eq(t.h.orders[k].client_order_id, ID(k + 1));
	t_stop(&t);
}

/* ------------------------------------------------------------ allocation */

static uint64_t t_allocated(void)
{
	uint64_t v = 0;
	size_t sz = sizeof(v);
	cr_assert_eq(mallctl("thread.allocated", &v, &sz, NULL, 0), 0);
	return v;
}

/* ------------------------------------------------------------ fresh intents */

Test(coord, an_intent_older_than_the_limit_is_refused_before_any_vote)
{
	struct t_co t;
	t_max_age = 1000000; /* 1 ms */
	t_start(&t, "majority", 1u << RISK);
	int64_t now = 10ll * 1000000000;
	t.e.now_ns = now;
	/* taken in 1 ms + 1 ns ago: stale */
	struct msg_intent it = t_intent(5, SIDE_BUY, 26000, 1);
	it.hdr.ingress_ns = now - 1000000 - 1;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	for (uint32_t v = 0; v < 3; v++)
		cr_expect_eq(t.h.n_req[v], 0, "no vote asked");
	cr_assert_eq(t.h.n_dec, 1, "journaled like any refusal");
	const struct vote_record *d = &t.h.dec[0];
	cr_expect_eq(d->outcome, VOTE_BLOCK);
	cr_expect_eq(d->reason, VOTE_R_STALE_INTENT);
	cr_expect_str_eq(vote_reason_name(d->reason), "stale_intent");
	cr_expect_eq(d->decision_id, ID(1));
	cr_expect_eq(d->intent_id, 5);
	cr_expect_eq(d->ingress_ns, now - 1000000 - 1);
	cr_expect_eq(d->client_order_id, 0);
	for (uint32_t v = 0; v < 3; v++)
		cr_expect_eq(d->v[v].verdict, VOTE_V_NONE, "every vote missing");
	cr_expect_eq(t.st->by_reason[VOTE_R_STALE_INTENT], 1);
	cr_expect_eq(t.st->blocked, 1);
	cr_expect_eq(coord_busy(&t.c), 0);
	/* exactly 1 ms old: within the limit, a ballot opens */
	it.intent_id = 6;
	it.hdr.ingress_ns = now - 1000000;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_expect_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.n_req[0], 1, "risk asked");
	cr_expect_eq(t.h.req[0][0].decision_id, ID(2));
	/* no market event behind it (ingress 0): no age to judge */
	it.intent_id = 7;
	it.hdr.ingress_ns = 0;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_expect_eq(t.h.n_req[0], 2);
	/* halted and stale: the system's state is named first */
	t.e.flags = COORD_F_HALTED;
	it.intent_id = 8;
	it.hdr.ingress_ns = 1;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_assert_eq(t.h.n_dec, 2);
	cr_expect_eq(t.h.dec[1].reason, VOTE_R_HALTED);
	t_stop(&t);
}

/* Fresh when it came, stale when its last vote lands: the decision time
 * counts, so no release is journaled more than the limit after its event. */
Test(coord, an_intent_that_ages_past_the_limit_while_voted_on_is_refused)
{
	struct t_co t;
	t_max_age = 1000000; /* 1 ms */
	t_start(&t, "majority", 1u << RISK);
	int64_t now = 10ll * 1000000000;
	t.e.now_ns = now;
	struct msg_intent it = t_intent(9, SIDE_BUY, 26000, 1);
	it.hdr.ingress_ns = now - 400000; /* 0.4 ms old: a ballot opens */
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_assert_eq(t.h.n_req[0], 1, "risk asked");
	cr_assert_eq(t_vote(&t, EXEC, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	/* the deciding approval 0.6 ms + 1 ns later: 1 ms + 1 ns after ingress */
	t.e.now_ns = now + 600001;
	cr_assert_eq(t_vote(&t, RISK, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.h.n_orders, 0, "nothing released");
	cr_assert_eq(t.h.n_dec, 1);
	const struct vote_record *d = &t.h.dec[0];
	cr_expect_eq(d->outcome, VOTE_BLOCK);
	cr_expect_eq(d->reason, VOTE_R_STALE_INTENT);
	cr_expect_eq(d->client_order_id, 0);
	cr_expect_eq(d->decided_ns - d->ingress_ns, 1000001);
	cr_expect_eq(t.st->by_reason[VOTE_R_STALE_INTENT], 1);
	/* the same votes 1 ns sooner: released */
	it.intent_id = 10;
	it.hdr.ingress_ns = t.e.now_ns - 400000;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_assert_eq(t_vote(&t, EXEC, ID(2), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	t.e.now_ns += 600000;
	cr_assert_eq(t_vote(&t, RISK, ID(2), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.h.n_orders, 1, "released at exactly the limit");
	cr_assert_eq(t.h.n_dec, 2);
	cr_expect_eq(t.h.dec[1].outcome, VOTE_RELEASE);
	t_stop(&t);
}

Test(coord, without_a_limit_no_intent_is_too_old)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK); /* max_intent_age_ns 0 */
	t.e.now_ns = 3600ll * 1000000000;
	struct msg_intent it = t_intent(5, SIDE_BUY, 26000, 1);
	it.hdr.ingress_ns = 1;
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_expect_eq(t.h.n_dec, 0);
	cr_expect_eq(t.h.n_req[0], 1, "an hour old, and asked");
	t_stop(&t);
}

/* ------------------------------------------------------------ journal failures */

/* the MSG_VOTE_DONE risk (policy voter 0) got for decision id, or NULL */
static const struct msg_vote_done *t_done_of(const struct t_co *t, uint64_t id)
{
	for (uint32_t k = 0; k < t->h.n_done[0] && k < T_MAX; k++)
		if (t->h.done[0][k].decision_id == id)
			return &t->h.done[0][k];
	return NULL;
}

Test(coord, a_decision_that_cannot_be_journaled_releases_nothing)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	/* two ballots open while the journal writes */
	t_send_intent(&t, 1, SIDE_BUY);
	t_send_intent(&t, 2, SIDE_SELL);
	/* the disk fills: the release of decision 1 cannot be flushed */
	t.h.jfull = 1;
	cr_assert_eq(t_vote(&t, RISK, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_assert_eq(t_vote(&t, EXEC, ID(1), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.h.n_orders, 0, "no order without its record");
	cr_expect_eq(t_faults, 0, "no release passed its fault point");
	cr_expect_eq(t.h.n_dec, 0, "nothing durable");
	cr_assert(t.h.has_kept, "the failed record stays with the host");
	cr_expect_eq(t.h.kept.decision_id, ID(1));
	cr_expect_eq(t.h.kept.outcome, VOTE_BLOCK, "and was replaced by the block");
	cr_expect_eq(t.h.kept.reason, VOTE_R_JOURNAL_ERROR);
	cr_expect_eq(t.h.kept.client_order_id, 0);
	cr_expect_eq(t.h.kept.v[0].verdict, VOTE_V_APPROVE, "the votes as cast");
	cr_expect_eq(t.h.n_calls, 2, "the release, then its replacement");
	cr_expect_null(t_done_of(&t, ID(1)), "no notice before the record is written");
	cr_expect_eq(t.st->journal_failures, 1);
	cr_expect_eq(t.st->blocked, 1);
	cr_expect_eq(t.st->released, 0);
	cr_expect_eq(t.st->by_reason[VOTE_R_JOURNAL_ERROR], 1);
	cr_expect_eq(t.st->recent[0].reason, VOTE_R_JOURNAL_ERROR);
	cr_expect_eq(t.c.n_held, 1);

	/* the host now says its journal fails: nothing new is decided */
	t.e.flags = COORD_F_NO_JOURNAL | COORD_F_JOURNAL;
	uint64_t next = t.st->next_decision;
	struct msg_intent it = t_intent(3, SIDE_BUY, 26000, 1);
	cr_expect_eq(coord_on_intent(&t.c, &t.e, &it), -EAGAIN, "the intent waits");
	cr_expect_eq(t.st->next_decision, next, "no id used");
	/* ballot 2 ends meanwhile: blocked, its record to write later */
	uint32_t calls = t.h.n_calls;
	cr_assert_eq(t_vote(&t, RISK, ID(2), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_assert_eq(t_vote(&t, EXEC, ID(2), VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.h.n_orders, 0);
	cr_expect_eq(t.h.n_calls, calls, "not even handed to a failing journal");
	cr_expect_eq(t.c.n_held, 2);
	cr_expect_eq(coord_tick(&t.c, &t.e, NULL), 0, "nothing while it fails");
	cr_expect_eq(coord_busy(&t.c), 0, "held decisions do not keep a drain waiting");

	/* room again: the kept record is written; the latch stays */
	t_journal_back(&t.h);
	t.e.flags = COORD_F_JOURNAL;
	cr_expect_eq(coord_tick(&t.c, &t.e, NULL), 2, "both held decisions finished");
	cr_assert_eq(t.h.n_dec, 2);
	cr_expect_eq(t.h.dec[0].decision_id, ID(1));
	cr_expect_eq(t.h.dec[1].decision_id, ID(2), "then the one still to write");
	cr_expect_eq(t.h.dec[1].outcome, VOTE_BLOCK);
	cr_expect_eq(t.h.dec[1].reason, VOTE_R_JOURNAL_ERROR);
	for (uint64_t id = 1; id <= 2; id++) {
		const struct msg_vote_done *dn = t_done_of(&t, ID(id));
		cr_assert_not_null(dn, "risk hears how %llu ended", (unsigned long long)id);
		cr_expect_eq(dn->outcome, VOTE_BLOCK);
		cr_expect_eq(dn->reason, VOTE_R_JOURNAL_ERROR);
	}
	cr_expect_eq(t.c.n_held, 0);
	cr_expect_eq(t.st->blocked, 2);
	cr_expect_eq(t.st->by_reason[VOTE_R_JOURNAL_ERROR], 2);

	/* the waiting intent, now: blocked by the latch, with the next id */
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_assert_eq(t.h.n_dec, 3);
	cr_expect_eq(t.h.dec[2].decision_id, ID(3));
	cr_expect_eq(t.h.dec[2].reason, VOTE_R_JOURNAL_ERROR);
	/* a ballot opened before the latch that would release under it */
	t.e.flags = 0;
	t_send_intent(&t, 4, SIDE_BUY);
	t.e.flags = COORD_F_JOURNAL;
	t_vote(&t, RISK, ID(4), VOTE_APPROVE, VOTE_R_APPROVED);
	t_vote(&t, EXEC, ID(4), VOTE_APPROVE, VOTE_R_APPROVED);
	cr_assert_eq(t.h.n_dec, 4);
	cr_expect_eq(t.h.dec[3].outcome, VOTE_BLOCK);
	cr_expect_eq(t.h.dec[3].reason, VOTE_R_JOURNAL_ERROR);
	cr_expect_eq(t.h.n_orders, 0);
	/* resumed: trading again */
	t.e.flags = 0;
	t_send_intent(&t, 5, SIDE_BUY);
	t_vote(&t, RISK, ID(5), VOTE_APPROVE, VOTE_R_APPROVED);
	t_vote(&t, EXEC, ID(5), VOTE_APPROVE, VOTE_R_APPROVED);
	cr_assert_eq(t.h.n_orders, 1);
	cr_expect_eq(t.h.orders[0].decision_id, ID(5));
	cr_expect_eq(t.h.dec[4].outcome, VOTE_RELEASE);
	cr_expect_eq(t_faults, 1, "the release passed its fault point once");
	cr_expect_eq(t_fault_orders, 0, "before its order went out");
	cr_expect_eq(t.st->decisions, 5);
	t_stop(&t);
}

Test(coord, a_refused_record_is_decided_again_or_handed_over_later)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	/* the host holds another record already: this one is refused outright */
	t.h.jfull = 1;
	t.h.has_kept = 1;
	t.h.kept.decision_id = 999;
	t.e.flags = COORD_F_HALTED;
	struct msg_intent it = t_intent(1, SIDE_BUY, 26000, 1);
	cr_expect_eq(coord_on_intent(&t.c, &t.e, &it), -EAGAIN,
		     "a block not on file: the intent is offered again");
	cr_expect_eq(t.h.n_refused, 1);
	cr_expect_eq(t.st->decisions, 0, "not counted");
	cr_expect_eq(t.st->journal_failures, 1);
	/* a ballot whose record is refused: held, its record handed over later */
	t.e.flags = 0;
	t.h.jfull = 0;
	t_send_intent(&t, 2, SIDE_BUY); /* ID(2): ID(1) was skipped */
	t.h.jfull = 1;
	t_vote(&t, RISK, ID(2), VOTE_REJECT, VOTE_R_POS_LIMIT);
	cr_expect_eq(t.h.n_refused, 2);
	cr_expect_eq(t.c.n_held, 1);
	cr_expect_eq(t.st->decisions, 0);
	/* a restart: what the old host kept is gone; the new one writes */
	t.h.has_kept = 0;
	t.h.jfull = 0;
	struct coord_params p;
	t_params(&p, "majority", 1u << RISK);
	struct coord_out out = { .ctx = &t.h, .can_send = t_can_send, .send = t_send,
				 .decision = t_decision, .event = t_event };
	cr_assert_eq(coord_attach(&t.c, t.st, coord_memsize(), &p, &out), 0);
	cr_expect_eq(t.c.n_held, 1, "the held ballot survives a restart");
	coord_tick(&t.c, &t.e, NULL);
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].decision_id, ID(2));
	cr_expect_eq(t.h.dec[0].outcome, VOTE_BLOCK);
	cr_expect_eq(t.h.dec[0].reason, VOTE_R_VETOED, "a block keeps its own reason");
	cr_expect_eq(t.st->decisions, 1);
	cr_expect_not_null(t_done_of(&t, ID(2)));
	cr_expect_eq(t.c.n_held, 0);
	t_stop(&t);
}

Test(coord, a_flatten_that_cannot_be_journaled_is_not_sent)
{
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	t.e.flags = COORD_F_KILLED | COORD_F_HALTED;
	t.h.jfull = 1;
	struct msg_position p = t_pos(2, -2);
	cr_assert_eq(coord_on_position(&t.c, &t.e, &p), 0);
	cr_expect_eq(t.h.n_orders, 0, "no flattening order without its record");
	cr_expect_eq(t.st->flatten_id, 0, "none in flight: risk asks again");
	cr_expect_eq(t.h.kept.reason, VOTE_R_JOURNAL_ERROR);
	cr_expect_eq(t.h.kept.outcome, VOTE_BLOCK);
	/* while the host says it fails: the request waits */
	t.e.flags |= COORD_F_NO_JOURNAL;
	cr_expect_eq(coord_on_position(&t.c, &t.e, &p), -EAGAIN);
	/* written again: the next request flattens */
	t_journal_back(&t.h);
	t.e.flags = COORD_F_KILLED | COORD_F_HALTED | COORD_F_JOURNAL;
	cr_assert_eq(coord_on_position(&t.c, &t.e, &p), 0);
	cr_assert_eq(t.h.n_orders, 1);
	cr_expect_eq(t.h.orders[0].hdr.flags & MSG_F_FLATTEN, MSG_F_FLATTEN);
	cr_expect_eq(t.h.orders[0].decision_id, ID(2));
	t_stop(&t);
}

Test(coord, steady_state_allocates_nothing)
{
#if T_SANITIZED
	cr_skip_test("sanitizer build: its allocator replaces jemalloc");
#endif
	if (!mallctl)
		cr_skip_test("jemalloc is not linked");
	struct t_co t;
	t_start(&t, "majority", 1u << RISK);
	t.h.keep = 0;
	const uint64_t n = 200000;
	struct msg_intent it = t_intent(1, SIDE_BUY, 26000, 1);
	struct msg_exec_report rep = t_report(0, EXEC_FILLED, 1);
	struct msg_position pos = t_pos(0, 0);
	uint64_t a0 = t_allocated();
	for (uint64_t i = 1; i <= n; i++) {
		t.e.now_ns += 1000;
		it.intent_id = i;
		coord_on_intent(&t.c, &t.e, &it);
		t_vote(&t, RISK, ID(i), VOTE_APPROVE, 0);
		t_vote(&t, EXEC, ID(i), VOTE_APPROVE, 0);
		t_vote(&t, FEAT, ID(i), VOTE_APPROVE, 0);
		rep.decision_id = ID(i);
		coord_on_report(&t.c, &t.e, &rep);
		coord_on_position(&t.c, &t.e, &pos);
		coord_tick(&t.c, &t.e, NULL);
	}
	uint64_t a1 = t_allocated();
	cr_assert_eq(a1 - a0, 0, "%llu bytes allocated over %llu decisions",
		     (unsigned long long)(a1 - a0), (unsigned long long)n);
	cr_expect_eq(t.st->orders_sent, n);
	cr_expect_eq(t.st->late_votes, n, "feature's vote comes after each decision");
	cr_expect_eq(t.h.sent, 7 * n, "three requests, three vote-done notices and an order each");
	void *volatile x = malloc(1000);
	cr_assert_geq(t_allocated() - a1, 1000, "the counter works");
	free(x);
	t_stop(&t);
}

/* ------------------------------------------------------------ fan-out */

/* A vote on an intent itself (vote.fanout): decision 0, the intent's id. */
static int t_vote_on(struct t_co *t, uint32_t voter, uint64_t intent_id, uint8_t verdict,
		     uint32_t reason)
{
	return t_vote_of(t, voter, 0, intent_id, verdict, reason);
}

/* t_start with risk, execution and feature fanned out (policy voters 0,
 * 1, 2), majority, risk's veto */
static void t_start_fan(struct t_co *t)
{
	t_fanout = 0x7;
	t_start(t, "majority", 1u << RISK);
	t_fanout = 0;
}

static uint32_t t_early_kept(const struct t_co *t)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < COORD_EARLY; i++)
		n += t->st->early[i].intent_id != 0;
	return n;
}

/* voter's approval of intent_id is late (the n-th), and not kept */
static void t_late(struct t_co *t, uint32_t voter, uint64_t intent_id, uint64_t n)
{
	cr_assert_eq(t_vote_on(t, voter, intent_id, VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t->st->late_votes, n);
	cr_expect_eq(t_early_kept(t), 0);
}

/*
 * The voters have the intent from ml: no request goes out; votes that
 * came before the intent are cast when its ballot opens, and every voter
 * hears how it ended, by the intent's id.
 */
Test(coord, fanned_votes_before_the_intent_release_it_without_requests)
{
	struct t_co t;
	t_start_fan(&t);
	cr_assert_eq(t_vote_on(&t, RISK, 41, VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_assert_eq(t_vote_on(&t, EXEC, 41, VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.st->early_votes, 2);
	cr_expect_eq(t_early_kept(&t), 2);
	cr_expect_eq(t.h.n_orders, 0, "no intent, no ballot");
	t.e.now_ns = 1500;
	struct msg_intent it = t_intent(41, SIDE_BUY, 26000, 2);
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	for (uint32_t v = 0; v < 3; v++)
		cr_expect_eq(t.h.n_req[v], 0, "voter %u asked nothing", v);
	/* the kept approvals (risk, execution): a majority with the veto holder */
	cr_assert_eq(t.h.n_orders, 1);
	cr_expect_eq(t.h.orders[0].decision_id, ID(1));
	cr_expect_eq(t.h.orders[0].qty, 2);
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].outcome, VOTE_RELEASE);
	cr_expect_eq(t.h.dec[0].intent_id, 41);
	cr_expect_eq(t.h.dec[0].v[0].verdict, VOTE_V_APPROVE);
	cr_expect_eq(t.h.dec[0].v[1].verdict, VOTE_V_APPROVE);
	cr_expect_eq(t_early_kept(&t), 0, "cast, and their slots free");
	for (uint32_t v = 0; v < 3; v++) {
		cr_assert_eq(t.h.n_done[v], 1, "voter %u told the end", v);
		cr_expect_eq(t.h.done[v][0].decision_id, ID(1));
		cr_expect_eq(t.h.done[v][0].intent_id, 41);
		cr_expect_eq(t.h.done[v][0].outcome, VOTE_RELEASE);
	}
	/* feature's vote after the decision: late, not kept */
	t_late(&t, FEAT, 41, 1);
	/* a vote from a voter that is not fanned (data votes on requests) */
	t_late(&t, DATA, 42, 2);
	t_stop(&t);
}

/* A replay's ballot waits for every fanned vote, whatever came first. */
Test(coord, a_replayed_fanned_ballot_is_tallied_once_every_vote_is_in)
{
	struct t_co t;
	t_start_fan(&t);
	struct msg_intent it = t_intent(7, SIDE_SELL, 26000, 1);
	it.hdr.flags |= MSG_F_REPLAY;
	cr_assert_eq(t_vote_on(&t, FEAT, 7, VOTE_REJECT, VOTE_R_WIDE_SPREAD), 0);
	cr_assert_eq(coord_on_intent(&t.c, &t.e, &it), 0);
	cr_assert_eq(t_vote_on(&t, RISK, 7, VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_expect_eq(t.h.n_dec, 0, "two of three: a replay waits for the third");
	cr_assert_eq(t_vote_on(&t, EXEC, 7, VOTE_APPROVE, VOTE_R_APPROVED), 0);
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].outcome, VOTE_RELEASE);
	cr_expect_eq(t.h.dec[0].v[2].verdict, VOTE_V_REJECT, "feature's early vote recorded");
	cr_expect_eq(t.h.dec[0].v[2].reason, VOTE_R_WIDE_SPREAD);
	cr_expect_eq(t.h.n_orders, 1);
	t_stop(&t);
}

/* An intent blocked before any ballot: its fanned voters, which have it,
 * hear so; a vote kept for it is forgotten, one after it is late. */
Test(coord, a_fanned_intent_blocked_at_once_tells_its_voters)
{
	struct t_co t;
	t_start_fan(&t);
	cr_assert_eq(t_vote_on(&t, RISK, 9, VOTE_APPROVE, VOTE_R_APPROVED), 0);
	t.e.flags = COORD_F_HALTED;
	t_send_intent(&t, 9, SIDE_BUY);
	cr_assert_eq(t.h.n_dec, 1);
	cr_expect_eq(t.h.dec[0].reason, VOTE_R_HALTED);
	cr_expect_eq(t_early_kept(&t), 0);
	for (uint32_t v = 0; v < 3; v++) {
		cr_expect_eq(t.h.n_req[v], 0);
		cr_assert_eq(t.h.n_done[v], 1, "voter %u told", v);
		cr_expect_eq(t.h.done[v][0].intent_id, 9);
		cr_expect_eq(t.h.done[v][0].decision_id, ID(1));
		cr_expect_eq(t.h.done[v][0].outcome, VOTE_BLOCK);
		cr_expect_eq(t.h.done[v][0].reason, VOTE_R_HALTED);
	}
	cr_expect_eq(t.st->fan_blocked, 1);
	t_late(&t, EXEC, 9, 1);
	t_stop(&t);
}

/* Kept votes whose intent never comes go after a vote deadline; a full
 * table loses its oldest. */
Test(coord, kept_votes_nobody_claims_are_dropped)
{
	struct t_co t;
	t_start_fan(&t);
	cr_assert_eq(t_vote_on(&t, RISK, 100, VOTE_APPROVE, VOTE_R_APPROVED), 0);
	t.e.now_ns += DL;
	coord_tick(&t.c, &t.e, NULL);
	cr_expect_eq(t_early_kept(&t), 1, "at the deadline: kept");
	t.e.now_ns += 1;
	coord_tick(&t.c, &t.e, NULL);
	cr_expect_eq(t_early_kept(&t), 0);
	cr_expect_eq(t.st->early_dropped, 1);
	for (uint32_t i = 0; i < COORD_EARLY + 3; i++) {
		t.e.now_ns += 1;
		cr_assert_eq(t_vote_on(&t, EXEC, 200 + i, VOTE_APPROVE, VOTE_R_APPROVED), 0);
	}
	cr_expect_eq(t_early_kept(&t), COORD_EARLY);
	cr_expect_eq(t.st->early_dropped, 4, "one by age, three by room");
	cr_expect_eq(t.st->early_votes, COORD_EARLY + 4);
	/* the oldest went: intent 200's vote is gone, 203's is there */
	int has200 = 0, has203 = 0;
	for (uint32_t i = 0; i < COORD_EARLY; i++) {
		has200 |= t.st->early[i].intent_id == 200;
		has203 |= t.st->early[i].intent_id == 203;
	}
	cr_expect(!has200 && has203);
	t_stop(&t);
}

Test(coord, fanout_is_refused_with_children_and_beyond_the_voters)
{
	struct coord_params p;
	t_params(&p, "majority", 1u << RISK);
	p.fanout = 0x7;
	cr_expect_eq(coord_params_check(&p), 0);
	p.fanout = 0x8; /* a fourth voter: there are three */
	cr_expect_eq(coord_params_check(&p), -EINVAL);
	p.fanout = 0x1;
	p.child_max_qty = 5;
	p.child_horizon_ns = 1000000;
	cr_expect_eq(coord_params_check(&p), -EINVAL);
}
