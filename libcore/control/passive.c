/*
 * passive.c — crossing or resting at the touch (passive.h).
 */
#include "libcore/control/passive.h"

#include <errno.h>
#include <math.h>

#define PASSIVE_MAX_N 100000 /* orders to wait for beyond which P is taken as 0 */

double passive_p_at_least(double mu, int64_t n)
{
	if (n <= 0)
		return 1.0;
	if (!(mu > 0))
		return 0.0;
	if (n > PASSIVE_MAX_N)
		return 0.0;
	/* 1 - sum_{i<n} e^-mu mu^i / i!, the terms built up in logs so a
	 * large mu does not underflow e^-mu before the sum is taken */
	double lmu = log(mu), term_log = -mu, sum = 0;
	for (int64_t i = 0; i < n; i++) {
		sum += exp(term_log);
		term_log += lmu - log((double)(i + 1));
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
