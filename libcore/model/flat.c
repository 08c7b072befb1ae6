/*
 * flat.c — XGBoost JSON -> flat tree block, its evaluation and its check
 * against XGBoost (flat.h, docs/model.md).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/model/flat.h"
#include "libcore/types.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define ALIGN64(x) (((x) + 63u) & ~(uint64_t)63u)

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

/* ------------------------------------------------------------ parsing */

/* One XGBoost tree's arrays (borrowed from the JSON document). */
struct jtree {
	size_t  n;                 /* nodes in the arrays */
	json_t *left, *right, *feat, *cond, *dleft;
	uint32_t depth;            /* deepest leaf, root = 0 */
	uint32_t reach;            /* nodes reachable from the root */
};

static long long jint(json_t *a, size_t i)
{
	json_t *v = json_array_get(a, i);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	if (json_is_boolean(v))
		return json_is_true(v);
	return -2;
}

static int is_leaf(const struct jtree *t, size_t i)
{
	return jint(t->left, i) == -1;
}

static float cond_of(const struct jtree *t, size_t i)
{
	return (float)json_number_value(json_array_get(t->cond, i));
}

/* The prepared-row index a split node reads (see flat.h). */
static uint32_t off_of(const struct jtree *t, size_t i, uint32_t n_feat)
{
	uint32_t f = (uint32_t)jint(t->feat, i);

	return jint(t->dleft, i) ? f : n_feat + f;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Check tree ti's arrays and structure; fill depth and reach. */
static int tree_read(json_t *jt, size_t ti, uint32_t n_feat, struct jtree *t,
		     size_t *stack, char *err, size_t errlen)
{
	json_t *tp = json_object_get(jt, "tree_param"), *st;
	const char *s;
	size_t sp = 0;

#define CORRUPT(...) return seterr(err, errlen, -DM_ECORRUPT, __VA_ARGS__)
	t->left = json_object_get(jt, "left_children");
	t->right = json_object_get(jt, "right_children");
	t->feat = json_object_get(jt, "split_indices");
	t->cond = json_object_get(jt, "split_conditions");
	t->dleft = json_object_get(jt, "default_left");
	t->n = json_array_size(t->left);
	if (!t->n || json_array_size(t->right) != t->n || json_array_size(t->feat) != t->n ||
	    json_array_size(t->cond) != t->n || json_array_size(t->dleft) != t->n)
		CORRUPT("tree %zu: node arrays missing or of different lengths", ti);
	if ((s = jstr(tp, "size_leaf_vector")) && strcmp(s, "0") != 0)
		CORRUPT("tree %zu: vector leaves (size_leaf_vector %s) not supported", ti, s);
	st = json_object_get(jt, "split_type");
	for (size_t i = 0; i < json_array_size(st); i++)
		if (jint(st, i) != 0)
			CORRUPT("tree %zu node %zu: categorical split not supported", ti, i);
	/* depth-first from the root; a node met twice is a broken tree */
	t->depth = 0;
	t->reach = 0;
	stack[sp++] = 0;             /* node << 8 | depth */
	while (sp) {
		size_t e = stack[--sp], i = e >> 8;
		uint32_t d = (uint32_t)(e & 0xff);
		float c = cond_of(t, i);

		if (++t->reach > t->n)
			CORRUPT("tree %zu: nodes reached more than once", ti);
		if (d > t->depth)
			t->depth = d;
		if (!isfinite(c))
			CORRUPT("tree %zu node %zu: non-finite %s %g", ti, i,
				is_leaf(t, i) ? "leaf value" : "threshold", (double)c);
		if (is_leaf(t, i)) {
			if (jint(t->right, i) != -1)
				CORRUPT("tree %zu node %zu: one child only", ti, i);
			continue;
		}
		long long l = jint(t->left, i), r = jint(t->right, i), f = jint(t->feat, i);
		if (l <= 0 || r <= 0 || (size_t)l >= t->n || (size_t)r >= t->n)
			CORRUPT("tree %zu node %zu: child index out of range", ti, i);
		if (f < 0 || f >= n_feat)
			CORRUPT("tree %zu node %zu: feature %lld outside 0..%u", ti, i, f,
				n_feat - 1);
		if (d >= 250)
			CORRUPT("tree %zu: deeper than 250", ti);
		stack[sp++] = (size_t)l << 8 | (d + 1);
		stack[sp++] = (size_t)r << 8 | (d + 1);
	}
	return 0;
#undef CORRUPT
}

/* ------------------------------------------------------------ filling */

/* Perfect layout: XGBoost node i at heap slot pos (root 1) of level
 * `level`. */
static void fill_perfect(const struct jtree *t, size_t i, uint32_t pos, uint32_t level,
			 uint32_t depth, uint32_t n_feat, struct flat_node *nodes,
			 float *leaves)
{
	if (level == depth) {
		leaves[pos - (1u << depth)] = cond_of(t, i);
		return;
	}
	if (is_leaf(t, i)) {
		/* padding: both sides lead to this leaf's value */
		nodes[pos].thr_key = 0;
		nodes[pos].off = 0;
		fill_perfect(t, i, 2 * pos, level + 1, depth, n_feat, nodes, leaves);
		fill_perfect(t, i, 2 * pos + 1, level + 1, depth, n_feat, nodes, leaves);
		return;
	}
	nodes[pos].thr_key = flat_key(cond_of(t, i)) - 1;
	nodes[pos].off = off_of(t, i, n_feat);
	fill_perfect(t, (size_t)jint(t->left, i), 2 * pos, level + 1, depth, n_feat,
		     nodes, leaves);
	fill_perfect(t, (size_t)jint(t->right, i), 2 * pos + 1, level + 1, depth, n_feat,
		     nodes, leaves);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The binned tables of a filled perfect block (flat.h, "Binned
 * evaluation"): feature f's distinct split keys k_0 < ... < k_(m-1) at
 * off_qkeys + f * FLAT_Q_FEAT_BYTES + 64 (padded with 0xffffffff, never
 * the key of a float), every 16th of them first (the block heads), and
 * per tree the prepared-row index and the split index j of every node
 * slot (padding and unused slots: index 0, split 255: never right).
 * Leaves quant at 0 when a feature has more than FLAT_Q_MAX_THR splits.
 * Returns 0 or -ENOMEM.
 */
static int fill_binned(struct flat *f)
{
	const uint32_t nf = f->n_feat, npt = f->tree_nodes;
	uint8_t *qt = (uint8_t *)f + f->off_qtrees;
	uint8_t *qk = (uint8_t *)f + f->off_qkeys;
	size_t n = 0, first[FLAT_Q_MAX_FEATURES + 1] = { 0 };
	uint64_t *all = malloc(((size_t)f->n_trees * npt + 1) * sizeof(*all));

	if (!all)
		return -ENOMEM;
	for (uint32_t t = 0; t < f->n_trees; t++) {
		const struct flat_node *nd = flat_tree_nodes(f, t);

		for (uint32_t i = 1; i < npt; i++)
			if (!(nd[i].off == 0 && nd[i].thr_key == 0))
				all[n++] = (uint64_t)(nd[i].off % nf) << 32 | (nd[i].thr_key + 1u);
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	/* distinct (feature, key), then each feature's table */
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || all[i] != all[u - 1])
			all[u++] = all[i];
	for (size_t i = 0; i < u; i++)
		first[(all[i] >> 32) + 1]++;
	for (uint32_t j = 0; j < nf; j++) {
		if (first[j + 1] > FLAT_Q_MAX_THR) {
			free(all);
			return 0;             /* not representable: key walk only */
		}
		first[j + 1] += first[j];
	}
	for (uint32_t j = 0; j < nf; j++) {
		uint32_t *head = (uint32_t *)(qk + (size_t)j * FLAT_Q_FEAT_BYTES);
		uint32_t *key = head + 16;

		for (uint32_t i = 0; i < 256; i++)
			key[i] = i < first[j + 1] - first[j] ? (uint32_t)all[first[j] + i]
							     : 0xffffffffu;
		for (uint32_t i = 0; i < 16; i++)
			head[i] = key[16 * i];
	}
	for (uint32_t t = 0; t < f->n_trees; t++) {
		const struct flat_node *nd = flat_tree_nodes(f, t);
		uint8_t *ro = qt + (size_t)t * 128u, *sp = ro + 64;

		memset(sp, 255, 64);
		for (uint32_t i = 1; i < npt; i++) {
			if (nd[i].off == 0 && nd[i].thr_key == 0)
				continue;
			uint64_t want = (uint64_t)(nd[i].off % nf) << 32 | (nd[i].thr_key + 1u);
			const uint64_t *hit = bsearch(&want, all, u, sizeof(*all), cmp_u64);

			ro[i] = (uint8_t)nd[i].off;
			sp[i] = (uint8_t)(hit - all - (ptrdiff_t)first[nd[i].off % nf]);
		}
	}
	free(all);
	f->quant = 1;
	return 0;
}

/* General layout: breadth-first, children adjacent.  q: scratch of
 * t->reach entries.  Returns nodes written. */
static uint32_t fill_general(const struct jtree *t, uint32_t n_feat, struct flat_gnode *g,
			     size_t *q)
{
	uint32_t cnt = 1;

	q[0] = 0;
	for (uint32_t h = 0; h < cnt; h++) {
		size_t i = q[h];

		if (is_leaf(t, i)) {
			g[h] = (struct flat_gnode){ 0, 0, 0, cond_of(t, i) };
			continue;
		}
		g[h] = (struct flat_gnode){ flat_key(cond_of(t, i)) - 1, off_of(t, i, n_feat),
					    cnt, 0.0f };
		q[cnt++] = (size_t)jint(t->left, i);
		q[cnt++] = (size_t)jint(t->right, i);
	}
	return cnt;
}

static int build_doc(json_t *root, struct flat *mem, size_t size, size_t *need,
		     char *err, size_t errlen)
{
	json_t *lrn = json_object_get(root, "learner");
	json_t *mp = json_object_get(lrn, "learner_model_param");
	json_t *gm = json_object_get(json_object_get(lrn, "gradient_booster"), "model");
	json_t *trees = json_object_get(gm, "trees"), *info = json_object_get(gm, "tree_info");
	const char *obj = jstr(json_object_get(lrn, "objective"), "name");
	const char *gb = jstr(json_object_get(lrn, "gradient_booster"), "name");
	const char *s;
	struct jtree *jt = NULL;
	size_t *stack = NULL, nt, max_n = 0;
	uint64_t n_gnodes = 0, hdr, body, total;
	uint32_t n_feat, n_out, objective, depth = 0, layout;
	long nf, nc;
	float bs, bm;
	int rc = 0;

#define CORRUPT(...) do { rc = seterr(err, errlen, -DM_ECORRUPT, __VA_ARGS__); goto out; } while (0)
	if (!obj || !gb || !mp || !json_is_array(trees) || !json_is_array(info))
		CORRUPT("not an XGBoost 1.7 JSON model (learner, objective, trees missing)");
	if (strcmp(gb, "gbtree") != 0)
		CORRUPT("booster %s not supported: gbtree only", gb);
	nf = jstr(mp, "num_feature") ? strtol(jstr(mp, "num_feature"), NULL, 10) : 0;
	nc = jstr(mp, "num_class") ? strtol(jstr(mp, "num_class"), NULL, 10) : 0;
	if ((s = jstr(mp, "num_target")) && strcmp(s, "1") != 0)
		CORRUPT("multi-target models (num_target %s) not supported", s);
	if (nf < 1 || nf > (long)FLAT_MAX_FEATURES)
		CORRUPT("%ld features: 1..%u supported", nf, FLAT_MAX_FEATURES);
	n_feat = (uint32_t)nf;
	s = jstr(mp, "base_score");
	if (!s)
		CORRUPT("no base_score");
	bs = strtof(s, NULL);
	if (!strcmp(obj, "binary:logistic")) {
		if (!(bs > 0.0f && bs < 1.0f))
			CORRUPT("base_score %s outside (0, 1)", s);
		objective = MODEL_OBJ_BINARY;
		n_out = 1;
		/* XGBoost 1.7 LogisticRegression::ProbToMargin, in float */
		bm = -logf(1.0f / bs - 1.0f);
	} else if (!strcmp(obj, "multi:softprob") && nc >= 2 && nc <= (long)FLAT_MAX_OUT) {
		objective = MODEL_OBJ_MULTI;
		n_out = (uint32_t)nc;
		bm = bs;            /* softmax objectives keep base_score as is */
	} else {
		CORRUPT("objective %s (num_class %ld) not supported", obj, nc);
	}
	nt = json_array_size(trees);
	if (json_array_size(info) != nt || nt > FLAT_MAX_TREES)
		CORRUPT("%zu trees, %zu tree_info entries (at most %u trees)", nt,
			json_array_size(info), FLAT_MAX_TREES);
	/* a forest (num_parallel_tree > 1) is the same list of trees, each
	 * tagged with its output in tree_info: the count is all it states */
	s = jstr(json_object_get(gm, "gbtree_model_param"), "num_trees");
	if (s && strtoull(s, NULL, 10) != nt)
		CORRUPT("gbtree_model_param.num_trees %s, %zu trees", s, nt);
	if (nt) {
		jt = calloc(nt, sizeof(*jt));
		if (!jt) {
			rc = seterr(err, errlen, -ENOMEM, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < nt; i++) {
		size_t n = json_array_size(json_object_get(json_array_get(trees, i),
							   "left_children"));
		if (n > max_n)
			max_n = n;
	}
	stack = malloc((max_n + 2) * sizeof(*stack));
	if (!stack) {
		rc = seterr(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nt; i++) {
		long long c = jint(info, i);

		if (c < 0 || c >= n_out)
			CORRUPT("tree %zu: output %lld outside 0..%u", i, c, n_out - 1);
		rc = tree_read(json_array_get(trees, i), i, n_feat, &jt[i], stack, err, errlen);
		if (rc)
			goto out;
		if (jt[i].depth > depth)
			depth = jt[i].depth;
		n_gnodes += jt[i].reach;
	}

	/* ---- sizes */
	layout = depth <= FLAT_PERFECT_MAX_DEPTH ? FLAT_PERFECT : FLAT_GENERAL;
	hdr = ALIGN64(sizeof(struct flat));
	/* cppcheck-suppress duplicateAssignExpression
	 * (two counts that are equal in a perfect tree, named apart) */
	uint32_t npt = 1u << depth, lpt = 1u << depth;   /* node slots, leaves */
	uint64_t tree_bytes = ALIGN64((uint64_t)npt * sizeof(struct flat_node) +
				      (uint64_t)lpt * sizeof(float));
	if (layout == FLAT_PERFECT)
		body = (uint64_t)nt * tree_bytes;
	else
		body = ALIGN64(n_gnodes * sizeof(struct flat_gnode)) +
		       ALIGN64((uint64_t)nt * sizeof(uint32_t));
	total = hdr + body + ALIGN64(nt ? nt : 1);
	/* binned tables: room is kept whenever the shape allows them; they
	 * are filled when every feature has at most FLAT_Q_MAX_THR splits */
	int qfit = layout == FLAT_PERFECT && depth >= 1 && depth <= FLAT_Q_MAX_DEPTH &&
		   n_feat <= FLAT_Q_MAX_FEATURES && nt >= FLAT_Q_MIN_TREES;
	uint64_t off_q = total;
	if (qfit)
		total += (uint64_t)nt * 128u + (uint64_t)n_feat * FLAT_Q_FEAT_BYTES;
	if (need)
		*need = total;
	if (!mem || size < total) {
		rc = -ENOSPC;
		seterr(err, errlen, rc, "flat model needs %llu bytes, %zu given",
		       (unsigned long long)total, size);
		goto out;
	}
	if ((uintptr_t)mem & 63u) {
		rc = seterr(err, errlen, -EINVAL, "flat model memory not 64-byte aligned");
		goto out;
	}

	/* ---- fill */
	memset(mem, 0, total);
	mem->magic = FLAT_MAGIC;
	mem->size = total;
	mem->layout = layout;
	mem->objective = objective;
	mem->n_feat = n_feat;
	mem->n_out = n_out;
	mem->n_trees = (uint32_t)nt;
	mem->depth = depth;
	mem->base_margin = bm;
	mem->base_score = bs;
	mem->off_trees = hdr;
	uint8_t *cls = (uint8_t *)mem + hdr + body;
	mem->off_class = hdr + body;
	for (size_t i = 0; i < nt; i++)
		cls[i] = (uint8_t)jint(info, i);
	if (layout == FLAT_PERFECT) {
		mem->tree_nodes = npt;
		mem->tree_leaves = lpt;
		mem->tree_bytes = tree_bytes;
		for (size_t i = 0; i < nt; i++) {
			uint8_t *tb = (uint8_t *)mem + hdr + i * tree_bytes;

			fill_perfect(&jt[i], 0, 1, 0, depth, n_feat, (struct flat_node *)tb,
				     (float *)(void *)(tb + (size_t)npt * sizeof(struct flat_node)));
		}
		if (qfit) {
			mem->off_qtrees = off_q;
			mem->off_qkeys = off_q + (uint64_t)nt * 128u;
			rc = fill_binned(mem);
			if (rc) {
				rc = seterr(err, errlen, rc, "out of memory");
				goto out;
			}
		}
	} else {
		struct flat_gnode *g = (struct flat_gnode *)((uint8_t *)mem + hdr);
		uint32_t *roots;
		uint64_t at = 0;

		mem->n_gnodes = n_gnodes;
		mem->off_root = hdr + ALIGN64(n_gnodes * sizeof(struct flat_gnode));
		roots = (uint32_t *)((uint8_t *)mem + mem->off_root);
		for (size_t i = 0; i < nt; i++) {
			roots[i] = (uint32_t)at;
			at += fill_general(&jt[i], n_feat, g + at, stack);
		}
	}
	rc = 0;
out:
	free(stack);
	free(jt);
	return rc;
#undef CORRUPT
}

static json_t *parse(const char *json, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);

	if (!root)
		seterr(err, errlen, -DM_ECORRUPT, "model JSON: %s at line %d column %d",
		       je.text, je.line, je.column);
	return root;
}

size_t flat_memsize(const char *json, size_t len, char *err, size_t errlen)
{
	json_t *root = parse(json, len, err, errlen);
	size_t need = 0;

	if (!root)
		return 0;
	if (build_doc(root, NULL, 0, &need, err, errlen) != -ENOSPC)
		need = 0;
	json_decref(root);
	return need;
}

int flat_init(struct flat *mem, size_t size, const char *json, size_t len, char *err,
	      size_t errlen)
{
	json_t *root;
	int rc;

	if (!mem || ((uintptr_t)mem & 63u))
		return seterr(err, errlen, -EINVAL, "flat model memory NULL or not 64-byte "
			      "aligned");
	root = parse(json, len, err, errlen);
	if (!root)
		return -DM_ECORRUPT;
	rc = build_doc(root, mem, size, NULL, err, errlen);
	json_decref(root);
	return rc;
}

int flat_create(struct flat **out, const struct model *m, char *err, size_t errlen)
{
	const char *js = NULL;
	size_t len = 0, need = 0;
	struct flat *f;
	json_t *root;
	int rc;

	*out = NULL;
	rc = model_json(m, &js, &len, err, errlen);
	if (rc)
		return rc;
	root = parse(js, len, err, errlen);
	if (!root)
		return -DM_ECORRUPT;
	rc = build_doc(root, NULL, 0, &need, err, errlen);
	if (rc != -ENOSPC)
		goto out;
	f = aligned_alloc(64, need);
	if (!f) {
		rc = seterr(err, errlen, -ENOMEM, "out of memory for %zu bytes", need);
		goto out;
	}
	rc = build_doc(root, f, need, NULL, err, errlen);
	if (rc)
		free(f);
	else
		*out = f;
out:
	json_decref(root);
	return rc;
}

void flat_free(struct flat *f)
{
	free(f);
}

void flat_prefetch(const struct flat *f)
{
	const uint8_t *p = (const uint8_t *)f;

	for (uint64_t off = 0; off < f->size; off += 64)
		__builtin_prefetch(p + off, 0, 3);
}

/* ------------------------------------------------------------ evaluation */

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* The row twice as keys: NaN keyed 0 (read by default-left nodes: below
 * every threshold), then NaN keyed 0xffffffff (default-right nodes). */
static ALWAYS_INLINE void prep_f32(const float *x, uint32_t nf, uint32_t *xk)
{
	for (uint32_t i = 0; i < nf; i++) {
		float v = x[i];
		uint32_t k = flat_key(v);
		int miss = v != v;

		xk[i] = miss ? 0u : k;
		xk[nf + i] = miss ? 0xffffffffu : k;
	}
}

static ALWAYS_INLINE void prep_f64(const double *x, uint32_t nf, uint32_t *xk)
{
	for (uint32_t i = 0; i < nf; i++) {
		float v = (float)x[i];
		uint32_t k = flat_key(v);
		int miss = v != v;

		xk[i] = miss ? 0u : k;
		xk[nf + i] = miss ? 0xffffffffu : k;
	}
}

/*
 * One step down a perfect tree: slot p of the node array at nb goes to
 * 2p + (x goes right).  x86-64 gets the four instructions the step needs
 * (compilers emit a setb/movzx/lea chain instead of the add with carry):
 * load the offset, load the row's key, compare it with the node's key
 * (carry set when the row's key is greater: right), p = p + p + carry.
 */
#if defined(__x86_64__)
struct flat_row_keys {
	uint32_t k[2 * FLAT_MAX_FEATURES];
};

static ALWAYS_INLINE uint64_t step(const struct flat_node *nb, uint64_t p, const uint32_t *xk)
{
	uint32_t o;

	__asm__("movl %[off], %[o]\n\t"
		"movl (%[xk],%q[o],4), %[o]\n\t"
		"cmpl %[o], %[thr]\n\t"
		"adcq %[p], %[p]"
		: [p] "+r"(p), [o] "=&r"(o)
		: [off] "m"(nb[p].off), [thr] "m"(nb[p].thr_key), [xk] "r"(xk),
		  "m"(*(const struct flat_row_keys *)xk)
		: "cc");
	return p;
}
#else
static ALWAYS_INLINE uint64_t step(const struct flat_node *nb, uint64_t p, const uint32_t *xk)
{
	return 2 * p + (xk[nb[p].off] > nb[p].thr_key);
}
#endif

/*
 * Perfect layout, depth D and tree stride S known at compile time in each
 * instantiation, so a node's address is tree base + constant + slot * 8
 * and the FLAT_GROUP walks stay in registers.  The walks go level by
 * level across the group so the out-of-order core overlaps their load
 * chains (one level is about 10 cycles of latency: node, row key,
 * compare, carry).  acc[] is added to in tree order, as XGBoost does.
 */
static ALWAYS_INLINE void walk_perfect(const struct flat *f, const uint32_t *xk, float *acc,
				       const uint32_t D, const size_t S, const int multi)
{
	const uint8_t *base = (const uint8_t *)f + f->off_trees;
	const uint8_t *cls = (const uint8_t *)f + f->off_class;
	const uint32_t nt = f->n_trees;
	/* leaf of final slot p (2^D .. 2^(D+1) - 1): after the 2^D node
	 * slots, at index p - 2^D */
	const size_t lo = ((size_t)1 << D) * sizeof(struct flat_node) -
			  ((size_t)1 << D) * sizeof(float);
	uint32_t t = 0;

	for (; t + FLAT_GROUP <= nt; t += FLAT_GROUP) {
		const uint8_t *tb = base + (size_t)t * S;
		uint64_t p[FLAT_GROUP];     /* 64-bit: used in addresses as is */

#pragma GCC unroll 16
		for (uint32_t g = 0; g < FLAT_GROUP; g++)
			p[g] = 1;
#pragma GCC unroll 8
		for (uint32_t d = 0; d < D; d++) {
#pragma GCC unroll 16
			for (uint32_t g = 0; g < FLAT_GROUP; g++)
				p[g] = step((const struct flat_node *)(tb + g * S), p[g], xk);
		}
#pragma GCC unroll 16
		for (uint32_t g = 0; g < FLAT_GROUP; g++) {
			float v = *(const float *)(const void *)(tb + g * S + lo +
							       (size_t)p[g] * sizeof(float));

			acc[multi ? cls[t + g] : 0] += v;
		}
	}
	for (; t < nt; t++) {
		const uint8_t *tb = base + (size_t)t * S;
		uint64_t p = 1;

		for (uint32_t d = 0; d < D; d++)
			p = step((const struct flat_node *)tb, p, xk);
		acc[multi ? cls[t] : 0] +=
			*(const float *)(const void *)(tb + lo + (size_t)p * sizeof(float));
	}
}

static void walk_general(const struct flat *f, const uint32_t *xk, float *acc)
{
	const struct flat_gnode *g = (const struct flat_gnode *)((const uint8_t *)f +
								 f->off_trees);
	const uint32_t *roots = (const uint32_t *)((const uint8_t *)f + f->off_root);
	const uint8_t *cls = (const uint8_t *)f + f->off_class;

	for (uint32_t t = 0; t < f->n_trees; t++) {
		const struct flat_gnode *tn = g + roots[t];
		uint32_t i = 0;

		while (tn[i].left)
			i = tn[i].left + (xk[tn[i].off] > tn[i].thr_key);
		acc[cls[t]] += tn[i].leaf;
	}
}

/* Tree stride of a perfect tree of depth D (as build_doc computes it). */
#define STRIDE(D) ALIGN64((1u << (D)) * (sizeof(struct flat_node) + sizeof(float)))

#define CASE_D(D)                                                        \
	case D:                                                          \
		if (multi)                                               \
			walk_perfect(f, xk, acc, D, STRIDE(D), 1);       \
		else                                                     \
			walk_perfect(f, xk, acc, D, STRIDE(D), 0);       \
		break;

static void walk(const struct flat *f, const uint32_t *xk, float *acc)
{
	const int multi = f->n_out > 1;

	if (f->layout != FLAT_PERFECT) {
		walk_general(f, xk, acc);
		return;
	}
	switch (f->depth) {
	case 0: {
		/* leaves only: one leaf per tree */
		const uint8_t *cls = (const uint8_t *)f + f->off_class;

		for (uint32_t t = 0; t < f->n_trees; t++)
			acc[cls[t]] += flat_tree_leaves(f, t)[0];
		break;
	}
	CASE_D(1) CASE_D(2) CASE_D(3) CASE_D(4)
	CASE_D(5) CASE_D(6) CASE_D(7) CASE_D(8)
	default:
		break;
	}
}
_Static_assert(FLAT_PERFECT_MAX_DEPTH == 8, "walk() has a case per perfect depth");

/*
 * Binned evaluation (flat.h): x86-64 with AVX-512 VBMI, chosen per call.
 *
 * Exactness.  Let k_0 < ... < k_(m-1) be feature f's distinct split keys
 * (m <= 255) and bin(x) = #{i : k_i <= flat_key(x)} for x not NaN.  Keys
 * are sorted, so {i : k_i <= flat_key(x)} is the prefix 0 .. bin(x) - 1,
 * and for the node whose key is k_j:
 *     x goes right  <=>  flat_key(x) > k_j - 1  <=>  k_j <= flat_key(x)
 *                   <=>  j < bin(x)
 * the key walk's test, hence XGBoost's.  A default-left NaN reads byte 0
 * (0 > j never holds), a default-right NaN byte 255 (> j for every
 * j <= 254); padding slots hold j = 255 (never right: both sides carry
 * the same leaves).
 */
#if defined(__x86_64__)
#define Q_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi,popcnt")))
#define Q_CHUNK  64u   /* trees whose leaf offsets are held at once */

static int q_cpu(void)
{
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vbmi");
}

/* bin(v) for feature table qk (flat.h) and key = flat_key(v), v not NaN:
 * the block heads give the 16-key block holding the last split key <= key,
 * then that block gives the count. */
static Q_TARGET ALWAYS_INLINE uint32_t q_bin(const uint8_t *qk, uint32_t key)
{
	__m512i k = _mm512_set1_epi32((int)key);
	__m512i head = _mm512_load_si512((const void *)qk);
	uint32_t c1 = (uint32_t)__builtin_popcount(_mm512_cmple_epu32_mask(head, k));
	uint32_t blk = c1 - (c1 != 0);
	__m512i keys = _mm512_load_si512((const void *)(qk + 64 + 64 * blk));

	return 16 * blk + (uint32_t)__builtin_popcount(_mm512_cmple_epu32_mask(keys, k));
}

/* The binned row: byte f = bin or 0 for NaN (default-left nodes), byte
 * n_feat + f = bin or 255 for NaN (default-right nodes). */
static Q_TARGET ALWAYS_INLINE void q_prep(const struct flat *f, float v, uint32_t j,
					  uint8_t *rb)
{
	const uint8_t *qk = (const uint8_t *)f + f->off_qkeys + (size_t)j * FLAT_Q_FEAT_BYTES;
	uint32_t u, miss, b;

	/* flat_key without branches (a row's signs are random): -0 as +0,
	 * then flip; a NaN's bin is computed and masked off */
	memcpy(&u, &v, sizeof(u));
	miss = (u & 0x7fffffffu) > 0x7f800000u;
	u &= -(uint32_t)(u != 0x80000000u);
	u ^= (uint32_t)((int32_t)u >> 31) | 0x80000000u;
	b = q_bin(qk, u);
	rb[j] = (uint8_t)(b & (miss - 1u));
	rb[f->n_feat + j] = (uint8_t)(b | (0u - miss));
}

/* Lane g of m = the right-going mask of the tree whose binned slots are
 * at q: bit p set when slot p's row byte exceeds its split index. */
static Q_TARGET ALWAYS_INLINE __m512i q_lane(__m512i m, const uint8_t *q, __m512i row,
					     uint32_t g)
{
	__m512i xb = _mm512_permutexvar_epi8(_mm512_load_si512((const void *)q), row);
	uint64_t r = _mm512_cmpgt_epu8_mask(xb, _mm512_load_si512((const void *)(q + 64)));

	return _mm512_mask_set1_epi64(m, (__mmask8)(1u << g), (long long)r);
}

/*
 * Per tree: gather each node slot's row byte (vpermb over the 64-byte
 * row), compare with the slot's split index: bit p of a 64-bit mask says
 * slot p goes right.  Then 8 trees at a time descend their masks in
 * vector lanes (p = 2p + bit p, depth times) and give the leaf's byte
 * offset; the leaves are added in tree order.
 */
static Q_TARGET ALWAYS_INLINE void q_walk_d(const struct flat *f, const uint8_t *rb,
					    float *acc, const uint32_t D)
{
	const uint8_t *qt = (const uint8_t *)f + f->off_qtrees;
	const uint8_t *base = (const uint8_t *)f + f->off_trees;
	const uint8_t *cls = (const uint8_t *)f + f->off_class;
	const uint32_t nt = f->n_trees, multi = f->n_out > 1;
	const uint64_t S = f->tree_bytes;
	const uint64_t lo = ((uint64_t)1 << D) * (sizeof(struct flat_node) - sizeof(float));
	const __m512i row = _mm512_loadu_si512((const void *)rb);
	const __m512i one = _mm512_set1_epi64(1);
	const __m512i lane = _mm512_set_epi64((long long)(7 * S + lo), (long long)(6 * S + lo),
					      (long long)(5 * S + lo), (long long)(4 * S + lo),
					      (long long)(3 * S + lo), (long long)(2 * S + lo),
					      (long long)(1 * S + lo), (long long)lo);
	uint64_t lv[Q_CHUNK] __attribute__((aligned(64))); /* leaf byte offsets */
	float sum = acc[0];     /* binary: in a register, not through memory */

	for (uint32_t c0 = 0; c0 < nt; c0 += Q_CHUNK) {
		const uint32_t nc = nt - c0 < Q_CHUNK ? nt - c0 : Q_CHUNK;

		/* the chunk's leaf values, 8 trees a step, before any is added:
		 * the adds (one chain, in tree order) then never wait on a walk */
		for (uint32_t i = 0; i < nc; i += 8) {
			const uint32_t k = nc - i < 8 ? nc - i : 8;
			const uint8_t *q = qt + (size_t)(c0 + i) * 128u;
			__m512i m = _mm512_setzero_si512(), p = one;

			/* lane g: tree c0 + i + g's mask, built in registers (a
			 * store and a wider reload would wait for the store to
			 * retire) */
			if (k == 8) {
#pragma GCC unroll 8
				for (uint32_t g = 0; g < 8; g++)
					m = q_lane(m, q + 128 * g, row, g);
			} else {
				for (uint32_t g = 0; g < k; g++)
					m = q_lane(m, q + 128 * g, row, g);
			}
			/* p = 2p | (bit p of m): 0xf8 is a | (b & c) */
#pragma GCC unroll 8
			for (uint32_t d = 0; d < D; d++)
				p = _mm512_ternarylogic_epi64(_mm512_slli_epi64(p, 1),
							      _mm512_srlv_epi64(m, p), one, 0xf8);
			p = _mm512_add_epi64(_mm512_slli_epi64(p, 2), lane);
			p = _mm512_add_epi64(p, _mm512_set1_epi64((long long)((c0 + i) * S)));
			_mm512_store_si512((void *)(lv + i), p);
		}
		if (multi) {
			for (uint32_t i = 0; i < nc; i++)
				acc[cls[c0 + i]] += *(const float *)(base + lv[i]);
		} else {
#pragma GCC unroll 8
			for (uint32_t i = 0; i < nc; i++)
				sum += *(const float *)(base + lv[i]);
		}
	}
	acc[0] = multi ? acc[0] : sum;
}

/* q_walk_d with the depth (1 .. FLAT_Q_MAX_DEPTH) a constant. */
static Q_TARGET void q_walk(const struct flat *f, const uint8_t *rb, float *acc)
{
	switch (f->depth) {
	case 1: q_walk_d(f, rb, acc, 1); break;
	case 2: q_walk_d(f, rb, acc, 2); break;
	case 3: q_walk_d(f, rb, acc, 3); break;
	case 4: q_walk_d(f, rb, acc, 4); break;
	case 5: q_walk_d(f, rb, acc, 5); break;
	default: q_walk_d(f, rb, acc, 6); break;
	}
}
_Static_assert(FLAT_Q_MAX_DEPTH == 6, "q_walk() has a case per binned depth");

static Q_TARGET void q_margin_f32(const struct flat *f, const float *x, float *acc)
{
	uint8_t rb[64] __attribute__((aligned(64))) = { 0 };

	for (uint32_t j = 0; j < f->n_feat; j++)
		q_prep(f, x[j], j, rb);
	q_walk(f, rb, acc);
}

static Q_TARGET void q_margin_f64(const struct flat *f, const double *x, float *acc)
{
	uint8_t rb[64] __attribute__((aligned(64))) = { 0 };

	for (uint32_t j = 0; j < f->n_feat; j++)
		q_prep(f, (float)x[j], j, rb);
	q_walk(f, rb, acc);
}

static int use_q(const struct flat *f)
{
	return f->quant && q_cpu();
}
#else
static int use_q(const struct flat *f)
{
	(void)f;
	return 0;
}

static void q_margin_f32(const struct flat *f, const float *x, float *acc)
{
	(void)f, (void)x, (void)acc;
}

static void q_margin_f64(const struct flat *f, const double *x, float *acc)
{
	(void)f, (void)x, (void)acc;
}
#endif

/* Margins by the key walk whatever the block and CPU offer (flat_verify
 * checks both ways). */
static void margin_keys(const struct flat *f, const float *x, float *margin)
{
	uint32_t xk[2 * FLAT_MAX_FEATURES];
	float acc[FLAT_MAX_OUT];

	prep_f32(x, f->n_feat, xk);
	for (uint32_t k = 0; k < f->n_out; k++)
		acc[k] = f->base_margin;
	walk(f, xk, acc);
	for (uint32_t k = 0; k < f->n_out; k++)
		margin[k] = acc[k];
}

void flat_margin(const struct flat *f, const float *x, float *margin)
{
	float acc[FLAT_MAX_OUT];

	if (!use_q(f)) {
		margin_keys(f, x, margin);
		return;
	}
	for (uint32_t k = 0; k < f->n_out; k++)
		acc[k] = f->base_margin;
	q_margin_f32(f, x, acc);
	for (uint32_t k = 0; k < f->n_out; k++)
		margin[k] = acc[k];
}

void flat_margin_batch(const struct flat *f, const float *x, size_t n, float *margin)
{
	for (size_t i = 0; i < n; i++)
		flat_margin(f, x + i * f->n_feat, margin + i * f->n_out);
}

uint32_t flat_predict(const struct flat *f, const double *x, double *out)
{
	uint32_t xk[2 * FLAT_MAX_FEATURES];
	float acc[FLAT_MAX_OUT];
	const uint32_t k = f->n_out;

	for (uint32_t j = 0; j < k; j++)
		acc[j] = f->base_margin;
	if (use_q(f)) {
		q_margin_f64(f, x, acc);
	} else {
		prep_f64(x, f->n_feat, xk);
		walk(f, xk, acc);
	}
	if (k == 1) {
		out[0] = 1.0 / (1.0 + exp(-(double)acc[0]));
		return 1;
	}
	double mx = acc[0], sum = 0;
	for (uint32_t j = 1; j < k; j++)
		if (acc[j] > mx)
			mx = acc[j];
	for (uint32_t j = 0; j < k; j++) {
		out[j] = exp((double)acc[j] - mx);
		sum += out[j];
	}
	for (uint32_t j = 0; j < k; j++)
		out[j] /= sum;
	return k;
}

/* ------------------------------------------------------------ verification */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return (rng_next(s) >> 11) % n;
}

/* Split nodes of f (padding excluded), at most. */
static size_t count_nodes(const struct flat *f)
{
	return f->layout == FLAT_PERFECT ? (size_t)f->n_trees * f->tree_nodes
					 : (size_t)f->n_gnodes;
}

/* Every split of f as (feature, threshold), padding nodes excluded. */
static size_t collect_splits(const struct flat *f, uint32_t *feat, float *thr)
{
	size_t k = 0;

	if (f->layout == FLAT_PERFECT) {
		for (uint32_t t = 0; t < f->n_trees; t++) {
			const struct flat_node *nd = flat_tree_nodes(f, t);

			for (uint32_t i = 1; i < f->tree_nodes; i++) {
				if (nd[i].off == 0 && nd[i].thr_key == 0)
					continue;      /* padding */
				feat[k] = nd[i].off % f->n_feat;
				thr[k++] = flat_key_float(nd[i].thr_key + 1);
			}
		}
	} else {
		const struct flat_gnode *g = (const struct flat_gnode *)((const uint8_t *)f +
									 f->off_trees);

		for (uint64_t i = 0; i < f->n_gnodes; i++)
			if (g[i].left) {
				feat[k] = g[i].off % f->n_feat;
				thr[k++] = flat_key_float(g[i].thr_key + 1);
			}
	}
	return k;
}

int flat_verify(const struct flat *f, const struct model *m, const float *rows,
		size_t n_rows, size_t n_check, double tol, uint64_t seed,
		struct flat_check *out, char *err, size_t errlen)
{
	const uint32_t nf = f->n_feat, k = f->n_out;
	struct flat_check c = { 0, 0, 0, 0.0 };
	size_t n_split, worst = 0, wk = 0, cap, first[FLAT_MAX_FEATURES + 1] = { 0 };
	uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ULL;
	float *x = NULL, *mx = NULL, *mf = NULL, *mk = NULL, *thr = NULL, *by = NULL;
	uint32_t *feat = NULL;
	int rc = 0;

	if (f->magic != FLAT_MAGIC)
		return seterr(err, errlen, -EINVAL, "not a flat model");
	if (nf != m->n_feat || k != m->n_out)
		return seterr(err, errlen, -EINVAL, "flat model has %u features and %u "
			      "outputs, XGBoost's %u and %u", nf, k, m->n_feat, m->n_out);
	if (n_check == 0)
		n_check = 1;
	cap = count_nodes(f) + 1;
	x = malloc(n_check * nf * sizeof(float));
	mx = malloc(n_check * k * sizeof(float));
	mf = malloc(n_check * k * sizeof(float));
	mk = malloc(n_check * k * sizeof(float));
	thr = malloc(cap * sizeof(float));
	by = malloc(cap * sizeof(float));
	feat = malloc(cap * sizeof(uint32_t));
	if (!x || !mx || !mf || !mk || !thr || !by || !feat) {
		rc = seterr(err, errlen, -ENOMEM, "out of memory");
		goto free_all;
	}
	/* thresholds grouped by feature: by[first[j] .. first[j + 1]) */
	n_split = collect_splits(f, feat, thr);
	for (size_t i = 0; i < n_split; i++)
		first[feat[i] + 1]++;
	for (uint32_t j = 0; j < nf; j++)
		first[j + 1] += first[j];
	{
		size_t fill[FLAT_MAX_FEATURES];

		memcpy(fill, first, nf * sizeof(size_t));
		for (size_t i = 0; i < n_split; i++)
			by[fill[feat[i]]++] = thr[i];
	}
	for (size_t r = 0; r < n_check; r++) {
		float *row = x + r * nf;
		int from_sample = rows && n_rows && r % 2 == 0;

		if (rows && n_rows)
			memcpy(row, rows + rng_below(&s, n_rows) * nf, nf * sizeof(float));
		else
			for (uint32_t j = 0; j < nf; j++)
				row[j] = 0.0f;
		if (from_sample) {
			for (uint32_t j = 0; j < nf; j++)
				if (rng_below(&s, 10) == 0)
					row[j] = NAN;
			continue;
		}
		/* edges: each feature at one of its split thresholds, a float
		 * step either side, or missing; some keep the base value */
		for (uint32_t j = 0; j < nf; j++) {
			size_t nj = first[j + 1] - first[j];
			uint64_t u = rng_below(&s, 8);
			float t;

			if (u == 0) {
				row[j] = NAN;
				continue;
			}
			if (nj == 0 || u == 7)
				continue;
			t = by[first[j] + rng_below(&s, nj)];
			row[j] = u <= 2 ? t : u <= 4 ? nextafterf(t, -INFINITY)
						 : nextafterf(t, INFINITY);
		}
	}
	rc = model_predict(m, x, n_check, 1, mx, err, errlen);
	if (rc)
		goto free_all;
	/* the evaluation flat_margin uses here, then the key walk if that
	 * was the binned one: a block must be right whichever way it runs */
	flat_margin_batch(f, x, n_check, mf);
	for (size_t r = 0; r < n_check; r++)
		margin_keys(f, x + r * nf, mk + r * k);
	c.rows = n_check;
	c.outputs = n_check * k;
	for (size_t i = 0; i < n_check * k; i++) {
		double d = fabs((double)mf[i] - (double)mx[i]);
		double dk = fabs((double)mk[i] - (double)mx[i]);

		if (mf[i] == mx[i] && mk[i] == mx[i])
			c.exact++;
		if (isnan(mf[i]) != isnan(mx[i]) || isnan(mk[i]) != isnan(mx[i]))
			d = INFINITY;
		if (dk > d) {
			d = dk;
			mf[i] = mk[i];        /* the worse of the two is reported */
		}
		if (d > c.max_diff) {
			c.max_diff = d;
			worst = i / k;
			wk = i % k;
		}
	}
	if (!(c.max_diff <= tol)) {
		size_t i = worst * k + wk;

		rc = seterr(err, errlen, -DM_ECORRUPT, "flat model differs from XGBoost: "
			    "row %zu output %zu: flat %.9g, XGBoost %.9g (|diff| %.3g > %.3g; "
			    "%zu of %zu outputs equal)", worst, wk, (double)mf[i],
			    (double)mx[i], c.max_diff, tol, c.exact, c.outputs);
	}
free_all:
	if (out)
		*out = c;
	free(x);
	free(mx);
	free(mf);
	free(mk);
	free(thr);
	free(by);
	free(feat);
	return rc;
}
