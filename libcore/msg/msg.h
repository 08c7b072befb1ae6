/*
 * msg.h — the fixed-layout messages the agents exchange.
 *
 * Plain value types: libcore modules take and produce them, the agents move
 * them through shm's rings, a test or the in-process backtest passes them by
 * hand.  Nothing here depends on the transport.  Every message starts with
 * struct msg_hdr.  Carried by a ring, one message sits after the ring's
 * 8-byte turn word, so a ring whose slots are S bytes carries messages of at
 * most S - 8 bytes.
 *
 * Units are in the field names: *_ns is nanoseconds since the Unix epoch
 * (CLOCK_REALTIME for exchange times, the same clock for local stamps),
 * px is an integer number of ticks of the instrument, qty whole contracts.
 * Fields are explicit-width and naturally aligned; every size and the
 * offsets that other code depends on are pinned below, and
 * msg_layout_hash() covers them all: the agents record it in the segment
 * they create and hand it to seg_attach, so a process built from other
 * headers cannot attach.
 */
#ifndef DM_MSG_H
#define DM_MSG_H

#include <stddef.h>
#include <stdint.h>

#define MSG_VERSION 1

enum msg_type {
	MSG_NONE = 0,
	MSG_BOOK,        /* top-N book snapshot after one update */
	MSG_TRADE,       /* one trade print */
	MSG_FEATURES,    /* feature vector computed on one book update */
	MSG_INTENT,      /* ml -> coordinator: wish to trade */
	MSG_VOTE_REQ,    /* coordinator -> voter */
	MSG_VOTE,        /* voter -> coordinator */
	MSG_ORDER,       /* coordinator -> execution: released order */
	MSG_CANCEL,      /* cancel one order, or all (client_order_id 0) */
	MSG_EXEC_REPORT, /* execution -> risk, coordinator */
	MSG_POSITION,    /* risk -> coordinator: position and P&L */
	MSG_CONTROL,     /* operator or coordinator -> agent */
	MSG_END,         /* data -> md consumers: the replayed market is over */
	MSG_VOTE_DONE,   /* coordinator -> voter: how a ballot it voted in ended */
	MSG_VENUE_CMD,   /* execution -> data: a command for the terminal
	                  * (venue.kind mt5; struct msg_venue_cmd, mt5_venue.h) */
	MSG_VENUE_EVENT, /* data -> execution (and risk): the terminal's report,
	                  * snapshot or link state (struct msg_venue_event) */
	MSG_TYPE_COUNT
};

/* msg_hdr.flags */
#define MSG_F_CONFLATABLE 0x01 /* a newer message of the same type supersedes it */
#define MSG_F_REPLAY      0x02 /* produced from a replayed feed, not live */
#define MSG_F_FLATTEN     0x04 /* an order flattening the position under the
                                * kill switch (risk asked; no vote) */
#define MSG_F_DEFERRED    0x08 /* a feature vector with only some values
                                * written: its reader asks the feature voter
                                * for the rest (featd_fill) before the next
                                * market event; in process only, never on a
                                * ring (another process cannot ask) */
#define MSG_F_VENUE_TIME  0x10 /* an order as execution journals it:
                                * hdr.send_ns is the time it was handed to
                                * the venue on the venue's clock (the market
                                * clock of a replay: the newest market
                                * event plus the feed latency), not a local
                                * time */

/* Common header: 32 bytes. */
struct msg_hdr {
	uint16_t type;      /* enum msg_type */
	uint8_t  version;   /* MSG_VERSION */
	uint8_t  flags;     /* MSG_F_* */
	uint32_t size;      /* whole message in bytes, header included */
	uint64_t seq;       /* per (producer, ring) sequence, from 1, no gaps */
	int64_t  ingress_ns; /* local time the data agent took in the market
	                     * event behind it (tick-to-order starts here);
	                     * 0 when no market event is behind it */
	int64_t  send_ns;   /* local time the producer published it */
};
_Static_assert(sizeof(struct msg_hdr) == 32, "msg_hdr size");
_Static_assert(offsetof(struct msg_hdr, seq) == 8, "msg_hdr.seq");
_Static_assert(offsetof(struct msg_hdr, ingress_ns) == 16, "msg_hdr.ingress_ns");
_Static_assert(offsetof(struct msg_hdr, send_ns) == 24, "msg_hdr.send_ns");

