/* perf.c — a run's performance figures (perf.h). */
#include <math.h>
#include <string.h>

#include "libcore/report/perf.h"

#define MINUTE_NS (60ll * 1000000000)
#define DAY_NS    (86400ll * 1000000000)
#define E9        1e9

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void perf_init(struct perf *p, int64_t tick_value_e9)
{
	memset(p, 0, sizeof(*p));
	p->tick_value_e9 = tick_value_e9;
	p->minute = INT64_MIN;
	p->day = INT64_MIN;
}

static void add_return(struct perf *p, double d)
{
	p->sum += d;
	p->sum2 += d * d;
	if (d < 0)
		p->down2 += d * d;
	p->n_ret++;
}

void perf_on_equity(struct perf *p, int64_t t_ns, int64_t equity_e9)
{
	int64_t m = floor_div(t_ns, MINUTE_NS), d = floor_div(t_ns, DAY_NS);
	if (p->minute == INT64_MIN) {
		p->minute = m;
		p->minutes = 1;
	} else if (m > p->minute) {
		/* the previous minute closed at the last equity seen */
		add_return(p, (double)(p->last_eq_e9 - p->minute_close_e9) / E9);
		p->minute_close_e9 = p->last_eq_e9;
		p->minute = m;
		p->minutes++;
	}
	if (d != p->day) {
		p->day = d;
		p->days++;
	}
	p->last_eq_e9 = equity_e9;
	if (equity_e9 > p->peak_e9)
		p->peak_e9 = equity_e9;
	if (p->peak_e9 - equity_e9 > p->max_dd_e9)
		p->max_dd_e9 = p->peak_e9 - equity_e9;
}

/* Close the open trip at t_ns. */
static void close_trip(struct perf *p, int64_t t_ns)
{
	double pnl = (double)p->trip_cash_e9 / E9;
	p->trips++;
	if (pnl > 0) {
		p->wins++;
		p->win_sum += pnl;
	} else if (pnl < 0) {
		p->loss_sum += -pnl;
	}
	p->hold_sum_s += (double)(t_ns - p->trip_open_ns) / 1e9;
	if (p->on_trip)
		p->on_trip(p->trip_ctx, pnl, p->trip_open_ns, t_ns);
	p->trip_cash_e9 = 0;
}

/* Cash of q of a fill's qty lots at px ticks (side s), with their share of
 * the fill's fee: what a round trip's P&L adds up. */
static int64_t cash_of(const struct perf *p, int64_t s, int64_t q, int64_t qty, int64_t px,
		       int64_t fee_e9)
{
	return -s * q * px * p->tick_value_e9 - (int64_t)((__int128)fee_e9 * q / qty);
}

void perf_on_fill(struct perf *p, int64_t t_ns, int side, int64_t qty, int64_t px,
		  int64_t fee_e9)
{
	if (qty <= 0)
		return;
	p->fills++;
	p->fees_e9 += fee_e9;
	double value = (double)qty * (double)px * ((double)p->tick_value_e9 / E9);
	p->turnover += fabs(value);
	int64_t s = side > 0 ? 1 : -1;
	int64_t before = p->position, after = before + s * qty;
	if (before == 0) {
		p->trip_open_ns = t_ns;
		p->trip_cash_e9 = cash_of(p, s, qty, qty, px, fee_e9);
	} else if ((before > 0) == (after > 0) && after != 0) {
		p->trip_cash_e9 += cash_of(p, s, qty, qty, px, fee_e9); /* adds or reduces, same side */
	} else {
		/* reaches flat, or flips: the closing part ends the trip */
		int64_t closing = before > 0 ? before : -before;
		int64_t rest = qty - closing;
		p->trip_cash_e9 += cash_of(p, s, closing, qty, px, fee_e9);
		close_trip(p, t_ns);
		if (rest > 0) {
			p->trip_open_ns = t_ns;
			p->trip_cash_e9 = cash_of(p, s, qty, qty, px, fee_e9) - cash_of(p, s, closing, qty, px, fee_e9);
		}
	}
	p->position = after;
}

void perf_result(const struct perf *p, struct perf_result *r)
{
	memset(r, 0, sizeof(*r));
	/* the last minute, closed at the last equity */
	double sum = p->sum, sum2 = p->sum2, down2 = p->down2;
	uint64_t n = p->n_ret;
	if (p->minute != INT64_MIN) {
		double d = (double)(p->last_eq_e9 - p->minute_close_e9) / E9;
		sum += d;
		sum2 += d * d;
		if (d < 0)
			down2 += d * d;
		n++;
	}
	r->minutes = p->minutes;
	r->days = p->days;
	r->minutes_per_day = p->days ? (double)p->minutes / (double)p->days : 0;
	double scale = sqrt(252.0 * r->minutes_per_day);
	r->sharpe = r->sortino = NAN;
	if (n >= 2) {
		double mean = sum / (double)n;
		double var = (sum2 - (double)n * mean * mean) / (double)(n - 1);
		if (var > 0)
			r->sharpe = mean / sqrt(var) * scale;
		double dd = sqrt(down2 / (double)n);
		if (dd > 0)
			r->sortino = mean / dd * scale;
	}
	r->max_drawdown = (double)p->max_dd_e9 / E9;
	r->trips = p->trips;
	r->wins = p->wins;
	r->hit_rate = p->trips ? (double)p->wins / (double)p->trips : NAN;
	r->profit_factor = p->loss_sum > 0 ? p->win_sum / p->loss_sum : NAN;
	r->avg_holding_s = p->trips ? p->hold_sum_s / (double)p->trips : NAN;
	r->turnover = p->turnover;
	r->fees = (double)p->fees_e9 / E9;
	r->net = (double)p->last_eq_e9 / E9;
	r->gross = r->net + r->fees;
	r->fees_share = r->gross != 0 ? r->fees / fabs(r->gross) : NAN;
	r->fills = p->fills;
}
