/*
 * test_strategy.c — the live strategy (libcore/strategy) alone in one
 * process: hand-built feature vectors and a hand-built two-split model;
 * every intent's side, price and size, and every counter, checked against
 * values worked out here (the bet size from its formula through erfc).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/strategy/strategy.h"
#include "libcore/types.h"
#include "libcore/msg/msg.h"
#include "tests/helpers.h"

extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

#define MS   1000000LL
#define T0   (1641837600LL * 1000000000LL)
#define TICK 5.0
#define MAXC 10

/* ------------------------------------------------------------ the model
 * One tree on ofi_ml (x), base_score 0.5 (base margin 0):
 *   x < 0.5        -> -1.0   p = 1 / (1 + e)      = 0.2689
 *   0.5 <= x < 5   ->  2.0   p = 1 / (1 + e^-2)   = 0.8808
 *   x >= 5         ->  0.01  p = 1 / (1 + e^-0.01) = 0.5025
 */
static struct flat *t_model(void)
{
	char js[1024];
	snprintf(js, sizeof(js),
		 "{\"learner\":{\"learner_model_param\":{\"num_feature\":\"%d\","
		 "\"num_class\":\"0\",\"num_target\":\"1\",\"base_score\":\"5E-1\"},"
		 "\"objective\":{\"name\":\"binary:logistic\"},"
		 "\"gradient_booster\":{\"name\":\"gbtree\",\"model\":{\"trees\":[{"
		 "\"tree_param\":{\"size_leaf_vector\":\"0\"},"
		 "\"left_children\":[1,-1,3,-1,-1],\"right_children\":[2,-1,4,-1,-1],"
		 "\"split_indices\":[%d,0,%d,0,0],"
		 "\"split_conditions\":[0.5,-1.0,5.0,2.0,0.01],"
		 "\"default_left\":[1,0,1,0,0],\"split_type\":[0,0,0,0,0]}],"
		 "\"tree_info\":[0]}}}}", FEAT_N, FEAT_OFI_ML, FEAT_OFI_ML);
	char err[256];
	size_t n = flat_memsize(js, strlen(js), err, sizeof(err));
	cr_assert_gt(n, 0, "%s", err);
	struct flat *f = aligned_alloc(64, n);
	cr_assert_not_null(f);
	cr_assert_eq(flat_init(f, n, js, strlen(js), err, sizeof(err)), 0, "%s", err);
	return f;
}

static double t_sigmoid(float margin)
{
	return 1.0 / (1.0 + exp(-(double)margin));
}

/* bet.h's formula for two outcomes, independently: m = 2 Phi(z) - 1,
 * z = (p - 1/2) / sqrt(p (1 - p)), times max_contracts, rounded half away
 * from zero. */
static int64_t t_bet(double p, int64_t maxc)
{
	double z = (p - 0.5) / sqrt(p * (1 - p));
	double m = 2 * (0.5 * erfc(-z / sqrt(2.0))) - 1;
	double q = m * (double)maxc;
	return (int64_t)(q < 0 ? -floor(-q + 0.5) : floor(q + 0.5));
}

/* ------------------------------------------------------------ a host */

#define T_MAX 16
struct t_host {
	struct msg_intent slot;
	struct msg_intent got[T_MAX];
	uint32_t n;
	uint64_t claims;
	int full;
};

static struct msg_intent *h_claim(void *p)
{
	struct t_host *h = p;
	h->claims++;
	return h->full ? NULL : &h->slot;
}

static void h_publish(void *p, struct msg_intent *o)
{
	struct t_host *h = p;
	h->got[h->n++ % T_MAX] = *o;
}

static void t_params(struct strategy_params *p, int rule_only)
{
	memset(p, 0, sizeof(*p));
	primary_params_default(&p->primary);
	p->primary.feature = FEAT_OFI_ML;
	p->primary.threshold = 0.1;
	p->tick = TICK;
	p->min_prob = 0.5;
	p->min_interval_ns = 100 * MS;
	p->max_contracts = MAXC;
	p->rule_only = rule_only;
}

