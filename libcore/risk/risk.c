/* risk.c — pre-trade limits, position and P&L, trading state (risk.h). */
#include "libcore/risk/risk.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "libcore/types.h"

#define NS_PER_MS   1000000LL
#define TOKEN       1000000000LL /* one order in tokens_e9 */
#define E9_PER_E6   1000         /* money x 10^9 per limit unit x 10^6 */

typedef __int128 i128;

static int fits64(i128 v)
{
	return v >= INT64_MIN && v <= INT64_MAX;
}

static int64_t sat64(i128 v)
{
	return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

static i128 abs128(i128 v)
{
	return v < 0 ? -v : v;
}

/* a x b x c, or -ERANGE when it does not fit 128 bits. */
static int mul3(int64_t a, int64_t b, int64_t c, i128 *out)
{
	i128 v;

	if (__builtin_mul_overflow((i128)a, (i128)b, &v) ||
	    __builtin_mul_overflow(v, (i128)c, &v))
		return -ERANGE;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------ names, cfg */

/* 1 to 7 capital letters, NUL-terminated in the buffer. */
static int currency_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n > 0 && n < size && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

const char *risk_state_name(uint32_t state)
{
	static const char *const n[] = { "active", "reducing", "halted" };

	return state < 3 ? n[state] : "?";
}

int risk_cfg_check(const struct risk_cfg *cfg, const char **field)
{
	const char *bad = NULL;

	if (cfg->max_position < 1 || cfg->max_position > 100000)
		bad = "max_position";
	else if (cfg->max_order_qty < 1 || cfg->max_order_qty > 100000)
		bad = "max_order_qty";
	else if (cfg->rate_per_s < 1 || cfg->rate_per_s > 1000000)
		bad = "order_rate.per_second";
	else if (cfg->rate_burst < 1 || cfg->rate_burst > 1000000)
		bad = "order_rate.burst";
	else if (cfg->collar_ticks < 1 || cfg->collar_ticks > 1000000)
		bad = "price_collar_ticks";
	else if (cfg->daily_loss_e6 <= 0)
		bad = "daily_loss";
	else if (cfg->max_drawdown_e6 <= 0)
		bad = "max_drawdown";
	else if (cfg->reducing_at_e6 < 0 ||
		 cfg->reducing_at_e6 >= cfg->daily_loss_e6)
		bad = "reducing_at_loss";
	else if (cfg->stale_data_ms < 1 || cfg->stale_data_ms > 3600000)
		bad = "stale_data_ms";
	else if (cfg->enforce_session > 1)
		bad = "enforce_session";
	else if (cfg->kill_flatten > 1)
		bad = "kill_switch.flatten";
	else if (cfg->flatten_slices > AC_MAX_SLICES)
		bad = "kill_switch.flatten_slices";
	else if (cfg->flatten_horizon_ns < 0 ||
		 (cfg->flatten_slices > 1 && cfg->flatten_horizon_ns <= 0))
		bad = "kill_switch.flatten_horizon";
	else if (!(cfg->flatten_eta >= 0) || !isfinite(cfg->flatten_eta))
		bad = "kill_switch.flatten_eta";
	else if (!(cfg->flatten_gamma >= 0) || !isfinite(cfg->flatten_gamma))
		bad = "kill_switch.flatten_gamma";
	else if (!(cfg->flatten_sigma >= 0) || !isfinite(cfg->flatten_sigma))
		bad = "kill_switch.flatten_sigma";
	else if (!(cfg->flatten_lambda >= 0) || !isfinite(cfg->flatten_lambda))
		bad = "kill_switch.flatten_risk_aversion";
	else if (!currency_ok(cfg->currency, sizeof(cfg->currency)))
		bad = "currency";
	if (bad && field)
		*field = bad;
	return bad ? -EINVAL : 0;
}

/* ------------------------------------------------------------ P&L */

static i128 unrealized(const struct risk_state *st)
{
	if (!st->has_mark || !st->position)
		return 0;
	/* exact when the mid is whole or the tick value even (every bundled
	 * instrument's is); else truncated by at most half a nano-unit */
	return (i128)st->position * st->mid_x2 * st->tick_value_e9 / 2 - st->open_cost_e9;
}

static i128 net_pnl(const struct risk_state *st)
{
	return (i128)st->realized_e9 + unrealized(st) - st->fees_e9;
}

void risk_pnl(const struct risk_state *st, struct risk_pnl *out)
{
	i128 net = net_pnl(st);

	out->realized_e9 = st->realized_e9;
	out->unrealized_e9 = sat64(unrealized(st));
	out->fees_e9 = st->fees_e9;
	out->net_e9 = sat64(net);
	out->peak_e9 = st->peak_e9;
	out->drawdown_e9 = sat64((i128)st->peak_e9 - net);
	out->run_gross_e9 = sat64((i128)st->prior_gross_e9 + st->realized_e9 + unrealized(st));
	out->run_fees_e9 = sat64((i128)st->prior_fees_e9 + st->fees_e9);
}

double risk_avg_px(const struct risk_state *st)
{
	if (!st->position)
		return 0;
	return (double)st->open_cost_e9 / ((double)st->position * (double)st->tick_value_e9);
}

/* ------------------------------------------------------------ state */

static void set_state(struct risk_state *st, uint32_t s, uint32_t cause, int64_t now_ns)
{
	if (st->state != s)
		st->state_ns = now_ns;
	st->state = s;
	st->halt_reason = s == RISK_HALTED ? cause : 0;
}

/*
 * Update the peak, then set the state from the latches and the limits:
 * fresh sets it outright, otherwise it only moves towards HALTED.
 */
static uint32_t evaluate(struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns,
			 int fresh)
{
	i128 net = net_pnl(st), dd;
	uint32_t target = RISK_ACTIVE, cause = 0;

	if (net > st->peak_e9)
		st->peak_e9 = sat64(net);
	dd = (i128)st->peak_e9 - net;
	if (st->killed) {
		target = RISK_HALTED;
		cause = VOTE_R_KILL_SWITCH;
	} else if (st->op_halted) {
		target = RISK_HALTED;
		cause = VOTE_R_STATE_HALTED;
	} else if (net <= -(i128)cfg->daily_loss_e6 * E9_PER_E6) {
		target = RISK_HALTED;
		cause = VOTE_R_DAILY_LOSS;
	} else if (dd >= (i128)cfg->max_drawdown_e6 * E9_PER_E6) {
		target = RISK_HALTED;
		cause = VOTE_R_DRAWDOWN;
	} else if (cfg->reducing_at_e6 > 0 &&
		   net <= -(i128)cfg->reducing_at_e6 * E9_PER_E6) {
		target = RISK_REDUCING;
	}
	if (fresh || target > st->state)
		set_state(st, target, cause, now_ns);
	return st->state;
}

uint32_t risk_evaluate(struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns)
{
	return evaluate(st, cfg, now_ns, 0);
}

void risk_init(struct risk_state *st, const struct risk_cfg *cfg, const struct instrument *in)
{
	memset(st, 0, sizeof(*st));
	st->state = RISK_ACTIVE;
	st->tick_value_e9 = in->tick_value_e9;
	memcpy(st->currency, in->currency, sizeof(st->currency));
	st->tokens_e9 = (int64_t)cfg->rate_burst * TOKEN;
}

int risk_kill(struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns,
	      uint32_t reason)
{
	if (!st->killed) {
		st->killed = 1;
		st->kill_reason = reason;
		st->kill_ns = now_ns;
		set_state(st, RISK_HALTED, VOTE_R_KILL_SWITCH, now_ns);
	}
	return cfg->kill_flatten && st->position != 0;
}

void risk_halt(struct risk_state *st, int64_t now_ns)
{
	st->op_halted = 1;
	if (st->state != RISK_HALTED)
		set_state(st, RISK_HALTED, VOTE_R_STATE_HALTED, now_ns);
}

uint32_t risk_rearm(struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns)
{
	st->killed = 0;
	st->kill_reason = 0;
	st->kill_ns = 0;
	st->op_halted = 0;
	return evaluate(st, cfg, now_ns, 1);
}

void risk_day_start(struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns)
{
	i128 cost;

	/* the run's totals carry what the day ends with: its realized P&L,
	 * the open position at the mark (re-based into the open cost below)
	 * and its fees */
	st->prior_gross_e9 = sat64((i128)st->prior_gross_e9 + st->realized_e9 + unrealized(st));
	st->prior_fees_e9 = sat64((i128)st->prior_fees_e9 + st->fees_e9);
	if (st->has_mark && st->position &&
	    !mul3(st->position, st->mid_x2, st->tick_value_e9, &cost) && fits64(cost / 2))
		st->open_cost_e9 = (int64_t)(cost / 2);  /* as unrealized() values it */
	st->realized_e9 = 0;
	st->fees_e9 = 0;
	st->peak_e9 = 0;
	st->day_start_ns = now_ns;
	evaluate(st, cfg, now_ns, 1);
}

int risk_flatten_order(const struct risk_state *st, const struct risk_cfg *cfg,
		       struct risk_order *out)
{
	int64_t open = st->position < 0 ? -st->position : st->position;

	if (!open)
		return 0;
	out->side = st->position > 0 ? -1 : 1;
	out->qty = open < cfg->max_order_qty ? open : cfg->max_order_qty;
	out->px = 0;
	out->ord_type = RISK_ORD_MARKET;
	return 1;
}

int risk_flatten_plan(const struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns,
		      struct risk_flatten_plan *plan)
{
	uint32_t n = cfg->flatten_slices ? cfg->flatten_slices : 1;
	int64_t X = st->position;

	plan->start_ns = now_ns;
	plan->n = n;
	plan->pad = 0;
	plan->tau_ns = n > 1 ? cfg->flatten_horizon_ns / n : 0;
	plan->hold[0] = X;
	plan->hold[n] = 0;
	if (n == 1)
		return 0;
	double T = (double)cfg->flatten_horizon_ns / 1e9;
	/* a slice is one aggressive order: its cost per contract grows by
	 * flatten_eta per contract of it, which is the paper's eta / tau */
	struct ac_params ap = { .eta = cfg->flatten_eta * (T / n), .epsilon = 0,
				.gamma = cfg->flatten_gamma, .sigma = cfg->flatten_sigma,
				.lambda = cfg->flatten_lambda };
	if (!(ap.eta > 0) || ac_slices(&ap, X, n, T, plan->hold) < 0) {
		/* no impact model (or one the trajectory cannot take): the
		 * straight line, which needs none */
		struct ac_params line = { .eta = 1, .epsilon = 0, .gamma = 0, .sigma = 0,
					  .lambda = 0 };
		(void)ac_slices(&line, X, n, T, plan->hold);
	}
	return 0;
}

int risk_flatten_due(const struct risk_state *st, const struct risk_cfg *cfg,
		     const struct risk_flatten_plan *plan, int64_t now_ns,
		     struct risk_order *out, int64_t *next_ns)
{
	int64_t pos = st->position;
	uint32_t n = plan->n ? plan->n : 1;
	uint32_t j = 1; /* the latest slice due: the first is due at the start */

	if (plan->tau_ns > 0 && now_ns > plan->start_ns) {
		int64_t k = (now_ns - plan->start_ns) / plan->tau_ns + 1;
		j = k >= (int64_t)n ? n : (uint32_t)k;
	}
	if (next_ns)
		*next_ns = j < n ? plan->start_ns + (int64_t)j * plan->tau_ns : 0;
	if (!pos)
		return 0;
	int64_t want = pos - (plan->n ? plan->hold[j] : 0);
	if ((want > 0) != (pos > 0) || !want)
		return 0; /* at or ahead of the plan */
	int64_t open = pos < 0 ? -pos : pos;
	int64_t q = want < 0 ? -want : want;
	if (q > open)
		q = open;
	if (q > cfg->max_order_qty)
		q = cfg->max_order_qty;
	out->side = pos > 0 ? -1 : 1;
	out->qty = q;
	out->px = 0;
	out->ord_type = RISK_ORD_MARKET;
	return 1;
}

/* ------------------------------------------------------------ mark */

int risk_on_book(struct risk_state *st, const struct risk_cfg *cfg, int64_t bid_px,
		 int64_t ask_px, int64_t recv_ns)
{
	i128 sum = (i128)bid_px + ask_px;

	if (bid_px <= 0 || ask_px <= 0 || !fits64(sum))
		return -EINVAL;
	st->mid_x2 = (int64_t)sum;
	st->mark_recv_ns = recv_ns;
	st->has_mark = 1;
	evaluate(st, cfg, recv_ns, 0);
	return 0;
}

int risk_on_mark(struct risk_state *st, const struct risk_cfg *cfg, int64_t mid_px,
		 int64_t recv_ns)
{
	return risk_on_book(st, cfg, mid_px, mid_px, recv_ns);
}

/* ------------------------------------------------------------ open orders */

static int find_open(const struct risk_state *st, uint64_t id)
{
	for (uint32_t i = 0; i < st->n_open; i++)
		if (st->open[i].id == id)
			return (int)i;
	return -1;
}

/* Take qty (> 0, <= |leaves|) off open order i; drop it at zero. */
static void release_open(struct risk_state *st, int i, int64_t qty)
{
	struct risk_open_order *o = &st->open[i];

	if (o->leaves > 0) {
		o->leaves -= qty;
		st->open_buy -= qty;
	} else {
		o->leaves += qty;
		st->open_sell -= qty;
	}
	if (o->leaves == 0)
		*o = st->open[--st->n_open];
}

int risk_on_order_open(struct risk_state *st, uint64_t id, int side, int64_t qty)
{
	i128 sum;

	if (!id || (side != 1 && side != -1) || qty <= 0)
		return -EINVAL;
	if (find_open(st, id) >= 0)
		return -EEXIST;
	if (st->n_open >= RISK_OPEN_MAX)
		return -DM_EFULL;
	sum = (i128)(side > 0 ? st->open_buy : st->open_sell) + qty;
	if (!fits64(sum))
		return -EINVAL;
	st->open[st->n_open].id = id;
	st->open[st->n_open].leaves = side * qty;
	st->n_open++;
	if (side > 0)
		st->open_buy = (int64_t)sum;
	else
		st->open_sell = (int64_t)sum;
	return 0;
}

int64_t risk_on_order_done(struct risk_state *st, uint64_t id)
{
	int i = id ? find_open(st, id) : -1;
	int64_t left;

	if (i < 0)
		return -ENOENT;
	left = st->open[i].leaves < 0 ? -st->open[i].leaves : st->open[i].leaves;
	release_open(st, i, left);
	return left;
}

int risk_order_is_open(const struct risk_state *st, uint64_t id)
{
	return id && find_open(st, id) >= 0;
}

int risk_order_rekey(struct risk_state *st, uint64_t from, uint64_t to)
{
	if (!to)
		return -EINVAL;
	int i = from ? find_open(st, from) : -1;
	if (i < 0)
		return -ENOENT;
	if (find_open(st, to) >= 0)
		return -EEXIST;
	st->open[i].id = to;
	return 0;
}

/* ------------------------------------------------------------ fills */

/* Unused slots hold 0, which no exec_id is: scan them all, branch-free. */
static int seen_exec(const struct risk_state *st, uint64_t exec_id)
{
	uint64_t hit = 0;

	for (uint32_t i = 0; i < RISK_EXEC_SEEN; i++)
		hit |= st->exec_seen[i] == exec_id;
	return hit != 0;
}

int risk_on_fill(struct risk_state *st, const struct risk_cfg *cfg,
		 const struct risk_fill *f, int64_t now_ns)
{
	const int64_t tv = st->tick_value_e9;
	int64_t pos = st->position, side = f->side, qty = f->qty;
	i128 cost = st->open_cost_e9, real = st->realized_e9, value, newpos, fees, vol;
	int i;

	if (!f->exec_id || (side != 1 && side != -1) || qty <= 0)
		return -EINVAL;
	if (seen_exec(st, f->exec_id)) {
		st->dup_fills++;
		return 0;
	}
	if (mul3(qty, f->px, tv, &value))       /* |qty x px x tick value| */
		return -ERANGE;
	if (pos == 0 || (pos > 0) == (side > 0)) {
		cost += side * value;                 /* opening or adding */
	} else {
		int64_t open = pos < 0 ? -pos : pos;
		int64_t closed = qty < open ? qty : open;
		i128 closed_value, released;

		if (mul3(closed, f->px, tv, &closed_value))
			return -ERANGE;
		/* the closed contracts' share of the cost; all of it at flat */
		released = cost * closed / open;
		/* cash of closing: a sell receives, a buy pays */
		real += -side * closed_value - released;
		cost -= released;                     /* 0 when closed == open */
		if (qty > open)                       /* flipped: the rest opens */
			cost = side * (value - closed_value);
	}
	newpos = (i128)pos + side * qty;
	fees = (i128)st->fees_e9 + f->fee_e9;
	vol = (i128)st->volume + qty;
	if (!fits64(cost) || !fits64(real) || !fits64(newpos) || !fits64(fees) ||
	    !fits64(vol))
		return -ERANGE;

	st->position = (int64_t)newpos;
	st->open_cost_e9 = (int64_t)cost;
	st->realized_e9 = (int64_t)real;
	st->fees_e9 = (int64_t)fees;
	st->volume = (int64_t)vol;
	st->last_fill_ns = now_ns;
	st->exec_seen[st->fills % RISK_EXEC_SEEN] = f->exec_id;
	st->fills++;
	i = f->client_order_id ? find_open(st, f->client_order_id) : -1;
	if (i >= 0 && (st->open[i].leaves > 0) == (side > 0)) {
		int64_t left = st->open[i].leaves < 0 ? -st->open[i].leaves : st->open[i].leaves;

		release_open(st, i, qty < left ? qty : left);
	}
	evaluate(st, cfg, now_ns, 0);
	return 1;
}

/* ------------------------------------------------------------ checks */

/* Refill the bucket up to now (time never runs backwards here). */
static void refill(struct risk_state *st, const struct risk_cfg *cfg, int64_t now_ns)
{
	const i128 cap = (i128)cfg->rate_burst * TOKEN;
	i128 t = st->tokens_e9;

	if (now_ns > st->refill_ns) {
		t += ((i128)now_ns - st->refill_ns) * cfg->rate_per_s;
		st->refill_ns = now_ns;
	}
	st->tokens_e9 = (int64_t)(t < cap ? t : cap);
}

static uint32_t check(struct risk_state *st, const struct risk_cfg *cfg,
		      const struct calendar *cal, const struct risk_order *o, int64_t now_ns)
{
	const int64_t side = o->side, qty = o->qty, pos = st->position;

	if (st->killed)
		return VOTE_R_KILL_SWITCH;
	if (st->state == RISK_HALTED)
		return st->halt_reason ? st->halt_reason : VOTE_R_STATE_HALTED;
	if ((side != 1 && side != -1) || qty <= 0 ||
	    !(o->ord_type == RISK_ORD_LIMIT ? o->px > 0 :
	      o->ord_type == RISK_ORD_MARKET ? o->px == 0 : 0))
		return VOTE_R_BAD_ORDER;
	if (cfg->enforce_session && (!cal || !cal_in_session(cal, now_ns)))
		return VOTE_R_SESSION;
	if (!st->has_mark)
		return VOTE_R_NO_BOOK;
	if ((i128)now_ns - st->mark_recv_ns > (i128)cfg->stale_data_ms * NS_PER_MS)
		return VOTE_R_STALE_DATA;
	if (qty > cfg->max_order_qty)
		return VOTE_R_QTY_LIMIT;
	if (st->state == RISK_REDUCING) {
		/* every open order of this side and this one filled must leave
		 * the position on the same side of zero, and smaller */
		i128 worst = pos + side * ((i128)(side > 0 ? st->open_buy : st->open_sell) + qty);

		if (pos == 0 || (pos > 0) == (side > 0) || (pos > 0 ? worst < 0 : worst > 0))
			return VOTE_R_REDUCING;
	}
	if (st->n_open >= RISK_OPEN_MAX)
		return VOTE_R_OPEN_ORDERS;   /* its exposure could not be recorded */
	if (side > 0 ? (i128)pos + st->open_buy + qty > cfg->max_position
		     : (i128)pos - st->open_sell - qty < -(i128)cfg->max_position)
		return VOTE_R_POS_LIMIT;
	if (o->ord_type == RISK_ORD_LIMIT &&
	    abs128(2 * (i128)o->px - st->mid_x2) > 2 * (i128)cfg->collar_ticks)
		return VOTE_R_PRICE_COLLAR;
	refill(st, cfg, now_ns);
	if (st->tokens_e9 < TOKEN)
		return VOTE_R_RATE_LIMIT;
	return VOTE_R_APPROVED;
}

uint32_t risk_check_order(struct risk_state *st, const struct risk_cfg *cfg,
			  const struct calendar *cal, const struct risk_order *o,
			  int64_t now_ns)
{
	uint32_t r = check(st, cfg, cal, o, now_ns);

	st->checks++;
	if (DM_LIKELY(r == VOTE_R_APPROVED)) {
		st->approved++;
		st->tokens_e9 -= TOKEN;
	} else {
		st->rejected[r]++;
	}
	return r;
}
