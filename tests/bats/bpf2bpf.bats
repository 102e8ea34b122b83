#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# bpf2bpf lab: the hook probe, connection events for loopback TCP (IPv4 and IPv6), the pseudo
# call in every pinned program and none in the inline build, lost counts, and a clean down.

load helpers

setup_file() {
	bl_setup_names
	BPF2BPF="$SCRIPTS/bpf2bpf.sh"
	PIN="$BPFLAB_PIN/bpf2bpf"
	# Fixed, per-run ports below the ephemeral range: server S, client C (sourceport).
	S4=$((20000 + (0x$BL_ID % 3000) * 4)) C4=$((S4 + 1)) S6=$((S4 + 2)) C6=$((S4 + 3))
	export BPF2BPF PIN S4 C4 S6 C6
	# One `up` for the whole file; the last test takes it down and checks nothing is left.
	"$BPF2BPF" up >"$BL_TMP/up.out" 2>"$BL_TMP/up.err"
	# What up made, by id: down must make every one of them disappear.
	"$BPF2BPF" status --json | jq -r '(.programs[] | "prog \(.id)"), (.links[] | "link \(.id)"),
		"map \(.events.id)"' >"$BL_TMP/ids"
	bl_pinned_ids "$PIN" >"$BL_TMP/pinned_ids"
}

teardown_file() {
	"$BPF2BPF" down >/dev/null 2>&1 || true
	BPFLAB_PIN="$BPFLAB_PIN-hook" "$BPF2BPF" down >/dev/null 2>&1 || true
	[ -z "${READER:-}" ] || kill "$READER" 2>/dev/null || true
	for h in kprobe fentry; do BPFLAB_PIN="$BPFLAB_PIN-$h" "$BPF2BPF" down >/dev/null 2>&1 || true; done
	# shellcheck disable=SC2153 # exported by bl_setup_names
	rm -rf "$BPFLAB_PIN" "$BPFLAB_PIN-hook" "$BPFLAB_PIN-inline" "$BPFLAB_PIN-probe" "$BPFLAB_RUN" "$BL_TMP"
}

has_kprobe_pmu() { [ -e /sys/bus/event_source/devices/kprobe/type ]; }

# Start conn_events in the background on the pinned map (bounded), wait until it listens.
reader_start() { # OUTFILE [ARGS...]
	local out=$1
	shift
	timeout 30 "$BUILD/conn_events" --timeout 20 "$@" "$PIN/events" >"$out" 2>"$out.err" &
	READER=$!
	bl_wait_for 10 grep -q listening "$out.err"
}
reader_stop() {
	kill -INT "$READER" 2>/dev/null || true
	wait "$READER" 2>/dev/null || true
	READER=
}

# One loopback TCP connection with fixed ports: socat listener on S, client from port C.
tcp_connect_fixed() { # 4|6 ADDR S C
	local fam=$1 addr=$2 s=$3 c=$4 srv bind=$2
	[ "$fam" = 6 ] && bind="[$addr]"
	timeout 10 socat -T 3 "TCP$fam-LISTEN:$s,bind=$bind,reuseaddr" OPEN:/dev/null &
	srv=$!
	(bl_use_lib && wait_listen "$s")
	echo hello | timeout 5 socat -T 3 - "TCP$fam:$bind:$s,sourceport=$c,reuseaddr"
	wait "$srv" || true
}

@test "usage: unknown subcommand or flag -> usage on stderr, exit 2" {
	run "$BPF2BPF" frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *Usage:* ]]
	run "$BPF2BPF" --bogus up
	[ "$status" -eq 2 ]
	run "$BPF2BPF" --hook uprobe up
	[ "$status" -eq 2 ]
	run "$BPF2BPF"
	[ "$status" -eq 2 ]
	run "$BPF2BPF" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *watch* ]]
	# compare moved to the benchmarks (make bench B=bpf2bpf)
	run "$BPF2BPF" compare
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown subcommand 'compare'"* ]]
}

