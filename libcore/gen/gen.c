/*
 * gen.c — the synthetic WIN market: Hawkes flow applied to a tick-array
 * book (design note in gen.h, model in docs/market-model.md).
 *
 * Book invariants kept by every operation below:
 *   q[s][0] > 0, q[s][k] >= 0, best ask - best bid >= 1 tick,
 *   bid prices best[0] - k, ask prices best[1] + k.
 */
#include "libcore/gen/gen.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "libcore/market/book.h"

/* Random stream ids: one per purpose, so the flow is independent of the
 * book and latency parameters. */
enum { STREAM_FLOW = 1, STREAM_BOOK = 2, STREAM_LAT = 3, STREAM_MID = 4 };

static const char *const type_names[GEN_NTYPES] = {
	"limit_buy", "limit_sell", "cancel_buy", "cancel_sell",
	"market_buy", "market_sell"
};

const char *gen_type_name(uint32_t type)
{
	return type < GEN_NTYPES ? type_names[type] : "?";
}

static const char *const mid_names[] = { "hawkes", "gbm", "abm" };

const char *gen_mid_name(uint32_t mid_model)
{
	return mid_model < 3 ? mid_names[mid_model] : "?";
}

int gen_mid_parse(const char *name, uint32_t *out)
{
	for (uint32_t i = 0; i < 3; i++)
		if (!strcmp(name, mid_names[i])) {
			*out = i;
			return 0;
		}
	return -1;
}

double gen_mid_step(uint32_t mid_model, double mu, double sigma, double s, double h,
		    double z)
{
	if (mid_model == GEN_MID_GBM)
		return s * exp((mu - 0.5 * sigma * sigma) * h + sigma * sqrt(h) * z);
	return s + mu * h + sigma * sqrt(h) * z;
}

/* ------------------------------------------------------------ parameters */

void gen_params_default(struct gen_params *p)
{
	/*
	 * Branching ratios G[i][j] = alpha[i][j] / beta[i] (row excited,
	 * column exciting), chosen for the stylised facts of a futures book:
	 * market orders cluster (MB->MB), a market buy draws new sell limits
	 * (MB->LS: the ask refills) and a few buy limits chasing it, limits
	 * and cancels cluster and a limit is often cancelled soon (L->C).
	 * Mirror image for the other side.  docs/market-model.md explains
	 * the numbers and the calibration of mu.
	 */
	static const double g[GEN_NTYPES][GEN_NTYPES] = {
		/*         LB    LS    CB    CS    MB    MS */
		/* LB */ { 0.35, 0.00, 0.05, 0.00, 0.10, 0.30 },
		/* LS */ { 0.00, 0.35, 0.00, 0.05, 0.30, 0.10 },
		/* CB */ { 0.25, 0.00, 0.35, 0.00, 0.00, 0.10 },
		/* CS */ { 0.00, 0.25, 0.00, 0.35, 0.10, 0.00 },
		/* MB */ { 0.00, 0.00, 0.00, 0.00, 0.55, 0.05 },
		/* MS */ { 0.00, 0.00, 0.00, 0.00, 0.05, 0.55 },
	};
	static const double beta[GEN_NTYPES] = { 20, 20, 20, 20, 10, 10 };
	static const double mu[GEN_NTYPES] = { 21.4, 21.4, 8.7, 8.7, 3.1, 3.1 };
	static const int64_t lq[] = { 1, 2, 5, 10, 20, 50, 100 };
	static const double lp[] = { 0.20, 0.15, 0.20, 0.20, 0.13, 0.08, 0.04 };
	static const int64_t mq[] = { 1, 2, 5, 10, 20, 50, 100, 200, 400 };
	static const double mp[] = { 0.22, 0.12, 0.15, 0.15, 0.12, 0.10, 0.08, 0.04, 0.02 };

	memset(p, 0, sizeof(*p));
	p->hawkes.dim = GEN_NTYPES;
	for (uint32_t i = 0; i < GEN_NTYPES; i++) {
		p->hawkes.mu[i] = mu[i];
		p->hawkes.beta[i] = beta[i];
		for (uint32_t j = 0; j < GEN_NTYPES; j++)
			p->hawkes.alpha[i][j] = g[i][j] * beta[i];
	}
	p->tick_pts = 5;
	p->start_px = 26000;          /* 130,000 points */
	p->levels = 10;
	p->place_levels = 10;
	p->place_decay = 0.80;
	p->improve_prob = 0.90;
	p->max_walk = 10;
	p->cancel_share = 0.05;
	p->limit_size.n = sizeof(lq) / sizeof(lq[0]);
	memcpy(p->limit_size.qty, lq, sizeof(lq));
	memcpy(p->limit_size.prob, lp, sizeof(lp));
	p->market_size.n = sizeof(mq) / sizeof(mq[0]);
	memcpy(p->market_size.qty, mq, sizeof(mq));
	memcpy(p->market_size.prob, mp, sizeof(mp));
	p->refill_min = 50;
	p->refill_max = 250;
	p->latency_min_ns = 1000000;  /* 1 ms */
	p->latency_max_ns = 3000000;  /* 3 ms */
	p->warmup_s = 300;
	p->mid_model = GEN_MID_HAWKES;
	p->mid_mu = 0;
	p->mid_sigma = 0;
}

