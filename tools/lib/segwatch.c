/*
 * segwatch.c — follow a segment name across system restarts (segwatch.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/lib/segwatch.h"

int segwatch_init(struct segwatch *w, const char *name, uint64_t app_layout)
{
	memset(w, 0, sizeof(*w));
	w->app_layout = app_layout;
	int rc = seg_name_check(name, w->why, sizeof(w->why));
	if (rc)
		return w->err = rc;
	snprintf(w->name, sizeof(w->name), "%s", name);
	return 0;
}

/* The object the name holds now: 0 with its device and inode, or -errno. */
static int lookup(const char *name, dev_t *dev, ino_t *ino)
{
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? -errno : 0;
	close(fd);
	if (rc == 0) {
		*dev = st.st_dev;
		*ino = st.st_ino;
	}
	return rc;
}

void segwatch_close(struct segwatch *w)
{
	if (w->attached)
		seg_close(&w->seg);
	w->attached = 0;
}

int segwatch_refresh(struct segwatch *w)
{
	dev_t dev;
	ino_t ino;
	int rc = lookup(w->name, &dev, &ino);
	if (w->attached && (rc < 0 || dev != w->dev || ino != w->ino))
		segwatch_close(w); /* gone or replaced: the mapping is a dead run's */
	if (w->attached)
		return 1;
	if (rc < 0) {
		w->err = rc;
		snprintf(w->why, sizeof(w->why), "%s", rc == -ENOENT ? "no such segment (is the "
			 "system running?)" : strerror(-rc));
		return 0;
	}
	rc = seg_attach_err(&w->seg, w->name, 1, w->app_layout, w->why, sizeof(w->why));
	if (rc) {
		w->err = rc;
		return 0;
	}
	/* the name may have changed hands between the lookup and the attach:
	 * keep the mapping only if it is still the object looked up */
	dev_t dev2;
	ino_t ino2;
	if (lookup(w->name, &dev2, &ino2) != 0 || dev2 != dev || ino2 != ino) {
		seg_close(&w->seg);
		w->err = -EAGAIN;
		snprintf(w->why, sizeof(w->why), "replaced while attaching: try again");
		return 0;
	}
	w->attached = 1;
	w->dev = dev;
	w->ino = ino;
	w->attaches++;
	w->err = 0;
	w->why[0] = '\0';
	return 1;
}
