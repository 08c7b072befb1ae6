/*
 * ag_coord.c — the coordinator agent: moves messages between its rings and
 * the coordinator module (libcore/coord/coord.h), which holds the vote,
 * the ballots, decision ids, release order, flatten and the effects of
 * operator commands.  This file only
 *
 *   builds the module's parameters from the configuration (vote:, the
 *   heartbeat interval) and places its state in the app area (struct
 *   coord_state, agents.h), so a restarted
 *   coordinator resumes its open ballots and unsent released orders;
 *   tells it the time, which agents have a fresh heartbeat and the
 *   runtime's halt / kill-switch latches (struct coord_env);
 *   hands it intents, votes (by the ring they came in on), execution
 *   reports and positions, and its tick once per pass;
 *   sends what it emits on the rings (vote_req_<voter>, orders,
 *   control_<agent>) and appends its decision records to
 *   decisions.journal, flushed before the order they release leaves;
 *   logs its events and answers operator commands with what they did;
 *   halts new orders when any agent's journal cannot write (RT_SF_JOURNAL
 *   with RT_SF_HALTED, latched until every journal writes again and an
 *   operator resumes) and retries its own journal every
 *   AG_JOURNAL_RETRY_NS while it fails;
 *   kills itself at the fault point "release" when a test armed it.
 *
 * A decision record whose flush fails stays in the writer's buffer
 * (journal.h, "When a write fails"): the coordinator is told -EINPROGRESS,
 * refuses the release and hands over the blocked record for the same
 * decision id at once, which replaces the kept one (journal_rewrite); the
 * retry that writes again writes it.
 *
 * Decision ids are the segment's epoch (seg_hdr.epoch: dm-seg create
 * --epoch N, a replay's fixed 1, or the creation second & 0xffffff) << 40
 * | n, so a replay of one market with one epoch gives the same ids.
 *
 * A lockstep replay (DM_LOCKSTEP=1 in the environment: tools/dmctl sets it
 * with --pace lockstep) must decide as dm-backtest does, whatever the
 * machine's speed and whichever agent is killed and restarted meanwhile:
 * the market waits for the system there, so a ballot waits for every vote
 * (a replay's ballot is tallied once every voter answered: libcore/coord)
 * as long as it takes (a deadline of an hour), no agent counts as down, and
 * no intent is too old (coordinator.max_intent_age does not apply: the
 * next market event waits for this one, so an intent meets the market it
 * was computed on however long a restart took).  Other paces compare the
 * age on the local clock the data agent stamped the event with
 * (msg_hdr.ingress_ns) against this process's clock, so a replay's market
 * time never meets the wall clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/rt/agents.h"
#include "libcore/journal/journal.h"

_Static_assert(COORD_CMD_CANCEL_ALL == RT_CTL_CANCEL_ALL, "one cancel-all command number");
_Static_assert(ROLE_COUNT <= COORD_AGENTS, "role masks fit");

#define LOCKSTEP_DEADLINE_NS (3600ll * 1000000000)

struct coord_ctx {
	struct coord co;                /* the module's handle */
	int lockstep;                   /* DM_LOCKSTEP: every agent counts as up */
	struct rt *rt;
	int in_intent, in_rep, in_pos;
	int in_vote[VOTE_MAX_VOTERS];   /* by policy index */
	int out_req[VOTE_MAX_VOTERS];   /* by policy index */
	int out_orders;
	int out_ctl[ROLE_COUNT];        /* by role: -1, no control ring to its agent */
	struct journal_writer jw;
	int jopen;
	struct journal_mark kept;       /* the record kept after a failed flush */
	uint64_t kept_id;               /* its decision id, 0 none */
	int64_t retry_ns;               /* the journal fails: next retry */
};

/* The name of the agent hosting role: its rings are named after it. */
static const char *agent_of(uint32_t role)
{
	int a = rt_role_agent(role);
	return a >= 0 ? rt_agent_names[a] : "?";
}

/* ------------------------------------------------------------ inputs */

