/*
 * test_calendar.c — B3 holidays, sessions and the WIN contract cycle.
 *
 * Expected values come from outside calendar.c: dates written by hand,
 * Easter from a published table, expiries of real WIN contracts, day
 * numbers from a naive day-by-day count, UTC instants from date(1), and
 * the dates of real WING22 trades in tests/data.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "libcore/market/calendar.h"
#include "libcore/config/config.h"

#define T_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define T_NS 1000000000LL

/* "YYYY-MM-DD" -> day number; the string must be a valid date. */
static dm_date_t t_d(const char *s)
{
	dm_date_t d;

	cr_assert_eq(cal_date_parse(s, strlen(s), &d), 0, "bad test date %s", s);
	return d;
}

static const char *t_str(dm_date_t d, char buf[CAL_DATE_STR])
{
	cal_date_format(d, buf, CAL_DATE_STR);
	return buf;
}

/* The calendar of the default configuration, optionally changed by edit. */
static void t_cal(struct calendar *cal, void (*edit)(struct cfg_instrument *))
{
	struct dm_config c;

	config_defaults(&c);
	if (edit)
		edit(&c.instrument);
	cr_assert_eq(cal_init(cal, &c.instrument), 0);
}

/* ------------------------------------------------------------ dates */

/* Day numbers against a naive count from 1900-01-01, one day at a time,
 * with its own month lengths; the anchor is the Unix epoch. */
Test(calendar, day_numbers_match_a_naive_count)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	dm_date_t n = -25567;   /* 1900-01-01: 70 years, 17 leap days before 1970 */

	for (int y = 1900; y <= 2100; y++) {
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= mdays[m - 1] + (m == 2 && leap); d++, n++) {
				int yy, mm, dd;

				cr_assert_eq(cal_date(y, m, d), n, "%d-%d-%d", y, m, d);
				cal_ymd(n, &yy, &mm, &dd);
				cr_assert(yy == y && mm == m && dd == d, "ymd of %d", n);
			}
		}
	}
	cr_assert_eq(cal_date(1970, 1, 1), 0);
	cr_assert_eq(cal_date(2022, 1, 1), 1640995200 / 86400);  /* date -u +%s */
}

Test(calendar, weekdays)
{
	cr_assert_eq(cal_weekday(0), 4);                        /* 1970-01-01 Thu */
	cr_assert_eq(cal_weekday(-1), 3);
	cr_assert_eq(cal_weekday(t_d("2022-01-01")), 6);        /* Saturday */
	cr_assert_eq(cal_weekday(t_d("2022-02-16")), 3);        /* Wednesday */
	cr_assert_eq(cal_weekday(t_d("2024-12-15")), 0);        /* Sunday */
	cr_assert_eq(cal_weekday(t_d("1900-01-01")), 1);        /* Monday */
}

Test(calendar, date_parse_and_format)
{
	static const char *const bad[] = {
		"", "2022-1-05", "2022-01-5", "22-01-05", "2022/01/05", "2022-13-01",
		"2022-00-10", "2022-02-29", "2022-04-31", "2022-01-00", "1500-01-01",
		"2022-01-05 ", " 2022-01-05", "2022-01-0x", "+022-01-05",
	};
	char buf[CAL_DATE_STR];
	dm_date_t d = 12345;

	for (size_t i = 0; i < T_ARRAY_SIZE(bad); i++) {
		cr_assert_eq(cal_date_parse(bad[i], strlen(bad[i]), &d), -EINVAL, "'%s'", bad[i]);
		cr_assert_eq(d, 12345);
	}
	cr_assert_eq(cal_date_parse("2024-02-29", 10, &d), 0);
	cr_assert_str_eq(t_str(d, buf), "2024-02-29");
	cr_assert_eq(cal_date_parse("2022-01-05xyz", 10, &d), 0, "only n bytes are read");
	cr_assert_str_eq(t_str(d, buf), "2022-01-05");
	cr_assert_eq(cal_date_parse(NULL, 10, &d), -EINVAL);
	cr_assert_eq(cal_days_in_month(1900, 2), 28);
	cr_assert_eq(cal_days_in_month(2000, 2), 29);
	cr_assert_eq(cal_days_in_month(2022, 13), 0);
}

Test(calendar, month_letters)
{
	const char *letters = "FGHJKMNQUVXZ";

	for (int m = 1; m <= 12; m++) {
		cr_assert_eq(cal_letter_of_month(m), letters[m - 1]);
		cr_assert_eq(cal_month_of_letter(letters[m - 1]), m);
	}
	cr_assert_eq(cal_month_of_letter('I'), -1);
	cr_assert_eq(cal_month_of_letter('g'), -1);
	cr_assert_eq(cal_month_of_letter('\0'), -1);
	cr_assert_eq(cal_letter_of_month(0), '?');
	cr_assert_eq(cal_letter_of_month(13), '?');
}

