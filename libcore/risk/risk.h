/*
 * risk.h — pre-trade risk: limits, position and P&L, trading state, kill
 * switch.  docs/risk.md describes every rule.
 *
 * Design note.  struct risk_state is everything the risk voter knows about
 * one instrument: the position built from fills, its P&L in the
 * instrument's currency, the last
 * mark, the orders approved and still open, an order-rate token bucket,
 * the trading state and the kill switch, and counters.  It is fixed-size
 * and pointer-free, so it can live in the risk agent's restart-surviving
 * region; every function reads and writes only the structs it is handed,
 * takes every time as an argument, allocates nothing, blocks never and
 * makes no system call.  One thread per state.
 *
 * Money.  Inside the state money is int64 nano-units of the instrument's
 * currency (currency x 10^9, "_e9", libcore/market/instrument.h), the unit fees
 * arrive in; one tick of one lot is worth tick_value_e9 (WIN: 10^9 =
 * R$ 1.00; AAPL 10^7; BTCUSDT spot 100; USD-M 10^5).  The limits of
 * struct risk_cfg are currency x 10^6, in the currency they state
 * (config_load_risk_for refuses another currency than the instrument's),
 * and are compared exactly (x 1000).  The open position is kept as its
 * signed cost in money
 * (sum of signed qty x px x tick value of the contracts still open), so
 *
 *   unrealized = position x mid x tick_value_e9 - open_cost
 *   realized  += cash of the closed contracts - their share of open_cost
 *
 * with the share open_cost x closed / |position| (average-cost method,
 * truncated to whole nano-units; closing the whole position releases the whole
 * cost, so realized + unrealized is always exact).  The mark is kept as
 * bid + ask (twice the mid), so a mid half-way between two ticks is
 * exact too.
 *
 * Trading state.  ACTIVE -> REDUCING -> HALTED only moves up during a day
 * (a ratchet: a mark that recovers does not undo a breach).  Going back
 * takes risk_rearm (an operator) or risk_day_start (a new day), both of
 * which re-evaluate the limits from scratch.  The kill switch and the
 * operator halt are latches that only risk_rearm clears.
 *
 * Check order of risk_check_order, first failure wins:
 *   1 kill switch latched                        VOTE_R_KILL_SWITCH
 *   2 state HALTED: its cause                    VOTE_R_DAILY_LOSS,
 *                                                VOTE_R_DRAWDOWN,
 *                                                VOTE_R_STATE_HALTED
 *   3 malformed side, quantity, price or type    VOTE_R_BAD_ORDER
 *   4 outside the session (enforce_session)      VOTE_R_SESSION
 *   5 no mark yet                                VOTE_R_NO_BOOK
 *   6 mark older than stale_data_ms              VOTE_R_STALE_DATA
 *   7 qty > max_order_qty                        VOTE_R_QTY_LIMIT
 *   8 state REDUCING, order would not shrink     VOTE_R_REDUCING
 *     |position| or could flip it
 *   9 open-order table full                      VOTE_R_OPEN_ORDERS
 *     worst-case position beyond max_position    VOTE_R_POS_LIMIT
 *  10 limit price beyond collar_ticks of the mid VOTE_R_PRICE_COLLAR
 *  11 no order-rate token                        VOTE_R_RATE_LIMIT
 * otherwise VOTE_R_APPROVED, and only then is a token taken.
 */
#ifndef DM_LIBCORE_RISK_H
#define DM_LIBCORE_RISK_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/config/cfg.h"
#include "libcore/control/ac.h"
#include "libcore/market/calendar.h"
#include "libcore/market/instrument.h"
#include "libcore/vote/vote.h"

/*
 * The limits (conf/risk.yaml; every key required).  Money is currency x
 * 10^6, in the currency the file states (currency).
 * risk_cfg_check gives the valid ranges.
 */
