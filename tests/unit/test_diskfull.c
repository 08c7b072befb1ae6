/*
 * test_diskfull.c — journals that cannot write, stale intents and fault
 * points.
 *
 *   journal_retry  the journal writer alone: a full disk (its descriptor
 *                  moved onto /dev/full), a short write then EFBIG
 *                  (RLIMIT_FSIZE), a record replaced after its flush
 *                  failed; what the file holds afterwards, read back.
 *   diskfull       the six agents under tools/dmctl, a paced replay, the
 *                  run directory's journals made unwritable during the run
 *                  and then writable again: on a small tmpfs filled and
 *                  freed (root), and with RLIMIT_FSIZE set on the two
 *                  journaling agents and lifted (any user).  Every order
 *                  the venue saw has its order and decision records; none
 *                  left while the journals failed; the halt and the alarm
 *                  show in dm-shmdump --json and dmctl status; resume is
 *                  refused until the journals write, then trading resumes.
 *   fresh_intents  intents queued while the coordinator is stopped and
 *                  killed, older than coordinator.max_intent_age when it
 *                  is back, are refused (stale_intent).
 *   faults         dmctl fault coordinator release / execution send: the
 *                  agent dies at the point, is restarted, and the journals
 *                  and the venue show nothing lost or doubled.
 *
 * The expected values come from the journals read back, the venue's own
 * order table and sums in the segment, risk's state, and the times this
 * test took its steps at; never from the counters under test alone.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agents/rt/agents.h"
#include "agents/rt/dump.h"
#include "agents/rt/topology.h"
#include "libcore/exec/exec.h"
#include "libcore/journal/journal.h"
#include "libcore/msg/msg.h"
#include "libcore/vote/vote.h"
#include "shm/seg.h"
#include "tests/helpers.h"

/* ================================================================ the writer */

static void w_setup(void)
{
	t_tmp_init("dmtest-jretry");
}

static void w_teardown(void)
{
	t_tmp_cleanup();
}

TestSuite(journal_retry, .init = w_setup, .fini = w_teardown);

#define W_LEN 40u /* payload bytes of every test record */

static void w_payload(uint32_t i, char out[W_LEN])
{
	memset(out, 0, W_LEN);
	snprintf(out, W_LEN, "record %u", i);
}

static void w_append(struct journal_writer *w, uint32_t i, int want)
{
	char p[W_LEN];
	w_payload(i, p);
	cr_assert_eq(journal_append(w, JREC_USER, p, W_LEN), want, "append %u", i);
}

/* The file's records, checked (JOURNAL_VERIFY): seq and the number of
 * each.  Returns their count. */
static uint32_t w_read(const char *path, uint64_t *seq, uint32_t *num, uint32_t max)
{
	struct journal_reader r;
	const struct jrec *rec;
	uint32_t n = 0;
	int rc = journal_open_read(&r, path, JOURNAL_VERIFY);
	cr_assert_eq(rc, 0, "%s: %s (bad record at %llu)", path, dm_strerror(rc),
		     (unsigned long long)journal_reader_bad_offset(&r));
	while ((rc = journal_next(&r, &rec)) == 1) {
		cr_assert_lt(n, max);
		cr_assert_eq(rec->len, W_LEN);
		seq[n] = rec->seq;
		cr_assert_eq(sscanf((const char *)rec->payload, "record %u", &num[n]), 1);
		n++;
	}
	cr_assert_eq(rc, 0);
	cr_expect_eq(journal_reader_torn_bytes(&r), 0, "nothing torn after the last record");
	journal_reader_close(&r);
	return n;
}

/* The disk fills: the writer's descriptor now writes to /dev/full
 * (ENOSPC); the file stays open in the returned descriptor. */
static int w_fill(struct journal_writer *w)
{
	int saved = dup(w->fd), full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	cr_assert(saved >= 0 && full >= 0, "dup / open /dev/full: %s", strerror(errno));
	cr_assert_eq(dup2(full, w->fd), w->fd);
	close(full);
	return saved;
}

static void w_room(struct journal_writer *w, int saved)
{
	cr_assert_eq(dup2(saved, w->fd), w->fd);
	close(saved);
}

static void w_full_disk(uint32_t flags)
{
	struct journal_writer w;
	struct journal_opts o = { .buf_size = 4096, .flags = flags };
	const char *path = t_tmp_path("j.journal");
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	if (!(flags & JOURNAL_W_NO_URING))
		cr_log_info("writes through %s", journal_writer_uses_uring(&w) ? "io_uring" :
			    "pwrite (io_uring unavailable here)");
	w_append(&w, 1, 0);
	cr_assert_eq(journal_sync(&w), 0);
	int saved = w_fill(&w);
	w_append(&w, 2, 0);
	w_append(&w, 3, 0);
	/* pwrite: the flush writes and fails; io_uring: the wait sees it */
	cr_expect_eq(journal_sync(&w), -ENOSPC);
	cr_expect_eq(journal_writer_error(&w), -ENOSPC);
	w_append(&w, 4, -ENOSPC); /* refused, nothing appended */
	cr_expect_eq(journal_flush(&w), -ENOSPC);
	cr_expect_eq(journal_retry(&w), -ENOSPC, "still full");
	cr_expect_eq(journal_writer_error(&w), -ENOSPC);
	w_room(&w, saved);
	cr_assert_eq(journal_retry(&w), 0, "room again: written");
	cr_expect_eq(journal_writer_error(&w), 0);
	cr_expect_eq(journal_retry(&w), 0, "nothing to do");
	w_append(&w, 5, 0);
	cr_assert_eq(journal_close(&w), 0);
	uint64_t seq[8];
	uint32_t num[8];
	uint32_t n = w_read(path, seq, num, 8);
	cr_assert_eq(n, 4, "records 1, 2, 3 and 5");
	uint32_t want[4] = { 1, 2, 3, 5 };
	for (uint32_t i = 0; i < n; i++) {
		cr_expect_eq(seq[i], i + 1, "seq without a gap");
		cr_expect_eq(num[i], want[i]);
	}
}

Test(journal_retry, a_full_disk_keeps_what_was_appended_and_a_retry_writes_it_pwrite)
{
	w_full_disk(JOURNAL_W_NO_URING);
}

Test(journal_retry, a_full_disk_keeps_what_was_appended_and_a_retry_writes_it_uring)
{
	w_full_disk(0);
}

