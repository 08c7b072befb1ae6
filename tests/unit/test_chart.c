/*
 * test_chart.c — tools/lib/chart: the series' decimation keeps every
 * extreme in bounded points, a short series stays exact, histogram bins
 * count what falls in them, escaping, and the markup the charts promise
 * (svg.chart, .axis, .mark, data-* attributes, "no data").
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"
#include "tools/lib/chart.h"

/* What a writer printed, NUL-terminated (caller frees). */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	cr_assert_not_null(m->f);
}

static char *mem_close(struct mem *m)
{
	cr_assert_eq(fclose(m->f), 0);
	return m->buf;
}

static size_t count(const char *s, const char *pat)
{
	size_t n = 0;
	for (const char *p = strstr(s, pat); p; p = strstr(p + 1, pat))
		n++;
	return n;
}

static struct chart_series *new_series(const char *name, enum chart_style st)
{
	struct chart_series *s = malloc(sizeof(*s));
	cr_assert_not_null(s);
	chart_series_init(s, name, st, NULL);
	return s;
}

Test(chart, a_short_series_is_kept_exactly)
{
	struct chart_series *s = new_series("x", CHART_LINE);
	for (int i = 0; i < 1000; i++)
		chart_series_add(s, i * 0.5, sin(i));
	chart_series_add(s, NAN, 1);      /* ignored */
	chart_series_add(s, 3, INFINITY); /* ignored */
	static struct chart_pt pts[4 * CHART_COLS];
	uint32_t n = chart_series_points(s, pts, 4 * CHART_COLS);
	cr_assert_eq(n, 1000);
	cr_expect_eq(s->n_in, 1000);
	cr_expect_eq(s->decimated, 0);
	for (int i = 0; i < 1000; i++)
		cr_expect(pts[i].x == i * 0.5 && pts[i].y == sin(i), "point %d changed", i);
	free(s);
}

/* A million points of a random walk with planted spikes: at most 4 points
 * a column are drawn, in x order, and every column's lowest and highest
 * point (so the series' extremes and the spikes) are among them. */
Test(chart, decimation_keeps_the_extremes_of_every_column)
{
	struct chart_series *s = new_series("walk", CHART_STEP);
	struct t_rng g;
	t_rng_seed(&g, 7);
	const int n = 1000000;
	double y = 0, lo = INFINITY, hi = -INFINITY, xlo = 0, xhi = 0;
	for (int i = 0; i < n; i++) {
		y += (double)t_rng_below(&g, 2001) / 1000.0 - 1.0;
		double v = y;
		if (i == 123457)
			v = y + 5000; /* spikes one point wide */
		if (i == 876543)
			v = y - 7000;
		lo = fmin(lo, v);
		if (v > hi) {
			hi = v;
			xhi = 1e9 + i * 1e6;
		}
		if (v == lo)
			xlo = 1e9 + i * 1e6;
		chart_series_add(s, 1e9 + i * 1e6, v);
	}
	cr_assert_eq(s->n_in, (uint64_t)n);
	cr_assert(s->decimated);
	static struct chart_pt pts[4 * CHART_COLS];
	uint32_t k = chart_series_points(s, pts, 4 * CHART_COLS);
	cr_expect_leq(k, 4 * CHART_COLS);
	cr_expect_geq(k, CHART_COLS, "%u points for %u columns", k, CHART_COLS);
	int seen_lo = 0, seen_hi = 0;
	for (uint32_t i = 0; i < k; i++) {
		if (i)
			cr_expect_leq(pts[i - 1].x, pts[i].x, "points out of x order at %u", i);
		seen_lo |= pts[i].y == lo && pts[i].x == xlo;
		seen_hi |= pts[i].y == hi && pts[i].x == xhi;
	}
	cr_expect(seen_lo, "the lowest point (%g) was dropped", lo);
	cr_expect(seen_hi, "the highest point (%g) was dropped", hi);
	cr_expect_eq(pts[0].x, 1e9, "the first point is kept");
	cr_expect_eq(pts[k - 1].x, 1e9 + (n - 1) * 1e6, "the last point is kept");
	/* the drawn page says how many of how many */
	struct mem m;
	mem_open(&m);
	const struct chart_series *ss[] = { s };
	struct chart c = { .title = "walk", .x_axis = CHART_AX_TIME };
	cr_expect_eq(chart_xy(m.f, &c, ss, 1), 1);
	char *html = mem_close(&m);
	char note[96];
	snprintf(note, sizeof(note), "%u of %d points drawn", k, n);
	cr_expect(strstr(html, note), "no '%s' under the chart", note);
	free(html);
	free(s);
}

Test(chart, bins_count_every_value_in_its_own_bin)
{
	double v[] = { -3.5, -3.5, -1, 0, 0, 0.25, 2, 2, 2, 9.999, 10, NAN };
	struct chart_bin b[8];
	int nb = chart_bins(v, sizeof(v) / sizeof(v[0]), 8, b);
	cr_assert_gt(nb, 0);
	cr_assert_leq(nb, 8);
	double total = 0;
	for (int i = 0; i < nb; i++) {
		total += b[i].count;
		if (i)
			cr_expect_eq(b[i].lo, b[i - 1].hi, "bins %d and %d do not touch", i - 1, i);
		/* the count is what lies in [lo, hi) (the last bin: [lo, hi]) */
		double want = 0;
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
			if (v[k] >= b[i].lo && (v[k] < b[i].hi || (i == nb - 1 && v[k] == b[i].hi)))
				want++;
		cr_expect_eq(b[i].count, want, "bin [%g, %g): %g, expected %g", b[i].lo, b[i].hi,
			     b[i].count, want);
	}
	cr_expect_eq(total, 11, "every finite value is counted once");
	cr_expect_leq(b[0].lo, -3.5);
	cr_expect_geq(b[nb - 1].hi, 10);
	/* one value: one bin around it */
	double one[] = { 4, 4, 4 };
	nb = chart_bins(one, 3, 8, b);
	cr_expect_eq(nb, 1);
	cr_expect(b[0].lo < 4 && b[0].hi > 4 && b[0].count == 3);
	cr_expect_eq(chart_bins(v + 11, 1, 8, b), 0, "no finite value: no bin");
}

