#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Lab 2: an XDP program that drops ICMP echo replies, and sockops + sk_msg programs
# sharing a SOCKHASH that short-circuit loopback TCP. Everything through bpftool and ip.
#
#   host                                   netns bpflab
#   bpflab0 198.18.0.1/24  <--- veth --->  bpflab1 198.18.0.2/24
#   [XDP xdp_drop_ping]                    (answers pings; replies dropped at bpflab0)
#
#   cgroup <cgroup2>/bpflab: [sockops bpf_sockops] -> sock_ops_map <- [sk_msg bpf_redir]
set -euo pipefail

PROG=lab2.sh
LAB=lab2
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/lib/lab.sh"

LAB_SUBCMDS="up down status demo"
LAB_LOCKED="up down demo"
LAB_JSON=1
LAB_UP_PINS="xdp_drop_ping bpf_sockops"
LAB_NEEDS="prog:xdp prog:sock_ops prog:sk_msg map:sockhash map:prog_array"
# Defaults of the lab topology; tests outside a sandbox override them to get names of their own.
lab_topology LAB2 bpflab bpflab0 bpflab1 198.18.0.1 198.18.0.2
lab_env LAB2_CGROUP_NAME bpflab name
lab_env LAB2_DEMO_PORT 4242 port

OBJ_XDP=$BUILD_DIR/xdp_drop_ping.bpf.o
OBJ_SOCKOPS=$BUILD_DIR/sockops.bpf.o
OBJ_SKMSG=$BUILD_DIR/sk_msg.bpf.o

usage() {
	cat <<EOF
Usage: $PROG [options] up|down|status|demo

  up       load, pin and attach the lab 2 programs (idempotent)
  down     detach and remove everything up made (idempotent, also after a failed up)
  status   show what is loaded, pinned and attached (--json for JSON)
  demo     loopback TCP with tcpdump on lo: inside the lab cgroup, then outside it

Options:
  --dev IFACE     attach XDP to IFACE (native mode if the driver has it, else generic)
                  instead of creating the netns/veth topology
  --cgroup PATH   attach sockops to this existing cgroup v2 directory instead of
                  creating <cgroup2 mount>/$LAB2_CGROUP_NAME
  --json          status as JSON
  --step          pause before each command
  --dry-run       print the commands, change nothing
  -v, --verbose   show the output of commands that may fail
  -h, --help      this help

Environment: BPFLAB_PIN (pin root, default /sys/fs/bpf/bpflab; pins go to \$BPFLAB_PIN/lab2),
  LAB2_NS LAB2_HOSTIF LAB2_PEERIF LAB2_HOSTIP LAB2_PEERIP LAB2_CGROUP_NAME LAB2_DEMO_PORT.
EOF
}

PIN=$(pin_dir)
P_XDP=$PIN/xdp_drop_ping
P_SOCKOPS=$PIN/bpf_sockops
P_SKMSG=$PIN/bpf_redir
P_MAP=$PIN/sock_ops_map

resolve_targets() {
	lab_target "$OPT_DEV" "$LAB2_HOSTIF" "$LAB2_NS"
	if [ -n "$OPT_CGROUP" ]; then
		[ -d "$OPT_CGROUP" ] || die "cgroup '$OPT_CGROUP' does not exist" "give a cgroup v2 directory, e.g. $(cgroup2_root)"
		[ "$(stat -f -c %T "$OPT_CGROUP")" = cgroup2fs ] ||
			die "'$OPT_CGROUP' is not a cgroup v2 directory" "cgroup v2 is mounted at: $(cgroup2_root)"
		CGROUP=$(cd "$OPT_CGROUP" && pwd)
		CG_OWNED=0
	else
		local root
		root=$(cgroup2_root)
		[ -n "$root" ] || die "no cgroup v2 mount found" "mount one: mount -t cgroup2 none /sys/fs/cgroup/unified"
		CGROUP=$root/$LAB2_CGROUP_NAME
		CG_OWNED=1
	fi
}

lab_option() {
	case "$1" in
	--dev) lab_optarg "$@" && OPT_DEV=$2 ;;
	--cgroup) lab_optarg "$@" && OPT_CGROUP=$2 ;;
	*) return 1 ;;
	esac
}

# The id of the sock_ops program attached to cgroup $1 (empty if none, or no such cgroup).
cgroup_sockops_id() {
	local out
	out=$(bpftool -j cgroup show "$1" 2>/dev/null) || return 0
	[ -n "$out" ] || return 0
	jq -r '.[] | select(.attach_type == "cgroup_sock_ops" or .attach_type == "sock_ops") | .id' <<<"$out" | head -n1
}

