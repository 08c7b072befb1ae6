/*
 * fmt.h — numbers as text without printf: integers, and doubles as the
 * shortest decimal that reads back (strtod) to the same double.
 *
 * Doubles.  fmt_double writes the fewest significant digits d1 d2 ... dn
 * (n <= 17) whose value d1.d2...dn x 10^E rounds to v under
 * round-to-nearest-even, and of those the one nearest v (an exact tie
 * goes to the even last digit).  So strtod(text) == v bit for bit, for
 * every finite v, -0 included.  The notation is printf's "%.17g" with
 * those digits (trailing zeros never written):
 *   - fixed when -4 <= E < 17: "130000", "-2.5", "0.000123", "0.1",
 *     "12345678901234568" (an integer that large is written as its
 *     shortest digits padded with zeros, like %.17g: 2^56 is
 *     "72057594037927940", which reads back as 2^56);
 *   - else d.ddd e[+-]XX with at least two exponent digits: "1e-05",
 *     "1.7976931348623157e+308", "5e-324";
 *   - "0" and "-0", "nan" for any NaN (sign and payload not written),
 *     "inf", "-inf".
 * The text is never longer than "%.17g"'s, and at most FMT_DOUBLE_MAX
 * bytes ("-2.2250738585072014e-308").
 *
 * Method: Schubfach (R. Giulietti, "The Schubfach way to render doubles",
 * 2020).  v = c x 2^q; with k chosen so that v's rounding interval R (the
 * reals that round to v) is between 1 and 10 units of 10^k wide, the
 * candidates are the multiples of 10^(k+1) and of 10^k around v; the
 * interval's ends and v, scaled by 10^-k, come from one 64 x 128-bit
 * product each with a 128-bit 10^-k from a table, rounded to odd so that
 * comparing them with candidates is exact.  Where the 128-bit power is
 * inexact and a product lands within its error of an integer, an exact
 * multi-precision comparison decides (rare: some round numbers above 7e16
 * such as 1e20; never between 7e-40 and 7e16, where the powers are exact).
 *
 * Pure functions on caller buffers: no allocation, no locale, no system
 * call; any thread.  Hot-path safe.
 */
#ifndef DM_LIBCORE_FMT_FMT_H
#define DM_LIBCORE_FMT_FMT_H

#include <stdint.h>

#define FMT_DOUBLE_MAX 24u   /* "-2.2250738585072014e-308" */
#define FMT_I64_MAX    20u   /* "-9223372036854775808" */

/*
 * The shortest decimal of a finite v != 0: |v| is read back from
 * *digits x 10^*exp10 (digits without trailing zeros, 1 .. 10^17 - 1).
 * Returns the number of digits (1..17), or 0 for 0, -0, NaN and
 * infinities (*digits and *exp10 untouched).
 */
int fmt_double_shortest(double v, uint64_t *digits, int *exp10);

/* v as described above at p (room for FMT_DOUBLE_MAX bytes); returns the
 * end.  No NUL. */
char *fmt_double(char *p, double v);

/*
 * One column's last value and its text, for fmt_double_row: caller-owned,
 * set by fmt_memo_init before the first row (or to start afresh).
 */
struct fmt_memo {
	uint64_t bits;                 /* the value's bits */
	uint8_t len;                   /* the text's length */
	char text[FMT_DOUBLE_MAX];
};

/* m[0..n-1] holding +0 and its text "0": always a valid last value, so
 * fmt_double_row needs no "nothing kept" test. */
void fmt_memo_init(struct fmt_memo *m, int n);

/*
 * v[0..n-1] each preceded by sep, each as fmt_double writes it, at p;
 * returns the end (no NUL).  p must have room for n x (FMT_DOUBLE_MAX + 1)
 * bytes.  m[0..n-1] are the columns' memos: a value whose bits equal
 * m[i]'s is copied from it instead of formatted again (rows of market
 * features repeat about half their values), and m[i] is left holding
 * v[i].  The bytes are fmt_double's whatever m holds.  Where the CPU has
 * AVX2 the values to format are converted four at a time (fmt.c, "Rows,
 * four at a time"); same bytes.  Pure; any thread (one m per thread).
 */
char *fmt_double_row(char *p, const double *v, int n, char sep, struct fmt_memo *m);

/* How fmt_double_row converts a row's new values: one at a time, four in
 * AVX2 lanes, eight in AVX-512 lanes (AVX512F, BW and DQ); the bytes are
 * the same on every path.  fmt_double_row takes fmt_row_path_best(), the
 * widest the CPU has; fmt_double_row_on takes the one given (tests and
 * benches compare them), which must be one the CPU has (fmt_row_path_ok
 * is 1): an instruction the CPU lacks would stop the process. */
enum fmt_row_path { FMT_ROW_SCALAR, FMT_ROW_AVX2, FMT_ROW_AVX512 };

int fmt_row_path_ok(enum fmt_row_path path);
enum fmt_row_path fmt_row_path_best(void);
char *fmt_double_row_on(char *p, const double *v, int n, char sep, struct fmt_memo *m,
			enum fmt_row_path path);

/* Decimal u / v at p (room for FMT_I64_MAX bytes); return the end.  No
 * NUL. */
char *fmt_u64(char *p, uint64_t u);
char *fmt_i64(char *p, int64_t v);

#endif /* DM_LIBCORE_FMT_FMT_H */
