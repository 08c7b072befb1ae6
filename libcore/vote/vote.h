/*
 * vote.h — the consensus vote that releases or blocks an order intent.
 *
 * Design note.  The coordinator opens one ballot per intent and asks every
 * voter of the policy (default: risk, execution, feature).  Each voter
 * answers approve, reject or veto with a reason code.  The ballot is
 * tallied after every vote and on every tick:
 *
 *   BLOCK    a veto holder rejected or vetoed (decisive: that voter)
 *   BLOCK    the approvals still possible cannot reach the quorum
 *   RELEASE  approvals >= quorum and every veto holder approved
 *   BLOCK    the deadline passed first: a missing vote is a rejection
 *   PENDING  otherwise
 *
 * A veto verdict from a voter that holds no veto counts as a rejection.
 * Quorum: all voters, a majority (n / 2 + 1), or a fixed N (1..n).  A veto
 * holder counts towards the quorum like any voter, but release needs its
 * approval whatever the quorum.  Fail closed: the caller casts a rejection
 * with VOTE_R_STALE_VOTER for a voter whose heartbeat is stale, instead of
 * asking it (or while waiting for it).  Once decided, a ballot stays
 * decided: later votes are refused with -EALREADY and change nothing.
 *
 * Pure: no shared memory, no processes, no clock (times are passed in),
 * no allocation, O(voters) per call.  Structures are fixed-size and
 * pointer-free so they can live in the coordinator's restart-surviving
 * state.  One thread per ballot.  docs/agents.md describes the protocol.
 */
#ifndef DM_LIBCORE_VOTE_H
#define DM_LIBCORE_VOTE_H

#include <stddef.h>
#include <stdint.h>

#define VOTE_MAX_VOTERS 8

/* A voter's verdict; the numbers equal enum vote_verdict of shm/msg.h. */
enum vote_v { VOTE_V_NONE = 0, VOTE_V_APPROVE = 1, VOTE_V_REJECT = 2, VOTE_V_VETO = 3 };

enum vote_quorum { VOTE_QUORUM_ALL = 0, VOTE_QUORUM_MAJORITY = 1, VOTE_QUORUM_N = 2 };

enum vote_outcome { VOTE_PENDING = 0, VOTE_RELEASE = 1, VOTE_BLOCK = 2 };

/*
 * Reason codes, of a single vote (msg_vote.reason) and of a decision
 * (vote_ballot.reason).  Append only: the numbers are journaled.
 */
enum vote_reason {
	VOTE_R_NONE = 0,
	VOTE_R_APPROVED,     /* vote: approve; decision: released */
	/* decisions */
	VOTE_R_VETOED,       /* a veto holder rejected or vetoed */
	VOTE_R_NO_QUORUM,    /* too many rejections to reach the quorum */
	VOTE_R_DEADLINE,     /* votes still missing at the deadline */
	VOTE_R_HALTED,       /* coordinator halted by the operator */
	VOTE_R_KILL_SWITCH,  /* kill switch latched */
	VOTE_R_ROLE_DOWN,    /* a role's host is stale (heartbeat): no new orders */
	VOTE_R_BACKLOG,      /* an order could not be queued: rings full */
	/* votes */
	VOTE_R_STALE_VOTER,  /* cast by the coordinator: voter heartbeat stale */
	VOTE_R_POS_LIMIT,    /* risk: position limit */
	VOTE_R_QTY_LIMIT,    /* risk: order size limit */
	VOTE_R_BAD_ORDER,    /* malformed side, quantity or price */
	VOTE_R_PRICE_COLLAR, /* risk: price too far from the mid */
	VOTE_R_INFLIGHT,     /* execution: in-flight order limit */
	VOTE_R_NO_BOOK,      /* no market data yet */
	VOTE_R_STALE_BOOK,   /* feature: market data stale */
	VOTE_R_CROSSED,      /* feature: crossed or locked book */
	VOTE_R_WIDE_SPREAD,  /* feature: spread beyond the regime limit */
	VOTE_R_RATE_LIMIT,   /* risk: order rate (token bucket) exhausted */
	VOTE_R_DAILY_LOSS,   /* risk: daily loss limit reached */
	VOTE_R_DRAWDOWN,     /* risk: drawdown from the day's peak P&L */
	VOTE_R_SESSION,      /* risk: outside the exchange session */
	VOTE_R_REDUCING,     /* risk: state REDUCING, order would grow the position */
	VOTE_R_STATE_HALTED, /* risk: state HALTED, only cancels pass */
	VOTE_R_STALE_DATA,   /* risk: market data older than the guard */
	VOTE_R_OPEN_ORDERS,  /* execution: open order limit */
	VOTE_R_VENUE_DOWN,   /* execution: venue not connected or not ready */
	VOTE_R_RECONCILING,  /* execution: order table not yet reconciled */
	VOTE_R_MODEL,        /* ml: model missing or failed its check */
	VOTE_R_FLATTEN,      /* decision: kill switch flatten asked by risk (no vote) */
	VOTE_R_JOURNAL_ERROR,/* a journal cannot write: no new order until it
	                      * writes again and the operator resumes */
	VOTE_R_STALE_INTENT, /* the intent's market event is older than
	                      * coordinator.max_intent_age */
	VOTE_R_COUNT
};

