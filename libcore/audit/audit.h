/*
 * audit.h — the invariants of a trading run, checked from what it wrote:
 * its journals (decisions.journal: struct vote_record; orders.journal:
 * struct msg_order and struct msg_exec_report) and, when the run's state
 * is at hand, the venue simulator's own orders and fills and risk's
 * position.  dm-audit feeds it a run directory; a test feeds it
 * hand-made records.
 *
 * Design note.  The journals are written at least once: a process killed
 * between a journal write and the state that remembers it writes the same
 * record again when it comes back (a decision the coordinator decides
 * again under the same id, an order re-delivered, a fill published again).
 * So an id seen twice with the same content is a repeat, counted beside
 * the checks and never a violation; an id seen twice with different
 * content is a duplicate, a violation of its check.  Every other check
 * reads the distinct records.
 *
 *   journals_intact       every journal reads to its end (a torn tail, the
 *                         last write of a killed writer, is no corruption)
 *   decision_ids_unique   a decision id names one decision
 *   client_order_ids_unique
 *                         a client order id names one order (the orders
 *                         journal: the order table's ids) and one released
 *                         decision (the decisions journal: the
 *                         coordinator's); a decision reaches execution as
 *                         one order
 *   venue_order_ids_unique
 *                         within an epoch a venue order id names one
 *                         client order id, and an order has one venue id
 *   exec_ids_unique       an exec id names one fill
 *   decisions_voted       a released decision carries a client order id
 *                         and the approvals its policy asks (quorum, every
 *                         veto holder); a blocked one carries none
 *   orders_approved       every order has a released decision of its
 *                         decision id, with its side, quantity, type and
 *                         (limit orders) price (the order table gives an
 *                         order its own client order id: the decision id
 *                         is the link)
 *   released_reached_execution
 *                         every released decision reached execution: an
 *                         order of its decision id is journaled, or
 *                         execution's refusal of it (a REJECTED report
 *                         naming it).  The kill switch drops released
 *                         orders not yet sent without a record: a run
 *                         that latched it may fail this check
 *   fills_have_orders     every fill in the journal, and every fill in the
 *                         venue's log, is of a journaled order
 *   no_overfill           an order's fills (journal and venue) add up to
 *                         at most its quantity, and no report says more
 *   venue_journaled       every order the venue knows is in the orders
 *                         journal with as many contracts filled as the
 *                         venue filled
 *   position_agrees       risk's position, fill count and volume, the
 *                         venue's net and volume, and the journal's
 *                         distinct fills of the state's epoch agree
 *   fresh_intents         a released decision was decided at most
 *                         max_intent_age after the local ingress of the
 *                         market event behind it (decided_ns - ingress_ns,
 *                         one local clock; decisions with no market event
 *                         behind them, the kill switch's flattening
 *                         orders, are not intents)
 *
 * Epochs.  Every decision, client order and exec id carries its run's
 * epoch in its high bits (id >> 40); venue order ids do not (each venue
 * counts from 1), so they are compared within the epoch of their client
 * order id.  One run directory may hold several epochs (the system
 * stopped and started again on it); the venue and risk state given by
 * audit_set_state belong to one of them, and position_agrees compares them
 * with that epoch's fills only.  Give the state of a system that has
 * settled (replay done, rings empty, nothing in flight at the venue):
 * reports still on their way count as disagreements.
 *
 * Memory.  The caller's: audit_memsize(caps) bytes for at most caps of
 * each record kind, handed to audit_init.  Pure: no clock, no I/O, no
 * allocation; audit_finish sorts in place (qsort).  One thread.
 */
#ifndef DM_LIBCORE_AUDIT_H
#define DM_LIBCORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/msg/msg.h"
#include "libcore/risk/risk.h"
#include "libcore/venue/venue.h"
#include "libcore/vote/vote.h"

#define AUDIT_EXAMPLES    4u    /* violations described per check */
#define AUDIT_EXAMPLE_MAX 200u  /* bytes of one description, NUL included */
#define AUDIT_ID_SHIFT    40    /* id = epoch << 40 | n (coord.h, exec.h) */

enum audit_check {
	AUDIT_JOURNALS_INTACT = 0,
	AUDIT_DECISION_IDS,
	AUDIT_CLIENT_ORDER_IDS,
	AUDIT_VENUE_ORDER_IDS,
	AUDIT_EXEC_IDS,
	AUDIT_DECISIONS_VOTED,
	AUDIT_ORDERS_APPROVED,
	AUDIT_RELEASED_EXECUTED,
	AUDIT_FILLS_HAVE_ORDERS,
	AUDIT_NO_OVERFILL,
	AUDIT_VENUE_JOURNALED,
	AUDIT_POSITION,
	AUDIT_FRESH_INTENTS,
	AUDIT_CHECK_COUNT
};

/* "journals_intact", "decision_ids_unique"... (the names above); "?" for
 * an unknown number.  Any thread. */
const char *audit_check_name(uint32_t check);

/* One line on what the check holds (for --help and reports). */
const char *audit_check_text(uint32_t check);

