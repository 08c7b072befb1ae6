/*
 * book.h — a fixed-capacity price-level order book (market by price).
 *
 * Design note.  A book holds, per side, at most `depth` levels (L, chosen at
 * book_init, 1..BOOK_MAX_LEVELS), each an integer tick price and an integer
 * size, best first: bids strictly descending, asks strictly ascending, every
 * qty > 0.  Those invariants hold after every call, whatever the input.
 *
 *   level[BOOK_BID][0 .. n[BOOK_BID]-1]   best bid first
 *   level[BOOK_ASK][0 .. n[BOOK_ASK]-1]   best ask first
 *
 * The book only knows its top L levels.  A level that falls below the L-th
 * (an insert above it pushed it out) is forgotten; an insert worse than the
 * L-th of a full side is ignored.  A feed of the top L levels re-sends the
 * level that moves up into view after a delete, so nothing is lost.
 *
 * Anomalies are counted and flagged, never fatal: a crossed or locked book
 * (best bid >= best ask) and an exchange time that goes backwards are applied
 * as received; a negative size is refused and leaves the book as it was.
 * `flags` describes the last call, `stats` counts since book_init.
 *
 * Memory: the caller owns the struct (stack, static, a shared segment); it is
 * fixed-size, pointer-free and explicit-width.  Nothing here allocates, locks
 * or makes a system call.  One writer at a time; a concurrent reader needs
 * its own synchronisation (copy out with book_top under the writer's
 * protocol).  Every update is O(L) or O(input), L <= 20.
 *
 * libcore knows nothing about shared memory, so the message layout is not
 * included here; struct book_level has the layout of shm/msg.h's msg_level
 * (px then qty, 16 bytes) so a publisher can static_assert the two and copy
 * book_top's output straight into a msg_book.  docs/book.md has the details.
 */
#ifndef DM_LIBCORE_BOOK_H
#define DM_LIBCORE_BOOK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "libcore/types.h"

#define BOOK_MAX_LEVELS 20u

/* Side index of a level array and of a change. */
enum book_side { BOOK_BID = 0, BOOK_ASK = 1 };

/* book.flags: what the last update call found (0 = clean). */
#define BOOK_F_CROSSED      0x01u /* after the call best bid >= best ask */
#define BOOK_F_NEG_SIZE     0x02u /* a negative size: update refused */
#define BOOK_F_OUT_OF_ORDER 0x04u /* exch_ns earlier than the last update's */
#define BOOK_F_UNSORTED     0x08u /* snapshot input not strictly best first */

/* Sentinels returned for an empty side (see the accessors). */
#define BOOK_NO_BID    INT64_MIN /* best bid px of an empty bid side */
#define BOOK_NO_ASK    INT64_MAX /* best ask px of an empty ask side */
#define BOOK_NO_SPREAD INT64_MAX /* spread when either side is empty */

/* Most changes book_diff can produce: every old level deleted and every new
 * level inserted on both sides. */
#define BOOK_DIFF_MAX (4u * BOOK_MAX_LEVELS)

struct book_level {
	int64_t px;  /* ticks */
	int64_t qty; /* contracts; > 0 inside a book */
};
_Static_assert(sizeof(struct book_level) == 16, "book_level size (= msg_level)");
_Static_assert(offsetof(struct book_level, px) == 0, "book_level.px");
_Static_assert(offsetof(struct book_level, qty) == 8, "book_level.qty");

/* One level change: set side's level px to qty, qty 0 = delete it. */
struct book_change {
	int64_t  px;   /* ticks */
	int64_t  qty;  /* new size in contracts; 0 = level deleted */
	uint32_t side; /* enum book_side */
	uint32_t pad;
};
_Static_assert(sizeof(struct book_change) == 24, "book_change size");

/* Counters since book_init; they only grow. */
struct book_stats {
	uint64_t snapshots;    /* snapshots applied */
	uint64_t levels;       /* level changes applied (no-ops included) */
	uint64_t crossed;      /* applied updates that left the book crossed */
	uint64_t neg_size;     /* updates refused for a negative size */
	uint64_t out_of_order; /* applied updates whose exch_ns went back */
	uint64_t unsorted;     /* snapshots whose input was not best first */
	uint64_t beyond_depth; /* inserts ignored: worse than a full side's last */
	uint64_t del_missing;  /* deletes of a price the book does not hold */
};

