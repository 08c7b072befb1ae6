/*
 * The order book against hand-worked examples and, for random sequences,
 * against a naive reference written here: per side an unsorted array of
 * (px, qty) that is sorted by brute force and cut to the depth after every
 * change.  Neither shares code with libcore/market/book.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "libcore/market/book.h"
#include "tests/helpers.h"

/* ------------------------------------------------------------ helpers */

#define LV(p, q) ((struct book_level){ .px = (p), .qty = (q) })

/* Assert that one side holds exactly the n levels of want, in order. */
static void t_expect_side(const struct book *b, enum book_side s,
			  const struct book_level *want, uint32_t n)
{
	cr_assert_eq(book_depth(b, s), n, "side %d: %u levels, want %u",
		     s, book_depth(b, s), n);
	for (uint32_t i = 0; i < n; i++) {
		const struct book_level *l = book_level_at(b, s, i);
		cr_assert_not_null(l);
		cr_assert(l->px == want[i].px && l->qty == want[i].qty,
			  "side %d level %u: %ld x %ld, want %ld x %ld", s, i,
			  (long)l->px, (long)l->qty, (long)want[i].px, (long)want[i].qty);
	}
	cr_assert_null(book_level_at(b, s, n));
}

#define EXPECT_SIDE(b, s, ...) do { \
	const struct book_level w_[] = { __VA_ARGS__ }; \
	t_expect_side((b), (s), w_, sizeof(w_) / sizeof(w_[0])); \
} while (0)

/* Depth 5; bids 25998x10 25996x20 25994x30; asks 26001x5 26003x6 26005x7. */
static void t_std_book(struct book *b)
{
	static const struct book_level bids[] = { LV(25998, 10), LV(25996, 20), LV(25994, 30) };
	static const struct book_level asks[] = { LV(26001, 5), LV(26003, 6), LV(26005, 7) };
	cr_assert_eq(book_init(b, 5), 0);
	cr_assert_eq(book_apply_snapshot(b, bids, 3, asks, 3, 1000, 2000), 0);
	cr_assert_eq(book_flags(b), 0);
}

/* ------------------------------------------------------------ init, empty */

Test(book, init_rejects_depth_out_of_range)
{
	struct book b;
	cr_assert_eq(book_init(&b, 0), -EINVAL);
	cr_assert_eq(book_init(&b, BOOK_MAX_LEVELS + 1), -EINVAL);
	cr_assert_eq(book_init(&b, 1), 0);
	cr_assert_eq(b.depth, 1);
	cr_assert_eq(book_init(&b, BOOK_MAX_LEVELS), 0);
	cr_assert_eq(b.depth, 20);
}

Test(book, empty_book_returns_sentinels)
{
	struct book b;
	cr_assert_eq(book_init(&b, 5), 0);
	cr_assert_eq(book_depth(&b, BOOK_BID), 0);
	cr_assert_eq(book_depth(&b, BOOK_ASK), 0);
	cr_assert_eq(book_best_bid_px(&b), INT64_MIN);
	cr_assert_eq(book_best_ask_px(&b), INT64_MAX);
	cr_assert_eq(book_best_bid_qty(&b), 0);
	cr_assert_eq(book_best_ask_qty(&b), 0);
	cr_assert_eq(book_spread(&b), BOOK_NO_SPREAD);
	cr_assert(isnan(book_mid(&b)));
	cr_assert_null(book_level_at(&b, BOOK_BID, 0));
	cr_assert_null(book_level_at(&b, BOOK_ASK, 0));
	cr_assert_eq(book_flags(&b), 0);
	const struct book_stats *st = book_stats(&b);
	cr_assert_eq(st->snapshots + st->levels + st->crossed, 0);
}

Test(book, one_empty_side)
{
	struct book b;
	cr_assert_eq(book_init(&b, 5), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 26000, 3, 1, 1), 0);
	cr_assert_eq(book_best_bid_px(&b), 26000);
	cr_assert_eq(book_best_bid_qty(&b), 3);
	cr_assert_eq(book_best_ask_px(&b), BOOK_NO_ASK);
	cr_assert_eq(book_best_ask_qty(&b), 0);
	cr_assert_eq(book_spread(&b), BOOK_NO_SPREAD);
	cr_assert(isnan(book_mid(&b)));
	cr_assert_eq(book_flags(&b), 0, "one side only is not crossed");

	/* the other way round, through a snapshot with an empty bid side */
	static const struct book_level asks[] = { LV(26010, 4) };
	cr_assert_eq(book_apply_snapshot(&b, NULL, 0, asks, 1, 2, 2), 0);
	cr_assert_eq(book_best_bid_px(&b), BOOK_NO_BID);
	cr_assert_eq(book_best_ask_px(&b), 26010);
	cr_assert_eq(book_spread(&b), BOOK_NO_SPREAD);
	cr_assert(isnan(book_mid(&b)));
	cr_assert_eq(book_flags(&b), 0);
}

Test(book, accessors_on_hand_worked_book)
{
	struct book b;
	t_std_book(&b);
	cr_assert_eq(book_best_bid_px(&b), 25998);
	cr_assert_eq(book_best_bid_qty(&b), 10);
	cr_assert_eq(book_best_ask_px(&b), 26001);
	cr_assert_eq(book_best_ask_qty(&b), 5);
	cr_assert_eq(book_spread(&b), 3);
	cr_assert_float_eq(book_mid(&b), 25999.5, 1e-9);
	cr_assert_eq(book_level_at(&b, BOOK_ASK, 2)->px, 26005);
	cr_assert_eq(b.exch_ns, 1000);
	cr_assert_eq(b.recv_ns, 2000);
	cr_assert_eq(book_stats(&b)->snapshots, 1);
}

/* ------------------------------------------------------------ snapshots */

