/*
 * test_strategy_mm.c — the market makers of libcore/strategy (kinds mm_as
 * and mm_glft): the wanted quotes against the formulas of Avellaneda-
 * Stoikov and Gueant-Lehalle-Fernandez-Tapia worked out here (not through
 * libcore/control/mm), rounding to ticks away from the mid and never
 * across the touch, the inventory bound, the re-quote threshold, the
 * resting quotes followed through execution reports, no allocation in the
 * handlers, the configuration's keys, and dm-backtest end to end on a
 * synthetic WIN market and on a real sample (LOBSTER AAPL).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <errno.h>
#include <stdatomic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/config/config.h"
#include "libcore/strategy/strategy.h"
#include "libcore/trader/trader_params.h"
#include "libcore/types.h"
#include "libcore/msg/msg.h"
#include "tests/helpers.h"

extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

#define MS   1000000LL
#define NS_S 1000000000LL
#define T0   (1641211200LL * NS_S) /* 2022-01-03 12:00 UTC: 09:00 in B3 */
#define TICK 5.0

/* ------------------------------------------------------------ the formulas, here */

static double t_base(double g, double k)
{
	return log(1 + g / k) / g;
}

static double t_glft_c(double g, double sigma, double k, double a)
{
	return sqrt(sigma * sigma * g / (2 * k * a) * pow(1 + g / k, 1 + k / g));
}

static void t_mm_params(struct strategy_mm_params *p)
{
	memset(p, 0, sizeof(*p));
	p->gamma = 0.1;
	p->k = 1.5;
	p->a = 2.0;
	p->qty = 1;
	p->qmax = 3;
	p->requote_ticks = 1;
	p->horizon_ns = 0;
	p->close_ns = 66300 * NS_S;      /* 18:25 */
	p->utc_offset_ns = -180 * 60 * NS_S;
	p->vol_halflife_ns = 60 * NS_S;
	p->sigma_prior = 0.8;
	p->skew_ticks = 0;
	p->ack_timeout_ns = NS_S;
}

/* The rounding rule of strategy.h, spelt out: floor / ceiling, then at
 * most best ask - 1 / at least best bid + 1. */
static int64_t t_bid_ticks(double raw, double mid, double spread)
{
	int64_t b = (int64_t)floor(raw + 1e-9), best_ask = llround(mid + spread / 2);
	return b > best_ask - 1 ? best_ask - 1 : b;
}

static int64_t t_ask_ticks(double raw, double mid, double spread)
{
	int64_t a = (int64_t)ceil(raw - 1e-9), best_bid = llround(mid - spread / 2);
	return a < best_bid + 1 ? best_bid + 1 : a;
}

Test(strategy_mm, glft_quotes_equal_the_closed_form)
{
	struct strategy_mm_params p;
	t_mm_params(&p);
	p.qmax = 10;
	const double mids[] = { 26000.0, 26000.5, 25999.25 };
	const double spreads[] = { 1, 2, 4 };
	const double sigmas[] = { 0.3, 1.0, 2.5 };
	for (int m = 0; m < 3; m++)
		for (int q = -4; q <= 4; q++)
			for (int si = 0; si < 3; si++) {
				double mid = mids[m], sp = spreads[m], sg = sigmas[si];
				double c = t_glft_c(p.gamma, sg, p.k, p.a), b = t_base(p.gamma, p.k);
				double rb = mid - (b + (2.0 * q + 1) / 2 * c);
				double ra = mid + (b - (2.0 * q - 1) / 2 * c);
				struct strategy_mm_want w;
				cr_assert_eq(strategy_mm_want(&p, STRAT_MM_GLFT, mid, sp, q, sg, 0, 0,
							      &w), 0);
				cr_expect_float_eq(w.raw_bid, rb, 1e-9, "q %d sigma %g", q, sg);
				cr_expect_float_eq(w.raw_ask, ra, 1e-9, "q %d sigma %g", q, sg);
				cr_expect_eq(w.bid, t_bid_ticks(rb, mid, sp), "q %d sigma %g: bid %lld",
					     q, sg, (long long)w.bid);
				cr_expect_eq(w.ask, t_ask_ticks(ra, mid, sp), "q %d sigma %g: ask %lld",
					     q, sg, (long long)w.ask);
				cr_expect(w.has_bid && w.has_ask, "|q| %d < qmax: both sides", q);
			}
}

Test(strategy_mm, as_quotes_equal_the_reservation_price_and_spread)
{
	struct strategy_mm_params p;
	t_mm_params(&p);
	p.qmax = 10;
	const double taus[] = { 0, 60, 3600, 33900 };
	for (int ti = 0; ti < 4; ti++)
		for (int q = -3; q <= 3; q++) {
			double mid = 26000.5, sp = 1, sg = 0.05, tau = taus[ti];
			double r = mid - q * p.gamma * sg * sg * tau;
			double spread = p.gamma * sg * sg * tau + 2 / p.gamma * log(1 + p.gamma / p.k);
			struct strategy_mm_want w;
			cr_assert_eq(strategy_mm_want(&p, STRAT_MM_AS, mid, sp, q, sg, tau, 0, &w), 0);
			cr_expect_float_eq(w.raw_bid, r - spread / 2, 1e-9, "tau %g q %d", tau, q);
			cr_expect_float_eq(w.raw_ask, r + spread / 2, 1e-9, "tau %g q %d", tau, q);
			cr_expect_eq(w.bid, t_bid_ticks(r - spread / 2, mid, sp));
			cr_expect_eq(w.ask, t_ask_ticks(r + spread / 2, mid, sp));
		}
}

