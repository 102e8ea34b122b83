#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Chain-call lab: members run in slot order, a DROP ends the chain (unless configured to
# continue), 32 members fit the tail-call budget with the capture hook, add/del while
# traffic flows never re-attaches the root, members attached on their own just pass.

load helpers

XDP_DROP=1
XDP_PASS=2

ETH="02 00 00 00 00 01  02 00 00 00 00 02  08 00"
# IPv4 198.19.62.2 -> 198.19.62.1
ip4() { # PROTO TOTAL_LEN
	echo "45 00 00 $2 00 00 40 00 40 $1 00 00  c6 13 3e 02  c6 13 3e 01"
}
UDP9="$ETH $(ip4 11 1c) 04 d2 00 09 00 08 00 00"
TCP80="$ETH $(ip4 06 28) 04 d2 00 50 00 00 00 00 00 00 00 00 50 02 20 00 00 00 00 00"
ECHO_REPLY="$ETH $(ip4 01 1c) 00 00 00 00 00 01 00 01"
ECHO_REQUEST="$ETH $(ip4 01 1c) 08 00 00 00 00 01 00 01"

setup_file() {
	bl_setup_names
	if [ -z "${BPFLAB_SANDBOX:-}" ]; then
		# On the host the defaults may belong to a lab that is up: names of this run's own.
		export CHAIN_NS="blch-$BL_ID" CHAIN_HOSTIF="bchh$BL_ID" CHAIN_PEERIF="bchp$BL_ID"
		export CHAIN_HOSTIP=198.19.62.1 CHAIN_PEERIP=198.19.62.2
	fi
	export CHAIN="$SCRIPTS/chain.sh" PINFILL="$BUILD/pinfill" P="$BPFLAB_PIN/chain"
}

teardown_file() {
	"$CHAIN" down >/dev/null 2>&1 || true
	bl_topology_down
	rm -rf "$BPFLAB_PIN" "$BPFLAB_RUN" "$BL_TMP"
}

setup() {
	D=$BPFLAB_PIN/t$BATS_TEST_NUMBER
	# In the sandbox the lab runs with its defaults (these are not exported to it).
	: "${CHAIN_NS:=bpflab-ch}" "${CHAIN_HOSTIF:=bpflabch0}" "${CHAIN_PEERIF:=bpflabch1}"
	: "${CHAIN_HOSTIP:=198.18.2.1}" "${CHAIN_PEERIP:=198.18.2.2}"
}

teardown() {
	"$CHAIN" down >/dev/null 2>&1 || true
	bl_topology_down
	rm -rf "$D"
	rmdir "$BPFLAB_PIN" 2>/dev/null || true
	# The kernel frees programs and maps asynchronously: let the next snapshot start clean
	# (on the host; in the sandbox the snapshot holds no global ids).
	[ -n "${BPFLAB_SANDBOX:-}" ] || bl_wait_for 10 sh -c '! bpftool prog list | grep -qE "name (xdp_root|xdp_count|xdp_portfilter) "' || true
}

# Run the root once on a crafted frame; prints the XDP verdict.
root_run() { # HEX...
	bl_frame "$BL_TMP/frame" "$@"
	bl_prog_retval "$P/xdp_root" "$BL_TMP/frame"
}

# proto_count[PROTO] of the xdp_count member in SLOT (or of the copy pinned at DIR).
count() { # SLOT|DIR PROTO
	local dir=$1
	[ -d "$dir" ] || dir=$(printf '%s/slots/%02d' "$P" "$1")
	bpftool -j map lookup pinned "$dir/proto_count" key "$2" 0 0 0 | jq '.formatted.value // .value'
}

# Drop UDP port 9 in the port filter of SLOT (or at DIR).
drop_udp9() { # SLOT|DIR
	local dir=$1
	[ -d "$dir" ] || dir=$(printf '%s/slots/%02d' "$P" "$1")
	bpftool map update pinned "$dir/port_rules" key 17 0 0 9 value $XDP_DROP 0 0 0
}

