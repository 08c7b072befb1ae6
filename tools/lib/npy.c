/*
 * npy.c — .npy float64 matrices and their column files (npy.h).
 */
#include "tools/lib/npy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libcore/types.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       ".npy '<f8' data is the host's doubles as they are");

#define PREFIX_V1 10u           /* magic, version, 2-byte length */
#define PREFIX_V2 12u           /* magic, version, 4-byte length */
#define READ_BUF  (1u << 20)
#define NPY_COLS_MAX (1u << 20) /* more columns than any feature set */

void npy_header(char buf[NPY_HEADER_LEN], uint64_t rows, uint32_t cols)
{
	char dict[NPY_HEADER_LEN];
	int n = snprintf(dict, sizeof(dict), "{'descr': '<f8', 'fortran_order': False, "
			 "'shape': (%" PRIu64 ", %" PRIu32 "), }", rows, cols);
	size_t hl = NPY_HEADER_LEN - PREFIX_V1;

	memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
	buf[6] = 1;
	buf[7] = 0;
	buf[8] = (char)(hl & 0xff);
	buf[9] = (char)(hl >> 8);
	memset(buf + PREFIX_V1, ' ', hl);
	memcpy(buf + PREFIX_V1, dict, (size_t)n);     /* at most 86 bytes of 118 */
	buf[NPY_HEADER_LEN - 1] = '\n';
}

int npy_columns_path(char *buf, size_t len, const char *path)
{
	int n = snprintf(buf, len, "%s%s", path, NPY_COLUMNS_EXT);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int npy_sniff(const char *path)
{
	unsigned char b[NPY_MAGIC_LEN];
	struct stat st;
	FILE *f;
	size_t n;

	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))      /* a pipe's bytes read here would be lost */
		return 0;
	if (!(f = fopen(path, "rb")))
		return -errno;
	n = fread(b, 1, sizeof(b), f);
	fclose(f);
	return n == sizeof(b) && memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) == 0;
}

/* ------------------------------------------------------------ the header dict */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int eat(struct scan *s, char c)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return 1;
	}
	return 0;
}

/* A quoted string ('...' or "...") into out (cap bytes): 0 or -1. */
static int string(struct scan *s, char *out, size_t cap)
{
	size_t n = 0;

	skip_ws(s);
	if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
		return -1;
	char q = *s->p++;
	while (s->p < s->end && *s->p != q) {
		if (n + 1 < cap)
			out[n++] = *s->p;
		s->p++;
	}
	if (s->p >= s->end)
		return -1;
	s->p++;
	out[n] = '\0';
	return 0;
}

static int word(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	skip_ws(s);
	if ((size_t)(s->end - s->p) >= n && memcmp(s->p, w, n) == 0) {
		s->p += n;
		return 1;
	}
	return 0;
}

