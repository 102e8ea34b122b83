#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: measure every lab's performance claim side by side in one run, as ratios to a
# baseline measured in the same run, and write build/bench/report.md (+ PNG plots, raw.csv,
# summary.csv, summary.json). One file per benchmark: scripts/bench/b-<name>.sh.
# Benchmarks are not tests: nothing here asserts a number.
set -euo pipefail

PROG=bench.sh
LAB=bench
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/../lib/lab.sh"
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/bench/lib.sh
. "$BENCH_DIR/lib.sh"
# shellcheck source=scripts/bench/report.sh
. "$BENCH_DIR/report.sh"
for _f in "$BENCH_DIR"/b-*.sh; do
	# shellcheck disable=SC1090 # one file per benchmark
	. "$_f"
done

usage() {
	cat <<EOF
Usage: $PROG [options] [NAME...]

Run the benchmarks NAME... (default: all) and write OUT/report.md, OUT/*.png, OUT/raw.csv,
OUT/summary.csv and OUT/summary.json. Progress goes to stderr.

Benchmarks: $BENCHES

  --smoke       seconds, not minutes: every benchmark named (default: xdp tailcall bpf2bpf)
                with tiny counts, to prove the harness end to end (numbers meaningless)
  --out DIR     where the report goes (default build/bench)
  --id ID       suffix of every netns, veth, cgroup and pin name (default: from the PID)
  --list        print the benchmark names and exit
  --report-only rebuild OUT/report.md, the summaries and plots from OUT/raw.csv (no measuring)
  --dry-run     print what would run, change nothing
  --step, -v, -h  as in the lab scripts
Environment: BPFLAB_PIN (pins go to \$BPFLAB_PIN/bench-ID).
EOF
}

REPORT_ONLY=0 SMOKE=0 OUT=$BUILD_DIR/bench ID=$(printf '%04x' $(($$ % 65536))) NAMES=()
while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) SMOKE=1 ;;
	--report-only) REPORT_ONLY=1 ;;
	--list)
		tr ' ' '\n' <<<"$BENCHES"
		exit 0
		;;
	--out | --id)
		[ -n "${2:-}" ] || usage_error "$1 needs a value"
		if [ "$1" = --out ]; then OUT=$2; else ID=$2; fi
		shift
		;;
	-*) parse_common_opt "$1" || usage_error "unknown option '$1'" ;;
	*) NAMES+=("$1") ;;
	esac
	shift
done
[[ "$ID" =~ ^[a-z0-9]{1,4}$ ]] || usage_error "--id: 1-4 lowercase letters or digits (names must fit 15 characters)"
for n in "${NAMES[@]}"; do
	[[ " $BENCHES " == *" $n "* ]] || {
		echo "$PROG: unknown benchmark '$n'" >&2
		echo "Valid names: $BENCHES" >&2
		exit 2
	}
done
if [ "${#NAMES[@]}" -eq 0 ]; then
	if [ "$SMOKE" = 1 ]; then NAMES=(xdp tailcall bpf2bpf); else read -ra NAMES <<<"$BENCHES"; fi
fi

if [ "$REPORT_ONLY" = 1 ]; then
	RAW=$OUT/raw.csv SUMMARY=$OUT/summary.csv
	[ -f "$RAW" ] || die "no raw.csv in $OUT" "run the benchmarks first"
	[ -f "$OUT/header.tsv" ] || die "no header.tsv in $OUT" "run the benchmarks first"
	RAN=$(for n in $BENCHES; do if grep -q "^$n," "$RAW" || grep -q "^$n	" "$OUT/skipped.tsv" 2>/dev/null; then echo "$n"; fi; done)
	report_build "$(jq -r '.status // "complete"' "$OUT/summary.json" 2>/dev/null || echo complete)"
	progress "report: $OUT/report.md (rebuilt from raw.csv)"
	exit 0
fi
if [ "$DRY_RUN" = 1 ]; then
	for n in "${NAMES[@]}"; do echo "would run: $(bench_title "$n")$([ "$SMOKE" = 1 ] && echo " (smoke)")"; done
	echo "report: $OUT/report.md"
	exit 0
fi
need_root "$@"
check_prereq bpftool:bpftool jq:jq ip:iproute2 awk:mawk
check_bpffs
check_built "$BUILD_DIR/bench_xdp.bpf.o" "$PINFILL"

LAB=bench-$ID
BPIN=$(pin_dir)
RAW=$OUT/raw.csv SUMMARY=$OUT/summary.csv
[ ! -e "$BPIN" ] || die "$BPIN exists already" "another benchmark with --id $ID? otherwise: rm -r $BPIN"
mkdir -p "$OUT"
rm -rf "$OUT/notes" "$OUT"/*.png "$OUT"/*.dat "$OUT/gnuplot.log" "$OUT/skipped.tsv"
mkdir -p "$OUT/notes"
echo "$RAW_HEADER" >"$RAW"
: >"$OUT/skipped.tsv"
TMPD=$(mktemp -d /tmp/bpflab-bench-XXXXXX)
make_frames "$TMPD"
CUR="" RAN=""

lib_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
{
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'kernel\t%s\n' "$(uname -r)"
	printf 'cpu\t%s\n' "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	printf 'cores\t%s\n' "$(nproc)"
	printf 'clang\t%s\n' "$(clang --version 2>/dev/null | head -n1)"
	printf 'libbpf\t%s\n' "$(lib_version libbpf-dev)"
	printf 'bpftool\t%s\n' "$(bpftool version 2>/dev/null | head -n1)"
	printf 'load at start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf 'mode\t%s\n' "$([ "$SMOKE" = 1 ] && echo "smoke (tiny counts: the numbers mean nothing)" || echo full)"
} >"$OUT/header.tsv"

finish() { # STATUS
	trap - EXIT INT TERM
	run_cleanups
	[ ! -d "$BPIN" ] || {
		find "$BPIN" -type f | while read -r p; do prog_array_empty "$p" 2>/dev/null; done
		rm -rf "$BPIN"
	}
	rmdir "$BPFLAB_PIN" 2>/dev/null || true
	rm -rf "$TMPD"
	printf 'load at end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/header.tsv"
	report_build "$1"
	progress "report: $OUT/report.md ($1)"
}
# Ctrl-C (or TERM): the running benchmark gets TERM and removes what it made, then the report
# is written with what was measured, marked partial.
CHILD=""
on_signal() {
	trap '' INT TERM
	[ -z "$CHILD" ] || {
		kill -TERM "$CHILD" 2>/dev/null || true
		wait "$CHILD" 2>/dev/null || true
	}
	finish "partial: interrupted during ${CUR:-setup}"
	exit 130
}
trap on_signal INT TERM
trap 'finish "partial: failed during ${CUR:-setup}"' EXIT

exec 3<&0
for CUR in "${NAMES[@]}"; do
	progress "$(bench_title "$CUR")"
	RAN+=" $CUR"
	mkdir -p "$BPIN/$CUR"
	# In a subshell: a benchmark that dies is reported and the others still run; its cleanups
	# run when it exits. In the background with `wait`, so a signal reaches on_signal at once
	# (stdin passed on explicitly for --step: a background job would get /dev/null).
	(
		trap run_cleanups EXIT
		trap 'exit 130' INT TERM
		"bench_$CUR"
	) <&3 &
	CHILD=$!
	rc=0
	wait "$CHILD" || rc=$?
	CHILD=""
	[ "$rc" = 0 ] || skip_part "failed with exit status $rc (the error is on stderr); partial results kept"
	report_build "partial: running"
done
CUR=""
finish complete