static void t_open(struct strategy *s, struct strategy_state *st, const struct strategy_params *p,
		   struct t_host *h)
{
	memset(h, 0, sizeof(*h));
	strategy_init(st);
	const struct strategy_out out = { .ctx = h, .intent_claim = h_claim,
					  .intent_publish = h_publish };
	cr_assert_eq(strategy_attach(s, st, p, &out), 0);
}

/* A clean vector: mid 100000 points (20000 ticks), spread 2 ticks. */
static struct msg_features t_vec(double x, int64_t exch_ns, uint64_t seq)
{
	struct msg_features f;
	memset(&f, 0, sizeof(f));
	f.hdr.type = MSG_FEATURES;
	f.hdr.size = sizeof(f);
	f.hdr.seq = seq;
	f.hdr.flags = MSG_F_REPLAY;
	f.hdr.ingress_ns = exch_ns - 5;
	f.exch_ns = exch_ns;
	f.instrument = 2;
	f.n = FEAT_N;
	f.f[FEAT_MID] = 100000.0;
	f.f[FEAT_SPREAD_TICKS] = 2.0;
	f.f[FEAT_OFI_ML] = x;
	return f;
}

/* ------------------------------------------------------------ intents */

Test(strategy, above_min_prob_gives_an_intent_sized_by_the_bet_formula)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_params p;
	struct t_host h;
	t_params(&p, 0);
	t_open(&s, &st, &p, &h);
	struct flat *m = t_model();
	cr_assert_null(strategy_use_model(&s, m, "hand.json"));
	cr_assert_str_eq(st.model, "hand.json");
	cr_assert_eq(st.model_ok, 1);

	struct msg_features f = t_vec(1.0, T0, 41);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_assert_eq(h.n, 1);
	const struct msg_intent *o = &h.got[0];
	double p_want = t_sigmoid(2.0f);
	int64_t q_want = t_bet(p_want, MAXC);
	cr_assert_eq(q_want, 8, "by hand: p 0.8808, z 1.175, m 0.760, 7.6 -> 8");
	cr_assert_float_eq(o->prob, p_want, 1e-7);
	cr_assert_eq(o->qty, q_want);
	cr_assert_eq(o->side, SIDE_BUY);
	cr_assert_eq(o->px, 20001, "a buy at the ask: 20000 + 2 / 2");
	cr_assert_eq(o->ord_type, ORD_LIMIT);
	cr_assert_eq(o->tif, TIF_IOC);
	cr_assert_eq(o->hdr.type, MSG_INTENT);
	cr_assert_eq(o->hdr.flags, MSG_F_REPLAY);
	cr_assert_eq(o->hdr.ingress_ns, T0 - 5);
	cr_assert_eq(o->feature_seq, 41);
	cr_assert_eq(o->intent_id, 1);
	cr_assert_eq(o->instrument, 2);
	cr_assert_eq(o->market_ns, T0, "the vector's exchange time, not its ingress");
	cr_assert_eq(st.intents, 1);
	cr_assert_eq(st.predicted, 1);
	cr_assert_eq(st.last_ns, T0);
	cr_assert_float_eq(st.prob_sum, p_want, 1e-7);
	free(m);
}

