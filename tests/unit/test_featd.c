/*
 * test_featd.c — the feature voter (libcore/featd) alone in one process:
 * hand-fed books and trades give exactly the vectors of the feature engine
 * called directly on the same events, with the quality flags worked out
 * from the top of each book; the quality vote on an empty, crossed, wide,
 * stale and good book; two instances side by side; no allocation.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/featd/featd.h"
#include "libcore/types.h"
#include "libcore/vote/vote.h"
#include "libcore/msg/msg.h"
#include "tests/helpers.h"

extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

#define MS  1000000LL
#define S   1000000000LL
#define T0  (1641837600LL * S)
#define VOTER 2
#define MAX_SPREAD 4
#define STALE_NS (500 * MS)

/* ------------------------------------------------------------ a host */

#define T_MAX 8
struct t_host {
	struct msg_features fslot;
	struct msg_vote vslot;
	struct msg_features last_f;
	uint64_t n_feat;
	struct msg_vote votes[T_MAX];
	uint32_t n_votes;
	int full;
};

static struct msg_features *h_feat_claim(void *p)
{
	struct t_host *h = p;
	return h->full ? NULL : &h->fslot;
}

static void h_feat_publish(void *p, struct msg_features *f)
{
	struct t_host *h = p;
	h->last_f = *f;
	h->n_feat++;
}

static struct msg_vote *h_vote_claim(void *p)
{
	struct t_host *h = p;
	return h->full ? NULL : &h->vslot;
}

static void h_vote_publish(void *p, struct msg_vote *v)
{
	struct t_host *h = p;
	h->votes[h->n_votes++ % T_MAX] = *v;
}

static void t_params(struct featd_params *p, enum feat_clock clock)
{
	memset(p, 0, sizeof(*p));
	feat_params_default(&p->feat);
	p->feat.tick = 5;
	p->feat.clock = clock;
	cr_assert_eq(feat_params_check(&p->feat, NULL, 0), 0);
	p->qual.stale_ns = STALE_NS;
	p->qual.max_spread_ticks = MAX_SPREAD;
	p->voter = VOTER;
}

static void *t_block(const struct featd_params *p, size_t *size)
{
	*size = featd_memsize(p);
	cr_assert_gt(*size, FEATD_ENGINE_OFF);
	void *m = aligned_alloc(64, *size);
	cr_assert_not_null(m);
	return m;
}

static void t_open(struct featd *d, void *mem, size_t size, const struct featd_params *p,
		   struct t_host *h)
{
	memset(h, 0, sizeof(*h));
	cr_assert_eq(featd_init(mem, size, p), 0);
	const struct featd_out out = { .ctx = h, .feat_claim = h_feat_claim,
				       .feat_publish = h_feat_publish,
				       .vote_claim = h_vote_claim,
				       .vote_publish = h_vote_publish };
	cr_assert_eq(featd_attach(d, mem, size, p, &out), 0);
}

/* The direct engine, on its own memory. */
static struct feat *t_engine(const struct featd_params *p)
{
	size_t n = feat_memsize(&p->feat);
	struct feat *f = aligned_alloc(64, n);
	cr_assert_not_null(f);
	cr_assert_eq(feat_init(f, n, &p->feat), 0);
	return f;
}

static struct msg_book t_book(int64_t exch_ns, int64_t bid, int64_t ask, uint16_t nb,
			      uint16_t na)
{
	struct msg_book b;
	memset(&b, 0, sizeof(b));
	b.hdr.type = MSG_BOOK;
	b.hdr.size = sizeof(b);
	b.exch_ns = exch_ns;
	b.recv_ns = exch_ns + 3 * MS;
	b.instrument = 1;
	b.n_bid = nb;
	b.n_ask = na;
	for (uint16_t i = 0; i < nb; i++)
		b.bid[i] = (struct msg_level){ bid - i, 1 + i };
	for (uint16_t i = 0; i < na; i++)
		b.ask[i] = (struct msg_level){ ask + i, 2 + i };
	return b;
}

/* A random book: mid wanders, spread 1..6 ticks, now and then crossed or
 * one-sided. */
