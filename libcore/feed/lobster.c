/*
 * lobster.c — LOBSTER message + orderbook file pairs (docs/feeds.md).
 *
 * Row k of the message file is the event that produced row k of the
 * orderbook file, so the two files are read in lock step, one line each.
 * Each pair yields one book event (top min(L, N) levels) and, before it,
 * one trade event when the message is an execution (type 4 visible, 5
 * hidden).  LOBSTER's direction is the side of the resting order, so the
 * aggressor is its opposite.
 */
#include "libcore/feed/feed_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define LOB_DUMMY_PX 9999999999LL /* LOBSTER's price of an empty level */
#define LOB_MAX_N    200u         /* levels a file may have */

static const struct feed_unit ns_unit = { .m = 1, .k = 9 };

/* The last occurrence of needle in hay, or NULL. */
static const char *last_strstr(const char *hay, const char *needle)
{
	const char *last = NULL, *p = hay;
	while ((p = strstr(p, needle))) {
		last = p;
		p++;
	}
	return last;
}

/* The file date "_YYYY-MM-DD_" in a base name, as days since the epoch:
 * 0, -ERANGE when the only real dates there lie outside FEED_DAY_MIN..
 * FEED_DAY_MAX, -1 when there is none. */
static int name_date(const char *b, int64_t *days)
{
	size_t n = strlen(b);
	int rc = -1;
	for (size_t i = 0; i + 12 <= n; i++) {
		if (b[i] != '_' || b[i + 11] != '_')
			continue;
		int d = feed_parse_date(b + i + 1, 10, '-', days);
		if (d == 0)
			return 0;
		if (d == -ERANGE)
			rc = -ERANGE;
	}
	return rc;
}

int feed_lobster_open(struct feed_reader *r, const char *path,
		      char *err, size_t errlen)
{
	static const char msg_tok[] = "_message_", ob_tok[] = "_orderbook_";
	const char *b = strrchr(path, '/');
	const char *mk, *ok, *tok, *other, *num;
	char *partner = r->paths + strlen(path) + 1;
	int64_t days;
	unsigned n = 0;
	int rc;

	b = b ? b + 1 : path;
	mk = last_strstr(b, msg_tok);
	ok = last_strstr(b, ob_tok);
	if (!mk && !ok) {
		snprintf(err, errlen, "%s: a LOBSTER file name holds _message_N or "
			 "_orderbook_N", path);
		return -DM_ECONFIG;
	}
	if (mk && (!ok || mk > ok)) {
		tok = mk;
		other = ob_tok;
		num = mk + sizeof(msg_tok) - 1;
	} else {
		tok = ok;
		other = msg_tok;
		num = ok + sizeof(ob_tok) - 1;
	}
	const char *q = num;
	while (*q >= '0' && *q <= '9' && n <= LOB_MAX_N)
		n = n * 10 + (unsigned)(*q++ - '0');
	if (q == num || n == 0 || n > LOB_MAX_N || (*q && *q != '.')) {
		snprintf(err, errlen, "%s: cannot read the level count N from "
			 "\"%s\" (want _message_N or _orderbook_N, 1 <= N <= %u)",
			 path, tok, LOB_MAX_N);
		return -DM_ECONFIG;
	}
	rc = name_date(b, &days);
	if (rc == -ERANGE) {
		snprintf(err, errlen, "%s: the date in the file name is outside "
			 FEED_DATE_RANGE_TXT " (the range of ns times)", path);
		return -DM_ECONFIG;
	}
	if (rc) {
		snprintf(err, errlen, "%s: no date _YYYY-MM-DD_ in the file name "
			 "(LOBSTER names carry it: TICKER_YYYY-MM-DD_start_end_"
			 "message_N.csv); times need it", path);
		return -DM_ECONFIG;
	}
	size_t pre = (size_t)(tok - path);
	memcpy(partner, path, pre);
	strcpy(partner + pre, other);
	strcat(partner + pre, num);

	int32_t off = (r->o.flags & FEED_O_FIXED_TZ) ? r->o.utc_offset_s
						      : feed_new_york_offset(days);
	r->u.lob.n_file = n;
	/* days is in range, so only an absurd offset overflows; each row's
	 * time is checked again (feed_ns_add) */
	if (__builtin_sub_overflow(days * FEED_NS_PER_DAY, (int64_t)off * FEED_NS_PER_S,
				   &r->u.lob.midnight_ns)) {
		snprintf(err, errlen, "%s: UTC offset %d s is out of range", path, (int)off);
		return -EINVAL;
	}

	const char *mpath = tok == mk ? path : partner;
	const char *opath = tok == mk ? partner : path;
	rc = feed_src_open(&r->src[0], mpath, r->o.line_max, err, errlen);
	if (rc < 0)
		return rc;
	rc = feed_src_open(&r->src[1], opath, r->o.line_max, err, errlen);
	if (rc < 0)
		return rc; /* feed_open closes src[0] */
	return 0;
}