@test "up: probes kprobe, fentry, tracepoint in order and says why each was (not) chosen" {
	cat "$BL_TMP/up.out" "$BL_TMP/up.err"
	grep -q '^probing hooks (kprobe, then fentry, then tracepoint):' "$BL_TMP/up.out"
	if has_kprobe_pmu; then
		grep -q '^  kprobe: *chosen' "$BL_TMP/up.out"
		grep -q '^  fentry: *not probed (kprobe chosen)$' "$BL_TMP/up.out"
		return
	fi
	# This kernel: no kprobe PMU, and the reason names the missing config.
	grep -Eq '^  kprobe: *not used: .*no kprobe PMU.*CONFIG_KPROBE' "$BL_TMP/up.out"
	if grep -q '^  fentry: *chosen' "$BL_TMP/up.out"; then
		skip "fentry works on this kernel (not the tracepoint path)"
	fi
	grep -Eq '^  fentry: *not used: load failed: E[A-Z]+' "$BL_TMP/up.out"
	grep -q '^  tracepoint: *chosen: sock:inet_sock_set_state' "$BL_TMP/up.out"
	run "$BPF2BPF" status --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .hook <<<"$output")" = tracepoint ]
	[ "$(jq -r .up <<<"$output")" = true ]
	# Two perf_event links, each on one of the tracepoint programs, the probe's fentry pins gone.
	[ "$(jq '[.links[] | select(.type == "perf_event")] | length' <<<"$output")" = 2 ]
	[ ! -e "$PIN/fentry" ]
	# Every command was echoed.
	grep -q '^+ bpftool prog loadall .*conn_trace.bpf.o' "$BL_TMP/up.err"
	grep -q '^+ .*linkpin tracepoint .*tp_conn_out sock:inet_sock_set_state .*link_out' "$BL_TMP/up.err"
}

@test "up is idempotent" {
	run "$BPF2BPF" up
	[ "$status" -eq 0 ]
	[[ "$output" == *"already up"* ]]
	[ "$(bpftool -j link show pinned "$PIN/link_out" | jq .id)" -gt 0 ]
}

@test "IPv4 loopback connection with fixed ports prints both lines, local side first" {
	reader_start "$BL_TMP/ev4"
	tcp_connect_fixed 4 127.0.0.1 "$S4" "$C4"
	bl_wait_for 10 grep -q "127.0.0.1:$S4 -> 127.0.0.1:$C4\$" "$BL_TMP/ev4" || true
	reader_stop
	cat "$BL_TMP/ev4"
	local ts='^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} new tcp connection: '
	grep -Eq "${ts}127\.0\.0\.1:$C4 -> 127\.0\.0\.1:$S4\$" "$BL_TMP/ev4"
	grep -Eq "${ts}127\.0\.0\.1:$S4 -> 127\.0\.0\.1:$C4\$" "$BL_TMP/ev4"
	# Exactly one line each: the two programs filter their own transition.
	[ "$(grep -c "127.0.0.1:$C4 -> 127.0.0.1:$S4\$" "$BL_TMP/ev4")" -eq 1 ]
	[ "$(grep -c "127.0.0.1:$S4 -> 127.0.0.1:$C4\$" "$BL_TMP/ev4")" -eq 1 ]
	grep -q ', 0 lost' "$BL_TMP/ev4.err"
}

@test "IPv6 loopback connection prints both lines in brackets" {
	ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' || skip "no IPv6 ::1 on lo"
	reader_start "$BL_TMP/ev6"
	tcp_connect_fixed 6 ::1 "$S6" "$C6"
	bl_wait_for 10 grep -q "\[::1\]:$S6 -> \[::1\]:$C6\$" "$BL_TMP/ev6" || true
	reader_stop
	cat "$BL_TMP/ev6"
	grep -q "new tcp connection: \[::1\]:$C6 -> \[::1\]:$S6\$" "$BL_TMP/ev6"
	grep -q "new tcp connection: \[::1\]:$S6 -> \[::1\]:$C6\$" "$BL_TMP/ev6"
}

