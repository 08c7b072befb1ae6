/*
 * journal_in.c — the DreamMaker journal as a feed (docs/feeds.md).
 *
 * The journal reader (libcore/journal/journal.h) reads the file front to back
 * (JOURNAL_SEQ: read(2) into one reused buffer) and checks each record
 * (length, crc, seq) as it is reached, so nothing is read twice.  An event
 * record (JREC_EVENT, or a book JREC_EVENT_DELTA against the book before
 * it) is decoded into the event it was written from; any other record
 * type counts in stats.ignored.  Events come back as they were written,
 * anomaly flags included; only the level count is cut to opts.levels and,
 * when opts.instrument is set, the instrument replaced.
 *
 * Bad data.  A record that passed its crc but does not decode (a writer
 * bug, never a crash) is a bad row: "file:SEQ: ..." where SEQ is the
 * record's number; so is every book delta after it up to the next
 * snapshot, which no longer has the book it was written against.  The bytes after the last valid record, when no valid
 * record follows them, are a torn tail (a writer stopped mid-write): one
 * bad row at the end.  A bad record with valid records after it is
 * corruption: a sticky -DM_ECORRUPT whatever the mode, nothing skipped.
 *
 * Not market data.  A run's orders or decisions journal (the first record
 * that tells a kind is an order, a report or a decision, not an event) is
 * refused at open with what it holds (feed_journal_kind): read as market
 * data it would give 0 events and look like an empty market.
 *
 * Memory.  The reader's buffer (JOURNAL_DEF_READ_BUF) is all it holds,
 * so a journal larger than RAM replays in bounded resident memory like
 * the text formats.
 */
#include "libcore/feed/feed_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libcore/msg/msg.h"
#include "libcore/vote/vote.h"

int feed_is_journal(const char *path)
{
	struct stat st;
	char magic[8];
	ssize_t k;
	int fd;

	/* never open a FIFO here: its writer would see the reader go away */
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	k = pread(fd, magic, sizeof(magic), 0);
	close(fd);
	/* "DMJRNL" is enough: a shorter or damaged header is then reported
	 * by the journal reader rather than as an unknown format */
	return k >= 6 && memcmp(magic, JOURNAL_MAGIC, 6) == 0;
}

static const char *open_why(int rc)
{
	switch (rc) {
	case -DM_EMAGIC:
		return "not a DreamMaker journal (wrong magic)";
	case -DM_EVERSION:
		return "journal format version not supported by this build";
	case -DM_ELAYOUT:
		return "journal written by a build with other event layouts "
		       "(layout hash differs); convert the source data again";
	case -DM_ECORRUPT:
		return "damaged or incomplete journal header";
	case -EINVAL:
		return "not a regular file (a journal is read by offset: a pipe "
		       "or FIFO cannot be read as one)";
	default:
		return dm_strerror(rc);
	}
}

/* ------------------------------------------------------------ kind */

