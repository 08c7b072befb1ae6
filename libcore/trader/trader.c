/* trader.c — the trading path in one thread (trader.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libcore/trader/trader.h"
#include "libcore/config/config.h"
#include "libcore/journal/journal.h"
#include "libcore/msg/msg_md.h"

_Static_assert((TRADER_MBOX & (TRADER_MBOX - 1)) == 0, "mailbox size is a power of two");
_Static_assert(sizeof(struct msg_features) <= TRADER_MSG_MAX, "a feature vector fits a slot");
_Static_assert(sizeof(struct msg_exec_report) <= TRADER_MSG_MAX, "a report fits a slot");
_Static_assert(sizeof(struct msg_intent) <= TRADER_MSG_MAX, "an intent fits a slot");
_Static_assert(sizeof(struct msg_order) <= TRADER_MSG_MAX, "an order fits a slot");
_Static_assert(sizeof(struct msg_position) <= TRADER_MSG_MAX, "a position fits a slot");
_Static_assert(sizeof(struct msg_vote_req) <= TRADER_MSG_MAX, "a request fits a slot");
_Static_assert(sizeof(struct msg_vote) <= TRADER_MSG_MAX, "a vote fits a slot");

#define ALIGN64(x) (((x) + 63) & ~(size_t)63)

/* ------------------------------------------------------------ mailboxes */

static inline uint32_t mb_waiting(const struct trader_mbox *b)
{
	return b->tail - b->head;
}

static inline struct trader_slot *mb_claim(struct trader_mbox *b)
{
	if (b->tail - b->head >= TRADER_MBOX)
		return NULL;
	return &b->slot[b->tail & (TRADER_MBOX - 1)];
}

/* The claimed slot holds a message of len bytes from `from`: stamp, queue. */
static inline void mb_publish(struct trader *t, struct trader_mbox *b, uint32_t from)
{
	struct trader_slot *s = &b->slot[b->tail & (TRADER_MBOX - 1)];
	struct msg_hdr *h = (struct msg_hdr *)(void *)s->msg;
	s->from = from;
	s->len = h->size;
	h->seq = ++b->seq;
	h->send_ns = t->now_ns;
	b->tail++;
	if (mb_waiting(b) > b->peak)
		b->peak = mb_waiting(b);
}

/* Copy a whole message in; 0, or -EAGAIN (full). */
static int mb_put(struct trader *t, struct trader_mbox *b, uint32_t from, const struct msg_hdr *m)
{
	struct trader_slot *s = mb_claim(b);
	if (!s)
		return -EAGAIN;
	memcpy(s->msg, m, m->size);
	mb_publish(t, b, from);
	return 0;
}

static void say(struct trader *t, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct trader *t, int error, const char *fmt, ...)
{
	if (!t->out.log)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	t->out.log(t->out.ctx, error, line);
}

/* ------------------------------------------------------------ feature's outputs */

static struct msg_features *feat_claim(void *ctx)
{
	struct trader *t = ctx;
	struct trader_slot *s = mb_claim(&t->box[TRADER_ML]);
	return s ? (struct msg_features *)(void *)s->msg : NULL;
}

static void feat_publish(void *ctx, struct msg_features *f)
{
	struct trader *t = ctx;
	(void)f;
	mb_publish(t, &t->box[TRADER_ML], t->agent[TRADER_FEATURE]);
}

static struct msg_vote *coord_vote_claim(struct trader *t)
{
	struct trader_slot *s = mb_claim(&t->box[TRADER_COORD]);
	return s ? (struct msg_vote *)(void *)s->msg : NULL;
}

static struct msg_vote *feat_vote_claim(void *ctx)
{
	return coord_vote_claim(ctx);
}

static void feat_vote_publish(void *ctx, struct msg_vote *v)
{
	struct trader *t = ctx;
	(void)v;
	mb_publish(t, &t->box[TRADER_COORD], t->agent[TRADER_FEATURE]);
}

/* ml asks for the rest of a deferred vector: feature's engine has taken
 * no event since (a step runs to quiet before the next market event) */
static int feat_fill(void *ctx, const struct msg_features *f, double out[MSG_NFEATURES])
{
	struct trader *t = ctx;
	int rc = featd_fill(&t->feat, f, out);
	if (rc < 0)
		say(t, 1, "feature vector of book %llu: its features are gone (%s)",
		    (unsigned long long)f->book_seq, dm_strerror(rc));
	return rc;
}

