/*
 * test_topology.c — the agents' part of the run configuration (agents:,
 * rings:, system:; agents/rt/topology.h) read with libcore's in one pass
 * (rt_config_load over config_load_host), the agents and the roles they
 * host.
 *
 * Each error test writes a small YAML text to a mkstemp file under /tmp,
 * loads it, removes it, and checks the message starts with
 * "<file>:<line>:<column>: key '<dotted key>'" worked out by hand from the
 * text (lines and columns count from 1; a key indented by 2 is column 3).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agents/rt/topology.h"
#include "libcore/config/config.h"
#include "libcore/types.h"
#include "libcore/vote/role.h"

struct t_load {
	int rc;
	char path[64];
	char err[512];
	struct rt_config c;
};

/* text in a fresh file under /tmp; its name in path (64 bytes) */
static void t_write_conf(char *path, const char *text)
{
	size_t n = strlen(text);
	int fd;

	strcpy(path, "/tmp/dm_test_topology_XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0, "mkstemp failed");
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
}

/* Write text to a fresh file under /tmp, load it into r->c, remove it. */
static void t_load_text(const char *text, struct t_load *r)
{
	t_write_conf(r->path, text);
	r->err[0] = '\0';
	r->rc = rt_config_load(&r->c, r->path, r->err, sizeof(r->err));
	unlink(r->path);
}

/* The load fails; err starts with "<file>:<where>" and contains what. */
static void t_expect_error(const char *text, const char *where, const char *what)
{
	struct t_load r;
	char want[256];

	t_load_text(text, &r);
	cr_assert_eq(r.rc, -DM_ECONFIG, "rc %d for:\n%s", r.rc, text);
	snprintf(want, sizeof(want), "%s:%s", r.path, where);
	cr_assert(strncmp(r.err, want, strlen(want)) == 0,
	          "err '%s'\ndoes not start with '%s'", r.err, want);
	cr_assert(strstr(r.err, what), "err '%s'\nlacks '%s'", r.err, what);
	cr_assert_null(strchr(r.err, '\n'), "err is one line: '%s'", r.err);
}

static void t_load_ok(const char *text, struct t_load *r)
{
	t_load_text(text, r);
	cr_assert_eq(r->rc, 0, "load failed: %s", r->err);
	cr_assert_str_eq(r->c.core.path, r->path);
}

/* Field-by-field, so a failure names the field; then every byte (libcore's
 * part field by field is test_config.c's). */
static void t_assert_config_eq(const struct rt_config *a, const struct rt_config *b)
{
	cr_assert_str_eq(a->core.path, b->core.path);
	cr_assert_str_eq(a->system.shm_name, b->system.shm_name);
	cr_assert_str_eq(a->system.run_dir, b->system.run_dir);
	cr_assert_eq(a->system.heartbeat_ms, b->system.heartbeat_ms);
	cr_assert_eq(a->system.stale_ms, b->system.stale_ms);
	for (int i = 0; i < AGENT_COUNT; i++) {
		const struct rt_agent_cfg *x = &a->agent[i], *y = &b->agent[i];

		cr_assert_eq(x->cpu, y->cpu, "agent %s cpu", rt_agent_names[i]);
		cr_assert_eq(x->idle, y->idle, "agent %s idle", rt_agent_names[i]);
		cr_assert_eq(x->spin_iters, y->spin_iters, "agent %s spin", rt_agent_names[i]);
		cr_assert_eq(x->yield_iters, y->yield_iters, "agent %s yield", rt_agent_names[i]);
		cr_assert_eq(x->sleep_timeout_us, y->sleep_timeout_us,
		             "agent %s sleep", rt_agent_names[i]);
	}
	cr_assert_eq(a->n_rings, b->n_rings);
	for (uint32_t i = 0; i < RT_MAX_RINGS; i++) {
		const struct rt_ring_cfg *x = &a->ring[i], *y = &b->ring[i];

		cr_assert_str_eq(x->name, y->name, "ring %u name", i);
		cr_assert_eq(x->producer, y->producer, "ring %s producer", x->name);
		cr_assert_eq(x->consumer, y->consumer, "ring %s consumer", x->name);
		cr_assert_eq(x->capacity, y->capacity, "ring %s capacity", x->name);
		cr_assert_eq(x->slot_size, y->slot_size, "ring %s slot_size", x->name);
		cr_assert_eq(x->policy, y->policy, "ring %s policy", x->name);
	}
	cr_assert_str_eq(a->core.instrument.symbol, b->core.instrument.symbol);
	cr_assert_eq(a->core.vote.voters, b->core.vote.voters, "vote.voters");
	cr_assert_str_eq(a->core.strategy.model, b->core.strategy.model, "strategy.model");
	cr_assert_str_eq(a->core.risk.limits, b->core.risk.limits, "risk.limits");
	cr_assert(memcmp(&a->core, &b->core, sizeof(a->core)) == 0,
	          "libcore's parts differ in some byte");
	cr_assert(memcmp(a, b, sizeof(*a)) == 0, "configs differ in some byte");
}

/* ------------------------------------------------------------ agents, roles */

/* The agents' numbers are the registry's order, restated by hand; each
 * hosts the role of its name (the coordinator's masks rely on it). */
Test(topology, agents_their_names_and_their_roles)
{
	static const char *const want[] = {
		"coordinator", "data", "feature", "ml", "execution", "risk",
	};

	cr_assert_eq(AGENT_COUNT, 6);
	cr_assert_eq(AGENT_COUNT, ROLE_COUNT);
	cr_expect_eq(AGENT_COORDINATOR, 0);
	cr_expect_eq(AGENT_RISK, 5);
	for (int a = 0; a < AGENT_COUNT; a++) {
		cr_expect_str_eq(rt_agent_names[a], want[a], "agent %d", a);
		cr_expect_eq(rt_agent_id(want[a]), a);
		cr_expect_str_eq(role_names[rt_agent_role[a]], rt_agent_names[a],
		                 "agent %s hosts the role of its name", rt_agent_names[a]);
		cr_expect_eq((int)rt_agent_role[a], a, "agent %d hosts role %d", a, a);
		cr_expect_eq(rt_role_agent(rt_agent_role[a]), a);
	}
	cr_expect_eq(rt_role_agent(ROLE_COUNT), -1);
	cr_expect_eq(rt_agent_id("Risk"), -1);
	cr_expect_eq(rt_agent_id(NULL), -1);
}

/* ------------------------------------------------------------ loading */

Test(topology, default_yaml_equals_defaults)
{
	struct rt_config got, want;
	char err[512] = "";

	rt_config_defaults(&want);
	cr_assert_str_eq(want.core.path, "");
	cr_assert_eq(rt_config_load(&got, "conf/default.yaml", err, sizeof(err)), 0,
	             "conf/default.yaml: %s", err);
	strcpy(want.core.path, "conf/default.yaml");
	/* The file sets its paths, so they come back joined to its directory;
	 * the defaults name the same files (resolved against conf/). */
	char dir[PATH_MAX], path[PATH_MAX + 64], out[PATH_MAX + 64];
	cr_assert_not_null(realpath("conf", dir));
	snprintf(path, sizeof(path), "%s/../build/model/default.json", dir);
	cr_assert_str_eq(got.core.strategy.model, path);
	cr_assert_eq(config_resolve(&want.core, want.core.strategy.model, out, sizeof(out)), 0);
	cr_assert_str_eq(out, path);
	snprintf(path, sizeof(path), "%s/risk.yaml", dir);
	cr_assert_str_eq(got.core.risk.limits, path);
	cr_assert_eq(config_resolve(&want.core, want.core.risk.limits, out, sizeof(out)), 0);
	cr_assert_str_eq(out, path);
	strcpy(want.core.strategy.model, got.core.strategy.model);
	strcpy(want.core.risk.limits, got.core.risk.limits);
	t_assert_config_eq(&got, &want);
}

/* The default topology restated from the design, independently of topology.c. */
Test(topology, defaults_follow_the_data_flow)
{
	static const struct { const char *name; int p, c; uint32_t cap, slot, pol; } t[] = {
		{ "md_feature", AGENT_DATA, AGENT_FEATURE, 4096, 1024, RING_CONFLATE },
		{ "md_execution", AGENT_DATA, AGENT_EXECUTION, 4096, 1024, RING_CONFLATE },
		{ "md_risk", AGENT_DATA, AGENT_RISK, 4096, 1024, RING_CONFLATE },
		{ "features", AGENT_FEATURE, AGENT_ML, 4096, 512, RING_BLOCK },
		{ "intents", AGENT_ML, AGENT_COORDINATOR, 1024, 128, RING_BLOCK },
		{ "intents_risk", AGENT_ML, AGENT_RISK, 1024, 128, RING_BLOCK },
		{ "intents_execution", AGENT_ML, AGENT_EXECUTION, 1024, 128, RING_BLOCK },
		{ "intents_feature", AGENT_ML, AGENT_FEATURE, 1024, 128, RING_BLOCK },
		{ "vote_req_risk", AGENT_COORDINATOR, AGENT_RISK, 1024, 128, RING_BLOCK },
		{ "vote_req_execution", AGENT_COORDINATOR, AGENT_EXECUTION, 1024, 128, RING_BLOCK },
		{ "vote_req_feature", AGENT_COORDINATOR, AGENT_FEATURE, 1024, 128, RING_BLOCK },
		{ "votes_risk", AGENT_RISK, AGENT_COORDINATOR, 1024, 128, RING_BLOCK },
		{ "votes_execution", AGENT_EXECUTION, AGENT_COORDINATOR, 1024, 128, RING_BLOCK },
		{ "votes_feature", AGENT_FEATURE, AGENT_COORDINATOR, 1024, 128, RING_BLOCK },
		{ "orders", AGENT_COORDINATOR, AGENT_EXECUTION, 1024, 128, RING_BLOCK },
		{ "reports_risk", AGENT_EXECUTION, AGENT_RISK, 4096, 128, RING_BLOCK },
		{ "reports_coordinator", AGENT_EXECUTION, AGENT_COORDINATOR, 4096, 128, RING_BLOCK },
		{ "reports_ml", AGENT_EXECUTION, AGENT_ML, 4096, 128, RING_BLOCK },
		{ "positions", AGENT_RISK, AGENT_COORDINATOR, 1024, 128, RING_BLOCK },
		{ "control_data", AGENT_COORDINATOR, AGENT_DATA, 64, 128, RING_BLOCK },
		{ "control_feature", AGENT_COORDINATOR, AGENT_FEATURE, 64, 128, RING_BLOCK },
		{ "control_ml", AGENT_COORDINATOR, AGENT_ML, 64, 128, RING_BLOCK },
		{ "control_execution", AGENT_COORDINATOR, AGENT_EXECUTION, 64, 128, RING_BLOCK },
		{ "control_risk", AGENT_COORDINATOR, AGENT_RISK, 64, 128, RING_BLOCK },
		{ "venue_cmds", AGENT_EXECUTION, AGENT_DATA, 1024, 256, RING_BLOCK },
		{ "venue_reports", AGENT_DATA, AGENT_EXECUTION, 4096, 256, RING_BLOCK },
	};
	struct rt_config c;

	rt_config_defaults(&c);
	cr_assert_eq(c.n_rings, sizeof(t) / sizeof(t[0]));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int k = rt_config_ring_find(&c, t[i].name);

		cr_assert(k >= 0, "ring %s missing", t[i].name);
		cr_assert_eq(c.ring[k].producer, (uint32_t)t[i].p, "%s", t[i].name);
		cr_assert_eq(c.ring[k].consumer, (uint32_t)t[i].c, "%s", t[i].name);
		cr_assert_eq(c.ring[k].capacity, t[i].cap, "%s", t[i].name);
		cr_assert_eq(c.ring[k].slot_size, t[i].slot, "%s", t[i].name);
		cr_assert_eq(c.ring[k].policy, t[i].pol, "%s", t[i].name);
	}
	for (int i = 0; i < AGENT_COUNT; i++) {
		cr_assert_eq(c.agent[i].idle, IDLE_BACKOFF);
		cr_assert_eq(c.agent[i].cpu, -1);
		cr_assert_eq(c.agent[i].spin_iters, 0);
		cr_assert_eq(c.agent[i].yield_iters, 0);
		cr_assert_eq(c.agent[i].sleep_timeout_us, 100000);
	}
	cr_assert_str_eq(c.system.shm_name, "/dreammaker");
	char want_dir[256];
	cr_assert_eq(topology_run_dir_default(want_dir, sizeof(want_dir)), 0);
	cr_assert_str_eq(c.system.run_dir, want_dir, "the per-user default (tested below)");
	cr_assert_eq(c.system.heartbeat_ms, 50);
	cr_assert_eq(c.system.stale_ms, 500);
}

