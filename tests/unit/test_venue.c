/*
 * test_venue.c — the exchange simulator (libcore/venue/venue.h).
 *
 * Hand-worked scenarios: queue position under prints and proportional
 * cancellations, partial fills, an aggressive order walking levels, IOC,
 * FOK, market orders, entry and response latencies, a cancel racing a
 * fill, replace losing priority, fees, no double-dipping of displayed
 * size, trade-through and crossing fills, rejects, cancel-all, the order
 * table; the latency file loader (good and bad lines); then a long random
 * order flow over the synthetic market checked against invariants and a
 * recount of the fill log from the reports, the block's position
 * independence (memcpy mid-stream), two copies kept equal by venue_sync
 * (byte for byte, against a venue never copied, rings wrapping and slots
 * reused; what a sync copies), and no allocation in steady state.
 *
 * Times: T(us) is microseconds after an arbitrary origin.  The test
 * configuration has entry latency 100 us, response 50 us, feed 20 us and
 * a fee of R$ 0.25 a contract (250 000 000 x 10^-9 BRL), so an order sent at T(s)
 * acts at T(s + 100) and its reports arrive 50 us after the venue event.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/market/calendar.h"
#include "libcore/config/config.h"
#include "libcore/gen/gen.h"
#include "libcore/venue/venue.h"
#include "tests/helpers.h"

extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

#define T0 1000000000000ll
#define T(us) (T0 + (int64_t)(us) * 1000)

#define BUY  SIDE_BUY
#define SELL SIDE_SELL

/* ------------------------------------------------------------ helpers */

static void t_cfg(struct venue_cfg *c)
{
	venue_cfg_default(c);
	c->feed_latency_us = 20;
	c->entry_latency_us = 100;
	c->response_latency_us = 50;
	c->fee_per_lot_e6 = 250000;
}