Test(journal_retry, an_fdatasync_error_is_never_retried)
{
	struct journal_writer w;
	struct journal_opts o = { .flags = JOURNAL_W_NO_URING };
	cr_assert_eq(journal_open_write(&w, t_tmp_path("s.journal"), &o), 0);
	/* what an fdatasync that failed leaves: the pages' fate unknown */
	w.err = -EIO;
	w.err_sync = 1;
	cr_expect_eq(journal_retry(&w), -EIO);
	cr_expect_eq(journal_writer_error(&w), -EIO);
	w_append(&w, 1, -EIO);
	journal_close(&w);
}

/*
 * RLIMIT_FSIZE 30 bytes past the end: the flush of record 2 writes 30 of
 * its bytes, then EFBIG.  The record is replaced in the buffer (same
 * length) and, once the limit is lifted, written whole from its start.
 */
Test(journal_retry, a_record_cut_by_a_short_write_is_replaced_and_written_whole)
{
	struct journal_writer w;
	struct journal_opts o = { .buf_size = 4096, .flags = JOURNAL_W_NO_URING };
	const char *path = t_tmp_path("r.journal");
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	w_append(&w, 1, 0);
	cr_assert_eq(journal_flush(&w), 0);
	struct stat sb;
	cr_assert_eq(stat(path, &sb), 0);
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, lim;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)sb.st_size + 30;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	struct journal_mark m;
	journal_writer_mark(&w, &m);
	cr_expect_eq(m.seq, 2);
	cr_expect_eq(m.off, (uint64_t)sb.st_size);
	w_append(&w, 2, 0);
	int rc = journal_flush(&w);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	cr_assert_eq(rc, -EFBIG);
	cr_expect_geq(w.stats.short_writes, 1);
	cr_assert_eq(stat(path, &sb), 0);
	cr_expect_eq(sb.st_size, (off_t)m.off + 30, "30 bytes of record 2 on disk");

	char p[W_LEN];
	w_payload(9, p);
	cr_expect_eq(journal_rewrite(&w, &m, JREC_USER, p, W_LEN - 8), -EINVAL,
		     "another length");
	struct journal_mark first = { .seq = 1, .off = JOURNAL_HDR_SIZE };
	cr_expect_eq(journal_rewrite(&w, &first, JREC_USER, p, W_LEN), -EINVAL,
		     "not the last record");
	cr_assert_eq(journal_rewrite(&w, &m, JREC_USER, p, W_LEN), 0);
	cr_assert_eq(journal_retry(&w), 0);
	cr_expect_eq(journal_rewrite(&w, &m, JREC_USER, p, W_LEN), -EALREADY, "written now");
	cr_assert_eq(journal_close(&w), 0);
	uint64_t seq[4];
	uint32_t num[4];
	cr_assert_eq(w_read(path, seq, num, 4), 2);
	cr_expect_eq(num[0], 1);
	cr_expect_eq(num[1], 9, "the replacement, whole");
	cr_expect_eq(seq[1], 2);
}

/* ================================================================ the alarm */

/*
 * The runtime's side, in this process: two agents' regions of a real
 * segment, execution's journal alarm raised and cleared by hand, and a
 * resume sent to execution on its control ring as the coordinator
 * forwards one.
 */
static char al_seg[SEG_NAME_MAX];
static struct rt al_rt[2]; /* coordinator, execution */
static int al_open[2];

static void al_setup(void)
{
	struct rt_config c;
	struct seg_spec spec;
	struct seg s;
	t_tmp_init("dmtest-alarm");
	rt_config_defaults(&c);
	t_seg_name(al_seg, sizeof(al_seg), "alarm");
	cr_assert_eq(topology_spec(&c, al_seg, &spec), 0);
	cr_assert_eq(seg_create(&s, &spec, rt_now_ns()), 0);
	seg_close(&s);
	static const uint32_t who[2] = { AGENT_COORDINATOR, AGENT_EXECUTION };
	for (int i = 0; i < 2; i++) {
		struct rt_args a = { .name = al_seg, .run_dir = t_tmp_dir };
		cr_assert_eq(rt_open(&al_rt[i], who[i], &a, 1, 64, RT_O_NO_SIGNALS | RT_O_NO_PIN),
			     0);
		al_open[i] = 1;
		rt_running(&al_rt[i]);
	}
}

static void al_teardown(void)
{
	for (int i = 0; i < 2; i++)
		if (al_open[i])
			rt_close(&al_rt[i]);
	seg_unlink(al_seg);
	t_tmp_cleanup();
}

TestSuite(journal_alarm, .init = al_setup, .fini = al_teardown);

/* The coordinator forwards a resume to execution; execution's answer. */
static struct rt_cmd_ack al_resume(uint64_t seq)
{
	struct rt *co = &al_rt[0], *ex = &al_rt[1];
	struct msg_control m;
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_CONTROL;
	m.hdr.size = sizeof(m);
	m.cmd = CTL_RESUME;
	m.target = ~0u;
	m.arg = seq;
	cr_assert_eq(rt_send(co, (uint32_t)rt_out_find(co, "control_execution"), &m, sizeof(m)), 0);
	rt_work(ex);
	struct rt_cmd_ack a;
	cr_assert_eq(rt_cmd_ack_read(&ex->st->ack, &a), 0);
	cr_assert_eq(a.seq, seq, "answered");
	return a;
}

