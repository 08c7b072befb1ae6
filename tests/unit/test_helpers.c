/*
 * test_helpers.c — the helpers the tests and the benchmarks share: the
 * process and path helpers (tests/proc_helpers.h) and the fill of a
 * segment's rings (tests/helpers.h).
 *
 * Expected values come from outside the helpers: exit codes and signals
 * the shell is told to produce, children this file forks and reaps
 * itself, /proc/self/exe read here, files written here, messages pushed
 * here.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agents/rt/topology.h"
#include "tests/helpers.h"

TestSuite(proc_helpers, .fini = t_tmp_cleanup);

/* ------------------------------------------------------------ t_system */

Test(proc_helpers, system_gives_the_exit_status_or_128_plus_the_signal)
{
	cr_expect_eq(t_system("exit 0"), 0);
	cr_expect_eq(t_system("exit %d", 3), 3);
	cr_expect_eq(t_system("kill -KILL $$"), 128 + SIGKILL);
	cr_expect_eq(t_system("kill -TERM $$"), 128 + SIGTERM);
}

Test(proc_helpers, system_runs_nothing_when_the_line_does_not_fit)
{
	t_tmp_init("dmtest-proc");
	const char *mark = t_tmp_path("ran");
	static char pad[5000];
	memset(pad, ' ', sizeof(pad) - 1);
	cr_expect_eq(t_system("touch '%s'%s", mark, pad), -1);
	cr_expect(!t_exists(mark), "a cut line ran");
	cr_expect_eq(t_system("touch '%s'%.100s", mark, pad), 0);
	cr_expect(t_exists(mark));
}

/* ------------------------------------------------------------ files */

Test(proc_helpers, wait_file_sees_a_file_that_comes_late)
{
	t_tmp_init("dmtest-proc");
	const char *late = t_tmp_path("late");
	cr_expect(!t_exists(late));
	cr_assert_eq(t_system("(sleep 0.3; touch '%s') >/dev/null 2>&1 &", late), 0);
	int64_t t0 = t_now_ns();
	cr_expect_eq(t_wait_file(late, 10), 1);
	cr_expect_geq(t_now_ns() - t0, 200000000ll, "returned before the file was made");
	cr_expect(t_exists(late));
	t0 = t_now_ns();
	cr_expect_eq(t_wait_file(t_tmp_path("never"), 1), 0);
	cr_expect_geq(t_now_ns() - t0, 1000000000ll, "gave up before its time");
}

Test(proc_helpers, exporter_port_is_read_from_the_first_line)
{
	t_tmp_init("dmtest-proc");
	const char *out = t_tmp_path("exporter.out");
	t_write_file(out, "dm-exporter: listening on http://127.0.0.1:43210/metrics\n");
	cr_expect_eq(t_exporter_port(out, 0), 43210);
	t_write_file(out, "dm-exporter: cannot listen\n");
	cr_expect_eq(t_exporter_port(out, 100), 0);
	cr_expect_eq(t_exporter_port(t_tmp_path("none"), 100), 0);
	/* the line comes after the wait began */
	const char *late = t_tmp_path("late.out");
	cr_assert_eq(t_system("(sleep 0.2; echo 'dm-exporter: listening on "
			      "http://127.0.0.1:8123/metrics' >'%s') >/dev/null 2>&1 &", late), 0);
	cr_expect_eq(t_exporter_port(late, 5000), 8123);
}

/* ------------------------------------------------------------ paths */

Test(proc_helpers, paths_are_those_of_this_binary_and_its_checkout)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert_gt(n, 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0'; /* <build>/tests */
	struct t_paths p;
	cr_assert_eq(t_paths_find(&p), 0);
	cr_expect_str_eq(p.exe_dir, exe);
	char want[PATH_MAX + 16];
	snprintf(want, sizeof(want), "%s/../bin", exe);
	cr_expect_str_eq(p.bin, want);
	*strrchr(exe, '/') = '\0'; /* <build> */
	cr_expect_str_eq(p.build, exe);
	/* the checkout is above the build and holds tools/dmctl */
	cr_expect(strncmp(exe, p.root, strlen(p.root)) == 0 && exe[strlen(p.root)] == '/',
		  "%s is not above %s", p.root, exe);
	snprintf(want, sizeof(want), "%s/tools/dmctl", p.root);
	cr_expect_str_eq(p.dmctl, want);
	cr_expect_eq(access(p.dmctl, X_OK), 0, "%s", p.dmctl);
	snprintf(want, sizeof(want), "%s/shm/seg.h", p.root);
	cr_expect(t_exists(want), "%s is no checkout", p.root);
}