/* ns since the epoch as "2022-01-03T12:00:03.752142654Z" */
static void utc_text(int64_t ns, char *buf, size_t n)
{
	int64_t sec = ns / 1000000000, f = ns % 1000000000;
	if (f < 0) {
		f += 1000000000;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	char day[32];
	if (!gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(day, sizeof(day), "@%" PRId64, sec);
	snprintf(buf, n, "%s.%09" PRId64 "Z", day, f);
}

struct jcount {
	uint64_t recs, orders, execs, decisions, events, raw, notes, other;
	int64_t  t0, t1;          /* span of the records' own times */
};

static void span(struct jcount *c, int64_t t)
{
	if (t <= 0)
		return;
	if (t < c->t0)
		c->t0 = t;
	if (t > c->t1)
		c->t1 = t;
}

static void count_rec(struct jcount *c, const struct jrec *rec)
{
	int64_t t;
	c->recs++;
	switch (rec->type) {
	case JREC_EVENT:
	case JREC_EVENT_DELTA:
		c->events++;
		break;
	case JREC_ORDER:
		c->orders++;
		if (rec->len == sizeof(struct msg_order)) {
			struct msg_hdr h;
			memcpy(&h, rec->payload, sizeof(h));
			if (h.flags & MSG_F_VENUE_TIME)
				span(c, h.send_ns);
		}
		break;
	case JREC_EXEC:
		c->execs++;
		if (rec->len == sizeof(struct msg_exec_report)) {
			memcpy(&t, rec->payload + offsetof(struct msg_exec_report, venue_ns), 8);
			span(c, t);
		}
		break;
	case JREC_DECISION: {
		c->decisions++;
		struct vote_record d;
		if (vote_record_read(&d, rec->payload, rec->len) == 0)
			span(c, vote_record_time_ns(&d));
		break;
	}
	case JREC_RAW:
		c->raw++;
		break;
	case JREC_NOTE:
		c->notes++;
		break;
	default:
		c->other++;
	}
}

/* " (13 orders, 13 execution reports" and the like, appended at *at */
static void part(char *buf, size_t n, size_t *at, uint64_t v, const char *name, int *first)
{
	if (!v || *at >= n)
		return;
	int w = snprintf(buf + *at, n - *at, "%s%" PRIu64 " %s", *first ? " (" : ", ", v, name);
	*first = 0;
	if (w > 0)
		*at += (size_t)w;
}

int feed_journal_kind(const char *path, char *what, size_t n, char *err, size_t errlen)
{
	struct journal_reader jr;
	int rc = journal_open_read(&jr, path, 0);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, open_why(rc));
		return rc;
	}
	struct jcount c = { .t0 = INT64_MAX, .t1 = INT64_MIN };
	const struct jrec *rec;
	int kind = -1;
	while ((rc = journal_next(&jr, &rec)) == 1) {
		count_rec(&c, rec);
		if (kind >= 0)
			continue;
		if (rec->type == JREC_EVENT || rec->type == JREC_EVENT_DELTA) {
			kind = FEED_JK_MARKET; /* the reader reads the rest */
			break;
		}
		if (rec->type == JREC_ORDER || rec->type == JREC_EXEC)
			kind = FEED_JK_ORDERS;
		else if (rec->type == JREC_DECISION)
			kind = FEED_JK_DECISIONS;
	}
	uint64_t bad = rc < 0 ? journal_reader_bad_offset(&jr) : 0;
	journal_reader_close(&jr);
	if (kind == FEED_JK_MARKET || (kind < 0 && (rc < 0 || !c.recs)))
		return FEED_JK_MARKET; /* damage or an empty file: the reader says */
	if (kind < 0)
		kind = FEED_JK_OTHER;
	static const char *const kname[] = {
		[FEED_JK_ORDERS] = "an orders journal (a run's orders and execution reports)",
		[FEED_JK_DECISIONS] = "a decisions journal (a run's decisions)",
		[FEED_JK_OTHER] = "a journal of no market event",
	};
	int w = snprintf(what, n, "%s: %" PRIu64 " record%s", kname[kind], c.recs,
			 c.recs == 1 ? "" : "s");
	size_t at = w > 0 ? (size_t)w : 0;
	int first = 1;
	part(what, n, &at, c.orders, "orders", &first);
	part(what, n, &at, c.execs, "execution reports", &first);
	part(what, n, &at, c.decisions, "decisions", &first);
	part(what, n, &at, c.events, "market events", &first);
	part(what, n, &at, c.raw, "raw lines", &first);
	part(what, n, &at, c.notes, "notes", &first);
	part(what, n, &at, c.other, "of other types", &first);
	if (!first && at < n) {
		w = snprintf(what + at, n - at, ")");
		at += w > 0 ? (size_t)w : 0;
	}
	if (at < n && c.t0 <= c.t1) {
		char a[48], b[48];
		utc_text(c.t0, a, sizeof(a));
		utc_text(c.t1, b, sizeof(b));
		w = snprintf(what + at, n - at, ", %s times %s .. %s",
			     kind == FEED_JK_DECISIONS ? "market" : "venue", a, b);
		at += w > 0 ? (size_t)w : 0;
	}
	if (at < n && bad)
		snprintf(what + at, n - at, ", then a damaged record at offset %" PRIu64, bad);
	return kind;
}

int feed_journal_refuse_other(const char *path, char *err, size_t errlen)
{
	char what[512], why[256], market[4096];
	if (feed_journal_kind(path, what, sizeof(what), why, sizeof(why)) <= 0)
		return 0; /* market data, or the caller's own open says why not */
	/* dm-journal needs the market for the prices' unit: the run
	 * directory's own when it is there */
	const char *slash = strrchr(path, '/');
	struct stat st;
	int n = slash ? (int)(slash - path) : 1;
	snprintf(market, sizeof(market), "%.*s/market.journal", n, slash ? path : ".");
	int here = stat(market, &st) == 0 && S_ISREG(st.st_mode);
	snprintf(err, errlen, "%s: %s; not market data: 'dm-journal %s --market %s' prints its "
		 "rows%s", path, what, path, here ? market : "JOURNAL",
		 here ? "" : " (JOURNAL: the market the run replayed)");
	return -EINVAL;
}