static int agent_fresh_now(struct rt *rt, uint32_t agent, int64_t now)
{
	const struct agent_slot *a = seg_agent(&rt->seg, agent);
	return atomic_load_explicit(&((struct agent_slot *)a)->pid, memory_order_relaxed) != 0 &&
	       agent_fresh(a, now, rt->stale_ns);
}

/* A journal of some agent cannot write: new orders halted, latched until
 * every journal writes again and an operator resumes.  Once per episode. */
static void journal_halt(struct rt *rt, int bad)
{
	struct rt_journal_alarm al;
	memset(&al, 0, sizeof(al));
	rt_journal_alarm_read(&rt_state_of(&rt->seg, (uint32_t)bad)->journal, &al);
	atomic_fetch_or(&rt->st->flags, RT_SF_HALTED | RT_SF_JOURNAL);
	if (!rt->stopping)
		agent_set_state(rt->slot, AGENT_HALTED);
	rt_error(rt, "ALARM: the journal of %s (%s) cannot write: %s; new orders halted "
	         "(journal_error) until every journal writes again and an operator resumes "
	         "(dmctl resume)", rt_agent_names[bad], al.file[0] ? al.file : "?",
	         al.err ? dm_strerror(al.err) : "?");
}

/* The module watches roles: a role is up while the agent hosting it is. */
static void env_now(struct rt *rt, int64_t now, struct coord_env *e)
{
	const struct coord_ctx *c = rt->ctx;
	uint32_t f = rt_flags(rt);
	int bad;
	if (!(f & RT_SF_JOURNAL) && DM_UNLIKELY((bad = rt_journal_failing(&rt->seg)) >= 0)) {
		journal_halt(rt, bad);
		f = rt_flags(rt);
	}
	e->now_ns = now;
	e->fresh = 0;
	for (uint32_t a = 0; a < AGENT_COUNT; a++)
		if ((c && c->lockstep) || agent_fresh_now(rt, a, now))
			e->fresh |= 1u << rt_agent_role[a];
	e->flags = (f & RT_SF_HALTED ? COORD_F_HALTED : 0) |
		   (f & RT_SF_KILLED ? COORD_F_KILLED : 0) |
		   (f & RT_SF_JOURNAL ? COORD_F_JOURNAL : 0) |
		   (c && journal_writer_error(&c->jw) ? COORD_F_NO_JOURNAL : 0);
}

/* ------------------------------------------------------------ outputs */

static int port_ring(const struct coord_ctx *c, uint32_t port, uint32_t to)
{
	switch (port) {
	case COORD_PORT_VOTE_REQ:
		return to < c->co.p.vote.n_voters ? c->out_req[to] : -1;
	case COORD_PORT_ORDERS:
		return c->out_orders;
	case COORD_PORT_CONTROL:
		return to < ROLE_COUNT ? c->out_ctl[to] : -1;
	default:
		return -1;
	}
}

static int out_can_send(void *ctx, uint32_t port, uint32_t to)
{
	struct coord_ctx *c = ctx;
	int r = port_ring(c, port, to);
	return r >= 0 && rt_claim(c->rt, (uint32_t)r, 1);
}

static int out_send(void *ctx, uint32_t port, uint32_t to, const struct msg_hdr *m)
{
	struct coord_ctx *c = ctx;
	struct rt *rt = c->rt;
	int r = port_ring(c, port, to);
	if (r < 0)
		return -ENOENT;
	int rc = rt_send(rt, (uint32_t)r, (void *)m, m->size);
	if (rc < 0) {
		if (port == COORD_PORT_CONTROL)
			rt_warn(rt, "control ring to %s full: %s not delivered", agent_of(to),
			        rt_cmd_name(((const struct msg_control *)m)->cmd));
		else if (m->type == MSG_CANCEL)
			rt_warn(rt, "orders ring full: cancel-all not delivered");
		return -EAGAIN;
	}
	if (m->type == MSG_ORDER)
		rt_lat_stage(rt, m->ingress_ns);
	return 0;
}

