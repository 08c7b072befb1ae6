/*
 * test_search.c — dm-search end to end: a bad space file is refused at its
 * line and key; a search killed with SIGKILL in the middle and resumed
 * gives the very files of an uninterrupted search with the same seed; a
 * promotion writes a model the live strategy accepts; and (suite
 * search_slurm, run by tests/slurm/run with a one-node cluster up) a
 * search through Slurm job arrays equals the local one.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

static const char *bindir;
static char market[512], space[512];
static char out[1 << 16];

static const char SPACE[] =
	"# a small space: 2 rungs\n"
	"seed: 3\n"
	"rungs: [3, 4]\n"
	"keep: 0.5\n"
	"sample_every: 250ms\n"
	"params:\n"
	"  strategy.min_prob: {uniform: [0.3, 0.6]}\n"
	"  strategy.max_contracts: {int: [5, 20]}\n"
	"  model.max_depth: {int: [2, 6]}\n"
	"  model.eta: {log_uniform: [0.05, 0.3]}\n"
	"  model.kind: {choice: [gbdt, rf]}\n";

static void setup(void)
{
	bindir = t_bin_dir();
	t_tmp_init("dmtest-search");
	snprintf(market, sizeof(market), "%s", t_tmp_path("m.jnl"));
	snprintf(space, sizeof(space), "%s", t_tmp_path("space.yaml"));
	t_write_file(space, SPACE);
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-gen' --seed 5 --events 80000 --output '%s' "
			  "--quiet", bindir, market), 0, "%s", out);
}

static void teardown(void)
{
	if (!getenv("DM_TEST_KEEP"))
		t_tmp_cleanup();
}

TestSuite(search, .init = setup, .fini = teardown, .timeout = 600);
TestSuite(search_slurm, .init = setup, .fini = teardown, .timeout = 600);

/* trials.csv and result.json of two searches are the same bytes. */
static void expect_same_search(const char *a, const char *b)
{
	static const char *const files[] = { "trials.csv", "result.json" };
	for (size_t i = 0; i < 2; i++) {
		char pa[600], pb[600];
		size_t la, lb;
		snprintf(pa, sizeof(pa), "%s/%s", a, files[i]);
		snprintf(pb, sizeof(pb), "%s/%s", b, files[i]);
		char *x = t_file_text(pa, &la), *y = t_file_text(pb, &lb);
		cr_expect(la == lb && memcmp(x, y, la) == 0, "%s differs:\n%s\n----\n%s", files[i],
			  x, y);
		free(x);
		free(y);
	}
}

