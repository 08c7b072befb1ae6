/*
 * binance.c — raw Binance websocket captures, "<recv_ns> <json>" per line
 * (docs/feeds.md).
 *
 * Design note.  The whole book is kept, every price level, in two sorted
 * arrays allocated at open (opts.book_cap levels per side), worst price
 * first so that the busy top of the book sits at the end and an insert
 * there moves little.  Binance's sync rules decide which depth diffs apply:
 *
 *   NO_BOOK  --snapshot-->  SYNCING  --first diff straddling lastUpdateId-->
 *   SYNCED   --diff not contiguous-->  GAPPED  --snapshot-->  SYNCING
 *
 * Spot (U/u): drop u <= lastUpdateId; the first applied has U <= id+1 <= u;
 * then U <= prev_u + 1 (normally U == prev_u + 1).  USD-M futures (pu):
 * drop u < lastUpdateId; the first has U <= id <= u; then pu == prev_u.
 * Diffs met before any snapshot, and diffs since a gap, are kept (raw
 * JSON) in a bounded buffer; when a snapshot arrives they are replayed
 * through the same rules, each giving one book event stamped with the
 * snapshot's receive time.  While GAPPED the diffs still apply, and their
 * book events carry FEED_BOOK_F_GAP.  The snapshot itself is no event.
 * Each applied diff is one book event of the top L levels.
 *
 * bookTicker lines are only compared with the book when their update id
 * equals the last applied diff's u (stats.bbo_checked / bbo_mismatch).
 */
#include "libcore/feed/feed_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BN_NO_BOOK = 0, BN_SYNCING, BN_SYNCED, BN_GAPPED };

#define REC_HDR   12u            /* u32 length + i64 recv_ns */
#define NO_KEEP   ((size_t)-1)
#define NS_PER_MS 1000000LL

struct bn_diff {
	int64_t U, u, pu;
	int     has_pu;
	int64_t exch_ns;
	json_t *b, *a;
};

/* ------------------------------------------------------------ full book */

static inline int64_t key(int side, int64_t px)
{
	return side == BOOK_BID ? px : -px; /* ascending = worst first */
}