/* ------------------------------------------------------------ run_dir default */

/* topology_run_dir_default in a child that runs as uid (when this test
 * runs as root and uid differs from 0) with XDG_RUNTIME_DIR and HOME set
 * as given (NULL: unset); its answer into out, "" when it failed. */
static void t_default_as(uid_t uid, const char *xdg, const char *home, char *out, size_t n)
{
	int fd[2];
	cr_assert_eq(pipe(fd), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fd[0]);
		if (xdg)
			setenv("XDG_RUNTIME_DIR", xdg, 1);
		else
			unsetenv("XDG_RUNTIME_DIR");
		if (home)
			setenv("HOME", home, 1);
		else
			unsetenv("HOME");
		if (uid != geteuid() && (setgid(uid) != 0 || setuid(uid) != 0))
			_exit(3);
		char buf[512] = "";
		if (topology_run_dir_default(buf, sizeof(buf)) != 0)
			buf[0] = '\0';
		ssize_t k = write(fd[1], buf, strlen(buf));
		_exit(k == (ssize_t)strlen(buf) ? 0 : 4);
	}
	close(fd[1]);
	ssize_t k = read(fd[0], out, n - 1);
	close(fd[0]);
	out[k > 0 ? k : 0] = '\0';
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}

/*
 * The default run directory is the user's own, never a path every user
 * could create first: $XDG_RUNTIME_DIR/dreammaker when that directory is
 * the user's and closed to others, else /run/dreammaker for root, else
 * $HOME/.local/state/dreammaker, else /tmp/dreammaker-<uid>.  The
 * expected paths are written out from the rule.
 */
