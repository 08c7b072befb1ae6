/*
 * feed_int.h — shared internals of the feed readers (libcore/feed/ only).
 *
 * feed.c holds the line source, the exact decimal and time parsers, the
 * bad-row bookkeeping and the dispatch; lobster.c, mt5.c, neg.c and
 * binance.c each hold one format's open and next.
 */
#ifndef DM_LIBCORE_FEED_FEED_INT_H
#define DM_LIBCORE_FEED_FEED_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "libcore/feed/feed.h"

#define FEED_NS_PER_S   1000000000LL
#define FEED_NS_PER_DAY (86400LL * FEED_NS_PER_S)

/* ------------------------------------------------------------ line source */

/*
 * Open path for reading lines of at most cap bytes: a gzip file (magic
 * 1f 8b, or a ".gz" name when the file cannot be peeked) is read through a
 * `gzip -dc` child.  Allocates the buffer.  Returns 0 or -errno with a
 * message in err.
 */
int feed_src_open(struct feed_src *s, const char *path, size_t cap,
		  char *err, size_t errlen);

/*
 * The next line, without its "\n" or "\r\n", NUL-terminated, in *line
 * (valid until the next call) and its length in *len; s->line is its
 * number.  A UTF-8 or UTF-16LE byte-order mark at the start is dropped
 * (UTF-16LE text is narrowed to bytes; a non-ASCII unit becomes 0x7f).
 * Returns 1, 0 at the end, -E2BIG for a line longer than the buffer (the
 * line is skipped whole; s->line is its number), -EIO when the gzip child
 * failed, or -errno.
 */
int feed_src_line(struct feed_src *s, char **line, size_t *len);

/* Make the next feed_src_line return the line it last returned again.
 * Only valid right after a feed_src_line that returned 1. */
void feed_src_unget(struct feed_src *s);

/* Close the file, reap the gzip child, free the buffer.  Idempotent. */
void feed_src_close(struct feed_src *s);

/* ------------------------------------------------------------ numbers */

enum feed_num_err {
	FEED_NUM_OK     = 0,
	FEED_NUM_SYNTAX = -1, /* not a plain decimal number */
	FEED_NUM_GRID   = -2, /* not a whole multiple of the unit */
	FEED_NUM_RANGE  = -3  /* too many digits or beyond int64 */
};

/* The exact decimal nearest to v with at most 12 decimals (0.1 -> 1/10^1).
 * Returns 0, or -EINVAL when v is not positive, not finite, or not such a
 * decimal. */
int feed_unit_from_double(double v, struct feed_unit *u);

/*
 * Parse n bytes of s, optionally space-padded, "[+-]digits[.digits]" (no
 * exponent), and store value / unit into *out exactly.  Returns
 * FEED_NUM_OK or a negative enum feed_num_err; *out is untouched on error.
 */
int feed_num(const char *s, size_t n, const struct feed_unit *u, int64_t *out);

/* The same with unit 1: a whole number ("100", "100.0" and " 100 " too). */
int feed_int(const char *s, size_t n, int64_t *out);

/* "not a number", "not on the grid", "out of range". */
const char *feed_num_why(int rc);

/* ------------------------------------------------------------ time */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
int64_t feed_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Parse exactly n bytes "YYYY<sep>MM<sep>DD" (a real date) into days since
 * the epoch.  Returns 0 or -EINVAL. */
int feed_parse_date(const char *s, size_t n, char sep, int64_t *days);

/* Parse exactly n bytes "HH:MM:SS[.f]" (up to 9 decimals, HH < 24) into ns
 * after midnight.  Returns 0 or -EINVAL. */
int feed_parse_tod(const char *s, size_t n, int64_t *ns);

/* UTC offset in seconds (local = UTC + offset) of America/New_York at noon
 * of day `days`: -4 h in daylight time, -5 h otherwise (US rules since
 * 2007; 1987-2006 rules before). */
int32_t feed_new_york_offset(int64_t days);

/* ------------------------------------------------------------ fields */

struct feed_field {
	const char *p;
	size_t      n;
};

/* Split line (len bytes) at sep into at most max fields; returns the
 * number of fields found (which may exceed max: the extra are not stored). */
size_t feed_split(const char *line, size_t len, char sep,
		  struct feed_field *f, size_t max);

/* Copy a field for an error message: at most 40 bytes, printable. */
const char *feed_field_show(const char *p, size_t n, char *buf, size_t len);

/* ------------------------------------------------------------ reader */

/*
 * A bad row at s's current line: format "path:line: reason" into r->err,
 * count it, keep it as a sample.  Returns 0 (skip the row and go on) or,
 * in strict mode, -DM_ECORRUPT, which the caller returns.
 */
int feed_bad(struct feed_reader *r, const struct feed_src *s,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A fatal error: format the text into r->err and return err (negative). */
int feed_fail(struct feed_reader *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clear *ev and set the header fields every event shares. */
void feed_ev_start(const struct feed_reader *r, struct event *ev,
		   uint32_t kind, int64_t exch_ns, int64_t recv_ns);

/* Set a finished book event's flags: extra | BOOK_F_CROSSED (best bid >=
 * best ask) | BOOK_F_OUT_OF_ORDER (exch_ns before the previous book
 * event's). */
void feed_book_flags(struct feed_reader *r, struct event *ev, uint32_t extra);

/* Queue *ev to be returned by the next feed_next (at most 2 queued). */
void feed_push(struct feed_reader *r, const struct event *ev);

/* ------------------------------------------------------------ formats */

int feed_lobster_open(struct feed_reader *r, const char *path,
		      char *err, size_t errlen);
int feed_lobster_next(struct feed_reader *r, struct event *ev);

int feed_mt5_open(struct feed_reader *r);
int feed_mt5_next(struct feed_reader *r, struct event *ev);

int feed_neg_open(struct feed_reader *r);
int feed_neg_next(struct feed_reader *r, struct event *ev);

int feed_binance_open(struct feed_reader *r);
int feed_binance_next(struct feed_reader *r, struct event *ev);
void feed_binance_close(struct feed_reader *r);

#endif /* DM_LIBCORE_FEED_FEED_INT_H */