@test "root alone: an empty chain passes everything, live ping included" {
	"$CHAIN" up
	[ "$(root_run "$UDP9")" = $XDP_PASS ]
	[ "$(root_run "$ECHO_REPLY")" = $XDP_PASS ]
	ping -c 2 -W 1 -i 0.2 "$CHAIN_PEERIP"
	list=$("$CHAIN" list --json 2>/dev/null)
	[ "$(echo "$list" | jq '.slots | length')" = 0 ]
	[ "$(echo "$list" | jq '.root.attached')" = true ]
	# bpf stats are on while the lab is up: the root's run count grows with traffic.
	[ "$(echo "$list" | jq '.root.run_cnt')" -ge 2 ]
}

@test "order: slot order is execution order (a filter before the counter hides drops from it)" {
	"$CHAIN" up
	"$CHAIN" add 1 "$BUILD/xdp_portfilter.bpf.o"
	drop_udp9 1
	"$CHAIN" add 3 "$BUILD/xdp_count.bpf.o"
	[ "$(root_run "$UDP9")" = $XDP_DROP ]
	[ "$(count 3 17)" = 0 ]
	[ "$(root_run "$TCP80")" = $XDP_PASS ]
	[ "$(count 3 6)" = 1 ]
	# Move the filter behind the counter: the counter now sees the dropped packet.
	"$CHAIN" del 1
	"$CHAIN" add 5 "$BUILD/xdp_portfilter.bpf.o"
	drop_udp9 5
	[ "$(root_run "$UDP9")" = $XDP_DROP ]
	[ "$(count 3 17)" = 1 ]
	list=$("$CHAIN" list --json 2>/dev/null)
	[ "$(echo "$list" | jq -c '[.slots[] | [.slot, .name]]')" = '[[3,"xdp_count"],[5,"xdp_portfilter"]]' ]
	# (the veth's own traffic, e.g. IPv6 neighbour discovery, runs through the chain too)
	[ "$(echo "$list" | jq '.slots[0].runs')" -ge 2 ]
}

@test "verdict: a member returning XDP_DROP ends the chain; --continue-on drop goes on" {
	"$CHAIN" up
	"$CHAIN" add 2 "$BUILD/xdp_drop_ping_member.bpf.o"
	"$CHAIN" add 4 "$BUILD/xdp_count.bpf.o"
	[ "$(root_run "$ECHO_REPLY")" = $XDP_DROP ]
	[ "$(count 4 1)" = 0 ]
	[ "$(root_run "$ECHO_REQUEST")" = $XDP_PASS ]
	[ "$(count 4 1)" = 1 ]
	"$CHAIN" del 2
	"$CHAIN" add 2 "$BUILD/xdp_drop_ping_member.bpf.o" --continue-on drop
	# The DROP is not final any more: the counter runs, and the chain ends in PASS.
	[ "$(root_run "$ECHO_REPLY")" = $XDP_PASS ]
	[ "$(count 4 1)" = 2 ]
	[ "$("$CHAIN" list --json 2>/dev/null | jq -c '.slots[0].continue_on')" = '["drop"]' ]
}

@test "32 slots: one object in every slot runs 32 times, and the capture hook still gets its tail call" {
	"$CHAIN" up
	for s in $(seq 0 31); do
		"$CHAIN" add "$s" "$BUILD/xdp_count.bpf.o" 2>/dev/null
	done
	[ "$(root_run "$UDP9")" = $XDP_PASS ]
	for s in $(seq 0 31); do
		[ "$(count "$s" 17)" = 1 ]
	done
	# Every member saw every packet since it was added: run counts never grow along the chain.
	list=$("$CHAIN" list --json 2>/dev/null)
	[ "$(echo "$list" | jq '.slots | length')" = 32 ]
	[ "$(echo "$list" | jq '[.slots[].runs] as $r | $r == ($r | sort | reverse)')" = true ]
	[ "$(echo "$list" | jq '.slots[31].runs')" -ge 1 ]
	# 32 tail calls so far; the exit hook is the 33rd, the last one the kernel allows.
	# A port filter in the hook's PASS slot turns the final verdict of UDP port 9 into DROP.
	mkdir -p "$D"
	bpftool prog loadall "$BUILD/xdp_portfilter.bpf.o" "$D" pinmaps "$D"
	drop_udp9 "$D"
	"$PINFILL" set "$P/xdpcap_hook" $XDP_PASS "$D/xdp_portfilter"
	[ "$(root_run "$UDP9")" = $XDP_DROP ]
	[ "$(root_run "$TCP80")" = $XDP_PASS ]
	"$PINFILL" del "$P/xdpcap_hook" $XDP_PASS
	[ "$(root_run "$UDP9")" = $XDP_PASS ]
}

