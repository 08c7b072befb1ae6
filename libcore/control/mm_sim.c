/*
 * mm_sim.c — the Avellaneda-Stoikov simulation (model in mm_sim.h).
 */
#include "libcore/control/mm_sim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "libcore/control/mm.h"
#include "libcore/gen/rng.h"
#include "libcore/types.h"

void mm_sim_params_default(struct mm_sim_params *p)
{
	memset(p, 0, sizeof(*p));
	p->s0 = 100;
	p->T = 1;
	p->sigma = 2;
	p->dt = 0.005;
	p->A = 140;
	p->k = 1.5;
	p->gamma = 0.1;
	p->spread = MM_SIM_SPREAD_FULL;
	p->fill_mid = MM_SIM_FILL_NEW_MID;
	p->sym_spread = 0;
	p->paths = 1000;
	p->seed = 1;
}

int mm_sim_params_check(const struct mm_sim_params *p, char *err, size_t errlen)
{
	char buf[160];

	if (!errlen)
		err = buf, errlen = sizeof(buf);
#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -DM_ECONFIG; } while (0)
	if (!isfinite(p->s0))
		FAIL("s0 = %g: must be finite", p->s0);
	if (!(p->T > 0 && isfinite(p->T)))
		FAIL("T = %g: must be > 0", p->T);
	if (!(p->sigma >= 0 && isfinite(p->sigma)))
		FAIL("sigma = %g: must be >= 0", p->sigma);
	if (!(p->dt > 0 && p->dt <= p->T))
		FAIL("dt = %g: must be in (0, T = %g]", p->dt, p->T);
	if (p->T / p->dt > 1e8)
		FAIL("T / dt = %g steps: at most 1e8", p->T / p->dt);
	if (!(p->A > 0 && isfinite(p->A)))
		FAIL("A = %g: must be > 0", p->A);
	if (!(p->k > 0 && isfinite(p->k)))
		FAIL("k = %g: must be > 0", p->k);
	if (!(p->gamma > 0 && isfinite(p->gamma)))
		FAIL("gamma = %g: must be > 0", p->gamma);
	if (p->spread != MM_SIM_SPREAD_FULL && p->spread != MM_SIM_SPREAD_CONSTANT)
		FAIL("spread = %d: must be full or constant", p->spread);
	if (p->fill_mid != MM_SIM_FILL_NEW_MID && p->fill_mid != MM_SIM_FILL_OLD_MID)
		FAIL("fill_mid = %d: must be new or old", p->fill_mid);
	if (!isfinite(p->sym_spread))
		FAIL("sym_spread = %g: must be finite", p->sym_spread);
	if (p->paths < 1)
		FAIL("paths = 0: must be >= 1");
#undef FAIL
	return 0;
}

uint64_t mm_sim_steps(const struct mm_sim_params *p)
{
	double n = round(p->T / p->dt);

	return n < 1 ? 1 : (uint64_t)n;
}

static double tau_at(const struct mm_sim_params *p, uint64_t i)
{
	return p->T - (double)i * p->dt;
}

double mm_sim_spread_at(const struct mm_sim_params *p, uint64_t i)
{
	double tau = p->spread == MM_SIM_SPREAD_CONSTANT ? 0 : tau_at(p, i);

	return mm_as_spread(p->gamma, p->sigma, tau, p->k);
}

double mm_sim_mean_spread(const struct mm_sim_params *p)
{
	uint64_t n = mm_sim_steps(p);
	double sum = 0;

	for (uint64_t i = 0; i < n; i++)
		sum += mm_sim_spread_at(p, i);
	return sum / (double)n;
}

double mm_sim_fill_prob(double A, double k, double delta, double dt)
{
	double pr = mm_intensity(A, k, delta) * dt;

	return pr > 1 ? 1 : pr > 0 ? pr : 0;
}

