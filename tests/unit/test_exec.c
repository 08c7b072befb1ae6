/*
 * test_exec.c — the order table (libcore/exec/exec.h): every transition of
 * the state machine, reports twice and out of order, over-fill, replace,
 * limits, ids across crashes (an update stopped between its steps, and
 * kill -9 of a child process working on shared memory), reconciliation,
 * status queries, and 100k random steps against a venue and a naive model
 * written here.
 *
 * Expected values are worked out in this file from the rules of
 * docs/execution.md: the transition table below is written independently
 * of the one in exec.c, and the random test checks the table against a
 * venue simulated here (quantities follow the highest cum_qty delivered;
 * once every report is in, the table agrees with the venue).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/exec/exec.h"
#include "libcore/types.h"
#include "libcore/vote/vote.h"
#include "tests/helpers.h"

/* jemalloc's control interface, weak: NULL in the sanitizer builds, which
 * do not link jemalloc. */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

#define EPOCH 77u
#define Q     10   /* quantity of the orders of the transition tests */
#define PX    100  /* their limit price */
#define MS    1000000ll

/* ------------------------------------------------------------ helpers */

/* Every start: connected, then reconciled (the venue knows nothing here). */
static void t_start(struct exec_table *t)
{
	struct exec_out o[8];
	exec_set_venue_up(t, 1);
	exec_reconcile_begin(t);
	while (exec_reconcile_end(t, 0, o, 8) > 0)
		;
}

static size_t t_size(uint32_t cap)
{
	return (exec_table_memsize(cap) + 63) & ~(size_t)63;
}

static struct exec_table *t_table(uint32_t cap, uint64_t epoch)
{
	size_t sz = t_size(cap);
	cr_assert(sz > 0);
	struct exec_table *t = aligned_alloc(64, sz);
	cr_assert(t);
	memset(t, 0xee, sz); /* init must set every byte it relies on */
	cr_assert_eq(exec_table_init(t, sz, cap, epoch), 0);
	cr_assert_eq(exec_table_attach(t, sz), 0);
	t_start(t);
	return t;
}

static struct exec_cfg t_cfg(uint32_t inflight, uint32_t open)
{
	struct exec_cfg c;
	exec_cfg_default(&c);
	c.max_inflight = inflight;
	c.max_open = open;
	return c;
}

static struct exec_report rp(uint64_t coid, uint32_t status, int32_t last, int32_t cum,
			     int64_t px, uint64_t exec_id)
{
	struct exec_report r;
	memset(&r, 0, sizeof(r));
	r.coid = coid;
	r.venue_order_id = 5000 + (coid & 0xffff);
	r.status = (uint8_t)status;
	r.last_qty = last;
	r.cum_qty = cum;
	r.leaves_qty = cum < Q ? Q - cum : 0;
	r.last_px = px;
	r.exec_id = exec_id;
	return r;
}

static int report(struct exec_table *t, uint64_t coid, uint32_t status, int32_t last,
		  int32_t cum, int64_t px, uint64_t exec_id, struct exec_out *o)
{
	struct exec_report r = rp(coid, status, last, cum, px, exec_id);
	return exec_on_report(t, &r, 0, o);
}

/* open and in-flight counted here from the slots, by the rules of exec.h */
static void check_gauges(const struct exec_table *t)
{
	uint32_t open = 0, infl = 0;
	for (uint32_t i = 0; i < t->capacity; i++) {
		const struct exec_order *e = &t->slot[i];
		uint32_t s = e->status;
		if (s == EXEC_NEW || s == EXEC_PENDING || s == EXEC_ACK || s == EXEC_PARTIAL ||
		    s == EXEC_CANCEL_PENDING)
			open++;
		if (s == EXEC_NEW || s == EXEC_PENDING ||
		    (s == EXEC_CANCEL_PENDING && !(e->flags & EXEC_F_ACKED)))
			infl++;
	}
	cr_assert_eq(t->ctr.open, open, "open gauge %u, counted %u", t->ctr.open, open);
	cr_assert_eq(t->ctr.inflight, infl, "inflight gauge %u, counted %u", t->ctr.inflight,
		     infl);
}

static uint64_t new_order(struct exec_table *t, int32_t qty)
{
	struct exec_cfg c = t_cfg(1000, 1000);
	uint64_t coid = 0;
	cr_assert_eq(exec_new_order(t, &c, 42, SIDE_BUY, qty, PX, ORD_LIMIT, TIF_DAY, 0, &coid),
		     0);
	return coid;
}

static uint64_t acked_order(struct exec_table *t, int32_t qty)
{
	struct exec_out o;
	uint64_t c = new_order(t, qty);
	cr_assert_eq(exec_sent(t, c, 0), 0);
	cr_assert_eq(report(t, c, EXEC_ACK, 0, 0, 0, 0, &o), 0);
	return c;
}

static const struct exec_order *E(const struct exec_table *t, uint64_t coid)
{
	const struct exec_order *e = exec_find(t, coid);
	cr_assert(e, "order %llx not found", (unsigned long long)coid);
	return e;
}

/* ------------------------------------------------------------ basics */

Test(exec, cfg_default_and_check)
{
	struct exec_cfg c;
	exec_cfg_default(&c);
	cr_assert_eq(c.max_inflight, 4);
	cr_assert_eq(c.max_open, 16);
	cr_assert_eq(c.ack_timeout_ms, 1000);
	cr_assert_eq(exec_cfg_check(&c), 0);
	c.max_open = 0;
	cr_assert_eq(exec_cfg_check(&c), -EINVAL);
}

Test(exec, init_and_attach_refuse_bad_input)
{
	cr_assert_eq(exec_table_memsize(3), 0);
	cr_assert_eq(exec_table_memsize(1), 0);
	cr_assert_eq(exec_table_memsize(EXEC_CAPACITY_MAX * 2), 0);
	cr_assert_eq(exec_table_memsize(1024),
		     sizeof(struct exec_table) + 1024 * sizeof(struct exec_order));
	size_t sz = t_size(64);
	struct exec_table *t = aligned_alloc(64, sz);
	memset(t, 0, sz);
	cr_assert_eq(exec_table_attach(t, sz), -DM_EMAGIC, "a zeroed area is not a table");
	cr_assert_eq(exec_table_init(t, sz, 64, 0), -EINVAL, "epoch 0");
	cr_assert_eq(exec_table_init(t, sz, 64, EXEC_EPOCH_MAX + 1), -EINVAL);
	cr_assert_eq(exec_table_init(t, sz, 48, 1), -EINVAL, "not a power of two");
	cr_assert_eq(exec_table_init(t, 100, 64, 1), -DM_ESIZE);
	cr_assert_eq(exec_table_init(t, sz, 64, EXEC_EPOCH_MAX), 0);
	cr_assert_eq(exec_table_attach(t, sz), 0);
	cr_assert_eq(exec_table_attach(t, 100), -DM_ESIZE);
	t->version = 99;
	cr_assert_eq(exec_table_attach(t, sz), -DM_EVERSION);
	t->version = EXEC_VERSION;
	t->log.state = 9;
	cr_assert_eq(exec_table_attach(t, sz), -DM_ECORRUPT);
	free(t);
}

Test(exec, names)
{
	cr_assert_str_eq(exec_status_name(EXEC_NEW), "new");
	cr_assert_str_eq(exec_status_name(EXEC_CANCEL_PENDING), "cancel_pending");
	cr_assert_str_eq(exec_status_name(EXEC_REJECTED), "rejected");
	cr_assert_str_eq(exec_status_name(0), "free");
	cr_assert_str_eq(exec_status_name(99), "?");
	cr_assert_str_eq(exec_reason_name(EXEC_R_OVERFILL), "overfill");
	cr_assert_str_eq(exec_reason_name(EXEC_R_COUNT), "?");
	for (uint32_t r = 0; r < EXEC_R_COUNT; r++)
		cr_assert_str_neq(exec_reason_name(r), "?", "reason %u has no name", r);
}

Test(exec, ids_carry_the_epoch_and_increase)
{
	struct exec_table *t = t_table(16, 0x123456);
	uint64_t prev = 0;
	for (int i = 0; i < 40; i++) {
		uint64_t c = new_order(t, 1);
		cr_assert_eq(c >> 40, 0x123456);
		cr_assert_gt(c, prev);
		prev = c;
		struct exec_out o;
		cr_assert_eq(exec_cancel(t, c, 0, &o), 0); /* ends it: its slot can be reused */
	}
	cr_assert_eq(prev & EXEC_SEQ_MASK, 40);
	free(t);
}

/* ------------------------------------------------------------ the transition table */

/* States an order is brought to (CXPU: cancel asked before the ack; CXPF:
 * cancel asked after a partial fill of 3). */
enum tstate { S_NEW, S_PND, S_ACK, S_PRT, S_FLD, S_CXP, S_CXD, S_REJ, S_CXPU, S_CXPF, S_N };
static const char *const tstate_name[S_N] = {
	"NEW", "PENDING", "ACK", "PARTIAL", "FILLED", "CANCEL_PENDING", "CANCELLED",
	"REJECTED", "CANCEL_PENDING(unacked)", "CANCEL_PENDING(partial)"
};
enum tev { V_SENT, V_CANCEL, V_REPLACE, V_ACK, V_CXLPEND, V_FILL, V_FULL, V_CANCELLED,
	   V_REJECTED, V_CXLREJ, V_LOST, V_N };
static const char *const tev_name[V_N] = {
	"sent", "cancel", "replace", "ack", "cancel_pending", "fill", "full_fill",
	"cancelled", "rejected", "cancel_reject", "lost"
};
/* what the caller is told to do */
enum cls { K_NONE, K_REPORT, K_FILL, K_CANCEL, K_DUP, K_STALE, K_ANOM, K_REFUSED, K_SKIP };

struct expect {
	uint8_t  next;    /* status after */
	uint8_t  cls;
	uint8_t  anomaly; /* EXEC_R_* or 0 */
	uint8_t  ooo;
	int      err;     /* K_REFUSED: the return */
	uint16_t reason;  /* ended here: exec_order.reason */
};

#define ND  EXEC_NEW
#define PD  EXEC_PENDING
#define AK  EXEC_ACK
#define PT  EXEC_PARTIAL
#define FD  EXEC_FILLED
#define CP  EXEC_CANCEL_PENDING
#define CD  EXEC_CANCELLED
#define RJ  EXEC_REJECTED
#define K(n, c)          { n, c, 0, 0, 0, 0 }
#define KA(n, c, a)      { n, c, a, 0, 0, 0 }
#define KO(n, c)         { n, c, 0, 1, 0, 0 }
#define KAO(n, c, a)     { n, c, a, 1, 0, 0 }
#define KR(n, e)         { n, K_REFUSED, 0, 0, e, 0 }
#define KL(n, r)         { n, K_REPORT, 0, 0, 0, r }
#define KLA(n, r)        { n, K_REPORT, r, 0, 0, r }
#define SKIP             { 0, K_SKIP, 0, 0, 0, 0 }

