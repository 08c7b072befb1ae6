/*
 * test_features.c — every feature of the engine (libcore/features) against
 * a naive recomputation written here from specs/features.md.
 *
 * The oracle.  The event stream is replayed into a plain history: every
 * emitted book update (both sides non-empty) with its levels filled to L
 * (a missing level: size 0 at the deepest present price) and its time, and
 * every trade with the number of updates emitted before it.  Each feature
 * at update n is then recomputed from that history by its formula over the
 * whole window: sums over the last W updates, the Wilder and EMA
 * recursions run from the first update, the Hawkes sum over every past
 * trade, the regression by two-pass population moments, prices in price
 * units (ticks x tau) and sizes in size units (lots x lot).  Nothing of the
 * engine is used but its public entry points.
 *
 * Tolerance.  |engine - naive| <= 1e-9 x max(|engine|, |naive|) + 1e-9: a
 * relative 1e-9, with an absolute floor of 1e-9 in the feature's own unit
 * (ticks, bps, size units...) for values near 0.  The floor covers what the
 * naive formulas themselves lose to cancellation: (micro - mid) / tau or an
 * EMA difference computed in price units carries about eps x mid / tau,
 * ~1e-11 ticks on these data.  NaN must match NaN (fracdiff only).
 *
 * Sequences.  Handcrafted edge cases (empty sides, zero sizes, missing
 * levels, partial windows, equal and backward timestamps, price jumps, a
 * crossed book, trades before the first update and of unknown side), two
 * seeded random walks (one with tiny windows so every ring wraps many
 * times), synthetic WIN flow from libcore/gen, and the real LOBSTER sample
 * of tests/data (tests run from the repo root), whose oracle stream is
 * parsed here from the CSV files while the engine reads it through the
 * feed reader: that also checks the LOBSTER rules (trade before its row's
 * book update, aggressor opposite to the direction column).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/market/calendar.h"
#include "libcore/config/config.h"
#include "libcore/market/event.h"
#include "libcore/features/features.h"
#include "libcore/feed/feed.h"
#include "libcore/gen/gen.h"
#include "tests/helpers.h"

#define T_LOBSTER_DIR "tests/data/lobster-aapl-20120621-excerpt/"
#define T_LOBSTER_MSG T_LOBSTER_DIR "AAPL_2012-06-21_34200000_57600000_message_10.csv"
#define T_LOBSTER_OB  T_LOBSTER_DIR "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"

#define T_REL 1e-9
#define T_ABS 1e-9
#define T_LMAX 20

/* ------------------------------------------------------------ streams */

struct t_seq {
	struct event *ev;
	size_t n, cap;
};

static void t_push(struct t_seq *s, const struct event *ev)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->ev = t_realloc(s->ev, s->cap * sizeof(*s->ev));
	}
	s->ev[s->n++] = *ev;
}

/* A book update from text: "100x5 99x3 | 101x2 102x4", bids then asks,
 * best first, price x size in ticks and lots; either side may be empty. */
static void t_book(struct t_seq *s, int64_t t_ns, const char *txt)
{
	struct event ev;
	int side = 0;
	const char *p = txt;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_BOOK;
	ev.exch_ns = ev.recv_ns = t_ns;
	while (*p) {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (*p == '|') {
			side = 1;
			p++;
			continue;
		}
		char *end;
		long long px = strtoll(p, &end, 10);
		cr_assert(*end == 'x', "bad level text '%s'", txt);
		long long q = strtoll(end + 1, &end, 10);
		p = end;
		struct book_level *lv = side ? &ev.book.ask[ev.book.n_ask++] :
					       &ev.book.bid[ev.book.n_bid++];
		lv->px = px;
		lv->qty = q;
	}
	t_push(s, &ev);
}

static void t_trade(struct t_seq *s, int64_t t_ns, int64_t qty, int aggr)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_TRADE;
	ev.exch_ns = ev.recv_ns = t_ns;
	ev.trade.qty = qty;
	ev.trade.aggressor = (int8_t)aggr;
	t_push(s, &ev);
}

/* ------------------------------------------------------------ oracle */

struct o_upd {
	int64_t t;
	int64_t bpx[T_LMAX], bq[T_LMAX], apx[T_LMAX], aq[T_LMAX];
};

struct o_trd {
	int64_t t;
	int64_t qty;
	int aggr;
	size_t before; /* updates emitted before this trade */
};

