/*
 * fuzz_journal.c — the journal reader (libcore/journal/journal.c) in each
 * mode: mapped or sequential (JOURNAL_SEQ), checked at open
 * (JOURNAL_VERIFY) or as read, a torn tail cut (JOURNAL_REPAIR), and the
 * append open that checks and repairs before writing.  Every record kind
 * is walked; event records and book deltas are decoded, and the level
 * changes the reader reports for a book delta are checked against the
 * books themselves (applied to the previous book they must give this one).
 * Input: [mode byte: bit 0 leave the crcs as they are (else made right,
 * fuzz.h), bits 1-2 the open flags (0, VERIFY, SEQ, VERIFY | SEQ), bit 3
 * REPAIR, bit 4 open for append afterwards, bit 5 decode by
 * journal_next + journal_reader_decode (else journal_next_event_ref)]
 * [the journal's bytes].
 */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "libcore/journal/journal.h"
#include "libcore/market/book.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* The changes the reader reported, applied to prev, must give ev's levels. */
static void check_changes(const struct event *prev, const struct event *ev,
			  const struct book_change *ch, int k)
{
	static struct book b;
	struct book_level bid[BOOK_MAX_LEVELS], ask[BOOK_MAX_LEVELS];

	book_init(&b, BOOK_MAX_LEVELS);
	book_apply_snapshot(&b, prev->book.bid, prev->book.n_bid, prev->book.ask,
			    prev->book.n_ask, 0, 0);
	for (int i = 0; i < k; i++)
		book_apply_level(&b, (enum book_side)ch[i].side, ch[i].px, ch[i].qty, 0, 0);
	if (b.n[BOOK_BID] != ev->book.n_bid || b.n[BOOK_ASK] != ev->book.n_ask)
		abort();
	memcpy(bid, b.level[BOOK_BID], sizeof(bid));
	memcpy(ask, b.level[BOOK_ASK], sizeof(ask));
	if (memcmp(bid, ev->book.bid, sizeof(bid[0]) * ev->book.n_bid) ||
	    memcmp(ask, ev->book.ask, sizeof(ask[0]) * ev->book.n_ask))
		abort();
}

static void walk(struct journal_reader *r, int by_record)
{
	static struct event ev, prev;
	int have_prev = 0, rc;
	const struct book_change *ch;

	for (;;) {
		if (by_record) {
			const struct jrec *rec;
			if ((rc = journal_next(r, &rec)) != 1)
				break;
			if (rec->type != JREC_EVENT && rec->type != JREC_EVENT_DELTA)
				continue;
			if (journal_reader_decode(r, rec, &ev) < 0) {
				have_prev = 0;
				continue;
			}
		} else {
			const struct event *e;
			if ((rc = journal_next_event_ref(r, &e)) != 1)
				break;
			ev = *e;
		}
		fz_check_event(&ev, EV_MAX_LEVELS, 0);
		if (ev.kind != EV_BOOK)
			continue;
		int k = journal_reader_book_changes(r, &ch);
		if (k > (int)BOOK_DIFF_MAX)
			abort();
		if (k >= 0 && have_prev)
			check_changes(&prev, &ev, ch, k);
		prev = ev;
		have_prev = 1;
	}
	(void)journal_reader_torn_bytes(r);
	(void)journal_reader_bad_offset(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const uint32_t fl[4] = { 0, JOURNAL_VERIFY, JOURNAL_SEQ,
					JOURNAL_VERIFY | JOURNAL_SEQ };
	static uint8_t buf[1 << 20];
	static struct journal_reader r;
	static struct journal_writer w;
	const char *p;

	if (n < 1 || n - 1 > sizeof(buf))
		return 0;
	memcpy(buf, d + 1, n - 1);
	if (!(d[0] & 1))
		fz_journal_fix(buf, n - 1);
	p = fz_path("j.dmj");
	fz_write(p, buf, n - 1);
	uint32_t flags = fl[(d[0] >> 1) & 3] | ((d[0] & 8) ? JOURNAL_REPAIR : 0);
	if (journal_open_read(&r, p, flags) == 0) {
		walk(&r, (d[0] >> 5) & 1);
		journal_reader_close(&r);
	}
	if (d[0] & 0x10) {
		struct journal_opts o = { .flags = JOURNAL_W_NO_URING, .buf_size = JOURNAL_MIN_BUF_SIZE,
					  .fsync = JOURNAL_FSYNC_NONE };
		if (journal_open_append(&w, p, &o) == 0)
			journal_close(&w);
	}
	fz_unlink(p);
	return 0;
}
