/* featd.c — the feature voter on a caller-owned block (featd.h). */
#include "libcore/featd/featd.h"

#include <errno.h>
#include <string.h>

#include "libcore/vote/vote.h"

static struct feat *engine_of(void *mem)
{
	return (struct feat *)(void *)((uint8_t *)mem + FEATD_ENGINE_OFF);
}

size_t featd_memsize(const struct featd_params *p)
{
	size_t e = feat_memsize(&p->feat);
	return e ? FEATD_ENGINE_OFF + e : 0;
}

int featd_init(void *mem, size_t size, const struct featd_params *p)
{
	size_t need = featd_memsize(p);
	if (!need || !mem || ((uintptr_t)mem & 63))
		return -EINVAL;
	if (size < need)
		return -ENOSPC;
	struct featd_state *st = mem;
	memset(st, 0, sizeof(*st));
	/* the quality checks read the best level of each side only */
	book_init(&st->book, 1);
	int rc = feat_init(engine_of(mem), need - FEATD_ENGINE_OFF, &p->feat);
	if (rc < 0)
		return rc;
	st->params = p->feat;
	st->engine_size = need - FEATD_ENGINE_OFF;
	return 0;
}

int featd_matches(const void *mem, size_t size, const struct featd_params *p)
{
	const struct featd_state *st = mem;
	size_t need = featd_memsize(p);
	return need && size >= need && st->engine_size == need - FEATD_ENGINE_OFF &&
	       memcmp(&st->params, &p->feat, sizeof(p->feat)) == 0;
}

int featd_attach(struct featd *d, void *mem, size_t size, const struct featd_params *p,
		 const struct featd_out *out)
{
	if (!out || !out->feat_claim || !out->feat_publish || !out->vote_claim ||
	    !out->vote_publish)
		return -EINVAL;
	if (!featd_matches(mem, size, p))
		return -DM_ECONFIG;
	memset(d, 0, sizeof(*d));
	d->st = mem;
	d->engine = engine_of(mem);
	d->out = *out;
	d->qual = p->qual;
	d->recv_clock = p->feat.clock == FEAT_CLOCK_RECV;
	d->voter = p->voter;
	d->deferred = p->deferred;
	d->keep = p->keep;
	return 0;
}

int featd_on_book(struct featd *d, const struct msg_book *b, int64_t now_ns)
{
	/* reserve the output first: with no room nothing changes */
	struct msg_features *f = d->out.feat_claim(d->out.ctx);
	if (!f)
		return -EAGAIN;
	struct featd_state *st = d->st;
	uint32_t nb = b->n_bid < MSG_BOOK_LEVELS ? b->n_bid : MSG_BOOK_LEVELS;
	uint32_t na = b->n_ask < MSG_BOOK_LEVELS ? b->n_ask : MSG_BOOK_LEVELS;
	const struct book_level *bid = (const struct book_level *)(const void *)b->bid;
	const struct book_level *ask = (const struct book_level *)(const void *)b->ask;
	if (b->md_flags & MSG_BOOK_SORTED) /* its producer checked the levels */
		book_apply_snapshot_sorted(&st->book, bid, nb, ask, na, b->exch_ns, b->recv_ns);
	else
		book_apply_snapshot(&st->book, bid, nb, ask, na, b->exch_ns, b->recv_ns);
	st->last_update_ns = now_ns;
	st->books++;

	int64_t t = d->recv_clock ? b->recv_ns : b->exch_ns;
	d->events++;
	if (!feat_book_update(d->engine, t, bid, nb, ask, na))
		return 0; /* an empty side: no vector (the claim is simply unused) */
	f->hdr.flags = b->hdr.flags & MSG_F_REPLAY;
	if (d->deferred) {
		feat_outputs(d->engine, d->keep, f->f);
		f->hdr.flags |= MSG_F_DEFERRED;
		d->def_events = d->events;
		d->def_seq = b->hdr.seq;
	} else {
		feat_outputs(d->engine, FEAT_ALL, f->f);
	}
	f->hdr.type = MSG_FEATURES;
	f->hdr.size = sizeof(*f);
	f->hdr.ingress_ns = b->hdr.ingress_ns;
	f->book_seq = b->hdr.seq;
	f->exch_ns = b->exch_ns;
	f->instrument = b->instrument;
	f->n = FEAT_N;
	f->quality = qual_flags(&st->book, &d->qual);
	f->pad = 0;
	d->out.feat_publish(d->out.ctx, f);
	st->features++;
	return 0;
}

int featd_fill(const struct featd *d, const struct msg_features *f, double out[FEAT_N])
{
	if (!(f->hdr.flags & MSG_F_DEFERRED) || !d->def_events || f->book_seq != d->def_seq)
		return -EINVAL;
	if (d->events != d->def_events)
		return -ESTALE;
	feat_outputs(d->engine, FEAT_ALL, out);
	return 0;
}

void featd_on_trade(struct featd *d, const struct msg_trade *t)
{
	d->events++;
	feat_on_trade(d->engine, d->recv_clock ? t->recv_ns : t->exch_ns, t->qty, t->aggressor);
	d->st->trades++;
}

int featd_on_vote_req(struct featd *d, const struct msg_vote_req *q, int64_t now_ns)
{
	struct msg_vote *v = d->out.vote_claim(d->out.ctx);
	if (!v)
		return -EAGAIN;
	struct featd_state *st = d->st;
	/* A replay's book is as old as the market says, not as the machine
	 * does: its market stands still until the vote is in (a feature agent
	 * killed and restarted in between must not find its book stale). */
	int64_t at = q->hdr.flags & MSG_F_REPLAY ? st->last_update_ns : now_ns;
	uint32_t reason = qual_vote(&d->qual, &st->book, st->last_update_ns, at);
	memset(v, 0, sizeof(*v));
	v->hdr.type = MSG_VOTE;
	v->hdr.size = sizeof(*v);
	v->hdr.ingress_ns = q->hdr.ingress_ns;
	v->decision_id = q->decision_id;
	v->intent_id = q->intent_id;
	v->voter = d->voter;
	v->verdict = reason == VOTE_R_APPROVED ? VOTE_APPROVE : VOTE_REJECT;
	v->reason = reason;
	d->out.vote_publish(d->out.ctx, v);
	st->votes++;
	return 0;
}

int featd_on_intent(struct featd *d, const struct msg_intent *it, int64_t now_ns)
{
	struct msg_vote_req q;
	msg_vote_req_of_intent(&q, it);
	return featd_on_vote_req(d, &q, now_ns);
}
