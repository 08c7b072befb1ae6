/* trader_params.c — every module's parameters from one configuration
 * (trader_params.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libcore/trader/trader_params.h"
#include "libcore/config/cfg.h"
#include "libcore/features/features.h"
#include "libcore/label/primary.h"
#include "libcore/model/meta.h"
#include "libcore/model/xgb.h"
#include "libcore/feed/feed.h"
#include "libcore/study/study.h"
#include <limits.h>
#include <math.h>
#include <jansson.h>

#define VERIFY_ROWS 4000
#define VERIFY_TOL  1e-6

const uint32_t trader_voter_order[5] = { ROLE_RISK, ROLE_EXECUTION, ROLE_FEATURE,
					 ROLE_DATA, ROLE_ML };

static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -DM_ECONFIG;
}

static double tick_of(const struct dm_config *cfg)
{
	return (double)cfg->instrument.tick_size_e6 / CFG_DEC_SCALE;
}

int trader_featd_params(const struct dm_config *cfg, uint16_t voter, struct featd_params *p,
			char *err, size_t errlen)
{
	char why[256];
	/* compared byte for byte with a stored block: every byte defined */
	memset(p, 0, sizeof(*p));
	p->feat = cfg->features;
	feat_params_host(&p->feat, tick_of(cfg), 1.0, 0);
	if (feat_params_check(&p->feat, why, sizeof(why)) < 0)
		return refuse(err, errlen, "features: %s", why);
	p->qual = cfg->quality;
	p->voter = voter;
	return 0;
}

/* A and k of a dm-study JSON's fill result (a_per_s, k_per_tick). */
static int read_fill(const char *path, double *a, double *k, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root)
		return refuse(err, errlen, "strategy.mm.fill '%s':%d: %s (a dm-study --json "
			      "output is expected)", path, je.line, je.text);
	json_t *fill = json_object_get(root, "fill");
	json_t *ja = fill ? json_object_get(fill, "a_per_s") : NULL;
	json_t *jk = fill ? json_object_get(fill, "k_per_tick") : NULL;
	int rc = 0;
	if (!json_is_number(ja) || !json_is_number(jk))
		rc = refuse(err, errlen, "strategy.mm.fill '%s': no fill.a_per_s and "
			    "fill.k_per_tick numbers (the fit had too few points?): set "
			    "strategy.mm.a and k instead", path);
	else if (!(json_number_value(ja) > 0) || !(json_number_value(jk) > 0))
		rc = refuse(err, errlen, "strategy.mm.fill '%s': fill.a_per_s %g and "
			    "fill.k_per_tick %g must be > 0", path, json_number_value(ja),
			    json_number_value(jk));
	else {
		*a = json_number_value(ja);
		*k = json_number_value(jk);
	}
	json_decref(root);
	return rc;
}

