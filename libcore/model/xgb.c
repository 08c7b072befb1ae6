/*
 * xgb.c — training, evaluation, save/load and prediction through the
 * XGBoost 1.7 C API (xgb.h, docs/model.md).
 *
 * Every XGBoost call goes through XGB_CALL, which turns a non-zero return
 * into -EIO with the first line of XGBGetLastError() in err.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libcore/model/xgb.h"
#include "libcore/types.h"

/* ------------------------------------------------------------ errors */

static int seterr(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int seterr(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int xgb_fail(char *err, size_t errlen, const char *call)
{
	const char *e = XGBGetLastError();

	if (!e)
		e = "(no message)";
	return seterr(err, errlen, -EIO, "XGBoost %s failed: %.*s", call,
		      (int)strcspn(e, "\n"), e);
}

/* Evaluate an XGBoost call; on failure set rc and jump to label. */
#define XGB_CALL(call, what, label)                                  \
	do {                                                         \
		if ((call) != 0) {                                   \
			rc = xgb_fail(err, errlen, what);            \
			goto label;                                  \
		}                                                    \
	} while (0)

/* ------------------------------------------------------------ params */

void model_params_default(struct model_params *p)
{
	memset(p, 0, sizeof(*p));
	p->kind = MODEL_KIND_GBDT;
	p->objective = MODEL_OBJ_BINARY;
	p->num_class = 3;
	p->max_depth = 6;
	p->n_rounds = 200;
	p->early_stopping_rounds = 20;
	p->tree_method = MODEL_TREE_HIST;
	p->max_bin = 256;
	p->nthread = 1;
	p->seed = 0;
	p->num_parallel_tree = 100;
	p->eta = 0.1;
	p->subsample = 0.8;
	p->colsample_bytree = 0.8;
	p->colsample_bynode = 1.0;
	p->min_child_weight = 1.0;
	p->lambda = 1.0;
	p->alpha = 0.0;
	p->gamma = 0.0;
	p->base_score = 0.5;
	p->holdout = 0.2;
	p->embargo_frac = 0.0;
	p->embargo = 0;
}

void model_params_kind(struct model_params *p, uint32_t kind)
{
	p->kind = kind;
	if (kind == MODEL_KIND_RF) {
		p->n_rounds = 1;
		p->early_stopping_rounds = 0;
		p->eta = 1.0;
		p->colsample_bytree = 1.0;
		p->colsample_bynode = 0.8;
	} else if (kind == MODEL_KIND_GBDT) {
		p->n_rounds = 200;
		p->early_stopping_rounds = 20;
		p->eta = 0.1;
		p->colsample_bytree = 0.8;
		p->colsample_bynode = 1.0;
	}
}

const char *model_kind_name(uint32_t kind)
{
	switch (kind) {
	case MODEL_KIND_GBDT: return "gbdt";
	case MODEL_KIND_RF:   return "rf";
	default:              return "?";
	}
}

int model_kind_parse(const char *s)
{
	for (uint32_t k = MODEL_KIND_GBDT; k <= MODEL_KIND_RF; k++)
		if (!strcmp(s, model_kind_name(k)))
			return (int)k;
	return -1;
}

static int in_range(double v, double lo, double hi)
{
	return v >= lo && v <= hi; /* false for NaN */
}

int model_params_check(const struct model_params *p, char *err, size_t errlen)
{
#define BAD(field, fmt, ...) \
	return seterr(err, errlen, -EINVAL, "model." field ": " fmt, __VA_ARGS__)
	if (p->kind > MODEL_KIND_RF)
		BAD("kind", "%u is not gbdt (0) or rf (1)", p->kind);
	if (p->objective > MODEL_OBJ_MULTI)
		BAD("objective", "%u is not binary (0) or multi (1)", p->objective);
	if (p->objective == MODEL_OBJ_MULTI &&
	    (p->num_class < 2 || p->num_class > MODEL_MAX_CLASS))
		BAD("num_class", "%u outside 2..%u", p->num_class, MODEL_MAX_CLASS);
	if (p->max_depth < 1 || p->max_depth > 16)
		BAD("max_depth", "%u outside 1..16", p->max_depth);
	if (p->n_rounds < 1 || p->n_rounds > 100000)
		BAD("n_rounds", "%u outside 1..100000", p->n_rounds);
	if (p->early_stopping_rounds > 100000)
		BAD("early_stopping_rounds", "%u outside 0..100000", p->early_stopping_rounds);
	if (p->tree_method > MODEL_TREE_EXACT)
		BAD("tree_method", "%u is not hist, approx or exact", p->tree_method);
	if (p->max_bin < 2 || p->max_bin > 65536)
		BAD("max_bin", "%u outside 2..65536", p->max_bin);
	if (p->nthread > 1024)
		BAD("nthread", "%u outside 0..1024", p->nthread);
	if (!(p->eta > 0 && p->eta <= 1))
		BAD("eta", "%g outside (0, 1]", p->eta);
	if (!(p->subsample > 0 && p->subsample <= 1))
		BAD("subsample", "%g outside (0, 1]", p->subsample);
	if (!(p->colsample_bytree > 0 && p->colsample_bytree <= 1))
		BAD("colsample_bytree", "%g outside (0, 1]", p->colsample_bytree);
	if (!(p->colsample_bynode > 0 && p->colsample_bynode <= 1))
		BAD("colsample_bynode", "%g outside (0, 1]", p->colsample_bynode);
	if (p->num_parallel_tree < 1 || p->num_parallel_tree > 10000)
		BAD("num_parallel_tree", "%u outside 1..10000", p->num_parallel_tree);
	if (!in_range(p->min_child_weight, 0, 1e6))
		BAD("min_child_weight", "%g outside 0..1e6", p->min_child_weight);
	if (!in_range(p->lambda, 0, 1e6))
		BAD("lambda", "%g outside 0..1e6", p->lambda);
	if (!in_range(p->alpha, 0, 1e6))
		BAD("alpha", "%g outside 0..1e6", p->alpha);
	if (!in_range(p->gamma, 0, 1e6))
		BAD("gamma", "%g outside 0..1e6", p->gamma);
	if (!(p->base_score > 0 && p->base_score < 1))
		BAD("base_score", "%g outside (0, 1)", p->base_score);
	if (!in_range(p->holdout, 0.01, 0.9))
		BAD("holdout", "%g outside 0.01..0.9", p->holdout);
	if (!in_range(p->embargo_frac, 0, 0.5))
		BAD("embargo_frac", "%g outside 0..0.5", p->embargo_frac);
	if (p->embargo < 0 || p->embargo > ((int64_t)1 << 40))
		BAD("embargo", "%" PRId64 " outside 0..2^40", p->embargo);
	/* XGBoost's random-forest recipe (docs/model.md, "Kinds"): anything
	 * else would boost forests or grow identical trees */
	if (p->kind == MODEL_KIND_RF) {
		if (p->n_rounds != 1)
			BAD("n_rounds", "%u with kind rf: a forest is one round of "
			    "num_parallel_tree trees (rounds 1)", p->n_rounds);
		if (p->early_stopping_rounds != 0)
			BAD("early_stopping_rounds", "%u with kind rf: one round has nothing "
			    "to stop early (0)", p->early_stopping_rounds);
		if (p->eta != 1.0)
			BAD("eta", "%g with kind rf: a forest's trees are averaged, not "
			    "shrunk (eta 1)", p->eta);
		if (!(p->subsample < 1))
			BAD("subsample", "%g with kind rf: each tree needs its own row sample "
			    "(below 1, e.g. 0.8)", p->subsample);
		if (!(p->colsample_bynode < 1))
			BAD("colsample_bynode", "%g with kind rf: each split needs its own "
			    "column sample (below 1, e.g. 0.8)", p->colsample_bynode);
	}
#undef BAD
	return 0;
}

const char *model_objective_name(uint32_t objective)
{
	switch (objective) {
	case MODEL_OBJ_BINARY: return "binary:logistic";
	case MODEL_OBJ_MULTI:  return "multi:softprob";
	default:               return "?";
	}
}

static const char *tree_method_name(uint32_t m)
{
	switch (m) {
	case MODEL_TREE_APPROX: return "approx";
	case MODEL_TREE_EXACT:  return "exact";
	default:                return "hist";
	}
}

/* ------------------------------------------------------------ split */

int model_split_purged(const int64_t *t0, const int64_t *t1, size_t n,
		       size_t test_begin, size_t test_end, int64_t embargo,
		       uint8_t *mask_out, struct model_split_counts *counts)
{
	struct model_split_counts c = { 0, 0, 0, 0 };
	int64_t w0 = INT64_MAX, w1 = INT64_MIN, e1;

	if (test_begin >= test_end || test_end > n || embargo < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (t1[i] < t0[i])
			return -EINVAL;
	for (size_t i = test_begin; i < test_end; i++) {
		if (t0[i] < w0)
			w0 = t0[i];
		if (t1[i] > w1)
			w1 = t1[i];
	}
	/* the embargo end saturates rather than wraps */
	e1 = w1 > INT64_MAX - embargo ? INT64_MAX : w1 + embargo;
	for (size_t i = 0; i < n; i++) {
		uint8_t k;

		if (i >= test_begin && i < test_end) {
			k = MODEL_SPLIT_TEST;
			c.test++;
		} else if (t0[i] <= w1 && t1[i] >= w0) {
			k = MODEL_SPLIT_PURGED;
			c.purged++;
		} else if (t0[i] > w1 && t0[i] <= e1) {
			k = MODEL_SPLIT_EMBARGOED;
			c.embargoed++;
		} else {
			k = MODEL_SPLIT_TRAIN;
			c.train++;
		}
		mask_out[i] = k;
	}
	if (counts)
		*counts = c;
	return 0;
}

/* ------------------------------------------------------------ metrics */

struct auc_item {
	double s;
	float  pos;   /* weight if positive, else 0 */
	float  neg;
};

static int cmp_auc_item(const void *a, const void *b)
{
	double x = ((const struct auc_item *)a)->s, y = ((const struct auc_item *)b)->s;

	return x < y ? -1 : x > y;
}

double model_auc(const double *score, const float *y, const float *w, size_t n)
{
	struct auc_item *it;
	double wp = 0, wn = 0, below = 0, num = 0;

	if (n == 0)
		return NAN;
	it = malloc(n * sizeof(*it));
	if (!it)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		float wi = w ? w[i] : 1.0f;

		if (isnan(score[i])) {
			free(it);
			return NAN;
		}
		it[i].s = score[i];
		it[i].pos = y[i] > 0.5f ? wi : 0.0f;
		it[i].neg = y[i] > 0.5f ? 0.0f : wi;
	}
	qsort(it, n, sizeof(*it), cmp_auc_item);
	/* Walk groups of equal score upwards: each positive of a group beats
	 * every negative below it and ties half of those in its group. */
	for (size_t i = 0; i < n;) {
		double gp = 0, gn = 0;
		size_t j = i;

		while (j < n && it[j].s == it[i].s) {
			gp += it[j].pos;
			gn += it[j].neg;
			j++;
		}
		num += gp * (below + 0.5 * gn);
		below += gn;
		wp += gp;
		wn += gn;
		i = j;
	}
	free(it);
	if (!(wp > 0) || !(wn > 0))
		return NAN;
	return num / (wp * wn);
}

static double clip_p(double p)
{
	if (!(p >= 1e-15))      /* NaN too */
		return 1e-15;
	return p > 1 - 1e-15 ? 1 - 1e-15 : p;
}

static int eval_binary(const double *p, const float *y, size_t n, double thr,
		       struct model_eval *e)
{
	double ll = 0;
	size_t pos = 0;

	for (size_t i = 0; i < n; i++) {
		int t = y[i] > 0.5f, d = p[i] >= thr;

		if (y[i] != 0.0f && y[i] != 1.0f)
			return -EINVAL;
		pos += (size_t)t;
		ll -= t ? log(clip_p(p[i])) : log(clip_p(1 - p[i]));
		if (t && d)
			e->tp++;
		else if (!t && d)
			e->fp++;
		else if (!t && !d)
			e->tn++;
		else
			e->fn++;
	}
	e->logloss = ll / (double)n;
	e->accuracy = (double)(e->tp + e->tn) / (double)n;
	e->precision = e->tp + e->fp ? (double)e->tp / (double)(e->tp + e->fp) : NAN;
	e->recall = e->tp + e->fn ? (double)e->tp / (double)(e->tp + e->fn) : NAN;
	e->pos_rate = (double)pos / (double)n;
	e->auc = model_auc(p, y, NULL, n);
	return 0;
}

static int eval_multi(const double *p, const float *y, size_t n, uint32_t k,
		      struct model_eval *e)
{
	size_t tp[MODEL_MAX_CLASS] = { 0 }, npred[MODEL_MAX_CLASS] = { 0 };
	size_t ntrue[MODEL_MAX_CLASS] = { 0 }, right = 0, maxc = 0;
	double ll = 0, sum, auc_sum = 0, prec = 0, rec = 0;
	uint32_t n_auc = 0, n_prec = 0, n_rec = 0;
	double *s;
	float *yc;

	for (size_t i = 0; i < n; i++) {
		const double *r = p + i * k;
		uint32_t c = (uint32_t)y[i], a = 0;

		if (!(y[i] >= 0) || y[i] != (float)c || c >= k)
			return -EINVAL;
		for (uint32_t j = 1; j < k; j++)
			if (r[j] > r[a])
				a = j;
		ntrue[c]++;
		npred[a]++;
		if (a == c) {
			tp[c]++;
			right++;
		}
		ll -= log(clip_p(r[c]));
	}
	s = malloc(n * sizeof(*s));
	yc = malloc(n * sizeof(*yc));
	if (!s || !yc) {
		free(s);
		free(yc);
		return -ENOMEM;
	}
	for (uint32_t c = 0; c < k; c++) {
		if (ntrue[c] > maxc)
			maxc = ntrue[c];
		if (npred[c]) {
			prec += (double)tp[c] / (double)npred[c];
			n_prec++;
		}
		if (ntrue[c]) {
			rec += (double)tp[c] / (double)ntrue[c];
			n_rec++;
		}
		if (ntrue[c] == 0 || ntrue[c] == n)
			continue;
		for (size_t i = 0; i < n; i++) {
			s[i] = p[i * k + c];
			yc[i] = (uint32_t)y[i] == c ? 1.0f : 0.0f;
		}
		sum = model_auc(s, yc, NULL, n);
		if (!isnan(sum)) {
			auc_sum += sum;
			n_auc++;
		}
	}
	free(s);
	free(yc);
	e->logloss = ll / (double)n;
	e->accuracy = (double)right / (double)n;
	e->precision = n_prec ? prec / n_prec : NAN;
	e->recall = n_rec ? rec / n_rec : NAN;
	e->auc = n_auc ? auc_sum / n_auc : NAN;
	e->pos_rate = (double)maxc / (double)n;
	return 0;
}

int model_eval_probs(const double *p, const float *y, size_t n, uint32_t k,
		     double threshold, struct model_eval *e)
{
	memset(e, 0, sizeof(*e));
	e->n = n;
	e->threshold = threshold;
	e->auc = e->logloss = e->precision = e->recall = e->accuracy = NAN;
	e->pos_rate = NAN;
	if (k == 0 || k > MODEL_MAX_CLASS)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (k == 1)
		return eval_binary(p, y, n, threshold, e);
	return eval_multi(p, y, n, k, e);
}

/* ------------------------------------------------------------ files */

/* Write buf to path through path.tmp-PID, fsync and rename. */
static int write_atomic(const char *path, const void *buf, size_t len, char *err,
			size_t errlen)
{
	char tmp[4096];
	const char *p = buf;
	size_t off = 0;
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >=
	    sizeof(tmp))
		return seterr(err, errlen, -ENAMETOOLONG, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		return seterr(err, errlen, rc, "%s: cannot create: %s", tmp, strerror(-rc));
	}
	while (off < len) {
		ssize_t k = write(fd, p + off, len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = k < 0 ? -errno : -EIO;
			seterr(err, errlen, rc, "%s: write failed: %s", tmp, strerror(-rc));
			goto unlink_tmp;
		}
		off += (size_t)k;
	}
	if (fsync(fd)) {
		rc = -errno;
		seterr(err, errlen, rc, "%s: fsync failed: %s", tmp, strerror(-rc));
		goto unlink_tmp;
	}
	if (close(fd)) {
		fd = -1;
		rc = -errno;
		seterr(err, errlen, rc, "%s: close failed: %s", tmp, strerror(-rc));
		goto unlink_tmp;
	}
	fd = -1;
	if (rename(tmp, path)) {
		rc = -errno;
		seterr(err, errlen, rc, "%s: cannot rename to %s: %s", tmp, path,
		       strerror(-rc));
		goto unlink_tmp;
	}
	return 0;
unlink_tmp:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

/* The whole file, malloc'd, in *buf. */
static int read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t off = 0;
	char *b;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return seterr(err, errlen, rc, "%s: cannot open: %s", path, strerror(-rc));
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return seterr(err, errlen, rc, "%s: not a regular file", path);
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return seterr(err, errlen, -ENOMEM, "%s: out of memory", path);
	}
	while (off < (size_t)st.st_size) {
		ssize_t k = read(fd, b + off, (size_t)st.st_size - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	close(fd);
	if (off != (size_t)st.st_size) {
		free(b);
		return seterr(err, errlen, -EIO, "%s: short read", path);
	}
	b[off] = '\0';
	*buf = b;
	*len = off;
	return 0;
}

/* ------------------------------------------------------------ model */

void model_close(struct model *m)
{
	if (m->booster)
		XGBoosterFree(m->booster);
	memset(m, 0, sizeof(*m));
	m->best_iteration = -1;
}

int model_json(const struct model *m, const char **json, size_t *len, char *err,
	       size_t errlen)
{
	bst_ulong n = 0;
	const char *b = NULL;
	int rc = 0;

	if (!m->booster)
		return seterr(err, errlen, -EINVAL, "model not loaded");
	XGB_CALL(XGBoosterSaveModelToBuffer(m->booster, "{\"format\":\"json\"}", &n, &b),
		 "SaveModelToBuffer", out);
	*json = b;
	*len = (size_t)n;
out:
	return rc;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * Objective, outputs, features, names and best_iteration from the model's
 * JSON into *m.  -DM_ECORRUPT for a model this module does not handle.
 */
static int model_describe(struct model *m, char *err, size_t errlen)
{
	const char *js = NULL, *s;
	size_t len = 0;
	json_t *root, *lrn, *mp, *names, *attr, *gm;
	json_error_t je;
	long nf, nc, np;
	int rc, nr = 0;

	rc = model_json(m, &js, &len, err, errlen);
	if (rc)
		return rc;
	root = json_loadb(js, len, 0, &je);
	if (!root)
		return seterr(err, errlen, -DM_ECORRUPT, "model JSON: %s at line %d",
			      je.text, je.line);
	rc = -DM_ECORRUPT;
	lrn = json_object_get(root, "learner");
	mp = json_object_get(lrn, "learner_model_param");
	s = jstr(json_object_get(lrn, "objective"), "name");
	if (!s) {
		seterr(err, errlen, rc, "model JSON: no learner.objective.name");
		goto done;
	}
	nc = jstr(mp, "num_class") ? strtol(jstr(mp, "num_class"), NULL, 10) : 0;
	nf = jstr(mp, "num_feature") ? strtol(jstr(mp, "num_feature"), NULL, 10) : 0;
	if (!strcmp(s, "binary:logistic")) {
		m->objective = MODEL_OBJ_BINARY;
		m->n_out = 1;
	} else if (!strcmp(s, "multi:softprob") && nc >= 2 && nc <= (long)MODEL_MAX_CLASS) {
		m->objective = MODEL_OBJ_MULTI;
		m->n_out = (uint32_t)nc;
	} else {
		seterr(err, errlen, rc, "model objective %s (num_class %ld) not supported: "
		       "binary:logistic or multi:softprob with 2..%u classes", s, nc,
		       MODEL_MAX_CLASS);
		goto done;
	}
	s = jstr(json_object_get(lrn, "gradient_booster"), "name");
	if (!s || strcmp(s, "gbtree")) {
		seterr(err, errlen, rc, "model booster %s not supported: gbtree only",
		       s ? s : "(none)");
		goto done;
	}
	if (nf < 1 || nf > (long)MODEL_MAX_FEATURES) {
		seterr(err, errlen, rc, "model has %ld features: 1..%u supported", nf,
		       MODEL_MAX_FEATURES);
		goto done;
	}
	m->n_feat = (uint32_t)nf;
	names = json_object_get(lrn, "feature_names");
	for (uint32_t i = 0; i < m->n_feat; i++) {
		const char *nm = json_string_value(json_array_get(names, i));

		if (nm && json_array_size(names) == m->n_feat)
			snprintf(m->feat_names[i], MODEL_NAME_MAX, "%s", nm);
		else
			snprintf(m->feat_names[i], MODEL_NAME_MAX, "f%u", i);
	}
	gm = json_object_get(json_object_get(lrn, "gradient_booster"), "model");
	s = jstr(json_object_get(gm, "gbtree_model_param"), "num_parallel_tree");
	np = s ? strtol(s, NULL, 10) : 1;
	m->n_trees = (uint32_t)json_array_size(json_object_get(gm, "trees"));
	m->n_parallel = np >= 1 && np <= UINT32_MAX ? (uint32_t)np : 1;
	attr = json_object_get(lrn, "attributes");
	s = jstr(attr, "best_iteration");
	m->best_iteration = s ? (int32_t)strtol(s, NULL, 10) : -1;
	if (XGBoosterBoostedRounds(m->booster, &nr)) {
		rc = xgb_fail(err, errlen, "BoostedRounds");
		goto done;
	}
	m->n_rounds = (uint32_t)nr;
	rc = model_meta_get(m, err, errlen);
done:
	json_decref(root);
	return rc;
}

int model_load_buffer(struct model *m, const void *buf, size_t len, char *err,
		      size_t errlen)
{
	struct model t;
	int rc = 0;

	model_close(m);
	memset(&t, 0, sizeof(t));
	XGB_CALL(XGBoosterCreate(NULL, 0, &t.booster), "BoosterCreate", out);
	XGB_CALL(XGBoosterLoadModelFromBuffer(t.booster, buf, (bst_ulong)len),
		 "LoadModelFromBuffer", free_booster);
	XGB_CALL(XGBoosterSetParam(t.booster, "nthread", "1"), "SetParam(nthread)",
		 free_booster);
	rc = model_describe(&t, err, errlen);
	if (rc)
		goto free_booster;
	*m = t;
	return 0;
free_booster:
	XGBoosterFree(t.booster);
out:
	return rc;
}

int model_load(struct model *m, const char *path, char *err, size_t errlen)
{
	char *buf = NULL, e2[512];
	size_t len = 0;
	int rc;

	rc = read_file(path, &buf, &len, err, errlen);
	if (rc)
		return rc;
	rc = model_load_buffer(m, buf, len, e2, sizeof(e2));
	if (rc)
		seterr(err, errlen, rc, "%s: %s", path, e2);
	free(buf);
	return rc;
}

int model_save(const struct model *m, const char *path, char *err, size_t errlen)
{
	const char *js = NULL;
	size_t len = 0;
	int rc;

	rc = model_json(m, &js, &len, err, errlen);
	if (rc)
		return rc;
	return write_atomic(path, js, len, err, errlen);
}

int model_predict(const struct model *m, const float *x, size_t n, int margin,
		  float *out, char *err, size_t errlen)
{
	char arr[192], cfg[192];
	const bst_ulong *shape = NULL;
	bst_ulong dim = 0, total = 1;
	const float *res = NULL;
	int rc = 0;

	if (!m->booster)
		return seterr(err, errlen, -EINVAL, "model not loaded");
	if (n == 0)
		return 0;
	snprintf(arr, sizeof(arr),
		 "{\"data\":[%" PRIuPTR ",true],\"shape\":[%zu,%u],\"typestr\":\"<f4\","
		 "\"version\":3}", (uintptr_t)x, n, m->n_feat);
	snprintf(cfg, sizeof(cfg),
		 "{\"type\":%d,\"training\":false,\"iteration_begin\":0,"
		 "\"iteration_end\":0,\"strict_shape\":false,\"missing\":NaN,"
		 "\"cache_id\":0}", margin ? 1 : 0);
	XGB_CALL(XGBoosterPredictFromDense(m->booster, arr, cfg, NULL, &shape, &dim, &res),
		 "PredictFromDense", out);
	for (bst_ulong i = 0; i < dim; i++)
		total *= shape[i];
	if (total != (bst_ulong)n * m->n_out)
		return seterr(err, errlen, -DM_ECORRUPT,
			      "XGBoost returned %llu values for %zu rows of %u outputs",
			      (unsigned long long)total, n, m->n_out);
	memcpy(out, res, n * m->n_out * sizeof(float));
out:
	return rc;
}

/* ------------------------------------------------------------ training */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* rows[] of s gathered into a DMatrix with labels and weights; the
 * gathered features stay in *xbuf (n_rows * n_feat) for later use. */
static int dmat_gather(const struct model_sample *s, const size_t *rows, size_t nr,
		       DMatrixHandle *out, float **xbuf, float **ybuf, char *err,
		       size_t errlen)
{
	float *x = malloc(nr * s->n_feat * sizeof(float));
	float *y = malloc(nr * sizeof(float));
	float *w = s->w ? malloc(nr * sizeof(float)) : NULL;
	DMatrixHandle h = NULL;
	int rc = 0;

	if (!x || !y || (s->w && !w)) {
		rc = seterr(err, errlen, -ENOMEM, "out of memory for %zu rows", nr);
		goto free_bufs;
	}
	for (size_t i = 0; i < nr; i++) {
		memcpy(x + i * s->n_feat, s->x + rows[i] * s->n_feat,
		       s->n_feat * sizeof(float));
		y[i] = s->y[rows[i]];
		if (w)
			w[i] = s->w[rows[i]];
	}
	XGB_CALL(XGDMatrixCreateFromMat(x, (bst_ulong)nr, (bst_ulong)s->n_feat, NAN, &h),
		 "DMatrixCreateFromMat", free_bufs);
	XGB_CALL(XGDMatrixSetFloatInfo(h, "label", y, (bst_ulong)nr), "SetFloatInfo(label)",
		 free_dmat);
	if (w)
		XGB_CALL(XGDMatrixSetFloatInfo(h, "weight", w, (bst_ulong)nr),
			 "SetFloatInfo(weight)", free_dmat);
	free(w);
	*out = h;
	*xbuf = x;
	*ybuf = y;
	return 0;
free_dmat:
	XGDMatrixFree(h);
free_bufs:
	free(x);
	free(y);
	free(w);
	return rc;
}

/* "...\tNAME-metric:VALUE..." -> VALUE, NaN when absent. */
static double eval_value(const char *res, const char *name)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), "\t%s-", name);
	p = strstr(res, key);
	if (!p || !(p = strchr(p, ':')))
		return NAN;
	return strtod(p + 1, NULL);
}

