/*
 * test_riskd.c — the risk voter (libcore/riskd) alone in one process: hand-
 * fed books, vote requests, execution reports and ticks; votes and
 * positions checked against amounts worked out by hand for the default
 * WIN contract (1 tick = R$ 1.00 per contract).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcore/config/config.h"
#include "libcore/riskd/riskd.h"
#include "libcore/types.h"
#include "libcore/vote/vote.h"
#include "libcore/msg/msg.h"
#include "tests/helpers.h"

extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

#define MS  1000000LL
#define S   1000000000LL
#define L0  (5000 * S)  /* the host's local clock at the first book */
#define VOTER 4

/* ------------------------------------------------------------ a host */

#define T_MAX 64
struct t_host {
	struct msg_vote slot;           /* the claimed vote */
	struct msg_vote votes[T_MAX];
	uint32_t n_votes;
	struct msg_position pos[T_MAX];
	uint32_t n_pos;
	int full;                       /* 1: no room for a vote */
	int refuse_pos;                 /* 1: positions dropped */
	uint32_t off_slot;              /* votes published from elsewhere */
	uint32_t logs, errors;
	char last_log[160];
};

static struct msg_vote *h_vote_claim(void *p)
{
	struct t_host *h = p;
	return h->full ? NULL : &h->slot;
}

static void h_vote_publish(void *p, struct msg_vote *v)
{
	struct t_host *h = p;
	h->off_slot += v != &h->slot; /* the vote must be written in the claimed slot */
	h->votes[h->n_votes++ % T_MAX] = *v;
}

static int h_position(void *p, struct msg_position *m)
{
	struct t_host *h = p;
	if (h->refuse_pos)
		return -EAGAIN;
	h->pos[h->n_pos++ % T_MAX] = *m;
	return 0;
}

static void h_log(void *p, int error, const char *text)
{
	struct t_host *h = p;
	h->logs++;
	h->errors += error ? 1 : 0;
	snprintf(h->last_log, sizeof(h->last_log), "%s", text);
}

static struct msg_vote *last_vote(struct t_host *h)
{
	cr_assert_gt(h->n_votes, 0);
	return &h->votes[(h->n_votes - 1) % T_MAX];
}

static struct msg_position *last_pos(struct t_host *h)
{
	cr_assert_gt(h->n_pos, 0);
	return &h->pos[(h->n_pos - 1) % T_MAX];
}

/* UTC instant of a civil UTC time (libc, not the calendar). */
static int64_t t_utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	return (int64_t)timegm(&tm) * S;
}

/* Monday 2022-01-10 15:00 local (UTC-3): inside the session. */
#define T0 t_utc(2022, 1, 10, 18, 0, 0)

static void t_params(struct riskd_params *p)
{
	struct dm_config c;
	config_defaults(&c);
	riskd_params_default(p);
	p->limits = (struct risk_cfg){
		.max_position = 10, .max_order_qty = 5,
		.rate_per_s = 1000000, .rate_burst = 1000000,
		.collar_ticks = 1000,
		.daily_loss_e6 = 1000000LL * 1000000, .max_drawdown_e6 = 1000000LL * 1000000,
		.reducing_at_e6 = 0, .stale_data_ms = 3600000,
		.enforce_session = 1, .kill_flatten = 1, .currency = "BRL",
	};
	cr_assert_eq(risk_cfg_check(&p->limits, NULL), 0);
	cr_assert_eq(instr_init(&p->instr, &c.instrument), 0);
	cr_assert_eq(cal_init(&p->cal, &c.instrument), 0);
	p->symbol = "WIN";
	p->currency = "BRL";
	p->voter = VOTER;
}

static void t_open(struct riskd *d, struct riskd_state *st, struct t_host *h)
{
	struct riskd_params p;
	t_params(&p);
	memset(h, 0, sizeof(*h));
	riskd_init(st, &p);
	const struct riskd_out out = { .ctx = h, .vote_claim = h_vote_claim,
				       .vote_publish = h_vote_publish,
				       .position = h_position, .log = h_log };
	cr_assert_eq(riskd_attach(d, st, &p, &out), 0);
}

static struct msg_book t_book(int64_t exch_ns, int64_t bid, int64_t ask)
{
	struct msg_book b;
	memset(&b, 0, sizeof(b));
	b.hdr.type = MSG_BOOK;
	b.hdr.size = sizeof(b);
	b.hdr.ingress_ns = 7;
	b.exch_ns = exch_ns;
	b.recv_ns = exch_ns;
	b.instrument = 3;
	b.n_bid = b.n_ask = 1;
	b.bid[0] = (struct msg_level){ bid, 10 };
	b.ask[0] = (struct msg_level){ ask, 10 };
	return b;
}

static struct msg_vote_req t_req(uint64_t id, int side, int32_t qty, int64_t px)
{
	struct msg_vote_req q;
	memset(&q, 0, sizeof(q));
	q.hdr.type = MSG_VOTE_REQ;
	q.hdr.size = sizeof(q);
	q.hdr.ingress_ns = 11;
	q.decision_id = id;
	q.side = (int8_t)side;
	q.qty = qty;
	q.px = px;
	q.ord_type = ORD_LIMIT;
	q.tif = TIF_IOC;
	return q;
}

