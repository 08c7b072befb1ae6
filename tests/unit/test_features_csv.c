/*
 * test_features_csv.c — the CSV form of feature rows (feat_csv.h): every
 * number is fmt_double's text (test_fmt.c checks that one against printf)
 * and reads back (strtod) to the same double, bit for bit; the header
 * and the row layout.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/features/feat_csv.h"
#include "tests/helpers.h"

static const char *t_fmt(double v, char *buf)
{
	char *e = feat_csv_double(buf, v);

	cr_assert_leq((size_t)(e - buf), FEAT_CSV_NUM_MAX);
	*e = '\0';
	return buf;
}

/* Reads back to the same bits (NaN: a NaN). */
static void t_check(double v)
{
	char a[64], *end;

	t_fmt(v, a);
	double back = strtod(a, &end);
	cr_assert_eq(*end, '\0', "'%s' is not one number", a);
	if (isnan(v))
		cr_assert(isnan(back));
	else
		cr_assert_eq(memcmp(&back, &v, sizeof(v)), 0, "%.17g written '%s' reads %.17g", v,
			     a, back);
}

Test(features_csv, special_values)
{
	char buf[64];

	cr_assert_str_eq(t_fmt(0.0, buf), "0");
	cr_assert_str_eq(t_fmt(-0.0, buf), "-0");
	cr_assert_str_eq(t_fmt(NAN, buf), "nan");
	cr_assert_str_eq(t_fmt(INFINITY, buf), "inf");
	cr_assert_str_eq(t_fmt(-INFINITY, buf), "-inf");
	cr_assert_str_eq(t_fmt(130000.0, buf), "130000");
	cr_assert_str_eq(t_fmt(-12.0, buf), "-12");
	cr_assert_str_eq(t_fmt(50.0, buf), "50");
	cr_assert_str_eq(t_fmt(0.5, buf), "0.5");
	cr_assert_str_eq(t_fmt(-2.25, buf), "-2.25");
	cr_assert_str_eq(t_fmt(0.0001, buf), "0.0001");
	cr_assert_str_eq(t_fmt(0.00001, buf), "1e-05");
	cr_assert_str_eq(t_fmt(1.5e-7, buf), "1.5e-07");
	cr_assert_str_eq(t_fmt(1e15, buf), "1000000000000000");
	cr_assert_str_eq(t_fmt(1e17, buf), "1e+17");
	cr_assert_str_eq(t_fmt(123456789012345.5, buf), "123456789012345.5");
	cr_assert_str_eq(t_fmt(585.325, buf), "585.325");
	cr_assert_str_eq(t_fmt(1.0 / 3.0, buf), "0.3333333333333333");
	cr_assert_str_eq(t_fmt(9.9999999999999995, buf), "10");
}

Test(features_csv, random_values_read_back)
{
	struct t_rng g;

	t_rng_seed(&g, 42);
	for (int i = 0; i < 200000; i++) {
		uint64_t bits = t_rng_next(&g);
		double v;

		memcpy(&v, &bits, sizeof(v));
		t_check(v);
		/* values of the sizes features take */
		double m = (double)(t_rng_next(&g) >> 11) / 9007199254740992.0;
		int e = (int)t_rng_below(&g, 40) - 20;
		t_check((t_rng_below(&g, 2) ? -1 : 1) * m * pow(10, e));
	}
	t_check(5e-324);
	t_check(2.2250738585072014e-308);
	t_check(1.7976931348623157e308);
	t_check(0.1);
	t_check(999999999999999.9);
}

