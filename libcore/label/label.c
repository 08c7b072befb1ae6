/*
 * label.c — the streaming triple-barrier labeler and its weights (label.h
 * has the design note, docs/labels.md the definitions).
 *
 * Rows are kept by internal index k = row + 1, so that k = 0 is a sentinel
 * row whose prefix sums are 0 and "the row before i0" always exists.  After
 * n rows the row ring holds internal rows [low, n + 1]: low is internal row
 * i0 (the row before the start) of the oldest label not yet popped, or the
 * first non-final row when no label is kept; n is the last pushed row and
 * n + 1 the next one, whose difference-array cell a label ending at the
 * last row already writes.
 *
 * Invariants:
 *  - head <= unres <= tail (label sequence numbers); every label in
 *    [head, unres) has left the pending state; slot(unres) is pending when
 *    unres < tail.
 *  - fin - 1 = F, the first row whose concurrency may still change:
 *    F = i0 of slot(unres), or n when no label is pending.  Rows < F carry
 *    final prefix sums.
 *  - A pending label sits in the upper heap when its upper level is finite
 *    and in the lower heap when its lower level is finite; pos_up / pos_dn
 *    are its positions there (NOPOS when absent).
 */
#include "libcore/label/label.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libcore/types.h"

#define NOPOS     UINT32_MAX
#define RET_SCALE 0x1p80      /* r_t / c_t in 2^-80 units */
#define ALIGN64(x) (((x) + 63u) & ~(uint64_t)63u)

enum { ST_PENDING = 0, ST_DONE = 1, ST_DROPPED = 2 };

/* One row of the window. */
struct label_rowent {
	__int128 s_inv;   /* sum of 1/c over final rows through this one, 2^-64 */
	__int128 s_ret;   /* sum of r/c, 2^-80 */
	double   r;       /* ln(px / previous px); 0 for row 0 */
	int32_t  d;       /* difference array: +1 label starts, -1 after it ends */
	int32_t  pad;
};

/* One label from its event until it is popped. */
struct label_slot {
	uint64_t i0, i1;
	uint64_t i_vert;  /* row of the row-count barrier, UINT64_MAX off */
	int64_t  t0_ns, t1_ns;
	int64_t  dl_ns;   /* time barrier, INT64_MAX off */
	double   p0;
	double   up, dn;  /* price levels touched by hi >= up / lo <= dn */
	double   sigma, w_pt, w_sl;
	double   ret;
	uint32_t pos_up, pos_dn;
	int8_t   side, o, label;
	uint8_t  barrier, state;
	uint8_t  pad[3];
};

/* ------------------------------------------------------------ parameters */

const char *label_barrier_name(int b)
{
	switch (b) {
	case LABEL_B_PT:   return "pt";
	case LABEL_B_SL:   return "sl";
	case LABEL_B_VERT: return "vert";
	case LABEL_B_TIE:  return "tie";
	case LABEL_B_END:  return "end";
	default:           return "?";
	}
}

void label_params_default(struct label_params *p)
{
	memset(p, 0, sizeof(*p));
	p->pt_kind = LABEL_BAR_VOL;
	p->sl_kind = LABEL_BAR_VOL;
	p->pt = 2.0;
	p->sl = 2.0;
	p->tick = 5.0;
	p->vol_kind = LABEL_VOL_EWMA;
	p->vol_n = 100;
	p->vol_warmup = 100;
	p->vert_events = 100;
	p->vert_sec = 0;
	p->vol_floor = 0;
	p->vert_sign = 0;
	p->tie = LABEL_TIE_STOP;
	p->eod = LABEL_EOD_LAST;
	p->window = 0;
}