/* ------------------------------------------------------------ ml's output */

static struct trader_mbox *box_of_agent(struct trader *t, uint32_t a);

/* An intent goes to the coordinator and (vote fan-out) to each fanned
 * voter: room in every one of their mailboxes, or in none. */
static struct msg_intent *intent_claim(void *ctx)
{
	struct trader *t = ctx;
	const struct coord_params *cp = &t->co.p;
	for (uint32_t v = 0; v < cp->vote.n_voters; v++)
		if ((cp->fanout & (1u << v)) && !mb_claim(box_of_agent(t, cp->vote.voter[v])))
			return NULL;
	struct trader_slot *s = mb_claim(&t->box[TRADER_COORD]);
	return s ? (struct msg_intent *)(void *)s->msg : NULL;
}

static void intent_publish(void *ctx, struct msg_intent *o)
{
	struct trader *t = ctx;
	const struct coord_params *cp = &t->co.p;
	for (uint32_t v = 0; v < cp->vote.n_voters; v++)
		if (cp->fanout & (1u << v))
			(void)mb_put(t, box_of_agent(t, cp->vote.voter[v]), t->agent[TRADER_ML],
				     &o->hdr); /* intent_claim found room */
	mb_publish(t, &t->box[TRADER_COORD], t->agent[TRADER_ML]);
}

/* A market maker's cancel: to the coordinator, as its intents */
static int ml_cancel(void *ctx, const struct msg_cancel *k)
{
	struct trader *t = ctx;
	return mb_put(t, &t->box[TRADER_COORD], t->agent[TRADER_ML], &k->hdr);
}

/* ------------------------------------------------------------ risk's outputs */

static struct msg_vote *risk_vote_claim(void *ctx)
{
	return coord_vote_claim(ctx);
}

static void risk_vote_publish(void *ctx, struct msg_vote *v)
{
	struct trader *t = ctx;
	(void)v;
	mb_publish(t, &t->box[TRADER_COORD], t->agent[TRADER_RISK]);
}

static int risk_position(void *ctx, struct msg_position *p)
{
	struct trader *t = ctx;
	if (mb_put(t, &t->box[TRADER_COORD], t->agent[TRADER_RISK], &p->hdr) < 0) {
		t->n.lost++;
		return -EAGAIN;
	}
	return 0;
}

static void risk_log(void *ctx, int error, const char *text)
{
	say(ctx, error, "risk: %s", text);
}

/* ------------------------------------------------------------ execution's outputs */

static int exec_journal(void *ctx, uint16_t type, const void *rec, uint32_t len)
{
	struct trader *t = ctx;
	if (t->out.journal)
		t->out.journal(t->out.ctx, type, rec, len);
	return 0;
}

/* Every receiver or none, as the agent's report rings; a market maker
 * (strategy_kind_is_mm) takes them too: its quotes' fate, its inventory. */
static int exec_report(void *ctx, const struct msg_exec_report *m)
{
	struct trader *t = ctx;
	int mm = strategy_kind_is_mm(t->p.strategy.kind);
	if (!mb_claim(&t->box[TRADER_RISK]) || !mb_claim(&t->box[TRADER_COORD]) ||
	    (mm && !mb_claim(&t->box[TRADER_ML])))
		return -EAGAIN;
	mb_put(t, &t->box[TRADER_RISK], t->agent[TRADER_EXEC], &m->hdr);
	mb_put(t, &t->box[TRADER_COORD], t->agent[TRADER_EXEC], &m->hdr);
	if (mm)
		mb_put(t, &t->box[TRADER_ML], t->agent[TRADER_EXEC], &m->hdr);
	return 0;
}

static int exec_vote(void *ctx, const struct msg_vote *v)
{
	struct trader *t = ctx;
	return mb_put(t, &t->box[TRADER_COORD], t->agent[TRADER_EXEC], &v->hdr);
}

static void exec_log(void *ctx, int error, const char *line)
{
	say(ctx, error, "execution: %s", line);
}

/* ------------------------------------------------------------ coordinator's outputs */

