/*
 * test_gen_mid.c — the synthetic market's Brownian mids (libcore/gen,
 * mid_model GEN_MID_GBM / GEN_MID_ABM; docs/market-model.md): the step's
 * log-returns against the Ito drift mu - sigma^2/2 and variance sigma^2,
 * the arithmetic step's increments against mu and sigma^2, the simulated
 * mid sampled on a fixed clock inside the generator, the mid of the book
 * events the generator writes against the same volatility (with the
 * tolerance its tick rounding allows), and the Hawkes-only market left as
 * it was.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcore/config/config.h"
#include "libcore/gen/gen.h"
#include "libcore/gen/gen_params.h"
#include "libcore/journal/journal.h"
#include "libcore/market/calendar.h"
#include "tests/helpers.h"

static struct gen t_g, t_g2; /* several KiB: off the stack */

static void t_start(struct gen *g, const struct gen_params *p, uint64_t seed)
{
	struct dm_config c;
	struct calendar cal;
	dm_date_t d;
	char err[256] = "";

	config_defaults(&c);
	cr_assert_eq(cal_init(&cal, &c.instrument), 0);
	cr_assert_eq(cal_date_parse("2022-01-03", 10, &d), 0);
	cr_assert_eq(gen_init(g, p, seed, &cal, d, err, sizeof(err)), 0, "%s", err);
}

/* Mean and sample variance of x[0..n). */
struct t_mv { double mean, var; uint64_t n; };

static void t_mv_add(struct t_mv *m, double *s2, double x)
{
	double d = x - m->mean;

	m->n++;
	m->mean += d / (double)m->n;
	*s2 += d * (x - m->mean);
	m->var = m->n > 1 ? *s2 / (double)(m->n - 1) : 0;
}

/* ------------------------------------------------------------ the step */

/*
 * GBM: log S(t+h) - log S(t) = (mu - sigma^2/2) h + sigma sqrt(h) Z, so
 * over 10^6 steps of h = 1 with mu 0.02, sigma 0.1 the log-returns have
 * mean 0.015 (standard error 1e-4: the Ito correction sigma^2/2 = 0.005 is
 * 50 standard errors, so a step without it fails) and variance 0.01
 * (relative standard error sqrt(2 / n) = 0.14%).
 */
Test(gen_mid, gbm_log_returns_have_the_ito_drift_and_sigma_squared)
{
	struct rng r;
	struct t_mv m = { 0 };
	/* each step from the same S: 10^6 compounded steps would overflow */
	double s = 130000, s2 = 0, mu = 0.02, sigma = 0.1, h = 1;
	const uint64_t n = 1000000;

	rng_seed(&r, 42, 9);
	for (uint64_t i = 0; i < n; i++) {
		double next = gen_mid_step(GEN_MID_GBM, mu, sigma, s, h, rng_normal(&r));
		t_mv_add(&m, &s2, log(next / s));
	}
	double want = (mu - 0.5 * sigma * sigma) * h, se = sigma * sqrt(h / (double)n);
	cr_assert(fabs(m.mean - want) < 4 * se, "mean %.6f, want %.6f +- %.6f", m.mean,
		  want, 4 * se);
	cr_assert(fabs(m.mean - mu * h) > 20 * se, "no Ito correction: mean %.6f", m.mean);
	cr_assert(fabs(m.var / (sigma * sigma * h) - 1) < 4 * sqrt(2.0 / (double)n),
		  "variance %.6f, want %.6f", m.var, sigma * sigma * h);
}

