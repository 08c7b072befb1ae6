/*
 * test_outputs.c — every tool's output file (tools/lib/files.h): a device,
 * FIFO, directory or a symbolic link to one is refused with exit 2 and
 * left as it was; a regular file is replaced only by a run that succeeds;
 * no temporary stays after a failure; a killed run leaves at most
 * NAME.tmp-PID, never a partial file under NAME.
 *
 * The programs are those of this build (build/bin beside build/tests).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"
#include "tools/lib/files.h"

static void setup(void)
{
	t_tmp_init("dmout");
}

TestSuite(outputs, .init = setup, .fini = t_tmp_cleanup, .timeout = 120);

static int t_is_fifo(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0 && S_ISFIFO(sb.st_mode);
}

/* How many NAME.tmp-* files the scratch directory holds. */
static int t_tmps(void)
{
	char out[64];
	t_sh(out, sizeof(out), "ls -a '%s' | grep -c '\\.tmp-'", t_tmp_dir);
	return atoi(out);
}

/* A FIFO "fifo", a directory "dir" and a link "link" -> fifo. */
static void t_make_targets(void)
{
	cr_assert_eq(mkfifo(t_tmp_path("fifo"), 0600), 0);
	cr_assert_eq(mkdir(t_tmp_path("dir"), 0700), 0);
	cr_assert_eq(symlink(t_tmp_path("fifo"), t_tmp_path("link")), 0);
}

/* cmd with "%s" standing for the output path, run against each refused
 * target: exit 2, a message naming the path and its kind, nothing changed. */
static void t_refuses_each(const char *cmd_fmt)
{
	static const struct {
		const char *name, *kind;
	} tg[] = {
		{ "fifo", "(a FIFO)" },
		{ "dir", "(a directory)" },
		{ "link", "(a symbolic link to a FIFO)" },
	};
	char cmd[4096], out[4096];
	for (size_t i = 0; i < sizeof(tg) / sizeof(tg[0]); i++) {
		const char *p = t_tmp_path(tg[i].name);
		snprintf(cmd, sizeof(cmd), cmd_fmt, p);
		int rc = t_sh(out, sizeof(out), "%s", cmd);
		cr_assert_eq(rc, 2, "%s: exit %d: %s", cmd, rc, out);
		cr_assert(strstr(out, p) && strstr(out, "not a regular file") &&
			  strstr(out, tg[i].kind), "%s: %s", cmd, out);
	}
	cr_assert(t_is_fifo(t_tmp_path("fifo")), "the FIFO was replaced");
	struct stat sb;
	cr_assert(stat(t_tmp_path("dir"), &sb) == 0 && S_ISDIR(sb.st_mode));
	cr_assert(lstat(t_tmp_path("link"), &sb) == 0 && S_ISLNK(sb.st_mode));
	cr_assert_eq(t_tmps(), 0, "a temporary stayed");
}

/* A small journal from dm-gen at path. */
static void t_gen(const char *path, int events)
{
	char out[4096];
	int rc = t_sh(out, sizeof(out), "'%s/dm-gen' --seed 7 --events %d --output '%s' --quiet",
		      t_bin_dir(), events, path);
	cr_assert_eq(rc, 0, "%s", out);
}

/* ------------------------------------------------------------ the helper */

Test(outputs, check_target_names_what_is_there)
{
	char err[PATH_MAX + 128];
	t_make_targets();
	t_write_file(t_tmp_path("reg"), "old\n");
	cr_assert_eq(symlink(t_tmp_path("reg"), t_tmp_path("link-reg")), 0);
	cr_assert_eq(symlink(t_tmp_path("nowhere"), t_tmp_path("dangling")), 0);

	cr_assert_eq(files_check_target(t_tmp_path("missing"), err, sizeof(err)), 0);
	cr_assert_eq(files_check_target(t_tmp_path("reg"), err, sizeof(err)), 0);
	cr_assert_eq(files_check_target(t_tmp_path("link-reg"), err, sizeof(err)), 0);
	cr_assert_eq(files_check_target(t_tmp_path("dangling"), err, sizeof(err)), 0);

	cr_assert_eq(files_check_target(t_tmp_path("fifo"), err, sizeof(err)), -EEXIST);
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "%s: not a regular file (a FIFO): refusing to replace it",
		 t_tmp_path("fifo"));
	cr_assert_str_eq(err, want);
	cr_assert_eq(files_check_target(t_tmp_path("dir"), err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "(a directory)"), "%s", err);
	cr_assert_eq(files_check_target(t_tmp_path("link"), err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "(a symbolic link to a FIFO)"), "%s", err);
	cr_assert_eq(files_check_target("/dev/null", err, sizeof(err)), -EEXIST);
	cr_assert_str_eq(err, "/dev/null: not a regular file (a character device): refusing "
			 "to replace it");
	cr_assert_eq(files_check_target("/dev/null", NULL, 0), -EEXIST);
	/* a path through a regular file cannot be looked at */
	cr_assert_eq(files_check_target(t_tmp_path("reg/x"), err, sizeof(err)), -ENOTDIR);
	cr_assert(strstr(err, "cannot look at it"), "%s", err);
}