static int bad(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int check_bar(uint32_t kind, double v, const char *name, char *err, size_t errlen)
{
	if (kind > LABEL_BAR_TICKS)
		return bad(err, errlen, "%s_kind %u: expected 0 (off), 1 (volatility) or 2 (ticks)",
			   name, kind);
	if (kind == LABEL_BAR_VOL && !(v > 0 && v <= 1e6))
		return bad(err, errlen, "%s %g: a volatility multiple must be in (0, 1e6]", name, v);
	if (kind == LABEL_BAR_TICKS && !(v >= 1e-6 && v <= 1e9))
		return bad(err, errlen, "%s %g: a tick count must be in [1e-6, 1e9]", name, v);
	return 0;
}

int label_params_check(const struct label_params *p, char *err, size_t errlen)
{
	int rc;

	if ((rc = check_bar(p->pt_kind, p->pt, "pt", err, errlen)) ||
	    (rc = check_bar(p->sl_kind, p->sl, "sl", err, errlen)))
		return rc;
	if (!(p->tick > 0) || !isfinite(p->tick))
		return bad(err, errlen, "tick %g: expected a positive number", p->tick);
	if (p->vol_kind > LABEL_VOL_ROLLING)
		return bad(err, errlen, "vol_kind %u: expected 0 (ewma) or 1 (rolling)", p->vol_kind);
	if (p->vol_n < 2 || p->vol_n > LABEL_MAX_VOL_N)
		return bad(err, errlen, "vol_n %u: expected 2..%u", p->vol_n, LABEL_MAX_VOL_N);
	if (p->vol_warmup < 1)
		return bad(err, errlen, "vol_warmup 0: expected at least 1 return");
	if (p->vert_events > (LABEL_MAX_WINDOW - 4) / 2)
		return bad(err, errlen, "vert_events %u: at most %u", p->vert_events,
			   (LABEL_MAX_WINDOW - 4) / 2);
	if (!(p->vert_sec >= 0 && p->vert_sec <= 1e9))
		return bad(err, errlen, "vert_sec %g: expected 0 (off) .. 1e9 seconds", p->vert_sec);
	if (p->vert_events == 0 && !(p->vert_sec > 0))
		return bad(err, errlen, "no vertical barrier: set vert_events or vert_sec "
			   "(it bounds how long a label stays open)");
	if (!(p->vol_floor >= 0) || !isfinite(p->vol_floor))
		return bad(err, errlen, "vol_floor %g: expected a number >= 0", p->vol_floor);
	if (p->vert_sign > 1)
		return bad(err, errlen, "vert_sign %u: expected 0 or 1", p->vert_sign);
	if (p->tie > LABEL_TIE_ZERO)
		return bad(err, errlen, "tie %u: expected 0 (stop), 1 (profit) or 2 (zero)", p->tie);
	if (p->eod > LABEL_EOD_DROP)
		return bad(err, errlen, "eod %u: expected 0 (last) or 1 (drop)", p->eod);
	if (p->window > LABEL_MAX_WINDOW || (p->window && p->window < 4))
		return bad(err, errlen, "window %u: expected 0 (auto) or 4..%u", p->window,
			   LABEL_MAX_WINDOW);
	return 0;
}

uint32_t label_capacity(const struct label_params *p)
{
	uint32_t w, cap = 8;

	if (label_params_check(p, NULL, 0))
		return 0;
	w = p->window ? p->window : p->vert_events ? 2 * p->vert_events + 4 : 65536;
	while (cap < w)
		cap <<= 1;
	return cap;
}

/* ------------------------------------------------------------ layout */

struct layout {
	uint64_t rows, slots, hup, hdn, vol, size;
};

static void layout_of(const struct label_params *p, uint32_t cap, struct layout *lo)
{
	uint64_t off = ALIGN64(sizeof(struct label));

	lo->rows = off;
	off += ALIGN64((uint64_t)cap * sizeof(struct label_rowent));
	lo->slots = off;
	off += ALIGN64((uint64_t)cap * sizeof(struct label_slot));
	lo->hup = off;
	off += ALIGN64((uint64_t)cap * sizeof(struct label_hent));
	lo->hdn = off;
	off += ALIGN64((uint64_t)cap * sizeof(struct label_hent));
	lo->vol = off;
	if (p->vol_kind == LABEL_VOL_ROLLING)
		off += ALIGN64((uint64_t)p->vol_n * sizeof(double));
	lo->size = off;
}

size_t label_memsize(const struct label_params *p)
{
	struct layout lo;
	uint32_t cap = label_capacity(p);

	if (!cap)
		return 0;
	layout_of(p, cap, &lo);
	return (size_t)lo.size;
}

static inline struct label_rowent *rowent(const struct label *l, uint64_t k)
{
	return (struct label_rowent *)((char *)l + l->off_rows) + (k & l->mask);
}

static inline struct label_slot *slot_at(const struct label *l, uint64_t seq)
{
	return (struct label_slot *)((char *)l + l->off_slots) + (seq & l->mask);
}

static inline struct label_hent *heap_of(const struct label *l, int w)
{
	return (struct label_hent *)((char *)l + (w ? l->off_hdn : l->off_hup));
}

static inline double *vol_ring(const struct label *l)
{
	return (double *)(void *)((char *)l + l->off_vol);
}

int label_init(struct label *l, size_t size, const struct label_params *p)
{
	struct layout lo;
	uint32_t cap = label_capacity(p);

	if (!cap || ((uintptr_t)l & 63u))
		return -EINVAL;
	layout_of(p, cap, &lo);
	if (size < lo.size)
		return -ENOSPC;
	memset(l, 0, lo.size);
	l->p = *p;
	l->size = lo.size;
	l->cap = cap;
	l->mask = cap - 1;
	l->any_vol = p->pt_kind == LABEL_BAR_VOL || p->sl_kind == LABEL_BAR_VOL;
	l->off_rows = lo.rows;
	l->off_slots = lo.slots;
	l->off_hup = lo.hup;
	l->off_hdn = lo.hdn;
	l->off_vol = lo.vol;
	l->vert_ns = (int64_t)llround(p->vert_sec * 1e9);
	l->alpha = 2.0 / ((double)p->vol_n + 1.0);
	l->fin = 1;
	return 0;
}

const struct label_stats *label_stats(const struct label *l)
{
	return &l->st;
}

/* ------------------------------------------------------------ heaps
 * Two binary min-heaps of (key, slot): the upper levels, and the lower
 * levels negated.  Each move records the new position in the slot, so a
 * resolved label leaves the other heap in O(log P). */

static inline uint32_t *hpos(struct label_slot *s, int w)
{
	return w ? &s->pos_dn : &s->pos_up;
}

static inline uint32_t *hcount(struct label *l, int w)
{
	return w ? &l->n_dn : &l->n_up;
}

static inline void h_place(struct label *l, int w, uint32_t i, struct label_hent e)
{
	heap_of(l, w)[i] = e;
	*hpos(slot_at(l, e.slot), w) = i;
}

static void h_sift_up(struct label *l, int w, uint32_t i)
{
	struct label_hent *h = heap_of(l, w), e = h[i];

	while (i > 0) {
		uint32_t up = (i - 1) / 2;

		if (h[up].key <= e.key)
			break;
		h_place(l, w, i, h[up]);
		i = up;
	}
	h_place(l, w, i, e);
}

static void h_sift_down(struct label *l, int w, uint32_t i)
{
	struct label_hent *h = heap_of(l, w), e = h[i];
	uint32_t n = *hcount(l, w);

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1].key < h[c].key)
			c++;
		if (e.key <= h[c].key)
			break;
		h_place(l, w, i, h[c]);
		i = c;
	}
	h_place(l, w, i, e);
}

