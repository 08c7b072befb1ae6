/*
 * seg.c — segment create / attach / probe (seg.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm/seg.h"

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

/*
 * Every size and offset of shm's own structs that a process relies on when
 * it reads another process's memory.  Adding a field to any of them changes
 * the hash, and processes built before the change refuse to attach.  The
 * messages the rings carry are the caller's: their hash is the caller's
 * layout word (seg_spec.app_layout, seg_attach's app_layout).
 */
#define L(type, field) offsetof(struct type, field)
static const uint64_t layout_words[] = {
	SEG_VERSION,
	sizeof(struct seg_hdr), L(seg_hdr, layout_hash), L(seg_hdr, app_layout),
	L(seg_hdr, total_size), L(seg_hdr, state), L(seg_hdr, epoch), L(seg_hdr, agents_off),
	L(seg_hdr, ring),
	sizeof(struct seg_ring_desc), L(seg_ring_desc, offset), L(seg_ring_desc, capacity),
	sizeof(struct ring), L(ring, slot_size), L(ring, capacity), L(ring, policy),
	L(ring, head), L(ring, cached_tail), L(ring, full), L(ring, dropped),
	L(ring, pending), L(ring, tail), RING_SLOT_HDR,
	sizeof(struct doorbell), L(doorbell, epoch), L(doorbell, waiters),
	sizeof(struct agent_slot), L(agent_slot, pid), L(agent_slot, state),
	L(agent_slot, generation), L(agent_slot, heartbeat_ns), L(agent_slot, restarts),
	L(agent_slot, bell), L(agent_slot, ctr), sizeof(struct agent_counters),
};
#undef L

uint64_t seg_layout_hash(void)
{
	return dm_layout_hash(layout_words, sizeof(layout_words) / sizeof(layout_words[0]));
}

/* ------------------------------------------------------------ names */

/* name with its unprintable bytes escaped, cut to fit out (n >= 8). */
static const char *show_name(const char *name, char *out, size_t n)
{
	size_t k = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p && k + 8 < n; p++) {
		const char *esc = *p == '\n' ? "\\n" : *p == '\t' ? "\\t" :
				  *p == '\\' ? "\\\\" : *p == '\'' ? "\\'" : NULL;
		if (esc)
			k += (size_t)snprintf(out + k, n - k, "%s", esc);
		else if (*p < 0x20 || *p == 0x7f)
			k += (size_t)snprintf(out + k, n - k, "\\x%02x", *p);
		else
			out[k++] = (char)*p;
	}
	out[k] = '\0';
	return out;
}

static int name_fail(char *err, size_t errlen, const char *name, const char *why, ...)
	__attribute__((format(printf, 4, 5)));
static int name_fail(char *err, size_t errlen, const char *name, const char *why, ...)
{
	char shown[4 * SEG_NAME_MAX + 16], text[160];
	va_list ap;

	if (err && errlen) {
		va_start(ap, why);
		vsnprintf(text, sizeof(text), why, ap);
		va_end(ap);
		snprintf(err, errlen, "segment name '%s': %s", show_name(name, shown,
			 sizeof(shown)), text);
	}
	return -EINVAL;
}

int seg_name_check(const char *name, char *err, size_t errlen)
{
	if (!name || !name[0])
		return name_fail(err, errlen, "", "empty; expected '/' then a name");
	/* a name longer than the field is refused before anything else reads it */
	size_t n = strnlen(name, SEG_NAME_MAX);
	if (n >= SEG_NAME_MAX)
		return name_fail(err, errlen, name, "longer than %d bytes", SEG_NAME_MAX - 1);
	if (name[0] != '/')
		return name_fail(err, errlen, name, "must start with '/'");
	if (n == 1)
		return name_fail(err, errlen, name, "'/' alone; expected '/' then a name");
	if (strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0)
		return name_fail(err, errlen, name, "'.' and '..' name directories");
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '/')
			return name_fail(err, errlen, name, "'/' at byte %zu; only the first "
					 "byte may be '/'", i + 1);
		if (c < 0x20 || c == 0x7f)
			return name_fail(err, errlen, name, "control character 0x%02x at byte "
					 "%zu", c, i + 1);
	}
	return 0;
}

