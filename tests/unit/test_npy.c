/*
 * test_npy.c — tools/lib/npy.h: the header it writes read byte by byte
 * against the .npy format's rules (magic, version 1.0, little-endian
 * length, a dict padded to a 64-byte boundary, '\n' last), headers numpy
 * writes in other forms parsed (versions 2.0 and 3.0, double quotes, key
 * order, Python 2's 12L), the refusals (another dtype, Fortran order, not
 * two dimensions, cut short, not a .npy), and the reader on files this
 * test writes itself.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcore/types.h"
#include "tools/lib/npy.h"

static char t_dir[64];

static void setup(void)
{
	strcpy(t_dir, "/tmp/dmnpy-XXXXXX");
	cr_assert_not_null(mkdtemp(t_dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(npy, .init = setup, .fini = teardown);

/* A v1.0 header around dict (padded as the format asks). */
static size_t t_v1(unsigned char *buf, const char *dict)
{
	size_t n = strlen(dict), total = (10 + n + 1 + 63) / 64 * 64, hl = total - 10;

	memcpy(buf, "\x93NUMPY\x01\x00", 8);
	buf[8] = (unsigned char)(hl & 0xff);
	buf[9] = (unsigned char)(hl >> 8);
	memset(buf + 10, ' ', hl);
	memcpy(buf + 10, dict, n);
	buf[total - 1] = '\n';
	return total;
}

Test(npy, header_follows_the_format)
{
	char h[NPY_HEADER_LEN];

	npy_header(h, 1766765, 29);
	cr_assert_eq(memcmp(h, "\x93NUMPY", 6), 0);
	cr_assert_eq(h[6], 1);
	cr_assert_eq(h[7], 0);
	size_t hl = (size_t)(unsigned char)h[8] | (size_t)(unsigned char)h[9] << 8;
	cr_assert_eq(10 + hl, NPY_HEADER_LEN);
	cr_assert_eq((10 + hl) % 64, 0);
	cr_assert_eq(h[NPY_HEADER_LEN - 1], '\n');
	const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1766765, 29), }";
	cr_assert_eq(memcmp(h + 10, dict, strlen(dict)), 0, "%.*s", (int)hl, h + 10);
	for (size_t i = 10 + strlen(dict); i < NPY_HEADER_LEN - 1; i++)
		cr_assert_eq(h[i], ' ', "byte %zu", i);

	/* the largest shape still fits */
	npy_header(h, UINT64_MAX, UINT32_MAX);
	cr_assert_eq(h[NPY_HEADER_LEN - 1], '\n');
	cr_assert(memmem(h, NPY_HEADER_LEN, "(18446744073709551615, 4294967295), }", 37));

	struct npy_shape sh;
	char err[256];
	npy_header(h, 12, 3);
	cr_assert_eq(npy_parse_header(h, sizeof(h), &sh, err, sizeof(err)), 0, "%s", err);
	cr_assert(sh.rows == 12 && sh.cols == 3 && sh.data_off == NPY_HEADER_LEN);
}

Test(npy, headers_in_other_forms)
{
	unsigned char b[512];
	struct npy_shape sh;
	char err[256];
	size_t n;

	n = t_v1(b, "{\"shape\": (5, 7), \"fortran_order\": False, \"descr\": \"<f8\"}");
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), 0, "%s", err);
	cr_assert(sh.rows == 5 && sh.cols == 7 && sh.data_off == n);
	n = t_v1(b, "{'descr':'<f8','fortran_order':False,'shape':(3L, 2L)}");
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), 0, "%s", err);
	cr_assert(sh.rows == 3 && sh.cols == 2);
	n = t_v1(b, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4), }");
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), 0, "%s", err);
	cr_assert(sh.rows == 0 && sh.cols == 4);

	/* version 2.0: a 4-byte length */
	const char *d = "{'descr': '<f8', 'fortran_order': False, 'shape': (9, 1), }";
	size_t dl = strlen(d), total = (12 + dl + 1 + 63) / 64 * 64, hl = total - 12;
	memcpy(b, "\x93NUMPY\x02\x00", 8);
	b[8] = (unsigned char)hl;
	b[9] = (unsigned char)(hl >> 8);
	b[10] = b[11] = 0;
	memset(b + 12, ' ', hl);
	memcpy(b + 12, d, dl);
	b[total - 1] = '\n';
	cr_assert_eq(npy_parse_header(b, total, &sh, err, sizeof(err)), 0, "%s", err);
	cr_assert(sh.rows == 9 && sh.cols == 1 && sh.data_off == total);
	b[6] = 3;
	cr_assert_eq(npy_parse_header(b, total, &sh, err, sizeof(err)), 0, "%s", err);
}

