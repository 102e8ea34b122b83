#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Tail-call lab: entry's return value as jmp_table slots are filled and emptied, the
# 33-call limit, why the prog array must be pinned, live traffic through tc ingress,
# pinfill's errors, and nothing left behind.

load helpers

# IPv4/UDP frame (tc programs only need an Ethernet header).
FRAME="ff ff ff ff ff ff 02 00 00 00 00 01 08 00  45 00 00 1c 00 00 40 00 40 11 00 00 c6 13 3d 01 c6 13 3d 02  04 d2 00 09 00 08 00 00"

setup_file() {
	bl_setup_names
	if [ -z "${BPFLAB_SANDBOX:-}" ]; then
		# On the host the defaults may belong to a lab that is up: names of this run's own.
		export TC_NS="bltc-$BL_ID" TC_HOSTIF="btch$BL_ID" TC_PEERIF="btcp$BL_ID"
		export TC_HOSTIP=198.19.61.1 TC_PEERIP=198.19.61.2
	fi
	# In the sandbox the lab runs with its defaults; the tests name them here.
	export T_NS=${TC_NS:-bpflab-tc} T_HOSTIF=${TC_HOSTIF:-bpflabtc0} T_PEERIP=${TC_PEERIP:-198.18.1.2}
	export TAILCALL="$SCRIPTS/tailcall.sh" PINFILL="$BUILD/pinfill"
	bl_frame "$BL_TMP/frame" "$FRAME"
}

teardown_file() {
	"$TAILCALL" down >/dev/null 2>&1 || true
	bl_topology_down
	rm -rf "$BPFLAB_PIN" "$BPFLAB_RUN" "$BL_TMP"
}

setup() {
	D=$BPFLAB_PIN/t$BATS_TEST_NUMBER
}

teardown() {
	"$TAILCALL" down >/dev/null 2>&1 || true
	"$TAILCALL" down --dev "$BL_HOST" >/dev/null 2>&1 || true
	rm -rf "$D"
	rmdir "$BPFLAB_PIN" 2>/dev/null || true
	# On the host, the kernel frees programs and maps asynchronously: let the next test's
	# snapshot start clean. (programs only: listing maps opens each by id, a user reference
	# that can race with the deferred flush of a prog array being freed.) In the sandbox the
	# snapshot holds no global ids, and other runs' programs have these names too.
	[ -n "${BPFLAB_SANDBOX:-}" ] ||
		bl_wait_for 10 sh -c '! bpftool prog list | grep -qE "name (classifier_[0-2]|entry|loop_start|loop_self|xdp_count) "' || true
}

# Load the object by hand, as the write-up does: every program and map pinned in $D.
load_obj() {
	mkdir -p "$D"
	bpftool prog loadall "$BUILD/tailcall.bpf.o" "$D" pinmaps "$D"
}

entry_ret() {
	bl_prog_retval "$D/entry" "$BL_TMP/frame"
}

@test "retval: empty 3, full 2, without 2 -> 1, without 1 -> 0, without 0 -> 3" {
	load_obj
	[ "$(entry_ret)" = 3 ]
	"$PINFILL" fill "$D/jmp_table" "$D" 'classifier_%d'
	[ "$(entry_ret)" = 2 ]
	"$PINFILL" del "$D/jmp_table" 2
	[ "$(entry_ret)" = 1 ]
	"$PINFILL" set "$D/jmp_table" 2 "$D/classifier_2"
	"$PINFILL" del "$D/jmp_table" 1
	[ "$(entry_ret)" = 0 ]
	"$PINFILL" set "$D/jmp_table" 1 "$D/classifier_1"
	"$PINFILL" del "$D/jmp_table" 0
	[ "$(entry_ret)" = 3 ]
	# classifier_1 and _2 are still there, unreachable without slot 0.
	[ "$("$PINFILL" list "$D/jmp_table" | cut -f1 | tr '\n' ' ')" = "1 2 " ]
}

@test "retval: a program can sit in any slot: classifier_2 in slot 0 ends the chain at once" {
	load_obj
	"$PINFILL" set "$D/jmp_table" 0 "$D/classifier_2"
	[ "$(entry_ret)" = 2 ]
	"$PINFILL" set "$D/jmp_table" 0 "$D/classifier_1"
	[ "$(entry_ret)" = 1 ]
}

