/* tca.c — transaction cost analysis of fills, streaming (tca.h). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "libcore/report/tca.h"
#include "libcore/types.h"

typedef __int128 i128;

const int64_t tca_horizon_ns[TCA_HORIZONS] = { 1000000000ll, 5000000000ll, 30000000000ll };
static const char *const h_name[TCA_HORIZONS] = { "1s", "5s", "30s" };

const char tca_header[] =
	"fill_id,t_ns,client_order_id,decision_id,side,qty,price,liquidity,arrival_mid,"
	"mid_at_fill,effective_spread,realized_spread_1s,realized_spread_5s,"
	"realized_spread_30s,impact_1s,impact_5s,impact_30s,shortfall,"
	"lat_decision_to_send_ns,lat_send_to_ack_ns,lat_ack_to_fill_ns";

void tca_params_default(struct tca_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_decisions = 4096;
	p->max_fills = 32768;
	p->history = 4096;
}

static size_t up8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

size_t tca_memsize(const struct tca_params *p)
{
	if (!p->max_decisions || !p->max_fills || !p->history ||
	    (p->history & (p->history - 1)))
		return 0;
	return up8((size_t)p->max_decisions * sizeof(struct tca_dec)) +
	       up8((size_t)p->max_fills * sizeof(struct tca_pend)) +
	       (size_t)p->history * sizeof(struct tca_mid);
}

static void put(struct tca *c, const char *s)
{
	if (c->out && fputs(s, c->out) == EOF && !c->err)
		c->err = -EIO;
}

int tca_init(struct tca *c, void *mem, size_t size, const struct instrument *in,
	     const struct tca_params *p, FILE *out)
{
	size_t need = tca_memsize(p);
	if (!need || !mem || ((uintptr_t)mem & 7) || size < need)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->in = *in;
	c->p = *p;
	c->out = out;
	c->last_t = TCA_NONE;
	c->dec_due = INT64_MAX;
	c->next_due = INT64_MAX;
	char *m = mem;
	c->decs = (struct tca_dec *)(void *)m;
	m += up8((size_t)p->max_decisions * sizeof(struct tca_dec));
	c->pend = (struct tca_pend *)(void *)m;
	m += up8((size_t)p->max_fills * sizeof(struct tca_pend));
	c->hist = (struct tca_mid *)(void *)m;
	/* the queue and the history are written before they are read */
	memset(c->decs, 0, (size_t)p->max_decisions * sizeof(struct tca_dec));
	char line[sizeof(tca_header) + 1];
	snprintf(line, sizeof(line), "%s\n", tca_header);
	put(c, line);
	return 0;
}

/* ------------------------------------------------------------ mids */

static void hist_push(struct tca *c, int64_t t, int64_t mid_x2)
{
	uint64_t mask = c->p.history - 1;
	if (c->hist_n) {
		struct tca_mid *last = &c->hist[(c->hist_n - 1) & mask];
		if (last->t_ns == t) {
			last->mid_x2 = mid_x2; /* the last event of a time is its mid */
			return;
		}
		if (last->mid_x2 == mid_x2)
			return;
	}
	c->hist[c->hist_n & mask] = (struct tca_mid){ .t_ns = t, .mid_x2 = mid_x2 };
	c->hist_n++;
}

/* m(T): the mid of the last change at or before T; 0 when there is none
 * (no two-sided book by then, or T older than the history kept). */
static int64_t mid_at(struct tca *c, int64_t T)
{
	uint64_t mask = c->p.history - 1;
	uint64_t lo = c->hist_n > c->p.history ? c->hist_n - c->p.history : 0, hi = c->hist_n;
	if (lo == hi)
		return 0;
	if (c->hist[lo & mask].t_ns > T) {
		if (lo)
			c->n.history_short++;
		return 0;
	}
	/* invariant: hist[lo].t <= T, and hist[hi].t > T or hi is the end */
	while (hi - lo > 1) {
		uint64_t m = lo + (hi - lo) / 2;
		if (c->hist[m & mask].t_ns <= T)
			lo = m;
		else
			hi = m;
	}
	return c->hist[lo & mask].mid_x2;
}

/* ------------------------------------------------------------ decisions */

static struct tca_dec *dec_find(struct tca *c, uint64_t id)
{
	for (uint32_t i = 0; i < c->dec_hi; i++)
		if (c->decs[i].used && c->decs[i].decision_id == id)
			return &c->decs[i];
	return NULL;
}

