/*
 * coord.h — the coordinator: ballots, decision ids, release order,
 * deadlines, fail-closed rules and the kill-switch flatten, on caller-owned
 * memory.  The vote itself is libcore/vote/vote.h.
 *
 * Design note.  Two pieces of memory, both the caller's:
 *
 *   struct coord_state  coord_memsize() bytes, pointer-free: counters, the
 *                       ballots in flight, the last decisions.  It lives
 *                       where it must survive a restart (the coordinator's
 *                       region of the segment) or anywhere a test puts it.
 *                       coord_init once, coord_attach at every start.
 *   struct coord        the handle: parameters, the host's output
 *                       interface, what one process learnt (agents seen
 *                       up, next health check).  Filled by coord_attach.
 *
 * No singletons, no clock, no I/O: every call takes a struct coord_env
 * (the time now, which agents have a fresh heartbeat, the operator's halt
 * and kill-switch latches) and produces output messages and decision
 * records through struct coord_out.  Several coordinators may live in one
 * process; each is used by one thread.
 *
 *   intent --> blocked at once (kill switch, a journal failed, halted, an
 *              agent down; or the intent's market event older than
 *              max_intent_age): decision record, no ballot
 *          --> ballot: MSG_VOTE_REQ to every fresh voter; a stale voter is
 *              a rejection cast on its behalf (fail closed)
 *   vote   --> tally (a replay's ballot, its intent flagged MSG_F_REPLAY,
 *              once every voter has a verdict or at the deadline, so
 *              that the votes it records do not depend on which voter
 *              was quicker);  tick: stale voters, deadlines, health of
 *              every agent
 *   decided --> decision record (before anything else; stamped with the
 *              intent's market time, vote_record.market_ns) --> MSG_VOTE_DONE
 *              (decision id, outcome, reason) to every voter the ballot
 *              asked, on its vote-request port (so a voter holding something
 *              for it, risk's approved exposure, lets go at once when it was
 *              blocked) --> on release a MSG_ORDER, released orders in client
 *              order id order
 *   position asking to flatten (kill switch) --> one MSG_ORDER at market,
 *              flagged MSG_F_FLATTEN, journaled as a released decision
 *   strategy's cancel (MSG_CANCEL of one client order id, a market
 *              maker's quote pulled or replaced) --> forwarded on the
 *              orders port at once, without a ballot: it only takes
 *              resting exposure away (as the flatten, it skips the vote;
 *              docs/coord.md, "Cancels")
 *   operator command --> MSG_CONTROL to every agent; kill switch and
 *              cancel-all also MSG_CANCEL (all); the kill switch drops the
 *              released orders not sent yet
 *
 * Ids.  decision id = epoch << COORD_ID_SHIFT | n, n from a counter in the
 * state stored before the id is used: a crash can skip an id, never reuse
 * one.  The epoch (given at init; the segment's creation second & 0xffffff
 * in the agents) separates runs.  A released order's client order id is
 * its decision id, kept in its ballot, so a coordinator killed between the
 * decision and the send decides again with the same id.
 *
 * Vote-done.  A voter's port that is full when a ballot ends does not hold
 * the decision up: the record is journaled and the order goes out; the
 * MSG_VOTE_DONE waits in done_q (in the state: it survives a restart) and
 * coord_tick sends it as soon as the port has room, after the requests
 * already in it.  Only if done_q is full too (COORD_BALLOTS notices stuck
 * behind full ports) is one not sent (dones_lost): the voter's own time
 * limit then ends what it holds.
 *
 * Fan-out (params.fanout).  The fanned voters get each intent from ml at
 * the time the coordinator does, and vote on it at once (msg_vote with
 * decision_id 0 and the intent's id): the votes are on their way while
 * the ballot opens, one hand-off less on the order path.  A vote that
 * comes before its intent waits in early[] (an intent id above intent_hi)
 * and is cast when the ballot opens; one for an intent handled already is
 * late.  A fanned voter is told how every ballot of its intents ended,
 * intents blocked before a ballot included (MSG_VOTE_DONE with the
 * intent's id: risk lets go of what it holds for it).  Kept votes nobody
 * claims within a vote deadline are dropped (early_dropped).
 *
 * Idempotence is the host's: a message handled twice (a restart between
 * handling it and storing its sequence number) is handled twice here.
 *
 * Journal failures (fail closed).  Nothing is decided without its record
 * and no order leaves before its record is durable:
 *   - the host's decision journal down (COORD_F_NO_JOURNAL, or a record
 *     refused during this call): intents and flatten requests wait
 *     (-EAGAIN, no id used); a ballot that ends meanwhile is blocked
 *     (journal_error, if it would have released) and held (COORD_B_HELD)
 *     with its record to write;
 *   - a record the host cannot make durable (coord_out.decision < 0): the
 *     order is not released; the decision becomes a block with reason
 *     journal_error, and when the host kept the failed record
 *     (-EINPROGRESS) the corrected record goes in its place at once;
 *   - any journal failed since the operator last resumed (COORD_F_JOURNAL,
 *     the host's latch): intents are blocked (journal_error) and a ballot
 *     that would release is blocked (journal_error) instead;
 *   - coord_tick, once the journal writes again, writes the held records
 *     (oldest decision first) and sends their MSG_VOTE_DONE.
 * A decision's counters and its place in recent[] follow its record.
 *
 * Fresh intents.  With max_intent_age_ns > 0 an intent whose market event
 * was taken in (msg_hdr.ingress_ns) longer ago than that, by the clock of
 * coord_env.now_ns, is blocked (stale_intent) before any vote.  The host
 * stamps both on one clock (the agents: the local clock of the data
 * agent's intake and of the coordinator's pass; an in-process replay: the
 * market clock of the event being handled), so a replay's market time
 * never meets the wall clock.
 *
 * Numbers.  Voters, the watched parts (coord_env.fresh, down_mask,
 * n_agents, the events) and control ports are numbered by role
 * (libcore/vote/role.h, enum dm_role).  "Agent" below is the host of a
 * role as the coordinator sees it: up while the host says its heartbeat is
 * fresh.  Which process hosts which role is the host's business.
 *
 * Cost: a handler is O(voters) plus O(COORD_BALLOTS) to find a ballot;
 * sending released orders is O(COORD_BALLOTS) per order; while fanned votes
 * are kept (n_early), opening a ballot and a tick add O(COORD_EARLY).  Nothing
 * allocates, locks or makes a system call after coord_attach.
 * docs/agents.md ("The vote", "coordinator") describes the protocol.
 */
