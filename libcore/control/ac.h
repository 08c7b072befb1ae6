/*
 * ac.h — optimal execution of Almgren and Chriss (2000), "Optimal
 * execution of portfolio transactions", J. Risk 3(2): the trajectory that
 * sells (or buys) X units over N intervals of length tau = T / N with the
 * least expected cost plus lambda times its variance (docs/execution.md,
 * "Almgren-Chriss").
 *
 * The model (their section 2, discrete form).  Holdings x_0 = X, ...,
 * x_N = 0 at times t_j = j tau; the trade of interval j is
 * n_j = x_{j-1} - x_j.  The price moves by sigma per sqrt(time unit) and
 * by a permanent impact gamma per unit traded; a trade of n_j in an
 * interval pays a temporary impact h(n_j / tau) = epsilon sgn(n_j) +
 * (eta / tau) n_j per unit.  Then (their eq. 5 and 6)
 *
 *   E(x) = 1/2 gamma X^2 + epsilon sum |n_j| + (eta~ / tau) sum n_j^2
 *   V(x) = sigma^2 sum_{j=1..N} tau x_j^2
 *   eta~ = eta - gamma tau / 2                         (must be > 0)
 *
 * and the minimiser of E + lambda V (their eq. 18-19) is
 *
 *   x_j = X sinh(kappa (T - t_j)) / sinh(kappa T)
 *   cosh(kappa tau) = 1 + kappa~^2 tau^2 / 2,  kappa~^2 = lambda sigma^2 / eta~
 *
 * lambda = 0 gives kappa = 0 and the straight line x_j = X (1 - j/N)
 * (TWAP); a large lambda trades most of X in the first interval.
 *
 * Units: whatever the caller picks, consistently: prices (sigma, gamma,
 * eta, epsilon) in one money unit per unit traded (the house: ticks per
 * contract), time (tau, T) in the unit of sigma^2 (the house: seconds),
 * lambda in 1 / money unit.
 *
 * Integer slices (ac_slices): contracts are whole, so the holdings x_j are
 * rounded to the nearest integer (half up) and the slices are the
 * differences of the rounded holdings.  x_0 = X and x_N = 0 are exact, so
 * the slices always sum to X; x_j is monotone, so every slice has the sign
 * of X, and each rounded holding is within 1/2 of the real one (a slice
 * within 1 of its real size).  Rounding the holdings, not each trade, keeps
 * errors from adding up.
 *
 * Pure functions on caller memory; no allocation, no I/O; any thread.
 */
#ifndef DM_LIBCORE_CONTROL_AC_H
#define DM_LIBCORE_CONTROL_AC_H

#include <stdint.h>

#define AC_MAX_SLICES 256u  /* N of ac_slices and of the configurations */

struct ac_params {
	double eta;      /* temporary impact, money per unit per (unit / time), > gamma tau / 2 */
	double epsilon;  /* fixed temporary cost per unit traded (half-spread, fees), >= 0 */
	double gamma;    /* permanent impact, money per unit per unit traded, >= 0 */
	double sigma;    /* volatility, money per unit per sqrt(time), >= 0 */
	double lambda;   /* risk aversion, 1 / money, >= 0 */
};

/*
 * kappa of the trajectory for intervals of length tau (> 0): 0 when
 * lambda sigma^2 = 0.  Returns 0, or -EINVAL for a parameter out of range
 * (NaN, a negative one, tau <= 0, eta~ <= 0).
 */
int ac_kappa(const struct ac_params *p, double tau, double *kappa);

/*
 * The optimal holdings x[0..n] (n + 1 values, x[0] = X, x[n] = 0) for
 * X units (either sign: a negative X is a short to buy back, the same
 * curve mirrored) over n >= 1 intervals in horizon T > 0.  Computed in a
 * form that does not overflow for a large kappa T.  Returns 0, or
 * -EINVAL (parameters as ac_kappa, n = 0).
 */
int ac_holdings(const struct ac_params *p, double X, uint32_t n, double T, double *x);

/*
 * The same rounded to whole units (above): hold[0..n] with hold[0] = X,
 * hold[n] = 0, non-increasing in |.|; slice j (1..n) is hold[j-1] -
 * hold[j].  n <= AC_MAX_SLICES.  Returns 0 or -EINVAL.
 */
int ac_slices(const struct ac_params *p, int64_t X, uint32_t n, double T, int64_t *hold);

/* Expected cost and variance of a trajectory. */
struct ac_cost {
	double e;  /* E(x), money */
	double v;  /* V(x), money^2 */
};

/*
 * E and V (above) of any trajectory x[0..n] with intervals of length
 * tau: x[0] is X (the permanent term uses it), x[n] should be 0.  The
 * objective is e + lambda v.  Does not check the parameters.
 */
void ac_cost_of(const struct ac_params *p, const double *x, uint32_t n, double tau,
		struct ac_cost *out);

/*
 * E and V of the optimal trajectory of X > 0 in closed form (their eq.
 * 20; epsilon X for the fixed cost):
 *   E = 1/2 gamma X^2 + epsilon X + eta~ X^2 tanh(kappa tau / 2)
 *       (tau sinh(2 kappa T) + 2 T sinh(kappa tau)) / (2 tau^2 sinh^2(kappa T))
 *   V = 1/2 sigma^2 X^2 (tau sinh(kappa T) cosh(kappa (T - tau))
 *       - T sinh(kappa tau)) / (sinh^2(kappa T) sinh(kappa tau))
 * with their limits for kappa -> 0 (E = 1/2 gamma X^2 + epsilon X +
 * eta~ X^2 / T, V = 1/3 sigma^2 X^2 T (1 - 1/N) (1 - 1/(2N))).  Returns 0
 * or -EINVAL.
 */
int ac_cost_optimal(const struct ac_params *p, double X, uint32_t n, double T,
		    struct ac_cost *out);

#endif /* DM_LIBCORE_CONTROL_AC_H */
