/* files.c — directories and whole-or-nothing files for the tools (files.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int afile_open(struct afile *a, const char *dir, const char *name)
{
	int n = name ? snprintf(a->path, sizeof(a->path), "%s/%s", dir, name) :
		       snprintf(a->path, sizeof(a->path), "%s", dir);
	a->f = NULL;
	if (n < 0 || (size_t)n >= sizeof(a->path))
		return -ENAMETOOLONG;
	snprintf(a->tmp, sizeof(a->tmp), "%s.tmp-%d", a->path, (int)getpid());
	a->f = fopen(a->tmp, "w");
	return a->f ? 0 : -errno;
}

int afile_commit(struct afile *a)
{
	int bad = ferror(a->f);
	if (fclose(a->f) == EOF || bad) {
		unlink(a->tmp);
		return -EIO;
	}
	if (rename(a->tmp, a->path) < 0) {
		int e = errno;
		unlink(a->tmp);
		return -e;
	}
	return 0;
}

void afile_abort(struct afile *a)
{
	if (a->f)
		fclose(a->f);
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