cmd_up() {
	check_prereq bpftool:bpftool ip:iproute2 jq:jq
	check_btf
	check_bpffs
	check_built "$OBJ_XDP" "$OBJ_SOCKOPS" "$OBJ_SKMSG"
	resolve_targets
	lab_up_begin || return 0
	if [ "$DRY_RUN" != 1 ]; then
		# Never take over what is not the lab's: a cgroup of the lab's name, or a cgroup's sock_ops slot.
		[ "$CG_OWNED" = 0 ] || [ ! -d "$CGROUP" ] ||
			die "cgroup $CGROUP already exists" "is another lab2 up (another BPFLAB_PIN)? otherwise: rmdir $CGROUP, or use --cgroup $CGROUP"
		[ "$CG_OWNED" = 1 ] || [ -z "$(cgroup_sockops_id "$CGROUP")" ] ||
			die "$CGROUP already has a sock_ops program (id $(cgroup_sockops_id "$CGROUP"))" "bpftool cgroup show $CGROUP; lab2 will not replace it"
	fi

	# From here on, any exit before the end (error, die, Ctrl-C) rolls back whatever was made.
	lab_up_rollback_on_failure
	state_set CGROUP "$CGROUP"
	state_set CG_OWNED "$CG_OWNED"

	# Goal 1: XDP
	[ -z "$NS" ] || netns_up "$NS" "$LAB2_HOSTIF" "$LAB2_PEERIF" "$LAB2_HOSTIP" "$LAB2_PEERIP"
	run mkdir -p "$PIN"
	# pinmaps: the program's maps (the xdpcap exit hook, the chain maps) are pinned next to it by map name.
	run bpftool prog load "$OBJ_XDP" "$P_XDP" pinmaps "$PIN"
	[ "$DRY_RUN" = 1 ] || state_set XDP_ID "$(pinned_id prog "$P_XDP")"
	xdp_attach "$P_XDP" "$DEV"
	state_set XDP_MODE "$XDP_MODE"

	# Goal 2: sockops + sk_msg sharing sock_ops_map
	run bpftool prog load "$OBJ_SOCKOPS" "$P_SOCKOPS" pinmaps "$PIN"
	[ "$DRY_RUN" = 1 ] || state_set SOCKOPS_ID "$(pinned_id prog "$P_SOCKOPS")"
	run bpftool prog load "$OBJ_SKMSG" "$P_SKMSG" map name sock_ops_map pinned "$P_MAP"
	# The verdict program goes on the map before any socket can be inserted (before the cgroup attach).
	run bpftool prog attach pinned "$P_SKMSG" msg_verdict pinned "$P_MAP"
	[ "$CG_OWNED" = 0 ] || run mkdir "$CGROUP"
	run bpftool cgroup attach "$CGROUP" sock_ops pinned "$P_SOCKOPS" ||
		die "cannot attach sock_ops to $CGROUP" "EPERM here usually means a parent cgroup has a program attached without 'multi': bpftool cgroup tree"
	lab_up_done

	[ "$DRY_RUN" = 1 ] && return 0
	echo "lab2 is up:"
	echo "  XDP xdp_drop_ping on $DEV ($XDP_MODE); pins in $PIN"
	[ -z "$NS" ] || echo "  try: ping $LAB2_PEERIP   (the peer in netns $NS answers, the replies are dropped)"
	echo "  sockops on $CGROUP; run a command inside it with:"
	echo "    sh -c 'echo \$\$ > $CGROUP/cgroup.procs && exec YOUR_COMMAND'"
}

cmd_down() {
	check_prereq bpftool:bpftool ip:iproute2 jq:jq
	local had_state=0 so_id
	# Without a state file only the lab's own pins are removed (see scripts/lib/labup.sh).
	CGROUP="" CG_OWNED=0 XDP_ID="" SOCKOPS_ID=""
	lab_down_begin && had_state=1

	# Reverse order of up.
	so_id=$(pinned_id prog "$P_SOCKOPS")
	so_id=${so_id:-$SOCKOPS_ID}
	if [ -n "$CGROUP" ] && [ -d "$CGROUP" ] && [ -n "$so_id" ] && [ "$(cgroup_sockops_id "$CGROUP")" = "$so_id" ]; then
		if [ -e "$P_SOCKOPS" ]; then
			run_quiet bpftool cgroup detach "$CGROUP" sock_ops pinned "$P_SOCKOPS"
		else
			run_quiet bpftool cgroup detach "$CGROUP" sock_ops id "$so_id"
		fi
	fi
	[ "$CG_OWNED" = 1 ] && [ -n "$CGROUP" ] && cgroup_remove "$CGROUP"
	if [ -e "$P_SKMSG" ] && [ -e "$P_MAP" ]; then
		run_quiet bpftool prog detach pinned "$P_SKMSG" msg_verdict pinned "$P_MAP"
	fi
	xdp_detach_if_ours "$DEV" "$P_XDP" "${XDP_MODE:-xdpgeneric}" "$XDP_ID"
	lab_down_finish "$had_state" "$PIN/xdpcap_hook"
}

sockhash_entries() {
	[ -e "$P_MAP" ] || {
		echo 0
		return
	}
	bpftool -j map dump pinned "$P_MAP" 2>/dev/null | jq 'length'
}