struct risk_cfg {
	int64_t  max_position;        /* |position| any fill of the order could leave, contracts; 1..100000 */
	int64_t  max_order_qty;       /* contracts per order; 1..100000 */
	uint32_t rate_per_s;          /* token bucket refill, orders per second; 1..1000000 */
	uint32_t rate_burst;          /* bucket capacity, orders; 1..1000000 */
	int64_t  collar_ticks;        /* |limit price - mid| allowed, ticks; 1..1000000 */
	int64_t  daily_loss_e6;   /* daily loss limit, currency x 10^6, > 0: net P&L (realized + unrealized at the mark - fees) <= -limit -> HALTED */
	int64_t  max_drawdown_e6; /* drawdown limit from the day's peak net P&L, currency x 10^6, > 0 -> HALTED */
	int64_t  reducing_at_e6;  /* loss at which the state becomes REDUCING (only orders that shrink |position|), currency x 10^6; 0 = never; must be < daily_loss */
	uint32_t stale_data_ms;       /* market data older than this (by local receive time) -> reject; 1..3600000 */
	uint32_t enforce_session;     /* 1 = reject outside the B3 session hours (libcore/market/calendar.h cal_in_session) */
	uint32_t kill_flatten;        /* 1 = engaging the kill switch also asks to flatten the position */
	uint32_t flatten_slices;      /* kill_switch.flatten_slices: orders the flatten is
				       * spread over, 1..AC_MAX_SLICES; 0 = 1 (all at once) */
	char     currency[CFG_CURRENCY_MAX]; /* of the money limits, "BRL"; 1..7 letters A-Z */
	/* The flatten's Almgren-Chriss trajectory (docs/risk.md, "Kill switch";
	 * every key optional): prices in ticks, time in seconds. */
	int64_t  flatten_horizon_ns;  /* kill_switch.flatten_horizon: T, from the kill to
				       * the last slice's interval end; > 0 when slices > 1 */
	double   flatten_eta;         /* kill_switch.flatten_eta: temporary impact, ticks per
				       * contract per contract of one slice (dm-study's eta);
				       * 0 = the straight line */
	double   flatten_gamma;       /* kill_switch.flatten_gamma: permanent impact, ticks
				       * per contract (Kyle's lambda); >= 0 */
	double   flatten_sigma;       /* kill_switch.flatten_sigma: ticks per sqrt(s); >= 0 */
	double   flatten_lambda;      /* kill_switch.flatten_risk_aversion: 1 / tick; >= 0 */
};
_Static_assert(offsetof(struct risk_cfg, rate_per_s) == 16, "risk_cfg.rate_per_s");
_Static_assert(offsetof(struct risk_cfg, collar_ticks) == 24, "risk_cfg.collar_ticks");
_Static_assert(offsetof(struct risk_cfg, stale_data_ms) == 56, "risk_cfg.stale_data_ms");
_Static_assert(sizeof(struct risk_cfg) == 120, "risk_cfg size");

/*
 * 0 if every field is in its range (above), enforce_session and
 * kill_flatten are 0 or 1, reducing_at < daily_loss and currency is 1 to
 * 7 capital letters; else -EINVAL with
 * *field (if field is not NULL) set to the conf/risk.yaml key of the first
 * bad field ("max_position", "order_rate.burst", "price_collar_ticks",
 * "reducing_at_loss", "kill_switch.flatten", ...).  Any thread.
 */
int risk_cfg_check(const struct risk_cfg *cfg, const char **field);

/* The keys of conf/risk.yaml, relative to struct risk_cfg, every one
 * required (conf/risk.yaml documents them); config_load_risk reads them. */
extern const struct cfg_key risk_cfg_keys[];

/* Trading state; the numbers are those of msg_position.trading_state. */
enum risk_trading { RISK_ACTIVE = 0, RISK_REDUCING = 1, RISK_HALTED = 2 };

/* "active", "reducing", "halted" ("?" for an unknown value).  Reasons are
 * named by vote_reason_name (libcore/vote/vote.h). */
const char *risk_state_name(uint32_t state);

/* Order types; the numbers equal enum ord_type of shm/msg.h. */
enum risk_ord_type { RISK_ORD_LIMIT = 1, RISK_ORD_MARKET = 2 };

/* An order to vote on. */
struct risk_order {
	int64_t  px;        /* limit price, ticks, > 0; 0 for a market order */
	int64_t  qty;       /* contracts, > 0 */
	int32_t  side;      /* +1 buy, -1 sell */
	uint32_t ord_type;  /* enum risk_ord_type */
};

