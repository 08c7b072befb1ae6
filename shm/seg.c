/*
 * seg.c — segment create / attach / probe (seg.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

static int spec_check(const struct seg_spec *sp)
{
	if (!sp->name || sp->name[0] != '/' || strlen(sp->name) >= SEG_NAME_MAX ||
	    strchr(sp->name + 1, '/'))
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

int seg_probe(const char *name, struct seg_probe *p)
{
	memset(p, 0, sizeof(*p));
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
				   h->agents_off + h->n_agents * sizeof(struct agent_slot) <=
					   (uint64_t)st.st_size;
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

static int validate(const struct seg_hdr *h, const struct stat *st, uint64_t app_layout)
{
	/* acquire: pairs with the creator's release of the magic */
	uint64_t magic = atomic_load_explicit(&((struct seg_hdr *)h)->magic, memory_order_acquire);
	if (magic == 0)
		return -EAGAIN;
	if (magic != SEG_MAGIC)
		return -DM_EMAGIC;
	if (h->version != SEG_VERSION)
		return -DM_EVERSION;
	if (h->layout_hash != seg_layout_hash() || h->hdr_size != sizeof(*h) ||
	    h->app_layout != app_layout)
		return -DM_ELAYOUT;
	if (h->total_size != (uint64_t)st->st_size)
		return -DM_ESIZE;
	if (h->owner_uid != st->st_uid || st->st_uid != getuid())
		return -DM_EOWNER;
	if (h->n_agents > SEG_MAX_AGENTS || h->n_rings > SEG_MAX_RINGS || h->epoch < 1 ||
	    h->epoch > SEG_EPOCH_MAX)
		return -DM_ECORRUPT;
	for (uint32_t i = 0; i < h->n_rings; i++) {
		const struct seg_ring_desc *d = &h->ring[i];
		if (d->offset + d->size > h->total_size)
			return -DM_ECORRUPT;
		const struct ring *r = (const struct ring *)(const void *)((const uint8_t *)h + d->offset);
		int rc = ring_check(r, d->capacity, d->slot_size, d->policy);
		if (rc)
			return rc;
	}
	return 0;
}

int seg_attach(struct seg *s, const char *name, int readonly, uint64_t app_layout)
{
	memset(s, 0, sizeof(*s));
	int fd = shm_open(name, readonly ? O_RDONLY : O_RDWR, 0);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto close_fd;
	}
	if (st.st_uid != getuid()) {
		rc = -DM_EOWNER;
		goto close_fd;
	}
	if ((size_t)st.st_size < sizeof(struct seg_hdr)) {
		rc = st.st_size == 0 ? -EAGAIN : -DM_ESIZE;
		goto close_fd;
	}
	void *m = mmap(NULL, st.st_size, PROT_READ | (readonly ? 0 : PROT_WRITE), MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		rc = -errno;
		goto close_fd;
	}
	rc = validate(m, &st, app_layout);
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

void seg_close(struct seg *s)
{
	if (s->hdr)
		munmap(s->hdr, s->size);
	s->hdr = NULL;
}

int seg_unlink(const char *name)
{
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
