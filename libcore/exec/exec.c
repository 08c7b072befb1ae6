/*
 * exec.c — the order table and its state machine (exec.h).
 *
 * Every change goes through a transaction (struct txn): copies of the
 * slots it touches and of the counters are changed in local memory, then
 * committed through the redo log.  Ordering edges:
 *
 *   W0  writer, release store of last_seq / last_fill (the counter of a
 *       new id) before the id is written anywhere.  A crash after W0
 *       skips the id; nothing before W0 ever hands it out.
 *   W1  writer, release store of log.state (the commit) after the log's
 *       slots and counters.  Pairs with A0.
 *   W2  writer, a slot's gen made odd, release fence, the slot bytes,
 *       release store of gen even.  Pairs with R0/R1.
 *   W3  writer, release store of log.state = 0 after every slot and the
 *       counters are copied.  Pairs with A0.
 *   A0  exec_table_attach, acquire load of log.state: non-zero means a
 *       committed update that may be half copied; copying it again is
 *       idempotent.
 *   R0  reader (exec_order_snapshot), acquire load of gen, copy, acquire
 *       fence, R1 load of gen again: equal and even means a whole slot.
 *
 * The state machine is one table, fsm[status][event] (docs/execution.md
 * prints it); the code around it derives the event from a report, applies
 * quantities, and settles a replacement when its old order leaves
 * CANCEL_PENDING.
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "libcore/exec/exec.h"
#include "libcore/types.h"
#include "libcore/vote/vote.h"

void (*exec_fault_hook)(int step);

static inline void step(int s)
{
	if (DM_UNLIKELY(exec_fault_hook != NULL))
		exec_fault_hook(s);
}

static inline void store_rel32(uint32_t *p, uint32_t v)
{
	atomic_store_explicit((_Atomic uint32_t *)(void *)p, v, memory_order_release);
}

static inline void store_rlx32(uint32_t *p, uint32_t v)
{
	atomic_store_explicit((_Atomic uint32_t *)(void *)p, v, memory_order_relaxed);
}

static inline uint32_t load_acq32(const uint32_t *p)
{
	return atomic_load_explicit((_Atomic const uint32_t *)(const void *)p,
				    memory_order_acquire);
}

static inline void store_rel64(uint64_t *p, uint64_t v)
{
	atomic_store_explicit((_Atomic uint64_t *)(void *)p, v, memory_order_release);
}

/* ------------------------------------------------------------ names */

static const char *const reason_names[EXEC_R_COUNT] = {
	[EXEC_R_NONE]              = "none",
	[EXEC_R_UNSENT_CANCEL]     = "cancelled_unsent",
	[EXEC_R_NOT_SENT]          = "not_sent",
	[EXEC_R_REPLACE_FILLED]    = "replace_filled",
	[EXEC_R_REPLACE_REFUSED]   = "replace_refused",
	[EXEC_R_REPLACE_DEAD]      = "replace_dead",
	[EXEC_R_UNKNOWN_ORDER]     = "unknown_order",
	[EXEC_R_OVERFILL]          = "overfill",
	[EXEC_R_NOT_MARKED_SENT]   = "not_marked_sent",
	[EXEC_R_REJECT_AFTER_ACK]  = "reject_after_ack",
	[EXEC_R_FILL_AFTER_REJECT] = "fill_after_reject",
	[EXEC_R_CONTRADICTION]     = "contradiction",
	[EXEC_R_VENUE_LOST]        = "venue_lost",
	[EXEC_R_CUM_BEHIND]        = "cum_behind",
	[EXEC_R_VENUE_ID]          = "venue_id_changed",
	[EXEC_R_BAD_REPORT]        = "bad_report",
};

const char *exec_reason_name(uint32_t reason)
{
	return reason < EXEC_R_COUNT && reason_names[reason] ? reason_names[reason] : "?";
}

const char *exec_status_name(uint32_t status)
{
	static const char *const n[] = {
		"free", "new", "pending", "ack", "partial", "filled",
		"cancel_pending", "cancelled", "rejected"
	};
	return status < sizeof(n) / sizeof(n[0]) ? n[status] : "?";
}

int exec_status_terminal(uint32_t s)
{
	return s == EXEC_FILLED || s == EXEC_CANCELLED || s == EXEC_REJECTED;
}

static inline int is_open(uint32_t s)
{
	return s == EXEC_NEW || s == EXEC_PENDING || s == EXEC_ACK || s == EXEC_PARTIAL ||
	       s == EXEC_CANCEL_PENDING;
}

static inline int is_inflight(const struct exec_order *e)
{
	return e->status == EXEC_NEW || e->status == EXEC_PENDING ||
	       (e->status == EXEC_CANCEL_PENDING && !(e->flags & EXEC_F_ACKED));
}

/* ------------------------------------------------------------ config */

void exec_cfg_default(struct exec_cfg *c)
{
	memset(c, 0, sizeof(*c)); /* no children, passive off, no study */
	c->max_inflight = 4;
	c->max_open = 16;
	c->ack_timeout_ms = 1000;
}

