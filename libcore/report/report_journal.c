/* report_journal.c — a run directory's journals through the report writer
 * (report.h: report_run_dir, report_instrument_from_header). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "libcore/report/report.h"

#define ORDERS_JOURNAL    "orders.journal"
#define DECISIONS_JOURNAL "decisions.journal"


int report_instrument_from_header(const struct journal_file_hdr *h, struct instrument *in,
				  char *err, size_t errlen)
{
	struct cfg_instrument c;
	memset(&c, 0, sizeof(c));
	if (!(h->flags & JOURNAL_HDR_F_INSTR)) {
		snprintf(err, errlen, "the journal header names no instrument (lot, currency, "
			 "point value): written by an older build; convert the source again");
		return -EINVAL;
	}
	char tick[JOURNAL_TICK_MAX + 1], lot[JOURNAL_LOT_MAX + 1];
	snprintf(tick, sizeof(tick), "%.*s", (int)JOURNAL_TICK_MAX, h->tick_size);
	snprintf(lot, sizeof(lot), "%.*s", (int)JOURNAL_LOT_MAX, h->lot_size);
	if (snprintf(c.symbol, sizeof(c.symbol), "%.*s", (int)JOURNAL_SYMBOL_MAX - 1,
		     h->symbol) >= (int)sizeof(c.symbol) ||
	    snprintf(c.currency, sizeof(c.currency), "%.*s", (int)JOURNAL_CCY_MAX - 1,
		     h->currency) >= (int)sizeof(c.currency)) {
		snprintf(err, errlen, "the journal header's symbol or currency is too long");
		return -EINVAL;
	}
	uint32_t lot_dec;
	if (instr_dec_e6(tick, &c.tick_size_e6, &c.price_decimals) || c.tick_size_e6 <= 0 ||
	    instr_dec_e6(lot, &c.lot_size_e6, &lot_dec) || c.lot_size_e6 <= 0) {
		snprintf(err, errlen, "the journal header's tick '%s' or lot '%s' is not a "
			 "decimal > 0 of at most 6 decimals", tick, lot);
		return -EINVAL;
	}
	/* the header's point value is a double of a decimal of at most 6 decimals */
	double pv6 = h->point_value * 1e6;
	if (!(pv6 >= 0.5 && pv6 < 9e18)) {
		snprintf(err, errlen, "the journal header's point value %g is not > 0",
			 h->point_value);
		return -EINVAL;
	}
	c.point_value_e6 = llround(pv6);
	if (instr_init(in, &c) < 0) {
		snprintf(err, errlen, "the journal header's instrument (%s, tick %s, point value "
			 "%g %s) has no exact tick value", c.symbol, tick, h->point_value,
			 c.currency);
		return -EINVAL;
	}
	return 0;
}

static FILE *open_csv(const char *dir, const char *name, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", dir, name);
	return fopen(path, "w");
}

/* Open a journal of the run directory; a missing one is -ENOENT. */
static int open_journal(struct journal_reader *jr, const char *dir, const char *name,
			char *path, size_t n, char *err, size_t errlen)
{
	snprintf(path, n, "%s/%s", dir, name);
	int rc = journal_open_read(jr, path, JOURNAL_SEQ);
	if (rc < 0 && rc != -ENOENT)
		snprintf(err, errlen, "%s: not a readable journal: %s", path, dm_strerror(rc));
	return rc;
}

static int bad_record(const char *path, const struct jrec *rec, size_t want, char *err,
		      size_t errlen)
{
	snprintf(err, errlen, "%s: record %" PRIu64 " (type %u) holds %" PRIu32 " bytes, "
		 "expected %zu: written by another build", path, rec->seq, rec->type, rec->len,
		 want);
	return -DM_ECORRUPT;
}

/* The decisions journal read one record ahead, handed to the report as
 * the other journals' times pass them. */
struct dec_feed {
	struct journal_reader *jr;
	const char *path;
	int more;                 /* 1: next holds a decision; 0 end; < 0 error */
	struct vote_record next;
};