static int check_sizes(const struct gen_size_dist *d, const char *name,
		       char *err, size_t errlen)
{
	double sum = 0;

	if (d->n < 1 || d->n > GEN_MAX_SIZES) {
		snprintf(err, errlen, "%s: %u sizes, must be 1..%u", name, d->n, GEN_MAX_SIZES);
		return -DM_ECONFIG;
	}
	for (uint32_t i = 0; i < d->n; i++) {
		if (d->qty[i] < 1 || d->qty[i] > 1000000) {
			snprintf(err, errlen, "%s.qty[%u] = %lld: must be 1..1000000 contracts",
				 name, i, (long long)d->qty[i]);
			return -DM_ECONFIG;
		}
		if (!isfinite(d->prob[i]) || d->prob[i] < 0) {
			snprintf(err, errlen, "%s.prob[%u] = %g: must be finite and >= 0",
				 name, i, d->prob[i]);
			return -DM_ECONFIG;
		}
		sum += d->prob[i];
	}
	if (!(sum > 0)) {
		snprintf(err, errlen, "%s.prob: all zero", name);
		return -DM_ECONFIG;
	}
	return 0;
}

int gen_params_check(const struct gen_params *p, char *err, size_t errlen)
{
	char buf[256];
	int rc;

	if (!errlen)
		err = buf, errlen = sizeof(buf);
#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -DM_ECONFIG; } while (0)
	if (p->hawkes.dim != GEN_NTYPES)
		FAIL("hawkes dimension %u: the market has %d event types", p->hawkes.dim, GEN_NTYPES);
	rc = hawkes_check(&p->hawkes, err, errlen);
	if (rc)
		return rc;
	if (p->tick_pts < 1 || p->tick_pts > 1000000)
		FAIL("tick_pts = %lld: must be 1..1000000 points", (long long)p->tick_pts);
	if (p->start_px < 10 * (int64_t)GEN_DEPTH || p->start_px > ((int64_t)1 << 40))
		FAIL("start price %lld ticks: must be %u..2^40 ticks",
		     (long long)p->start_px, 10 * GEN_DEPTH);
	if (p->levels < 1 || p->levels > EV_MAX_LEVELS)
		FAIL("levels = %u: must be 1..%d", p->levels, EV_MAX_LEVELS);
	if (p->place_levels < 1 || p->place_levels > GEN_MAX_PLACE)
		FAIL("place_levels = %u: must be 1..%u", p->place_levels, GEN_MAX_PLACE);
	if (!(p->place_decay > 0 && p->place_decay <= 1))
		FAIL("place_decay = %g: must be in (0, 1]", p->place_decay);
	if (!(p->improve_prob >= 0 && p->improve_prob <= 1))
		FAIL("improve_prob = %g: must be in [0, 1]", p->improve_prob);
	if (p->max_walk < 1 || p->max_walk > GEN_DEPTH)
		FAIL("max_walk_levels = %u: must be 1..%u", p->max_walk, GEN_DEPTH);
	if (!(p->cancel_share > 0 && p->cancel_share <= 0.5))
		FAIL("cancel_share = %g: must be in (0, 0.5]", p->cancel_share);
	if ((rc = check_sizes(&p->limit_size, "limit_size", err, errlen)))
		return rc;
	if ((rc = check_sizes(&p->market_size, "market_size", err, errlen)))
		return rc;
	if (p->refill_min < 1 || p->refill_max < p->refill_min || p->refill_max > 1000000)
		FAIL("refill_min %lld, refill_max %lld: need 1 <= min <= max <= 1000000 contracts",
		     (long long)p->refill_min, (long long)p->refill_max);
	if (p->latency_min_ns < 0 || p->latency_max_ns < p->latency_min_ns ||
	    p->latency_max_ns > 1000000000)
		FAIL("latency_min_ns %lld, latency_max_ns %lld: need 0 <= min <= max <= 1e9",
		     (long long)p->latency_min_ns, (long long)p->latency_max_ns);
	if (!(p->warmup_s >= 0 && p->warmup_s <= 86400))
		FAIL("warmup_s = %g: must be in [0, 86400] seconds", p->warmup_s);
	if (p->mid_model > GEN_MID_ABM)
		FAIL("mid = %u: must be hawkes, gbm or abm", p->mid_model);
	if (!isfinite(p->mid_mu) || fabs(p->mid_mu) > 1e9)
		FAIL("mid_mu_per_s = %g: must be finite, |mu| <= 1e9", p->mid_mu);
	if (!(p->mid_sigma >= 0 && p->mid_sigma <= 1e9))
		FAIL("mid_sigma_per_sqrt_s = %g: must be in [0, 1e9]", p->mid_sigma);
	if (p->mid_model == GEN_MID_GBM && (fabs(p->mid_mu) > 1 || p->mid_sigma > 1))
		FAIL("gbm mid: mid_mu_per_s %g, mid_sigma_per_sqrt_s %g: a geometric mid "
		     "takes rates per second, |mu| <= 1 and sigma <= 1 (WIN: sigma about "
		     "6e-5)", p->mid_mu, p->mid_sigma);
#undef FAIL
	return 0;
}

