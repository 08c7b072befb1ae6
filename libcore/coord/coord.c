/* coord.c — the coordinator on caller-owned memory (coord.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libcore/coord/coord.h"
#include "libcore/coord/coord_int.h"
#include "libcore/types.h"

_Static_assert(COORD_BALLOTS <= 64, "ballot scans stay short");
_Static_assert(VOTE_MAX_VOTERS <= 32, "voter bit masks");

void coord_params_default(struct coord_params *p)
{
	memset(p, 0, sizeof(*p));
	p->n_agents = 1;
	p->health_every_ns = 50ll * 1000000;
	p->retry_ns = 200ll * 1000;
}

int coord_policy_make(struct vote_policy *p, const uint32_t *order, uint32_t n_order,
		      uint32_t voters_mask, uint32_t veto_mask, const char *quorum,
		      int64_t deadline_ns, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (err && errlen)
		err[0] = '\0';
	for (uint32_t i = 0; i < n_order; i++) {
		if (order[i] >= COORD_AGENTS || !(voters_mask & (1u << order[i])))
			continue;
		if (p->n_voters == VOTE_MAX_VOTERS) {
			if (err)
				snprintf(err, errlen, "more than %d voters", VOTE_MAX_VOTERS);
			return -EINVAL;
		}
		if (veto_mask & (1u << order[i]))
			p->veto_mask |= 1u << p->n_voters;
		p->voter[p->n_voters++] = order[i];
	}
	uint32_t listed = 0;
	for (uint32_t i = 0; i < p->n_voters; i++)
		listed |= 1u << p->voter[i];
	if (veto_mask & ~listed) {
		if (err)
			snprintf(err, errlen, "a veto holder (agent mask 0x%x) is not a voter",
				 veto_mask & ~listed);
		return -EINVAL;
	}
	int k = vote_quorum_parse(quorum, &p->quorum_n);
	if (k < 0) {
		if (err)
			snprintf(err, errlen, "quorum '%s': use all, majority or a number 1..%u",
				 quorum ? quorum : "", p->n_voters);
		return -EINVAL;
	}
	p->quorum = (uint32_t)k;
	p->deadline_ns = deadline_ns;
	if (vote_policy_check(p) < 0) {
		if (err)
			snprintf(err, errlen, "vote policy refused (quorum %u of %u voters, "
				 "deadline %lld ns)", p->quorum_n, p->n_voters,
				 (long long)deadline_ns);
		return -EINVAL;
	}
	return 0;
}

int coord_params_check(const struct coord_params *p)
{
	if (!p || vote_policy_check(&p->vote) < 0 || p->n_agents < 1 ||
	    p->n_agents > COORD_AGENTS || p->self >= COORD_AGENTS ||
	    p->flatten_voter >= COORD_AGENTS || p->health_every_ns <= 0 || p->retry_ns <= 0 ||
	    p->max_intent_age_ns < 0 || (p->child_max_qty && p->child_horizon_ns <= 0))
		return -EINVAL;
	/* fanned voters are voters; children are voted on one by one */
	if (p->fanout & ~((1u << p->vote.n_voters) - 1u) || (p->fanout && p->child_max_qty))
		return -EINVAL;
	for (uint32_t i = 0; i < p->vote.n_voters; i++)
		if (p->vote.voter[i] >= COORD_AGENTS)
			return -EINVAL;
	return 0;
}

size_t coord_memsize(void)
{
	return sizeof(struct coord_state);
}