static int out_decision(void *ctx, const struct vote_record *rec)
{
	struct coord_ctx *c = ctx;
	struct journal_writer *w = &c->jw;
	if (c->kept_id && c->kept_id == rec->decision_id && journal_writer_error(w)) {
		/* the verdict on the record that could not be written: in its place */
		c->kept_id = 0;
		return journal_rewrite(w, &c->kept, JREC_DECISION, rec, sizeof(*rec)) == 0 ?
		       -EINPROGRESS : -EIO;
	}
	int had = journal_writer_error(w);
	struct journal_mark m;
	journal_writer_mark(w, &m);
	int rc = journal_append(w, JREC_DECISION, rec, sizeof(*rec));
	if (rc == 0) {
		/* flushed (pwrite) before any order of it can leave */
		rc = journal_flush(w);
		if (rc == 0)
			return 0;
		c->kept = m; /* in the buffer: written by the retry that works */
		c->kept_id = rec->decision_id;
		rt_journal_failed(c->rt, rc);
		return -EINPROGRESS;
	}
	if (!had)
		rt_journal_failed(c->rt, rc);
	return rc;
}

static void out_fault(void *ctx, uint32_t point)
{
	struct coord_ctx *c = ctx;
	if (point == COORD_FAULT_RELEASE)
		rt_fault_point(c->rt, RT_FAULT_RELEASE);
}

