/*
 * test_cfg.c — the YAML engine (libcore/config/cfg.h) on a table of its
 * own, apart from any module: decimals into doubles, integers read in one
 * unit and stored in another, sets of names, mappings named from a list,
 * a cross-check placing its error, a key's place in a file, and a root
 * shared by two tables (cfg_load_parts).
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "libcore/config/cfg.h"
#include "libcore/types.h"
#include "tests/helpers.h"

struct t_inner {
	uint32_t n;
	uint32_t pad;
};

struct t_conf {
	double   ratio;          /* CFG_K_DEC_F64, 0..2 */
	int64_t  wait_ns;        /* read in ms, 1..1000 */
	uint32_t who;            /* set of t_names */
	uint32_t pad;
	struct t_inner side[2];  /* mappings named t_sides[i] */
};

static const char *const t_names[] = { "alpha", "beta", "gamma" };
static const char *const t_sides[] = { "left", "right" };

static const struct cfg_key t_inner_keys[] = {
	CFG_U32("n", struct t_inner, n, 0, 9, NULL, 0, "a digit"),
	CFG_KEY_END
};

static const struct cfg_key t_keys[] = {
	CFG_DEC_F64("ratio", struct t_conf, ratio, 0, 2LL * CFG_DEC_SCALE, "a ratio"),
	CFG_I64_SCALED("wait_ms", struct t_conf, wait_ns, 1, 1000, 1000000, "a wait, ms"),
	CFG_SET("who", struct t_conf, who, t_names, 3, "voter", "who votes"),
	CFG_MAP_NAMED(t_sides, 0, offsetof(struct t_conf, side[0]), t_inner_keys, "left"),
	CFG_MAP_NAMED(t_sides, 1, offsetof(struct t_conf, side[1]), t_inner_keys, "right"),
	CFG_KEY_END
};

/* ratio + wait must stay below 3 (ms counted as units): a cross-check
 * that places its error at whichever of the two the file sets. */
static int t_check(struct cfg_ctx *x, void *dst)
{
	const struct t_conf *c = dst;
	static const char *const keys[] = { "ratio", "wait_ms" };
	struct cfg_node *root = cfg_root(x);

	if (c->ratio + (double)c->wait_ns / 1e6 < 3.0)
		return 0;
	cfg_at(x, root);
	if (cfg_find(x, root, "ratio", 1))
		cfg_key(x, keys[0]);
	else
		cfg_key(x, keys[1]);
	return cfg_fail(x, "ratio + wait_ms must stay below 3");
}

struct t_res {
	int rc;
	char err[256];
	char path[PATH_MAX];
	struct t_conf c;
};

static void t_run(const char *text, struct t_res *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", t_tmp_path("t.yaml"));
	t_write_file(r->path, text);
	memset(&r->c, 0, sizeof(r->c));
	r->c.ratio = 0.5;
	r->c.wait_ns = 1000000;
	r->err[0] = '\0';
	r->rc = cfg_load_file(r->path, "test", t_keys, &r->c, NULL, t_check, NULL, r->err,
	                      sizeof(r->err));
}

static void t_fails(const char *text, const char *where, const char *what)
{
	struct t_res r;
	char want[PATH_MAX + 64];

	t_run(text, &r);
	cr_assert_eq(r.rc, -DM_ECONFIG, "rc %d for:\n%s", r.rc, text);
	snprintf(want, sizeof(want), "%s:%s", r.path, where);
	cr_assert(strncmp(r.err, want, strlen(want)) == 0, "'%s' does not start with '%s'",
	          r.err, want);
	cr_assert(strstr(r.err, what), "'%s' lacks '%s'", r.err, what);
}

static void t_setup(void)
{
	t_tmp_init("cfg");
}

static void t_teardown(void)
{
	t_tmp_cleanup();
}

TestSuite(cfg, .init = t_setup, .fini = t_teardown);

Test(cfg, values_land_in_their_fields)
{
	struct t_res r;

	t_run("ratio: 0.75\n"
	      "wait_ms: 2\n"
	      "who: [gamma, alpha]\n"
	      "right: { n: 7 }\n", &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.c.ratio, 0.75);
	cr_assert_eq(r.c.wait_ns, 2000000, "2 ms in ns");
	cr_assert_eq(r.c.who, 1u << 2 | 1u << 0);
	cr_assert_eq(r.c.side[0].n, 0, "left not set");
	cr_assert_eq(r.c.side[1].n, 7);
}