Test(strategy_mm, rounding_goes_away_from_the_mid_and_never_crosses_the_touch)
{
	struct strategy_mm_params p;
	t_mm_params(&p);
	p.qmax = 10;
	/* sigma 0 in GLFT: bid = mid - base, ask = mid + base, base =
	 * 10 ln(1 + 0.1/1.5) = 0.64539 ticks.  mid 100.5, spread 1: touch
	 * 100 / 101.  raw bid 99.8546 -> 99, raw ask 101.1454 -> 102. */
	struct strategy_mm_want w;
	cr_assert_eq(strategy_mm_want(&p, STRAT_MM_GLFT, 100.5, 1, 0, 0, 0, 0, &w), 0);
	cr_expect_eq(w.bid, 99);
	cr_expect_eq(w.ask, 102);
	/* a shift of +1.5 ticks: raw bid 101.3546 -> floor 101 is the best
	 * ask: kept one tick below it, 100; raw ask 102.6454 -> 103 */
	cr_assert_eq(strategy_mm_want(&p, STRAT_MM_GLFT, 100.5, 1, 0, 0, 0, 1.5, &w), 0);
	cr_expect_eq(w.bid, 100, "a bid never reaches the best ask");
	cr_expect_eq(w.ask, 103);
	/* a shift of -1.5: the ask raw 99.6454 -> 100, the best bid: 101 */
	cr_assert_eq(strategy_mm_want(&p, STRAT_MM_GLFT, 100.5, 1, 0, 0, 0, -1.5, &w), 0);
	cr_expect_eq(w.ask, 101, "an ask never reaches the best bid");
	cr_expect_eq(w.bid, 98);
	/* inside a wide spread a quote may improve the touch: mid 100,
	 * spread 6 (touch 97 / 103): bid 99, ask 101 */
	cr_assert_eq(strategy_mm_want(&p, STRAT_MM_GLFT, 100, 6, 0, 0, 0, 0, &w), 0);
	cr_expect_eq(w.bid, 99);
	cr_expect_eq(w.ask, 101);
	/* a price exactly on a tick stays there (no 1e-12 noise down) */
	p.gamma = 1e-13; /* base -> 1/k */
	p.k = 0.5;       /* base 2 ticks exactly */
	cr_assert_eq(strategy_mm_want(&p, STRAT_MM_GLFT, 100, 1, 0, 0, 0, 0, &w), 0);
	cr_expect_eq(w.bid, 98);
	cr_expect_eq(w.ask, 102);
}

Test(strategy_mm, no_quote_takes_the_inventory_beyond_its_bound)
{
	struct strategy_mm_params p;
	t_mm_params(&p); /* qmax 3, qty 1 */
	struct strategy_mm_want w;
	for (uint32_t kind = STRAT_MM_AS; kind <= STRAT_MM_GLFT; kind++) {
		for (int q = -3; q <= 3; q++) {
			cr_assert_eq(strategy_mm_want(&p, kind, 26000.5, 1, q, 1.0, 600, 0, &w), 0);
			cr_expect_eq(w.has_bid, q + 1 <= 3, "kind %u q %d", kind, q);
			cr_expect_eq(w.has_ask, q - 1 >= -3, "kind %u q %d", kind, q);
		}
	}
	/* two contracts a quote, bound 5: no bid from q = 4 on, no ask to -4 */
	p.qty = 2;
	p.qmax = 5;
	for (int q = -5; q <= 5; q++) {
		cr_assert_eq(strategy_mm_want(&p, STRAT_MM_GLFT, 26000.5, 1, q, 1.0, 0, 0, &w), 0);
		cr_expect_eq(w.has_bid, q + 2 <= 5, "q %d", q);
		cr_expect_eq(w.has_ask, q - 2 >= -5, "q %d", q);
	}
	/* out of range parameters: no quote at all */
	p.k = 0;
	cr_expect_eq(strategy_mm_want(&p, STRAT_MM_GLFT, 26000.5, 1, 0, 1.0, 0, 0, &w), -EINVAL);
}

Test(strategy_mm, the_horizon_is_the_session_close_or_rolling)
{
	struct strategy_mm_params p;
	t_mm_params(&p);
	/* T0 is 09:00 local; the close 18:25: 33900 s left */
	cr_expect_float_eq(strategy_mm_tau_s(&p, T0), 33900.0, 1e-9);
	cr_expect_float_eq(strategy_mm_tau_s(&p, T0 + 33000 * NS_S + 500 * MS), 899.5, 1e-9);
	cr_expect_float_eq(strategy_mm_tau_s(&p, T0 + 34000 * NS_S), 0.0, 1e-12, "after the close");
	p.horizon_ns = 300 * NS_S;
	cr_expect_float_eq(strategy_mm_tau_s(&p, T0 + 34000 * NS_S), 300.0, 1e-12);
}

/* ------------------------------------------------------------ a host */

#define T_MAX 64
struct t_host {
	struct msg_intent slot;
	struct msg_intent got[T_MAX];
	uint64_t cancelled[T_MAX];
	uint32_t n, nc;
	int full, cancel_full;
};

static struct msg_intent *h_claim(void *p)
{
	struct t_host *h = p;
	return h->full ? NULL : &h->slot;
}

static void h_publish(void *p, struct msg_intent *o)
{
	struct t_host *h = p;
	h->got[h->n++ % T_MAX] = *o;
}

static int h_cancel(void *p, const struct msg_cancel *k)
{
	struct t_host *h = p;
	if (h->cancel_full)
		return -EAGAIN;
	cr_assert_eq(k->hdr.type, MSG_CANCEL);
	cr_assert_neq(k->client_order_id, 0, "a strategy never cancels all");
	h->cancelled[h->nc++ % T_MAX] = k->client_order_id;
	return 0;
}

static void t_open(struct strategy *s, struct strategy_state *st, uint32_t kind,
		   const struct strategy_mm_params *mp, struct t_host *h)
{
	struct strategy_params p;
	memset(&p, 0, sizeof(p));
	primary_params_default(&p.primary);
	p.primary.feature = FEAT_OFI_ML;
	p.tick = TICK;
	p.rule_only = 1;
	p.kind = kind;
	p.mm = *mp;
	memset(h, 0, sizeof(*h));
	strategy_init(st);
	const struct strategy_out out = { .ctx = h, .intent_claim = h_claim,
					  .intent_publish = h_publish, .cancel = h_cancel };
	cr_assert_eq(strategy_attach(s, st, &p, &out), 0);
}

