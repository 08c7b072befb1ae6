/*
 * study.h — the microstructure of a market-data stream in one pass:
 * order-flow imbalance regressions, Hawkes fits of trade arrivals, Kyle's
 * lambda and Amihud's illiquidity, spread estimators and decompositions,
 * intraday profiles and the fill-intensity curve (docs/study.md has every
 * definition and its reference).
 *
 * Design note.  Events arrive in file order (struct event of
 * libcore/market/event.h); each is folded into sums and the event itself is
 * forgotten, so memory does not grow with the input:
 *
 *   study_memsize -> study_init -> study_on_event, ... -> study_finish
 *                                                      -> study_close
 *
 *   clock        every measure but the Hawkes fit times an event by
 *                params.clock (exchange or receive time), taken as
 *                non-decreasing: an event stamped before the previous one
 *                is taken at the previous time (counted).
 *   segments     a silence longer than params.max_gap_ns (a night, a halt)
 *                ends a segment: nothing is carried across it (no window,
 *                book state, price change or inter-event time), so the
 *                closed hours never count as observed time.
 *   windows      for each length W of params.window_ns the clock is cut
 *                into [kW, (k+1)W) on the epoch grid.  Inside a segment
 *                every window from the one that holds its first two-sided
 *                book to the one that holds its last event is a point of
 *                the regressions, empty ones included (a point (0, 0));
 *                the counts of orders take every window from the
 *                segment's first event on (no mid needed).  A window is
 *                folded into sums when it closes, in O(levels^2), and
 *                nothing is kept of it but a bounded sample of points
 *                for charts.
 *   Hawkes       the trade times are kept for the maximum-likelihood fit
 *                (libcore/hawkes): struct hseries, fed by
 *                hseries_add_event as dm-hawkes-fit feeds it (exchange
 *                times, prints of one aggressive order merged), up to
 *                params.hawkes_max events; later trades are counted and
 *                left out of the fit, never out of the other measures.
 *
 * Memory.  struct study and its profile bins live in caller memory of
 * study_memsize bytes; study_init neither allocates nor fails after its
 * checks.  The Hawkes series is the one allocation of the stream: it grows
 * by doubling inside study_on_event up to hawkes_max events (9 bytes each;
 * at most twice that reserved), and study_close frees it.  study_finish allocates the fit's scratch and
 * frees it.  One thread per struct study; offline code (the stream may
 * allocate, the fit takes seconds): not for an agent's hot path.
 */
#ifndef DM_LIBCORE_STUDY_STUDY_H
#define DM_LIBCORE_STUDY_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/hawkes/fit.h"
#include "libcore/hawkes/series.h"
#include "libcore/hist/hist.h"
#include "libcore/market/event.h"

#define STUDY_MAX_WINDOWS      4u
#define STUDY_OFI_LEVELS       10u        /* multi-level OFI, levels at most */
#define STUDY_FILL_BINS        129u       /* reach 0 .. 64 ticks in half ticks */
#define STUDY_FILL_MIN_COUNT   5u         /* orders a fitted point needs */
#define STUDY_PROFILE_MAX_BINS 1440u      /* one a minute */
#define STUDY_SCATTER_MAX      1000u      /* points kept per window length */
#define STUDY_DEF_MAX_GAP_NS   (1800LL * 1000000000LL)
#define STUDY_DEF_PROFILE_NS   (1800LL * 1000000000LL) /* 30 min */
#define STUDY_DEF_HAWKES_MAX   2000000u
#define STUDY_NS_PER_DAY       (86400LL * 1000000000LL)

enum study_clock { STUDY_CLOCK_EXCH = 0, STUDY_CLOCK_RECV = 1 };

/* How UTC becomes the instrument's local time of day (the profiles). */
enum study_tz {
	STUDY_TZ_FIXED    = 0, /* local = UTC + utc_offset_s */
	STUDY_TZ_NEW_YORK = 1  /* US Eastern with its daylight-saving rules
				* (feed_new_york_offset) */
};

/* Trade sides (index of per-side arrays). */
enum study_side { STUDY_BUY = 0, STUDY_SELL = 1, STUDY_ALL = 2 };