/* SIGKILL to every process whose command line names dir (not this one). */
static int kill_naming(const char *dir)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		char p[64], cmd[8192];
		snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
		FILE *f = fopen(p, "rb");
		if (!f)
			continue;
		size_t len = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (size_t i = 0; i < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		cmd[len] = '\0';
		if (strstr(cmd, dir) && kill(pid, SIGKILL) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int count_done(const char *dir)
{
	char o[4096];
	t_sh(o, sizeof(o), "ls %s/trials/*-r0/cv.json 2>/dev/null | wc -l", dir);
	return atoi(o);
}

Test(search, a_space_file_is_checked_at_its_line_and_key)
{
	static const struct { const char *text, *says; } bad[] = {
		{ "params:\n  strategy.min_prob: {normal: [0, 1]}\n", ":2:23: key 'strategy.min_prob': "
		  "unknown law 'normal'" },
		{ "params:\n  strategy.min_prob: {uniform: [0.9, 0.1]}\n", "lo 0.9 above hi 0.1" },
		{ "params:\n  model.eta: {log_uniform: [0, 1]}\n", "log_uniform needs lo > 0" },
		{ "params:\n  strategy.min_probb: {uniform: [0.5, 0.6]}\n",
		  ":2:3: key 'strategy.min_probb'" },
		{ "params:\n  model.max_depht: {int: [2, 4]}\n", ":2:3: key 'model.max_depht'" },
		{ "params:\n  strategy.min_prob: {uniform: [2, 3]}\n", ":2:3: key 'strategy.min_prob'" },
		{ "rungs: [4, 3]\nparams:\n  model.max_depth: {int: [2, 4]}\n",
		  "the groups grow from rung to rung" },
		{ "param:\n  model.max_depth: {int: [2, 4]}\n", ":1:1: key 'param': unknown key" },
		{ "seed: 1\n", "no parameter to search" },
		{ "params: [\n", "space.yaml:" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *sp = t_tmp_path("bad.yaml"), *dir = t_tmp_path("bad-out");
		t_write_file(sp, bad[i].text);
		int rc = t_sh(out, sizeof(out), "rm -rf '%s'; '%s/dm-search' --input '%s' --space '%s' "
			      "--trials 4 --out '%s'", dir, bindir, market, sp, dir);
		cr_expect_eq(rc, 2, "case %zu: exit %d\n%s", i, rc, out);
		cr_expect(strstr(out, bad[i].says) || (i == 9 && strstr(out, "bad.yaml:")),
			  "case %zu: should say '%s':\n%s", i, bad[i].says, out);
		char tr[700];
		snprintf(tr, sizeof(tr), "%s/trials.csv", dir);
		cr_expect_neq(access(tr, F_OK), 0, "case %zu: a refused search wrote trials.csv", i);
	}
}

/* --run-task runs its task's command line as the batch file gives it, and
 * refuses one with an argument that is not a string (exit 2) rather than
 * run the command cut short at that argument. */
Test(search, run_task_refuses_an_argument_that_is_not_a_string)
{
	const char *batch = t_tmp_path("batch.json");
	t_write_file(batch, "{\"argv\": [[\"/bin/echo\", \"ran\", \"whole\"], "
			    "[\"/bin/echo\", 7, \"cut\"]]}\n");
	int rc = t_sh(out, sizeof(out), "'%s/dm-search' --run-task 0 --batch '%s'", bindir, batch);
	cr_expect_eq(rc, 0, "exit %d\n%s", rc, out);
	cr_expect_str_eq(out, "ran whole\n");
	rc = t_sh(out, sizeof(out), "'%s/dm-search' --run-task 1 --batch '%s'", bindir, batch);
	cr_expect_eq(rc, 2, "exit %d\n%s", rc, out);
	cr_expect(strstr(out, "task 1: argument 1 is not a string") != NULL, "%s", out);
	cr_expect(strstr(out, "cut") == NULL, "the command ran:\n%s", out);
}

/* SIGKILL to the search and every process of it once two trials are in;
 * --resume then finishes with the files of a search never stopped. */
Test(search, killed_and_resumed_equals_uninterrupted)
{
	/* two whole searches: the plain build runs it, the sanitized build the
	 * others (make test's time budget) */
	if (T_SANITIZED)
		cr_skip_test("runs in the plain build");
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/whole", t_tmp_dir);
	snprintf(b, sizeof(b), "%s/killed", t_tmp_dir);
	int rc = t_sh(out, sizeof(out), "'%s/dm-search' --input '%s' --space '%s' --trials 6 "
		      "--jobs 2 --out '%s'", bindir, market, space, a);
	cr_assert_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "trial 6 of 6 done") && strstr(out, "PBO"), "%s", out);

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setpgid(0, 0);
		char bin[4300];
		snprintf(bin, sizeof(bin), "%s/dm-search", bindir);
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "--input", market, "--space", space, "--trials", "6", "--jobs", "2",
		      "--out", b, "--quiet", (char *)NULL);
		_exit(127);
	}
	int64_t t0 = t_now_ns();
	while (count_done(b) < 2 && t_now_ns() - t0 < 120000000000ll)
		usleep(50 * 1000);
	cr_assert_geq(count_done(b), 2, "the search did not get going");
	/* the whole tree, the trials' dm-cv processes too: a machine gone */
	kill(pid, SIGKILL);
	cr_expect_gt(kill_naming(b), 0, "no trial was running");
	int st;
	waitpid(pid, &st, 0);
	int done = count_done(b);
	cr_expect_lt(done, 6, "killed after every trial of rung 0 was in (%d): no resume to test",
		     done);
	char tr[700];
	snprintf(tr, sizeof(tr), "%s/result.json", b);
	cr_expect_neq(access(tr, F_OK), 0, "a killed search has no result");

	/* the same command without --resume is refused: the directory holds a search */
	rc = t_sh(out, sizeof(out), "'%s/dm-search' --input '%s' --space '%s' --trials 6 --jobs 2 "
		  "--out '%s'", bindir, market, space, b);
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "--resume"), "%s", out);
	/* another plan is refused */
	rc = t_sh(out, sizeof(out), "'%s/dm-search' --input '%s' --space '%s' --trials 7 --jobs 2 "
		  "--out '%s' --resume", bindir, market, space, b);
	cr_expect_eq(rc, 2, "%s", out);
	rc = t_sh(out, sizeof(out), "'%s/dm-search' --input '%s' --space '%s' --trials 6 --jobs 2 "
		  "--out '%s' --resume", bindir, market, space, b);
	cr_assert_eq(rc, 0, "%s", out);
	char line[64];
	snprintf(line, sizeof(line), "(%d done before)", done);
	cr_expect(strstr(out, line), "the finished trials are kept (%s):\n%s", line, out);
	expect_same_search(a, b);
}

