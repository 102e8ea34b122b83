#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The C tools (build/*): argument and error paths, and the defects found under bad input and
# sanitizers, each with a test. Every test runs the normal build AND the ASan+UBSan build
# (`make asan` -> build/asan/, -fno-sanitize-recover): a sanitizer report fails the test.

load helpers

HOST_IP=198.18.95.1
PEER_IP=198.18.95.2

setup_file() {
	bl_setup_names
	# The sanitizer build is part of this suite: build it (quick when up to date).
	make -C "$BPFLAB_ROOT" --no-print-directory -s asan >"$BL_TMP/make.log" 2>&1 || {
		cat "$BL_TMP/make.log" >&3
		return 1
	}
	# A report ends the tool with its own exit code, and says so on stderr.
	export ASAN_OPTIONS=detect_leaks=1:exitcode=86 LSAN_OPTIONS=exitcode=88
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87
	export D="$BPFLAB_PIN/tools"
	mkdir -p "$D"
}

teardown_file() {
	[ ! -s "$BL_TMP/listener.pid" ] || kill "$(cat "$BL_TMP/listener.pid")" 2>/dev/null || true
	bl_topology_down
	find "$BPFLAB_PIN" -depth -mindepth 1 -delete 2>/dev/null || true
	rmdir "$BPFLAB_PIN" 2>/dev/null || true
	rm -rf "$BL_TMP"
}

teardown() {
	if [ -n "${BG_PID:-}" ]; then
		kill -9 "$BG_PID" 2>/dev/null || true
		wait "$BG_PID" 2>/dev/null || true
	fi
}

# The two builds every test runs.
builds() { echo "$BUILD" "$BUILD/asan"; }

# Fails when OUTPUT (of `run`) carries a sanitizer report.
no_sanitizer_report() {
	if [[ "$output" == *"Sanitizer"* || "$output" == *"runtime error:"* ]]; then
		echo "$output"
		return 1
	fi
}

# ---- bpfids

@test "bpfids -h prints the usage and exits 0; an unexpected argument exits 2 (both builds)" {
	local T
	for T in $(builds); do
		run "$T/bpfids" -h
		[ "$status" -eq 0 ]
		[[ "$output" == "Usage: bpfids"* ]]
		run "$T/bpfids" --help
		[ "$status" -eq 0 ]
		run "$T/bpfids" extra
		[ "$status" -eq 2 ]
		[[ "${lines[0]}" == "bpfids: unexpected argument 'extra'" ]]
		run "$T/bpfids"
		[ "$status" -eq 0 ]
		no_sanitizer_report
		[[ "${lines[0]}" == "prog "* || "${lines[0]}" == "map "* || -z "$output" ]]
	done
}

# ---- conn_events

@test "conn_events refuses nan, inf, negatives, overflow, junk and empty values with exit 2 (both builds)" {
	local T a
	for T in $(builds); do
		for a in "--timeout nan" "--timeout inf" "--timeout -inf" "--timeout -1" "--timeout 0" \
			"--timeout 1e999" "--timeout 0x10" "--timeout ''" "--timeout ' 5'" \
			"--count -5" "--count 0" "--count 18446744073709551616" "--count 99999999999999999999" \
			"--count 5x" "--count ''" "--count +5" "--count ' 5'" \
			"--pause nan" "--pause inf" "--pause -1" "--pause 3601" "--pause 1e400" \
			"--pages 3" "--pages 0" "--pages -8" "--pages 0x8" "--pages 2048"; do
			eval "run \"\$T/conn_events\" $a /nonexistent"
			echo "conn_events $a -> $status: ${lines[0]}"
			[ "$status" -eq 2 ]
			[[ "${lines[0]}" == "conn_events: bad --"*" expected" ]]
			no_sanitizer_report
		done
		# Valid values get past the parser (to the missing pin).
		run "$T/conn_events" --timeout 0.5 --count 3 --pause 0 --pages 1 /nonexistent
		[ "$status" -eq 1 ]
		[[ "${lines[0]}" == "conn_events: error: cannot open pin /nonexistent"* ]]
		no_sanitizer_report
	done
}

