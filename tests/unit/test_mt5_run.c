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
#include <stdarg.h>
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

/*
 * A second terminal while one is connected: answered REFUSE(BUSY) at once
 * (dm-fake-mt5 gives up after three refusals in a row, exit 1, naming the
 * reason), and the session in place loses nothing: one connection, every
 * event of its input journaled.
 */
Test(mt5_run, a_second_terminal_is_refused_busy, .timeout = 120)
{
	char input[600], conf[600], live[600];
	unsigned port = free_port();
	snprintf(input, sizeof(input), "%s/input.journal", rundir);
	snprintf(conf, sizeof(conf), "%s/site.yaml", rundir);
	snprintf(live, sizeof(live), "%s/market.journal", rundir);
	cr_assert_eq(t_system("'%s/dm-mt5' new-secret '%s/mt5.key' >/dev/null", bindir, rundir), 0);
	cr_assert_eq(t_system("printf 'strategy:\\n  model: \"\"\\nmt5:\\n  listen: "
			      "\"127.0.0.1:%u\"\\n  secret_file: mt5.key\\n' >'%s'", port,
			      conf), 0);
	cr_assert_eq(t_system("'%s/dm-gen' --seed 3 --events %d --levels 5 --output '%s' --quiet "
			      ">/dev/null", bindir, N_EV, input), 0, "dm-gen");
	int rc = t_system("'%s' -c '%s' start --live mt5 >'%s/start.out' 2>&1", dmctl, conf, rundir);
	if (rc != 0)
		t_system("cat '%s/start.out' >&2", rundir);
	cr_assert_eq(rc, 0, "dmctl start --live mt5");
	/* the first terminal, slowly: its market lasts about 8 s at x2 */
	cr_assert_eq(t_system("('%s/dm-fake-mt5' --connect 127.0.0.1:%u --secret '%s/mt5.key' "
			      "--input '%s' --pace x2 --linger 0.5 --quiet >'%s/fake1.out' 2>&1; "
			      "echo $? >'%s/fake1.rc') </dev/null >/dev/null 2>&1 &", bindir, port,
			      rundir, input, rundir, rundir), 0);
	char out[256];
	int64_t end = t_now_ns() + 60ll * 1000000000;
	do {
		usleep(50 * 1000);
		t_sh(out, sizeof(out), "grep -c 'terminal connected' '%s/data.log'", rundir);
	} while (atoi(out) < 1 && t_now_ns() < end);
	cr_assert_eq(atoi(out), 1, "the first terminal connected");
	/* the second, while the first plays */
	rc = t_system("'%s/dm-fake-mt5' --connect 127.0.0.1:%u --secret '%s/mt5.key' --input '%s' "
		      "--pace x50 --quiet >'%s/fake2.out' 2>&1", bindir, port, rundir, input, rundir);
	cr_expect_eq(rc, 1, "the second terminal gives up (exit %d)", rc);
	cr_assert_eq(t_sh(out, sizeof(out), "grep -c 'busy' '%s/fake2.out'", rundir), 0,
		     "the second terminal names the refusal");
	char f1[600];
	snprintf(f1, sizeof(f1), "%s/fake1.rc", rundir);
	while (!t_exists(f1) && t_now_ns() < end)
		usleep(100 * 1000);
	cr_assert(t_exists(f1), "the first terminal's session ended");
	cr_assert_eq(t_sh(out, sizeof(out), "cat '%s'", f1), 0);
	cr_expect_eq(atoi(out), 0, "the first terminal's session: exit %s", out);
	cr_assert_eq(t_system("'%s' -c '%s' stop >>'%s/start.out' 2>&1", dmctl, conf, rundir), 0);
	static struct event in[N_EV], got[2 * N_EV];
	cr_assert_eq(read_events(input, in, N_EV), N_EV);
	cr_assert_eq(read_events(live, got, 2 * N_EV), N_EV, "every event of the first session");
	expect_same(got, in, N_EV, 0);
	cr_assert_eq(t_sh(out, sizeof(out), "grep -c 'terminal connected' '%s/data.log'", rundir), 0);
	cr_expect_eq(atoi(out), 1, "one session: %s", out);
	cr_assert_eq(t_sh(out, sizeof(out), "grep -o '[0-9]* refused busy' '%s/data.log'", rundir),
		     0);
	cr_expect_geq(atoi(out), 3, "every attempt of the second refused: %s", out);
	t_expect_clean_logs(rundir);
}

