#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Tail-call lab: jmp_table (PROG_ARRAY, 3 slots) filled with pinfill, `entry` on tc ingress.
#
#   host                                     netns bpflab-tc
#   bpflabtc0 198.18.1.1/24  <--- veth --->  bpflabtc1 198.18.1.2/24
#   [tc ingress: entry]
#        entry --jmp_table[0]--> classifier_0 --[1]--> classifier_1 --[2]--> classifier_2
#        (3 if slot 0 empty)     (0 if [1] empty)      (1 if [2] empty)      (returns 2)
#
# Returned as tc verdicts: 2 is TC_ACT_SHOT, so with the table full the replies to a ping
# from the host are dropped; empty any slot and they pass again.
set -euo pipefail

PROG=tailcall.sh
LAB=tailcall
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/lib/lab.sh"

LAB_SUBCMDS="up down status run:0-1"
LAB_LOCKED="up down"
LAB_JSON=1
LAB_UP_PINS="entry"
LAB_NEEDS="prog:sched_cls map:prog_array"
lab_topology TC bpflab-tc bpflabtc0 bpflabtc1 198.18.1.1 198.18.1.2
# down deletes the filter by this pref and handle: 0 ("every pref") is refused here.
lab_env TC_PREF 49 pref

OBJ=$BUILD_DIR/tailcall.bpf.o

usage() {
	cat <<EOF
Usage: $PROG [options] up|down|status|run [PROG]

  up        load tailcall.bpf.o (all programs and maps pinned), fill jmp_table with
            pinfill, attach 'entry' to tc ingress (idempotent)
  down      detach and remove everything up made (idempotent, also after a failed up)
  status    jmp_table slots, the tc filter, how often each program ran
  run [P]   run pinned program P (default entry; loop_start shows the 33 limit) once on
            a sample frame with 'bpftool prog run' and print its return value

Options:
  --dev IFACE   attach to IFACE's tc ingress instead of creating the netns/veth topology
  --json        status / run output as JSON
  --step        pause before each command
  --dry-run     print the commands, change nothing
  -v, --verbose show the output of commands that may fail
  -h, --help    this help

Environment: BPFLAB_PIN (pins go to \$BPFLAB_PIN/tailcall), TC_NS TC_HOSTIF TC_PEERIF
  TC_HOSTIP TC_PEERIP, TC_PREF (tc filter priority, default 49).
EOF
}

PIN=$(pin_dir)

lab_option() {
	case "$1" in
	--dev) lab_optarg "$@" && OPT_DEV=$2 ;;
	*) return 1 ;;
	esac
}

cmd_up() {
	check_prereq bpftool:bpftool ip:iproute2 tc:iproute2 jq:jq
	check_btf
	check_bpffs
	check_built "$OBJ" "$PINFILL"
	lab_target "$OPT_DEV" "$TC_HOSTIF" "$TC_NS"
	lab_up_begin || return 0
	lab_up_rollback_on_failure
	state_set PREF "$TC_PREF"
	[ -z "$NS" ] || netns_up "$NS" "$TC_HOSTIF" "$TC_PEERIF" "$TC_HOSTIP" "$TC_PEERIP"
	run mkdir -p "$PIN"
	# loadall pins every program by name; pinmaps pins jmp_table, loop_table, tc_hits.
	# Pinning jmp_table is what keeps its entries: they are flushed with the last user reference.
	run bpftool prog loadall "$OBJ" "$PIN" pinmaps "$PIN"
	run "$PINFILL" fill "$PIN/jmp_table" "$PIN" 'classifier_%d'
	run "$PINFILL" set "$PIN/loop_table" 0 "$PIN/loop_self"
	# Never join or replace a filter that is not ours: its pref would go with ours on down.
	[ "$DRY_RUN" = 1 ] || [ -z "$(tc filter show dev "$DEV" ingress pref "$TC_PREF" 2>/dev/null)" ] ||
		die "$DEV already has an ingress filter with pref $TC_PREF" "see it with: tc filter show dev $DEV ingress; pick another with TC_PREF=N"
	[ "$DRY_RUN" = 1 ] || state_set ENTRY_ID "$(pinned_id prog "$PIN/entry")"
	# Record before attaching: a killed up must still let down remove the qdisc.
	! tc_qdisc_missing "$DEV" || state_set QDISC_OWNED 1
	tc_ingress_attach "$DEV" "$PIN/entry" "$TC_PREF"
	lab_up_done

	[ "$DRY_RUN" = 1 ] && return 0
	echo "tailcall is up: entry on tc ingress of $DEV (pref $TC_PREF); pins in $PIN"
	echo "  $PROG run                      # entry returns 2: the whole table ran"
	echo "  $PINFILL del $PIN/jmp_table 1   # then run again: 0"
	[ -z "$NS" ] || echo "  ping $TC_PEERIP    # replies are dropped (2 = TC_ACT_SHOT) while the table is full"
}

