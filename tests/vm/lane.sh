#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The vmtest job, run inside the VM by guest.sh (or on any machine, as root):
#   tests/vm/lane.sh [--check] WORD...
# WORD: lane     the default lane (LANE below: what CI runs after `make test`)
#       timing   the tests that once depended on timing (TIMING below)
#       all      every file in tests/bats and tests/vm
#       NAME     tests/bats/NAME.bats or tests/vm/NAME.bats, whole
#       NAME:RE  only the tests of NAME whose name matches the regex RE (bats --filter)
#       ?NAME:RE the same, but matching no test is a skip, not a failure
# Streams TAP; writes the summary "N passed, N failed, N skipped" to $VMTEST_OUT/summary and
# the whole TAP stream to $VMTEST_OUT/tap when VMTEST_OUT is set. Exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The default lane: the paths this host's kernel cannot run, and a smoke of lab 2. Kept under
# ~10 min of TCG emulation on an idle 2-core machine (every fork+exec costs 50-100 ms there).
LANE=(
	"kernel"
	"bpf2bpf:^(up: probes|kprobe path|fentry path)"
	"peers"
	"lab2:^(verdict: ICMP echo reply is dropped|sockmap: tcpdump on lo)"
	# GLB: Linux's own FOU/GUE receive path decapsulates glb_fwd's packet (issue 11).
	"glb:FOU"
)
# `timing`: the three tests that once waited on time windows and failed under emulation.
TIMING=(
	"bpf2bpf:^lost events"
	"lab2:^sockmap: tcpdump on lo"
	"tailcall:^live: the filled table"
)

file_of() { # NAME -> path of its bats file
	local f
	for f in "tests/bats/$1.bats" "tests/vm/$1.bats"; do
		[ ! -f "$f" ] || {
			echo "$f"
			return 0
		}
	done
	return 1
}

check=0
[ "${1:-}" != --check ] || {
	check=1
	shift
}
[ $# -gt 0 ] || set -- lane
entries=()
for w in "$@"; do
	case $w in
	lane) entries+=("${LANE[@]}") ;;
	timing) entries+=("${TIMING[@]}") ;;
	all) for f in tests/bats/*.bats tests/vm/*.bats; do entries+=("$(basename "$f" .bats)"); done ;;
	*) entries+=("$w") ;;
	esac
done
for e in "${entries[@]}"; do
	e=${e#\?}
	file_of "${e%%:*}" >/dev/null || {
		echo "lane.sh: no test file for '${e%%:*}' (tests/bats/${e%%:*}.bats or tests/vm/${e%%:*}.bats)" >&2
		echo "usage: tests/vm/lane.sh [lane|all|NAME|NAME:REGEX]..." >&2
		exit 2
	}
done
[ "$check" = 0 ] || exit 0

# One hung test must not eat the lane's whole time budget (vmtest.sh's hard timeout). The
# lane's tests take under a minute each; outside it, the kill-point tests run 10+ minutes
# under TCG (glb's 7-stride kill test: 389 s, and over 400 s in a slower run).
quick=1
for w in "$@"; do [[ $w == lane || $w == timing ]] || quick=0; done
if [ "$quick" = 1 ]; then
	export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-400}
else
	export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-1500}
fi
out=${VMTEST_OUT:-$(mktemp -d)}
tap=$out/tap
: >"$tap"
rc=0
for e in "${entries[@]}"; do
	optional=0
	[[ $e != \?* ]] || optional=1 e=${e#\?}
	f=$(file_of "${e%%:*}")
	args=(--tap --timing)
	[[ $e != *:* ]] || args+=(--filter "${e#*:}")
	echo "# ---- $f${e#"${e%%:*}"}"
	start=$(date +%s)
	bats "${args[@]}" "$f" 2>&1 | tee "$out/one" || rc=1
	cat "$out/one" >>"$tap"
	# A filter that matches nothing (a renamed test) must not pass silently.
	if ! grep -qE '^(not )?ok [0-9]+ ' "$out/one"; then
		if [ "$optional" = 1 ]; then
			echo "ok 0 lane entry '$e' # skip no test matches (optional entry)" | tee -a "$tap"
		else
			echo "not ok 0 lane entry '$e' ran no test" | tee -a "$tap"
			rc=1
		fi
	fi
	echo "# ---- $f: $(($(date +%s) - start)) s"
done
skip=$(grep -cE '^ok [0-9]+ .*# skip' "$tap" || true)
fail=$(grep -cE '^not ok [0-9]+ ' "$tap" || true)
pass=$(($(grep -cE '^ok [0-9]+ ' "$tap" || true) - skip))
summary="${pass} passed, ${fail} failed, ${skip} skipped"
if [ -n "${VMTEST_OUT:-}" ]; then
	# The host prints it as "vm: ..." (one summary line per run, for CI's count).
	echo "$summary" >"$out/summary"
	echo "# lane: $summary"
else
	echo "$summary"
fi
rm -f "$out/one"
[ -n "${VMTEST_OUT:-}" ] || rm -rf "$out"
[ "$fail" = 0 ] || rc=1
exit "$rc"
