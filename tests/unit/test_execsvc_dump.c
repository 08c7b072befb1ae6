/*
 * execsvc_dump_json: a state block with known counters in its header, its
 * order table and both venue copies, dumped; the figures come from the
 * current copy, and a block that is not set up shows only its header.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/execsvc/execsvc.h"

static size_t t_size;

static struct execsvc_state *t_block(void)
{
	struct execsvc_params p;
	char err[256] = "";
	execsvc_params_default(&p);
	p.table_cap = 64;
	t_size = execsvc_memsize(&p);
	cr_assert(t_size > EXECSVC_TABLE_OFF);
	void *mem = aligned_alloc(4096, (t_size + 4095) & ~(size_t)4095);
	cr_assert_not_null(mem);
	cr_assert_eq(execsvc_init(mem, t_size, &p, 1, err, sizeof(err)), 0, "%s", err);
	return mem;
}

/* venue copy k of the block, found from the header's own offsets */
static struct venue *t_venue(struct execsvc_state *st, uint32_t k)
{
	return (struct venue *)(void *)((uint8_t *)st + st->venue_off + k * st->venue_room);
}

static json_int_t jint(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "key %s is not an integer", k);
	return json_integer_value(v);
}

Test(execsvc_dump, header_table_and_current_venue)
{
	struct execsvc_state *st = t_block();
	cr_assert(st->double_venue, "the default block keeps two venue copies");
	st->votes = 11;
	st->orders_in = 8;
	st->refused = 2;
	st->dup_orders = 1;
	st->reports_out = 13;
	st->fills_out = 5;
	st->filled_qty = -3;
	st->journal_errors = 4;
	st->venue_steps = 31;
	st->venue_copied = 66867;
	struct exec_counters *c = &((struct exec_table *)(void *)((uint8_t *)st +
								   st->table_off))->ctr;
	c->orders = 6;
	c->filled = 3;
	c->cancels = 2;
	c->rejects = 1;
	c->open = 1;
	c->anomalies = 7;
	/* copy 0 holds stale figures; copy 1 is made current */
	t_venue(st, 0)->totals = (struct venue_totals){ .fills = 99 };
	t_venue(st, 1)->totals = (struct venue_totals){ .fills = 5, .buy_qty = 4, .sell_qty = 7,
							.buy_value = 104000, .sell_value = 182070,
							.fee_e9 = 2750000000 };
	atomic_store(&st->venue_cur, 1);

	json_t *o = execsvc_dump_json(st, t_size);
	cr_assert_not_null(o);
	cr_expect_eq(jint(o, "votes"), 11);
	cr_expect_eq(jint(o, "orders_in"), 8);
	cr_expect_eq(jint(o, "refused"), 2);
	cr_expect_eq(jint(o, "duplicate_orders"), 1);
	cr_expect_eq(jint(o, "reports"), 13);
	cr_expect_eq(jint(o, "fills"), 5);
	cr_expect_eq(jint(o, "net_filled"), -3);
	cr_expect_eq(jint(o, "journal_errors"), 4);
	cr_expect_eq(jint(o, "venue_steps"), 31);
	cr_expect_eq(jint(o, "venue_copied"), 66867);
	cr_expect_eq(jint(o, "orders"), 6);
	cr_expect_eq(jint(o, "filled"), 3);
	cr_expect_eq(jint(o, "cancelled"), 2);
	cr_expect_eq(jint(o, "rejected"), 1);
	cr_expect_eq(jint(o, "open"), 1);
	cr_expect_eq(jint(o, "anomalies"), 7);
	json_t *v = json_object_get(o, "venue");
	cr_assert(json_is_object(v));
	cr_expect_eq(jint(v, "fills"), 5, "the current copy, not copy 0");
	cr_expect_eq(jint(v, "buy_qty"), 4);
	cr_expect_eq(jint(v, "sell_qty"), 7);
	cr_expect_eq(jint(v, "buy_value_ticks"), 104000);
	cr_expect_eq(jint(v, "sell_value_ticks"), 182070);
	cr_expect_eq(jint(v, "fees_e9"), 2750000000);
	cr_expect_float_eq(json_real_value(json_object_get(v, "fees")), 2.75, 1e-12);
	json_decref(o);

	atomic_store(&st->venue_cur, 0);
	o = execsvc_dump_json(st, t_size);
	cr_expect_eq(jint(json_object_get(o, "venue"), "fills"), 99, "copy 0 once current");
	json_decref(o);
	free(st);
}

Test(execsvc_dump, a_block_not_set_up_shows_only_its_header)
{
	struct execsvc_state *st = t_block();
	st->refused = 3;
	/* parts that would lie past the room handed in are never followed */
	json_t *o = execsvc_dump_json(st, st->venue_off);
	cr_expect_eq(jint(o, "refused"), 3);
	cr_expect_null(json_object_get(o, "venue"));
	cr_expect_null(json_object_get(o, "orders"));
	json_decref(o);
	/* a zeroed block (the app area before execsvc_init) likewise */
	memset(st, 0, t_size);
	o = execsvc_dump_json(st, t_size);
	cr_expect_eq(jint(o, "refused"), 0);
	cr_expect_null(json_object_get(o, "venue"));
	cr_expect_null(json_object_get(o, "orders"));
	json_decref(o);
	free(st);
}
