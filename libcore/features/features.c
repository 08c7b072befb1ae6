/*
 * features.c — the incremental feature engine (features.h has the design
 * note, docs/features.md the definitions and conventions).
 *
 * Every window is a ring of the last W contributions plus a running sum.
 * The rings start zeroed, so while fewer than W updates have been seen the
 * slot being overwritten holds 0 and "subtract the leaving value" needs no
 * branch: a partial window is simply the sum of all seen.  Sums that must
 * stay exact are integers (half ticks, lots) or 128-bit fixed point.
 */
#include "libcore/features/features.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const feat_names[FEAT_N] = {
	[FEAT_MID] = "mid",
	[FEAT_MICRO_DEV] = "micro_dev",
	[FEAT_WMID_DEV] = "wmid_dev",
	[FEAT_OFI_1] = "ofi_1",
	[FEAT_OFI_2] = "ofi_2",
	[FEAT_OFI_3] = "ofi_3",
	[FEAT_OFI_ML] = "ofi_ml",
	[FEAT_IMB_1] = "imb_1",
	[FEAT_IMB_L] = "imb_L",
	[FEAT_IMB_W] = "imb_w",
	[FEAT_SPREAD_TICKS] = "spread_ticks",
	[FEAT_SPREAD_BPS] = "spread_bps",
	[FEAT_RV_BPS] = "rv_bps",
	[FEAT_VELOCITY] = "velocity",
	[FEAT_ACCEL] = "accel",
	[FEAT_HAWKES_BUY] = "hawkes_buy",
	[FEAT_HAWKES_SELL] = "hawkes_sell",
	[FEAT_HAWKES_IMB] = "hawkes_imb",
	[FEAT_HAWKES_EXCITE] = "hawkes_excite",
	[FEAT_KYLE_LAMBDA] = "kyle_lambda",
	[FEAT_AMIHUD] = "amihud",
	[FEAT_RSI] = "rsi",
	[FEAT_MACD] = "macd",
	[FEAT_MACD_HIST] = "macd_hist",
	[FEAT_BOLL_PCTB] = "boll_pctb",
	[FEAT_BOLL_WIDTH_BPS] = "boll_width_bps",
	[FEAT_FRACDIFF] = "fracdiff",
};

/* Fixed-point scales of the two real-valued window sums.  r^2 <= ~2000
 * (|r| <= ln 2^63) times 1e5 updates stays below 2^127 / 2^96; 1e4 |r| / V
 * <= ~4.4e5 times 1e5 intervals below 2^127 / 2^80. */
#define RV_SHIFT  96
#define AMI_SHIFT 80

#define ALIGN64(x) (((x) + 63u) & ~(uint64_t)63u)

/* ------------------------------------------------------------ parameters */

void feat_params_default(struct feat_params *p)
{
	memset(p, 0, sizeof(*p));
	p->tick = 1.0;
	p->lot = 1.0;
	p->levels = 5;
	p->clock = FEAT_CLOCK_AUTO;
	p->w_ofi = 100;
	p->w_vol = 100;
	p->vel_k = 10;
	p->w_liq = 50;
	p->rsi_n = 14;
	p->macd_fast = 12;
	p->macd_slow = 26;
	p->macd_signal = 9;
	p->boll_n = 20;
	p->boll_k = 2.0;
	p->mu_buy = 0.5;
	p->mu_sell = 0.5;
	p->alpha = 0.7;
	p->beta = 10.0;
	p->fd_d = 0.4;
	p->fd_thresh = 1e-4;
}

void feat_params_host(struct feat_params *p, double tick, double lot, int auto_recv)
{
	p->tick = tick;
	p->lot = lot;
	if (p->clock == FEAT_CLOCK_AUTO)
		p->clock = auto_recv ? FEAT_CLOCK_RECV : FEAT_CLOCK_EXCH;
}