/* Next line that is not empty: 1, 0 at end, -E2BIG, or -errno. */
static int next_line(struct feed_src *s, char **l, size_t *n)
{
	int rc;
	while ((rc = feed_src_line(s, l, n)) == 1 && *n == 0)
		;
	return rc;
}

/* A side of one level: 1 a level, 0 empty, < 0 bad (why filled). */
static int level(const struct feed_reader *r, const struct feed_field *fp,
		 const struct feed_field *fs, int64_t *px, int64_t *qty,
		 char *why, size_t wlen)
{
	char b1[48], b2[48];
	int64_t raw;
	int rc;

	if ((rc = feed_num(fs->p, fs->n, &r->qty_unit, qty)) != FEED_NUM_OK ||
	    *qty < 0) {
		snprintf(why, wlen, "size '%s': %s", feed_field_show(fs->p, fs->n, b1,
			 sizeof(b1)), rc ? feed_num_why(rc) : "negative");
		return -1;
	}
	if ((rc = feed_int(fp->p, fp->n, &raw)) != FEED_NUM_OK) {
		snprintf(why, wlen, "price '%s': %s", feed_field_show(fp->p, fp->n, b1,
			 sizeof(b1)), feed_num_why(rc));
		return -1;
	}
	if (*qty == 0)
		return 0; /* empty level: LOBSTER writes +-9999999999 x 0 */
	if (raw == LOB_DUMMY_PX || raw == -LOB_DUMMY_PX) {
		snprintf(why, wlen, "dummy price %lld with size %s",
			 (long long)raw, feed_field_show(fs->p, fs->n, b2, sizeof(b2)));
		return -1;
	}
	if ((rc = feed_num(fp->p, fp->n, &r->px_unit, px)) != FEED_NUM_OK) {
		snprintf(why, wlen, "price '%s': %s", feed_field_show(fp->p, fp->n, b1,
			 sizeof(b1)), feed_num_why(rc));
		return -1;
	}
	return 1;
}

/* Parse the orderbook row into a book event; 0 or -1 with why. */
static int parse_book(struct feed_reader *r, char *l, size_t n, struct event *bk,
		      char *why, size_t wlen)
{
	struct feed_field f[4 * LOB_MAX_N];
	uint32_t nf = r->u.lob.n_file, keep = nf < r->levels ? nf : r->levels;
	size_t k = feed_split(l, n, ',', f, 4 * LOB_MAX_N);
	int64_t prev[2] = { INT64_MIN, INT64_MAX }; /* last ask, last bid */
	struct ev_book *b = &bk->book;
	char lw[FEED_ERR_LEN / 4];

	if (k != 4 * (size_t)nf) {
		snprintf(why, wlen, "%zu fields, want %u (4 x %u levels)", k, 4 * nf, nf);
		return -1;
	}
	for (uint32_t i = 0; i < nf; i++) {
		for (int s = 0; s < 2; s++) { /* columns: ask px, ask sz, bid px, bid sz */
			const char *name = s ? "bid" : "ask";
			int64_t px, qty;
			int rc = level(r, &f[4 * i + 2 * s], &f[4 * i + 2 * s + 1], &px,
				       &qty, lw, sizeof(lw));
			if (rc < 0) {
				snprintf(why, wlen, "%s level %u %s", name, i + 1, lw);
				return -1;
			}
			if (rc == 0)
				continue;
			if (s ? px >= prev[1] : px <= prev[0]) {
				snprintf(why, wlen, "%s level %u (%lld ticks) not %s the "
					 "one before", name, i + 1, (long long)px,
					 s ? "below" : "above");
				return -1;
			}
			prev[s] = px;
			if (i >= keep)
				continue;
			if (s)
				b->bid[b->n_bid++] = (struct book_level){ px, qty };
			else
				b->ask[b->n_ask++] = (struct book_level){ px, qty };
		}
	}
	return 0;
}