/* ------------------------------------------------------------ book */

static int64_t draw_size(struct rng *r, const struct gen_size_dist *d)
{
	double sum = 0, u, c = 0;

	for (uint32_t i = 0; i < d->n; i++)
		sum += d->prob[i];
	u = rng_uniform(r) * sum;
	for (uint32_t i = 0; i < d->n; i++) {
		c += d->prob[i];
		if (u < c && d->prob[i] > 0)
			return d->qty[i];
	}
	for (uint32_t i = d->n; i-- > 0;) /* rounding: last with weight */
		if (d->prob[i] > 0)
			return d->qty[i];
	return d->qty[0];
}

static int64_t refill_size(struct gen *g)
{
	return g->p.refill_min +
	       (int64_t)rng_below(&g->r_book,
				  (uint64_t)(g->p.refill_max - g->p.refill_min + 1));
}

/* Price of slot k of side s. */
static inline int64_t slot_px(const struct gen *g, int s, uint32_t k)
{
	return s == BOOK_BID ? g->best[s] - (int64_t)k : g->best[s] + (int64_t)k;
}

/* The best of side s emptied: move it to the next non-empty tick and open
 * as many levels at the back. */
static void side_normalize(struct gen *g, int s)
{
	int64_t *q = g->q[s];
	uint32_t j = 0;

	while (j < GEN_DEPTH && q[j] == 0)
		j++;
	if (j == 0)
		return;
	memmove(q, q + j, (GEN_DEPTH - j) * sizeof(*q));
	for (uint32_t k = GEN_DEPTH - j; k < GEN_DEPTH; k++)
		q[k] = refill_size(g);
	g->best[s] += s == BOOK_BID ? -(int64_t)j : (int64_t)j;
	g->st.best_moves++;
}

