/*
 * tick.c — the instrument a market-data file holds, in its own units
 * (feed.h: feed_resolve, feed_instr_from_config, feed_file_tick,
 * feed_detect, feed_list_symbols).
 *
 * Design note.  Every tool that reads market data takes --tick and --lot
 * in the instrument's own units and resolves them here, so the defaults,
 * the detection from the data and the fit check are the same everywhere:
 *
 *   1. the format (feed_detect, unless given);
 *   2. the defaults of the format (feed.h above feed_resolve);
 *   3. a sample: the first FEED_SAMPLE_EVENTS events read with the finest
 *      grid (10^-8 of the instrument's unit), every price and size of them
 *      kept as an integer count of 10^-8, and their gcds;
 *   4. the fit: a tick (lot) that leaves more than FEED_FIT_MAX_OFF of the
 *      sampled prices (sizes) off its grid is refused, naming the gcd;
 *   5. feed_opts in the readers' file units (LOBSTER prices x 10000).
 *
 * Numbers are exact: a tick or lot is an integer count of 10^-8 (at most
 * FEED_DEC_MAX decimals), prices of the sample likewise.
 *
 * Start-up code for the tools: it opens and reads (a gzip file inflated in
 * process); nothing here is for a hot path.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "libcore/config/config.h"
#include "libcore/feed/feed.h"
#include "libcore/feed/feed_int.h"
#include "libcore/journal/journal.h"

#define SNIFF_BYTES (256u << 10) /* Binance: bytes looked at for "s" */
#define DEC_ONE     100000000LL  /* 1.0 in units of 10^-FEED_DEC_MAX */
#define LOBSTER_PX  10000LL      /* LOBSTER file price units per dollar */
/* The first cap - 1 bytes of path (inflated when gzip), NUL-terminated;
 * the count, or -1 if it cannot be read. */
static ssize_t sniff(const char *path, char *buf, size_t cap)
{
	struct feed_src s;
	char err[FEED_ERR_LEN];
	ssize_t n;

	if (feed_src_open(&s, path, 64, err, sizeof(err)) < 0)
		return -1;
	n = feed_src_read(&s, buf, cap - 1);
	feed_src_close(&s);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* ------------------------------------------------------------ decimals */

int feed_dec_parse(const char *s, int64_t *out)
{
	int64_t ip = 0, fp = 0;
	int nd = 0, nf = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++, nd++) {
		if (ip > (INT64_MAX / DEC_ONE - 9) / 10)
			return -EINVAL;
		ip = ip * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nf++) {
			if (nf < (int)FEED_DEC_MAX)
				fp = fp * 10 + (*p - '0');
			else if (*p != '0')
				return -EINVAL;     /* a digit finer than 10^-8 */
		}
	}
	if (*p || nd + nf == 0)
		return -EINVAL;
	for (int k = nf < (int)FEED_DEC_MAX ? nf : (int)FEED_DEC_MAX; k < (int)FEED_DEC_MAX; k++)
		fp *= 10;
	*out = ip * DEC_ONE + fp;
	return *out > 0 ? 0 : -EINVAL;
}

