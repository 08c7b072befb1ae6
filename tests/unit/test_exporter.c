/*
 * test_exporter.c — the Prometheus text of a segment (rt_metrics_render,
 * agents/rt/metrics.h) and dm-exporter serving it.
 *
 *   render     a segment made here, with values this test put in it: the
 *              registry, a ring, two latency histograms of hand-picked
 *              values whose cumulative buckets are counted here by hand;
 *              the exposition's rules (HELP and TYPE once per family,
 *              samples together, counters in _total, the dreammaker_
 *              prefix); a cut buffer says the size the text needs
 *   serve      dm-exporter on 127.0.0.1 (a free port): /metrics, 404 and
 *              405; the segment's bytes are the same after three scrapes
 *              and the exporter maps it read-only; the segment removed,
 *              the answer is dreammaker_up 0 and the exporter lives on;
 *              created again, it is attached again; promtool check metrics
 *              passes both answers
 *   live       a six-agent lockstep run: every figure the scrape gives
 *              equals dm-shmdump --json's, the histograms agree with its
 *              quantiles, promtool passes it, and every series the Grafana
 *              dashboard (docs/grafana-dashboard.json) queries is there
 *   usage      --help, bad options, a non-loopback address refused without
 *              --allow-remote, a port in use
 *
 * The HTTP client is a few lines of sockets here (HTTP/1.0, the server
 * closes); promtool comes from Debian's prometheus package, unpacked by make
 * deps-promtool.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agents/rt/metrics.h"
#include "agents/rt/runtime.h"
#include "agents/rt/state.h"
#include "libcore/hist/hist.h"
#include "libcore/vote/vote.h"
#include "tests/helpers.h"
#include "tests/live.h"

static struct t_live live;
static pid_t exporter_pid;

static void setup(void)
{
	t_live_init(&live, "exporter");
	exporter_pid = 0;
}

static void teardown(void)
{
	if (exporter_pid > 0) {
		kill(exporter_pid, SIGKILL);
		waitpid(exporter_pid, NULL, 0);
	}
	t_live_cleanup(&live);
}

TestSuite(exporter, .init = setup, .fini = teardown);

/* ------------------------------------------------------------ helpers */

/* dm-exporter --listen 127.0.0.1:0 on the live segment; its port */
static int exporter_start(void)
{
	char out[512], err[512];
	snprintf(out, sizeof(out), "%s/exporter.out", live.rundir);
	snprintf(err, sizeof(err), "%s/exporter.err", live.rundir);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(o, 1);
		dup2(e, 2);
		char prog[PATH_MAX];
		snprintf(prog, sizeof(prog), "%s/dm-exporter", live.bindir);
		execl(prog, "dm-exporter", "--listen", "127.0.0.1:0", (char *)NULL);
		_exit(127);
	}
	exporter_pid = pid;
	int port = t_exporter_port(out, 5000);
	if (port > 0)
		return port;
	t_system("cat '%s' '%s' >&2", out, err);
	cr_assert_fail("dm-exporter did not say where it listens");
	return 0;
}

/* One HTTP/1.0 request to 127.0.0.1:port; the body (malloc'd), the status
 * in *status and the Content-Type in ctype (n bytes). */
static char *http(int port, const char *method, const char *path, int *status, char *ctype,
		  size_t n)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "connect: %s",
		     strerror(errno));
	char req[256];
	int k = snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path);
	cr_assert_eq(write(fd, req, (size_t)k), k);
	size_t cap = 1 << 16, len = 0;
	char *buf = t_realloc(NULL, cap);
	ssize_t got;
	while ((got = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)got;
		if (len + 1 == cap)
			buf = t_realloc(buf, cap *= 2);
	}
	close(fd);
	buf[len] = '\0';
	cr_assert(sscanf(buf, "HTTP/1.%*d %d", status) == 1, "no status line: %.80s", buf);
	ctype[0] = '\0';
	const char *ct = strcasestr(buf, "\r\nContent-Type: ");
	if (ct)
		snprintf(ctype, n, "%.*s", (int)strcspn(ct + 16, "\r"), ct + 16);
	char *body = strstr(buf, "\r\n\r\n");
	cr_assert(body, "no header end");
	char *out = strdup(body + 4);
	free(buf);
	return out;
}

static char *scrape(int port)
{
	int status;
	char ctype[128];
	char *t = http(port, "GET", "/metrics", &status, ctype, sizeof(ctype));
	cr_assert_eq(status, 200);
	cr_assert_str_eq(ctype, RT_METRICS_CONTENT_TYPE);
	return t;
}

/* The value of the sample line that starts with `series ` exactly; NAN
 * when there is none. */
static double value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return NAN;
}