/* The mailbox of the agent with index a, or NULL (no such module here). */
static struct trader_mbox *box_of_agent(struct trader *t, uint32_t a)
{
	for (uint32_t m = 0; m < TRADER_NMOD; m++)
		if (t->agent[m] == a)
			return &t->box[m];
	return NULL;
}

static struct trader_mbox *port_box(struct trader *t, uint32_t port, uint32_t to)
{
	switch (port) {
	case COORD_PORT_VOTE_REQ:
		return to < t->co.p.vote.n_voters ? box_of_agent(t, t->co.p.vote.voter[to]) : NULL;
	case COORD_PORT_ORDERS:
		return &t->box[TRADER_EXEC];
	default:
		return NULL; /* no operator commands in process */
	}
}

static int coord_can_send(void *ctx, uint32_t port, uint32_t to)
{
	struct trader *t = ctx;
	struct trader_mbox *b = port_box(t, port, to);
	return b && mb_claim(b) != NULL;
}

static int coord_send(void *ctx, uint32_t port, uint32_t to, const struct msg_hdr *m)
{
	struct trader *t = ctx;
	struct trader_mbox *b = port_box(t, port, to);
	if (!b)
		return -ENOENT;
	return mb_put(t, b, t->agent[TRADER_COORD], m);
}

/* In process the record is the host's row, never refused. */
static int coord_decision(void *ctx, const struct vote_record *rec)
{
	struct trader *t = ctx;
	if (t->out.decision)
		t->out.decision(t->out.ctx, rec);
	return 0;
}

/* ------------------------------------------------------------ set-up */

static int module_sizes(const struct trader_params *p, size_t off[5], size_t *total)
{
	size_t fs = featd_memsize(&p->featd), xs = execsvc_memsize(&p->exec);
	if (!fs || !xs)
		return -DM_ECONFIG;
	size_t sz[5] = { fs, strategy_memsize(), coord_memsize(), riskd_memsize(), xs };
	size_t o = 0;
	for (int i = 0; i < 5; i++) {
		off[i] = o;
		o += ALIGN64(sz[i]);
	}
	*total = o;
	return 0;
}

size_t trader_memsize(const struct trader_params *p)
{
	size_t off[5], total;
	return module_sizes(p, off, &total) < 0 ? 0 : total;
}

