/*
 * test_trader.c — the trading path in one thread (libcore/trader): it
 * trades a synthetic market deterministically, allocates nothing after
 * start-up, keeps the agents' bookkeeping consistent (every order's
 * decision released, every fill seen by risk, the coordinator and the
 * venue alike), and its parameters come from the configuration as the
 * agents' do.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcore/config/config.h"
#include "libcore/vote/role.h"
#include "libcore/gen/gen.h"
#include "libcore/journal/journal.h"
#include "libcore/market/calendar.h"
#include "libcore/trader/trader.h"
#include "libcore/trader/trader_params.h"
#include "tests/helpers.h"

extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

/* What the host saw, hashed in order, and counted. */
struct t_seen {
	uint64_t h;
	uint64_t decisions, released, orders, reports, fills;
	int64_t  net_fill_qty;   /* signed lots of every fill report */
	int64_t  last_venue_ns;
	uint64_t out_of_order;   /* a report earlier than the one before */
	uint64_t errors;
	uint32_t n_flat;         /* flattening decisions (reason kill_flatten) */
	int64_t  flat_ns[16];    /* their decision times */
	int32_t  flat_qty[16], flat_side[16];
	uint64_t released_ids[1u << 15];
};

static void t_mix(struct t_seen *s, const void *p, size_t n)
{
	s->h = s->h * 0x100000001b3ull ^ t_fnv1a(p, n);
}

static void t_decision(void *ctx, const struct vote_record *rec)
{
	struct t_seen *s = ctx;
	t_mix(s, rec, sizeof(*rec));
	s->decisions++;
	if (rec->reason == VOTE_R_FLATTEN && s->n_flat < 16) {
		s->flat_ns[s->n_flat] = rec->decided_ns;
		s->flat_qty[s->n_flat] = rec->qty;
		s->flat_side[s->n_flat++] = rec->side;
	}
	if (rec->outcome == VOTE_RELEASE && s->released < (1u << 15))
		s->released_ids[s->released++] = rec->client_order_id;
}

static void t_journal(void *ctx, uint16_t type, const void *rec, uint32_t len)
{
	struct t_seen *s = ctx;
	t_mix(s, &type, sizeof(type));
	t_mix(s, rec, len);
	if (type == JREC_ORDER) {
		const struct msg_order *o = rec;
		int known = 0; /* newest first: an order follows its decision closely */
		for (uint64_t i = s->released; i-- > 0 && !known;)
			known = s->released_ids[i] == o->decision_id;
		cr_expect(known || (o->hdr.flags & MSG_F_FLATTEN),
			  "order %llu reached the venue without a released decision (%llu "
			  "released, last %llu)", (unsigned long long)o->client_order_id,
			  (unsigned long long)s->released,
			  (unsigned long long)(s->released ? s->released_ids[s->released - 1] : 0));
		s->orders++;
	} else if (type == JREC_EXEC) {
		const struct msg_exec_report *x = rec;
		s->reports++;
		if (x->venue_ns < s->last_venue_ns)
			s->out_of_order++;
		s->last_venue_ns = x->venue_ns;
		if (x->exec_id && x->last_qty > 0) {
			s->fills++;
			s->net_fill_qty += x->side * x->last_qty;
		}
	}
}

static void t_log(void *ctx, int error, const char *line)
{
	struct t_seen *s = ctx;
	if (error) {
		s->errors++;
		fprintf(stderr, "trader: %s\n", line);
	}
}

/* The default configuration, primary rule alone (no model file needed),
 * one contract per intent, an intent at most every 2 s of market time. */
static void t_config(struct dm_config *c)
{
	config_defaults(c);
	c->strategy.model[0] = '\0';
	c->strategy.min_interval_ms = 2000;
}

struct t_run {
	struct trader t;
	void *mem;
	size_t size;
	struct t_seen seen;
	struct gen g;
};

