#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# What the VM's stock kernel must offer (make vmtest): the paths this project's host kernel
# refuses. Outside the VM (VMTEST unset) these are skipped: there the kernel decides.

load ../bats/helpers

setup_file() {
	bl_setup_names
}

teardown_file() {
	rm -rf "$BPFLAB_PIN" "$BPFLAB_RUN" "$BL_TMP"
}

@test "stock kernel: doctor reports kprobes, fentry/freplace and FOU available, every lab runnable" {
	[ "${VMTEST:-}" = 1 ] || skip "only inside make vmtest (Debian's stock kernel)"
	"$SCRIPTS/doctor.sh" --json >"$BL_TMP/d.json" 2>/dev/null
	# One jq for everything (every process costs 50-100 ms under emulation).
	jq -r '(.features, .labs, .paths) | to_entries[] | "# \(.value.state) \(.key): \(.value.detail)"' "$BL_TMP/d.json" >&3
	jq -e '([.features | (.kprobe, .fentry_freplace, .fou, .ipip, .tracepoint, .xdp_native, .xdp_generic,
			.tc_clsact, .test_run)] + [.labs[]]
		+ [.paths | (.["bpf2bpf kprobe"], .["bpf2bpf fentry"], .["glb FOU interop"], .["libxdp dispatcher"], .xdpdump)]
		| all(.state == "ok"))
		and .system.cgroup2.detail == "mounted on /sys/fs/cgroup"' "$BL_TMP/d.json"
}

@test "stock kernel: every BPF object in build/ loads (the older verifier accepts them all)" {
	local f o out failed=""
	mkdir -p /sys/fs/bpf/vmtest-load
	for f in "$BPFLAB_ROOT"/build/*.bpf.o; do
		o=$(basename "$f" .bpf.o)
		out=$(bpftool prog loadall "$f" "/sys/fs/bpf/vmtest-load/$o" 2>&1) ||
			failed+="$o: $(grep -v '^Warning\|^If it\|^libbpf: -- \|^Error' <<<"$out" | tail -n 3 | tr '\n' ' ')"$'\n'
		rm -rf "/sys/fs/bpf/vmtest-load/$o"
	done
	rmdir /sys/fs/bpf/vmtest-load
	[ -z "$failed" ] || { echo "$failed"; return 1; }
}