/* The weight recursion of specs/features.md, item 27. */
uint32_t feat_fd_count(double d, double thresh)
{
	double w = 1.0;
	uint32_t n = 1;

	for (uint32_t k = 1; n <= FEAT_FD_MAX_WEIGHTS; k++) {
		w = -w * (d - (double)k + 1.0) / (double)k;
		if (!(fabs(w) >= thresh))
			break;
		n++;
	}
	return n;
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

int feat_params_check(const struct feat_params *p, char *err, size_t errlen)
{
	const struct { const char *name; uint32_t v; } win[] = {
		{ "ofi window", p->w_ofi }, { "vol window", p->w_vol },
		{ "velocity lag", p->vel_k }, { "liquidity window", p->w_liq },
		{ "rsi period", p->rsi_n }, { "macd fast", p->macd_fast },
		{ "macd slow", p->macd_slow }, { "macd signal", p->macd_signal },
		{ "bollinger window", p->boll_n },
	};

	if (!(p->tick > 0) || !isfinite(p->tick))
		return bad(err, errlen, "tick %g must be a positive number", p->tick);
	if (!(p->lot > 0) || !isfinite(p->lot))
		return bad(err, errlen, "lot %g must be a positive number", p->lot);
	if (p->levels < 1 || p->levels > FEAT_MAX_LEVELS)
		return bad(err, errlen, "levels %u out of range [1, %u]",
			   p->levels, FEAT_MAX_LEVELS);
	if (p->clock > FEAT_CLOCK_RECV)
		return bad(err, errlen, "clock %u is not auto (0), exchange (1) or "
			   "receive (2)", p->clock);
	for (size_t i = 0; i < sizeof(win) / sizeof(win[0]); i++)
		if (win[i].v < 1 || win[i].v > FEAT_MAX_WINDOW)
			return bad(err, errlen, "%s %u out of range [1, %u]",
				   win[i].name, win[i].v, FEAT_MAX_WINDOW);
	if (!(p->boll_k > 0) || !isfinite(p->boll_k))
		return bad(err, errlen, "bollinger k %g must be positive", p->boll_k);
	if (!(p->mu_buy >= 0) || !(p->mu_sell >= 0) || !isfinite(p->mu_buy) ||
	    !isfinite(p->mu_sell))
		return bad(err, errlen, "hawkes mu %g / %g must be >= 0",
			   p->mu_buy, p->mu_sell);
	if (!(p->alpha >= 0) || !isfinite(p->alpha))
		return bad(err, errlen, "hawkes alpha %g must be >= 0", p->alpha);
	if (!(p->beta > 0) || !isfinite(p->beta))
		return bad(err, errlen, "hawkes beta %g must be positive", p->beta);
	if (!(p->fd_d >= 0 && p->fd_d <= 2))
		return bad(err, errlen, "fracdiff d %g out of range [0, 2]", p->fd_d);
	if (!(p->fd_thresh > 0 && p->fd_thresh <= 1))
		return bad(err, errlen, "fracdiff threshold %g out of range (0, 1]",
			   p->fd_thresh);
	if (feat_fd_count(p->fd_d, p->fd_thresh) > FEAT_FD_MAX_WEIGHTS)
		return bad(err, errlen, "fracdiff d %g with threshold %g keeps more "
			   "than %u weights; raise the threshold", p->fd_d,
			   p->fd_thresh, FEAT_FD_MAX_WEIGHTS);
	return 0;
}

/* ------------------------------------------------------------ layout */

struct layout {
	uint64_t ofi, vol, vel, liq, boll, fdw, fdx, end;
	uint32_t n_fd;
};

static void layout_of(const struct feat_params *p, struct layout *l)
{
	uint64_t o = ALIGN64(sizeof(struct feat));

	l->n_fd = feat_fd_count(p->fd_d, p->fd_thresh);
	l->ofi = o;
	o = ALIGN64(o + sizeof(int64_t) * (uint64_t)p->w_ofi * p->levels);
	l->vol = o;
	o = ALIGN64(o + sizeof(__int128) * (uint64_t)p->w_vol);
	l->vel = o;
	o = ALIGN64(o + sizeof(struct feat_vel) * (uint64_t)p->vel_k);
	l->liq = o;
	o = ALIGN64(o + sizeof(struct feat_liq) * (uint64_t)p->w_liq);
	l->boll = o;
	o = ALIGN64(o + sizeof(int64_t) * (uint64_t)p->boll_n);
	l->fdw = o;
	o = ALIGN64(o + sizeof(double) * (uint64_t)l->n_fd);
	l->fdx = o;
	o = ALIGN64(o + sizeof(double) * 2 * (uint64_t)l->n_fd);
	l->end = o;
}

size_t feat_memsize(const struct feat_params *p)
{
	struct layout l;

	if (feat_params_check(p, NULL, 0))
		return 0;
	layout_of(p, &l);
	return (size_t)l.end;
}

#define RING(f, off, type) ((type *)(void *)((char *)(f) + (f)->off))

void feat_reset(struct feat *f)
{
	size_t hdr = offsetof(struct feat, n);

	memset((char *)f + hdr, 0, sizeof(*f) - hdr);
	memset((char *)f + f->off_ofi, 0, f->size - f->off_ofi);
	f->clock_ns = INT64_MIN;
	/* the weights live among the rings: lay them out again */
	double *w = RING(f, off_fdw, double);
	double wk = 1.0;

	w[f->n_fd - 1] = 1.0;               /* w_0 pairs with the newest */
	for (uint32_t k = 1; k < f->n_fd; k++) {
		wk = -wk * (f->p.fd_d - (double)k + 1.0) / (double)k;
		w[f->n_fd - 1 - k] = wk;
	}
}

int feat_init(struct feat *f, size_t size, const struct feat_params *p)
{
	struct layout l;

	if (!f || ((uintptr_t)f & 63u) || feat_params_check(p, NULL, 0))
		return -EINVAL;
	layout_of(p, &l);
	if (size < l.end)
		return -ENOSPC;
	memset(f, 0, sizeof(*f));
	f->p = *p;
	f->size = l.end;
	f->off_ofi = l.ofi;
	f->off_vol = l.vol;
	f->off_vel = l.vel;
	f->off_liq = l.liq;
	f->off_boll = l.boll;
	f->off_fdw = l.fdw;
	f->off_fdx = l.fdx;
	f->n_fd = l.n_fd;
	f->ofi_wsum = 0;
	for (uint32_t k = 0; k < p->levels; k++) {
		f->ofi_w[k] = 1.0 / (double)(k + 1);
		f->ofi_wsum += f->ofi_w[k];
	}
	f->a_fast = 2.0 / ((double)p->macd_fast + 1.0);
	f->a_slow = 2.0 / ((double)p->macd_slow + 1.0);
	f->a_sig = 2.0 / ((double)p->macd_signal + 1.0);
	__builtin_cpu_init();
	f->simd = __builtin_cpu_supports("avx2") ? 1 : 0;
	feat_reset(f);
	return 0;
}

uint64_t feat_count(const struct feat *f)
{
	return f->n;
}

int64_t feat_last_t_ns(const struct feat *f)
{
	return f->t_last;
}

/* ------------------------------------------------------------ helpers */

static inline int64_t clock_advance(struct feat *f, int64_t t_ns)
{
	if (DM_LIKELY(t_ns > f->clock_ns))
		f->clock_ns = t_ns;
	return f->clock_ns;
}

/* Decay both excess intensities to t (t >= hk_t_ns: the clock is monotone). */
static inline void hawkes_decay(struct feat *f, int64_t t_ns)
{
	if (t_ns != f->hk_t_ns) {
		if (f->hk_ex_buy != 0 || f->hk_ex_sell != 0) {
			double g = exp(-f->p.beta * ((double)(t_ns - f->hk_t_ns) * 1e-9));

			f->hk_ex_buy *= g;
			f->hk_ex_sell *= g;
		}
		f->hk_t_ns = t_ns;
	}
}

/*
 * Fixed point with `shift` fraction bits.  Scaling by a power of two is
 * exact (the exponent moves, the bits stay), so x * 2^shift is ldexp(x,
 * shift) to the bit, without the call: the scale is a constant.
 */
static inline __int128 to_fixed(double x, int shift)
{
	return (__int128)(x * __builtin_ldexp(1.0, shift));
}

static inline double from_fixed(__int128 q, int shift)
{
	return (double)q * __builtin_ldexp(1.0, -shift);
}

/*
 * sum w[i] x[i], i < n, in 16 lanes: lane j adds the products of i = j mod
 * 16 in order, then the lanes are added pairwise in a fixed tree and the
 * tail (n mod 16) last.  The AVX2 and the SSE2 versions do exactly these
 * operations (4 x 4 and 8 x 2 lanes), so the result does not depend on the
 * CPU.  No FMA: the build is ISO C (-ffp-contract=off).
 */
#define DOT_LANES 16u

typedef double v2d __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) double dot_tail(const double lane[DOT_LANES], const double *w, const double *x,
		       uint32_t i, uint32_t n)
{
	double l8[8], l4[4], s;

	for (int j = 0; j < 8; j++)
		l8[j] = lane[j] + lane[j + 8];
	for (int j = 0; j < 4; j++)
		l4[j] = l8[j] + l8[j + 4];
	s = (l4[0] + l4[2]) + (l4[1] + l4[3]);
	for (; i < n; i++)
		s += w[i] * x[i];
	return s;
}