struct oracle {
	struct feat_params p;
	struct o_upd *u;
	size_t nu;
	struct o_trd *tr;
	size_t nt;
	double w[FEAT_FD_MAX_WEIGHTS];
	uint32_t nw;
};

static struct oracle t_o;

/* The history of an event stream under p: the spec's rules, written out. */
static void o_build(struct oracle *o, const struct feat_params *p,
		    const struct event *ev, size_t n)
{
	int64_t clock = INT64_MIN;
	uint32_t L = p->levels;

	free(o->u);
	free(o->tr);
	o->p = *p;
	o->u = calloc(n + 1, sizeof(*o->u));
	o->tr = calloc(n + 1, sizeof(*o->tr));
	cr_assert(o->u && o->tr);
	o->nu = o->nt = 0;
	for (size_t i = 0; i < n; i++) {
		const struct event *e = &ev[i];
		int64_t t = p->clock == FEAT_CLOCK_RECV ? e->recv_ns : e->exch_ns;

		if (t > clock)
			clock = t;
		if (e->kind == EV_TRADE) {
			struct o_trd *x = &o->tr[o->nt++];

			x->t = clock;
			x->qty = e->trade.qty;
			x->aggr = e->trade.aggressor;
			x->before = o->nu;
		} else if (e->kind == EV_BOOK && e->book.n_bid && e->book.n_ask) {
			struct o_upd *u = &o->u[o->nu++];
			uint32_t nb = e->book.n_bid < L ? e->book.n_bid : L;
			uint32_t na = e->book.n_ask < L ? e->book.n_ask : L;

			u->t = clock;
			for (uint32_t k = 0; k < L; k++) {
				u->bpx[k] = e->book.bid[k < nb ? k : nb - 1].px;
				u->bq[k] = k < nb ? e->book.bid[k].qty : 0;
				u->apx[k] = e->book.ask[k < na ? k : na - 1].px;
				u->aq[k] = k < na ? e->book.ask[k].qty : 0;
			}
		}
	}
	/* fracdiff weights */
	double wk = 1.0;
	o->w[0] = 1.0;
	o->nw = 1;
	for (uint32_t k = 1; k < FEAT_FD_MAX_WEIGHTS; k++) {
		wk = -wk * (p->fd_d - k + 1) / k;
		if (fabs(wk) < p->fd_thresh)
			break;
		o->w[o->nw++] = wk;
	}
}

static double o_px(const struct oracle *o, int64_t ticks)
{
	return (double)ticks * o->p.tick;
}

static double o_sz(const struct oracle *o, int64_t lots)
{
	return (double)lots * o->p.lot;
}

static double o_mid(const struct oracle *o, size_t j)
{
	return (o_px(o, o->u[j].bpx[0]) + o_px(o, o->u[j].apx[0])) / 2;
}

static double o_r(const struct oracle *o, size_t j)
{
	if (j == 0)
		return 0;
	double m1 = o_mid(o, j), m0 = o_mid(o, j - 1);
	return m1 > 0 && m0 > 0 ? log(m1 / m0) : 0;
}

static size_t o_from(size_t n, uint32_t w)
{
	return n + 1 > w ? n + 1 - w : 0;
}

static double o_ofi(const struct oracle *o, uint32_t k, size_t n)
{
	double s = 0;

	if (k >= o->p.levels)
		return 0;
	for (size_t j = o_from(n, o->p.w_ofi); j <= n; j++) {
		if (j == 0)
			continue;
		const struct o_upd *a = &o->u[j], *b = &o->u[j - 1];
		double e = 0;

		if (a->bpx[k] >= b->bpx[k])
			e += o_sz(o, a->bq[k]);
		if (a->bpx[k] <= b->bpx[k])
			e -= o_sz(o, b->bq[k]);
		if (a->apx[k] <= b->apx[k])
			e -= o_sz(o, a->aq[k]);
		if (a->apx[k] >= b->apx[k])
			e += o_sz(o, b->aq[k]);
		s += e;
	}
	return s;
}

static double o_vel(const struct oracle *o, size_t n)
{
	size_t m = n > o->p.vel_k ? n - o->p.vel_k : 0;

	if (o->u[n].t == o->u[m].t)
		return 0;
	return ((o_mid(o, n) - o_mid(o, m)) / o->p.tick) /
	       ((double)(o->u[n].t - o->u[m].t) / 1e9);
}

