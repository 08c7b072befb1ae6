/*
 * npy.h — NumPy .npy files of one float64 matrix, written and read
 * without numpy (the format of numpy.lib.format, version 1.0).
 *
 * A file is: the magic "\x93NUMPY", the version bytes 1 and 0, the
 * header's length as 2 bytes little-endian, the header: a Python dict
 * literal
 *     {'descr': '<f8', 'fortran_order': False, 'shape': (ROWS, COLS), }
 * padded with spaces and ended by '\n' so that the data begins at a
 * multiple of 64 bytes; then ROWS x COLS doubles, little-endian, row
 * after row (C order).  numpy.load reads it as a (ROWS, COLS) float64
 * array; pandas.DataFrame(numpy.load(PATH), columns=NAMES) as a frame.
 * The header written here is NPY_HEADER_LEN bytes for any shape, so a
 * writer puts a placeholder first and the row count in place at the end.
 *
 * Column names are no part of the format: they go beside the file in
 * PATH.columns, one name per line (npy_columns_path).  dm-features
 * writes them, dm-label and dm-train read them.
 *
 * The reader takes versions 1.0, 2.0 and 3.0, dtype '<f8', C order, two
 * dimensions; anything else is refused with a message that says what the
 * file holds.  For a tool's main thread; the reader allocates (names,
 * buffer) and blocks on the file system.
 */
#ifndef DM_TOOLS_LIB_NPY_H
#define DM_TOOLS_LIB_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NPY_MAGIC       "\x93NUMPY"
#define NPY_MAGIC_LEN   6u
#define NPY_HEADER_LEN  128u       /* the header npy_header writes, data at 128 */
#define NPY_COLUMNS_EXT ".columns"

/* The NPY_HEADER_LEN bytes of a rows x cols float64 C-order matrix's
 * header into buf.  Pure. */
void npy_header(char buf[NPY_HEADER_LEN], uint64_t rows, uint32_t cols);

/* PATH.columns into buf (len bytes): 0 or -ENAMETOOLONG. */
int npy_columns_path(char *buf, size_t len, const char *path);

/* Is path a regular file that starts with the .npy magic?  1 yes, 0 no
 * (shorter, other bytes, or not a regular file: a FIFO is not read from,
 * its bytes would be lost to its reader), -errno when it cannot be read. */
int npy_sniff(const char *path);

struct npy_shape {
	uint64_t rows;
	uint32_t cols;
	uint32_t data_off;          /* where the matrix begins */
};

/*
 * The header at the start of buf (len bytes read from the file's start).
 * 0 and *sh; -DM_EMAGIC not a .npy file; -EINVAL a .npy this reader does
 * not take or a malformed header (err says which, e.g. "dtype '<f4', not
 * '<f8' (float64)"); -ENODATA when len holds less than the header.
 * Pure.
 */
int npy_parse_header(const void *buf, size_t len, struct npy_shape *sh, char *err,
		     size_t errlen);

/* A .npy matrix and its column names, read row by row. */
struct npy_reader {
	FILE *f;
	struct npy_shape sh;
	uint64_t row;               /* rows read so far */
	char **names;               /* sh.cols names, from PATH.columns */
	char *names_buf;
};

/*
 * Open path and path.columns: the header checked, the file's size equal
 * to the header's shape, one name per column.  0, or -errno / -DM_EMAGIC
 * / -EINVAL with err naming the file and the fault.  On failure nothing
 * stays open.
 */
int npy_open(struct npy_reader *r, const char *path, char *err, size_t errlen);

/* The next row (sh.cols doubles) into row: 1, 0 after the last, -EIO on
 * a read error (or a file cut short since it was opened). */
int npy_next(struct npy_reader *r, double *row);

/* Index of the column named name, or -1. */
int npy_col(const struct npy_reader *r, const char *name);

void npy_close(struct npy_reader *r);

#endif /* DM_TOOLS_LIB_NPY_H */