int exec_cfg_check(const struct exec_cfg *c)
{
	if (!c || c->max_inflight < 1 || c->max_open < 1 || c->ack_timeout_ms < 1)
		return -EINVAL;
	if (c->child_max_qty && c->child_horizon_ns <= 0)
		return -EINVAL;
	if (!(c->ac_eta >= 0) || !(c->ac_gamma >= 0) || !(c->ac_sigma >= 0) ||
	    !(c->ac_lambda >= 0))
		return -EINVAL;
	if (c->passive > EXEC_PASSIVE_AUTO)
		return -EINVAL;
	if (c->passive == EXEC_PASSIVE_AUTO &&
	    (c->passive_horizon_ns <= 0 || !(c->passive_a > 0) || !(c->passive_k >= 0) ||
	     !(c->passive_lots >= 0)))
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------ ids and slots */

static inline uint64_t make_id(const struct exec_table *t, uint64_t n)
{
	return t->epoch << EXEC_ID_SHIFT | n;
}

static inline uint32_t slot_of(const struct exec_table *t, uint64_t n)
{
	return (uint32_t)(n & (t->capacity - 1));
}

/* Slot index of coid, or -1. */
static int64_t find_idx(const struct exec_table *t, uint64_t coid)
{
	if (!coid || coid >> EXEC_ID_SHIFT != t->epoch)
		return -1;
	uint32_t i = slot_of(t, coid & EXEC_SEQ_MASK);
	const struct exec_order *e = &t->slot[i];
	return e->status && e->coid == coid ? (int64_t)i : -1;
}

static inline int open_at(const struct exec_table *t, uint64_t n)
{
	const struct exec_order *e = &t->slot[slot_of(t, n)];
	return e->coid == make_id(t, n) && is_open(e->status);
}

/* No live order below low_seq: move it past the orders that ended. */
static void advance_low(struct exec_table *t)
{
	uint64_t n = t->low_seq;
	while (n <= t->last_seq && !open_at(t, n))
		n++;
	t->low_seq = n;
}

/* ------------------------------------------------------------ transactions */

struct txn {
	uint32_t n;
	uint32_t idx[2];
	struct exec_order e[2];
	struct exec_counters ctr;
};

static void txn_begin(const struct exec_table *t, struct txn *x)
{
	x->n = 0;
	x->ctr = t->ctr;
}

static struct exec_order *txn_add(struct txn *x, const struct exec_table *t, uint32_t i)
{
	x->idx[x->n] = i;
	x->e[x->n] = t->slot[i];
	return &x->e[x->n++];
}

static void copy_slot(struct exec_order *dst, const struct exec_order *src)
{
	uint32_t g = dst->gen | 1u;
	store_rlx32(&dst->gen, g);
	atomic_thread_fence(memory_order_release); /* W2: gen odd before the bytes */
	memcpy((char *)dst + sizeof(dst->gen), (const char *)src + sizeof(src->gen),
	       sizeof(*dst) - sizeof(dst->gen));
	store_rel32(&dst->gen, g + 1); /* W2: bytes before gen even; pairs with R1 */
}

/* Copy a committed log into place; idempotent. */
static void log_apply(struct exec_table *t)
{
	uint32_t st = load_acq32(&t->log.state); /* A0: pairs with W1 */
	if (!st)
		return;
	for (uint32_t k = 0; k + 1 < st; k++) {
		copy_slot(&t->slot[t->log.idx[k]], &t->log.e[k]);
		step(4 + (int)k);
	}
	t->ctr = t->log.ctr;
	step(6);
	store_rel32(&t->log.state, 0); /* W3 */
	step(7);
}

static void gauge(uint32_t *g, int before, int after)
{
	*g = (uint32_t)((int64_t)*g + after - before);
}

static void txn_commit(struct exec_table *t, struct txn *x)
{
	for (uint32_t k = 0; k < x->n; k++) {
		const struct exec_order *b = &t->slot[x->idx[k]];
		gauge(&x->ctr.open, is_open(b->status), is_open(x->e[k].status));
		gauge(&x->ctr.inflight, is_inflight(b), is_inflight(&x->e[k]));
		t->log.idx[k] = x->idx[k];
		t->log.e[k] = x->e[k];
	}
	t->log.ctr = x->ctr;
	step(2);
	store_rel32(&t->log.state, 1 + x->n); /* W1: the commit */
	step(3);
	log_apply(t);
	advance_low(t);
}

/* Store a new counter value before its id is used (W0). */
static uint64_t take_fill_id(struct exec_table *t)
{
	uint64_t n = t->last_fill + 1;
	store_rel64(&t->last_fill, n);
	step(1);
	return make_id(t, n);
}

/* ------------------------------------------------------------ table */

static int is_pow2(uint32_t x)
{
	return x >= 2 && (x & (x - 1)) == 0;
}

size_t exec_table_memsize(uint32_t capacity)
{
	if (!is_pow2(capacity) || capacity > EXEC_CAPACITY_MAX)
		return 0;
	return sizeof(struct exec_table) + (size_t)capacity * sizeof(struct exec_order);
}

int exec_table_init(struct exec_table *t, size_t size, uint32_t capacity, uint64_t epoch)
{
	size_t need = exec_table_memsize(capacity);
	if (!t || need == 0 || epoch < 1 || epoch > EXEC_EPOCH_MAX || ((uintptr_t)t & 7u))
		return -EINVAL;
	if (size < need)
		return -DM_ESIZE;
	memset(t, 0, need);
	t->version = EXEC_VERSION;
	t->capacity = capacity;
	t->size = need;
	t->epoch = epoch;
	t->low_seq = 1;
	atomic_thread_fence(memory_order_release);
	store_rel64(&t->magic, EXEC_MAGIC);
	return 0;
}

int exec_table_attach(struct exec_table *t, size_t size)
{
	if (!t || t->magic != EXEC_MAGIC)
		return -DM_EMAGIC;
	if (t->version != EXEC_VERSION)
		return -DM_EVERSION;
	if (exec_table_memsize(t->capacity) == 0 || t->size != exec_table_memsize(t->capacity) ||
	    size < t->size)
		return -DM_ESIZE;
	if (t->epoch < 1 || t->epoch > EXEC_EPOCH_MAX || t->log.state > 3 ||
	    t->last_seq > EXEC_SEQ_MASK || t->last_fill > EXEC_SEQ_MASK)
		return -DM_ECORRUPT;
	for (uint32_t k = 0; k + 1 < t->log.state; k++)
		if (t->log.idx[k] >= t->capacity)
			return -DM_ECORRUPT;
	log_apply(t);
	/* gauges and the low mark from the slots: whatever a crash left */
	uint32_t open = 0, inflight = 0;
	uint64_t low = t->last_seq + 1;
	for (uint32_t i = 0; i < t->capacity; i++) {
		struct exec_order *e = &t->slot[i];
		if (e->gen & 1u)
			store_rel32(&e->gen, e->gen + 1); /* a copy the log finished */
		if (!is_open(e->status))
			continue;
		open++;
		inflight += (uint32_t)is_inflight(e);
		uint64_t n = e->coid & EXEC_SEQ_MASK;
		if (n < low)
			low = n;
	}
	t->ctr.open = open;
	t->ctr.inflight = inflight;
	t->low_seq = low ? low : 1;
	t->venue_up = 0;
	t->reconciling = 1; /* no new order before the venue's view is taken */
	t->attaches++;
	return 0;
}

void exec_set_venue_up(struct exec_table *t, int up)
{
	t->venue_up = up ? 1u : 0u;
}

/* ------------------------------------------------------------ state machine */

enum ev {
	EV_SENT,      /* local: handed to the venue */
	EV_CANCEL,    /* local: cancel asked */
	EV_REPLACE,   /* local: replace asked */
	EV_ACK,       /* venue: acknowledged */
	EV_CXLPEND,   /* venue: cancel pending */
	EV_FILL,      /* venue: new quantity, cum < qty */
	EV_FULL,      /* venue: new quantity, cum >= qty */
	EV_CANCELLED, /* venue: cancelled */
	EV_REJECTED,  /* venue: rejected */
	EV_CXLREJ,    /* venue: cancel refused */
	EV_LOST,      /* reconciliation: the venue does not know it */
	EV_COUNT
};

enum tact {
	T_NONE,   /* state change only */
	T_REPORT, /* forward a report */
	T_ACK,    /* first ack: forward; already acknowledged: duplicate */
	T_FILL,   /* forward the fill applied before */
	T_CANCEL, /* send a cancel */
	T_LOCAL,  /* ended here: forward a report, reason why */
	T_DUP,    /* ignore: duplicate */
	T_STALE,  /* ignore: older than what is known */
	T_REFUSE, /* local request refused */
	T_ANOM    /* contradiction: ignore, raise an anomaly */
};

#define C_ANOM 0x1u /* raise anomaly why */
#define C_OOO  0x2u /* out-of-order report handled */

struct cell {
	uint8_t next; /* 0 = unchanged */
	uint8_t act;  /* enum tact */
	uint8_t why;  /* enum exec_reason: of T_LOCAL, or of C_ANOM */
	uint8_t flags;/* C_* */
};

#define NEW EXEC_NEW
#define PND EXEC_PENDING
#define ACK EXEC_ACK
#define PRT EXEC_PARTIAL
#define FLD EXEC_FILLED
#define CXP EXEC_CANCEL_PENDING
#define CXD EXEC_CANCELLED
#define REJ EXEC_REJECTED

#define X(n, a)       { n, a, 0, 0 }
#define XA(n, a, w)   { n, a, w, C_ANOM }
#define XO(n, a)      { n, a, 0, C_OOO }
#define XL(n, w)      { n, T_LOCAL, w, 0 }
#define XLA(n, w)     { n, T_LOCAL, w, C_ANOM }
#define NMS           EXEC_R_NOT_MARKED_SENT

/*
 * Columns: SENT CANCEL REPLACE ACK CXLPEND FILL FULL CANCELLED REJECTED
 * CXLREJ LOST.  Rules applied in code beside the table: a venue REJECTED
 * of an acknowledged live order is anomaly REJECT_AFTER_ACK; CXLREJ in
 * CANCEL_PENDING goes back to PARTIAL (cum > 0), ACK (acknowledged) or
 * PENDING; LOST of an acknowledged CANCEL_PENDING is anomaly VENUE_LOST;
 * a fill before the ack implies it (out of order).
 */
static const struct cell fsm[9][EV_COUNT] = {
	[NEW] = { X(PND, T_NONE), XL(CXD, EXEC_R_UNSENT_CANCEL), X(0, T_REFUSE),
		  XA(ACK, T_ACK, NMS), X(0, T_STALE), XA(PRT, T_FILL, NMS),
		  XA(FLD, T_FILL, NMS), XA(CXD, T_REPORT, NMS), XA(REJ, T_REPORT, NMS),
		  X(0, T_STALE), XL(REJ, EXEC_R_NOT_SENT) },
	[PND] = { X(0, T_DUP), X(CXP, T_CANCEL), X(CXP, T_CANCEL),
		  X(ACK, T_ACK), X(0, T_STALE), XO(PRT, T_FILL),
		  XO(FLD, T_FILL), X(CXD, T_REPORT), X(REJ, T_REPORT),
		  X(0, T_STALE), XL(REJ, EXEC_R_NOT_SENT) },
	[ACK] = { X(0, T_DUP), X(CXP, T_CANCEL), X(CXP, T_CANCEL),
		  X(0, T_ACK), X(0, T_STALE), X(PRT, T_FILL),
		  X(FLD, T_FILL), X(CXD, T_REPORT), X(REJ, T_REPORT),
		  X(0, T_STALE), XLA(CXD, EXEC_R_VENUE_LOST) },
	[PRT] = { X(0, T_DUP), X(CXP, T_CANCEL), X(CXP, T_CANCEL),
		  X(0, T_STALE), X(0, T_STALE), X(0, T_FILL),
		  X(FLD, T_FILL), X(CXD, T_REPORT), X(REJ, T_REPORT),
		  X(0, T_STALE), XLA(CXD, EXEC_R_VENUE_LOST) },
	[FLD] = { X(0, T_REFUSE), X(0, T_REFUSE), X(0, T_REFUSE),
		  X(0, T_STALE), X(0, T_STALE), XA(0, T_FILL, EXEC_R_OVERFILL),
		  XA(0, T_FILL, EXEC_R_OVERFILL), XA(0, T_ANOM, EXEC_R_CONTRADICTION),
		  XA(0, T_ANOM, EXEC_R_CONTRADICTION), X(0, T_STALE), X(0, T_NONE) },
	[CXP] = { X(0, T_DUP), X(0, T_REFUSE), X(0, T_REFUSE),
		  X(0, T_ACK), X(0, T_NONE), X(0, T_FILL),
		  X(FLD, T_FILL), X(CXD, T_REPORT), X(REJ, T_REPORT),
		  X(ACK, T_REPORT), XL(CXD, EXEC_R_NOT_SENT) },
	[CXD] = { X(0, T_REFUSE), X(0, T_REFUSE), X(0, T_REFUSE),
		  X(0, T_STALE), X(0, T_STALE), XO(0, T_FILL),
		  XO(FLD, T_FILL), X(0, T_DUP), XA(0, T_ANOM, EXEC_R_CONTRADICTION),
		  X(0, T_STALE), X(0, T_NONE) },
	[REJ] = { X(0, T_REFUSE), X(0, T_REFUSE), X(0, T_REFUSE),
		  X(0, T_STALE), X(0, T_STALE), XA(0, T_FILL, EXEC_R_FILL_AFTER_REJECT),
		  XA(FLD, T_FILL, EXEC_R_FILL_AFTER_REJECT), XA(0, T_ANOM, EXEC_R_CONTRADICTION),
		  X(0, T_DUP), X(0, T_STALE), X(0, T_NONE) },
};

static void flag_anomaly(struct txn *x, struct exec_order *e, struct exec_out *o, uint32_t why)
{
	if (!(o->act & EXEC_ACT_ANOMALY))
		x->ctr.anomalies++;
	o->act |= EXEC_ACT_ANOMALY;
	o->anomaly = (uint16_t)why;
	if (e) {
		e->flags |= EXEC_F_ANOMALY;
		e->anomaly = (uint16_t)why;
	}
}

static void flag_ooo(struct txn *x, struct exec_out *o)
{
	if (!(o->act & EXEC_ACT_OOO))
		x->ctr.ooo++;
	o->act |= EXEC_ACT_OOO;
}

static void enter_terminal(struct txn *x, struct exec_order *e, uint32_t to)
{
	e->flags &= (uint16_t)~EXEC_F_UNCONFIRMED;
	if (to == EXEC_FILLED)
		x->ctr.filled++;
	else if (to == EXEC_CANCELLED)
		x->ctr.cancels++;
	else
		x->ctr.rejects++;
}

/*
 * The old order (x->e[0]) has left CANCEL_PENDING and had a replacement
 * waiting in NEW: send it (reduced by the fills that raced the cancel) or
 * drop it.
 */
static void settle_replacement(struct exec_table *t, struct txn *x, int64_t now,
			       struct exec_out *o)
{
	const struct exec_order *old = &x->e[0];
	int64_t ri = find_idx(t, old->replaced_by);
	if (ri < 0 || t->slot[ri].status != EXEC_NEW)
		return; /* gone, or cancelled by the caller meanwhile */
	struct exec_order *r = txn_add(x, t, (uint32_t)ri);
	old = &x->e[0];
	o->other_coid = r->coid;
	uint32_t why = EXEC_R_NONE;
	int32_t left = r->qty - (old->cum_qty - old->repl_cum);
	switch (old->status) {
	case EXEC_CANCELLED:
		if (t->reconciling)
			why = EXEC_R_NOT_SENT; /* stale after a restart */
		else if (left <= 0)
			why = EXEC_R_REPLACE_FILLED;
		break;
	case EXEC_FILLED:
		why = EXEC_R_REPLACE_FILLED;
		break;
	case EXEC_REJECTED:
		why = EXEC_R_REPLACE_DEAD;
		break;
	default: /* the cancel was refused: the old order stands */
		why = EXEC_R_REPLACE_REFUSED;
		break;
	}
	if (why == EXEC_R_NONE) {
		r->qty = left;
		r->since_ns = now;
		o->act |= EXEC_ACT_SEND_OTHER;
	} else {
		r->status = EXEC_REJECTED;
		r->flags |= EXEC_F_LOCAL;
		r->reason = (uint16_t)why;
		r->since_ns = now;
		enter_terminal(x, r, EXEC_REJECTED);
		o->act |= EXEC_ACT_REPORT_OTHER;
		o->other_reason = (uint16_t)why;
	}
	o->other_status = r->status;
}

/*
 * Apply event ev to x->e[0].  Returns 0, or -1 when the table refuses a
 * local request (nothing changed).
 */
static int apply(struct exec_table *t, struct txn *x, int ev, int64_t now, struct exec_out *o)
{
	struct exec_order *e = &x->e[0];
	uint32_t from = e->status;
	struct cell c = fsm[from][ev];
	uint32_t to = c.next ? c.next : from;

	switch (c.act) {
	case T_NONE:
		break;
	case T_REPORT:
		o->act |= EXEC_ACT_REPORT;
		break;
	case T_ACK:
		if (e->flags & EXEC_F_ACKED) {
			to = from;
			o->act |= EXEC_ACT_DUP;
			x->ctr.dups++;
		} else {
			e->flags |= EXEC_F_ACKED;
			o->act |= EXEC_ACT_REPORT;
			x->ctr.acks++;
		}
		break;
	case T_FILL:
		if (!(e->flags & EXEC_F_ACKED)) {
			e->flags |= EXEC_F_ACKED; /* a fill implies the ack */
			flag_ooo(x, o);
		}
		o->act |= EXEC_ACT_REPORT | EXEC_ACT_FILL;
		break;
	case T_CANCEL:
		o->act |= EXEC_ACT_CANCEL;
		break;
	case T_LOCAL:
		e->flags |= EXEC_F_LOCAL;
		e->reason = c.why;
		o->act |= EXEC_ACT_REPORT;
		break;
	case T_DUP:
		o->act |= EXEC_ACT_DUP;
		x->ctr.dups++;
		break;
	case T_STALE:
		o->act |= EXEC_ACT_STALE;
		x->ctr.stale++;
		break;
	case T_REFUSE:
		return -1;
	case T_ANOM:
		break;
	}
	if (c.flags & C_ANOM)
		flag_anomaly(x, e, o, c.why);
	if (c.flags & C_OOO)
		flag_ooo(x, o);

	/* rules beside the table */
	if (ev == EV_REJECTED && is_open(from) && (e->flags & EXEC_F_ACKED))
		flag_anomaly(x, e, o, EXEC_R_REJECT_AFTER_ACK);
	if (ev == EV_CXLREJ && from == EXEC_CANCEL_PENDING) {
		to = e->cum_qty > 0 ? EXEC_PARTIAL
				    : (e->flags & EXEC_F_ACKED) ? EXEC_ACK : EXEC_PENDING;
		x->ctr.cancel_rejects++;
	}
	if (ev == EV_LOST && from == EXEC_CANCEL_PENDING && (e->flags & EXEC_F_ACKED)) {
		e->reason = EXEC_R_VENUE_LOST;
		flag_anomaly(x, e, o, EXEC_R_VENUE_LOST);
	}
	if (ev == EV_LOST)
		e->flags &= (uint16_t)~EXEC_F_UNCONFIRMED;

	if (to != from) {
		e->status = (uint8_t)to;
		e->since_ns = now;
		if (exec_status_terminal(to) && !exec_status_terminal(from))
			enter_terminal(x, e, to);
		else if (to == EXEC_FILLED)
			x->ctr.filled++; /* a late fill completed a cancelled/rejected order */
		if (from == EXEC_CANCEL_PENDING && e->replaced_by)
			settle_replacement(t, x, now, o);
	}
	return 0;
}

/* ------------------------------------------------------------ results */

static void out_clear(struct exec_out *o, uint64_t coid)
{
	memset(o, 0, sizeof(*o));
	o->coid = coid;
}

static inline int32_t leaves_of(const struct exec_order *e)
{
	if (!is_open(e->status) || e->cum_qty >= e->qty)
		return 0;
	return e->qty - e->cum_qty;
}

static void out_finish(struct exec_out *o, const struct exec_order *e)
{
	o->coid = e->coid;
	o->status = e->status;
	o->side = e->side;
	o->reason = e->reason;
	o->venue_order_id = e->venue_order_id;
	o->cum_qty = e->cum_qty;
	o->leaves_qty = leaves_of(e);
}

void exec_out_report(const struct exec_table *t, const struct exec_out *o, int other,
		     struct msg_exec_report *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr.type = MSG_EXEC_REPORT;
	m->hdr.version = MSG_VERSION;
	m->hdr.size = sizeof(*m);
	if (!other) {
		m->client_order_id = o->coid;
		m->venue_order_id = o->venue_order_id;
		m->status = o->status;
		m->side = o->side;
		m->reason = o->reason;
		m->cum_qty = o->cum_qty;
		m->leaves_qty = o->leaves_qty;
		m->venue_ns = o->venue_ns;
		if (o->act & EXEC_ACT_FILL) {
			m->exec_id = o->fill_id;
			m->last_px = o->fill_px;
			m->last_qty = o->fill_qty;
			m->fee_e9 = o->fee_e9;
			m->liquidity = o->liquidity;
		}
		return;
	}
	m->client_order_id = o->other_coid;
	m->status = o->other_status;
	m->reason = o->other_reason;
	const struct exec_order *r = exec_find(t, o->other_coid);
	if (r) {
		m->venue_order_id = r->venue_order_id;
		m->side = r->side;
		m->cum_qty = r->cum_qty;
		m->leaves_qty = leaves_of(r);
	}
}

/* ------------------------------------------------------------ orders */

uint32_t exec_can_accept(const struct exec_table *t, const struct exec_cfg *cfg)
{
	if (!t->venue_up)
		return VOTE_R_VENUE_DOWN;
	if (t->reconciling)
		return VOTE_R_RECONCILING;
	if (t->ctr.inflight >= cfg->max_inflight)
		return VOTE_R_INFLIGHT;
	if (t->ctr.open >= cfg->max_open)
		return VOTE_R_OPEN_ORDERS;
	return VOTE_R_APPROVED;
}

static int order_ok(int side, int32_t qty, int64_t px, uint32_t ord_type, uint32_t tif)
{
	if ((side != SIDE_BUY && side != SIDE_SELL) || qty <= 0 || px < 0 || tif > TIF_FOK)
		return 0;
	if (ord_type == ORD_LIMIT)
		return px > 0;
	return ord_type == ORD_MARKET;
}

/* A free slot for the next id: its counter (not stored), or 0 if none. */
static uint64_t next_free(const struct exec_table *t)
{
	uint64_t n = t->last_seq;
	for (uint32_t k = 0; k < t->capacity; k++) {
		if (++n > EXEC_SEQ_MASK)
			return 0;
		if (!is_open(t->slot[slot_of(t, n)].status))
			return n;
	}
	return 0;
}

static void new_entry(struct exec_order *e, uint64_t coid, uint64_t decision_id, int side,
		      int32_t qty, int64_t px, uint32_t ord_type, uint32_t tif, int64_t now)
{
	uint32_t g = e->gen;
	memset(e, 0, sizeof(*e));
	e->gen = g;
	e->status = EXEC_NEW;
	e->side = (int8_t)side;
	e->ord_type = (uint8_t)ord_type;
	e->tif = (uint8_t)tif;
	e->coid = coid;
	e->decision_id = decision_id;
	e->px = px;
	e->qty = qty;
	e->since_ns = now;
}

int exec_new_order(struct exec_table *t, const struct exec_cfg *cfg, uint64_t decision_id,
		   int side, int32_t qty, int64_t px, uint32_t ord_type, uint32_t tif,
		   int64_t now_ns, uint64_t *coid)
{
	uint32_t why = order_ok(side, qty, px, ord_type, tif) ? exec_can_accept(t, cfg)
							       : VOTE_R_BAD_ORDER;
	uint64_t n = 0;
	if (why == VOTE_R_APPROVED && !(n = next_free(t)))
		why = VOTE_R_OPEN_ORDERS;
	if (why != VOTE_R_APPROVED) {
		t->ctr.refused++;
		return (int)why;
	}
	store_rel64(&t->last_seq, n); /* W0: before the id is used */
	step(1);
	struct txn x;
	txn_begin(t, &x);
	struct exec_order *e = txn_add(&x, t, slot_of(t, n));
	new_entry(e, make_id(t, n), decision_id, side, qty, px, ord_type, tif, now_ns);
	x.ctr.orders++;
	txn_commit(t, &x);
	*coid = make_id(t, n);
	return 0;
}

int exec_sent(struct exec_table *t, uint64_t coid, int64_t now_ns)
{
	int64_t i = find_idx(t, coid);
	if (i < 0)
		return -ENOENT;
	if (t->slot[i].status != EXEC_NEW)
		return -EALREADY;
	struct txn x;
	struct exec_out o;
	out_clear(&o, coid);
	txn_begin(t, &x);
	txn_add(&x, t, (uint32_t)i);
	apply(t, &x, EV_SENT, now_ns, &o);
	x.ctr.sent++;
	txn_commit(t, &x);
	return 0;
}

int exec_cancel(struct exec_table *t, uint64_t coid, int64_t now_ns, struct exec_out *out)
{
	out_clear(out, coid);
	int64_t i = find_idx(t, coid);
	if (i < 0)
		return -ENOENT;
	struct txn x;
	txn_begin(t, &x);
	txn_add(&x, t, (uint32_t)i);
	if (apply(t, &x, EV_CANCEL, now_ns, out) < 0) {
		out_finish(out, &t->slot[i]);
		out->act = 0;
		return -EALREADY;
	}
	txn_commit(t, &x);
	out_finish(out, &x.e[0]);
	return 0;
}

uint32_t exec_cancel_all(struct exec_table *t, int64_t now_ns, struct exec_out *out,
			 uint32_t max)
{
	uint32_t k = 0;
	uint64_t pos = 0;
	const struct exec_order *e;
	while (k < max && (e = exec_next_open(t, &pos)) != NULL) {
		if (e->status == EXEC_CANCEL_PENDING)
			continue;
		/* the slot changes, the position does not: pos stays valid */
		if (exec_cancel(t, e->coid, now_ns, &out[k]) == 0)
			k++;
	}
	return k;
}

int exec_replace(struct exec_table *t, uint64_t coid, int32_t new_qty, int64_t new_px,
		 int64_t now_ns, uint64_t *new_coid, struct exec_out *out)
{
	out_clear(out, coid);
	int64_t i = find_idx(t, coid);
	if (i < 0)
		return -ENOENT;
	const struct exec_order *old = &t->slot[i];
	if (exec_status_terminal(old->status))
		return -EALREADY;
	if (old->status == EXEC_NEW || old->status == EXEC_CANCEL_PENDING)
		return -EBUSY;
	if (!order_ok(old->side, new_qty, new_px, old->ord_type, old->tif))
		return -EINVAL;
	if (t->reconciling)
		return -EAGAIN;
	uint64_t n = next_free(t);
	if (!n)
		return -DM_EFULL;
	store_rel64(&t->last_seq, n); /* W0 */
	step(1);
	struct txn x;
	txn_begin(t, &x);
	struct exec_order *o = txn_add(&x, t, (uint32_t)i);
	apply(t, &x, EV_REPLACE, now_ns, out);
	o->replaced_by = make_id(t, n);
	o->repl_cum = o->cum_qty;
	struct exec_order *r = txn_add(&x, t, slot_of(t, n));
	new_entry(r, make_id(t, n), o->decision_id, o->side, new_qty, new_px, o->ord_type,
		  o->tif, now_ns);
	r->replaces = coid;
	x.ctr.orders++;
	x.ctr.replaces++;
	txn_commit(t, &x);
	out_finish(out, &x.e[0]);
	out->other_coid = make_id(t, n);
	out->other_status = EXEC_NEW;
	*new_coid = make_id(t, n);
	return 0;
}

/* ------------------------------------------------------------ venue events */

static int report_ok(const struct exec_report *r)
{
	if (r->cum_qty < 0 || r->last_qty < 0 || r->leaves_qty < 0 || r->last_qty > r->cum_qty)
		return 0;
	switch (r->status) {
	case EXEC_PENDING: case EXEC_ACK: case EXEC_PARTIAL: case EXEC_FILLED:
	case EXEC_CANCEL_PENDING: case EXEC_CANCELLED: case EXEC_REJECTED:
	case EXEC_VENUE_CANCEL_REJECT:
		return 1;
	default:
		return 0;
	}
}

/* Event of a report status that carries no new quantity; -1 none. */
static int status_event(uint32_t status)
{
	switch (status) {
	case EXEC_ACK:                 return EV_ACK;
	case EXEC_CANCEL_PENDING:      return EV_CXLPEND;
	case EXEC_CANCELLED:           return EV_CANCELLED;
	case EXEC_REJECTED:            return EV_REJECTED;
	case EXEC_VENUE_CANCEL_REJECT: return EV_CXLREJ;
	default:                       return -1;
	}
}

static void check_venue_id(struct txn *x, struct exec_order *e, uint64_t vid,
			   struct exec_out *o)
{
	if (!vid)
		return;
	if (!e->venue_order_id)
		e->venue_order_id = vid;
	else if (e->venue_order_id != vid)
		flag_anomaly(x, e, o, EXEC_R_VENUE_ID);
}

static int64_t div_round(int64_t a, int64_t b)
{
	return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

/*
 * New quantity: cum_qty rises to cum, notional by notional; a fill id is
 * taken and the event (FILL or FULL) applied.
 */
static void apply_fill(struct exec_table *t, struct txn *x, int32_t cum, int64_t notional,
		       uint64_t venue_exec_id, int64_t now, struct exec_out *o)
{
	struct exec_order *e = &x->e[0];
	int32_t d = cum - e->cum_qty;
	uint64_t fid = take_fill_id(t);
	if (cum > e->qty) {
		e->flags |= EXEC_F_OVERFILL;
		x->ctr.overfills++;
		flag_anomaly(x, e, o, EXEC_R_OVERFILL);
	}
	e->fill_id = fid;
	e->fill_qty = d;
	e->fill_px = div_round(notional, d);
	e->notional += notional;
	e->cum_qty = cum;
	if (venue_exec_id)
		e->venue_exec_id = venue_exec_id;
	x->ctr.fills++;
	x->ctr.fill_qty += (uint64_t)d;
	o->fill_id = fid;
	o->fill_qty = d;
	o->fill_px = e->fill_px;
	o->fill_notional = notional;
	/* FILLED + FULL is the overfill cell; FULL on a live order completes it */
	apply(t, x, cum >= e->qty ? EV_FULL : EV_FILL, now, o);
}

void exec_report_from_msg(struct exec_report *r, const struct msg_exec_report *m)
{
	memset(r, 0, sizeof(*r));
	r->coid = m->client_order_id;
	r->venue_order_id = m->venue_order_id;
	r->exec_id = m->exec_id;
	r->last_px = m->last_px;
	r->fee_e9 = m->fee_e9;
	r->venue_ns = m->venue_ns;
	r->last_qty = m->last_qty;
	r->cum_qty = m->cum_qty;
	r->leaves_qty = m->leaves_qty;
	r->status = m->status;
	r->reason = m->reason;
	r->liquidity = m->liquidity;
}



/* A report (or a venue view) the table cannot take: counted and flagged. */
static int refuse_report(struct exec_table *t, struct exec_out *out, uint16_t anomaly, int rc)
{
	t->ctr.anomalies++;
	out->act = EXEC_ACT_ANOMALY;
	out->anomaly = anomaly;
	return rc;
}int exec_on_report(struct exec_table *t, const struct exec_report *r, int64_t now_ns,
		   struct exec_out *out)
{
	out_clear(out, r->coid);
	out->venue_ns = r->venue_ns;
	if (!report_ok(r)) {
		return refuse_report(t, out, EXEC_R_BAD_REPORT, -EINVAL);
	}
	int64_t i = find_idx(t, r->coid);
	if (i < 0) {
		return refuse_report(t, out, EXEC_R_UNKNOWN_ORDER, -ENOENT);
	}
	struct txn x;
	txn_begin(t, &x);
	struct exec_order *e = txn_add(&x, t, (uint32_t)i);
	e->flags &= (uint16_t)~EXEC_F_UNCONFIRMED; /* the venue knows it */
	check_venue_id(&x, e, r->venue_order_id, out);

	if (r->exec_id && r->exec_id == e->venue_exec_id) {
		out->act |= EXEC_ACT_DUP;
		x.ctr.dups++;
	} else if (r->cum_qty > e->cum_qty) {
		int32_t d = r->cum_qty - e->cum_qty;
		int64_t px = r->last_px > 0 ? r->last_px : e->px;
		if (d != r->last_qty || r->last_px <= 0) {
			/* fills missed or reordered: priced at this report's price */
			e->flags |= EXEC_F_GAP_PRICED;
			flag_ooo(&x, out);
		} else {
			out->liquidity = r->liquidity; /* one venue fill: its own side */
		}
		out->fee_e9 = r->fee_e9;
		apply_fill(t, &x, r->cum_qty, px * d, r->exec_id, now_ns, out);
		int ev = status_event(r->status);
		if (e->status != EXEC_FILLED &&
		    (ev == EV_CANCELLED || ev == EV_REJECTED || ev == EV_CXLREJ)) {
			if (ev == EV_REJECTED)
				e->reason = r->reason;
			apply(t, &x, ev, now_ns, out);
		}
	} else {
		int ev = status_event(r->status);
		if (r->status == EXEC_PARTIAL || r->status == EXEC_FILLED) {
			out->act |= EXEC_ACT_STALE; /* a fill already counted in cum_qty */
			x.ctr.stale++;
		} else if (ev >= 0) {
			uint32_t before = e->status;
			if (ev == EV_REJECTED && !exec_status_terminal(before))
				e->reason = r->reason;
			apply(t, &x, ev, now_ns, out);
			if (r->cum_qty < e->cum_qty && e->status != before)
				flag_ooo(&x, out); /* older quantities, still a new status */
		}
		/* EXEC_PENDING: the venue has it, not yet accepted: nothing */
	}
	txn_commit(t, &x);
	out_finish(out, &x.e[0]);
	return 0;
}

uint32_t exec_tick(struct exec_table *t, const struct exec_cfg *cfg, int64_t now_ns,
		   uint64_t *coids, uint32_t max)
{
	int64_t due = now_ns - (int64_t)cfg->ack_timeout_ms * 1000000;
	uint32_t k = 0;
	for (uint64_t n = t->low_seq; n <= t->last_seq && k < max; n++) {
		uint32_t i = slot_of(t, n);
		const struct exec_order *e = &t->slot[i];
		if (e->coid != make_id(t, n) ||
		    (e->status != EXEC_PENDING && e->status != EXEC_CANCEL_PENDING) ||
		    e->since_ns > due)
			continue;
		struct txn x;
		txn_begin(t, &x);
		txn_add(&x, t, i)->since_ns = now_ns;
		x.ctr.queries++;
		txn_commit(t, &x);
		coids[k++] = e->coid;
	}
	return k;
}

/* ------------------------------------------------------------ fills out */

void exec_fill_published(struct exec_table *t, uint64_t fill_id)
{
	if (fill_id > t->published_fill)
		store_rel64(&t->published_fill, fill_id);
}

uint32_t exec_unpublished(const struct exec_table *t, struct exec_out *out, uint32_t max)
{
	uint64_t above = t->published_fill;
	uint32_t k = 0;
	while (k < max) {
		const struct exec_order *best = NULL;
		for (uint32_t i = 0; i < t->capacity; i++) {
			const struct exec_order *e = &t->slot[i];
			if (e->status && e->fill_id > above &&
			    (!best || e->fill_id < best->fill_id))
				best = e;
		}
		if (!best)
			break;
		struct exec_out *o = &out[k++];
		out_clear(o, best->coid);
		o->act = EXEC_ACT_REPORT | EXEC_ACT_FILL;
		o->fill_id = best->fill_id;
		o->fill_qty = best->fill_qty;
		o->fill_px = best->fill_px;
		o->fill_notional = best->fill_px * best->fill_qty;
		out_finish(o, best);
		above = best->fill_id;
	}
	return k;
}

/* ------------------------------------------------------------ reconciliation */

void exec_reconcile_begin(struct exec_table *t)
{
	store_rel32(&t->reconciling, 1);
	t->ctr.reconciles++;
	for (uint32_t i = 0; i < t->capacity; i++) {
		if (!is_open(t->slot[i].status) || (t->slot[i].flags & EXEC_F_UNCONFIRMED))
			continue;
		struct txn x;
		txn_begin(t, &x);
		txn_add(&x, t, i)->flags |= EXEC_F_UNCONFIRMED;
		txn_commit(t, &x);
	}
}

int exec_reconcile_order(struct exec_table *t, const struct exec_venue_view *v,
			 int64_t now_ns, struct exec_out *out)
{
	out_clear(out, v->coid);
	if (v->cum_qty < 0 || v->leaves_qty < 0 || v->status < EXEC_PENDING ||
	    v->status > EXEC_REJECTED || !isfinite(v->avg_px)) {
		return refuse_report(t, out, EXEC_R_BAD_REPORT, -EINVAL);
	}
	int64_t i = find_idx(t, v->coid);
	if (i < 0) {
		return refuse_report(t, out, EXEC_R_UNKNOWN_ORDER, -ENOENT);
	}
	struct txn x;
	txn_begin(t, &x);
	struct exec_order *e = txn_add(&x, t, (uint32_t)i);
	e->flags &= (uint16_t)~EXEC_F_UNCONFIRMED;
	check_venue_id(&x, e, v->venue_order_id, out);
	uint32_t vs = v->status;
	if (e->status == EXEC_NEW) {
		/* handed to the venue without exec_sent: it is there all the same */
		flag_anomaly(&x, e, out, EXEC_R_NOT_MARKED_SENT);
		apply(t, &x, EV_SENT, now_ns, out);
	}
	if (exec_status_terminal(e->status) && is_open(vs)) {
		flag_anomaly(&x, e, out, EXEC_R_CONTRADICTION); /* we ended it, it lives */
	} else {
		if (v->cum_qty > e->cum_qty) {
			int32_t d = v->cum_qty - e->cum_qty;
			int64_t notional;
			if (v->notional) {
				notional = v->notional - e->notional;
			} else if (v->avg_px > 0) {
				notional = llround(v->avg_px * v->cum_qty) - e->notional;
			} else {
				notional = e->px * d;
				e->flags |= EXEC_F_GAP_PRICED;
			}
			x.ctr.synthetic++;
			apply_fill(t, &x, v->cum_qty, notional, 0, now_ns, out);
		} else if (v->cum_qty < e->cum_qty) {
			flag_anomaly(&x, e, out, EXEC_R_CUM_BEHIND);
		}
		if (vs == EXEC_FILLED && e->status != EXEC_FILLED)
			flag_anomaly(&x, e, out, EXEC_R_CONTRADICTION); /* filled, short of qty */
		if ((vs == EXEC_ACK || vs == EXEC_PARTIAL || vs == EXEC_CANCEL_PENDING) &&
		    !(e->flags & EXEC_F_ACKED) && is_open(e->status))
			apply(t, &x, EV_ACK, now_ns, out); /* the venue has acknowledged it */
		if (vs == EXEC_CANCELLED && e->status != EXEC_CANCELLED && e->status != EXEC_FILLED)
			apply(t, &x, EV_CANCELLED, now_ns, out);
		else if (vs == EXEC_REJECTED && e->status != EXEC_REJECTED &&
			 e->status != EXEC_FILLED)
			apply(t, &x, EV_REJECTED, now_ns, out);
		else if ((vs == EXEC_ACK || vs == EXEC_PARTIAL) &&
			 e->status == EXEC_CANCEL_PENDING)
			apply(t, &x, EV_CXLREJ, now_ns, out); /* live, no cancel pending there */
	}
	txn_commit(t, &x);
	out_finish(out, &x.e[0]);
	return 0;
}

int exec_reconcile_owed(struct exec_table *t, uint64_t coid, int64_t now_ns,
			struct exec_out *out)
{
	out_clear(out, coid);
	int64_t i = find_idx(t, coid);
	if (i < 0)
		return refuse_report(t, out, EXEC_R_UNKNOWN_ORDER, -ENOENT);
	struct txn x;
	txn_begin(t, &x);
	struct exec_order *e = txn_add(&x, t, (uint32_t)i);
	e->flags &= (uint16_t)~EXEC_F_UNCONFIRMED;
	if (e->status == EXEC_NEW) {
		flag_anomaly(&x, e, out, EXEC_R_NOT_MARKED_SENT);
		apply(t, &x, EV_SENT, now_ns, out);
	}
	txn_commit(t, &x);
	out_finish(out, &x.e[0]);
	return 0;
}

uint32_t exec_reconcile_end(struct exec_table *t, int64_t now_ns, struct exec_out *out,
			    uint32_t max)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < t->capacity && k < max; i++) {
		if (!(t->slot[i].flags & EXEC_F_UNCONFIRMED))
			continue;
		struct exec_out *o = &out[k++];
		out_clear(o, t->slot[i].coid);
		struct txn x;
		txn_begin(t, &x);
		txn_add(&x, t, i);
		apply(t, &x, EV_LOST, now_ns, o);
		x.e[0].flags &= (uint16_t)~EXEC_F_UNCONFIRMED;
		txn_commit(t, &x);
		out_finish(o, &x.e[0]);
	}
	if (k == 0)
		store_rel32(&t->reconciling, 0);
	return k;
}

