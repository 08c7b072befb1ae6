/*
 * strategy_dump.c — the live strategy's state as JSON (strategy.h, "dump").
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>

#include "libcore/strategy/strategy.h"

json_t *strategy_dump_json(const struct strategy_state *st)
{
	json_t *q = json_object();
	for (uint32_t k = 0; k < QUAL_F_COUNT; k++)
		json_object_set_new(q, qual_flag_name(k),
				    json_integer((json_int_t)st->quality_by_flag[k]));
	/* the host's file name, cut at its room whatever a writer left there */
	char model[sizeof(st->model) + 1];
	snprintf(model, sizeof(model), "%.*s", (int)sizeof(st->model), st->model);
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"features", (json_int_t)st->evaluated,
		"no_side", (json_int_t)st->no_side,
		"scored", (json_int_t)st->predicted,
		"below_min_prob", (json_int_t)st->below_prob,
		"zero_size", (json_int_t)st->zero_size,
		"too_soon", (json_int_t)st->too_soon,
		"no_quote", (json_int_t)st->no_quote,
		"quality_dropped", (json_int_t)st->quality_dropped,
		"short_vectors", (json_int_t)st->short_vectors,
		"no_model", (json_int_t)st->no_model,
		"intents", (json_int_t)st->intents);
	json_object_set_new(o, "quality_by_flag", q);
	json_object_set_new(o, "mean_prob_intents",
		json_real(st->intents ? st->prob_sum / (double)st->intents : 0.0));
	json_object_set_new(o, "mean_prob_scored",
		json_real(st->predicted ? st->score_sum / (double)st->predicted : 0.0));
	json_object_set_new(o, "model", json_string(model));
	json_object_set_new(o, "model_ok", json_boolean(st->model_ok));
	json_object_set_new(o, "reloads", json_integer((json_int_t)st->reloads));
	json_object_set_new(o, "reload_failures", json_integer((json_int_t)st->reload_failures));
	if (!strategy_kind_is_mm(st->kind))
		return o; /* the taker's dump as it always was */
	const struct strategy_mm_state *m = &st->mm;
	const struct strategy_mm_ledger *l = strategy_mm_led(m);
	json_t *mm = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			       "s:I, s:I, s:I, s:I}",
		"position", (json_int_t)l->position,
		"reports", (json_int_t)l->reports,
		"fills", (json_int_t)l->fills,
		"fill_qty", (json_int_t)l->fill_qty,
		"maker_fills", (json_int_t)l->maker_fills,
		"dup_reports", (json_int_t)l->dups,
		"dup_fills", (json_int_t)l->dup_fills,
		"quotes", (json_int_t)m->quotes,
		"requotes", (json_int_t)m->requotes,
		"cancels", (json_int_t)m->cancels,
		"cancel_waits", (json_int_t)m->cancel_waits,
		"no_vol", (json_int_t)m->no_vol,
		"bound", (json_int_t)m->bound,
		"pending_lost", (json_int_t)m->pending_lost,
		"strays", (json_int_t)m->strays,
		"no_room", (json_int_t)m->no_room);
	json_object_set_new(mm, "sigma", json_real(isfinite(m->sigma) ? m->sigma : 0.0));
	for (int i = 0; i < 2; i++)
		json_object_set_new(mm, i ? "ask" : "bid", m->quote[i].state == SQ_LIVE ?
				    json_integer((json_int_t)m->quote[i].px) : json_null());
	json_object_set_new(o, "kind", json_string(st->kind < STRAT_KIND_COUNT ?
						   strategy_kind_names[st->kind] : "?"));
	json_object_set_new(o, "mm", mm);
	return o;
}