@test "limit: a program tail-calling itself stops after 33 tail calls and returns" {
	load_obj
	# loop_table empty: loop_start's own fallback value
	[ "$(bl_prog_retval "$D/loop_start" "$BL_TMP/frame")" = 4294967295 ]
	"$PINFILL" set "$D/loop_table" 0 "$D/loop_self"
	[ "$(bl_prog_retval "$D/loop_start" "$BL_TMP/frame")" = 33 ]
	# The limit is per packet: every run starts again from 0.
	[ "$(bpftool -j prog run pinned "$D/loop_start" data_in "$BL_TMP/frame" repeat 5 | jq .retval)" = 33 ]
}

@test "pinning: entries survive the loader exiting, and are flushed with the last user reference" {
	load_obj
	"$PINFILL" fill "$D/jmp_table" "$D" 'classifier_%d'
	# bpftool and pinfill have exited; the pin keeps the entries.
	[ "$(entry_ret)" = 2 ]
	id=$(bpftool -j map show pinned "$D/jmp_table" | jq .id)
	# The programs still reference the map, but only pins and fds count as user references:
	# removing the pin flushes every slot (in a kernel work item, so wait for it, bounded).
	rm "$D/jmp_table"
	bl_wait_for 5 flushed
	bpftool -j prog show pinned "$D/entry" | jq -e --argjson id "$id" '.map_ids | index($id)' >/dev/null
	# Filling it by id does not help: bpftool's fd is the only user reference, and when
	# bpftool exits the entry is flushed again.
	bpftool map update id "$id" key 0 0 0 0 value pinned "$D/classifier_2"
	bl_wait_for 5 flushed
}

# All three slots empty, seen through the programs that use jmp_table (not by opening the
# map by id: see labs/tailcall.md on the deferred flush).
flushed() {
	[ "$(entry_ret)" = 3 ] &&
		[ "$(bl_prog_retval "$D/classifier_0" "$BL_TMP/frame")" = 0 ] &&
		[ "$(bl_prog_retval "$D/classifier_1" "$BL_TMP/frame")" = 1 ]
}

@test "live: the filled table carries the veth's traffic (2 = TC_ACT_SHOT drops it), run shows the retval" {
	"$TAILCALL" up
	run "$TAILCALL" run
	[ "$status" = 0 ]
	[[ "$output" == *"entry returned 2"* ]]
	P=$BPFLAB_PIN/tailcall
	# The replies to our pings come in on the host veth and run entry -> ... -> classifier_2.
	run ping -c 2 -W 1 -i 0.2 "$T_PEERIP"
	[ "$status" != 0 ]
	# Wait for the counts (bounded), not for a time window: a reply can arrive after ping gave up.
	bl_wait_for 20 hits_at_least 2 0 1 2 3
	"$PINFILL" del "$P/jmp_table" 2
	# The counts to compare with are taken after the del: until then the peer's own traffic
	# (IPv6 MLD and router solicitations) may still run classifier_2.
	hits=$("$TAILCALL" status --json | jq -c '.hits')
	# -W bounds the wait for each reply; ping returns as soon as they are there.
	ping -c 2 -W 10 -i 0.2 "$T_PEERIP"
	[ "$("$TAILCALL" run --json 2>/dev/null | jq .retval)" = 1 ]
	hits2=$("$TAILCALL" status --json | jq -c '.hits')
	# classifier_1 saw the new packets, classifier_2 (no longer in the table) did not.
	[ "$(echo "$hits2" | jq '."1"')" -gt "$(echo "$hits" | jq '."1"')" ]
	[ "$(echo "$hits2" | jq '."2"')" = "$(echo "$hits" | jq '."2"')" ]
	[ "$("$TAILCALL" status --json | jq .attached)" = true ]
}

# True when every hit counter KEY... is at least MIN.
hits_at_least() { # MIN KEY...
	local min=$1 hits k
	shift
	hits=$("$TAILCALL" status --json | jq -c '.hits')
	for k in "$@"; do
		[ "$(echo "$hits" | jq ".\"$k\"")" -ge "$min" ] || return 1
	done
}