void mm_sim_path_run(const struct mm_sim_params *p, int strategy, double sym,
		     uint64_t path, struct mm_sim_path *out)
{
	uint64_t n = mm_sim_steps(p);
	double step = p->sigma * sqrt(p->dt);
	double s = p->s0, x = 0;
	int64_t q = 0;
	struct rng rmid, rfill;

	rng_seed(&rmid, p->seed, 2 * path);
	rng_seed(&rfill, p->seed, 2 * path + 1);
	memset(out, 0, sizeof(*out));
	for (uint64_t i = 0; i < n; i++) {
		struct mm_quotes qt;

		if (strategy == MM_SIM_INVENTORY) {
			mm_as_quotes(s, (double)q, p->gamma, p->sigma, tau_at(p, i), p->k, &qt);
			if (p->spread == MM_SIM_SPREAD_CONSTANT) {
				/* the same reservation price, the spread's constant term */
				double r = 0.5 * (qt.bid + qt.ask);
				double half = 0.5 * mm_sim_spread_at(p, i);
				qt.bid = r - half;
				qt.ask = r + half;
			}
		} else {
			qt.bid = s - 0.5 * sym;
			qt.ask = s + 0.5 * sym;
		}
		out->spread_sum += qt.ask - qt.bid;
		double s_new = s + ((rng_next(&rmid) >> 63) ? step : -step);
		double m = p->fill_mid == MM_SIM_FILL_NEW_MID ? s_new : s;
		/* draw both uniforms every step: the fill streams stay aligned
		 * across strategies */
		double ub = rng_uniform(&rfill), ua = rng_uniform(&rfill);
		if (ub < mm_sim_fill_prob(p->A, p->k, m - qt.bid, p->dt)) {
			q++;
			x -= qt.bid;
			out->bid_fills++;
		}
		if (ua < mm_sim_fill_prob(p->A, p->k, qt.ask - m, p->dt)) {
			q--;
			x += qt.ask;
			out->ask_fills++;
		}
		s = s_new;
	}
	out->x = x;
	out->s = s;
	out->q = q;
	out->profit = x + (double)q * s;
}

int mm_sim_run(const struct mm_sim_params *p, int strategy, struct mm_sim_stats *out,
	       char *err, size_t errlen)
{
	double sym, n = 0, pm = 0, p2 = 0, qm = 0, q2 = 0, spread = 0, fills = 0;
	int rc;

	if ((rc = mm_sim_params_check(p, err, errlen)))
		return rc;
	if (strategy != MM_SIM_INVENTORY && strategy != MM_SIM_SYMMETRIC) {
		snprintf(err, errlen, "strategy %d: must be inventory or symmetric", strategy);
		return -DM_ECONFIG;
	}
	sym = p->sym_spread > 0 ? p->sym_spread : mm_sim_mean_spread(p);
	memset(out, 0, sizeof(*out));
	out->strategy = strategy;
	out->steps = mm_sim_steps(p);
	for (uint64_t j = 0; j < p->paths; j++) {
		struct mm_sim_path r;
		double d;

		mm_sim_path_run(p, strategy, sym, j, &r);
		n += 1;
		d = r.profit - pm;
		pm += d / n;
		p2 += d * (r.profit - pm);
		d = (double)r.q - qm;
		qm += d / n;
		q2 += d * ((double)r.q - qm);
		spread += r.spread_sum / (double)out->steps;
		fills += (double)(r.bid_fills + r.ask_fills);
	}
	out->paths = p->paths;
	out->spread = spread / n;
	out->profit_mean = pm;
	out->profit_std = n > 1 ? sqrt(p2 / (n - 1)) : 0;
	out->q_mean = qm;
	out->q_std = n > 1 ? sqrt(q2 / (n - 1)) : 0;
	out->fills_mean = fills / n;
	return 0;
}

const char *mm_sim_strategy_name(int strategy)
{
	return strategy == MM_SIM_INVENTORY ? "inventory" :
	       strategy == MM_SIM_SYMMETRIC ? "symmetric" : "?";
}
