/*
 * features.h — the 27 features of specs/features.md, computed incrementally
 * from a stream of book updates and trades (docs/features.md).
 *
 * Design note.  One struct feat per stream.  The caller sizes and hands in
 * its memory once (DPDK style):
 *
 *   feat_memsize(&p) bytes  ->  feat_init(f, bytes, &p)  ->  feat_update ...
 *
 * The struct is a fixed header followed, in the same block, by the window
 * rings whose lengths come from the parameters; the header refers to them
 * by byte offsets, never pointers, so the block may sit in a shared
 * segment, be copied, or be mapped elsewhere.  Nothing here allocates,
 * locks or makes a system call after feat_init; feat_update is
 * O(L + K_fd) per book update (L levels, K_fd fracdiff weights, the
 * fracdiff dot product vectorised) and O(1) per trade.
 *
 * Exactness.  Prices are integer ticks and sizes integer lots, so every
 * window sum that can be exact is: OFI, the liquidity regressions, the
 * Bollinger moments and the RSI seed are integer sums (mid as a sum of two
 * ticks, "half ticks").  The two real-valued window sums (r^2 for rv_bps,
 * |r|/V for amihud) are kept in 128-bit fixed point (2^-96 and 2^-80), so
 * adding a value and later removing it leaves no rounding residue: a window
 * that is all zeros again reads exactly 0, however long the stream.
 *
 * Conventions where the spec leaves a choice (docs/features.md lists them):
 *  - A book update with an empty side (n_bid or n_ask 0) emits nothing and
 *    changes no state; trades since the last emitted update stay in the
 *    current liquidity interval.
 *  - The engine's clock never runs back: t = max(event time, last t) over
 *    every event handed in.  The spec's input is time-ordered, so this only
 *    matters for bad input (feeds flag it BOOK_F_OUT_OF_ORDER).
 *  - Trades before the first emitted update feed only the Hawkes state;
 *    liquidity intervals start at update 1.
 *  - A mid <= 0 gives r = 0 and a NaN log (fracdiff NaN while it is in the
 *    window).
 *  - Size-based outputs are in size units: lots x p.lot (OFI, kyle_lambda,
 *    amihud); prices in price units: ticks x p.tick.
 *
 * Threads: a struct feat belongs to one thread at a time.
 */
#ifndef DM_LIBCORE_FEATURES_FEATURES_H
#define DM_LIBCORE_FEATURES_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/config/cfg.h"
#include "libcore/market/event.h"
#include "libcore/types.h"

/* Feature indices: the column order of specs/features.md. */
enum feat_id {
	FEAT_MID = 0,        /* price units */
	FEAT_MICRO_DEV,      /* ticks */
	FEAT_WMID_DEV,       /* ticks */
	FEAT_OFI_1,          /* size units */
	FEAT_OFI_2,
	FEAT_OFI_3,
	FEAT_OFI_ML,
	FEAT_IMB_1,          /* -1..1 */
	FEAT_IMB_L,
	FEAT_IMB_W,
	FEAT_SPREAD_TICKS,   /* ticks */
	FEAT_SPREAD_BPS,     /* basis points of mid */
	FEAT_RV_BPS,         /* basis points */
	FEAT_VELOCITY,       /* ticks per second */
	FEAT_ACCEL,          /* ticks per second^2 */
	FEAT_HAWKES_BUY,     /* 1/s */
	FEAT_HAWKES_SELL,
	FEAT_HAWKES_IMB,     /* -1..1 */
	FEAT_HAWKES_EXCITE,  /* ratio */
	FEAT_KYLE_LAMBDA,    /* ticks per size unit */
	FEAT_AMIHUD,         /* bps per size unit */
	FEAT_RSI,            /* 0..100 */
	FEAT_MACD,           /* ticks */
	FEAT_MACD_HIST,      /* ticks */
	FEAT_BOLL_PCTB,      /* ratio, 0.5 at the mean */
	FEAT_BOLL_WIDTH_BPS, /* basis points of the mean */
	FEAT_FRACDIFF,       /* log price units; NaN until K+1 mids */
	FEAT_N
};
_Static_assert(FEAT_N == 27, "specs/features.md defines 27 features");