static struct msg_exec_report t_fill(uint64_t id, uint64_t exec_id, int side, int32_t qty,
				     int64_t px, int64_t fee_e9, uint8_t status)
{
	struct msg_exec_report r;
	memset(&r, 0, sizeof(r));
	r.hdr.type = MSG_EXEC_REPORT;
	r.hdr.size = sizeof(r);
	r.hdr.ingress_ns = 13;
	r.client_order_id = 1000 + id;
	r.decision_id = id;
	r.exec_id = exec_id;
	r.last_qty = qty;
	r.last_px = px;
	r.side = (int8_t)side;
	r.fee_e9 = fee_e9;
	r.status = status;
	return r;
}

static uint32_t n_pending(const struct riskd_state *st)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < RISKD_PENDING; i++)
		n += st->pend[i].id != 0;
	return n;
}

static struct riskd_state *t_state(void)
{
	struct riskd_state *st = aligned_alloc(64, (riskd_memsize() + 63) & ~(size_t)63);
	cr_assert_not_null(st);
	return st;
}

/* ------------------------------------------------------------ votes */

Test(riskd, approval_is_held_until_a_fill_report_releases_it)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	cr_assert_str_eq(st->symbol, "WIN");
	cr_assert_eq(st->max_position, 10);

	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d, &b, L0);
	struct msg_vote_req q = t_req(77, SIDE_BUY, 2, 102);
	cr_assert_eq(riskd_on_vote_req(&d, &q, 0, L0 + MS), 0);
	struct msg_vote *v = last_vote(&h);
	cr_assert_eq(h.off_slot, 0);
	cr_assert_eq(v->hdr.type, MSG_VOTE);
	cr_assert_eq(v->hdr.ingress_ns, 11);
	cr_assert_eq(v->decision_id, 77);
	cr_assert_eq(v->voter, VOTER);
	cr_assert_eq(v->verdict, VOTE_APPROVE);
	cr_assert_eq(v->reason, VOTE_R_APPROVED);
	cr_assert_eq(n_pending(st), 1);
	const struct risk_state *rs = riskd_current(st);
	cr_assert_eq(rs->n_open, 1);
	cr_assert_eq(rs->open_buy, 2);
	cr_assert_eq(st->votes, 1);

	/* the fill: 2 bought at 102, mark 101, fee R$ 0.50 */
	uint32_t cur0 = atomic_load(&st->cur);
	struct msg_exec_report r = t_fill(77, 1, SIDE_BUY, 2, 102, 500000000, EXEC_FILLED);
	riskd_on_report(&d, &r, L0 + 2 * MS);
	cr_assert_eq(atomic_load(&st->cur), cur0 ^ 1, "a fill flips the copy in use");
	cr_assert_eq(n_pending(st), 0, "the report released the approval");
	rs = riskd_current(st);
	cr_assert_eq(rs->position, 2);
	cr_assert_eq(rs->n_open, 0, "the terminal report closed the order");
	cr_assert_eq(rs->open_buy, 0);
	cr_assert_eq(st->max_abs_position, 2);
	cr_assert_eq(h.n_pos, 1);
	struct msg_position *p = last_pos(&h);
	cr_assert_eq(p->hdr.type, MSG_POSITION);
	cr_assert_eq(p->hdr.ingress_ns, 13);
	cr_assert_eq(p->position, 2);
	cr_assert_eq(p->mark_px, 101);
	cr_assert_float_eq(p->avg_px, 102.0, 1e-12);
	cr_assert_eq(p->realized_e9, 0);
	cr_assert_eq(p->unrealized_e9, -2000000000LL, "2 x (101 - 102) x R$ 1");
	cr_assert_eq(p->fees_e9, 500000000LL);
	cr_assert_eq(p->instrument, 3);
	cr_assert_eq(p->flags, 0);
	cr_assert_eq(st->positions, 1);
	cr_assert_eq(st->last_pos_ns, L0 + 2 * MS);

	/* long after: nothing left to expire */
	cr_assert_eq(riskd_tick(&d, 0, L0 + 10 * S), 0);
	cr_assert_eq(st->expired, 0);
	cr_assert_eq(h.errors, 0);
	free(st);
}

Test(riskd, approval_without_a_report_expires)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d, &b, L0);
	struct msg_vote_req q = t_req(5, SIDE_SELL, 3, 100);
	cr_assert_eq(riskd_on_vote_req(&d, &q, 0, L0), 0);
	cr_assert_eq(riskd_current(st)->open_sell, 3);
	cr_assert_eq(riskd_tick(&d, 0, L0 + RISKD_RESERVE_NS), 0, "not yet: at the limit");
	cr_assert_eq(riskd_tick(&d, 0, L0 + RISKD_RESERVE_NS + 1), 1);
	cr_assert_eq(st->expired, 1);
	cr_assert_eq(n_pending(st), 0);
	cr_assert_eq(riskd_current(st)->n_open, 0);
	cr_assert_eq(riskd_current(st)->open_sell, 0);
	free(st);
}

