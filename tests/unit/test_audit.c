/*
 * test_audit.c — the invariants of a run (libcore/audit) and dm-audit.
 *
 * Suite audit: a hand-made run of three decisions (two released, one
 * vetoed), two orders, three fills, the venue's view and risk's, in which
 * every check passes with counts worked out by hand; then one test per
 * check that breaks it with one record and expects exactly that
 * violation.  Suite audit_tool: the same records written as journals and
 * read by dm-audit (exit status, its table, --json), a corrupt journal,
 * bad usage, and a short live run audited against its segment, then
 * against a copy of its orders journal cut before its last fill.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcore/audit/audit.h"
#include "libcore/journal/journal.h"
#include "libcore/msg/msg.h"
#include "libcore/vote/vote.h"
#include "tests/helpers.h"

#define E      7ull                          /* the run's epoch */
#define ID(n)  ((E << AUDIT_ID_SHIFT) | (n))  /* an id of epoch E */
#define SEC    1000000000ll

/* ------------------------------------------------------------ a run */

#define T_MAX 16

struct t_run {
	struct vote_record dec[T_MAX];
	struct msg_order ord[T_MAX];
	struct msg_exec_report rep[T_MAX];
	struct venue_order_view vord[T_MAX];
	struct venue_fill vfill[T_MAX];
	uint32_t n_dec, n_ord, n_rep, n_vord, n_vfill;
	struct audit_state st;
	int have_state;
};

/* voters: risk (index 0, the veto), execution, feature; majority */
static struct vote_record t_decision(uint64_t id, uint32_t outcome, int side, int32_t qty,
				     int64_t px, uint8_t type, const uint8_t verdict[3])
{
	struct vote_record d;
	memset(&d, 0, sizeof(d));
	d.version = VOTE_RECORD_VERSION;
	d.outcome = outcome;
	d.decision_id = id;
	d.intent_id = id & 0xff;
	d.client_order_id = outcome == VOTE_RELEASE ? id : 0;
	d.ingress_ns = 100 * SEC;
	d.opened_ns = 100 * SEC + 1000;
	d.decided_ns = 100 * SEC + 2000000; /* 2 ms after the event came in */
	d.deadline_ns = d.opened_ns + 50000000;
	d.px = px;
	d.qty = qty;
	d.side = (int8_t)side;
	d.ord_type = type;
	d.reason = outcome == VOTE_RELEASE ? VOTE_R_APPROVED : VOTE_R_VETOED;
	d.decisive = outcome == VOTE_RELEASE ? -1 : 0;
	d.quorum = VOTE_QUORUM_MAJORITY;
	d.veto_mask = 1;
	d.n_voters = 3;
	for (int i = 0; i < 3; i++) {
		d.v[i].voter = (uint32_t)(5 - i);
		d.v[i].verdict = verdict[i];
		d.v[i].reason = verdict[i] == VOTE_V_APPROVE ? VOTE_R_APPROVED : VOTE_R_POS_LIMIT;
		d.v[i].at_ns = d.opened_ns + 500;
	}
	d.market_ns = 1641211200 * SEC;
	return d;
}

static struct msg_order t_order(uint64_t coid, uint64_t dec, int side, int32_t qty, int64_t px,
				uint8_t type)
{
	struct msg_order o;
	memset(&o, 0, sizeof(o));
	o.hdr.type = MSG_ORDER;
	o.hdr.size = sizeof(o);
	o.decision_id = dec;
	o.client_order_id = coid;
	o.px = px;
	o.qty = qty;
	o.side = (int8_t)side;
	o.ord_type = type;
	o.tif = TIF_DAY;
	return o;
}

static struct msg_exec_report t_report(uint64_t coid, uint64_t dec, uint64_t vid, int side,
				       uint8_t status, uint64_t exec_id, int32_t qty, int64_t px,
				       int32_t cum, int32_t leaves)
{
	struct msg_exec_report x;
	memset(&x, 0, sizeof(x));
	x.hdr.type = MSG_EXEC_REPORT;
	x.hdr.size = sizeof(x);
	x.client_order_id = coid;
	x.venue_order_id = vid;
	x.exec_id = exec_id;
	x.last_px = px;
	x.last_qty = qty;
	x.cum_qty = cum;
	x.leaves_qty = leaves;
	x.status = status;
	x.side = (int8_t)side;
	x.decision_id = dec;
	return x;
}

static struct venue_order_view t_vorder(uint64_t coid, uint64_t vid, int side, int32_t qty,
					int32_t cum)
{
	struct venue_order_view v;
	memset(&v, 0, sizeof(v));
	v.client_order_id = coid;
	v.venue_order_id = vid;
	v.qty = qty;
	v.cum_qty = cum;
	v.leaves_qty = 0;
	v.side = (int8_t)side;
	v.status = EXEC_FILLED;
	return v;
}

static struct venue_fill t_vfill(uint64_t exec_id, uint64_t coid, uint64_t vid, int side,
				 int32_t qty, int64_t px)
{
	struct venue_fill f;
	memset(&f, 0, sizeof(f));
	f.exec_id = exec_id;
	f.client_order_id = coid;
	f.venue_order_id = vid;
	f.px = px;
	f.qty = qty;
	f.side = (int8_t)side;
	return f;
}

static const uint8_t ALL_YES[3] = { VOTE_V_APPROVE, VOTE_V_APPROVE, VOTE_V_APPROVE };
static const uint8_t TWO_YES[3] = { VOTE_V_APPROVE, VOTE_V_APPROVE, VOTE_V_REJECT };
static const uint8_t VETOED[3]  = { VOTE_V_VETO, VOTE_V_APPROVE, VOTE_V_APPROVE };

/*
 * The clean run, by hand:
 *   D1 released: buy 2 @ 100 limit      -> order O1 (table id ID(1))
 *   D2 blocked:  risk vetoed
 *   D3 released: sell 1 at market (2 of 3 approve, the veto holder too)
 *                                       -> order O3 (table id ID(2))
 *   O1: ack (venue id 1), fill 1 @ 100 (exec ID(1)), fill 1 @ 100 (ID(2))
 *   O3: ack (venue id 2), fill 1 @ 98 (exec ID(3))
 *   position +2 - 1 = +1, volume 3, 3 fills; the venue and risk agree
 */