/* ------------------------------------------------------------ venue.kind mt5 */

/*
 * The orders through the terminal: `dmctl start --live mt5` with venue.kind
 * mt5 and a taker that trades often (primary rule alone, a low threshold),
 * against dm-fake-mt5 with its own records (--order-log, --fill-log,
 * --state).  What the terminal did is the expected value: every fill it
 * made is in execution's, the position execution and risk end with is the
 * terminal's, no coid reached it twice, no order left execution while the
 * link was down or reconciling.
 */

/* the overlay: venue.kind mt5 and a strategy that trades */
static void venue_conf(char *conf, size_t n, unsigned port)
{
	snprintf(conf, n, "%s/site.yaml", rundir);
	cr_assert_eq(t_system("cp '%s/conf/risk.yaml' '%s/risk.yaml'", root, rundir), 0);
	cr_assert_eq(t_system("'%s/dm-mt5' new-secret '%s/mt5.key' >/dev/null", bindir, rundir), 0);
	cr_assert_eq(t_system("printf 'risk:\\n  limits: risk.yaml\\nstrategy:\\n  model: \"\"\\n"
			      "  threshold: 0.1\\n  min_interval_ms: 200\\nvenue:\\n  kind: mt5\\n"
			      "mt5:\\n  listen: \"127.0.0.1:%u\"\\n  secret_file: mt5.key\\n"
			      "  heartbeat_interval: 200ms\\n  heartbeat_timeout: 1s\\n"
			      "  reconnect_min: 50ms\\n  reconnect_max: 200ms\\n' >'%s'", port, conf),
		     0);
}

static void venue_start(const char *conf, const char *input, int events)
{
	cr_assert_eq(t_system("'%s/dm-gen' --seed 3 --events %d --levels 5 --output '%s' --quiet "
			      ">/dev/null", bindir, events, input), 0, "dm-gen");
	int rc = t_system("'%s' -c '%s' start --live mt5 >'%s/start.out' 2>&1", dmctl, conf, rundir);
	if (rc != 0) {
		t_system("cat '%s/start.out' >&2", rundir);
		t_show_logs(rundir, 20);
	}
	cr_assert_eq(rc, 0, "dmctl start --live mt5");
}

/* the fake terminal's command line with its records */
static void fake_cmd(char *cmd, size_t n, unsigned port, const char *input, const char *more)
{
	int k = snprintf(cmd, n, "'%s/dm-fake-mt5' --connect 127.0.0.1:%u --secret '%s/mt5.key' "
		 "--input '%s' --pace x50 --linger 1 --quiet --order-log '%s/orders.csv' "
		 "--fill-log '%s/fills.csv' --state '%s/fake.state' %s", bindir, port, rundir, input,
		 rundir, rundir, rundir, more);
	cr_assert(k > 0 && (size_t)k < n, "the fake's command line fits");
}

/* a number of the fake's --state file */
static long long fake_state(const char *key)
{
	char out[128];
	cr_assert_eq(t_sh(out, sizeof(out), "awk '$1 == \"%s\" { print $2 }' '%s/fake.state'", key,
			  rundir), 0);
	cr_assert(out[0], "fake.state has no %s", key);
	return atoll(out);
}

