/*
 * bench_study.c — dm-study's speed: the whole study (one pass over the
 * file, then the regressions, the decompositions and the three Hawkes
 * fits) of a 2M-event dm-gen journal, made once before any timing.
 *
 * Goal (docs/study.md): under 10 s on a 2-core machine.  One untimed run
 * warms the page cache; then three timed runs, the median reported, with
 * its split into the pass and the estimates (dm-study --json "seconds").
 * A missed goal is printed, never fatal.
 *
 * Usage: bench_study [--events N] [--bin DIR]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/bench/bench_clock.h"
#include "tests/bench/bench_table.h"

#define GOAL_S 10.0
#define RUNS   3

static int sh(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	uint64_t events = 2000000, v;
	char bindir[2048], tmp[] = "/tmp/dm-bench-study-XXXXXX", cmd[8192], p[4096];
	const char *slash = strrchr(argv[0], '/');
	snprintf(bindir, sizeof(bindir), "%.*s/../bin", slash ? (int)(slash - argv[0]) : 1,
		 slash ? argv[0] : ".");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--events") && i + 1 < argc && !parse_count(argv[i + 1], &v)) {
			events = v;
			i++;
		} else if (!strcmp(argv[i], "--bin") && i + 1 < argc) {
			snprintf(bindir, sizeof(bindir), "%s", argv[++i]);
		} else {
			fprintf(stderr, "usage: bench_study [--events N] [--bin DIR]\n");
			return 2;
		}
	}
	if (!mkdtemp(tmp))
		return 1;
	snprintf(cmd, sizeof(cmd), "'%s/dm-gen' --seed 1 --events %llu --output %s/m.jnl --quiet",
		 bindir, (unsigned long long)events, tmp);
	if (sh(cmd))
		return 1;
	snprintf(p, sizeof(p), "%s/study.json", tmp);
	snprintf(cmd, sizeof(cmd), "'%s/dm-study' %s/m.jnl --json --quiet > %s", bindir, tmp, p);
	if (sh(cmd))
		return 1;

	double wall[RUNS], rd[RUNS], est[RUNS], hawkes_n = NAN, trades = NAN;
	for (int r = 0; r < RUNS; r++) {
		int64_t t0 = mono_ns();
		if (sh(cmd))
			return 1;
		wall[r] = (double)(mono_ns() - t0) / 1e9;
		json_error_t je;
		json_t *j = json_load_file(p, 0, &je);
		if (!j)
			return 1;
		json_t *sec = json_object_get(j, "seconds");
		rd[r] = num(sec, "read");
		est[r] = num(sec, "estimates");
		hawkes_n = num(json_object_get(j, "hawkes"), "events");
		trades = num(json_object_get(j, "events"), "trade");
		json_decref(j);
	}
	double ws[RUNS];
	memcpy(ws, wall, sizeof(ws));
	qsort(ws, RUNS, sizeof(double), cmp_d);
	int mid = 0;
	for (int r = 0; r < RUNS; r++)
		if (wall[r] == ws[RUNS / 2])
			mid = r;

	printf("market: dm-gen --seed 1, %llu events (%.0f trades, %.0f Hawkes events); "
	       "dm-study --json, median of %d runs after one warm-up\n",
	       (unsigned long long)events, trades, hawkes_n, RUNS);
	row("dm-study, whole run", wall[mid], "s", GOAL_S, "goal %.0f s", GOAL_S);
	row("  the pass over the file", rd[mid], "s", wall[mid], "whole run");
	row("  estimates and Hawkes fits", est[mid], "s", wall[mid], "whole run");
	row("events per second of the pass", (double)events / rd[mid], "events/s", 0, NULL);
	print_table();
	printf("goal dm-study of %llu events under %.0f s: %s\n", (unsigned long long)events,
	       GOAL_S, met(wall[mid] < GOAL_S));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	sh(cmd);
	return 0;
}
