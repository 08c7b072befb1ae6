/*
 * ag_ml.c — the ml agent: turns feature vectors (libcore/features order)
 * into order intents with the PLACEHOLDER rule of libcore/agent/signal.h
 * on the level-1 imbalance (FEAT_IMB_1), rate-limited in market time,
 * priced at the touch rebuilt from FEAT_MID and FEAT_SPREAD_TICKS.
 * CTL_RELOAD is acknowledged (no model to reload yet).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "agents/rt/agents.h"

struct ml_ctx {
	int in_feat, out_intent;
	double tick;          /* points per tick: FEAT_MID is in points */
	struct sig_rule rule;
};

static struct ml_ctx ctx;

static int ml_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct ml_ctx *c = rt->ctx;
	struct ag_ml_state *st = rt->app;
	if ((int)in != c->in_feat || m->type != MSG_FEATURES)
		return -EPROTO;
	const struct msg_features *f = (const struct msg_features *)m;
	if (f->n < FEAT_N || f->quality)
		return 0;
	double mid = f->f[FEAT_MID] / c->tick, spread = f->f[FEAT_SPREAD_TICKS];
	if (!isfinite(mid) || !isfinite(spread))
		return 0;
	int64_t bid = (int64_t)llround(mid - spread / 2), ask = (int64_t)llround(mid + spread / 2);
	/* decide on a copy: the state changes only once the intent is out */
	struct sig_state s = st->sig;
	struct sig_intent it;
	if (!sig_decide(&c->rule, &s, f->f[FEAT_IMB_1], bid, ask, f->exch_ns, &it)) {
		st->sig.seen = s.seen;
		return 0;
	}
	if (!rt_claim(rt, (uint32_t)c->out_intent, 1))
		return -EAGAIN;
	struct msg_intent *o = rt_slot(rt, (uint32_t)c->out_intent, 0);
	memset(o, 0, sizeof(*o));
	o->hdr.type = MSG_INTENT;
	o->hdr.size = sizeof(*o);
	o->hdr.flags = m->flags & MSG_F_REPLAY;
	o->hdr.ingress_ns = m->ingress_ns;
	o->intent_id = ++st->next_intent;
	o->feature_seq = m->seq;
	o->px = it.px;
	o->qty = it.qty;
	o->side = (int8_t)it.side;
	o->ord_type = ORD_LIMIT;
	o->tif = TIF_IOC;
	o->prob = it.strength;
	o->instrument = f->instrument;
	rt_publish(rt, (uint32_t)c->out_intent, 1);
	rt_lat_stage(rt, m->ingress_ns);
	st->sig = s;
	return 0;
}

static void ml_control(struct rt *rt, uint32_t cmd, const struct msg_control *m)
{
	struct ag_ml_state *st = rt->app;
	(void)m;
	if (cmd == CTL_RELOAD) {
		st->reloads++;
		rt_log(rt, "reload: placeholder rule, nothing to reload");
	}
}

static const struct rt_ops ml_ops = {
	.on_msg = ml_msg,
	.on_control = ml_control,
};

int ag_ml_init(struct rt *rt)
{
	struct ml_ctx *c = &ctx;
	memset(c, 0, sizeof(*c));
	if ((c->in_feat = ag_need_in(rt, "features", sizeof(struct msg_features))) < 0 ||
	    (c->out_intent = ag_need_out(rt, "intents", sizeof(struct msg_intent))) < 0)
		return -DM_ETOPOLOGY;
	c->tick = (double)rt->cfg.instrument.tick_size_e6 / CFG_DEC_SCALE;
	c->rule.threshold = (double)rt->cfg.strategy.threshold_e6 / CFG_DEC_SCALE;
	c->rule.min_interval_ns = (int64_t)rt->cfg.strategy.min_interval_ms * 1000000;
	c->rule.qty = (int32_t)rt->cfg.strategy.max_contracts;
	rt_set_ops(rt, &ml_ops, c);
	return 0;
}

void ag_ml_close(struct rt *rt)
{
	struct ag_ml_state *st = rt->app;
	rt_log(rt, "features %llu, intents %llu", (unsigned long long)st->sig.seen,
	       (unsigned long long)st->sig.emitted);
}
