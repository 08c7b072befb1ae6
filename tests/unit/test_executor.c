/*
 * test_executor.c — the sweep executor (tools/lib/executor.h), local and
 * on Slurm.
 *
 * The tasks are shell one-liners whose results the test predicts by hand:
 * task i writes "i" to out-i and exits 1 when i is 13, 0 otherwise.  Each
 * records when it started and ended (span-i, nanoseconds of
 * CLOCK_REALTIME, one file per task), from which the test recomputes how
 * many ran at once.
 *
 * The executor_slurm suite needs a cluster: tests/slurm/run starts a
 * one-node cluster on localhost (tests/slurm/cluster-up), exports
 * SLURM_CONF and DM_SLURM_DIR and runs this program's executor_slurm
 * tests; without DM_SLURM_DIR they skip (make test runs them through
 * tests/slurm/run).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "tools/lib/executor.h"
#include "tests/helpers.h"

static void setup(void)
{
	t_tmp_init("dm-executor");
}

static void teardown(void)
{
	t_tmp_cleanup();
}

/* a skipped test does not reach .fini: no scratch directory without a cluster */
static void setup_slurm(void)
{
	if (getenv("DM_SLURM_DIR"))
		t_tmp_init("dm-executor");
}

TestSuite(executor, .init = setup, .fini = teardown, .timeout = 30);
TestSuite(executor_slurm, .init = setup_slurm, .fini = teardown, .timeout = 120);

/* ------------------------------------------------------------ helpers */

/* the whole file in buf (terminated), or "" when it cannot be read */
static const char *slurp(const char *path, char *buf, size_t len)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return buf;
	size_t got = fread(buf, 1, len - 1, f);
	buf[got] = '\0';
	fclose(f);
	return buf;
}

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* dir/name-<i> */
static const char *task_file(const char *dir, const char *name, uint32_t i)
{
	static char buf[4][512];
	static unsigned k;
	char *p = buf[k++ % 4];
	snprintf(p, 512, "%s/%s-%u", dir, name, i);
	return p;
}

/*
 * The task of the brief: $0 is the task index, $1 the output directory;
 * writes out-$0, its start and end times to span-$0, a line to stdout and
 * one to stderr (the log), sleeps pause seconds, exits 1 for task 13.
 */
#define T_TASK_SCRIPT                                                                 \
	"s=$(date +%s%N); echo $0 > \"$1/out-$0\"; echo log-$0; echo err-$0 >&2; " \
	"sleep \"$2\"; e=$(date +%s%N); echo \"$s $e\" > \"$1/span-$0\"; "           \
	"exit $(( $0 == 13 ))"

/* argv of that task into dir, each task sleeping pause seconds */
static void task_argv(char *argv[7], const char *dir, const char *pause)
{
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = T_TASK_SCRIPT;
	argv[3] = EXECUTOR_TASK_ARG;
	argv[4] = (char *)dir;
	argv[5] = (char *)pause;
	argv[6] = NULL;
}

/* The most spans open at one instant: starts +1, ends -1, an end
 * before a start at the same nanosecond. */
static int max_overlap(const char *dir, const uint32_t *tasks, uint32_t n)
{
	int64_t t[64];
	int d[64];
	uint32_t m = 0;
	char buf[128];
	for (uint32_t k = 0; k < n; k++) {
		long long s, e;
		cr_assert_eq(sscanf(slurp(task_file(dir, "span", tasks[k]), buf, sizeof(buf)), "%lld %lld", &s, &e),
			     2, "task %u left no span", tasks[k]);
		cr_assert_leq(s, e);
		t[m] = s, d[m++] = +1;
		t[m] = e, d[m++] = -1;
	}
	for (uint32_t i = 1; i < m; i++) /* insertion sort: (time, end first) */
		for (uint32_t j = i; j > 0 && (t[j] < t[j - 1] || (t[j] == t[j - 1] && d[j] < d[j - 1])); j--) {
			int64_t tt = t[j];
			t[j] = t[j - 1], t[j - 1] = tt;
			int dd = d[j];
			d[j] = d[j - 1], d[j - 1] = dd;
		}
	int cur = 0, best = 0;
	for (uint32_t i = 0; i < m; i++) {
		cur += d[i];
		if (cur > best)
			best = cur;
	}
	return best;
}

