/*
 * calendar.h — the B3 trading calendar and the WIN contract cycle.
 *
 * Design note.  Everything is computed, nothing is looked up in a table
 * that would silently run out: a date is a day number (dm_date_t, days
 * since 1970-01-01 in the proleptic Gregorian calendar), and whether a
 * day has a session follows from three rules (docs/instrument.md gives the
 * sources):
 *
 *   1. Saturday and Sunday have no session.
 *   2. B3 holidays, computed per year (cal_b3_holiday):
 *        fixed    Jan 1, Apr 21, May 1, Sep 7, Oct 12, Nov 2, Nov 15,
 *                 Nov 20 (from 2024 on), Dec 24, Dec 25;
 *        year end Dec 31, or the Friday before when Dec 31 falls on a
 *                 weekend (B3 closes the last business day of the year:
 *                 2022-12-30, 2023-12-29);
 *        moveable Carnival Monday and Tuesday (Easter - 48, - 47), Good
 *                 Friday (Easter - 2), Corpus Christi (Easter + 60), with
 *                 Easter from the anonymous Gregorian computus.
 *   3. The configured extra dates (instrument.holidays_extra).
 *
 * Ash Wednesday (Easter - 46) is a session day that opens late
 * (instrument.ash_wednesday_open).
 *
 * Sessions run in local exchange time, a fixed offset from UTC (Brazil has
 * had no daylight saving time since 2019).  A session is the half-open
 * interval [open, close) in UTC nanoseconds.
 *
 * Contracts.  A contract is the symbol root, the month letter
 * (F G H J K M N Q U V X Z = Jan..Dec) and the two-digit year: WING22.
 * It expires on the configured weekday nearest the anchor day of its month
 * (WIN: the Wednesday nearest the 15th), or, if that day has no session, on
 * the next session day.  The expiry day is the contract's last trading day.
 *
 *   front contract on day d   the contract with the earliest expiry >= d:
 *                             on its expiry day the expiring contract is
 *                             still the front.
 *   roll day of a contract    its expiry day moved back
 *                             roll_days_before_expiry session days (0 = the
 *                             expiry day itself).
 *   active contract on day d  the one to trade: the front contract, or the
 *                             one after it from the start of the front's
 *                             roll day on.
 *
 * Every function is pure: it reads a struct calendar built once by
 * cal_init() and writes only its outputs.  None allocates, blocks or makes
 * a system call, so any thread may call any of them, on the hot path too
 * (cal_in_session costs a few hundred integer operations).
 */
#ifndef DM_LIBCORE_CALENDAR_H
#define DM_LIBCORE_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/config/config.h"
#include "libcore/types.h"

/* A civil date as days since 1970-01-01 (which is day 0, a Thursday). */
typedef int32_t dm_date_t;

#define CAL_DATE_STR   11    /* "YYYY-MM-DD" and its NUL */
#define CAL_CODE_MAX   16    /* contract code buffer: root + letter + yy */
#define CAL_YEAR_MIN   2000  /* contract codes carry two-digit years: */
#define CAL_YEAR_MAX   2099  /* 00..99 mean 2000..2099 */

struct calendar {
	char      symbol[CFG_SYMBOL_MAX];  /* contract code root, "WIN" */
	uint32_t  month_mask;              /* bit m-1 set: month m lists a contract */
	int32_t   utc_offset_s;            /* local = UTC + this */
	uint32_t  open_s, close_s;         /* local s after midnight, open < close */
	uint32_t  ash_open_s;              /* Ash Wednesday's open, < close_s */
	uint32_t  expiry_weekday;          /* 0 = Sunday .. 6 = Saturday */
	uint32_t  expiry_anchor_day;       /* 4..25 */
	uint32_t  roll_days;               /* session days before expiry */
	uint32_t  n_extra;                 /* used entries of extra[] */
	dm_date_t extra[CFG_HOLIDAYS_MAX]; /* extra closed dates, ascending, unique */
};

struct cal_contract {
	char      code[CAL_CODE_MAX];  /* "WING22" */
	int32_t   year;                /* 2022 */
	int32_t   month;               /* 1..12 */
	dm_date_t expiry;              /* last trading day */
	dm_date_t roll;                /* first day the next contract is active */
};

/* ------------------------------------------------------------ dates */

/* Day number of year-month-day; no validation (day 0 or 32 just counts on
 * from the month's start). */
dm_date_t cal_date(int year, int month, int day);

/* Year, month (1..12) and day (1..31) of a day number. */
void cal_ymd(dm_date_t d, int *year, int *month, int *day);

/* 0 = Sunday, 1 = Monday .. 6 = Saturday. */
int cal_weekday(dm_date_t d);

/* Days in month (1..12) of year, Gregorian leap years. */
int cal_days_in_month(int year, int month);

