/*
 * label.h — triple-barrier labels, meta-labels and sample weights
 * (Lopez de Prado, Advances in Financial Machine Learning, ch. 3-4;
 * docs/labels.md has the definitions and every convention).
 *
 * Design note.  The labeler reads a price path one row at a time (row n =
 * 0, 1, 2, ... in push order: a time, a price and optionally the step's
 * high/low range) and labels the rows the caller marks as events.  Each
 * event opens a label with three barriers fixed at its row t0:
 *
 *   profit  o·move >= pt   (pt·sigma in log return, or pt ticks)
 *   stop    o·move <= -sl  (sl·sigma, or sl ticks)
 *   vertical               vert_events rows after t0, or the last row at
 *                          or before t0 + vert_sec (whichever comes first)
 *
 * where o is the event's side (+1 when the side is unknown) and sigma the
 * volatility estimate from returns up to and including t0.  As price
 * levels the two horizontal barriers are an upper and a lower level; the
 * pending labels sit in two indexed heaps keyed by those levels, so a row
 * costs O(log P + k) for P pending labels and k labels it resolves, and
 * the vertical barriers resolve in t0 order from a cursor (their deadlines
 * grow with t0).
 *
 * Weights.  A label spans rows [i0, i1].  Its concurrency c_t (labels
 * covering row t) is final once every label that starts at or before t has
 * resolved, i.e. for t below the start of the oldest pending label.  The
 * labeler keeps a difference array over the rows of its window (+1 at i0,
 * -1 at i1 + 1) and, as rows become final, 128-bit fixed-point prefix sums
 * of 1/c_t (2^-64 units, exact division) and r_t/c_t (2^-80): a label's
 * average uniqueness and return attribution are then two subtractions, so
 * the whole run is O(rows + labels), never O(labels x span).
 *
 * Labels leave in t0 order (label_pop_burst) once resolved and their rows
 * final.  Memory: one block of label_memsize(p) bytes handed in by the
 * caller, holding the rows from the oldest label not yet popped to the
 * newest, the labels and the two heaps, all rings of the same power-of-two
 * capacity (params.window rounded up).  Nothing allocates, locks or makes
 * a system call after label_init.
 *
 * Threads: a struct label belongs to one thread at a time.
 */
#ifndef DM_LIBCORE_LABEL_LABEL_H
#define DM_LIBCORE_LABEL_LABEL_H

#include <stddef.h>
#include <stdint.h>

/* How a horizontal barrier is set. */
enum label_bar {
	LABEL_BAR_OFF = 0,   /* disabled */
	LABEL_BAR_VOL = 1,   /* width = multiple x sigma, in log return */
	LABEL_BAR_TICKS = 2, /* width = a number of ticks, in price */
};

/* The volatility estimate sigma (standard deviation of per-row log returns). */
enum label_vol {
	LABEL_VOL_EWMA = 0,    /* exponentially weighted, alpha = 2/(vol_n + 1) */
	LABEL_VOL_ROLLING = 1, /* the last vol_n returns, equal weights;
	                        * O(vol_n) per labeled event (two-pass) */
};

/* Both horizontal barriers touched in the same row (only possible with a
 * high/low range per row): what the label becomes. */
enum label_tie {
	LABEL_TIE_STOP = 0,   /* the stop came first: label -1 (conservative) */
	LABEL_TIE_PROFIT = 1, /* the profit came first: label +1 */
	LABEL_TIE_ZERO = 2,   /* undecidable: label 0 */
};

/* Data end before a label's barriers. */
enum label_eod {
	LABEL_EOD_LAST = 0, /* resolve at the last row: label = sign of the return, barrier END */
	LABEL_EOD_DROP = 1, /* drop the label (not emitted, not in any concurrency) */
};

/* Which barrier ended a label. */
enum label_barrier {
	LABEL_B_PT = 1,   /* profit-taking */
	LABEL_B_SL = 2,   /* stop-loss */
	LABEL_B_VERT = 3, /* vertical (time or rows) */
	LABEL_B_TIE = 4,  /* both horizontal barriers in one row; label per params.tie */
	LABEL_B_END = 5,  /* end of data (params.eod = LABEL_EOD_LAST) */
};

/* Short names "pt", "sl", "vert", "tie", "end"; "?" otherwise. */
const char *label_barrier_name(int barrier);

#define LABEL_MAX_WINDOW (1u << 26) /* rows (and labels) in flight */
#define LABEL_MAX_VOL_N  1000000u
#define LABEL_TICK_EPS   1e-9       /* tick barriers: touched at (k - eps) ticks */

