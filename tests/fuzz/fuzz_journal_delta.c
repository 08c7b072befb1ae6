/*
 * fuzz_journal_delta.c — the journal's event codecs
 * (libcore/journal/journal.c, journal_delta.c) on raw payloads, with
 * round trips as the oracle: an event that decodes encodes to a payload
 * that decodes to the same event, and a delta that applies to a book is
 * re-encoded against that book and must give the same result again.
 * Input: [r: the reference event's payload length, 32 + 16 x (r % 41)
 * bytes, or none when r >= 0xf0 (the reference is then an empty book)]
 * [reference JREC_EVENT payload] [JREC_EVENT_DELTA payload].
 */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "libcore/journal/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int same_event(const struct event *a, const struct event *b)
{
	if (a->kind != b->kind || a->instrument != b->instrument || a->exch_ns != b->exch_ns ||
	    a->recv_ns != b->recv_ns)
		return 0;
	if (a->kind == EV_TRADE)
		return memcmp(&a->trade, &b->trade, sizeof(a->trade)) == 0;
	return a->book.n_bid == b->book.n_bid && a->book.n_ask == b->book.n_ask &&
	       a->book.flags == b->book.flags &&
	       memcmp(a->book.bid, b->book.bid, sizeof(a->book.bid)) == 0 &&
	       memcmp(a->book.ask, b->book.ask, sizeof(a->book.ask)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct event ref, ev, back, cur, again;
	static uint8_t pay[JEV_MAX_SIZE + JDL_MAX_SIZE] __attribute__((aligned(8)));
	static uint8_t enc[JEV_MAX_SIZE + JDL_MAX_SIZE] __attribute__((aligned(8)));
	struct book_change chg[BOOK_DIFF_MAX];
	uint8_t clean[2];
	int n_chg;

	if (n < 1)
		return 0;
	size_t rl = d[0] >= 0xf0 ? 0 : 32u + 16u * (d[0] % 41u);
	if (rl > n - 1)
		rl = n - 1;
	memset(&ref, 0, sizeof(ref));
	ref.kind = EV_BOOK;
	if (rl) {
		/* an aligned copy, as the reader hands payloads out */
		memcpy(pay, d + 1, rl);
		if (journal_event_decode(pay, (uint32_t)rl, &ev) == 0) {
			fz_check_event(&ev, EV_MAX_LEVELS, 0);
			int k = journal_event_encode(&ev, enc, sizeof(enc));
			if (k < 0 || journal_event_decode(enc, (uint32_t)k, &back) ||
			    !same_event(&ev, &back))
				abort();
			if (ev.kind == EV_BOOK)
				ref = ev;
		}
	}

	size_t dl = n - 1 - rl;
	if (dl > sizeof(pay))
		return 0;
	memcpy(pay, d + 1 + rl, dl);
	cur = ref;
	clean[BOOK_BID] = (uint8_t)journal_side_clean(BOOK_BID, cur.book.bid, cur.book.n_bid);
	clean[BOOK_ASK] = (uint8_t)journal_side_clean(BOOK_ASK, cur.book.ask, cur.book.n_ask);
	if (journal_delta_apply(&cur, pay, (uint32_t)dl, clean, chg, &n_chg) != 0)
		return 0;
	fz_check_event(&cur, EV_MAX_LEVELS, 0);
	if (n_chg > (int)BOOK_DIFF_MAX)
		abort();
	/* the same payload through the plain decoder gives the same book */
	again = ref;
	if (journal_delta_decode(&again, pay, (uint32_t)dl) || !same_event(&again, &cur))
		abort();
	/* and the book re-encoded against the reference decodes to itself */
	int k = journal_delta_encode(&ref, &cur, enc, sizeof(enc));
	if (k < 0)
		abort();
	again = ref;
	if (journal_delta_decode(&again, enc, (uint32_t)k) || !same_event(&again, &cur))
		abort();
	return 0;
}
