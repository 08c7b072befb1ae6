/*
 * coord_dump_json: a coordinator state with known counters and decision
 * records, dumped; every figure and name checked against what was put in.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/config/config.h"
#include "libcore/coord/coord.h"
#include "libcore/vote/role.h"
#include "libcore/vote/vote.h"

static struct coord_state *t_state(void)
{
	struct coord_state *st = aligned_alloc(64, (coord_memsize() + 63) & ~(size_t)63);
	cr_assert_not_null(st);
	cr_assert_eq(coord_init(st, coord_memsize(), 1), 0);
	return st;
}

static json_int_t jint(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "key %s is not an integer", k);
	return json_integer_value(v);
}

static const char *jstr(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_string(v), "key %s is not a string", k);
	return json_string_value(v);
}

Test(coord_dump, counters_and_reasons)
{
	struct coord_state *st = t_state();
	st->decisions = 7;
	st->released = 4;
	st->blocked = 3;
	st->orders_sent = 4;
	st->late_votes = 2;
	st->reports = 9;
	st->fills = 5;
	st->flattens = 1;
	st->down_mask = (1u << ROLE_ML) | (1u << ROLE_RISK);
	st->by_reason[VOTE_R_APPROVED] = 4;
	st->by_reason[VOTE_R_POS_LIMIT] = 2;
	st->by_reason[VOTE_R_DEADLINE] = 1;
	json_t *o = coord_dump_json(st);
	cr_assert_not_null(o);
	cr_expect_eq(jint(o, "decisions"), 7);
	cr_expect_eq(jint(o, "released"), 4);
	cr_expect_eq(jint(o, "blocked"), 3);
	cr_expect_eq(jint(o, "orders_sent"), 4);
	cr_expect_eq(jint(o, "late_votes"), 2);
	cr_expect_eq(jint(o, "reports"), 9);
	cr_expect_eq(jint(o, "fills"), 5);
	cr_expect_eq(jint(o, "flattens"), 1);
	cr_expect_eq(jint(o, "agents_down"), (1 << ROLE_ML) | (1 << ROLE_RISK));
	json_t *why = json_object_get(o, "by_reason");
	cr_assert(json_is_object(why));
	cr_expect_eq(json_object_size(why), 3, "only the non-zero reasons");
	cr_expect_eq(jint(why, "approved"), 4);
	cr_expect_eq(jint(why, "position_limit"), 2);
	cr_expect_eq(jint(why, "deadline"), 1);
	cr_expect_eq(json_array_size(json_object_get(o, "recent")), 0, "no decision yet");
	json_decref(o);
	free(st);
}

Test(coord_dump, recent_decisions_oldest_first_after_wrapping)
{
	struct coord_state *st = t_state();
	uint64_t n = COORD_RECENT + 3;
	for (uint64_t i = 0; i < n; i++) {
		struct vote_record *r = &st->recent[i % COORD_RECENT];
		memset(r, 0, sizeof(*r));
		r->decision_id = 1000 + i;
		r->outcome = VOTE_RELEASE;
		r->reason = VOTE_R_APPROVED;
		r->client_order_id = 5000 + i;
		r->px = 26000 + (int64_t)i;
		r->qty = 2;
		r->side = 1;
		r->opened_ns = 1000;
		r->decided_ns = 3500; /* 2.5 us */
	}
	st->n_recent = n;
	/* the newest one blocked by a veto, with two votes */
	struct vote_record *last = &st->recent[(n - 1) % COORD_RECENT];
	last->outcome = VOTE_BLOCK;
	last->reason = VOTE_R_VETOED;
	last->client_order_id = 0;
	last->side = -1;
	last->n_voters = 2;
	last->v[0].voter = ROLE_RISK;
	last->v[0].verdict = VOTE_REJECT;
	last->v[0].reason = VOTE_R_POS_LIMIT;
	last->v[1].voter = ROLE_EXECUTION;
	last->v[1].verdict = 0; /* never voted */
	last->v[1].reason = VOTE_R_NONE;

	json_t *o = coord_dump_json(st);
	json_t *rec = json_object_get(o, "recent");
	cr_assert_eq(json_array_size(rec), COORD_RECENT, "the last COORD_RECENT kept");
	json_t *first = json_array_get(rec, 0), *l = json_array_get(rec, COORD_RECENT - 1);
	cr_expect_eq(jint(first, "decision_id"), 1000 + 3, "the oldest still kept");
	cr_expect_eq(jint(first, "client_order_id"), 5000 + 3);
	cr_expect_eq(jint(first, "px"), 26003);
	cr_expect_eq(jint(first, "qty"), 2);
	cr_expect_eq(jint(first, "side"), 1);
	cr_expect_str_eq(jstr(first, "outcome"), "release");
	cr_expect_str_eq(jstr(first, "reason"), "approved");
	cr_expect_float_eq(json_real_value(json_object_get(first, "decide_us")), 2.5, 1e-9);
	cr_expect_eq(json_array_size(json_object_get(first, "votes")), 0);

	cr_expect_eq(jint(l, "decision_id"), (json_int_t)(1000 + n - 1));
	cr_expect_str_eq(jstr(l, "outcome"), "block");
	cr_expect_str_eq(jstr(l, "reason"), "vetoed");
	cr_expect_eq(jint(l, "side"), -1);
	json_t *votes = json_object_get(l, "votes");
	cr_assert_eq(json_array_size(votes), 2);
	cr_expect_str_eq(jstr(json_array_get(votes, 0), "voter"), "risk");
	cr_expect_str_eq(jstr(json_array_get(votes, 0), "verdict"), "reject");
	cr_expect_str_eq(jstr(json_array_get(votes, 0), "reason"), "position_limit");
	cr_expect_str_eq(jstr(json_array_get(votes, 1), "voter"), "execution");
	cr_expect_str_eq(jstr(json_array_get(votes, 1), "verdict"), "missing");
	json_decref(o);
	free(st);
}
