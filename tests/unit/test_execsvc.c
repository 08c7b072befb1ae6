/*
 * test_execsvc.c — the execution service alone in one process
 * (libcore/execsvc/execsvc.h): no segment, no rings; the host is a
 * recorder of what the service emits.
 *
 * Times: the venue runs with feed latency 20 us, entry 100 us, response
 * 50 us and a fee of R$ 0.25 a contract.  Market events carry exchange
 * time X(us); the host's local clock is L(us) = X(us) + 1 s, so an order
 * handed over when the newest market event is X(t) acts at the venue at
 * X(t + 120) and its reports are due at X(t + 170).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/control/passive.h"
#include "libcore/execsvc/execsvc.h"
#include "libcore/journal/journal.h"
#include "libcore/vote/vote.h"
#include "tests/helpers.h"

extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

#define X0 1000000000000ll
#define X(us) (X0 + (int64_t)(us) * 1000)
#define L(us) (X(us) + 1000000000ll)

#define EPOCH 7u
#define MAXR  4096

/* ------------------------------------------------------------ the host */

struct t_host {
	struct msg_exec_report rep[MAXR]; /* published, in order */
	uint32_t n_rep;
	struct msg_vote vote[16];
	uint32_t n_vote;
	struct msg_order jorder[MAXR];   /* JREC_ORDER records */
	uint32_t n_jorder;
	struct msg_exec_report jexec[MAXR]; /* JREC_EXEC records */
	uint32_t n_jexec;
	uint32_t flushes, sent, errors, logs;
	int full;                        /* report receivers have no room */
	int quiet;                       /* count, do not record (the allocation test) */
	/* disk = 1: records go to the buffer first and onto jorder/jexec
	 * (the file) at a flush, as the agent's journal does; jfull makes a
	 * flush fail, after which appends are refused until t_disk_back */
	int disk, jfull, jerr;
	uint32_t n_pend;
	struct { uint16_t type; struct msg_order o; struct msg_exec_report r; } pend[64];
};

static void h_write(struct t_host *h, uint16_t type, const void *rec, uint32_t len)
{
	if (type == JREC_ORDER) {
		cr_assert_eq(len, sizeof(struct msg_order));
		cr_assert(h->n_jorder < MAXR);
		memcpy(&h->jorder[h->n_jorder++], rec, len);
	} else {
		cr_assert_eq(type, JREC_EXEC);
		cr_assert_eq(len, sizeof(struct msg_exec_report));
		cr_assert(h->n_jexec < MAXR);
		memcpy(&h->jexec[h->n_jexec++], rec, len);
	}
}

/* The buffer onto the file, in order. */
static void h_write_pending(struct t_host *h)
{
	for (uint32_t i = 0; i < h->n_pend; i++)
		if (h->pend[i].type == JREC_ORDER)
			h_write(h, JREC_ORDER, &h->pend[i].o, sizeof(h->pend[i].o));
		else
			h_write(h, JREC_EXEC, &h->pend[i].r, sizeof(h->pend[i].r));
	h->n_pend = 0;
}

/* The disk has room again: the retry writes what the buffer holds. */
static void t_disk_back(struct t_host *h)
{
	h->jfull = 0;
	h->jerr = 0;
	h_write_pending(h);
}

static int h_journal(void *ctx, uint16_t type, const void *rec, uint32_t len)
{
	struct t_host *h = ctx;
	if (h->quiet)
		return 0;
	if (h->disk) {
		if (h->jerr)
			return -ENOSPC; /* sticky: nothing more is appended */
		cr_assert(h->n_pend < 64);
		h->pend[h->n_pend].type = type;
		if (type == JREC_ORDER)
			memcpy(&h->pend[h->n_pend].o, rec, sizeof(struct msg_order));
		else
			memcpy(&h->pend[h->n_pend].r, rec, sizeof(struct msg_exec_report));
		h->n_pend++;
		return 0;
	}
	if (type == JREC_ORDER) {
		cr_assert_eq(len, sizeof(struct msg_order));
		cr_assert(h->n_jorder < MAXR);
		memcpy(&h->jorder[h->n_jorder++], rec, len);
	} else {
		cr_assert_eq(type, JREC_EXEC);
		cr_assert_eq(len, sizeof(struct msg_exec_report));
		cr_assert(h->n_jexec < MAXR);
		memcpy(&h->jexec[h->n_jexec++], rec, len);
	}
	return 0;
}

static int h_flush(void *ctx)
{
	struct t_host *h = ctx;
	h->flushes++;
	if (!h->disk)
		return 0;
	if (h->jfull || h->jerr) {
		h->jerr = 1;
		return -ENOSPC;
	}
	h_write_pending(h);
	return 0;
}

static int h_report(void *ctx, const struct msg_exec_report *m)
{
	struct t_host *h = ctx;
	if (h->full)
		return -EAGAIN;
	if (h->quiet) {
		h->n_rep++;
		return 0;
	}
	cr_assert(h->n_rep < MAXR);
	h->rep[h->n_rep++] = *m;
	return 0;
}

static int h_vote(void *ctx, const struct msg_vote *v)
{
	struct t_host *h = ctx;
	if (h->full)
		return -EAGAIN;
	cr_assert(h->n_vote < 16);
	h->vote[h->n_vote++] = *v;
	return 0;
}

static void h_sent(void *ctx, const struct msg_order *o)
{
	(void)o;
	((struct t_host *)ctx)->sent++;
}

static void h_log(void *ctx, int error, const char *line)
{
	struct t_host *h = ctx;
	(void)line;
	h->logs++;
	h->errors += error != 0;
}

static struct execsvc_out t_out(struct t_host *h)
{
	struct execsvc_out o = { .ctx = h, .journal = h_journal, .journal_flush = h_flush,
				 .report = h_report, .vote = h_vote, .order_sent = h_sent,
				 .log = h_log };
	return o;
}

static void t_params(struct execsvc_params *p)
{
	execsvc_params_default(p);
	p->venue.feed_latency_us = 20;
	p->venue.entry_latency_us = 100;
	p->venue.response_latency_us = 50;
	p->venue.fee_per_lot_e6 = 250000;
	p->table_cap = 64;
	p->voter = 4;
}

/* A fresh block (filled with garbage first: init must not rely on zeros). */
static void *t_block(const struct execsvc_params *p, uint64_t epoch, size_t *size)
{
	char err[256] = "";
	*size = execsvc_memsize(p);
	cr_assert(*size > EXECSVC_TABLE_OFF);
	void *mem = aligned_alloc(4096, (*size + 4095) & ~(size_t)4095);
	cr_assert_not_null(mem);
	memset(mem, 0x5a, *size);
	cr_assert_eq(execsvc_init(mem, *size, p, epoch, err, sizeof(err)), 0, "%s", err);
	return mem;
}

/* Attach and reconcile, as a host does at every start. */
static void t_start(struct execsvc *x, void *mem, size_t size, const struct execsvc_params *p,
		    struct t_host *h, int64_t now)
{
	struct execsvc_out o = t_out(h);
	cr_assert_eq(execsvc_attach(x, mem, size, p, &o), 0);
	execsvc_reconcile(x, now, NULL);
}

/* "100x10 99x5" -> levels */
static uint16_t t_levels(const char *s, struct msg_level *out)
{
	uint16_t n = 0;
	long long px, qty;
	int used;
	while (s && sscanf(s, " %lldx%lld%n", &px, &qty, &used) == 2) {
		out[n].px = px;
		out[n].qty = qty;
		n++;
		s += used;
	}
	return n;
}

static void t_book(struct execsvc *x, int64_t us, const char *bids, const char *asks)
{
	struct msg_book b;
	memset(&b, 0, sizeof(b));
	b.hdr.type = MSG_BOOK;
	b.hdr.size = sizeof(b);
	b.exch_ns = X(us);
	b.recv_ns = X(us);
	b.n_bid = t_levels(bids, b.bid);
	b.n_ask = t_levels(asks, b.ask);
	cr_assert_eq(execsvc_on_md(x, &b.hdr, L(us)), 0);
}

static void t_trade(struct execsvc *x, int64_t us, int64_t px, int64_t qty, int agg)
{
	struct msg_trade t;
	memset(&t, 0, sizeof(t));
	t.hdr.type = MSG_TRADE;
	t.hdr.size = sizeof(t);
	t.exch_ns = X(us);
	t.recv_ns = X(us);
	t.px = px;
	t.qty = qty;
	t.aggressor = (int8_t)agg;
	cr_assert_eq(execsvc_on_md(x, &t.hdr, L(us)), 0);
}

static struct msg_order t_ord(uint64_t decision, int side, int64_t px, int32_t qty, int tif)
{
	struct msg_order o;
	memset(&o, 0, sizeof(o));
	o.hdr.type = MSG_ORDER;
	o.hdr.size = sizeof(o);
	o.hdr.ingress_ns = 4242;
	o.decision_id = decision;
	o.px = px;
	o.qty = qty;
	o.side = (int8_t)side;
	o.ord_type = ORD_LIMIT;
	o.tif = (uint8_t)tif;
	return o;
}

static void t_order(struct execsvc *x, int64_t us, uint64_t decision, int side, int64_t px,
		    int32_t qty, int tif)
{
	struct msg_order o = t_ord(decision, side, px, qty, tif);
	cr_assert_eq(execsvc_on_order(x, &o, 0, L(us)), 0);
}

static int t_tick(struct execsvc *x, int64_t us)
{
	return execsvc_tick(x, L(us), NULL);
}

/* Published fills of coid: count, contracts, value (px * qty). */
static void t_fills(const struct t_host *h, uint64_t coid, int *n, int32_t *qty, int64_t *val)
{
	*n = 0, *qty = 0, *val = 0;
	for (uint32_t i = 0; i < h->n_rep; i++)
		if (h->rep[i].client_order_id == coid && h->rep[i].last_qty > 0) {
			cr_assert_neq(h->rep[i].exec_id, 0);
			(*n)++;
			*qty += h->rep[i].last_qty;
			*val += h->rep[i].last_px * h->rep[i].last_qty;
		}
}

/* The last published report of coid. */
static const struct msg_exec_report *t_last(const struct t_host *h, uint64_t coid)
{
	for (uint32_t i = h->n_rep; i-- > 0;)
		if (h->rep[i].client_order_id == coid)
			return &h->rep[i];
	cr_assert_fail("no report of order %llu", (unsigned long long)coid);
	return NULL;
}

static uint64_t t_coid(uint64_t epoch, uint64_t n)
{
	return epoch << EXEC_ID_SHIFT | n;
}

