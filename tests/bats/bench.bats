#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The benchmark harness (scripts/bench/bench.sh) end to end in smoke mode: the report, the
# raw and summary CSV and the JSON have their structure; bad names; an interrupted run keeps
# a partial report and leaves nothing behind. Benchmarks are not tests: no number is checked.

load helpers

setup_file() {
	bl_setup_names
	export BENCH="$SCRIPTS/bench/bench.sh" BID=${BL_ID:0:4}
	bl_snapshot >"$BL_TMP/before"
}

teardown_file() {
	rm -rf "$BL_TMP"
}

@test "smoke run: complete report with header, sections and tables of the default smoke benchmarks" {
	run "$BENCH" --smoke --id "$BID" --out "$BL_TMP/smoke"
	echo "$output" | tail -n 20
	[ "$status" -eq 0 ]
	r=$BL_TMP/smoke/report.md
	grep -qx '\*\*Status: complete.\*\*' "$r"
	for k in date kernel cpu cores clang libbpf bpftool; do grep -q "^| $k | ." "$r"; done
	grep -q '^## 2\. XDP program cost' "$r"
	grep -q '^## 4\. Tail-call cost' "$r"
	grep -q '^## 7\. bpf2bpf call vs always_inline' "$r"
	grep -q '^| metric | case | param | variant | n | median | p99 | min | max | unit | ratio to baseline' "$r"
	# Progress went to stderr (merged into $output by `run`).
	[[ "$output" == *"[bench "*"] 2. XDP program cost"* ]]
}

@test "smoke run: raw.csv has 9 fields per line and measurements of every smoke benchmark" {
	raw=$BL_TMP/smoke/raw.csv
	[ "$(head -n1 "$raw")" = "bench,metric,case,param,variant,role,run,value,unit" ]
	awk -F, 'NF != 9 { print "bad line " NR ": " $0; bad = 1 } END { exit bad }' "$raw"
	for b in xdp tailcall bpf2bpf; do grep -q "^$b," "$raw"; done
	# Every baseline has variants measured in the same runs.
	grep -q '^xdp,ns_per_run,echo-reply,-,xdp_pass,base,1,' "$raw"
	grep -q '^xdp,ns_per_run,echo-reply,-,xdp_drop_ping,test,1,' "$raw"
}

@test "smoke run: summary.csv has ratios for variants, none for baselines; summary.json matches it" {
	s=$BL_TMP/smoke/summary.csv
	[ "$(head -n1 "$s")" = "bench,metric,case,param,variant,role,unit,n,median,p99,min,max,ratio,ratio_q1,ratio_q3,ratio_n" ]
	awk -F, 'NR > 1 && NF != 16 { print "bad line " NR; bad = 1 } END { exit bad }' "$s"
	awk -F, '$1 == "xdp" && $5 == "xdp_drop_ping" && $13 != "" { f = 1 } END { exit !f }' "$s"
	awk -F, '$6 == "base" && $13 != "" { bad = 1 } END { exit bad }' "$s"
	j=$BL_TMP/smoke/summary.json
	[ "$(jq -r .status "$j")" = complete ]
	[ "$(jq -r .header.cores "$j")" = "$(nproc)" ]
	[ "$(jq '.rows | length' "$j")" -eq "$(($(wc -l <"$s") - 1))" ]
	[ "$(jq -r '[.rows[] | select(.bench == "tailcall")] | length > 0' "$j")" = true ]
}

@test "unknown benchmark name: the valid names and exit status 2, nothing run" {
	run "$BENCH" --smoke --out "$BL_TMP/bad" xdp nosuchbench
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown benchmark 'nosuchbench'"* ]]
	[[ "$output" == *"Valid names: sockmap xdp drop tailcall chain mim bpf2bpf capture labs peers"* ]]
	[ ! -e "$BL_TMP/bad" ]
	run "$BENCH" --bogus
	[ "$status" -eq 2 ]
}

@test "--list names every benchmark; --dry-run changes nothing" {
	run "$BENCH" --list
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 10 ]
	run "$BENCH" --dry-run --out "$BL_TMP/dry" sockmap labs
	[ "$status" -eq 0 ]
	[[ "$output" == *"would run: 1. Sockmap"*"would run: 9. Lab bring-up"* ]]
	[ ! -e "$BL_TMP/dry" ]
}

@test "peers under --smoke: skipped with the reason (the VM takes minutes), in the report and the JSON" {
	run "$BENCH" --smoke --id "$BID" --out "$BL_TMP/peers" peers
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^## 10. Peers in the VM' "$BL_TMP/peers/report.md"
	grep -q -- '- skipped: smoke: the VM boots for minutes under emulation' "$BL_TMP/peers/report.md"
	[ "$(jq -r '.skipped[0] | "\(.bench): \(.reason)"' "$BL_TMP/peers/summary.json")" = "peers: smoke: the VM boots for minutes under emulation (make bench B=peers runs it)" ]
	[ "$(wc -l <"$BL_TMP/peers/raw.csv")" -eq 1 ]
}

@test "a signal mid-run: report marked partial, what was measured kept, nothing left behind" {
	out=$BL_TMP/int
	# Not --smoke: the full tail-call sweep runs long enough to be interrupted.
	"$BENCH" --id "$BID" --out "$out" tailcall 2>/dev/null &
	pid=$!
	for ((i = 0; i < 150; i++)); do
		[ "$(wc -l <"$out/raw.csv" 2>/dev/null || echo 0)" -gt 2 ] && break
		sleep 0.1
	done
	# TERM, not INT: a background job of a script ignores SIGINT (Ctrl-C reaches the harness in a terminal).
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
	grep -q '^\*\*Status: PARTIAL — interrupted during tailcall' "$out/report.md"
	[ "$(jq -r .status "$out/summary.json")" = "partial: interrupted during tailcall" ]
	grep -q '^tailcall,ns_per_run,chain,0,' "$out/raw.csv"
}

@test "nothing left behind" {
	[ ! -e "$BPFLAB_PIN/bench-$BID" ]
	bl_assert_same_state "$BL_TMP/before"
}
