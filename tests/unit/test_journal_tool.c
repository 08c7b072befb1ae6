/*
 * test_journal_tool.c — the rows a run is read back as (libcore/report)
 * and the tool that writes them (dm-journal), as dmctl run uses it.
 *
 * The report suite feeds hand-made records and compares every row with a
 * hand-worked example (WIN: tick 5 points, R$ 0.20 a point, so one tick of
 * one lot is R$ 1.00).  The run suite makes a short `tools/dmctl run` and
 * checks its CSV files against what the segment's summary says
 * (summary.json): the venue's fill totals, the net P&L to the nano-unit,
 * the decision and order counts.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/report/report.h"
#include "libcore/vote/vote.h"
#include "libcore/msg/msg.h"
#include "tests/helpers.h"

/* ------------------------------------------------------------ helpers */

/* "-40002.5122" -> -40002512200000 (currency x 10^9) */
static int64_t t_money_e9(const char *s)
{
	int neg = *s == '-';
	if (neg || *s == '+')
		s++;
	int64_t ip = 0, fp = 0;
	int fd = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		ip = ip * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, fd++)
			fp = fp * 10 + (*s - '0');
	cr_assert(fd <= 9, "more than 9 decimals");
	for (; fd < 9; fd++)
		fp *= 10;
	int64_t v = ip * 1000000000 + fp;
	return neg ? -v : v;
}

static struct instrument t_win(void)
{
	struct cfg_instrument c = { .symbol = "WIN", .currency = "BRL",
				    .tick_size_e6 = 5000000, .point_value_e6 = 200000,
				    .lot_size_e6 = 1000000 };
	struct instrument in;
	cr_assert_eq(instr_init(&in, &c), 0);
	return in;
}

static struct event t_book(int64_t t, int64_t bid, int64_t ask)
{
	struct event e;
	memset(&e, 0, sizeof(e));
	e.kind = EV_BOOK;
	e.exch_ns = e.recv_ns = t;
	e.book.n_bid = e.book.n_ask = 1;
	e.book.bid[0].px = bid;
	e.book.bid[0].qty = 10;
	e.book.ask[0].px = ask;
	e.book.ask[0].qty = 10;
	return e;
}

static struct msg_order t_order(uint64_t coid, uint64_t dec, int side, int32_t qty, int64_t px,
				uint8_t tif)
{
	struct msg_order o;
	memset(&o, 0, sizeof(o));
	o.client_order_id = coid;
	o.decision_id = dec;
	o.side = (int8_t)side;
	o.qty = qty;
	o.px = px;
	o.ord_type = ORD_LIMIT;
	o.tif = tif;
	return o;
}

static struct msg_exec_report t_exec(uint64_t coid, int side, uint8_t status, uint64_t exec_id,
				     int32_t last_qty, int64_t last_px, int32_t cum,
				     int32_t leaves, int64_t fee_e9, int64_t t)
{
	struct msg_exec_report x;
	memset(&x, 0, sizeof(x));
	x.client_order_id = coid;
	x.side = (int8_t)side;
	x.status = status;
	x.exec_id = exec_id;
	x.last_qty = last_qty;
	x.last_px = last_px;
	x.cum_qty = cum;
	x.leaves_qty = leaves;
	x.fee_e9 = fee_e9;
	x.venue_ns = t;
	return x;
}

struct t_streams {
	char *buf[4];
	size_t len[4];
	struct report_out out;
};

static void t_open(struct t_streams *s)
{
	memset(s, 0, sizeof(*s));
	s->out.fills = open_memstream(&s->buf[0], &s->len[0]);
	s->out.orders = open_memstream(&s->buf[1], &s->len[1]);
	s->out.decisions = open_memstream(&s->buf[2], &s->len[2]);
	s->out.equity = open_memstream(&s->buf[3], &s->len[3]);
	cr_assert(s->out.fills && s->out.orders && s->out.decisions && s->out.equity);
}

static void t_close(struct t_streams *s)
{
	FILE *f[4] = { s->out.fills, s->out.orders, s->out.decisions, s->out.equity };
	for (int i = 0; i < 4; i++)
		fclose(f[i]);
}

static void t_free(struct t_streams *s)
{
	for (int i = 0; i < 4; i++)
		free(s->buf[i]);
}

/* ------------------------------------------------------------ report */

static const char *const t_names[] = { "alpha", "beta", "gamma" };