/* ------------------------------------------------------------ layout */

Test(execsvc, memsize_follows_the_documented_layout)
{
	struct execsvc_params p;
	execsvc_params_default(&p);
	size_t tbl = exec_table_memsize(1024);
	size_t ven = venue_memsize(&p.venue);
	size_t voff = 4096 + (tbl + 65535) / 65536 * 65536;
	size_t room = (ven + 65535) / 65536 * 65536;
	cr_assert_eq(execsvc_memsize(&p), voff + 2 * room);
	p.double_venue = 0;
	cr_assert_eq(execsvc_memsize(&p), voff + room);
	p.venue_room = 256u << 10;
	cr_assert_eq(execsvc_memsize(&p), voff + (256u << 10));
	/* the execution agent's app area: 4 KiB header, 128 KiB table, 2 x 256 KiB */
	p.double_venue = 1;
	cr_assert_eq(execsvc_memsize(&p), 4096 + (128u << 10) + 2 * (256u << 10));

	char err[256] = "";
	p.venue_room = 4096;
	cr_assert_eq(execsvc_params_check(&p, err, sizeof(err)), -DM_ECONFIG);
	cr_assert(strstr(err, "venue"), "%s", err);
	cr_assert_eq(execsvc_memsize(&p), 0);
	execsvc_params_default(&p);
	p.table_cap = 1000;
	cr_assert_eq(execsvc_params_check(&p, err, sizeof(err)), -DM_ECONFIG);
	cr_assert(strstr(err, "order table"), "%s", err);
	execsvc_params_default(&p);
	p.limits.max_open = 0;
	cr_assert_eq(execsvc_params_check(&p, err, sizeof(err)), -DM_ECONFIG);
}

Test(execsvc, attach_refuses_what_is_not_a_block)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host h = { 0 };
	struct execsvc_out o = t_out(&h);
	size_t size;
	t_params(&p);
	uint8_t *mem = t_block(&p, EPOCH, &size);
	cr_assert_eq(execsvc_attach(x, mem, size - 1, &p, &o), -DM_ESIZE);
	struct execsvc_params q = p;
	q.table_cap = 128;
	cr_assert_eq(execsvc_attach(x, mem, size, &q, &o), -DM_ESIZE);
	cr_assert_eq(execsvc_attach(x, mem, size, &p, &o), 0);
	mem[0] ^= 1;
	cr_assert_eq(execsvc_attach(x, mem, size, &p, &o), -DM_EMAGIC);
	mem[0] ^= 1;
	uint8_t *blank = aligned_alloc(4096, size);
	memset(blank, 0, size);
	cr_assert_eq(execsvc_attach(x, blank, size, &p, &o), -DM_EMAGIC);
	free(blank);
	free(mem);
	free(x);
}

/* ------------------------------------------------------------ orders and fills */

Test(execsvc, order_goes_to_the_venue_and_its_fill_comes_back_with_the_decision_id)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));

	t_book(x, 0, "100x10 99x5", "101x8 102x9");
	t_order(x, 10, 42, SIDE_BUY, 101, 2, TIF_DAY);
	uint64_t coid = t_coid(EPOCH, 1);
	/* journaled with execution's id, flushed, then handed over */
	cr_assert_eq(h->n_jorder, 1);
	cr_assert_eq(h->jorder[0].client_order_id, coid);
	cr_assert_eq(h->jorder[0].decision_id, 42);
	cr_assert_eq(h->sent, 1);
	const struct venue *v = execsvc_venue_of(x->st);
	/* handed over at market time X(0) (newest event) + 20 us feed: acts at X(120) */
	cr_assert_eq(venue_next_arrival_ns(v), X(120));
	const struct exec_order *e = exec_find(execsvc_table_of(x->st), coid);
	cr_assert_not_null(e);
	cr_assert_eq(e->status, EXEC_PENDING);

	t_book(x, 100, "100x10 99x5", "101x8 102x9"); /* before arrival: nothing */
	cr_assert_eq(t_tick(x, 100), 0);
	cr_assert_eq(h->n_rep, 0);
	t_book(x, 200, "100x10 99x5", "101x8 102x9"); /* reports due at X(170) */
	cr_assert_eq(execsvc_pending(x), h->n_jexec);
	cr_assert(t_tick(x, 200) > 0);
	cr_assert_eq(execsvc_pending(x), 0);

	int n;
	int32_t qty;
	int64_t val;
	t_fills(h, coid, &n, &qty, &val);
	cr_assert_eq(n, 1);
	cr_assert_eq(qty, 2);
	cr_assert_eq(val, 2 * 101);
	const struct msg_exec_report *r = t_last(h, coid);
	cr_assert_eq(r->status, EXEC_FILLED);
	cr_assert_eq(r->cum_qty, 2);
	cr_assert_eq(r->leaves_qty, 0);
	cr_assert_eq(r->side, SIDE_BUY);
	cr_assert_eq(r->fee_e9, 2 * 250000ll * 1000, "R$ 0.25 a contract x 2");
	cr_assert_eq(r->liquidity, MSG_LIQ_TAKER, "marketable on arrival: the venue says taker");
	for (uint32_t i = 0; i < h->n_rep; i++) {
		cr_assert_eq(h->rep[i].decision_id, 42, "report %u", i);
		cr_assert_eq(h->rep[i].hdr.type, MSG_EXEC_REPORT);
		/* what was published is what was journaled, in order */
		cr_assert_eq(memcmp(&h->rep[i], &h->jexec[i], sizeof(h->rep[i])), 0);
	}
	cr_assert_eq(h->n_rep, h->n_jexec);
	cr_assert_eq(x->st->fills_out, 1);
	cr_assert_eq(x->st->filled_qty, 2);
	const struct venue_totals *vt = venue_totals(execsvc_venue_of(x->st));
	cr_assert_eq(vt->fills, 1);
	cr_assert_eq(vt->buy_qty, 2);
	cr_assert_eq(execsvc_table_of(x->st)->published_fill, r->exec_id);
	cr_assert_eq(h->errors, 0);
	free(mem);
	free(h);
	free(x);
}

/* A book message whose level counts pass its room (a corrupt slot, a
 * hostile writer) is read up to its room, never past it. */
Test(execsvc, a_level_count_past_the_message_is_cut_to_its_room)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));

	struct msg_book b;
	memset(&b, 0, sizeof(b));
	b.hdr.type = MSG_BOOK;
	b.hdr.size = sizeof(b);
	b.exch_ns = X(0);
	b.recv_ns = X(0);
	for (uint32_t i = 0; i < MSG_BOOK_LEVELS; i++) {
		b.bid[i].px = 1000 - (int64_t)i;
		b.bid[i].qty = 1 + (int64_t)i;
		b.ask[i].px = 1001 + (int64_t)i;
		b.ask[i].qty = 2 + (int64_t)i;
	}
	b.n_bid = 60000;
	b.n_ask = MSG_BOOK_LEVELS + 1;
	cr_assert_eq(execsvc_on_md(x, &b.hdr, L(0)), 0);
	const struct book *bk = venue_book(execsvc_venue_of(x->st));
	uint32_t room = MSG_BOOK_LEVELS < bk->depth ? MSG_BOOK_LEVELS : bk->depth;
	cr_assert_eq(book_depth(bk, BOOK_BID), room);
	cr_assert_eq(book_depth(bk, BOOK_ASK), room);
	cr_assert_eq(bk->level[BOOK_BID][room - 1].px, 1000 - (int64_t)(room - 1));
	cr_assert_eq(bk->level[BOOK_ASK][room - 1].qty, 2 + (int64_t)(room - 1));
	cr_assert_eq(h->errors, 0);
	free(mem);
	free(h);
	free(x);
}

Test(execsvc, a_decision_handed_twice_reaches_the_venue_once)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	t_book(x, 0, "100x10", "101x8");
	t_order(x, 10, 9, SIDE_SELL, 101, 1, TIF_DAY);
	t_order(x, 20, 9, SIDE_SELL, 101, 1, TIF_DAY); /* re-delivered */
	cr_assert_eq(x->st->orders_in, 2);
	cr_assert_eq(x->st->dup_orders, 1);
	cr_assert_eq(h->n_jorder, 1);
	cr_assert_eq(h->sent, 1);
	cr_assert_eq(execsvc_table_of(x->st)->ctr.orders, 1);
	t_book(x, 300, "100x10", "101x8");
	t_tick(x, 300);
	t_order(x, 400, 9, SIDE_SELL, 101, 1, TIF_DAY); /* after its reports too */
	cr_assert_eq(x->st->dup_orders, 2);
	cr_assert_eq(venue_stats(execsvc_venue_of(x->st))->orders, 1);
	free(mem);
	free(h);
	free(x);
}

Test(execsvc, refusals_come_back_as_rejected_reports)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	p.limits.max_open = 1;
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	t_book(x, 0, "100x10", "102x8");

	struct msg_order o = t_ord(1, SIDE_BUY, 100, 1, TIF_DAY);
	cr_assert_eq(execsvc_on_order(x, &o, EXECSVC_CTL_KILLED, L(1)), 0);
	o = t_ord(2, SIDE_SELL, 102, 1, TIF_DAY);
	o.hdr.flags = MSG_F_FLATTEN; /* risk's flattening order passes the kill switch */
	cr_assert_eq(execsvc_on_order(x, &o, EXECSVC_CTL_KILLED, L(2)), 0);
	t_order(x, 3, 3, SIDE_BUY, 100, 1, TIF_DAY); /* max_open 1: refused */
	o = t_ord(4, SIDE_BUY, 100, 0, TIF_DAY);     /* bad quantity */
	execsvc_on_order(x, &o, 0, L(4));
	t_tick(x, 5);
	cr_assert_eq(x->st->refused, 3);
	cr_assert_eq(h->n_jorder, 1);
	cr_assert_eq(h->n_rep, 3);
	uint32_t want[3][2] = { { 1, VOTE_R_KILL_SWITCH }, { 3, VOTE_R_OPEN_ORDERS },
				{ 4, VOTE_R_BAD_ORDER } };
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(h->rep[i].decision_id, want[i][0]);
		cr_assert_eq(h->rep[i].status, EXEC_REJECTED);
		cr_assert_eq(h->rep[i].reason, want[i][1], "decision %u: reason %u", want[i][0],
			     h->rep[i].reason);
		cr_assert_eq(h->rep[i].client_order_id, 0);
		cr_assert_eq(h->rep[i].venue_ns, X(0));
	}
	free(mem);
	free(h);
	free(x);
}

