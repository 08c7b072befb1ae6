/*
 * passive.c — crossing or resting at the touch (passive.h).
 */
#include "libcore/control/passive.h"

#include <errno.h>
#include <math.h>

#define PASSIVE_MAX_N 100000 /* orders to wait for beyond which P is taken as 0 */

/* e^-mu mu^i / i!, in logs (no overflow for a large mu or i). */
static double poisson_term(double mu, int64_t i)
{
	int sign;
	return exp(-mu + (double)i * log(mu) - lgamma_r((double)i + 1.0, &sign));
}

double passive_p_at_least(double mu, int64_t n)
{
	if (n <= 0)
		return 1.0;
	if (!(mu > 0))
		return 0.0;
	if (n > PASSIVE_MAX_N)
		return 0.0;
	/* Summed from the boundary n outward, where the terms only shrink
	 * (past the mode on the way up, below it on the way down), and
	 * stopped once a term no longer counts: O(sqrt(mu)) terms, never n. */
	double sum = 0;
	if ((double)n > mu) {
		double t = poisson_term(mu, n); /* P(N >= n) = sum_{i >= n} */
		for (int64_t i = n; t > 1e-17 * sum && t > 0; i++) {
			sum += t;
			t *= mu / (double)(i + 1);
		}
		return sum > 1 ? 1 : sum;
	}
	double t = poisson_term(mu, n - 1); /* P(N < n) = sum_{i < n} */
	for (int64_t i = n - 1; i >= 0 && t > 1e-17 * sum && t > 0; i--) {
		sum += t;
		t *= (double)i / mu;
	}
	double p = 1.0 - sum;
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

int passive_choose(const struct passive_model *m, const struct passive_in *in,
		   struct passive_eval *out)
{
	if (!m || !in || !out || !(m->a > 0) || !(m->k >= 0) || !(m->order_lots > 0) ||
	    !(m->horizon_s > 0) || !isfinite(m->move_ticks) || !isfinite(m->a) ||
	    !isfinite(m->k) || (in->side != 1 && in->side != -1) || in->bid_px >= in->ask_px ||
	    in->qty <= 0 || in->queue_ahead < 0)
		return -EINVAL;
	int64_t spread = in->ask_px - in->bid_px;
	double half = 0.5 * (double)spread;

	out->ev[PASSIVE_CROSS] = m->move_ticks - half;
	out->p_fill[PASSIVE_CROSS] = 1.0;

	/* join: behind the queue at the near touch */
	double d = half;
	double need = ceil((double)(in->queue_ahead + in->qty) / m->order_lots);
	double mu = m->a * exp(-m->k * d) * m->horizon_s;
	double p = passive_p_at_least(mu, need > (double)PASSIVE_MAX_N ? PASSIVE_MAX_N + 1 :
				      (int64_t)need);
	out->p_fill[PASSIVE_JOIN] = p;
	out->ev[PASSIVE_JOIN] = p * (m->move_ticks + d);

	/* improve: one tick inside, alone at the new price */
	if (spread >= 2) {
		d = half - 1.0;
		need = ceil((double)in->qty / m->order_lots);
		mu = m->a * exp(-m->k * d) * m->horizon_s;
		p = passive_p_at_least(mu, need > (double)PASSIVE_MAX_N ? PASSIVE_MAX_N + 1 :
				       (int64_t)need);
		out->p_fill[PASSIVE_IMPROVE] = p;
		out->ev[PASSIVE_IMPROVE] = p * (m->move_ticks + d);
	} else {
		out->p_fill[PASSIVE_IMPROVE] = NAN;
		out->ev[PASSIVE_IMPROVE] = NAN;
	}

	uint32_t best = PASSIVE_CROSS;
	if (out->ev[PASSIVE_JOIN] > out->ev[best])
		best = PASSIVE_JOIN;
	if (spread >= 2 && out->ev[PASSIVE_IMPROVE] > out->ev[best])
		best = PASSIVE_IMPROVE;
	out->choice = best;
	out->pad = 0;
	int64_t near = in->side > 0 ? in->bid_px : in->ask_px;
	int64_t far = in->side > 0 ? in->ask_px : in->bid_px;
	out->px = best == PASSIVE_CROSS ? far : best == PASSIVE_JOIN ? near : near + in->side;
	return 0;
}