/* A clean vector: mid in ticks (FEAT_MID is in points), spread in ticks. */
static struct msg_features t_vec(double mid_ticks, double spread, int64_t exch_ns, uint64_t seq)
{
	struct msg_features f;
	memset(&f, 0, sizeof(f));
	f.hdr.type = MSG_FEATURES;
	f.hdr.size = sizeof(f);
	f.hdr.seq = seq;
	f.hdr.flags = MSG_F_REPLAY;
	f.hdr.ingress_ns = exch_ns;
	f.exch_ns = exch_ns;
	f.instrument = 2;
	f.n = FEAT_N;
	f.f[FEAT_MID] = mid_ticks * TICK;
	f.f[FEAT_SPREAD_TICKS] = spread;
	return f;
}

static struct msg_exec_report t_rep(uint64_t coid, int side, uint8_t status, int32_t last,
				    int32_t leaves)
{
	struct msg_exec_report r;
	memset(&r, 0, sizeof(r));
	r.hdr.type = MSG_EXEC_REPORT;
	r.hdr.size = sizeof(r);
	r.client_order_id = coid;
	r.side = (int8_t)side;
	r.status = status;
	r.last_qty = last;
	r.leaves_qty = leaves;
	static uint64_t exec_ids;
	r.exec_id = last ? ++exec_ids : 0; /* unique per fill, as the venue's */
	r.liquidity = last ? MSG_LIQ_MAKER : 0;
	return r;
}

/*
 * A report handed again after a restart: the same seq (the host died
 * after the strategy took it, before its ring's consumer moved on) moves
 * neither the inventory nor the counters; a fill published again under a
 * new seq (execution restarted before it recorded the publication) is
 * known by its exec_id.  A ledger left half-written (the copy made, the
 * flip not done) is as if the report never came: handed again, it counts
 * once.  Expected values are counted by hand from the reports.
 */
Test(strategy_mm, a_report_handed_again_counts_once)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_mm_params mp;
	struct t_host h;
	t_mm_params(&mp);
	t_open(&s, &st, STRAT_MM_GLFT, &mp, &h);
	struct msg_features f = t_vec(26000.5, 1, T0, 1);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_assert_eq(h.n, 2);
	struct msg_exec_report ack = t_rep(101, SIDE_BUY, EXEC_ACK, 0, 2);
	ack.hdr.seq = 1;
	strategy_on_report(&s, &ack);
	cr_assert_eq(st.mm.quote[0].state, SQ_LIVE);
	struct msg_exec_report fill = t_rep(101, SIDE_BUY, EXEC_PARTIAL, 1, 1);
	fill.hdr.seq = 2;
	strategy_on_report(&s, &fill);
	const struct strategy_mm_ledger *l = strategy_mm_led(&st.mm);
	cr_expect_eq(l->position, 1);
	cr_expect_eq(l->fills, 1);
	cr_expect_eq(l->reports, 2);
	/* the same seq again (ack and fill): nothing moves */
	strategy_on_report(&s, &ack);
	strategy_on_report(&s, &fill);
	l = strategy_mm_led(&st.mm);
	cr_expect_eq(l->position, 1, "a fill handed again adds nothing");
	cr_expect_eq(l->fills, 1);
	cr_expect_eq(l->reports, 2);
	cr_expect_eq(l->dups, 2);
	cr_expect_eq(st.mm.quote[0].state, SQ_LIVE, "the quote is still live");
	cr_expect_eq(st.mm.quote[0].coid, 101);
	/* the fill published again under a new seq: its exec_id is known */
	struct msg_exec_report again = fill;
	again.hdr.seq = 3;
	strategy_on_report(&s, &again);
	l = strategy_mm_led(&st.mm);
	cr_expect_eq(l->position, 1);
	cr_expect_eq(l->dup_fills, 1);
	cr_expect_eq(l->reports, 3, "a report all the same (its seq is new)");
	/* the next fill of the order (a new exec_id) counts */
	struct msg_exec_report last = t_rep(101, SIDE_BUY, EXEC_FILLED, 1, 0);
	last.hdr.seq = 4;
	/* killed half-way: the copy written, the flip not made */
	uint32_t cur = atomic_load(&st.mm.cur);
	st.mm.led[cur ^ 1] = st.mm.led[cur];
	st.mm.led[cur ^ 1].position += 1;
	st.mm.led[cur ^ 1].last_seq = 4;
	cr_expect_eq(strategy_mm_led(&st.mm)->position, 1, "not in force before the flip");
	strategy_on_report(&s, &last);
	l = strategy_mm_led(&st.mm);
	cr_expect_eq(l->position, 2, "the report handed again counts once");
	cr_expect_eq(l->fills, 2);
	cr_expect_eq(l->last_seq, 4);
	cr_expect_eq(st.mm.quote[0].state, SQ_FREE, "filled: the side is free");
	strategy_on_report(&s, &last);
	cr_expect_eq(strategy_mm_led(&st.mm)->position, 2);
	cr_expect_eq(st.mm.quote[0].state, SQ_FREE);
	/* a side's last_coid written after its new state: an ack handed
	 * again finds id == coid and leaves the quote live */
	f = t_vec(26000.5, 1, T0 + 10 * MS, 2);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_assert_eq(st.mm.quote[0].state, SQ_PENDING, "a new bid");
	struct msg_exec_report ack2 = t_rep(103, SIDE_BUY, EXEC_ACK, 0, 1);
	ack2.hdr.seq = 5;
	strategy_on_report(&s, &ack2);
	st.mm.quote[0].last_coid = 101; /* killed before last_coid was written */
	strategy_on_report(&s, &ack2);
	cr_expect_eq(st.mm.quote[0].state, SQ_LIVE);
	cr_expect_eq(st.mm.quote[0].coid, 103);
	cr_expect_eq(st.mm.strays, 0, "not taken for a stray");
}