Test(topology, run_dir_default_is_the_users_own)
{
	char xdg[] = "/tmp/dmtest-xdg-XXXXXX", got[512], want[600];
	cr_assert_not_null(mkdtemp(xdg)); /* 0700, this user's */
	uid_t me = geteuid();

	t_default_as(me, xdg, "/home/someone", got, sizeof(got));
	snprintf(want, sizeof(want), "%s/dreammaker", xdg);
	cr_expect_str_eq(got, want, "a private XDG_RUNTIME_DIR");

	/* an XDG_RUNTIME_DIR others may read, a relative one, none: the next choice */
	const char *next = me == 0 ? "/run/dreammaker" : NULL;
	char home_state[] = "/home/someone/.local/state/dreammaker";
	cr_assert_eq(chmod(xdg, 0755), 0);
	t_default_as(me, xdg, "/home/someone", got, sizeof(got));
	cr_expect_str_eq(got, next ? next : home_state, "XDG_RUNTIME_DIR mode 0755");
	cr_assert_eq(chmod(xdg, 0700), 0);
	t_default_as(me, "run/user", "/home/someone", got, sizeof(got));
	cr_expect_str_eq(got, next ? next : home_state, "a relative XDG_RUNTIME_DIR");
	t_default_as(me, NULL, "/home/someone", got, sizeof(got));
	cr_expect_str_eq(got, next ? next : home_state, "no XDG_RUNTIME_DIR");

	/* another user (root's test runs it as nobody): root's XDG dir is not
	 * theirs; then HOME, then /tmp/dreammaker-<uid> */
	uid_t other = me == 0 ? 65534 : me;
	if (me == 0) {
		t_default_as(other, xdg, "/home/someone", got, sizeof(got));
		cr_expect_str_eq(got, home_state, "XDG_RUNTIME_DIR of another user");
	}
	t_default_as(other, NULL, "/home/someone", got, sizeof(got));
	cr_expect_str_eq(got, home_state, "HOME");
	t_default_as(other, NULL, NULL, got, sizeof(got));
	snprintf(want, sizeof(want), "/tmp/dreammaker-%u", (unsigned)other);
	cr_expect_str_eq(got, want, "no HOME");
	t_default_as(other, NULL, "relative/home", got, sizeof(got));
	cr_expect_str_eq(got, want, "a relative HOME");
	rmdir(xdg);
}

