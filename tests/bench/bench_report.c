/*
 * bench_report.c — dm-report of a large run: a synthetic backtest
 * directory of N fills (default 1M), as many equity rows, orders and
 * decisions (a random-walk mid, fills of 1 to 3 lots on either side, the
 * cash and equity they make), written here before the clock starts and
 * removed after.  The row: the tool's wall time and peak resident memory
 * (wait4's ru_maxrss) against the goals, and the page's size: the series
 * are decimated (at most 4 x 1024 points a chart), so the page stays
 * small whatever N.
 *
 * Goals (docs/report.md): under 5 s and 200 MiB for 1M fills.  A missed
 * goal is printed, never fatal.
 *
 * Usage: bench_report [--fills N] [--bin DIR] [--keep]   (--keep: the
 * directory stays, named on stderr)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/bench/bench_clock.h"
#include "tests/bench/bench_table.h"

#define GOAL_S       5.0
#define GOAL_RSS_MIB 200.0

static int run_child(char *const argv[], struct rusage *ru)
{
	pid_t pid = fork();
	int st;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, ru) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static FILE *open_in(const char *dir, const char *name)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		perror(p);
	return f;
}

/* xorshift64* */
static uint64_t rng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Money in nano-units as the project writes it: at least two decimals. */
static void money(char *b, size_t n, int64_t e9)
{
	int64_t a = e9 < 0 ? -e9 : e9;
	int len = snprintf(b, n, "%s%" PRId64 ".%09" PRId64, e9 < 0 ? "-" : "", a / 1000000000,
			   a % 1000000000);
	while (len > 0 && b[len - 1] == '0' && b[len - 3] != '.')
		b[--len] = '\0';
}

/* The directory: WIN (5-point tick, R$ 0.20 a point), a fill every 50 ms
 * of market time, each with its decision 0.5 ms before and its order. */
