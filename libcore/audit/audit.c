/*
 * audit.c — the invariants of a run from its journals and state (audit.h).
 *
 * Records are kept in compact rows, one array per kind, in the order they
 * were fed (seq).  audit_finish sorts each array by its id, folds the rows
 * of one id into its first (a repeat when the content is the same, a
 * violation when it is not), then looks the distinct rows up in each
 * other by binary search.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcore/audit/audit.h"

/* Why a decision's votes do not stand (the decisions_voted check). */
enum vote_fault {
	VF_NONE = 0,
	VF_NO_COID,        /* released without a client order id */
	VF_QUORUM,         /* released with fewer approvals than its quorum */
	VF_VETO,           /* released without a veto holder's approval */
	VF_POLICY,         /* a policy that cannot be read (voters, quorum) */
	VF_BLOCKED_COID,   /* blocked, yet naming a client order id */
	VF_OUTCOME,        /* neither released nor blocked */
};

struct audit_dec {
	uint64_t id, coid, intent_id, seq;
	int64_t  px, ingress_ns, decided_ns;
	int32_t  qty;
	uint32_t reason;
	int8_t   side;
	uint8_t  ord_type, tif, outcome;
	uint8_t  fault;        /* enum vote_fault */
	uint8_t  approvals, needed, veto_missing; /* veto_missing: voter index + 1 */
};

struct audit_ord {
	uint64_t coid, decision_id, seq;
	int64_t  px;
	int32_t  qty;
	int32_t  filled;       /* audit_finish: contracts of its distinct fills */
	int32_t  max_cum;      /* audit_finish: largest cum_qty reported */
	int8_t   side;
	uint8_t  ord_type, tif, flags;
};

struct audit_rep {
	uint64_t coid, venue_order_id, exec_id, decision_id, seq;
	int64_t  px;
	int32_t  qty, cum;
	int8_t   side;
	uint8_t  status;
	uint8_t  pad[6];
};

static const char *const check_names[AUDIT_CHECK_COUNT] = {
	[AUDIT_JOURNALS_INTACT]   = "journals_intact",
	[AUDIT_DECISION_IDS]      = "decision_ids_unique",
	[AUDIT_CLIENT_ORDER_IDS]  = "client_order_ids_unique",
	[AUDIT_VENUE_ORDER_IDS]   = "venue_order_ids_unique",
	[AUDIT_EXEC_IDS]          = "exec_ids_unique",
	[AUDIT_DECISIONS_VOTED]   = "decisions_voted",
	[AUDIT_ORDERS_APPROVED]   = "orders_approved",
	[AUDIT_RELEASED_EXECUTED] = "released_reached_execution",
	[AUDIT_FILLS_HAVE_ORDERS] = "fills_have_orders",
	[AUDIT_NO_OVERFILL]       = "no_overfill",
	[AUDIT_VENUE_JOURNALED]   = "venue_journaled",
	[AUDIT_POSITION]          = "position_agrees",
	[AUDIT_FRESH_INTENTS]     = "fresh_intents",
};

static const char *const check_texts[AUDIT_CHECK_COUNT] = {
	[AUDIT_JOURNALS_INTACT]   = "every journal reads to its end (a torn tail is no corruption)",
	[AUDIT_DECISION_IDS]      = "a decision id names one decision",
	[AUDIT_CLIENT_ORDER_IDS]  = "a client order id names one order, and one released "
				    "decision; a decision reaches execution as one order",
	[AUDIT_VENUE_ORDER_IDS]   = "a venue order id names one order in its epoch, an order has "
				    "one venue order id",
	[AUDIT_EXEC_IDS]          = "an exec id names one fill",
	[AUDIT_DECISIONS_VOTED]   = "a released decision has a client order id and the approvals "
				    "of its quorum and of every veto holder; a blocked one no order",
	[AUDIT_ORDERS_APPROVED]   = "every order has a released decision of its decision id, with "
				    "its side, quantity, type and limit price",
	[AUDIT_RELEASED_EXECUTED] = "every released decision has its order journaled, or "
				    "execution's refusal of it",
	[AUDIT_FILLS_HAVE_ORDERS] = "every fill (journal, venue log) is of a journaled order",
	[AUDIT_NO_OVERFILL]       = "no order filled (journal, venue) or reported beyond its "
				    "quantity",
	[AUDIT_VENUE_JOURNALED]   = "every order the venue knows is journaled, with the contracts "
				    "the venue filled",
	[AUDIT_POSITION]          = "risk's position, fills and volume, the venue's net and "
				    "volume and the journal's fills of the state's epoch agree",
	[AUDIT_FRESH_INTENTS]     = "a released decision was decided at most max_intent_age after "
				    "the local ingress of its market event",
};

