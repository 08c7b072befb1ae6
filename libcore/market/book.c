/*
 * book.c — price-level order book; the model is in book.h and docs/book.md.
 *
 * Every side is a short sorted array (L <= 20 levels of 16 bytes: at most
 * five cache lines), so a linear scan and one memmove beat any tree or
 * binary search at this size.
 */
#include "libcore/market/book.h"

#include <errno.h>
#include <string.h>

/* Is price a strictly better than price c on this side? */
static inline int better(unsigned side, int64_t a, int64_t c)
{
	return side == BOOK_BID ? a > c : a < c;
}

static inline int is_crossed(const struct book *b)
{
	return b->n[BOOK_BID] && b->n[BOOK_ASK] &&
	       b->level[BOOK_BID][0].px >= b->level[BOOK_ASK][0].px;
}

/* A refused update: the book stays as it was, crossed or not. */
static int refuse_neg_size(struct book *b)
{
	b->stats.neg_size++;
	b->flags = BOOK_F_NEG_SIZE | (is_crossed(b) ? BOOK_F_CROSSED : 0);
	return -EINVAL;
}

/* Times and the flags every applied update shares; `flags` holds the rest. */
static void finish_update(struct book *b, uint32_t flags,
			  int64_t exch_ns, int64_t recv_ns)
{
	if (DM_UNLIKELY(exch_ns < b->exch_ns)) {
		flags |= BOOK_F_OUT_OF_ORDER;
		b->stats.out_of_order++;
	}
	if (DM_UNLIKELY(is_crossed(b))) {
		flags |= BOOK_F_CROSSED;
		b->stats.crossed++;
	}
	b->exch_ns = exch_ns;
	b->recv_ns = recv_ns;
	b->flags = flags;
}

enum set_result { SET_MODIFIED, SET_INSERTED, SET_DELETED, SET_MISSING, SET_IGNORED };

/*
 * Where px stands on one side: the number of levels better than it.  The
 * side is strictly best first, so these are exactly the levels before the
 * first that is not; they are counted without a branch per level (where a
 * scan would stop is unpredictable), in two independent sums.
 */
static inline uint32_t side_find(const struct book_level *lv, uint32_t n,
				 unsigned side, int64_t px)
{
	uint32_t a = 0, c = 0, j = 0;

	if (side == BOOK_BID) {
		for (; j + 1 < n; j += 2) {
			a += lv[j].px > px;
			c += lv[j + 1].px > px;
		}
		if (j < n)
			a += lv[j].px > px;
	} else {
		for (; j + 1 < n; j += 2) {
			a += lv[j].px < px;
			c += lv[j + 1].px < px;
		}
		if (j < n)
			a += lv[j].px < px;
	}
	return a + c;
}

/* side_set's work once side_find has given i, unless it only changes a
 * size (the caller's fast path) */
static __attribute__((noinline)) enum set_result
side_set_at(struct book *b, unsigned side, uint32_t i, int64_t px, int64_t qty)
{
	struct book_level *lv = b->level[side];
	uint32_t n = b->n[side];

	if (i < n && lv[i].px == px) {
		if (qty) {
			lv[i].qty = qty;
			return SET_MODIFIED;
		}
		memmove(&lv[i], &lv[i + 1], (n - i - 1) * sizeof(*lv));
		b->n[side] = n - 1;
		return SET_DELETED;
	}
	if (!qty)
		return SET_MISSING;
	if (i >= b->depth)
		return SET_IGNORED;
	/* a full side drops its last level to make room */
	uint32_t keep = n < b->depth ? n : b->depth - 1;
	memmove(&lv[i + 1], &lv[i], (keep - i) * sizeof(*lv));
	lv[i].px = px;
	lv[i].qty = qty;
	b->n[side] = keep + 1;
	return SET_INSERTED;
}

/* Set the level at px to qty (>= 0) on one side, keeping order and depth. */
static enum set_result side_set(struct book *b, unsigned side,
				int64_t px, int64_t qty)
{
	return side_set_at(b, side, side_find(b->level[side], b->n[side], side, px), px, qty);
}

int book_init(struct book *b, uint32_t levels)
{
	if (levels < 1 || levels > BOOK_MAX_LEVELS)
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	b->depth = levels;
	return 0;
}