Test(book, snapshot_truncates_to_depth_and_skips_empty_slots)
{
	struct book b;
	cr_assert_eq(book_init(&b, 3), 0);
	static const struct book_level bids[] = {
		LV(100, 1), LV(99, 0), LV(98, 2), LV(97, 3), LV(96, 4), LV(95, 5)
	};
	static const struct book_level asks[] = { LV(0, 0), LV(101, 7), LV(0, 0) };
	cr_assert_eq(book_apply_snapshot(&b, bids, 6, asks, 3, 10, 11), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(100, 1), LV(98, 2), LV(97, 3));
	EXPECT_SIDE(&b, BOOK_ASK, LV(101, 7));
	cr_assert_eq(book_flags(&b), 0);

	/* a later snapshot replaces everything, shorter sides included */
	cr_assert_eq(book_apply_snapshot(&b, bids + 4, 1, NULL, 0, 12, 13), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(96, 4));
	cr_assert_eq(book_depth(&b, BOOK_ASK), 0);
	cr_assert_eq(book_stats(&b)->snapshots, 2);
}

Test(book, snapshot_unsorted_input_is_sorted_and_flagged)
{
	struct book b;
	cr_assert_eq(book_init(&b, 3), 0);
	/* misordered, 25990 twice (last size 3 wins), 25985 beyond depth */
	static const struct book_level bids[] = {
		LV(25990, 1), LV(25995, 2), LV(25985, 8), LV(25990, 3), LV(25999, 4)
	};
	/* asks in order except a better price past the depth */
	static const struct book_level asks[] = {
		LV(26000, 1), LV(26001, 1), LV(26002, 1), LV(26003, 1), LV(25999, 9)
	};
	cr_assert_eq(book_apply_snapshot(&b, bids, 5, asks, 5, 1, 1), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(25999, 4), LV(25995, 2), LV(25990, 3));
	EXPECT_SIDE(&b, BOOK_ASK, LV(25999, 9), LV(26000, 1), LV(26001, 1));
	cr_assert_eq(book_flags(&b), BOOK_F_UNSORTED | BOOK_F_CROSSED);
	cr_assert_eq(book_stats(&b)->unsorted, 1);

	/* a repeated price alone is unsorted too */
	static const struct book_level dup[] = { LV(26005, 1), LV(26005, 2) };
	cr_assert_eq(book_apply_snapshot(&b, NULL, 0, dup, 2, 2, 2), 0);
	EXPECT_SIDE(&b, BOOK_ASK, LV(26005, 2));
	cr_assert_eq(book_flags(&b), BOOK_F_UNSORTED);
	cr_assert_eq(book_stats(&b)->unsorted, 2);
}

Test(book, snapshot_with_negative_size_refused)
{
	struct book b, before;
	t_std_book(&b);
	before = b;
	static const struct book_level bids[] = { LV(25990, 1) };
	static const struct book_level asks[] = { LV(26010, 1), LV(26011, -2) };
	cr_assert_eq(book_apply_snapshot(&b, bids, 1, asks, 2, 5000, 5001), -EINVAL);
	cr_assert_eq(memcmp(b.level, before.level, sizeof(b.level)), 0);
	cr_assert_eq(memcmp(b.n, before.n, sizeof(b.n)), 0);
	cr_assert_eq(b.exch_ns, 1000);
	cr_assert_eq(b.recv_ns, 2000);
	cr_assert_eq(book_flags(&b), BOOK_F_NEG_SIZE);
	cr_assert_eq(book_stats(&b)->neg_size, 1);
	cr_assert_eq(book_stats(&b)->snapshots, 1);
}

/* ------------------------------------------------------------ level changes */

Test(book, level_insert_at_top)
{
	struct book b;
	t_std_book(&b);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25999, 1, 1001, 2001), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(25999, 1), LV(25998, 10), LV(25996, 20), LV(25994, 30));
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26000, 2, 1002, 2002), 0);
	EXPECT_SIDE(&b, BOOK_ASK, LV(26000, 2), LV(26001, 5), LV(26003, 6), LV(26005, 7));
	cr_assert_eq(book_spread(&b), 1);
	cr_assert_eq(book_flags(&b), 0);
	cr_assert_eq(b.exch_ns, 1002);
	cr_assert_eq(b.recv_ns, 2002);
	cr_assert_eq(book_stats(&b)->levels, 2);
}

Test(book, level_insert_in_middle)
{
	struct book b;
	t_std_book(&b);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25997, 4, 1001, 2001), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(25998, 10), LV(25997, 4), LV(25996, 20), LV(25994, 30));
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26004, 3, 1001, 2001), 0);
	EXPECT_SIDE(&b, BOOK_ASK, LV(26001, 5), LV(26003, 6), LV(26004, 3), LV(26005, 7));
}

Test(book, level_insert_at_bottom)
{
	struct book b;
	t_std_book(&b);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25990, 9, 1001, 2001), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(25998, 10), LV(25996, 20), LV(25994, 30), LV(25990, 9));
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26010, 8, 1001, 2001), 0);
	EXPECT_SIDE(&b, BOOK_ASK, LV(26001, 5), LV(26003, 6), LV(26005, 7), LV(26010, 8));
	cr_assert_eq(book_stats(&b)->beyond_depth, 0);
}

Test(book, level_insert_beyond_depth_ignored)
{
	struct book b;
	t_std_book(&b);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25993, 1, 1001, 2001), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25992, 2, 1002, 2002), 0);
	cr_assert_eq(book_depth(&b, BOOK_BID), 5);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25991, 3, 1003, 2003), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(25998, 10), LV(25996, 20), LV(25994, 30),
		    LV(25993, 1), LV(25992, 2));
	cr_assert_eq(book_stats(&b)->beyond_depth, 1);
	cr_assert_eq(b.exch_ns, 1003, "times move even when levels do not");

	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26006, 1, 1004, 2004), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26007, 1, 1005, 2005), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26008, 1, 1006, 2006), 0);
	EXPECT_SIDE(&b, BOOK_ASK, LV(26001, 5), LV(26003, 6), LV(26005, 7),
		    LV(26006, 1), LV(26007, 1));
	cr_assert_eq(book_stats(&b)->beyond_depth, 2);
	cr_assert_eq(book_flags(&b), 0);
}

