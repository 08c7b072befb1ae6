/*
 * ag_coord.c — the coordinator: runs the consensus vote of
 * libcore/vote/vote.h on every intent and releases orders.
 *
 *   intent --> blocked at once (kill switch, halted, an agent down): journal
 *          --> ballot: MSG_VOTE_REQ to every fresh voter; a stale voter is
 *              a rejection cast on its behalf (fail closed)
 *   votes  --> tally; on tick: stale voters, deadline
 *   decided --> journal JREC_DECISION (flushed) --> RELEASE: MSG_ORDER
 *
 * Ballots live in the segment (struct ag_coord_state), so a restarted
 * coordinator still collects the votes of the ballots it had open and
 * sends the released orders it had not sent yet.  Decision ids are
 * run_id << 40 | counter and client order ids a counter, both stored
 * before use: unique across restarts.  Released orders go out in client
 * order id order, so execution can drop a re-sent one by id.  Operator
 * signals (runtime.h) are forwarded to every agent's control ring;
 * kill switch and cancel-all also send MSG_CANCEL (all) to execution.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/rt/agents.h"
#include "libcore/journal/journal.h"

struct coord_ctx {
	int in_intent, in_rep, in_pos;
	int in_vote[VOTE_MAX_VOTERS];   /* by policy index */
	int out_req[VOTE_MAX_VOTERS];   /* by policy index */
	int out_orders;
	int out_ctl[AGENT_COUNT];       /* -1: no control ring to that agent */
	struct vote_policy pol;
	struct journal_writer jw;
	int jopen;
	uint32_t n_open, n_decided;
	int64_t next_health_ns;
	uint32_t seen_up;               /* agents seen up since this process started */
	int all_up;                     /* every agent was up at once */
};

static struct coord_ctx ctx;

static int voter_fresh(struct rt *rt, uint32_t agent, int64_t now)
{
	const struct agent_slot *a = seg_agent(&rt->seg, agent);
	return atomic_load_explicit(&((struct agent_slot *)a)->pid, memory_order_relaxed) != 0 &&
	       agent_fresh(a, now, rt->stale_ns);
}

static void journal_decision(struct rt *rt, struct coord_ctx *c, const struct ag_ballot *b,
			     uint64_t coid)
{
	struct vote_record rec;
	memset(&rec, 0, sizeof(rec));
	vote_record_fill(&rec, &b->b, &c->pol);
	rec.intent_id = b->intent.intent_id;
	rec.client_order_id = coid;
	rec.ingress_ns = b->intent.hdr.ingress_ns;
	rec.px = b->intent.px;
	rec.qty = b->intent.qty;
	rec.side = b->intent.side;
	rec.ord_type = b->intent.ord_type;
	rec.tif = b->intent.tif;
	struct ag_coord_state *st = rt->app;
	st->recent[st->n_recent % AG_COORD_RECENT] = rec;
	st->n_recent++;
	/* flushed (pwrite) before any order of it can leave */
	if (journal_append(&c->jw, JREC_DECISION, &rec, sizeof(rec)) < 0 ||
	    journal_flush(&c->jw) < 0)
		rt_count(&rt->slot->ctr.errors, 1);
}

static void count(struct ag_coord_state *st, const struct ag_ballot *b)
{
	st->decisions++;
	if (b->b.outcome == VOTE_RELEASE)
		st->released++;
	else
		st->blocked++;
	if (b->b.reason < VOTE_R_COUNT)
		st->by_reason[b->b.reason]++;
}

