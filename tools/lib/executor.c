/*
 * executor.c — tasks of a sweep, local (posix_spawn, at most J at once) or
 * one Slurm job array (sbatch, squeue, sacct, scancel run as commands).
 *
 * Design note.
 *
 *   Outcome.  failed[] starts all ones and a task's entry becomes 0 only
 *   when its success is known, so every way out (a stop, a spawn error,
 *   squeue lost) leaves exactly the tasks a resume must run again marked.
 *
 *   Waiting.  The loops never block without a bound: local children are
 *   reaped with waitpid(pid, WNOHANG) between naps of 1..20 ms, Slurm is
 *   polled every poll_ms, and every nap is cut into slices of at most
 *   50 ms that look at the stop conditions (opts.cancel, the deadline).
 *   A signal interrupts a nap at once.  Only pids this module started are
 *   waited for, so a caller's other children are left alone.
 *
 *   Commands.  Slurm's clients run through run_cmd: stdout to a growing
 *   buffer, stderr to a fixed one (the first line goes into messages), a
 *   limit of CMD_LIMIT_MS each (a client stuck on a dead controller is
 *   killed and counts as a failed call), and the run's stop conditions.
 *
 *   Identity.  A task is its index; tasks[] may come in any order and
 *   map[] (sorted by index) turns an index Slurm reports back into its
 *   position k in tasks[] and failed[].
 */
#include "tools/lib/executor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define KILL_GRACE_MS    2000   /* SIGTERM to SIGKILL for a stopped local task */
#define CMD_LIMIT_MS     120000 /* one Slurm client command at most */
#define SCANCEL_LIMIT_MS 10000  /* scancel after a stop, which has no deadline left */
#define SQUEUE_FAILS_MAX 10     /* squeue failures in a row before giving up */
#define SACCT_TRIES      3      /* sacct calls while accounting lags the job's end */
#define RC_GRACE_MS      3000   /* re-reads of absent .rc files (NFS caches) */
#define NAP_SLICE_MS     50
#define DEFAULT_POLL_MS  1000

/* position k of task index `task` in tasks[] */
struct task_pos {
	uint32_t task;
	uint32_t pos;
};

struct run {
	const struct executor_opts *o;
	int64_t deadline_ms; /* CLOCK_MONOTONIC; 0 = none */
	char *err;
	size_t errlen;
	uint32_t done, nfailed, total;
};

static void seterr(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(const struct run *r, const char *fmt, ...)
{
	if (!r->err || r->errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -ECANCELED or -ETIMEDOUT when the run must stop, else 0 */
static int stop_reason(const struct run *r)
{
	if (r->o->cancel && *r->o->cancel)
		return -ECANCELED;
	if (r->deadline_ms && now_ms() >= r->deadline_ms)
		return -ETIMEDOUT;
	return 0;
}

static void stop_message(const struct run *r, int rc, const char *what)
{
	if (rc == -ECANCELED)
		seterr(r, "cancelled: %s", what);
	else
		seterr(r, "timed out after %u ms: %s", r->o->timeout_ms, what);
}

/* Sleep ms, in slices that look at the stop conditions; returns early on
 * a stop or a signal. */
static void nap(const struct run *r, uint32_t ms)
{
	int64_t end = now_ms() + ms;
	for (;;) {
		if (stop_reason(r))
			return;
		int64_t left = end - now_ms();
		if (left <= 0)
			return;
		if (left > NAP_SLICE_MS)
			left = NAP_SLICE_MS;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)left * 1000000L };
		if (nanosleep(&ts, NULL) != 0 && errno == EINTR)
			return;
	}
}

static void progress(struct run *r)
{
	if (r->o->progress)
		r->o->progress(r->o->ctx, r->done, r->nfailed, r->total);
}

static int cmp_task_pos(const void *a, const void *b)
{
	uint32_t x = ((const struct task_pos *)a)->task, y = ((const struct task_pos *)b)->task;
	return (x > y) - (x < y);
}

/* map[] of tasks[0..n) sorted by index; -EINVAL with *dup set when an
 * index comes twice */
static int task_map(const uint32_t *tasks, uint32_t n, struct task_pos *map, uint32_t *dup)
{
	for (uint32_t k = 0; k < n; k++)
		map[k] = (struct task_pos){ .task = tasks[k], .pos = k };
	qsort(map, n, sizeof(*map), cmp_task_pos);
	for (uint32_t k = 1; k < n; k++) {
		if (map[k].task == map[k - 1].task) {
			*dup = map[k].task;
			return -EINVAL;
		}
	}
	return 0;
}

/* position of task index t, or -1 */
static int64_t task_find(const struct task_pos *map, uint32_t n, uint32_t t)
{
	struct task_pos key = { .task = t };
	const struct task_pos *p = bsearch(&key, map, n, sizeof(*map), cmp_task_pos);
	return p ? (int64_t)p->pos : -1;
}

/* The signals a task starts with at their default action, nothing
 * blocked, whatever the caller ignores or blocks; its own process group
 * when own_group. */
static int spawn_attr(posix_spawnattr_t *at, bool own_group)
{
	sigset_t def, none;
	int rc = posix_spawnattr_init(at);
	if (rc)
		return rc;
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGQUIT);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGCHLD);
	sigemptyset(&none);
	short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
	if (own_group)
		flags |= POSIX_SPAWN_SETPGROUP;
	rc = posix_spawnattr_setflags(at, flags);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(at, &def);
	if (!rc)
		rc = posix_spawnattr_setsigmask(at, &none);
	if (!rc && own_group)
		rc = posix_spawnattr_setpgroup(at, 0);
	if (rc)
		posix_spawnattr_destroy(at);
	return rc;
}