/* Every feature, as a mask of bits 1 << enum feat_id (feat_outputs). */
#define FEAT_ALL ((1ull << FEAT_N) - 1)

/* Column names, index = enum feat_id ("mid", "micro_dev", ...). */
extern const char *const feat_names[FEAT_N];

#define FEAT_MAX_LEVELS     20u     /* = EV_MAX_LEVELS */
#define FEAT_MAX_WINDOW     100000u /* any window or period */
#define FEAT_FD_MAX_WEIGHTS 100000u /* fracdiff K + 1 */

/*
 * Which event time is t (YAML features.clock: auto, exchange, receive).
 * Auto is the host's to resolve from its input (feat_params_host: the
 * receive time for Binance, else the exchange time); the engine itself
 * times an unresolved auto by the exchange time.  The values are those of
 * enum replay_clock (libcore/replay/replay.h).
 */
enum feat_clock { FEAT_CLOCK_AUTO = 0, FEAT_CLOCK_EXCH = 1, FEAT_CLOCK_RECV = 2 };

struct feat; /* below, after the API */

/*
 * The engine's parameters, the defaults of specs/features.md.  The
 * configuration's features: section is this struct (struct dm_config
 * embeds it; feat_cfg_keys names each YAML key, its range and its field);
 * tick and lot are the host's (the input's instrument), and so is the
 * resolution of clock auto: feat_params_host fills them.
 */
struct feat_params {
	double   tick;         /* tau: price units per tick (> 0); host; default 1 */
	double   lot;          /* size units per integer size (> 0; 1 = contracts);
	                        * host; default 1 */
	uint32_t levels;       /* L, 1..FEAT_MAX_LEVELS; YAML levels, default 5 */
	uint32_t clock;        /* enum feat_clock: which event time is t; YAML
	                        * clock, default auto */
	uint32_t w_ofi;        /* 1..FEAT_MAX_WINDOW each; YAML ofi_window, 100 */
	uint32_t w_vol;        /* vol_window, 100 */
	uint32_t vel_k;        /* velocity_lag, 10 */
	uint32_t w_liq;        /* liquidity_window, 50 */
	uint32_t rsi_n;        /* rsi_period, 14 */
	uint32_t macd_fast, macd_slow, macd_signal; /* macd.fast, .slow, .signal:
	                        * 12, 26, 9 */
	uint32_t boll_n;       /* bollinger.window, 20 */
	uint32_t pad;
	double   boll_k;       /* > 0; bollinger.k, the spec's 2 */
	double   mu_buy, mu_sell; /* >= 0, 1/s; hawkes.mu_buy, .mu_sell: 0.5 */
	double   alpha;        /* >= 0; hawkes.alpha, 0.7 */
	double   beta;         /* > 0, 1/s; hawkes.beta, 10 */
	double   fd_d;         /* 0..2; fracdiff.d, 0.4 */
	double   fd_thresh;    /* (0, 1]; fracdiff.threshold, 0.0001 */
};

/* The spec's defaults, with tick and lot 1 and the clock auto; the one
 * place the configuration's defaults of features: come from.  Pure. */
void feat_params_default(struct feat_params *p);

/*
 * The keys of the configuration's features: section (conf/default.yaml
 * documents them), relative to struct feat_params: levels, ofi_window,
 * vol_window, velocity_lag, liquidity_window, rsi_period, hawkes: {mu_buy,
 * mu_sell, alpha, beta}, macd: {fast, slow, signal}, bollinger: {window,
 * k}, fracdiff: {d, threshold}, clock.  Decimals take at most 6 decimals.
 */
extern const struct cfg_key feat_cfg_keys[];

