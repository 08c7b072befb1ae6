/*
 * quality.h — the feature agent's data-quality flags (msg_features.quality)
 * and its vote: an order is rejected when the book is empty, crossed or
 * locked, wider than the spread regime allows, or stale (no update for
 * stale_ns of local time).  The feature vector itself comes from
 * libcore/features.  Pure: times are passed in; no allocation.
 */
#ifndef DM_LIBCORE_QUALITY_QUALITY_H
#define DM_LIBCORE_QUALITY_QUALITY_H

#include <stdint.h>

#include "libcore/config/cfg.h"
#include "libcore/market/book.h"

/* Quality bits (msg_features.quality) */
#define QUAL_F_EMPTY   0x1u /* a side is empty */
#define QUAL_F_CROSSED 0x2u /* best bid >= best ask */
#define QUAL_F_WIDE    0x4u /* spread above max_spread_ticks */
#define QUAL_F_STALE   0x8u /* no update for stale_ns */
#define QUAL_F_COUNT   4    /* bits above: bit k = 1u << k */

/* Name of quality bit k (0..QUAL_F_COUNT-1): "empty_book", "crossed_book",
 * "wide_spread", "stale_book"; "?" else. */
const char *qual_flag_name(uint32_t k);

/* The limits; also the configuration's quality: section (struct
 * dm_config embeds it; qual_cfg_keys). */
struct qual_limits {
	int64_t stale_ns;         /* local time without an update = stale; YAML
	                           * stale_ms, default 1000 ms, 1..3600000 ms */
	int64_t max_spread_ticks; /* wider = outside the spread regime; YAML
	                           * max_spread_ticks, default 8, 1..100000 */
};

/* The defaults above.  Pure. */
void qual_limits_default(struct qual_limits *l);

/* The keys of the configuration's quality: section, relative to struct
 * qual_limits: stale_ms (read into stale_ns), max_spread_ticks. */
extern const struct cfg_key qual_cfg_keys[];

/* The quality bits of the book: EMPTY, CROSSED, WIDE (STALE is the
 * vote's business: it needs the clock). */
uint32_t qual_flags(const struct book *b, const struct qual_limits *l);

/* The vote: VOTE_R_APPROVED, VOTE_R_NO_BOOK, VOTE_R_STALE_BOOK,
 * VOTE_R_CROSSED or VOTE_R_WIDE_SPREAD.  last_ns: local time of the last
 * book update (0 = none yet). */
uint32_t qual_vote(const struct qual_limits *l, const struct book *b, int64_t last_ns,
		   int64_t now_ns);

#endif /* DM_LIBCORE_QUALITY_QUALITY_H */
