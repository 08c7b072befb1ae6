/*
 * mm_sim.h — the numerical experiment of Avellaneda and Stoikov (2008),
 * "High-frequency trading in a limit order book", section 4: a market
 * maker quoting around a Brownian mid for one horizon, its quotes hit by
 * Poisson order flow of intensity A exp(-k delta) (docs/strategies.md,
 * "The paper's simulation").
 *
 * Model, one path (t_i = i dt, i = 0 .. N-1, N = round(T / dt)):
 *
 *   quotes   from s(t_i), q(t_i), tau = T - t_i:
 *              inventory  mm_as_quotes (mm.h): r = s - q gamma sigma^2 tau,
 *                         bid/ask = r -/+ spread/2
 *              symmetric  bid/ask = s -/+ S/2, S a constant spread: the
 *                         inventory strategy's mean spread over the steps
 *                         unless the caller sets one
 *            the spread is the paper's eq. 30 in full,
 *            gamma sigma^2 tau + (2/gamma) ln(1 + gamma/k), or with
 *            MM_SIM_SPREAD_CONSTANT only its second term (the paper's
 *            tables report that term as the strategies' "average spread")
 *   mid      s(t_{i+1}) = s(t_i) +/- sigma sqrt(dt), each with probability
 *            1/2 (the paper's binomial step)
 *   fills    bid and ask independently, each with probability
 *            min(1, A exp(-k delta) dt), delta = s - bid or ask - s; s is
 *            the mid after the step's move (MM_SIM_FILL_NEW_MID: an order
 *            arriving during the step meets the moved mid) or before it
 *            (MM_SIM_FILL_OLD_MID).  A bid fill: q += 1, x -= bid; an ask
 *            fill: q -= 1, x += ask.
 *   profit   x + q s at T.
 *
 * Random numbers: path j draws its mid moves from stream 2j and its fills
 * from stream 2j + 1 of the seed (libcore/gen/rng.h), so the two
 * strategies and every gamma meet the same mid paths (common random
 * numbers) and a run is reproducible from its seed alone.
 *
 * Pure: no allocation, no I/O; memory is the caller's; any thread, one
 * thread per call.
 */
#ifndef DM_LIBCORE_CONTROL_MM_SIM_H
#define DM_LIBCORE_CONTROL_MM_SIM_H

#include <stddef.h>
#include <stdint.h>

enum mm_sim_strategy { MM_SIM_INVENTORY = 0, MM_SIM_SYMMETRIC = 1 };
enum mm_sim_spread   { MM_SIM_SPREAD_FULL = 0, MM_SIM_SPREAD_CONSTANT = 1 };
enum mm_sim_fill_mid { MM_SIM_FILL_NEW_MID = 0, MM_SIM_FILL_OLD_MID = 1 };

struct mm_sim_params {
	double   s0;          /* first mid, price units */
	double   T;           /* horizon, time units, > 0 */
	double   sigma;       /* mid volatility, price / sqrt(time), >= 0 */
	double   dt;          /* step, (0, T] */
	double   A;           /* fills per unit time at delta 0, > 0 */
	double   k;           /* 1 / price, > 0 */
	double   gamma;       /* risk aversion, 1 / price, > 0 */
	int      spread;      /* enum mm_sim_spread */
	int      fill_mid;    /* enum mm_sim_fill_mid */
	double   sym_spread;  /* symmetric strategy's spread; <= 0: the inventory mean */
	uint64_t paths;       /* >= 1 */
	uint64_t seed;
};

/* The paper's values: s0 100, T 1, sigma 2, dt 0.005, A 140, k 1.5,
 * gamma 0.1, full spread, fills at the new mid, 1000 paths, seed 1. */
void mm_sim_params_default(struct mm_sim_params *p);

/* 0, or -DM_ECONFIG with "field = value: must be ..." in err. */
int mm_sim_params_check(const struct mm_sim_params *p, char *err, size_t errlen);

/* Steps of a path: round(T / dt), at least 1. */
uint64_t mm_sim_steps(const struct mm_sim_params *p);

/* The inventory strategy's total spread at step i (the spread option
 * applied; no inventory term in a spread). */
double mm_sim_spread_at(const struct mm_sim_params *p, uint64_t i);

/* Its mean over the N steps: the symmetric strategy's default spread. */
double mm_sim_mean_spread(const struct mm_sim_params *p);

/* min(1, max(0, A exp(-k delta) dt)): a quote's fill probability in one step. */
double mm_sim_fill_prob(double A, double k, double delta, double dt);

/* The end of one path. */
struct mm_sim_path {
	double   profit;      /* x + q s at T */
	double   x, s;        /* cash, last mid */
	int64_t  q;           /* inventory at T */
	uint64_t bid_fills, ask_fills;
	double   spread_sum;  /* sum over the steps of the quoted ask - bid */
};

/*
 * Simulate path `path` (0-based; its random streams as above) of strategy
 * (enum mm_sim_strategy) with the symmetric spread sym (used by
 * MM_SIM_SYMMETRIC only) into *out.  O(N); no allocation.
 */
void mm_sim_path_run(const struct mm_sim_params *p, int strategy, double sym,
		     uint64_t path, struct mm_sim_path *out);

/* The table row of one strategy over p->paths paths. */
struct mm_sim_stats {
	int      strategy;
	uint64_t paths, steps;
	double   spread;               /* mean quoted spread over steps and paths */
	double   profit_mean, profit_std;  /* std: sample (n - 1) */
	double   q_mean, q_std;
	double   fills_mean;           /* bid + ask fills per path */
};

/*
 * Run p->paths paths of strategy and summarise them into *out (Welford
 * sums: no memory beyond *out).  Returns 0 or -DM_ECONFIG (bad p, message
 * in err).  O(paths * N).
 */
int mm_sim_run(const struct mm_sim_params *p, int strategy, struct mm_sim_stats *out,
	       char *err, size_t errlen);

/* "inventory" / "symmetric", "?" otherwise. */
const char *mm_sim_strategy_name(int strategy);

#endif /* DM_LIBCORE_CONTROL_MM_SIM_H */