struct book {
	uint32_t depth;   /* L: most levels per side, 1..BOOK_MAX_LEVELS */
	uint32_t flags;   /* BOOK_F_* of the last update call */
	uint32_t n[2];    /* levels held per side, 0..depth */
	int64_t  exch_ns; /* exchange time of the last applied update */
	int64_t  recv_ns; /* local receive time of the last applied update */
	struct book_level level[2][BOOK_MAX_LEVELS]; /* [side][i], best first */
	struct book_stats stats;
};

/*
 * Make *b an empty book of `levels` levels per side (1..BOOK_MAX_LEVELS),
 * times 0, flags and counters 0.  Returns 0, or -EINVAL for a depth out of
 * range (b untouched).  The caller owns b.  No allocation; O(1) apart from
 * clearing the struct.
 */
int book_init(struct book *b, uint32_t levels);

/*
 * Replace both sides with a full snapshot.  bids/asks are read-only, best
 * first (bids descending, asks ascending), n_bid/n_ask entries each (either
 * pointer may be NULL when its count is 0; neither may point into b); entries with qty 0 are empty
 * slots and are skipped; only the best `depth` levels are kept.  Input that
 * is not strictly best first (misordered or a repeated price) is still
 * taken: the side becomes the best `depth` distinct prices, a repeated price
 * taking its last size, and BOOK_F_UNSORTED is raised and counted.
 * Returns 0; or -EINVAL if any entry has qty < 0: the snapshot is refused,
 * the book (times included) stays as it was, BOOK_F_NEG_SIZE is raised and
 * counted.  Raises and counts BOOK_F_OUT_OF_ORDER (exch_ns went back) and
 * BOOK_F_CROSSED as described at the top.  No allocation; O(n_bid + n_ask),
 * O((n_bid + n_ask) * L) for unsorted input.
 */
int book_apply_snapshot(struct book *b,
			const struct book_level *bids, uint32_t n_bid,
			const struct book_level *asks, uint32_t n_ask,
			int64_t exch_ns, int64_t recv_ns);

/*
 * 1 when n levels (read-only) are what one side of a book holds: strictly
 * best first on side (bids descending, asks ascending) and every size
 * > 0; n = 0 is such a side too.  0 otherwise.  Pure; O(n), no branch per
 * level.
 */
int book_levels_sorted(enum book_side side, const struct book_level *in, uint32_t n);

/*
 * book_apply_snapshot of input whose both sides book_levels_sorted
 * accepts (the caller, or the producer of a message, checked them:
 * msg_book.md_flags MSG_BOOK_SORTED): the same result without checking
 * again.  Input that is not so breaks the book's invariants: never hand
 * it unchecked.  Returns 0.  No allocation; O(depth).
 */
int book_apply_snapshot_sorted(struct book *b,
			       const struct book_level *bids, uint32_t n_bid,
			       const struct book_level *asks, uint32_t n_ask,
			       int64_t exch_ns, int64_t recv_ns);

/*
 * Apply one incremental level change: set the level at px on `side` to qty.
 * qty > 0 modifies the level in place or inserts it at its sorted place (the
 * last level of a full side falls off and is forgotten; a new level worse
 * than the last of a full side is ignored and counted in beyond_depth);
 * qty == 0 deletes it (a price the book does not hold: nothing changes,
 * counted in del_missing).  Times are stored and the flags set even when
 * the book's levels do not change.
 * Returns 0; -EINVAL if qty < 0 (book unchanged, BOOK_F_NEG_SIZE raised and
 * counted) or if side is not a book_side (nothing changes, nothing counted).
 * No allocation; O(L).
 */
int book_apply_level(struct book *b, enum book_side side, int64_t px,
		     int64_t qty, int64_t exch_ns, int64_t recv_ns);

