#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# See the objects: the programs, maps, links and pins of a lab that is up, who holds a
# reference to each (pins, devices, cgroups, links, prog-array slots, sockmaps, processes with
# an fd) and what each holds, as text (default), JSON, or a graphviz picture. Only reads.
#
#   pin lab2/xdp_drop_ping --> prog xdp_drop_ping --uses--> map xdpcap_hook
#   device bpflab0 --xdp driver--> prog xdp_drop_ping
#   map jmp_table --slot 0--> prog classifier_0
set -euo pipefail

PROG=graph.sh
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/graph.sh
. "$(dirname "$0")/lib/graph.sh"
G_LIB=$BPFLAB_ROOT/scripts/lib

usage() {
	cat <<EOF
Usage: $PROG [options] [LAB]

Draw what is live now under \$BPFLAB_PIN/LAB (without LAB: under \$BPFLAB_PIN): programs, maps,
links and pins, and who holds a reference to what: pins, XDP and tc attachments on devices,
cgroup programs, programs on a sockmap, prog-array slots, inner maps of map-in-map, links,
processes with an fd. Default output: text on stdout, one section per object,
"<-" lines for what holds a reference to it, "->" lines for what it holds.

  -o FILE        write a picture instead: FILE.png, FILE.svg (graphviz), FILE.dot,
                 FILE.txt or FILE.json
  --json         the graph as JSON on stdout ({objects, edges})
  --dot          graphviz source on stdout
  -v, --verbose  print each command it runs (the bpftool commands to type yourself)
  --step         print each command and pause before it
  --dry-run      print the first commands, run nothing
  -h, --help     this help

Examples: $PROG lab2;  $PROG -o lab2.svg lab2;  $PROG tailcall > before.txt; rm PIN;
  $PROG tailcall | diff before.txt -
Environment: BPFLAB_PIN (default /sys/fs/bpf/bpflab).
EOF
}

# The labs the scripts know: LAB=name lines of scripts/*.sh.
known_labs() {
	sed -n 's/^LAB=\([A-Za-z0-9_.-]*\)$/\1/p' "$BPFLAB_ROOT"/scripts/*.sh 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# The script whose LAB= is $1 (for the hint), or empty.
lab_script() {
	{ grep -l "^LAB=$1\$" "$BPFLAB_ROOT"/scripts/*.sh 2>/dev/null || true; } | head -n1 | sed "s|^$BPFLAB_ROOT/||"
}

# The labs with pins now.
labs_up() {
	{ find "$BPFLAB_PIN" -mindepth 2 -type f 2>/dev/null || true; } | sed "s|^$BPFLAB_PIN/||; s|/.*||" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

check_target() { # DIR LAB
	local dir=$1 lab=$2 up script
	[ "$DRY_RUN" = 1 ] && return 0
	[ -n "$({ find "$dir" -type f 2>/dev/null || true; } | head -n1)" ] && return 0
	up=$(labs_up)
	if [ -z "$lab" ]; then
		die "no lab is up: nothing is pinned under $BPFLAB_PIN" "bring one up, e.g. scripts/lab2.sh up (labs: $(known_labs))"
	fi
	script=$(lab_script "$lab")
	if [ -z "$script" ] && [ ! -d "$dir" ]; then
		die "unknown lab '$lab': nothing is pinned under $dir" "labs: $(known_labs)${up:+; up now: $up}"
	fi
	die "lab '$lab' is not up: nothing is pinned under $dir" "bring it up: ${script:-scripts/$lab.sh} up${up:+ (up now: $up)}"
}

OUT="" FMT=text LAB_ARG="" ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
	case "$1" in
	-o | --output)
		{ [ $# -ge 2 ] && [ -n "$2" ]; } || usage_error "$1 needs a file name"
		OUT=$2
		shift
		;;
	--json) FMT=json ;;
	--dot) FMT="dot" ;;
	-*) parse_common_opt "$1" || usage_error "unknown option '$1'" ;;
	*)
		[ -z "$LAB_ARG" ] || usage_error "one LAB at a time (got '$LAB_ARG' and '$1')"
		[[ "$1" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || usage_error "'$1' is not a lab name"
		LAB_ARG=$1
		;;
	esac
	shift
done
if [ -n "$OUT" ]; then
	case "$OUT" in
	*.png) FMT=png ;;
	*.svg) FMT=svg ;;
	*.dot | *.gv) FMT="dot" ;;
	*.txt) FMT=text ;;
	*.json) FMT=json ;;
	*) usage_error "-o $OUT: the file name must end in .png, .svg, .dot, .txt or .json" ;;
	esac
fi
[ "$STEP" = 1 ] || [ "$DRY_RUN" = 1 ] && VERBOSE=1
need_root "${ORIG_ARGS[@]}"
[ -n "$BPFLAB_PIN" ] || die "BPFLAB_PIN is set but empty" "unset it to use the default (/sys/fs/bpf/bpflab)"
check_prereq bpftool:bpftool jq:jq ip:iproute2 nsenter:util-linux
case "$FMT" in png | svg) check_prereq dot:graphviz ;; esac
check_built "$PINFILL" "$MAPPROGS"
DIR=$BPFLAB_PIN${LAB_ARG:+/$LAB_ARG}
check_target "$DIR" "$LAB_ARG"

g_collect "$DIR"
[ "$FMT" != png ] && [ "$FMT" != svg ] || g_show dot "-T$FMT" || true
[ "$DRY_RUN" = 0 ] || exit 0
GRAPH=$(jq -c 'include "graph"; model' -L "$G_LIB" <<<"$G_RAW")
render() {
	case "$FMT" in
	text) jq -r 'include "graph"; text' -L "$G_LIB" <<<"$GRAPH" ;;
	json) jq . <<<"$GRAPH" ;;
	dot) jq -r 'include "graph"; dot' -L "$G_LIB" <<<"$GRAPH" ;;
	png | svg) jq -r 'include "graph"; dot' -L "$G_LIB" <<<"$GRAPH" | dot "-T$FMT" ;;
	esac
}
if [ -z "$OUT" ]; then
	render
	exit 0
fi
# Into a temporary file first: a failed dot leaves no half-written picture behind.
TMP=$(mktemp "$OUT.XXXXXX" 2>/dev/null) || die "cannot write $OUT" "check the directory exists and is writable"
trap 'rm -f "$TMP"' EXIT
render >"$TMP" || die "could not draw $OUT"
mv "$TMP" "$OUT"
info "wrote $OUT: $(jq -r 'include "graph"; summary' -L "$G_LIB" <<<"$GRAPH")"
