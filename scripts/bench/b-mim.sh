# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 6: GLB's per-packet lookups -- bind hash, ARRAY_OF_MAPS slot, inner ARRAY row --
# against one flat hash lookup of the same row (bpf/bench_mim.bpf.c), on one UDP frame.
# glb_fwd's encapsulation cannot be timed this way: see the skip reason below.

# shellcheck disable=SC2086 # $bind and $r are byte lists: one word per byte
bench_mim() {
	local repeat=1000000 runs=11 d=$BPIN/mim r bind bss row
	[ "$SMOKE" = 0 ] || repeat=1000 runs=2
	check_built "$BUILD_DIR/bench_mim.bpf.o"
	on_cleanup rm -rf "$d"
	load_all "$BUILD_DIR/bench_mim.bpf.o" "$d"
	load_all "$BUILD_DIR/bench_xdp.bpf.o" "$d/base"
	on_cleanup "$PINFILL" clear "$d/mim_tables"
	# One forwarding table of GLB's size (65536 rows, all zero but the test flow's row); the
	# bind of the test frame (198.18.96.1, UDP, port 9; GLB's 24-byte key) -> table 0.
	run bpftool map create "$d/table0" type array key 4 value 8 entries 65536 name bench_tbl
	run "$PINFILL" set "$d/mim_tables" 0 "$d/table0" >/dev/null
	bind="c6 12 60 01 $(printf '00 %.0s' {1..16})11 00 00 09"
	run bpftool map update pinned "$d/mim_binds" key hex $bind value 0 0 0 0
	# The row the flow hashes to: the programs leave it in bench_row (.bss) on every run.
	prog_retval "$d/mim_lookup" "$TMPD/udp9" >/dev/null
	bss=$(find "$d" -maxdepth 1 -name '*bss' | head -n1)
	row=$(bpftool -j map lookup pinned "$bss" key 0 0 0 0 | jq -r '.value[0:2] | join(" ")')
	[[ "$row" =~ ^0x[0-9a-f]+\ 0x[0-9a-f]+$ ]] || die "mim: cannot read the flow's row from $bss"
	row=$((${row% *} + 256 * ${row#* }))
	r=$(printf '%02x %02x %02x %02x' $((row & 255)) $((row >> 8 & 255)) 0 0)
	run bpftool map update pinned "$d/table0" key hex $r value 198 18 99 10 0 0 0 0
	run bpftool map update pinned "$d/flat_rows" key hex $bind $r value 198 18 99 10 0 0 0 0
	if [ "$(prog_retval "$d/mim_lookup" "$TMPD/udp9")" != 1 ] || [ "$(prog_retval "$d/flat_lookup" "$TMPD/udp9")" != 1 ]; then
		warn "mim: a lookup did not find the row $row"
	fi
	note "\`bpftool prog run ... repeat $repeat\` on a 74-byte UDP frame to 198.18.96.1:9, $runs runs per" \
		"program, alternated. flat_lookup (baseline): parse + flow hash + one HASH lookup of" \
		"{bind, row}. mim_lookup: the same parse and hash, then GLB's three lookups (bind HASH ->" \
		"ARRAY_OF_MAPS -> inner ARRAY of 65536 rows), with GLB's 24-byte bind key (bpf/glb.h). Both" \
		"return XDP_DROP when the row is found (checked). xdp_pass: the empty program (the test-run harness)."
	skip_part "GLB encapsulation ns/packet: BPF_PROG_TEST_RUN repeats an XDP program on the packet the previous repetition left: after the first run glb_fwd sees its own encapsulated output and passes it (measured on the earlier IP-in-IP glb_fwd: glb_stats 1 encap, 999 other for repeat 1000), so 'repeat' times the early exit, not the encapsulation"
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