Test(report, rows_of_a_hand_worked_day)
{
	struct instrument in = t_win();
	struct t_streams s;
	t_open(&s);
	static struct report r;
	struct report_order mem[4];
	struct report_opts o = { .max_open = 4, .n_names = 3, .voter_names = t_names };
	cr_assert_eq(report_init(&r, mem, sizeof(mem), &in, &o, &s.out), 0);

	const int64_t S = 1000000000;
	struct event e = t_book(10 * S, 20000, 20001); /* mid 100002.5 points */
	report_on_market(&r, &e, e.exch_ns);
	struct msg_order o7 = t_order(7, 70, +1, 2, 20001, TIF_IOC);
	report_on_order(&r, &o7);
	struct msg_exec_report x = t_exec(7, +1, EXEC_ACK, 0, 0, 0, 0, 2, 0, 10 * S + S / 5);
	report_on_exec(&r, &x);
	/* bought 2 at 20001 ticks (100005 points), fee R$ 0.5122 in all */
	x = t_exec(7, +1, EXEC_FILLED, 1, 2, 20001, 2, 0, 512200000, 10 * S + S / 5);
	report_on_exec(&r, &x);
	report_on_exec(&r, &x); /* re-published after a restart: the order has
				 * ended, so it is a report of no open order */
	e = t_book(10 * S + 9 * S / 10, 20003, 20004); /* same second: no row */
	report_on_market(&r, &e, e.exch_ns);
	struct event tr;
	memset(&tr, 0, sizeof(tr));
	tr.kind = EV_TRADE;
	tr.exch_ns = 11 * S;
	tr.trade.px = 20004;
	tr.trade.qty = 1;
	report_on_market(&r, &tr, tr.exch_ns); /* a new second: a row at mid 100017.5 */
	struct msg_order o8 = t_order(8, 80, -1, 2, 20010, TIF_DAY);
	report_on_order(&r, &o8);
	x = t_exec(8, -1, EXEC_ACK, 0, 0, 0, 0, 2, 0, 11 * S + S / 2);
	report_on_exec(&r, &x);
	e = t_book(12 * S, 20010, 20011); /* mid 100052.5 */
	report_on_market(&r, &e, e.exch_ns);
	/* sold 2 at 20010 (100050 points) resting: maker */
	x = t_exec(8, -1, EXEC_FILLED, 2, 2, 20010, 2, 0, 512200000, 12 * S);
	report_on_exec(&r, &x);
	struct msg_order o9 = t_order(9, 90, +1, 3, 20001, TIF_DAY); /* still open at the end */
	report_on_order(&r, &o9);

	struct vote_record d;
	memset(&d, 0, sizeof(d));
	d.version = VOTE_RECORD_VERSION;
	d.outcome = VOTE_RELEASE;
	d.decision_id = 70;
	d.intent_id = 1;
	d.client_order_id = 7;
	d.px = 20001;
	d.qty = 2;
	d.side = 1;
	d.ord_type = ORD_LIMIT;
	d.reason = VOTE_R_APPROVED;
	d.decisive = -1;
	d.n_voters = 3;
	d.decided_ns = 5;            /* local: not what decisions.csv shows */
	d.market_ns = 10 * S + 7;    /* the market event behind it */
	for (uint32_t i = 0; i < 3; i++) {
		d.v[i].voter = i;
		d.v[i].verdict = i < 2 ? VOTE_V_APPROVE : VOTE_V_NONE;
		d.v[i].reason = i < 2 ? VOTE_R_APPROVED : VOTE_R_NONE;
	}
	report_on_decision(&r, &d);
	d.outcome = VOTE_BLOCK;
	d.decision_id = 71;
	d.intent_id = 2;
	d.client_order_id = 0;
	d.side = -1;
	d.qty = 1;
	d.px = 20000;
	d.reason = VOTE_R_VETOED;
	d.decisive = 0;
	d.v[0].verdict = VOTE_V_VETO;
	d.v[0].reason = VOTE_R_POS_LIMIT;
	d.v[1].voter = 7; /* no name: its number */
	d.decided_ns = 6;
	d.market_ns = 11 * S;
	report_on_decision(&r, &d);

	cr_assert_eq(report_finish(&r, 12 * S), 0);
	t_close(&s);

	cr_assert_str_eq(s.buf[0],
		"t_ns,client_order_id,side,qty,price,fee,liquidity\n"
		"10200000000,7,buy,2,100005,0.5122,taker\n"
		"12000000000,8,sell,2,100050,0.5122,maker\n");
	cr_assert_str_eq(s.buf[1],
		"client_order_id,decision_id,side,qty,price,ord_type,tif,flatten,status,"
		"filled_qty,avg_price,fees,first_ns,last_ns\n"
		"7,70,buy,2,100005,limit,ioc,0,filled,2,100005,0.5122,10200000000,10200000000\n"
		"8,80,sell,2,100050,limit,day,0,filled,2,100050,0.5122,11500000000,12000000000\n"
		"9,90,buy,3,100005,limit,day,0,sent,0,,0.00,,\n");
	cr_assert_str_eq(s.buf[2],
		"decision_id,intent_id,outcome,reason,side,qty,price,client_order_id,decisive,"
		"votes,t_ns\n"
		"70,1,released,approved,buy,2,100005,7,,"
		"alpha:approve:approved;beta:approve:approved;gamma:none:none,10000000007\n"
		"71,2,blocked,vetoed,sell,1,100000,,alpha,"
		"alpha:veto:position_limit;7:approve:approved;gamma:none:none,11000000000\n");
	/* cash after the buy: -2 x 20001 x R$ 1 - 0.5122 = -40002.5122; equity
	 * = cash + 2 x mid: at 20000.5 -1.5122, at 20003.5 4.4878 (the peak),
	 * at 20010.5 18.4878 (the peak); after the sale cash = equity =
	 * -40002.5122 + 40020 - 0.5122 = 16.9756, 1.5122 below the peak */
	cr_assert_str_eq(s.buf[3],
		"t_ns,position,mark,cash,equity,drawdown\n"
		"10000000000,0,100002.5,0.00,0.00,0.00\n"
		"10200000000,2,100002.5,-40002.5122,-1.5122,1.5122\n"
		"11000000000,2,100017.5,-40002.5122,4.4878,0.00\n"
		"12000000000,2,100052.5,-40002.5122,18.4878,0.00\n"
		"12000000000,0,100052.5,16.9756,16.9756,1.5122\n"
		"12000000000,0,100052.5,16.9756,16.9756,1.5122\n");
	cr_assert_eq(r.n.fills, 2);
	cr_assert_eq(r.n.unknown_reports, 1);
	cr_assert_eq(r.n.orders, 3);
	cr_assert_eq(r.n.decisions, 2);
	cr_assert_eq(report_equity_e9(&r), 16975600000);
	t_free(&s);
}

/* The client_order_id column of each decisions.csv row of text, in
 * order, "" for an empty cell, into out (n at most); returns the rows. */
static int coid_cells(const char *text, char out[][24], int n)
{
	int rows = 0;
	const char *p = strchr(text, '\n');
	while (p && *++p && rows < n) {
		const char *c = p;
		for (int k = 0; k < 7 && c; k++) {
			c = strchr(c, ',');
			c = c ? c + 1 : NULL;
		}
		size_t w = c ? strcspn(c, ",") : 0;
		snprintf(out[rows++], 24, "%.*s", (int)w, c ? c : "");
		p = strchr(p, '\n');
	}
	return rows;
}

