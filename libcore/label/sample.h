/*
 * sample.h — the live strategy's training samples, made from market events
 * in one pass: the feature voter's vectors (libcore/featd: the engine and
 * the data-quality flags the strategy sees), the primary rule's side, and
 * triple-barrier meta-labels with uniqueness weights (libcore/label) —
 * what dm-features | dm-label --primary-from-config | dm-train read from
 * files, without the files (docs/research.md).
 *
 *   event --> msg_md_from_event --> featd_on_book / featd_on_trade
 *                                       | vector + quality flags
 *                                       v
 *             row n: t = the vector's market time (exch_ns), px = mid
 *             event when the side is not 0, the book is clean and
 *             every_ns has passed since the last event (the vectors
 *             the strategy would act on, at its own pace)
 *                                       v
 *             label_push --> label_pop_burst --> sample (x at t0, meta,
 *                                                uniqueness, [t0, t1])
 *
 * Samples come out in t0 order (the labeler's order); a label skipped by
 * the labeler (volatility warm-up) has no sample.  The vectors of events
 * still waiting for their label are kept until it comes.
 *
 * Research code: the sample arrays grow with the input (realloc); not for
 * a hot path.  One thread per builder.
 */
#ifndef DM_LIBCORE_LABEL_SAMPLE_H
#define DM_LIBCORE_LABEL_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/featd/featd.h"
#include "libcore/features/features.h"
#include "libcore/label/label.h"
#include "libcore/label/primary.h"
#include "libcore/market/event.h"
#include "libcore/msg/msg.h"

struct sample_params {
	struct featd_params featd;    /* as the feature agent runs it */
	struct primary_params primary;/* the strategy's side rule */
	struct label_params label;    /* barriers; label.tick = the instrument's */
	int64_t every_ns;             /* at most one event per this much market
	                               * time (the strategy's min_interval); 0: every
	                               * clean vector with a side */
};

/* The samples so far, column by column (index k = the k-th sample). */
struct sample_set {
	size_t   n, cap;
	float   *x;                   /* n * FEAT_N, row-major */
	float   *y;                   /* meta-label 0/1 */
	float   *w;                   /* average uniqueness */
	int64_t *t0, *t1;             /* label span, market ns */
	int8_t  *side;                /* the primary side, -1 / +1 */
	double  *ret;                 /* the label's return in the side's direction */
};

struct sample_counts {
	uint64_t events;              /* market events taken */
	uint64_t rows;                /* feature vectors (label rows) */
	uint64_t flagged;             /* vectors the quality flags drop */
	uint64_t no_side;             /* clean vectors in the dead zone */
	uint64_t too_soon;            /* with a side, within every_ns of the last event */
	uint64_t labeled_events;      /* rows pushed as events */
};

struct sample_builder {
	struct sample_params p;
	void *fmem;                   /* featd block */
	struct featd fd;
	struct label *lab;            /* labeler block */
	struct msg_features vec;      /* the one vector slot featd fills */
	struct msg_vote vote;         /* unused: the builder asks no vote */
	int have_vec;
	/* vectors of events waiting for their label: row number and x */
	uint64_t *wait_row;
	float    *wait_x;
	size_t    wait_head, wait_n, wait_cap;
	int64_t last_t;               /* time of the last row */
	int64_t last_event_t;         /* time of the last event; INT64_MIN none */
	struct sample_counts n;
	struct sample_set out;
	int err;                      /* first failure (-ENOMEM, -ENOSPC), sticky */
};

/* Set b up (allocates its blocks).  0, or a negative error with one line
 * in err. */
int sample_init(struct sample_builder *b, const struct sample_params *p, char *err,
		size_t errlen);

/* One market event.  0, or a negative error (sticky): -ENOMEM, -ENOSPC
 * (the labeler's window is too small for this path). */
int sample_on_event(struct sample_builder *b, const struct event *ev);

/* The end of the input: every pending label resolved (label.eod). */
int sample_finish(struct sample_builder *b);

/* Free everything b holds. */
void sample_free(struct sample_builder *b);

/* The labeler's counters (barriers, skipped events). */
const struct label_stats *sample_label_stats(const struct sample_builder *b);

#endif /* DM_LIBCORE_LABEL_SAMPLE_H */