Test(topology, overriding_one_key_changes_only_that_key)
{
	struct t_load r;
	struct rt_config want;

	t_load_ok("agents:\n  ml:\n    spin_iters: 7\n", &r);
	rt_config_defaults(&want);
	strcpy(want.core.path, r.path);
	want.agent[AGENT_ML].spin_iters = 7;
	t_assert_config_eq(&r.c, &want);
}

Test(topology, every_kind_of_value_is_stored)
{
	struct t_load r;

	t_load_ok("system:\n"
	          "  shm_name: \"/dm_test\"\n"
	          "  run_dir: /var/run/dm\n"
	          "agents:\n"
	          "  data: { cpu: 1, idle: spin }\n"
	          "  risk: { cpu: -1, idle: sleep, sleep_timeout_us: 1 }\n", &r);
	cr_assert_str_eq(r.c.system.shm_name, "/dm_test");
	cr_assert_str_eq(r.c.system.run_dir, "/var/run/dm");
	cr_assert_eq(r.c.agent[AGENT_DATA].cpu, 1);
	cr_assert_eq(r.c.agent[AGENT_DATA].idle, IDLE_SPIN);
	cr_assert_eq(r.c.agent[AGENT_RISK].idle, IDLE_SLEEP);
	cr_assert_eq(r.c.agent[AGENT_RISK].sleep_timeout_us, 1);
	cr_assert_eq(r.c.agent[AGENT_ML].idle, IDLE_BACKOFF);
}

Test(topology, rings_list_replaces_the_default_list)
{
	struct t_load r;
	struct rt_config want;

	t_load_ok("rings:\n"
	          "  - name: only\n"
	          "    producer: data\n"
	          "    consumer: risk\n"
	          "    capacity: 8\n"
	          "    slot_size: 256\n"
	          "    policy: conflate\n", &r);
	rt_config_defaults(&want);
	strcpy(want.core.path, r.path);
	memset(want.ring, 0, sizeof(want.ring));
	want.ring[0] = (struct rt_ring_cfg){ "only", AGENT_DATA, AGENT_RISK, 8, 256,
	                                  RING_CONFLATE };
	want.n_rings = 1;
	t_assert_config_eq(&r.c, &want);
	cr_assert_eq(rt_config_ring_find(&r.c, "only"), 0);
	cr_assert_eq(rt_config_ring_find(&r.c, "md_feature"), -1);
}

Test(topology, empty_file_and_empty_sections_give_defaults)
{
	struct t_load r;
	struct rt_config want;

	rt_config_defaults(&want);
	t_load_ok("", &r);
	strcpy(want.core.path, r.path);
	t_assert_config_eq(&r.c, &want);
	t_load_ok("# nothing set\nsystem:\nagents:\n  ml:\n", &r);
	strcpy(want.core.path, r.path);
	t_assert_config_eq(&r.c, &want);
}

Test(topology, failed_load_leaves_config_unchanged)
{
	struct rt_config c, before;
	char err[256];

	rt_config_defaults(&c);
	c.agent[AGENT_ML].cpu = 1;
	before = c;
	cr_assert_eq(rt_config_load(&c, "/tmp/dm_test_config_no_such_file.yaml",
	                         err, sizeof(err)), -DM_ECONFIG);
	cr_assert(memcmp(&c, &before, sizeof(c)) == 0);
}

Test(topology, ring_find_and_agent_id)
{
	struct rt_config c;

	rt_config_defaults(&c);
	cr_assert_eq(rt_config_ring_find(&c, "md_feature"), 0);
	cr_assert_eq(rt_config_ring_find(&c, "reports_ml"), 17);
	cr_assert_eq(rt_config_ring_find(&c, "control_risk"), 23);
	cr_assert_eq(rt_config_ring_find(&c, "nope"), -1);
	cr_assert_eq(rt_config_ring_find(&c, NULL), -1);
	cr_assert_eq(rt_agent_id("coordinator"), AGENT_COORDINATOR);
	cr_assert_eq(rt_agent_id("risk"), AGENT_RISK);
	cr_assert_eq(rt_agent_id("Risk"), -1);
	cr_assert_eq(rt_agent_id(NULL), -1);
	cr_assert_str_eq(rt_agent_names[AGENT_ML], "ml");
	cr_assert_str_eq(rt_agent_names[AGENT_EXECUTION], "execution");
}

Test(topology, unknown_top_level_key)
{
	t_expect_error("agents: {}\n"
	               "systme:\n"
	               "  heartbeat_ms: 60\n",
	               "2:1: key 'systme': ", "unknown key (did you mean 'system'?)");
}

