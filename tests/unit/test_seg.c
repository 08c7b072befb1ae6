/*
 * test_seg.c — the shared segment (shm/seg.h) and the agent registry
 * (shm/registry.h): create/attach round trip, refusal of live and stale
 * names, every attach validation, bad specs, unlink; registration,
 * take-over of a dead agent's slot, deregistration.
 *
 * Each test names its segments "/dmtest-seg-<pid>-<n>" and the fixture
 * unlinks them and kills any child, also when an assertion fails.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/msg/msg.h"
#include "shm/registry.h"
#include "shm/seg.h"
#include "tests/helpers.h"

/* ------------------------------------------------------------ fixture */

#define MAX_NAMES 4
#define MAX_SEGS  4
#define MAX_KIDS  2

static char names[MAX_NAMES][SEG_NAME_MAX];
static unsigned n_names;
static struct seg segs[MAX_SEGS];
static pid_t kids[MAX_KIDS];
static void *shared_slot; /* registry tests: a slot shared with children */

static void teardown(void)
{
	for (unsigned i = 0; i < MAX_KIDS; i++)
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
	for (unsigned i = 0; i < MAX_SEGS; i++)
		seg_close(&segs[i]);
	for (unsigned i = 0; i < n_names; i++)
		seg_unlink(names[i]);
	n_names = 0;
	if (shared_slot) {
		munmap(shared_slot, sizeof(struct agent_slot));
		shared_slot = NULL;
	}
}

TestSuite(seg, .fini = teardown);
TestSuite(registry, .fini = teardown);
TestSuite(seg_tool, .fini = teardown);

/* A fresh segment name, removed by the fixture. */
static const char *new_name(void)
{
	cr_assert_lt(n_names, MAX_NAMES);
	char *n = t_seg_name(names[n_names++], SEG_NAME_MAX, "seg");
	seg_unlink(n);
	return n;
}

static void shm_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "/dev/shm%s", name);
}

static int shm_exists(const char *name)
{
	char p[128];
	shm_path(p, sizeof(p), name);
	return access(p, F_OK) == 0;
}

/* Fork a child that runs fn(arg) and then _exits with its return value. */
static pid_t spawn(int (*fn)(void *), void *arg)
{
	unsigned k = 0;
	while (k < MAX_KIDS && kids[k])
		k++;
	cr_assert_lt(k, MAX_KIDS);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn(arg));
	kids[k] = pid;
	return pid;
}

/* Reap a child spawned above; returns its wait status. */
static int reap(pid_t pid)
{
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	for (unsigned k = 0; k < MAX_KIDS; k++)
		if (kids[k] == pid)
			kids[k] = 0;
	return st;
}

/* Child that blocks until the parent closes the pipe (or dies). */
static int wait_for_eof(void *arg)
{
	int *p = arg;
	char c;
	close(p[1]); /* else its own copy keeps the pipe open */
	while (read(p[0], &c, 1) > 0)
		;
	return 0;
}

static pid_t spawn_sleeper(int *hold_fd)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = spawn(wait_for_eof, p);
	close(p[0]);
	*hold_fd = p[1]; /* close it to let the child exit */
	return pid;
}

/* Three agents, three rings of different shapes and policies. */
static void spec3(struct seg_spec *sp, const char *name)
{
	memset(sp, 0, sizeof(*sp));
	sp->name = name;
	sp->n_agents = 3;
	sp->agents[0] = "feed";
	sp->agents[1] = "ml";
	sp->agents[2] = "exec";
	sp->n_rings = 3;
	sp->ring[0] = (struct seg_ring_spec){ "md", 0, 1, 64, 128, RING_BLOCK };
	sp->ring[1] = (struct seg_ring_spec){ "intent", 1, 2, 16, 96, RING_CONFLATE };
	sp->ring[2] = (struct seg_ring_spec){ "report", 2, 1, 256, 64, RING_BLOCK };
	sp->user_size = 100;
	sp->app_layout = T_APP_LAYOUT;
}

static const char *create2(struct seg *s)
{
	const char *name = new_name();
	struct seg_spec sp;
	t_spec_two_agents(&sp, name, 16, 64, RING_BLOCK, 0);
	int rc = seg_create(s, &sp, 1);
	cr_assert_eq(rc, 0, "seg_create %s: %s", name, dm_strerror(rc));
	return name;
}

/* ------------------------------------------------------------ create, attach */

