/*
 * feat_csv.h — the CSV form of feature vectors (specs/features.md,
 * "Output"): a header "t_ns," and the 27 names in order, then one row per
 * book update, numbers with at least 12 significant digits.
 *
 * Numbers.  t_ns is an integer.  A feature value is written as
 *   - "0" for zero (negative zero included), "nan" for NaN, "inf"/"-inf";
 *   - an integer ("130000", "-12") when it is a whole number below 1e15;
 *   - else 15 significant digits, trailing zeros cut, in fixed notation
 *     when the decimal exponent is in [-4, 15) ("0.000123456789012345",
 *     "-2.5") and as d.ddde[+-]XX otherwise ("1.5e-07"), like printf's
 *     "%.15g".  The digits come from a scaled integer, not printf: the
 *     15th digit may differ from printf's by one unit, so a value reads
 *     back within 1e-14 relative (at least 14 correct digits).
 * That is 5-10x faster than snprintf, which matters at millions of rows.
 *
 * Pure functions on caller buffers; no allocation; any thread.
 */
#ifndef DM_LIBCORE_FEATURES_FEAT_CSV_H
#define DM_LIBCORE_FEATURES_FEAT_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/features/features.h"

#define FEAT_CSV_NUM_MAX 24u   /* longest number: "-1.23456789012345e-308" */
#define FEAT_CSV_ROW_MAX (21u + FEAT_N * (FEAT_CSV_NUM_MAX + 1u) + 2u)

/* "t_ns,mid,...,fracdiff\n" into buf (cap bytes, NUL-terminated when it
 * fits); returns its length without the NUL, or 0 if cap is too small. */
size_t feat_csv_header(char *buf, size_t cap);

/* One row "t_ns,v0,...,v26\n" into buf, which must hold FEAT_CSV_ROW_MAX
 * bytes; returns the length (no NUL written). */
size_t feat_csv_row(char *buf, int64_t t_ns, const double v[FEAT_N]);

/* One value as described above at p (room for FEAT_CSV_NUM_MAX bytes);
 * returns the end.  No NUL. */
char *feat_csv_double(char *p, double v);

#endif /* DM_LIBCORE_FEATURES_FEAT_CSV_H */
