#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The template lab (scripts/template.sh): the model test file for a new lab. Runs in its own
# sandbox (tests/run.sh), so the lab's default names are used as a student would use them.

load helpers

setup_file() {
	bl_setup_names
	TPL="$SCRIPTS/template.sh"
	export TPL
}

teardown() {
	"$TPL" down >/dev/null 2>&1 || true
}

teardown_file() {
	rm -rf "$BL_TMP"
}

@test "template: up attaches xdp_template to the veth; pings are answered and counted" {
	"$TPL" up
	local id
	id=$(bpftool -j net show dev bpflabtpl0 | jq -r '.[0].xdp[0].id')
	[ "$(bpftool -j prog show id "$id" | jq -r .name)" = xdp_template ]
	ping -c 3 -W 1 -i 0.2 198.18.9.2
	# Each echo reply arrived through the program: at least 3 frames counted.
	[ "$("$TPL" status --json | jq -r .pkt_count)" -ge 3 ]
	[ "$("$TPL" status --json | jq -r .attached)" = true ]
}

@test "template: down leaves nothing (pins, netns, devices, the program and map ids)" {
	bl_snapshot >"$BL_TMP/before"
	"$TPL" up
	bl_pinned_ids "$BPFLAB_PIN/template" >"$BL_TMP/ids"
	[ "$(grep -c . "$BL_TMP/ids")" -ge 2 ]
	"$TPL" down
	"$TPL" down
	bl_assert_same_state "$BL_TMP/before"
	bl_assert_ids_gone "$BL_TMP/ids"
}

@test "template: dry-run up prints the by-hand commands and changes nothing" {
	bl_snapshot >"$BL_TMP/before"
	run "$TPL" --dry-run up
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ bpftool prog load $BUILD/template.bpf.o $BPFLAB_PIN/template/xdp_template pinmaps $BPFLAB_PIN/template"* ]]
	[[ "$output" == *"+ bpftool net attach xdpdrv pinned $BPFLAB_PIN/template/xdp_template dev bpflabtpl0"* ]]
	bl_assert_same_state "$BL_TMP/before"
}

@test "template: SIGKILL after each command of up, then down leaves nothing (every kill point)" {
	bl_snapshot >"$BL_TMP/before"
	bl_assert_every_kill_point template 14 "$BL_TMP/before" "$TPL"
}

@test "template: usage errors exit 2 with the framework's words" {
	run "$TPL" nosuch
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown subcommand 'nosuch'"* ]]
	run "$TPL" up --nosuch
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--nosuch'"* ]]
	TPL_NS='' run "$TPL" up
	[ "$status" -eq 2 ]
	[[ "$output" == *"TPL_NS is set but empty"* ]]
}

@test "template: up on a kernel without a needed program type fails early with the doctor's words, nothing made" {
	bl_snapshot >"$BL_TMP/before"
	echo '{"program_types": {}, "map_types": {"have_array_map_type": true}}' >"$BL_TMP/features.json"
	BPFLAB_FEATURES="$BL_TMP/features.json" run "$TPL" up
	[ "$status" -eq 1 ]
	[[ "$output" == *"this kernel cannot run this: prog_type: the kernel refuses to load a xdp program"* ]]
	[[ "$output" == *"Hint: scripts/doctor.sh"* ]]
	bl_assert_same_state "$BL_TMP/before"
}