static int set_param(BoosterHandle b, const char *k, const char *v, char *err,
		     size_t errlen)
{
	if (XGBoosterSetParam(b, k, v) == 0)
		return 0;
	char what[64];
	snprintf(what, sizeof(what), "SetParam(%s=%s)", k, v);
	return xgb_fail(err, errlen, what);
}

static int set_params(BoosterHandle b, const struct model_params *p, char *err,
		      size_t errlen)
{
	char v[32];
	int rc = 0;

#define SETS(k, val) do { if ((rc = set_param(b, k, val, err, errlen))) return rc; } while (0)
#define SETF(k, fmt, val) do { snprintf(v, sizeof(v), fmt, val); SETS(k, v); } while (0)
	SETS("objective", model_objective_name(p->objective));
	if (p->objective == MODEL_OBJ_MULTI) {
		SETF("num_class", "%u", p->num_class);
		SETS("eval_metric", "mlogloss");
	} else {
		SETS("eval_metric", "logloss");
	}
	if (p->kind == MODEL_KIND_RF) {
		SETS("booster", "gbtree");
		SETF("num_parallel_tree", "%u", p->num_parallel_tree);
	}
	SETS("tree_method", tree_method_name(p->tree_method));
	SETF("max_depth", "%u", p->max_depth);
	SETF("max_bin", "%u", p->max_bin);
	SETF("eta", "%.17g", p->eta);
	SETF("subsample", "%.17g", p->subsample);
	SETF("colsample_bytree", "%.17g", p->colsample_bytree);
	SETF("colsample_bynode", "%.17g", p->colsample_bynode);
	SETF("min_child_weight", "%.17g", p->min_child_weight);
	SETF("lambda", "%.17g", p->lambda);
	SETF("alpha", "%.17g", p->alpha);
	SETF("gamma", "%.17g", p->gamma);
	SETF("base_score", "%.17g", p->base_score);
	SETF("seed", "%u", p->seed);
	if (p->nthread)
		SETF("nthread", "%u", p->nthread);
#undef SETS
#undef SETF
	return rc;
}

