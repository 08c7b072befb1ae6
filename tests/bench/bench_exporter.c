/*
 * bench_exporter.c — the time to render /metrics (rt_metrics_render,
 * agents/rt/metrics.h) and to scrape it from dm-exporter over loopback.
 *
 * What it measures.  A six-agent system runs a lockstep replay of a
 * synthetic market to its end (tools/dmctl start, the built model when
 * there is one, so orders, fills and every histogram hold data), then
 * this program maps the segment read-only and renders the Prometheus text
 * many times, each render timed alone; the baseline is what dm-shmdump
 * --json does for the agents' part of the same segment (rt_dump_json,
 * then json_dumps).  Then dm-exporter serves the segment on 127.0.0.1 and
 * this program scrapes /metrics over HTTP/1.0, each request timed from
 * connect to the last byte.  Figures: p50, p99, p99.9 from a histogram
 * (libcore/hist), the text's size and its number of series.
 *
 * Usage: bench_exporter [--renders N] [--scrapes N] [--bindir DIR]
 * Needs build/bin (make) and tools/dmctl; exits 1 if a step fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agents/rt/dump.h"
#include "agents/rt/metrics.h"
#include "bench_clock.h"
#include "bench_table.h"
#include "libcore/hist/hist.h"
#include "libcore/msg/msg.h"
#include "shm/seg.h"
#include "tests/proc_helpers.h"

static char g_bindir[PATH_MAX / 2], g_tmp[64];
static struct t_paths g_paths; /* the checkout: tools/dmctl */
static char g_name[64], g_conf[PATH_MAX / 2];
static pid_t g_exporter;