static struct t_run *t_start_with(const struct dm_config *c, uint64_t seed,
				   const struct risk_cfg *limits)
{
	struct t_run *r = aligned_alloc(64, (sizeof(*r) + 63) & ~(size_t)63);
	cr_assert(r);
	memset(&r->seen, 0, sizeof(r->seen));
	struct trader_params p;
	char model[512], err[512] = "";
	cr_assert_eq(trader_params_from_config(c, 1, &p, model, sizeof(model), err, sizeof(err)),
		     0, "params: %s", err);
	if (limits)
		p.riskd.limits = *limits;
	cr_assert(p.strategy.rule_only);
	r->size = trader_memsize(&p);
	cr_assert_gt(r->size, 0);
	r->mem = aligned_alloc(64, (r->size + 63) & ~(size_t)63);
	cr_assert(r->mem);
	const struct trader_out out = { .ctx = &r->seen, .decision = t_decision,
					.journal = t_journal, .log = t_log };
	cr_assert_eq(trader_init(&r->t, r->mem, r->size, &p, NULL, "", &out, err, sizeof(err)),
		     0, "trader_init: %s", err);

	struct gen_params gp;
	struct calendar cal;
	dm_date_t day;
	gen_params_default(&gp);
	cr_assert_eq(cal_init(&cal, &c->instrument), 0);
	cr_assert_eq(cal_date_parse("2022-01-03", 10, &day), 0);
	cr_assert_eq(gen_init(&r->g, &gp, seed, &cal, day, err, sizeof(err)), 0, "gen: %s", err);
	return r;
}

static struct t_run *t_start(const struct dm_config *c, uint64_t seed)
{
	return t_start_with(c, seed, NULL);
}

static void t_feed(struct t_run *r, uint64_t n)
{
	struct event ev;
	for (uint64_t i = 0; i < n; i++) {
		gen_next(&r->g, &ev);
		cr_assert_geq(trader_on_event(&r->t, &ev), 0, "event %llu", (unsigned long long)i);
	}
}

static void t_stop(struct t_run *r)
{
	free(r->mem);
	free(r);
}

Test(trader, trades_and_keeps_every_ledger_consistent)
{
	struct dm_config c;
	t_config(&c);
	struct t_run *r = t_start(&c, 1);
	t_feed(r, 200000);
	cr_assert_eq(trader_finish(&r->t), 0);
	const struct t_seen *s = &r->seen;
	const struct coord_state *co = trader_coord_state(&r->t);
	const struct risk_state *rs = riskd_current(trader_riskd_state(&r->t));
	const struct execsvc_state *xs = trader_execsvc_state(&r->t);
	const struct venue_totals *vt = venue_totals(execsvc_venue_of(xs));

	cr_assert_gt(s->decisions, 10, "a 200k-event market gives decisions (%llu)",
		     (unsigned long long)s->decisions);
	cr_assert_gt(s->fills, 0, "and fills");
	cr_expect_eq(s->errors, 0);
	cr_expect_eq(s->out_of_order, 0, "reports in venue-time order");
	/* the coordinator's, the table's, risk's and the venue's books agree */
	cr_expect_eq(co->decisions, s->decisions);
	cr_expect_eq(co->released + co->blocked, co->decisions);
	cr_expect_eq(co->released, s->orders, "every released order went out");
	cr_expect_eq(execsvc_table_of(xs)->ctr.orders, s->orders);
	cr_expect_eq(vt->fills, s->fills);
	cr_expect_eq(rs->fills, s->fills, "risk saw every fill once");
	cr_expect_eq(co->fills, s->fills, "so did the coordinator");
	cr_expect_eq(rs->position, s->net_fill_qty, "risk's position is the fills' sum");
	cr_expect_eq((int64_t)(vt->buy_qty - vt->sell_qty), s->net_fill_qty);
	cr_expect_eq(xs->filled_qty, s->net_fill_qty);
	/* the position limit of the default risk file holds throughout */
	cr_expect_leq(trader_riskd_state(&r->t)->max_abs_position,
		      trader_riskd_state(&r->t)->max_position);
	/* market events: every one handled, each step came to rest */
	cr_expect_eq(r->t.n.events, 200000);
	cr_expect_eq(r->t.n.books + r->t.n.trades, 200000);
	cr_expect_leq(r->t.n.max_rounds, 8);
	t_stop(r);
}

Test(trader, the_same_input_gives_the_same_run)
{
	struct dm_config c;
	t_config(&c);
	struct t_run *a = t_start(&c, 7), *b = t_start(&c, 7), *d = t_start(&c, 8);
	t_feed(a, 100000);
	t_feed(b, 100000);
	t_feed(d, 100000);
	trader_finish(&a->t);
	trader_finish(&b->t);
	trader_finish(&d->t);
	cr_assert_gt(a->seen.fills, 0);
	cr_expect_eq(a->seen.h, b->seen.h, "decisions, orders and reports byte for byte");
	cr_expect_eq(a->seen.decisions, b->seen.decisions);
	cr_expect_neq(a->seen.h, d->seen.h, "another market trades otherwise");
	t_stop(a);
	t_stop(b);
	t_stop(d);
}