static int dec_read(struct dec_feed *f, char *err, size_t errlen)
{
	const struct jrec *rec;
	int rc;
	while ((rc = journal_next(f->jr, &rec)) == 1) {
		if (rec->type != JREC_DECISION)
			continue;
		if (vote_record_read(&f->next, rec->payload, rec->len) < 0)
			return bad_record(f->path, rec, sizeof(struct vote_record), err, errlen);
		return 1;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s: %s at offset %" PRIu64, f->path, dm_strerror(rc),
			 journal_reader_bad_offset(f->jr));
	return rc;
}

/* Every decision before a market event at t (stamped earlier than t, or
 * at t with incl) or before the order of decision upto (an id not above
 * it), in the journal's order.  0 or the read error. */
static int dec_until(struct report *r, struct dec_feed *f, int64_t t, int incl, uint64_t upto,
		     char *err, size_t errlen)
{
	while (f->more == 1) {
		int64_t dt = vote_record_time_ns(&f->next);
		if (!(dt < t || (incl && dt == t) || f->next.decision_id <= upto))
			break;
		report_on_decision(r, &f->next);
		f->more = dec_read(f, err, errlen);
	}
	return f->more < 0 ? f->more : 0;
}

int report_run_dir(const char *dir, const char *market, const char *out_dir,
		   const struct report_opts *o, struct report_counts *counts,
		   struct json_t **tca_summary, char *err, size_t errlen)
{
	struct journal_reader mj, oj, dj;
	int have_o = 0, have_d = 0;
	char opath[PATH_MAX], dpath[PATH_MAX], cpath[PATH_MAX];
	if (tca_summary)
		*tca_summary = NULL;
	int rc = journal_open_read(&mj, market, JOURNAL_SEQ);
	if (rc < 0) {
		snprintf(err, errlen, "%s: not a readable journal: %s", market, dm_strerror(rc));
		return rc;
	}
	struct instrument in;
	char why[256];
	if ((rc = report_instrument_from_header(&mj.hdr, &in, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s: %s", market, why);
		goto close_market;
	}
	have_o = (rc = open_journal(&oj, dir, ORDERS_JOURNAL, opath, sizeof(opath), err,
					errlen)) == 0;
	if (rc < 0 && rc != -ENOENT)
		goto close_market;
	have_d = (rc = open_journal(&dj, dir, DECISIONS_JOURNAL, dpath, sizeof(dpath), err,
					errlen)) == 0;
	if (rc < 0 && rc != -ENOENT)
		goto close_orders;
	rc = 0;

	struct report_out out = { 0 };
	FILE *tca_csv = NULL;
	const char *names[5] = { "fills.csv", "orders.csv", "decisions.csv", "equity.csv",
				 "tca.csv" };
	FILE **f[5] = { &out.fills, &out.orders, &out.decisions, &out.equity, &tca_csv };
	for (int i = 0; i < 5; i++) {
		*f[i] = open_csv(out_dir, names[i], cpath, sizeof(cpath));
		if (!*f[i]) {
			rc = -errno;
			snprintf(err, errlen, "%s: cannot write: %s", cpath, strerror(errno));
			goto close_csv;
		}
	}
	struct tca_params tp;
	tca_params_default(&tp);
	size_t memsize = report_memsize(o->max_open), tsize = tca_memsize(&tp);
	void *mem = malloc(memsize ? memsize : 1), *tmem = malloc(tsize);
	static struct report r; /* tool code: one at a time */
	static struct tca tca;
	struct report_opts ro = *o;
	ro.tca = &tca;
	ro.hold_decisions = 1; /* the orders follow: rows name execution's ids */
	if (!mem || !tmem || (rc = tca_init(&tca, tmem, tsize, &in, &tp, tca_csv)) < 0 ||
	    (rc = report_init(&r, mem, memsize, &in, &ro, &out)) < 0) {
		rc = rc ? rc : -ENOMEM;
		snprintf(err, errlen, "report: %s", dm_strerror(rc));
		goto free_mem;
	}

	/* the decisions as the market passes them, orders and reports
	 * interleaved with the market by market time */
	struct dec_feed df = { .jr = &dj, .path = dpath };
	if (have_d && (df.more = dec_read(&df, err, errlen)) < 0) {
		rc = df.more;
		goto free_mem;
	}
	const struct jrec *rec;
	const struct event *ev = NULL;
	int mrc = journal_next_event_ref(&mj, &ev);
	int64_t last_t = INT64_MIN;
	while (have_o && (rc = journal_next(&oj, &rec)) == 1) {
		if (rec->type == JREC_ORDER) {
			if (rec->len != sizeof(struct msg_order)) {
				rc = bad_record(opath, rec, sizeof(struct msg_order), err, errlen);
				goto free_mem;
			}
			const struct msg_order *mo = (const struct msg_order *)rec->payload;
			if ((rc = dec_until(&r, &df, INT64_MIN, 0, mo->decision_id, err,
					    errlen)) < 0)
				goto free_mem;
			report_on_order(&r, mo);
			continue;
		}
		if (rec->type != JREC_EXEC)
			continue;
		if (rec->len != sizeof(struct msg_exec_report)) {
			rc = bad_record(opath, rec, sizeof(struct msg_exec_report), err, errlen);
			goto free_mem;
		}
		const struct msg_exec_report *x = (const struct msg_exec_report *)rec->payload;
		while (mrc == 1 && ev->exch_ns <= x->venue_ns) {
			if ((rc = dec_until(&r, &df, ev->exch_ns, 0, 0, err, errlen)) < 0)
				goto free_mem;
			report_on_market(&r, ev, ev->exch_ns);
			last_t = ev->exch_ns;
			mrc = journal_next_event_ref(&mj, &ev);
		}
		if ((rc = dec_until(&r, &df, x->venue_ns, 1, 0, err, errlen)) < 0)
			goto free_mem;
		report_on_exec(&r, x);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s at offset %" PRIu64, opath, dm_strerror(rc),
			 journal_reader_bad_offset(&oj));
		goto free_mem;
	}
	while (mrc == 1) {
		if ((rc = dec_until(&r, &df, ev->exch_ns, 0, 0, err, errlen)) < 0)
			goto free_mem;
		report_on_market(&r, ev, ev->exch_ns);
		last_t = ev->exch_ns;
		mrc = journal_next_event_ref(&mj, &ev);
	}
	if (mrc < 0) {
		rc = mrc;
		snprintf(err, errlen, "%s: %s at offset %" PRIu64, market, dm_strerror(rc),
			 journal_reader_bad_offset(&mj));
		goto free_mem;
	}
	if ((rc = dec_until(&r, &df, INT64_MAX, 1, UINT64_MAX, err, errlen)) < 0)
		goto free_mem;
	rc = report_finish(&r, last_t);
	if (rc < 0)
		snprintf(err, errlen, "%s: writing the CSV files: %s", out_dir, dm_strerror(rc));
	if (counts)
		*counts = r.n;
	if (rc == 0 && tca_summary)
		*tca_summary = tca_summary_json(&tca);
free_mem:
	free(mem);
	free(tmem);
close_csv:
	for (int i = 0; i < 5; i++)
		if (*f[i] && fclose(*f[i]) == EOF && rc == 0) {
			rc = -EIO;
			snprintf(err, errlen, "%s/%s: %s", out_dir, names[i], strerror(errno));
		}
	if (rc < 0 && tca_summary && *tca_summary) {
		json_decref(*tca_summary);
		*tca_summary = NULL;
	}
	if (have_d)
		journal_reader_close(&dj);
close_orders:
	if (have_o)
		journal_reader_close(&oj);
close_market:
	journal_reader_close(&mj);
	return rc;
}