/* ------------------------------------------------------------ public helpers */

int executor_kind_parse(const char *s, enum executor_kind *out)
{
	if (s && strcmp(s, "local") == 0)
		*out = EXECUTOR_LOCAL;
	else if (s && strcmp(s, "slurm") == 0)
		*out = EXECUTOR_SLURM;
	else
		return -EINVAL;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

int executor_array_list(const uint32_t *tasks, uint32_t n, char *buf, size_t len)
{
	if (n == 0 || !tasks)
		return -EINVAL;
	uint32_t *s = malloc((size_t)n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s, tasks, (size_t)n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u32);
	int rc = 0;
	size_t at = 0;
	for (uint32_t k = 0; k < n;) {
		if (k > 0 && s[k] == s[k - 1]) {
			rc = -EINVAL;
			goto free_sorted;
		}
		uint32_t j = k;
		while (j + 1 < n && s[j + 1] == s[j] + 1)
			j++;
		int w = j == k ? snprintf(buf + at, len - at, "%s%u", at ? "," : "", s[k])
			       : snprintf(buf + at, len - at, "%s%u-%u", at ? "," : "", s[k], s[j]);
		if (w < 0 || (size_t)w >= len - at) {
			rc = -ENOSPC;
			goto free_sorted;
		}
		at += (size_t)w;
		k = j + 1;
	}
	rc = (int)at;
free_sorted:
	free(s);
	return rc;
}

/* s single-quoted for bash: every byte as is, ' as '\'' */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

int executor_script_write(const char *path, const char *workdir, char *const argv[])
{
	if (!path || !workdir || !argv || !argv[0])
		return -EINVAL;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0755) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int e = errno;
		close(fd);
		return -e;
	}
	fputs("#!/bin/bash\n"
	      "# array.sh: written by the sweep executor (tools/lib/executor.c) for one\n"
	      "# submission.  Each Slurm array task runs the command below with its\n"
	      "# index and leaves the command's exit status in task-<index>.rc, which\n"
	      "# the executor reads where the cluster keeps no accounting.\n"
	      "i=${SLURM_ARRAY_TASK_ID:?array.sh runs as a Slurm array task}\n"
	      "rc_file=",
	      f);
	put_quoted(f, workdir);
	fputs("/task-$i.rc\n"
	      "rm -f -- \"$rc_file\"\n",
	      f);
	for (size_t k = 0; argv[k]; k++) {
		if (k)
			fputc(' ', f);
		if (strcmp(argv[k], EXECUTOR_TASK_ARG) == 0)
			fputs("\"$i\"", f);
		else
			put_quoted(f, argv[k]);
	}
	fputs("\n"
	      "rc=$?\n"
	      "printf '%d\\n' \"$rc\" >\"$rc_file.tmp.$$\" && mv -f -- \"$rc_file.tmp.$$\" \"$rc_file\"\n"
	      "exit \"$rc\"\n",
	      f);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return errno ? -errno : -EIO;
	return 0;
}

