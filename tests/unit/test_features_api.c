/*
 * test_features_api.c — the feature engine's contract apart from the
 * values (test_features.c checks those against the naive formulas):
 * parameters and their defaults, memory layout and placement, what emits
 * a vector, which clock is used, reset, exactness over long streams, and
 * that a steady-state update allocates nothing (jemalloc's per-thread
 * counters; skipped under the sanitizers, which replace the allocator).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/market/calendar.h"
#include "libcore/config/config.h"
#include "libcore/market/event.h"
#include "libcore/features/features.h"
#include "libcore/gen/gen.h"
#include "tests/helpers.h"

/* jemalloc's control interface, weak: NULL in the sanitizer builds, which
 * do not link jemalloc (their own allocator reports the errors). */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

static struct feat *t_new(const struct feat_params *p)
{
	size_t sz = feat_memsize(p);
	struct feat *f;

	cr_assert(sz > 0);
	f = aligned_alloc(64, sz);
	cr_assert_not_null(f);
	cr_assert_eq(feat_init(f, sz, p), 0);
	return f;
}

static struct event t_bookev(int64_t t, int64_t b, int64_t a, int64_t qb, int64_t qa)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_BOOK;
	ev.exch_ns = ev.recv_ns = t;
	ev.book.n_bid = ev.book.n_ask = 1;
	ev.book.bid[0] = (struct book_level){ b, qb };
	ev.book.ask[0] = (struct book_level){ a, qa };
	return ev;
}

/* ------------------------------------------------------------ parameters */

Test(features_api, names_are_the_spec_columns_in_order)
{
	static const char *const spec[FEAT_N] = {
		"mid", "micro_dev", "wmid_dev", "ofi_1", "ofi_2", "ofi_3", "ofi_ml",
		"imb_1", "imb_L", "imb_w", "spread_ticks", "spread_bps", "rv_bps",
		"velocity", "accel", "hawkes_buy", "hawkes_sell", "hawkes_imb",
		"hawkes_excite", "kyle_lambda", "amihud", "rsi", "macd", "macd_hist",
		"boll_pctb", "boll_width_bps", "fracdiff",
	};

	for (int i = 0; i < FEAT_N; i++)
		cr_assert_str_eq(feat_names[i], spec[i], "column %d", i);
}

Test(features_api, defaults_are_the_spec_values)
{
	struct feat_params p;

	feat_params_default(&p);
	cr_assert_eq(p.levels, 5);
	cr_assert_eq(p.w_ofi, 100);
	cr_assert_eq(p.w_vol, 100);
	cr_assert_eq(p.vel_k, 10);
	cr_assert_eq(p.w_liq, 50);
	cr_assert_eq(p.rsi_n, 14);
	cr_assert_eq(p.macd_fast, 12);
	cr_assert_eq(p.macd_slow, 26);
	cr_assert_eq(p.macd_signal, 9);
	cr_assert_eq(p.boll_n, 20);
	cr_assert_eq(p.boll_k, 2.0);
	cr_assert_eq(p.mu_buy, 0.5);
	cr_assert_eq(p.mu_sell, 0.5);
	cr_assert_eq(p.alpha, 0.7);
	cr_assert_eq(p.beta, 10.0);
	cr_assert_eq(p.fd_d, 0.4);
	cr_assert_eq(p.fd_thresh, 1e-4);
	cr_assert_eq(p.clock, FEAT_CLOCK_AUTO);
	cr_assert_eq(p.tick, 1.0);
	cr_assert_eq(p.lot, 1.0);
	/* "K + 1 = 282 weights for these defaults" */
	cr_assert_eq(feat_fd_count(p.fd_d, p.fd_thresh), 282);
	cr_assert_eq(feat_fd_count(1.0, 1e-4), 2);   /* w_2 = 0: first difference */
	cr_assert_eq(feat_fd_count(0.0, 1e-4), 1);
}

Test(features_api, config_defaults_give_the_default_params)
{
	struct dm_config c;
	struct feat_params b;

	config_defaults(&c);
	feat_params_default(&b);
	cr_assert(memcmp(&c.features, &b, sizeof(b)) == 0);
	cr_assert_eq(c.features.clock, FEAT_CLOCK_AUTO);
}

/* The host's part: tick and lot set; auto resolved by the input; an
 * explicit clock kept; nothing else touched. */