/* the output of the shell command fmt, ... as a number */
static long long sh_num(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long sh_num(const char *fmt, ...)
{
	char cmd[1024], out[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(t_sh(out, sizeof(out), "%s", cmd), 0, "%s", cmd);
	return atoll(out);
}

/*
 * A venue.kind mt5 session that runs in the background (the fake at x10,
 * so that it outlasts what the test does to the agents) until the terminal
 * made fills fills; the overlay's path into conf, the fake's state file
 * into path (both PATH_MAX / 2).
 */
static void session_with_fills(char *conf, char *path, int events, int fills)
{
	char input[600], cmd[8192];
	unsigned port = free_port();
	snprintf(input, sizeof(input), "%s/input.journal", rundir);
	snprintf(path, PATH_MAX / 2, "%s/fake.state", rundir);
	venue_conf(conf, PATH_MAX / 2, port);
	venue_start(conf, input, events);
	fake_cmd(cmd, sizeof(cmd), port, input, "--pace x10");
	cr_assert_eq(t_system("%s >>'%s/fake.out' 2>&1 &", cmd, rundir), 0);
	int waited = 0;
	while (sh_num("tail -n +2 '%s/fills.csv' 2>/dev/null | wc -l", rundir) < fills &&
	       waited++ < 1200)
		usleep(100000);
	cr_assert_lt(waited, 1200, "fewer than %d fills within 120 s", fills);
}


struct venue_seen {
	long long orders, coids, repeats;     /* the terminal's order log */
	long long deals, deal_net;            /* its fill log */
	long long position;                   /* its state */
	long long exec_fills, exec_net;       /* execution's last close line */
	long long risk_pos;                   /* risk.final */
	long long sent_down, reconciles;
};

static void venue_check(struct venue_seen *s)
{
	s->orders = sh_num("tail -n +2 '%s/orders.csv' | wc -l", rundir);
	s->coids = sh_num("tail -n +2 '%s/orders.csv' | cut -d, -f1 | sort -u | wc -l", rundir);
	s->repeats = sh_num("tail -n +2 '%s/orders.csv' | awk -F, '$6 != 0' | wc -l", rundir);
	s->deals = sh_num("tail -n +2 '%s/fills.csv' | wc -l", rundir);
	s->deal_net = sh_num("tail -n +2 '%s/fills.csv' | awk -F, '{ n += ($4 == \"buy\" ? $5 : "
			     "-$5) } END { print n + 0 }'", rundir);
	s->position = fake_state("position");
	s->exec_fills = sh_num("grep 'net filled' '%s/execution.log' | tail -1 | "
			       "sed 's/.*; fills \\([0-9]*\\), net filled.*/\\1/'", rundir);
	s->exec_net = sh_num("grep 'net filled' '%s/execution.log' | tail -1 | "
			     "sed 's/.*net filled \\(-*[0-9]*\\);.*/\\1/'", rundir);
	s->risk_pos = sh_num("awk '$1 == \"position\" { print $2 }' '%s/risk.final'", rundir);
	s->sent_down = sh_num("grep -h 'while the link was down' '%s/execution.log' | "
			      "sed 's/.*lost to a full queue, \\([0-9]*\\) orders sent.*/\\1/' | "
			      "awk '{ n += $1 } END { print n + 0 }'", rundir);
	s->reconciles = sh_num("grep -c 'reconciled on the terminal' '%s/execution.log'", rundir);
	cr_log_info("terminal: %lld orders (%lld coids, %lld repeats), %lld deals net %lld, "
		    "position %lld; execution: fills %lld net %lld; risk %lld; %lld reconciliations",
		    s->orders, s->coids, s->repeats, s->deals, s->deal_net, s->position,
		    s->exec_fills, s->exec_net, s->risk_pos, s->reconciles);
	cr_expect_geq(s->orders, 3, "the strategy traded through the terminal");
	cr_expect_eq(s->coids, s->orders, "no coid reached the terminal twice");
	cr_expect_eq(s->repeats, 0, "no coid the terminal carried out came again");
	cr_expect_eq(fake_state("coid_repeats"), 0);
	cr_expect_eq(s->deal_net, s->position, "the fill log makes the terminal's position");
	cr_expect_eq(s->exec_net, s->position, "execution's fills make the terminal's position");
	cr_expect_eq(s->risk_pos, s->position, "risk's position is the terminal's");
	cr_expect_eq(s->sent_down, 0, "no order left while the link was down or reconciling");
	cr_expect_geq(s->reconciles, 1);
	cr_expect_eq(t_system("grep -q 'venue fills 0, net 0' '%s/execution.log'", rundir), 0,
		     "the simulator carried out nothing");
}

static void venue_stop(const char *conf)
{
	cr_assert_eq(t_system("'%s' -c '%s' stop >>'%s/start.out' 2>&1", dmctl, conf, rundir), 0,
		     "dmctl stop");
}

#define N_VEV 4000

/*
 * One venue.kind mt5 session of events events against the fake with more
 * on its command line, to its end; the input journal's path into input
 * (600 bytes); what the run and the terminal did into *s.
 */
static void session_run(const char *more, int events, char *input, struct venue_seen *s)
{
	char conf[600], cmd[8192];
	unsigned port = free_port();
	snprintf(input, 600, "%s/input.journal", rundir);
	venue_conf(conf, sizeof(conf), port);
	venue_start(conf, input, events);
	fake_cmd(cmd, sizeof(cmd), port, input, more);
	int rc = t_system("%s >>'%s/fake.out' 2>&1", cmd, rundir);
	if (rc != 0)
		t_system("cat '%s/fake.out' >&2; tail -20 '%s/data.log' >&2", rundir, rundir);
	cr_assert_eq(rc, 0, "the fake terminal (%s)", more);
	venue_stop(conf);
	venue_check(s);
}


Test(mt5_run, orders_go_through_the_terminal, .timeout = 240)
{
	char input[600];
	struct venue_seen s;
	session_run("", N_VEV, input, &s);
	/* with nothing lost, one fill a deal */
	cr_expect_eq(s.exec_fills, s.deals, "every deal of the terminal is one fill of execution");
	/* a stall past the heartbeat timeout on a loaded machine reconnects */
	cr_expect_geq(s.reconciles, fake_state("connections"));
	/* the latency file: one record an order that ended, the venue's format */
	long long lat = sh_num("grep -v '^#' '%s/mt5-latency.txt' | awk 'NF == 2 && $1 >= 0 && "
			       "$2 >= 0' | wc -l", rundir);
	/* a record an order once it filled or ended: every order with a deal
	 * has one; one still resting when the session ended has none */
	long long filled = sh_num("tail -n +2 '%s/fills.csv' | cut -d, -f2 | sort -u | wc -l",
				  rundir);
	cr_expect_geq(lat, filled, "mt5-latency.txt: a line for each order with a deal");
	cr_expect_leq(lat, s.orders, "mt5-latency.txt: at most a line an order");
	/* the venue simulator reads it as it is: dm-backtest over the same
	 * market with venue.latency_file naming it gives every fill one of the
	 * file's entry latencies */
	cr_assert_eq(t_system("printf 'risk:\n  limits: risk.yaml\nstrategy:\n  model: \"\"\n"
			      "venue:\n  latency_file: mt5-latency.txt\n' >'%s/bt.yaml' && "
			      "'%s/dm-backtest' -c '%s/bt.yaml' --input '%s' --out '%s/bt' --quiet",
			      rundir, bindir, rundir, input, rundir), 0, "dm-backtest");
	cr_assert_eq(t_system("grep -v '^#' '%s/mt5-latency.txt' | awk '{ print $1 * 1000 }' | "
			      "sort -u >'%s/entry.txt'", rundir, rundir), 0);
	long long bt = sh_num("tail -n +2 '%s/bt/tca.csv' | wc -l", rundir);
	long long matched = sh_num("awk -F, 'NR == FNR { e[$1] = 1; next } FNR == 1 { for (i = 1; "
				   "i <= NF; i++) if ($i == \"lat_send_to_ack_ns\") c = i; next } "
				   "c && ($c in e) { n++ } END { print n + 0 }' '%s/entry.txt' "
				   "'%s/bt/tca.csv'", rundir, rundir);
	cr_expect_gt(bt, 0, "the backtest filled");
	cr_expect_eq(matched, bt, "every backtest fill took a live entry latency");
	t_expect_clean_logs(rundir);
}

Test(mt5_run, a_lost_connection_stops_orders_until_reconciled, .timeout = 240)
{
	char input[600];
	struct venue_seen s;
	session_run("--pace x20 --fault disconnect@1500", N_VEV, input, &s);
	cr_expect_geq(fake_state("connections"), 2);
	cr_expect_geq(s.reconciles, 2, "a reconciliation after the reconnect");
	cr_expect_eq(t_system("grep -q 'link is down or silent: orders refused' '%s/risk.log'", rundir), 0,
		     "risk heard the link go down");
	/* orders went out after the reconnect too */
	cr_expect_gt(sh_num("awk -F, '$2 == 2' '%s/orders.csv' | wc -l", rundir), 0,
		     "orders on the second connection");
}

Test(mt5_run, a_restarted_execution_agent_reconciles_on_the_terminal, .timeout = 300)
{
	char conf[PATH_MAX / 2], path[PATH_MAX / 2];
	/* some fills first, then execution restarted under the running session */
	session_with_fills(conf, path, 2 * N_VEV, 10);
	int rc = t_system("'%s' -c '%s' restart execution >>'%s/start.out' 2>&1", dmctl, conf,
			  rundir);
	cr_assert_eq(rc, 0, "dmctl restart execution");
	cr_assert(t_wait_file(path, 240), "the fake terminal ended (its state file)");
	venue_stop(conf);
	struct venue_seen s;
	venue_check(&s);
	cr_expect_geq(s.reconciles, 2, "the restarted agent reconciled on a snapshot");
	cr_expect_gt(sh_num("grep -c 'venue mt5: orders go to' '%s/execution.log'", rundir), 1,
		     "execution started twice");
}

Test(mt5_run, venue_mt5_without_the_live_link_is_refused, .timeout = 60)
{
	char input[600], conf[600], out[1024];
	snprintf(input, sizeof(input), "%s/input.journal", rundir);
	venue_conf(conf, sizeof(conf), free_port());
	cr_assert_eq(t_system("'%s/dm-gen' --seed 3 --events 100 --output '%s' --quiet >/dev/null",
			      bindir, input), 0);
	int rc = t_system("'%s' -c '%s' start --input '%s' >'%s/start.out' 2>&1", dmctl, conf, input,
			  rundir);
	cr_expect_eq(rc, 2, "bad usage: exit 2");
	cr_assert_eq(t_sh(out, sizeof(out), "cat '%s/start.out'", rundir), 0);
	cr_expect(strstr(out, "venue.kind mt5") && strstr(out, "--live mt5"), "%s", out);
	cr_expect_neq(t_system("test -e /dev/shm%s", segname), 0, "nothing was created");
}

Test(mt5_run, the_kill_switch_flattens_through_the_terminal, .timeout = 300)
{
	char input[600], conf[600], cmd[8192], path[700];
	unsigned port = free_port();
	snprintf(input, sizeof(input), "%s/input.journal", rundir);
	snprintf(path, sizeof(path), "%s/fake.state", rundir);
	venue_conf(conf, sizeof(conf), port);
	cr_assert_eq(t_system("sed -i 's/^  flatten: false/  flatten: true/' '%s/risk.yaml' && "
			      "grep -q '^  flatten: true' '%s/risk.yaml'", rundir, rundir), 0);
	venue_start(conf, input, 3 * N_VEV);
	/* slower: the session outlasts the kill switch on a loaded machine */
	fake_cmd(cmd, sizeof(cmd), port, input, "--pace x10");
	cr_assert_eq(t_system("%s >>'%s/fake.out' 2>&1 &", cmd, rundir), 0);
	/* a position held at the terminal (its own fill log), then the switch */
	const char *net = "tail -n +2 '%s/fills.csv' 2>/dev/null | awk -F, '{ n += ($4 == \"buy\" ? "
			  "$5 : -$5) } END { print (n < 0 ? -n : n) + 0 }'";
	int waited = 0;
	while ((sh_num("tail -n +2 '%s/fills.csv' 2>/dev/null | wc -l", rundir) < 5 ||
		sh_num(net, rundir) == 0) && waited++ < 1200)
		usleep(100000);
	cr_assert_lt(waited, 1200, "no position at the terminal within 120 s");
	cr_assert_eq(t_system("'%s' -c '%s' kill-switch >>'%s/start.out' 2>&1", dmctl, conf, rundir),
		     0, "dmctl kill-switch");
	cr_assert(t_wait_file(path, 240), "the fake terminal ended (its state file)");
	venue_stop(conf);
	struct venue_seen s;
	venue_check(&s);
	cr_expect_eq(s.position, 0, "the flatten reached the terminal: it holds nothing");
	cr_expect_eq(s.deal_net, 0);
}

/* one session with fault (and the fake's options more), the common
 * checks into s; the fake's connections */
static long long fault_run(const char *fault, const char *extra, struct venue_seen *s)
{
	char input[600], more[256];
	/* x20: the session outlasts the fault and the reconnection on a loaded
	 * machine (a terminal that leaves while silent takes its last reports
	 * with it until its next connection) */
	snprintf(more, sizeof(more), "--pace x20 --fault %s %s", fault, extra ? extra : "");
	session_run(more, N_VEV, input, s);
	cr_expect_geq(fake_state("faults_fired"), 1, "%s fired", fault);
	return fake_state("connections");
}

static long long fault_case(const char *fault)
{
	struct venue_seen s;
	return fault_run(fault, NULL, &s);
}

Test(mt5_run, a_silent_terminal_is_dropped_and_reconciled, .timeout = 240)
{
	cr_expect_geq(fault_case("heartbeat-stop@1500"), 2, "dropped after the heartbeat timeout, "
		      "then connected again");
	/* stale for risk after two heartbeat intervals, before the link's timeout */
	cr_expect_eq(t_system("grep -q 'terminal silent for' '%s/data.log'", rundir), 0,
		     "risk told of the silence before the link gave the terminal up");
	cr_expect_eq(t_system("grep -q 'link is down or silent: orders refused' '%s/risk.log'", rundir), 0,
		     "risk heard the link go down");
	cr_expect_geq(sh_num("grep -c 'reconciled on the terminal' '%s/execution.log'", rundir), 2);
}

Test(mt5_run, a_deal_reported_twice_is_filled_once, .timeout = 240)
{
	cr_expect_geq(fault_case("duplicate@3"), 1);
	cr_expect_geq(fake_state("duplicates_sent"), 1);
	cr_expect_eq(sh_num("grep 'net filled' '%s/execution.log' | tail -1 | "
			    "sed 's/.*; fills \\([0-9]*\\), net filled.*/\\1/'", rundir),
		     sh_num("tail -n +2 '%s/fills.csv' | wc -l", rundir),
		     "one fill a deal: the repeat dropped");
}

Test(mt5_run, a_restarted_terminal_is_reconciled_on_its_snapshot, .timeout = 240)
{
	cr_expect_geq(fault_case("restart@1500"), 2);
	cr_expect_geq(sh_num("grep -c 'reconciled on the terminal' '%s/execution.log'", rundir), 2);
}

Test(mt5_run, a_restarted_data_agent_takes_the_link_up_again, .timeout = 300)
{
	char conf[PATH_MAX / 2], path[PATH_MAX / 2];
	session_with_fills(conf, path, 2 * N_VEV, 10);
	int rc = t_system("'%s' -c '%s' restart data >>'%s/start.out' 2>&1", dmctl, conf, rundir);
	cr_assert_eq(rc, 0, "dmctl restart data");
	cr_assert(t_wait_file(path, 240), "the fake terminal ended (its state file)");
	venue_stop(conf);
	struct venue_seen s;
	venue_check(&s);
	cr_expect_geq(fake_state("connections"), 2, "the terminal came back to the new data agent");
	cr_expect_geq(s.reconciles, 2, "reconciled on the new link's snapshot");
	cr_expect_gt(sh_num("awk -F, '$2 == 2' '%s/orders.csv' | wc -l", rundir), 0,
		     "orders on the second connection");
}

/* An order the terminal accepted and never reports holds an in-flight
 * slot: past execution.ack_timeout_ms execution asks the terminal a
 * snapshot and the order, in none, ends there. */
Test(mt5_run, an_order_the_terminal_lost_ends_at_the_ack_timeouts_snapshot, .timeout = 240)
{
	cr_expect_geq(fault_case("lost-order@3"), 1);
	cr_expect_geq(sh_num("grep -c 'unanswered past the ack timeout' '%s/execution.log'", rundir),
		      1, "a snapshot asked for the unanswered order");
	cr_expect_geq(sh_num("grep -c 'reconciled on the terminal' '%s/execution.log'", rundir), 2);
	/* the lost one reached the terminal (its order log) and never its venue */
	cr_expect_eq(fake_state("venue_orders") + 1, fake_state("orders"));
}

/* A restarted risk starts with the venue down and learns the link's state
 * from the data agent's periodic word (every second), then votes again. */
Test(mt5_run, a_restarted_risk_learns_the_links_state, .timeout = 300)
{
	char conf[PATH_MAX / 2], path[PATH_MAX / 2];
	session_with_fills(conf, path, 2 * N_VEV, 5);
	long long before = sh_num("tail -n +2 '%s/orders.csv' | wc -l", rundir);
	cr_assert_eq(t_system("'%s' -c '%s' restart risk >>'%s/start.out' 2>&1", dmctl, conf, rundir),
		     0, "dmctl restart risk");
	cr_assert(t_wait_file(path, 240), "the fake terminal ended (its state file)");
	venue_stop(conf);
	struct venue_seen s;
	venue_check(&s);
	cr_expect_geq(sh_num("grep -c 'link is up: votes on orders again' '%s/risk.log'", rundir), 2,
		      "the restarted risk heard the link is up");
	cr_expect_gt(s.orders, before, "orders passed after the restart");
}

/* ------------------------------------------------------------ faults the link rides out */

/* a number of the data agent's last close line "mt5 link: ...": the
 * count before words (" report gaps", " jumps", ...) */
static long long link_num(const char *words)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "grep 'mt5 link:' '%%s/data.log' | tail -1 | "
		 "sed 's/.* \\([0-9]*\\)%s.*/\\1/'", words);
	return sh_num(cmd, rundir);
}