static struct vote_record t_decision(uint64_t id, int released)
{
	struct vote_record d;
	memset(&d, 0, sizeof(d));
	d.version = VOTE_RECORD_VERSION;
	d.outcome = released ? VOTE_RELEASE : VOTE_BLOCK;
	d.reason = released ? VOTE_R_APPROVED : VOTE_R_VETOED;
	d.decision_id = id;
	d.intent_id = id;
	d.client_order_id = released ? id : 0; /* the coordinator's own */
	d.px = 20000;
	d.qty = 1;
	d.side = 1;
	d.ord_type = ORD_LIMIT;
	d.decisive = -1;
	d.n_voters = 1;
	d.market_ns = (int64_t)id * 1000000000;
	return d;
}

/*
 * hold_decisions: a released decision's row names the client order id
 * execution gave its order (its own numbering, which a blocked decision
 * does not advance), not the coordinator's; rows keep the decisions'
 * order; a release whose order never comes has the cell empty, and one
 * held behind 64 others is written without waiting.
 */
Test(report, decision_rows_name_the_order_execution_made)
{
	const int64_t S = 1000000000;
	struct instrument in = t_win();
	struct t_streams s;
	t_open(&s);
	static struct report r;
	struct report_order mem[4];
	struct report_opts o = { .max_open = 4, .n_names = 3, .voter_names = t_names,
				 .hold_decisions = 1 };
	cr_assert_eq(report_init(&r, mem, sizeof(mem), &in, &o, &s.out), 0);
	struct vote_record d = t_decision(70, 1);
	report_on_decision(&r, &d);
	d = t_decision(71, 0);
	report_on_decision(&r, &d);
	d = t_decision(72, 1);
	report_on_decision(&r, &d);
	d = t_decision(73, 1); /* its order never comes */
	report_on_decision(&r, &d);
	d = t_decision(74, 0);
	report_on_decision(&r, &d);
	fflush(s.out.decisions);
	cr_expect_eq(s.len[2], strlen(report_decisions_header) + 1,
		     "nothing written before the first release's order:\n%s", s.buf[2]);
	struct msg_order o1 = t_order(501, 70, +1, 1, 20000, TIF_DAY);
	struct msg_order o2 = t_order(502, 72, +1, 1, 20000, TIF_DAY);
	report_on_order(&r, &o1);
	report_on_order(&r, &o1); /* journaled twice: no harm */
	report_on_order(&r, &o2);
	cr_assert_eq(report_finish(&r, 80 * S), 0);
	t_close(&s);
	char cells[80][24];
	cr_assert_eq(coid_cells(s.buf[2], cells, 80), 5, "%s", s.buf[2]);
	cr_expect_str_eq(cells[0], "501");
	cr_expect_str_eq(cells[1], "");
	cr_expect_str_eq(cells[2], "502");
	cr_expect_str_eq(cells[3], "", "73: no order");
	cr_expect_str_eq(cells[4], "");
	cr_expect(strstr(s.buf[2], "\n70,") < strstr(s.buf[2], "\n71,") &&
		  strstr(s.buf[2], "\n71,") < strstr(s.buf[2], "\n72,") &&
		  strstr(s.buf[2], "\n73,") < strstr(s.buf[2], "\n74,"), "in order:\n%s", s.buf[2]);
	cr_expect_eq(r.n.no_order, 1);
	cr_expect_eq(r.n.decisions, 5);
	t_free(&s);

	/* 65 releases and no order: the oldest goes out at the 65th */
	t_open(&s);
	cr_assert_eq(report_init(&r, mem, sizeof(mem), &in, &o, &s.out), 0);
	for (uint64_t i = 1; i <= REPORT_HELD + 1; i++) {
		d = t_decision(i, 1);
		report_on_decision(&r, &d);
	}
	fflush(s.out.decisions);
	cr_expect_eq(r.n.no_order, 1, "one written without its order");
	struct msg_order o3 = t_order(600, 2, +1, 1, 20000, TIF_DAY);
	report_on_order(&r, &o3);
	cr_assert_eq(report_finish(&r, 80 * S), 0);
	t_close(&s);
	cr_assert_eq(coid_cells(s.buf[2], cells, 80), REPORT_HELD + 1);
	cr_expect_str_eq(cells[0], "");
	cr_expect_str_eq(cells[1], "600");
	cr_expect_eq(r.n.no_order, REPORT_HELD);
	t_free(&s);
}

Test(report, average_price_of_partial_fills_and_unknown_reports)
{
	struct instrument in = t_win();
	struct t_streams s;
	t_open(&s);
	static struct report r;
	struct report_order mem[1];
	struct report_opts o = { .max_open = 1 };
	cr_assert_eq(report_init(&r, mem, sizeof(mem), &in, &o, &s.out), 0);
	struct msg_order o9 = t_order(9, 90, +1, 3, 20001, TIF_DAY);
	report_on_order(&r, &o9);
	struct msg_order o10 = t_order(10, 100, +1, 1, 20001, TIF_DAY);
	report_on_order(&r, &o10); /* the table holds 1: not followed */
	struct msg_exec_report x = t_exec(9, +1, EXEC_PARTIAL, 1, 1, 20000, 1, 2, 0, 100);
	report_on_exec(&r, &x);
	report_on_exec(&r, &x); /* re-published: cum_qty not above: once */
	x = t_exec(9, +1, EXEC_PARTIAL, 2, 2, 20001, 3, 0, 0, 200);
	report_on_exec(&r, &x);
	x = t_exec(10, +1, EXEC_FILLED, 3, 1, 20001, 1, 0, 0, 300);
	report_on_exec(&r, &x);
	x = t_exec(9, +1, EXEC_FILLED, 0, 0, 0, 3, 0, 0, 400);
	report_on_exec(&r, &x);
	cr_assert_eq(report_finish(&r, 400), 0);
	t_close(&s);
	/* (1 x 100000 + 2 x 100005) / 3 = 100003.3333... */
	cr_assert(strstr(s.buf[1], "\n9,90,buy,3,100005,limit,day,0,filled,3,100003.3333,0.00,100,400\n"),
		  "%s", s.buf[1]);
	cr_assert_eq(r.n.table_full, 1);
	cr_assert_eq(r.n.unknown_reports, 1);
	cr_assert_eq(r.n.dup_fills, 1);
	cr_assert_eq(r.n.fills, 2);
	t_free(&s);
}