/* A decimal into a double is the decimal's nearest double: 0.1 as 100000
 * x 10^-6 is the same double as the literal 0.1. */
Test(cfg, decimal_into_a_double_is_exact)
{
	struct t_res r;

	t_run("ratio: 0.1\n", &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.c.ratio, 0.1);
	cr_assert_eq(r.c.wait_ns, 1000000, "unset keeps the caller's value");
}

Test(cfg, errors_name_place_key_and_cause)
{
	t_fails("ratio: 2.5\n", "1:1: key 'ratio': ", "value 2.5 out of range [0, 2]");
	t_fails("ratio: 0.0000001\n", "1:1: key 'ratio': ", "has more than 6 decimals");
	t_fails("ratio: x\n", "1:1: key 'ratio': ", "expected a decimal number, got 'x'");
	t_fails("wait_ms: 0\n", "1:1: key 'wait_ms': ", "value 0 out of range [1, 1000]");
	t_fails("who: [alpha, delta]\n", "1:14: key 'who[1]': ",
	        "unknown voter 'delta' (did you mean 'beta'?); expected one of: alpha, beta, gamma");
	t_fails("who: [beta, beta]\n", "1:13: key 'who[1]': ", "voter 'beta' listed twice");
	t_fails("who: beta\n", "1:1: key 'who': ", "expected a sequence of voter names");
	t_fails("who: [~]\n", "1:7: key 'who[0]': ", "expected a voter name, got null");
	t_fails("rigth: { n: 1 }\n", "1:1: key 'rigth': ",
	        "unknown key (did you mean 'right'?); expected one of: ratio, wait_ms, who, "
	        "left, right");
	t_fails("left: { n: 10 }\n", "1:9: key 'left.n': ", "value 10 out of range [0, 9]");
}

Test(cfg, cross_check_places_its_error)
{
	t_fails("wait_ms: 900\n", "1:1: key 'wait_ms': ", "ratio + wait_ms must stay below 3");
	t_fails("who: [alpha]\n"
	        "ratio: 1.5\n"
	        "wait_ms: 800\n", "2:1: key 'ratio': ", "ratio + wait_ms must stay below 3");
}

Test(cfg, file_key_place_finds_a_nested_key)
{
	char path[PATH_MAX];
	size_t line = 0, col = 0;

	snprintf(path, sizeof(path), "%s", t_tmp_path("place.yaml"));
	t_write_file(path, "a: 1\n"
	                   "sec:\n"
	                   "  other: 2\n"
	                   "  key: 3\n");
	cr_assert_eq(cfg_file_key_place(path, "sec", "key", &line, &col), 1);
	cr_assert_eq(line, 4);
	cr_assert_eq(col, 3);
	cr_assert_eq(cfg_file_key_place(path, "sec", "none", &line, &col), 0);
	cr_assert_eq(cfg_file_key_place("/nonexistent/x.yaml", "sec", "key", &line, &col), 0);
}

Test(cfg, shared_checks)
{
	uint32_t v = 64;
	cr_assert_null(cfg_check_pow2(&v));
	cr_assert_null(cfg_check_mul64(&v));
	v = 192;
	cr_assert_not_null(cfg_check_pow2(&v));
	cr_assert_null(cfg_check_mul64(&v));
	v = 100;
	cr_assert_not_null(cfg_check_mul64(&v));
	cr_assert_null(cfg_check_currency("USDT"));
	cr_assert_not_null(cfg_check_currency("usd"));
	cr_assert_not_null(cfg_check_currency(""));
	cr_assert_not_null(cfg_check_currency("ABCDEFGH"));
}

/* ------------------------------------------------------------ parts */

/* A second table at the root over a struct of its own, as a host adds its
 * sections beside a module's. */
struct t_host {
	uint32_t port;           /* required */
	uint32_t pad;
	struct t_inner net;
};

static const struct cfg_key t_host_keys[] = {
	CFG_U32("port", struct t_host, port, 1, 65535, NULL, CFG_REQUIRED, "a port"),
	CFG_MAP("network", offsetof(struct t_host, net), t_inner_keys, "the network"),
	CFG_KEY_END
};

struct t_parts_res {
	int rc;
	char err[384];
	char path[PATH_MAX];
	struct t_conf c;
	struct t_host h;
	const void *checked;     /* the dst the cross-check was given */
};