static int send_orders(struct rt *rt, struct coord_ctx *c, struct ag_coord_state *st)
{
	int sent = 0;
	while (c->n_decided) {
		struct ag_ballot *best = NULL;
		for (uint32_t i = 0; i < AG_COORD_BALLOTS; i++) {
			struct ag_ballot *b = &st->ballot[i];
			if (b->state == AG_B_DECIDED &&
			    (!best || b->client_order_id < best->client_order_id))
				best = b;
		}
		if (!best) {
			c->n_decided = 0;
			break;
		}
		if (rt_flags(rt) & RT_SF_KILLED) {
			rt_log(rt, "kill switch: released order %llu (decision %llx) not sent",
			       (unsigned long long)best->client_order_id,
			       (unsigned long long)best->b.decision_id);
			best->state = AG_B_FREE;
			c->n_decided--;
			continue;
		}
		if (!rt_claim(rt, (uint32_t)c->out_orders, 1)) {
			rt->wake_at_ns = rt->now_ns + 200000;
			break;
		}
		const struct msg_intent *it = &best->intent;
		struct msg_order *o = rt_slot(rt, (uint32_t)c->out_orders, 0);
		memset(o, 0, sizeof(*o));
		o->hdr.type = MSG_ORDER;
		o->hdr.size = sizeof(*o);
		o->hdr.flags = it->hdr.flags & MSG_F_REPLAY;
		o->hdr.ingress_ns = it->hdr.ingress_ns;
		o->decision_id = best->b.decision_id;
		o->client_order_id = best->client_order_id;
		o->px = it->px;
		o->qty = it->qty;
		o->side = it->side;
		o->ord_type = it->ord_type;
		o->tif = it->tif;
		o->instrument = it->instrument;
		rt_publish(rt, (uint32_t)c->out_orders, 1);
		rt_lat_stage(rt, it->hdr.ingress_ns);
		best->state = AG_B_FREE;
		c->n_decided--;
		st->orders_sent++;
		sent++;
	}
	return sent;
}

static void finalize(struct rt *rt, struct coord_ctx *c, struct ag_coord_state *st,
		     struct ag_ballot *b)
{
	uint64_t coid = 0;
	if (b->b.outcome == VOTE_RELEASE) {
		/* the client order id is the decision id: unique across
		 * restarts and runs, increasing, and the key under which risk
		 * holds the approved exposure.  Kept in the ballot: a
		 * coordinator killed before the state below is stored decides
		 * again with the same id. */
		if (!b->client_order_id) {
			b->client_order_id = b->b.decision_id;
			st->next_order++;
		}
		coid = b->client_order_id;
	}
	journal_decision(rt, c, b, coid);
	count(st, b);
	c->n_open--;
	if (coid) {
		b->state = AG_B_DECIDED;
		c->n_decided++;
		send_orders(rt, c, st);
	} else {
		b->state = AG_B_FREE;
	}
}

static int flatten(struct rt *rt, struct coord_ctx *c, struct ag_coord_state *st,
		   const struct msg_position *p);
static void health(struct rt *rt, struct coord_ctx *c, struct ag_coord_state *st,
		   int64_t now);

static uint32_t blocked_reason(struct rt *rt, const struct ag_coord_state *st)
{
	uint32_t f = rt_flags(rt);
	if (f & RT_SF_KILLED)
		return VOTE_R_KILL_SWITCH;
	if (f & RT_SF_HALTED)
		return VOTE_R_HALTED;
	if (st->down_mask)
		return VOTE_R_AGENT_DOWN;
	return 0;
}

static int on_intent(struct rt *rt, struct coord_ctx *c, struct ag_coord_state *st,
		     const struct msg_intent *it)
{
	int64_t now = rt->now_ns;
	if (st->down_mask) /* an agent may have come back since the last check */
		health(rt, c, st, now);
	uint32_t pre = blocked_reason(rt, st);
	if (pre) {
		/* blocked before any vote: journaled with every vote missing */
		struct ag_ballot tmp;
		memset(&tmp, 0, sizeof(tmp));
		tmp.intent = *it;
		vote_open(&tmp.b, &c->pol, (st->run_id << 40) | ++st->next_decision, now);
		tmp.b.outcome = VOTE_BLOCK;
		tmp.b.reason = pre;
		tmp.b.decided_ns = now;
		journal_decision(rt, c, &tmp, 0);
		count(st, &tmp);
		return 0;
	}
	struct ag_ballot *b = NULL;
	for (uint32_t i = 0; i < AG_COORD_BALLOTS && !b; i++)
		if (st->ballot[i].state == AG_B_FREE)
			b = &st->ballot[i];
	if (!b)
		return -EAGAIN; /* every ballot busy: intents wait in their ring */
	uint32_t ask = 0;
	for (uint32_t v = 0; v < c->pol.n_voters; v++)
		if (voter_fresh(rt, c->pol.voter[v], now)) {
			if (!rt_claim(rt, (uint32_t)c->out_req[v], 1))
				return -EAGAIN;
			ask |= 1u << v;
		}
	b->intent = *it;
	b->client_order_id = 0;
	vote_open(&b->b, &c->pol, (st->run_id << 40) | ++st->next_decision, now);
	for (uint32_t v = 0; v < c->pol.n_voters; v++) {
		if (!(ask & (1u << v))) {
			vote_cast(&b->b, &c->pol, c->pol.voter[v], VOTE_V_REJECT,
				  VOTE_R_STALE_VOTER, now);
			continue;
		}
		struct msg_vote_req *q = rt_slot(rt, (uint32_t)c->out_req[v], 0);
		memset(q, 0, sizeof(*q));
		q->hdr.type = MSG_VOTE_REQ;
		q->hdr.size = sizeof(*q);
		q->hdr.flags = it->hdr.flags & MSG_F_REPLAY;
		q->hdr.ingress_ns = it->hdr.ingress_ns;
		q->decision_id = b->b.decision_id;
		q->deadline_ns = b->b.deadline_ns;
		q->intent_id = it->intent_id;
		q->px = it->px;
		q->qty = it->qty;
		q->side = it->side;
		q->ord_type = it->ord_type;
		q->tif = it->tif;
		q->instrument = it->instrument;
		rt_publish(rt, (uint32_t)c->out_req[v], 1);
	}
	b->state = AG_B_OPEN;
	c->n_open++;
	if (vote_tally(&b->b, &c->pol, now) != VOTE_PENDING)
		finalize(rt, c, st, b);
	return 0;
}

