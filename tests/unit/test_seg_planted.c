/*
 * test_seg_planted.c — segment headers planted with one bad field at a
 * time (shm/seg.h: seg_validate), and segment names (seg_name_check).
 *
 * A valid segment of the agents' topology is made here (topology_spec, the
 * built-in configuration); each case corrupts one offset, size, count or
 * name field, and every path that reads a header must refuse it without
 * crashing, naming the field: seg_validate on a copy in a buffer of exactly
 * the segment's size (so the sanitized build catches any read past it),
 * seg_attach and seg_probe in process, dm-seg check, dm-shmdump, dm-seg
 * create over the name, and an agent's attach (dm-agent-risk).  The
 * pristine bytes are put back after each case.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/rt/topology.h"
#include "libcore/msg/msg.h"
#include "shm/seg.h"
#include "tests/helpers.h"

static char name[SEG_NAME_MAX];
static struct seg live;
static void *pristine;
static struct rt_config conf;

static void setup(void)
{
	struct seg_spec sp;

	t_seg_name(name, sizeof(name), "plant");
	seg_unlink(name);
	rt_config_defaults(&conf);
	cr_assert_eq(topology_spec(&conf, name, &sp), 0);
	sp.epoch = 7;
	int rc = seg_create(&live, &sp, 1000000000);
	cr_assert_eq(rc, 0, "seg_create %s: %s", name, dm_strerror(rc));
	pristine = aligned_alloc(DM_CACHELINE, live.size);
	cr_assert_not_null(pristine);
	memcpy(pristine, live.hdr, live.size);
}

static void teardown(void)
{
	if (live.hdr)
		seg_close(&live);
	seg_unlink(name);
	free(pristine);
	pristine = NULL;
}

TestSuite(seg_planted, .init = setup, .fini = teardown);
TestSuite(seg_name);

/* ------------------------------------------------------------ the plantings */

static struct ring *ring_in(struct seg_hdr *h, uint32_t i)
{
	return (struct ring *)(void *)((uint8_t *)h + h->ring[i].offset);
}

static struct agent_slot *slot_in(struct seg_hdr *h, uint32_t i)
{
	return (struct agent_slot *)(void *)((uint8_t *)h + h->agents_off) + i;
}

static void agents_off_wraps(struct seg_hdr *h)
{
	/* agents_off + 6 slots wraps to a small number below the size */
	h->agents_off = UINT64_MAX - 255;
}
static void agents_off_past_end(struct seg_hdr *h) { h->agents_off = h->total_size; }
static void agents_off_in_header(struct seg_hdr *h) { h->agents_off = 64; }
static void n_agents_huge(struct seg_hdr *h) { h->n_agents = 0x40000000u; }
static void n_agents_zero(struct seg_hdr *h) { h->n_agents = 0; }
static void n_rings_huge(struct seg_hdr *h) { h->n_rings = 1000; }
static void rings_off_wraps(struct seg_hdr *h) { h->rings_off = UINT64_MAX - 63; }
static void user_off_wraps(struct seg_hdr *h)
{
	h->user_off = UINT64_MAX - 63;
	h->user_size = 128;
}
static void user_size_huge(struct seg_hdr *h) { h->user_size = UINT64_MAX - 4095; }
static void user_size_past_end(struct seg_hdr *h)
{
	h->user_size = h->total_size - h->user_off + 64;
}
static void name_unterminated(struct seg_hdr *h) { memset(h->name, 'A', SEG_NAME_MAX); }
static void epoch_zero(struct seg_hdr *h) { h->epoch = 0; }
static void state_bad(struct seg_hdr *h) { atomic_store(&h->state, 9); }
static void slot_name_unterminated(struct seg_hdr *h)
{
	memset(slot_in(h, 3)->name, 'x', AGENT_NAME_MAX);
}
static void ring_offset_wraps(struct seg_hdr *h)
{
	/* offset + size wraps to a value below total_size */
	h->ring[2].offset = UINT64_MAX - 4095;
}
static void ring_size_wraps(struct seg_hdr *h)
{
	h->ring[2].size = UINT64_MAX - h->ring[2].offset + 1;
}
static void ring_offset_past_end(struct seg_hdr *h) { h->ring[0].offset = h->total_size; }
static void ring_offset_misaligned(struct seg_hdr *h) { h->ring[3].offset += 8; }
static void ring_overlaps_previous(struct seg_hdr *h) { h->ring[1].offset = h->ring[0].offset; }
static void ring_in_user_area(struct seg_hdr *h) { h->ring[19].offset = h->user_off; }
static void ring_producer_bad(struct seg_hdr *h) { h->ring[1].producer = 9; }
static void ring_same_ends(struct seg_hdr *h) { h->ring[1].consumer = h->ring[1].producer; }
static void ring_policy_bad(struct seg_hdr *h) { h->ring[4].policy = 7; }
static void ring_name_unterminated(struct seg_hdr *h)
{
	memset(h->ring[5].name, 'r', RING_NAME_MAX);
}
static void ring_capacity_huge(struct seg_hdr *h)
{
	/* descriptor and ring agree, but the shape needs far more bytes */
	struct ring *r = ring_in(h, 6);
	h->ring[6].capacity = 1ull << 40;
	r->capacity = 1ull << 40;
	r->mask = (1ull << 40) - 1;
}
static void ring_size_short(struct seg_hdr *h) { h->ring[7].size -= 64; }
static void ring_pending_len_huge(struct seg_hdr *h) { ring_in(h, 0)->pending_len = 1u << 20; }
static void ring_magic_bad(struct seg_hdr *h) { ring_in(h, 11)->magic ^= 1; }