/* One execution (a fill) as reported by the venue. */
struct risk_fill {
	uint64_t exec_id;          /* unique per fill at the venue, != 0 */
	uint64_t client_order_id;  /* the open order it fills (risk_on_order_open), 0 if none */
	int64_t  px;               /* ticks */
	int64_t  qty;              /* contracts, > 0 */
	int64_t  fee_e9;           /* fees of this fill, currency x 10^9 (a rebate is negative) */
	int32_t  side;             /* +1 buy, -1 sell */
	uint32_t pad;
};

/* P&L of the day so far, currency x 10^9. */
struct risk_pnl {
	int64_t realized_e9;
	int64_t unrealized_e9;   /* open position at the mark; 0 without a mark */
	int64_t fees_e9;
	int64_t net_e9;          /* realized + unrealized - fees */
	int64_t peak_e9;         /* the day's highest net, >= 0 */
	int64_t drawdown_e9;     /* peak - net, >= 0 */
	/* Since risk_init, across day starts (the whole run; what the fills
	 * give: cash of every fill plus the open position at the mark). */
	int64_t run_gross_e9;    /* earlier days' gross + realized + unrealized */
	int64_t run_fees_e9;     /* earlier days' fees + fees */
};

#define RISK_OPEN_MAX  256  /* orders approved and still open */
#define RISK_EXEC_SEEN 256  /* recent exec_ids kept to drop re-delivered fills */

struct risk_open_order {
	uint64_t id;      /* the caller's order id */
	int64_t  leaves;  /* signed contracts still open: > 0 buy, < 0 sell */
};

/*
 * The state.  Read any field; change it only through the functions below.
 * Money fields are currency x 10^9.
 */
struct risk_state {
	/* trading state */
	uint32_t state;            /* enum risk_trading */
	uint32_t halt_reason;      /* HALTED: VOTE_R_DAILY_LOSS, _DRAWDOWN, _KILL_SWITCH
	                            * or _STATE_HALTED (operator); else 0 */
	int64_t  state_ns;         /* when state last changed */
	uint32_t killed;           /* kill switch latched */
	uint32_t kill_reason;      /* the caller's code given to risk_kill */
	int64_t  kill_ns;          /* when it latched */
	uint32_t op_halted;        /* operator halt latched (risk_halt) */
	uint32_t pad0;
	int64_t  day_start_ns;     /* last risk_day_start (or risk_init: 0) */
	char     currency[CFG_CURRENCY_MAX]; /* of every money field, from the
	                            * instrument ("BRL", "USDT") */

	/* position and P&L */
	int64_t  tick_value_e9;    /* one tick x one lot, > 0 */
	int64_t  position;         /* signed contracts */
	int64_t  open_cost_e9;   /* signed cost of the open position */
	int64_t  realized_e9;    /* today */
	int64_t  fees_e9;        /* today */
	int64_t  peak_e9;        /* today's highest net P&L, from 0 */
	int64_t  volume;           /* contracts filled, all days */
	int64_t  last_fill_ns;
	int64_t  prior_gross_e9;   /* gross P&L of the days before today (each
	                            * day's realized + unrealized at its last
	                            * mark, which became today's open cost) */
	int64_t  prior_fees_e9;    /* fees of the days before today */

	/* mark */
	int64_t  mid_x2;           /* bid + ask, ticks (twice the mid) */
	int64_t  mark_recv_ns;     /* local receive time of that book */
	uint32_t has_mark;         /* 0 until the first two-sided book */
	uint32_t pad1;

	/* order rate: tokens x 10^9; refill adds elapsed_ns x rate_per_s */
	int64_t  tokens_e9;
	int64_t  refill_ns;        /* time of the last refill */

	/* open orders (risk_on_order_open), dense: open[0 .. n_open) */
	int64_t  open_buy;         /* sum of buy leaves, >= 0 */
	int64_t  open_sell;        /* sum of sell leaves, >= 0 */
	uint32_t n_open;
	uint32_t pad2;
	struct risk_open_order open[RISK_OPEN_MAX];

	/* fill de-duplication: the last RISK_EXEC_SEEN exec_ids applied,
	 * exec_seen[fills % RISK_EXEC_SEEN] is overwritten next */
	uint64_t exec_seen[RISK_EXEC_SEEN];
	uint64_t fills;            /* fills applied */
	uint64_t dup_fills;        /* fills ignored as re-deliveries */