static int on_vote(struct rt *rt, struct coord_ctx *c, struct ag_coord_state *st,
		   uint32_t voter, const struct msg_vote *v)
{
	struct ag_ballot *b = NULL;
	for (uint32_t i = 0; i < AG_COORD_BALLOTS; i++)
		if (st->ballot[i].state == AG_B_OPEN &&
		    st->ballot[i].b.decision_id == v->decision_id) {
			b = &st->ballot[i];
			break;
		}
	if (!b) {
		st->late_votes++; /* decided already (deadline, veto) */
		return 0;
	}
	int rc = vote_cast(&b->b, &c->pol, voter, v->verdict, v->reason, rt->now_ns);
	if (rc == -EALREADY || rc == -ETIMEDOUT)
		st->late_votes++;
	if (vote_tally(&b->b, &c->pol, rt->now_ns) != VOTE_PENDING)
		finalize(rt, c, st, b);
	return 0;
}

static int coord_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct coord_ctx *c = rt->ctx;
	struct ag_coord_state *st = rt->app;
	if ((int)in == c->in_intent && m->type == MSG_INTENT)
		return on_intent(rt, c, st, (const struct msg_intent *)m);
	if (m->type == MSG_VOTE) {
		for (uint32_t v = 0; v < c->pol.n_voters; v++)
			if ((int)in == c->in_vote[v])
				return on_vote(rt, c, st, c->pol.voter[v], (const struct msg_vote *)m);
		return -EPROTO;
	}
	if ((int)in == c->in_rep && m->type == MSG_EXEC_REPORT) {
		const struct msg_exec_report *r = (const struct msg_exec_report *)m;
		st->reports++;
		if (r->last_qty > 0)
			st->fills++;
		if (st->flatten_id && r->decision_id == st->flatten_id &&
		    (r->status == EXEC_FILLED || r->status == EXEC_CANCELLED ||
		     r->status == EXEC_REJECTED))
			st->flatten_id = 0; /* done: risk's next position says what is left */
		return 0;
	}
	if ((int)in == c->in_pos && m->type == MSG_POSITION) {
		const struct msg_position *p = (const struct msg_position *)m;
		st->position = p->position;
		st->realized_e9 = p->realized_e9;
		if ((p->flags & POS_F_FLATTEN) && p->flatten_qty)
			return flatten(rt, c, st, p);
		return 0;
	}
	return -EPROTO;
}

/*
 * Kill switch with kill_switch.flatten: risk asks for p->flatten_qty at
 * market.  One flattening order at a time, sent without a vote (the kill
 * switch refuses every voted order) but journaled as a released decision
 * with reason kill_flatten and risk's approval, so every order that
 * reaches execution still has its decision in the journal.
 */