Test(seg, create_then_attach_round_trip)
{
	const char *name = new_name();
	struct seg_spec sp;
	spec3(&sp, name);
	struct seg *a = &segs[0], *b = &segs[1];
	cr_assert_eq(seg_create(a, &sp, 123456789), 0);
	cr_assert_eq(a->created, 1);
	cr_assert_str_eq(a->name, name);

	struct seg_hdr *h = a->hdr;
	cr_assert_eq(atomic_load(&h->magic), SEG_MAGIC);
	cr_assert_eq(h->version, SEG_VERSION);
	cr_assert_eq(h->layout_hash, seg_layout_hash());
	cr_assert_eq(h->owner_uid, getuid());
	cr_assert_eq(h->creator_pid, getpid());
	cr_assert_eq(h->created_ns, 123456789);
	cr_assert_eq(atomic_load(&h->state), SEG_READY);
	cr_assert_eq(h->n_rings, 3);
	cr_assert_eq(h->n_agents, 3);
	cr_assert_eq(h->total_size, seg_memsize(&sp));
	cr_assert_eq(a->size, h->total_size);

	/* the file is exactly the recorded size, page-rounded */
	char path[128];
	struct stat st;
	shm_path(path, sizeof(path), name);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq((uint64_t)st.st_size, h->total_size);
	cr_assert_eq(h->total_size % 4096, 0);

	/* layout: aligned, in order, no overlap, inside the segment */
	cr_assert_geq(h->agents_off, sizeof(struct seg_hdr));
	cr_assert_eq(h->agents_off % DM_CACHELINE, 0);
	cr_assert_geq(h->rings_off, h->agents_off + 3 * sizeof(struct agent_slot));
	uint64_t end = h->rings_off;
	for (uint32_t i = 0; i < 3; i++) {
		const struct seg_ring_desc *d = &h->ring[i];
		cr_assert_eq(d->offset % DM_CACHELINE, 0, "ring %u offset", i);
		cr_assert_geq(d->offset, end, "ring %u overlaps", i);
		cr_assert_eq(d->size, ring_memsize(sp.ring[i].capacity, sp.ring[i].slot_size));
		end = d->offset + d->size;
	}
	cr_assert_geq(h->user_off, end);
	cr_assert_eq(h->user_size, 100);
	cr_assert_leq(h->user_off + h->user_size, h->total_size);

	/* a second mapping finds everything by name */
	cr_assert_eq(seg_attach(b, name, 0, T_APP_LAYOUT), 0);
	cr_assert_eq(b->created, 0);
	cr_assert_eq(b->size, a->size);
	cr_assert_neq((void *)b->hdr, (void *)a->hdr, "a separate mapping");
	static const char *rings[] = { "md", "intent", "report" };
	for (int i = 0; i < 3; i++) {
		int ri = seg_ring_find(b, rings[i]);
		cr_assert_eq(ri, i, "ring %s", rings[i]);
		const struct seg_ring_desc *d = &b->hdr->ring[ri];
		cr_assert_str_eq(d->name, rings[i]);
		cr_assert_eq(d->producer, sp.ring[i].producer);
		cr_assert_eq(d->consumer, sp.ring[i].consumer);
		cr_assert_eq(d->capacity, sp.ring[i].capacity);
		cr_assert_eq(d->slot_size, sp.ring[i].slot_size);
		cr_assert_eq(d->policy, sp.ring[i].policy);
		struct ring *r = seg_ring(b, (uint32_t)ri);
		cr_assert_eq(ring_check(r, sp.ring[i].capacity, sp.ring[i].slot_size,
					sp.ring[i].policy), 0, "ring %s shape", rings[i]);
		cr_assert_str_eq(r->name, rings[i]);
		cr_assert_eq((uintptr_t)r % DM_CACHELINE, 0);
	}
	cr_assert_eq(seg_ring_find(b, "nope"), -DM_ENOTFOUND);
	static const char *agents[] = { "feed", "ml", "exec" };
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(seg_agent_find(b, agents[i]), i, "agent %s", agents[i]);
		struct agent_slot *s = seg_agent(b, (uint32_t)i);
		cr_assert_str_eq(s->name, agents[i]);
		cr_assert_eq(atomic_load(&s->pid), 0);
		cr_assert_eq(atomic_load(&s->state), AGENT_EMPTY);
		cr_assert_eq(atomic_load(&s->generation), 0);
	}
	cr_assert_eq(seg_agent_find(b, "nope"), -DM_ENOTFOUND);

	/* a message pushed through one mapping is popped through the other */
	struct msg_hdr m = { .type = MSG_TRADE, .version = MSG_VERSION, .size = sizeof(m),
			     .seq = 77, .ingress_ns = 5 };
	cr_assert_eq(ring_try_push(seg_ring(a, 1), &m, sizeof(m)), 0);
	struct msg_hdr got;
	cr_assert_eq(ring_try_pop(seg_ring(b, 1), &got, sizeof(got)), 0);
	cr_assert_eq(memcmp(&got, &m, sizeof(m)), 0);
	memcpy(seg_user(a), "user area", 10);
	cr_assert_str_eq(seg_user(b), "user area");

	/* read-only attach validates too */
	cr_assert_eq(seg_attach(&segs[2], name, 1, T_APP_LAYOUT), 0);
	cr_assert_eq(segs[2].hdr->n_rings, 3);
}

Test(seg, layout_hash_is_stable_and_memsize_matches_create)
{
	cr_assert_eq(seg_layout_hash(), seg_layout_hash());
	cr_assert_neq(seg_layout_hash(), 0);
	struct seg_spec sp;
	spec3(&sp, "/dmtest-memsize");
	size_t sz = seg_memsize(&sp);
	cr_assert_gt(sz, 0);
	/* a bigger ring or user area needs at least that much more */
	sp.ring[2].capacity = 512;
	cr_assert_geq(seg_memsize(&sp), sz + 256 * 64);
	sp.user_size = 100 + 8192;
	cr_assert_geq(seg_memsize(&sp), sz + 256 * 64 + 8192);
}

Test(seg, shm_file_mode_is_0600)
{
	mode_t old = umask(0); /* the mode must not come from the umask */
	struct seg *s = &segs[0];
	const char *name = create2(s);
	umask(old);
	char path[128];
	struct stat st;
	shm_path(path, sizeof(path), name);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	cr_assert_eq(st.st_uid, getuid());
}

Test(seg, attach_missing_name_is_enoent)
{
	const char *name = new_name();
	struct seg s;
	cr_assert_eq(seg_attach(&s, name, 0, T_APP_LAYOUT), -ENOENT);
	cr_assert_eq(seg_attach(&s, name, 1, T_APP_LAYOUT), -ENOENT);
	cr_assert_null(s.hdr);
}