int trader_init(struct trader *t, void *mem, size_t size, const struct trader_params *p,
		struct flat *f, const char *path, const struct trader_out *out,
		char *err, size_t errlen)
{
	size_t off[5], total;
	int rc;
	memset(t, 0, offsetof(struct trader, box));
	for (uint32_t m = 0; m < TRADER_NMOD; m++) {
		struct trader_mbox *b = &t->box[m];
		b->head = b->tail = 0;
		b->seq = b->peak = 0;
	}
	if (module_sizes(p, off, &total) < 0) {
		snprintf(err, errlen, "parameters refused (feature engine or execution)");
		return -DM_ECONFIG;
	}
	if (size < total || ((uintptr_t)mem & 63)) {
		snprintf(err, errlen, "memory: %zu bytes at %p, need %zu 64-byte aligned", size,
			 mem, total);
		return -DM_ESIZE;
	}
	t->p = *p;
	t->out = *out;
	t->agent[TRADER_EXEC] = ROLE_EXECUTION;
	t->agent[TRADER_RISK] = ROLE_RISK;
	t->agent[TRADER_FEATURE] = ROLE_FEATURE;
	t->agent[TRADER_ML] = ROLE_ML;
	t->agent[TRADER_COORD] = ROLE_COORDINATOR;
	for (uint32_t v = 0; v < p->coord.vote.n_voters; v++)
		if (!box_of_agent(t, p->coord.vote.voter[v]) ||
		    p->coord.vote.voter[v] == ROLE_ML || p->coord.vote.voter[v] == ROLE_COORDINATOR) {
			snprintf(err, errlen, "vote.voters: %s cannot vote in process (risk, "
				 "execution and feature can)", p->coord.vote.voter[v] < ROLE_COUNT ?
				 role_names[p->coord.vote.voter[v]] : "?");
			return -DM_ECONFIG;
		}
	uint8_t *base = mem;

	/* feature */
	struct featd_params fp = p->featd;
	fp.voter = (uint16_t)ROLE_FEATURE;
	/* ml reads a vector whole only past its primary rule and interval
	 * (most are dropped on the primary feature): the rest of the features
	 * are made when it asks, within the step (feat_fill) */
	fp.deferred = 1;
	fp.keep = 1ull << p->strategy.primary.feature;
	/* a market maker reads the mid and the spread of every vector */
	if (strategy_kind_is_mm(p->strategy.kind))
		fp.keep |= 1ull << FEAT_MID | 1ull << FEAT_SPREAD_TICKS;
	size_t fs = featd_memsize(&fp);
	if ((rc = featd_init(base + off[0], fs, &fp)) < 0) {
		snprintf(err, errlen, "feature engine: %s", dm_strerror(rc));
		return rc;
	}
	const struct featd_out fo = {
		.ctx = t, .feat_claim = feat_claim, .feat_publish = feat_publish,
		.vote_claim = feat_vote_claim, .vote_publish = feat_vote_publish,
	};
	if ((rc = featd_attach(&t->feat, base + off[0], fs, &fp, &fo)) < 0) {
		snprintf(err, errlen, "feature engine: %s", dm_strerror(rc));
		return rc;
	}

	/* ml */
	struct strategy_state *ss = (void *)(base + off[1]);
	strategy_init(ss);
	const struct strategy_out so = {
		.ctx = t, .intent_claim = intent_claim, .intent_publish = intent_publish,
		.fill = feat_fill, .cancel = ml_cancel,
	};
	if (strategy_attach(&t->strat, ss, &p->strategy, &so) < 0) {
		snprintf(err, errlen, "strategy: parameters refused (kind %u, tick %g)",
			 p->strategy.kind, p->strategy.tick);
		return -DM_ECONFIG;
	}
	if (!p->strategy.rule_only)
		strategy_use_model(&t->strat, f, path ? path : "");

	/* coordinator */
	struct coord_state *cs = (void *)(base + off[2]);
	if ((rc = coord_init(cs, coord_memsize(), p->epoch)) < 0) {
		snprintf(err, errlen, "coordinator: epoch %llu: %s", (unsigned long long)p->epoch,
			 dm_strerror(rc));
		return rc;
	}
	struct coord_params cp = p->coord;
	cp.self = ROLE_COORDINATOR;
	const struct coord_out co = {
		.ctx = t, .can_send = coord_can_send, .send = coord_send,
		.decision = coord_decision, .event = NULL,
	};
	if ((rc = coord_attach(&t->co, cs, coord_memsize(), &cp, &co)) < 0) {
		snprintf(err, errlen, "coordinator: %s", dm_strerror(rc));
		return rc;
	}

	/* risk */
	struct riskd_state *rs = (void *)(base + off[3]);
	struct riskd_params rp = p->riskd;
	rp.voter = (uint16_t)ROLE_RISK;
	riskd_init(rs, &rp);
	const struct riskd_out ro = {
		.ctx = t, .vote_claim = risk_vote_claim, .vote_publish = risk_vote_publish,
		.position = risk_position, .log = risk_log,
	};
	if ((rc = riskd_attach(&t->risk, rs, &rp, &ro)) < 0) {
		snprintf(err, errlen, "risk: parameters refused");
		return rc;
	}

	/* execution */
	struct execsvc_params xp = p->exec;
	xp.voter = (uint16_t)ROLE_EXECUTION;
	size_t xs = execsvc_memsize(&xp);
	if ((rc = execsvc_init(base + off[4], xs, &xp, p->epoch, err, errlen)) < 0)
		return rc;
	const struct execsvc_out xo = {
		.ctx = t, .journal = exec_journal, .journal_flush = NULL,
		.report = exec_report, .vote = exec_vote, .order_sent = NULL, .log = exec_log,
	};
	if ((rc = execsvc_attach(&t->exec, base + off[4], xs, &xp, &xo)) < 0) {
		snprintf(err, errlen, "execution: %s", dm_strerror(rc));
		return rc;
	}
	execsvc_reconcile(&t->exec, 0, NULL);
	return 0;
}

/* ------------------------------------------------------------ the pump */

static void env_now(const struct trader *t, struct coord_env *e)
{
	e->now_ns = t->now_ns;
	e->fresh = (1u << ROLE_COUNT) - 1; /* every role is up in process */
	e->flags = t->killed ? COORD_F_KILLED : 0;
}