Test(strategy_mm, quotes_rest_follow_fills_and_requote_past_the_threshold)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_mm_params mp;
	struct t_host h;
	t_mm_params(&mp);
	mp.requote_ticks = 2;
	t_open(&s, &st, STRAT_MM_GLFT, &mp, &h);
	double mid = 26000.5, sg = 0.8; /* the prior; the mid does not move yet */
	struct strategy_mm_want w;
	cr_assert_eq(strategy_mm_want(&mp, STRAT_MM_GLFT, mid, 1, 0, sg, 0, 0, &w), 0);

	struct msg_features f = t_vec(mid, 1, T0, 1);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_assert_eq(h.n, 2, "a bid and an ask");
	cr_expect_eq(h.got[0].side, SIDE_BUY);
	cr_expect_eq(h.got[0].px, w.bid);
	cr_expect_eq(h.got[1].side, SIDE_SELL);
	cr_expect_eq(h.got[1].px, w.ask);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(h.got[i].tif, TIF_DAY);
		cr_expect_eq(h.got[i].ord_type, ORD_LIMIT);
		cr_expect_eq(h.got[i].qty, 1);
		cr_expect_eq(h.got[i].market_ns, T0);
	}
	cr_expect_float_eq(st.mm.sigma, sg, 1e-12, "sigma is the prior");
	/* pending: nothing more until a report (or the ack timeout) */
	f = t_vec(mid, 1, T0 + 10 * MS, 2);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_expect_eq(h.n, 2);
	/* the venue acknowledges both */
	struct msg_exec_report r = t_rep(101, SIDE_BUY, EXEC_ACK, 0, 1);
	strategy_on_report(&s, &r);
	r = t_rep(102, SIDE_SELL, EXEC_ACK, 0, 1);
	strategy_on_report(&s, &r);
	cr_expect_eq(st.mm.quote[0].state, SQ_LIVE);
	cr_expect_eq(st.mm.quote[0].coid, 101);
	cr_expect_eq(st.mm.quote[1].coid, 102);

	/* the bid fills: q = 1; GLFT moves both quotes down by c ticks */
	r = t_rep(101, SIDE_BUY, EXEC_FILLED, 1, 0);
	strategy_on_report(&s, &r);
	cr_expect_eq(strategy_mm_led(&st.mm)->position, 1);
	cr_expect_eq(st.mm.quote[0].state, SQ_FREE);
	struct strategy_mm_want w1;
	cr_assert_eq(strategy_mm_want(&mp, STRAT_MM_GLFT, mid, 1, 1, sg, 0, 0, &w1), 0);
	f = t_vec(mid, 1, T0 + 20 * MS, 3);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	int64_t moved = w1.ask - w.ask;
	cr_expect_eq(h.got[2].side, SIDE_BUY, "a new bid at once (the side was free)");
	cr_expect_eq(h.got[2].px, w1.bid);
	if (moved <= -2 || moved >= 2) {
		cr_expect_eq(h.nc, 1, "the ask moved %lld ticks: cancelled", (long long)moved);
		cr_expect_eq(h.cancelled[0], 102);
		cr_expect_eq(st.mm.quote[1].state, SQ_CANCELLING);
		cr_expect_eq(h.n, 3, "its replacement waits for the cancel's report");
		/* a second vector: still cancelling, nothing new */
		f = t_vec(mid, 1, T0 + 25 * MS, 4);
		cr_assert_eq(strategy_on_features(&s, &f), 0);
		cr_expect_eq(h.n, 3);
		r = t_rep(102, SIDE_SELL, EXEC_CANCELLED, 0, 0);
		strategy_on_report(&s, &r);
		cr_expect_eq(st.mm.quote[1].state, SQ_FREE);
		f = t_vec(mid, 1, T0 + 26 * MS, 5);
		cr_assert_eq(strategy_on_features(&s, &f), 0);
		cr_expect_eq(h.n, 4, "now the new ask");
		cr_expect_eq(h.got[3].side, SIDE_SELL);
		cr_expect_eq(h.got[3].px, w1.ask);
	} else {
		cr_expect_eq(h.nc, 0, "the ask moved %lld ticks (< 2): it rests", (long long)moved);
		cr_expect_eq(h.n, 3, "a new bid only");
	}

	/* the mid moves by one tick: a quote is cancelled iff its wanted
	 * price moved >= 2 ticks from the resting one */
	uint64_t coid = 103;
	for (int i = 0; i < 2; i++)
		if (st.mm.quote[i].state == SQ_PENDING) {
			r = t_rep(coid++, i ? SIDE_SELL : SIDE_BUY, EXEC_ACK, 0, 1);
			strategy_on_report(&s, &r);
		}
	cr_assert_eq(st.mm.quote[0].state, SQ_LIVE);
	cr_assert_eq(st.mm.quote[1].state, SQ_LIVE);
	uint32_t n0 = h.n, c0 = h.nc;
	int64_t bid_px = st.mm.quote[0].px, ask_px = st.mm.quote[1].px;
	f = t_vec(mid + 1, 1, T0 + 30 * MS, 6);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	/* sigma moved with the mid: the wanted prices with the sigma used */
	struct strategy_mm_want w2;
	cr_assert_eq(strategy_mm_want(&mp, STRAT_MM_GLFT, mid + 1, 1, 1, st.mm.sigma, 0, 0, &w2),
		     0);
	int bid_moves = llabs(w2.bid - bid_px) >= 2, ask_moves = llabs(w2.ask - ask_px) >= 2;
	cr_expect_eq(h.nc - c0, (uint32_t)(bid_moves + ask_moves),
		     "bid %lld -> %lld, ask %lld -> %lld", (long long)bid_px, (long long)w2.bid,
		     (long long)ask_px, (long long)w2.ask);
	cr_expect_eq(h.n, n0, "no new quote before a cancel's report");
	cr_expect_eq(st.mm.quote[0].state, bid_moves ? SQ_CANCELLING : SQ_LIVE);
	cr_expect_eq(st.mm.quote[1].state, ask_moves ? SQ_CANCELLING : SQ_LIVE);
	/* a move of exactly one tick with requote_ticks 1 does re-quote */
	cr_expect(bid_moves || ask_moves || llabs(w2.bid - bid_px) < 2,
		  "the threshold is the only reason to rest");
}