static void do_limit(struct gen *g, int s)
{
	int64_t qty = draw_size(&g->r_book, &g->p.limit_size);
	int64_t spread = g->best[BOOK_ASK] - g->best[BOOK_BID];
	int64_t *q = g->q[s];
	uint32_t d;

	g->order.qty = g->order.done = qty;
	if (spread > 1 && rng_uniform(&g->r_book) < g->p.improve_prob) {
		memmove(q + 1, q, (GEN_DEPTH - 1) * sizeof(*q));
		q[0] = qty;
		g->best[s] += s == BOOK_BID ? 1 : -1;
		g->order.px = g->best[s];
		g->st.improves++;
		g->st.best_moves++;
		return;
	}
	double u = rng_uniform(&g->r_book);
	for (d = 0; d + 1 < g->p.place_levels && u >= g->place_cdf[d]; d++)
		;
	q[d] += qty;
	g->order.px = slot_px(g, s, d);
}

static void do_cancel(struct gen *g, int s)
{
	int64_t *q = g->q[s];
	int64_t total = 0, qty, take;
	uint64_t u;
	uint32_t k;

	for (k = 0; k < g->p.place_levels; k++)
		total += q[k];
	/* q[0] > 0, so total > 0: pick one resting contract uniformly */
	u = rng_below(&g->r_book, (uint64_t)total);
	for (k = 0; k + 1 < g->p.place_levels && u >= (uint64_t)q[k]; k++)
		u -= (uint64_t)q[k];
	qty = llround(2 * g->p.cancel_share * rng_uniform_pos(&g->r_book) * (double)q[k]);
	take = qty < 1 ? 1 : qty > q[k] ? q[k] : qty;
	g->order.px = slot_px(g, s, k);
	g->order.qty = take;
	g->order.done = take;
	q[k] -= take;
	if (k == 0 && q[0] == 0)
		side_normalize(g, s);
}

/* A market order of aggressor side `aggr` (+1 buy) takes the other side. */
static void do_market(struct gen *g, int aggr)
{
	int s = aggr > 0 ? BOOK_ASK : BOOK_BID;
	int64_t *q = g->q[s];
	int64_t qty = draw_size(&g->r_book, &g->p.market_size), rem = qty;
	uint32_t hit = 0;

	g->order.qty = qty;
	g->order.px = g->best[s];
	for (uint32_t k = 0; k < GEN_DEPTH && rem > 0 && hit < g->p.max_walk; k++) {
		if (q[k] == 0)
			continue;
		int64_t take = rem < q[k] ? rem : q[k];
		struct ev_trade *t = &g->pend[g->n_pend++];
		memset(t, 0, sizeof(*t));
		t->px = slot_px(g, s, k);
		t->qty = take;
		t->aggressor = (int8_t)aggr;
		q[k] -= take;
		rem -= take;
		hit++;
	}
	g->order.levels = hit;
	g->order.done = qty - rem;
	g->st.market_unfilled += (uint64_t)rem;
	side_normalize(g, s);
}

/*
 * Move the simulated mid to Hawkes time t and shift the book so that its
 * mid is the nearest it can be to it (gen.h, "Mid dynamics").  Nothing
 * under GEN_MID_HAWKES.
 */
static void mid_follow(struct gen *g, double t)
{
	double lo, hi, h, target2;
	int64_t shift;

	if (g->p.mid_model == GEN_MID_HAWKES)
		return;
	h = t - g->mid_t;
	if (h > 0) {
		g->mid_pts = gen_mid_step(g->p.mid_model, g->p.mid_mu, g->p.mid_sigma,
					  g->mid_pts, h, rng_normal(&g->r_mid));
		g->mid_t = t;
	}
	lo = (double)(2 * GEN_DEPTH) * (double)g->p.tick_pts;
	hi = (double)((int64_t)1 << 40) * (double)g->p.tick_pts;
	if (!(g->mid_pts >= lo))
		g->mid_pts = lo;
	if (g->mid_pts > hi)
		g->mid_pts = hi;
	/* in half ticks: the book's mid is (bid + ask) / 2 */
	target2 = 2.0 * g->mid_pts / (double)g->p.tick_pts;
	shift = llround((target2 - (double)(g->best[BOOK_BID] + g->best[BOOK_ASK])) / 2.0);
	if (shift) {
		g->best[BOOK_BID] += shift;
		g->best[BOOK_ASK] += shift;
		g->st.best_moves++;
	}
}