static void t_clean(struct t_run *t)
{
	memset(t, 0, sizeof(*t));
	t->dec[t->n_dec++] = t_decision(ID(1), VOTE_RELEASE, SIDE_BUY, 2, 100, ORD_LIMIT, ALL_YES);
	t->dec[t->n_dec++] = t_decision(ID(2), VOTE_BLOCK, SIDE_BUY, 1, 101, ORD_LIMIT, VETOED);
	t->dec[t->n_dec++] = t_decision(ID(3), VOTE_RELEASE, SIDE_SELL, 1, 0, ORD_MARKET, TWO_YES);
	t->ord[t->n_ord++] = t_order(ID(1), ID(1), SIDE_BUY, 2, 100, ORD_LIMIT);
	t->ord[t->n_ord++] = t_order(ID(2), ID(3), SIDE_SELL, 1, 0, ORD_MARKET);
	t->rep[t->n_rep++] = t_report(ID(1), ID(1), 1, SIDE_BUY, EXEC_ACK, 0, 0, 0, 0, 2);
	t->rep[t->n_rep++] = t_report(ID(1), ID(1), 1, SIDE_BUY, EXEC_PARTIAL, ID(1), 1, 100, 1, 1);
	t->rep[t->n_rep++] = t_report(ID(2), ID(3), 2, SIDE_SELL, EXEC_ACK, 0, 0, 0, 0, 1);
	t->rep[t->n_rep++] = t_report(ID(1), ID(1), 1, SIDE_BUY, EXEC_FILLED, ID(2), 1, 100, 2, 0);
	t->rep[t->n_rep++] = t_report(ID(2), ID(3), 2, SIDE_SELL, EXEC_FILLED, ID(3), 1, 98, 1, 0);
	t->vord[t->n_vord++] = t_vorder(ID(1), 1, SIDE_BUY, 2, 2);
	t->vord[t->n_vord++] = t_vorder(ID(2), 2, SIDE_SELL, 1, 1);
	t->vfill[t->n_vfill++] = t_vfill(1, ID(1), 1, SIDE_BUY, 1, 100);
	t->vfill[t->n_vfill++] = t_vfill(2, ID(2), 2, SIDE_SELL, 1, 98);
	t->vfill[t->n_vfill++] = t_vfill(3, ID(1), 1, SIDE_BUY, 1, 100);
	t->st.epoch = E;
	t->st.have_venue = 1;
	t->st.have_risk = 1;
	t->st.venue.fills = 3;
	t->st.venue.buy_qty = 2;
	t->st.venue.sell_qty = 1;
	t->st.risk_position = 1;
	t->st.risk_fills = 3;
	t->st.risk_volume = 3;
	t->have_state = 1;
}

static void t_audit(const struct t_run *t, int64_t max_age_ns, struct audit_result *r)
{
	struct audit_caps caps = { T_MAX, T_MAX, T_MAX, T_MAX, T_MAX };
	static uint64_t mem[65536];
	cr_assert_leq(audit_memsize(&caps), sizeof(mem));
	static struct audit a;
	struct audit_params p = { .max_intent_age_ns = max_age_ns };
	cr_assert_eq(audit_init(&a, mem, sizeof(mem), &caps, &p), 0);
	audit_on_journal(&a, "decisions.journal", 0, 0, 0);
	audit_on_journal(&a, "orders.journal", 0, 0, 0);
	for (uint32_t i = 0; i < t->n_dec; i++)
		cr_assert_eq(audit_on_decision(&a, &t->dec[i]), 0);
	for (uint32_t i = 0; i < t->n_ord; i++)
		cr_assert_eq(audit_on_order(&a, &t->ord[i]), 0);
	for (uint32_t i = 0; i < t->n_rep; i++)
		cr_assert_eq(audit_on_exec(&a, &t->rep[i]), 0);
	if (t->have_state) {
		audit_set_state(&a, &t->st);
		for (uint32_t i = 0; i < t->n_vord; i++)
			cr_assert_eq(audit_on_venue_order(&a, &t->vord[i]), 0);
		for (uint32_t i = 0; i < t->n_vfill; i++)
			cr_assert_eq(audit_on_venue_fill(&a, &t->vfill[i]), 0);
	}
	audit_finish(&a, r);
}

/* Exactly n violations in all, every one of them in check c. */
static void t_only(const struct audit_result *r, uint32_t c, uint64_t n)
{
	for (uint32_t k = 0; k < AUDIT_CHECK_COUNT; k++) {
		uint64_t want = k == c ? n : 0;
		cr_expect_eq(r->check[k].violations, want, "%s: %llu violations, expected %llu%s%s",
			     audit_check_name(k), (unsigned long long)r->check[k].violations,
			     (unsigned long long)want, r->check[k].n_examples ? ": " : "",
			     r->check[k].n_examples ? r->check[k].example[0] : "");
	}
	cr_expect_eq(r->violations, n);
	if (n)
		cr_expect_gt(r->check[c].n_examples, 0, "the violation is described");
}

#define MS 1000000ll

/* ------------------------------------------------------------ the module */

Test(audit, clean_run_passes_every_check_with_hand_counted_items)
{
	static struct t_run t;
	t_clean(&t);
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_JOURNALS_INTACT, 0);
	static const uint64_t checked[AUDIT_CHECK_COUNT] = {
		[AUDIT_JOURNALS_INTACT] = 2,
		[AUDIT_DECISION_IDS] = 3,
		[AUDIT_CLIENT_ORDER_IDS] = 2,
		[AUDIT_VENUE_ORDER_IDS] = 2,
		[AUDIT_EXEC_IDS] = 3,
		[AUDIT_DECISIONS_VOTED] = 3,
		[AUDIT_ORDERS_APPROVED] = 2,
		[AUDIT_RELEASED_EXECUTED] = 2,
		[AUDIT_FILLS_HAVE_ORDERS] = 3 + 3,   /* journal fills, venue log */
		[AUDIT_NO_OVERFILL] = 2 + 2,         /* journal orders, venue orders */
		[AUDIT_VENUE_JOURNALED] = 2,
		[AUDIT_POSITION] = 3 + 2,            /* risk 3 figures, venue 2 */
		[AUDIT_FRESH_INTENTS] = 2,
	};
	for (uint32_t c = 0; c < AUDIT_CHECK_COUNT; c++) {
		cr_expect_eq(r.check[c].checked, checked[c], "%s checked %llu", audit_check_name(c),
			     (unsigned long long)r.check[c].checked);
		cr_expect_eq(r.check[c].skipped, 0, "%s not skipped", audit_check_name(c));
	}
	cr_expect_eq(r.decisions, 3);
	cr_expect_eq(r.released, 2);
	cr_expect_eq(r.orders, 2);
	cr_expect_eq(r.reports, 5);
	cr_expect_eq(r.fills, 3);
	cr_expect_eq(r.epochs, 1);
	cr_expect_eq(r.journal_position, 1);
	cr_expect_eq(r.journal_volume, 3);
	cr_expect_eq(r.journal_fills, 3);
	cr_expect_eq(r.max_intent_age_seen_ns, 2 * MS);
	cr_expect_eq(r.rep_decisions + r.rep_orders + r.rep_fills, 0);
	cr_expect_eq(r.dropped, 0);
}