/* ------------------------------------------------------------ journal failures */

Test(execsvc, an_order_that_cannot_be_journaled_never_reaches_the_venue)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	h->disk = 1;
	t_start(x, mem, size, &p, h, L(0));
	const struct exec_table *tb = execsvc_table_of(x->st);
	t_book(x, 0, "100x10 99x5", "101x8 102x9");
	/* A: journaled, then sent */
	t_order(x, 10, 42, SIDE_BUY, 101, 2, TIF_DAY);
	uint64_t a = t_coid(EPOCH, 1), b = t_coid(EPOCH, 2), d = t_coid(EPOCH, 3);
	cr_assert_eq(h->n_jorder, 1);
	cr_assert_eq(h->sent, 1);

	/* the disk fills: B's record cannot be flushed, B is not sent */
	h->jfull = 1;
	t_order(x, 20, 43, SIDE_SELL, 100, 1, TIF_DAY);
	cr_expect_eq(h->sent, 1, "not handed to the venue");
	const struct exec_order *eb = exec_find(tb, b);
	cr_assert_not_null(eb, "B has its table entry, and its record in the buffer");
	cr_expect_eq(eb->status, EXEC_CANCELLED, "ended before the venue");
	cr_expect_eq(h->n_pend, 1);
	cr_expect_eq(h->pend[0].type, JREC_ORDER);
	cr_expect_eq(h->pend[0].o.client_order_id, b);
	cr_expect_eq(x->st->journal_unsent, 1);
	cr_expect_eq(x->st->journal_failing, 1);
	cr_expect_eq(h->errors, 1, "said once, as an error");
	/* C while it fails: refused before the table */
	t_order(x, 30, 44, SIDE_BUY, 101, 1, TIF_DAY);
	cr_expect_null(exec_find_decision(tb, 44), "no table entry whose record could be missing");
	cr_expect_eq(x->st->journal_refused, 1);
	cr_expect_eq(h->sent, 1);
	/* A's fill comes due: held with the rest, nothing published */
	t_book(x, 200, "100x10 99x5", "101x8 102x9");
	cr_expect_eq(t_tick(x, 200), 0);
	cr_expect_eq(h->n_rep, 0, "no report before its record");
	cr_expect_gt(x->st->held, 2, "A's reports, B's cancel, C's refusal");
	cr_expect_eq(x->st->held, execsvc_pending(x));
	cr_expect_eq(t_tick(x, 201), 0, "still failing");
	cr_expect_eq(venue_stats(execsvc_venue_of(x->st))->orders, 1, "the venue saw A only");

	/* room again: the retry writes B's record; the tick journals the held
	 * reports, flushes, then publishes them, in order */
	t_disk_back(h);
	cr_expect_eq(h->n_jorder, 2);
	cr_expect_eq(h->jorder[1].client_order_id, b);
	uint32_t held = execsvc_pending(x);
	cr_assert_eq(t_tick(x, 300), (int)held);
	cr_expect_eq(x->st->journal_failing, 0);
	cr_expect_eq(x->st->held, 0);
	cr_assert_eq(h->n_rep, held);
	cr_assert_eq(h->n_jexec, h->n_rep);
	for (uint32_t i = 0; i < h->n_rep; i++)
		cr_assert_eq(memcmp(&h->rep[i], &h->jexec[i], sizeof(h->rep[i])), 0,
			     "report %u: published as journaled", i);
	int n;
	int32_t qty;
	int64_t val;
	t_fills(h, a, &n, &qty, &val);
	cr_expect_eq(qty, 2, "A filled, published once");
	const struct msg_exec_report *rb = t_last(h, b);
	cr_expect_eq(rb->status, EXEC_CANCELLED);
	cr_expect_eq(rb->decision_id, 43);
	int seen_c = 0;
	for (uint32_t i = 0; i < h->n_rep; i++)
		if (h->rep[i].decision_id == 44) {
			seen_c = 1;
			cr_expect_eq(h->rep[i].status, EXEC_REJECTED);
			cr_expect_eq(h->rep[i].reason, VOTE_R_JOURNAL_ERROR);
			cr_expect_eq(h->rep[i].client_order_id, 0);
		}
	cr_expect(seen_c, "C's refusal published");
	/* D, after: journaled and sent as usual */
	t_order(x, 310, 45, SIDE_BUY, 101, 1, TIF_DAY);
	cr_expect_eq(h->sent, 2);
	cr_expect_eq(h->n_jorder, 3);
	cr_expect_eq(h->jorder[2].client_order_id, d);
	cr_expect_eq(venue_stats(execsvc_venue_of(x->st))->orders, 1, "D still in flight");
	t_book(x, 500, "100x10 99x5", "101x8 102x9");
	t_tick(x, 500);
	cr_expect_eq(venue_stats(execsvc_venue_of(x->st))->orders, 2, "A and D");
	free(mem);
	free(h);
	free(x);
}

Test(execsvc, votes_say_kill_switch_no_book_limits_or_approve)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	p.limits.max_open = 1;
	void *mem = t_block(&p, EPOCH, &size);
	struct execsvc_out o = t_out(h);
	cr_assert_eq(execsvc_attach(x, mem, size, &p, &o), 0);
	struct msg_vote_req q;
	memset(&q, 0, sizeof(q));
	q.hdr.type = MSG_VOTE_REQ;
	q.hdr.ingress_ns = 99;
	q.decision_id = 5;
	cr_assert_eq(execsvc_on_vote_req(x, &q, 0, L(0)), 0);
	execsvc_reconcile(x, L(0), NULL);
	cr_assert_eq(execsvc_on_vote_req(x, &q, 0, L(0)), 0);
	t_book(x, 0, "100x10", "102x8");
	cr_assert_eq(execsvc_on_vote_req(x, &q, EXECSVC_CTL_KILLED, L(1)), 0);
	cr_assert_eq(execsvc_on_vote_req(x, &q, 0, L(1)), 0);
	t_order(x, 2, 5, SIDE_BUY, 100, 1, TIF_DAY);
	cr_assert_eq(execsvc_on_vote_req(x, &q, 0, L(3)), 0);
	h->full = 1;
	cr_assert_eq(execsvc_on_vote_req(x, &q, 0, L(3)), -EAGAIN);
	cr_assert_eq(h->n_vote, 5);
	cr_assert_eq(x->st->votes, 5);
	/* no book beats the table (reconciling) as reported first */
	uint32_t want[5] = { VOTE_R_NO_BOOK, VOTE_R_NO_BOOK, VOTE_R_KILL_SWITCH,
			     VOTE_R_APPROVED, VOTE_R_OPEN_ORDERS };
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(h->vote[i].reason, want[i], "vote %d: %u", i, h->vote[i].reason);
		cr_assert_eq(h->vote[i].verdict, i == 3 ? VOTE_APPROVE : VOTE_REJECT);
		cr_assert_eq(h->vote[i].decision_id, 5);
		cr_assert_eq(h->vote[i].voter, 4);
		cr_assert_eq(h->vote[i].hdr.ingress_ns, 99);
	}
	free(mem);
	free(h);
	free(x);
}

/* ------------------------------------------------------------ crashes */

static jmp_buf t_jb;
static const struct exec_table *t_watch;
static int t_when;

/* Stop at the end (log cleared) of the first update that applied a fill. */
static void t_after_fill(int step)
{
	if (step == 7 && t_watch->ctr.fills > 0)
		longjmp(t_jb, 1);
}

/* Stop at the end of the t_when-th update. */
static void t_after_update(int step)
{
	if (step == 7 && --t_when == 0)
		longjmp(t_jb, 1);
}

Test(execsvc, a_fill_applied_but_never_published_goes_out_once_after_a_crash)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	t_book(x, 0, "100x10", "101x8");
	t_order(x, 10, 77, SIDE_BUY, 101, 3, TIF_DAY);
	uint64_t coid = t_coid(EPOCH, 1);

	/* the process dies inside the step that drains the venue, right after
	 * the table applied the fill: the venue copy of that step was never
	 * made current, the outbox (process memory) is gone */
	t_watch = execsvc_table_of(x->st);
	exec_fault_hook = t_after_fill;
	if (setjmp(t_jb) == 0) {
		t_book(x, 200, "100x10", "101x8");
		cr_assert_fail("the fill was not applied in this step");
	}
	exec_fault_hook = NULL;
	cr_assert_eq(h->n_rep, 0);
	cr_assert_eq(venue_totals(execsvc_venue_of(x->st))->fills, 0,
		     "the venue is as before the step");
	cr_assert_eq(venue_next_arrival_ns(execsvc_venue_of(x->st)), X(120));

	/* a new process: fresh handle, same block */
	memset(x, 0xee, sizeof(*x));
	struct execsvc_recon rc;
	struct execsvc_out o = t_out(h);
	cr_assert_eq(execsvc_attach(x, mem, size, &p, &o), 0);
	execsvc_reconcile(x, L(250), &rc);
	cr_assert_eq(rc.unpublished, 1);
	t_tick(x, 250);
	int n;
	int32_t qty;
	int64_t val;
	t_fills(h, coid, &n, &qty, &val);
	cr_assert_eq(n, 1);
	cr_assert_eq(qty, 3);
	cr_assert_eq(val, 3 * 101);
	cr_assert_eq(t_last(h, coid)->decision_id, 77);
	cr_assert_eq(t_last(h, coid)->status, EXEC_FILLED);
	uint64_t exec_id = 0;
	for (uint32_t i = 0; i < h->n_rep; i++)
		if (h->rep[i].last_qty > 0)
			exec_id = h->rep[i].exec_id;
	cr_assert_neq(exec_id, 0);

	/* the venue replays the step: the same fill is a duplicate for the table */
	t_book(x, 300, "100x10", "101x8");
	t_tick(x, 300);
	cr_assert_eq(venue_totals(execsvc_venue_of(x->st))->fills, 1);
	t_fills(h, coid, &n, &qty, &val);
	cr_assert_eq(n, 1, "the fill went out %d times", n);

	/* another restart after it was published: not again (its final
	 * status is, as a repeat the receivers ignore) */
	cr_assert_eq(execsvc_attach(x, mem, size, &p, &o), 0);
	execsvc_reconcile(x, L(400), &rc);
	cr_assert_eq(rc.unpublished, 0);
	cr_assert_eq(rc.again, 1);
	t_tick(x, 400);
	t_fills(h, coid, &n, &qty, &val);
	cr_assert_eq(n, 1);
	cr_assert_eq(t_last(h, coid)->exec_id, 0);
	cr_assert_eq(t_last(h, coid)->status, EXEC_FILLED);
	cr_assert_eq(execsvc_table_of(x->st)->published_fill, exec_id);
	free(mem);
	free(h);
	free(x);
}

