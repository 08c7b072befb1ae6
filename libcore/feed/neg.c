/*
 * neg.c — B3 NEG trade files (NEG_BMF_*, NEG_OPCOES_*, ...; docs/feeds.md).
 *
 * "RH NEG ..." header, one ';'-separated record of 18 space-padded fields
 * per trade, "RT NEG ... <records>" trailer counting every line including
 * RH and RT.  One instrument is kept: opts.symbol, or the first one in the
 * file.  B3 writes each trade once with its final status, so a cancelled
 * trade is its own row with TradeIndicator 2: it is dropped and counted
 * (or, with FEED_O_KEEP_CANCELLED, returned with FEED_TRADE_CANCELLED).
 */
#include "libcore/feed/feed_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NEG_FIELDS 18

enum {
	N_DATE = 0, N_SYMBOL = 1, N_TRADE_NO = 2, N_PRICE = 3, N_QTY = 4,
	N_TIME = 5, N_INDICATOR = 6, N_BUY_AGGR = 10, N_SELL_AGGR = 14
};

static void trim(const char **p, size_t *n)
{
	while (*n && **p == ' ')
		(*p)++, (*n)--;
	while (*n && (*p)[*n - 1] == ' ')
		(*n)--;
}

int feed_neg_open(struct feed_reader *r)
{
	struct feed_src *s = &r->src[0];
	struct feed_neg *g = &r->u.neg;
	char *l;
	size_t n;
	int rc;

	if (r->o.symbol) {
		const char *p = r->o.symbol;
		size_t k = strlen(p);
		trim(&p, &k);
		memcpy(g->symbol, p, k);
		g->symbol[k] = '\0';
		g->sym_len = (uint32_t)k;
		if (!k)
			return feed_fail(r, -EINVAL, "%s: blank NEG symbol", s->path);
	}
	do
		rc = feed_src_line(s, &l, &n);
	while (rc == 1 && n == 0);
	if (rc < 0 && rc != -E2BIG)
		return feed_fail_src(r, s, rc);
	if (rc == 1) {
		if (n >= 6 && memcmp(l, "RH NEG", 6) == 0)
			g->records = 1;
		else
			feed_src_unget(s);
	}
	return 0;
}

/* Small enumerated field (0..9): the value, or -1. */
static int small(const struct feed_field *f)
{
	int64_t v;
	if (feed_int(f->p, f->n, &v) != FEED_NUM_OK || v < 0 || v > 9)
		return -1;
	return (int)v;
}

