/*
 * live.h — a running six-agent system for a test: its own segment name
 * and run directory (DM_SHM_NAME, DM_RUN_DIR), the programs of the build
 * under test (DM_BIN = <build>/bin beside <build>/tests), tools/dmctl of
 * the checkout above it, a market from dm-gen.  The fixture's cleanup
 * kills the supervisor and every agent and unlinks the segment even when
 * an assertion failed.
 *
 * Static functions: a test file that starts a system includes this once
 * (test_exporter.c, test_top.c).  Criterion tests only.
 */
#ifndef DM_TESTS_LIVE_H
#define DM_TESTS_LIVE_H

#include <criterion/criterion.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agents/rt/dump.h"
#include "agents/rt/topology.h"
#include "libcore/msg/msg.h"
#include "shm/seg.h"
#include "tests/helpers.h"

struct t_live {
	char seg[SEG_NAME_MAX];
	char rundir[256];
	char bindir[PATH_MAX / 2];
	char root[PATH_MAX / 2];    /* the checkout: tools/dmctl */
	char dmctl[PATH_MAX];
};

/* Names, environment, run directory; nothing runs yet. */
static __attribute__((unused)) void t_live_init(struct t_live *l, const char *tag)
{
	memset(l, 0, sizeof(*l));
	t_seg_name(l->seg, sizeof(l->seg), tag);
	snprintf(l->rundir, sizeof(l->rundir), "/tmp%s", l->seg);
	struct t_paths p;
	t_paths_or_fail(&p);
	snprintf(l->bindir, sizeof(l->bindir), "%s", p.bin);
	snprintf(l->root, sizeof(l->root), "%s", p.root);
	snprintf(l->dmctl, sizeof(l->dmctl), "%s", p.dmctl);
	setenv("DM_SHM_NAME", l->seg, 1);
	setenv("DM_RUN_DIR", l->rundir, 1);
	setenv("DM_BIN", l->bindir, 1);
	mkdir(l->rundir, 0700);
}

/*
 * dm-gen --seed 1 --events N, then `dmctl start` on it with the extra
 * start options (pace); the default configuration, whose strategy.model
 * is the one `make model` trains.  Asserts that all six agents run.
 */
static __attribute__((unused)) void t_live_start(struct t_live *l, uint32_t events, const char *start_opts)
{
	cr_assert_eq(t_system("'%s/dm-gen' --seed 1 --events %u --output '%s/market.journal' "
			      "--quiet >/dev/null", l->bindir, events, l->rundir), 0, "dm-gen");
	int rc = t_system("cd '%s' && '%s' start --input '%s/market.journal' %s >'%s/start.out' "
			  "2>&1", l->root, l->dmctl, l->rundir, start_opts, l->rundir);
	if (rc != 0) {
		t_system("cat '%s/start.out' >&2", l->rundir);
		t_show_logs(l->rundir, 20);
	}
	cr_assert_eq(rc, 0, "dmctl start");
}

/* Every ring empty and the replay done, three polls in a row (100 ms
 * apart), within timeout_s: 1, else 0. */
static __attribute__((unused)) int t_live_wait_quiet(struct t_live *l, int timeout_s)
{
	struct seg s;
	if (seg_attach(&s, l->seg, 1, msg_layout_hash()) != 0)
		return 0;
	int quiet = 0;
	int64_t end = t_now_ns() + (int64_t)timeout_s * 1000000000;
	while (quiet < 3 && t_now_ns() < end) {
		uint64_t fill = t_rings_fill(&s);
		json_t *d = rt_dump_json(&s);
		json_t *data = json_object_get(json_object_get(d, "agents"), "data");
		int done = json_is_true(json_object_get(data, "replay_done"));
		json_decref(d);
		quiet = fill == 0 && done ? quiet + 1 : 0;
		usleep(100 * 1000);
	}
	seg_close(&s);
	return quiet >= 3;
}

static __attribute__((unused)) void t_live_stop(struct t_live *l)
{
	cr_assert_eq(t_system("'%s' stop >'%s/stop.out' 2>&1", l->dmctl, l->rundir), 0,
		     "dmctl stop");
}

/* Whatever is left: supervisor, agents, segment, run directory. */
static __attribute__((unused)) void t_live_cleanup(struct t_live *l)
{
	if (!l->seg[0])
		return;
	t_kill_run(l->rundir, l->seg);
	if (!getenv("DM_TEST_KEEP"))
		t_system("rm -rf '%s'", l->rundir);
}

#endif /* DM_TESTS_LIVE_H */