/* The market maker's part of strategy: (kind mm_as, mm_glft). */
static int mm_params(const struct dm_config *cfg, struct strategy_mm_params *p, char *err,
		     size_t errlen)
{
	const struct strategy_mm_cfg *m = &cfg->strategy.mm;
	p->gamma = m->gamma;
	p->k = m->k;
	p->a = m->a;
	p->qty = (int32_t)m->qty;
	p->qmax = (int32_t)m->qmax;
	p->requote_ticks = m->requote_ticks;
	p->horizon_ns = (int64_t)m->horizon_s * 1000000000;
	p->close_ns = (int64_t)cfg->instrument.session_close_s * 1000000000;
	p->utc_offset_ns = (int64_t)cfg->instrument.utc_offset_min * 60 * 1000000000;
	p->vol_halflife_ns = m->vol_halflife_ns;
	p->sigma_prior = m->sigma_prior;
	p->skew_ticks = m->skew_ticks;
	p->ack_timeout_ns = m->ack_timeout_ns;
	if (m->qmax < m->qty)
		return refuse(err, errlen, "strategy.mm.qmax %u is below strategy.mm.qty %u: the "
			      "first fill would break the bound", m->qmax, m->qty);
	if (m->fill[0]) {
		char path[sizeof(m->fill)];
		if (config_resolve(cfg, m->fill, path, sizeof(path)) < 0)
			return refuse(err, errlen, "strategy.mm.fill '%s': path too long", m->fill);
		int rc = read_fill(path, &p->a, &p->k, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int trader_strategy_params(const struct dm_config *cfg, struct strategy_params *p,
			   char *model, size_t len, char *err, size_t errlen)
{
	const struct strategy_cfg *s = &cfg->strategy;
	memset(p, 0, sizeof(*p));
	p->tick = tick_of(cfg);
	primary_params_default(&p->primary);
	int fi = primary_feature_index(s->primary_feature);
	if (fi < 0)
		return refuse(err, errlen, "strategy.primary_feature '%s': not a feature",
			      s->primary_feature);
	p->primary.feature = (uint32_t)fi;
	p->primary.threshold = (double)s->threshold_e6 / CFG_DEC_SCALE;
	p->primary.invert = s->invert;
	p->min_prob = (double)s->min_prob_e6 / CFG_DEC_SCALE;
	p->min_interval_ns = (int64_t)s->min_interval_ms * 1000000;
	p->max_contracts = s->max_contracts;
	p->rule_only = s->model[0] == '\0';
	p->kind = s->kind;
	if (!(p->tick > 0))
		return refuse(err, errlen, "instrument.tick_size must be > 0");
	if (strategy_kind_is_mm(p->kind)) {
		int rc = mm_params(cfg, &p->mm, err, errlen);
		if (rc < 0)
			return rc;
	}
	model[0] = '\0';
	if (!p->rule_only && config_resolve(cfg, s->model, model, len) < 0)
		return refuse(err, errlen, "strategy.model '%s': path too long", s->model);
	return 0;
}

int trader_model_load(const struct dm_config *cfg, const char *path, struct flat **out,
		      char *why, size_t whylen)
{
	const struct model_live live = {
		.target = MODEL_LIVE_TARGET,
		.n_feat = FEAT_N,
		.feat_names = feat_names,
		.symbol = cfg->instrument.symbol,
		.tick = tick_of(cfg),
	};
	struct model m;
	struct flat *f = NULL;
	struct flat_check chk;
	char err[512], warn[512] = "";
	memset(&m, 0, sizeof(m)); /* model_load closes what m holds first */
	int rc = model_load(&m, path, err, sizeof(err));
	if (rc < 0) {
		snprintf(why, whylen, "%s", err);
		return rc;
	}
	int ok = model_check_live(&m, &live, warn, sizeof(warn));
	if (ok < 0) {
		snprintf(why, whylen, "%s: %s", path, warn);
		model_close(&m);
		return ok;
	}
	rc = flat_create(&f, &m, err, sizeof(err));
	if (rc == 0)
		rc = flat_verify(f, &m, NULL, 0, VERIFY_ROWS, VERIFY_TOL, 1, &chk, err,
				 sizeof(err));
	if (rc < 0) {
		snprintf(why, whylen, "%s: the flattened model disagrees with XGBoost: %s", path,
			 err);
		flat_free(f);
		model_close(&m);
		return rc;
	}
	snprintf(why, whylen, "%s: target %s, %u features, %u trees, checked against XGBoost "
		 "on %zu rows (%zu of %zu outputs bit-identical, max |diff| %.3g)%s%s", path,
		 m.meta.target, m.n_feat, m.n_trees, chk.rows, chk.exact, chk.outputs,
		 chk.max_diff, ok == MODEL_CHECK_WARN ? "; WARNING: " : "",
		 ok == MODEL_CHECK_WARN ? warn : "");
	model_close(&m);
	*out = f;
	return ok;
}

/* The figures of execution.study (NaN each when there is none); 0, or
 * -DM_ECONFIG with err. */
static int study_of(const struct dm_config *cfg, struct study_figures *f, char *err,
		    size_t errlen)
{
	f->eta = f->epsilon = f->mean_qty = f->gamma = f->fill_a = f->fill_k = NAN;
	if (!cfg->execution.study[0])
		return 0;
	char path[PATH_MAX];
	if (config_resolve(cfg, cfg->execution.study, path, sizeof(path)) < 0)
		return refuse(err, errlen, "execution.study '%s': path too long",
			      cfg->execution.study);
	char why[PATH_MAX + 160];
	if (study_figures_read(path, f, why, sizeof(why)) < 0)
		return refuse(err, errlen, "execution.study: %s", why);
	return 0;
}

/* *v, or the study's figure x (times scale) when *v is 0 and x a usable one. */
static void or_study(double *v, double x, double scale)
{
	if (*v == 0 && isfinite(x) && x > 0)
		*v = x * scale;
}

uint32_t trader_fanout_roles(const struct dm_config *cfg)
{
	if (!cfg->vote.fanout || cfg->execution.child_max_qty)
		return 0;
	return cfg->vote.voters & (1u << ROLE_RISK | 1u << ROLE_EXECUTION | 1u << ROLE_FEATURE);
}

int trader_coord_params(const struct dm_config *cfg, uint32_t self, int64_t health_ns,
			const char *quorum, int64_t deadline_ns, struct coord_params *p,
			char *err, size_t errlen)
{
	const struct vote_cfg *v = &cfg->vote;
	char why[160];
	coord_params_default(p);
	p->self = self;
	p->n_agents = ROLE_COUNT;
	p->flatten_voter = ROLE_RISK;
	p->health_every_ns = health_ns;
	p->max_intent_age_ns = cfg->coordinator.max_intent_age_ns;
	/* child orders: the execution: section's, applied where intents are
	 * voted on */
	p->child_max_qty = cfg->execution.child_max_qty;
	p->child_horizon_ns = cfg->execution.child_horizon_ns;
	p->child_eta = cfg->execution.ac_eta;
	p->child_gamma = cfg->execution.ac_gamma;
	p->child_sigma = cfg->execution.ac_sigma;
	p->child_lambda = cfg->execution.ac_lambda;
	struct study_figures f;
	int rc = study_of(cfg, &f, err, errlen);
	if (rc < 0)
		return rc;
	or_study(&p->child_eta, f.eta, 1);
	or_study(&p->child_gamma, f.gamma, 1);
	if (coord_policy_make(&p->vote, trader_voter_order,
			      sizeof(trader_voter_order) / sizeof(trader_voter_order[0]),
			      v->voters, v->veto, quorum && *quorum ? quorum : v->quorum,
			      deadline_ns > 0 ? deadline_ns : (int64_t)v->deadline_us * 1000,
			      why, sizeof(why)) < 0)
		return refuse(err, errlen, "vote: %s", why);
	uint32_t fan = trader_fanout_roles(cfg);
	for (uint32_t i = 0; i < p->vote.n_voters; i++)
		if (fan & (1u << p->vote.voter[i]))
			p->fanout |= 1u << i;
	if (coord_params_check(p) < 0)
		return refuse(err, errlen, "vote: parameters refused by the coordinator");
	return 0;
}

int trader_riskd_params(const struct dm_config *cfg, uint16_t voter, struct riskd_params *p,
			char *err, size_t errlen)
{
	riskd_params_default(p);
	int rc = config_load_risk_for(cfg, &p->limits, NULL, 0, err, errlen);
	if (rc < 0)
		return rc;
	if (instr_init(&p->instr, &cfg->instrument) < 0 ||
	    cal_init(&p->cal, &cfg->instrument) < 0)
		return refuse(err, errlen, "instrument: refused by instr_init / cal_init");
	p->symbol = cfg->instrument.symbol;
	p->currency = cfg->instrument.currency;
	p->voter = voter;
	/* the kill switch's flatten model: the study's figures for what the
	 * risk file leaves at 0 */
	struct study_figures f;
	if ((rc = study_of(cfg, &f, err, errlen)) < 0)
		return rc;
	or_study(&p->limits.flatten_eta, f.eta, 1);
	or_study(&p->limits.flatten_gamma, f.gamma, 1);
	return 0;
}

int trader_execsvc_params(const struct dm_config *cfg, uint16_t voter, uint32_t table_cap,
			  uint64_t venue_room, uint32_t double_venue,
			  struct execsvc_params *p, char *err, size_t errlen)
{
	const struct venue_cfg *cv = &cfg->venue;
	execsvc_params_default(p);
	p->limits = cfg->execution;
	/* the passive rule's model: the study's figures for the keys left at
	 * 0 (A counts both sides there: half of it is one side's) */
	struct study_figures f;
	int rc = study_of(cfg, &f, err, errlen);
	if (rc < 0)
		return rc;
	or_study(&p->limits.passive_a, f.fill_a, 0.5);
	or_study(&p->limits.passive_k, f.fill_k, 1);
	or_study(&p->limits.passive_lots, f.mean_qty, 1);
	or_study(&p->limits.ac_eta, f.eta, 1);
	or_study(&p->limits.ac_gamma, f.gamma, 1);
	p->venue = *cv;
	if (cv->latency_file[0] &&
	    config_resolve(cfg, cv->latency_file, p->venue.latency_file,
			   sizeof(p->venue.latency_file)) < 0)
		return refuse(err, errlen, "venue.latency_file '%s': path too long",
			      cv->latency_file);
	p->table_cap = table_cap;
	p->venue_room = venue_room;
	p->double_venue = double_venue;
	p->voter = voter;
	if (execsvc_params_check(p, err, errlen) < 0)
		return -DM_ECONFIG;
	return 0;
}

int trader_params_from_config(const struct dm_config *cfg, uint64_t epoch,
			      struct trader_params *p, char *model, size_t len,
			      char *err, size_t errlen)
{
	int rc;
	memset(p, 0, sizeof(*p));
	p->epoch = epoch;
	if ((rc = trader_featd_params(cfg, ROLE_FEATURE, &p->featd, err, errlen)) < 0 ||
	    (rc = trader_strategy_params(cfg, &p->strategy, model, len, err, errlen)) < 0 ||
	    (rc = trader_coord_params(cfg, ROLE_COORDINATOR, 50ll * 1000000, NULL, 0,
				      &p->coord, err, errlen)) < 0 ||
	    (rc = trader_riskd_params(cfg, ROLE_RISK, &p->riskd, err, errlen)) < 0 ||
	    (rc = trader_execsvc_params(cfg, ROLE_EXECUTION, 1024, 0, 0, &p->exec, err,
					errlen)) < 0)
		return rc;
	return 0;
}

/* Contract root + month letter + year ("WING22", "WINJ25") is the root's. */
static int same_symbol(const char *data, const char *conf)
{
	size_t n = strlen(conf);
	if (strcmp(data, conf) == 0)
		return 1;
	if (strncmp(data, conf, n) != 0 || !data[n] || !strchr("FGHJKMNQUVXZ", data[n]))
		return 0;
	const char *y = data + n + 1;
	return y[0] >= '0' && y[0] <= '9' && (!y[1] || (y[1] >= '0' && y[1] <= '9' && !y[2]));
}


int trader_instr_check(const struct dm_config *cfg, const struct feed_instr *in, char *err,
		       size_t errlen)
{
	const struct cfg_instrument *ci = &cfg->instrument;
	int64_t t = -1, l = ci->lot_size_e6;
	if (instr_dec_e6(in->tick, &t, NULL) < 0 && in->tick_v > 0)
		t = (int64_t)llround(in->tick_v * 1e6);
	if (in->lot[0] && instr_dec_e6(in->lot, &l, NULL) < 0)
		l = -1;
	if ((!in->symbol[0] || same_symbol(in->symbol, ci->symbol)) && t == ci->tick_size_e6 &&
	    l == ci->lot_size_e6)
		return 0;
	char want[32], want_lot[32];
	cfg_show_dec(ci->tick_size_e6, want);
	cfg_show_dec(ci->lot_size_e6, want_lot);
	const char *is = in->symbol[0] ? in->symbol : "an unnamed instrument";
	return refuse(err, errlen, "holds %s (tick %s %s, lot %s) but the configuration (%s) "
		      "trades %s (tick %s %s, lot %s): use a configuration for %s (-c FILE whose "
		      "instrument has symbol %s, tick_size %s and lot_size %s; conf/instruments/ "
		      "holds the bundled profiles)", is, in->tick, in->currency,
		      in->lot[0] ? in->lot : "?", cfg->path[0] ? cfg->path : "built-in defaults",
		      ci->symbol, want, ci->currency, want_lot, is,
		      in->symbol[0] ? in->symbol : "?", in->tick, in->lot[0] ? in->lot : "?");
}