#ifndef DM_LIBCORE_COORD_H
#define DM_LIBCORE_COORD_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/vote/vote.h"
#include "libcore/msg/msg.h"

#define COORD_MAGIC     0x3130445243434d44ull /* "DMCCRD01" little-endian */
#define COORD_VERSION   7u
#define COORD_BALLOTS   64u   /* decisions in flight; all busy: intents wait */
#define COORD_RECENT    16u   /* last decision records kept in the state */
#define COORD_ID_SHIFT  40    /* decision id = epoch << 40 | n */
#define COORD_EPOCH_MAX ((1ull << 24) - 1)
#define COORD_AGENTS    32u   /* role numbers 0..31 (bit masks) */
#define COORD_PARENTS   8u    /* intents being sent as child orders at once */
#define COORD_CHILDREN  64u   /* child orders of one intent at most */
#define COORD_EARLY     64u   /* votes kept that came before their intent (fan-out) */

/* Operator command beyond enum ctl_cmd: cancel every open order at the
 * venue; nothing is forwarded (agents/rt/runtime.h, RT_CTL_CANCEL_ALL). */
#define COORD_CMD_CANCEL_ALL 100u

/* coord_env.flags: the operator's latches, as the host keeps them, and
 * the state of the host's journals */
#define COORD_F_HALTED     0x1u /* new orders refused */
#define COORD_F_KILLED     0x2u /* kill switch: every order refused until rearm */
#define COORD_F_JOURNAL    0x4u /* a journal failed since the operator last
				 * resumed: new orders refused (journal_error) */