Test(execsvc, an_order_marked_sent_that_never_reached_the_venue_is_rejected_at_restart)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	t_book(x, 0, "100x10", "101x8");
	/* dies after exec_sent (the second update of an order), before the
	 * venue step is made current */
	t_when = 2;
	exec_fault_hook = t_after_update;
	if (setjmp(t_jb) == 0) {
		t_order(x, 10, 31, SIDE_BUY, 100, 2, TIF_DAY);
		cr_assert_fail("no crash");
	}
	exec_fault_hook = NULL;
	uint64_t coid = t_coid(EPOCH, 1);
	cr_assert_eq(exec_find(execsvc_table_of(x->st), coid)->status, EXEC_PENDING);
	cr_assert_eq(venue_next_arrival_ns(execsvc_venue_of(x->st)), INT64_MAX);

	struct execsvc_recon rc;
	struct execsvc_out o = t_out(h);
	cr_assert_eq(execsvc_attach(x, mem, size, &p, &o), 0);
	execsvc_reconcile(x, L(20), &rc);
	cr_assert_eq(rc.confirmed, 0);
	cr_assert_eq(rc.ended, 1);
	t_tick(x, 20);
	const struct msg_exec_report *r = t_last(h, coid);
	cr_assert_eq(r->status, EXEC_REJECTED);
	cr_assert_eq(r->reason, EXEC_R_NOT_SENT);
	cr_assert_eq(r->decision_id, 31);
	/* and the table takes orders again */
	t_order(x, 30, 32, SIDE_BUY, 100, 1, TIF_DAY);
	cr_assert_eq(exec_find(execsvc_table_of(x->st), t_coid(EPOCH, 2))->status, EXEC_PENDING);
	free(mem);
	free(h);
	free(x);
}

/*
 * While the service is away the exchange moves on: a seller takes the 10
 * ahead and our 3 at 100 (the venue block is driven directly).  lost: the
 * fill's report is taken off the venue's queue too, as a full queue drops
 * one.  The service restarts and reconciles; its fill of coid comes out
 * (returned through *fill).
 */
static void t_fill_while_away(int lost, struct execsvc_recon *rc, uint64_t *synthetic,
			      struct msg_exec_report *fill)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	t_book(x, 0, "100x10", "102x8");
	t_order(x, 10, 61, SIDE_BUY, 100, 3, TIF_DAY); /* rests behind the 10 shown */
	uint64_t coid = t_coid(EPOCH, 1);
	t_book(x, 200, "100x10", "102x8");
	t_tick(x, 200);
	cr_assert_eq(t_last(h, coid)->status, EXEC_ACK);

	struct venue *v = (struct venue *)execsvc_venue_of(x->st);
	struct event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_TRADE;
	ev.exch_ns = ev.recv_ns = X(300);
	ev.trade.px = 100;
	ev.trade.qty = 13;
	ev.trade.aggressor = -1;
	cr_assert_eq(venue_on_event(v, &ev), 0);
	struct venue_order_view w;
	cr_assert_eq(venue_query(v, coid, &w), 0);
	cr_assert_eq(w.status, EXEC_FILLED);
	cr_assert_eq(venue_owes(v, coid), 1, "the fill's report is on its way");
	if (lost) {
		struct msg_exec_report gone;
		while (venue_poll(v, INT64_MAX, &gone) == 1)
			;
		cr_assert_eq(venue_owes(v, coid), 0);
	}

	struct execsvc_out o = t_out(h);
	cr_assert_eq(execsvc_attach(x, mem, size, &p, &o), 0);
	execsvc_reconcile(x, L(400), rc);
	*synthetic = x->st->synthetic;
	t_book(x, 500, "99x10", "102x8"); /* the market goes on: what is due comes */
	t_tick(x, 500);
	int n;
	int32_t qty;
	int64_t val;
	t_fills(h, coid, &n, &qty, &val);
	cr_assert_eq(n, 1);
	cr_assert_eq(qty, 3);
	cr_assert_eq(val, 3 * 100);
	for (uint32_t i = 0; i < h->n_rep; i++)
		if (h->rep[i].client_order_id == coid && h->rep[i].last_qty > 0)
			*fill = h->rep[i];
	cr_assert_eq(t_last(h, coid)->status, EXEC_FILLED);
	cr_assert_eq(t_last(h, coid)->decision_id, 61);
	cr_assert_eq(exec_find(execsvc_table_of(x->st), coid)->status, EXEC_FILLED);
	cr_assert_eq(execsvc_table_of(x->st)->ctr.open, 0);
	free(mem);
	free(h);
	free(x);
}

/* The fill's report still on its way when the service restarts: the order
 * is confirmed, nothing is made up, and the report comes when due with its
 * fee and venue time, as without the restart. */
Test(execsvc, reconciliation_waits_for_a_report_the_venue_still_owes)
{
	struct execsvc_recon rc;
	uint64_t synthetic;
	struct msg_exec_report f;
	t_fill_while_away(0, &rc, &synthetic, &f);
	cr_expect_eq(rc.confirmed, 1);
	cr_expect_eq(rc.ended, 0);
	cr_expect_eq(synthetic, 0, "no fill made up");
	cr_expect_gt(f.fee_e9, 0, "the venue's fee");
	cr_expect_eq(f.venue_ns, X(300), "the venue's time of the fill");
}

/* The fill's report lost (a full queue drops one): the venue's order state
 * is the only word, and the table takes it as one synthetic fill. */
Test(execsvc, reconciliation_takes_the_venues_word_for_fills_the_table_missed)
{
	struct execsvc_recon rc;
	uint64_t synthetic;
	struct msg_exec_report f;
	t_fill_while_away(1, &rc, &synthetic, &f);
	cr_expect_eq(rc.confirmed, 1);
	cr_expect_eq(synthetic, 1);
}

/* An order on its way in when the service restarts (sent, the venue's
 * arrival latency not yet passed on the market clock): confirmed, not
 * rejected as never sent; it arrives and is acknowledged when due. */
Test(execsvc, reconciliation_keeps_an_order_on_its_way_in)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	t_book(x, 0, "100x10", "102x8");
	t_order(x, 10, 61, SIDE_BUY, 100, 3, TIF_DAY);
	uint64_t coid = t_coid(EPOCH, 1);
	struct venue *v = (struct venue *)execsvc_venue_of(x->st);
	struct venue_order_view w;
	cr_assert_eq(venue_query(v, coid, &w), -DM_ENOTFOUND, "not arrived yet");
	cr_assert_eq(venue_owes(v, coid), 1, "on its way in");

	struct execsvc_recon rc;
	struct execsvc_out o = t_out(h);
	cr_assert_eq(execsvc_attach(x, mem, size, &p, &o), 0);
	execsvc_reconcile(x, L(20), &rc);
	cr_expect_eq(rc.confirmed, 1);
	cr_expect_eq(rc.ended, 0, "not ended as never sent");
	cr_expect_eq(exec_find(execsvc_table_of(x->st), coid)->status, EXEC_PENDING);
	t_book(x, 200, "100x10", "102x8");
	t_tick(x, 200);
	cr_expect_eq(t_last(h, coid)->status, EXEC_ACK, "arrived and acknowledged");
	v = (struct venue *)execsvc_venue_of(x->st);
	cr_expect_eq(venue_query(v, coid, &w), 0, "at the venue");
	free(mem);
	free(h);
	free(x);
}

/* ------------------------------------------------------------ cancels */

Test(execsvc, cancel_all_ends_every_live_order)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	t_book(x, 0, "100x10", "102x8");
	t_order(x, 10, 1, SIDE_BUY, 100, 1, TIF_DAY);
	t_order(x, 20, 2, SIDE_SELL, 103, 2, TIF_DAY);
	t_book(x, 300, "100x10", "102x8");
	t_tick(x, 300);
	cr_assert_eq(execsvc_table_of(x->st)->ctr.open, 2);

	struct msg_cancel k;
	memset(&k, 0, sizeof(k));
	k.hdr.type = MSG_CANCEL;
	k.hdr.size = sizeof(k);
	cr_assert_eq(execsvc_on_cancel(x, &k, L(310)), 2);
	cr_assert_eq(execsvc_on_cancel(x, &k, L(311)), 0, "cancels already pending");
	t_book(x, 600, "100x10", "102x8");
	t_tick(x, 600);
	for (uint64_t n = 1; n <= 2; n++) {
		const struct msg_exec_report *r = t_last(h, t_coid(EPOCH, n));
		cr_assert_eq(r->status, EXEC_CANCELLED);
		cr_assert_eq(r->decision_id, n);
		cr_assert_eq(r->cum_qty, 0);
	}
	cr_assert_eq(execsvc_table_of(x->st)->ctr.open, 0);
	cr_assert_eq(execsvc_table_of(x->st)->ctr.cancels, 2);
	struct venue_order_view w;
	cr_assert_eq(venue_query(execsvc_venue_of(x->st), t_coid(EPOCH, 2), &w), 0);
	cr_assert_eq(w.status, EXEC_CANCELLED);
	/* one order by id */
	t_order(x, 700, 3, SIDE_BUY, 100, 1, TIF_DAY);
	k.client_order_id = t_coid(EPOCH, 3);
	cr_assert_eq(execsvc_on_cancel(x, &k, L(701)), 1);
	t_book(x, 1000, "100x10", "102x8");
	t_tick(x, 1000);
	cr_assert_eq(t_last(h, t_coid(EPOCH, 3))->status, EXEC_CANCELLED);
	free(mem);
	free(h);
	free(x);
}

/* ------------------------------------------------------------ the host's side */

Test(execsvc, reports_wait_for_room_and_fills_count_as_published_only_once_taken)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	t_book(x, 0, "100x10", "101x8");
	t_order(x, 10, 8, SIDE_BUY, 101, 1, TIF_DAY);
	t_book(x, 200, "100x10", "101x8");
	h->full = 1;
	int64_t wake = 0;
	cr_assert_eq(execsvc_tick(x, L(200), &wake), 0);
	cr_assert_eq(wake, L(200) + 200000);
	cr_assert(execsvc_pending(x) > 0);
	cr_assert_eq(execsvc_table_of(x->st)->published_fill, 0);
	cr_assert_eq(x->st->fills_out, 0);
	h->full = 0;
	cr_assert_eq(execsvc_tick(x, L(300), NULL), (int)h->n_rep);
	cr_assert_eq(execsvc_pending(x), 0);
	cr_assert_eq(x->st->fills_out, 1);
	cr_assert_neq(execsvc_table_of(x->st)->published_fill, 0);
	free(mem);
	free(h);
	free(x);
}