cmd_down() {
	check_prereq bpftool:bpftool ip:iproute2 tc:iproute2
	local had_state=0
	lab_down_begin && had_state=1
	local entry_id attached
	entry_id=$(pinned_id prog "$PIN/entry")
	entry_id=${entry_id:-${ENTRY_ID:-}}
	attached=""
	[ -z "${DEV:-}" ] || attached=$(tc_ingress_prog_id "$DEV" "${PREF:-$TC_PREF}")
	# Only our own filter (the program in it is our entry) is removed.
	if [ -n "$attached" ] && [ "$attached" = "$entry_id" ]; then
		tc_ingress_detach "$DEV" "${PREF:-$TC_PREF}" "${QDISC_OWNED:-0}"
	elif [ "${QDISC_OWNED:-0}" = 1 ]; then
		tc_ingress_detach "${DEV:-}" "${PREF:-$TC_PREF}" 1
	fi
	[ "$DRY_RUN" = 1 ] || rm -f "$BPFLAB_RUN/tailcall-frame.bin"
	lab_down_finish "$had_state" "$PIN/jmp_table" "$PIN/loop_table"
}

cmd_status() {
	check_prereq bpftool:bpftool tc:iproute2 jq:jq
	local up=false attached="" slots="[]" hits="{}"
	state_load || true
	(is_up) && up=true
	if [ "$up" = true ]; then
		attached=$(tc_ingress_prog_id "$DEV" "$PREF")
		slots=$("$PINFILL" --json list "$PIN/jmp_table")
		hits=$(map_json "$PIN/tc_hits")
	fi
	if [ "$OPT_JSON" = 1 ]; then
		jq -n --argjson up "$up" --arg pin "$PIN" --arg dev "${DEV:-}" --arg att "$attached" \
			--arg entry "$(pinned_id prog "$PIN/entry")" --argjson slots "$slots" --argjson hits "$hits" \
			'{up: $up, pin_dir: $pin, dev: $dev, entry_id: ($entry | tonumber? // null),
			  attached: ($att != "" and $att == $entry), jmp_table: $slots, hits: $hits}'
		return 0
	fi
	lab_status_header || return 0
	echo "--- jmp_table (key, prog id, type, name)"
	run "$PINFILL" list "$PIN/jmp_table"
	echo "--- tc ingress of $DEV"
	run tc filter show dev "$DEV" ingress
	echo "--- runs per program (tc_hits: 0..2 classifier_N, 3 entry)"
	run bpftool map dump pinned "$PIN/tc_hits"
}

# A 60-byte Ethernet + IPv4 + UDP frame: tc programs need at least an Ethernet header.
sample_frame() { # FILE
	printf '%b' '\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x08\x00' \
		'\x45\x00\x00\x2e\x00\x00\x40\x00\x40\x11\x00\x00\xc6\x12\x01\x01\xc6\x12\x01\x02' \
		'\x04\xd2\x00\x09\x00\x1a\x00\x00' 'bpflab tail-call lab\x00\x00\x00\x00\x00\x00' >"$1"
}

cmd_run() { # [PROG]
	check_prereq bpftool:bpftool jq:jq
	local name=${1:-entry} frame ret
	need_up
	if [ "$DRY_RUN" != 1 ]; then
		[ -e "$PIN/$name" ] || die "no program '$name' in $PIN" "one of: $(run_progs)"
		bpftool prog show pinned "$PIN/$name" >/dev/null 2>&1 ||
			die "'$name' is a map, not a program: only programs run" "one of: $(run_progs)"
	fi
	frame=$BPFLAB_RUN/tailcall-frame.bin
	trace bpftool prog run pinned "$PIN/$name" data_in "$frame"
	[ "$DRY_RUN" = 1 ] && return 0
	mkdir -p "$BPFLAB_RUN"
	sample_frame "$frame"
	ret=$(bpftool -j prog run pinned "$PIN/$name" data_in "$frame" | jq -r .retval)
	if [ "$OPT_JSON" = 1 ]; then
		jq -n --arg p "$name" --argjson r "$ret" '{prog: $p, retval: $r}'
	else
		echo "$name returned $ret"
	fi
}

# The programs pinned in the lab's directory (its maps are pinned next to them).
run_progs() {
	local f out=""
	for f in "$PIN"/*; do
		! bpftool prog show pinned "$f" >/dev/null 2>&1 || out+="${f##*/} "
	done
	echo "${out% }"
}

OPT_DEV=""
lab_main "$@"
