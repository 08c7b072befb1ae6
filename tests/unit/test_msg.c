/*
 * test_msg.c — the messages' layout word (libcore/msg/msg.h) and the hash
 * behind it (dm_layout_hash, libcore/types.h), and how the agents' segment
 * carries it (agents/rt/topology.c, shm/seg.c).
 *
 * A book message made over the last one (msg_md_book_over) is compared
 * with the one msg_md_from_event makes from scratch, byte for byte, and
 * its MSG_BOOK_SORTED flag with how the levels were drawn.
 *
 * Expected hashes are FNV-1a 64 worked out apart from this code (a short
 * script over the same little-endian bytes; the empty input and "a" are the
 * published test vectors of FNV-1a 64).
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "agents/rt/topology.h"
#include "libcore/msg/msg.h"
#include "libcore/msg/msg_md.h"
#include "libcore/types.h"
#include "shm/seg.h"
#include "tests/helpers.h"

Test(msg, layout_hash_function_is_fnv1a_over_little_endian_words)
{
	cr_expect_eq(dm_layout_hash(NULL, 0), 0xcbf29ce484222325ull, "FNV-1a 64 of nothing");
	/* the bytes "hgfedcba" */
	const uint64_t w1[] = { 0x6162636465666768ull };
	cr_expect_eq(dm_layout_hash(w1, 1), 0xa588fa95f595c3d5ull);
	const uint64_t w2[] = { 0x6162636465666768ull, 1 };
	cr_expect_eq(dm_layout_hash(w2, 2), 0xdf35753e0dd58654ull);
	/* "a" then seven zero bytes is not "a": every byte of a word counts */
	const uint64_t w3[] = { 0x61 };
	cr_expect_neq(dm_layout_hash(w3, 1), 0xaf63dc4c8601ec8cull);
}

Test(msg, layout_word_is_stable_and_apart_from_shms)
{
	cr_expect_eq(msg_layout_hash(), msg_layout_hash());
	cr_expect_neq(msg_layout_hash(), 0);
	cr_expect_neq(msg_layout_hash(), seg_layout_hash(),
		      "shm hashes its own structs, the messages are libcore's");
}

static char segname[64];
static struct seg segs[2];

static void fini(void)
{
	seg_close(&segs[0]);
	seg_close(&segs[1]);
	seg_unlink(segname);
}

Test(msg, the_agents_segment_records_the_message_layout_word, .fini = fini)
{
	struct rt_config c;
	struct seg_spec spec;
	rt_config_defaults(&c);
	t_seg_name(segname, sizeof(segname), "msg");
	seg_unlink(segname);
	cr_assert_eq(topology_spec(&c, segname, &spec), 0);
	cr_expect_eq(spec.app_layout, msg_layout_hash());
	cr_assert_eq(seg_create(&segs[0], &spec, 1), 0);
	cr_expect_eq(segs[0].hdr->app_layout, msg_layout_hash());
	struct seg t;
	cr_expect_eq(seg_attach(&t, segname, 1, T_APP_LAYOUT), -DM_ELAYOUT,
		     "a caller expecting other messages is refused");
	cr_expect_eq(seg_attach(&segs[1], segname, 1, msg_layout_hash()), 0);
}

/* A book event of nb / na levels (zeros past them), prices and sizes drawn. */
static void t_book_event(struct t_rng *g, struct event *ev, uint32_t nb, uint32_t na)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = EV_BOOK;
	ev->instrument = (uint32_t)t_rng_below(g, 3);
	ev->exch_ns = 1000000000 + (int64_t)t_rng_below(g, 1000000);
	ev->recv_ns = t_rng_below(g, 2) ? ev->exch_ns + 5000 : 0;
	ev->book.n_bid = (uint16_t)nb;
	ev->book.n_ask = (uint16_t)na;
	ev->book.flags = (uint32_t)t_rng_below(g, 16);
	for (uint32_t i = 0; i < nb; i++) {
		ev->book.bid[i].px = 1000 - (int64_t)i;
		ev->book.bid[i].qty = 1 + (int64_t)t_rng_below(g, 50);
	}
	for (uint32_t i = 0; i < na; i++) {
		ev->book.ask[i].px = 1001 + (int64_t)i;
		ev->book.ask[i].qty = 1 + (int64_t)t_rng_below(g, 50);
	}
}