static struct msg_book t_rand_book(struct t_rng *g, int64_t *mid, int64_t t, uint64_t seq)
{
	*mid += (int64_t)t_rng_below(g, 5) - 2;
	int64_t spread = 1 + (int64_t)t_rng_below(g, 6);
	uint64_t k = t_rng_below(g, 50);
	int64_t bid = *mid - spread / 2, ask = bid + spread;
	if (k == 0)
		ask = bid - 1; /* crossed */
	struct msg_book b = t_book(t, bid, ask, (uint16_t)(k == 1 ? 0 : 1 + t_rng_below(g, 10)),
				   (uint16_t)(1 + t_rng_below(g, 10)));
	for (int i = 0; i < b.n_bid; i++)
		b.bid[i].qty = 1 + (int64_t)t_rng_below(g, 40);
	for (int i = 0; i < b.n_ask; i++)
		b.ask[i].qty = 1 + (int64_t)t_rng_below(g, 40);
	b.hdr.seq = seq;
	b.hdr.ingress_ns = t - 1;
	b.hdr.flags = (uint8_t)(MSG_F_REPLAY | MSG_F_CONFLATABLE);
	return b;
}

static struct msg_trade t_rand_trade(struct t_rng *g, int64_t mid, int64_t t)
{
	struct msg_trade tr;
	memset(&tr, 0, sizeof(tr));
	tr.hdr.type = MSG_TRADE;
	tr.hdr.size = sizeof(tr);
	tr.exch_ns = t;
	tr.recv_ns = t + 2 * MS;
	tr.px = mid;
	tr.qty = 1 + (int64_t)t_rng_below(g, 20);
	tr.aggressor = (int8_t)(t_rng_below(g, 3) - 1);
	return tr;
}

/* The quality flags of a book's top, by hand (quality.h). */
static uint32_t t_quality(const struct msg_book *b)
{
	if (!b->n_bid || !b->n_ask)
		return QUAL_F_EMPTY;
	int64_t spread = b->ask[0].px - b->bid[0].px;
	return (spread <= 0 ? QUAL_F_CROSSED : 0) | (spread > MAX_SPREAD ? QUAL_F_WIDE : 0);
}

/* Feed n random events to d and to a direct engine; compare every vector. */
static void t_compare(struct featd *d, struct t_host *h, struct feat *ref, uint64_t seed,
		      int n, int recv_clock)
{
	struct t_rng g;
	t_rng_seed(&g, seed);
	int64_t mid = 20000, t = T0;
	uint64_t vectors = 0, seq = 0, features0 = d->st->features;
	double want[FEAT_N];
	for (int i = 0; i < n; i++) {
		t += 1 + (int64_t)t_rng_below(&g, 50 * MS);
		if (t_rng_below(&g, 4) == 0) {
			struct msg_trade tr = t_rand_trade(&g, mid, t);
			featd_on_trade(d, &tr);
			feat_on_trade(ref, recv_clock ? tr.recv_ns : tr.exch_ns, tr.qty, tr.aggressor);
			continue;
		}
		struct msg_book b = t_rand_book(&g, &mid, t, ++seq);
		uint64_t before = h->n_feat;
		cr_assert_eq(featd_on_book(d, &b, t + 5 * MS), 0);
		int got = feat_on_book(ref, recv_clock ? b.recv_ns : b.exch_ns,
				       (const struct book_level *)(const void *)b.bid, b.n_bid,
				       (const struct book_level *)(const void *)b.ask, b.n_ask, want);
		cr_assert_eq(h->n_feat - before, (uint64_t)(got == 1), "event %d", i);
		if (got != 1)
			continue;
		vectors++;
		const struct msg_features *f = &h->last_f;
		cr_assert_eq(memcmp(f->f, want, sizeof(want)), 0, "vector of event %d differs", i);
		cr_assert_eq(f->hdr.type, MSG_FEATURES);
		cr_assert_eq(f->hdr.flags, MSG_F_REPLAY, "only the replay flag is carried");
		cr_assert_eq(f->hdr.ingress_ns, t - 1);
		cr_assert_eq(f->book_seq, seq);
		cr_assert_eq(f->exch_ns, b.exch_ns);
		cr_assert_eq(f->instrument, 1);
		cr_assert_eq(f->n, FEAT_N);
		cr_assert_eq(f->quality, t_quality(&b), "quality of event %d", i);
	}
	cr_assert_gt(vectors, (uint64_t)n / 2);
	cr_assert_eq(d->st->features - features0, vectors);
}