static int flatten(struct rt *rt, struct coord_ctx *c, struct ag_coord_state *st,
		   const struct msg_position *p)
{
	if (!(rt_flags(rt) & RT_SF_KILLED) || st->flatten_id)
		return 0;
	if (!rt_claim(rt, (uint32_t)c->out_orders, 1))
		return -EAGAIN;
	int64_t now = rt->now_ns;
	struct vote_record rec;
	memset(&rec, 0, sizeof(rec));
	rec.version = VOTE_RECORD_VERSION;
	rec.outcome = VOTE_RELEASE;
	rec.decision_id = (st->run_id << 40) | ++st->next_decision;
	rec.client_order_id = rec.decision_id;
	rec.opened_ns = rec.decided_ns = rec.deadline_ns = now;
	rec.qty = p->flatten_qty > 0 ? p->flatten_qty : -p->flatten_qty;
	rec.side = p->flatten_qty > 0 ? SIDE_BUY : SIDE_SELL;
	rec.ord_type = ORD_MARKET;
	rec.tif = TIF_IOC;
	rec.reason = VOTE_R_FLATTEN;
	rec.decisive = -1;
	rec.n_voters = 1;
	rec.v[0].voter = AGENT_RISK;
	rec.v[0].verdict = VOTE_V_APPROVE;
	rec.v[0].reason = VOTE_R_FLATTEN;
	st->recent[st->n_recent % AG_COORD_RECENT] = rec;
	st->n_recent++;
	if (journal_append(&c->jw, JREC_DECISION, &rec, sizeof(rec)) < 0 ||
	    journal_flush(&c->jw) < 0)
		rt_count(&rt->slot->ctr.errors, 1);
	st->decisions++;
	st->released++;
	st->by_reason[VOTE_R_FLATTEN]++;
	struct msg_order *o = rt_slot(rt, (uint32_t)c->out_orders, 0);
	memset(o, 0, sizeof(*o));
	o->hdr.type = MSG_ORDER;
	o->hdr.size = sizeof(*o);
	o->hdr.flags = MSG_F_FLATTEN | (p->hdr.flags & MSG_F_REPLAY);
	o->decision_id = rec.decision_id;
	o->client_order_id = rec.decision_id;
	o->qty = rec.qty;
	o->side = rec.side;
	o->ord_type = ORD_MARKET;
	o->tif = TIF_IOC;
	o->instrument = p->instrument;
	rt_publish(rt, (uint32_t)c->out_orders, 1);
	st->flatten_id = rec.decision_id;
	st->flattens++;
	st->orders_sent++;
	rt_log(rt, "kill switch: flattening order %s %d at market (decision %llx)",
	       rec.side > 0 ? "buy" : "sell", rec.qty, (unsigned long long)rec.decision_id);
	return 0;
}

/*
 * Which agents are down (no fresh heartbeat).  Orders are blocked while
 * any is.  Logged as an alarm only for an agent that had been up: at a
 * start the agents not started yet block orders silently, and one that
 * left cleanly (dmctl stop) is "stopped", not "down".
 */
static void health(struct rt *rt, struct coord_ctx *c, struct ag_coord_state *st,
		   int64_t now)
{
	uint32_t down = 0;
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		if (a != rt->self && !voter_fresh(rt, a, now))
			down |= 1u << a;
	if (down == st->down_mask)
		return;
	uint32_t all = ((1u << AGENT_COUNT) - 1) & ~(1u << rt->self);
	for (uint32_t a = 0; a < AGENT_COUNT; a++) {
		uint32_t bit = 1u << a;
		if (!((down ^ st->down_mask) & bit))
			continue;
		if (!(down & bit)) {
			if (c->seen_up & bit)
				rt_log(rt, "%s is back%s", cfg_agent_names[a],
				       down ? "" : ": every agent up, new orders accepted");
			c->seen_up |= bit;
			continue;
		}
		if (!(c->seen_up & bit))
			continue;
		uint32_t s = atomic_load_explicit(&seg_agent(&rt->seg, a)->state,
						  memory_order_relaxed);
		if (s == AGENT_EXITED || s == AGENT_STOPPING || rt->stopping)
			rt_log(rt, "%s stopped: new orders blocked", cfg_agent_names[a]);
		else
			rt_log(rt, "ALARM: %s is down (no heartbeat for %lld ms): new orders "
			       "blocked until it is back", cfg_agent_names[a],
			       (long long)(rt->stale_ns / 1000000));
	}
	if (!c->all_up && (down & all) == 0) {
		c->all_up = 1;
		rt_log(rt, "every agent up: trading");
	}
	st->down_mask = down;
}