#define COORD_F_NO_JOURNAL 0x8u /* the decision journal does not write now:
				 * decide nothing new (see the design note) */

/* coord_out.fault points (testing: the host may end the process there) */
#define COORD_FAULT_RELEASE 1u /* a release decided and journaled, its order
				* not yet handed to the orders port */

/* ------------------------------------------------------------ state */

/* HELD: decided and not released (blocked), its record not yet durable:
 * the host keeps it (COORD_H_KEPT) or it is still to be handed over
 * (COORD_H_RECORD); coord_tick finishes it once the journal writes. */
enum coord_ballot_state { COORD_B_FREE = 0, COORD_B_OPEN, COORD_B_DECIDED, COORD_B_HELD };
enum coord_held { COORD_H_KEPT = 1, COORD_H_RECORD = 2 };

struct coord_ballot {
	uint32_t state;             /* enum coord_ballot_state */
	uint32_t asked;             /* bit v: policy voter v was sent the request
				     * or has the intent itself: told the outcome */
	uint64_t client_order_id;   /* DECIDED (released, journaled): its order */
	uint32_t held;              /* HELD: enum coord_held */
	uint32_t fan;               /* bit v: policy voter v votes on the intent
				     * itself (params.fanout), not on a request */
	struct msg_intent intent;
	struct vote_ballot b;
};

/* A MSG_VOTE_DONE not yet taken by every voter's port (retried by tick). */
struct coord_done {
	uint64_t decision_id;
	uint32_t outcome;           /* enum vote_outcome */
	uint32_t reason;            /* enum vote_reason */
	uint32_t to;                /* bit v: policy voter v still to tell; 0 = free */
	uint32_t fan;               /* bit v: voter v knows the ballot by its intent */
	uint64_t intent_id;
};

/* A vote on an intent that came before the intent itself (fan-out: the
 * voter's ring from ml was quicker than the coordinator's). */
struct coord_early {
	uint64_t intent_id;         /* 0 = free */
	int64_t  at_ns;             /* host time it came: dropped a vote deadline later */
	uint32_t voter;             /* the voter's role */
	uint32_t verdict;           /* enum vote_verdict */
	uint32_t reason;            /* enum vote_reason */
	uint32_t pad;
};

/* An intent larger than child_max_qty, sent as child intents over time
 * (coord_child.c; docs/execution.md, "Child orders"). */
struct coord_parent {
	struct msg_intent intent;   /* as it came: qty is the whole */
	int64_t  start_ns;          /* child 1 went at this host time */
	int64_t  tau_ns;            /* child j is due at start + (j - 1) tau */
	uint32_t n;                 /* children, 2..COORD_CHILDREN */
	uint32_t next;              /* the next child to send, 2..n; 0 = slot free */
	int32_t  hold[COORD_CHILDREN + 1]; /* contracts left after child j; hold[0] = qty */
	uint32_t pad;
};