static const struct expect table[S_N][V_N] = {
	/*            sent             cancel                        replace
	 *            ack              cancel_pending   fill         full_fill
	 *            cancelled        rejected         cancel_reject lost */
	[S_NEW] = { K(PD, K_NONE), KL(CD, EXEC_R_UNSENT_CANCEL), KR(ND, -EBUSY),
		    KA(AK, K_REPORT, EXEC_R_NOT_MARKED_SENT), K(ND, K_STALE),
		    KAO(PT, K_FILL, EXEC_R_NOT_MARKED_SENT), KAO(FD, K_FILL, EXEC_R_NOT_MARKED_SENT),
		    KA(CD, K_REPORT, EXEC_R_NOT_MARKED_SENT), KA(RJ, K_REPORT, EXEC_R_NOT_MARKED_SENT),
		    K(ND, K_STALE), KL(RJ, EXEC_R_NOT_SENT) },
	[S_PND] = { KR(PD, -EALREADY), K(CP, K_CANCEL), K(CP, K_CANCEL),
		    K(AK, K_REPORT), K(PD, K_STALE), KO(PT, K_FILL), KO(FD, K_FILL),
		    K(CD, K_REPORT), K(RJ, K_REPORT), K(PD, K_STALE), KL(RJ, EXEC_R_NOT_SENT) },
	[S_ACK] = { KR(AK, -EALREADY), K(CP, K_CANCEL), K(CP, K_CANCEL),
		    K(AK, K_DUP), K(AK, K_STALE), K(PT, K_FILL), K(FD, K_FILL),
		    K(CD, K_REPORT), KA(RJ, K_REPORT, EXEC_R_REJECT_AFTER_ACK), K(AK, K_STALE),
		    KLA(CD, EXEC_R_VENUE_LOST) },
	[S_PRT] = { KR(PT, -EALREADY), K(CP, K_CANCEL), K(CP, K_CANCEL),
		    K(PT, K_STALE), K(PT, K_STALE), K(PT, K_FILL), K(FD, K_FILL),
		    K(CD, K_REPORT), KA(RJ, K_REPORT, EXEC_R_REJECT_AFTER_ACK), K(PT, K_STALE),
		    KLA(CD, EXEC_R_VENUE_LOST) },
	[S_FLD] = { KR(FD, -EALREADY), KR(FD, -EALREADY), KR(FD, -EALREADY),
		    K(FD, K_STALE), K(FD, K_STALE), SKIP, KA(FD, K_FILL, EXEC_R_OVERFILL),
		    KA(FD, K_ANOM, EXEC_R_CONTRADICTION), KA(FD, K_ANOM, EXEC_R_CONTRADICTION),
		    K(FD, K_STALE), K(FD, K_NONE) },
	[S_CXP] = { KR(CP, -EALREADY), KR(CP, -EALREADY), KR(CP, -EBUSY),
		    K(CP, K_DUP), K(CP, K_NONE), K(CP, K_FILL), K(FD, K_FILL),
		    K(CD, K_REPORT), KA(RJ, K_REPORT, EXEC_R_REJECT_AFTER_ACK), K(AK, K_REPORT),
		    KLA(CD, EXEC_R_VENUE_LOST) },
	[S_CXD] = { KR(CD, -EALREADY), KR(CD, -EALREADY), KR(CD, -EALREADY),
		    K(CD, K_STALE), K(CD, K_STALE), KO(CD, K_FILL), KO(FD, K_FILL),
		    K(CD, K_DUP), KA(CD, K_ANOM, EXEC_R_CONTRADICTION), K(CD, K_STALE),
		    K(CD, K_NONE) },
	[S_REJ] = { KR(RJ, -EALREADY), KR(RJ, -EALREADY), KR(RJ, -EALREADY),
		    K(RJ, K_STALE), K(RJ, K_STALE), KAO(RJ, K_FILL, EXEC_R_FILL_AFTER_REJECT),
		    KAO(FD, K_FILL, EXEC_R_FILL_AFTER_REJECT),
		    KA(RJ, K_ANOM, EXEC_R_CONTRADICTION), K(RJ, K_DUP), K(RJ, K_STALE),
		    K(RJ, K_NONE) },
	[S_CXPU] = { KR(CP, -EALREADY), KR(CP, -EALREADY), KR(CP, -EBUSY),
		     K(CP, K_REPORT), K(CP, K_NONE), KO(CP, K_FILL), KO(FD, K_FILL),
		     K(CD, K_REPORT), K(RJ, K_REPORT), K(PD, K_REPORT), KL(CD, EXEC_R_NOT_SENT) },
	[S_CXPF] = { KR(CP, -EALREADY), KR(CP, -EALREADY), KR(CP, -EBUSY),
		     K(CP, K_DUP), K(CP, K_NONE), K(CP, K_FILL), K(FD, K_FILL),
		     K(CD, K_REPORT), KA(RJ, K_REPORT, EXEC_R_REJECT_AFTER_ACK), K(PT, K_REPORT),
		     KLA(CD, EXEC_R_VENUE_LOST) },
};

static uint64_t g_exec_id;

/* Bring a fresh order to state s; *cum is its filled quantity. */
static uint64_t reach(struct exec_table *t, int s, int32_t *cum)
{
	struct exec_out o;
	*cum = 0;
	uint64_t c = new_order(t, Q);
	if (s == S_NEW)
		return c;
	cr_assert_eq(exec_sent(t, c, 0), 0);
	if (s == S_PND)
		return c;
	if (s == S_CXPU) {
		cr_assert_eq(exec_cancel(t, c, 0, &o), 0);
		return c;
	}
	if (s == S_REJ) {
		cr_assert_eq(report(t, c, EXEC_REJECTED, 0, 0, 0, 0, &o), 0);
		return c;
	}
	cr_assert_eq(report(t, c, EXEC_ACK, 0, 0, 0, 0, &o), 0);
	if (s == S_ACK)
		return c;
	if (s == S_PRT || s == S_CXPF) {
		cr_assert_eq(report(t, c, EXEC_PARTIAL, 3, 3, PX, ++g_exec_id, &o), 0);
		*cum = 3;
		if (s == S_CXPF)
			cr_assert_eq(exec_cancel(t, c, 0, &o), 0);
		return c;
	}
	if (s == S_FLD) {
		cr_assert_eq(report(t, c, EXEC_FILLED, Q, Q, PX, ++g_exec_id, &o), 0);
		*cum = Q;
		return c;
	}
	cr_assert_eq(exec_cancel(t, c, 0, &o), 0);
	if (s == S_CXD)
		cr_assert_eq(report(t, c, EXEC_CANCELLED, 0, 0, 0, 0, &o), 0);
	return c;
}

/* Fire event ev at order c (filled cum); the return of the call. */
static int fire(struct exec_table *t, uint64_t c, int ev, int32_t cum, struct exec_out *o)
{
	memset(o, 0, sizeof(*o));
	uint64_t nc;
	switch (ev) {
	case V_SENT:      return exec_sent(t, c, 0);
	case V_CANCEL:    return exec_cancel(t, c, 0, o);
	case V_REPLACE:   return exec_replace(t, c, 5, PX + 1, 0, &nc, o);
	case V_ACK:       return report(t, c, EXEC_ACK, 0, cum, 0, 0, o);
	case V_CXLPEND:   return report(t, c, EXEC_CANCEL_PENDING, 0, cum, 0, 0, o);
	case V_FILL:      return report(t, c, EXEC_PARTIAL, 2, cum + 2, PX - 1, ++g_exec_id, o);
	case V_FULL:
		if (cum >= Q) /* already filled: one more is an over-fill */
			return report(t, c, EXEC_FILLED, 1, Q + 1, PX, ++g_exec_id, o);
		return report(t, c, EXEC_FILLED, Q - cum, Q, PX, ++g_exec_id, o);
	case V_CANCELLED: return report(t, c, EXEC_CANCELLED, 0, cum, 0, 0, o);
	case V_REJECTED:  return report(t, c, EXEC_REJECTED, 0, cum, 0, 0, o);
	case V_CXLREJ:    return report(t, c, EXEC_VENUE_CANCEL_REJECT, 0, cum, 0, 0, o);
	case V_LOST: {
		struct exec_out outs[4];
		exec_reconcile_begin(t);
		uint32_t n = exec_reconcile_end(t, 0, outs, 4);
		cr_assert_leq(n, 1);
		if (n == 1)
			*o = outs[0];
		cr_assert_eq(exec_reconcile_end(t, 0, outs, 4), 0);
		cr_assert_eq(t->reconciling, 0);
		return 0;
	}
	}
	return -999;
}

static int classify(int rc, const struct exec_out *o)
{
	if (rc < 0)
		return K_REFUSED;
	if (o->act & EXEC_ACT_FILL)
		return K_FILL;
	if (o->act & EXEC_ACT_CANCEL)
		return K_CANCEL;
	if (o->act & EXEC_ACT_REPORT)
		return K_REPORT;
	if (o->act & EXEC_ACT_ANOMALY)
		return K_ANOM;
	if (o->act & EXEC_ACT_DUP)
		return K_DUP;
	if (o->act & EXEC_ACT_STALE)
		return K_STALE;
	return K_NONE;
}

Test(exec, every_transition_of_the_table)
{
	int checked = 0;
	for (int s = 0; s < S_N; s++) {
		for (int ev = 0; ev < V_N; ev++) {
			const struct expect *x = &table[s][ev];
			if (x->cls == K_SKIP)
				continue;
			struct exec_table *t = t_table(16, EPOCH);
			int32_t cum;
			uint64_t c = reach(t, s, &cum);
			struct exec_order before = *E(t, c);
			uint64_t anomalies = t->ctr.anomalies, ooo = t->ctr.ooo;
			struct exec_out o;
			int rc = fire(t, c, ev, cum, &o);
			const struct exec_order *e = E(t, c);
			const char *w = tstate_name[s], *v = tev_name[ev];
			cr_assert_eq(e->status, x->next, "%s + %s: status %s, expected %s", w, v,
				     exec_status_name(e->status), exec_status_name(x->next));
			cr_assert_eq(classify(rc, &o), x->cls, "%s + %s: class %d (act %#x rc %d), expected %d",
				     w, v, classify(rc, &o), o.act, rc, x->cls);
			if (x->cls == K_REFUSED) {
				cr_assert_eq(rc, x->err, "%s + %s: rc %d", w, v, rc);
				cr_assert_eq(memcmp((const char *)&before + 4, (const char *)e + 4,
						    sizeof(before) - 4), 0, "%s + %s: refused but changed", w, v);
			} else {
				cr_assert_eq(rc, 0, "%s + %s: rc %d", w, v, rc);
			}
			if (x->anomaly) {
				cr_assert(o.act & EXEC_ACT_ANOMALY, "%s + %s: no anomaly", w, v);
				cr_assert_eq(o.anomaly, x->anomaly, "%s + %s: anomaly %s", w, v,
					     exec_reason_name(o.anomaly));
				cr_assert_eq(t->ctr.anomalies, anomalies + 1);
			} else {
				cr_assert_not(o.act & EXEC_ACT_ANOMALY, "%s + %s: anomaly %s", w, v,
					      exec_reason_name(o.anomaly));
				cr_assert_eq(t->ctr.anomalies, anomalies);
			}
			cr_assert_eq(!!(o.act & EXEC_ACT_OOO), x->ooo, "%s + %s: ooo", w, v);
			cr_assert_eq(t->ctr.ooo, ooo + x->ooo);
			if (x->reason) {
				cr_assert(e->flags & EXEC_F_LOCAL, "%s + %s: not ended here", w, v);
				cr_assert_eq(e->reason, x->reason, "%s + %s: reason %s", w, v,
					     exec_reason_name(e->reason));
			}
			if (rc == 0 && ev != V_SENT && (o.act & (EXEC_ACT_REPORT | EXEC_ACT_ANOMALY |
								EXEC_ACT_DUP | EXEC_ACT_STALE))) {
				cr_assert_eq(o.coid, c);
				cr_assert_eq(o.status, x->next, "%s + %s: out status", w, v);
			}
			/* quantities: a fill moves cum to the report's, nothing else does */
			int32_t want = cum;
			if (ev == V_FILL)
				want = cum + 2;
			if (ev == V_FULL)
				want = cum >= Q ? Q + 1 : Q;
			cr_assert_eq(e->cum_qty, want, "%s + %s: cum %d", w, v, e->cum_qty);
			if (x->cls == K_FILL)
				cr_assert_eq(o.fill_qty, want - cum);
			int open = x->next == ND || x->next == PD || x->next == AK ||
				   x->next == PT || x->next == CP;
			if (rc == 0 && ev != V_SENT)
				cr_assert_eq(o.leaves_qty, open ? Q - want : 0, "%s + %s: leaves %d",
					     w, v, o.leaves_qty);
			if (ev == V_REPLACE && x->cls == K_CANCEL) {
				const struct exec_order *r = E(t, o.other_coid);
				cr_assert_eq(r->status, EXEC_NEW);
				cr_assert_eq(r->replaces, c);
				cr_assert_eq(e->replaced_by, o.other_coid);
				cr_assert_eq(r->qty, 5);
				cr_assert_eq(r->px, PX + 1);
				cr_assert_eq(r->decision_id, e->decision_id);
			}
			cr_assert_eq(e->gen & 1u, 0);
			check_gauges(t);
			checked++;
			free(t);
		}
	}
	cr_assert_eq(checked, S_N * V_N - 1);
}

