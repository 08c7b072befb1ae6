/*
 * coord_dump.c — the coordinator's restart-surviving state as JSON
 * (coord.h, "dump"), for monitors: counters, rejections by reason, the
 * roles seen down, and the last decisions with every vote.
 */
#include <jansson.h>

#include "libcore/coord/coord.h"
#include "libcore/vote/role.h"
#include "libcore/vote/vote.h"

static json_t *reasons(const uint64_t *by)
{
	json_t *o = json_object();
	for (uint32_t k = 0; k < VOTE_R_COUNT; k++)
		if (by[k])
			json_object_set_new(o, vote_reason_name(k), json_integer((json_int_t)by[k]));
	return o;
}

static json_t *decision_json(const struct vote_record *d)
{
	json_t *votes = json_array();
	for (uint32_t i = 0; i < d->n_voters && i < VOTE_MAX_VOTERS; i++)
		json_array_append_new(votes, json_pack("{s:s, s:s, s:s}",
			"voter", d->v[i].voter < ROLE_COUNT ? role_names[d->v[i].voter] : "?",
			"verdict", d->v[i].verdict ? vote_verdict_name(d->v[i].verdict) : "missing",
			"reason", vote_reason_name(d->v[i].reason)));
	return json_pack("{s:I, s:s, s:s, s:I, s:I, s:i, s:i, s:f, s:o}",
		"decision_id", (json_int_t)d->decision_id,
		"outcome", vote_outcome_name(d->outcome),
		"reason", vote_reason_name(d->reason),
		"client_order_id", (json_int_t)d->client_order_id,
		"px", (json_int_t)d->px, "qty", (int)d->qty, "side", (int)d->side,
		"decide_us", (double)(d->decided_ns - d->opened_ns) / 1e3,
		"votes", votes);
}

json_t *coord_dump_json(const struct coord_state *st)
{
	json_t *recent = json_array();
	uint64_t n = st->n_recent, k = n < COORD_RECENT ? n : COORD_RECENT;
	for (uint64_t i = n - k; i < n; i++)
		json_array_append_new(recent, decision_json(&st->recent[i % COORD_RECENT]));
	json_t *o = json_pack("{s:I, s:I, s:I, s:o, s:I, s:i, s:I, s:I, s:I, s:I}",
		"decisions", (json_int_t)st->decisions,
		"released", (json_int_t)st->released,
		"blocked", (json_int_t)st->blocked,
		"by_reason", reasons(st->by_reason),
		"orders_sent", (json_int_t)st->orders_sent,
		"agents_down", (int)st->down_mask,
		"late_votes", (json_int_t)st->late_votes,
		"reports", (json_int_t)st->reports,
		"fills", (json_int_t)st->fills,
		"flattens", (json_int_t)st->flattens);
	uint32_t held = 0;
	for (uint32_t i = 0; i < COORD_BALLOTS; i++)
		held += st->ballot[i].state == COORD_B_HELD;
	json_object_set_new(o, "journal_failures", json_integer((json_int_t)st->journal_failures));
	json_object_set_new(o, "quote_cancels", json_integer((json_int_t)st->quote_cancels));
	json_object_set_new(o, "quote_cancels_refused",
			    json_integer((json_int_t)st->quote_cancels_refused));
	json_object_set_new(o, "held", json_integer((json_int_t)held));
	json_object_set_new(o, "children", json_pack("{s:I, s:I, s:I, s:I}",
		"parents", (json_int_t)st->parents, "sent", (json_int_t)st->children,
		"dropped", (json_int_t)st->children_dropped,
		"unsliced", (json_int_t)st->unsliced));
	uint32_t kept = 0;
	for (uint32_t i = 0; i < COORD_EARLY; i++)
		kept += st->early[i].intent_id != 0;
	json_object_set_new(o, "fanout", json_pack("{s:I, s:I, s:i, s:I}",
		"early_votes", (json_int_t)st->early_votes,
		"early_dropped", (json_int_t)st->early_dropped, "early_kept", (int)kept,
		"blocked_told", (json_int_t)st->fan_blocked));
	json_object_set_new(o, "recent", recent);
	return o;
}