#define MSG_BOOK_LEVELS 20 /* most levels a book message can carry */

struct msg_level {
	int64_t px;  /* ticks */
	int64_t qty; /* contracts; 0 = empty level */
};
_Static_assert(sizeof(struct msg_level) == 16, "msg_level size");

struct msg_book {
	struct msg_hdr hdr;
	int64_t  exch_ns;    /* exchange time */
	int64_t  recv_ns;    /* receive time: live, ours; replayed, the input's own
	                      * (its exchange time if it has none), never the
	                      * time the replay got to it */
	uint32_t instrument; /* index into the instrument table */
	uint16_t n_bid;      /* valid levels in bid[] (best first) */
	uint16_t n_ask;      /* valid levels in ask[] (best first) */
	uint32_t book_flags; /* BOOK_F_* from libcore/market/book.h */
	uint32_t md_flags;   /* MSG_BOOK_* below: what its producer checked */
	struct msg_level bid[MSG_BOOK_LEVELS];
	struct msg_level ask[MSG_BOOK_LEVELS];
};
/* msg_book.md_flags */
#define MSG_BOOK_SORTED 0x1u /* both sides' levels (at most MSG_BOOK_LEVELS of
                              * the counts) strictly best first, every size
                              * > 0 (book_levels_sorted): a receiver may
                              * apply them as a snapshot without checking
                              * them again (book_apply_snapshot_sorted) */
_Static_assert(offsetof(struct msg_book, bid) == 64, "msg_book.bid");
_Static_assert(offsetof(struct msg_book, ask) == 64 + 16 * MSG_BOOK_LEVELS, "msg_book.ask");
_Static_assert(sizeof(struct msg_book) == 64 + 32 * MSG_BOOK_LEVELS, "msg_book size");

struct msg_trade {
	struct msg_hdr hdr;
	int64_t  exch_ns;
	int64_t  recv_ns;
	int64_t  px;         /* ticks */
	int64_t  qty;        /* contracts */
	uint64_t trade_id;   /* exchange trade number, 0 if none */
	uint32_t instrument;
	int8_t   aggressor;  /* +1 buyer, -1 seller, 0 unknown */
	uint8_t  trade_flags;/* TRADE_F_* */
	uint16_t pad;
};
#define TRADE_F_HIDDEN 0x01 /* execution against hidden liquidity */
_Static_assert(offsetof(struct msg_trade, px) == 48, "msg_trade.px");
_Static_assert(sizeof(struct msg_trade) == 80, "msg_trade size");

#define MSG_NFEATURES 27

struct msg_features {
	struct msg_hdr hdr;
	uint64_t book_seq;   /* seq of the book message it was computed on */
	int64_t  exch_ns;
	uint32_t instrument;
	uint32_t n;          /* valid entries in f[] */
	uint32_t quality;    /* FEAT_Q_* bits: stale, crossed, wide spread */
	uint32_t pad;
	double   f[MSG_NFEATURES]; /* order and units: docs/features.md */
};
_Static_assert(offsetof(struct msg_features, f) == 64, "msg_features.f");
_Static_assert(sizeof(struct msg_features) == 64 + 8 * MSG_NFEATURES, "msg_features size");

/* Sides and order attributes shared by intent, order and reports. */
enum { SIDE_BUY = 1, SIDE_SELL = -1 };
enum ord_type { ORD_LIMIT = 1, ORD_MARKET = 2 };
enum ord_tif { TIF_DAY = 0, TIF_IOC = 1, TIF_FOK = 2 };

struct msg_intent {
	struct msg_hdr hdr;
	uint64_t intent_id;  /* unique per ml agent generation */
	uint64_t feature_seq;/* seq of the feature vector behind it */
	int64_t  px;         /* limit price in ticks (0 for market) */
	int32_t  qty;        /* contracts, > 0 */
	int8_t   side;       /* SIDE_* */
	uint8_t  ord_type;   /* enum ord_type */
	uint8_t  tif;        /* enum ord_tif */
	uint8_t  pad;
	double   prob;       /* meta-model probability behind it */
	uint32_t instrument;
	uint32_t strategy;   /* strategy id */
	int64_t  market_ns;  /* exchange time of the market event behind it (the
	                      * feature vector's exch_ns): the decision's time on
	                      * the market clock */
};
_Static_assert(offsetof(struct msg_intent, px) == 48, "msg_intent.px");
_Static_assert(offsetof(struct msg_intent, market_ns) == 80, "msg_intent.market_ns");
_Static_assert(sizeof(struct msg_intent) == 88, "msg_intent size");