Test(npy, refusals_say_why)
{
	unsigned char b[512];
	struct npy_shape sh;
	char err[256];
	size_t n;

	n = t_v1(b, "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 7), }");
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "'<f4'"), "%s", err);
	n = t_v1(b, "{'descr': '>f8', 'fortran_order': False, 'shape': (5, 7), }");
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "'>f8'"), "%s", err);
	n = t_v1(b, "{'descr': '<f8', 'fortran_order': True, 'shape': (5, 7), }");
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "Fortran"), "%s", err);
	n = t_v1(b, "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }");
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "1 dimension"), "%s", err);
	n = t_v1(b, "{'descr': '<f8', 'fortran_order': False, 'shape': (5, 7, 2), }");
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "3 dimensions"), "%s", err);
	n = t_v1(b, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (5,), }");
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "structured"), "%s", err);
	n = t_v1(b, "{'descr': '<f8', 'shape': (5, 7), }");
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "fortran_order"), "%s", err);
	n = t_v1(b, "{'descr': '<f8', 'fortran_order': False, 'shape': (5, 7), }");
	cr_assert_eq(npy_parse_header(b, n - 1, &sh, err, sizeof(err)), -ENODATA);
	b[6] = 4;
	cr_assert_eq(npy_parse_header(b, n, &sh, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "version 4.0"), "%s", err);
	cr_assert_eq(npy_parse_header("t_ns,mid\n", 9, &sh, err, sizeof(err)), -DM_EMAGIC);
	cr_assert_eq(npy_parse_header("\x93NUM", 4, &sh, err, sizeof(err)), -ENODATA);
}

/* path (header + rows x cols doubles 1000 r + c) and, unless NULL, its
 * column file with names (one per line). */
static void t_write(const char *path, uint64_t rows, uint32_t cols, const char *names)
{
	char h[NPY_HEADER_LEN], cpath[256];
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	npy_header(h, rows, cols);
	fwrite(h, 1, sizeof(h), f);
	for (uint64_t r = 0; r < rows; r++)
		for (uint32_t c = 0; c < cols; c++) {
			double v = 1000.0 * (double)r + c + 0.25;
			fwrite(&v, sizeof(v), 1, f);
		}
	fclose(f);
	if (names) {
		snprintf(cpath, sizeof(cpath), "%s.columns", path);
		f = fopen(cpath, "w");
		cr_assert_not_null(f);
		fputs(names, f);
		fclose(f);
	}
}

Test(npy, reader_rows_and_names)
{
	char path[128], err[512];
	struct npy_reader r;
	double row[3];

	snprintf(path, sizeof(path), "%s/a.npy", t_dir);
	t_write(path, 4, 3, "t_sec\r\nt_nsec\nmid\n");
	cr_assert_eq(npy_sniff(path), 1);
	cr_assert_eq(npy_open(&r, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.sh.rows, 4);
	cr_assert_str_eq(r.names[0], "t_sec");
	cr_assert_str_eq(r.names[1], "t_nsec");
	cr_assert_str_eq(r.names[2], "mid");
	cr_assert_eq(npy_col(&r, "mid"), 2);
	cr_assert_eq(npy_col(&r, "nope"), -1);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(npy_next(&r, row), 1);
		for (int c = 0; c < 3; c++)
			cr_assert_eq(row[c], 1000.0 * i + c + 0.25);
	}
	cr_assert_eq(npy_next(&r, row), 0);
	npy_close(&r);

	/* wrong name count, no column file, cut short, not a .npy */
	t_write(path, 4, 3, "t_sec\nt_nsec\n");
	cr_assert_eq(npy_open(&r, path, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "2 column names") && strstr(err, "3 columns"), "%s", err);
	snprintf(path, sizeof(path), "%s/b.npy", t_dir);
	t_write(path, 4, 3, NULL);
	cr_assert_eq(npy_open(&r, path, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "b.npy.columns"), "%s", err);
	t_write(path, 4, 3, "a\nb\nc");
	cr_assert_eq(truncate(path, NPY_HEADER_LEN + 3 * 3 * 8 + 5), 0);
	cr_assert_eq(npy_open(&r, path, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "cut short"), "%s", err);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("t_ns,mid\n1,2\n", f);
	fclose(f);
	cr_assert_eq(npy_sniff(path), 0);
	cr_assert_eq(npy_open(&r, path, err, sizeof(err)), -DM_EMAGIC);
	snprintf(path, sizeof(path), "%s/none.npy", t_dir);
	cr_assert_eq(npy_sniff(path), -ENOENT);
	/* a FIFO is not opened (no writer: that would block; with one, the
	 * bytes read would be lost to the CSV reader) */
	snprintf(path, sizeof(path), "%s/fifo", t_dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(npy_sniff(path), 0);
}
