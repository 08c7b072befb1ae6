/*
 * source.h — the data agent's market-data input: any format feed_open
 * reads (journal, LOBSTER, MT5, NEG, Binance), one struct event at a time,
 * with a position (events returned so far) that a restarted agent skips
 * back to.  Until the feed readers read journals themselves, a journal is
 * read here through libcore/journal.h's reader.
 *
 * src_open / src_close allocate and do I/O (start-up); src_next blocks on
 * file reads and never allocates (Binance aside, see feed.h).
 */
#ifndef DM_LIBCORE_AGENT_SOURCE_H
#define DM_LIBCORE_AGENT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/event.h"
#include "libcore/feed/feed.h"
#include "libcore/journal.h"

struct src {
	int      kind;     /* 1 feed reader, 2 journal reader */
	uint64_t events;   /* returned so far */
	struct feed_reader feed;
	struct journal_reader jr;
};

/*
 * Open path; format NULL or "auto" guesses; tick: price units per tick of
 * a text feed (ignored for journals, already in ticks).  Returns 0, or a
 * negative error with one line in err naming the file and the cause.
 */
int src_open(struct src *s, const char *path, const char *format, double tick,
	     char *err, size_t errlen);

/* 1 with *ev, 0 at the end, < 0 on an error (err text via src_error). */
int src_next(struct src *s, struct event *ev);

/* Skip the first n events (a restart resuming a replay).  Returns the
 * number skipped (< n at the end of the input) or a negative error. */
int64_t src_skip(struct src *s, uint64_t n);

const char *src_error(const struct src *s);

void src_close(struct src *s);

#endif /* DM_LIBCORE_AGENT_SOURCE_H */