const char *audit_check_name(uint32_t check)
{
	return check < AUDIT_CHECK_COUNT ? check_names[check] : "?";
}

const char *audit_check_text(uint32_t check)
{
	return check < AUDIT_CHECK_COUNT ? check_texts[check] : "?";
}

/* ------------------------------------------------------------ memory */

static size_t up8(size_t n)
{
	return (n + 7u) & ~(size_t)7u;
}

size_t audit_memsize(const struct audit_caps *c)
{
	if (!c)
		return 0;
	return up8((size_t)c->decisions * sizeof(struct audit_dec)) +
	       up8((size_t)c->orders * sizeof(struct audit_ord)) +
	       up8((size_t)c->reports * sizeof(struct audit_rep)) +
	       up8((size_t)c->venue_orders * sizeof(struct venue_order_view)) +
	       up8((size_t)c->venue_fills * sizeof(struct venue_fill));
}

int audit_init(struct audit *a, void *mem, size_t size, const struct audit_caps *caps,
	       const struct audit_params *p)
{
	if (!a || !caps || !p || (!mem && audit_memsize(caps)) ||
	    ((uintptr_t)mem & 7u) || size < audit_memsize(caps))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->p = *p;
	a->cap = *caps;
	uint8_t *m = mem;
	a->dec = (struct audit_dec *)(void *)m;
	m += up8((size_t)caps->decisions * sizeof(struct audit_dec));
	a->ord = (struct audit_ord *)(void *)m;
	m += up8((size_t)caps->orders * sizeof(struct audit_ord));
	a->rep = (struct audit_rep *)(void *)m;
	m += up8((size_t)caps->reports * sizeof(struct audit_rep));
	a->vord = (struct venue_order_view *)(void *)m;
	m += up8((size_t)caps->venue_orders * sizeof(struct venue_order_view));
	a->vfill = (struct venue_fill *)(void *)m;
	return 0;
}

/* ------------------------------------------------------------ results */

static struct audit_check_result *chk(struct audit *a, uint32_t c)
{
	return &a->r.check[c];
}

static void violation(struct audit *a, uint32_t c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void violation(struct audit *a, uint32_t c, const char *fmt, ...)
{
	struct audit_check_result *k = chk(a, c);
	k->violations++;
	if (k->n_examples >= AUDIT_EXAMPLES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->example[k->n_examples++], AUDIT_EXAMPLE_MAX, fmt, ap);
	va_end(ap);
}

static uint64_t epoch_of(uint64_t id)
{
	return id >> AUDIT_ID_SHIFT;
}

/* "12:34:56.789Z": the time of day of a local CLOCK_REALTIME stamp, to
 * find it in the agents' logs */
static void utc_text(int64_t ns, char *buf, size_t n)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	if (ns < 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, n, "%" PRId64 " ns", ns);
		return;
	}
	snprintf(buf, n, "%02d:%02d:%02d.%03dZ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ns / 1000000 % 1000));
}

/* ------------------------------------------------------------ feeding */

static uint32_t needed_of(const struct vote_record *d, int *ok)
{
	uint32_t n = d->n_voters;
	*ok = 1;
	switch (d->quorum) {
	case VOTE_QUORUM_ALL:
		return n;
	case VOTE_QUORUM_MAJORITY:
		return n / 2 + 1;
	case VOTE_QUORUM_N:
		if (d->quorum_n >= 1 && d->quorum_n <= n)
			return d->quorum_n;
		break;
	default:
		break;
	}
	*ok = 0;
	return n;
}

int audit_on_decision(struct audit *a, const struct vote_record *d)
{
	if (a->n.decisions >= a->cap.decisions) {
		a->dropped++;
		return -ENOSPC;
	}
	struct audit_dec *r = &a->dec[a->n.decisions++];
	memset(r, 0, sizeof(*r));
	r->id = d->decision_id;
	r->coid = d->client_order_id;
	r->intent_id = d->intent_id;
	r->seq = ++a->seq;
	r->px = d->px;
	r->ingress_ns = d->ingress_ns;
	r->decided_ns = d->decided_ns;
	r->qty = d->qty;
	r->reason = d->reason;
	r->side = d->side;
	r->ord_type = d->ord_type;
	r->tif = d->tif;
	r->outcome = (uint8_t)(d->outcome <= 255 ? d->outcome : 255);
	if (d->outcome == VOTE_BLOCK) {
		if (d->client_order_id)
			r->fault = VF_BLOCKED_COID;
		return 0;
	}
	if (d->outcome != VOTE_RELEASE) {
		r->fault = VF_OUTCOME;
		return 0;
	}
	if (!d->client_order_id) {
		r->fault = VF_NO_COID;
		return 0;
	}
	int ok;
	uint32_t need = needed_of(d, &ok);
	if (!ok || d->n_voters == 0 || d->n_voters > VOTE_MAX_VOTERS) {
		r->fault = VF_POLICY;
		return 0;
	}
	uint32_t yes = 0;
	for (uint32_t i = 0; i < d->n_voters; i++) {
		int approve = d->v[i].verdict == VOTE_V_APPROVE;
		yes += (uint32_t)approve;
		if (((d->veto_mask >> i) & 1u) && !approve && !r->veto_missing)
			r->veto_missing = (uint8_t)(i + 1);
	}
	r->approvals = (uint8_t)yes;
	r->needed = (uint8_t)need;
	if (r->veto_missing)
		r->fault = VF_VETO;
	else if (yes < need)
		r->fault = VF_QUORUM;
	return 0;
}