/* "approved", "vetoed"... ("?" for an unknown code).  Any thread. */
const char *vote_reason_name(uint32_t reason);
/* "pending", "release", "block". */
const char *vote_outcome_name(uint32_t outcome);
/* "none", "approve", "reject", "veto". */
const char *vote_verdict_name(uint32_t verdict);

struct vote_policy {
	uint32_t n_voters;                 /* 1..VOTE_MAX_VOTERS */
	uint32_t voter[VOTE_MAX_VOTERS];   /* caller's ids (roles, role.h), distinct */
	uint32_t veto_mask;                /* bit i: voter[i] holds a veto */
	uint32_t quorum;                   /* enum vote_quorum */
	uint32_t quorum_n;                 /* VOTE_QUORUM_N: approvals needed, 1..n */
	uint32_t pad;
	int64_t  deadline_ns;              /* from opening; > 0 */
};

/* 0 if the policy is usable, else -EINVAL.  Pure. */
int vote_policy_check(const struct vote_policy *p);

/* Approvals a release needs (quorum applied, veto holders aside). */
uint32_t vote_needed(const struct vote_policy *p);

/* Index of voter id in the policy, or -1. */
int vote_voter_index(const struct vote_policy *p, uint32_t voter_id);

/* "all" -> ALL, "majority" -> MAJORITY, "<N>" -> N with *n set; -1 otherwise. */
int vote_quorum_parse(const char *s, uint32_t *n);

struct vote_cast {
	uint8_t  verdict;  /* enum vote_v; NONE = not (yet) voted */
	uint8_t  pad[3];
	uint32_t reason;   /* enum vote_reason */
	int64_t  at_ns;    /* when it was recorded */
};
_Static_assert(sizeof(struct vote_cast) == 16, "vote_cast size");

struct vote_ballot {
	uint64_t decision_id;
	int64_t  opened_ns;
	int64_t  deadline_ns;  /* opened_ns + policy deadline */
	int64_t  decided_ns;   /* 0 while pending */
	uint32_t n_voters;     /* copied from the policy at opening */
	uint32_t outcome;      /* enum vote_outcome */
	uint32_t reason;       /* enum vote_reason of the outcome */
	int32_t  decisive;     /* voter index that decided a veto, else -1 */
	uint32_t late;         /* votes refused after the decision */
	uint32_t pad;
	struct vote_cast cast[VOTE_MAX_VOTERS]; /* by policy index */
};
_Static_assert(sizeof(struct vote_ballot) == 56 + 16 * VOTE_MAX_VOTERS, "vote_ballot size");

/* Start a ballot for decision id at now_ns: every vote missing.  Pure. */
void vote_open(struct vote_ballot *b, const struct vote_policy *p, uint64_t id,
	       int64_t now_ns);

/*
 * Record voter_id's verdict (VOTE_V_APPROVE/REJECT/VETO) with a reason.
 * Returns 0 recorded; 1 a duplicate (that voter already voted: the first
 * vote stands); -ENOENT voter_id is not in the policy; -EINVAL bad
 * verdict; -EALREADY the ballot is decided, -ETIMEDOUT the vote came at
 * or after the deadline (both counted in late; such a vote stays
 * missing, i.e. a rejection).  Does not tally: call vote_tally after.
 */
