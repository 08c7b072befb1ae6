/*
 * test_ac.c — Almgren-Chriss optimal execution (libcore/control/ac.h)
 * against the closed form worked by hand, a brute-force minimisation of
 * E + lambda V over every trajectory of a grid, and its limits (lambda ->
 * 0 the straight line, a large lambda front-loaded).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "libcore/control/ac.h"

/* eta 0.5, gamma 0.2, sigma 1, lambda 0.3, X 10 over T 4 in N 4:
 *   tau = 1, eta~ = 0.5 - 0.2 / 2 = 0.4, kappa~^2 = 0.3 / 0.4 = 0.75,
 *   cosh(kappa) = 1 + 0.75 / 2 = 1.375, kappa = ln(1.375 + sqrt(1.375^2 - 1))
 *   = ln(2.318729...) = 0.841019322...
 *   x_j = 10 sinh(kappa (4 - j)) / sinh(4 kappa):
 *   sinh(4k) = 2 sinh(2k) cosh(2k); cosh(2k) = 2 * 1.375^2 - 1 = 2.78125,
 *   so x_2 = 10 sinh(2k) / (2 sinh(2k) 2.78125) = 10 / 5.5625 = 160 / 89. */
static const struct ac_params T_P = { .eta = 0.5, .epsilon = 0, .gamma = 0.2, .sigma = 1,
				      .lambda = 0.3 };

Test(ac, kappa_and_holdings_by_hand)
{
	double k;
	cr_assert_eq(ac_kappa(&T_P, 1.0, &k), 0);
	cr_assert_float_eq(k, log(1.375 + sqrt(1.375 * 1.375 - 1)), 1e-14);
	cr_assert_float_eq(k, 0.8410193220114457, 1e-13);
	double x[5];
	cr_assert_eq(ac_holdings(&T_P, 10, 4, 4.0, x), 0);
	cr_assert_float_eq(x[0], 10, 0);
	cr_assert_float_eq(x[2], 160.0 / 89.0, 1e-12, "%.15f", x[2]);
	/* x_1 = 10 sinh(3k) / sinh(4k), x_3 = 10 sinh(k) / sinh(4k), with
	 * sinh(k) = sqrt(1.375^2 - 1), sinh(3k) = sinh(k) (4 cosh^2(k) - 1),
	 * sinh(4k) = 4 sinh(k) cosh(k) cosh(2k) */
	double ch = 1.375, s4 = 4 * ch * (2 * ch * ch - 1); /* sinh(4k) / sinh(k) */
	cr_assert_float_eq(x[1], 10 * (4 * ch * ch - 1) / s4, 1e-12);
	cr_assert_float_eq(x[3], 10 / s4, 1e-12);
	cr_assert_float_eq(x[4], 0, 0);

	/* a short to buy back: the same curve mirrored */
	double y[5];
	cr_assert_eq(ac_holdings(&T_P, -10, 4, 4.0, y), 0);
	for (int j = 0; j <= 4; j++)
		cr_assert_float_eq(y[j], -x[j], 1e-12);
}

Test(ac, cost_of_trajectory_matches_closed_form)
{
	/* E and V summed over the optimal holdings equal the paper's closed
	 * form, at several points of the parameter space */
	struct ac_params ps[] = {
		T_P,
		{ .eta = 2.0, .epsilon = 0.5, .gamma = 0.1, .sigma = 3, .lambda = 0.01 },
		{ .eta = 0.05, .epsilon = 0.1, .gamma = 0.0, .sigma = 0.7, .lambda = 2 },
		{ .eta = 1.0, .epsilon = 0.0, .gamma = 0.5, .sigma = 0, .lambda = 1 },
		{ .eta = 1.0, .epsilon = 0.0, .gamma = 0.5, .sigma = 2, .lambda = 0 },
	};
	uint32_t ns[] = { 1, 2, 5, 17 };
	double Ts[] = { 0.5, 4, 60 };
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
		for (size_t a = 0; a < 4; a++)
			for (size_t b = 0; b < 3; b++) {
				double x[18];
				uint32_t n = ns[a];
				double T = Ts[b], tau = T / n;
				if (ps[i].eta - ps[i].gamma * tau / 2 <= 0)
					continue;
				cr_assert_eq(ac_holdings(&ps[i], 7, n, T, x), 0);
				struct ac_cost sum, cf;
				ac_cost_of(&ps[i], x, n, tau, &sum);
				cr_assert_eq(ac_cost_optimal(&ps[i], 7, n, T, &cf), 0);
				cr_assert(fabs(sum.e - cf.e) <= 1e-9 * (1 + fabs(cf.e)),
					  "p%zu n %u T %g: E %.12g vs %.12g", i, n, T, sum.e, cf.e);
				cr_assert(fabs(sum.v - cf.v) <= 1e-9 * (1 + fabs(cf.v)),
					  "p%zu n %u T %g: V %.12g vs %.12g", i, n, T, sum.v, cf.v);
			}
	/* the point worked above: E = 1/2 0.2 100 + 0.4 sum n^2, V = sum x^2 */
	double x[5];
	ac_holdings(&T_P, 10, 4, 4.0, x);
	double e = 10, v = 0;
	for (int j = 1; j <= 4; j++) {
		e += 0.4 * (x[j - 1] - x[j]) * (x[j - 1] - x[j]);
		v += x[j] * x[j];
	}
	struct ac_cost c;
	ac_cost_optimal(&T_P, 10, 4, 4.0, &c);
	cr_assert_float_eq(c.e, e, 1e-9);
	cr_assert_float_eq(c.v, v, 1e-9);
}

