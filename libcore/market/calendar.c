/*
 * calendar.c — B3 holidays, sessions and the contract cycle.
 *
 * Day numbers come from the usual era decomposition of the proleptic
 * Gregorian calendar (400-year eras of 146097 days, years starting on
 * March 1 so the leap day ends the year), exact for any int32 day.
 */
#include "libcore/market/calendar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECS_PER_DAY 86400
#define NS_PER_SEC   1000000000LL

static const char month_letters[] = "FGHJKMNQUVXZ";

/* ------------------------------------------------------------ dates */

/* a / b rounded toward minus infinity, b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

dm_date_t cal_date(int year, int month, int day)
{
	int y = year - (month <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;                                   /* 0..399 */
	int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */

	return era * 146097 + doe - 719468;   /* 719468: 0000-03-01 to 1970-01-01 */
}

void cal_ymd(dm_date_t d, int *year, int *month, int *day)
{
	int64_t z = (int64_t)d + 719468, era = floor_div(z, 146097);
	int doe, yoe, doy, mp, m;

	doe = (int)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	m = mp < 10 ? mp + 3 : mp - 9;
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = m;
	*year = (int)(yoe + era * 400) + (m <= 2);
}

int cal_weekday(dm_date_t d)
{
	int w = (int)(((int64_t)d + 4) % 7);   /* day 0 was a Thursday */

	return w < 0 ? w + 7 : w;
}

int cal_days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (month < 1 || month > 12)
		return 0;
	return days[month - 1] + (month == 2 && leap);
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int cal_date_parse(const char *s, size_t n, dm_date_t *out)
{
	int y, m, d;

	if (!s || n != 10 || s[4] != '-' || s[7] != '-' ||
	    digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d))
		return -EINVAL;
	if (y < 1583 || m < 1 || m > 12 || d < 1 || d > cal_days_in_month(y, m))
		return -EINVAL;
	*out = cal_date(y, m, d);
	return 0;
}

int cal_date_format(dm_date_t d, char *buf, size_t len)
{
	int y, m, dd;

	cal_ymd(d, &y, &m, &dd);
	return snprintf(buf, len, "%04d-%02d-%02d", y, m, dd);
}

int cal_month_of_letter(char c)
{
	const char *p = c ? strchr(month_letters, c) : NULL;

	return p ? (int)(p - month_letters) + 1 : -1;
}

char cal_letter_of_month(int month)
{
	return month >= 1 && month <= 12 ? month_letters[month - 1] : '?';
}

/* ------------------------------------------------------------ holidays */

dm_date_t cal_easter(int year)
{
	int a = year % 19, b = year / 100, c = year % 100;
	int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int n = h + l - 7 * m + 114;

	return cal_date(year, n / 31, n % 31 + 1);
}

struct fixed_holiday {
	int month, day, from_year;
	const char *name;
};

static const struct fixed_holiday fixed[] = {
	{  1,  1,    0, "New Year's Day" },
	{  4, 21,    0, "Tiradentes" },
	{  5,  1,    0, "Labour Day" },
	{  9,  7,    0, "Independence Day" },
	{ 10, 12,    0, "Our Lady of Aparecida" },
	{ 11,  2,    0, "All Souls' Day" },
	{ 11, 15,    0, "Republic Day" },
	/* National holiday by Lei 14.759/2023; B3 traded on it in 2022-2023. */
	{ 11, 20, 2024, "Black Consciousness Day" },
	{ 12, 24,    0, "Christmas Eve" },
	{ 12, 25,    0, "Christmas Day" },
};

struct easter_holiday {
	int offset;
	const char *name;
};