__attribute__((target("avx2")))
static double dot_avx2(const double *restrict w, const double *restrict x, uint32_t n)
{
	v4d s0 = { 0, 0, 0, 0 }, s1 = s0, s2 = s0, s3 = s0;
	double lane[DOT_LANES];
	uint32_t i = 0;

	for (; i + DOT_LANES <= n; i += DOT_LANES) {
		v4d a0, a1, a2, a3, b0, b1, b2, b3;

		memcpy(&a0, w + i, sizeof(a0));
		memcpy(&a1, w + i + 4, sizeof(a1));
		memcpy(&a2, w + i + 8, sizeof(a2));
		memcpy(&a3, w + i + 12, sizeof(a3));
		memcpy(&b0, x + i, sizeof(b0));
		memcpy(&b1, x + i + 4, sizeof(b1));
		memcpy(&b2, x + i + 8, sizeof(b2));
		memcpy(&b3, x + i + 12, sizeof(b3));
		s0 += a0 * b0;
		s1 += a1 * b1;
		s2 += a2 * b2;
		s3 += a3 * b3;
	}
	for (int k = 0; k < 4; k++) {
		lane[k] = s0[k];
		lane[4 + k] = s1[k];
		lane[8 + k] = s2[k];
		lane[12 + k] = s3[k];
	}
	return dot_tail(lane, w, x, i, n);
}