static double metric(const char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static double metric(const char *text, const char *fmt, ...)
{
	char series[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(series, sizeof(series), fmt, ap);
	va_end(ap);
	double v = value_of(text, series);
	cr_assert(!isnan(v), "no series %s", series);
	return v;
}

/*
 * The exposition's rules, checked line by line: a family is announced by
 * HELP then TYPE, once; its samples follow it together; a histogram's
 * are name_bucket, name_sum, name_count; counters end in _total; every
 * name starts with dreammaker_; every value is a number.  Returns the
 * number of families.
 */
static int check_format(const char *text)
{
	char help[128] = "", fam[128] = "", type[16] = "";
	static char seen[256][128];
	int n_seen = 0;
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		cr_assert(e, "the text ends without a newline");
		char line[1024];
		size_t len = (size_t)(e - p) < sizeof(line) - 1 ? (size_t)(e - p) : sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p = e + 1;
		char name[128];
		if (sscanf(line, "# HELP %127s", name) == 1) {
			cr_assert(strlen(line) > strlen(name) + 8, "HELP of %s is empty", name);
			snprintf(help, sizeof(help), "%s", name);
			continue;
		}
		if (sscanf(line, "# TYPE %127s %15s", name, type) == 2) {
			cr_assert_str_eq(name, help, "TYPE %s not right after its HELP", name);
			for (int i = 0; i < n_seen; i++)
				cr_assert_str_neq(seen[i], name, "family %s announced twice", name);
			cr_assert_lt(n_seen, 256);
			snprintf(seen[n_seen++], 128, "%s", name);
			snprintf(fam, sizeof(fam), "%s", name);
			cr_assert(strcmp(type, "counter") != 0 ||
				  strcmp(name + strlen(name) - 6, "_total") == 0,
				  "counter %s does not end in _total", name);
			continue;
		}
		cr_assert_neq(line[0], '#', "stray comment: %s", line);
		size_t k = strcspn(line, "{ ");
		snprintf(name, sizeof(name), "%.*s", (int)k, line);
		cr_assert(strncmp(name, "dreammaker_", 11) == 0, "%s: no dreammaker_ prefix", name);
		if (strcmp(type, "histogram") == 0) {
			char b[160], s[160], c[160];
			snprintf(b, sizeof(b), "%s_bucket", fam);
			snprintf(s, sizeof(s), "%s_sum", fam);
			snprintf(c, sizeof(c), "%s_count", fam);
			cr_assert(!strcmp(name, b) || !strcmp(name, s) || !strcmp(name, c),
				  "%s among the samples of histogram %s", name, fam);
		} else {
			cr_assert_str_eq(name, fam, "sample %s outside its family (%s)", name, fam);
		}
		const char *v = strrchr(line, ' ');
		cr_assert(v, "no value: %s", line);
		char *end;
		strtod(v + 1, &end);
		cr_assert(*end == '\0' && end != v + 1, "value not a number: %s", line);
	}
	return n_seen;
}

#define PROMTOOL_BUILT "build/deps/prometheus/usr/bin/promtool"

/* promtool check metrics on text: its exit status, its words in out */
static int promtool(const char *text, char *out, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/scrape.txt", live.rundir);
	t_write_file(path, text);
	/* make deps-promtool unpacks it into build/deps (not installed);
	 * $PROMTOOL or one on the PATH otherwise */
	const char *tool = getenv("PROMTOOL");
	if (!tool)
		tool = access(PROMTOOL_BUILT, X_OK) == 0 ? PROMTOOL_BUILT : "promtool";
	return t_sh(out, n, "'%s' check metrics < '%s'", tool, path);
}

static int64_t file_checksum_of(const struct seg *s)
{
	return (int64_t)t_fnv1a(s->hdr, s->size);
}

/* the exporter's mappings of the segment: its line of /proc/PID/maps
 * must be read-only shared ("r--s") */
static void expect_read_only_mapping(pid_t pid)
{
	char out[4096];
	cr_assert_eq(t_sh(out, sizeof(out), "grep -F '/dev/shm%s' /proc/%d/maps", live.seg,
			  (int)pid), 0, "the exporter maps no segment");
	char *save = NULL;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char perms[8];
		cr_assert_eq(sscanf(l, "%*s %7s", perms), 1);
		cr_expect_str_eq(perms, "r--s", "the segment mapped %s: %s", perms, l);
	}
}

/*
 * docs/observability.md against a scrape: every family of text is in the
 * document's tables ("| `dreammaker_...` |"), and with all (1) every
 * series the tables name is in text (but the one a missing segment shows).
 */
static void expect_documented(const char *text, int all)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/docs/observability.md", live.root);
	char *doc = t_file_text(path, NULL);
	int n = 0;
	for (const char *p = strstr(text, "# TYPE "); p; p = strstr(p + 1, "# TYPE ")) {
		char name[128], want[160];
		cr_assert_eq(sscanf(p, "# TYPE %127s", name), 1);
		snprintf(want, sizeof(want), "| `%s` |", name);
		cr_expect(strstr(doc, want), "%s is exported but not in docs/observability.md", name);
		n++;
	}
	cr_expect_gt(n, 0);
	for (const char *p = strstr(doc, "\n| `dreammaker_"); all && p;
	     p = strstr(p + 1, "\n| `dreammaker_")) {
		char name[128], want[160];
		cr_assert_eq(sscanf(p, "\n| `%127[a-z0-9_]`", name), 1);
		snprintf(want, sizeof(want), "# TYPE %s ", name);
		cr_expect(strstr(text, want) || !strcmp(name, "dreammaker_exporter_attach_error"),
			  "docs/observability.md names %s, which is not exported", name);
	}
	free(doc);
}

