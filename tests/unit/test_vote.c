/*
 * test_vote.c — the consensus vote (libcore/vote/vote.h): approve, reject,
 * veto, quorum all / majority / N, deadline, stale voter, late and
 * duplicate votes, policy checks, the journal record.
 *
 * Table-driven: each row is a policy, a script of votes (voter, verdict,
 * time) and the outcome expected after the last step, worked out by hand
 * from the rules at the top of vote.h.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "libcore/vote/role.h"
#include "libcore/vote/vote.h"
#include "libcore/msg/msg.h"

_Static_assert((int)VOTE_V_APPROVE == (int)VOTE_APPROVE, "verdicts agree with msg.h");
_Static_assert((int)VOTE_V_REJECT == (int)VOTE_REJECT, "verdicts agree with msg.h");
_Static_assert((int)VOTE_V_VETO == (int)VOTE_VETO, "verdicts agree with msg.h");

/* voters: 5 = risk, 4 = execution, 2 = feature (the agent indexes) */
#define RISK 5u
#define EXEC 4u
#define FEAT 2u
#define DL   1000 /* deadline, ns after opening at t = 0 */

#define A VOTE_V_APPROVE
#define R VOTE_V_REJECT
#define V VOTE_V_VETO

struct step {
	uint32_t voter, verdict;
	int64_t  at;
};

struct row {
	const char *what;
	uint32_t quorum, quorum_n, veto_mask; /* voters risk, exec, feat in order */
	uint32_t n_steps;
	struct step s[4];
	int64_t  tally_at;       /* final tally time */
	uint32_t outcome, reason;
	int32_t  decisive;
};

static const struct row rows[] = {
	{ "all approve, quorum all",       VOTE_QUORUM_ALL, 0, 1, 3,
	  { { RISK, A, 10 }, { EXEC, A, 20 }, { FEAT, A, 30 } }, 30, VOTE_RELEASE, VOTE_R_APPROVED, -1 },
	{ "one reject, quorum all",        VOTE_QUORUM_ALL, 0, 1, 2,
	  { { RISK, A, 10 }, { FEAT, R, 20 } }, 20, VOTE_BLOCK, VOTE_R_NO_QUORUM, -1 },
	{ "risk rejects: veto",            VOTE_QUORUM_MAJORITY, 0, 1, 1,
	  { { RISK, R, 10 } }, 10, VOTE_BLOCK, VOTE_R_VETOED, 0 },
	{ "risk vetoes: veto",             VOTE_QUORUM_N, 1, 1, 3,
	  { { EXEC, A, 5 }, { FEAT, A, 6 }, { RISK, V, 10 } }, 10, VOTE_BLOCK, VOTE_R_VETOED, 0 },
	{ "veto from a non-holder = reject", VOTE_QUORUM_MAJORITY, 0, 1, 3,
	  { { FEAT, V, 5 }, { RISK, A, 6 }, { EXEC, A, 7 } }, 7, VOTE_RELEASE, VOTE_R_APPROVED, -1 },
	{ "majority: 2 of 3 with risk",    VOTE_QUORUM_MAJORITY, 0, 1, 2,
	  { { RISK, A, 5 }, { FEAT, A, 6 } }, 6, VOTE_RELEASE, VOTE_R_APPROVED, -1 },
	{ "majority: 2 rejects",           VOTE_QUORUM_MAJORITY, 0, 1, 2,
	  { { EXEC, R, 5 }, { FEAT, R, 6 } }, 6, VOTE_BLOCK, VOTE_R_NO_QUORUM, -1 },
	{ "majority reached, holder missing: wait", VOTE_QUORUM_MAJORITY, 0, 1, 2,
	  { { EXEC, A, 5 }, { FEAT, A, 6 } }, 500, VOTE_PENDING, VOTE_R_NONE, -1 },
	{ "majority reached, holder missing at deadline", VOTE_QUORUM_MAJORITY, 0, 1, 2,
	  { { EXEC, A, 5 }, { FEAT, A, 6 } }, DL, VOTE_BLOCK, VOTE_R_DEADLINE, -1 },
	{ "quorum N=1 without veto holders", VOTE_QUORUM_N, 1, 0, 1,
	  { { FEAT, A, 5 } }, 5, VOTE_RELEASE, VOTE_R_APPROVED, -1 },
	{ "quorum N=2: one approve one reject pending", VOTE_QUORUM_N, 2, 0, 2,
	  { { FEAT, A, 5 }, { EXEC, R, 6 } }, 6, VOTE_PENDING, VOTE_R_NONE, -1 },
	{ "quorum N=2: two rejects",       VOTE_QUORUM_N, 2, 0, 2,
	  { { FEAT, R, 5 }, { EXEC, R, 6 } }, 6, VOTE_BLOCK, VOTE_R_NO_QUORUM, -1 },
	{ "missing vote at deadline",      VOTE_QUORUM_ALL, 0, 1, 2,
	  { { RISK, A, 5 }, { EXEC, A, 6 } }, DL, VOTE_BLOCK, VOTE_R_DEADLINE, -1 },
	{ "missing vote before deadline",  VOTE_QUORUM_ALL, 0, 1, 2,
	  { { RISK, A, 5 }, { EXEC, A, 6 } }, DL - 1, VOTE_PENDING, VOTE_R_NONE, -1 },
	{ "vote at the deadline is missing", VOTE_QUORUM_ALL, 0, 1, 3,
	  { { RISK, A, 5 }, { EXEC, A, 6 }, { FEAT, A, DL } }, DL, VOTE_BLOCK, VOTE_R_DEADLINE, -1 },
	{ "no votes at all, deadline",     VOTE_QUORUM_MAJORITY, 0, 1, 0,
	  { { 0, 0, 0 } }, DL + 5, VOTE_BLOCK, VOTE_R_DEADLINE, -1 },
	{ "duplicate vote: the first stands", VOTE_QUORUM_ALL, 0, 1, 4,
	  { { RISK, A, 1 }, { EXEC, A, 2 }, { EXEC, R, 3 }, { FEAT, A, 4 } }, 4,
	  VOTE_RELEASE, VOTE_R_APPROVED, -1 },
};