struct msg_vote_req {
	struct msg_hdr hdr;
	uint64_t decision_id; /* unique across restarts */
	int64_t  deadline_ns; /* votes after it count as missing */
	uint64_t intent_id;
	int64_t  px;
	int32_t  qty;
	int8_t   side;
	uint8_t  ord_type;
	uint8_t  tif;
	uint8_t  pad;
	uint32_t instrument;
	uint32_t pad2;
};
_Static_assert(offsetof(struct msg_vote_req, decision_id) == 32, "msg_vote_req.decision_id");
_Static_assert(sizeof(struct msg_vote_req) == 80, "msg_vote_req size");

enum vote_verdict { VOTE_APPROVE = 1, VOTE_REJECT = 2, VOTE_VETO = 3 };

struct msg_vote {
	struct msg_hdr hdr;
	uint64_t decision_id;/* the request's; 0 for a vote on an intent that
	                      * came from ml itself (vote.fanout) */
	uint16_t voter;      /* agent index */
	uint8_t  verdict;    /* enum vote_verdict */
	uint8_t  pad;
	uint32_t reason;     /* reason code, named in docs/messages.md */
	uint64_t intent_id;  /* the intent voted on */
};
_Static_assert(offsetof(struct msg_vote, verdict) == 42, "msg_vote.verdict");
_Static_assert(offsetof(struct msg_vote, intent_id) == 48, "msg_vote.intent_id");
_Static_assert(sizeof(struct msg_vote) == 56, "msg_vote size");

struct msg_order {
	struct msg_hdr hdr;
	uint64_t decision_id;     /* the approving decision */
	uint64_t client_order_id; /* unique across restarts */
	int64_t  px;
	int32_t  qty;
	int8_t   side;
	uint8_t  ord_type;
	uint8_t  tif;
	uint8_t  pad;
	uint64_t replaces;        /* client order id replaced, 0 if new */
	uint32_t instrument;
	uint32_t pad2;
};
_Static_assert(offsetof(struct msg_order, client_order_id) == 40, "msg_order.client_order_id");
_Static_assert(sizeof(struct msg_order) == 80, "msg_order size");

struct msg_cancel {
	struct msg_hdr hdr;
	uint64_t client_order_id; /* 0 = cancel all */
	uint32_t reason;
	uint32_t instrument;
};
_Static_assert(sizeof(struct msg_cancel) == 48, "msg_cancel size");

enum exec_status {
	EXEC_NEW = 1, EXEC_PENDING, EXEC_ACK, EXEC_PARTIAL, EXEC_FILLED,
	EXEC_CANCEL_PENDING, EXEC_CANCELLED, EXEC_REJECTED
};

/* msg_exec_report.liquidity of a fill */
enum msg_liquidity {
	MSG_LIQ_UNKNOWN = 0,
	MSG_LIQ_TAKER = 1,   /* the order took liquidity (marketable on arrival) */
	MSG_LIQ_MAKER = 2,   /* the order rested and was filled later */
};

struct msg_exec_report {
	struct msg_hdr hdr;
	uint64_t client_order_id;
	uint64_t venue_order_id;
	uint64_t exec_id;         /* unique per fill at the venue; 0 for non-fills */
	int64_t  last_px;         /* ticks of this fill */
	int32_t  last_qty;        /* contracts of this fill */
	int32_t  cum_qty;
	int32_t  leaves_qty;
	uint8_t  status;          /* enum exec_status */
	int8_t   side;
	uint8_t  reason;          /* reject or cancel reason code (every code is
	                           * below 256: vote, venue and exec reasons) */
	uint8_t  liquidity;       /* a fill: enum msg_liquidity, as the venue
	                           * says; 0 for non-fills and fills whose side is
	                           * unknown (merged, made up by reconciliation) */
	int64_t  fee_e9;          /* fees of this fill, instrument currency x 10^9 */
	int64_t  venue_ns;        /* venue time of the event */
	uint64_t decision_id;     /* the decision behind the order (execution
	                           * fills it; 0 from a venue) */
};
_Static_assert(offsetof(struct msg_exec_report, last_px) == 56, "msg_exec_report.last_px");
_Static_assert(offsetof(struct msg_exec_report, reason) == 78, "msg_exec_report.reason");
_Static_assert(offsetof(struct msg_exec_report, liquidity) == 79, "msg_exec_report.liquidity");
_Static_assert(offsetof(struct msg_exec_report, decision_id) == 96, "msg_exec_report.decision_id");
_Static_assert(sizeof(struct msg_exec_report) == 104, "msg_exec_report size");