struct label_params {
	uint32_t pt_kind;     /* enum label_bar (default VOL) */
	uint32_t sl_kind;     /* enum label_bar (default VOL) */
	double   pt;          /* > 0 when enabled: multiple of sigma or ticks (default 2) */
	double   sl;          /* same for the stop (default 2) */
	double   tick;        /* price units per tick, > 0 (default 5, WIN) */
	uint32_t vol_kind;    /* enum label_vol (default EWMA) */
	uint32_t vol_n;       /* EWMA span or rolling window, 2..LABEL_MAX_VOL_N (100) */
	uint32_t vol_warmup;  /* returns seen before a volatility barrier is set,
	                       * 1..UINT32_MAX (100); earlier events are skipped */
	uint32_t vert_events; /* vertical barrier in rows after t0, 0 = off (100) */
	double   vert_sec;    /* vertical barrier in seconds after t0, 0 = off (0) */
	double   vol_floor;   /* sigma = max(estimate, floor), >= 0 (0) */
	uint32_t vert_sign;   /* 1: a vertical label is the sign of its return (0: label 0) */
	uint32_t tie;         /* enum label_tie (default STOP) */
	uint32_t eod;         /* enum label_eod (default LAST) */
	uint32_t window;      /* rows in flight, 0 = auto: 2 vert_events + 4, or
	                       * 65536 with only a time barrier (0..LABEL_MAX_WINDOW) */
};

/* The defaults listed above.  Pure. */
void label_params_default(struct label_params *p);

/*
 * Check every field; at least one vertical barrier must be on (it bounds
 * the memory).  Returns 0 or -EINVAL with one line naming the field in err
 * (errlen bytes; may be NULL).  Pure.
 */
int label_params_check(const struct label_params *p, char *err, size_t errlen);

/* The ring capacity label_init lays out for p (a power of two), or 0 when
 * p fails label_params_check.  Pure. */
uint32_t label_capacity(const struct label_params *p);

/* One row of the price path. */
struct label_row {
	int64_t t_ns; /* non-decreasing */
	double  px;   /* the path price (mid, micro-price, close), finite, > 0 */
	double  hi;   /* the row's high for barrier touches; NaN = px; >= px */
	double  lo;   /* the row's low; NaN = px; <= px */
};

/* One finished label. */
struct label_rec {
	uint64_t i0, i1;    /* row numbers of t0 and t1 (i1 >= i0) */
	int64_t  t0_ns, t1_ns;
	double   ret;       /* o x ln(px[i1] / px[i0]): log return in the
	                     * event's orientation o (its side, +1 when 0) */
	double   sigma;     /* sigma at t0 after the floor; 0 when no barrier
	                     * is a volatility barrier */
	double   w_pt, w_sl;/* barrier widths (log return or ticks); 0 = off */
	double   uniq;      /* average uniqueness: mean of 1/c_t over [i0, i1] */
	double   attr;      /* raw return attribution: |sum over t in (i0, i1]
	                     * of r_t / c_t|; scale with label_attr_scale */
	int8_t   label;     /* +1 profit first, -1 stop first, 0 vertical */
	int8_t   side;      /* as pushed: -1, 0, +1 */
	int8_t   meta;      /* 1 when label == +1, else 0 */
	uint8_t  barrier;   /* enum label_barrier */
	uint32_t pad;
};

/* Counters since init (labels counted as they are popped). */
struct label_stats {
	uint64_t rows;        /* rows pushed */
	uint64_t events;      /* rows pushed as events */
	uint64_t skipped;     /* events left unlabeled: volatility warm-up, or
	                       * a barrier level that rounds to the entry price */
	uint64_t dropped;     /* labels dropped at the end (LABEL_EOD_DROP) */
	uint64_t popped;      /* labels handed out */
	uint64_t by_label[3]; /* popped with label -1, 0, +1 */
	uint64_t by_barrier[6]; /* popped per enum label_barrier */
	uint64_t meta1;       /* popped with meta 1 */
	double   sum_uniq;    /* sum of uniq over popped labels */
	double   sum_attr;    /* sum of attr over popped labels */
};

struct label; /* below, after the API */

/* Bytes label_init needs for p (64-byte multiple), or 0 when p fails
 * label_params_check.  Pure. */
size_t label_memsize(const struct label_params *p);

/*
 * Lay out a labeler over l (size bytes, 64-byte aligned, owned by the
 * caller) and reset it.  Returns 0, -EINVAL (bad params or misaligned) or
 * -ENOSPC (size < label_memsize).  No allocation.  O(size).
 */
int label_init(struct label *l, size_t size, const struct label_params *p);

/*
 * Push row number label_stats()->rows.  event != 0 opens a label at this
 * row with side -1, 0 or +1 (0: no side, barriers oriented long).  Pending
 * labels are checked against the row first, so a label never resolves at
 * its own row except by a time barrier that no later row falls inside.
 * Returns 0, -EINVAL (non-finite or non-positive price, hi < px or lo > px,
 * time running back, bad side, after label_finish: the row is not taken)
 * or -ENOSPC (the window is full: pop the ready labels after every push;
 * if it is still full, params.window is too small for this path).
 * No allocation, no system call.
 */
