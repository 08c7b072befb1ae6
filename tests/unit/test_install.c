/*
 * test_install.c — the system as an operator installs and runs it:
 *
 *   install  make install into a temporary DESTDIR; the installed dmctl
 *            run on the bundled default market from a directory outside
 *            the checkout, with nothing of the checkout in its
 *            environment; an edited site file kept by a second install;
 *            make uninstall; a manual page per program that man renders
 *            without a warning; systemd-analyze verify of the service,
 *            with the CPUAffinity= its generator writes from the site
 *            file
 *   deb      make deb's package: its Depends, lintian without an error,
 *            dpkg-deb -x and the extracted dmctl run
 *   service  dmctl start --foreground under a notify socket of this
 *            test's own: READY=1 once the six agents run, WATCHDOG=1
 *            while it supervises, STOPPING=1 and a clean exit on SIGTERM
 *   logs     every line of every log: UTC time to the ms, level, process;
 *            an agent's refusal an ERROR line; SIGHUP (dmctl
 *            reopen-logs) after the logs were renamed: new files
 *
 * The installed trees are the plain build's (the sanitizer builds skip
 * this suite: make test runs it in the plain build).  Expected values
 * come from outside the code under test: the programs in build/bin, the
 * events dm-gen was asked for, the test's own clock, the notify messages
 * as this test's socket received them.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/seg.h"
#include "tests/helpers.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static char root[PATH_MAX / 2];  /* the checkout: holds tools/dmctl */
static char build[PATH_MAX / 2]; /* the build under test: <build>/bin, <build>/tests */
static char segname[SEG_NAME_MAX];
static char out[1 << 16];        /* the last command's output */

static void setup(void)
{
	if (SANITIZED)
		return;
	struct t_paths p;
	t_paths_or_fail(&p);
	snprintf(root, sizeof(root), "%s", p.root);
	snprintf(build, sizeof(build), "%s", p.build);
	cr_assert_eq(chdir(root), 0, "chdir %s: %s", root, strerror(errno));
	t_tmp_init("dmtest-install");
	t_seg_name(segname, sizeof(segname), "inst");
	/* nothing of a surrounding make or run leaks in */
	unsetenv("MAKEFLAGS");
	unsetenv("MAKELEVEL");
	unsetenv("MFLAGS");
	unsetenv("DM_BIN");
	unsetenv("DM_CONF_DIR");
	unsetenv("DM_RUN_DIR");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	setenv("DM_SHM_NAME", segname, 1);
	setenv("TMPDIR", t_tmp_dir, 1);
}

static void teardown(void)
{
	if (SANITIZED)
		return;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/run", t_tmp_dir);
	t_kill_run(dir, segname);
	if (getenv("DM_TEST_KEEP") == NULL)
		t_tmp_cleanup();
}

TestSuite(install, .init = setup, .fini = teardown, .timeout = 300);
TestSuite(deb, .init = setup, .fini = teardown, .timeout = 300);
TestSuite(service, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(logs, .init = setup, .fini = teardown, .timeout = 120);

#define PLAIN_BUILD_ONLY()                                                            \
	do {                                                                          \
		if (SANITIZED)                                                        \
			cr_skip_test("the installed tree is the plain build's; make test " \
				     "runs this suite there");                        \
	} while (0)

/* a shell command line from the checkout, output in out; its status */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8000];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert(n > 0 && (size_t)n < sizeof(cmd), "command too long");
	return t_sh(out, sizeof(out), "%s", cmd);
}

static int have(const char *tool)
{
	return sh("command -v '%s' >/dev/null", tool) == 0;
}

/* the names of the programs in dir starting with "dm-", sorted, one a
 * line, into list */
static void dm_programs(const char *dir, char *list, size_t len)
{
	int rc = sh("cd '%s' && ls -1 | grep '^dm-' | sort", dir);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert_lt(strlen(out), len, "too many programs in %s", dir);
	memcpy(list, out, strlen(out) + 1);
}

/* The text of a file, or an empty string; owned by the caller. */
static char *text_of(const char *path)
{
	if (t_exists(path))
		return t_file_text(path, NULL);
	char *s = strdup("");
	cr_assert_not_null(s);
	return s;
}

/* dmctl run of the tree whose dmctl is bin/dmctl, from a directory
 * outside the checkout, with no DM_* variable but the segment name, its
 * run directory rundir; checks the summary: every event of the default
 * market (dm-gen --events 20000) handled, and the run's rows written */
