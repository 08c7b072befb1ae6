/*
 * mm.c — optimal market-making quotes (mm.h).
 */
#include "libcore/control/mm.h"

#include <math.h>

double mm_as_reservation(double s, double q, double gamma, double sigma, double tau)
{
	if (tau < 0)
		tau = 0;
	return s - q * gamma * sigma * sigma * tau;
}

double mm_base_half_spread(double gamma, double k)
{
	if (!(k > 0) || !(gamma >= 0))
		return NAN;
	if (gamma < 1e-12 * k)
		return 1.0 / k; /* (1/g) ln(1 + g/k) -> 1/k */
	return log1p(gamma / k) / gamma;
}

double mm_as_spread(double gamma, double sigma, double tau, double k)
{
	if (tau < 0)
		tau = 0;
	return gamma * sigma * sigma * tau + 2.0 * mm_base_half_spread(gamma, k);
}

void mm_as_quotes(double s, double q, double gamma, double sigma, double tau,
		  double k, struct mm_quotes *out)
{
	double r = mm_as_reservation(s, q, gamma, sigma, tau);
	double half = 0.5 * mm_as_spread(gamma, sigma, tau, k);

	out->bid = r - half;
	out->ask = r + half;
	out->has_bid = out->has_ask = 1;
}

double mm_glft_c(double gamma, double sigma, double k, double A)
{
	if (!(gamma > 0) || !(k > 0) || !(A > 0) || !(sigma >= 0))
		return NAN;
	return sqrt(sigma * sigma * gamma / (2.0 * k * A) *
		    pow(1.0 + gamma / k, 1.0 + k / gamma));
}

void mm_glft_quotes(double s, double q, double qmax, double gamma, double sigma,
		    double k, double A, struct mm_quotes *out)
{
	double c = mm_glft_c(gamma, sigma, k, A);
	double base = mm_base_half_spread(gamma, k);

	out->bid = s - (base + (2.0 * q + 1.0) / 2.0 * c);
	out->ask = s + (base - (2.0 * q - 1.0) / 2.0 * c);
	out->has_bid = q < qmax;
	out->has_ask = q > -qmax;
}

double mm_intensity(double A, double k, double d)
{
	return A * exp(-k * d);
}

void mm_vol_init(struct mm_vol *v, int64_t halflife_ns, double prior_var_rate)
{
	v->var_rate = prior_var_rate > 0 ? prior_var_rate : 0;
	v->weight = prior_var_rate > 0 ? 0.5 : 0;
	v->sum = v->var_rate * v->weight;
	v->last_x = NAN;
	v->last_ns = 0;
	v->halflife_ns = halflife_ns > 0 ? halflife_ns : 1;
	v->n = 0;
}

void mm_vol_update(struct mm_vol *v, double x, int64_t t_ns)
{
	if (!isfinite(x))
		return;
	if (isnan(v->last_x)) {
		v->last_x = x;
		v->last_ns = t_ns;
		return;
	}
	if (x == v->last_x)
		return; /* no change: the rate is taken when x moves */
	int64_t dt = t_ns - v->last_ns;
	if (dt > 0) {
		double dx = x - v->last_x;
		double obs = dx * dx / (double)dt;
		double w = 1.0 - exp2(-(double)dt / (double)v->halflife_ns);
		v->sum = (1.0 - w) * v->sum + w * obs;
		v->weight = (1.0 - w) * v->weight + w;
		v->var_rate = v->sum / v->weight;
		v->n++;
	}
	v->last_x = x;
	v->last_ns = t_ns;
}

double mm_vol_sigma(const struct mm_vol *v, double unit_ns)
{
	return sqrt(v->var_rate * unit_ns);
}