int coord_init(struct coord_state *st, size_t size, uint64_t epoch)
{
	if (!st || ((uintptr_t)st & 7u) || epoch < 1 || epoch > COORD_EPOCH_MAX)
		return -EINVAL;
	if (size < sizeof(*st))
		return -DM_ESIZE;
	memset(st, 0, sizeof(*st));
	st->version = COORD_VERSION;
	st->size = (uint32_t)sizeof(*st);
	st->epoch = epoch;
	/* the magic last: a crash before it leaves no state, not half of one */
	__atomic_store_n(&st->magic, COORD_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

int coord_attach(struct coord *c, struct coord_state *st, size_t size,
		 const struct coord_params *p, const struct coord_out *out)
{
	if (!c || !st || coord_params_check(p) < 0 || !out || !out->can_send || !out->send ||
	    !out->decision)
		return -EINVAL;
	if (__atomic_load_n(&st->magic, __ATOMIC_ACQUIRE) != COORD_MAGIC)
		return -DM_EMAGIC;
	if (st->version != COORD_VERSION)
		return -DM_EVERSION;
	if (st->size != sizeof(*st) || size < sizeof(*st))
		return -DM_ESIZE;
	uint32_t n_open = 0, n_decided = 0, n_held = 0;
	for (uint32_t i = 0; i < COORD_BALLOTS; i++) {
		switch (st->ballot[i].state) {
		case COORD_B_FREE:
			break;
		case COORD_B_OPEN:
			n_open++;
			break;
		case COORD_B_DECIDED:
			n_decided++;
			break;
		case COORD_B_HELD:
			n_held++;
			break;
		default:
			return -DM_ECORRUPT;
		}
	}
	uint32_t n_done = 0, n_early = 0;
	for (uint32_t i = 0; i < COORD_BALLOTS; i++)
		if (st->done_q[i].to)
			n_done++;
	for (uint32_t i = 0; i < COORD_EARLY; i++)
		if (st->early[i].intent_id)
			n_early++;
	for (uint32_t i = 0; i < COORD_PARENTS; i++) {
		const struct coord_parent *par = &st->parent[i];
		if (par->next && (par->n < 2 || par->n > COORD_CHILDREN || par->next < 2 ||
				  par->next > par->n || par->tau_ns < 0))
			return -DM_ECORRUPT; /* children of an intent past repair */
	}
	memset(c, 0, sizeof(*c));
	c->st = st;
	c->p = *p;
	c->out = *out;
	c->n_open = n_open;
	c->n_decided = n_decided;
	c->n_held = n_held;
	c->n_done = n_done;
	c->n_early = n_early;
	/* a record the previous process kept died with it: hand it over again */
	for (uint32_t i = 0; n_held && i < COORD_BALLOTS; i++)
		if (st->ballot[i].state == COORD_B_HELD)
			st->ballot[i].held = COORD_H_RECORD;
	st->attaches++;
	return 0;
}

/* ------------------------------------------------------------ helpers */

static uint64_t next_id(struct coord_state *st)
{
	/* stored before use: a restart never gives it out again */
	return st->epoch << COORD_ID_SHIFT | ++st->next_decision;
}

static void event(struct coord *c, const struct coord_event *ev)
{
	if (c->out.event)
		c->out.event(c->out.ctx, ev);
}

/* A decision on file (durable, or kept by the host): counted, and kept
 * among the recent ones. */
static void noted(struct coord *c, const struct vote_record *rec)
{
	struct coord_state *st = c->st;
	st->recent[st->n_recent % COORD_RECENT] = *rec;
	st->n_recent++;
	st->decisions++;
	if (rec->outcome == VOTE_RELEASE)
		st->released++;
	else
		st->blocked++;
	if (rec->reason < VOTE_R_COUNT)
		st->by_reason[rec->reason]++;
}

/*
 * Hand rec to the host's journal: coord_out.decision's return.  A refusal
 * marks the journal down for the rest of this call (the host says so in
 * the next env), so nothing else is decided before it writes again.
 */
static int record(struct coord *c, const struct vote_record *rec)
{
	int rc = c->out.decision(c->out.ctx, rec);
	if (rc < 0) {
		c->journal_down = 1;
		c->st->journal_failures++;
	}
	return rc;
}

static void ballot_record(const struct coord *c, const struct coord_ballot *b, uint64_t coid,
			  struct vote_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	vote_record_fill(rec, &b->b, &c->p.vote);
	rec->intent_id = b->intent.intent_id;
	rec->client_order_id = coid;
	rec->ingress_ns = b->intent.hdr.ingress_ns;
	rec->market_ns = b->intent.market_ns;
	rec->px = b->intent.px;
	rec->qty = b->intent.qty;
	rec->side = b->intent.side;
	rec->ord_type = b->intent.ord_type;
	rec->tif = b->intent.tif;
}

/* Not released for want of a journal: a block, journal_error, no voter
 * decisive. */
static void refuse_journal(struct vote_ballot *b)
{
	b->outcome = VOTE_BLOCK;
	b->reason = VOTE_R_JOURNAL_ERROR;
	b->decisive = -1;
}

/* An intent whose market event came in more than max_intent_age before
 * `at` (both on the host's one clock: coord.h, Fresh intents). */
static int intent_stale(const struct coord *c, const struct msg_intent *it, int64_t at)
{
	return c->p.max_intent_age_ns > 0 && it->hdr.ingress_ns > 0 &&
	       at - it->hdr.ingress_ns > c->p.max_intent_age_ns;
}

static void fault(struct coord *c, uint32_t point)
{
	if (c->out.fault)
		c->out.fault(c->out.ctx, point);
}

/* Every call starts from what the host says of its journal. */
static void begin(struct coord *c, const struct coord_env *e)
{
	c->journal_down = (e->flags & COORD_F_NO_JOURNAL) != 0;
}

static int fresh(const struct coord_env *e, uint32_t agent)
{
	return (e->fresh >> agent) & 1u;
}

/*
 * May the ballot be tallied now?  A live one after every vote.  A replay's
 * (its intent flagged MSG_F_REPLAY) only once every voter has a verdict
 * (voted, or a rejection cast for it) or at the deadline: which votes came
 * before the quorum was reached depends on the threads' timing, the full
 * set does not, so the record (and decisions.csv) is the same run after
 * run.  The outcome is the one an early tally would give.
 */
static int may_tally(const struct coord_ballot *b, int64_t now_ns)
{
	if (!(b->intent.hdr.flags & MSG_F_REPLAY) || now_ns >= b->b.deadline_ns)
		return 1;
	for (uint32_t v = 0; v < b->b.n_voters; v++)
		if (b->b.cast[v].verdict == VOTE_V_NONE)
			return 0;
	return 1;
}

/*
 * Send the released orders in client order id order, as long as the
 * orders port takes them; under the kill switch drop them instead.
 * Returns the orders sent.
 */
static int send_orders(struct coord *c, const struct coord_env *e, uint32_t *dropped)
{
	struct coord_state *st = c->st;
	int sent = 0;
	while (c->n_decided) {
		struct coord_ballot *best = NULL;
		for (uint32_t i = 0; i < COORD_BALLOTS; i++) {
			struct coord_ballot *b = &st->ballot[i];
			if (b->state == COORD_B_DECIDED &&
			    (!best || b->client_order_id < best->client_order_id))
				best = b;
		}
		if (!best) {
			c->n_decided = 0;
			break;
		}
		if (e->flags & COORD_F_KILLED) {
			struct coord_event ev = { .kind = COORD_EV_ORDER_DROPPED,
						  .decision_id = best->b.decision_id,
						  .client_order_id = best->client_order_id };
			best->state = COORD_B_FREE;
			c->n_decided--;
			if (dropped)
				(*dropped)++;
			event(c, &ev);
			continue;
		}
		if (!c->out.can_send(c->out.ctx, COORD_PORT_ORDERS, 0))
			break;
		const struct msg_intent *it = &best->intent;
		struct msg_order o;
		memset(&o, 0, sizeof(o));
		o.hdr.type = MSG_ORDER;
		o.hdr.size = sizeof(o);
		o.hdr.flags = it->hdr.flags & MSG_F_REPLAY;
		o.hdr.ingress_ns = it->hdr.ingress_ns;
		o.decision_id = best->b.decision_id;
		o.client_order_id = best->client_order_id;
		o.px = it->px;
		o.qty = it->qty;
		o.side = it->side;
		o.ord_type = it->ord_type;
		o.tif = it->tif;
		o.instrument = it->instrument;
		if (c->out.send(c->out.ctx, COORD_PORT_ORDERS, 0, &o.hdr) < 0)
			break;
		best->state = COORD_B_FREE;
		c->n_decided--;
		st->orders_sent++;
		sent++;
	}
	return sent;
}

/* MSG_VOTE_DONE of one decision to the voters in mask `to` that have room
 * now (the intent's id to those in `fan`, which know the ballot by it);
 * returns those left (their port full). */
static uint32_t tell(struct coord *c, const struct coord_done *d, uint32_t to)
{
	struct msg_vote_done m;
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_VOTE_DONE;
	m.hdr.size = sizeof(m);
	m.decision_id = d->decision_id;
	m.outcome = d->outcome;
	m.reason = d->reason;
	uint32_t left = 0;
	for (uint32_t v = 0; v < c->p.vote.n_voters; v++) {
		if (!(to & (1u << v)))
			continue;
		m.intent_id = d->fan & (1u << v) ? d->intent_id : 0;
		if (!c->out.can_send(c->out.ctx, COORD_PORT_VOTE_REQ, v) ||
		    c->out.send(c->out.ctx, COORD_PORT_VOTE_REQ, v, &m.hdr) < 0) {
			left |= 1u << v;
			continue;
		}
		c->st->dones_sent++;
	}
	return left;
}

/* After the decision record: every voter the ballot asked hears how it
 * ended; a full port's notice waits in done_q for coord_tick. */
static void tell_voters(struct coord *c, const struct coord_ballot *b)
{
	struct coord_state *st = c->st;
	/* a voter with an older notice waiting gets this one after it */
	uint32_t waiting = 0;
	for (uint32_t i = 0; c->n_done && i < COORD_BALLOTS; i++)
		waiting |= st->done_q[i].to;
	struct coord_done n = { .decision_id = b->b.decision_id, .outcome = b->b.outcome,
				.reason = b->b.reason, .fan = b->fan,
				.intent_id = b->intent.intent_id };
	uint32_t left = tell(c, &n, b->asked & ~waiting) | (b->asked & waiting);
	if (!left)
		return;
	for (uint32_t i = 0; i < COORD_BALLOTS; i++) {
		struct coord_done *d = &st->done_q[i];
		if (d->to)
			continue;
		d->decision_id = n.decision_id;
		d->outcome = n.outcome;
		d->reason = n.reason;
		d->fan = n.fan;
		d->intent_id = n.intent_id;
		d->to = left; /* stored last: the entry is live from here */
		c->n_done++;
		return;
	}
	st->dones_lost++;
}

/* The notices waiting for room, oldest decision first per port (a port
 * takes them in decision order because a later one is tried only after an
 * earlier one to the same voter went out).  Returns the notices sent. */
static int retry_dones(struct coord *c)
{
	struct coord_state *st = c->st;
	int sent = 0;
	uint32_t blocked = 0; /* voters whose port refused one: no later one */
	while (c->n_done) {
		struct coord_done *d = NULL;
		for (uint32_t i = 0; i < COORD_BALLOTS; i++) {
			struct coord_done *q = &st->done_q[i];
			if (q->to & ~blocked && (!d || q->decision_id < d->decision_id))
				d = q;
		}
		if (!d)
			break;
		uint32_t want = d->to & ~blocked;
		uint32_t left = tell(c, d, want);
		uint32_t took = want & ~left;
		sent += __builtin_popcount(took);
		st->dones_late += (uint64_t)__builtin_popcount(took);
		blocked |= left;
		d->to &= ~took;
		if (!d->to)
			c->n_done--;
	}
	return sent;
}

static void hold(struct coord *c, struct coord_ballot *b, uint32_t how)
{
	b->held = how;
	b->state = COORD_B_HELD;
	c->n_held++;
}

/*
 * A ballot has an outcome: its record first, then (the state stored
 * right after it, so a restart neither decides it again nor loses it)
 * its voters are told and a release goes out.  Without a journal nothing
 * is released: see "Journal failures" in coord.h.
 */
static void finalize(struct coord *c, const struct coord_env *e, struct coord_ballot *b)
{
	struct coord_state *st = c->st;
	c->n_open--;
	if (b->b.outcome == VOTE_RELEASE && ((e->flags & COORD_F_JOURNAL) || c->journal_down))
		refuse_journal(&b->b);
	/* checked again at the decision: votes take up to the deadline, and
	 * an intent fresh when it came may not be when its ballot ends */
	if (b->b.outcome == VOTE_RELEASE && intent_stale(c, &b->intent, b->b.decided_ns)) {
		b->b.outcome = VOTE_BLOCK;
		b->b.reason = VOTE_R_STALE_INTENT;
		b->b.decisive = -1;
	}
	if (c->journal_down) {
		hold(c, b, COORD_H_RECORD);
		return;
	}
	uint64_t coid = 0;
	int counted = 0;
	if (b->b.outcome == VOTE_RELEASE) {
		/* the client order id is the decision id: unique across
		 * restarts and runs, increasing, and the key under which risk
		 * holds the approved exposure.  Kept in the ballot: a
		 * coordinator killed before the state below is stored decides
		 * again with the same id. */
		if (!b->client_order_id) {
			b->client_order_id = b->b.decision_id;
			st->next_order++;
			counted = 1;
		}
		coid = b->client_order_id;
	}
	struct vote_record rec;
	ballot_record(c, b, coid, &rec);
	int rc = record(c, &rec);
	if (rc < 0) {
		if (coid) {
			/* not released: a block, journal_error, which replaces
			 * the release the host kept */
			refuse_journal(&b->b);
			b->client_order_id = 0;
			st->next_order -= (uint64_t)counted;
			ballot_record(c, b, 0, &rec);
			if (rc == -EINPROGRESS)
				rc = c->out.decision(c->out.ctx, &rec);
		}
		if (rc == -EINPROGRESS) {
			noted(c, &rec);
			hold(c, b, COORD_H_KEPT);
		} else {
			hold(c, b, COORD_H_RECORD);
		}
		return;
	}
	noted(c, &rec);
	if (coid) {
		b->state = COORD_B_DECIDED;
		c->n_decided++;
		tell_voters(c, b);
		fault(c, COORD_FAULT_RELEASE);
		send_orders(c, e, NULL);
	} else {
		b->state = COORD_B_FREE;
		tell_voters(c, b);
	}
}

/*
 * The held decisions, oldest first, once the journal writes: a record
 * still to hand over goes to the host (one it kept is written by now),
 * then the voters hear how the ballot ended.  Returns the decisions
 * finished.
 */
static int finish_held(struct coord *c)
{
	struct coord_state *st = c->st;
	int done = 0;
	while (c->n_held && !c->journal_down) {
		struct coord_ballot *b = NULL;
		for (uint32_t i = 0; i < COORD_BALLOTS; i++) {
			struct coord_ballot *q = &st->ballot[i];
			if (q->state == COORD_B_HELD &&
			    (!b || q->b.decision_id < b->b.decision_id))
				b = q;
		}
		if (!b) {
			c->n_held = 0;
			break;
		}
		if (b->held == COORD_H_RECORD) {
			struct vote_record rec;
			ballot_record(c, b, 0, &rec);
			int rc = record(c, &rec);
			if (rc < 0 && rc != -EINPROGRESS)
				break;
			noted(c, &rec);
			if (rc < 0) {
				b->held = COORD_H_KEPT;
				break;
			}
		}
		b->state = COORD_B_FREE;
		c->n_held--;
		tell_voters(c, b);
		done++;
	}
	return done;
}

/*
 * Which agents are down (no fresh heartbeat).  Orders are blocked while
 * any is.  Reported (an event) only for an agent seen up since this
 * attach: at a start the agents not started yet block orders silently.
 * An agent found up by any check counts as seen, so a coordinator
 * restarted among running agents still reports the first one that dies.
 */
static void health(struct coord *c, const struct coord_env *e)
{
	struct coord_state *st = c->st;
	uint32_t all = (c->p.n_agents >= 32 ? ~0u : (1u << c->p.n_agents) - 1) &
		       ~(1u << c->p.self);
	uint32_t down = all & ~e->fresh;
	uint32_t seen = c->seen_up;
	c->seen_up |= all & ~down;
	uint32_t changed = down ^ st->down_mask;
	for (uint32_t a = 0; changed && a < c->p.n_agents; a++) {
		uint32_t bit = 1u << a;
		if (!(changed & bit) || !(seen & bit))
			continue;
		struct coord_event ev = { .kind = down & bit ? COORD_EV_ROLE_DOWN :
						  COORD_EV_ROLE_BACK,
					  .agent = a, .down = down };
		event(c, &ev);
	}
	if (!c->all_up && down == 0) {
		c->all_up = 1;
		struct coord_event ev = { .kind = COORD_EV_ALL_UP };
		event(c, &ev);
	}
	st->down_mask = down;
}

uint32_t coord_blocked_reason(const struct coord *c, const struct coord_env *e)
{
	if (e->flags & COORD_F_KILLED)
		return VOTE_R_KILL_SWITCH;
	if (e->flags & COORD_F_JOURNAL)
		return VOTE_R_JOURNAL_ERROR;
	if (e->flags & COORD_F_HALTED)
		return VOTE_R_HALTED;
	if (c->st->down_mask)
		return VOTE_R_ROLE_DOWN;
	return 0;
}

/* ------------------------------------------------------------ early votes */

/* Policy index of role, or -1 when it is no voter. */
static int voter_index(const struct vote_policy *pol, uint32_t role)
{
	for (uint32_t v = 0; v < pol->n_voters; v++)
		if (pol->voter[v] == role)
			return (int)v;
	return -1;
}

/* Keep a fanned vote until its intent comes; a full table loses its
 * oldest. */
static void early_put(struct coord *c, uint32_t role, const struct msg_vote *v, int64_t now)
{
	struct coord_state *st = c->st;
	struct coord_early *slot = NULL, *oldest = NULL;
	for (uint32_t i = 0; i < COORD_EARLY; i++) {
		struct coord_early *q = &st->early[i];
		if (q->intent_id == v->intent_id && q->voter == role) {
			slot = q; /* the same vote again (a re-delivery): replaced */
			break;
		}
		if (!q->intent_id) {
			if (!slot)
				slot = q;
		} else if (!oldest || q->at_ns < oldest->at_ns) {
			oldest = q;
		}
	}
	if (!slot) {
		slot = oldest;
		st->early_dropped++;
	} else if (!slot->intent_id) {
		c->n_early++;
	}
	if (slot->intent_id != v->intent_id || slot->voter != role)
		st->early_votes++;
	slot->at_ns = now;
	slot->voter = role;
	slot->verdict = v->verdict;
	slot->reason = v->reason;
	slot->intent_id = v->intent_id;
}

/* Cast the kept votes of the ballot's intent (and free their slots). */
static void early_cast(struct coord *c, struct coord_ballot *b, int64_t now)
{
	struct coord_state *st = c->st;
	for (uint32_t i = 0; i < COORD_EARLY; i++) {
		struct coord_early *q = &st->early[i];
		if (q->intent_id != b->intent.intent_id)
			continue;
		int v = voter_index(&c->p.vote, q->voter);
		if (v >= 0 && (b->fan & (1u << v)))
			(void)vote_cast(&b->b, &c->p.vote, q->voter, q->verdict, q->reason, now);
		q->intent_id = 0;
		c->n_early--;
	}
}

/* Kept votes of intent id (one blocked before its ballot) forgotten. */
static void early_forget(struct coord *c, uint64_t intent_id)
{
	for (uint32_t i = 0; i < COORD_EARLY; i++)
		if (c->st->early[i].intent_id == intent_id) {
			c->st->early[i].intent_id = 0;
			c->n_early--;
		}
}

/* Kept votes older than a vote deadline: no intent came for them. */
static int early_expire(struct coord *c, int64_t now)
{
	int n = 0;
	for (uint32_t i = 0; i < COORD_EARLY; i++) {
		struct coord_early *q = &c->st->early[i];
		if (q->intent_id && now - q->at_ns > c->p.vote.deadline_ns) {
			q->intent_id = 0;
			c->n_early--;
			c->st->early_dropped++;
			n++;
		}
	}
	return n;
}

/* An intent handled: the newest id (ml's ids grow; should ml start them
 * again, a new strategy state, intent_hi follows down). */
static void intent_seen(struct coord_state *st, uint64_t id)
{
	st->intent_hi = id;
}

/* ------------------------------------------------------------ inputs */

int coord_intent_one(struct coord *c, const struct coord_env *e, const struct msg_intent *it)
{
	struct coord_state *st = c->st;
	const struct vote_policy *pol = &c->p.vote;
	int64_t now = e->now_ns;
	begin(c, e);
	if (c->journal_down)
		return -EAGAIN; /* nothing is decided without its record: it waits */
	if (it->market_ns > st->market_ns)
		st->market_ns = it->market_ns;
	if (st->down_mask) /* an agent may have come back since the last check */
		health(c, e);
	uint32_t pre = coord_blocked_reason(c, e);
	/* ingress and now are on the host's one clock (coord.h, Fresh intents) */
	if (!pre && intent_stale(c, it, now))
		pre = VOTE_R_STALE_INTENT;
	if (pre) {
		/* blocked before any vote: journaled with every vote missing */
		struct coord_ballot tmp;
		memset(&tmp, 0, sizeof(tmp));
		tmp.intent = *it;
		vote_open(&tmp.b, pol, next_id(st), now);
		tmp.b.outcome = VOTE_BLOCK;
		tmp.b.reason = pre;
		tmp.b.decided_ns = now;
		struct vote_record rec;
		ballot_record(c, &tmp, 0, &rec);
		int rc = record(c, &rec);
		if (rc < 0 && rc != -EINPROGRESS)
			return -EAGAIN; /* not on file: offered again (its id is skipped) */
		noted(c, &rec);
		intent_seen(st, it->intent_id);
		if (c->p.fanout) {
			/* the fanned voters have the intent: they hear it ended */
			if (c->n_early)
				early_forget(c, it->intent_id);
			tmp.asked = tmp.fan = c->p.fanout;
			tell_voters(c, &tmp);
			st->fan_blocked++;
		}
		return 0;
	}
	struct coord_ballot *b = NULL;
	for (uint32_t i = 0; i < COORD_BALLOTS && !b; i++)
		if (st->ballot[i].state == COORD_B_FREE)
			b = &st->ballot[i];
	if (!b)
		return -EAGAIN; /* every ballot busy: intents wait in their ring */
	uint32_t ask = 0, fan = c->p.fanout;
	for (uint32_t v = 0; v < pol->n_voters; v++)
		if (fan & (1u << v)) {
			ask |= 1u << v; /* it has the intent: no request, told the end */
		} else if (fresh(e, pol->voter[v])) {
			if (!c->out.can_send(c->out.ctx, COORD_PORT_VOTE_REQ, v))
				return -EAGAIN;
			ask |= 1u << v;
		}
	b->intent = *it;
	b->client_order_id = 0;
	b->asked = ask;
	b->fan = fan;
	vote_open(&b->b, pol, next_id(st), now);
	intent_seen(st, it->intent_id);
	if (c->n_early)
		early_cast(c, b, now);
	for (uint32_t v = 0; v < pol->n_voters; v++) {
		if (fan & (1u << v)) {
			/* voted already, or a stale host that will not */
			if (b->b.cast[v].verdict == VOTE_V_NONE && !fresh(e, pol->voter[v]))
				vote_cast(&b->b, pol, pol->voter[v], VOTE_V_REJECT,
					  VOTE_R_STALE_VOTER, now);
			continue;
		}
		if (!(ask & (1u << v))) {
			vote_cast(&b->b, pol, pol->voter[v], VOTE_V_REJECT, VOTE_R_STALE_VOTER, now);
			continue;
		}
		struct msg_vote_req q;
		memset(&q, 0, sizeof(q));
		q.hdr.type = MSG_VOTE_REQ;
		q.hdr.size = sizeof(q);
		q.hdr.flags = it->hdr.flags & MSG_F_REPLAY;
		q.hdr.ingress_ns = it->hdr.ingress_ns;
		q.decision_id = b->b.decision_id;
		q.deadline_ns = b->b.deadline_ns;
		q.intent_id = it->intent_id;
		q.px = it->px;
		q.qty = it->qty;
		q.side = it->side;
		q.ord_type = it->ord_type;
		q.tif = it->tif;
		q.instrument = it->instrument;
		/* can_send said yes: a refusal now leaves the vote missing,
		 * a rejection at the deadline */
		(void)c->out.send(c->out.ctx, COORD_PORT_VOTE_REQ, v, &q.hdr);
	}
	b->state = COORD_B_OPEN;
	c->n_open++;
	if (may_tally(b, now) && vote_tally(&b->b, pol, now) != VOTE_PENDING)
		finalize(c, e, b);
	return 0;
}

int coord_on_vote(struct coord *c, const struct coord_env *e, uint32_t voter,
		  const struct msg_vote *v)
{
	struct coord_state *st = c->st;
	struct coord_ballot *b = NULL;
	begin(c, e);
	if (!v->decision_id) {
		/* a vote on an intent itself (fan-out): its ballot by the
		 * intent's id, or kept until the intent comes */
		int vi = voter_index(&c->p.vote, voter);
		if (vi < 0 || !(c->p.fanout & (1u << vi)) || !v->intent_id) {
			st->late_votes++; /* not a fanned voter: nothing asked it */
			return 0;
		}
		for (uint32_t i = 0; i < COORD_BALLOTS; i++)
			if (st->ballot[i].state == COORD_B_OPEN && st->ballot[i].fan &&
			    st->ballot[i].intent.intent_id == v->intent_id) {
				b = &st->ballot[i];
				break;
			}
		if (!b && v->intent_id > st->intent_hi) {
			early_put(c, voter, v, e->now_ns);
			return 0;
		}
	} else {
		for (uint32_t i = 0; i < COORD_BALLOTS; i++)
			if (st->ballot[i].state == COORD_B_OPEN &&
			    st->ballot[i].b.decision_id == v->decision_id) {
				b = &st->ballot[i];
				break;
			}
	}
	if (!b) {
		st->late_votes++; /* decided already (deadline, veto) */
		return 0;
	}
	int rc = vote_cast(&b->b, &c->p.vote, voter, v->verdict, v->reason, e->now_ns);
	if (rc == -EALREADY || rc == -ETIMEDOUT)
		st->late_votes++;
	if (may_tally(b, e->now_ns) && vote_tally(&b->b, &c->p.vote, e->now_ns) != VOTE_PENDING)
		finalize(c, e, b);
	return 0;
}

int coord_on_report(struct coord *c, const struct coord_env *e,
		    const struct msg_exec_report *r)
{
	struct coord_state *st = c->st;
	(void)e;
	st->reports++;
	if (r->last_qty > 0)
		st->fills++;
	if (st->flatten_id && r->decision_id == st->flatten_id &&
	    (r->status == EXEC_FILLED || r->status == EXEC_CANCELLED ||
	     r->status == EXEC_REJECTED))
		st->flatten_id = 0; /* done: risk's next position says what is left */
	return 0;
}

/*
 * Kill switch with kill_switch.flatten: risk asks for p->flatten_qty at
 * market.  One flattening order at a time, sent without a vote (the kill
 * switch refuses every voted order) but journaled as a released decision
 * with reason kill_flatten and risk's approval, so every order that
 * reaches execution still has its decision in the journal.
 */
static int flatten(struct coord *c, const struct coord_env *e, const struct msg_position *p)
{
	struct coord_state *st = c->st;
	if (!(e->flags & COORD_F_KILLED) || st->flatten_id)
		return 0;
	begin(c, e);
	if (c->journal_down || !c->out.can_send(c->out.ctx, COORD_PORT_ORDERS, 0))
		return -EAGAIN;
	int64_t now = e->now_ns;
	struct vote_record rec;
	memset(&rec, 0, sizeof(rec));
	rec.version = VOTE_RECORD_VERSION;
	rec.outcome = VOTE_RELEASE;
	rec.decision_id = next_id(st);
	rec.client_order_id = rec.decision_id;
	rec.opened_ns = rec.decided_ns = rec.deadline_ns = now;
	rec.market_ns = st->market_ns; /* no market event behind it: the newest seen */
	rec.qty = p->flatten_qty > 0 ? p->flatten_qty : -p->flatten_qty;
	rec.side = p->flatten_qty > 0 ? SIDE_BUY : SIDE_SELL;
	rec.ord_type = ORD_MARKET;
	rec.tif = TIF_IOC;
	rec.reason = VOTE_R_FLATTEN;
	rec.decisive = -1;
	rec.n_voters = 1;
	rec.v[0].voter = c->p.flatten_voter;
	rec.v[0].verdict = VOTE_V_APPROVE;
	rec.v[0].reason = VOTE_R_FLATTEN;
	int rc = record(c, &rec);
	if (rc < 0) {
		if (rc != -EINPROGRESS)
			return -EAGAIN; /* not on file: risk's request is offered again */
		/* not sent: a block, journal_error, in place of the kept record;
		 * risk asks again with its next position */
		rec.outcome = VOTE_BLOCK;
		rec.reason = VOTE_R_JOURNAL_ERROR;
		rec.client_order_id = 0;
		(void)c->out.decision(c->out.ctx, &rec);
		noted(c, &rec);
		return 0;
	}
	noted(c, &rec);
	struct msg_order o;
	memset(&o, 0, sizeof(o));
	o.hdr.type = MSG_ORDER;
	o.hdr.size = sizeof(o);
	o.hdr.flags = MSG_F_FLATTEN | (p->hdr.flags & MSG_F_REPLAY);
	o.decision_id = rec.decision_id;
	o.client_order_id = rec.decision_id;
	o.qty = rec.qty;
	o.side = rec.side;
	o.ord_type = ORD_MARKET;
	o.tif = TIF_IOC;
	o.instrument = p->instrument;
	(void)c->out.send(c->out.ctx, COORD_PORT_ORDERS, 0, &o.hdr);
	st->flatten_id = rec.decision_id;
	st->flattens++;
	st->orders_sent++;
	struct coord_event ev = { .kind = COORD_EV_FLATTEN, .qty = rec.qty, .side = rec.side,
				  .decision_id = rec.decision_id,
				  .client_order_id = rec.decision_id };
	event(c, &ev);
	return 0;
}

int coord_on_position(struct coord *c, const struct coord_env *e,
		      const struct msg_position *p)
{
	struct coord_state *st = c->st;
	st->position = p->position;
	st->realized_e9 = p->realized_e9;
	if ((p->flags & POS_F_FLATTEN) && p->flatten_qty)
		return flatten(c, e, p);
	return 0;
}

int coord_tick(struct coord *c, const struct coord_env *e, int64_t *wake_ns)
{
	struct coord_state *st = c->st;
	const struct vote_policy *pol = &c->p.vote;
	int64_t now = e->now_ns;
	int work = 0;
	begin(c, e);
	int64_t child_wake = 0;
	if (c->p.child_max_qty)
		work += coord_children_tick(c, e, &child_wake);
	if (now >= c->next_health_ns) {
		health(c, e);
		c->next_health_ns = now + c->p.health_every_ns;
	}
	int64_t wake = 0;
	if (c->n_open) {
		for (uint32_t i = 0; i < COORD_BALLOTS; i++) {
			struct coord_ballot *b = &st->ballot[i];
			if (b->state != COORD_B_OPEN)
				continue;
			for (uint32_t v = 0; v < pol->n_voters; v++)
				if (b->b.cast[v].verdict == VOTE_V_NONE && !fresh(e, pol->voter[v]))
					vote_cast(&b->b, pol, pol->voter[v], VOTE_V_REJECT,
						  VOTE_R_STALE_VOTER, now);
			if (may_tally(b, now) && vote_tally(&b->b, pol, now) != VOTE_PENDING) {
				finalize(c, e, b);
				work++;
			} else if (!wake || b->b.deadline_ns < wake) {
				wake = b->b.deadline_ns;
			}
		}
	}
	if (c->n_held)
		work += finish_held(c);
	if (c->n_early)
		work += early_expire(c, now);
	if (c->n_decided) {
		work += send_orders(c, e, NULL);
		/* the orders port is full: try again soon */
		if (c->n_decided && (!wake || now + c->p.retry_ns < wake))
			wake = now + c->p.retry_ns;
	}
	if (c->n_done) {
		work += retry_dones(c);
		/* a voter's port is full: try again soon */
		if (c->n_done && (!wake || now + c->p.retry_ns < wake))
			wake = now + c->p.retry_ns;
	}
	if (child_wake && (!wake || child_wake < wake))
		wake = child_wake;
	if (wake_ns)
		*wake_ns = wake;
	return work;
}

int coord_on_cancel(struct coord *c, const struct coord_env *e, const struct msg_cancel *k)
{
	(void)e;
	if (!k->client_order_id) {
		c->st->quote_cancels_refused++;
		return 0;
	}
	/* a cancel only takes resting exposure away: no ballot (whatever the
	 * latches: under the kill switch every order is cancelled anyway) */
	if (!c->out.can_send(c->out.ctx, COORD_PORT_ORDERS, 0))
		return -EAGAIN;
	if (c->out.send(c->out.ctx, COORD_PORT_ORDERS, 0, &k->hdr) < 0)
		return -EAGAIN;
	c->st->quote_cancels++;
	return 0;
}

int coord_command(struct coord *c, const struct coord_env *e, uint32_t cmd, uint64_t seq,
		  struct coord_cmd_result *r)
{
	memset(r, 0, sizeof(*r));
	r->cancel = 1;
	struct msg_cancel cx;
	memset(&cx, 0, sizeof(cx));
	cx.hdr.type = MSG_CANCEL;
	cx.hdr.size = sizeof(cx);
	cx.client_order_id = 0; /* every open order */
	if (cmd == COORD_CMD_CANCEL_ALL) {
		r->cancel = c->out.send(c->out.ctx, COORD_PORT_ORDERS, 0, &cx.hdr) < 0 ? -EAGAIN : 0;
		return r->cancel;
	}
	for (uint32_t a = 0; a < c->p.n_agents; a++) {
		struct msg_control m;
		memset(&m, 0, sizeof(m));
		m.hdr.type = MSG_CONTROL;
		m.hdr.size = sizeof(m);
		m.cmd = cmd;
		m.target = ~0u;
		m.arg = seq;
		int rc = c->out.send(c->out.ctx, COORD_PORT_CONTROL, a, &m.hdr);
		if (rc == 0)
			r->told++;
		else if (rc != -ENOENT)
			r->missed |= 1u << a;
	}
	if (cmd == CTL_KILL_SWITCH) {
		r->cancel = c->out.send(c->out.ctx, COORD_PORT_ORDERS, 0, &cx.hdr) < 0 ? -EAGAIN : 0;
		send_orders(c, e, &r->dropped); /* drops the released orders not sent yet */
	}
	return r->missed || r->cancel < 0 ? -EAGAIN : 0;
}