/* ------------------------------------------------------------ holidays */

/* Western (Gregorian) Easter Sundays 2000-2030 from the published tables
 * (the same dates as python-dateutil's easter(), EASTER_WESTERN). */
Test(calendar, easter_2000_2030)
{
	static const char *const easter[] = {
		"2000-04-23", "2001-04-15", "2002-03-31", "2003-04-20", "2004-04-11",
		"2005-03-27", "2006-04-16", "2007-04-08", "2008-03-23", "2009-04-12",
		"2010-04-04", "2011-04-24", "2012-04-08", "2013-03-31", "2014-04-20",
		"2015-04-05", "2016-03-27", "2017-04-16", "2018-04-01", "2019-04-21",
		"2020-04-12", "2021-04-04", "2022-04-17", "2023-04-09", "2024-03-31",
		"2025-04-20", "2026-04-05", "2027-03-28", "2028-04-16", "2029-04-01",
		"2030-04-21",
	};
	char buf[CAL_DATE_STR];

	for (int y = 2000; y <= 2030; y++) {
		dm_date_t e = cal_easter(y);

		cr_assert_eq(e, t_d(easter[y - 2000]), "%d: got %s", y, t_str(e, buf));
		cr_assert_eq(cal_weekday(e), 0);
	}
	/* The computus' extremes: March 22 (1818, 2285) and April 25 (1943, 2038). */
	cr_assert_eq(cal_easter(1818), cal_date(1818, 3, 22));
	cr_assert_eq(cal_easter(2285), cal_date(2285, 3, 22));
	cr_assert_eq(cal_easter(1943), cal_date(1943, 4, 25));
	cr_assert_eq(cal_easter(2038), cal_date(2038, 4, 25));
}

struct t_holiday {
	const char *date, *name;
};

static void t_expect_holidays(int year, const struct t_holiday *want, size_t n)
{
	dm_date_t got[32];
	char buf[CAL_DATE_STR];
	size_t k = cal_b3_holidays(year, got, T_ARRAY_SIZE(got));

	cr_assert_eq(k, n, "%d: %zu holidays, want %zu", year, k, n);
	for (size_t i = 0; i < n; i++) {
		const char *name = cal_b3_holiday(got[i]);

		cr_assert_eq(got[i], t_d(want[i].date), "%d #%zu: got %s want %s", year, i,
		             t_str(got[i], buf), want[i].date);
		cr_assert(name && strcmp(name, want[i].name) == 0, "%s: '%s' want '%s'",
		          want[i].date, name ? name : "(null)", want[i].name);
	}
}

/* Listed by hand from the rules (Easter 2022-04-17), checked against B3's
 * 2022 calendar as the press reported it: Carnival Feb 28 - Mar 1, no
 * session on Dec 30 because Dec 31 was a Saturday, Nov 20 not a holiday. */
Test(calendar, holidays_2022)
{
	static const struct t_holiday want[] = {
		{ "2022-01-01", "New Year's Day" },            /* Sat */
		{ "2022-02-28", "Carnival Monday" },           /* Easter - 48 */
		{ "2022-03-01", "Carnival Tuesday" },          /* Easter - 47 */
		{ "2022-04-15", "Good Friday" },
		{ "2022-04-21", "Tiradentes" },                /* Thu */
		{ "2022-05-01", "Labour Day" },                /* Sun */
		{ "2022-06-16", "Corpus Christi" },            /* Easter + 60 */
		{ "2022-09-07", "Independence Day" },
		{ "2022-10-12", "Our Lady of Aparecida" },
		{ "2022-11-02", "All Souls' Day" },
		{ "2022-11-15", "Republic Day" },
		{ "2022-12-24", "Christmas Eve" },             /* Sat */
		{ "2022-12-25", "Christmas Day" },             /* Sun */
		{ "2022-12-30", "Last business day of the year" },
	};

	t_expect_holidays(2022, want, T_ARRAY_SIZE(want));
	cr_assert_null(cal_b3_holiday(t_d("2022-11-20")));
	cr_assert_null(cal_b3_holiday(t_d("2022-12-31")));
	cr_assert_null(cal_b3_holiday(t_d("2022-01-25")),
	               "Sao Paulo's anniversary: B3 open since 2022");
	cr_assert_null(cal_b3_holiday(t_d("2022-03-02")), "Ash Wednesday has a (late) session");
}