static int coord_tick(struct rt *rt, int64_t now)
{
	struct coord_ctx *c = rt->ctx;
	struct ag_coord_state *st = rt->app;
	int work = 0;
	if (now >= c->next_health_ns) {
		health(rt, c, st, now);
		c->next_health_ns = now + rt->hb_ns;
	}
	int64_t wake = 0;
	if (c->n_open) {
		for (uint32_t i = 0; i < AG_COORD_BALLOTS; i++) {
			struct ag_ballot *b = &st->ballot[i];
			if (b->state != AG_B_OPEN)
				continue;
			for (uint32_t v = 0; v < c->pol.n_voters; v++)
				if (b->b.cast[v].verdict == VOTE_V_NONE &&
				    !voter_fresh(rt, c->pol.voter[v], now))
					vote_cast(&b->b, &c->pol, c->pol.voter[v], VOTE_V_REJECT,
						  VOTE_R_STALE_VOTER, now);
			if (vote_tally(&b->b, &c->pol, now) != VOTE_PENDING) {
				finalize(rt, c, st, b);
				work++;
			} else if (!wake || b->b.deadline_ns < wake) {
				wake = b->b.deadline_ns;
			}
		}
	}
	if (c->n_decided)
		work += send_orders(rt, c, st);
	rt->wake_at_ns = wake;
	return work;
}

/*
 * Send the command being applied, with its number, to every agent's
 * control ring.  Returns the agents told; names the first one missed in
 * missed (empty when none).
 */
static uint32_t forward(struct rt *rt, struct coord_ctx *c, uint32_t cmd, char *missed,
			size_t len)
{
	uint32_t told = 0;
	missed[0] = '\0';
	for (uint32_t a = 0; a < AGENT_COUNT; a++) {
		if (c->out_ctl[a] < 0)
			continue;
		struct msg_control m;
		memset(&m, 0, sizeof(m));
		m.hdr.type = MSG_CONTROL;
		m.hdr.size = sizeof(m);
		m.hdr.ingress_ns = 0;
		m.cmd = cmd;
		m.target = ~0u;
		m.arg = rt->cmd_seq;
		if (rt_send(rt, (uint32_t)c->out_ctl[a], &m, sizeof(m)) < 0) {
			rt_log(rt, "control ring to %s full: %s not delivered", cfg_agent_names[a],
			       rt_cmd_name(cmd));
			if (!missed[0])
				snprintf(missed, len, "%s", cfg_agent_names[a]);
		} else {
			told++;
		}
	}
	return told;
}

/* 0, or -EAGAIN when the orders ring is full (logged). */
static int cancel_all(struct rt *rt, struct coord_ctx *c)
{
	struct msg_cancel m;
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_CANCEL;
	m.hdr.size = sizeof(m);
	m.hdr.ingress_ns = 0;
	m.client_order_id = 0;
	if (rt_send(rt, (uint32_t)c->out_orders, &m, sizeof(m)) < 0) {
		rt_log(rt, "orders ring full: cancel-all not delivered");
		return -EAGAIN;
	}
	return 0;
}

/* Operator commands (signals, numbered by dmctl): applied here by the
 * runtime, forwarded to every agent, answered in the segment. */