struct msg_position {
	struct msg_hdr hdr;
	int64_t  position;       /* signed contracts */
	int64_t  mark_px;        /* ticks */
	double   avg_px;         /* ticks, of the open position */
	int64_t  realized_e9;    /* money: instrument currency x 10^9 */
	int64_t  unrealized_e9;
	int64_t  fees_e9;
	uint32_t instrument;
	uint32_t trading_state;  /* ACTIVE / REDUCING / HALTED */
	uint32_t flags;          /* POS_F_* */
	int32_t  flatten_qty;    /* POS_F_FLATTEN: signed contracts of the next
	                          * flattening order (-position, capped) */
};
_Static_assert(sizeof(struct msg_position) == 96, "msg_position size");

/* msg_position.flags */
#define POS_F_FLATTEN 0x1u /* kill switch with flatten: send flatten_qty at market */

enum ctl_cmd {
	CTL_HALT = 1, CTL_RESUME, CTL_RELOAD, CTL_SHUTDOWN, CTL_KILL_SWITCH, CTL_REARM
};

struct msg_control {
	struct msg_hdr hdr;
	uint32_t cmd;     /* enum ctl_cmd */
	uint32_t target;  /* agent index, or ~0u for all */
	uint64_t arg;
	char     text[48];/* NUL-terminated, e.g. a model path */
};
_Static_assert(sizeof(struct msg_control) == 96, "msg_control size");

/*
 * The end of a replayed market: the data agent sends it once on every md
 * ring after the last event of its input (never conflated: no
 * MSG_F_CONFLATABLE), flagged MSG_F_REPLAY.  A consumer may get it twice
 * (a data agent killed between two rings and restarted): handling it is
 * idempotent.  Live feeds never send it.
 */
struct msg_end {
	struct msg_hdr hdr;
	int64_t  exch_ns;    /* exchange time of the last market event replayed
	                      * (0: the input held none) */
	uint64_t events;     /* market events replayed in all */
};
_Static_assert(offsetof(struct msg_end, exch_ns) == 32, "msg_end.exch_ns");
_Static_assert(sizeof(struct msg_end) == 48, "msg_end size");

/*
 * How a ballot ended, sent by the coordinator on a voter's vote-request
 * port right after the decision record: to every voter asked, whatever it
 * answered (the coordinator does not wait for the votes it does not need).
 * A voter that holds something for the decision (risk: the approved
 * exposure) lets go of it at once when the ballot was blocked.  Sent for
 * ballots only, never for an intent blocked before any vote.
 */
struct msg_vote_done {
	struct msg_hdr hdr;
	uint64_t decision_id;
	uint32_t outcome;    /* enum vote_outcome (libcore/vote): 1 release, 2 block */
	uint32_t reason;     /* enum vote_reason of the outcome */
	uint64_t intent_id;  /* the ballot's intent: a voter that voted on the
	                      * intent itself (vote.fanout) knows it by this */
};
_Static_assert(offsetof(struct msg_vote_done, decision_id) == 32, "msg_vote_done.decision_id");
_Static_assert(offsetof(struct msg_vote_done, intent_id) == 48, "msg_vote_done.intent_id");
_Static_assert(sizeof(struct msg_vote_done) == 56, "msg_vote_done size");

/*
 * The vote request a voter acts on for an intent it got itself (vote
 * fan-out, docs/agents.md "The vote"): the intent's order, decision_id 0,
 * no deadline, the intent's ingress and replay flag.  Pure.
 */
void msg_vote_req_of_intent(struct msg_vote_req *q, const struct msg_intent *it);

/*
 * Hash of MSG_VERSION, the book depth, the feature count and the size and
 * key offsets of every message above (FNV-1a over those words, as
 * dm_layout_hash).  Pure; any thread.  The agents' runtime and the tools
 * give it to seg_spec.app_layout and seg_attach.
 */
uint64_t msg_layout_hash(void);

#endif /* DM_MSG_H */