/* ------------------------------------------------------------ out of order, twice */

Test(exec, fill_before_ack_implies_the_ack)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o;
	uint64_t c = new_order(t, Q);
	exec_sent(t, c, 0);
	cr_assert_eq(report(t, c, EXEC_PARTIAL, 4, 4, 101, 900, &o), 0);
	cr_assert(o.act & EXEC_ACT_FILL);
	cr_assert(o.act & EXEC_ACT_OOO);
	cr_assert_eq(o.fill_qty, 4);
	cr_assert_eq(o.fill_px, 101);
	cr_assert_eq(E(t, c)->status, EXEC_PARTIAL);
	cr_assert(E(t, c)->flags & EXEC_F_ACKED);
	cr_assert_eq(t->ctr.inflight, 0, "acknowledged by the fill: no longer in flight");
	/* the ack comes late: ignored */
	cr_assert_eq(report(t, c, EXEC_ACK, 0, 0, 0, 0, &o), 0);
	cr_assert_eq(o.act, EXEC_ACT_STALE);
	cr_assert_eq(E(t, c)->status, EXEC_PARTIAL);
	cr_assert_eq(E(t, c)->cum_qty, 4);
	cr_assert_eq(t->ctr.acks, 0);
	cr_assert_eq(t->ctr.stale, 1);
	cr_assert_eq(t->ctr.ooo, 1);
	free(t);
}

Test(exec, cancel_confirmation_before_the_fill)
{
	/* the venue filled 3 then cancelled the rest; the cancel arrives first
	 * and carries cum 3 without a price: the 3 are applied at once (priced
	 * at the limit, flagged), the fill report after it is stale */
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o;
	uint64_t c = acked_order(t, Q);
	exec_cancel(t, c, 0, &o);
	cr_assert_eq(report(t, c, EXEC_CANCELLED, 0, 3, 0, 0, &o), 0);
	cr_assert(o.act & EXEC_ACT_FILL);
	cr_assert(o.act & EXEC_ACT_REPORT);
	cr_assert(o.act & EXEC_ACT_OOO);
	cr_assert_eq(o.fill_qty, 3);
	cr_assert_eq(o.fill_px, PX);
	cr_assert_eq(o.status, EXEC_CANCELLED);
	cr_assert_eq(o.leaves_qty, 0);
	cr_assert(E(t, c)->flags & EXEC_F_GAP_PRICED);
	cr_assert_eq(report(t, c, EXEC_PARTIAL, 3, 3, 99, 901, &o), 0);
	cr_assert_eq(o.act, EXEC_ACT_STALE);
	cr_assert_eq(E(t, c)->cum_qty, 3);
	cr_assert_eq(E(t, c)->status, EXEC_CANCELLED);

	/* the other order of events: CANCELLED with cum 0, then a fill that
	 * raced the cancel: applied, the order stays CANCELLED */
	uint64_t d = acked_order(t, Q);
	exec_cancel(t, d, 0, &o);
	cr_assert_eq(report(t, d, EXEC_CANCELLED, 0, 0, 0, 0, &o), 0);
	cr_assert_eq(report(t, d, EXEC_PARTIAL, 2, 2, 99, 902, &o), 0);
	cr_assert(o.act & EXEC_ACT_FILL);
	cr_assert(o.act & EXEC_ACT_OOO);
	cr_assert_eq(o.fill_qty, 2);
	cr_assert_eq(o.fill_px, 99);
	cr_assert_eq(E(t, d)->status, EXEC_CANCELLED);
	cr_assert_eq(E(t, d)->cum_qty, 2);
	check_gauges(t);
	free(t);
}

Test(exec, fills_reordered_follow_cum_qty)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o;
	uint64_t c = acked_order(t, Q);
	/* venue: fill A 2 @ 100 (cum 2), fill B 3 @ 102 (cum 5); B arrives first */
	cr_assert_eq(report(t, c, EXEC_PARTIAL, 3, 5, 102, 11, &o), 0);
	cr_assert_eq(o.fill_qty, 5, "cum jumps 0 -> 5: all 5 forwarded");
	cr_assert_eq(o.fill_px, 102);
	cr_assert(o.act & EXEC_ACT_OOO);
	cr_assert_eq(report(t, c, EXEC_PARTIAL, 2, 2, 100, 10, &o), 0);
	cr_assert_eq(o.act, EXEC_ACT_STALE, "cum 2 < 5: already counted");
	/* a status with older quantities still applies */
	cr_assert_eq(report(t, c, EXEC_CANCELLED, 0, 2, 0, 0, &o), 0);
	cr_assert_eq(E(t, c)->status, EXEC_CANCELLED);
	cr_assert_eq(E(t, c)->cum_qty, 5);
	cr_assert(o.act & EXEC_ACT_REPORT);
	cr_assert(o.act & EXEC_ACT_OOO);
	free(t);
}

Test(exec, every_report_twice)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o;
	struct {
		uint32_t status;
		int32_t last, cum;
		uint64_t exec_id;
		uint32_t second; /* act of the second delivery */
	} seq[] = {
		{ EXEC_ACK, 0, 0, 0, EXEC_ACT_DUP },
		{ EXEC_PARTIAL, 2, 2, 21, EXEC_ACT_DUP },
		{ EXEC_CANCEL_PENDING, 0, 2, 0, 0 }, /* info while our cancel is pending */
		{ EXEC_VENUE_CANCEL_REJECT, 0, 2, 0, EXEC_ACT_STALE },
		{ EXEC_PARTIAL, 3, 5, 22, EXEC_ACT_DUP },
		{ EXEC_FILLED, 5, Q, 23, EXEC_ACT_DUP },
	};
	uint64_t c = new_order(t, Q);
	exec_sent(t, c, 0);
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		if (seq[i].status == EXEC_CANCEL_PENDING)
			cr_assert_eq(exec_cancel(t, c, 0, &o), 0);
		cr_assert_eq(report(t, c, seq[i].status, seq[i].last, seq[i].cum, PX,
				    seq[i].exec_id, &o), 0);
		struct exec_order after1 = *E(t, c);
		uint64_t fills = t->ctr.fills;
		cr_assert_eq(report(t, c, seq[i].status, seq[i].last, seq[i].cum, PX,
				    seq[i].exec_id, &o), 0);
		cr_assert_eq(o.act, seq[i].second, "%s twice: act %#x",
			     exec_status_name(seq[i].status), o.act);
		const struct exec_order *e = E(t, c);
		cr_assert_eq(e->status, after1.status);
		cr_assert_eq(e->cum_qty, after1.cum_qty);
		cr_assert_eq(t->ctr.fills, fills, "a duplicate forwards nothing");
	}
	cr_assert_eq(E(t, c)->status, EXEC_FILLED);
	cr_assert_eq(t->ctr.fill_qty, Q);

	/* cancelled and rejected, twice each */
	uint64_t d = acked_order(t, Q);
	exec_cancel(t, d, 0, &o);
	report(t, d, EXEC_CANCELLED, 0, 0, 0, 0, &o);
	cr_assert(o.act & EXEC_ACT_REPORT);
	report(t, d, EXEC_CANCELLED, 0, 0, 0, 0, &o);
	cr_assert_eq(o.act, EXEC_ACT_DUP);
	uint64_t r = new_order(t, Q);
	exec_sent(t, r, 0);
	report(t, r, EXEC_REJECTED, 0, 0, 0, 0, &o);
	cr_assert(o.act & EXEC_ACT_REPORT);
	report(t, r, EXEC_REJECTED, 0, 0, 0, 0, &o);
	cr_assert_eq(o.act, EXEC_ACT_DUP);
	/* an older fill delivered again after a newer one: stale, not applied */
	uint64_t f = acked_order(t, Q);
	report(t, f, EXEC_PARTIAL, 1, 1, PX, 31, &o);
	report(t, f, EXEC_PARTIAL, 1, 2, PX, 32, &o);
	report(t, f, EXEC_PARTIAL, 1, 1, PX, 31, &o);
	cr_assert_eq(o.act, EXEC_ACT_STALE);
	cr_assert_eq(E(t, f)->cum_qty, 2);
	free(t);
}

Test(exec, overfill_is_applied_and_flagged)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o;
	uint64_t c = acked_order(t, Q);
	cr_assert_eq(report(t, c, EXEC_FILLED, 12, 12, PX, 40, &o), 0);
	cr_assert(o.act & EXEC_ACT_FILL);
	cr_assert(o.act & EXEC_ACT_ANOMALY);
	cr_assert_eq(o.anomaly, EXEC_R_OVERFILL);
	cr_assert_eq(o.fill_qty, 12, "the venue's contracts are ours: never dropped");
	cr_assert_eq(o.leaves_qty, 0);
	cr_assert_eq(E(t, c)->status, EXEC_FILLED);
	cr_assert(E(t, c)->flags & EXEC_F_OVERFILL);
	cr_assert_eq(t->ctr.overfills, 1);
	cr_assert_eq(report(t, c, EXEC_FILLED, 1, 13, PX, 41, &o), 0);
	cr_assert_eq(o.anomaly, EXEC_R_OVERFILL);
	cr_assert_eq(t->ctr.overfills, 2);
	cr_assert_eq(t->ctr.anomalies, 2);
	free(t);
}

Test(exec, malformed_and_unknown_reports)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o;
	uint64_t c = acked_order(t, Q);
	struct exec_report r = rp(c, EXEC_PARTIAL, 3, 2, PX, 1); /* last > cum */
	cr_assert_eq(exec_on_report(t, &r, 0, &o), -EINVAL);
	cr_assert_eq(o.anomaly, EXEC_R_BAD_REPORT);
	r = rp(c, EXEC_NEW, 0, 0, 0, 0);
	cr_assert_eq(exec_on_report(t, &r, 0, &o), -EINVAL);
	r = rp(c + 1000, EXEC_ACK, 0, 0, 0, 0);
	cr_assert_eq(exec_on_report(t, &r, 0, &o), -ENOENT);
	cr_assert_eq(o.anomaly, EXEC_R_UNKNOWN_ORDER);
	r = rp((uint64_t)(EPOCH + 1) << 40 | (c & EXEC_SEQ_MASK), EXEC_ACK, 0, 0, 0, 0);
	cr_assert_eq(exec_on_report(t, &r, 0, &o), -ENOENT, "another epoch's id");
	cr_assert_eq(t->ctr.anomalies, 4);
	/* the venue renames the order */
	r = rp(c, EXEC_PARTIAL, 1, 1, PX, 2);
	r.venue_order_id = 777;
	cr_assert_eq(exec_on_report(t, &r, 0, &o), 0);
	cr_assert_eq(o.anomaly, EXEC_R_VENUE_ID);
	cr_assert_eq(o.fill_qty, 1);
	free(t);
}

/* ------------------------------------------------------------ replace */

