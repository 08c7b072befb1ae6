/*
 * types.h — small value types and the error space shared by every layer.
 *
 * Functions return 0 or a negative error: -errno for system errors, or one
 * of the project's own codes below, which live in a reserved range far above
 * any errno value.  dm_strerror() names both.  This header is the only part
 * of libcore that shm/ may include, so it depends on libc alone.
 */
#ifndef DM_TYPES_H
#define DM_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DM_LIKELY(x)   __builtin_expect(!!(x), 1)
#define DM_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define DM_CACHELINE 64

/* Project errors: returned negated, like -errno. */
enum dm_err {
	DM_EBASE = 10000,
	DM_EMAGIC,      /* segment or file has the wrong magic number */
	DM_EVERSION,    /* format version differs */
	DM_ELAYOUT,     /* layout hash differs: built from other headers */
	DM_ESIZE,       /* size recorded differs from the real size */
	DM_EOWNER,      /* owned by another user */
	DM_ESTALE,      /* left behind by a run whose processes are gone */
	DM_EBUSY,       /* in use by a live run */
	DM_ECONFIG,     /* configuration refused (details in the error text) */
	DM_ETOPOLOGY,   /* ring or agent table inconsistent */
	DM_ENOTFOUND,   /* named ring or agent does not exist */
	DM_ECORRUPT,    /* checksum or structure check failed */
	DM_EFULL,       /* fixed-size table is full */
	DM_ELAST
};

static inline const char *dm_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:           return "success";
	case DM_EMAGIC:   return "wrong magic number (not a DreamMaker object)";
	case DM_EVERSION: return "format version mismatch";
	case DM_ELAYOUT:  return "layout hash mismatch (built from different headers)";
	case DM_ESIZE:    return "size mismatch";
	case DM_EOWNER:   return "owned by another user";
	case DM_ESTALE:   return "stale: left behind by a run whose processes are gone";
	case DM_EBUSY:    return "in use by a live run";
	case DM_ECONFIG:  return "configuration error";
	case DM_ETOPOLOGY:return "inconsistent ring/agent topology";
	case DM_ENOTFOUND:return "not found";
	case DM_ECORRUPT: return "corrupt data (checksum or structure)";
	case DM_EFULL:    return "table full";
	default:          return strerror(err);
	}
}

/* Prices are integer ticks, sizes integer contracts, times ns since epoch. */
typedef int64_t dm_ticks_t;
typedef int64_t dm_qty_t;
typedef int64_t dm_ns_t;

/*
 * FNV-1a 64 over the little-endian bytes of n words: the layout hash of a
 * set of shared structs (their sizes and offsets), so that a process built
 * from other headers refuses to attach.  Pure.
 */
static inline uint64_t dm_layout_hash(const uint64_t *w, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++) {
			h ^= (w[i] >> (8 * b)) & 0xff;
			h *= 0x100000001b3ull;
		}
	return h;
}

#endif /* DM_TYPES_H */