#if defined(__x86_64__)
static int lob_avx2; /* set once before main, read-only after */

__attribute__((constructor)) static void lob_init(void)
{
	__builtin_cpu_init(); /* constructors may run before libgcc's own */
	lob_avx2 = __builtin_cpu_supports("avx2");
}

/*
 * Every field of a plain orderbook row at once: fields of 1..8 digits
 * (no sign) are put in 64-bit lanes, digits at the top, four lanes to a
 * register, and converted together: digit pairs (x10 + 1), quads (x100 +
 * 1), then the two quads of a lane (x10000 +).  pos[j] ends field j (a
 * sep, or the line end for the last); out gets nfld values.  Returns 0
 * when a field is empty, longer than 8 bytes or signed: the caller then
 * parses field by field.  Reads at most 8 bytes from each field's start
 * (feed_src slack covers the last).
 */
__attribute__((target("avx2")))
static inline uint64_t conv_lane(const char *l, const uint32_t *pos, unsigned j,
				 unsigned nfld, uint32_t *s, uint32_t *bad)
{
	if (j >= nfld)
		return 0;
	uint32_t e = pos[j], n = e - *s;
	*bad |= (n - 1u > 7u) | (l[*s] == '-');
	uint64_t w = (feed_load8(l + *s) & 0x0f0f0f0f0f0f0f0full) << ((64 - 8 * n) & 63);
	*s = e + 1;
	return w;
}

__attribute__((target("avx2")))
static int conv_fields(const char *l, const uint32_t *pos, unsigned nfld, uint64_t *out)
{
	const __m256i w10 = _mm256_set1_epi16(0x010a); /* bytes 10, 1 */
	const __m256i w100 = _mm256_set1_epi32(0x00010064); /* 16-bit 100, 1 */
	const __m256i w1e4 = _mm256_set1_epi64x(10000);
	uint32_t s = 0, bad = 0;

	for (unsigned j = 0; j < nfld; j += 4) {
		/* four lanes from registers: a store and a wide reload of the
		 * same bytes would stall on store forwarding */
		uint64_t x0 = conv_lane(l, pos, j, nfld, &s, &bad);
		uint64_t x1 = conv_lane(l, pos, j + 1, nfld, &s, &bad);
		uint64_t x2 = conv_lane(l, pos, j + 2, nfld, &s, &bad);
		uint64_t x3 = conv_lane(l, pos, j + 3, nfld, &s, &bad);
		__m256i v = _mm256_set_epi64x((long long)x3, (long long)x2,
					      (long long)x1, (long long)x0);
		v = _mm256_maddubs_epi16(v, w10);
		v = _mm256_madd_epi16(v, w100);
		v = _mm256_add_epi64(_mm256_mul_epu32(v, w1e4), _mm256_srli_epi64(v, 32));
		_mm256_storeu_si256((__m256i *)(void *)(out + j), v);
	}
	return !bad;
}
#endif