/* ------------------------------------------------------------ local */

struct child {
	pid_t pid; /* 0 = free slot */
	uint32_t pos;
};

static int local_spawn(struct run *r, char *const argv[], char **av, uint32_t task, pid_t *pid)
{
	char num[16], log[PATH_MAX];
	snprintf(num, sizeof(num), "%u", task);
	for (size_t k = 0; argv[k]; k++)
		av[k] = strcmp(argv[k], EXECUTOR_TASK_ARG) == 0 ? num : argv[k];

	int w = snprintf(log, sizeof(log), "%s/task-%u.log", r->o->workdir, task);
	if (w < 0 || (size_t)w >= sizeof(log)) {
		seterr(r, "%s/task-%u.log: path too long", r->o->workdir, task);
		return -ENAMETOOLONG;
	}
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		seterr(r, "cannot open %s: %s", log, strerror(e));
		return -e;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		goto close_log;
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, fd, 1);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, fd, 2);
	if (rc)
		goto destroy_actions;
	rc = spawn_attr(&at, true);
	if (rc)
		goto destroy_actions;
	rc = posix_spawnp(pid, argv[0], &fa, &at, av, environ);
	posix_spawnattr_destroy(&at);
destroy_actions:
	posix_spawn_file_actions_destroy(&fa);
close_log:
	close(fd);
	if (rc) {
		seterr(r, "cannot run %s (task %u): %s", argv[0], task, strerror(rc));
		return -rc;
	}
	return 0;
}

/* A reaped child's verdict: success only on exit status 0. */
static void local_reaped(struct run *r, struct child *c, int status, uint8_t *failed)
{
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	failed[c->pos] = !ok;
	r->done++;
	r->nfailed += !ok;
	c->pid = 0;
}

/* Stop every running task: SIGTERM to its group, SIGKILL after the
 * grace, then reap.  Their failed[] entries stay 1. */