/* ------------------------------------------------------------ render */

/* the values of the stage histogram (ns): each one's segment bucket lies
 * inside one interval between two boundaries, so the exposition counts
 * them exactly */
static const uint64_t stage_vals[] = { 700, 3000, 3000, 2000000 };

Test(exporter, render_counts_what_the_segment_holds, .timeout = 60)
{
	cr_assert_eq(t_system("'%s/dm-seg' create --name '%s' >/dev/null", live.bindir, live.seg), 0);
	static struct rt rt_ex, rt_risk;
	struct rt_args a = { .name = live.seg, .run_dir = live.rundir };
	cr_assert_eq(rt_open(&rt_ex, AGENT_EXECUTION, &a, 1, 64, RT_O_NO_SIGNALS | RT_O_NO_PIN), 0);
	cr_assert_eq(rt_open(&rt_risk, AGENT_RISK, &a, 1, 64, RT_O_NO_SIGNALS | RT_O_NO_PIN), 0);
	rt_running(&rt_ex);
	rt_running(&rt_risk);
	struct seg s;
	cr_assert_eq(seg_attach(&s, live.seg, 0, msg_layout_hash()), 0);

	struct agent_slot *ex = seg_agent(&s, AGENT_EXECUTION);
	atomic_store(&ex->ctr.msgs_in, 1234);
	atomic_store(&ex->ctr.msgs_out, 567);
	atomic_store(&ex->ctr.backpressure, 8);
	struct ring *r = seg_ring(&s, 0);
	struct msg_hdr m = { .type = MSG_TRADE, .version = MSG_VERSION, .size = sizeof(m) };
	for (int i = 0; i < 10; i++)
		cr_assert_eq(ring_try_push(r, &m, sizeof(m)), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ring_try_pop(r, &m, sizeof(m)), 0);
	struct hist *stage = &rt_lat_of(&s, AGENT_EXECUTION)->stage;
	for (size_t i = 0; i < sizeof(stage_vals) / sizeof(stage_vals[0]); i++)
		hist_record(stage, stage_vals[i]);
	/* 996 lies in the segment bucket [992, 1007], across the 1 us bound:
	 * below a larger value it counts from 2.5 us on (late, never early);
	 * as the largest value its bucket ends at the exact max, 996 */
	hist_record(&rt_lat_of(&s, AGENT_EXECUTION)->hop, 996);
	hist_record(&rt_lat_of(&s, AGENT_EXECUTION)->hop, 5000);
	hist_record(&rt_lat_of(&s, AGENT_RISK)->hop, 996);
	hist_record(&rt_lat_of(&s, AGENT_EXECUTION)->wake, 30000);
	hist_record(&rt_lat_of(&s, AGENT_EXECUTION)->wake, 3000000);

	static char text[1 << 20];
	int64_t now = (int64_t)time(NULL) * 1000000000;
	struct rt_metrics_host host = { .attaches = 3, .scrapes = 7 };
	size_t n = rt_metrics_render(&s, now, &host, text, sizeof(text));
	cr_assert_lt(n, sizeof(text));
	cr_assert_eq(strlen(text), n);
	cr_assert_gt(check_format(text), 30);

	cr_expect_eq(metric(text, "dreammaker_up"), 1);
	cr_expect_eq(metric(text, "dreammaker_exporter_attaches_total"), 3);
	cr_expect_eq(metric(text, "dreammaker_exporter_scrapes_total"), 7);
	cr_expect_eq(metric(text, "dreammaker_segment_epoch"), s.hdr->epoch);
	cr_expect_eq(metric(text, "dreammaker_agent_state{agent=\"execution\",state=\"running\"}"), 1);
	cr_expect_eq(metric(text, "dreammaker_agent_state{agent=\"execution\",state=\"empty\"}"), 0);
	cr_expect_eq(metric(text, "dreammaker_agent_state{agent=\"coordinator\",state=\"empty\"}"), 1);
	cr_expect_eq(metric(text, "dreammaker_agent_pid{agent=\"execution\"}"), getpid());
	cr_expect_eq(metric(text, "dreammaker_agent_generation{agent=\"execution\"}"), 1);
	cr_expect_eq(metric(text, "dreammaker_agent_restarts_total{agent=\"execution\"}"), 0);
	cr_expect_eq(metric(text, "dreammaker_agent_messages_in_total{agent=\"execution\"}"), 1234);
	cr_expect_eq(metric(text, "dreammaker_agent_messages_out_total{agent=\"execution\"}"), 567);
	cr_expect_eq(metric(text, "dreammaker_agent_backpressure_total{agent=\"execution\"}"), 8);
	double hb = metric(text, "dreammaker_agent_heartbeat_age_seconds{agent=\"execution\"}");
	cr_expect(hb >= 0 && hb < 60, "heartbeat age %g s", hb);
	cr_expect(isnan(value_of(text, "dreammaker_agent_heartbeat_age_seconds{agent=\"data\"}")),
		  "an agent never heard from has no heartbeat age");

	const char *ring = s.hdr->ring[0].name;
	cr_expect_eq(metric(text, "dreammaker_ring_pushed_total{ring=\"%s\"}", ring), 10);
	cr_expect_eq(metric(text, "dreammaker_ring_popped_total{ring=\"%s\"}", ring), 3);
	cr_expect_eq(metric(text, "dreammaker_ring_fill_messages{ring=\"%s\"}", ring), 7);
	cr_expect_eq(metric(text, "dreammaker_ring_capacity_messages{ring=\"%s\"}", ring),
		     s.hdr->ring[0].capacity);
	cr_expect_float_eq(metric(text, "dreammaker_ring_fill_ratio{ring=\"%s\"}", ring),
			   7.0 / (double)s.hdr->ring[0].capacity, 1e-12);

	/* the stage histogram against a count by hand of the values at or
	 * below each bound */
	const char *lb = "agent=\"execution\",stage=\"tick_to_order\"";
	for (int k = 0; k < RT_METRICS_N_LE; k++) {
		double le = (double)rt_metrics_le_ns[k] / 1e9;
		uint64_t want = 0;
		for (size_t i = 0; i < sizeof(stage_vals) / sizeof(stage_vals[0]); i++)
			want += (double)stage_vals[i] / 1e9 <= le;
		char les[32];
		snprintf(les, sizeof(les), "%.9f", le);
		for (char *z = les + strlen(les) - 1; *z == '0'; z--)
			*z = '\0';
		if (les[strlen(les) - 1] == '.')
			les[strlen(les) - 1] = '\0';
		cr_expect_eq(metric(text, "dreammaker_stage_latency_seconds_bucket{%s,le=\"%s\"}", lb,
				    les), want, "le %s", les);
	}
	cr_expect_eq(metric(text, "dreammaker_stage_latency_seconds_bucket{%s,le=\"+Inf\"}", lb), 4);
	cr_expect_eq(metric(text, "dreammaker_stage_latency_seconds_count{%s}", lb), 4);
	cr_expect_float_eq(metric(text, "dreammaker_stage_latency_seconds_sum{%s}", lb), 0.0020067,
			   1e-15);
	cr_expect_eq(metric(text, "dreammaker_ring_hop_latency_seconds_bucket{agent=\"execution\","
			    "le=\"0.000001\"}"), 0);
	cr_expect_eq(metric(text, "dreammaker_ring_hop_latency_seconds_bucket{agent=\"execution\","
			    "le=\"0.0000025\"}"), 1);
	cr_expect_eq(metric(text, "dreammaker_ring_hop_latency_seconds_bucket{agent=\"execution\","
			    "le=\"0.000005\"}"), 2);
	cr_expect_eq(metric(text, "dreammaker_ring_hop_latency_seconds_bucket{agent=\"risk\","
			    "le=\"0.000001\"}"), 1);
	cr_expect(isnan(value_of(text, "dreammaker_ring_hop_latency_seconds_count{agent=\"data\"}")),
		  "an agent without a state region has no histogram");
	/* 30 us and 3 ms: one below 0.0001 s, both below 0.005 s */
	cr_expect_eq(metric(text, "dreammaker_wake_latency_seconds_bucket{agent=\"execution\","
			    "le=\"0.0001\"}"), 1);
	cr_expect_eq(metric(text, "dreammaker_wake_latency_seconds_bucket{agent=\"execution\","
			    "le=\"0.005\"}"), 2);
	cr_expect_eq(metric(text, "dreammaker_wake_latency_seconds_count{agent=\"execution\"}"), 2);

	/* no coordinator: the system is down; no module dump: no trading family */
	cr_expect_eq(metric(text, "dreammaker_system_state{state=\"DOWN\"}"), 1);
	cr_expect_eq(metric(text, "dreammaker_system_state{state=\"TRADING\"}"), 0);
	cr_expect_null(strstr(text, "dreammaker_position_lots"));

	/* a buffer too small: the size the whole text needs, and its start */
	char small[100];
	cr_expect_eq(rt_metrics_render(&s, now, &host, small, sizeof(small)), n);
	cr_expect_eq(strlen(small), sizeof(small) - 1);
	cr_expect_eq(strncmp(small, text, sizeof(small) - 1), 0);
	/* no segment: dreammaker_up 0 and the host's figures */
	size_t n0 = rt_metrics_render(NULL, now, &host, text, sizeof(text));
	cr_expect_eq(strlen(text), n0);
	cr_expect_eq(metric(text, "dreammaker_up"), 0);
	cr_expect_null(strstr(text, "dreammaker_agent_"));
	check_format(text);

	/* a label value escapes backslash, double quote and newline */
	struct agent_slot *co = seg_agent(&s, AGENT_COORDINATOR);
	memcpy(co->name, "co\"o\\r\nd", 9);
	rt_metrics_render(&s, now, NULL, text, sizeof(text));
	cr_expect_eq(metric(text, "dreammaker_agent_pid{agent=\"co\\\"o\\\\r\\nd\"}"), 0);
	/* and shows other control bytes and bytes past ASCII as '?' */
	memcpy(seg_agent(&s, AGENT_DATA)->name, "da\xfft\x01" "a", 7);
	rt_metrics_render(&s, now, NULL, text, sizeof(text));
	cr_expect_eq(metric(text, "dreammaker_agent_pid{agent=\"da?t?a\"}"), 0);
	check_format(text);

	seg_close(&s);
	rt_close(&rt_risk);
	rt_close(&rt_ex);
}

