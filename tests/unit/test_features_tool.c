/*
 * test_features_tool.c — dm-features end to end: the CSV it writes (header,
 * one row per book update, the values the engine gives for the same
 * input), the defaults it picks per format, bad input and bad usage
 * (exit codes 0/1/2 and messages naming file and line), and that a failed
 * run leaves no output file.
 *
 * The program is the dm-features of the build this test belongs to:
 * <dir of this test>/../bin/dm-features.  Files live in a mkdtemp()
 * directory under /tmp that the fixture removes.  Tests run from the repo
 * root (the LOBSTER sample is tests/data/...).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/features/feat_csv.h"
#include "libcore/features/features.h"
#include "libcore/feed/feed.h"

#define T_LOBSTER_DIR "tests/data/lobster-aapl-20120621-excerpt/"
#define T_LOBSTER_MSG T_LOBSTER_DIR "AAPL_2012-06-21_34200000_57600000_message_10.csv"
#define T_LOBSTER_OB  T_LOBSTER_DIR "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"

static char t_dir[64], t_tool[PATH_MAX + 32];

static void setup(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	cr_assert(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(t_tool, sizeof(t_tool), "%s/../bin/dm-features", self);
	cr_assert_eq(access(t_tool, X_OK), 0, "%s missing: run 'make all' first", t_tool);
	strcpy(t_dir, "/tmp/dmfeattool-XXXXXX");
	cr_assert_not_null(mkdtemp(t_dir));
}

static void teardown(void)
{
	DIR *d = opendir(t_dir);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", t_dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(t_dir);
}

TestSuite(features_tool, .init = setup, .fini = teardown, .timeout = 60);

static const char *t_path(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", t_dir, name);
	return buf[k];
}

static rlim_t t_fsize;    /* RLIMIT_FSIZE of the next runs, 0 = none */

/* Run dm-features with args (NULL-terminated); stderr into *err (malloc'd).
 * Returns the exit status. */