/* One message of module m's mailbox; 0 taken, -EAGAIN leave it for later. */
static int deliver(struct trader *t, uint32_t m, const struct trader_slot *s)
{
	const struct msg_hdr *h = (const void *)s->msg;
	int64_t now = t->now_ns;
	uint32_t ctl = t->killed ? EXECSVC_CTL_KILLED : 0;
	switch (m) {
	case TRADER_EXEC:
		if (h->type == MSG_VOTE_REQ)
			return execsvc_on_vote_req(&t->exec, (const void *)h, ctl, now);
		if (h->type == MSG_INTENT)
			return execsvc_on_intent(&t->exec, (const void *)h, ctl, now);
		if (h->type == MSG_ORDER)
			return execsvc_on_order(&t->exec, (const void *)h, ctl, now);
		if (h->type == MSG_CANCEL) {
			int n = execsvc_on_cancel(&t->exec, (const void *)h, now);
			return n < 0 ? n : 0;
		}
		break;
	case TRADER_RISK:
		if (h->type == MSG_VOTE_REQ)
			return riskd_on_vote_req(&t->risk, (const void *)h, t->killed, now);
		if (h->type == MSG_INTENT)
			return riskd_on_intent(&t->risk, (const void *)h, t->killed, now);
		if (h->type == MSG_EXEC_REPORT) {
			riskd_on_report(&t->risk, (const void *)h, now);
			return 0;
		}
		if (h->type == MSG_VOTE_DONE)
			return riskd_on_vote_done(&t->risk, (const void *)h, now);
		break;
	case TRADER_FEATURE:
		if (h->type == MSG_VOTE_REQ)
			return featd_on_vote_req(&t->feat, (const void *)h, now);
		if (h->type == MSG_INTENT)
			return featd_on_intent(&t->feat, (const void *)h, now);
		break;
	case TRADER_ML:
		if (h->type == MSG_FEATURES)
			return strategy_on_features(&t->strat, (const void *)h);
		if (h->type == MSG_EXEC_REPORT)
			return strategy_on_report(&t->strat, (const void *)h);
		break;
	case TRADER_COORD: {
		struct coord_env e;
		env_now(t, &e);
		switch (h->type) {
		case MSG_INTENT:
			return coord_on_intent(&t->co, &e, (const void *)h);
		case MSG_VOTE:
			return coord_on_vote(&t->co, &e, s->from, (const void *)h);
		case MSG_EXEC_REPORT:
			return coord_on_report(&t->co, &e, (const void *)h);
		case MSG_POSITION:
			return coord_on_position(&t->co, &e, (const void *)h);
		case MSG_CANCEL:
			return coord_on_cancel(&t->co, &e, (const void *)h);
		default:
			break;
		}
		break;
	}
	default:
		break;
	}
	return 0; /* a type this module does not take: dropped, as a ring's -EPROTO */
}

/* Module m's turn: its mailbox in order (stopping at a refusal), its tick.
 * Returns the messages taken plus the tick's work. */
static uint32_t turn(struct trader *t, uint32_t m)
{
	struct trader_mbox *b = &t->box[m];
	uint32_t work = 0;
	while (b->head != b->tail) {
		const struct trader_slot *s = &b->slot[b->head & (TRADER_MBOX - 1)];
		if (deliver(t, m, s) == -EAGAIN)
			break;
		b->head++;
		work++;
	}
	int64_t wake = 0;
	switch (m) {
	case TRADER_EXEC:
		work += (uint32_t)execsvc_tick(&t->exec, t->now_ns, &wake);
		break;
	case TRADER_RISK:
		work += (uint32_t)riskd_tick(&t->risk, t->killed, t->now_ns);
		break;
	case TRADER_COORD: {
		struct coord_env e;
		env_now(t, &e);
		work += (uint32_t)coord_tick(&t->co, &e, &wake);
		break;
	}
	default:
		break;
	}
	return work;
}

static int quiet(const struct trader *t)
{
	for (uint32_t m = 0; m < TRADER_NMOD; m++)
		if (t->box[m].head != t->box[m].tail)
			return 0;
	return !coord_busy(&t->co) && execsvc_pending(&t->exec) == 0;
}

