#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the bats suites (all of tests/bats, or the files given) and end with one summary line:
# "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "tests/run.sh: must run as root (make test re-runs it through sudo)" >&2; exit 1; }
if [ $# -eq 0 ]; then set -- tests/bats; fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
bats --timing "$@" | tee "$log" || rc=$?
skip=$(grep -cE '^ok [0-9]+ .*# skip' "$log" || true)
fail=$(grep -cE '^not ok [0-9]+ ' "$log" || true)
pass=$(($(grep -cE '^ok [0-9]+ ' "$log" || true) - skip))
echo "${pass} passed, ${fail} failed, ${skip} skipped"
exit "$rc"