Test(topology, unknown_nested_key)
{
	t_expect_error("agents:\n"
	               "  feature:\n"
	               "    spin_iter: 3\n",
	               "3:5: key 'agents.feature.spin_iter': ",
	               "unknown key (did you mean 'spin_iters'?)");
	t_expect_error("system:\n"
	               "  heartbeat_ms: 60\n"
	               "  bogus: 1\n",
	               "3:3: key 'system.bogus': ",
	               "expected one of: shm_name, run_dir, heartbeat_ms, stale_ms");
}

Test(topology, unknown_agent_block)
{
	t_expect_error("agents:\n"
	               "  dta:\n"
	               "    cpu: 1\n",
	               "2:3: key 'agents.dta': ", "unknown key (did you mean 'data'?)");
}

/* agents.<name>.rt_priority: 0..99, and only with an idle mode that
 * sleeps; the error points at the key the file set */
Test(topology, a_real_time_agent_must_sleep_when_idle)
{
	t_expect_error("agents:\n"
	               "  ml:\n"
	               "    idle: spin\n"
	               "    rt_priority: 10\n",
	               "4:5: key 'agents.ml.rt_priority': ",
	               "rt_priority 10 with idle spin: a real-time agent that never sleeps");
	t_expect_error("agents:\n"
	               "  risk: { rt_priority: 3 }\n"
	               "  feature:\n"
	               "    rt_priority: 2\n"
	               "    idle: yield\n",
	               "4:5: key 'agents.feature.rt_priority': ", "with idle yield");
	t_expect_error("agents:\n"
	               "  data:\n"
	               "    rt_priority: 100\n",
	               "3:5: key 'agents.data.rt_priority': ", "out of range [0, 99]");
	struct t_load r;
	rt_config_defaults(&r.c);
	cr_expect_eq(r.c.agent[AGENT_ML].rt_priority, 0, "time-sharing by default");
	t_load_ok("agents:\n  ml: { rt_priority: 10 }\n  risk: { rt_priority: 5, idle: sleep }\n",
		  &r);
	cr_expect_eq(r.c.agent[AGENT_ML].rt_priority, 10);
	cr_expect_eq(r.c.agent[AGENT_RISK].rt_priority, 5);
	cr_expect_eq(r.c.agent[AGENT_DATA].rt_priority, 0);
}

/* agents.<name>.slice_us: 0 (the kernel's) or 100..100000, the range the
 * kernel keeps unchanged; a value it would clamp is refused at its key */
Test(topology, a_slice_is_zero_or_one_the_kernel_keeps)
{
	t_expect_error("agents:\n"
	               "  ml:\n"
	               "    slice_us: 50\n",
	               "3:5: key 'agents.ml.slice_us': ", "must be 0 (the kernel's own) or 100..100000");
	t_expect_error("agents:\n"
	               "  risk: { slice_us: 100001 }\n",
	               "2:11: key 'agents.risk.slice_us': ", "out of range [0, 100000]");
	struct t_load r;
	t_load_ok("agents:\n  ml: { slice_us: 0 }\n  risk: { slice_us: 100 }\n"
		  "  data: { slice_us: 100000 }\n", &r);
	cr_expect_eq(r.c.agent[AGENT_ML].slice_us, 0);
	cr_expect_eq(r.c.agent[AGENT_RISK].slice_us, 100);
	cr_expect_eq(r.c.agent[AGENT_DATA].slice_us, 100000);
}

Test(topology, wrong_type_string_for_integer)
{
	t_expect_error("system:\n"
	               "  heartbeat_ms: fast\n",
	               "2:3: key 'system.heartbeat_ms': ", "expected an integer, got 'fast'");
	t_expect_error("system:\n"
	               "  heartbeat_ms: \"60\"\n",
	               "2:3: key 'system.heartbeat_ms': ",
	               "expected an integer, got quoted string '60'");
	t_expect_error("system:\n"
	               "  stale_ms: 1.5\n",
	               "2:3: key 'system.stale_ms': ", "expected an integer, got '1.5'");
}

Test(topology, wrong_type_sequence_for_mapping)
{
	t_expect_error("agents:\n"
	               "  risk:\n"
	               "    - cpu: 1\n",
	               "2:3: key 'agents.risk': ", "expected a mapping, got a sequence");
}

Test(topology, wrong_type_mapping_for_scalar)
{
	t_expect_error("system:\n"
	               "  shm_name:\n"
	               "    a: 1\n",
	               "2:3: key 'system.shm_name': ", "expected a string, got a mapping");
	t_expect_error("rings:\n"
	               "  name: x\n",
	               "1:1: key 'rings': ", "expected a sequence, got a mapping");
}

Test(topology, out_of_range_below)
{
	t_expect_error("agents:\n"
	               "  feature:\n"
	               "    spin_iters: -3\n",
	               "3:5: key 'agents.feature.spin_iters': ",
	               "value -3 out of range [0, 100000000]");
	t_expect_error("agents:\n"
	               "  ml:\n"
	               "    cpu: -2\n",
	               "3:5: key 'agents.ml.cpu': ", "value -2 out of range [-1, 1023]");
}

Test(topology, out_of_range_above)
{
	t_expect_error("system:\n"
	               "  heartbeat_ms: 10001\n",
	               "2:3: key 'system.heartbeat_ms': ", "value 10001 out of range [1, 10000]");
	t_expect_error("system:\n"
	               "  stale_ms: 99999999999999999999999\n",
	               "2:3: key 'system.stale_ms': ",
	               "value 99999999999999999999999 out of range [1, 600000]");
}

