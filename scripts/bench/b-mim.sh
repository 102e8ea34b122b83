# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 6: GLB's per-packet lookups -- bind hash, ARRAY_OF_MAPS slot, inner ARRAY row --
# against one flat hash lookup of the same row (bpf/bench_mim.bpf.c), on one UDP frame.
# glb_fwd's encapsulation cannot be timed this way: see the skip reason below.

bench_mim() {
	local repeat=1000000 runs=11 d=$BPIN/mim r bind
	[ "$SMOKE" = 0 ] || repeat=1000 runs=2
	check_built "$BUILD_DIR/bench_mim.bpf.o" "$BUILD_DIR/glb.bpf.o"
	on_cleanup rm -rf "$d"
	load_all "$BUILD_DIR/bench_mim.bpf.o" "$d"
	load_all "$BUILD_DIR/glb.bpf.o" "$d/glb"
	load_all "$BUILD_DIR/bench_xdp.bpf.o" "$d/base"
	on_cleanup "$PINFILL" clear "$d/mim_tables"
	on_cleanup "$PINFILL" clear "$d/glb/glb_tables"
	# One forwarding table of 256 rows, every row -> 198.18.99.10; the same inner map in both
	# outer maps. Bind: 198.18.96.1 UDP port 9 (the test frame) -> table 0.
	run bpftool map create "$d/table0" type array key 4 value 8 entries 256 name bench_tbl
	bind="c6 12 60 01 00 09 11 00"
	for ((r = 0; r < 256; r++)); do
		echo "map update pinned $d/table0 key $r 0 0 0 value 198 18 99 10 0 0 0 0"
		echo "map update pinned $d/flat_rows key hex $bind $(printf '%02x' "$r") 00 00 00 value 198 18 99 10 0 0 0 0"
	done >"$TMPD/mim.batch"
	echo "map update pinned $d/mim_binds key hex $bind value 0 0 0 0" >>"$TMPD/mim.batch"
	echo "map update pinned $d/glb/glb_binds key hex $bind value 0 0 0 0" >>"$TMPD/mim.batch"
	run bpftool batch file "$TMPD/mim.batch" >/dev/null
	run "$PINFILL" set "$d/mim_tables" 0 "$d/table0" >/dev/null
	run "$PINFILL" set "$d/glb/glb_tables" 0 "$d/table0" >/dev/null
	if [ "$(prog_retval "$d/mim_lookup" "$TMPD/udp9")" != 1 ] || [ "$(prog_retval "$d/flat_lookup" "$TMPD/udp9")" != 1 ] ||
		[ "$(prog_retval "$d/glb/glb_fwd" "$TMPD/udp9")" != 3 ]; then
		warn "mim: a lookup did not find the row (retvals $(prog_retval "$d/mim_lookup" "$TMPD/udp9") $(prog_retval "$d/flat_lookup" "$TMPD/udp9") $(prog_retval "$d/glb/glb_fwd" "$TMPD/udp9"))"
	fi
	note "\`bpftool prog run ... repeat $repeat\` on a 74-byte UDP frame to 198.18.96.1:9, $runs runs per" \
		"program, alternated. flat_lookup (baseline): parse + FNV flow hash + one HASH lookup of" \
		"{bind, row}. mim_lookup: the same parse and hash, then GLB's three lookups (bind HASH ->" \
		"ARRAY_OF_MAPS -> inner ARRAY). Both return XDP_DROP when the row is found (checked)." \
		"xdp_pass: the empty program (the test-run harness). bpf/glb.bpf.c's glb_fwd is loaded and" \
		"checked (XDP_TX on the first run) but not timed."
	skip_part "GLB encapsulation ns/packet: BPF_PROG_TEST_RUN repeats an XDP program on the packet the previous repetition left: after the first run glb_fwd sees its own IP-in-IP output and passes it (glb_stats: 1 encap, 999 other for repeat 1000), so 'repeat' times the early exit, not the encapsulation"
	trace bpftool prog run pinned "$d/mim_lookup" data_in FRAME repeat "$repeat"
	MIM_DIR=$d MIM_REPEAT=$repeat
	progress "mim: $runs runs x 3 programs x $repeat repetitions"
	interleave "$runs" mim_one flat_lookup mim_lookup xdp_pass
}

mim_one() { # RUN VARIANT
	local pin=$MIM_DIR/$2 role="test"
	case $2 in
	flat_lookup) role=base ;;
	xdp_pass) pin=$MIM_DIR/base/xdp_pass ;;
	esac
	rec ns_per_run udp-bound - "$2" "$role" "$1" "$(prog_ns "$pin" "$TMPD/udp9" "$MIM_REPEAT")" ns
}

report_mim() {
	local m q1 q3 _n
	echo "Paired differences in the same runs (median [IQR], ns per packet):"
	echo
	read -r m q1 q3 _n < <(paired_diff mim ns_per_run udp-bound - flat_lookup mim_lookup) &&
		echo "- map-in-map path - flat hash: $(fmt "$m") [$(fmt "$q1") – $(fmt "$q3")]"
	read -r m q1 q3 _n < <(paired_diff mim ns_per_run udp-bound - xdp_pass flat_lookup) &&
		echo "- flat hash path - empty program: $(fmt "$m") [$(fmt "$q1") – $(fmt "$q3")]"
	echo
}