cmd_status() {
	check_prereq bpftool:bpftool ip:iproute2 jq:jq
	local up=false xdp_id="" attached="" sockops_id="" map_id="" entries=0 cg_attached=false
	state_load || true
	(is_up) && up=true
	xdp_id=$(pinned_id prog "$P_XDP")
	sockops_id=$(pinned_id prog "$P_SOCKOPS")
	map_id=$(pinned_id map "$P_MAP")
	[ -z "${DEV:-}" ] || attached=$(xdp_prog_id "$DEV")
	if [ -n "${CGROUP:-}" ] && [ -n "$sockops_id" ]; then
		trace bpftool cgroup show "$CGROUP"
		[ "$(cgroup_sockops_id "$CGROUP")" != "$sockops_id" ] || cg_attached=true
	fi
	if [ -n "$map_id" ]; then
		trace bpftool map dump pinned "$P_MAP"
		entries=$(sockhash_entries)
	fi
	if [ "$OPT_JSON" = 1 ]; then
		jq -n --argjson up "$up" --arg pin "$PIN" --arg dev "${DEV:-}" --arg mode "${XDP_MODE:-}" \
			--arg xdp "$xdp_id" --arg att "$attached" --arg cg "${CGROUP:-}" --arg so "$sockops_id" \
			--argjson cga "$cg_attached" --arg map "$map_id" --argjson n "${entries:-0}" --arg ns "${NS:-}" \
			'{up: $up, pin_dir: $pin, netns: $ns,
			  xdp: {dev: $dev, mode: $mode, prog_id: ($xdp | tonumber? // null),
			        attached: ($att != "" and $att == $xdp)},
			  sockops: {cgroup: $cg, prog_id: ($so | tonumber? // null), attached: $cga},
			  sock_ops_map: {map_id: ($map | tonumber? // null), entries: $n}}'
		return 0
	fi
	lab_status_header || return 0
	echo "--- programs and maps pinned"
	run ls "$PIN"
	run bpftool prog show pinned "$P_XDP"
	run bpftool prog show pinned "$P_SOCKOPS"
	run bpftool prog show pinned "$P_SKMSG"
	run bpftool map show pinned "$P_MAP"
	echo "--- XDP attachment"
	run bpftool net show dev "$DEV"
	echo "--- cgroup attachment"
	run bpftool cgroup show "$CGROUP"
	echo "--- sock_ops_map: $entries live entries (one per socket of a redirected connection)"
}

demo_cleanup() {
	[ -z "${CAPTURE_PID:-}" ] || kill "$CAPTURE_PID" 2>/dev/null || true
	rm -rf "$DEMO_TMP"
}

# One exchange with tcpdump on lo; prints what the capture holds.
demo_round() { # LABEL CGROUP_OR_EMPTY PCAP
	local label=$1 cg=$2 pcap=$3
	capture_start lo "$pcap" tcp port "$LAB2_DEMO_PORT"
	tcp_exchange "$LAB2_DEMO_PORT" "$cg" 3
	# Both ends closed: the capture is complete once it holds both FINs.
	capture_stop 2 'tcp[tcpflags] & tcp-fin != 0'
	run tcpdump -nr "$pcap"
	[ "$DRY_RUN" = 1 ] && return 0
	echo "== $label: $(pcap_count "$pcap") packets on lo: $(pcap_count "$pcap" 'tcp[tcpflags] & tcp-syn != 0') SYN," \
		"$(pcap_count "$pcap" 'tcp[tcpflags] & tcp-fin != 0') FIN, $(pcap_count "$pcap" "$PAYLOAD_FILTER") with payload"
}

cmd_demo() {
	check_prereq bpftool:bpftool tcpdump:tcpdump socat:socat jq:jq ss:iproute2
	if [ "$DRY_RUN" = 1 ]; then
		state_load || resolve_targets
	else
		need_up
	fi
	DEMO_TMP=$(mktemp -d)
	trap demo_cleanup EXIT

	echo "== 1. TCP exchange on 127.0.0.1:$LAB2_DEMO_PORT inside the lab cgroup $CGROUP"
	demo_round "inside the lab cgroup" "$CGROUP" "$DEMO_TMP/in.pcap"
	if [ "$CGROUP" = "$(cgroup2_root)" ]; then
		echo "== 2. skipped: the lab is attached to the root cgroup, so every process is inside it"
		return 0
	fi
	echo
	echo "== 2. the same exchange outside the lab cgroup (no sockmap redirect)"
	demo_round "outside the lab cgroup" "" "$DEMO_TMP/out.pcap"
	echo
	echo "Inside the lab cgroup tcpdump sees only the handshake and the teardown: the data went"
	echo "from socket to socket through sock_ops_map, not through TCP/IP and lo."
}

OPT_DEV="" OPT_CGROUP=""
lab_main "$@"