@test "indirect: members built with -DCHAIN_INDIRECT mix with the default ones" {
	"$CHAIN" up
	"$CHAIN" add 1 "$BUILD/xdp_count_indirect.bpf.o"
	"$CHAIN" add 2 "$BUILD/xdp_count.bpf.o"
	"$CHAIN" add 30 "$BUILD/xdp_count_indirect.bpf.o"
	"$CHAIN" add 31 "$BUILD/xdp_portfilter.bpf.o"
	drop_udp9 31
	[ "$(root_run "$UDP9")" = $XDP_DROP ]
	[ "$(count 1 17)" = 1 ]
	[ "$(count 2 17)" = 1 ]
	[ "$(count 30 17)" = 1 ]
}

@test "live: add/del while a ping runs; the root stays attached (same prog id); lab 2's program is a member" {
	"$CHAIN" up
	id=$(bpftool -j prog show pinned "$P/xdp_root" | jq .id)
	ping -i 0.1 -w 30 "$CHAIN_PEERIP" >"$BL_TMP/ping.out" 2>&1 &
	pid=$!
	ping -c 2 -W 1 -i 0.2 "$CHAIN_PEERIP"
	"$CHAIN" add 2 "$BUILD/xdp_drop_ping_member.bpf.o"
	run ping -c 3 -W 1 -i 0.2 "$CHAIN_PEERIP"
	[ "$status" != 0 ]
	[[ "$output" == *"3 packets transmitted, 0 received"* ]]
	"$CHAIN" add 0 "$BUILD/xdp_count.bpf.o"
	"$CHAIN" del 2
	ping -c 2 -W 1 -i 0.2 "$CHAIN_PEERIP"
	kill -INT "$pid"
	wait "$pid" || true
	# The background ping lost the replies while xdp_drop_ping was in the chain, not the rest.
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$BL_TMP/ping.out")
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$BL_TMP/ping.out")
	[ "$got" -gt 0 ]
	[ "$got" -lt "$sent" ]
	[ "$(count 0 1)" -gt 0 ]
	[ "$(xdp_prog_id_of "$CHAIN_HOSTIF")" = "$id" ]
}

xdp_prog_id_of() {
	ip -d link show "$1" | sed -n 's/.*prog\/xdp[a-z]* id \([0-9]*\).*/\1/p' | head -n1
}

@test "unchained: a member attached on its own, or run outside the root, just passes" {
	# 1. attached alone to a device: no root, no metadata; it counts and passes.
	bl_topology_up 198.19.64.1 198.19.64.2
	mkdir -p "$D/alone"
	bpftool prog loadall "$BUILD/xdp_count.bpf.o" "$D/alone" pinmaps "$D/alone"
	bpftool net attach xdpdrv pinned "$D/alone/xdp_count" dev "$BL_HOST"
	ping -c 2 -W 1 -i 0.2 198.19.64.2
	[ "$(count "$D/alone" 1)" -ge 2 ]
	bpftool net detach xdpdrv dev "$BL_HOST"
	# 2. sharing the chain's maps but run directly (bpftool prog run): the chain behind
	#    it (a UDP 9 filter) is not entered; the member's own verdict comes back.
	"$CHAIN" up
	"$CHAIN" add 5 "$BUILD/xdp_portfilter.bpf.o"
	drop_udp9 5
	mkdir -p "$D/shared"
	bpftool prog loadall "$BUILD/xdp_count.bpf.o" "$D/shared" \
		map name root_array pinned "$P/root_array" map name chain_cfg pinned "$P/chain_cfg" \
		map name chain_runs pinned "$P/chain_runs" map name xdpcap_hook pinned "$P/xdpcap_hook" \
		pinmaps "$D/shared"
	bl_frame "$BL_TMP/frame" "$UDP9"
	[ "$(bl_prog_retval "$D/shared/xdp_count" "$BL_TMP/frame")" = $XDP_PASS ]
	[ "$(count "$D/shared" 17)" = 1 ]
	# ... while through the root the same frame meets the filter.
	[ "$(root_run "$UDP9")" = $XDP_DROP ]
}