/*
 * The fast path: the whole row pair in one pass over the bytes (no field
 * splitting, SWAR digits, exact division by multiplication), for rows in
 * the plain form LOBSTER writes.  Returns the message type (1..7) with
 * the book event in *ev, or for an execution the trade in *ev and the
 * book in r->pend[0]; or 0
 * when anything is unusual (a bad row, padding, a decimal point where
 * LOBSTER has none...): feed_lobster_next then parses the pair again on
 * the exact path, which finds the same events or the reason.
 */
static int fast_pair(struct feed_reader *r, const char *ml, size_t mn,
		     const char *ol, size_t on, struct event *ev)
{
	static const struct feed_unit ns = { .m = 1, .k = 9 };
	const char *p = ml, *me = ml + mn;
	int64_t t_ns, type, oid, size, price, dir;

	if (feed_fast_num(&p, &ns, &t_ns) || *p++ != ',' ||
	    feed_fast_int(&p, &type) || *p++ != ',' ||
	    feed_fast_int(&p, &oid) || *p++ != ',' ||
	    feed_fast_num(&p, &r->qty_unit, &size) || *p++ != ',' ||
	    feed_fast_int(&p, &price) || *p++ != ',' ||
	    feed_fast_int(&p, &dir) || p != me)
		return 0;
	if (t_ns < 0 || t_ns >= 2 * FEED_NS_PER_DAY || type < 1 || type > 7 ||
	    dir < -1 || dir > 1 || size < 0)
		return 0;

	/* the orderbook row: every comma first, then the 4 N fields, which
	 * no longer depend on each other's lengths */
	uint32_t nf = r->u.lob.n_file, keep = nf < r->levels ? nf : r->levels;
	uint32_t pos[4 * LOB_MAX_N + 1];
	int plain;
	if (feed_scan_ints(ol, on, ',', pos, 4 * LOB_MAX_N, &plain) != 4 * (size_t)nf - 1 ||
	    !plain)
		return 0;
	int lots = r->qty_unit.m != 1 || r->qty_unit.k != 0; /* sizes / lot */
	pos[4 * nf - 1] = (uint32_t)on;

	/* The book goes straight into the caller's *ev, whose old bytes are
	 * unknown: every level past the new ones is cleared.  An execution's
	 * book waits in r->pend[0] behind the trade; pend[0] only ever holds
	 * book events with zeros past their levels, so there only the levels
	 * the last one used need clearing. */
	int64_t t;
	if (feed_ns_add(r->u.lob.midnight_ns, t_ns, &t))
		return 0;
	int exec = type == 4 || type == 5;
	struct event *bk = exec ? &r->pend[0] : ev;
	struct ev_book *b = &bk->book;
	uint32_t old_nb = exec ? b->n_bid : EV_MAX_LEVELS;
	uint32_t old_na = exec ? b->n_ask : EV_MAX_LEVELS;
	bk->kind = EV_BOOK;
	bk->instrument = r->o.instrument;
	bk->exch_ns = bk->recv_ns = t;
	b->n_bid = b->n_ask = 0;
	int64_t last_ask = INT64_MIN, last_bid = INT64_MAX;
	uint32_t beg = 0;
	uint64_t fv[4 * LOB_MAX_N + 4];
	int batch = 0;
#if defined(__x86_64__)
	if (DM_LIKELY(lob_avx2))
		batch = conv_fields(ol, pos, 4 * nf, fv);
#endif
	for (uint32_t i = 0; i < nf; i++) {
		const uint32_t *e = &pos[4 * i];
		int64_t apx, asz, bpx, bsz;
		if (DM_LIKELY(batch)) {
			/* cppcheck-suppress legacyUninitvar
			 * (batch is set only when conv_fields converted all 4 * nf fields) */
			apx = (int64_t)fv[4 * i];
			asz = (int64_t)fv[4 * i + 1];
			bpx = (int64_t)fv[4 * i + 2];
			bsz = (int64_t)fv[4 * i + 3];
		} else if (feed_fast_int_plain(ol + beg, e[0] - beg, &apx) ||
			   feed_fast_int_plain(ol + e[0] + 1, e[1] - e[0] - 1, &asz) ||
			   feed_fast_int_plain(ol + e[1] + 1, e[2] - e[1] - 1, &bpx) ||
			   feed_fast_int_plain(ol + e[2] + 1, e[3] - e[2] - 1, &bsz) ||
			   asz < 0 || bsz < 0) {
			goto undo;
		}
		beg = e[3] + 1;
		if (asz) {
			uint64_t q, sz = (uint64_t)asz;
			if (apx <= 0 || apx == LOB_DUMMY_PX ||
			    feed_fast_scale((uint64_t)apx, 0, &r->px_unit, &q) ||
			    (int64_t)q <= last_ask ||
			    (lots && (feed_fast_scale(sz, 0, &r->qty_unit, &sz) || !sz)))
				goto undo;
			last_ask = (int64_t)q;
			if (i < keep)
				b->ask[b->n_ask++] = (struct book_level){ (int64_t)q, (int64_t)sz };
		}
		if (bsz) {
			uint64_t q, sz = (uint64_t)bsz;
			if (bpx <= 0 || bpx == LOB_DUMMY_PX ||
			    feed_fast_scale((uint64_t)bpx, 0, &r->px_unit, &q) ||
			    (int64_t)q >= last_bid ||
			    (lots && (feed_fast_scale(sz, 0, &r->qty_unit, &sz) || !sz)))
				goto undo;
			last_bid = (int64_t)q;
			if (i < keep)
				b->bid[b->n_bid++] = (struct book_level){ (int64_t)q, (int64_t)sz };
		}
	}
	for (uint32_t i = b->n_bid; i < old_nb; i++)
		b->bid[i] = (struct book_level){ 0, 0 };
	for (uint32_t i = b->n_ask; i < old_na; i++)
		b->ask[i] = (struct book_level){ 0, 0 };
	if (exec) {
		uint64_t q;
		if (dir == 0 || size == 0 || price <= 0 ||
		    feed_fast_scale((uint64_t)price, 0, &r->px_unit, &q))
			return 0; /* pend[0] is whole: the slow path finds the reason */
		feed_ev_start(r, ev, EV_TRADE, t, t);
		ev->trade.px = (int64_t)q;
		ev->trade.qty = size;
		ev->trade.aggressor = (int8_t)-dir; /* dir = resting side */
		ev->trade.flags = type == 5 ? EV_TRADE_HIDDEN : 0;
	}
	(void)oid;
	return (int)type;

undo: /* levels half written: restore pend[0]'s "zeros past the levels" */
	memset(bk, 0, sizeof(*bk));
	return 0;
}