Test(book, level_insert_into_full_side_drops_last)
{
	struct book b;
	t_std_book(&b);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25993, 1, 1001, 2001), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25992, 2, 1002, 2002), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25997, 5, 1003, 2003), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(25998, 10), LV(25997, 5), LV(25996, 20),
		    LV(25994, 30), LV(25993, 1));
	/* the dropped level is forgotten: a delete does not bring it back */
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25997, 0, 1004, 2004), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(25998, 10), LV(25996, 20), LV(25994, 30), LV(25993, 1));

	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26002, 1, 1005, 2005), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26004, 1, 1006, 2006), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26000, 9, 1007, 2007), 0);
	EXPECT_SIDE(&b, BOOK_ASK, LV(26000, 9), LV(26001, 5), LV(26002, 1),
		    LV(26003, 6), LV(26004, 1));
	cr_assert_eq(book_stats(&b)->beyond_depth, 0);
}

Test(book, level_modify_in_place)
{
	struct book b;
	t_std_book(&b);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25996, 21, 1001, 2001), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(25998, 10), LV(25996, 21), LV(25994, 30));
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26001, 1, 1002, 2002), 0);
	EXPECT_SIDE(&b, BOOK_ASK, LV(26001, 1), LV(26003, 6), LV(26005, 7));
	cr_assert_eq(book_best_ask_qty(&b), 1);
}

Test(book, level_delete_top_middle_bottom)
{
	struct book b;
	t_std_book(&b);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25996, 0, 1001, 2001), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(25998, 10), LV(25994, 30));
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25998, 0, 1002, 2002), 0);
	EXPECT_SIDE(&b, BOOK_BID, LV(25994, 30));
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25994, 0, 1003, 2003), 0);
	cr_assert_eq(book_depth(&b, BOOK_BID), 0);
	cr_assert_eq(book_best_bid_px(&b), BOOK_NO_BID);

	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26005, 0, 1004, 2004), 0);
	EXPECT_SIDE(&b, BOOK_ASK, LV(26001, 5), LV(26003, 6));
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26001, 0, 1005, 2005), 0);
	EXPECT_SIDE(&b, BOOK_ASK, LV(26003, 6));
	cr_assert_eq(book_stats(&b)->del_missing, 0);
}

Test(book, level_delete_missing_is_counted_noop)
{
	struct book b, before;
	t_std_book(&b);
	before = b;
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25997, 0, 1001, 2001), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26000, 0, 1002, 2002), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26099, 0, 1003, 2003), 0);
	cr_assert_eq(memcmp(b.level, before.level, sizeof(b.level)), 0);
	cr_assert_eq(memcmp(b.n, before.n, sizeof(b.n)), 0);
	cr_assert_eq(book_stats(&b)->del_missing, 3);
	cr_assert_eq(book_stats(&b)->levels, 3);
	cr_assert_eq(book_flags(&b), 0);
}

Test(book, level_bad_side_refused_without_trace)
{
	struct book b, before;
	t_std_book(&b);
	before = b;
	cr_assert_eq(book_apply_level(&b, (enum book_side)2, 26000, 1, 1, 1), -EINVAL);
	cr_assert_eq(memcmp(&b, &before, sizeof(b)), 0);
}

/* ------------------------------------------------------------ anomalies */

Test(book, crossed_and_locked_detected_and_applied)
{
	struct book b;
	t_std_book(&b);
	/* locked: best bid == best ask */
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 26001, 1, 1001, 2001), 0);
	cr_assert_eq(book_best_bid_px(&b), 26001);
	cr_assert_eq(book_flags(&b), BOOK_F_CROSSED);
	cr_assert_eq(book_spread(&b), 0);
	cr_assert_eq(book_stats(&b)->crossed, 1);
	/* crossed: best bid > best ask, still applied */
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 26003, 2, 1002, 2002), 0);
	cr_assert_eq(book_best_bid_px(&b), 26003);
	cr_assert_eq(book_spread(&b), -2);
	cr_assert_eq(book_flags(&b), BOOK_F_CROSSED);
	cr_assert_eq(book_stats(&b)->crossed, 2);
	/* an unrelated change while crossed: still crossed, counted again */
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26005, 0, 1003, 2003), 0);
	cr_assert_eq(book_flags(&b), BOOK_F_CROSSED);
	cr_assert_eq(book_stats(&b)->crossed, 3);
	/* uncrossed again */
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 26003, 0, 1004, 2004), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 26001, 0, 1005, 2005), 0);
	cr_assert_eq(book_flags(&b), 0);
	cr_assert_eq(book_stats(&b)->crossed, 4, "26001 still locked after the first delete");
	cr_assert_eq(book_best_bid_px(&b), 25998);

	/* a crossed snapshot */
	static const struct book_level bids[] = { LV(26010, 1) };
	static const struct book_level asks[] = { LV(26000, 1) };
	cr_assert_eq(book_apply_snapshot(&b, bids, 1, asks, 1, 1006, 2006), 0);
	cr_assert_eq(book_flags(&b), BOOK_F_CROSSED);
	cr_assert_eq(book_stats(&b)->crossed, 5);
}

Test(book, negative_size_level_refused)
{
	struct book b, before;
	t_std_book(&b);
	before = b;
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25996, -5, 1001, 2001), -EINVAL);
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26002, -1, 1002, 2002), -EINVAL);
	cr_assert_eq(memcmp(b.level, before.level, sizeof(b.level)), 0);
	cr_assert_eq(memcmp(b.n, before.n, sizeof(b.n)), 0);
	cr_assert_eq(b.exch_ns, 1000);
	cr_assert_eq(b.recv_ns, 2000);
	cr_assert_eq(book_flags(&b), BOOK_F_NEG_SIZE);
	cr_assert_eq(book_stats(&b)->neg_size, 2);
	cr_assert_eq(book_stats(&b)->levels, 0);
	/* the next good update clears the flag */
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26002, 1, 1003, 2003), 0);
	cr_assert_eq(book_flags(&b), 0);

	/* refused while crossed: the flags still say the book is crossed */
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 26002, 1, 1004, 2004), 0);
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 26002, -1, 1005, 2005), -EINVAL);
	cr_assert_eq(book_flags(&b), BOOK_F_NEG_SIZE | BOOK_F_CROSSED);
	cr_assert_eq(book_stats(&b)->crossed, 1, "a refused update is not counted as crossed");
}