static void dec_resolve(struct tca *c, struct tca_dec *d)
{
	d->mid_x2 = mid_at(c, d->t_ns);
	d->resolved = 1;
}

/* Decisions whose time the market passed (an event later than it). */
static void dec_resolve_due(struct tca *c, int64_t t)
{
	int64_t due = INT64_MAX;
	for (uint32_t i = 0; i < c->dec_hi; i++) {
		struct tca_dec *d = &c->decs[i];
		if (!d->used || d->resolved)
			continue;
		if (d->t_ns < t)
			dec_resolve(c, d);
		else if (d->t_ns < due)
			due = d->t_ns;
	}
	c->dec_due = due;
}

void tca_on_decision(struct tca *c, uint64_t decision_id, int64_t t_ns)
{
	if (!decision_id || dec_find(c, decision_id))
		return; /* journaled twice (a restart): followed once */
	struct tca_dec *d = NULL;
	for (uint32_t i = 0; i < c->p.max_decisions; i++)
		if (!c->decs[i].used) {
			d = &c->decs[i];
			if (i >= c->dec_hi)
				c->dec_hi = i + 1;
			break;
		}
	if (!d) {
		c->n.decisions_not_followed++;
		return;
	}
	memset(d, 0, sizeof(*d));
	d->used = 1;
	d->decision_id = decision_id;
	d->t_ns = t_ns;
	c->n.decisions++;
	if (t_ns == TCA_NONE) {
		d->resolved = 1; /* no market time: no arrival mid */
		return;
	}
	if (c->last_t != TCA_NONE && t_ns < c->last_t) {
		dec_resolve(c, d); /* the market passed it already */
		return;
	}
	if (t_ns < c->dec_due)
		c->dec_due = t_ns;
	if (t_ns < c->next_due)
		c->next_due = t_ns;
}

void tca_on_order_end(struct tca *c, uint64_t decision_id)
{
	struct tca_dec *d = dec_find(c, decision_id);
	if (!d)
		return;
	d->used = 0;
	while (c->dec_hi && !c->decs[c->dec_hi - 1].used)
		c->dec_hi--;
}

/* ------------------------------------------------------------ rows */

/* signed ticks as a price difference in the instrument's unit */
static void ticks_text(const struct instrument *in, int64_t ticks, char *buf, size_t n)
{
	int64_t pts;
	if (__builtin_mul_overflow(ticks, in->tick_pts, &pts))
		snprintf(buf, n, "?");
	else
		instr_pts_format(in, pts, buf, n);
}

/* a mid of x2 ticks (bid + ask): half of it, a half of the last digit kept
 * as a trailing 5 (as equity.csv writes its mark) */
static void mid_text(const struct instrument *in, int64_t x2, char *buf, size_t n)
{
	int64_t v;
	if (__builtin_mul_overflow(x2, in->tick_pts, &v) || v < 0) {
		snprintf(buf, n, "?");
		return;
	}
	char t[48];
	instr_pts_format(in, v / 2, t, sizeof(t));
	if (snprintf(buf, n, "%s%s", t, v % 2 == 0 ? "" : in->price_decimals ? "5" : ".5") < 0)
		buf[0] = '\0';
}

/* d (p - a) x qty x tick value, where a = a_x2 / 2: half of an exact
 * integer, rounded half away from zero (odd only when the tick value in
 * nano-units is odd) */
