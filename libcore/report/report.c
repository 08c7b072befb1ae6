/* report.c — records to CSV rows (report.h). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "libcore/exec/exec.h"
#include "libcore/report/report.h"

typedef __int128 i128;

const char report_fills_header[] = "t_ns,client_order_id,side,qty,price,fee,liquidity";
const char report_orders_header[] =
	"client_order_id,decision_id,side,qty,price,ord_type,tif,flatten,status,"
	"filled_qty,avg_price,fees,first_ns,last_ns";
const char report_decisions_header[] =
	"decision_id,intent_id,outcome,reason,side,qty,price,client_order_id,decisive,"
	"votes,t_ns";
const char report_equity_header[] = "t_ns,position,mark,cash,equity,drawdown";

size_t report_memsize(uint32_t max_open)
{
	return (size_t)max_open * sizeof(struct report_order);
}

static void put(struct report *r, FILE *f, const char *s)
{
	if (f && fputs(s, f) == EOF && !r->err)
		r->err = -EIO;
}

int report_init(struct report *r, void *mem, size_t size, const struct instrument *in,
		const struct report_opts *o, const struct report_out *out)
{
	if (!o->max_open || !mem || size < report_memsize(o->max_open))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	memset(mem, 0, report_memsize(o->max_open));
	r->in = *in;
	r->opts = *o;
	r->out = *out;
	r->open = mem;
	r->max_open = o->max_open;
	r->sample_sec = INT64_MIN;
	char line[256];
	snprintf(line, sizeof(line), "%s\n", report_fills_header);
	put(r, r->out.fills, line);
	snprintf(line, sizeof(line), "%s\n", report_orders_header);
	put(r, r->out.orders, line);
	snprintf(line, sizeof(line), "%s\n", report_decisions_header);
	put(r, r->out.decisions, line);
	snprintf(line, sizeof(line), "%s\n", report_equity_header);
	put(r, r->out.equity, line);
	return 0;
}

/* ------------------------------------------------------------ numbers */

/* A price of ticks in the instrument's unit ("108400", "5123.50"). */
static void px_text(const struct instrument *in, int64_t ticks, char *buf, size_t n)
{
	int64_t pts;
	if (instr_ticks_to_pts(in, ticks, &pts) < 0)
		snprintf(buf, n, "?");
	else
		instr_pts_format(in, pts, buf, n);
}

/* Half of x2 ticks (a mid), keeping a half of the last price digit. */
static void px_x2_text(const struct instrument *in, int64_t x2, char *buf, size_t n)
{
	int64_t v;
	if (__builtin_mul_overflow(x2, in->tick_pts, &v) || v < 0) {
		snprintf(buf, n, "?");
		return;
	}
	char t[48];
	instr_pts_format(in, v / 2, t, sizeof(t));
	int w = v % 2 == 0 ? snprintf(buf, n, "%s", t)
			   : snprintf(buf, n, "%s%s5", t, in->price_decimals ? "" : ".");
	if (w < 0)
		buf[0] = '\0';
}

/* The average fill price of value_ticks / qty, with up to 4 more decimals
 * than the instrument's prices (exact when it divides, else rounded half
 * away from zero at the last digit). */
static void avg_text(const struct instrument *in, int64_t value_ticks, int32_t qty, char *buf,
		     size_t n)
{
	if (qty <= 0) {
		buf[0] = '\0';
		return;
	}
	i128 pts = (i128)value_ticks * in->tick_pts; /* scaled points x qty */
	if (pts % qty == 0) {
		instr_pts_format(in, (int64_t)(pts / qty), buf, n);
		return;
	}
	i128 q = (pts * 10000 * 2 / qty + 1) / 2; /* scaled points x 10^4, rounded */
	int64_t scale = in->pts_scale * 10000;
	int dec = (int)in->price_decimals + 4;
	if (snprintf(buf, n, "%" PRId64 ".%0*" PRId64, (int64_t)(q / scale), dec,
		     (int64_t)(q % scale)) < 0)
		buf[0] = '\0';
	/* trailing zeros of the extra digits add nothing */
	size_t len = strlen(buf), keep = len - 4;
	while (len > keep && buf[len - 1] == '0')
		buf[--len] = '\0';
}

static void money_text(int64_t e9, char *buf, size_t n)
{
	instr_money_format(e9, buf, n);
}