Test(trader, allocates_nothing_after_start_up)
{
#if T_SANITIZED
	cr_skip_test("sanitizer build: its allocator replaces jemalloc");
#endif
	if (!mallctl)
		cr_skip_test("jemalloc is not linked");
	struct dm_config c;
	t_config(&c);
	struct t_run *r = t_start(&c, 3);
	t_feed(r, 20000); /* warm: first orders, fills, day start */
	uint64_t a0, a1;
	size_t sz = sizeof(a0);
	cr_assert_eq(mallctl("thread.allocated", &a0, &sz, NULL, 0), 0);
	uint64_t f0 = r->seen.fills;
	t_feed(r, 300000);
	trader_finish(&r->t);
	cr_assert_eq(mallctl("thread.allocated", &a1, &sz, NULL, 0), 0);
	cr_assert_gt(r->seen.fills, f0, "the measured stretch traded");
	cr_expect_eq(a1 - a0, 0, "%llu bytes allocated over 300000 events",
		     (unsigned long long)(a1 - a0));
	t_stop(r);
}

Test(trader, parameters_follow_the_configuration)
{
	struct dm_config c;
	struct trader_params p;
	char model[512], err[512];
	t_config(&c);
	c.vote.deadline_us = 1234;
	c.execution.max_open = 7;
	c.venue.entry_latency_us = 4321;
	c.quality.max_spread_ticks = 11;
	c.strategy.max_contracts = 3;
	cr_assert_eq(trader_params_from_config(&c, 5, &p, model, sizeof(model), err, sizeof(err)),
		     0, "%s", err);
	cr_expect_eq(p.epoch, 5);
	cr_expect_eq(p.coord.vote.deadline_ns, 1234000);
	cr_expect_eq(p.exec.limits.max_open, 7);
	cr_expect_eq(p.exec.venue.entry_latency_us, 4321);
	cr_expect_eq(p.exec.double_venue, 0, "in process: one venue copy");
	cr_expect_eq(p.featd.qual.max_spread_ticks, 11);
	cr_expect_eq(p.strategy.max_contracts, 3);
	cr_expect_eq(p.coord.vote.n_voters, 3, "risk, execution, feature");

	/* ml cannot vote in process: refused with the key */
	c.vote.voters |= 1u << ROLE_ML;
	cr_assert_eq(trader_params_from_config(&c, 1, &p, model, sizeof(model), err, sizeof(err)),
		     0);
	struct trader *t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
	size_t size = trader_memsize(&p);
	void *mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
	const struct trader_out out = { 0 };
	cr_expect_lt(trader_init(t, mem, size, &p, NULL, "", &out, err, sizeof(err)), 0);
	cr_expect(strstr(err, "vote.voters") && strstr(err, "ml"), "%s", err);
	free(mem);
	free(t);

	/* a primary feature that is none: the key in the message */
	t_config(&c);
	snprintf(c.strategy.primary_feature, sizeof(c.strategy.primary_feature), "nope");
	cr_expect_lt(trader_params_from_config(&c, 1, &p, model, sizeof(model), err,
					       sizeof(err)), 0);
	cr_expect(strstr(err, "strategy.primary_feature"), "%s", err);
}

/* A market maker (strategy.kind mm_glft, docs/strategies.md): its quotes
 * pass the vote, its cancels reach execution through the coordinator,
 * every ledger agrees, its inventory is risk's and within its bound, and
 * the path allocates nothing once warm. */
