#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# doctor.sh: every feature gets a verdict that matches what the kernel really does, the labs'
# verdicts follow from them, --json carries the same, and nothing is left behind.

load helpers

setup_file() {
	bl_setup_names
	DOCTOR="$SCRIPTS/doctor.sh"
	export DOCTOR
	ip -o link show | awk -F': ' '{ print $2 }' | sort >"$BL_TMP/links.before"
	ip netns list | sort >"$BL_TMP/netns.before"
	"$DOCTOR" >"$BL_TMP/doctor.out" 2>"$BL_TMP/doctor.err"
	"$DOCTOR" --json >"$BL_TMP/doctor.json" 2>/dev/null
}

teardown_file() {
	rm -rf "$BPFLAB_PIN" "$BPFLAB_RUN" "$BL_TMP"
}

FEATURES="xdp_native xdp_generic tc_clsact test_run prog_array array_of_maps sockhash_skmsg
	perf_event_array ringbuf tracepoint kprobe fentry_freplace fou ipip"

state() { jq -r --arg s "$1" --arg n "$2" '.[$s][$n].state' "$BL_TMP/doctor.json"; }
detail() { jq -r --arg s "$1" --arg n "$2" '.[$s][$n].detail' "$BL_TMP/doctor.json"; }

@test "usage: unknown argument -> usage on stderr, exit 2; -h exits 0" {
	run "$DOCTOR" --frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *Usage:* ]]
	run "$DOCTOR" -h
	[ "$status" -eq 0 ]
	[[ "$output" == *--json* ]]
}

@test "text: the kernel line, then a verdict for every system check, feature, lab and path" {
	grep -q "^bpflab doctor: kernel $(uname -r) " "$BL_TMP/doctor.out"
	for n in btf bpffs jit cgroup2 lockdown $FEATURES lab2 tailcall chain xdpcap glb bpf2bpf; do
		grep -Eq "^  (ok|no|skip) +$n " "$BL_TMP/doctor.out"
	done
	grep -Eq '^  (ok|no) +libxdp dispatcher ' "$BL_TMP/doctor.out"
	# Every probe command is echoed on stderr.
	grep -q '^+ bpftool -j feature probe kernel' "$BL_TMP/doctor.err"
}

@test "--json: the same verdicts, each ok, no or skip with a detail" {
	local n
	[ "$(jq -r .kernel "$BL_TMP/doctor.json")" = "$(uname -r) ($(uname -m))" ]
	for n in $FEATURES; do
		[[ "$(state features "$n")" =~ ^(ok|no|skip)$ ]]
		[ -n "$(detail features "$n")" ]
		grep -Eq "^  $(state features "$n") +$n " "$BL_TMP/doctor.out"
	done
	[ "$(state system cgroup2)" = ok ]
	[[ "$(detail system cgroup2)" == "mounted on $BL_CGROUP2" ]]
}

@test "kprobe verdict matches the kprobe PMU; a refusal quotes the kernel's reason" {
	if [ -e /sys/bus/event_source/devices/kprobe/type ]; then
		[ "$(state features kprobe)" = ok ]
		[ "$(state paths 'bpf2bpf kprobe')" = ok ]
	else
		[ "$(state features kprobe)" = no ]
		[[ "$(detail features kprobe)" == *"no kprobe PMU"* ]]
		[[ "$(detail paths 'bpf2bpf kprobe')" == "kprobe: "*"no kprobe PMU"* ]]
	fi
}

@test "fentry verdict matches a real fentry load; a refusal names the errno" {
	local d=$BPFLAB_PIN/fentry-check
	mkdir -p "$BPFLAB_PIN"
	if bpftool prog loadall "$BUILD/conn_trace_fentry.bpf.o" "$d" 2>/dev/null; then
		rm -rf "$d" "$BPFLAB_PIN"
		[ "$(state features fentry_freplace)" = ok ]
	else
		rm -rf "$d" "$BPFLAB_PIN"
		[ "$(state features fentry_freplace)" = no ]
		[[ "$(detail features fentry_freplace)" =~ ^load\ failed:\ E[A-Z]+ ]]
		[ "$(state paths 'libxdp dispatcher')" = no ]
	fi
}

@test "FOU verdict matches 'ip fou add' in a private namespace (or a fou module to load)" {
	if unshare --net ip fou add port 5555 gue 2>/dev/null || modinfo -n fou >/dev/null 2>&1; then
		[ "$(state features fou)" = ok ]
		[ "$(state paths 'glb FOU interop')" = ok ]
	else
		[ "$(state features fou)" = no ]
		[[ "$(detail features fou)" == "ip fou add: "* ]]
	fi
}

@test "attach probes that work here say ok: tracepoint, XDP on veth, clsact, test run, maps" {
	# What this project's labs rely on everywhere (see PITFALLS: Machine).
	for n in tracepoint xdp_generic tc_clsact test_run prog_array perf_event_array; do
		[ "$(state features "$n")" = ok ]
	done
	[ "$(state labs lab2)" = ok ]
	[ "$(state labs bpf2bpf)" = ok ]
}

@test "doctor leaves nothing: no scratch pins, no devices, no namespaces" {
	# Other tests run on this machine at the same time: compare only what doctor could leave.
	# Its programs are held only by its scratch pins and by devices in its private namespace.
	[ -z "$(find /sys/fs/bpf -maxdepth 1 -name "$(basename "$BPFLAB_PIN")*")" ]
	ip -o link show | awk -F': ' '{ print $2 }' | sort >"$BL_TMP/links.after"
	ip netns list | sort >"$BL_TMP/netns.after"
	run grep -E '^bpflab(d|t)[0-9]' <(comm -13 "$BL_TMP/links.before" "$BL_TMP/links.after")
	[ "$status" -eq 1 ]
	run grep doctor <(comm -13 "$BL_TMP/netns.before" "$BL_TMP/netns.after")
	[ "$status" -eq 1 ]
}
