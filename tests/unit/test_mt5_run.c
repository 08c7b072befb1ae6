/*
 * test_mt5_run.c — a live run from `tools/dmctl start --live mt5` fed by
 * the fake terminal (dm-fake-mt5): the data agent listens, the terminal
 * connects and proves the secret, every tick and book it sends reaches
 * the run's market.journal as the event it came from (the input replayed
 * directly is the expected value, to the millisecond MT5 carries); a
 * connection cut mid-frame is taken up again; a restarted data agent
 * listens again and the next session appends to the same journal.
 * SOLO (tests/run.sh): it starts the six agents.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/feed/feed.h"
#include "libcore/replay/replay.h"
#include "shm/seg.h"
#include "tests/helpers.h"
#include "tests/proc_helpers.h"

static char segname[SEG_NAME_MAX];
static char rundir[256];
static char bindir[PATH_MAX];
static char dmctl[PATH_MAX];
static char root[PATH_MAX];

static void setup(void)
{
	struct t_paths p;
	t_paths_or_fail(&p);
	snprintf(bindir, sizeof(bindir), "%s", p.bin);
	snprintf(dmctl, sizeof(dmctl), "%s", p.dmctl);
	snprintf(root, sizeof(root), "%s", p.root);
	t_seg_name(segname, sizeof(segname), "mt5run");
	snprintf(rundir, sizeof(rundir), "/tmp%s", segname);
	setenv("DM_SHM_NAME", segname, 1);
	setenv("DM_RUN_DIR", rundir, 1);
	setenv("DM_BIN", bindir, 1);
	mkdir(rundir, 0755);
}

static void teardown(void)
{
	t_kill_run(rundir, segname);
	if (getenv("DM_TEST_KEEP") == NULL && t_system("rm -rf '%s'", rundir) != 0)
		cr_log_warn("could not remove %s", rundir);
}

TestSuite(mt5_run, .init = setup, .fini = teardown);

/* a port free a moment ago on loopback */
static unsigned free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(a);
	cr_assert(fd >= 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* the fake terminal over input at pace, with more arguments; its exit status */
static int fake(unsigned port, const char *input, const char *more)
{
	return t_system("'%s/dm-fake-mt5' --connect 127.0.0.1:%u --secret '%s/mt5.key' --input '%s' "
			"--pace x50 --linger 0.5 --quiet %s >>'%s/fake.out' 2>&1", bindir, port, rundir,
			input, more, rundir);
}

/* events of a journal, n at most, into ev; their count */
static uint32_t read_events(const char *path, struct event *ev, uint32_t n)
{
	struct replay rp;
	char err[256];
	cr_assert_eq(replay_open(&rp, path, FEED_JOURNAL, NULL, NULL, err, sizeof(err)), 0, "%s",
		     err);
	uint32_t k = 0;
	struct event e;
	while (replay_next(&rp, 0, &e) == REPLAY_EVENT) {
		if (k < n)
			ev[k] = e;
		k++;
	}
	replay_close(&rp);
	return k;
}

/* a (the live journal) holds b (the input) from offset off on, times cut to ms */
static void expect_same(const struct event *a, const struct event *b, uint32_t n, uint32_t off)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct event *x = &a[off + i], *y = &b[i];
		cr_assert_eq(x->kind, y->kind, "event %u", i);
		cr_assert_eq(x->exch_ns, y->exch_ns / 1000000 * 1000000, "event %u time", i);
		if (y->kind == EV_TRADE) {
			cr_assert_eq(x->trade.px, y->trade.px, "event %u", i);
			cr_assert_eq(x->trade.qty, y->trade.qty, "event %u", i);
		} else {
			cr_assert_eq(x->book.n_bid, y->book.n_bid, "event %u", i);
			cr_assert_eq(x->book.n_ask, y->book.n_ask, "event %u", i);
			cr_assert_eq(memcmp(x->book.bid, y->book.bid,
					    y->book.n_bid * sizeof(struct book_level)), 0, "event %u", i);
			cr_assert_eq(memcmp(x->book.ask, y->book.ask,
					    y->book.n_ask * sizeof(struct book_level)), 0, "event %u", i);
		}
	}
}