@test "cleanup: up; up; down; down leaves the kernel as it was (stats and loop too)" {
	bl_snapshot >"$BL_TMP/before"
	"$TAILCALL" up
	"$TAILCALL" up
	bl_pinned_ids "$BPFLAB_PIN/tailcall" >"$BL_TMP/ids"
	"$TAILCALL" run loop_start | grep -q 'returned 33'
	"$TAILCALL" status | grep -q 'classifier_2'
	"$TAILCALL" down
	"$TAILCALL" down
	bl_assert_same_state "$BL_TMP/before"
	bl_assert_ids_gone "$BL_TMP/ids"
}

@test "--dev: an existing clsact qdisc and its other filters are left alone by down" {
	bl_topology_up 198.19.63.1 198.19.63.2
	tc qdisc add dev "$BL_HOST" clsact
	# someone else's filter: classifier_0 of a copy loaded by hand (returns 0, TC_ACT_OK)
	load_obj
	tc filter add dev "$BL_HOST" ingress pref 7 bpf direct-action pinned "$D/classifier_0"
	"$TAILCALL" up --dev "$BL_HOST"
	[ "$(tc filter show dev "$BL_HOST" ingress | grep -c 'pref 49 bpf.*entry')" = 1 ]
	"$TAILCALL" down
	tc qdisc show dev "$BL_HOST" | grep -q clsact
	tc filter show dev "$BL_HOST" ingress | grep -q 'pref 7 bpf.*classifier_0'
	[ -z "$(tc filter show dev "$BL_HOST" ingress pref 49)" ]
	bl_topology_down
}

@test "--dev: a foreign filter at the lab's pref is refused by up and survives down" {
	bl_topology_up 198.19.63.1 198.19.63.2
	tc qdisc add dev "$BL_HOST" clsact
	load_obj
	tc filter add dev "$BL_HOST" ingress pref 49 bpf direct-action pinned "$D/classifier_0"
	run "$TAILCALL" up --dev "$BL_HOST"
	[ "$status" = 1 ]
	[[ "$output" == *"already has an ingress filter with pref 49"* ]]
	"$TAILCALL" down
	tc filter show dev "$BL_HOST" ingress pref 49 | grep -q 'bpf.*classifier_0'
	bl_topology_down
}

@test "dry-run prints the commands and changes nothing" {
	bl_snapshot >"$BL_TMP/before"
	run "$TAILCALL" --dry-run up
	[ "$status" = 0 ]
	[[ "$output" == *"+ bpftool prog loadall $BUILD/tailcall.bpf.o $BPFLAB_PIN/tailcall pinmaps $BPFLAB_PIN/tailcall"* ]]
	[[ "$output" == *"+ $PINFILL fill $BPFLAB_PIN/tailcall/jmp_table $BPFLAB_PIN/tailcall classifier_%d"* ]]
	[[ "$output" == *"+ tc filter add dev $T_HOSTIF ingress pref 49 handle 1 bpf direct-action pinned $BPFLAB_PIN/tailcall/entry"* ]]
	bl_assert_same_state "$BL_TMP/before"
}

@test "errors: usage exit 2, run when down, missing --dev device" {
	run "$TAILCALL" bogus
	[ "$status" = 2 ]
	[[ "$output" == *Usage:* ]]
	run "$TAILCALL" up --nope
	[ "$status" = 2 ]
	run "$TAILCALL"
	[ "$status" = 2 ]
	run "$TAILCALL" run
	[ "$status" = 1 ]
	[[ "$output" == *"tailcall is not up"* ]]
	run "$TAILCALL" up --dev nosuchdev0
	[ "$status" = 1 ]
	[[ "$output" == *"device 'nosuchdev0' does not exist"* ]]
	[ ! -e "$BPFLAB_PIN/tailcall" ]
}

@test "errors: TC_PREF -1, 0 (with --dev: 'every filter' to tc), empty or huge is refused before anything is made" {
	bl_snapshot >"$BL_TMP/before"
	local v
	for v in -1 0 65536 4x; do
		TC_PREF=$v run "$TAILCALL" up
		[ "$status" = 2 ]
		[ "${lines[0]}" = "tailcall.sh: error: TC_PREF='$v' is out of range" ]
		[ "${lines[1]}" = "Hint: a whole number from 1 to 65535" ]
	done
	TC_PREF=0 run "$TAILCALL" up --dev lo
	[ "$status" = 2 ]
	[[ "$output" == *"TC_PREF='0' is out of range"* ]]
	TC_PREF=0 run "$TAILCALL" down --dev lo
	[ "$status" = 2 ]
	TC_PREF='' run "$TAILCALL" up
	[ "$status" != 0 ]
	[[ "$output" == *"TC_PREF is set but empty"* ]]
	bl_assert_same_state "$BL_TMP/before"
}

