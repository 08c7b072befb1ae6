/*
 * test_mm_sim.c — the Avellaneda-Stoikov simulation (libcore/control/
 * mm_sim.h) against independent computations: the per-step fill
 * probability of a fixed quote, the symmetric strategy's expected profit
 * and inventory variance in closed form, the mean spread by hand, and the
 * paper's Tables 1-3 within sampling error where the model as the paper
 * describes it reproduces them (docs/strategies.md says where it does not).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "libcore/control/mm_sim.h"

#define T_PATHS 20000u  /* per row: 0.05 s plain for 200 steps */

static void t_params(struct mm_sim_params *p, double gamma)
{
	mm_sim_params_default(p);
	p->gamma = gamma;
	p->paths = T_PATHS;
	p->seed = 20080401;
}

static struct mm_sim_stats t_run(const struct mm_sim_params *p, int strategy)
{
	struct mm_sim_stats st;
	char err[160] = "";

	cr_assert_eq(mm_sim_run(p, strategy, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.paths, p->paths);
	return st;
}

/* ------------------------------------------------------------ building blocks */

Test(mm_sim, mean_spread_by_hand)
{
	struct mm_sim_params p;

	t_params(&p, 0.1);
	cr_assert_eq(mm_sim_steps(&p), 200);
	/* mean of gamma sigma^2 (T - i dt) over i = 0..199 is
	 * gamma sigma^2 (T - dt 199/2) = 0.4 (1 - 0.4975) = 0.201;
	 * (2/gamma) ln(1 + gamma/k) = 20 ln(16/15) = 1.2907704... */
	double base = 20.0 * log(16.0 / 15.0);
	cr_assert_float_eq(mm_sim_mean_spread(&p), base + 0.201, 1e-12);
	/* the quotes a path actually posts: their mean spread is the same */
	struct mm_sim_path r;
	mm_sim_path_run(&p, MM_SIM_INVENTORY, 0, 3, &r);
	cr_assert_float_eq(r.spread_sum / 200, base + 0.201, 1e-9);
	p.spread = MM_SIM_SPREAD_CONSTANT;
	cr_assert_float_eq(mm_sim_mean_spread(&p), base, 1e-12);
	mm_sim_path_run(&p, MM_SIM_INVENTORY, 0, 3, &r);
	cr_assert_float_eq(r.spread_sum / 200, base, 1e-9);
	/* the paper's "average spread" column: 1.29, 1.33, 1.15 */
	cr_assert_float_eq(round(base * 100) / 100, 1.29, 1e-12);
	p.gamma = 0.01;
	cr_assert_float_eq(round(mm_sim_mean_spread(&p) * 100) / 100, 1.33, 1e-12);
	p.gamma = 0.5;
	cr_assert_float_eq(round(mm_sim_mean_spread(&p) * 100) / 100, 1.15, 1e-12);
}

Test(mm_sim, params_refused_with_the_field)
{
	struct mm_sim_params p;
	char err[160];

	t_params(&p, 0.1);
	p.dt = 2;
	cr_assert_neq(mm_sim_params_check(&p, err, sizeof(err)), 0);
	cr_assert(strstr(err, "dt = 2"), "%s", err);
	t_params(&p, 0);
	cr_assert_neq(mm_sim_params_check(&p, err, sizeof(err)), 0);
	cr_assert(strstr(err, "gamma"), "%s", err);
	t_params(&p, 0.1);
	p.k = -1;
	cr_assert_neq(mm_sim_params_check(&p, err, sizeof(err)), 0);
	cr_assert(strstr(err, "k = -1"), "%s", err);
}

Test(mm_sim, fill_probability_is_clamped)
{
	cr_assert_float_eq(mm_sim_fill_prob(140, 1.5, 1, 0.005), 0.7 * exp(-1.5), 1e-15);
	cr_assert_float_eq(mm_sim_fill_prob(140, 1.5, -3, 0.005), 1, 0);
	cr_assert_float_eq(mm_sim_fill_prob(140, 1.5, 1e6, 0.005), 0, 0);
}

/*
 * A fixed quote d from the mid (the symmetric strategy with spread 2d):
 * the share of steps in which the bid (or the ask) is hit is A exp(-k d) dt
 * when fills meet the mid the quote was set at, and
 * A exp(-k d) dt cosh(k sigma sqrt(dt)) when they meet the moved mid
 * (the distance is d -/+ sigma sqrt(dt) with probability 1/2 each).
 * Within 4 binomial standard errors.
 */
static void t_fill_count(int fill_mid, double want)
{
	struct mm_sim_params p;
	uint64_t fills = 0, trials;

	t_params(&p, 0.1);
	p.fill_mid = fill_mid;
	p.paths = 4000;
	for (uint64_t j = 0; j < p.paths; j++) {
		struct mm_sim_path r;
		mm_sim_path_run(&p, MM_SIM_SYMMETRIC, 2 * 0.8, j, &r);
		fills += r.bid_fills + r.ask_fills;
	}
	trials = 2 * p.paths * mm_sim_steps(&p);
	double got = (double)fills / (double)trials;
	double se = sqrt(want * (1 - want) / (double)trials);
	cr_assert(fabs(got - want) < 4 * se, "fill share %.6f, want %.6f +- %.6f", got,
		  want, 4 * se);
}

Test(mm_sim, fill_probability_old_mid_is_A_exp_minus_k_d_dt)
{
	t_fill_count(MM_SIM_FILL_OLD_MID, 140 * exp(-1.5 * 0.8) * 0.005);
}

Test(mm_sim, fill_probability_new_mid_averages_the_move)
{
	t_fill_count(MM_SIM_FILL_NEW_MID,
		     140 * exp(-1.5 * 0.8) * 0.005 * cosh(1.5 * 2 * sqrt(0.005)));
}

/*
 * The symmetric strategy in closed form.  With a constant half-spread d,
 * a move e = sigma sqrt(dt) and f(u) = min(1, A exp(-k u) dt): in a step
 * whose mid moves up the ask is d - e from the new mid and the bid d + e,
 * and the reverse when it moves down.  A fill at distance u earns u
 * against the new mid, and the mid is a martingale after it, so
 *   E[profit] = N (f(d+e) (d+e) + f(d-e) (d-e))
 * and the inventory's steps are independent with variance
 *   f(d+e) + f(d-e) - 2 f(d+e) f(d-e),  so Var q_T = N times that.
 */
Test(mm_sim, symmetric_strategy_matches_its_closed_form)
{
	struct mm_sim_params p;

	t_params(&p, 0.1);
	p.sym_spread = 1.3;
	struct mm_sim_stats st = t_run(&p, MM_SIM_SYMMETRIC);
	double d = 0.65, e = 2 * sqrt(0.005), N = 200;
	double fp = mm_sim_fill_prob(140, 1.5, d + e, 0.005);
	double fm = mm_sim_fill_prob(140, 1.5, d - e, 0.005);
	double want_profit = N * (fp * (d + e) + fm * (d - e));
	double want_qvar = N * (fp + fm - 2 * fp * fm);
	double n = (double)p.paths;

	cr_assert_float_eq(st.spread, 1.3, 1e-9);
	cr_assert(fabs(st.profit_mean - want_profit) < 4 * st.profit_std / sqrt(n),
		  "profit %.3f, want %.3f", st.profit_mean, want_profit);
	cr_assert(fabs(st.q_mean) < 4 * sqrt(want_qvar / n), "q mean %.3f", st.q_mean);
	/* the sample variance of a near-normal q has relative SE sqrt(2/n) */
	cr_assert(fabs(st.q_std * st.q_std / want_qvar - 1) < 4 * sqrt(2 / n),
		  "q var %.3f, want %.3f", st.q_std * st.q_std, want_qvar);
}

Test(mm_sim, same_seed_same_table_and_paths_shared_across_strategies)
{
	struct mm_sim_params p;
	struct mm_sim_path a, b;

	t_params(&p, 0.1);
	p.paths = 200;
	struct mm_sim_stats s1 = t_run(&p, MM_SIM_INVENTORY);
	struct mm_sim_stats s2 = t_run(&p, MM_SIM_INVENTORY);
	cr_assert(!memcmp(&s1, &s2, sizeof(s1)));
	/* the mid path is the strategy's choice of no one: same last mid */
	mm_sim_path_run(&p, MM_SIM_INVENTORY, 0, 7, &a);
	mm_sim_path_run(&p, MM_SIM_SYMMETRIC, 1.4, 7, &b);
	cr_assert_eq(a.s, b.s);
	p.seed++;
	mm_sim_path_run(&p, MM_SIM_INVENTORY, 0, 7, &b);
	cr_assert_neq(a.s, b.s);
}

/* ------------------------------------------------------------ the paper */

/*
 * The paper's rows (Avellaneda and Stoikov 2008, Tables 1-3; 1000 paths
 * each).  A mean agrees when it is within 4 standard errors of the
 * difference of two sample means, sqrt(ours^2 / n + paper^2 / 1000).  A
 * standard deviation agrees within 15%: its sampling error on the paper's
 * 1000 paths alone is about 2-3% (more for the fat-tailed inventory), and
 * the paper does not say when in a step a fill meets the mid, which moves
 * the standard deviations by up to 10% (docs/strategies.md).
 */
struct t_paper { double profit, profit_std, q, q_std; };

static void t_check_means(const struct mm_sim_stats *st, const struct t_paper *pp,
			  const char *what)
{
	double n = (double)st->paths;
	double se_p = sqrt(st->profit_std * st->profit_std / n +
			   pp->profit_std * pp->profit_std / 1000);
	double se_q = sqrt(st->q_std * st->q_std / n + pp->q_std * pp->q_std / 1000);

	cr_assert(fabs(st->profit_mean - pp->profit) < 4 * se_p,
		  "%s: profit %.2f, paper %.2f (4 SE = %.2f)", what, st->profit_mean,
		  pp->profit, 4 * se_p);
	cr_assert(fabs(st->q_mean - pp->q) < 4 * se_q,
		  "%s: final q %.3f, paper %.3f (4 SE = %.3f)", what, st->q_mean, pp->q,
		  4 * se_q);
}

static void t_check_std(double got, double paper, const char *what)
{
	cr_assert(fabs(got / paper - 1) < 0.15, "%s: std %.2f, paper %.2f", what, got, paper);
}

static void t_check_row(const struct mm_sim_stats *st, const struct t_paper *pp,
			const char *what)
{
	t_check_means(st, pp, what);
	t_check_std(st->profit_std, pp->profit_std, what);
	t_check_std(st->q_std, pp->q_std, what);
}

Test(mm_sim, paper_table_1_gamma_0_1)
{
	struct mm_sim_params p;
	static const struct t_paper inv = { 62.94, 5.89, 0.10, 2.80 };
	static const struct t_paper sym = { 67.21, 13.43, -0.018, 8.66 };

	t_params(&p, 0.1);
	struct mm_sim_stats si = t_run(&p, MM_SIM_INVENTORY);
	struct mm_sim_stats ss = t_run(&p, MM_SIM_SYMMETRIC);
	t_check_row(&si, &inv, "gamma 0.1 inventory");
	t_check_row(&ss, &sym, "gamma 0.1 symmetric");
	/* the paper's finding: far less variance for the inventory strategy */
	cr_assert(si.profit_std < 0.6 * ss.profit_std);
	cr_assert(si.q_std < 0.5 * ss.q_std);
}

Test(mm_sim, paper_table_2_gamma_0_01)
{
	struct mm_sim_params p;
	static const struct t_paper inv = { 66.78, 8.76, -0.02, 4.70 };
	static const struct t_paper sym = { 67.36, 13.40, -0.31, 8.65 };

	t_params(&p, 0.01);
	struct mm_sim_stats si = t_run(&p, MM_SIM_INVENTORY);
	struct mm_sim_stats ss = t_run(&p, MM_SIM_SYMMETRIC);
	t_check_row(&si, &inv, "gamma 0.01 inventory");
	t_check_row(&ss, &sym, "gamma 0.01 symmetric");
}

/*
 * Table 3 (gamma 0.5).  Its symmetric strategy quotes the spread the
 * table reports, 1.15 = (2/gamma) ln(1 + gamma/k): the mean of eq. 30 in
 * full would be 2.16.  Its inventory strategy's final inventory agrees;
 * its profit, 33.92 +- 4.72, lies between what eq. 30 in full (about 47)
 * and its constant term alone (about 21) give, and is not reproduced
 * (docs/strategies.md).
 */
Test(mm_sim, paper_table_3_gamma_0_5)
{
	struct mm_sim_params p;
	static const struct t_paper sym = { 66.20, 14.53, 0.25, 9.06 };
	static const struct t_paper inv = { 33.92, 4.72, -0.02, 1.88 };

	t_params(&p, 0.5);
	p.sym_spread = 1.15;
	struct mm_sim_stats ss = t_run(&p, MM_SIM_SYMMETRIC);
	t_check_row(&ss, &sym, "gamma 0.5 symmetric at spread 1.15");

	struct mm_sim_stats si = t_run(&p, MM_SIM_INVENTORY);
	double n = (double)si.paths;
	cr_assert(fabs(si.q_mean - inv.q) <
		  4 * sqrt(si.q_std * si.q_std / n + inv.q_std * inv.q_std / 1000));
	t_check_std(si.q_std, inv.q_std, "gamma 0.5 inventory q");
}