int feed_lobster_next(struct feed_reader *r, struct event *ev)
{
	struct feed_src *ms = &r->src[0], *os = &r->src[1];
	char why[FEED_ERR_LEN / 2], sb[48];

	for (;;) {
		struct feed_field f[8];
		struct event bk;
		char *ml, *ol;
		size_t mn, on, k;
		int64_t t_ns, type, oid, size, price, dir;
		int mrc = next_line(ms, &ml, &mn);
		int orc = next_line(os, &ol, &on);
		int rc;

		if (mrc < 0 && mrc != -E2BIG)
			return feed_fail_src(r, ms, mrc);
		if (orc < 0 && orc != -E2BIG)
			return feed_fail_src(r, os, orc);
		if (mrc == 0 && orc == 0)
			return 0;
		if (mrc == 0 || orc == 0) {
			struct feed_src *s = mrc == 0 ? os : ms, *e = mrc == 0 ? ms : os;
			rc = feed_bad(r, s, "row without a partner: %s ends after %llu "
				      "rows", e->path, (unsigned long long)e->line);
			return rc < 0 ? rc : 0;
		}
		r->st.rows++;
		if (DM_LIKELY(mrc == 1 && orc == 1)) {
			int type = fast_pair(r, ml, mn, ol, on, ev);
			if (DM_LIKELY(type)) {
				if (type == 4 || type == 5) {
					/* the trade now, its book next */
					feed_book_flags(r, &r->pend[0], 0);
					r->n_pend = 1;
				} else {
					feed_book_flags(r, ev, 0);
				}
				return 1;
			}
		}
		if (mrc == -E2BIG || orc == -E2BIG) {
			rc = feed_bad(r, mrc == -E2BIG ? ms : os,
				      "line longer than %u bytes", r->o.line_max);
			if (rc < 0)
				return rc;
			continue;
		}

		/* message: time, type, order id, size, price, direction */
		k = feed_split(ml, mn, ',', f, 8);
		if (k != 6) {
			rc = feed_bad(r, ms, "%zu fields, want 6 (time,type,order_id,"
				      "size,price,direction)", k);
			goto skip;
		}
#define MSG_FIELD(i, unit, var, name)                                          \
		if ((rc = feed_num(f[i].p, f[i].n, unit, &var)) != FEED_NUM_OK) { \
			rc = feed_bad(r, ms, name " '%s': %s",                   \
				      feed_field_show(f[i].p, f[i].n, sb, sizeof(sb)), \
				      feed_num_why(rc));                          \
			goto skip;                                                \
		}
		static const struct feed_unit one = { .m = 1, .k = 0 };
		MSG_FIELD(0, &ns_unit, t_ns, "time");
		MSG_FIELD(1, &one, type, "type");
		MSG_FIELD(2, &one, oid, "order id");
		MSG_FIELD(3, &r->qty_unit, size, "size");
		MSG_FIELD(4, &one, price, "price");
		MSG_FIELD(5, &one, dir, "direction");
#undef MSG_FIELD
		(void)oid;
		if (t_ns < 0 || t_ns >= 2 * FEED_NS_PER_DAY) {
			rc = feed_bad(r, ms, "time %s outside 0..172800 s after midnight",
				      feed_field_show(f[0].p, f[0].n, sb, sizeof(sb)));
			goto skip;
		}
		if (type < 1 || type > 7 || dir < -1 || dir > 1 || size < 0) {
			rc = feed_bad(r, ms, "type %lld, size %lld, direction %lld: "
				      "want type 1..7, size >= 0, direction -1/0/1",
				      (long long)type, (long long)size, (long long)dir);
			goto skip;
		}

		int64_t t;
		if (feed_ns_add(r->u.lob.midnight_ns, t_ns, &t)) {
			rc = feed_bad(r, ms, "time %s s after the file date's midnight: "
				      "outside " FEED_NS_RANGE_TXT,
				      feed_field_show(f[0].p, f[0].n, sb, sizeof(sb)));
			goto skip;
		}
		feed_ev_start(r, &bk, EV_BOOK, t, t);
		if (parse_book(r, ol, on, &bk, why, sizeof(why)) < 0) {
			rc = feed_bad(r, os, "%s", why);
			goto skip;
		}
		if (type == 4 || type == 5) {
			int64_t px;
			if ((rc = feed_num(f[4].p, f[4].n, &r->px_unit, &px)) != FEED_NUM_OK) {
				rc = feed_bad(r, ms, "execution price '%s': %s",
					      feed_field_show(f[4].p, f[4].n, sb, sizeof(sb)),
					      feed_num_why(rc));
				goto skip;
			}
			if (dir == 0 || size == 0) {
				rc = feed_bad(r, ms, "execution with direction %lld, size "
					      "%lld: want +-1 and > 0", (long long)dir,
					      (long long)size);
				goto skip;
			}
			feed_ev_start(r, ev, EV_TRADE, t, t);
			ev->trade.px = px;
			ev->trade.qty = size;
			ev->trade.aggressor = (int8_t)-dir; /* dir = resting side */
			ev->trade.flags = type == 5 ? EV_TRADE_HIDDEN : 0;
			feed_book_flags(r, &bk, 0);
			feed_push(r, &bk);
			return 1;
		}
		feed_book_flags(r, &bk, 0);
		*ev = bk;
		return 1;
skip:
		if (rc < 0)
			return rc;
	}
}