Test(outputs, afile_replaces_only_on_commit)
{
	struct afile *a = calloc(1, sizeof(*a));
	cr_assert_not_null(a);
	t_make_targets();
	t_write_file(t_tmp_path("reg"), "old\n");

	/* refused: the FIFO is untouched, nothing is created */
	cr_assert_eq(afile_open(a, t_tmp_path("fifo"), NULL), -EEXIST);
	cr_assert_null(a->f);
	cr_assert(strstr(a->err, "(a FIFO)"), "%s", a->err);
	afile_abort(a);
	cr_assert_eq(afile_open(a, t_tmp_dir, "link"), -EEXIST);
	cr_assert(t_is_fifo(t_tmp_path("fifo")));
	cr_assert_eq(files_json_write(t_tmp_path("dir"), NULL, NULL), -EEXIST);
	cr_assert_eq(files_write_atomic(t_tmp_path("fifo"), "x", 1), -EEXIST);
	cr_assert_str_eq(files_strerror(-EEXIST), "not a regular file: refusing to replace it");
	cr_assert_eq(t_tmps(), 0);

	/* aborted: the old content stays, the temporary goes */
	cr_assert_eq(afile_open(a, t_tmp_path("reg"), NULL), 0);
	fputs("new\n", a->f);
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", t_tmp_path("reg"), (int)getpid());
	cr_assert_str_eq(a->tmp, tmp);
	cr_assert_eq(access(tmp, F_OK), 0);
	afile_abort(a);
	char *s = t_file_text(t_tmp_path("reg"), NULL);
	cr_assert_str_eq(s, "old\n");
	free(s);
	cr_assert_eq(t_tmps(), 0);

	/* committed: replaced whole */
	cr_assert_eq(afile_open(a, t_tmp_dir, "reg"), 0);
	fputs("new\n", a->f);
	cr_assert_eq(afile_commit(a), 0);
	afile_abort(a); /* after a commit: nothing to remove, the file stays */
	s = t_file_text(t_tmp_path("reg"), NULL);
	cr_assert_str_eq(s, "new\n");
	free(s);
	cr_assert_eq(t_tmps(), 0);

	/* the target became a FIFO while the file was written: not replaced */
	cr_assert_eq(afile_open(a, t_tmp_path("late"), NULL), 0);
	fputs("late\n", a->f);
	cr_assert_eq(mkfifo(t_tmp_path("late"), 0600), 0);
	cr_assert_eq(afile_commit(a), -EEXIST);
	cr_assert(strstr(a->err, "(a FIFO)"), "%s", a->err);
	cr_assert(t_is_fifo(t_tmp_path("late")));
	cr_assert_eq(t_tmps(), 0);

	/* files_commit_tmp: the same for a temporary written by the caller */
	t_write_file(t_tmp_path("j.tmp-1"), "journal\n");
	cr_assert_eq(files_commit_tmp(t_tmp_path("j.tmp-1"), t_tmp_path("fifo")), -EEXIST);
	cr_assert(t_is_fifo(t_tmp_path("fifo")));
	cr_assert_eq(t_tmps(), 0);
	t_write_file(t_tmp_path("j.tmp-1"), "journal\n");
	cr_assert_eq(files_commit_tmp(t_tmp_path("j.tmp-1"), t_tmp_path("reg")), 0);
	s = t_file_text(t_tmp_path("reg"), NULL);
	cr_assert_str_eq(s, "journal\n");
	free(s);
	cr_assert_eq(t_tmps(), 0);
	free(a);
}

/* ------------------------------------------------------------ the tools */

