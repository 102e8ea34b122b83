#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The template lab: the smallest complete lab, to copy when adding one (labs/README.md).
# It loads one XDP program that counts frames, pins it, and attaches it to the lab's veth.
#
#   host                                      netns bpflab-tpl
#   bpflabtpl0 198.18.9.1/24  <--- veth --->  bpflabtpl1 198.18.9.2/24
#   [XDP xdp_template: pkt_count++]
set -euo pipefail

PROG=template.sh
LAB=template
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/lib/lab.sh"

LAB_SUBCMDS="up down status"
LAB_LOCKED="up down"
LAB_JSON=1
LAB_UP_PINS="xdp_template"
LAB_NEEDS="prog:xdp map:array"
lab_topology TPL bpflab-tpl bpflabtpl0 bpflabtpl1 198.18.9.1 198.18.9.2

OBJ=$BUILD_DIR/template.bpf.o
PIN=$(pin_dir)

usage() {
	cat <<EOT
Usage: $PROG [options] up|down|status

  up       load and pin xdp_template, attach it to the lab's veth (idempotent)
  down     detach and remove everything up made (idempotent, also after a failed up)
  status   what is pinned and attached, and how many frames were counted (--json)

Options:
  --dev IFACE   attach to IFACE instead of creating the netns/veth topology
  --json        status as JSON
  --step        pause before each command
  --dry-run     print the commands, change nothing
  -v, --verbose show the output of commands that may fail
  -h, --help    this help

Environment: BPFLAB_PIN (pins go to \$BPFLAB_PIN/template), TPL_NS TPL_HOSTIF TPL_PEERIF
  TPL_HOSTIP TPL_PEERIP.
EOT
}

lab_option() {
	case "$1" in
	--dev) lab_optarg "$@" && OPT_DEV=$2 ;;
	*) return 1 ;;
	esac
}

cmd_up() {
	check_prereq bpftool:bpftool ip:iproute2 jq:jq
	check_btf
	check_bpffs
	check_built "$OBJ"
	lab_target "$OPT_DEV" "$TPL_HOSTIF" "$TPL_NS"
	lab_up_begin || return 0
	lab_up_rollback_on_failure
	[ -z "$NS" ] || netns_up "$NS" "$TPL_HOSTIF" "$TPL_PEERIF" "$TPL_HOSTIP" "$TPL_PEERIP"
	run mkdir -p "$PIN"
	run bpftool prog load "$OBJ" "$PIN/xdp_template" pinmaps "$PIN"
	[ "$DRY_RUN" = 1 ] || state_set XDP_ID "$(pinned_id prog "$PIN/xdp_template")"
	xdp_attach "$PIN/xdp_template" "$DEV"
	state_set XDP_MODE "$XDP_MODE"
	lab_up_done
	[ "$DRY_RUN" = 1 ] || echo "template is up: xdp_template on $DEV ($XDP_MODE); pins in $PIN"
}

cmd_down() {
	check_prereq bpftool:bpftool ip:iproute2 jq:jq
	local had_state=0 XDP_ID="" XDP_MODE=""
	lab_down_begin && had_state=1
	xdp_detach_if_ours "${DEV:-}" "$PIN/xdp_template" "$XDP_MODE" "$XDP_ID"
	lab_down_finish "$had_state"
}

# Frames counted so far (the map's only value; 0 when not pinned).
pkt_count() {
	local out
	out=$(bpftool -j map lookup pinned "$PIN/pkt_count" key 0 0 0 0 2>/dev/null) || { echo 0; return; }
	jq -r '.formatted.value // .value' <<<"$out"
}

cmd_status() {
	check_prereq bpftool:bpftool jq:jq
	local up=false
	(is_up) && up=true
	state_load || true
	if [ "$OPT_JSON" = 1 ]; then
		jq -n --argjson up "$up" --arg dev "${DEV:-}" --argjson n "$(pkt_count)" \
			--arg att "$(xdp_prog_id "${DEV:-}")" --arg id "$(pinned_id prog "$PIN/xdp_template")" \
			'{up: $up, dev: $dev, attached: ($att != "" and $att == $id), pkt_count: $n}'
		return 0
	fi
	lab_status_header || return 0
	run bpftool prog show pinned "$PIN/xdp_template"
	run bpftool net show dev "$DEV"
	run bpftool map dump pinned "$PIN/pkt_count"
}

OPT_DEV=""
lab_main "$@"