Test(journal_alarm, a_failing_journal_is_shown_and_refuses_resume_until_it_writes)
{
	struct rt *ex = &al_rt[1];
	const struct seg *s = &ex->seg;
	rt_journal_name(ex, "orders.journal");
	cr_expect_eq(rt_journal_failing(s), -1);
	json_t *j = rt_journal_json(s, AGENT_EXECUTION);
	cr_assert_not_null(j, "a named journal shows");
	cr_expect(json_is_false(json_object_get(j, "failing")));
	cr_expect(json_is_null(json_object_get(j, "error")));
	json_decref(j);
	cr_expect_null(rt_journal_json(s, AGENT_DATA), "an agent without a journal shows none");

	ex->now_ns = 1000000000000ll;
	rt_journal_failed(ex, -ENOSPC);
	ex->now_ns = 1000500000000ll;
	rt_journal_failed(ex, -ENOSPC);
	struct rt_journal_alarm al;
	cr_assert_eq(rt_journal_alarm_read(&ex->st->journal, &al), 0);
	cr_expect_eq(atomic_load(&al.failing), 1);
	cr_expect_eq(al.failures, 2);
	cr_expect_eq(al.episodes, 1, "one episode");
	cr_expect_eq(al.first_ns, 1000000000000ll);
	cr_expect_eq(al.last_ns, 1000500000000ll);
	cr_expect_str_eq(al.file, "orders.journal");
	cr_expect_eq(rt_journal_failing(s), AGENT_EXECUTION);
	j = rt_journal_json(s, AGENT_EXECUTION);
	cr_expect(json_is_true(json_object_get(j, "failing")));
	cr_expect_str_eq(json_string_value(json_object_get(j, "error")), strerror(ENOSPC));
	cr_expect_eq(json_integer_value(json_object_get(j, "errno")), ENOSPC);
	json_decref(j);
	j = rt_dump_json(s);
	cr_expect_eq(json_array_size(json_object_get(j, "alarms")), 1);
	json_decref(j);
	char text[1024] = "";
	FILE *f = fmemopen(text, sizeof(text), "w");
	cr_assert_eq(rt_alarms_text(s, f), 1);
	fclose(f);
	cr_expect(strstr(text, "ALARM: the journal of execution (orders.journal) cannot write: ") &&
		  strstr(text, strerror(ENOSPC)) && strstr(text, "(2 failed writes"), "%s", text);

	/* resume refused while it fails; flags untouched */
	atomic_fetch_or(&ex->st->flags, RT_SF_HALTED | RT_SF_JOURNAL);
	struct rt_cmd_ack a = al_resume(7);
	cr_expect_eq(a.outcome, RT_CMD_REFUSED);
	cr_expect(strstr(a.text, "the journal of execution (orders.journal) still cannot write"),
		  "%s", a.text);
	cr_expect_eq(rt_flags(ex) & (RT_SF_HALTED | RT_SF_JOURNAL), RT_SF_HALTED | RT_SF_JOURNAL);

	/* it writes again: the episode ends; resume clears both latches */
	ex->now_ns = 1001000000000ll;
	rt_journal_ok(ex);
	cr_assert_eq(rt_journal_alarm_read(&ex->st->journal, &al), 0);
	cr_expect_eq(atomic_load(&al.failing), 0);
	cr_expect_eq(al.cleared_ns, 1001000000000ll);
	cr_expect_eq(al.episodes, 1);
	cr_expect_eq(rt_journal_failing(s), -1);
	a = al_resume(8);
	cr_expect_eq(a.outcome, RT_CMD_OK, "%s", a.text);
	cr_expect_eq(rt_flags(ex) & (RT_SF_HALTED | RT_SF_JOURNAL), 0);

	/* a second episode counts apart */
	ex->now_ns = 1002000000000ll;
	rt_journal_failed(ex, -EFBIG);
	cr_assert_eq(rt_journal_alarm_read(&ex->st->journal, &al), 0);
	cr_expect_eq(al.episodes, 2);
	cr_expect_eq(al.failures, 3);
	cr_expect_eq(al.first_ns, 1002000000000ll);
	cr_expect_eq(al.cleared_ns, 0);
	/* a new process opening the journal starts without the dead one's alarm */
	rt_journal_name(ex, "orders.journal");
	cr_expect_eq(rt_journal_failing(s), -1);
}

/* ================================================================ the agents */

static char segname[SEG_NAME_MAX];
static char rundir[PATH_MAX / 2];
static char tmpdir[PATH_MAX / 4];
static char bindir[PATH_MAX / 2];
static char dmctl[PATH_MAX / 2];
static char market[PATH_MAX];
static int mounted;

static void a_setup(void)
{
	struct t_paths p;
	t_paths_or_fail(&p);
	snprintf(bindir, sizeof(bindir), "%s", p.bin);
	snprintf(dmctl, sizeof(dmctl), "%s", p.dmctl);
	t_tmp_init("dmtest-diskfull");
	snprintf(tmpdir, sizeof(tmpdir), "%s", t_tmp_dir);
	t_seg_name(segname, sizeof(segname), "diskfull");
	snprintf(rundir, sizeof(rundir), "%s/run", tmpdir);
	snprintf(market, sizeof(market), "%s/market.journal", tmpdir);
	mkdir(rundir, 0755);
	setenv("DM_SHM_NAME", segname, 1);
	setenv("DM_RUN_DIR", rundir, 1);
	setenv("DM_BIN", bindir, 1);
	mounted = 0;
}

static void a_teardown(void)
{
	t_kill_run(rundir, segname);
	if (mounted)
		umount2(rundir, MNT_DETACH);
	mounted = 0;
	if (!getenv("DM_TEST_KEEP"))
		t_tmp_cleanup();
	t_tmp_dir[0] = '\0';
}

TestSuite(diskfull, .init = a_setup, .fini = a_teardown, .timeout = 300);
TestSuite(fresh_intents, .init = a_setup, .fini = a_teardown, .timeout = 240);
TestSuite(faults, .init = a_setup, .fini = a_teardown, .timeout = 300);

/* The model the ml agent trades with (make model): without it no intent
 * is made and nothing here can be observed. */
static void need_model(void)
{
	/* strategy.model of conf/default.yaml: <tree>/build/model/default.json,
	 * whichever build the agents come from */
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", dmctl);
	*strrchr(p, '/') = '\0'; /* <tree>/tools */
	*strrchr(p, '/') = '\0'; /* <tree> */
	strcat(p, "/build/model/default.json");
	cr_assert(t_exists(p), "%s missing: run 'make model' (make test does)", p);
}

/* A synthetic market, then the six agents replaying it at 20 x its pace,
 * with the configuration conf (NULL: the default). */
static void start_run(const char *conf, int events)
{
	need_model();
	cr_assert_eq(t_system("'%s/dm-gen' --seed 3 --events %d --output '%s' --quiet >/dev/null",
			      bindir, events, market), 0, "dm-gen");
	char c[PATH_MAX + 8] = "";
	if (conf)
		snprintf(c, sizeof(c), "-c '%s'", conf);
	int rc = t_system("'%s' %s start --input '%s' --pace realtime --speed 20 >'%s/start.out' 2>&1",
			  dmctl, c, market, tmpdir);
	if (rc) {
		t_system("cat '%s/start.out' >&2", tmpdir);
		t_show_logs(rundir, 15);
	}
	cr_assert_eq(rc, 0, "dmctl start");
}

static void attach(struct seg *s)
{
	cr_assert_eq(seg_attach(s, segname, 1, msg_layout_hash()), 0, "attach %s", segname);
}

static const struct venue *venue_in(const struct seg *s)
{
	return execsvc_venue_of(rt_app_of(s, AGENT_EXECUTION));
}

static uint64_t venue_orders(const struct seg *s)
{
	return venue_stats(venue_in(s))->orders;
}

static const struct coord_state *coord_in(const struct seg *s)
{
	return rt_app_of(s, AGENT_COORDINATOR);
}

