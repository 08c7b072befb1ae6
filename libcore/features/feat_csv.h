/*
 * feat_csv.h — the CSV form of feature vectors (specs/features.md,
 * "Output"): a header "t_ns," and the 27 names in order, then one row per
 * book update.
 *
 * Numbers.  t_ns is an integer.  A feature value is fmt_double's text
 * (libcore/fmt/fmt.h): the shortest decimal that reads back (strtod) to
 * the same double, in printf's "%.17g" notation: "0", "-0", "130000",
 * "-2.5", "0.7337662337662337", "0.0001", "1e-05", "1.5e+17"; "nan" for
 * NaN, "inf" / "-inf".  A reader gets the engine's doubles bit for bit,
 * so a CSV and a .npy of the same run give the same results downstream.
 *
 * Pure functions on caller buffers; no allocation; any thread.
 */
#ifndef DM_LIBCORE_FEATURES_FEAT_CSV_H
#define DM_LIBCORE_FEATURES_FEAT_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/features/features.h"
#include "libcore/fmt/fmt.h"

#define FEAT_CSV_NUM_MAX FMT_DOUBLE_MAX   /* longest number: "-2.2250738585072014e-308" */
#define FEAT_CSV_ROW_MAX (21u + FEAT_N * (FEAT_CSV_NUM_MAX + 1u) + 2u)

/* "t_ns,mid,...,fracdiff\n" into buf (cap bytes, NUL-terminated when it
 * fits); returns its length without the NUL, or 0 if cap is too small. */
size_t feat_csv_header(char *buf, size_t cap);

/* One row "t_ns,v0,...,v26\n" into buf, which must hold FEAT_CSV_ROW_MAX
 * bytes; returns the length (no NUL written). */
size_t feat_csv_row(char *buf, int64_t t_ns, const double v[FEAT_N]);

/*
 * The previous row's texts, column by column (fmt_double_row): a value
 * whose bits equal the one above it is copied, not formatted again (about
 * half of them on market data, where the mid, the spread and the windows
 * often stay put from one update to the next).  Caller-owned, about 1 KB;
 * one per thread.
 */
struct feat_csv_memo {
	struct fmt_memo col[FEAT_N];
};

/* Forget every kept text (before the first row, or to start afresh). */
void feat_csv_memo_init(struct feat_csv_memo *m);

/* feat_csv_row's bytes, exactly, through m. */
size_t feat_csv_row_memo(char *buf, int64_t t_ns, const double v[FEAT_N],
			 struct feat_csv_memo *m);

/* One value as described above at p (room for FEAT_CSV_NUM_MAX bytes);
 * returns the end.  No NUL. */
static inline char *feat_csv_double(char *p, double v)
{
	return fmt_double(p, v);
}

#endif /* DM_LIBCORE_FEATURES_FEAT_CSV_H */