int vote_cast(struct vote_ballot *b, const struct vote_policy *p, uint32_t voter_id,
	      uint32_t verdict, uint32_t reason, int64_t now_ns);

/*
 * Decide if the votes so far, and the clock, allow it.  Returns the
 * outcome (sticky once RELEASE or BLOCK) and sets b->outcome, b->reason,
 * b->decided_ns, b->decisive.  Pure; O(voters).
 */
uint32_t vote_tally(struct vote_ballot *b, const struct vote_policy *p, int64_t now_ns);

/*
 * The journal payload of a decision (record type JREC_DECISION of
 * libcore/journal/journal.h).  Fixed-size, explicit-width, little-endian; append
 * fields only at the end and bump VOTE_RECORD_VERSION.
 *
 *   version 1  296 bytes: up to v[] (VOTE_RECORD_V1_SIZE)
 *   version 2  304 bytes: + market_ns, the exchange time of the market
 *              event behind the decision
 *
 * A reader takes either through vote_record_read.
 */
#define VOTE_RECORD_VERSION 2
#define VOTE_RECORD_V1_SIZE 296u

struct vote_record_voter {
	uint32_t voter;    /* role (libcore/vote/role.h) */
	uint8_t  verdict;  /* enum vote_v; NONE = missing */
	uint8_t  pad[3];
	uint32_t reason;   /* enum vote_reason */
	uint32_t pad2;
	int64_t  at_ns;
};
_Static_assert(sizeof(struct vote_record_voter) == 24, "vote_record_voter size");

struct vote_record {
	uint32_t version;         /* VOTE_RECORD_VERSION */
	uint32_t outcome;         /* enum vote_outcome: RELEASE or BLOCK */
	uint64_t decision_id;     /* unique across restarts */
	uint64_t intent_id;
	uint64_t client_order_id; /* the released order; 0 when blocked */
	int64_t  ingress_ns;      /* local ingress time of the market event behind it */
	int64_t  opened_ns;
	int64_t  decided_ns;
	int64_t  deadline_ns;
	int64_t  px;              /* ticks */
	int32_t  qty;
	int8_t   side;            /* +1 buy, -1 sell */
	uint8_t  ord_type;
	uint8_t  tif;
	uint8_t  pad;
	uint32_t reason;          /* enum vote_reason of the outcome */
	int32_t  decisive;        /* voter index that vetoed, -1 */
	uint32_t quorum;          /* policy: enum vote_quorum */
	uint32_t quorum_n;
	uint32_t veto_mask;
	uint32_t n_voters;
	struct vote_record_voter v[VOTE_MAX_VOTERS];
	/* version 2 */
	int64_t  market_ns;       /* exchange time of the market event behind the
	                           * decision (the intent's market_ns); 0 when the
	                           * record is version 1.  opened_ns, decided_ns,
	                           * deadline_ns and the votes' at_ns stay local */
};
_Static_assert(offsetof(struct vote_record, v) == 104, "vote_record.v");
_Static_assert(offsetof(struct vote_record, market_ns) == VOTE_RECORD_V1_SIZE,
	       "vote_record.market_ns follows the version 1 record");
_Static_assert(sizeof(struct vote_record) == VOTE_RECORD_V1_SIZE + 8, "vote_record size");

/*
 * A decision record of len bytes as journaled (payload, any alignment)
 * into *out: version 2 as is; version 1 (VOTE_RECORD_V1_SIZE bytes) with
 * market_ns 0 and its version kept at 1, so a reader can tell.  Returns
 * 0, or -DM_ECORRUPT for any other length.  Pure.
 */
int vote_record_read(struct vote_record *out, const void *payload, size_t len);

/* The decision's time on the market clock: market_ns of a version 2
 * record, decided_ns (local, the only time it has) of a version 1 one. */
static inline int64_t vote_record_time_ns(const struct vote_record *rec)
{
	return rec->version >= 2 ? rec->market_ns : rec->decided_ns;
}

/* Fill the policy and vote parts of rec from a decided ballot (the caller
 * fills intent, order and time-of-origin fields).  Pure. */
void vote_record_fill(struct vote_record *rec, const struct vote_ballot *b,
		      const struct vote_policy *p);

#endif /* DM_LIBCORE_VOTE_H */