static void cleanup(void)
{
	if (g_exporter > 0) {
		kill(g_exporter, SIGTERM);
		waitpid(g_exporter, NULL, 0);
		g_exporter = 0;
	}
	if (g_tmp[0]) {
		char cmd[PATH_MAX * 2];
		snprintf(cmd, sizeof(cmd), "'%s' -c '%s' --name '%s' --run-dir '%s/run' stop >/dev/null "
			 "2>&1; rm -rf '%s'", g_paths.dmctl, g_conf, g_name, g_tmp, g_tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_exporter: could not clean up %s\n", g_tmp);
		g_tmp[0] = '\0';
	}
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench_exporter: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	cleanup();
	exit(1);
}

/* the system: a lockstep replay of events, run to its end */
static void start_system(long events)
{
	char journal[PATH_MAX / 2], model[PATH_MAX / 2];
	snprintf(journal, sizeof(journal), "%s/market.journal", g_tmp);
	if (t_system("'%s/dm-gen' --seed 1 --events %ld --output '%s' --quiet >/dev/null 2>&1",
		     g_bindir, events, journal) != 0)
		die("dm-gen failed");
	snprintf(g_name, sizeof(g_name), "/dm_bench_exporter_%d", (int)getpid());
	snprintf(g_conf, sizeof(g_conf), "%s/bench.yaml", g_tmp);
	snprintf(model, sizeof(model), "%s/build/model/default.json", g_paths.root);
	FILE *f = fopen(g_conf, "w");
	if (!f)
		die("%s: %s", g_conf, strerror(errno));
	fprintf(f, "system:\n  shm_name: %s\n  run_dir: %s\nstrategy:\n  model: \"%s\"\n", g_name,
		g_tmp, t_exists(model) ? model : "");
	fclose(f);
	fprintf(stderr, "bench_exporter: a lockstep replay of %ld events...\n", events);
	if (t_system("'%s' -c '%s' --name '%s' --run-dir '%s/run' start --input '%s' --pace lockstep "
		     ">'%s/start.out' 2>&1", g_paths.dmctl, g_conf, g_name, g_tmp, journal, g_tmp) != 0)
		die("dmctl start failed (see %s/start.out)", g_tmp);
	char done[PATH_MAX];
	snprintf(done, sizeof(done), "%s/run/data.done", g_tmp);
	if (!t_wait_file(done, 120))
		die("the replay did not finish in 120 s");
	usleep(300000); /* the last orders through */
}

static void pin_last_cpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(n > 0 ? n - 1 : 0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static char g_text[1 << 21];

static void time_render(const struct seg *s, uint64_t n, struct hist *h, size_t *bytes)
{
	struct rt_metrics_host host = { .attaches = 1 };
	for (uint64_t i = 0; i < n + n / 10; i++) {
		host.scrapes = i + 1;
		int64_t t0 = mono_ns();
		size_t len = rt_metrics_render(s, t0, &host, g_text, sizeof(g_text));
		int64_t t1 = mono_ns();
		if (len >= sizeof(g_text))
			die("the text needs %zu bytes", len);
		*bytes = len;
		if (i >= n / 10) /* the first tenth warms up */
			hist_record(h, (uint64_t)(t1 - t0));
	}
}

static void time_json(const struct seg *s, uint64_t n, struct hist *h)
{
	for (uint64_t i = 0; i < n + n / 10; i++) {
		int64_t t0 = mono_ns();
		json_t *j = rt_dump_json(s);
		char *txt = json_dumps(j, JSON_COMPACT);
		int64_t t1 = mono_ns();
		free(txt);
		json_decref(j);
		if (i >= n / 10)
			hist_record(h, (uint64_t)(t1 - t0));
	}
}

/* dm-exporter on 127.0.0.1, a free port; the port */
static int start_exporter(void)
{
	char out[PATH_MAX / 2];
	snprintf(out, sizeof(out), "%s/exporter.out", g_tmp);
	g_exporter = fork();
	if (g_exporter < 0)
		die("fork: %s", strerror(errno));
	if (g_exporter == 0) {
		if (!freopen(out, "w", stdout))
			_exit(127);
		char prog[PATH_MAX];
		snprintf(prog, sizeof(prog), "%s/dm-exporter", g_bindir);
		execl(prog, "dm-exporter", "--name", g_name, "--listen", "127.0.0.1:0", (char *)NULL);
		_exit(127);
	}
	int port = t_exporter_port(out, 5000);
	if (port > 0)
		return port;
	die("dm-exporter did not start (see %s)", out);
}

/* one GET /metrics: the body's bytes */
static size_t scrape(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("connect: %s", strerror(errno));
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		die("write: %s", strerror(errno));
	size_t len = 0;
	ssize_t got;
	while ((got = read(fd, g_text + len, sizeof(g_text) - 1 - len)) > 0)
		len += (size_t)got;
	close(fd);
	g_text[len] = '\0';
	if (strncmp(g_text, "HTTP/1.", 7) != 0 || !strstr(g_text, " 200 "))
		die("scrape: %.60s", g_text);
	return len;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_exporter [--renders N] [--scrapes N] [--events N] [--bindir DIR]\n"
		   "  the time to render /metrics and to scrape it from dm-exporter\n"
		   "  --renders N   renders timed (default 2000)\n"
		   "  --scrapes N   HTTP scrapes timed (default 300)\n"
		   "  --events N    market events of the replay (default 3000)\n"
		   "  --bindir DIR  where dm-gen, dm-exporter and the agents are (default\n"
		   "                <build>/bin beside this program)\n");
}

int main(int argc, char **argv)
{
	uint64_t renders = 2000, scrapes = 300, events = 3000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--renders") && i + 1 < argc) {
			if (parse_count(argv[++i], &renders))
				return usage(stderr), 2;
		} else if (!strcmp(argv[i], "--scrapes") && i + 1 < argc) {
			if (parse_count(argv[++i], &scrapes))
				return usage(stderr), 2;
		} else if (!strcmp(argv[i], "--events") && i + 1 < argc) {
			if (parse_count(argv[++i], &events))
				return usage(stderr), 2;
		} else if (!strcmp(argv[i], "--bindir") && i + 1 < argc) {
			snprintf(g_bindir, sizeof(g_bindir), "%s", argv[++i]);
		} else {
			usage(stderr);
			return 2;
		}
	}
	t_paths_or_exit(&g_paths, "bench_exporter");
	if (!g_bindir[0])
		snprintf(g_bindir, sizeof(g_bindir), "%s", g_paths.bin);
	snprintf(g_tmp, sizeof(g_tmp), "/tmp/dm_bench_exporter.XXXXXX");
	if (!mkdtemp(g_tmp))
		die("mkdtemp: %s", strerror(errno));
	start_system((long)events);

	struct seg s;
	int rc = seg_attach(&s, g_name, 1, msg_layout_hash());
	if (rc)
		die("attach %s: %s", g_name, dm_strerror(rc));
	pin_last_cpu();
	static struct hist hr, hj, hs;
	hist_init(&hr);
	hist_init(&hj);
	hist_init(&hs);
	size_t bytes = 0;
	time_render(&s, renders, &hr, &bytes);
	uint64_t series = 0;
	for (const char *p = g_text; *p; p = strchr(p, '\n') + 1)
		series += *p != '#';
	time_json(&s, renders, &hj);
	seg_close(&s);

	int port = start_exporter();
	size_t http_bytes = 0;
	for (uint64_t i = 0; i < scrapes + scrapes / 10; i++) {
		int64_t t0 = mono_ns();
		http_bytes = scrape(port);
		int64_t t1 = mono_ns();
		if (i >= scrapes / 10)
			hist_record(&hs, (uint64_t)(t1 - t0));
	}
	cleanup();

	printf("/metrics of a six-agent segment after a lockstep replay of %llu events: "
	       "%zu bytes, %llu series (%zu bytes over HTTP with the headers)\n",
	       (unsigned long long)events, bytes, (unsigned long long)series, http_bytes);
	printf("%llu renders and %llu HTTP scrapes timed, after a tenth more to warm up\n",
	       (unsigned long long)renders, (unsigned long long)scrapes);
	row("render /metrics p50", (double)hist_quantile(&hr, 0.5), "ns",
	    (double)hist_quantile(&hj, 0.5), "agents' JSON dump p50: %.0f us",
	    (double)hist_quantile(&hj, 0.5) / 1e3);
	row("render /metrics p99", (double)hist_quantile(&hr, 0.99), "ns",
	    (double)hist_quantile(&hj, 0.99), "agents' JSON dump p99: %.0f us",
	    (double)hist_quantile(&hj, 0.99) / 1e3);
	row("render /metrics p99.9", (double)hist_quantile(&hr, 0.999), "ns", 0, NULL);
	row("scrape over loopback HTTP p50", (double)hist_quantile(&hs, 0.5), "ns",
	    (double)hist_quantile(&hr, 0.5), "render alone p50");
	row("scrape over loopback HTTP p99", (double)hist_quantile(&hs, 0.99), "ns", 0, NULL);
	row("/metrics size", (double)bytes, "bytes", 0, NULL);
	row("/metrics series", (double)series, "series", 0, NULL);
	print_table();
	return 0;
}