Test(execsvc, the_quiet_market_clock_completes_pending_orders)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	t_book(x, 0, "100x10", "101x8");
	t_order(x, 0, 8, SIDE_BUY, 101, 1, TIF_IOC);
	/* no more market data: within quiet_ns nothing moves */
	int64_t wake = 0;
	execsvc_tick(x, L(50000), &wake);
	cr_assert_eq(h->n_rep, 0);
	cr_assert_eq(wake, 0);
	/* 50 ms + 170 us of silence: the clock reaches X(170) */
	execsvc_tick(x, L(50170), &wake);
	cr_assert_eq(wake, L(50170) + 1000000);
	cr_assert_eq(t_last(h, t_coid(EPOCH, 1))->status, EXEC_FILLED);
	free(mem);
	free(h);
	free(x);
}

Test(execsvc, two_instances_in_one_process_do_not_interfere)
{
	struct execsvc_params p;
	struct execsvc *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct t_host *ha = calloc(1, sizeof(*ha)), *hb = calloc(1, sizeof(*hb));
	size_t size;
	t_params(&p);
	void *ma = t_block(&p, 1, &size);
	void *mb = t_block(&p, 2, &size);
	t_start(a, ma, size, &p, ha, L(0));
	t_start(b, mb, size, &p, hb, L(0));
	t_book(a, 0, "100x10", "101x8");
	t_book(b, 0, "200x10", "201x8");
	t_order(a, 10, 5, SIDE_BUY, 101, 2, TIF_DAY);
	t_order(b, 10, 5, SIDE_SELL, 200, 1, TIF_DAY); /* same decision id, other instance */
	cr_assert_eq(a->st->dup_orders + b->st->dup_orders, 0);
	t_book(a, 200, "100x10", "101x8");
	t_book(b, 200, "200x10", "201x8");
	t_tick(b, 200);
	t_tick(a, 200);
	int n;
	int32_t qty;
	int64_t val;
	t_fills(ha, t_coid(1, 1), &n, &qty, &val);
	cr_assert_eq(qty, 2);
	cr_assert_eq(val, 2 * 101);
	t_fills(hb, t_coid(2, 1), &n, &qty, &val);
	cr_assert_eq(qty, 1);
	cr_assert_eq(val, 200);
	for (uint32_t i = 0; i < ha->n_rep; i++)
		cr_assert_eq(ha->rep[i].client_order_id, t_coid(1, 1));
	for (uint32_t i = 0; i < hb->n_rep; i++)
		cr_assert_eq(hb->rep[i].client_order_id, t_coid(2, 1));
	cr_assert_eq(venue_totals(execsvc_venue_of(a->st))->buy_qty, 2);
	cr_assert_eq(venue_totals(execsvc_venue_of(a->st))->sell_qty, 0);
	cr_assert_eq(venue_totals(execsvc_venue_of(b->st))->sell_qty, 1);
	cr_assert_eq(venue_totals(execsvc_venue_of(b->st))->buy_qty, 0);
	cr_assert_eq(ha->n_jorder + hb->n_jorder, 2);
	free(ma);
	free(mb);
	free(ha);
	free(hb);
	free(a);
	free(b);
}

/* A deterministic order flow: books walking around 1000, prints, IOC and
 * DAY orders, cancels; the same for every host. */
static void t_flow(struct execsvc *x, struct t_rng *g, int64_t *us, uint64_t *dec, int steps)
{
	for (int i = 0; i < steps; i++) {
		*us += 50 + (int64_t)t_rng_below(g, 200);
		int64_t mid = 1000 + (int64_t)t_rng_below(g, 5);
		char bids[64], asks[64];
		snprintf(bids, sizeof(bids), "%lldx%llu %lldx9", (long long)mid,
			 (unsigned long long)(1 + t_rng_below(g, 10)), (long long)mid - 1);
		snprintf(asks, sizeof(asks), "%lldx%llu %lldx9", (long long)mid + 1,
			 (unsigned long long)(1 + t_rng_below(g, 10)), (long long)mid + 2);
		uint64_t r = t_rng_below(g, 10);
		if (r < 7)
			t_book(x, *us, bids, asks);
		else
			t_trade(x, *us, mid + (r == 7), 1 + (int64_t)t_rng_below(g, 3),
				r == 7 ? 1 : -1);
		if (t_rng_below(g, 8) == 0) {
			int side = t_rng_below(g, 2) ? SIDE_BUY : SIDE_SELL;
			int64_t px = side == SIDE_BUY ? mid + (int64_t)t_rng_below(g, 2)
						      : mid + 1 - (int64_t)t_rng_below(g, 2);
			struct msg_order o = t_ord(++*dec, side, px, 1 + (int32_t)t_rng_below(g, 3),
						   t_rng_below(g, 2) ? TIF_IOC : TIF_DAY);
			execsvc_on_order(x, &o, 0, L(*us));
		}
		if (t_rng_below(g, 64) == 0) {
			struct msg_cancel k;
			memset(&k, 0, sizeof(k));
			k.hdr.type = MSG_CANCEL;
			k.hdr.size = sizeof(k);
			execsvc_on_cancel(x, &k, L(*us));
		}
		execsvc_tick(x, L(*us), NULL);
	}
}

Test(execsvc, in_place_venue_steps_give_the_same_reports_as_double_buffered_ones)
{
	struct execsvc_params p, q;
	struct execsvc *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct t_host *ha = calloc(1, sizeof(*ha)), *hb = calloc(1, sizeof(*hb));
	size_t sa, sb;
	t_params(&p);
	q = p;
	q.double_venue = 0;
	void *ma = t_block(&p, 3, &sa);
	void *mb = t_block(&q, 3, &sb);
	cr_assert_lt(sb, sa);
	t_start(a, ma, sa, &p, ha, L(0));
	t_start(b, mb, sb, &q, hb, L(0));
	struct t_rng ga, gb;
	t_rng_seed(&ga, 11);
	t_rng_seed(&gb, 11);
	int64_t ua = 0, ub = 0;
	uint64_t da = 0, db = 0;
	t_flow(a, &ga, &ua, &da, 1500);
	t_flow(b, &gb, &ub, &db, 1500);
	cr_assert(ha->n_rep > 20, "%u reports", ha->n_rep);
	cr_assert_eq(ha->n_rep, hb->n_rep);
	for (uint32_t i = 0; i < ha->n_rep; i++)
		cr_assert_eq(memcmp(&ha->rep[i], &hb->rep[i], sizeof(ha->rep[i])), 0,
			     "report %u differs", i);
	cr_assert_eq(memcmp(venue_totals(execsvc_venue_of(a->st)),
			    venue_totals(execsvc_venue_of(b->st)), sizeof(struct venue_totals)), 0);
	cr_assert(venue_totals(execsvc_venue_of(a->st))->fills > 5);
	free(ma);
	free(mb);
	free(ha);
	free(hb);
	free(a);
	free(b);
}

Test(execsvc, steady_state_allocates_nothing)
{
#if T_SANITIZED
	cr_skip_test("sanitizer build: its allocator replaces jemalloc");
#endif
	if (!mallctl)
		cr_skip_test("jemalloc is not linked");
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	uint64_t a0, a1, d0, d1;
	size_t sz = sizeof(a0);
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	h->quiet = 1;
	struct t_rng g;
	t_rng_seed(&g, 5);
	int64_t us = 0;
	uint64_t dec = 0;
	t_flow(x, &g, &us, &dec, 2000);
	uint32_t rep0 = h->n_rep;
	cr_assert_eq(mallctl("thread.allocated", &a0, &sz, NULL, 0), 0);
	cr_assert_eq(mallctl("thread.deallocated", &d0, &sz, NULL, 0), 0);
	t_flow(x, &g, &us, &dec, 100000);
	cr_assert_eq(mallctl("thread.allocated", &a1, &sz, NULL, 0), 0);
	cr_assert_eq(mallctl("thread.deallocated", &d1, &sz, NULL, 0), 0);
	cr_assert_eq(a1 - a0, 0, "%llu bytes allocated", (unsigned long long)(a1 - a0));
	cr_assert_eq(d1 - d0, 0);
	cr_assert(h->n_rep - rep0 > 1000, "%u reports in steady state", h->n_rep - rep0);
	cr_assert(x->st->fills_out > 100);
	free(mem);
	free(h);
	free(x);
}

/* ------------------------------------------------------------ the end of a replay */

static void t_rbook(struct execsvc *x, int64_t us, int64_t local_ns, const char *bids,
		    const char *asks)
{
	struct msg_book b;
	memset(&b, 0, sizeof(b));
	b.hdr.type = MSG_BOOK;
	b.hdr.size = sizeof(b);
	b.hdr.flags = MSG_F_CONFLATABLE | MSG_F_REPLAY;
	b.exch_ns = X(us);
	b.recv_ns = local_ns;
	b.n_bid = t_levels(bids, b.bid);
	b.n_ask = t_levels(asks, b.ask);
	cr_assert_eq(execsvc_on_md(x, &b.hdr, local_ns), 0);
}

static void t_end(struct execsvc *x, int64_t us, int64_t local_ns)
{
	struct msg_end e;
	memset(&e, 0, sizeof(e));
	e.hdr.type = MSG_END;
	e.hdr.size = sizeof(e);
	e.hdr.flags = MSG_F_REPLAY;
	e.exch_ns = X(us);
	e.events = 1;
	cr_assert_eq(execsvc_on_md(x, &e.hdr, local_ns), 0);
}

/*
 * A replay whose last event leaves two orders in flight: a DAY buy of 5
 * at 101 (3 shown there: it takes 3, rests 2) and an IOC sell of 2 at 100.
 * local[] are the local times of the steps: the book, the two orders, a
 * tick before the end, the end, then n_after ticks.  Returns the host.
 */