static struct msg_vote_done t_done(uint64_t id, uint32_t outcome)
{
	struct msg_vote_done m;
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_VOTE_DONE;
	m.hdr.size = sizeof(m);
	m.decision_id = id;
	m.outcome = outcome;
	m.reason = outcome == VOTE_BLOCK ? VOTE_R_VETOED : VOTE_R_APPROVED;
	return m;
}

/*
 * A ballot another voter blocked: the coordinator's vote-done releases
 * what risk held for it at once, so the next vote sees the room again
 * without waiting for the 2 s of local time.
 */
Test(riskd, a_blocked_ballots_vote_done_releases_the_approval_at_once)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d, &b, L0);
	struct msg_vote_req q1 = t_req(1, SIDE_BUY, 5, 102), q2 = t_req(2, SIDE_BUY, 5, 102);
	cr_assert_eq(riskd_on_vote_req(&d, &q1, 0, L0), 0);
	cr_assert_eq(riskd_on_vote_req(&d, &q2, 0, L0), 0);
	cr_assert_eq(riskd_current(st)->open_buy, 10, "both held: the position limit is reached");
	struct msg_vote_req q3 = t_req(3, SIDE_BUY, 1, 102);
	cr_assert_eq(riskd_on_vote_req(&d, &q3, 0, L0), 0);
	cr_assert_eq(last_vote(&h)->verdict, VOTE_REJECT);
	cr_assert_eq(last_vote(&h)->reason, VOTE_R_POS_LIMIT);

	/* decision 1 was blocked by another voter: released at once */
	struct msg_vote_done m = t_done(1, VOTE_BLOCK);
	cr_assert_eq(riskd_on_vote_done(&d, &m, L0), 1);
	cr_assert_eq(riskd_current(st)->open_buy, 5);
	cr_assert_eq(riskd_current(st)->n_open, 1);
	cr_assert_eq(n_pending(st), 1);
	cr_assert_eq(st->released_blocked, 1);
	/* twice: harmless */
	cr_assert_eq(riskd_on_vote_done(&d, &m, L0), 0);
	cr_assert_eq(riskd_current(st)->open_buy, 5);
	/* decision 2 released: its reports will end it, the vote-done does not */
	m = t_done(2, VOTE_RELEASE);
	cr_assert_eq(riskd_on_vote_done(&d, &m, L0), 0);
	cr_assert_eq(riskd_current(st)->open_buy, 5);
	cr_assert_eq(n_pending(st), 1);
	/* decision 3 was rejected by risk: nothing held, nothing to release */
	m = t_done(3, VOTE_BLOCK);
	cr_assert_eq(riskd_on_vote_done(&d, &m, L0), 0);
	/* the same request again at the same local time: room now */
	q3.decision_id = 4;
	cr_assert_eq(riskd_on_vote_req(&d, &q3, 0, L0), 0);
	cr_assert_eq(last_vote(&h)->verdict, VOTE_APPROVE);
	cr_assert_eq(riskd_current(st)->open_buy, 6);
	/* nothing left for the time limit but the held ones */
	cr_assert_eq(riskd_tick(&d, 0, L0 + RISKD_RESERVE_NS + 1), 2);
	cr_assert_eq(st->expired, 2);
	free(st);
}

/*
 * A replayed book: the market clock is its exchange time, with no local
 * time in it, so a stall of the pipeline changes no vote; a live book
 * keeps the local time elapsed (and the stale-data guard on it).
 */
Test(riskd, a_replayed_book_gives_the_market_time_without_local_time)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	d.cfg.stale_data_ms = 1000;
	struct msg_book b = t_book(T0, 100, 102);
	b.hdr.flags = MSG_F_CONFLATABLE | MSG_F_REPLAY;
	riskd_on_book(&d, &b, L0);
	cr_assert_eq(riskd_market_ns(&d, L0 + 5 * S), T0);
	struct msg_vote_req q = t_req(1, SIDE_BUY, 1, 102);
	cr_assert_eq(riskd_on_vote_req(&d, &q, 0, L0 + 5 * S), 0);
	cr_assert_eq(last_vote(&h)->reason, VOTE_R_APPROVED, "5 s of stall: still fresh");
	b.hdr.flags = MSG_F_CONFLATABLE; /* live */
	riskd_on_book(&d, &b, L0);
	cr_assert_eq(riskd_market_ns(&d, L0 + 5 * S), T0 + 5 * S);
	q.decision_id = 2;
	cr_assert_eq(riskd_on_vote_req(&d, &q, 0, L0 + 5 * S), 0);
	cr_assert_eq(last_vote(&h)->reason, VOTE_R_STALE_DATA);
	free(st);
}