@test "errors: run of a map (jmp_table) or of no such program: one clear line and the programs there" {
	"$TAILCALL" up
	run "$TAILCALL" run jmp_table
	[ "$status" = 1 ]
	[ "${lines[0]}" = "tailcall.sh: error: 'jmp_table' is a map, not a program: only programs run" ]
	[ "${lines[1]}" = "Hint: one of: classifier_0 classifier_1 classifier_2 entry loop_self loop_start" ]
	run "$TAILCALL" run nosuch
	[ "$status" = 1 ]
	[ "${lines[0]}" = "tailcall.sh: error: no program 'nosuch' in $BPFLAB_PIN/tailcall" ]
	run "$TAILCALL" run entry extra
	[ "$status" = 2 ]
	[[ "$output" == *"'run' takes 0 to 1 argument(s), got 2"*Usage:* ]]
}

# ---- faults: interrupted up, objects gone under the lab, --dry-run parity

# Fails unless --dev device $BL_HOST carries no clsact qdisc and no ingress filter.
no_tc_on_test_dev() {
	[ -z "$(tc filter show dev "$BL_HOST" ingress 2>/dev/null)" ] && ! tc qdisc show dev "$BL_HOST" | grep -q clsact
}

@test "interrupted up: SIGKILL after each command of up, then down leaves nothing (every kill point)" {
	bl_snapshot >"$BL_TMP/before"
	BL_KILL_PINS=$BPFLAB_PIN/tailcall bl_assert_every_kill_point tailcall 17 "$BL_TMP/before" "$TAILCALL"
}

@test "interrupted up --dev: SIGKILL after each command, then down leaves no qdisc or filter on the device" {
	bl_topology_up 198.19.63.1 198.19.63.2
	bl_snapshot >"$BL_TMP/before"
	BL_KILL_PINS=$BPFLAB_PIN/tailcall BL_KILL_CHECK=no_tc_on_test_dev \
		bl_assert_every_kill_point "tailcall --dev" 6 "$BL_TMP/before" "$TAILCALL" --dev "$BL_HOST"
	no_tc_on_test_dev
	bl_topology_down
}

@test "interrupted up: SIGINT and SIGTERM roll back by themselves (3 kill points each)" {
	local n sig
	bl_snapshot >"$BL_TMP/before"
	for sig in INT TERM; do
		for n in 5 13 16; do
			bl_kill_up_at_step "$TAILCALL" "$n" "$sig"
			grep -q 'rolling back' "$BL_TMP/step.err"
			bl_assert_same_state "$BL_TMP/before" || { echo "SIG$sig at command $n left this" >&2; return 1; }
		done
	done
	run "$TAILCALL" down
	[[ "$output" == *"tailcall was not up"* ]]
}

@test "gone: down after 'ip link del' of the host veth, or 'ip netns del', says so and leaves nothing" {
	bl_snapshot >"$BL_TMP/before"
	"$TAILCALL" up
	bl_assert_down_after "$BL_TMP/before" "$BPFLAB_PIN/tailcall" "device $T_HOSTIF was already gone" \
		"$TAILCALL" ip link del "$T_HOSTIF"
	"$TAILCALL" up
	bl_assert_down_after "$BL_TMP/before" "$BPFLAB_PIN/tailcall" "network namespace $T_NS was already gone" \
		"$TAILCALL" ip netns del "$T_NS"
	# --dev on a device that went away: nothing of ours is left on it to remove.
	bl_topology_up 198.19.63.1 198.19.63.2
	"$TAILCALL" up --dev "$BL_HOST"
	bl_topology_down
	run "$TAILCALL" down
	[ "$status" = 0 ]
	bl_assert_same_state "$BL_TMP/before"
}

