#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Chain-call lab: one root XDP program attached once; members added and removed at run time
# by writing root_array (PROG_ARRAY, 32 slots) with pinfill. Slot order is execution order.
#
#   host                                      netns bpflab-ch
#   bpflabch0 198.18.2.1/24  <--- veth --->   bpflabch1 198.18.2.2/24
#   [XDP xdp_root]
#      xdp_root --root_array[i]--> member --chain_next()--> next member ... --> verdict
#                                                         (xdpcap_hook sees the final one)
set -euo pipefail

PROG=chain.sh
LAB=chain
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/lib/lab.sh"

LAB_SUBCMDS="up down list add:2-3 del:1"
LAB_LOCKED="up down add del"
LAB_JSON=1
LAB_UP_PINS="xdp_root"
LAB_NEEDS="prog:xdp map:prog_array map:array"
lab_topology CHAIN bpflab-ch bpflabch0 bpflabch1 198.18.2.1 198.18.2.2
SLOTS=32
ACTIONS=(aborted drop pass tx redirect)

OBJ_ROOT=$BUILD_DIR/xdp_root.bpf.o

usage() {
	cat <<EOF
Usage: $PROG [options] up | add SLOT OBJ [PROG] | del SLOT | list | down

  up              load and pin xdp_root and its maps, attach it (once) to the device,
                  enable bpf run-time stats (idempotent)
  add SLOT OBJ [PROG]
                  load OBJ (a member built against bpf/chain.bpf.h) sharing the root's maps,
                  pin it under \$BPFLAB_PIN/chain/slots/SLOT, put PROG (default: the
                  object's only program) into root_array[SLOT] (0..$((SLOTS - 1)))
  del SLOT        empty root_array[SLOT] and remove that member's pins
  list            slot, prog id, name, runs, continue-on actions (--json for JSON)
  down            detach and remove everything; restore kernel.bpf_stats_enabled

Options:
  --dev IFACE            attach to IFACE instead of creating the netns/veth topology
  --continue-on ACTIONS  (add) go on with the chain when this member returns one of
                         ACTIONS (comma list of aborted,drop,tx,redirect) instead of
                         ending it with that verdict
  --json                 list as JSON
  --step                 pause before each command
  --dry-run              print the commands, change nothing
  -v, --verbose          show the output of commands that may fail
  -h, --help             this help

Environment: BPFLAB_PIN (pins go to \$BPFLAB_PIN/chain), CHAIN_NS CHAIN_HOSTIF
  CHAIN_PEERIF CHAIN_HOSTIP CHAIN_PEERIP.
EOF
}

PIN=$(pin_dir)
P_ROOT=$PIN/xdp_root
# The maps every member shares with the root (by name, as bpftool wants them).
SHARED_MAPS=(root_array chain_cfg chain_runs xdpcap_hook)

lab_option() {
	case "$1" in
	--dev) lab_optarg "$@" && OPT_DEV=$2 ;;
	--continue-on) lab_optarg "$@" && OPT_CONTINUE=$2 && continue_mask "$2" >/dev/null ;;
	*) return 1 ;;
	esac
}

cmd_up() {
	check_prereq bpftool:bpftool ip:iproute2 jq:jq sysctl:procps
	check_btf
	check_bpffs
	check_built "$OBJ_ROOT" "$PINFILL"
	lab_target "$OPT_DEV" "$CHAIN_HOSTIF" "$CHAIN_NS"
	lab_up_begin || return 0
	lab_up_rollback_on_failure
	[ -z "$NS" ] || netns_up "$NS" "$CHAIN_HOSTIF" "$CHAIN_PEERIF" "$CHAIN_HOSTIP" "$CHAIN_PEERIP"
	run mkdir -p "$PIN/slots"
	# pinmaps: root_array, chain_cfg, chain_runs and xdpcap_hook, pinned by map name.
	run bpftool prog load "$OBJ_ROOT" "$P_ROOT" pinmaps "$PIN"
	[ "$DRY_RUN" = 1 ] || state_set XDP_ID "$(pinned_id prog "$P_ROOT")"
	# run_cnt of the root in `bpftool prog show` (members are counted in chain_runs).
	bpf_stats_enable "$PIN"
	xdp_attach "$P_ROOT" "$DEV"
	state_set XDP_MODE "$XDP_MODE"
	lab_up_done

	[ "$DRY_RUN" = 1 ] && return 0
	echo "chain is up: xdp_root on $DEV ($XDP_MODE); pins in $PIN"
	if [ -n "$NS" ]; then
		echo "  $PROG add 2 build/xdp_drop_ping_member.bpf.o    # then: ping $CHAIN_PEERIP goes silent"
	else
		echo "  $PROG add 2 build/xdp_drop_ping_member.bpf.o    # echo replies arriving on $DEV are dropped"
	fi
	echo "  $PROG list"
}