static void coord_control(struct rt *rt, uint32_t cmd, const struct msg_control *m)
{
	struct coord_ctx *c = rt->ctx;
	if (m)
		return; /* no ring carries commands to the coordinator */
	if (cmd == RT_CTL_CANCEL_ALL) {
		if (cancel_all(rt, c) < 0)
			rt_cmd_reply(rt, RT_CMD_FAILED, "orders ring full: cancel-all not delivered");
		else
			rt_cmd_reply(rt, RT_CMD_OK, "every open order cancelled at the venue");
		return;
	}
	char missed[AGENT_NAME_MAX];
	uint32_t told = forward(rt, c, cmd, missed, sizeof(missed));
	int cancelled = 0;
	if (cmd == CTL_KILL_SWITCH) {
		cancelled = cancel_all(rt, c) == 0;
		send_orders(rt, c, rt->app); /* drops the released orders not sent yet */
	}
	uint32_t f = rt_flags(rt);
	if (missed[0])
		rt_cmd_reply(rt, RT_CMD_FAILED, "control ring to %s full: %s not delivered there",
			     missed, rt_cmd_name(cmd));
	else if (cmd == CTL_KILL_SWITCH && !cancelled)
		rt_cmd_reply(rt, RT_CMD_FAILED, "kill switch latched, but the cancel-all could "
			     "not be sent (orders ring full)");
	else if (cmd == CTL_HALT)
		rt_cmd_reply(rt, RT_CMD_OK, "halted: new orders refused (%u agents told)", told);
	else if (cmd == CTL_RESUME)
		rt_cmd_reply(rt, RT_CMD_OK, "%s (%u agents told)",
			     ((struct ag_coord_state *)rt->app)->down_mask ?
			     "resumed, but an agent is down: orders stay blocked" :
			     "resumed: new orders accepted", told);
	else if (cmd == CTL_KILL_SWITCH)
		rt_cmd_reply(rt, RT_CMD_OK, "kill switch latched: open orders cancelled, every "
			     "order refused until rearm (%u agents told)", told);
	else if (cmd == CTL_REARM)
		rt_cmd_reply(rt, RT_CMD_OK, "%s (%u agents told)",
			     f & (RT_SF_KILLED | RT_SF_HALTED) ? "still halted" :
			     "re-armed: orders accepted", told);
	else if (cmd == CTL_RELOAD)
		rt_cmd_reply(rt, RT_CMD_OK, "reload forwarded (%u agents told)", told);
}

static int coord_busy(struct rt *rt)
{
	struct coord_ctx *c = rt->ctx;
	return c->n_open || c->n_decided;
}

static const struct rt_ops coord_ops = {
	.on_msg = coord_msg,
	.on_tick = coord_tick,
	.on_control = coord_control,
	.busy = coord_busy,
};

static int policy(struct rt *rt, struct vote_policy *p)
{
	/* voter order of the ballots: risk, execution, feature, then the rest */
	static const uint32_t order[] = { AGENT_RISK, AGENT_EXECUTION, AGENT_FEATURE,
					  AGENT_DATA, AGENT_ML };
	const struct cfg_vote *v = &rt->cfg.vote;
	memset(p, 0, sizeof(*p));
	for (uint32_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(v->voters & (1u << order[i])))
			continue;
		if (v->veto & (1u << order[i]))
			p->veto_mask |= 1u << p->n_voters;
		p->voter[p->n_voters++] = order[i];
	}
	int k = vote_quorum_parse(v->quorum, &p->quorum_n);
	if (k < 0) {
		rt_log(rt, "vote.quorum '%s': use all, majority or a number", v->quorum);
		return -DM_ECONFIG;
	}
	p->quorum = (uint32_t)k;
	p->deadline_ns = (int64_t)v->deadline_us * 1000;
	/* test and operator overrides of vote.quorum and vote.deadline_us */
	const char *q = getenv("DM_VOTE_QUORUM");
	if (q && *q) {
		int k = vote_quorum_parse(q, &p->quorum_n);
		if (k < 0) {
			rt_log(rt, "DM_VOTE_QUORUM='%s': use all, majority or a number 1..%u",
			       q, p->n_voters);
			return -DM_ECONFIG;
		}
		p->quorum = (uint32_t)k;
	}
	const char *d = getenv("DM_VOTE_DEADLINE_US");
	if (d && *d) {
		char *end;
		long long us = strtoll(d, &end, 10);
		if (*end || us < 1 || us > 10000000) {
			rt_log(rt, "DM_VOTE_DEADLINE_US='%s': microseconds, 1..10000000", d);
			return -DM_ECONFIG;
		}
		p->deadline_ns = us * 1000;
	}
	if (vote_policy_check(p) < 0) {
		rt_log(rt, "vote policy refused (quorum %u of %u voters)", p->quorum_n,
		       p->n_voters);
		return -DM_ECONFIG;
	}
	return 0;
}