@test "watch --json: one JSON object per event with direction and hook" {
	local s=$((S4 + 5000)) c=$((C4 + 5000))
	# The script runs the reader as its child: let --timeout end it rather than signal the shell.
	timeout 30 "$BPF2BPF" watch --json --timeout 5 >"$BL_TMP/evj" 2>"$BL_TMP/evj.err" &
	READER=$!
	bl_wait_for 10 grep -q listening "$BL_TMP/evj.err"
	tcp_connect_fixed 4 127.0.0.1 "$s" "$c"
	wait "$READER"
	READER=
	cat "$BL_TMP/evj"
	grep -q '^+ .*conn_events --json' "$BL_TMP/evj.err"
	# Exactly one object per side (slurped: jq 1.6's -e misreports a trailing empty select).
	jq -se --argjson s "$s" --argjson c "$c" '[.[] | select(.lport == $c and .rport == $s)] |
		length == 1 and (.[0] | .direction == "out" and .laddr == "127.0.0.1" and .family == "ipv4")' "$BL_TMP/evj"
	jq -se --argjson s "$s" --argjson c "$c" '[.[] | select(.lport == $s and .rport == $c)] |
		length == 1 and (.[0] | .direction == "in" and .raddr == "127.0.0.1")' "$BL_TMP/evj"
	local via
	via=$(jq -r 'select(.lport == '"$c"') | .via' "$BL_TMP/evj")
	[ "$via" = "$("$BPF2BPF" status --json | jq -r .hook)" ]
}

@test "lost events are counted and printed, not dropped silently" {
	local s=$((S4 + 7000)) srv i fd rd
	timeout 120 socat "TCP4-LISTEN:$s,bind=127.0.0.1,reuseaddr,fork,backlog=256" OPEN:/dev/null &
	srv=$!
	(bl_use_lib && wait_listen "$s")
	# One page per CPU, and the reader stopped (SIGSTOP, not a time window: under emulation a
	# burst can outlast any pause) while 100 connections (200 events) overflow it.
	"$BUILD/conn_events" --timeout 120 --pages 1 "$PIN/events" >"$BL_TMP/evl" 2>"$BL_TMP/evl.err" &
	rd=$!
	bl_wait_for 30 grep -q listening "$BL_TMP/evl.err"
	kill -STOP "$rd"
	# (bats owns fd 3: let bash pick the fd)
	for ((i = 0; i < 100; i++)); do
		{ exec {fd}<>"/dev/tcp/127.0.0.1/$s" && exec {fd}>&-; } 2>/dev/null || true
	done
	kill -CONT "$rd"
	# The kernel reports the loss with the next sample it can write after the reader drained.
	for ((i = 0; i < 50; i++)); do
		grep -q lost "$BL_TMP/evl" && break
		{ exec {fd}<>"/dev/tcp/127.0.0.1/$s" && exec {fd}>&-; } 2>/dev/null || true
		sleep 0.2
	done
	kill -INT "$rd"
	wait "$rd" || true
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	grep lost "$BL_TMP/evl" "$BL_TMP/evl.err"
	grep -Eq '^[0-9/: ]+ lost [1-9][0-9]* events on CPU [0-9]+$' "$BL_TMP/evl"
	grep -Eq 'conn_events: [0-9]+ events, [1-9][0-9]* lost' "$BL_TMP/evl.err"
}

