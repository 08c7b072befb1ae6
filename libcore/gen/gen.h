/*
 * gen.h — a synthetic WIN-like L2 market: Hawkes order flow acting on a
 * price-level book, turned into the normalized events of event.h.
 *
 * Design note (docs/market-model.md has the full model and calibration).
 *
 * Order flow.  Six event types, in this order everywhere (arrays,
 * parameter files, truth JSON):
 *
 *   0 limit_buy  1 limit_sell  2 cancel_buy  3 cancel_sell
 *   4 market_buy 5 market_sell
 *
 * arrive as a 6-dimensional Hawkes process with exponential kernels
 * (hawkes.h: alpha[excited][exciting], decay beta per excited type).
 * The process is never thinned or changed by the book, so its true
 * parameters are exactly those of gen_params.hawkes: a fitter can be
 * checked against them.
 *
 * Book.  Per side, GEN_DEPTH consecutive ticks from the best outwards,
 * q[side][k] contracts at best -/+ k ticks (bid / ask); q[side][0] > 0
 * always, deeper slots may be 0 (a gap).  One order-flow event changes it:
 *
 *   limit    size from limit_size.  If the spread is wider than one tick,
 *            with probability improve_prob it opens a new best one tick
 *            inside the spread; otherwise it joins the level d ticks behind
 *            its side's best, P(d) ~ place_decay^d, d < place_levels.
 *   cancel   a contract resting within place_levels ticks of the best is
 *            picked uniformly (so a level with probability proportional to
 *            its size); a share of that level uniform in
 *            (0, 2 * cancel_share] goes, at least one contract.  Cancelled
 *            volume grows with the queue, which keeps the depth stationary
 *            while the number of cancels stays the Hawkes count.
 *   market   size from market_size; walks the opposite side best first,
 *            at most max_walk non-empty levels, one trade print per level
 *            hit (aggregated per level, not per resting order); what is
 *            left after max_walk levels is dropped (market_unfilled), as a
 *            B3 market order with price protection would be.
 *
 * When a side's best level empties the side's best moves to the next
 * non-empty tick and as many new levels appear at the back, each with a
 * size uniform in [refill_min, refill_max]: no side is ever empty and
 * limit prices never cross (a buy rests at most at best ask - 1 tick).
 *
 * Output.  Per order-flow event: for a market order its trades (aggressor
 * +1 buy / -1 sell, trade_id 1, 2, ...), then one EV_BOOK event with the
 * top `levels` non-empty levels per side, all with the same exch_ns and
 * recv_ns.  So book events correspond one to one to order-flow events
 * (with levels < place_levels an order may change only levels below the
 * top `levels`; its book event then repeats the previous one).
 *
 * Time.  Hawkes time t (seconds) runs from -warmup_s; events before 0
 * shape the book and are not returned.  t = 0 is the open of the B3 day
 * session on the start date; the session's seconds map one to one onto
 * t, and at its close the next session day (calendar.h) continues it, so
 * exch_ns = open_ns + (t - session start) * 1e9, always inside
 * [open, close).  recv_ns = exch_ns + a latency uniform in
 * [latency_min_ns, latency_max_ns] from its own random stream, raised if
 * needed so recv_ns never goes back (a FIFO feed).
 *
 * Mid dynamics (mid_model).  GEN_MID_HAWKES: the flow alone moves the
 * book, as described above.  GEN_MID_GBM and GEN_MID_ABM: a simulated mid
 * S(t) in points follows, in Hawkes time (seconds),
 *
 *   GBM  dS = mu S dt + sigma S dW   S(t+h) = S(t) exp((mu - sigma^2/2) h + sigma sqrt(h) Z)
 *   ABM  dS = mu dt + sigma dW       S(t+h) = S(t) + mu h + sigma sqrt(h) Z
 *
 * (Z standard normal; both steps exact for any h), from the opening mid
 * start_px - 1/2 tick at t = -warmup_s, kept above 2 GEN_DEPTH ticks (an
 * ABM path that would go below stays there).  Before each order-flow event
 * the mid is moved to the event's time and the whole book (both sides,
 * queues unchanged) is shifted by the whole number of ticks that brings
 * its mid (best bid + best ask) / 2 nearest to S; the event then acts on
 * the shifted book.  So limits, cancels and trades happen around the
 * simulated mid, the book mid stays within half a tick of S plus what
 * one event moves it, and the flow's own price impact does not
 * accumulate.  The mid draws from a fourth stream of its own, so the
 * order-flow times and types are those of the same seed under
 * GEN_MID_HAWKES.
 *
 * Determinism.  Three xoshiro256** streams derived from the seed (flow,
 * book, latency; a fourth, mid, under GEN_MID_GBM / GEN_MID_ABM): the same parameters and seed give byte-identical events
 * on the same build; changing the book parameters leaves the order-flow
 * times and types unchanged.
 *
 * Memory: struct gen is fixed-size (about 6 KiB), owned by the caller;
 * nothing here allocates, locks or makes a system call after gen_init.
 * One thread per struct gen.
 */