struct coord_state {
	uint64_t magic;             /* COORD_MAGIC, stored last by coord_init */
	uint32_t version;           /* COORD_VERSION */
	uint32_t size;              /* coord_memsize() */
	uint64_t epoch;             /* high bits of decision ids, 1..COORD_EPOCH_MAX */
	uint64_t attaches;          /* coord_attach calls (starts) */
	uint64_t next_decision;     /* last decision counter given out */
	uint64_t next_order;        /* released orders given a client order id */
	uint64_t decisions, released, blocked, orders_sent, late_votes;
	uint64_t by_reason[VOTE_R_COUNT];
	uint32_t down_mask;         /* agents whose heartbeat is stale */
	uint32_t pad;
	uint64_t reports, fills;    /* execution reports seen, of them fills */
	uint64_t flatten_id;        /* decision of the flattening order in flight, 0 */
	uint64_t flattens;          /* flattening orders sent */
	int64_t  position;          /* last MSG_POSITION */
	int64_t  realized_e9;       /* last MSG_POSITION, instrument currency x 10^9 */
	int64_t  market_ns;         /* newest intent's market_ns: the market time
				     * a flattening order's decision is stamped with */
	uint64_t dones_sent;        /* MSG_VOTE_DONE taken by a voter's port */
	uint64_t dones_late;        /* of them, after a retry (the port was full) */
	uint64_t dones_lost;        /* not sent: the retry queue was full */
	uint64_t journal_failures;  /* decision records the host could not make
				     * durable when asked */
	struct coord_done done_q[COORD_BALLOTS]; /* waiting for room */
	struct coord_ballot ballot[COORD_BALLOTS];
	uint64_t n_recent;          /* decisions written to recent[] so far */
	struct vote_record recent[COORD_RECENT]; /* [n % COORD_RECENT] */
	uint64_t quote_cancels;     /* a strategy's cancels of one order, forwarded */
	uint64_t quote_cancels_refused; /* a strategy's cancel-all (client order
				     * id 0): only the operator cancels all */
	uint64_t parents;           /* intents cut into child orders */
	uint64_t children;          /* child intents put to the vote (the first included) */
	uint64_t children_dropped;  /* children not sent: the kill switch */
	uint64_t unsliced;          /* large intents sent whole: every parent slot busy */
	struct coord_parent parent[COORD_PARENTS];
	uint64_t intent_hi;         /* the newest intent id handled (fan-out: a
				     * vote for an intent at or below it whose
				     * ballot is not open is late, not early) */
	uint64_t early_votes;       /* votes kept until their intent came */
	uint64_t early_dropped;     /* of them, dropped: no intent within a vote
				     * deadline, or the table full (the oldest) */
	uint64_t fan_blocked;       /* intents blocked before a ballot whose
				     * fanned voters were told so (MSG_VOTE_DONE) */
	struct coord_early early[COORD_EARLY];
};

/* ------------------------------------------------------------ parameters */

struct coord_params {
	struct vote_policy vote;   /* voters (roles, in ballot order),
				    * veto holders, quorum, deadline */
	uint32_t self;             /* the coordinator's own role: not watched */
	uint32_t n_agents;         /* roles 0..n_agents-1 watched (1..COORD_AGENTS) */
	uint32_t flatten_voter;    /* role recorded as approving a flattening
				    * order (the one that asks for it: risk) */
	uint32_t fanout;           /* bit v: policy voter v gets every intent
				    * from ml itself and votes on it without a
				    * request (vote.fanout; see "Fan-out" above);
				    * 0 = every vote requested.  Not with
				    * child_max_qty (children are voted one by one) */
	int64_t  health_every_ns;  /* tick: recheck every agent this often (> 0) */
	int64_t  retry_ns;         /* orders port full: tick asks to be woken
				    * this soon to try again (> 0) */
	int64_t  max_intent_age_ns;/* intents whose market event is older are
				    * blocked (stale_intent); 0 = no limit */
	/* Child orders (execution.child_max_qty, docs/execution.md): an intent
	 * of more than child_max_qty contracts becomes child intents, each put
	 * to the vote, along the Almgren-Chriss trajectory over
	 * child_horizon_ns; 0 = never (the default). */
	uint32_t child_max_qty;
	uint32_t pad2;
	int64_t  child_horizon_ns; /* > 0 when child_max_qty > 0 */
	double   child_eta;        /* ticks per contract per contract of a child; 0 = line */
	double   child_gamma, child_sigma, child_lambda; /* ticks/contract, ticks/sqrt(s), 1/tick */
};

/* Defaults: no voters (fill vote), health every 50 ms, retry 200 us, no
 * intent age limit. */
