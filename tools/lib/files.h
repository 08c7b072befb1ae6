/*
 * files.h — the tools' output files: directories made on the way, and
 * files written whole or not at all (a temporary name beside the final
 * one, renamed into place), so a crashed or refused run never leaves a
 * half-written result under a final name.
 *
 * For a tool's main thread or a child it forks; allocates only what
 * jansson does.
 */
#ifndef DM_TOOLS_LIB_FILES_H
#define DM_TOOLS_LIB_FILES_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* dir and every missing parent, mode 0755.  0, -ENOTDIR (a file is in the
 * way), -ENAMETOOLONG or -errno. */
int files_mkdir_p(const char *dir);

/* A file being written: f on tmp (path.tmp-PID) until committed. */
struct afile {
	FILE *f;
	char path[PATH_MAX];
	char tmp[PATH_MAX + 32];
};

/* Open dir/name (name NULL: dir is the whole path) for writing.  0 or
 * -errno (-ENAMETOOLONG when the path does not fit). */
int afile_open(struct afile *a, const char *dir, const char *name);

/* Close and rename into place: 0, or -EIO (a write failed) / -errno, the
 * temporary removed either way. */
int afile_commit(struct afile *a);

/* Close and remove the temporary: nothing of it stays. */
void afile_abort(struct afile *a);

/* buf (n bytes) as the whole of path, atomically.  0 or -errno. */
int files_write_atomic(const char *path, const void *buf, size_t n);

/* j as indented JSON (keys in order, reals with 12 significant digits)
 * and a newline, atomically into dir/name (name NULL: dir is the path). */
int files_json_write(const char *dir, const char *name, const json_t *j);

#endif /* DM_TOOLS_LIB_FILES_H */
