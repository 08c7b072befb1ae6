/*
 * execsvc_dump.c — the execution service's state block as JSON
 * (execsvc.h, "dump"): the service's counters, the order table's and the
 * current venue copy's, found through execsvc_table_of / execsvc_venue_of.
 */
#include <jansson.h>

#include "libcore/execsvc/execsvc.h"

/* 1 when the header places the table and every venue copy inside size
 * bytes: a block not initialised yet (or torn) is never followed out of
 * its room. */
static int parts_inside(const struct execsvc_state *st, size_t size)
{
	uint64_t copies = st->double_venue ? 2 : 1;
	return st->magic == EXECSVC_MAGIC && st->version == EXECSVC_VERSION &&
	       st->size <= size && st->table_off >= sizeof(*st) &&
	       st->table_size >= sizeof(struct exec_table) &&
	       st->table_off <= size && st->table_size <= size - st->table_off &&
	       st->venue_size >= sizeof(struct venue) && st->venue_size <= st->venue_room &&
	       st->venue_off <= size && st->venue_room <= (size - st->venue_off) / copies;
}

json_t *execsvc_dump_json(const struct execsvc_state *st, size_t size)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"votes", (json_int_t)st->votes,
		"orders_in", (json_int_t)st->orders_in,
		"refused", (json_int_t)st->refused,
		"duplicate_orders", (json_int_t)st->dup_orders,
		"reports", (json_int_t)st->reports_out,
		"fills", (json_int_t)st->fills_out,
		"net_filled", (json_int_t)st->filled_qty,
		"venue_full", (json_int_t)st->venue_full,
		"journal_errors", (json_int_t)st->journal_errors,
		"synthetic", (json_int_t)st->synthetic,
		"outbox_dropped", (json_int_t)st->outbox_dropped);
	json_object_set_new(o, "journal_failing", json_boolean(st->journal_failing != 0));
	json_object_set_new(o, "held", json_integer((json_int_t)st->held));
	json_object_set_new(o, "journal_refused", json_integer((json_int_t)st->journal_refused));
	json_object_set_new(o, "journal_unsent", json_integer((json_int_t)st->journal_unsent));
	json_object_set_new(o, "venue_steps", json_integer((json_int_t)st->venue_steps));
	json_object_set_new(o, "venue_copied", json_integer((json_int_t)st->venue_copied));
	json_object_set_new(o, "passive", json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"cross", (json_int_t)st->passive_by[0], "join", (json_int_t)st->passive_by[1],
		"improve", (json_int_t)st->passive_by[2],
		"expired", (json_int_t)st->passive_expired,
		"untimed", (json_int_t)st->passive_untimed));
	if (!parts_inside(st, size))
		return o;
	const struct exec_counters *c = &execsvc_table_of(st)->ctr;
	const struct venue_totals *vt = venue_totals(execsvc_venue_of(st));
	json_object_set_new(o, "orders", json_integer((json_int_t)c->orders));
	json_object_set_new(o, "filled", json_integer((json_int_t)c->filled));
	json_object_set_new(o, "cancelled", json_integer((json_int_t)c->cancels));
	json_object_set_new(o, "rejected", json_integer((json_int_t)c->rejects));
	json_object_set_new(o, "open", json_integer((json_int_t)c->open));
	json_object_set_new(o, "anomalies", json_integer((json_int_t)c->anomalies));
	json_object_set_new(o, "venue", json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:I}",
		"fills", (json_int_t)vt->fills, "buy_qty", (json_int_t)vt->buy_qty,
		"sell_qty", (json_int_t)vt->sell_qty,
		"buy_value_ticks", (json_int_t)vt->buy_value,
		"sell_value_ticks", (json_int_t)vt->sell_value,
		"fees", (double)vt->fee_e9 / 1e9, "fees_e9", (json_int_t)vt->fee_e9));
	return o;
}