void coord_params_default(struct coord_params *p);

/*
 * The vote policy of a configuration: voters_mask and veto_mask are bit
 * masks of roles; order lists every role that may vote, in the
 * order the ballots list them; quorum is "all", "majority" or "N";
 * deadline_ns > 0.  Returns 0, or -EINVAL with one line in err (the
 * quorum text, a veto holder that is no voter, no voter).  Pure.
 */
int coord_policy_make(struct vote_policy *p, const uint32_t *order, uint32_t n_order,
		      uint32_t voters_mask, uint32_t veto_mask, const char *quorum,
		      int64_t deadline_ns, char *err, size_t errlen);

/* 0 if p is usable (vote_policy_check, voters and roles below
 * COORD_AGENTS, positive intervals, an age limit >= 0), else -EINVAL.
 * Pure. */
int coord_params_check(const struct coord_params *p);

/* ------------------------------------------------------------ interface */

/* What the host knows of the world at the time of a call. */
struct coord_env {
	int64_t  now_ns;   /* the clock (any, as long as it does not go back) */
	uint32_t fresh;    /* bit a: role a's host is up (registered, heartbeat fresh) */
	uint32_t flags;    /* COORD_F_* */
};

/* Output ports: coord_out.send's port, and what `to` means there. */
enum coord_port {
	COORD_PORT_VOTE_REQ = 0, /* MSG_VOTE_REQ, then MSG_VOTE_DONE; to = voter
				  * index in the policy */
	COORD_PORT_ORDERS,       /* MSG_ORDER and MSG_CANCEL to execution; to = 0 */
	COORD_PORT_CONTROL,      /* MSG_CONTROL; to = role (its host's port) */
};

/* Things the host may want to log; never needed for correctness. */
enum coord_event_kind {
	COORD_EV_ROLE_BACK = 1,  /* role's host (seen up before) fresh again;
				  * down = mask now */
	COORD_EV_ROLE_DOWN,      /* role's host (seen up before) stale: orders
				  * blocked */
	COORD_EV_ALL_UP,         /* every watched agent up, the first time: trading */
	COORD_EV_ORDER_DROPPED,  /* kill switch: a released order not sent */
	COORD_EV_FLATTEN,        /* a flattening order sent (side, qty) */
};

struct coord_event {
	uint32_t kind;             /* enum coord_event_kind */
	uint32_t agent;            /* ROLE_BACK / ROLE_DOWN: the role (enum dm_role) */
	uint32_t down;             /* ROLE_BACK / ROLE_DOWN: roles down after it */
	int32_t  qty;              /* FLATTEN: contracts */
	int32_t  side;             /* FLATTEN: SIDE_BUY / SIDE_SELL */
	uint32_t pad;
	uint64_t decision_id;      /* ORDER_DROPPED, FLATTEN */
	uint64_t client_order_id;  /* ORDER_DROPPED, FLATTEN */
};

/*
 * The host's side.  Every function is called from the coordinator's
 * thread, inside a coord_* call, and must not call back into it.
 *
 *   can_send  1 if one message on (port, to) would be accepted now, else
 *             0.  Asked before anything that must go out whole (the vote
 *             requests of a ballot, an order), so a full port leaves the
 *             input untouched.
 *   send      one message (m->size bytes; the host stamps sequence and
 *             send time).  0 sent; -EAGAIN the port is full (not sent);
 *             -ENOENT no such port (a control port to an agent without
 *             one: not counted).
 *   decision  a decision record to journal.  Called before any message
 *             that follows from it.  Returns 0 once it is durable (an
 *             order may follow); -EINPROGRESS when it could not be made
 *             durable now but the host keeps it and writes it once its
 *             journal writes again (a record for the same decision id
 *             handed over right after replaces the kept one); any other
 *             negative error when it is not journaled at all.
 *   event     optional (NULL: none).
 *   fault     optional (NULL: none): the coordinator passes fault point
 *             `point` (COORD_FAULT_*); a test host may end the process
 *             there.  Must return if it does nothing.
 */
