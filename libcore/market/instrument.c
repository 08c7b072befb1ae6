/*
 * instrument.c — building struct instrument from the configuration, and
 * decimal price text <-> scaled points.
 */
#include "libcore/market/instrument.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MAX_DECIMALS 6
/* tick_size_e6 x point_value_e6 is currency x 10^12; money is x 10^9 */
#define E12_PER_E9   1000

static int64_t pow10_i64(uint32_t e)
{
	int64_t v = 1;

	while (e--)
		v *= 10;
	return v;
}

static int currency_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n > 0 && n < size && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

int instr_init(struct instrument *in, const struct cfg_instrument *c)
{
	int64_t down;
	__int128 prod;

	memset(in, 0, sizeof(*in));
	if (c->price_decimals > MAX_DECIMALS || c->tick_size_e6 <= 0 ||
	    c->point_value_e6 <= 0 || c->lot_size_e6 <= 0 ||
	    !memchr(c->symbol, '\0', sizeof(c->symbol)) ||
	    !currency_ok(c->currency, sizeof(c->currency)))
		return -EINVAL;
	/* tick_size_e6 holds 6 decimals; the price grid keeps price_decimals. */
	down = pow10_i64(MAX_DECIMALS - c->price_decimals);
	if (c->tick_size_e6 % down)
		return -EINVAL;
	/* tick value in currency x 10^12 = tick_size_e6 x point_value_e6 */
	prod = (__int128)c->tick_size_e6 * c->point_value_e6;
	if (prod % E12_PER_E9 || prod / E12_PER_E9 > INT64_MAX)
		return -EINVAL;
	memcpy(in->symbol, c->symbol, sizeof(in->symbol));
	memcpy(in->currency, c->currency, sizeof(in->currency));
	in->price_decimals = c->price_decimals;
	in->pts_scale = pow10_i64(c->price_decimals);
	in->tick_pts = c->tick_size_e6 / down;
	in->tick_value_e9 = (int64_t)(prod / E12_PER_E9);
	in->point_value_e6 = c->point_value_e6;
	in->lot_size_e6 = c->lot_size_e6;
	return 0;
}

int instr_money_format(int64_t e9, char *buf, size_t len)
{
	uint64_t mag = e9 < 0 ? 0 - (uint64_t)e9 : (uint64_t)e9;
	uint64_t frac = mag % (uint64_t)INSTR_MONEY_SCALE;
	char digits[16];
	int n = snprintf(digits, sizeof(digits), "%09" PRIu64, frac);

	while (n > 2 && digits[n - 1] == '0')
		digits[--n] = '\0';
	return snprintf(buf, len, "%s%" PRIu64 ".%s", e9 < 0 ? "-" : "",
	                mag / (uint64_t)INSTR_MONEY_SCALE, digits);
}

int instr_pts_parse(const struct instrument *in, const char *s, size_t n, int64_t *pts)
{
	size_t i = 0, int_digits = 0, frac_digits = 0;
	int neg = 0, dot = 0, too_fine = 0;
	uint64_t mag = 0, limit;
	int64_t v;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (s[i] == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (d > 9)
			return -EINVAL;
		if (dot && frac_digits++ >= in->price_decimals) {
			too_fine |= d != 0;
			continue;
		}
		int_digits += !dot;
		if (__builtin_mul_overflow(mag, 10, &mag) ||
		    __builtin_add_overflow(mag, d, &mag))
			return -ERANGE;
	}
	if (int_digits == 0 || (dot && frac_digits == 0))
		return -EINVAL;
	if (too_fine)
		return -EDOM;
	for (size_t k = frac_digits; k < in->price_decimals; k++)
		if (__builtin_mul_overflow(mag, 10, &mag))
			return -ERANGE;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (mag > limit)
		return -ERANGE;
	v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	*pts = v;
	return 0;
}

int instr_parse_ticks(const struct instrument *in, const char *s, size_t n,
                      enum instr_round mode, dm_ticks_t *ticks)
{
	int64_t pts;
	int rc = instr_pts_parse(in, s, n, &pts);

	return rc ? rc : instr_pts_to_ticks(in, pts, mode, ticks);
}

int instr_pts_format(const struct instrument *in, int64_t pts, char *buf, size_t len)
{
	/* magnitude as unsigned, so INT64_MIN prints too */
	uint64_t mag = pts < 0 ? 0 - (uint64_t)pts : (uint64_t)pts;
	uint64_t scale = (uint64_t)in->pts_scale;

	if (in->price_decimals == 0)
		return snprintf(buf, len, "%s%" PRIu64, pts < 0 ? "-" : "", mag);
	return snprintf(buf, len, "%s%" PRIu64 ".%0*" PRIu64, pts < 0 ? "-" : "",
	                mag / scale, (int)in->price_decimals, mag % scale);
}

int instr_dec_e6(const char *s, int64_t *out, uint32_t *decimals)
{
	int64_t v = 0;
	uint32_t dec = 0, nz_dec = 0;
	int dot = 0, digits = 0;
	for (; *s; s++) {
		if (*s == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (dot && ++dec > 6) {
			if (*s != '0')
				return -EINVAL;
			continue;
		}
		if (v > (INT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (*s - '0');
		digits++;
		if (dot && *s != '0')
			nz_dec = dec;
	}
	if (!digits)
		return -EINVAL;
	for (uint32_t i = dec < 6 ? dec : 6; i < 6; i++) {
		if (v > INT64_MAX / 10)
			return -EINVAL;
		v *= 10;
	}
	*out = v;
	if (decimals)
		*decimals = nz_dec;
	return 0;
}
