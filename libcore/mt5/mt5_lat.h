/*
 * mt5_lat.h — the live link's latencies, order by order, on one clock,
 * written as the venue simulator's latency file (docs/mt5-bridge.md,
 * "The latency file").
 *
 * Design note.  Each order's way is cut in four legs:
 *
 *   decision -> send      DreamMaker: the coordinator's decision to the
 *                         NEW_ORDER leaving (our clock alone)
 *   send -> receipt       NEW_ORDER's dm_us to the terminal's receipt:
 *                         ORDER_RESULT.ea_us, brought to our clock with the
 *                         offset the link estimates (struct mt5_clock)
 *   receipt -> ack        the terminal's clock alone: ORDER_RESULT.ea_us to
 *                         the TRADE that says PLACED (or the first fill,
 *                         or a refusal, for an order that never rests)
 *   ack -> fill           the terminal's clock alone: PLACED to the first
 *                         PARTIAL or FILLED (0 for an order filled on
 *                         arrival; absent for one never filled)
 *
 * and a fifth, the way back: a report's ea_us to its arrival here (with
 * the offset).  The venue simulator models two latencies (libcore/venue:
 * entry, our send to the exchange acting; response, the exchange's event
 * to its report reaching us).  The broker's acknowledgement is seen only
 * at the terminal, after its round trip to the exchange, so receipt ->
 * ack is split in halves, as NTP splits a round trip:
 *
 *   entry_us    = send->receipt + receipt->ack / 2
 *   response_us = receipt->ack / 2 + the way back
 *
 * One line "entry_us response_us" per order, the venue's format
 * (venue_lat_parse), each preceded by a comment line with the legs, the
 * coid and the offset's error bound, so that the venue and dm-backtest
 * read the file as it is (venue.latency_file) and a person reads why.
 *
 * Pure, no allocation; one thread per struct.
 */
#ifndef DM_LIBCORE_MT5_MT5_LAT_H
#define DM_LIBCORE_MT5_MT5_LAT_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/mt5/mt5_link.h"

#define MT5_LAT_SLOTS 1024        /* orders followed at once (a power of two) */

/* One order's legs, us; -1 where unknown. */
struct mt5_lat_rec {
	uint64_t coid;
	int64_t decision_send_us;
	int64_t send_receipt_us;
	int64_t receipt_ack_us;
	int64_t ack_fill_us;
	int64_t back_us;
	int64_t offset_us, offset_err_us;  /* the clock offset used */
	int64_t entry_us, response_us;     /* the venue's two, as above */
};

struct mt5_lat_slot {
	uint64_t coid;                /* 0: free */
	uint64_t decision_us, send_us;
	uint64_t receipt_ea, ack_ea, fill_ea;
	int64_t back_us;              /* smallest way back seen, -1 none */
	uint32_t state;               /* bits: 1 receipt, 2 ack, 4 fill, 8 done */
	uint32_t pad;
};

struct mt5_lat {
	struct mt5_lat_slot s[MT5_LAT_SLOTS];
	uint64_t records, evicted;
};

void mt5_lat_init(struct mt5_lat *t);

/* The order coid left at send_us (our clock), decided at decision_us (0:
 * unknown).  A slot still held by an unfinished order is taken over
 * (evicted). */
void mt5_lat_sent(struct mt5_lat *t, uint64_t coid, uint64_t decision_us, uint64_t send_us);

/* ORDER_RESULT of a NEW_ORDER. */
void mt5_lat_result(struct mt5_lat *t, const struct mt5_order_result *r);

/*
 * A TRADE received at recv_us (our clock).  1 with *out when it ends the
 * order's record (its first fill, or an end without fill: rejected,
 * cancelled, expired) and the clock offset is known; else 0.  A record
 * comes once per order.
 */
int mt5_lat_trade(struct mt5_lat *t, const struct mt5_trade *tr, uint64_t recv_us,
                  const struct mt5_clock *c, struct mt5_lat_rec *out);

/*
 * The record as the latency file's two lines: "# coid ... legs" and
 * "entry_us response_us", into buf (n bytes).  The length, or -ENOBUFS.
 * Legs that came out negative (an offset off by more than a leg) are
 * written as 0 in the venue line.  Pure.
 */
int mt5_lat_format(const struct mt5_lat_rec *r, char *buf, size_t n);

/* The file's header comment (what the columns and legs are).  Pure. */
const char *mt5_lat_header(void);

#endif /* DM_LIBCORE_MT5_MT5_LAT_H */