/* Easter 2024-03-31; B3 2024: closed Jan 1, Feb 12-13, Mar 29, May 1,
 * May 30, Nov 15, Nov 20 (national from 2024), Dec 24, 25, 31. */
Test(calendar, holidays_2024)
{
	static const struct t_holiday want[] = {
		{ "2024-01-01", "New Year's Day" },
		{ "2024-02-12", "Carnival Monday" },
		{ "2024-02-13", "Carnival Tuesday" },
		{ "2024-03-29", "Good Friday" },
		{ "2024-04-21", "Tiradentes" },                /* Sun */
		{ "2024-05-01", "Labour Day" },
		{ "2024-05-30", "Corpus Christi" },
		{ "2024-09-07", "Independence Day" },          /* Sat */
		{ "2024-10-12", "Our Lady of Aparecida" },     /* Sat */
		{ "2024-11-02", "All Souls' Day" },            /* Sat */
		{ "2024-11-15", "Republic Day" },
		{ "2024-11-20", "Black Consciousness Day" },
		{ "2024-12-24", "Christmas Eve" },
		{ "2024-12-25", "Christmas Day" },
		{ "2024-12-31", "Last business day of the year" },
	};

	t_expect_holidays(2024, want, T_ARRAY_SIZE(want));
}

/* 2000: Easter April 23, so Good Friday is Tiradentes, listed once; and
 * Dec 31 2000 was a Sunday, so the year-end closure is Friday Dec 29. */
Test(calendar, holidays_coinciding_and_year_end_on_weekend)
{
	dm_date_t got[32];
	size_t n = cal_b3_holidays(2000, got, T_ARRAY_SIZE(got));
	int tiradentes = 0;

	cr_assert_eq(n, 13);  /* 15 rules - Good Friday = Tiradentes - no Nov 20 */
	for (size_t i = 0; i < n; i++) {
		if (i)
			cr_assert_lt(got[i - 1], got[i]);
		tiradentes += got[i] == t_d("2000-04-21");
	}
	cr_assert_eq(tiradentes, 1);
	cr_assert_eq(cal_b3_holiday(t_d("2000-12-29")) != NULL, 1);
	/* B3 had no session on Friday 2023-12-29 (Dec 31 a Sunday). */
	cr_assert_str_eq(cal_b3_holiday(t_d("2023-12-29")), "Last business day of the year");
	cr_assert_null(cal_b3_holiday(t_d("2023-12-28")));
	/* a short out buffer still gets the count */
	cr_assert_eq(cal_b3_holidays(2024, got, 2), 15);
	cr_assert_eq(got[1], t_d("2024-02-12"));
}

/* ------------------------------------------------------------ session days */

Test(calendar, session_days)
{
	static const struct { const char *date; int session; } t[] = {
		{ "2022-01-01", 0 },   /* Saturday and holiday */
		{ "2022-01-03", 1 },
		{ "2022-01-25", 1 },   /* Sao Paulo holiday, B3 open since 2022 */
		{ "2022-02-26", 0 },   /* Saturday */
		{ "2022-02-28", 0 },   /* Carnival */
		{ "2022-03-01", 0 },
		{ "2022-03-02", 1 },   /* Ash Wednesday, late open */
		{ "2022-04-15", 0 },   /* Good Friday */
		{ "2022-06-16", 0 },   /* Corpus Christi */
		{ "2022-10-12", 0 },
		{ "2022-12-29", 1 },
		{ "2022-12-30", 0 },   /* last business day of 2022 */
		{ "2023-11-20", 1 },   /* before Nov 20 became national */
		{ "2023-12-29", 0 },
		{ "2024-11-20", 0 },
		{ "2024-12-24", 0 },
		{ "2024-12-30", 1 },
		{ "2024-12-31", 0 },
	};
	struct calendar cal;

	t_cal(&cal, NULL);
	for (size_t i = 0; i < T_ARRAY_SIZE(t); i++)
		cr_assert_eq(cal_is_session_day(&cal, t_d(t[i].date)), t[i].session, "%s", t[i].date);
}

static void t_extra_2022_01_25(struct cfg_instrument *c)
{
	/* as listed, unsorted and repeated: cal_init sorts and de-duplicates */
	c->holidays_extra[0] = cal_date(2022, 1, 25);
	c->holidays_extra[1] = cal_date(2021, 7, 9);
	c->holidays_extra[2] = cal_date(2022, 1, 25);
	c->n_holidays_extra = 3;
}