static int make_run(const char *dir, uint64_t n)
{
	FILE *fl = open_in(dir, "fills.csv"), *eq = open_in(dir, "equity.csv"),
	     *od = open_in(dir, "orders.csv"), *dc = open_in(dir, "decisions.csv"),
	     *sm = open_in(dir, "summary.json");
	if (!fl || !eq || !od || !dc || !sm) {
		if (fl)
			fclose(fl);
		if (eq)
			fclose(eq);
		if (od)
			fclose(od);
		if (dc)
			fclose(dc);
		if (sm)
			fclose(sm);
		return -1;
	}
	fputs("t_ns,client_order_id,side,qty,price,fee,liquidity\n", fl);
	fputs("t_ns,position,mark,cash,equity,drawdown\n", eq);
	fputs("client_order_id,decision_id,side,qty,price,ord_type,tif,flatten,status,filled_qty,"
	      "avg_price,fees,first_ns,last_ns\n", od);
	fputs("decision_id,intent_id,outcome,reason,side,qty,price,client_order_id,decisive,votes,"
	      "t_ns\n", dc);
	uint64_t s = 0x9e3779b97f4a7c15ull;
	int64_t t = 1641211200000000000ll, mid = 120000, pos = 0, cash = 0, peak = 0;
	const int64_t fee = 256100000; /* R$ 0.2561 a lot */
	for (uint64_t i = 0; i < n; i++) {
		t += 50000000;
		mid += (int64_t)(rng(&s) % 3) * 5 - 5;
		int side = pos >= 10 ? -1 : pos <= -10 ? 1 : (rng(&s) & 1) ? 1 : -1;
		int64_t q = 1 + (int64_t)(rng(&s) % 3), px = mid + side * 5;
		uint64_t id = (1ull << 40) | (i + 1);
		pos += side * q;
		cash -= side * q * px * 200000000ll + q * fee;
		int64_t e = cash + pos * mid * 200000000ll;
		if (e > peak)
			peak = e;
		char c[40], ev[40], dd[40], fe[40];
		money(c, sizeof(c), cash);
		money(ev, sizeof(ev), e);
		money(dd, sizeof(dd), peak - e);
		money(fe, sizeof(fe), q * fee);
		const char *sd = side > 0 ? "buy" : "sell";
		fprintf(dc, "%" PRIu64 ",%" PRIu64 ",released,approved,%s,%" PRId64 ",%" PRId64
			",%" PRIu64 ",,risk:approve:approved;execution:approve:approved;"
			"feature:approve:approved,%" PRId64 "\n", id, i + 1, sd, q, px, id, t - 500000);
		fprintf(fl, "%" PRId64 ",%" PRIu64 ",%s,%" PRId64 ",%" PRId64 ",%s,taker\n", t, id,
			sd, q, px, fe);
		fprintf(od, "%" PRIu64 ",%" PRIu64 ",%s,%" PRId64 ",%" PRId64 ",limit,ioc,0,filled,"
			"%" PRId64 ",%" PRId64 ",%s,%" PRId64 ",%" PRId64 "\n", id, id, sd, q, px, q, px,
			fe, t, t);
		fprintf(eq, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%s,%s,%s\n", t, pos, mid, c, ev, dd);
	}
	char net[40];
	money(net, sizeof(net), cash + pos * mid * 200000000ll);
	fprintf(sm, "{\"symbol\": \"WIN\", \"currency\": \"BRL\", \"events\": {\"total\": %" PRIu64
		"}, \"orders\": {\"total\": %" PRIu64 ", \"filled\": %" PRIu64 "}, \"fills\": "
		"{\"count\": %" PRIu64 "}, \"pnl\": {\"currency\": \"BRL\", \"net\": %s}, "
		"\"decisions\": {\"total\": %" PRIu64 ", \"approved\": %" PRIu64 ", \"rejected\": 0, "
		"\"rejected_by_reason\": {}}, \"result\": \"ok\", \"performance\": {\"sharpe\": null}, "
		"\"instrument\": {\"symbol\": \"WIN\", \"currency\": \"BRL\", \"tick_size_e6\": 5000000, "
		"\"point_value_e6\": 200000, \"lot_size_e6\": 1000000, \"price_decimals\": 0, "
		"\"utc_offset_min\": -180}, \"model\": null}\n", n, n, n, n, net, n, n);
	int bad = fclose(fl) != 0;
	bad |= fclose(eq) != 0;
	bad |= fclose(od) != 0;
	bad |= fclose(dc) != 0;
	bad |= fclose(sm) != 0;
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t n = 1000000, v;
	int keep = 0;
	char bindir[2048], tmp[] = "/tmp/dm-bench-report-XXXXXX", tool[4096], page[4096];
	const char *slash = strrchr(argv[0], '/');
	snprintf(bindir, sizeof(bindir), "%.*s/../bin", slash ? (int)(slash - argv[0]) : 1,
		 slash ? argv[0] : ".");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fills") && i + 1 < argc && !parse_count(argv[i + 1], &v)) {
			n = v;
			i++;
		} else if (!strcmp(argv[i], "--bin") && i + 1 < argc) {
			snprintf(bindir, sizeof(bindir), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--keep")) {
			keep = 1;
		} else {
			fprintf(stderr, "usage: bench_report [--fills N] [--bin DIR] [--keep]\n");
			return 2;
		}
	}
	if (!mkdtemp(tmp))
		return 1;
	int64_t g0 = mono_ns();
	if (make_run(tmp, n) < 0)
		return 1;
	double gen_s = (double)(mono_ns() - g0) / 1e9;

	snprintf(tool, sizeof(tool), "%s/dm-report", bindir);
	snprintf(page, sizeof(page), "%s/report.html", tmp);
	char *targv[] = { tool, tmp, "-o", page, "--quiet", NULL };
	struct rusage ru;
	int64_t t0 = mono_ns();
	int rc = run_child(targv, &ru);
	double secs = (double)(mono_ns() - t0) / 1e9;
	double rss = (double)ru.ru_maxrss / 1024.0;
	double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	struct stat st;
	double kib = stat(page, &st) == 0 ? (double)st.st_size / 1024.0 : 0;
	if (rc != 0)
		fprintf(stderr, "bench_report: %s exited %d\n", tool, rc);

	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (keep)
		fprintf(stderr, "bench_report: the run directory stays: %s\n", tmp);
	else if (system(cmd) != 0)
		fprintf(stderr, "bench_report: cannot remove %s\n", tmp);

	printf("run directory: %" PRIu64 " fills, equity rows, orders and decisions (synthetic "
	       "WIN backtest, written in %.1f s outside the clock)\n", n, gen_s);
	char fig[64];
	snprintf(fig, sizeof(fig), "dm-report of a %.3gM-fill run", (double)n / 1e6);
	row(fig, rc == 0 ? secs : NAN, "s", GOAL_S, "goal %.0f s", GOAL_S);
	row("  its CPU time (user + system)", cpu, "s", GOAL_S, "goal %.0f s", GOAL_S);
	row("  peak resident memory", rss, "MiB", GOAL_RSS_MIB, "goal %.0f MiB", GOAL_RSS_MIB);
	row("  the page's size", kib, "KiB", 0, NULL);
	print_table();
	printf("goal under %.0f s: %s; under %.0f MiB: %s\n", GOAL_S,
	       rc == 0 && secs < GOAL_S ? "met" : "MISSED", GOAL_RSS_MIB,
	       rss < GOAL_RSS_MIB ? "met" : "MISSED");
	return rc == 0 ? 0 : 1;
}