struct planting {
	const char *what;
	void (*plant)(struct seg_hdr *h);
	int rc;              /* seg_validate's return */
	const char *field;   /* the message names it */
	int registry;        /* seg_probe must find the registry unusable */
};

static const struct planting plantings[] = {
	{ "agents_off wraps", agents_off_wraps, -DM_ECORRUPT, "agents_off 18446744073709551360", 1 },
	{ "agents_off past the end", agents_off_past_end, -DM_ECORRUPT, "agents_off", 1 },
	{ "agents_off inside the header", agents_off_in_header, -DM_ECORRUPT, "agents_off 64", 1 },
	{ "n_agents huge", n_agents_huge, -DM_ECORRUPT, "n_agents 1073741824", 1 },
	{ "n_agents zero", n_agents_zero, -DM_ECORRUPT, "n_agents 0", 0 },
	{ "n_rings huge", n_rings_huge, -DM_ECORRUPT, "n_rings 1000", 0 },
	{ "rings_off wraps", rings_off_wraps, -DM_ECORRUPT, "rings_off 18446744073709551552", 0 },
	{ "user_off wraps", user_off_wraps, -DM_ECORRUPT, "user_off 18446744073709551552", 0 },
	{ "user_size huge", user_size_huge, -DM_ECORRUPT, "user_size 18446744073709547520", 0 },
	{ "user_size past the end", user_size_past_end, -DM_ECORRUPT, "user_size", 0 },
	{ "name unterminated", name_unterminated, -DM_ECORRUPT, "name is not NUL-terminated", 0 },
	{ "epoch 0", epoch_zero, -DM_ECORRUPT, "epoch 0", 0 },
	{ "state 9", state_bad, -DM_ECORRUPT, "state 9", 0 },
	{ "agent name unterminated", slot_name_unterminated, -DM_ECORRUPT, "agent[3].name", 0 },
	{ "ring offset wraps", ring_offset_wraps, -DM_ECORRUPT, "ring[2] 'md_risk': offset 18446744073709547520", 0 },
	{ "ring size wraps", ring_size_wraps, -DM_ECORRUPT, "ring[2] 'md_risk': offset", 0 },
	{ "ring offset past the end", ring_offset_past_end, -DM_ECORRUPT, "ring[0] 'md_feature': offset", 0 },
	{ "ring offset misaligned", ring_offset_misaligned, -DM_ECORRUPT, "ring[3] 'features': offset", 0 },
	{ "ring overlaps the previous", ring_overlaps_previous, -DM_ECORRUPT, "ring[1] 'md_execution': offset", 0 },
	{ "ring in the user area", ring_in_user_area, -DM_ECORRUPT, "ring[19] 'control_data': offset", 0 },
	{ "ring producer 9", ring_producer_bad, -DM_ECORRUPT, "ring[1] 'md_execution': producer 9", 0 },
	{ "ring joins one agent", ring_same_ends, -DM_ECORRUPT, "ring[1] 'md_execution': producer 1, consumer 1", 0 },
	{ "ring policy 7", ring_policy_bad, -DM_ECORRUPT, "ring[4] 'intents': policy 7", 0 },
	{ "ring name unterminated", ring_name_unterminated, -DM_ECORRUPT, "ring[5].name", 0 },
	{ "ring capacity 2^40", ring_capacity_huge, -DM_ECORRUPT, "ring[6] 'intents_execution': capacity 1099511627776", 0 },
	{ "ring size short", ring_size_short, -DM_ECORRUPT, "ring[7] 'intents_feature': capacity", 0 },
	{ "ring pending_len huge", ring_pending_len_huge, -DM_ECORRUPT, "pending_len 1048576", 0 },
	{ "ring magic", ring_magic_bad, -DM_EMAGIC, "ring[11] 'votes_risk'", 0 },
};
#define N_PLANTINGS (sizeof(plantings) / sizeof(plantings[0]))

