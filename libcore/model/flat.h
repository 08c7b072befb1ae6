/*
 * flat.h — the trees of a loaded XGBoost model flattened into one block of
 * plain arrays, evaluated without XGBoost, allocation or system calls
 * (docs/model.md, "The flat model").
 *
 * Design note.  flat_init parses the model's JSON (XGBoost 1.7 schema)
 * at start-up into a block the caller hands in:
 *
 *   flat_memsize(json)  ->  mem = 64-byte aligned  ->  flat_init(mem, json)
 *   ->  flat_verify(...)  ->  flat_predict ... per event
 *
 * (flat_create does the first three with one allocation.)  The block is a
 * header followed by arrays the header finds by byte offsets, never
 * pointers, so it may be copied or placed in shared memory.  Once built it
 * is never written: any number of threads may evaluate it at once, and a
 * new model is swapped in by publishing a pointer to a new block (release
 * store, acquire load) and freeing the old one after its last reader.
 *
 * Layout.  When every tree is at most FLAT_PERFECT_MAX_DEPTH deep (the
 * usual case, max_depth 6), each tree is padded to a perfect tree of the
 * model's largest depth D: internal nodes 1 .. 2^D - 1 in breadth-first
 * order (a heap: children of node i at 2i and 2i + 1; slot 0 unused),
 * then the 2^D leaf values, one tree contiguous in 64-byte aligned memory
 * (768 bytes for D = 6).  An XGBoost leaf above the last level becomes
 * padding nodes whose leaves all hold its value, so the walk is always
 * exactly D steps with no branch on the data: i = 2i + (x goes right),
 * and the leaf is leaves[i - 2^D].  FLAT_GROUP trees are walked
 * interleaved so their independent load chains overlap.  Deeper models
 * use the general layout: 16-byte nodes, breadth-first per tree, with the
 * two children of a node adjacent.
 *
 * Comparisons.  XGBoost sends x right when !(x < thr) in float.  Here
 * both sides are order-preserving unsigned keys (flat_key): a node holds
 * flat_key(thr) - 1 and x goes right when flat_key(x) is greater, which
 * is the same test for every non-NaN x once -0 is read as +0 (floats
 * compare -0 == +0; keys would not).  A node step is then two loads, one
 * integer compare and an add with carry.  A missing value (NaN) follows
 * the node's default direction, without a branch: each row is prepared
 * twice, NaN keyed 0 (below every threshold: left) and 0xffffffff (above
 * every one: right), and each node reads the copy matching its default
 * direction.  Thresholds must be finite (checked at build).
 *
 * Binned evaluation.  A perfect model of depth 1..6 with at least
 * FLAT_Q_MIN_TREES trees, at most FLAT_Q_MAX_FEATURES features and at
 * most FLAT_Q_MAX_THR distinct thresholds per feature also carries binned
 * tables (quant = 1), used on x86-64 CPUs with AVX-512 VBMI (checked per
 * call) instead of the key walk.  Per feature: the sorted distinct split
 * keys k_0 < ... < k_(m-1) (with every 16th first, to find the right
 * 16-key block with one vector compare).  Per row, each value is mapped
 * once to its bin, #{i : k_i <= flat_key(x)}, giving a 64-byte row: byte
 * f the bin or 0 for NaN, byte n_feat + f the bin or 255 for NaN.  Per
 * tree: 64 row-byte indices and 64 split indices j, one per heap slot, so
 * one byte permute and one byte compare decide all 63 nodes of a tree
 * (slot p goes right when its row byte > j: a 64-bit mask); 8 trees then
 * descend their masks together in vector lanes, and the leaves are read
 * from the perfect layout above.  x goes right <=> k_j <= flat_key(x)
 * <=> j < bin(x) (the keys are sorted), so the result is the key walk's
 * bit for bit (flat.c, "Binned evaluation").  flat_verify checks both
 * evaluations.
 *
 * Exactness.  Margins are summed in float in tree order starting from the
 * base margin, as XGBoost 1.7's CPU predictor sums them; the base margin
 * is logit(base_score) for binary:logistic (computed in float, as XGBoost
 * does) and base_score for multi:softprob.  flat_verify checks the result
 * against XGBoost.
 *
 * Forests.  A random forest (xgb.h, kind rf; num_parallel_tree > 1 in the
 * JSON) needs nothing of its own: XGBoost stores its trees in the same
 * list, output by output (tree_info), with every leaf already divided by
 * the forest size, and predicts by the same sum, so the block and both
 * evaluations are those of a boosted model with as many trees.
 */