static int check_sample(const struct model_sample *s, const struct model_params *p,
			char *err, size_t errlen)
{
	if (!s->x || !s->y || s->n < 2)
		return seterr(err, errlen, -EINVAL, "sample: need x, y and at least 2 rows");
	if (s->n_feat < 1 || s->n_feat > MODEL_MAX_FEATURES)
		return seterr(err, errlen, -EINVAL, "sample: %zu features, 1..%u supported",
			      s->n_feat, MODEL_MAX_FEATURES);
	if (!s->t0 != !s->t1)
		return seterr(err, errlen, -EINVAL, "sample: t0 and t1 go together");
	for (size_t i = 0; i < s->n; i++) {
		float y = s->y[i];
		uint32_t k = p->objective == MODEL_OBJ_MULTI ? p->num_class : 2;

		if (!(y >= 0) || y != (float)(uint32_t)y || (uint32_t)y >= k)
			return seterr(err, errlen, -EINVAL, "sample row %zu: label %g is not "
				      "a class 0..%u", i, (double)y, k - 1);
		if (s->w && !(s->w[i] >= 0 && isfinite(s->w[i])))
			return seterr(err, errlen, -EINVAL, "sample row %zu: weight %g is "
				      "not finite and >= 0", i, (double)s->w[i]);
		if (s->t0 && i > 0 && s->t0[i] < s->t0[i - 1])
			return seterr(err, errlen, -EINVAL, "sample row %zu: t0 %" PRId64
				      " before the previous row's %" PRId64 " (rows must be "
				      "in time order)", i, s->t0[i], s->t0[i - 1]);
		if (s->t0 && s->t1[i] < s->t0[i])
			return seterr(err, errlen, -EINVAL, "sample row %zu: t1 %" PRId64
				      " before t0 %" PRId64, i, s->t1[i], s->t0[i]);
	}
	return 0;
}