static void run_installed(const char *dmctl, const char *rundir)
{
	int rc = sh("cd '%s' && env -u DM_BIN -u DM_CONF_DIR -u DM_RUN_DIR '%s' --run-dir '%s' run",
		    t_tmp_dir, dmctl, rundir);
	cr_assert_eq(rc, 0, "installed dmctl run: exit %d:\n%s", rc, out);
	cr_expect(strstr(out, "summary:") != NULL, "%s", out);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/summary.json", rundir);
	json_error_t err;
	json_t *s = json_load_file(path, 0, &err);
	cr_assert_not_null(s, "%s: %s", path, err.text);
	json_t *ev = json_object_get(s, "events");
	cr_expect_eq(json_integer_value(json_object_get(ev, "total")), 20000, "%s", out);
	json_decref(s);
	snprintf(path, sizeof(path), "%s/fills.csv", rundir);
	cr_expect(t_exists(path), "no fills.csv in %s", rundir);
}

/* ------------------------------------------------------------ install */

/* man renders every page of the installed tree without a warning from
 * groff, whatis (lexgrog) reads its NAME line, and man finds dm-backtest
 * there; one shell loop for all (a process costs more than a page) */
static void check_man_pages(const char *pre, const char *programs)
{
	if (!have("man") || !have("lexgrog")) {
		cr_log_warn("man-db not installed (make deps-deploy): pages not rendered");
		return;
	}
	int rc = sh("cd '%s/share/man/man1' && for f in *.1.gz; do "
		    "w=$(MANWIDTH=80 man --warnings -l \"$f\" 2>&1 >/dev/null); "
		    "printf '%%s|%%s|%%s\\n' \"${f%%.1.gz}\" \"$(lexgrog \"$f\")\" \"$w\"; done", pre);
	cr_assert_eq(rc, 0, "%s", out);
	/* one line per page: "NAME|FILE: \"NAME - DESCRIPTION\"|GROFF'S WARNINGS" */
	static char lines[sizeof(out) + 2];
	snprintf(lines, sizeof(lines), "\n%s", out);
	int pages = 0;
	for (const char *p = programs; *p;) {
		size_t n = strcspn(p, "\n");
		char want[300];
		snprintf(want, sizeof(want), "\n%.*s|%.*s.1.gz: \"%.*s - ", (int)n, p, (int)n, p,
			 (int)n, p);
		char *line = strstr(lines, want);
		cr_expect_not_null(line, "no page, or no NAME line, for %.*s:\n%s", (int)n, p, out);
		if (line) {
			char *end = strchr(line + 1, '\n');
			cr_expect(end && end[-1] == '|', "groff warns on %.*s: %.*s", (int)n, p,
				  end ? (int)(end - line) : 200, line);
			pages++;
		}
		p += n + (p[n] == '\n');
	}
	cr_expect_gt(pages, 0);
	rc = sh("MANWIDTH=80 man -M '%s/share/man' dm-backtest | col -b", pre);
	cr_expect(rc == 0 && strstr(out, "dm-backtest --input FILE") != NULL,
		  "man dm-backtest: %s", out);
}

/* the generator: agents pinned in the site file become the unit's
 * CPUAffinity= (the CPUs each once, ascending); systemd-analyze verify of
 * the unit as installed, its paths taken into the staged tree (so that
 * ExecStart= names a program that exists, and man finds the page its
 * Documentation= names), with that drop-in beside it.  Appends to the
 * site file. */