/* ------------------------------------------------------------ serve */

Test(exporter, serves_read_only_and_follows_the_segment_across_a_restart, .timeout = 60)
{
	cr_assert_eq(t_system("'%s/dm-seg' create --name '%s' >/dev/null", live.bindir, live.seg), 0);
	struct seg s;
	cr_assert_eq(seg_attach(&s, live.seg, 1, msg_layout_hash()), 0);
	int64_t before = file_checksum_of(&s);
	int64_t created = s.hdr->created_ns;

	int port = exporter_start();
	char *t = NULL;
	for (int i = 0; i < 3; i++) {
		free(t);
		t = scrape(port);
	}
	cr_expect_eq(metric(t, "dreammaker_up"), 1);
	cr_expect_eq(metric(t, "dreammaker_exporter_attaches_total"), 1);
	cr_expect_eq(metric(t, "dreammaker_exporter_scrapes_total"), 3);
	cr_expect_eq(file_checksum_of(&s), before, "a scrape changed the segment");
	expect_read_only_mapping(exporter_pid);
	char out[8192];
	cr_expect_eq(promtool(t, out, sizeof(out)), 0, "promtool: %s", out);
	double t0 = metric(t, "dreammaker_segment_created_timestamp_seconds");
	cr_expect_float_eq(t0, (double)created / 1e9, 1e-6);
	free(t);

	int status;
	char ctype[128];
	free(http(port, "GET", "/nothing", &status, ctype, sizeof(ctype)));
	cr_expect_eq(status, 404);
	free(http(port, "POST", "/metrics", &status, ctype, sizeof(ctype)));
	cr_expect_eq(status, 405);

	/* the system goes away: dreammaker_up 0, the exporter stays */
	seg_close(&s);
	cr_assert_eq(t_system("'%s/dm-seg' remove --name '%s' >/dev/null", live.bindir, live.seg), 0);
	t = scrape(port);
	cr_expect_eq(metric(t, "dreammaker_up"), 0);
	cr_expect_eq(metric(t, "dreammaker_exporter_attach_error{reason=\"No such file or "
			    "directory\"}"), 1);
	cr_expect_null(strstr(t, "dreammaker_segment_info"));
	cr_expect_eq(promtool(t, out, sizeof(out)), 0, "promtool: %s", out);
	expect_documented(t, 0);
	cr_expect_eq(kill(exporter_pid, 0), 0, "the exporter died with the segment");
	free(t);

	/* and comes back under the same name: attached again */
	usleep(2000); /* another creation time */
	cr_assert_eq(t_system("'%s/dm-seg' create --name '%s' >/dev/null", live.bindir, live.seg), 0);
	t = scrape(port);
	cr_expect_eq(metric(t, "dreammaker_up"), 1);
	cr_expect_eq(metric(t, "dreammaker_exporter_attaches_total"), 2);
	cr_expect_gt(metric(t, "dreammaker_segment_created_timestamp_seconds"), t0);
	free(t);
	expect_read_only_mapping(exporter_pid);
}