Test(calendar, extra_holidays_close_the_session)
{
	struct calendar cal;

	t_cal(&cal, t_extra_2022_01_25);
	cr_assert_eq(cal.n_extra, 2);
	cr_assert_eq(cal_is_holiday(&cal, t_d("2022-01-25")), 1);
	cr_assert_eq(cal_is_session_day(&cal, t_d("2022-01-25")), 0);
	cr_assert_eq(cal_is_session_day(&cal, t_d("2021-07-09")), 0);
	cr_assert_eq(cal_is_session_day(&cal, t_d("2022-01-24")), 1);
	cr_assert_eq(cal_next_session_day(&cal, t_d("2022-01-24")), t_d("2022-01-26"));
	cr_assert_null(cal_b3_holiday(t_d("2022-01-25")), "extras are not B3 holidays");
}

Test(calendar, next_and_previous_session_day)
{
	static const struct { const char *from, *next, *prev; } t[] = {
		{ "2022-02-25", "2022-03-02", "2022-02-24" },  /* over Carnival */
		{ "2022-03-02", "2022-03-03", "2022-02-25" },
		{ "2022-04-14", "2022-04-18", "2022-04-13" },  /* over Good Friday */
		{ "2022-12-29", "2023-01-02", "2022-12-28" },  /* over year end */
		{ "2023-01-02", "2023-01-03", "2022-12-29" },
		{ "2024-12-23", "2024-12-26", "2024-12-20" },
		{ "2022-01-01", "2022-01-03", "2021-12-30" },  /* from a holiday */
	};
	struct calendar cal;
	char b1[CAL_DATE_STR];

	t_cal(&cal, NULL);
	for (size_t i = 0; i < T_ARRAY_SIZE(t); i++) {
		dm_date_t d = t_d(t[i].from);

		cr_assert_eq(cal_next_session_day(&cal, d), t_d(t[i].next), "next %s: %s",
		             t[i].from, t_str(cal_next_session_day(&cal, d), b1));
		cr_assert_eq(cal_prev_session_day(&cal, d), t_d(t[i].prev), "prev %s: %s",
		             t[i].from, t_str(cal_prev_session_day(&cal, d), b1));
	}
}

/* ------------------------------------------------------------ sessions */

/* UTC instants from date -u -d '2022-02-15 12:00' +%s etc. */
Test(calendar, session_bounds_in_utc)
{
	struct calendar cal;
	dm_ns_t open = 1, close = 2;

	t_cal(&cal, NULL);
	cr_assert_eq(cal_session_bounds(&cal, t_d("2022-02-15"), &open, &close), 0);
	cr_assert_eq(open, 1644926400LL * T_NS);    /* 09:00 -03 = 12:00 UTC */
	cr_assert_eq(close, 1644960300LL * T_NS);   /* 18:25 -03 = 21:25 UTC */
	/* Ash Wednesday 2022-03-02 opens at 13:00 -03 = 16:00 UTC */
	cr_assert_eq(cal_session_bounds(&cal, t_d("2022-03-02"), &open, &close), 0);
	cr_assert_eq(open, 1646236800LL * T_NS);
	open = close = 7;
	cr_assert_eq(cal_session_bounds(&cal, t_d("2022-02-28"), &open, &close), -ENOENT);
	cr_assert_eq(cal_session_bounds(&cal, t_d("2022-02-19"), &open, &close), -ENOENT);
	cr_assert(open == 7 && close == 7);
}

static void t_east(struct cfg_instrument *in)
{
	in->utc_offset_min = 330; /* UTC+05:30 */
}

/* A local day's UTC bounds: by hand for one date, and for any instant the
 * day it falls in starts at or before it and ends after it, the instant
 * before the start and the end being the days either side. */
Test(calendar, local_day_bounds_hold_exactly_its_instants)
{
	struct calendar cal[2];
	dm_ns_t a = 1, b = 2;
	struct t_rng g;

	t_cal(&cal[0], NULL);
	t_cal(&cal[1], t_east);
	cr_assert_eq(cal_local_day_ns(&cal[0], t_d("2022-02-15"), &a, &b), 0);
	cr_assert_eq(a, 1644894000LL * T_NS, "00:00 -03 = 03:00 UTC");
	cr_assert_eq(b, a + 86400 * T_NS);
	cr_assert_eq(cal_local_day_ns(&cal[1], t_d("2022-02-15"), &a, &b), 0);
	cr_assert_eq(a, 1644863400LL * T_NS, "00:00 +05:30 = 18:30 UTC the day before");
	t_rng_seed(&g, 17);
	for (int i = 0; i < 200000; i++) {
		const struct calendar *c = &cal[i & 1];
		/* 1900..2200, and now and then a day's edge */
		dm_ns_t ns = ((dm_ns_t)t_rng_below(&g, 9467280000ull) - 2208988800LL) * T_NS +
			     (dm_ns_t)t_rng_below(&g, T_NS);
		if (i % 7 == 0)
			ns -= ns % (86400 * T_NS);
		dm_date_t d = cal_local_date(c, ns);
		cr_assert_eq(cal_local_day_ns(c, d, &a, &b), 0);
		cr_assert(a <= ns && ns < b, "instant %lld", (long long)ns);
		cr_assert_eq(cal_local_date(c, a), d);
		cr_assert_eq(cal_local_date(c, a - 1), d - 1);
		cr_assert_eq(cal_local_date(c, b), d + 1);
	}
	/* past the int64 ns range */
	a = b = 5;
	cr_assert_eq(cal_local_day_ns(&cal[0], t_d("2262-04-11") + 1, &a, &b), -ERANGE);
	cr_assert(a == 5 && b == 5, "untouched");
}