Test(audit, check_names_are_distinct_and_named)
{
	for (uint32_t c = 0; c < AUDIT_CHECK_COUNT; c++) {
		cr_expect_neq(strcmp(audit_check_name(c), "?"), 0);
		cr_expect_neq(strcmp(audit_check_text(c), "?"), 0);
		for (uint32_t k = 0; k < c; k++)
			cr_expect_neq(strcmp(audit_check_name(c), audit_check_name(k)), 0);
	}
	cr_expect_str_eq(audit_check_name(AUDIT_CHECK_COUNT), "?");
	cr_expect_str_eq(audit_check_name(AUDIT_POSITION), "position_agrees");
}

Test(audit, a_record_journaled_again_is_a_repeat_not_a_violation)
{
	static struct t_run t;
	t_clean(&t);
	t.dec[t.n_dec++] = t.dec[0];  /* the coordinator decided D1 again */
	t.ord[t.n_ord++] = t.ord[1];  /* O3 re-delivered and journaled again */
	t.rep[t.n_rep++] = t.rep[4];  /* O3's fill published again */
	t.rep[t.n_rep++] = t.rep[1];  /* and O1's first */
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_DECISION_IDS, 0);
	cr_expect_eq(r.rep_decisions, 1);
	cr_expect_eq(r.rep_orders, 1);
	cr_expect_eq(r.rep_fills, 2);
	cr_expect_eq(r.decisions, 3);
	cr_expect_eq(r.orders, 2);
	cr_expect_eq(r.fills, 3);
	cr_expect_eq(r.journal_position, 1, "a repeated fill counts once");
}

Test(audit, a_decision_id_of_two_decisions)
{
	static struct t_run t;
	t_clean(&t);
	/* D2 journaled again, this time released */
	t.dec[t.n_dec++] = t_decision(ID(2), VOTE_RELEASE, SIDE_BUY, 1, 101, ORD_LIMIT, ALL_YES);
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_DECISION_IDS, 1);
	cr_expect_eq(r.rep_decisions, 0);
}

Test(audit, a_client_order_id_of_two_orders)
{
	static struct t_run t;
	t_clean(&t);
	t.ord[t.n_ord++] = t_order(ID(1), ID(3), SIDE_SELL, 1, 0, ORD_MARKET);
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_CLIENT_ORDER_IDS, 1);
}

Test(audit, a_decision_reaching_execution_as_two_orders)
{
	static struct t_run t;
	t_clean(&t);
	t.ord[t.n_ord++] = t_order(ID(9), ID(1), SIDE_BUY, 2, 100, ORD_LIMIT);
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_CLIENT_ORDER_IDS, 1);
}

Test(audit, two_released_decisions_naming_one_client_order_id)
{
	static struct t_run t;
	t_clean(&t);
	t.dec[2].client_order_id = ID(1);
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_CLIENT_ORDER_IDS, 1);
}

Test(audit, a_venue_order_id_of_two_orders)
{
	static struct t_run t;
	t_clean(&t);
	/* a report of O3 under O1's venue id: venue id 1 names two orders, and
	 * O3 has two venue ids */
	t.rep[t.n_rep++] = t_report(ID(2), ID(3), 1, SIDE_SELL, EXEC_ACK, 0, 0, 0, 0, 1);
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_VENUE_ORDER_IDS, 2);
}

Test(audit, venue_order_ids_of_two_epochs_are_two_ids)
{
	static struct t_run t;
	t_clean(&t);
	/* epoch 8 starts its venue at 1 again: another order, no violation */
	uint64_t id8 = (8ull << AUDIT_ID_SHIFT) | 1;
	t.dec[t.n_dec++] = t_decision(id8, VOTE_RELEASE, SIDE_BUY, 1, 100, ORD_LIMIT, ALL_YES);
	t.ord[t.n_ord++] = t_order(id8, id8, SIDE_BUY, 1, 100, ORD_LIMIT);
	t.rep[t.n_rep++] = t_report(id8, id8, 1, SIDE_BUY, EXEC_FILLED, id8, 1, 100, 1, 0);
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_VENUE_ORDER_IDS, 0);
	cr_expect_eq(r.check[AUDIT_VENUE_ORDER_IDS].checked, 3);
	cr_expect_eq(r.epochs, 2);
	/* the state is epoch 7's: epoch 8's fill is not in its position */
	cr_expect_eq(r.journal_position, 1);
	cr_expect_eq(r.journal_fills, 3);
}

Test(audit, an_exec_id_of_two_fills)
{
	static struct t_run t;
	t_clean(&t);
	t.rep[t.n_rep++] = t_report(ID(2), ID(3), 2, SIDE_SELL, EXEC_FILLED, ID(1), 1, 98, 1, 0);
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_EXEC_IDS, 1);
}

Test(audit, an_order_without_a_decision)
{
	static struct t_run t;
	t_clean(&t);
	t.ord[t.n_ord++] = t_order(ID(5), ID(99), SIDE_BUY, 1, 100, ORD_LIMIT);
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_ORDERS_APPROVED, 1);
	cr_expect(strstr(r.check[AUDIT_ORDERS_APPROVED].example[0], "no decision record"));
}

Test(audit, an_order_of_a_blocked_decision)
{
	static struct t_run t;
	t_clean(&t);
	t.ord[t.n_ord++] = t_order(ID(5), ID(2), SIDE_BUY, 1, 101, ORD_LIMIT);
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_ORDERS_APPROVED, 1);
	cr_expect(strstr(r.check[AUDIT_ORDERS_APPROVED].example[0], "blocked"));
}

