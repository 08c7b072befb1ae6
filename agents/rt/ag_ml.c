/*
 * ag_ml.c — the ml agent: hosts the live strategy of libcore/strategy
 * (the primary rule gives a side, the meta-model, evaluated by the
 * flattened evaluator of libcore/model, the probability that acting on it
 * pays, and the bet size follows the probability: docs/model.md) and
 * loads, checks and reloads its model.
 *
 * The decision per feature vector is the module's (libcore/strategy:
 * quality drops, primary side, min_interval, flat_predict, min_prob, bet
 * size, the touch on the other side); this file moves vectors from the
 * features ring to it and its intents into the claimed slot of the
 * intents ring (a full ring leaves the vector in its input: -EAGAIN).
 * Its state (counters, last intent, model file) is the app area.
 *
 * The model.  At start and on CTL_RELOAD (dmctl reload-model) the file of
 * strategy.model (or the path the command names) is loaded through
 * XGBoost's C API with one thread, checked against the live strategy
 * (model_check_live: it must record the meta target, a binary objective
 * and the live feature names in order; another instrument only warns),
 * flattened, and checked against XGBoost's own margins on 4000 rows
 * (flat_verify, tolerance 1e-6); one log line and ag_ml_model_outcome()
 * say what happened and why.  Only
 * a model that passes replaces the current one, by a pointer swap between
 * two events.  Feature vectors arriving meanwhile wait in the ring; none
 * is dropped.  Without a verified model the agent refuses to trade (no
 * intents; counted as no_model), unless strategy.model is "" (primary
 * rule alone, one contract, probability reported as 0).
 *
 * A market maker (strategy.kind mm_as, mm_glft) also reads execution's
 * reports (ring reports_ml, which execution writes only then) into
 * strategy_on_report, and its cancels (MSG_CANCEL) go where its intents
 * go, on the intents ring, to the coordinator (coord_on_cancel), as in
 * the in-process trader.  Its inventory is the reports' ledger in the
 * app area: a report handed again after a restart counts once
 * (strategy.h, struct strategy_mm_ledger).
 *
 * Order.  A lockstep replay gives a market event to execution and lets
 * its reports (the event's fills and acks) come to rest before feature
 * takes it (agents/rt/ag_data.c), so ml takes the reports of an event
 * before its vector, as the in-process trader does (docs/backtest.md).
 * A live run takes both rings as they come.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agents/rt/agents.h"

#define VERIFY_ROWS 4000
#define VERIFY_TOL  1e-6

struct ml_ctx {
	int in_feat, out_intent;
	int in_rep;              /* reports_ml: a market maker's; else -1 */
	int out_fan[3];          /* intents_<voter> (vote.fanout) */
	uint32_t n_fan;
	struct rt *rt;
	struct strategy s;       /* the module, on the app area; holds the model */
};

static struct ml_ctx ctx;

/* The last load or reload's outcome (ag_ml_model_outcome). */
static char outcome[768];

const char *ag_ml_model_outcome(void)
{
	return outcome;
}

int ag_ml_model_check(const struct dm_config *cfg, const char *path, struct flat **out,
		      char *why, size_t whylen)
{
	return trader_model_load(cfg, path, out, why, whylen);
}


/*
 * Load a model through ag_ml_model_check and log one line: refused and
 * why, or accepted (with its warning: another instrument).  The same line
 * goes to why.  0 with the new block in *out, or a negative error.  Off
 * the per-event path.
 */