Test(strategy, every_way_to_not_trade_is_counted)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_params p;
	struct t_host h;
	t_params(&p, 0);
	t_open(&s, &st, &p, &h);

	/* no model yet: the side is dropped as no_model */
	struct msg_features f = t_vec(1.0, T0, 1);
	strategy_on_features(&s, &f);
	cr_assert_eq(st.no_model, 1);
	struct flat *m = t_model();
	strategy_use_model(&s, m, NULL);

	f = t_vec(0.05, T0 + 1 * 200 * MS, 2);     /* dead zone */
	strategy_on_features(&s, &f);
	cr_assert_eq(st.no_side, 1);
	f = t_vec(-1.0, T0 + 2 * 200 * MS, 3);     /* sell, p 0.2689 */
	strategy_on_features(&s, &f);
	cr_assert_eq(st.below_prob, 1);
	f = t_vec(10.0, T0 + 3 * 200 * MS, 4);     /* p 0.5025: 0 contracts */
	cr_assert_eq(t_bet(t_sigmoid(0.01f), MAXC), 0);
	strategy_on_features(&s, &f);
	cr_assert_eq(st.zero_size, 1);
	f = t_vec(1.0, T0 + 4 * 200 * MS, 5);
	f.f[FEAT_SPREAD_TICKS] = 0;                /* no quote */
	strategy_on_features(&s, &f);
	cr_assert_eq(st.no_quote, 1);
	f = t_vec(1.0, T0 + 5 * 200 * MS, 6);
	strategy_on_features(&s, &f);
	cr_assert_eq(st.intents, 1);
	f = t_vec(1.0, T0 + 5 * 200 * MS + 100 * MS - 1, 7); /* within min_interval */
	strategy_on_features(&s, &f);
	cr_assert_eq(st.too_soon, 1);
	f = t_vec(1.0, T0 + 5 * 200 * MS + 100 * MS, 8);     /* exactly after it */
	strategy_on_features(&s, &f);
	cr_assert_eq(st.intents, 2);

	cr_assert_eq(st.evaluated, 8);
	cr_assert_eq(st.predicted, 5, "below_prob, zero_size, no_quote and two intents");
	double sum = t_sigmoid(-1.0f) + t_sigmoid(0.01f) + 3 * t_sigmoid(2.0f);
	cr_assert_float_eq(st.score_sum, sum, 1e-9);
	cr_assert_eq(h.n, 2);
	cr_assert_eq(h.got[1].intent_id, 2);
	free(strategy_use_model(&s, NULL, NULL));
	cr_assert_eq(st.model_ok, 0);
}

/* A deferred vector's host: the whole vector it stands for, and how it
 * answers (rc). */
static struct msg_features t_whole;
static int t_fill_rc;
static uint64_t t_fills;

static int h_fill(void *p, const struct msg_features *f, double out[MSG_NFEATURES])
{
	(void)p;
	t_fills++;
	cr_assert_eq(f->book_seq, t_whole.book_seq, "the vector being read is asked for");
	if (t_fill_rc == 0)
		memcpy(out, t_whole.f, sizeof(t_whole.f));
	return t_fill_rc;
}

/* The same vectors whole to one strategy and deferred (the primary feature
 * only; the rest NaN until asked for) to another: the same intents and
 * counters, and the rest asked for only past the primary rule and the
 * interval. */