int ag_coord_init(struct rt *rt)
{
	struct coord_ctx *c = &ctx;
	struct ag_coord_state *st = rt->app;
	char name[RING_NAME_MAX];
	memset(c, 0, sizeof(*c));
	int rc = policy(rt, &c->pol);
	if (rc < 0)
		return rc;
	if ((c->in_intent = ag_need_in(rt, "intents", sizeof(struct msg_intent))) < 0 ||
	    (c->in_rep = ag_need_in(rt, "reports_coordinator",
				    sizeof(struct msg_exec_report))) < 0 ||
	    (c->in_pos = ag_need_in(rt, "positions", sizeof(struct msg_position))) < 0 ||
	    (c->out_orders = ag_need_out(rt, "orders", sizeof(struct msg_order))) < 0)
		return -DM_ETOPOLOGY;
	for (uint32_t v = 0; v < c->pol.n_voters; v++) {
		const char *who = cfg_agent_names[c->pol.voter[v]];
		snprintf(name, sizeof(name), "votes_%s", who);
		if ((c->in_vote[v] = ag_need_in(rt, name, sizeof(struct msg_vote))) < 0)
			return -DM_ETOPOLOGY;
		snprintf(name, sizeof(name), "vote_req_%s", who);
		if ((c->out_req[v] = ag_need_out(rt, name, sizeof(struct msg_vote_req))) < 0)
			return -DM_ETOPOLOGY;
	}
	for (uint32_t a = 0; a < AGENT_COUNT; a++) {
		snprintf(name, sizeof(name), "control_%s", cfg_agent_names[a]);
		c->out_ctl[a] = rt_out_find(rt, name);
	}
	if (rt->app_fresh)
		st->run_id = (uint64_t)(rt->seg.hdr->created_ns / 1000000000) & 0xffffffu;
	for (uint32_t i = 0; i < AG_COORD_BALLOTS; i++) {
		if (st->ballot[i].state == AG_B_OPEN)
			c->n_open++;
		else if (st->ballot[i].state == AG_B_DECIDED)
			c->n_decided++;
	}
	if (c->n_open || c->n_decided)
		rt_log(rt, "resuming %u open ballot(s) and %u released order(s) not yet sent",
		       c->n_open, c->n_decided);
	rc = ag_journal_open(rt, &c->jw, AG_DECISIONS_JOURNAL);
	if (rc < 0)
		return rc;
	c->jopen = 1;
	char q[16];
	if (c->pol.quorum == VOTE_QUORUM_N)
		snprintf(q, sizeof(q), "%u", c->pol.quorum_n);
	else
		snprintf(q, sizeof(q), "%s", c->pol.quorum == VOTE_QUORUM_ALL ? "all" : "majority");
	char who[128];
	size_t n = 0;
	who[0] = '\0';
	for (uint32_t i = 0; i < c->pol.n_voters && n < sizeof(who); i++)
		n += (size_t)snprintf(who + n, sizeof(who) - n, "%s%s%s", i ? ", " : "",
				      cfg_agent_names[c->pol.voter[i]],
				      c->pol.veto_mask & (1u << i) ? " (veto)" : "");
	rt_log(rt, "vote: voters %s; quorum %s; deadline %lld us", who, q,
	       (long long)(c->pol.deadline_ns / 1000));
	rt_set_ops(rt, &coord_ops, c);
	return 0;
}

void ag_coord_close(struct rt *rt)
{
	struct ag_coord_state *st = rt->app;
	if (ctx.jopen && journal_close(&ctx.jw) < 0)
		rt_log(rt, "decisions journal: write error");
	ctx.jopen = 0;
	char why[512];
	size_t n = 0;
	why[0] = '\0';
	for (uint32_t r = 0; r < VOTE_R_COUNT && n < sizeof(why); r++)
		if (st->by_reason[r])
			n += (size_t)snprintf(why + n, sizeof(why) - n, " %s=%llu",
					      vote_reason_name(r),
					      (unsigned long long)st->by_reason[r]);
	rt_log(rt, "decisions %llu: released %llu, blocked %llu (%s ); orders sent %llu, "
	       "fills %llu, position %lld, late votes %llu",
	       (unsigned long long)st->decisions, (unsigned long long)st->released,
	       (unsigned long long)st->blocked, why, (unsigned long long)st->orders_sent,
	       (unsigned long long)st->fills, (long long)st->position,
	       (unsigned long long)st->late_votes);
}