static double o_accel(const struct oracle *o, size_t n)
{
	size_t m = n > o->p.vel_k ? n - o->p.vel_k : 0;

	if (o->u[n].t == o->u[m].t)
		return 0;
	return (o_vel(o, n) - o_vel(o, m)) / ((double)(o->u[n].t - o->u[m].t) / 1e9);
}

static double o_lambda(const struct oracle *o, int side, size_t n)
{
	double l = side > 0 ? o->p.mu_buy : o->p.mu_sell;

	for (size_t i = 0; i < o->nt && o->tr[i].before <= n; i++)
		if (o->tr[i].aggr == side && o->tr[i].t <= o->u[n].t)
			l += o->p.alpha * o->p.beta *
			     exp(-o->p.beta * ((double)(o->u[n].t - o->tr[i].t) / 1e9));
	return l;
}

/* Signed (signed = 1) or unsigned traded size in interval j. */
static double o_vol(const struct oracle *o, size_t j, int sign)
{
	double v = 0;

	for (size_t i = 0; i < o->nt; i++) {
		if (o->tr[i].before != j)
			continue;
		if (!sign)
			v += o_sz(o, o->tr[i].qty);
		else if (o->tr[i].aggr == 1 || o->tr[i].aggr == -1)
			v += o->tr[i].aggr * o_sz(o, o->tr[i].qty);
	}
	return v;
}

static double o_kyle(const struct oracle *o, size_t n)
{
	size_t from = o_from(n, o->p.w_liq);
	double v[4096], dm[4096];
	size_t N = 0;
	int all_equal = 1;

	if (from == 0)
		from = 1;
	for (size_t j = from; j <= n; j++, N++) {
		cr_assert(N < 4096);
		v[N] = o_vol(o, j, 1);
		dm[N] = (o_mid(o, j) - o_mid(o, j - 1)) / o->p.tick;
		if (v[N] != v[0])
			all_equal = 0;
	}
	if (N == 0 || all_equal)
		return 0;                       /* var(v) = 0 */
	double mv = 0, md = 0, cov = 0, var = 0;
	for (size_t i = 0; i < N; i++) {
		mv += v[i];
		md += dm[i];
	}
	mv /= N;
	md /= N;
	for (size_t i = 0; i < N; i++) {
		cov += (v[i] - mv) * (dm[i] - md);
		var += (v[i] - mv) * (v[i] - mv);
	}
	return (cov / N) / (var / N);
}

static double o_amihud(const struct oracle *o, size_t n)
{
	size_t from = o_from(n, o->p.w_liq);
	double s = 0;
	size_t c = 0;

	if (from == 0)
		from = 1;
	for (size_t j = from; j <= n; j++) {
		double V = o_vol(o, j, 0);

		if (V > 0) {
			s += 1e4 * fabs(o_r(o, j)) / V;
			c++;
		}
	}
	return c ? s / c : 0;
}

static double o_rsi(const struct oracle *o, size_t n)
{
	uint32_t N = o->p.rsi_n;
	double gain = 0, loss = 0;

	if (n < N)
		return 50;
	for (size_t j = 1; j <= n; j++) {
		double d = o_mid(o, j) - o_mid(o, j - 1);
		double g = d > 0 ? d : 0, l = d < 0 ? -d : 0;

		if (j <= N) {
			gain += g / N;
			loss += l / N;
		} else {
			gain = (gain * (N - 1) + g) / N;
			loss = (loss * (N - 1) + l) / N;
		}
	}
	if (loss == 0)
		return gain > 0 ? 100 : 50;
	return 100 - 100 / (1 + gain / loss);
}

static void o_macd(const struct oracle *o, size_t n, double *macd, double *hist)
{
	double af = 2.0 / (o->p.macd_fast + 1), as = 2.0 / (o->p.macd_slow + 1);
	double ag = 2.0 / (o->p.macd_signal + 1);
	double ef = o_mid(o, 0), es = ef, m = 0, sig = 0;

	for (size_t j = 1; j <= n; j++) {
		double x = o_mid(o, j);

		ef = af * x + (1 - af) * ef;
		es = as * x + (1 - as) * es;
		m = (ef - es) / o->p.tick;
		sig = ag * m + (1 - ag) * sig;
	}
	*macd = m;
	*hist = m - sig;
}

