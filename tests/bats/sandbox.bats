#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# scripts/sandbox.sh: labs with their default names in two sandboxes at once, invisible to
# the outside; leaving a sandbox removes what it made. (tests/run.sh runs this file inside
# a sandbox too: the sandboxes here are nested, and "outside" is the test's own sandbox.)

load helpers

SANDBOX="$SCRIPTS/sandbox.sh"

setup_file() {
	bl_setup_names
}

teardown_file() {
	rm -rf "$BL_TMP"
}

# Inside sandbox I: lab2 up with the default names; say ready; wait for go; check the ping is
# silent and the lab complete; down; write the verdict.
inner_lab2() { # I
	cat <<EOT
set -e
scripts/lab2.sh up >/dev/null 2>&1
touch $BL_TMP/ready$1
for i in \$(seq 300); do [ -e $BL_TMP/go ] && break; sleep 0.1; done
if ping -c 2 -W 1 -i 0.2 198.18.0.2 >/dev/null; then exit 1; fi
scripts/lab2.sh status --json | jq -e '.up and .xdp.attached and .sockops.attached' >/dev/null
scripts/lab2.sh down >/dev/null 2>&1
[ ! -e /sys/fs/bpf/bpflab ]
echo ok >$BL_TMP/result$1
EOT
}

@test "sandbox: lab2 up with the default names in two sandboxes at once works in both, unseen outside" {
	local a b
	cd "$BPFLAB_ROOT"
	bl_snapshot >"$BL_TMP/before"
	"$SANDBOX" bash -c "$(inner_lab2 1)" &
	a=$!
	"$SANDBOX" bash -c "$(inner_lab2 2)" &
	b=$!
	bl_wait_for 60 test -e "$BL_TMP/ready1" -a -e "$BL_TMP/ready2"
	# Both labs are up now; outside there is no trace of either.
	bl_no_netns bpflab
	[ ! -e /sys/fs/bpf/bpflab ]
	[ ! -e "$BL_CGROUP2/bpflab" ]
	[ ! -e /sys/class/net/bpflab0 ]
	touch "$BL_TMP/go"
	wait "$a"
	wait "$b"
	[ "$(cat "$BL_TMP/result1")" = ok ]
	[ "$(cat "$BL_TMP/result2")" = ok ]
	bl_assert_same_state "$BL_TMP/before"
}

@test "sandbox: leaving it kills what still runs inside and removes its cgroup" {
	local pid before
	before=$(find "$BL_CGROUP2" -maxdepth 1 -name 'bpflab-sbx-*' | sort)
	"$SANDBOX" sh -c "sleep 300 & echo \$! > $BL_TMP/sleeper; ip netns add left-behind; mkdir /sys/fs/bpf/x"
	pid=$(cat "$BL_TMP/sleeper")
	bl_wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
	[ "$(find "$BL_CGROUP2" -maxdepth 1 -name 'bpflab-sbx-*' | sort)" = "$before" ]
	bl_no_netns left-behind
	[ ! -e /sys/fs/bpf/x ]
}

@test "sandbox: its exit status is the command's; it has its own devices, bpffs and /run" {
	run "$SANDBOX" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	mkdir -p /sys/fs/bpf/outside
	run "$SANDBOX" sh -c 'ls /sys/class/net; stat -f -c %T /sys/fs/bpf; ls /sys/fs/bpf; ls -A /run'
	rmdir /sys/fs/bpf/outside
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = lo ]
	[ "${lines[1]}" = bpf_fs ]
	[[ "$output" != *outside* ]]
	# Nothing else: no host pins, an empty /run (but mount(8)'s own utab directory).
	[ "$(echo "$output" | grep -v '\.debug$' | grep -vcx mount)" -eq 2 ]
}

@test "sandbox: -h exits 0; an unknown option is a usage error (exit 2); not root is refused" {
	run "$SANDBOX" -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage:"* ]]
	run "$SANDBOX" --nosuch
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--nosuch'"* ]]
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not available"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$SANDBOX" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"must run as root"* ]]
}