static double objective(const struct ac_params *p, const double *x, uint32_t n, double tau)
{
	struct ac_cost c;
	ac_cost_of(p, x, n, tau, &c);
	return c.e + p->lambda * c.v;
}

/* Every trajectory x_0 = X, x_1..x_3 on a grid of step h in [lo, X], x_4 = 0:
 * the minimum of E + lambda V over the grid. */
static double grid_min(const struct ac_params *p, double X, double T, double lo, double h,
		       double best[5])
{
	const uint32_t n = 4;
	double tau = T / n, x[5] = { X, 0, 0, 0, 0 }, m = INFINITY;
	int steps = (int)floor((X - lo) / h + 0.5);
	for (int a = 0; a <= steps; a++)
		for (int b = 0; b <= steps; b++)
			for (int c = 0; c <= steps; c++) {
				x[1] = lo + a * h;
				x[2] = lo + b * h;
				x[3] = lo + c * h;
				double u = objective(p, x, n, tau);
				if (u < m) {
					m = u;
					for (int j = 0; j < 5; j++)
						best[j] = x[j];
				}
			}
	return m;
}

Test(ac, closed_form_is_the_grid_optimum)
{
	struct ac_params ps[] = {
		T_P,
		{ .eta = 1.0, .epsilon = 0.25, .gamma = 0.3, .sigma = 1.5, .lambda = 0.05 },
		{ .eta = 0.2, .epsilon = 0.0, .gamma = 0.0, .sigma = 1.0, .lambda = 3 },
		{ .eta = 1.0, .epsilon = 0.0, .gamma = 0.0, .sigma = 1.0, .lambda = 0 },
	};
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		/* a fine grid over [-0.2, 1] of X = 1 (a path that overshoots
		 * zero or goes back up is allowed too) */
		const double h = 0.01, T = 4;
		double best[5], x[5];
		double m = grid_min(&ps[i], 1.0, T, -0.2, h, best);
		cr_assert_eq(ac_holdings(&ps[i], 1.0, 4, T, x), 0);
		double u = objective(&ps[i], x, 4, T / 4);
		/* no grid path beats the closed form ... */
		cr_assert(u <= m + 1e-12, "p%zu: closed form %.12g, grid %.12g", i, u, m);
		/* ... and the grid's best sits next to it */
		for (int j = 1; j < 4; j++)
			cr_assert(fabs(best[j] - x[j]) <= h, "p%zu x_%d grid %g closed %g", i, j,
				  best[j], x[j]);
		/* and it is a stationary point: no small move of one holding helps */
		for (int j = 1; j < 4; j++)
			for (int s = -1; s <= 1; s += 2) {
				double y[5] = { x[0], x[1], x[2], x[3], x[4] };
				y[j] += s * 1e-4;
				cr_assert(objective(&ps[i], y, 4, T / 4) >= u - 1e-12);
			}
	}
}

Test(ac, integer_paths_brute_force)
{
	/* every integer path of X = 8 contracts over 4 slices: the best one is
	 * within a contract of the closed form at every step, and the rounded
	 * closed form (ac_slices) is as good as the best to within the cost
	 * of rounding (each holding off by at most 1/2) */
	struct ac_params p = { .eta = 0.5, .epsilon = 0.1, .gamma = 0.1, .sigma = 1, .lambda = 0.4 };
	double best[5], x[5];
	double m = grid_min(&p, 8, 4, 0, 1, best);
	ac_holdings(&p, 8, 4, 4, x);
	for (int j = 1; j < 4; j++)
		cr_assert(fabs(best[j] - x[j]) < 1.0, "x_%d %g vs %g", j, best[j], x[j]);
	int64_t hold[5];
	cr_assert_eq(ac_slices(&p, 8, 4, 4, hold), 0);
	double hx[5];
	for (int j = 0; j < 5; j++)
		hx[j] = (double)hold[j];
	double u = objective(&p, hx, 4, 1);
	cr_assert(u >= m - 1e-12);
	for (int j = 1; j < 4; j++)
		cr_assert(fabs(hx[j] - x[j]) <= 0.5 + 1e-12);
	/* here rounding finds the integer optimum itself */
	cr_assert_float_eq(u, m, 1e-9, "rounded %g best %g", u, m);
}