static void o_boll(const struct oracle *o, size_t n, double *pctb, double *width)
{
	size_t from = o_from(n, o->p.boll_n), N = n + 1 - from;
	double S = 0, ss = 0, k = o->p.boll_k;
	int all_equal = 1;

	for (size_t j = from; j <= n; j++) {
		S += o_mid(o, j);
		if (o->u[j].bpx[0] + o->u[j].apx[0] != o->u[from].bpx[0] + o->u[from].apx[0])
			all_equal = 0;
	}
	S /= N;
	if (all_equal) {                        /* sd = 0 */
		*pctb = 0.5;
		*width = 0;
		return;
	}
	for (size_t j = from; j <= n; j++)
		ss += (o_mid(o, j) - S) * (o_mid(o, j) - S);
	double sd = sqrt(ss / N);
	*pctb = (o_mid(o, n) - (S - k * sd)) / (2 * k * sd);
	*width = S == 0 ? 0 : 1e4 * 2 * k * sd / S;
}

static double o_fracdiff(const struct oracle *o, size_t n)
{
	double s = 0;

	if (n + 1 < o->nw)
		return NAN;
	for (uint32_t k = 0; k < o->nw; k++) {
		double m = o_mid(o, n - k);

		s += o->w[k] * (m > 0 ? log(m) : NAN);
	}
	return s;
}

static double o_feature(const struct oracle *o, int id, size_t n)
{
	const struct o_upd *u = &o->u[n];
	uint32_t L = o->p.levels;
	double mid = o_mid(o, n), tau = o->p.tick;
	double b1 = o_px(o, u->bpx[0]), a1 = o_px(o, u->apx[0]);
	double qb1 = o_sz(o, u->bq[0]), qa1 = o_sz(o, u->aq[0]);
	double Qb = 0, Qa = 0, x, y;

	for (uint32_t k = 0; k < L; k++) {
		Qb += o_sz(o, u->bq[k]);
		Qa += o_sz(o, u->aq[k]);
	}
	switch (id) {
	case FEAT_MID:
		return mid;
	case FEAT_MICRO_DEV: {
		double micro = qb1 + qa1 == 0 ? mid : (a1 * qb1 + b1 * qa1) / (qb1 + qa1);
		return (micro - mid) / tau;
	}
	case FEAT_WMID_DEV: {
		double wp = mid;
		if (Qa != 0 && Qb != 0) {
			double B = 0, A = 0;
			for (uint32_t k = 0; k < L; k++) {
				B += o_px(o, u->bpx[k]) * o_sz(o, u->bq[k]);
				A += o_px(o, u->apx[k]) * o_sz(o, u->aq[k]);
			}
			B /= Qb;
			A /= Qa;
			wp = (B * Qa + A * Qb) / (Qa + Qb);
		}
		return (wp - mid) / tau;
	}
	case FEAT_OFI_1:
		return o_ofi(o, 0, n);
	case FEAT_OFI_2:
		return o_ofi(o, 1, n);
	case FEAT_OFI_3:
		return o_ofi(o, 2, n);
	case FEAT_OFI_ML: {
		double num = 0, den = 0;
		for (uint32_t k = 0; k < L; k++) {
			num += o_ofi(o, k, n) / (k + 1);
			den += 1.0 / (k + 1);
		}
		return num / den;
	}
	case FEAT_IMB_1:
		return qb1 + qa1 == 0 ? 0 : (qb1 - qa1) / (qb1 + qa1);
	case FEAT_IMB_L:
		return Qb + Qa == 0 ? 0 : (Qb - Qa) / (Qb + Qa);
	case FEAT_IMB_W: {
		double num = 0, den = 0;
		for (uint32_t k = 0; k < L; k++) {
			num += (o_sz(o, u->bq[k]) - o_sz(o, u->aq[k])) / (k + 1);
			den += (o_sz(o, u->bq[k]) + o_sz(o, u->aq[k])) / (k + 1);
		}
		return den == 0 ? 0 : num / den;
	}
	case FEAT_SPREAD_TICKS:
		return (a1 - b1) / tau;
	case FEAT_SPREAD_BPS:
		return mid == 0 ? 0 : 1e4 * (a1 - b1) / mid;
	case FEAT_RV_BPS: {
		double s = 0;
		for (size_t j = o_from(n, o->p.w_vol); j <= n; j++)
			s += o_r(o, j) * o_r(o, j);
		return 1e4 * sqrt(s);
	}
	case FEAT_VELOCITY:
		return o_vel(o, n);
	case FEAT_ACCEL:
		return o_accel(o, n);
	case FEAT_HAWKES_BUY:
		return o_lambda(o, 1, n);
	case FEAT_HAWKES_SELL:
		return o_lambda(o, -1, n);
	case FEAT_HAWKES_IMB:
		x = o_lambda(o, 1, n);
		y = o_lambda(o, -1, n);
		return x + y == 0 ? 0 : (x - y) / (x + y);
	case FEAT_HAWKES_EXCITE: {
		double mu = o->p.mu_buy + o->p.mu_sell;
		x = o_lambda(o, 1, n);
		y = o_lambda(o, -1, n);
		return mu == 0 ? 0 : (x + y - mu) / mu;
	}
	case FEAT_KYLE_LAMBDA:
		return o_kyle(o, n);
	case FEAT_AMIHUD:
		return o_amihud(o, n);
	case FEAT_RSI:
		return o_rsi(o, n);
	case FEAT_MACD:
		o_macd(o, n, &x, &y);
		return x;
	case FEAT_MACD_HIST:
		o_macd(o, n, &x, &y);
		return y;
	case FEAT_BOLL_PCTB:
		o_boll(o, n, &x, &y);
		return x;
	case FEAT_BOLL_WIDTH_BPS:
		o_boll(o, n, &x, &y);
		return y;
	case FEAT_FRACDIFF:
		return o_fracdiff(o, n);
	}
	cr_assert_fail("feature %d", id);
	return 0;
}

