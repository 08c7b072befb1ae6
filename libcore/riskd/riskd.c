/* riskd.c — the risk voter on caller-owned state (riskd.h). */
#include "libcore/riskd/riskd.h"
#include "libcore/vote/vote.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct riskd_pending) == 16, "riskd_pending size");

/* The writer's own view of the current state. */
static inline struct risk_state *cur_rs(struct riskd_state *st)
{
	return &st->rs[atomic_load_explicit(&st->cur, memory_order_relaxed) & 1];
}

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

void riskd_params_default(struct riskd_params *p)
{
	memset(p, 0, sizeof(*p));
	p->reserve_ns = RISKD_RESERVE_NS;
	p->pos_every_ns = RISKD_POS_EVERY_NS;
}

size_t riskd_memsize(void)
{
	return sizeof(struct riskd_state);
}

void riskd_init(struct riskd_state *st, const struct riskd_params *p)
{
	memset(st, 0, sizeof(*st));
	risk_init(&st->rs[0], &p->limits, &p->instr);
	st->rs[1] = st->rs[0];
}

int riskd_attach(struct riskd *d, struct riskd_state *st, const struct riskd_params *p,
		 const struct riskd_out *out)
{
	if (!out || !out->vote_claim || !out->vote_publish || !out->position || !out->log)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->st = st;
	d->out = *out;
	d->cfg = p->limits;
	d->instr = p->instr;
	d->cal = p->cal;
	d->voter = p->voter;
	d->reserve_ns = p->reserve_ns;
	d->pos_every_ns = p->pos_every_ns;
	st->max_position = p->limits.max_position;
	copy_str(st->symbol, sizeof(st->symbol), p->symbol);
	copy_str(st->currency, sizeof(st->currency), p->currency);
	d->next_expire_ns = INT64_MIN; /* approvals a restart found: scan at once */
	return 0;
}

int64_t riskd_market_ns(const struct riskd *d, int64_t now_ns)
{
	const struct riskd_state *st = d->st;
	if (!st->book_local_ns)
		return now_ns;
	if (st->book_replay)
		return st->book_exch_ns; /* a replay: the market's time, no local time in it */
	return st->book_exch_ns + (now_ns - st->book_local_ns);
}

static void send_position(struct riskd *d, int64_t ingress_ns, int64_t now_ns)
{
	struct riskd_state *st = d->st;
	const struct risk_state *rs = cur_rs(st);
	struct risk_pnl pnl;
	risk_pnl(rs, &pnl);
	struct msg_position p;
	memset(&p, 0, sizeof(p));
	p.hdr.type = MSG_POSITION;
	p.hdr.size = sizeof(p);
	p.hdr.ingress_ns = ingress_ns;
	p.position = rs->position;
	p.mark_px = rs->mid_x2 / 2;
	p.avg_px = risk_avg_px(rs);
	p.realized_e9 = pnl.realized_e9;
	p.unrealized_e9 = pnl.unrealized_e9;
	p.fees_e9 = pnl.fees_e9;
	p.instrument = d->instrument;
	p.trading_state = rs->state;
	int asked = 0;
	int64_t next = st->flatten_next_ns;
	if (st->flatten && rs->killed) {
		struct risk_order fo;
		next = 0;
		if (!rs->position) {
			st->flatten = 0; /* flat: done */
			st->flatten_next_ns = 0;
			d->out.log(d->out.ctx, 0, "kill switch: position flat");
		} else if (risk_flatten_due(rs, &d->cfg, &st->plan, riskd_market_ns(d, now_ns),
					    &fo, &next)) {
			p.flags |= POS_F_FLATTEN;
			p.flatten_qty = (int32_t)(fo.side * fo.qty);
			asked = 1;
		}
	}
	if (d->out.position(d->out.ctx, &p) == 0) {
		st->positions++;
		st->last_pos_ns = now_ns;
		st->flatten_slices += (uint64_t)asked;
		/* the next slice's time (ahead of the plan: nothing asked until
		 * then); a snapshot not taken keeps the due one for the next tick */
		st->flatten_next_ns = next;
	}
}