/* the same of the line "live: ..." */
static long long live_num(const char *words)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "grep 'live: .* connections' '%%s/data.log' | tail -1 | "
		 "sed 's/.* \\([0-9]*\\)%s.*/\\1/'", words);
	return sh_num(cmd, rundir);
}

/* events of the run's market journal */
static uint32_t journal_events(void)
{
	char live[600];
	static struct event ev[1];
	snprintf(live, sizeof(live), "%s/market.journal", rundir);
	return read_events(live, ev, 0);
}

/* One connection all along: the link never went down before the
 * terminal's goodbye, so one reconciliation (the session's first). */
static void expect_one_session(const struct venue_seen *s)
{
	cr_expect_eq(fake_state("connections"), 1, "the link stayed up");
	cr_expect_eq(s->reconciles, 1 + sh_num("grep -c 'unanswered past the ack timeout' "
					      "'%s/execution.log' || true", rundir),
		     "one reconciliation (the session's first), and one a snapshot asked for "
		     "unanswered orders");
	cr_expect_eq(s->exec_fills, s->deals, "every deal of the terminal is one fill of execution");
	/* the one end is the terminal's goodbye */
	cr_expect_eq(sh_num("grep -c 'terminal gone' '%s/data.log'", rundir), 1);
	cr_expect_eq(t_system("grep 'terminal gone' '%s/data.log' | grep -q 'said bye'", rundir),
		     0, "the link went down once: at the terminal's goodbye");
	cr_expect_eq(t_system("grep -q 'terminal silent for' '%s/data.log'", rundir), 1,
		     "never stale for risk");
}