/* ------------------------------------------------------------ live */

static json_t *shmdump(const char *args)
{
	static char out[1 << 21];
	cr_assert_eq(t_sh(out, sizeof(out), "'%s/dm-shmdump' --name '%s' %s", live.bindir, live.seg,
			  args), 0, "dm-shmdump %s: %.300s", args, out);
	json_error_t e;
	json_t *j = json_loads(out, 0, &e);
	cr_assert(j, "dm-shmdump %s: not JSON: %s", args, e.text);
	return j;
}

static int64_t jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "no integer %s", k);
	return (int64_t)json_integer_value(v);
}

/* What both dumps must agree on for the system to count as still. */
static json_t *still_figures(json_t *dump)
{
	json_t *o = json_object(), *a, *st = json_object_get(dump, "state");
	size_t i;
	json_array_foreach(json_object_get(dump, "agents"), i, a)
		json_object_set_new(o, json_string_value(json_object_get(a, "name")),
				    json_pack("[I,I,I,I]", jint(a, "pid"), jint(a, "msgs_in"),
					      jint(a, "msgs_out"), jint(a, "restarts")));
	json_array_foreach(json_object_get(dump, "rings"), i, a)
		json_object_set_new(o, json_string_value(json_object_get(a, "name")),
				    json_pack("[I,I,I,I]", jint(a, "head"), jint(a, "tail"),
					      jint(a, "full"), jint(a, "dropped")));
	/* their state, less the process's own accounting, which moves while
	 * the system stands still (every heartbeat is a sleep and a wake) */
	static const char *const roles[] = { "risk", "execution" };
	for (i = 0; i < 2; i++) {
		json_t *c = json_deep_copy(json_object_get(json_object_get(st, "agents"), roles[i]));
		json_object_del(c, "switches");
		json_object_del(c, "page_faults");
		json_object_set_new(o, roles[i], c);
	}
	return o;
}