/* Wait until f(s) (up to secs); 1 if it held. */
static int wait_until(const struct seg *s, int (*f)(const struct seg *), int secs)
{
	int64_t end = t_now_ns() + (int64_t)secs * 1000000000;
	while (t_now_ns() < end) {
		if (f(s))
			return 1;
		usleep(20 * 1000);
	}
	return f(s);
}

static uint64_t want_orders;
static int orders_reached(const struct seg *s)
{
	return venue_orders(s) >= want_orders;
}

static uint64_t want_decisions;
static int decisions_reached(const struct seg *s)
{
	return coord_in(s)->decisions >= want_decisions;
}

/* The coordinator's halt for a journal, as dm-shmdump --json shows it:
 * 1 halted with an alarm listed, 2 halted with none failing, 0 else. */
static int json_halt(void)
{
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd), "'%s/dm-shmdump' --name '%s' --json", bindir, segname);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	json_error_t e;
	json_t *d = json_loadf(p, 0, &e);
	pclose(p);
	cr_assert_not_null(d, "dm-shmdump --json: %s", e.text);
	json_t *st = json_object_get(d, "state");
	json_t *co = json_object_get(json_object_get(st, "agents"), "coordinator");
	int halt = json_is_true(json_object_get(co, "journal_halt")) &&
		   json_is_true(json_object_get(co, "halted"));
	size_t alarms = json_array_size(json_object_get(st, "alarms"));
	int r = !halt ? 0 : alarms ? 1 : 2;
	if (r == 1) {
		/* each listed alarm names its agent, file and error */
		json_t *a = json_array_get(json_object_get(st, "alarms"), 0);
		cr_expect(json_is_string(json_object_get(a, "file")));
		cr_expect(json_is_string(json_object_get(a, "error")));
		cr_expect_gt(json_integer_value(json_object_get(a, "failures")), 0);
		cr_expect_gt(json_integer_value(json_object_get(a, "first_failure_ns")), 0);
	}
	json_decref(d);
	return r;
}

static int halted_with_alarm(const struct seg *s)
{
	(void)s;
	return json_halt() == 1;
}

static int halted_alarm_cleared(const struct seg *s)
{
	(void)s;
	return json_halt() == 2;
}

/*
 * Stop new orders (dmctl halt) and wait until what is under way has
 * settled: every ring empty, no ballot open, released or held, nothing in
 * flight to the venue, three polls in a row.  So the venue's table and the
 * journals read next describe the same orders.
 */
static void halt_and_settle(const struct seg *s)
{
	cr_assert_eq(t_system("'%s' halt >/dev/null 2>&1", dmctl), 0, "dmctl halt");
	int quiet = 0;
	int64_t end = t_now_ns() + 30ll * 1000000000;
	while (quiet < 3 && t_now_ns() < end) {
		uint64_t busy = t_rings_fill(s);
		const struct coord_state *cs = coord_in(s);
		for (uint32_t i = 0; i < COORD_BALLOTS; i++)
			busy += cs->ballot[i].state != COORD_B_FREE;
		busy += venue_next_arrival_ns(venue_in(s)) != INT64_MAX;
		quiet = busy == 0 ? quiet + 1 : 0;
		usleep(50 * 1000);
	}
	cr_assert_eq(quiet, 3, "settled after the halt");
}

/* ---------------------------------------------------------------- journals read back */

#define MAXD 8192

struct run_files {
	struct vote_record *dec;
	uint32_t n_dec;
	struct msg_order *ord;
	uint32_t n_ord;
	struct msg_exec_report *rep;
	uint32_t n_rep;
};

static void read_files(struct run_files *f)
{
	char path[PATH_MAX];
	struct journal_reader jr;
	const struct jrec *r;
	int rc;
	memset(f, 0, sizeof(*f));
	f->dec = calloc(MAXD, sizeof(*f->dec));
	f->ord = calloc(MAXD, sizeof(*f->ord));
	f->rep = calloc(4 * MAXD, sizeof(*f->rep));
	cr_assert(f->dec && f->ord && f->rep);
	snprintf(path, sizeof(path), "%s/%s", rundir, AG_DECISIONS_JOURNAL);
	cr_assert_eq(journal_open_read(&jr, path, JOURNAL_VERIFY), 0, "%s", path);
	while ((rc = journal_next(&jr, &r)) == 1) {
		cr_assert_eq(r->type, JREC_DECISION);
		cr_assert_lt(f->n_dec, MAXD);
		cr_assert_eq(vote_record_read(&f->dec[f->n_dec++], r->payload, r->len), 0);
	}
	cr_assert_eq(rc, 0, "decisions journal reads to its end");
	journal_reader_close(&jr);
	snprintf(path, sizeof(path), "%s/%s", rundir, AG_ORDERS_JOURNAL);
	cr_assert_eq(journal_open_read(&jr, path, JOURNAL_VERIFY), 0, "%s", path);
	while ((rc = journal_next(&jr, &r)) == 1) {
		if (r->type == JREC_ORDER) {
			cr_assert_lt(f->n_ord, MAXD);
			memcpy(&f->ord[f->n_ord++], r->payload, sizeof(struct msg_order));
		} else {
			cr_assert_eq(r->type, JREC_EXEC);
			cr_assert_lt(f->n_rep, 4 * MAXD);
			memcpy(&f->rep[f->n_rep++], r->payload, sizeof(struct msg_exec_report));
		}
	}
	cr_assert_eq(rc, 0, "orders journal reads to its end");
	journal_reader_close(&jr);
}

static void free_files(struct run_files *f)
{
	free(f->dec);
	free(f->ord);
	free(f->rep);
}

static const struct vote_record *decision_of(const struct run_files *f, uint64_t id)
{
	for (uint32_t i = 0; i < f->n_dec; i++)
		if (f->dec[i].decision_id == id)
			return &f->dec[i];
	return NULL;
}

static const struct msg_order *order_of(const struct run_files *f, uint64_t coid)
{
	for (uint32_t i = 0; i < f->n_ord; i++)
		if (f->ord[i].client_order_id == coid)
			return &f->ord[i];
	return NULL;
}

/*
 * What every run here must show: decision ids unique (a repeated record
 * only the identical one, after a kill); each order once (the same), each
 * decision at most one order; every order's decision a release; every
 * order the venue knows journaled with its released decision.  Returns the
 * venue's orders seen.
 */