int audit_on_order(struct audit *a, const struct msg_order *o)
{
	if (a->n.orders >= a->cap.orders) {
		a->dropped++;
		return -ENOSPC;
	}
	struct audit_ord *r = &a->ord[a->n.orders++];
	memset(r, 0, sizeof(*r));
	r->coid = o->client_order_id;
	r->decision_id = o->decision_id;
	r->seq = ++a->seq;
	r->px = o->px;
	r->qty = o->qty;
	r->side = o->side;
	r->ord_type = o->ord_type;
	r->tif = o->tif;
	r->flags = o->hdr.flags;
	return 0;
}

int audit_on_exec(struct audit *a, const struct msg_exec_report *x)
{
	if (a->n.reports >= a->cap.reports) {
		a->dropped++;
		return -ENOSPC;
	}
	struct audit_rep *r = &a->rep[a->n.reports++];
	memset(r, 0, sizeof(*r));
	r->coid = x->client_order_id;
	r->venue_order_id = x->venue_order_id;
	r->exec_id = x->exec_id && x->last_qty > 0 ? x->exec_id : 0;
	r->decision_id = x->decision_id;
	r->seq = ++a->seq;
	r->px = x->last_px;
	r->qty = x->last_qty;
	r->cum = x->cum_qty;
	r->side = x->side;
	r->status = x->status;
	return 0;
}

void audit_on_journal(struct audit *a, const char *name, int rc, uint64_t offset,
		      uint64_t torn_bytes)
{
	chk(a, AUDIT_JOURNALS_INTACT)->checked++;
	a->r.torn_bytes += torn_bytes;
	if (rc < 0)
		violation(a, AUDIT_JOURNALS_INTACT, "%s: unreadable from offset %" PRIu64
			  " (error %d): the records after it are not audited", name, offset, rc);
}

void audit_state_risk(struct audit_state *s, const struct risk_state *r)
{
	s->have_risk = 1;
	s->risk_position = r->position;
	s->risk_fills = r->fills;
	s->risk_volume = r->volume;
}

void audit_state_venue(struct audit_state *s, const struct venue *v)
{
	s->have_venue = 1;
	s->venue = v->totals;
	s->venue_busy = v->pend_head != v->pend_tail || v->rep_head != v->rep_tail;
}

void audit_set_state(struct audit *a, const struct audit_state *s)
{
	a->st = *s;
	a->have_state = 1;
}

int audit_on_venue_order(struct audit *a, const struct venue_order_view *v)
{
	if (a->n.venue_orders >= a->cap.venue_orders) {
		a->dropped++;
		return -ENOSPC;
	}
	a->vord[a->n.venue_orders++] = *v;
	return 0;
}

int audit_on_venue_fill(struct audit *a, const struct venue_fill *f)
{
	if (a->n.venue_fills >= a->cap.venue_fills) {
		a->dropped++;
		return -ENOSPC;
	}
	a->vfill[a->n.venue_fills++] = *f;
	return 0;
}

/* ------------------------------------------------------------ sorting */

#define CMP(x, y) ((x) < (y) ? -1 : (x) > (y) ? 1 : 0)

static int dec_by_id(const void *p, const void *q)
{
	const struct audit_dec *a = p, *b = q;
	int c = CMP(a->id, b->id);
	return c ? c : CMP(a->seq, b->seq);
}

static int dec_by_coid(const void *p, const void *q)
{
	const struct audit_dec *a = p, *b = q;
	int c = CMP(a->coid, b->coid);
	return c ? c : CMP(a->id, b->id);
}

static int ord_by_coid(const void *p, const void *q)
{
	const struct audit_ord *a = p, *b = q;
	int c = CMP(a->coid, b->coid);
	return c ? c : CMP(a->seq, b->seq);
}