static const char *side_name(int side)
{
	return side > 0 ? "buy" : side < 0 ? "sell" : "?";
}

int64_t report_equity_e9(const struct report *r)
{
	i128 v = r->cash_e9;
	if (r->has_mark && r->position)
		v += (i128)r->position * r->mark_x2 * r->in.tick_value_e9 / 2;
	return (int64_t)v;
}

static void equity_row(struct report *r, int64_t t_ns)
{
	int64_t eq = report_equity_e9(r);
	if (eq > r->peak_e9)
		r->peak_e9 = eq;
	r->n.equity_rows++;
	if (!r->out.equity)
		return;
	char mark[48] = "", cash[40], e[40], dd[40], line[256];
	if (r->has_mark)
		px_x2_text(&r->in, r->mark_x2, mark, sizeof(mark));
	money_text(r->cash_e9, cash, sizeof(cash));
	money_text(eq, e, sizeof(e));
	money_text(r->peak_e9 - eq, dd, sizeof(dd));
	snprintf(line, sizeof(line), "%" PRId64 ",%" PRId64 ",%s,%s,%s,%s\n", t_ns, r->position,
		 mark, cash, e, dd);
	put(r, r->out.equity, line);
}

static int64_t floor_sec(int64_t t)
{
	int64_t s = t / REPORT_SECOND_NS;
	return t % REPORT_SECOND_NS < 0 ? s - 1 : s;
}

void report_on_market(struct report *r, const struct event *ev, int64_t t_ns)
{
	r->n.events++;
	if (ev->kind == EV_BOOK && ev->book.n_bid && ev->book.n_ask &&
	    ev->book.bid[0].px > 0 && ev->book.ask[0].px > 0) {
		r->mark_x2 = ev->book.bid[0].px + ev->book.ask[0].px;
		r->has_mark = 1;
	}
	r->last_t_ns = t_ns;
	if (r->opts.tca)
		tca_on_market(r->opts.tca, t_ns, r->has_mark ? r->mark_x2 : 0);
	int64_t sec = floor_sec(t_ns);
	if (sec != r->sample_sec) {
		r->sample_sec = sec;
		equity_row(r, t_ns);
	}
}

/* ------------------------------------------------------------ orders */

static struct report_order *find(struct report *r, uint64_t coid)
{
	for (uint32_t i = 0; i < r->hi; i++)
		if (r->open[i].used && r->open[i].o.client_order_id == coid)
			return &r->open[i];
	return NULL;
}

static void held_out(struct report *r, uint32_t force);

/* A held release of o's decision takes o's client order id. */
static void held_match(struct report *r, const struct msg_order *o)
{
	for (uint32_t k = 0; k < r->held_n; k++) {
		struct report_held *h = &r->held[(r->held_head + k) % REPORT_HELD];
		if (!h->ready && h->d.decision_id == o->decision_id) {
			h->coid = o->client_order_id;
			h->ready = 1;
			held_out(r, 0);
			return;
		}
	}
}

void report_on_order(struct report *r, const struct msg_order *o)
{
	if (r->opts.hold_decisions && o->decision_id)
		held_match(r, o);
	if (find(r, o->client_order_id))
		return; /* journaled twice (a restart): followed once */
	for (uint32_t i = 0; i < r->max_open; i++) {
		struct report_order *ro = &r->open[i];
		if (ro->used)
			continue;
		memset(ro, 0, sizeof(*ro));
		ro->o = *o;
		ro->used = 1;
		if (i >= r->hi)
			r->hi = i + 1;
		return;
	}
	r->n.table_full++;
}

static void order_row(struct report *r, struct report_order *ro)
{
	r->n.orders++;
	if (!r->out.orders)
		return;
	const struct msg_order *o = &ro->o;
	char px[48] = "", avg[64], fees[40], first[24] = "", last[24] = "", line[512];
	if (o->ord_type != ORD_MARKET)
		px_text(&r->in, o->px, px, sizeof(px));
	avg_text(&r->in, ro->value_ticks, ro->cum_qty, avg, sizeof(avg));
	money_text(ro->fees_e9, fees, sizeof(fees));
	if (ro->status) {
		snprintf(first, sizeof(first), "%" PRId64, ro->first_ns);
		snprintf(last, sizeof(last), "%" PRId64, ro->last_ns);
	}
	snprintf(line, sizeof(line),
		 "%" PRIu64 ",%" PRIu64 ",%s,%" PRId32 ",%s,%s,%s,%d,%s,%" PRId32 ",%s,%s,%s,%s\n",
		 o->client_order_id, o->decision_id, side_name(o->side), o->qty, px,
		 o->ord_type == ORD_MARKET ? "market" : "limit",
		 o->tif == TIF_IOC ? "ioc" : o->tif == TIF_FOK ? "fok" : "day",
		 (o->hdr.flags & MSG_F_FLATTEN) ? 1 : 0,
		 ro->status ? exec_status_name(ro->status) : "sent", ro->cum_qty, avg, fees, first,
		 last);
	put(r, r->out.orders, line);
}

