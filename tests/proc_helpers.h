/*
 * proc_helpers.h — processes and paths shared by the tests and the
 * benchmarks (prefix t_): where the build under test and tools/dmctl are,
 * shell command lines, the pid files of a run directory.
 *
 * No Criterion here: the benchmarks link this file too.  Failures are
 * return values (or, in t_paths_or_exit, the end of the program); the
 * tests' Criterion-bound forms are in tests/helpers.h, which includes
 * this header.
 */
#ifndef DM_TESTS_PROC_HELPERS_H
#define DM_TESTS_PROC_HELPERS_H

#include <limits.h>

/* 1 when path exists (stat succeeds), else 0. */
int t_exists(const char *path);

/* 1 as soon as path exists, polled every 50 ms for up to timeout_s
 * seconds; else 0.  Sleeps. */
int t_wait_file(const char *path, int timeout_s);

/*
 * The shell command line fmt, ... run by system(): its exit status, 128 +
 * the signal when the shell was killed, -1 when system() failed or the line
 * is longer than 4095 bytes (said on stderr, nothing run).
 */
int t_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last `lines` lines of every *.log in run directory dir, to stderr
 * (what a test shows when the system did not do what it expected). */
void t_show_logs(const char *dir, int lines);

/*
 * Where the system under test is, from the running program
 * (/proc/self/exe): a test is <build>/tests/test_x, a benchmark
 * <build>/bench/bench_x; the agents and tools are <build>/bin; the
 * checkout is the nearest directory above that holds tools/dmctl.
 */
struct t_paths {
	char exe_dir[PATH_MAX / 4]; /* <build>/tests or <build>/bench */
	char build[PATH_MAX / 4];   /* <build> */
	char bin[PATH_MAX / 2];     /* <exe_dir>/../bin: the build's programs */
	char root[PATH_MAX / 4];    /* the checkout: holds tools/dmctl */
	char dmctl[PATH_MAX / 2];   /* <root>/tools/dmctl */
};

/*
 * Fill *p.  Returns 0; -errno when /proc/self/exe cannot be read (p->exe_dir
 * empty); -ENOENT when no directory up to six levels above p->exe_dir holds
 * tools/dmctl (p->exe_dir, p->build and p->bin are filled).
 */
int t_paths_find(struct t_paths *p);

/* t_paths_find, or exit 1 after "<prog>: cannot read /proc/self/exe" or
 * "<prog>: tools/dmctl not found above <exe_dir>" on stderr.  For programs
 * without Criterion (the tests call t_paths_or_fail). */
void t_paths_or_exit(struct t_paths *p, const char *prog);

/*
 * The port a dm-exporter started with --listen 127.0.0.1:0 serves on: the
 * first line of its standard output, in the file at path, "dm-exporter:
 * listening on http://127.0.0.1:PORT/...", polled every 20 ms for up to
 * timeout_ms.  0 when no such line came.  Sleeps.
 */
int t_exporter_port(const char *path, int timeout_ms);

/* SIGKILL to the process whose pid (above 1) the file at path holds.
 * Returns 1 when the signal was sent, 0 when there was no such file, no
 * pid in it, or no such process. */
int t_kill_pidfile(const char *path);

/*
 * What a run left, after a test that may have stopped half way: SIGKILL to
 * the supervisor and to every agent named by the pid files of run
 * directory dir (supervisor.pid, <agent>.pid); when any was signalled,
 * 200 ms for the agents not yet in a pid file to die with the supervisor
 * (PR_SET_PDEATHSIG); then the segment seg is unlinked (NULL: none).
 */
void t_kill_run(const char *dir, const char *seg);

#endif /* DM_TESTS_PROC_HELPERS_H */