/*
 * The level changes that turn the levels of old into those of new: writes
 * the first min(count, max) of them into out (owned by the caller; may be
 * NULL when max is 0) and returns count, at most BOOK_DIFF_MAX; count > max
 * means out was too small.  Order: bid deletions, bid upserts, ask
 * deletions, ask upserts, each best first; a change is emitted only for a
 * price whose size differs (absent = 0), so equal books give 0.  Applying
 * the changes in order with book_apply_level to a book equal to old gives
 * the levels of new, as long as new holds no more than old->depth levels
 * per side (deletions first, so nothing is pushed out or ignored).  Reads
 * only; times, flags and counters play no part.  No allocation; O(L).
 */
uint32_t book_diff(const struct book *old, const struct book *new,
		   struct book_change *out, uint32_t max);

/*
 * Copy the best min(n, levels held) levels of each side into bids[] and
 * asks[] (n entries each, owned by the caller), best first, and store the
 * counts in *n_bid and *n_ask; entries from the count up to n are zeroed so
 * the whole array has defined bytes (the arrays may be NULL when n is 0).
 * No allocation; O(n).
 */
void book_top(const struct book *b, struct book_level *bids,
	      struct book_level *asks, uint32_t n,
	      uint32_t *n_bid, uint32_t *n_ask);

/*
 * Accessors: read-only, O(1), never allocate.  `side` must be BOOK_BID or
 * BOOK_ASK.  An empty side has best px BOOK_NO_BID (INT64_MIN) or
 * BOOK_NO_ASK (INT64_MAX), i.e. the worst price possible on that side, so
 * comparisons such as "best bid >= best ask" stay false, and best qty 0.
 */

/* Levels held on a side, 0..depth. */
static inline uint32_t book_depth(const struct book *b, enum book_side side)
{
	return b->n[side];
}

/* Level i of a side (0 = best), or NULL when i >= book_depth(b, side).
 * The pointer is into b and valid until the next update. */
static inline const struct book_level *
book_level_at(const struct book *b, enum book_side side, uint32_t i)
{
	return i < b->n[side] ? &b->level[side][i] : NULL;
}

/* Best bid price in ticks; BOOK_NO_BID when there is no bid. */
static inline int64_t book_best_bid_px(const struct book *b)
{
	return DM_LIKELY(b->n[BOOK_BID]) ? b->level[BOOK_BID][0].px : BOOK_NO_BID;
}

/* Best ask price in ticks; BOOK_NO_ASK when there is no ask. */
static inline int64_t book_best_ask_px(const struct book *b)
{
	return DM_LIKELY(b->n[BOOK_ASK]) ? b->level[BOOK_ASK][0].px : BOOK_NO_ASK;
}

/* Size at the best bid; 0 when there is no bid. */
static inline int64_t book_best_bid_qty(const struct book *b)
{
	return DM_LIKELY(b->n[BOOK_BID]) ? b->level[BOOK_BID][0].qty : 0;
}

/* Size at the best ask; 0 when there is no ask. */
static inline int64_t book_best_ask_qty(const struct book *b)
{
	return DM_LIKELY(b->n[BOOK_ASK]) ? b->level[BOOK_ASK][0].qty : 0;
}

/* Best ask minus best bid in ticks (0 or negative when locked or crossed);
 * BOOK_NO_SPREAD when either side is empty. */
static inline int64_t book_spread(const struct book *b)
{
	if (DM_UNLIKELY(!b->n[BOOK_BID] || !b->n[BOOK_ASK]))
		return BOOK_NO_SPREAD;
	return b->level[BOOK_ASK][0].px - b->level[BOOK_BID][0].px;
}

/* (best bid + best ask) / 2 in ticks; NAN when either side is empty. */
static inline double book_mid(const struct book *b)
{
	if (DM_UNLIKELY(!b->n[BOOK_BID] || !b->n[BOOK_ASK]))
		return NAN;
	return ((double)b->level[BOOK_BID][0].px +
		(double)b->level[BOOK_ASK][0].px) * 0.5;
}

/* BOOK_F_* of the last update call. */
static inline uint32_t book_flags(const struct book *b)
{
	return b->flags;
}

/* Counters since book_init; the pointer is into b. */
static inline const struct book_stats *book_stats(const struct book *b)
{
	return &b->stats;
}

#endif /* DM_LIBCORE_BOOK_H */