/* ------------------------------------------------------------ engine run */

static struct feat *t_engine(const struct feat_params *p)
{
	size_t sz = feat_memsize(p);
	struct feat *f;

	cr_assert(sz > 0, "params refused");
	f = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	cr_assert_not_null(f);
	cr_assert_eq(feat_init(f, sz, p), 0);
	return f;
}

/* Engine outputs for every emitted update: out[n * FEAT_N + id]. */
static double *t_run(const struct feat_params *p, const struct event *ev, size_t n,
		     size_t *emitted)
{
	struct feat *f = t_engine(p);
	double *out = malloc((n + 1) * FEAT_N * sizeof(double));
	size_t k = 0;

	cr_assert_not_null(out);
	for (size_t i = 0; i < n; i++)
		if (feat_update(f, &ev[i], out + k * FEAT_N))
			k++;
	cr_assert_eq(feat_count(f), k);
	free(f);
	*emitted = k;
	return out;
}

static int t_close(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	return fabs(a - b) <= T_REL * m + T_ABS;
}

/* Compare feature id of the engine over ev with the oracle's, every update. */
static void t_compare(const char *what, const struct feat_params *p,
		      const struct event *ev, size_t n, int id, const struct event *oev,
		      size_t on)
{
	size_t k;
	double *out = t_run(p, ev, n, &k), worst = 0;

	o_build(&t_o, p, oev ? oev : ev, oev ? on : n);
	cr_assert_eq(k, t_o.nu, "%s: engine emitted %zu vectors, oracle %zu updates",
		     what, k, t_o.nu);
	cr_assert(k > 0, "%s: nothing emitted", what);
	for (size_t j = 0; j < k; j++) {
		double a = out[j * FEAT_N + id], b = o_feature(&t_o, id, j);

		cr_assert(t_close(a, b), "%s: %s at update %zu: engine %.17g, naive %.17g",
			  what, feat_names[id], j, a, b);
		if (!isnan(a)) {
			double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
			double use = fabs(a - b) / (T_REL * m + T_ABS);

			if (use > worst)
				worst = use;
		}
	}
	cr_log_info("%s: %s: %zu updates, worst |diff| / tolerance %.3g",
		    what, feat_names[id], k, worst);
	free(out);
}

/* ------------------------------------------------------------ sequences */

/* Small windows so that every window is partial, then full, then wraps. */
static void t_small_params(struct feat_params *p, uint32_t L)
{
	feat_params_default(p);
	p->levels = L;
	p->w_ofi = 4;
	p->w_vol = 3;
	p->vel_k = 2;
	p->w_liq = 3;
	p->rsi_n = 3;
	p->macd_fast = 2;
	p->macd_slow = 4;
	p->macd_signal = 2;
	p->boll_n = 3;
	p->fd_thresh = 0.05;      /* 4 weights */
}

#define MS 1000000LL

