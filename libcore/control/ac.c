/*
 * ac.c — Almgren-Chriss optimal execution (ac.h).
 */
#include "libcore/control/ac.h"

#include <errno.h>
#include <math.h>

static int params_ok(const struct ac_params *p, double tau)
{
	if (!p || !(tau > 0) || !isfinite(tau))
		return 0;
	if (!(p->eta > 0) || !(p->epsilon >= 0) || !(p->gamma >= 0) || !(p->sigma >= 0) ||
	    !(p->lambda >= 0) || !isfinite(p->eta) || !isfinite(p->epsilon) ||
	    !isfinite(p->gamma) || !isfinite(p->sigma) || !isfinite(p->lambda))
		return 0;
	return p->eta - 0.5 * p->gamma * tau > 0;
}

int ac_kappa(const struct ac_params *p, double tau, double *kappa)
{
	if (!params_ok(p, tau))
		return -EINVAL;
	double eta_t = p->eta - 0.5 * p->gamma * tau;
	double kt2 = p->lambda * p->sigma * p->sigma / eta_t; /* kappa~^2 */
	if (!isfinite(kt2))
		return -EINVAL;
	/* acosh(1 + u) for a small u loses digits as 1 + u rounds: use
	 * acosh(1 + u) = log1p(u + sqrt(u (u + 2))) */
	double u = 0.5 * kt2 * tau * tau;
	*kappa = log1p(u + sqrt(u * (u + 2.0))) / tau;
	return 0;
}

/* sinh(k (T - t)) / sinh(k T) for 0 <= t <= T, k >= 0, without overflow:
 * exp(-k t) (1 - exp(-2 k (T - t))) / (1 - exp(-2 k T)). */
static double sinh_ratio(double k, double t, double T)
{
	if (k * T < 1e-12)
		return (T - t) / T;
	return exp(-k * t) * expm1(-2.0 * k * (T - t)) / expm1(-2.0 * k * T);
}

int ac_holdings(const struct ac_params *p, double X, uint32_t n, double T, double *x)
{
	double kappa;
	if (n == 0 || !(T > 0) || !isfinite(X) || !x)
		return -EINVAL;
	double tau = T / n;
	if (ac_kappa(p, tau, &kappa) < 0)
		return -EINVAL;
	x[0] = X;
	for (uint32_t j = 1; j < n; j++)
		x[j] = X * sinh_ratio(kappa, j * tau, T);
	x[n] = 0.0;
	return 0;
}

int ac_slices(const struct ac_params *p, int64_t X, uint32_t n, double T, int64_t *hold)
{
	double x[AC_MAX_SLICES + 1];
	if (n == 0 || n > AC_MAX_SLICES || !hold || X == INT64_MIN)
		return -EINVAL;
	int64_t ax = X < 0 ? -X : X;
	if (ac_holdings(p, (double)ax, n, T, x) < 0)
		return -EINVAL;
	hold[0] = X;
	int64_t prev = ax;
	for (uint32_t j = 1; j < n; j++) {
		int64_t h = (int64_t)floor(x[j] + 0.5);
		/* the real holdings are non-increasing in [0, X]; a last-digit
		 * error of x[j] must not break that */
		if (h > prev)
			h = prev;
		if (h < 0)
			h = 0;
		hold[j] = X < 0 ? -h : h;
		prev = h;
	}
	hold[n] = 0;
	return 0;
}

void ac_cost_of(const struct ac_params *p, const double *x, uint32_t n, double tau,
		struct ac_cost *out)
{
	double eta_t = p->eta - 0.5 * p->gamma * tau;
	double abs_n = 0, sq_n = 0, sq_x = 0;
	for (uint32_t j = 1; j <= n; j++) {
		double d = x[j - 1] - x[j];
		abs_n += fabs(d);
		sq_n += d * d;
		sq_x += x[j] * x[j];
	}
	out->e = 0.5 * p->gamma * x[0] * x[0] + p->epsilon * abs_n + eta_t / tau * sq_n;
	out->v = p->sigma * p->sigma * tau * sq_x;
}

int ac_cost_optimal(const struct ac_params *p, double X, uint32_t n, double T,
		    struct ac_cost *out)
{
	double kappa;
	if (n == 0 || !(T > 0) || !isfinite(X) || !out)
		return -EINVAL;
	double tau = T / n;
	if (ac_kappa(p, tau, &kappa) < 0)
		return -EINVAL;
	double eta_t = p->eta - 0.5 * p->gamma * tau;
	double s2 = p->sigma * p->sigma, X2 = X * X;
	double base = 0.5 * p->gamma * X2 + p->epsilon * fabs(X);
	if (kappa * T < 1e-6) {
		double N = (double)n;
		out->e = base + eta_t * X2 / T;
		out->v = s2 * X2 * T * (1.0 - 1.0 / N) * (1.0 - 0.5 / N) / 3.0;
		return 0;
	}
	double sT = sinh(kappa * T), st = sinh(kappa * tau);
	if (!isfinite(sT * sT))
		return -EINVAL; /* kappa T beyond what the closed form can hold */
	out->e = base + eta_t * X2 * tanh(0.5 * kappa * tau) *
		 (tau * sinh(2.0 * kappa * T) + 2.0 * T * st) / (2.0 * tau * tau * sT * sT);
	out->v = 0.5 * s2 * X2 * (tau * sT * cosh(kappa * (T - tau)) - T * st) / (sT * sT * st);
	return 0;
}