static struct t_host *t_replay_to_end(const int64_t *local, int n_after, int end_twice)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, local[0]);
	t_rbook(x, 0, local[0], "100x10 99x5", "101x3 102x9");
	struct msg_order a = t_ord(41, SIDE_BUY, 101, 5, TIF_DAY);
	struct msg_order b = t_ord(42, SIDE_SELL, 100, 2, TIF_IOC);
	cr_assert_eq(execsvc_on_order(x, &a, 0, local[1]), 0);
	cr_assert_eq(execsvc_on_order(x, &b, 0, local[2]), 0);
	/* the pipeline stalls, however long: a replay's clock stays at the
	 * newest event, no ack-timeout look-up either */
	int64_t wake = 0;
	execsvc_tick(x, local[3], &wake);
	cr_assert_eq(h->n_rep, 0, "nothing moved before the end");
	cr_assert_eq(wake, 0, "no clock to keep moving");
	cr_assert_eq(exec_find(execsvc_table_of(x->st), t_coid(EPOCH, 1))->status, EXEC_PENDING);
	t_end(x, 0, local[4]);
	for (int i = 0; i < n_after; i++) {
		execsvc_tick(x, local[5 + i], NULL);
		if (end_twice && i == 0)
			t_end(x, 0, local[5 + i]); /* a restarted data agent sent it again */
	}
	cr_assert_eq(execsvc_pending(x), 0);
	free(mem);
	free(x);
	return h;
}

Test(execsvc, after_the_end_of_a_replay_fills_have_the_same_venue_times_whatever_the_local_clock)
{
	const int64_t S = 1000000000ll;
	/* run 1: a fast machine, one tick right after the end */
	const int64_t fast[] = { L(0), L(1), L(2), L(3), L(4), L(5) };
	/* run 2: slow, stalled: seconds between every step, ticks far apart
	 * (well past the 1 s ack timeout and the 50 ms quiet time) */
	const int64_t slow[] = { L(0) + 7 * S, L(0) + 9 * S, L(0) + 30 * S, L(0) + 95 * S,
				 L(0) + 200 * S, L(0) + 201 * S, L(0) + 260 * S, L(0) + 900 * S };
	struct t_host *h1 = t_replay_to_end(fast, 1, 0);
	struct t_host *h2 = t_replay_to_end(slow, 3, 1);

	/* worked by hand: both orders reach the venue at X(0) + 20 us feed +
	 * 100 us entry = X(120); the buy takes the 3 at 101 (taker) and rests
	 * 2, the sell takes 2 at 100 (taker); reports due at X(170) */
	uint64_t ca = t_coid(EPOCH, 1), cb = t_coid(EPOCH, 2);
	int n;
	int32_t qty;
	int64_t val;
	t_fills(h1, ca, &n, &qty, &val);
	cr_assert_eq(qty, 3);
	cr_assert_eq(val, 3 * 101);
	t_fills(h1, cb, &n, &qty, &val);
	cr_assert_eq(qty, 2);
	cr_assert_eq(val, 2 * 100);
	for (uint32_t i = 0; i < h1->n_rep; i++) {
		const struct msg_exec_report *r = &h1->rep[i];
		if (r->last_qty > 0) {
			cr_assert_eq(r->venue_ns, X(120), "report %u", i);
			cr_assert_eq(r->liquidity, MSG_LIQ_TAKER);
		}
	}
	cr_assert_eq(t_last(h1, ca)->status, EXEC_PARTIAL, "2 left resting: no market to fill them");
	cr_assert_eq(t_last(h1, cb)->status, EXEC_FILLED);

	/* the same reports, byte for byte, on the slow machine */
	cr_assert_eq(h2->n_rep, h1->n_rep);
	for (uint32_t i = 0; i < h1->n_rep; i++)
		cr_assert_eq(memcmp(&h1->rep[i], &h2->rep[i], sizeof(h1->rep[i])), 0,
			     "report %u differs", i);
	cr_assert_eq(h2->n_jexec, h1->n_jexec);
	for (uint32_t i = 0; i < h1->n_jexec; i++)
		cr_assert_eq(memcmp(&h1->jexec[i], &h2->jexec[i], sizeof(h1->jexec[i])), 0);
	free(h1);
	free(h2);
}

Test(execsvc, a_live_market_after_a_replay_end_starts_the_clock_again)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	t_rbook(x, 0, L(0), "100x10", "101x8");
	t_end(x, 0, L(0));
	cr_assert_eq(x->st->ended, 1);
	cr_assert_eq(x->st->md_replay, 1);
	/* a live book: the market goes on, the quiet clock may run again */
	t_book(x, 10, "100x10", "101x8");
	cr_assert_eq(x->st->ended, 0);
	cr_assert_eq(x->st->md_replay, 0);
	t_order(x, 10, 8, SIDE_BUY, 101, 1, TIF_IOC);
	execsvc_tick(x, L(10) + 50000000 + 170000, NULL);
	cr_assert_eq(t_last(h, t_coid(EPOCH, 1))->status, EXEC_FILLED);
	free(mem);
	free(h);
	free(x);
}

/* ------------------------------------------------------------ the venue copies */

/*
 * What the fault points around a double-buffered venue step see: at
 * EXECSVC_FAULT_VENUE_COPY the other copy must equal the current one byte
 * for byte (the sync left nothing behind); cut = the point at which the
 * process "dies" (longjmp to t_jb), 0 for none.
 */
static struct {
	const struct execsvc_state *st;
	uint32_t cut, skip;       /* cut at the point's (skip + 1)-th pass */
	uint64_t copies, unequal;
	uint8_t *snap;            /* if set: the current venue at each step's start */
	uint32_t snap_cur;        /* and which copy it was */
} t_vc;

static const uint8_t *t_copy(const struct execsvc_state *st, uint32_t k)
{
	return (const uint8_t *)st + st->venue_off + k * st->venue_room;
}

static uint32_t t_cur(const struct execsvc_state *st)
{
	return atomic_load(&((struct execsvc_state *)st)->venue_cur) & 1;
}

static void h_fault(void *ctx, uint32_t point)
{
	(void)ctx;
	if (point == EXECSVC_FAULT_VENUE_COPY && t_vc.st) {
		t_vc.copies++;
		t_vc.unequal += memcmp(t_copy(t_vc.st, 0), t_copy(t_vc.st, 1),
				       t_vc.st->venue_size) != 0;
		if (t_vc.snap) {
			t_vc.snap_cur = t_cur(t_vc.st);
			memcpy(t_vc.snap, t_copy(t_vc.st, t_vc.snap_cur), t_vc.st->venue_size);
		}
	}
	if (t_vc.cut && t_vc.cut == point && t_vc.skip-- == 0) {
		t_vc.cut = 0;
		longjmp(t_jb, 1);
	}
}

static struct execsvc_out t_out_fault(struct t_host *h)
{
	struct execsvc_out o = t_out(h);
	o.fault = h_fault;
	return o;
}

/* the current venue of a and the one venue of b, byte for byte */
static int t_same_venue(const struct execsvc *a, const struct execsvc *b)
{
	return a->st->venue_size == b->st->venue_size &&
	       memcmp(execsvc_venue_of(a->st), execsvc_venue_of(b->st), a->st->venue_size) == 0;
}

Test(execsvc, double_buffered_steps_copy_what_changed_and_keep_the_copies_equal)
{
	struct execsvc_params p, q;
	struct execsvc *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct t_host *ha = calloc(1, sizeof(*ha)), *hb = calloc(1, sizeof(*hb));
	cr_assert(a && b && ha && hb);
	size_t sa, sb;
	t_params(&p);
	q = p;
	q.double_venue = 0;
	void *ma = t_block(&p, 3, &sa);
	void *mb = t_block(&q, 3, &sb);
	struct execsvc_out oa = t_out_fault(ha);
	cr_assert_eq(execsvc_attach(a, ma, sa, &p, &oa), 0);
	execsvc_reconcile(a, L(0), NULL);
	t_start(b, mb, sb, &q, hb, L(0));
	memset(&t_vc, 0, sizeof(t_vc));
	t_vc.st = a->st;
	ha->quiet = hb->quiet = 1;
	const uint64_t vsize = a->st->venue_size;

	/* the first step after attach copies the whole venue: the other copy
	 * may hold anything (here: garbage since init) */
	t_book(a, 0, "1000x5", "1001x5");
	t_book(b, 0, "1000x5", "1001x5");
	t_order(a, 0, 1, SIDE_BUY, 990, 1, TIF_DAY);
	t_order(b, 0, 1, SIDE_BUY, 990, 1, TIF_DAY);
	cr_assert_eq(a->st->venue_steps, 1);
	cr_assert_eq(a->st->venue_copied, vsize);
	cr_assert_eq(b->st->venue_steps, 0, "in place: no step on two copies");

	struct t_rng ga, gb;
	t_rng_seed(&ga, 17);
	t_rng_seed(&gb, 17);
	int64_t ua = 10, ub = 10;
	uint64_t da = 1, db = 1;
	for (int i = 0; i < 3000; i++) {
		t_flow(a, &ga, &ua, &da, 1);
		t_flow(b, &gb, &ub, &db, 1);
		cr_assert(t_same_venue(a, b), "step %d: the venues differ", i);
	}
	cr_assert_eq(t_vc.unequal, 0, "%llu of %llu copies unequal after the sync",
		     (unsigned long long)t_vc.unequal, (unsigned long long)t_vc.copies);
	cr_assert_eq(t_vc.copies, a->st->venue_steps);
	cr_assert_gt(a->st->venue_steps, 1000);
	cr_assert(venue_totals(execsvc_venue_of(a->st))->fills > 20);
	uint64_t per_step = (a->st->venue_copied - vsize) / (a->st->venue_steps - 1);
	cr_assert_lt(per_step, vsize / 20, "%llu bytes a step, of %llu",
		     (unsigned long long)per_step, (unsigned long long)vsize);
	cr_assert_geq(per_step, sizeof(struct venue), "the header at least");

	/* a restart: the first step copies whole again, then by change */
	memset(a, 0xee, sizeof(*a));
	cr_assert_eq(execsvc_attach(a, ma, sa, &p, &oa), 0);
	execsvc_reconcile(a, L(ua), NULL);
	uint64_t steps = a->st->venue_steps, copied = a->st->venue_copied;
	while (a->st->venue_steps == steps)
		t_flow(a, &ga, &ua, &da, 1);
	cr_assert_eq(a->st->venue_copied - copied, vsize);
	copied = a->st->venue_copied;
	steps = a->st->venue_steps;
	while (a->st->venue_steps == steps)
		t_flow(a, &ga, &ua, &da, 1);
	cr_assert_lt(a->st->venue_copied - copied, vsize / 20);
	cr_assert_eq(t_vc.unequal, 0);
	memset(&t_vc, 0, sizeof(t_vc));
	free(ma);
	free(mb);
	free(ha);
	free(hb);
	free(a);
	free(b);
}