/* A histogram of the scrape against dm-shmdump's quantile q (p_ns):
 * the nearest rank lies at or below every bound >= p, above every bound
 * below it. */
static void expect_quantile(const char *text, const char *series_lb, uint64_t n, double q,
			    uint64_t p_ns)
{
	uint64_t rank = (uint64_t)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	for (int k = 0; k < RT_METRICS_N_LE; k++) {
		double le = (double)rt_metrics_le_ns[k] / 1e9;
		char les[32];
		snprintf(les, sizeof(les), "%.9f", le);
		for (char *z = les + strlen(les) - 1; *z == '0'; z--)
			*z = '\0';
		if (les[strlen(les) - 1] == '.')
			les[strlen(les) - 1] = '\0';
		double cum = metric(text, "%s,le=\"%s\"}", series_lb, les);
		if (rt_metrics_le_ns[k] >= p_ns)
			cr_expect_geq(cum, rank, "%s le %s: %g below rank %" PRIu64 " of p %" PRIu64,
				      series_lb, les, cum, rank, p_ns);
		else
			cr_expect_lt(cum, rank, "%s le %s: %g reaches rank %" PRIu64 " of p %" PRIu64,
				     series_lb, les, cum, rank, p_ns);
	}
}

/* every dreammaker_ name the dashboard's queries use is a family of text
 * (a histogram's _bucket, _sum and _count are its family's) */
static void expect_dashboard_series(const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/docs/grafana-dashboard.json", live.root);
	json_error_t e;
	json_t *d = json_load_file(path, 0, &e);
	cr_assert(d, "%s: %s (line %d)", path, e.text, e.line);
	regex_t re;
	cr_assert_eq(regcomp(&re, "dreammaker_[a-z0-9_]+", REG_EXTENDED), 0);
	int queries = 0, names = 0;
	json_t *panel;
	size_t i;
	json_array_foreach(json_object_get(d, "panels"), i, panel) {
		json_t *tg;
		size_t j;
		json_array_foreach(json_object_get(panel, "targets"), j, tg) {
			const char *expr = json_string_value(json_object_get(tg, "expr"));
			cr_assert(expr, "panel %s: a target without expr",
				  json_string_value(json_object_get(panel, "title")));
			queries++;
			regmatch_t m;
			for (const char *p = expr; regexec(&re, p, 1, &m, 0) == 0; p += m.rm_eo) {
				char name[128], want[160];
				snprintf(name, sizeof(name), "%.*s", (int)(m.rm_eo - m.rm_so), p + m.rm_so);
				snprintf(want, sizeof(want), "# TYPE %s ", name);
				if (!strstr(text, want)) {
					/* a histogram's parts */
					char *suf = strrchr(name, '_');
					if (suf && (!strcmp(suf, "_bucket") || !strcmp(suf, "_sum") ||
						    !strcmp(suf, "_count")))
						*suf = '\0';
					snprintf(want, sizeof(want), "# TYPE %s histogram", name);
				}
				cr_expect(strstr(text, want), "the dashboard queries %s, which is not "
					  "exported", name);
				names++;
			}
		}
	}
	regfree(&re);
	json_decref(d);
	cr_expect_gt(queries, 10);
	cr_expect_geq(names, queries);
}