struct study_params {
	uint32_t n_windows;        /* 1..STUDY_MAX_WINDOWS; 0 = 1 s, 10 s, 60 s */
	uint32_t ofi_levels;       /* multi-level OFI levels, 1..STUDY_OFI_LEVELS;
				    * 0 = STUDY_OFI_LEVELS */
	int64_t  window_ns[STUDY_MAX_WINDOWS]; /* strictly ascending, > 0 */
	int64_t  max_gap_ns;       /* 0 = STUDY_DEF_MAX_GAP_NS, < 0 = never split */
	int64_t  profile_bin_ns;   /* divides a day, >= 1 min; 0 = 30 min */
	uint32_t clock;            /* enum study_clock */
	uint32_t tz;               /* enum study_tz */
	int32_t  utc_offset_s;     /* STUDY_TZ_FIXED */
	uint32_t hawkes_max;       /* trade events kept for the Hawkes fit;
				    * 0 = no Hawkes fit */
	double   ccy_per_tick_lot; /* currency of one lot traded at a price of
				    * one tick (tick x point value), for the
				    * notional volume of Amihud's measure; > 0 */
	double   fill_max_ticks;   /* the fill curve is fitted over distances up
				    * to this; 0 = every distance */
};

/* ------------------------------------------------------------ results */

/* y = a + b x by ordinary least squares; NaN where undefined (n < 3 or x
 * constant: all; y constant: r2). */
struct study_ols {
	uint64_t n;
	double   slope, intercept;
	double   r2;
	double   slope_se;     /* classical standard error of the slope */
};

/* The variance-to-mean ratio of counts per window and the branching
 * ratio it implies, n = 1 - sqrt(mean / var) (Hardiman and Bouchaud). */
struct study_fano {
	uint64_t n;            /* windows */
	double   mean, var;    /* of the counts (var with n - 1) */
	double   ratio;        /* var / mean */
	double   branching;    /* 1 - 1 / sqrt(ratio); NaN if undefined */
};

struct study_point {
	double x, y;
};

struct study_window_res {
	int64_t  len_ns;
	uint64_t n;                          /* windows in the regressions (a mid known) */
	struct study_ols ofi;                /* mid change (ticks) on level-1 OFI (lots) */
	struct study_ols ofi_int;            /* ... on the integrated OFI (depth units) */
	uint32_t levels;                     /* of the integrated OFI */
	double   pc1[STUDY_OFI_LEVELS];      /* its weights, sum of |w| = 1 */
	double   pc1_share;                  /* variance share of the first component */
	struct study_ols kyle;               /* mid change (ticks) on signed volume (lots) */
	uint64_t amihud_n;                   /* windows with volume */
	double   amihud;                     /* mean |log mid return| / notional,
					      * per million of the currency */
	struct study_fano fano[3];           /* aggressive orders: buy, sell, all */
	uint32_t n_points;                   /* scatter sample (OFI, mid change) */
	struct study_point points[STUDY_SCATTER_MAX];
};

struct study_roll {
	uint64_t n;                  /* pairs of consecutive price changes */
	double   cov;                /* their autocovariance, ticks^2 */
	double   spread;             /* 2 sqrt(-cov), ticks; NaN if cov >= 0 */
};

/* Glosten and Harris (1988):
 *   dP_t = c0 dQ_t + c1 d(Q_t V_t) + z0 Q_t + z1 Q_t V_t + e_t
 * over consecutive signed trades (P ticks, Q = +-1, V lots). */
struct study_gh {
	uint64_t n;
	double   c0, c1, z0, z1;             /* ticks, ticks per lot */
	double   se[4];
	double   r2;
	double   v_mean;                     /* mean trade size, lots */
	double   transitory;                 /* c0 + c1 v_mean, ticks */
	double   adverse;                    /* z0 + z1 v_mean, ticks */
	double   spread;                     /* 2 (transitory + adverse), ticks */
	double   adverse_share;              /* adverse / (transitory + adverse) */
};

/* Huang and Stoll (1997), the two-way decomposition:
 *   dP_t = (S/2) dQ_t + lambda (S/2) Q_{t-1} + e_t */
struct study_hs {
	uint64_t n;
	double   half_spread;                /* S/2, ticks */
	double   lambda;                     /* adverse selection + inventory share */
	double   se_half, se_lambda_s;       /* standard errors of S/2 and lambda S/2 */
	double   r2;
};