/* 61 bytes of no frame between two: skipped, the session goes on, no
 * market event lost */
Test(mt5_run, garbage_on_the_link_is_skipped, .timeout = 120)
{
	struct venue_seen s;
	fault_run("garbage@1000", NULL, &s);
	expect_one_session(&s);
	cr_expect_geq(live_num(" frame errors"), 1, "the garbage counted as a frame error");
	cr_expect_eq(journal_events(), N_VEV, "every market event journaled once");
}

/* half a TICK frame: it and what it swallowed of the next are skipped; a
 * report among them is asked again */
Test(mt5_run, a_truncated_frame_is_skipped, .timeout = 120)
{
	struct venue_seen s;
	fault_run("truncated@1000", NULL, &s);
	expect_one_session(&s);
	cr_expect_geq(live_num(" frame errors"), 1, "the cut frame counted as a frame error");
	uint32_t n = journal_events();
	cr_expect(n == N_VEV || n == N_VEV - 1, "%u events journaled: the input's %d, or one "
		  "less (the frame the cut one swallowed)", n, N_VEV);
}

/* a report held back and sent after the next: the gap asks a resend,
 * each report is taken once and in order */
Test(mt5_run, reports_out_of_order_are_taken_in_order_once, .timeout = 120)
{
	struct venue_seen s;
	fault_run("reorder@3", NULL, &s);
	expect_one_session(&s);
	cr_expect_geq(link_num(" report gaps"), 1, "the held-back report left a gap");
	cr_expect_geq(link_num(" resends asked"), 1, "the gap asked a resend");
}

