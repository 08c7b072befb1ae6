/*
 * test_mt5_live.c — the MetaTrader 5 bridge live: DreamMaker's end
 * (libcore/mt5/mt5_link) against the fake terminal (dm-fake-mt5) over
 * loopback, with and without each fault; the conversions (mt5_md), the
 * clock-offset estimator and reconciliation (mt5_recon) against
 * hand-worked values.
 *
 * The expected values are independent of the code under test: the market
 * events are those of replaying the same journal directly; the fills are
 * the fake terminal's own log (--fill-log) and its final position
 * (--state), which it keeps from its venue simulator, not from what it
 * sent.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libcore/feed/feed.h"
#include "libcore/mt5/mt5_lat.h"
#include "libcore/mt5/mt5_link.h"
#include "libcore/mt5/mt5_md.h"
#include "libcore/mt5/mt5_recon.h"
#include "libcore/mt5/mt5_venue.h"
#include "libcore/exec/exec.h"
#include "libcore/vote/vote.h"
#include "libcore/replay/replay.h"
#include "libcore/venue/venue.h"
#include "tests/helpers.h"

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------ conversions */

static const struct mt5_sym WIN = { .tick_pts = 5, .server_time_offset_s = -10800 };

Test(mt5_md, book_round_trip_and_mt5_order)
{
	struct event ev, back;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_BOOK;
	ev.exch_ns = 1641211200123000000ll;
	ev.book.n_bid = 2;
	ev.book.n_ask = 3;
	ev.book.bid[0] = (struct book_level){ 25999, 10 };
	ev.book.bid[1] = (struct book_level){ 25998, 11 };
	ev.book.ask[0] = (struct book_level){ 26001, 12 };
	ev.book.ask[1] = (struct book_level){ 26002, 13 };
	ev.book.ask[2] = (struct book_level){ 26004, 1 };
	struct mt5_book b;
	cr_assert_eq(mt5_book_from_event(&b, &ev, &WIN, 7, 99), 0);
	cr_assert_eq(b.n_levels, 5);
	/* MarketBookGet's order, highest price first: 26004 ask ... 25998 bid,
	 * in points (x 5) */
	cr_expect_eq(b.levels[0].price, 130020);
	cr_expect_eq(b.levels[0].side, MT5_BOOK_SIDE_ASK);
	cr_expect_eq(b.levels[2].price, 130005);
	cr_expect_eq(b.levels[3].price, 129995);
	cr_expect_eq(b.levels[3].side, MT5_BOOK_SIDE_BID);
	cr_expect_eq(b.levels[4].volume, 11);
	/* 12:00:00.123 UTC is 09:00:00.123 on a UTC-3 server */
	cr_expect_eq(b.time_msc, 1641211200123ll - 10800000);
	cr_assert_eq(mt5_event_from_book(&back, &b, &WIN, 5), 0);
	cr_expect_eq(back.exch_ns, ev.exch_ns);
	cr_expect_eq(back.book.n_bid, 2);
	cr_expect_eq(back.book.n_ask, 3);
	cr_expect_eq(memcmp(back.book.bid, ev.book.bid, sizeof(ev.book.bid)), 0);
	cr_expect_eq(memcmp(back.book.ask, ev.book.ask, sizeof(ev.book.ask)), 0);
	/* a price off the tick grid is refused */
	b.levels[1].price += 1;
	cr_expect_eq(mt5_event_from_book(&back, &b, &WIN, 5), -MT5_EVALUE);
}

Test(mt5_md, tick_is_a_print_only_with_last_and_volume)
{
	struct event ev, back;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_TRADE;
	ev.exch_ns = 1641211200001000000ll;
	ev.trade.px = 26000;
	ev.trade.qty = 3;
	ev.trade.aggressor = -1;
	struct mt5_tick t;
	cr_assert_eq(mt5_tick_from_trade(&t, &ev, &WIN, 25999, 26001, 1, 0), 0);
	cr_expect_eq(t.last, 130000);
	cr_expect_eq(t.bid, 129995);
	cr_expect_eq(t.flags, MT5_TICK_LAST | MT5_TICK_VOLUME | MT5_TICK_SELL | MT5_TICK_BID |
		     MT5_TICK_ASK);
	cr_assert_eq(mt5_event_from_tick(&back, &t, &WIN, 0), 1);
	cr_expect_eq(back.trade.px, 26000);
	cr_expect_eq(back.trade.qty, 3);
	cr_expect_eq(back.trade.aggressor, -1);
	cr_expect_eq(back.exch_ns, ev.exch_ns);
	t.flags = MT5_TICK_BID | MT5_TICK_ASK;
	cr_expect_eq(mt5_event_from_tick(&back, &t, &WIN, 0), 0);
}

Test(mt5_md, venue_refusals_map_to_mt5_retcodes)
{
	/* the numbers of the MQL5 reference, "Return Codes of the Trade Server" */
	cr_expect_eq(mt5_retcode_of_reason(VENUE_R_BAD_QTY), 10014);
	cr_expect_eq(mt5_retcode_of_reason(VENUE_R_BAD_PRICE), 10015);
	cr_expect_eq(mt5_retcode_of_reason(VENUE_R_NO_BOOK), 10021);
	cr_expect_eq(mt5_retcode_of_reason(VENUE_R_BAD_TIF), 10013);
	cr_expect_eq(mt5_retcode_of_reason(VENUE_R_CXL_TOO_LATE), 10006);
	cr_expect_str_eq(mt5_retcode_name(10009), "DONE");
	cr_expect_str_eq(mt5_retcode_name(10019), "NO_MONEY");
	cr_expect_null(mt5_retcode_name(12345));
}

Test(mt5_md, orders_cross_the_bridge_and_back)
{
	struct msg_order o, back;
	memset(&o, 0, sizeof(o));
	o.client_order_id = (7ull << 40) | 3;
	o.side = SIDE_SELL;
	o.ord_type = ORD_LIMIT;
	o.tif = TIF_IOC;
	o.px = 26001;
	o.qty = 2;
	struct mt5_new_order n;
	cr_assert_eq(mt5_new_order_from_msg(&n, &o, &WIN, 42), 0);
	cr_expect_eq(n.price, 130005);
	cr_expect_eq(n.volume_e8, 200000000);
	cr_expect_eq(n.filling, MT5_FILLING_IOC);
	cr_expect_eq(n.side, MT5_SIDE_SELL);
	cr_assert_eq(mt5_msg_from_new_order(&back, &n, &WIN), 0);
	cr_expect_eq(back.px, o.px);
	cr_expect_eq(back.qty, o.qty);
	cr_expect_eq(back.side, o.side);
	cr_expect_eq(back.tif, o.tif);
	cr_expect_eq(back.client_order_id, o.client_order_id);
	n.kind = MT5_KIND_STOP;
	cr_expect_eq(mt5_msg_from_new_order(&back, &n, &WIN), -MT5_EVALUE);
}