static uint32_t check_consistent(const struct run_files *f, const struct venue_order_view *vo,
				 uint32_t n_vo)
{
	for (uint32_t i = 1; i < f->n_dec; i++)
		for (uint32_t j = 0; j < i; j++)
			if (f->dec[i].decision_id == f->dec[j].decision_id)
				cr_expect_eq(memcmp(&f->dec[i], &f->dec[j], sizeof(f->dec[i])), 0,
					     "decision %llx journaled twice, differently",
					     (unsigned long long)f->dec[i].decision_id);
	for (uint32_t i = 0; i < f->n_ord; i++) {
		const struct msg_order *o = &f->ord[i];
		for (uint32_t j = 0; j < i; j++) {
			if (f->ord[j].client_order_id == o->client_order_id)
				cr_expect_eq(f->ord[j].decision_id, o->decision_id,
					     "order %llu names two decisions",
					     (unsigned long long)o->client_order_id);
			else
				cr_expect_neq(f->ord[j].decision_id, o->decision_id,
					      "decision %llx has two orders",
					      (unsigned long long)o->decision_id);
		}
		const struct vote_record *d = decision_of(f, o->decision_id);
		cr_expect_not_null(d, "order %llu: no decision record",
				   (unsigned long long)o->client_order_id);
		if (d)
			cr_expect_eq(d->outcome, VOTE_RELEASE, "order %llu: its decision %s",
				     (unsigned long long)o->client_order_id,
				     vote_outcome_name(d->outcome));
	}
	for (uint32_t i = 0; i < n_vo; i++) {
		const struct msg_order *o = order_of(f, vo[i].client_order_id);
		cr_expect_not_null(o, "the venue saw order %llu, which has no order record",
				   (unsigned long long)vo[i].client_order_id);
		if (!o)
			continue;
		const struct vote_record *d = decision_of(f, o->decision_id);
		cr_expect(d && d->outcome == VOTE_RELEASE,
			  "the venue saw order %llu whose decision %llx is not a journaled release",
			  (unsigned long long)vo[i].client_order_id,
			  (unsigned long long)o->decision_id);
	}
	return n_vo;
}

/* Every order the venue knows (its table: none forgotten in runs this
 * short, checked against its own count). */
static uint32_t venue_table(const struct seg *s, struct venue_order_view *out, uint32_t max)
{
	uint32_t cur = 0, n = 0;
	struct venue_order_view v;
	while (venue_order_next(venue_in(s), &cur, &v) == 1 && n < max)
		out[n++] = v;
	cr_expect_eq(n, venue_orders(s), "the venue's table holds every order it saw");
	return n;
}

/* ---------------------------------------------------------------- disk full */

/*
 * How the journals are made unwritable and writable again.  fill returns
 * 0 or cr_skip's reason in why.
 */
struct filler {
	const char *name;
	int  (*prepare)(char *why, size_t n);     /* before start (mount) */
	void (*fill)(const struct seg *s);
	void (*free_room)(const struct seg *s);
	int  dmctl_writes;                         /* dmctl can write the run dir while full */
	int  both_fail;                            /* each journal surely failed */
};

/* --- a small tmpfs as the run directory, filled by a file */

static int tmpfs_prepare(char *why, size_t n)
{
	if (geteuid() != 0) {
		snprintf(why, n, "not root: cannot mount a small tmpfs for the run directory "
			 "(the RLIMIT_FSIZE case runs instead)");
		return -1;
	}
	if (mount("tmpfs", rundir, "tmpfs", 0, "size=4m,mode=0755") != 0) {
		snprintf(why, n, "mount -t tmpfs -o size=4m tmpfs %s: %s", rundir, strerror(errno));
		return -1;
	}
	mounted = 1;
	return 0;
}

static void tmpfs_fill(const struct seg *s)
{
	(void)s;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/filler", rundir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	static char chunk[1 << 16];
	memset(chunk, 0xee, sizeof(chunk));
	for (size_t sz = sizeof(chunk); sz >= 512; sz /= 2)
		while (write(fd, chunk, sz) == (ssize_t)sz)
			;
	cr_assert_eq(errno, ENOSPC, "the filler stopped on %s", strerror(errno));
	close(fd);
}

static void tmpfs_free(const struct seg *s)
{
	(void)s;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/filler", rundir);
	cr_assert_eq(unlink(path), 0);
}

/* --- RLIMIT_FSIZE on the coordinator and execution, at their journals' size */

static int rlimit_prepare(char *why, size_t n)
{
	(void)why;
	(void)n;
	return 0;
}

static void set_fsize(const struct seg *s, uint32_t a, const char *file, int lift)
{
	pid_t pid = atomic_load(&seg_agent(s, a)->pid);
	cr_assert_gt(pid, 0, "%s runs", rt_agent_names[a]);
	struct rlimit old, lim;
	cr_assert_eq(prlimit(pid, RLIMIT_FSIZE, NULL, &old), 0, "prlimit: %s", strerror(errno));
	lim = old;
	if (lift) {
		lim.rlim_cur = lim.rlim_max;
	} else {
		/* at the journal's end: its next write fails (EFBIG); its log,
		 * smaller, still takes a line or two */
		char path[PATH_MAX];
		struct stat sb;
		snprintf(path, sizeof(path), "%s/%s", rundir, file);
		cr_assert_eq(stat(path, &sb), 0, "%s", path);
		lim.rlim_cur = (rlim_t)sb.st_size;
	}
	cr_assert_eq(prlimit(pid, RLIMIT_FSIZE, &lim, NULL), 0, "prlimit %d: %s", (int)pid,
		     strerror(errno));
}

static int exec_failing(const struct seg *s)
{
	return atomic_load(&rt_state_of(s, AGENT_EXECUTION)->journal.failing) != 0;
}

/* Execution's journal first, alone: orders still come until its failure
 * halts them; then the coordinator's. */
static void rlimit_fill(const struct seg *s)
{
	set_fsize(s, AGENT_EXECUTION, AG_ORDERS_JOURNAL, 0);
	int failing = wait_until(s, exec_failing, 60);
	if (!failing)
		t_show_logs(rundir, 15);
	cr_assert(failing, "execution's journal fails past its limit");
	set_fsize(s, AGENT_COORDINATOR, AG_DECISIONS_JOURNAL, 0);
}

static void rlimit_free(const struct seg *s)
{
	set_fsize(s, AGENT_COORDINATOR, AG_DECISIONS_JOURNAL, 1);
	set_fsize(s, AGENT_EXECUTION, AG_ORDERS_JOURNAL, 1);
}

static const struct filler tmpfs_filler = { "tmpfs", tmpfs_prepare, tmpfs_fill, tmpfs_free,
					    0, 0 };
static const struct filler rlimit_filler = { "rlimit", rlimit_prepare, rlimit_fill,
					     rlimit_free, 1, 1 };

