/*
 * study.c — the stream: events folded into sums (study.h has the design;
 * docs/study.md the definitions).  study_fit.c turns the sums into
 * estimates.
 *
 * Units inside: prices in ticks, sizes in lots, the mid kept doubled
 * (mid2 = bid + ask, an integer), so a distance from the mid in half
 * ticks is the integer 2 px - mid2.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "libcore/feed/feed.h"
#include "libcore/study/study.h"
#include "libcore/study/study_int.h"

#define NONE INT64_MIN
#define NS   1000000000LL

void study_params_defaults(struct study_params *p)
{
	if (!p->n_windows) {
		p->n_windows = 3;
		p->window_ns[0] = 1 * NS;
		p->window_ns[1] = 10 * NS;
		p->window_ns[2] = 60 * NS;
	}
	if (!p->ofi_levels)
		p->ofi_levels = STUDY_OFI_LEVELS;
	if (!p->max_gap_ns)
		p->max_gap_ns = STUDY_DEF_MAX_GAP_NS;
	if (!p->profile_bin_ns)
		p->profile_bin_ns = STUDY_DEF_PROFILE_NS;
}

int study_params_check(const struct study_params *p, char *err, size_t errlen)
{
	if (p->n_windows < 1 || p->n_windows > STUDY_MAX_WINDOWS) {
		snprintf(err, errlen, "windows: 1..%u lengths, not %u", STUDY_MAX_WINDOWS,
			 p->n_windows);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < p->n_windows; i++)
		if (p->window_ns[i] <= 0 || (i && p->window_ns[i] <= p->window_ns[i - 1])) {
			snprintf(err, errlen, "windows: each longer than 0 and than the one "
				 "before (window %u)", i + 1);
			return -EINVAL;
		}
	if (p->ofi_levels < 1 || p->ofi_levels > STUDY_OFI_LEVELS) {
		snprintf(err, errlen, "ofi levels: 1..%u, not %u", STUDY_OFI_LEVELS,
			 p->ofi_levels);
		return -EINVAL;
	}
	if (p->profile_bin_ns < 60 * NS || STUDY_NS_PER_DAY % p->profile_bin_ns) {
		snprintf(err, errlen, "profile bin: at least a minute and a whole divisor of "
			 "a day (1, 5, 10, 15, 30, 60 min...)");
		return -EINVAL;
	}
	if (p->clock > STUDY_CLOCK_RECV || p->tz > STUDY_TZ_NEW_YORK ||
	    p->utc_offset_s < -14 * 3600 || p->utc_offset_s > 14 * 3600) {
		snprintf(err, errlen, "clock, time zone or UTC offset out of range");
		return -EINVAL;
	}
	if (!(p->fill_max_ticks >= 0) || !isfinite(p->fill_max_ticks)) {
		snprintf(err, errlen, "fill max ticks: a number >= 0");
		return -EINVAL;
	}
	if (!(p->ccy_per_tick_lot > 0) || !isfinite(p->ccy_per_tick_lot)) {
		snprintf(err, errlen, "currency per tick and lot: a number > 0");
		return -EINVAL;
	}
	return 0;
}

size_t study_memsize(const struct study_params *p)
{
	size_t bins = (size_t)(STUDY_NS_PER_DAY / p->profile_bin_ns);

	return (sizeof(struct study) + bins * sizeof(struct study_pbin) + 63) & ~(size_t)63;
}

int study_init(struct study *s, size_t size, const struct study_params *p)
{
	char err[128];

	if (study_params_check(p, err, sizeof(err)) || size < study_memsize(p))
		return -EINVAL;
	memset(s, 0, size);
	s->p = *p;
	s->n_bins = (uint32_t)(STUDY_NS_PER_DAY / p->profile_bin_ns);
	s->levels = p->ofi_levels;
	s->rng = 0x9e3779b97f4a7c15ull;
	s->t_first = NONE;
	s->t_last = NONE;
	s->tz_day = NONE;
	s->mid2 = NONE;
	s->last_px = NONE;
	s->run_exch_ns = NONE;
	hist_init(&s->eff_hist);
	for (uint32_t i = 0; i < p->n_windows; i++) {
		s->win[i].len_ns = p->window_ns[i];
		s->win[i].k = NONE;
		s->win[i].mid2_start = NONE;
	}
	if (p->hawkes_max) {
		double gap = p->max_gap_ns < 0 ? -1.0 : (double)p->max_gap_ns / 1e9;
		if (hseries_init(&s->series, 2, gap, HSERIES_TIES_MERGE))
			return -EINVAL;
		s->series_ok = 1;
	}
	return 0;
}

void study_close(struct study *s)
{
	if (s->series_ok)
		hseries_free(&s->series);
	s->series_ok = 0;
}

/* ------------------------------------------------------------ time */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Local offset of UTC instant t, s. */
static int32_t local_off(struct study *s, int64_t t)
{
	if (s->p.tz != STUDY_TZ_NEW_YORK)
		return s->p.utc_offset_s;
	/* the New York date of t, near enough: the rules switch at 2:00 */
	int64_t day = floor_div(t - 5 * 3600 * NS, STUDY_NS_PER_DAY);
	if (day != s->tz_day) {
		s->tz_day = day;
		s->tz_off = feed_new_york_offset(day);
	}
	return s->tz_off;
}

