#!/usr/bin/env bash
# run.sh DIR TEST... [-- DIR TEST...]... [-- slurm DIR]
#
# Runs Criterion test binaries DIR/tests/TEST (each with --jobs 1: its
# tests one after the other, except the WIDE ones below), prints each one's synthesis as it ends, and
# closes with one line "N passed, N failed" summed over every binary and
# build.  Binaries run side by side, DM_TEST_LANES at a time (default: the
# cores), except the ones named in SOLO below, which run alone: the stress
# tests want both cores and the multi-process suites keep their timing
# margins.  A group ends before the next one starts.
# A group "slurm DIR" runs tests/slurm/run DIR (the executor's tests on a
# one-node Slurm cluster it starts and stops) and adds its counts.
# Exits 1 if any test failed or crashed, or any binary exited non-zero.
set -uo pipefail

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

lanes=${DM_TEST_LANES:-$(nproc 2>/dev/null || echo 2)}
[[ $lanes =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: DM_TEST_LANES must be a positive integer, not '$lanes'" >&2; exit 2; }
# the binaries that run alone: stress tests (ring, doorbell) and suites
# that run the six agents (their waits are sized for a machine of their own;
# test_report_browser: the agents and a headless Chromium)
SOLO=" test_ring test_doorbell test_agents test_run test_diskfull test_audit test_journal_tool test_exporter test_top test_install test_report_browser test_mt5_live test_mt5_run "
# of those, the ones whose tests run side by side inside the binary
# (Criterion --jobs, one per lane): each test a run of its own, mostly
# waiting on the agents' hand-offs
WIDE=" test_run "

passed=0 failed=0 status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run_one BIN OUT: runs BIN, then prints its report in one piece (under a
# lock, so that two lanes never mix lines) and leaves "passed failed bad"
# in OUT.sum
run_one() {
	local bin=$1 out=$2 start=$SECONDS rc jobs=1
	# not under the sanitizers: there Criterion's runner leaks 48 bytes
	# when it runs tests side by side, and LeakSanitizer fails the binary
	[[ $WIDE == *" ${bin##*/} "* && $bin != */san-* ]] && jobs=$lanes
	"$bin" --jobs "$jobs" >"$out.log" 2>&1
	rc=$?
	# Criterion: "[====] Synthesis: Tested: 9 | Passing: 9 | Failing: 0 | Crashing: 0"
	local syn np nf bad=0
	syn=$(grep -a 'Synthesis:' "$out.log" | tail -n 1)
	np=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$syn")
	nf=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$syn")
	{
		printf '== %s\n' "$bin"
		if [[ -z $syn || $rc -ne 0 ]]; then
			cat "$out.log"
			bad=1
		fi
		if [[ -z $syn ]]; then
			echo "   $bin: no synthesis (exit $rc)"
			np=0 nf=1
		else
			printf '   %s  (%ds)\n' "${syn#*Synthesis: }" $((SECONDS - start))
		fi
	} >"$out.txt"
	flock "$work/lock" cat "$out.txt"
	echo "${np:-0} ${nf:-0} $bad" >"$out.sum"
}

run_group() {
	local dir=$1; shift
	local i=0 t out
	for t in "$@"; do
		out=$work/$((i++))
		if [[ $SOLO == *" $t "* ]]; then
			wait
			run_one "$dir/tests/$t" "$out"
		else
			while (($(jobs -rp | wc -l) >= lanes)); do
				wait -n
			done
			run_one "$dir/tests/$t" "$out" &
		fi
	done
	wait
	local np nf bad f
	for f in "$work"/*.sum; do
		[[ -e $f ]] || continue
		read -r np nf bad <"$f"
		passed=$((passed + np))
		failed=$((failed + nf))
		((bad)) && status=1
		rm -f "$f"
	done
}

# tests/slurm/run DIR closes with its own "N passed, N failed"
run_slurm() {
	local log=$work/slurm.log
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