static int t_parts_check(struct cfg_ctx *x, void *dst)
{
	struct t_parts_res *r = (struct t_parts_res *)cfg_arg(x);

	r->checked = dst;
	return t_check(x, dst);
}

static void t_parts_run(const char *text, struct t_parts_res *r)
{
	const struct cfg_part parts[] = { { t_keys, &r->c }, { t_host_keys, &r->h } };

	snprintf(r->path, sizeof(r->path), "%s", t_tmp_path("parts.yaml"));
	t_write_file(r->path, text);
	memset(&r->c, 0, sizeof(r->c));
	memset(&r->h, 0, sizeof(r->h));
	r->h.net.n = 4;
	r->checked = NULL;
	r->err[0] = '\0';
	r->rc = cfg_load_parts(r->path, "test", parts, 2, NULL, t_parts_check, r, r->err,
	                       sizeof(r->err));
}

Test(cfg, parts_share_the_root_each_into_its_struct)
{
	struct t_parts_res r;

	t_parts_run("port: 8080\n"
	            "ratio: 0.25\n"
	            "network: { n: 3 }\n"
	            "right: { n: 1 }\n", &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.h.port, 8080);
	cr_assert_eq(r.h.net.n, 3);
	cr_assert_eq(r.c.ratio, 0.25);
	cr_assert_eq(r.c.side[1].n, 1);
	cr_assert_eq(r.c.side[0].n, 0);
	cr_assert_eq(r.checked, &r.c, "the cross-check gets the first part's struct");
	t_parts_run("port: 1\n", &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.h.net.n, 4, "a section the file leaves keeps the caller's value");
}

Test(cfg, parts_errors_are_located_and_suggest_any_parts_key)
{
	struct t_parts_res r;
	char want[PATH_MAX + 256];

	t_parts_run("port: 1\n"
	            "netwrk: { n: 3 }\n", &r);
	cr_assert_eq(r.rc, -DM_ECONFIG);
	snprintf(want, sizeof(want), "%s:2:1: key 'netwrk': unknown key (did you mean "
	         "'network'?); expected one of: ratio, wait_ms, who, left, right, port, "
	         "network", r.path);
	cr_assert_str_eq(r.err, want);
	t_parts_run("port: 1\n"
	            "network: { n: 12 }\n", &r);
	snprintf(want, sizeof(want), "%s:2:12: key 'network.n': value 12 out of range [0, 9]",
	         r.path);
	cr_assert_str_eq(r.err, want);
	t_parts_run("ratio: 1\n", &r);
	snprintf(want, sizeof(want), "%s:1:1: top level: missing required key 'port'", r.path);
	cr_assert_str_eq(r.err, want, "a part's required row is required at the root");
	t_parts_run("port: 1\n"
	            "wait_ms: 900\n", &r);
	snprintf(want, sizeof(want), "%s:1:1: key 'wait_ms': ratio + wait_ms must stay below 3",
	         r.path);
	cr_assert_str_eq(r.err, want, "the cross-check runs over the joined file: %s", r.err);
}