/* ------------------------------------------------------------ validate */

Test(seg_planted, the_pristine_copy_validates)
{
	char err[512] = "x";
	cr_assert_eq(seg_validate(pristine, live.size, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_empty(err);
}

Test(seg_planted, each_field_is_refused_in_a_buffer_of_the_exact_size)
{
	void *buf = aligned_alloc(DM_CACHELINE, live.size);
	cr_assert_not_null(buf);
	for (size_t i = 0; i < N_PLANTINGS; i++) {
		const struct planting *p = &plantings[i];
		char err[512] = "";
		memcpy(buf, pristine, live.size);
		p->plant(buf);
		int rc = seg_validate(buf, live.size, err, sizeof(err));
		cr_expect_eq(rc, p->rc, "%s: %d (%s), expected %d", p->what, rc, err, p->rc);
		cr_expect(strstr(err, p->field), "%s: message '%s' does not name '%s'", p->what,
			  err, p->field);
	}
	free(buf);
}

Test(seg_planted, short_and_unaligned_buffers_are_refused)
{
	char err[256];
	/* aligned_alloc wants a multiple of the alignment */
	size_t cap = (sizeof(struct seg_hdr) / DM_CACHELINE + 2) * DM_CACHELINE;
	uint8_t *buf = aligned_alloc(DM_CACHELINE, cap);
	cr_assert_not_null(buf);
	memcpy(buf, pristine, sizeof(struct seg_hdr));
	for (size_t n = 0; n < sizeof(struct seg_hdr); n += 40)
		cr_assert_eq(seg_validate(buf, n, err, sizeof(err)), -DM_ESIZE, "size %zu", n);
	cr_assert(strstr(err, "smaller than the"), "%s", err);
	/* the header alone, recorded size far larger: refused by the size word */
	cr_assert_eq(seg_validate(buf, sizeof(struct seg_hdr), err, sizeof(err)), -DM_ESIZE);
	cr_assert(strstr(err, "total_size"), "%s", err);
	cr_assert_eq(seg_validate(buf + 8, sizeof(struct seg_hdr), err, sizeof(err)), -EINVAL);
	free(buf);
}

/* Random bytes over the header, the registry and the first ring's header,
 * in a buffer of the exact size: whatever comes back, nothing is read
 * outside (the sanitized build turns a stray read into a failure).  The
 * size word is kept, so most cases reach the deeper checks. */
Test(seg_planted, random_damage_never_reads_outside_the_buffer)
{
	uint8_t *buf = aligned_alloc(DM_CACHELINE, live.size);
	struct t_rng g;
	size_t span = live.hdr->ring[0].offset + sizeof(struct ring);
	unsigned refused = 0;

	cr_assert_not_null(buf);
	t_rng_seed(&g, 14);
	for (int it = 0; it < 3000; it++) {
		memcpy(buf, pristine, span);
		for (int k = 0, n = 1 + (int)t_rng_below(&g, 4); k < n; k++) {
			size_t at = 8 + (size_t)t_rng_below(&g, span - 8);
			if (t_rng_below(&g, 2))
				buf[at] ^= (uint8_t)(1u << t_rng_below(&g, 8));
			else if (at + 8 <= span)
				memset(buf + at, 0xff, 8); /* a word of all ones: wraps */
		}
		/* the layout words are left alone: the checks behind them run */
		((struct seg_hdr *)(void *)buf)->version = SEG_VERSION;
		((struct seg_hdr *)(void *)buf)->hdr_size = sizeof(struct seg_hdr);
		((struct seg_hdr *)(void *)buf)->layout_hash = seg_layout_hash();
		((struct seg_hdr *)(void *)buf)->total_size = live.size;
		char err[512];
		int rc = seg_validate(buf, live.size, err, sizeof(err));
		cr_assert(rc == 0 || rc == -DM_ECORRUPT || rc == -DM_EMAGIC || rc == -DM_ELAYOUT,
			  "iteration %d: %d", it, rc);
		refused += rc != 0;
	}
	cr_assert_gt(refused, 1000, "the damage was refused only %u times", refused);
	free(buf);
}

/* ------------------------------------------------------------ every attach path */

static void restore(void)
{
	memcpy(live.hdr, pristine, live.size);
}

Test(seg_planted, every_attach_path_refuses_without_crashing, .timeout = 300)
{
	const char *bin = t_bin_dir();
	static char out[8192];

	for (size_t i = 0; i < N_PLANTINGS; i++) {
		const struct planting *p = &plantings[i];
		struct seg t;
		struct seg_probe pr;
		char err[512];
		int rc;

		restore();
		p->plant(live.hdr);

		rc = seg_attach_err(&t, name, 1, msg_layout_hash(), err, sizeof(err));
		cr_expect_eq(rc, p->rc, "%s: seg_attach %d (%s)", p->what, rc, err);
		cr_expect(strstr(err, p->field), "%s: seg_attach says '%s'", p->what, err);
		if (rc == 0)
			seg_close(&t);

		cr_expect_eq(seg_probe(name, &pr), 0, "%s: seg_probe", p->what);
		if (p->registry)
			cr_expect_eq(pr.valid, 0, "%s: seg_probe trusts the registry", p->what);

		rc = t_sh(out, sizeof(out), "'%s/dm-seg' check --name '%s'", bin, name);
		cr_expect_eq(rc, 2, "%s: dm-seg check exits %d: %s", p->what, rc, out);
		cr_expect(strstr(out, p->field), "%s: dm-seg check says %s", p->what, out);

		rc = t_sh(out, sizeof(out), "'%s/dm-shmdump' --name '%s' --json", bin, name);
		cr_expect_eq(rc, 2, "%s: dm-shmdump exits %d: %s", p->what, rc, out);
		cr_expect(strstr(out, p->field), "%s: dm-shmdump says %s", p->what, out);

		/* what dmctl start runs first: the name is taken, and the report
		 * about who holds it reads the header */
		rc = t_sh(out, sizeof(out), "'%s/dm-seg' create --name '%s'", bin, name);
		cr_expect_eq(rc, 1, "%s: dm-seg create exits %d: %s", p->what, rc, out);
		cr_expect(strstr(out, name), "%s: dm-seg create says %s", p->what, out);

		rc = t_sh(out, sizeof(out), "'%s/dm-agent-risk' --name '%s'", bin, name);
		cr_expect_eq(rc, 2, "%s: dm-agent-risk exits %d: %s", p->what, rc, out);
		cr_expect(strstr(out, p->field), "%s: dm-agent-risk says %s", p->what, out);
	}
	restore();
	struct seg t;
	cr_assert_eq(seg_attach(&t, name, 1, msg_layout_hash()), 0, "restored");
	seg_close(&t);
}

/* ------------------------------------------------------------ names */

Test(seg_name, refuses_each_bad_form_with_the_reason)
{
	static const struct { const char *name, *why; } bad[] = {
		{ "", "empty" },
		{ "/", "'/' alone" },
		{ "/.", "'.' and '..'" },
		{ "/..", "'.' and '..'" },
		{ "dreammaker", "must start with '/'" },
		{ "/a/b", "'/' at byte 3" },
		{ "//", "'/' at byte 2" },
		{ "/run\n", "control character 0x0a at byte 5" },
		{ "/a\033[2Jb", "control character 0x1b at byte 3" },
		{ "/tab\there", "control character 0x09" },
		{ "/del\177", "control character 0x7f" },
		{ "/x\001", "control character 0x01" },
	};
	char err[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(seg_name_check(bad[i].name, err, sizeof(err)), -EINVAL, "case %zu", i);
		cr_expect(strstr(err, bad[i].why), "case %zu: '%s' lacks '%s'", i, err, bad[i].why);
		/* the message shows no raw control byte */
		for (const char *c = err; *c; c++)
			cr_expect((unsigned char)*c >= 0x20 && *c != 0x7f, "case %zu: raw byte in '%s'",
				  i, err);
	}
	cr_assert_eq(seg_name_check(NULL, err, sizeof(err)), -EINVAL);
	cr_assert_eq(seg_name_check("/a\033b", err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "segment name '/a\\x1bb': control character 0x1b at byte 3");
}

Test(seg_name, length_limit_is_seg_name_max_minus_one)
{
	char n[SEG_NAME_MAX + 8], err[512];
	memset(n, 'a', sizeof(n));
	n[0] = '/';
	n[SEG_NAME_MAX - 1] = '\0'; /* 63 bytes: fits the header's field */
	cr_assert_eq(seg_name_check(n, err, sizeof(err)), 0, "%s", err);
	n[SEG_NAME_MAX - 1] = 'a';
	n[SEG_NAME_MAX] = '\0';
	cr_assert_eq(seg_name_check(n, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "longer than 63 bytes"), "%s", err);
}

Test(seg_name, accepts_ordinary_names)
{
	static const char *const good[] = { "/dreammaker", "/dm-run-42", "/.hidden", "/a",
					    "/...", "/caf\xc3\xa9" };
	char err[256];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(seg_name_check(good[i], err, sizeof(err)), 0, "%s: %s", good[i], err);
}

Test(seg_name, create_attach_probe_and_unlink_refuse_a_bad_name)
{
	struct seg_spec sp;
	struct seg s;
	struct seg_probe p;
	t_spec_two_agents(&sp, "/a\nb", 16, 64, RING_BLOCK, 0);
	cr_assert_eq(seg_create(&s, &sp, 1), -EINVAL);
	sp.name = "";
	cr_assert_eq(seg_create(&s, &sp, 1), -EINVAL);
	cr_assert_eq(seg_attach(&s, "", 1, T_APP_LAYOUT), -EINVAL);
	cr_assert_eq(seg_attach(&s, "/..", 1, T_APP_LAYOUT), -EINVAL);
	cr_assert_eq(seg_probe("/a\033", &p), -EINVAL);
	cr_assert_eq(seg_unlink("/"), -EINVAL);
}

/* The tools and the agents: an empty --name or $DM_SHM_NAME is refused,
 * never replaced by the configured segment; dmctl asks dm-seg check-name. */
Test(seg_name, tools_refuse_empty_and_control_names_with_exit_2, .timeout = 120)
{
	const char *bin = t_bin_dir();
	static char out[4096];
	int rc;

	rc = t_sh(out, sizeof(out), "'%s/dm-seg' check --name ''", bin);
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "segment name '': empty"), "%s", out);
	cr_expect(strstr(out, "from --name"), "%s", out);
	rc = t_sh(out, sizeof(out), "DM_SHM_NAME= '%s/dm-seg' remove", bin);
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "from $DM_SHM_NAME"), "%s", out);
	rc = t_sh(out, sizeof(out), "'%s/dm-shmdump' --name \"$(printf '/x\\033y')\"", bin);
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "control character 0x1b"), "%s", out);
	rc = t_sh(out, sizeof(out), "DM_SHM_NAME= '%s/dm-shmdump'", bin);
	cr_expect_eq(rc, 2, "%s", out);
	rc = t_sh(out, sizeof(out), "'%s/dm-agent-data' --name \"$(printf '/x\\ny')\"", bin);
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "control character 0x0a"), "%s", out);
	rc = t_sh(out, sizeof(out), "DM_SHM_NAME= '%s/dm-agent-risk'", bin);
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "from $DM_SHM_NAME"), "%s", out);

	rc = t_sh(out, sizeof(out), "'%s/dm-seg' check-name -- /dmtest-ok", bin);
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect_str_empty(out);
	rc = t_sh(out, sizeof(out), "'%s/dm-seg' check-name -- /.", bin);
	cr_expect_eq(rc, 2, "%s", out);

	/* dmctl: the same rule, through dm-seg check-name */
	rc = t_sh(out, sizeof(out), "DM_BIN='%s' tools/dmctl --name '' status", bin);
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "segment name '': empty"), "%s", out);
	rc = t_sh(out, sizeof(out), "DM_SHM_NAME= DM_BIN='%s' tools/dmctl stop", bin);
	cr_expect_eq(rc, 2, "%s", out);
	rc = t_sh(out, sizeof(out), "DM_BIN='%s' tools/dmctl --name \"$(printf '/x\\033')\" "
		  "status", bin);
	cr_expect_eq(rc, 2, "%s", out);
	cr_expect(strstr(out, "control character 0x1b"), "%s", out);
	rc = t_sh(out, sizeof(out), "DM_BIN='%s' tools/dmctl --name /a/b status", bin);
	cr_expect_eq(rc, 2, "%s", out);
}
