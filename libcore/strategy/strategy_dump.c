/*
 * strategy_dump.c — the live strategy's state as JSON (strategy.h, "dump").
 */
#include <jansson.h>
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
	return o;
}