#ifndef DM_LIBCORE_GEN_GEN_H
#define DM_LIBCORE_GEN_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/market/calendar.h"
#include "libcore/market/event.h"
#include "libcore/gen/hawkes.h"
#include "libcore/gen/rng.h"
#include "libcore/types.h"

enum gen_type {
	GEN_LIMIT_BUY   = 0,
	GEN_LIMIT_SELL  = 1,
	GEN_CANCEL_BUY  = 2,
	GEN_CANCEL_SELL = 3,
	GEN_MARKET_BUY  = 4,
	GEN_MARKET_SELL = 5,
	GEN_NTYPES      = 6
};

#define GEN_DEPTH      64u /* ticks of book kept per side */
#define GEN_MAX_PLACE  20u /* most place_levels */
#define GEN_MAX_SIZES  16u /* most values of a size distribution */

/* A discrete distribution of sizes: qty[i] contracts with probability
 * prob[i] / sum(prob). */
struct gen_size_dist {
	uint32_t n;                    /* values used, 1..GEN_MAX_SIZES */
	uint32_t pad;
	int64_t  qty[GEN_MAX_SIZES];   /* contracts, > 0 */
	double   prob[GEN_MAX_SIZES];  /* weights, >= 0, positive sum */
};

enum gen_mid {
	GEN_MID_HAWKES = 0, /* the flow alone moves the book (default) */
	GEN_MID_GBM    = 1, /* geometric Brownian mid */
	GEN_MID_ABM    = 2  /* arithmetic Brownian mid */
};

struct gen_params {
	struct hawkes_params hawkes;   /* dim GEN_NTYPES, enum gen_type order; 1/s */
	int64_t  tick_pts;             /* index points per tick: WIN 5 */
	int64_t  start_px;             /* first best ask, ticks; best bid 1 tick below */
	uint32_t levels;               /* levels per side in a book event, 1..EV_MAX_LEVELS */
	uint32_t place_levels;         /* limits rest / cancels hit within this many ticks of the best */
	double   place_decay;          /* P(limit d ticks behind best) ~ place_decay^d, (0, 1] */
	double   improve_prob;         /* spread > 1 tick: P(limit opens a better level), [0, 1] */
	uint32_t max_walk;             /* levels one market order may take, 1..GEN_DEPTH */
	uint32_t pad;
	double   cancel_share;         /* mean share of its level a cancel removes, (0, 0.5] */
	struct gen_size_dist limit_size;  /* limit order sizes, contracts */
	struct gen_size_dist market_size; /* market order sizes, contracts */
	int64_t  refill_min;           /* size of a new back level, contracts, >= 1 */
	int64_t  refill_max;           /* ... uniform in [refill_min, refill_max] */
	int64_t  latency_min_ns;       /* recv_ns - exch_ns, uniform, 0..1 s */
	int64_t  latency_max_ns;
	double   warmup_s;             /* model time run before the first open, s, 0..86400 */
	uint32_t mid_model;            /* enum gen_mid */
	uint32_t pad2;
	double   mid_mu;               /* drift: GBM per s, ABM points per s */
	double   mid_sigma;            /* volatility, >= 0: GBM per sqrt(s), ABM points per sqrt(s) */
};

/* The order-flow event behind the events gen_next returns. */
struct gen_order {
	uint64_t seq;       /* 1, 2, ... counting returned (post-warm-up) orders */
	uint32_t type;      /* enum gen_type */
	uint32_t levels;    /* market: levels hit */
	double   t_s;       /* Hawkes time, s (0 = first open) */
	int64_t  exch_ns;
	int64_t  px;        /* limit: its price; cancel: the level; market: first level hit; ticks */
	int64_t  qty;       /* contracts asked */
	int64_t  done;      /* contracts added, cancelled or traded */
};