static int64_t shortfall_e9(const struct instrument *in, int side, int64_t px, int64_t a_x2,
			    int32_t qty)
{
	i128 v = (i128)side * (2 * (i128)px - a_x2) * qty * in->tick_value_e9;
	v = v >= 0 ? (v + 1) / 2 : -((-v + 1) / 2);
	return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

static void lat_text(int64_t a, int64_t b, char *buf, size_t n)
{
	buf[0] = '\0';
	if (a != TCA_NONE && b != TCA_NONE)
		snprintf(buf, n, "%" PRId64, b - a);
}

static void write_row(struct tca *c, const struct tca_pend *p)
{
	const struct tca_fill *f = &p->f;
	const struct instrument *in = &c->in;
	int d = f->side > 0 ? 1 : -1;
	int64_t p2 = 2 * f->px;
	c->n.rows++;
	char px[48], arr[48] = "", mid[48] = "", eff[48] = "", real[TCA_HORIZONS][48],
	     imp[TCA_HORIZONS][48], sf[40] = "", l0[24], l1[24], l2[24], dec[24] = "";
	if (p->arrival_x2) {
		mid_text(in, p->arrival_x2, arr, sizeof(arr));
		int64_t s = shortfall_e9(in, d, f->px, p->arrival_x2, f->qty);
		instr_money_format(s, sf, sizeof(sf));
		c->n.with_arrival++;
		c->sum.shortfall_e9 += s;
	}
	if (p->fill_x2) {
		int64_t e = d * (p2 - p->fill_x2);
		mid_text(in, p->fill_x2, mid, sizeof(mid));
		ticks_text(in, e, eff, sizeof(eff));
		c->n.with_mid++;
		c->sum.effective_ticks += e;
	}
	for (int k = 0; k < TCA_HORIZONS; k++) {
		real[k][0] = imp[k][0] = '\0';
		if (!p->h_x2[k])
			continue;
		int64_t r = d * (p2 - p->h_x2[k]);
		ticks_text(in, r, real[k], sizeof(real[k]));
		c->n.with_horizon[k]++;
		c->sum.realized_ticks[k] += r;
		if (!p->fill_x2)
			continue;
		int64_t i = d * (p->h_x2[k] - p->fill_x2);
		ticks_text(in, i, imp[k], sizeof(imp[k]));
		c->n.with_impact[k]++;
		c->sum.impact_ticks[k] += i;
	}
	if (!c->out)
		return;
	if (f->decision_id)
		snprintf(dec, sizeof(dec), "%" PRIu64, f->decision_id);
	int64_t pts;
	if (instr_ticks_to_pts(in, f->px, &pts) < 0)
		snprintf(px, sizeof(px), "?");
	else
		instr_pts_format(in, pts, px, sizeof(px));
	lat_text(p->dec_ns, f->sent_ns, l0, sizeof(l0));
	lat_text(f->sent_ns, f->ack_ns, l1, sizeof(l1));
	lat_text(f->ack_ns, f->t_ns, l2, sizeof(l2));
	char line[1024];
	snprintf(line, sizeof(line),
		 "%" PRIu64 ",%" PRId64 ",%" PRIu64 ",%s,%s,%" PRId32 ",%s,%s,%s,%s,%s,%s,%s,%s,"
		 "%s,%s,%s,%s,%s,%s,%s\n",
		 f->fill_id, f->t_ns, f->client_order_id, dec, d > 0 ? "buy" : "sell", f->qty, px,
		 f->taker ? "taker" : "maker", arr, mid, eff, real[0], real[1], real[2], imp[0],
		 imp[1], imp[2], sf, l0, l1, l2);
	put(c, line);
}

/* ------------------------------------------------------------ the queue */

static struct tca_pend *pend_at(const struct tca *c, uint64_t i)
{
	return &c->pend[i % c->p.max_fills];
}

static void set_next_due(struct tca *c)
{
	int64_t due = c->dec_due;
	for (int k = 0; k < TCA_HORIZONS; k++)
		if (c->cur[k] < c->tail) {
			int64_t t = pend_at(c, c->cur[k])->f.t_ns + tca_horizon_ns[k];
			if (t < due)
				due = t;
		}
	c->next_due = due;
}

static void write_done(struct tca *c)
{
	while (c->head < c->tail && c->head < c->cur[0] && c->head < c->cur[1] &&
	       c->head < c->cur[2]) {
		write_row(c, pend_at(c, c->head));
		c->head++;
	}
}

void tca_on_market(struct tca *c, int64_t t_ns, int64_t mid_x2)
{
	if (c->last_t != TCA_NONE && t_ns < c->last_t)
		t_ns = c->last_t;
	if (mid_x2)
		hist_push(c, t_ns, mid_x2);
	c->last_t = t_ns;
	if (DM_LIKELY(t_ns <= c->next_due))
		return;
	/* the market passed something: every lookup below is of a time
	 * earlier than t_ns, whose events have all come */
	if (t_ns > c->dec_due)
		dec_resolve_due(c, t_ns);
	for (int k = 0; k < TCA_HORIZONS; k++)
		while (c->cur[k] < c->tail) {
			struct tca_pend *p = pend_at(c, c->cur[k]);
			int64_t due = p->f.t_ns + tca_horizon_ns[k];
			if (due >= t_ns)
				break;
			p->h_x2[k] = mid_at(c, due);
			c->cur[k]++;
		}
	write_done(c);
	set_next_due(c);
}

void tca_on_fill(struct tca *c, const struct tca_fill *f)
{
	if (c->tail - c->head >= c->p.max_fills) {
		/* full: the oldest row now, its unknown horizons empty */
		c->n.cut_short++;
		write_row(c, pend_at(c, c->head));
		c->head++;
		for (int k = 0; k < TCA_HORIZONS; k++)
			if (c->cur[k] < c->head)
				c->cur[k] = c->head;
	}
	struct tca_pend *p = pend_at(c, c->tail);
	memset(p, 0, sizeof(*p));
	p->f = *f;
	p->dec_ns = TCA_NONE;
	if (f->decision_id) {
		struct tca_dec *d = dec_find(c, f->decision_id);
		if (d) {
			/* every event up to the fill, so up to the decision, has
			 * come: an unresolved decision resolves now */
			if (!d->resolved)
				dec_resolve(c, d);
			p->dec_ns = d->t_ns;
			p->arrival_x2 = d->mid_x2;
		} else {
			c->n.no_decision++;
		}
	}
	p->fill_x2 = mid_at(c, f->t_ns);
	c->tail++;
	set_next_due(c);
}

int tca_finish(struct tca *c)
{
	for (uint64_t i = c->head; i < c->tail; i++) {
		struct tca_pend *p = pend_at(c, i);
		for (int k = 0; k < TCA_HORIZONS; k++) {
			if (i < c->cur[k])
				continue;
			int64_t due = p->f.t_ns + tca_horizon_ns[k];
			/* every event has come: a horizon at or before the last
			 * one is known, a later one is not */
			p->h_x2[k] = c->last_t != TCA_NONE && due <= c->last_t ? mid_at(c, due) : 0;
		}
		write_row(c, p);
	}
	c->head = c->tail;
	for (int k = 0; k < TCA_HORIZONS; k++)
		c->cur[k] = c->tail;
	c->next_due = INT64_MAX;
	if (c->out && fflush(c->out) == EOF && !c->err)
		c->err = -EIO;
	return c->err;
}

/* ------------------------------------------------------------ aggregate */

static double mean_px(const struct tca *c, int64_t sum_ticks, uint64_t n)
{
	if (!n)
		return NAN;
	return (double)sum_ticks * (double)c->in.tick_pts / (double)c->in.pts_scale / (double)n;
}

void tca_result(const struct tca *c, struct tca_result *r)
{
	memset(r, 0, sizeof(*r));
	r->count = c->n.rows;
	r->effective_spread = mean_px(c, c->sum.effective_ticks, c->n.with_mid);
	for (int k = 0; k < TCA_HORIZONS; k++) {
		r->realized_spread[k] = mean_px(c, c->sum.realized_ticks[k], c->n.with_horizon[k]);
		r->impact[k] = mean_px(c, c->sum.impact_ticks[k], c->n.with_impact[k]);
	}
	r->shortfall_e9 = c->sum.shortfall_e9;
	r->shortfall = (double)c->sum.shortfall_e9 / 1e9;
}

static json_t *real_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *tca_summary_json(const struct tca *c)
{
	struct tca_result r;
	tca_result(c, &r);
	json_t *j = json_object();
	char key[40];
	json_object_set_new(j, "count", json_integer((json_int_t)r.count));
	json_object_set_new(j, "effective_spread", real_or_null(r.effective_spread));
	for (int k = 0; k < TCA_HORIZONS; k++) {
		snprintf(key, sizeof(key), "realized_spread_%s", h_name[k]);
		json_object_set_new(j, key, real_or_null(r.realized_spread[k]));
	}
	for (int k = 0; k < TCA_HORIZONS; k++) {
		snprintf(key, sizeof(key), "impact_%s", h_name[k]);
		json_object_set_new(j, key, real_or_null(r.impact[k]));
	}
	json_object_set_new(j, "shortfall", json_real(r.shortfall));
	json_object_set_new(j, "shortfall_e9", json_integer((json_int_t)r.shortfall_e9));
	json_object_set_new(j, "with_mid", json_integer((json_int_t)c->n.with_mid));
	for (int k = 0; k < TCA_HORIZONS; k++) {
		snprintf(key, sizeof(key), "with_%s", h_name[k]);
		json_object_set_new(j, key, json_integer((json_int_t)c->n.with_horizon[k]));
	}
	json_object_set_new(j, "with_arrival", json_integer((json_int_t)c->n.with_arrival));
	json_object_set_new(j, "decisions_not_followed",
			    json_integer((json_int_t)c->n.decisions_not_followed));
	json_object_set_new(j, "no_decision", json_integer((json_int_t)c->n.no_decision));
	json_object_set_new(j, "cut_short", json_integer((json_int_t)c->n.cut_short));
	json_object_set_new(j, "history_short", json_integer((json_int_t)c->n.history_short));
	return j;
}