@test "every pinned program's xlated dump contains a bpf2bpf call to handle_new_connection" {
	local p n=0
	for p in k_tcp_connect k_hashdance tp_conn_out tp_conn_in; do
		run bpftool prog dump xlated pinned "$PIN/$p"
		[ "$status" -eq 0 ]
		[[ "$output" =~ call\ pc[+-][0-9]+#bpf_prog_[0-9a-f]+_handle_new_connection ]]
		n=$((n + 1))
	done
	[ "$n" -eq 4 ]
}

@test "the kprobe programs load (attach is what needs kprobes)" {
	bpftool feature probe kernel 2>/dev/null | grep -q 'program_type kprobe is available' ||
		skip "this kernel cannot load kprobe programs (CONFIG_BPF_EVENTS off)"
	[ "$(bpftool -j prog show pinned "$PIN/k_tcp_connect" | jq -r .type)" = kprobe ]
	[ "$(bpftool -j prog show pinned "$PIN/k_hashdance" | jq -r .type)" = kprobe ]
}

@test "linkpin: kprobe attach fails with the reason here; bad input is refused cleanly" {
	if ! has_kprobe_pmu; then
		run "$BUILD/linkpin" kprobe "$PIN/k_tcp_connect" tcp_connect "$PIN/link_k"
		[ "$status" -eq 1 ]
		[[ "$output" == *"no kprobe PMU"*CONFIG_KPROBE* ]]
		[ ! -e "$PIN/link_k" ]
	fi
	run "$BUILD/linkpin" tracepoint "$PIN/k_tcp_connect" sock:inet_sock_set_state "$PIN/link_x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is a kprobe program, tracepoint needs a tracepoint program"* ]]
	run "$BUILD/linkpin" tracepoint "$PIN/tp_conn_out" sock:inet_sock_set_state "$PIN/link_out"
	[ "$status" -eq 1 ]
	[[ "$output" == *"File exists"*Hint:* ]]
	run "$BUILD/linkpin" tracepoint "$PIN/tp_conn_out" sock:no_such_tp "$PIN/link_x"
	[ "$status" -eq 1 ]
	run "$BUILD/linkpin" tracepoint "$PIN/events" sock:inet_sock_set_state "$PIN/link_x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a program"* ]]
	[ ! -e "$PIN/link_x" ]
	run "$BUILD/linkpin" attach
	[ "$status" -eq 2 ]
	run "$BUILD/linkpin" probe tracepoint sock:inet_sock_set_state
	[ "$status" -eq 0 ]
}

@test "conn_events: missing pin, wrong map type, bad flags" {
	run "$BUILD/conn_events" "$PIN/nope"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open pin"* ]]
	run "$BUILD/conn_events" "$PIN/tp_conn_out"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a map"* ]]
	mkdir -p "$BPFLAB_PIN/other"
	bpftool map create "$BPFLAB_PIN/other/arr" type array key 4 value 4 entries 1 name bl_arr
	run "$BUILD/conn_events" "$BPFLAB_PIN/other/arr"
	rm -rf "$BPFLAB_PIN/other"
	[ "$status" -eq 1 ]
	[[ "$output" == *arr*array*perf_event_array* ]]
	run "$BUILD/conn_events" --pages 3 "$PIN/events"
	[ "$status" -eq 2 ]
	run "$BUILD/conn_events" --frob "$PIN/events"
	[ "$status" -eq 2 ]
}

