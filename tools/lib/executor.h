/*
 * executor.h — run N independent tasks of one command, on this machine or
 * as one Slurm job array, wait for them all and say which failed.
 *
 * A sweep (a hyperparameter search, a walk over dates) is many runs of one
 * command line that differ only in a task index: `dm-search --run-task 7
 * --out DIR`.  The caller gives the command once, with the argument
 * "{task}" where the index goes, and the list of indexes to run (all of
 * them, or on a resume only those without a result).
 *
 * Local.  At most opts.jobs tasks run at once, each a child in its own
 * process group, stdin from /dev/null, stdout and stderr to
 * WORKDIR/task-<i>.log.  A task failed when it exited non-zero or died of
 * a signal.
 *
 * Slurm.  WORKDIR/array.sh (bash) maps $SLURM_ARRAY_TASK_ID to the command
 * and records its exit status in WORKDIR/task-<i>.rc; one `sbatch
 * --parsable --array=LIST[%J]` submits every task, output to
 * WORKDIR/task-%a.log, working directory the caller's.  `squeue -h -j
 * JOBID` is polled until the job has left the queue; then `sacct -n -P -X
 * -j JOBID` gives each array task's state when the cluster keeps
 * accounting (slurmdbd), and a task failed when its state is not
 * COMPLETED.  Where sacct answers nothing (no accounting, or a task it does
 * not know yet), the task's .rc file decides: present and 0 is success;
 * non-zero or absent (the script was killed: time limit, scancel, node
 * failure) is failure.  WORKDIR must be a directory every node sees at the
 * same path (NFS), and so must the caller's working directory.
 * docs/research.md ("Running sweeps on a cluster").
 *
 * Never forever.  opts.timeout_ms bounds the whole run; *opts.cancel, a
 * flag the caller's SIGINT/SIGTERM handler sets, stops it early.  Either
 * way running tasks are stopped (local: SIGTERM to each task's process
 * group, SIGKILL 2 s later; Slurm: scancel JOBID) and executor_run returns
 * -ETIMEDOUT or -ECANCELED.
 *
 * Threads.  For a tool's main thread: executor_run forks (posix_spawn),
 * waits on the children it started only (never waitpid(-1)), allocates,
 * writes files and sleeps.  Nothing here installs a signal handler; the
 * caller must not ignore SIGCHLD (its children would be reaped by the
 * kernel, their exit status lost: such a task counts as failed).
 */
#ifndef DM_TOOLS_LIB_EXECUTOR_H
#define DM_TOOLS_LIB_EXECUTOR_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

enum executor_kind {
	EXECUTOR_LOCAL,
	EXECUTOR_SLURM,
};

/* The argument replaced by the task index, as a whole argument only. */
#define EXECUTOR_TASK_ARG "{task}"

struct executor_opts {
	enum executor_kind kind;
	uint32_t jobs;            /* local: tasks at once (0 = 1); slurm: the
	                             array's throttle %J (0 = none) */
	const char *workdir;      /* logs, array.sh, .rc files; made if missing
	                             (one level); shared by every node on Slurm */
	const char *partition;    /* slurm: --partition, NULL = the default one */
	const char *sbatch_extra; /* slurm: more sbatch options split at blanks
	                             (no quoting), e.g. "--time=10 --mem=2G";
	                             NULL = none */
	uint32_t poll_ms;         /* slurm: squeue poll interval, 0 = 1000 */
	uint32_t timeout_ms;      /* the whole run at most, 0 = no limit */
	const volatile sig_atomic_t *cancel; /* non-zero stops the run; NULL = never */
	/* Called from executor_run's thread whenever a task's outcome becomes
	 * known (Slurm: at the poll that sees it): done of total finished,
	 * failed of them failed.  NULL = none. */
	void (*progress)(void *ctx, uint32_t done, uint32_t failed, uint32_t total);
	void *ctx;
};

/*
 * Run tasks[0..n) of the command argv (argv[0] looked up in PATH; every
 * argument equal to "{task}" replaced by the task's index) and wait for
 * all of them.  failed[k] (caller's buffer, n entries) becomes 1 when task
 * tasks[k] failed, 0 when it succeeded.
 *
 * Returns the count of failed tasks (>= 0), or a negative errno with one
 * line in err (errlen bytes, always terminated when errlen > 0):
 *   -EINVAL     bad options: no argv, no workdir, an index listed twice,
 *               a '%' in the work directory's path (Slurm)
 *   -ENOENT     the command (local) or sbatch/squeue (Slurm) not in PATH
 *   -EIO        sbatch refused the job, or squeue kept failing; the line
 *               names the command and quotes its stderr
 *   -ETIMEDOUT  timeout_ms passed; -ECANCELED  *cancel became non-zero
 *   other       a system call failed (the line names it)
 * On a negative return failed[k] is 1 for every task not known to have
 * succeeded, so that a resume can run exactly those.
 *
 * Blocks until every task has finished (or the run is stopped).  n = 0
 * returns 0 at once.  Slurm array indexes must be below the cluster's
 * MaxArraySize (1001 by default).
 */
int executor_run(const struct executor_opts *o, char *const argv[], const uint32_t *tasks,
		 uint32_t n, uint8_t *failed, char *err, size_t errlen);

/*
 * The executor's name for "local" or "slurm" (--executor), 0 with *out
 * set, or -EINVAL.
 */
int executor_kind_parse(const char *s, enum executor_kind *out);

/*
 * Slurm's --array list of tasks[0..n): sorted, runs of consecutive indexes
 * as ranges ("0-3,5,7-9").  Writes it terminated into buf and returns its
 * length; -EINVAL when n is 0 or an index is listed twice, -ENOSPC when
 * it does not fit in len bytes.  Allocates n indexes on the heap.
 */
int executor_array_list(const uint32_t *tasks, uint32_t n, char *buf, size_t len);

/*
 * Write the array script for argv to path (mode 0755): a bash script that
 * runs argv with every "{task}" replaced by $SLURM_ARRAY_TASK_ID, every
 * argument single-quoted so that it reaches the command byte for byte,
 * and writes the command's exit status to WORKDIR/task-<i>.rc (through a
 * temporary name, so a reader sees the whole number or nothing).  workdir
 * as given (absolute for a cluster).  Returns 0 or a negative errno.
 */
int executor_script_write(const char *path, const char *workdir, char *const argv[]);

#endif /* DM_TOOLS_LIB_EXECUTOR_H */
