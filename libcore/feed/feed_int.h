/*
 * feed_int.h — shared internals of the feed readers (libcore/feed/ only).
 *
 * feed.c holds the line source, the exact decimal and time parsers, the
 * bad-row bookkeeping and the dispatch; lobster.c, mt5.c, neg.c,
 * binance.c and journal.c each hold one format's open and next.
 */
#ifndef DM_LIBCORE_FEED_FEED_INT_H
#define DM_LIBCORE_FEED_FEED_INT_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>
#include <string.h>

#include "libcore/feed/feed.h"

#define FEED_NS_PER_S   1000000000LL
#define FEED_NS_PER_DAY (86400LL * FEED_NS_PER_S)

/* Zero bytes after every line buffer's terminating NUL, so the fast
 * parsers below may load 8 bytes at any position of a line (3 loads past
 * the last digit at most) without reading outside the allocation. */
#define FEED_SRC_SLACK  64u

/* ------------------------------------------------------------ line source */

/*
 * Open path for reading lines of at most cap bytes: a gzip file (magic
 * 1f 8b, or a ".gz" name when the file cannot be peeked) is inflated in
 * process (zlib; concatenated members read as one, bytes after the last
 * member that start no new one ignored, as gzip does).  Allocates the
 * buffer (and the inflate state).  Returns 0 or -errno with a message in
 * err.
 */
int feed_src_open(struct feed_src *s, const char *path, size_t cap,
		  char *err, size_t errlen);

/* Up to n raw bytes of the file (inflated when gzip) into dst, for a
 * format's sniffing, before any feed_src_line: the count (short only at
 * the end), or feed_src_line's errors. */
ssize_t feed_src_read(struct feed_src *s, char *dst, size_t n);

/* Why a read of s failed with rc: for a gzip stream that is corrupt or
 * truncated (-DM_ECORRUPT), "corrupt gzip data at compressed byte N
 * (member M): <zlib's reason>" or "the gzip stream ends inside member M at
 * compressed byte N (truncated?)"; else strerror(-rc).  Points into s or
 * static text. */
const char *feed_src_why(const struct feed_src *s, int rc);

/* feed_fail for a read of s that failed with rc: "path: <feed_src_why>"
 * ("path: read error: <errno text>" for a system error).  Returns rc. */
int feed_fail_src(struct feed_reader *r, const struct feed_src *s, int rc);

/*
 * The next line, without its "\n" or "\r\n", NUL-terminated, in *line
 * (valid until the next call) and its length in *len; s->line is its
 * number.  A UTF-8 or UTF-16LE byte-order mark at the start is dropped
 * (UTF-16LE text is narrowed to bytes; a non-ASCII unit becomes 0x7f).
 * Returns 1, 0 at the end, -E2BIG for a line longer than the buffer (the
 * line is skipped whole; s->line is its number), -DM_ECORRUPT when a gzip
 * stream is corrupt or truncated (feed_src_why says where), or -errno.
 */
int feed_src_line(struct feed_src *s, char **line, size_t *len);

/* Make the next feed_src_line return the line it last returned again.
 * Only valid right after a feed_src_line that returned 1. */
void feed_src_unget(struct feed_src *s);

/* Close the file, free the buffer and the inflate state.  Idempotent. */
void feed_src_close(struct feed_src *s);

/* ------------------------------------------------------------ numbers */

enum feed_num_err {
	FEED_NUM_OK     = 0,
	FEED_NUM_SYNTAX = -1, /* not a plain decimal number */
	FEED_NUM_GRID   = -2, /* not a whole multiple of the unit */
	FEED_NUM_RANGE  = -3  /* too many digits or beyond int64 */
};

/* The exact decimal nearest to v with at most 12 decimals (0.1 -> 1/10^1),
 * prepared for fast division.  Returns 0, or -EINVAL when v is not
 * positive, not finite, or not such a decimal. */
int feed_unit_from_double(double v, struct feed_unit *u);

/* Fill u's shift / inv / lim from u->m (> 0): exact division by m becomes
 * a shift and one multiplication. */