@test "the inline build's xlated dumps contain no bpf2bpf call" {
	bpftool prog loadall "$BUILD/conn_trace_inline.bpf.o" "$BPFLAB_PIN-inline" pinmaps "$BPFLAB_PIN-inline"
	local p calls=0 progs=0
	for p in "$BPFLAB_PIN-inline"/*; do
		[ "$(basename "$p")" != events ] || continue
		progs=$((progs + 1))
		calls=$((calls + $(bpftool prog dump xlated pinned "$p" | grep -cE 'call pc[+-]' || true)))
	done
	rm -rf "$BPFLAB_PIN-inline"
	[ "$progs" -eq 4 ]
	[ "$calls" -eq 0 ]
}

# The kprobe and fentry paths, each in its own pin dir, where the kernel allows them (a stock
# kernel, `make vmtest`); elsewhere skipped with the kernel's own refusal (features.sh probes).
hook_path() { # kprobe|fentry
	local hook=$1 s=$((S4 + 8000)) c=$((C4 + 8000)) why
	[ "$hook" = kprobe ] || s=$((S4 + 8002)) c=$((C4 + 8002))
	why=$(
		bl_use_lib
		mkdir -p "$BPFLAB_PIN-probe"
		if [ "$hook" = kprobe ]; then
			feat_kprobe tcp_connect inet_csk_complete_hashdance 2>/dev/null && exit 0
		else
			feat_fentry_load "$BPFLAB_PIN-probe/fentry" 2>/dev/null && rm -rf "$BPFLAB_PIN-probe" && exit 0
		fi
		rm -rf "$BPFLAB_PIN-probe"
		echo "$FEAT_REASON"
	) || true
	[ -z "$why" ] || skip "$hook: $why"
	# The file's own lab when setup_file's up chose this hook (every command costs under
	# emulation); else a lab of its own.
	local own=0
	if ! grep -q "^  $hook: *chosen" "$BL_TMP/up.out"; then
		own=1
		export BPFLAB_PIN="$BPFLAB_PIN-$hook"
		"$BPF2BPF" up --hook "$hook" >"$BL_TMP/$hook.out" 2>&1 || { cat "$BL_TMP/$hook.out"; return 1; }
		grep -q "^  $hook: *chosen" "$BL_TMP/$hook.out"
	fi
	[ "$("$BPF2BPF" status --json | jq -r .hook)" = "$hook" ]
	PIN=$BPFLAB_PIN/bpf2bpf reader_start "$BL_TMP/ev-$hook"
	tcp_connect_fixed 4 127.0.0.1 "$s" "$c"
	bl_wait_for 10 grep -q "127.0.0.1:$s -> 127.0.0.1:$c\$" "$BL_TMP/ev-$hook" || true
	reader_stop
	[ "$own" = 0 ] || "$BPF2BPF" down
	cat "$BL_TMP/ev-$hook"
	# The source's format: a local timestamp, then "new tcp connection: LOCAL -> REMOTE".
	local ts='^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} new tcp connection: '
	[ "$(grep -Ec "${ts}127\.0\.0\.1:$c -> 127\.0\.0\.1:$s\$" "$BL_TMP/ev-$hook")" -eq 1 ]
	[ "$(grep -Ec "${ts}127\.0\.0\.1:$s -> 127\.0\.0\.1:$c\$" "$BL_TMP/ev-$hook")" -eq 1 ]
	[ "$own" = 0 ] || [ ! -e "$BPFLAB_PIN/bpf2bpf" ]
}

@test "kprobe path (tcp_connect, inet_csk_complete_hashdance): up --hook kprobe, both lines in the source's format" {
	hook_path kprobe
}

@test "fentry path: up --hook fentry, both lines in the source's format" {
	hook_path fentry
}

@test "up --hook kprobe fails with the reason on a kernel without kprobes, leaving nothing" {
	has_kprobe_pmu && skip "this kernel has kprobes"
	BPFLAB_PIN="$BPFLAB_PIN-hook" run "$BPF2BPF" up --hook kprobe
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"kprobe:     not used: "*"no kprobe PMU"* ]]
	[[ "$output" == *"no usable hook"* ]]
	[ ! -e "$BPFLAB_PIN-hook/bpf2bpf" ]
}

@test "dry run prints the commands and changes nothing" {
	local before
	before=$(find "$BPFLAB_PIN-dry" 2>/dev/null | wc -l)
	BPFLAB_PIN="$BPFLAB_PIN-dry" run "$BPF2BPF" --dry-run up
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ bpftool prog loadall"* ]]
	[[ "$output" == *"linkpin tracepoint"* ]]
	[ ! -e "$BPFLAB_PIN-dry" ]
	[ "$before" -eq 0 ]
}

@test "down leaves no link, program or pin; is idempotent; stray pins are refused by up, removed by down" {
	local kind id
	[ "$(wc -l <"$BL_TMP/ids")" -eq 7 ]
	run "$BPF2BPF" down
	[ "$status" -eq 0 ]
	[ ! -e "$PIN" ]
	# Every object up made is gone (ids are never reused). The kernel frees a detached
	# program after an RCU grace period, so allow it a moment.
	while read -r kind id; do
		if ! bl_wait_for 5 sh -c "! bpftool $kind show id $id >/dev/null 2>&1"; then
			echo "$kind $id is still there" >&2
			return 1
		fi
	done <"$BL_TMP/ids"
	bl_assert_ids_gone "$BL_TMP/pinned_ids"
	bl_snapshot >"$BL_TMP/before"
	run "$BPF2BPF" down
	[ "$status" -eq 0 ]
	# Pins no state records (loaded by hand): up refuses to adopt them, down removes them.
	mkdir -p "$PIN"
	bpftool prog loadall "$BUILD/conn_trace.bpf.o" "$PIN" pinmaps "$PIN"
	run "$BPF2BPF" up
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists but no bpf2bpf state records it"* ]]
	"$BPF2BPF" down
	[ ! -e "$PIN" ]
	run "$BPF2BPF" up
	[ "$status" -eq 0 ]
	[ -e "$PIN/link_in" ]
	run "$BPF2BPF" down
	[ "$status" -eq 0 ]
	bl_wait_for 5 bl_assert_same_state "$BL_TMP/before" >/dev/null 2>&1 || bl_assert_same_state "$BL_TMP/before"
}

# ---- faults: interrupted up, pins gone, --dry-run parity. Each starts from the lab down
# (the lab of the file is down by now; with bats --filter it may not be).

@test "interrupted up: SIGKILL after each command of up (probes included), then down leaves nothing" {
	"$BPF2BPF" down >/dev/null 2>&1
	bl_snapshot >"$BL_TMP/before"
	# At least 6: the kprobe path (a stock kernel) has 6 commands; where the probes fail (this
	# host), the fentry try and the tracepoint path make 8.
	BL_KILL_PINS=$PIN bl_assert_every_kill_point bpf2bpf 6 "$BL_TMP/before" "$BPF2BPF"
}

@test "interrupted up: SIGINT and SIGTERM roll back by themselves (2 kill points each)" {
	local n sig
	"$BPF2BPF" down >/dev/null 2>&1
	bl_snapshot >"$BL_TMP/before"
	for sig in INT TERM; do
		# 5: before the last command of the kprobe path, before a link of the tracepoint path.
		for n in 3 5; do
			bl_kill_up_at_step "$BPF2BPF" "$n" "$sig"
			grep -q 'rolling back' "$BL_TMP/step.err"
			bl_assert_same_state "$BL_TMP/before" || { echo "SIG$sig at command $n left this" >&2; return 1; }
		done
	done
}

@test "gone: down after a link pin or the whole pin dir was removed by hand finishes and leaves nothing" {
	"$BPF2BPF" down >/dev/null 2>&1
	bl_snapshot >"$BL_TMP/before"
	"$BPF2BPF" up >/dev/null
	bl_assert_down_after "$BL_TMP/before" "$PIN" "link pin $PIN/link_out was already gone" "$BPF2BPF" rm "$PIN/link_out"
	"$BPF2BPF" up >/dev/null
	bl_assert_down_after "$BL_TMP/before" "$PIN" "link pin $PIN/link_in was already gone" "$BPF2BPF" rm -r "$PIN"
}

@test "--dry-run down prints exactly what down runs: up, a killed up, not up" {
	"$BPF2BPF" down >/dev/null 2>&1
	"$BPF2BPF" up >/dev/null
	dry=$(bl_assert_dry_run_down "$BPF2BPF")
	[[ "$dry" == *"+ rm -f $PIN/link_out"* ]]
	bl_kill_up_at_step "$BPF2BPF" 5 KILL
	dry=$(bl_assert_dry_run_down "$BPF2BPF")
	[[ "$dry" == *"+ rm -r $PIN"* ]]
	run "$BPF2BPF" --dry-run down
	[ "$status" -eq 0 ]
	[[ "$output" == *"bpf2bpf was not up"* ]]
	dry=$(bl_assert_dry_run_down "$BPF2BPF")
	[ -z "$dry" ]
}