/* Orders opened and ended out of turn over a table of 4: slots freed are
 * taken again, first free first; every order is followed (its row at its
 * end, or open at the finish, in slot order) and a fifth open at once is
 * not. */
Test(report, the_order_table_takes_freed_slots_again)
{
	struct instrument in = t_win();
	struct t_streams s;
	t_open(&s);
	static struct report r;
	struct report_order mem[4];
	struct report_opts o = { .max_open = 4 };
	cr_assert_eq(report_init(&r, mem, sizeof(mem), &in, &o, &s.out), 0);
	struct msg_order ord;
	struct msg_exec_report x;
	uint64_t coid = 1;
	/* a ladder: 3 open, the middle one ends, a new one takes its slot;
	 * then all end, newest first, and the table starts afresh */
	for (int round = 0; round < 50; round++) {
		uint64_t a = coid++, b = coid++, c = coid++, d = coid++;
		ord = t_order(a, a, +1, 1, 20000, TIF_DAY);
		report_on_order(&r, &ord);
		ord = t_order(b, b, +1, 1, 20000, TIF_DAY);
		report_on_order(&r, &ord);
		ord = t_order(c, c, +1, 1, 20000, TIF_DAY);
		report_on_order(&r, &ord);
		x = t_exec(b, +1, EXEC_CANCELLED, 0, 0, 0, 0, 0, 0, round);
		report_on_exec(&r, &x);
		cr_assert(!mem[1].used, "b's slot is free");
		ord = t_order(d, d, +1, 1, 20000, TIF_DAY);
		report_on_order(&r, &ord);
		cr_assert(mem[1].used && mem[1].o.client_order_id == d, "d takes b's slot");
		const uint64_t end[3] = { c, d, a };
		for (int k = 0; k < 3; k++) {
			x = t_exec(end[k], +1, EXEC_CANCELLED, 0, 0, 0, 0, 0, 0, round);
			report_on_exec(&r, &x);
		}
		cr_assert_eq(r.hi, 0, "round %d: the table is empty", round);
	}
	/* five at once: the fifth is not followed; two left open at the end */
	for (uint64_t k = 0; k < 5; k++) {
		ord = t_order(1000 + k, 1000 + k, -1, 2, 20010, TIF_DAY);
		report_on_order(&r, &ord);
	}
	for (uint64_t k = 0; k < 3; k++) {
		x = t_exec(1000 + k, -1, EXEC_CANCELLED, 0, 0, 0, 0, 0, 0, 99);
		report_on_exec(&r, &x);
	}
	x = t_exec(1004, -1, EXEC_CANCELLED, 0, 0, 0, 0, 0, 0, 99);
	report_on_exec(&r, &x);
	cr_assert_eq(report_finish(&r, 100), 0);
	t_close(&s);
	cr_assert_eq(r.n.table_full, 1);
	cr_assert_eq(r.n.unknown_reports, 1, "the fifth's report");
	/* every followed order has exactly one row: 200 + 4, and the header */
	size_t rows = 0;
	for (const char *p = s.buf[1]; (p = strchr(p, '\n')); p++)
		rows++;
	cr_assert_eq(rows, 1 + 200 + 4, "%s", s.buf[1]);
	cr_assert(strstr(s.buf[1], "\n1003,1003,sell,2,"), "the one left open is written");
	t_free(&s);
}

Test(report, a_version_1_decision_record_is_read_and_written_with_its_local_time)
{
	/* a version 1 record as journaled: the first 296 bytes, no market_ns */
	struct vote_record w;
	memset(&w, 0, sizeof(w));
	w.version = 1;
	w.outcome = VOTE_BLOCK;
	w.decision_id = 5;
	w.intent_id = 6;
	w.side = -1;
	w.qty = 1;
	w.ord_type = ORD_MARKET;
	w.reason = VOTE_R_HALTED;
	w.decisive = -1;
	w.decided_ns = 1234;
	w.market_ns = 999; /* beyond the version 1 bytes: must not be read */
	unsigned char raw[VOTE_RECORD_V1_SIZE + 8];
	memcpy(raw, &w, sizeof(raw));
	struct vote_record d;
	cr_assert_eq(vote_record_read(&d, raw, VOTE_RECORD_V1_SIZE), 0);
	cr_assert_eq(d.version, 1);
	cr_assert_eq(d.market_ns, 0);
	cr_assert_eq(d.decided_ns, 1234);
	cr_assert_eq(vote_record_time_ns(&d), 1234);
	cr_assert_eq(vote_record_read(&d, raw, VOTE_RECORD_V1_SIZE + 8), 0);
	cr_assert_eq(d.market_ns, 999);
	cr_assert_eq(vote_record_read(&d, raw, VOTE_RECORD_V1_SIZE - 8), -DM_ECORRUPT);
	cr_assert_eq(vote_record_read(&d, raw, VOTE_RECORD_V1_SIZE), 0);

	struct instrument in = t_win();
	struct t_streams s;
	t_open(&s);
	static struct report r;
	struct report_order mem[1];
	struct report_opts o = { .max_open = 1 };
	cr_assert_eq(report_init(&r, mem, sizeof(mem), &in, &o, &s.out), 0);
	report_on_decision(&r, &d);
	cr_assert_eq(report_finish(&r, 0), 0);
	t_close(&s);
	cr_assert_str_eq(s.buf[2],
		"decision_id,intent_id,outcome,reason,side,qty,price,client_order_id,decisive,"
		"votes,t_ns\n"
		"5,6,blocked,halted,sell,1,,,,,1234\n");
	t_free(&s);
}