static int ord_by_decision(const void *p, const void *q)
{
	const struct audit_ord *a = p, *b = q;
	int c = CMP(a->decision_id, b->decision_id);
	return c ? c : CMP(a->coid, b->coid);
}

static int rep_by_exec(const void *p, const void *q)
{
	const struct audit_rep *a = p, *b = q;
	int c = CMP(a->exec_id, b->exec_id);
	return c ? c : CMP(a->seq, b->seq);
}

/* (epoch, venue order id, client order id) */
static int rep_by_venue_id(const void *p, const void *q)
{
	const struct audit_rep *a = p, *b = q;
	int c = CMP(epoch_of(a->coid), epoch_of(b->coid));
	if (!c)
		c = CMP(a->venue_order_id, b->venue_order_id);
	return c ? c : CMP(a->coid, b->coid);
}

static int rep_by_coid_venue(const void *p, const void *q)
{
	const struct audit_rep *a = p, *b = q;
	int c = CMP(a->coid, b->coid);
	return c ? c : CMP(a->venue_order_id, b->venue_order_id);
}

static int rep_by_decision(const void *p, const void *q)
{
	const struct audit_rep *a = p, *b = q;
	return CMP(a->decision_id, b->decision_id);
}

static int vord_by_coid(const void *p, const void *q)
{
	const struct venue_order_view *a = p, *b = q;
	return CMP(a->client_order_id, b->client_order_id);
}