int feed_journal_open(struct feed_reader *r, const char *path,
		      char *err, size_t errlen)
{
	struct feed_journal *j = &r->u.jn;
	int rc;

	memset(j, 0, sizeof(*j));
	/* the journal reader opens before it looks: opening a FIFO would
	 * wait for a writer, so refuse anything but a regular file first */
	struct stat st;
	if (stat(path, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, open_why(-EINVAL));
		return -EINVAL;
	}
	if ((rc = feed_journal_refuse_other(path, err, errlen)) < 0)
		return rc;
	rc = journal_open_read(&j->jr, path, JOURNAL_SEQ);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, open_why(rc));
		return rc;
	}
	/* bad-row messages name the file; their "line" is the record seq */
	r->src[0].path = path;
	r->st.bytes = JOURNAL_HDR_SIZE;
	return 0;
}

void feed_journal_close(struct feed_reader *r)
{
	journal_reader_close(&r->u.jn.jr);
}

/* Cut a decoded book to the reader's L levels per side. */
static void cut_levels(struct ev_book *b, uint32_t levels)
{
	if (b->n_bid > levels) {
		memset(&b->bid[levels], 0, sizeof(b->bid[0]) * (b->n_bid - levels));
		b->n_bid = (uint16_t)levels;
	}
	if (b->n_ask > levels) {
		memset(&b->ask[levels], 0, sizeof(b->ask[0]) * (b->n_ask - levels));
		b->n_ask = (uint16_t)levels;
	}
}

/*
 * The next event record of the journal, by reference (*ev as
 * journal_reader_decode_ref gives it), bad rows counted and skipped: 1,
 * 0 at the end, or an error.
 */
static int next_decoded(struct feed_reader *r, const struct event **ev)
{
	struct feed_journal *j = &r->u.jn;
	struct feed_src *s = &r->src[0];
	const struct jrec *rec;
	int rc;

	for (;;) {
		rc = journal_next(&j->jr, &rec);
		r->st.bytes = j->jr.off;
		if (rc == 0) {
			uint64_t torn = journal_reader_torn_bytes(&j->jr);
			if (torn && !s->eof) {
				s->eof = 1; /* report it once */
				s->line = j->jr.next_seq;
				rc = feed_bad(r, s, "torn tail: %llu bytes after the last "
					      "valid record (offset %llu), left by a writer "
					      "that stopped mid-write; not read",
					      (unsigned long long)torn,
					      (unsigned long long)j->jr.off);
				r->st.bytes += torn;
			}
			return rc;
		}
		if (rc == -DM_ECORRUPT)
			return feed_fail(r, rc, "%s: corrupt record at offset %llu (valid "
					 "records follow it, so it is no torn tail): the "
					 "journal is damaged", s->path,
					 (unsigned long long)journal_reader_bad_offset(&j->jr));
		if (rc < 0)
			return feed_fail(r, rc, "%s: read error: %s", s->path, dm_strerror(rc));
		r->st.rows++;
		if (rec->type != JREC_EVENT && rec->type != JREC_EVENT_DELTA) {
			r->st.ignored++;
			continue;
		}
		if (DM_UNLIKELY(journal_reader_decode_ref(&j->jr, rec, ev) < 0)) {
			s->line = rec->seq;
			if (rec->type == JREC_EVENT_DELTA)
				rc = feed_bad(r, s, "book delta of %u bytes does not decode: "
					      "malformed, or the book event before it is "
					      "missing", rec->len);
			else
				rc = feed_bad(r, s, "event record of %u bytes (kind %u) does "
					      "not decode: wrong length for its kind and "
					      "level counts",
					      rec->len, rec->len >= 4 ? rec->payload[0] : 0u);
			if (rc < 0)
				return rc;
			continue;
		}
		return 1;
	}
}

/* Does the reader change event ev (levels cut, instrument set)? */
static inline int must_change(const struct feed_reader *r, const struct event *ev)
{
	return r->o.instrument ||
	       (ev->kind == EV_BOOK && (ev->book.n_bid > r->levels || ev->book.n_ask > r->levels));
}

static void change(struct feed_reader *r, struct event *ev)
{
	if (ev->kind == EV_BOOK)
		cut_levels(&ev->book, r->levels);
	if (r->o.instrument)
		ev->instrument = r->o.instrument;
}

int feed_journal_next(struct feed_reader *r, struct event *ev)
{
	const struct event *e;
	int rc = next_decoded(r, &e);
	if (rc != 1)
		return rc;
	*ev = *e;
	if (ev->kind == EV_BOOK)
		r->last_book_ns = ev->exch_ns;
	change(r, ev);
	return 1;
}

int feed_journal_next_ref(struct feed_reader *r, const struct event **ev)
{
	const struct event *e;
	int rc = next_decoded(r, &e);
	if (rc != 1)
		return rc;
	if (e->kind == EV_BOOK)
		r->last_book_ns = e->exch_ns;
	if (DM_UNLIKELY(must_change(r, e))) {
		r->out = *e;
		change(r, &r->out);
		e = &r->out;
	}
	*ev = e;
	return 1;
}