Test(exporter, scrape_of_a_live_run_agrees_with_shmdump, .timeout = 120)
{
	t_live_start(&live, 3000, "--pace lockstep");
	cr_assert(t_live_wait_quiet(&live, 60), "the replay did not end and drain");
	int port = exporter_start();

	/* a dump, the scrape, a dump: the two dumps equal, the scrape between
	 * them saw the same (the venue may still report on its own schedule
	 * after the replay: then again) */
	json_t *a = NULL, *sys = NULL;
	char *t = NULL;
	int still = 0;
	for (int tries = 0; tries < 20 && !still; tries++) {
		if (a) {
			json_decref(a);
			json_decref(sys);
			free(t);
			usleep(250 * 1000);
		}
		a = shmdump("--json");
		sys = shmdump("--system --json");
		t = scrape(port);
		json_t *b = shmdump("--json");
		json_t *fa = still_figures(a), *fb = still_figures(b);
		still = json_equal(fa, fb);
		json_decref(fa);
		json_decref(fb);
		json_decref(b);
	}
	cr_assert(still, "the system kept moving between two dumps");

	/* registry and rings */
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(a, "agents"), i, o) {
		const char *ag = json_string_value(json_object_get(o, "name"));
		cr_expect_eq(metric(t, "dreammaker_agent_pid{agent=\"%s\"}", ag), jint(o, "pid"));
		cr_expect_eq(metric(t, "dreammaker_agent_state{agent=\"%s\",state=\"%s\"}", ag,
				    json_string_value(json_object_get(o, "state"))), 1);
		cr_expect_eq(metric(t, "dreammaker_agent_restarts_total{agent=\"%s\"}", ag),
			     jint(o, "restarts"));
		cr_expect_eq(metric(t, "dreammaker_agent_generation{agent=\"%s\"}", ag),
			     jint(o, "generation"));
		cr_expect_eq(metric(t, "dreammaker_agent_messages_in_total{agent=\"%s\"}", ag),
			     jint(o, "msgs_in"));
		cr_expect_eq(metric(t, "dreammaker_agent_messages_out_total{agent=\"%s\"}", ag),
			     jint(o, "msgs_out"));
		cr_expect_eq(metric(t, "dreammaker_agent_errors_total{agent=\"%s\"}", ag),
			     jint(o, "errors"));
		double hb = metric(t, "dreammaker_agent_heartbeat_age_seconds{agent=\"%s\"}", ag);
		cr_expect(hb >= 0 && hb < 2, "%s heartbeat age %g s", ag, hb);
	}
	json_array_foreach(json_object_get(a, "rings"), i, o) {
		const char *r = json_string_value(json_object_get(o, "name"));
		cr_expect_eq(metric(t, "dreammaker_ring_pushed_total{ring=\"%s\"}", r), jint(o, "head"));
		cr_expect_eq(metric(t, "dreammaker_ring_popped_total{ring=\"%s\"}", r), jint(o, "tail"));
		cr_expect_eq(metric(t, "dreammaker_ring_fill_messages{ring=\"%s\"}", r), jint(o, "fill"));
		cr_expect_eq(metric(t, "dreammaker_ring_full_total{ring=\"%s\"}", r), jint(o, "full"));
		cr_expect_eq(metric(t, "dreammaker_ring_dropped_total{ring=\"%s\"}", r),
			     jint(o, "dropped"));
		cr_expect_eq(metric(t, "dreammaker_ring_capacity_messages{ring=\"%s\"}", r),
			     jint(o, "capacity"));
		cr_expect_eq(metric(t, "dreammaker_ring_info{ring=\"%s\",producer=\"%s\",consumer="
				    "\"%s\",policy=\"%s\"}", r,
				    json_string_value(json_object_get(o, "producer")),
				    json_string_value(json_object_get(o, "consumer")),
				    json_string_value(json_object_get(o, "policy"))), 1);
	}

	/* latency: counts, and the buckets against dm-shmdump's quantiles */
	json_t *st = json_object_get(json_object_get(a, "state"), "agents");
	const char *name;
	json_object_foreach(st, name, o) {
		json_t *lat = json_object_get(o, "latency"), *h;
		const char *stage = json_string_value(json_object_get(lat, "stage_name"));
		char lb[160];
		h = json_object_get(lat, "stage");
		snprintf(lb, sizeof(lb), "dreammaker_stage_latency_seconds_bucket{agent=\"%s\","
			 "stage=\"%s\"", name, stage);
		cr_expect_eq(metric(t, "dreammaker_stage_latency_seconds_count{agent=\"%s\","
				    "stage=\"%s\"}", name, stage), jint(h, "n"));
		if (jint(h, "n")) {
			expect_quantile(t, lb, (uint64_t)jint(h, "n"), 0.5, (uint64_t)jint(h, "p50_ns"));
			expect_quantile(t, lb, (uint64_t)jint(h, "n"), 0.99, (uint64_t)jint(h, "p99_ns"));
		}
		h = json_object_get(lat, "hop");
		snprintf(lb, sizeof(lb), "dreammaker_ring_hop_latency_seconds_bucket{agent=\"%s\"",
			 name);
		cr_expect_eq(metric(t, "dreammaker_ring_hop_latency_seconds_count{agent=\"%s\"}",
				    name), jint(h, "n"));
		if (jint(h, "n"))
			expect_quantile(t, lb, (uint64_t)jint(h, "n"), 0.5, (uint64_t)jint(h, "p50_ns"));
	}

	/* trading */
	json_t *risk = json_object_get(st, "risk"), *ex = json_object_get(st, "execution");
	json_t *coord = json_object_get(st, "coordinator"), *data = json_object_get(st, "data");
	json_t *ml = json_object_get(st, "ml");
	const char *sym = json_string_value(json_object_get(risk, "symbol"));
	const char *ccy = json_string_value(json_object_get(risk, "currency"));
	cr_expect_eq(metric(t, "dreammaker_system_state{state=\"%s\"}",
			    json_string_value(json_object_get(sys, "state"))), 1);
	cr_expect_eq(metric(t, "dreammaker_kill_switch"),
		     json_is_true(json_object_get(risk, "kill_switch_latched")));
	cr_expect_eq(metric(t, "dreammaker_risk_state{state=\"%s\"}",
			    json_string_value(json_object_get(risk, "trading_state"))), 1);
	cr_expect_eq(metric(t, "dreammaker_position_lots{symbol=\"%s\"}", sym),
		     jint(risk, "position"));
	cr_expect_eq(metric(t, "dreammaker_position_limit_lots{symbol=\"%s\"}", sym),
		     jint(risk, "max_position"));
	json_t *pnl = json_object_get(risk, "pnl_e9");
	static const char *const comp[] = { "net", "realized", "unrealized", "fees", "drawdown" };
	for (size_t k = 0; k < 5; k++)
		cr_expect_float_eq(metric(t, "dreammaker_pnl{component=\"%s\",currency=\"%s\"}",
					  comp[k], ccy), (double)jint(pnl, comp[k]) / 1e9, 1e-9,
				   "pnl %s", comp[k]);
	cr_expect_float_eq(metric(t, "dreammaker_pnl{component=\"net\",currency=\"%s\"}", ccy),
			   json_number_value(json_object_get(sys, "net")), 1e-9);
	for (uint32_t k = VOTE_R_APPROVED + 1; k < VOTE_R_COUNT; k++) {
		const char *why = vote_reason_name(k);
		json_t *rv = json_object_get(json_object_get(risk, "rejected"), why);
		json_t *cv = json_object_get(json_object_get(coord, "by_reason"), why);
		cr_expect_eq(metric(t, "dreammaker_risk_rejections_total{reason=\"%s\"}", why),
			     rv ? json_integer_value(rv) : 0, "risk %s", why);
		cr_expect_eq(metric(t, "dreammaker_decision_rejections_total{reason=\"%s\"}", why),
			     cv ? json_integer_value(cv) : 0, "coordinator %s", why);
	}
	cr_expect_eq(metric(t, "dreammaker_decisions_total{outcome=\"released\"}"),
		     jint(coord, "released"));
	cr_expect_eq(metric(t, "dreammaker_decisions_total{outcome=\"blocked\"}"),
		     jint(coord, "blocked"));
	cr_assert_gt(jint(ex, "orders"), 0, "no order in the run (make model trains the model "
		     "the default configuration names)");
	cr_expect_eq(metric(t, "dreammaker_orders_total"), jint(ex, "orders"));
	cr_expect_eq(metric(t, "dreammaker_orders_ended_total{outcome=\"filled\"}"),
		     jint(ex, "filled"));
	cr_expect_eq(metric(t, "dreammaker_orders_ended_total{outcome=\"cancelled\"}"),
		     jint(ex, "cancelled"));
	cr_expect_eq(metric(t, "dreammaker_orders_ended_total{outcome=\"rejected\"}"),
		     jint(ex, "rejected"));
	cr_expect_eq(metric(t, "dreammaker_orders_refused_total"), jint(ex, "refused"));
	json_t *venue = json_object_get(ex, "venue");
	cr_expect_eq(metric(t, "dreammaker_fills_total"), jint(venue, "fills"));
	cr_expect_eq(metric(t, "dreammaker_filled_lots_total{side=\"buy\"}"), jint(venue, "buy_qty"));
	cr_expect_eq(metric(t, "dreammaker_filled_lots_total{side=\"sell\"}"),
		     jint(venue, "sell_qty"));
	cr_expect_eq(metric(t, "dreammaker_market_events_total"), jint(data, "events"));
	cr_expect_eq(metric(t, "dreammaker_market_events_total"), 3000);
	cr_expect_float_eq(metric(t, "dreammaker_market_time_seconds"),
			   (double)jint(data, "market_time_ns") / 1e9, 1e-6);
	cr_expect_eq(metric(t, "dreammaker_replay_done"), 1);
	cr_expect_eq(metric(t, "dreammaker_intents_total"), jint(ml, "intents"));
	cr_expect_eq(metric(t, "dreammaker_feature_vectors_total"), jint(ml, "features"));

	check_format(t);
	char out[8192];
	cr_expect_eq(promtool(t, out, sizeof(out)), 0, "promtool: %s", out);
	expect_dashboard_series(t);
	expect_documented(t, 1);
	expect_read_only_mapping(exporter_pid);
	free(t);
	json_decref(sys);
	json_decref(a);
}

