/*
 * test_passive.c — the taker's choice between crossing and resting at the
 * touch (libcore/control/passive.h) on hand-built books, one per branch
 * of the rule, with the probabilities and expected values worked by hand.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "libcore/control/passive.h"

Test(passive, poisson_tail_by_hand)
{
	/* P(N >= 3), N ~ Poisson(2): 1 - e^-2 (1 + 2 + 4/2) = 1 - 5 e^-2 */
	cr_assert_float_eq(passive_p_at_least(2, 3), 1 - 5 * exp(-2), 1e-14);
	cr_assert_float_eq(passive_p_at_least(2, 1), 1 - exp(-2), 1e-14);
	cr_assert_float_eq(passive_p_at_least(2, 0), 1, 0);
	cr_assert_float_eq(passive_p_at_least(0, 1), 0, 0);
	/* a large mu: e^-mu underflows alone, the tail is 1 for a small n and
	 * about 1/2 at the mean */
	cr_assert_float_eq(passive_p_at_least(2000, 10), 1, 1e-12);
	double half = passive_p_at_least(2000, 2000);
	cr_assert(half > 0.45 && half < 0.56, "%g", half);
	/* against the plain sum from 0 (terms by recurrence), both sides of
	 * the mean */
	double mus[] = { 0.3, 4.5, 15.58, 60 };
	for (int a = 0; a < 4; a++)
		for (int64_t n = 1; n < 120; n += 7) {
			double t = exp(-mus[a]), sum = 0;
			for (int64_t i = 0; i < n; i++) {
				sum += t;
				t *= mus[a] / (double)(i + 1);
			}
			double want = 1 - sum, got = passive_p_at_least(mus[a], n);
			cr_assert(fabs(got - want) <= 1e-12 + 1e-9 * want, "mu %g n %lld: %.15g vs "
				  "%.15g", mus[a], (long long)n, got, want);
		}
}

/* Queue of 50 lots ahead, one-lot orders at 2/s at the mid: nothing would
 * fill within a second, so the signal's 3 ticks are taken by crossing:
 * EV cross = 3 - 1/2 = 2.5; join needs 51 orders of mean 2 e^-1/2 = 1.21. */
Test(passive, crosses_behind_a_long_queue)
{
	struct passive_model m = { .a = 2, .k = 1, .order_lots = 1, .horizon_s = 1,
				   .move_ticks = 3 };
	struct passive_in in = { .side = 1, .bid_px = 100, .ask_px = 101, .queue_ahead = 50,
				 .qty = 1 };
	struct passive_eval e;
	cr_assert_eq(passive_choose(&m, &in, &e), 0);
	cr_assert_eq(e.choice, PASSIVE_CROSS);
	cr_assert_eq(e.px, 101, "a buy crosses at the ask");
	cr_assert_float_eq(e.ev[PASSIVE_CROSS], 2.5, 1e-15);
	cr_assert_float_eq(e.p_fill[PASSIVE_JOIN], passive_p_at_least(2 * exp(-0.5), 51), 1e-15);
	cr_assert_lt(e.p_fill[PASSIVE_JOIN], 1e-30);
	cr_assert(isnan(e.ev[PASSIVE_IMPROVE]), "one-tick spread: no improving");
	in.side = -1;
	cr_assert_eq(passive_choose(&m, &in, &e), 0);
	cr_assert_eq(e.px, 100, "a sell crosses at the bid");
}

/* A weak signal (m 0.2 tick) and an empty queue with 10 orders/s at the
 * mid: crossing loses 0.3; joining fills with P = 1 - exp(-20 e^-0.25)
 * and earns 0.2 + 0.5 then. */
Test(passive, joins_an_empty_touch_for_a_weak_signal)
{
	struct passive_model m = { .a = 10, .k = 0.5, .order_lots = 1, .horizon_s = 2,
				   .move_ticks = 0.2 };
	struct passive_in in = { .side = -1, .bid_px = 5000, .ask_px = 5001, .queue_ahead = 0,
				 .qty = 1 };
	struct passive_eval e;
	cr_assert_eq(passive_choose(&m, &in, &e), 0);
	double p = 1 - exp(-20 * exp(-0.25));
	cr_assert_float_eq(e.ev[PASSIVE_CROSS], -0.3, 1e-15);
	cr_assert_float_eq(e.p_fill[PASSIVE_JOIN], p, 1e-12);
	cr_assert_float_eq(e.ev[PASSIVE_JOIN], p * 0.7, 1e-12);
	cr_assert_eq(e.choice, PASSIVE_JOIN);
	cr_assert_eq(e.px, 5001, "a sell joins the ask");
}

