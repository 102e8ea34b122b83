#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Grade a student's exercise (exercises/<lab>/) check by check: build it with the project's
# flags, load it (the verifier's verdict), then run it against the solution in bpf/ and live.
# Everything runs in a private sandbox (scripts/sandbox.sh); nothing stays behind.
set -euo pipefail

PROG=check.sh
LAB=check
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/lib/lab.sh"
# shellcheck source=scripts/lib/check.sh
. "$(dirname "$0")/lib/check.sh"
# shellcheck source=scripts/lib/check_lab2.sh
. "$(dirname "$0")/lib/check_lab2.sh"
# shellcheck source=scripts/lib/check_labs.sh
. "$(dirname "$0")/lib/check_labs.sh"
# shellcheck source=scripts/lib/check_glb.sh
. "$(dirname "$0")/lib/check_glb.sh"

LABS="lab2 tailcall chain xdpcap bpf2bpf glb"

usage() {
	cat <<EOF
Usage: $PROG [options] LAB FILE.bpf.c
       $PROG [options] LAB DIR        (every *.bpf.c under DIR: one row per file)

Grade an exercise: LAB is one of: $LABS (starters in exercises/LAB/).
  lab2      an XDP program that drops ICMP/ICMPv6 echo replies (verdicts on ~500 crafted
            frames against bpf/xdp_drop_ping.bpf.c, then a live ping), or a sockops or
            sk_msg program for sock_ops_map (paired with the solution's other half)
  tailcall  entry/classifier_0..2 on jmp_table: the return values as slots are emptied
  chain     a chain member: runs in its slot and continues the chain (bpf/chain.bpf.h)
  xdpcap    an XDP program that leaves through the xdpcap exit hook
  bpf2bpf   the tracepoint pair calling one __noinline subprogram: the pseudo call, the events
  glb       the GLB director glb_fwd: verdicts and bytes on ~20,000 generated frames against
            GLB's specification, then a table swapped in while it is loaded

Options:
  --json      one JSON object per file (a JSON array for a DIR)
  --csv       one CSV row per file, with a header line
  --no-live   skip the live checks (attach to a device, real traffic)
  -v          show each command the checker runs
  -h, --help  this help

Exit status: 0 every check passed, 1 some check failed, 2 usage error.
Runs as root, in a private sandbox of its own (scripts/sandbox.sh).
EOF
}

OUT=text LIVE=1 LAB_ARG="" TARGET=""
ARGV=("$@")
while [ $# -gt 0 ]; do
	case "$1" in
	--json) OUT=json ;;
	--csv) OUT=csv ;;
	--no-live) LIVE=0 ;;
	-v | --verbose) VERBOSE=1 ;;
	-h | --help) usage && exit 0 ;;
	-*) usage_error "unknown option '$1'" ;;
	*)
		if [ -z "$LAB_ARG" ]; then LAB_ARG=$1
		elif [ -z "$TARGET" ]; then TARGET=$1
		else usage_error "unexpected argument '$1'"; fi
		;;
	esac
	shift
done
[ -n "$TARGET" ] || usage_error "missing LAB and FILE"
[[ " $LABS " == *" $LAB_ARG "* ]] || usage_error "unknown lab '$LAB_ARG' (one of: $LABS)"
[ -e "$TARGET" ] || die "no such file or directory: $TARGET" "give the path of your .bpf.c file, e.g. exercises/$LAB_ARG/"
[ -d "$TARGET" ] || [[ $TARGET == *.c ]] || die "$TARGET is not a C file" "give the .bpf.c source, not the object"

[ "$(id -u)" = 0 ] || die "must run as root (it loads BPF programs)" "sudo $0 ${ARGV[*]}"
check_prereq clang:clang llvm-objdump:llvm bpftool:bpftool jq:jq ip:iproute2 make:make
for f in "$BUILD_DIR/vmlinux.h" "$BUILD_DIR/check_xdp" "$BUILD_DIR/xdpfuzz" "$BUILD_DIR/glbtable" "$PINFILL"; do
	[ -e "$f" ] || die "the project is not built ($f is missing)" "run 'make' first"
done
# Outside a sandbox: run again inside a private one, so pins, devices and cgroups stay there.
if [ -z "${BPFLAB_SANDBOX:-}" ]; then
	exec "$BPFLAB_ROOT/scripts/sandbox.sh" "$BPFLAB_ROOT/scripts/check.sh" "${ARGV[@]}"
fi

# ---- a directory: every file graded by a run of its own, one row each
if [ -d "$TARGET" ]; then
	rows=$(mktemp)
	trap 'rm -f "$rows" "$rows.err"' EXIT
	flags=(--json)
	[ "$LIVE" = 1 ] || flags+=(--no-live)
	[ "$VERBOSE" != 1 ] || flags+=(-v)
	n=0
	while IFS= read -r f; do
		n=$((n + 1))
		s=${f#"${TARGET%/}"/}
		s=${s%.bpf.c}
		res=$("$0" "${flags[@]}" "$LAB_ARG" "$f" </dev/null 2>"$rows.err") || true
		# A run that stopped without its JSON (the checker itself failed) still gets its row.
		jq -ce --arg s "$s" '.student = $s' <<<"$res" >>"$rows" 2>/dev/null ||
			jq -nc --arg s "$s" --arg lab "$LAB_ARG" --arg f "$f" --arg e "$(tail -n 2 "$rows.err")" \
				'{student: $s, lab: $lab, file: $f, passed: 0, failed: 1, total: 1, ok: false,
				  checks: [{name: "checker", ok: false, message: ("the checker stopped: " + $e), details: ""}]}' >>"$rows"
	done < <(find "$TARGET" -name '*.bpf.c' -type f | sort)
	[ "$n" -gt 0 ] || die "no *.bpf.c file under $TARGET"
	case "$OUT" in
	json) jq -s . "$rows" ;;
	csv) ck_csv <"$rows" ;;
	*) jq -r '"\(.student)\t\(if .ok then "PASS" else "FAIL" end)\t\(.passed)/\(.total)\t\([.checks[] | select(.ok | not) | "\(.name): \(.message)"] | first // "")"' "$rows" ;;
	esac
	jq -se 'all(.ok)' "$rows" >/dev/null
	exit
fi

# ---- one file
SRC=$(cd "$(dirname "$TARGET")" && pwd)/$(basename "$TARGET")
STUDENT=$(basename "$SRC" .c)
STUDENT=${STUDENT%.bpf}
[ "$OUT" = text ] || CK_MODE=json
CK_TMP=$(mktemp -d)
CK_PIN=/sys/fs/bpf/bpflab-check-$$
CK_CLEANUP=()
ck_cleanup() {
	local i
	for ((i = ${#CK_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CK_CLEANUP[i]}" >/dev/null 2>&1 || true; done
	[ ! -d "$CK_PIN" ] || find "$CK_PIN" -depth -delete 2>/dev/null || true
	rm -rf "$CK_TMP"
}
trap ck_cleanup EXIT
mkdir -p "$CK_PIN"
[ "$CK_MODE" = json ] || echo "== $PROG $LAB_ARG $TARGET"
if ck_build "$SRC" "$CK_TMP/student.bpf.o"; then
	"grade_$LAB_ARG" "$CK_TMP/student.bpf.o" || true
fi
case "$OUT" in
json) ck_json "$STUDENT" "$LAB_ARG" "$TARGET" ;;
csv) ck_json "$STUDENT" "$LAB_ARG" "$TARGET" | ck_csv ;;
*) ck_summary ;;
esac
! ck_failed