struct gen_stats {
	uint64_t events;          /* returned by gen_next */
	uint64_t book_events;
	uint64_t trades;
	uint64_t orders[GEN_NTYPES]; /* returned order-flow events by type */
	uint64_t warmup_orders;   /* order-flow events before t = 0 */
	uint64_t traded_qty;      /* contracts */
	uint64_t market_unfilled; /* contracts dropped past max_walk levels */
	uint64_t improves;        /* limits that opened a level inside the spread */
	uint64_t best_moves;      /* changes of the best bid or best ask */
	uint64_t spread1_books;   /* book events with a one-tick spread */
	uint64_t sessions;        /* session days entered */
	int64_t  px_min, px_max;  /* trade prices, ticks (0 before the first trade) */
};

struct gen {
	struct gen_params p;
	struct calendar cal;
	struct hawkes hk;
	struct rng r_flow, r_book, r_lat, r_mid;
	double   mid_pts;         /* simulated mid, points (NAN under GEN_MID_HAWKES) */
	double   mid_t;           /* its Hawkes time, s */
	uint64_t seed;
	dm_date_t day;            /* current session day */
	uint32_t pad;
	int64_t  open_ns, close_ns; /* its session, UTC ns */
	double   day_t0;          /* Hawkes time of its open, s */
	double   day_len_s;
	int64_t  best[2];         /* [BOOK_BID], [BOOK_ASK], ticks */
	int64_t  q[2][GEN_DEPTH];
	double   place_cdf[GEN_MAX_PLACE];
	/* events of the current order not returned yet */
	uint32_t n_pend, i_pend, book_pend, pad2;
	struct ev_trade pend[GEN_DEPTH];
	int64_t  exch_ns, recv_ns; /* of the current order */
	uint64_t trade_id;
	struct gen_order order;
	struct gen_stats st;
};

/* "hawkes", "gbm", "abm"; "?" out of range. */
const char *gen_mid_name(uint32_t mid_model);

/* The enum gen_mid of a name above: 0 with *out set, or -1. */
int gen_mid_parse(const char *name, uint32_t *out);

/*
 * One exact step of the mid over h >= 0 seconds (model GEN_MID_GBM or
 * GEN_MID_ABM; s in points, mu and sigma in the units of gen_params),
 * with z a standard normal draw.  Pure.
 */
double gen_mid_step(uint32_t mid_model, double mu, double sigma, double s, double h,
		    double z);

/* Name of a type ("limit_buy" ...), or "?" out of range. */
const char *gen_type_name(uint32_t type);

/*
 * The default parameters: a WIN-like market near 130,000 points
 * calibrated against the WING22 1-minute bars (docs/market-model.md).
 * Pure.
 */
void gen_params_default(struct gen_params *p);

/*
 * Check every field (ranges above, hawkes_check for the flow).  Returns 0
 * or -DM_ECONFIG with one line naming the field in err (errlen bytes).
 * Pure.
 */
int gen_params_check(const struct gen_params *p, char *err, size_t errlen);

/*
 * Start a market on the session of `date` (a session day of cal) from
 * seed: book one tick wide at start_px with every level at a refill size,
 * then warmup_s of flow.  Copies p and cal.  Returns 0, -DM_ECONFIG (bad
 * parameters, message in err) or -ENOENT (date has no session; message in
 * err).  No allocation; start-up code (the warm-up costs its events).
 */
int gen_init(struct gen *g, const struct gen_params *p, uint64_t seed,
	     const struct calendar *cal, dm_date_t date, char *err, size_t errlen);

/*
 * The next event into *ev (every byte written, padding zeroed): the
 * trades of the current order, then its book event, then the next
 * order's.  The stream never ends.  No allocation, no system call;
 * O(levels + GEN_DEPTH) per order at most.
 */
void gen_next(struct gen *g, struct event *ev);

/* The order-flow event behind the event gen_next returned last. */
static inline const struct gen_order *gen_last_order(const struct gen *g)
{
	return &g->order;
}

static inline const struct gen_stats *gen_stats(const struct gen *g)
{
	return &g->st;
}

/* The simulated mid now (points; NAN under GEN_MID_HAWKES). */
static inline double gen_mid_pts(const struct gen *g) { return g->mid_pts; }

/* Best bid / ask of the model book now, ticks. */
static inline int64_t gen_best_bid(const struct gen *g) { return g->best[0]; }
static inline int64_t gen_best_ask(const struct gen *g) { return g->best[1]; }

#endif /* DM_LIBCORE_GEN_GEN_H */