static struct vote_policy policy_of(const struct row *r)
{
	struct vote_policy p = {
		.n_voters = 3, .voter = { RISK, EXEC, FEAT },
		.veto_mask = r->veto_mask, .quorum = r->quorum, .quorum_n = r->quorum_n,
		.deadline_ns = DL,
	};
	return p;
}

Test(vote, table)
{
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		const struct row *r = &rows[k];
		struct vote_policy p = policy_of(r);
		cr_assert_eq(vote_policy_check(&p), 0, "%s: policy", r->what);
		struct vote_ballot b;
		vote_open(&b, &p, 42 + k, 0);
		for (uint32_t i = 0; i < r->n_steps; i++) {
			vote_cast(&b, &p, r->s[i].voter, r->s[i].verdict, VOTE_R_NONE, r->s[i].at);
			vote_tally(&b, &p, r->s[i].at);
		}
		uint32_t o = vote_tally(&b, &p, r->tally_at);
		cr_expect_eq(o, r->outcome, "%s: outcome %s, want %s", r->what,
			     vote_outcome_name(o), vote_outcome_name(r->outcome));
		cr_expect_eq(b.reason, r->reason, "%s: reason %s, want %s", r->what,
			     vote_reason_name(b.reason), vote_reason_name(r->reason));
		cr_expect_eq(b.decisive, r->decisive, "%s: decisive %d", r->what, b.decisive);
		cr_expect_eq(b.decision_id, 42 + k);
		if (o != VOTE_PENDING)
			cr_expect_eq(b.decided_ns, r->tally_at, "%s: decided_ns", r->what);
	}
}

/* Fail closed: the coordinator casts a rejection for a stale voter. */
Test(vote, stale_voter_blocks)
{
	struct vote_policy p = { .n_voters = 3, .voter = { RISK, EXEC, FEAT },
				 .veto_mask = 1, .quorum = VOTE_QUORUM_ALL, .deadline_ns = DL };
	struct vote_ballot b;
	vote_open(&b, &p, 7, 100);
	cr_assert_eq(vote_cast(&b, &p, EXEC, VOTE_V_REJECT, VOTE_R_STALE_VOTER, 100), 0);
	cr_assert_eq(vote_cast(&b, &p, RISK, VOTE_V_APPROVE, VOTE_R_APPROVED, 110), 0);
	cr_assert_eq(vote_cast(&b, &p, FEAT, VOTE_V_APPROVE, VOTE_R_APPROVED, 120), 0);
	cr_assert_eq(vote_tally(&b, &p, 120), VOTE_BLOCK);
	cr_assert_eq(b.reason, VOTE_R_NO_QUORUM);
	cr_assert_eq(b.cast[1].reason, VOTE_R_STALE_VOTER);

	/* a stale veto holder blocks on its own, even under quorum N = 1 */
	p.quorum = VOTE_QUORUM_N;
	p.quorum_n = 1;
	vote_open(&b, &p, 8, 100);
	vote_cast(&b, &p, FEAT, VOTE_V_APPROVE, VOTE_R_APPROVED, 101);
	vote_cast(&b, &p, RISK, VOTE_V_REJECT, VOTE_R_STALE_VOTER, 102);
	cr_assert_eq(vote_tally(&b, &p, 102), VOTE_BLOCK);
	cr_assert_eq(b.reason, VOTE_R_VETOED);
	cr_assert_eq(b.decisive, 0);
}

