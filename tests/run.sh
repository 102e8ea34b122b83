#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the bats suites (all of tests/bats, or the files given), each file in its own private
# sandbox (scripts/sandbox.sh) so tests use the labs' default names and never meet a lab that
# is up on the host or another test run. Files named host_*.bats run on the host namespace
# (the non-sandboxed path stays tested). Ends with one summary line:
# "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
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
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
for f in "${files[@]}"; do
	echo "# $f" | tee -a "$log"
	case "$(basename "$f")" in
	host_*) bats --timing "$f" | tee -a "$log" || rc=1 ;;
	*) scripts/sandbox.sh bats --timing "$f" | tee -a "$log" || rc=1 ;;
	esac
done
skip=$(grep -cE '^ok [0-9]+ .*# skip' "$log" || true)
fail=$(grep -cE '^not ok [0-9]+ ' "$log" || true)
pass=$(($(grep -cE '^ok [0-9]+ ' "$log" || true) - skip))
echo "${pass} passed, ${fail} failed, ${skip} skipped"
exit "$rc"