/* Lines of agent a's log holding text. */
static int log_count(uint32_t a, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s.log", rundir, rt_agent_names[a]);
	char *log = t_file_text(path, NULL);
	cr_assert_not_null(log, "%s", path);
	int n = 0;
	for (char *line = log; *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		n += strstr(line, text) != NULL;
		if (!nl)
			break;
		line = nl + 1;
	}
	free(log);
	return n;
}

static void disk_full(const struct filler *fl)
{
	char why[256], out[8192];
	if (fl->prepare(why, sizeof(why)) < 0) {
		a_teardown(); /* a skipped test leaves through no fixture */
		cr_skip_test("%s", why);
	}
	start_run(NULL, 300000);
	struct seg s;
	attach(&s);
	want_orders = 3;
	if (!wait_until(&s, orders_reached, 60))
		t_show_logs(rundir, 15);
	cr_assert(orders_reached(&s), "the venue saw 3 orders before the disk filled");

	/* the disk fills */
	fl->fill(&s);
	int alarm = wait_until(&s, halted_with_alarm, 60);
	if (!alarm)
		t_show_logs(rundir, 15);
	cr_assert(alarm, "halted, with the alarm in dm-shmdump --json");
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	int64_t halted_at = (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec;
	int rc = t_sh(out, sizeof(out), "'%s' status", dmctl);
	cr_expect_eq(rc, 1, "status exits 1 while halted:\n%s", out);
	cr_expect(strstr(out, "HALTED (journal error: "), "status names the halt:\n%s", out);
	cr_expect(strstr(out, "ALARM: the journal of "), "status shows the alarm:\n%s", out);
	sleep(1);
	uint64_t v1 = venue_orders(&s);

	/* resume is refused while a journal still fails */
	if (fl->dmctl_writes) {
		rc = t_sh(out, sizeof(out), "'%s' resume", dmctl);
		cr_expect_eq(rc, 1, "resume refused:\n%s", out);
		cr_expect(strstr(out, "resume refused: the journal of ") &&
			  strstr(out, "still cannot write"), "a clear refusal:\n%s", out);
	} else {
		/* the full disk holds dmctl's command files too: a bare signal
		 * (an unnumbered command) and the agent's answer in the segment */
		pid_t co = atomic_load(&seg_agent(&s, AGENT_COORDINATOR)->pid);
		cr_assert_eq(kill(co, SIGUSR2), 0);
		int answered = 0;
		for (int i = 0; i < 100 && !answered; i++) {
			usleep(20 * 1000);
			t_sh(out, sizeof(out), "'%s/dm-shmdump' --command coordinator", bindir);
			answered = strncmp(out, "0 resume ", 9) == 0;
		}
		cr_expect(answered, "the coordinator answered the resume: %s", out);
		cr_expect(strstr(out, "0 resume refused the journal of ") &&
			  strstr(out, "still cannot write"), "refused: %s", out);
	}
	usleep(500 * 1000);
	sleep(1);
	uint64_t v2 = venue_orders(&s);
	cr_expect_eq(v2, v1, "no order reached the venue while the journals failed");
	cr_expect_eq(json_halt(), 1, "still halted, still failing");

	/* room again: the journals write, the halt stays until resume */
	fl->free_room(&s);
	int cleared = wait_until(&s, halted_alarm_cleared, 30);
	if (!cleared)
		t_show_logs(rundir, 15);
	cr_assert(cleared, "the journals write again; still halted");
	rc = t_sh(out, sizeof(out), "'%s' status", dmctl);
	cr_expect_eq(rc, 1, "still halted:\n%s", out);
	cr_expect(strstr(out, "HALTED (journal error cleared: resume with dmctl resume)"),
		  "status says what to do:\n%s", out);
	usleep(500 * 1000);
	uint64_t v3 = venue_orders(&s);
	cr_expect_eq(v3, v1, "no order before the operator resumes");
	/* the resume takes effect before dmctl returns: the time it was asked */
	clock_gettime(CLOCK_REALTIME, &wall);
	int64_t resumed_at = (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec;
	rc = t_sh(out, sizeof(out), "'%s' resume", dmctl);
	cr_assert_eq(rc, 0, "resume:\n%s", out);
	cr_expect(strstr(out, "resume ok: resumed"), "%s", out);
	want_orders = v3 + 2;
	int traded = wait_until(&s, orders_reached, 60);
	if (!traded)
		t_show_logs(rundir, 15);
	cr_assert(traded, "trading again after the resume");
	rc = t_sh(out, sizeof(out), "'%s' status", dmctl);
	cr_expect_eq(rc, 0, "trading:\n%s", out);
	cr_expect(strncmp(out, "TRADING", 7) == 0, "%s", out);

	/* what the segment says before the stop, once settled */
	halt_and_settle(&s);
	uint64_t episodes[AGENT_COUNT] = { 0 };
	for (uint32_t a = 0; a < AGENT_COUNT; a++) {
		struct rt_journal_alarm al;
		memset(&al, 0, sizeof(al));
		rt_journal_alarm_read(&rt_state_of(&s, a)->journal, &al);
		episodes[a] = al.episodes;
		cr_expect_eq(atomic_load(&al.failing), 0);
		cr_expect_eq(atomic_load(&seg_agent(&s, a)->restarts), 0, "%s never restarted",
			     rt_agent_names[a]);
	}
	cr_expect_eq(episodes[AGENT_COORDINATOR] + episodes[AGENT_EXECUTION] > 0, 1);
	if (fl->both_fail) {
		cr_expect_geq(episodes[AGENT_EXECUTION], 1, "execution's journal failed");
		cr_expect_geq(episodes[AGENT_COORDINATOR], 1, "the coordinator's too");
	}
	static struct venue_order_view vo[MAXD];
	uint32_t n_vo = venue_table(&s, vo, MAXD);
	const struct execsvc_state *xs = rt_app_of(&s, AGENT_EXECUTION);
	uint64_t unsent = xs->journal_unsent;
	const struct riskd_state *rs = rt_app_of(&s, AGENT_RISK);
	struct risk_state pos = rs->rs[rs->cur & 1];
	struct venue_totals vt = *venue_totals(venue_in(&s));
	seg_close(&s);
	cr_assert_eq(t_system("'%s' stop >'%s/stop.out' 2>&1", dmctl, tmpdir), 0, "dmctl stop");
	t_expect_clean_logs(rundir);

	/* the logs: the start and the end of each episode, not one line per event */
	for (uint32_t a = 0; a < AGENT_COUNT; a++) {
		if (!episodes[a])
			continue;
		cr_expect_leq(log_count(a, "ALARM: journal "), (int)episodes[a],
			      "%s: at most one ALARM line per episode", rt_agent_names[a]);
		cr_expect_eq(log_count(a, " writes again (it failed from "), (int)episodes[a],
			     "%s: one line as each episode ended", rt_agent_names[a]);
	}

	struct run_files f;
	read_files(&f);
	check_consistent(&f, vo, n_vo);
	cr_expect_eq(n_vo + unsent, f.n_ord, "every order record: at the venue, or never sent "
		     "for want of its record (%u at the venue, %llu unsent, %u records)", n_vo,
		     (unsigned long long)unsent, f.n_ord);
	uint32_t blocked_journal = 0, released_halted = 0, released_after = 0;
	for (uint32_t i = 0; i < f.n_dec; i++) {
		const struct vote_record *d = &f.dec[i];
		blocked_journal += d->reason == VOTE_R_JOURNAL_ERROR;
		int during = d->outcome == VOTE_RELEASE && d->decided_ns > halted_at &&
			     d->decided_ns < resumed_at;
		cr_expect(!during, "decision %llx released %lld ms after the halt was seen",
			  (unsigned long long)d->decision_id,
			  (long long)((d->decided_ns - halted_at) / 1000000));
		released_halted += during;
		released_after += d->outcome == VOTE_RELEASE && d->decided_ns > resumed_at;
	}
	cr_expect_gt(blocked_journal, 0, "intents blocked with journal_error while halted");
	cr_expect_eq(released_halted, 0, "nothing released between the halt and the resume");
	cr_expect_gt(released_after, 0, "releases after the resume");
	uint32_t ordered_after = 0;
	for (uint32_t i = 0; i < f.n_ord; i++) {
		const struct vote_record *d = decision_of(&f, f.ord[i].decision_id);
		ordered_after += d && d->decided_ns > resumed_at;
	}
	cr_expect_gt(ordered_after, 0, "orders after the resume journaled");
	/* no report lost or doubled on the way to risk */
	cr_expect_eq(pos.position, vt.buy_qty - vt.sell_qty, "risk's position is the venue's "
		     "net (%lld bought, %lld sold)", (long long)vt.buy_qty, (long long)vt.sell_qty);
	cr_expect_eq(pos.fills, vt.fills, "every fill reached risk once");
	cr_log_info("%s: %u decisions (%u blocked journal_error), %u order records, %u at the "
		    "venue, %llu unsent, episodes coordinator %llu execution %llu", fl->name,
		    f.n_dec, blocked_journal, f.n_ord, n_vo, (unsigned long long)unsent,
		    (unsigned long long)episodes[AGENT_COORDINATOR],
		    (unsigned long long)episodes[AGENT_EXECUTION]);
	free_files(&f);
}

Test(diskfull, run_directory_on_a_small_tmpfs_filled_then_freed)
{
	disk_full(&tmpfs_filler);
}

Test(diskfull, journals_past_rlimit_fsize_then_lifted)
{
	disk_full(&rlimit_filler);
}

/* ---------------------------------------------------------------- stale intents */

#define MAX_AGE_MS 200

static uint64_t want_fill;
static int intents_waiting(const struct seg *s)
{
	struct ring_stats st;
	ring_stats(seg_ring(s, (uint32_t)seg_ring_find(s, "intents")), &st);
	return st.head - st.tail >= want_fill;
}

static int32_t old_coord;
static int coordinator_back(const struct seg *s)
{
	struct agent_slot *a = seg_agent(s, AGENT_COORDINATOR);
	int32_t p = atomic_load(&a->pid);
	return p > 0 && p != old_coord && atomic_load(&a->state) == AGENT_RUNNING;
}

Test(fresh_intents, intents_older_than_the_limit_after_a_coordinator_restart_are_refused)
{
	char conf[PATH_MAX];
	snprintf(conf, sizeof(conf), "%s/site.yaml", tmpdir);
	t_write_file(conf, "coordinator:\n  max_intent_age: 200ms\n");
	start_run(conf, 200000);
	struct seg s;
	attach(&s);
	want_decisions = 3;
	if (!wait_until(&s, decisions_reached, 60))
		t_show_logs(rundir, 15);
	cr_assert(decisions_reached(&s), "trading");

	/* the coordinator stops taking intents: they wait in their ring */
	old_coord = atomic_load(&seg_agent(&s, AGENT_COORDINATOR)->pid);
	cr_assert_eq(kill(old_coord, SIGSTOP), 0);
	want_fill = 5;
	int waiting = wait_until(&s, intents_waiting, 30);
	struct ring_stats rs;
	ring_stats(seg_ring(&s, (uint32_t)seg_ring_find(&s, "intents")), &rs);
	uint64_t old_enough = rs.head - rs.tail; /* each older than the limit below */
	usleep((MAX_AGE_MS + 150) * 1000);
	/* killed while stopped: the supervisor starts a new one */
	cr_assert_eq(kill(old_coord, SIGKILL), 0);
	cr_assert(waiting, "intents queued while the coordinator was stopped");
	int back = wait_until(&s, coordinator_back, 30);
	if (!back)
		t_show_logs(rundir, 15);
	cr_assert(back, "the coordinator restarted");
	cr_expect_eq(atomic_load(&seg_agent(&s, AGENT_COORDINATOR)->restarts), 1);
	want_decisions = coord_in(&s)->decisions + old_enough + 2;
	wait_until(&s, decisions_reached, 30);
	uint64_t counted = coord_in(&s)->by_reason[VOTE_R_STALE_INTENT];
	seg_close(&s);
	cr_assert_eq(t_system("'%s' stop >'%s/stop.out' 2>&1", dmctl, tmpdir), 0, "dmctl stop");
	t_expect_clean_logs(rundir);

	/* the records: the rule, from the times they carry */
	struct run_files f;
	read_files(&f);
	uint32_t stale = 0;
	for (uint32_t i = 0; i < f.n_dec; i++) {
		const struct vote_record *d = &f.dec[i];
		if (!d->ingress_ns)
			continue;
		int64_t age = d->opened_ns - d->ingress_ns;
		if (d->reason == VOTE_R_STALE_INTENT) {
			stale++;
			cr_expect_gt(age, MAX_AGE_MS * 1000000ll, "refused at %lld ns old",
				     (long long)age);
			cr_expect_eq(d->outcome, VOTE_BLOCK);
			cr_expect_eq(d->client_order_id, 0);
			for (uint32_t v = 0; v < d->n_voters; v++)
				cr_expect_eq(d->v[v].verdict, VOTE_V_NONE, "no vote asked");
		} else {
			cr_expect_leq(age, MAX_AGE_MS * 1000000ll,
				      "decision %llx on an intent %lld ns old",
				      (unsigned long long)d->decision_id, (long long)age);
		}
	}
	cr_log_info("%u intents waited, %u refused as stale (%llu counted)",
		    (unsigned)old_enough, stale, (unsigned long long)counted);
	cr_expect_geq(stale, old_enough, "every intent that waited past the limit refused");
	cr_expect_eq(stale, counted, "the dump counts what the journal holds");
	free_files(&f);
}

/* ---------------------------------------------------------------- fault points */

static uint32_t victim;
static int32_t victim_pid;
static int victim_back(const struct seg *s)
{
	struct agent_slot *a = seg_agent(s, victim);
	int32_t p = atomic_load(&a->pid);
	return atomic_load(&a->restarts) >= 1 && p > 0 && p != victim_pid &&
	       atomic_load(&a->state) == AGENT_RUNNING;
}

/* Arm the point, wait for the agent to die at it and come back. */
static void fault_and_back(struct seg *s, uint32_t agent, const char *point)
{
	char out[1024];
	victim = agent;
	victim_pid = atomic_load(&seg_agent(s, agent)->pid);
	uint64_t before = venue_orders(s);
	int rc = t_sh(out, sizeof(out), "'%s' fault %s %s", dmctl, rt_agent_names[agent],
		      point);
	cr_assert_eq(rc, 0, "dmctl fault %s %s:\n%s", rt_agent_names[agent], point, out);
	cr_expect(strstr(out, "armed "), "%s", out);
	int back = wait_until(s, victim_back, 120);
	if (!back)
		t_show_logs(rundir, 15);
	cr_assert(back, "%s died at '%s' and was restarted", rt_agent_names[agent], point);
	cr_expect_eq(atomic_load(&rt_state_of(s, agent)->fault), 0, "one-shot: disarmed");
	cr_expect_eq(log_count(agent, "fault point '"), 1, "%s said why it died",
		     rt_agent_names[agent]);
	cr_log_info("%s killed at %s after %llu venue orders", rt_agent_names[agent], point,
		    (unsigned long long)before);
}

Test(faults, each_point_kills_once_and_nothing_is_lost_or_doubled)
{
	char out[2048];
	setenv("DMCTL_CRASH_LIMIT", "100", 1);
	start_run(NULL, 300000);
	struct seg s;
	attach(&s);
	want_orders = 2;
	if (!wait_until(&s, orders_reached, 60))
		t_show_logs(rundir, 15);
	cr_assert(orders_reached(&s), "trading");
	/* refused by name */
	cr_expect_eq(t_sh(out, sizeof(out), "'%s' fault execution release", dmctl), 2, "%s",
		     out);
	cr_expect(strstr(out, "execution has no fault point 'release'"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s' fault nobody send", dmctl), 2, "%s", out);
	cr_expect(strstr(out, "--help"), "%s", out);
	cr_expect_eq(t_system("'%s' --help | grep -q 'fault AGENT POINT'", dmctl), 0,
		     "dmctl --help names it");

	fault_and_back(&s, AGENT_COORDINATOR, "release");
	fault_and_back(&s, AGENT_EXECUTION, "send");
	want_orders = venue_orders(&s) + 2;
	if (!wait_until(&s, orders_reached, 60))
		t_show_logs(rundir, 15);
	cr_expect(orders_reached(&s), "trading after both restarts");
	halt_and_settle(&s);
	static struct venue_order_view vo[MAXD];
	uint32_t n_vo = venue_table(&s, vo, MAXD);
	const struct riskd_state *rs = rt_app_of(&s, AGENT_RISK);
	struct risk_state pos = rs->rs[rs->cur & 1];
	struct venue_totals vt = *venue_totals(venue_in(&s));
	seg_close(&s);
	cr_assert_eq(t_system("'%s' stop >'%s/stop.out' 2>&1", dmctl, tmpdir), 0, "dmctl stop");
	t_expect_clean_logs(rundir);
	cr_expect_eq(t_system("grep -q 'coordinator crashed' '%s/supervisor.log'", rundir), 0);
	cr_expect_eq(t_system("grep -q 'execution crashed' '%s/supervisor.log'", rundir), 0);

	struct run_files f;
	read_files(&f);
	check_consistent(&f, vo, n_vo);
	/* nothing lost: every release reached execution (an order record, or a
	 * refusal before the table naming its decision) */
	uint32_t n_rel = 0, reached = 0;
	for (uint32_t i = 0; i < f.n_dec; i++) {
		const struct vote_record *d = &f.dec[i];
		if (d->outcome != VOTE_RELEASE || decision_of(&f, d->decision_id) != d)
			continue; /* a repeated record counts once */
		n_rel++;
		int got = 0;
		for (uint32_t k = 0; k < f.n_ord && !got; k++)
			got = f.ord[k].decision_id == d->decision_id;
		for (uint32_t k = 0; k < f.n_rep && !got; k++)
			got = f.rep[k].decision_id == d->decision_id && !f.rep[k].client_order_id &&
			      f.rep[k].status == EXEC_REJECTED;
		cr_expect(got, "release %llx never reached execution",
			  (unsigned long long)d->decision_id);
		reached += got;
	}
	/* the order killed at 'send': journaled, ended here, never at the venue */
	uint32_t not_at_venue = 0;
	for (uint32_t i = 0; i < f.n_ord; i++) {
		int at = 0;
		for (uint32_t k = 0; k < n_vo && !at; k++)
			at = vo[k].client_order_id == f.ord[i].client_order_id;
		if (at)
			continue;
		not_at_venue++;
		int ended = 0;
		for (uint32_t k = 0; k < f.n_rep && !ended; k++)
			ended = f.rep[k].client_order_id == f.ord[i].client_order_id &&
				exec_status_terminal(f.rep[k].status);
		cr_expect(ended, "order %llu, never at the venue, has its end journaled",
			  (unsigned long long)f.ord[i].client_order_id);
	}
	cr_expect_geq(not_at_venue, 1, "the order killed at 'send' never reached the venue");
	cr_expect_eq(pos.position, vt.buy_qty - vt.sell_qty, "risk's position is the venue's");
	cr_expect_eq(pos.fills, vt.fills, "every fill reached risk once");
	cr_log_info("%u decisions (%u releases, %u reached execution), %u order records, %u at "
		    "the venue", f.n_dec, n_rel, reached, f.n_ord, n_vo);
	free_files(&f);
}