Test(ac, lambda_zero_is_a_straight_line)
{
	struct ac_params p = T_P;
	p.lambda = 0;
	double x[11];
	cr_assert_eq(ac_holdings(&p, 10, 10, 5, x), 0);
	for (int j = 0; j <= 10; j++)
		cr_assert_float_eq(x[j], 10 - j, 1e-12);
	/* and a tiny lambda is close to it */
	p.lambda = 1e-9;
	cr_assert_eq(ac_holdings(&p, 10, 10, 5, x), 0);
	for (int j = 0; j <= 10; j++)
		cr_assert_float_eq(x[j], 10 - j, 1e-6);
	/* sigma 0: no risk to pay for, the same line */
	p = T_P;
	p.sigma = 0;
	cr_assert_eq(ac_holdings(&p, 10, 10, 5, x), 0);
	cr_assert_float_eq(x[3], 7, 1e-12);
	int64_t hold[11];
	cr_assert_eq(ac_slices(&p, 10, 10, 5, hold), 0);
	for (int j = 0; j <= 10; j++)
		cr_assert_eq(hold[j], 10 - j);
}

Test(ac, large_lambda_front_loads)
{
	struct ac_params p = T_P;
	double x[5], prev = 10;
	/* the first slice grows with lambda toward the whole position */
	double lambdas[] = { 0.01, 0.3, 3, 30, 3000, 1e8 };
	for (size_t i = 0; i < sizeof(lambdas) / sizeof(lambdas[0]); i++) {
		p.lambda = lambdas[i];
		cr_assert_eq(ac_holdings(&p, 10, 4, 4, x), 0);
		cr_assert(x[1] < prev, "lambda %g: x_1 %g not below %g", p.lambda, x[1], prev);
		for (int j = 1; j <= 4; j++)
			cr_assert(x[j] <= x[j - 1] && x[j] >= 0);
		prev = x[1];
	}
	/* lambda 1e8: kappa tau is huge (sinh would overflow), x_1 ~ 0 */
	cr_assert(x[1] < 1e-3 && isfinite(x[1]));
	int64_t hold[5];
	cr_assert_eq(ac_slices(&p, 10, 4, 4, hold), 0);
	cr_assert_eq(hold[0], 10);
	cr_assert_eq(hold[1], 0);
	cr_assert_eq(hold[4], 0);
	/* a large lambda over many slices: exp(-kappa t) (no permanent impact:
	 * eta~ = eta - gamma tau / 2 must stay positive for tau = 10) */
	p.lambda = 50;
	p.gamma = 0;
	double y[101];
	cr_assert_eq(ac_holdings(&p, 1, 100, 1000, y), 0);
	double k;
	ac_kappa(&p, 10, &k);
	cr_assert_float_eq(y[10], exp(-k * 100), 1e-12 + 1e-9 * exp(-k * 100));
}

Test(ac, slices_sum_exactly_and_keep_their_sign)
{
	struct ac_params p = { .eta = 0.3, .epsilon = 0, .gamma = 0.005, .sigma = 2, .lambda = 0.2 };
	int64_t Xs[] = { 1, 2, 3, 7, 100, 12345, -1, -9, -250 };
	uint32_t ns[] = { 1, 2, 3, 10, 64, AC_MAX_SLICES };
	for (size_t i = 0; i < sizeof(Xs) / sizeof(Xs[0]); i++)
		for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++) {
			int64_t hold[AC_MAX_SLICES + 1];
			double x[AC_MAX_SLICES + 1];
			uint32_t n = ns[a];
			cr_assert_eq(ac_slices(&p, Xs[i], n, 30, hold), 0);
			ac_holdings(&p, (double)Xs[i], n, 30, x);
			int64_t sum = 0;
			for (uint32_t j = 1; j <= n; j++) {
				int64_t s = hold[j - 1] - hold[j];
				sum += s;
				cr_assert(Xs[i] > 0 ? s >= 0 : s <= 0);
				cr_assert(fabs((double)hold[j] - x[j]) <= 0.5 + 1e-9);
			}
			cr_assert_eq(sum, Xs[i]);
			cr_assert_eq(hold[n], 0);
		}
	/* one slice: everything at once */
	int64_t h1[2];
	cr_assert_eq(ac_slices(&p, 5, 1, 10, h1), 0);
	cr_assert_eq(h1[0], 5);
	cr_assert_eq(h1[1], 0);
}

Test(ac, refuses_bad_parameters)
{
	double x[3], k;
	int64_t h[3];
	struct ac_params p = T_P;
	cr_assert_eq(ac_holdings(&p, 1, 0, 1, x), -EINVAL);
	cr_assert_eq(ac_holdings(&p, 1, 2, 0, x), -EINVAL);
	cr_assert_eq(ac_slices(&p, 1, AC_MAX_SLICES + 1, 1, h), -EINVAL);
	p.gamma = 2; /* eta~ = 0.5 - 2 * 1 / 2 < 0 */
	cr_assert_eq(ac_kappa(&p, 1, &k), -EINVAL);
	p = T_P;
	p.lambda = -1;
	cr_assert_eq(ac_kappa(&p, 1, &k), -EINVAL);
	p = T_P;
	p.sigma = NAN;
	cr_assert_eq(ac_kappa(&p, 1, &k), -EINVAL);
}