__attribute__((noinline))
static double dot_sse2(const double *restrict w, const double *restrict x, uint32_t n)
{
	v2d s0 = { 0, 0 }, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
	double lane[DOT_LANES];
	uint32_t i = 0;

#define DOT_SSE2_STEP(acc, k)                                                 \
	do {                                                                  \
		v2d a_, b_;                                                   \
		memcpy(&a_, w + i + 2 * (k), sizeof(a_));                     \
		memcpy(&b_, x + i + 2 * (k), sizeof(b_));                     \
		acc += a_ * b_;                                               \
	} while (0)
	for (; i + DOT_LANES <= n; i += DOT_LANES) {
		DOT_SSE2_STEP(s0, 0);
		DOT_SSE2_STEP(s1, 1);
		DOT_SSE2_STEP(s2, 2);
		DOT_SSE2_STEP(s3, 3);
		DOT_SSE2_STEP(s4, 4);
		DOT_SSE2_STEP(s5, 5);
		DOT_SSE2_STEP(s6, 6);
		DOT_SSE2_STEP(s7, 7);
	}
#undef DOT_SSE2_STEP
	for (int k = 0; k < 2; k++) {
		lane[k] = s0[k];
		lane[2 + k] = s1[k];
		lane[4 + k] = s2[k];
		lane[6 + k] = s3[k];
		lane[8 + k] = s4[k];
		lane[10 + k] = s5[k];
		lane[12 + k] = s6[k];
		lane[14 + k] = s7[k];
	}
	return dot_tail(lane, w, x, i, n);
}

static inline double dot(const struct feat *f, const double *w, const double *x,
			 uint32_t n)
{
	return f->simd ? dot_avx2(w, x, n) : dot_sse2(w, x, n);
}

/* ------------------------------------------------------------ events */

void feat_on_trade(struct feat *f, int64_t t_ns, int64_t qty, int aggressor)
{
	int64_t t = clock_advance(f, t_ns);
	double ab = f->p.alpha * f->p.beta;

	hawkes_decay(f, t);
	if (aggressor == 1)
		f->hk_ex_buy += ab;
	else if (aggressor == -1)
		f->hk_ex_sell += ab;
	f->n_trades++;
	if (f->n) {               /* intervals start at update 1 */
		f->cur_v += aggressor == 1 ? qty : aggressor == -1 ? -qty : 0;
		f->cur_vol += qty;
	}
}

/*
 * A book update in two halves.  feat_book_update moves every piece of
 * state (rings, sums, averages, the clock) and keeps what the outputs are
 * made of: the filled top L levels, mid, velocity and acceleration, the
 * fracdiff window; feat_outputs then reads only that state.  Every output
 * is the same expression of the same operands as when both ran as one, so
 * feat_on_book (both, at once) gives the same bits whichever way it runs.
 */