Test(cfg, parts_refuse_a_root_key_in_two_tables)
{
	static const struct cfg_key twice[] = {
		CFG_U32("wait_ms", struct t_host, port, 1, 9, NULL, 0, "clashes with t_keys"),
		CFG_KEY_END
	};
	struct t_conf c;
	struct t_host h;
	const struct cfg_part parts[] = { { t_keys, &c }, { twice, &h } };
	char path[PATH_MAX], err[256] = "", want[PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s", t_tmp_path("twice.yaml"));
	t_write_file(path, "ratio: 1\n");
	cr_assert_eq(cfg_load_parts(path, "test", parts, 2, NULL, NULL, NULL, err, sizeof(err)),
	             -DM_ECONFIG);
	snprintf(want, sizeof(want), "%s: cannot load test: root key 'wait_ms' in two key "
	         "tables: Invalid argument", path);
	cr_assert_str_eq(err, want);
	cr_assert_eq(cfg_load_parts(path, "test", parts, 0, NULL, NULL, NULL, err, sizeof(err)),
	             -DM_ECONFIG);
	cr_assert(strstr(err, "0 key tables (1..4)"), "%s", err);
}

/* ------------------------------------------------------------ input limits */

static double t_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Load path (any file) against t_keys; the elapsed seconds in *secs. */
static int t_load_path(const char *path, char *err, size_t n, double *secs)
{
	struct t_conf c = { .ratio = 0.5, .wait_ns = 1000000 };
	double t0 = t_mono_s();
	int rc = cfg_load_file(path, "test", t_keys, &c, NULL, NULL, NULL, err, n);
	*secs = t_mono_s() - t0;
	return rc;
}

/* n copies of ch, then tail, NUL-terminated (malloc'd). */
static char *t_repeat(char ch, size_t n, const char *tail)
{
	size_t k = strlen(tail);
	char *s = malloc(n + k + 1);
	cr_assert_not_null(s);
	memset(s, ch, n);
	memcpy(s + n, tail, k + 1);
	return s;
}

Test(cfg, nesting_of_100k_brackets_or_braces_is_refused_at_once)
{
	static const char opens[] = { '[', '{' };
	char err[512], want[PATH_MAX + 64];
	double secs;

	for (size_t i = 0; i < sizeof(opens); i++) {
		const char *path = t_tmp_path("deep.yaml");
		char *text = t_repeat(opens[i], 100000, "");
		t_write_file(path, text);
		free(text);
		cr_assert_eq(t_load_path(path, err, sizeof(err), &secs), -DM_ECONFIG);
		/* 64 collections open; the 65th is the one refused, at column 65 */
		snprintf(want, sizeof(want), "%s:1:65: nesting deeper than 64 levels", path);
		cr_assert(strncmp(err, want, strlen(want)) == 0, "'%s' is not '%s...'", err, want);
		cr_assert_lt(secs, 1.0, "'%c' x 100000 took %.2f s", opens[i], secs);
	}
}

Test(cfg, nesting_limit_is_64_levels_root_included)
{
	char err[512];
	double secs;
	const char *path = t_tmp_path("d.yaml");
	/* the root mapping and 63 sequences: 64 levels, loaded as far as the
	 * key table (an unknown key), not refused for its depth */
	char *open = t_repeat('[', 63, ""), *close = t_repeat(']', 63, "\n");
	char *text = malloc(strlen(open) + strlen(close) + 16);
	cr_assert_not_null(text);
	sprintf(text, "deep: %s%s", open, close);
	t_write_file(path, text);
	cr_assert_eq(t_load_path(path, err, sizeof(err), &secs), -DM_ECONFIG);
	cr_assert(strstr(err, "key 'deep': unknown key"), "%s", err);
	cr_assert_null(strstr(err, "nesting"), "%s", err);
	/* one more: refused where the 65th level opens (column 7 + 63) */
	sprintf(text, "deep: [%s]%s", open, close);
	t_write_file(path, text);
	cr_assert_eq(t_load_path(path, err, sizeof(err), &secs), -DM_ECONFIG);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s:1:70: nesting deeper than 64 levels", path);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "'%s' is not '%s...'", err, want);
	free(text);
	free(open);
	free(close);
}

Test(cfg, deep_block_nesting_is_refused_at_its_line_and_column)
{
	char err[512], want[PATH_MAX + 64];
	double secs;
	const char *path = t_tmp_path("block.yaml");
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	/* line i+1 holds key i indented by i: mapping i+1 opens there */
	for (int i = 0; i < 100; i++)
		fprintf(f, "%*sk%d:\n", i, "", i);
	fclose(f);
	cr_assert_eq(t_load_path(path, err, sizeof(err), &secs), -DM_ECONFIG);
	snprintf(want, sizeof(want), "%s:65:65: nesting deeper than 64 levels", path);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "'%s' is not '%s...'", err, want);
	cr_assert_lt(secs, 1.0);
}

Test(cfg, file_over_1_mib_is_refused_where_it_crosses_the_limit)
{
	char err[512], want[PATH_MAX + 96];
	double secs;
	const char *path = t_tmp_path("big.yaml");
	char line[101];
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	memset(line, 'x', 99);
	line[0] = '#';
	line[99] = '\n';
	line[100] = '\0';
	for (int i = 0; i < 2 * 1048576 / 100; i++)  /* 2 MiB of 100-byte comment lines */
		fputs(line, f);
	fclose(f);
	cr_assert_eq(t_load_path(path, err, sizeof(err), &secs), -DM_ECONFIG);
	/* byte 1048576 is on line 1048576 / 100 + 1, column 1048576 % 100 + 1 */
	snprintf(want, sizeof(want), "%s:10486:77: the file goes on past 1048576 bytes (1 MiB)",
		 path);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "'%s' is not '%s...'", err, want);
	cr_assert_lt(secs, 1.0);

	/* exactly CFG_FILE_MAX bytes still loads */
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("ratio: 1.5\n", f);
	size_t n = 11;
	while (n + 100 <= CFG_FILE_MAX) {
		fputs(line, f);
		n += 100;
	}
	fprintf(f, "#%*s\n", (int)(CFG_FILE_MAX - n - 2), "");
	fclose(f);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, CFG_FILE_MAX);
	cr_assert_eq(t_load_path(path, err, sizeof(err), &secs), 0, "%s", err);
}