cmd_down() {
	check_prereq bpftool:bpftool ip:iproute2 jq:jq
	local had_state=0
	lab_down_begin && had_state=1
	xdp_detach_if_ours "${DEV:-}" "$P_ROOT" "${XDP_MODE:-}" "${XDP_ID:-}"
	bpf_stats_restore "$PIN"
	lab_down_finish "$had_state" "$PIN/root_array" "$PIN/xdpcap_hook"
}

check_slot() { # SLOT
	if ! [[ "$1" =~ ^[0-9]+$ ]] || [ "$((10#$1))" -ge "$SLOTS" ]; then
		die "slot '$1' out of range: root_array has $SLOTS slots (0..$((SLOTS - 1)))"
	fi
}

slot_dir() { printf '%s/slots/%02d\n' "$PIN" "$((10#$1))"; }

# The bit mask of chain_cfg from a comma list of action names.
continue_mask() { # ACTIONS
	local mask=0 a i found
	[ -n "$1" ] || {
		echo 0
		return
	}
	for a in ${1//,/ }; do
		found=0
		for i in "${!ACTIONS[@]}"; do
			if [ "${ACTIONS[$i]}" = "$a" ]; then
				mask=$((mask | (1 << i)))
				found=1
			fi
		done
		[ "$found" = 1 ] || usage_error "unknown action '$a' in --continue-on (one of: ${ACTIONS[*]})"
	done
	echo "$mask"
}

# A u32 as the four little-endian byte arguments bpftool wants.
u32_bytes() {
	echo "$(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255))"
}

# The programs pinned in a slot directory (maps are pinned next to them).
pinned_progs() { # DIR
	local f
	for f in "$1"/*; do
		bpftool prog show pinned "$f" >/dev/null 2>&1 && basename "$f"
	done
	return 0
}

cmd_add() { # SLOT OBJ [PROG]
	check_prereq bpftool:bpftool jq:jq
	local slot=$1 obj=$2 name=${3:-} dir mask m progs
	local -a reuse=()
	check_slot "$slot"
	slot=$((10#$slot))
	mask=$(continue_mask "$OPT_CONTINUE")
	[ -f "$obj" ] || die "$obj: no such object file" "build the members with 'make' (e.g. build/xdp_count.bpf.o)"
	need_up
	# grep without -q: an early exit would SIGPIPE bpftool and fail the pipeline.
	bpftool btf dump file "$obj" 2>/dev/null | grep "VAR 'root_array'" >/dev/null ||
		die "$obj is not a chain member: it has no root_array map" "include bpf/chain.bpf.h and end the program with: return chain_next(ctx, verdict);"
	dir=$(slot_dir "$slot")
	if [ "$DRY_RUN" != 1 ] && [ -n "$("$PINFILL" list "$PIN/root_array" | awk -v s="$slot" '$1 == s')" ]; then
		die "slot $slot is taken" "see '$PROG list'; empty it first: $PROG del $slot"
	fi
	for m in "${SHARED_MAPS[@]}"; do reuse+=(map name "$m" pinned "$PIN/$m"); done

	# A failure from here on (error, die, ^C) leaves the slot as it was: empty.
	if [ "$DRY_RUN" != 1 ]; then
		trap 'STEP=0 pins_remove "$dir"' EXIT
		trap 'exit 1' ERR INT TERM
		[ ! -e "$dir" ] || run rm -rf "$dir"
	fi
	run mkdir -p "$dir"
	run bpftool prog loadall "$obj" "$dir" type xdp "${reuse[@]}" pinmaps "$dir"
	if [ "$DRY_RUN" = 1 ]; then
		name=${name:-PROG}
	elif [ -z "$name" ]; then
		progs=$(pinned_progs "$dir")
		[ "$(echo "$progs" | wc -l)" = 1 ] ||
			die "$obj has several programs ($(echo "$progs" | tr '\n' ' ' | sed 's/ $//')): name one" "$PROG add $slot $obj PROG"
		name=$progs
	elif ! bpftool prog show pinned "$dir/$name" >/dev/null 2>&1; then
		die "$obj has no program '$name'" "its programs: $(pinned_progs "$dir" | tr '\n' ' ')"
	fi
	# Config and counter of the slot start fresh; only then does the member go live.
	# shellcheck disable=SC2046 # u32_bytes prints four separate byte arguments
	run bpftool map update pinned "$PIN/chain_cfg" key $(u32_bytes "$slot") value $(u32_bytes "$mask")
	# shellcheck disable=SC2046 # as above; a per-CPU map takes one value for every CPU
	run bpftool map update pinned "$PIN/chain_runs" key $(u32_bytes "$slot") value 0 0 0 0 0 0 0 0
	run "$PINFILL" set "$PIN/root_array" "$slot" "$dir/$name"
	trap - EXIT ERR INT TERM
}

cmd_del() { # SLOT
	check_prereq bpftool:bpftool
	local slot=$1
	check_slot "$slot"
	need_up
	run "$PINFILL" del "$PIN/root_array" "$((10#$slot))"
	pins_remove "$(slot_dir "$slot")"
}

cmd_list() {
	check_prereq bpftool:bpftool jq:jq
	DRY_RUN=0 need_up # list only reads: not up is an error even with --dry-run
	local slots runs cfg root out
	trace "$PINFILL" list "$PIN/root_array"
	slots=$("$PINFILL" --json list "$PIN/root_array")
	trace bpftool map dump pinned "$PIN/chain_runs"
	runs=$(map_json "$PIN/chain_runs")
	cfg=$(map_json "$PIN/chain_cfg")
	trace bpftool prog show pinned "$P_ROOT"
	root=$(bpftool -j prog show pinned "$P_ROOT")
	out=$(jq -n --argjson slots "$slots" --argjson runs "$runs" --argjson cfg "$cfg" --argjson root "$root" \
		--arg dev "$DEV" --arg att "$(xdp_prog_id "$DEV")" --arg acts "${ACTIONS[*]}" '
		($acts | split(" ")) as $names |
		{root: {id: $root.id, name: $root.name, dev: $dev, attached: ($att == ($root.id | tostring)),
		        run_cnt: ($root.run_cnt // 0), run_time_ns: ($root.run_time_ns // 0)},
		 slots: [$slots[] | (.key | tostring) as $k | {slot: .key, id, name,
		        runs: ([$runs[$k][]?.value] | add // 0),
		        continue_on: [range(0; 5) as $i | select((($cfg[$k] // 0) / pow(2; $i) | floor) % 2 == 1) | $names[$i]]}]}')
	if [ "$OPT_JSON" = 1 ]; then
		echo "$out"
		return 0
	fi
	echo "$out" | jq -r '.root | "root: \(.name) id \(.id) on \(.dev)\(if .attached then "" else " (NOT attached)" end), run_cnt \(.run_cnt)"'
	echo "$out" | jq -r '["SLOT", "ID", "NAME", "RUNS", "CONTINUE_ON"], (.slots[] | [.slot, .id, .name, .runs, (.continue_on | join(",") | if . == "" then "-" else . end)]) | @tsv'
}

OPT_DEV="" OPT_CONTINUE=""
lab_main "$@"