int feat_book_update(struct feat *f, int64_t t_ns, const struct book_level *bid,
		     uint32_t n_bid, const struct book_level *ask, uint32_t n_ask)
{
	const struct feat_params *p = &f->p;
	const uint32_t L = p->levels;
	int64_t bpx[FEAT_MAX_LEVELS], bq[FEAT_MAX_LEVELS];
	int64_t apx[FEAT_MAX_LEVELS], aq[FEAT_MAX_LEVELS];
	int64_t t = clock_advance(f, t_ns);
	uint64_t n = f->n;

	if (DM_UNLIKELY(n_bid == 0 || n_ask == 0))
		return 0;
	if (n_bid > L)
		n_bid = L;
	if (n_ask > L)
		n_ask = L;

	/* the top L, a missing level at the deepest present price, size 0 */
	for (uint32_t k = 0; k < L; k++) {
		if (k < n_bid) {
			bpx[k] = bid[k].px;
			bq[k] = bid[k].qty;
		} else {
			bpx[k] = bid[n_bid - 1].px;
			bq[k] = 0;
		}
		if (k < n_ask) {
			apx[k] = ask[k].px;
			aq[k] = ask[k].qty;
		} else {
			apx[k] = ask[n_ask - 1].px;
			aq[k] = 0;
		}
	}
	const int64_t mid2 = ask[0].px + bid[0].px; /* a_1 + b_1: both sides hold one */

	/* ---- OFI */
	{
		int64_t *ring = RING(f, off_ofi, int64_t) + (size_t)f->ofi_pos * L;

		for (uint32_t k = 0; k < L; k++) {
			int64_t e = 0;

			if (n) {
				int64_t pb = f->bpx[k], pa = f->apx[k];

				e = (bpx[k] >= pb ? bq[k] : 0) - (bpx[k] <= pb ? f->bq[k] : 0)
				  - (apx[k] <= pa ? aq[k] : 0) + (apx[k] >= pa ? f->aq[k] : 0);
			}
			f->ofi_sum[k] += e - ring[k];
			ring[k] = e;
			/* remember this update's level k: the OFI of the next
			 * update and this update's outputs read it */
			f->bpx[k] = bpx[k];
			f->bq[k] = bq[k];
			f->apx[k] = apx[k];
			f->aq[k] = aq[k];
		}
		if (++f->ofi_pos == p->w_ofi)
			f->ofi_pos = 0;
	}

	/* ---- the change since the last update: r, d, the closing interval */
	int64_t d2 = n ? mid2 - f->mid2 : 0;
	double r = 0, ln_mid;
	if (d2 == 0 && n) {
		ln_mid = f->ln_mid;
	} else {
		ln_mid = mid2 > 0 ? log((double)mid2 * 0.5 * p->tick) : NAN;
		if (n && mid2 > 0 && f->mid2 > 0)
			r = log((double)mid2 / (double)f->mid2);
	}

	/* ---- volatility */
	{
		__int128 *ring = RING(f, off_vol, __int128);
		__int128 q = r != 0 ? to_fixed(r * r, RV_SHIFT) : 0;

		f->rv_q += q - ring[f->vol_pos];
		ring[f->vol_pos] = q;
		if (++f->vol_pos == p->w_vol)
			f->vol_pos = 0;
	}
	{
		struct feat_vel *ring = RING(f, off_vel, struct feat_vel);
		struct feat_vel *slot = &ring[f->vel_pos];
		int64_t tm, m2;
		double vm, vel = 0;

		if (n < p->vel_k) {
			tm = f->t_0;
			m2 = f->mid2_0;
			vm = 0;
			if (n == 0) {
				tm = t;
				m2 = mid2;
			}
		} else {
			tm = slot->t_ns;
			m2 = slot->mid2;
			vm = slot->vel;
		}
		double dt = 0;
		if (t != tm) {
			dt = (double)(t - tm) * 1e-9;
			vel = (double)(mid2 - m2) * 0.5 / dt;
		}
		slot->t_ns = t;
		slot->mid2 = mid2;
		slot->vel = vel;
		if (++f->vel_pos == p->vel_k)
			f->vel_pos = 0;
		/* the acceleration is an output only: its operands wait here
		 * (dt 0: t = tm, no move) */
		f->vel_m = vm;
		f->vel_dt = dt;
	}

	/* ---- Hawkes: the intensities at this update */
	hawkes_decay(f, t);

	/* ---- liquidity: interval n closes here */
	if (n) {
		struct feat_liq *slot = &RING(f, off_liq, struct feat_liq)[f->liq_pos];
		int64_t v = f->cur_v;
		__int128 aq_ = 0;
		uint32_t has = f->cur_vol > 0;

		if (has && r != 0)
			aq_ = to_fixed(1e4 * fabs(r) / (double)f->cur_vol, AMI_SHIFT);
		f->liq_sv += v - slot->v;
		f->liq_sd += d2 - slot->dm2;
		f->liq_svv += (__int128)v * v - (__int128)slot->v * slot->v;
		f->liq_svd += (__int128)v * d2 - (__int128)slot->v * slot->dm2;
		f->ami_q += aq_ - slot->ami_q;
		f->ami_cnt += has;
		f->ami_cnt -= slot->has_vol;
		slot->v = v;
		slot->dm2 = d2;
		slot->ami_q = aq_;
		slot->has_vol = has;
		if (++f->liq_pos == p->w_liq)
			f->liq_pos = 0;
		f->liq_n++;
		f->cur_v = 0;
		f->cur_vol = 0;
	}

	/* ---- RSI on half-tick changes (the ratio is unit free) */
	if (n) {
		int64_t g = d2 > 0 ? d2 : 0, l = d2 < 0 ? -d2 : 0;
		uint64_t N = p->rsi_n;

		f->rsi_seen++;
		if (f->rsi_seen <= N) {
			f->rsi_gain0 += g;
			f->rsi_loss0 += l;
			if (f->rsi_seen == N) {
				f->rsi_gain = (double)f->rsi_gain0 / (double)N;
				f->rsi_loss = (double)f->rsi_loss0 / (double)N;
			}
		} else {
			f->rsi_gain = (f->rsi_gain * (double)(N - 1) + (double)g) / (double)N;
			f->rsi_loss = (f->rsi_loss * (double)(N - 1) + (double)l) / (double)N;
		}
	}

	/* ---- MACD on mid2 - mid2_0, half ticks */
	if (n) {
		double x = (double)(mid2 - f->mid2_0);

		f->ema_fast += f->a_fast * (x - f->ema_fast);
		f->ema_slow += f->a_slow * (x - f->ema_slow);
		double macd = (f->ema_fast - f->ema_slow) * 0.5;
		f->ema_sig += f->a_sig * (macd - f->ema_sig);
	}

	/* ---- Bollinger on mid2 */
	{
		int64_t *ring = RING(f, off_boll, int64_t);
		int64_t old = ring[f->boll_pos];

		f->boll_sum += mid2 - old;
		f->boll_sq += (__int128)mid2 * mid2 - (__int128)old * old;
		ring[f->boll_pos] = mid2;
		if (++f->boll_pos == p->boll_n)
			f->boll_pos = 0;
		f->boll_cnt++;
	}

	/* ---- fracdiff: the window is x[pos + 1 .. pos + n_fd], oldest first */
	{
		double *x = RING(f, off_fdx, double);
		uint32_t pos = f->fd_pos;

		x[pos] = ln_mid;
		x[pos + f->n_fd] = ln_mid;
		f->fd_seen++;
		if (++f->fd_pos == f->n_fd)
			f->fd_pos = 0;
	}

	/* ---- remember this update */
	if (n == 0) {
		f->mid2_0 = mid2;
		f->t_0 = t;
	}
	f->mid2 = mid2;
	f->ln_mid = ln_mid;
	f->t_last = t;
	f->n = n + 1;
	return 1;
}