Test(topology, capacity_not_power_of_two)
{
	t_expect_error("rings:\n"
	               "  - name: r\n"
	               "    producer: data\n"
	               "    consumer: feature\n"
	               "    capacity: 1000\n"
	               "    slot_size: 64\n"
	               "    policy: block\n",
	               "5:5: key 'rings[0].capacity': ", "value 1000 is not a power of two");
}

Test(topology, slot_size_not_multiple_of_64)
{
	t_expect_error("rings:\n"
	               "  - name: r\n"
	               "    producer: data\n"
	               "    consumer: feature\n"
	               "    capacity: 1024\n"
	               "    slot_size: 100\n"
	               "    policy: block\n",
	               "6:5: key 'rings[0].slot_size': ", "value 100 is not a multiple of 64");
}

Test(topology, bad_enum_name)
{
	t_expect_error("agents:\n"
	               "  ml:\n"
	               "    idle: spn\n",
	               "3:5: key 'agents.ml.idle': ",
	               "unknown idle mode 'spn' (did you mean 'spin'?); "
	               "expected one of: spin, yield, sleep, backoff");
	t_expect_error("rings:\n"
	               "  - {name: r, producer: data, consumer: ml, capacity: 2,"
	               " slot_size: 64, policy: drop}\n",
	               "2:73: key 'rings[0].policy': ",
	               "expected one of: block, conflate");
}

Test(topology, duplicate_key)
{
	t_expect_error("system:\n"
	               "  heartbeat_ms: 60\n"
	               "  stale_ms: 900\n"
	               "  heartbeat_ms: 70\n",
	               "4:3: key 'system.heartbeat_ms': ",
	               "duplicate key (first set at line 2, column 3)");
}

Test(topology, yaml_syntax_error_reports_line)
{
	/* A tab cannot indent YAML: the scanner stops on it, line 3 column 1. */
	t_expect_error("system:\n"
	               "  heartbeat_ms: 60\n"
	               "\tstale_ms: 900\n",
	               "3:1: YAML syntax error: ", "found a tab character that violates indentation");
	/* Indent 1 under a block at indent 2: the parser stops at "stale_ms". */
	t_expect_error("system:\n"
	               "  heartbeat_ms: 60\n"
	               " stale_ms: 900\n",
	               "3:2: YAML syntax error: ", "did not find expected key");
}

Test(topology, second_document_is_refused)
{
	t_expect_error("system: {}\n"
	               "---\n"
	               "system: {}\n",
	               "2:1: top level: ", "second YAML document");
}

Test(topology, missing_required_ring_key)
{
	t_expect_error("rings:\n"
	               "  - name: r\n"
	               "    producer: data\n"
	               "    consumer: feature\n"
	               "    slot_size: 64\n"
	               "    policy: block\n",
	               "2:5: key 'rings[0]': ", "missing required key 'capacity'");
}

Test(topology, duplicate_ring_name)
{
	t_expect_error("rings:\n"
	               "  - {name: a, producer: data, consumer: ml, capacity: 2, slot_size: 64, policy: block}\n"
	               "  - {name: b, producer: data, consumer: risk, capacity: 2, slot_size: 64, policy: block}\n"
	               "  - {name: a, producer: ml, consumer: risk, capacity: 2, slot_size: 64, policy: block}\n",
	               "4:5: key 'rings[2]': ",
	               "duplicate ring name 'a' (first used by rings[0] at line 2)");
}

Test(topology, unknown_agent_in_ring)
{
	t_expect_error("rings:\n"
	               "  - name: r\n"
	               "    producer: data\n"
	               "    consumer: datta\n"
	               "    capacity: 2\n"
	               "    slot_size: 64\n"
	               "    policy: block\n",
	               "4:5: key 'rings[0].consumer': ",
	               "unknown agent 'datta' (did you mean 'data'?); expected one of: "
	               "coordinator, data, feature, ml, execution, risk");
}

Test(topology, ring_with_same_producer_and_consumer)
{
	t_expect_error("rings:\n"
	               "  - {name: a, producer: data, consumer: ml, capacity: 2, slot_size: 64, policy: block}\n"
	               "  - {name: b, producer: risk, consumer: risk, capacity: 2, slot_size: 64, policy: block}\n",
	               "3:5: key 'rings[1]': ", "producer and consumer both 'risk'");
}

Test(topology, too_many_rings)
{
	char text[8192];
	size_t pos = 0;

	pos += (size_t)snprintf(text, sizeof(text), "rings:\n");
	for (int i = 0; i <= RT_MAX_RINGS; i++)
		pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
		                        "  - {name: r%d, producer: data, consumer: ml,"
		                        " capacity: 2, slot_size: 64, policy: block}\n", i);
	/* Entry 33 (index 32) sits on line 34, its '{' in column 5. */
	t_expect_error(text, "34:5: key 'rings': ", "too many entries (at most 32)");
}

Test(topology, stale_not_above_heartbeat)
{
	t_expect_error("system:\n"
	               "  stale_ms: 40\n",
	               "2:3: key 'system.stale_ms': ",
	               "value 40 must be greater than system.heartbeat_ms (50)");
	t_expect_error("agents: {}\n"
	               "system:\n"
	               "  heartbeat_ms: 600\n",
	               "3:3: key 'system.heartbeat_ms': ",
	               "value 600 must be less than system.stale_ms (500)");
}