	/* checks */
	uint64_t checks;           /* risk_check_order calls */
	uint64_t approved;
	uint64_t rejected[VOTE_R_COUNT]; /* by reason */
};
_Static_assert(sizeof(struct risk_state) ==
	       200 + 16 * RISK_OPEN_MAX + 8 * RISK_EXEC_SEEN + 32 + 8 * VOTE_R_COUNT,
	       "risk_state size");

/*
 * Start a day flat: position 0, no P&L, no mark, no open order, a full
 * token bucket (cfg->rate_burst), state ACTIVE.  The tick value comes from
 * in (it is part of the state from here on).  Start-up code.
 */
void risk_init(struct risk_state *st, const struct risk_cfg *cfg,
	       const struct instrument *in);

/*
 * Vote on order o at local time now_ns: VOTE_R_APPROVED, or the reason of
 * the first check that fails (the order at the top of this file).  cal is
 * read only when cfg->enforce_session is 1 (NULL then rejects with
 * VOTE_R_SESSION).  Counts the check, and the rejection by reason; an
 * approval takes one rate token.  Call risk_on_order_open for the approved
 * order before the next check so its exposure counts.  Hot path: O(1).
 */
uint32_t risk_check_order(struct risk_state *st, const struct risk_cfg *cfg,
			  const struct calendar *cal, const struct risk_order *o,
			  int64_t now_ns);

/*
 * Record an approved order as open: its qty counts in every later
 * position check until fills or risk_on_order_done release it.  id is any
 * caller id != 0 (the client order id), unique among open orders.
 * Returns 0, -EINVAL (id 0, bad side or qty), -EEXIST (id already open),
 * -DM_EFULL (RISK_OPEN_MAX open; risk_check_order refuses new orders with
 * VOTE_R_OPEN_ORDERS meanwhile).  O(open orders).
 */
int risk_on_order_open(struct risk_state *st, uint64_t id, int side, int64_t qty);

/*
 * The order is done (cancelled, rejected, expired or fully filled): its
 * remaining qty no longer counts.  Returns the contracts released (>= 0),
 * or -ENOENT if id is not open.  O(open orders).
 */
int64_t risk_on_order_done(struct risk_state *st, uint64_t id);

/*
 * The open order `from` is known as `to` from now on (risk held an
 * approval under the intent's id until the decision's id was known).
 * Returns 0, -ENOENT (from not open), -EEXIST (to open already), -EINVAL
 * (to is 0).  O(open orders).
 */
int risk_order_rekey(struct risk_state *st, uint64_t from, uint64_t to);

/* 1 when id is an open order, else 0.  O(open orders). */
int risk_order_is_open(const struct risk_state *st, uint64_t id);

/*
 * Apply a fill: position, average cost, realized P&L, fees; the open order
 * f->client_order_id (if open and of the same side) is reduced by the
 * fill.  Then the state is re-evaluated (below).  Returns 1 applied,
 * 0 ignored (exec_id among the last RISK_EXEC_SEEN applied: a
 * re-delivery), -EINVAL (exec_id 0, bad side, qty <= 0), -ERANGE (the
 * money would overflow); the state is unchanged unless 1.  O(RISK_EXEC_SEEN).
 */
int risk_on_fill(struct risk_state *st, const struct risk_cfg *cfg,
		 const struct risk_fill *f, int64_t now_ns);

/*
 * A two-sided book: mark at (bid + ask) / 2 received at recv_ns (local
 * time), then re-evaluate the state.  Returns 0, or -EINVAL when a price
 * is <= 0 (an empty side; nothing changes).  O(1).
 */
int risk_on_book(struct risk_state *st, const struct risk_cfg *cfg, int64_t bid_px,
		 int64_t ask_px, int64_t recv_ns);

/* Mark at mid_px (whole ticks): risk_on_book(mid_px, mid_px). */
int risk_on_mark(struct risk_state *st, const struct risk_cfg *cfg, int64_t mid_px,
		 int64_t recv_ns);

/*
 * Re-evaluation after a fill or a mark (also done by risk_on_fill and
 * risk_on_book): peak = max(peak, net); then
 *   net <= -daily_loss                 -> HALTED (VOTE_R_DAILY_LOSS)
 *   peak - net >= max_drawdown         -> HALTED (VOTE_R_DRAWDOWN)
 *   reducing_at && net <= -reducing_at -> REDUCING
 * and the state moves to the worse of the current one and that.  Returns
 * the state.
 */