/* ------------------------------------------------------------ spec */

static int spec_check(const struct seg_spec *sp)
{
	if (seg_name_check(sp->name, NULL, 0) != 0)
		return -EINVAL;
	if (sp->epoch > SEG_EPOCH_MAX)
		return -EINVAL;
	if (sp->n_agents == 0 || sp->n_agents > SEG_MAX_AGENTS || sp->n_rings > SEG_MAX_RINGS)
		return -DM_ETOPOLOGY;
	for (uint32_t i = 0; i < sp->n_agents; i++) {
		if (!sp->agents[i] || !sp->agents[i][0] || strlen(sp->agents[i]) >= AGENT_NAME_MAX)
			return -DM_ETOPOLOGY;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(sp->agents[i], sp->agents[j]) == 0)
				return -DM_ETOPOLOGY;
	}
	for (uint32_t i = 0; i < sp->n_rings; i++) {
		const struct seg_ring_spec *r = &sp->ring[i];
		if (!r->name || !r->name[0] || strlen(r->name) >= RING_NAME_MAX ||
		    r->producer >= sp->n_agents || r->consumer >= sp->n_agents ||
		    r->producer == r->consumer)
			return -DM_ETOPOLOGY;
		if (ring_memsize(r->capacity, r->slot_size) == 0)
			return -EINVAL;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(r->name, sp->ring[j].name) == 0)
				return -DM_ETOPOLOGY;
	}
	return 0;
}

/* Offsets of every part; returns the total size. */
static uint64_t lay_out(const struct seg_spec *sp, uint64_t ring_off[], uint64_t *agents_off,
			uint64_t *rings_off, uint64_t *user_off)
{
	uint64_t off = ALIGN_UP(sizeof(struct seg_hdr), DM_CACHELINE);
	*agents_off = off;
	off += (uint64_t)sp->n_agents * sizeof(struct agent_slot);
	*rings_off = off;
	for (uint32_t i = 0; i < sp->n_rings; i++) {
		ring_off[i] = off;
		off += ALIGN_UP(ring_memsize(sp->ring[i].capacity, sp->ring[i].slot_size),
				DM_CACHELINE);
	}
	*user_off = off;
	off += ALIGN_UP(sp->user_size, DM_CACHELINE);
	return ALIGN_UP(off, 4096);
}

size_t seg_memsize(const struct seg_spec *spec)
{
	uint64_t ro[SEG_MAX_RINGS], a, r, u;
	if (spec_check(spec) != 0)
		return 0;
	return lay_out(spec, ro, &a, &r, &u);
}

static int pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* off and len lie inside [0, lim): off <= lim && len <= lim - off, which
 * never wraps, unlike off + len <= lim. */
static int span_ok(uint64_t off, uint64_t len, uint64_t lim)
{
	return off <= lim && len <= lim - off;
}

/* The registry of h lies inside size bytes, at an aligned offset. */
static int registry_ok(const struct seg_hdr *h, size_t size)
{
	return h->n_agents <= SEG_MAX_AGENTS && h->agents_off % DM_CACHELINE == 0 &&
	       h->agents_off >= sizeof(struct seg_hdr) &&
	       span_ok(h->agents_off, (uint64_t)h->n_agents * sizeof(struct agent_slot), size);
}