Test(outputs, dm_gen_refuses_and_replaces_only_on_success)
{
	char cmd[1024];
	t_make_targets();
	snprintf(cmd, sizeof(cmd), "'%s/dm-gen' --seed 1 --events 100 --quiet --output '%%s'",
		 t_bin_dir());
	t_refuses_each(cmd);
	snprintf(cmd, sizeof(cmd), "'%s/dm-gen' --seed 1 --events 100 --quiet --output '%s' "
		 "--orders '%%s'", t_bin_dir(), t_tmp_path("j"));
	t_refuses_each(cmd);
	cr_assert_neq(access(t_tmp_path("j"), F_OK), 0, "a journal beside a refused --orders");
	snprintf(cmd, sizeof(cmd), "'%s/dm-gen' --seed 1 --events 100 --quiet --output '%s' "
		 "--truth '%%s'", t_bin_dir(), t_tmp_path("j"));
	t_refuses_each(cmd);

	/* a failed run (bad parameters) leaves the old file */
	char out[4096];
	t_write_file(t_tmp_path("old"), "old\n");
	t_write_file(t_tmp_path("bad.yaml"), "no_such_key: 1\n");
	int rc = t_sh(out, sizeof(out), "'%s/dm-gen' --seed 1 --events 100 --quiet --output '%s' "
		      "--params '%s'", t_bin_dir(), t_tmp_path("old"), t_tmp_path("bad.yaml"));
	cr_assert_eq(rc, 2, "%s", out);
	char *s = t_file_text(t_tmp_path("old"), NULL);
	cr_assert_str_eq(s, "old\n");
	free(s);
	cr_assert_eq(t_tmps(), 0);

	/* a run that succeeds replaces it with a journal, and writes its
	 * side files whole */
	t_gen(t_tmp_path("old"), 100);
	size_t n;
	s = t_file_text(t_tmp_path("old"), &n);
	cr_assert(n > 8 && memcmp(s, "DMJRNL", 6) == 0, "not a journal");
	free(s);
	cr_assert_eq(t_tmps(), 0);
}

Test(outputs, dm_gen_killed_leaves_only_its_temporary)
{
	const char *out = t_tmp_path("big.jrnl");
	t_write_file(out, "old\n");
	char events[32];
	snprintf(events, sizeof(events), "%d", 50 * 1000 * 1000);
	char bin[4300];
	snprintf(bin, sizeof(bin), "%s/dm-gen", t_bin_dir());
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execl(bin, "dm-gen", "--seed", "3", "--events", events, "--output", out, "--quiet",
		      (char *)NULL);
		_exit(121);
	}
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", out, (int)pid);
	struct stat sb;
	/* wait until the journal under its temporary name holds events */
	for (int i = 0; i < 1000 && !(stat(tmp, &sb) == 0 && sb.st_size > (1 << 20)); i++)
		usleep(10000);
	cr_assert(stat(tmp, &sb) == 0 && sb.st_size > (1 << 20), "%s never grew", tmp);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	char *s = t_file_text(out, NULL);
	cr_assert_str_eq(s, "old\n", "the output changed under a killed run");
	free(s);
	char o[256];
	t_sh(o, sizeof(o), "ls -a '%s' | grep '\\.tmp-'", t_tmp_dir);
	char want[64];
	snprintf(want, sizeof(want), "big.jrnl.tmp-%d\n", (int)pid);
	cr_assert_str_eq(o, want, "only the temporary may stay");
}

Test(outputs, dm_features_refuses_and_keeps_the_old_file_on_failure)
{
	char cmd[1024], out[4096];
	t_make_targets();
	t_gen(t_tmp_path("m.jrnl"), 2000);
	snprintf(cmd, sizeof(cmd), "'%s/dm-features' --input '%s' --quiet --output '%%s'",
		 t_bin_dir(), t_tmp_path("m.jrnl"));
	t_refuses_each(cmd);
	snprintf(cmd, sizeof(cmd), "'%s/dm-features' --input /dev/null --quiet --output '%%s'",
		 t_bin_dir());
	t_refuses_each(cmd); /* refused before the input is looked at */

	/* an input with no book (a journal cut in its header): the old file stays */
	t_write_file(t_tmp_path("f.csv"), "old\n");
	t_write_file(t_tmp_path("cut.jrnl"), "DMJRNL");
	int rc = t_sh(out, sizeof(out), "'%s/dm-features' --input '%s' --quiet --output '%s'",
		      t_bin_dir(), t_tmp_path("cut.jrnl"), t_tmp_path("f.csv"));
	cr_assert_neq(rc, 0, "%s", out);
	char *s = t_file_text(t_tmp_path("f.csv"), NULL);
	cr_assert_str_eq(s, "old\n");
	free(s);
	cr_assert_eq(t_tmps(), 0);

	rc = t_sh(out, sizeof(out), "'%s/dm-features' --input '%s' --quiet --output '%s'",
		  t_bin_dir(), t_tmp_path("m.jrnl"), t_tmp_path("f.csv"));
	cr_assert_eq(rc, 0, "%s", out);
	s = t_file_text(t_tmp_path("f.csv"), NULL);
	cr_assert(strncmp(s, "t_ns,", 5) == 0, "%.40s", s);
	free(s);
	cr_assert_eq(t_tmps(), 0);
}

