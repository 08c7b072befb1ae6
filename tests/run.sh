#!/usr/bin/env bash
# run.sh DIR TEST... [-- DIR TEST...]... [-- slurm DIR]
#
# Runs Criterion test binaries DIR/tests/TEST one at a time (--jobs 1: the
# stress tests want both cores), prints each one's synthesis, and closes
# with one line "N passed, N failed" summed over every binary and build.
# A group "slurm DIR" runs tests/slurm/run DIR (the executor's tests on a
# one-node Slurm cluster it starts and stops) and adds its counts.
# Exits 1 if any test failed or crashed, or any binary exited non-zero.
set -uo pipefail

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

passed=0 failed=0 status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_group() {
	local dir=$1; shift
	for t in "$@"; do
		local bin=$dir/tests/$t
		local start=$SECONDS
		printf '== %s\n' "$bin"
		"$bin" --jobs 1 >"$log" 2>&1
		local rc=$?
		# Criterion: "[====] Synthesis: Tested: 9 | Passing: 9 | Failing: 0 | Crashing: 0"
		local syn
		syn=$(grep -a 'Synthesis:' "$log" | tail -n 1)
		local np nf nc
		np=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$syn")
		nf=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$syn")
		nc=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$syn")
		if [[ -z $syn || $rc -ne 0 ]]; then
			cat "$log"
			status=1
		fi
		if [[ -z $syn ]]; then
			echo "   $bin: no synthesis (exit $rc)"
			failed=$((failed + 1))
			continue
		fi
		passed=$((passed + ${np:-0}))
		failed=$((failed + ${nf:-0}))
		printf '   %s  (%ds)\n' "${syn#*Synthesis: }" $((SECONDS - start))
	done
}

# tests/slurm/run DIR closes with its own "N passed, N failed"
run_slurm() {
	"$(dirname "$0")/slurm/run" "$1" >"$log" 2>&1
	local rc=$? last np nf
	last=$(tail -n 1 "$log")
	np=$(sed -n 's/^\([0-9]*\) passed, [0-9]* failed$/\1/p' <<<"$last")
	nf=$(sed -n 's/^[0-9]* passed, \([0-9]*\) failed$/\1/p' <<<"$last")
	sed '$d' "$log"
	if [[ -z $np || -z $nf ]]; then
		echo "   tests/slurm/run $1: no closing line (exit $rc)"
		failed=$((failed + 1))
		status=1
		return
	fi
	passed=$((passed + np))
	failed=$((failed + nf))
	[[ $rc -ne 0 ]] && status=1
}

run_any() {
	if [[ $1 == slurm ]]; then
		run_slurm "$2"
	else
		run_group "$@"
	fi
}

group=()
for a in "$@"; do
	if [[ $a == -- ]]; then
		run_any "${group[@]}"
		group=()
	else
		group+=("$a")
	fi
done
[[ ${#group[@]} -gt 0 ]] && run_any "${group[@]}"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $status -eq 0 ]]