/* The features each block of feat_outputs writes (bit k: enum feat_id k). */
#define FB(k) (1ull << (k))
#define G_PRICE  (FB(FEAT_MID) | FB(FEAT_MICRO_DEV) | FB(FEAT_WMID_DEV))
#define G_OFI    (FB(FEAT_OFI_1) | FB(FEAT_OFI_2) | FB(FEAT_OFI_3) | FB(FEAT_OFI_ML))
#define G_IMB    (FB(FEAT_IMB_1) | FB(FEAT_IMB_L) | FB(FEAT_IMB_W))
#define G_SPREAD (FB(FEAT_SPREAD_TICKS) | FB(FEAT_SPREAD_BPS))
#define G_VEL    (FB(FEAT_VELOCITY) | FB(FEAT_ACCEL))
#define G_HAWKES (FB(FEAT_HAWKES_BUY) | FB(FEAT_HAWKES_SELL) | FB(FEAT_HAWKES_IMB) | \
		  FB(FEAT_HAWKES_EXCITE))
#define G_LIQ    (FB(FEAT_KYLE_LAMBDA) | FB(FEAT_AMIHUD))
#define G_MACD   (FB(FEAT_MACD) | FB(FEAT_MACD_HIST))
#define G_BOLL   (FB(FEAT_BOLL_PCTB) | FB(FEAT_BOLL_WIDTH_BPS))
_Static_assert((G_PRICE | G_OFI | G_IMB | G_SPREAD | FB(FEAT_RV_BPS) | G_VEL | G_HAWKES |
		G_LIQ | FB(FEAT_RSI) | G_MACD | G_BOLL | FB(FEAT_FRACDIFF)) == FEAT_ALL,
	       "every feature is written by one block");