Test(topology, bad_strings)
{
	t_expect_error("system:\n"
	               "  shm_name: /dm/x\n",
	               "2:3: key 'system.shm_name': ",
	               "value '/dm/x' must be '/' followed by a name without '/'");
	t_expect_error("system:\n"
	               "  shm_name: \"/dm\\ex\"\n",
	               "2:3: key 'system.shm_name': ",
	               "must be '/' followed by a name without '/' or control characters");
	t_expect_error("system:\n"
	               "  shm_name: /..\n",
	               "2:3: key 'system.shm_name': ", "not '.' or '..'");
	t_expect_error("system:\n"
	               "  run_dir: relative/dir\n",
	               "2:3: key 'system.run_dir': ", "must be an absolute path");
	t_expect_error("rings:\n"
	               "  - {name: a-b, producer: data, consumer: ml, capacity: 2, slot_size: 64, policy: block}\n",
	               "2:6: key 'rings[0].name': ", "letters, digits and '_'");
	t_expect_error("rings:\n"
	               "  - {name: a_very_long_ring_name_of_32_byte, producer: data, consumer: ml,"
	               " capacity: 2, slot_size: 64, policy: block}\n",
	               "2:6: key 'rings[0].name': ", "string of 32 bytes is too long (at most 31)");
}


/* ------------------------------------------------------------ one file, two parts */

/* The agents' keys and libcore's in one file, each into its part. */
Test(topology, one_file_fills_both_parts)
{
	struct t_load r;
	struct rt_config want;

	t_load_ok("system: { heartbeat_ms: 20 }\n"
	          "vote: { deadline_us: 777 }\n"
	          "agents:\n"
	          "  risk: { cpu: 3 }\n"
	          "instrument: { symbol: WDO }\n", &r);
	rt_config_defaults(&want);
	strcpy(want.core.path, r.path);
	want.system.heartbeat_ms = 20;
	want.agent[AGENT_RISK].cpu = 3;
	want.core.vote.deadline_us = 777;
	strcpy(want.core.instrument.symbol, "WDO");
	t_assert_config_eq(&r.c, &want);
}

/* An unknown root key is measured against both parts' names, and the list
 * reads in the file's order (the agents' sections first). */
Test(topology, unknown_root_key_suggests_either_part)
{
	t_expect_error("ringz:\n"
	               "  - {name: a, producer: data, consumer: ml, capacity: 2, slot_size: 64,"
	               " policy: block}\n",
	               "1:1: key 'ringz': ", "unknown key (did you mean 'rings'?); expected one "
	               "of: system, agents, rings, instrument, features, vote, coordinator, "
	               "data, quality, strategy, execution, venue, risk");
	t_expect_error("agents: {}\n"
	               "stratgy: { invert: true }\n",
	               "2:1: key 'stratgy': ", "unknown key (did you mean 'strategy'?)");
}

/* libcore's errors keep their place and key through the agents' loader. */
Test(topology, libcore_errors_are_located_through_the_host)
{
	t_expect_error("system: { heartbeat_ms: 20 }\n"
	               "vote:\n"
	               "  voters: [coordinator, risk]\n",
	               "3:3: key 'vote.voters': ", "the coordinator runs the vote and cannot "
	               "be a voter");
	t_expect_error("rings: []\n"
	               "features:\n"
	               "  levels: 0\n",
	               "3:3: key 'features.levels': ", "out of range");
}

/* The agents' checks run before libcore's: the first error of a file
 * with two is the agents'. */
Test(topology, the_agents_checks_come_first)
{
	t_expect_error("vote: { voters: [] }\n"
	               "system: { stale_ms: 10 }\n",
	               "2:11: key 'system.stale_ms': ", "must be greater than");
}

Test(topology, failed_load_leaves_both_parts_unchanged)
{
	struct t_load r;
	struct rt_config before;

	rt_config_defaults(&r.c);
	r.c.agent[AGENT_ML].cpu = 1;
	r.c.core.vote.deadline_us = 9;
	before = r.c;
	/* every key in range, the rings cross-check fails last */
	t_load_text("vote: { deadline_us: 5 }\n"
	            "agents: { ml: { cpu: 2 } }\n"
	            "system: { run_dir: /x }\n"
	            "rings:\n"
	            "  - {name: a, producer: ml, consumer: ml, capacity: 2, slot_size: 64,"
	            " policy: block}\n", &r);
	cr_assert_eq(r.rc, -DM_ECONFIG);
	cr_assert(strstr(r.err, "producer and consumer both 'ml'"), "%s", r.err);
	cr_assert(memcmp(&r.c, &before, sizeof(before)) == 0);
}

/* A reader of libcore's part alone gets what rt_config_load gives, and the
 * same refusals. */
Test(topology, load_core_keeps_libcores_part)
{
	struct rt_config all;
	struct dm_config core;
	char err[512] = "";

	cr_assert_eq(rt_config_load(&all, "conf/default.yaml", err, sizeof(err)), 0, "%s", err);
	memset(&core, 0x5a, sizeof(core));
	cr_assert_eq(rt_config_load_core(&core, "conf/default.yaml", err, sizeof(err)), 0,
	             "%s", err);
	cr_assert(memcmp(&core, &all.core, sizeof(core)) == 0);

	/* an agents' key out of range is refused to it too, located */
	char path[] = "/tmp/dm_test_topology_XXXXXX", want[128];
	const char *text = "agents: { ml: { cpu: 5000 } }\n";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	memset(&core, 0x5a, sizeof(core));
	cr_assert_eq(rt_config_load_core(&core, path, err, sizeof(err)), -DM_ECONFIG);
	unlink(path);
	snprintf(want, sizeof(want), "%s:1:17: key 'agents.ml.cpu': value 5000 out of range",
	         path);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "%s", err);
	for (size_t i = 0; i < sizeof(core); i++)
		cr_assert_eq(((unsigned char *)&core)[i], 0x5a, "nothing applied");
}

