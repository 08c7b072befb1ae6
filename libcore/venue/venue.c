/*
 * venue.c — the exchange simulator (venue.h; docs/venue.md).
 *
 * Block layout (offsets in struct venue, each 64-byte aligned):
 *
 *   struct venue                 header, book, consumed levels, counters
 *   struct vorder[max_orders]    order table: FREE, OPEN or DONE slots
 *   struct vpend[max_pending]    our messages in flight, arrival order
 *   struct vrep[max_reports]     reports in flight to us, delivery order
 *   struct venue_fill[max_fills] fill log, the newest max_fills
 *   struct venue_lat[max_lat]    latency samples (n_lat used)
 *
 * Open orders are also chained oldest first through slot indexes
 * (rest_first .. rest_last, vorder.next / prev): that chain is time
 * priority among our own orders.  Queues are free-running counters taken
 * modulo their capacity.  Nothing holds a pointer, so the block is
 * position independent.
 *
 * What a step may write (venue_sync relies on it; test_venue checks it by
 * comparing synced copies byte for byte over long random flows):
 *
 *   header      anything (clock, counters, book, consumed levels)
 *   vorder[i]   only while slot i holds an open order, or when it is
 *               taken for a new order (which is then open, or ends at
 *               once); an order that ends gets done_seq = ++v->done_seq.
 *               A finished (DONE) slot is never written until reused, a
 *               FREE slot never until taken.  So every slot written since
 *               an earlier state E is now OPEN, or DONE with done_seq >
 *               E.done_seq; with done_seq unchanged, only OPEN slots (all
 *               in the open chain between calls) can have changed.
 *   vpend[k]    written once, by the push that makes entry k = pend_head
 *               (slot k % max_pending); never again until entry
 *               k + max_pending reuses the slot.  Popping reads.
 *   vrep[k]     the same with rep_head; venue_poll reads.
 *   fill k      the same with n_fills (slot k % max_fills).
 *   lat[]       written by venue_init only.
 *
 * All the counters above only grow.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libcore/venue/venue.h"

#define NIL UINT32_MAX

enum vo_state { VO_FREE = 0, VO_OPEN = 1, VO_DONE = 2 };
enum vp_kind { VP_ORDER = 1, VP_CANCEL = 2 };

struct vorder {
	uint64_t coid, venue_order_id;
	int64_t  px;         /* limit ticks; 0 market */
	int64_t  q_ahead;    /* contracts x VENUE_Q_SCALE ahead; -1 = never seen */
	int64_t  lvl_qty;    /* displayed size at px last seen, less prints since */
	int64_t  fill_value; /* sum px * qty */
	int64_t  fee_e9;
	int64_t  arrive_ns, done_ns;
	int64_t  resp_ns;    /* response latency of the reports it causes */
	int64_t  ingress_ns; /* msg_order.hdr.ingress_ns */
	uint64_t done_seq;   /* v->done_seq when it ended: oldest reused first */
	int32_t  qty, cum_qty;
	int8_t   side;
	uint8_t  ord_type, tif, status;
	uint16_t reason;
	uint8_t  state;      /* enum vo_state */
	uint8_t  listed;     /* 1 while in the open chain */
	uint32_t next, prev; /* open chain, NIL at the ends */
};

struct vpend {
	int64_t  at_ns;      /* arrival at the venue */
	int64_t  resp_ns;
	int64_t  ingress_ns;
	uint64_t coid, replaces;
	int64_t  px;
	int32_t  qty;
	int8_t   side;
	uint8_t  ord_type, tif, kind;
	uint32_t instrument, pad;
};

struct vrep {
	int64_t deliver_ns;
	int64_t pad;
	struct msg_exec_report r;
};

static size_t align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

static uint32_t layout_hash(void)
{
	/* FNV-1a over the record sizes and the constants the block depends on */
	const uint64_t parts[] = {
		sizeof(struct venue), sizeof(struct vorder), sizeof(struct vpend),
		sizeof(struct vrep), sizeof(struct venue_fill), sizeof(struct venue_lat),
		sizeof(struct book), sizeof(struct msg_exec_report), EV_MAX_LEVELS,
		VENUE_Q_SCALE,
	};
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (int b = 0; b < 8; b++) {
			h ^= (uint8_t)(parts[i] >> (8 * b));
			h *= 16777619u;
		}
	return h;
}

static struct vorder *ords(struct venue *v)
{
	return (struct vorder *)((char *)v + v->off_orders);
}

static const struct vorder *cords(const struct venue *v)
{
	return (const struct vorder *)((const char *)v + v->off_orders);
}

static struct vpend *pends(struct venue *v)
{
	return (struct vpend *)((char *)v + v->off_pending);
}

static struct vrep *reps(struct venue *v)
{
	return (struct vrep *)((char *)v + v->off_reports);
}

static struct venue_fill *fills(struct venue *v)
{
	return (struct venue_fill *)((char *)v + v->off_fills);
}

static struct venue_lat *lats(struct venue *v)
{
	return (struct venue_lat *)((char *)v + v->off_lat);
}

/* ------------------------------------------------------------ configuration */

const char *venue_reason_name(uint32_t r)
{
	switch (r) {
	case VENUE_R_NONE:             return "none";
	case VENUE_R_BAD_SIDE:         return "bad_side";
	case VENUE_R_BAD_QTY:          return "bad_qty";
	case VENUE_R_BAD_PRICE:        return "bad_price";
	case VENUE_R_BAD_TYPE:         return "bad_type";
	case VENUE_R_BAD_TIF:          return "bad_tif";
	case VENUE_R_INSTRUMENT:       return "instrument";
	case VENUE_R_BAD_ID:           return "bad_id";
	case VENUE_R_NO_BOOK:          return "no_book";
	case VENUE_R_TABLE_FULL:       return "table_full";
	case VENUE_R_REPLACE_TARGET: return "replace_target";
	case VENUE_R_BROKER: return "broker";
	case VENUE_R_REQUESTED:        return "requested";
	case VENUE_R_IOC:              return "ioc";
	case VENUE_R_FOK:              return "fok";
	case VENUE_R_REPLACED:         return "replaced";
	case VENUE_R_CXL_UNKNOWN:      return "cxl_unknown";
	case VENUE_R_CXL_TOO_LATE:     return "cxl_too_late";
	default:                       return "?";
	}
}