Test(msg, book_made_over_the_last_equals_the_one_made_afresh)
{
	struct t_rng g;
	struct event ev;
	union msg_md fresh;
	struct msg_book over;
	int n_spoilt = 0;
	t_rng_seed(&g, 7);
	memset(&over, 0, sizeof(over));
	for (int i = 0; i < 5000; i++) {
		/* level counts jump up and down, to and from 0 and the maximum */
		uint32_t nb = (uint32_t)t_rng_below(&g, EV_MAX_LEVELS + 1);
		uint32_t na = i % 7 == 0 ? 0 : (uint32_t)t_rng_below(&g, EV_MAX_LEVELS + 1);
		t_book_event(&g, &ev, nb, na);
		/* now and then a level that spoils its side: a size of 0 or
		 * below, a repeated or a worse-ordered price */
		if (i % 3 == 0 && nb + na) {
			struct book_level *l = t_rng_below(&g, nb + na) < nb ?
				&ev.book.bid[t_rng_below(&g, nb)] : &ev.book.ask[t_rng_below(&g, na)];
			switch (t_rng_below(&g, 4)) {
			case 0: l->qty = 0; break;
			case 1: l->qty = -5; break;
			case 2: l->px = ev.book.bid[0].px; break;
			default: l->px = ev.book.ask[0].px; break;
			}
		}
		int spoilt = !book_levels_sorted(BOOK_BID, ev.book.bid, nb) ||
			     !book_levels_sorted(BOOK_ASK, ev.book.ask, na);
		memset(&fresh, 0xa5, sizeof(fresh));
		cr_assert_eq(msg_md_from_event(&fresh, &ev), sizeof(struct msg_book));
		cr_assert_eq(msg_md_book_over(&over, &ev), sizeof(struct msg_book));
		cr_assert(memcmp(&fresh.book, &over, sizeof(over)) == 0,
			  "event %d (%u / %u levels): the messages differ", i, nb, na);
		cr_assert_eq(over.md_flags, spoilt ? 0 : MSG_BOOK_SORTED, "event %d", i);
		n_spoilt += spoilt;
	}
	cr_assert(n_spoilt > 500 && n_spoilt < 2500, "%d of 5000 spoilt", n_spoilt);
}

Test(msg, book_made_over_the_last_has_zeros_past_the_counts_and_refuses_a_trade)
{
	struct t_rng g;
	struct event ev;
	struct msg_book over;
	t_rng_seed(&g, 8);
	memset(&over, 0, sizeof(over));
	t_book_event(&g, &ev, 12, 9);
	cr_assert_eq(msg_md_book_over(&over, &ev), sizeof(over));
	/* an event with bytes past its counts: the message has zeros there */
	t_book_event(&g, &ev, 3, 4);
	ev.book.bid[5].px = 77;
	ev.book.ask[10].qty = 5;
	cr_assert_eq(msg_md_book_over(&over, &ev), sizeof(over));
	for (uint32_t i = 3; i < MSG_BOOK_LEVELS; i++)
		cr_expect(over.bid[i].px == 0 && over.bid[i].qty == 0, "bid level %u", i);
	for (uint32_t i = 4; i < MSG_BOOK_LEVELS; i++)
		cr_expect(over.ask[i].px == 0 && over.ask[i].qty == 0, "ask level %u", i);
	cr_expect_eq(over.bid[2].qty, ev.book.bid[2].qty);
	cr_expect_eq(over.recv_ns, ev.recv_ns ? ev.recv_ns : ev.exch_ns);
	/* a trade is no book: nothing written */
	struct msg_book before = over;
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_TRADE;
	ev.trade.px = 5;
	ev.trade.qty = 1;
	cr_expect_eq(msg_md_book_over(&over, &ev), 0);
	cr_expect(memcmp(&before, &over, sizeof(over)) == 0);
}