Test(exec, replace_happy_path)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o;
	uint64_t c = acked_order(t, Q), n = 0;
	cr_assert_eq(exec_replace(t, c, 6, PX + 2, 5, &n, &o), 0);
	cr_assert_eq(o.act, EXEC_ACT_CANCEL);
	cr_assert_eq(o.other_coid, n);
	cr_assert_gt(n, c);
	cr_assert_eq(E(t, c)->status, EXEC_CANCEL_PENDING);
	cr_assert_eq(E(t, n)->status, EXEC_NEW);
	cr_assert_eq(E(t, n)->replaces, c);
	cr_assert_eq(E(t, c)->replaced_by, n);
	cr_assert_eq(t->ctr.open, 2);
	cr_assert_eq(report(t, c, EXEC_CANCELLED, 0, 0, 0, 0, &o), 0);
	cr_assert_eq(o.act, EXEC_ACT_REPORT | EXEC_ACT_SEND_OTHER);
	cr_assert_eq(o.other_coid, n);
	cr_assert_eq(o.other_status, EXEC_NEW);
	cr_assert_eq(E(t, n)->qty, 6);
	cr_assert_eq(E(t, n)->px, PX + 2);
	cr_assert_eq(exec_sent(t, n, 0), 0);
	cr_assert_eq(report(t, n, EXEC_ACK, 0, 0, 0, 0, &o), 0);
	cr_assert_eq(E(t, n)->status, EXEC_ACK);
	cr_assert_eq(t->ctr.replaces, 1);
	check_gauges(t);
	free(t);
}

/* old order of Q, 2 filled before the replace; raced = fills during the
 * cancel; the replacement must never let old + new exceed 2 + new_qty */
static void replace_race(int32_t new_qty, int32_t raced, int32_t want_qty, uint16_t dropped)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o;
	uint64_t c = acked_order(t, Q), n = 0;
	report(t, c, EXEC_PARTIAL, 2, 2, PX, 1, &o);
	cr_assert_eq(exec_replace(t, c, new_qty, PX + 1, 0, &n, &o), 0);
	if (raced)
		cr_assert_eq(report(t, c, EXEC_PARTIAL, raced, 2 + raced, PX, 2, &o), 0);
	cr_assert_eq(E(t, c)->status, EXEC_CANCEL_PENDING);
	cr_assert_eq(report(t, c, EXEC_CANCELLED, 0, 2 + raced, 0, 0, &o), 0);
	if (dropped) {
		cr_assert_eq(o.act & (EXEC_ACT_SEND_OTHER | EXEC_ACT_REPORT_OTHER),
			     EXEC_ACT_REPORT_OTHER);
		cr_assert_eq(o.other_status, EXEC_REJECTED);
		cr_assert_eq(o.other_reason, dropped);
		cr_assert_eq(E(t, n)->status, EXEC_REJECTED);
		cr_assert(E(t, n)->flags & EXEC_F_LOCAL);
	} else {
		cr_assert(o.act & EXEC_ACT_SEND_OTHER);
		cr_assert_eq(E(t, n)->qty, want_qty);
		cr_assert_eq(E(t, c)->cum_qty + E(t, n)->qty, 2 + new_qty);
	}
	check_gauges(t);
	free(t);
}

Test(exec, replace_reduced_by_fills_that_raced_the_cancel)
{
	replace_race(6, 0, 6, 0);
	replace_race(6, 3, 3, 0);
	replace_race(6, 6, 0, EXEC_R_REPLACE_FILLED);
	replace_race(2, 3, 0, EXEC_R_REPLACE_FILLED);
}

Test(exec, replace_dropped_when_the_old_order_fills_or_stands)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o;
	uint64_t c = acked_order(t, Q), n = 0;
	exec_replace(t, c, 4, PX, 0, &n, &o);
	cr_assert_eq(report(t, c, EXEC_FILLED, Q, Q, PX, 1, &o), 0);
	cr_assert(o.act & EXEC_ACT_FILL);
	cr_assert(o.act & EXEC_ACT_REPORT_OTHER);
	cr_assert_eq(o.other_reason, EXEC_R_REPLACE_FILLED);
	cr_assert_eq(E(t, n)->status, EXEC_REJECTED);
	cr_assert_eq(report(t, c, EXEC_VENUE_CANCEL_REJECT, 0, Q, 0, 0, &o), 0);
	cr_assert_eq(o.act, EXEC_ACT_STALE, "the cancel lost the race: expected");

	uint64_t d = acked_order(t, Q);
	exec_replace(t, d, 4, PX, 0, &n, &o);
	cr_assert_eq(report(t, d, EXEC_VENUE_CANCEL_REJECT, 0, 0, 0, 0, &o), 0);
	cr_assert_eq(E(t, d)->status, EXEC_ACK, "the old order stands");
	cr_assert_eq(o.other_reason, EXEC_R_REPLACE_REFUSED);
	cr_assert_eq(E(t, n)->status, EXEC_REJECTED);
	cr_assert_eq(t->ctr.cancel_rejects, 1);

	/* the caller cancels the waiting replacement: nothing to send later */
	uint64_t f = acked_order(t, Q);
	exec_replace(t, f, 4, PX, 0, &n, &o);
	cr_assert_eq(exec_cancel(t, n, 0, &o), 0);
	cr_assert_eq(o.act, EXEC_ACT_REPORT);
	cr_assert_eq(E(t, n)->status, EXEC_CANCELLED);
	cr_assert_eq(E(t, n)->reason, EXEC_R_UNSENT_CANCEL);
	cr_assert_eq(report(t, f, EXEC_CANCELLED, 0, 0, 0, 0, &o), 0);
	cr_assert_eq(o.act, EXEC_ACT_REPORT);
	cr_assert_eq(o.other_coid, 0);

	/* refusals */
	uint64_t g = new_order(t, Q);
	cr_assert_eq(exec_replace(t, g, 4, PX, 0, &n, &o), -EBUSY);
	exec_sent(t, g, 0);
	cr_assert_eq(exec_replace(t, g, 0, PX, 0, &n, &o), -EINVAL);
	cr_assert_eq(exec_replace(t, g, 4, 0, 0, &n, &o), -EINVAL, "a limit needs a price");
	cr_assert_eq(exec_replace(t, c, 4, PX, 0, &n, &o), -EALREADY);
	cr_assert_eq(exec_replace(t, 12345, 4, PX, 0, &n, &o), -ENOENT);
	check_gauges(t);
	free(t);
}

/* ------------------------------------------------------------ limits */

Test(exec, limits_below_at_and_above)
{
	for (uint32_t mi = 1; mi <= 4; mi++) {
		for (uint32_t mo = 1; mo <= 6; mo++) {
			struct exec_table *t = t_table(16, EPOCH);
			struct exec_cfg cfg = t_cfg(mi, mo);
			uint64_t c[16];
			uint32_t n = 0;
			/* send orders without acks: in flight fills up first, or open */
			for (;;) {
				uint32_t can = exec_can_accept(t, &cfg);
				int rc = exec_new_order(t, &cfg, 1, SIDE_SELL, 1, PX, ORD_LIMIT,
							TIF_DAY, 0, &c[n]);
				cr_assert_eq((uint32_t)rc == 0 ? VOTE_R_APPROVED : (uint32_t)rc, can,
					     "new order and can_accept disagree");
				if (rc) {
					uint32_t want = n >= mi ? VOTE_R_INFLIGHT : VOTE_R_OPEN_ORDERS;
					cr_assert_eq((uint32_t)rc, want, "mi %u mo %u n %u: %s", mi, mo, n,
						     vote_reason_name((uint32_t)rc));
					break;
				}
				exec_sent(t, c[n], 0);
				n++;
			}
			cr_assert_eq(n, mi < mo ? mi : mo, "accepted up to min(inflight, open)");
			/* ack them all: only the open limit is left */
			struct exec_out o;
			for (uint32_t i = 0; i < n; i++)
				report(t, c[i], EXEC_ACK, 0, 0, 0, 0, &o);
			while (exec_new_order(t, &cfg, 1, SIDE_BUY, 1, PX, ORD_LIMIT, TIF_DAY, 0,
					      &c[n]) == 0) {
				exec_sent(t, c[n], 0);
				report(t, c[n], EXEC_ACK, 0, 0, 0, 0, &o);
				n++;
			}
			cr_assert_eq(n, mo, "open orders at the limit");
			cr_assert_eq(exec_can_accept(t, &cfg), VOTE_R_OPEN_ORDERS);
			/* one ends: one more fits */
			report(t, c[0], EXEC_FILLED, 1, 1, PX, 9, &o);
			cr_assert_eq(exec_can_accept(t, &cfg), VOTE_R_APPROVED);
			cr_assert_eq(t->ctr.open, mo - 1);
			check_gauges(t);
			free(t);
		}
	}
}

Test(exec, refusals_venue_down_reconciling_bad_order)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_cfg cfg = t_cfg(4, 16);
	uint64_t c;
	exec_set_venue_up(t, 0);
	cr_assert_eq(exec_can_accept(t, &cfg), VOTE_R_VENUE_DOWN);
	cr_assert_eq(exec_new_order(t, &cfg, 1, SIDE_BUY, 1, PX, ORD_LIMIT, TIF_DAY, 0, &c),
		     VOTE_R_VENUE_DOWN);
	exec_set_venue_up(t, 1);
	exec_reconcile_begin(t);
	cr_assert_eq(exec_can_accept(t, &cfg), VOTE_R_RECONCILING);
	struct exec_out o[2];
	cr_assert_eq(exec_reconcile_end(t, 0, o, 2), 0);
	cr_assert_eq(exec_can_accept(t, &cfg), VOTE_R_APPROVED);
	int bad[][5] = { /* side, qty, px, type, tif */
		{ 0, 1, PX, ORD_LIMIT, TIF_DAY },  { SIDE_BUY, 0, PX, ORD_LIMIT, TIF_DAY },
		{ SIDE_BUY, -1, PX, ORD_LIMIT, TIF_DAY }, { SIDE_BUY, 1, 0, ORD_LIMIT, TIF_DAY },
		{ SIDE_BUY, 1, PX, 7, TIF_DAY },   { SIDE_BUY, 1, PX, ORD_LIMIT, 9 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(exec_new_order(t, &cfg, 1, bad[i][0], bad[i][1], bad[i][2],
					    (uint32_t)bad[i][3], (uint32_t)bad[i][4], 0, &c),
			     VOTE_R_BAD_ORDER, "row %zu", i);
	cr_assert_eq(exec_new_order(t, &cfg, 1, SIDE_SELL, 3, 0, ORD_MARKET, TIF_IOC, 0, &c), 0,
		     "a market order needs no price");
	cr_assert_eq(t->ctr.refused, 1 + 6, "venue down once, six bad orders");
	free(t);
}

Test(exec, a_full_table_skips_live_slots)
{
	/* 4 slots, 3 live orders that never end: ids skip their slots, and
	 * with 4 live nothing is free */
	struct exec_table *t = t_table(4, EPOCH);
	struct exec_cfg cfg = t_cfg(100, 100);
	uint64_t live[4], c;
	for (int i = 0; i < 3; i++)
		live[i] = acked_order(t, 1);
	struct exec_out o;
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(exec_new_order(t, &cfg, 1, SIDE_BUY, 1, PX, ORD_LIMIT, TIF_DAY, 0, &c), 0);
		exec_cancel(t, c, 0, &o); /* ends at once: its slot is free again */
		for (int k = 0; k < 3; k++)
			cr_assert_eq(E(t, live[k])->status, EXEC_ACK, "a live order was overwritten");
	}
	live[3] = acked_order(t, 1);
	cr_assert_eq(exec_new_order(t, &cfg, 1, SIDE_BUY, 1, PX, ORD_LIMIT, TIF_DAY, 0, &c),
		     VOTE_R_OPEN_ORDERS);
	free(t);
}

/* ------------------------------------------------------------ tick, iteration */

