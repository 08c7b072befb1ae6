/*
 * mm.h — the optimal quotes of a market maker from the HJB solutions
 * (docs/strategies.md): Avellaneda and Stoikov (2008) with a horizon,
 * Guéant, Lehalle and Fernandez-Tapia (2013) with inventory bounds and
 * no hard horizon, the fill intensity they share, and an online
 * estimate of the mid's volatility.
 *
 * Units: prices and distances in one unit of the caller's choice (points
 * or ticks: the same for s, sigma and delta), time in the unit of sigma^2
 * (sigma^2 is a variance per unit of time; tau in that unit), gamma in
 * 1 / price unit, k in 1 / price unit, A in fills per unit of time.
 *
 * Avellaneda-Stoikov (their eq. 29-30, the "inventory strategy"):
 *   reservation price  r = s - q gamma sigma^2 tau            (tau = T - t)
 *   total spread       d_a + d_b = gamma sigma^2 tau + (2/gamma) ln(1 + gamma/k)
 *   bid = r - spread/2, ask = r + spread/2
 * Their benchmark, the "symmetric strategy": the same spread around s.
 *
 * Guéant-Lehalle-Fernandez-Tapia (their asymptotic closed form, eq. for
 * delta^b_infinity and delta^a_infinity), c = sqrt(sigma^2 gamma / (2 k A)
 * (1 + gamma/k)^(1 + k/gamma)):
 *   d_b(q) = (1/gamma) ln(1 + gamma/k) + (2q + 1)/2 c    (no bid at q = +Q)
 *   d_a(q) = (1/gamma) ln(1 + gamma/k) - (2q - 1)/2 c    (no ask at q = -Q)
 *   bid = s - d_b, ask = s + d_a
 *
 * Fill intensity of a quote at distance d from the mid: lambda = A exp(-k d).
 *
 * Pure functions and a small value type; no allocation; any thread.
 */
#ifndef DM_LIBCORE_CONTROL_MM_H
#define DM_LIBCORE_CONTROL_MM_H

#include <stdint.h>

/* Reservation price s - q gamma sigma^2 tau.  tau < 0 counts as 0. */
double mm_as_reservation(double s, double q, double gamma, double sigma, double tau);

/*
 * Total optimal spread gamma sigma^2 tau + (2/gamma) ln(1 + gamma/k)
 * (tau < 0 counts as 0).  gamma -> 0 gives the limit 2/k.  NaN for
 * k <= 0 or gamma < 0.
 */
double mm_as_spread(double gamma, double sigma, double tau, double k);

/* The half-spread term (1/gamma) ln(1 + gamma/k) (1/k as gamma -> 0). */
double mm_base_half_spread(double gamma, double k);

struct mm_quotes {
	double bid, ask;      /* prices */
	int    has_bid, has_ask; /* 0: that side is not quoted */
};

/* Avellaneda-Stoikov quotes around r (above): both sides quoted. */
void mm_as_quotes(double s, double q, double gamma, double sigma, double tau,
		  double k, struct mm_quotes *out);

/* The GLFT constant c above (NaN for a parameter out of range). */
double mm_glft_c(double gamma, double sigma, double k, double A);

/*
 * GLFT quotes for inventory q in [-qmax, qmax] (qmax > 0): the side that
 * would take q beyond the bound is not quoted.  NaN prices for
 * parameters out of range (gamma <= 0, k <= 0, A <= 0, sigma < 0).
 */
void mm_glft_quotes(double s, double q, double qmax, double gamma, double sigma,
		    double k, double A, struct mm_quotes *out);

/* A exp(-k d): the fill intensity of a quote d from the mid. */
double mm_intensity(double A, double k, double d);

/*
 * Online volatility of a mid x(t): an exponentially weighted mean of
 * (dx)^2 / dt over the changes of x, with weight w = 1 - 2^(-dt / halflife)
 * for each new observation (a change after a long quiet spell weighs
 * more).  The mean is normalised by the weights' own decayed sum
 * (S <- (1-w) S + w obs, W <- (1-w) W + w, var_rate = S / W), so its
 * first observations are not pulled toward a start value.  var_rate is
 * sigma^2 in x units^2 per nanosecond.
 */
struct mm_vol {
	double  var_rate;     /* sigma^2 per ns; 0 until primed */
	double  sum, weight;  /* S and W above */
	double  last_x;
	int64_t last_ns;
	int64_t halflife_ns;  /* > 0 */
	uint64_t n;           /* observations taken (changes of x) */
};

/* Start an estimator with the half-life (ns, > 0) and a prior sigma^2 per
 * ns (0: none: the first change sets it; a prior weighs as one
 * observation of a full half-life's weight, 1/2). */
void mm_vol_init(struct mm_vol *v, int64_t halflife_ns, double prior_var_rate);

/* Observe x at t_ns (non-decreasing).  The first call only records x;
 * a later one with dt <= 0 updates x without a rate. */
void mm_vol_update(struct mm_vol *v, double x, int64_t t_ns);

/* sigma per sqrt(unit) for a unit of unit_ns nanoseconds: sqrt(var_rate * unit_ns). */
double mm_vol_sigma(const struct mm_vol *v, double unit_ns);

#endif /* DM_LIBCORE_CONTROL_MM_H */