/* The fill to the TCA module, with the order's send and arrival times. */
static void tca_fill(struct report *r, const struct report_order *ro,
		     const struct msg_exec_report *x, int taker)
{
	const struct tca_fill f = {
		.fill_id = x->exec_id, .client_order_id = x->client_order_id,
		.decision_id = ro->o.decision_id, .t_ns = x->venue_ns, .px = x->last_px,
		.sent_ns = (ro->o.hdr.flags & MSG_F_VENUE_TIME) ? ro->o.hdr.send_ns : TCA_NONE,
		.ack_ns = ro->first_ns, .qty = x->last_qty, .side = x->side,
		.taker = (uint8_t)taker,
	};
	tca_on_fill(r->opts.tca, &f);
}

static void fill_row(struct report *r, const struct msg_exec_report *x, int taker)
{
	r->n.fills++;
	if (x->side > 0)
		r->position += x->last_qty;
	else
		r->position -= x->last_qty;
	i128 value = (i128)x->last_qty * x->last_px * r->in.tick_value_e9;
	r->cash_e9 = (int64_t)((i128)r->cash_e9 - (x->side > 0 ? value : -value) - x->fee_e9);
	if (r->out.fills) {
		char px[48], fee[40], line[256];
		px_text(&r->in, x->last_px, px, sizeof(px));
		money_text(x->fee_e9, fee, sizeof(fee));
		snprintf(line, sizeof(line), "%" PRId64 ",%" PRIu64 ",%s,%" PRId32 ",%s,%s,%s\n",
			 x->venue_ns, x->client_order_id, side_name(x->side), x->last_qty, px, fee,
			 taker ? "taker" : "maker");
		put(r, r->out.fills, line);
	}
	if (x->venue_ns > r->last_t_ns)
		r->last_t_ns = x->venue_ns;
	equity_row(r, x->venue_ns);
}

void report_on_exec(struct report *r, const struct msg_exec_report *x)
{
	struct report_order *ro = find(r, x->client_order_id);
	if (!ro) {
		r->n.unknown_reports++;
		/* an order refused before the venue ends its decision here */
		if (r->opts.tca && x->decision_id && exec_status_terminal(x->status))
			tca_on_order_end(r->opts.tca, x->decision_id);
		return;
	}
	if (!ro->status)
		ro->first_ns = x->venue_ns;
	if (x->exec_id && x->last_qty > 0) {
		if (x->cum_qty <= ro->cum_qty) {
			r->n.dup_fills++; /* re-published after a restart */
			return;
		}
		/* the venue's own flag; a fill without one (merged, made up by
		 * reconciliation, or journaled before reports carried it) is
		 * inferred: at the order's arrival, or of a market order, it took */
		int taker = x->liquidity == MSG_LIQ_TAKER ? 1 : x->liquidity == MSG_LIQ_MAKER ? 0 :
			    ro->o.ord_type == ORD_MARKET || x->venue_ns == ro->first_ns;
		ro->cum_qty = x->cum_qty;
		ro->value_ticks += (int64_t)x->last_qty * x->last_px;
		ro->fees_e9 += x->fee_e9;
		fill_row(r, x, taker);
		if (r->opts.tca)
			tca_fill(r, ro, x, taker);
	}
	ro->status = x->status;
	ro->last_ns = x->venue_ns;
	if (exec_status_terminal(x->status)) {
		if (r->opts.tca)
			tca_on_order_end(r->opts.tca, ro->o.decision_id);
		order_row(r, ro);
		ro->used = 0;
		while (r->hi && !r->open[r->hi - 1].used)
			r->hi--; /* the searches stop at the last one in use */
	}
}

/* ------------------------------------------------------------ decisions */