static int load_model(struct rt *rt, const char *path, struct flat **out, char *why,
		      size_t whylen)
{
	char r[600];
	int rc = ag_ml_model_check(&rt->cfg.core, path, out, r, sizeof(r));
	snprintf(why, whylen, "model %s: %s", rc < 0 ? "refused" : "accepted", r);
	rt_log_at(rt, rc < 0 ? RT_LOG_ERROR : strstr(r, "WARNING") ? RT_LOG_WARN : RT_LOG_INFO,
		  "%s", why);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------ the module's output */

/* An intent goes to the coordinator and (vote.fanout) to each fanned
 * voter at once: room on every one of those rings, or on none. */
static struct msg_intent *out_intent_claim(void *p)
{
	struct ml_ctx *c = p;
	for (uint32_t i = 0; i < c->n_fan; i++)
		if (!rt_claim(c->rt, (uint32_t)c->out_fan[i], 1))
			return NULL;
	if (!rt_claim(c->rt, (uint32_t)c->out_intent, 1))
		return NULL;
	return rt_slot(c->rt, (uint32_t)c->out_intent, 0);
}

static void out_intent_publish(void *p, struct msg_intent *o)
{
	struct ml_ctx *c = p;
	/* the coordinator's copy first: should ml die between the rings, the
	 * coordinator has the intent and blocks it at the vote deadline
	 * (telling the voters), rather than voters holding an approval for an
	 * intent no ballot will end.  Fanned out, the coordinator is not woken
	 * for it: with nothing to decide before the votes come it would only
	 * run and sleep again, taking a CPU from the voters; their votes wake
	 * it and it finds the intent beside them. */
	for (uint32_t i = 0; i < c->n_fan; i++)
		memcpy(rt_slot(c->rt, (uint32_t)c->out_fan[i], 0), o, sizeof(*o));
	if (c->n_fan)
		rt_publish_quiet(c->rt, (uint32_t)c->out_intent, 1);
	else
		rt_publish(c->rt, (uint32_t)c->out_intent, 1);
	for (uint32_t i = 0; i < c->n_fan; i++)
		rt_publish(c->rt, (uint32_t)c->out_fan[i], 1);
	rt_lat_stage(c->rt, o->hdr.ingress_ns);
}

/* A market maker's cancel: on the intents ring, as the trader's.  A slot
 * the strategy claimed for an intent is claimed again after it
 * (strategy_out.cancel). */
static int out_cancel(void *p, const struct msg_cancel *k)
{
	struct ml_ctx *c = p;
	if (!rt_claim(c->rt, (uint32_t)c->out_intent, 1))
		return -EAGAIN;
	struct msg_cancel *o = rt_slot(c->rt, (uint32_t)c->out_intent, 0);
	*o = *k;
	o->hdr.type = MSG_CANCEL;
	o->hdr.size = sizeof(*o);
	rt_publish(c->rt, (uint32_t)c->out_intent, 1);
	return 0;
}

/* ------------------------------------------------ rings -> module */

static int ml_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct ml_ctx *c = rt->ctx;
	if ((int)in == c->in_feat && m->type == MSG_FEATURES)
		return strategy_on_features(&c->s, (const struct msg_features *)m);
	if ((int)in == c->in_rep && m->type == MSG_EXEC_REPORT) {
		return strategy_on_report(&c->s, (const struct msg_exec_report *)m);
	}
	return -EPROTO;
}

static int model_path(struct rt *rt, const char *name, char *out, size_t len)
{
	if (config_resolve(&rt->cfg.core, name, out, len) < 0) {
		rt_error(rt, "model path '%s' too long", name);
		return -DM_ECONFIG;
	}
	return 0;
}

/* dmctl reload-model [FILE]: swap in a verified model between two events. */
static void ml_control(struct rt *rt, uint32_t cmd, const struct msg_control *m)
{
	struct ml_ctx *c = rt->ctx;
	struct strategy_state *st = rt->app;
	if (cmd != CTL_RELOAD)
		return;
	if (c->s.p.rule_only) {
		rt_cmd_reply(rt, RT_CMD_REFUSED, "strategy.model is empty (primary rule alone): "
			     "no model to reload");
		return;
	}
	/* the file dmctl reload-model FILE names in the run directory, else
	 * strategy.model */
	char path[sizeof(st->model)];
	const char *name = rt->cfg.core.strategy.model;
	(void)m;
	FILE *rf = rt_run_file_read(rt, "reload-model");
	if (rf) {
		if (fgets(path, sizeof(path), rf)) {
			path[strcspn(path, "\n")] = '\0';
			name = path[0] ? path : name;
		}
		fclose(rf);
	}
	if (name != path && model_path(rt, name, path, sizeof(path)) < 0) {
		snprintf(outcome, sizeof(outcome), "reload failed: model path '%.200s' too long",
			 name);
		rt_cmd_reply(rt, RT_CMD_FAILED, "model path '%.60s' too long", name);
		return;
	}
	struct flat *f = NULL;
	char why[sizeof(outcome) - 128];
	if (load_model(rt, path, &f, why, sizeof(why)) < 0) {
		st->reload_failures++;
		snprintf(outcome, sizeof(outcome), "reload failed: %s (keeping %.100s)", why,
			 c->s.flat ? st->model : "no model: not trading");
		rt_cmd_reply(rt, RT_CMD_FAILED, "%.180s; keeping %s", why,
			     c->s.flat ? "the current model" : "no model (not trading)");
		rt_warn(rt, "reload: keeping %s", c->s.flat ? st->model : "no model (not trading)");
		return;
	}
	/* one thread evaluates: the swap is between two vectors */
	flat_free(strategy_use_model(&c->s, f, path));
	st->reloads++;
	snprintf(outcome, sizeof(outcome), "reload ok: %s", why);
	rt_log(rt, "reload: now trading with %s", path);
	rt_cmd_reply(rt, RT_CMD_OK, "now trading with %s", path);
}

static const struct rt_ops ml_ops = {
	.on_msg = ml_msg,
	.on_control = ml_control,
};