Test(strategy_mm, the_bound_pulls_the_side_that_would_cross_it)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_mm_params mp;
	struct t_host h;
	t_mm_params(&mp); /* qmax 3 */
	t_open(&s, &st, STRAT_MM_AS, &mp, &h);
	struct msg_features f = t_vec(26000.5, 1, T0, 1);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_assert_eq(h.n, 2);
	struct msg_exec_report r = t_rep(11, SIDE_BUY, EXEC_ACK, 0, 1);
	strategy_on_report(&s, &r);
	r = t_rep(12, SIDE_SELL, EXEC_ACK, 0, 1);
	strategy_on_report(&s, &r);
	/* three contracts bought elsewhere (a partial fill of the bid's
	 * replacements, say): q = 3 = qmax */
	r = t_rep(11, SIDE_BUY, EXEC_PARTIAL, 1, 1);
	strategy_on_report(&s, &r);
	r = t_rep(9, SIDE_BUY, EXEC_FILLED, 2, 0); /* an older order's late fill */
	strategy_on_report(&s, &r);
	cr_expect_eq(strategy_mm_led(&st.mm)->position, 3);
	cr_expect_eq(st.mm.quote[0].state, SQ_LIVE, "an older order's report leaves the quote");
	uint32_t n0 = h.n;
	f = t_vec(26000.5, 1, T0 + 10 * MS, 2);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	int bid_cancelled = 0;
	for (uint32_t i = 0; i < h.nc; i++)
		bid_cancelled |= h.cancelled[i] == 11;
	cr_expect(bid_cancelled, "the resting bid is pulled at the bound");
	for (uint32_t i = n0; i < h.n; i++)
		cr_expect_neq(h.got[i].side, SIDE_BUY, "no new bid at q = qmax");
	cr_expect_eq(st.mm.quote[0].state, SQ_CANCELLING);
	cr_expect_gt(st.mm.bound, 0);
}

Test(strategy_mm, a_quote_never_seen_is_dropped_after_the_ack_timeout_and_a_stray_cancelled)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_mm_params mp;
	struct t_host h;
	t_mm_params(&mp);
	t_open(&s, &st, STRAT_MM_GLFT, &mp, &h);
	struct msg_features f = t_vec(26000.5, 1, T0, 1);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_assert_eq(h.n, 2);
	f = t_vec(26000.5, 1, T0 + NS_S - 1, 2);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_expect_eq(h.n, 2, "within the timeout: waits");
	f = t_vec(26000.5, 1, T0 + NS_S, 3);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_expect_eq(st.mm.pending_lost, 2);
	cr_expect_eq(h.n, 4, "sent again");
	/* the second bid is acknowledged, then the first one after all */
	struct msg_exec_report r = t_rep(21, SIDE_BUY, EXEC_ACK, 0, 1);
	strategy_on_report(&s, &r);
	cr_expect_eq(st.mm.quote[0].coid, 21);
	r = t_rep(22, SIDE_BUY, EXEC_ACK, 0, 1);
	strategy_on_report(&s, &r);
	cr_expect_eq(st.mm.strays, 1);
	cr_expect_eq(h.nc, 1);
	cr_expect_eq(h.cancelled[0], 22, "one quote per side: the stray is cancelled");
	cr_expect_eq(st.mm.quote[0].coid, 21);
	/* no room for an intent: -EAGAIN and nothing counted */
	h.full = 1;
	uint64_t ev = st.evaluated;
	f = t_vec(26000.5, 1, T0 + 2 * NS_S, 4);
	cr_expect_eq(strategy_on_features(&s, &f), -EAGAIN);
	cr_expect_eq(st.evaluated, ev);
}

Test(strategy_mm, attach_refuses_a_market_maker_without_a_cancel_or_with_bad_parameters)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_params p;
	struct t_host h;
	memset(&p, 0, sizeof(p));
	primary_params_default(&p.primary);
	p.tick = TICK;
	p.kind = STRAT_MM_GLFT;
	t_mm_params(&p.mm);
	strategy_init(&st);
	struct strategy_out out = { .ctx = &h, .intent_claim = h_claim, .intent_publish = h_publish };
	cr_expect_eq(strategy_attach(&s, &st, &p, &out), -EINVAL, "no cancel");
	out.cancel = h_cancel;
	p.mm.qmax = 0;
	cr_expect_eq(strategy_attach(&s, &st, &p, &out), -EINVAL, "qmax < qty");
	p.mm.qmax = 3;
	p.kind = STRAT_KIND_COUNT;
	cr_expect_eq(strategy_attach(&s, &st, &p, &out), -EINVAL, "kind");
	p.kind = STRAT_MM_GLFT;
	cr_assert_eq(strategy_attach(&s, &st, &p, &out), 0);
	cr_expect_eq(st.kind, STRAT_MM_GLFT);
	/* a state that quoted is not taken over by another kind */
	memset(&h, 0, sizeof(h));
	struct msg_features f = t_vec(26000.5, 1, T0, 1);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	p.kind = STRAT_TAKER;
	cr_expect_eq(strategy_attach(&s, &st, &p, &out), -EEXIST);
}

/* One tree on ofi_ml (x), base_score 0.5: x < 0.5 -> margin -1, else 2
 * (p = 1 / (1 + e^-2) for x = 1). */
