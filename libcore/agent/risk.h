/*
 * risk.h — pre-trade checks and position keeping for the risk agent.
 *
 * Design note.  struct risk_pos is the position of one instrument built
 * from fills only: signed contracts, average price of the open position,
 * realized P&L in ticks, fees, and the last mark.  Fills are applied in
 * exec_id order; a fill whose exec_id is not above the last one applied is
 * a re-delivery and is ignored, so applying a report twice is harmless.
 *
 * risk_check is the vote: the order size and the position the order would
 * leave (position + side * qty) against the limits, a price collar around
 * the mark, and the kill switch.  PLACEHOLDER limits (issue: risk deepens
 * them with rate, daily loss, drawdown, trading hours and stale data).
 *
 * Pure: no clock, no I/O, no allocation; fixed-size pointer-free structs
 * (they live in the agent's restart-surviving state).
 */
#ifndef DM_LIBCORE_AGENT_RISK_H
#define DM_LIBCORE_AGENT_RISK_H

#include <stdint.h>

struct risk_limits {
	int64_t max_position;   /* |position| after the order, contracts */
	int32_t max_order_qty;  /* contracts per order */
	int32_t pad;
	int64_t collar_ticks;   /* |px - mark| allowed; 0 = no collar */
};

struct risk_pos {
	int64_t  position;      /* signed contracts */
	double   avg_px;        /* ticks, of the open position; 0 when flat */
	double   realized_ticks;/* closed P&L, ticks x contracts */
	int64_t  fees_mbrl;     /* milli-BRL */
	int64_t  mark_px;       /* last mark, ticks; 0 = none */
	uint64_t fills;         /* fills applied */
	uint64_t last_exec_id;  /* highest exec_id applied */
	int64_t  volume;        /* contracts traded */
};

void risk_pos_init(struct risk_pos *p);

/*
 * Apply one fill: side +1 buy / -1 sell, qty > 0 contracts at px ticks.
 * Returns 1 applied, 0 ignored (exec_id not above the last applied),
 * -EINVAL (bad side or qty).
 */
int risk_pos_fill(struct risk_pos *p, uint64_t exec_id, int side, int64_t px,
		  int64_t qty, int64_t fee_mbrl);

/* Unrealized P&L at the mark, ticks x contracts (0 without a mark). */
double risk_pos_unrealized(const struct risk_pos *p);

/*
 * Exposure approved but not yet seen as fills.  Risk does not learn which
 * approved order became which fill (reports carry the client order id,
 * votes the decision id), so each approval reserves side * qty until
 * expiry; fills of the order add to the position meanwhile, which counts
 * it twice for a moment: conservative.  PLACEHOLDER until the order state
 * machine links decisions, orders and reports.
 */
#define RISK_RESERVE_MAX 32
struct risk_reserve {
	int64_t qty[RISK_RESERVE_MAX];       /* signed contracts; 0 = free */
	int64_t expiry_ns[RISK_RESERVE_MAX];
};

/* Contracts reserved to buy and to sell (both >= 0) alive at now_ns;
 * expired reservations are freed. */
void risk_reserved(struct risk_reserve *r, int64_t now_ns, int64_t *buy, int64_t *sell);

/* Reserve side * qty until expiry_ns: 0, or -ENOSPC when the table is full. */
int risk_reserve(struct risk_reserve *r, int side, int64_t qty, int64_t expiry_ns);

/*
 * Vote on an order (pend_buy / pend_sell: reserved contracts, counted as
 * if they all filled): returns VOTE_R_APPROVED, or the reason it is refused
 * (VOTE_R_KILL_SWITCH, VOTE_R_BAD_ORDER, VOTE_R_QTY_LIMIT,
 * VOTE_R_POS_LIMIT, VOTE_R_PRICE_COLLAR) from libcore/vote/vote.h.
 */
uint32_t risk_check(const struct risk_limits *l, const struct risk_pos *p, int64_t pend_buy,
		    int64_t pend_sell, int killed, int side, int64_t px, int64_t qty);

#endif /* DM_LIBCORE_AGENT_RISK_H */