Test(calendar, in_session_is_half_open)
{
	struct calendar cal;
	const dm_ns_t open = 1644926400LL * T_NS, close = 1644960300LL * T_NS;

	t_cal(&cal, NULL);
	cr_assert_eq(cal_in_session(&cal, open - 1), 0);
	cr_assert_eq(cal_in_session(&cal, open), 1);
	cr_assert_eq(cal_in_session(&cal, close - 1), 1);
	cr_assert_eq(cal_in_session(&cal, close), 0);
	/* 2022-02-16 01:00 UTC is still Feb 15 in Sao Paulo (22:00) */
	cr_assert_eq(cal_local_date(&cal, (1644960300LL + 3 * 3600 + 35 * 60) * T_NS),
	             t_d("2022-02-15"));
	cr_assert_eq(cal_local_date(&cal, (1644960300LL + 5 * 3600 + 35 * 60) * T_NS),
	             t_d("2022-02-16"));
	/* a Saturday at noon, and Ash Wednesday before its 13:00 open */
	cr_assert_eq(cal_in_session(&cal, (1644926400LL + 4 * 86400) * T_NS), 0);
	cr_assert_eq(cal_in_session(&cal, 1646236800LL * T_NS - 1), 0);
	cr_assert_eq(cal_in_session(&cal, 1646236800LL * T_NS), 1);
	/* before 1970: floor division keeps the local date right */
	cr_assert_eq(cal_local_date(&cal, -1), -1);
}

/* ------------------------------------------------------------ contracts */

/*
 * Real WIN expiries (last trading days) 2021-2024: the list given in the
 * market-data issue, i.e. the dates B3 published for these contracts.
 * Each was checked by hand, by weekday arithmetic, against the rule
 * "Wednesday nearest the 15th, else the next session day" (the weekday of
 * the 15th first); all 19 agree with it:
 */
static const struct { const char *code, *expiry; } t_expiries[] = {
	{ "WINZ21", "2021-12-15" },  /* 15th Wed */
	{ "WING22", "2022-02-16" },  /* Tue -> Wed 16 */
	{ "WINJ22", "2022-04-13" },  /* Fri (Good Friday) -> Wed 13 */
	{ "WINM22", "2022-06-15" },  /* Wed */
	{ "WINQ22", "2022-08-17" },  /* Mon -> Wed 17 */
	{ "WINV22", "2022-10-13" },  /* Sat -> Wed 12, a holiday -> Thu 13 */
	{ "WINZ22", "2022-12-14" },  /* Thu -> Wed 14 */
	{ "WING23", "2023-02-15" },  /* Wed */
	{ "WINJ23", "2023-04-12" },  /* Sat -> Wed 12 */
	{ "WINM23", "2023-06-14" },  /* Thu -> Wed 14 */
	{ "WINQ23", "2023-08-16" },  /* Tue -> Wed 16 */
	{ "WINV23", "2023-10-18" },  /* Sun -> Wed 18 (3 days) not Wed 11 (4) */
	{ "WINZ23", "2023-12-13" },  /* Fri -> Wed 13 */
	{ "WING24", "2024-02-14" },  /* Thu -> Wed 14, Ash Wednesday: a session */
	{ "WINJ24", "2024-04-17" },  /* Mon -> Wed 17 */
	{ "WINM24", "2024-06-12" },  /* Sat -> Wed 12 */
	{ "WINQ24", "2024-08-14" },  /* Thu -> Wed 14 */
	{ "WINV24", "2024-10-16" },  /* Tue -> Wed 16 */
	{ "WINZ24", "2024-12-18" },  /* Sun -> Wed 18 */
};