static void check_units(const char *pre)
{
	char site[PATH_MAX + 64], gen[PATH_MAX + 128], unitdir[PATH_MAX];
	snprintf(site, sizeof(site), "%s/etc/dreammaker/dreammaker.yaml", pre);
	cr_assert_eq(sh("printf 'agents:\\n  ml: { cpu: 1 }\\n  data: { cpu: 0 }\\n"
			"  risk: { cpu: 1 }\\n' >>'%s'", site), 0);
	snprintf(unitdir, sizeof(unitdir), "%s/units", t_tmp_dir);
	snprintf(gen, sizeof(gen), "%s/lib/systemd/system-generators/dreammaker-generator", pre);
	int rc = sh("mkdir -p '%s' && '%s' '%s' '%s' '%s' && cat '%s/dreammaker.service.d/"
		    "50-cpu-affinity.conf'", unitdir, gen, unitdir, unitdir, unitdir, unitdir);
	cr_assert_eq(rc, 0, "generator: %s", out);
	cr_expect(strstr(out, "[Service]\nCPUAffinity=0 1\n") != NULL, "drop-in:\n%s", out);

	/* the settings the service needs, each a line of the unit */
	rc = sh("grep -c -E '^(Type=notify|NotifyAccess=all|User=dreammaker|NoNewPrivileges=yes|"
		"ProtectSystem=strict|PrivateTmp=yes|KillMode=mixed|WatchdogSec=30|"
		"StateDirectory=dreammaker|RuntimeDirectory=dreammaker|RemoveIPC=yes)$' "
		"'%s/lib/systemd/system/dreammaker.service'", pre);
	cr_expect_eq(atoi(out), 11, "the unit lacks a setting: %s", out);

	if (!have("systemd-analyze")) {
		cr_log_warn("systemd-analyze not installed (make deps-deploy): units not verified");
		return;
	}
	rc = sh("sed 's|/usr/local/|%s/|g' '%s/lib/systemd/system/dreammaker.service' "
		">'%s/dreammaker.service' && grep -q '^ExecStart=%s/bin/dmctl ' '%s/dreammaker.service'",
		pre, pre, unitdir, pre, unitdir);
	cr_assert_eq(rc, 0, "%s", out);
	rc = sh("cd '%s' && MANPATH='%s/share/man' SYSTEMD_UNIT_PATH='%s:' "
		"systemd-analyze verify '%s/dreammaker.service'", unitdir, pre, unitdir, unitdir);
	cr_expect_eq(rc, 0, "systemd-analyze verify: %s", out);
	cr_expect(strstr(out, "dreammaker.service") == NULL, "verify complains:\n%s", out);
	/* the drop-in's setting in the unit itself, verified alike */
	rc = sh("cd '%s' && mkdir -p one && cat dreammaker.service "
		"dreammaker.service.d/50-cpu-affinity.conf >one/dreammaker.service && "
		"MANPATH='%s/share/man' systemd-analyze verify one/dreammaker.service",
		unitdir, pre);
	cr_expect_eq(rc, 0, "systemd-analyze verify with CPUAffinity=: %s", out);
}