Test(strategy, a_deferred_vector_is_read_whole_only_past_the_rule_and_the_interval)
{
	struct strategy s1, s2;
	struct strategy_state st1, st2;
	struct strategy_params p;
	struct t_host h1, h2;
	struct t_rng g;
	t_params(&p, 0);
	t_open(&s1, &st1, &p, &h1);
	t_open(&s2, &st2, &p, &h2);
	s2.out.fill = h_fill;
	struct flat *m = t_model();
	strategy_use_model(&s1, m, "hand.json");
	strategy_use_model(&s2, m, "hand.json");
	t_rng_seed(&g, 3);
	t_fills = 0;
	t_fill_rc = 0;
	for (int i = 0; i < 4000; i++) {
		double x = ((double)t_rng_below(&g, 1200) - 400) / 100.0; /* -4 .. 8 */
		struct msg_features f = t_vec(x, T0 + i * 30 * MS, (uint64_t)i + 1);
		f.book_seq = (uint64_t)i + 7;
		f.f[FEAT_SPREAD_TICKS] = 1.0 + (double)t_rng_below(&g, 3);
		t_whole = f;
		struct msg_features d = f;
		d.hdr.flags |= MSG_F_DEFERRED;
		for (int k = 0; k < FEAT_N; k++)
			if (k != FEAT_OFI_ML)
				d.f[k] = NAN;
		cr_assert_eq(strategy_on_features(&s1, &f), 0);
		cr_assert_eq(strategy_on_features(&s2, &d), 0);
		cr_assert_eq(h1.n, h2.n, "vector %d", i);
		if (h1.n)
			cr_assert(memcmp(&h1.got[(h1.n - 1) % T_MAX], &h2.got[(h2.n - 1) % T_MAX],
					 sizeof(struct msg_intent)) == 0, "vector %d: the intents", i);
	}
	cr_assert(memcmp(&st1, &st2, sizeof(st1)) == 0, "the counters differ");
	cr_assert_gt(st1.no_side, 30);
	cr_assert_gt(st1.too_soon, 100);
	cr_assert_gt(st1.intents, 50);
	cr_assert_eq(t_fills, st1.predicted, "asked for exactly the vectors it scored");

	/* a host that cannot fill: the vector counts as short, nothing sent */
	struct msg_features f = t_vec(1.0, T0 + 4000 * 30 * MS + 1000 * MS, 9000);
	f.book_seq = 9000;
	t_whole = f;
	f.hdr.flags |= MSG_F_DEFERRED;
	t_fill_rc = -ESTALE;
	uint64_t shorts = st2.short_vectors, sent = h2.n;
	cr_assert_eq(strategy_on_features(&s2, &f), 0);
	cr_assert_eq(st2.short_vectors, shorts + 1);
	cr_assert_eq(h2.n, sent);
	/* nor can one without a fill function */
	cr_assert_eq(strategy_on_features(&s1, &f), 0);
	cr_assert_eq(st1.short_vectors, 1);
	free(m);
}

Test(strategy, a_quality_flagged_or_short_vector_is_counted_and_dropped)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_params p;
	struct t_host h;
	t_params(&p, 1);
	t_open(&s, &st, &p, &h);
	struct msg_features f = t_vec(1.0, T0, 1);
	f.quality = QUAL_F_CROSSED | QUAL_F_WIDE;
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	f.quality = QUAL_F_STALE;
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	f.quality = 0;
	f.n = FEAT_N - 1;
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_assert_eq(st.quality_dropped, 2);
	cr_assert_eq(st.quality_by_flag[0], 0);
	cr_assert_eq(st.quality_by_flag[1], 1, "crossed");
	cr_assert_eq(st.quality_by_flag[2], 1, "wide");
	cr_assert_eq(st.quality_by_flag[3], 1, "stale");
	cr_assert_eq(st.short_vectors, 1);
	cr_assert_eq(st.evaluated, 0);
	cr_assert_eq(h.claims, 0, "no room asked for a dropped vector");
	cr_assert_eq(h.n, 0);
}

Test(strategy, rule_only_trades_one_contract_with_probability_zero)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_params p;
	struct t_host h;
	t_params(&p, 1);
	p.primary.invert = 1;
	t_open(&s, &st, &p, &h);
	struct msg_features f = t_vec(1.0, T0, 1);
	strategy_on_features(&s, &f);
	cr_assert_eq(h.n, 1);
	cr_assert_eq(h.got[0].side, SIDE_SELL, "inverted rule");
	cr_assert_eq(h.got[0].px, 19999, "a sell at the bid");
	cr_assert_eq(h.got[0].qty, 1);
	cr_assert_eq(h.got[0].prob, 0.0);
	cr_assert_eq(st.predicted, 0);
}

Test(strategy, no_room_for_the_intent_counts_nothing)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_params p;
	struct t_host h;
	t_params(&p, 1);
	t_open(&s, &st, &p, &h);
	h.full = 1;
	struct msg_features f = t_vec(1.0, T0, 1);
	struct strategy_state before = st;
	cr_assert_eq(strategy_on_features(&s, &f), -EAGAIN);
	cr_assert_eq(memcmp(&before, &st, sizeof(st)), 0);
	h.full = 0;
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_assert_eq(st.evaluated, 1);
	cr_assert_eq(st.intents, 1);
}