int seg_probe(const char *name, struct seg_probe *p)
{
	memset(p, 0, sizeof(*p));
	if (seg_name_check(name, NULL, 0) != 0)
		return -EINVAL;
	int fd = shm_open(name, O_RDONLY, 0);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? -errno : 0;
	p->owner_uid = st.st_uid;
	if (rc == 0 && (size_t)st.st_size >= sizeof(struct seg_hdr)) {
		const struct seg_hdr *h = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (h == MAP_FAILED) {
			rc = -errno;
		} else {
			p->valid = atomic_load(&((struct seg_hdr *)h)->magic) == SEG_MAGIC &&
				   registry_ok(h, (size_t)st.st_size);
			p->creator_pid = h->creator_pid;
			p->created_ns = h->created_ns;
			if (pid_alive(h->creator_pid))
				p->live_pid = h->creator_pid;
			for (uint32_t i = 0; p->valid && !p->live_pid && i < h->n_agents; i++) {
				const struct agent_slot *a = (const struct agent_slot *)
					((const uint8_t *)h + h->agents_off) + i;
				int32_t pid = atomic_load(&((struct agent_slot *)a)->pid);
				if (pid_alive(pid))
					p->live_pid = pid;
			}
			munmap((void *)h, st.st_size);
		}
	}
	close(fd);
	return rc;
}

static int report_existing(const char *name)
{
	struct seg_probe p;
	if (seg_probe(name, &p) != 0 || !p.valid)
		return -EEXIST;
	return p.live_pid ? -DM_EBUSY : -DM_ESTALE;
}

static void init_layout(struct seg_hdr *h, const struct seg_spec *sp, const uint64_t ring_off[])
{
	struct seg s = { .hdr = h };
	for (uint32_t i = 0; i < sp->n_agents; i++)
		agent_slot_init(seg_agent(&s, i), sp->agents[i]);
	for (uint32_t i = 0; i < sp->n_rings; i++) {
		const struct seg_ring_spec *r = &sp->ring[i];
		struct seg_ring_desc *d = &h->ring[i];
		strncpy(d->name, r->name, RING_NAME_MAX - 1);
		d->producer = r->producer;
		d->consumer = r->consumer;
		d->policy = r->policy;
		d->capacity = r->capacity;
		d->slot_size = r->slot_size;
		d->offset = ring_off[i];
		d->size = ring_memsize(r->capacity, r->slot_size);
		ring_init(seg_ring(&s, i), r->name, r->capacity, r->slot_size, r->policy);
	}
}

int seg_create(struct seg *s, const struct seg_spec *sp, int64_t now_ns)
{
	uint64_t ring_off[SEG_MAX_RINGS], agents_off, rings_off, user_off;
	int rc = spec_check(sp);
	if (rc)
		return rc;
	uint64_t total = lay_out(sp, ring_off, &agents_off, &rings_off, &user_off);

	int fd = shm_open(sp->name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return errno == EEXIST ? report_existing(sp->name) : -errno;
	if (ftruncate(fd, (off_t)total) < 0) {
		rc = -errno;
		goto unlink;
	}
	struct seg_hdr *h = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		rc = -errno;
		goto unlink;
	}
	close(fd);

	/* ftruncate zero-fills: magic stays 0 until everything is in place */
	h->version = SEG_VERSION;
	h->hdr_size = sizeof(*h);
	h->layout_hash = seg_layout_hash();
	h->app_layout = sp->app_layout;
	h->total_size = total;
	h->owner_uid = getuid();
	h->creator_pid = getpid();
	h->created_ns = now_ns;
	strncpy(h->name, sp->name, SEG_NAME_MAX - 1);
	h->n_rings = sp->n_rings;
	h->n_agents = sp->n_agents;
	h->epoch = sp->epoch;
	if (!h->epoch) {
		h->epoch = (uint32_t)((uint64_t)(now_ns / 1000000000) & SEG_EPOCH_MAX);
		if (!h->epoch)
			h->epoch = 1;
	}
	h->agents_off = agents_off;
	h->rings_off = rings_off;
	h->user_off = user_off;
	h->user_size = sp->user_size;
	init_layout(h, sp, ring_off);
	atomic_store_explicit(&h->state, SEG_READY, memory_order_relaxed);
	/* release: the whole layout before the magic; pairs with seg_attach's acquire */
	atomic_store_explicit(&h->magic, SEG_MAGIC, memory_order_release);

	s->hdr = h;
	s->size = total;
	s->created = 1;
	strncpy(s->name, sp->name, SEG_NAME_MAX - 1);
	s->name[SEG_NAME_MAX - 1] = '\0';
	return 0;

unlink:
	close(fd);
	shm_unlink(sp->name);
	return rc;
}