static struct audit_dec *find_dec(struct audit_dec *d, uint32_t n, uint64_t id)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (d[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && d[lo].id == id ? &d[lo] : NULL;
}

static struct audit_ord *find_ord(struct audit_ord *o, uint32_t n, uint64_t coid)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (o[mid].coid < coid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && o[lo].coid == coid ? &o[lo] : NULL;
}

/* ------------------------------------------------------------ the checks */

static int same_decision(const struct audit_dec *x, const struct audit_dec *y)
{
	return x->outcome == y->outcome && x->reason == y->reason && x->coid == y->coid &&
	       x->intent_id == y->intent_id && x->side == y->side && x->qty == y->qty &&
	       x->px == y->px && x->ord_type == y->ord_type && x->tif == y->tif &&
	       x->ingress_ns == y->ingress_ns && x->decided_ns == y->decided_ns;
}

static int same_order(const struct audit_ord *x, const struct audit_ord *y)
{
	return x->decision_id == y->decision_id && x->side == y->side && x->qty == y->qty &&
	       x->px == y->px && x->ord_type == y->ord_type && x->tif == y->tif;
}

static int same_fill(const struct audit_rep *x, const struct audit_rep *y)
{
	return x->coid == y->coid && x->qty == y->qty && x->px == y->px && x->side == y->side &&
	       x->cum == y->cum;
}

static const char *outcome_text(uint32_t o)
{
	return o == VOTE_RELEASE ? "released" : o == VOTE_BLOCK ? "blocked" : "undecided";
}

/* Decisions: one row per id (decision_ids_unique), then the checks of a
 * single record (decisions_voted, fresh_intents).  Returns the distinct. */
static uint32_t fold_decisions(struct audit *a)
{
	uint32_t n = a->n.decisions, out = 0;
	qsort(a->dec, n, sizeof(a->dec[0]), dec_by_id);
	for (uint32_t i = 0; i < n; i++) {
		if (out && a->dec[out - 1].id == a->dec[i].id) {
			const struct audit_dec *f = &a->dec[out - 1], *g = &a->dec[i];
			if (same_decision(f, g))
				a->r.rep_decisions++;
			else
				violation(a, AUDIT_DECISION_IDS, "decision %" PRIu64 " journaled twice "
					  "with different content: %s (order %" PRIu64 ", %+d x %d) "
					  "and %s (order %" PRIu64 ", %+d x %d)", f->id,
					  outcome_text(f->outcome), f->coid, f->side, f->qty,
					  outcome_text(g->outcome), g->coid, g->side, g->qty);
			continue;
		}
		a->dec[out++] = a->dec[i];
	}
	chk(a, AUDIT_DECISION_IDS)->checked = out;

	for (uint32_t i = 0; i < out; i++) {
		const struct audit_dec *d = &a->dec[i];
		chk(a, AUDIT_DECISIONS_VOTED)->checked++;
		if (d->outcome == VOTE_RELEASE)
			a->r.released++;
		switch (d->fault) {
		case VF_NONE:
			break;
		case VF_NO_COID:
			violation(a, AUDIT_DECISIONS_VOTED, "decision %" PRIu64 " released without "
				  "a client order id", d->id);
			break;
		case VF_QUORUM:
			violation(a, AUDIT_DECISIONS_VOTED, "decision %" PRIu64 " released with %u "
				  "approvals, its quorum asks %u", d->id, d->approvals, d->needed);
			break;
		case VF_VETO:
			violation(a, AUDIT_DECISIONS_VOTED, "decision %" PRIu64 " released without "
				  "the approval of veto holder %u (voter index)", d->id,
				  d->veto_missing - 1u);
			break;
		case VF_POLICY:
			violation(a, AUDIT_DECISIONS_VOTED, "decision %" PRIu64 " released under a "
				  "policy that cannot be read (voters, quorum)", d->id);
			break;
		case VF_BLOCKED_COID:
			violation(a, AUDIT_DECISIONS_VOTED, "decision %" PRIu64 " blocked, yet names "
				  "order %" PRIu64, d->id, d->coid);
			break;
		default:
			violation(a, AUDIT_DECISIONS_VOTED, "decision %" PRIu64 " neither released "
				  "nor blocked (outcome %u)", d->id, d->outcome);
			break;
		}
		if (d->outcome != VOTE_RELEASE || d->ingress_ns <= 0 || d->reason == VOTE_R_FLATTEN)
			continue;
		int64_t age = d->decided_ns - d->ingress_ns;
		if (age > a->r.max_intent_age_seen_ns)
			a->r.max_intent_age_seen_ns = age;
		if (a->p.max_intent_age_ns <= 0)
			continue;
		chk(a, AUDIT_FRESH_INTENTS)->checked++;
		if (age > a->p.max_intent_age_ns) {
			char at[32];
			utc_text(d->decided_ns, at, sizeof(at));
			violation(a, AUDIT_FRESH_INTENTS, "decision %" PRIu64 " released at %s, "
				  "%.3f s after its market event came in (limit %.3f s)", d->id, at,
				  (double)age / 1e9, (double)a->p.max_intent_age_ns / 1e9);
		}
	}
	chk(a, AUDIT_FRESH_INTENTS)->skipped = a->p.max_intent_age_ns <= 0;
	return out;
}

/* Orders: one row per client order id; a client order id of two released
 * decisions, a decision under two client order ids.  Returns the distinct;
 * the orders are left sorted by client order id. */
static uint32_t fold_orders(struct audit *a, uint32_t n_dec)
{
	uint32_t n = a->n.orders, out = 0;
	qsort(a->ord, n, sizeof(a->ord[0]), ord_by_coid);
	for (uint32_t i = 0; i < n; i++) {
		if (out && a->ord[out - 1].coid == a->ord[i].coid) {
			const struct audit_ord *f = &a->ord[out - 1], *g = &a->ord[i];
			if (same_order(f, g))
				a->r.rep_orders++;
			else
				violation(a, AUDIT_CLIENT_ORDER_IDS, "client order id %" PRIu64
					  " names two orders: decision %" PRIu64 " %+d x %d @ %" PRId64
					  " and decision %" PRIu64 " %+d x %d @ %" PRId64, f->coid,
					  f->decision_id, f->side, f->qty, f->px, g->decision_id,
					  g->side, g->qty, g->px);
			continue;
		}
		a->ord[out++] = a->ord[i];
	}
	chk(a, AUDIT_CLIENT_ORDER_IDS)->checked = out;

	/* released decisions sharing a client order id */
	qsort(a->dec, n_dec, sizeof(a->dec[0]), dec_by_coid);
	for (uint32_t i = 1; i < n_dec; i++) {
		const struct audit_dec *f = &a->dec[i - 1], *g = &a->dec[i];
		if (g->coid && f->coid == g->coid && f->outcome == VOTE_RELEASE &&
		    g->outcome == VOTE_RELEASE)
			violation(a, AUDIT_CLIENT_ORDER_IDS, "client order id %" PRIu64 " released "
				  "by two decisions, %" PRIu64 " and %" PRIu64, g->coid, f->id, g->id);
	}
	qsort(a->dec, n_dec, sizeof(a->dec[0]), dec_by_id);

	/* one decision, two client order ids */
	qsort(a->ord, out, sizeof(a->ord[0]), ord_by_decision);
	for (uint32_t i = 1; i < out; i++) {
		const struct audit_ord *f = &a->ord[i - 1], *g = &a->ord[i];
		if (f->decision_id == g->decision_id)
			violation(a, AUDIT_CLIENT_ORDER_IDS, "decision %" PRIu64 " reached execution "
				  "as two orders, %" PRIu64 " and %" PRIu64, g->decision_id, f->coid,
				  g->coid);
	}
	qsort(a->ord, out, sizeof(a->ord[0]), ord_by_coid);
	return out;
}

/* Every order has a released decision of its decision id, alike.  (The
 * order table gives the order its own client order id: the decision's
 * is the coordinator's, so the two are linked by the decision id.) */
static void check_orders_approved(struct audit *a, uint32_t n_dec, uint32_t n_ord)
{
	for (uint32_t i = 0; i < n_ord; i++) {
		const struct audit_ord *o = &a->ord[i];
		const struct audit_dec *d = find_dec(a->dec, n_dec, o->decision_id);
		chk(a, AUDIT_ORDERS_APPROVED)->checked++;
		if (!d) {
			violation(a, AUDIT_ORDERS_APPROVED, "order %" PRIu64 " (decision %" PRIu64
				  "): no decision record", o->coid, o->decision_id);
		} else if (d->outcome != VOTE_RELEASE) {
			violation(a, AUDIT_ORDERS_APPROVED, "order %" PRIu64 ": its decision %" PRIu64
				  " was %s", o->coid, d->id, outcome_text(d->outcome));
		} else if (d->side != o->side || d->qty != o->qty || d->ord_type != o->ord_type ||
			   (o->ord_type != ORD_MARKET && d->px != o->px)) {
			violation(a, AUDIT_ORDERS_APPROVED, "order %" PRIu64 " is %+d x %d @ %" PRId64
				  " (type %u), its decision %" PRIu64 " approved %+d x %d @ %" PRId64
				  " (type %u)", o->coid, o->side, o->qty, o->px, o->ord_type, d->id,
				  d->side, d->qty, d->px, d->ord_type);
		}
	}
}

static int has_order_of(const struct audit_ord *o, uint32_t n, uint64_t decision_id)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (o[mid].decision_id < decision_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && o[lo].decision_id == decision_id;
}

static int has_report_of(const struct audit_rep *r, uint32_t n, uint64_t decision_id)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (r[mid].decision_id < decision_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && r[lo].decision_id == decision_id;
}

/* Every released decision reached execution: its order, or its refusal.
 * Leaves the orders sorted by client order id again. */
static void check_released(struct audit *a, uint32_t n_dec, uint32_t n_ord)
{
	qsort(a->ord, n_ord, sizeof(a->ord[0]), ord_by_decision);
	qsort(a->rep, a->n.reports, sizeof(a->rep[0]), rep_by_decision);
	for (uint32_t i = 0; i < n_dec; i++) {
		const struct audit_dec *d = &a->dec[i];
		if (d->outcome != VOTE_RELEASE)
			continue;
		chk(a, AUDIT_RELEASED_EXECUTED)->checked++;
		if (!has_order_of(a->ord, n_ord, d->id) &&
		    !has_report_of(a->rep, a->n.reports, d->id))
			violation(a, AUDIT_RELEASED_EXECUTED, "decision %" PRIu64 " released "
				  "%+d x %d: no order of it in the orders journal, no refusal",
				  d->id, d->side, d->qty);
	}
	qsort(a->ord, n_ord, sizeof(a->ord[0]), ord_by_coid);
}

/* Venue order ids: one order each within an epoch, one each per order. */
static void check_venue_ids(struct audit *a)
{
	uint32_t n = a->n.reports;
	qsort(a->rep, n, sizeof(a->rep[0]), rep_by_venue_id);
	uint64_t distinct = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct audit_rep *g = &a->rep[i];
		if (!g->venue_order_id)
			continue;
		const struct audit_rep *f = i ? &a->rep[i - 1] : NULL;
		int same_id = f && f->venue_order_id == g->venue_order_id &&
			      epoch_of(f->coid) == epoch_of(g->coid);
		if (!same_id) {
			distinct++;
			continue;
		}
		if (f->coid != g->coid)
			violation(a, AUDIT_VENUE_ORDER_IDS, "venue order id %" PRIu64 " (epoch %"
				  PRIu64 ") names orders %" PRIu64 " and %" PRIu64,
				  g->venue_order_id, epoch_of(g->coid), f->coid, g->coid);
	}
	chk(a, AUDIT_VENUE_ORDER_IDS)->checked = distinct;
	qsort(a->rep, n, sizeof(a->rep[0]), rep_by_coid_venue);
	for (uint32_t i = 1; i < n; i++) {
		const struct audit_rep *f = &a->rep[i - 1], *g = &a->rep[i];
		if (f->coid == g->coid && f->venue_order_id && g->venue_order_id &&
		    f->venue_order_id != g->venue_order_id)
			violation(a, AUDIT_VENUE_ORDER_IDS, "order %" PRIu64 " has venue order ids %"
				  PRIu64 " and %" PRIu64, g->coid, f->venue_order_id,
				  g->venue_order_id);
	}
}