Test(book, out_of_order_counted_and_applied)
{
	struct book b;
	t_std_book(&b); /* exch 1000 */
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25999, 1, 900, 2100), 0);
	cr_assert_eq(book_flags(&b), BOOK_F_OUT_OF_ORDER);
	cr_assert_eq(book_best_bid_px(&b), 25999, "applied anyway");
	cr_assert_eq(b.exch_ns, 900);
	cr_assert_eq(b.recv_ns, 2100);
	cr_assert_eq(book_stats(&b)->out_of_order, 1);
	/* compared with the last update, not the highest seen */
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25999, 2, 950, 2200), 0);
	cr_assert_eq(book_flags(&b), 0);
	/* equal time is in order */
	cr_assert_eq(book_apply_level(&b, BOOK_BID, 25999, 3, 950, 2300), 0);
	cr_assert_eq(book_flags(&b), 0);
	/* a snapshot going back, also crossed */
	static const struct book_level bids[] = { LV(26010, 1) };
	static const struct book_level asks[] = { LV(26000, 1) };
	cr_assert_eq(book_apply_snapshot(&b, bids, 1, asks, 1, 10, 2400), 0);
	cr_assert_eq(book_flags(&b), BOOK_F_OUT_OF_ORDER | BOOK_F_CROSSED);
	cr_assert_eq(book_stats(&b)->out_of_order, 2);
	cr_assert_eq(b.exch_ns, 10);
}

/* ------------------------------------------------------------ export */

Test(book, top_exports_flat_arrays)
{
	struct book b;
	struct book_level bids[BOOK_MAX_LEVELS], asks[BOOK_MAX_LEVELS];
	uint32_t nb = 99, na = 99;
	t_std_book(&b);
	cr_assert_eq(book_apply_level(&b, BOOK_ASK, 26005, 0, 1001, 2001), 0);

	book_top(&b, bids, asks, 2, &nb, &na);
	cr_assert_eq(nb, 2);
	cr_assert_eq(na, 2);
	cr_assert(bids[0].px == 25998 && bids[0].qty == 10);
	cr_assert(bids[1].px == 25996 && bids[1].qty == 20);
	cr_assert(asks[0].px == 26001 && asks[0].qty == 5);
	cr_assert(asks[1].px == 26003 && asks[1].qty == 6);

	memset(bids, 0xab, sizeof(bids));
	memset(asks, 0xab, sizeof(asks));
	book_top(&b, bids, asks, BOOK_MAX_LEVELS, &nb, &na);
	cr_assert_eq(nb, 3);
	cr_assert_eq(na, 2);
	cr_assert(bids[2].px == 25994 && bids[2].qty == 30);
	for (uint32_t i = 3; i < BOOK_MAX_LEVELS; i++)
		cr_assert(bids[i].px == 0 && bids[i].qty == 0, "bid %u zeroed", i);
	for (uint32_t i = 2; i < BOOK_MAX_LEVELS; i++)
		cr_assert(asks[i].px == 0 && asks[i].qty == 0, "ask %u zeroed", i);

	book_top(&b, NULL, NULL, 0, &nb, &na);
	cr_assert_eq(nb + na, 0);
}

/* ------------------------------------------------------------ diff */

Test(book, diff_hand_worked_example)
{
	struct book o, w;
	static const struct book_level ob[] = { LV(100, 5), LV(99, 3), LV(98, 2) };
	static const struct book_level oa[] = { LV(101, 4), LV(102, 6) };
	static const struct book_level wb[] = { LV(100, 5), LV(99, 7), LV(97, 1) };
	static const struct book_level wa[] = { LV(102, 6), LV(103, 2) };
	cr_assert_eq(book_init(&o, 5), 0);
	cr_assert_eq(book_init(&w, 5), 0);
	cr_assert_eq(book_apply_snapshot(&o, ob, 3, oa, 2, 1, 1), 0);
	cr_assert_eq(book_apply_snapshot(&w, wb, 3, wa, 2, 2, 2), 0);

	struct book_change ch[BOOK_DIFF_MAX];
	const struct book_change want[] = {
		{ .side = BOOK_BID, .px = 98,  .qty = 0 },
		{ .side = BOOK_BID, .px = 99,  .qty = 7 },
		{ .side = BOOK_BID, .px = 97,  .qty = 1 },
		{ .side = BOOK_ASK, .px = 101, .qty = 0 },
		{ .side = BOOK_ASK, .px = 103, .qty = 2 },
	};
	cr_assert_eq(book_diff(&o, &w, ch, BOOK_DIFF_MAX), 5);
	for (int i = 0; i < 5; i++)
		cr_assert(ch[i].side == want[i].side && ch[i].px == want[i].px &&
			  ch[i].qty == want[i].qty, "change %d: side %u %ld -> %ld", i,
			  ch[i].side, (long)ch[i].px, (long)ch[i].qty);

	/* too small an array: the full count comes back, only max written */
	struct book_change small[3];
	memset(small, 0x5a, sizeof(small));
	cr_assert_eq(book_diff(&o, &w, small, 2), 5);
	cr_assert(small[1].px == 99 && small[1].qty == 7);
	cr_assert_eq(small[2].px, (int64_t)0x5a5a5a5a5a5a5a5aull, "past max untouched");
	cr_assert_eq(book_diff(&o, &w, NULL, 0), 5);

	cr_assert_eq(book_diff(&o, &o, ch, BOOK_DIFF_MAX), 0);
	cr_assert_eq(book_diff(&w, &w, ch, BOOK_DIFF_MAX), 0);
}