Test(exec, tick_asks_for_status_after_the_timeout)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_cfg cfg = t_cfg(4, 16); /* 1000 ms */
	struct exec_out o;
	uint64_t q[8], a, b, c;
	cr_assert_eq(exec_new_order(t, &cfg, 1, SIDE_BUY, 1, PX, ORD_LIMIT, TIF_DAY, 0, &a), 0);
	exec_sent(t, a, 100 * MS);
	b = acked_order(t, 2);
	cr_assert_eq(exec_new_order(t, &cfg, 1, SIDE_BUY, 1, PX, ORD_LIMIT, TIF_DAY, 0, &c), 0);
	exec_sent(t, c, 0);
	report(t, c, EXEC_ACK, 0, 0, 0, 0, &o);
	exec_cancel(t, c, 300 * MS, &o);
	cr_assert_eq(exec_tick(t, &cfg, 1099 * MS, q, 8), 0);
	cr_assert_eq(exec_tick(t, &cfg, 1100 * MS, q, 8), 1);
	cr_assert_eq(q[0], a);
	cr_assert_eq(exec_tick(t, &cfg, 1100 * MS, q, 8), 0, "asked once per timeout");
	cr_assert_eq(exec_tick(t, &cfg, 1300 * MS, q, 8), 1);
	cr_assert_eq(q[0], c, "a pending cancel is asked about too");
	cr_assert_eq(exec_tick(t, &cfg, 2100 * MS, q, 8), 1);
	cr_assert_eq(q[0], a);
	cr_assert_eq(exec_tick(t, &cfg, 9000 * MS, q, 1), 1, "max respected");
	cr_assert_eq(t->ctr.queries, 4);
	(void)b;
	free(t);
}

Test(exec, open_orders_in_id_order_and_cancel_all)
{
	struct exec_table *t = t_table(8, EPOCH);
	struct exec_out o[16];
	uint64_t ids[6];
	for (int i = 0; i < 6; i++)
		ids[i] = acked_order(t, 1);
	report(t, ids[1], EXEC_FILLED, 1, 1, PX, 5, &o[0]);
	report(t, ids[4], EXEC_CANCELLED, 0, 0, 0, 0, &o[0]);
	uint64_t n = new_order(t, 1); /* NEW: cancelled here */
	uint64_t want[] = { ids[0], ids[2], ids[3], ids[5], n };
	uint64_t pos = 0;
	const struct exec_order *e;
	size_t k = 0;
	while ((e = exec_next_open(t, &pos)) != NULL) {
		cr_assert_lt(k, 5);
		cr_assert_eq(e->coid, want[k++]);
	}
	cr_assert_eq(k, 5);
	cr_assert_eq(exec_cancel_all(t, 0, o, 2), 2);
	cr_assert_eq(exec_cancel_all(t, 0, o + 2, 16), 3);
	cr_assert_eq(exec_cancel_all(t, 0, o + 5, 16), 0, "cancels pending: nothing more to ask");
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(o[i].act, EXEC_ACT_CANCEL);
		cr_assert_eq(o[i].coid, want[i]);
	}
	cr_assert_eq(o[4].act, EXEC_ACT_REPORT);
	cr_assert_eq(o[4].status, EXEC_CANCELLED);
	cr_assert_eq(t->ctr.open, 4);
	check_gauges(t);
	free(t);
}

Test(exec, find_decision_and_snapshot)
{
	struct exec_table *t = t_table(8, EPOCH);
	struct exec_cfg cfg = t_cfg(10, 10);
	uint64_t a, b;
	exec_new_order(t, &cfg, 1001, SIDE_BUY, 1, PX, ORD_LIMIT, TIF_DAY, 0, &a);
	exec_new_order(t, &cfg, 1002, SIDE_BUY, 1, PX, ORD_LIMIT, TIF_DAY, 0, &b);
	cr_assert_eq(exec_find_decision(t, 1001)->coid, a);
	cr_assert_eq(exec_find_decision(t, 1002)->coid, b);
	cr_assert_null(exec_find_decision(t, 1003));
	struct exec_order copy;
	uint32_t i = (uint32_t)(b & 7);
	cr_assert_eq(exec_order_snapshot(t, i, &copy), 0);
	cr_assert_eq(copy.coid, b);
	t->slot[i].gen |= 1; /* a writer in the middle of it */
	cr_assert_eq(exec_order_snapshot(t, i, &copy), -EAGAIN);
	cr_assert_eq(exec_order_snapshot(t, 8, &copy), -EINVAL);
	free(t);
}

Test(exec, out_report_builds_the_message)
{
	struct exec_table *t = t_table(8, EPOCH);
	struct exec_out o;
	uint64_t c = acked_order(t, Q);
	struct exec_report r = rp(c, EXEC_PARTIAL, 4, 4, 103, 77);
	r.fee_e9 = 250;
	r.venue_ns = 123456;
	r.liquidity = MSG_LIQ_MAKER;
	exec_on_report(t, &r, 0, &o);
	struct msg_exec_report m;
	exec_out_report(t, &o, 0, &m);
	cr_assert_eq(m.liquidity, MSG_LIQ_MAKER, "the venue's flag passes through");
	cr_assert_eq(m.hdr.type, MSG_EXEC_REPORT);
	cr_assert_eq(m.hdr.size, sizeof(m));
	cr_assert_eq(m.client_order_id, c);
	cr_assert_eq(m.exec_id, o.fill_id);
	cr_assert_neq(m.exec_id, 77, "downstream ids are the table's, not the venue's");
	cr_assert_eq(m.exec_id >> 40, EPOCH);
	cr_assert_eq(m.last_px, 103);
	cr_assert_eq(m.last_qty, 4);
	cr_assert_eq(m.cum_qty, 4);
	cr_assert_eq(m.leaves_qty, Q - 4);
	cr_assert_eq(m.status, EXEC_PARTIAL);
	cr_assert_eq(m.side, SIDE_BUY);
	cr_assert_eq(m.fee_e9, 250);
	cr_assert_eq(m.venue_ns, 123456);
	cr_assert_eq(m.venue_order_id, r.venue_order_id);
	uint64_t n;
	exec_replace(t, c, 2, PX, 0, &n, &o);
	report(t, c, EXEC_VENUE_CANCEL_REJECT, 0, 4, 0, 0, &o);
	exec_out_report(t, &o, 1, &m);
	cr_assert_eq(m.client_order_id, n);
	cr_assert_eq(m.status, EXEC_REJECTED);
	cr_assert_eq(m.reason, EXEC_R_REPLACE_REFUSED);
	cr_assert_eq(m.exec_id, 0);
	free(t);
}

Test(exec, merged_fill_carries_no_liquidity)
{
	struct exec_table *t = t_table(8, EPOCH);
	struct exec_out o;
	uint64_t c = acked_order(t, Q);
	/* the venue's fill of 2 was missed: this one of 1 brings cum to 3, a
	 * fill of 3 made of two venue fills whose sides may differ */
	struct exec_report r = rp(c, EXEC_PARTIAL, 1, 3, 103, 78);
	r.liquidity = MSG_LIQ_TAKER;
	cr_assert_eq(exec_on_report(t, &r, 0, &o), 0);
	cr_assert(o.act & EXEC_ACT_FILL);
	cr_assert_eq(o.fill_qty, 3);
	cr_assert_eq(o.liquidity, MSG_LIQ_UNKNOWN);
	struct msg_exec_report m;
	exec_out_report(t, &o, 0, &m);
	cr_assert_eq(m.liquidity, MSG_LIQ_UNKNOWN);
	/* the next one, complete: the venue's own flag */
	r = rp(c, EXEC_PARTIAL, 2, 5, 104, 79);
	r.liquidity = MSG_LIQ_TAKER;
	cr_assert_eq(exec_on_report(t, &r, 0, &o), 0);
	cr_assert_eq(o.liquidity, MSG_LIQ_TAKER);
	free(t);
}

Test(exec, report_from_msg_copies_every_field)
{
	struct msg_exec_report m;
	memset(&m, 0, sizeof(m));
	m.client_order_id = 11;
	m.venue_order_id = 12;
	m.exec_id = 13;
	m.last_px = 14;
	m.last_qty = 15;
	m.cum_qty = 16;
	m.leaves_qty = 17;
	m.status = EXEC_PARTIAL;
	m.reason = 18;
	m.fee_e9 = 19;
	m.venue_ns = 20;
	m.liquidity = MSG_LIQ_MAKER;
	struct exec_report r;
	memset(&r, 0xff, sizeof(r));
	exec_report_from_msg(&r, &m);
	cr_assert_eq(r.coid, 11);
	cr_assert_eq(r.venue_order_id, 12);
	cr_assert_eq(r.exec_id, 13);
	cr_assert_eq(r.last_px, 14);
	cr_assert_eq(r.last_qty, 15);
	cr_assert_eq(r.cum_qty, 16);
	cr_assert_eq(r.leaves_qty, 17);
	cr_assert_eq(r.status, EXEC_PARTIAL);
	cr_assert_eq(r.reason, 18);
	cr_assert_eq(r.fee_e9, 19);
	cr_assert_eq(r.venue_ns, 20);
	cr_assert_eq(r.liquidity, MSG_LIQ_MAKER);
}

/* ------------------------------------------------------------ fills handed out again */

Test(exec, unpublished_fills_come_again_with_the_same_id)
{
	struct exec_table *t = t_table(8, EPOCH);
	struct exec_out o, u[4];
	uint64_t a = acked_order(t, Q), b = acked_order(t, Q);
	report(t, a, EXEC_PARTIAL, 2, 2, 101, 1, &o);
	uint64_t fa = o.fill_id;
	exec_fill_published(t, fa);
	cr_assert_eq(exec_unpublished(t, u, 4), 0);
	report(t, b, EXEC_PARTIAL, 3, 3, 102, 2, &o);
	uint64_t fb = o.fill_id;
	report(t, a, EXEC_PARTIAL, 1, 3, 104, 3, &o);
	uint64_t fa2 = o.fill_id;
	cr_assert_gt(fb, fa);
	cr_assert_gt(fa2, fb);
	/* "crash" before publishing fb and fa2: both come again, in id order */
	cr_assert_eq(exec_unpublished(t, u, 4), 2);
	cr_assert_eq(u[0].fill_id, fb);
	cr_assert_eq(u[0].coid, b);
	cr_assert_eq(u[0].fill_qty, 3);
	cr_assert_eq(u[0].fill_px, 102);
	cr_assert_eq(u[1].fill_id, fa2);
	cr_assert_eq(u[1].fill_qty, 1);
	cr_assert_eq(u[1].fill_px, 104);
	cr_assert_eq(u[1].cum_qty, 3);
	cr_assert_eq(exec_unpublished(t, u, 1), 1, "max respected");
	exec_fill_published(t, fa2);
	cr_assert_eq(exec_unpublished(t, u, 4), 0);
	exec_fill_published(t, fa); /* lower: no effect */
	cr_assert_eq(t->published_fill, fa2);
	free(t);
}

/* ------------------------------------------------------------ reconciliation */

static struct exec_venue_view vv(uint64_t coid, uint32_t status, int32_t cum, double avg)
{
	struct exec_venue_view v;
	memset(&v, 0, sizeof(v));
	v.coid = coid;
	v.status = (uint8_t)status;
	v.cum_qty = cum;
	v.leaves_qty = status == EXEC_ACK || status == EXEC_PARTIAL ? Q - cum : 0;
	v.avg_px = avg;
	return v;
}