static void pend_add(struct riskd_state *st, uint64_t id, int64_t expire_ns)
{
	struct riskd_pending *free_slot = NULL;
	for (uint32_t i = 0; i < RISKD_PENDING; i++) {
		if (st->pend[i].id == id)
			return;
		if (!st->pend[i].id && !free_slot)
			free_slot = &st->pend[i];
	}
	if (free_slot) {
		free_slot->expire_ns = expire_ns;
		free_slot->id = id;
	}
}

/* A report names the order: it reached the venue, no expiry any more. */
static void pend_clear(struct riskd_state *st, uint64_t id)
{
	for (uint32_t i = 0; i < RISKD_PENDING; i++)
		if (st->pend[i].id == id)
			st->pend[i].id = 0;
}

void riskd_follow_kill(struct riskd *d, int killed, int64_t now_ns)
{
	struct riskd_state *st = d->st;
	uint32_t k = killed ? 1 : 0;
	if (k == st->killed_seen)
		return;
	struct risk_state *rs = cur_rs(st);
	int64_t now = riskd_market_ns(d, now_ns);
	char line[160];
	if (k) {
		if (risk_kill(rs, &d->cfg, now, VOTE_R_KILL_SWITCH)) {
			snprintf(line, sizeof(line), "kill switch: flattening a position of %lld",
				 (long long)rs->position);
			d->out.log(d->out.ctx, 0, line);
			st->flatten = 1;
			risk_flatten_plan(rs, &d->cfg, now, &st->plan);
			if (st->plan.n > 1) {
				snprintf(line, sizeof(line), "kill switch: %u slices, one every "
					 "%.3f s", st->plan.n, (double)st->plan.tau_ns / 1e9);
				d->out.log(d->out.ctx, 0, line);
			}
		}
		d->out.log(d->out.ctx, 0, "kill switch latched: every order refused until re-armed");
	} else {
		st->flatten = 0;
		st->flatten_next_ns = 0;
		uint32_t s = risk_rearm(rs, &d->cfg, now);
		snprintf(line, sizeof(line), "re-armed: state %s", risk_state_name(s));
		d->out.log(d->out.ctx, 0, line);
	}
	st->killed_seen = k;
	if (st->flatten)
		send_position(d, 0, now_ns);
}

/* News of something not come yet: kept (the oldest overwritten). */
static void ahead_put(struct riskd_state *st, uint32_t kind, uint64_t intent_id,
		      uint64_t decision_id, uint32_t outcome)
{
	struct riskd_ahead *a = &st->ahead[st->ahead_n++ % RISKD_AHEAD];
	a->intent_id = intent_id;
	a->decision_id = decision_id;
	a->outcome = outcome;
	a->kind = kind;
}

/* The kept entry of that kind for id (an intent's for RISKD_A_DONE, a
 * decision's else), or NULL. */
static struct riskd_ahead *ahead_find(struct riskd_state *st, uint32_t kind, uint64_t id)
{
	if (!st->ahead_n)
		return NULL;
	for (uint32_t i = 0; i < RISKD_AHEAD; i++) {
		struct riskd_ahead *a = &st->ahead[i];
		if (a->kind == kind && (kind == RISKD_A_DONE ? a->intent_id : a->decision_id) == id)
			return a;
	}
	return NULL;
}

/* The vote on q, an approval held under key (0: none). */
static int vote_on(struct riskd *d, const struct msg_vote_req *q, uint64_t key, int killed,
		   int64_t now_ns)
{
	struct msg_vote *v = d->out.vote_claim(d->out.ctx);
	if (!v)
		return -EAGAIN;
	struct riskd_state *st = d->st;
	riskd_follow_kill(d, killed, now_ns);
	struct risk_state *rs = cur_rs(st);
	struct risk_order o = { .px = q->ord_type == ORD_MARKET ? 0 : q->px, .qty = q->qty,
				.side = q->side, .ord_type = q->ord_type };
	uint32_t reason = d->venue_down && !killed ? VOTE_R_VENUE_DOWN :
			  risk_check_order(rs, &d->cfg, &d->cal, &o, riskd_market_ns(d, now_ns));
	if (reason == VOTE_R_APPROVED && key) {
		int rc = risk_on_order_open(rs, key, q->side, q->qty);
		if (rc == -DM_EFULL)
			reason = VOTE_R_OPEN_ORDERS;
		else if (rc == 0) {
			pend_add(st, key, now_ns + d->reserve_ns);
			if (now_ns + d->reserve_ns < d->next_expire_ns)
				d->next_expire_ns = now_ns + d->reserve_ns;
		}
		/* -EEXIST: the same request again (a re-delivery): approve again */
	}
	memset(v, 0, sizeof(*v));
	v->hdr.type = MSG_VOTE;
	v->hdr.size = sizeof(*v);
	v->hdr.ingress_ns = q->hdr.ingress_ns;
	v->decision_id = q->decision_id;
	v->intent_id = q->intent_id;
	v->voter = d->voter;
	v->verdict = reason == VOTE_R_APPROVED ? VOTE_APPROVE :
		     reason == VOTE_R_KILL_SWITCH ? VOTE_VETO : VOTE_REJECT;
	v->reason = reason;
	d->out.vote_publish(d->out.ctx, v);
	st->votes++;
	return 0;
}

