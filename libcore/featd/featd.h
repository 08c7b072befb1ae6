/*
 * featd.h — the feature voter: keeps its own book from book messages,
 * feeds the feature engine (libcore/features, the very code dm-features
 * runs offline) with every book and trade, emits a feature vector with the
 * data-quality flags (libcore/quality/quality.h) on every book that gives
 * one, and answers vote requests on data quality (docs/features.md, "The
 * live path").  The feature agent (agents/rt/ag_feature.c) hosts it with
 * its state in the segment; an in-process host calls the same functions
 * in the same order.
 *
 * Design note.  The state is one caller-owned block, plain and without
 * pointers, so it may live in shared memory and survive a restart:
 *
 *   block
 *   +---------------------------+ 0
 *   | struct featd_state        |  book, last update time, counters, the
 *   |                           |  engine's parameters and size
 *   +---------------------------+ FEATD_ENGINE_OFF
 *   | struct feat               |  feat_memsize(&params.feat) bytes
 *   +---------------------------+ featd_memsize(params)
 *
 *   featd_memsize -> 64-byte aligned memory -> featd_init (fresh)
 *   -> featd_attach (fresh or surviving) -> featd_on_* ...
 *
 * A block made with other engine parameters is refused by featd_attach
 * (featd_matches says so beforehand): the host starts it afresh.
 *
 * Outputs go through a claim / publish pair the host provides: the claim
 * is asked before anything changes, so a host whose output is full gets
 * -EAGAIN with the state untouched and hands the message again later.  A
 * claim that is not published (a book with an empty side gives no vector)
 * is simply unused.
 *
 * Threads: one thread per handle.  After featd_attach nothing allocates,
 * locks or makes a system call; the engine is O(1) per event.
 */
#ifndef DM_LIBCORE_FEATD_FEATD_H
#define DM_LIBCORE_FEATD_FEATD_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/quality/quality.h"
#include "libcore/market/book.h"
#include "libcore/features/features.h"
#include "libcore/msg/msg.h"

#define FEATD_VERSION    2u     /* layout of the block */
#define FEATD_ENGINE_OFF 4096u  /* block offset of the struct feat */

struct featd_state {
	struct book book;          /* own view of the book's best levels
	                            * (depth 1: what the quality checks read) */
	int64_t  last_update_ns;   /* host time of the last book message; 0 none */
	uint64_t books, trades, features, votes;
	struct feat_params params; /* of the engine at FEATD_ENGINE_OFF */
	uint64_t engine_size;      /* feat_memsize(&params) */
};
_Static_assert(sizeof(struct featd_state) <= FEATD_ENGINE_OFF,
	       "the feature engine follows the fixed state");
_Static_assert(FEAT_N == MSG_NFEATURES, "a feature message carries every feature");

struct featd_params {
	struct feat_params feat;   /* feat_params_check'ed; compared byte for byte
				    * with the stored ones: zero it before filling;
				    * feat.clock picks exch_ns or recv_ns */
	struct qual_limits qual;   /* flags and vote */
	uint16_t voter;            /* msg_vote.voter of every vote */
	uint16_t deferred;         /* 1 (an in-process host only): a vector goes
				    * out flagged MSG_F_DEFERRED with only the
				    * features of keep written, its reader asks
				    * featd_fill for the rest; 0: every feature */
	uint32_t pad;
	uint64_t keep;             /* with deferred: the features written at once
				    * (bit k: enum feat_id k) */
};

/* What the host provides.  ctx is handed back to every call. */
struct featd_out {
	void *ctx;
	/* Room for one vector / vote, or NULL when there is none now. */
	struct msg_features *(*feat_claim)(void *ctx);
	void (*feat_publish)(void *ctx, struct msg_features *f);
	struct msg_vote *(*vote_claim)(void *ctx);
	void (*vote_publish)(void *ctx, struct msg_vote *v);
};

struct featd {
	struct featd_state *st;
	struct feat *engine;
	struct featd_out out;
	struct qual_limits qual;
	int recv_clock;            /* engine time = recv_ns (else exch_ns) */
	uint16_t voter;
	uint16_t deferred;         /* params.deferred */
	uint64_t keep;             /* params.keep */
	uint64_t events;           /* books and trades handed to the engine */
	uint64_t def_events;       /* events when the last deferred vector went
				    * out (0: none can be filled) */
	uint64_t def_seq;          /* its book_seq */
};

/* Bytes of the block for p, a multiple of 64; 0 when p.feat is refused. */
size_t featd_memsize(const struct featd_params *p);

/*
 * A fresh block in mem (size bytes, 64-byte aligned): empty book, counters
 * 0, the engine reset.  Returns 0, -EINVAL (bad parameters, misaligned) or
 * -ENOSPC (size < featd_memsize).  Start-up: O(size).
 */
int featd_init(void *mem, size_t size, const struct featd_params *p);

/* 1 when the block in mem was made by featd_init with p's engine
 * parameters, else 0. */
int featd_matches(const void *mem, size_t size, const struct featd_params *p);

/*
 * Bind d to the block mem (fresh or surviving) with p and out (copied).
 * Returns 0; -DM_ECONFIG when the block holds another engine (featd_init
 * it first); -EINVAL for a missing output function.
 */
int featd_attach(struct featd *d, void *mem, size_t size, const struct featd_params *p,
		 const struct featd_out *out);

/*
 * A book at host time now_ns: the own book, the engine, and a vector
 * (with the quality flags of the book) when both sides are non-empty;
 * with params.deferred, a vector with only the features of keep written,
 * flagged MSG_F_DEFERRED (featd_fill).
 * Returns 0, or -EAGAIN when out.feat_claim gives no room (nothing
 * changed).
 */
int featd_on_book(struct featd *d, const struct msg_book *b, int64_t now_ns);

/*
 * The features of deferred vector f (all FEAT_N; those it carries are
 * written again, the same) into out, from the engine, which must not have
 * taken another event since f went out.  Returns 0; -ESTALE when it has
 * (the vector's features are gone), -EINVAL when f is not this handle's
 * last deferred vector.  Reads only; no allocation.
 */
int featd_fill(const struct featd *d, const struct msg_features *f, double out[FEAT_N]);

/* A trade: the engine's trade flow. */
void featd_on_trade(struct featd *d, const struct msg_trade *t);

/*
 * A vote request at host time now_ns: approve, or reject with the reason
 * of qual_vote (no book, stale, crossed, wide).  Returns 0, or -EAGAIN
 * when out.vote_claim gives no room (nothing changed).
 */
int featd_on_vote_req(struct featd *d, const struct msg_vote_req *q, int64_t now_ns);

/* An intent itself, from ml (vote.fanout): the same vote, naming the
 * intent (decision_id 0, intent_id).  Returns as featd_on_vote_req. */
int featd_on_intent(struct featd *d, const struct msg_intent *it, int64_t now_ns);

/* ------------------------------------------------------------ dump */

struct json_t;

/*
 * The state st as a new JSON object for monitors (caller owns it,
 * json_decref): "books", "trades", "features", "votes",
 * "last_update_ns".  Reads without a lock.  Allocates (jansson): tools
 * and tests, never a handler.
 */
struct json_t *featd_dump_json(const struct featd_state *st);

#endif /* DM_LIBCORE_FEATD_FEATD_H */
