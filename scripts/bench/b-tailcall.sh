# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 4: ns per run of a chain of k = 0..33 tail calls (bpf/bench_tailcall.bpf.c), for
# constant-key (direct: the JIT patches a jump) and computed-key (indirect) tail calls. The
# two chains are filled one slot further for each k and measured alternately at that k.

bench_tailcall() {
	local repeat=100000 runs=3 kmax=33 d=$BPIN/tailcall k
	[ "$SMOKE" = 0 ] || repeat=1000 runs=2 kmax=3
	check_built "$BUILD_DIR/bench_tailcall.bpf.o"
	on_cleanup rm -rf "$d"
	load_all "$BUILD_DIR/bench_tailcall.bpf.o" "$d"
	on_cleanup prog_array_empty "$d/tc_direct"
	on_cleanup prog_array_empty "$d/tc_indirect"
	note "tc programs (bpf/bench_tailcall.bpf.c) run with \`bpftool prog run ... repeat $repeat\` on a 74-byte" \
		"frame. A chain of k tail calls: the entry calls slot 1, slot i calls slot i+1, slot k+1 is" \
		"empty. direct: d_i tail-calls the constant slot i+1 (the JIT patches a direct jump); indirect:" \
		"i_step in every slot computes the slot at run time (skb->cb[0]). k goes up 0..$kmax (slots" \
		"filled one by one) and back down (emptied one by one), $runs runs per variant and k each way," \
		"alternated; each chain's return value (= k) is checked once per k on the way up."
	trace bpftool prog run pinned "$d/d_entry" data_in FRAME repeat "$repeat"
	TC_DIR=$d TC_REPEAT=$repeat
	for ((k = 0; k <= kmax; k++)); do
		if [ "$k" -gt 0 ]; then
			"$PINFILL" set "$d/tc_direct" "$k" "$d/d_$k" >/dev/null
			"$PINFILL" set "$d/tc_indirect" "$k" "$d/i_step" >/dev/null
		fi
		[ "$(prog_retval "$d/d_entry" "$TMPD/udp9")-$(prog_retval "$d/i_entry" "$TMPD/udp9")" = "$k-$k" ] ||
			warn "tailcall: a chain of $k did not return $k (direct $(prog_retval "$d/d_entry" "$TMPD/udp9"), indirect $(prog_retval "$d/i_entry" "$TMPD/udp9"))"
		[ $((k % 8)) != 0 ] || progress "tailcall: k = $k of $kmax ($runs runs x 2 chains)"
		TC_K=$k TC_RUN0=0
		interleave "$runs" tailcall_one direct indirect
	done
	progress "tailcall: the same, k = $kmax down to 0"
	for ((k = kmax; k >= 0; k--)); do
		TC_K=$k TC_RUN0=$runs
		interleave "$runs" tailcall_one direct indirect
		[ "$k" = 0 ] || {
			"$PINFILL" del "$d/tc_direct" "$k" >/dev/null
			"$PINFILL" del "$d/tc_indirect" "$k" >/dev/null
		}
	done
}

tailcall_one() { # RUN VARIANT
	local pin=$TC_DIR/d_entry role=base
	[ "$2" = direct ] || pin=$TC_DIR/i_entry role="test"
	rec ns_per_run chain "$TC_K" "$2" "$role" "$((TC_RUN0 + $1))" "$(prog_ns "$pin" "$TMPD/udp9" "$TC_REPEAT")" ns
}

report_tailcall() {
	local v s i
	echo "Slope (least squares over the medians, k = 0..33): ns per tail call."
	echo
	for v in direct indirect; do
		plot_data tailcall ns_per_run chain "$v" "$OUT/tailcall_$v.dat"
		read -r s i < <(awk '{ print $1, $2 }' "$OUT/tailcall_$v.dat" | linfit)
		echo "- $v: **$s ns per tail call** (intercept $i ns: the test-run harness, the entry and one empty-slot try)"
	done
	echo
	plot tailcall "Tail-call chain: ns per run against k" <<EOP
set xlabel 'k (tail calls)'; set ylabel 'ns per run (median, min..max)'
plot '$OUT/tailcall_direct.dat' using 1:2:3:4 with yerrorlines title 'direct (constant key)', \
     '$OUT/tailcall_indirect.dat' using 1:2:3:4 with yerrorlines title 'indirect (computed key)'
EOP
}

table_tailcall() { md_pivot tailcall ns_per_run chain k; }