Test(riskd, rejects_an_order_over_the_size_limit_and_holds_nothing)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d, &b, L0);
	struct msg_vote_req q = t_req(9, SIDE_BUY, 6, 102); /* max_order_qty 5 */
	cr_assert_eq(riskd_on_vote_req(&d, &q, 0, L0), 0);
	cr_assert_eq(last_vote(&h)->verdict, VOTE_REJECT);
	cr_assert_eq(last_vote(&h)->reason, VOTE_R_QTY_LIMIT);
	cr_assert_eq(n_pending(st), 0);
	cr_assert_eq(riskd_current(st)->n_open, 0);
	/* no book yet in another state: no mark */
	free(st);
}

/* venue.kind mt5: while the terminal's link is down every order is
 * refused with venue_down, before the checks (nothing held, no check
 * counted); the kill switch still says kill_switch; up again, approved. */
Test(riskd, a_venue_down_refuses_every_order_before_the_checks)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d, &b, L0);
	riskd_set_venue(&d, 0);
	uint64_t checks = riskd_current(st)->checks;
	struct msg_vote_req q = t_req(9, SIDE_BUY, 1, 102);
	cr_assert_eq(riskd_on_vote_req(&d, &q, 0, L0), 0);
	cr_assert_eq(last_vote(&h)->verdict, VOTE_REJECT);
	cr_assert_eq(last_vote(&h)->reason, VOTE_R_VENUE_DOWN);
	cr_assert_eq(n_pending(st), 0);
	cr_assert_eq(riskd_current(st)->n_open, 0);
	cr_assert_eq(riskd_current(st)->checks, checks, "the order was not checked");
	cr_assert_eq(riskd_on_vote_req(&d, &q, 1, L0), 0);
	cr_assert_eq(last_vote(&h)->reason, VOTE_R_KILL_SWITCH);
	free(st);
	st = t_state();
	t_open(&d, st, &h);
	riskd_on_book(&d, &b, L0);
	riskd_set_venue(&d, 0);
	riskd_set_venue(&d, 1);
	cr_assert_eq(riskd_on_vote_req(&d, &q, 0, L0), 0);
	cr_assert_eq(last_vote(&h)->verdict, VOTE_APPROVE);
	cr_assert_eq(n_pending(st), 1);
	free(st);
}

Test(riskd, outside_the_session_by_market_time)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	/* 03:00 local: the session is closed whatever the host's clock says */
	struct msg_book b = t_book(t_utc(2022, 1, 10, 6, 0, 0), 100, 102);
	riskd_on_book(&d, &b, L0);
	struct msg_vote_req q = t_req(9, SIDE_BUY, 1, 102);
	cr_assert_eq(riskd_on_vote_req(&d, &q, 0, L0 + S), 0);
	cr_assert_eq(last_vote(&h)->reason, VOTE_R_SESSION);
	cr_assert_eq(riskd_market_ns(&d, L0 + S), t_utc(2022, 1, 10, 6, 0, 1));
	free(st);
}

Test(riskd, no_room_for_the_vote_changes_nothing)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d, &b, L0);
	struct riskd_state before = *st;
	h.full = 1;
	struct msg_vote_req q = t_req(1, SIDE_BUY, 1, 102);
	cr_assert_eq(riskd_on_vote_req(&d, &q, 1, L0), -EAGAIN);
	cr_assert_eq(memcmp(&before, st, sizeof(before)), 0, "state untouched");
	cr_assert_eq(h.n_votes, 0);
	h.full = 0;
	cr_assert_eq(riskd_on_vote_req(&d, &q, 0, L0), 0);
	cr_assert_eq(last_vote(&h)->verdict, VOTE_APPROVE);
	free(st);
}

/* ------------------------------------------------------------ kill switch */

Test(riskd, kill_switch_vetoes_and_flattens_until_flat_then_rearm_approves)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d, &b, L0);
	struct msg_vote_req q = t_req(1, SIDE_BUY, 3, 102);
	riskd_on_vote_req(&d, &q, 0, L0);
	struct msg_exec_report r = t_fill(1, 1, SIDE_BUY, 3, 102, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0);
	cr_assert_eq(riskd_current(st)->position, 3);

	/* the host's flag latches: a flattening position goes out at once */
	uint32_t np = h.n_pos;
	riskd_tick(&d, 1, L0 + MS);
	cr_assert_eq(h.n_pos, np + 1);
	cr_assert_eq(last_pos(&h)->flags & POS_F_FLATTEN, POS_F_FLATTEN);
	cr_assert_eq(last_pos(&h)->flatten_qty, -3);
	cr_assert_eq(st->flatten, 1);
	q = t_req(2, SIDE_BUY, 1, 102);
	riskd_on_vote_req(&d, &q, 1, L0 + 2 * MS);
	cr_assert_eq(last_vote(&h)->verdict, VOTE_VETO);
	cr_assert_eq(last_vote(&h)->reason, VOTE_R_KILL_SWITCH);

	/* the flattening sell fills: flat, no more flatten */
	r = t_fill(3, 2, SIDE_SELL, 3, 100, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0 + 3 * MS);
	cr_assert_eq(riskd_current(st)->position, 0);
	cr_assert_eq(last_pos(&h)->flags, 0);
	cr_assert_eq(st->flatten, 0);
	cr_assert_eq(riskd_current(st)->realized_e9, -6000000000LL, "3 x (100 - 102)");

	/* re-armed: orders pass again */
	riskd_tick(&d, 0, L0 + 4 * MS);
	q = t_req(4, SIDE_BUY, 1, 102);
	riskd_on_vote_req(&d, &q, 0, L0 + 5 * MS);
	cr_assert_eq(last_vote(&h)->verdict, VOTE_APPROVE);
	free(st);
}