Test(features_api, host_fills_tick_lot_and_resolves_auto)
{
	struct feat_params p, want;

	feat_params_default(&p);
	feat_params_host(&p, 5.0, 0.001, 1);
	feat_params_default(&want);
	want.tick = 5.0;
	want.lot = 0.001;
	want.clock = FEAT_CLOCK_RECV;
	cr_assert(memcmp(&p, &want, sizeof(p)) == 0);
	cr_assert_eq(feat_params_check(&p, NULL, 0), 0);

	feat_params_default(&p);
	feat_params_host(&p, 0.5, 1.0, 0);
	cr_assert_eq(p.clock, FEAT_CLOCK_EXCH);
	cr_assert_eq(p.tick, 0.5);

	feat_params_default(&p);
	p.clock = FEAT_CLOCK_EXCH;
	feat_params_host(&p, 1.0, 1.0, 1);
	cr_assert_eq(p.clock, FEAT_CLOCK_EXCH, "an explicit exchange clock stays");
	p.clock = FEAT_CLOCK_RECV;
	feat_params_host(&p, 1.0, 1.0, 0);
	cr_assert_eq(p.clock, FEAT_CLOCK_RECV, "an explicit receive clock stays");
}

Test(features_api, bad_params_are_refused_with_the_field_named)
{
	struct feat_params p;
	char err[160];

#define T_BAD(stmt, word)                                                     \
	do {                                                                  \
		feat_params_default(&p);                                      \
		stmt;                                                         \
		err[0] = '\0';                                                \
		cr_assert_eq(feat_params_check(&p, err, sizeof(err)), -EINVAL, #stmt); \
		cr_assert(strstr(err, word), "'%s' lacks '%s'", err, word);   \
		cr_assert_eq(feat_memsize(&p), 0);                            \
	} while (0)
	T_BAD(p.tick = 0, "tick");
	T_BAD(p.tick = NAN, "tick");
	T_BAD(p.lot = -1, "lot");
	T_BAD(p.levels = 0, "levels");
	T_BAD(p.levels = 21, "levels");
	T_BAD(p.clock = 3, "clock");
	T_BAD(p.w_ofi = 0, "ofi window");
	T_BAD(p.w_vol = FEAT_MAX_WINDOW + 1, "vol window");
	T_BAD(p.vel_k = 0, "velocity lag");
	T_BAD(p.w_liq = 0, "liquidity window");
	T_BAD(p.rsi_n = 0, "rsi period");
	T_BAD(p.macd_slow = 0, "macd slow");
	T_BAD(p.boll_n = 0, "bollinger window");
	T_BAD(p.boll_k = 0, "bollinger k");
	T_BAD(p.mu_buy = -1, "mu");
	T_BAD(p.alpha = -0.1, "alpha");
	T_BAD(p.beta = 0, "beta");
	T_BAD(p.fd_d = 2.5, "fracdiff d");
	T_BAD(p.fd_thresh = 0, "threshold");
	T_BAD((p.fd_d = 0.1, p.fd_thresh = 1e-8), "weights");
#undef T_BAD
	feat_params_default(&p);
	cr_assert_eq(feat_params_check(&p, NULL, 0), 0);
}

Test(features_api, init_checks_memory)
{
	struct feat_params p;
	size_t sz;
	char *mem;

	feat_params_default(&p);
	sz = feat_memsize(&p);
	cr_assert(sz >= sizeof(struct feat) && sz % 64 == 0);
	mem = aligned_alloc(64, sz + 64);
	cr_assert_not_null(mem);
	cr_assert_eq(feat_init((struct feat *)mem, sz - 1, &p), -ENOSPC);
	cr_assert_eq(feat_init((struct feat *)(mem + 8), sz, &p), -EINVAL);
	p.levels = 0;
	cr_assert_eq(feat_init((struct feat *)mem, sz, &p), -EINVAL);
	p.levels = 5;
	cr_assert_eq(feat_init((struct feat *)mem, sz, &p), 0);
	/* memory grows with the windows */
	p.w_ofi = 1000;
	cr_assert_gt(feat_memsize(&p), sz);
	free(mem);
}

/* ------------------------------------------------------------ behaviour */

Test(features_api, only_book_updates_with_both_sides_emit)
{
	struct feat_params p;
	struct event ev;
	double out[FEAT_N];
	struct feat *f;

	feat_params_default(&p);
	f = t_new(&p);
	for (int i = 0; i < FEAT_N; i++)
		out[i] = 12345;
	ev = t_bookev(1000, 100, 101, 1, 1);
	ev.book.n_ask = 0;
	cr_assert_eq(feat_update(f, &ev, out), 0);
	ev = t_bookev(1000, 100, 101, 1, 1);
	ev.book.n_bid = 0;
	cr_assert_eq(feat_update(f, &ev, out), 0);
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_TRADE;
	ev.trade.qty = 1;
	ev.trade.aggressor = 1;
	cr_assert_eq(feat_update(f, &ev, out), 0);
	ev.kind = EV_NONE;
	cr_assert_eq(feat_update(f, &ev, out), 0);
	for (int i = 0; i < FEAT_N; i++)
		cr_assert_eq(out[i], 12345, "out[%d] written", i);
	cr_assert_eq(feat_count(f), 0);
	ev = t_bookev(2000, 100, 101, 0, 0);   /* sizes 0 are a valid update */
	cr_assert_eq(feat_update(f, &ev, out), 1);
	cr_assert_eq(feat_count(f), 1);
	cr_assert_eq(out[FEAT_MID], 100.5);
	cr_assert_eq(out[FEAT_MICRO_DEV], 0);
	cr_assert_eq(out[FEAT_IMB_1], 0);
	cr_assert_eq(out[FEAT_RSI], 50);
	cr_assert_eq(out[FEAT_BOLL_PCTB], 0.5);
	cr_assert(isnan(out[FEAT_FRACDIFF]));
	free(f);
}

/* A hand-worked first update: L = 2, tick 5, one buy trade 0.1 s before. */
Test(features_api, first_update_by_hand)
{
	struct feat_params p;
	struct event ev;
	double out[FEAT_N];
	struct feat *f;

	feat_params_default(&p);
	p.levels = 2;
	p.tick = 5;
	f = t_new(&p);
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_TRADE;
	ev.exch_ns = 900000000;
	ev.trade.qty = 2;
	ev.trade.aggressor = 1;
	feat_update(f, &ev, out);
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_BOOK;
	ev.exch_ns = 1000000000;
	ev.book.n_bid = 2;
	ev.book.n_ask = 1;                       /* ask level 2 missing */
	ev.book.bid[0] = (struct book_level){ 20000, 3 };
	ev.book.bid[1] = (struct book_level){ 19999, 5 };
	ev.book.ask[0] = (struct book_level){ 20002, 1 };
	cr_assert_eq(feat_update(f, &ev, out), 1);
	/* mid = (100000 + 100010) / 2 points */
	cr_assert_eq(out[FEAT_MID], 100005.0);
	/* micro = (100010*3 + 100000*1)/4 = 100007.5: +2.5 points = 0.5 tick */
	cr_assert_float_eq(out[FEAT_MICRO_DEV], 0.5, 1e-12);
	/* B = (100000*3 + 99995*5)/8 = 99996.875, A = 100010 (Qa = 1),
	 * wp = (B*1 + A*8)/9 = 100008.541666..., minus mid, over 5 */
	cr_assert_float_eq(out[FEAT_WMID_DEV], (99996.875 + 800080.0) / 9.0 / 5.0 -
			   100005.0 / 5.0, 1e-9);
	cr_assert_eq(out[FEAT_OFI_1], 0);
	cr_assert_eq(out[FEAT_IMB_1], 0.5);          /* (3-1)/(3+1) */
	cr_assert_eq(out[FEAT_IMB_L], 7.0 / 9.0);    /* (8-1)/(8+1) */
	cr_assert_float_eq(out[FEAT_IMB_W], (2 + 5 / 2.0) / (4 + 5 / 2.0), 1e-15);
	cr_assert_eq(out[FEAT_SPREAD_TICKS], 2);
	cr_assert_float_eq(out[FEAT_SPREAD_BPS], 1e4 * 10 / 100005.0, 1e-12);
	cr_assert_eq(out[FEAT_RV_BPS], 0);
	cr_assert_eq(out[FEAT_VELOCITY], 0);
	/* lambda_buy = 0.5 + 0.7*10*exp(-10*0.1) */
	cr_assert_float_eq(out[FEAT_HAWKES_BUY], 0.5 + 7 * exp(-1.0), 1e-12);
	cr_assert_eq(out[FEAT_HAWKES_SELL], 0.5);
	cr_assert_eq(out[FEAT_KYLE_LAMBDA], 0);
	cr_assert_eq(out[FEAT_AMIHUD], 0);
	cr_assert_eq(out[FEAT_MACD], 0);
	cr_assert_eq(out[FEAT_MACD_HIST], 0);
	free(f);
}

/* Binance rows are timed by receive time: with clock RECV the engine must
 * ignore exch_ns entirely. */
Test(features_api, clock_selects_the_event_time)
{
	struct feat_params p;
	double a[FEAT_N], b[FEAT_N];
	struct feat *fr, *fe;
	struct t_rng g;

	feat_params_default(&p);
	p.clock = FEAT_CLOCK_RECV;
	fr = t_new(&p);
	p.clock = FEAT_CLOCK_EXCH;
	fe = t_new(&p);
	t_rng_seed(&g, 5);
	for (int i = 0; i < 500; i++) {
		int64_t t = 1000000000LL + i * 1000000LL;
		int64_t px = 1000 + (int64_t)t_rng_below(&g, 5);
		struct event e1 = t_bookev(t, px, px + 1, 1 + i % 3, 2), e2 = e1;

		e1.exch_ns = (int64_t)t_rng_below(&g, 1000000000); /* noise */
		e2.recv_ns = e1.exch_ns;                           /* swapped */
		e2.exch_ns = t;
		cr_assert_eq(feat_update(fr, &e1, a), 1);
		cr_assert_eq(feat_update(fe, &e2, b), 1);
		cr_assert(memcmp(a, b, sizeof(a)) == 0, "update %d", i);
		cr_assert_eq(feat_last_t_ns(fr), t);
	}
	free(fr);
	free(fe);
}

/* Stream a generated market; call back with each output vector. */
static void t_gen_start(struct gen *g, uint64_t seed)
{
	struct gen_params gp;
	struct calendar cal;
	struct dm_config c;
	dm_date_t d;
	char err[256];

	config_defaults(&c);
	cr_assert_eq(cal_init(&cal, &c.instrument), 0);
	cr_assert_eq(cal_date_parse("2022-01-03", 10, &d), 0);
	gen_params_default(&gp);
	cr_assert_eq(gen_init(g, &gp, seed, &cal, d, err, sizeof(err)), 0, "%s", err);
}

static struct gen t_g;

Test(features_api, reset_and_copy_reproduce_the_same_stream)
{
	struct feat_params p;
	struct feat *f, *g;
	struct event *ev = malloc(20000 * sizeof(*ev));
	double a[FEAT_N], b[FEAT_N];
	size_t sz;

	cr_assert_not_null(ev);
	t_gen_start(&t_g, 3);
	for (int i = 0; i < 20000; i++)
		gen_next(&t_g, &ev[i]);
	feat_params_default(&p);
	p.tick = 5;
	sz = feat_memsize(&p);
	f = t_new(&p);
	g = aligned_alloc(64, sz);
	cr_assert_not_null(g);
	for (int i = 0; i < 10000; i++)
		feat_update(f, &ev[i], a);
	/* the block is position independent: copy it and carry on in both */
	memcpy(g, f, sz);
	for (int i = 10000; i < 20000; i++) {
		int ka = feat_update(f, &ev[i], a), kb = feat_update(g, &ev[i], b);

		cr_assert_eq(ka, kb);
		if (ka)
			cr_assert(memcmp(a, b, sizeof(a)) == 0, "event %d", i);
	}
	/* reset = a fresh engine */
	feat_reset(f);
	cr_assert_eq(feat_init(g, sz, &p), 0);
	for (int i = 0; i < 20000; i++) {
		int ka = feat_update(f, &ev[i], a), kb = feat_update(g, &ev[i], b);

		cr_assert_eq(ka, kb);
		if (ka)
			cr_assert(memcmp(a, b, sizeof(a)) == 0 ||
				  (isnan(a[FEAT_FRACDIFF]) &&
				   memcmp(a, b, sizeof(double) * FEAT_FRACDIFF) == 0),
				  "event %d", i);
	}
	free(f);
	free(g);
	free(ev);
}

/* An update in two halves (feat_book_update, then feat_outputs of some
 * features, or of none: a vector nobody reads) against feat_update on a
 * second engine: every feature asked for is the same to the bit, and the
 * state goes on the same whether or not the outputs were made. */
Test(features_api, update_then_outputs_equals_the_update_at_once)
{
	struct feat_params p;
	struct feat *a, *b;
	struct event ev;
	struct t_rng g;
	double x[FEAT_N], y[FEAT_N];
	uint64_t asked[FEAT_N] = { 0 }, skipped = 0;

	t_gen_start(&t_g, 12);
	t_rng_seed(&g, 12);
	feat_params_default(&p);
	p.tick = 5;
	p.levels = 3;
	a = t_new(&p);
	b = t_new(&p);
	for (int i = 0; i < 60000; i++) {
		gen_next(&t_g, &ev);
		int ka = feat_update(a, &ev, x), kb;
		if (ev.kind != EV_BOOK) {
			kb = feat_update(b, &ev, y);
			cr_assert_eq(ka, kb);
			continue;
		}
		kb = feat_book_update(b, ev.exch_ns, ev.book.bid, ev.book.n_bid, ev.book.ask,
				      ev.book.n_ask);
		cr_assert_eq(ka, kb, "event %d", i);
		if (!kb)
			continue;
		uint64_t dice = t_rng_below(&g, 3);
		if (dice == 0) {
			skipped++;
			continue;
		}
		if (dice == 1) {
			uint32_t k = (uint32_t)t_rng_below(&g, FEAT_N);
			memset(y, 0xa5, sizeof(y));
			feat_outputs(b, 1ull << k, y);
			asked[k]++;
			cr_assert(memcmp(&x[k], &y[k], sizeof(double)) == 0,
				  "event %d: %s %.17g, at once %.17g", i, feat_names[k], y[k], x[k]);
			continue;
		}
		memset(y, 0xa5, sizeof(y));
		feat_outputs(b, FEAT_ALL, y);
		cr_assert(memcmp(x, y, sizeof(x)) == 0, "event %d: the vectors differ", i);
	}
	cr_assert_gt(skipped, 10000);
	for (int k = 0; k < FEAT_N; k++)
		cr_assert_gt(asked[k], 100, "%s asked alone %llu times", feat_names[k],
			     (unsigned long long)asked[k]);
	/* and the states are the same, whatever was read */
	cr_assert(memcmp(a, b, feat_memsize(&p)) == 0, "the two engines differ");
	free(a);
	free(b);
}

/* The fracdiff dot product has an AVX2 and an SSE2 version doing the same
 * operations in the same order: results are bit-identical.  (White box:
 * the test switches the private simd flag.) */
Test(features_api, fracdiff_is_the_same_on_avx2_and_sse2)
{
	struct feat_params p;
	struct feat *a, *b;
	struct event ev;
	double x[FEAT_N], y[FEAT_N];
	uint64_t n = 0;

	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2"))
		cr_skip_test("this CPU has no AVX2: only the SSE2 version runs");
	t_gen_start(&t_g, 4);
	feat_params_default(&p);
	p.tick = 5;
	p.fd_d = 0.3;               /* 388 weights: another tail length */
	a = t_new(&p);
	b = t_new(&p);
	cr_assert_eq(a->simd, 1);
	b->simd = 0;
	for (int i = 0; i < 30000; i++) {
		gen_next(&t_g, &ev);
		int ka = feat_update(a, &ev, x), kb = feat_update(b, &ev, y);

		cr_assert_eq(ka, kb);
		if (ka && !isnan(x[FEAT_FRACDIFF])) {
			n++;
			cr_assert(memcmp(&x[FEAT_FRACDIFF], &y[FEAT_FRACDIFF],
					 sizeof(double)) == 0, "event %d: %.17g vs %.17g",
				  i, x[FEAT_FRACDIFF], y[FEAT_FRACDIFF]);
		}
	}
	cr_assert_gt(n, 10000);
	free(a);
	free(b);
}

/* Only fracdiff may be NaN, and only before K + 1 mids. */
Test(features_api, nan_only_in_fracdiff_before_its_window_fills)
{
	struct feat_params p;
	struct feat *f;
	struct event ev;
	double out[FEAT_N];
	uint64_t n = 0;

	t_gen_start(&t_g, 9);
	feat_params_default(&p);
	p.tick = 5;
	f = t_new(&p);
	for (int i = 0; i < 50000; i++) {
		gen_next(&t_g, &ev);
		if (!feat_update(f, &ev, out))
			continue;
		n++;
		for (int k = 0; k < FEAT_N; k++)
			if (k != FEAT_FRACDIFF)
				cr_assert(isfinite(out[k]), "%s at %llu", feat_names[k],
					  (unsigned long long)n);
		cr_assert_eq(isnan(out[FEAT_FRACDIFF]) != 0, n < 282, "update %llu",
			     (unsigned long long)n);
	}
	free(f);
}

/* Exact window sums: after a million updates with jumps, a flat window
 * reads exactly 0 (no rounding residue), and the Bollinger sd is exactly 0. */
Test(features_api, window_sums_leave_no_residue)
{
	struct feat_params p;
	struct feat *f;
	double out[FEAT_N];
	struct t_rng g;
	int64_t t = 1000000000LL;

	feat_params_default(&p);
	p.tick = 0.01;
	f = t_new(&p);
	t_rng_seed(&g, 77);
	for (int i = 0; i < (T_SANITIZED ? 100000 : 1000000); i++) {
		int64_t b = 50000 + (int64_t)t_rng_below(&g, 2000);
		struct event ev = t_bookev(t += 1000, b, b + 1 + (int64_t)t_rng_below(&g, 3),
					   1 + (int64_t)t_rng_below(&g, 9), 1);

		feat_update(f, &ev, out);
		if (i % 7 == 0) {
			struct event tr;

			memset(&tr, 0, sizeof(tr));
			tr.kind = EV_TRADE;
			tr.exch_ns = t;
			tr.trade.qty = 1 + (int64_t)t_rng_below(&g, 50);
			tr.trade.aggressor = (int8_t)(t_rng_below(&g, 2) ? 1 : -1);
			feat_update(f, &tr, out);
		}
	}
	for (int i = 0; i < 101; i++) {         /* W_vol = 100 after the step */
		struct event ev = t_bookev(t += 1000, 50000, 50002, 3, 4);

		cr_assert_eq(feat_update(f, &ev, out), 1);
	}
	cr_assert_eq(out[FEAT_RV_BPS], 0.0, "rv_bps %.17g", out[FEAT_RV_BPS]);
	cr_assert_eq(out[FEAT_AMIHUD], 0.0);
	cr_assert_eq(out[FEAT_KYLE_LAMBDA], 0.0);
	cr_assert_eq(out[FEAT_OFI_1], 0.0);
	cr_assert_eq(out[FEAT_BOLL_PCTB], 0.5);
	cr_assert_eq(out[FEAT_BOLL_WIDTH_BPS], 0.0);
	cr_assert_eq(out[FEAT_VELOCITY], 0.0);
	cr_assert_eq(out[FEAT_ACCEL], 0.0);
	free(f);
}

/* ------------------------------------------------------------ allocation */

static uint64_t t_allocated(void)
{
	uint64_t v = 0;
	size_t sz = sizeof(v);

	cr_assert_eq(mallctl("thread.allocated", &v, &sz, NULL, 0), 0);
	return v;
}

static uint64_t t_deallocated(void)
{
	uint64_t v = 0;
	size_t sz = sizeof(v);

	cr_assert_eq(mallctl("thread.deallocated", &v, &sz, NULL, 0), 0);
	return v;
}

Test(features_api, steady_state_updates_allocate_nothing)
{
#if T_SANITIZED
	cr_skip_test("sanitizer build: its allocator replaces jemalloc");
#endif
	if (!mallctl)                       /* any other build without jemalloc */
		cr_skip_test("jemalloc is not linked");

	struct feat_params p;
	struct feat *f;
	struct event *ev;
	double out[FEAT_N], sink = 0;
	const size_t n_ev = 65536, steps = 1000000;

	ev = malloc(n_ev * sizeof(*ev));
	cr_assert_not_null(ev);
	t_gen_start(&t_g, 1);
	for (size_t i = 0; i < n_ev; i++)
		gen_next(&t_g, &ev[i]);
	feat_params_default(&p);
	p.tick = 5;
	f = t_new(&p);
	for (size_t i = 0; i < 10000; i++)          /* warm-up: windows full */
		feat_update(f, &ev[i % n_ev], out);
	uint64_t a0 = t_allocated(), d0 = t_deallocated();
	for (size_t i = 0; i < steps; i++)
		if (feat_update(f, &ev[i % n_ev], out))
			sink += out[FEAT_MID];
	uint64_t a1 = t_allocated(), d1 = t_deallocated();
	cr_assert_eq(a1 - a0, 0, "%llu bytes allocated in %zu updates",
		     (unsigned long long)(a1 - a0), steps);
	cr_assert_eq(d1 - d0, 0, "%llu bytes freed", (unsigned long long)(d1 - d0));
	cr_assert(sink > 0);
	/* the counter works: an allocation shows up */
	void *volatile x = malloc(1000);
	cr_assert_geq(t_allocated() - a1, 1000);
	free(x);
	free(f);
	free(ev);
}