void feed_dec_text(int64_t v, char *buf, size_t len)
{
	int64_t ip = v / DEC_ONE, fp = v % DEC_ONE;
	int w = (int)FEED_DEC_MAX;

	if (!fp) {
		snprintf(buf, len, "%" PRId64, ip);
		return;
	}
	while (fp % 10 == 0) {
		fp /= 10;
		w--;
	}
	snprintf(buf, len, "%" PRId64 ".%0*" PRId64, ip, w, fp);
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* The largest power of ten, at most 1, that divides g (> 0). */
static int64_t pow10_of(int64_t g)
{
	int64_t t = DEC_ONE;

	while (t > 1 && g % t)
		t /= 10;
	return t;
}

/* ------------------------------------------------------------ defaults */

void feed_instr_from_config(struct feed_instr *in, const struct cfg_instrument *cfg)
{
	int64_t t = cfg->tick_size_e6 * (DEC_ONE / CFG_DEC_SCALE);

	memset(in, 0, sizeof(*in));
	snprintf(in->symbol, sizeof(in->symbol), "%s", cfg->symbol);
	feed_dec_text(t, in->tick, sizeof(in->tick));
	int64_t l = cfg->lot_size_e6 * (DEC_ONE / CFG_DEC_SCALE);

	feed_dec_text(l, in->lot, sizeof(in->lot));
	snprintf(in->currency, sizeof(in->currency), "%s", cfg->currency);
	in->tick_v = (double)t / (double)DEC_ONE;
	in->lot_v = (double)l / (double)DEC_ONE;
	in->point_value = (double)cfg->point_value_e6 / CFG_DEC_SCALE;
}

/* LOBSTER: the ticker before the first '_' of the file name. */
static void lobster_symbol(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strcspn(b, "_");
	if (n >= len)
		n = len - 1;
	memcpy(out, b, n);
	out[n] = '\0';
}

/* Binance: the first "s":"SYMBOL" of the capture, "" when none. */
static void binance_symbol(const char *path, char *out, size_t len)
{
	char *buf = malloc(SNIFF_BYTES);
	const char *p;

	out[0] = '\0';
	if (buf && sniff(path, buf, SNIFF_BYTES) > 0 && (p = strstr(buf, "\"s\":\""))) {
		size_t n = strcspn(p + 5, "\"");
		if (n < len) {
			memcpy(out, p + 5, n);
			out[n] = '\0';
		}
	}
	free(buf);
}

/* The quote asset ending a Binance symbol (BTCUSDT: USDT), "" if none. */
static void binance_quote(const char *sym, char *out, size_t len)
{
	static const char *const q[] = {
		"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "DAI", "BTC", "ETH", "BNB",
		"EUR", "TRY", "BRL", "GBP", "JPY", "USD"
	};
	size_t n = strlen(sym);

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		size_t k = strlen(q[i]);
		if (n > k && strcmp(sym + n - k, q[i]) == 0) {
			snprintf(out, len, "%s", q[i]);
			return;
		}
	}
}

/* ------------------------------------------------------------ sample */

struct sample {
	int64_t *px, *qty;          /* 10^-8 units */
	size_t   n_px, n_qty, cap;
	int64_t  g_px, g_qty;       /* gcds, 0 = none */
	char     neg_symbol[FEED_SYMBOL_MAX];
};

static void sample_add(struct sample *sm, int64_t px, int64_t qty, int64_t px_scale)
{
	if (px < 0)
		px = -px;
	if (qty < 0)
		qty = -qty;
	if (px && sm->n_px < sm->cap) {
		sm->px[sm->n_px++] = px * px_scale;
		sm->g_px = gcd64(sm->g_px, px * px_scale);
	}
	if (qty && sm->n_qty < sm->cap) {
		sm->qty[sm->n_qty++] = qty;
		sm->g_qty = gcd64(sm->g_qty, qty);
	}
}

/* The first FEED_SAMPLE_EVENTS events of path on the finest grid. */
static int sample_read(const char *path, enum feed_format fmt, const struct feed_opts *base,
		       struct sample *sm, char *err, size_t errlen)
{
	static struct feed_reader r;   /* large; start-up code, one thread */
	struct feed_opts fo = *base;
	struct event ev;
	int64_t scale = fmt == FEED_LOBSTER ? LOBSTER_PX : 1;
	int rc;