Test(seg, create_refuses_bad_spec)
{
	const char *name = new_name();
	struct seg_spec sp;
	struct seg *s = &segs[0];
	static const struct {
		const char *what;
		int want;
	} cases[] = {
		{ "producer == consumer", -DM_ETOPOLOGY },
		{ "duplicate ring name", -DM_ETOPOLOGY },
		{ "capacity not a power of two", -EINVAL },
		{ "capacity 1", -EINVAL },
		{ "slot size not a multiple of 8", -EINVAL },
		{ "producer index out of range", -DM_ETOPOLOGY },
		{ "duplicate agent name", -DM_ETOPOLOGY },
		{ "no agents", -DM_ETOPOLOGY },
		{ "name without leading slash", -EINVAL },
		{ "name with a second slash", -EINVAL },
		{ "epoch above 24 bits", -EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		spec3(&sp, name);
		switch (i) {
		case 0: sp.ring[1].consumer = sp.ring[1].producer; break;
		case 1: sp.ring[2].name = "md"; break;
		case 2: sp.ring[0].capacity = 48; break;
		case 3: sp.ring[0].capacity = 1; break;
		case 4: sp.ring[0].slot_size = 20; break;
		case 5: sp.ring[0].producer = 3; break;
		case 6: sp.agents[2] = "feed"; break;
		case 7: sp.n_agents = 0; break;
		case 8: sp.name = name + 1; break;
		case 9: sp.name = "/dmtest/nested"; break;
		case 10: sp.epoch = SEG_EPOCH_MAX + 1; break;
		}
		int rc = seg_create(s, &sp, 1);
		cr_assert_eq(rc, cases[i].want, "%s: got %d (%s)", cases[i].what, rc, dm_strerror(rc));
		cr_assert_eq(seg_memsize(&sp), 0, "%s: memsize", cases[i].what);
		cr_assert_not(shm_exists(name), "%s: left a file behind", cases[i].what);
	}
	spec3(&sp, name);
	cr_assert_eq(seg_create(s, &sp, 1), 0, "the unmodified spec is fine");
}

Test(seg, epoch_is_the_specs_or_the_creation_second)
{
	struct seg_spec sp;
	struct seg t;
	const int64_t S = 1000000000;
	/* none given: the creation second, 24 bits of it */
	const char *name = new_name();
	spec3(&sp, name);
	cr_assert_eq(seg_create(&segs[0], &sp, (0x1234567ll) * S + 5), 0);
	cr_assert_eq(segs[0].hdr->epoch, 0x234567);
	cr_assert_eq(seg_attach(&t, name, 1, T_APP_LAYOUT), 0);
	cr_assert_eq(t.hdr->epoch, 0x234567, "an attacher reads the same");
	seg_close(&t);
	/* a second whose low 24 bits are 0: epoch 1, never 0 */
	name = new_name();
	spec3(&sp, name);
	cr_assert_eq(seg_create(&segs[1], &sp, (0x3000000ll) * S), 0);
	cr_assert_eq(segs[1].hdr->epoch, 1);
	/* given: as is, whatever the clock */
	name = new_name();
	spec3(&sp, name);
	sp.epoch = SEG_EPOCH_MAX;
	cr_assert_eq(seg_create(&segs[2], &sp, 77 * S), 0);
	cr_assert_eq(segs[2].hdr->epoch, SEG_EPOCH_MAX);
	/* a header with no epoch is not a segment of this build */
	segs[2].hdr->epoch = 0;
	cr_assert_eq(seg_attach(&t, name, 1, T_APP_LAYOUT), -DM_ECORRUPT);
	segs[2].hdr->epoch = 1;
	cr_assert_eq(seg_attach(&t, name, 1, T_APP_LAYOUT), 0);
	seg_close(&t);
}

Test(seg, unlink_removes_the_name_not_the_memory)
{
	struct seg *s = &segs[0];
	const char *name = create2(s);
	cr_assert(shm_exists(name));
	cr_assert_eq(seg_unlink(name), 0);
	cr_assert_not(shm_exists(name));
	struct seg t;
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -ENOENT);
	cr_assert_eq(seg_unlink(name), -ENOENT);
	/* the existing mapping still works */
	uint64_t v = 42, w = 0;
	cr_assert_eq(ring_try_push(seg_ring(s, 0), &v, sizeof(v)), 0);
	cr_assert_eq(ring_try_pop(seg_ring(s, 0), &w, sizeof(w)), 0);
	cr_assert_eq(w, 42);
	/* and the name is free again */
	struct seg_spec sp;
	t_spec_two_agents(&sp, name, 16, 64, RING_BLOCK, 0);
	cr_assert_eq(seg_create(&segs[1], &sp, 2), 0);
}

/* ------------------------------------------------------------ attach validation */

Test(seg, attach_rejects_wrong_magic)
{
	struct seg *s = &segs[0];
	const char *name = create2(s);
	struct seg t;
	atomic_store(&s->hdr->magic, 0x1122334455667788ull);
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_EMAGIC);
	atomic_store(&s->hdr->magic, 0);
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -EAGAIN, "magic 0 means still being created");
	atomic_store(&s->hdr->magic, SEG_MAGIC);
	cr_assert_eq(seg_attach(&segs[1], name, 0, T_APP_LAYOUT), 0);
}

Test(seg, attach_rejects_wrong_version)
{
	struct seg *s = &segs[0];
	const char *name = create2(s);
	struct seg t;
	s->hdr->version = SEG_VERSION + 1;
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_EVERSION);
	s->hdr->version = SEG_VERSION;
	cr_assert_eq(seg_attach(&segs[1], name, 0, T_APP_LAYOUT), 0);
}

Test(seg, attach_rejects_wrong_layout_hash)
{
	struct seg *s = &segs[0];
	const char *name = create2(s);
	struct seg t;
	s->hdr->layout_hash ^= 1;
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_ELAYOUT);
	s->hdr->layout_hash ^= 1;
	s->hdr->hdr_size += 8;
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_ELAYOUT, "header size differs");
	s->hdr->hdr_size -= 8;
	cr_assert_eq(seg_attach(&segs[1], name, 0, T_APP_LAYOUT), 0);
}