static int name_of(const struct report *r, uint32_t idx, char *buf, size_t n)
{
	if (idx < r->opts.n_names && r->opts.voter_names && r->opts.voter_names[idx])
		return snprintf(buf, n, "%s", r->opts.voter_names[idx]);
	return snprintf(buf, n, "%" PRIu32, idx);
}

/* The row of d, its client order id coid (0: an empty cell). */
static void decision_row(struct report *r, const struct vote_record *d, uint64_t coid_v)
{
	char votes[VOTE_MAX_VOTERS * 64] = "", px[48] = "", coid[24] = "", decisive[24] = "";
	size_t used = 0;
	uint32_t nv = d->n_voters < VOTE_MAX_VOTERS ? d->n_voters : VOTE_MAX_VOTERS;
	for (uint32_t i = 0; i < nv && used < sizeof(votes); i++) {
		char name[32];
		name_of(r, d->v[i].voter, name, sizeof(name));
		int w = snprintf(votes + used, sizeof(votes) - used, "%s%s:%s:%s", i ? ";" : "",
				 name, vote_verdict_name(d->v[i].verdict),
				 vote_reason_name(d->v[i].reason));
		if (w > 0)
			used += (size_t)w;
	}
	if (d->ord_type != ORD_MARKET)
		px_text(&r->in, d->px, px, sizeof(px));
	if (coid_v)
		snprintf(coid, sizeof(coid), "%" PRIu64, coid_v);
	if (d->decisive >= 0 && (uint32_t)d->decisive < nv)
		name_of(r, d->v[d->decisive].voter, decisive, sizeof(decisive));
	char line[sizeof(votes) + 512];
	snprintf(line, sizeof(line),
		 "%" PRIu64 ",%" PRIu64 ",%s,%s,%s,%" PRId32 ",%s,%s,%s,%s,%" PRId64 "\n",
		 d->decision_id, d->intent_id, d->outcome == VOTE_RELEASE ? "released" : "blocked",
		 vote_reason_name(d->reason), side_name(d->side), d->qty, px, coid, decisive, votes,
		 vote_record_time_ns(d));
	put(r, r->out.decisions, line);
}

/* The oldest held rows while ready, the first force of them even if not
 * (a release whose order never came is written with its cell empty). */
static void held_out(struct report *r, uint32_t force)
{
	for (; r->held_n; force -= force > 0) {
		struct report_held *h = &r->held[r->held_head];
		if (!h->ready && !force)
			return;
		if (!h->ready)
			r->n.no_order++;
		decision_row(r, &h->d, h->ready ? h->coid : 0);
		r->held_head = (r->held_head + 1) % REPORT_HELD;
		r->held_n--;
	}
}

void report_on_decision(struct report *r, const struct vote_record *d)
{
	r->n.decisions++;
	if (r->opts.tca && d->outcome == VOTE_RELEASE)
		tca_on_decision(r->opts.tca, d->decision_id,
				d->version >= 2 ? d->market_ns : TCA_NONE);
	if (!r->out.decisions)
		return;
	if (!r->opts.hold_decisions) {
		decision_row(r, d, d->client_order_id);
		return;
	}
	if (r->held_n == REPORT_HELD)
		held_out(r, 1); /* the oldest out, its order or not */
	struct report_held *h = &r->held[(r->held_head + r->held_n) % REPORT_HELD];
	h->d = *d;
	h->coid = 0;
	h->ready = d->outcome != VOTE_RELEASE;
	r->held_n++;
	held_out(r, 0);
}

int report_finish(struct report *r, int64_t t_ns)
{
	held_out(r, REPORT_HELD); /* every row still held */
	if (r->n.events || r->n.fills)
		equity_row(r, t_ns > r->last_t_ns ? t_ns : r->last_t_ns);
	for (uint32_t i = 0; i < r->hi; i++)
		if (r->open[i].used) {
			order_row(r, &r->open[i]);
			r->open[i].used = 0;
		}
	r->hi = 0;
	if (r->opts.tca) {
		int rc = tca_finish(r->opts.tca);
		if (rc && !r->err)
			r->err = rc;
	}
	FILE *f[4] = { r->out.fills, r->out.orders, r->out.decisions, r->out.equity };
	for (int i = 0; i < 4; i++)
		if (f[i] && fflush(f[i]) == EOF && !r->err)
			r->err = -EIO;
	return r->err;
}