Test(exec, reconcile_synthetic_fills_and_unknown_orders)
{
	struct exec_table *t = t_table(32, EPOCH);
	struct exec_cfg cfg = t_cfg(16, 16);
	struct exec_out o, outs[16];
	uint64_t nw = new_order(t, Q);                /* never sent */
	uint64_t pd = new_order(t, Q);                /* sent, never reached */
	exec_sent(t, pd, 0);
	uint64_t ak = acked_order(t, Q);              /* venue: 4 filled, avg 100.5 */
	uint64_t pt = acked_order(t, Q);              /* ours: 2 @ 100; venue: FILLED avg 101 */
	report(t, pt, EXEC_PARTIAL, 2, 2, 100, 1, &o);
	uint64_t lost = acked_order(t, Q);            /* venue does not know it */
	uint64_t cxu = new_order(t, Q);               /* cancel before ack, never reached */
	exec_sent(t, cxu, 0);
	exec_cancel(t, cxu, 0, &o);
	uint64_t behind = acked_order(t, Q);          /* ours: 5; venue: 3 */
	report(t, behind, EXEC_PARTIAL, 5, 5, 100, 2, &o);
	uint64_t pd2 = new_order(t, Q);               /* venue: acked, ack report lost */
	exec_sent(t, pd2, 0);
	uint64_t cx = acked_order(t, Q);              /* our cancel lost: venue has it live */
	exec_cancel(t, cx, 0, &o);
	uint64_t done = acked_order(t, Q);            /* terminal: not to be confirmed */
	report(t, done, EXEC_FILLED, Q, Q, 100, 3, &o);
	uint64_t fills0 = t->ctr.fills;

	/* restart: a copy of the bytes at another address */
	size_t sz = t_size(32);
	struct exec_table *r = aligned_alloc(64, sz);
	memcpy(r, t, sz);
	free(t);
	t = r;
	cr_assert_eq(exec_table_attach(t, sz), 0);
	cr_assert_eq(exec_can_accept(t, &cfg), VOTE_R_VENUE_DOWN);
	exec_set_venue_up(t, 1);
	exec_reconcile_begin(t);
	cr_assert_eq(exec_can_accept(t, &cfg), VOTE_R_RECONCILING);
	uint64_t c;
	cr_assert_eq(exec_new_order(t, &cfg, 1, SIDE_BUY, 1, PX, ORD_LIMIT, TIF_DAY, 0, &c),
		     VOTE_R_RECONCILING);

	struct exec_venue_view v = vv(ak, EXEC_PARTIAL, 4, 100.5);
	cr_assert_eq(exec_reconcile_order(t, &v, 0, &o), 0);
	cr_assert(o.act & EXEC_ACT_FILL);
	cr_assert_eq(o.fill_qty, 4);
	cr_assert_eq(o.fill_notional, 402);
	cr_assert_eq(E(t, ak)->status, EXEC_PARTIAL);
	cr_assert_eq(E(t, ak)->notional, 402);

	v = vv(pt, EXEC_FILLED, Q, 99.0);
	v.notional = 1010; /* exact: wins over avg_px */
	cr_assert_eq(exec_reconcile_order(t, &v, 0, &o), 0);
	cr_assert_eq(o.fill_qty, 8);
	cr_assert_eq(o.fill_notional, 1010 - 200, "the rest of the venue's notional");
	cr_assert_eq(o.fill_px, 101, "810 / 8 = 101.25, rounded");
	cr_assert_eq(E(t, pt)->status, EXEC_FILLED);
	cr_assert_eq(E(t, pt)->notional, 1010);

	v = vv(behind, EXEC_PARTIAL, 3, 100.0);
	cr_assert_eq(exec_reconcile_order(t, &v, 0, &o), 0);
	cr_assert_eq(o.anomaly, EXEC_R_CUM_BEHIND);
	cr_assert_eq(E(t, behind)->cum_qty, 5, "never goes down");

	v = vv(pd2, EXEC_ACK, 0, 0);
	cr_assert_eq(exec_reconcile_order(t, &v, 0, &o), 0);
	cr_assert_eq(o.act, EXEC_ACT_REPORT);
	cr_assert_eq(E(t, pd2)->status, EXEC_ACK);

	v = vv(cx, EXEC_ACK, 0, 0);
	cr_assert_eq(exec_reconcile_order(t, &v, 0, &o), 0);
	cr_assert_eq(E(t, cx)->status, EXEC_ACK, "live there, no cancel pending: refused");

	v = vv(done, EXEC_FILLED, Q, 100.0);
	cr_assert_eq(exec_reconcile_order(t, &v, 0, &o), 0);
	cr_assert_eq(o.act, 0, "agrees: nothing to do");

	v = vv(12345, EXEC_ACK, 0, 0);
	cr_assert_eq(exec_reconcile_order(t, &v, 0, &o), -ENOENT);
	cr_assert_eq(o.anomaly, EXEC_R_UNKNOWN_ORDER);

	uint32_t n = 0, k;
	while ((k = exec_reconcile_end(t, 0, outs + n, 2)) > 0)
		n += k;
	cr_assert_eq(n, 4, "new, pending, lost, unacked cancel");
	cr_assert_eq(t->reconciling, 0);
	cr_assert_eq(E(t, nw)->status, EXEC_REJECTED);
	cr_assert_eq(E(t, nw)->reason, EXEC_R_NOT_SENT);
	cr_assert_eq(E(t, pd)->status, EXEC_REJECTED);
	cr_assert_eq(E(t, pd)->reason, EXEC_R_NOT_SENT);
	cr_assert_eq(E(t, cxu)->status, EXEC_CANCELLED);
	cr_assert_eq(E(t, lost)->status, EXEC_CANCELLED);
	cr_assert_eq(E(t, lost)->anomaly, EXEC_R_VENUE_LOST);
	int lost_flagged = 0;
	for (uint32_t i = 0; i < n; i++) {
		cr_assert(outs[i].act & EXEC_ACT_REPORT);
		if (outs[i].coid == lost) {
			cr_assert(outs[i].act & EXEC_ACT_ANOMALY);
			lost_flagged = 1;
		} else {
			cr_assert_not(outs[i].act & EXEC_ACT_ANOMALY);
		}
	}
	cr_assert(lost_flagged);
	cr_assert_eq(t->ctr.synthetic, 2);
	cr_assert_eq(t->ctr.fills, fills0 + 2);
	cr_assert_eq(exec_can_accept(t, &cfg), VOTE_R_APPROVED);
	check_gauges(t);
	free(t);
}

Test(exec, reconcile_drops_a_waiting_replacement)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o, outs[4];
	uint64_t c = acked_order(t, Q), n;
	exec_replace(t, c, 5, PX, 0, &n, &o);
	exec_reconcile_begin(t);
	struct exec_venue_view v = vv(c, EXEC_CANCELLED, 0, 0);
	cr_assert_eq(exec_reconcile_order(t, &v, 0, &o), 0);
	cr_assert_eq(E(t, c)->status, EXEC_CANCELLED);
	cr_assert(o.act & EXEC_ACT_REPORT_OTHER);
	cr_assert_not(o.act & EXEC_ACT_SEND_OTHER, "a decision from before the restart is stale");
	cr_assert_eq(E(t, n)->status, EXEC_REJECTED);
	cr_assert_eq(E(t, n)->reason, EXEC_R_NOT_SENT);
	cr_assert_eq(exec_reconcile_end(t, 0, outs, 4), 0);
	check_gauges(t);
	free(t);
}

/* ------------------------------------------------------------ crash between steps */

static jmp_buf crash_jb;
static int crash_at;

static void crash_hook(int s)
{
	if (s == crash_at)
		longjmp(crash_jb, 1);
}

/* The table the operations start from: A acked (Q), B acked with a
 * replace pending (replacement R waiting). */
static struct exec_table *crash_base(uint64_t *a, uint64_t *b, uint64_t *rr)
{
	struct exec_table *t = t_table(16, EPOCH);
	struct exec_out o;
	*a = acked_order(t, Q);
	*b = acked_order(t, Q);
	cr_assert_eq(exec_replace(t, *b, 4, PX + 1, 0, rr, &o), 0);
	return t;
}

enum { OP_NEW, OP_REPLACE, OP_FILL, OP_CANCELLED, OP_N };
static const char *const op_name[OP_N] = { "new_order", "replace", "fill", "cancelled" };

static uint64_t g_ret_id; /* an id the operation returned, 0 if none */

static void run_op(struct exec_table *t, int op, uint64_t a, uint64_t b)
{
	struct exec_out o;
	struct exec_cfg cfg = t_cfg(100, 100);
	switch (op) {
	case OP_NEW:
		cr_assert_eq(exec_new_order(t, &cfg, 9, SIDE_BUY, 1, PX, ORD_LIMIT, TIF_DAY, 0,
					    &g_ret_id), 0);
		break;
	case OP_REPLACE:
		cr_assert_eq(exec_replace(t, a, 3, PX, 0, &g_ret_id, &o), 0);
		break;
	case OP_FILL:
		cr_assert_eq(report(t, a, EXEC_PARTIAL, 3, 3, PX, 55, &o), 0);
		break;
	case OP_CANCELLED: /* B's cancel confirmed: B and its replacement change together */
		cr_assert_eq(report(t, b, EXEC_CANCELLED, 0, 0, 0, 0, &o), 0);
		cr_assert(o.act & EXEC_ACT_SEND_OTHER);
		break;
	}
}

/* Run op, stopped at step s if it gets there: 1 if stopped. */
static int try_op(struct exec_table *w, int op, uint64_t a, uint64_t b, int s)
{
	crash_at = s;
	exec_fault_hook = crash_hook;
	if (setjmp(crash_jb)) {
		exec_fault_hook = NULL;
		return 1;
	}
	run_op(w, op, a, b);
	exec_fault_hook = NULL;
	return 0;
}

static int same_slots(const struct exec_table *x, const struct exec_table *y)
{
	for (uint32_t i = 0; i < x->capacity; i++)
		if (memcmp((const char *)&x->slot[i] + 4, (const char *)&y->slot[i] + 4,
			   sizeof(struct exec_order) - 4))
			return 0;
	return 1;
}

Test(exec, crash_between_steps_leaves_all_or_nothing)
{
	size_t sz = t_size(16);
	uint64_t a, b, rr;
	struct exec_table *base = crash_base(&a, &b, &rr);
	struct exec_table *ref = aligned_alloc(64, sz), *w = aligned_alloc(64, sz),
			  *again = aligned_alloc(64, sz);
	int crashed_runs = 0;
	for (int op = 0; op < OP_N; op++) {
		memcpy(ref, base, sz);
		run_op(ref, op, a, b);
		uint64_t ref_id = g_ret_id;
		for (int s = 1; s <= 7; s++) {
			for (int scribble = 0; scribble < 2; scribble++) {
				memcpy(w, base, sz);
				g_ret_id = 0;
				int crashed = try_op(w, op, a, b, s);
				crashed_runs += crashed;
				/* a committed update that was being copied: garbage in its slots */
				if (crashed && scribble && w->log.state)
					for (uint32_t k = 0; k + 1 < w->log.state; k++)
						memset((char *)&w->slot[w->log.idx[k]] + 4, 0xa5,
						       sizeof(struct exec_order) - 4);
				/* the restarted process: same bytes, another address */
				memcpy(again, w, sz);
				cr_assert_eq(exec_table_attach(again, sz), 0);
				const char *what = op_name[op];
				cr_assert_eq(again->log.state, 0);
				int done = !crashed || s >= 3;
				if (done) {
					cr_assert(same_slots(again, ref), "%s step %d: not the finished update",
						  what, s);
					cr_assert_eq(memcmp(&again->ctr, &ref->ctr, sizeof(ref->ctr)), 0,
						     "%s step %d: counters", what, s);
				} else {
					cr_assert(same_slots(again, base), "%s step %d: not untouched",
						  what, s);
					cr_assert_eq(memcmp(&again->ctr, &base->ctr, sizeof(base->ctr)), 0);
				}
				for (uint32_t i = 0; i < again->capacity; i++)
					cr_assert_eq(again->slot[i].gen & 1u, 0);
				check_gauges(again);
				/* counters never go back: an id given out is never given again */
				cr_assert_geq(again->last_seq, base->last_seq);
				cr_assert_geq(again->last_fill, base->last_fill);
				if (g_ret_id)
					cr_assert_eq(g_ret_id, ref_id);
				t_start(again);
				uint64_t next = new_order(again, 1);
				cr_assert_gt(next & EXEC_SEQ_MASK, base->last_seq);
				/* the counter is stored first: even a crash right after it
				 * skips the id the operation would have given */
				if (ref_id)
					cr_assert_gt(next, ref_id, "%s step %d: id %llx reused", what, s,
						     (unsigned long long)next);
				for (uint32_t i = 0; i < again->capacity; i++)
					for (uint32_t j = 0; j < i; j++)
						cr_assert(!again->slot[i].status || !again->slot[j].status ||
							  again->slot[i].coid != again->slot[j].coid,
							  "two slots with one id");
			}
		}
	}
	cr_assert_gt(crashed_runs, 4 * 2 * 4, "the hook stopped the updates");
	free(base);
	free(ref);
	free(w);
	free(again);
}