static struct venue *t_new(const struct venue_cfg *c)
{
	char err[256] = "";
	size_t sz = venue_memsize(c);
	cr_assert(sz > sizeof(struct venue));
	struct venue *v = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	cr_assert_not_null(v);
	memset(v, 0xa5, sz); /* init must not depend on zeroed memory */
	cr_assert_eq(venue_init(v, sz, c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(venue_attach(v, sz), 0);
	return v;
}

static struct venue *t_default(void)
{
	struct venue_cfg c;
	t_cfg(&c);
	return t_new(&c);
}

/* "100x10 99x5" -> levels */
static uint16_t t_levels(const char *s, struct book_level *out)
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

static void t_book(struct venue *v, int64_t t, const char *bids, const char *asks)
{
	struct event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_BOOK;
	ev.exch_ns = t;
	ev.recv_ns = t;
	ev.book.n_bid = t_levels(bids, ev.book.bid);
	ev.book.n_ask = t_levels(asks, ev.book.ask);
	cr_assert_eq(venue_on_event(v, &ev), 0);
}

static void t_trade(struct venue *v, int64_t t, int64_t px, int64_t qty, int agg)
{
	struct event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_TRADE;
	ev.exch_ns = t;
	ev.recv_ns = t;
	ev.trade.px = px;
	ev.trade.qty = qty;
	ev.trade.aggressor = (int8_t)agg;
	cr_assert_eq(venue_on_event(v, &ev), 0);
}

static struct msg_order t_ord(uint64_t coid, int side, int64_t px, int32_t qty,
			      int type, int tif)
{
	struct msg_order o;
	memset(&o, 0, sizeof(o));
	o.hdr.type = MSG_ORDER;
	o.hdr.size = sizeof(o);
	o.hdr.ingress_ns = 777;
	o.client_order_id = coid;
	o.px = px;
	o.qty = qty;
	o.side = (int8_t)side;
	o.ord_type = (uint8_t)type;
	o.tif = (uint8_t)tif;
	return o;
}

static void t_send(struct venue *v, int64_t t, uint64_t coid, int side, int64_t px,
		   int32_t qty, int type, int tif)
{
	struct msg_order o = t_ord(coid, side, px, qty, type, tif);
	cr_assert_eq(venue_order_send(v, &o, t), 0);
}

static void t_limit(struct venue *v, int64_t t, uint64_t coid, int side, int64_t px,
		    int32_t qty, int tif)
{
	t_send(v, t, coid, side, px, qty, ORD_LIMIT, tif);
}

static void t_cancel(struct venue *v, int64_t t, uint64_t coid)
{
	struct msg_cancel c;
	memset(&c, 0, sizeof(c));
	c.hdr.type = MSG_CANCEL;
	c.client_order_id = coid;
	cr_assert_eq(venue_cancel_send(v, &c, t), 0);
}

/* Every report due by now (after running arrivals up to now). */
static int t_drain(struct venue *v, int64_t now, struct msg_exec_report *r, int max)
{
	int n = 0;
	cr_assert_eq(venue_advance(v, now), 0);
	while (n < max && venue_poll(v, now, &r[n]) == 1)
		n++;
	return n;
}

static void t_expect(const struct msg_exec_report *r, uint64_t coid, uint8_t status,
		     int64_t px, int32_t last, int32_t cum, int32_t leaves)
{
	cr_assert_eq(r->client_order_id, coid, "coid %llu, want %llu",
		     (unsigned long long)r->client_order_id, (unsigned long long)coid);
	cr_assert_eq(r->status, status, "coid %llu: status %u, want %u",
		     (unsigned long long)coid, r->status, status);
	cr_assert_eq(r->last_px, px, "coid %llu: last_px %lld, want %lld",
		     (unsigned long long)coid, (long long)r->last_px, (long long)px);
	cr_assert_eq(r->last_qty, last, "coid %llu: last_qty %d, want %d",
		     (unsigned long long)coid, r->last_qty, last);
	cr_assert_eq(r->cum_qty, cum, "coid %llu: cum %d, want %d",
		     (unsigned long long)coid, r->cum_qty, cum);
	cr_assert_eq(r->leaves_qty, leaves, "coid %llu: leaves %d, want %d",
		     (unsigned long long)coid, r->leaves_qty, leaves);
	cr_assert_eq(r->hdr.type, MSG_EXEC_REPORT);
	cr_assert_eq(r->hdr.size, sizeof(*r));
}

static struct venue_order_view t_view(const struct venue *v, uint64_t coid)
{
	struct venue_order_view w;
	cr_assert_eq(venue_query(v, coid, &w), 0, "coid %llu unknown",
		     (unsigned long long)coid);
	return w;
}

/* ------------------------------------------------------------ queue */

Test(venue, passive_queue_shrinks_with_prints_then_fills)
{
	struct venue *v = t_default();
	struct msg_exec_report r[8];

	t_book(v, T(0), "100x10 99x5", "101x8");
	t_limit(v, T(0), 1, BUY, 100, 3, TIF_DAY);
	cr_assert_eq(venue_next_arrival_ns(v), T(100));
	cr_assert_eq(t_drain(v, T(149), r, 8), 0, "ACK is due at 100 + 50");
	cr_assert_eq(t_drain(v, T(150), r, 8), 1);
	t_expect(&r[0], 1, EXEC_ACK, 0, 0, 0, 3);
	cr_assert_eq(r[0].venue_ns, T(100));
	cr_assert_eq(r[0].venue_order_id, 1);
	cr_assert_eq(r[0].exec_id, 0);
	cr_assert_eq(r[0].hdr.ingress_ns, 777, "the order's ingress time");
	cr_assert_eq(t_view(v, 1).queue_ahead, 10, "joins behind the 10 shown");

	t_trade(v, T(200), 100, 4, -1);          /* 10 - 4 = 6 ahead */
	cr_assert_eq(t_view(v, 1).queue_ahead, 6);
	t_book(v, T(210), "100x6 99x5", "101x8"); /* explained by the print */
	cr_assert_eq(t_view(v, 1).queue_ahead, 6);
	t_trade(v, T(300), 100, 7, -1);          /* 6 ahead, then 1 to us */
	struct venue_order_view w = t_view(v, 1);
	cr_assert_eq(w.queue_ahead, 0);
	cr_assert_eq(w.cum_qty, 1);
	cr_assert_eq(w.status, EXEC_PARTIAL);
	t_book(v, T(310), "100x2 99x5", "101x8"); /* 2 joined behind us */
	cr_assert_eq(t_view(v, 1).queue_ahead, 0);
	t_trade(v, T(400), 100, 5, -1);          /* our 2 left, first in line */

	cr_assert_eq(t_drain(v, T(450), r, 8), 2);
	t_expect(&r[0], 1, EXEC_PARTIAL, 100, 1, 1, 2);
	cr_assert_eq(r[0].exec_id, 1);
	cr_assert_eq(r[0].venue_ns, T(300));
	cr_assert_eq(r[0].fee_e9, 250000000);     /* R$ 0.25 x 1 */
	t_expect(&r[1], 1, EXEC_FILLED, 100, 2, 3, 0);
	cr_assert_eq(r[1].exec_id, 2);
	cr_assert_eq(r[1].venue_ns, T(400));
	cr_assert_eq(r[1].fee_e9, 500000000);     /* R$ 0.25 x 2 */
	cr_assert_eq(r[1].hdr.ingress_ns, 0, "a fill caused by market data");
	w = t_view(v, 1);
	cr_assert_eq(w.status, EXEC_FILLED);
	cr_assert_eq(w.leaves_qty, 0);
	cr_assert_eq(w.done_ns, T(400));
	cr_assert_eq(w.fill_value, 300);
	free(v);
}

Test(venue, cancellations_ahead_shrink_the_queue_in_proportion)
{
	struct venue *v = t_default();
	struct msg_exec_report r[8];

	t_book(v, T(0), "100x6", "101x5");
	t_limit(v, T(0), 1, BUY, 100, 1, TIF_DAY);
	venue_advance(v, T(100));
	cr_assert_eq(t_view(v, 1).queue_ahead, 6);
	t_book(v, T(110), "100x10", "101x5");    /* 4 joined behind: still 6 */
	cr_assert_eq(t_view(v, 1).queue_ahead, 6);
	t_book(v, T(120), "100x5", "101x5");     /* 5 of 10 cancelled: 6 * 5/10 = 3 of them ahead */
	cr_assert_eq(t_view(v, 1).queue_ahead, 3);
	t_trade(v, T(130), 100, 3, -1);          /* the 3 ahead trade: no fill */
	cr_assert_eq(t_view(v, 1).cum_qty, 0);
	cr_assert_eq(t_view(v, 1).queue_ahead, 0);
	t_trade(v, T(140), 100, 1, -1);
	cr_assert_eq(t_view(v, 1).cum_qty, 1);

	/* fractions are kept: 10 ahead of 20, 5 cancelled -> 7.5 ahead */
	t_book(v, T(200), "99x10", "101x5");
	t_limit(v, T(200), 2, BUY, 99, 1, TIF_DAY);
	venue_advance(v, T(300));
	t_book(v, T(310), "99x20", "101x5");
	t_book(v, T(320), "99x15", "101x5");     /* 10 - 10 * 5/20 = 7.5 */
	cr_assert_eq(t_view(v, 2).queue_ahead, 8, "7.5 shown rounded up");
	t_trade(v, T(330), 99, 7, -1);           /* 0.5 ahead, level 15 - 7 = 8 */
	cr_assert_eq(t_view(v, 2).queue_ahead, 1);
	t_book(v, T(340), "99x4", "101x5");      /* 4 of 8 cancelled: 0.25 ahead */
	cr_assert_eq(t_view(v, 2).queue_ahead, 1);
	t_trade(v, T(350), 99, 1, -1);           /* 0.25 ahead, 0.75 left: no whole contract */
	cr_assert_eq(t_view(v, 2).cum_qty, 0);
	cr_assert_eq(t_view(v, 2).queue_ahead, 0);
	t_trade(v, T(360), 99, 1, -1);
	cr_assert_eq(t_view(v, 2).cum_qty, 1);
	cr_assert_eq(t_view(v, 2).status, EXEC_FILLED);

	int n = t_drain(v, T(1000), r, 8);
	cr_assert_eq(n, 4); /* ACK 1, FILLED 1, ACK 2, FILLED 2 */
	t_expect(&r[1], 1, EXEC_FILLED, 100, 1, 1, 0);
	t_expect(&r[3], 2, EXEC_FILLED, 99, 1, 1, 0);
	free(v);
}

Test(venue, a_level_out_of_view_sets_the_queue_when_it_appears)
{
	struct venue *v = t_default();

	t_book(v, T(0), "100x5 99x5", "101x5");
	t_limit(v, T(0), 1, BUY, 97, 1, TIF_DAY); /* below the last level shown */
	venue_advance(v, T(100));
	cr_assert_eq(t_view(v, 1).queue_ahead, -1);
	t_book(v, T(110), "100x5 99x5 98x1 97x6", "101x5");
	cr_assert_eq(t_view(v, 1).queue_ahead, 6, "all of it counted ahead");
	t_book(v, T(120), "100x5 99x5 98x1 96x2", "101x5"); /* 97 inside, empty */
	cr_assert_eq(t_view(v, 1).queue_ahead, 0);
	free(v);
}

Test(venue, print_through_our_price_fills_everything_left)
{
	struct venue *v = t_default();
	struct msg_exec_report r[8];

	t_book(v, T(0), "100x10", "101x5");
	t_limit(v, T(0), 1, BUY, 100, 2, TIF_DAY);
	t_limit(v, T(1), 2, SELL, 101, 3, TIF_DAY);
	venue_advance(v, T(101));
	cr_assert_eq(t_view(v, 1).queue_ahead, 10);
	cr_assert_eq(t_view(v, 2).queue_ahead, 5);
	t_trade(v, T(200), 99, 1, -1);   /* a seller traded below our bid */
	t_book(v, T(210), "101x2", "102x4"); /* best bid now at our ask */
	int n = t_drain(v, T(300), r, 8);
	cr_assert_eq(n, 4);
	t_expect(&r[2], 1, EXEC_FILLED, 100, 2, 2, 0);
	cr_assert_eq(r[2].venue_ns, T(200));
	t_expect(&r[3], 2, EXEC_FILLED, 101, 3, 3, 0);
	cr_assert_eq(r[3].venue_ns, T(210));
	cr_assert_eq(venue_stats(v)->maker_fills, 2);
	/* resting orders filled later: the reports say maker, acks say nothing */
	cr_assert_eq(r[2].liquidity, MSG_LIQ_MAKER);
	cr_assert_eq(r[3].liquidity, MSG_LIQ_MAKER);
	cr_assert_eq(r[0].liquidity, MSG_LIQ_UNKNOWN);
	free(v);
}

/* ------------------------------------------------------------ aggressive */

Test(venue, aggressive_order_walks_three_levels_at_their_prices)
{
	struct venue *v = t_default();
	struct msg_exec_report r[8];

	t_book(v, T(0), "100x5 99x1 98x4", "101x2 102x3 103x4 104x10");
	t_limit(v, T(0), 1, BUY, 103, 8, TIF_DAY);
	int n = t_drain(v, T(150), r, 8);
	cr_assert_eq(n, 4);
	t_expect(&r[0], 1, EXEC_ACK, 0, 0, 0, 8);
	t_expect(&r[1], 1, EXEC_PARTIAL, 101, 2, 2, 6);
	t_expect(&r[2], 1, EXEC_PARTIAL, 102, 3, 5, 3);
	t_expect(&r[3], 1, EXEC_FILLED, 103, 3, 8, 0);
	cr_assert_eq(r[1].fee_e9, 500000000);     /* R$ 0.25 x 2, 3, 3 */
	cr_assert_eq(r[2].fee_e9, 750000000);
	cr_assert_eq(r[3].fee_e9, 750000000);
	cr_assert_eq(r[0].liquidity, MSG_LIQ_UNKNOWN, "an ack is no fill");
	for (int i = 1; i < 4; i++) {
		cr_assert_eq(r[i].exec_id, (uint64_t)i);
		cr_assert_eq(r[i].venue_ns, T(100));
		cr_assert_eq(r[i].liquidity, MSG_LIQ_TAKER, "walked the book on arrival");
	}
	cr_assert_eq(t_view(v, 1).fill_value, 2 * 101 + 3 * 102 + 3 * 103);

	/* a market sell walks the bids: 5 @ 100, 1 @ 99, 1 @ 98 */
	t_send(v, T(200), 2, SELL, 0, 7, ORD_MARKET, TIF_IOC);
	n = t_drain(v, T(350), r, 8);
	cr_assert_eq(n, 4);
	t_expect(&r[1], 2, EXEC_PARTIAL, 100, 5, 5, 2);
	t_expect(&r[2], 2, EXEC_PARTIAL, 99, 1, 6, 1);
	t_expect(&r[3], 2, EXEC_FILLED, 98, 1, 7, 0);
	cr_assert_eq(venue_stats(v)->taker_fills, 6);
	free(v);
}

Test(venue, partly_filled_day_order_rests_at_the_front)
{
	struct venue *v = t_default();
	struct msg_exec_report r[8];

	t_book(v, T(0), "100x3", "101x4 102x5");
	t_limit(v, T(0), 1, BUY, 101, 10, TIF_DAY);
	venue_advance(v, T(100));
	struct venue_order_view w = t_view(v, 1);
	cr_assert_eq(w.cum_qty, 4);
	cr_assert_eq(w.leaves_qty, 6);
	cr_assert_eq(w.status, EXEC_PARTIAL);
	cr_assert_eq(w.queue_ahead, 0, "a new best bid: nobody ahead");
	t_trade(v, T(200), 101, 2, -1);          /* a seller hits us first */
	cr_assert_eq(t_view(v, 1).cum_qty, 6);
	/* the replay still shows the 4 we took at 101: no fill against them */
	t_book(v, T(210), "100x3", "101x4 102x5");
	cr_assert_eq(t_view(v, 1).cum_qty, 6);
	/* 2 new contracts offered at 101 cross our bid: the rest fills */
	t_book(v, T(220), "100x3", "101x6 102x5");
	cr_assert_eq(t_view(v, 1).cum_qty, 10);
	int n = t_drain(v, T(300), r, 8);
	cr_assert_eq(n, 4);
	t_expect(&r[1], 1, EXEC_PARTIAL, 101, 4, 4, 6);
	t_expect(&r[2], 1, EXEC_PARTIAL, 101, 2, 6, 4);
	t_expect(&r[3], 1, EXEC_FILLED, 101, 4, 10, 0);
	free(v);
}

Test(venue, ioc_remainder_is_cancelled)
{
	struct venue *v = t_default();
	struct msg_exec_report r[8];

	t_book(v, T(0), "100x5", "101x2 102x3 103x7");
	t_limit(v, T(0), 1, BUY, 102, 9, TIF_IOC);
	int n = t_drain(v, T(150), r, 8);
	cr_assert_eq(n, 4);
	t_expect(&r[1], 1, EXEC_PARTIAL, 101, 2, 2, 7);
	t_expect(&r[2], 1, EXEC_PARTIAL, 102, 3, 5, 4);
	t_expect(&r[3], 1, EXEC_CANCELLED, 0, 0, 5, 0);
	cr_assert_eq(r[3].reason, VENUE_R_IOC);
	/* IOC with nothing marketable */
	t_limit(v, T(200), 2, BUY, 100, 1, TIF_IOC);
	n = t_drain(v, T(350), r, 8);
	cr_assert_eq(n, 2);
	t_expect(&r[0], 2, EXEC_ACK, 0, 0, 0, 1);
	t_expect(&r[1], 2, EXEC_CANCELLED, 0, 0, 0, 0);
	/* a market order with DAY behaves as IOC: 7 left at 103 */
	t_send(v, T(400), 3, BUY, 0, 9, ORD_MARKET, TIF_DAY);
	n = t_drain(v, T(550), r, 8);
	cr_assert_eq(n, 3);
	t_expect(&r[1], 3, EXEC_PARTIAL, 103, 7, 7, 2);
	t_expect(&r[2], 3, EXEC_CANCELLED, 0, 0, 7, 0);
	cr_assert_eq(r[2].reason, VENUE_R_IOC);
	cr_assert_eq(t_view(v, 3).status, EXEC_CANCELLED);
	free(v);
}

Test(venue, fok_is_killed_unless_it_fills_completely)
{
	struct venue *v = t_default();
	struct msg_exec_report r[8];

	t_book(v, T(0), "100x5", "101x2 102x3 103x1");
	t_limit(v, T(0), 1, BUY, 102, 6, TIF_FOK); /* only 5 up to 102 */
	int n = t_drain(v, T(150), r, 8);
	cr_assert_eq(n, 2);
	t_expect(&r[0], 1, EXEC_ACK, 0, 0, 0, 6);
	t_expect(&r[1], 1, EXEC_CANCELLED, 0, 0, 0, 0);
	cr_assert_eq(r[1].reason, VENUE_R_FOK);
	cr_assert_eq(venue_fill_count(v), 0);
	t_limit(v, T(200), 2, BUY, 102, 5, TIF_FOK);
	n = t_drain(v, T(350), r, 8);
	cr_assert_eq(n, 3);
	t_expect(&r[1], 2, EXEC_PARTIAL, 101, 2, 2, 3);
	t_expect(&r[2], 2, EXEC_FILLED, 102, 3, 5, 0);
	t_send(v, T(400), 3, BUY, 0, 2, ORD_MARKET, TIF_FOK); /* 1 left at 103 */
	n = t_drain(v, T(550), r, 8);
	cr_assert_eq(n, 2);
	t_expect(&r[1], 3, EXEC_CANCELLED, 0, 0, 0, 0);
	cr_assert_eq(r[1].reason, VENUE_R_FOK);
	free(v);
}

Test(venue, no_double_dipping_of_displayed_size)
{
	struct venue *v = t_default();
	struct msg_exec_report r[16];

	t_book(v, T(0), "100x5", "101x5");
	t_limit(v, T(0), 1, BUY, 101, 3, TIF_IOC);
	t_limit(v, T(1), 2, BUY, 101, 3, TIF_IOC);  /* same book: 2 left */
	venue_advance(v, T(101));
	cr_assert_eq(t_view(v, 1).cum_qty, 3);
	cr_assert_eq(t_view(v, 2).cum_qty, 2);
	/* a new book state that still shows the same 5 at 101 */
	t_book(v, T(110), "100x6", "101x5");
	t_limit(v, T(110), 3, BUY, 101, 3, TIF_IOC);
	venue_advance(v, T(210));
	cr_assert_eq(t_view(v, 3).cum_qty, 0, "the 5 shown were taken already");
	t_book(v, T(220), "100x6", "101x7");       /* 2 new at the back */
	t_limit(v, T(220), 4, BUY, 101, 3, TIF_IOC);
	venue_advance(v, T(320));
	cr_assert_eq(t_view(v, 4).cum_qty, 2);
	t_book(v, T(330), "100x6", "101x1");       /* the level runs down */
	t_limit(v, T(330), 5, BUY, 101, 3, TIF_IOC);
	venue_advance(v, T(430));
	cr_assert_eq(t_view(v, 5).cum_qty, 0);
	t_book(v, T(440), "100x6", "102x9");       /* 101 emptied: forgotten */
	t_book(v, T(450), "100x6", "101x4 102x9"); /* 4 new at 101 */
	t_limit(v, T(450), 6, BUY, 101, 9, TIF_IOC);
	venue_advance(v, T(550));
	cr_assert_eq(t_view(v, 6).cum_qty, 4);

	/* a sell resting at 101 queues behind what is left there (none) */
	t_book(v, T(600), "100x6", "101x4 102x9");
	t_limit(v, T(600), 7, SELL, 102, 1, TIF_DAY);
	t_limit(v, T(601), 8, SELL, 101, 1, TIF_DAY);
	venue_advance(v, T(701));
	cr_assert_eq(t_view(v, 7).queue_ahead, 9);
	cr_assert_eq(t_view(v, 8).queue_ahead, 0, "we took the 4 shown at 101");
	(void)t_drain(v, T(10000), r, 16);
	cr_assert_eq(venue_totals(v)->buy_qty, 3 + 2 + 2 + 4);
	free(v);
}

/* ------------------------------------------------------------ latency */

Test(venue, order_acts_on_the_book_of_its_arrival_not_of_its_send)
{
	struct venue *v = t_default();
	struct msg_exec_report r[8];

	cr_assert_eq(venue_feed_delay(v), 20000);
	t_book(v, T(0), "100x5", "101x5");
	t_limit(v, T(10), 1, BUY, 101, 5, TIF_IOC); /* arrives at 110 */
	t_book(v, T(60), "100x5", "102x5");         /* 101 gone before it arrives */
	int n = t_drain(v, T(160), r, 8);
	cr_assert_eq(n, 2);
	t_expect(&r[1], 1, EXEC_CANCELLED, 0, 0, 0, 0);
	cr_assert_eq(r[1].venue_ns, T(110));

	/* the other way round; and an event stamped at the arrival itself
	 * is part of the book the order sees */
	t_book(v, T(200), "100x5", "103x5");
	t_limit(v, T(210), 2, BUY, 102, 5, TIF_IOC); /* arrives at 310 */
	t_book(v, T(300), "100x5", "103x5");
	t_book(v, T(310), "100x5", "102x4 103x5");
	cr_assert_eq(venue_next_arrival_ns(v), T(310), "not run before its event");
	t_book(v, T(311), "100x5", "103x5");
	n = t_drain(v, T(360), r, 8);
	cr_assert_eq(n, 3);
	t_expect(&r[1], 2, EXEC_PARTIAL, 102, 4, 4, 1);
	cr_assert_eq(r[1].venue_ns, T(310));
	t_expect(&r[2], 2, EXEC_CANCELLED, 0, 0, 4, 0);
	free(v);
}

Test(venue, reports_arrive_after_the_response_latency_in_order)
{
	struct venue *v = t_default();
	struct msg_exec_report r[8];

	t_book(v, T(0), "100x5", "101x5");
	t_limit(v, T(0), 1, BUY, 100, 1, TIF_DAY);
	venue_advance(v, T(100));
	cr_assert_eq(venue_next_report_ns(v), T(150));
	cr_assert_eq(venue_poll(v, T(149), &r[0]), 0);
	t_trade(v, T(120), 100, 6, -1); /* fills at 120, due at 170 */
	cr_assert_eq(venue_poll(v, T(150), &r[0]), 1);
	t_expect(&r[0], 1, EXEC_ACK, 0, 0, 0, 1);
	cr_assert_eq(venue_poll(v, T(169), &r[1]), 0);
	cr_assert_eq(venue_poll(v, T(170), &r[1]), 1);
	t_expect(&r[1], 1, EXEC_FILLED, 100, 1, 1, 0);
	cr_assert_eq(venue_next_report_ns(v), INT64_MAX);
	cr_assert_eq(venue_poll(v, T(100000), &r[2]), 0);
	free(v);
}

Test(venue, latency_file_samples_are_used_in_turn_in_session_order)
{
	struct venue_cfg c;
	struct msg_exec_report r[16];
	char path[128];

	t_tmp_init("venue");
	snprintf(path, sizeof(path), "%s", t_tmp_path("lat.txt"));
	t_write_file(path, "# entry response\n100 10\n\n  300\t20  \n");
	t_cfg(&c);
	snprintf(c.latency_file, sizeof(c.latency_file), "%s", path);
	struct venue *v = t_new(&c);
	cr_assert_eq(v->n_lat, 2);
	t_book(v, T(0), "100x5", "101x5");
	t_limit(v, T(0), 1, BUY, 99, 1, TIF_DAY); /* sample 1: at 100, ack at 110 */
	t_limit(v, T(1), 2, BUY, 99, 1, TIF_DAY); /* sample 2: at 301, ack at 321 */
	t_limit(v, T(2), 3, BUY, 99, 1, TIF_DAY); /* sample 1 again: 102, but not
						   * before 301; ack at 311 -> 321 */
	int n = t_drain(v, T(110), r, 16);
	cr_assert_eq(n, 1);
	cr_assert_eq(r[0].venue_ns, T(100));
	cr_assert_eq(venue_next_arrival_ns(v), T(301));
	n = t_drain(v, T(320), r, 16);
	cr_assert_eq(n, 0);
	cr_assert_eq(venue_poll(v, T(321), &r[0]), 1);
	/* order 3's ACK (due at 301 + 10) is not delivered before order 2's */
	cr_assert_eq(venue_next_report_ns(v), T(321));
	cr_assert_eq(venue_poll(v, T(321), &r[1]), 1);
	t_expect(&r[0], 2, EXEC_ACK, 0, 0, 0, 1);
	t_expect(&r[1], 3, EXEC_ACK, 0, 0, 0, 1);
	cr_assert_eq(r[0].venue_ns, T(301));
	cr_assert_eq(r[1].venue_ns, T(301));
	free(v);
	t_tmp_cleanup();
}

/* ------------------------------------------------------------ cancels */

Test(venue, fill_before_the_cancel_arrives_stands)
{
	struct venue *v = t_default();
	struct msg_exec_report r[8];

	t_book(v, T(0), "99x5", "101x5");
	t_limit(v, T(0), 1, BUY, 100, 2, TIF_DAY); /* new best bid, 0 ahead */
	t_limit(v, T(1), 2, BUY, 100, 2, TIF_DAY); /* behind order 1 only */
	venue_advance(v, T(101));
	t_cancel(v, T(200), 1);                    /* arrives at 300 */
	t_cancel(v, T(201), 2);                    /* arrives at 301 */
	t_trade(v, T(250), 100, 3, -1);            /* 2 to order 1, then 1 to order 2 */
	int n = t_drain(v, T(400), r, 8);
	cr_assert_eq(n, 6);
	t_expect(&r[2], 1, EXEC_FILLED, 100, 2, 2, 0);
	t_expect(&r[3], 2, EXEC_PARTIAL, 100, 1, 1, 1);
	/* order 1 had filled: the cancel is refused, the order unchanged */
	t_expect(&r[4], 1, EXEC_REJECTED, 0, 0, 2, 0);
	cr_assert_eq(r[4].reason, VENUE_R_CXL_TOO_LATE);
	cr_assert(venue_reason_is_cancel_reject(r[4].reason));
	cr_assert_eq(r[4].venue_ns, T(300));
	t_expect(&r[5], 2, EXEC_CANCELLED, 0, 0, 1, 0);
	cr_assert_eq(r[5].reason, VENUE_R_REQUESTED);
	cr_assert_eq(t_view(v, 1).status, EXEC_FILLED);
	cr_assert_eq(t_view(v, 2).status, EXEC_CANCELLED);
	cr_assert_eq(t_view(v, 2).cum_qty, 1);
	/* unknown order */
	t_cancel(v, T(500), 99);
	n = t_drain(v, T(650), r, 8);
	cr_assert_eq(n, 1);
	t_expect(&r[0], 99, EXEC_REJECTED, 0, 0, 0, 0);
	cr_assert_eq(r[0].reason, VENUE_R_CXL_UNKNOWN);
	free(v);
}

Test(venue, cancel_all_cancels_every_open_order_oldest_first)
{
	struct venue *v = t_default();
	struct msg_exec_report r[16];

	t_book(v, T(0), "100x5", "101x5");
	t_limit(v, T(0), 1, BUY, 99, 1, TIF_DAY);
	t_limit(v, T(1), 2, SELL, 102, 1, TIF_DAY);
	t_limit(v, T(2), 3, BUY, 98, 1, TIF_DAY);
	t_limit(v, T(3), 4, BUY, 101, 1, TIF_IOC); /* fills: not open */
	cr_assert_eq(t_drain(v, T(200), r, 16), 5); /* 4 ACKs, 1 fill */
	t_cancel(v, T(300), 0);
	int n = t_drain(v, T(500), r, 16);
	cr_assert_eq(n, 3);
	t_expect(&r[0], 1, EXEC_CANCELLED, 0, 0, 0, 0);
	t_expect(&r[1], 2, EXEC_CANCELLED, 0, 0, 0, 0);
	t_expect(&r[2], 3, EXEC_CANCELLED, 0, 0, 0, 0);
	t_cancel(v, T(600), 0);
	cr_assert_eq(t_drain(v, T(800), r, 16), 0, "nothing open: no report");
	free(v);
}

Test(venue, replace_cancels_the_old_order_and_loses_priority)
{
	struct venue *v = t_default();
	struct msg_exec_report r[16];

	t_book(v, T(0), "100x5", "101x5");
	t_limit(v, T(0), 1, BUY, 100, 1, TIF_DAY);
	venue_advance(v, T(100));
	cr_assert_eq(t_view(v, 1).queue_ahead, 5);
	t_book(v, T(110), "100x8", "101x5");       /* 3 behind us */
	struct msg_order o = t_ord(2, BUY, 100, 1, ORD_LIMIT, TIF_DAY);
	o.replaces = 1;
	cr_assert_eq(venue_order_send(v, &o, T(120)), 0);
	venue_advance(v, T(220));
	cr_assert_eq(t_view(v, 1).status, EXEC_CANCELLED);
	cr_assert_eq(t_view(v, 1).reason, VENUE_R_REPLACED);
	cr_assert_eq(t_view(v, 2).queue_ahead, 8, "back of the queue");
	t_trade(v, T(300), 100, 6, -1);            /* would have filled order 1 */
	cr_assert_eq(t_view(v, 2).cum_qty, 0);
	cr_assert_eq(t_view(v, 2).queue_ahead, 2);
	int n = t_drain(v, T(1000), r, 16);
	cr_assert_eq(n, 3);
	t_expect(&r[1], 1, EXEC_CANCELLED, 0, 0, 0, 0);
	t_expect(&r[2], 2, EXEC_ACK, 0, 0, 0, 1);

	/* replacing an order that filled meanwhile: refused, nothing added */
	t_trade(v, T(1100), 100, 5, -1);           /* fills order 2 */
	o = t_ord(3, BUY, 100, 1, ORD_LIMIT, TIF_DAY);
	o.replaces = 2;
	cr_assert_eq(venue_order_send(v, &o, T(1050)), 0); /* arrives 1150 */
	n = t_drain(v, T(2000), r, 16);
	cr_assert_eq(n, 2);
	t_expect(&r[0], 2, EXEC_FILLED, 100, 1, 1, 0);
	t_expect(&r[1], 3, EXEC_REJECTED, 0, 0, 0, 0);
	cr_assert_eq(r[1].reason, VENUE_R_REPLACE_TARGET);
	cr_assert_eq(venue_totals(v)->buy_qty, 1);

	/* a replacement sent after its cancel was confirmed enters as new */
	t_limit(v, T(3000), 4, BUY, 99, 1, TIF_DAY);
	t_cancel(v, T(3001), 4);
	o = t_ord(5, BUY, 99, 2, ORD_LIMIT, TIF_DAY);
	o.replaces = 4;
	cr_assert_eq(venue_order_send(v, &o, T(3200)), 0);
	n = t_drain(v, T(4000), r, 16);
	cr_assert_eq(n, 3);
	t_expect(&r[1], 4, EXEC_CANCELLED, 0, 0, 0, 0);
	t_expect(&r[2], 5, EXEC_ACK, 0, 0, 0, 2);
	free(v);
}

/* ------------------------------------------------------------ fees */

Test(venue, fees_on_each_fill)
{
	struct venue_cfg c;
	struct msg_exec_report r[8];

	venue_cfg_default(&c);
	cr_assert_eq(c.fee_per_lot_e6, 256100, "R$ 1.97 x 0.2 x 0.65");
	c.entry_latency_us = 100;
	c.response_latency_us = 50;
	struct venue *v = t_new(&c);
	t_book(v, T(0), "100x5", "101x1 102x3 103x2");
	t_limit(v, T(0), 1, BUY, 103, 6, TIF_DAY);
	int n = t_drain(v, T(1000), r, 8);
	cr_assert_eq(n, 4);
	/* BRL x 10^9, exact: R$ 0.2561 x 1, x 3, x 2 */
	cr_assert_eq(r[1].fee_e9, 256100000);
	cr_assert_eq(r[2].fee_e9, 768300000);
	cr_assert_eq(r[3].fee_e9, 512200000);
	cr_assert_eq(venue_totals(v)->fee_e9, 256100000 + 768300000 + 512200000);
	cr_assert_eq(t_view(v, 1).fee_e9, 256100000 + 768300000 + 512200000);
	free(v);

	c.fee_per_lot_e6 = 1;      /* 0.000001 a lot: 1000 x 10^-9, no rounding */
	v = t_new(&c);
	t_book(v, T(0), "100x5", "101x1");
	t_limit(v, T(0), 1, BUY, 101, 1, TIF_IOC);
	n = t_drain(v, T(1000), r, 8);
	cr_assert_eq(r[1].fee_e9, 1000);
	free(v);
}

/* ------------------------------------------------------------ rejects */

Test(venue, bad_orders_are_rejected_with_a_reason)
{
	struct venue *v = t_default();
	struct msg_exec_report r[16];
	struct {
		struct msg_order o;
		uint16_t why;
	} rows[] = {
		{ t_ord(1, 0, 100, 1, ORD_LIMIT, TIF_DAY), VENUE_R_BAD_SIDE },
		{ t_ord(2, BUY, 100, 0, ORD_LIMIT, TIF_DAY), VENUE_R_BAD_QTY },
		{ t_ord(3, BUY, 0, 1, ORD_LIMIT, TIF_DAY), VENUE_R_BAD_PRICE },
		{ t_ord(4, BUY, 100, 1, 9, TIF_DAY), VENUE_R_BAD_TYPE },
		{ t_ord(5, BUY, 100, 1, ORD_LIMIT, 7), VENUE_R_BAD_TIF },
		{ t_ord(6, BUY, 100, 1, ORD_LIMIT, TIF_DAY), VENUE_R_INSTRUMENT },
		{ t_ord(0, BUY, 100, 1, ORD_LIMIT, TIF_DAY), VENUE_R_BAD_ID },
		{ t_ord(8, BUY, 100, 1, ORD_LIMIT, TIF_DAY), 0 },
		{ t_ord(8, BUY, 100, 1, ORD_LIMIT, TIF_DAY), VENUE_R_BAD_ID },
	};
	const int n_rows = sizeof(rows) / sizeof(rows[0]);
	rows[5].o.instrument = 3;

	/* before any book: no market */
	t_limit(v, T(0), 50, BUY, 100, 1, TIF_DAY);
	int n = t_drain(v, T(150), r, 16);
	cr_assert_eq(n, 1);
	t_expect(&r[0], 50, EXEC_REJECTED, 0, 0, 0, 0);
	cr_assert_eq(r[0].reason, VENUE_R_NO_BOOK);

	t_book(v, T(200), "100x5", "101x5");
	for (int i = 0; i < n_rows; i++)
		cr_assert_eq(venue_order_send(v, &rows[i].o, T(200 + i)), 0);
	n = t_drain(v, T(1000), r, 16);
	cr_assert_eq(n, n_rows);
	for (int i = 0; i < n_rows; i++) {
		uint8_t want = rows[i].why ? EXEC_REJECTED : EXEC_ACK;
		cr_assert_eq(r[i].status, want, "row %d", i);
		cr_assert_eq(r[i].reason, rows[i].why, "row %d: %s", i,
			     venue_reason_name(r[i].reason));
	}
	cr_assert_eq(t_view(v, 3).status, EXEC_REJECTED);
	cr_assert_eq(t_view(v, 3).reason, VENUE_R_BAD_PRICE);
	cr_assert_eq(t_view(v, 8).status, EXEC_ACK, "the duplicate left it alone");
	cr_assert_str_eq(venue_reason_name(VENUE_R_FOK), "fok");
	cr_assert_str_eq(venue_reason_name(12345), "?");
	free(v);
}

Test(venue, full_table_refuses_and_reuses_the_oldest_finished_slot)
{
	struct venue_cfg c;
	struct msg_exec_report r[16];

	t_cfg(&c);
	c.max_orders = 2;
	struct venue *v = t_new(&c);
	t_book(v, T(0), "100x5", "101x5");
	t_limit(v, T(0), 1, BUY, 99, 1, TIF_DAY);
	t_limit(v, T(1), 2, BUY, 98, 1, TIF_DAY);
	t_limit(v, T(2), 3, BUY, 97, 1, TIF_DAY);
	int n = t_drain(v, T(500), r, 16);
	cr_assert_eq(n, 3);
	t_expect(&r[2], 3, EXEC_REJECTED, 0, 0, 0, 0);
	cr_assert_eq(r[2].reason, VENUE_R_TABLE_FULL);
	struct venue_order_view w;
	cr_assert_eq(venue_query(v, 3, &w), -DM_ENOTFOUND);
	t_cancel(v, T(600), 2);
	t_cancel(v, T(601), 1);
	t_limit(v, T(602), 4, BUY, 99, 1, TIF_DAY); /* takes order 2's slot */
	n = t_drain(v, T(1000), r, 16);
	cr_assert_eq(n, 3);
	cr_assert_eq(venue_query(v, 2, &w), -DM_ENOTFOUND);
	cr_assert_eq(t_view(v, 1).status, EXEC_CANCELLED);
	cr_assert_eq(t_view(v, 4).status, EXEC_ACK);
	/* iteration sees exactly the two orders held */
	uint32_t cur = 0;
	uint64_t seen = 0;
	int k = 0;
	while (venue_order_next(v, &cur, &w) == 1) {
		seen |= 1ull << w.client_order_id;
		k++;
	}
	cr_assert_eq(k, 2);
	cr_assert_eq(seen, (1ull << 1) | (1ull << 4));
	free(v);
}

Test(venue, full_pending_queue_refuses_the_send)
{
	struct venue_cfg c;

	t_cfg(&c);
	c.max_pending = 2;
	struct venue *v = t_new(&c);
	t_book(v, T(0), "100x5", "101x5");
	t_limit(v, T(0), 1, BUY, 99, 1, TIF_DAY);
	t_limit(v, T(0), 2, BUY, 99, 1, TIF_DAY);
	struct msg_order o = t_ord(3, BUY, 99, 1, ORD_LIMIT, TIF_DAY);
	cr_assert_eq(venue_order_send(v, &o, T(0)), -DM_EFULL);
	cr_assert_eq(venue_stats(v)->send_refused, 1);
	venue_advance(v, T(100));
	cr_assert_eq(venue_order_send(v, &o, T(100)), 0);
	free(v);
}

Test(venue, full_report_queue_drops_and_says_so)
{
	struct venue_cfg c;
	struct msg_exec_report r;

	t_cfg(&c);
	c.max_reports = 2;
	struct venue *v = t_new(&c);
	t_book(v, T(0), "100x5", "101x1 102x1 103x1");
	t_limit(v, T(0), 1, BUY, 103, 3, TIF_DAY); /* ACK + 3 fills: 2 fit */
	cr_assert_eq(venue_advance(v, T(100)), -DM_EFULL);
	cr_assert_eq(venue_stats(v)->reports_dropped, 2);
	cr_assert_eq(venue_fill_count(v), 3, "the fills happened all the same");
	cr_assert_eq(t_view(v, 1).status, EXEC_FILLED);
	int n = 0;
	while (venue_poll(v, T(1000), &r) == 1)
		n++;
	cr_assert_eq(n, 2);
	free(v);
}

/* ------------------------------------------------------------ config */

Test(venue, config_checks_name_the_field)
{
	struct venue_cfg c;
	char err[256];

	venue_cfg_default(&c);
	cr_assert_eq(c.feed_latency_us, 200);
	cr_assert_eq(c.entry_latency_us, 300);
	cr_assert_eq(c.response_latency_us, 300);
	cr_assert_eq(venue_cfg_check(&c, err, sizeof(err)), 0);
	c.max_orders = 0;
	cr_assert_eq(venue_cfg_check(&c, err, sizeof(err)), -DM_ECONFIG);
	cr_assert(strstr(err, "venue.max_orders"), "%s", err);
	cr_assert_eq(venue_memsize(&c), 0);
	venue_cfg_default(&c);
	c.fee_per_lot_e6 = -1;
	cr_assert_eq(venue_cfg_check(&c, err, sizeof(err)), -DM_ECONFIG);
	cr_assert(strstr(err, "fee_per_lot_e6"), "%s", err);
	c.fee_per_lot_e6 = 1000000001;   /* above 1000 a lot */
	cr_assert_eq(venue_cfg_check(&c, err, sizeof(err)), -DM_ECONFIG);

	venue_cfg_default(&c);
	size_t sz = venue_memsize(&c);
	void *m = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	cr_assert_eq(venue_init(m, sz - 1, &c, err, sizeof(err)), -DM_ESIZE);
	cr_assert_eq(venue_init(m, sz, &c, err, sizeof(err)), 0);
	cr_assert_eq(venue_attach(m, sz - 1), -DM_ESIZE);
	((struct venue *)m)->version = 99;
	cr_assert_eq(venue_attach(m, sz), -DM_EVERSION);
	((struct venue *)m)->magic = 0;
	cr_assert_eq(venue_attach(m, sz), -DM_EMAGIC);
	free(m);
}

/* ------------------------------------------------------------ latency file */

Test(venue, latency_loader_reads_good_lines)
{
	struct venue_lat s[8];
	uint32_t n = 0;
	char err[256] = "";

	t_tmp_init("venue");
	const char *p = t_tmp_path("good.txt");
	t_write_file(p, "# measured\n12 34\n\n\t5  6\r\n  # indented comment\n"
			"0 4294967295\n7 8");
	cr_assert_eq(venue_lat_parse(p, s, 8, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 4);
	cr_assert_eq(s[0].entry_us, 12);
	cr_assert_eq(s[0].response_us, 34);
	cr_assert_eq(s[1].entry_us, 5);
	cr_assert_eq(s[1].response_us, 6);
	cr_assert_eq(s[2].response_us, 4294967295u);
	cr_assert_eq(s[3].entry_us, 7, "last line without a newline");
	cr_assert_eq(s[3].response_us, 8);
	t_tmp_cleanup();
}

Test(venue, latency_loader_names_file_line_and_field)
{
	struct venue_lat s[2];
	uint32_t n = 0;
	char err[256];
	const struct {
		const char *text, *want;
	} rows[] = {
		{ "10 20\n100\n",              ":2: response_us: missing" },
		{ "abc 5\n",                   ":1: entry_us: not a number" },
		{ "1 2\n\n1 2 3\n",            ":3: response_us: extra text after it" },
		{ "-5 3\n",                    ":1: entry_us" },
		{ "1 -3\n",                    ":1: response_us" },
		{ "4294967296 1\n",            ":1: entry_us: value too large" },
		{ "1 2\n1 2\n1 2\n",           ":3: more than 2 samples" },
		{ "# nothing\n\n",             ": no latency samples" },
		{ "1.5 2\n",                   ":1: entry_us: not a number" },
	};

	t_tmp_init("venue");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char name[32], want[128];
		snprintf(name, sizeof(name), "bad%zu.txt", i);
		const char *p = t_tmp_path(name);
		t_write_file(p, rows[i].text);
		err[0] = 0;
		cr_assert_eq(venue_lat_parse(p, s, 2, &n, err, sizeof(err)), -DM_ECONFIG,
			     "row %zu", i);
		snprintf(want, sizeof(want), "%s%s", p, rows[i].want);
		cr_assert(strstr(err, want), "row %zu: '%s' lacks '%s'", i, err, want);
	}
	const char *missing = t_tmp_path("missing.txt");
	cr_assert_eq(venue_lat_parse(missing, s, 2, &n, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "cannot open"), "%s", err);

	/* venue_init passes the loader's error through and leaves no venue */
	struct venue_cfg c;
	t_cfg(&c);
	snprintf(c.latency_file, sizeof(c.latency_file), "%s", t_tmp_path("bad1.txt"));
	size_t sz = venue_memsize(&c);
	struct venue *v = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	cr_assert_eq(venue_init(v, sz, &c, err, sizeof(err)), -DM_ECONFIG);
	cr_assert(strstr(err, "bad1.txt:1: entry_us"), "%s", err);
	cr_assert_eq(venue_attach(v, sz), -DM_EMAGIC);
	free(v);
	t_tmp_cleanup();
}

/* ------------------------------------------------------------ random flow */

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

/* What the test knows of one order, from its reports only. */
struct t_ord_state {
	int32_t qty, cum;
	int64_t px;
	int8_t  side;
	uint8_t type, final, acked;
};

#define T_MAX_COID 200000

struct t_flow {
	struct t_rng rng;
	struct t_ord_state *o;  /* [coid] */
	uint64_t next_coid;
	uint64_t last_exec;
	int64_t  last_deliver, last_venue_ns;
	struct venue_totals sum; /* recomputed from the reports */
	uint64_t reports;
	int      by_parts;       /* books through venue_on_book (2: sorted
				  * when book_levels_sorted says so) */
};

static void t_flow_check(struct venue *v, struct t_flow *f, const struct msg_exec_report *r)
{
	struct t_ord_state *s = &f->o[r->client_order_id];
	f->reports++;
	cr_assert(r->venue_ns >= f->last_venue_ns, "venue time went back");
	f->last_venue_ns = r->venue_ns;
	if (r->exec_id) {
		cr_assert_eq(r->exec_id, f->last_exec + 1, "exec ids 1, 2, 3...");
		f->last_exec = r->exec_id;
		cr_assert(r->status == EXEC_PARTIAL || r->status == EXEC_FILLED);
		cr_assert(r->last_qty > 0);
		cr_assert_eq(r->cum_qty, s->cum + r->last_qty);
		cr_assert_eq(r->cum_qty + r->leaves_qty, s->qty);
		cr_assert_eq(r->status == EXEC_FILLED, r->leaves_qty == 0);
		cr_assert(!s->final, "fill after the end");
		cr_assert(s->acked, "fill before the ack");
		if (s->type == ORD_LIMIT)
			cr_assert(s->side > 0 ? r->last_px <= s->px : r->last_px >= s->px,
				  "fill at %lld beyond the limit %lld",
				  (long long)r->last_px, (long long)s->px);
		s->cum = r->cum_qty;
		/* the fill log says the same */
		struct venue_fill fl;
		cr_assert_eq(venue_fill_get(v, r->exec_id - 1, &fl), 0);
		cr_assert_eq(fl.exec_id, r->exec_id);
		cr_assert_eq(fl.client_order_id, r->client_order_id);
		cr_assert_eq(fl.venue_order_id, r->venue_order_id);
		cr_assert_eq(fl.px, r->last_px);
		cr_assert_eq(fl.qty, r->last_qty);
		cr_assert_eq(fl.side, r->side);
		cr_assert_eq(fl.fee_e9, r->fee_e9);
		cr_assert_eq(fl.venue_ns, r->venue_ns);
		cr_assert_eq(r->fee_e9, (int64_t)r->last_qty * 250000000);  /* R$ 0.25 a lot */
		f->sum.fills++;
		if (r->side > 0) {
			f->sum.buy_qty += r->last_qty;
			f->sum.buy_value += r->last_px * r->last_qty;
		} else {
			f->sum.sell_qty += r->last_qty;
			f->sum.sell_value += r->last_px * r->last_qty;
		}
		f->sum.fee_e9 += r->fee_e9;
		if (r->status == EXEC_FILLED)
			s->final = 1;
		return;
	}
	switch (r->status) {
	case EXEC_ACK:
		cr_assert(!s->acked && !s->final);
		s->acked = 1;
		cr_assert_eq(r->leaves_qty, s->qty);
		break;
	case EXEC_CANCELLED:
		cr_assert(s->acked && !s->final);
		cr_assert_eq(r->cum_qty, s->cum);
		cr_assert_eq(r->leaves_qty, 0);
		s->final = 1;
		break;
	case EXEC_REJECTED:
		if (venue_reason_is_cancel_reject(r->reason)) {
			cr_assert(r->reason != VENUE_R_CXL_TOO_LATE || s->final);
		} else {
			cr_assert(!s->acked && !s->final, "reason %u", r->reason);
			s->final = 1;
		}
		break;
	default:
		cr_assert_fail("status %u", r->status);
	}
}

/* Random orders, cancels, replaces and cancel-alls around the touch of
 * the synthetic market; every report checked as it comes. */
static void t_flow_run(struct venue *v, struct t_flow *f, const struct event *evs,
		       size_t n_ev)
{
	struct msg_exec_report r;
	for (size_t i = 0; i < n_ev; i++) {
		const struct event *ev = &evs[i];
		if (f->by_parts && ev->kind == EV_BOOK)
			cr_assert_eq(venue_on_book(v, ev->instrument, ev->exch_ns, ev->recv_ns,
						   ev->book.bid, ev->book.n_bid, ev->book.ask,
						   ev->book.n_ask, f->by_parts == 2 &&
						   book_levels_sorted(BOOK_BID, ev->book.bid,
								      ev->book.n_bid) &&
						   book_levels_sorted(BOOK_ASK, ev->book.ask,
								      ev->book.n_ask)), 0);
		else
			cr_assert_eq(venue_on_event(v, ev), 0);
		while (venue_poll(v, ev->exch_ns, &r) == 1)
			t_flow_check(v, f, &r);
		if (ev->kind != EV_BOOK || !ev->book.n_bid || !ev->book.n_ask ||
		    t_rng_below(&f->rng, 4))
			continue;
		int64_t now = ev->exch_ns + venue_feed_delay(v);
		uint64_t dice = t_rng_below(&f->rng, 100);
		if (dice < 10 && f->next_coid > 1) {
			struct msg_cancel c;
			memset(&c, 0, sizeof(c));
			c.client_order_id = dice < 1 ? 0 :
				1 + t_rng_below(&f->rng, f->next_coid - 1);
			(void)venue_cancel_send(v, &c, now);
			continue;
		}
		if (f->next_coid >= T_MAX_COID)
			continue;
		int side = t_rng_below(&f->rng, 2) ? BUY : SELL;
		int64_t ref = side > 0 ? ev->book.bid[0].px : ev->book.ask[0].px;
		int64_t px = ref + side * ((int64_t)t_rng_below(&f->rng, 7) - 4);
		int type = t_rng_below(&f->rng, 10) ? ORD_LIMIT : ORD_MARKET;
		int tif = (int)t_rng_below(&f->rng, 3);
		int32_t qty = 1 + (int32_t)t_rng_below(&f->rng, 5);
		uint64_t coid = f->next_coid;
		struct msg_order o = t_ord(coid, side, px, qty, type, tif);
		if (dice < 15 && coid > 1)
			o.replaces = coid - 1;
		if (venue_order_send(v, &o, now) == 0) {
			struct t_ord_state *s = &f->o[coid];
			s->qty = qty;
			s->px = px;
			s->side = (int8_t)side;
			s->type = (uint8_t)type;
			f->next_coid++;
		}
	}
}

static void t_flow_init(struct t_flow *f, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	t_rng_seed(&f->rng, seed);
	f->o = calloc(T_MAX_COID + 1, sizeof(*f->o));
	cr_assert_not_null(f->o);
	f->next_coid = 1;
}

static struct event *t_events(uint64_t seed, size_t n)
{
	struct event *ev = malloc(n * sizeof(*ev));
	cr_assert_not_null(ev);
	t_gen_start(&t_g, seed);
	for (size_t i = 0; i < n; i++)
		gen_next(&t_g, &ev[i]);
	return ev;
}

Test(venue, random_flow_keeps_reports_fill_log_and_totals_consistent)
{
	struct venue_cfg c;
	struct t_flow f;
	struct msg_exec_report r;
	const size_t n_ev = T_SANITIZED ? 60000 : 300000;
	struct event *ev = t_events(11, n_ev);

	t_cfg(&c);
	c.max_fills = 1u << 16;
	struct venue *v = t_new(&c);
	t_flow_init(&f, 5);
	t_flow_run(v, &f, ev, n_ev);
	int64_t end = ev[n_ev - 1].exch_ns + 1000000000ll;
	cr_assert_eq(venue_advance(v, end), 0);
	while (venue_poll(v, end + 1000000000ll, &r) == 1)
		t_flow_check(v, &f, &r);

	const struct venue_totals *tot = venue_totals(v);
	cr_assert(tot->fills > 1000, "only %llu fills", (unsigned long long)tot->fills);
	cr_assert_eq(tot->fills, f.sum.fills);
	cr_assert_eq(tot->fills, venue_fill_count(v));
	cr_assert_eq(tot->buy_qty, f.sum.buy_qty);
	cr_assert_eq(tot->sell_qty, f.sum.sell_qty);
	cr_assert_eq(tot->buy_value, f.sum.buy_value);
	cr_assert_eq(tot->sell_value, f.sum.sell_value);
	cr_assert_eq(tot->fee_e9, f.sum.fee_e9);
	cr_assert_eq(venue_stats(v)->reports_dropped, 0);
	/* every order the venue still holds agrees with its reports */
	uint32_t cur = 0;
	struct venue_order_view w;
	int open = 0;
	while (venue_order_next(v, &cur, &w) == 1) {
		const struct t_ord_state *s = &f.o[w.client_order_id];
		cr_assert_eq(w.cum_qty, s->cum);
		if (w.status == EXEC_ACK || w.status == EXEC_PARTIAL) {
			cr_assert(!s->final);
			cr_assert_eq(w.leaves_qty, s->qty - s->cum);
			open++;
		} else {
			cr_assert(s->final);
		}
	}
	cr_assert_eq((uint32_t)open, v->n_open);
	free(f.o);
	free(v);
	free(ev);
}

Test(venue, block_is_position_independent)
{
	struct venue_cfg c;
	struct t_flow fa, fb;
	const size_t n_ev = 40000;
	struct event *ev = t_events(21, n_ev);

	t_cfg(&c);
	struct venue *a = t_new(&c);
	size_t sz = venue_memsize(&c);
	struct venue *b = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	cr_assert_not_null(b);
	t_flow_init(&fa, 9);
	t_flow_run(a, &fa, ev, n_ev / 2);
	/* a process "restarts": the block moves, the driver goes on */
	memcpy(b, a, sz);
	cr_assert_eq(venue_attach(b, sz), 0);
	fb = fa;
	fb.o = calloc(T_MAX_COID + 1, sizeof(*fb.o));
	cr_assert_not_null(fb.o);
	memcpy(fb.o, fa.o, (T_MAX_COID + 1) * sizeof(*fb.o));
	t_flow_run(a, &fa, ev + n_ev / 2, n_ev - n_ev / 2);
	t_flow_run(b, &fb, ev + n_ev / 2, n_ev - n_ev / 2);
	cr_assert_eq(fa.reports, fb.reports);
	cr_assert(fa.last_exec > 10);
	cr_assert(memcmp(venue_totals(a), venue_totals(b), sizeof(struct venue_totals)) == 0);
	cr_assert(memcmp(a, b, sz) == 0, "the two blocks diverged");
	free(fa.o);
	free(fb.o);
	free(a);
	free(b);
	free(ev);
}

Test(venue, book_by_parts_steps_as_the_book_event)
{
	struct venue_cfg c;
	struct t_flow fa, fb;
	const size_t n_ev = 40000;
	struct event *ev = t_events(23, n_ev);

	t_cfg(&c);
	struct venue *a = t_new(&c);
	size_t sz = venue_memsize(&c);
	/* an event of another instrument is counted and ignored either way */
	ev[100].instrument = 3;
	t_flow_init(&fa, 13);
	t_flow_run(a, &fa, ev, n_ev);
	cr_assert(fa.last_exec > 10, "the flow filled orders");
	for (int by = 1; by <= 2; by++) {
		struct venue *b = t_new(&c); /* made as a was, byte for byte */
		t_flow_init(&fb, 13);
		fb.by_parts = by;
		t_flow_run(b, &fb, ev, n_ev);
		cr_assert_eq(fa.reports, fb.reports, "by parts %d", by);
		cr_assert_eq(venue_stats(b)->foreign_events, 1);
		cr_assert(memcmp(a, b, sz) == 0, "by parts %d: the two venues diverged", by);
		free(fb.o);
		free(b);
	}
	free(fa.o);
	free(a);
	free(ev);
}

Test(venue, steady_state_allocates_nothing)
{
#if T_SANITIZED
	cr_skip_test("sanitizer build: its allocator replaces jemalloc");
#endif
	if (!mallctl)
		cr_skip_test("jemalloc is not linked");
	struct venue_cfg c;
	struct t_flow f;
	const size_t n_ev = 200000;
	struct event *ev = t_events(31, n_ev);
	uint64_t a0, a1, d0, d1;
	size_t sz = sizeof(a0);

	t_cfg(&c);
	c.max_fills = 64; /* the log wraps: still nothing allocated */
	struct venue *v = t_new(&c);
	t_flow_init(&f, 13);
	t_flow_run(v, &f, ev, 10000);
	cr_assert_eq(mallctl("thread.allocated", &a0, &sz, NULL, 0), 0);
	cr_assert_eq(mallctl("thread.deallocated", &d0, &sz, NULL, 0), 0);
	t_flow_run(v, &f, ev + 10000, n_ev - 10000);
	cr_assert_eq(mallctl("thread.allocated", &a1, &sz, NULL, 0), 0);
	cr_assert_eq(mallctl("thread.deallocated", &d1, &sz, NULL, 0), 0);
	cr_assert_eq(a1 - a0, 0, "%llu bytes allocated", (unsigned long long)(a1 - a0));
	cr_assert_eq(d1 - d0, 0);
	cr_assert(venue_fill_count(v) > 64);
	struct venue_fill fl;
	cr_assert_eq(venue_fill_get(v, 0, &fl), -ERANGE, "overwritten");
	cr_assert_eq(venue_fill_get(v, venue_fill_count(v), &fl), -DM_ENOTFOUND);
	cr_assert_eq(venue_fill_get(v, venue_fill_count(v) - 1, &fl), 0);
	cr_assert_eq(fl.exec_id, venue_fill_count(v));
	free(f.o);
	free(v);
	free(ev);
}

/* ------------------------------------------------------------ copies */

/*
 * Two copies driven the way the execution service drives them: each event
 * either runs in place on the current copy, or brings the other copy up
 * (venue_sync), runs there and makes it current.  A third venue takes
 * every event in place.  After every sync the two copies are equal byte
 * for byte, and after every event the current copy equals the venue that
 * was never copied.  Returns the bytes the syncs copied; *syncs their
 * number.
 */
static size_t t_pair_run(const struct venue_cfg *c, uint64_t seed, size_t n_ev, uint64_t *syncs)
{
	struct t_flow fr, fp;
	struct event *ev = t_events(seed, n_ev);
	struct venue *ref = t_new(c);
	struct venue *cp[2] = { t_new(c), NULL };
	size_t sz = venue_memsize(c);
	cp[1] = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	cr_assert_not_null(cp[1]);
	memset(cp[1], 0x3c, sz);
	cr_assert_eq(venue_copy(cp[1], cp[0]), sz);
	cr_assert(memcmp(cp[0], cp[1], sz) == 0);
	t_flow_init(&fr, seed + 1);
	t_flow_init(&fp, seed + 1);
	struct t_rng dice;
	t_rng_seed(&dice, seed + 2);
	uint32_t cur = 0;
	size_t bytes = 0;
	*syncs = 0;
	for (size_t i = 0; i < n_ev; i++) {
		t_flow_run(ref, &fr, &ev[i], 1);
		uint64_t d = t_rng_below(&dice, 4);
		if (d == 0) {
			t_flow_run(cp[cur], &fp, &ev[i], 1); /* in place */
		} else {
			size_t n = venue_sync(cp[cur ^ 1], cp[cur]);
			cr_assert(n >= sizeof(struct venue) && n <= sz, "%zu bytes", n);
			cr_assert(memcmp(cp[0], cp[1], sz) == 0, "event %zu: the synced copy differs",
				  i);
			bytes += n;
			++*syncs;
			t_flow_run(cp[cur ^ 1], &fp, &ev[i], 1);
			cur ^= 1;
		}
		cr_assert(memcmp(cp[cur], ref, sz) == 0, "event %zu: the copies left the venue", i);
	}
	cr_assert_eq(fr.reports, fp.reports);
	cr_assert(fr.last_exec > 50, "the flow filled orders (%llu)",
		  (unsigned long long)fr.last_exec);
	free(fr.o);
	free(fp.o);
	free(ref);
	free(cp[0]);
	free(cp[1]);
	free(ev);
	return bytes;
}

Test(venue, sync_keeps_a_second_copy_equal_byte_for_byte)
{
	struct venue_cfg c;
	uint64_t syncs;
	const size_t n_ev = T_SANITIZED ? 8000 : 40000;

	t_cfg(&c);
	size_t bytes = t_pair_run(&c, 41, n_ev, &syncs);
	/* the header (about 2 KB) and the few records a step writes, not the
	 * 118 KB of the block */
	cr_assert(syncs > n_ev / 2);
	cr_assert_lt(bytes / syncs, venue_memsize(&c) / 20, "%zu bytes a sync", bytes / syncs);
}

Test(venue, sync_keeps_a_second_copy_equal_when_rings_wrap_and_slots_are_reused)
{
	struct venue_cfg c;
	uint64_t syncs;

	t_cfg(&c);
	c.max_orders = 6;   /* full table: rejects, then the oldest finished slot reused */
	c.max_pending = 4;  /* sends refused */
	c.max_reports = 40;
	c.max_fills = 8;    /* the fill log wraps within a sync */
	t_pair_run(&c, 43, T_SANITIZED ? 8000 : 40000, &syncs);
	cr_assert(syncs > 0);
}

Test(venue, sync_copies_the_header_and_the_records_that_changed)
{
	struct venue_cfg c;
	t_cfg(&c);
	c.max_fills = 4;
	struct venue *a = t_new(&c);
	size_t sz = venue_memsize(&c);
	struct venue *b = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	cr_assert_not_null(b);
	cr_assert_eq(venue_copy(b, a), sz);

	/* nothing open, nothing queued: a book moves the header only */
	t_book(a, T(0), "100x10", "102x10");
	cr_assert_eq(venue_sync(b, a), sizeof(struct venue));
	cr_assert_eq(venue_sync(b, a), sizeof(struct venue), "nothing new: the header again");

	/* one resting order: its slot each step; two: two slots.  The step of
	 * its arrival also holds its ack (a report), the send its pending
	 * message. */
	t_limit(a, T(0), 1, BUY, 99, 1, TIF_DAY);
	size_t pend = venue_sync(b, a) - sizeof(struct venue);
	cr_assert_gt(pend, 0);
	t_book(a, T(200), "100x10", "102x10"); /* arrives at T(100), rests */
	size_t arrival = venue_sync(b, a) - sizeof(struct venue);
	t_book(a, T(300), "100x11", "102x10");
	size_t slot = venue_sync(b, a) - sizeof(struct venue);
	cr_assert_gt(slot, 0);
	cr_assert_gt(arrival, slot, "the slot and the ack");
	t_limit(a, T(300), 2, BUY, 98, 1, TIF_DAY);
	cr_assert_eq(venue_sync(b, a) - sizeof(struct venue), pend + slot);
	t_book(a, T(500), "100x10", "102x10");
	cr_assert_eq(venue_sync(b, a) - sizeof(struct venue), arrival + slot);
	t_book(a, T(600), "100x12", "102x10");
	cr_assert_eq(venue_sync(b, a) - sizeof(struct venue), 2 * slot);
	cr_assert(memcmp(a, b, sz) == 0);

	/* six fills into a log of four: the whole log once, not six entries
	 * (nothing left open, so that only the new records count) */
	struct msg_exec_report r[32];
	t_cancel(a, T(700), 0);
	t_drain(a, T(1000), r, 32);
	venue_sync(b, a);
	for (int k = 0; k < 6; k++)
		t_limit(a, T(1000 + k), 10 + (uint64_t)k, SELL, 100, 1, TIF_IOC);
	t_drain(a, T(2000), r, 32);
	cr_assert_eq(venue_fill_count(a), 6);
	size_t fills6 = venue_sync(b, a);
	cr_assert(memcmp(a, b, sz) == 0);
	/* the same six sends and fills again, synced after each fill: every
	 * sync holds the header, and together they copy 6 fills, not 4 */
	size_t sum = 0;
	for (int k = 0; k < 6; k++) {
		t_limit(a, T(3000 + k * 1000), 20 + (uint64_t)k, SELL, 100, 1, TIF_IOC);
		t_drain(a, T(3000 + k * 1000 + 200), r, 32);
		sum += venue_sync(b, a) - sizeof(struct venue);
	}
	cr_assert_eq(venue_fill_count(a), 12, "%llu fills", (unsigned long long)venue_fill_count(a));
	cr_assert_eq(sum - (fills6 - sizeof(struct venue)),
		     2 * sizeof(struct venue_fill), "six fills apart cost two fills more "
		     "than the four the log keeps");
	cr_assert(memcmp(a, b, sz) == 0);
	free(a);
	free(b);
}

Test(venue, sync_copies_whole_what_cannot_be_an_earlier_state)
{
	struct venue_cfg c;
	t_cfg(&c);
	struct venue *a = t_new(&c);
	size_t sz = venue_memsize(&c);
	struct venue *b = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	cr_assert_not_null(b);

	/* garbage: no venue there */
	memset(b, 0x5a, sz);
	t_book(a, T(0), "100x10", "102x10");
	cr_assert_eq(venue_sync(b, a), sz);
	cr_assert(memcmp(a, b, sz) == 0);

	/* a later state, not an earlier one: b has a fill a has not */
	t_limit(b, T(0), 1, BUY, 102, 1, TIF_IOC);
	struct msg_exec_report r[8];
	t_drain(b, T(500), r, 8);
	cr_assert_eq(venue_fill_count(b), 1);
	cr_assert_eq(venue_sync(b, a), sz);
	cr_assert(memcmp(a, b, sz) == 0);
	cr_assert_eq(venue_fill_count(b), 0);
	free(a);
	free(b);
}