struct study_fill {
	uint64_t orders;                     /* aggressive orders with a mid before */
	double   observed_s;                 /* T */
	double   max_ticks;                  /* fitted distances up to this; 0 all */
	uint64_t reach[STUDY_FILL_BINS];     /* orders whose furthest print lay
					      * j half ticks beyond the mid (j = 0:
					      * at or inside it; the last: beyond) */
	uint32_t n_fit;                      /* points fitted */
	double   a, k, r2;                   /* lambda(delta) = a exp(-k delta),
					      * 1/s, 1/tick */
};

/* The temporary impact of aggressive orders (docs/study.md, "Temporary
 * impact"): each order's slippage per lot against the mid before it,
 * y = side (vwap - mid) in ticks, regressed on its size x in lots:
 * y = epsilon + eta x.  The slope eta (ticks per lot per lot) is the
 * temporary impact of Almgren and Chriss for an order sent at once, the
 * intercept epsilon their fixed cost per lot (about the half-spread). */
struct study_impact {
	struct study_ols fit;                /* slippage per lot (ticks) on size (lots) */
	double   mean_qty;                   /* lots per order */
	double   mean_slip;                  /* ticks per lot, over every order */
};

/* One time-of-day bin of the intraday profile (local time). */
struct study_profile_bin {
	double   observed_s;                 /* clock time inside segments */
	double   spread_ticks;               /* time-weighted mean quoted spread;
					      * NaN without a two-sided book */
	double   volume;                     /* lots traded */
	uint64_t trades;
	double   volume_per_min;             /* lots per observed minute */
	double   trades_per_min;
	double   volatility_bps;             /* of the mid over one minute, from
					      * the shortest windows' returns:
					      * 1e4 sqrt(60 sum r^2 / observed_s);
					      * NaN without a mid in the bin */
};

struct study_hawkes {
	uint32_t fitted;                     /* 1: the three fits below ran */
	uint32_t capped;                     /* 1: hawkes_max reached */
	uint64_t events;                     /* events of the series */
	uint64_t count[2];                   /* buy, sell */
	uint64_t trades_left_out;            /* trades after the cap */
	uint64_t merged, no_side;            /* hseries counters */
	double   observed_s;                 /* its windows, s */
	int      rc[3];                      /* hfit_fit's return per model */
	struct hfit_result uni[2];           /* buy alone, sell alone */
	struct hfit_result bi;               /* buy and sell jointly */
};

struct study_result {
	/* the stream */
	uint64_t events, books, trades;
	uint64_t back_in_time;               /* events taken at an earlier time */
	uint32_t segments;
	uint32_t n_windows;
	int64_t  t_first, t_last;            /* study clock, ns */
	double   observed_s;                 /* inside segments */
	uint64_t signed_by[4];               /* aggressor, quote rule, tick rule, unsigned */
	double   quoted_spread;              /* time-weighted mean, ticks */
	double   effective_spread;           /* mean 2 q (p - m), ticks */
	double   effective_median;           /* its median (values below 0 taken
					      * as 0), exact below 64 ticks */
	uint64_t effective_n;
	struct study_window_res win[STUDY_MAX_WINDOWS];
	struct study_roll roll;
	struct study_gh gh;
	struct study_hs hs;
	struct study_fill fill;
	struct study_impact impact;
	struct study_hawkes hawkes;
	int64_t  profile_bin_ns;
	uint32_t profile_bins;
	uint32_t pad;
	struct study_profile_bin profile[STUDY_PROFILE_MAX_BINS];
};

/* ------------------------------------------------------------ state
 * The stream's own sums, in the header only so that the caller can size
 * the memory.  Do not touch them. */

struct study_pbin {              /* a profile bin's sums */
	double   obs_s;
	double   spread_ts, spread_s;    /* spread x seconds, seconds two-sided */
	double   volume;
	uint64_t trades;
	double   rv;                     /* squared log mid returns */
	uint64_t rv_n;                   /* windows with a mid that added to rv */
};

struct study_sums2 {             /* y on x: raw sums */
	uint64_t n;
	double   sx, sy, sxx, sxy, syy;
};