/* ------------------------------------------------------------ kill -9 */

#define LEDGER_MAX (1u << 20)
struct ledger {
	uint64_t n;
	uint64_t id[LEDGER_MAX];
};

static void child_work(struct exec_table *t, size_t sz, struct ledger *L, uint64_t seed)
{
	if (exec_table_attach(t, sz) != 0)
		_exit(3);
	t_start(t);
	struct exec_out o;
	struct exec_cfg cfg = t_cfg(6, 12);
	struct t_rng g;
	t_rng_seed(&g, seed);
	uint64_t xid = seed << 20;
	for (;;) {
		uint64_t r = t_rng_below(&g, 100);
		uint64_t pos = 0, pick = 0, k = 0;
		const struct exec_order *e;
		while ((e = exec_next_open(t, &pos)) != NULL)
			if (t_rng_below(&g, ++k) == 0)
				pick = e->coid;
		e = pick ? exec_find(t, pick) : NULL;
		if (r < 30) {
			uint64_t c;
			if (L->n < LEDGER_MAX &&
			    exec_new_order(t, &cfg, 1, SIDE_BUY, 5, PX, ORD_LIMIT, TIF_DAY, 0, &c) == 0) {
				L->id[L->n] = c;
				__atomic_store_n(&L->n, L->n + 1, __ATOMIC_RELEASE);
				exec_sent(t, c, 0);
			}
		} else if (!e) {
			continue;
		} else if (e->status == EXEC_NEW) {
			exec_sent(t, pick, 0);
		} else if (r < 50) {
			struct exec_report rep = rp(pick, EXEC_ACK, 0, e->cum_qty, 0, 0);
			exec_on_report(t, &rep, 0, &o);
		} else if (r < 70 && e->cum_qty < e->qty) {
			struct exec_report rep = rp(pick, EXEC_PARTIAL, 1, e->cum_qty + 1, PX, ++xid);
			exec_on_report(t, &rep, 0, &o);
			if (o.fill_id && t_rng_below(&g, 2))
				exec_fill_published(t, o.fill_id);
		} else if (r < 80) {
			exec_cancel(t, pick, 0, &o);
		} else if (r < 88 && L->n < LEDGER_MAX) {
			uint64_t c;
			if (exec_replace(t, pick, 2, PX, 0, &c, &o) == 0) {
				L->id[L->n] = c;
				__atomic_store_n(&L->n, L->n + 1, __ATOMIC_RELEASE);
			}
		} else if (e->status == EXEC_CANCEL_PENDING) {
			struct exec_report rep = rp(pick, EXEC_CANCELLED, 0, e->cum_qty, 0, 0);
			exec_on_report(t, &rep, 0, &o);
			if (o.act & EXEC_ACT_SEND_OTHER)
				exec_sent(t, o.other_coid, 0);
		}
	}
}

