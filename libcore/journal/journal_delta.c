/*
 * journal_delta.c — the JREC_EVENT_DELTA codec: a book event as the
 * changes against the previous book event of the same journal.
 *
 * Design note.  Each side is a 20-slot level array, zero past its count.
 * Most book updates change one level's size; some insert a level (every
 * level behind it moves one slot down) or remove one (they move up); a
 * market order takes several off the top.  So a side is coded as at most
 * one shift of the slot array at slot k by s (the decoder's memmove below)
 * and then the slots that still differ, each as differences from the slot
 * as it stands (its old level after the shift, or the level before it
 * when that slot is empty), which are small numbers: a varint of one or
 * two bytes.  A size change is 3-4 bytes, a whole delta record typically
 * 40 bytes in the file against 350 for a 10-level snapshot.
 *
 * The encoder runs the decoder's own steps (side_shift, predict) on a copy
 * of the reference, so what it writes decodes to the event exactly,
 * whatever the levels hold (unsorted, repeated, zero or negative sizes).
 * The shift is chosen among the ones that line up the first differing
 * slot (the cheap test that finds inserts and removals), by the number of
 * slots left to send.
 */
#include "libcore/journal/journal.h"

#include <errno.h>
#include <string.h>

#define NL EV_MAX_LEVELS

/* ---------------------------------------------------------------- varints */

static inline uint64_t zz_enc(uint64_t v)
{
	return (v << 1) ^ (uint64_t)-(int64_t)(v >> 63);
}

static inline uint64_t zz_dec(uint64_t v)
{
	return (v >> 1) ^ (uint64_t)-(int64_t)(v & 1);
}

