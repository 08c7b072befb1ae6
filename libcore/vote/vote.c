/* vote.c — ballot tally under a release policy (vote.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/types.h"
#include "libcore/vote/vote.h"

static const char *const reason_names[VOTE_R_COUNT] = {
	[VOTE_R_NONE]         = "none",
	[VOTE_R_APPROVED]     = "approved",
	[VOTE_R_VETOED]       = "vetoed",
	[VOTE_R_NO_QUORUM]    = "no_quorum",
	[VOTE_R_DEADLINE]     = "deadline",
	[VOTE_R_HALTED]       = "halted",
	[VOTE_R_KILL_SWITCH]  = "kill_switch",
	[VOTE_R_ROLE_DOWN]    = "agent_down",
	[VOTE_R_BACKLOG]      = "backlog",
	[VOTE_R_STALE_VOTER]  = "stale_voter",
	[VOTE_R_POS_LIMIT]    = "position_limit",
	[VOTE_R_QTY_LIMIT]    = "order_size_limit",
	[VOTE_R_BAD_ORDER]    = "bad_order",
	[VOTE_R_PRICE_COLLAR] = "price_collar",
	[VOTE_R_INFLIGHT]     = "inflight_limit",
	[VOTE_R_NO_BOOK]      = "no_book",
	[VOTE_R_STALE_BOOK]   = "stale_book",
	[VOTE_R_CROSSED]      = "crossed_book",
	[VOTE_R_WIDE_SPREAD]  = "wide_spread",
	[VOTE_R_RATE_LIMIT]   = "order_rate",
	[VOTE_R_DAILY_LOSS]   = "daily_loss",
	[VOTE_R_DRAWDOWN]     = "drawdown",
	[VOTE_R_SESSION]      = "outside_session",
	[VOTE_R_REDUCING]     = "reducing_only",
	[VOTE_R_STATE_HALTED] = "risk_halted",
	[VOTE_R_STALE_DATA]   = "stale_data",
	[VOTE_R_OPEN_ORDERS]  = "open_orders_limit",
	[VOTE_R_VENUE_DOWN]   = "venue_down",
	[VOTE_R_RECONCILING]  = "reconciling",
	[VOTE_R_MODEL]        = "model_unavailable",
	[VOTE_R_FLATTEN]      = "kill_flatten",
	[VOTE_R_JOURNAL_ERROR] = "journal_error",
	[VOTE_R_STALE_INTENT] = "stale_intent",
};

const char *vote_reason_name(uint32_t reason)
{
	return reason < VOTE_R_COUNT && reason_names[reason] ? reason_names[reason] : "?";
}

const char *vote_outcome_name(uint32_t outcome)
{
	static const char *const n[] = { "pending", "release", "block" };
	return outcome < 3 ? n[outcome] : "?";
}

const char *vote_verdict_name(uint32_t verdict)
{
	static const char *const n[] = { "none", "approve", "reject", "veto" };
	return verdict < 4 ? n[verdict] : "?";
}

int vote_policy_check(const struct vote_policy *p)
{
	if (!p || p->n_voters < 1 || p->n_voters > VOTE_MAX_VOTERS || p->deadline_ns <= 0)
		return -EINVAL;
	if (p->veto_mask >> p->n_voters)
		return -EINVAL;
	for (uint32_t i = 0; i < p->n_voters; i++)
		for (uint32_t j = 0; j < i; j++)
			if (p->voter[i] == p->voter[j])
				return -EINVAL;
	switch (p->quorum) {
	case VOTE_QUORUM_ALL:
	case VOTE_QUORUM_MAJORITY:
		return 0;
	case VOTE_QUORUM_N:
		return p->quorum_n >= 1 && p->quorum_n <= p->n_voters ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

uint32_t vote_needed(const struct vote_policy *p)
{
	switch (p->quorum) {
	case VOTE_QUORUM_MAJORITY: return p->n_voters / 2 + 1;
	case VOTE_QUORUM_N:        return p->quorum_n;
	default:                   return p->n_voters;
	}
}

int vote_voter_index(const struct vote_policy *p, uint32_t voter_id)
{
	for (uint32_t i = 0; i < p->n_voters; i++)
		if (p->voter[i] == voter_id)
			return (int)i;
	return -1;
}

int vote_quorum_parse(const char *s, uint32_t *n)
{
	if (!s)
		return -1;
	if (strcmp(s, "all") == 0)
		return VOTE_QUORUM_ALL;
	if (strcmp(s, "majority") == 0)
		return VOTE_QUORUM_MAJORITY;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || v < 1 || v > VOTE_MAX_VOTERS)
		return -1;
	if (n)
		*n = (uint32_t)v;
	return VOTE_QUORUM_N;
}

void vote_open(struct vote_ballot *b, const struct vote_policy *p, uint64_t id,
	       int64_t now_ns)
{
	memset(b, 0, sizeof(*b));
	b->decision_id = id;
	b->opened_ns = now_ns;
	b->deadline_ns = now_ns + p->deadline_ns;
	b->n_voters = p->n_voters;
	b->outcome = VOTE_PENDING;
	b->decisive = -1;
}

int vote_cast(struct vote_ballot *b, const struct vote_policy *p, uint32_t voter_id,
	      uint32_t verdict, uint32_t reason, int64_t now_ns)
{
	int i = vote_voter_index(p, voter_id);
	if (i < 0 || (uint32_t)i >= b->n_voters)
		return -ENOENT;
	if (verdict < VOTE_V_APPROVE || verdict > VOTE_V_VETO)
		return -EINVAL;
	if (b->outcome != VOTE_PENDING) {
		b->late++;
		return -EALREADY;
	}
	if (b->cast[i].verdict != VOTE_V_NONE)
		return 1;
	if (now_ns >= b->deadline_ns) {
		b->late++;
		return -ETIMEDOUT;
	}
	b->cast[i].verdict = (uint8_t)verdict;
	b->cast[i].reason = reason;
	b->cast[i].at_ns = now_ns;
	return 0;
}

static uint32_t decide(struct vote_ballot *b, uint32_t outcome, uint32_t reason,
		       int decisive, int64_t now_ns)
{
	b->outcome = outcome;
	b->reason = reason;
	b->decisive = decisive;
	b->decided_ns = now_ns;
	return outcome;
}

uint32_t vote_tally(struct vote_ballot *b, const struct vote_policy *p, int64_t now_ns)
{
	if (b->outcome != VOTE_PENDING)
		return b->outcome;
	uint32_t approve = 0, missing = 0, holders_ok = 1;
	for (uint32_t i = 0; i < b->n_voters; i++) {
		uint32_t v = b->cast[i].verdict;
		int holder = (p->veto_mask >> i) & 1u;
		if (v == VOTE_V_APPROVE) {
			approve++;
			continue;
		}
		if (v == VOTE_V_NONE) {
			missing++;
			if (holder)
				holders_ok = 0;
			continue;
		}
		/* reject, or a veto: decisive from a holder, a rejection otherwise */
		if (holder)
			return decide(b, VOTE_BLOCK, VOTE_R_VETOED, (int)i, now_ns);
	}
	uint32_t need = vote_needed(p);
	if (approve + missing < need)
		return decide(b, VOTE_BLOCK, VOTE_R_NO_QUORUM, -1, now_ns);
	if (approve >= need && holders_ok)
		return decide(b, VOTE_RELEASE, VOTE_R_APPROVED, -1, now_ns);
	if (now_ns >= b->deadline_ns)
		return decide(b, VOTE_BLOCK, VOTE_R_DEADLINE, -1, now_ns);
	return VOTE_PENDING;
}