#define N_EV 3000

Test(mt5_run, live_session_is_journaled_reconnects_and_survives_a_restart, .timeout = 240)
{
	char input[600], conf[600], model[PATH_MAX + 64], live[600];
	unsigned port = free_port();
	snprintf(input, sizeof(input), "%s/input.journal", rundir);
	snprintf(conf, sizeof(conf), "%s/site.yaml", rundir);
	snprintf(live, sizeof(live), "%s/market.journal", rundir);
	snprintf(model, sizeof(model), "%s/build/model/default.json", root);
	cr_assert_eq(t_system("cp '%s/conf/risk.yaml' '%s/risk.yaml'", root, rundir), 0);
	cr_assert_eq(t_system("'%s/dm-mt5' new-secret '%s/mt5.key' >/dev/null", bindir, rundir), 0);
	cr_assert_eq(t_system("printf 'risk:\\n  limits: risk.yaml\\nstrategy:\\n  model: %s\\n"
			      "mt5:\\n  listen: \"127.0.0.1:%u\"\\n  secret_file: mt5.key\\n"
			      "  heartbeat_interval: 200ms\\n  heartbeat_timeout: 1s\\n"
			      "  reconnect_min: 50ms\\n  reconnect_max: 200ms\\n' >'%s'", model, port,
			      conf), 0);
	cr_assert_eq(t_system("'%s/dm-gen' --seed 3 --events %d --levels 5 --output '%s' --quiet "
			      ">/dev/null", bindir, N_EV, input), 0, "dm-gen");
	int rc = t_system("'%s' -c '%s' start --live mt5 >'%s/start.out' 2>&1", dmctl, conf, rundir);
	if (rc != 0) {
		t_system("cat '%s/start.out' >&2", rundir);
		t_show_logs(rundir, 20);
	}
	cr_assert_eq(rc, 0, "dmctl start --live mt5");

	/* a session cut in the middle of a frame once: the terminal comes back */
	rc = fake(port, input, "--fault disconnect@1000");
	if (rc != 0)
		t_system("cat '%s/fake.out' >&2; tail -20 '%s/data.log' >&2", rundir, rundir);
	cr_assert_eq(rc, 0, "the fake terminal's first session");
	/* restart the data agent: it listens again and appends */
	rc = t_system("'%s' -c '%s' restart data >>'%s/start.out' 2>&1", dmctl, conf, rundir);
	cr_assert_eq(rc, 0, "dmctl restart data");
	rc = fake(port, input, "");
	if (rc != 0)
		t_system("cat '%s/fake.out' >&2; tail -20 '%s/data.log' >&2", rundir, rundir);
	cr_assert_eq(rc, 0, "the fake terminal's second session");
	cr_assert_eq(t_system("'%s' -c '%s' stop >>'%s/start.out' 2>&1", dmctl, conf, rundir), 0,
		     "dmctl stop");

	static struct event in[N_EV], got[3 * N_EV];
	cr_assert_eq(read_events(input, in, N_EV), N_EV);
	uint32_t n = read_events(live, got, 3 * N_EV);
	cr_assert_eq(n, 2 * N_EV, "market.journal holds %u events, expected two sessions of %d", n,
		     N_EV);
	expect_same(got, in, N_EV, 0);
	expect_same(got, in, N_EV, N_EV);
	/* two connections in the first data agent's life, one in the second's */
	char out[256];
	cr_assert_eq(t_sh(out, sizeof(out), "grep -c 'terminal connected' '%s/data.log'", rundir), 0);
	cr_expect_eq(atoi(out), 3, "terminal connections logged: %s", out);
	cr_assert_eq(t_sh(out, sizeof(out), "grep -c 'frame errors' '%s/data.log'", rundir), 0);
	cr_expect_eq(atoi(out), 2, "the live source's counters at each close: %s", out);
	t_expect_clean_logs(rundir);
}