Test(book, diff_on_full_side_deletes_before_inserting)
{
	/* every old level goes, every new one is worse: inserting first would
	 * bounce off the full side */
	struct book o, w, x;
	static const struct book_level ob[] = { LV(100, 1), LV(99, 1), LV(98, 1) };
	static const struct book_level wb[] = { LV(97, 2), LV(96, 2), LV(95, 2) };
	cr_assert_eq(book_init(&o, 3), 0);
	cr_assert_eq(book_init(&w, 3), 0);
	cr_assert_eq(book_apply_snapshot(&o, ob, 3, NULL, 0, 1, 1), 0);
	cr_assert_eq(book_apply_snapshot(&w, wb, 3, NULL, 0, 2, 2), 0);
	struct book_change ch[BOOK_DIFF_MAX];
	uint32_t n = book_diff(&o, &w, ch, BOOK_DIFF_MAX);
	cr_assert_eq(n, 6);
	x = o;
	for (uint32_t i = 0; i < n; i++)
		cr_assert_eq(book_apply_level(&x, ch[i].side, ch[i].px, ch[i].qty, 3, 3), 0);
	EXPECT_SIDE(&x, BOOK_BID, LV(97, 2), LV(96, 2), LV(95, 2));
	cr_assert_eq(book_stats(&x)->beyond_depth, 0);
}

/* ------------------------------------------------------------ naive reference */

/*
 * Reference book: per side an unsorted list of (px, qty); after every change
 * it is sorted by brute force (selection sort on "better") and cut to the
 * depth.  Flags and counters are recomputed from their definitions.
 */
struct ref_side {
	int64_t  px[2 * BOOK_MAX_LEVELS + 64];
	int64_t  qty[2 * BOOK_MAX_LEVELS + 64];
	uint32_t n;
};

struct ref {
	struct ref_side s[2];
	uint32_t depth;
	uint32_t flags;
	int64_t  exch_ns, recv_ns;
	struct book_stats st;
};

static int r_better(int side, int64_t a, int64_t c)
{
	return side == BOOK_BID ? a > c : a < c;
}

static void r_sort_cut(struct ref_side *rs, int side, uint32_t depth)
{
	for (uint32_t i = 0; i < rs->n; i++) {
		uint32_t best = i;
		for (uint32_t j = i + 1; j < rs->n; j++)
			if (r_better(side, rs->px[j], rs->px[best]))
				best = j;
		int64_t tp = rs->px[i], tq = rs->qty[i];
		rs->px[i] = rs->px[best];
		rs->qty[i] = rs->qty[best];
		rs->px[best] = tp;
		rs->qty[best] = tq;
	}
	if (rs->n > depth)
		rs->n = depth;
}

static int r_find(const struct ref_side *rs, int64_t px)
{
	for (uint32_t i = 0; i < rs->n; i++)
		if (rs->px[i] == px)
			return (int)i;
	return -1;
}

static int r_crossed(const struct ref *r)
{
	if (!r->s[BOOK_BID].n || !r->s[BOOK_ASK].n)
		return 0;
	int64_t hb = INT64_MIN, la = INT64_MAX;
	for (uint32_t i = 0; i < r->s[BOOK_BID].n; i++)
		if (r->s[BOOK_BID].px[i] > hb)
			hb = r->s[BOOK_BID].px[i];
	for (uint32_t i = 0; i < r->s[BOOK_ASK].n; i++)
		if (r->s[BOOK_ASK].px[i] < la)
			la = r->s[BOOK_ASK].px[i];
	return hb >= la;
}

static void r_init(struct ref *r, uint32_t depth)
{
	memset(r, 0, sizeof(*r));
	r->depth = depth;
}

static int r_refuse(struct ref *r)
{
	r->st.neg_size++;
	r->flags = BOOK_F_NEG_SIZE | (r_crossed(r) ? BOOK_F_CROSSED : 0);
	return -EINVAL;
}

static void r_finish(struct ref *r, uint32_t flags, int64_t exch_ns, int64_t recv_ns)
{
	if (exch_ns < r->exch_ns) {
		flags |= BOOK_F_OUT_OF_ORDER;
		r->st.out_of_order++;
	}
	if (r_crossed(r)) {
		flags |= BOOK_F_CROSSED;
		r->st.crossed++;
	}
	r->flags = flags;
	r->exch_ns = exch_ns;
	r->recv_ns = recv_ns;
}

static int r_level(struct ref *r, int side, int64_t px, int64_t qty,
		   int64_t exch_ns, int64_t recv_ns)
{
	if (qty < 0)
		return r_refuse(r);
	struct ref_side *rs = &r->s[side];
	int at = r_find(rs, px);
	if (at >= 0 && qty) {
		rs->qty[at] = qty;
	} else if (at >= 0) {
		rs->n--;
		rs->px[at] = rs->px[rs->n];
		rs->qty[at] = rs->qty[rs->n];
	} else if (!qty) {
		r->st.del_missing++;
	} else {
		rs->px[rs->n] = px;
		rs->qty[rs->n] = qty;
		rs->n++;
	}
	r_sort_cut(rs, side, r->depth);
	if (at < 0 && qty && r_find(rs, px) < 0)
		r->st.beyond_depth++;
	r->st.levels++;
	r_finish(r, 0, exch_ns, recv_ns);
	return 0;
}

/* The snapshot's definition: the best `depth` distinct prices of the
 * non-empty entries, each with the size of its last occurrence. */
static int r_snapshot_side(struct ref_side *rs, int side, uint32_t depth,
			   const struct book_level *in, uint32_t n)
{
	int unsorted = 0, have = 0;
	int64_t prev = 0;
	rs->n = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!in[i].qty)
			continue;
		if (have && !r_better(side, prev, in[i].px))
			unsorted = 1;
		have = 1;
		prev = in[i].px;
		int later = 0;
		for (uint32_t j = i + 1; j < n; j++)
			if (in[j].qty && in[j].px == in[i].px)
				later = 1;
		if (later)
			continue;
		rs->px[rs->n] = in[i].px;
		rs->qty[rs->n] = in[i].qty;
		rs->n++;
	}
	r_sort_cut(rs, side, depth);
	return unsorted;
}