void vote_record_fill(struct vote_record *rec, const struct vote_ballot *b,
		      const struct vote_policy *p)
{
	rec->version = VOTE_RECORD_VERSION;
	rec->outcome = b->outcome;
	rec->decision_id = b->decision_id;
	rec->opened_ns = b->opened_ns;
	rec->decided_ns = b->decided_ns;
	rec->deadline_ns = b->deadline_ns;
	rec->reason = b->reason;
	rec->decisive = b->decisive;
	rec->quorum = p->quorum;
	rec->quorum_n = p->quorum_n;
	rec->veto_mask = p->veto_mask;
	rec->n_voters = b->n_voters;
	for (uint32_t i = 0; i < VOTE_MAX_VOTERS; i++) {
		struct vote_record_voter *v = &rec->v[i];
		memset(v, 0, sizeof(*v));
		if (i >= b->n_voters)
			continue;
		v->voter = p->voter[i];
		v->verdict = b->cast[i].verdict;
		v->reason = b->cast[i].reason;
		v->at_ns = b->cast[i].at_ns;
	}
}

int vote_record_read(struct vote_record *out, const void *payload, size_t len)
{
	if (len == sizeof(*out)) {
		memcpy(out, payload, sizeof(*out));
		return 0;
	}
	if (len == VOTE_RECORD_V1_SIZE) {
		memset(out, 0, sizeof(*out));
		memcpy(out, payload, VOTE_RECORD_V1_SIZE);
		return 0;
	}
	return -DM_ECORRUPT;
}
