/*
 * featd_dump.c — the feature voter's state as JSON (featd.h, "dump").
 */
#include <jansson.h>

#include "libcore/featd/featd.h"

json_t *featd_dump_json(const struct featd_state *st)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"books", (json_int_t)st->books, "trades", (json_int_t)st->trades,
		"features", (json_int_t)st->features, "votes", (json_int_t)st->votes,
		"last_update_ns", (json_int_t)st->last_update_ns);
}