Test(audit, an_order_unlike_its_decision)
{
	static struct t_run t;
	t_clean(&t);
	t.ord[0].px = 105; /* D1 approved a buy at 100 */
	struct audit_result r;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_ORDERS_APPROVED, 1);
	t_clean(&t);
	t.ord[1].px = 42; /* a market order's price is not compared */
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_ORDERS_APPROVED, 0);
	t.ord[1].side = SIDE_BUY;
	t.rep[2].side = t.rep[4].side = SIDE_BUY;
	t.vord[1].side = SIDE_BUY;
	t.st.venue.buy_qty = 3;
	t.st.venue.sell_qty = 0;
	t.st.risk_position = 3;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_ORDERS_APPROVED, 1);
}

Test(audit, a_release_without_its_veto_holder_or_its_quorum)
{
	static struct t_run t;
	struct audit_result r;
	t_clean(&t);
	t.dec[0].v[0].verdict = VOTE_V_REJECT; /* risk, the veto holder */
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_DECISIONS_VOTED, 1);
	cr_expect(strstr(r.check[AUDIT_DECISIONS_VOTED].example[0], "veto holder 0"));

	t_clean(&t);
	t.dec[2].v[1].verdict = VOTE_V_NONE; /* 1 approval of 3, majority asks 2 */
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_DECISIONS_VOTED, 1);
	cr_expect(strstr(r.check[AUDIT_DECISIONS_VOTED].example[0], "1 approvals, its quorum asks 2"));

	t_clean(&t);
	t.dec[2].quorum = VOTE_QUORUM_ALL; /* all three: 2 approvals are short */
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_DECISIONS_VOTED, 1);

	t_clean(&t);
	t.dec[2].quorum = VOTE_QUORUM_N;
	t.dec[2].quorum_n = 2; /* two are enough */
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_DECISIONS_VOTED, 0);
	t.dec[2].quorum_n = 4; /* more than the voters: unreadable */
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_DECISIONS_VOTED, 1);
}

Test(audit, a_blocked_decision_naming_an_order_and_a_release_naming_none)
{
	static struct t_run t;
	struct audit_result r;
	t_clean(&t);
	t.dec[1].client_order_id = ID(2);
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_DECISIONS_VOTED, 1);
	t_clean(&t);
	t.dec[2].client_order_id = 0;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_DECISIONS_VOTED, 1);
	t_clean(&t);
	t.dec[2].outcome = VOTE_PENDING;
	t_audit(&t, 1000 * MS, &r);
	/* undecided: no release behind O3 either */
	cr_expect_eq(r.check[AUDIT_DECISIONS_VOTED].violations, 1);
	cr_expect_eq(r.check[AUDIT_ORDERS_APPROVED].violations, 1);
}

Test(audit, a_release_that_never_reached_execution)
{
	static struct t_run t;
	struct audit_result r;
	t_clean(&t);
	t.dec[t.n_dec++] = t_decision(ID(4), VOTE_RELEASE, SIDE_BUY, 1, 99, ORD_LIMIT, ALL_YES);
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_RELEASED_EXECUTED, 1);
	/* execution's refusal of it is an answer */
	t.rep[t.n_rep++] = t_report(0, ID(4), 0, SIDE_BUY, EXEC_REJECTED, 0, 0, 0, 0, 0);
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_RELEASED_EXECUTED, 0);
	cr_expect_eq(r.check[AUDIT_RELEASED_EXECUTED].checked, 3);
}

Test(audit, a_fill_of_an_order_never_journaled)
{
	static struct t_run t;
	struct audit_result r;
	t_clean(&t);
	t.have_state = 0; /* the position is not what this test is about */
	t.rep[t.n_rep++] = t_report(ID(50), ID(60), 9, SIDE_BUY, EXEC_FILLED, ID(9), 1, 100, 1, 0);
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_FILLS_HAVE_ORDERS, 1);
	cr_expect_eq(r.check[AUDIT_POSITION].skipped, 1);
	cr_expect_eq(r.check[AUDIT_VENUE_JOURNALED].skipped, 1);

	/* a fill in the venue's log of an order the journal does not hold */
	t_clean(&t);
	t.vfill[t.n_vfill++] = t_vfill(4, ID(50), 9, SIDE_BUY, 1, 100);
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_FILLS_HAVE_ORDERS, 1);
	cr_expect(strstr(r.check[AUDIT_FILLS_HAVE_ORDERS].example[0], "venue fill 4"));
}

Test(audit, an_overfilled_order)
{
	static struct t_run t;
	struct audit_result r;
	t_clean(&t);
	t.have_state = 0;
	/* O3 asked 1: a second fill makes 2 */
	t.rep[t.n_rep++] = t_report(ID(2), ID(3), 2, SIDE_SELL, EXEC_FILLED, ID(4), 1, 98, 2, 0);
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_NO_OVERFILL, 1);
	/* a report alone saying more than the order */
	t_clean(&t);
	t.have_state = 0;
	t.rep[t.n_rep++] = t_report(ID(2), ID(3), 2, SIDE_SELL, EXEC_FILLED, 0, 0, 0, 3, 0);
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_NO_OVERFILL, 1);
	/* the venue filling an order beyond its quantity */
	t_clean(&t);
	t.vord[0].qty = 1; /* venue says 2 of 1 */
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_NO_OVERFILL, 1);
}

Test(audit, an_order_at_the_venue_the_journal_does_not_hold)
{
	static struct t_run t;
	struct audit_result r;
	t_clean(&t);
	t.vord[t.n_vord++] = t_vorder(ID(60), 3, SIDE_BUY, 1, 0);
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_VENUE_JOURNALED, 1);
	cr_expect(strstr(r.check[AUDIT_VENUE_JOURNALED].example[0], "not in the orders journal"));
	/* the venue filled more of O1 than the journal holds */
	t_clean(&t);
	t.n_rep = 3; /* O1's second fill and O3's never journaled */
	t.st.risk_position = 1;
	t_audit(&t, 1000 * MS, &r);
	cr_expect_eq(r.check[AUDIT_VENUE_JOURNALED].violations, 2);
	cr_expect_gt(r.check[AUDIT_POSITION].violations, 0);
}