void feat_outputs(const struct feat *f, uint64_t want, double out[FEAT_N])
{
	const struct feat_params *p = &f->p;
	const uint32_t L = p->levels;
	const int64_t b1 = f->bpx[0], a1 = f->apx[0], qb1 = f->bq[0], qa1 = f->aq[0];
	const int64_t mid2 = f->mid2;
	const int64_t q1 = qb1 + qa1;

	/* ---- price, imbalance: sums over the top L in level order */
	if (want & (G_PRICE | G_IMB)) {
		int64_t qb_sum = 0, qa_sum = 0;
		double wimb_num = 0, wimb_den = 0;

		for (uint32_t k = 0; k < L; k++) {
			qb_sum += f->bq[k];
			qa_sum += f->aq[k];
			wimb_num += f->ofi_w[k] * (double)(f->bq[k] - f->aq[k]);
			wimb_den += f->ofi_w[k] * (double)(f->bq[k] + f->aq[k]);
		}
		if (want & G_PRICE) {
			out[FEAT_MID] = (double)mid2 * 0.5 * p->tick;
			out[FEAT_MICRO_DEV] = q1 == 0 ? 0.0 :
				(double)(a1 - b1) * (double)(qb1 - qa1) / (2.0 * (double)q1);
			if (qb_sum == 0 || qa_sum == 0 || qb_sum + qa_sum == 0) {
				out[FEAT_WMID_DEV] = 0.0;
			} else {
				double sb = 0, sa = 0;

				for (uint32_t k = 0; k < L; k++) {
					sb += (double)(2 * f->bpx[k] - mid2) * (double)f->bq[k];
					sa += (double)(2 * f->apx[k] - mid2) * (double)f->aq[k];
				}
				double qb = (double)qb_sum, qa = (double)qa_sum;
				out[FEAT_WMID_DEV] = (sb / qb * qa + sa / qa * qb) / (qa + qb) * 0.5;
			}
		}
		if (want & G_IMB) {
			out[FEAT_IMB_1] = q1 == 0 ? 0.0 : (double)(qb1 - qa1) / (double)q1;
			out[FEAT_IMB_L] = qb_sum + qa_sum == 0 ? 0.0 :
				(double)(qb_sum - qa_sum) / (double)(qb_sum + qa_sum);
			out[FEAT_IMB_W] = wimb_den == 0 ? 0.0 : wimb_num / wimb_den;
		}
	}

	/* ---- OFI */
	if (want & G_OFI) {
		double ml = 0;

		for (uint32_t k = 0; k < L; k++)
			ml += f->ofi_w[k] * (double)f->ofi_sum[k];
		out[FEAT_OFI_1] = (double)f->ofi_sum[0] * p->lot;
		out[FEAT_OFI_2] = L > 1 ? (double)f->ofi_sum[1] * p->lot : 0.0;
		out[FEAT_OFI_3] = L > 2 ? (double)f->ofi_sum[2] * p->lot : 0.0;
		out[FEAT_OFI_ML] = ml / f->ofi_wsum * p->lot;
	}

	/* ---- spread */
	if (want & G_SPREAD) {
		out[FEAT_SPREAD_TICKS] = (double)(a1 - b1);
		out[FEAT_SPREAD_BPS] = mid2 == 0 ? 0.0 : 2e4 * (double)(a1 - b1) / (double)mid2;
	}

	/* ---- volatility, velocity */
	if (want & FB(FEAT_RV_BPS))
		out[FEAT_RV_BPS] = 1e4 * sqrt(from_fixed(f->rv_q, RV_SHIFT));
	if (want & G_VEL) {
		/* the slot the last update wrote */
		const struct feat_vel *slot = &RING(f, off_vel, struct feat_vel)[f->vel_pos ?
			f->vel_pos - 1 : p->vel_k - 1];

		out[FEAT_VELOCITY] = slot->vel;
		out[FEAT_ACCEL] = f->vel_dt != 0 ? (slot->vel - f->vel_m) / f->vel_dt : 0.0;
	}

	/* ---- Hawkes */
	if (want & G_HAWKES) {
		double lb = p->mu_buy + f->hk_ex_buy, ls = p->mu_sell + f->hk_ex_sell;
		double mu = p->mu_buy + p->mu_sell;

		out[FEAT_HAWKES_BUY] = lb;
		out[FEAT_HAWKES_SELL] = ls;
		out[FEAT_HAWKES_IMB] = lb + ls == 0 ? 0.0 : (lb - ls) / (lb + ls);
		out[FEAT_HAWKES_EXCITE] = mu == 0 ? 0.0 : (lb + ls - mu) / mu;
	}

	/* ---- liquidity */
	if (want & G_LIQ) {
		uint64_t N = f->liq_n < p->w_liq ? f->liq_n : p->w_liq;
		__int128 den = (__int128)N * f->liq_svv - (__int128)f->liq_sv * f->liq_sv;
		__int128 num = (__int128)N * f->liq_svd - (__int128)f->liq_sv * f->liq_sd;

		out[FEAT_KYLE_LAMBDA] = den == 0 ? 0.0 :
			(double)num / (double)den * 0.5 / p->lot;
		out[FEAT_AMIHUD] = f->ami_cnt == 0 ? 0.0 :
			from_fixed(f->ami_q, AMI_SHIFT) / (double)f->ami_cnt / p->lot;
	}

	/* ---- RSI */
	if (want & FB(FEAT_RSI)) {
		if (f->rsi_seen < p->rsi_n)
			out[FEAT_RSI] = 50.0;
		else if (f->rsi_loss == 0)
			out[FEAT_RSI] = f->rsi_gain > 0 ? 100.0 : 50.0;
		else
			out[FEAT_RSI] = 100.0 - 100.0 / (1.0 + f->rsi_gain / f->rsi_loss);
	}

	/* ---- MACD */
	if (want & G_MACD) {
		double macd = (f->ema_fast - f->ema_slow) * 0.5;

		out[FEAT_MACD] = macd;
		out[FEAT_MACD_HIST] = macd - f->ema_sig;
	}

	/* ---- Bollinger */
	if (want & G_BOLL) {
		int64_t N = (int64_t)(f->boll_cnt < p->boll_n ? f->boll_cnt : p->boll_n);
		__int128 D = (__int128)N * f->boll_sq - (__int128)f->boll_sum * f->boll_sum;

		if (D <= 0) {
			out[FEAT_BOLL_PCTB] = 0.5;
			out[FEAT_BOLL_WIDTH_BPS] = 0.0;
		} else {
			double sq = sqrt((double)D), k = p->boll_k;

			out[FEAT_BOLL_PCTB] = ((double)((__int128)N * mid2 - f->boll_sum) +
					       k * sq) / (2.0 * k * sq);
			out[FEAT_BOLL_WIDTH_BPS] = f->boll_sum == 0 ? 0.0 :
				1e4 * 2.0 * k * sq / (double)f->boll_sum;
		}
	}

	/* ---- fracdiff: the last update wrote x[pos] (and x[pos + n_fd]); its
	 * window is x[pos + 1 .. pos + n_fd], oldest first */
	if (want & FB(FEAT_FRACDIFF)) {
		uint32_t pos = f->fd_pos ? f->fd_pos - 1 : f->n_fd - 1;

		out[FEAT_FRACDIFF] = f->fd_seen < f->n_fd ? NAN :
			dot(f, RING(f, off_fdw, double), RING(f, off_fdx, double) + pos + 1,
			    f->n_fd);
	}
}

int feat_on_book(struct feat *f, int64_t t_ns, const struct book_level *bid,
		 uint32_t n_bid, const struct book_level *ask, uint32_t n_ask,
		 double out[FEAT_N])
{
	if (!feat_book_update(f, t_ns, bid, n_bid, ask, n_ask))
		return 0;
	feat_outputs(f, FEAT_ALL, out);
	return 1;
}

int feat_update(struct feat *f, const struct event *ev, double out[FEAT_N])
{
	int64_t t = f->p.clock == FEAT_CLOCK_RECV ? ev->recv_ns : ev->exch_ns;

	if (ev->kind == EV_BOOK) {
		uint32_t nb = ev->book.n_bid, na = ev->book.n_ask;

		if (nb > EV_MAX_LEVELS)
			nb = EV_MAX_LEVELS;
		if (na > EV_MAX_LEVELS)
			na = EV_MAX_LEVELS;
		return feat_on_book(f, t, ev->book.bid, nb, ev->book.ask, na, out);
	}
	if (ev->kind == EV_TRADE)
		feat_on_trade(f, t, ev->trade.qty, ev->trade.aggressor);
	else
		clock_advance(f, t);
	return 0;
}