	fo.tick = fmt == FEED_LOBSTER ? 1 : 1e-8;
	fo.lot = 1e-8;
	fo.strict = 0;
	fo.levels = EV_MAX_LEVELS;
	sm->cap = (size_t)FEED_SAMPLE_EVENTS * 2 * EV_MAX_LEVELS + 2 * FEED_DEF_BOOK_CAP;
	sm->px = malloc(sm->cap * sizeof(int64_t));
	sm->qty = malloc(sm->cap * sizeof(int64_t));
	if (!sm->px || !sm->qty) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if ((rc = feed_open(&r, path, fmt, &fo, err, errlen)) < 0)
		return rc;
	for (uint32_t k = 0; k < FEED_SAMPLE_EVENTS && (rc = feed_next(&r, &ev)) == 1; k++) {
		if (ev.kind == EV_TRADE) {
			sample_add(sm, ev.trade.px, ev.trade.qty, scale);
			continue;
		}
		for (uint32_t i = 0; i < ev.book.n_bid; i++)
			sample_add(sm, ev.book.bid[i].px, ev.book.bid[i].qty, scale);
		for (uint32_t i = 0; i < ev.book.n_ask; i++)
			sample_add(sm, ev.book.ask[i].px, ev.book.ask[i].qty, scale);
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", feed_error(&r));
	/* Binance: the whole book the reader holds, far levels included,
	 * whose sizes may be finer than those near the top */
	for (int side = 0; fmt == FEED_BINANCE && side < 2; side++)
		for (uint32_t i = 0; i < r.u.bn.side[side].n; i++)
			sample_add(sm, r.u.bn.side[side].lv[i].px, r.u.bn.side[side].lv[i].qty, 1);
	if (fmt == FEED_NEG)
		snprintf(sm->neg_symbol, sizeof(sm->neg_symbol), "%s", r.u.neg.symbol);
	feed_close(&r);
	return rc < 0 ? rc : 0;
}

static uint64_t off_grid(const int64_t *v, size_t n, int64_t unit)
{
	uint64_t off = 0;

	for (size_t i = 0; i < n; i++)
		off += v[i] % unit != 0;
	return off;
}

/* The fit check of one unit ("tick" over prices, "lot" over sizes). */
static int fit_check(const char *path, const char *what, const char *opt, const char *txt,
		     const char *from, int64_t unit, const int64_t *v, size_t n, int64_t g,
		     char *err, size_t errlen)
{
	uint64_t off = n ? off_grid(v, n, unit) : 0;
	char gt[24];

	if (!n || (double)off <= FEED_FIT_MAX_OFF * (double)n)
		return 0;
	feed_dec_text(g, gt, sizeof(gt));
	snprintf(err, errlen, "%s: %s %s (%s) does not fit the data: %" PRIu64 " of the %zu "
		 "sampled %s (%.1f%%) are off its grid; every sampled one is a multiple of %s: "
		 "give %s %s (in the instrument's own units)", path, what, txt, from, off, n,
		 what[0] == 't' ? "prices" : "sizes", 100.0 * (double)off / (double)n, gt, opt, gt);
	return -EDOM;
}

/* ------------------------------------------------------------ resolve */

static int resolve_journal(const char *path, const struct feed_want *w, const struct feed_instr *conf,
			   struct feed_plan *p, char *err, size_t errlen)
{
	struct journal_reader r;
	struct feed_instr *in = &p->in;
	int64_t t = 0, l = 0, wt = 0, wl = 0;
	int rc = feed_journal_refuse_other(path, err, errlen);
	if (rc < 0)
		return rc;
	rc = journal_open_read(&r, path, 0);

	if (rc < 0) {
		snprintf(err, errlen, "%s: not a readable journal: %s", path, dm_strerror(rc));
		return rc;
	}
	const struct journal_file_hdr *h = &r.hdr;
	snprintf(in->symbol, sizeof(in->symbol), "%.*s", (int)sizeof(h->symbol) - 1, h->symbol);
	if (h->tick_size[0] && feed_dec_parse(h->tick_size, &t) == 0)
		snprintf(in->tick, sizeof(in->tick), "%s", h->tick_size);
	if (h->flags & JOURNAL_HDR_F_INSTR) {
		snprintf(in->lot, sizeof(in->lot), "%.*s", (int)sizeof(h->lot_size) - 1, h->lot_size);
		snprintf(in->currency, sizeof(in->currency), "%.*s", (int)sizeof(h->currency) - 1,
			 h->currency);
		in->point_value = h->point_value;
		if (feed_dec_parse(in->lot, &l))
			l = 0;
	} else if (strcmp(in->symbol, conf->symbol) == 0) {
		/* written before headers carried the instrument: the
		 * configured one when the symbols agree */
		snprintf(in->currency, sizeof(in->currency), "%s", conf->currency);
		in->point_value = conf->point_value;
	}
	p->recv_clock = (h->flags & JOURNAL_HDR_F_RECV_TIME) != 0;
	journal_reader_close(&r);