/* Every edge case of the spec's notation, in one stream. */
static void t_edges(struct t_seq *s)
{
	int64_t t = 1700000000LL * 1000000000LL;

	t_trade(s, t, 3, 1);                               /* before any update */
	t_book(s, t + 1 * MS, "| 101x2");                  /* empty bid: skipped */
	t_book(s, t + 1 * MS, "100x5 99x3 98x1 | 101x2 102x4 103x6");
	t_book(s, t + 1 * MS, "100x6 99x3 | 101x2 102x4 103x6"); /* same time, bid L3 gone */
	t_trade(s, t + 1 * MS, 2, -1);
	t_trade(s, t + 1 * MS, 1, 0);                      /* unknown side */
	t_book(s, t + 2 * MS, "100x6 |");                  /* empty ask: skipped */
	t_book(s, t + 2 * MS, "100x0 99x3 | 101x0 102x4"); /* zero sizes at L1 */
	t_book(s, t + 3 * MS, "150x1 149x1 | 151x1");      /* price jump */
	t_trade(s, t + 3 * MS, 5, 1);
	t_trade(s, t + 3 * MS, 1, 1);
	t_book(s, t + 5 * MS, "152x2 | 151x3");            /* crossed */
	t_book(s, t + 6 * MS, "150x0 | 151x0");            /* all sizes zero */
	t_book(s, t + 6 * MS, "100x5 99x3 98x1 | 101x2 102x4 103x6");
	for (int i = 0; i < 8; i++)                        /* flat: windows drain */
		t_book(s, t + 7 * MS, "100x5 99x3 98x1 | 101x2 102x4 103x6");
	t_trade(s, t + 7 * MS, 4, -1);
	t_book(s, t + 10007 * MS, "100x5 99x3 98x1 | 101x2 102x4 103x6"); /* 10 s gap */
	t_trade(s, t + 10008 * MS, 2, 1);
	t_book(s, t + 9000 * MS, "99x5 | 100x1");          /* time goes back */
	t_trade(s, t + 8000 * MS, 3, -1);                  /* ... and again */
	t_book(s, t + 10009 * MS, "| 100x1");              /* empty bid */
	t_book(s, t + 10009 * MS, "98x7 97x1 96x2 95x9 | 99x1 100x2 101x3 102x4");
	for (int i = 0; i < 12; i++) {                     /* up and down */
		char txt[128];
		int64_t b = 98 + (i % 3) - (i % 5 == 0) * 2;

		snprintf(txt, sizeof(txt), "%lldx%d %lldx%d | %lldx%d", (long long)b, i + 1,
			 (long long)b - 1, 2 * i, (long long)b + 1 + i % 2, 12 - i);
		t_book(s, t + (10010 + i / 2) * MS, txt);
		if (i % 4 == 1)
			t_trade(s, t + (10010 + i / 2) * MS, i + 1, i % 8 == 1 ? 1 : -1);
	}
}

/* A seeded random walk: 1..Lmax levels per side, sizes 0..20, gaps of
 * 0..3 ms with many equal times, jumps, empty sides, trades of any side. */
static void t_random(struct t_seq *s, uint64_t seed, size_t updates, uint32_t lmax,
		     int64_t start_px)
{
	struct t_rng g;
	int64_t t = 1600000000LL * 1000000000LL, b = start_px;
	uint32_t spread = 1;

	t_rng_seed(&g, seed);
	for (size_t i = 0; i < updates; i++) {
		struct event ev;
		uint64_t r = t_rng_below(&g, 100);

		t += (int64_t)t_rng_below(&g, 4) * (int64_t)t_rng_below(&g, 1000000);
		if (r < 30)
			b += (int64_t)t_rng_below(&g, 3) - 1;
		else if (r < 32)
			b += (int64_t)t_rng_below(&g, 41) - 20;    /* jump */
		if (r % 7 == 0)
			spread = 1 + (uint32_t)t_rng_below(&g, 3);
		memset(&ev, 0, sizeof(ev));
		ev.kind = EV_BOOK;
		ev.exch_ns = t;
		ev.recv_ns = t + 1000 + (int64_t)t_rng_below(&g, 5000);
		ev.book.n_bid = (uint16_t)(r == 99 ? 0 : 1 + t_rng_below(&g, lmax));
		ev.book.n_ask = (uint16_t)(r == 98 ? 0 : 1 + t_rng_below(&g, lmax));
		for (uint32_t k = 0; k < ev.book.n_bid; k++)
			ev.book.bid[k] = (struct book_level){ b - k, (int64_t)t_rng_below(&g, 21) };
		for (uint32_t k = 0; k < ev.book.n_ask; k++)
			ev.book.ask[k] = (struct book_level){ b + spread + k,
							      (int64_t)t_rng_below(&g, 21) };
		t_push(s, &ev);
		uint64_t nt = t_rng_below(&g, 4) == 0 ? t_rng_below(&g, 4) : 0;
		for (uint64_t j = 0; j < nt; j++)
			t_trade(s, t + (int64_t)t_rng_below(&g, 2) * 1000,
				1 + (int64_t)t_rng_below(&g, 30), (int)t_rng_below(&g, 3) - 1);
	}
}