/* ------------------------------------------------------------ pid files */

/* A child that waits to be killed; its pid. */
static pid_t sleeper(void)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void write_pid(const char *path, long pid)
{
	char text[32];
	snprintf(text, sizeof(text), "%ld\n", pid);
	t_write_file(path, text);
}

/* The signal that ended child pid (reaped here), 0 if it exited. */
static int reaped_signal(pid_t pid)
{
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

Test(proc_helpers, kill_pidfile_kills_the_process_it_names_and_no_other)
{
	t_tmp_init("dmtest-proc");
	pid_t child = sleeper();
	const char *pf = t_tmp_path("x.pid");
	write_pid(pf, child);
	cr_expect_eq(t_kill_pidfile(pf), 1);
	cr_expect_eq(reaped_signal(child), SIGKILL);
	/* the process is gone now: nothing to signal */
	cr_expect_eq(t_kill_pidfile(pf), 0);
	cr_expect_eq(t_kill_pidfile(t_tmp_path("none.pid")), 0);
	t_write_file(pf, "1\n");
	cr_expect_eq(t_kill_pidfile(pf), 0, "init is never signalled");
	t_write_file(pf, "not a pid\n");
	cr_expect_eq(t_kill_pidfile(pf), 0);
}

Test(proc_helpers, kill_run_kills_the_supervisor_and_the_agents_and_unlinks_the_segment)
{
	t_tmp_init("dmtest-proc");
	pid_t sup = sleeper(), ml = sleeper(), other = sleeper();
	write_pid(t_tmp_path("supervisor.pid"), sup);
	write_pid(t_tmp_path("ml.pid"), ml);
	write_pid(t_tmp_path("something.pid"), other); /* no agent's name */
	char seg[SEG_NAME_MAX];
	t_seg_name(seg, sizeof(seg), "proc");
	int fd = shm_open(seg, O_CREAT | O_RDWR, 0600);
	cr_assert_geq(fd, 0, "shm_open %s: %s", seg, strerror(errno));
	close(fd);

	int64_t t0 = t_now_ns();
	t_kill_run(t_tmp_dir, seg);
	cr_expect_geq(t_now_ns() - t0, 200000000ll, "no time for the agents to follow");
	cr_expect_eq(reaped_signal(sup), SIGKILL);
	cr_expect_eq(reaped_signal(ml), SIGKILL);
	cr_expect_eq(kill(other, 0), 0, "a process of no agent's pid file was signalled");
	kill(other, SIGKILL);
	reaped_signal(other);
	fd = shm_open(seg, O_RDWR, 0);
	cr_expect_lt(fd, 0, "segment %s left", seg);
	if (fd >= 0) {
		close(fd);
		shm_unlink(seg);
	}
	/* nothing left: no error, and a NULL segment is allowed */
	t_kill_run(t_tmp_dir, NULL);
}

/* ------------------------------------------------------------ rings */

Test(helpers, rings_fill_counts_what_waits_in_every_ring)
{
	char name[SEG_NAME_MAX];
	struct seg_spec sp;
	struct seg s;
	t_seg_name(name, sizeof(name), "fill");
	/* one conflating ring of 16 slots: a 17th message waits in its side slot */
	t_spec_two_agents(&sp, name, 16, 64, RING_CONFLATE, 0);
	cr_assert_eq(seg_create(&s, &sp, 1), 0);
	struct ring *r = seg_ring(&s, 0);
	uint64_t msg = 0;
	cr_expect_eq(t_rings_fill(&s), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ring_try_push(r, &msg, sizeof(msg)), 0);
	cr_expect_eq(t_rings_fill(&s), 3);
	cr_assert_eq(ring_try_pop(r, &msg, sizeof(msg)), 0);
	cr_expect_eq(t_rings_fill(&s), 2);
	for (int i = 0; i < 14; i++)
		cr_assert_eq(ring_try_push(r, &msg, sizeof(msg)), 0);
	cr_assert_eq(ring_offer(r, &msg, sizeof(msg)), 1, "the side slot");
	cr_expect_eq(t_rings_fill(&s), 17, "16 slots and the side slot");
	seg_close(&s);
	seg_unlink(name);
}
