/*
 * mt5.c — MetaTrader 5 tick exports (docs/feeds.md).
 *
 * Header <DATE> <TIME> <BID> <ASK> <LAST> <VOLUME> <FLAGS>, tab-separated
 * (columns found by name; others ignored).  An empty field repeats the
 * value before it.  A row with the BID or ASK flag, or a bid/ask that
 * differs from the one carried, is an L1 book event (sizes 0: the export
 * has none); a row with the LAST flag is a trade, returned before the book
 * event of the same row.  The row is checked whole before any carried
 * value changes, so a bad row leaves no trace.
 */
#include "libcore/feed/feed_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MT5_F_BID    2
#define MT5_F_ASK    4
#define MT5_F_LAST   8
#define MT5_F_VOLUME 16
#define MT5_F_BUY    32
#define MT5_F_SELL   64
#define MT5_F_ALL    (MT5_F_BID | MT5_F_ASK | MT5_F_LAST | MT5_F_VOLUME | \
		      MT5_F_BUY | MT5_F_SELL)
#define MT5_MAX_COLS 32

enum { C_DATE, C_TIME, C_BID, C_ASK, C_LAST, C_VOLUME, C_FLAGS, C_N };
static const char *const col_name[C_N] = {
	"<DATE>", "<TIME>", "<BID>", "<ASK>", "<LAST>", "<VOLUME>", "<FLAGS>"
};

int feed_mt5_open(struct feed_reader *r)
{
	struct feed_src *s = &r->src[0];
	struct feed_mt5 *m = &r->u.mt5;
	struct feed_field f[MT5_MAX_COLS];
	char *l;
	size_t n, k;
	int rc;

	do
		rc = feed_src_line(s, &l, &n);
	while (rc == 1 && n == 0);
	if (rc < 0 && rc != -E2BIG)
		return feed_fail_src(r, s, rc);
	if (rc != 1)
		return feed_fail(r, rc < 0 ? rc : -DM_ECORRUPT, "%s: no MT5 header "
				 "line (<DATE>\\t<TIME>\\t<BID>\\t<ASK>\\t<LAST>\\t"
				 "<VOLUME>\\t<FLAGS>)", s->path);
	k = feed_split(l, n, '\t', f, MT5_MAX_COLS);
	if (k > MT5_MAX_COLS)
		return feed_fail(r, -DM_ECORRUPT, "%s:%llu: %zu header columns, at "
				 "most %u", s->path, (unsigned long long)s->line, k,
				 MT5_MAX_COLS);
	for (int c = 0; c < C_N; c++)
		m->col[c] = -1;
	for (size_t i = 0; i < k; i++)
		for (int c = 0; c < C_N; c++)
			if (f[i].n == strlen(col_name[c]) &&
			    memcmp(f[i].p, col_name[c], f[i].n) == 0)
				m->col[c] = (int32_t)i;
	for (int c = 0; c < C_N; c++)
		if (m->col[c] < 0)
			return feed_fail(r, -DM_ECORRUPT, "%s:%llu: header lacks %s "
					 "(want <DATE>\\t<TIME>\\t<BID>\\t<ASK>\\t"
					 "<LAST>\\t<VOLUME>\\t<FLAGS>)", s->path,
					 (unsigned long long)s->line, col_name[c]);
	m->ncol = (uint32_t)k;
	return 0;
}

#define V_NEGATIVE (-10)

/* A price or volume field: 1 = a value, 0 = empty (carry), < 0 bad
 * (an enum feed_num_err or V_NEGATIVE). */
static int value(const struct feed_field *f, const struct feed_unit *u,
		 int64_t *v)
{
	int rc;
	if (f->n == 0)
		return 0;
	if ((rc = feed_num(f->p, f->n, u, v)) != FEED_NUM_OK)
		return rc;
	return *v < 0 ? V_NEGATIVE : 1;
}