struct coord_out {
	void *ctx;
	int  (*can_send)(void *ctx, uint32_t port, uint32_t to);
	int  (*send)(void *ctx, uint32_t port, uint32_t to, const struct msg_hdr *m);
	int  (*decision)(void *ctx, const struct vote_record *rec);
	void (*event)(void *ctx, const struct coord_event *ev);
	void (*fault)(void *ctx, uint32_t point);
};

/* The handle; caller-owned, filled by coord_attach. */
struct coord {
	struct coord_state *st;
	struct coord_params p;
	struct coord_out out;
	uint32_t n_open;           /* ballots OPEN */
	uint32_t n_decided;        /* ballots DECIDED (released, not sent) */
	uint32_t n_held;           /* ballots HELD (blocked, record not durable) */
	uint32_t journal_down;     /* the decision journal does not write (this call) */
	uint32_t n_done;           /* done_q entries still to send */
	uint32_t n_early;          /* early[] slots in use (none: no scan) */
	uint32_t seen_up;          /* agents seen up since this attach */
	uint32_t all_up;           /* every agent was up at once since this attach */
	int64_t  next_health_ns;   /* tick: next health check */
};

/* ------------------------------------------------------------ lifecycle */

/* Bytes of a state (sizeof(struct coord_state)), 8-byte aligned.  Pure. */
size_t coord_memsize(void);

/*
 * Make an empty state in size bytes at st (8-byte aligned): no ballot,
 * counters zero, decision ids from epoch << COORD_ID_SHIFT | 1.  epoch in
 * 1..COORD_EPOCH_MAX.  Returns 0, -EINVAL (epoch, alignment), -DM_ESIZE
 * (size below coord_memsize()).  Writes every byte, the magic last.
 * Start-up code.
 */
int coord_init(struct coord_state *st, size_t size, uint64_t epoch);

/*
 * Take over the state st (after coord_init too, and at every start after
 * a restart) with parameters p and the host's output out, into the handle
 * c.  Counts the open and released-unsent ballots (they go on: votes are
 * still collected, released orders are sent by the next tick); forgets
 * which agents were seen up (a new process).  Returns 0, -EINVAL (p,
 * out), -DM_EMAGIC (not a state: coord_init it), -DM_EVERSION, -DM_ESIZE,
 * -DM_ECORRUPT (a ballot in an unknown state, a child plan out of range).
 * O(COORD_BALLOTS).
 */
int coord_attach(struct coord *c, struct coord_state *st, size_t size,
		 const struct coord_params *p, const struct coord_out *out);

/* ------------------------------------------------------------ inputs
 * Handlers return 0 (handled) or -EAGAIN (not handled now and nothing
 * changed that a retry would repeat: keep the message and offer it again
 * later).  No allocation, no system call. */

/* An order intent: blocked at once, or a ballot opened (-EAGAIN: every
 * ballot busy, a voter's request port full, or the decision journal does
 * not write).  One larger than child_max_qty: its first child so, the
 * others by coord_tick when due (each its own ballot and decision; all
 * sharing the intent's id and limit price). */
int coord_on_intent(struct coord *c, const struct coord_env *e, const struct msg_intent *m);

/* A vote from voter (the role of the port it came in on, not the
 * message's own field).  A vote for no open ballot, or refused by the
 * ballot (decided, past the deadline), is counted in late_votes. */
int coord_on_vote(struct coord *c, const struct coord_env *e, uint32_t voter,
		  const struct msg_vote *m);

/* An execution report: counted; ends the flattening order in flight when
 * it is terminal.  Always 0. */
int coord_on_report(struct coord *c, const struct coord_env *e,
		    const struct msg_exec_report *m);

/*
 * A strategy's cancel of one resting order (k->client_order_id != 0):
 * forwarded as it is on the orders port, no ballot, no decision record
 * (quote_cancels).  A cancel-all (client order id 0) is the operator's
 * only: dropped (quote_cancels_refused), 0.  -EAGAIN: the orders port is
 * full.
 */