static int r_snapshot(struct ref *r, const struct book_level *bids, uint32_t nb,
		      const struct book_level *asks, uint32_t na,
		      int64_t exch_ns, int64_t recv_ns)
{
	for (uint32_t i = 0; i < nb; i++)
		if (bids[i].qty < 0)
			return r_refuse(r);
	for (uint32_t i = 0; i < na; i++)
		if (asks[i].qty < 0)
			return r_refuse(r);
	int u = r_snapshot_side(&r->s[BOOK_BID], BOOK_BID, r->depth, bids, nb);
	u |= r_snapshot_side(&r->s[BOOK_ASK], BOOK_ASK, r->depth, asks, na);
	if (u)
		r->st.unsorted++;
	r->st.snapshots++;
	r_finish(r, u ? BOOK_F_UNSORTED : 0, exch_ns, recv_ns);
	return 0;
}

static void t_expect_ref(const struct book *b, const struct ref *r, uint64_t step)
{
	for (int s = 0; s < 2; s++) {
		cr_assert_eq(book_depth(b, s), r->s[s].n, "step %lu side %d: %u levels, ref %u",
			     (unsigned long)step, s, book_depth(b, s), r->s[s].n);
		for (uint32_t i = 0; i < r->s[s].n; i++) {
			const struct book_level *l = book_level_at(b, s, i);
			cr_assert_not_null(l, "step %lu side %d level %u", (unsigned long)step, s, i);
			cr_assert(l->px == r->s[s].px[i] && l->qty == r->s[s].qty[i],
				  "step %lu side %d level %u: %ld x %ld, ref %ld x %ld",
				  (unsigned long)step, s, i, (long)l->px, (long)l->qty,
				  (long)r->s[s].px[i], (long)r->s[s].qty[i]);
		}
	}
	cr_assert_eq(book_flags(b), r->flags, "step %lu: flags %#x, ref %#x",
		     (unsigned long)step, book_flags(b), r->flags);
	cr_assert_eq(b->exch_ns, r->exch_ns, "step %lu", (unsigned long)step);
	cr_assert_eq(b->recv_ns, r->recv_ns, "step %lu", (unsigned long)step);
	cr_assert_eq(memcmp(book_stats(b), &r->st, sizeof(r->st)), 0,
		     "step %lu: counters differ", (unsigned long)step);
	int64_t bb = r->s[BOOK_BID].n ? r->s[BOOK_BID].px[0] : BOOK_NO_BID;
	int64_t ba = r->s[BOOK_ASK].n ? r->s[BOOK_ASK].px[0] : BOOK_NO_ASK;
	cr_assert_eq(book_best_bid_px(b), bb);
	cr_assert_eq(book_best_ask_px(b), ba);
	if (r->s[BOOK_BID].n && r->s[BOOK_ASK].n)
		cr_assert_eq(book_spread(b), ba - bb);
	else
		cr_assert_eq(book_spread(b), BOOK_NO_SPREAD);
}

/* ------------------------------------------------------------ random */

#define T_BASE 26000

static int64_t t_rand_px(struct t_rng *g, int side)
{
	/* bids mostly below 26000, asks mostly above, overlapping a little so
	 * the book crosses now and then */
	int64_t off = (int64_t)t_rng_below(g, 28);
	return side == BOOK_BID ? T_BASE + 2 - off : T_BASE - 2 + off;
}

/* A random snapshot side: sorted most of the time, sometimes shuffled with
 * repeats, empty slots, or (rarely) a negative size. */
static uint32_t t_rand_snapshot_side(struct t_rng *g, int side, struct book_level *out,
				     uint32_t cap)
{
	uint32_t n = (uint32_t)t_rng_below(g, cap + 1);
	for (uint32_t i = 0; i < n; i++) {
		out[i].px = t_rand_px(g, side);
		out[i].qty = 1 + (int64_t)t_rng_below(g, 50);
		if (t_rng_below(g, 10) == 0)
			out[i].qty = 0;
	}
	if (t_rng_below(g, 4)) {
		/* best first, distinct: brute-force sort, then drop repeats */
		struct ref_side rs = { .n = 0 };
		for (uint32_t i = 0; i < n; i++) {
			if (r_find(&rs, out[i].px) >= 0)
				continue;
			rs.px[rs.n] = out[i].px;
			rs.qty[rs.n] = out[i].qty;
			rs.n++;
		}
		r_sort_cut(&rs, side, UINT32_MAX);
		for (uint32_t i = 0; i < rs.n; i++)
			out[i] = LV(rs.px[i], rs.qty[i]);
		n = rs.n;
	}
	if (n && t_rng_below(g, 100) == 0)
		out[t_rng_below(g, n)].qty = -1;
	return n;
}