/* ABM: increments mu h + sigma sqrt(h) Z; h = 0.25, mu 2, sigma 7. */
Test(gen_mid, abm_increments_have_mu_dt_and_sigma_squared_dt)
{
	struct rng r;
	struct t_mv m = { 0 };
	double s = 130000, s2 = 0, mu = 2, sigma = 7, h = 0.25;
	const uint64_t n = 1000000;

	rng_seed(&r, 43, 9);
	for (uint64_t i = 0; i < n; i++) {
		double next = gen_mid_step(GEN_MID_ABM, mu, sigma, s, h, rng_normal(&r));
		t_mv_add(&m, &s2, next - s);
	}
	double se = sigma * sqrt(h / (double)n);
	cr_assert(fabs(m.mean - mu * h) < 4 * se, "mean %.5f, want %.5f", m.mean, mu * h);
	cr_assert(fabs(m.var / (sigma * sigma * h) - 1) < 4 * sqrt(2.0 / (double)n),
		  "variance %.5f, want %.5f", m.var, sigma * sigma * h);
}

/* ------------------------------------------------------------ in the market */

/*
 * One run of the generator with a Brownian mid, sampled on a fixed clock
 * of dt_s seconds of Hawkes time: at each tick of the clock the simulated
 * mid and the mid of the last book event before it.  Also how far the
 * book events' mids and the trades are from the simulated mid, in ticks.
 */
struct t_run {
	struct t_mv sim, book;  /* log-returns (gbm) or increments in points (abm) */
	double msd;             /* mean squared (book mid - mid) at the samples, ticks^2 */
	double within1;         /* share of book events with |book mid - mid| <= 1 tick */
	double max_book_dev, max_trade_dev; /* ticks */
	double last_sim;
};

static void t_market(const struct gen_params *p, uint64_t events, double dt_s,
		     struct t_run *out)
{
	struct event ev;
	double s2a = 0, s2b = 0, next_t = dt_s, prev_sim = NAN, prev_book = NAN;
	double book_mid = NAN, tick = (double)p->tick_pts, sq = 0;
	uint64_t books = 0, near = 0, samples = 0;
	int gbm = p->mid_model == GEN_MID_GBM;

	memset(out, 0, sizeof(*out));
	t_start(&t_g, p, 5);
	for (uint64_t i = 0; i < events; i++) {
		gen_next(&t_g, &ev);
		const struct gen_order *o = gen_last_order(&t_g);
		double sim = gen_mid_pts(&t_g);
		/* the clock ticks before this event: sample the state the
		 * previous events left (the simulated mid moves at events) */
		while (o->t_s >= next_t && !isnan(book_mid)) {
			if (!isnan(prev_sim)) {
				t_mv_add(&out->sim, &s2a, gbm ? log(out->last_sim / prev_sim) :
							   out->last_sim - prev_sim);
				t_mv_add(&out->book, &s2b, gbm ? log(book_mid / prev_book) :
							    book_mid - prev_book);
			}
			double dev = (book_mid - out->last_sim) / tick;
			sq += dev * dev;
			samples++;
			prev_sim = out->last_sim;
			prev_book = book_mid;
			next_t += dt_s;
		}
		if (ev.kind == EV_BOOK) {
			book_mid = 0.5 * (double)(ev.book.bid[0].px + ev.book.ask[0].px) * tick;
			double dev = fabs(book_mid - sim) / tick;
			books++;
			near += dev <= 1;
			if (dev > out->max_book_dev)
				out->max_book_dev = dev;
		} else {
			double dev = fabs((double)ev.trade.px * tick - sim) / tick;
			if (dev > out->max_trade_dev)
				out->max_trade_dev = dev;
		}
		out->last_sim = sim;
	}
	out->msd = samples ? sq / (double)samples : NAN;
	out->within1 = books ? (double)near / (double)books : 0;
}

/*
 * The book follows the mid, and its volatility is the mid's.  The book's
 * mid is the simulated one rounded to the book's half-tick grid plus what
 * the one order since the last shift moved (a market order that walks
 * levels moves it most); that noise e does not persist (the next order
 * re-centres the book), so at samples a second apart, thousands of orders
 * apart, it is independent from sample to sample and an increment of the
 * book's mid has the variance of the simulated one plus 2 E[e^2].  The
 * tolerance: the sampling band plus twice that (4 E[e^2] relative to the
 * variance in ticks^2), E[e^2] measured at the samples.
 */
