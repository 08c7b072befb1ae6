#!/usr/bin/env bash
# layering.sh — `make layering-check` fails on an include that breaks a rule.
#
# Copies the sources and the Makefile into a temporary tree, checks that the
# copy passes, then plants one bad include at a time (one per rule, and the
# ways around a rule: angle brackets, a climbing path, a folder-less name),
# runs `make layering-check LAYER_ROOT=<copy>` and expects it to fail with
# the planted file and line named.  Prints one line per case and a closing
# "N passed, N failed"; exits 1 if any case failed.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dm-layering-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

copy_tree() {
	rm -rf "$tmp/tree"
	mkdir -p "$tmp/tree"
	(cd "$here" && cp -r Makefile shm libcore agents tools "$tmp/tree/")
}

check() {
	make -s --no-print-directory -C "$here" layering-check LAYER_ROOT="$tmp/tree" \
		>"$tmp/out" 2>&1
}

passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
ko() { echo "FAIL $1"; sed 's/^/     /' "$tmp/out"; failed=$((failed + 1)); }

copy_tree
if check; then ok "the tree as it is keeps to its layers"; else ko "the tree as it is keeps to its layers"; fi

# plant FILE LINE_TEXT DESCRIPTION: the include goes after the file's first
# #include, so the line it lands on is known
plant() {
	local file=$1 text=$2 what=$3
	copy_tree
	local at
	at=$(grep -n -m1 '^#include' "$tmp/tree/$file" | cut -d: -f1)
	if [[ -z $at ]]; then
		echo "FAIL $what: $file has no #include to plant after"
		failed=$((failed + 1))
		return
	fi
	sed -i "${at}a\\
$text" "$tmp/tree/$file"
	local line=$((at + 1))
	if check; then
		ko "$what: layering-check passed with $file:$line '$text'"
	elif ! grep -q "^$file:$line: " "$tmp/out"; then
		ko "$what: layering-check did not name $file:$line"
	else
		ok "$what ($(grep -m1 "^$file:$line: " "$tmp/out"))"
	fi
}

plant libcore/market/book.c '#include "shm/ring.h"' "libcore -> shm"
plant libcore/risk/risk.h '#include "agents/rt/agents.h"' "libcore -> agents"
plant libcore/journal/journal.c '#include "tools/seg.c"' "libcore -> tools"
plant libcore/exec/exec.h '#include <shm/seg.h>' "libcore -> shm in angle brackets"
plant libcore/venue/venue.c '#include "../../shm/ring.h"' "libcore -> a climbing path"
plant libcore/venue/venue.c '#include "ring.h"' "libcore -> a folder-less name of another folder"
plant libcore/types.h '#include "feed/feed.h"' "libcore -> its own subfolder, not from the root"
plant agents/rt/dump.c '#include "../../tools/seg.c"' "agents -> tools through a climbing path"
plant shm/ring.c '#include "libcore/market/book.h"' "shm -> libcore beyond types.h"
plant shm/seg.c '#include "libcore/msg/msg.h"' "shm -> the messages"
plant shm/seg.h '#include "agents/rt/runtime.h"' "shm -> agents"
plant agents/rt/runtime.c '#include "tools/shmdump.c"' "agents -> tools"
plant tools/seg.c '#include "agents/rt/runtime.h"' "tools -> an agents/rt header other than view.h"
plant tools/shmdump.c '#include "agents/rt/state.h"' "tools -> agents/rt/state.h"
plant tools/lib/executor.c '#include "agents/rt/view.h"' "tools/lib -> agents/rt/view.h"
plant tools/lib/executor.c '#include "tools/seg.c"' "tools/lib -> a tool"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