/*
 * Parse exactly n bytes "YYYY-MM-DD" (a real date, year 1583..9999) into
 * *out.  Returns 0 or -EINVAL (then *out is untouched).
 */
int cal_date_parse(const char *s, size_t n, dm_date_t *out);

/* Write "YYYY-MM-DD" into buf (CAL_DATE_STR bytes are enough); returns
 * what snprintf returns. */
int cal_date_format(dm_date_t d, char *buf, size_t len);

/* Month 1..12 of a contract month letter (F G H J K M N Q U V X Z), or -1. */
int cal_month_of_letter(char c);

/* The letter of month 1..12, or '?' outside. */
char cal_letter_of_month(int month);

/* ------------------------------------------------------------ holidays */

/* Easter Sunday of year (Gregorian, anonymous computus), year >= 1583. */
dm_date_t cal_easter(int year);

/*
 * The name of the computed B3 holiday falling on d ("Tiradentes",
 * "Carnival Monday", ...) whatever its weekday, or NULL.  Extra configured
 * dates are not included: see cal_is_holiday.
 */
const char *cal_b3_holiday(dm_date_t d);

/*
 * The computed B3 holidays of year, ascending and unique (Good Friday and
 * Tiradentes fall together in some years), weekends included.  Writes at
 * most max dates into out and returns how many there are (at most 16).
 */
size_t cal_b3_holidays(int year, dm_date_t *out, size_t max);

/* ------------------------------------------------------------ calendar */

/*
 * Build cal from the instrument section of the configuration: checks the
 * settings again (the loader has, but c may be hand-made), sorts and
 * de-duplicates the extra dates.  Returns 0 or -EINVAL (cal unspecified).
 */
int cal_init(struct calendar *cal, const struct cfg_instrument *c);

/* 1 if d is a computed B3 holiday or a configured extra date, else 0. */
int cal_is_holiday(const struct calendar *cal, dm_date_t d);

/* 1 if d has a session: a weekday that is no holiday; else 0. */
int cal_is_session_day(const struct calendar *cal, dm_date_t d);

/* The first session day after d (d itself excluded). */
dm_date_t cal_next_session_day(const struct calendar *cal, dm_date_t d);

/* The last session day before d (d itself excluded). */
dm_date_t cal_prev_session_day(const struct calendar *cal, dm_date_t d);

/*
 * The session of day d as UTC ns since the epoch: [*open_ns, *close_ns).
 * Ash Wednesday opens at ash_open_s.  Returns 0, -ENOENT when d has no
 * session, or -ERANGE when a bound falls outside the int64 ns range
 * (1677-09-21..2262-04-11; overflow-checked); outputs untouched on error.
 */
int cal_session_bounds(const struct calendar *cal, dm_date_t d,
                       dm_ns_t *open_ns, dm_ns_t *close_ns);

/* The local exchange date at UTC instant ns. */
dm_date_t cal_local_date(const struct calendar *cal, dm_ns_t ns);

/*
 * The UTC instants whose local date is d: [*start_ns, *end_ns), so that a
 * caller can tell the same date without dividing again.  Returns 0, or
 * -ERANGE when a bound falls outside the int64 ns range (outputs
 * untouched).  Pure.
 */
int cal_local_day_ns(const struct calendar *cal, dm_date_t d, dm_ns_t *start_ns,
		     dm_ns_t *end_ns);

/* 1 if UTC instant ns lies inside a session, open included, close not. */
int cal_in_session(const struct calendar *cal, dm_ns_t ns);

/* ------------------------------------------------------------ contracts */

/*
 * The contract of year (2000..2099) and month: code, expiry and roll day.
 * Returns 0, -EINVAL if month is not a contract month, -ERANGE for a year
 * outside the two-digit range.
 */
int cal_contract(const struct calendar *cal, int year, int month,
                 struct cal_contract *out);

/* Parse a NUL-terminated code such as "WINQ22": root, a contract month
 * letter, two digits, nothing else.  Returns 0 or -EINVAL. */
int cal_parse_contract(const struct calendar *cal, const char *code,
                       struct cal_contract *out);

/* The contract listed after c.  Returns 0 or -ERANGE past 2099. */
int cal_next_contract(const struct calendar *cal, const struct cal_contract *c,
                      struct cal_contract *next);

/*
 * The front contract on day d: the earliest expiry on or after d (the
 * expiring contract on its own expiry day); out->roll is its roll day.
 * Returns 0 or -ERANGE outside 2000..2099.
 */
int cal_front_contract(const struct calendar *cal, dm_date_t d,
                       struct cal_contract *out);

/*
 * The contract to trade on day d: the front contract before its roll day,
 * the next one from the roll day on.  Returns 0 or -ERANGE.
 */
int cal_active_contract(const struct calendar *cal, dm_date_t d,
                        struct cal_contract *out);

#endif /* DM_LIBCORE_CALENDAR_H */