static inline uint8_t *put_var(uint8_t *o, uint64_t v)
{
	while (v >= 0x80) {
		*o++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*o++ = (uint8_t)v;
	return o;
}

/* A varint at *pp (before end) into *v; 0, or -1 when it runs past end or
 * past 10 bytes. */
static inline int get_var(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	if (DM_LIKELY(p < end && *p < 0x80)) {
		*v = *p;
		*pp = p + 1;
		return 0;
	}
	uint64_t x = 0;
	for (unsigned sh = 0; sh < 70; sh += 7) {
		if (DM_UNLIKELY(p >= end))
			return -1;
		uint8_t b = *p++;
		x |= (uint64_t)(b & 0x7f) << sh;
		if (b < 0x80) {
			*v = x;
			*pp = p;
			return 0;
		}
	}
	return -1;
}

/* ---------------------------------------------------------------- shared steps */

static inline int lv_eq(const struct book_level *a, const struct book_level *b)
{
	return a->px == b->px && a->qty == b->qty;
}

/* Move the slots of lv at k by s (k + |s| <= NL): s > 0 down, slots
 * k..k+s-1 keep what they held; s < 0 up, zeros coming in at the end. */
static inline void side_shift(struct book_level *lv, unsigned k, int s)
{
	if (s > 0) {
		memmove(lv + k + s, lv + k, sizeof(*lv) * (NL - k - (unsigned)s));
	} else if (s < 0) {
		unsigned u = (unsigned)-s;
		memmove(lv + k, lv + k + u, sizeof(*lv) * (NL - k - u));
		memset(lv + NL - u, 0, sizeof(*lv) * u);
	}
}

/* What slot i is coded against: itself, or slot i - 1 when it is empty. */
static inline struct book_level predict(const struct book_level *lv, unsigned i)
{
	if (lv[i].px | lv[i].qty)
		return lv[i];
	if (i)
		return lv[i - 1];
	return (struct book_level){ 0, 0 };
}

/* ---------------------------------------------------------------- encoder */

/* Slot i after side_shift(old, k, s), without doing it. */
static inline const struct book_level *shifted_at(const struct book_level *old, unsigned k,
						  int s, unsigned i)
{
	static const struct book_level zero;
	if (i < k || s == 0)
		return &old[i];
	if (s > 0)
		return i < k + (unsigned)s ? &old[i] : &old[i - (unsigned)s];
	unsigned j = i + (unsigned)-s;
	return j < NL ? &old[j] : &zero;
}

/* Slots of new[k..n) that differ after shifting old by s; stops at cap. */
static unsigned shift_cost(const struct book_level *old, const struct book_level *nw,
			   unsigned n, unsigned k, int s, unsigned cap)
{
	unsigned c = 0;
	for (unsigned i = k; i < n && c < cap; i++)
		c += !lv_eq(shifted_at(old, k, s, i), &nw[i]);
	return c;
}

/*
 * One side: old (NL slots, zero past n_old) to nw[0..n).  Writes the
 * section at o and returns its end, or o itself when nothing changed.
 */
static uint8_t *enc_side(const struct book_level *old, unsigned n_old,
			 const struct book_level *nw, unsigned n, uint8_t *o)
{
	unsigned m = n_old < n ? n_old : n, k = 0;
	while (k < m && lv_eq(&old[k], &nw[k]))
		k++;
	if (k == m && n == n_old)
		return o;

	int best_s = 0;
	unsigned best = shift_cost(old, nw, n, k, 0, NL + 1);
	/* an insert of s levels at k lines new[k + s] up with old[k]; a
	 * removal of |s| levels lines new[k] up with old[k + |s|] */
	for (unsigned s = 1; best > 0 && k + s < n && k < n_old; s++)
		if (lv_eq(&nw[k + s], &old[k])) {
			unsigned c = shift_cost(old, nw, n, k, (int)s, best);
			if (c < best) {
				best = c;
				best_s = (int)s;
			}
		}
	for (unsigned s = 1; best > 0 && k + s < n_old && k < n; s++)
		if (lv_eq(&nw[k], &old[k + s])) {
			unsigned c = shift_cost(old, nw, n, k, -(int)s, best);
			if (c < best) {
				best = c;
				best_s = -(int)s;
			}
		}

	struct book_level work[NL];
	memcpy(work, old, sizeof(work));
	*o++ = (uint8_t)(n | (best_s ? JDL_SHIFT : 0));
	uint8_t *count = o++;
	if (best_s) {
		*o++ = (uint8_t)k;
		*o++ = (uint8_t)(int8_t)best_s;
		side_shift(work, k, best_s);
	}
	unsigned lit = 0;
	for (unsigned i = k; i < n; i++) {
		if (lv_eq(&work[i], &nw[i]))
			continue;
		struct book_level p = predict(work, i);
		*o++ = (uint8_t)i;
		o = put_var(o, zz_enc((uint64_t)nw[i].px - (uint64_t)p.px));
		o = put_var(o, zz_enc((uint64_t)nw[i].qty - (uint64_t)p.qty));
		work[i] = nw[i];
		lit++;
	}
	*count = (uint8_t)lit;
	return o;
}

int journal_delta_encode(const struct event *ref, const struct event *ev, void *out,
			 size_t cap)
{
	uint8_t tmp[JDL_MAX_SIZE];
	uint8_t *o = tmp;

	if (ref->kind != EV_BOOK || ev->kind != EV_BOOK ||
	    ref->book.n_bid > NL || ref->book.n_ask > NL ||
	    ev->book.n_bid > NL || ev->book.n_ask > NL)
		return -EINVAL;
	uint8_t *ctl = o++;
	uint8_t c = 0;
	uint64_t dl = ((uint64_t)ev->recv_ns - (uint64_t)ev->exch_ns) -
		      ((uint64_t)ref->recv_ns - (uint64_t)ref->exch_ns);
	uint64_t dt = (uint64_t)ev->exch_ns - (uint64_t)ref->exch_ns;
	if (dt <= UINT32_MAX && (int64_t)dl >= INT32_MIN && (int64_t)dl <= INT32_MAX) {
		uint32_t t[2] = { (uint32_t)dt, (uint32_t)dl };
		memcpy(o, t, 8);
		o += 8;
	} else {
		c |= JDL_T64;
		memcpy(o, &dt, 8);
		memcpy(o + 8, &dl, 8);
		o += 16;
	}
	if (ev->instrument != ref->instrument) {
		c |= JDL_INSTR;
		o = put_var(o, ev->instrument);
	}
	if (ev->book.flags != ref->book.flags) {
		c |= JDL_FLAGS;
		o = put_var(o, ev->book.flags);
	}
	uint8_t *s = enc_side(ref->book.bid, ref->book.n_bid, ev->book.bid, ev->book.n_bid, o);
	if (s != o)
		c |= JDL_BID;
	o = enc_side(ref->book.ask, ref->book.n_ask, ev->book.ask, ev->book.n_ask, s);
	if (o != s)
		c |= JDL_ASK;
	*ctl = c;
	size_t n = (size_t)(o - tmp);
	if (n > cap)
		return -ENOBUFS;
	memcpy(out, tmp, n);
	return (int)n;
}

/* ---------------------------------------------------------------- decoder */

/*
 * What journal_delta_apply records besides decoding: the price-level
 * changes (book_diff's order), or n = -1 once they cannot be told.  A side
 * is "clean" when its levels are strictly best first with sizes > 0; only
 * between clean sides do level changes stand for a snapshot.
 */
struct dlog {
	struct book_change *out;
	int n;
	uint8_t *clean;
};

static inline int better(unsigned side, int64_t a, int64_t c)
{
	return side == BOOK_BID ? a > c : a < c;
}

static int side_clean(unsigned side, const struct book_level *lv, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (lv[i].qty <= 0 || (i && !better(side, lv[i - 1].px, lv[i].px)))
			return 0;
	return 1;
}

int journal_side_clean(unsigned side, const struct book_level *lv, unsigned n)
{
	return side_clean(side, lv, n);
}

static inline void put_chg(struct dlog *L, unsigned side, int64_t px, int64_t qty)
{
	struct book_change *c = &L->out[L->n++];
	c->px = px;
	c->qty = qty;
	c->side = side;
	c->pad = 0;
}

/* old[0..no) to nw[0..nn), both clean: deletions, then upserts, best first
 * (book_diff's merge). */
static void log_merge(struct dlog *L, unsigned side, const struct book_level *old,
		      unsigned no, const struct book_level *nw, unsigned nn)
{
	unsigned i = 0, j = 0;
	while (i < no) {
		if (j < nn && better(side, nw[j].px, old[i].px)) {
			j++;
		} else if (j < nn && nw[j].px == old[i].px) {
			i++;
			j++;
		} else {
			put_chg(L, side, old[i].px, 0);
			i++;
		}
	}
	for (i = 0, j = 0; j < nn; ) {
		if (i < no && better(side, old[i].px, nw[j].px)) {
			i++;
		} else if (i < no && old[i].px == nw[j].px) {
			if (old[i].qty != nw[j].qty)
				put_chg(L, side, nw[j].px, nw[j].qty);
			i++;
			j++;
		} else {
			put_chg(L, side, nw[j].px, nw[j].qty);
			j++;
		}
	}
}

/*
 * One side section at *pp: lv (NL slots, zero past *cnt) updated.  With a
 * log: a section that only changes sizes in place is logged as it goes;
 * anything else keeps a copy of the old levels and merges at the end.
 */
static __attribute__((noinline)) int dec_side_any(const uint8_t **pp, const uint8_t *end, struct book_level *lv,
		    uint16_t *cnt, unsigned side, struct dlog *L)
{
	const uint8_t *p = *pp;
	if (DM_UNLIKELY(end - p < 2))
		return -1;
	unsigned a = p[0], m = p[1];
	unsigned n = a & 0x1fu, no = *cnt, hi = no;
	p += 2;
	if (DM_UNLIKELY((a & ~(0x1fu | JDL_SHIFT)) || n > NL || m > n))
		return -1;

	/* 0 no log, 1 in place, 2 merge */
	int mode = 0;
	struct book_level old[NL];
	if (L && L->n >= 0 && L->clean[side]) {
		mode = (a & JDL_SHIFT) || n != no ? 2 : 1;
		if (mode == 2)
			memcpy(old, lv, sizeof(*lv) * no);
	}
	if (a & JDL_SHIFT) {
		if (DM_UNLIKELY(end - p < 2))
			return -1;
		unsigned k = p[0];
		int s = (int8_t)p[1];
		unsigned u = (unsigned)(s < 0 ? -s : s);
		p += 2;
		if (DM_UNLIKELY(s == 0 || k + u > NL))
			return -1;
		side_shift(lv, k, s);
		if (s > 0)
			hi = hi + u > NL ? NL : hi + u;
	}
	int last = -1, log0 = L ? L->n : 0;
	unsigned saved_i[NL];
	struct book_level saved[NL];
	for (unsigned j = 0; j < m; j++) {
		uint64_t dp, dq;
		if (DM_UNLIKELY(p >= end))
			return -1;
		unsigned i = *p++;
		if (DM_UNLIKELY((int)i <= last || i >= n) ||
		    get_var(&p, end, &dp) || get_var(&p, end, &dq))
			return -1;
		struct book_level pr = predict(lv, i), was = lv[i];
		lv[i].px = (int64_t)((uint64_t)pr.px + zz_dec(dp));
		lv[i].qty = (int64_t)((uint64_t)pr.qty + zz_dec(dq));
		last = (int)i;
		if (mode == 1) {
			saved_i[j] = i;
			saved[j] = was;
			if (DM_LIKELY(lv[i].px == was.px && lv[i].qty > 0)) {
				put_chg(L, side, lv[i].px, lv[i].qty);
				continue;
			}
			/* a price moved: rebuild the old side, merge at the end */
			memcpy(old, lv, sizeof(*lv) * no);
			for (unsigned t = 0; t <= j; t++)
				old[saved_i[t]] = saved[t];
			L->n = log0;
			mode = 2;
		}
	}
	if (hi > n)
		memset(lv + n, 0, sizeof(*lv) * (hi - n));
	*cnt = (uint16_t)n;
	*pp = p;
	if (!L)
		return 0;
	if (mode == 2 || !L->clean[side] || L->n < 0) {
		L->clean[side] = (uint8_t)side_clean(side, lv, n);
		if (mode == 2 && L->clean[side])
			log_merge(L, side, old, no, lv, n);
		else
			L->n = -1;
	}
	return 0;
}

/*
 * The usual section, logged: sizes change in place, prices stay (a clean
 * side's slots are non-zero, so each is its own prediction and an
 * unchanged price is a zero difference).  1 done, 0 not this case
 * (nothing read or changed), -1 bad.
 */
static inline int dec_side_sizes(const uint8_t **pp, const uint8_t *end,
				 struct book_level *lv, unsigned no, unsigned side,
				 struct dlog *L)
{
	const uint8_t *q = *pp;
	if (DM_UNLIKELY(end - q < 2) || q[0] != no || q[1] > no)
		return 0;
	unsigned m = q[1], ix[NL], j;
	int64_t nq[NL];
	int last = -1;
	q += 2;
	if (m == 1 && q + 3 <= end && q[0] < no && !q[1] && q[2] < 0x80) {
		/* one size, a one-byte difference: most book updates */
		unsigned i = q[0];
		int64_t v = (int64_t)((uint64_t)lv[i].qty + zz_dec(q[2]));
		if (v > 0) {
			lv[i].qty = v;
			put_chg(L, side, lv[i].px, v);
			*pp = q + 3;
			return 1;
		}
	}
	for (j = 0; j < m; j++) {
		uint64_t dq;
		if (q + 2 > end || (int)q[0] <= last || q[0] >= no || q[1])
			return 0;
		unsigned i = q[0];
		q += 2;
		if (get_var(&q, end, &dq))
			return 0;
		nq[j] = (int64_t)((uint64_t)lv[i].qty + zz_dec(dq));
		if (nq[j] <= 0)
			return 0;
		ix[j] = i;
		last = (int)i;
	}
	for (j = 0; j < m; j++) {
		lv[ix[j]].qty = nq[j];
		put_chg(L, side, lv[ix[j]].px, nq[j]);
	}
	*pp = q;
	return 1;
}

static inline int dec_side(const uint8_t **pp, const uint8_t *end, struct book_level *lv,
			   uint16_t *cnt, unsigned side, struct dlog *L)
{
	if (L && L->n >= 0 && L->clean[side] && dec_side_sizes(pp, end, lv, *cnt, side, L))
		return 0;
	return dec_side_any(pp, end, lv, cnt, side, L);
}

int journal_delta_apply(struct event *book, const void *payload, uint32_t len,
			uint8_t clean[2], struct book_change *chg, int *n_chg)
{
	const uint8_t *p = payload, *end = p + len;
	uint64_t dt, dl, v;
	struct dlog log = { .out = chg, .n = 0, .clean = clean }, *L = chg ? &log : NULL;

	if (DM_UNLIKELY(len < 9 || book->kind != EV_BOOK))
		return -DM_ECORRUPT;
	unsigned c = *p++;
	if (DM_UNLIKELY(c & ~(JDL_INSTR | JDL_FLAGS | JDL_BID | JDL_ASK | JDL_T64)))
		return -DM_ECORRUPT;
	if (DM_LIKELY(!(c & JDL_T64))) {
		uint32_t t;
		int32_t l;
		memcpy(&t, p, 4);
		memcpy(&l, p + 4, 4);
		dt = t;
		dl = (uint64_t)(int64_t)l;
		p += 8;
	} else {
		if (DM_UNLIKELY(len < 17))
			return -DM_ECORRUPT;
		memcpy(&dt, p, 8);
		memcpy(&dl, p + 8, 8);
		p += 16;
	}
	uint64_t lat = (uint64_t)book->recv_ns - (uint64_t)book->exch_ns + dl;
	uint64_t exch = (uint64_t)book->exch_ns + dt;
	book->exch_ns = (int64_t)exch;
	book->recv_ns = (int64_t)(exch + lat);
	if (c & JDL_INSTR) {
		if (get_var(&p, end, &v) || v > UINT32_MAX)
			return -DM_ECORRUPT;
		book->instrument = (uint32_t)v;
	}
	if (c & JDL_FLAGS) {
		if (get_var(&p, end, &v) || v > UINT32_MAX)
			return -DM_ECORRUPT;
		book->book.flags = (uint32_t)v;
	}
	if ((c & JDL_BID) &&
	    dec_side(&p, end, book->book.bid, &book->book.n_bid, BOOK_BID, L))
		return -DM_ECORRUPT;
	if ((c & JDL_ASK) &&
	    dec_side(&p, end, book->book.ask, &book->book.n_ask, BOOK_ASK, L))
		return -DM_ECORRUPT;
	if (p != end)
		return -DM_ECORRUPT;
	/* a side the payload leaves alone may be unclean too: then no
	 * changes stand for the books either (journal.h) */
	if (L)
		*n_chg = clean[BOOK_BID] && clean[BOOK_ASK] ? log.n : -1;
	return 0;
}

int journal_delta_decode(struct event *book, const void *payload, uint32_t len)
{
	return journal_delta_apply(book, payload, len, NULL, NULL, NULL);
}
