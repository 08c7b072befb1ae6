/*
 * tca.h — transaction cost analysis of a run's fills: one tca.csv row per
 * fill and the run's aggregate (summary.json "tca"), on the market clock
 * (docs/tca.md).
 *
 * Definitions.  d = +1 for a buy, -1 for a sell; p the fill price; m(T)
 * the mid at market time T: (best bid + best ask) / 2 of the last
 * two-sided book at or before T (every event stamped T counted); t the
 * fill's venue time; t_dec the decision's market time (the exchange time
 * of the market event behind it).  Every spread and impact is in price
 * units, positive = a cost to us:
 *
 *   arrival_mid           m(t_dec)
 *   mid_at_fill           m(t)
 *   effective_spread      2 d (p - m(t))
 *   realized_spread_h     2 d (p - m(t + h))           h = 1 s, 5 s, 30 s
 *   impact_h              2 d (m(t + h) - m(t))        so effective =
 *                                                      realized_h + impact_h
 *   shortfall             d (p - m(t_dec)) x qty x point value, money
 *
 * Prices are carried as integers: a mid as bid + ask in ticks ("x2"), so
 * every spread and impact is a whole number of ticks and the identity
 * above holds exactly.  A value that cannot be known is an empty cell:
 * no two-sided book yet, a horizon the market ended before, a decision
 * not followed (table full), a time older than the mid history.
 *
 * Latency legs (market clock): decision (t_dec) -> sent (the venue-clock
 * time execution handed the order to the venue, msg_order.hdr.send_ns of
 * the journaled order when MSG_F_VENUE_TIME says so) -> acknowledged (the
 * venue time of the order's first report: its arrival at the venue) ->
 * filled (t).
 *
 * Streaming.  The caller feeds every market event with the mid after it
 * (tca_on_market), the released decisions (tca_on_decision), the fills
 * (tca_on_fill) and the ends of orders (tca_on_order_end), as they happen;
 * a fill's row waits in a bounded queue until the market passes t + 30 s
 * (an event stamped later than that), then is written.  The mids are kept
 * as a history of their changes (time, mid), so a lookup of m(T) does not
 * depend on how far the market moved on before the record arrived, only
 * on the history still holding T:
 *
 *   - a fill must come after every market event stamped at or before its
 *     venue time (later ones may have come too);
 *   - a decision must come before its fills.
 *
 * Both hosts of libcore/report (the in-process backtest and dm-journal
 * --run-dir on a run's journals) feed it through the report
 * (report_opts.tca), so two runs that trade alike write equal rows.
 *
 * Bounds (struct tca_params): released decisions whose order has not
 * ended, fills waiting for their horizon, mid changes kept.  Nothing is
 * dropped silently: a decision beyond the table is counted
 * (decisions_not_followed) and its fills have no arrival; a fill arriving
 * at a full queue makes the oldest row be written at once with the
 * horizons still unknown empty (cut_short); a lookup older than the
 * history is counted (history_short).
 *
 * Memory: struct tca is fixed-size; its tables are caller memory of
 * tca_memsize(params) bytes (8-byte aligned).  No allocation after init;
 * rows go to the caller's FILE stream through stdio (buffered).  One
 * thread.
 */
#ifndef DM_LIBCORE_REPORT_TCA_H
#define DM_LIBCORE_REPORT_TCA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "libcore/market/instrument.h"

#define TCA_HORIZONS 3
#define TCA_NONE     INT64_MIN /* a time not known */

/* 1 s, 5 s, 30 s, in ns */
extern const int64_t tca_horizon_ns[TCA_HORIZONS];

/* The header line of tca.csv (without the newline), pinned. */
extern const char tca_header[];

struct tca_params {
	uint32_t max_decisions; /* released decisions whose order has not ended */
	uint32_t max_fills;     /* fills waiting for market time to pass t + 30 s */
	uint32_t history;       /* mid changes kept; a power of two */
	uint32_t pad;
};

/*
 * The sizes both hosts use: 4096 decisions (four times the most open
 * orders execution.max_open allows), 32768 waiting fills (about 1100 fills
 * a second of market time sustained over 30 s), 4096 mid changes.
 */
void tca_params_default(struct tca_params *p);

/* A fill as the report hands it over. */
struct tca_fill {
	uint64_t fill_id;         /* the venue's exec id */
	uint64_t client_order_id;
	uint64_t decision_id;     /* 0: none */
	int64_t  t_ns;            /* venue time of the fill */
	int64_t  px;              /* ticks */
	int64_t  sent_ns;         /* venue-clock time the order was sent; TCA_NONE */
	int64_t  ack_ns;          /* venue time of the order's first report; TCA_NONE */
	int32_t  qty;             /* lots, > 0 */
	int8_t   side;            /* +1 buy, -1 sell */
	uint8_t  taker;           /* 1 taker, 0 maker */
	uint16_t pad;
};

/* A fill waiting for its horizons. */
struct tca_pend {
	struct tca_fill f;
	int64_t dec_ns;           /* the decision's market time; TCA_NONE */
	int64_t arrival_x2;       /* bid + ask ticks; 0 unknown */
	int64_t fill_x2;
	int64_t h_x2[TCA_HORIZONS];
};