/*
 * kill_switch.flatten_slices 2 over 2 s: a long of 4 is sold 2 at the kill
 * and 2 once the market clock (live: the book's time plus the local time
 * since) is 1 s past it; a snapshot the host does not take is offered
 * again on the next tick.
 */
Test(riskd, kill_switch_flattens_in_slices_by_the_market_clock)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	struct riskd_params p;
	t_params(&p);
	p.limits.flatten_slices = 2;
	p.limits.flatten_horizon_ns = 2 * S;
	cr_assert_eq(risk_cfg_check(&p.limits, NULL), 0);
	memset(&h, 0, sizeof(h));
	riskd_init(st, &p);
	const struct riskd_out out = { .ctx = &h, .vote_claim = h_vote_claim,
				       .vote_publish = h_vote_publish,
				       .position = h_position, .log = h_log };
	cr_assert_eq(riskd_attach(&d, st, &p, &out), 0);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d, &b, L0);
	struct msg_vote_req q = t_req(1, SIDE_BUY, 4, 102);
	riskd_on_vote_req(&d, &q, 0, L0);
	struct msg_exec_report r = t_fill(1, 1, SIDE_BUY, 4, 102, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0);
	cr_assert_eq(riskd_current(st)->position, 4);

	/* the kill at market time T0 + 1 ms: plan 4, 2, 0; the first slice */
	riskd_tick(&d, 1, L0 + MS);
	cr_assert_eq(st->plan.n, 2);
	cr_assert_eq(st->plan.start_ns, T0 + MS);
	cr_assert_eq(st->plan.tau_ns, S);
	cr_assert_eq(last_pos(&h)->flatten_qty, -2);
	cr_assert_eq(st->flatten_next_ns, T0 + MS + S);
	r = t_fill(2, 2, SIDE_SELL, 2, 100, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0 + 2 * MS);
	cr_assert_eq(riskd_current(st)->position, 2);
	cr_assert_eq(last_pos(&h)->flags & POS_F_FLATTEN, 0, "on plan: nothing due");

	/* not before +1 s of market time */
	uint32_t np = h.n_pos;
	riskd_tick(&d, 1, L0 + S);
	cr_assert_eq(h.n_pos, np);
	/* due, but the host takes no snapshot: offered again */
	h.refuse_pos = 1;
	riskd_tick(&d, 1, L0 + MS + S);
	cr_assert_eq(h.n_pos, np);
	cr_assert_eq(st->flatten_next_ns, T0 + MS + S, "still due");
	h.refuse_pos = 0;
	riskd_tick(&d, 1, L0 + MS + S + 1);
	cr_assert_eq(h.n_pos, np + 1);
	cr_assert_eq(last_pos(&h)->flatten_qty, -2, "the last slice: the rest");
	cr_assert_eq(st->flatten_next_ns, 0);
	cr_assert_eq(st->flatten_slices, 2);
	r = t_fill(3, 3, SIDE_SELL, 2, 100, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0 + 2 * S);
	cr_assert_eq(riskd_current(st)->position, 0);
	cr_assert_eq(st->flatten, 0);
	free(st);
}

/* ------------------------------------------------------------ books */

Test(riskd, mark_positions_at_most_once_a_second_and_a_new_day_resets_the_day)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d, &b, L0);
	struct msg_vote_req q = t_req(1, SIDE_BUY, 1, 102);
	riskd_on_vote_req(&d, &q, 0, L0);
	struct msg_exec_report r = t_fill(1, 1, SIDE_BUY, 1, 102, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0);
	q = t_req(2, SIDE_SELL, 1, 110);
	b = t_book(T0 + S, 110, 112);
	riskd_on_book(&d, &b, L0 + S / 2);
	cr_assert_eq(h.n_pos, 1, "within a second of the fill's position: none");
	riskd_on_vote_req(&d, &q, 0, L0 + S / 2);
	r = t_fill(2, 2, SIDE_SELL, 1, 110, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0 + S / 2);
	cr_assert_eq(riskd_current(st)->realized_e9, 8000000000LL, "110 - 102");
	cr_assert_eq(h.n_pos, 2);

	/* long again, then marks: one position after a second */
	q = t_req(3, SIDE_BUY, 2, 112);
	riskd_on_vote_req(&d, &q, 0, L0 + S);
	r = t_fill(3, 3, SIDE_BUY, 2, 112, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0 + S);
	cr_assert_eq(h.n_pos, 3);
	b = t_book(T0 + 2 * S, 114, 116);
	riskd_on_book(&d, &b, L0 + S + S / 2);
	cr_assert_eq(h.n_pos, 3);
	riskd_on_book(&d, &b, L0 + 2 * S + 1);
	cr_assert_eq(h.n_pos, 4);
	cr_assert_eq(last_pos(&h)->mark_px, 115);
	cr_assert_eq(last_pos(&h)->unrealized_e9, 6000000000LL, "2 x (115 - 112)");

	/* the next session day: the day's realized P&L starts at 0 and the
	 * position is re-based at the mark */
	b = t_book(T0 + 24 * 3600 * S, 120, 122);
	riskd_on_book(&d, &b, L0 + 3 * S);
	const struct risk_state *rs = riskd_current(st);
	cr_assert_eq(rs->realized_e9, 0);
	cr_assert_eq(rs->position, 2);
	struct risk_pnl pnl;
	risk_pnl(rs, &pnl);
	cr_assert_eq(pnl.unrealized_e9, 2 * (121 - 115) * 1000000000LL,
		     "re-based at the last mark of the day before (115)");
	free(st);
}