static void h_push(struct label *l, int w, double key, uint32_t slot)
{
	uint32_t i = (*hcount(l, w))++;

	heap_of(l, w)[i] = (struct label_hent){ .key = key, .slot = slot };
	h_sift_up(l, w, i);
}

static void h_remove(struct label *l, int w, uint32_t i)
{
	struct label_hent *h = heap_of(l, w);
	uint32_t last = --*hcount(l, w);

	*hpos(slot_at(l, h[i].slot), w) = NOPOS;
	if (i == last)
		return;
	h_place(l, w, i, h[last]);
	if (i > 0 && h[i].key < h[(i - 1) / 2].key)
		h_sift_up(l, w, i);
	else
		h_sift_down(l, w, i);
}

/* ------------------------------------------------------------ volatility */

static void vol_add(struct label *l, double r)
{
	l->n_ret++;
	if (l->p.vol_kind == LABEL_VOL_EWMA) {
		/* Weighted mean and population variance with weight alpha on the
		 * newest return (West 1979, exponential weights). */
		if (l->n_ret == 1) {
			l->ew_mean = r;
			l->ew_var = 0;
		} else {
			double d = r - l->ew_mean, inc = l->alpha * d;

			l->ew_mean += inc;
			l->ew_var = (1.0 - l->alpha) * (l->ew_var + d * inc);
		}
		return;
	}
	/* Rolling: only the ring; the standard deviation is taken two-pass
	 * when an event asks for it (vol_sigma), which is exact to rounding
	 * however the window's returns compare with its mean, where running
	 * sums of r and r^2 lose every digit to cancellation. */
	vol_ring(l)[l->ro_pos] = r;
	l->ro_pos = l->ro_pos + 1 == l->p.vol_n ? 0 : l->ro_pos + 1;
}

