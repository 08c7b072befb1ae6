#!/usr/bin/env bash
# run.sh [--smoke] BUILD_DIR
#
# Runs every benchmark BUILD_DIR/bench/bench_* in name order, one at a
# time (each wants both cores), passing no arguments, so each prints its
# full table.  A missed goal is reported by the benchmark itself and never
# fails the run; a benchmark that crashes or exits non-zero does.  Exits 1
# if any did (after running the rest), 2 for bad usage or no benchmarks.
#
# --smoke: each benchmark on a small input (SMOKE below: every path of the
# full run, tools and agents included, in a few seconds), its table kept
# out of sight; one line per benchmark, and the output's last lines when
# one breaks.  make test runs it, so a benchmark that no longer runs
# (an option of a tool it calls changed, say) fails the tests rather than
# the next make bench.  The figures of a smoke run mean nothing.
set -uo pipefail

# the small input of each benchmark; a benchmark missing here is an error
# in --smoke (add its line with it)
declare -A SMOKE=(
	[bench_ac]="--samples 1000"
	[bench_agents]="--events 2000 --seconds 1 --rt-priority 0"
	[bench_backtest]="--events 20000 --lockstep-events 2000 --reps 1"
	[bench_execsvc]="--events 20000 --reps 1"
	[bench_exporter]="--events 2000 --renders 20 --scrapes 20"
	[bench_features]="--events 20000 --reps 1"
	[bench_md]="--events 20000 --rows 20000 --mt5-rows 20000 --write-mb 8 --convert-gb 0.01 --reps 1"
	[bench_model]="--rows 2000 --calls 500"
	[bench_mt5]="--frames 5000 --reps 1 --live-ticks 200"
	[bench_report]="--fills 500"
	[bench_research]="--events 30000 --trials 2"
	[bench_ring]="--msgs 200000 --reps 1 --rtt 2000 --slow-rtt 200"
	[bench_study]="--events 20000"
)

smoke=0
if [[ ${1:-} == --smoke ]]; then
	smoke=1
	shift
fi
if [[ $# -ne 1 || ! -d $1 ]]; then
	echo "usage: tests/bench/run.sh [--smoke] BUILD_DIR   (e.g. build; run 'make benches' first)" >&2
	exit 2
fi
dir=$1

shopt -s nullglob
benches=()
for b in "$dir"/bench/bench_*; do
	[[ -f $b && -x $b ]] && benches+=("$b")
done
if [[ ${#benches[@]} -eq 0 ]]; then
	echo "run.sh: no benchmarks in $dir/bench (run 'make benches')" >&2
	exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0 broken=()
for b in "${benches[@]}"; do
	name=${b##*/}
	start=$SECONDS
	if [[ $smoke -eq 1 ]]; then
		if [[ -z ${SMOKE[$name]+x} ]]; then
			echo "run.sh: $name has no smoke input (SMOKE in tests/bench/run.sh)" >&2
			broken+=("$b")
			status=1
			continue
		fi
		# shellcheck disable=SC2086 # the options are words
		"$b" ${SMOKE[$name]} >"$work/out" 2>&1
	else
		printf '== %s\n' "$b"
		"$b"
	fi
	rc=$?
	if [[ $rc -ne 0 ]]; then
		if [[ $smoke -eq 1 ]]; then
			echo "== $b ${SMOKE[$name]}: the last lines"
			tail -n 20 "$work/out"
		fi
		if [[ $rc -gt 128 ]]; then
			echo "run.sh: $b killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null || echo ?))" >&2
		else
			echo "run.sh: $b exited with status $rc" >&2
		fi
		broken+=("$b")
		status=1
	fi
	if [[ $smoke -eq 1 ]]; then
		printf '   %-16s %s (%ds)\n' "$name" "$([[ $rc -eq 0 ]] && echo ran || echo BROKE)" \
		       $((SECONDS - start))
	else
		printf '   (%ds)\n\n' $((SECONDS - start))
	fi
done

what=$([[ $smoke -eq 1 ]] && echo "benchmark smoke(s)" || echo "benchmark(s)")
if [[ $status -ne 0 ]]; then
	echo "run.sh: ${#broken[@]} of ${#benches[@]} $what broke: ${broken[*]}" >&2
else
	echo "run.sh: ${#benches[@]} $what ran, none broke"
fi
exit $status