/*
 * The venue simulator's reports for an order that takes two levels, as
 * the fake terminal's TRADE and back as the execution service's reports:
 * the same statuses, quantities and prices; the deal ticket stands for
 * the exec id, the order ticket for the venue order id.
 */
Test(mt5_md, venue_reports_cross_as_trades_and_back)
{
	struct venue_cfg vc;
	venue_cfg_default(&vc);
	size_t sz = venue_memsize(&vc);
	struct venue *v = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	char err[256];
	cr_assert_eq(venue_init(v, sz, &vc, err, sizeof(err)), 0, "%s", err);
	struct event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_BOOK;
	ev.exch_ns = 1641211200000000000ll;
	ev.book.n_bid = ev.book.n_ask = 2;
	ev.book.bid[0] = (struct book_level){ 25999, 5 };
	ev.book.bid[1] = (struct book_level){ 25998, 5 };
	ev.book.ask[0] = (struct book_level){ 26001, 2 };
	ev.book.ask[1] = (struct book_level){ 26002, 4 };
	cr_assert_eq(venue_on_event(v, &ev), 0);
	struct msg_order o;
	memset(&o, 0, sizeof(o));
	o.client_order_id = 77;
	o.side = SIDE_BUY;
	o.ord_type = ORD_LIMIT;
	o.tif = TIF_IOC;
	o.px = 26002;
	o.qty = 5;
	cr_assert_eq(venue_order_send(v, &o, ev.exch_ns), 0);
	cr_assert_eq(venue_advance(v, ev.exch_ns + 10000000), 0);
	struct msg_exec_report r, back;
	uint32_t statuses[8], n = 0;
	int64_t cum_seen = 0;
	while (venue_poll(v, ev.exch_ns + 10000000, &r) == 1 && n < 8) {
		struct venue_order_view ov;
		cr_assert_eq(venue_query(v, r.client_order_id, &ov), 0);
		struct mt5_trade t;
		cr_assert_eq(mt5_trade_from_report(&t, &r, &ov, &WIN, 1000, 2000), 0);
		cr_assert_eq(mt5_report_from_trade(&back, &t, &WIN), 1);
		cr_expect_eq(back.status, r.status);
		cr_expect_eq(back.client_order_id, 77);
		cr_expect_eq(back.venue_order_id, r.venue_order_id + 1000);
		cr_expect_eq(back.cum_qty, r.cum_qty);
		cr_expect_eq(back.leaves_qty, r.leaves_qty);
		cr_expect_eq(back.side, SIDE_BUY);
		cr_expect_eq(back.venue_ns / 1000000, r.venue_ns / 1000000);
		if (r.status == EXEC_PARTIAL || r.status == EXEC_FILLED) {
			cr_expect_eq(back.exec_id, r.exec_id + 2000);
			cr_expect_eq(back.last_px, r.last_px);
			cr_expect_eq(back.last_qty, r.last_qty);
			cum_seen += back.last_qty;
		}
		if (r.status == EXEC_CANCELLED)
			cr_expect_eq(back.reason, VENUE_R_REQUESTED);
		statuses[n++] = r.status;
	}
	/* ack, then 2 at 26001 and 3 at 26002: all 5 fill */
	cr_assert_geq(n, 3);
	cr_expect_eq(statuses[0], EXEC_ACK);
	cr_expect_eq(cum_seen, 5);
	/* a refusal by the trade server keeps its meaning */
	struct mt5_trade t;
	memset(&t, 0, sizeof(t));
	t.coid = 78;
	t.event = MT5_EVENT_REJECTED;
	t.side = MT5_SIDE_ANY_SELL;
	t.retcode = MT5_RC_NO_MONEY;
	cr_assert_eq(mt5_report_from_trade(&back, &t, &WIN), 1);
	cr_expect_eq(back.status, EXEC_REJECTED);
	cr_expect_eq(back.reason, VENUE_R_BROKER);
	t.retcode = MT5_RC_INVALID_VOLUME;
	cr_assert_eq(mt5_report_from_trade(&back, &t, &WIN), 1);
	cr_expect_eq(back.reason, VENUE_R_BAD_QTY);
	t.coid = 0; /* not ours: no report */
	cr_expect_eq(mt5_report_from_trade(&back, &t, &WIN), 0);
	free(v);
}

/* ------------------------------------------------------------ the clock */

Test(mt5_clock, bounds_from_both_directions_give_the_offset)
{
	struct mt5_clock c;
	int64_t off, err;
	mt5_clock_init(&c);
	/* true offset 1000000 us (ea = dm + 1 s); way there 40 us, back 60 us */
	cr_expect_eq(mt5_clock_offset(&c, &off, &err), 0);
	mt5_clock_rx(&c, 1000000 + 5000, 5000 + 60);      /* lo = 999940 */
	cr_expect_eq(mt5_clock_offset(&c, &off, &err), 0);
	mt5_clock_echo(&c, 1000000 + 7000 + 40, 7000);    /* hi = 1000040 */
	cr_assert_eq(mt5_clock_offset(&c, &off, &err), 1);
	cr_expect_eq(off, 999990);
	cr_expect_eq(err, 50);
	/* a slower sample changes nothing; a faster one narrows */
	mt5_clock_rx(&c, 1000000 + 8000, 8000 + 500);
	mt5_clock_echo(&c, 1000000 + 9000 + 10, 9000);    /* hi = 1000010 */
	cr_assert_eq(mt5_clock_offset(&c, &off, &err), 1);
	cr_expect_eq(off, 999975);
	cr_expect_eq(err, 35);
	/* the EA's clock jumps 1 s ahead: the bounds cross, the estimate
	 * starts over */
	mt5_clock_rx(&c, 2000000 + 10000, 10000 + 60);
	cr_expect_eq(c.resets, 1);
	mt5_clock_echo(&c, 2000000 + 11000 + 40, 11000);
	cr_assert_eq(mt5_clock_offset(&c, &off, &err), 1);
	cr_expect_eq(off, 1999990);
}

/* ------------------------------------------------------------ reconciliation */

static void snap_order(struct mt5_link_snap *s, uint64_t coid, uint64_t ticket, uint8_t side,
		       int64_t qty, int64_t leaves)
{
	struct mt5_order *o = &s->ord[s->n_orders++];
	memset(o, 0, sizeof(*o));
	o->coid = coid;
	o->ticket = ticket;
	o->side = side;
	o->volume_initial_e8 = qty * 100000000;
	o->volume_current_e8 = leaves * 100000000;
}