# The conn_trace tracepoint program, its perf event array pinned at $D/ct/events, and a TCP
# listener in this test's network namespace.
conn_trace_up() {
	PORT=$(bl_port 1)
	[ -e "$D/ct/link_out" ] && return 0
	mkdir -p "$D/ct"
	bpftool prog loadall "$BUILD/conn_trace.bpf.o" "$D/ct" pinmaps "$D/ct"
	"$BUILD/linkpin" tracepoint "$D/ct/tp_conn_out" sock:inet_sock_set_state "$D/ct/link_out" >/dev/null
	socat TCP-LISTEN:"$PORT",bind=127.0.0.1,reuseaddr,fork /dev/null 3>&- &
	echo $! >"$BL_TMP/listener.pid" # a test's variables die with it: teardown_file reads this
	bl_wait_for 10 port_open "$PORT"
}
port_open() { (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
listening() { grep -q "listening on" "$1"; }

@test "conn_events --count 6 prints exactly 6 events when 10 wait in one read; events read without sanitizer reports (both builds)" {
	local T i status
	conn_trace_up
	for T in $(builds); do
		# --pause: the buffers fill while it waits, so one read finds all 10 events.
		"$T/conn_events" --pause 3 --count 6 --timeout 30 "$D/ct/events" >"$BL_TMP/ev.out" 2>"$BL_TMP/ev.err" 3>&- &
		BG_PID=$!
		bl_wait_for 10 listening "$BL_TMP/ev.err"
		for ((i = 0; i < 10; i++)); do port_open "$PORT"; done
		status=0
		wait "$BG_PID" || status=$?
		BG_PID=
		cat "$BL_TMP/ev.out" "$BL_TMP/ev.err"
		output=$(cat "$BL_TMP/ev.err")
		no_sanitizer_report
		[ "$status" -eq 0 ]
		[ "$(wc -l <"$BL_TMP/ev.out")" -eq 6 ]
		grep -q "^conn_events: 6 events," "$BL_TMP/ev.err"
		grep -q "new tcp connection: 127.0.0.1:[0-9]* -> 127.0.0.1:$PORT" "$BL_TMP/ev.out"
	done
}

# ---- pinfill

@test "pinfill set/del with KEY -1 (or junk): a clear error about the key, exit 2, map unchanged (both builds)" {
	local T k
	bpftool map create "$D/pa" type prog_array key 4 value 4 entries 4 name bl_pa
	for T in $(builds); do
		for k in -1 -0 1x "" "0a zz" 99999999999999999999 "hex 0a -1"; do
			run "$T/pinfill" set "$D/pa" "$k" "$D/pa"
			echo "set KEY '$k' -> $status: $output"
			[ "$status" -eq 2 ]
			[[ "${lines[0]}" == "pinfill: error: bad key '$k': "* ]]
			[[ "$output" != *"invalid option"* ]]
			no_sanitizer_report
		done
		run "$T/pinfill" del "$D/pa" -1
		[ "$status" -eq 2 ]
		[[ "${lines[0]}" == "pinfill: error: bad key '-1': expected a slot number (0 or more"* ]]
		# A well-formed key out of range is the map's business: exit 1.
		run "$T/pinfill" del "$D/pa" 4
		[ "$status" -eq 1 ]
		[[ "${lines[0]}" == *"key 4 out of range"* ]]
		no_sanitizer_report
	done
	[ -z "$("$BUILD/pinfill" list "$D/pa")" ]
}

@test "pinfill fill: targets that fail to open leak nothing (LeakSanitizer), errors carry no stale errno (both builds)" {
	local T
	mkdir -p "$D/fill/c_0" "$D/fill/c_1" # directories where pins are expected: the opens fail
	bpftool map create "$D/pa2" type prog_array key 4 value 4 entries 4 name bl_pa2
	echo x >"$BL_TMP/notadir"
	for T in $(builds); do
		run "$T/pinfill" fill "$D/pa2" "$D/fill" 'c_%d'
		[ "$status" -eq 1 ]
		[ "${lines[0]}" = "pinfill: error: $D/fill/c_0 is a directory, not a pinned map or program" ]
		no_sanitizer_report
		# stat() succeeded: no errno text may follow.
		run "$T/pinfill" fill "$D/pa2" "$BL_TMP/notadir" 'c_%d'
		[ "$status" -eq 1 ]
		[ "$output" = "pinfill: error: $BL_TMP/notadir is not a directory" ]
		run "$T/pinfill" fill "$D/pa2" "$BL_TMP/nothere" 'c_%d'
		[ "$status" -eq 1 ]
		[ "${lines[0]}" = "pinfill: error: cannot read directory $BL_TMP/nothere: No such file or directory" ]
		no_sanitizer_report
	done
}

# ---- linkpin

@test "linkpin: a link pin outside bpffs is refused as such, not as 'needs root' (both builds)" {
	local T
	conn_trace_up
	for T in $(builds); do
		run "$T/linkpin" tracepoint "$D/ct/tp_conn_in" sock:inet_sock_set_state "$BL_TMP/link"
		echo "$output"
		[ "$status" -eq 1 ]
		[ "${lines[0]}" = "linkpin: error: cannot pin at $BL_TMP/link: $BL_TMP is not on a bpffs mount" ]
		[[ "$output" != *"sudo"* && "$output" != *"needs root"* ]]
		[ ! -e "$BL_TMP/link" ]
		no_sanitizer_report
	done
}

@test "linkpin: tracefs hidden by a fresh sysfs is reported as hidden, a non-root user gets EACCES, not 'not mounted' (both builds)" {
	local T
	for T in $(builds); do
		run "$T/linkpin" probe tracepoint sock:inet_sock_set_state
		[ "$status" -eq 0 ]
		# A new sysfs over /sys hides the tracefs mounted below it; /proc/mounts still lists it.
		run unshare --mount --net --fork sh -c \
			"mount --make-rprivate / && mount -t sysfs sysfs /sys && exec '$T/linkpin' probe tracepoint sock:inet_sock_set_state"
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "${lines[0]}" == "linkpin: error: tracefs is mounted at "*", but another mount hides it"* ]]
		no_sanitizer_report
		# tracefs is mode 0700: another user is refused (EACCES), which is not "not mounted".
		# (No leak check there: LeakSanitizer needs ptrace, which an unprivileged user lacks.)
		run env ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$T/linkpin" probe tracepoint sock:inet_sock_set_state
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"Permission denied"* ]]
		[[ "$output" != *"not mounted"* ]]
		[[ "$output" == *"run it with sudo"* ]]
		no_sanitizer_report
	done
}