/* Fills: one per exec id (exec_ids_unique), each of a journaled order
 * (fills_have_orders), summed per order; returns the distinct fills, left
 * at the start of the array. */
static uint32_t fold_fills(struct audit *a, uint32_t n_ord)
{
	uint32_t n = a->n.reports, out = 0;
	qsort(a->rep, n, sizeof(a->rep[0]), rep_by_exec);
	for (uint32_t i = 0; i < n; i++) {
		const struct audit_rep *g = &a->rep[i];
		struct audit_ord *o = find_ord(a->ord, n_ord, g->coid);
		if (o && g->cum > o->max_cum)
			o->max_cum = g->cum;
		if (!g->exec_id)
			continue;
		if (out && a->rep[out - 1].exec_id == g->exec_id) {
			const struct audit_rep *f = &a->rep[out - 1];
			if (same_fill(f, g))
				a->r.rep_fills++;
			else
				violation(a, AUDIT_EXEC_IDS, "exec id %" PRIu64 " names two fills: "
					  "order %" PRIu64 " %d @ %" PRId64 " (cum %d) and order %"
					  PRIu64 " %d @ %" PRId64 " (cum %d)", g->exec_id, f->coid,
					  f->qty, f->px, f->cum, g->coid, g->qty, g->px, g->cum);
			continue;
		}
		a->rep[out++] = *g;
	}
	chk(a, AUDIT_EXEC_IDS)->checked = out;
	for (uint32_t i = 0; i < out; i++) {
		const struct audit_rep *f = &a->rep[i];
		struct audit_ord *o = find_ord(a->ord, n_ord, f->coid);
		chk(a, AUDIT_FILLS_HAVE_ORDERS)->checked++;
		if (!o) {
			violation(a, AUDIT_FILLS_HAVE_ORDERS, "fill %" PRIu64 " (%d contracts) of "
				  "order %" PRIu64 ", which the orders journal does not hold",
				  f->exec_id, f->qty, f->coid);
			continue;
		}
		o->filled += f->qty;
		if (f->side != o->side)
			violation(a, AUDIT_FILLS_HAVE_ORDERS, "fill %" PRIu64 " of order %" PRIu64
				  " is on side %+d, the order on %+d", f->exec_id, f->coid, f->side,
				  o->side);
	}
	return out;
}