Test(mt5_recon, plan_keys_on_the_client_order_id)
{
	static struct mt5_link_snap s;
	static struct mt5_recon_plan p;
	memset(&s, 0, sizeof(s));
	/* the terminal: long 3; order 11 open with 2 of 5 left, order 12 open
	 * untouched, order 99 we never sent, a manual order (coid 0) */
	s.n_positions = 1;
	s.pos[0].side = MT5_SIDE_BUY;
	s.pos[0].volume_e8 = 300000000;
	snap_order(&s, 11, 1011, MT5_SIDE_BUY, 5, 2);
	snap_order(&s, 12, 1012, MT5_SIDE_SELL, 1, 1);
	snap_order(&s, 99, 1099, MT5_SIDE_SELL, 1, 1);
	snap_order(&s, 0, 1100, MT5_SIDE_BUY, 1, 1);
	/* us: flat; 11 open with 1 of 5 filled; 12 open; 13 open (gone at the
	 * terminal); 14 ended for us but... not at the terminal either */
	struct mt5_recon_ours ours[] = {
		{ .coid = 11, .qty = 5, .cum = 1, .side = SIDE_BUY, .open = 1 },
		{ .coid = 12, .qty = 1, .cum = 0, .side = SIDE_SELL, .open = 1 },
		{ .coid = 13, .qty = 2, .cum = 0, .side = SIDE_BUY, .open = 1 },
		{ .coid = 14, .qty = 1, .cum = 1, .side = SIDE_BUY, .open = 0 },
	};
	cr_assert_eq(mt5_recon_plan(&s, ours, 4, 1, &p), 0);
	cr_expect_eq(p.terminal_pos, 3);
	/* 11: 4 leaves for us, 2 at the terminal: 2 bought unseen */
	cr_expect_eq(p.n_missed, 1);
	cr_expect_eq(p.missed_pos, 2);
	cr_expect_eq(p.n_keep, 1);          /* 12 */
	cr_expect_eq(p.n_ended, 1);         /* 13 */
	cr_expect_eq(p.n_cancel, 2);        /* 99 and the manual one */
	/* 3 at the terminal - 1 ours - 2 missed: nothing left to explain */
	cr_expect_eq(p.unexplained, 0);
	int saw_13 = 0, saw_manual = 0;
	for (uint32_t i = 0; i < p.n; i++) {
		if (p.it[i].coid == 13) {
			saw_13 = 1;
			cr_expect_eq(p.it[i].action, MT5_RECON_ENDED);
			cr_expect_eq(p.it[i].qty, 2);
		}
		if (p.it[i].ticket == 1100) {
			saw_manual = 1;
			cr_expect_eq(p.it[i].action, MT5_RECON_CANCEL);
		}
	}
	cr_expect(saw_13 && saw_manual);
}

Test(mt5_recon, a_snapshot_covers_the_reports_before_it)
{
	struct mt5_recon_pos r;
	static struct mt5_link_snap s;
	memset(&s, 0, sizeof(s));
	mt5_recon_pos_init(&r);
	cr_expect_eq(mt5_recon_pos_fill(&r, 7, 1, 2), 1);
	cr_expect_eq(mt5_recon_pos_fill(&r, 7, 2, -1), 1);
	cr_expect_eq(r.pos, 1);
	/* the snapshot includes reports up to 5 (3..5 not yet received: a gap) */
	s.last_seq = 5;
	s.n_positions = 1;
	s.pos[0].side = MT5_SIDE_SELL;
	s.pos[0].volume_e8 = 400000000;
	mt5_recon_pos_snapshot(&r, 7, &s);
	cr_expect_eq(r.pos, -4);
	/* the gap filled: 3..5 are in the snapshot already; 6 is new */
	cr_expect_eq(mt5_recon_pos_fill(&r, 7, 4, -5), 0);
	cr_expect_eq(mt5_recon_pos_fill(&r, 7, 6, 1), 1);
	cr_expect_eq(r.pos, -3);
	/* the terminal restarted: its new stream is not covered */
	cr_expect_eq(mt5_recon_pos_fill(&r, 8, 1, 1), 1);
	cr_expect_eq(r.pos, -2);
}

/* ------------------------------------------------------------ live: link vs fake */

#define EV_MAX_KEEP 8192

struct live {
	int lfd, cfd;
	uint16_t port;
	pid_t pid;
	int status;
	struct mt5_key key;
	struct mt5_link *l;
	/* what arrived */
	struct event *ev;
	uint32_t n_ev;
	uint32_t ups, downs;
	uint64_t results_ok, results_refused;
	uint64_t deals[4096];
	uint32_t n_deals;
	int64_t fill_pos;            /* signed contracts from every fill received */
	struct mt5_recon_pos rp;     /* the reconciled position */
	uint64_t snaps;
	int64_t best_bid, best_ask;
	/* orders */
	uint64_t coid_next;
	uint32_t n_sent;
	uint64_t trades_placed, trades_rejected;
	uint32_t last_reject_rc;
	/* latencies */
	struct mt5_lat lat;
	FILE *lat_f;
	uint32_t n_lat;
	int64_t ra[1024];            /* receipt -> ack of each record */
	/* the order table behind the mt5 venue (venue mode) */
	int use_venue;
	struct mt5_venue *v;
	struct exec_table *t;
	struct exec_cfg ecfg;
	uint64_t refused_down, refused_other, table_fills, decisions;
	uint64_t down_halted, down_open;  /* passes with the link down: orders
	                                   * refused / accepted by the table */
	uint64_t sent_after_reconnect;
	int64_t table_pos;
};

static void cb_md(void *ctx, const struct event *ev, uint64_t ea)
{
	(void)ea;
	struct live *L = ctx;
	if (L->n_ev < EV_MAX_KEEP)
		L->ev[L->n_ev] = *ev;
	L->n_ev++;
	if (ev->kind == EV_BOOK && ev->book.n_bid && ev->book.n_ask) {
		L->best_bid = ev->book.bid[0].px;
		L->best_ask = ev->book.ask[0].px;
	}
}

static void cb_trade(void *ctx, const struct mt5_trade *t, uint64_t seq, uint64_t recv_us)
{
	struct live *L = ctx;
	struct mt5_lat_rec lr;
	if (L->use_venue)
		mt5_venue_on_trade(L->v, t, recv_us, mono_ns(), NULL, NULL);
	if (mt5_lat_trade(&L->lat, t, recv_us, &L->l->clock, &lr) == 1) {
		if (L->n_lat < 1024)
			L->ra[L->n_lat] = lr.receipt_ack_us;
		L->n_lat++;
		if (L->lat_f) {
			char line[512];
			cr_assert_gt(mt5_lat_format(&lr, line, sizeof(line)), 0);
			fputs(line, L->lat_f);
		}
	}
	if (t->event == MT5_EVENT_PLACED)
		L->trades_placed++;
	if (t->event == MT5_EVENT_REJECTED) {
		L->trades_rejected++;
		L->last_reject_rc = t->retcode;
	}
	if (t->event != MT5_EVENT_PARTIAL && t->event != MT5_EVENT_FILLED)
		return;
	for (uint32_t i = 0; i < L->n_deals; i++)
		cr_assert_neq(L->deals[i], t->deal, "deal %llu delivered twice",
			      (unsigned long long)t->deal);
	if (L->n_deals < 4096)
		L->deals[L->n_deals++] = t->deal;
	int64_t q = t->volume_e8 / 100000000;
	q = t->side == MT5_SIDE_ANY_BUY ? q : -q;
	L->fill_pos += q;
	mt5_recon_pos_fill(&L->rp, L->l->ea_stream_id, seq, q);
}