/* Local ns after midnight of UTC instant t. */
static int64_t local_tod(struct study *s, int64_t t)
{
	int64_t l = t + (int64_t)local_off(s, t) * NS;

	l %= STUDY_NS_PER_DAY;
	return l < 0 ? l + STUDY_NS_PER_DAY : l;
}

static struct study_pbin *bin_at(struct study *s, int64_t t)
{
	return &s->bins[local_tod(s, t) / s->p.profile_bin_ns];
}

/* The clock time [t0, t1) of a segment: observed, and the quoted spread
 * that held over it, spread over the profile bins it crosses. */
static void accrue(struct study *s, int64_t t0, int64_t t1)
{
	int64_t bin = s->p.profile_bin_ns;
	double sp = (double)s->spread;

	if (t1 <= t0)
		return;
	s->observed_s += (double)(t1 - t0) / 1e9;
	if (s->spread > 0) {
		s->spread_t += sp * (double)(t1 - t0) / 1e9;
		s->spread_dt += (double)(t1 - t0) / 1e9;
	}
	while (t0 < t1) {
		int64_t tod = local_tod(s, t0);
		int64_t step = bin - tod % bin;
		if (step > t1 - t0)
			step = t1 - t0;
		struct study_pbin *b = &s->bins[tod / bin];
		double dt = (double)step / 1e9;
		b->obs_s += dt;
		if (s->spread > 0) {
			b->spread_ts += sp * dt;
			b->spread_s += dt;
		}
		t0 += step;
	}
}

/* ------------------------------------------------------------ windows */

