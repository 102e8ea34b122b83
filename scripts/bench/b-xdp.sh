# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 2: what xdp_drop_ping costs per packet, against an empty XDP_PASS program in the
# same run (BPF_PROG_TEST_RUN has a fixed cost of its own), and what the idle xdpcap exit hook
# adds (the same program built with -DNO_XDPCAP).

bench_xdp() {
	local repeat=1000000 runs=15 d=$BPIN/xdp
	[ "$SMOKE" = 0 ] || repeat=1000 runs=2
	check_built "$BUILD_DIR/xdp_drop_ping.bpf.o" "$BUILD_DIR/xdp_drop_ping_nohook.bpf.o"
	on_cleanup rm -rf "$d"
	load_all "$BUILD_DIR/bench_xdp.bpf.o" "$d/base"
	load_all "$BUILD_DIR/xdp_drop_ping.bpf.o" "$d/hook"
	load_all "$BUILD_DIR/xdp_drop_ping_nohook.bpf.o" "$d/nohook"
	# The hook's prog array is emptied before its pin goes (see scripts/lib/progarray.sh).
	on_cleanup prog_array_empty "$d/hook/xdpcap_hook"
	note "Programs run with \`bpftool prog run pinned PROG data_in FRAME repeat $repeat\`; the value is" \
		"the kernel's average ns per run. Baseline: \`xdp_pass\` (bpf/bench_xdp.bpf.c, returns XDP_PASS)," \
		"so the ratio includes the test-run harness on both sides; the difference is the program's own cost." \
		"\`xdp_drop_ping\` exits through the idle xdpcap hook (one tail call into an empty slot);" \
		"\`xdp_drop_ping_nohook\` is the same source built with -DNO_XDPCAP. Frames: 74 bytes, IPv4."
	trace bpftool prog run pinned "$d/hook/xdp_drop_ping" data_in FRAME repeat "$repeat"
	local c
	for c in echo-reply echo-request tcp; do
		progress "xdp: $c, $runs runs x 3 programs x $repeat repetitions"
		XDP_CASE=$c XDP_REPEAT=$repeat XDP_DIR=$d
		interleave "$runs" xdp_one xdp_pass xdp_drop_ping xdp_drop_ping_nohook
	done
}

xdp_one() { # RUN VARIANT
	local pin role="test"
	case $2 in
	xdp_pass) pin=$XDP_DIR/base/xdp_pass role=base ;;
	xdp_drop_ping) pin=$XDP_DIR/hook/xdp_drop_ping ;;
	xdp_drop_ping_nohook) pin=$XDP_DIR/nohook/xdp_drop_ping ;;
	esac
	rec ns_per_run "$XDP_CASE" - "$2" "$role" "$1" "$(prog_ns "$pin" "$TMPD/$XDP_CASE" "$XDP_REPEAT")" ns
}

report_xdp() {
	local c m q1 q3 n
	echo "Idle hook: paired difference xdp_drop_ping - xdp_drop_ping_nohook, same run (ns per packet):"
	echo
	for c in echo-reply echo-request tcp; do
		read -r m q1 q3 n < <(paired_diff xdp ns_per_run "$c" - xdp_drop_ping_nohook xdp_drop_ping) || continue
		echo "- $c: median $(fmt "$m") ns [IQR $(fmt "$q1") – $(fmt "$q3")], $n pairs"
	done
	echo
}