Test(search, promotes_a_model_the_live_strategy_takes)
{
	char d[512], p[700];
	snprintf(d, sizeof(d), "%s/s", t_tmp_dir);
	int rc = t_sh(out, sizeof(out), "'%s/dm-search' --input '%s' --space '%s' --trials 4 "
		      "--jobs 2 --promote --out '%s'", bindir, market, space, d);
	cr_assert_eq(rc, 0, "%s", out);
	snprintf(p, sizeof(p), "%s/promoted/promotion.json", d);
	json_error_t je;
	json_t *j = json_load_file(p, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	json_t *best = json_object_get(json_object_get(j, "search"), "best_trial");
	cr_expect(json_is_integer(best));
	cr_expect_eq(strlen(json_string_value(json_object_get(j, "input_sha256"))), 64);
	json_decref(j);
	/* the promoted configuration over the built-in one trades the model */
	char bt[600];
	snprintf(bt, sizeof(bt), "%s/bt", t_tmp_dir);
	rc = t_sh(out, sizeof(out), "'%s/dm-backtest' -c '%s/promoted/config.yaml' --input '%s' "
		  "--out '%s'", bindir, d, market, bt);
	cr_assert_eq(rc, 0, "%s", out);
	snprintf(p, sizeof(p), "model %s/promoted/model.json: target meta", d);
	cr_expect(strstr(out, p), "the backtest should trade the promoted model:\n%s", out);
}

/* With the cluster of tests/slurm/cluster-up (SLURM_CONF set by it). */
Test(search_slurm, an_array_search_equals_the_local_one)
{
	if (!getenv("SLURM_CONF"))
		cr_skip_test("no Slurm cluster (tests/slurm/run starts one)");
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/local", t_tmp_dir);
	snprintf(b, sizeof(b), "%s/slurm", t_tmp_dir);
	int rc = t_sh(out, sizeof(out), "'%s/dm-search' --input '%s' --space '%s' --trials 8 "
		      "--jobs 2 --out '%s' --quiet", bindir, market, space, a);
	cr_assert_eq(rc, 0, "%s", out);
	rc = t_sh(out, sizeof(out), "'%s/dm-search' --input '%s' --space '%s' --trials 8 "
		  "--jobs 2 --executor slurm --out '%s'", bindir, market, space, b);
	cr_assert_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "slurm executor"), "%s", out);
	expect_same_search(a, b);
}