# ---- udpburst and xdpcap arguments

@test "udpburst and xdpcap refuse negative, overflowing and junk numbers with exit 2 (both builds)" {
	local T v
	for T in $(builds); do
		for v in -1 0 "" 1x 18446744073709551617 " 5" +5; do
			run "$T/udpburst" -c "$v" 127.0.0.1
			[ "$status" -eq 2 ]
			run "$T/xdpcap" -c "$v" "$D/none" -
			[ "$status" -eq 2 ]
			[[ "${lines[0]}" == "xdpcap: -c: not a positive count: $v" ]]
			no_sanitizer_report
			run "$T/xdpcap" -s "$v" "$D/none" -
			[ "$status" -eq 2 ]
		done
		run "$T/xdpcap" -a drop,,pass "$D/none" -
		[ "$status" -eq 2 ]
		run "$T/xdpcap" -s 262145 "$D/none" -
		[ "$status" -eq 2 ]
		run "$T/udpburst" -h
		[ "$status" -eq 0 ]
		no_sanitizer_report
	done
}

# ---- a short capture through each build

capture_ready() { [ "$(bpftool -j map dump pinned "$D/xdp/xdpcap_hook" | jq length)" = "$1" ]; }

@test "xdpcap: a short capture writes a valid pcapng with no sanitizer report (both builds)" {
	local T f status
	bl_topology_up "$HOST_IP" "$PEER_IP"
	mkdir -p "$D/xdp"
	bpftool prog load "$BUILD/xdp_drop_ping.bpf.o" "$D/xdp/prog" pinmaps "$D/xdp"
	bpftool net attach xdpdrv pinned "$D/xdp/prog" dev "$BL_HOST"
	for T in $(builds); do
		f="$BL_TMP/cap-$(basename "$T").pcap"
		"$T/xdpcap" -c 3 "$D/xdp/xdpcap_hook" "$f" icmp 2>"$BL_TMP/cap.err" 3>&- &
		BG_PID=$!
		bl_wait_for 10 capture_ready 5
		timeout 10 ping -n -c 5 -i 0.2 -W 1 "$PEER_IP" >/dev/null 2>&1 || true
		bl_wait_for 10 not_running "$BG_PID"
		status=0
		wait "$BG_PID" || status=$?
		BG_PID=
		output=$(cat "$BL_TMP/cap.err")
		echo "$output"
		no_sanitizer_report
		[ "$status" -eq 0 ]
		[ "$(tcpdump -nr "$f" 2>/dev/null | grep -c "IP $PEER_IP > $HOST_IP: ICMP echo reply")" = 3 ]
		capture_ready 0
		# --flush and the error paths of the same build.
		run "$T/xdpcap" --flush "$D/xdp/xdpcap_hook"
		[ "$status" -eq 0 ]
		no_sanitizer_report
		run "$T/xdpcap" "$D/xdp/xdpcap_hook" "$BL_TMP/x.pcap" tcp port nosuchport
		[ "$status" -eq 1 ]
		no_sanitizer_report
	done
	bpftool net detach xdpdrv dev "$BL_HOST"
}
not_running() { ! kill -0 "$1" 2>/dev/null; }