/* (a, b, ...) into dims (at most 8): the count, or -1. */
static int tuple(struct scan *s, uint64_t *dims)
{
	int n = 0;

	if (!eat(s, '('))
		return -1;
	for (;;) {
		if (eat(s, ')'))
			return n;
		skip_ws(s);
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return -1;
		uint64_t v = 0;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			if (v > (UINT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (uint64_t)(*s->p++ - '0');
		}
		if (s->p < s->end && *s->p == 'L')    /* written by Python 2 */
			s->p++;
		if (n == 8)
			return -1;
		dims[n++] = v;
		if (!eat(s, ',')) {
			if (!eat(s, ')'))
				return -1;
			return n;
		}
	}
}

int npy_parse_header(const void *buf, size_t len, struct npy_shape *sh, char *err,
		     size_t errlen)
{
	const unsigned char *b = buf;
	size_t off, hl;

	if (memcmp(b, NPY_MAGIC, len < NPY_MAGIC_LEN ? len : NPY_MAGIC_LEN) != 0)
		return fail(err, errlen, -DM_EMAGIC, "not a .npy file (no \\x93NUMPY magic)");
	if (len < PREFIX_V1)
		return fail(err, errlen, -ENODATA, "cut short in the .npy header");
	if (b[6] == 1) {
		hl = (size_t)b[8] | (size_t)b[9] << 8;
		off = PREFIX_V1;
	} else if (b[6] == 2 || b[6] == 3) {
		if (len < PREFIX_V2)
			return fail(err, errlen, -ENODATA, "cut short in the .npy header");
		hl = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
		off = PREFIX_V2;
	} else {
		return fail(err, errlen, -EINVAL, ".npy format version %u.%u (1.0, 2.0 and 3.0 "
			    "are read)", b[6], b[7]);
	}
	if (off + hl > len)
		return fail(err, errlen, -ENODATA, "cut short in the .npy header (%zu bytes)",
			    off + hl);
	if (off + hl > UINT32_MAX)
		return fail(err, errlen, -EINVAL, ".npy header of %zu bytes", hl);

	struct scan s = { (const char *)b + off, (const char *)b + off + hl };
	char key[32], descr[32];
	int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0, nd = 0;
	uint64_t dims[8];

	if (!eat(&s, '{'))
		return fail(err, errlen, -EINVAL, ".npy header is not a dict");
	while (!eat(&s, '}')) {
		if (string(&s, key, sizeof(key)) || !eat(&s, ':'))
			return fail(err, errlen, -EINVAL, "malformed .npy header dict");
		if (!strcmp(key, "descr")) {
			if (string(&s, descr, sizeof(descr)))
				return fail(err, errlen, -EINVAL, ".npy descr is not a plain dtype "
					    "(a structured array?): a float64 matrix is read");
			have_descr = 1;
		} else if (!strcmp(key, "fortran_order")) {
			if (word(&s, "True"))
				fortran = 1;
			else if (!word(&s, "False"))
				return fail(err, errlen, -EINVAL, "malformed fortran_order in the "
					    ".npy header");
			have_order = 1;
		} else if (!strcmp(key, "shape")) {
			if ((nd = tuple(&s, dims)) < 0)
				return fail(err, errlen, -EINVAL, "malformed shape in the .npy header");
			have_shape = 1;
		} else {
			return fail(err, errlen, -EINVAL, "unknown key '%s' in the .npy header", key);
		}
		if (!eat(&s, ',') && !eat(&s, '}'))
			return fail(err, errlen, -EINVAL, "malformed .npy header dict");
		else if (s.p[-1] == '}')
			break;
	}
	if (!have_descr || !have_order || !have_shape)
		return fail(err, errlen, -EINVAL, ".npy header without '%s'",
			    !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
	if (strcmp(descr, "<f8"))
		return fail(err, errlen, -EINVAL, ".npy dtype '%s', not '<f8' (little-endian "
			    "float64)", descr);
	if (fortran)
		return fail(err, errlen, -EINVAL, ".npy array in Fortran order: C order (row "
			    "after row) is read");
	if (nd != 2)
		return fail(err, errlen, -EINVAL, ".npy array of %d dimension%s: a matrix (rows, "
			    "columns) is read", nd, nd == 1 ? "" : "s");
	if (dims[1] == 0 || dims[1] > NPY_COLS_MAX || (dims[0] && dims[1] > UINT64_MAX / 8 / dims[0]))
		return fail(err, errlen, -EINVAL, ".npy shape (%" PRIu64 ", %" PRIu64 ") cannot be "
			    "read", dims[0], dims[1]);
	sh->rows = dims[0];
	sh->cols = (uint32_t)dims[1];
	sh->data_off = (uint32_t)(off + hl);
	return 0;
}

/* ------------------------------------------------------------ the reader */

/* path.columns: one name per line, exactly cols of them. */
static int read_columns(struct npy_reader *r, const char *path, char *err, size_t errlen)
{
	char cpath[4096];
	FILE *f;
	long sz;
	int rc = 0;

	if (npy_columns_path(cpath, sizeof(cpath), path))
		return fail(err, errlen, -ENAMETOOLONG, "%s: path too long", path);
	f = fopen(cpath, "rb");
	if (!f)
		return fail(err, errlen, -errno, "%s: cannot open the column names of %s: %s "
			    "(one name per line beside the .npy, as dm-features writes them)",
			    cpath, path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		rc = fail(err, errlen, -EIO, "%s: cannot read: %s", cpath, strerror(errno));
		goto close;
	}
	r->names_buf = malloc((size_t)sz + 1);
	r->names = calloc(r->sh.cols, sizeof(char *));
	if (!r->names_buf || !r->names) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto close;
	}
	if (fread(r->names_buf, 1, (size_t)sz, f) != (size_t)sz) {
		rc = fail(err, errlen, -EIO, "%s: read error", cpath);
		goto close;
	}
	r->names_buf[sz] = '\0';
	uint64_t n = 0, line = 0;
	for (char *p = r->names_buf; *p;) {
		char *nl = strchr(p, '\n'), *e;

		line++;
		if (nl)
			*nl = '\0';
		e = p + strlen(p);
		if (e > p && e[-1] == '\r')
			*--e = '\0';
		if (e == p) {
			rc = fail(err, errlen, -EINVAL, "%s:%" PRIu64 ": empty column name", cpath,
				  line);
			goto close;
		}
		if (n < r->sh.cols)
			r->names[n] = p;
		n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	if (n != r->sh.cols)
		rc = fail(err, errlen, -EINVAL, "%s: %" PRIu64 " column names, %s has %" PRIu32
			  " columns", cpath, n, path, r->sh.cols);
close:
	fclose(f);
	return rc;
}

int npy_open(struct npy_reader *r, const char *path, char *err, size_t errlen)
{
	unsigned char head[4096];
	char why[256];
	struct stat st;
	size_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	r->f = fopen(path, "rb");
	if (!r->f)
		return fail(err, errlen, -errno, "%s: cannot open: %s", path, strerror(errno));
	n = fread(head, 1, sizeof(head), r->f);
	if ((rc = npy_parse_header(head, n, &r->sh, why, sizeof(why)))) {
		fail(err, errlen, rc, "%s: %s", path, why);
		goto fail;
	}
	if (fstat(fileno(r->f), &st)) {
		rc = fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	uint64_t want = r->sh.data_off + r->sh.rows * r->sh.cols * 8u;
	if ((uint64_t)st.st_size != want) {
		rc = fail(err, errlen, -EINVAL, "%s: %" PRIu64 " bytes, its header's (%" PRIu64
			  ", %" PRIu32 ") float64 matrix makes %" PRIu64 " (cut short, or not "
			  "written to the end)", path, (uint64_t)st.st_size, r->sh.rows,
			  r->sh.cols, want);
		goto fail;
	}
	if (fseek(r->f, r->sh.data_off, SEEK_SET)) {
		rc = fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	setvbuf(r->f, NULL, _IOFBF, READ_BUF);
	if ((rc = read_columns(r, path, err, errlen)))
		goto fail;
	return 0;
fail:
	npy_close(r);
	return rc;
}

int npy_next(struct npy_reader *r, double *row)
{
	if (r->row == r->sh.rows)
		return 0;
	if (fread(row, sizeof(double), r->sh.cols, r->f) != r->sh.cols)
		return -EIO;
	r->row++;
	return 1;
}

int npy_col(const struct npy_reader *r, const char *name)
{
	for (uint32_t i = 0; i < r->sh.cols; i++)
		if (!strcmp(r->names[i], name))
			return (int)i;
	return -1;
}

void npy_close(struct npy_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->names);
	free(r->names_buf);
	memset(r, 0, sizeof(*r));
}
