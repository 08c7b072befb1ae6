/*
 * ag_feature.c — the feature agent: moves messages between its rings and
 * the feature voter of libcore/featd (its own book, the feature engine of
 * libcore/features on every book and trade, the data-quality flags and
 * vote: docs/features.md).
 *
 * The module's block (struct featd_state, then the engine) is the agent's
 * app area, so a restarted agent continues its windows; a configuration
 * whose feature parameters differ from the stored ones resets it.  Vectors
 * and votes are written straight into the claimed ring slots; a full ring
 * leaves the message in its input (-EAGAIN).  Books the data agent
 * conflated for a slow consumer are not seen here: live features can then
 * differ from an offline run over every update.
 */
#include <errno.h>
#include <string.h>

#include "agents/rt/agents.h"

struct feature_ctx {
	int in_md, in_req;
	int in_int;              /* intents_feature (vote.fanout), else -1 */
	int out_feat, out_vote;
	struct rt *rt;
	struct featd d;          /* the module, on the app area */
};

static struct feature_ctx ctx;

/* ------------------------------------------------ the module's outputs */

static struct msg_features *out_feat_claim(void *p)
{
	struct feature_ctx *c = p;
	if (!rt_claim(c->rt, (uint32_t)c->out_feat, 1))
		return NULL;
	return rt_slot(c->rt, (uint32_t)c->out_feat, 0);
}

static void out_feat_publish(void *p, struct msg_features *f)
{
	struct feature_ctx *c = p;
	rt_publish(c->rt, (uint32_t)c->out_feat, 1);
	rt_lat_stage(c->rt, f->hdr.ingress_ns);
}

static struct msg_vote *out_vote_claim(void *p)
{
	struct feature_ctx *c = p;
	if (!rt_claim(c->rt, (uint32_t)c->out_vote, 1))
		return NULL;
	return rt_slot(c->rt, (uint32_t)c->out_vote, 0);
}

static void out_vote_publish(void *p, struct msg_vote *v)
{
	struct feature_ctx *c = p;
	(void)v;
	rt_publish(c->rt, (uint32_t)c->out_vote, 1);
}

/* ------------------------------------------------ rings -> module */

static int feature_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct feature_ctx *c = rt->ctx;
	if ((int)in == c->in_md) {
		if (m->type == MSG_BOOK)
			return featd_on_book(&c->d, (const struct msg_book *)m, rt->now_ns);
		if (m->type == MSG_TRADE)
			featd_on_trade(&c->d, (const struct msg_trade *)m);
		return 0; /* MSG_END: the features need nothing at the end */
	}
	if ((int)in == c->in_int && m->type == MSG_INTENT)
		return featd_on_intent(&c->d, (const struct msg_intent *)m, rt->now_ns);
	if ((int)in == c->in_req && m->type == MSG_VOTE_REQ)
		return featd_on_vote_req(&c->d, (const struct msg_vote_req *)m, rt->now_ns);
	if ((int)in == c->in_req && m->type == MSG_VOTE_DONE)
		return 0; /* the feature voter holds nothing for a decision */
	return -EPROTO;
}

static const struct rt_ops feature_ops = {
	.on_msg = feature_msg,
};

int ag_feature_init(struct rt *rt)
{
	struct feature_ctx *c = &ctx;
	memset(c, 0, sizeof(*c));
	c->rt = rt;
	if ((c->in_md = ag_need_in(rt, "md_feature", sizeof(struct msg_book))) < 0 ||
	    (c->in_req = ag_need_in(rt, "vote_req_feature", sizeof(struct msg_vote_req))) < 0 ||
	    (c->out_feat = ag_need_out(rt, "features", sizeof(struct msg_features))) < 0 ||
	    (c->out_vote = ag_need_out(rt, "votes_feature", sizeof(struct msg_vote))) < 0 ||
	    (c->in_int = ag_intents_in(rt)) < -1)
		return -DM_ETOPOLOGY;

	/* the engine: prices in the instrument's points, sizes in contracts */
	struct featd_params p;
	char err[256];
	if (trader_featd_params(&rt->cfg.core, (uint16_t)rt_agent_role[rt->self], &p, err, sizeof(err)) < 0) {
		rt_error(rt, "%s", err);
		return -DM_ECONFIG;
	}
	size_t size = featd_memsize(&p);
	if (!size || size > RT_APP_SIZE) {
		rt_error(rt, "features: the engine needs %zu bytes, the state region holds %u: "
		         "shorten the windows or the fracdiff weights (features: in %s)",
		         size ? size - FEATD_ENGINE_OFF : 0, RT_APP_SIZE - FEATD_ENGINE_OFF,
		         rt->cfg.core.path[0] ? rt->cfg.core.path : "the defaults");
		return -DM_ECONFIG;
	}
	if (rt->app_fresh || !featd_matches(rt->app, RT_APP_SIZE, &p)) {
		if (!rt->app_fresh)
			rt_warn(rt, "features: parameters changed since the last start: engine reset");
		int rc = featd_init(rt->app, RT_APP_SIZE, &p);
		if (rc < 0) {
			rt_error(rt, "features: featd_init: %s", dm_strerror(rc));
			return rc;
		}
	}
	const struct featd_out out = {
		.ctx = c,
		.feat_claim = out_feat_claim,
		.feat_publish = out_feat_publish,
		.vote_claim = out_vote_claim,
		.vote_publish = out_vote_publish,
	};
	int rc = featd_attach(&c->d, rt->app, RT_APP_SIZE, &p, &out);
	if (rc < 0) {
		rt_error(rt, "features: featd_attach: %s", dm_strerror(rc));
		return rc;
	}
	rt_set_ops(rt, &feature_ops, c);
	return 0;
}

void ag_feature_close(struct rt *rt)
{
	const struct featd_state *st = rt->app;
	rt_log(rt, "books %llu, trades %llu, feature vectors %llu, votes %llu",
	       (unsigned long long)st->books, (unsigned long long)st->trades,
	       (unsigned long long)st->features, (unsigned long long)st->votes);
}
