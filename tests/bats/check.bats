#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# scripts/check.sh: the solutions in bpf/ pass, the starters in exercises/ fail with the
# expected checks, deliberately wrong programs (tests/exercises-wrong/) fail on the right
# check, and nothing is left behind.

load helpers

setup_file() {
	bl_setup_names
	CHECK="$SCRIPTS/check.sh"
	WRONG="$BPFLAB_ROOT/tests/exercises-wrong"
	EX="$BPFLAB_ROOT/exercises"
	export CHECK WRONG EX
}

teardown_file() {
	rm -rf "$BL_TMP"
}

# The status of check NAME in the JSON of one run: pass, fail or missing.
check_status() { # JSON_FILE NAME
	jq -r --arg n "$2" '[.checks[] | select(.name == $n) | if .ok then "pass" else "fail" end] | first // "missing"' "$1"
}

@test "check: usage errors exit 2, a missing file exits 1 with a hint" {
	run "$CHECK"
	[ "$status" -eq 2 ]
	run "$CHECK" nolab "$EX/lab2/xdp_drop_ping.bpf.c"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown lab 'nolab'"* ]]
	run "$CHECK" lab2 "$BL_TMP/none.bpf.c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such file"* ]]
	[[ "$output" == *"Hint:"* ]]
}

@test "check_xdp: the solution's verdicts on all ~500 frames follow the rules written out independently" {
	mkdir -p "$BPFLAB_PIN"
	bpftool prog load "$BUILD/xdp_drop_ping.bpf.o" "$BPFLAB_PIN/check_ref"
	run "$BUILD/check_xdp" --self-test "$BPFLAB_PIN/check_ref"
	rm -f "$BPFLAB_PIN/check_ref"
	rmdir "$BPFLAB_PIN" 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "PASS spec: "*" frames: the solution follows the rules" ]]
	[ "$(echo "$output" | sed -n 's/PASS spec: \([0-9]*\) of.*/\1/p')" -ge 300 ]
}

@test "check lab2: the XDP solution passes every verdict group and the live ping, leaves nothing" {
	bl_snapshot >"$BL_TMP/before"
	run "$CHECK" lab2 "$BPFLAB_ROOT/bpf/xdp_drop_ping.bpf.c"
	echo "$output"
	[ "$status" -eq 0 ]
	for c in reply-plain reply-vlan reply-ipopts reply-ipv6 fragments others malformed truncated live; do
		[[ "$output" == *"PASS $c:"* ]]
	done
	[[ "$output" != *FAIL* ]]
	bl_assert_same_state "$BL_TMP/before"
}

@test "check lab2: the unmodified XDP starter compiles and fails the replies and the live ping" {
	run "$CHECK" --json lab2 "$EX/lab2/xdp_drop_ping.bpf.c"
	[ "$status" -eq 1 ]
	echo "$output" >"$BL_TMP/starter.json"
	[ "$(check_status "$BL_TMP/starter.json" compile)" = pass ]
	[ "$(check_status "$BL_TMP/starter.json" load)" = pass ]
	for c in reply-plain reply-vlan reply-ipopts reply-ipv6 live; do
		[ "$(check_status "$BL_TMP/starter.json" "$c")" = fail ]
	done
	# A starter that passes everything is right wherever the answer is "pass": every
	# truncation (a cut packet is shorter than its own length fields say) and the others.
	for c in others truncated; do
		[ "$(check_status "$BL_TMP/starter.json" "$c")" = pass ]
	done
	jq -r '.checks[] | select(.name == "live") | .message' "$BL_TMP/starter.json" | grep -q '3 of 3 replies'
}

@test "check lab2: a program that ignores VLAN tags fails reply-vlan, shows the frame in hex" {
	run "$CHECK" --no-live lab2 "$WRONG/lab2_novlan.bpf.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"PASS reply-plain:"* ]]
	[[ "$output" == *"FAIL reply-vlan:"* ]]
	[[ "$output" == *"PASS reply-ipv6:"* ]]
	[[ "$output" == *"PASS others:"* ]]
	[[ "$output" == *"expected XDP_DROP, got XDP_PASS"* ]]
	[[ "$output" == *"02 00 00 00 00 01 02 00 00 00 00 02 81 00"* ]]
}

@test "check lab2: a program that drops echo requests too fails 'others' only" {
	run "$CHECK" --no-live --json lab2 "$WRONG/lab2_droprequests.bpf.c"
	[ "$status" -eq 1 ]
	echo "$output" >"$BL_TMP/req.json"
	[ "$(jq -r '[.checks[] | select(.ok | not) | .name] | join(" ")' "$BL_TMP/req.json")" = others ]
	jq -r '.checks[] | select(.name == "others") | .details' "$BL_TMP/req.json" | grep -q 'echo request'
}

