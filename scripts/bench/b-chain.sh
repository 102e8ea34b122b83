# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 5: the chain lab's root + k xdp_count members (k = 1..32), built unrolled (the
# default chain.bpf.h) and with -DCHAIN_INDIRECT (root and members), against the same work
# done by one program (bpf/bench_chain_flat.bpf.c). Each chain grows by one member per k.

CHAIN_SHARED=(root_array chain_cfg chain_runs xdpcap_hook)

# Load member N of chain DIR from OBJ with the root's maps; put it into slot N-1.
chain_add() { # DIR OBJ N
	local dir=$1 m=$1/m$3 args=() x
	for x in "${CHAIN_SHARED[@]}"; do args+=(map name "$x" pinned "$dir/$x"); done
	mkdir -p "$m"
	bpftool prog loadall "$2" "$m" type xdp "${args[@]}" pinmaps "$m" >/dev/null
	"$PINFILL" set "$dir/root_array" "$(($3 - 1))" "$m/xdp_count" >/dev/null
}

bench_chain() {
	local repeat=50000 runs=2 kmax=32 d=$BPIN/chain k
	[ "$SMOKE" = 0 ] || repeat=1000 runs=2 kmax=2
	check_built "$BUILD_DIR/xdp_root.bpf.o" "$BUILD_DIR/bench_xdp_root_indirect.bpf.o" \
		"$BUILD_DIR/xdp_count.bpf.o" "$BUILD_DIR/xdp_count_indirect.bpf.o" "$BUILD_DIR/bench_chain_flat.bpf.o"
	on_cleanup rm -rf "$d"
	run mkdir -p "$d/unrolled" "$d/indirect"
	run bpftool prog load "$BUILD_DIR/xdp_root.bpf.o" "$d/unrolled/xdp_root" pinmaps "$d/unrolled"
	run bpftool prog load "$BUILD_DIR/bench_xdp_root_indirect.bpf.o" "$d/indirect/xdp_root" pinmaps "$d/indirect"
	for k in unrolled indirect; do
		on_cleanup prog_array_empty "$d/$k/xdpcap_hook"
		on_cleanup prog_array_empty "$d/$k/root_array"
	done
	load_all "$BUILD_DIR/bench_chain_flat.bpf.o" "$d/flat"
	note "XDP programs run with \`bpftool prog run ... repeat $repeat\` on a 74-byte UDP frame." \
		"unrolled: build/xdp_root.bpf.o + k build/xdp_count.bpf.o (chain.bpf.h's default: 32 unrolled" \
		"constant-slot tail-call sites per program). indirect: the same sources with -DCHAIN_INDIRECT" \
		"(root: build/bench_xdp_root_indirect.bpf.o, members: build/xdp_count_indirect.bpf.o)." \
		"flat: one program that parses once and then does the members' counting (protocol, slot) k times" \
		"(bpf/bench_chain_flat.bpf.c; each chained member parses again, part of what a chain costs). The chains grow by one member per k (k = 1..$kmax, $runs runs" \
		"per variant, alternated), then shrink by one per k ($kmax..1, $runs more runs): a drift of the" \
		"machine's load over the sweep does not turn into a slope. Members are xdp_count, not the null" \
		"members of labs/chain.md's table."
	trace bpftool prog loadall "$BUILD_DIR/xdp_count.bpf.o" "$d/unrolled/mK" type xdp map name root_array pinned "$d/unrolled/root_array" ...
	trace "$PINFILL" set "$d/unrolled/root_array" K-1 "$d/unrolled/mK/xdp_count"
	trace bpftool prog run pinned "$d/unrolled/xdp_root" data_in FRAME repeat "$repeat"
	CH_DIR=$d CH_REPEAT=$repeat
	for ((k = 1; k <= kmax; k++)); do
		chain_add "$d/unrolled" "$BUILD_DIR/xdp_count.bpf.o" "$k"
		chain_add "$d/indirect" "$BUILD_DIR/xdp_count_indirect.bpf.o" "$k"
		bpftool map update pinned "$d/flat/flat_k" key 0 0 0 0 value "$k" 0 0 0
		[ $((k % 8)) != 1 ] || progress "chain: k = $k of $kmax ($runs runs x 3 variants)"
		CH_K=$k CH_RUN0=0
		interleave "$runs" chain_one unrolled indirect flat
	done
	progress "chain: the same, k = $kmax down to 1"
	for ((k = kmax; k >= 1; k--)); do
		bpftool map update pinned "$d/flat/flat_k" key 0 0 0 0 value "$k" 0 0 0
		CH_K=$k CH_RUN0=$runs
		interleave "$runs" chain_one unrolled indirect flat
		"$PINFILL" del "$d/unrolled/root_array" "$((k - 1))" >/dev/null
		"$PINFILL" del "$d/indirect/root_array" "$((k - 1))" >/dev/null
	done
}

chain_one() { # RUN VARIANT
	local pin=$CH_DIR/$2/xdp_root role="test"
	case $2 in
	unrolled) role=base ;;
	flat) pin=$CH_DIR/flat/chain_flat ;;
	esac
	rec ns_per_run root+k "$CH_K" "$2" "$role" "$((CH_RUN0 + $1))" "$(prog_ns "$pin" "$TMPD/udp9" "$CH_REPEAT")" ns
}

report_chain() {
	local v s a _i
	for v in unrolled indirect flat; do plot_data chain ns_per_run root+k "$v" "$OUT/chain_$v.dat"; done
	echo "Per-member slope (least squares over the medians):"
	echo
	for v in unrolled indirect flat; do
		read -r s _i < <(awk '$1 <= 16 { print $1, $2 }' "$OUT/chain_$v.dat" | linfit)
		read -r a _i < <(awk '$1 >= 16 { print $1, $2 }' "$OUT/chain_$v.dat" | linfit)
		echo "- $v: $s ns per member for k = 1..16, $a ns per member for k = 16..32"
	done
	echo
	# From which k on is indirect faster at every k (medians)?
	awk 'FILENAME == ARGV[1] { u[$1] = $2; next } ($1 in u) { n++; k[n] = $1; f[n] = ($2 < u[$1]) }
		END { for (i = n; i >= 1 && f[i]; i--) from = k[i]
			if (from != "") print "- CHAIN_INDIRECT is faster than unrolled at every k from " from " to " k[n] " (medians)"
			else print "- CHAIN_INDIRECT is not faster than unrolled at k = " k[n] }' "$OUT/chain_unrolled.dat" "$OUT/chain_indirect.dat"
	awk '{ if (NR > 1 && $2 - p > m) { m = $2 - p; at = $1 } p = $2 }
		END { if (at) printf "- largest step of unrolled from one k to the next: +%.0f ns at k = %d\n", m, at }' "$OUT/chain_unrolled.dat"
	echo
	plot chain "Chain dispatch: ns per run against k members" <<EOP
set xlabel 'k (members)'; set ylabel 'ns per run (median, min..max)'
plot '$OUT/chain_unrolled.dat' using 1:2:3:4 with yerrorlines title 'unrolled (default)', \
     '$OUT/chain_indirect.dat' using 1:2:3:4 with yerrorlines title 'CHAIN_INDIRECT', \
     '$OUT/chain_flat.dat' using 1:2:3:4 with yerrorlines title 'one program (flat loop)'
EOP
}

table_chain() { md_pivot chain ns_per_run root+k k; }