static void apply(struct gen *g, uint32_t type)
{
	g->order.levels = 0;
	switch (type) {
	case GEN_LIMIT_BUY:   do_limit(g, BOOK_BID);  break;
	case GEN_LIMIT_SELL:  do_limit(g, BOOK_ASK);  break;
	case GEN_CANCEL_BUY:  do_cancel(g, BOOK_BID); break;
	case GEN_CANCEL_SELL: do_cancel(g, BOOK_ASK); break;
	case GEN_MARKET_BUY:  do_market(g, +1);       break;
	default:              do_market(g, -1);       break;
	}
}

/* ------------------------------------------------------------ time */

static int enter_day(struct gen *g, dm_date_t d)
{
	int rc = cal_session_bounds(&g->cal, d, &g->open_ns, &g->close_ns);

	if (rc)
		return rc;
	g->day = d;
	g->day_len_s = (double)(g->close_ns - g->open_ns) * 1e-9;
	g->st.sessions++;
	return 0;
}

/* exch_ns of Hawkes time t >= 0, moving on to later sessions as needed. */
static int64_t map_time(struct gen *g, double t)
{
	int64_t ns;

	while (t >= g->day_t0 + g->day_len_s) {
		g->day_t0 += g->day_len_s;
		/* cal_next_session_day always finds one: the calendar has
		 * weekdays that are not holidays in every week */
		if (enter_day(g, cal_next_session_day(&g->cal, g->day)))
			break;
	}
	ns = g->open_ns + (int64_t)llround((t - g->day_t0) * 1e9);
	if (ns >= g->close_ns)
		ns = g->close_ns - 1;
	if (ns < g->exch_ns)
		ns = g->exch_ns;
	return ns;
}

/* ------------------------------------------------------------ life cycle */

int gen_init(struct gen *g, const struct gen_params *p, uint64_t seed,
	     const struct calendar *cal, dm_date_t date, char *err, size_t errlen)
{
	char buf[256];
	double w = 1, sum = 0;
	int rc;

	if (!errlen)
		err = buf, errlen = sizeof(buf);
	if ((rc = gen_params_check(p, err, errlen)))
		return rc;
	memset(g, 0, sizeof(*g));
	g->p = *p;
	g->cal = *cal;
	g->seed = seed;
	if (!cal_is_session_day(cal, date)) {
		char ds[CAL_DATE_STR], ns[CAL_DATE_STR];
		const char *h = cal_b3_holiday(date);
		cal_date_format(date, ds, sizeof(ds));
		cal_date_format(cal_next_session_day(cal, date), ns, sizeof(ns));
		snprintf(err, errlen, "%s has no B3 session (%s); the next session day is %s",
			 ds, h ? h : cal_weekday(date) % 6 == 0 ? "weekend" : "holiday", ns);
		return -ENOENT;
	}
	if ((rc = enter_day(g, date))) {
		snprintf(err, errlen, "no session bounds for the start date: %s", strerror(-rc));
		return rc;
	}
	rng_seed(&g->r_flow, seed, STREAM_FLOW);
	rng_seed(&g->r_book, seed, STREAM_BOOK);
	rng_seed(&g->r_lat, seed, STREAM_LAT);
	g->mid_pts = NAN;
	if (p->mid_model != GEN_MID_HAWKES) {
		rng_seed(&g->r_mid, seed, STREAM_MID);
		g->mid_pts = ((double)p->start_px - 0.5) * (double)p->tick_pts;
		g->mid_t = -p->warmup_s;
	}
	if ((rc = hawkes_init(&g->hk, &p->hawkes, -p->warmup_s, err, errlen)))
		return rc;
	for (uint32_t d = 0; d < p->place_levels; d++, w *= p->place_decay)
		sum += w;
	w = 1;
	for (uint32_t d = 0; d < p->place_levels; d++, w *= p->place_decay)
		g->place_cdf[d] = (d ? g->place_cdf[d - 1] : 0) + w / sum;
	g->best[BOOK_ASK] = p->start_px;
	g->best[BOOK_BID] = p->start_px - 1;
	for (int s = 0; s < 2; s++)
		for (uint32_t k = 0; k < GEN_DEPTH; k++)
			g->q[s][k] = refill_size(g);
	g->exch_ns = g->open_ns;
	/* warm-up: the book takes the shape the flow gives it */
	for (;;) {
		double t;
		uint32_t type;
		struct hawkes save = g->hk;
		struct rng rsave = g->r_flow;

		type = hawkes_next(&g->hk, &g->r_flow, &t);
		if (t >= 0) {
			/* not a warm-up event: replay it from gen_next */
			g->hk = save;
			g->r_flow = rsave;
			break;
		}
		g->n_pend = 0;
		mid_follow(g, t);
		apply(g, type);
		g->st.warmup_orders++;
	}
	/* counters and the order record start at the open */
	uint64_t warm = g->st.warmup_orders, sessions = g->st.sessions;
	memset(&g->st, 0, sizeof(g->st));
	g->st.warmup_orders = warm;
	g->st.sessions = sessions;
	memset(&g->order, 0, sizeof(g->order));
	g->n_pend = g->i_pend = 0;
	g->book_pend = 0;
	g->recv_ns = g->open_ns;
	return 0;
}