static void out_event(void *ctx, const struct coord_event *ev)
{
	struct coord_ctx *c = ctx;
	struct rt *rt = c->rt;
	int a = rt_role_agent(ev->agent); /* events name roles */
	const char *who = agent_of(ev->agent);
	switch (ev->kind) {
	case COORD_EV_ROLE_BACK:
		rt_log(rt, "%s is back%s", who,
		       ev->down ? "" : ": every agent up, new orders accepted");
		break;
	case COORD_EV_ROLE_DOWN: {
		/* one that left cleanly (dmctl stop) is "stopped", not "down" */
		uint32_t s = a < 0 ? AGENT_EMPTY :
			     atomic_load_explicit(&seg_agent(&rt->seg, (uint32_t)a)->state,
						  memory_order_relaxed);
		if (s == AGENT_EXITED || s == AGENT_STOPPING || rt->stopping)
			rt_warn(rt, "%s stopped: new orders blocked", who);
		else
			rt_error(rt, "ALARM: %s is down (no heartbeat for %lld ms): new orders "
			         "blocked until it is back", who, (long long)(rt->stale_ns / 1000000));
		break;
	}
	case COORD_EV_ALL_UP:
		rt_log(rt, "every agent up: trading");
		break;
	case COORD_EV_ORDER_DROPPED:
		rt_log(rt, "kill switch: released order %llu (decision %llx) not sent",
		       (unsigned long long)ev->client_order_id, (unsigned long long)ev->decision_id);
		break;
	case COORD_EV_FLATTEN:
		rt_log(rt, "kill switch: flattening order %s %d at market (decision %llx)",
		       ev->side > 0 ? "buy" : "sell", ev->qty, (unsigned long long)ev->decision_id);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ runtime ops */

static int coord_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct coord_ctx *c = rt->ctx;
	struct coord_env e;
	env_now(rt, rt->now_ns, &e);
	if ((int)in == c->in_intent && m->type == MSG_INTENT)
		return coord_on_intent(&c->co, &e, (const struct msg_intent *)m);
	if ((int)in == c->in_intent && m->type == MSG_CANCEL)
		return coord_on_cancel(&c->co, &e, (const struct msg_cancel *)m);
	if (m->type == MSG_VOTE) {
		const struct vote_policy *pol = &c->co.p.vote;
		for (uint32_t v = 0; v < pol->n_voters; v++)
			if ((int)in == c->in_vote[v]) {
				int rc = coord_on_vote(&c->co, &e, pol->voter[v],
						       (const struct msg_vote *)m);
				if (c->co.n_open)
					rt_expect(rt); /* the ballot's other votes are coming */
				return rc;
			}
		return -EPROTO;
	}
	if ((int)in == c->in_rep && m->type == MSG_EXEC_REPORT)
		return coord_on_report(&c->co, &e, (const struct msg_exec_report *)m);
	if ((int)in == c->in_pos && m->type == MSG_POSITION)
		return coord_on_position(&c->co, &e, (const struct msg_position *)m);
	return -EPROTO;
}

static int coord_tick_op(struct rt *rt, int64_t now)
{
	struct coord_ctx *c = rt->ctx;
	if (DM_UNLIKELY(journal_writer_error(&c->jw)) && now >= c->retry_ns) {
		/* the journal writes again (its kept records written), or not yet */
		c->retry_ns = now + AG_JOURNAL_RETRY_NS;
		int rc = journal_retry(&c->jw);
		if (rc == 0)
			rt_journal_ok(rt);
		else
			rt_journal_failed(rt, rc);
	}
	struct coord_env e;
	env_now(rt, now, &e);
	int64_t wake = 0;
	int work = coord_tick(&c->co, &e, &wake);
	if (DM_UNLIKELY(journal_writer_error(&c->jw)) && (!wake || c->retry_ns < wake))
		wake = c->retry_ns;
	rt->wake_at_ns = wake;
	return work;
}

/* Operator commands (signals, numbered by dmctl): applied here by the
 * runtime, forwarded to every agent by the module, answered in the
 * segment. */
static void coord_control(struct rt *rt, uint32_t cmd, const struct msg_control *m)
{
	struct coord_ctx *c = rt->ctx;
	if (m)
		return; /* no ring carries commands to the coordinator */
	struct coord_env e;
	env_now(rt, rt->now_ns, &e);
	struct coord_cmd_result r;
	coord_command(&c->co, &e, cmd, rt->cmd_seq, &r);
	if (cmd == RT_CTL_CANCEL_ALL) {
		if (r.cancel < 0)
			rt_cmd_reply(rt, RT_CMD_FAILED, "orders ring full: cancel-all not delivered");
		else
			rt_cmd_reply(rt, RT_CMD_OK, "every open order cancelled at the venue");
		return;
	}
	uint32_t f = rt_flags(rt);
	if (r.missed)
		rt_cmd_reply(rt, RT_CMD_FAILED, "control ring to %s full: %s not delivered there",
			     agent_of((uint32_t)__builtin_ctz(r.missed)), rt_cmd_name(cmd));
	else if (cmd == CTL_KILL_SWITCH && r.cancel < 0)
		rt_cmd_reply(rt, RT_CMD_FAILED, "kill switch latched, but the cancel-all could "
			     "not be sent (orders ring full)");
	else if (cmd == CTL_HALT)
		rt_cmd_reply(rt, RT_CMD_OK, "halted: new orders refused (%u agents told)", r.told);
	else if (cmd == CTL_RESUME)
		rt_cmd_reply(rt, RT_CMD_OK, "%s (%u agents told)",
			     c->co.st->down_mask ?
			     "resumed, but an agent is down: orders stay blocked" :
			     "resumed: new orders accepted", r.told);
	else if (cmd == CTL_KILL_SWITCH)
		rt_cmd_reply(rt, RT_CMD_OK, "kill switch latched: open orders cancelled, every "
			     "order refused until rearm (%u agents told)", r.told);
	else if (cmd == CTL_REARM)
		rt_cmd_reply(rt, RT_CMD_OK, "%s (%u agents told)",
			     f & (RT_SF_KILLED | RT_SF_HALTED) ? "still halted" :
			     "re-armed: orders accepted", r.told);
	else if (cmd == CTL_RELOAD)
		rt_cmd_reply(rt, RT_CMD_OK, "reload forwarded (%u agents told)", r.told);
}

static int coord_busy_op(struct rt *rt)
{
	struct coord_ctx *c = rt->ctx;
	return coord_busy(&c->co);
}

static const struct rt_ops coord_ops = {
	.on_msg = coord_msg,
	.on_tick = coord_tick_op,
	.on_control = coord_control,
	.busy = coord_busy_op,
};

/* ------------------------------------------------------------ set-up */

/* The module's parameters: vote: of the configuration, the environment's
 * overrides, the heartbeat interval; complete ballots in a lockstep
 * replay.  0, 1 for a lockstep replay, or -DM_ECONFIG (logged). */
static int params(struct rt *rt, struct coord_params *p)
{
	char err[160];
	/* test and operator overrides of vote.quorum and vote.deadline_us */
	const char *quorum = NULL;
	const char *q = getenv("DM_VOTE_QUORUM");
	if (q && *q) {
		if (vote_quorum_parse(q, NULL) < 0) {
			rt_error(rt, "DM_VOTE_QUORUM='%s': use all, majority or a number", q);
			return -DM_ECONFIG;
		}
		quorum = q;
	}
	int64_t deadline_ns = 0;
	const char *d = getenv("DM_VOTE_DEADLINE_US");
	if (d && *d) {
		char *end;
		long long us = strtoll(d, &end, 10);
		if (*end || us < 1 || us > 10000000) {
			rt_error(rt, "DM_VOTE_DEADLINE_US='%s': microseconds, 1..10000000", d);
			return -DM_ECONFIG;
		}
		deadline_ns = us * 1000;
	}
	const char *ls = getenv("DM_LOCKSTEP");
	int lockstep = ls && strcmp(ls, "1") == 0;
	if (lockstep)
		deadline_ns = LOCKSTEP_DEADLINE_NS;
	if (trader_coord_params(&rt->cfg.core, rt_agent_role[rt->self], rt->hb_ns, quorum,
				deadline_ns, p, err, sizeof(err)) < 0) {
		rt_error(rt, "%s", err);
		return -DM_ECONFIG;
	}
	if (lockstep)
		p->max_intent_age_ns = 0;
	return lockstep;
}

static void log_policy(struct rt *rt, const struct coord_params *p, int c_lockstep)
{
	const struct vote_policy *pol = &p->vote;
	char q[16];
	if (pol->quorum == VOTE_QUORUM_N)
		snprintf(q, sizeof(q), "%u", pol->quorum_n);
	else
		snprintf(q, sizeof(q), "%s", pol->quorum == VOTE_QUORUM_ALL ? "all" : "majority");
	char who[128];
	size_t n = 0;
	who[0] = '\0';
	for (uint32_t i = 0; i < pol->n_voters && n < sizeof(who); i++)
		n += (size_t)snprintf(who + n, sizeof(who) - n, "%s%s%s", i ? ", " : "",
				      pol->voter[i] < ROLE_COUNT ? role_names[pol->voter[i]] : "?",
				      pol->veto_mask & (1u << i) ? " (veto)" : "");
	/* which of them vote on the intent itself (vote.fanout) */
	char fan[96] = "";
	size_t k = 0;
	for (uint32_t i = 0; p->fanout && i < pol->n_voters && k < sizeof(fan); i++)
		if (p->fanout & (1u << i))
			k += (size_t)snprintf(fan + k, sizeof(fan) - k, "%s%s", k ? ", " : "",
					      role_names[pol->voter[i]]);
	rt_log(rt, "vote: %s%s", p->fanout ? "intents fanned out to " : "every vote requested",
	       fan);
	char age[32];
	cfg_show_dur(p->max_intent_age_ns, age);
	rt_log(rt, "vote: voters %s; quorum %s; deadline %lld us; %s%s", who, q,
	       (long long)(pol->deadline_ns / 1000),
	       c_lockstep ? "lockstep replay: every agent counts as up, no intent age limit" :
	       p->max_intent_age_ns ? "intents older than " : "no intent age limit",
	       c_lockstep || !p->max_intent_age_ns ? "" : age);
}

static int rings(struct rt *rt, struct coord_ctx *c, const struct vote_policy *pol)
{
	char name[RING_NAME_MAX];
	if ((c->in_intent = ag_need_in(rt, "intents", sizeof(struct msg_intent))) < 0 ||
	    (c->in_rep = ag_need_in(rt, "reports_coordinator",
				    sizeof(struct msg_exec_report))) < 0 ||
	    (c->in_pos = ag_need_in(rt, "positions", sizeof(struct msg_position))) < 0 ||
	    (c->out_orders = ag_need_out(rt, "orders", sizeof(struct msg_order))) < 0)
		return -DM_ETOPOLOGY;
	for (uint32_t v = 0; v < pol->n_voters; v++) {
		const char *who = agent_of(pol->voter[v]);
		snprintf(name, sizeof(name), "votes_%s", who);
		if ((c->in_vote[v] = ag_need_in(rt, name, sizeof(struct msg_vote))) < 0)
			return -DM_ETOPOLOGY;
		snprintf(name, sizeof(name), "vote_req_%s", who);
		if ((c->out_req[v] = ag_need_out(rt, name, sizeof(struct msg_vote_req))) < 0)
			return -DM_ETOPOLOGY;
	}
	for (uint32_t r = 0; r < ROLE_COUNT; r++) {
		snprintf(name, sizeof(name), "control_%s", agent_of(r));
		c->out_ctl[r] = rt_out_find(rt, name);
	}
	return 0;
}

int ag_coord_init(struct rt *rt)
{
	struct coord_params p;
	int rc = params(rt, &p), lockstep = rc == 1;
	if (rc < 0)
		return rc;
	struct coord_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		rt_error(rt, "out of memory");
		return -ENOMEM;
	}
	c->rt = rt;
	c->lockstep = lockstep;
	if ((rc = rings(rt, c, &p.vote)) < 0)
		goto free_ctx;
	struct coord_state *st = rt->app;
	/* fresh, or zeroed but never initialised (a crash between the two):
	 * nothing was decided yet either way */
	if (rt->app_fresh || (st->magic == 0 && st->version == 0 && st->next_decision == 0)) {
		/* decision ids epoch << 40 | n: the epoch is the segment's */
		if ((rc = coord_init(st, RT_APP_SIZE, rt->seg.hdr->epoch)) < 0) {
			rt_error(rt, "coordinator state: %s", dm_strerror(rc));
			goto free_ctx;
		}
	}
	struct coord_out out = {
		.ctx = c,
		.can_send = out_can_send,
		.send = out_send,
		.decision = out_decision,
		.event = out_event,
		.fault = out_fault,
	};
	if ((rc = coord_attach(&c->co, st, RT_APP_SIZE, &p, &out)) < 0) {
		rt_error(rt, "coordinator state in the segment refused: %s", dm_strerror(rc));
		goto free_ctx;
	}
	if (c->co.n_open || c->co.n_decided || c->co.n_held)
		rt_log(rt, "resuming %u open ballot(s), %u released order(s) not yet sent and "
		       "%u decision(s) held for their record", c->co.n_open, c->co.n_decided,
		       c->co.n_held);
	if ((rc = ag_journal_open(rt, &c->jw, AG_DECISIONS_JOURNAL, 0)) < 0)
		goto free_ctx;
	c->jopen = 1;
	log_policy(rt, &p, lockstep);
	rt_set_ops(rt, &coord_ops, c);
	return 0;
free_ctx:
	free(c);
	return rc;
}

void ag_coord_close(struct rt *rt)
{
	struct coord_ctx *c = rt->ctx;
	const struct coord_state *st = rt->app;
	if (c && c->jopen && journal_close(&c->jw) < 0)
		rt_error(rt, "decisions journal: write error");
	char why[512];
	size_t n = 0;
	why[0] = '\0';
	for (uint32_t r = 0; r < VOTE_R_COUNT && n < sizeof(why); r++)
		if (st->by_reason[r])
			n += (size_t)snprintf(why + n, sizeof(why) - n, " %s=%llu",
					      vote_reason_name(r),
					      (unsigned long long)st->by_reason[r]);
	rt_log(rt, "decisions %llu: released %llu, blocked %llu (%s ); orders sent %llu, "
	       "fills %llu, position %lld, late votes %llu, records the journal refused %llu",
	       (unsigned long long)st->decisions, (unsigned long long)st->released,
	       (unsigned long long)st->blocked, why, (unsigned long long)st->orders_sent,
	       (unsigned long long)st->fills, (long long)st->position,
	       (unsigned long long)st->late_votes, (unsigned long long)st->journal_failures);
	if (c && rt->ops == &coord_ops) {
		rt_set_ops(rt, NULL, NULL);
		free(c);
	}
}
