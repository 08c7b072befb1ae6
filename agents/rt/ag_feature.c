/*
 * ag_feature.c — the feature agent: keeps its own book from MSG_BOOK,
 * feeds the feature engine of libcore/features (the 27 features of
 * specs/features.md, the very code dm-features runs offline) with every
 * book and trade, publishes MSG_FEATURES to ml on every book that gives a
 * vector, and answers vote requests on data quality (stale feed, crossed
 * book, spread regime: libcore/quality/quality.h).
 *
 * The engine lives in the agent's app area (AG_FEATURE_ENGINE_OFF), so a
 * restarted agent continues its windows; a configuration whose feature
 * parameters differ from the stored ones resets it.  Books the data agent
 * conflated for a slow consumer are not seen here: live features can
 * then differ from an offline run over every update.
 */
#include <errno.h>
#include <string.h>

#include "agents/rt/agents.h"
#include "libcore/quality/quality.h"

struct feature_ctx {
	int in_md, in_req;
	int out_feat, out_vote;
	int recv_clock;          /* engine time = recv_ns (else exch_ns) */
	struct qual_limits lim;
	struct feat *engine;
};

static struct feature_ctx ctx;

static int on_book(struct rt *rt, struct feature_ctx *c, struct ag_feature_state *st,
		   const struct msg_book *b)
{
	/* reserve the output first: on a full ring nothing changes (-EAGAIN) */
	if (!rt_claim(rt, (uint32_t)c->out_feat, 1))
		return -EAGAIN;
	uint32_t nb = b->n_bid < MSG_BOOK_LEVELS ? b->n_bid : MSG_BOOK_LEVELS;
	uint32_t na = b->n_ask < MSG_BOOK_LEVELS ? b->n_ask : MSG_BOOK_LEVELS;
	const struct book_level *bid = (const struct book_level *)(const void *)b->bid;
	const struct book_level *ask = (const struct book_level *)(const void *)b->ask;
	book_apply_snapshot(&st->book, bid, nb, ask, na, b->exch_ns, b->recv_ns);
	st->last_update_ns = rt->now_ns;
	st->books++;

	struct msg_features *f = rt_slot(rt, (uint32_t)c->out_feat, 0);
	int64_t t = c->recv_clock ? b->recv_ns : b->exch_ns;
	if (feat_on_book(c->engine, t, bid, nb, ask, na, f->f) != 1)
		return 0; /* an empty side: no vector (the claim is simply unused) */
	f->hdr.type = MSG_FEATURES;
	f->hdr.size = sizeof(*f);
	f->hdr.flags = b->hdr.flags & MSG_F_REPLAY;
	f->hdr.ingress_ns = b->hdr.ingress_ns;
	f->book_seq = b->hdr.seq;
	f->exch_ns = b->exch_ns;
	f->instrument = b->instrument;
	f->n = FEAT_N;
	f->quality = qual_flags(&st->book, &c->lim);
	f->pad = 0;
	rt_publish(rt, (uint32_t)c->out_feat, 1);
	rt_lat_stage(rt, b->hdr.ingress_ns);
	st->features++;
	return 0;
}

static int on_vote_req(struct rt *rt, struct feature_ctx *c, struct ag_feature_state *st,
		       const struct msg_vote_req *q)
{
	if (!rt_claim(rt, (uint32_t)c->out_vote, 1))
		return -EAGAIN;
	uint32_t reason = qual_vote(&c->lim, &st->book, st->last_update_ns, rt->now_ns);
	struct msg_vote *v = rt_slot(rt, (uint32_t)c->out_vote, 0);
	memset(v, 0, sizeof(*v));
	v->hdr.type = MSG_VOTE;
	v->hdr.size = sizeof(*v);
	v->hdr.ingress_ns = q->hdr.ingress_ns;
	v->decision_id = q->decision_id;
	v->voter = (uint16_t)rt->self;
	v->verdict = reason == VOTE_R_APPROVED ? VOTE_APPROVE : VOTE_REJECT;
	v->reason = reason;
	rt_publish(rt, (uint32_t)c->out_vote, 1);
	st->votes++;
	return 0;
}