int ag_ml_init(struct rt *rt)
{
	struct ml_ctx *c = &ctx;
	struct strategy_state *st = rt->app;
	memset(c, 0, sizeof(*c));
	c->rt = rt;
	if ((c->in_feat = ag_need_in(rt, "features", sizeof(struct msg_features))) < 0 ||
	    (c->out_intent = ag_need_out(rt, "intents", sizeof(struct msg_intent))) < 0)
		return -DM_ETOPOLOGY;
	const struct strategy_cfg *s = &rt->cfg.core.strategy;
	struct strategy_params p;
	char model[sizeof(st->model)], err[256];
	if (trader_strategy_params(&rt->cfg.core, &p, model, sizeof(model), err, sizeof(err)) < 0) {
		rt_error(rt, "%s", err);
		return -DM_ECONFIG;
	}
	/* vote.fanout: the voters get each intent as the coordinator does */
	uint32_t fan = trader_fanout_roles(&rt->cfg.core);
	for (int a = 0; a < AGENT_COUNT; a++) {
		if (!(fan & (1u << rt_agent_role[a])))
			continue;
		char name[RT_NAME_MAX];
		snprintf(name, sizeof(name), "intents_%s", rt_agent_names[a]);
		if ((c->out_fan[c->n_fan] = ag_need_out(rt, name, sizeof(struct msg_intent))) < 0) {
			rt_error(rt, "vote.fanout is true: ml needs the ring %s to that voter; add "
			         "it as in conf/default.yaml, or set vote.fanout: false", name);
			return -DM_ETOPOLOGY;
		}
		c->n_fan++;
	}
	if (c->n_fan)
		rt_log(rt, "vote.fanout: intents to the coordinator and to %u voters", c->n_fan);
	c->in_rep = -1;
	if (strategy_kind_is_mm(p.kind)) {
		/* a market maker learns its quotes' fate and its inventory from
		 * execution's reports */
		if ((c->in_rep = ag_need_in(rt, "reports_ml", sizeof(struct msg_exec_report))) < 0)
			return -DM_ETOPOLOGY;
		rt_log(rt, "strategy.kind %s: execution reports from reports_ml",
		       strategy_kind_names[p.kind]);
	}
	if (rt->app_fresh)
		strategy_init(st);
	const struct strategy_out out = {
		.ctx = c,
		.intent_claim = out_intent_claim,
		.intent_publish = out_intent_publish,
		.cancel = out_cancel,
	};
	int rc = strategy_attach(&c->s, st, &p, &out);
	if (rc == -EEXIST) {
		rt_error(rt, "strategy: the segment's state is of kind %s, the configuration "
			 "says %s: start from a new segment (dm-seg)",
			 st->kind < STRAT_KIND_COUNT ? strategy_kind_names[st->kind] : "?",
			 strategy_kind_names[p.kind]);
		return -DM_ECONFIG;
	}
	if (rc < 0) {
		rt_error(rt, "strategy: refused by strategy_attach (instrument tick %g)", p.tick);
		return -DM_ECONFIG;
	}
	if (!p.rule_only) {
		struct flat *f = NULL;
		if (load_model(rt, model, &f, outcome, sizeof(outcome)) < 0)
			rt_error(rt, "no verified model: not trading until 'dmctl reload-model' "
			         "brings one that passes");
		strategy_use_model(&c->s, f, model);
	} else {
		rt_log(rt, "strategy.model is empty: primary rule alone (%s, dead zone %g)",
		       s->primary_feature, p.primary.threshold);
	}
	rt_set_ops(rt, &ml_ops, c);
	return 0;
}

void ag_ml_close(struct rt *rt)
{
	const struct strategy_state *st = rt->app;
	rt_log(rt, "features %llu (+%llu dropped by data quality): no side %llu, within "
	       "min_interval %llu, scored %llu (mean p %.4f), below min_prob %llu, bet size "
	       "0 %llu, no model %llu; intents %llu (mean p %.4f)",
	       (unsigned long long)st->evaluated, (unsigned long long)st->quality_dropped,
	       (unsigned long long)st->no_side, (unsigned long long)st->too_soon,
	       (unsigned long long)st->predicted,
	       st->predicted ? st->score_sum / (double)st->predicted : 0.0,
	       (unsigned long long)st->below_prob, (unsigned long long)st->zero_size,
	       (unsigned long long)st->no_model, (unsigned long long)st->intents,
	       st->intents ? st->prob_sum / (double)st->intents : 0.0);
	if (strategy_kind_is_mm(st->kind)) {
		const struct strategy_mm_ledger *l = strategy_mm_led(&st->mm);
		rt_log(rt, "market maker %s: reports %llu (handed again %llu), fills %llu "
		       "(%llu contracts, %llu passive), position %lld; quotes %llu, requotes "
		       "%llu, cancels %llu, pending lost %llu",
		       strategy_kind_names[st->kind], (unsigned long long)l->reports,
		       (unsigned long long)l->dups, (unsigned long long)l->fills,
		       (unsigned long long)l->fill_qty, (unsigned long long)l->maker_fills,
		       (long long)l->position, (unsigned long long)st->mm.quotes,
		       (unsigned long long)st->mm.requotes, (unsigned long long)st->mm.cancels,
		       (unsigned long long)st->mm.pending_lost);
	}
	/* the state keeps saying which model was in use */
	flat_free(ctx.s.flat);
	ctx.s.flat = NULL;
}