static struct flat *t_model(void)
{
	char js[1024];
	snprintf(js, sizeof(js),
		 "{\"learner\":{\"learner_model_param\":{\"num_feature\":\"%d\","
		 "\"num_class\":\"0\",\"num_target\":\"1\",\"base_score\":\"5E-1\"},"
		 "\"objective\":{\"name\":\"binary:logistic\"},"
		 "\"gradient_booster\":{\"name\":\"gbtree\",\"model\":{\"trees\":[{"
		 "\"tree_param\":{\"size_leaf_vector\":\"0\"},"
		 "\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],"
		 "\"split_indices\":[%d,0,0],"
		 "\"split_conditions\":[0.5,-1.0,2.0],"
		 "\"default_left\":[1,0,0],\"split_type\":[0,0,0]}],"
		 "\"tree_info\":[0]}}}}", FEAT_N, FEAT_OFI_ML);
	char err[256];
	size_t n = flat_memsize(js, strlen(js), err, sizeof(err));
	cr_assert_gt(n, 0, "%s", err);
	struct flat *f = aligned_alloc(64, n);
	cr_assert_not_null(f);
	cr_assert_eq(flat_init(f, n, js, strlen(js), err, sizeof(err)), 0, "%s", err);
	return f;
}

Test(strategy_mm, the_skew_moves_the_reservation_by_the_model_probability)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_mm_params mp;
	struct t_host h;
	t_mm_params(&mp);
	mp.skew_ticks = 3;
	t_open(&s, &st, STRAT_MM_GLFT, &mp, &h);
	s.p.primary.threshold = 0.1;
	struct flat *m = t_model();
	strategy_use_model(&s, m, "hand.json");
	/* x = 1: the primary side +1, p = 1 / (1 + e^-2); shift 3 (2p - 1) */
	double p = 1 / (1 + exp(-2.0)), shift = 3 * (2 * p - 1);
	struct msg_features f = t_vec(26000.5, 4, T0, 1);
	f.f[FEAT_OFI_ML] = 1.0;
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_assert_eq(h.n, 2);
	struct strategy_mm_want w;
	cr_assert_eq(strategy_mm_want(&mp, STRAT_MM_GLFT, 26000.5, 4, 0, 0.8, 0, 0, &w), 0);
	double c = t_glft_c(mp.gamma, 0.8, mp.k, mp.a), b = t_base(mp.gamma, mp.k);
	double rb = 26000.5 - b - c / 2 + shift, ra = 26000.5 + b + c / 2 + shift;
	cr_expect_float_eq(st.mm.want_bid, rb, 1e-9);
	cr_expect_float_eq(st.mm.want_ask, ra, 1e-9);
	cr_expect_eq(h.got[0].px, t_bid_ticks(rb, 26000.5, 4));
	cr_expect_eq(h.got[1].px, t_ask_ticks(ra, 26000.5, 4));
	cr_expect_float_eq(h.got[0].prob, p, 1e-6);
	/* inside the dead zone: no side, no shift */
	f = t_vec(26000.5, 4, T0 + MS, 2);
	f.f[FEAT_OFI_ML] = 0.05;
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	cr_expect_float_eq(st.mm.want_bid, rb - shift, 1e-9);
	free(strategy_use_model(&s, NULL, NULL));
}

Test(strategy_mm, the_dump_names_the_kind_and_the_makers_counters)
{
	struct strategy s;
	struct strategy_state st;
	struct strategy_mm_params mp;
	struct t_host h;
	t_mm_params(&mp);
	t_open(&s, &st, STRAT_MM_AS, &mp, &h);
	struct msg_features f = t_vec(26000.5, 1, T0, 1);
	cr_assert_eq(strategy_on_features(&s, &f), 0);
	struct msg_exec_report r = t_rep(31, SIDE_SELL, EXEC_ACK, 0, 1);
	strategy_on_report(&s, &r);
	r = t_rep(31, SIDE_SELL, EXEC_PARTIAL, 1, 0);
	strategy_on_report(&s, &r);
	json_t *j = strategy_dump_json(&st);
	cr_assert_not_null(j);
	cr_expect_str_eq(json_string_value(json_object_get(j, "kind")), "mm_as");
	json_t *mm = json_object_get(j, "mm");
	cr_assert_not_null(mm);
	cr_expect_eq(json_integer_value(json_object_get(mm, "position")), -1);
	cr_expect_eq(json_integer_value(json_object_get(mm, "quotes")), 2);
	cr_expect_eq(json_integer_value(json_object_get(mm, "fills")), 1);
	cr_expect(json_is_null(json_object_get(mm, "bid")), "the bid is pending, not resting");
	cr_expect_eq(json_integer_value(json_object_get(mm, "ask")), h.got[1].px);
	json_decref(j);
	/* the taker's dump has neither */
	struct strategy_state tk;
	strategy_init(&tk);
	j = strategy_dump_json(&tk);
	cr_expect_null(json_object_get(j, "mm"));
	cr_expect_null(json_object_get(j, "kind"));
	json_decref(j);
}

/* ------------------------------------------------------------ no allocation */

