/*
 * seg.h — the shared-memory segment: header, ring table, agent registry.
 *
 *   +--------------------+ 0
 *   | struct seg_hdr     |  magic, version, layout hash, the caller's
 *   |                    |  layout word, size, owner, creation time,
 *   |                    |  the run's id epoch, ring descriptors
 *   +--------------------+ agents_off
 *   | agent_slot[n]      |  registry (registry.h)
 *   +--------------------+ rings_off
 *   | ring 0 | ring 1 .. |  each ring_memsize() bytes, cache-line aligned
 *   +--------------------+ user_off
 *   | user area          |  state that must survive an agent restart
 *   +--------------------+ total_size
 *
 * Creation: shm_open(O_CREAT|O_EXCL, 0600), size, lay out, and publish the
 * magic last (release), so an attacher that sees the magic sees the rest.
 * A name that already exists is never reused: seg_create reports whether a
 * live run owns it (-DM_EBUSY) or a crashed run left it (-DM_ESTALE).
 * Attach validates magic, version, layout hash (sizes and offsets of every
 * shared struct of shm, seg_layout_hash()), the caller's layout word (the
 * hash of what the caller puts in the rings and the user area: the agents
 * pass msg_layout_hash(); shm knows no message), recorded size against the
 * real size, and the owner's uid.
 *
 * Nothing in a header is trusted before seg_validate has checked it: every
 * count is bounded before it multiplies, and every (offset, length) pair is
 * checked as `off <= size && len <= size - off` (never off + len, which
 * wraps) against the mapped size, before the memory it names is read.  The
 * regions must also lie in order (header, registry, rings in table order,
 * user area), cache-line aligned, so no region overlaps another; every
 * name is NUL-terminated inside its field.  A refusal names the field and
 * its value.
 */
#ifndef DM_SHM_SEG_H
#define DM_SHM_SEG_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "libcore/types.h"
#include "shm/registry.h"
#include "shm/ring.h"

#define SEG_MAGIC      0x0031304745534d44ull /* "DMSEG01\0" little-endian */
#define SEG_VERSION    1
#define SEG_MAX_RINGS  40
#define SEG_MAX_AGENTS 8
#define SEG_NAME_MAX   64
#define SEG_EPOCH_MAX  0xffffffu /* ids keep 24 bits of epoch above 40 of count */

enum seg_state { SEG_CREATING = 0, SEG_READY = 1, SEG_CLOSING = 2 };

struct seg_ring_desc {
	char     name[RING_NAME_MAX];
	uint16_t producer;   /* agent index */
	uint16_t consumer;   /* agent index */
	uint32_t policy;     /* enum ring_policy */
	uint64_t capacity;
	uint32_t slot_size;
	uint32_t pad;
	uint64_t offset;     /* from the segment start */
	uint64_t size;       /* ring_memsize() */
};
_Static_assert(sizeof(struct seg_ring_desc) == 72, "seg_ring_desc size");

struct seg_hdr {
	_Atomic uint64_t magic;  /* SEG_MAGIC once fully initialized */
	uint32_t version;
	uint32_t hdr_size;
	uint64_t layout_hash;    /* seg_layout_hash() of the creator */
	uint64_t app_layout;     /* seg_spec.app_layout of the creator */
	uint64_t total_size;
	uint32_t owner_uid;
	int32_t  creator_pid;
	int64_t  created_ns;
	char     name[SEG_NAME_MAX];
	_Atomic uint32_t state;  /* enum seg_state */
	uint32_t n_rings;
	uint32_t n_agents;
	uint32_t epoch;          /* 1..SEG_EPOCH_MAX: the run's id epoch (the
	                          * high bits of decision and order ids, the
	                          * agents' only source of it); seg_spec.epoch,
	                          * or the creation second & SEG_EPOCH_MAX */
	uint64_t agents_off;
	uint64_t rings_off;
	uint64_t user_off;
	uint64_t user_size;
	struct seg_ring_desc ring[SEG_MAX_RINGS];
};
_Static_assert(offsetof(struct seg_hdr, n_agents) == 128, "seg_hdr.n_agents");
_Static_assert(offsetof(struct seg_hdr, epoch) == 132, "seg_hdr.epoch");
_Static_assert(offsetof(struct seg_hdr, agents_off) == 136, "seg_hdr.agents_off");

/* What to create. */
struct seg_ring_spec {
	const char *name;
	uint16_t producer, consumer;
	uint64_t capacity;
	uint32_t slot_size;
	enum ring_policy policy;
};
struct seg_spec {
	const char *name;                         /* "/name" */
	uint32_t n_agents;
	const char *agents[SEG_MAX_AGENTS];
	uint32_t n_rings;
	struct seg_ring_spec ring[SEG_MAX_RINGS];
	uint64_t user_size;                       /* bytes of user area */
	uint64_t app_layout;                      /* the caller's layout word:
	                                           * a hash of its messages and
	                                           * user-area structs, recorded
	                                           * in the header */
	uint32_t epoch;                           /* seg_hdr.epoch: 1..SEG_EPOCH_MAX,
	                                           * or 0 for the creation second
	                                           * & SEG_EPOCH_MAX (1 if that is
	                                           * 0); a replay gives a fixed one
	                                           * so that its ids repeat */
};

/* A process's handle on a mapped segment. */
struct seg {
	struct seg_hdr *hdr;
	size_t size;
	int created;          /* 1 if this handle created it */
	char name[SEG_NAME_MAX];
};

/* Hash of the sizes and offsets of every shared struct of shm (not the
 * messages: those are the caller's, seg_spec.app_layout). */
uint64_t seg_layout_hash(void);