@test "--dry-run down prints exactly what down runs: up, up --dev, a killed up, not up" {
	"$TAILCALL" up
	dry=$(bl_assert_dry_run_down "$TAILCALL")
	[[ "$dry" == *"+ ip netns del $T_NS"* ]]
	bl_topology_up 198.19.63.1 198.19.63.2
	tc qdisc add dev "$BL_HOST" clsact
	"$TAILCALL" up --dev "$BL_HOST"
	dry=$(bl_assert_dry_run_down "$TAILCALL")
	[[ "$dry" == *"+ tc filter del dev $BL_HOST ingress pref 49 handle 1 bpf"* ]]
	bl_topology_down
	bl_kill_up_at_step "$TAILCALL" 14 KILL
	dry=$(bl_assert_dry_run_down "$TAILCALL")
	[[ "$dry" == *"pinfill clear $BPFLAB_PIN/tailcall/jmp_table"* ]]
	run "$TAILCALL" --dry-run down
	[ "$status" = 0 ]
	[[ "$output" == *"tailcall was not up"* ]]
	dry=$(bl_assert_dry_run_down "$TAILCALL")
	[ -z "$dry" ]
}

# ---- pinfill

@test "pinfill: not root -> one error line and a Hint" {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not available"
	load_obj
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$PINFILL" list "$D/jmp_table"
	[ "$status" = 1 ]
	[[ "${lines[0]}" == "pinfill: error: cannot open pin $D/jmp_table: Permission denied" ]]
	[[ "${lines[1]}" == Hint:*root* ]]
}

# The map's slots before and after a refused command must be the same.
same_slots() { # MAP_PIN BEFORE_FILE
	diff "$2" <("$PINFILL" list "$1")
}

@test "pinfill: set/list/del, --json, fill of a subset" {
	load_obj
	run "$PINFILL" fill "$D/jmp_table" "$D" 'classifier_%u'
	[ "$status" = 0 ]
	[ "${#lines[@]}" = 3 ]
	run "$PINFILL" --json list "$D/jmp_table"
	[ "$(echo "$output" | jq -r '[.[] | "\(.key):\(.type):\(.name)"] | join(" ")')" = \
		"0:sched_cls:classifier_0 1:sched_cls:classifier_1 2:sched_cls:classifier_2" ]
	[ "$(echo "$output" | jq '.[0].id')" = "$(bpftool -j prog show pinned "$D/classifier_0" | jq .id)" ]
	"$PINFILL" del "$D/jmp_table" 0
	"$PINFILL" del "$D/jmp_table" 1
	"$PINFILL" del "$D/jmp_table" 2
	[ -z "$("$PINFILL" list "$D/jmp_table")" ]
	# fill sets only the keys whose pin exists
	mkdir "$D/sub"
	bpftool prog pin id "$(bpftool -j prog show pinned "$D/classifier_1" | jq .id)" "$D/sub/c1"
	"$PINFILL" fill "$D/jmp_table" "$D/sub" 'c%d'
	[ "$("$PINFILL" list "$D/jmp_table" | cut -f1,4 | tr '\t\n' ': ')" = "1:classifier_1 " ]
}

