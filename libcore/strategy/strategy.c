/* strategy.c — feature vector to order intent (strategy.h). */
#include "libcore/strategy/strategy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "libcore/model/bet.h"
#include "libcore/strategy/strategy_int.h"
#include "libcore/types.h"

size_t strategy_memsize(void)
{
	return sizeof(struct strategy_state);
}

void strategy_init(struct strategy_state *st)
{
	memset(st, 0, sizeof(*st));
}

int strategy_attach(struct strategy *s, struct strategy_state *st,
		    const struct strategy_params *p, const struct strategy_out *out)
{
	if (!out || !out->intent_claim || !out->intent_publish || !(p->tick > 0) ||
	    p->primary.feature >= FEAT_N || p->kind >= STRAT_KIND_COUNT)
		return -EINVAL;
	if (strategy_kind_is_mm(p->kind)) {
		const struct strategy_mm_params *m = &p->mm;
		if (!out->cancel || !(m->gamma > 0) || !(m->k > 0) || !(m->a > 0) ||
		    m->qty < 1 || m->qmax < m->qty || m->requote_ticks < 1 ||
		    m->vol_halflife_ns <= 0 || !(m->sigma_prior >= 0) || !(m->skew_ticks >= 0) ||
		    m->ack_timeout_ns <= 0)
			return -EINVAL;
	}
	/* a surviving state is of one kind: its quotes and counters mean
	 * nothing to another (a fresh state has looked at nothing yet) */
	if (st->kind != p->kind) {
		if (st->evaluated || st->intents || strategy_mm_led(&st->mm)->reports)
			return -EEXIST;
		st->kind = p->kind;
		memset(&st->mm, 0, sizeof(st->mm));
		if (strategy_kind_is_mm(p->kind))
			mm_vol_init(&st->mm.vol, p->mm.vol_halflife_ns,
				    p->mm.sigma_prior * p->mm.sigma_prior / 1e9);
	}
	memset(s, 0, sizeof(*s));
	s->st = st;
	s->out = *out;
	s->p = *p;
	st->model_ok = 0;
	return 0;
}

struct flat *strategy_use_model(struct strategy *s, struct flat *f, const char *path)
{
	struct flat *old = s->flat;
	s->flat = f; /* one thread evaluates: the swap is between two vectors */
	if (path)
		snprintf(s->st->model, sizeof(s->st->model), "%s", path);
	s->st->model_ok = f != NULL;
	return old;
}

int strategy_vector_usable(struct strategy_state *st, const struct msg_features *f)
{
	if (DM_UNLIKELY(f->n < FEAT_N)) {
		st->short_vectors++;
		return 0;
	}
	if (f->quality) {
		/* counted by reason: the summary warns about every one */
		st->quality_dropped++;
		for (uint32_t k = 0; k < QUAL_F_COUNT; k++)
			if (f->quality & (1u << k))
				st->quality_by_flag[k]++;
		return 0;
	}
	return 1;
}

/* The taker (strategy.h, the order at the top). */
static int taker_on_features(struct strategy *s, const struct msg_features *f)
{
	struct strategy_state *st = s->st;
	const struct strategy_params *c = &s->p;
	if (!strategy_vector_usable(st, f))
		return 0;
	/* reserve the intent first: with no room nothing is counted and the
	 * vector comes again, so every counter stays exact */
	struct msg_intent *o = s->out.intent_claim(s->out.ctx);
	if (!o)
		return -EAGAIN;
	st->evaluated++;
	int side = primary_side_row(&c->primary, f->f);
	if (!side) {
		st->no_side++;
		return 0;
	}
	if (st->last_ns && f->exch_ns - st->last_ns < c->min_interval_ns) {
		st->too_soon++;
		return 0;
	}
	/* the rest of a deferred vector's features, now that they are read */
	const double *x = f->f;
	double full[MSG_NFEATURES];
	if (f->hdr.flags & MSG_F_DEFERRED) {
		if (!s->out.fill || s->out.fill(s->out.ctx, f, full) < 0) {
			st->short_vectors++;
			return 0;
		}
		x = full;
	}
	double p = 0;
	int64_t qty = 1;
	if (!c->rule_only) {
		if (!s->flat) {
			st->no_model++;
			return 0;
		}
		double out[MODEL_MAX_CLASS];
		flat_predict(s->flat, x, out);
		p = out[0];
		st->predicted++;
		st->score_sum += p;
		if (!(p >= c->min_prob)) {
			st->below_prob++;
			return 0;
		}
		qty = bet_size(p, 2, c->max_contracts, 1);
		if (qty <= 0) {
			/* above min_prob, but the size rounds to nothing */
			st->zero_size++;
			return 0;
		}
	}
	double mid = x[FEAT_MID] / c->tick, spread = x[FEAT_SPREAD_TICKS];
	if (!isfinite(mid) || !isfinite(spread) || spread <= 0) {
		st->no_quote++;
		return 0;
	}
	int64_t bid = (int64_t)llround(mid - spread / 2), ask = (int64_t)llround(mid + spread / 2);
	strategy_intent_fill(st, o, f, side, side > 0 ? ask : bid, (int32_t)qty, TIF_IOC, p);
	s->out.intent_publish(s->out.ctx, o);
	st->last_ns = f->exch_ns;
	st->intents++;
	st->prob_sum += p;
	return 0;
}

int strategy_on_features(struct strategy *s, const struct msg_features *f)
{
	if (DM_LIKELY(s->p.kind == STRAT_TAKER))
		return taker_on_features(s, f);
	return strategy_mm_on_features(s, f);
}

int strategy_on_report(struct strategy *s, const struct msg_exec_report *r)
{
	if (s->p.kind == STRAT_TAKER)
		return 0;
	return strategy_mm_on_report(s, r);
}