int riskd_on_vote_req(struct riskd *d, const struct msg_vote_req *q, int killed,
		      int64_t now_ns)
{
	return vote_on(d, q, q->decision_id, killed, now_ns);
}

int riskd_on_intent(struct riskd *d, const struct msg_intent *it, int killed, int64_t now_ns)
{
	struct riskd_state *st = d->st;
	struct msg_vote_req q;
	msg_vote_req_of_intent(&q, it);
	uint64_t key = it->intent_id;
	struct riskd_ahead *a = ahead_find(st, RISKD_A_DONE, key);
	if (a) /* its ballot ended already: hold nothing, or under the decision */
		key = a->outcome == VOTE_RELEASE ? a->decision_id : 0;
	if (!it->intent_id || it->intent_id >= RISKD_INTENT_MAX) {
		q.qty = 0; /* refused by the check: bad_order */
		key = 0;
	}
	int rc = vote_on(d, &q, key, killed, now_ns);
	if (rc < 0)
		return rc;
	if (a)
		a->kind = 0;
	st->intent_hi = it->intent_id;
	st->intent_votes++;
	return 0;
}

void riskd_on_book(struct riskd *d, const struct msg_book *b, int64_t now_ns)
{
	struct riskd_state *st = d->st;
	d->instrument = b->instrument;
	st->book_exch_ns = b->exch_ns;
	st->book_local_ns = now_ns;
	st->book_replay = (b->hdr.flags & MSG_F_REPLAY) ? 1 : 0;
	struct risk_state *rs = cur_rs(st);
	/* a new session day starts the daily limits afresh; the date is
	 * worked out again only when a book leaves the last one's day */
	int32_t day = d->day_of;
	if (b->exch_ns < d->day_start_ns || b->exch_ns >= d->day_end_ns) {
		day = (int32_t)cal_local_date(&d->cal, b->exch_ns);
		if (cal_local_day_ns(&d->cal, day, &d->day_start_ns, &d->day_end_ns) == 0)
			d->day_of = day;
		else
			d->day_start_ns = d->day_end_ns = 0;
	}
	if (day != st->day) {
		if (st->day)
			risk_day_start(rs, &d->cfg, b->exch_ns);
		st->day = day;
	}
	if (b->n_bid && b->n_ask)
		risk_on_book(rs, &d->cfg, b->bid[0].px, b->ask[0].px, b->exch_ns);
	if (rs->position && now_ns - st->last_pos_ns > d->pos_every_ns)
		send_position(d, b->hdr.ingress_ns, now_ns);
}