Test(strategy_mm, the_handlers_allocate_nothing)
{
#if T_SANITIZED
	cr_skip_test("sanitizer build: its allocator replaces jemalloc");
#endif
	if (!mallctl)
		cr_skip_test("jemalloc is not linked");
	struct strategy s;
	struct strategy_state st;
	struct strategy_mm_params mp;
	struct t_host h;
	t_mm_params(&mp);
	t_open(&s, &st, STRAT_MM_GLFT, &mp, &h);
	uint64_t a0 = 0, a1 = 0, coid = 1;
	size_t sz = sizeof(a0);
	int errs = mallctl("thread.allocated", &a0, &sz, NULL, 0);
	for (int64_t i = 0; i < 200000; i++) {
		struct msg_features f = t_vec(26000.5 + (double)(i / 50 % 7) - 3, 1 + (double)(i % 3),
					      T0 + i * 10 * MS, (uint64_t)i);
		strategy_on_features(&s, &f);
		for (int k = 0; k < 2; k++) {
			struct strategy_quote *qt = &st.mm.quote[k];
			struct msg_exec_report r;
			if (qt->state == SQ_PENDING)
				r = t_rep(coid++, k ? SIDE_SELL : SIDE_BUY, i % 5 ? EXEC_ACK :
					  EXEC_FILLED, i % 5 ? 0 : 1, i % 5 ? 1 : 0);
			else if (qt->state == SQ_CANCELLING)
				r = t_rep(qt->coid, k ? SIDE_SELL : SIDE_BUY, EXEC_CANCELLED, 0, 0);
			else
				continue;
			strategy_on_report(&s, &r);
		}
	}
	errs += mallctl("thread.allocated", &a1, &sz, NULL, 0);
	cr_assert_eq(errs, 0);
	cr_expect_gt(st.mm.quotes, 1000, "the run quoted (%llu)", (unsigned long long)st.mm.quotes);
	cr_expect_gt(st.mm.cancels, 100, "and re-quoted");
	cr_expect_leq(llabs(strategy_mm_led(&st.mm)->position), mp.qmax);
	cr_expect_eq(a1 - a0, 0, "%llu bytes allocated", (unsigned long long)(a1 - a0));
}

/* ------------------------------------------------------------ configuration */

static void t_cfg_tmp(void)
{
	t_tmp_init("dm-mm");
}

TestSuite(strategy_mm_cfg, .init = t_cfg_tmp, .fini = t_tmp_cleanup);