/* How many records of each kind an audit holds. */
struct audit_caps {
	uint32_t decisions;    /* decision records */
	uint32_t orders;       /* JREC_ORDER records */
	uint32_t reports;      /* JREC_EXEC records */
	uint32_t venue_orders; /* orders the venue knows */
	uint32_t venue_fills;  /* fills in the venue's log */
};

struct audit_params {
	int64_t max_intent_age_ns; /* fresh_intents' limit; 0 = not checked */
};

/* The state a run's journals are compared with: one segment's. */
struct audit_state {
	uint64_t epoch;          /* the segment's id epoch */
	uint32_t have_venue;     /* venue_totals below, and venue orders and fills
				  * fed by audit_on_venue_* */
	uint32_t have_risk;      /* the risk fields below */
	struct venue_totals venue;
	uint32_t venue_busy;     /* messages or reports still in flight at the venue */
	uint32_t pad;
	int64_t  risk_position;  /* signed contracts */
	uint64_t risk_fills;     /* fills risk applied */
	int64_t  risk_volume;    /* contracts risk saw filled */
};

/* Fill *s from a risk state (position, fills, volume) and mark it given. */
void audit_state_risk(struct audit_state *s, const struct risk_state *r);

/* Fill *s from a venue (totals, in-flight messages) and mark it given;
 * the venue's orders and fills still go through audit_on_venue_*. */
void audit_state_venue(struct audit_state *s, const struct venue *v);

/* Per check: what was looked at, what broke, the first few described. */
struct audit_check_result {
	uint64_t checked;     /* items examined */
	uint64_t violations;
	uint32_t skipped;     /* 1: nothing to check it against (no state given,
			       * or max_intent_age 0) */
	uint32_t n_examples;  /* <= AUDIT_EXAMPLES */
	char     example[AUDIT_EXAMPLES][AUDIT_EXAMPLE_MAX];
};

struct audit_result {
	struct audit_check_result check[AUDIT_CHECK_COUNT];
	uint64_t decisions, released, orders, reports, fills; /* distinct */
	uint64_t rep_decisions, rep_orders, rep_fills; /* repeats (same content) */
	uint64_t epochs;          /* distinct epochs among the decisions and orders */
	uint64_t violations;      /* sum over the checks */
	/* the state's epoch in the journal (position_agrees' figures) */
	int64_t  journal_position;
	int64_t  journal_volume;
	uint64_t journal_fills;
	int64_t  max_intent_age_seen_ns; /* largest decided_ns - ingress_ns of a
					  * released decision behind an intent */
	uint64_t torn_bytes;      /* after the last valid record, all journals */
	uint32_t dropped;         /* records refused for want of room (a caller's
				   * caps too small): the result is incomplete */
	uint32_t pad;
};

/* The audit's handle; its fields are the module's.  Caller-owned. */
struct audit {
	struct audit_params p;
	struct audit_caps cap;
	struct audit_caps n;
	struct audit_state st;
	uint32_t have_state;
	uint32_t dropped;
	uint64_t seq;                  /* records fed, in order */
	struct audit_dec *dec;
	struct audit_ord *ord;
	struct audit_rep *rep;
	struct venue_order_view *vord;
	struct venue_fill *vfill;
	struct audit_result r;         /* journals_intact so far */
};

/* Bytes of memory audit_init needs for caps.  Pure. */
size_t audit_memsize(const struct audit_caps *caps);

/*
 * Start an audit in mem (size >= audit_memsize(caps), 8-byte aligned).
 * Returns 0, or -EINVAL (a NULL, a short or misaligned mem).  Pure.
 */
int audit_init(struct audit *a, void *mem, size_t size, const struct audit_caps *caps,
	       const struct audit_params *p);

/*
 * Feed one record of the run, in journal order within each journal.
 * Returns 0, or -ENOSPC when its kind is full (counted in
 * audit_result.dropped; the audit goes on without it).  audit_on_exec
 * takes every execution report (fills are those with exec_id != 0 and
 * last_qty > 0).
 */
int audit_on_decision(struct audit *a, const struct vote_record *d);
int audit_on_order(struct audit *a, const struct msg_order *o);
int audit_on_exec(struct audit *a, const struct msg_exec_report *x);

/*
 * A journal read: rc 0 to its end, or < 0 (-DM_ECORRUPT: a bad record
 * with valid ones after it, at offset; any other error) — a violation of
 * journals_intact naming name.  torn_bytes: bytes after the last valid
 * record (a killed writer's last write), summed in torn_bytes, not a
 * violation.
 */
void audit_on_journal(struct audit *a, const char *name, int rc, uint64_t offset,
		      uint64_t torn_bytes);

/* The state to compare the journals with (a copy is kept); without it
 * venue_journaled and position_agrees are skipped. */
void audit_set_state(struct audit *a, const struct audit_state *s);

/* One order the venue knows, one fill of the venue's log (after
 * audit_set_state with have_venue).  Same returns as audit_on_order. */
int audit_on_venue_order(struct audit *a, const struct venue_order_view *v);
int audit_on_venue_fill(struct audit *a, const struct venue_fill *f);

/*
 * Run every check over what was fed and fill *r.  Sorts the records in
 * place: call once, after the last record.  O(n log n).
 */
void audit_finish(struct audit *a, struct audit_result *r);

#endif /* DM_LIBCORE_AUDIT_H */