void feed_unit_prepare(struct feed_unit *u);

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

/*
 * Fast path for the hot loops of the CSV readers.  These accept only the
 * plain forms "[-]digits" and "[-]digits.digits" (at most 19 digits, no
 * padding) and answer "not this simple form" (-1) for anything else, off
 * grid and overflow included; the caller then re-parses the row with the
 * exact, general functions above, which give the same value or the
 * precise reason.  So a fast path can only ever be faster, never
 * different.  They read up to 24 bytes past the last digit: only use them
 * on lines of a feed_src (FEED_SRC_SLACK).
 */

static const uint64_t feed_pow10_u[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
	10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
	100000000000ull, 1000000000000ull, 10000000000000ull,
	100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull,
	10000000000000000000ull
};

static inline __attribute__((always_inline)) uint64_t feed_load8(const char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

/* Non-zero high nibble in every byte of w (first byte lowest) that is
 * not an ASCII digit.  A byte >= 0xfa carries into the next byte, which
 * is then past a non-digit: only bytes after the first non-digit can be
 * misjudged. */
static inline __attribute__((always_inline)) uint64_t feed_swar_nondigit(uint64_t w)
{
	const uint64_t f0 = 0xf0f0f0f0f0f0f0f0ull, t3 = 0x3030303030303030ull;
	return ((w & f0) ^ t3) | (((w + 0x0606060606060606ull) & f0) ^ t3);
}

/* Leading ASCII digits of the 8 bytes in w, 0..8. */
static inline __attribute__((always_inline)) unsigned feed_swar_ndigits(uint64_t w)
{
	uint64_t nd = feed_swar_nondigit(w);
	return nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8u;
}

/* Value of the first n (1..8) digits of w: the digits are moved to the
 * top (leading zeros below), then pairs, quads and octets are combined
 * by one multiplication each: byte i x 10 + byte i+1 is (w x (10 << 8 |
 * 1)) >> 8, and so on. */
static inline __attribute__((always_inline)) uint64_t feed_swar_value(uint64_t w, unsigned n)
{
	w = (w & 0x0f0f0f0f0f0f0f0full) << (8 * (8 - n));
	w = ((w * 2561) >> 8) & 0x00ff00ff00ff00ffull;
	w = ((w * 6553601) >> 16) & 0x0000ffff0000ffffull;
	return (w * 42949672960001ull) >> 32;
}

/* The same for n (1..4) digits in the low 4 bytes of w. */
static inline __attribute__((always_inline)) uint64_t feed_swar_value4(uint64_t w, unsigned n)
{
	w = (w & 0x0f0f0f0full) << (8 * (4 - n));
	w = ((w * 2561) >> 8) & 0x00ff00ffull;
	return ((w * 6553601) >> 16) & 0xffffull;
}

/* Digits at *pp into *v (advancing *pp); returns their count, 0..19, or
 * 20 for "more than 19". */
static inline __attribute__((always_inline)) unsigned feed_fast_digits(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	uint64_t w = feed_load8(p);
	unsigned n = feed_swar_ndigits(w);

	if (DM_LIKELY(n < 8)) {
		*v = n ? feed_swar_value(w, n) : 0;
		*pp = p + n;
		return n;
	}
	uint64_t x = feed_swar_value(w, 8);
	w = feed_load8(p + 8);
	unsigned k = feed_swar_ndigits(w);
	if (k < 8) {
		*v = k ? x * feed_pow10_u[k] + feed_swar_value(w, k) : x;
		*pp = p + 8 + k;
		return 8 + k;
	}
	x = x * 100000000ull + feed_swar_value(w, 8);
	w = feed_load8(p + 16);
	k = feed_swar_ndigits(w);
	if (k > 3) {
		*v = 0;
		return 20;
	}
	*v = k ? x * feed_pow10_u[k] + feed_swar_value(w, k) : x;
	*pp = p + 16 + k;
	return 16 + k;
}

/* *out = n x 10^-e / u exactly (e <= 19); 0, or -1 (off grid, overflow). */
static inline __attribute__((always_inline)) int feed_fast_scale(uint64_t n, unsigned e, const struct feed_unit *u,
				  uint64_t *out)
{
	unsigned k = (unsigned)u->k;

	while (e > k) { /* "100.50" with a whole unit: drop zeros */
		if (n % 10)
			return -1;
		n /= 10;
		e--;
	}
	if (e < k && __builtin_mul_overflow(n, feed_pow10_u[k - e], &n))
		return -1;
	if (u->m == 1) {
		*out = n;
		return 0;
	}
	if (DM_UNLIKELY(!u->inv) || (n & ((1ull << u->shift) - 1)))
		return -1;
	n = (n >> u->shift) * u->inv;
	if (n > u->lim)
		return -1;
	*out = n;
	return 0;
}

/*
 * "[-]digits[.digits]" at *pp (the number ends at the first other byte;
 * *pp is left there) divided exactly by u into *out.  Returns 0, or -1:
 * not this form, off grid, out of int64 (*out and *pp undefined).
 */
static inline __attribute__((always_inline)) int feed_fast_num(const char **pp, const struct feed_unit *u, int64_t *out)
{
	const char *p = *pp;
	int neg = *p == '-';
	uint64_t ip, fp = 0, v;
	unsigned ni, nf = 0;

	p += neg;
	ni = feed_fast_digits(&p, &ip);
	if (DM_UNLIKELY(*p == '.')) {
		p++;
		nf = feed_fast_digits(&p, &fp);
		if (nf == 0 || nf + ni > 19)
			return -1;
		ip = ip * feed_pow10_u[nf] + fp;
	} else if (ni == 0 || ni > 19) {
		return -1;
	}
	if (feed_fast_scale(ip, nf, u, &v) || v > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	*pp = p;
	return 0;
}

/*
 * Offsets of every sep byte in line[0, n) into pos[] (at most max of
 * them); returns how many there are (which may exceed max).  Reads up to
 * 15 bytes past n: feed_src lines only.
 */
size_t feed_find_seps(const char *line, size_t n, char sep, uint32_t *pos, size_t max);

/*
 * feed_find_seps, and *plain = 1 when the line holds nothing but digits,
 * seps, and '-' signs at the start of fields (so every field is "" or
 * "[-]digits" and only its length needs checking: feed_fast_int_plain).
 * pos needs room for max entries; reads up to 63 bytes past n (feed_src
 * lines only).  Uses AVX2 when the CPU has it; otherwise *plain is always
 * 0 and the caller takes its exact path.
 */
size_t feed_scan_ints(const char *line, size_t n, char sep, uint32_t *pos,
		      size_t max, int *plain);

/* A field known to be "[-]digits" or "" (feed_scan_ints' plain line), n
 * bytes at p; 0, or -1 for no digits or more than 16. */
static inline __attribute__((always_inline)) int feed_fast_int_plain(const char *p, size_t n,
								     int64_t *out)
{
	int neg = n && *p == '-';
	uint64_t v, w = feed_load8(p + neg);

	n -= (size_t)neg;
	if (DM_UNLIKELY(n - 1 >= 16))
		return -1;
	if (n <= 4) {
		v = feed_swar_value4(w, (unsigned)n);
	} else if (n <= 8) {
		v = feed_swar_value(w, (unsigned)n);
	} else {
		v = feed_swar_value(w, 8) * feed_pow10_u[n - 8] +
		    feed_swar_value(feed_load8(p + neg + 8), (unsigned)(n - 8));
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* A whole number "[-]digits" (no unit) at *pp; 0 or -1, like feed_fast_num. */
static inline __attribute__((always_inline)) int feed_fast_int(const char **pp, int64_t *out)
{
	const char *p = *pp;
	int neg = *p == '-';
	uint64_t v;
	unsigned n;

	p += neg;
	n = feed_fast_digits(&p, &v);
	if (n == 0 || n > 18)
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	*pp = p;
	return 0;
}

/* ------------------------------------------------------------ time */

/*
 * The time range.  Times are int64 ns since 1970-01-01T00:00:00Z, which
 * reach from 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z.
 * A reader accepts a date in a file from FEED_DAY_MIN (1678-01-01) to
 * FEED_DAY_MAX (2262-04-11), and an instant from FEED_NS_MIN (1678-01-01
 * 00:00:00 UTC) to FEED_NS_MAX (INT64_MAX, 2262-04-11 23:47:16.854775807
 * UTC); anything else is a bad row, never a time that wrapped.  So every
 * time a reader returns lies in [FEED_NS_MIN, FEED_NS_MAX].
 */
#define FEED_DAY_MIN    (-106650LL)  /* 1678-01-01, days since 1970-01-01 */
#define FEED_DAY_MAX    106751LL     /* 2262-04-11 */
#define FEED_NS_MIN     (FEED_DAY_MIN * FEED_NS_PER_DAY)
#define FEED_NS_MAX     INT64_MAX

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; any year of 4
 * digits). */
int64_t feed_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Parse exactly n bytes "YYYY<sep>MM<sep>DD" (a real date) into days since
 * the epoch.  Returns 0, -EINVAL (not such a date), or -ERANGE (a real
 * date outside FEED_DAY_MIN..FEED_DAY_MAX; *days untouched). */
int feed_parse_date(const char *s, size_t n, char sep, int64_t *days);

/*
 * *ns = days x 1 day + tod_ns - utc_offset_s x 1 s: the UTC instant of
 * local time tod_ns after the local midnight of day `days`, with every
 * step overflow-checked.  Returns 0, or -ERANGE (*ns untouched) when days
 * lies outside FEED_DAY_MIN..FEED_DAY_MAX or the instant outside
 * FEED_NS_MIN..FEED_NS_MAX.  Any thread; no allocation.
 */
int feed_time_ns(int64_t days, int64_t tod_ns, int64_t utc_offset_s, int64_t *ns);

/*
 * *ns = v x unit_ns (an epoch count in ms: unit_ns 1000000, us: 1000),
 * overflow-checked.  Returns 0, or -ERANGE (*ns untouched) when the
 * instant lies outside FEED_NS_MIN..FEED_NS_MAX.
 */
int feed_epoch_ns(int64_t v, int64_t unit_ns, int64_t *ns);

/* base_ns + add_ns, overflow-checked: 0, or -ERANGE (*ns untouched) when
 * the sum lies outside FEED_NS_MIN..FEED_NS_MAX. */
static inline __attribute__((always_inline)) int feed_ns_add(int64_t base_ns, int64_t add_ns,
							      int64_t *ns)
{
	int64_t t;

	if (DM_UNLIKELY(__builtin_add_overflow(base_ns, add_ns, &t) || t < FEED_NS_MIN))
		return -ERANGE;
	*ns = t;
	return 0;
}

/* "1678-01-01..2262-04-11", for messages. */
#define FEED_DATE_RANGE_TXT "1678-01-01..2262-04-11"
#define FEED_NS_RANGE_TXT   "1678-01-01 00:00:00 .. 2262-04-11 23:47:16.854775807 UTC"

/* Parse exactly n bytes "HH:MM:SS[.f]" (up to 9 decimals, HH < 24) into ns
 * after midnight.  Returns 0 or -EINVAL. */
int feed_parse_tod(const char *s, size_t n, int64_t *ns);

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

int feed_journal_open(struct feed_reader *r, const char *path,
		      char *err, size_t errlen);
int feed_journal_next(struct feed_reader *r, struct event *ev);
/* feed_journal_next by reference: *ev the journal reader's own event, or
 * r->out when it had to be changed. */
int feed_journal_next_ref(struct feed_reader *r, const struct event **ev);
void feed_journal_close(struct feed_reader *r);

/* 1 when the file at path starts with the journal magic (a regular file
 * that can be peeked), else 0. */
int feed_is_journal(const char *path);

/* 0 when the journal at path holds market data, else -EINVAL with err
 * naming what it is and how to read it (feed_journal_kind); a journal
 * that does not open is left to the caller's own open (0). */
int feed_journal_refuse_other(const char *path, char *err, size_t errlen);

#endif /* DM_LIBCORE_FEED_FEED_INT_H */