static uint64_t sample_rand(struct study *s)
{
	uint64_t x = s->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void sums_add(struct study_sums2 *m, double x, double y)
{
	m->n++;
	m->sx += x;
	m->sy += y;
	m->sxx += x * x;
	m->sxy += x * y;
	m->syy += y * y;
}

static void win_open(struct study *s, struct study_win *w, int64_t k)
{
	w->k = k;
	w->mid2_start = s->mid2;
	w->ofi1 = 0;
	memset(w->ofi, 0, sizeof(w->ofi));
	w->depth_sum = 0;
	w->depth_n = 0;
	w->svol = 0;
	w->notional = 0;
	w->orders[0] = w->orders[1] = 0;
}

/* The open window ends: one point of every regression, if a mid is known
 * at its start. */
static void win_close(struct study *s, struct study_win *w, int shortest)
{
	if (w->k == NONE)
		return;
	/* the counts of orders need no mid */
	double c0 = (double)w->orders[0], c1 = (double)w->orders[1];
	w->f_n++;
	w->f_s[0] += c0;
	w->f_s[1] += c1;
	w->f_s[2] += c0 + c1;
	w->f_ss[0] += c0 * c0;
	w->f_ss[1] += c1 * c1;
	w->f_ss[2] += (c0 + c1) * (c0 + c1);
	if (w->mid2_start == NONE || s->mid2 == NONE) {
		w->k = NONE;
		return;
	}
	double y = (double)(s->mid2 - w->mid2_start) / 2.0;
	uint32_t L = s->levels;

	sums_add(&w->s_ofi, w->ofi1, y);
	sums_add(&w->s_kyle, w->svol, y);
	double depth = w->depth_n ? w->depth_sum / (double)w->depth_n : 0.0;
	double x[STUDY_OFI_LEVELS];
	for (uint32_t i = 0; i < L; i++)
		x[i] = depth > 0 ? w->ofi[i] / depth : 0.0;
	w->ml_n++;
	w->ml_sy += y;
	w->ml_syy += y * y;
	for (uint32_t i = 0; i < L; i++) {
		w->ml_sx[i] += x[i];
		w->ml_sxy[i] += x[i] * y;
		for (uint32_t j = 0; j <= i; j++)
			w->ml_sxx[i][j] += x[i] * x[j];
	}
	double r = (w->mid2_start > 0 && s->mid2 > 0) ?
		   log((double)s->mid2 / (double)w->mid2_start) : 0.0;
	if (w->notional > 0) {
		w->amihud_sum += fabs(r) / w->notional * 1e6;
		w->amihud_n++;
	}
	if (shortest) {
		struct study_pbin *b = bin_at(s, w->k * w->len_ns);
		b->rv += r * r;
		b->rv_n++;
	}
	/* reservoir sample of the points for a chart */
	w->seen++;
	if (w->n_points < STUDY_SCATTER_MAX) {
		w->points[w->n_points++] = (struct study_point){ w->ofi1, y };
	} else {
		uint64_t j = sample_rand(s) % w->seen;
		if (j < STUDY_SCATTER_MAX)
			w->points[j] = (struct study_point){ w->ofi1, y };
	}
	w->k = NONE;
}

/* n windows without an event: each a count 0 and, when the mid is known,
 * a point (0, 0) of every regression; nothing to the profile (their time
 * is accrued). */
static void win_zeros(struct study_win *w, uint64_t n, int mid_known)
{
	w->f_n += n;
	if (!mid_known)
		return;
	w->s_ofi.n += n;
	w->s_kyle.n += n;
	w->ml_n += n;
}

static void windows_advance(struct study *s, int64_t t)
{
	for (uint32_t i = 0; i < s->p.n_windows; i++) {
		struct study_win *w = &s->win[i];
		int64_t k = floor_div(t, w->len_ns);

		if (w->k == k)
			continue;
		if (w->k != NONE) {
			int64_t gap = k - w->k - 1;
			int known = w->mid2_start != NONE && s->mid2 != NONE;
			win_close(s, w, i == 0);
			if (gap > 0)
				win_zeros(w, (uint64_t)gap, known);
		}
		win_open(s, w, k);
	}
}

/* ------------------------------------------------------------ segments */

/* The order in progress is complete: its reach from the mid goes into
 * the fill counts, its slippage per lot on its size into the impact sums. */
static void run_end(struct study *s)
{
	if (s->run_side && s->run_has_mid) {
		if (s->run_qty > 0) {
			double x = (double)s->run_qty;
			double y = (double)s->run_cost2 / (2.0 * x);
			struct study_sums2 *m = &s->s_impact;
			m->n++;
			m->sx += x;
			m->sy += y;
			m->sxx += x * x;
			m->sxy += x * y;
			m->syy += y * y;
		}
		int64_t j = s->run_reach;
		if (j < 0)
			j = 0;
		if (j > (int64_t)STUDY_FILL_BINS - 1)
			j = STUDY_FILL_BINS - 1;
		s->fill[j]++;
		s->fill_orders++;
	}
	s->run_side = 0;
}

void study_flush(struct study *s)
{
	for (uint32_t i = 0; i < s->p.n_windows; i++)
		win_close(s, &s->win[i], i == 0);
	run_end(s);
}

static void seg_end(struct study *s)
{
	study_flush(s);
	s->in_seg = 0;
	s->have_book = 0;
	s->mid2 = NONE;
	s->spread = 0;
	s->last_px = NONE;
	s->have_d = 0;
	s->tick_sign = 0;
	s->gh_have = 0;
	for (uint32_t i = 0; i < s->p.n_windows; i++)
		s->win[i].mid2_start = NONE;
}

/* ------------------------------------------------------------ events */

static void on_book(struct study *s, const struct event *ev)
{
	const struct ev_book *b = &ev->book;
	uint32_t L = s->levels;
	int64_t px[2][STUDY_OFI_LEVELS], qty[2][STUDY_OFI_LEVELS];
	double e[STUDY_OFI_LEVELS] = { 0 }, depth = 0;

	s->books++;
	for (uint32_t m = 0; m < L; m++) {
		/* an absent level: a bid at minus infinity, an ask at plus
		 * infinity, size 0 (its arrival and its leaving are flows) */
		if (m < b->n_bid) {
			px[0][m] = b->bid[m].px;
			qty[0][m] = b->bid[m].qty;
		} else {
			px[0][m] = INT64_MIN;
			qty[0][m] = 0;
		}
		if (m < b->n_ask) {
			px[1][m] = b->ask[m].px;
			qty[1][m] = b->ask[m].qty;
		} else {
			px[1][m] = INT64_MAX;
			qty[1][m] = 0;
		}
		depth += (double)qty[0][m] + (double)qty[1][m];
	}
	depth /= 2.0 * L;
	if (s->have_book) {
		for (uint32_t m = 0; m < L; m++)
			e[m] = study_ofi_event(px[0][m], qty[0][m], s->prev_px[0][m],
					       s->prev_qty[0][m], px[1][m], qty[1][m],
					       s->prev_px[1][m], s->prev_qty[1][m]);
		for (uint32_t i = 0; i < s->p.n_windows; i++) {
			struct study_win *w = &s->win[i];
			w->ofi1 += e[0];
			for (uint32_t m = 0; m < L; m++)
				w->ofi[m] += e[m];
		}
	}
	for (uint32_t i = 0; i < s->p.n_windows; i++) {
		s->win[i].depth_sum += depth;
		s->win[i].depth_n++;
	}
	memcpy(s->prev_px, px, sizeof(px));
	memcpy(s->prev_qty, qty, sizeof(qty));
	s->have_book = 1;
	if (b->n_bid && b->n_ask) {
		s->mid2 = b->bid[0].px + b->ask[0].px;
		int64_t sp = b->ask[0].px - b->bid[0].px;
		s->spread = sp > 0 ? sp : 0;
		for (uint32_t i = 0; i < s->p.n_windows; i++)
			if (s->win[i].mid2_start == NONE)
				s->win[i].mid2_start = s->mid2;
	} else {
		s->spread = 0;
	}
}

static void on_trade(struct study *s, const struct event *ev, int64_t t)
{
	const struct ev_trade *tr = &ev->trade;
	int64_t px = tr->px;
	double q = (double)tr->qty;
	int side;

	s->trades++;
	/* the sign: the aggressor, else the quote rule, else the tick rule */
	if (tr->aggressor) {
		side = tr->aggressor > 0 ? 1 : -1;
		s->signed_by[0]++;
	} else if (s->mid2 != NONE && 2 * px != s->mid2) {
		side = 2 * px > s->mid2 ? 1 : -1;
		s->signed_by[1]++;
	} else if (s->last_px != NONE && (px != s->last_px || s->tick_sign)) {
		side = px > s->last_px ? 1 : px < s->last_px ? -1 : s->tick_sign;
		s->signed_by[2]++;
	} else {
		side = 0;
		s->signed_by[3]++;
	}

	/* Roll: consecutive price changes */
	if (s->last_px != NONE) {
		double d = (double)(px - s->last_px);
		if (s->have_d) {
			s->roll_sa += s->last_d;
			s->roll_sb += d;
			s->roll_sab += s->last_d * d;
			s->roll_n++;
		}
		s->last_d = d;
		s->have_d = 1;
		if (px != s->last_px)
			s->tick_sign = px > s->last_px ? 1 : -1;
	}
	s->last_px = px;

	struct study_pbin *pb = bin_at(s, t);
	pb->volume += q;
	pb->trades++;
	for (uint32_t i = 0; i < s->p.n_windows; i++) {
		s->win[i].notional += (double)px * q * s->p.ccy_per_tick_lot;
		s->win[i].svol += side * q;
	}
	if (!side)
		return; /* as the Hawkes series: no order, and no end of one */
	if (s->mid2 != NONE) {
		int64_t es = side * (2 * px - s->mid2);
		s->eff_sum += (double)es;
		s->eff_n++;
		hist_record(&s->eff_hist, es > 0 ? (uint64_t)es : 0);
	}

	/* Glosten-Harris and Huang-Stoll over consecutive signed trades */
	double Q = side, QV = side * q;
	if (s->gh_have) {
		double y = (double)(px - s->gh_px);
		double x[4] = { Q - s->gh_q, QV - s->gh_qv, Q, QV };
		double h[2] = { Q - s->gh_q, s->gh_q };
		for (int i = 0; i < 4; i++) {
			s->gh_xy[i] += x[i] * y;
			for (int j = 0; j < 4; j++)
				s->gh_xx[i][j] += x[i] * x[j];
		}
		for (int i = 0; i < 2; i++) {
			s->hs_xy[i] += h[i] * y;
			for (int j = 0; j < 2; j++)
				s->hs_xx[i][j] += h[i] * h[j];
		}
		s->gh_yy += y * y;
		s->gh_sy += y;
		s->gh_v += q;
		s->gh_n++;
	}
	s->gh_px = px;
	s->gh_q = Q;
	s->gh_qv = QV;
	s->gh_have = 1;

	/* prints of one aggressive order: the same exchange time and side, as
	 * the Hawkes series merges them (hseries_add_event) */
	int64_t ns = ev->exch_ns;
	if (s->run_exch_ns != NONE && ns < s->run_exch_ns)
		ns = s->run_exch_ns;
	if (s->run_side == side && ns == s->run_exch_ns) {
		if (s->run_has_mid) {
			int64_t r = side * (2 * px - s->run_mid2);
			if (r > s->run_reach)
				s->run_reach = r;
			s->run_qty += tr->qty;
			s->run_cost2 += r * tr->qty;
		}
		return;
	}
	run_end(s);
	s->run_side = side;
	s->run_exch_ns = ns;
	s->run_has_mid = s->mid2 != NONE;
	s->run_mid2 = s->mid2;
	s->run_reach = s->run_has_mid ? side * (2 * px - s->mid2) : 0;
	s->run_qty = tr->qty;
	s->run_cost2 = s->run_reach * tr->qty;
	for (uint32_t i = 0; i < s->p.n_windows; i++)
		s->win[i].orders[side > 0 ? 0 : 1]++;
}

int study_on_event(struct study *s, const struct event *ev)
{
	int64_t t = s->p.clock == STUDY_CLOCK_RECV ? ev->recv_ns : ev->exch_ns;

	if (ev->kind != EV_BOOK && ev->kind != EV_TRADE)
		return 0;
	if (s->events && t < s->t_last) {
		t = s->t_last;
		s->back_in_time++;
	}
	if (!s->events)
		s->t_first = t;
	s->events++;
	if (s->in_seg) {
		if (s->p.max_gap_ns > 0 && t - s->t_last > s->p.max_gap_ns)
			seg_end(s);
		else
			accrue(s, s->t_last, t);
	}
	if (!s->in_seg) {
		s->in_seg = 1;
		s->segments++;
	}
	s->t_last = t;
	windows_advance(s, t);
	if (ev->kind == EV_BOOK)
		on_book(s, ev);
	else
		on_trade(s, ev, t);

	if (s->series_ok && !s->series_capped) {
		if (ev->kind == EV_TRADE && s->series.n >= s->p.hawkes_max)
			s->series_capped = 1;
		else if (hseries_add_event(&s->series, ev) < 0)
			return -ENOMEM;
	}
	if (s->series_capped && ev->kind == EV_TRADE)
		s->series_left_out++;
	return 0;
}