static void check_overfill(struct audit *a, uint32_t n_ord)
{
	for (uint32_t i = 0; i < n_ord; i++) {
		const struct audit_ord *o = &a->ord[i];
		chk(a, AUDIT_NO_OVERFILL)->checked++;
		if (o->filled > o->qty || o->max_cum > o->qty)
			violation(a, AUDIT_NO_OVERFILL, "order %" PRIu64 " of %d contracts: fills "
				  "add up to %d, a report says %d filled", o->coid, o->qty,
				  o->filled, o->max_cum);
	}
}

/* The venue's orders and fill log against the journal. */
static void check_venue(struct audit *a, uint32_t n_ord)
{
	if (!a->have_state || !a->st.have_venue) {
		chk(a, AUDIT_VENUE_JOURNALED)->skipped = 1;
		return;
	}
	uint32_t nv = a->n.venue_orders;
	qsort(a->vord, nv, sizeof(a->vord[0]), vord_by_coid);
	for (uint32_t i = 0; i < nv; i++) {
		const struct venue_order_view *v = &a->vord[i];
		const struct audit_ord *o = find_ord(a->ord, n_ord, v->client_order_id);
		chk(a, AUDIT_VENUE_JOURNALED)->checked++;
		chk(a, AUDIT_NO_OVERFILL)->checked++;
		if (v->cum_qty > v->qty)
			violation(a, AUDIT_NO_OVERFILL, "the venue filled %d of order %" PRIu64
				  ", which asked %d", v->cum_qty, v->client_order_id, v->qty);
		if (!o) {
			violation(a, AUDIT_VENUE_JOURNALED, "order %" PRIu64 " (%+d x %d, venue id %"
				  PRIu64 ", %d filled) is at the venue, not in the orders journal",
				  v->client_order_id, v->side, v->qty, v->venue_order_id, v->cum_qty);
			continue;
		}
		if (o->filled != v->cum_qty)
			violation(a, AUDIT_VENUE_JOURNALED, "order %" PRIu64 ": the venue filled %d"
				  " contracts, the journal's fills add up to %d%s", o->coid,
				  v->cum_qty, o->filled,
				  a->st.venue_busy ? " (reports still in flight at the venue)" : "");
	}
	for (uint32_t i = 0; i < a->n.venue_fills; i++) {
		const struct venue_fill *f = &a->vfill[i];
		chk(a, AUDIT_FILLS_HAVE_ORDERS)->checked++;
		if (!find_ord(a->ord, n_ord, f->client_order_id))
			violation(a, AUDIT_FILLS_HAVE_ORDERS, "venue fill %" PRIu64 " (%d contracts)"
				  " of order %" PRIu64 ", which the orders journal does not hold",
				  f->exec_id, f->qty, f->client_order_id);
	}
}

