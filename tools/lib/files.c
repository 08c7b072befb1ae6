/* files.c — directories and whole-or-nothing files for the tools (files.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcore/types.h"
#include "libcore/journal/journal.h"
#include "tools/lib/files.h"

int files_mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	struct stat sb;
	if (stat(buf, &sb) < 0)
		return -errno;
	return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
}

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "of an unknown kind";
}

int files_check_target(const char *path, char *err, size_t errlen)
{
	struct stat ls, st;
	char scratch[8];
	if (!err) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = '\0';
	if (lstat(path, &ls) < 0) {
		if (errno == ENOENT)
			return 0;
		int e = errno;
		snprintf(err, errlen, "%s: cannot look at it: %s", path, strerror(e));
		return -e;
	}
	if (S_ISREG(ls.st_mode))
		return 0;
	if (!S_ISLNK(ls.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (%s): refusing to replace it",
			 path, kind_of(ls.st_mode));
		return -EEXIST;
	}
	if (stat(path, &st) < 0) {
		if (errno == ENOENT) /* dangling: the link alone is replaced */
			return 0;
		int e = errno;
		snprintf(err, errlen, "%s: cannot look at what the symbolic link names: %s",
			 path, strerror(e));
		return -e;
	}
	if (S_ISREG(st.st_mode))
		return 0;
	snprintf(err, errlen, "%s: not a regular file (a symbolic link to %s): refusing "
		 "to replace it", path, kind_of(st.st_mode));
	return -EEXIST;
}

int files_tmp_name(char *buf, size_t len, const char *path)
{
	int n = snprintf(buf, len, "%s.tmp-%d", path, (int)getpid());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const char *files_strerror(int rc)
{
	if (rc == -EEXIST)
		return "not a regular file: refusing to replace it";
	return dm_strerror(rc);
}

/* tmp, already fsynced and closed, onto path; tmp removed on failure. */
static int rename_into_place(const char *tmp, const char *path)
{
	int rc = files_check_target(path, NULL, 0);
	if (rc < 0)
		goto unlink_tmp;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto unlink_tmp;
	}
	return journal_fsync_dir_of(path);

unlink_tmp:
	unlink(tmp);
	return rc;
}

int files_commit_tmp(const char *tmp, const char *path)
{
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	int rc = 0;
	if (fd < 0 || fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	return rename_into_place(tmp, path);
}

int afile_open(struct afile *a, const char *dir, const char *name)
{
	int n = name ? snprintf(a->path, sizeof(a->path), "%s/%s", dir, name) :
		       snprintf(a->path, sizeof(a->path), "%s", dir);
	a->f = NULL;
	a->tmp[0] = '\0';
	a->err[0] = '\0';
	if (n < 0 || (size_t)n >= sizeof(a->path)) {
		snprintf(a->err, sizeof(a->err), "%s%s%s: path too long", dir, name ? "/" : "",
			 name ? name : "");
		return -ENAMETOOLONG;
	}
	int rc = files_check_target(a->path, a->err, sizeof(a->err));
	if (rc < 0)
		return rc;
	snprintf(a->tmp, sizeof(a->tmp), "%s.tmp-%d", a->path, (int)getpid());
	a->f = fopen(a->tmp, "w");
	if (!a->f) {
		rc = -errno;
		snprintf(a->err, sizeof(a->err), "%s: cannot create (written as %s, then "
			 "renamed): %s", a->path, a->tmp, strerror(-rc));
		a->tmp[0] = '\0';
		return rc;
	}
	return 0;
}

int afile_commit(struct afile *a)
{
	int rc = 0;
	if (fflush(a->f) == EOF || ferror(a->f))
		rc = -EIO;
	else if (fsync(fileno(a->f)) < 0)
		rc = -errno;
	if (fclose(a->f) == EOF && rc == 0)
		rc = -EIO;
	a->f = NULL;
	if (rc < 0) {
		snprintf(a->err, sizeof(a->err), "%s: write error: %s", a->tmp, strerror(-rc));
		unlink(a->tmp);
		a->tmp[0] = '\0';
		return rc;
	}
	if ((rc = rename_into_place(a->tmp, a->path)) < 0) {
		if (rc == -EEXIST)
			files_check_target(a->path, a->err, sizeof(a->err));
		else
			snprintf(a->err, sizeof(a->err), "%s: cannot rename to %s: %s", a->tmp,
				 a->path, strerror(-rc));
	}
	a->tmp[0] = '\0'; /* renamed or removed: afile_abort has nothing to do */
	return rc;
}

void afile_abort(struct afile *a)
{
	if (a->f)
		fclose(a->f);
	a->f = NULL;
	if (a->tmp[0])
		unlink(a->tmp);
}

int files_write_atomic(const char *path, const void *buf, size_t n)
{
	struct afile a;
	int rc = afile_open(&a, path, NULL);
	if (rc < 0)
		return rc;
	if (fwrite(buf, 1, n, a.f) != n) {
		afile_abort(&a);
		return -EIO;
	}
	return afile_commit(&a);
}

int files_json_write(const char *dir, const char *name, const json_t *j)
{
	struct afile a;
	int rc = afile_open(&a, dir, name);
	if (rc < 0)
		return rc;
	if (json_dumpf(j, a.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) < 0 ||
	    fputc('\n', a.f) == EOF) {
		afile_abort(&a);
		return -EIO;
	}
	return afile_commit(&a);
}
