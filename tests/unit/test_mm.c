/*
 * test_mm.c — the market maker's optimal quotes (libcore/control/mm.h)
 * against values worked out by hand from the papers' formulas, their
 * limits and symmetries, and the online volatility against a random walk
 * of known variance.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "libcore/control/mm.h"

Test(mm, as_reservation_and_spread_by_hand)
{
	/* s 100, q 2, gamma 0.1, sigma 2, tau 0.5, k 1.5:
	 * r = 100 - 2 * 0.1 * 4 * 0.5 = 99.6
	 * spread = 0.1 * 4 * 0.5 + 20 ln(1 + 1/15) = 0.2 + 1.2907704... */
	double r = mm_as_reservation(100, 2, 0.1, 2, 0.5);
	cr_assert_float_eq(r, 99.6, 1e-12);
	double spread = mm_as_spread(0.1, 2, 0.5, 1.5);
	cr_assert_float_eq(spread, 0.2 + 20.0 * 0.064538521137571, 1e-9, "%.12f", spread);

	struct mm_quotes q;
	mm_as_quotes(100, 2, 0.1, 2, 0.5, 1.5, &q);
	cr_assert(q.has_bid && q.has_ask);
	cr_assert_float_eq(q.ask - q.bid, spread, 1e-12);
	cr_assert_float_eq((q.ask + q.bid) / 2, 99.6, 1e-12);

	/* past the horizon: no inventory term, the spread is 2/g ln(1+g/k) */
	cr_assert_float_eq(mm_as_reservation(100, 5, 0.1, 2, -1), 100, 0);
	cr_assert_float_eq(mm_as_spread(0.1, 2, -3, 1.5), 20.0 * 0.064538521137571, 1e-9);
}

Test(mm, as_gamma_to_zero_is_two_over_k)
{
	cr_assert_float_eq(mm_as_spread(0, 2, 1, 1.5), 2.0 / 1.5, 1e-15);
	cr_assert_float_eq(mm_as_spread(1e-9, 2, 0, 1.5), 2.0 / 1.5, 1e-9);
	cr_assert(isnan(mm_as_spread(0.1, 2, 1, 0)));
	cr_assert(isnan(mm_as_spread(-0.1, 2, 1, 1)));
}

Test(mm, glft_by_hand_and_symmetry)
{
	/* gamma 0.1, sigma 0.3, k 0.3, A 0.9:
	 * c = sqrt(0.09 * 0.1 / (2 * 0.3 * 0.9) * (1 + 1/3)^(1 + 3))
	 *   = sqrt(0.016666... * 3.160493827...) = sqrt(0.052674897...) */
	double c = mm_glft_c(0.1, 0.3, 0.3, 0.9);
	cr_assert_float_eq(c, sqrt(0.009 / 0.54 * 256.0 / 81.0), 1e-12);
	double base = log(1.0 + 1.0 / 3.0) / 0.1;

	struct mm_quotes q0, qp, qm;
	mm_glft_quotes(50, 0, 10, 0.1, 0.3, 0.3, 0.9, &q0);
	cr_assert_float_eq(q0.bid, 50 - base - 0.5 * c, 1e-12);
	cr_assert_float_eq(q0.ask, 50 + base + 0.5 * c, 1e-12);

	/* long 3: the bid moves away by 3c, the ask comes closer by 3c */
	mm_glft_quotes(50, 3, 10, 0.1, 0.3, 0.3, 0.9, &qp);
	cr_assert_float_eq(q0.bid - qp.bid, 3 * c, 1e-12);
	cr_assert_float_eq(q0.ask - qp.ask, 3 * c, 1e-12);
	/* short 3 mirrors long 3 around the mid */
	mm_glft_quotes(50, -3, 10, 0.1, 0.3, 0.3, 0.9, &qm);
	cr_assert_float_eq(50 - qp.bid, qm.ask - 50, 1e-12);
	cr_assert_float_eq(qp.ask - 50, 50 - qm.bid, 1e-12);

	/* bounds: no bid at +Q, no ask at -Q */
	mm_glft_quotes(50, 10, 10, 0.1, 0.3, 0.3, 0.9, &qp);
	cr_assert(!qp.has_bid && qp.has_ask);
	mm_glft_quotes(50, -10, 10, 0.1, 0.3, 0.3, 0.9, &qm);
	cr_assert(qm.has_bid && !qm.has_ask);
	cr_assert(isnan(mm_glft_c(0, 0.3, 0.3, 0.9)));
}

Test(mm, intensity)
{
	cr_assert_float_eq(mm_intensity(140, 1.5, 0), 140, 0);
	cr_assert_float_eq(mm_intensity(140, 1.5, 2), 140 * exp(-3.0), 1e-12);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* a random walk of +-step every dt ns: variance rate step^2 / dt */
Test(mm, vol_of_a_random_walk)
{
	struct mm_vol v;
	uint64_t s = 42;
	double x = 1000, step = 5;
	int64_t t = 0, dt = 100000000; /* 100 ms */

	mm_vol_init(&v, 60LL * 1000000000, 0);
	for (int i = 0; i < 200000; i++) {
		x += (rng_next(&s) >> 63) ? step : -step;
		t += dt;
		mm_vol_update(&v, x, t);
	}
	double truth = step * step / (double)dt;
	/* every change is +-5 over 100 ms: the estimate is exact */
	cr_assert_float_eq(v.var_rate, truth, 1e-9 * truth);
	cr_assert_float_eq(mm_vol_sigma(&v, 1e9), sqrt(250.0), 1e-6);
	cr_assert_eq(v.n, 200000 - 1);
}

Test(mm, vol_gaussian_steps)
{
	struct mm_vol v;
	uint64_t s = 7;
	double x = 0, sum = 0;
	int64_t t = 0, dt = 1000000;
	int n = 400000;

	/* half-life of 100 000 steps: the estimate averages the squared
	 * steps; steps uniform on [-1, 1] have variance 1/3 */
	mm_vol_init(&v, 100000 * dt, 0);
	for (int i = 0; i < n; i++) {
		double u = (double)(rng_next(&s) >> 11) * (1.0 / 9007199254740992.0);
		double d = 2 * u - 1;
		sum += d * d;
		x += d;
		t += dt;
		mm_vol_update(&v, x, t);
	}
	cr_assert_float_eq(v.var_rate * (double)dt, 1.0 / 3.0, 0.004, "%g", v.var_rate * (double)dt);
	cr_assert_float_eq(sum / n, 1.0 / 3.0, 0.005);
}