/* ------------------------------------------------------------ usage */

Test(exporter, usage_errors_and_addresses)
{
	char out[4096];
	const char *b = live.bindir;
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-exporter' --help", b), 0);
	cr_expect(strstr(out, "--allow-remote"), "%s", out);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-exporter' --bogus", b), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-exporter' extra", b), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-exporter' --name noslash", b), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-exporter' --listen 127.0.0.1", b), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-exporter' --listen 127.0.0.1:70000", b), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-exporter' --listen nowhere:9469", b), 2);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-exporter' --listen 192.0.2.1:9469", b), 2);
	cr_expect(strstr(out, "not a loopback address") && strstr(out, "--allow-remote"), "%s", out);
	/* with the flag it gets past the check and fails to bind an address
	 * this machine does not have (192.0.2.0/24 is for documentation) */
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-exporter' --listen 192.0.2.1:9469 "
			  "--allow-remote", b), 1);
	cr_expect(strstr(out, "cannot listen on 192.0.2.1:9469"), "%s", out);

	/* a port another socket holds: exit 1, named */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	socklen_t len = sizeof(a);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	cr_expect_eq(t_sh(out, sizeof(out), "'%s/dm-exporter' --listen 127.0.0.1:%d", b,
			  ntohs(a.sin_port)), 1);
	cr_expect(strstr(out, "Address already in use"), "%s", out);
	close(fd);
}