/* One input of the crash test's flow, replayable (to the twin, and again
 * after a restart). */
struct t_in {
	int kind;                 /* 0 book, 1 trade, 2 order, 3 cancel all, 4 tick, 5 end */
	int64_t us, local;
	char bids[64], asks[64];
	int64_t px, qty;
	int agg;
	struct msg_order o;
};

static void t_in_run(struct execsvc *x, const struct t_in *in)
{
	switch (in->kind) {
	case 0:
		t_book(x, in->us, in->bids, in->asks);
		break;
	case 1:
		t_trade(x, in->us, in->px, in->qty, in->agg);
		break;
	case 2:
		execsvc_on_order(x, &in->o, 0, L(in->us));
		break;
	case 3: {
		struct msg_cancel k;
		memset(&k, 0, sizeof(k));
		k.hdr.type = MSG_CANCEL;
		k.hdr.size = sizeof(k);
		execsvc_on_cancel(x, &k, L(in->us));
		break;
	}
	case 4:
		execsvc_tick(x, in->local, NULL);
		break;
	default:
		t_end(x, in->us, in->local);
		break;
	}
}

/* Anything a step cut short may leave in the copy it worked on: the copy
 * as it stands, random bytes past the header, or random bytes everywhere. */
static void t_scribble(const struct execsvc_state *st, struct t_rng *g)
{
	uint8_t *other = (uint8_t *)(uintptr_t)t_copy(st, t_cur(st) ^ 1);
	uint64_t how = t_rng_below(g, 3);
	size_t from = how == 2 ? 0 : sizeof(struct venue);
	if (how == 0)
		return;
	for (size_t i = from; i < st->venue_size; i++)
		other[i] = (uint8_t)t_rng_next(g);
}

Test(execsvc, a_venue_step_cut_short_leaves_the_venue_as_committed_and_the_restart_goes_on_exactly)
{
	struct execsvc_params p, q;
	struct execsvc *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct t_host *ha = calloc(1, sizeof(*ha)), *hb = calloc(1, sizeof(*hb));
	cr_assert(a && b && ha && hb);
	size_t sa, sb;
	t_params(&p);
	q = p;
	q.double_venue = 0;
	void *ma = t_block(&p, 3, &sa);
	void *mb = t_block(&q, 3, &sb);
	struct execsvc_out oa = t_out_fault(ha);
	cr_assert_eq(execsvc_attach(a, ma, sa, &p, &oa), 0);
	execsvc_reconcile(a, L(0), NULL);
	t_start(b, mb, sb, &q, hb, L(0));
	ha->quiet = hb->quiet = 1;
	memset(&t_vc, 0, sizeof(t_vc));
	const size_t vsize = a->st->venue_size;
	uint8_t *before = malloc(vsize);
	cr_assert_not_null(before);
	t_vc.st = a->st;
	t_vc.snap = before;

	struct t_rng g, gc;
	t_rng_seed(&g, 29);
	t_rng_seed(&gc, 31);
	int64_t us = 0;
	uint64_t dec = 0;
	uint32_t cuts[4] = { 0 }, restarts = 0, end_cuts = 0;
	const int n = T_SANITIZED ? 1500 : 6000;
	for (int i = 0; i <= n + 40; i++) {
		struct t_in in;
		memset(&in, 0, sizeof(in));
		if (i < n) {
			us += 50 + (int64_t)t_rng_below(&g, 200);
			if (t_rng_below(&g, 40) == 0)
				us += 60000; /* a quiet live market: the tick moves the clock */
			in.us = us;
			in.local = L(us);
			int64_t mid = 1000 + (int64_t)t_rng_below(&g, 5);
			uint64_t r = t_rng_below(&g, 16);
			if (r < 10) {
				in.kind = 0;
				snprintf(in.bids, sizeof(in.bids), "%lldx%llu %lldx9", (long long)mid,
					 (unsigned long long)(1 + t_rng_below(&g, 10)),
					 (long long)mid - 1);
				snprintf(in.asks, sizeof(in.asks), "%lldx%llu %lldx9",
					 (long long)mid + 1,
					 (unsigned long long)(1 + t_rng_below(&g, 10)),
					 (long long)mid + 2);
			} else if (r < 12) {
				in.kind = 1;
				in.px = mid + (r == 10);
				in.qty = 1 + (int64_t)t_rng_below(&g, 3);
				in.agg = r == 10 ? 1 : -1;
			} else if (r < 14) {
				in.kind = 2;
				int side = t_rng_below(&g, 2) ? SIDE_BUY : SIDE_SELL;
				int64_t px = side == SIDE_BUY ? mid + (int64_t)t_rng_below(&g, 2)
							      : mid + 1 - (int64_t)t_rng_below(&g, 2);
				in.o = t_ord(++dec, side, px, 1 + (int32_t)t_rng_below(&g, 3),
					     t_rng_below(&g, 2) ? TIF_IOC : TIF_DAY);
			} else if (r < 15 && t_rng_below(&g, 4) == 0) {
				in.kind = 3;
			} else {
				in.kind = 4;
			}
		} else if (i < n + 8) {
			/* orders in flight as the replay ends (a book 30 us after
			 * each: they arrive 30 us apart), then the end: the ticks
			 * step the clock to each arrival and report due */
			in.us = us;
			if ((i - n) % 2) {
				in.kind = 0;
				us += 30;
				in.us = us;
				snprintf(in.bids, sizeof(in.bids), "1000x5 999x9");
				snprintf(in.asks, sizeof(in.asks), "1001x5 1002x9");
			} else {
				in.kind = 2;
				in.o = t_ord(++dec, i % 4 ? SIDE_BUY : SIDE_SELL, i % 4 ? 1002 : 999,
					     7, TIF_DAY);
			}
		} else {
			in.us = us;
			in.local = L(us) + (int64_t)(i - n) * 1000000;
			in.kind = i == n + 8 ? 5 : 4;
		}
		t_in_run(b, &in);

		/* a cut in a step whose input a restarted host gets again: a
		 * market event, a tick (an order or a cancel cut short is not
		 * sent again).  Before the end, not while an order is in flight
		 * to the venue: reconciliation ends it in the table, which then
		 * takes other orders than the twin's.  After the end, every
		 * tick, at one of its first steps, until it gets through. */
		volatile int tries = 0;
		for (;;) {
			const struct venue *va = execsvc_venue_of(a->st);
			int may_cut = (in.kind <= 1 || in.kind == 4) && tries < 8 &&
				      (a->st->ended ? in.kind == 4 :
				       venue_next_arrival_ns(va) == INT64_MAX &&
				       t_rng_below(&gc, 3) == 0);
			t_vc.cut = may_cut ? (t_rng_below(&gc, 2) ? EXECSVC_FAULT_VENUE_COPY
								   : EXECSVC_FAULT_VENUE_STEP) : 0;
			t_vc.skip = a->st->ended ? (uint32_t)t_rng_below(&gc, 2) : 0;
			volatile uint32_t point = t_vc.cut;
			if (setjmp(t_jb) == 0) {
				t_in_run(a, &in);
				t_vc.cut = 0;
				break;
			}
			/* the process died inside the step: the venue is as the last
			 * committed step left it (the one before this step's start,
			 * earlier steps of a tick included), whole block */
			cuts[point]++;
			end_cuts += a->st->ended;
			cr_assert_eq(t_cur(a->st), t_vc.snap_cur, "nothing committed");
			cr_assert(memcmp(execsvc_venue_of(a->st), before, vsize) == 0,
				  "input %d: the venue is not the committed one", i);
			t_scribble(a->st, &gc);
			memset(a, 0xee, sizeof(*a));
			cr_assert_eq(execsvc_attach(a, ma, sa, &p, &oa), 0);
			cr_assert(memcmp(execsvc_venue_of(a->st), before, vsize) == 0);
			execsvc_reconcile(a, in.local ? in.local : L(in.us), NULL);
			restarts++;
			tries = tries + 1; /* the input again, to the new process */
		}
		cr_assert(t_same_venue(a, b), "input %d (kind %d, %d restarts): the venues differ",
			  i, in.kind, (int)tries);
	}
	cr_assert_gt(cuts[EXECSVC_FAULT_VENUE_COPY], 50, "%u", cuts[EXECSVC_FAULT_VENUE_COPY]);
	cr_assert_gt(cuts[EXECSVC_FAULT_VENUE_STEP], 50, "%u", cuts[EXECSVC_FAULT_VENUE_STEP]);
	cr_assert_eq(restarts, cuts[EXECSVC_FAULT_VENUE_COPY] + cuts[EXECSVC_FAULT_VENUE_STEP]);
	cr_assert(venue_totals(execsvc_venue_of(b->st))->fills > 50);
	cr_assert_gt(a->st->end_steps, 0, "the replay's end was stepped to");
	cr_assert_geq(end_cuts, 4, "steps after the end cut short too (%u of %llu steps)", end_cuts, (unsigned long long)a->st->end_steps);
	cr_assert_eq(venue_next_arrival_ns(execsvc_venue_of(a->st)), INT64_MAX);
	cr_assert_eq(venue_next_report_ns(execsvc_venue_of(a->st)), INT64_MAX);
	free(before);
	free(ma);
	free(mb);
	free(ha);
	free(hb);
	free(a);
	free(b);
}

/* ------------------------------------------------------------ passive */

/* A service with execution.passive auto: A, k, H = 2 s, m, one-lot orders. */
static void *t_passive_start(struct execsvc *x, struct t_host *h, double a, double m)
{
	struct execsvc_params p;
	size_t size;
	t_params(&p);
	p.limits.passive = EXEC_PASSIVE_AUTO;
	p.limits.passive_a = a;
	p.limits.passive_k = 0.5;
	p.limits.passive_lots = 1;
	p.limits.passive_move = m;
	p.limits.passive_horizon_ns = 2000000000ll;
	void *mem = t_block(&p, EPOCH, &size);
	t_start(x, mem, size, &p, h, L(0));
	return mem;
}

/*
 * Book 100x10 / 101x8, a buy IOC at 101 (the far touch).  Joining the bid
 * means waiting for 10 + 1 one-lot orders; in H = 2 s at 10 e^-0.25 per
 * second (A 10, k 0.5, d 0.5) P(Poisson(15.58) >= 11) = 0.907 and the join
 * earns 0.907 (0.2 + 0.5) = 0.63 against -0.3 for crossing with m = 0.2:
 * a DAY limit at 100, cancelled once the market clock passes +2 s.  With
 * A = 1 and m = 5 it crosses: the IOC at 101 as asked.
 */