int coord_on_cancel(struct coord *c, const struct coord_env *e, const struct msg_cancel *k);

/* Risk's position: stored; under the kill switch, a flatten request sends
 * one flattening order unless one is in flight (-EAGAIN: orders port full,
 * or the decision journal does not write). */
int coord_on_position(struct coord *c, const struct coord_env *e,
		      const struct msg_position *m);

/*
 * Once per host pass after the inputs: the child intents due (under the
 * kill switch the children not sent are dropped), health of every agent (every
 * health_every_ns), a rejection for each open ballot's stale voters,
 * deadlines, the held decisions once the journal writes, then the
 * released orders not sent yet and the MSG_VOTE_DONE waiting for room.  Returns the ballots decided plus the orders and
 * notices sent; *wake_ns (may be NULL) = the time the host should call
 * again at the latest (earliest open deadline, or a retry while the
 * orders port or a voter's port is full), 0 for none.
 */
int coord_tick(struct coord *c, const struct coord_env *e, int64_t *wake_ns);

/* What an operator command did (coord_command). */
struct coord_cmd_result {
	uint32_t told;    /* agents whose control port took the command */
	uint32_t missed;  /* bit a: agent a's control port was full */
	int32_t  cancel;  /* the cancel-all: 0 sent, -EAGAIN orders port full,
			   * 1 none for this command */
	uint32_t dropped; /* released orders dropped (kill switch) */
};

/*
 * Apply an operator command, after the host updated e->flags for it:
 * COORD_CMD_CANCEL_ALL sends MSG_CANCEL (client_order_id 0: every open
 * order); any other (enum ctl_cmd) goes as MSG_CONTROL (cmd, target all,
 * arg = seq, the command's number) to every control port; CTL_KILL_SWITCH
 * then sends the cancel-all and drops the released orders not sent yet.
 * Fills *r.  Returns 0, or -EAGAIN when something could not be sent (r
 * says what).  Control code, but allocation-free.
 */
int coord_command(struct coord *c, const struct coord_env *e, uint32_t cmd, uint64_t seq,
		  struct coord_cmd_result *r);

/* 1 while work is left that a drain must finish (open ballots, released
 * orders not sent, MSG_VOTE_DONE waiting for room, held decisions while
 * the journal writes), else 0. */
static inline int coord_busy(const struct coord *c)
{
	return c->n_open || c->n_decided || c->n_done || (c->n_held && !c->journal_down);
}

/* The reason an intent would be blocked before any vote now (kill_switch,
 * journal_error, halted, agent_down), or 0. */
uint32_t coord_blocked_reason(const struct coord *c, const struct coord_env *e);

/* ------------------------------------------------------------ dump */

struct json_t;

/*
 * The state st as a new JSON object for monitors (caller owns it,
 * json_decref): "decisions", "released", "blocked", "by_reason" {reason:
 * count, non-zero only}, "orders_sent", "agents_down" (bit a: agent a),
 * "late_votes", "reports", "fills", "flattens", "journal_failures"
 * (records the host could not make durable when asked), "quote_cancels",
 * "quote_cancels_refused" (a strategy's cancels), "held" (ballots
 * held now for their record), "children" {"parents", "sent", "dropped",
 * "unsliced"} (child orders, coord_child.c), and "recent": the last
 * decisions (up to COORD_RECENT, oldest first), each {"decision_id",
 * "outcome", "reason", "client_order_id", "px", "qty", "side",
 * "decide_us", "votes": [{"voter", "verdict", "reason"}]}.  Reads st
 * without a lock: a reader in another process may see figures of slightly
 * different instants.  Allocates (jansson): tools and tests, never a
 * handler.
 */
struct json_t *coord_dump_json(const struct coord_state *st);

#endif /* DM_LIBCORE_COORD_H */