Test(audit, position_of_risk_venue_and_journal_must_agree)
{
	static struct t_run t;
	struct audit_result r;
	t_clean(&t);
	t.st.risk_position = 2;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_POSITION, 1);
	cr_expect(strstr(r.check[AUDIT_POSITION].example[0], "risk's position is 2"));
	t_clean(&t);
	t.st.risk_fills = 4; /* a fill applied twice */
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_POSITION, 1);
	t_clean(&t);
	t.st.risk_volume = 4;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_POSITION, 1);
	t_clean(&t);
	t.st.venue.sell_qty = 2; /* net 0 and volume 4 at the venue */
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_POSITION, 2);
	t_clean(&t);
	t.st.have_risk = 0;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_POSITION, 0);
	cr_expect_eq(r.check[AUDIT_POSITION].checked, 2, "the venue's two figures only");
}

Test(audit, a_release_on_a_stale_intent)
{
	static struct t_run t;
	struct audit_result r;
	t_clean(&t);
	t.dec[2].decided_ns = t.dec[2].ingress_ns + 1500 * MS;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_FRESH_INTENTS, 1);
	cr_expect_eq(r.max_intent_age_seen_ns, 1500 * MS);
	cr_expect(strstr(r.check[AUDIT_FRESH_INTENTS].example[0],
			 "released at 00:01:41.500Z, 1.500 s after its market event came in "
			 "(limit 1.000 s)"), "%s", r.check[AUDIT_FRESH_INTENTS].example[0]);
	/* at the limit exactly: fresh */
	t.dec[2].decided_ns = t.dec[2].ingress_ns + 1000 * MS;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_FRESH_INTENTS, 0);
	/* a blocked decision is never a release on a stale intent */
	t_clean(&t);
	t.dec[1].decided_ns = t.dec[1].ingress_ns + 5000 * MS;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_FRESH_INTENTS, 0);
	/* a flattening order has no intent behind it */
	t_clean(&t);
	t.dec[2].reason = VOTE_R_FLATTEN;
	t.dec[2].ingress_ns = 0;
	t_audit(&t, 1000 * MS, &r);
	t_only(&r, AUDIT_FRESH_INTENTS, 0);
	cr_expect_eq(r.check[AUDIT_FRESH_INTENTS].checked, 1);
	/* no limit: skipped */
	t_clean(&t);
	t.dec[2].decided_ns = t.dec[2].ingress_ns + 1500 * MS;
	t_audit(&t, 0, &r);
	t_only(&r, AUDIT_FRESH_INTENTS, 0);
	cr_expect_eq(r.check[AUDIT_FRESH_INTENTS].skipped, 1);
	cr_expect_eq(r.max_intent_age_seen_ns, 1500 * MS, "still measured");
}

Test(audit, a_corrupt_journal_and_a_torn_tail)
{
	struct audit_caps caps = { 1, 1, 1, 0, 0 };
	static uint64_t mem[1024];
	static struct audit a;
	struct audit_params p = { 0 };
	cr_assert_eq(audit_init(&a, mem, sizeof(mem), &caps, &p), 0);
	audit_on_journal(&a, "decisions.journal", 0, 0, 40);
	audit_on_journal(&a, "orders.journal", -DM_ECORRUPT, 4096, 0);
	struct audit_result r;
	audit_finish(&a, &r);
	t_only(&r, AUDIT_JOURNALS_INTACT, 1);
	cr_expect_eq(r.check[AUDIT_JOURNALS_INTACT].checked, 2);
	cr_expect_eq(r.torn_bytes, 40);
	cr_expect(strstr(r.check[AUDIT_JOURNALS_INTACT].example[0], "orders.journal"));
	cr_expect(strstr(r.check[AUDIT_JOURNALS_INTACT].example[0], "offset 4096"));
}

Test(audit, records_beyond_the_room_are_counted)
{
	struct audit_caps caps = { 1, 1, 1, 0, 0 };
	static uint64_t mem[1024];
	static struct audit a;
	struct audit_params p = { 0 };
	cr_assert_eq(audit_init(&a, mem, sizeof(mem), &caps, &p), 0);
	struct vote_record d = t_decision(ID(1), VOTE_BLOCK, SIDE_BUY, 1, 1, ORD_LIMIT, VETOED);
	cr_expect_eq(audit_on_decision(&a, &d), 0);
	cr_expect_eq(audit_on_decision(&a, &d), -ENOSPC);
	struct venue_fill f = t_vfill(1, ID(1), 1, SIDE_BUY, 1, 1);
	cr_expect_eq(audit_on_venue_fill(&a, &f), -ENOSPC);
	struct audit_result r;
	audit_finish(&a, &r);
	cr_expect_eq(r.dropped, 2);
}

Test(audit, init_refuses_short_or_misaligned_memory)
{
	struct audit_caps caps = { 10, 10, 10, 10, 10 };
	static uint64_t mem[4096];
	static struct audit a;
	struct audit_params p = { 0 };
	size_t need = audit_memsize(&caps);
	cr_assert_gt(need, 0);
	cr_assert_leq(need, sizeof(mem));
	cr_expect_eq(audit_init(&a, mem, need - 1, &caps, &p), -EINVAL);
	cr_expect_eq(audit_init(&a, (uint8_t *)mem + 4, need, &caps, &p), -EINVAL);
	cr_expect_eq(audit_init(&a, mem, need, &caps, &p), 0);
}

/* ------------------------------------------------------------ dm-audit */

static void tool_setup(void)
{
	t_tmp_init("dmaudit");
}

TestSuite(audit_tool, .init = tool_setup, .fini = t_tmp_cleanup, .timeout = 180);