/* Rounds until quiet: 0, or -EAGAIN when it would not come to rest. */
static int settle(struct trader *t)
{
	uint64_t r = 0;
	do {
		for (uint32_t m = 0; m < TRADER_NMOD; m++)
			turn(t, m);
		r++;
	} while (!quiet(t) && r < TRADER_ROUNDS);
	t->n.rounds += r;
	if (r > t->n.max_rounds)
		t->n.max_rounds = r;
	if (!quiet(t)) {
		say(t, 1, "step at %lld ns did not come to rest in %u rounds (mailboxes %u %u %u "
		    "%u %u)", (long long)t->now_ns, TRADER_ROUNDS, mb_waiting(&t->box[0]),
		    mb_waiting(&t->box[1]), mb_waiting(&t->box[2]), mb_waiting(&t->box[3]),
		    mb_waiting(&t->box[4]));
		return -EAGAIN;
	}
	return 0;
}

int trader_on_event(struct trader *t, const struct event *ev)
{
	if (ev->kind != EV_BOOK && ev->kind != EV_TRADE)
		return 0;
	if (ev->exch_ns > t->now_ns)
		t->now_ns = ev->exch_ns;
	if (!t->first_ns)
		t->first_ns = t->now_ns;
	int is_book = ev->kind == EV_BOOK;
	struct msg_hdr *m;
	if (is_book) {
		msg_md_book_over(&t->book, ev);
		m = &t->book.hdr;
	} else {
		msg_md_from_event(&t->md, ev);
		m = &t->md.hdr;
	}
	t->last_exch_ns = ev->exch_ns;
	m->seq = t->n.events + 1;
	m->ingress_ns = t->now_ns;
	m->send_ns = t->now_ns;
	t->n.events++;
	t->n.books += is_book;
	t->n.trades += !is_book;

	/* the market event to its three consumers in the lockstep replay's
	 * phases (agents/rt/ag_data.c): risk and execution, and what
	 * execution makes of it (fills, acks: reports to risk, the coordinator
	 * and a market maker's ml) run to rest; then feature, and what ml
	 * makes of its vector */
	execsvc_on_md(&t->exec, m, t->now_ns);
	if (is_book)
		riskd_on_book(&t->risk, &t->book, t->now_ns);
	if (settle(t) < 0)
		return -EAGAIN;
	for (uint32_t k = 0;; k++) {
		if (!is_book) {
			featd_on_trade(&t->feat, &t->md.trade);
			break;
		}
		if (featd_on_book(&t->feat, &t->book, t->now_ns) != -EAGAIN)
			break;
		/* ml's mailbox full: let it drain, then hand the book again */
		t->n.md_retries++;
		if (k == 8 || settle(t) < 0) {
			say(t, 1, "feature vector at %lld ns lost: ml does not take its input",
			    (long long)t->now_ns);
			return -EAGAIN;
		}
	}
	return settle(t) < 0 ? -EAGAIN : 1;
}

int trader_kill(struct trader *t)
{
	if (t->killed)
		return 0;
	t->killed = 1;
	struct coord_env e;
	struct coord_cmd_result r;
	env_now(t, &e);
	/* no control ports in process: only the cancel-all goes out (to
	 * execution's mailbox); risk follows the flag on its next turn */
	(void)coord_command(&t->co, &e, CTL_KILL_SWITCH, 0, &r);
	if (r.cancel < 0)
		say(t, 1, "kill switch: the cancel-all did not go out (execution's mailbox full)");
	return settle(t);
}

int trader_finish(struct trader *t)
{
	if (t->ended)
		return 0;
	t->ended = 1;
	/* the data agent's MSG_END: execution plays out what is in flight */
	msg_md_end(&t->md, t->last_exch_ns, t->n.events);
	t->md.hdr.seq = t->n.events + 1;
	execsvc_on_end(&t->exec, &t->md.end, t->now_ns);
	if (settle(t) < 0)
		return -EAGAIN;
	/* then as `dmctl run` ends a run (dmctl stop: cancel all): a market
	 * maker's resting quotes end cancelled, not open */
	struct coord_env e;
	struct coord_cmd_result r;
	env_now(t, &e);
	coord_command(&t->co, &e, COORD_CMD_CANCEL_ALL, 0, &r);
	return settle(t);
}