Test(book, random_updates_match_naive_reference)
{
	struct t_rng g;
	struct book b;
	struct ref r;
	uint64_t step = 0;
	t_rng_seed(&g, 0xb00c0001);

	/* 20 books, one per depth, 5000 steps each: 100k steps */
	for (uint32_t depth = 1; depth <= BOOK_MAX_LEVELS; depth++) {
		cr_assert_eq(book_init(&b, depth), 0);
		r_init(&r, depth);
		int64_t t = 1000000;
		for (int k = 0; k < 5000; k++, step++) {
			/* mostly forward in time, sometimes back */
			t += t_rng_below(&g, 33) == 0 ? -(int64_t)t_rng_below(&g, 500)
						      : (int64_t)t_rng_below(&g, 1000);
			int64_t recv = t + 50000;
			int rc, rrc;
			if (t_rng_below(&g, 50) == 0) {
				struct book_level bids[40], asks[40];
				uint32_t nb = t_rand_snapshot_side(&g, BOOK_BID, bids, 2 * depth);
				uint32_t na = t_rand_snapshot_side(&g, BOOK_ASK, asks, 2 * depth);
				rc = book_apply_snapshot(&b, bids, nb, asks, na, t, recv);
				rrc = r_snapshot(&r, bids, nb, asks, na, t, recv);
			} else {
				int side = (int)t_rng_below(&g, 2);
				int64_t px = t_rand_px(&g, side);
				int64_t qty = 1 + (int64_t)t_rng_below(&g, 100);
				uint64_t dice = t_rng_below(&g, 100);
				if (dice < 30) {
					qty = 0;
					/* mostly delete a level that is there */
					if (r.s[side].n && dice < 25)
						px = r.s[side].px[t_rng_below(&g, r.s[side].n)];
				} else if (dice < 31) {
					qty = -(int64_t)t_rng_below(&g, 10) - 1;
				} else if (dice < 50 && r.s[side].n) {
					/* modify a level that is there */
					px = r.s[side].px[t_rng_below(&g, r.s[side].n)];
				}
				rc = book_apply_level(&b, side, px, qty, t, recv);
				rrc = r_level(&r, side, px, qty, t, recv);
			}
			cr_assert_eq(rc, rrc, "step %lu: rc %d, ref %d", (unsigned long)step, rc, rrc);
			t_expect_ref(&b, &r, step);
		}
		/* the random walk must have reached every case */
		cr_assert(r.st.crossed && r.st.neg_size && r.st.out_of_order &&
			  r.st.unsorted && r.st.del_missing, "depth %u", depth);
		cr_assert(depth == BOOK_MAX_LEVELS || r.st.beyond_depth, "depth %u", depth);
	}
	cr_assert_eq(step, 100000);
}

/* A random book of the given depth, as a snapshot from a sorted side built
 * by brute force; when `from` is given, a mutation of it. */
static void t_rand_book(struct t_rng *g, struct book *b, uint32_t depth,
			const struct book *from)
{
	struct book_level side[2][BOOK_MAX_LEVELS];
	uint32_t n[2] = { 0, 0 };
	for (int s = 0; s < 2; s++) {
		struct ref_side rs = { .n = 0 };
		if (from) {
			for (uint32_t i = 0; i < from->n[s]; i++) {
				uint64_t d = t_rng_below(g, 10);
				if (d < 2)
					continue; /* gone */
				rs.px[rs.n] = from->level[s][i].px;
				rs.qty[rs.n] = d < 4 ? from->level[s][i].qty + 1 + (int64_t)t_rng_below(g, 3)
						     : from->level[s][i].qty;
				rs.n++;
			}
		}
		uint32_t want = (uint32_t)t_rng_below(g, depth + 1), adds = want;
		for (uint32_t k = 0; k < adds; k++) {
			/* prices from a narrow band so old and new share many */
			int64_t off = (int64_t)t_rng_below(g, 2 * depth + 4);
			int64_t px = s == BOOK_BID ? T_BASE - off : T_BASE + 1 + off;
			int at = r_find(&rs, px);
			int64_t qty = 1 + (int64_t)t_rng_below(g, 4);
			if (at >= 0)
				rs.qty[at] = qty;
			else {
				rs.px[rs.n] = px;
				rs.qty[rs.n] = qty;
				rs.n++;
			}
		}
		r_sort_cut(&rs, s, from ? depth : want);
		for (uint32_t i = 0; i < rs.n; i++)
			side[s][i] = LV(rs.px[i], rs.qty[i]);
		n[s] = rs.n;
	}
	cr_assert_eq(book_init(b, depth), 0);
	cr_assert_eq(book_apply_snapshot(b, side[0], n[0], side[1], n[1], 1, 1), 0);
	cr_assert_eq(book_flags(b) & BOOK_F_UNSORTED, 0);
}

/* Size of px on a side of b by linear search; 0 when absent. */
static int64_t t_qty_at(const struct book *b, int s, int64_t px)
{
	for (uint32_t i = 0; i < b->n[s]; i++)
		if (b->level[s][i].px == px)
			return b->level[s][i].qty;
	return 0;
}

Test(book, diff_applied_to_old_gives_new_random)
{
	struct t_rng g;
	struct book o, w, x;
	struct book_change ch[BOOK_DIFF_MAX];
	uint64_t total = 0;
	t_rng_seed(&g, 0xd1ff0002);

	for (int k = 0; k < 10000; k++) {
		uint32_t depth = 1 + (uint32_t)t_rng_below(&g, BOOK_MAX_LEVELS);
		t_rand_book(&g, &o, depth, NULL);
		t_rand_book(&g, &w, depth, t_rng_below(&g, 2) ? &o : NULL);

		uint32_t n = book_diff(&o, &w, ch, BOOK_DIFF_MAX);
		cr_assert_leq(n, BOOK_DIFF_MAX);
		total += n;

		/* the count and the changes, recomputed naively: one change per
		 * price of either book whose size differs (absent = 0) */
		uint32_t naive = 0;
		for (int s = 0; s < 2; s++) {
			for (uint32_t i = 0; i < o.n[s]; i++)
				naive += t_qty_at(&w, s, o.level[s][i].px) != o.level[s][i].qty;
			for (uint32_t i = 0; i < w.n[s]; i++)
				naive += t_qty_at(&o, s, w.level[s][i].px) == 0;
		}
		cr_assert_eq(n, naive, "pair %d: %u changes, naive %u", k, n, naive);
		for (uint32_t i = 0; i < n; i++) {
			int s = (int)ch[i].side;
			cr_assert(s == BOOK_BID || s == BOOK_ASK);
			cr_assert_eq(ch[i].qty, t_qty_at(&w, s, ch[i].px), "pair %d change %u", k, i);
			cr_assert_neq(ch[i].qty, t_qty_at(&o, s, ch[i].px), "pair %d change %u", k, i);
			for (uint32_t j = 0; j < i; j++)
				cr_assert(ch[j].side != ch[i].side || ch[j].px != ch[i].px,
					  "pair %d: price repeated", k);
		}

		x = o;
		for (uint32_t i = 0; i < n; i++)
			cr_assert_eq(book_apply_level(&x, ch[i].side, ch[i].px, ch[i].qty, 2, 2), 0);
		for (int s = 0; s < 2; s++) {
			cr_assert_eq(x.n[s], w.n[s], "pair %d side %d", k, s);
			cr_assert_eq(memcmp(x.level[s], w.level[s], w.n[s] * sizeof(struct book_level)),
				     0, "pair %d side %d: levels differ", k, s);
		}
		/* no change was a no-op */
		cr_assert_eq(x.stats.beyond_depth + x.stats.del_missing, 0);
		cr_assert_eq(book_diff(&x, &w, ch, BOOK_DIFF_MAX), 0);
	}
	cr_assert_gt(total, 10000, "the pairs differ enough to mean something");
}