Test(chart, charts_carry_their_classes_and_figures)
{
	struct mem m;
	mem_open(&m);
	struct chart_series *a = new_series("a & <b>", CHART_LINE);
	struct chart_series *p = new_series("pts", CHART_POINTS);
	for (int i = 0; i < 10; i++) {
		chart_series_add(a, i, i * i);
		chart_series_add(p, i, 100 - i);
	}
	const struct chart_series *ss[] = { a, p };
	struct chart c = { .title = "T <1>", .x_label = "x", .y_label = "y" };
	cr_expect_eq(chart_xy(m.f, &c, ss, 2), 11, "a polyline and 10 circles");
	struct chart_bin b[2] = { { 0, 1, 3 }, { 1, 2, 0 } };
	cr_expect_eq(chart_hist(m.f, &c, b, 2), 1, "empty bins draw no bar");
	const char *lab[] = { "x\"y", "z" };
	double val[] = { 2.5, 0 };
	cr_expect_eq(chart_bars(m.f, &c, lab, val, NULL, 2), 1);
	struct chart_series *e = new_series("empty", CHART_LINE);
	const struct chart_series *es[] = { e };
	struct chart ce = { .title = "Nothing" };
	cr_expect_eq(chart_xy(m.f, &ce, es, 1), 0);
	char *html = mem_close(&m);
	cr_expect_eq(count(html, "<svg class=\"chart\""), 3);
	cr_expect_eq(count(html, "<g class=\"axis\">"), 3);
	cr_expect_eq(count(html, "<polyline class=\"mark s0\""), 1);
	cr_expect_eq(count(html, "<circle class=\"mark s0\""), 10);
	cr_expect(strstr(html, "data-lo=\"0\" data-hi=\"1\" data-count=\"3\""), "%s", html);
	cr_expect(strstr(html, "data-label=\"x&quot;y\" data-value=\"2.5\""));
	cr_expect(strstr(html, "a &amp; &lt;b&gt;"), "the legend is escaped");
	cr_expect(strstr(html, "T &lt;1&gt;"), "the title is escaped");
	cr_expect(!strstr(html, "<1>") && !strstr(html, "<b>a"), "nothing unescaped");
	cr_expect(strstr(html, "<p class=\"nodata\">Nothing: no data.</p>"));
	free(html);
	free(a);
	free(p);
	free(e);
}

Test(chart, a_time_axis_is_labelled_in_local_time)
{
	struct mem m;
	mem_open(&m);
	struct chart_series *s = new_series("e", CHART_STEP);
	/* 2022-01-03 12:00:00 UTC to 12:30 UTC; local UTC-3 */
	int64_t t0 = 1641211200000000000ll;
	for (int i = 0; i <= 30; i++)
		chart_series_add(s, (double)(t0 + i * 60000000000ll), i);
	const struct chart_series *ss[] = { s };
	struct chart c = { .title = "t", .x_label = "market time", .x_axis = CHART_AX_TIME,
			   .utc_offset_min = -180 };
	chart_xy(m.f, &c, ss, 1);
	char *html = mem_close(&m);
	cr_expect(strstr(html, ">09:00</text>"), "a tick at 09:00 local:\n%s", html);
	cr_expect(strstr(html, ">09:30</text>"));
	cr_expect(!strstr(html, ">12:00</text>"), "no UTC label");
	cr_expect(strstr(html, "market time 2022-01-03, UTC-03:00"));
	char b[40];
	cr_expect_str_eq(chart_fmt_time(b, sizeof(b), t0, -180), "2022-01-03 09:00:00");
	cr_expect_str_eq(chart_fmt_num(b, sizeof(b), NAN), "n/a");
	cr_expect_str_eq(chart_fmt_num(b, sizeof(b), -0.0), "0");
	cr_expect_str_eq(chart_fmt_num(b, sizeof(b), 0.1 + 0.2), "0.3");
	free(html);
	free(s);
}

/* A number cell shows the value short and carries it whole: cents from
 * 1000 on, six significant digits below, the %.12g text in data-value. */
Test(chart, a_number_cell_is_short_and_carries_the_whole_value)
{
	static const struct { double v; const char *shown; } cases[] = {
		{ 2284.2798, "2284.28" },        { -123456.785, "-123456.79" },
		{ -2.73814791497, "-2.73815" },  { 0.82385, "0.82385" },
		{ 85.4725, "85.4725" },          { 0.000123456789, "0.000123457" },
		{ 0.0, "0" },                    { -0.0, "0" },
		{ -0.0001, "-0.0001" },          { 999.9994, "999.999" },
		{ 1e15, "1e+15" },               { NAN, "n/a" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char b[40];
		cr_expect_str_eq(chart_fmt_short(b, sizeof(b), cases[i].v), cases[i].shown,
				 "case %zu", i);
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	chart_cell_num(f, "pnl.net", -2.73814791497);
	chart_cell_num(f, "x", NAN);
	fclose(f);
	cr_assert_not_null(text);
	cr_expect_str_eq(text, "<td class=\"num\" data-key=\"pnl.net\" data-value=\"-2.73814791497\" "
			       "title=\"-2.73814791497\">-2.73815</td>"
			       "<td class=\"num\" data-key=\"x\">n/a</td>");
	free(text);
}