/* A released decision followed until its order ends. */
struct tca_dec {
	uint64_t decision_id;
	int64_t  t_ns;            /* market time */
	int64_t  mid_x2;          /* arrival mid once resolved; 0 unknown */
	uint8_t  used, resolved;
	uint8_t  pad[6];
};

/* A change of the mid. */
struct tca_mid {
	int64_t t_ns;
	int64_t mid_x2;
};

struct tca_counts {
	uint64_t rows;                   /* tca.csv rows written (= fills) */
	uint64_t with_mid;               /* rows with mid_at_fill (effective spread) */
	uint64_t with_horizon[TCA_HORIZONS]; /* rows with m(t + h): realized spread */
	uint64_t with_impact[TCA_HORIZONS];  /* rows with m(t) and m(t + h): impact */
	uint64_t with_arrival;           /* rows with an arrival mid (shortfall) */
	uint64_t decisions;              /* released decisions followed */
	uint64_t decisions_not_followed; /* the decision table was full */
	uint64_t no_decision;            /* fills of a decision never followed */
	uint64_t cut_short;              /* rows written early: the queue was full */
	uint64_t history_short;          /* lookups older than the mid history */
};

/* Sums of the rows, exact: ticks and currency x 10^9. */
struct tca_sums {
	int64_t effective_ticks;
	int64_t realized_ticks[TCA_HORIZONS];
	int64_t impact_ticks[TCA_HORIZONS];
	int64_t shortfall_e9;
};

struct tca {
	struct instrument in;
	struct tca_params p;
	FILE    *out;             /* tca.csv; NULL: rows counted, not written */
	int      err;             /* first write error (-EIO), sticky */
	uint32_t dec_hi;          /* decs[dec_hi .. max_decisions) are unused */
	int64_t  last_t;          /* market time of the newest event; TCA_NONE */
	int64_t  dec_due;         /* earliest unresolved decision time; INT64_MAX */
	int64_t  next_due;        /* earliest time anything waits for; INT64_MAX */
	uint64_t hist_n;          /* mid changes ever kept (free-running) */
	uint64_t head, tail;      /* the fill queue, free-running */
	uint64_t cur[TCA_HORIZONS]; /* first fill whose horizon h is unresolved */
	struct tca_counts n;
	struct tca_sums sum;
	struct tca_dec  *decs;    /* [max_decisions] */
	struct tca_pend *pend;    /* [max_fills] */
	struct tca_mid  *hist;    /* [history] */
};

/* Bytes of caller memory for p; 0 when p is refused (a size of 0, history
 * not a power of two). */
size_t tca_memsize(const struct tca_params *p);

/*
 * Set *c up over mem (tca_memsize(p) bytes, 8-byte aligned) for instrument
 * *in and write tca.csv's header line to out (NULL: no file).  0, or
 * -EINVAL (p refused, mem too small).  Start-up.
 */
int tca_init(struct tca *c, void *mem, size_t size, const struct instrument *in,
	     const struct tca_params *p, FILE *out);

/*
 * A market event at market time t_ns (never going back: an earlier one
 * counts as t_ns of the newest) with the mid after it, as bid + ask in
 * ticks (0: no two-sided book yet; the mid of the last one stands).
 * Resolves what waited for the market to pass its time and writes the
 * rows whose 30 s horizon passed.  O(1) unless something falls due.
 */
void tca_on_market(struct tca *c, int64_t t_ns, int64_t mid_x2);

/* A released decision with its market time (TCA_NONE: not known, a
 * version 1 record).  Followed until tca_on_order_end. */
void tca_on_decision(struct tca *c, uint64_t decision_id, int64_t t_ns);

/* The order of decision_id ended (filled, cancelled, rejected): its
 * decision is forgotten. */
void tca_on_order_end(struct tca *c, uint64_t decision_id);

/* A fill (written once its horizons are known). */
void tca_on_fill(struct tca *c, const struct tca_fill *f);

/*
 * The end of the market: every waiting row written, a horizon past the
 * last market event empty; flushes the stream.  Returns 0 or the first
 * write error.
 */
int tca_finish(struct tca *c);

/* The aggregate: means in price units (NaN when no row has the value). */
struct tca_result {
	uint64_t count;
	double   effective_spread;
	double   realized_spread[TCA_HORIZONS];
	double   impact[TCA_HORIZONS];
	double   shortfall;        /* currency, total */
	int64_t  shortfall_e9;
};
void tca_result(const struct tca *c, struct tca_result *r);

struct json_t;
/*
 * summary.json's "tca" object (a new reference; the caller json_decrefs
 * it): count, effective_spread, realized_spread_1s/5s/30s,
 * impact_1s/5s/30s (means, price units, null when no row has one),
 * shortfall (total, currency) and shortfall_e9, then the counts behind
 * them (with_mid, with_1s/5s/30s, with_arrival) and what the bounds cut
 * (decisions_not_followed, no_decision, cut_short, history_short).
 * Allocates (jansson); tool code.
 */
struct json_t *tca_summary_json(const struct tca *c);

#endif /* DM_LIBCORE_REPORT_TCA_H */