int feed_mt5_next(struct feed_reader *r, struct event *ev)
{
	struct feed_src *s = &r->src[0];
	struct feed_mt5 *m = &r->u.mt5;
	static const struct feed_field empty = { "", 0 };
	char sb[48];

	for (;;) {
		struct feed_field f[MT5_MAX_COLS], c[C_N];
		int64_t days, tod, t, flags, bid = m->bid, ask = m->ask,
			last = m->last, vol = m->vol;
		int has[4] = { m->has_bid, m->has_ask, m->has_last, m->has_vol };
		int changed = 0, rc;
		char *l;
		size_t n, k;

		rc = feed_src_line(s, &l, &n);
		if (rc == 0)
			return 0;
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
		k = feed_split(l, n, '\t', f, MT5_MAX_COLS);
		if (k > m->ncol) {
			rc = feed_bad(r, s, "%zu fields, the header has %u", k, m->ncol);
			goto skip;
		}
		for (int i = 0; i < C_N; i++)
			c[i] = (size_t)m->col[i] < k ? f[m->col[i]] : empty;

		rc = c[C_DATE].n != 10 ? -EINVAL :
		     feed_parse_date(c[C_DATE].p, c[C_DATE].n, '.', &days);
		if (rc < 0) {
			rc = feed_bad(r, s, "date '%s': %s",
				      feed_field_show(c[C_DATE].p, c[C_DATE].n, sb, sizeof(sb)),
				      rc == -ERANGE ? "outside " FEED_DATE_RANGE_TXT
						    : "want YYYY.MM.DD");
			goto skip;
		}
		if (feed_parse_tod(c[C_TIME].p, c[C_TIME].n, &tod) < 0) {
			rc = feed_bad(r, s, "time '%s': want HH:MM:SS[.fff]",
				      feed_field_show(c[C_TIME].p, c[C_TIME].n, sb, sizeof(sb)));
			goto skip;
		}
		if (feed_time_ns(days, tod, r->o.utc_offset_s, &t) < 0) {
			rc = feed_bad(r, s, "time '%.10s %s' at UTC offset %d s: "
				      "outside " FEED_NS_RANGE_TXT, c[C_DATE].p,
				      feed_field_show(c[C_TIME].p, c[C_TIME].n, sb, sizeof(sb)),
				      (int)r->o.utc_offset_s);
			goto skip;
		}
		if (feed_int(c[C_FLAGS].p, c[C_FLAGS].n, &flags) != FEED_NUM_OK ||
		    flags < 0 || (flags & ~(int64_t)MT5_F_ALL)) {
			rc = feed_bad(r, s, "flags '%s': want a sum of 2 bid, 4 ask, "
				      "8 last, 16 volume, 32 buy, 64 sell",
				      feed_field_show(c[C_FLAGS].p, c[C_FLAGS].n, sb, sizeof(sb)));
			goto skip;
		}
		static const char *const vname[4] = { "bid", "ask", "last", "volume" };
		int64_t *dst[4] = { &bid, &ask, &last, &vol };
		for (int i = 0; i < 4; i++) {
			const struct feed_field *fv = &c[C_BID + i];
			int64_t v;
			rc = value(fv, i == 3 ? &r->qty_unit : &r->px_unit, &v);
			if (rc < 0) {
				rc = feed_bad(r, s, "%s '%s': %s", vname[i],
					      feed_field_show(fv->p, fv->n, sb, sizeof(sb)),
					      rc == V_NEGATIVE ? "negative" :
					      feed_num_why(rc));
				goto skip;
			}
			if (rc == 1) {
				if (i < 2 && (!has[i] || *dst[i] != v))
					changed = 1;
				*dst[i] = v;
				has[i] = 1;
			}
		}
		if ((flags & MT5_F_LAST) && (!has[2] || !has[3])) {
			rc = feed_bad(r, s, "LAST flag but no %s known yet",
				      !has[2] ? "last price" : "volume");
			goto skip;
		}
		if ((flags & MT5_F_LAST) && vol == 0) {
			rc = feed_bad(r, s, "LAST flag with volume 0");
			goto skip;
		}

		/* the row is good: commit the carried values */
		m->bid = bid, m->ask = ask, m->last = last, m->vol = vol;
		m->has_bid = (uint8_t)has[0], m->has_ask = (uint8_t)has[1];
		m->has_last = (uint8_t)has[2], m->has_vol = (uint8_t)has[3];

		int book = changed || (flags & (MT5_F_BID | MT5_F_ASK));
		struct event bk;
		if (book) {
			feed_ev_start(r, &bk, EV_BOOK, t, t);
			if (m->has_bid && bid > 0)
				bk.book.bid[bk.book.n_bid++] = (struct book_level){ bid, 0 };
			if (m->has_ask && ask > 0)
				bk.book.ask[bk.book.n_ask++] = (struct book_level){ ask, 0 };
		}
		if (flags & MT5_F_LAST) {
			int buy = !!(flags & MT5_F_BUY), sell = !!(flags & MT5_F_SELL);
			feed_ev_start(r, ev, EV_TRADE, t, t);
			ev->trade.px = last;
			ev->trade.qty = vol;
			ev->trade.aggressor = (int8_t)(buy - sell);
			if (book) {
				feed_book_flags(r, &bk, 0);
				feed_push(r, &bk);
			}
			return 1;
		}
		if (book) {
			feed_book_flags(r, &bk, 0);
			*ev = bk;
			return 1;
		}
		r->st.ignored++;
		continue;
skip:
		if (rc < 0)
			return rc;
	}
}
