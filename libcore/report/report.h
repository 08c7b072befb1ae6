/*
 * report.h — the rows a trading run is read back as: fills.csv, orders.csv,
 * decisions.csv and equity.csv, from the records the trading path writes
 * (decisions: struct vote_record; orders: struct msg_order; execution
 * reports: struct msg_exec_report; market events: struct event).
 *
 * Design note.  One writer, two hosts.  `dm-journal --run-dir` (and so
 * `dmctl run`) feeds it the records of a run directory's journals
 * (report_run_dir below); an in-process backtest feeds it the same
 * records as its modules produce them.  Either way the same functions
 * format the same rows, so two runs that trade alike write equal files.
 *
 * The caller hands in the records in market-time order across kinds: a
 * market event at time t before a fill at venue time >= t (a fill is
 * marked at the last book before it).  Within a kind, in the order they
 * were produced.  Decisions are independent of the others.
 *
 * Units.  Prices are written in the instrument's own price unit (points:
 * ticks x tick size, "108400", "5123.50"); a mark half-way between two
 * ticks keeps its half.  Money is exact: nano-units of the currency
 * (_e9 fields) written as decimals by instr_money_format.  Times are the
 * records' own nanosecond stamps.
 *
 *   fills.csv      t_ns,client_order_id,side,qty,price,fee,liquidity
 *                  one row per fill (exec report with exec_id != 0 and
 *                  last_qty > 0), a re-delivered report (same order,
 *                  cum_qty not above the one already seen) written once;
 *                  t_ns the venue time; side buy/sell; liquidity
 *                  "taker" or "maker" as the venue simulator flagged the
 *                  fill (msg_exec_report.liquidity); a fill without the
 *                  flag (0: several venue fills merged, a fill made up by
 *                  reconciliation, or a journal written before reports
 *                  carried it) is inferred: "taker" at the order's
 *                  arrival at the venue (the venue time of its first
 *                  report) or of a market order, "maker" otherwise
 *   orders.csv     client_order_id,decision_id,side,qty,price,ord_type,
 *                  tif,flatten,status,filled_qty,avg_price,fees,
 *                  first_ns,last_ns
 *                  one row per order once it ends (filled, cancelled,
 *                  rejected), then the orders still open at the end
 *                  (status as last reported, "sent" if none); price
 *                  empty for a market order; first_ns/last_ns the venue
 *                  times of its first and last report (empty if none)
 *   decisions.csv  decision_id,intent_id,outcome,reason,side,qty,price,
 *                  client_order_id,decisive,votes,t_ns
 *                  one row per decision; votes is "voter:verdict:reason"
 *                  per voter of the policy, separated by ';' (verdict
 *                  "none" = missing at the decision); decisive the voter
 *                  that vetoed, empty if none; t_ns the decision's time on
 *                  the market clock: the exchange time of the market event
 *                  behind its intent (vote_record.market_ns), or for a
 *                  version 1 record, which has none, its local decided_ns
 *   equity.csv     t_ns,position,mark,cash,equity,drawdown
 *                  a row after every fill (t_ns its venue time), at the
 *                  first market event of every second of market time that
 *                  has one, and at the end; cash = - sum of signed fill
 *                  value - fees; equity = cash + position x mark x tick
 *                  value (the net P&L at that mark); drawdown = highest
 *                  equity so far (from 0) - equity
 *
 * Transaction costs.  With report_opts.tca the report feeds the TCA
 * module (tca.h) what it sees, the fills as fills.csv has them (liquidity
 * as written there, a re-delivered report once), with the order's send
 * time (an order record flagged MSG_F_VENUE_TIME) and the venue time of
 * its first report (its arrival at the venue).
 *
 * Memory: struct report is fixed-size; the open-order table is caller
 * memory of report_memsize(max_open) bytes.  No allocation after init;
 * output through the caller's FILE streams.  One thread per report.
 */
#ifndef DM_LIBCORE_REPORT_H
#define DM_LIBCORE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "libcore/market/event.h"
#include "libcore/market/instrument.h"
#include "libcore/journal/journal.h"
#include "libcore/vote/vote.h"
#include "libcore/msg/msg.h"
#include "libcore/report/tca.h"

#define REPORT_SECOND_NS 1000000000ll /* equity sampling period, market time */

/* The CSV header lines (without the newline), also what tests pin. */
extern const char report_fills_header[];
extern const char report_orders_header[];
extern const char report_decisions_header[];
extern const char report_equity_header[];

struct report_out {
	FILE *fills, *orders, *decisions, *equity; /* any may be NULL: not written */
};

struct report_opts {
	uint32_t max_open;          /* orders open at once, > 0 */
	uint32_t n_names;           /* entries of voter_names */
	const char *const *voter_names; /* by role (a vote's voter; role_names,
	                                 * libcore/vote/role.h); an index past
	                                 * n_names is written as its number */
	uint32_t hold_decisions;    /* 1: a released decision's row waits for
	                             * its order (report_on_order) and shows the
	                             * order's client_order_id, the one
	                             * execution gave it; 0: the record's own */
	struct tca *tca;            /* fed every market event, released decision,
	                             * fill and order end as well, finished by
	                             * report_finish (tca.h); the caller inits it
	                             * and keeps it; NULL: none */
};