Test(trader, a_market_maker_keeps_every_ledger_and_allocates_nothing)
{
	struct dm_config c;
	t_config(&c);
	c.strategy.kind = STRAT_MM_GLFT;
	c.strategy.mm.qmax = 3;
	struct t_run *r = t_start(&c, 5);
	t_feed(r, 20000);
	uint64_t a0 = 0, a1 = 0;
	size_t sz = sizeof(a0);
	int measure = 0;
#if !T_SANITIZED
	measure = mallctl != NULL;
#endif
	if (measure)
		cr_assert_eq(mallctl("thread.allocated", &a0, &sz, NULL, 0), 0);
	t_feed(r, 100000);
	if (measure)
		cr_assert_eq(mallctl("thread.allocated", &a1, &sz, NULL, 0), 0);
	cr_assert_eq(trader_finish(&r->t), 0);
	const struct t_seen *s = &r->seen;
	const struct coord_state *co = trader_coord_state(&r->t);
	const struct risk_state *rs = riskd_current(trader_riskd_state(&r->t));
	const struct execsvc_state *xs = trader_execsvc_state(&r->t);
	const struct strategy_state *st = trader_strategy_state(&r->t);
	cr_expect_eq(a1 - a0, 0, "%llu bytes allocated over 100000 events",
		     (unsigned long long)(a1 - a0));
	cr_assert_gt(s->fills, 20, "the maker was filled (%llu)", (unsigned long long)s->fills);
	cr_expect_eq(s->errors, 0);
	cr_expect_eq(co->released, s->orders, "every order had its released decision");
	cr_expect_gt(co->quote_cancels, 10, "quotes moved through the coordinator's cancels");
	cr_expect_eq(co->quote_cancels_refused, 0);
	cr_expect_eq(st->mm.cancels, co->quote_cancels, "every cancel reached the coordinator");
	const struct exec_table *tb = execsvc_table_of(xs);
	/* each cancel ended its order: cancelled, or filled first (a fill
	 * racing the cancel), and execution cancelled nothing else */
	cr_expect_leq(tb->ctr.cancels, co->quote_cancels);
	cr_expect_leq(co->quote_cancels, tb->ctr.cancels + s->fills,
		      "cancels %llu: cancelled %llu, fills %llu",
		      (unsigned long long)co->quote_cancels, (unsigned long long)tb->ctr.cancels,
		      (unsigned long long)s->fills);
	cr_expect_eq(strategy_mm_led(&st->mm)->fills, s->fills, "the maker saw every fill once");
	cr_expect_eq(strategy_mm_led(&st->mm)->position, rs->position, "its inventory is risk's");
	cr_expect_eq(rs->position, s->net_fill_qty);
	cr_expect_leq(trader_riskd_state(&r->t)->max_abs_position, 3, "the bound held");
	cr_expect_gt(strategy_mm_led(&st->mm)->maker_fills, s->fills * 9 / 10, "passive fills");
	t_stop(r);
}

/*
 * The kill switch with a position flattens along its plan (docs/risk.md):
 * three slices over 3 s of market time with no impact model, so the
 * straight line X, 2X/3, X/3, 0 rounded half up.  Slice j is due at the
 * kill + (j - 1) s by risk's market clock (the newest book), so its
 * decision is taken at the first book at or after that time; every slice
 * is a released decision with reason kill_flatten, and the position ends
 * flat.
 */