Test(outputs, dm_label_refuses_and_keeps_the_old_file_on_failure)
{
	char cmd[1024], out[4096];
	t_make_targets();
	t_gen(t_tmp_path("m.jrnl"), 3000);
	int rc = t_sh(out, sizeof(out), "'%s/dm-features' --input '%s' --quiet --output '%s'",
		      t_bin_dir(), t_tmp_path("m.jrnl"), t_tmp_path("f.csv"));
	cr_assert_eq(rc, 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "'%s/dm-label' --input '%s' --quiet --output '%%s'",
		 t_bin_dir(), t_tmp_path("f.csv"));
	t_refuses_each(cmd);

	/* a bad row half-way: exit 2 after writing began; the old file stays */
	t_sh(out, sizeof(out), "{ head -n 1000 '%s'; echo '1,2,3'; tail -n +1001 '%s'; } > '%s'",
	     t_tmp_path("f.csv"), t_tmp_path("f.csv"), t_tmp_path("bad.csv"));
	t_write_file(t_tmp_path("l.csv"), "old\n");
	rc = t_sh(out, sizeof(out), "'%s/dm-label' --input '%s' --quiet --output '%s'",
		  t_bin_dir(), t_tmp_path("bad.csv"), t_tmp_path("l.csv"));
	cr_assert_eq(rc, 2, "%s", out);
	cr_assert(strstr(out, ":1001:"), "%s", out);
	char *s = t_file_text(t_tmp_path("l.csv"), NULL);
	cr_assert_str_eq(s, "old\n");
	free(s);
	cr_assert_eq(t_tmps(), 0);

	rc = t_sh(out, sizeof(out), "'%s/dm-label' --input '%s' --quiet --output '%s'",
		  t_bin_dir(), t_tmp_path("f.csv"), t_tmp_path("l.csv"));
	cr_assert_eq(rc, 0, "%s", out);
	s = t_file_text(t_tmp_path("l.csv"), NULL);
	cr_assert(strncmp(s, "t0_idx,", 7) == 0, "%.40s", s);
	free(s);
	cr_assert_eq(t_tmps(), 0);
}

Test(outputs, dm_train_refuses_the_model_and_the_metrics_path)
{
	char cmd[1024];
	t_make_targets();
	t_write_file(t_tmp_path("f.csv"), "t_ns,mid\n");
	t_write_file(t_tmp_path("l.csv"), "t0_idx,label\n");
	snprintf(cmd, sizeof(cmd), "'%s/dm-train' --features '%s' --labels '%s' --quiet "
		 "--output '%%s'", t_bin_dir(), t_tmp_path("f.csv"), t_tmp_path("l.csv"));
	t_refuses_each(cmd);
	snprintf(cmd, sizeof(cmd), "'%s/dm-train' --features '%s' --labels '%s' --quiet "
		 "--output '%s' --metrics '%%s'", t_bin_dir(), t_tmp_path("f.csv"),
		 t_tmp_path("l.csv"), t_tmp_path("m.json"));
	t_refuses_each(cmd);
	cr_assert_neq(access(t_tmp_path("m.json"), F_OK), 0);
}

Test(outputs, dm_convert_refuses_through_the_same_check)
{
	char cmd[1024], out[4096];
	t_make_targets();
	t_gen(t_tmp_path("m.jrnl"), 500);
	snprintf(cmd, sizeof(cmd), "'%s/dm-convert' --input '%s' --quiet --output '%%s'",
		 t_bin_dir(), t_tmp_path("m.jrnl"));
	t_refuses_each(cmd);

	/* a damaged input: exit 2, the old file stays */
	t_write_file(t_tmp_path("c.jrnl"), "old\n");
	t_write_file(t_tmp_path("cut.jrnl"), "DMJRNL");
	int rc = t_sh(out, sizeof(out), "'%s/dm-convert' --input '%s' --quiet --output '%s'",
		      t_bin_dir(), t_tmp_path("cut.jrnl"), t_tmp_path("c.jrnl"));
	cr_assert_neq(rc, 0, "%s", out);
	char *s = t_file_text(t_tmp_path("c.jrnl"), NULL);
	cr_assert_str_eq(s, "old\n");
	free(s);
	cr_assert_eq(t_tmps(), 0);
}

Test(outputs, dm_journal_run_dir_refuses_a_fifo_among_its_csv_files)
{
	char out[4096];
	cr_assert_eq(mkdir(t_tmp_path("run"), 0700), 0);
	cr_assert_eq(mkfifo(t_tmp_path("run/equity.csv"), 0600), 0);
	int rc = t_sh(out, sizeof(out), "'%s/dm-journal' --run-dir '%s'", t_bin_dir(),
		      t_tmp_path("run"));
	cr_assert_eq(rc, 2, "%s", out);
	cr_assert(strstr(out, "equity.csv: not a regular file (a FIFO)"), "%s", out);
	cr_assert(t_is_fifo(t_tmp_path("run/equity.csv")));
}
