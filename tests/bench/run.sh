#!/usr/bin/env bash
# run.sh BUILD_DIR
#
# Runs every benchmark BUILD_DIR/bench/bench_* in name order, one at a
# time (each wants both cores), passing no arguments, so each prints its
# full table.  A missed goal is reported by the benchmark itself and never
# fails the run; a benchmark that crashes or exits non-zero does.  Exits 1
# if any did (after running the rest), 2 for bad usage or no benchmarks.
set -uo pipefail

if [[ $# -ne 1 || ! -d $1 ]]; then
	echo "usage: tests/bench/run.sh BUILD_DIR   (e.g. build; run 'make benches' first)" >&2
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

status=0 broken=()
for b in "${benches[@]}"; do
	printf '== %s\n' "$b"
	start=$SECONDS
	"$b"
	rc=$?
	if [[ $rc -ne 0 ]]; then
		if [[ $rc -gt 128 ]]; then
			echo "run.sh: $b killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null || echo ?))" >&2
		else
			echo "run.sh: $b exited with status $rc" >&2
		fi
		broken+=("$b")
		status=1
	fi
	printf '   (%ds)\n\n' $((SECONDS - start))
done

if [[ $status -ne 0 ]]; then
	echo "run.sh: ${#broken[@]} of ${#benches[@]} benchmarks broke: ${broken[*]}" >&2
else
	echo "run.sh: ${#benches[@]} benchmark(s) ran, none broke"
fi
exit $status