/* The records of t as decisions.journal and orders.journal in dir. */
static void t_write_journals(const struct t_run *t, const char *dir)
{
	char path[PATH_MAX];
	struct journal_opts o = { .symbol = "WIN" };
	static struct journal_writer w;
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/decisions.journal", dir);
	cr_assert_eq(journal_open_write(&w, path, &o), 0, "%s", path);
	for (uint32_t i = 0; i < t->n_dec; i++)
		cr_assert_eq(journal_append(&w, JREC_DECISION, &t->dec[i], sizeof(t->dec[i])), 0);
	cr_assert_eq(journal_close(&w), 0);
	snprintf(path, sizeof(path), "%s/orders.journal", dir);
	cr_assert_eq(journal_open_write(&w, path, &o), 0, "%s", path);
	/* in the order execution writes them: each order, then its reports;
	 * then the reports of no order in the journal */
	uint8_t done[T_MAX] = { 0 };
	for (uint32_t i = 0; i < t->n_ord; i++) {
		cr_assert_eq(journal_append(&w, JREC_ORDER, &t->ord[i], sizeof(t->ord[i])), 0);
		for (uint32_t k = 0; k < t->n_rep; k++)
			if (!done[k] && t->rep[k].client_order_id == t->ord[i].client_order_id) {
				cr_assert_eq(journal_append(&w, JREC_EXEC, &t->rep[k],
							    sizeof(t->rep[k])), 0);
				done[k] = 1;
			}
	}
	for (uint32_t k = 0; k < t->n_rep; k++)
		if (!done[k])
			cr_assert_eq(journal_append(&w, JREC_EXEC, &t->rep[k], sizeof(t->rep[k])), 0);
	cr_assert_eq(journal_close(&w), 0);
}

static char out[16384];

/* The line of check name in dm-audit's table: "name  checked violations RESULT". */
static int t_row(const char *name, unsigned long long *checked, unsigned long long *viol,
		 char *result)
{
	const char *p = out;
	size_t n = strlen(name);
	while ((p = strstr(p, name)) != NULL) {
		if ((p == out || p[-1] == '\n') && p[n] == ' ')
			return sscanf(p + n, "%llu %llu %7s", checked, viol, result) == 3;
		p += n;
	}
	return 0;
}

Test(audit_tool, a_clean_run_passes_and_a_broken_one_fails_naming_the_check)
{
	static struct t_run t;
	t_clean(&t);
	const char *dir = t_tmp_path("clean");
	t_write_journals(&t, dir);
	int rc = t_sh(out, sizeof(out), "'%s/dm-audit' '%s'", t_bin_dir(), dir);
	cr_expect_eq(rc, 0, "%s", out);
	unsigned long long ck, v;
	char res[8];
	cr_assert(t_row("orders_approved", &ck, &v, res), "%s", out);
	cr_expect_eq(ck, 2);
	cr_expect_eq(v, 0);
	cr_expect_str_eq(res, "PASS");
	cr_assert(t_row("position_agrees", &ck, &v, res), "%s", out);
	cr_expect_str_eq(res, "SKIP", "no segment: nothing to compare with");
	cr_assert(t_row("exec_ids_unique", &ck, &v, res), "%s", out);
	cr_expect_eq(ck, 3);
	cr_expect(strstr(out, "\nPASS: 0 violations\n"), "%s", out);

	t.ord[t.n_ord++] = t_order(ID(5), ID(99), SIDE_BUY, 1, 100, ORD_LIMIT);
	const char *bad = t_tmp_path("broken");
	t_write_journals(&t, bad);
	rc = t_sh(out, sizeof(out), "'%s/dm-audit' '%s'", t_bin_dir(), bad);
	cr_expect_eq(rc, 1, "%s", out);
	cr_assert(t_row("orders_approved", &ck, &v, res), "%s", out);
	cr_expect_eq(ck, 3);
	cr_expect_eq(v, 1);
	cr_expect_str_eq(res, "FAIL");
	char want[128];
	snprintf(want, sizeof(want), "orders_approved: order %llu (decision %llu): no decision record",
		 (unsigned long long)ID(5), (unsigned long long)ID(99));
	cr_expect(strstr(out, want), "%s", out);
	cr_expect(strstr(out, "\nFAIL: 1 violation\n"), "%s", out);
}

/* t broken for check c with one record (or one field), as the module
 * tests above break it; returns the violations expected */
static uint64_t t_break(struct t_run *t, uint32_t c)
{
	switch (c) {
	case AUDIT_DECISION_IDS:
		t->dec[t->n_dec++] = t_decision(ID(2), VOTE_RELEASE, SIDE_BUY, 1, 101, ORD_LIMIT,
						ALL_YES);
		return 1;
	case AUDIT_CLIENT_ORDER_IDS:
		t->ord[t->n_ord++] = t_order(ID(1), ID(3), SIDE_SELL, 1, 0, ORD_MARKET);
		return 1;
	case AUDIT_VENUE_ORDER_IDS:
		t->rep[t->n_rep++] = t_report(ID(2), ID(3), 1, SIDE_SELL, EXEC_ACK, 0, 0, 0, 0, 1);
		return 2;
	case AUDIT_EXEC_IDS:
		t->rep[t->n_rep++] = t_report(ID(2), ID(3), 2, SIDE_SELL, EXEC_FILLED, ID(1), 1, 98,
					      1, 0);
		return 1;
	case AUDIT_DECISIONS_VOTED:
		t->dec[0].v[0].verdict = VOTE_V_REJECT;
		return 1;
	case AUDIT_ORDERS_APPROVED:
		t->ord[t->n_ord++] = t_order(ID(5), ID(99), SIDE_BUY, 1, 100, ORD_LIMIT);
		return 1;
	case AUDIT_RELEASED_EXECUTED:
		t->dec[t->n_dec++] = t_decision(ID(4), VOTE_RELEASE, SIDE_BUY, 1, 99, ORD_LIMIT,
						ALL_YES);
		return 1;
	case AUDIT_FILLS_HAVE_ORDERS:
		t->rep[t->n_rep++] = t_report(ID(50), ID(60), 9, SIDE_BUY, EXEC_FILLED, ID(9), 1, 100,
					      1, 0);
		return 1;
	case AUDIT_NO_OVERFILL:
		t->rep[t->n_rep++] = t_report(ID(2), ID(3), 2, SIDE_SELL, EXEC_FILLED, ID(4), 1, 98,
					      2, 0);
		return 1;
	case AUDIT_FRESH_INTENTS:
		t->dec[2].decided_ns = t->dec[2].ingress_ns + 1500 * MS;
		return 1;
	default:
		return 0; /* journals_intact: below; the state's checks: the live run */
	}
}