@test "check lab2: a read past data_end fails 'load' with the verifier's last lines and what they mean" {
	run "$CHECK" lab2 "$WRONG/lab2_pastend.bpf.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"PASS compile:"* ]]
	[[ "$output" == *"FAIL load: rejected by the verifier. The program reads packet bytes it has not proven"* ]]
	[[ "$output" == *"invalid access to packet"* ]]
	[[ "$output" != *"reply-plain"* ]]
}

@test "check lab2: code that does not compile, and a program of the wrong type, get one clear FAIL" {
	printf '#include "vmlinux.h"\nSEC("xdp") int f(struct xdp_md *c) { return undefined_name; }\n' >"$BL_TMP/broken.bpf.c"
	run "$CHECK" lab2 "$BL_TMP/broken.bpf.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL compile: does not compile"* ]]
	[[ "$output" == *"broken.bpf.c:2:"* ]]
	printf '#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\nSEC("xdp") int f(struct xdp_md *c) { int u; return XDP_PASS; }\n' >"$BL_TMP/warn.bpf.c"
	run "$CHECK" lab2 "$BL_TMP/warn.bpf.c"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL compile: does not compile: the project builds with -Wall -Werror"* ]]
	[[ "$output" == *"unused variable 'u'"* ]]
	run "$CHECK" lab2 "$BPFLAB_ROOT/bpf/tailcall.bpf.c"
	[ "$status" -eq 1 ]
	[[ "$output" == *'FAIL section: wrong program type or section: this exercise needs an XDP program'* ]]
	[[ "$output" != *"Traceback"* && "$output" != *"line "[0-9]*": "* ]]
}

@test "check lab2: the sockops and sk_msg solutions pass: both ends in the map, 0 payload packets on lo" {
	bl_snapshot >"$BL_TMP/before"
	run "$CHECK" lab2 "$BPFLAB_ROOT/bpf/sockops.bpf.c"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"PASS sockhash: both ends of 127.0.0.1:"* ]]
	[[ "$output" == *"PASS redirect: the data arrived and 0 packets with payload went through lo"* ]]
	run "$CHECK" lab2 "$BPFLAB_ROOT/bpf/sk_msg.bpf.c"
	echo "$output"
	[ "$status" -eq 0 ]
	bl_assert_same_state "$BL_TMP/before"
}

@test "check lab2: the sockops and sk_msg starters fail; network-order ports fail 'sockhash'" {
	run "$CHECK" lab2 "$EX/lab2/sockops.bpf.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL sockhash:"*"it holds 0 entries"* ]]
	[[ "$output" == *"FAIL redirect:"*"sock_ops_map is empty"* ]]
	run "$CHECK" lab2 "$EX/lab2/sk_msg.bpf.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"PASS sockhash:"* ]]
	[[ "$output" == *"FAIL redirect:"*"packets with payload went through lo"* ]]
	run "$CHECK" lab2 "$WRONG/lab2_netorder.bpf.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL sockhash:"*"it holds 2 entries"* ]]
}

@test "check tailcall: the solution's retvals 2 1 0 3 0 and the 33 limit; the starter fails both" {
	run "$CHECK" tailcall "$BPFLAB_ROOT/bpf/tailcall.bpf.c"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"PASS retvals: entry returned 2 1 0 3 0 "* ]]
	[[ "$output" == *"PASS limit: loop_start returned 33"* ]]
	run "$CHECK" tailcall "$EX/tailcall/tailcall.bpf.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL retvals:"* ]]
	[[ "$output" == *"got:       3 3 3 3 3"* ]]
	[[ "$output" == *"FAIL limit: loop_start returned -1, the solution 33"* ]]
}

@test "check chain and xdpcap: the solutions pass, the starters fail 'chain'/'counts' and 'hook'" {
	run "$CHECK" chain "$BPFLAB_ROOT/bpf/xdp_count.bpf.c"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"PASS chain:"* && "$output" == *"PASS counts:"* ]]
	run "$CHECK" chain "$EX/chain/xdp_count.bpf.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL chain:"*"slots [1] counted a run (want [1 4 7])"* ]]
	[[ "$output" == *"FAIL counts:"* ]]
	run "$CHECK" xdpcap "$BPFLAB_ROOT/bpf/xdp_drop_ping.bpf.c"
	echo "$output"
	[ "$status" -eq 0 ]
	run "$CHECK" xdpcap "$EX/xdpcap/xdp_drop_ping.bpf.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL hook: the program does not leave through xdpcap_hook"* ]]
}