#ifndef DM_LIBCORE_MODEL_FLAT_H
#define DM_LIBCORE_MODEL_FLAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "libcore/model/xgb.h"

#define FLAT_MAGIC             0x3230544c4654444dULL /* "DMTFLT02" */
#define FLAT_MAX_FEATURES      MODEL_MAX_FEATURES
#define FLAT_MAX_OUT           MODEL_MAX_CLASS
#define FLAT_PERFECT_MAX_DEPTH 8u   /* deeper models use the general layout */
#define FLAT_GROUP             12u  /* trees walked together */
#define FLAT_MAX_TREES         (1u << 20)
#define FLAT_Q_MIN_TREES       16u  /* binned tables from this many trees */
#define FLAT_Q_MAX_DEPTH       6u   /* binned tables: 64 node slots a tree */
#define FLAT_Q_MAX_FEATURES    32u  /* binned tables: 2 * n_feat row bytes <= 64 */
#define FLAT_Q_MAX_THR         255u /* binned tables: split values a feature */
#define FLAT_Q_FEAT_BYTES      1088u /* binned tables: bytes a feature */

enum flat_layout {
	FLAT_PERFECT = 0,
	FLAT_GENERAL = 1,
};

/* Perfect layout: an internal node.  8 bytes. */
struct flat_node {
	uint32_t thr_key;  /* flat_key(threshold) - 1: right when
	                    * flat_key(x) > thr_key, i.e. !(x < threshold) */
	uint32_t off;      /* index into the prepared row: f when a missing
	                    * value goes left, n_feat + f when it goes right */
};
_Static_assert(sizeof(struct flat_node) == 8, "flat_node size");

/* General layout: any node.  16 bytes. */
struct flat_gnode {
	uint32_t thr_key;  /* as above */
	uint32_t off;      /* as above */
	uint32_t left;     /* index of the left child in the tree, right child
	                    * at left + 1; 0 for a leaf */
	float    leaf;     /* leaf value (leaves only) */
};
_Static_assert(sizeof(struct flat_gnode) == 16, "flat_gnode size");

struct flat {
	uint64_t magic;       /* FLAT_MAGIC */
	uint64_t size;        /* bytes of the block */
	uint32_t layout;      /* enum flat_layout */
	uint32_t objective;   /* enum model_objective */
	uint32_t n_feat;      /* features per row */
	uint32_t n_out;       /* margins per row: 1 binary, K multi */
	uint32_t n_trees;
	uint32_t depth;       /* deepest tree (root only = 0) */
	uint32_t tree_nodes;  /* perfect: 2^depth node slots per tree, slot 0
	                       * unused, 1 the root */
	uint32_t tree_leaves; /* perfect: 2^depth leaves per tree, after the
	                       * node slots */
	uint64_t tree_bytes;  /* perfect: bytes from one tree to the next */
	uint64_t n_gnodes;    /* general: nodes of every tree */
	float    base_margin; /* added first to every margin */
	float    base_score;  /* as the model file states it */
	uint64_t off_trees;   /* perfect: per tree node slots then leaves;
	                       * general: struct flat_gnode[n_gnodes] */
	uint64_t off_root;    /* general: uint32_t[n_trees], first node of each */
	uint64_t off_class;   /* uint8_t[n_trees]: the output each tree adds to */
	uint64_t off_qtrees;  /* binned: per tree 64 row-byte indices then 64
	                       * split indices, one per node slot (0 when none) */
	uint64_t off_qkeys;   /* binned: per feature FLAT_Q_FEAT_BYTES: 16 block
	                       * heads then 256 sorted split keys (0 if none) */
	uint32_t quant;       /* 1 when the binned tables are filled */
	uint32_t qpad;
	uint64_t pad[1];
};
_Static_assert(sizeof(struct flat) == 128, "flat header size");

/*
 * Order-preserving key of a float that is not NaN: for floats a < b
 * exactly when flat_key(a) < flat_key(b), with -0 keyed as +0 (0x80000000).
 * Pure.
 */
static inline uint32_t flat_key(float v)
{
	uint32_t b;

	memcpy(&b, &v, sizeof(b));
	if (b == 0x80000000u)                  /* -0 compares equal to +0 */
		b = 0;
	return (b & 0x80000000u) ? ~b : b | 0x80000000u;
}