void venue_cfg_default(struct venue_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->feed_latency_us = VENUE_DEF_FEED_US;
	c->entry_latency_us = VENUE_DEF_ENTRY_US;
	c->response_latency_us = VENUE_DEF_RESPONSE_US;
	c->fee_per_lot_e6 = VENUE_DEF_FEE_E6;
	c->max_orders = VENUE_DEF_MAX_ORDERS;
	c->max_pending = VENUE_DEF_MAX_PENDING;
	c->max_reports = VENUE_DEF_MAX_REPORTS;
	c->max_fills = VENUE_DEF_MAX_FILLS;
	c->max_latency_samples = VENUE_DEF_MAX_LAT;
	strcpy(c->currency, VENUE_DEF_CURRENCY);
}

#define FEE_MAX_E6 1000000000ll /* 1000 a lot: surely a typo beyond */

int venue_cfg_check(const struct venue_cfg *c, char *err, size_t errlen)
{
	const struct { const char *name; uint32_t val; } caps[] = {
		{ "max_orders", c->max_orders },
		{ "max_pending", c->max_pending },
		{ "max_reports", c->max_reports },
		{ "max_fills", c->max_fills },
		{ "max_latency_samples", c->max_latency_samples },
	};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (caps[i].val < 1 || caps[i].val > VENUE_MAX_SLOTS) {
			if (err && errlen)
				snprintf(err, errlen, "venue.%s: %u out of range [1, %u]",
					 caps[i].name, caps[i].val, VENUE_MAX_SLOTS);
			return -DM_ECONFIG;
		}
	if (c->fee_per_lot_e6 < 0 || c->fee_per_lot_e6 > FEE_MAX_E6) {
		if (err && errlen)
			snprintf(err, errlen, "venue.fee_per_lot_e6: %lld out of "
				 "range [0, %lld]", (long long)c->fee_per_lot_e6,
				 FEE_MAX_E6);
		return -DM_ECONFIG;
	}
	if (!memchr(c->latency_file, 0, sizeof(c->latency_file))) {
		if (err && errlen)
			snprintf(err, errlen, "venue.latency_file: not NUL-terminated "
				 "(at most %d bytes)", VENUE_PATH_MAX - 1);
		return -DM_ECONFIG;
	}
	return 0;
}

/* Offsets of the arrays for c; returns the block size. */
static size_t plan(const struct venue_cfg *c, uint64_t off[5])
{
	size_t at = align64(sizeof(struct venue));
	const size_t sz[5] = {
		(size_t)c->max_orders * sizeof(struct vorder),
		(size_t)c->max_pending * sizeof(struct vpend),
		(size_t)c->max_reports * sizeof(struct vrep),
		(size_t)c->max_fills * sizeof(struct venue_fill),
		(size_t)c->max_latency_samples * sizeof(struct venue_lat),
	};
	for (int i = 0; i < 5; i++) {
		off[i] = at;
		at += align64(sz[i]);
	}
	return at;
}

size_t venue_memsize(const struct venue_cfg *c)
{
	uint64_t off[5];
	if (venue_cfg_check(c, NULL, 0) < 0)
		return 0;
	return plan(c, off);
}

/* ------------------------------------------------------------ latency file */

/* Reads [0-9]+ at *s into *out (< 2^32); 0, or -1 no digits, -2 too big. */
static int parse_u32(const char **s, uint32_t *out)
{
	const char *p = *s;
	uint64_t x = 0;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > UINT32_MAX)
			return -2;
		p++;
	}
	*s = p;
	*out = (uint32_t)x;
	return 0;
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int is_eol(char ch)
{
	return ch == 0 || ch == '\n' || ch == '\r';
}

/* One field: 0, or -1 not a number, -2 too big, -4 missing. */
static int parse_field(const char **s, uint32_t *out)
{
	if (is_eol(**s))
		return -4;
	int k = parse_u32(s, out);
	if (k == 0 && !is_blank(**s) && !is_eol(**s))
		k = -1; /* "12abc", "1.5" */
	return k;
}

int venue_lat_parse(const char *path, struct venue_lat *out, uint32_t max,
		    uint32_t *n, char *err, size_t errlen)
{
	char line[256];
	uint32_t got = 0;
	unsigned long lineno = 0;
	int rc = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		rc = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		lineno++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' && !feof(f)) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%lu: line longer than %zu bytes",
					 path, lineno, sizeof(line) - 2);
			rc = -DM_ECONFIG;
			goto close;
		}
		const char *p = line;
		while (is_blank(*p))
			p++;
		if (is_eol(*p) || *p == '#')
			continue;
		uint32_t e = 0, r = 0;
		const char *field = "entry_us";
		int k = parse_field(&p, &e);
		if (k == 0) {
			while (is_blank(*p))
				p++;
			field = "response_us";
			k = parse_field(&p, &r);
		}
		if (k == 0) {
			while (is_blank(*p))
				p++;
			if (!is_eol(*p))
				k = -3;
		}
		if (k < 0) {
			static const char *const what[] = {
				"", "not a number", "value too large", "extra text after it",
				"missing",
			};
			line[strcspn(line, "\r\n")] = 0;
			if (err && errlen)
				snprintf(err, errlen, "%s:%lu: %s: %s (expected 'entry_us "
					 "response_us', two integers in [0, %u]): '%.40s'",
					 path, lineno, field, what[-k], UINT32_MAX, line);
			rc = -DM_ECONFIG;
			goto close;
		}
		if (got == max) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%lu: more than %u samples (raise "
					 "venue.max_latency_samples)", path, lineno, max);
			rc = -DM_ECONFIG;
			goto close;
		}
		out[got].entry_us = e;
		out[got].response_us = r;
		got++;
	}
	if (ferror(f)) {
		rc = -EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: read error", path);
		goto close;
	}
	if (got == 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: no latency samples", path);
		rc = -DM_ECONFIG;
		goto close;
	}
	*n = got;
close:
	fclose(f);
	return rc;
}

/* ------------------------------------------------------------ lifecycle */

