/*
 * mt5_key.c — the bridge's shared secret from its file (mt5_session.h):
 * refused unless only its owner may read it, as ssh refuses a private key;
 * no message ever shows its content.
 */
#include "libcore/mt5/mt5_session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAX 4096

static int fail(char *err, size_t errlen, int rc, const char *path, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, what);
	return rc;
}

int mt5_key_load(struct mt5_key *k, const char *path, char *err, size_t errlen)
{
	char text[KEY_FILE_MAX + 1], why[256];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	mt5_key_wipe(k);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		if (errno == ELOOP)
			return fail(err, errlen, rc, path, "is a symbolic link: name the key "
			            "file itself");
		snprintf(why, sizeof(why), "cannot open: %s", strerror(errno));
		return fail(err, errlen, rc, path, why);
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(why, sizeof(why), "cannot stat: %s", strerror(errno));
		close(fd);
		return fail(err, errlen, rc, path, why);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -EINVAL, path, "not a regular file");
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		snprintf(why, sizeof(why), "owned by uid %u, not by this user (uid %u): the "
		         "key must be its reader's own file", (unsigned)st.st_uid,
		         (unsigned)geteuid());
		return fail(err, errlen, -EPERM, path, why);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		snprintf(why, sizeof(why), "permissions %04o are too open: the group or others "
		         "may use it; run chmod 600 %s", (unsigned)(st.st_mode & 07777), path);
		return fail(err, errlen, -EPERM, path, why);
	}
	if (st.st_size > KEY_FILE_MAX) {
		close(fd);
		return fail(err, errlen, -EINVAL, path, "larger than a key file (4 KiB)");
	}
	while (got < KEY_FILE_MAX && (n = read(fd, text + got, KEY_FILE_MAX - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			snprintf(why, sizeof(why), "cannot read: %s", strerror(errno));
			close(fd);
			explicit_bzero(text, sizeof(text));
			return fail(err, errlen, rc, path, why);
		}
		got += (size_t)n;
	}
	close(fd);
	rc = mt5_key_parse(k, text, got);
	explicit_bzero(text, sizeof(text));
	if (rc)
		return fail(err, errlen, -EINVAL, path, "not a key: it must hold 64 to 128 hex "
		            "digits (32 to 64 bytes) and nothing else; dm-mt5 new-secret FILE "
		            "makes one");
	return 0;
}
