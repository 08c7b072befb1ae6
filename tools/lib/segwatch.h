/*
 * segwatch.h — a read-only attachment to a segment that follows the
 * system across restarts: for monitors that outlive the system they
 * watch (dm-exporter, dm-top).
 *
 * A run's segment is unlinked by `dmctl stop` and a new one created
 * under the same name by the next `dmctl start`; a process still mapping
 * the old one would go on reading a dead run.  segwatch_refresh, called
 * before each reading, looks the name up again (shm_open and fstat: two
 * system calls and a close) and compares the object with the one mapped
 * (device and inode): gone, it unmaps and reports 0; replaced, it
 * unmaps and attaches the new one; absent before, it tries to attach.
 * Attaching maps PROT_READ (seg_attach read-only): a reader that wrote to
 * the segment would fault instead.
 *
 * For one thread of a tool: not thread-safe, allocates nothing but the
 * mapping; every call may make system calls.
 */
#ifndef DM_TOOLS_LIB_SEGWATCH_H
#define DM_TOOLS_LIB_SEGWATCH_H

#include <stdint.h>
#include <sys/types.h>

#include "shm/seg.h"

struct segwatch {
	char     name[SEG_NAME_MAX];
	uint64_t app_layout;  /* the layout word attaches expect */
	struct seg seg;       /* valid while attached */
	int      attached;
	dev_t    dev;         /* the object mapped */
	ino_t    ino;
	uint64_t attaches;    /* successful attaches so far */
	int      err;         /* the last attach's refusal (-errno, -DM_E*), 0 none */
	char     why[256];    /* its text: seg_attach_err's line */
};

/* Set w up for segment name (checked by seg_name_check: 0 or -EINVAL,
 * with the reason in w->why); nothing is attached yet. */
int segwatch_init(struct segwatch *w, const char *name, uint64_t app_layout);

/*
 * Bring w up to date with what the name holds now.  Returns 1 when
 * attached to the segment the name holds (attached again if the
 * name now holds another object), 0 when not (w->err and w->why say
 * why; -ENOENT: no segment of that name).  The previous mapping, if any,
 * is gone after a change: pointers into w->seg taken before the call
 * are then invalid.
 */
int segwatch_refresh(struct segwatch *w);

/* Unmap, if attached. */
void segwatch_close(struct segwatch *w);

#endif /* DM_TOOLS_LIB_SEGWATCH_H */
