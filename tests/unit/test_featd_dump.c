/*
 * featd_dump_json: the feature voter's counters as they are in the state.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>

#include "libcore/featd/featd.h"

static json_int_t jint(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "key %s is not an integer", k);
	return json_integer_value(v);
}

Test(featd_dump, counters)
{
	struct featd_state *st = calloc(1, sizeof(*st));
	cr_assert_not_null(st);
	st->books = 1234;
	st->trades = 56;
	st->features = 1200;
	st->votes = 17;
	st->last_update_ns = 1700000000123456789;
	json_t *o = featd_dump_json(st);
	cr_assert_not_null(o);
	cr_expect_eq(jint(o, "books"), 1234);
	cr_expect_eq(jint(o, "trades"), 56);
	cr_expect_eq(jint(o, "features"), 1200);
	cr_expect_eq(jint(o, "votes"), 17);
	cr_expect_eq(jint(o, "last_update_ns"), 1700000000123456789);
	cr_expect_eq(json_object_size(o), 5);
	json_decref(o);
	free(st);
}