Test(features_csv, header_and_row)
{
	char buf[FEAT_CSV_ROW_MAX + 1], want[1024];
	double v[FEAT_N];
	size_t n;

	n = feat_csv_header(buf, sizeof(buf));
	strcpy(want, "t_ns");
	for (int i = 0; i < FEAT_N; i++) {
		strcat(want, ",");
		strcat(want, feat_names[i]);
	}
	strcat(want, "\n");
	cr_assert_str_eq(buf, want);
	cr_assert_eq(n, strlen(want));
	cr_assert_eq(feat_csv_header(buf, 10), 0);
	cr_assert_str_eq(want, "t_ns,mid,micro_dev,wmid_dev,ofi_1,ofi_2,ofi_3,ofi_ml,"
			 "imb_1,imb_L,imb_w,spread_ticks,spread_bps,rv_bps,velocity,"
			 "accel,hawkes_buy,hawkes_sell,hawkes_imb,hawkes_excite,"
			 "kyle_lambda,amihud,rsi,macd,macd_hist,boll_pctb,"
			 "boll_width_bps,fracdiff\n");

	for (int i = 0; i < FEAT_N; i++)
		v[i] = -1.7976931348623157e308 / (i + 1);
	v[FEAT_FRACDIFF] = NAN;
	n = feat_csv_row(buf, INT64_MIN, v);
	cr_assert_leq(n, FEAT_CSV_ROW_MAX);
	buf[n] = '\0';
	cr_assert(strncmp(buf, "-9223372036854775808,", 21) == 0, "%s", buf);
	cr_assert(n >= 5 && strcmp(buf + n - 5, ",nan\n") == 0, "%s", buf);
	int commas = 0;
	for (size_t i = 0; i < n; i++)
		commas += buf[i] == ',';
	cr_assert_eq(commas, FEAT_N);

	/* the longest numbers (24 bytes), and every value read back exactly */
	for (int i = 0; i < FEAT_N; i++)
		v[i] = -2.2250738585072014e-308 * (1 + i * 0x1p-52);
	n = feat_csv_row(buf, INT64_MIN, v);
	cr_assert_leq(n, FEAT_CSV_ROW_MAX);
	buf[n] = '\0';
	char *p = strchr(buf, ',');
	cr_assert_not_null(p);
	for (int i = 0; i < FEAT_N; i++) {
		cr_assert_eq(*p, ',', "field %d", i);
		double x = strtod(p + 1, &p);
		cr_assert_eq(memcmp(&x, &v[i], sizeof(x)), 0, "field %d: %.17g vs %.17g", i, x, v[i]);
	}
	cr_assert_str_eq(p, "\n");
	cr_assert_eq(strlen("-2.2250738585072014e-308"), FEAT_CSV_NUM_MAX);
	cr_assert(strstr(buf, ",-2.2250738585072014e-308,"), "%s", buf);
}

/* feat_csv_row_memo writes feat_csv_row's bytes: rows where columns
 * repeat the row above (as market data does), change, turn NaN, -0 and
 * 0 (equal as values, not as bits), from one memo across 20 000 rows. */
Test(features_csv, memo_rows_are_the_plain_rows)
{
	static char a[FEAT_CSV_ROW_MAX + 32], b[FEAT_CSV_ROW_MAX + 32];
	struct feat_csv_memo m;
	double v[FEAT_N];
	struct t_rng g;

	t_rng_seed(&g, 9);
	feat_csv_memo_init(&m);
	for (int i = 0; i < FEAT_N; i++)
		v[i] = 0;
	for (int r = 0; r < 20000; r++) {
		for (int i = 0; i < FEAT_N; i++) {
			uint64_t k = t_rng_below(&g, 10);
			if (k < 5)
				continue;                  /* as above */
			double x = (double)(t_rng_next(&g) >> 11) / 9007199254740992.0;
			v[i] = k == 5 ? NAN : k == 6 ? -0.0 : k == 7 ? 0.0 : k == 8 ?
			       floor(x * 1000) : (x - 0.5) * pow(10, (double)t_rng_below(&g, 30) - 15);
		}
		int64_t t = 1700000000000000000LL + r;
		size_t na = feat_csv_row(a, t, v), nb = feat_csv_row_memo(b, t, v, &m);
		a[na] = b[nb] = '\0';
		cr_assert_eq(na, nb, "row %d", r);
		cr_assert_str_eq(a, b, "row %d", r);
	}
}