Test(audit_tool, every_journal_check_fails_on_journals_that_break_it)
{
	static struct t_run t;
	uint32_t tried = 0;
	for (uint32_t c = 0; c < AUDIT_CHECK_COUNT; c++) {
		t_clean(&t);
		t.have_state = 0;
		uint64_t want = t_break(&t, c);
		if (!want)
			continue;
		tried++;
		char name[64];
		snprintf(name, sizeof(name), "break-%s", audit_check_name(c));
		const char *dir = t_tmp_path(name);
		t_write_journals(&t, dir);
		int rc = t_sh(out, sizeof(out), "'%s/dm-audit' '%s' --json 2>/dev/null", t_bin_dir(),
			      dir);
		cr_expect_eq(rc, 1, "%s: exit %d", audit_check_name(c), rc);
		json_t *j = json_loads(out, 0, NULL);
		cr_assert_not_null(j, "%s: %s", audit_check_name(c), out);
		json_t *checks = json_object_get(j, "checks");
		for (uint32_t k = 0; k < AUDIT_CHECK_COUNT; k++) {
			json_t *o = json_array_get(checks, k);
			json_int_t v = json_integer_value(json_object_get(o, "violations"));
			cr_expect_eq(v, k == c ? (json_int_t)want : 0, "broken %s: %s has %lld",
				     audit_check_name(c), audit_check_name(k), (long long)v);
			if (k == c)
				cr_expect_str_eq(json_string_value(json_object_get(o, "result")),
						 "FAIL");
		}
		json_decref(j);
	}
	cr_expect_eq(tried, AUDIT_CHECK_COUNT - 3, "all but journals_intact, venue_journaled "
		     "and position_agrees");
}

Test(audit_tool, json_carries_every_check)
{
	static struct t_run t;
	t_clean(&t);
	t.dec[2].decided_ns = t.dec[2].ingress_ns + 1500 * MS;
	const char *dir = t_tmp_path("json");
	t_write_journals(&t, dir);
	int rc = t_sh(out, sizeof(out), "'%s/dm-audit' '%s' --json 2>/dev/null", t_bin_dir(), dir);
	cr_expect_eq(rc, 1, "%s", out);
	json_error_t e;
	json_t *j = json_loads(out, 0, &e);
	cr_assert_not_null(j, "%s: %s", e.text, out);
	cr_expect_str_eq(json_string_value(json_object_get(j, "result")), "FAIL");
	cr_expect_eq(json_integer_value(json_object_get(j, "violations")), 1);
	cr_expect_eq(json_integer_value(json_object_get(j, "max_intent_age_seen_ns")), 1500 * MS);
	json_t *checks = json_object_get(j, "checks");
	cr_assert_eq(json_array_size(checks), AUDIT_CHECK_COUNT);
	for (uint32_t c = 0; c < AUDIT_CHECK_COUNT; c++) {
		json_t *k = json_array_get(checks, c);
		cr_expect_str_eq(json_string_value(json_object_get(k, "name")), audit_check_name(c));
		const char *want = c == AUDIT_FRESH_INTENTS ? "FAIL"
				 : c == AUDIT_POSITION || c == AUDIT_VENUE_JOURNALED ? "SKIP" : "PASS";
		cr_expect_str_eq(json_string_value(json_object_get(k, "result")), want, "%s",
				 audit_check_name(c));
	}
	json_decref(j);

	/* a looser limit passes; 0 skips */
	rc = t_sh(out, sizeof(out), "'%s/dm-audit' '%s' --max-intent-age 2s", t_bin_dir(), dir);
	cr_expect_eq(rc, 0, "%s", out);
	rc = t_sh(out, sizeof(out), "'%s/dm-audit' '%s' --max-intent-age 0", t_bin_dir(), dir);
	cr_expect_eq(rc, 0, "%s", out);
	unsigned long long ck, v;
	char res[8];
	cr_assert(t_row("fresh_intents", &ck, &v, res), "%s", out);
	cr_expect_str_eq(res, "SKIP");
}

Test(audit_tool, a_corrupt_journal_fails_journals_intact)
{
	static struct t_run t;
	t_clean(&t);
	const char *dir = t_tmp_path("corrupt");
	t_write_journals(&t, dir);
	/* flip a payload byte of the first order record: valid records follow */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/orders.journal", dir);
	FILE *f = fopen(path, "r+b");
	cr_assert_not_null(f);
	long at = JOURNAL_HDR_SIZE + JREC_HDR_SIZE + 40;
	cr_assert_eq(fseek(f, at, SEEK_SET), 0);
	int c = fgetc(f);
	cr_assert_eq(fseek(f, at, SEEK_SET), 0);
	fputc(c ^ 0xff, f);
	fclose(f);
	int rc = t_sh(out, sizeof(out), "'%s/dm-audit' '%s'", t_bin_dir(), dir);
	cr_expect_eq(rc, 1, "%s", out);
	unsigned long long ck, v;
	char res[8];
	cr_assert(t_row("journals_intact", &ck, &v, res), "%s", out);
	cr_expect_eq(ck, 2);
	cr_expect_eq(v, 1);
	cr_expect(strstr(out, "orders.journal: unreadable from offset 128"), "%s", out);
}