/*
 * Fill the host's part of parameters p taken from the configuration: the
 * input's tick (price units per tick) and lot (size units per lot), and a
 * clock auto resolved to the receive time when auto_recv (a Binance
 * input), else the exchange time; an explicit clock stays.  Pure.
 */
void feat_params_host(struct feat_params *p, double tick, double lot, int auto_recv);

/*
 * Check every field.  Returns 0, or -EINVAL with one line naming the
 * field in err (errlen bytes; may be NULL).  Pure.
 */
int feat_params_check(const struct feat_params *p, char *err, size_t errlen);

/* Number of fracdiff weights (K + 1) for d and threshold, counting at most
 * FEAT_FD_MAX_WEIGHTS + 1.  Pure. */
uint32_t feat_fd_count(double d, double thresh);

/*
 * Bytes feat_init needs for p (header and rings, 64-byte multiple), or 0
 * when p fails feat_params_check.  Pure.
 */
size_t feat_memsize(const struct feat_params *p);

/*
 * Lay out an engine over mem (size bytes, 64-byte aligned, owned by the
 * caller and untouched by anyone else while in use) and reset it to "no
 * event seen".  Returns 0, -EINVAL (bad params or misaligned mem) or
 * -ENOSPC (size < feat_memsize).  No allocation.  Start-up code: O(size).
 */
int feat_init(struct feat *f, size_t size, const struct feat_params *p);

/* Forget every event, keep the parameters (a new stream).  O(size). */
void feat_reset(struct feat *f);

/*
 * Hand one event to the engine.  For a book update with both sides
 * non-empty writes the 27 features into out[FEAT_N] (enum feat_id order)
 * and returns 1; for a trade, a book update with an empty side or any
 * other kind, updates what it must and returns 0 (out untouched).  The
 * event's time is exch_ns or recv_ns per p.clock.  Levels past p.levels
 * are ignored.  No allocation, no system call; the owning thread only.
 */
int feat_update(struct feat *f, const struct event *ev, double out[FEAT_N]);

/* The same for a book update given by parts: t_ns (already the chosen
 * clock), levels best first, n_bid / n_ask present (only the first
 * p.levels of each are read).  Returns 1 and fills out, or 0 for an empty
 * side. */
int feat_on_book(struct feat *f, int64_t t_ns, const struct book_level *bid,
		 uint32_t n_bid, const struct book_level *ask, uint32_t n_ask,
		 double out[FEAT_N]);

/*
 * feat_on_book in two halves, for a host that does not read every vector
 * (dm-backtest's strategy drops most on one feature): feat_book_update
 * moves the state as feat_on_book does and returns 1 when the update
 * emits a vector (both sides non-empty), 0 otherwise; feat_outputs then
 * writes the features of that vector whose bit (1 << enum feat_id) is in
 * want (FEAT_ALL: all; features computed together may be written beside
 * them) into out, bit for bit what feat_on_book writes.  The vector is the
 * last update's: call feat_outputs before the next event (a trade moves
 * the Hawkes state).  feat_outputs reads only; neither allocates.
 */
int feat_book_update(struct feat *f, int64_t t_ns, const struct book_level *bid,
		     uint32_t n_bid, const struct book_level *ask, uint32_t n_ask);
void feat_outputs(const struct feat *f, uint64_t want, double out[FEAT_N]);

/* A trade at t_ns: qty lots, aggressor +1 buy, -1 sell, anything else
 * unknown (unsigned volume only, no Hawkes process).  O(1). */
void feat_on_trade(struct feat *f, int64_t t_ns, int64_t qty, int aggressor);

/* Book updates that emitted a vector since init or reset. */
uint64_t feat_count(const struct feat *f);

/* t_ns of the last emitted vector (the engine clock at that update). */
int64_t feat_last_t_ns(const struct feat *f);

/* ------------------------------------------------------------ private
 * The header is public only so callers can place it; do not touch. */