int venue_init(struct venue *v, size_t size, const struct venue_cfg *c,
	       char *err, size_t errlen)
{
	uint64_t off[5];
	uint32_t n_lat = 0;
	int rc = venue_cfg_check(c, err, errlen);

	if (rc < 0)
		return rc;
	if ((uintptr_t)v % 8)
		return -EINVAL;
	size_t need = plan(c, off);
	if (size >= sizeof(*v))
		v->magic = 0; /* from here on, a failure leaves no venue behind */
	if (size < need) {
		if (err && errlen)
			snprintf(err, errlen, "venue: block of %zu bytes, needs %zu",
				 size, need);
		return -DM_ESIZE;
	}
	if (c->latency_file[0]) {
		/* parse straight into the block's sample area */
		struct venue_lat *lat = (struct venue_lat *)((char *)v + off[4]);
		rc = venue_lat_parse(c->latency_file, lat, c->max_latency_samples,
				     &n_lat, err, errlen);
		if (rc < 0)
			return rc;
	}
	memset(v, 0, off[4]); /* everything before the samples */
	v->version = VENUE_VERSION;
	v->layout = layout_hash();
	v->size = need;
	v->cfg = *c;
	v->off_orders = off[0];
	v->off_pending = off[1];
	v->off_reports = off[2];
	v->off_fills = off[3];
	v->off_lat = off[4];
	v->n_lat = n_lat;
	v->rest_first = v->rest_last = NIL;
	book_init(&v->book, EV_MAX_LEVELS);
	v->magic = VENUE_MAGIC;
	return 0;
}

int venue_attach(const struct venue *v, size_t size)
{
	if (size < sizeof(*v) || v->magic != VENUE_MAGIC)
		return -DM_EMAGIC;
	if (v->version != VENUE_VERSION)
		return -DM_EVERSION;
	if (v->layout != layout_hash())
		return -DM_ELAYOUT;
	uint64_t off[5];
	if (venue_cfg_check(&v->cfg, NULL, 0) < 0)
		return -DM_ECORRUPT;
	size_t need = plan(&v->cfg, off);
	if (v->size != need || size < need || v->off_orders != off[0] ||
	    v->off_pending != off[1] || v->off_reports != off[2] ||
	    v->off_fills != off[3] || v->off_lat != off[4])
		return -DM_ESIZE;
	return 0;
}

/* ------------------------------------------------------------ copies */

size_t venue_copy(struct venue *dst, const struct venue *src)
{
	memcpy(dst, src, src->size);
	return src->size;
}

/* n records of rsize bytes from free-running index from on, in a ring of
 * cap records at offset off of both blocks; returns the bytes copied */
static size_t ring_copy(struct venue *dst, const struct venue *src, uint64_t off, size_t rsize,
			uint64_t cap, uint64_t from, uint64_t n)
{
	if (n > cap) {
		from += n - cap;
		n = cap;
	}
	uint64_t at = from % cap;
	uint64_t first = n < cap - at ? n : cap - at;
	memcpy((char *)dst + off + at * rsize, (const char *)src + off + at * rsize,
	       first * rsize);
	if (n > first)
		memcpy((char *)dst + off, (const char *)src + off, (n - first) * rsize);
	return n * rsize;
}

/* dst can be an earlier state of src: the same venue, no counter ahead */
static int earlier_state(const struct venue *dst, const struct venue *src)
{
	return dst->magic == VENUE_MAGIC && dst->layout == src->layout &&
	       dst->size == src->size && dst->off_lat == src->off_lat &&
	       dst->n_lat == src->n_lat && dst->pend_head <= src->pend_head &&
	       dst->rep_head <= src->rep_head && dst->n_fills <= src->n_fills &&
	       dst->done_seq <= src->done_seq &&
	       dst->next_venue_order_id <= src->next_venue_order_id;
}

size_t venue_sync(struct venue *dst, const struct venue *src)
{
	if (!earlier_state(dst, src))
		return venue_copy(dst, src);
	const struct venue_cfg *c = &src->cfg;
	const struct vorder *so = cords(src);
	struct vorder *d = ords(dst);
	uint64_t done_seq = dst->done_seq;
	size_t n = 0;

	/* order slots: the open ones, and those that ended since dst (found by
	 * a scan that stops once it has seen as many as ended) */
	for (uint32_t i = src->rest_first; i != NIL; i = so[i].next) {
		d[i] = so[i];
		n += sizeof(*d);
	}
	uint64_t ended = src->done_seq - done_seq;
	for (uint32_t i = 0; ended && i < c->max_orders; i++)
		if (so[i].state == VO_DONE && so[i].done_seq > done_seq) {
			d[i] = so[i];
			n += sizeof(*d);
			ended--;
		}
	/* the records pushed since dst, whether still queued or not */
	n += ring_copy(dst, src, src->off_pending, sizeof(struct vpend), c->max_pending,
		       dst->pend_head, src->pend_head - dst->pend_head);
	n += ring_copy(dst, src, src->off_reports, sizeof(struct vrep), c->max_reports,
		       dst->rep_head, src->rep_head - dst->rep_head);
	n += ring_copy(dst, src, src->off_fills, sizeof(struct venue_fill), c->max_fills,
		       dst->n_fills, src->n_fills - dst->n_fills);
	/* the header last: the counters above were dst's */
	memcpy(dst, src, sizeof(*dst));
	return n + sizeof(*dst);
}

/* ------------------------------------------------------------ reports */

/* Queue one report of a venue event at t; delivered at t + resp, never
 * before an earlier report. */
static void rep_push(struct venue *v, const struct msg_exec_report *r,
		     int64_t t, int64_t resp_ns)
{
	if (v->rep_head - v->rep_tail >= v->cfg.max_reports) {
		v->stats.reports_dropped++;
		return;
	}
	int64_t due = t + resp_ns;
	if (due < v->last_deliver_ns)
		due = v->last_deliver_ns;
	v->last_deliver_ns = due;
	struct vrep *q = &reps(v)[v->rep_head % v->cfg.max_reports];
	q->deliver_ns = due;
	q->pad = 0;
	q->r = *r;
	v->rep_head++;
}

static void rep_init(struct msg_exec_report *r, uint8_t status, uint16_t reason,
		     int64_t t, int64_t ingress_ns)
{
	memset(r, 0, sizeof(*r));
	r->hdr.type = MSG_EXEC_REPORT;
	r->hdr.version = MSG_VERSION;
	r->hdr.size = sizeof(*r);
	r->hdr.ingress_ns = ingress_ns;
	r->status = status;
	r->reason = reason;
	r->venue_ns = t;
}

