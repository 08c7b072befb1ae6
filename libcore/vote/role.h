/*
 * role.h — the parts of the trading system, by number and name.
 *
 * Design note.  A role is a part of the trading system as the vote and the
 * journal see it: the coordinator runs the vote; data, feature, ml,
 * execution and risk are the others, and those the configuration names
 * (vote.voters, vote.veto) vote.  A voter's id in a ballot, a decision
 * record's voter and a coordinator's liveness mask are role numbers, and
 * the journal and its CSV rows print them through role_names.  The
 * numbers are journaled: append only, never renumber.
 *
 * Who hosts a role is not libcore's business.  The in-process trader
 * (libcore/trader) hosts every role in one thread; the agents host one
 * role per process, and which process hosts which role is theirs to say
 * (agents/rt/topology.h maps each agent to its role).  Nothing here knows
 * a process, a ring or a segment.
 */
#ifndef DM_LIBCORE_VOTE_ROLE_H
#define DM_LIBCORE_VOTE_ROLE_H

enum dm_role {
	ROLE_COORDINATOR,   /* runs the vote; never a voter */
	ROLE_DATA,          /* the market data */
	ROLE_FEATURE,       /* features and the data-quality vote */
	ROLE_ML,            /* the strategy: side, probability, size */
	ROLE_EXECUTION,     /* the order table and the venue */
	ROLE_RISK,          /* pre-trade risk, position and P&L */
	ROLE_COUNT
};

/* "coordinator", "data", "feature", "ml", "execution", "risk": the names
 * the configuration and the journal's readers use.  Read-only; any thread. */
extern const char *const role_names[ROLE_COUNT];

/* enum dm_role of a role name, or -1 if name is unknown or NULL.  Pure. */
int role_id(const char *name);

#endif /* DM_LIBCORE_VOTE_ROLE_H */