Test(trader, kill_switch_flattens_in_slices_at_their_times)
{
	struct dm_config c;
	struct trader_params p;
	char model[512], err[512] = "";
	t_config(&c);
	cr_assert_eq(trader_params_from_config(&c, 1, &p, model, sizeof(model), err,
					       sizeof(err)), 0, "params: %s", err);
	struct risk_cfg lim = p.riskd.limits;
	const int64_t S = 1000000000LL;
	lim.kill_flatten = 1;
	lim.flatten_slices = 3;
	lim.flatten_horizon_ns = 3 * S;
	cr_assert_eq(risk_cfg_check(&lim, NULL), 0);
	struct t_run *r = t_start_with(&c, 11, &lim);

	/* trade until risk holds at least 3 contracts */
	struct event ev;
	uint64_t n = 0;
	const struct riskd_state *rds = trader_riskd_state(&r->t);
	while (llabs(riskd_current(rds)->position) < 3 && n < 2000000) {
		gen_next(&r->g, &ev);
		cr_assert_geq(trader_on_event(&r->t, &ev), 0);
		n++;
	}
	int64_t X = riskd_current(rds)->position;
	cr_assert_geq(llabs(X), 3, "no position of 3 within %llu events", (unsigned long long)n);
	cr_assert_eq(r->seen.n_flat, 0);

	cr_assert_eq(trader_kill(&r->t), 0);
	const struct risk_flatten_plan *pl = &rds->plan;
	cr_assert_eq(pl->n, 3);
	cr_assert_eq(pl->tau_ns, S);
	cr_assert_leq(pl->start_ns, r->t.now_ns, "the kill is at risk's newest book");
	/* the first slice goes at the kill itself */
	cr_assert_eq(r->seen.n_flat, 1);
	cr_assert_eq(r->seen.flat_ns[0], r->t.now_ns);

	/* the market goes on for 4 s; each slice at the first book on or
	 * after its due time */
	int64_t due[3] = { pl->start_ns, pl->start_ns + S, pl->start_ns + 2 * S };
	int64_t first_book[3] = { r->t.now_ns, 0, 0 };
	int64_t end = r->t.now_ns + 4 * S;
	while (r->t.now_ns < end) {
		gen_next(&r->g, &ev);
		cr_assert_geq(trader_on_event(&r->t, &ev), 0);
		for (int j = 1; j < 3; j++)
			if (!first_book[j] && ev.kind == EV_BOOK && ev.exch_ns >= due[j])
				first_book[j] = ev.exch_ns;
	}
	cr_assert_eq(trader_finish(&r->t), 0);
	const struct t_seen *s = &r->seen;
	cr_assert_eq(s->n_flat, 3, "%u flattening decisions", s->n_flat);
	int64_t ax = llabs(X), prev = ax;
	for (int j = 1; j <= 3; j++) {
		/* round(X (3 - j) / 3) half up, by integers */
		int64_t hold = (2 * ax * (3 - j) + 3) / 6;
		cr_expect_eq(s->flat_qty[j - 1], prev - hold, "slice %d: %d contracts, want %lld",
			     j, s->flat_qty[j - 1], (long long)(prev - hold));
		cr_expect_eq(s->flat_side[j - 1], X > 0 ? SIDE_SELL : SIDE_BUY);
		cr_expect_eq(s->flat_ns[j - 1], first_book[j - 1], "slice %d at %lld, want %lld",
			     j, (long long)s->flat_ns[j - 1], (long long)first_book[j - 1]);
		prev = hold;
	}
	cr_expect_eq(riskd_current(rds)->position, 0, "flat at the end");
	cr_expect_eq(trader_coord_state(&r->t)->flattens, 3);
	cr_expect_eq(s->errors, 0);
	t_stop(r);
}

/* execution.study: the figures of a dm-study --json file fill the impact,
 * passive and flatten keys left at 0 (A halved: one side), never one set
 * in the configuration; a file that is not a study is refused by name. */
Test(trader, study_figures_fill_the_models_left_at_zero)
{
	char path[] = "/tmp/dm_test_study_XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	const char *js = "{\"impact\": {\"eta_ticks_per_lot\": 0.004, \"epsilon_ticks\": 0.7, "
			 "\"mean_qty\": 34.5}, \"fill\": {\"a_per_s\": 5.6, \"k_per_tick\": 0.53}, "
			 "\"windows\": [{\"kyle\": {\"slope\": 0.0037}}, {\"kyle\": {\"slope\": 9}}]}";
	cr_assert_eq(write(fd, js, strlen(js)), (ssize_t)strlen(js));
	close(fd);
	struct dm_config c;
	struct trader_params p;
	char model[512], err[512] = "";
	t_config(&c);
	snprintf(c.execution.study, sizeof(c.execution.study), "%s", path);
	c.execution.passive_k = 0.9; /* set: kept */
	cr_assert_eq(trader_params_from_config(&c, 1, &p, model, sizeof(model), err,
					       sizeof(err)), 0, "%s", err);
	cr_expect_float_eq(p.exec.limits.passive_a, 2.8, 1e-12, "A of one side: half");
	cr_expect_float_eq(p.exec.limits.passive_k, 0.9, 0, "the configuration's");
	cr_expect_float_eq(p.exec.limits.passive_lots, 34.5, 1e-12);
	cr_expect_float_eq(p.coord.child_eta, 0.004, 1e-15);
	cr_expect_float_eq(p.coord.child_gamma, 0.0037, 1e-15, "the shortest window's");
	cr_expect_float_eq(p.riskd.limits.flatten_eta, 0.004, 1e-15);
	cr_expect_float_eq(p.riskd.limits.flatten_gamma, 0.0037, 1e-15);
	cr_expect_eq(p.riskd.limits.flatten_sigma, 0, "not in a study");

	/* not a study: refused, naming the file */
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "{\"x\": 1}", 8), 8);
	close(fd);
	cr_assert_lt(trader_params_from_config(&c, 1, &p, model, sizeof(model), err,
					       sizeof(err)), 0);
	cr_expect(strstr(err, path) && strstr(err, "execution.study"), "%s", err);
	unlink(path);
}