static const struct easter_holiday moveable[] = {
	{ -48, "Carnival Monday" },
	{ -47, "Carnival Tuesday" },
	{  -2, "Good Friday" },
	{  60, "Corpus Christi" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ASH_WEDNESDAY (-46)
#define YEAR_END_NAME "Last business day of the year"

/* Dec 31, or the Friday before it when it falls on a weekend. */
static dm_date_t year_end_closure(int year)
{
	dm_date_t d = cal_date(year, 12, 31);
	int w = cal_weekday(d);

	return w == 6 ? d - 1 : w == 0 ? d - 2 : d;
}

const char *cal_b3_holiday(dm_date_t d)
{
	int y, m, dd;
	dm_date_t easter;

	cal_ymd(d, &y, &m, &dd);
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		if (fixed[i].month == m && fixed[i].day == dd && y >= fixed[i].from_year)
			return fixed[i].name;
	if (m == 12 && d == year_end_closure(y))
		return YEAR_END_NAME;
	if (m < 2 || m > 6)   /* moveable feasts fall Feb 2 .. Jun 24 */
		return NULL;
	easter = cal_easter(y);
	for (size_t i = 0; i < ARRAY_SIZE(moveable); i++)
		if (d == easter + moveable[i].offset)
			return moveable[i].name;
	return NULL;
}

static int cmp_date(const void *a, const void *b)
{
	dm_date_t x = *(const dm_date_t *)a, y = *(const dm_date_t *)b;

	return (x > y) - (x < y);
}

/* Sort n dates and drop repeats; returns the new count. */
static size_t sort_unique(dm_date_t *v, size_t n)
{
	size_t k = 0;

	qsort(v, n, sizeof(*v), cmp_date);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

size_t cal_b3_holidays(int year, dm_date_t *out, size_t max)
{
	dm_date_t all[ARRAY_SIZE(fixed) + 1 + ARRAY_SIZE(moveable)];
	dm_date_t easter = cal_easter(year);
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		if (year >= fixed[i].from_year)
			all[n++] = cal_date(year, fixed[i].month, fixed[i].day);
	all[n++] = year_end_closure(year);
	for (size_t i = 0; i < ARRAY_SIZE(moveable); i++)
		all[n++] = easter + moveable[i].offset;
	n = sort_unique(all, n);
	memcpy(out, all, (n < max ? n : max) * sizeof(*out));
	return n;
}

/* ------------------------------------------------------------ calendar */

static int valid_symbol(const char *s)
{
	size_t n = strnlen(s, CFG_SYMBOL_MAX);

	return n > 0 && n < CFG_SYMBOL_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

/* Bit m-1 per month letter; 0 if a letter is unknown, repeated or out of
 * month order. */
static uint32_t months_mask(const char *s)
{
	uint32_t mask = 0;
	int last = 0;

	for (size_t i = 0; i < CFG_MONTHS_MAX && s[i]; i++) {
		int m = cal_month_of_letter(s[i]);

		if (m <= last)
			return 0;
		mask |= 1u << (m - 1);
		last = m;
	}
	return strnlen(s, CFG_MONTHS_MAX) < CFG_MONTHS_MAX ? mask : 0;
}

int cal_init(struct calendar *cal, const struct cfg_instrument *c)
{
	memset(cal, 0, sizeof(*cal));
	cal->month_mask = months_mask(c->contract_months);
	if (!valid_symbol(c->symbol) || !cal->month_mask ||
	    c->utc_offset_min < -720 || c->utc_offset_min > 840 ||
	    c->session_open_s >= c->session_close_s ||
	    c->session_close_s > SECS_PER_DAY ||
	    c->ash_wednesday_open_s >= c->session_close_s ||
	    c->expiry_weekday > 6 ||
	    c->expiry_anchor_day < 4 || c->expiry_anchor_day > 25 ||
	    c->roll_days_before_expiry > 20 ||
	    c->n_holidays_extra > CFG_HOLIDAYS_MAX)
		return -EINVAL;
	memcpy(cal->symbol, c->symbol, sizeof(cal->symbol));
	cal->utc_offset_s = c->utc_offset_min * 60;
	cal->open_s = c->session_open_s;
	cal->close_s = c->session_close_s;
	cal->ash_open_s = c->ash_wednesday_open_s;
	cal->expiry_weekday = c->expiry_weekday;
	cal->expiry_anchor_day = c->expiry_anchor_day;
	cal->roll_days = c->roll_days_before_expiry;
	memcpy(cal->extra, c->holidays_extra, c->n_holidays_extra * sizeof(cal->extra[0]));
	cal->n_extra = (uint32_t)sort_unique(cal->extra, c->n_holidays_extra);
	return 0;
}

static int is_extra(const struct calendar *cal, dm_date_t d)
{
	return bsearch(&d, cal->extra, cal->n_extra, sizeof(d), cmp_date) != NULL;
}

int cal_is_holiday(const struct calendar *cal, dm_date_t d)
{
	return is_extra(cal, d) || cal_b3_holiday(d) != NULL;
}

int cal_is_session_day(const struct calendar *cal, dm_date_t d)
{
	int w = cal_weekday(d);

	return w != 0 && w != 6 && !cal_is_holiday(cal, d);
}

dm_date_t cal_next_session_day(const struct calendar *cal, dm_date_t d)
{
	do
		d++;
	while (!cal_is_session_day(cal, d));
	return d;
}

dm_date_t cal_prev_session_day(const struct calendar *cal, dm_date_t d)
{
	do
		d--;
	while (!cal_is_session_day(cal, d));
	return d;
}

static dm_date_t session_on_or_after(const struct calendar *cal, dm_date_t d)
{
	return cal_is_session_day(cal, d) ? d : cal_next_session_day(cal, d);
}

int cal_session_bounds(const struct calendar *cal, dm_date_t d,
                       dm_ns_t *open_ns, dm_ns_t *close_ns)
{
	int64_t midnight_utc = (int64_t)d * SECS_PER_DAY - cal->utc_offset_s;
	uint32_t open = cal->open_s;
	int y, m, dd;

	if (!cal_is_session_day(cal, d))
		return -ENOENT;
	cal_ymd(d, &y, &m, &dd);
	if (d == cal_easter(y) + ASH_WEDNESDAY && cal->ash_open_s > open)
		open = cal->ash_open_s;
	int64_t o, c;
	if (__builtin_add_overflow(midnight_utc, (int64_t)open, &o) ||
	    __builtin_mul_overflow(o, NS_PER_SEC, &o) ||
	    __builtin_add_overflow(midnight_utc, (int64_t)cal->close_s, &c) ||
	    __builtin_mul_overflow(c, NS_PER_SEC, &c))
		return -ERANGE;
	*open_ns = o;
	*close_ns = c;
	return 0;
}

dm_date_t cal_local_date(const struct calendar *cal, dm_ns_t ns)
{
	int64_t s = floor_div(ns, NS_PER_SEC);

	return (dm_date_t)floor_div(s + cal->utc_offset_s, SECS_PER_DAY);
}

int cal_local_day_ns(const struct calendar *cal, dm_date_t d, dm_ns_t *start_ns,
		     dm_ns_t *end_ns)
{
	int64_t s = (int64_t)d * SECS_PER_DAY - cal->utc_offset_s, a, b;

	if (__builtin_mul_overflow(s, NS_PER_SEC, &a) ||
	    __builtin_add_overflow(a, (int64_t)SECS_PER_DAY * NS_PER_SEC, &b))
		return -ERANGE;
	*start_ns = a;
	*end_ns = b;
	return 0;
}

int cal_in_session(const struct calendar *cal, dm_ns_t ns)
{
	dm_ns_t open, close;

	if (cal_session_bounds(cal, cal_local_date(cal, ns), &open, &close))
		return 0;
	return ns >= open && ns < close;
}

/* ------------------------------------------------------------ contracts */

/* The expiry weekday nearest the anchor day (never a tie: 7 is odd), then
 * the first session day from there. */
static dm_date_t expiry_of(const struct calendar *cal, int year, int month)
{
	dm_date_t anchor = cal_date(year, month, (int)cal->expiry_anchor_day);
	int delta = ((int)cal->expiry_weekday - cal_weekday(anchor) + 7) % 7;

	if (delta > 3)
		delta -= 7;
	return session_on_or_after(cal, anchor + delta);
}

int cal_contract(const struct calendar *cal, int year, int month,
                 struct cal_contract *out)
{
	if (month < 1 || month > 12 || !(cal->month_mask & (1u << (month - 1))))
		return -EINVAL;
	if (year < CAL_YEAR_MIN || year > CAL_YEAR_MAX)
		return -ERANGE;
	memset(out, 0, sizeof(*out));
	snprintf(out->code, sizeof(out->code), "%s%c%02d", cal->symbol,
	         cal_letter_of_month(month), year % 100);
	out->year = year;
	out->month = month;
	out->expiry = expiry_of(cal, year, month);
	out->roll = out->expiry;
	for (uint32_t i = 0; i < cal->roll_days; i++)
		out->roll = cal_prev_session_day(cal, out->roll);
	return 0;
}

int cal_parse_contract(const struct calendar *cal, const char *code,
                       struct cal_contract *out)
{
	size_t root = strlen(cal->symbol);
	int month, yy;

	if (!code || strncmp(code, cal->symbol, root) != 0 ||
	    strlen(code + root) != 3 || digits(code + root + 1, 2, &yy))
		return -EINVAL;
	month = cal_month_of_letter(code[root]);
	if (month < 0)
		return -EINVAL;
	return cal_contract(cal, CAL_YEAR_MIN + yy, month, out) ? -EINVAL : 0;
}

/* The first contract of month >= (year, month), year by year. */
static int contract_from(const struct calendar *cal, int year, int month,
                         struct cal_contract *out)
{
	for (;;) {
		if (month > 12) {
			year++;
			month = 1;
		}
		if (year > CAL_YEAR_MAX)
			return -ERANGE;
		if (cal->month_mask & (1u << (month - 1)))
			return cal_contract(cal, year, month, out);
		month++;
	}
}

int cal_next_contract(const struct calendar *cal, const struct cal_contract *c,
                      struct cal_contract *next)
{
	return contract_from(cal, c->year, c->month + 1, next);
}

int cal_front_contract(const struct calendar *cal, dm_date_t d,
                       struct cal_contract *out)
{
	struct cal_contract c;
	int y, m, dd, rc;

	cal_ymd(d, &y, &m, &dd);
	if (y < CAL_YEAR_MIN)
		return -ERANGE;
	rc = contract_from(cal, y, m, &c);
	while (!rc && c.expiry < d)
		rc = cal_next_contract(cal, &c, &c);
	if (!rc)
		*out = c;
	return rc;
}

int cal_active_contract(const struct calendar *cal, dm_date_t d,
                        struct cal_contract *out)
{
	struct cal_contract c;
	int rc = cal_front_contract(cal, d, &c);

	while (!rc && d >= c.roll)
		rc = cal_next_contract(cal, &c, &c);
	if (!rc)
		*out = c;
	return rc;
}