/* Draw and apply the next order; its events become pending. */
static void step(struct gen *g)
{
	double t;
	uint32_t type = hawkes_next(&g->hk, &g->r_flow, &t);
	int64_t lat, recv;

	g->exch_ns = map_time(g, t);
	lat = g->p.latency_min_ns +
	      (int64_t)rng_below(&g->r_lat,
				 (uint64_t)(g->p.latency_max_ns - g->p.latency_min_ns + 1));
	recv = g->exch_ns + lat;
	g->recv_ns = recv > g->recv_ns ? recv : g->recv_ns;
	g->n_pend = g->i_pend = 0;
	g->order.seq++;
	g->order.type = type;
	g->order.t_s = t;
	g->order.exch_ns = g->exch_ns;
	mid_follow(g, t);
	apply(g, type);
	g->st.orders[type]++;
	g->book_pend = 1;
}

static void fill_book(const struct gen *g, struct ev_book *b)
{
	for (int s = 0; s < 2; s++) {
		struct book_level *out = s == BOOK_BID ? b->bid : b->ask;
		uint32_t n = 0;
		for (uint32_t k = 0; k < GEN_DEPTH && n < g->p.levels; k++)
			if (g->q[s][k]) {
				out[n].px = slot_px(g, s, k);
				out[n].qty = g->q[s][k];
				n++;
			}
		if (s == BOOK_BID)
			b->n_bid = (uint16_t)n;
		else
			b->n_ask = (uint16_t)n;
	}
}

void gen_next(struct gen *g, struct event *ev)
{
	if (g->i_pend >= g->n_pend && !g->book_pend)
		step(g);
	memset(ev, 0, sizeof(*ev));
	ev->exch_ns = g->exch_ns;
	ev->recv_ns = g->recv_ns;
	if (g->i_pend < g->n_pend) {
		struct ev_trade *t = &g->pend[g->i_pend++];
		t->trade_id = ++g->trade_id;
		ev->kind = EV_TRADE;
		ev->trade = *t;
		g->st.trades++;
		g->st.traded_qty += (uint64_t)t->qty;
		if (!g->st.px_min || t->px < g->st.px_min)
			g->st.px_min = t->px;
		if (t->px > g->st.px_max)
			g->st.px_max = t->px;
	} else {
		ev->kind = EV_BOOK;
		fill_book(g, &ev->book);
		g->book_pend = 0;
		g->st.book_events++;
		if (g->best[BOOK_ASK] - g->best[BOOK_BID] == 1)
			g->st.spread1_books++;
	}
	g->st.events++;
}
