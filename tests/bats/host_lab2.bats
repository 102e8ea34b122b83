#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Lab 2 on the host namespace (tests/run.sh runs host_*.bats outside the sandbox), with names
# of its own so it never meets a lab that is up: the non-sandboxed path stays tested. Its
# leftover check names what it made, since other users of BPF may share the host.

load helpers

setup_file() {
	bl_setup_names
	export LAB2_NS="blt2-$BL_ID" LAB2_HOSTIF="bl2h$BL_ID" LAB2_PEERIF="bl2p$BL_ID"
	export LAB2_HOSTIP=198.18.97.1 LAB2_PEERIP=198.18.97.2
	export LAB2_CGROUP_NAME="bpflab-test-$BL_ID"
	LAB2_DEMO_PORT=$(bl_port 0)
	export LAB2_DEMO_PORT
	LAB2="$SCRIPTS/lab2.sh"
	export LAB2
}

teardown_file() {
	"$LAB2" down >/dev/null 2>&1 || true
	rm -rf "$BPFLAB_RUN" "$BL_TMP"
}

@test "host: lab2 up on the host namespace silences the ping, redirects loopback TCP; down leaves nothing of it" {
	[ -z "${BPFLAB_SANDBOX:-}" ]
	"$LAB2" up
	run ping -c 3 -W 1 -i 0.2 "$LAB2_PEERIP"
	[[ "$output" == *" 0 received"* ]]
	run "$LAB2" demo
	[ "$status" -eq 0 ]
	[[ "$output" == *"inside the lab cgroup: "*", 0 with payload"* ]]
	bl_pinned_ids "$BPFLAB_PIN/lab2" >"$BL_TMP/ids"
	"$LAB2" down
	[ ! -e "$BPFLAB_PIN" ]
	bl_no_netns "$LAB2_NS"
	[ ! -e "/sys/class/net/$LAB2_HOSTIF" ]
	[ ! -e "$BL_CGROUP2/$LAB2_CGROUP_NAME" ]
	bl_assert_ids_gone "$BL_TMP/ids"
}