static int t_run(char **err, ...)
{
	char *argv[32], errf[300];
	va_list ap;
	int n = 0, st;
	pid_t pid;

	argv[n++] = t_tool;
	va_start(ap, err);
	while ((argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	snprintf(errf, sizeof(errf), "%s/stderr.txt", t_dir);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (!freopen(errf, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(126);
		if (t_fsize) {             /* a disk that fills: writes past it fail */
			struct rlimit rl = { t_fsize, t_fsize };
			signal(SIGXFSZ, SIG_IGN);
			if (setrlimit(RLIMIT_FSIZE, &rl))
				_exit(126);
		}
		execv(t_tool, argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	FILE *f = fopen(errf, "r");
	cr_assert_not_null(f);
	*err = calloc(1, 65536);
	cr_assert_not_null(*err);
	size_t k = fread(*err, 1, 65535, f);
	(*err)[k] = '\0';
	fclose(f);
	unlink(errf);
	cr_assert(WIFEXITED(st), "dm-features died: %s", *err);
	return WEXITSTATUS(st);
}

static char *t_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *b;
	long n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	cr_assert_not_null(b);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void t_copy_lines(const char *from, const char *to, int bad_line, const char *bad)
{
	FILE *a = fopen(from, "r"), *b = fopen(to, "w");
	char line[4096];
	int n = 0;

	cr_assert(a && b);
	while (fgets(line, sizeof(line), a)) {
		n++;
		fputs(bad && n == bad_line ? bad : line, b);
	}
	fclose(a);
	fclose(b);
}

/* ------------------------------------------------------------ tests */

Test(features_tool, help_and_usage_errors)
{
	char *err;

	cr_assert_eq(t_run(&err, "--help", NULL), 0);
	free(err);
	cr_assert_eq(t_run(&err, NULL), 2);
	cr_assert(strstr(err, "--input FILE is required"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", "x", NULL), 2);
	cr_assert(strstr(err, "--output OUT.csv is required"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", "x", "--output", "y", "--levels", "21", NULL), 2);
	cr_assert(strstr(err, "--levels '21'"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", "x", "--output", "y", "--tick", "-5", NULL), 2);
	cr_assert(strstr(err, "--tick '-5'"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", "x", "--output", "y", "--format", "csv", NULL), 2);
	cr_assert(strstr(err, "--format 'csv'"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--bogus", NULL), 2);
	cr_assert(strstr(err, "unknown option '--bogus'"), "%s", err);
	free(err);
}

Test(features_tool, missing_or_unknown_input_is_exit_2_naming_the_file)
{
	char *err;
	const char *junk = t_path("junk.txt");
	FILE *f = fopen(junk, "w");

	cr_assert_not_null(f);
	fputs("hello\nworld\n", f);
	fclose(f);
	cr_assert_eq(t_run(&err, "--input", t_path("nope_message_10.csv"), "--output",
			   t_path("o.csv"), NULL), 2);
	cr_assert(strstr(err, "nope_message_10.csv"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", junk, "--output", t_path("o.csv"), NULL), 2);
	cr_assert(strstr(err, junk), "%s", err);
	free(err);
	cr_assert_neq(access(t_path("o.csv"), F_OK), 0, "output left behind");
}

Test(features_tool, bad_config_is_exit_2_with_its_line)
{
	char *err;
	const char *conf = t_path("c.yaml");
	FILE *f = fopen(conf, "w");

	cr_assert_not_null(f);
	fputs("features:\n  levels: 0\n", f);
	fclose(f);
	cr_assert_eq(t_run(&err, "--input", T_LOBSTER_MSG, "--output", t_path("o.csv"),
			   "-c", conf, NULL), 2);
	cr_assert(strstr(err, "c.yaml:2:3: key 'features.levels'"), "%s", err);
	free(err);
}

/* The LOBSTER sample: the header, 999 rows, and the engine's own values
 * for the same events (L 5, tick 0.01 USD, exchange clock). */
Test(features_tool, lobster_rows_are_the_engine_values)
{
	char *err, *csv, hdr[1024];
	size_t len;
	const char *out = t_path("lob.csv");

	cr_assert_eq(t_run(&err, "--input", T_LOBSTER_OB, "--output", out, NULL), 0, "%s", err);
	cr_assert(strstr(err, "rows 999"), "%s", err);
	cr_assert(strstr(err, "(lobster)"), "%s", err);
	/* the instrument in its own units; 20 levels read, the live agent's
	 * features.levels 5 summed */
	cr_assert(strstr(err, "instrument AAPL: tick 0.01, lot 1, USD, point value 1; "
			 "L 20 read, 5 summed"), "%s", err);
	free(err);
	csv = t_slurp(out, &len);
	feat_csv_header(hdr, sizeof(hdr));
	cr_assert(strncmp(csv, hdr, strlen(hdr)) == 0, "header: %.300s", csv);

	/* the engine over the same input */
	struct feed_reader r;
	struct feed_opts fo = { .levels = 5, .tick = 100 };
	struct feat_params p;
	struct event ev;
	double v[FEAT_N];
	char e[256];

	cr_assert_eq(feed_open(&r, T_LOBSTER_MSG, FEED_LOBSTER, &fo, e, sizeof(e)), 0, "%s", e);
	feat_params_default(&p);
	p.tick = 0.01;
	size_t sz = feat_memsize(&p);
	struct feat *f = aligned_alloc(64, sz);
	cr_assert_eq(feat_init(f, sz, &p), 0);
	char *line = csv + strlen(hdr);
	size_t rows = 0;
	while (feed_next(&r, &ev) == 1) {
		if (!feat_update(f, &ev, v))
			continue;
		char *end;
		long long t = strtoll(line, &end, 10);
		cr_assert_eq(t, feat_last_t_ns(f), "row %zu time", rows);
		for (int i = 0; i < FEAT_N; i++) {
			cr_assert_eq(*end, ',', "row %zu field %d", rows, i);
			double x = strtod(end + 1, &end);
			/* the shortest text that reads back: the engine's double */
			if (isnan(v[i]))
				cr_assert(isnan(x), "row %zu %s", rows, feat_names[i]);
			else
				cr_assert(memcmp(&x, &v[i], sizeof(x)) == 0,
					  "row %zu %s: csv %.17g engine %.17g", rows,
					  feat_names[i], x, v[i]);
		}
		cr_assert_eq(*end, '\n', "row %zu ends", rows);
		line = end + 1;
		rows++;
	}
	cr_assert_eq(rows, 999);
	cr_assert_eq(*line, '\0', "rows past the engine's");
	feed_close(&r);
	free(f);
	free(csv);
}

/* --levels and --tick reach the engine: spread_ticks doubles with a tick
 * half as large, and the summary names them. */
Test(features_tool, levels_and_tick_options)
{
	char *err, *csv;
	size_t len;
	const char *out = t_path("lob.csv");

	cr_assert_eq(t_run(&err, "--input", T_LOBSTER_MSG, "--output", out, "--levels", "1",
			   "--tick", "0.005", "--format", "lobster", NULL), 0, "%s", err);
	cr_assert(strstr(err, "tick 0.005"), "%s", err);
	cr_assert(strstr(err, "L 1 read, 1 summed"), "%s", err);
	free(err);
	csv = t_slurp(out, &len);
	char *row1 = strchr(csv, '\n') + 1, *p = row1;
	for (int i = 0; i <= FEAT_SPREAD_TICKS; i++)
		p = strchr(p, ',') + 1;
	/* first row: ask 585.94, bid 585.33 -> 61 ticks of 0.01 = 122 of 0.005 */
	cr_assert(strncmp(p, "122,", 4) == 0, "spread_ticks field '%.10s'", p);
	free(csv);
}

/* A bad row is skipped and counted (exit 0) or, with --strict, fatal
 * (exit 2) with file:line; either way no partial output under the name. */
Test(features_tool, bad_rows_skipped_or_strict)
{
	char *err, *csv;
	size_t len;
	const char *msg = t_path("X_2012-06-21_34200000_57600000_message_10.csv");
	const char *ob = t_path("X_2012-06-21_34200000_57600000_orderbook_10.csv");
	const char *out = t_path("bad.csv");

	t_copy_lines(T_LOBSTER_MSG, msg, 0, NULL);
	t_copy_lines(T_LOBSTER_OB, ob, 7, "5859400,200,oops\n");
	cr_assert_eq(t_run(&err, "--input", msg, "--output", out, NULL), 0, "%s", err);
	cr_assert(strstr(err, "rows 998"), "%s", err);
	cr_assert(strstr(err, "bad input rows skipped: 1"), "%s", err);
	cr_assert(strstr(err, "orderbook_10.csv:7:"), "%s", err);
	free(err);
	csv = t_slurp(out, &len);
	size_t nl = 0;
	for (size_t i = 0; i < len; i++)
		nl += csv[i] == '\n';
	cr_assert_eq(nl, 999);             /* header + 998 rows */
	free(csv);
	unlink(out);

	cr_assert_eq(t_run(&err, "--input", msg, "--output", out, "--strict", NULL), 2);
	cr_assert(strstr(err, "orderbook_10.csv:7:"), "%s", err);
	free(err);
	cr_assert_neq(access(out, F_OK), 0, "partial output left under its name");
	DIR *d = opendir(t_dir);
	struct dirent *e;
	cr_assert_not_null(d);
	while ((e = readdir(d)))
		cr_assert_null(strstr(e->d_name, ".tmp-"), "temporary %s left", e->d_name);
	closedir(d);
}

/* An unwritable output is a clear error, not a crash. */
Test(features_tool, unwritable_output)
{
	char *err;

	cr_assert_eq(t_run(&err, "--input", T_LOBSTER_MSG, "--output",
			   "/nonexistent-dir/x.csv", NULL), 2);
	cr_assert(strstr(err, "/nonexistent-dir/x.csv"), "%s", err);
	cr_assert(strstr(err, "cannot create"), "%s", err);
	free(err);
}

/* ------------------------------------------------------------ .npy */

/* The engine's rows for the LOBSTER sample (L 5, tick 0.01): t_ns and
 * the 27 values of each, n rows. */
static size_t t_engine_rows(int64_t *t, double (*v)[FEAT_N], size_t cap)
{
	struct feed_reader r;
	struct feed_opts fo = { .levels = 5, .tick = 100 };
	struct feat_params p;
	struct event ev;
	char e[256];
	size_t n = 0;

	cr_assert_eq(feed_open(&r, T_LOBSTER_MSG, FEED_LOBSTER, &fo, e, sizeof(e)), 0, "%s", e);
	feat_params_default(&p);
	p.tick = 0.01;
	size_t sz = feat_memsize(&p);
	struct feat *f = aligned_alloc(64, sz);
	cr_assert_eq(feat_init(f, sz, &p), 0);
	while (feed_next(&r, &ev) == 1 && n < cap)
		if (feat_update(f, &ev, v[n]))
			t[n++] = feat_last_t_ns(f);
	feed_close(&r);
	free(f);
	return n;
}

/* A python3 that imports numpy, or NULL. */
static const char *t_numpy_python(void)
{
	static const char *const cand[] = { "python3", "/usr/bin/python3" };
	char cmd[128];

	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s -c 'import numpy' >/dev/null 2>&1", cand[i]);
		if (system(cmd) == 0)
			return cand[i];
	}
	return NULL;
}

/* --output X.npy: the header read by the format's rules (magic, version
 * 1.0, little-endian length, dict, 64-byte alignment), the shape, the
 * data (t_sec x 10^9 + t_nsec = t_ns, then the engine's 27 doubles bit
 * for bit), the names in X.npy.columns; and numpy (when python3 has it)
 * loads the same matrix. */
Test(features_tool, npy_output_is_the_engine_matrix)
{
	char *err, *npy, *cols;
	size_t len, clen;
	const char *out = t_path("lob.npy");
	static int64_t t[1000];
	static double v[1000][FEAT_N];

	cr_assert_eq(t_run(&err, "--input", T_LOBSTER_OB, "--output", out, NULL), 0, "%s", err);
	cr_assert(strstr(err, "rows 999"), "%s", err);
	cr_assert(strstr(err, "lob.npy.columns"), "%s", err);
	free(err);
	size_t n = t_engine_rows(t, v, 1000);
	cr_assert_eq(n, 999);

	npy = t_slurp(out, &len);
	const unsigned char *b = (const unsigned char *)npy;
	cr_assert_eq(memcmp(b, "\x93NUMPY", 6), 0, "magic");
	cr_assert(b[6] == 1 && b[7] == 0, "version %u.%u", b[6], b[7]);
	size_t hl = (size_t)b[8] | (size_t)b[9] << 8, off = 10 + hl;
	cr_assert_eq(off % 64, 0, "data at %zu", off);
	cr_assert_eq(npy[off - 1], '\n');
	char dict[512];
	cr_assert_lt(hl, sizeof(dict));
	memcpy(dict, npy + 10, hl);
	dict[hl] = '\0';
	cr_assert(strstr(dict, "'descr': '<f8'"), "%s", dict);
	cr_assert(strstr(dict, "'fortran_order': False"), "%s", dict);
	unsigned long long rows, ncol;
	const char *sp = strstr(dict, "'shape': (");
	cr_assert_not_null(sp, "%s", dict);
	cr_assert_eq(sscanf(sp, "'shape': (%llu, %llu)", &rows, &ncol), 2, "%s", dict);
	cr_assert(rows == 999 && ncol == 2 + FEAT_N, "shape (%llu, %llu)", rows, ncol);
	cr_assert_eq(len, off + rows * ncol * 8, "file size");
	for (size_t i = 0; i < n; i++) {
		double row[2 + FEAT_N];

		memcpy(row, npy + off + i * sizeof(row), sizeof(row));
		cr_assert(row[0] == floor(row[0]) && row[1] == floor(row[1]) && row[1] >= 0 &&
			  row[1] < 1e9, "row %zu: %.17g %.17g", i, row[0], row[1]);
		cr_assert_eq((int64_t)row[0] * 1000000000 + (int64_t)row[1], t[i], "row %zu time", i);
		cr_assert_eq(memcmp(row + 2, v[i], sizeof(v[i])), 0, "row %zu values", i);
	}
	cols = t_slurp(t_path("lob.npy.columns"), &clen);
	char want[1024] = "t_sec\nt_nsec\n";
	for (int i = 0; i < FEAT_N; i++) {
		strcat(want, feat_names[i]);
		strcat(want, "\n");
	}
	cr_assert_str_eq(cols, want);
	free(cols);

	const char *py = t_numpy_python();
	if (!py) {
		cr_log_warn("numpy not found (python3 -c 'import numpy'): the .npy was checked "
			    "against the format, not loaded by numpy");
		free(npy);
		return;
	}
	/* numpy.load: shape, dtype, order, and the bytes of the matrix;
	 * pandas (if there) takes it with the names as columns */
	char cmd[2048];
	const char *dump = t_path("np.bin"), *info = t_path("np.txt");
	snprintf(cmd, sizeof(cmd), "%s -c \"\n"
		 "import numpy as np\n"
		 "a = np.load('%s')\n"
		 "names = open('%s.columns').read().split()\n"
		 "open('%s', 'wb').write(a.tobytes())\n"
		 "s = '%%d %%d %%s %%d %%d' %% (a.shape[0], a.shape[1], a.dtype, a.flags.c_contiguous, len(names))\n"
		 "try:\n"
		 "    import pandas as pd\n"
		 "    df = pd.DataFrame(a, columns=names)\n"
		 "    s += ' pandas %%s %%s' %% (df.columns[2], float(df['mid'].iloc[0]).hex())\n"
		 "except ImportError:\n"
		 "    s += ' nopandas'\n"
		 "open('%s', 'w').write(s)\n\"", py, out, out, dump, info);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	char *txt = t_slurp(info, &clen), *raw = t_slurp(dump, &clen);
	char wtxt[128];
	snprintf(wtxt, sizeof(wtxt), "999 %d float64 1 %d", 2 + FEAT_N, 2 + FEAT_N);
	cr_assert(strncmp(txt, wtxt, strlen(wtxt)) == 0, "numpy says '%s'", txt);
	cr_assert_eq(clen, len - off);
	cr_assert_eq(memcmp(raw, npy + off, clen), 0, "numpy's matrix differs");
	if (!strstr(txt, "nopandas")) {
		/* pandas: the third column is mid, its first value the engine's */
		cr_assert(strstr(txt, " pandas mid 0x"), "%s", txt);
		cr_assert_eq(strtod(strstr(txt, " pandas mid ") + 12, NULL), v[0][FEAT_MID], "%s", txt);
	} else {
		cr_log_info("pandas not found: numpy loaded the .npy, pandas was not tried");
	}
	free(txt);
	free(raw);
	free(npy);
}

/* The CSV is the same whatever the number of formatter threads (the
 * LOBSTER sample: 999 rows, a block of 4096, so also a run that makes
 * several blocks: the synthetic journal below). */
Test(features_tool, csv_same_with_any_thread_count)
{
	char *err, *a, *b;
	size_t la, lb;
	const char *j = t_path("g.jrnl");
	char gen[PATH_MAX + 32];

	snprintf(gen, sizeof(gen), "%s", t_tool);
	strcpy(strrchr(gen, '/') + 1, "dm-gen");
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd), "'%s' --seed 3 --events 30000 --output '%s' --quiet", gen, j);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_assert_eq(t_run(&err, "--input", j, "--output", t_path("t1.csv"), "--threads", "1",
			   NULL), 0, "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", j, "--output", t_path("t3.csv"), "--threads", "3",
			   NULL), 0, "%s", err);
	free(err);
	a = t_slurp(t_path("t1.csv"), &la);
	b = t_slurp(t_path("t3.csv"), &lb);
	cr_assert_eq(la, lb);
	cr_assert_eq(memcmp(a, b, la), 0);
	size_t nl = 0;
	for (size_t i = 0; i < la; i++)
		nl += a[i] == '\n';
	cr_assert_gt(nl, 3 * 4096, "%zu rows: not several blocks", nl);
	free(a);
	free(b);
	cr_assert_eq(t_run(&err, "--input", j, "--output", t_path("t.csv"), "--threads", "0",
			   NULL), 2);
	cr_assert(strstr(err, "--threads '0'"), "%s", err);
	free(err);
}

/* A failed .npy run leaves neither the matrix nor its names; a column
 * file that is a directory is refused before any work. */
Test(features_tool, npy_failures_leave_nothing)
{
	char *err;
	const char *msg = t_path("X_2012-06-21_34200000_57600000_message_10.csv");
	const char *ob = t_path("X_2012-06-21_34200000_57600000_orderbook_10.csv");
	const char *out = t_path("bad.npy");

	t_copy_lines(T_LOBSTER_MSG, msg, 0, NULL);
	t_copy_lines(T_LOBSTER_OB, ob, 7, "5859400,200,oops\n");
	cr_assert_eq(t_run(&err, "--input", msg, "--output", out, "--strict", NULL), 2);
	free(err);
	cr_assert_neq(access(out, F_OK), 0, "partial .npy left under its name");
	cr_assert_neq(access(t_path("bad.npy.columns"), F_OK), 0, "column file left");
	DIR *d = opendir(t_dir);
	struct dirent *e;
	cr_assert_not_null(d);
	while ((e = readdir(d)))
		cr_assert_null(strstr(e->d_name, ".tmp-"), "temporary %s left", e->d_name);
	closedir(d);

	cr_assert_eq(mkdir(t_path("dir.npy.columns"), 0755), 0);
	cr_assert_eq(t_run(&err, "--input", T_LOBSTER_MSG, "--output", t_path("dir.npy"), NULL), 2);
	cr_assert(strstr(err, "dir.npy.columns"), "%s", err);
	free(err);
	rmdir(t_path("dir.npy.columns"));
	cr_assert_neq(access(t_path("dir.npy"), F_OK), 0);
}

/* A write that fails half way (a file size limit: the disk full), with
 * the CSV's formatter threads writing and with the .npy: exit 1 naming
 * the file and the error, nothing left under either name. */
Test(features_tool, write_error_is_exit_1_and_leaves_nothing)
{
	char *err, gen[PATH_MAX + 32], cmd[2 * PATH_MAX];
	const char *j = t_path("w.jrnl");

	snprintf(gen, sizeof(gen), "%s", t_tool);
	strcpy(strrchr(gen, '/') + 1, "dm-gen");
	snprintf(cmd, sizeof(cmd), "'%s' --seed 4 --events 30000 --output '%s' --quiet", gen, j);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	t_fsize = 1 << 20;                /* the journal is written: limit from here */
	cr_assert_eq(t_run(&err, "--input", j, "--output", t_path("w.csv"), "--threads", "2",
			   NULL), 1);
	cr_assert(strstr(err, "w.csv: write error: File too large"), "%s", err);
	free(err);
	cr_assert_eq(t_run(&err, "--input", j, "--output", t_path("w.npy"), NULL), 1);
	cr_assert(strstr(err, "w.npy: write error: File too large"), "%s", err);
	free(err);
	t_fsize = 0;
	DIR *d = opendir(t_dir);
	struct dirent *e;
	cr_assert_not_null(d);
	while ((e = readdir(d)))
		cr_assert(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
			  strcmp(e->d_name, "w.jrnl") == 0, "%s left behind", e->d_name);
	closedir(d);
}