Test(vote, decided_is_sticky_and_late_votes_count)
{
	struct vote_policy p = { .n_voters = 2, .voter = { 1, 2 }, .quorum = VOTE_QUORUM_ALL,
				 .deadline_ns = DL };
	struct vote_ballot b;
	vote_open(&b, &p, 1, 0);
	cr_assert_eq(vote_cast(&b, &p, 1, VOTE_V_REJECT, 0, 1), 0);
	cr_assert_eq(vote_tally(&b, &p, 1), VOTE_BLOCK);
	cr_assert_eq(vote_cast(&b, &p, 2, VOTE_V_APPROVE, 0, 2), -EALREADY);
	cr_assert_eq(vote_tally(&b, &p, 2), VOTE_BLOCK);
	cr_assert_eq(b.late, 1);
	cr_assert_eq(b.decided_ns, 1);

	vote_open(&b, &p, 2, 0);
	cr_assert_eq(vote_cast(&b, &p, 1, VOTE_V_APPROVE, 0, DL + 1), -ETIMEDOUT);
	cr_assert_eq(b.cast[0].verdict, VOTE_V_NONE);
}

Test(vote, cast_refuses_strangers_and_bad_verdicts)
{
	struct vote_policy p = { .n_voters = 2, .voter = { 1, 2 }, .quorum = VOTE_QUORUM_ALL,
				 .deadline_ns = DL };
	struct vote_ballot b;
	vote_open(&b, &p, 1, 0);
	cr_assert_eq(vote_cast(&b, &p, 3, VOTE_V_APPROVE, 0, 1), -ENOENT);
	cr_assert_eq(vote_cast(&b, &p, 1, 0, 0, 1), -EINVAL);
	cr_assert_eq(vote_cast(&b, &p, 1, 4, 0, 1), -EINVAL);
	cr_assert_eq(vote_cast(&b, &p, 1, VOTE_V_APPROVE, 0, 1), 0);
	cr_assert_eq(vote_cast(&b, &p, 1, VOTE_V_APPROVE, 0, 1), 1);
}

Test(vote, policy_check)
{
	struct vote_policy ok = { .n_voters = 3, .voter = { 5, 4, 2 }, .veto_mask = 1,
				  .quorum = VOTE_QUORUM_MAJORITY, .deadline_ns = 1 };
	cr_assert_eq(vote_policy_check(&ok), 0);
	struct vote_policy p = ok;
	p.n_voters = 0;
	cr_expect_eq(vote_policy_check(&p), -EINVAL, "no voters");
	p = ok;
	p.n_voters = VOTE_MAX_VOTERS + 1;
	cr_expect_eq(vote_policy_check(&p), -EINVAL, "too many voters");
	p = ok;
	p.voter[2] = 5;
	cr_expect_eq(vote_policy_check(&p), -EINVAL, "duplicate voter");
	p = ok;
	p.veto_mask = 1u << 3;
	cr_expect_eq(vote_policy_check(&p), -EINVAL, "veto bit beyond the voters");
	p = ok;
	p.deadline_ns = 0;
	cr_expect_eq(vote_policy_check(&p), -EINVAL, "no deadline");
	p = ok;
	p.quorum = VOTE_QUORUM_N;
	p.quorum_n = 4;
	cr_expect_eq(vote_policy_check(&p), -EINVAL, "N above voters");
	p.quorum_n = 0;
	cr_expect_eq(vote_policy_check(&p), -EINVAL, "N zero");
	p.quorum_n = 3;
	cr_expect_eq(vote_policy_check(&p), 0);
	p.quorum = 9;
	cr_expect_eq(vote_policy_check(&p), -EINVAL, "unknown quorum");
}

Test(vote, needed_per_quorum)
{
	struct vote_policy p = { .n_voters = 4, .quorum = VOTE_QUORUM_ALL };
	cr_expect_eq(vote_needed(&p), 4);
	p.quorum = VOTE_QUORUM_MAJORITY;
	cr_expect_eq(vote_needed(&p), 3); /* 4 / 2 + 1 */
	p.n_voters = 3;
	cr_expect_eq(vote_needed(&p), 2);
	p.n_voters = 1;
	cr_expect_eq(vote_needed(&p), 1);
	p.quorum = VOTE_QUORUM_N;
	p.quorum_n = 2;
	cr_expect_eq(vote_needed(&p), 2);
}