/* ------------------------------------------------------------ sorted input */

/* The definition, by hand: sizes > 0 and prices strictly best first. */
static int t_naive_sorted(enum book_side s, const struct book_level *in, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (in[i].qty <= 0)
			return 0;
		if (i && (s == BOOK_BID ? in[i].px >= in[i - 1].px : in[i].px <= in[i - 1].px))
			return 0;
	}
	return 1;
}

Test(book, levels_sorted_hand_worked)
{
	const struct book_level bids[] = { LV(100, 1), LV(99, 2), LV(97, 3) };
	const struct book_level asks[] = { LV(101, 1), LV(102, 2), LV(105, 3) };
	const struct book_level tie[] = { LV(100, 1), LV(100, 2) };
	const struct book_level zero[] = { LV(100, 1), LV(99, 0) };
	const struct book_level neg[] = { LV(100, -1) };
	cr_expect(book_levels_sorted(BOOK_BID, bids, 3));
	cr_expect(book_levels_sorted(BOOK_ASK, asks, 3));
	cr_expect(!book_levels_sorted(BOOK_ASK, bids, 3), "bids are no asks");
	cr_expect(!book_levels_sorted(BOOK_BID, asks, 3), "asks are no bids");
	cr_expect(!book_levels_sorted(BOOK_BID, tie, 2), "a repeated price");
	cr_expect(!book_levels_sorted(BOOK_ASK, tie, 2), "a repeated price");
	cr_expect(!book_levels_sorted(BOOK_BID, zero, 2), "an empty slot");
	cr_expect(!book_levels_sorted(BOOK_BID, neg, 1), "a negative size");
	cr_expect(book_levels_sorted(BOOK_BID, NULL, 0), "an empty side");
	cr_expect(book_levels_sorted(BOOK_BID, zero, 1), "only the levels counted");
}

/* Random sides, mostly sorted, some spoilt one way or another: the check
 * agrees with the definition, and where both sides pass, the unchecked
 * snapshot leaves the book, flags and counters as the checked one does. */
Test(book, sorted_snapshot_equals_the_checked_one_random)
{
	struct t_rng g;
	struct book a, c;
	struct book_level in[2][BOOK_MAX_LEVELS];
	uint32_t n[2], passed = 0;
	t_rng_seed(&g, 31);
	for (uint32_t depth = 1; depth <= BOOK_MAX_LEVELS; depth += 3) {
		cr_assert_eq(book_init(&a, depth), 0);
		cr_assert_eq(book_init(&c, depth), 0);
		for (int k = 0; k < 4000; k++) {
			for (int s = 0; s < 2; s++) {
				n[s] = (uint32_t)t_rng_below(&g, BOOK_MAX_LEVELS + 1);
				int64_t px = 1000 + (s ? 1 : -1) * (int64_t)t_rng_below(&g, 3);
				for (uint32_t i = 0; i < n[s]; i++) {
					in[s][i].px = px;
					in[s][i].qty = 1 + (int64_t)t_rng_below(&g, 9);
					px += (s ? 1 : -1) * (1 + (int64_t)t_rng_below(&g, 2));
				}
				if (n[s] && t_rng_below(&g, 4) == 0) {
					uint32_t i = (uint32_t)t_rng_below(&g, n[s]);
					switch (t_rng_below(&g, 3)) {
					case 0: in[s][i].qty = -(int64_t)t_rng_below(&g, 2); break;
					case 1: in[s][i].px = in[s][i ? i - 1 : 0].px; break;
					default: in[s][i].px += (s ? -1 : 1) * 5; break;
					}
				}
			}
			int sb = book_levels_sorted(BOOK_BID, in[0], n[0]);
			int sa = book_levels_sorted(BOOK_ASK, in[1], n[1]);
			cr_assert_eq(sb, t_naive_sorted(BOOK_BID, in[0], n[0]), "bids, round %d", k);
			cr_assert_eq(sa, t_naive_sorted(BOOK_ASK, in[1], n[1]), "asks, round %d", k);
			int64_t t = 1000 + k - (k % 50 == 0 ? 100 : 0); /* now and then back */
			int neg = 0;
			for (int s = 0; s < 2; s++)
				for (uint32_t i = 0; i < n[s]; i++)
					neg |= in[s][i].qty < 0;
			cr_assert_eq(book_apply_snapshot(&a, in[0], n[0], in[1], n[1], t, t + 1),
				     neg ? -EINVAL : 0);
			if (sb && sa) {
				cr_assert_eq(book_apply_snapshot_sorted(&c, in[0], n[0], in[1], n[1],
									t, t + 1), 0);
				passed++;
			} else {
				book_apply_snapshot(&c, in[0], n[0], in[1], n[1], t, t + 1);
			}
			cr_assert(memcmp(&a, &c, sizeof(a)) == 0, "depth %u round %d: the books "
				  "differ", depth, k);
		}
	}
	cr_assert(passed > 5000, "only %u sorted inputs", passed);
}