/* ------------------------------------------------------------ restart */

Test(riskd, a_new_handle_on_the_same_state_resumes_and_a_redelivered_fill_is_harmless)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d, &b, L0);
	struct msg_vote_req q = t_req(1, SIDE_BUY, 4, 102);
	riskd_on_vote_req(&d, &q, 0, L0);
	struct msg_exec_report r = t_fill(1, 1, SIDE_BUY, 3, 102, 0, EXEC_PARTIAL);
	riskd_on_report(&d, &r, L0);

	/* a restarted host: a new handle on the surviving state */
	struct riskd d2;
	struct t_host h2;
	memset(&h2, 0, sizeof(h2));
	struct riskd_params p;
	t_params(&p);
	const struct riskd_out out = { .ctx = &h2, .vote_claim = h_vote_claim,
				       .vote_publish = h_vote_publish,
				       .position = h_position, .log = h_log };
	cr_assert_eq(riskd_attach(&d2, st, &p, &out), 0);
	cr_assert_eq(riskd_current(st)->position, 3);
	cr_assert_eq(riskd_current(st)->open_buy, 1, "4 approved, 3 filled");
	riskd_on_report(&d2, &r, L0 + MS); /* the same fill again */
	cr_assert_eq(riskd_current(st)->position, 3);
	cr_assert_eq(riskd_current(st)->fills, 1);
	cr_assert_eq(h2.n_pos, 0, "nothing applied: no position");
	r = t_fill(1, 2, SIDE_BUY, 1, 102, 0, EXEC_FILLED);
	riskd_on_report(&d2, &r, L0 + 2 * MS);
	cr_assert_eq(riskd_current(st)->position, 4);
	cr_assert_eq(riskd_current(st)->n_open, 0);
	cr_assert_eq(h2.n_pos, 1);
	cr_assert_eq(st->reports, 3);
	free(st);
}

/* ------------------------------------------------------------ instances */

Test(riskd, two_instances_in_one_process_do_not_interfere)
{
	struct riskd d1, d2;
	struct t_host h1, h2;
	struct riskd_state *s1 = t_state(), *s2 = t_state();
	t_open(&d1, s1, &h1);
	t_open(&d2, s2, &h2);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(&d1, &b, L0);
	struct msg_vote_req q = t_req(1, SIDE_BUY, 2, 102);
	riskd_on_vote_req(&d1, &q, 0, L0);
	struct msg_exec_report r = t_fill(1, 1, SIDE_BUY, 2, 102, 0, EXEC_FILLED);
	riskd_on_report(&d1, &r, L0);
	cr_assert_eq(riskd_current(s1)->position, 2);
	cr_assert_eq(h1.n_votes, 1);

	/* the second has no book: no mark, and no position of the first */
	riskd_on_vote_req(&d2, &q, 0, L0);
	cr_assert_eq(h2.n_votes, 1);
	/* no book: the market clock is the host's (1970), outside the session */
	cr_assert_eq(h2.votes[0].reason, VOTE_R_SESSION);
	cr_assert_eq(riskd_current(s2)->position, 0);
	cr_assert_eq(h2.n_pos, 0);
	riskd_tick(&d2, 1, L0);
	cr_assert_eq(riskd_current(s2)->killed, 1);
	cr_assert_eq(riskd_current(s1)->killed, 0, "the kill switch of one only");
	free(s1);
	free(s2);
}

/* ------------------------------------------------------------ allocation */

/* A jemalloc counter of this thread.  No assertion inside: a passing
 * assertion may itself allocate (the runner's bookkeeping); failures are
 * counted in t_mallctl_errors and checked after the measurement. */
static int t_mallctl_errors;

static uint64_t t_jemalloc(const char *name)
{
	uint64_t v = 0;
	size_t sz = sizeof(v);
	t_mallctl_errors += mallctl(name, &v, &sz, NULL, 0) != 0;
	return v;
}