@test "check: a directory of submissions gives one JSON object and one CSV row per student" {
	mkdir -p "$BL_TMP/subs/alice" "$BL_TMP/subs/bob" "$BL_TMP/csv"
	cp "$BPFLAB_ROOT/bpf/xdp_drop_ping.bpf.c" "$BL_TMP/subs/alice/drop.bpf.c"
	cp "$WRONG/lab2_novlan.bpf.c" "$BL_TMP/subs/bob/drop.bpf.c"
	cp "$WRONG/lab2_pastend.bpf.c" "$BL_TMP/subs/carol.bpf.c"
	run "$CHECK" --no-live --json lab2 "$BL_TMP/subs"
	[ "$status" -eq 1 ]
	echo "$output" >"$BL_TMP/all.json"
	[ "$(jq -r '[.[] | "\(.student):\(.ok)"] | join(" ")' "$BL_TMP/all.json")" = "alice/drop:true bob/drop:false carol:false" ]
	[ "$(jq -r '.[1] | [.checks[] | select(.ok | not) | .name] | first' "$BL_TMP/all.json")" = reply-vlan ]
	cp "$WRONG/lab2_pastend.bpf.c" "$BL_TMP/csv/carol.bpf.c"
	run "$CHECK" --csv lab2 "$BL_TMP/csv"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "student,lab,passed,failed,total,result,first_failed_check" ]
	[ "${lines[1]}" = '"carol","lab2",2,1,3,"FAIL","load"' ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "check bpf2bpf: the solution has the pseudo call and prints both events; the starter inlines it" {
	run "$CHECK" bpf2bpf "$BPFLAB_ROOT/bpf/conn_trace.bpf.c"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"PASS pseudocall:"* && "$output" == *"PASS events:"* ]]
	run "$CHECK" --no-live bpf2bpf "$EX/bpf2bpf/conn_trace.bpf.c"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL pseudocall: no pseudo call in the xlated dump of tp_conn_out tp_conn_in"* ]]
}

@test "check glb: the solution passes frames and swap; the starter fails both with the lookup hint" {
	bl_snapshot >"$BL_TMP/before"
	run "$CHECK" glb "$BPFLAB_ROOT/bpf/glb.bpf.c"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"PASS frames: 20000 generated frames (seed 1): verdicts and output bytes as GLB's specification"* ]]
	[[ "$output" == *"PASS swap: the next packet after a table swap went to the new table's backend: glb_fwd sent it to 198.18.44.2 "*": as predicted"* ]]
	run "$CHECK" --json glb "$EX/glb/glb.bpf.c"
	[ "$status" -eq 1 ]
	echo "$output" >"$BL_TMP/glb.json"
	[ "$(jq -r '[.checks[] | select(.ok | not) | .name] | join(" ")' "$BL_TMP/glb.json")" = "frames swap" ]
	jq -r '.checks[] | select(.name == "frames") | .message' "$BL_TMP/glb.json" | grep -q 'Packets to a bound VIP passed'
	# The frames shown are well-formed ones, cut to their headers.
	jq -r '.checks[] | select(.name == "frames") | .details' "$BL_TMP/glb.json" | grep -q '^MISMATCH glb on seed 1 frame [0-9]* (valid, .*want retval 3'
	jq -r '.checks[] | select(.name == "swap") | .message' "$BL_TMP/glb.json" | grep -q 'returned 2 (want 3, XDP_TX)'
	bl_assert_same_state "$BL_TMP/before"
}

# A wrong director: the solution with one line changed (sed must change it: the test fails if
# the solution's line moves), so it never drifts from it. It must fail 'frames' and nothing
# else, and the named field of that check must match PATTERN.
glb_wrong_fails_frames() { # NAME SED-EXPRESSION FIELD PATTERN
	sed "$2" "$BPFLAB_ROOT/bpf/glb.bpf.c" >"$BL_TMP/$1.bpf.c"
	cmp -s "$BPFLAB_ROOT/bpf/glb.bpf.c" "$BL_TMP/$1.bpf.c" && return 1
	local rc=0
	"$CHECK" --json glb "$BL_TMP/$1.bpf.c" >"$BL_TMP/$1.json" || rc=$?
	cat "$BL_TMP/$1.json"
	[ "$rc" -eq 1 ]
	[ "$(jq -r '[.checks[] | select(.ok | not) | .name] | join(" ")' "$BL_TMP/$1.json")" = frames ]
	jq -r --arg f "$3" '.checks[] | select(.name == "frames") | .[$f]' "$BL_TMP/$1.json" | grep -q "$4"
}

@test "check glb: encapsulating empty rows and ignoring the bind's table fail 'frames' (not 'swap')" {
	glb_wrong_fails_frames glb_emptyrow 's/if (!row || !row->primary)/if (!row)/' \
		message 'empty row (primary 0.0.0.0) all pass'
	glb_wrong_fails_frames glb_onetable 's/bpf_map_lookup_elem(&glb_tables, table_idx)/bpf_map_lookup_elem(\&glb_tables, \&zero)/' \
		details 'output differs from byte'
}
