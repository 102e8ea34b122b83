#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the bats suites (all of tests/bats, or the files given), each file in its own private
# sandbox (scripts/sandbox.sh) so tests use the labs' default names and never meet a lab that
# is up on the host or another test file. Files named host_*.bats run on the host namespace
# (the non-sandboxed path stays tested), alone; writeups.bats runs alone too (the chain page
# sets kernel.bpf_stats_enabled by hand, and that switch is one for the whole machine, sandboxes
# included). The other files run JOBS at a time (-j N or
# BPFLAB_TEST_JOBS, default 2); each file's output is printed whole, in order. Ends with one
# summary line: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: tests/run.sh [-j JOBS] [FILE.bats|DIR]..." >&2; exit 2; }
JOBS=${BPFLAB_TEST_JOBS:-2}
while getopts j: o; do
	case "$o" in
	j) JOBS=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ "$JOBS" =~ ^[1-9][0-9]?$ ]] || { echo "tests/run.sh: -j needs a number from 1 to 99" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "tests/run.sh: must run as root (make test re-runs it through sudo)" >&2; exit 1; }
[ $# -gt 0 ] || set -- tests/bats
files=()
for a in "$@"; do
	if [ -d "$a" ]; then
		files+=("$a"/*.bats)
	else
		[ -f "$a" ] || { echo "tests/run.sh: no such test file: $a" >&2; exit 2; }
		files+=("$a")
	fi
done
out=$(mktemp -d)
pids=()
# shellcheck disable=SC2317 # a trap handler
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$out"
}
trap cleanup EXIT
start=$SECONDS

# One file: its TAP output in out/I.tap, its status in out/I.rc.
run_file() { # I FILE
	local rc=0
	case "$(basename "$2")" in
	host_*) bats --timing "$2" >"$out/$1.tap" 2>&1 || rc=$? ;;
	*) scripts/sandbox.sh bats --timing "$2" >"$out/$1.tap" 2>&1 </dev/null || rc=$? ;;
	esac
	echo "$rc" >"$out/$1.rc"
}

# Files that must run alone first (host files share the host with nothing of ours); then the
# rest, JOBS at a time, printed in order as each one's turn comes.
alone() { case "$(basename "$1")" in host_* | writeups.bats) return 0 ;; esac; return 1; }
next_print=0
print_ready() {
	while [ "$next_print" -lt "${#files[@]}" ] && [ -f "$out/$next_print.rc" ]; do
		echo "# ${files[next_print]}"
		cat "$out/$next_print.tap"
		next_print=$((next_print + 1))
	done
}
order=()
for i in "${!files[@]}"; do alone "${files[i]}" && order+=("$i"); done
for i in "${!files[@]}"; do alone "${files[i]}" || order+=("$i"); done
for i in "${order[@]}"; do
	if alone "${files[i]}"; then
		run_file "$i" "${files[i]}"
	else
		while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
			wait -n || true
			print_ready
		done
		run_file "$i" "${files[i]}" &
		pids+=($!)
	fi
	print_ready
done
wait || true
print_ready

rc=0
cat "$out"/*.rc | grep -qvx 0 && rc=1
skip=$(cat "$out"/*.tap | grep -cE '^ok [0-9]+ .*# skip' || true)
fail=$(cat "$out"/*.tap | grep -cE '^not ok [0-9]+ ' || true)
pass=$(($(cat "$out"/*.tap | grep -cE '^ok [0-9]+ ' || true) - skip))
echo "# ${#files[@]} files in $((SECONDS - start)) s, $JOBS at a time"
echo "${pass} passed, ${fail} failed, ${skip} skipped"
exit "$rc"