static void t_check_book(const struct t_run *r, const struct gen_params *p,
			 double want_var, double var_ticks2)
{
	double band = 4 * sqrt(2.0 / (double)r->sim.n);
	double rounding = 4 * r->msd / var_ticks2;

	cr_log_info("mid var %.5g, book var %.5g, want %.5g; n %llu, band %.3f, rounding %.4f, "
		    "rms %.3f ticks, within 1 tick %.4f, max %.1f / trade %.1f ticks",
		    r->sim.var, r->book.var, want_var, (unsigned long long)r->sim.n, band,
		    rounding, sqrt(r->msd), r->within1, r->max_book_dev, r->max_trade_dev);

	cr_assert_lt(r->msd, 0.25, "book mid rms %.2f ticks from the mid", sqrt(r->msd));
	cr_assert_gt(r->within1, 0.97, "book mid within 1 tick in %.3f of the events",
		     r->within1);
	cr_assert_leq(r->max_book_dev, (double)p->max_walk, "book mid %.1f ticks off",
		      r->max_book_dev);
	cr_assert_leq(r->max_trade_dev, 2.0 * p->max_walk, "a trade %.1f ticks off",
		      r->max_trade_dev);
	cr_assert(fabs(r->book.var / want_var - 1) < band + rounding,
		  "book mid: var %.4g, want %.4g (band %.3f + rounding %.4f)", r->book.var,
		  want_var, band, rounding);
}

/*
 * GBM mid, sigma 3e-4 per sqrt(s) (an active WIN day, 7.8 ticks a second),
 * mu 2e-5 per s, sampled every second over about 3,400 s of session: the
 * simulated mid's log-returns have variance sigma^2 dt within 4 relative
 * standard errors sqrt(2/n) (about 10%) and mean (mu - sigma^2/2) dt
 * within 4 standard errors; the book's as t_check_book says.
 */
Test(gen_mid, gbm_market_mid_and_book_have_the_volatility)
{
	struct gen_params p;
	struct t_run r;
	double sigma = 3e-4, mu = 2e-5, dt = 1;

	gen_params_default(&p);
	p.mid_model = GEN_MID_GBM;
	p.mid_mu = mu;
	p.mid_sigma = sigma;
	t_market(&p, 600000, dt, &r);
	cr_assert_gt(r.sim.n, 2500);

	double want_var = sigma * sigma * dt, band = 4 * sqrt(2.0 / (double)r.sim.n);
	cr_assert(fabs(r.sim.var / want_var - 1) < band, "simulated mid: var %.4g, want %.4g",
		  r.sim.var, want_var);
	cr_assert(fabs(r.sim.mean - (mu - sigma * sigma / 2) * dt) <
		  4 * sigma * sqrt(dt / (double)r.sim.n), "simulated mid: mean %.4g", r.sim.mean);
	double s_ticks = r.last_sim / (double)p.tick_pts;
	t_check_book(&r, &p, want_var, want_var * s_ticks * s_ticks);
}

/* ABM mid: increments mean mu dt, variance sigma^2 dt (points). */
Test(gen_mid, abm_market_mid_and_book_have_the_volatility)
{
	struct gen_params p;
	struct t_run r;
	double sigma = 39, mu = 0.05, dt = 1;

	gen_params_default(&p);
	p.mid_model = GEN_MID_ABM;
	p.mid_mu = mu;
	p.mid_sigma = sigma;
	t_market(&p, 600000, dt, &r);

	double want_var = sigma * sigma * dt, band = 4 * sqrt(2.0 / (double)r.sim.n);
	cr_assert(fabs(r.sim.var / want_var - 1) < band, "var %.4g, want %.4g", r.sim.var,
		  want_var);
	cr_assert(fabs(r.sim.mean - mu * dt) < 4 * sigma * sqrt(dt / (double)r.sim.n),
		  "mean %.4g, want %.4g", r.sim.mean, mu * dt);
	double tick = (double)p.tick_pts;
	t_check_book(&r, &p, want_var, want_var / (tick * tick));
}

