/* proc_helpers.c — processes and paths for tests and benchmarks (proc_helpers.h). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agents/rt/topology.h"
#include "shm/seg.h"
#include "tests/proc_helpers.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int t_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

int t_wait_file(const char *path, int timeout_s)
{
	for (int i = 0; i < timeout_s * 20; i++) {
		if (t_exists(path))
			return 1;
		sleep_ms(50);
	}
	return t_exists(path);
}

int t_system(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd)) {
		fprintf(stderr, "t_system: command longer than %zu bytes: %.80s...\n",
			sizeof(cmd) - 1, cmd);
		return -1;
	}
	int rc = system(cmd);
	return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

void t_show_logs(const char *dir, int lines)
{
	t_system("tail -n %d '%s'/*.log >&2", lines, dir);
}

int t_paths_find(struct t_paths *p)
{
	memset(p, 0, sizeof(*p));
	ssize_t n = readlink("/proc/self/exe", p->exe_dir, sizeof(p->exe_dir) - 1);
	if (n <= 0) {
		int e = n < 0 ? errno : ENOENT;
		p->exe_dir[0] = '\0';
		return -e;
	}
	p->exe_dir[n] = '\0';
	char *s = strrchr(p->exe_dir, '/');
	if (s)
		*s = '\0'; /* <build>/tests */
	snprintf(p->build, sizeof(p->build), "%s", p->exe_dir);
	s = strrchr(p->build, '/');
	if (s && s != p->build)
		*s = '\0';
	snprintf(p->bin, sizeof(p->bin), "%s/../bin", p->exe_dir);
	char dir[sizeof(p->exe_dir)];
	snprintf(dir, sizeof(dir), "%s", p->exe_dir);
	for (int up = 0; up < 6; up++) {
		snprintf(p->dmctl, sizeof(p->dmctl), "%s/tools/dmctl", dir);
		if (t_exists(p->dmctl)) {
			snprintf(p->root, sizeof(p->root), "%s", dir);
			return 0;
		}
		s = strrchr(dir, '/');
		if (!s || s == dir)
			break;
		*s = '\0';
	}
	p->dmctl[0] = '\0';
	return -ENOENT;
}

void t_paths_or_exit(struct t_paths *p, const char *prog)
{
	int rc = t_paths_find(p);
	if (rc == 0)
		return;
	if (p->exe_dir[0])
		fprintf(stderr, "%s: tools/dmctl not found above %s\n", prog, p->exe_dir);
	else
		fprintf(stderr, "%s: cannot read /proc/self/exe\n", prog);
	exit(1);
}

int t_exporter_port(const char *path, int timeout_ms)
{
	for (int waited = 0;; waited += 20) {
		FILE *f = fopen(path, "r");
		char line[256];
		int port = 0;
		if (f && fgets(line, sizeof(line), f) &&
		    sscanf(line, "dm-exporter: listening on http://127.0.0.1:%d/", &port) == 1) {
			fclose(f);
			return port;
		}
		if (f)
			fclose(f);
		if (waited >= timeout_ms)
			return 0;
		sleep_ms(20);
	}
}

int t_kill_pidfile(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int pid = 0, sent = 0;
	if (fscanf(f, "%d", &pid) == 1 && pid > 1)
		sent = kill(pid, SIGKILL) == 0;
	fclose(f);
	return sent;
}

void t_kill_run(const char *dir, const char *seg)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/supervisor.pid", dir);
	int sent = t_kill_pidfile(path);
	for (int a = 0; a < AGENT_COUNT; a++) {
		snprintf(path, sizeof(path), "%s/%s.pid", dir, rt_agent_names[a]);
		sent += t_kill_pidfile(path);
	}
	if (sent)
		sleep_ms(200);
	if (seg)
		seg_unlink(seg);
}