/* One round of the steady state: a book, a vote, a fill, a tick. */
static void t_round(struct riskd *d, int64_t i)
{
	int64_t now = L0 + i * MS;
	struct msg_book b = t_book(T0 + i * MS, 100 + i % 3, 102 + i % 3);
	riskd_on_book(d, &b, now);
	int side = i & 1 ? SIDE_BUY : SIDE_SELL;
	struct msg_vote_req q = t_req((uint64_t)i, side, 1, side > 0 ? 105 : 99);
	riskd_on_vote_req(d, &q, 0, now);
	struct msg_exec_report r = t_fill((uint64_t)i, (uint64_t)i, side, 1, 101, 1000,
					  EXEC_FILLED);
	riskd_on_report(d, &r, now);
	riskd_tick(d, 0, now);
}

Test(riskd, steady_state_allocates_nothing)
{
	if (!mallctl)
		cr_skip_test("no jemalloc (sanitizer build)");
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_state();
	t_open(&d, st, &h);
	/* start-up: two rounds, and the first reads of jemalloc's counters */
	t_round(&d, 1);
	t_round(&d, 2);
	(void)t_jemalloc("thread.allocated");
	(void)t_jemalloc("thread.deallocated");
	uint64_t a0 = t_jemalloc("thread.allocated"), d0 = t_jemalloc("thread.deallocated");
	for (int64_t i = 3; i <= 200002; i++) /* 800000 calls */
		t_round(&d, i);
	uint64_t a1 = t_jemalloc("thread.allocated"), d1 = t_jemalloc("thread.deallocated");
	cr_assert_eq(t_mallctl_errors, 0);
	cr_assert_eq(a1, a0, "%llu bytes allocated", (unsigned long long)(a1 - a0));
	cr_assert_eq(d1, d0);
	cr_assert_eq(st->votes, 200002);
	cr_assert_eq(riskd_current(st)->position, 0);
	cr_assert_eq(riskd_current(st)->fills, 200002);
	free(st);
}

/* ------------------------------------------------------------ fan-out */

/* The intent of t_req's order (same fields, ingress 11) */
static struct msg_intent t_intent(uint64_t id, int side, int32_t qty, int64_t px)
{
	struct msg_vote_req q = t_req(0, side, qty, px);
	struct msg_intent it;
	memset(&it, 0, sizeof(it));
	it.hdr.type = MSG_INTENT;
	it.hdr.size = sizeof(it);
	it.hdr.ingress_ns = q.hdr.ingress_ns;
	it.intent_id = id;
	it.side = q.side;
	it.qty = q.qty;
	it.px = q.px;
	it.ord_type = q.ord_type;
	it.tif = q.tif;
	return it;
}

static struct msg_vote_done t_done_of(uint64_t intent_id, uint64_t decision_id,
				      uint32_t outcome)
{
	struct msg_vote_done m = t_done(decision_id, outcome);
	m.intent_id = intent_id;
	return m;
}

#define DEC(n) (9ull << 40 | (n)) /* decision ids: at or above 2^40 */

/* A fresh risk voter with a two-sided book (100 / 102) at T0. */
static struct riskd_state *t_open_with_book(struct riskd *d, struct t_host *h)
{
	struct riskd_state *st = t_state();
	t_open(d, st, h);
	struct msg_book b = t_book(T0, 100, 102);
	riskd_on_book(d, &b, L0);
	return st;
}

/*
 * vote.fanout: risk votes on the intent itself and holds the approval
 * under the intent's id; the ballot's end moves it under the decision's
 * id (a release, where the reports find it) or lets it go (a block).
 */
Test(riskd, an_intent_is_held_under_its_id_until_its_ballot_names_the_decision)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_open_with_book(&d, &h);
	struct msg_intent i1 = t_intent(41, SIDE_BUY, 5, 102), i2 = t_intent(42, SIDE_BUY, 5, 102);
	cr_assert_eq(riskd_on_intent(&d, &i1, 0, L0), 0);
	struct msg_vote *v = last_vote(&h);
	cr_assert_eq(v->decision_id, 0, "no decision yet: the vote names the intent");
	cr_assert_eq(v->intent_id, 41);
	cr_assert_eq(v->verdict, VOTE_APPROVE);
	cr_assert_eq(riskd_on_intent(&d, &i2, 0, L0), 0);
	cr_assert_eq(last_vote(&h)->intent_id, 42);
	cr_assert_eq(riskd_current(st)->open_buy, 10, "both held: the position limit is reached");
	cr_assert_eq(st->intent_votes, 2);
	cr_assert_eq(st->intent_hi, 42);

	/* 41 released as decision DEC(1): held under that id now */
	struct msg_vote_done m = t_done_of(41, DEC(1), VOTE_RELEASE);
	cr_assert_eq(riskd_on_vote_done(&d, &m, L0), 0);
	cr_assert_eq(st->rekeyed, 1);
	cr_assert_eq(riskd_current(st)->open_buy, 10);
	/* 42 blocked: let go at once */
	m = t_done_of(42, DEC(2), VOTE_BLOCK);
	cr_assert_eq(riskd_on_vote_done(&d, &m, L0), 1);
	cr_assert_eq(riskd_current(st)->open_buy, 5);
	cr_assert_eq(st->released_blocked, 1);
	/* the order of DEC(1) fills: its report finds the approval by the
	 * decision's id, and ends it */
	struct msg_exec_report r = t_fill(DEC(1), 1, SIDE_BUY, 5, 102, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0 + MS);
	cr_assert_eq(riskd_current(st)->position, 5);
	cr_assert_eq(riskd_current(st)->n_open, 0);
	cr_assert_eq(n_pending(st), 0);
	cr_assert_eq(riskd_tick(&d, 0, L0 + RISKD_RESERVE_NS + 1), 0, "nothing left to expire");
	free(st);
}