static void cb_result(void *ctx, const struct mt5_order_result *r, uint64_t recv_us)
{
	(void)recv_us;
	struct live *L = ctx;
	mt5_lat_result(&L->lat, r);
	if (L->use_venue)
		mt5_venue_on_result(L->v, r, mono_ns());
	if (r->accepted)
		L->results_ok++;
	else
		L->results_refused++;
}

static void cb_snap(void *ctx, const struct mt5_link_snap *s)
{
	struct live *L = ctx;
	L->snaps++;
	mt5_recon_pos_snapshot(&L->rp, L->l->ea_stream_id, s);
	if (L->use_venue)
		mt5_venue_on_snapshot(L->v, s, mono_ns());
}

static void cb_state(void *ctx, int up, const char *why)
{
	(void)why;
	struct live *L = ctx;
	if (L->use_venue)
		mt5_venue_on_state(L->v, up, mono_ns());
	if (up)
		L->ups++;
	else
		L->downs++;
}

static void write_secret(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
	cr_assert_eq(write(fd, hex, strlen(hex)), (ssize_t)strlen(hex));
	close(fd);
}

static void live_listen(struct live *L)
{
	L->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	cr_assert(L->lfd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(bind(L->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(L->lfd, 4), 0);
	socklen_t sl = sizeof(a);
	getsockname(L->lfd, (struct sockaddr *)&a, &sl);
	L->port = ntohs(a.sin_port);
	L->cfd = -1;
}

static struct live *live_new(int64_t hb_ms, int64_t hb_timeout_ms)
{
	struct live *L = calloc(1, sizeof(*L));
	cr_assert_not_null(L);
	L->ev = calloc(EV_MAX_KEEP, sizeof(*L->ev));
	L->l = malloc(sizeof(*L->l));
	cr_assert(L->ev && L->l);
	t_tmp_init("mt5live");
	write_secret(t_tmp_path("secret"));
	char err[256];
	cr_assert_eq(mt5_key_load(&L->key, t_tmp_path("secret"), err, sizeof(err)), 0, "%s", err);
	struct mt5_link_cfg c = {
		.key = &L->key, .symbol = "WIN",
		.hb_interval_ns = hb_ms * 1000000, .hb_timeout_ns = hb_timeout_ms * 1000000,
		.handshake_timeout_ns = 2000000000ll, .reconnect_min_ns = 50000000,
		.reconnect_max_ns = 200000000,
	};
	struct mt5_link_out o = { .ctx = L, .md = cb_md, .trade = cb_trade, .result = cb_result,
				  .snapshot = cb_snap, .state = cb_state };
	cr_assert_eq(mt5_link_init(L->l, &c, &o, 0x1234567ull), 0);
	mt5_recon_pos_init(&L->rp);
	mt5_lat_init(&L->lat);
	L->coid_next = (3ull << 40) | 1;
	live_listen(L);
	return L;
}

static void live_free(struct live *L)
{
	if (L->pid > 0 && waitpid(L->pid, &L->status, WNOHANG) == 0) {
		kill(L->pid, SIGKILL);
		waitpid(L->pid, &L->status, 0);
	}
	if (L->cfd >= 0)
		close(L->cfd);
	close(L->lfd);
	free(L->ev);
	free(L->l);
	free(L);
	t_tmp_cleanup();
}

/* Start dm-fake-mt5 with the journal and extra arguments (NULL-ended). */
static void live_spawn(struct live *L, const char *journal, const char *const *extra)
{
	char port[64], bin[512];
	snprintf(port, sizeof(port), "127.0.0.1:%u", L->port);
	snprintf(bin, sizeof(bin), "%s/dm-fake-mt5", t_bin_dir());
	const char *argv[64];
	int n = 0;
	argv[n++] = bin;
	argv[n++] = "--connect"; argv[n++] = port;
	argv[n++] = "--secret"; argv[n++] = t_tmp_path("secret");
	argv[n++] = "--input"; argv[n++] = journal;
	argv[n++] = "--fill-log"; argv[n++] = t_tmp_path("fills.csv");
	argv[n++] = "--state"; argv[n++] = t_tmp_path("fake.state");
	argv[n++] = "--quiet";
	for (int i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	L->pid = fork();
	cr_assert(L->pid >= 0);
	if (L->pid == 0) {
		/* a test that dies takes its terminal with it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
}

static void live_close_conn(struct live *L, const char *why)
{
	if (L->cfd >= 0)
		close(L->cfd);
	L->cfd = -1;
	mt5_link_disconnect(L->l, why);
}

/* Drive the link until the fake exits (or timeout_ms); an order every
 * order_every market events once a book is known (0: none). */
static void live_run(struct live *L, int timeout_ms, uint32_t order_every)
{
	int64_t end = mono_ns() + (int64_t)timeout_ms * 1000000;
	uint32_t next_order_at = order_every;
	for (;;) {
		int64_t now = mono_ns();
		cr_assert(now < end, "the fake terminal did not finish within %d ms", timeout_ms);
		if (waitpid(L->pid, &L->status, WNOHANG) == L->pid)
			break;
		if (L->cfd < 0) {
			struct sockaddr_storage peer;
			socklen_t pl = sizeof(peer);
			int fd = accept4(L->lfd, (struct sockaddr *)&peer, &pl,
					 SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd >= 0) {
				uint8_t nonce[MT5_NONCE_LEN];
				cr_assert_eq(getrandom(nonce, sizeof(nonce), 0), (ssize_t)sizeof(nonce));
				cr_assert_eq(mt5_link_connect(L->l, nonce, now), 0);
				L->cfd = fd;
			}
		}
		if (L->cfd >= 0) {
			for (;;) {
				uint32_t room;
				uint8_t *p = mt5_link_space(L->l, &room);
				ssize_t n = recv(L->cfd, p, room, 0);
				if (n > 0) {
					mt5_link_commit(L->l, (uint32_t)n, mono_ns(), wall_ns());
					continue;
				}
				if (n == 0 || (errno != EAGAIN && errno != EINTR))
					live_close_conn(L, "the terminal closed");
				break;
			}
		}
		if (L->cfd >= 0 && order_every && mt5_link_up(L->l) && L->best_bid &&
		    L->n_ev >= next_order_at) {
			next_order_at += order_every;
			/* marketable: a buy at the ask, a sell at the bid, alternately */
			struct mt5_new_order o;
			memset(&o, 0, sizeof(o));
			o.coid = L->coid_next++;
			o.side = L->n_sent % 2 ? MT5_SIDE_SELL : MT5_SIDE_BUY;
			o.kind = MT5_KIND_LIMIT;
			o.filling = MT5_FILLING_IOC;
			o.volume_e8 = (int64_t)(1 + L->n_sent % 3) * 100000000;
			o.price = (o.side == MT5_SIDE_BUY ? L->best_ask : L->best_bid) * 5;
			o.dm_us = (uint64_t)(now / 1000);
			if (L->use_venue) {
				/* through the order table, as the execution service does */
				uint64_t coid;
				L->decisions++;
				int r = exec_new_order(L->t, &L->ecfg, L->decisions,
						       o.side == MT5_SIDE_BUY ? SIDE_BUY : SIDE_SELL,
						       (int32_t)(o.volume_e8 / 100000000), o.price / 5,
						       ORD_LIMIT, TIF_IOC, now, &coid);
				if (r != 0) {
					if (r == VOTE_R_VENUE_DOWN || r == VOTE_R_RECONCILING)
						L->refused_down++;
					else
						L->refused_other++;
				} else {
					cr_assert_eq(exec_sent(L->t, coid, now), 0);
					cr_assert_eq(mt5_venue_send(L->v, coid, 0, now), 0);
					L->n_sent++;
					if (L->ups >= 2)
						L->sent_after_reconnect++;
				}
			} else {
				cr_assert(mt5_link_send_order(L->l, &o, now) > 0);
				mt5_lat_sent(&L->lat, o.coid, o.dm_us - 25, o.dm_us);
				L->n_sent++;
			}
		}
		if (L->use_venue && L->ups && !mt5_link_up(L->l)) {
			/* the link is down: the table must refuse new orders */
			uint32_t why = exec_can_accept(L->t, &L->ecfg);
			if (why == VOTE_R_VENUE_DOWN || why == VOTE_R_RECONCILING)
				L->down_halted++;
			else
				L->down_open++;
		}
		if (L->cfd >= 0 && mt5_link_step(L->l, mono_ns()))
			live_close_conn(L, L->l->why);
		if (L->cfd >= 0) {
			uint32_t len;
			const uint8_t *out = mt5_link_out(L->l, &len);
			if (len) {
				ssize_t w = send(L->cfd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
				if (w > 0)
					mt5_link_consumed(L->l, (uint32_t)w);
			}
		}
		struct pollfd pf = { .fd = L->cfd >= 0 ? L->cfd : L->lfd, .events = POLLIN };
		poll(&pf, 1, 2);
	}
	cr_assert(WIFEXITED(L->status), "the fake terminal died (status %d)", L->status);
	cr_assert_eq(WEXITSTATUS(L->status), 0, "the fake terminal exited %d",
		     WEXITSTATUS(L->status));
}

/* "key value" of the fake's state file */
static long long state_get(const char *key)
{
	char *txt = t_file_text(t_tmp_path("fake.state"), NULL);
	cr_assert_not_null(txt);
	char pat[64];
	snprintf(pat, sizeof(pat), "\n%s ", key);
	char *p = strstr(txt, pat);
	if (!p && strncmp(txt, pat + 1, strlen(pat) - 1) == 0)
		p = txt - 1;
	cr_assert_not_null(p, "no %s in the fake's state", key);
	long long v = strtoll(p + strlen(pat), NULL, 10);
	free(txt);
	return v;
}

/* The fake's fill log: deals and the signed position they make. */
static uint32_t fill_log(struct live *L, int64_t *pos, int check_received)
{
	FILE *f = fopen(t_tmp_path("fills.csv"), "r");
	cr_assert_not_null(f);
	char line[256];
	uint32_t n = 0;
	*pos = 0;
	cr_assert_not_null(fgets(line, sizeof(line), f)); /* header */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long deal, coid, order;
		char side[8];
		long long qty, px, t;
		cr_assert_eq(sscanf(line, "%llu,%llu,%llu,%7[a-z],%lld,%lld,%lld", &deal, &coid,
				    &order, side, &qty, &px, &t), 7, "%s", line);
		*pos += strcmp(side, "buy") == 0 ? qty : -qty;
		if (check_received) {
			int found = 0;
			for (uint32_t i = 0; i < L->n_deals && !found; i++)
				found = L->deals[i] == deal;
			cr_expect(found, "deal %llu of the terminal never reached DreamMaker", deal);
		}
		n++;
	}
	fclose(f);
	return n;
}

Test(mt5_live, market_data_is_the_replayed_journal, .timeout = 30)
{
	struct live *L = live_new(200, 1000);
	const char *j = t_tmp_path("win.journal");
	t_write_win_journal(j, 400, 5, 0, 0);
	const char *extra[] = { "--pace", "max", "--linger", "0.3", NULL };
	live_spawn(L, j, extra);
	live_run(L, 20000, 0);
	/* the same journal replayed directly */
	struct replay rp;
	char err[256];
	cr_assert_eq(replay_open(&rp, j, FEED_JOURNAL, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	struct event ev;
	uint32_t k = 0;
	while (replay_next(&rp, 0, &ev) == REPLAY_EVENT) {
		cr_assert_lt(k, L->n_ev, "only %u events arrived", L->n_ev);
		const struct event *g = &L->ev[k];
		cr_assert_eq(g->kind, ev.kind, "event %u", k);
		cr_expect_eq(g->exch_ns, ev.exch_ns / 1000000 * 1000000, "event %u time", k);
		if (ev.kind == EV_TRADE) {
			cr_expect_eq(g->trade.px, ev.trade.px);
			cr_expect_eq(g->trade.qty, ev.trade.qty);
			cr_expect_eq(g->trade.aggressor, ev.trade.aggressor);
		} else {
			cr_expect_eq(g->book.n_bid, ev.book.n_bid);
			cr_expect_eq(g->book.n_ask, ev.book.n_ask);
			cr_expect_eq(memcmp(g->book.bid, ev.book.bid, ev.book.n_bid *
					    sizeof(struct book_level)), 0, "event %u bids", k);
			cr_expect_eq(memcmp(g->book.ask, ev.book.ask, ev.book.n_ask *
					    sizeof(struct book_level)), 0, "event %u asks", k);
		}
		k++;
	}
	replay_close(&rp);
	cr_expect_eq(k, 400);
	cr_expect_eq(L->n_ev, k);
	cr_expect_eq(L->ups, 1);
	cr_expect_eq(L->l->st.md_errors, 0);
	live_free(L);
}

/*
 * One run with orders against the fake terminal and the given fault:
 * every order answered once, no coid carried out twice, every deal of the
 * terminal's log delivered once, the reconciled position equal to the
 * terminal's.
 */
static struct live *fault_run(const char *fault, const char *more, int hb_timeout_ms,
			      int lossy)
{
	struct live *L = live_new(100, hb_timeout_ms);
	const char *j = t_tmp_path("win.journal");
	t_write_win_journal(j, 900, 5, 0, 0);
	const char *extra[16];
	int n = 0;
	extra[n++] = "--pace";
	extra[n++] = "x1";
	extra[n++] = "--linger";
	extra[n++] = "1.2";
	if (fault) {
		extra[n++] = "--fault";
		extra[n++] = fault;
	}
	if (more) {
		extra[n++] = "--slow-ms";
		extra[n++] = more;
	}
	extra[n] = NULL;
	live_spawn(L, j, extra);
	live_run(L, 25000, 60);
	cr_assert_gt(L->n_sent, 5, "only %u orders sent", L->n_sent);
	int64_t log_pos;
	uint32_t n_fills = fill_log(L, &log_pos, !lossy);
	long long fake_pos = state_get("position");
	cr_expect_eq(log_pos, fake_pos, "the fake's log and its state disagree");
	cr_expect_gt(n_fills, 0);
	/* no order carried out twice: the venue saw each coid once */
	cr_expect_eq(state_get("venue_orders"), L->n_sent);
	cr_expect_eq(L->results_ok, L->n_sent, "every order answered once");
	if (!lossy) {
		cr_expect_eq(L->n_deals, n_fills, "deals delivered %u, terminal's %u", L->n_deals,
			     n_fills);
		cr_expect_eq(L->fill_pos, fake_pos);
	}
	cr_expect_eq(L->rp.pos, fake_pos, "reconciled position %lld, terminal's %lld",
		     (long long)L->rp.pos, fake_pos);
	cr_expect_geq(L->snaps, 1);
	return L;
}

Test(mt5_live, orders_fill_and_match_the_terminal, .timeout = 40)
{
	struct live *L = fault_run(NULL, NULL, 1000, 0);
	cr_expect_eq(L->ups, 1);
	cr_expect_eq(L->l->st.dup_reports + L->l->st.dup_deals + L->l->st.gaps, 0);
	live_free(L);
}

Test(mt5_live, fault_duplicate_transaction_is_dropped, .timeout = 40)
{
	struct live *L = fault_run("duplicate@2", NULL, 1000, 0);
	cr_expect_eq(L->l->st.dup_deals, 1);
	live_free(L);
}

Test(mt5_live, fault_out_of_order_reports_are_resent, .timeout = 40)
{
	struct live *L = fault_run("reorder@3", NULL, 1000, 0);
	cr_expect_geq(L->l->st.gaps, 1);
	cr_expect_geq(L->l->st.resends_asked, 1);
	live_free(L);
}

Test(mt5_live, fault_report_before_acknowledgement, .timeout = 40)
{
	struct live *L = fault_run("early-report@2", NULL, 1000, 0);
	live_free(L);
}

Test(mt5_live, fault_disconnect_mid_frame_reconnects_and_resends, .timeout = 40)
{
	struct live *L = fault_run("disconnect@300", NULL, 1000, 0);
	cr_expect_eq(L->ups, 2);
	cr_expect_geq(L->downs, 1); /* the fault (the end's close may race the exit) */
	live_free(L);
}

Test(mt5_live, fault_garbage_is_skipped, .timeout = 40)
{
	struct live *L = fault_run("garbage@300", NULL, 1000, 0);
	cr_expect_geq(L->l->st.frame_errors, 1);
	cr_expect_eq(L->ups, 1);
	live_free(L);
}

Test(mt5_live, fault_truncated_frame_is_skipped, .timeout = 40)
{
	struct live *L = fault_run("truncated@300", NULL, 1000, 0);
	cr_expect_geq(L->l->st.frame_errors, 1);
	live_free(L);
}

Test(mt5_live, fault_heartbeat_stop_closes_and_reconnects, .timeout = 40)
{
	struct live *L = fault_run("heartbeat-stop@300", NULL, 300, 0);
	cr_expect_geq(L->ups, 2);
	live_free(L);
}

Test(mt5_live, fault_slow_reader_loses_nothing, .timeout = 40)
{
	struct live *L = fault_run("slow-reader@300", "400", 1000, 0);
	live_free(L);
}

Test(mt5_live, fault_clock_skew_restarts_the_offset_estimate, .timeout = 40)
{
	struct live *L = fault_run("clock-skew@300", NULL, 1000, 0);
	cr_expect_geq(L->l->clock.resets, 1);
	int64_t off, err;
	cr_expect_eq(mt5_clock_offset(&L->l->clock, &off, &err), 1);
	live_free(L);
}

Test(mt5_live, fault_terminal_restart_reconciles_from_the_snapshot, .timeout = 40)
{
	struct live *L = fault_run("restart@300", NULL, 1000, 1);
	cr_expect_eq(L->ups, 2);
	cr_expect_geq(L->snaps, 2);
	cr_expect_eq(L->l->hello.server_time_offset_s, -10800 + 3600);
	live_free(L);
}

Test(mt5_live, server_rejects_carry_mt5_retcodes, .timeout = 40)
{
	struct live *L = live_new(100, 1000);
	const char *j = t_tmp_path("win.journal");
	t_write_win_journal(j, 400, 5, 0, 0);
	const char *extra[] = { "--pace", "x2", "--linger", "0.5", "--reject", "10019@2", NULL };
	live_spawn(L, j, extra);
	live_run(L, 20000, 50);
	cr_expect_eq(L->trades_rejected, 1);
	cr_expect_eq(L->last_reject_rc, 10019);
	cr_expect_eq(state_get("server_rejects"), 1);
	live_free(L);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * The terminal's venue acknowledges after its entry and response
 * latencies (2000 + 1000 us here), so receipt -> ack is their sum; the
 * file holds one "entry response" line per order, which the venue
 * simulator reads back, and entry + response covers the round trip.
 */
Test(mt5_live, latency_file_has_the_terminal_latencies, .timeout = 40)
{
	struct live *L = live_new(100, 1000);
	const char *j = t_tmp_path("win.journal");
	t_write_win_journal(j, 700, 5, 0, 0);
	const char *lat = t_tmp_path("live.lat");
	L->lat_f = fopen(lat, "w");
	cr_assert_not_null(L->lat_f);
	fputs(mt5_lat_header(), L->lat_f);
	const char *extra[] = { "--pace", "x1", "--linger", "1", "--entry-us", "2000",
				"--response-us", "1000", NULL };
	live_spawn(L, j, extra);
	live_run(L, 20000, 40);
	fclose(L->lat_f);
	if (getenv("T_KEEP_LAT")) {
		/* a copy to look at: T_KEEP_LAT=FILE */
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", lat, getenv("T_KEEP_LAT"));
		cr_expect_eq(system(cmd), 0);
	}
	cr_assert_geq(L->n_lat, 8, "%u latency records", L->n_lat);
	uint32_t n = L->n_lat < 1024 ? L->n_lat : 1024;
	qsort(L->ra, n, sizeof(L->ra[0]), cmp64);
	int64_t med = L->ra[n / 2];
	/* the fake's loop polls its venue at most 200 us late, and the machine
	 * is shared: a generous upper margin, none below */
	cr_expect(med >= 3000 && med <= 3000 + 3000, "receipt -> ack median %lld us, expected "
		  "3000 (entry 2000 + response 1000)", (long long)med);
	/* the venue reads the file as it is */
	struct venue_lat s[2048];
	uint32_t got = 0;
	char err[256];
	cr_assert_eq(venue_lat_parse(lat, s, 2048, &got, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(got, L->n_lat);
	for (uint32_t i = 0; i < got; i++)
		cr_expect(s[i].entry_us + s[i].response_us >= 3000, "sample %u: %u + %u", i,
			  s[i].entry_us, s[i].response_us);
	int64_t off, e;
	cr_expect_eq(mt5_clock_offset(&L->l->clock, &off, &e), 1);
	/* dm-backtest takes the file as its venue's latency model: the
	 * send -> ack latency of each of its fills (tca.csv) is the entry_us of
	 * one of the file's samples */
	const char *ov = t_tmp_path("lat.yaml");
	char text[1024], out[4096];
	snprintf(text, sizeof(text), "venue:\n  latency_file: %s\n", lat);
	t_write_file(ov, text);
	cr_assert_eq(t_sh(out, sizeof(out), "%s/dm-gen --seed 7 --events 20000 --output %s && "
			  "%s/dm-backtest -c %s --input %s --out %s --quiet", t_bin_dir(),
			  t_tmp_path("g.journal"), t_bin_dir(), ov, t_tmp_path("g.journal"),
			  t_tmp_path("bt")), 0, "%s", out);
	FILE *f = fopen(t_tmp_path("bt/tca.csv"), "r");
	cr_assert_not_null(f);
	char line[1024];
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_not_null(strstr(line, "lat_send_to_ack_ns"));
	uint32_t rows = 0;
	while (fgets(line, sizeof(line), f)) {
		/* column 20: lat_send_to_ack_ns */
		char *p = line;
		for (int c = 1; c < 20 && p; c++)
			p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
		cr_assert_not_null(p);
		long long ns = strtoll(p, NULL, 10);
		int found = 0;
		for (uint32_t i = 0; i < got && !found; i++)
			found = (long long)s[i].entry_us * 1000 == ns;
		cr_expect(found, "backtest fill with send->ack %lld ns: no such entry_us in %s", ns,
			  lat);
		rows++;
	}
	fclose(f);
	cr_expect_gt(rows, 0, "the backtest made no fill");
	live_free(L);
}

/* ------------------------------------------------------------ the link's policy */

/* A handshake in memory: client frames into the link, the link's out
 * into the client.  The client's final state. */
static int hs_in_memory(struct mt5_link *l, const struct mt5_key *ck, const char *symbol)
{
	struct mt5_hs_client c;
	struct mt5_hello h;
	uint8_t f[MT5_FRAME_MAX], nonce[MT5_NONCE_LEN];
	size_t len = 0;
	memset(&h, 0, sizeof(h));
	h.proto_version = MT5_PROTO_VERSION;
	h.schema_hash = mt5_schema_hash();
	memset(h.client_nonce, 0x21, sizeof(h.client_nonce));
	h.stream_id = 9;
	h.next_seq = h.oldest_seq = 1;
	h.tick_size_pts = 5;
	h.margin_mode = MT5_MARGIN_NETTING;
	snprintf(h.symbol, sizeof(h.symbol), "%s", symbol);
	memset(nonce, 0x5c, sizeof(nonce));
	nonce[0] = (uint8_t)rand();
	cr_assert_eq(mt5_link_connect(l, nonce, 1000), 0);
	mt5_hs_client_init(&c, ck);
	cr_assert_eq(mt5_hs_client_begin(&c, &h, 1000, 5000000000ll, f, sizeof(f), &len),
		     MT5_HS_WAIT_CHALLENGE);
	struct mt5_dec d;
	static uint8_t db[2 * MT5_FRAME_MAX];
	mt5_dec_init(&d, db, sizeof(db));
	for (int round = 0; round < 4 && c.state != MT5_HS_DONE && c.state != MT5_HS_FAILED; round++) {
		uint32_t room;
		uint8_t *p = mt5_link_space(l, &room);
		cr_assert_geq(room, len);
		memcpy(p, f, len);
		mt5_link_commit(l, (uint32_t)len, 2000, 0);
		len = 0;
		uint32_t olen;
		const uint8_t *out = mt5_link_out(l, &olen);
		mt5_dec_push(&d, out, olen);
		mt5_link_consumed(l, olen);
		struct mt5_frame fr;
		while (mt5_dec_next(&d, &fr) == 1)
			mt5_hs_client_on_frame(&c, &fr, 3000, f, sizeof(f), &len);
	}
	return (int)c.state == MT5_HS_FAILED ? -(int)c.refuse_reason : (int)c.state;
}

Test(mt5_link, refuses_another_symbol_and_another_secret)
{
	static struct mt5_link l;
	struct mt5_key k, other;
	memset(&k, 0, sizeof(k));
	k.len = 32;
	memset(k.b, 0x11, 32);
	other = k;
	other.b[0] ^= 1;
	struct mt5_link_cfg c = { .key = &k, .symbol = "WIN", .hb_interval_ns = 1000000000,
				  .hb_timeout_ns = 5000000000ll, .handshake_timeout_ns = 5000000000ll,
				  .reconnect_min_ns = 100000000, .reconnect_max_ns = 1000000000 };
	cr_assert_eq(mt5_link_init(&l, &c, NULL, 5), 0);
	cr_expect_eq(hs_in_memory(&l, &k, "WIN"), MT5_HS_DONE);
	cr_expect(mt5_link_up(&l));
	cr_expect_eq(hs_in_memory(&l, &k, "PETR4"), -MT5_REFUSE_SYMBOL);
	cr_expect(l.want_close);
	cr_expect_eq(hs_in_memory(&l, &other, "WIN"), -MT5_REFUSE_AUTH);
	cr_expect_eq(l.st.accepted, 1);
	cr_expect_eq(l.st.refused, 2);
	/* no key, no symbol, a timeout under twice the interval: refused */
	c.symbol[0] = '\0';
	cr_expect_eq(mt5_link_init(&l, &c, NULL, 5), -EINVAL);
	snprintf(c.symbol, sizeof(c.symbol), "WIN");
	c.hb_timeout_ns = c.hb_interval_ns;
	cr_expect_eq(mt5_link_init(&l, &c, NULL, 5), -EINVAL);
}

/* An order the host takes while the link is down is refused and kept
 * nowhere (it would reach the terminal after the reconnect, ahead of the
 * reconciliation, decided on a market long gone); one taken while up is
 * numbered and kept for the resend as mt5_link_send_order's. */
Test(mt5_link, an_order_taken_while_down_is_refused_and_kept_nowhere)
{
	static struct mt5_link l;
	struct mt5_key k;
	memset(&k, 0, sizeof(k));
	k.len = 32;
	memset(k.b, 0x11, 32);
	struct mt5_link_cfg c = { .key = &k, .symbol = "WIN", .hb_interval_ns = 1000000000,
				  .hb_timeout_ns = 5000000000ll, .handshake_timeout_ns = 5000000000ll,
				  .reconnect_min_ns = 100000000, .reconnect_max_ns = 1000000000 };
	cr_assert_eq(mt5_link_init(&l, &c, NULL, 5), 0);
	struct mt5_new_order o;
	memset(&o, 0, sizeof(o));
	o.coid = 77;
	o.side = MT5_SIDE_BUY;
	o.kind = MT5_KIND_LIMIT;
	o.filling = MT5_FILLING_IOC;
	o.volume_e8 = 100000000;
	o.price = 100000;
	/* never connected */
	cr_expect_eq(mt5_link_take_order(&l, &o, 1000), -ENOTCONN);
	cr_expect_eq(l.st.commands, 0);
	cr_expect_eq(l.ob.count, 0, "nothing kept for the next connection");
	uint64_t next = l.tx.next;
	/* up: numbered, kept, written */
	cr_assert_eq(hs_in_memory(&l, &k, "WIN"), MT5_HS_DONE);
	uint32_t before;
	mt5_link_out(&l, &before);
	o.coid = 78;
	cr_expect_eq(mt5_link_take_order(&l, &o, 4000), (int64_t)next);
	uint32_t after;
	mt5_link_out(&l, &after);
	cr_expect_gt(after, before, "the NEW_ORDER written");
	cr_expect_eq(l.st.commands, 1);
	cr_expect_eq(l.ob.count, 1);
	/* down again: refused; what was sent while up stays for the resend */
	mt5_link_disconnect(&l, "test");
	o.coid = 79;
	cr_expect_eq(mt5_link_take_order(&l, &o, 5000), -ENOTCONN);
	cr_expect_eq(l.st.commands, 1);
	cr_expect_eq(l.ob.count, 1);
	cr_expect_eq(l.tx.next, next + 1, "no number taken by the refused order");
}

/* ------------------------------------------------------------ the mt5 venue */

static void venue_out(void *ctx, const struct exec_out *o)
{
	struct live *L = ctx;
	if (o->act & EXEC_ACT_FILL) {
		L->table_fills++;
		L->table_pos += o->side == SIDE_BUY ? o->fill_qty : -o->fill_qty;
	}
}

/*
 * Orders through the order table and the mt5 venue against the fake
 * terminal with a fault: the table's fills make the terminal's position,
 * no coid reaches the terminal twice, and while the link is down or
 * reconciling the table refuses new orders.
 */
static struct live *venue_run(const char *fault, int hb_timeout_ms)
{
	struct live *L = live_new(100, hb_timeout_ms);
	L->use_venue = 1;
	size_t tsz = exec_table_memsize(1024);
	L->t = aligned_alloc(64, (tsz + 63) & ~(size_t)63);
	L->v = calloc(1, sizeof(*L->v));
	cr_assert(L->t && L->v);
	cr_assert_eq(exec_table_init(L->t, tsz, 1024, 3), 0);
	cr_assert_eq(exec_table_attach(L->t, tsz), 0);
	exec_cfg_default(&L->ecfg);
	mt5_venue_init(L->v, L->t, L->l, venue_out, L);
	/* the table starts reconciling (attach): the first snapshot ends it */
	const char *j = t_tmp_path("win.journal");
	t_write_win_journal(j, 900, 5, 0, 0);
	const char *extra[] = { "--pace", "x1", "--linger", "1.2", fault ? "--fault" : NULL, fault,
				NULL };
	live_spawn(L, j, extra);
	live_run(L, 25000, 60);
	cr_assert_gt(L->n_sent, 5, "only %u orders sent", L->n_sent);
	long long fake_pos = state_get("position");
	cr_expect_eq(state_get("venue_orders"), L->n_sent, "each coid placed once");
	cr_expect_eq(L->table_pos, fake_pos, "the table's fills make %lld, the terminal holds %lld",
		     (long long)L->table_pos, fake_pos);
	cr_expect_eq(L->v->known_pos, fake_pos);
	cr_expect_eq(L->v->st.unexplained, 0);
	cr_expect_eq(L->down_open, 0, "the table took orders while the link was down");
	if (L->ups >= 2) {
		cr_expect_gt(L->down_halted, 0);
		cr_expect_gt(L->sent_after_reconnect, 0, "trading did not resume after "
			     "reconciliation");
	}
	return L;
}

static void venue_free(struct live *L)
{
	free(L->t);
	free(L->v);
	live_free(L);
}

Test(mt5_venue, orders_through_the_table_match_the_terminal, .timeout = 40)
{
	struct live *L = venue_run(NULL, 1000);
	cr_expect_eq(L->v->st.reconciles, 1);
	cr_expect_eq(L->refused_other, 0);
	venue_free(L);
}

Test(mt5_venue, disconnect_halts_then_reconciles, .timeout = 40)
{
	struct live *L = venue_run("disconnect@300", 1000);
	cr_expect_geq(L->v->st.reconciles, 2);
	venue_free(L);
}

Test(mt5_venue, heartbeat_stop_halts_then_reconciles, .timeout = 40)
{
	struct live *L = venue_run("heartbeat-stop@300", 300);
	cr_expect_geq(L->v->st.reconciles, 2);
	cr_expect_geq(L->ups, 2);
	venue_free(L);
}

Test(mt5_venue, terminal_restart_fills_come_from_the_snapshot, .timeout = 40)
{
	struct live *L = venue_run("restart@300", 1000);
	cr_expect_geq(L->v->st.reconciles, 2);
	venue_free(L);
}

Test(mt5_venue, duplicate_deal_counted_once, .timeout = 40)
{
	struct live *L = venue_run("duplicate@2", 1000);
	cr_expect_eq(L->l->st.dup_deals, 1);
	venue_free(L);
}