struct t_progress {
	uint32_t calls, last_done, last_failed, total, went_back;
};

static void on_progress(void *ctx, uint32_t done, uint32_t failed, uint32_t total)
{
	struct t_progress *p = ctx;
	if (done < p->last_done || failed < p->last_failed || failed > done)
		p->went_back++;
	p->calls++;
	p->last_done = done;
	p->last_failed = failed;
	p->total = total;
}

/* ------------------------------------------------------------ pure helpers */

Test(executor, array_list_sorts_and_makes_ranges)
{
	char buf[64];
	uint32_t a[] = { 9, 0, 1, 2, 3, 5, 7, 8 };
	cr_assert_eq(executor_array_list(a, 8, buf, sizeof(buf)), 9);
	cr_assert_str_eq(buf, "0-3,5,7-9");
	uint32_t b[] = { 4 };
	cr_assert_eq(executor_array_list(b, 1, buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "4");
	uint32_t c[] = { 5, 3, 1 };
	cr_assert_eq(executor_array_list(c, 3, buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "1,3,5");
	uint32_t d[] = { 1000, 999, 4294967295u };
	cr_assert_eq(executor_array_list(d, 3, buf, sizeof(buf)), 19);
	cr_assert_str_eq(buf, "999-1000,4294967295");
}

Test(executor, array_list_refuses_duplicates_empty_lists_and_small_buffers)
{
	char buf[8];
	uint32_t a[] = { 3, 4, 3 };
	cr_assert_eq(executor_array_list(a, 3, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(executor_array_list(a, 0, buf, sizeof(buf)), -EINVAL);
	uint32_t b[] = { 10, 20, 30 }; /* "10,20,30" needs 9 bytes */
	cr_assert_eq(executor_array_list(b, 3, buf, sizeof(buf)), -ENOSPC);
	cr_assert_eq(executor_array_list(b, 2, buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "10,20");
}

Test(executor, kind_parse)
{
	enum executor_kind k = EXECUTOR_SLURM;
	cr_assert_eq(executor_kind_parse("local", &k), 0);
	cr_assert_eq(k, EXECUTOR_LOCAL);
	cr_assert_eq(executor_kind_parse("slurm", &k), 0);
	cr_assert_eq(k, EXECUTOR_SLURM);
	cr_assert_eq(executor_kind_parse("Slurm", &k), -EINVAL);
	cr_assert_eq(executor_kind_parse("", &k), -EINVAL);
	cr_assert_eq(executor_kind_parse(NULL, &k), -EINVAL);
}

/* The array script hands every argument over byte for byte and records
 * the exit status; run here with bash as Slurm would, no cluster needed. */
Test(executor, script_quotes_every_argument_and_writes_the_exit_status)
{
	char *argv[] = { "printf", "[%s]\\n", "a b", "it's", "$HOME", "`id`", "x{task}", "{task}", "",
			 "new\nline", "back\\slash", "'", NULL };
	char script[512], cmd[1400], buf[512];
	snprintf(script, sizeof(script), "%s/array.sh", t_tmp_dir);
	cr_assert_eq(executor_script_write(script, t_tmp_dir, argv), 0);
	struct stat sb;
	cr_assert_eq(stat(script, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0755);

	snprintf(cmd, sizeof(cmd), "SLURM_ARRAY_TASK_ID=7 bash %s > %s/stdout", script, t_tmp_dir);
	cr_assert_eq(system(cmd), 0);
	/* printf's %s takes its argument as is: no escapes, no expansion */
	cr_assert_str_eq(slurp(t_tmp_path("stdout"), buf, sizeof(buf)),
			 "[a b]\n[it's]\n[$HOME]\n[`id`]\n[x{task}]\n[7]\n[]\n[new\nline]\n[back\\slash]\n[']\n");
	cr_assert_str_eq(slurp(t_tmp_path("task-7.rc"), buf, sizeof(buf)), "0\n");

	char *fail[] = { "sh", "-c", "exit $(( $0 + 3 ))", "{task}", NULL };
	cr_assert_eq(executor_script_write(script, t_tmp_dir, fail), 0);
	snprintf(cmd, sizeof(cmd), "SLURM_ARRAY_TASK_ID=4 bash %s", script);
	int st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7, "exit status %d", st);
	cr_assert_str_eq(slurp(t_tmp_path("task-4.rc"), buf, sizeof(buf)), "7\n");
}

/* ------------------------------------------------------------ local */

Test(executor, local_runs_every_task_at_most_jobs_at_once)
{
	enum { N = 20 };
	uint32_t tasks[N];
	for (uint32_t i = 0; i < N; i++)
		tasks[i] = i;
	char *argv[7];
	task_argv(argv, t_tmp_dir, "0.1");
	struct t_progress pr = { 0 };
	struct executor_opts o = { .kind = EXECUTOR_LOCAL, .jobs = 3, .workdir = t_tmp_dir,
				   .progress = on_progress, .ctx = &pr };
	uint8_t failed[N];
	char err[256];
	int rc = executor_run(&o, argv, tasks, N, failed, err, sizeof(err));
	cr_assert_eq(rc, 1, "rc %d: %s", rc, err);

	char buf[256], want[64];
	for (uint32_t i = 0; i < N; i++) {
		cr_assert_eq(failed[i], i == 13, "task %u failed=%u", i, failed[i]);
		snprintf(want, sizeof(want), "%u\n", i);
		cr_assert_str_eq(slurp(task_file(t_tmp_dir, "out", i), buf, sizeof(buf)), want);
		snprintf(want, sizeof(want), "log-%u\nerr-%u\n", i, i);
		snprintf(buf, sizeof(buf), "%s/task-%u.log", t_tmp_dir, i);
		char log[64];
		cr_assert_str_eq(slurp(buf, log, sizeof(log)), want);
	}
	int most = max_overlap(t_tmp_dir, tasks, N);
	cr_assert_leq(most, 3, "%d tasks ran at once", most);
	cr_assert_geq(most, 2, "the tasks ran one by one (%d at most)", most);

	cr_assert_eq(pr.calls, N);
	cr_assert_eq(pr.last_done, N);
	cr_assert_eq(pr.last_failed, 1);
	cr_assert_eq(pr.total, N);
	cr_assert_eq(pr.went_back, 0);
}

Test(executor, local_runs_only_the_listed_tasks)
{
	uint32_t tasks[] = { 17, 2, 13, 5 };
	char *argv[7];
	task_argv(argv, t_tmp_dir, "0");
	struct executor_opts o = { .kind = EXECUTOR_LOCAL, .jobs = 2, .workdir = t_tmp_dir };
	uint8_t failed[4];
	char err[256];
	cr_assert_eq(executor_run(&o, argv, tasks, 4, failed, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(failed[0], 0);
	cr_assert_eq(failed[1], 0);
	cr_assert_eq(failed[2], 1);
	cr_assert_eq(failed[3], 0);
	for (uint32_t i = 0; i < 20; i++) {
		bool listed = i == 17 || i == 2 || i == 13 || i == 5;
		cr_assert_eq(exists(task_file(t_tmp_dir, "out", i)), listed, "out-%u", i);
	}
}

Test(executor, local_counts_a_signal_as_failure)
{
	uint32_t tasks[] = { 0, 1, 2 };
	char *argv[] = { "sh", "-c", "[ $0 -eq 1 ] && kill -KILL $$; exit 0", "{task}", NULL };
	struct executor_opts o = { .kind = EXECUTOR_LOCAL, .jobs = 3, .workdir = t_tmp_dir };
	uint8_t failed[3];
	char err[256];
	cr_assert_eq(executor_run(&o, argv, tasks, 3, failed, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(failed[0], 0);
	cr_assert_eq(failed[1], 1);
	cr_assert_eq(failed[2], 0);
}

Test(executor, local_makes_the_workdir)
{
	char wd[128];
	snprintf(wd, sizeof(wd), "%s/sweep", t_tmp_dir);
	uint32_t tasks[] = { 4 };
	char *argv[] = { "true", NULL };
	struct executor_opts o = { .kind = EXECUTOR_LOCAL, .workdir = wd };
	uint8_t failed[1];
	char err[256];
	cr_assert_eq(executor_run(&o, argv, tasks, 1, failed, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(failed[0], 0);
	cr_assert(exists(t_tmp_path("sweep/task-4.log")));
}

Test(executor, refuses_bad_input)
{
	uint32_t dup[] = { 1, 2, 1 };
	char *argv[] = { "true", NULL };
	char *empty[] = { NULL };
	struct executor_opts o = { .kind = EXECUTOR_LOCAL, .workdir = t_tmp_dir };
	uint8_t failed[3] = { 0, 0, 0 };
	char err[256];
	cr_assert_eq(executor_run(&o, argv, dup, 3, failed, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "task 1 listed twice"), "%s", err);
	cr_assert(failed[0] && failed[1] && failed[2]);
	cr_assert_eq(executor_run(&o, empty, dup, 2, failed, err, sizeof(err)), -EINVAL);
	struct executor_opts nowd = { .kind = EXECUTOR_LOCAL };
	cr_assert_eq(executor_run(&nowd, argv, dup, 2, failed, err, sizeof(err)), -EINVAL);
	struct executor_opts pct = { .kind = EXECUTOR_SLURM, .workdir = t_tmp_path("100%a") };
	cr_assert_eq(executor_run(&pct, argv, dup, 2, failed, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "'%'"), "%s", err);
	cr_assert_eq(executor_run(&o, argv, dup, 0, failed, err, sizeof(err)), 0);
}

Test(executor, local_names_a_command_not_found)
{
	uint32_t tasks[] = { 0, 1 };
	char *argv[] = { "dm-no-such-command", "{task}", NULL };
	struct executor_opts o = { .kind = EXECUTOR_LOCAL, .jobs = 2, .workdir = t_tmp_dir };
	uint8_t failed[2] = { 0, 0 };
	char err[256];
	cr_assert_eq(executor_run(&o, argv, tasks, 2, failed, err, sizeof(err)), -ENOENT);
	cr_assert_not_null(strstr(err, "dm-no-such-command"), "%s", err);
	cr_assert(failed[0] && failed[1]);
}

static int64_t ms_since(int64_t t0_ns)
{
	return (t_now_ns() - t0_ns) / 1000000;
}

/* the pid a task wrote to pid-<i> is gone (reaped, not a zombie) */
static void assert_gone(const char *dir, uint32_t i)
{
	char buf[32];
	long pid = atol(slurp(task_file(dir, "pid", i), buf, sizeof(buf)));
	cr_assert_gt(pid, 1, "task %u wrote no pid", i);
	cr_assert(kill((pid_t)pid, 0) != 0 && errno == ESRCH, "task %u (pid %ld) still exists", i, pid);
}

/* A task that ignores SIGTERM is killed 2 s after the deadline; one
 * that finished in time keeps its success. */
Test(executor, local_timeout_stops_the_tasks)
{
	uint32_t tasks[] = { 0, 1 };
	char *argv[] = { "sh", "-c",
			 "[ $0 -eq 0 ] && exit 0; trap '' TERM; echo $$ > \"$1/pid-$0\"; "
			 "while :; do sleep 0.05; done",
			 "{task}", t_tmp_dir, NULL };
	struct executor_opts o = { .kind = EXECUTOR_LOCAL, .jobs = 2, .workdir = t_tmp_dir, .timeout_ms = 400 };
	uint8_t failed[2];
	char err[256];
	int64_t t0 = t_now_ns();
	cr_assert_eq(executor_run(&o, argv, tasks, 2, failed, err, sizeof(err)), -ETIMEDOUT);
	int64_t took = ms_since(t0);
	cr_assert_geq(took, 400);
	cr_assert_lt(took, 4000, "took %lld ms", (long long)took);
	cr_assert_not_null(strstr(err, "timed out"), "%s", err);
	cr_assert_eq(failed[0], 0);
	cr_assert_eq(failed[1], 1);
	assert_gone(t_tmp_dir, 1);
}

static volatile sig_atomic_t t_cancel;

static void on_alarm(int sig)
{
	(void)sig;
	t_cancel = 1;
}

/* The caller's signal handler sets the flag; the run stops at once. */
Test(executor, local_cancel_flag_stops_the_run)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	struct itimerval it = { .it_value = { .tv_sec = 0, .tv_usec = 300000 } };
	cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);

	uint32_t tasks[] = { 0, 1, 2, 3, 4 };
	char *argv[] = { "sh", "-c", "echo $$ > \"$1/pid-$0\"; exec sleep 30", "{task}", t_tmp_dir, NULL };
	struct executor_opts o = { .kind = EXECUTOR_LOCAL, .jobs = 2, .workdir = t_tmp_dir, .cancel = &t_cancel };
	uint8_t failed[5] = { 0 };
	char err[256];
	int64_t t0 = t_now_ns();
	cr_assert_eq(executor_run(&o, argv, tasks, 5, failed, err, sizeof(err)), -ECANCELED);
	int64_t took = ms_since(t0);
	cr_assert_lt(took, 2000, "took %lld ms", (long long)took);
	cr_assert_not_null(strstr(err, "cancelled"), "%s", err);
	for (uint32_t i = 0; i < 5; i++)
		cr_assert_eq(failed[i], 1);
	assert_gone(t_tmp_dir, 0);
	assert_gone(t_tmp_dir, 1);
	cr_assert(!exists(task_file(t_tmp_dir, "pid", 2)), "task 2 started after the cancel");
}

/* No sbatch in PATH: the error names it; no cluster needed. */
Test(executor, slurm_without_sbatch_says_so)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	cr_assert_eq(setenv("PATH", t_tmp_dir, 1), 0);
	uint32_t tasks[] = { 0 };
	char *argv[] = { "true", NULL };
	struct executor_opts o = { .kind = EXECUTOR_SLURM, .workdir = t_tmp_dir };
	uint8_t failed[1] = { 0 };
	char err[256];
	int rc = executor_run(&o, argv, tasks, 1, failed, err, sizeof(err));
	setenv("PATH", path, 1); /* the fixture's cleanup runs rm */
	cr_assert_eq(rc, -ENOENT);
	cr_assert_not_null(strstr(err, "sbatch"), "%s", err);
	cr_assert_eq(failed[0], 1);
	cr_assert(exists(t_tmp_path("array.sh")));
}

/* ------------------------------------------------------------ slurm, simulated */

/*
 * Stand-ins for Slurm's clients in DIR/bin, first in PATH: sbatch records
 * its arguments, writes the .rc files of tasks 0..6 (task 1's says 1, the
 * others' 0) as the array script would, and prints "4242;dmtest" as
 * --parsable does on a named cluster; squeue and sacct run the given
 * bodies.  The executor's reading of what they print is then checked
 * without a cluster.
 */
static char t_old_path[4096];

static void fake_bin(const char *name, const char *body)
{
	char path[256], text[2048];
	snprintf(path, sizeof(path), "%s/bin/%s", t_tmp_dir, name);
	snprintf(text, sizeof(text), "#!/bin/sh\nD='%s'\n%s\n", t_tmp_dir, body);
	t_write_file(path, text);
	cr_assert_eq(chmod(path, 0755), 0);
}

static void fake_slurm(const char *squeue, const char *sacct)
{
	char dir[256], path[4400];
	snprintf(dir, sizeof(dir), "%s/bin", t_tmp_dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	fake_bin("sbatch", "printf '%s\\n' \"$@\" > \"$D/sbatch.args\"\n"
			   "for i in 0 1 2 3 4 5 6; do v=0; [ $i -eq 1 ] && v=1; echo $v > \"$D/wd/task-$i.rc\"; done\n"
			   "echo '4242;dmtest'");
	fake_bin("squeue", squeue);
	fake_bin("sacct", sacct);
	snprintf(t_old_path, sizeof(t_old_path), "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	snprintf(path, sizeof(path), "%s:%s", dir, t_old_path);
	cr_assert_eq(setenv("PATH", path, 1), 0);
}

/* sacct's final states decide over the .rc files; a state still live
 * after the retries, and a task sacct does not list, fall back to the
 * .rc file; lines of other jobs and other tasks are ignored. */
Test(executor, slurm_reads_sacct_first_then_the_rc_files)
{
	fake_slurm("n=$(cat \"$D/squeue.n\" 2>/dev/null || echo 0); echo $((n + 1)) > \"$D/squeue.n\"\n"
		   "printf '%s\\n' \"$@\" > \"$D/squeue.args\"\n"
		   "[ \"$n\" -eq 0 ] && printf 'RUNNING\\nPENDING\\n'\n"
		   "exit 0",
		   "printf '%s\\n' \"$@\" > \"$D/sacct.args\"\n"
		   "printf '4242_0|FAILED|1:0\\n4242_1|COMPLETED|0:0\\n4242_2|CANCELLED by 0|0:15\\n'\n"
		   "printf '4242_3|TIMEOUT|0:0\\n4242_4|RUNNING|0:0\\n4242_5|OUT_OF_MEMORY|0:125\\n'\n"
		   "printf '4242_17|COMPLETED|0:0\\n4243_6|FAILED|1:0\\n'");
	char wd[256];
	snprintf(wd, sizeof(wd), "%s/wd", t_tmp_dir);
	uint32_t tasks[] = { 6, 5, 4, 3, 2, 1, 0 };
	char *argv[] = { "/usr/bin/true", "--trial", "{task}", NULL };
	struct t_progress pr = { 0 };
	struct executor_opts o = { .kind = EXECUTOR_SLURM, .jobs = 2, .workdir = wd, .partition = "p1",
				   .sbatch_extra = "--time=10\t--mem=1G", .poll_ms = 10, .timeout_ms = 20000,
				   .progress = on_progress, .ctx = &pr };
	uint8_t failed[7];
	char err[512];
	int rc = executor_run(&o, argv, tasks, 7, failed, err, sizeof(err));
	setenv("PATH", t_old_path, 1);
	cr_assert_eq(rc, 4, "%d %s", rc, err);
	/* by position: tasks 6 (rc 0), 5 OOM, 4 live -> rc 0, 3 TIMEOUT,
	 * 2 CANCELLED, 1 COMPLETED (its .rc says 1), 0 FAILED (its .rc says 0) */
	const uint8_t want[7] = { 0, 1, 0, 1, 1, 0, 1 };
	for (int k = 0; k < 7; k++)
		cr_assert_eq(failed[k], want[k], "task %u", tasks[k]);
	cr_assert_eq(pr.last_done, 7);
	cr_assert_eq(pr.last_failed, 4);

	char cwd[1024], args[2048], expect[4096];
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	snprintf(expect, sizeof(expect),
		 "--parsable\n--array=0-6%%2\n--output=%s/task-%%a.log\n--chdir=%s\n--job-name=true\n"
		 "--partition=p1\n--time=10\n--mem=1G\n%s/array.sh\n",
		 wd, cwd, wd);
	cr_assert_str_eq(slurp(t_tmp_path("sbatch.args"), args, sizeof(args)), expect);
	cr_assert_str_eq(slurp(t_tmp_path("squeue.args"), args, sizeof(args)), "-h\n-j\n4242\n-o\n%T\n");
	cr_assert_str_eq(slurp(t_tmp_path("squeue.n"), args, sizeof(args)), "2\n");
	cr_assert_str_eq(slurp(t_tmp_path("sacct.args"), args, sizeof(args)),
			 "-n\n-P\n-X\n-j\n4242\n--format=JobID,State,ExitCode\n");
}

/* No accounting ("accounting storage is disabled") and a job squeue no
 * longer knows: the .rc files decide. */
Test(executor, slurm_without_accounting_reads_the_rc_files)
{
	fake_slurm("echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1",
		   "echo 'Slurm accounting storage is disabled' >&2; exit 1");
	char wd[256];
	snprintf(wd, sizeof(wd), "%s/wd", t_tmp_dir);
	uint32_t tasks[] = { 0, 1, 2 };
	char *argv[] = { "true", NULL };
	struct executor_opts o = { .kind = EXECUTOR_SLURM, .workdir = wd, .poll_ms = 10, .timeout_ms = 20000 };
	uint8_t failed[3];
	char err[512];
	int rc = executor_run(&o, argv, tasks, 3, failed, err, sizeof(err));
	setenv("PATH", t_old_path, 1);
	cr_assert_eq(rc, 1, "%d %s", rc, err);
	cr_assert_eq(failed[0], 0);
	cr_assert_eq(failed[1], 1);
	cr_assert_eq(failed[2], 0);
}

/* squeue failing again and again: give up with its message, every task
 * marked for a resume. */
Test(executor, slurm_gives_up_when_squeue_keeps_failing)
{
	fake_slurm("echo 'squeue: error: Unable to contact slurm controller (connect failure)' >&2; exit 1",
		   "exit 1");
	char wd[256];
	snprintf(wd, sizeof(wd), "%s/wd", t_tmp_dir);
	uint32_t tasks[] = { 0, 1 };
	char *argv[] = { "true", NULL };
	struct executor_opts o = { .kind = EXECUTOR_SLURM, .workdir = wd, .poll_ms = 10, .timeout_ms = 20000 };
	uint8_t failed[2] = { 0, 0 };
	char err[512];
	int rc = executor_run(&o, argv, tasks, 2, failed, err, sizeof(err));
	setenv("PATH", t_old_path, 1);
	cr_assert_eq(rc, -EIO, "%d %s", rc, err);
	cr_assert_not_null(strstr(err, "squeue -h -j 4242"), "%s", err);
	cr_assert_not_null(strstr(err, "Unable to contact slurm controller"), "%s", err);
	cr_assert(failed[0] && failed[1]);
}

/* ------------------------------------------------------------ slurm */

static void need_cluster(void)
{
	if (!getenv("DM_SLURM_DIR") || !getenv("SLURM_CONF"))
		cr_skip_test("no test cluster: tests/slurm/run starts one and runs these "
			     "(make test-slurm)");
}

/* How many jobs the test cluster holds (squeue), -1 when squeue fails. */
static int cluster_jobs(void)
{
	FILE *p = popen("squeue -h -o %i", "r");
	if (!p)
		return -1;
	int lines = 0;
	char buf[128];
	while (fgets(buf, sizeof(buf), p))
		lines++;
	return pclose(p) == 0 ? lines : -1;
}

/* The same eight tasks, local and on the cluster: the same outputs, the
 * same failed set (only 13), a log per task in the work directory. */
Test(executor_slurm, same_outputs_and_failures_as_local)
{
	need_cluster();
	uint32_t tasks[] = { 12, 0, 1, 2, 3, 10, 11, 13 };
	enum { N = 8 };
	char local_dir[128], slurm_dir[128];
	snprintf(local_dir, sizeof(local_dir), "%s/local", t_tmp_dir);
	snprintf(slurm_dir, sizeof(slurm_dir), "%s/slurm", t_tmp_dir);

	char *argv[7];
	task_argv(argv, local_dir, "0");
	struct executor_opts lo = { .kind = EXECUTOR_LOCAL, .jobs = 3, .workdir = local_dir };
	uint8_t lfailed[N], sfailed[N];
	char err[512];
	int lrc = executor_run(&lo, argv, tasks, N, lfailed, err, sizeof(err));
	cr_assert_eq(lrc, 1, "local: %d %s", lrc, err);

	task_argv(argv, slurm_dir, "0");
	struct t_progress pr = { 0 };
	struct executor_opts so = { .kind = EXECUTOR_SLURM, .jobs = 3, .workdir = slurm_dir, .poll_ms = 200,
				    .timeout_ms = 50000, .progress = on_progress, .ctx = &pr };
	int src = executor_run(&so, argv, tasks, N, sfailed, err, sizeof(err));
	cr_assert_eq(src, 1, "slurm: %d %s", src, err);

	char a[64], b[64], want[256];
	for (uint32_t k = 0; k < N; k++) {
		uint32_t i = tasks[k];
		cr_assert_eq(sfailed[k], lfailed[k], "task %u", i);
		cr_assert_eq(sfailed[k], i == 13, "task %u", i);
		snprintf(want, sizeof(want), "%u\n", i);
		cr_assert_str_eq(slurp(task_file(local_dir, "out", i), a, sizeof(a)), want);
		cr_assert_str_eq(slurp(task_file(slurm_dir, "out", i), b, sizeof(b)), want);
		snprintf(want, sizeof(want), "%s/task-%u.log", slurm_dir, i);
		cr_assert_str_eq(slurp(want, b, sizeof(b)), (snprintf(a, sizeof(a), "log-%u\nerr-%u\n", i, i), a));
	}
	cr_assert(!exists(task_file(slurm_dir, "out", 4)), "task 4 was not listed");
	cr_assert_eq(pr.last_done, N);
	cr_assert_eq(pr.last_failed, 1);
	cr_assert_eq(pr.went_back, 0);
}

/* A task whose array script dies (here killed by its own command) leaves
 * no exit status: it failed.  The partition and extra sbatch options go
 * through as given. */
Test(executor_slurm, a_killed_array_script_is_a_failure)
{
	need_cluster();
	uint32_t tasks[] = { 0, 1 };
	char *argv[] = { "sh", "-c", "[ $0 -eq 1 ] && kill -KILL $PPID; exit 0", "{task}", NULL };
	struct executor_opts o = { .kind = EXECUTOR_SLURM, .workdir = t_tmp_dir, .partition = "debug",
				   .sbatch_extra = " --time=1  --comment=dm-test ", .poll_ms = 200,
				   .timeout_ms = 50000 };
	uint8_t failed[2];
	char err[512];
	int rc = executor_run(&o, argv, tasks, 2, failed, err, sizeof(err));
	cr_assert_eq(rc, 1, "%d %s", rc, err);
	cr_assert_eq(failed[0], 0);
	cr_assert_eq(failed[1], 1);
	char buf[32];
	cr_assert_str_eq(slurp(t_tmp_path("task-0.rc"), buf, sizeof(buf)), "0\n");
	cr_assert(!exists(t_tmp_path("task-1.rc")));
}

Test(executor_slurm, a_refused_submission_names_sbatch_and_its_error)
{
	need_cluster();
	uint32_t tasks[] = { 0, 1 };
	char *argv[] = { "true", NULL };
	struct executor_opts o = { .kind = EXECUTOR_SLURM, .workdir = t_tmp_dir, .partition = "no-such-partition",
				   .timeout_ms = 30000 };
	uint8_t failed[2] = { 0, 0 };
	char err[512];
	cr_assert_eq(executor_run(&o, argv, tasks, 2, failed, err, sizeof(err)), -EIO, "%s", err);
	cr_assert_not_null(strstr(err, "sbatch --parsable --array=0-1"), "%s", err);
	cr_assert_not_null(strstr(err, "--partition=no-such-partition"), "%s", err);
	cr_assert_not_null(strstr(err, "nvalid partition"), "%s", err);
	cr_assert(failed[0] && failed[1]);
}

/* At the deadline the job is cancelled: it leaves the queue long before
 * its tasks (30 s each) could have ended.  (Whether a task's shell gets to
 * its next line depends on the order Slurm signals its processes in.) */
Test(executor_slurm, timeout_cancels_the_job)
{
	need_cluster();
	cr_assert_eq(cluster_jobs(), 0, "the cluster is not empty");
	uint32_t tasks[] = { 0, 1 };
	char *argv[] = { "sleep", "30", NULL };
	struct executor_opts o = { .kind = EXECUTOR_SLURM, .workdir = t_tmp_dir, .poll_ms = 200, .timeout_ms = 3000 };
	uint8_t failed[2] = { 0, 0 };
	char err[512];
	int64_t t0 = t_now_ns();
	cr_assert_eq(executor_run(&o, argv, tasks, 2, failed, err, sizeof(err)), -ETIMEDOUT, "%s", err);
	cr_assert_lt(ms_since(t0), 15000);
	cr_assert_not_null(strstr(err, "scancel"), "%s", err);
	cr_assert(failed[0] && failed[1]);
	int left = -1;
	for (int k = 0; k < 100 && left != 0; k++) {
		left = cluster_jobs();
		usleep(100000);
	}
	cr_assert_eq(left, 0, "the job is still queued 10 s after scancel");
	cr_assert_lt(ms_since(t0), 20000, "the job ran its course: not cancelled");
}