void riskd_on_report(struct riskd *d, const struct msg_exec_report *r, int64_t now_ns)
{
	struct riskd_state *st = d->st;
	st->reports++;
	/* risk holds an approval under its decision id (reports carry both) */
	uint64_t id = r->decision_id;
	pend_clear(st, id);
	if (r->last_qty > 0 && r->exec_id) {
		uint32_t cur = atomic_load_explicit(&st->cur, memory_order_relaxed) & 1;
		st->rs[cur ^ 1] = st->rs[cur];
		struct risk_fill f = { .exec_id = r->exec_id, .client_order_id = id,
				       .px = r->last_px, .qty = r->last_qty,
				       .fee_e9 = r->fee_e9, .side = r->side };
		int rc = risk_on_fill(&st->rs[cur ^ 1], &d->cfg, &f, riskd_market_ns(d, now_ns));
		if (rc == 1) {
			/* the one store that applies the fill; pairs with readers'
			 * acquire in riskd_current */
			atomic_store_explicit(&st->cur, cur ^ 1, memory_order_release);
			int64_t a = st->rs[cur ^ 1].position;
			a = a < 0 ? -a : a;
			if (a > st->max_abs_position)
				st->max_abs_position = a;
			send_position(d, r->hdr.ingress_ns, now_ns);
		} else if (rc < 0) {
			char line[160];
			snprintf(line, sizeof(line), "fill %llu of order %llu refused: %s",
				 (unsigned long long)r->exec_id,
				 (unsigned long long)r->client_order_id, dm_strerror(rc));
			d->out.log(d->out.ctx, 1, line);
		}
	}
	int terminal = r->status == EXEC_FILLED || r->status == EXEC_CANCELLED ||
		       r->status == EXEC_REJECTED;
	if (id && st->intent_hi && !risk_order_is_open(cur_rs(st), id))
		/* fan-out: its approval may still be held under the intent's
		 * id, its ballot's end on the way (riskd_on_vote_done) */
		ahead_put(st, terminal ? RISKD_A_TERMINAL : RISKD_A_REPORT, 0, id, 0);
	else if (id && terminal)
		risk_on_order_done(cur_rs(st), id);
}

int riskd_on_vote_done(struct riskd *d, const struct msg_vote_done *m, int64_t now_ns)
{
	struct riskd_state *st = d->st;
	(void)now_ns;
	if (m->intent_id) {
		/* a ballot of an intent risk got itself (fan-out) */
		struct riskd_pending *p = NULL;
		for (uint32_t i = 0; i < RISKD_PENDING && !p; i++)
			if (st->pend[i].id == m->intent_id)
				p = &st->pend[i];
		if (!p) {
			if (m->intent_id > st->intent_hi)
				ahead_put(st, RISKD_A_DONE, m->intent_id, m->decision_id,
					  m->outcome);
			return 0; /* not approved, or let go already */
		}
		struct riskd_ahead *a = NULL;
		if (m->outcome != VOTE_RELEASE || !m->decision_id) {
			risk_on_order_done(cur_rs(st), p->id); /* blocked: no order */
			p->id = 0;
			st->released_blocked++;
			return 1;
		}
		if ((a = ahead_find(st, RISKD_A_TERMINAL, m->decision_id)) ||
		    risk_order_rekey(cur_rs(st), p->id, m->decision_id) < 0) {
			/* its order ended already (or the decision's id is held
			 * already, a re-delivery): nothing left to hold */
			risk_on_order_done(cur_rs(st), p->id);
			p->id = 0;
			if (a)
				a->kind = 0;
			return 1;
		}
		st->rekeyed++;
		a = ahead_find(st, RISKD_A_REPORT, m->decision_id);
		if (a) { /* a report named it already: no expiry */
			a->kind = 0;
			p->id = 0;
		} else {
			p->id = m->decision_id;
		}
		return 0;
	}
	if (m->outcome != VOTE_BLOCK || !m->decision_id)
		return 0;
	for (uint32_t i = 0; i < RISKD_PENDING; i++) {
		struct riskd_pending *p = &st->pend[i];
		if (p->id != m->decision_id)
			continue;
		risk_on_order_done(cur_rs(st), p->id);
		p->id = 0;
		st->released_blocked++;
		return 1;
	}
	return 0;
}

int riskd_tick(struct riskd *d, int killed, int64_t now_ns)
{
	struct riskd_state *st = d->st;
	int work = 0;
	riskd_follow_kill(d, killed, now_ns);
	if (st->flatten && st->flatten_next_ns &&
	    riskd_market_ns(d, now_ns) >= st->flatten_next_ns) {
		send_position(d, 0, now_ns); /* the next slice is due */
		work++;
	}
	if (now_ns <= d->next_expire_ns)
		return work; /* nothing can have expired: no scan */
	int64_t next = INT64_MAX;
	for (uint32_t i = 0; i < RISKD_PENDING; i++) {
		struct riskd_pending *p = &st->pend[i];
		if (!p->id)
			continue;
		if (now_ns > p->expire_ns) {
			risk_on_order_done(cur_rs(st), p->id);
			p->id = 0;
			st->expired++;
			work++;
		} else if (p->expire_ns < next) {
			next = p->expire_ns;
		}
	}
	d->next_expire_ns = next;
	return work;
}