	p->tick_from = p->lot_from = "the journal header";
	if (w->tick && feed_dec_parse(w->tick, &wt) == 0 && t && wt != t) {
		snprintf(err, errlen, "%s: a journal's prices are whole ticks of %s (its header); "
			 "--tick %s cannot re-grid them: leave --tick out", path, in->tick, w->tick);
		return -EINVAL;
	}
	if (w->lot && feed_dec_parse(w->lot, &wl) == 0 && l && wl != l) {
		snprintf(err, errlen, "%s: a journal's sizes are whole lots of %s (its header); "
			 "--lot %s cannot re-grid them: leave --lot out", path, in->lot, w->lot);
		return -EINVAL;
	}
	if (!t) {
		t = wt ? wt : DEC_ONE;
		p->tick_from = wt ? "--tick" : "none recorded: 1";
		feed_dec_text(t, in->tick, sizeof(in->tick));
	}
	if (!l) {
		l = wl ? wl : DEC_ONE;
		p->lot_from = wl ? "--lot" : "none recorded: 1";
		feed_dec_text(l, in->lot, sizeof(in->lot));
	}
	if (!w->symbol && !in->symbol[0])
		snprintf(in->symbol, sizeof(in->symbol), "%s", "");
	in->tick_v = (double)t / (double)DEC_ONE;
	in->lot_v = (double)l / (double)DEC_ONE;
	p->fo.tick = 0;
	p->fo.lot = 0;
	return 0;
}

int feed_resolve(const char *path, const struct feed_want *w, struct feed_plan *p,
		 char *err, size_t errlen)
{
	struct feed_instr win;
	const struct feed_instr *conf = w->conf;
	struct feed_instr *in = &p->in;
	struct sample sm;
	int64_t tick = 0, lot = 0, ct = 0;
	int32_t conf_utc = w->conf_utc_offset_min;
	int rc;

	memset(p, 0, sizeof(*p));
	memset(&sm, 0, sizeof(sm));
	err[0] = '\0';
	if (!conf) {
		struct dm_config *c = malloc(sizeof(*c));
		if (!c) {
			snprintf(err, errlen, "%s: out of memory", path);
			return -ENOMEM;
		}
		config_defaults(c);
		feed_instr_from_config(&win, &c->instrument);
		conf_utc = c->instrument.utc_offset_min;
		free(c);
		conf = &win;
	}
	if (w->tick && feed_dec_parse(w->tick, &tick)) {
		snprintf(err, errlen, "--tick '%s': want a positive decimal with at most %u "
			 "decimals, in the instrument's units (LOBSTER 0.01 dollars, WIN 5 "
			 "points, Binance spot BTCUSDT 0.01 USDT)", w->tick, FEED_DEC_MAX);
		return -EINVAL;
	}
	if (w->lot && feed_dec_parse(w->lot, &lot)) {
		snprintf(err, errlen, "--lot '%s': want a positive decimal with at most %u "
			 "decimals, in the instrument's units (shares, contracts, BTC)", w->lot,
			 FEED_DEC_MAX);
		return -EINVAL;
	}
	if (w->symbol && (!w->symbol[0] || strlen(w->symbol) >= JOURNAL_SYMBOL_MAX)) {
		snprintf(err, errlen, "--symbol '%s': want 1..%u characters", w->symbol,
			 JOURNAL_SYMBOL_MAX - 1);
		return -EINVAL;
	}

	/* a pipe or a device cannot be read twice: no detection by content
	 * and no sample; the defaults stand unchecked, and bad rows are
	 * counted as the data streams */
	struct stat sb;
	int seekable = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
	p->fo.levels = w->levels;
	p->fo.strict = w->strict;
	p->fo.symbol = w->symbol;
	p->fmt = w->fmt;
	if (!seekable && stat(path, &sb) == 0 && p->fmt == FEED_AUTO &&
	    (p->fmt = feed_detect_name(path)) == FEED_AUTO) {
		snprintf(err, errlen, "%s is not a regular file (a pipe?): it cannot be read "
			 "twice to tell its format; give --format", path);
		return -EINVAL;
	}

	/* ---- the format */
	if (p->fmt == FEED_AUTO) {
		struct feed_opts probe = p->fo;
		probe.tick = 1;
		if ((rc = feed_detect(path, &probe, err, errlen)) < 0)
			return rc;
		p->fmt = (enum feed_format)rc;
	}
	if (p->fmt == FEED_JOURNAL) {
		if ((rc = resolve_journal(path, w, conf, p, err, errlen)) < 0)
			return rc;
		if (w->symbol)
			snprintf(in->symbol, sizeof(in->symbol), "%s", w->symbol);
		return 0;
	}

	/* ---- times */
	switch (p->fmt) {
	case FEED_LOBSTER:
		if (w->have_utc) {
			p->fo.flags |= FEED_O_FIXED_TZ;
			p->fo.utc_offset_s = w->utc_offset_min * 60;
		}
		break;
	case FEED_MT5:
	case FEED_NEG:
		p->fo.utc_offset_s = (w->have_utc ? w->utc_offset_min : conf_utc) * 60;
		break;
	default:
		break;
	}

	/* ---- the sample */
	if (!seekable && p->fmt == FEED_BINANCE && (!tick || !lot)) {
		snprintf(err, errlen, "%s is not a regular file (a pipe?): a Binance capture's "
			 "tick and lot are found from a sample of it; give --tick and --lot", path);
		return -EINVAL;
	}
	if (seekable && (rc = sample_read(path, p->fmt, &p->fo, &sm, err, errlen)) < 0)
		goto out;
	p->n_px = sm.n_px;
	p->n_qty = sm.n_qty;
	if (sm.g_px)
		feed_dec_text(sm.g_px, p->grid_px, sizeof(p->grid_px));
	if (sm.g_qty)
		feed_dec_text(sm.g_qty, p->grid_qty, sizeof(p->grid_qty));

	/* ---- the defaults of the format */
	p->tick_from = tick ? "--tick" : NULL;
	p->lot_from = lot ? "--lot" : NULL;
	feed_dec_parse(conf->tick, &ct);
	switch (p->fmt) {
	case FEED_LOBSTER:
		lobster_symbol(path, in->symbol, sizeof(in->symbol));
		snprintf(in->currency, sizeof(in->currency), "USD");
		if (!tick) {
			tick = DEC_ONE / 100;
			p->tick_from = "LOBSTER prices are in dollars, tick 0.01";
		}
		if (!lot) {
			lot = DEC_ONE;
			p->lot_from = "LOBSTER sizes are shares";
		}
		break;
	case FEED_BINANCE:
		if (w->symbol)
			snprintf(in->symbol, sizeof(in->symbol), "%s", w->symbol);
		else if (seekable)
			binance_symbol(path, in->symbol, sizeof(in->symbol));
		binance_quote(in->symbol, in->currency, sizeof(in->currency));
		if (!tick) {
			tick = sm.g_px ? pow10_of(sm.g_px) : DEC_ONE / 100;
			p->tick_from = "found from the file";
		}
		if (!lot) {
			lot = sm.g_qty ? pow10_of(sm.g_qty) : 1;
			p->lot_from = "found from the file";
		}
		break;
	case FEED_MT5:
	case FEED_NEG:
		snprintf(in->symbol, sizeof(in->symbol), "%.*s", (int)sizeof(in->symbol) - 1,
			 w->symbol ? w->symbol : p->fmt == FEED_NEG && sm.neg_symbol[0] ?
			 sm.neg_symbol : conf->symbol);
		snprintf(in->currency, sizeof(in->currency), "%s", conf->currency);
		if (!tick) {
			tick = ct;
			snprintf(p->from_txt[0], sizeof(p->from_txt[0]), "the configured "
				 "instrument's, %s", conf->symbol);
			p->tick_from = p->from_txt[0];
		}
		if (!lot) {
			feed_dec_parse(conf->lot, &lot);
			snprintf(p->from_txt[1], sizeof(p->from_txt[1]), "the configured "
				 "instrument's, %s", conf->symbol);
			p->lot_from = p->from_txt[1];
		}
		break;
	default:
		break;
	}
	if (w->symbol && p->fmt != FEED_BINANCE)
		snprintf(in->symbol, sizeof(in->symbol), "%s", w->symbol);
	feed_dec_text(tick, in->tick, sizeof(in->tick));
	feed_dec_text(lot, in->lot, sizeof(in->lot));
	in->tick_v = (double)tick / (double)DEC_ONE;
	in->lot_v = (double)lot / (double)DEC_ONE;
	if (p->fmt == FEED_MT5 || p->fmt == FEED_NEG)
		in->point_value = strncmp(in->symbol, conf->symbol, strlen(conf->symbol)) == 0 ?
			conf->point_value * in->lot_v / (conf->lot_v > 0 ? conf->lot_v : 1) :
			in->lot_v;
	else
		in->point_value = in->lot_v;
	p->recv_clock = p->fmt == FEED_BINANCE;

	/* ---- the fit */
	if ((rc = fit_check(path, "tick", "--tick", in->tick, p->tick_from, tick, sm.px,
			    sm.n_px, sm.g_px, err, errlen)) < 0 ||
	    (rc = fit_check(path, "lot", "--lot", in->lot, p->lot_from, lot, sm.qty,
			    sm.n_qty, sm.g_qty, err, errlen)) < 0) {
		size_t k = strlen(err);
		if (p->fmt == FEED_NEG && k < errlen)
			snprintf(err + k, errlen - k, "; the instrument read is %s (--symbol; "
				 "dm-inspect --list-symbols lists the file's)", in->symbol);
		goto out;
	}
	p->fo.tick = feed_file_tick(p->fmt, in->tick_v);
	p->fo.lot = in->lot_v;
	rc = 0;
out:
	free(sm.px);
	free(sm.qty);
	return rc;
}

double feed_file_tick(enum feed_format fmt, double tick)
{
	double t = fmt == FEED_LOBSTER ? tick * 10000.0 : tick;

	return round(t * 1e12) / 1e12;
}

int feed_detect(const char *path, const struct feed_opts *o, char *err, size_t errlen)
{
	struct feed_reader r;
	int rc = feed_open(&r, path, FEED_AUTO, o, err, errlen);

	if (rc)
		return rc;
	rc = (int)feed_format_of(&r);
	feed_close(&r);
	return rc;
}