Test(vote, quorum_parse)
{
	uint32_t n = 0;
	cr_expect_eq(vote_quorum_parse("all", &n), VOTE_QUORUM_ALL);
	cr_expect_eq(vote_quorum_parse("majority", &n), VOTE_QUORUM_MAJORITY);
	cr_expect_eq(vote_quorum_parse("2", &n), VOTE_QUORUM_N);
	cr_expect_eq(n, 2);
	cr_expect_eq(vote_quorum_parse("0", &n), -1);
	cr_expect_eq(vote_quorum_parse("9", &n), -1);
	cr_expect_eq(vote_quorum_parse("2x", &n), -1);
	cr_expect_eq(vote_quorum_parse("", &n), -1);
	cr_expect_eq(vote_quorum_parse(NULL, &n), -1);
}

Test(vote, record_carries_every_vote)
{
	struct vote_policy p = { .n_voters = 3, .voter = { RISK, EXEC, FEAT }, .veto_mask = 1,
				 .quorum = VOTE_QUORUM_MAJORITY, .deadline_ns = DL };
	struct vote_ballot b;
	vote_open(&b, &p, 99, 1000);
	vote_cast(&b, &p, EXEC, VOTE_V_REJECT, VOTE_R_INFLIGHT, 1010);
	vote_cast(&b, &p, RISK, VOTE_V_APPROVE, VOTE_R_APPROVED, 1020);
	vote_cast(&b, &p, FEAT, VOTE_V_APPROVE, VOTE_R_APPROVED, 1030);
	cr_assert_eq(vote_tally(&b, &p, 1030), VOTE_RELEASE);
	struct vote_record rec;
	memset(&rec, 0xa5, sizeof(rec));
	vote_record_fill(&rec, &b, &p);
	cr_expect_eq(rec.version, VOTE_RECORD_VERSION);
	cr_expect_eq(rec.outcome, VOTE_RELEASE);
	cr_expect_eq(rec.decision_id, 99);
	cr_expect_eq(rec.opened_ns, 1000);
	cr_expect_eq(rec.decided_ns, 1030);
	cr_expect_eq(rec.deadline_ns, 1000 + DL);
	cr_expect_eq(rec.n_voters, 3);
	cr_expect_eq(rec.v[0].voter, RISK);
	cr_expect_eq(rec.v[1].verdict, VOTE_V_REJECT);
	cr_expect_eq(rec.v[1].reason, VOTE_R_INFLIGHT);
	cr_expect_eq(rec.v[1].at_ns, 1010);
	cr_expect_eq(rec.v[2].verdict, VOTE_V_APPROVE);
	cr_expect_eq(rec.v[3].voter, 0);
	cr_expect_eq(rec.v[3].verdict, VOTE_V_NONE);
}

Test(vote, names)
{
	cr_expect_str_eq(vote_reason_name(VOTE_R_VETOED), "vetoed");
	cr_expect_str_eq(vote_reason_name(VOTE_R_COUNT), "?");
	for (uint32_t r = 0; r < VOTE_R_COUNT; r++)
		cr_expect_str_neq(vote_reason_name(r), "?", "reason %u has a name", r);
	cr_expect_str_eq(vote_outcome_name(VOTE_RELEASE), "release");
	cr_expect_str_eq(vote_verdict_name(VOTE_V_VETO), "veto");
}


/* The roles' numbers and names are journaled: a decision record's voter is
 * a role number and the readers print it by name.  Restated by hand. */
Test(role, numbers_and_names_are_the_journaled_ones)
{
	static const char *const want[] = {
		"coordinator", "data", "feature", "ml", "execution", "risk",
	};

	cr_assert_eq(ROLE_COUNT, 6);
	cr_expect_eq(ROLE_COORDINATOR, 0);
	cr_expect_eq(ROLE_DATA, 1);
	cr_expect_eq(ROLE_FEATURE, 2);
	cr_expect_eq(ROLE_ML, 3);
	cr_expect_eq(ROLE_EXECUTION, 4);
	cr_expect_eq(ROLE_RISK, 5);
	for (int r = 0; r < ROLE_COUNT; r++) {
		cr_expect_str_eq(role_names[r], want[r], "role %d", r);
		cr_expect_eq(role_id(want[r]), r, "role_id(%s)", want[r]);
	}
	cr_expect_eq(role_id("Risk"), -1, "names are case-sensitive");
	cr_expect_eq(role_id("risk "), -1);
	cr_expect_eq(role_id(""), -1);
	cr_expect_eq(role_id(NULL), -1);
	/* the reason a stale host blocks orders keeps its journaled name */
	cr_expect_str_eq(vote_reason_name(VOTE_R_ROLE_DOWN), "agent_down");
}