struct feat_vel {          /* velocity ring entry */
	int64_t t_ns;
	int64_t mid2;          /* a_1 + b_1, ticks */
	double  vel;
	double  pad;
};

struct feat_liq {          /* liquidity ring entry: one interval */
	int64_t  v;            /* signed traded lots */
	int64_t  dm2;          /* 2 x mid change, ticks */
	__int128 ami_q;        /* 1e4 |r| / V in 2^-80 units, 0 when V = 0 */
	uint32_t has_vol;      /* V > 0 */
	uint32_t pad[3];
};

struct feat {
	struct feat_params p;
	uint64_t size;           /* bytes of the block */
	/* ring offsets from the start of the struct, bytes */
	uint64_t off_ofi;        /* int64_t[w_ofi][levels]: e_k per update */
	uint64_t off_vol;        /* __int128[w_vol]: r^2 in 2^-96 */
	uint64_t off_vel;        /* struct feat_vel[vel_k] */
	uint64_t off_liq;        /* struct feat_liq[w_liq] */
	uint64_t off_boll;       /* int64_t[boll_n]: mid2 */
	uint64_t off_fdw;        /* double[n_fd]: weights, oldest first */
	uint64_t off_fdx;        /* double[2 n_fd]: ln mid, written twice */
	uint32_t n_fd;           /* fracdiff weights K + 1 */
	uint32_t simd;           /* 1: the CPU has AVX2 (same results either way) */
	double   ofi_w[FEAT_MAX_LEVELS]; /* 1/k */
	double   ofi_wsum;       /* sum of ofi_w[0..L-1] */
	double   a_fast, a_slow, a_sig; /* EMA constants */

	/* ---- state, cleared by feat_reset from here on */
	uint64_t n;              /* emitted updates */
	int64_t  clock_ns;       /* max event time seen */
	int64_t  t_last;         /* time of the last emitted update */
	uint64_t n_trades;
	int64_t  bpx[FEAT_MAX_LEVELS], bq[FEAT_MAX_LEVELS]; /* last update, filled */
	int64_t  apx[FEAT_MAX_LEVELS], aq[FEAT_MAX_LEVELS];
	int64_t  mid2;           /* last mid x 2, ticks */
	int64_t  mid2_0;         /* first */
	int64_t  t_0;
	double   ln_mid;         /* ln(mid) of the last update, price units */
	/* OFI */
	int64_t  ofi_sum[FEAT_MAX_LEVELS];
	uint32_t ofi_pos, vol_pos, vel_pos, liq_pos, boll_pos, fd_pos;
	/* volatility */
	__int128 rv_q;
	/* liquidity: the interval being filled, then the window sums */
	int64_t  cur_v, cur_vol;
	int64_t  liq_sv, liq_sd;
	__int128 liq_svv, liq_svd, ami_q;
	uint64_t liq_n;          /* intervals seen */
	uint64_t ami_cnt;        /* intervals in the window with V > 0 */
	/* Hawkes: excess intensities at hk_t_ns */
	double   hk_ex_buy, hk_ex_sell;
	int64_t  hk_t_ns;
	/* RSI */
	uint64_t rsi_seen;
	int64_t  rsi_gain0, rsi_loss0; /* sums of the first N changes, half ticks */
	double   rsi_gain, rsi_loss;   /* Wilder averages, half ticks */
	/* MACD on mid2 - mid2_0 */
	double   ema_fast, ema_slow, ema_sig;
	/* Bollinger */
	int64_t  boll_sum;
	__int128 boll_sq;
	uint64_t boll_cnt;
	/* fracdiff */
	uint64_t fd_seen;
	/* the last update's acceleration, (vel - vel_m) / vel_dt (0 when
	 * vel_dt is 0), made by feat_outputs; its velocity is in its slot */
	double   vel_m, vel_dt;
};

#endif /* DM_LIBCORE_FEATURES_FEATURES_H */