/* A report about order o as it now stands. */
static void rep_order(struct venue *v, const struct vorder *o, uint8_t status,
		      uint16_t reason, int64_t t, int64_t ingress_ns, int64_t resp_ns)
{
	struct msg_exec_report r;
	rep_init(&r, status, reason, t, ingress_ns);
	r.client_order_id = o->coid;
	r.venue_order_id = o->venue_order_id;
	r.side = o->side;
	r.cum_qty = o->cum_qty;
	r.leaves_qty = o->state == VO_OPEN ? o->qty - o->cum_qty : 0;
	rep_push(v, &r, t, resp_ns);
}

int venue_poll(struct venue *v, int64_t now_ns, struct msg_exec_report *out)
{
	if (v->rep_tail == v->rep_head)
		return 0;
	const struct vrep *q = &reps(v)[v->rep_tail % v->cfg.max_reports];
	if (q->deliver_ns > now_ns)
		return 0;
	*out = q->r;
	v->rep_tail++;
	return 1;
}

int64_t venue_next_report_ns(const struct venue *v)
{
	if (v->rep_tail == v->rep_head)
		return INT64_MAX;
	const struct vrep *q = (const struct vrep *)((const char *)v + v->off_reports);
	return q[v->rep_tail % v->cfg.max_reports].deliver_ns;
}

int venue_owes(const struct venue *v, uint64_t coid)
{
	const struct vpend *p = (const struct vpend *)((const char *)v + v->off_pending);
	for (uint64_t i = v->pend_tail; i != v->pend_head; i++)
		if (p[i % v->cfg.max_pending].coid == coid)
			return 1;
	const struct vrep *q = (const struct vrep *)((const char *)v + v->off_reports);
	for (uint64_t i = v->rep_tail; i != v->rep_head; i++)
		if (q[i % v->cfg.max_reports].r.client_order_id == coid)
			return 1;
	return 0;
}

int64_t venue_next_arrival_ns(const struct venue *v)
{
	if (v->pend_tail == v->pend_head)
		return INT64_MAX;
	const struct vpend *p = (const struct vpend *)((const char *)v + v->off_pending);
	return p[v->pend_tail % v->cfg.max_pending].at_ns;
}

/* ------------------------------------------------------------ order table */

static uint32_t find(const struct venue *v, uint64_t coid)
{
	const struct vorder *o = cords(v);
	if (!coid)
		return NIL;
	for (uint32_t i = 0; i < v->cfg.max_orders; i++)
		if (o[i].state != VO_FREE && o[i].coid == coid)
			return i;
	return NIL;
}

/* A slot for a new order: a free one, else the one that ended first. */
static uint32_t pick_slot(const struct venue *v)
{
	const struct vorder *o = cords(v);
	uint32_t best = NIL;
	for (uint32_t i = 0; i < v->cfg.max_orders; i++) {
		if (o[i].state == VO_FREE)
			return i;
		if (o[i].state == VO_DONE &&
		    (best == NIL || o[i].done_seq < o[best].done_seq))
			best = i;
	}
	return best;
}

static void chain_append(struct venue *v, uint32_t i)
{
	struct vorder *o = ords(v);
	o[i].next = NIL;
	o[i].prev = v->rest_last;
	if (v->rest_last != NIL)
		o[v->rest_last].next = i;
	else
		v->rest_first = i;
	v->rest_last = i;
	o[i].listed = 1;
	v->n_open++;
}

static void chain_remove(struct venue *v, uint32_t i)
{
	struct vorder *o = ords(v);
	if (o[i].prev != NIL)
		o[o[i].prev].next = o[i].next;
	else
		v->rest_first = o[i].next;
	if (o[i].next != NIL)
		o[o[i].next].prev = o[i].prev;
	else
		v->rest_last = o[i].prev;
	o[i].next = o[i].prev = NIL;
	o[i].listed = 0;
	v->n_open--;
}

/* Order o ends with status at t. */
static void finish(struct venue *v, uint32_t i, uint8_t status, uint16_t reason,
		   int64_t t)
{
	struct vorder *o = &ords(v)[i];
	if (o->listed)
		chain_remove(v, i);
	o->state = VO_DONE;
	o->status = status;
	o->reason = reason;
	o->done_ns = t;
	o->done_seq = ++v->done_seq;
}

static void cancel_open(struct venue *v, uint32_t i, uint16_t reason, int64_t t,
			int64_t ingress_ns, int64_t resp_ns)
{
	finish(v, i, EXEC_CANCELLED, reason, t);
	v->stats.cancels++;
	rep_order(v, &ords(v)[i], EXEC_CANCELLED, reason, t, ingress_ns, resp_ns);
}

/* ------------------------------------------------------------ book helpers */

static int opp_side(int8_t side)
{
	return side > 0 ? BOOK_ASK : BOOK_BID;
}

static int own_side(int8_t side)
{
	return side > 0 ? BOOK_BID : BOOK_ASK;
}

/* 1 if px on book side s is at or better than ref for that side. */
static int at_or_better(int s, int64_t px, int64_t ref)
{
	return s == BOOK_BID ? px >= ref : px <= ref;
}

/*
 * Displayed size at px on side s: the level's size, 0 when px lies within
 * or better than the displayed levels but is not one of them (or the side
 * is empty), -1 when px is worse than the last displayed level (unknown).
 */
static int64_t shown_at(const struct book *b, int s, int64_t px)
{
	uint32_t n = b->n[s];
	for (uint32_t i = 0; i < n; i++) {
		if (b->level[s][i].px == px)
			return b->level[s][i].qty;
		if (!at_or_better(s, b->level[s][i].px, px))
			return 0; /* passed it: an empty price inside the book */
	}
	return n ? -1 : 0;
}

static struct venue_consumed *consumed_find(struct venue *v, int s, int64_t px)
{
	for (uint32_t k = 0; k < v->n_consumed[s]; k++)
		if (v->consumed[s][k].px == px)
			return &v->consumed[s][k];
	return NULL;
}