# The names in an object's .maps section (its BTF), sorted, on one line.
obj_maps() { # OBJ
	bpftool btf dump file "$1" |
		awk "/^\[[0-9]+\] DATASEC '.maps'/ { m = 1; next } /^\[/ { m = 0 } m" |
		sed -n "s/.*(VAR '\(.*\)')\$/\1/p" | sort | xargs
}

@test "lab 2's xdp_drop_ping.bpf.o declares no chain maps (xdpcap_hook only) and loads under 2 KiB xlated (3984 B with the chain code); the member variant has them" {
	[ "$(obj_maps "$BUILD/xdp_drop_ping.bpf.o")" = xdpcap_hook ]
	[ "$(obj_maps "$BUILD/xdp_drop_ping_member.bpf.o")" = "chain_cfg chain_runs root_array xdpcap_hook" ]
	mkdir -p "$D"
	bpftool prog load "$BUILD/xdp_drop_ping.bpf.o" "$D/xdp_drop_ping" pinmaps "$D"
	[ "$(find "$D" -mindepth 1 -printf '%f\n' | sort | xargs)" = "xdp_drop_ping xdpcap_hook" ]
	show=$(bpftool -j prog show pinned "$D/xdp_drop_ping")
	[ "$(echo "$show" | jq '.map_ids | length')" = 1 ]
	echo "xlated $(echo "$show" | jq .bytes_xlated) bytes"
	[ "$(echo "$show" | jq .bytes_xlated)" -lt 2048 ]
}

@test "errors: not up, bad slot, not a chain member, taken slot, empty slot, bad PROG, usage" {
	run "$CHAIN" add 1 "$BUILD/xdp_count.bpf.o"
	[ "$status" = 1 ]
	[[ "$output" == *"chain is not up"* ]]
	"$CHAIN" up
	run "$CHAIN" add 32 "$BUILD/xdp_count.bpf.o"
	[ "$status" = 1 ]
	[[ "$output" == *"slot '32' out of range: root_array has 32 slots (0..31)"* ]]
	run "$CHAIN" add x "$BUILD/xdp_count.bpf.o"
	[ "$status" = 1 ]
	run "$CHAIN" add 1 "$BUILD/tailcall.bpf.o"
	[ "$status" = 1 ]
	[[ "$output" == *"is not a chain member: it has no root_array map"* ]]
	[[ "$output" == *"Hint: include bpf/chain.bpf.h"* ]]
	run "$CHAIN" add 1 "$BUILD/xdp_drop_ping.bpf.o"
	[ "$status" = 1 ]
	[[ "$output" == *"is not a chain member: it has no root_array map"* ]]
	run "$CHAIN" add 1 "$BL_TMP/missing.bpf.o"
	[ "$status" = 1 ]
	[[ "$output" == *"no such object file"* ]]
	"$CHAIN" add 1 "$BUILD/xdp_count.bpf.o"
	run "$CHAIN" add 1 "$BUILD/xdp_portfilter.bpf.o"
	[ "$status" = 1 ]
	[[ "$output" == *"slot 1 is taken"* ]]
	[ "$("$CHAIN" list --json 2>/dev/null | jq -r '.slots[0].name')" = xdp_count ]
	run "$CHAIN" del 7
	[ "$status" = 1 ]
	[[ "$output" == *"already empty"* ]]
	run "$CHAIN" add 2 "$BUILD/xdp_count.bpf.o" nosuchprog
	[ "$status" = 1 ]
	[[ "$output" == *"has no program 'nosuchprog'"* ]]
	[ ! -e "$P/slots/02" ]
	[ "$("$CHAIN" list --json 2>/dev/null | jq '.slots | length')" = 1 ]
	run "$CHAIN" add 2 "$BUILD/xdp_count.bpf.o" --continue-on sometimes
	[ "$status" = 2 ]
	run "$CHAIN" frob
	[ "$status" = 2 ]
	[[ "$output" == *Usage:* ]]
	run "$CHAIN" list extra
	[ "$status" = 2 ]
	run "$CHAIN" add 2
	[ "$status" = 2 ]
}