Test(strategy_mm_cfg, kind_and_keys_load_and_a_bad_one_is_located)
{
	struct dm_config c;
	char err[512];
	const char *ok = t_tmp_path("ok.yaml");
	t_write_file(ok, "strategy:\n  model: \"\"\n  kind: mm_as\n  mm:\n    gamma: 0.25\n"
		     "    qmax: 4\n    vol_halflife: 30s\n");
	cr_assert_eq(config_load(&c, ok, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.strategy.kind, STRAT_MM_AS);
	cr_expect_float_eq(c.strategy.mm.gamma, 0.25, 1e-12);
	cr_expect_eq(c.strategy.mm.qmax, 4);
	cr_expect_eq(c.strategy.mm.vol_halflife_ns, 30 * NS_S);
	cr_expect_eq(c.strategy.mm.qty, 1, "a default kept");

	const char *bad = t_tmp_path("bad.yaml");
	t_write_file(bad, "strategy:\n  kind: mm_glf\n");
	cr_expect_neq(config_load(&c, bad, err, sizeof(err)), 0);
	cr_expect(strstr(err, "bad.yaml:2:") && strstr(err, "mm_glft"), "%s", err);
	t_write_file(bad, "strategy:\n  mm:\n    gama: 0.1\n");
	cr_expect_neq(config_load(&c, bad, err, sizeof(err)), 0);
	cr_expect(strstr(err, "bad.yaml:3:") && strstr(err, "strategy.mm.gama"), "%s", err);
	t_write_file(bad, "strategy:\n  mm:\n    qmax: 0\n");
	cr_expect_neq(config_load(&c, bad, err, sizeof(err)), 0);
	cr_expect(strstr(err, "bad.yaml:3:") && strstr(err, "qmax"), "%s", err);
}

Test(strategy_mm_cfg, a_and_k_come_from_the_study_fill_file)
{
	struct dm_config c;
	struct strategy_params p;
	char err[512], model[512];
	t_write_file(t_tmp_path("study.json"),
		     "{\"fill\": {\"orders\": 10, \"a_per_s\": 3.25, \"k_per_tick\": 0.75}}\n");
	const char *conf = t_tmp_path("mm.yaml");
	t_write_file(conf, "strategy:\n  model: \"\"\n  kind: mm_glft\n  mm:\n"
		     "    fill: study.json\n    a: 9\n    k: 9\n");
	cr_assert_eq(config_load(&c, conf, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(trader_strategy_params(&c, &p, model, sizeof(model), err, sizeof(err)), 0,
		     "%s", err);
	cr_expect_eq(p.kind, STRAT_MM_GLFT);
	cr_expect_float_eq(p.mm.a, 3.25, 1e-12, "the file's A, relative to the conf");
	cr_expect_float_eq(p.mm.k, 0.75, 1e-12);
	cr_expect_eq(p.mm.close_ns, 66300 * NS_S);
	t_write_file(t_tmp_path("study.json"), "{\"fill\": {\"a_per_s\": null}}\n");
	cr_expect_lt(trader_strategy_params(&c, &p, model, sizeof(model), err, sizeof(err)), 0);
	cr_expect(strstr(err, "strategy.mm.fill") && strstr(err, "a_per_s"), "%s", err);
}

/* ------------------------------------------------------------ dm-backtest end to end */

/* The rows of a CSV file: column col of every row, by header name. */
struct t_csv {
	char *text;
	char *row[200000];
	uint32_t n;
	int ncol;
	char head[32][32];
};

static void t_csv_load(struct t_csv *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->text = t_file_text(path, NULL);
	cr_assert_not_null(c->text, "%s", path);
	char *save = NULL, *line = strtok_r(c->text, "\n", &save);
	cr_assert_not_null(line);
	char *hs = NULL;
	for (char *h = strtok_r(line, ",", &hs); h && c->ncol < 32; h = strtok_r(NULL, ",", &hs))
		snprintf(c->head[c->ncol++], 32, "%s", h);
	while ((line = strtok_r(NULL, "\n", &save)) && c->n < 200000)
		c->row[c->n++] = line;
}

/* Field named name of row i, copied into out. */
static const char *t_csv_get(const struct t_csv *c, uint32_t i, const char *name, char *out,
			     size_t len)
{
	int col = -1;
	for (int k = 0; k < c->ncol; k++)
		if (strcmp(c->head[k], name) == 0)
			col = k;
	cr_assert_geq(col, 0, "no column %s", name);
	const char *p = c->row[i];
	for (int k = 0; k < col && p; k++) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	cr_assert_not_null(p);
	size_t n = strcspn(p, ",");
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
	return out;
}

static int t_has_id(const char **ids, uint32_t n, const char *id)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return 1;
	return 0;
}

/* dm-backtest with conf on input into dir: checks the files. */
static void t_backtest_mm(const char *confs, const char *input, const char *dir, int qmax,
			  uint32_t min_fills)
{
	static char out[1 << 16];
	int rc = t_sh(out, sizeof(out), "'%s/dm-backtest' %s --input '%s' --out '%s' --quiet",
		      t_bin_dir(), confs, input, dir);
	cr_assert_eq(rc, 0, "dm-backtest:\n%s", out);
	char path[512], v[64];
	struct t_csv *dec = malloc(sizeof(*dec)), *ord = malloc(sizeof(*ord)),
		     *fil = malloc(sizeof(*fil)), *eq = malloc(sizeof(*eq));
	cr_assert(dec && ord && fil && eq);
	snprintf(path, sizeof(path), "%s/decisions.csv", dir);
	t_csv_load(dec, path);
	snprintf(path, sizeof(path), "%s/orders.csv", dir);
	t_csv_load(ord, path);
	snprintf(path, sizeof(path), "%s/fills.csv", dir);
	t_csv_load(fil, path);
	snprintf(path, sizeof(path), "%s/equity.csv", dir);
	t_csv_load(eq, path);

	/* every order has its decision, released; every order a DAY limit */
	const char **ids = malloc(sizeof(char *) * (dec->n + 1));
	char (*idbuf)[24] = malloc(24 * (size_t)(dec->n + 1));
	cr_assert(ids && idbuf);
	uint32_t nrel = 0;
	for (uint32_t i = 0; i < dec->n; i++) {
		if (strcmp(t_csv_get(dec, i, "outcome", v, sizeof(v)), "released"))
			continue;
		t_csv_get(dec, i, "decision_id", idbuf[nrel], 24);
		ids[nrel] = idbuf[nrel];
		nrel++;
	}
	cr_assert_gt(ord->n, 10, "orders (%u)", ord->n);
	for (uint32_t i = 0; i < ord->n; i++) {
		cr_expect(t_has_id(ids, nrel, t_csv_get(ord, i, "decision_id", v, sizeof(v))),
			  "order row %u: decision %s has no released record", i, v);
		cr_expect_str_eq(t_csv_get(ord, i, "tif", v, sizeof(v)), "day");
		cr_expect_str_eq(t_csv_get(ord, i, "ord_type", v, sizeof(v)), "limit");
	}
	/* passive fills, most of them */
	uint32_t maker = 0;
	for (uint32_t i = 0; i < fil->n; i++)
		maker += strcmp(t_csv_get(fil, i, "liquidity", v, sizeof(v)), "maker") == 0;
	cr_expect_geq(fil->n, min_fills, "fills (%u)", fil->n);
	cr_expect_gt(maker, fil->n * 9 / 10, "passive fills %u of %u", maker, fil->n);
	/* the inventory within its bound throughout, and at the end */
	long long maxq = 0, q = 0;
	for (uint32_t i = 0; i < eq->n; i++) {
		q = atoll(t_csv_get(eq, i, "position", v, sizeof(v)));
		maxq = llabs(q) > maxq ? llabs(q) : maxq;
	}
	cr_expect_leq(maxq, qmax, "|q| reached %lld", maxq);
	cr_expect_leq(llabs(q), qmax, "final q %lld", q);
	free(ids);
	free(idbuf);
	free(dec->text);
	free(ord->text);
	free(fil->text);
	free(eq->text);
	free(dec);
	free(ord);
	free(fil);
	free(eq);
}

TestSuite(strategy_mm_backtest, .init = t_cfg_tmp, .fini = t_tmp_cleanup, .timeout = 120);

Test(strategy_mm_backtest, glft_on_the_synthetic_market_quotes_passively_within_the_bound)
{
	static char out[4096];
	const char *mkt = t_tmp_path("syn.dmj");
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-gen' --seed 11 --events 60000 --output '%s' "
			  "--quiet", t_bin_dir(), mkt), 0, "%s", out);
	const char *conf = t_tmp_path("glft.yaml");
	t_write_file(conf, "strategy:\n  model: \"\"\n  kind: mm_glft\n  mm:\n    qmax: 3\n");
	char confs[600];
	snprintf(confs, sizeof(confs), "-c '%s'", conf);
	t_backtest_mm(confs, mkt, t_tmp_path("glft"), 3, 50);
	const char *as = t_tmp_path("as.yaml");
	t_write_file(as, "strategy:\n  model: \"\"\n  kind: mm_as\n  mm:\n    qmax: 2\n"
		     "    horizon_s: 10\n");
	snprintf(confs, sizeof(confs), "-c '%s'", as);
	t_backtest_mm(confs, mkt, t_tmp_path("as"), 2, 20);
}

Test(strategy_mm_backtest, glft_on_a_real_sample_quotes_passively_within_the_bound)
{
	const char *conf = t_tmp_path("glft.yaml");
	t_write_file(conf, "strategy:\n  model: \"\"\n  kind: mm_glft\n  mm:\n    qmax: 2\n");
	char confs[700];
	snprintf(confs, sizeof(confs), "-c conf/instruments/aapl.yaml -c '%s'", conf);
	t_backtest_mm(confs, "tests/data/lobster-aapl-20120621-excerpt/"
		      "AAPL_2012-06-21_34200000_57600000_message_10.csv", t_tmp_path("aapl"), 2, 10);
}