static int64_t consumed_at(struct venue *v, int s, int64_t px)
{
	const struct venue_consumed *c = consumed_find(v, s, px);
	return c ? c->qty : 0;
}

static void consume(struct venue *v, int s, int64_t px, int64_t qty)
{
	struct venue_consumed *c = consumed_find(v, s, px);
	if (!c) {
		/* every entry is a displayed level of side s, so there is room */
		if (v->n_consumed[s] >= EV_MAX_LEVELS)
			return;
		c = &v->consumed[s][v->n_consumed[s]++];
		c->px = px;
		c->qty = 0;
	}
	c->qty += qty;
}

/* After a book update: consumed = min(consumed, displayed); forget levels
 * that emptied or left the displayed depth. */
static void consumed_refresh(struct venue *v)
{
	for (int s = 0; s < 2; s++) {
		uint32_t w = 0;
		for (uint32_t k = 0; k < v->n_consumed[s]; k++) {
			struct venue_consumed c = v->consumed[s][k];
			int64_t shown = shown_at(&v->book, s, c.px);
			if (shown <= 0)
				continue;
			if (c.qty > shown)
				c.qty = shown;
			v->consumed[s][w++] = c;
		}
		v->n_consumed[s] = w;
	}
}

/* Best price on side s with unconsumed displayed size; the side's empty
 * sentinel if none. */
static int64_t best_available(struct venue *v, int s)
{
	for (uint32_t i = 0; i < v->book.n[s]; i++) {
		const struct book_level *l = &v->book.level[s][i];
		if (l->qty - consumed_at(v, s, l->px) > 0)
			return l->px;
	}
	return s == BOOK_BID ? BOOK_NO_BID : BOOK_NO_ASK;
}

/* Take up to qty of the unconsumed size on side s at prices at or better
 * than limit, best first. */
static void consume_upto(struct venue *v, int s, int64_t limit, int64_t qty)
{
	for (uint32_t i = 0; i < v->book.n[s] && qty > 0; i++) {
		const struct book_level *l = &v->book.level[s][i];
		if (!at_or_better(s, l->px, limit))
			break;
		int64_t avail = l->qty - consumed_at(v, s, l->px);
		if (avail <= 0)
			continue;
		int64_t q = avail < qty ? avail : qty;
		consume(v, s, l->px, q);
		qty -= q;
	}
}

/* ------------------------------------------------------------ fills */

static int64_t fee_of(const struct venue *v, int32_t qty)
{
	/* currency x 10^9, exact: x 10^6 per lot times 1000.  Beyond int64
	 * (over 2 x 10^6 lots at the largest fee) it saturates. */
	int64_t fee;

	if (__builtin_mul_overflow((int64_t)qty, v->cfg.fee_per_lot_e6 * 1000, &fee))
		return INT64_MAX;
	return fee;
}

/* Fill qty of order i at px at time t; reports PARTIAL or FILLED, and
 * ends the order when nothing is left. */
static void fill(struct venue *v, uint32_t i, int64_t px, int32_t qty, int64_t t,
		 int64_t ingress_ns, uint8_t liq)
{
	struct vorder *o = &ords(v)[i];
	struct venue_fill *f = &fills(v)[v->n_fills % v->cfg.max_fills];
	int64_t fee = fee_of(v, qty);

	o->cum_qty += qty;
	o->fill_value += px * qty;
	o->fee_e9 += fee;
	memset(f, 0, sizeof(*f));
	f->exec_id = ++v->next_exec_id;
	f->client_order_id = o->coid;
	f->venue_order_id = o->venue_order_id;
	f->px = px;
	f->qty = qty;
	f->side = o->side;
	f->liquidity = liq;
	f->fee_e9 = fee;
	f->venue_ns = t;
	v->n_fills++;

	struct venue_totals *tot = &v->totals;
	tot->fills++;
	if (o->side > 0) {
		tot->buy_qty += qty;
		tot->buy_value += px * qty;
	} else {
		tot->sell_qty += qty;
		tot->sell_value += px * qty;
	}
	tot->fee_e9 += fee;
	if (liq == VENUE_LIQ_TAKER)
		v->stats.taker_fills++;
	else
		v->stats.maker_fills++;

	uint8_t status = o->cum_qty == o->qty ? EXEC_FILLED : EXEC_PARTIAL;
	if (status == EXEC_FILLED)
		finish(v, i, EXEC_FILLED, 0, t);
	else
		o->status = EXEC_PARTIAL;

	struct msg_exec_report r;
	rep_init(&r, status, 0, t, ingress_ns);
	r.client_order_id = o->coid;
	r.venue_order_id = o->venue_order_id;
	r.side = o->side;
	r.exec_id = f->exec_id;
	r.last_px = px;
	r.last_qty = qty;
	r.cum_qty = o->cum_qty;
	r.leaves_qty = o->qty - o->cum_qty;
	r.fee_e9 = fee;
	r.liquidity = liq;
	rep_push(v, &r, t, o->resp_ns);
}

/* ------------------------------------------------------------ arrivals */

static uint16_t order_check(const struct venue *v, const struct vpend *p)
{
	if (p->side != SIDE_BUY && p->side != SIDE_SELL)
		return VENUE_R_BAD_SIDE;
	if (p->qty <= 0)
		return VENUE_R_BAD_QTY;
	if (p->ord_type != ORD_LIMIT && p->ord_type != ORD_MARKET)
		return VENUE_R_BAD_TYPE;
	if (p->tif != TIF_DAY && p->tif != TIF_IOC && p->tif != TIF_FOK)
		return VENUE_R_BAD_TIF;
	if (p->ord_type == ORD_LIMIT && p->px <= 0)
		return VENUE_R_BAD_PRICE;
	if (p->instrument != v->cfg.instrument)
		return VENUE_R_INSTRUMENT;
	return 0;
}

/* 1 if a level at px can trade with order o. */
static int marketable(const struct vorder *o, int64_t px)
{
	if (o->ord_type == ORD_MARKET)
		return 1;
	return o->side > 0 ? px <= o->px : px >= o->px;
}