Test(execsvc, passive_auto_joins_the_touch_and_cancels_at_the_horizon)
{
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	cr_assert(x && h);
	void *mem = t_passive_start(x, h, 10, 0.2);
	t_book(x, 0, "100x10 99x5", "101x8 102x9");
	t_order(x, 10, 42, SIDE_BUY, 101, 1, TIF_IOC);
	uint64_t coid = t_coid(EPOCH, 1);
	cr_assert_eq(h->n_jorder, 1);
	cr_expect_eq(h->jorder[0].px, 100, "joins the bid");
	cr_expect_eq(h->jorder[0].tif, TIF_DAY);
	cr_expect_eq(h->jorder[0].decision_id, 42);
	cr_expect_eq(x->st->passive_by[PASSIVE_JOIN], 1);
	/* acknowledged and resting; nothing trades at 100 */
	t_book(x, 1000, "100x10 99x5", "101x8 102x9");
	t_tick(x, 1000);
	cr_assert_eq(t_last(h, coid)->status, EXEC_ACK);
	t_book(x, 1999999, "100x10 99x5", "101x8 102x9");
	t_tick(x, 1999999);
	cr_expect_eq(x->st->passive_expired, 0, "not before the horizon");
	/* the horizon: cancelled, the venue confirms */
	t_book(x, 2000000, "100x10 99x5", "101x8 102x9");
	t_tick(x, 2000000);
	cr_expect_eq(x->st->passive_expired, 1);
	t_book(x, 2001000, "100x10 99x5", "101x8 102x9");
	t_tick(x, 2001000);
	cr_expect_eq(t_last(h, coid)->status, EXEC_CANCELLED);
	cr_expect_eq(t_last(h, coid)->decision_id, 42);
	/* another joins; sells of 11 at 100 take the 10 ahead and it: filled
	 * before its horizon, only its slot is freed then */
	t_order(x, 2002000, 45, SIDE_BUY, 101, 1, TIF_IOC);
	uint64_t c2 = t_coid(EPOCH, 2);
	cr_expect_eq(h->jorder[1].px, 100);
	t_book(x, 2003000, "100x10 99x5", "101x8 102x9");
	t_trade(x, 2004000, 100, 11, SIDE_SELL);
	t_book(x, 2005000, "99x5", "101x8 102x9");
	t_tick(x, 2005000);
	cr_expect_eq(t_last(h, c2)->status, EXEC_FILLED);
	t_book(x, 4100000, "99x5", "101x8 102x9");
	t_tick(x, 4100000);
	cr_expect_eq(x->st->passive_expired, 1, "a filled order is not cancelled");
	for (uint32_t i = 0; i < EXECSVC_PASSIVE; i++)
		cr_expect_eq(x->st->passive_q[i].coid, 0, "every slot free");
	free(mem);

	/* a strong signal and little flow: it crosses */
	struct execsvc *y = malloc(sizeof(*y));
	struct t_host *g = calloc(1, sizeof(*g));
	cr_assert(y && g);
	mem = t_passive_start(y, g, 1, 5);
	t_book(y, 0, "100x10 99x5", "101x8 102x9");
	t_order(y, 10, 43, SIDE_BUY, 101, 1, TIF_IOC);
	cr_assert_eq(g->n_jorder, 1);
	cr_expect_eq(g->jorder[0].px, 101);
	cr_expect_eq(g->jorder[0].tif, TIF_IOC);
	cr_expect_eq(y->st->passive_by[PASSIVE_CROSS], 1);
	t_book(y, 1000, "100x10 99x5", "101x8 102x9");
	t_tick(y, 1000);
	cr_expect_eq(t_last(g, t_coid(EPOCH, 1))->status, EXEC_FILLED);
	/* a flattening order never rests */
	struct msg_order f = t_ord(44, SIDE_SELL, 100, 1, TIF_IOC);
	f.hdr.flags |= MSG_F_FLATTEN;
	cr_assert_eq(execsvc_on_order(y, &f, 0, L(2000)), 0);
	cr_expect_eq(g->jorder[1].px, 100);
	cr_expect_eq(g->jorder[1].tif, TIF_IOC);
	cr_expect_eq(y->st->passive_by[PASSIVE_CROSS], 1, "not put to the rule");
	free(mem);
	free(g);
	free(y);
	free(h);
	free(x);
}

/* ------------------------------------------------------------ an external venue */

struct t_ext {
	uint64_t sent[16], cancelled[16], overdue[16];
	uint32_t n_sent, n_cancelled, n_overdue;
};

static void x_overdue(void *ctx, const uint64_t *coids, uint32_t n, int64_t now_ns)
{
	struct t_ext *e = ctx;
	(void)now_ns;
	for (uint32_t i = 0; i < n; i++) {
		cr_assert(e->n_overdue < 16);
		e->overdue[e->n_overdue++] = coids[i];
	}
}

static int x_send(void *ctx, const struct msg_order *o, int64_t now_ns)
{
	struct t_ext *e = ctx;
	(void)now_ns;
	cr_assert(e->n_sent < 16);
	e->sent[e->n_sent++] = o->client_order_id;
	return 0;
}

static int x_cancel(void *ctx, uint64_t coid, int64_t now_ns)
{
	struct t_ext *e = ctx;
	(void)now_ns;
	cr_assert(e->n_cancelled < 16);
	e->cancelled[e->n_cancelled++] = coid;
	return 0;
}

/* The terminal's way (venue.kind mt5): orders and cancels go to the host,
 * never to the simulator; the table's venue is down until the adapter
 * reconciles; what the adapter makes the table say is published as the
 * simulator's reports are. */
Test(execsvc, an_external_venue_takes_the_orders_and_the_simulator_none)
{
	struct execsvc_params p;
	struct execsvc *x = malloc(sizeof(*x));
	struct t_host *h = calloc(1, sizeof(*h));
	struct t_ext ext = { 0 };
	cr_assert(x && h);
	size_t size;
	t_params(&p);
	void *mem = t_block(&p, EPOCH, &size);
	struct execsvc_out o = t_out(h);
	cr_assert_eq(execsvc_attach(x, mem, size, &p, &o), 0);
	const struct execsvc_ext e = { .ctx = &ext, .send = x_send, .cancel = x_cancel,
				       .overdue = x_overdue };
	execsvc_set_external(x, &e);
	execsvc_reconcile(x, L(0), NULL);
	struct exec_table *t = execsvc_table(x);
	t_book(x, 0, "100x10 99x5", "101x8 102x9");

	/* the venue is not reachable yet: the vote and the order are refused */
	struct msg_vote_req q;
	memset(&q, 0, sizeof(q));
	q.hdr.type = MSG_VOTE_REQ;
	q.decision_id = 41;
	cr_assert_eq(execsvc_on_vote_req(x, &q, 0, L(1)), 0);
	cr_assert_eq(h->n_vote, 1);
	cr_assert_eq(h->vote[0].reason, VOTE_R_VENUE_DOWN);
	t_order(x, 2, 41, SIDE_BUY, 101, 2, TIF_DAY);
	t_tick(x, 2);
	cr_assert_eq(ext.n_sent, 0);
	cr_assert_eq(t_last(h, 0)->status, EXEC_REJECTED);
	cr_assert_eq(t_last(h, 0)->reason, VOTE_R_VENUE_DOWN);

	/* the adapter reconciled on the venue's word (nothing there): up */
	exec_reconcile_begin(t);
	struct exec_out outs[8];
	while (exec_reconcile_end(t, L(3), outs, 8) > 0)
		;
	exec_set_venue_up(t, 1);
	t_order(x, 4, 42, SIDE_BUY, 101, 2, TIF_DAY);
	t_order(x, 5, 43, SIDE_SELL, 103, 1, TIF_DAY);
	uint64_t c1 = t_coid(EPOCH, 1), c2 = t_coid(EPOCH, 2);
	cr_assert_eq(ext.n_sent, 2);
	cr_assert_eq(ext.sent[0], c1);
	cr_assert_eq(ext.sent[1], c2);
	cr_assert_eq(h->n_jorder, 2, "journaled before they went out");
	cr_assert_eq(h->jorder[0].client_order_id, c1);
	const struct venue *v = execsvc_venue_of(x->st);
	cr_assert_eq(venue_next_arrival_ns(v), INT64_MAX, "the simulator has nothing in flight");

	/* the venue's fill of the first, through the table by the adapter */
	struct exec_report r = { .coid = c1, .venue_order_id = 900, .exec_id = 77, .last_px = 101,
				 .last_qty = 2, .cum_qty = 2, .leaves_qty = 0,
				 .status = EXEC_FILLED };
	struct exec_out out;
	cr_assert_eq(exec_on_report(t, &r, L(6), &out), 0);
	execsvc_ext_forward(x, &out, L(6));
	t_book(x, 7, "100x10 99x5", "101x8 102x9");
	t_tick(x, 7);
	int n;
	int32_t qty;
	int64_t val;
	t_fills(h, c1, &n, &qty, &val);
	cr_assert_eq(n, 1);
	cr_assert_eq(qty, 2);
	cr_assert_eq(val, 2 * 101);
	cr_assert_eq(t_last(h, c1)->decision_id, 42);
	cr_assert_eq(t_last(h, c1)->status, EXEC_FILLED);
	cr_assert_eq(x->st->filled_qty, 2);

	/* cancel all: the open one goes to the venue as a cancel */
	struct msg_cancel k;
	memset(&k, 0, sizeof(k));
	k.hdr.type = MSG_CANCEL;
	cr_assert_eq(execsvc_on_cancel(x, &k, L(8)), 1);
	cr_assert_eq(ext.n_cancelled, 1);
	cr_assert_eq(ext.cancelled[0], c2);
	/* an ack timeout asks nothing of the simulator: the host is told */
	t_tick(x, 1000);
	cr_assert_eq(ext.n_overdue, 0, "not yet past ack_timeout_ms");
	t_tick(x, 5000000);
	cr_assert_eq(ext.n_overdue, 1);
	cr_assert_eq(ext.overdue[0], c2, "the cancel the venue has not answered");
	t_tick(x, 5000001);
	cr_assert_eq(ext.n_overdue, 1, "again only after another timeout");
	cr_assert_eq(venue_totals(execsvc_venue_of(x->st))->fills, 0);
	cr_assert_eq(venue_stats(execsvc_venue_of(x->st))->orders, 0);
	cr_assert_eq(h->errors, 0);
	free(mem);
	free(h);
	free(x);
}