/* Risk, venue and the journal's distinct fills of the state's epoch. */
static void check_position(struct audit *a, uint32_t n_fill)
{
	int64_t net = 0, vol = 0;
	uint64_t count = 0;
	for (uint32_t i = 0; i < n_fill; i++) {
		const struct audit_rep *f = &a->rep[i];
		if (!a->have_state || epoch_of(f->coid) != a->st.epoch)
			continue;
		net += f->side > 0 ? f->qty : -(int64_t)f->qty;
		vol += f->qty;
		count++;
	}
	a->r.journal_position = net;
	a->r.journal_volume = vol;
	a->r.journal_fills = count;
	struct audit_check_result *k = chk(a, AUDIT_POSITION);
	if (!a->have_state || (!a->st.have_risk && !a->st.have_venue)) {
		k->skipped = 1;
		return;
	}
	const char *busy = a->st.venue_busy ? " (reports still in flight at the venue)" : "";
	if (a->st.have_risk) {
		k->checked += 3;
		if (a->st.risk_position != net)
			violation(a, AUDIT_POSITION, "risk's position is %" PRId64 ", the journal's "
				  "fills of epoch %" PRIu64 " net %" PRId64 "%s", a->st.risk_position,
				  a->st.epoch, net, busy);
		if (a->st.risk_fills != count)
			violation(a, AUDIT_POSITION, "risk applied %" PRIu64 " fills, the journal "
				  "holds %" PRIu64 " of epoch %" PRIu64 "%s", a->st.risk_fills, count,
				  a->st.epoch, busy);
		if (a->st.risk_volume != vol)
			violation(a, AUDIT_POSITION, "risk's volume is %" PRId64 " contracts, the "
				  "journal's %" PRId64 "%s", a->st.risk_volume, vol, busy);
	}
	if (a->st.have_venue) {
		int64_t vnet = a->st.venue.buy_qty - a->st.venue.sell_qty;
		int64_t vvol = a->st.venue.buy_qty + a->st.venue.sell_qty;
		k->checked += 2;
		if (vnet != net)
			violation(a, AUDIT_POSITION, "the venue's fills net %" PRId64 " (%" PRId64
				  " bought, %" PRId64 " sold), the journal's %" PRId64 "%s", vnet,
				  a->st.venue.buy_qty, a->st.venue.sell_qty, net, busy);
		if (vvol != vol)
			violation(a, AUDIT_POSITION, "the venue filled %" PRId64 " contracts, the "
				  "journal %" PRId64 "%s", vvol, vol, busy);
	}
}

/* Distinct epochs among the decisions and orders (both sorted by id). */
static uint64_t count_epochs(const struct audit *a, uint32_t n_dec, uint32_t n_ord)
{
	uint64_t n = 0, last = UINT64_MAX;
	uint32_t i = 0, j = 0;
	while (i < n_dec || j < n_ord) {
		uint64_t e;
		if (j >= n_ord || (i < n_dec && a->dec[i].id <= a->ord[j].coid))
			e = epoch_of(a->dec[i++].id);
		else
			e = epoch_of(a->ord[j++].coid);
		if (e != last) {
			n++;
			last = e;
		}
	}
	return n;
}

void audit_finish(struct audit *a, struct audit_result *r)
{
	uint32_t n_dec = fold_decisions(a);
	uint32_t n_ord = fold_orders(a, n_dec);
	check_orders_approved(a, n_dec, n_ord);
	check_released(a, n_dec, n_ord);
	check_venue_ids(a);
	uint32_t n_fill = fold_fills(a, n_ord);
	check_overfill(a, n_ord);
	check_venue(a, n_ord);
	check_position(a, n_fill);

	a->r.decisions = n_dec;
	a->r.orders = n_ord;
	a->r.reports = a->n.reports;
	a->r.fills = n_fill;
	a->r.epochs = count_epochs(a, n_dec, n_ord);
	a->r.dropped = a->dropped;
	a->r.violations = 0;
	for (uint32_t c = 0; c < AUDIT_CHECK_COUNT; c++)
		a->r.violations += a->r.check[c].violations;
	*r = a->r;
}