/* ------------------------------------------------------------ the rest */

/* The order flow (times and types) is the seed's, whatever the mid. */
Test(gen_mid, order_flow_is_the_same_as_hawkes_only)
{
	struct gen_params ph, pg;
	struct event ea, eb;

	gen_params_default(&ph);
	pg = ph;
	pg.mid_model = GEN_MID_GBM;
	pg.mid_sigma = 3e-4;
	t_start(&t_g, &ph, 11);
	t_start(&t_g2, &pg, 11);
	cr_assert(isnan(gen_mid_pts(&t_g)));
	for (int i = 0; i < 20000; i++) {
		do
			gen_next(&t_g, &ea);
		while (ea.kind != EV_BOOK);
		do
			gen_next(&t_g2, &eb);
		while (eb.kind != EV_BOOK);
		cr_assert_eq(gen_last_order(&t_g)->type, gen_last_order(&t_g2)->type);
		cr_assert_eq(gen_last_order(&t_g)->t_s, gen_last_order(&t_g2)->t_s);
		cr_assert_eq(ea.exch_ns, eb.exch_ns);
	}
	/* and the prices are not: the mid moved the book */
	cr_assert_neq(gen_best_bid(&t_g), gen_best_bid(&t_g2));
}

Test(gen_mid, params_keys_read_written_and_refused_with_their_place)
{
	struct gen_params p;
	char path[] = "/tmp/test_gen_mid_XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *f;

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fprintf(f, "mid: gbm\nmid_mu_per_s: 1e-5\nmid_sigma_per_sqrt_s: 2e-4\n");
	fclose(f);
	gen_params_default(&p);
	cr_assert_eq(gen_params_load(&p, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.mid_model, GEN_MID_GBM);
	cr_assert_float_eq(p.mid_mu, 1e-5, 0);
	cr_assert_float_eq(p.mid_sigma, 2e-4, 0);
	cr_assert_eq(gen_params_check(&p, err, sizeof(err)), 0, "%s", err);

	/* written back, read back */
	f = fopen(path, "w");
	cr_assert_not_null(f);
	gen_params_write_json(f, &p, 0);
	fclose(f);
	struct gen_params q;
	gen_params_default(&q);
	cr_assert_eq(gen_params_load(&q, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(q.mid_model, GEN_MID_GBM);
	cr_assert_eq(q.mid_sigma, 2e-4);

	/* a bad model names file:line:column and the key */
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "warmup_s: 10\nmid: brownian\n");
	fclose(f);
	cr_assert_neq(gen_params_load(&p, path, err, sizeof(err)), 0);
	cr_assert(strstr(err, ":2:6: mid: expected hawkes, gbm or abm"), "%s", err);

	/* out of range: refused by the check, naming the key */
	gen_params_default(&p);
	p.mid_model = GEN_MID_ABM;
	p.mid_sigma = -1;
	cr_assert_neq(gen_params_check(&p, err, sizeof(err)), 0);
	cr_assert(strstr(err, "mid_sigma_per_sqrt_s"), "%s", err);
	unlink(path);

	/* the Hawkes-only file has no mid keys: byte for byte as before */
	char *buf = NULL;
	size_t len = 0;
	f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	gen_params_default(&p);
	gen_params_write_json(f, &p, 0);
	fclose(f);
	cr_assert_null(strstr(buf, "mid"), "%s", buf);
	free(buf);
}

/* ------------------------------------------------------------ dm-gen */

static void t_tool_setup(void)
{
	t_tmp_init("dmgenmid");
}

TestSuite(gen_mid_tool, .init = t_tool_setup, .fini = t_tmp_cleanup, .timeout = 120);

/*
 * The journal dm-gen --mid gbm writes: the mid of its book events,
 * sampled every second of exchange time (one session: exchange time is
 * session time), has log-returns of variance sigma^2 within the sampling
 * band plus the rounding allowance of t_check_book with E[e^2] <= 0.25
 * tick^2 (gbm_market_mid_and_book_have_the_volatility measures 0.11 and
 * asserts < 0.25).
 */
Test(gen_mid_tool, dm_gen_gbm_journal_has_the_volatility)
{
	const char *path = t_tmp_path("gbm.jrnl");
	char out[4096];
	double sigma = 3e-4;
	int rc = t_sh(out, sizeof(out), "'%s/dm-gen' --seed 3 --events 600000 --output '%s' "
		      "--mid gbm --mid-sigma %g --quiet", t_bin_dir(), path, sigma);
	cr_assert_eq(rc, 0, "%s", out);

	struct journal_reader jr;
	struct event ev;
	struct t_mv m = { 0 };
	double s2 = 0, mid = NAN, prev = NAN;
	int64_t next = 0;

	cr_assert_eq(journal_open_read(&jr, path, 0), 0);
	while ((rc = journal_next_event(&jr, &ev)) == 1) {
		if (ev.kind != EV_BOOK)
			continue;
		if (!next)
			next = ev.exch_ns + 1000000000;
		while (ev.exch_ns >= next && !isnan(mid)) {
			if (!isnan(prev))
				t_mv_add(&m, &s2, log(mid / prev));
			prev = mid;
			next += 1000000000;
		}
		mid = 0.5 * (double)(ev.book.bid[0].px + ev.book.ask[0].px);
	}
	journal_reader_close(&jr);
	cr_assert_eq(rc, 0);
	cr_assert_gt(m.n, 2500);

	double want = sigma * sigma, band = 4 * sqrt(2.0 / (double)m.n);
	double var_ticks2 = want * mid * mid; /* mid in ticks */
	double rounding = 4 * 0.25 / var_ticks2;
	cr_log_info("dm-gen journal: var %.5g, want %.5g, n %llu, band %.3f, rounding %.4f",
		    m.var, want, (unsigned long long)m.n, band, rounding);
	cr_assert(fabs(m.var / want - 1) < band + rounding, "var %.4g, want %.4g", m.var, want);
}

/* --mid hawkes is the market without the option, byte for byte past the
 * header (which holds the creation time and pid). */
Test(gen_mid_tool, dm_gen_mid_hawkes_is_the_default_byte_for_byte)
{
	char out[4096];
	const char *a = t_tmp_path("a.jrnl"), *b = t_tmp_path("b.jrnl");
	int rc = t_sh(out, sizeof(out), "'%s/dm-gen' --seed 9 --events 50000 --output '%s' --quiet "
		      "&& '%s/dm-gen' --seed 9 --events 50000 --output '%s' --quiet --mid hawkes "
		      "&& cmp -i 128 '%s' '%s'", t_bin_dir(), a, t_bin_dir(), b, a, b);
	cr_assert_eq(rc, 0, "%s", out);

	/* and a Brownian mid changes the prices */
	rc = t_sh(out, sizeof(out), "'%s/dm-gen' --seed 9 --events 50000 --output '%s' --quiet "
		  "--mid abm && cmp -s -i 128 '%s' '%s'", t_bin_dir(), b, a, b);
	cr_assert_neq(rc, 0, "%s", out);

	/* bad values: usage errors naming the option */
	rc = t_sh(out, sizeof(out), "'%s/dm-gen' --seed 9 --events 5 --output '%s' --mid gmb",
		  t_bin_dir(), b);
	cr_assert_eq(rc, 2);
	cr_assert(strstr(out, "--mid 'gmb': expected hawkes, gbm or abm"), "%s", out);
	rc = t_sh(out, sizeof(out), "'%s/dm-gen' --seed 9 --events 5 --output '%s' --mid abm "
		  "--mid-sigma -1", t_bin_dir(), b);
	cr_assert_eq(rc, 2);
	cr_assert(strstr(out, "--mid-sigma '-1'"), "%s", out);
}