Test(calendar, real_win_expiries)
{
	struct calendar cal;
	char buf[CAL_DATE_STR];

	t_cal(&cal, NULL);
	for (size_t i = 0; i < T_ARRAY_SIZE(t_expiries); i++) {
		struct cal_contract c;

		cr_assert_eq(cal_parse_contract(&cal, t_expiries[i].code, &c), 0, "%s",
		             t_expiries[i].code);
		cr_assert_str_eq(c.code, t_expiries[i].code);
		cr_assert_eq(c.expiry, t_d(t_expiries[i].expiry), "%s: got %s want %s",
		             c.code, t_str(c.expiry, buf), t_expiries[i].expiry);
		cr_assert_eq(c.roll, c.expiry, "%s: roll_days_before_expiry 0", c.code);
		cr_assert_eq(cal_is_session_day(&cal, c.expiry), 1);
	}
}

Test(calendar, parse_contract)
{
	static const char *const bad[] = {
		"WINH22", "WINF22", "WDOQ22", "WINQ2", "WINQ222", "winq22", "WINq22",
		"WINQ2x", "WIN", "", "WIN Q22", "WINQ-2", "XWINQ22",
	};
	struct calendar cal;
	struct cal_contract c;

	t_cal(&cal, NULL);
	cr_assert_eq(cal_parse_contract(&cal, "WINQ22", &c), 0);
	cr_assert_eq(c.year, 2022);
	cr_assert_eq(c.month, 8);
	cr_assert_eq(c.expiry, t_d("2022-08-17"));
	cr_assert_eq(cal_parse_contract(&cal, "WING00", &c), 0);
	cr_assert_eq(c.year, 2000);
	cr_assert_eq(cal_parse_contract(&cal, "WINZ99", &c), 0);
	cr_assert_eq(c.year, 2099);
	for (size_t i = 0; i < T_ARRAY_SIZE(bad); i++)
		cr_assert_eq(cal_parse_contract(&cal, bad[i], &c), -EINVAL, "'%s'", bad[i]);
	cr_assert_eq(cal_parse_contract(&cal, NULL, &c), -EINVAL);
	cr_assert_eq(cal_contract(&cal, 2022, 3, &c), -EINVAL);
	cr_assert_eq(cal_contract(&cal, 2022, 0, &c), -EINVAL);
	cr_assert_eq(cal_contract(&cal, 2100, 2, &c), -ERANGE);
	cr_assert_eq(cal_contract(&cal, 1999, 12, &c), -ERANGE);
}

Test(calendar, next_contract_wraps_the_year)
{
	struct calendar cal;
	struct cal_contract c, n;

	t_cal(&cal, NULL);
	cr_assert_eq(cal_parse_contract(&cal, "WINZ22", &c), 0);
	cr_assert_eq(cal_next_contract(&cal, &c, &n), 0);
	cr_assert_str_eq(n.code, "WING23");
	cr_assert_eq(cal_next_contract(&cal, &n, &n), 0, "in place");
	cr_assert_str_eq(n.code, "WINJ23");
	cr_assert_eq(cal_parse_contract(&cal, "WINZ99", &c), 0);
	cr_assert_eq(cal_next_contract(&cal, &c, &n), -ERANGE);
}

/* Around expiries: the day before, the day itself (the expiring contract is
 * still the front) and the day after; days outside contract months. */
Test(calendar, front_contract_around_expiries)
{
	static const struct { const char *day, *front, *active; } t[] = {
		{ "2021-12-14", "WINZ21", "WINZ21" },
		{ "2021-12-15", "WINZ21", "WING22" },   /* expiry day: rolled */
		{ "2021-12-16", "WING22", "WING22" },
		{ "2022-01-01", "WING22", "WING22" },
		{ "2022-02-15", "WING22", "WING22" },
		{ "2022-02-16", "WING22", "WINJ22" },
		{ "2022-02-17", "WINJ22", "WINJ22" },
		{ "2022-03-10", "WINJ22", "WINJ22" },
		{ "2022-04-16", "WINM22", "WINM22" },   /* Saturday after expiry */
		{ "2022-06-01", "WINM22", "WINM22" },
		{ "2022-10-12", "WINV22", "WINV22" },   /* holiday, expiry moved to 13 */
		{ "2022-10-13", "WINV22", "WINZ22" },
		{ "2022-10-14", "WINZ22", "WINZ22" },
		{ "2022-12-13", "WINZ22", "WINZ22" },
		{ "2022-12-14", "WINZ22", "WING23" },
		{ "2022-12-15", "WING23", "WING23" },
		{ "2022-12-31", "WING23", "WING23" },
		{ "2024-12-18", "WINZ24", "WING25" },
		{ "2024-12-19", "WING25", "WING25" },
	};
	struct calendar cal;

	t_cal(&cal, NULL);
	for (size_t i = 0; i < T_ARRAY_SIZE(t); i++) {
		struct cal_contract f, a;
		dm_date_t d = t_d(t[i].day);

		cr_assert_eq(cal_front_contract(&cal, d, &f), 0);
		cr_assert_str_eq(f.code, t[i].front, "front on %s", t[i].day);
		cr_assert_eq(f.roll, f.expiry);
		cr_assert_eq(cal_active_contract(&cal, d, &a), 0);
		cr_assert_str_eq(a.code, t[i].active, "active on %s", t[i].day);
	}
}