/* ------------------------------------------------------------ vectors */

Test(featd, vectors_equal_the_engine_called_directly)
{
	struct featd_params p;
	t_params(&p, FEAT_CLOCK_EXCH);
	size_t size;
	void *m = t_block(&p, &size);
	struct featd d;
	struct t_host h;
	t_open(&d, m, size, &p, &h);
	struct feat *ref = t_engine(&p);
	t_compare(&d, &h, ref, 42, 20000, 0);
	cr_assert_eq(d.st->books + d.st->trades, 20000);
	free(ref);
	free(m);
}

Test(featd, receive_clock_feeds_the_engine_receive_times)
{
	struct featd_params p;
	t_params(&p, FEAT_CLOCK_RECV);
	size_t size;
	void *m = t_block(&p, &size);
	struct featd d;
	struct t_host h;
	t_open(&d, m, size, &p, &h);
	struct feat *ref = t_engine(&p);
	t_compare(&d, &h, ref, 7, 5000, 1);
	cr_assert_eq(feat_last_t_ns(d.engine), feat_last_t_ns(ref));
	free(ref);
	free(m);
}

Test(featd, no_room_for_a_vector_changes_nothing)
{
	struct featd_params p;
	t_params(&p, FEAT_CLOCK_EXCH);
	size_t size;
	void *m = t_block(&p, &size), *copy = malloc(size);
	cr_assert_not_null(copy);
	struct featd d;
	struct t_host h;
	t_open(&d, m, size, &p, &h);
	struct msg_book b = t_book(T0, 100, 101, 3, 3);
	cr_assert_eq(featd_on_book(&d, &b, T0), 0);
	memcpy(copy, m, size);
	h.full = 1;
	b = t_book(T0 + MS, 101, 102, 3, 3);
	cr_assert_eq(featd_on_book(&d, &b, T0 + MS), -EAGAIN);
	struct msg_vote_req q = { .hdr = { .type = MSG_VOTE_REQ }, .decision_id = 1 };
	cr_assert_eq(featd_on_vote_req(&d, &q, T0 + MS), -EAGAIN);
	cr_assert_eq(memcmp(copy, m, size), 0, "block untouched");
	cr_assert_eq(h.n_feat, 1);
	cr_assert_eq(h.n_votes, 0);
	free(copy);
	free(m);
}

Test(featd, attach_refuses_a_block_of_other_parameters)
{
	struct featd_params p, q;
	t_params(&p, FEAT_CLOCK_EXCH);
	t_params(&q, FEAT_CLOCK_EXCH);
	q.feat.w_ofi += 1;
	size_t size;
	void *m = t_block(&p, &size);
	struct featd d;
	struct t_host h;
	t_open(&d, m, size, &p, &h);
	cr_assert_eq(featd_matches(m, size, &p), 1);
	cr_assert_eq(featd_matches(m, size, &q), 0);
	const struct featd_out out = { .ctx = &h, .feat_claim = h_feat_claim,
				       .feat_publish = h_feat_publish,
				       .vote_claim = h_vote_claim,
				       .vote_publish = h_vote_publish };
	cr_assert_eq(featd_attach(&d, m, size, &q, &out), -DM_ECONFIG);
	cr_assert_eq(featd_init(m, size - 64, &p), -ENOSPC);
	cr_assert_eq(featd_init((uint8_t *)m + 8, size - 64, &p), -EINVAL);
	free(m);
}

Test(featd, a_new_handle_on_the_same_block_continues_the_windows)
{
	struct featd_params p;
	t_params(&p, FEAT_CLOCK_EXCH);
	size_t size;
	void *m = t_block(&p, &size);
	struct featd d;
	struct t_host h;
	t_open(&d, m, size, &p, &h);
	struct feat *ref = t_engine(&p);
	t_compare(&d, &h, ref, 11, 3000, 0);
	/* a restarted host attaches to the surviving block: no init */
	struct featd d2;
	const struct featd_out out = { .ctx = &h, .feat_claim = h_feat_claim,
				       .feat_publish = h_feat_publish,
				       .vote_claim = h_vote_claim,
				       .vote_publish = h_vote_publish };
	cr_assert_eq(featd_attach(&d2, m, size, &p, &out), 0);
	t_compare(&d2, &h, ref, 12, 3000, 0);
	free(ref);
	free(m);
}