int label_push(struct label *l, const struct label_row *row, int event, int side);

/*
 * End of data: resolve (LABEL_EOD_LAST) or drop (LABEL_EOD_DROP) every
 * pending label and make every row final, so label_pop_burst hands out
 * the rest.  Pushes after it fail with -EINVAL.
 */
void label_finish(struct label *l);

/*
 * Copy up to n finished labels, oldest t0 first, into out; returns how
 * many (0..n).  A label is ready when it and every label before it has
 * resolved and no pending label overlaps its rows.
 */
uint32_t label_pop_burst(struct label *l, struct label_rec *out, uint32_t n);

/* Counters; valid until the next call on l. */
const struct label_stats *label_stats(const struct label *l);

/* The volatility estimate after the last pushed row (before the floor),
 * and the number of returns it has seen. */
double label_sigma(const struct label *l, uint64_t *n_returns);

/*
 * Scale that makes return-attribution weights sum to the number of labels:
 * n / sum_attr, or 0 when sum_attr is 0 (callers then give every label
 * weight 1, docs/labels.md).  Pure.
 */
double label_attr_scale(double sum_attr, uint64_t n);

/* ------------------------------------------------------------ batch weights */

/* Bytes of scratch label_weights needs for n_rows rows.  Pure. */
size_t label_weights_scratch(uint64_t n_rows);

/*
 * Uniqueness and raw return attribution of n labels over a price path of
 * n_rows prices (px, > 0), from each rec's i0 and i1 (i0 <= i1 < n_rows,
 * any order): writes recs[k].uniq and recs[k].attr, and the sum of attr
 * into *sum_attr (may be NULL).  The same definitions and arithmetic as
 * the streaming labeler.  O(n + n_rows) with a difference array.  Returns
 * 0 or -EINVAL (a span out of range, a bad price, scratch too small).
 */
int label_weights(struct label_rec *recs, size_t n, const double *px, uint64_t n_rows,
		  void *scratch, size_t scratch_size, double *sum_attr);

/* ------------------------------------------------------------ CUSUM filter */

/*
 * Symmetric CUSUM filter on log price (Lopez de Prado, snippet 2.4): with
 * d = ln p_t - ln p_{t-1}, s+ = max(0, s+ + d), s- = min(0, s- + d); an
 * event when s- < -h (then s- = 0) or else s+ > h (then s+ = 0).
 */
struct label_cusum {
	double h;      /* threshold in log return, > 0 */
	double s_pos, s_neg;
	double ln_last;
	uint64_t seen;
};

void label_cusum_init(struct label_cusum *c, double h);

/* Feed the next price (> 0); returns +1 (upward event), -1 (downward) or
 * 0.  The first price never triggers.  O(1). */
int label_cusum_update(struct label_cusum *c, double px);

/* ------------------------------------------------------------ private
 * The header is public only so callers can place it; do not touch. */

struct label_hent {     /* heap entry: key, and the label's slot */
	double   key;
	uint32_t slot;
	uint32_t pad;
};

struct label {
	struct label_params p;
	uint64_t size;
	uint32_t cap, mask;      /* rows, labels and heaps: power of two */
	uint32_t any_vol;        /* a barrier is a volatility barrier */
	uint32_t pad0;
	uint64_t off_rows;       /* struct label_rowent[cap] */
	uint64_t off_slots;      /* struct label_slot[cap] */
	uint64_t off_hup;        /* struct label_hent[cap]: min-heap of upper levels */
	uint64_t off_hdn;        /* struct label_hent[cap]: min-heap of -lower levels */
	uint64_t off_vol;        /* double[vol_n]: rolling returns */
	int64_t  vert_ns;        /* 0 = off */
	double   alpha;          /* EWMA */

	/* ---- state, cleared by label_init */
	uint64_t n;              /* rows pushed */
	int64_t  t_last;
	double   px_last;
	uint64_t head, tail;     /* label sequence numbers: oldest kept, next */
	uint64_t unres;          /* oldest label that may be pending */
	uint64_t vcur;           /* vertical-barrier cursor */
	uint64_t fin;            /* internal row (row + 1) next to make final */
	uint32_t n_up, n_dn;     /* heap sizes */
	int32_t  finished;
	int32_t  c_run;          /* concurrency of the last final row */
	__int128 s_inv_run;      /* prefix sums through the last final row */
	__int128 s_ret_run;
	/* volatility */
	uint64_t n_ret;
	double   ew_mean, ew_var;
	uint32_t ro_pos, pad1;   /* rolling ring: next slot */
	struct label_stats st;
};

#endif /* DM_LIBCORE_LABEL_LABEL_H */