static void t_roll_2(struct cfg_instrument *c)
{
	c->roll_days_before_expiry = 2;
}

/* Roll two session days early: WING22 (expiry Wed 2022-02-16) rolls on
 * Mon 02-14; WINV22 (expiry Thu 10-13) skips the Oct 12 holiday: Tue 11,
 * Mon 10. */
Test(calendar, roll_days_before_expiry)
{
	static const struct { const char *day, *front, *active; } t[] = {
		{ "2022-02-11", "WING22", "WING22" },
		{ "2022-02-13", "WING22", "WING22" },
		{ "2022-02-14", "WING22", "WINJ22" },
		{ "2022-02-16", "WING22", "WINJ22" },
		{ "2022-02-17", "WINJ22", "WINJ22" },
		{ "2022-10-07", "WINV22", "WINV22" },
		{ "2022-10-10", "WINV22", "WINZ22" },
	};
	struct calendar cal;
	struct cal_contract c;

	t_cal(&cal, t_roll_2);
	cr_assert_eq(cal_parse_contract(&cal, "WING22", &c), 0);
	cr_assert_eq(c.roll, t_d("2022-02-14"));
	cr_assert_eq(cal_parse_contract(&cal, "WINV22", &c), 0);
	cr_assert_eq(c.roll, t_d("2022-10-10"));
	for (size_t i = 0; i < T_ARRAY_SIZE(t); i++) {
		struct cal_contract f, a;

		cr_assert_eq(cal_front_contract(&cal, t_d(t[i].day), &f), 0);
		cr_assert_str_eq(f.code, t[i].front, "front on %s", t[i].day);
		cr_assert_eq(cal_active_contract(&cal, t_d(t[i].day), &a), 0);
		cr_assert_str_eq(a.code, t[i].active, "active on %s", t[i].day);
	}
}

static void t_monthly(struct cfg_instrument *c)
{
	strcpy(c->contract_months, "FGHJKMNQUVXZ");
	c->roll_days_before_expiry = 20;
}

/* Monthly contracts rolled 20 session days early: the roll of the next
 * contract can come before the front's expiry, so active skips ahead.
 * On 2022-02-16 WING22 expires (rolled mid-January); WINH22 expires Wed
 * 2022-03-16 and, counting 20 session days back over Carnival, rolled on
 * 2022-02-14; so WINJ22 is active. */
Test(calendar, active_contract_with_long_roll)
{
	struct calendar cal;
	struct cal_contract f, a;

	t_cal(&cal, t_monthly);
	cr_assert_eq(cal_front_contract(&cal, t_d("2022-02-16"), &f), 0);
	cr_assert_str_eq(f.code, "WING22");
	cr_assert_eq(cal_active_contract(&cal, t_d("2022-02-16"), &a), 0);
	cr_assert_str_eq(a.code, "WINJ22");
	cr_assert_eq(cal_parse_contract(&cal, "WINH22", &f), 0);
	cr_assert_eq(f.expiry, t_d("2022-03-16"));
	cr_assert_eq(f.roll, t_d("2022-02-14"));
	cr_assert_lt(a.roll, a.expiry);
	cr_assert_gt(a.roll, t_d("2022-02-16"));
	cr_assert_eq(cal_front_contract(&cal, t_d("1999-12-01"), &f), -ERANGE);
}

Test(calendar, init_refuses_bad_settings)
{
	struct dm_config c;
	struct cfg_instrument bad;
	struct calendar cal;

	config_defaults(&c);
	bad = c.instrument;
	strcpy(bad.contract_months, "ZG");
	cr_assert_eq(cal_init(&cal, &bad), -EINVAL);
	bad = c.instrument;
	strcpy(bad.symbol, "win");
	cr_assert_eq(cal_init(&cal, &bad), -EINVAL);
	bad = c.instrument;
	bad.session_close_s = bad.session_open_s;
	cr_assert_eq(cal_init(&cal, &bad), -EINVAL);
	bad = c.instrument;
	bad.expiry_anchor_day = 26;
	cr_assert_eq(cal_init(&cal, &bad), -EINVAL);
	bad = c.instrument;
	bad.n_holidays_extra = CFG_HOLIDAYS_MAX + 1;
	cr_assert_eq(cal_init(&cal, &bad), -EINVAL);
}