/* ------------------------------------------------------------ the vote */

static uint32_t t_vote_flags(struct featd *d, struct t_host *h, uint64_t id, int64_t now,
			     uint8_t flags)
{
	struct msg_vote_req q;
	memset(&q, 0, sizeof(q));
	q.hdr.type = MSG_VOTE_REQ;
	q.hdr.flags = flags;
	q.hdr.ingress_ns = 99;
	q.decision_id = id;
	cr_assert_eq(featd_on_vote_req(d, &q, now), 0);
	const struct msg_vote *v = &h->votes[(h->n_votes - 1) % T_MAX];
	cr_assert_eq(v->decision_id, id);
	cr_assert_eq(v->voter, VOTER);
	cr_assert_eq(v->hdr.type, MSG_VOTE);
	cr_assert_eq(v->hdr.ingress_ns, 99);
	cr_assert_eq(v->verdict, v->reason == VOTE_R_APPROVED ? VOTE_APPROVE : VOTE_REJECT);
	return v->reason;
}

static uint32_t t_vote(struct featd *d, struct t_host *h, uint64_t id, int64_t now)
{
	return t_vote_flags(d, h, id, now, 0);
}

Test(featd, quality_vote_on_empty_crossed_wide_stale_and_good_books)
{
	struct featd_params p;
	t_params(&p, FEAT_CLOCK_EXCH);
	size_t size;
	void *m = t_block(&p, &size);
	struct featd d;
	struct t_host h;
	t_open(&d, m, size, &p, &h);
	int64_t now = T0;
	cr_assert_eq(t_vote(&d, &h, 1, now), VOTE_R_NO_BOOK, "no book yet");

	struct msg_book b = t_book(now, 100, 0, 3, 0); /* bids only */
	featd_on_book(&d, &b, now);
	cr_assert_eq(t_vote(&d, &h, 2, now), VOTE_R_NO_BOOK, "an empty side");

	b = t_book(now, 101, 101, 3, 3); /* locked */
	featd_on_book(&d, &b, now);
	cr_assert_eq(h.last_f.quality, QUAL_F_CROSSED);
	cr_assert_eq(t_vote(&d, &h, 3, now), VOTE_R_CROSSED);

	b = t_book(now, 100, 100 + MAX_SPREAD + 1, 3, 3);
	featd_on_book(&d, &b, now);
	cr_assert_eq(h.last_f.quality, QUAL_F_WIDE);
	cr_assert_eq(t_vote(&d, &h, 4, now), VOTE_R_WIDE_SPREAD);

	b = t_book(now, 100, 100 + MAX_SPREAD, 3, 3);
	featd_on_book(&d, &b, now);
	cr_assert_eq(h.last_f.quality, 0);
	cr_assert_eq(t_vote(&d, &h, 5, now + STALE_NS), VOTE_R_APPROVED, "at the limit");
	cr_assert_eq(t_vote(&d, &h, 6, now + STALE_NS + 1), VOTE_R_STALE_BOOK);
	/* a replay's market stands still until its vote is in: however long
	 * the machine took (an agent restarted), its book is not stale */
	cr_assert_eq(t_vote_flags(&d, &h, 7, now + 100 * STALE_NS, MSG_F_REPLAY),
		     VOTE_R_APPROVED);
	cr_assert_eq(d.st->votes, 7);
	free(m);
}

/* ------------------------------------------------------------ instances */

Test(featd, two_instances_in_one_process_do_not_interfere)
{
	struct featd_params p;
	t_params(&p, FEAT_CLOCK_EXCH);
	size_t size;
	void *m1 = t_block(&p, &size), *m2 = t_block(&p, &size);
	struct featd d1, d2;
	struct t_host h1, h2;
	t_open(&d1, m1, size, &p, &h1);
	t_open(&d2, m2, size, &p, &h2);
	struct feat *r1 = t_engine(&p), *r2 = t_engine(&p);
	/* interleaved: each against its own direct engine (every round starts
	 * the market clock again: both see the same jumps back) */
	for (int k = 0; k < 4; k++) {
		t_compare(&d1, &h1, r1, 100 + (uint64_t)k, 1000, 0);
		t_compare(&d2, &h2, r2, 200 + (uint64_t)k, 1000, 0);
	}
	cr_assert_neq(memcmp(h1.last_f.f, h2.last_f.f, sizeof(h1.last_f.f)), 0);
	free(r1);
	free(r2);
	free(m1);
	free(m2);
}