/* First index whose key is >= key(px). */
static uint32_t fb_lower(const struct feed_fbook_side *sd, int side, int64_t px)
{
	uint32_t lo = 0, hi = sd->n;
	int64_t k = key(side, px);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (key(side, sd->lv[mid].px) < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Set level px of side to qty (0 deletes). */
static void fb_set(struct feed_reader *r, int side, int64_t px, int64_t qty)
{
	struct feed_binance *bn = &r->u.bn;
	struct feed_fbook_side *sd = &bn->side[side];
	uint32_t i = fb_lower(sd, side, px);

	if (i < sd->n && sd->lv[i].px == px) {
		if (qty) {
			sd->lv[i].qty = qty;
		} else {
			memmove(&sd->lv[i], &sd->lv[i + 1],
				(sd->n - i - 1) * sizeof(sd->lv[0]));
			sd->n--;
		}
		return;
	}
	if (!qty)
		return; /* deleting a level the book does not hold */
	if (sd->n == bn->cap) {
		/* full: the worst level (index 0) goes, or the new one if worse */
		r->st.book_overflow++;
		if (i == 0)
			return;
		memmove(&sd->lv[0], &sd->lv[1], (i - 1) * sizeof(sd->lv[0]));
		sd->lv[i - 1] = (struct book_level){ px, qty };
		return;
	}
	memmove(&sd->lv[i + 1], &sd->lv[i], (sd->n - i) * sizeof(sd->lv[0]));
	sd->lv[i] = (struct book_level){ px, qty };
	sd->n++;
}

static void emit_book(struct feed_reader *r, struct event *ev, int64_t exch_ns,
		      int64_t recv_ns, uint32_t extra)
{
	struct feed_binance *bn = &r->u.bn;
	const struct feed_fbook_side *b = &bn->side[BOOK_BID], *a = &bn->side[BOOK_ASK];
	uint32_t nb = b->n < r->levels ? b->n : r->levels;
	uint32_t na = a->n < r->levels ? a->n : r->levels;

	feed_ev_start(r, ev, EV_BOOK, exch_ns, recv_ns);
	for (uint32_t j = 0; j < nb; j++)
		ev->book.bid[j] = b->lv[b->n - 1 - j];
	for (uint32_t j = 0; j < na; j++)
		ev->book.ask[j] = a->lv[a->n - 1 - j];
	ev->book.n_bid = (uint16_t)nb;
	ev->book.n_ask = (uint16_t)na;
	feed_book_flags(r, ev, extra);
}

/* ------------------------------------------------------------ json */

static int jint(json_t *o, const char *k, int64_t *v)
{
	json_t *x = json_object_get(o, k);
	if (!json_is_integer(x))
		return -1;
	*v = (int64_t)json_integer_value(x);
	return 0;
}

/* A decimal string field into units; FEED_NUM_* or 1 when not a string. */
static int jdec(json_t *x, const struct feed_unit *u, int64_t *v)
{
	if (!json_is_string(x))
		return 1;
	return feed_num(json_string_value(x), json_string_length(x), u, v);
}

static const char *dec_why(int rc)
{
	return rc == 1 ? "not a string" : feed_num_why(rc);
}

/* Check a [[px, qty], ...] array without applying it. */
static int levels_check(struct feed_reader *r, json_t *arr, const char *name,
			char *why, size_t wlen)
{
	size_t i;
	json_t *lv;

	if (!json_is_array(arr)) {
		snprintf(why, wlen, "\"%s\" is not an array", name);
		return -1;
	}
	json_array_foreach(arr, i, lv) {
		int64_t px, qty;
		int rc;
		if (!json_is_array(lv) || json_array_size(lv) < 2) {
			snprintf(why, wlen, "%s[%zu] is not a [price, qty] pair", name, i);
			return -1;
		}
		if ((rc = jdec(json_array_get(lv, 0), &r->px_unit, &px)) || px <= 0) {
			snprintf(why, wlen, "%s[%zu] price: %s", name, i,
				 rc ? dec_why(rc) : "not positive");
			return -1;
		}
		if ((rc = jdec(json_array_get(lv, 1), &r->qty_unit, &qty)) || qty < 0) {
			snprintf(why, wlen, "%s[%zu] qty: %s", name, i,
				 rc ? dec_why(rc) : "negative");
			return -1;
		}
	}
	return 0;
}

/* Apply a checked array; reverse = walk it from the end (a snapshot,
 * best first, then inserts at the top end of our worst-first arrays). */
static void levels_apply(struct feed_reader *r, json_t *arr, int side, int reverse)
{
	size_t n = json_array_size(arr);

	for (size_t j = 0; j < n; j++) {
		json_t *lv = json_array_get(arr, reverse ? n - 1 - j : j);
		int64_t px = 0, qty = 0;
		jdec(json_array_get(lv, 0), &r->px_unit, &px);
		jdec(json_array_get(lv, 1), &r->qty_unit, &qty);
		fb_set(r, side, px, qty);
	}
}

/* The message object: "data" of a combined stream, else the root. */
static json_t *msg_of(json_t *root)
{
	json_t *d = json_object_get(root, "data");
	return json_is_object(d) ? d : root;
}

/* Fill *d from a depthUpdate; 0 or -1 with why. */
static int diff_parse(struct feed_reader *r, json_t *m, struct bn_diff *d,
		      char *why, size_t wlen)
{
	int64_t e_ms;

	memset(d, 0, sizeof(*d));
	if (jint(m, "U", &d->U) || jint(m, "u", &d->u) || d->U > d->u) {
		snprintf(why, wlen, "depthUpdate without integer U <= u");
		return -1;
	}
	d->has_pu = jint(m, "pu", &d->pu) == 0;
	if (jint(m, "E", &e_ms) || e_ms < 0) {
		snprintf(why, wlen, "depthUpdate without an event time E");
		return -1;
	}
	if (feed_epoch_ns(e_ms, NS_PER_MS, &d->exch_ns)) {
		snprintf(why, wlen, "depthUpdate event time E %lld ms: outside "
			 FEED_NS_RANGE_TXT, (long long)e_ms);
		return -1;
	}
	d->b = json_object_get(m, "b");
	d->a = json_object_get(m, "a");
	if (levels_check(r, d->b, "b", why, wlen) ||
	    levels_check(r, d->a, "a", why, wlen))
		return -1;
	return 0;
}

/* ------------------------------------------------------------ diff buffer */

static void pend_compact(struct feed_binance *bn)
{
	if (!bn->pend_beg)
		return;
	memmove(bn->pend, bn->pend + bn->pend_beg, bn->pend_end - bn->pend_beg);
	bn->pend_end -= bn->pend_beg;
	bn->pend_beg = 0;
}

static uint32_t rec_len(const struct feed_binance *bn, size_t off)
{
	uint32_t len;
	memcpy(&len, bn->pend + off, sizeof(len));
	return len;
}

/*
 * Keep one diff's raw JSON for a later snapshot.  When the buffer is full
 * the oldest diffs go, down to half the buffer at once so that the memmove
 * is paid once per half-buffer, not once per diff: a snapshot that comes
 * that late is newer than they are anyway.  Diffs dropped before any
 * snapshot were never applied and are counted in diffs_unsynced (while
 * GAPPED they were already applied, flagged).
 */
static void pend_push(struct feed_reader *r, const char *txt, size_t len,
		      int64_t recv_ns)
{
	struct feed_binance *bn = &r->u.bn;
	size_t need = REC_HDR + len;
	uint32_t l32 = (uint32_t)len;
	int count = bn->state == BN_NO_BOOK;

	if (need > bn->pend_cap / 2) {
		r->st.diffs_unsynced += (uint64_t)count;
		return;
	}
	if (bn->pend_end + need > bn->pend_cap) {
		while (bn->pend_end - bn->pend_beg + need > bn->pend_cap / 2) {
			bn->pend_beg += REC_HDR + rec_len(bn, bn->pend_beg);
			bn->pend_n--;
			r->st.diffs_unsynced += (uint64_t)count;
		}
		pend_compact(bn);
	}
	memcpy(bn->pend + bn->pend_end, &l32, sizeof(l32));
	memcpy(bn->pend + bn->pend_end + 4, &recv_ns, sizeof(recv_ns));
	memcpy(bn->pend + bn->pend_end + REC_HDR, txt, len);
	bn->pend_end += need;
	bn->pend_n++;
}

static void pend_clear(struct feed_binance *bn)
{
	bn->pend_beg = bn->pend_end = 0;
	bn->pend_n = 0;
}

/* ------------------------------------------------------------ sync rules */

static void apply_diff(struct feed_reader *r, const struct bn_diff *d)
{
	levels_apply(r, d->b, BOOK_BID, 0);
	levels_apply(r, d->a, BOOK_ASK, 0);
	r->u.bn.prev_u = (uint64_t)d->u;
	r->st.diffs_applied++;
}

/*
 * One diff through the rules.  raw/len/recv_ns: the line, kept for a
 * later resync when the book is not in sync (raw NULL while replaying).
 * Returns 1 with a book event in *ev, or 0 (buffered or dropped).
 */
static int diff_step(struct feed_reader *r, const struct bn_diff *d,
		     const char *raw, size_t len, int64_t recv_ns,
		     struct event *ev)
{
	struct feed_binance *bn = &r->u.bn;
	int fut = bn->futures == 1;
	uint64_t U = (uint64_t)d->U, u = (uint64_t)d->u, id = bn->snap_id;
	int ok;

	switch (bn->state) {
	case BN_NO_BOOK:
		if (raw)
			pend_push(r, raw, len, recv_ns);
		return 0;
	case BN_SYNCING:
		if (fut ? u < id : u <= id) {
			r->st.diffs_stale++;
			return 0;
		}
		ok = fut ? U <= id && u >= id : U <= id + 1 && u >= id + 1;
		break;
	default: /* SYNCED, GAPPED */
		if (u <= bn->prev_u) {
			r->st.diffs_stale++;
			return 0;
		}
		ok = fut ? d->has_pu && (uint64_t)d->pu == bn->prev_u
			 : U <= bn->prev_u + 1;
		break;
	}
	if (!ok) {
		r->st.gaps++;
		bn->state = BN_GAPPED;
	} else if (bn->state == BN_SYNCING) {
		bn->state = BN_SYNCED;
	}
	if (bn->state == BN_GAPPED && raw)
		pend_push(r, raw, len, recv_ns);
	apply_diff(r, d);
	emit_book(r, ev, d->exch_ns, recv_ns,
		  bn->state == BN_GAPPED ? FEED_BOOK_F_GAP : 0);
	return 1;
}

/* Replay the next buffered diff after a snapshot: 1 event, 0 when the
 * buffer is done, < 0 error. */
static int replay_step(struct feed_reader *r, struct event *ev)
{
	struct feed_binance *bn = &r->u.bn;

	while (bn->replay_off < bn->pend_end) {
		size_t off = bn->replay_off;
		uint32_t len = rec_len(bn, off);
		json_error_t jerr;
		struct bn_diff d;
		char why[128];
		int rc, was_gapped = bn->state == BN_GAPPED;

		bn->replay_off = off + REC_HDR + len;
		json_t *root = json_loadb(bn->pend + off + REC_HDR, len, 0, &jerr);
		if (!root)
			return feed_fail(r, -ENOMEM, "binance: cannot re-parse a "
					 "buffered diff: %s", jerr.text);
		if (diff_parse(r, msg_of(root), &d, why, sizeof(why)) < 0) {
			json_decref(root);
			return feed_fail(r, -DM_ECORRUPT, "binance: buffered diff: %s", why);
		}
		rc = diff_step(r, &d, NULL, 0, bn->snap_recv_ns, ev);
		json_decref(root);
		if (!was_gapped && bn->state == BN_GAPPED && bn->keep_off == NO_KEEP)
			bn->keep_off = off;
		if (rc)
			return rc;
	}
	bn->replaying = 0;
	if (bn->keep_off == NO_KEEP) {
		pend_clear(bn);
	} else {
		/* a gap during the replay: keep its diffs for the next snapshot */
		bn->pend_beg = bn->keep_off;
		bn->pend_n = 0;
		for (size_t o = bn->pend_beg; o < bn->pend_end; o += REC_HDR + rec_len(bn, o))
			bn->pend_n++;
	}
	return 0;
}

/* ------------------------------------------------------------ lines */

static int on_snapshot(struct feed_reader *r, json_t *m, int64_t recv_ns,
		       char *why, size_t wlen)
{
	struct feed_binance *bn = &r->u.bn;
	json_t *bids = json_object_get(m, "bids"), *asks = json_object_get(m, "asks");
	int64_t id;

	if (jint(m, "lastUpdateId", &id) || id < 0) {
		snprintf(why, wlen, "snapshot lastUpdateId is not an integer");
		return -1;
	}
	if (levels_check(r, bids, "bids", why, wlen) ||
	    levels_check(r, asks, "asks", why, wlen))
		return -1;
	if (bn->state == BN_SYNCING || bn->state == BN_SYNCED) {
		r->st.snapshots_ignored++;
		return 0;
	}
	bn->side[BOOK_BID].n = bn->side[BOOK_ASK].n = 0;
	levels_apply(r, bids, BOOK_BID, 1);
	levels_apply(r, asks, BOOK_ASK, 1);
	r->st.snapshots++;
	bn->snap_id = (uint64_t)id;
	bn->snap_recv_ns = recv_ns;
	bn->state = BN_SYNCING;
	if (bn->pend_n) {
		bn->replaying = 1;
		bn->replay_off = bn->pend_beg;
		bn->keep_off = NO_KEEP;
	}
	return 0;
}

static int on_trade(struct feed_reader *r, json_t *m, int agg, int64_t recv_ns,
		    struct event *ev, char *why, size_t wlen)
{
	int64_t px, qty, t_ms, t_ns, id;
	json_t *mk = json_object_get(m, "m");
	int rc;

	if ((rc = jdec(json_object_get(m, "p"), &r->px_unit, &px)) || px <= 0) {
		snprintf(why, wlen, "trade price p: %s", rc ? dec_why(rc) : "not positive");
		return -1;
	}
	if ((rc = jdec(json_object_get(m, "q"), &r->qty_unit, &qty)) || qty <= 0) {
		snprintf(why, wlen, "trade qty q: %s", rc ? dec_why(rc) : "not positive");
		return -1;
	}
	if ((jint(m, "T", &t_ms) && jint(m, "E", &t_ms)) || t_ms < 0) {
		snprintf(why, wlen, "trade without a time T");
		return -1;
	}
	if (feed_epoch_ns(t_ms, NS_PER_MS, &t_ns)) {
		snprintf(why, wlen, "trade time %lld ms: outside " FEED_NS_RANGE_TXT,
			 (long long)t_ms);
		return -1;
	}
	if (!json_is_boolean(mk)) {
		snprintf(why, wlen, "trade without the maker flag m");
		return -1;
	}
	if (jint(m, agg ? "a" : "t", &id) || id < 0)
		id = 0;
	feed_ev_start(r, ev, EV_TRADE, t_ns, recv_ns);
	ev->trade.px = px;
	ev->trade.qty = qty;
	ev->trade.trade_id = (uint64_t)id;
	/* m: the buyer was the maker, so the seller hit the bid */
	ev->trade.aggressor = json_is_true(mk) ? -1 : 1;
	return 1;
}

static int on_ticker(struct feed_reader *r, json_t *m, char *why, size_t wlen)
{
	struct feed_binance *bn = &r->u.bn;
	static const char *const k[4] = { "b", "B", "a", "A" };
	int64_t v[4], u;

	for (int i = 0; i < 4; i++) {
		int rc = jdec(json_object_get(m, k[i]), i & 1 ? &r->qty_unit : &r->px_unit,
			      &v[i]);
		if (rc || v[i] < 0) {
			snprintf(why, wlen, "bookTicker %s: %s", k[i],
				 rc ? dec_why(rc) : "negative");
			return -1;
		}
	}
	r->st.ignored++;
	if (bn->state == BN_SYNCED && jint(m, "u", &u) == 0 &&
	    (uint64_t)u == bn->prev_u) {
		const struct feed_fbook_side *b = &bn->side[BOOK_BID], *a = &bn->side[BOOK_ASK];
		r->st.bbo_checked++;
		if (!b->n || !a->n || b->lv[b->n - 1].px != v[0] ||
		    b->lv[b->n - 1].qty != v[1] || a->lv[a->n - 1].px != v[2] ||
		    a->lv[a->n - 1].qty != v[3])
			r->st.bbo_mismatch++;
	}
	return 0;
}

/* One line: 1 with an event, 0 nothing, < 0 strict or fatal error. */
static int on_line(struct feed_reader *r, char *l, size_t n, struct event *ev)
{
	struct feed_src *s = &r->src[0];
	struct feed_binance *bn = &r->u.bn;
	char why[FEED_ERR_LEN / 2];
	json_error_t jerr;
	int64_t recv_ns;
	size_t i = 0;
	int rc = 0;

	while (i < n && l[i] >= '0' && l[i] <= '9')
		i++;
	if (i == 0 || i >= n || l[i] != ' ')
		return feed_bad(r, s, "want \"<receive time ns> <json>\"");
	/* digits only, so >= 0: any int64 is a time in range */
	if (feed_int(l, i, &recv_ns) != FEED_NUM_OK)
		return feed_bad(r, s, "receive time %.*s ns: outside " FEED_NS_RANGE_TXT,
				i > 40 ? 40 : (int)i, l);
	const char *txt = l + i + 1;
	size_t tlen = n - i - 1;
	json_t *root = json_loadb(txt, tlen, 0, &jerr);
	if (!root)
		return feed_bad(r, s, "JSON column %d: %s", jerr.column, jerr.text);
	json_t *m = msg_of(root);
	const char *e = json_string_value(json_object_get(m, "e"));
	const char *sym = json_string_value(json_object_get(m, "s"));

	if (!json_is_object(m)) {
		rc = feed_bad(r, s, "JSON is not an object");
		goto out;
	}
	if (r->o.symbol && sym && strcmp(sym, r->o.symbol) != 0) {
		r->st.other_symbol++;
		goto out;
	}
	if (json_object_get(m, "lastUpdateId")) {
		if (on_snapshot(r, m, recv_ns, why, sizeof(why)) < 0)
			rc = feed_bad(r, s, "%s", why);
	} else if (e && strcmp(e, "depthUpdate") == 0) {
		struct bn_diff d;
		if (diff_parse(r, m, &d, why, sizeof(why)) < 0) {
			rc = feed_bad(r, s, "%s", why);
			goto out;
		}
		if (bn->futures < 0)
			bn->futures = d.has_pu;
		rc = diff_step(r, &d, txt, tlen, recv_ns, ev);
	} else if (e && (strcmp(e, "trade") == 0 || strcmp(e, "aggTrade") == 0)) {
		rc = on_trade(r, m, e[0] == 'a', recv_ns, ev, why, sizeof(why));
		if (rc < 0)
			rc = feed_bad(r, s, "%s", why);
	} else if ((e && strcmp(e, "bookTicker") == 0) ||
		   (!e && json_is_string(json_object_get(m, "b")) &&
		    json_object_get(m, "u"))) {
		if (on_ticker(r, m, why, sizeof(why)) < 0)
			rc = feed_bad(r, s, "%s", why);
	} else {
		r->st.ignored++;
	}
out:
	json_decref(root);
	return rc;
}

int feed_binance_next(struct feed_reader *r, struct event *ev)
{
	struct feed_src *s = &r->src[0];
	struct feed_binance *bn = &r->u.bn;

	for (;;) {
		char *l;
		size_t n;
		int rc;

		if (bn->replaying) {
			rc = replay_step(r, ev);
			if (rc)
				return rc;
			continue;
		}
		rc = feed_src_line(s, &l, &n);
		if (rc == 0) {
			if (bn->state == BN_NO_BOOK) {
				r->st.diffs_unsynced += bn->pend_n;
				pend_clear(bn);
			}
			return 0;
		}
		if (rc == -E2BIG) {
			r->st.rows++;
			if ((rc = feed_bad(r, s, "line longer than %u bytes",
					   r->o.line_max)) < 0)
				return rc;
			continue;
		}
		if (rc < 0)
			return feed_fail_src(r, s, rc);
		if (n == 0)
			continue;
		r->st.rows++;
		rc = on_line(r, l, n, ev);
		if (rc)
			return rc;
	}
}

int feed_binance_open(struct feed_reader *r)
{
	struct feed_binance *bn = &r->u.bn;

	bn->cap = r->o.book_cap;
	bn->futures = -1;
	bn->state = BN_NO_BOOK;
	bn->keep_off = NO_KEEP;
	bn->pend_cap = r->o.pend_bytes;
	bn->side[0].lv = calloc(bn->cap, sizeof(struct book_level));
	bn->side[1].lv = calloc(bn->cap, sizeof(struct book_level));
	bn->pend = malloc(bn->pend_cap);
	if (!bn->side[0].lv || !bn->side[1].lv || !bn->pend)
		return feed_fail(r, -ENOMEM, "%s: out of memory for the book "
				 "(%u levels per side) and diff buffer (%zu bytes)",
				 r->src[0].path, bn->cap, bn->pend_cap);
	return 0;
}

void feed_binance_close(struct feed_reader *r)
{
	struct feed_binance *bn = &r->u.bn;

	free(bn->side[0].lv);
	free(bn->side[1].lv);
	free(bn->pend);
	bn->side[0].lv = bn->side[1].lv = NULL;
	bn->pend = NULL;
}
