/*
 * strategy_dump_json: the live strategy's counters, its drops by quality
 * flag and its mean probabilities, against the state's own figures.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/strategy/strategy.h"

static json_int_t jint(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "key %s is not an integer", k);
	return json_integer_value(v);
}

Test(strategy_dump, counters_flags_and_means)
{
	struct strategy_state *st = calloc(1, sizeof(*st));
	cr_assert_not_null(st);
	st->evaluated = 50;
	st->no_side = 12;
	st->predicted = 20;
	st->below_prob = 7;
	st->zero_size = 6;
	st->too_soon = 3;
	st->no_quote = 1;
	st->quality_dropped = 5;
	st->quality_by_flag[0] = 1; /* empty_book */
	st->quality_by_flag[2] = 4; /* wide_spread */
	st->short_vectors = 2;
	st->no_model = 0;
	st->intents = 4;
	st->prob_sum = 2.6;   /* 4 intents: mean 0.65 */
	st->score_sum = 11.0; /* 20 scored: mean 0.55 */
	st->reloads = 2;
	st->reload_failures = 1;
	st->model_ok = 1;
	snprintf(st->model, sizeof(st->model), "models/win.json");
	json_t *o = strategy_dump_json(st);
	cr_assert_not_null(o);
	cr_expect_eq(jint(o, "features"), 50);
	cr_expect_eq(jint(o, "no_side"), 12);
	cr_expect_eq(jint(o, "scored"), 20);
	cr_expect_eq(jint(o, "below_min_prob"), 7);
	cr_expect_eq(jint(o, "zero_size"), 6);
	cr_expect_eq(jint(o, "too_soon"), 3);
	cr_expect_eq(jint(o, "no_quote"), 1);
	cr_expect_eq(jint(o, "quality_dropped"), 5);
	cr_expect_eq(jint(o, "short_vectors"), 2);
	cr_expect_eq(jint(o, "no_model"), 0);
	cr_expect_eq(jint(o, "intents"), 4);
	cr_expect_eq(jint(o, "reloads"), 2);
	cr_expect_eq(jint(o, "reload_failures"), 1);
	cr_expect(json_is_true(json_object_get(o, "model_ok")));
	cr_expect_str_eq(json_string_value(json_object_get(o, "model")), "models/win.json");
	cr_expect_float_eq(json_real_value(json_object_get(o, "mean_prob_intents")), 0.65, 1e-12);
	cr_expect_float_eq(json_real_value(json_object_get(o, "mean_prob_scored")), 0.55, 1e-12);
	/* every flag, in bit order, zeros included */
	json_t *q = json_object_get(o, "quality_by_flag");
	const char *want[] = { "empty_book", "crossed_book", "wide_spread", "stale_book" };
	json_int_t cnt[] = { 1, 0, 4, 0 };
	cr_assert_eq(json_object_size(q), 4);
	const char *k;
	json_t *v;
	int i = 0;
	json_object_foreach(q, k, v) {
		cr_expect_str_eq(k, want[i]);
		cr_expect_eq(json_integer_value(v), cnt[i]);
		i++;
	}
	json_decref(o);
	free(st);
}

Test(strategy_dump, nothing_scored_means_zero)
{
	struct strategy_state *st = calloc(1, sizeof(*st));
	cr_assert_not_null(st);
	json_t *o = strategy_dump_json(st);
	cr_expect_float_eq(json_real_value(json_object_get(o, "mean_prob_intents")), 0.0, 0);
	cr_expect_float_eq(json_real_value(json_object_get(o, "mean_prob_scored")), 0.0, 0);
	cr_expect(json_is_false(json_object_get(o, "model_ok")));
	json_decref(o);
	free(st);
}