Test(seg, attach_refuses_another_callers_layout_word)
{
	struct seg *s = &segs[0];
	const char *name = create2(s);
	struct seg t;
	cr_assert_eq(s->hdr->app_layout, T_APP_LAYOUT, "the header records the creator's word");
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT ^ 1), -DM_ELAYOUT);
	cr_assert_eq(seg_attach(&t, name, 1, msg_layout_hash()), -DM_ELAYOUT,
		     "the agents' messages are not this segment's");
	s->hdr->app_layout ^= 1;
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_ELAYOUT, "recorded word changed");
	s->hdr->app_layout ^= 1;
	cr_assert_eq(seg_attach(&segs[1], name, 0, T_APP_LAYOUT), 0);
}

Test(seg, attach_rejects_size_mismatch)
{
	struct seg *s = &segs[0];
	const char *name = create2(s);
	char path[128];
	shm_path(path, sizeof(path), name);
	struct seg t;
	off_t real = (off_t)s->hdr->total_size;
	cr_assert_eq(truncate(path, real + 4096), 0);
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_ESIZE, "file grew");
	cr_assert_eq(truncate(path, real - 4096), 0);
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_ESIZE, "file shrank");
	cr_assert_eq(truncate(path, real), 0);
	cr_assert_eq(seg_attach(&segs[1], name, 0, T_APP_LAYOUT), 0);
}

Test(seg, attach_rejects_other_owner)
{
	struct seg *s = &segs[0];
	const char *name = create2(s);
	struct seg t;
	s->hdr->owner_uid = getuid() + 1;
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_EOWNER, "recorded owner differs");
	s->hdr->owner_uid = getuid();
	cr_assert_eq(seg_attach(&segs[1], name, 0, T_APP_LAYOUT), 0);
	seg_close(&segs[1]);

	if (getuid() == 0) { /* only root can give the file away */
		char path[128];
		shm_path(path, sizeof(path), name);
		cr_assert_eq(chown(path, 4242, (gid_t)-1), 0);
		cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_EOWNER, "file owned by another uid");
	}
}

Test(seg, attach_rejects_corrupt_ring)
{
	struct seg *s = &segs[0];
	const char *name = create2(s);
	struct seg t;
	struct ring *r = seg_ring(s, 0);
	r->magic ^= 1;
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_EMAGIC);
	r->magic ^= 1;
	s->hdr->ring[0].capacity = 32; /* descriptor and ring disagree */
	cr_assert_eq(seg_attach(&t, name, 0, T_APP_LAYOUT), -DM_ELAYOUT);
	s->hdr->ring[0].capacity = 16;
	cr_assert_eq(seg_attach(&segs[1], name, 0, T_APP_LAYOUT), 0);
}

/* Child: attach read-only and try to write the header.  read(2) into the
 * mapping makes the kernel do the write, so a read-only mapping shows as
 * EFAULT instead of a crash (which sanitizers would intercept). */
static int write_readonly(void *arg)
{
	struct seg s;
	if (seg_attach(&s, arg, 1, T_APP_LAYOUT) != 0)
		return 10;
	int fd = open("/dev/zero", O_RDONLY);
	if (fd < 0)
		return 11;
	ssize_t n = read(fd, &s.hdr->epoch, sizeof(s.hdr->epoch));
	int err = errno;
	close(fd);
	return n < 0 && err == EFAULT ? 0 : 12;
}

Test(seg, readonly_attach_cannot_write, .timeout = 30)
{
	struct seg *s = &segs[0];
	const char *name = create2(s);
	int st = reap(spawn(write_readonly, (void *)name));
	cr_assert(WIFEXITED(st), "child died of signal %d", WTERMSIG(st));
	cr_assert_neq(WEXITSTATUS(st), 10, "read-only attach failed");
	cr_assert_eq(WEXITSTATUS(st), 0, "the read-only mapping was writable");
	cr_assert_eq(s->hdr->epoch, 1, "created at second 0: epoch 1, unchanged");
}

/* ------------------------------------------------------------ live and stale names */

struct creator {
	const char *name;
	int ready_fd;  /* child writes one byte when created */
	int hold_fd;   /* child exits when this reaches EOF (-1: at once) */
	int close_fd;  /* the parent's end of hold, closed in the child */
};

/* Child: create the segment, register as "cons", then exit without unlinking. */
static int create_and_leave(void *arg)
{
	struct creator *c = arg;
	if (c->close_fd >= 0)
		close(c->close_fd);
	struct seg s;
	struct seg_spec sp;
	t_spec_two_agents(&sp, c->name, 16, 64, RING_BLOCK, 0);
	if (seg_create(&s, &sp, 987654321) != 0)
		return 10;
	if (agent_register(seg_agent(&s, 1), getpid(), 987654321) != 0)
		return 11;
	if (write(c->ready_fd, "r", 1) != 1)
		return 12;
	char ch;
	if (c->hold_fd >= 0)
		while (read(c->hold_fd, &ch, 1) > 0)
			;
	return 0; /* _exit: no seg_close, no unlink, like a crash */
}

Test(seg, create_over_live_run_is_busy, .timeout = 30)
{
	const char *name = new_name();
	int ready[2], hold[2];
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(hold), 0);
	struct creator c = { name, ready[1], hold[0], hold[1] };
	pid_t pid = spawn(create_and_leave, &c);
	close(hold[0]);
	char ch;
	cr_assert_eq(read(ready[0], &ch, 1), 1, "child did not create the segment");

	struct seg_spec sp;
	t_spec_two_agents(&sp, name, 16, 64, RING_BLOCK, 0);
	cr_assert_eq(seg_create(&segs[0], &sp, 1), -DM_EBUSY);
	struct seg_probe p;
	cr_assert_eq(seg_probe(name, &p), 0);
	cr_assert_eq(p.valid, 1);
	cr_assert_eq(p.creator_pid, pid);
	cr_assert_eq(p.live_pid, pid);
	cr_assert_eq(p.created_ns, 987654321);
	cr_assert_eq(p.owner_uid, getuid());

	/* the run ends without cleaning up: the same name is now stale */
	close(hold[1]);
	int st = reap(pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	cr_assert_eq(seg_create(&segs[0], &sp, 1), -DM_ESTALE);
	close(ready[0]);
	close(ready[1]);
}