Test(install, installed_tree_runs_renders_verifies_and_uninstalls)
{
	PLAIN_BUILD_ONLY();
	char dest[PATH_MAX], pre[PATH_MAX + 16], rundir[PATH_MAX], path[PATH_MAX + 64];
	snprintf(dest, sizeof(dest), "%s/dest", t_tmp_dir);
	snprintf(pre, sizeof(pre), "%s/usr/local", dest);
	snprintf(rundir, sizeof(rundir), "%s/run", t_tmp_dir);

	int rc = sh("make --no-print-directory install PREFIX=/usr/local DESTDIR='%s'", dest);
	cr_assert_eq(rc, 0, "make install: %s", out);

	/* every program of the build, none else, and dmctl */
	static char want[8192], got[8192];
	char dir[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/bin", build);
	dm_programs(dir, want, sizeof(want));
	snprintf(dir, sizeof(dir), "%s/bin", pre);
	dm_programs(dir, got, sizeof(got));
	cr_assert_str_eq(got, want);
	cr_assert_gt(strlen(want), 0);
	snprintf(path, sizeof(path), "%s/bin/dmctl", pre);
	cr_assert_eq(access(path, X_OK), 0, "%s", path);
	/* a manual page per program and dmctl */
	rc = sh("cd '%s/share/man/man1' && ls -1 | sed -n 's/\\.1\\.gz$//p' | grep '^dm-' | sort",
		pre);
	cr_assert_eq(rc, 0, "%s", out);
	cr_expect_str_eq(out, want);
	snprintf(path, sizeof(path), "%s/share/man/man1/dmctl.1.gz", pre);
	cr_expect(t_exists(path), "%s", path);
	/* the site files and the shipped configuration and model */
	static const char *const files[] = {
		"etc/dreammaker/dreammaker.yaml", "etc/dreammaker/risk.yaml",
		"etc/dreammaker/service.env", "etc/logrotate.d/dreammaker",
		"share/dreammaker/conf/default.yaml", "share/dreammaker/conf/instruments/aapl.yaml",
		"share/dreammaker/build/model/default.json", "share/doc/dreammaker/operations.md",
		"lib/systemd/system/dreammaker.service",
		"lib/systemd/system-generators/dreammaker-generator",
		"lib/sysusers.d/dreammaker.conf",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pre, files[i]);
		cr_expect(t_exists(path), "not installed: %s", path);
	}

	/* the installed dmctl, away from the checkout: the installed site file,
	 * programs and model, and the run written in full */
	snprintf(path, sizeof(path), "%s/bin/dmctl", pre);
	run_installed(path, rundir);
	snprintf(path, sizeof(path), "%s/ml.log", rundir);
	char *ml = text_of(path);
	char model[PATH_MAX + 64];
	snprintf(model, sizeof(model), "model accepted: %s/share/dreammaker/", pre);
	cr_expect(strstr(ml, model) != NULL, "the ml agent did not load the installed model:\n%s",
		  ml);
	free(ml);
	snprintf(path, sizeof(path), "%s/supervisor.log", rundir);
	char *sup = text_of(path);
	char conf[PATH_MAX + 64];
	snprintf(conf, sizeof(conf), "conf %s/etc/dreammaker/dreammaker.yaml", pre);
	cr_expect(strstr(sup, conf) != NULL, "not the installed site file:\n%s", sup);
	free(sup);

	static char pages[sizeof(want) + 8];
	snprintf(pages, sizeof(pages), "%sdmctl\n", want);
	check_man_pages(pre, pages);
	/* (appends to the site file: an edit) */
	check_units(pre);

	/* an edited site file survives a second install (the new text beside
	 * it) and make uninstall, which removes everything else */
	snprintf(path, sizeof(path), "%s/etc/dreammaker/dreammaker.yaml", pre);
	cr_assert_eq(sh("printf '# edited here\\n' >>'%s'", path), 0);
	rc = sh("make --no-print-directory install PREFIX=/usr/local DESTDIR='%s'", dest);
	cr_assert_eq(rc, 0, "second make install: %s", out);
	char *site = text_of(path);
	cr_expect(strstr(site, "# edited here") != NULL, "the edited site file was replaced");
	free(site);
	char dist[PATH_MAX + 80];
	snprintf(dist, sizeof(dist), "%s.dist", path);
	cr_expect(t_exists(dist), "no %s", dist);
	rc = sh("make --no-print-directory uninstall PREFIX=/usr/local DESTDIR='%s'", dest);
	cr_assert_eq(rc, 0, "make uninstall: %s", out);
	cr_expect(t_exists(path), "uninstall removed the edited site file");
	rc = sh("cd '%s' && find . ! -type d | sort", dest);
	cr_expect_str_eq(out, "./usr/local/etc/dreammaker/dreammaker.yaml\n",
			 "left behind by uninstall (only the edited site file may stay)");
}

/* ------------------------------------------------------------ deb */