/* ------------------------------------------------------------ real data */


/*
 * Real WING22 trades (B3 TradeIntraday prints, aggregated to 1-minute bars,
 * Sao Paulo time): every day with bars is a session day, before WING22's
 * expiry, and WING22 is the active contract on it.  The data starts on
 * 2021-12-15, WINZ21's expiry day: traders had rolled to WING22, as the
 * roll-on-expiry-day default says.  The only session day of the span with
 * no bars is 2021-12-27 (B3 traded; the file has a gap there).  Bars start
 * at 09:00 and run to 18:24; the 18:31 bar of each day (and two later odd
 * prints) are the closing call's prints, after the 18:25 close.
 */
Test(calendar, wing22_bars_fall_on_session_days)
{
	struct calendar cal;
	struct cal_contract wing22;
	char line[256], buf[CAL_DATE_STR];
	dm_date_t prev = 0, first = 0, last = 0;
	long bars = 0, days = 0, after_close = 0;
	FILE *f;

	f = t_open_wing22();
	t_cal(&cal, NULL);
	cr_assert_eq(cal_parse_contract(&cal, "WING22", &wing22), 0);
	while (fgets(line, sizeof(line), f)) {
		dm_date_t d;
		int hh, mm, ss;
		uint32_t tod;

		cr_assert_eq(cal_date_parse(line, 10, &d), 0, "line %ld: %s", bars + 2, line);
		cr_assert_eq(sscanf(line + 11, "%2d:%2d:%2d", &hh, &mm, &ss), 3);
		tod = (uint32_t)(hh * 3600 + mm * 60 + ss);
		if (d != prev) {
			struct cal_contract a;

			cr_assert_eq(cal_is_session_day(&cal, d), 1, "%s has bars", t_str(d, buf));
			cr_assert_lt(d, wing22.expiry);
			cr_assert_eq(cal_active_contract(&cal, d, &a), 0);
			cr_assert_str_eq(a.code, "WING22", "on %s", t_str(d, buf));
			/* every session day between two bar days has bars, but Dec 27 */
			for (dm_date_t g = prev ? cal_next_session_day(&cal, prev) : d; g < d;
			     g = cal_next_session_day(&cal, g))
				cr_assert_eq(g, t_d("2021-12-27"), "no bars on session day %s",
				             t_str(g, buf));
			first = first ? first : d;
			last = d;
			prev = d;
			days++;
		}
		cr_assert_geq(tod, cal.open_s, "%s", line);
		if (tod >= cal.close_s)
			after_close++;
		else
			cr_assert_eq(cal_in_session(&cal, ((int64_t)d * 86400 + tod + 3 * 3600) * T_NS),
			             1, "%s", line);
		bars++;
	}
	pclose(f);
	cr_assert_eq(bars, 23771, "PROVENANCE.md counts 23,771 bars");
	cr_assert_eq(days, 42);
	cr_assert_eq(first, t_d("2021-12-15"));
	cr_assert_eq(last, t_d("2022-02-15"));
	cr_assert_eq(after_close, 42 + 2, "one closing-call print a day, two odd ones");
}

/* 2262-04-11 (a Friday, day 106751 = 9223286400 s) is the last day whose
 * session fits int64 ns: 12:00 and 21:25 UTC, before INT64_MAX ns at
 * 23:47:16.854775807 UTC.  The next session day's bounds do not fit:
 * -ERANGE, never a wrapped time. */
Test(calendar, session_bounds_past_2262_are_out_of_range)
{
	struct calendar cal;
	dm_ns_t open = 1, close = 2;

	t_cal(&cal, NULL);
	cr_assert_eq(cal_is_session_day(&cal, t_d("2262-04-11")), 1);
	cr_assert_eq(cal_session_bounds(&cal, t_d("2262-04-11"), &open, &close), 0);
	cr_assert_eq(open, (9223286400LL + 12 * 3600) * T_NS);
	cr_assert_eq(close, (9223286400LL + 21 * 3600 + 25 * 60) * T_NS);
	dm_date_t next = cal_next_session_day(&cal, t_d("2262-04-11"));
	cr_assert_eq(next, t_d("2262-04-14"));
	open = close = 7;
	cr_assert_eq(cal_session_bounds(&cal, next, &open, &close), -ERANGE);
	cr_assert_eq(cal_session_bounds(&cal, t_d("2263-01-05"), &open, &close), -ERANGE);
	cr_assert(open == 7 && close == 7);
	cr_assert_eq(cal_in_session(&cal, INT64_MAX), 0);
}