static int cmp_imp(const void *a, const void *b)
{
	const struct model_importance *x = a, *y = b;

	if (x->total_gain != y->total_gain)
		return x->total_gain < y->total_gain ? 1 : -1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* importance_type's scores into imp[].field by name. */
static int importance(const struct model *m, const char *type, int total,
		      struct model_importance *imp, char *err, size_t errlen)
{
	char cfg[64];
	bst_ulong nf = 0, dim = 0;
	const char **names = NULL;
	const bst_ulong *shape = NULL;
	const float *sc = NULL;
	int rc = 0;

	snprintf(cfg, sizeof(cfg), "{\"importance_type\":\"%s\"}", type);
	XGB_CALL(XGBoosterFeatureScore(m->booster, cfg, &nf, &names, &dim, &shape, &sc),
		 "FeatureScore", out);
	for (bst_ulong i = 0; i < nf; i++)
		for (uint32_t j = 0; j < m->n_feat; j++)
			if (!strcmp(names[i], m->feat_names[j])) {
				if (total)
					imp[j].total_gain = sc[i];
				else
					imp[j].gain = sc[i];
				break;
			}
out:
	return rc;
}

/* The columns of s whose values are all equal (NaN counted as a value
 * equal to NaN): a split on them can never tell two rows apart. */
static void constant_columns(const struct model_sample *s, struct model_metrics *met)
{
	met->n_const = 0;
	for (size_t j = 0; j < s->n_feat; j++) {
		const float *c = s->x + j;
		size_t i = 1;

		while (i < s->n && (c[i * s->n_feat] == c[0] ||
				    (isnan(c[i * s->n_feat]) && isnan(c[0]))))
			i++;
		if (i < s->n)
			continue;
		if (s->names)
			snprintf(met->const_names[met->n_const], MODEL_NAME_MAX, "%s", s->names[j]);
		else
			snprintf(met->const_names[met->n_const], MODEL_NAME_MAX, "f%zu", j);
		met->n_const++;
	}
}

int model_train(struct model *m, const struct model_params *p,
		const struct model_sample *s, model_progress_fn progress, void *ctx,
		struct model_metrics *met, char *err, size_t errlen)
{
	const char *names[MODEL_MAX_FEATURES], *ev_names[2] = { "train", "holdout" };
	char nbuf[MODEL_MAX_FEATURES][MODEL_NAME_MAX], v[32];
	struct model_split_counts cnt;
	struct model t;
	struct model_round r = { 0 };
	DMatrixHandle dm[2] = { NULL, NULL };
	BoosterHandle b = NULL;
	int64_t *tt = NULL, emb, tmin, tmax, w0 = INT64_MAX, w1 = INT64_MIN;
	const int64_t *t0 = s->t0, *t1 = s->t1;
	size_t *rows = NULL, n_hold, ntr = 0, nte = 0, npos = 0;
	float *xtr = NULL, *ytr = NULL, *xte = NULL, *yte = NULL, *pf = NULL;
	double *pd = NULL, t_start = mono_s(), e_auc;
	uint8_t *mask = NULL;
	uint32_t rounds = 0, n_out;
	int rc;

	rc = model_params_check(p, err, errlen);
	if (rc)
		return rc;
	rc = check_sample(s, p, err, errlen);
	if (rc)
		return rc;
	model_close(m);
	memset(&t, 0, sizeof(t));
	t.best_iteration = -1;
	n_out = p->objective == MODEL_OBJ_MULTI ? p->num_class : 1;

	/* ---- split */
	mask = malloc(s->n);
	rows = malloc(s->n * sizeof(*rows));
	if (!t0)
		tt = malloc(s->n * sizeof(*tt));
	if (!mask || !rows || (!t0 && !tt)) {
		rc = seterr(err, errlen, -ENOMEM, "out of memory for %zu rows", s->n);
		goto free_all;
	}
	if (tt) {
		for (size_t i = 0; i < s->n; i++)
			tt[i] = (int64_t)i;
		t0 = t1 = tt;
	}
	n_hold = (size_t)ceil(p->holdout * (double)s->n);
	if (n_hold < 1)
		n_hold = 1;
	if (n_hold > s->n - 1)
		n_hold = s->n - 1;
	tmin = t0[0];
	tmax = t1[0];
	for (size_t i = 0; i < s->n; i++)
		if (t1[i] > tmax)
			tmax = t1[i];
	emb = (int64_t)ceil(p->embargo_frac * (double)(tmax - tmin));
	if (p->embargo > emb)
		emb = p->embargo;
	rc = model_split_purged(t0, t1, s->n, s->n - n_hold, s->n, emb, mask, &cnt);
	if (rc) {
		seterr(err, errlen, rc, "split failed");
		goto free_all;
	}
	if (cnt.train == 0) {
		rc = seterr(err, errlen, -EINVAL, "no training rows left: the %zu hold-out "
			    "rows' window starts before every training label ends", n_hold);
		goto free_all;
	}
	for (size_t i = 0; i < s->n; i++)
		if (mask[i] == MODEL_SPLIT_TRAIN) {
			rows[ntr++] = i;
			npos += s->y[i] > 0.5f;
		}
	rc = dmat_gather(s, rows, ntr, &dm[0], &xtr, &ytr, err, errlen);
	if (rc)
		goto free_all;
	for (size_t i = 0; i < s->n; i++)
		if (mask[i] == MODEL_SPLIT_TEST) {
			rows[nte++] = i;
			if (t0[i] < w0)
				w0 = t0[i];
			if (t1[i] > w1)
				w1 = t1[i];
		}
	rc = dmat_gather(s, rows, nte, &dm[1], &xte, &yte, err, errlen);
	if (rc)
		goto free_all;

	/* ---- booster */
	for (size_t j = 0; j < s->n_feat; j++) {
		if (s->names)
			snprintf(nbuf[j], MODEL_NAME_MAX, "%s", s->names[j]);
		else
			snprintf(nbuf[j], MODEL_NAME_MAX, "f%zu", j);
		names[j] = nbuf[j];
	}
	XGB_CALL(XGDMatrixSetStrFeatureInfo(dm[0], "feature_name", names, s->n_feat),
		 "DMatrixSetStrFeatureInfo", free_all);
	XGB_CALL(XGDMatrixSetStrFeatureInfo(dm[1], "feature_name", names, s->n_feat),
		 "DMatrixSetStrFeatureInfo", free_all);
	XGB_CALL(XGBoosterCreate(dm, 2, &b), "BoosterCreate", free_all);
	rc = set_params(b, p, err, errlen);
	if (rc)
		goto free_all;
	XGB_CALL(XGBoosterSetStrFeatureInfo(b, "feature_name", names, s->n_feat),
		 "BoosterSetStrFeatureInfo", free_all);

	/* ---- boosting with early stopping on the hold-out loss */
	r.best_loss = INFINITY;
	for (uint32_t it = 0; it < p->n_rounds; it++) {
		const char *res = NULL;

		XGB_CALL(XGBoosterUpdateOneIter(b, (int)it, dm[0]), "UpdateOneIter", free_all);
		XGB_CALL(XGBoosterEvalOneIter(b, (int)it, dm, ev_names, 2, &res),
			 "EvalOneIter", free_all);
		rounds = it + 1;
		r.round = it;
		r.train_loss = eval_value(res, "train");
		r.holdout_loss = eval_value(res, "holdout");
		if (isnan(r.holdout_loss)) {
			rc = seterr(err, errlen, -EIO, "cannot read the hold-out loss in "
				    "XGBoost's evaluation \"%s\"", res);
			goto free_all;
		}
		if (r.holdout_loss < r.best_loss) {
			r.best_loss = r.holdout_loss;
			r.best_round = it;
		}
		if (progress)
			progress(&r, ctx);
		if (p->early_stopping_rounds && it - r.best_round >= p->early_stopping_rounds)
			break;
	}
	/* with early stopping keep rounds 0..best; without, every round */
	if (p->early_stopping_rounds == 0) {
		r.best_round = rounds - 1;
		r.best_loss = r.holdout_loss;
	}
	if (r.best_round + 1 < rounds) {
		BoosterHandle cut = NULL;

		XGB_CALL(XGBoosterSlice(b, 0, (int)r.best_round + 1, 1, &cut), "Slice",
			 free_all);
		XGBoosterFree(b);
		b = cut;
		XGB_CALL(XGBoosterSetStrFeatureInfo(b, "feature_name", names, s->n_feat),
			 "BoosterSetStrFeatureInfo", free_all);
	}
	snprintf(v, sizeof(v), "%u", r.best_round);
	XGB_CALL(XGBoosterSetAttr(b, "best_iteration", v), "SetAttr", free_all);
	snprintf(v, sizeof(v), "%.17g", r.best_loss);
	XGB_CALL(XGBoosterSetAttr(b, "best_score", v), "SetAttr", free_all);
	rc = set_param(b, "nthread", "1", err, errlen);
	if (rc)
		goto free_all;
	t.booster = b;
	b = NULL;
	rc = model_describe(&t, err, errlen);
	if (rc)
		goto free_all;

	/* ---- hold-out metrics and importance */
	if (met) {
		memset(met, 0, sizeof(*met));
		met->params = *p;
		met->n_rows = s->n;
		met->n_train = cnt.train;
		met->n_holdout = cnt.test;
		met->n_purged = cnt.purged;
		met->n_embargoed = cnt.embargoed;
		met->holdout_t0 = w0;
		met->holdout_t1 = w1;
		met->embargo = emb;
		met->rounds_run = rounds;
		met->best_iteration = r.best_round;
		met->best_holdout_loss = r.best_loss;
		met->train_pos_rate = (double)npos / (double)ntr;
		pf = malloc(nte * n_out * sizeof(*pf));
		pd = malloc(nte * n_out * sizeof(*pd));
		if (!pf || !pd) {
			rc = seterr(err, errlen, -ENOMEM, "out of memory");
			goto close_model;
		}
		rc = model_predict(&t, xte, nte, 0, pf, err, errlen);
		if (rc)
			goto close_model;
		for (size_t i = 0; i < nte * n_out; i++)
			pd[i] = pf[i];
		rc = model_eval_probs(pd, yte, nte, n_out, 0.5, &met->holdout);
		if (rc) {
			seterr(err, errlen, rc, "hold-out evaluation failed");
			goto close_model;
		}
		met->n_feat = t.n_feat;
		met->n_trees = t.n_trees;
		for (uint32_t j = 0; j < t.n_feat; j++) {
			snprintf(met->imp[j].name, MODEL_NAME_MAX, "%s", t.feat_names[j]);
			met->imp[j].index = j;
		}
		rc = importance(&t, "total_gain", 1, met->imp, err, errlen);
		if (!rc)
			rc = importance(&t, "gain", 0, met->imp, err, errlen);
		if (rc)
			goto close_model;
		qsort(met->imp, t.n_feat, sizeof(met->imp[0]), cmp_imp);
		e_auc = met->holdout.auc;
		met->auc_near_chance = isnan(e_auc) ? -1 :
				       fabs(e_auc - 0.5) <= MODEL_AUC_CHANCE_BAND;
		constant_columns(s, met);
		met->train_seconds = mono_s() - t_start;
	}
	*m = t;
	goto free_all;
close_model:
	model_close(&t);
free_all:
	if (b)
		XGBoosterFree(b);
	if (dm[0])
		XGDMatrixFree(dm[0]);
	if (dm[1])
		XGDMatrixFree(dm[1]);
	free(pf);
	free(pd);
	free(xtr);
	free(ytr);
	free(xte);
	free(yte);
	free(rows);
	free(mask);
	free(tt);
	return rc;
}

/* ------------------------------------------------------------ metrics file */

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

int model_metrics_write(const struct model_metrics *met, const char *model_path,
			const char *path, char *err, size_t errlen)
{
	const struct model_params *p = &met->params;
	const struct model_eval *e = &met->holdout;
	json_t *root = json_object(), *jp = json_object(), *jh = json_object();
	json_t *ji = json_array(), *jw = json_array(), *jf = json_object(), *jc, *jm;
	char *text = NULL;
	int rc;

	if (!root || !jp || !jh || !ji || !jw || !jf) {
		json_decref(root);
		json_decref(jp);
		json_decref(jh);
		json_decref(ji);
		json_decref(jw);
		json_decref(jf);
		return seterr(err, errlen, -ENOMEM, "out of memory");
	}
	json_object_set_new(root, "model", model_path ? json_string(model_path) : json_null());
	json_object_set_new(root, "objective", json_string(model_objective_name(p->objective)));
	json_object_set_new(root, "num_class", json_integer(p->objective == MODEL_OBJ_MULTI ?
							     p->num_class : 2));
	json_object_set_new(root, "kind", json_string(model_kind_name(p->kind)));
	json_object_set_new(root, "trees", json_integer(met->n_trees));
	json_object_set_new(jp, "max_depth", json_integer(p->max_depth));
	json_object_set_new(jp, "n_rounds", json_integer(p->n_rounds));
	json_object_set_new(jp, "early_stopping_rounds", json_integer(p->early_stopping_rounds));
	json_object_set_new(jp, "eta", json_real(p->eta));
	json_object_set_new(jp, "subsample", json_real(p->subsample));
	json_object_set_new(jp, "colsample_bytree", json_real(p->colsample_bytree));
	json_object_set_new(jp, "colsample_bynode", json_real(p->colsample_bynode));
	json_object_set_new(jp, "num_parallel_tree",
			    json_integer(p->kind == MODEL_KIND_RF ? p->num_parallel_tree : 1));
	json_object_set_new(jp, "min_child_weight", json_real(p->min_child_weight));
	json_object_set_new(jp, "lambda", json_real(p->lambda));
	json_object_set_new(jp, "alpha", json_real(p->alpha));
	json_object_set_new(jp, "gamma", json_real(p->gamma));
	json_object_set_new(jp, "base_score", json_real(p->base_score));
	json_object_set_new(jp, "tree_method", json_string(tree_method_name(p->tree_method)));
	json_object_set_new(jp, "max_bin", json_integer(p->max_bin));
	json_object_set_new(jp, "seed", json_integer(p->seed));
	json_object_set_new(jp, "nthread", json_integer(p->nthread));
	json_object_set_new(jp, "holdout", json_real(p->holdout));
	json_object_set_new(jp, "embargo", json_integer(p->embargo));
	json_object_set_new(jp, "embargo_frac", json_real(p->embargo_frac));
	json_object_set_new(root, "params", jp);
	json_object_set_new(root, "rows", json_integer((json_int_t)met->n_rows));
	json_object_set_new(root, "train_rows", json_integer((json_int_t)met->n_train));
	json_object_set_new(root, "holdout_rows", json_integer((json_int_t)met->n_holdout));
	json_object_set_new(root, "purged_rows", json_integer((json_int_t)met->n_purged));
	json_object_set_new(root, "embargoed_rows", json_integer((json_int_t)met->n_embargoed));
	json_array_append_new(jw, json_integer(met->holdout_t0));
	json_array_append_new(jw, json_integer(met->holdout_t1));
	json_object_set_new(root, "holdout_window", jw);
	json_object_set_new(root, "embargo", json_integer(met->embargo));
	json_object_set_new(root, "rounds_run", json_integer(met->rounds_run));
	json_object_set_new(root, "best_iteration", json_integer(met->best_iteration));
	json_object_set_new(root, "best_holdout_loss", jnum(met->best_holdout_loss));
	json_object_set_new(root, "train_positive_rate",
			    p->objective == MODEL_OBJ_BINARY ? jnum(met->train_pos_rate)
							     : json_null());
	json_object_set_new(root, "train_seconds", jnum(met->train_seconds));
	json_object_set_new(jh, "auc", jnum(e->auc));
	json_object_set_new(jh, "logloss", jnum(e->logloss));
	json_object_set_new(jh, "precision", jnum(e->precision));
	json_object_set_new(jh, "recall", jnum(e->recall));
	json_object_set_new(jh, "accuracy", jnum(e->accuracy));
	json_object_set_new(jh, "threshold", jnum(e->threshold));
	json_object_set_new(jh, "positive_rate", jnum(e->pos_rate));
	if (p->objective == MODEL_OBJ_BINARY) {
		json_object_set_new(jh, "tp", json_integer((json_int_t)e->tp));
		json_object_set_new(jh, "fp", json_integer((json_int_t)e->fp));
		json_object_set_new(jh, "tn", json_integer((json_int_t)e->tn));
		json_object_set_new(jh, "fn", json_integer((json_int_t)e->fn));
	}
	json_object_set_new(root, "holdout", jh);
	for (uint32_t j = 0; j < met->n_feat; j++) {
		json_t *o = json_object();

		if (!o)
			continue;
		json_object_set_new(o, "feature", json_string(met->imp[j].name));
		json_object_set_new(o, "index", json_integer(met->imp[j].index));
		json_object_set_new(o, "total_gain", jnum(met->imp[j].total_gain));
		json_object_set_new(o, "gain", jnum(met->imp[j].gain));
		json_array_append_new(ji, o);
	}
	json_object_set_new(root, "feature_importance", ji);
	json_object_set_new(jf, "rows", json_integer((json_int_t)met->flat_rows));
	json_object_set_new(jf, "max_abs_diff",
			    met->flat_rows ? jnum(met->flat_max_diff) : json_null());
	json_object_set_new(root, "flat_check", jf);
	json_object_set_new(root, "auc_near_chance", met->auc_near_chance < 0 ? json_null() :
			    json_boolean(met->auc_near_chance));
	jc = json_array();
	for (uint32_t j = 0; jc && j < met->n_const; j++)
		json_array_append_new(jc, json_string(met->const_names[j]));
	json_object_set_new(root, "constant_features", jc ? jc : json_null());
	jm = json_object();
	if (jm) {
		const struct model_meta *md = &met->meta;

		json_object_set_new(jm, "target", json_string(md->target));
		json_object_set_new(jm, "weight", json_string(md->weight));
		json_object_set_new(jm, "symbol", json_string(md->symbol));
		json_object_set_new(jm, "tick", json_string(md->tick));
		json_object_set_new(jm, "params_sha256", json_string(md->params_sha256));
		json_object_set_new(jm, "features_file", json_string(md->features_file));
		json_object_set_new(jm, "features_sha256", json_string(md->features_sha256));
		json_object_set_new(jm, "labels_file", json_string(md->labels_file));
		json_object_set_new(jm, "labels_sha256", json_string(md->labels_sha256));
	}
	json_object_set_new(root, "metadata", jm ? jm : json_null());
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(root);
	if (!text)
		return seterr(err, errlen, -ENOMEM, "out of memory");
	size_t len = strlen(text);
	char *t2 = realloc(text, len + 2);
	if (!t2) {
		free(text);
		return seterr(err, errlen, -ENOMEM, "out of memory");
	}
	t2[len] = '\n';
	t2[len + 1] = '\0';
	rc = write_atomic(path, t2, len + 1, err, errlen);
	free(t2);
	return rc;
}