/* Unconsumed displayed size o could take now. */
static int64_t takeable(struct venue *v, const struct vorder *o)
{
	int s = opp_side(o->side);
	int64_t sum = 0;
	for (uint32_t k = 0; k < v->book.n[s]; k++) {
		const struct book_level *l = &v->book.level[s][k];
		if (!marketable(o, l->px))
			break;
		int64_t avail = l->qty - consumed_at(v, s, l->px);
		if (avail > 0)
			sum += avail;
	}
	return sum;
}

/* The marketable part of order i walks the opposite side, best first,
 * each level at its price. */
static void take(struct venue *v, uint32_t i, int64_t t, int64_t ingress_ns)
{
	struct vorder *o = &ords(v)[i];
	int s = opp_side(o->side);
	for (uint32_t k = 0; k < v->book.n[s] && o->state == VO_OPEN; k++) {
		const struct book_level l = v->book.level[s][k];
		if (!marketable(o, l.px))
			break;
		int64_t avail = l.qty - consumed_at(v, s, l.px);
		if (avail <= 0)
			continue;
		int64_t leaves = o->qty - o->cum_qty;
		int32_t q = (int32_t)(avail < leaves ? avail : leaves);
		consume(v, s, l.px, q);
		fill(v, i, l.px, q, t, ingress_ns, VENUE_LIQ_TAKER);
	}
}

/* Order i rests: it joins the back of its price level. */
static void rest(struct venue *v, uint32_t i)
{
	struct vorder *o = &ords(v)[i];
	int s = own_side(o->side);
	int64_t shown = shown_at(&v->book, s, o->px);
	if (shown < 0) {
		o->q_ahead = -1; /* beyond the displayed depth: set when first seen */
		o->lvl_qty = 0;
	} else {
		int64_t ahead = shown - consumed_at(v, s, o->px);
		o->q_ahead = (ahead > 0 ? ahead : 0) * VENUE_Q_SCALE;
		o->lvl_qty = shown;
	}
	chain_append(v, i);
}

static void reject_unstored(struct venue *v, const struct vpend *p, uint16_t why)
{
	struct msg_exec_report r;
	rep_init(&r, EXEC_REJECTED, why, p->at_ns, p->ingress_ns);
	r.client_order_id = p->coid;
	r.side = p->side;
	v->stats.rejects++;
	rep_push(v, &r, p->at_ns, p->resp_ns);
}

static void arrive_order(struct venue *v, const struct vpend *p)
{
	int64_t t = p->at_ns;

	v->stats.orders++;
	if (p->coid == 0 || find(v, p->coid) != NIL) {
		/* never stored: a second entry would shadow the first */
		reject_unstored(v, p, VENUE_R_BAD_ID);
		return;
	}
	uint16_t why = order_check(v, p);
	if (!why && !v->has_book)
		why = VENUE_R_NO_BOOK;
	if (!why && p->replaces) {
		/* an open order is cancelled; one already cancelled (a replace
		 * chained after its cancel) leaves nothing to do; a filled,
		 * rejected or unknown one must not be replaced */
		uint32_t old = find(v, p->replaces);
		if (old == NIL || (ords(v)[old].state != VO_OPEN &&
				   ords(v)[old].status != EXEC_CANCELLED))
			why = VENUE_R_REPLACE_TARGET;
		else if (ords(v)[old].state == VO_OPEN)
			cancel_open(v, old, VENUE_R_REPLACED, t, p->ingress_ns, p->resp_ns);
	}
	uint32_t i = pick_slot(v);
	if (i == NIL) {
		reject_unstored(v, p, why ? why : VENUE_R_TABLE_FULL);
		return;
	}
	struct vorder *o = &ords(v)[i];
	memset(o, 0, sizeof(*o));
	o->coid = p->coid;
	o->px = p->ord_type == ORD_MARKET ? 0 : p->px;
	o->qty = p->qty;
	o->side = p->side;
	o->ord_type = p->ord_type;
	o->tif = p->tif;
	o->arrive_ns = t;
	o->resp_ns = p->resp_ns;
	o->ingress_ns = p->ingress_ns;
	o->next = o->prev = NIL;
	o->state = VO_OPEN;
	if (why) {
		finish(v, i, EXEC_REJECTED, why, t);
		v->stats.rejects++;
		rep_order(v, o, EXEC_REJECTED, why, t, p->ingress_ns, p->resp_ns);
		return;
	}
	o->venue_order_id = ++v->next_venue_order_id;
	o->status = EXEC_ACK;
	rep_order(v, o, EXEC_ACK, 0, t, p->ingress_ns, p->resp_ns);

	if (o->tif == TIF_FOK && takeable(v, o) < o->qty) {
		cancel_open(v, i, VENUE_R_FOK, t, p->ingress_ns, p->resp_ns);
		return;
	}
	take(v, i, t, p->ingress_ns);
	if (o->state != VO_OPEN)
		return; /* filled */
	if (o->ord_type == ORD_MARKET || o->tif != TIF_DAY)
		cancel_open(v, i, VENUE_R_IOC, t, p->ingress_ns, p->resp_ns);
	else
		rest(v, i);
}

static void reject_cancel(struct venue *v, const struct vpend *p, uint32_t i,
			  uint16_t why)
{
	v->stats.cancel_rejects++;
	if (i != NIL) {
		rep_order(v, &ords(v)[i], EXEC_REJECTED, why, p->at_ns, p->ingress_ns,
			  p->resp_ns);
		return;
	}
	struct msg_exec_report r;
	rep_init(&r, EXEC_REJECTED, why, p->at_ns, p->ingress_ns);
	r.client_order_id = p->coid;
	rep_push(v, &r, p->at_ns, p->resp_ns);
}

static void arrive_cancel(struct venue *v, const struct vpend *p)
{
	int64_t t = p->at_ns;
	if (p->coid == 0) {
		while (v->rest_first != NIL)
			cancel_open(v, v->rest_first, VENUE_R_REQUESTED, t, p->ingress_ns,
				    p->resp_ns);
		return;
	}
	uint32_t i = find(v, p->coid);
	if (i == NIL)
		reject_cancel(v, p, NIL, VENUE_R_CXL_UNKNOWN);
	else if (ords(v)[i].state != VO_OPEN)
		reject_cancel(v, p, i, VENUE_R_CXL_TOO_LATE);
	else
		cancel_open(v, i, VENUE_R_REQUESTED, t, p->ingress_ns, p->resp_ns);
}