Test(strategy, attach_refuses_what_it_cannot_use)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_params p;
	struct t_host h;
	t_params(&p, 1);
	const struct strategy_out out = { .ctx = &h, .intent_claim = h_claim,
					  .intent_publish = h_publish };
	const struct strategy_out none = { .ctx = &h, .intent_claim = h_claim };
	cr_assert_eq(strategy_attach(&s, &st, &p, &none), -EINVAL);
	p.tick = 0;
	cr_assert_eq(strategy_attach(&s, &st, &p, &out), -EINVAL);
	t_params(&p, 1);
	p.primary.feature = FEAT_N;
	cr_assert_eq(strategy_attach(&s, &st, &p, &out), -EINVAL);
}

/* ------------------------------------------------------------ instances */

Test(strategy, two_instances_in_one_process_do_not_interfere)
{
	struct strategy s1, s2;
	struct strategy_state st1, st2;
	struct strategy_params p1, p2;
	struct t_host h1, h2;
	t_params(&p1, 0);
	t_params(&p2, 1);
	p2.primary.invert = 1;
	t_open(&s1, &st1, &p1, &h1);
	t_open(&s2, &st2, &p2, &h2);
	struct flat *m = t_model();
	strategy_use_model(&s1, m, "a.json");
	for (int i = 0; i < 10; i++) {
		struct msg_features f = t_vec(1.0, T0 + i * 200 * MS, (uint64_t)i);
		strategy_on_features(&s1, &f);
		strategy_on_features(&s2, &f);
	}
	cr_assert_eq(st1.intents, 10);
	cr_assert_eq(st2.intents, 10);
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(h1.got[i].side, SIDE_BUY);
		cr_assert_eq(h1.got[i].qty, 8);
		cr_assert_eq(h2.got[i].side, SIDE_SELL);
		cr_assert_eq(h2.got[i].qty, 1);
	}
	cr_assert_eq(st2.predicted, 0);
	cr_assert_eq(st2.model[0], '\0');
	cr_assert_eq(st1.next_intent, 10);
	cr_assert_eq(st2.next_intent, 10);
	free(m);
}

/* ------------------------------------------------------------ allocation */

static int t_mallctl_errors;

/* No assertion inside: only counted, checked after the measurement. */
static uint64_t t_jemalloc(const char *name)
{
	uint64_t v = 0;
	size_t sz = sizeof(v);
	t_mallctl_errors += mallctl(name, &v, &sz, NULL, 0) != 0;
	return v;
}

static void t_round(struct strategy *s, int64_t i)
{
	static const double xs[] = { 1.0, -1.0, 0.05, 10.0, 1.0 };
	struct msg_features f = t_vec(xs[i % 5], T0 + i * 50 * MS, (uint64_t)i);
	f.quality = i % 7 == 0 ? QUAL_F_WIDE : 0;
	strategy_on_features(s, &f);
}

Test(strategy, steady_state_allocates_nothing)
{
	if (!mallctl)
		cr_skip_test("no jemalloc (sanitizer build)");
	struct strategy s;
	struct strategy_state st;
	struct strategy_params p;
	struct t_host h;
	t_params(&p, 0);
	t_open(&s, &st, &p, &h);
	struct flat *m = t_model();
	strategy_use_model(&s, m, "m.json");
	t_round(&s, 1);
	t_round(&s, 2);
	(void)t_jemalloc("thread.allocated");
	(void)t_jemalloc("thread.deallocated");
	uint64_t a0 = t_jemalloc("thread.allocated"), d0 = t_jemalloc("thread.deallocated");
	for (int64_t i = 3; i < 1000003; i++)
		t_round(&s, i);
	uint64_t a1 = t_jemalloc("thread.allocated"), d1 = t_jemalloc("thread.deallocated");
	cr_assert_eq(t_mallctl_errors, 0);
	cr_assert_eq(a1, a0, "%llu bytes allocated", (unsigned long long)(a1 - a0));
	cr_assert_eq(d1, d0);
	cr_assert_gt(st.intents, 0);
	cr_assert_gt(st.quality_dropped, 0);
	free(m);
}