/* ------------------------------------------------------------ segment */

Test(topology, spec_lists_the_agents_and_the_configured_rings)
{
	struct rt_config c;
	struct seg_spec spec;

	rt_config_defaults(&c);
	cr_assert_eq(topology_spec(&c, NULL, &spec), 0);
	cr_assert_str_eq(spec.name, "/dreammaker");
	cr_assert_eq(spec.n_agents, AGENT_COUNT);
	for (int a = 0; a < AGENT_COUNT; a++)
		cr_assert_str_eq(spec.agents[a], rt_agent_names[a]);
	cr_assert_eq(spec.n_rings, 26);
	cr_assert_str_eq(spec.ring[4].name, "intents");
	cr_assert_eq(spec.ring[4].producer, AGENT_ML);
	cr_assert_eq(spec.ring[4].consumer, AGENT_COORDINATOR);
	cr_assert_eq(spec.ring[0].policy, RING_CONFLATE);
	cr_assert_eq(spec.user_size, TOPOLOGY_USER_SIZE);
	cr_assert_eq(topology_spec(&c, "/other", &spec), 0);
	cr_assert_str_eq(spec.name, "/other");
	c.n_rings = RT_MAX_RINGS + 1;
	cr_assert_eq(topology_spec(&c, NULL, &spec), -DM_ETOPOLOGY);
}

/* ------------------------------------------------------------ segment name */

Test(topology, seg_name_load_takes_the_explicit_name_and_reads_no_file)
{
	static struct rt_config c;
	char err[256] = "";
	const char *name = "/given", *from = NULL;

	setenv("DM_SHM_NAME", "/from-env", 1);
	memset(&c, 0x5a, sizeof(c));
	/* the file does not exist: a tool told the name never opens it */
	cr_assert_eq(topology_seg_name_load(&c, "/nonexistent/dm.yaml", &name, &from, err,
					    sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(name, "/given");
	cr_assert_str_eq(from, "--name");
	for (size_t i = 0; i < sizeof(c); i++)
		cr_assert_eq(((unsigned char *)&c)[i], 0x5a, "nothing loaded");
}

Test(topology, seg_name_load_takes_the_environment_before_the_file)
{
	static struct rt_config c;
	char err[256] = "";
	const char *name = NULL, *from = NULL;

	setenv("DM_SHM_NAME", "/from-env", 1);
	cr_assert_eq(topology_seg_name_load(&c, "/nonexistent/dm.yaml", &name, &from, err,
					    sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(name, "/from-env");
	cr_assert_str_eq(from, "$DM_SHM_NAME");
	/* an empty one is taken as given, for seg_name_check to refuse */
	setenv("DM_SHM_NAME", "", 1);
	name = NULL;
	cr_assert_eq(topology_seg_name_load(&c, NULL, &name, &from, err, sizeof(err)), 0);
	cr_assert_str_eq(name, "");
	cr_assert_str_eq(from, "$DM_SHM_NAME");
}

Test(topology, seg_name_load_reads_the_file_or_the_defaults)
{
	static struct rt_config c;
	char err[256] = "", path[64];
	const char *name = NULL, *from = NULL;

	unsetenv("DM_SHM_NAME");
	/* no file: conf/default.yaml's system.shm_name */
	cr_assert_eq(topology_seg_name_load(&c, NULL, &name, &from, err, sizeof(err)), 0);
	cr_assert_str_eq(name, "/dreammaker");
	cr_assert_str_eq(from, "system.shm_name");

	t_write_conf(path, "system:\n  shm_name: /dm-site\n");
	name = NULL;
	int rc = topology_seg_name_load(&c, path, &name, &from, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_str_eq(name, "/dm-site");
	cr_assert_str_eq(from, "system.shm_name");
	cr_assert_eq(name, c.system.shm_name, "the name lives in the caller's configuration");
}

Test(topology, seg_name_load_fails_as_the_load_does)
{
	static struct rt_config c;
	char err[256] = "", path[64], want[128];
	const char *name = NULL, *from = "unchanged";

	unsetenv("DM_SHM_NAME");
	t_write_conf(path, "system:\n  shm_nam: /dm-site\n");
	int rc = topology_seg_name_load(&c, path, &name, &from, err, sizeof(err));
	unlink(path);
	cr_assert_eq(rc, -DM_ECONFIG);
	snprintf(want, sizeof(want), "%s:2:3: key 'system.shm_nam'", path);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "err '%s'\nnot '%s...'", err, want);
	cr_assert_null(name);
	cr_assert_str_eq(from, "unchanged");

	rc = topology_seg_name_load(&c, "/nonexistent/dm.yaml", &name, &from, err, sizeof(err));
	cr_assert_eq(rc, -DM_ECONFIG);
	cr_assert(strncmp(err, "/nonexistent/dm.yaml: cannot open: ", 35) == 0, "%s", err);
	cr_assert_null(name);
}