/* A 4-tick spread, 20 lots ahead at the bid, orders of 2 lots at 5/s:
 *   cross   1 - 2 = -1
 *   join    d 2, need ceil(21 / 2) = 11 orders of mean 5 e^-0.6: P tiny
 *   improve d 1, need 1 order of mean 5 e^-0.3: P = 1 - exp(-5 e^-0.3),
 *           EV = 2 P */
Test(passive, improves_a_wide_spread)
{
	struct passive_model m = { .a = 5, .k = 0.3, .order_lots = 2, .horizon_s = 1,
				   .move_ticks = 1 };
	struct passive_in in = { .side = 1, .bid_px = 100, .ask_px = 104, .queue_ahead = 20,
				 .qty = 1 };
	struct passive_eval e;
	cr_assert_eq(passive_choose(&m, &in, &e), 0);
	double mu_j = 5 * exp(-0.6), sum = 0, term = exp(-mu_j);
	for (int i = 0; i < 11; i++) {
		sum += term;
		term *= mu_j / (i + 1);
	}
	cr_assert_float_eq(e.p_fill[PASSIVE_JOIN], 1 - sum, 1e-12);
	cr_assert_float_eq(e.ev[PASSIVE_JOIN], 3 * (1 - sum), 1e-12);
	double p = 1 - exp(-5 * exp(-0.3));
	cr_assert_float_eq(e.p_fill[PASSIVE_IMPROVE], p, 1e-12);
	cr_assert_float_eq(e.ev[PASSIVE_IMPROVE], 2 * p, 1e-12);
	cr_assert_float_eq(e.ev[PASSIVE_CROSS], -1, 1e-15);
	cr_assert_eq(e.choice, PASSIVE_IMPROVE);
	cr_assert_eq(e.px, 101, "a buy improves the bid by a tick");
	in.side = -1;
	in.queue_ahead = 20; /* at the ask now */
	cr_assert_eq(passive_choose(&m, &in, &e), 0);
	cr_assert_eq(e.choice, PASSIVE_IMPROVE);
	cr_assert_eq(e.px, 103, "a sell improves the ask by a tick");
}

Test(passive, a_tie_crosses)
{
	/* no flow reaches the touch (A e^-k/2 underflows to 0): P = 0, EV 0;
	 * m = 1/2 makes crossing worth 0 too: cross, as today */
	struct passive_model m = { .a = 1, .k = 2000, .order_lots = 1, .horizon_s = 1,
				   .move_ticks = 0.5 };
	struct passive_in in = { .side = 1, .bid_px = 10, .ask_px = 11, .queue_ahead = 0,
				 .qty = 1 };
	struct passive_eval e;
	cr_assert_eq(passive_choose(&m, &in, &e), 0);
	cr_assert_float_eq(e.ev[PASSIVE_CROSS], 0, 0);
	cr_assert_eq(e.choice, PASSIVE_CROSS);
	cr_assert_float_eq(e.p_fill[PASSIVE_JOIN], 0, 0);
	/* flow and a longer horizon make the same empty touch worth joining */
	m.k = 1;
	m.horizon_s = 60;
	cr_assert_eq(passive_choose(&m, &in, &e), 0);
	cr_assert_eq(e.choice, PASSIVE_JOIN);
	cr_assert_float_eq(e.ev[PASSIVE_JOIN], (1 - exp(-60 * exp(-0.5))) * 1.0, 1e-12);
}

Test(passive, refuses_a_bad_model_or_book)
{
	struct passive_model m = { .a = 1, .k = 1, .order_lots = 1, .horizon_s = 1,
				   .move_ticks = 1 };
	struct passive_in in = { .side = 1, .bid_px = 10, .ask_px = 11, .queue_ahead = 0,
				 .qty = 1 };
	struct passive_eval e = { .choice = 7 };
	struct passive_model bad = m;
	bad.a = 0;
	cr_assert_eq(passive_choose(&bad, &in, &e), -EINVAL);
	bad = m;
	bad.horizon_s = 0;
	cr_assert_eq(passive_choose(&bad, &in, &e), -EINVAL);
	struct passive_in crossed = in;
	crossed.ask_px = 10;
	cr_assert_eq(passive_choose(&m, &crossed, &e), -EINVAL);
	struct passive_in side0 = in;
	side0.side = 0;
	cr_assert_eq(passive_choose(&m, &side0, &e), -EINVAL);
	cr_assert_eq(e.choice, 7, "untouched");
}
