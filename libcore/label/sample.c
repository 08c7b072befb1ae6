/* sample.c — the live strategy's training samples from market events (sample.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/label/sample.h"
#include "libcore/msg/msg_md.h"

#define POP_BURST 256u

static struct msg_features *vec_claim(void *ctx)
{
	struct sample_builder *b = ctx;
	return &b->vec;
}

static void vec_publish(void *ctx, struct msg_features *f)
{
	struct sample_builder *b = ctx;
	(void)f;
	b->have_vec = 1;
}

static struct msg_vote *vote_claim(void *ctx)
{
	struct sample_builder *b = ctx;
	return &b->vote;
}

static void vote_publish(void *ctx, struct msg_vote *v)
{
	(void)ctx, (void)v;
}

static void *grow(void *p, size_t n, size_t size)
{
	return realloc(p, n * size);
}

static int out_reserve(struct sample_set *s, size_t need)
{
	if (need <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap * 2 : 4096;
	while (cap < need)
		cap *= 2;
	float *x = grow(s->x, cap, FEAT_N * sizeof(float));
	if (x)
		s->x = x;
	float *y = grow(s->y, cap, sizeof(float));
	if (y)
		s->y = y;
	float *w = grow(s->w, cap, sizeof(float));
	if (w)
		s->w = w;
	int64_t *t0 = grow(s->t0, cap, sizeof(int64_t));
	if (t0)
		s->t0 = t0;
	int64_t *t1 = grow(s->t1, cap, sizeof(int64_t));
	if (t1)
		s->t1 = t1;
	int8_t *side = grow(s->side, cap, sizeof(int8_t));
	if (side)
		s->side = side;
	double *ret = grow(s->ret, cap, sizeof(double));
	if (ret)
		s->ret = ret;
	if (!x || !y || !w || !t0 || !t1 || !side || !ret)
		return -ENOMEM;
	s->cap = cap;
	return 0;
}

static int wait_push(struct sample_builder *b, uint64_t row, const double *f)
{
	if (b->wait_head + b->wait_n == b->wait_cap) {
		if (b->wait_head > 0) {
			/* slide the waiting ones to the front */
			memmove(b->wait_row, b->wait_row + b->wait_head, b->wait_n * sizeof(uint64_t));
			memmove(b->wait_x, b->wait_x + b->wait_head * FEAT_N,
				b->wait_n * FEAT_N * sizeof(float));
			b->wait_head = 0;
		}
		if (b->wait_n == b->wait_cap) {
			size_t cap = b->wait_cap ? b->wait_cap * 2 : 1024;
			uint64_t *r = grow(b->wait_row, cap, sizeof(uint64_t));
			if (r)
				b->wait_row = r;
			float *x = grow(b->wait_x, cap, FEAT_N * sizeof(float));
			if (x)
				b->wait_x = x;
			if (!r || !x)
				return -ENOMEM;
			b->wait_cap = cap;
		}
	}
	size_t k = b->wait_head + b->wait_n++;
	b->wait_row[k] = row;
	for (uint32_t j = 0; j < FEAT_N; j++)
		b->wait_x[k * FEAT_N + j] = (float)f[j];
	return 0;
}

/* The popped labels become samples: each finds its event's vector (the
 * waiting events come in the same order; a skipped one is passed over). */
static int take(struct sample_builder *b, const struct label_rec *r, uint32_t n)
{
	struct sample_set *s = &b->out;
	if (out_reserve(s, s->n + n) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		while (b->wait_n && b->wait_row[b->wait_head] < r[i].i0) {
			b->wait_head++;
			b->wait_n--;
		}
		if (!b->wait_n || b->wait_row[b->wait_head] != r[i].i0)
			continue; /* never expected: a label of no waiting event */
		size_t k = s->n++;
		memcpy(s->x + k * FEAT_N, b->wait_x + b->wait_head * FEAT_N, FEAT_N * sizeof(float));
		s->y[k] = (float)r[i].meta;
		s->w[k] = (float)r[i].uniq;
		s->t0[k] = r[i].t0_ns;
		s->t1[k] = r[i].t1_ns;
		s->side[k] = r[i].side;
		s->ret[k] = r[i].ret;
		b->wait_head++;
		b->wait_n--;
	}
	if (b->wait_n == 0)
		b->wait_head = 0;
	return 0;
}

static int pop_all(struct sample_builder *b)
{
	struct label_rec r[POP_BURST];
	uint32_t n;
	while ((n = label_pop_burst(b->lab, r, POP_BURST)) > 0)
		if (take(b, r, n) < 0)
			return -ENOMEM;
	return 0;
}