Test(featd, a_book_its_producer_checked_gives_the_same_state)
{
	struct featd_params p;
	t_params(&p, FEAT_CLOCK_EXCH);
	size_t size;
	void *m1 = t_block(&p, &size), *m2 = t_block(&p, &size);
	struct featd d1, d2;
	struct t_host h1, h2;
	t_open(&d1, m1, size, &p, &h1);
	t_open(&d2, m2, size, &p, &h2);
	struct t_rng g;
	t_rng_seed(&g, 77);
	int64_t mid = 20000, t = T0;
	uint64_t flagged = 0;
	for (int i = 0; i < 20000; i++) {
		t += 1 + (int64_t)t_rng_below(&g, 50 * MS);
		struct msg_book b = t_rand_book(&g, &mid, t, (uint64_t)i + 1);
		if (t_rng_below(&g, 8) == 0) /* now and then a side out of order */
			b.bid[b.n_bid ? b.n_bid - 1 : 0].px = b.bid[0].px + 1;
		cr_assert_eq(featd_on_book(&d1, &b, t), 0);
		b.md_flags = book_levels_sorted(BOOK_BID, (const struct book_level *)(const void *)
						b.bid, b.n_bid) &&
			     book_levels_sorted(BOOK_ASK, (const struct book_level *)(const void *)
						b.ask, b.n_ask) ? MSG_BOOK_SORTED : 0;
		flagged += b.md_flags != 0;
		cr_assert_eq(featd_on_book(&d2, &b, t), 0);
		cr_assert_eq(memcmp(&h1.last_f, &h2.last_f, sizeof(h1.last_f)), 0, "event %d", i);
	}
	cr_assert_gt(flagged, 10000);
	cr_assert_lt(flagged, 20000);
	cr_assert_eq(memcmp(m1, m2, size), 0, "the two blocks differ");
	free(m1);
	free(m2);
}

/* Deferred vectors (an in-process host): flagged, the kept features
 * written, the rest from featd_fill equal to the whole vector of a featd
 * that does not defer, while no event came since; after one, -ESTALE. */