Test(report, liquidity_is_the_venues_flag_when_the_report_carries_it)
{
	struct instrument in = t_win();
	struct t_streams s;
	t_open(&s);
	static struct report r;
	struct report_order mem[2];
	struct report_opts o = { .max_open = 2 };
	cr_assert_eq(report_init(&r, mem, sizeof(mem), &in, &o, &s.out), 0);
	/* a limit order whose first report is a fill: inference says taker,
	 * the venue says maker */
	struct msg_order o7 = t_order(7, 70, +1, 2, 20001, TIF_DAY);
	report_on_order(&r, &o7);
	struct msg_exec_report x = t_exec(7, +1, EXEC_PARTIAL, 1, 1, 20001, 1, 1, 0, 100);
	x.liquidity = MSG_LIQ_MAKER;
	report_on_exec(&r, &x);
	/* a later fill (inference: maker) the venue flags taker */
	x = t_exec(7, +1, EXEC_FILLED, 2, 1, 20001, 2, 0, 0, 200);
	x.liquidity = MSG_LIQ_TAKER;
	report_on_exec(&r, &x);
	/* no flag (an older journal): inferred, a later fill of a limit order */
	struct msg_order o8 = t_order(8, 80, -1, 1, 20001, TIF_DAY);
	report_on_order(&r, &o8);
	x = t_exec(8, -1, EXEC_ACK, 0, 0, 0, 0, 1, 0, 300);
	report_on_exec(&r, &x);
	x = t_exec(8, -1, EXEC_FILLED, 3, 1, 20001, 1, 0, 0, 400);
	report_on_exec(&r, &x);
	cr_assert_eq(report_finish(&r, 400), 0);
	t_close(&s);
	cr_assert_str_eq(s.buf[0],
		"t_ns,client_order_id,side,qty,price,fee,liquidity\n"
		"100,7,buy,1,100005,0.00,maker\n"
		"200,7,buy,1,100005,0.00,taker\n"
		"400,8,sell,1,100005,0.00,maker\n");
	t_free(&s);
}

/* The report hands the TCA module its fills once each, with the order's
 * decision, send time and arrival at the venue. */
Test(report, feeds_the_tca_each_fill_once_with_its_order_times)
{
	const int64_t S = 1000000000;
	struct instrument in = t_win();
	struct t_streams s;
	t_open(&s);
	char *tbuf = NULL;
	size_t tlen = 0;
	FILE *tf = open_memstream(&tbuf, &tlen);
	struct tca_params tp = { .max_decisions = 4, .max_fills = 8, .history = 64 };
	size_t tn = tca_memsize(&tp);
	void *tmem = malloc(tn);
	static struct tca tca;
	cr_assert_eq(tca_init(&tca, tmem, tn, &in, &tp, tf), 0);
	static struct report r;
	struct report_order mem[4];
	struct report_opts o = { .max_open = 4, .tca = &tca };
	cr_assert_eq(report_init(&r, mem, sizeof(mem), &in, &o, &s.out), 0);

	struct event e = t_book(10 * S, 20000, 20002); /* mid x2 40002 */
	report_on_market(&r, &e, e.exch_ns);
	struct vote_record d;
	memset(&d, 0, sizeof(d));
	d.version = VOTE_RECORD_VERSION;
	d.outcome = VOTE_RELEASE;
	d.decision_id = 77;
	d.market_ns = 10 * S;
	report_on_decision(&r, &d);
	d.decision_id = 78;
	d.outcome = VOTE_BLOCK; /* blocked: not followed */
	report_on_decision(&r, &d);
	cr_expect_eq(tca.n.decisions, 1);
	e = t_book(10 * S + 100, 20001, 20003); /* 40004: the decision resolves at 40002 */
	report_on_market(&r, &e, e.exch_ns);

	/* order 7 of decision 77, sent at 10 s + 200 us on the venue clock */
	struct msg_order o7 = t_order(7, 77, +1, 2, 20003, TIF_DAY);
	o7.hdr.flags = MSG_F_VENUE_TIME;
	o7.hdr.send_ns = 10 * S + 200000;
	report_on_order(&r, &o7);
	struct msg_exec_report x = t_exec(7, +1, EXEC_ACK, 0, 0, 0, 0, 2, 0, 10 * S + 500000);
	report_on_exec(&r, &x);
	x = t_exec(7, +1, EXEC_PARTIAL, 1, 1, 20003, 1, 1, 0, 10 * S + 900000);
	x.liquidity = MSG_LIQ_MAKER;
	report_on_exec(&r, &x);
	report_on_exec(&r, &x); /* re-delivered: once */
	x = t_exec(7, +1, EXEC_FILLED, 2, 1, 20003, 2, 0, 0, 10 * S + 900000);
	x.liquidity = MSG_LIQ_MAKER;
	report_on_exec(&r, &x);
	cr_expect_eq(tca.dec_hi, 0, "the order ended: its decision is let go");
	/* an order of no flag: no send time */
	struct msg_order o8 = t_order(8, 0, -1, 1, 20001, TIF_IOC);
	report_on_order(&r, &o8);
	x = t_exec(8, -1, EXEC_FILLED, 3, 1, 20001, 1, 0, 0, 11 * S);
	report_on_exec(&r, &x);
	/* a refusal before the venue ends its decision too */
	d.decision_id = 79;
	d.outcome = VOTE_RELEASE;
	report_on_decision(&r, &d);
	cr_expect_eq(tca.dec_hi, 1);
	x = t_exec(0, +1, EXEC_REJECTED, 0, 0, 0, 0, 0, 0, 11 * S);
	x.decision_id = 79;
	report_on_exec(&r, &x);
	cr_expect_eq(tca.dec_hi, 0);
	cr_assert_eq(report_finish(&r, 12 * S), 0);
	fclose(tf);
	/* the rows: arrival 40002 -> 100005 points, at the fill 40004 ->
	 * 100010; 2p = 40006: effective 2 ticks = 10 points; shortfall
	 * (40006 - 40002) / 2 ticks x 1 lot = 2.00; legs 200 us, 300 us, and
	 * 400 us from the acknowledgement to the fill; the horizons pass the
	 * end (12 s) */
	const char *want =
		"1,10000900000,7,77,buy,1,100015,maker,100005,100010,10,,,,,,,2.00,200000,300000,400000\n"
		"2,10000900000,7,77,buy,1,100015,maker,100005,100010,10,,,,,,,2.00,200000,300000,400000\n"
		"3,11000000000,8,,sell,1,100005,taker,,100010,10,,,,,,,,,,0\n";
	const char *rows = strchr(tbuf, '\n');
	cr_assert_not_null(rows);
	cr_expect_str_eq(rows + 1, want);
	t_close(&s);
	t_free(&s);
	free(tbuf);
	free(tmem);
}