struct study_win {
	int64_t  len_ns;
	int64_t  k;                  /* open window, INT64_MIN = none */
	int64_t  mid2_start;         /* bid + ask at its start, INT64_MIN = none */
	double   ofi1;
	double   ofi[STUDY_OFI_LEVELS];
	double   depth_sum;
	uint64_t depth_n;
	double   svol, notional;
	uint64_t orders[2];
	/* over the counted windows */
	struct study_sums2 s_ofi, s_kyle;
	uint64_t ml_n;
	double   ml_sy, ml_syy;
	double   ml_sx[STUDY_OFI_LEVELS];
	double   ml_sxy[STUDY_OFI_LEVELS];
	double   ml_sxx[STUDY_OFI_LEVELS][STUDY_OFI_LEVELS];
	double   amihud_sum;
	uint64_t amihud_n;
	uint64_t f_n;
	double   f_s[3], f_ss[3];
	uint64_t seen;               /* counted windows, for the sample */
	uint32_t n_points;
	uint32_t pad;
	struct study_point points[STUDY_SCATTER_MAX];
};

struct study {
	struct study_params p;
	uint32_t n_bins;             /* profile bins */
	uint32_t levels;             /* multi-level OFI levels */
	uint64_t rng;                /* reservoir sampling */
	/* the stream */
	uint64_t events, books, trades, back_in_time;
	uint32_t segments;
	int32_t  in_seg;
	int64_t  t_first, t_last, seg_start;
	double   observed_s;
	int64_t  tz_day;             /* cached UTC day of tz_off */
	int32_t  tz_off;
	int32_t  have_book;          /* prev_* holds the last book of the segment */
	int64_t  prev_px[2][STUDY_OFI_LEVELS];
	int64_t  prev_qty[2][STUDY_OFI_LEVELS];
	int64_t  mid2;               /* bid + ask of the last two-sided book, INT64_MIN none */
	int64_t  spread;             /* its spread, ticks; 0 none */
	double   spread_t, spread_dt;
	/* trades */
	uint64_t signed_by[4];
	int64_t  last_px;            /* previous trade, INT64_MIN none (segment) */
	int32_t  last_side;          /* sign of the previous signed trade, 0 none */
	int32_t  tick_sign;          /* tick rule state */
	double   last_d;             /* previous price change */
	int32_t  have_d;
	int32_t  gh_have;            /* previous signed trade for GH and HS */
	int64_t  gh_px;
	double   gh_q, gh_qv;
	double   gh_xx[4][4], gh_xy[4], gh_yy, gh_sy;
	uint64_t gh_n;
	double   gh_v;
	double   hs_xx[2][2], hs_xy[2];
	double   roll_sa, roll_sb, roll_sab;
	uint64_t roll_n;
	double   eff_sum;
	uint64_t eff_n;
	struct hist eff_hist;        /* max(0, 2 q (p - m)), ticks */
	/* the order in progress (prints of one aggressive order) */
	int64_t  run_exch_ns;        /* exchange time of the order (clamped
				      * as the Hawkes series clamps it) */
	int32_t  run_side;           /* 0 none */
	int32_t  run_has_mid;
	int64_t  run_mid2;
	int64_t  run_reach;          /* half ticks */
	int64_t  run_qty;            /* lots of its prints */
	int64_t  run_cost2;          /* sum of side (2 px - mid2) qty: half ticks x lots */
	struct study_sums2 s_impact; /* slippage per lot on size, one point per order */
	uint64_t fill_orders;
	uint64_t fill[STUDY_FILL_BINS];
	/* Hawkes */
	struct hseries series;
	int32_t  series_ok;          /* initialised */
	int32_t  series_capped;
	uint64_t series_left_out;
	struct study_win win[STUDY_MAX_WINDOWS];
	struct study_pbin bins[];    /* n_bins */
};

/* ------------------------------------------------------------ API */

/* Fill the defaults into the zero members of *p (windows, levels, gap,
 * profile bin, hawkes_max stays as given).  Pure. */
void study_params_defaults(struct study_params *p);

/*
 * Check *p (after study_params_defaults): windows ascending and > 0, levels
 * in range, a profile bin of at least a minute that divides a day, a
 * positive currency per tick and lot.  Returns 0 or -EINVAL with one line
 * naming the member in err (errlen bytes).  Pure.
 */
int study_params_check(const struct study_params *p, char *err, size_t errlen);

/* Bytes of caller memory a study of *p needs (p checked). */
size_t study_memsize(const struct study_params *p);

/*
 * Start a study of *p (checked) in mem (size >= study_memsize(p), aligned
 * for a double); the struct lives at mem.  Returns 0 or -EINVAL (size too
 * small, params refused).  No allocation.
 */
