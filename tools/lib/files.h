/*
 * files.h — the tools' output files: directories made on the way, and
 * files written whole or not at all, so a crashed or refused run never
 * leaves a half-written result under a final name.
 *
 * The rule every tool that writes a file follows:
 *   - an output goes only where nothing is or a regular file is
 *     (files_check_target): a device, FIFO, socket or directory, or a
 *     symbolic link to one, is refused, never replaced;
 *   - it is written under PATH.tmp-PID beside PATH (same directory, so
 *     the rename is atomic), fsynced, renamed onto PATH on success only,
 *     and the directory fsynced after;
 *   - a failure removes the temporary; a kill may leave only the
 *     temporary PATH.tmp-PID, never a partial file under PATH.
 * A symbolic link to a regular file is replaced by the new file (the
 * rename replaces the link, not what it names).
 *
 * For a tool's main thread or a child it forks; allocates only what
 * jansson does; every call may block on the file system.
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

/*
 * May an output replace path?  0 when nothing is there (or a dangling
 * symbolic link) or a regular file is, following symbolic links.
 * -EEXIST when something else is, err then reads
 *   "PATH: not a regular file (a FIFO): refusing to replace it"
 * (or "(a symbolic link to a character device)", ...); -errno when path
 * cannot be looked at (err says why).  err may be NULL.  A tool exits 2
 * on either.
 */
int files_check_target(const char *path, char *err, size_t errlen);

/* path.tmp-PID into buf: 0 or -ENAMETOOLONG. */
int files_tmp_name(char *buf, size_t len, const char *path);

/*
 * A temporary written and closed by the caller (tmp, from files_tmp_name)
 * into place: the target checked again, tmp fsynced, renamed onto path,
 * path's directory fsynced.  0, -EEXIST (path became something that is not
 * a regular file) or -errno; tmp removed on failure.
 */
int files_commit_tmp(const char *tmp, const char *path);

/* -EEXIST as the check's refusal, dm_strerror's text otherwise. */
const char *files_strerror(int rc);

/* A file being written: f on tmp (path.tmp-PID) until committed. */
struct afile {
	FILE *f;
	char path[PATH_MAX];
	char tmp[PATH_MAX + 32];
	char err[2 * PATH_MAX + 192]; /* why afile_open or afile_commit failed */
};

/* Open dir/name (name NULL: dir is the whole path) for writing, after
 * files_check_target.  0, -EEXIST (refused: not a regular file),
 * -ENAMETOOLONG or -errno; a->err names the path and the cause. */
int afile_open(struct afile *a, const char *dir, const char *name);

/* Flush, fsync, close and rename into place (files_commit_tmp): 0, or
 * -EIO (a write failed) / -EEXIST / -errno, the temporary removed either
 * way; a->err says why. */
int afile_commit(struct afile *a);

/* Close and remove the temporary: nothing of it stays. */
void afile_abort(struct afile *a);

/* buf (n bytes) as the whole of path, atomically.  0 or -errno. */
int files_write_atomic(const char *path, const void *buf, size_t n);

/* j as indented JSON (keys in order, reals with 12 significant digits)
 * and a newline, atomically into dir/name (name NULL: dir is the path). */
int files_json_write(const char *dir, const char *name, const json_t *j);

#endif /* DM_TOOLS_LIB_FILES_H */