static double vol_sigma(const struct label *l)
{
	const double *ring = vol_ring(l);
	uint32_t n = l->p.vol_n, m, k;
	double mean = 0, var = 0;

	if (l->n_ret == 0)
		return 0;
	if (l->p.vol_kind == LABEL_VOL_EWMA)
		return sqrt(fmax(l->ew_var, 0));
	m = l->n_ret < n ? (uint32_t)l->n_ret : n;
	k = l->ro_pos >= m ? l->ro_pos - m : l->ro_pos + n - m; /* oldest */
	for (uint32_t i = 0, j = k; i < m; i++, j = j + 1 == n ? 0 : j + 1)
		mean += ring[j];
	mean /= m;
	for (uint32_t i = 0, j = k; i < m; i++, j = j + 1 == n ? 0 : j + 1)
		var += (ring[j] - mean) * (ring[j] - mean);
	return sqrt(var / m);
}

double label_sigma(const struct label *l, uint64_t *n_returns)
{
	if (n_returns)
		*n_returns = l->n_ret;
	return vol_sigma(l);
}

/* ------------------------------------------------------------ labels */

static inline int sign_of(double x)
{
	return (x > 0) - (x < 0);
}

/* End the label s at row i1 (time t1, price px1). */
static void resolve(struct label *l, struct label_slot *s, uint64_t i1, int64_t t1,
		    double px1, int label, int barrier)
{
	s->i1 = i1;
	s->t1_ns = t1;
	s->ret = s->o * log(px1 / s->p0);
	s->label = (int8_t)label;
	s->barrier = (uint8_t)barrier;
	s->state = ST_DONE;
	if (s->pos_up != NOPOS)
		h_remove(l, 0, s->pos_up);
	if (s->pos_dn != NOPOS)
		h_remove(l, 1, s->pos_dn);
	rowent(l, i1 + 2)->d -= 1;
}

static void resolve_vert(struct label *l, struct label_slot *s, uint64_t i1, int64_t t1,
			 double px1)
{
	resolve(l, s, i1, t1, px1, 0, LABEL_B_VERT);
	if (l->p.vert_sign)
		s->label = (int8_t)sign_of(s->ret);
}

/* Level of the profit (stop) barrier for orientation o; +-inf when off. */
static double level(uint32_t kind, double mult, double sigma, double tick, double p0,
		    double dir)
{
	switch (kind) {
	case LABEL_BAR_VOL:
		return p0 * exp(dir * mult * sigma);
	case LABEL_BAR_TICKS:
		return p0 + dir * (mult - LABEL_TICK_EPS) * tick;
	default:
		return dir * INFINITY;
	}
}