@test "errors: missing tools are named with their Debian package; not root -> clear error" {
	PATH=/usr/bin:/bin run "$CHAIN" up
	[ "$status" = 1 ]
	[[ "$output" == *"'bpftool' not found (Debian package: bpftool)"* ]]
	command -v sudo >/dev/null && skip "sudo is installed: the script would re-run itself through it"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not available"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CHAIN" up
	[ "$status" = 1 ]
	[[ "$output" == *"must run as root"* ]]
}

@test "cleanup: up; up; add; down; down leaves the kernel as it was and bpf stats as they were" {
	stats_before=$(stats_state)
	bl_snapshot >"$BL_TMP/before"
	"$CHAIN" up
	"$CHAIN" up
	[ "$(sysctl -n kernel.bpf_stats_enabled)" = 1 ]
	"$CHAIN" add 0 "$BUILD/xdp_count.bpf.o"
	"$CHAIN" add 2 "$BUILD/xdp_drop_ping_member.bpf.o"
	bl_pinned_ids "$BPFLAB_PIN/chain" >"$BL_TMP/ids"
	"$CHAIN" down
	"$CHAIN" down
	stats_released "$stats_before"
	bl_assert_ids_gone "$BL_TMP/ids"
	[ -n "${BPFLAB_SANDBOX:-}" ] || bl_wait_for 10 sh -c '! bpftool prog list | grep -qE "name (xdp_root|xdp_count) "' || true
	bl_assert_same_state "$BL_TMP/before"
}

# A second chain lab with names of its own.
chain_b() {
	BPFLAB_PIN=$BPFLAB_PIN-b BPFLAB_RUN=$BPFLAB_RUN-b CHAIN_NS=$CHAIN_NS-b CHAIN_HOSTIF=${CHAIN_HOSTIF}b \
		CHAIN_PEERIF=${CHAIN_PEERIF}b CHAIN_HOSTIP=198.19.66.1 CHAIN_PEERIP=198.19.66.2 "$CHAIN" "$@"
}

@test "bpf stats: two chain labs up at once; the switch goes back only when the last one is down" {
	stats_before=$(stats_state)
	"$CHAIN" up
	chain_b up
	chain_b down
	[ "$(sysctl -n kernel.bpf_stats_enabled)" = 1 ]
	"$CHAIN" down
	stats_released "$stats_before"
	rm -rf "$BPFLAB_RUN-b"
}

@test "dry-run prints the commands and changes nothing" {
	bl_snapshot >"$BL_TMP/before"
	run "$CHAIN" --dry-run up
	[ "$status" = 0 ]
	[[ "$output" == *"+ bpftool prog load $BUILD/xdp_root.bpf.o $P/xdp_root pinmaps $P"* ]]
	[[ "$output" == *"+ bpftool net attach xdpdrv pinned $P/xdp_root dev $CHAIN_HOSTIF"* ]]
	bl_assert_same_state "$BL_TMP/before"
}

# ---- appended by the framework migration