/*
 * Check a segment name: '/' then 1..SEG_NAME_MAX - 2 bytes, none of them
 * '/', a control character (below 0x20) or DEL (0x7f), and neither "/."
 * nor "/..".  (SEG_NAME_MAX is far below NAME_MAX, so a name that passes
 * always fits /dev/shm.)  NULL and "" are refused too: an empty --name
 * never falls back to another segment.  Returns 0, or -EINVAL with one
 * line in err (errlen bytes, may be NULL) that quotes the name with its
 * unprintable bytes escaped ("\n", "\x1b").  Pure; any thread.  Every
 * tool, the agents and tools/dmctl (through `dm-seg check-name`) use it.
 */
int seg_name_check(const char *name, char *err, size_t errlen);

/*
 * Check that the size bytes at base hold a segment this build can use:
 * the magic (0: -EAGAIN, still being created), the version, shm's layout
 * hash and header size, the recorded size against size, then every count,
 * offset and size of the header, the registry and the ring descriptors
 * (see the design note above), and each ring's own header against its
 * descriptor (ring_check) and its side slot's length.  It reads nothing
 * outside [base, base + size), whatever the bytes (fuzzing: any buffer,
 * any size).  base must be aligned to DM_CACHELINE (a mapping, or
 * aligned_alloc), else -EINVAL.  The caller's layout word and the owner
 * are seg_attach's business, not checked here.
 * Returns 0, -EAGAIN, -EINVAL, -DM_EMAGIC, -DM_EVERSION, -DM_ELAYOUT,
 * -DM_ESIZE or -DM_ECORRUPT, with one line in err (errlen bytes, may be
 * NULL) naming the field and its value ("ring[2].offset 4096 + size 8448
 * is outside the ring area [26560, 1127424)").  Pure: no system call, no
 * allocation; any thread.
 */
int seg_validate(const void *base, size_t size, char *err, size_t errlen);

/* Bytes a segment of this spec needs; 0 if the spec is invalid. */
size_t seg_memsize(const struct seg_spec *spec);

/*
 * Create, size, map and initialize a segment.  Returns 0; -EINVAL (bad
 * spec: a name seg_name_check refuses, an epoch above SEG_EPOCH_MAX;
 * -DM_ETOPOLOGY for bad agent indexes
 * or duplicate names);
 * -DM_EBUSY if a live run owns the name; -DM_ESTALE if a dead run left it
 * (remove it with seg_unlink after reading seg_probe); -EEXIST if the name
 * holds something that is not a readable DreamMaker segment; -errno.
 * Allocates nothing but the mapping.
 */
int seg_create(struct seg *s, const struct seg_spec *spec, int64_t now_ns);

/*
 * Map an existing segment read-write (or read-only) and validate it.
 * app_layout is the layout word the caller expects (what its creator put in
 * seg_spec.app_layout); a segment that recorded another word is refused
 * with -DM_ELAYOUT, as is one built from other shm headers.
 * Returns 0, -ENOENT, -EINVAL (a name seg_name_check refuses),
 * -DM_EMAGIC, -DM_EVERSION, -DM_ELAYOUT, -DM_ESIZE, -DM_ECORRUPT (a
 * header field out of bounds: seg_validate), -DM_EOWNER, -EAGAIN (still
 * being created), or -errno.  Start-up code: system calls, a mapping.
 */
int seg_attach(struct seg *s, const char *name, int readonly, uint64_t app_layout);

/* seg_attach with the reason of a refusal as one line in err (errlen
 * bytes, may be NULL): seg_validate's, which names the field and its
 * value, or the cause of the other returns. */
int seg_attach_err(struct seg *s, const char *name, int readonly, uint64_t app_layout,
		   char *err, size_t errlen);

/* 1 when rc, from seg_attach or seg_validate, refuses what the object
 * holds or the name itself (bad input: tools exit 2), 0 for the other
 * failures: no such segment, still being created, another owner, a system
 * error (exit 1). */
static inline int seg_bad_input(int rc)
{
	return rc == -EINVAL || rc == -DM_EMAGIC || rc == -DM_EVERSION || rc == -DM_ELAYOUT ||
	       rc == -DM_ESIZE || rc == -DM_ECORRUPT;
}

/* Unmap. Does not unlink. */
void seg_close(struct seg *s);

/* Remove the name (the memory lives on until every mapping is gone). */
int seg_unlink(const char *name);

/* What an existing name holds, for reports about stale segments. */
struct seg_probe {
	int      valid;       /* header readable and magic right */
	int32_t  creator_pid;
	int64_t  created_ns;
	uint32_t owner_uid;
	int32_t  live_pid;    /* a live process registered in it, or 0 */
};
/* Fill p from what name holds.  valid needs the magic and a registry that
 * lies inside the object (checked without wrapping); a segment of another
 * build may be valid here.  Returns 0, -EINVAL (bad name) or -errno. */
int seg_probe(const char *name, struct seg_probe *p);

static inline struct ring *seg_ring(const struct seg *s, uint32_t i)
{
	return (struct ring *)(void *)((uint8_t *)s->hdr + s->hdr->ring[i].offset);
}

static inline struct agent_slot *seg_agent(const struct seg *s, uint32_t i)
{
	return (struct agent_slot *)(void *)((uint8_t *)s->hdr + s->hdr->agents_off) + i;
}

static inline void *seg_user(const struct seg *s)
{
	return (uint8_t *)s->hdr + s->hdr->user_off;
}

/* Index of a ring / agent by name, or -DM_ENOTFOUND. */
int seg_ring_find(const struct seg *s, const char *name);
int seg_agent_find(const struct seg *s, const char *name);

#endif /* DM_SHM_SEG_H */