/* Open a label at row n (internal n + 1), or count the event skipped. */
static void open_label(struct label *l, uint64_t n, int64_t t, double p0, int side)
{
	const struct label_params *p = &l->p;
	double sigma = 0, prof, stop, up, dn;
	int o = side ? side : 1;

	if (l->any_vol) {
		if (l->n_ret < p->vol_warmup) {
			l->st.skipped++;
			return;
		}
		sigma = fmax(vol_sigma(l), p->vol_floor);
	}
	prof = level(p->pt_kind, p->pt, sigma, p->tick, p0, o);
	stop = level(p->sl_kind, p->sl, sigma, p->tick, p0, -o);
	up = o > 0 ? prof : stop;
	dn = o > 0 ? stop : prof;
	/* A width that rounds away (sigma 0 or tiny) would put a barrier at the
	 * entry price, touched by a flat row: no label. */
	if (!(up > p0) || !(dn < p0)) {
		l->st.skipped++;
		return;
	}

	uint64_t seq = l->tail++;
	struct label_slot *s = slot_at(l, seq);

	memset(s, 0, sizeof(*s));
	s->i0 = n;
	s->t0_ns = t;
	s->p0 = p0;
	s->up = up;
	s->dn = dn;
	s->sigma = l->any_vol ? sigma : 0;
	s->w_pt = p->pt_kind == LABEL_BAR_VOL ? p->pt * sigma : p->pt_kind == LABEL_BAR_TICKS ? p->pt : 0;
	s->w_sl = p->sl_kind == LABEL_BAR_VOL ? p->sl * sigma : p->sl_kind == LABEL_BAR_TICKS ? p->sl : 0;
	s->side = (int8_t)side;
	s->o = (int8_t)o;
	s->state = ST_PENDING;
	s->pos_up = s->pos_dn = NOPOS;
	s->i_vert = p->vert_events ? n + p->vert_events : UINT64_MAX;
	s->dl_ns = !l->vert_ns ? INT64_MAX :
		   t > INT64_MAX - l->vert_ns ? INT64_MAX : t + l->vert_ns;
	if (isfinite(up))
		h_push(l, 0, up, (uint32_t)(seq & l->mask));
	if (isfinite(dn))
		h_push(l, 1, -dn, (uint32_t)(seq & l->mask));
	rowent(l, n + 1)->d += 1;
}

/* Make rows final up to and including internal row f. */
static void finalize(struct label *l, uint64_t f)
{
	for (; l->fin <= f; l->fin++) {
		struct label_rowent *e = rowent(l, l->fin);

		l->c_run += e->d;
		if (l->c_run > 0) {
			l->s_inv_run += ((__int128)1 << 64) / l->c_run;
			l->s_ret_run += (__int128)(e->r / l->c_run * RET_SCALE);
		}
		e->s_inv = l->s_inv_run;
		e->s_ret = l->s_ret_run;
	}
}

/* After a row: move the pending cursor and make the rows before the oldest
 * pending label final. */
static void advance(struct label *l)
{
	while (l->unres < l->tail && slot_at(l, l->unres)->state != ST_PENDING)
		l->unres++;
	finalize(l, l->unres < l->tail ? slot_at(l, l->unres)->i0 : l->n);
}

