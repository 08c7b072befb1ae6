/*
 * bt.h — a backtest: the trading core (libcore/trader) over market events
 * with the run's records (libcore/report) and performance figures
 * (libcore/report/perf), as dm-backtest and dm-cv host it
 * (docs/backtest.md).
 *
 *   feed --event--> bt_on_event --> trader_on_event (every module, to quiet)
 *                        |            |  orders / execution reports (journal)
 *                        |            v
 *                        |        the pending queue: a report waits until
 *                        |        the market passes its venue time
 *                        v
 *                   report_on_market, perf_on_equity, the minute hook
 *
 * Records.  Execution records wait until the market passes their venue
 * time, and market events wait too (what the report needs of them: time,
 * touch), so the report sees market events and execution records in the
 * order dm-journal --run-dir merges the journals of a run: a report at
 * venue time v after every market event with exch_ns <= v and before
 * every later one, orders where they come.  A report reaches execution
 * one response latency after its venue time, when the market has moved
 * on: a market event is handed over once the market is past its time by
 * more than the longest response and feed latency (hold_ns), when no
 * report can come any more with an earlier venue time, or before the
 * first report whose venue time is not earlier.  A queue that overflows
 * (never expected) writes the oldest record or event out of that order
 * and counts it (pend_overflow): the run is then no result.
 *
 * The minute hook.  At the first market event of each new market minute
 * the equity at the close of the previous minute is handed to on_minute
 * (when set): the same grid for every run over the same input, whatever
 * it traded, so runs can be compared period by period (dm-cv, dm-search).
 *
 * Models.  bt_use_model swaps the strategy's model between events (a
 * cross-validation path trades each period with the model that did not
 * see it); the caller owns every model and keeps it alive while in use.
 *
 * Transaction costs.  The report feeds the TCA module (libcore/report/
 * tca.h, tca_params_default, as dm-journal --run-dir runs it) the same
 * records, so tca.csv and its aggregate are those of a lockstep run.
 *
 * Memory: one caller block of bt_memsize bytes (64-byte aligned) holds the
 * trader's modules, the report's order table, the TCA's tables and the
 * pending queue; the
 * struct bt itself is the caller's too (64-byte aligned: it holds the
 * trader).  Nothing allocates after bt_init.  One thread.
 */
#ifndef DM_LIBCORE_BACKTEST_BT_H
#define DM_LIBCORE_BACKTEST_BT_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/market/event.h"
#include "libcore/market/instrument.h"
#include "libcore/msg/msg.h"
#include "libcore/report/perf.h"
#include "libcore/report/report.h"
#include "libcore/trader/trader.h"

#define BT_PEND_CAP 8192u  /* execution records waiting for market time */
#define BT_MKT_CAP  8192u  /* market events waiting for execution records */
#define BT_MAX_OPEN 4096u  /* orders the report follows at once */

/* A record waiting for the market to pass it. */
struct bt_pend {
	uint16_t type;             /* JREC_ORDER or JREC_EXEC */
	union {
		struct msg_order o;
		struct msg_exec_report x;
	};
};

/* A market event waiting for the records due before it: what the report
 * reads of it. */
struct bt_mkt {
	int64_t  t;                /* exch_ns */
	int64_t  bid, ask;         /* best prices, ticks (books) */
	uint32_t kind;             /* enum ev_kind */
	uint16_t n_bid, n_ask;
};

struct bt_opts {
	struct report_out out;     /* CSV files (any NULL: not written) */
	FILE *tca_csv;             /* tca.csv (libcore/report/tca.h); NULL: not
	                            * written, the aggregate still made */
	const char *const *voter_names; /* decisions.csv: by voter index */
	uint32_t n_names;
	uint32_t pad;
	/* a line of the trader's (error: 1 for an error); NULL: dropped */
	void (*log)(void *ctx, int error, const char *line);
	/* the equity (currency x 10^9) at the close of each market minute
	 * (minute = floor(t_ns / 60 s)), in order; NULL: not called */
	void (*on_minute)(void *ctx, int64_t minute, int64_t equity_e9);
	void *ctx;
};

struct bt {
	struct trader t;           /* first: 64-byte aligned */
	struct report rep;
	struct tca tca;            /* fed by the report (report_opts.tca) */
	struct perf perf;
	struct bt_opts o;
	struct bt_pend *pend;      /* [BT_PEND_CAP], in the caller's block */
	uint32_t head, tail;
	uint64_t pend_overflow;    /* records or events written out of market-time order */
	struct bt_mkt *mkt;        /* [BT_MKT_CAP], in the caller's block */
	uint32_t mhead, mtail;
	int64_t  hold_ns;          /* longest response + feed latency of the venue */
	int64_t  last_t;           /* the last market or record time reported */
	int64_t  minute;           /* market minute of the last event; INT64_MIN none */
	int      stuck;            /* a step did not come to rest */
	uint32_t pad;
};

/* Bytes of the caller's block for tp; 0 when tp is refused. */
size_t bt_memsize(const struct trader_params *tp);

/*
 * Set b up over mem (size >= bt_memsize(tp), 64-byte aligned): the trader
 * (trader_init with f and path), the report on instrument in with o->out,
 * the TCA with o->tca_csv, the performance figures, the pending queue.  0, or a negative error
 * with one line in err.  Start-up code.
 */
int bt_init(struct bt *b, void *mem, size_t size, const struct trader_params *tp,
	    struct flat *f, const char *path, const struct instrument *in,
	    const struct bt_opts *o, char *err, size_t errlen);

/*
 * One market event through the trader, then the records it made up to
 * the event's time, the report and the performance figures.  Returns 1
 * for a market event, 0 for one the trader ignores, -EAGAIN when a step
 * did not come to rest (logged; the run is no result and must stop).
 */
int bt_on_event(struct bt *b, const struct event *ev);

/*
 * The end of the market (trader_finish), every record left, the report's
 * last rows.  0, -EAGAIN (a step did not come to rest) or -EIO (a CSV
 * write failed).
 */
int bt_finish(struct bt *b);

/* The model the strategy trades from the next event on (NULL: none);
 * returns the one it replaces. */
struct flat *bt_use_model(struct bt *b, struct flat *f, const char *path);

/* The equity now: cash from fills less fees plus the position at the mark,
 * currency x 10^9. */
static inline int64_t bt_equity_e9(const struct bt *b)
{
	return report_equity_e9(&b->rep);
}

#endif /* DM_LIBCORE_BACKTEST_BT_H */