Test(seg, create_over_dead_run_is_stale, .timeout = 30)
{
	const char *name = new_name();
	int ready[2];
	cr_assert_eq(pipe(ready), 0);
	struct creator c = { name, ready[1], -1, -1 };
	pid_t pid = spawn(create_and_leave, &c);
	int st = reap(pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	cr_assert(shm_exists(name), "the dead run's segment is still there");

	struct seg_spec sp;
	t_spec_two_agents(&sp, name, 16, 64, RING_BLOCK, 0);
	cr_assert_eq(seg_create(&segs[0], &sp, 1), -DM_ESTALE);
	struct seg_probe p;
	cr_assert_eq(seg_probe(name, &p), 0);
	cr_assert_eq(p.valid, 1);
	cr_assert_eq(p.creator_pid, pid, "probe names the dead creator");
	cr_assert_eq(p.created_ns, 987654321);
	cr_assert_eq(p.live_pid, 0);

	/* its registry still shows who was there */
	cr_assert_eq(seg_attach(&segs[1], name, 1, T_APP_LAYOUT), 0);
	struct agent_slot *a = seg_agent(&segs[1], 1);
	cr_assert_eq(atomic_load(&a->pid), pid);
	cr_assert_eq(agent_pid_alive(a), 0);
	seg_close(&segs[1]);

	cr_assert_eq(seg_unlink(name), 0);
	cr_assert_eq(seg_create(&segs[0], &sp, 1), 0, "after unlink the name is free");
	close(ready[0]);
	close(ready[1]);
}

Test(seg, create_with_live_agent_is_busy, .timeout = 30)
{
	/* the recorded creator is a dead process; only the live agent in the
	 * registry makes the run live */
	struct seg *s = &segs[0];
	const char *name = create2(s);
	pid_t dead = fork();
	cr_assert_neq(dead, -1);
	if (dead == 0)
		_exit(0);
	cr_assert_eq(waitpid(dead, NULL, 0), dead);
	s->hdr->creator_pid = dead;
	int hold;
	pid_t pid = spawn_sleeper(&hold);
	cr_assert_eq(agent_register(seg_agent(s, 1), pid, 5), 0);

	struct seg_spec sp;
	t_spec_two_agents(&sp, name, 16, 64, RING_BLOCK, 0);
	cr_assert_eq(seg_create(&segs[1], &sp, 1), -DM_EBUSY);
	struct seg_probe p;
	cr_assert_eq(seg_probe(name, &p), 0);
	cr_assert_eq(p.live_pid, pid);
	close(hold);
	reap(pid);
}

/* ------------------------------------------------------------ registry */

/* An agent slot in anonymous shared memory, seen by forked children. */
static struct agent_slot *new_slot(const char *name)
{
	shared_slot = mmap(NULL, sizeof(struct agent_slot), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(shared_slot, MAP_FAILED);
	memset(shared_slot, 0x77, sizeof(struct agent_slot));
	agent_slot_init(shared_slot, name);
	return shared_slot;
}

Test(registry, slot_init_is_empty_and_named)
{
	struct agent_slot *a = new_slot("coordinator-long-name");
	cr_assert_eq(strlen(a->name), AGENT_NAME_MAX - 1, "name cut to fit");
	cr_assert_eq(strncmp(a->name, "coordinator-long-name", AGENT_NAME_MAX - 1), 0);
	cr_assert_eq(atomic_load(&a->pid), 0);
	cr_assert_eq(atomic_load(&a->state), AGENT_EMPTY);
	cr_assert_eq(atomic_load(&a->generation), 0);
	cr_assert_eq(atomic_load(&a->restarts), 0);
	cr_assert_eq(atomic_load(&a->heartbeat_ns), 0);
	cr_assert_eq(atomic_load(&a->bell.epoch), 0);
	cr_assert_eq(atomic_load(&a->bell.waiters), 0);
	cr_assert_eq(atomic_load(&a->ctr.msgs_in), 0);
	cr_assert_eq(agent_pid_alive(a), 0);
	cr_assert_str_eq(agent_state_name(AGENT_EMPTY), "empty");
	cr_assert_str_eq(agent_state_name(AGENT_RUNNING), "running");
	cr_assert_str_eq(agent_state_name(AGENT_EXITED), "exited");
	cr_assert_str_eq(agent_state_name(AGENT_STATE_COUNT), "invalid");
}

Test(registry, register_twice_from_same_process)
{
	struct agent_slot *a = new_slot("ml");
	cr_assert_eq(agent_register(a, getpid(), 100), 0);
	cr_assert_eq(atomic_load(&a->pid), getpid());
	cr_assert_eq(atomic_load(&a->state), AGENT_STARTING);
	cr_assert_eq(atomic_load(&a->generation), 1);
	cr_assert_eq(atomic_load(&a->restarts), 0);
	cr_assert_eq(atomic_load(&a->started_ns), 100);
	cr_assert_eq(atomic_load(&a->heartbeat_ns), 100);
	cr_assert_eq(agent_pid_alive(a), 1);

	cr_assert_eq(agent_register(a, getpid(), 200), 0, "same pid may register again");
	cr_assert_eq(atomic_load(&a->pid), getpid());
	cr_assert_eq(atomic_load(&a->generation), 2);
	cr_assert_eq(atomic_load(&a->restarts), 1);
	cr_assert_eq(atomic_load(&a->started_ns), 200);
}

Test(registry, register_over_live_pid_is_busy, .timeout = 30)
{
	struct agent_slot *a = new_slot("ml");
	int hold;
	pid_t pid = spawn_sleeper(&hold);
	cr_assert_eq(agent_register(a, pid, 100), 0);
	cr_assert_eq(agent_pid_alive(a), 1);

	cr_assert_eq(agent_register(a, getpid(), 200), -DM_EBUSY);
	cr_assert_eq(atomic_load(&a->pid), pid, "slot untouched");
	cr_assert_eq(atomic_load(&a->generation), 1);
	cr_assert_eq(atomic_load(&a->restarts), 0);
	cr_assert_eq(atomic_load(&a->started_ns), 100);
	close(hold);
	reap(pid);
}

static int register_and_die(void *arg)
{
	return agent_register(arg, getpid(), 100) == 0 ? 0 : 10;
}

Test(registry, register_over_dead_pid_takes_over, .timeout = 30)
{
	struct agent_slot *a = new_slot("ml");
	pid_t pid = spawn(register_and_die, a);
	int st = reap(pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	cr_assert_eq(atomic_load(&a->pid), pid, "the dead agent never deregistered");
	cr_assert_eq(atomic_load(&a->generation), 1);
	cr_assert_eq(agent_pid_alive(a), 0);

	cr_assert_eq(agent_register(a, getpid(), 500), 0);
	cr_assert_eq(atomic_load(&a->pid), getpid());
	cr_assert_eq(atomic_load(&a->generation), 2);
	cr_assert_eq(atomic_load(&a->restarts), 1);
	cr_assert_eq(atomic_load(&a->started_ns), 500);
	cr_assert_eq(atomic_load(&a->state), AGENT_STARTING);
}

Test(registry, deregister_leaves_slot_exited)
{
	struct agent_slot *a = new_slot("ml");
	cr_assert_eq(agent_register(a, getpid(), 100), 0);
	agent_set_state(a, AGENT_RUNNING);
	agent_heartbeat(a, 150);
	cr_assert_eq(atomic_load(&a->heartbeat_ns), 150);
	agent_deregister(a, 300);
	cr_assert_eq(atomic_load(&a->state), AGENT_EXITED);
	cr_assert_eq(atomic_load(&a->pid), 0);
	cr_assert_eq(atomic_load(&a->heartbeat_ns), 300);
	cr_assert_eq(agent_pid_alive(a), 0);
	cr_assert_eq(atomic_load(&a->generation), 1, "deregistering is not a generation");

	cr_assert_eq(agent_register(a, getpid(), 400), 0);
	cr_assert_eq(atomic_load(&a->generation), 2);
	cr_assert_eq(atomic_load(&a->restarts), 1);
}

Test(registry, fresh_follows_heartbeat)
{
	struct agent_slot *a = new_slot("ml");
	cr_assert_eq(agent_fresh(a, 1000, 500), 0, "never beat");
	agent_heartbeat(a, 1000);
	cr_assert_eq(agent_fresh(a, 1000, 500), 1);
	cr_assert_eq(agent_fresh(a, 1499, 500), 1);
	cr_assert_eq(agent_fresh(a, 1500, 500), 0, "exactly stale_ns old is stale");
	cr_assert_eq(agent_fresh(a, 9000, 500), 0);
}

/* ------------------------------------------------------------ dm-seg config */

#include <jansson.h>
#include <limits.h>
#include <string.h>

/* build/.../tests/test_seg -> build/.../bin/dm-seg */
static void t_dmseg(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	cr_assert(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(out, len, "%s/../bin/dm-seg", self);
	cr_assert_eq(access(out, X_OK), 0, "%s missing: build it first", out);
}

/* Run dm-seg config with args; stdout into out, returns the exit code. */
static int t_config(const char *args, char *out, size_t len)
{
	char tool[PATH_MAX + 16], cmd[2 * PATH_MAX];
	FILE *p;
	size_t got;

	t_dmseg(tool, sizeof(tool));
	snprintf(cmd, sizeof(cmd), "'%s' config %s 2>&1", tool, args);
	cr_assert_not_null(p = popen(cmd, "r"));
	got = fread(out, 1, len - 1, p);
	out[got] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The segment name and run directory dmctl needs come from here: the
 * configured values, whatever $DM_SHM_NAME says. */
Test(seg_tool, config_json_names_the_segment_and_run_dir)
{
	char dir[] = "/tmp/dm_test_segsys_XXXXXX", site[PATH_MAX];
	static char out[4096], args[4 * PATH_MAX];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(site, sizeof(site), "%s/site.yaml", dir);
	FILE *f = fopen(site, "w");
	cr_assert_not_null(f);
	/* the risk limits default to the project's conf/; no model needed */
	fprintf(f, "system:\n  shm_name: /dmtest-sys-name\n  run_dir: %s/runs\n"
		   "strategy:\n  model: \"\"\n", dir);
	fclose(f);
	snprintf(args, sizeof(args), "-c '%s' --json", site);
	setenv("DM_SHM_NAME", "/dmtest-other", 1);
	int rc = t_config(args, out, sizeof(out));
	unsetenv("DM_SHM_NAME");
	cr_assert_eq(rc, 0, "%s", out);
	json_t *o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	json_t *sys = json_object_get(o, "system");
	cr_assert_str_eq(json_string_value(json_object_get(sys, "shm_name")), "/dmtest-sys-name");
	char want[PATH_MAX + 8];
	snprintf(want, sizeof(want), "%s/runs", dir);
	cr_assert_str_eq(json_string_value(json_object_get(sys, "run_dir")), want);
	json_decref(o);

	/* --no-check: the file alone, even with a model that does not exist */
	snprintf(args, sizeof(args), "sed -i 's|model: \"\"|model: %s/none.json|' '%s'", dir, site);
	cr_assert_eq(system(args), 0);
	snprintf(args, sizeof(args), "-c '%s' --json", site);
	cr_assert_eq(t_config(args, out, sizeof(out)), 2, "missing model refused: %s", out);
	snprintf(args, sizeof(args), "-c '%s' --json --no-check", site);
	cr_assert_eq(t_config(args, out, sizeof(out)), 0, "%s", out);
	o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	sys = json_object_get(o, "system");
	cr_assert_str_eq(json_string_value(json_object_get(sys, "shm_name")), "/dmtest-sys-name");
	cr_assert_str_eq(json_string_value(json_object_get(sys, "run_dir")), want);
	json_decref(o);
	snprintf(args, sizeof(args), "rm -rf '%s'", dir);
	cr_assert_eq(system(args), 0);
}

/* The CPUs a service runs on (dmctl affinity, the systemd generator): the
 * agents' pins, each once, ascending, in both JSON forms; none pinned, an
 * empty list. */
Test(seg_tool, config_json_lists_the_pinned_cpus)
{
	char dir[] = "/tmp/dm_test_segcpu_XXXXXX", site[PATH_MAX];
	static char out[4096], args[4 * PATH_MAX];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(site, sizeof(site), "%s/site.yaml", dir);
	FILE *f = fopen(site, "w");
	cr_assert_not_null(f);
	fprintf(f, "agents:\n  ml: { cpu: 5 }\n  data: { cpu: 1 }\n  risk: { cpu: 5 }\n"
		   "strategy:\n  model: \"\"\n");
	fclose(f);
	for (int no_check = 0; no_check <= 1; no_check++) {
		snprintf(args, sizeof(args), "-c '%s' --json%s", site, no_check ? " --no-check" : "");
		cr_assert_eq(t_config(args, out, sizeof(out)), 0, "%s", out);
		json_t *o = json_loads(out, 0, NULL);
		cr_assert_not_null(o, "%s", out);
		json_t *cpus = json_object_get(o, "cpus");
		cr_assert(json_is_array(cpus), "%s", out);
		cr_assert_eq(json_array_size(cpus), 2, "%s", out);
		cr_expect_eq(json_integer_value(json_array_get(cpus, 0)), 1);
		cr_expect_eq(json_integer_value(json_array_get(cpus, 1)), 5);
		json_decref(o);
	}
	cr_assert_eq(t_config("--json --no-check", out, sizeof(out)), 0, "%s", out);
	json_t *o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	cr_expect_eq(json_array_size(json_object_get(o, "cpus")), 0, "%s", out);
	json_decref(o);
	snprintf(args, sizeof(args), "rm -rf '%s'", dir);
	cr_assert_eq(system(args), 0);
}

/* The instrument object of BRIEF decision 3 for each bundled profile,
 * with the currencies of its limits and fees; the model is not needed. */
Test(seg_tool, config_json_prints_the_instrument)
{
	static const struct {
		const char *file, *symbol, *tick, *lot, *currency;
		double point_value;
	} t[] = {
		{ "conf/default.yaml", "WIN", "5", "1", "BRL", 0.2 },
		{ "conf/instruments/aapl.yaml", "AAPL", "0.01", "1", "USD", 1 },
		{ "conf/instruments/btcusdt-spot.yaml", "BTCUSDT", "0.01", "0.000001", "USDT", 0.000001 },
		{ "conf/instruments/btcusdt-usdm.yaml", "BTCUSDT", "0.1", "0.001", "USDT", 0.001 },
	};
	char dir[] = "/tmp/dm_test_segcfg_XXXXXX", site[PATH_MAX], model[PATH_MAX];
	static char out[4096], args[8 * PATH_MAX];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(model, sizeof(model), "%s/m.json", dir);
	FILE *f = fopen(model, "w");
	cr_assert_not_null(f);
	fputs("{}\n", f);
	fclose(f);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* the profile copied outside conf/, its risk limits path made
		 * absolute, with a model file that exists */
		char real[PATH_MAX], confdir[PATH_MAX];
		cr_assert_not_null(realpath(t[i].file, real));
		strcpy(confdir, real);
		*strrchr(confdir, '/') = '\0';
		snprintf(site, sizeof(site), "%s/site%zu.yaml", dir, i);
		snprintf(args, sizeof(args), "sed -e 's|^  limits: \\([^/]\\)|  limits: %s/\\1|' "
			 "-e 's|^  model: .*|  model: %s|' '%s' >'%s' && { grep -q '^strategy:' '%s' || "
			 "printf 'strategy:\\n  model: %s\\n' >>'%s'; }", confdir, model, real, site,
			 site, model, site);
		cr_assert_eq(system(args), 0, "%s", args);
		snprintf(args, sizeof(args), "-c '%s' --json", site);
		cr_assert_eq(t_config(args, out, sizeof(out)), 0, "%s: %s", t[i].file, out);
		json_error_t je;
		json_t *o = json_loads(out, 0, &je);
		cr_assert_not_null(o, "%s: %s", out, je.text);
		json_t *in = json_object_get(o, "instrument");
		cr_assert_str_eq(json_string_value(json_object_get(in, "symbol")), t[i].symbol);
		cr_assert_str_eq(json_string_value(json_object_get(in, "tick")), t[i].tick);
		cr_assert_str_eq(json_string_value(json_object_get(in, "lot")), t[i].lot);
		cr_assert_str_eq(json_string_value(json_object_get(in, "currency")), t[i].currency);
		cr_assert_float_eq(json_number_value(json_object_get(in, "point_value")),
				   t[i].point_value, 1e-12);
		cr_assert_str_eq(json_string_value(json_object_get(o, "risk_currency")),
				 t[i].currency);
		cr_assert_str_eq(json_string_value(json_object_get(o, "fee_currency")),
				 t[i].currency);
		json_decref(o);
		unlink(site);
	}
	unlink(model);
	rmdir(dir);
}

/* Bad configurations exit 2 with file:line:key: a fee currency that is not
 * the instrument's, limits in another currency, a missing model. */
Test(seg_tool, config_refuses_with_file_line_and_key)
{
	char dir[] = "/tmp/dm_test_segcfg_XXXXXX", site[PATH_MAX], out[4096], args[PATH_MAX + 64];
	char want[PATH_MAX + 64];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(site, sizeof(site), "%s/site.yaml", dir);
	snprintf(args, sizeof(args), "-c '%s'", site);

	cr_assert_not_null(f = fopen(site, "w"));
	fputs("instrument:\n  symbol: AAPL\n  currency: USD\n", f);
	fclose(f);
	cr_assert_eq(t_config(args, out, sizeof(out)), 2, "%s", out);
	snprintf(want, sizeof(want), "dm-seg: %s:3:3: key 'instrument.currency': ", site);
	cr_assert(strncmp(out, want, strlen(want)) == 0, "%s", out);
	cr_assert(strstr(out, "fees are in BRL"), "%s", out);

	cr_assert_not_null(f = fopen(site, "w"));
	fputs("instrument:\n  symbol: AAPL\n  currency: USD\nvenue: { currency: USD, fee_per_lot: 0.003 }\n", f);
	fclose(f);
	cr_assert_eq(t_config(args, out, sizeof(out)), 2, "%s", out);
	cr_assert(strstr(out, "/conf/risk.yaml:"), "%s", out);
	cr_assert(strstr(out, "key 'currency': the limits are in BRL"), "%s", out);
	cr_assert(strstr(out, "conf/instruments/aapl.yaml"), "%s", out);

	cr_assert_not_null(f = fopen(site, "w"));
	fputs("# a site file\nstrategy:\n  model: nowhere.json\n", f);
	fclose(f);
	cr_assert_eq(t_config(args, out, sizeof(out)), 2, "%s", out);
	snprintf(want, sizeof(want), "dm-seg: %s:3:3: key 'strategy.model': cannot read", site);
	cr_assert(strncmp(out, want, strlen(want)) == 0, "%s", out);

	cr_assert_not_null(f = fopen(site, "w"));
	fputs("strategy:\n  model: \"\"\n", f);
	fclose(f);
	cr_assert_eq(t_config(args, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "instrument  WIN, tick 5, lot 1, BRL"), "%s", out);
	unlink(site);
	rmdir(dir);
}

/* Run dm-seg with args (the project's conf/default.yaml); output into out,
 * returns the exit code. */
static int t_dmseg_run(const char *args, char *out, size_t len)
{
	char tool[PATH_MAX + 16], bin[PATH_MAX + 16], cmd[3 * PATH_MAX];
	t_dmseg(tool, sizeof(tool));
	snprintf(bin, sizeof(bin), "%s", tool);
	*strrchr(bin, '/') = '\0'; /* <build>/tests/../bin: the project above it */
	char conf[PATH_MAX + 64];
	for (int up = 0; up < 6; up++) {
		snprintf(conf, sizeof(conf), "%s/conf/default.yaml", bin);
		if (access(conf, R_OK) == 0)
			break;
		strncat(bin, "/..", sizeof(bin) - strlen(bin) - 1);
	}
	snprintf(cmd, sizeof(cmd), "'%s' -c '%s' %s 2>&1", tool, conf, args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t got = fread(out, 1, len - 1, p);
	out[got] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(seg_tool, create_takes_the_epoch_and_refuses_a_bad_one)
{
	static char out[4096], args[256];
	const char *name = new_name();
	snprintf(args, sizeof(args), "create --name %s --epoch 0", name);
	cr_assert_eq(t_dmseg_run(args, out, sizeof(out)), 2, "%s", out);
	cr_assert(strstr(out, "--epoch '0'"), "%s", out);
	snprintf(args, sizeof(args), "create --name %s --epoch 16777216", name);
	cr_assert_eq(t_dmseg_run(args, out, sizeof(out)), 2, "%s", out);
	snprintf(args, sizeof(args), "check --name %s --epoch 5", name);
	cr_assert_eq(t_dmseg_run(args, out, sizeof(out)), 2, "%s", out);
	cr_assert_not(shm_exists(name), "nothing created by a refusal");

	snprintf(args, sizeof(args), "create --name %s --epoch 16777215", name);
	cr_assert_eq(t_dmseg_run(args, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "epoch 16777215"), "%s", out);
	struct seg t;
	cr_assert_eq(seg_attach(&t, name, 1, msg_layout_hash()), 0);
	cr_assert_eq(t.hdr->epoch, 16777215);
	seg_close(&t);
	cr_assert_eq(t_dmseg_run("--help", out, sizeof(out)), 0);
	cr_assert(strstr(out, "--epoch N"), "%s", out);
}

/* -c on a FIFO, a device or a directory is refused at once, exit 2: the
 * configuration engine opens without blocking and checks the file's kind
 * before reading (libcore/config/cfg.h, input limits). */
Test(seg_tool, config_on_a_fifo_or_device_is_refused_at_once, .timeout = 20)
{
	char dir[] = "/tmp/dm_test_segfifo_XXXXXX", fifo[PATH_MAX], out[4096], args[PATH_MAX + 64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/conf.yaml", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	snprintf(args, sizeof(args), "-c '%s' --no-check", fifo);
	cr_assert_eq(t_config(args, out, sizeof(out)), 2, "%s", out);
	cr_assert(strstr(out, "cannot read: a FIFO, not a regular file"), "%s", out);
	cr_assert_eq(t_config("-c /dev/zero", out, sizeof(out)), 2, "%s", out);
	cr_assert(strstr(out, "/dev/zero: cannot read: a character device"), "%s", out);
	unlink(fifo);
	rmdir(dir);
}