# kernel.bpf_stats_enabled is one switch for the whole machine, and other test runs (other
# sandboxes) may hold it at the same time. This lab's holder must be gone; the value must be
# back to what it was when nobody held it at the start (STATE_BEFORE) and nobody holds it now.
# "SWITCH HOLDER..." read under the registry's lock: another run's restore cannot fall between.
stats_state() {
	local dir holders
	dir=$(bl_use_lib && echo "$BPF_STATS_DIR")
	mkdir -p "$dir"
	{
		flock 9
		holders=$(find "$dir/holders" -mindepth 1 -printf "%f " 2>/dev/null || true)
		holders=${holders% }
		echo "$(sysctl -n kernel.bpf_stats_enabled)${holders:+ $holders}"
	} 9>"$dir/lock"
}
stats_released() { # STATE_BEFORE
	local mine now
	mine=$(bl_use_lib && echo "$BPF_STATS_DIR/holders/$(bpf_stats_holder "$P")")
	[ ! -e "$mine" ] || { echo "bpf stats holder left: $mine" >&2; return 1; }
	now=$(stats_state)
	[[ "$1" == *" "* ]] || [[ "$now" == *" "* ]] || [ "$now" = "$1" ] ||
		{ echo "kernel.bpf_stats_enabled: $now, was $1 (nobody held it)" >&2; return 1; }
}

@test "interrupted up: SIGKILL after each command of up, then down leaves nothing, stats switch included" {
	stats_state >"$BL_TMP/stats.before"
	bl_snapshot >"$BL_TMP/before"
	BL_KILL_PINS=$P BL_KILL_CHECK=stats_released_since_start \
		bl_assert_every_kill_point chain 15 "$BL_TMP/before" "$CHAIN"
}

stats_released_since_start() { stats_released "$(cat "$BL_TMP/stats.before")"; }

@test "interrupted up: SIGINT and SIGTERM roll back by themselves (3 kill points each)" {
	local n sig stats_before
	stats_before=$(stats_state)
	bl_snapshot >"$BL_TMP/before"
	for sig in INT TERM; do
		for n in 5 13 14; do
			bl_kill_up_at_step "$CHAIN" "$n" "$sig"
			grep -q 'rolling back' "$BL_TMP/step.err"
			bl_assert_same_state "$BL_TMP/before" || { echo "SIG$sig at command $n left this" >&2; return 1; }
			stats_released "$stats_before"
		done
	done
}

@test "gone: down after 'ip link del' of the host veth, or 'ip netns del', says so and leaves nothing" {
	local stats_before
	stats_before=$(stats_state)
	bl_snapshot >"$BL_TMP/before"
	"$CHAIN" up
	"$CHAIN" add 1 "$BUILD/xdp_count.bpf.o"
	bl_assert_down_after "$BL_TMP/before" "$P" "device $CHAIN_HOSTIF was already gone" "$CHAIN" ip link del "$CHAIN_HOSTIF"
	stats_released "$stats_before"
	"$CHAIN" up
	bl_assert_down_after "$BL_TMP/before" "$P" "network namespace $CHAIN_NS was already gone" "$CHAIN" ip netns del "$CHAIN_NS"
	stats_released "$stats_before"
}

# Without the stats switch: whether a down is its last holder depends on other runs (other
# sandboxes) that may come and go between --dry-run down and down.
STATS_LINE='kernel\.bpf_stats_enabled='

@test "--dry-run down prints exactly what down runs: up with members, a killed up, not up" {
	"$CHAIN" up
	"$CHAIN" add 1 "$BUILD/xdp_count.bpf.o"
	dry=$(bl_assert_dry_run_down "$CHAIN" "$STATS_LINE")
	[[ "$dry" == *"+ bpftool net detach xdpdrv dev $CHAIN_HOSTIF"* ]]
	[[ "$dry" == *"pinfill clear $P/root_array"* ]]
	bl_kill_up_at_step "$CHAIN" 14 KILL
	dry=$(bl_assert_dry_run_down "$CHAIN" "$STATS_LINE")
	[[ "$dry" == *"+ ip netns del $CHAIN_NS"* ]]
	run "$CHAIN" --dry-run down
	[ "$status" = 0 ]
	[[ "$output" == *"chain was not up"* ]]
	dry=$(bl_assert_dry_run_down "$CHAIN" "$STATS_LINE")
	[ -z "$dry" ]
}