/* Run pending messages arriving before limit (or at it, inclusive). */
static void run_pending(struct venue *v, int64_t limit, int inclusive)
{
	while (v->pend_tail != v->pend_head) {
		struct vpend p = pends(v)[v->pend_tail % v->cfg.max_pending];
		if (inclusive ? p.at_ns > limit : p.at_ns >= limit)
			break;
		v->pend_tail++;
		if (p.at_ns > v->now_ns)
			v->now_ns = p.at_ns;
		if (p.kind == VP_ORDER)
			arrive_order(v, &p);
		else
			arrive_cancel(v, &p);
	}
}

/* ------------------------------------------------------------ sending */

static struct vpend *pend_push(struct venue *v, int64_t send_ns, uint8_t kind)
{
	if (v->pend_head - v->pend_tail >= v->cfg.max_pending) {
		v->stats.send_refused++;
		return NULL;
	}
	int64_t entry = (int64_t)v->cfg.entry_latency_us * 1000;
	int64_t resp = (int64_t)v->cfg.response_latency_us * 1000;
	if (v->n_lat) {
		const struct venue_lat *l = &lats(v)[v->lat_next % v->n_lat];
		v->lat_next++;
		entry = (int64_t)l->entry_us * 1000;
		resp = (int64_t)l->response_us * 1000;
	}
	/* one session: never before an earlier message, never in the venue's past */
	int64_t at = send_ns + entry;
	if (at < v->last_arrive_ns)
		at = v->last_arrive_ns;
	if (at < v->now_ns)
		at = v->now_ns;
	v->last_arrive_ns = at;
	struct vpend *p = &pends(v)[v->pend_head % v->cfg.max_pending];
	memset(p, 0, sizeof(*p));
	p->at_ns = at;
	p->resp_ns = resp;
	p->kind = kind;
	v->pend_head++;
	return p;
}

int venue_order_send(struct venue *v, const struct msg_order *o, int64_t send_ns)
{
	struct vpend *p = pend_push(v, send_ns, VP_ORDER);
	if (!p)
		return -DM_EFULL;
	p->ingress_ns = o->hdr.ingress_ns;
	p->coid = o->client_order_id;
	p->replaces = o->replaces;
	p->px = o->px;
	p->qty = o->qty;
	p->side = o->side;
	p->ord_type = o->ord_type;
	p->tif = o->tif;
	p->instrument = o->instrument;
	return 0;
}

int venue_cancel_send(struct venue *v, const struct msg_cancel *c, int64_t send_ns)
{
	struct vpend *p = pend_push(v, send_ns, VP_CANCEL);
	if (!p)
		return -DM_EFULL;
	p->ingress_ns = c->hdr.ingress_ns;
	p->coid = c->client_order_id;
	p->instrument = c->instrument;
	return 0;
}

/* ------------------------------------------------------------ market data */

/* floor(a * b / c) for 0 <= b <= c, c > 0, without overflow */
static int64_t mul_div(int64_t a, int64_t b, int64_t c)
{
	return (int64_t)(((__int128)a * b) / c);
}

/* Queue position of open order i after a book update. */
static void queue_update(struct venue *v, uint32_t i)
{
	struct vorder *o = &ords(v)[i];
	int s = own_side(o->side);
	int64_t shown = shown_at(&v->book, s, o->px);
	if (shown < 0)
		return; /* beyond the displayed depth: nothing learnt */
	if (o->q_ahead < 0) {
		/* first sight of a level we joined out of view: all of it ahead */
		int64_t ahead = shown - consumed_at(v, s, o->px);
		o->q_ahead = (ahead > 0 ? ahead : 0) * VENUE_Q_SCALE;
	} else if (shown < o->lvl_qty) {
		/* size gone without prints: cancellations, spread evenly */
		o->q_ahead -= mul_div(o->q_ahead, o->lvl_qty - shown, o->lvl_qty);
	}
	o->lvl_qty = shown;
	if (o->q_ahead > shown * VENUE_Q_SCALE)
		o->q_ahead = shown * VENUE_Q_SCALE;
}

static void on_book(struct venue *v, const struct book_level *bid, uint32_t nb,
		    const struct book_level *ask, uint32_t na, int64_t exch_ns, int64_t recv_ns,
		    int sorted, int64_t t)
{
	nb = nb < EV_MAX_LEVELS ? nb : EV_MAX_LEVELS;
	na = na < EV_MAX_LEVELS ? na : EV_MAX_LEVELS;
	if (sorted)
		book_apply_snapshot_sorted(&v->book, bid, nb, ask, na, exch_ns, recv_ns);
	else if (book_apply_snapshot(&v->book, bid, nb, ask, na, exch_ns, recv_ns) < 0) {
		v->stats.bad_events++;
		return;
	}
	v->has_book = 1;
	v->stats.books++;
	consumed_refresh(v);
	if (v->rest_first == NIL)
		return; /* no resting order to fill or queue */

	/* the opposite side at or through an order's price fills it; judged on
	 * the book as replayed, before any of these fills consume it */
	int64_t ask_av = best_available(v, BOOK_ASK);
	int64_t bid_av = best_available(v, BOOK_BID);
	struct vorder *o = ords(v);
	for (uint32_t i = v->rest_first, next; i != NIL; i = next) {
		next = o[i].next;
		int crossed = o[i].side > 0 ? ask_av <= o[i].px : bid_av >= o[i].px;
		if (crossed) {
			int32_t q = o[i].qty - o[i].cum_qty;
			consume_upto(v, opp_side(o[i].side), o[i].px, q);
			fill(v, i, o[i].px, q, t, 0, VENUE_LIQ_MAKER);
		} else {
			queue_update(v, i);
		}
	}
}

