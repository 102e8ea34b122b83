# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 7: a bpf2bpf call against the same function always_inline.
#  - sizes and verifier work of the bpf2bpf lab's objects (build/conn_trace.bpf.o against
#    build/conn_trace_inline.bpf.o) and of the bench pair: ELF bytes, xlated insns, JIT bytes,
#    verifier-processed insns, stack depth (what `scripts/bpf2bpf.sh compare` printed);
#  - run time: the bench pair (bpf/bench_bpf2bpf.bpf.c, an event path with the shape of
#    conn_trace's handle_new_connection) under BPF_PROG_TEST_RUN. The lab's own programs are
#    tracepoint programs, which BPF_PROG_TEST_RUN cannot run.

# Section size in bytes from `llvm-objdump -h` (hex there).
elf_section_bytes() { # OBJ SECTION
	local hex
	hex=$(llvm-objdump -h "$1" | awk -v s="$2" '$2 == s { print $3; exit }')
	echo $((16#${hex:-0}))
}

# Bytes of all executable sections (programs + .text).
elf_code_bytes() { # OBJ
	local hex sum=0
	for hex in $(llvm-objdump -h "$1" | awk '$NF == "TEXT" { print $3 }'); do
		sum=$((sum + 16#$hex))
	done
	echo "$sum"
}

# Instructions of function NAME in the ELF (symbol size / 8 bytes per insn).
elf_func_insns() { # OBJ NAME
	llvm-readelf -s "$1" | awk -v f="$2" '$4 == "FUNC" && $8 == f { print $3 / 8; exit }'
}

# A value from program NAME's verifier log in a `bpftool -d prog loadall` log:
# "processed N insns" (what=insns) or "stack depth N" (what=stack).
verifier_value() { # LOG NAME insns|stack
	awk -v p="prog '$2':" -v w="$3" 'index($0, p) && /BEGIN PROG LOAD LOG/ { on = 1 }
		on && w == "insns" && /^processed [0-9]+ insns/ { print $2; exit }
		on && w == "stack" && /^stack depth/ { n = split($3, f, "+"); s = 0; for (i = 1; i <= n; i++) s += f[i]; print s; exit }' "$1"
}

# Load OBJ (variant V of pair P) with libbpf's debug log, record its static numbers.
b2b_static() { # PAIR VARIANT OBJ SUBPROG PROGS...
	local pair=$1 v=$2 obj=$3 sub=$4 dir=$BPIN/bpf2bpf/$1-$2 role="test" p j
	shift 4
	[ "$v" != noinline ] || role=base
	mkdir -p "$dir"
	trace bpftool -d prog loadall "$obj" "$dir" pinmaps "$dir"
	bpftool -d prog loadall "$obj" "$dir" pinmaps "$dir" >"$TMPD/$pair-$v.log" 2>&1 ||
		die "cannot load $obj: $(grep -m1 -i 'error' "$TMPD/$pair-$v.log")"
	rec elf_text_bytes "$pair" - "$v" "$role" 1 "$(elf_section_bytes "$obj" .text)" bytes
	rec elf_code_bytes "$pair" - "$v" "$role" 1 "$(elf_code_bytes "$obj")" bytes
	[ "$v" != noinline ] || rec elf_subprog_insns "$pair:$sub" - "$v" - 1 "$(elf_func_insns "$obj" "$sub")" insns
	for p in "$@"; do
		j=$(bpftool -j prog show pinned "$dir/$p")
		rec xlated_insns "$pair:$p" - "$v" "$role" 1 "$(jq '.bytes_xlated / 8' <<<"$j")" insns
		rec jited_bytes "$pair:$p" - "$v" "$role" 1 "$(jq '.bytes_jited' <<<"$j")" bytes
		rec verified_insns "$pair:$p" - "$v" "$role" 1 "$(verifier_value "$TMPD/$pair-$v.log" "$p" insns)" insns
		rec stack_depth_all_frames "$pair:$p" - "$v" - 1 "$(verifier_value "$TMPD/$pair-$v.log" "$p" stack)" bytes
		rec bpf2bpf_calls "$pair:$p" - "$v" - 1 "$(bpftool prog dump xlated pinned "$dir/$p" | grep -cE 'call pc[+-]' || true)" calls
	done
}

bench_bpf2bpf() {
	local repeat=1000000 runs=11
	[ "$SMOKE" = 0 ] || repeat=1000 runs=2
	check_prereq llvm-objdump:llvm llvm-readelf:llvm
	check_built "$BUILD_DIR/conn_trace.bpf.o" "$BUILD_DIR/conn_trace_inline.bpf.o" \
		"$BUILD_DIR/bench_bpf2bpf.bpf.o" "$BUILD_DIR/bench_bpf2bpf_inline.bpf.o"
	on_cleanup rm -rf "$BPIN/bpf2bpf"
	note "Static numbers (one load each, \`bpftool -d prog loadall\`): the bpf2bpf lab's objects" \
		"(conn_trace: handle_new_connection() __noinline vs -DCONN_TRACE_INLINE) and the bench pair" \
		"(bench: handle_event() __noinline vs -DBENCH_INLINE). Run time: the bench pair's ev_out with" \
		"\`bpftool prog run ... repeat $repeat\` on a 74-byte UDP frame, $runs runs each, alternated (the" \
		"event finds no perf reader: -ENOENT, the same for both). bpf2bpf_calls: \`call pc+N\` lines in" \
		"\`bpftool prog dump xlated\`."
	local ct=(k_tcp_connect k_hashdance tp_conn_out tp_conn_in)
	# Smoke: the bench pair only (a verbose load of four objects takes long on a busy machine).
	if [ "$SMOKE" = 0 ]; then
		b2b_static conn_trace noinline "$BUILD_DIR/conn_trace.bpf.o" handle_new_connection "${ct[@]}"
		b2b_static conn_trace inline "$BUILD_DIR/conn_trace_inline.bpf.o" handle_new_connection "${ct[@]}"
	fi
	b2b_static bench noinline "$BUILD_DIR/bench_bpf2bpf.bpf.o" handle_event ev_out ev_in
	b2b_static bench inline "$BUILD_DIR/bench_bpf2bpf_inline.bpf.o" handle_event ev_out ev_in
	progress "bpf2bpf: $runs runs x 2 builds x $repeat repetitions"
	B2B_REPEAT=$repeat
	trace bpftool prog run pinned "$BPIN/bpf2bpf/bench-noinline/ev_out" data_in FRAME repeat "$repeat"
	interleave "$runs" b2b_one noinline inline
}

b2b_one() { # RUN VARIANT
	local role="test"
	[ "$2" != noinline ] || role=base
	rec ns_per_run bench:ev_out - "$2" "$role" "$1" "$(prog_ns "$BPIN/bpf2bpf/bench-$2/ev_out" "$TMPD/udp9" "$B2B_REPEAT")" ns
}

report_bpf2bpf() {
	local m q1 q3 n
	read -r m q1 q3 n < <(paired_diff bpf2bpf ns_per_run bench:ev_out - noinline inline) || return 0
	echo "Run time, paired difference inline - noinline: $(fmt "$m") ns [IQR $(fmt "$q1") – $(fmt "$q3")], $n pairs."
	echo
}