static int feature_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct feature_ctx *c = rt->ctx;
	struct ag_feature_state *st = rt->app;
	if ((int)in == c->in_md) {
		if (m->type == MSG_BOOK)
			return on_book(rt, c, st, (const struct msg_book *)m);
		if (m->type == MSG_TRADE) {
			const struct msg_trade *t = (const struct msg_trade *)m;
			feat_on_trade(c->engine, c->recv_clock ? t->recv_ns : t->exch_ns, t->qty,
				      t->aggressor);
			st->trades++;
		}
		return 0;
	}
	if ((int)in == c->in_req && m->type == MSG_VOTE_REQ)
		return on_vote_req(rt, c, st, (const struct msg_vote_req *)m);
	return -EPROTO;
}

static const struct rt_ops feature_ops = {
	.on_msg = feature_msg,
};

int ag_feature_init(struct rt *rt)
{
	struct feature_ctx *c = &ctx;
	struct ag_feature_state *st = rt->app;
	memset(c, 0, sizeof(*c));
	if ((c->in_md = ag_need_in(rt, "md_feature", sizeof(struct msg_book))) < 0 ||
	    (c->in_req = ag_need_in(rt, "vote_req_feature", sizeof(struct msg_vote_req))) < 0 ||
	    (c->out_feat = ag_need_out(rt, "features", sizeof(struct msg_features))) < 0 ||
	    (c->out_vote = ag_need_out(rt, "votes_feature", sizeof(struct msg_vote))) < 0)
		return -DM_ETOPOLOGY;
	c->lim.stale_ns = (int64_t)rt->cfg.quality.stale_ms * 1000000;
	c->lim.max_spread_ticks = rt->cfg.quality.max_spread_ticks;
	if (rt->app_fresh)
		book_init(&st->book, BOOK_MAX_LEVELS);

	/* the engine: prices in the instrument's points, sizes in contracts */
	struct feat_params p;
	char err[256];
	double tick = (double)rt->cfg.instrument.tick_size_e6 / CFG_DEC_SCALE;
	c->recv_clock = rt->cfg.features.clock == CFG_FEAT_CLOCK_RECEIVE;
	memset(&p, 0, sizeof(p));
	feat_params_from_config(&p, &rt->cfg.features, tick, 1.0,
				c->recv_clock ? FEAT_CLOCK_RECV : FEAT_CLOCK_EXCH);
	if (feat_params_check(&p, err, sizeof(err)) < 0) {
		rt_log(rt, "features: %s", err);
		return -DM_ECONFIG;
	}
	size_t size = feat_memsize(&p);
	if (!size || AG_FEATURE_ENGINE_OFF + size > RT_APP_SIZE) {
		rt_log(rt, "features: the engine needs %zu bytes, the state region holds %u: "
		       "shorten the windows or the fracdiff weights (features: in %s)", size,
		       RT_APP_SIZE - AG_FEATURE_ENGINE_OFF,
		       rt->cfg.path[0] ? rt->cfg.path : "the defaults");
		return -DM_ECONFIG;
	}
	c->engine = (struct feat *)(void *)((uint8_t *)rt->app + AG_FEATURE_ENGINE_OFF);
	if (rt->app_fresh || st->engine_size != size || memcmp(&st->params, &p, sizeof(p)) != 0) {
		if (!rt->app_fresh)
			rt_log(rt, "features: parameters changed since the last start: engine reset");
		int rc = feat_init(c->engine, size, &p);
		if (rc < 0) {
			rt_log(rt, "features: feat_init: %s", dm_strerror(rc));
			return rc;
		}
		st->params = p;
		st->engine_size = size;
	}
	rt_set_ops(rt, &feature_ops, c);
	return 0;
}

void ag_feature_close(struct rt *rt)
{
	struct ag_feature_state *st = rt->app;
	rt_log(rt, "books %llu, trades %llu, feature vectors %llu, votes %llu",
	       (unsigned long long)st->books, (unsigned long long)st->trades,
	       (unsigned long long)st->features, (unsigned long long)st->votes);
}