@test "pinfill errors: one clear line, non-zero exit, map unchanged" {
	load_obj
	bpftool prog load "$BUILD/xdp_count.bpf.o" "$D/xdp_count"
	"$PINFILL" set "$D/jmp_table" 0 "$D/classifier_0"
	"$PINFILL" list "$D/jmp_table" >"$BL_TMP/slots"

	run "$PINFILL" set "$D/jmp_table" 1 "$D/nothere"
	[ "$status" = 1 ]
	[[ "${lines[0]}" == "pinfill: error: cannot open pin $D/nothere: No such file or directory" ]]
	run "$PINFILL" set "$D/jmp_table" 1 "$BL_TMP/frame"
	[ "$status" = 1 ]
	[[ "$output" == *"is not a BPF pin"* ]]
	run "$PINFILL" set "$D/tc_hits" 1 "$D/classifier_1"
	[ "$status" = 1 ]
	[[ "$output" == *"tc_hits is a map of type array: only prog_array, array_of_maps and hash_of_maps"* ]]
	run "$PINFILL" set "$D/jmp_table" 3 "$D/classifier_1"
	[ "$status" = 1 ]
	[[ "$output" == *"key 3 out of range"*"3 entries (0..2)"* ]]
	run "$PINFILL" set "$D/jmp_table" 1 "$D/xdp_count"
	[ "$status" = 1 ]
	[[ "$output" == *"program xdp_count is of type xdp, but $D/jmp_table holds sched_cls programs"* ]]
	[[ "$output" == *Hint:* ]]
	run "$PINFILL" set "$D/jmp_table" 1 "$D/tc_hits"
	[ "$status" = 1 ]
	[[ "$output" == *"is a map, but"*"holds programs"* ]]
	run "$PINFILL" set "$D/classifier_0" 1 "$D/classifier_1"
	[ "$status" = 1 ]
	[[ "$output" == *"is a program (sched_cls), not a map"* ]]
	run "$PINFILL" del "$D/jmp_table" 2
	[ "$status" = 1 ]
	[[ "$output" == *"No such file or directory"*"already empty"* ]]
	# A malformed KEY is a usage error (exit 2), a negative one too (not an option).
	run "$PINFILL" set "$D/jmp_table" x1 "$D/classifier_1"
	[ "$status" = 2 ]
	[[ "$output" == *"bad key 'x1'"* ]]
	run "$PINFILL" set "$D/jmp_table" -1 "$D/classifier_1"
	[ "$status" = 2 ]
	[[ "$output" == *"bad key '-1'"* ]]
	# fill is all or nothing: classifier_2 fits, the xdp program in 'slot' 1 does not.
	mkdir "$D/mixed"
	bpftool prog pin id "$(bpftool -j prog show pinned "$D/classifier_2" | jq .id)" "$D/mixed/p2"
	bpftool prog pin id "$(bpftool -j prog show pinned "$D/xdp_count" | jq .id)" "$D/mixed/p1"
	run "$PINFILL" fill "$D/jmp_table" "$D/mixed" 'p%d'
	[ "$status" = 1 ]
	run "$PINFILL" fill "$D/jmp_table" "$D" '%s'
	[ "$status" = 1 ]
	[[ "$output" == *"bad FORMAT"* ]]
	same_slots "$D/jmp_table" "$BL_TMP/slots"

	run "$PINFILL" frob "$D/jmp_table"
	[ "$status" = 2 ]
	[[ "$output" == *"unknown command 'frob'"*Usage:* ]]
	run "$PINFILL" set "$D/jmp_table" 1
	[ "$status" = 2 ]
	run "$PINFILL" --bogus list "$D/jmp_table"
	[ "$status" = 2 ]
}

@test "pinfill: map-in-map: array_of_maps and hash_of_maps with bpftool's hex key bytes" {
	mkdir -p "$D"
	bpftool map create "$D/inner" type array key 4 value 8 entries 4 name inner
	bpftool map create "$D/inner2" type array key 4 value 8 entries 4 name inner2
	bpftool map create "$D/odd" type array key 4 value 4 entries 4 name odd
	bpftool map create "$D/outer" type array_of_maps key 4 value 4 entries 2 name outer inner_map pinned "$D/inner"
	bpftool map create "$D/hom" type hash_of_maps key 4 value 4 entries 8 name hom inner_map pinned "$D/inner"
	"$PINFILL" set "$D/outer" 1 "$D/inner2"
	[ "$("$PINFILL" list "$D/outer" | cut -f1,2,3,4 | tr '\t' ' ')" = \
		"1 $(bpftool -j map show pinned "$D/inner2" | jq .id) array inner2" ]
	run "$PINFILL" set "$D/outer" 0 "$D/odd"
	[ "$status" = 1 ]
	[[ "$output" == *"Invalid argument"* ]]
	[[ "$output" == *"inner-map template"* ]]
	run "$PINFILL" set "$D/outer" 0 "$D/xdp_nothing"
	[ "$status" = 1 ]
	"$PINFILL" set "$D/hom" "0a 00 00 01" "$D/inner"
	"$PINFILL" set "$D/hom" "hex 0a 00 00 02" "$D/inner2"
	"$PINFILL" list "$D/hom" >"$BL_TMP/hom"
	grep -q '^0a 00 00 01	.*inner$' "$BL_TMP/hom"
	grep -q '^0a 00 00 02	.*inner2$' "$BL_TMP/hom"
	run "$PINFILL" set "$D/hom" "0a 00 01" "$D/inner"
	[ "$status" = 1 ]
	[[ "$output" == *"needs 4 key bytes, got 3"* ]]
	"$PINFILL" del "$D/hom" "0x0a 0x00 0x00 0x01"
	[ "$("$PINFILL" list "$D/hom" | wc -l)" = 1 ]
	run "$PINFILL" --json list "$D/hom"
	[ "$(echo "$output" | jq -r '.[0].key')" = "0a 00 00 02" ]
}