/*
 * Is one side of snapshot input anything but the usual, every level sized
 * (> 0) and strictly best first?  One pass, no branch per level.
 */
static inline uint32_t side_unusual(unsigned side, const struct book_level *in, uint32_t n)
{
	uint32_t odd = n && in[0].qty <= 0;
	if (side == BOOK_BID)
		for (uint32_t i = 1; i < n; i++)
			odd |= (uint32_t)(in[i].qty <= 0) | (uint32_t)(in[i].px >= in[i - 1].px);
	else
		for (uint32_t i = 1; i < n; i++)
			odd |= (uint32_t)(in[i].qty <= 0) | (uint32_t)(in[i].px <= in[i - 1].px);
	return odd;
}

/* The usual side: its best `depth` levels as they are. */
static inline void snap_copy(struct book *b, unsigned side, const struct book_level *in,
			     uint32_t n_in)
{
	uint32_t k = n_in < b->depth ? n_in : b->depth;
	/* level by level (an empty side may come as NULL): a few 16-byte
	 * moves, no call */
	for (uint32_t i = 0; i < k; i++)
		b->level[side][i] = in[i];
	b->n[side] = k;
}

/*
 * Fill one side from snapshot input.  Returns 1 if the input was not
 * strictly best first; the side then holds what setting every input level
 * in turn gives: the best `depth` distinct prices, the last size of each.
 */
static int snap_side(struct book *b, unsigned side,
		     const struct book_level *in, uint32_t n_in)
{
	struct book_level *lv = b->level[side];
	uint32_t k = 0, i;
	int have_last = 0;
	int64_t last_px = 0;

	for (i = 0; i < n_in; i++) {
		if (!in[i].qty)
			continue;
		if (have_last && !better(side, last_px, in[i].px))
			goto unsorted;
		have_last = 1;
		last_px = in[i].px;
		/* keep checking the order past the depth: a better price
		 * further down would belong in the book */
		if (k < b->depth)
			lv[k++] = in[i];
	}
	b->n[side] = k;
	return 0;

unsorted:
	b->n[side] = 0;
	for (i = 0; i < n_in; i++)
		if (in[i].qty)
			side_set(b, side, in[i].px, in[i].qty);
	return 1;
}

int book_apply_snapshot(struct book *b,
			const struct book_level *bids, uint32_t n_bid,
			const struct book_level *asks, uint32_t n_ask,
			int64_t exch_ns, int64_t recv_ns)
{
	uint32_t i, flags = 0;
	uint32_t odd_bid = side_unusual(BOOK_BID, bids, n_bid);
	uint32_t odd_ask = side_unusual(BOOK_ASK, asks, n_ask);
	int unsorted = 0;

	if (DM_LIKELY(!(odd_bid | odd_ask))) {
		snap_copy(b, BOOK_BID, bids, n_bid);
		snap_copy(b, BOOK_ASK, asks, n_ask);
	} else {
		/* refuse before touching anything, so the book stays whole */
		for (i = 0; i < n_bid; i++)
			if (DM_UNLIKELY(bids[i].qty < 0))
				return refuse_neg_size(b);
		for (i = 0; i < n_ask; i++)
			if (DM_UNLIKELY(asks[i].qty < 0))
				return refuse_neg_size(b);
		unsorted = odd_bid ? snap_side(b, BOOK_BID, bids, n_bid) : 0;
		if (!odd_bid)
			snap_copy(b, BOOK_BID, bids, n_bid);
		unsorted |= odd_ask ? snap_side(b, BOOK_ASK, asks, n_ask) : 0;
		if (!odd_ask)
			snap_copy(b, BOOK_ASK, asks, n_ask);
	}
	if (DM_UNLIKELY(unsorted)) {
		flags |= BOOK_F_UNSORTED;
		b->stats.unsorted++;
	}
	b->stats.snapshots++;
	finish_update(b, flags, exch_ns, recv_ns);
	return 0;
}

int book_levels_sorted(enum book_side side, const struct book_level *in, uint32_t n)
{
	return !side_unusual(side, in, n);
}