uint32_t risk_evaluate(struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns);

/*
 * Latch the kill switch: state HALTED, every order refused with
 * VOTE_R_KILL_SWITCH until risk_rearm.  reason is the caller's code, kept
 * with the time (a second kill keeps the first).  Returns 1 when the
 * position should be flattened (cfg->kill_flatten and not flat; see
 * risk_flatten_order), else 0.  Cancelling the open orders is the
 * caller's part.
 */
int risk_kill(struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns,
	      uint32_t reason);

/* Latch an operator halt: HALTED, orders refused with VOTE_R_STATE_HALTED
 * until risk_rearm; nothing is flattened. */
void risk_halt(struct risk_state *st, int64_t now_ns);

/*
 * Operator rearm: clear the kill switch and the operator halt, then set the
 * state from the limits alone (ACTIVE only if no limit is reached; a loss
 * past a limit stays REDUCING or HALTED).  Returns the new state.
 */
uint32_t risk_rearm(struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns);

/*
 * A new trading day: realized P&L, fees and the peak go back to 0; an open
 * position is re-based at the mark (its cost becomes position x mid, the
 * way the exchange's daily settlement does), so yesterday's gains and
 * losses leave the daily limits.  The state is set from the limits afresh;
 * the kill switch and operator halt stay latched.
 */
void risk_day_start(struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns);

/*
 * The order that flattens the position: a market order of the opposite
 * side for min(|position|, cfg->max_order_qty) contracts (repeat after it
 * fills).  Returns 1 with *out filled, 0 when flat (*out untouched).
 */
int risk_flatten_order(const struct risk_state *st, const struct risk_cfg *cfg,
		       struct risk_order *out);

/*
 * The kill switch's flatten spread over time (docs/risk.md, "Kill
 * switch"): the position X at the kill becomes cfg->flatten_slices orders
 * along the Almgren-Chriss trajectory (libcore/control/ac.h) over
 * flatten_horizon_ns.  With n slices and tau = T / n, slice j (1..n) is
 * due at start_ns + (j - 1) tau and brings the position to hold[j] (the
 * trajectory's holdings rounded to whole contracts, hold[n] = 0): the
 * first slice goes at the kill itself, the last at T - tau.  One slice
 * (the default) is today's flatten: everything at once.
 */
struct risk_flatten_plan {
	int64_t  start_ns;           /* the kill (the caller's clock) */
	int64_t  tau_ns;             /* between two slices; 0 with one slice */
	uint32_t n;                  /* slices, 1..AC_MAX_SLICES; 0 = no plan */
	uint32_t pad;
	int64_t  hold[AC_MAX_SLICES + 1]; /* signed position after slice j; hold[0] = X */
};

/*
 * The plan for the position of st at now_ns (flat: n = 1, X = 0).
 * eta 0 (or lambda or sigma 0) gives the straight line; an eta the
 * trajectory cannot take (eta~ <= 0) falls back to it too.  Returns 0.
 * Pure; no allocation.
 */
int risk_flatten_plan(const struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns,
		      struct risk_flatten_plan *plan);

/*
 * The flattening order due at now_ns by plan: the latest slice due, j,
 * says the position should be hold[j]; the order is the opposite side of
 * the position for min(|position - hold[j]|, |position|, max_order_qty)
 * contracts when position - hold[j] has the position's sign (else nothing
 * is due: ahead of the plan).  Returns 1 with *out, 0 when nothing is due
 * now (or flat); *next_ns (may be NULL) = the time of the next slice, 0
 * when the last is due.  With one slice this is risk_flatten_order.
 */
int risk_flatten_due(const struct risk_state *st, const struct risk_cfg *cfg,
		     const struct risk_flatten_plan *plan, int64_t now_ns,
		     struct risk_order *out, int64_t *next_ns);

/* Cancels are not orders: always allowed, in every state. */
static inline int risk_allows_cancel(const struct risk_state *st)
{
	(void)st;
	return 1;
}

/* The day's P&L at the current mark. */
void risk_pnl(const struct risk_state *st, struct risk_pnl *out);

/* Average price of the open position, ticks (0 when flat).  For display. */
double risk_avg_px(const struct risk_state *st);

#endif /* DM_LIBCORE_RISK_H */
