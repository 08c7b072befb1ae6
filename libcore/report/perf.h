/*
 * perf.h — the performance figures of a run, from its fills and its
 * equity path: Sharpe, Sortino, maximum drawdown, hit rate, profit factor,
 * turnover, fees share, average holding time.
 *
 * Definitions (docs/backtest.md).
 *
 *   equity      the net P&L at the last mark (report_equity_e9): cash
 *               from fills less fees, plus the position at the mark.
 *   returns     the change of equity over each minute of market time that
 *               had an update, in currency (a P&L series: the strategy
 *               has no capital base).  Sharpe = mean / standard deviation
 *               (n - 1), Sortino = mean / downside deviation (root mean
 *               square of the negative changes), both annualised by
 *               sqrt(252 x the run's active minutes per market day).  Null
 *               (NaN) with fewer than two minutes or no dispersion.
 *   drawdown    the largest fall of equity from its highest value so far
 *               (from 0), over every update.
 *   trades      round trips: from flat to flat; a fill that flips the
 *               position closes one trip and opens the next, its quantity
 *               and fee split between them.  A trip's P&L is its cash flow
 *               (fill value and fees).  hit rate = trips with P&L > 0 /
 *               trips; profit factor = sum of winning P&L / |sum of losing
 *               P&L| (NaN without a losing trip); average holding time =
 *               mean of close - open times.  A position open at the end is
 *               no trip.
 *   turnover    sum of |qty| x price x point value of every fill, currency.
 *   fees share  fees / |gross P&L|, gross = net P&L + fees (NaN if 0).
 *
 * Fixed-size, no allocation; one thread.  A host that wants every trip
 * (a histogram of their P&L) sets on_trip after perf_init.
 */
#ifndef DM_LIBCORE_REPORT_PERF_H
#define DM_LIBCORE_REPORT_PERF_H

#include <stdint.h>

struct perf {
	int64_t  tick_value_e9;    /* currency x 10^9 per tick per lot */
	/* equity path */
	int64_t  last_eq_e9, peak_e9, max_dd_e9;
	int64_t  minute;           /* market minute of the last update; INT64_MIN none */
	int64_t  day;              /* market day of the last update */
	int64_t  minute_close_e9;  /* equity at the close of the previous minute */
	uint64_t minutes, days;
	double   sum, sum2, down2; /* of per-minute changes, currency */
	uint64_t n_ret;
	/* trips */
	int64_t  position;
	int64_t  trip_cash_e9;     /* cash flow of the open trip */
	int64_t  trip_open_ns;
	uint64_t trips, wins;
	double   win_sum, loss_sum;/* currency */
	double   hold_sum_s;
	/* totals */
	double   turnover;         /* currency */
	int64_t  fees_e9;
	uint64_t fills;
	/* Optional: called as each round trip closes (NULL: none; set after
	 * perf_init): its P&L in currency (as the figures count it), open and
	 * close times.  On the caller's thread, inside perf_on_fill. */
	void   (*on_trip)(void *ctx, double pnl, int64_t open_ns, int64_t close_ns);
	void    *trip_ctx;
};

struct perf_result {
	double   sharpe, sortino;  /* NaN: not defined */
	double   max_drawdown;     /* currency */
	uint64_t trips, wins;
	double   hit_rate;         /* NaN without trips */
	double   profit_factor;    /* NaN without a losing trip */
	double   turnover;         /* currency */
	double   fees, net, gross; /* currency */
	double   fees_share;       /* NaN if gross is 0 */
	double   avg_holding_s;    /* NaN without trips */
	uint64_t minutes, days, fills;
	double   minutes_per_day;
};

void perf_init(struct perf *p, int64_t tick_value_e9);

/* A fill: side +1 buy / -1 sell, qty lots > 0, px ticks, fee_e9. */
void perf_on_fill(struct perf *p, int64_t t_ns, int side, int64_t qty, int64_t px,
		  int64_t fee_e9);

/* The equity (currency x 10^9) after an update at market time t_ns. */
void perf_on_equity(struct perf *p, int64_t t_ns, int64_t equity_e9);

/* The figures so far (the last minute counted as closed). */
void perf_result(const struct perf *p, struct perf_result *r);

#endif /* DM_LIBCORE_REPORT_PERF_H */