static void on_trade(struct venue *v, const struct event *ev, int64_t t)
{
	const struct ev_trade *tr = &ev->trade;
	int agg = tr->aggressor;

	v->stats.trades++;
	if (tr->qty <= 0)
		return;
	if (agg == 0) {
		/* unknown aggressor: judge by the side of the book it printed on */
		if (tr->px <= book_best_bid_px(&v->book))
			agg = -1;
		else if (tr->px >= book_best_ask_px(&v->book))
			agg = 1;
		else
			return;
	}
	int8_t hit = agg > 0 ? SIDE_SELL : SIDE_BUY; /* the resting side it hit */
	struct vorder *o = ords(v);
	int64_t ours = 0; /* of this print's volume, what went to our orders */

	/* a print through our price: the whole level traded, we did too */
	for (uint32_t i = v->rest_first, next; i != NIL; i = next) {
		next = o[i].next;
		if (o[i].side != hit ||
		    (hit > 0 ? tr->px >= o[i].px : tr->px <= o[i].px))
			continue;
		int32_t q = o[i].qty - o[i].cum_qty;
		ours += q;
		fill(v, i, o[i].px, q, t, 0, VENUE_LIQ_MAKER);
	}
	if (tr->flags & EV_TRADE_HIDDEN)
		return; /* hidden liquidity: the displayed queue did not move */

	/* a print at our price: the queue ahead first, then us; our orders in
	 * time priority, each after what our earlier ones took */
	for (uint32_t i = v->rest_first, next; i != NIL; i = next) {
		next = o[i].next;
		if (o[i].side != hit || o[i].px != tr->px || o[i].q_ahead < 0)
			continue; /* (never seen its level: no position to move) */
		/* the level shrinks by the print: not a cancellation later */
		o[i].lvl_qty = o[i].lvl_qty > tr->qty ? o[i].lvl_qty - tr->qty : 0;
		int64_t vol = tr->qty > ours ? (tr->qty - ours) * VENUE_Q_SCALE : 0;
		int64_t eat = o[i].q_ahead < vol ? o[i].q_ahead : vol;
		o[i].q_ahead -= eat;
		int64_t left = (vol - eat) / VENUE_Q_SCALE;
		int64_t leaves = o[i].qty - o[i].cum_qty;
		int32_t q = (int32_t)(left < leaves ? left : leaves);
		if (q > 0) {
			ours += q;
			fill(v, i, o[i].px, q, t, 0, VENUE_LIQ_MAKER);
		}
	}
}

static int dropped_since(const struct venue *v, uint64_t before)
{
	return v->stats.reports_dropped != before ? -DM_EFULL : 0;
}

/* Before a market event of instrument at exch_ns: the messages arriving
 * before it, then its time on the venue's clock; INT64_MIN for another
 * instrument (counted, ignored). */
static int64_t market_step(struct venue *v, uint32_t instrument, int64_t exch_ns)
{
	int64_t t = exch_ns;

	run_pending(v, t, 0);
	if (instrument != v->cfg.instrument) {
		v->stats.foreign_events++;
		return INT64_MIN;
	}
	if (t < v->now_ns) {
		v->stats.late_events++;
		t = v->now_ns;
	}
	v->now_ns = t;
	return t;
}

int venue_on_event(struct venue *v, const struct event *ev)
{
	uint64_t dropped = v->stats.reports_dropped;
	int64_t t = market_step(v, ev->instrument, ev->exch_ns);

	if (t == INT64_MIN)
		return dropped_since(v, dropped);
	if (ev->kind == EV_BOOK)
		on_book(v, ev->book.bid, ev->book.n_bid, ev->book.ask, ev->book.n_ask,
			ev->exch_ns, ev->recv_ns, 0, t);
	else if (ev->kind == EV_TRADE)
		on_trade(v, ev, t);
	return dropped_since(v, dropped);
}

int venue_on_book(struct venue *v, uint32_t instrument, int64_t exch_ns, int64_t recv_ns,
		  const struct book_level *bid, uint32_t n_bid, const struct book_level *ask,
		  uint32_t n_ask, int sorted)
{
	uint64_t dropped = v->stats.reports_dropped;
	int64_t t = market_step(v, instrument, exch_ns);

	if (t != INT64_MIN)
		on_book(v, bid, n_bid, ask, n_ask, exch_ns, recv_ns, sorted, t);
	return dropped_since(v, dropped);
}

int venue_advance(struct venue *v, int64_t now_ns)
{
	uint64_t dropped = v->stats.reports_dropped;
	run_pending(v, now_ns, 1);
	if (now_ns > v->now_ns)
		v->now_ns = now_ns;
	return dropped_since(v, dropped);
}

/* ------------------------------------------------------------ reading */

static void view_of(const struct vorder *o, struct venue_order_view *out)
{
	memset(out, 0, sizeof(*out));
	out->client_order_id = o->coid;
	out->venue_order_id = o->venue_order_id;
	out->px = o->px;
	out->qty = o->qty;
	out->cum_qty = o->cum_qty;
	out->leaves_qty = o->state == VO_OPEN ? o->qty - o->cum_qty : 0;
	out->side = o->side;
	out->ord_type = o->ord_type;
	out->tif = o->tif;
	out->status = o->status;
	out->reason = o->reason;
	if (o->state == VO_OPEN)
		out->queue_ahead = o->q_ahead < 0 ? -1 :
			(o->q_ahead + VENUE_Q_SCALE - 1) / VENUE_Q_SCALE;
	out->fill_value = o->fill_value;
	out->fee_e9 = o->fee_e9;
	out->arrive_ns = o->arrive_ns;
	out->done_ns = o->state == VO_DONE ? o->done_ns : 0;
}

int venue_query(const struct venue *v, uint64_t coid, struct venue_order_view *out)
{
	uint32_t i = find(v, coid);
	if (i == NIL)
		return -DM_ENOTFOUND;
	view_of(&cords(v)[i], out);
	return 0;
}

int venue_order_next(const struct venue *v, uint32_t *cursor,
		     struct venue_order_view *out)
{
	const struct vorder *o = cords(v);
	for (uint32_t i = *cursor; i < v->cfg.max_orders; i++)
		if (o[i].state != VO_FREE) {
			view_of(&o[i], out);
			*cursor = i + 1;
			return 1;
		}
	*cursor = v->cfg.max_orders;
	return 0;
}

int venue_fill_get(const struct venue *v, uint64_t i, struct venue_fill *out)
{
	if (i >= v->n_fills)
		return -DM_ENOTFOUND;
	if (v->n_fills - i > v->cfg.max_fills)
		return -ERANGE;
	const struct venue_fill *f =
		(const struct venue_fill *)((const char *)v + v->off_fills);
	*out = f[i % v->cfg.max_fills];
	return 0;
}