int sample_init(struct sample_builder *b, const struct sample_params *p, char *err,
		size_t errlen)
{
	memset(b, 0, sizeof(*b));
	b->p = *p;
	b->last_event_t = INT64_MIN;
	if (p->every_ns < 0) {
		snprintf(err, errlen, "samples: every_ns %lld is negative", (long long)p->every_ns);
		return -EINVAL;
	}
	if (primary_params_check(&p->primary, err, errlen) < 0 ||
	    label_params_check(&p->label, err, errlen) < 0)
		return -EINVAL;
	size_t fsz = featd_memsize(&p->featd), lsz = label_memsize(&p->label);
	if (!fsz) {
		snprintf(err, errlen, "features: parameters refused");
		return -EINVAL;
	}
	b->fmem = aligned_alloc(64, fsz);
	b->lab = aligned_alloc(64, (lsz + 63) & ~(size_t)63);
	if (!b->fmem || !b->lab) {
		sample_free(b);
		snprintf(err, errlen, "out of memory (%zu + %zu bytes)", fsz, lsz);
		return -ENOMEM;
	}
	const struct featd_out out = { .ctx = b, .feat_claim = vec_claim,
				       .feat_publish = vec_publish, .vote_claim = vote_claim,
				       .vote_publish = vote_publish };
	int rc;
	if ((rc = featd_init(b->fmem, fsz, &p->featd)) < 0 ||
	    (rc = featd_attach(&b->fd, b->fmem, fsz, &p->featd, &out)) < 0 ||
	    (rc = label_init(b->lab, lsz, &p->label)) < 0) {
		sample_free(b);
		snprintf(err, errlen, "sample builder: set-up refused (%s)", strerror(-rc));
		return rc;
	}
	return 0;
}

int sample_on_event(struct sample_builder *b, const struct event *ev)
{
	if (b->err)
		return b->err;
	union msg_md m;
	if (!msg_md_from_event(&m, ev))
		return 0;
	b->n.events++;
	if (ev->kind == EV_TRADE) {
		featd_on_trade(&b->fd, &m.trade);
		return 0;
	}
	b->have_vec = 0;
	featd_on_book(&b->fd, &m.book, ev->exch_ns);
	if (!b->have_vec)
		return 0;
	const struct msg_features *f = &b->vec;
	double px = f->f[FEAT_MID];
	if (!(px > 0) || !isfinite(px))
		return 0; /* no price for the path */
	/* the path's clock never runs back (an out-of-order event keeps the
	 * last time) */
	int64_t t = f->exch_ns;
	uint64_t row = label_stats(b->lab)->rows;
	int side = 0, event = 0;
	if (f->quality) {
		b->n.flagged++;
	} else {
		side = primary_side_row(&b->p.primary, f->f);
		if (!side)
			b->n.no_side++;
		else if (b->last_event_t == INT64_MIN || t - b->last_event_t >= b->p.every_ns)
			event = 1;
		else
			b->n.too_soon++;
	}
	if (event && wait_push(b, row, f->f) < 0)
		return b->err = -ENOMEM;
	struct label_row lr = { .t_ns = t, .px = px, .hi = NAN, .lo = NAN };
	if (b->n.rows && t < b->last_t)
		lr.t_ns = b->last_t;
	int rc = label_push(b->lab, &lr, event, side);
	if (rc == -ENOSPC) {
		if (pop_all(b) < 0)
			return b->err = -ENOMEM;
		rc = label_push(b->lab, &lr, event, side);
	}
	if (rc < 0)
		return b->err = rc;
	b->last_t = lr.t_ns;
	b->n.rows++;
	b->n.labeled_events += (uint64_t)event;
	if (event)
		b->last_event_t = lr.t_ns;
	if (pop_all(b) < 0)
		return b->err = -ENOMEM;
	return 0;
}

int sample_finish(struct sample_builder *b)
{
	if (b->err)
		return b->err;
	label_finish(b->lab);
	if (pop_all(b) < 0)
		return b->err = -ENOMEM;
	return 0;
}

void sample_free(struct sample_builder *b)
{
	free(b->fmem);
	free(b->lab);
	free(b->wait_row);
	free(b->wait_x);
	struct sample_set *s = &b->out;
	free(s->x);
	free(s->y);
	free(s->w);
	free(s->t0);
	free(s->t1);
	free(s->side);
	free(s->ret);
	memset(b, 0, sizeof(*b));
}

const struct label_stats *sample_label_stats(const struct sample_builder *b)
{
	return label_stats(b->lab);
}
