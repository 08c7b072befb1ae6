/*
 * bench_table.h — the one table every benchmark prints:
 *
 *   figure | value | unit | baseline compared with | ratio
 *
 * row() collects a figure (and, when base_fmt is given, the baseline it is
 * compared with: ratio = value / base_val); print_table() prints them all.
 * Values in ns print as integers, everything else with two decimals.
 * parse_count() reads the counts of the benchmarks' options.
 * Header-only: each benchmark is one program (tests/bench/bench_X.c).
 */
#ifndef DM_BENCH_TABLE_H
#define DM_BENCH_TABLE_H

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct row {
	char fig[56];
	double val;
	const char *unit;
	char base[48];
	double ratio; /* NAN: none */
};

static struct row g_rows[64];
static int g_nrows;

static void row(const char *fig, double val, const char *unit, double base_val,
		const char *base_fmt, ...) __attribute__((format(printf, 5, 6), unused));
static void row(const char *fig, double val, const char *unit, double base_val,
		const char *base_fmt, ...)
{
	if (g_nrows == (int)(sizeof(g_rows) / sizeof(g_rows[0])))
		return;
	struct row *r = &g_rows[g_nrows++];
	snprintf(r->fig, sizeof(r->fig), "%s", fig);
	r->val = val;
	r->unit = unit;
	r->base[0] = '\0';
	r->ratio = NAN;
	if (base_fmt) {
		va_list ap;
		va_start(ap, base_fmt);
		vsnprintf(r->base, sizeof(r->base), base_fmt, ap);
		va_end(ap);
		if (base_val > 0)
			r->ratio = val / base_val;
	}
}

static __attribute__((unused)) void print_table(void)
{
	static const char dash[] = "------------------------------------------------------------";
	printf("\n%-40s | %10s | %-9s | %-34s | %s\n", "figure", "value", "unit",
	       "baseline compared with", "ratio");
	printf("%.41s+%.12s+%.11s+%.36s+%.7s\n", dash, dash, dash, dash, dash);
	for (int i = 0; i < g_nrows; i++) {
		const struct row *r = &g_rows[i];
		char ratio[16] = "-";
		if (!isnan(r->ratio))
			snprintf(ratio, sizeof(ratio), "%.2fx", r->ratio);
		printf("%-40s | %10.*f | %-9s | %-34s | %s\n", r->fig,
		       strcmp(r->unit, "ns") == 0 ? 0 : 2, r->val, r->unit,
		       r->base[0] ? r->base : "-", ratio);
	}
}

/* A count like 1500000, 1500k or 1.5M (> 0) into *out: 0, or -1. */
static __attribute__((unused)) int parse_count(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v > 0))
		return -1;
	if (*end == 'k' || *end == 'K')
		v *= 1e3, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1e6, end++;
	if (*end || v < 1 || v > 1e18)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* The word a goal line ends with. */
static __attribute__((unused)) const char *met(int ok)
{
	return ok ? "MET" : "NOT MET";
}

#endif /* DM_BENCH_TABLE_H */