Test(report, header_gives_the_instrument_and_refuses_an_old_one)
{
	struct journal_file_hdr h;
	memset(&h, 0, sizeof(h));
	strcpy(h.symbol, "AAPL");
	strcpy(h.tick_size, "0.01");
	strcpy(h.lot_size, "1");
	strcpy(h.currency, "USD");
	h.point_value = 1;
	h.flags = JOURNAL_HDR_F_INSTR;
	struct instrument in;
	char err[256];
	cr_assert_eq(report_instrument_from_header(&h, &in, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(in.price_decimals, 2);
	cr_assert_eq(in.tick_pts, 1);
	cr_assert_eq(in.tick_value_e9, 10000000); /* 0.01 USD */
	char buf[32];
	instr_pts_format(&in, 51235, buf, sizeof(buf));
	cr_assert_str_eq(buf, "512.35");
	h.flags = 0;
	cr_assert_lt(report_instrument_from_header(&h, &in, err, sizeof(err)), 0);
	cr_assert(strstr(err, "names no instrument"), "%s", err);
}

/* ------------------------------------------------------------ dmctl run */

static char root[PATH_MAX / 2], bindir[PATH_MAX], rdir[PATH_MAX];

/* <build>/bin and the checkout above it */
static void find_paths(void)
{
	struct t_paths p;
	t_paths_or_fail(&p);
	snprintf(root, sizeof(root), "%s", p.root);
	snprintf(bindir, sizeof(bindir), "%s", p.bin);
}

static int sh(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t n, const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p, "%s", cmd);
	size_t got = out ? fread(out, 1, n - 1, p) : 0;
	if (out)
		out[got] = '\0';
	else {
		char sink[4096];
		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The rows of file (header first), as one malloc'd text; *lines its count. */
static char *slurp(const char *name, int *lines)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/%s", rdir, name);
	FILE *f = fopen(p, "r");
	cr_assert_not_null(f, "%s missing", p);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *b = malloc((size_t)n + 1);
	cr_assert_not_null(b);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	*lines = 0;
	for (long i = 0; i < n; i++)
		*lines += b[i] == '\n';
	return b;
}

/* Field k (0-based) of a CSV line (no quoting in these files) into out. */
static void field(const char *line, int k, char *out, size_t n)
{
	for (int i = 0; i < k; i++) {
		line = strchr(line, ',');
		cr_assert_not_null(line, "field %d missing", k);
		line++;
	}
	size_t len = strcspn(line, ",\n");
	cr_assert_lt(len, n);
	memcpy(out, line, len);
	out[len] = '\0';
}

static json_int_t jget(json_t *root_obj, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(root_obj, a), b);
	cr_assert(json_is_integer(v), "summary.json %s.%s is not an integer", a, b);
	return json_integer_value(v);
}

static void run_setup(void)
{
	find_paths();
	snprintf(rdir, sizeof(rdir), "/tmp/dm_test_jrun_%d", (int)getpid());
	char seg[64];
	snprintf(seg, sizeof(seg), "/dmtest-jrun-%d", (int)getpid());
	sh(NULL, 0, "rm -rf '%s'", rdir);
	int rc = sh(NULL, 0, "cd '%s' && DM_BIN='%s' DM_SHM_NAME='%s' tools/dmctl --run-dir '%s' "
		    "run --events 6000 >'%s.out' 2>&1", root, bindir, seg, rdir, rdir);
	cr_assert_eq(rc, 0, "dmctl run failed (exit %d): see %s.out", rc, rdir);
}

static void run_teardown(void)
{
	sh(NULL, 0, "rm -rf '%s' '%s.out'", rdir, rdir);
}

TestSuite(journal_run, .init = run_setup, .fini = run_teardown, .timeout = 120);

Test(journal_run, csv_files_agree_with_the_run_summary)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/summary.json", rdir);
	json_error_t je;
	json_t *sum = json_load_file(p, 0, &je);
	cr_assert_not_null(sum, "%s: %s", p, je.text);
	const int64_t tv = jget(sum, "position", "tick_value_e9");
	const int64_t mark_x2 = jget(sum, "position", "mark_x2_ticks");

	/* fills.csv against the venue's totals: count, lots each way, fees,
	 * and the gross P&L the venue's fills give at the final mark */
	int nf;
	char *fills = slurp("fills.csv", &nf), *sp;
	cr_assert_str_eq(strtok_r(fills, "\n", &sp), report_fills_header);
	int64_t bought = 0, sold = 0, fees = 0, cost_ticks = 0;
	int rows = 0;
	for (char *l = strtok_r(NULL, "\n", &sp); l; l = strtok_r(NULL, "\n", &sp), rows++) {
		char side[8], qty[16], price[32], fee[32];
		field(l, 2, side, sizeof(side));
		field(l, 3, qty, sizeof(qty));
		field(l, 4, price, sizeof(price));
		field(l, 5, fee, sizeof(fee));
		int64_t q = atoll(qty), pts = atoll(price);
		cr_assert_eq(pts % 5, 0, "WIN prices are whole ticks of 5 points: %s", l);
		if (strcmp(side, "buy") == 0) {
			bought += q;
			cost_ticks += q * pts / 5;
		} else {
			cr_assert_str_eq(side, "sell");
			sold += q;
			cost_ticks -= q * pts / 5;
		}
		fees += t_money_e9(fee);
	}
	cr_assert_gt(rows, 0, "the run traded nothing: no check");
	cr_assert_eq(rows, jget(sum, "fills", "count"));
	cr_assert_eq(bought, jget(sum, "fills", "bought"));
	cr_assert_eq(sold, jget(sum, "fills", "sold"));
	cr_assert_eq(fees, jget(sum, "pnl_e9", "fees_from_venue"));
	int64_t pos = bought - sold;
	cr_assert_eq(pos, jget(sum, "position", "final"));
	int64_t gross = (pos * mark_x2 * tv) / 2 - cost_ticks * tv;
	cr_assert_eq(gross, jget(sum, "pnl_e9", "gross_from_venue"));

	/* equity.csv: the last equity is the net P&L to the nano-unit, at the
	 * final position */
	int ne;
	char *eq = slurp("equity.csv", &ne);
	cr_assert_str_eq(strtok_r(eq, "\n", &sp), report_equity_header);
	char *last = NULL;
	for (char *l = strtok_r(NULL, "\n", &sp); l; l = strtok_r(NULL, "\n", &sp))
		last = l;
	cr_assert_not_null(last);
	char f4[48], f1[24];
	field(last, 4, f4, sizeof(f4));
	field(last, 1, f1, sizeof(f1));
	cr_assert_eq(t_money_e9(f4), jget(sum, "pnl_e9", "net"), "last equity row %s", last);
	cr_assert_eq(atoll(f1), pos);
	/* sampled at least at every fill */
	cr_assert_geq(ne - 1, rows);

	/* decisions.csv: one row per decision, released ones = approved */
	int nd;
	char *dec = slurp("decisions.csv", &nd);
	cr_assert_eq(nd - 1, jget(sum, "decisions", "total"));
	int released = 0;
	for (char *l = strchr(dec, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		char oc[16];
		field(l + 1, 2, oc, sizeof(oc));
		released += strcmp(oc, "released") == 0;
	}
	cr_assert_eq(released, jget(sum, "decisions", "approved"));

	/* orders.csv: one row per order, the filled ones as the summary counts */
	int no;
	char *ord = slurp("orders.csv", &no);
	cr_assert_eq(no - 1, jget(sum, "orders", "total"));
	int filled = 0;
	for (char *l = strchr(ord, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		char st[24];
		field(l + 1, 8, st, sizeof(st));
		filled += strcmp(st, "filled") == 0;
	}
	cr_assert_eq(filled, jget(sum, "orders", "filled"));
	free(fills);
	free(eq);
	free(dec);
	free(ord);
	json_decref(sum);
}

/* A price difference in WIN points ("-10", "5") as ticks x 2 of half a
 * point: WIN prices are whole points, mids may end in .5 */
static int64_t t_half_pts(const char *s)
{
	int neg = *s == '-';
	int64_t v = atoll(neg ? s + 1 : s) * 2;
	if (strstr(s, ".5"))
		v++;
	return neg ? -v : v;
}

Test(journal_run, tca_csv_has_every_fill_with_its_costs_and_the_summary_their_aggregate)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/summary.json", rdir);
	json_error_t je;
	json_t *sum = json_load_file(p, 0, &je);
	cr_assert_not_null(sum, "%s: %s", p, je.text);
	json_t *tca = json_object_get(sum, "tca");
	cr_assert(json_is_object(tca), "dmctl run's summary.json has no tca object");

	int nf, nt;
	char *fills = slurp("fills.csv", &nf), *rows = slurp("tca.csv", &nt), *sf, *st;
	cr_assert_eq(nt, nf, "one tca.csv row per fill");
	cr_assert_str_eq(strtok_r(rows, "\n", &st), tca_header);
	strtok_r(fills, "\n", &sf);
	int64_t shortfall = 0;
	int n = 0;
	for (char *t = strtok_r(NULL, "\n", &st), *f = strtok_r(NULL, "\n", &sf); t && f;
	     t = strtok_r(NULL, "\n", &st), f = strtok_r(NULL, "\n", &sf), n++) {
		char a[64], b[64];
		/* the fill's own columns as fills.csv has them:
		 * tca t_ns,coid,-,side,qty,price,liquidity = fills 0,1,2,3,4,6 */
		static const int tk[] = { 1, 2, 4, 5, 6, 7 }, fk[] = { 0, 1, 2, 3, 4, 6 };
		for (int i = 0; i < 6; i++) {
			field(t, tk[i], a, sizeof(a));
			field(f, fk[i], b, sizeof(b));
			cr_assert_str_eq(a, b, "tca.csv column %d of row %d: %s / fills.csv %s", tk[i],
					 n + 1, t, f);
		}
		/* effective = realized + impact at each horizon known */
		char eff[32], re[32], im[32];
		field(t, 10, eff, sizeof(eff));
		cr_assert(eff[0], "no mid at a fill of a traded market: %s", t);
		for (int h = 0; h < 3; h++) {
			field(t, 11 + h, re, sizeof(re));
			field(t, 14 + h, im, sizeof(im));
			if (re[0] && im[0])
				cr_expect_eq(t_half_pts(eff), t_half_pts(re) + t_half_pts(im), "%s", t);
		}
		/* every leg as the configuration makes it (conf/default.yaml: a
		 * feed latency of 200 us, entry 300 us; the order goes out in the
		 * step of its decision) */
		field(t, 18, a, sizeof(a));
		cr_expect_str_eq(a, "200000", "decision to send: %s", t);
		field(t, 19, a, sizeof(a));
		cr_expect_str_eq(a, "300000", "send to ack: %s", t);
		field(t, 20, a, sizeof(a));
		cr_expect(a[0] && atoll(a) >= 0, "ack to fill: %s", t);
		field(t, 17, a, sizeof(a));
		cr_assert(a[0], "no shortfall: %s", t);
		shortfall += t_money_e9(a);
	}
	cr_assert_gt(n, 0, "the run traded nothing: no check");
	cr_expect_eq(json_integer_value(json_object_get(tca, "count")), n);
	cr_expect_eq(json_integer_value(json_object_get(tca, "shortfall_e9")), shortfall);
	cr_expect_eq(json_integer_value(json_object_get(tca, "cut_short")), 0);
	free(fills);
	free(rows);
	json_decref(sum);
}

Test(journal_run, dm_journal_run_dir_writes_tca_csv_again_and_its_aggregate)
{
	static char out[1 << 16];
	char o2[PATH_MAX + 16], sum[PATH_MAX + 32];
	snprintf(o2, sizeof(o2), "%s/again", rdir);
	cr_assert_eq(mkdir(o2, 0755), 0);
	/* a summary.json of the operator's own: the aggregate is added to it */
	snprintf(sum, sizeof(sum), "%s/summary.json", o2);
	FILE *f = fopen(sum, "w");
	cr_assert_not_null(f);
	fputs("{\"mine\": 1}\n", f);
	fclose(f);
	int rc = sh(out, sizeof(out), "'%s/dm-journal' --run-dir '%s' --out '%s' --summary '%s' "
		    "--json", bindir, rdir, o2, sum);
	cr_assert_eq(rc, 0, "%s", out);
	json_t *j = json_loads(out, 0, NULL);
	cr_assert_not_null(j, "not JSON: %s", out);
	json_t *tca = json_object_get(j, "tca");
	cr_assert(json_is_object(tca), "%s", out);
	/* the same rows as dmctl run wrote */
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "cmp -s '%s/tca.csv' '%s/tca.csv'", rdir, o2);
	cr_expect_eq(sh(NULL, 0, "%s", cmd), 0, "tca.csv written again differs");
	int nt;
	char *rows = slurp("tca.csv", &nt);
	cr_expect_eq(json_integer_value(json_object_get(tca, "count")), nt - 1);
	free(rows);
	json_t *s = json_load_file(sum, 0, NULL);
	cr_assert_not_null(s);
	cr_expect_eq(json_integer_value(json_object_get(s, "mine")), 1, "the rest kept");
	json_t *st = json_object_get(s, "tca");
	cr_assert(json_is_object(st), "--summary got no aggregate");
	static const char *const ints[] = { "count", "shortfall_e9", "with_mid", "with_30s" };
	for (int i = 0; i < 4; i++)
		cr_expect_eq(json_integer_value(json_object_get(st, ints[i])),
			     json_integer_value(json_object_get(tca, ints[i])), "tca.%s", ints[i]);
	cr_expect_float_eq(json_number_value(json_object_get(st, "effective_spread")),
			   json_number_value(json_object_get(tca, "effective_spread")), 1e-9);
	json_decref(s);
	json_decref(j);
	/* --summary of no JSON object: refused, exit 2 */
	f = fopen(sum, "w");
	cr_assert_not_null(f);
	fputs("[1]\n", f);
	fclose(f);
	rc = sh(out, sizeof(out), "'%s/dm-journal' --run-dir '%s' --out '%s' --summary '%s' 2>&1",
		bindir, rdir, o2, sum);
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "not a JSON object"), "%s", out);
	sh(NULL, 0, "rm -rf '%s'", o2);
}

