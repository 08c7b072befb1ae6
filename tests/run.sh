#!/usr/bin/env bash
# run.sh DIR TEST... [-- DIR TEST...]... [-- slurm DIR]
#
# Runs Criterion test binaries DIR/tests/TEST (each with --jobs 1: its
# tests one after the other, except the WIDE ones below), prints each one's synthesis as it ends, and
# closes with one line "N passed, N failed" summed over every binary and
# build.  Binaries run side by side, DM_TEST_LANES at a time (default: the
# cores), except the ones named in SOLO below, which run alone: the stress
# tests want both cores and the multi-process suites keep their timing
# margins.  In a group the longest side-by-side binaries start first
# (SLOW), the SOLO ones come last.  A group ends before the next one starts.
# A group "slurm DIR" runs tests/slurm/run DIR (the executor's tests on a
# one-node Slurm cluster it starts and stops) and adds its counts.
# Exits 1 if any test failed or crashed, or any binary exited non-zero.
set -uo pipefail

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

lanes=${DM_TEST_LANES:-$(nproc 2>/dev/null || echo 2)}
[[ $lanes =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: DM_TEST_LANES must be a positive integer, not '$lanes'" >&2; exit 2; }
# the WIDE binaries (below) of WIDE2 run their tests this many at a time:
# each test a run against the fake terminal, mostly waiting, so twice the
# lanes (test_mt5_run 46 -> 27 s, test_mt5_live 21 -> 11 s, plain build).
# test_run keeps one test a lane: at twice, one of its kill -9 parity runs
# failed once in 21 sanitized runs beside the analysis
wide_lanes=${DM_TEST_WIDE_LANES:-$((2 * lanes))}
[[ $wide_lanes =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: DM_TEST_WIDE_LANES must be a positive integer, not '$wide_lanes'" >&2; exit 2; }
# the binaries that run alone: stress tests (ring, doorbell) and suites
# that run the six agents (their waits are sized for a machine of their own;
# test_report_browser: the agents and a headless Chromium)
SOLO=" test_ring test_doorbell test_agents test_run test_diskfull test_audit test_journal_tool test_exporter test_top test_install test_report_browser test_mt5_live test_mt5_run "
# of those, the ones whose tests run side by side (one per lane, wide_run
# below): each test a run of its own, mostly waiting on the agents'
# hand-offs
WIDE=" test_run test_mt5_live test_mt5_run "
WIDE2=" test_mt5_live test_mt5_run "
# the longest of the others (about 15 s or more in the plain build), started
# first so that no lane is left with one of them while the other idles
SLOW=" test_fmt test_hawkes_fit test_journal test_cv test_feed_tools test_report test_model test_feed_gzip test_gen test_convert test_features "

passed=0 failed=0 status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# wide_run BIN LOG: runs BIN's tests side by side, one process per test
# (--filter suite/test), at most `lanes` at a time (WIDE2: `wide_lanes`); their logs end up one
# after the other in LOG, followed by one synthesis line summed over them.
# Criterion's own --jobs N does the same inside one runner, but that
# runner leaks 48 bytes when N > 1, which fails a sanitized binary; one
# runner per test never runs two tests itself.  Returns 1 if any
# process exited non-zero or printed no synthesis.
wide_run() {
	local bin=$1 log=$2 d=$2.d name i=0 rc=0 f np=0 nf=0 nc=0 nt=0 syn width=$lanes
	[[ $WIDE2 != *" ${bin##*/} "* ]] || width=$wide_lanes
	mkdir -p "$d"
	# "suite: N tests" then one "├── test" / "└── test" line per test
	local names
	names=$("$bin" --list 2>/dev/null | awk '/^[^ ]+: [0-9]+ tests?$/ { s = $1; sub(/:$/, "", s); next }
		{ n = $NF; if (s != "" && n != "") print s "/" n }')
	if [[ -z $names ]]; then
		echo "   $bin --list: no tests" >"$log"
		return 1
	fi
	# names from --list are C identifiers: each filter matches its one test
	# (a skipped test prints no line but its synthesis counts nothing)
	if grep -qv '^[A-Za-z0-9_]*/[A-Za-z0-9_]*$' <<<"$names"; then
		echo "   $bin --list: a name that is not an identifier" >"$log"
		return 1
	fi
	for name in $names; do
		while (($(jobs -rp | wc -l) >= width)); do
			wait -n
		done
		( "$bin" --jobs 1 --filter "$name" >"$d/$i.log" 2>&1; echo $? >"$d/$i.rc" ) &
		i=$((i + 1))
	done
	wait
	: >"$log"
	for ((k = 0; k < i; k++)); do
		f=$d/$k.log
		syn=$(grep -a 'Synthesis:' "$f" | tail -n 1)
		if [[ -z $syn || $(cat "$d/$k.rc") != 0 ]]; then
			cat "$f" >>"$log"
			echo "   test $k: exit $(cat "$d/$k.rc")" >>"$log"
			rc=1
		fi
		[[ -n $syn ]] || { nf=$((nf + 1)); continue; }
		nt=$((nt + $(sed -n 's/.*Tested: \([0-9]*\).*/\1/p' <<<"$syn")))
		np=$((np + $(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$syn")))
		nf=$((nf + $(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$syn")))
		nc=$((nc + $(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$syn")))
	done
	echo "[====] Synthesis: Tested: $nt | Passing: $np | Failing: $nf | Crashing: $nc " >>"$log"
	rm -rf "$d"
	return $rc
}

# run_one BIN OUT: runs BIN, then prints its report in one piece (under a
# lock, so that two lanes never mix lines) and leaves "passed failed bad"
# in OUT.sum
run_one() {
	local bin=$1 out=$2 start=$SECONDS rc
	if [[ $WIDE == *" ${bin##*/} "* ]]; then
		wide_run "$bin" "$out.log"
	else
		"$bin" --jobs 1 >"$out.log" 2>&1
	fi
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
	# a failure again at the end, in a few lines: a log read from its tail
	# still names what failed
	if ((bad)) || [[ ${nf:-0} != 0 ]]; then
		{
			printf '%s:\n' "$bin"
			grep -a -E '\[(FAIL|----)\]|ERROR: |runtime error|no synthesis|exit [1-9]' "$out.log" | head -n 12
		} >"$out.fail"
	fi
	echo "${np:-0} ${nf:-0} $bad" >"$out.sum"
}

# The order of a group: the SLOW ones, the other side-by-side ones, then
# the SOLO ones (each waits for both lanes to drain: one drain, not one per
# SOLO binary met in the list).
run_order() {
	local t
	for t in "$@"; do [[ $SLOW == *" $t "* ]] && echo "$t"; done
	for t in "$@"; do [[ $SLOW != *" $t "* && $SOLO != *" $t "* ]] && echo "$t"; done
	for t in "$@"; do [[ $SOLO == *" $t "* ]] && echo "$t"; done
}

run_group() {
	local dir=$1; shift
	local i=0 t out
	for t in $(run_order "$@"); do
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
	for f in "$work"/*.fail; do
		[[ -e $f ]] || continue
		cat "$f" >>"$work/failures"
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

if [[ -s $work/failures ]]; then
	echo "== what failed"
	cat "$work/failures"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $status -eq 0 ]]
