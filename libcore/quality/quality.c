/* quality.c — data-quality flags and vote (quality.h). */
#include "libcore/quality/quality.h"
#include "libcore/vote/vote.h"

void qual_limits_default(struct qual_limits *l)
{
	l->stale_ns = 1000ll * 1000000;
	l->max_spread_ticks = 8;
}

uint32_t qual_flags(const struct book *b, const struct qual_limits *l)
{
	if (!book_depth(b, BOOK_BID) || !book_depth(b, BOOK_ASK))
		return QUAL_F_EMPTY;
	uint32_t q = 0;
	int64_t spread = book_spread(b);
	if (spread <= 0)
		q |= QUAL_F_CROSSED;
	if (l->max_spread_ticks && spread > l->max_spread_ticks)
		q |= QUAL_F_WIDE;
	return q;
}

uint32_t qual_vote(const struct qual_limits *l, const struct book *b, int64_t last_ns,
		   int64_t now_ns)
{
	if (!last_ns || !book_depth(b, BOOK_BID) || !book_depth(b, BOOK_ASK))
		return VOTE_R_NO_BOOK;
	if (l->stale_ns && now_ns - last_ns > l->stale_ns)
		return VOTE_R_STALE_BOOK;
	int64_t spread = book_spread(b);
	if (spread <= 0)
		return VOTE_R_CROSSED;
	if (l->max_spread_ticks && spread > l->max_spread_ticks)
		return VOTE_R_WIDE_SPREAD;
	return VOTE_R_APPROVED;
}

const char *qual_flag_name(uint32_t k)
{
	static const char *const names[QUAL_F_COUNT] = { "empty_book", "crossed_book",
							 "wide_spread", "stale_book" };
	return k < QUAL_F_COUNT ? names[k] : "?";
}