static void local_stop_all(struct child *kids, uint32_t jobs)
{
	for (uint32_t s = 0; s < jobs; s++)
		if (kids[s].pid > 0)
			kill(-kids[s].pid, SIGTERM);
	int64_t end = now_ms() + KILL_GRACE_MS;
	for (;;) {
		uint32_t left = 0;
		for (uint32_t s = 0; s < jobs; s++) {
			if (kids[s].pid <= 0)
				continue;
			int st;
			pid_t w = waitpid(kids[s].pid, &st, WNOHANG);
			if (w == kids[s].pid || (w < 0 && errno == ECHILD)) {
				/* the group may outlive its leader: a shell's own children */
				kill(-kids[s].pid, SIGKILL);
				kids[s].pid = 0;
			} else {
				left++;
			}
		}
		if (!left || now_ms() >= end)
			break;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	for (uint32_t s = 0; s < jobs; s++) {
		if (kids[s].pid <= 0)
			continue;
		kill(-kids[s].pid, SIGKILL);
		int st;
		while (waitpid(kids[s].pid, &st, 0) < 0 && errno == EINTR)
			;
		kids[s].pid = 0;
	}
}

static int local_run(struct run *r, char *const argv[], const uint32_t *tasks, uint32_t n,
		     uint8_t *failed)
{
	uint32_t jobs = r->o->jobs ? r->o->jobs : 1;
	if (jobs > n)
		jobs = n;
	size_t argc = 0;
	while (argv[argc])
		argc++;
	char **av = calloc(argc + 1, sizeof(*av));
	struct child *kids = calloc(jobs, sizeof(*kids));
	int rc = 0;
	if (!av || !kids) {
		seterr(r, "out of memory for %u tasks", jobs);
		rc = -ENOMEM;
		goto free_all;
	}
	uint32_t next = 0, running = 0, nap_ms = 1;
	for (;;) {
		rc = stop_reason(r);
		if (rc) {
			stop_message(r, rc, "running tasks stopped");
			local_stop_all(kids, jobs);
			goto free_all;
		}
		for (uint32_t s = 0; s < jobs && next < n; s++) {
			if (kids[s].pid)
				continue;
			rc = local_spawn(r, argv, av, tasks[next], &kids[s].pid);
			if (rc) {
				kids[s].pid = 0;
				local_stop_all(kids, jobs);
				goto free_all;
			}
			kids[s].pos = next++;
			running++;
		}
		if (running == 0)
			break;
		uint32_t reaped = 0;
		for (uint32_t s = 0; s < jobs; s++) {
			if (!kids[s].pid)
				continue;
			int st = 0;
			pid_t w = waitpid(kids[s].pid, &st, WNOHANG);
			if (w == 0 || (w < 0 && errno == EINTR))
				continue;
			if (w < 0) {
				/* ECHILD: someone else reaped it (a caller that ignores
				 * SIGCHLD); its status is lost, count it failed */
				st = 1 << 8;
			}
			local_reaped(r, &kids[s], st, failed);
			running--;
			reaped++;
			progress(r);
		}
		if (reaped) {
			nap_ms = 1;
			continue;
		}
		nap(r, nap_ms);
		nap_ms = nap_ms * 2 > 20 ? 20 : nap_ms * 2;
	}
	rc = (int)r->nfailed;
free_all:
	free(kids);
	free(av);
	return rc;
}

/* ------------------------------------------------------------ commands */

struct cmd_out {
	char *out;        /* stdout, terminated; malloc'd */
	size_t out_len, out_cap;
	char err[1024];   /* stderr's first bytes, terminated */
	size_t err_len;
	int status;       /* exit status, 128+signal, or 124: killed at its limit */
};

static void cmd_out_free(struct cmd_out *c)
{
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_cap = 0;
}

/* stderr's first line, for a message */
static const char *cmd_err_line(struct cmd_out *c)
{
	char *nl = strchr(c->err, '\n');
	if (nl)
		*nl = '\0';
	return c->err[0] ? c->err : "(no message)";
}

static int cmd_take(int fd, struct cmd_out *c, bool is_out)
{
	char chunk[4096];
	ssize_t got = read(fd, chunk, sizeof(chunk));
	if (got < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (got == 0)
		return 0;
	if (is_out) {
		if (c->out_len + (size_t)got + 1 > c->out_cap) {
			size_t cap = c->out_cap ? c->out_cap * 2 : 8192;
			while (cap < c->out_len + (size_t)got + 1)
				cap *= 2;
			char *p = realloc(c->out, cap);
			if (!p)
				return 1; /* keep draining, drop the bytes */
			c->out = p;
			c->out_cap = cap;
		}
		memcpy(c->out + c->out_len, chunk, (size_t)got);
		c->out_len += (size_t)got;
		c->out[c->out_len] = '\0';
	} else {
		size_t room = sizeof(c->err) - 1 - c->err_len;
		size_t take = (size_t)got < room ? (size_t)got : room;
		memcpy(c->err + c->err_len, chunk, take);
		c->err_len += take;
		c->err[c->err_len] = '\0';
	}
	return 1;
}

/*
 * Run av, stdout and stderr into *c, at most limit_ms; stoppable: also
 * the run's stop conditions.  Returns 0 with c->status set, -errno when it
 * could not start (-ENOENT: not in PATH), or the stop reason (the command
 * killed).  A command killed at its own limit returns 0, status 124.
 */
static int run_cmd(const struct run *r, char *const av[], struct cmd_out *c, int64_t limit_ms,
		   bool stoppable)
{
	memset(c, 0, sizeof(*c));
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC) != 0) {
		int e = errno;
		close(po[0]);
		close(po[1]);
		return -e;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	pid_t pid = 0;
	int rc = posix_spawn_file_actions_init(&fa);
	if (!rc) {
		rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		if (!rc)
			rc = posix_spawn_file_actions_adddup2(&fa, po[1], 1);
		if (!rc)
			rc = posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
		if (!rc)
			rc = spawn_attr(&at, true);
		if (!rc) {
			rc = posix_spawnp(&pid, av[0], &fa, &at, av, environ);
			posix_spawnattr_destroy(&at);
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	close(po[1]);
	close(pe[1]);
	if (rc) {
		close(po[0]);
		close(pe[0]);
		return -rc;
	}

	int64_t end = now_ms() + limit_ms;
	if (stoppable && r->deadline_ms && r->deadline_ms < end)
		end = r->deadline_ms;
	struct pollfd fds[2] = { { .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN } };
	int stop = 0;
	bool killed = false;
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (stoppable)
			stop = stop_reason(r);
		if (stop || now_ms() >= end) {
			killed = true;
			kill(-pid, SIGKILL);
			break;
		}
		int nr = poll(fds, 2, NAP_SLICE_MS);
		if (nr < 0 && errno != EINTR)
			break;
		for (int k = 0; nr > 0 && k < 2; k++) {
			if (fds[k].fd < 0 || !fds[k].revents)
				continue;
			if (!cmd_take(fds[k].fd, c, k == 0)) {
				close(fds[k].fd);
				fds[k].fd = -1;
			}
		}
	}
	for (int k = 0; k < 2; k++)
		if (fds[k].fd >= 0)
			close(fds[k].fd);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (stop)
		return stop;
	if (killed)
		c->status = 124;
	else if (WIFEXITED(st))
		c->status = WEXITSTATUS(st);
	else
		c->status = 128 + WTERMSIG(st);
	if (killed)
		snprintf(c->err, sizeof(c->err), "no answer in %lld ms", (long long)limit_ms);
	return 0;
}

/* ------------------------------------------------------------ slurm */

/* A task's exit status file: 1 success, 2 failure, 0 not there (yet) */
static int rc_file_read(const char *wd, uint32_t task)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/task-%u.rc", wd, task);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int v = -1;
	int got = fscanf(f, "%d", &v);
	fclose(f);
	return got == 1 && v == 0 ? 1 : 2;
}

static void slurm_cancel(const struct run *r, const char *jobid)
{
	char *av[] = { "scancel", (char *)jobid, NULL };
	struct cmd_out c;
	if (run_cmd(r, av, &c, SCANCEL_LIMIT_MS, false) == 0)
		cmd_out_free(&c);
}

/* Progress from the .rc files that appeared since the last look. */
static void slurm_scan(struct run *r, const char *wd, const struct task_pos *map, uint32_t n,
		       uint8_t *seen)
{
	bool changed = false;
	for (uint32_t k = 0; k < n; k++) {
		if (seen[k])
			continue;
		int v = rc_file_read(wd, map[k].task);
		if (!v)
			continue;
		seen[k] = (uint8_t)v;
		r->done++;
		r->nfailed += v == 2;
		changed = true;
	}
	if (changed)
		progress(r);
}

/* sacct states a task leaves; any other state is final */
static bool state_is_live(const char *s, size_t len)
{
	static const char *const live[] = { "PENDING",   "RUNNING",    "REQUEUED", "RESIZING",
					    "SUSPENDED", "COMPLETING", "CONFIGURING" };
	for (size_t k = 0; k < sizeof(live) / sizeof(live[0]); k++)
		if (strlen(live[k]) == len && memcmp(live[k], s, len) == 0)
			return true;
	return false;
}

/*
 * Read `sacct -n -P -X -j JOBID --format=JobID,State,ExitCode` lines
 * ("12_3|COMPLETED|0:0") into verdict[] by position (1 ok, 2 failed) for
 * every task whose state is final; returns how many tasks lack one.
 */
static uint32_t sacct_parse(const char *out, unsigned long jobid, const struct task_pos *map,
			    uint32_t n, uint8_t *verdict)
{
	for (const char *line = out; line && *line;) {
		const char *eol = strchr(line, '\n');
		const char *next = eol ? eol + 1 : NULL;
		char *end;
		unsigned long id = strtoul(line, &end, 10);
		if (end != line && id == jobid && *end == '_' && end[1] >= '0' && end[1] <= '9') {
			unsigned long idx = strtoul(end + 1, &end, 10);
			if (*end == '|' && idx <= UINT32_MAX) {
				const char *st = end + 1;
				size_t len = strcspn(st, "| \n");
				int64_t pos = task_find(map, n, (uint32_t)idx);
				if (pos >= 0 && !state_is_live(st, len))
					verdict[pos] = len == 9 && memcmp(st, "COMPLETED", 9) == 0 ? 1 : 2;
			}
		}
		line = next;
	}
	uint32_t unknown = 0;
	for (uint32_t k = 0; k < n; k++)
		unknown += verdict[k] == 0;
	return unknown;
}

/* The sbatch command line: NULL-terminated, strings malloc'd in *own. */
struct argbuf {
	char **av;
	size_t n, cap;
};

static int arg_push(struct argbuf *a, char *s)
{
	if (!s)
		return -ENOMEM;
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		char **p = realloc(a->av, cap * sizeof(*p));
		if (!p) {
			free(s);
			return -ENOMEM;
		}
		a->av = p;
		a->cap = cap;
	}
	a->av[a->n++] = s;
	a->av[a->n] = NULL;
	return 0;
}

