/*
 * bet.c — bet sizing (bet.h).
 */
#include <math.h>

#include "libcore/model/bet.h"

double bet_size_raw(double p, uint32_t k)
{
	if (isnan(p) || k < 2)
		return 0.0;
	if (p >= 1.0)
		return 1.0;
	if (p <= 0.0)
		return -1.0;
	double z = (p - 1.0 / (double)k) / sqrt(p * (1.0 - p));

	/* 2 Phi(z) - 1 = 1 - erfc(z / sqrt 2); erfc keeps the tails exact */
	return 1.0 - erfc(z / M_SQRT2);
}

int64_t bet_size(double p, uint32_t k, int64_t max_contracts, int64_t step)
{
	if (max_contracts <= 0)
		return 0;
	if (step < 1)
		step = 1;
	double m = bet_size_raw(p, k);
	int64_t cap = max_contracts / step * step;
	int64_t c = (int64_t)llround(m * (double)max_contracts / (double)step) * step;

	if (c > cap)
		c = cap;
	if (c < -cap)
		c = -cap;
	return c;
}
