/*
 * test_msg.c — the messages' layout word (libcore/msg/msg.h) and the hash
 * behind it (dm_layout_hash, libcore/types.h), and how the agents' segment
 * carries it (agents/rt/topology.c, shm/seg.c).
 *
 * Expected hashes are FNV-1a 64 worked out apart from this code (a short
 * script over the same little-endian bytes; the empty input and "a" are the
 * published test vectors of FNV-1a 64).
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "agents/rt/topology.h"
#include "libcore/msg/msg.h"
#include "libcore/types.h"
#include "shm/seg.h"
#include "tests/helpers.h"

Test(msg, layout_hash_function_is_fnv1a_over_little_endian_words)
{
	cr_expect_eq(dm_layout_hash(NULL, 0), 0xcbf29ce484222325ull, "FNV-1a 64 of nothing");
	/* the bytes "hgfedcba" */
	const uint64_t w1[] = { 0x6162636465666768ull };
	cr_expect_eq(dm_layout_hash(w1, 1), 0xa588fa95f595c3d5ull);
	const uint64_t w2[] = { 0x6162636465666768ull, 1 };
	cr_expect_eq(dm_layout_hash(w2, 2), 0xdf35753e0dd58654ull);
	/* "a" then seven zero bytes is not "a": every byte of a word counts */
	const uint64_t w3[] = { 0x61 };
	cr_expect_neq(dm_layout_hash(w3, 1), 0xaf63dc4c8601ec8cull);
}

Test(msg, layout_word_is_stable_and_apart_from_shms)
{
	cr_expect_eq(msg_layout_hash(), msg_layout_hash());
	cr_expect_neq(msg_layout_hash(), 0);
	cr_expect_neq(msg_layout_hash(), seg_layout_hash(),
		      "shm hashes its own structs, the messages are libcore's");
}

static char segname[64];
static struct seg segs[2];

static void fini(void)
{
	seg_close(&segs[0]);
	seg_close(&segs[1]);
	seg_unlink(segname);
}

Test(msg, the_agents_segment_records_the_message_layout_word, .fini = fini)
{
	struct rt_config c;
	struct seg_spec spec;
	rt_config_defaults(&c);
	t_seg_name(segname, sizeof(segname), "msg");
	seg_unlink(segname);
	cr_assert_eq(topology_spec(&c, segname, &spec), 0);
	cr_expect_eq(spec.app_layout, msg_layout_hash());
	cr_assert_eq(seg_create(&segs[0], &spec, 1), 0);
	cr_expect_eq(segs[0].hdr->app_layout, msg_layout_hash());
	struct seg t;
	cr_expect_eq(seg_attach(&t, segname, 1, T_APP_LAYOUT), -DM_ELAYOUT,
		     "a caller expecting other messages is refused");
	cr_expect_eq(seg_attach(&segs[1], segname, 1, msg_layout_hash()), 0);
}