/* an order's fill before its acknowledgement: the fill counts, the late
 * acknowledgement changes nothing */
Test(mt5_run, a_fill_before_its_acknowledgement_counts_once, .timeout = 120)
{
	struct venue_seen s;
	fault_run("early-report@2", NULL, &s);
	expect_one_session(&s);
}

/* the terminal reads nothing for 1.5 s (longer than the heartbeat and
 * the ack timeouts, 1 s): DreamMaker's sends wait in the socket, the
 * session stays (the terminal sends on), execution asks a snapshot for
 * the unanswered orders and reconciles on it once the terminal reads
 * again; nothing lost or sent twice */
Test(mt5_run, a_terminal_that_reads_slowly_loses_nothing, .timeout = 120)
{
	struct venue_seen s;
	fault_run("slow-reader@1000", "--slow-ms 1500", &s);
	expect_one_session(&s);
	cr_expect_eq(link_num(" bytes over the send buffer"), 0, "the send buffer held it all");
	cr_expect_geq(sh_num("grep -c 'unanswered past the ack timeout' '%s/execution.log'",
			     rundir), 1, "a snapshot asked for the orders the pause held");
	/* the backpressure is measured: an order sent while the terminal did
	 * not read waited in the socket, its entry latency (mt5-latency.txt,
	 * microseconds) about the pause */
	long long worst = sh_num("grep -v '^#' '%s/mt5-latency.txt' | sort -n | tail -1 | "
				 "awk '{ print $1 + 0 }'", rundir);
	cr_expect_geq(worst, 750000, "the longest entry latency %lld us: the 1.5 s pause not "
		      "seen", worst);
	cr_expect_eq(journal_events(), N_VEV, "every market event journaled once");
}