/*
 * Live, the rings race: the ballot's end may come before risk's own copy
 * of the intent, and the order's terminal report before the ballot's end.
 * Whatever the order, nothing stays held.
 */
Test(riskd, news_that_comes_before_what_it_is_about_is_kept_until_then)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_open_with_book(&d, &h);

	/* a block before the intent: the vote holds nothing */
	struct msg_vote_done m = t_done_of(51, DEC(1), VOTE_BLOCK);
	cr_assert_eq(riskd_on_vote_done(&d, &m, L0), 0);
	struct msg_intent it = t_intent(51, SIDE_BUY, 3, 102);
	cr_assert_eq(riskd_on_intent(&d, &it, 0, L0), 0);
	cr_assert_eq(last_vote(&h)->verdict, VOTE_APPROVE);
	cr_assert_eq(riskd_current(st)->n_open, 0, "its ballot was over: nothing held");

	/* a release before the intent: held under the decision's id at once */
	m = t_done_of(52, DEC(2), VOTE_RELEASE);
	cr_assert_eq(riskd_on_vote_done(&d, &m, L0), 0);
	it = t_intent(52, SIDE_BUY, 3, 102);
	cr_assert_eq(riskd_on_intent(&d, &it, 0, L0), 0);
	cr_assert_eq(riskd_current(st)->open_buy, 3);
	struct msg_exec_report r = t_fill(DEC(2), 2, SIDE_BUY, 3, 102, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0);
	cr_assert_eq(riskd_current(st)->n_open, 0, "its report found it");
	cr_assert_eq(riskd_current(st)->position, 3);

	/* a terminal report (a cancel) before the release's notice: the
	 * notice ends the approval instead of moving it */
	it = t_intent(53, SIDE_SELL, 2, 100);
	cr_assert_eq(riskd_on_intent(&d, &it, 0, L0), 0);
	cr_assert_eq(riskd_current(st)->open_sell, 2);
	r = t_fill(DEC(3), 0, SIDE_SELL, 0, 0, 0, EXEC_CANCELLED);
	riskd_on_report(&d, &r, L0);
	cr_assert_eq(riskd_current(st)->open_sell, 2, "still under the intent's id");
	m = t_done_of(53, DEC(3), VOTE_RELEASE);
	cr_assert_eq(riskd_on_vote_done(&d, &m, L0), 1);
	cr_assert_eq(riskd_current(st)->open_sell, 0);
	cr_assert_eq(riskd_current(st)->n_open, 0);

	/* a first report (new, not terminal) before the notice: held under
	 * the decision with no expiry (the order is at the venue) */
	it = t_intent(54, SIDE_SELL, 1, 100);
	cr_assert_eq(riskd_on_intent(&d, &it, 0, L0), 0);
	r = t_fill(DEC(4), 0, SIDE_SELL, 0, 0, 0, EXEC_NEW);
	riskd_on_report(&d, &r, L0);
	m = t_done_of(54, DEC(4), VOTE_RELEASE);
	cr_assert_eq(riskd_on_vote_done(&d, &m, L0), 0);
	cr_assert_eq(riskd_current(st)->open_sell, 1);
	cr_assert_eq(n_pending(st), 0, "a report named it: no expiry");
	cr_assert_eq(riskd_tick(&d, 0, L0 + RISKD_RESERVE_NS + 1), 0);
	cr_assert_eq(riskd_current(st)->open_sell, 1, "resting: still counted");
	r = t_fill(DEC(4), 3, SIDE_SELL, 1, 100, 0, EXEC_FILLED);
	riskd_on_report(&d, &r, L0 + S);
	cr_assert_eq(riskd_current(st)->n_open, 0);
	cr_assert_eq(riskd_current(st)->position, 2);
	free(st);
}

Test(riskd, an_intent_id_out_of_range_is_refused_and_holds_nothing)
{
	struct riskd d;
	struct t_host h;
	struct riskd_state *st = t_open_with_book(&d, &h);
	struct msg_intent it = t_intent(RISKD_INTENT_MAX, SIDE_BUY, 1, 102);
	cr_assert_eq(riskd_on_intent(&d, &it, 0, L0), 0);
	cr_assert_eq(last_vote(&h)->verdict, VOTE_REJECT);
	cr_assert_eq(last_vote(&h)->reason, VOTE_R_BAD_ORDER);
	cr_assert_eq(riskd_current(st)->n_open, 0);
	free(st);
}