int feed_neg_next(struct feed_reader *r, struct event *ev)
{
	struct feed_src *s = &r->src[0];
	struct feed_neg *g = &r->u.neg;
	char sb[48];

	for (;;) {
		struct feed_field f[NEG_FIELDS + 2];
		int64_t days, tod, t, trade_no, px, qty;
		const char *sym;
		size_t sn, n, k;
		char *l;
		int rc, ind, ba, sa;

		rc = feed_src_line(s, &l, &n);
		if (rc == 0) {
			if (g->trailer && g->records != r->st.trailer_rows) {
				rc = feed_bad(r, s, "the RT trailer counts %llu records, "
					      "the file holds %llu",
					      (unsigned long long)r->st.trailer_rows,
					      (unsigned long long)g->records);
				return rc < 0 ? rc : 0;
			}
			return 0;
		}
		if (rc == -E2BIG) {
			g->records++;
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
		g->records++;
		if (n >= 3 && memcmp(l, "RT ", 3) == 0) {
			const char *p = l + n;
			int64_t cnt;
			while (p > l && p[-1] != ' ')
				p--;
			if (feed_int(p, (size_t)(l + n - p), &cnt) != FEED_NUM_OK || cnt < 0) {
				rc = feed_bad(r, s, "trailer without a record count");
				goto skip;
			}
			r->st.trailer_rows = (uint64_t)cnt;
			g->trailer = 1;
			continue;
		}
		if (n >= 3 && memcmp(l, "RH ", 3) == 0)
			continue;
		r->st.rows++;
		k = feed_split(l, n, ';', f, NEG_FIELDS + 2);
		if (k == NEG_FIELDS + 1 && f[NEG_FIELDS].n == 0)
			k = NEG_FIELDS; /* a trailing ';' */
		if (k != NEG_FIELDS) {
			rc = feed_bad(r, s, "%zu fields, want %d", k, NEG_FIELDS);
			goto skip;
		}
		sym = f[N_SYMBOL].p;
		sn = f[N_SYMBOL].n;
		trim(&sym, &sn);
		if (!g->sym_len) {
			if (sn == 0 || sn >= FEED_SYMBOL_MAX) {
				rc = feed_bad(r, s, "instrument symbol '%s': blank or "
					      "too long", feed_field_show(sym, sn, sb, sizeof(sb)));
				goto skip;
			}
			memcpy(g->symbol, sym, sn);
			g->symbol[sn] = '\0';
			g->sym_len = (uint32_t)sn;
		}
		if (sn != g->sym_len || memcmp(sym, g->symbol, sn) != 0) {
			r->st.other_symbol++;
			continue;
		}
#define NEG_BAD(i, name, what)                                                 \
		do {                                                           \
			rc = feed_bad(r, s, "field %d (%s) '%s': %s", (i) + 1, \
				      name, feed_field_show(f[i].p, f[i].n, sb, \
				      sizeof(sb)), what);                      \
			goto skip;                                             \
		} while (0)
		if ((rc = feed_parse_date(f[N_DATE].p, f[N_DATE].n, '-', &days)) < 0)
			NEG_BAD(N_DATE, "SessionDate", rc == -ERANGE ?
				"outside " FEED_DATE_RANGE_TXT : "want YYYY-MM-DD");
		if ((rc = feed_int(f[N_TRADE_NO].p, f[N_TRADE_NO].n, &trade_no)) ||
		    trade_no < 0)
			NEG_BAD(N_TRADE_NO, "TradeNumber", rc ? feed_num_why(rc) : "negative");
		if ((rc = feed_num(f[N_PRICE].p, f[N_PRICE].n, &r->px_unit, &px)) ||
		    px <= 0)
			NEG_BAD(N_PRICE, "TradePrice", rc ? feed_num_why(rc) : "not positive");
		if ((rc = feed_num(f[N_QTY].p, f[N_QTY].n, &r->qty_unit, &qty)) ||
		    qty <= 0)
			NEG_BAD(N_QTY, "TradedQuantity", rc ? feed_num_why(rc) : "not positive");
		if (feed_parse_tod(f[N_TIME].p, f[N_TIME].n, &tod) < 0)
			NEG_BAD(N_TIME, "TradeTime", "want HH:MM:SS.mmm");
		if (feed_time_ns(days, tod, r->o.utc_offset_s, &t) < 0)
			NEG_BAD(N_TIME, "TradeTime", "with the SessionDate and the "
				"UTC offset, outside " FEED_NS_RANGE_TXT);
		ind = small(&f[N_INDICATOR]);
		if (ind != 1 && ind != 2)
			NEG_BAD(N_INDICATOR, "TradeIndicator", "want 1 (trade) or 2 (cancelled)");
		ba = small(&f[N_BUY_AGGR]);
		if (ba < 0 || ba > 2)
			NEG_BAD(N_BUY_AGGR, "AggressorBuyOrderIndicator", "want 0 neutral, 1 aggressor, 2 passive");
		sa = small(&f[N_SELL_AGGR]);
		if (sa < 0 || sa > 2)
			NEG_BAD(N_SELL_AGGR, "AggressorSellOrderIndicator", "want 0 neutral, 1 aggressor, 2 passive");
#undef NEG_BAD
		if (ind == 2) {
			r->st.cancelled++;
			if (!(r->o.flags & FEED_O_KEEP_CANCELLED))
				continue;
		}
		feed_ev_start(r, ev, EV_TRADE, t, t);
		ev->trade.px = px;
		ev->trade.qty = qty;
		ev->trade.trade_id = (uint64_t)trade_no;
		ev->trade.aggressor = (ba == 1 && sa == 2) ? 1 :
				      (ba == 2 && sa == 1) ? -1 : 0;
		ev->trade.flags = ind == 2 ? FEED_TRADE_CANCELLED : 0;
		return 1;
skip:
		if (rc < 0)
			return rc;
	}
}