Test(deb, package_passes_lintian_and_its_extracted_dmctl_runs)
{
	PLAIN_BUILD_ONLY();
	char debdir[PATH_MAX], deb[PATH_MAX + 64], x[PATH_MAX], rundir[PATH_MAX];
	snprintf(debdir, sizeof(debdir), "%s/deb", t_tmp_dir);
	snprintf(x, sizeof(x), "%s/x", t_tmp_dir);
	snprintf(rundir, sizeof(rundir), "%s/run", t_tmp_dir);
	/* make deb's script, into the test's directory (gzip: faster than xz) */
	int rc = sh("DEB_COMPRESS=gzip tools/deploy/mkdeb '%s' '%s'", build, debdir);
	cr_assert_eq(rc, 0, "mkdeb: %s", out);
	snprintf(deb, sizeof(deb), "%.*s", (int)strcspn(out, "\n"), out);
	cr_assert(t_exists(deb), "no package at '%s'", deb);

	/* lintian in the background while the package runs */
	char lint[PATH_MAX + 32];
	snprintf(lint, sizeof(lint), "%s/lintian.out", t_tmp_dir);
	int lintian = have("lintian");
	if (lintian)
		cr_assert_eq(sh("(lintian '%s' >'%s' 2>&1; echo \"exit $?\" >>'%s') "
				"</dev/null >/dev/null 2>&1 &", deb, lint, lint), 0);

	/* its Depends name the libraries the programs link (dpkg-shlibdeps) */
	rc = sh("dpkg-deb -f '%s' Depends", deb);
	cr_assert_eq(rc, 0, "%s", out);
	static const char *const libs[] = { "libc6", "libjemalloc2", "libxgboost0", "libyaml-0-2",
					    "liburing2", "libjansson4", "zlib1g", "adduser" };
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		cr_expect(strstr(out, libs[i]) != NULL, "Depends lacks %s: %s", libs[i], out);
	rc = sh("dpkg-deb -f '%s' Package Version", deb);
	cr_expect(strstr(out, "Package: dreammaker\n") != NULL, "%s", out);
	rc = sh("dpkg-deb -I '%s' conffiles", deb);
	cr_expect(strstr(out, "/etc/dreammaker/dreammaker.yaml") != NULL, "conffiles: %s", out);

	/* extracted, the package's dmctl runs the bundled default */
	rc = sh("dpkg-deb -x '%s' '%s'", deb, x);
	cr_assert_eq(rc, 0, "dpkg-deb -x: %s", out);
	char dmctl[PATH_MAX + 32];
	snprintf(dmctl, sizeof(dmctl), "%s/usr/bin/dmctl", x);
	run_installed(dmctl, rundir);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/supervisor.log", rundir);
	char *sup = text_of(path);
	char conf[PATH_MAX + 64];
	snprintf(conf, sizeof(conf), "conf %s/etc/dreammaker/dreammaker.yaml", x);
	cr_expect(strstr(sup, conf) != NULL, "not the package's site file:\n%s", sup);
	free(sup);

	if (!lintian)
		cr_skip_test("lintian not installed (make deps-deploy): the package was not checked");
	for (int i = 0; i < 1200; i++) {
		rc = sh("grep -q '^exit ' '%s'", lint);
		if (rc == 0)
			break;
		usleep(100 * 1000);
	}
	char *l = text_of(lint);
	cr_assert(strstr(l, "\nexit ") != NULL || strncmp(l, "exit ", 5) == 0,
		  "lintian did not finish: %s", l);
	cr_expect(strstr(l, "E: ") == NULL, "lintian reports errors:\n%s", l);
	cr_expect(strstr(l, "exit 0") != NULL, "lintian:\n%s", l);
	free(l);
}

/* ------------------------------------------------------------ service */

/* A notify socket of the test's own at path: bound, non-blocking reads. */
static int notify_socket(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	cr_assert_lt(strlen(path), sizeof(a.sun_path));
	strcpy(a.sun_path, path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind %s: %s", path,
		     strerror(errno));
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* One message into buf (NUL-terminated), its descriptors closed (the
 * barrier systemd-notify waits on is one); 0 when none came in 100 ms. */
static int notify_read(int fd, char *buf, size_t len)
{
	char cbuf[CMSG_SPACE(16 * sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int *fds = (int *)CMSG_DATA(c);
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++)
				close(fds[i]);
		}
	return 1;
}

Test(service, foreground_start_notifies_ready_watchdog_and_stopping)
{
	PLAIN_BUILD_ONLY();
	if (!have("systemd-notify"))
		cr_skip_test("systemd-notify not installed (make deps-deploy)");
	char sock[PATH_MAX], rundir[PATH_MAX];
	snprintf(sock, sizeof(sock), "%s/notify", t_tmp_dir);
	snprintf(rundir, sizeof(rundir), "%s/run", t_tmp_dir);
	int fd = notify_socket(sock);

	/* the service's command line, as the unit has it, in the background */
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setenv("NOTIFY_SOCKET", sock, 1);
		setenv("WATCHDOG_USEC", "400000", 1); /* a ping every 200 ms */
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execl("tools/dmctl", "dmctl", "--run-dir", rundir, "start", "--foreground",
		      (char *)NULL);
		_exit(127);
	}
	char msg[512];
	int ready = 0, watchdog = 0, status_ok = 0;
	int64_t t0 = t_now_ns();
	while (t_now_ns() - t0 < 60ll * 1000000000 && watchdog < 3) {
		if (!notify_read(fd, msg, sizeof(msg)))
			continue;
		if (strstr(msg, "READY=1")) {
			/* READY=1 only once every agent runs: the segment's agent
			 * table (name, pid, alive, state, ...) */
			int rc = sh("'%s/bin/dm-shmdump' --tsv agents | awk -F '\\t' 'NR > 1 && "
				    "$3 == \"yes\" && ($4 == \"running\" || $4 == \"halted\")' | wc -l",
				    build);
			status_ok = rc == 0 && atoi(out) == 6;
			cr_expect(status_ok, "READY=1 before the six agents run: %s", out);
			cr_expect(strstr(msg, "STATUS=six agents running") != NULL, "%s", msg);
			ready = 1;
		}
		if (strstr(msg, "WATCHDOG=1")) {
			cr_expect(ready, "WATCHDOG=1 before READY=1");
			watchdog++;
		}
	}
	cr_assert(ready, "no READY=1 within 60 s");
	cr_assert(status_ok);
	cr_expect_geq(watchdog, 3, "WATCHDOG=1 pings: %d", watchdog);
	/* the main process is the supervisor */
	char pidf[PATH_MAX + 32];
	snprintf(pidf, sizeof(pidf), "%s/supervisor.pid", rundir);
	char *sp = text_of(pidf);
	cr_expect_eq(atoi(sp), (int)pid, "supervisor.pid %s, the foreground dmctl %d", sp,
		     (int)pid);
	free(sp);

	/* systemctl stop: SIGTERM to the main process alone (KillMode=mixed) */
	kill(pid, SIGTERM);
	int stopping = 0;
	t0 = t_now_ns();
	while (t_now_ns() - t0 < 30ll * 1000000000 && !stopping)
		if (notify_read(fd, msg, sizeof(msg)) && strstr(msg, "STOPPING=1"))
			stopping = 1;
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(stopping, "no STOPPING=1");
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d", st);
	char shm[SEG_NAME_MAX + 16];
	snprintf(shm, sizeof(shm), "/dev/shm%s", segname);
	cr_expect(!t_exists(shm), "the segment %s is left", segname);
	close(fd);
}