Test(cfg, fifo_device_and_directory_are_refused_without_reading)
{
	static const struct { const char *path, *kind; } cases[] = {
		{ NULL, "a FIFO" },                  /* made below, no writer: a read would block */
		{ "/dev/zero", "a character device" }, /* a read would never end */
		{ "/dev/null", "a character device" },
		{ "/tmp", "a directory" },
	};
	char err[512], want[PATH_MAX + 128], fifo[PATH_MAX];
	double secs;

	snprintf(fifo, sizeof(fifo), "%s", t_tmp_path("fifo.yaml"));
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = cases[i].path ? cases[i].path : fifo;
		cr_assert_eq(t_load_path(path, err, sizeof(err), &secs), -DM_ECONFIG, "%s", path);
		snprintf(want, sizeof(want), "%s: cannot read: %s, not a regular file", path,
			 cases[i].kind);
		cr_assert(strncmp(err, want, strlen(want)) == 0, "'%s' is not '%s...'", err, want);
		cr_assert_lt(secs, 1.0, "%s took %.2f s", path, secs);
	}
	size_t line = 0, col = 0;
	cr_assert_eq(cfg_file_key_place(fifo, "left", "n", &line, &col), 0);
}

/* ------------------------------------------------------------ durations */

struct t_dur {
	int64_t age_ns;
};

static const struct cfg_key t_dur_keys[] = {
	CFG_DUR("age", struct t_dur, age_ns, 0, 3600ll * 1000000000, "an age"),
	CFG_KEY_END
};

/* age: text loaded; rc, the value (ns) and the message. */
static int t_dur_load(const char *text, int64_t *ns, char *err, size_t n)
{
	char path[PATH_MAX], yaml[128];
	struct t_dur d = { .age_ns = -1 };
	snprintf(path, sizeof(path), "%s", t_tmp_path("d.yaml"));
	snprintf(yaml, sizeof(yaml), "age: %s\n", text);
	t_write_file(path, yaml);
	err[0] = '\0';
	int rc = cfg_load_file(path, "test", t_dur_keys, &d, NULL, NULL, NULL, err, n);
	*ns = d.age_ns;
	return rc;
}

Test(cfg, a_duration_is_a_whole_number_with_its_unit)
{
	static const struct {
		const char *text;
		int64_t ns;
	} ok[] = {
		{ "0", 0 }, { "1s", 1000000000 }, { "250ms", 250000000 }, { "7us", 7000 },
		{ "12ns", 12 }, { "2m", 120ll * 1000000000 }, { "1h", 3600ll * 1000000000 },
		{ "1500ms", 1500000000 },
	};
	char err[256];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t ns;
		cr_assert_eq(t_dur_load(ok[i].text, &ns, err, sizeof(err)), 0, "%s: %s",
			     ok[i].text, err);
		cr_expect_eq(ns, ok[i].ns, "%s: %lld ns", ok[i].text, (long long)ns);
	}
	static const char *const bad[] = { "1", "1.5s", "s", "-1s", "1 s", "1sec", "'1s'",
					   "99999999999999999999ns", "true" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ns;
		cr_assert_eq(t_dur_load(bad[i], &ns, err, sizeof(err)), -DM_ECONFIG, "%s", bad[i]);
		cr_expect(strstr(err, "1:1: key 'age': value ") && strstr(err, "is not a duration"),
			  "%s: %s", bad[i], err);
	}
	int64_t ns;
	cr_assert_eq(t_dur_load("61m", &ns, err, sizeof(err)), -DM_ECONFIG);
	cr_expect(strstr(err, "value 61m out of range [0, 1h]"), "%s", err);
	/* the shortest exact form */
	char out[32];
	cr_expect_str_eq(cfg_show_dur(90ll * 1000000000, out), "90s");
	cr_expect_str_eq(cfg_show_dur(1500000, out), "1500us");
	cr_expect_str_eq(cfg_show_dur(0, out), "0");
	cr_expect_str_eq(cfg_show_dur(7200ll * 1000000000, out), "2h");
}