/* Synthetic WIN flow from libcore/gen (10 levels, tick 5 points). */
static void t_gen(struct t_seq *s, size_t events)
{
	static struct gen g;
	struct gen_params gp;
	struct calendar cal;
	struct dm_config c;
	dm_date_t d;
	char err[256];

	config_defaults(&c);
	cr_assert_eq(cal_init(&cal, &c.instrument), 0);
	cr_assert_eq(cal_date_parse("2022-01-03", 10, &d), 0);
	gen_params_default(&gp);
	cr_assert_eq(gen_init(&g, &gp, 7, &cal, d, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < events; i++) {
		struct event ev;

		gen_next(&g, &ev);
		t_push(s, &ev);
	}
}

/* The LOBSTER sample through the feed reader (the engine's input). */
static void t_lobster_feed(struct t_seq *s, uint32_t L)
{
	struct feed_reader r;
	struct feed_opts fo;
	struct event ev;
	char err[256];
	int rc;

	memset(&fo, 0, sizeof(fo));
	fo.levels = L;
	fo.tick = 100;              /* file prices are USD x 10000; tick 0.01 USD */
	fo.strict = 1;
	rc = feed_open(&r, T_LOBSTER_MSG, FEED_LOBSTER, &fo, err, sizeof(err));
	cr_assert_eq(rc, 0, "feed_open: %s", err);
	while ((rc = feed_next(&r, &ev)) == 1)
		t_push(s, &ev);
	cr_assert_eq(rc, 0, "feed_next: %s", feed_error(&r));
	feed_close(&r);
}

/* The same sample parsed here from the two CSV files (the oracle's input):
 * row k of the orderbook file is one update at the time of message k;
 * messages 4 and 5 are trades before it, aggressor opposite to the
 * direction column; times in ns after midnight (only differences matter). */
static void t_lobster_csv(struct t_seq *s, uint32_t L)
{
	FILE *m = fopen(T_LOBSTER_MSG, "r"), *b = fopen(T_LOBSTER_OB, "r");
	char ml[512], bl[2048];

	cr_assert(m && b, "cannot open the LOBSTER sample under " T_LOBSTER_DIR
		  " (run the tests from the repo root)");
	while (fgets(ml, sizeof(ml), m)) {
		long long sec, type, id, size, price, dir;
		char frac[16] = "";
		struct event ev;

		cr_assert(fgets(bl, sizeof(bl), b), "orderbook file shorter");
		cr_assert_eq(sscanf(ml, "%lld.%15[0-9],%lld,%lld,%lld,%lld,%lld", &sec, frac,
				    &type, &id, &size, &price, &dir), 7, "%s", ml);
		int64_t ns = 0;
		for (int i = 0; i < 9; i++)
			ns = ns * 10 + (i < (int)strlen(frac) ? frac[i] - '0' : 0);
		int64_t t = sec * 1000000000LL + ns;
		if (type == 4 || type == 5)
			t_trade(s, t, size, (int)-dir);
		memset(&ev, 0, sizeof(ev));
		ev.kind = EV_BOOK;
		ev.exch_ns = ev.recv_ns = t;
		char *p = bl;
		for (uint32_t k = 0; k < 10; k++) {
			long long apx = strtoll(p, &p, 10), aq = strtoll(p + 1, &p, 10);
			long long bpx = strtoll(p + 1, &p, 10), bq = strtoll(p + 1, &p, 10);
			p++;
			if (k >= L)
				continue;
			if (apx != 9999999999LL && aq > 0)
				ev.book.ask[ev.book.n_ask++] = (struct book_level){ apx / 100, aq };
			if (bpx != -9999999999LL && bq > 0)
				ev.book.bid[ev.book.n_bid++] = (struct book_level){ bpx / 100, bq };
		}
		t_push(s, &ev);
	}
	fclose(m);
	fclose(b);
}

/* ------------------------------------------------------------ the check */

static void t_check(int id)
{
	struct feat_params p;
	struct t_seq s = { 0 }, o = { 0 };

	/* handcrafted edges: L = 3, tiny windows; then L = 1 and L = 5 */
	t_edges(&s);
	t_small_params(&p, 3);
	p.tick = 0.5;
	t_compare("edges L3", &p, s.ev, s.n, id, NULL, 0);
	t_small_params(&p, 1);
	t_compare("edges L1", &p, s.ev, s.n, id, NULL, 0);
	feat_params_default(&p);
	p.tick = 5;
	t_compare("edges defaults", &p, s.ev, s.n, id, NULL, 0);
	s.n = 0;

	/* random walks: tiny windows with lot 0.5; defaults (282 weights) */
	t_random(&s, 11, 1500, 7, 1000);
	t_small_params(&p, 7);
	p.lot = 0.5;
	p.tick = 0.25;
	p.mu_buy = 0;           /* hawkes_imb's 0/0 while no trade */
	p.mu_sell = 0;
	t_compare("random small", &p, s.ev, s.n, id, NULL, 0);
	p.clock = FEAT_CLOCK_RECV;
	t_compare("random small recv", &p, s.ev, s.n, id, NULL, 0);
	s.n = 0;
	t_random(&s, 12, 1500, 5, 26000);
	feat_params_default(&p);
	p.tick = 5;
	t_compare("random defaults", &p, s.ev, s.n, id, NULL, 0);
	s.n = 0;

	/* synthetic WIN flow */
	t_gen(&s, 3000);
	feat_params_default(&p);
	p.tick = 5;
	t_compare("gen", &p, s.ev, s.n, id, NULL, 0);
	s.n = 0;

	/* the real LOBSTER sample, L = 5 and 10, tick 0.01 USD */
	for (uint32_t L = 5; L <= 10; L += 5) {
		char what[32];

		t_lobster_feed(&s, L);
		t_lobster_csv(&o, L);
		feat_params_default(&p);
		p.levels = L;
		p.tick = 0.01;
		snprintf(what, sizeof(what), "lobster L%u", L);
		t_compare(what, &p, s.ev, s.n, id, o.ev, o.n);
		s.n = o.n = 0;
	}
	free(s.ev);
	free(o.ev);
}

TestSuite(features, .timeout = 120);

Test(features, mid) { t_check(FEAT_MID); }
Test(features, micro_dev) { t_check(FEAT_MICRO_DEV); }
Test(features, wmid_dev) { t_check(FEAT_WMID_DEV); }
Test(features, ofi_1) { t_check(FEAT_OFI_1); }
Test(features, ofi_2) { t_check(FEAT_OFI_2); }
Test(features, ofi_3) { t_check(FEAT_OFI_3); }
Test(features, ofi_ml) { t_check(FEAT_OFI_ML); }
Test(features, imb_1) { t_check(FEAT_IMB_1); }
Test(features, imb_L) { t_check(FEAT_IMB_L); }
Test(features, imb_w) { t_check(FEAT_IMB_W); }
Test(features, spread_ticks) { t_check(FEAT_SPREAD_TICKS); }
Test(features, spread_bps) { t_check(FEAT_SPREAD_BPS); }
Test(features, rv_bps) { t_check(FEAT_RV_BPS); }
Test(features, velocity) { t_check(FEAT_VELOCITY); }
Test(features, accel) { t_check(FEAT_ACCEL); }
Test(features, hawkes_buy) { t_check(FEAT_HAWKES_BUY); }
Test(features, hawkes_sell) { t_check(FEAT_HAWKES_SELL); }
Test(features, hawkes_imb) { t_check(FEAT_HAWKES_IMB); }
Test(features, hawkes_excite) { t_check(FEAT_HAWKES_EXCITE); }
Test(features, kyle_lambda) { t_check(FEAT_KYLE_LAMBDA); }
Test(features, amihud) { t_check(FEAT_AMIHUD); }
Test(features, rsi) { t_check(FEAT_RSI); }
Test(features, macd) { t_check(FEAT_MACD); }
Test(features, macd_hist) { t_check(FEAT_MACD_HIST); }
Test(features, boll_pctb) { t_check(FEAT_BOLL_PCTB); }
Test(features, boll_width_bps) { t_check(FEAT_BOLL_WIDTH_BPS); }
Test(features, fracdiff) { t_check(FEAT_FRACDIFF); }