/* ------------------------------------------------------------ validation */

static int vfail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int vfail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}
#define BAD(...) vfail(err, errlen, -DM_ECORRUPT, __VA_ARGS__)

/* A name field holds its NUL. */
static int terminated(const char *field, size_t n)
{
	return memchr(field, '\0', n) != NULL;
}

/* The ring of descriptor i: where it lies, its header against the
 * descriptor, its shape, its ends.  *prev_end: where the previous ring
 * ended (rings lie in table order). */
static int validate_ring(const struct seg_hdr *h, uint32_t i, uint64_t *prev_end,
			 char *err, size_t errlen)
{
	const struct seg_ring_desc *d = &h->ring[i];
	const char *nm = terminated(d->name, RING_NAME_MAX) ? d->name : "?";

	if (!terminated(d->name, RING_NAME_MAX) || !d->name[0])
		return BAD("ring[%" PRIu32 "].name is %s", i,
			   d->name[0] ? "not NUL-terminated" : "empty");
	if (d->producer >= h->n_agents || d->consumer >= h->n_agents || d->producer == d->consumer)
		return BAD("ring[%" PRIu32 "] '%s': producer %u, consumer %u: two different "
			   "agents below n_agents %" PRIu32 " expected", i, nm, d->producer,
			   d->consumer, h->n_agents);
	if (d->policy != RING_BLOCK && d->policy != RING_CONFLATE)
		return BAD("ring[%" PRIu32 "] '%s': policy %" PRIu32 " is neither block (0) nor "
			   "conflate (1)", i, nm, d->policy);
	if (d->offset % DM_CACHELINE || d->size < sizeof(struct ring) || d->offset < *prev_end ||
	    !span_ok(d->offset, d->size, h->user_off) || d->offset < h->rings_off)
		return BAD("ring[%" PRIu32 "] '%s': offset %" PRIu64 " + size %" PRIu64 " is not "
			   "an aligned block of at least %zu bytes inside [%" PRIu64 ", %" PRIu64
			   "), the ring area after the rings before it", i, nm, d->offset, d->size,
			   sizeof(struct ring), *prev_end, h->user_off);
	/* the ring's header lies inside the segment now: read it */
	const struct ring *r = (const struct ring *)(const void *)((const uint8_t *)h + d->offset);
	int rc = ring_check(r, d->capacity, d->slot_size, (enum ring_policy)d->policy);
	if (rc)
		return vfail(err, errlen, rc, "ring[%" PRIu32 "] '%s' at offset %" PRIu64 ": %s "
			     "(magic %08" PRIx32 ", capacity %" PRIu64 ", slot_size %" PRIu32 "; "
			     "descriptor: capacity %" PRIu64 ", slot_size %" PRIu32 ")", i, nm,
			     d->offset, rc == -DM_EMAGIC ? "no ring there" :
			     "ring and descriptor differ", r->magic, r->capacity, r->slot_size,
			     d->capacity, d->slot_size);
	size_t need = ring_memsize(d->capacity, d->slot_size);
	if (need == 0 || need != d->size)
		return BAD("ring[%" PRIu32 "] '%s': capacity %" PRIu64 " x slot_size %" PRIu32
			   " %s size %" PRIu64, i, nm, d->capacity, d->slot_size,
			   need ? "does not match" : "is no ring shape, for", d->size);
	if (r->pending_len > d->slot_size - RING_SLOT_HDR)
		return BAD("ring[%" PRIu32 "] '%s': pending_len %" PRIu32 " above the %" PRIu32
			   " message bytes of a slot", i, nm, r->pending_len,
			   d->slot_size - RING_SLOT_HDR);
	*prev_end = d->offset + d->size;
	return 0;
}