int label_push(struct label *l, const struct label_row *row, int event, int side)
{
	const double px = row->px;
	const double hi = isnan(row->hi) ? px : row->hi;
	const double lo = isnan(row->lo) ? px : row->lo;
	const int64_t t = row->t_ns;
	const uint64_t n = l->n;
	struct label_slot *s;

	if (DM_UNLIKELY(l->finished || !(px > 0) || !isfinite(px) || !(hi >= px) ||
			!isfinite(hi) || !(lo <= px) || !(lo > 0) ||
			(n && t < l->t_last) || side < -1 || side > 1))
		return -EINVAL;
	uint64_t low = l->head < l->tail ? slot_at(l, l->head)->i0 : l->fin;
	if (DM_UNLIKELY(n + 3 - low > l->cap || (event && l->tail - l->head >= l->cap)))
		return -ENOSPC;

	double r = n ? log(px / l->px_last) : 0;
	rowent(l, n + 1)->r = r;
	memset(rowent(l, n + 2), 0, sizeof(struct label_rowent));

	/* Time barrier: a label whose deadline fell before this row ends at
	 * the previous row, the price in force at the deadline.  Deadlines
	 * grow with t0, so they expire in label order. */
	if (l->vert_ns)
		for (; l->vcur < l->tail; l->vcur++) {
			s = slot_at(l, l->vcur);
			if (s->state != ST_PENDING)
				continue;
			if (t <= s->dl_ns)
				break;
			resolve_vert(l, s, n - 1, l->t_last, l->px_last);
		}

	/* Horizontal barriers touched by this row. */
	while (l->n_up && heap_of(l, 0)[0].key <= hi) {
		s = slot_at(l, heap_of(l, 0)[0].slot);
		if (s->pos_dn != NOPOS && s->dn >= lo)
			resolve(l, s, n, t, px, l->p.tie == LABEL_TIE_STOP ? -1 :
				l->p.tie == LABEL_TIE_PROFIT ? 1 : 0, LABEL_B_TIE);
		else if (s->o > 0)
			resolve(l, s, n, t, px, 1, LABEL_B_PT);
		else
			resolve(l, s, n, t, px, -1, LABEL_B_SL);
	}
	while (l->n_dn && heap_of(l, 1)[0].key <= -lo) {
		s = slot_at(l, heap_of(l, 1)[0].slot);
		if (s->o > 0)
			resolve(l, s, n, t, px, -1, LABEL_B_SL);
		else
			resolve(l, s, n, t, px, 1, LABEL_B_PT);
	}

	if (n)
		vol_add(l, r);
	if (event) {
		l->st.events++;
		open_label(l, n, t, px, side);
	}

	/* Row-count barrier: checked after the horizontal ones, so a touch on
	 * the barrier row itself counts as a touch. */
	if (l->p.vert_events)
		for (; l->vcur < l->tail; l->vcur++) {
			s = slot_at(l, l->vcur);
			if (s->state != ST_PENDING)
				continue;
			if (s->i_vert > n)
				break;
			resolve_vert(l, s, n, t, px);
		}

	l->n = n + 1;
	l->t_last = t;
	l->px_last = px;
	l->st.rows++;
	advance(l);
	return 0;
}

void label_finish(struct label *l)
{
	if (l->finished)
		return;
	l->finished = 1;
	for (uint64_t q = l->unres; q < l->tail; q++) {
		struct label_slot *s = slot_at(l, q);

		if (s->state != ST_PENDING)
			continue;
		if (l->p.eod == LABEL_EOD_DROP) {
			/* Its rows are not final yet (it is pending), so taking its
			 * +1 back leaves every concurrency as if it never existed. */
			if (s->pos_up != NOPOS)
				h_remove(l, 0, s->pos_up);
			if (s->pos_dn != NOPOS)
				h_remove(l, 1, s->pos_dn);
			rowent(l, s->i0 + 1)->d -= 1;
			s->state = ST_DROPPED;
			l->st.dropped++;
		} else {
			resolve(l, s, l->n - 1, l->t_last, l->px_last, 0, LABEL_B_END);
			s->label = (int8_t)sign_of(s->ret);
		}
	}
	l->vcur = l->tail;
	advance(l);
}

uint32_t label_pop_burst(struct label *l, struct label_rec *out, uint32_t n)
{
	const uint64_t f = l->fin - 1; /* rows < f are final */
	uint32_t k = 0;

	while (k < n && l->head < l->tail) {
		struct label_slot *s = slot_at(l, l->head);

		if (s->state == ST_DROPPED) {
			l->head++;
			continue;
		}
		if (s->state == ST_PENDING || s->i1 >= f)
			break;

		struct label_rec *o = &out[k++];
		__int128 di = rowent(l, s->i1 + 1)->s_inv - rowent(l, s->i0)->s_inv;
		__int128 dr = rowent(l, s->i1 + 1)->s_ret - rowent(l, s->i0 + 1)->s_ret;

		o->i0 = s->i0;
		o->i1 = s->i1;
		o->t0_ns = s->t0_ns;
		o->t1_ns = s->t1_ns;
		o->ret = s->ret;
		o->sigma = s->sigma;
		o->w_pt = s->w_pt;
		o->w_sl = s->w_sl;
		o->uniq = (double)di * 0x1p-64 / (double)(s->i1 - s->i0 + 1);
		o->attr = fabs((double)dr / RET_SCALE);
		o->label = s->label;
		o->side = s->side;
		o->meta = s->label == 1;
		o->barrier = s->barrier;
		o->pad = 0;

		l->st.popped++;
		l->st.by_label[o->label + 1]++;
		l->st.by_barrier[o->barrier]++;
		l->st.meta1 += (uint64_t)o->meta;
		l->st.sum_uniq += o->uniq;
		l->st.sum_attr += o->attr;
		l->head++;
	}
	/* The cursors never point below head: a popped slot may be reused. */
	if (l->vcur < l->head)
		l->vcur = l->head;
	if (l->unres < l->head)
		l->unres = l->head;
	return k;
}