int book_apply_snapshot_sorted(struct book *b,
			       const struct book_level *bids, uint32_t n_bid,
			       const struct book_level *asks, uint32_t n_ask,
			       int64_t exch_ns, int64_t recv_ns)
{
	snap_copy(b, BOOK_BID, bids, n_bid);
	snap_copy(b, BOOK_ASK, asks, n_ask);
	b->stats.snapshots++;
	finish_update(b, 0, exch_ns, recv_ns);
	return 0;
}

int book_apply_level(struct book *b, enum book_side side, int64_t px,
		     int64_t qty, int64_t exch_ns, int64_t recv_ns)
{
	if (DM_UNLIKELY(side != BOOK_BID && side != BOOK_ASK))
		return -EINVAL;
	if (DM_UNLIKELY(qty < 0))
		return refuse_neg_size(b);

	struct book_level *lv = b->level[side];
	uint32_t n = b->n[side], i = side_find(lv, n, side, px);
	if (DM_LIKELY(i < n && lv[i].px == px && qty)) {
		lv[i].qty = qty; /* a size change in place: the usual update */
		b->stats.levels++;
		finish_update(b, 0, exch_ns, recv_ns);
		return 0;
	}
	switch (side_set_at(b, side, i, px, qty)) {
	case SET_MISSING:
		b->stats.del_missing++;
		break;
	case SET_IGNORED:
		b->stats.beyond_depth++;
		break;
	default:
		break;
	}
	b->stats.levels++;
	finish_update(b, 0, exch_ns, recv_ns);
	return 0;
}

static inline void put(struct book_change *out, uint32_t max, uint32_t *k,
		       unsigned side, int64_t px, int64_t qty)
{
	if (*k < max) {
		out[*k].px = px;
		out[*k].qty = qty;
		out[*k].side = side;
		out[*k].pad = 0;
	}
	(*k)++;
}

/*
 * One side of the diff: a merge of two best-first arrays.  Deletions go
 * first so that the upserts, applied to a side that then holds only prices
 * common to both, never push a level out or fall beyond the depth.
 */
static void diff_side(const struct book *o, const struct book *w, unsigned side,
		      struct book_change *out, uint32_t max, uint32_t *k)
{
	const struct book_level *a = o->level[side], *c = w->level[side];
	uint32_t na = o->n[side], nc = w->n[side], i, j;

	for (i = 0, j = 0; i < na; ) {
		if (j < nc && better(side, c[j].px, a[i].px)) {
			j++;
		} else if (j < nc && c[j].px == a[i].px) {
			i++;
			j++;
		} else {
			put(out, max, k, side, a[i].px, 0);
			i++;
		}
	}
	for (i = 0, j = 0; j < nc; ) {
		if (i < na && better(side, a[i].px, c[j].px)) {
			i++;
		} else if (i < na && a[i].px == c[j].px) {
			if (a[i].qty != c[j].qty)
				put(out, max, k, side, c[j].px, c[j].qty);
			i++;
			j++;
		} else {
			put(out, max, k, side, c[j].px, c[j].qty);
			j++;
		}
	}
}

uint32_t book_diff(const struct book *old, const struct book *new,
		   struct book_change *out, uint32_t max)
{
	uint32_t k = 0;

	diff_side(old, new, BOOK_BID, out, max, &k);
	diff_side(old, new, BOOK_ASK, out, max, &k);
	return k;
}

void book_top(const struct book *b, struct book_level *bids,
	      struct book_level *asks, uint32_t n,
	      uint32_t *n_bid, uint32_t *n_ask)
{
	uint32_t nb = b->n[BOOK_BID] < n ? b->n[BOOK_BID] : n;
	uint32_t na = b->n[BOOK_ASK] < n ? b->n[BOOK_ASK] : n;

	*n_bid = nb;
	*n_ask = na;
	if (!n)
		return; /* the arrays may then be NULL */
	memcpy(bids, b->level[BOOK_BID], nb * sizeof(*bids));
	memset(bids + nb, 0, (n - nb) * sizeof(*bids));
	memcpy(asks, b->level[BOOK_ASK], na * sizeof(*asks));
	memset(asks + na, 0, (n - na) * sizeof(*asks));
}