Test(featd, a_deferred_vector_is_filled_until_the_next_event)
{
	struct featd_params p, q;
	t_params(&p, FEAT_CLOCK_EXCH);
	q = p;
	q.deferred = 1;
	q.keep = (1ull << FEAT_IMB_1) | (1ull << FEAT_FRACDIFF);
	size_t size;
	void *m1 = t_block(&p, &size), *m2 = t_block(&q, &size);
	struct featd d1, d2;
	struct t_host h1, h2;
	t_open(&d1, m1, size, &p, &h1);
	t_open(&d2, m2, size, &q, &h2);
	struct t_rng g;
	t_rng_seed(&g, 5);
	int64_t mid = 20000, t = T0;
	uint64_t filled = 0, stale = 0;
	double full[FEAT_N];
	for (int i = 0; i < 20000; i++) {
		t += 1 + (int64_t)t_rng_below(&g, 50 * MS);
		if (t_rng_below(&g, 4) == 0) {
			struct msg_trade tr = t_rand_trade(&g, mid, t);
			featd_on_trade(&d1, &tr);
			featd_on_trade(&d2, &tr);
			continue;
		}
		struct msg_book b = t_rand_book(&g, &mid, t, (uint64_t)i + 1);
		uint64_t n1 = h1.n_feat, n2 = h2.n_feat;
		cr_assert_eq(featd_on_book(&d1, &b, t), 0);
		cr_assert_eq(featd_on_book(&d2, &b, t), 0);
		cr_assert_eq(h1.n_feat - n1, h2.n_feat - n2, "event %d", i);
		if (h2.n_feat == n2)
			continue;
		const struct msg_features *a = &h1.last_f, *f = &h2.last_f;
		cr_assert_eq(a->hdr.flags, MSG_F_REPLAY, "a whole vector is not flagged");
		cr_assert_eq(f->hdr.flags, MSG_F_REPLAY | MSG_F_DEFERRED);
		cr_assert_eq(f->quality, a->quality);
		cr_assert_eq(f->book_seq, a->book_seq);
		cr_assert(memcmp(&f->f[FEAT_IMB_1], &a->f[FEAT_IMB_1], sizeof(double)) == 0 &&
			  memcmp(&f->f[FEAT_FRACDIFF], &a->f[FEAT_FRACDIFF], sizeof(double)) == 0,
			  "event %d: the kept features", i);
		if (t_rng_below(&g, 3))
			continue; /* dropped unread, as most are */
		memset(full, 0, sizeof(full));
		cr_assert_eq(featd_fill(&d2, f, full), 0, "event %d", i);
		cr_assert(memcmp(full, a->f, sizeof(full)) == 0, "event %d: filled", i);
		filled++;
		/* another vector's seq is not this one */
		struct msg_features other = *f;
		other.book_seq++;
		cr_assert_eq(featd_fill(&d2, &other, full), -EINVAL);
		/* the next event moves the engine: the vector's features are gone */
		if (t_rng_below(&g, 2)) {
			struct msg_trade tr = t_rand_trade(&g, mid, t);
			featd_on_trade(&d1, &tr);
			featd_on_trade(&d2, &tr);
			cr_assert_eq(featd_fill(&d2, f, full), -ESTALE);
			stale++;
		}
	}
	cr_assert_gt(filled, 2000);
	cr_assert_gt(stale, 500);
	/* a vector that is not deferred is not filled */
	cr_assert_eq(featd_fill(&d1, &h1.last_f, full), -EINVAL);
	/* the engines moved alike */
	cr_assert_eq(memcmp((char *)m1 + FEATD_ENGINE_OFF, (char *)m2 + FEATD_ENGINE_OFF,
			    size - FEATD_ENGINE_OFF), 0);
	free(m1);
	free(m2);
}

/* ------------------------------------------------------------ allocation */

static int t_mallctl_errors;

/* No assertion inside: only counted, checked after the measurement. */
static uint64_t t_jemalloc(const char *name)
{
	uint64_t v = 0;
	size_t sz = sizeof(v);
	t_mallctl_errors += mallctl(name, &v, &sz, NULL, 0) != 0;
	return v;
}

static void t_round(struct featd *d, struct t_rng *g, int64_t *mid, int64_t i)
{
	int64_t t = T0 + i * MS;
	struct msg_book b = t_rand_book(g, mid, t, (uint64_t)i);
	featd_on_book(d, &b, t);
	struct msg_trade tr = t_rand_trade(g, *mid, t);
	featd_on_trade(d, &tr);
	struct msg_vote_req q = { .hdr = { .type = MSG_VOTE_REQ }, .decision_id = (uint64_t)i };
	featd_on_vote_req(d, &q, t);
}

Test(featd, steady_state_allocates_nothing)
{
	if (!mallctl)
		cr_skip_test("no jemalloc (sanitizer build)");
	struct featd_params p;
	t_params(&p, FEAT_CLOCK_EXCH);
	size_t size;
	void *m = t_block(&p, &size);
	struct featd d;
	struct t_host h;
	t_open(&d, m, size, &p, &h);
	struct t_rng g;
	t_rng_seed(&g, 3);
	int64_t mid = 20000;
	t_round(&d, &g, &mid, 1);
	t_round(&d, &g, &mid, 2);
	(void)t_jemalloc("thread.allocated");
	(void)t_jemalloc("thread.deallocated");
	uint64_t a0 = t_jemalloc("thread.allocated"), d0 = t_jemalloc("thread.deallocated");
	for (int64_t i = 3; i < 300003; i++) /* 900000 calls */
		t_round(&d, &g, &mid, i);
	uint64_t a1 = t_jemalloc("thread.allocated"), d1 = t_jemalloc("thread.deallocated");
	cr_assert_eq(t_mallctl_errors, 0);
	cr_assert_eq(a1, a0, "%llu bytes allocated", (unsigned long long)(a1 - a0));
	cr_assert_eq(d1, d0);
	cr_assert_eq(d.st->books, 300002);
	cr_assert_eq(d.st->votes, 300002);
	free(m);
}