/* The float of a key (inverse of flat_key).  Pure. */
static inline float flat_key_float(uint32_t k)
{
	uint32_t b = (k & 0x80000000u) ? k & 0x7fffffffu : ~k;
	float v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

/* Perfect layout: tree t's node slots (1 = root; children of i at 2i and
 * 2i + 1) and its leaves (0 .. tree_leaves - 1). */
static inline const struct flat_node *flat_tree_nodes(const struct flat *f, uint32_t t)
{
	return (const struct flat_node *)((const uint8_t *)f + f->off_trees +
					  (size_t)t * f->tree_bytes);
}

static inline const float *flat_tree_leaves(const struct flat *f, uint32_t t)
{
	return (const float *)(const void *)((const uint8_t *)(flat_tree_nodes(f, t) +
								f->tree_nodes));
}

/*
 * Bytes flat_init needs for the model of XGBoost JSON text json (len
 * bytes), a multiple of 64; 0 when the model cannot be represented exactly
 * (the reason in err): not gbtree, another objective than binary:logistic
 * or multi:softprob, categorical splits, vector leaves, a non-finite
 * threshold, more than FLAT_MAX_FEATURES features, a broken tree.
 * Allocates while parsing; start-up code.
 */
size_t flat_memsize(const char *json, size_t len, char *err, size_t errlen);

/*
 * Lay out that model in mem (size bytes, 64-byte aligned, owned by the
 * caller; the result uses no other memory).  Returns 0; -DM_ECORRUPT (the
 * reason in err) as for flat_memsize; -ENOSPC when size is below
 * flat_memsize; -EINVAL for misaligned or NULL mem.  Allocates while
 * parsing; start-up code or a background thread.
 */
int flat_init(struct flat *mem, size_t size, const char *json, size_t len, char *err,
	      size_t errlen);

/*
 * flat_memsize + flat_init of m's model in one new 64-byte aligned
 * allocation, in *out (free with flat_free).  Start-up or a background
 * thread.
 */
int flat_create(struct flat **out, const struct model *m, char *err, size_t errlen);

/* free() of a flat_create block.  NULL is fine. */
void flat_free(struct flat *f);

/*
 * Ask for every cache line of the block (prefetch hints: no fault, no
 * wait).  A model evicted from the caches costs about 7-12 us on the next
 * row instead of under 1 us (tests/bench/bench_model); an agent that may
 * sit idle calls this between events.  No allocation, no system call.
 */
void flat_prefetch(const struct flat *f);

/*
 * The margins of one row x[n_feat] (NaN = missing) into margin[n_out]:
 * bit for bit what XGBoost's output_margin gives.  No allocation, no
 * system call, no lock; any thread.
 */
void flat_margin(const struct flat *f, const float *x, float *margin);

/*
 * Probabilities for one row of doubles (the feature engine's output;
 * each value is rounded to float first, as XGBoost reads it): binary
 * out[0] = P(y = 1); multi out[0..K-1] (softmax).  Computed in double from
 * the float margins.  Returns n_out.  Same guarantees as flat_margin.
 */
uint32_t flat_predict(const struct flat *f, const double *x, double *out);

/* flat_margin for n rows (row-major, n_feat floats each) into
 * margin[n * n_out]. */
void flat_margin_batch(const struct flat *f, const float *x, size_t n, float *margin);

struct flat_check {
	size_t rows;          /* rows compared */
	size_t exact;         /* outputs equal bit for bit */
	size_t outputs;       /* rows * n_out */
	double max_diff;      /* largest |flat - XGBoost| margin */
};

/*
 * Compare f with XGBoost's own output_margin predictions of m on n_check
 * rows: half drawn at random from rows (n_rows rows of n_feat floats; may
 * be NULL/0, then every row is synthetic) with about 10% of the values
 * replaced by NaN, half built from the model's own split thresholds (each
 * feature at a threshold, one float step either side, or NaN) so that
 * every comparison's edge is exercised.  Returns 0 when every margin
 * agrees within tol (absolute), -DM_ECORRUPT naming the worst row
 * otherwise, -EINVAL when f and m disagree on features or outputs, or an
 * XGBoost error.  When the block has binned tables and this CPU uses them,
 * both evaluations are compared (the worse is reported; exact counts an
 * output only when both are equal to XGBoost's): the block is right
 * whichever way it runs.  *out (may be NULL) gets the counts.
 * Deterministic for a seed.  Allocates; start-up code.
 */
int flat_verify(const struct flat *f, const struct model *m, const float *rows,
		size_t n_rows, size_t n_check, double tol, uint64_t seed,
		struct flat_check *out, char *err, size_t errlen);

#endif /* DM_LIBCORE_MODEL_FLAT_H */