/* the EA's clocks jump a second ahead: the offset's bounds cross and the
 * estimate starts over, known again at the end */
Test(mt5_run, a_clock_jump_starts_the_offset_estimate_over, .timeout = 120)
{
	struct venue_seen s;
	fault_run("clock-skew@1000", NULL, &s);
	expect_one_session(&s);
	cr_expect_geq(link_num(" jumps"), 1, "the jump was seen");
	cr_expect_eq(t_system("grep 'mt5 link:' '%s/data.log' | tail -1 | grep -q 'offset known'",
			      rundir), 0, "the offset estimated again");
}

/* kill -9 of the data agent, which holds the connection: the supervisor
 * starts another, the terminal connects to it, execution reconciles on
 * its snapshot before a new order leaves */
Test(mt5_run, a_killed_data_agent_is_replaced_and_reconciled, .timeout = 240)
{
	char conf[PATH_MAX / 2], path[PATH_MAX / 2], pidf[700];
	snprintf(pidf, sizeof(pidf), "%s/data.pid", rundir);
	session_with_fills(conf, path, N_VEV, 5);
	cr_assert(t_kill_pidfile(pidf), "kill -9 of the data agent");
	cr_assert(t_wait_file(path, 200), "the fake terminal ended (its state file)");
	venue_stop(conf);
	struct venue_seen s;
	venue_check(&s);
	cr_expect_geq(fake_state("connections"), 2, "the terminal came back to the new data agent");
	cr_expect_geq(s.reconciles, 2, "reconciled on the new link's snapshot");
	cr_expect_gt(sh_num("awk -F, '$2 == 2' '%s/orders.csv' | wc -l", rundir), 0,
		     "orders on the second connection");
	/* orders execution sent to the killed agent's link, taken by the new
	 * one while down: refused, ended rejected, never at the terminal (the
	 * window is usually empty: no market data, no decision) */
	long long down = sh_num("grep -h 'orders refused while the link was down' "
				"'%s/data.log' | sed 's/.* \\([0-9]*\\) orders refused while.*/\\1/' "
				"| awk '{ n += $1 } END { print n + 0 }'", rundir);
	long long rejected = sh_num("grep 'net filled' '%s/execution.log' | tail -1 | "
				    "sed 's/.* rejected \\([0-9]*\\),.*/\\1/'", rundir);
	cr_log_info("%lld orders refused while the link was down, %lld rejected", down,
		    rejected);
	cr_expect_geq(rejected, down, "each order refused for the link ended rejected");
}