Test(exec, kill_9_never_reuses_an_id, .timeout = 120)
{
	uint32_t cap = 64;
	size_t sz = t_size(cap);
	void *mem = mmap(NULL, sz + sizeof(struct ledger), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(mem, MAP_FAILED);
	struct exec_table *t = mem;
	struct ledger *L = (struct ledger *)((char *)mem + sz);
	cr_assert_eq(exec_table_init(t, sz, cap, EPOCH), 0);
	struct t_rng g;
	t_rng_seed(&g, 4242);
	/* attached by each child */
	int rounds = T_SANITIZED ? 25 : 80;
	uint64_t seen = 0, max_id = 0, fills_seen = 0;
	for (int round = 0; round < rounds; round++) {
		pid_t p = fork();
		cr_assert_geq(p, 0);
		if (p == 0)
			child_work(t, sz, L, (uint64_t)round + 1);
		usleep((useconds_t)(200 + t_rng_below(&g, 3000)));
		kill(p, SIGKILL);
		int st;
		waitpid(p, &st, 0);
		cr_assert(WIFSIGNALED(st), "round %d: the child exited by itself (%d)", round,
			  WEXITSTATUS(st));
		cr_assert_eq(exec_table_attach(t, sz), 0, "round %d", round);
		cr_assert_eq(t->log.state, 0);
		check_gauges(t);
		uint64_t n = __atomic_load_n(&L->n, __ATOMIC_ACQUIRE);
		for (uint64_t i = seen; i < n; i++) {
			cr_assert_gt(L->id[i], max_id, "round %d: id %llx not above %llx", round,
				     (unsigned long long)L->id[i], (unsigned long long)max_id);
			max_id = L->id[i];
		}
		seen = n;
		cr_assert_leq(max_id & EXEC_SEQ_MASK, t->last_seq);
		for (uint32_t i = 0; i < cap; i++) {
			const struct exec_order *e = &t->slot[i];
			cr_assert_eq(e->gen & 1u, 0);
			if (!e->status)
				continue;
			cr_assert_leq(e->coid & EXEC_SEQ_MASK, t->last_seq);
			cr_assert_leq(e->fill_id & EXEC_SEQ_MASK, t->last_fill);
			cr_assert_leq(e->cum_qty, e->qty);
			cr_assert_eq((e->coid & EXEC_SEQ_MASK) & (cap - 1), i, "slot of its id");
			for (uint32_t j = 0; j < i; j++)
				cr_assert(!t->slot[j].status || t->slot[j].coid != e->coid);
		}
		/* the parent goes on as the next process: its id is above all */
		cr_assert_eq(exec_can_accept(t, &(struct exec_cfg){ .max_inflight = 9, .max_open = 9, .ack_timeout_ms = 9 }),
			     VOTE_R_VENUE_DOWN, "attach: the venue is down until said otherwise");
		exec_set_venue_up(t, 1);
		cr_assert_eq(exec_can_accept(t, &(struct exec_cfg){ .max_inflight = 9, .max_open = 9, .ack_timeout_ms = 9 }),
			     VOTE_R_RECONCILING, "attach: reconciling until the venue is asked");
		t_start(t);
		uint64_t c = new_order(t, 1);
		cr_assert_gt(c, max_id);
		max_id = c;
		L->id[L->n++] = c;
		seen = L->n;
		fills_seen = t->last_fill;
	}
	cr_assert_gt(seen, (uint64_t)rounds * 2, "the children created orders");
	cr_assert_gt(fills_seen, 0);
	munmap(mem, sz + sizeof(struct ledger));
}

/* ------------------------------------------------------------ allocation */

static uint64_t t_jemalloc(const char *name)
{
	uint64_t v = 0;
	size_t sz = sizeof(v);
	cr_assert_eq(mallctl(name, &v, &sz, NULL, 0), 0);
	return v;
}

Test(exec, steady_state_allocates_nothing)
{
	if (!mallctl)
		cr_skip_test("no jemalloc (sanitizer build)");
	struct exec_table *t = t_table(1024, EPOCH);
	struct exec_cfg cfg = t_cfg(4, 16);
	struct exec_out o;
	uint64_t q[4], xid = 0;
	uint64_t a0 = t_jemalloc("thread.allocated"), d0 = t_jemalloc("thread.deallocated");
	for (int i = 0; i < 200000; i++) { /* 1.2 million calls */
		uint64_t c, n;
		cr_assert_eq(exec_new_order(t, &cfg, (uint64_t)i, SIDE_BUY, 10, PX, ORD_LIMIT,
					    TIF_DAY, i, &c), 0);
		exec_sent(t, c, i);
		report(t, c, EXEC_ACK, 0, 0, 0, 0, &o);
		report(t, c, EXEC_PARTIAL, 4, 4, PX, ++xid, &o);
		exec_fill_published(t, o.fill_id);
		exec_replace(t, c, 3, PX + 1, i, &n, &o);
		report(t, c, EXEC_CANCELLED, 0, 4, 0, 0, &o);
		exec_sent(t, n, i);
		exec_cancel(t, n, i, &o);
		report(t, n, EXEC_CANCELLED, 0, 0, 0, 0, &o);
		exec_tick(t, &cfg, i, q, 4);
	}
	cr_assert_eq(t_jemalloc("thread.allocated"), a0);
	cr_assert_eq(t_jemalloc("thread.deallocated"), d0);
	cr_assert_eq(t->ctr.open, 0);
	free(t);
}

/* ------------------------------------------------------------ random vs a model */

#define RM_ORDERS (1u << 18) /* order counters the test may reach */
#define WIRE_MAX  48

struct vord {            /* the venue's side of one order */
	int32_t qty, cum;
	int64_t notional;
	uint8_t known, live, final; /* final: exec_status once !live */
};

struct mord {            /* the model of what the table must show */
	int32_t max_cum;     /* highest cum_qty delivered (or reconciled) */
	int32_t fwd;         /* contracts in fills handed out */
	int32_t want;        /* replacement: new_qty asked */
	uint8_t terminal;    /* the table has shown it terminal */
};

struct rnd {
	struct exec_table *t;
	size_t sz;
	struct t_rng g;
	struct vord *v;
	struct mord *m;
	struct exec_report wire[WIRE_MAX];
	uint32_t nwire;
	uint64_t live[64];
	uint32_t nlive;
	uint64_t venue_exec, last_fill_id;
	uint64_t unknown;    /* reports for orders whose slot was reused */
	struct exec_cfg cfg;
};

static uint32_t sq(uint64_t coid)
{
	uint64_t n = coid & EXEC_SEQ_MASK;
	cr_assert_lt(n, RM_ORDERS);
	return (uint32_t)n;
}

static void wire_push(struct rnd *R, uint64_t coid, uint32_t status, int32_t last,
		      int64_t px, uint64_t exec_id);

static void venue_gone(struct rnd *R, uint64_t coid, uint32_t final)
{
	struct vord *v = &R->v[sq(coid)];
	v->live = 0;
	v->final = (uint8_t)final;
	for (uint32_t i = 0; i < R->nlive; i++)
		if (R->live[i] == coid) {
			R->live[i] = R->live[--R->nlive];
			break;
		}
}

static void venue_receive(struct rnd *R, uint64_t coid)
{
	struct vord *v = &R->v[sq(coid)];
	const struct exec_order *e = E(R->t, coid);
	v->known = 1;
	v->qty = e->qty;
	if (t_rng_below(&R->g, 100) < 5 || R->nlive == 64) {
		v->final = EXEC_REJECTED;
		wire_push(R, coid, EXEC_REJECTED, 0, 0, 0);
		return;
	}
	v->live = 1;
	R->live[R->nlive++] = coid;
	wire_push(R, coid, EXEC_ACK, 0, 0, 0);
}

static void venue_cancel(struct rnd *R, uint64_t coid)
{
	struct vord *v = &R->v[sq(coid)];
	cr_assert(v->known, "cancel of an order the venue never got");
	if (v->live) {
		venue_gone(R, coid, EXEC_CANCELLED);
		wire_push(R, coid, EXEC_CANCELLED, 0, 0, 0);
	} else {
		wire_push(R, coid, EXEC_VENUE_CANCEL_REJECT, 0, 0, 0);
	}
}

static void venue_fill(struct rnd *R, uint64_t coid)
{
	struct vord *v = &R->v[sq(coid)];
	int32_t d = 1 + (int32_t)t_rng_below(&R->g, (uint64_t)(v->qty - v->cum));
	int64_t px = 95 + (int64_t)t_rng_below(&R->g, 20);
	v->cum += d;
	v->notional += px * d;
	if (v->cum == v->qty)
		venue_gone(R, coid, EXEC_FILLED);
	wire_push(R, coid, v->cum == v->qty ? EXEC_FILLED : EXEC_PARTIAL, d, px, ++R->venue_exec);
}

static void handle(struct rnd *R, const struct exec_out *o)
{
	cr_assert_not(o->act & EXEC_ACT_ANOMALY, "anomaly %s on %llx",
		      exec_reason_name(o->anomaly), (unsigned long long)o->coid);
	if (o->act & EXEC_ACT_FILL) {
		cr_assert_gt(o->fill_id, R->last_fill_id, "fill ids increase");
		cr_assert_gt(o->fill_qty, 0);
		R->last_fill_id = o->fill_id;
		R->m[sq(o->coid)].fwd += o->fill_qty;
		exec_fill_published(R->t, o->fill_id);
	}
	if (o->act & EXEC_ACT_CANCEL)
		venue_cancel(R, o->coid);
	if (o->act & EXEC_ACT_SEND_OTHER) {
		const struct exec_order *old = E(R->t, o->coid), *r = E(R->t, o->other_coid);
		cr_assert_eq(r->replaces, o->coid);
		cr_assert_eq(r->qty, R->m[sq(r->coid)].want - (old->cum_qty - old->repl_cum));
		cr_assert_gt(r->qty, 0);
		cr_assert_eq(exec_sent(R->t, o->other_coid, 0), 0);
		venue_receive(R, o->other_coid);
	}
}

static void deliver(struct rnd *R, int allow_dup)
{
	uint32_t i = (uint32_t)t_rng_below(&R->g, R->nwire);
	struct exec_report r = R->wire[i];
	if (!allow_dup || t_rng_below(&R->g, 10) != 0)
		R->wire[i] = R->wire[--R->nwire];
	struct exec_out o;
	const struct exec_order *e = exec_find(R->t, r.coid);
	int rc = exec_on_report(R->t, &r, 0, &o);
	if (!e) { /* its slot went to a newer order long ago */
		cr_assert_eq(rc, -ENOENT);
		R->unknown++;
		return;
	}
	cr_assert_eq(rc, 0);
	handle(R, &o);
	struct mord *m = &R->m[sq(r.coid)];
	if (r.cum_qty > m->max_cum)
		m->max_cum = r.cum_qty;
	e = E(R->t, r.coid);
	cr_assert_eq(e->cum_qty, m->max_cum, "cum follows the highest cum delivered");
	cr_assert_eq(m->fwd, e->cum_qty, "every contract forwarded once");
	int term = exec_status_terminal(e->status);
	if (r.status == EXEC_FILLED || r.status == EXEC_CANCELLED || r.status == EXEC_REJECTED)
		cr_assert(term, "a terminal report leaves %s", exec_status_name(e->status));
	if (m->terminal)
		cr_assert(term, "a terminal order reopened as %s", exec_status_name(e->status));
	m->terminal = (uint8_t)term;
}

static void wire_push(struct rnd *R, uint64_t coid, uint32_t status, int32_t last,
		      int64_t px, uint64_t exec_id)
{
	while (R->nwire == WIRE_MAX)
		deliver(R, 0);
	struct vord *v = &R->v[sq(coid)];
	struct exec_report r;
	memset(&r, 0, sizeof(r));
	r.coid = coid;
	r.venue_order_id = coid ^ 0x5555;
	r.exec_id = exec_id;
	r.last_px = px;
	r.last_qty = last;
	r.cum_qty = v->cum;
	r.leaves_qty = v->live ? v->qty - v->cum : 0;
	r.status = (uint8_t)status;
	R->wire[R->nwire++] = r;
}

static uint64_t pick_open(struct rnd *R)
{
	uint64_t pos = 0, pick = 0, k = 0;
	const struct exec_order *e;
	while ((e = exec_next_open(R->t, &pos)) != NULL)
		if (t_rng_below(&R->g, ++k) == 0)
			pick = e->coid;
	return pick;
}

/* Every order still in the table against the venue and the model. */
static void full_check(struct rnd *R, int settled)
{
	check_gauges(R->t);
	for (uint32_t i = 0; i < R->t->capacity; i++) {
		const struct exec_order *e = &R->t->slot[i];
		if (!e->status)
			continue;
		const struct vord *v = &R->v[sq(e->coid)];
		const struct mord *m = &R->m[sq(e->coid)];
		cr_assert_leq(e->cum_qty, e->qty);
		cr_assert_leq(e->cum_qty, v->cum, "the table knows more than the venue");
		cr_assert_eq(m->fwd, e->cum_qty);
		cr_assert_not(e->flags & EXEC_F_UNCONFIRMED);
		if (!settled)
			continue;
		/* every report delivered: the table says what the venue says */
		cr_assert_eq(e->cum_qty, v->cum, "%llx: cum %d, venue %d",
			     (unsigned long long)e->coid, e->cum_qty, v->cum);
		uint32_t want;
		if (!v->known) { /* a replacement never sent: dropped or cancelled here */
			cr_assert(e->flags & EXEC_F_LOCAL);
			cr_assert(e->status == EXEC_REJECTED || e->status == EXEC_CANCELLED);
			continue;
		}
		if (v->live)
			want = v->cum ? EXEC_PARTIAL : EXEC_ACK;
		else
			want = v->final;
		cr_assert_eq(e->status, want, "%llx: %s, venue %s", (unsigned long long)e->coid,
			     exec_status_name(e->status), exec_status_name(want));
		cr_assert(e->notional == v->notional || (e->flags & EXEC_F_GAP_PRICED),
			  "%llx: notional %lld, venue %lld, no gap", (unsigned long long)e->coid,
			  (long long)e->notional, (long long)v->notional);
	}
}

/* kill -9, some reports lost on the way, restart at another address,
 * reconcile with the venue's view */
static void crash_and_reconcile(struct rnd *R)
{
	for (uint32_t i = 0; i < R->nwire;)
		if (t_rng_below(&R->g, 3) == 0)
			R->wire[i] = R->wire[--R->nwire];
		else
			i++;
	struct exec_table *n = aligned_alloc(64, R->sz);
	memcpy(n, R->t, R->sz);
	free(R->t);
	R->t = n;
	cr_assert_eq(exec_table_attach(n, R->sz), 0);
	exec_set_venue_up(n, 1);
	struct exec_out o, outs[8];
	cr_assert_eq(exec_unpublished(n, outs, 8), 0, "every fill was published");
	exec_reconcile_begin(n);
	cr_assert_eq(exec_can_accept(n, &R->cfg), VOTE_R_RECONCILING);
	for (uint64_t s = 1; s <= n->last_seq; s++) {
		uint64_t coid = (uint64_t)EPOCH << 40 | s;
		const struct vord *v = &R->v[s];
		if (!v->known || !exec_find(n, coid))
			continue;
		struct exec_venue_view w;
		memset(&w, 0, sizeof(w));
		w.coid = coid;
		w.venue_order_id = coid ^ 0x5555;
		w.cum_qty = v->cum;
		w.leaves_qty = v->live ? v->qty - v->cum : 0;
		if (s & 1) /* the exact notional, or the average price */
			w.notional = v->notional;
		else
			w.avg_px = v->cum ? (double)v->notional / v->cum : 0;
		w.status = v->live ? (v->cum ? EXEC_PARTIAL : EXEC_ACK) : v->final;
		int32_t before = E(n, coid)->cum_qty;
		cr_assert_eq(exec_reconcile_order(n, &w, 0, &o), 0);
		handle(R, &o);
		struct mord *m = &R->m[s];
		m->max_cum = v->cum;
		const struct exec_order *e = E(n, coid);
		cr_assert_eq(e->cum_qty, v->cum);
		if (before < v->cum)
			cr_assert_eq(e->notional, v->notional,
				     "a synthetic fill makes the notional the venue's");
		m->terminal = (uint8_t)exec_status_terminal(e->status);
	}
	uint32_t k;
	while ((k = exec_reconcile_end(n, 0, outs, 8)) > 0)
		for (uint32_t i = 0; i < k; i++) {
			handle(R, &outs[i]);
			R->m[sq(outs[i].coid)].terminal = 1;
		}
	cr_assert_eq(n->reconciling, 0);
}

Test(exec, random_steps_against_a_venue_and_a_model, .timeout = 300)
{
	struct rnd *R = calloc(1, sizeof(*R));
	cr_assert_not_null(R);
	R->v = calloc(RM_ORDERS, sizeof(*R->v));
	R->m = calloc(RM_ORDERS, sizeof(*R->m));
	cr_assert(R->v && R->m);
	R->sz = t_size(256);
	R->t = t_table(256, EPOCH);
	R->cfg = t_cfg(8, 40);
	t_rng_seed(&R->g, 20240601);
	const int steps = 100000;
	for (int step = 1; step <= steps; step++) {
		uint64_t r = t_rng_below(&R->g, 100);
		if (r < 18) {
			uint64_t c;
			int32_t qty = 1 + (int32_t)t_rng_below(&R->g, 10);
			int side = t_rng_below(&R->g, 2) ? SIDE_BUY : SIDE_SELL;
			uint32_t why = exec_can_accept(R->t, &R->cfg);
			int rc = exec_new_order(R->t, &R->cfg, (uint64_t)step, side, qty,
						100 + (int64_t)t_rng_below(&R->g, 10), ORD_LIMIT,
						TIF_DAY, 0, &c);
			cr_assert_eq(rc ? (uint32_t)rc : VOTE_R_APPROVED, why);
			if (rc == 0) {
				cr_assert_eq(exec_sent(R->t, c, 0), 0);
				venue_receive(R, c);
			}
		} else if (r < 40) {
			if (R->nlive)
				venue_fill(R, R->live[t_rng_below(&R->g, R->nlive)]);
		} else if (r < 48) {
			uint64_t c = pick_open(R);
			struct exec_out o;
			if (c && exec_cancel(R->t, c, 0, &o) == 0)
				handle(R, &o);
		} else if (r < 53) {
			uint64_t c = pick_open(R), n;
			struct exec_out o;
			int32_t q = 1 + (int32_t)t_rng_below(&R->g, 8);
			if (c && exec_replace(R->t, c, q, 101, 0, &n, &o) == 0) {
				R->m[sq(n)].want = q;
				handle(R, &o);
			}
		} else if (r < 56) {
			if (R->nlive) {
				uint64_t c = R->live[t_rng_below(&R->g, R->nlive)];
				venue_gone(R, c, EXEC_CANCELLED); /* expiry, market close */
				wire_push(R, c, EXEC_CANCELLED, 0, 0, 0);
			}
		} else if (R->nwire) {
			deliver(R, 1);
		}
		if (step % 500 == 0)
			full_check(R, 0);
		if (step % 20000 == 0)
			crash_and_reconcile(R);
	}
	while (R->nwire)
		deliver(R, 0);
	full_check(R, 1);
	const struct exec_counters *c = &R->t->ctr;
	cr_assert_gt(c->dups, 100, "duplicates exercised");
	cr_assert_gt(c->stale, 100, "stale reports exercised");
	cr_assert_gt(c->ooo, 100, "out-of-order exercised");
	cr_assert_gt(c->replaces, 100);
	cr_assert_gt(c->synthetic, 0, "reconciliation made up lost fills");
	cr_assert_gt(c->filled, 1000);
	cr_assert_eq(c->anomalies, R->unknown, "no anomaly but reports for reused slots");
	cr_log_info("random: %llu orders, %llu fills (%llu synthetic), %llu filled, %llu cancelled, "
		    "%llu rejected, %llu replaces, %llu dups, %llu stale, %llu out of order, "
		    "%llu reports for reused slots",
		    (unsigned long long)c->orders, (unsigned long long)c->fills,
		    (unsigned long long)c->synthetic, (unsigned long long)c->filled,
		    (unsigned long long)c->cancels, (unsigned long long)c->rejects,
		    (unsigned long long)c->replaces, (unsigned long long)c->dups,
		    (unsigned long long)c->stale, (unsigned long long)c->ooo,
		    (unsigned long long)R->unknown);
	free(R->t);
	free(R->v);
	free(R->m);
	free(R);
}