/* ------------------------------------------------------------ logs */

/* Every line of file: "<UTC ISO 8601 time with ms>Z <LEVEL> <name>[pid]: ",
 * name as given, time within [t0, t1] of the test's clock (seconds); the
 * number of lines, -1 (and an assertion) on a bad one. */
static int check_log(const char *file, const char *name, time_t t0, time_t t1)
{
	regex_t re;
	cr_assert_eq(regcomp(&re, "^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):"
				  "([0-9]{2})\\.[0-9]{3}Z (INFO|WARN|ERROR) ([a-z]+)\\[[0-9]+\\]: ",
			     REG_EXTENDED),
		     0);
	char *text = text_of(file);
	int n = 0;
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		cr_assert_not_null(nl, "%s: a line without its end: %s", file, line);
		*nl = '\0';
		regmatch_t m[9];
		if (regexec(&re, line, 9, m, 0) != 0) {
			cr_expect_fail("%s: not a log line: '%s'", file, line);
			n = -1;
			break;
		}
		struct tm tm = { 0 };
		tm.tm_year = atoi(line + m[1].rm_so) - 1900;
		tm.tm_mon = atoi(line + m[2].rm_so) - 1;
		tm.tm_mday = atoi(line + m[3].rm_so);
		tm.tm_hour = atoi(line + m[4].rm_so);
		tm.tm_min = atoi(line + m[5].rm_so);
		tm.tm_sec = atoi(line + m[6].rm_so);
		time_t t = timegm(&tm);
		cr_expect(t >= t0 - 1 && t <= t1 + 1, "%s: time %ld outside the test's [%ld, %ld]: %s",
			  file, (long)t, (long)t0, (long)t1, line);
		cr_expect_eq((int)(m[8].rm_eo - m[8].rm_so), (int)strlen(name), "%s: %s", file, line);
		cr_expect(strncmp(line + m[8].rm_so, name, strlen(name)) == 0, "%s: not %s: %s",
			  file, name, line);
		n++;
	}
	free(text);
	regfree(&re);
	return n;
}

static const char *const agent_logs[] = { "coordinator", "risk", "execution", "feature", "ml",
					  "data" };

