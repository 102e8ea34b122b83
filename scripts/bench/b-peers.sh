# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 10: the peers, side by side in the VM of `make vmtest` (Debian's stock kernel under
# qemu): the chain lab against libxdp's dispatcher (the same xdp_count members, BPF_PROG_TEST_RUN,
# alternated), and build/xdpcap against xdpdump (the same packets from the same traffic). Both
# need freplace/fentry, which this host's kernel refuses: tests/vm/peers.bats does the work,
# writes build/vm/peers.csv, and this benchmark records it.

bench_peers() {
	local log=$OUT/peers-vm.log csv=$BUILD_DIR/vm/peers.csv kernel line
	if [ "$SMOKE" = 1 ]; then
		skip_part "smoke: the VM boots for minutes under emulation (make bench B=peers runs it)"
		return 0
	fi
	note "In the VM of \`make vmtest\` (tests/vm/peers.bats; the kernel, CPU model and emulation are" \
		"below). Members: the chain lab (\`chain.sh add\`, the root on the host's veth) and libxdp" \
		"(\`xdp-loader load\`, its dispatcher on a second veth pair) each run 1 and then 4 \`xdp_count\`" \
		"members, set up at the same time and measured alternately (chain = baseline): \`bpftool prog" \
		"run ... repeat 20000\` on a UDP frame, 5 runs. Emulated timings compare only with each" \
		"other, never with this host's native numbers. Capture: xdp_drop_ping on a veth with" \
		"build/xdpcap on its exit hook and xdpdump --rx-capture exit at once, 5 pings each way;" \
		"the packets of both files are compared byte for byte (the test fails if they differ)."
	rm -f "$csv"
	trace "$BPFLAB_ROOT/tests/vm/vmtest.sh" peers
	progress "peers: booting the VM (qemu; several minutes under emulation)"
	if ! "$BPFLAB_ROOT/tests/vm/vmtest.sh" peers </dev/null >"$log" 2>&1; then
		skip_part "the VM run failed: $(grep -E '^(not ok|vmtest: error)' "$log" | head -n 2 | tr '\n' ' ')(the VM's log: $log)"
		return 0
	fi
	line=$(grep -m1 '^vmtest: skipped:' "$log" || true)
	if [ -n "$line" ]; then
		skip_part "no VM here: ${line#vmtest: skipped: }"
		return 0
	fi
	line=$(grep -m1 '# skip' "$log" || true)
	if [ ! -s "$csv" ]; then
		skip_part "the VM recorded nothing${line:+: ${line#*# skip }}"
		return 0
	fi
	kernel=$(sed -n 's/^vmtest guest: \([^,]*\),.*/\1/p' "$log" | head -n 1)
	note "VM: Linux ${kernel:-unknown} (Debian's stock kernel) under qemu $(sed -n 's/^vmtest: [^ ]* under \([a-z]*\).*/\1/p' "$log" | head -n 1 | tr '[:lower:]' '[:upper:]'), 2 vCPUs."
	while IFS=, read -r metric case param variant role run value unit; do
		rec "$metric" "$case" "$param" "$variant" "$role" "$run" "$value" "$unit"
	done <"$csv"
}

report_peers() {
	local d m
	echo "Cost per added member (medians, from 1 to 4 members, divided by 3):"
	echo
	for d in chain libxdp; do
		m=$(awk -v a="$(sum_get peers ns_per_run members 1 "$d")" -v b="$(sum_get peers ns_per_run members 4 "$d")" \
			'BEGIN { if (a == "" || b == "") print "-"; else printf "%.0f", (b - a) / 3 }')
		echo "- $d: $m ns per member"
	done
	echo
}

table_peers() { md_pivot peers ns_per_run members members; md_table peers packets; echo; }
