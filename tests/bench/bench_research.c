/*
 * bench_research.c — the research path's speed: one CPCV of the live
 * strategy (dm-cv, N = 6 groups, K = 2: 15 splits, 5 paths) over a
 * 1M-event dm-gen market with --jobs 2, its time split into samples and
 * labels, training and backtests; and a search's trials per minute on the
 * same market (dm-search, --trials, one rung of 3 groups, --jobs 2).
 *
 * Goal (docs/research.md): the CPCV under 60 s on a 2-core machine.  A
 * missed goal is printed, never fatal.  The market is made outside every
 * timed region and is in the page cache.
 *
 * Usage: bench_research [--events N] [--trials N] [--bin DIR]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/bench/bench_clock.h"
#include "tests/bench/bench_table.h"

#define GOAL_CV_S 60.0

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

int main(int argc, char **argv)
{
	uint64_t events = 1000000, trials = 8, v;
	char bindir[2048], tmp[] = "/tmp/dm-bench-research-XXXXXX", cmd[8192], p[4096];
	const char *slash = strrchr(argv[0], '/');
	snprintf(bindir, sizeof(bindir), "%.*s/../bin", slash ? (int)(slash - argv[0]) : 1,
		 slash ? argv[0] : ".");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--events") && i + 1 < argc && !parse_count(argv[i + 1], &v)) {
			events = v;
			i++;
		} else if (!strcmp(argv[i], "--trials") && i + 1 < argc &&
			   !parse_count(argv[i + 1], &v) && v >= 2) {
			trials = v;
			i++;
		} else if (!strcmp(argv[i], "--bin") && i + 1 < argc) {
			snprintf(bindir, sizeof(bindir), "%s", argv[++i]);
		} else {
			fprintf(stderr, "usage: bench_research [--events N] [--trials N] [--bin DIR]\n");
			return 2;
		}
	}
	if (!mkdtemp(tmp))
		return 1;
	snprintf(cmd, sizeof(cmd), "'%s/dm-gen' --seed 1 --events %llu --output %s/m.jnl --quiet",
		 bindir, (unsigned long long)events, tmp);
	if (sh(cmd))
		return 1;

	/* ---- one CPCV */
	snprintf(cmd, sizeof(cmd), "'%s/dm-cv' --input %s/m.jnl --groups 6 --test-groups 2 "
		 "--jobs 2 --quiet --out %s/cv", bindir, tmp, tmp);
	double t0 = ((double)mono_ns() / 1e9);
	if (sh(cmd))
		return 1;
	double wall = ((double)mono_ns() / 1e9) - t0;
	snprintf(p, sizeof(p), "%s/cv/cv.json", tmp);
	json_error_t je;
	json_t *j = json_load_file(p, 0, &je);
	if (!j)
		return 1;
	json_t *sec = json_object_get(j, "seconds");
	double n_samples = num(json_object_get(j, "samples"), "samples");

	/* ---- a search: one rung of 3 groups, `trials` trials */
	snprintf(p, sizeof(p), "%s/space.yaml", tmp);
	FILE *f = fopen(p, "w");
	if (!f)
		return 1;
	fputs("rungs: [3]\nparams:\n  strategy.min_prob: {uniform: [0.5, 0.7]}\n"
	      "  model.max_depth: {int: [3, 6]}\n  model.eta: {log_uniform: [0.05, 0.3]}\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "'%s/dm-search' --input %s/m.jnl --space %s/space.yaml "
		 "--trials %llu --jobs 2 --quiet --out %s/search", bindir, tmp, tmp,
		 (unsigned long long)trials, tmp);
	t0 = ((double)mono_ns() / 1e9);
	int src = sh(cmd);
	double swall = ((double)mono_ns() / 1e9) - t0;

	printf("market: dm-gen --seed 1, %llu events; %.0f samples; dm-cv --groups 6 "
	       "--test-groups 2 --jobs 2 (15 splits, 5 paths); dm-search --trials %llu, one rung "
	       "of 3 groups, --jobs 2\n", (unsigned long long)events, n_samples,
	       (unsigned long long)trials);
	row("CPCV N=6 K=2, whole run", wall, "s", GOAL_CV_S, "goal %.0f s", GOAL_CV_S);
	row("  samples and labels", num(sec, "samples"), "s", wall, "whole run");
	row("  training (15 splits)", num(sec, "training"), "s", wall, "whole run");
	row("  backtests (5 paths)", num(sec, "backtests"), "s", wall, "whole run");
	row("search trials per minute", src ? NAN : (double)trials / swall * 60.0, "trials/min",
	    0, NULL);
	print_table();
	printf("goal CPCV under %.0f s: %s\n", GOAL_CV_S, wall < GOAL_CV_S ? "met" : "MISSED");
	json_decref(j);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	sh(cmd);
	return src ? 1 : 0;
}