Test(logs, lines_carry_time_level_and_agent_and_sighup_reopens_them)
{
	PLAIN_BUILD_ONLY();
	char rundir[PATH_MAX], path[PATH_MAX + 64], moved[PATH_MAX + 80];
	snprintf(rundir, sizeof(rundir), "%s/run", t_tmp_dir);
	time_t t0 = time(NULL);
	/* started with SIGHUP ignored, as under nohup: the supervisor (bash,
	 * which cannot trap a signal ignored when it starts) must still act on
	 * reopen-logs */
	int rc = sh("trap '' HUP; tools/dmctl --run-dir '%s' start", rundir);
	cr_assert_eq(rc, 0, "start: %s", out);

	/* logrotate's part: rename every log, then the reopen */
	for (size_t i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "%s/%s.log", rundir, agent_logs[i]);
		snprintf(moved, sizeof(moved), "%s.1", path);
		cr_assert_eq(rename(path, moved), 0, "%s: %s", path, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/supervisor.log", rundir);
	snprintf(moved, sizeof(moved), "%s.1", path);
	cr_assert_eq(rename(path, moved), 0);
	rc = sh("tools/dmctl --run-dir '%s' reopen-logs", rundir);
	cr_assert_eq(rc, 0, "reopen-logs: %s", out);
	/* each process writes its next line to a new file by the old name */
	int all = 0;
	for (int k = 0; k < 100 && !all; k++) {
		usleep(100 * 1000);
		all = 1;
		for (size_t i = 0; i < 6; i++) {
			snprintf(path, sizeof(path), "%s/%s.log", rundir, agent_logs[i]);
			char *t = text_of(path);
			all &= strstr(t, "log reopened") != NULL;
			free(t);
		}
		snprintf(path, sizeof(path), "%s/supervisor.log", rundir);
		char *t = text_of(path);
		all &= strstr(t, "SIGHUP: log reopened") != NULL;
		free(t);
	}
	cr_expect(all, "not every process wrote a new log after SIGHUP");
	rc = sh("tools/dmctl --run-dir '%s' stop", rundir);
	cr_expect_eq(rc, 0, "stop: %s", out);
	time_t t1 = time(NULL);

	/* the old files hold the start, the new ones the reopen and the stop;
	 * every line of both carries its time, level and process */
	for (size_t i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "%s/%s.log", rundir, agent_logs[i]);
		snprintf(moved, sizeof(moved), "%s.1", path);
		cr_expect_gt(check_log(moved, agent_logs[i], t0, t1), 0, "%s", moved);
		cr_expect_gt(check_log(path, agent_logs[i], t0, t1), 0, "%s", path);
		char *old = text_of(moved), *cur = text_of(path);
		cr_expect(strstr(old, "INFO ") && strstr(old, " attached "), "%s: %s", moved, old);
		cr_expect(strstr(old, "log reopened") == NULL, "%s written after the reopen", moved);
		cr_expect(strstr(cur, " exit: ") != NULL, "%s: no exit line: %s", path, cur);
		free(old);
		free(cur);
	}
	snprintf(path, sizeof(path), "%s/supervisor.log", rundir);
	snprintf(moved, sizeof(moved), "%s.1", path);
	cr_expect_gt(check_log(path, "dmctl", t0, t1), 0);
	cr_expect_gt(check_log(moved, "dmctl", t0, t1), 0);
}

Test(logs, a_refusal_is_an_error_line)
{
	PLAIN_BUILD_ONLY();
	char rundir[PATH_MAX], bad[PATH_MAX + 16], path[PATH_MAX + 32];
	snprintf(rundir, sizeof(rundir), "%s/run", t_tmp_dir);
	snprintf(bad, sizeof(bad), "%s/x.txt", t_tmp_dir);
	t_write_file(bad, "not market data\n");
	time_t t0 = time(NULL);
	int rc = sh("tools/dmctl --run-dir '%s' start --input '%s'", rundir, bad);
	time_t t1 = time(NULL);
	cr_assert_eq(rc, 2, "start on a text file: exit %d: %s", rc, out);
	/* dmctl quotes the agent's reason without its time, level and name */
	cr_expect(strstr(out, "  data: ") != NULL && strstr(out, "data[") == NULL, "%s", out);
	snprintf(path, sizeof(path), "%s/data.log", rundir);
	cr_expect_gt(check_log(path, "data", t0, t1), 0);
	char *t = text_of(path);
	cr_expect(strstr(t, " ERROR data[") != NULL, "no ERROR line:\n%s", t);
	free(t);
	snprintf(path, sizeof(path), "%s/supervisor.log", rundir);
	t = text_of(path);
	cr_expect(strstr(t, " ERROR dmctl[") != NULL && strstr(t, "exited 2") != NULL, "%s", t);
	free(t);
	cr_expect_gt(check_log(path, "dmctl", t0, t1), 0);
}
