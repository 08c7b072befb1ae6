/*
 * instrument.h — prices, ticks and money of the traded contract (WIN).
 *
 * Design note: three integer units, no floating point.
 *
 *   points       the exchange's quote unit.  Carried as "scaled points":
 *                points x 10^price_decimals in an int64_t (WIN quotes
 *                whole points, price_decimals 0, so scaled points are
 *                plain points: 108400).
 *   ticks        dm_ticks_t, the unit of every price inside DreamMaker:
 *                scaled points / tick_pts (WIN: 108400 points = 21680
 *                ticks).  Only prices on the tick grid convert exactly.
 *   centavos     money, int64_t BRL x 100.  tick_value_cents is what one
 *                tick is worth per contract (WIN: 5 points x R$ 0.20 =
 *                R$ 1.00 = 100); the configuration is refused unless it is
 *                a whole number of centavos, so P&L is exact.
 *
 * Rounding (enum instr_round) is exact integer arithmetic on the floor
 * quotient, also for negative values (price differences):
 *   INSTR_EXACT    a price off the tick grid is an error, -EDOM
 *   INSTR_FLOOR    down to the grid (toward -inf): a buy limit never pays more
 *   INSTR_CEIL     up to the grid (toward +inf): a sell limit never gets less
 *   INSTR_NEAREST  the nearest tick; a price exactly half-way goes up
 *
 * Every function is pure (reads *in, writes only its outputs), allocates
 * nothing and never blocks: any thread, hot path included.  The inline ones
 * are the per-message conversions; an overflowing result is -ERANGE, never
 * a wrapped value.
 */
#ifndef DM_LIBCORE_INSTRUMENT_H
#define DM_LIBCORE_INSTRUMENT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "libcore/config.h"
#include "libcore/types.h"

struct instrument {
	char     symbol[CFG_SYMBOL_MAX];  /* contract code root, "WIN" */
	uint32_t price_decimals;          /* decimals of a price in points, 0..6 */
	int64_t  pts_scale;               /* 10^price_decimals scaled points per point */
	int64_t  tick_pts;                /* tick size, scaled points, > 0; WIN 5 */
	int64_t  tick_value_cents;        /* BRL centavos per tick per contract, > 0; WIN 100 */
	int64_t  point_value_e6;          /* BRL per point per contract x 10^6; WIN 200000 */
};

enum instr_round { INSTR_EXACT, INSTR_FLOOR, INSTR_CEIL, INSTR_NEAREST };

/*
 * Fill in from the instrument section of the configuration.  Returns 0, or
 * -EINVAL when the tick size is not positive or not a whole number of
 * scaled points, the tick value is not a whole number of centavos, or
 * price_decimals > 6 (in is then unspecified).  Start-up code; no
 * allocation.
 */
int instr_init(struct instrument *in, const struct cfg_instrument *c);

/*
 * Scaled points -> ticks under the rounding mode.  Returns 0, or -EDOM for
 * a price off the grid under INSTR_EXACT, -EINVAL for an unknown mode
 * (*ticks untouched on error).
 */
static inline int instr_pts_to_ticks(const struct instrument *in, int64_t pts,
                                     enum instr_round mode, dm_ticks_t *ticks)
{
	int64_t q = pts / in->tick_pts, r = pts % in->tick_pts;

	if (r < 0) {            /* floor quotient, 0 <= r < tick_pts */
		q--;
		r += in->tick_pts;
	}
	if (DM_LIKELY(r == 0)) {
		*ticks = q;
		return 0;
	}
	switch (mode) {
	case INSTR_EXACT:
		return -EDOM;
	case INSTR_FLOOR:
		break;
	case INSTR_CEIL:
		q++;
		break;
	case INSTR_NEAREST:
		q += r >= in->tick_pts - r;
		break;
	default:
		return -EINVAL;
	}
	*ticks = q;
	return 0;
}

/* Ticks -> scaled points.  Returns 0 or -ERANGE. */
static inline int instr_ticks_to_pts(const struct instrument *in, dm_ticks_t ticks,
                                     int64_t *pts)
{
	return __builtin_mul_overflow(ticks, in->tick_pts, pts) ? -ERANGE : 0;
}

/* What a move of ticks is worth for one contract, in centavos.  Returns 0
 * or -ERANGE. */
static inline int instr_ticks_to_cents(const struct instrument *in, dm_ticks_t ticks,
                                       int64_t *cents)
{
	return __builtin_mul_overflow(ticks, in->tick_value_cents, cents) ? -ERANGE : 0;
}

/*
 * P&L in centavos of qty contracts (> 0 long, < 0 short) opened at entry
 * and marked (or closed) at mark, both in ticks:
 *   qty * (mark - entry) * tick_value_cents.
 * Returns 0 or -ERANGE.
 */
static inline int instr_pnl_cents(const struct instrument *in, dm_qty_t qty,
                                  dm_ticks_t entry, dm_ticks_t mark, int64_t *cents)
{
	int64_t move, v;

	if (__builtin_sub_overflow(mark, entry, &move) ||
	    __builtin_mul_overflow(move, qty, &v) ||
	    __builtin_mul_overflow(v, in->tick_value_cents, &v))
		return -ERANGE;
	*cents = v;
	return 0;
}

/*
 * Total P&L (realised + open) in centavos of a position built from many
 * fills, marked at mark:  (qty * mark - cost_ticks) * tick_value_cents,
 * where qty is the net signed position and cost_ticks the sum over every
 * fill of signed fill qty x fill price in ticks (buys +, sells -).  A flat
 * position (qty 0) gives the realised P&L.  Returns 0 or -ERANGE.
 */
static inline int instr_position_pnl_cents(const struct instrument *in, dm_qty_t qty,
                                           int64_t cost_ticks, dm_ticks_t mark,
                                           int64_t *cents)
{
	int64_t v;

	if (__builtin_mul_overflow(qty, mark, &v) ||
	    __builtin_sub_overflow(v, cost_ticks, &v) ||
	    __builtin_mul_overflow(v, in->tick_value_cents, &v))
		return -ERANGE;
	*cents = v;
	return 0;
}

/*
 * Parse exactly n bytes of a decimal price in points ("108400", "108400.0",
 * "-5", "+0.5") into scaled points.  Digits past price_decimals must be
 * zeros.  Returns 0, -EINVAL for bad syntax (no digits, a second '.', any
 * other byte), -EDOM for a non-zero digit past price_decimals, -ERANGE on
 * overflow (*pts untouched on error).
 */
int instr_pts_parse(const struct instrument *in, const char *s, size_t n, int64_t *pts);

/* instr_pts_parse then instr_pts_to_ticks. */
int instr_parse_ticks(const struct instrument *in, const char *s, size_t n,
                      enum instr_round mode, dm_ticks_t *ticks);

/* Write scaled points as a decimal with price_decimals decimals ("108400",
 * "5123.500"); returns what snprintf returns. */
int instr_pts_format(const struct instrument *in, int64_t pts, char *buf, size_t len);

#endif /* DM_LIBCORE_INSTRUMENT_H */