Test(audit_tool, bad_usage_exits_2)
{
	const char *bin = t_bin_dir();
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-audit'", bin), 2, "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-audit' a b", bin), 2, "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-audit' --bogus x", bin), 2, "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-audit' '%s/none'", bin, t_tmp_dir), 2, "%s",
		     out);
	cr_expect(strstr(out, "not a directory"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-audit' '%s'", bin, t_tmp_dir), 2, "%s", out);
	cr_expect(strstr(out, "not a run directory"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-audit' '%s' --max-intent-age 5", bin,
			  t_tmp_dir), 2, "%s", out);
	cr_expect(strstr(out, "--max-intent-age '5'"), "%s", out);
	static struct t_run t;
	t_clean(&t);
	const char *dir = t_tmp_path("usage");
	t_write_journals(&t, dir);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-audit' '%s' --name /dm-audit-no-such-seg", bin,
			  dir), 2, "%s", out);
	cr_expect(strstr(out, "cannot attach"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-audit' --help", bin), 0);
	cr_expect(strstr(out, "position_agrees"), "%s", out);
}

/* ------------------------------------------------------------ a live run */

/* The fill records of an orders journal. */
static uint64_t t_count_fills(const char *path)
{
	struct journal_reader jr;
	cr_assert_eq(journal_open_read(&jr, path, 0), 0, "%s", path);
	const struct jrec *r;
	uint64_t fills = 0;
	while (journal_next(&jr, &r) == 1) {
		const struct msg_exec_report *x = (const void *)r->payload;
		if (r->type == JREC_EXEC && x->exec_id && x->last_qty > 0)
			fills++;
	}
	journal_reader_close(&jr);
	return fills;
}

/* A copy of the orders journal src at dst without its last fill record,
 * every other record kept in order (renumbered: seq runs on without a
 * gap).  An order journaled after that fill stays, so the copy is short of
 * the fill and nothing else.  Returns the fills of src. */
static uint64_t t_copy_without_last_fill(const char *src, const char *dst)
{
	uint64_t fills = t_count_fills(src), k = 0;
	struct journal_reader jr;
	cr_assert_eq(journal_open_read(&jr, src, 0), 0, "%s", src);
	const struct journal_file_hdr *h = &jr.hdr;
	struct journal_opts o = { .symbol = h->symbol, .tick_size = h->tick_size,
	                          .lot_size = h->lot_size, .currency = h->currency,
	                          .point_value = h->point_value };
	static struct journal_writer w;
	cr_assert_eq(journal_open_write(&w, dst, &o), 0, "%s", dst);
	const struct jrec *r;
	while (journal_next(&jr, &r) == 1) {
		const struct msg_exec_report *x = (const void *)r->payload;
		if (r->type == JREC_EXEC && x->exec_id && x->last_qty > 0 && ++k == fills)
			continue;
		cr_assert_eq(journal_append(&w, r->type, r->payload, r->len), 0);
	}
	journal_reader_close(&jr);
	cr_assert_eq(journal_close(&w), 0);
	return fills;
}

Test(audit_tool, a_live_run_against_its_segment_then_a_journal_short_of_a_fill)
{
	char seg[SEG_NAME_MAX], run[PATH_MAX], market[PATH_MAX], dmctl[PATH_MAX];
	t_seg_name(seg, sizeof(seg), "audit");
	snprintf(run, sizeof(run), "%s/run", t_tmp_dir);
	snprintf(market, sizeof(market), "%s/market.journal", t_tmp_dir);
	struct t_paths paths;
	t_paths_or_fail(&paths);
	snprintf(dmctl, sizeof(dmctl), "%s", paths.dmctl);
	const char *bin = t_bin_dir();
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-gen' --seed 2 --events 30000 --output '%s' "
			  "--quiet", bin, market), 0, "%s", out);
	int rc = t_sh(out, sizeof(out), "DM_BIN='%s' '%s' --name %s --run-dir '%s' start "
		      "--input '%s' --pace max", bin, dmctl, seg, run, market);
	cr_assert_eq(rc, 0, "%s", out);
	char done[PATH_MAX + 16];
	snprintf(done, sizeof(done), "%s/data.done", run);
	int ok = t_wait_file(done, 60);
	/* settled: every ring empty and the venue idle, three polls in a row */
	for (int quiet = 0, i = 0; ok && quiet < 3 && i < 200; i++) {
		rc = t_sh(out, sizeof(out), "'%s/dm-shmdump' --name %s --tsv rings | "
			  "awk -F'\\t' 'NR > 1 { s += $7 } END { exit s != 0 }'", bin, seg);
		quiet = rc == 0 ? quiet + 1 : 0;
		usleep(100 * 1000);
	}
	usleep(500 * 1000);
	int arc = t_sh(out, sizeof(out), "'%s/dm-audit' '%s' --name %s", bin, run, seg);
	static char live[sizeof(out)];
	memcpy(live, out, sizeof(out));

	/* a copy of the journals with the last fill cut away, against the
	 * same segment: the venue and risk have the fill, the journal not */
	char cut[PATH_MAX], opath[PATH_MAX + 32];
	snprintf(cut, sizeof(cut), "%s/cut", t_tmp_dir);
	t_sh(out, sizeof(out), "mkdir -p '%s' && cp '%s'/decisions.journal '%s'/", cut, run, cut);
	char rpath[PATH_MAX + 32];
	snprintf(rpath, sizeof(rpath), "%s/orders.journal", run);
	snprintf(opath, sizeof(opath), "%s/orders.journal", cut);
	uint64_t fills = t_copy_without_last_fill(rpath, opath), left = t_count_fills(opath);
	int crc = -1;
	if (fills > 0)
		crc = t_sh(out, sizeof(out), "'%s/dm-audit' '%s' --name %s", bin, cut, seg);
	static char cutout[sizeof(out)];
	memcpy(cutout, out, sizeof(out));
	t_sh(out, sizeof(out), "DM_BIN='%s' '%s' --name %s --run-dir '%s' stop", bin, dmctl, seg,
	     run);
	cr_assert(ok, "the replay finished");
	cr_assert_gt(fills, 0, "the run filled orders");
	cr_expect_eq(left, fills - 1, "one fill cut");

	unsigned long long ck, v;
	char res[8];
	cr_expect_eq(arc, 0, "%s", live);
	memcpy(out, live, sizeof(out));
	cr_assert(t_row("position_agrees", &ck, &v, res), "%s", live);
	cr_expect_eq(ck, 5, "risk's 3 figures and the venue's 2");
	cr_expect_str_eq(res, "PASS", "%s", live);
	cr_assert(t_row("venue_journaled", &ck, &v, res), "%s", live);
	cr_expect_gt(ck, 0, "the venue knew orders");
	cr_expect_str_eq(res, "PASS", "%s", live);
	const char *jl = strstr(live, "; journal ");
	cr_assert_not_null(jl, "%s", live);
	long long jpos;
	unsigned long long jfills;
	cr_assert_eq(sscanf(jl, "; journal %lld (%llu fills", &jpos, &jfills), 2, "%s", jl);
	cr_expect_eq(jfills, fills, "the live audit counted every fill of the journal");

	/* short of a fill: risk's position, fill count and volume, the venue's
	 * net and volume each disagree with the journal */
	memcpy(out, cutout, sizeof(out));
	cr_expect_eq(crc, 1, "%s", out);
	cr_assert(t_row("position_agrees", &ck, &v, res), "%s", out);
	cr_expect_eq(v, 5, "%s", out);
	cr_expect_str_eq(res, "FAIL");
	/* and the venue filled more of that order than the journal holds */
	cr_assert(t_row("venue_journaled", &ck, &v, res), "%s", out);
	cr_expect_eq(v, 1, "%s", out);
	cr_expect_str_eq(res, "FAIL");
}