Test(journal_run, dm_journal_lists_each_journal_as_rows)
{
	static char out[1 << 20];
	/* the decisions journal as rows is decisions.csv: the same code */
	int rc = sh(out, sizeof(out), "'%s/dm-journal' '%s/decisions.journal' --market '%s/market.journal'",
		    bindir, rdir, rdir);
	cr_assert_eq(rc, 0, "%s", out);
	int nd;
	char *dec = slurp("decisions.csv", &nd);
	cr_assert_str_eq(out, dec);
	free(dec);

	/* --json: one object per decision, votes as an array */
	rc = sh(out, sizeof(out), "'%s/dm-journal' '%s/decisions.journal' -c '%s/conf/default.yaml' --json",
		bindir, rdir, root);
	cr_assert_eq(rc, 0, "%s", out);
	int objs = 0;
	char *sp;
	for (char *l = strtok_r(out, "\n", &sp); l; l = strtok_r(NULL, "\n", &sp), objs++) {
		json_t *j = json_loads(l, 0, NULL);
		cr_assert_not_null(j, "not JSON: %s", l);
		cr_assert(json_is_array(json_object_get(j, "votes")), "%s", l);
		json_decref(j);
	}
	cr_assert_eq(objs, nd - 1);

	/* the market journal: one row per event */
	rc = sh(out, sizeof(out), "'%s/dm-journal' '%s/market.journal' | wc -l", bindir, rdir);
	cr_assert_eq(rc, 0);
	cr_assert_eq(atoi(out), 6000 + 1, "%s", out);

	/* the orders journal: one row per order and per report */
	rc = sh(out, sizeof(out), "'%s/dm-journal' '%s/orders.journal' --market '%s/market.journal' "
		"| head -n 1", bindir, rdir, rdir);
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(out, "seq,record,venue_ns,client_order_id,decision_id,side,qty,price,"
			      "ord_type,tif,flatten,status,exec_id,last_qty,last_price,cum_qty,"
			      "leaves_qty,fee,reason\n");

	/* an agent's journal names no instrument: say what to give */
	rc = sh(out, sizeof(out), "'%s/dm-journal' '%s/orders.journal' 2>&1", bindir, rdir);
	cr_assert_eq(rc, 2, "%s", out);
	cr_assert(strstr(out, "--market"), "%s", out);
}

Test(journal_tool, bad_usage_exits_2)
{
	char out[4096];
	find_paths();
	snprintf(rdir, sizeof(rdir), "/tmp");
	cr_assert_eq(sh(out, sizeof(out), "'%s/dm-journal' 2>&1", bindir), 2);
	cr_assert_eq(sh(out, sizeof(out), "'%s/dm-journal' x --csv --json 2>&1", bindir), 2);
	cr_assert_eq(sh(out, sizeof(out), "'%s/dm-journal' --run-dir '%s' x 2>&1", bindir, rdir), 2);
	cr_assert_eq(sh(out, sizeof(out), "'%s/dm-journal' /nonexistent.journal 2>&1", bindir), 2);
	cr_assert_eq(sh(out, sizeof(out), "'%s/dm-journal' --help", bindir), 0);
	cr_assert(strstr(out, "usage: dm-journal"));
}