int study_init(struct study *s, size_t size, const struct study_params *p);

/*
 * Fold one event in.  Returns 0, or -ENOMEM when the Hawkes series could
 * not grow (the study is then unusable but may be closed).  Allocates only
 * as the series grows; O(levels x windows) per book event.
 */
int study_on_event(struct study *s, const struct event *ev);

/*
 * Close the open windows and compute every estimate into *r (the caller's;
 * about 150 KB): regressions, decompositions, the fill curve, profiles and
 * the Hawkes fits (several seconds on millions of trades).  Call once, at
 * the end of the stream.  Returns 0 or -ENOMEM (a fit's scratch); a
 * Hawkes model that cannot be fitted (too few events) is reported in
 * r->hawkes.rc, not as an error.
 */
int study_finish(struct study *s, struct study_result *r);

/* Free the Hawkes series.  Safe twice. */
void study_close(struct study *s);

/*
 * The order-flow imbalance of one book update at one level (Cont, Kukanov
 * and Stoikov 2014, eq. 10): bid price and size now (pb, qb) and before
 * (pb0, qb0), the same for the ask:
 *
 *   e = qb 1{pb >= pb0} - qb0 1{pb <= pb0} - qa 1{pa <= pa0} + qa0 1{pa >= pa0}
 *
 * in lots.  An absent level is a bid at INT64_MIN, an ask at INT64_MAX,
 * size 0.  Pure.
 */
static inline double study_ofi_event(int64_t pb, int64_t qb, int64_t pb0, int64_t qb0,
				     int64_t pa, int64_t qa, int64_t pa0, int64_t qa0)
{
	double e = 0;

	if (pb >= pb0)
		e += (double)qb;
	if (pb <= pb0)
		e -= (double)qb0;
	if (pa <= pa0)
		e -= (double)qa;
	if (pa >= pa0)
		e += (double)qa0;
	return e;
}

/* --------------------------------------------------------- estimators
 * The small estimators study_finish uses, public for their tests; pure. */

/* OLS of y on x with an intercept from raw sums. */
void study_ols_from_sums(const struct study_sums2 *s, struct study_ols *o);

/*
 * Solve the n x n symmetric positive definite system a x = b in place (a
 * is overwritten by its Cholesky factor, b by x), n <= 8.  Returns 0 or
 * -EDOM (not positive definite).
 */
int study_solve_spd(double *a, double *b, uint32_t n);

/*
 * Eigen-decomposition of the symmetric n x n matrix a (row-major, n <=
 * STUDY_OFI_LEVELS, destroyed) by cyclic Jacobi rotations: eigenvalues in
 * val[0..n-1] descending, eigenvector i in vec[i * n .. i * n + n - 1].
 */
void study_eigen_sym(double *a, uint32_t n, double *val, double *vec);

/* The fit of lambda(delta) = a exp(-k delta) to the reach counts of *f
 * (f->reach, f->observed_s, f->max_ticks): fills n_fit, a, k, r2 (NaN
 * when fewer than two points). */
void study_fill_fit(struct study_fill *f);

/* Hardiman and Bouchaud's branching ratio from counts' sums over n windows. */
void study_fano_from_sums(uint64_t n, double s, double ss, struct study_fano *f);

/* ------------------------------------------------------------ figures */

/* What execution takes from a study (the JSON of dm-study --json; NaN for
 * a figure the file does not give). */
struct study_figures {
	double eta;        /* impact.eta_ticks_per_lot */
	double epsilon;    /* impact.epsilon_ticks */
	double mean_qty;   /* impact.mean_qty, lots per aggressive order */
	double gamma;      /* windows[0].kyle.slope: Kyle's lambda, shortest window */
	double fill_a;     /* fill.a_per_s (both sides) */
	double fill_k;     /* fill.k_per_tick */
};

/*
 * Read the figures from the dm-study --json file at path.  Returns 0, or
 * -DM_ECONFIG with one line in err (the file, and what is wrong: not
 * readable, not JSON, not a dm-study output).  Start-up code: reads a
 * file, allocates (jansson) and frees.
 */
int study_figures_read(const char *path, struct study_figures *out, char *err,
		       size_t errlen);

#endif /* DM_LIBCORE_STUDY_STUDY_H */