/* An order the writer follows until it ends. */
struct report_order {
	struct msg_order o;
	int64_t  first_ns, last_ns; /* venue times of its first and last report */
	int64_t  fees_e9;
	int64_t  value_ticks;       /* sum of fill qty x px, for the average */
	int32_t  cum_qty;           /* filled so far (the highest cum_qty seen) */
	uint8_t  status;            /* enum exec_status, 0 = sent, no report */
	uint8_t  acked;             /* the venue acknowledged it before a fill */
	uint8_t  used;
	uint8_t  pad;
};

struct report_counts {
	uint64_t fills, dup_fills, orders, decisions, equity_rows, events;
	uint64_t no_order;        /* hold_decisions: released decisions whose
	                           * order never came (their client_order_id
	                           * cell left empty) */
	uint64_t unknown_reports; /* reports of an order never seen (or ended) */
	uint64_t table_full;      /* orders not followed: more than max_open open */
};

/* A decision row waiting for its order (hold_decisions). */
#define REPORT_HELD 64
struct report_held {
	struct vote_record d;
	uint64_t coid;   /* the order's, once seen */
	uint32_t ready;  /* blocked, or its order seen: writable */
	uint32_t pad;
};

struct report {
	struct instrument in;
	struct report_out out;
	struct report_opts opts;
	int64_t  position;         /* signed lots */
	int64_t  cash_e9;
	int64_t  peak_e9;          /* highest equity so far, from 0 */
	int64_t  mark_x2;          /* bid + ask of the last two-sided book, ticks */
	int64_t  last_t_ns;        /* last market or fill time seen */
	int64_t  sample_sec;       /* market second of the last sampled event */
	uint32_t has_mark;
	uint32_t max_open;
	struct report_counts n;
	int      err;              /* first write error (-EIO), sticky */
	uint32_t hi;               /* open[hi .. max_open) are all unused */
	struct report_order *open; /* [max_open], in the caller's memory */
	/* decision rows in their order, the oldest at held_head, written
	 * once the oldest is ready (hold_decisions) */
	uint32_t held_head, held_n;
	struct report_held held[REPORT_HELD];
};

/* Bytes of caller memory for max_open followed orders. */
size_t report_memsize(uint32_t max_open);

/*
 * Set *r up over mem (report_memsize(o->max_open) bytes, any alignment of
 * 8) for instrument *in, and write the header line of every stream in
 * *out.  Returns 0, or -EINVAL (max_open 0, mem too small).  Start-up.
 */
int report_init(struct report *r, void *mem, size_t size, const struct instrument *in,
		const struct report_opts *o, const struct report_out *out);

/* A market event at market time t_ns (the clock the venue runs on: exch_ns,
 * or recv_ns for a receive-timed source): a two-sided book moves the mark;
 * the first event of a new market second writes an equity row. */
void report_on_market(struct report *r, const struct event *ev, int64_t t_ns);

/* An order handed to the venue (as the orders journal holds it: with its
 * client order id).  Followed until it ends. */
void report_on_order(struct report *r, const struct msg_order *o);

/* An execution report: a fill writes a fills.csv and an equity.csv row;
 * an ending status writes the order's orders.csv row. */
void report_on_exec(struct report *r, const struct msg_exec_report *x);

/* A decision (version 1 or 2, as vote_record_read gives it): one
 * decisions.csv row. */
void report_on_decision(struct report *r, const struct vote_record *d);

/* The end: a last equity row at t_ns (if anything was seen) and the rows
 * of the orders still open, the TCA's last rows (tca_finish); flushes the
 * streams.  Returns 0 or the first write error. */
int report_finish(struct report *r, int64_t t_ns);

/* The equity at the last mark (the net P&L), currency x 10^9. */
int64_t report_equity_e9(const struct report *r);

/*
 * The instrument a journal header names (symbol, tick, lot, currency,
 * point value, price decimals from the tick's text).  0, or -EINVAL with
 * a message in err when the header carries no instrument (written before
 * headers did) or it does not make an exact tick value.
 */
int report_instrument_from_header(const struct journal_file_hdr *h, struct instrument *in,
				  char *err, size_t errlen);

/*
 * The five files of a run directory from its journals: decisions.journal
 * and orders.journal in dir (a missing one counts as empty) and the market
 * journal market (the market the run replayed), written as fills.csv,
 * orders.csv, decisions.csv, equity.csv and tca.csv into out_dir.  Reads
 * the three journals side by side in market-time order: a decision before
 * the first market event stamped later than it (and before its order), an
 * execution report after every market event stamped at or before it, as
 * an in-process run hands them over.  o->tca is ignored: the TCA module
 * runs with tca_params_default.  *tca_summary (tca may be NULL) receives
 * its summary.json object (tca_summary_json; the caller json_decrefs it).
 * Returns 0, or -errno / -DM_* with a message naming the file in err.
 * Tool code: allocates, blocks.
 */
int report_run_dir(const char *dir, const char *market, const char *out_dir,
		   const struct report_opts *o, struct report_counts *counts,
		   struct json_t **tca_summary, char *err, size_t errlen);

#endif /* DM_LIBCORE_REPORT_H */
