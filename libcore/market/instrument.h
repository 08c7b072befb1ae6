/*
 * instrument.h — prices, ticks and money of the traded instrument (WIN,
 * AAPL, BTCUSDT...).
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
 *   money        int64_t nano-units of the instrument's currency
 *                (currency x 10^9, names end in _e9), the one money unit of
 *                the trading path: risk P&L and limits, fees, fills.
 *                tick_value_e9 is what one tick is worth per lot, tick_size
 *                x point_value (WIN: 5 points x R$ 0.20 = R$ 1.00 = 10^9;
 *                AAPL: 0.01 x 1 USD = 10^7; BTCUSDT spot: 0.01 x 0.00001
 *                USDT = 100; USD-M: 0.1 x 0.001 USDT = 10^5).  A
 *                configuration whose tick value is not a whole number of
 *                nano-units is refused, so P&L is exact; int64 holds
 *                +-9.2 x 10^9 currency units and every product is
 *                overflow-checked.
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

#include "libcore/config/config.h"
#include "libcore/types.h"

struct instrument {
	char     symbol[CFG_SYMBOL_MAX];  /* contract code root, "WIN" */
	char     currency[CFG_CURRENCY_MAX]; /* of every money amount, "BRL" */
	uint32_t price_decimals;          /* decimals of a price in points, 0..6 */
	uint32_t pad;
	int64_t  pts_scale;               /* 10^price_decimals scaled points per point */
	int64_t  tick_pts;                /* tick size, scaled points, > 0; WIN 5 */
	int64_t  tick_value_e9;           /* currency x 10^9 per tick per lot, > 0;
	                                   * WIN 1000000000 (R$ 1.00) */
	int64_t  point_value_e6;          /* currency per point per lot x 10^6; WIN 200000 */
	int64_t  lot_size_e6;             /* one lot in the instrument's size unit
	                                   * x 10^6 (contracts, shares, BTC); WIN 1000000 */
};

#define INSTR_MONEY_SCALE 1000000000LL /* money unit: currency x 10^9 */

enum instr_round { INSTR_EXACT, INSTR_FLOOR, INSTR_CEIL, INSTR_NEAREST };

/*
 * Fill in from the instrument section of the configuration.  Returns 0, or
 * -EINVAL when the tick size is not positive or not a whole number of
 * scaled points, the tick value (tick_size x point_value) is not a whole
 * number of nano-units of the currency or exceeds int64, the lot size is
 * not positive, the currency is not 1 to 7 capital letters, or
 * price_decimals > 6 (in is then unspecified).  Start-up code; no
 * allocation.
 */
int instr_init(struct instrument *in, const struct cfg_instrument *c);

/*
 * An exact decimal text ("5", "0.01", "0.50") as an integer x 10^6, and its
 * count of decimals without trailing zeros (decimals may be NULL).  0, or
 * -EINVAL: not such a decimal, a non-zero digit past the sixth decimal, or
 * beyond int64.
 */
int instr_dec_e6(const char *s, int64_t *out, uint32_t *decimals);

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

/* What a move of ticks is worth for one lot, currency x 10^9.  Returns 0
 * or -ERANGE. */
static inline int instr_ticks_to_money(const struct instrument *in, dm_ticks_t ticks,
                                       int64_t *e9)
{
	return __builtin_mul_overflow(ticks, in->tick_value_e9, e9) ? -ERANGE : 0;
}

/*
 * P&L, currency x 10^9, of qty lots (> 0 long, < 0 short) opened at entry
 * and marked (or closed) at mark, both in ticks:
 *   qty * (mark - entry) * tick_value_e9.
 * Returns 0 or -ERANGE.
 */
static inline int instr_pnl_e9(const struct instrument *in, dm_qty_t qty,
                               dm_ticks_t entry, dm_ticks_t mark, int64_t *e9)
{
	int64_t move, v;

	if (__builtin_sub_overflow(mark, entry, &move) ||
	    __builtin_mul_overflow(move, qty, &v) ||
	    __builtin_mul_overflow(v, in->tick_value_e9, &v))
		return -ERANGE;
	*e9 = v;
	return 0;
}

/*
 * Total P&L (realised + open), currency x 10^9, of a position built from
 * many fills, marked at mark:  (qty * mark - cost_ticks) * tick_value_e9,
 * where qty is the net signed position and cost_ticks the sum over every
 * fill of signed fill qty x fill price in ticks (buys +, sells -).  A flat
 * position (qty 0) gives the realised P&L.  Returns 0 or -ERANGE.
 */
static inline int instr_position_pnl_e9(const struct instrument *in, dm_qty_t qty,
                                        int64_t cost_ticks, dm_ticks_t mark,
                                        int64_t *e9)
{
	int64_t v;

	if (__builtin_mul_overflow(qty, mark, &v) ||
	    __builtin_sub_overflow(v, cost_ticks, &v) ||
	    __builtin_mul_overflow(v, in->tick_value_e9, &v))
		return -ERANGE;
	*e9 = v;
	return 0;
}

/*
 * Write money (currency x 10^9) as an exact decimal with at least two
 * decimals and no trailing zeros beyond them: 1500000000 -> "1.50",
 * -100 -> "-0.0000001".  Returns what snprintf returns.  Any thread; no
 * allocation.
 */
int instr_money_format(int64_t e9, char *buf, size_t len);

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