int seg_validate(const void *base, size_t size, char *err, size_t errlen)
{
	const struct seg_hdr *h = base;

	if (err && errlen)
		err[0] = '\0';
	if ((uintptr_t)base % DM_CACHELINE)
		return vfail(err, errlen, -EINVAL, "segment memory not aligned to %d bytes",
			     DM_CACHELINE);
	if (size < sizeof(*h))
		return vfail(err, errlen, -DM_ESIZE, "%zu bytes: smaller than the %zu-byte "
			     "header", size, sizeof(*h));
	/* acquire: pairs with the creator's release of the magic */
	uint64_t magic = atomic_load_explicit(&((struct seg_hdr *)h)->magic, memory_order_acquire);
	if (magic == 0)
		return vfail(err, errlen, -EAGAIN, "magic 0: still being created");
	if (magic != SEG_MAGIC)
		return vfail(err, errlen, -DM_EMAGIC, "magic %016" PRIx64 ": not a DreamMaker "
			     "segment", magic);
	if (h->version != SEG_VERSION)
		return vfail(err, errlen, -DM_EVERSION, "version %" PRIu32 ", this build reads %d",
			     h->version, SEG_VERSION);
	if (h->layout_hash != seg_layout_hash() || h->hdr_size != sizeof(*h))
		return vfail(err, errlen, -DM_ELAYOUT, "layout_hash %016" PRIx64 ", hdr_size %"
			     PRIu32 "; this build: %016" PRIx64 ", %zu (built from other shm "
			     "headers)", h->layout_hash, h->hdr_size, seg_layout_hash(),
			     sizeof(*h));
	if (h->total_size != (uint64_t)size)
		return vfail(err, errlen, -DM_ESIZE, "total_size %" PRIu64 ", the object holds "
			     "%zu bytes", h->total_size, size);
	if (h->n_agents < 1 || h->n_agents > SEG_MAX_AGENTS)
		return BAD("n_agents %" PRIu32 " outside 1..%d", h->n_agents, SEG_MAX_AGENTS);
	if (h->n_rings > SEG_MAX_RINGS)
		return BAD("n_rings %" PRIu32 " above %d", h->n_rings, SEG_MAX_RINGS);
	if (h->epoch < 1 || h->epoch > SEG_EPOCH_MAX)
		return BAD("epoch %" PRIu32 " outside 1..%u", h->epoch, SEG_EPOCH_MAX);
	uint32_t state = atomic_load_explicit(&((struct seg_hdr *)h)->state, memory_order_relaxed);
	if (state > SEG_CLOSING)
		return BAD("state %" PRIu32 " is no segment state (0..%d)", state, SEG_CLOSING);
	if (!terminated(h->name, SEG_NAME_MAX))
		return BAD("name is not NUL-terminated within %d bytes", SEG_NAME_MAX);
	if (!registry_ok(h, size))
		return BAD("agents_off %" PRIu64 " + %" PRIu32 " slots of %zu bytes is not an "
			   "aligned block after the header inside the %zu bytes", h->agents_off,
			   h->n_agents, sizeof(struct agent_slot), size);
	uint64_t agents_end = h->agents_off + (uint64_t)h->n_agents * sizeof(struct agent_slot);
	if (h->rings_off % DM_CACHELINE || h->rings_off < agents_end || h->rings_off > size)
		return BAD("rings_off %" PRIu64 " is not an aligned offset in [%" PRIu64 ", %zu]",
			   h->rings_off, agents_end, size);
	if (h->user_off % DM_CACHELINE || h->user_off < h->rings_off ||
	    !span_ok(h->user_off, h->user_size, size))
		return BAD("user_off %" PRIu64 " + user_size %" PRIu64 " is not an aligned "
			   "block inside [%" PRIu64 ", %zu)", h->user_off, h->user_size,
			   h->rings_off, size);
	for (uint32_t i = 0; i < h->n_agents; i++) {
		const struct agent_slot *a = (const struct agent_slot *)(const void *)
			((const uint8_t *)h + h->agents_off) + i;
		if (!terminated(a->name, AGENT_NAME_MAX))
			return BAD("agent[%" PRIu32 "].name is not NUL-terminated within %d bytes",
				   i, AGENT_NAME_MAX);
	}
	uint64_t end = h->rings_off;
	for (uint32_t i = 0; i < h->n_rings; i++) {
		int rc = validate_ring(h, i, &end, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}
#undef BAD

int seg_attach_err(struct seg *s, const char *name, int readonly, uint64_t app_layout,
		   char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (err && errlen)
		err[0] = '\0';
	int rc = seg_name_check(name, err, errlen);
	if (rc)
		return rc;
	int fd = shm_open(name, readonly ? O_RDONLY : O_RDWR, 0);
	if (fd < 0)
		return vfail(err, errlen, -errno, "%s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		rc = vfail(err, errlen, -errno, "%s", strerror(errno));
		goto close_fd;
	}
	if (st.st_uid != getuid()) {
		rc = vfail(err, errlen, -DM_EOWNER, "owned by uid %u, this process runs as %u",
			   (unsigned)st.st_uid, (unsigned)getuid());
		goto close_fd;
	}
	if (st.st_size == 0) {
		rc = vfail(err, errlen, -EAGAIN, "0 bytes: still being created");
		goto close_fd;
	}
	if ((uint64_t)st.st_size < sizeof(struct seg_hdr) || (uint64_t)st.st_size > SIZE_MAX) {
		rc = vfail(err, errlen, -DM_ESIZE, "%lld bytes: smaller than the %zu-byte header",
			   (long long)st.st_size, sizeof(struct seg_hdr));
		goto close_fd;
	}
	void *m = mmap(NULL, st.st_size, PROT_READ | (readonly ? 0 : PROT_WRITE), MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		rc = vfail(err, errlen, -errno, "cannot map: %s", strerror(errno));
		goto close_fd;
	}
	const struct seg_hdr *h = m;
	rc = seg_validate(m, (size_t)st.st_size, err, errlen);
	if (rc == 0 && h->app_layout != app_layout)
		rc = vfail(err, errlen, -DM_ELAYOUT, "app_layout %016" PRIx64 ", this program "
			   "expects %016" PRIx64 " (built from other message headers)",
			   h->app_layout, app_layout);
	if (rc == 0 && h->owner_uid != st.st_uid)
		rc = vfail(err, errlen, -DM_EOWNER, "owner_uid %" PRIu32 ", the object's owner "
			   "is %u", h->owner_uid, (unsigned)st.st_uid);
	if (rc) {
		munmap(m, st.st_size);
		goto close_fd;
	}
	s->hdr = m;
	s->size = st.st_size;
	strncpy(s->name, name, SEG_NAME_MAX - 1);
close_fd:
	close(fd);
	return rc;
}

int seg_attach(struct seg *s, const char *name, int readonly, uint64_t app_layout)
{
	return seg_attach_err(s, name, readonly, app_layout, NULL, 0);
}

void seg_close(struct seg *s)
{
	if (s->hdr)
		munmap(s->hdr, s->size);
	s->hdr = NULL;
}

int seg_unlink(const char *name)
{
	if (seg_name_check(name, NULL, 0) != 0)
		return -EINVAL;
	return shm_unlink(name) < 0 ? -errno : 0;
}

int seg_ring_find(const struct seg *s, const char *name)
{
	for (uint32_t i = 0; i < s->hdr->n_rings; i++)
		if (strncmp(s->hdr->ring[i].name, name, RING_NAME_MAX) == 0)
			return (int)i;
	return -DM_ENOTFOUND;
}

int seg_agent_find(const struct seg *s, const char *name)
{
	for (uint32_t i = 0; i < s->hdr->n_agents; i++)
		if (strncmp(seg_agent(s, i)->name, name, AGENT_NAME_MAX) == 0)
			return (int)i;
	return -DM_ENOTFOUND;
}