static void arg_free(struct argbuf *a)
{
	for (size_t k = 0; k < a->n; k++)
		free(a->av[k]);
	free(a->av);
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, f);
	int w = vasprintf(&s, f, ap);
	va_end(ap);
	return w < 0 ? NULL : s;
}

/* "sbatch --parsable ... array.sh" for a message, abridged */
static void join_args(char *const av[], char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t k = 0; av[k] && at + 1 < len; k++) {
		int w = snprintf(buf + at, len - at, "%s%s", k ? " " : "", av[k]);
		if (w < 0)
			break;
		at += (size_t)w;
	}
	if (at >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

static int sbatch_args(const struct executor_opts *o, const char *wd, const char *cwd,
		       const char *list, const char *name, struct argbuf *a)
{
	int rc = 0;
	rc = rc ? rc : arg_push(a, strdup("sbatch"));
	rc = rc ? rc : arg_push(a, strdup("--parsable"));
	rc = rc ? rc : arg_push(a, o->jobs ? fmt("--array=%s%%%u", list, o->jobs) : fmt("--array=%s", list));
	rc = rc ? rc : arg_push(a, fmt("--output=%s/task-%%a.log", wd));
	rc = rc ? rc : arg_push(a, fmt("--chdir=%s", cwd));
	rc = rc ? rc : arg_push(a, fmt("--job-name=%s", name));
	if (o->partition && o->partition[0])
		rc = rc ? rc : arg_push(a, fmt("--partition=%s", o->partition));
	if (o->sbatch_extra) {
		const char *p = o->sbatch_extra;
		while (!rc && *p) {
			p += strspn(p, " \t\n");
			size_t len = strcspn(p, " \t\n");
			if (len)
				rc = arg_push(a, strndup(p, len));
			p += len;
		}
	}
	rc = rc ? rc : arg_push(a, fmt("%s/array.sh", wd));
	return rc;
}

static int slurm_run(struct run *r, char *const argv[], const uint32_t *tasks, uint32_t n,
		     uint8_t *failed, const struct task_pos *map)
{
	const struct executor_opts *o = r->o;
	char wd[PATH_MAX], cwd[PATH_MAX], path[PATH_MAX + 32], shown[512], jobid[32];
	struct argbuf sb = { 0 };
	struct cmd_out c = { 0 };
	uint8_t *verdict = NULL;
	char *list = NULL;
	int rc;

	if (!realpath(o->workdir, wd) || !getcwd(cwd, sizeof(cwd))) {
		rc = -errno;
		seterr(r, "%s: %s", o->workdir, strerror(errno));
		return rc;
	}
	if (strchr(wd, '%')) {
		/* sbatch would read it as a pattern (%a, %j) in --output */
		seterr(r, "%s: a '%%' in the work directory's path; choose another directory", wd);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/array.sh", wd);
	rc = executor_script_write(path, wd, argv);
	if (rc) {
		seterr(r, "cannot write %s: %s", path, strerror(-rc));
		return rc;
	}
	/* an .rc file left by an earlier run of the same task must not count */
	for (uint32_t k = 0; k < n; k++) {
		snprintf(path, sizeof(path), "%s/task-%u.rc", wd, tasks[k]);
		unlink(path);
	}

	size_t list_len = (size_t)n * 22 + 1;
	list = malloc(list_len);
	verdict = calloc(n, 1);
	if (!list || !verdict) {
		seterr(r, "out of memory for %u tasks", n);
		rc = -ENOMEM;
		goto free_all;
	}
	rc = executor_array_list(tasks, n, list, list_len);
	if (rc < 0) {
		seterr(r, "cannot make the --array list of %u tasks: %s", n, strerror(-rc));
		goto free_all;
	}
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	rc = sbatch_args(o, wd, cwd, list, name, &sb);
	if (rc) {
		seterr(r, "out of memory for the sbatch command line");
		goto free_all;
	}
	join_args(sb.av, shown, sizeof(shown));

	rc = run_cmd(r, sb.av, &c, CMD_LIMIT_MS, true);
	if (rc == -ENOENT) {
		seterr(r, "sbatch: not found in PATH (Slurm's client commands; make deps-slurm "
			  "installs them, a cluster's login node has them)");
		goto free_all;
	}
	if (rc == -ECANCELED || rc == -ETIMEDOUT) {
		/* sbatch was killed mid-way: a job may exist that we never learn */
		stop_message(r, rc, "during sbatch; check squeue for a job named after the command");
		goto free_all;
	}
	if (rc) {
		seterr(r, "cannot run sbatch: %s", strerror(-rc));
		goto free_all;
	}
	if (c.status != 0) {
		seterr(r, "%s: exit %d: %s", shown, c.status, cmd_err_line(&c));
		rc = -EIO;
		goto free_all;
	}
	size_t idl = c.out ? strspn(c.out, "0123456789") : 0;
	if (idl == 0 || idl >= sizeof(jobid)) {
		seterr(r, "%s: printed no job id ('%.40s')", shown, c.out ? c.out : "");
		rc = -EIO;
		goto free_all;
	}
	memcpy(jobid, c.out, idl);
	jobid[idl] = '\0';
	cmd_out_free(&c);

	/* wait until the job has left the queue; progress from the .rc files */
	uint8_t *seen = verdict; /* reused below: cleared before sacct */
	uint32_t poll_ms = o->poll_ms ? o->poll_ms : DEFAULT_POLL_MS;
	uint32_t fails = 0;
	char *sq[] = { "squeue", "-h", "-j", jobid, "-o", "%T", NULL };
	for (;;) {
		nap(r, poll_ms);
		rc = stop_reason(r);
		if (rc)
			goto cancel_job;
		slurm_scan(r, wd, map, n, seen);
		rc = run_cmd(r, sq, &c, CMD_LIMIT_MS, true);
		if (rc == -ECANCELED || rc == -ETIMEDOUT)
			goto cancel_job;
		if (rc) {
			seterr(r, "cannot run squeue: %s (job %s is still queued or running)", strerror(-rc), jobid);
			goto free_all;
		}
		bool gone = (c.status == 0 && (!c.out || c.out[strspn(c.out, " \n")] == '\0')) ||
			    (c.status != 0 && strstr(c.err, "Invalid job id"));
		if (c.status == 0 || gone) {
			fails = 0;
		} else if (++fails >= SQUEUE_FAILS_MAX) {
			seterr(r, "squeue -h -j %s: exit %d, %u times in a row: %s", jobid, c.status, fails,
			       cmd_err_line(&c));
			cmd_out_free(&c);
			rc = -EIO;
			goto free_all;
		}
		cmd_out_free(&c);
		if (gone)
			break;
	}

	/* each task's state: sacct where the cluster keeps accounting ... */
	memset(verdict, 0, n);
	char *sa[] = { "sacct", "-n", "-P", "-X", "-j", jobid, "--format=JobID,State,ExitCode", NULL };
	uint32_t unknown = n;
	for (int tries = 0; tries < SACCT_TRIES && unknown; tries++) {
		if (tries)
			nap(r, poll_ms);
		rc = run_cmd(r, sa, &c, CMD_LIMIT_MS, true);
		if (rc == -ECANCELED || rc == -ETIMEDOUT)
			goto stopped;
		if (rc || c.status != 0) {
			/* not installed, or "Slurm accounting storage is disabled" */
			cmd_out_free(&c);
			break;
		}
		unknown = sacct_parse(c.out, strtoul(jobid, NULL, 10), map, n, verdict);
		cmd_out_free(&c);
	}
	/* ... and the .rc files for the rest; an absent one may be late (NFS) */
	int64_t grace_end = now_ms() + RC_GRACE_MS;
	for (;;) {
		unknown = 0;
		for (uint32_t k = 0; k < n; k++) {
			if (verdict[k])
				continue;
			int v = rc_file_read(wd, tasks[k]);
			verdict[k] = (uint8_t)v;
			unknown += v == 0;
		}
		if (!unknown || now_ms() >= grace_end || stop_reason(r))
			break;
		nap(r, 200);
	}
	r->done = n;
	r->nfailed = 0;
	for (uint32_t k = 0; k < n; k++) {
		failed[k] = verdict[k] != 1;
		r->nfailed += failed[k];
	}
	progress(r);
	rc = (int)r->nfailed;
	goto free_all;

cancel_job:
	slurm_cancel(r, jobid);
	stop_message(r, rc, "job cancelled (scancel)");
	goto free_all;
stopped:
	stop_message(r, rc, "the job had ended; its tasks' states were not read");
free_all:
	cmd_out_free(&c);
	arg_free(&sb);
	free(list);
	free(verdict);
	return rc;
}

/* ------------------------------------------------------------ entry */

int executor_run(const struct executor_opts *o, char *const argv[], const uint32_t *tasks,
		 uint32_t n, uint8_t *failed, char *err, size_t errlen)
{
	struct run r = { .o = o, .err = err, .errlen = errlen, .total = n };
	if (err && errlen)
		err[0] = '\0';
	if (n && failed)
		memset(failed, 1, n);
	if (!o) {
		if (err && errlen)
			snprintf(err, errlen, "no options");
		return -EINVAL;
	}
	if (!argv || !argv[0] || !argv[0][0]) {
		seterr(&r, "no command to run");
		return -EINVAL;
	}
	if (!o->workdir || !o->workdir[0]) {
		seterr(&r, "no work directory");
		return -EINVAL;
	}
	if (o->kind != EXECUTOR_LOCAL && o->kind != EXECUTOR_SLURM) {
		seterr(&r, "unknown executor kind %d", (int)o->kind);
		return -EINVAL;
	}
	if (n == 0)
		return 0;
	if (!tasks || !failed) {
		seterr(&r, "no task list or no failed[] buffer");
		return -EINVAL;
	}
	if (mkdir(o->workdir, 0755) != 0 && errno != EEXIST) {
		int e = errno;
		seterr(&r, "cannot make %s: %s", o->workdir, strerror(e));
		return -e;
	}
	struct stat sb;
	if (stat(o->workdir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		seterr(&r, "%s: not a directory", o->workdir);
		return -ENOTDIR;
	}

	struct task_pos *map = malloc((size_t)n * sizeof(*map));
	if (!map) {
		seterr(&r, "out of memory for %u tasks", n);
		return -ENOMEM;
	}
	uint32_t dup = 0;
	int rc = task_map(tasks, n, map, &dup);
	if (rc) {
		seterr(&r, "task %u listed twice", dup);
		goto free_map;
	}
	if (o->timeout_ms)
		r.deadline_ms = now_ms() + o->timeout_ms;
	rc = o->kind == EXECUTOR_LOCAL ? local_run(&r, argv, tasks, n, failed)
				       : slurm_run(&r, argv, tasks, n, failed, map);
free_map:
	free(map);
	return rc;
}