/* ------------------------------------------------------------ reading */

const struct exec_order *exec_find(const struct exec_table *t, uint64_t coid)
{
	int64_t i = find_idx(t, coid);
	return i < 0 ? NULL : &t->slot[i];
}

const struct exec_order *exec_find_decision(const struct exec_table *t, uint64_t decision_id)
{
	uint64_t n = t->last_seq;
	for (uint32_t k = 0; k < t->capacity && n >= 1; k++, n--) {
		const struct exec_order *e = &t->slot[slot_of(t, n)];
		if (e->status && e->coid == make_id(t, n) && e->decision_id == decision_id)
			return e;
	}
	return NULL;
}

const struct exec_order *exec_next_open(const struct exec_table *t, uint64_t *pos)
{
	uint64_t n = *pos < t->low_seq ? t->low_seq : *pos;
	for (; n <= t->last_seq; n++) {
		if (open_at(t, n)) {
			*pos = n + 1;
			return &t->slot[slot_of(t, n)];
		}
	}
	*pos = n;
	return NULL;
}

int exec_order_snapshot(const struct exec_table *t, uint32_t i, struct exec_order *copy)
{
	if (i >= t->capacity)
		return -EINVAL;
	const struct exec_order *s = &t->slot[i];
	for (int tries = 0; tries < 64; tries++) {
		uint32_t g0 = load_acq32(&s->gen); /* R0: pairs with W2 */
		if (g0 & 1u)
			continue;
		memcpy(copy, s, sizeof(*copy));
		atomic_thread_fence(memory_order_acquire);
		uint32_t g1 = atomic_load_explicit((_Atomic const uint32_t *)(const void *)&s->gen,
						   memory_order_relaxed); /* R1 */
		if (g0 == g1)
			return 0;
	}
	return -EAGAIN;
}