double label_attr_scale(double sum_attr, uint64_t n)
{
	return sum_attr > 0 ? (double)n / sum_attr : 0;
}

/* ------------------------------------------------------------ batch weights */

size_t label_weights_scratch(uint64_t n_rows)
{
	return (size_t)(2 * (n_rows + 1) * sizeof(__int128) + (n_rows + 2) * sizeof(int32_t));
}

int label_weights(struct label_rec *recs, size_t n, const double *px, uint64_t n_rows,
		  void *scratch, size_t scratch_size, double *sum_attr)
{
	__int128 *si = scratch, *sr = si + n_rows + 1;
	int32_t *d = (int32_t *)(sr + n_rows + 1);
	int64_t c = 0;
	double sum = 0;

	if (scratch_size < label_weights_scratch(n_rows) || ((uintptr_t)scratch & 15u))
		return -EINVAL;
	for (uint64_t t = 0; t < n_rows; t++)
		if (!(px[t] > 0) || !isfinite(px[t]))
			return -EINVAL;
	for (size_t k = 0; k < n; k++)
		if (recs[k].i0 > recs[k].i1 || recs[k].i1 >= n_rows)
			return -EINVAL;
	memset(d, 0, (size_t)(n_rows + 2) * sizeof(int32_t));
	/* internal row k = row + 1, as in the streaming labeler */
	for (size_t k = 0; k < n; k++) {
		d[recs[k].i0 + 1]++;
		d[recs[k].i1 + 2]--;
	}
	si[0] = sr[0] = 0;
	for (uint64_t k = 1; k <= n_rows; k++) {
		double r = k >= 2 ? log(px[k - 1] / px[k - 2]) : 0;

		c += d[k];
		si[k] = si[k - 1];
		sr[k] = sr[k - 1];
		if (c > 0) {
			si[k] += ((__int128)1 << 64) / c;
			sr[k] += (__int128)(r / (double)c * RET_SCALE);
		}
	}
	for (size_t k = 0; k < n; k++) {
		uint64_t i0 = recs[k].i0, i1 = recs[k].i1;

		recs[k].uniq = (double)(si[i1 + 1] - si[i0]) * 0x1p-64 / (double)(i1 - i0 + 1);
		recs[k].attr = fabs((double)(sr[i1 + 1] - sr[i0 + 1]) / RET_SCALE);
		sum += recs[k].attr;
	}
	if (sum_attr)
		*sum_attr = sum;
	return 0;
}

/* ------------------------------------------------------------ CUSUM */

void label_cusum_init(struct label_cusum *c, double h)
{
	memset(c, 0, sizeof(*c));
	c->h = h;
}

int label_cusum_update(struct label_cusum *c, double px)
{
	double ln = log(px), d;

	if (c->seen++ == 0) {
		c->ln_last = ln;
		return 0;
	}
	d = ln - c->ln_last;
	c->ln_last = ln;
	c->s_pos = fmax(0, c->s_pos + d);
	c->s_neg = fmin(0, c->s_neg + d);
	if (c->s_neg < -c->h) {
		c->s_neg = 0;
		return -1;
	}
	if (c->s_pos > c->h) {
		c->s_pos = 0;
		return 1;
	}
	return 0;
}
