/*
 * dm-shmdump against a live segment made here: the JSON must parse and
 * report what this test did to the segment (pushes, pops, registrations).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm/msg.h"
#include "shm/seg.h"

static char seg_name[64];
static struct seg seg;

/* dm-shmdump of the same build: <build>/tests/test_shmdump -> <build>/bin/ */
static void tool_path(char *out, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert(len > 0);
	exe[len] = '\0';
	snprintf(out, n, "%s/../bin/dm-shmdump", dirname(exe));
}

static int run_tool(const char *args, char *out, size_t n)
{
	char tool[PATH_MAX], cmd[PATH_MAX + 256];
	tool_path(tool, sizeof(tool));
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", tool, args);
	FILE *p = popen(cmd, "r");
	cr_assert(p, "popen %s", cmd);
	size_t got = fread(out, 1, n - 1, p);
	out[got] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void setup(void)
{
	snprintf(seg_name, sizeof(seg_name), "/dmtest-dump-%d", (int)getpid());
	seg_unlink(seg_name);
	struct seg_spec sp = {
		.name = seg_name,
		.n_agents = 2,
		.agents = { "alpha", "beta" },
		.n_rings = 2,
		.ring = {
			{ "a_to_b", 0, 1, 64, 128, RING_BLOCK },
			{ "b_to_a", 1, 0, 16, 64, RING_CONFLATE },
		},
	};
	cr_assert_eq(seg_create(&seg, &sp, 1000000000), 0);
}

static void teardown(void)
{
	seg_close(&seg);
	seg_unlink(seg_name);
}

TestSuite(shmdump, .init = setup, .fini = teardown);

static json_int_t jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "key %s is not an integer", k);
	return json_integer_value(v);
}

Test(shmdump, json_reports_live_segment)
{
	struct ring *r = seg_ring(&seg, 0);
	struct msg_hdr m = { .type = MSG_TRADE, .version = MSG_VERSION, .size = sizeof(m) };
	for (uint64_t i = 1; i <= 10; i++) {
		m.seq = i;
		cr_assert_eq(ring_try_push(r, &m, sizeof(m)), 0);
	}
	struct msg_hdr out;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ring_try_pop(r, &out, sizeof(out)), 0);
	cr_assert_eq(agent_register(seg_agent(&seg, 1), getpid(), 5), 0);

	static char buf[1 << 16];
	char args[128];
	snprintf(args, sizeof(args), "--name %s --json", seg_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "dm-shmdump failed: %s", buf);

	json_error_t err;
	json_t *j = json_loads(buf, 0, &err);
	cr_assert(j, "not JSON at line %d: %s\n%s", err.line, err.text, buf);
	json_t *sg = json_object_get(j, "segment");
	cr_assert_str_eq(json_string_value(json_object_get(sg, "name")), seg_name);
	cr_assert_eq(jint(sg, "creator_pid"), getpid());

	json_t *rings = json_object_get(j, "rings");
	cr_assert_eq(json_array_size(rings), 2);
	json_t *r0 = json_array_get(rings, 0);
	cr_assert_str_eq(json_string_value(json_object_get(r0, "name")), "a_to_b");
	cr_assert_str_eq(json_string_value(json_object_get(r0, "producer")), "alpha");
	cr_assert_str_eq(json_string_value(json_object_get(r0, "consumer")), "beta");
	cr_assert_eq(jint(r0, "head"), 10);
	cr_assert_eq(jint(r0, "tail"), 3);
	cr_assert_eq(jint(r0, "fill"), 7);
	cr_assert_eq(jint(r0, "pushed"), 10);
	cr_assert_eq(jint(r0, "popped"), 3);
	cr_assert_eq(jint(r0, "full"), 0);
	cr_assert_eq(jint(r0, "last_seq"), 10);
	cr_assert_eq(jint(r0, "capacity"), 64);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(rings, 1), "policy")),
			 "conflate");

	json_t *agents = json_object_get(j, "agents");
	cr_assert_eq(json_array_size(agents), 2);
	json_t *b = json_array_get(agents, 1);
	cr_assert_str_eq(json_string_value(json_object_get(b, "name")), "beta");
	cr_assert_eq(jint(b, "pid"), getpid());
	cr_assert_eq(jint(b, "generation"), 1);
	cr_assert(json_is_true(json_object_get(b, "alive")));
	cr_assert_str_eq(json_string_value(json_object_get(b, "state")), "starting");
	cr_assert_eq(jint(json_array_get(agents, 0), "pid"), 0);

	/* this segment has no agent-state area: the state section says so
	 * rather than reading past the mapping */
	json_t *state = json_object_get(json_object_get(j, "state"), "agents");
	cr_assert(json_is_object(state), "no state.agents object");
	json_t *first = json_object_get(state, "coordinator");
	cr_assert_str_eq(json_string_value(json_object_get(first, "state")), "none");
	json_decref(j);
}

Test(shmdump, watch_json_emits_one_document_per_line)
{
	static char buf[1 << 16];
	char args[128];
	/* --watch runs until a signal: bound it with timeout(1) */
	char tool[PATH_MAX], cmd[PATH_MAX + 256];
	tool_path(tool, sizeof(tool));
	snprintf(args, sizeof(args), "--name %s --json --watch 0.1", seg_name);
	snprintf(cmd, sizeof(cmd), "timeout -s INT 0.55 %s %s", tool, args);
	FILE *p = popen(cmd, "r");
	size_t got = fread(buf, 1, sizeof(buf) - 1, p);
	buf[got] = '\0';
	pclose(p);
	int docs = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *j = json_loads(line, 0, NULL);
		cr_assert(j, "line %d is not JSON: %s", docs + 1, line);
		json_decref(j);
		docs++;
	}
	cr_assert(docs >= 3 && docs <= 7, "expected ~5 documents in 0.55 s at 0.1 s, got %d", docs);
}

Test(shmdump, table_names_every_ring_and_agent)
{
	static char buf[1 << 16];
	char args[128];
	snprintf(args, sizeof(args), "--name %s", seg_name);
	cr_assert_eq(run_tool(args, buf, sizeof(buf)), 0, "%s", buf);
	cr_assert(strstr(buf, "a_to_b"));
	cr_assert(strstr(buf, "b_to_a"));
	cr_assert(strstr(buf, "alpha->beta"));
	cr_assert(strstr(buf, "beta->alpha"));
}

Test(shmdump, missing_segment_exits_1)
{
	static char buf[4096];
	cr_assert_eq(run_tool("--name /dmtest-no-such-segment-xyz", buf, sizeof(buf)), 1);
	cr_assert(strstr(buf, "no such segment"), "%s", buf);
}

Test(shmdump, bad_usage_exits_2)
{
	static char buf[4096];
	cr_assert_eq(run_tool("--watch -1", buf, sizeof(buf)), 2);
	cr_assert_eq(run_tool("--bogus", buf, sizeof(buf)), 2);
	cr_assert_eq(run_tool("--name noslash", buf, sizeof(buf)), 2);
	cr_assert_eq(run_tool("--help", buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, "usage: dm-shmdump"));
}
