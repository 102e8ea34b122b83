#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# build/xdpcap: capture through the xdpcap exit hook of xdp_drop_ping (lab 2's program,
# attached here to a test veth by hand, and with `scripts/lab2.sh up --dev`) and of the chain
# root; pcapng contents, verdicts, in-kernel filter, every exit path leaving the hook empty,
# and nothing left behind.

load helpers

HOST_IP=198.18.93.1
PEER_IP=198.18.93.2

# An ICMP echo reply 198.18.93.2 -> 198.18.93.1 (68 bytes): xdp_drop_ping says XDP_DROP.
REPLY_FRAME="02 00 00 00 00 01  02 00 00 00 00 02  08 00 \
45 00 00 36 12 34 40 00 40 01 00 00  c6 12 5d 02  c6 12 5d 01 \
00 00 00 00 00 01 00 01  de ad be ef de ad be ef 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12"

# More frames xdp_drop_ping drops, for the filter test: behind an 802.1Q tag, behind QinQ
# tags, with IPv4 options (IHL 6), and an ICMPv6 echo reply.
ETH="02 00 00 00 00 01  02 00 00 00 00 02"
ICMP_REPLY="00 00 00 00 00 01 00 01  de ad be ef de ad be ef"
IP4="45 00 00 24 12 34 40 00 40 01 00 00  c6 12 5d 02  c6 12 5d 01"
VLAN_FRAME="$ETH 81 00 00 0a 08 00 $IP4 $ICMP_REPLY"
QINQ_FRAME="$ETH 88 a8 00 0a 81 00 00 14 08 00 $IP4 $ICMP_REPLY"
OPTS_FRAME="$ETH 08 00 46 00 00 28 12 34 40 00 40 01 00 00 c6 12 5d 02 c6 12 5d 01 01 01 01 01 $ICMP_REPLY"
IP6_FRAME="$ETH 86 dd 60 00 00 00 00 10 3a 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02 \
20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 81 00 00 00 00 01 00 01 de ad be ef de ad be ef"

setup_file() {
	bl_setup_names
	bl_snapshot >"$BL_TMP/before"
	XDPCAP="$BUILD/xdpcap"
	XDIR="$BPFLAB_PIN/xdp"
	HOOK="$XDIR/xdpcap_hook"
	PROG="$XDIR/xdp_drop_ping"
	export XDPCAP XDIR HOOK PROG
	bl_topology_up "$HOST_IP" "$PEER_IP"
	mkdir -p "$XDIR"
	# What `scripts/lab2.sh up` does for the XDP part: pinmaps pins xdpcap_hook next to the
	# program. In a directory of its own: the lab 2 test brings the real lab up in $BPFLAB_PIN/lab2.
	bpftool prog load "$BUILD/xdp_drop_ping.bpf.o" "$PROG" pinmaps "$XDIR"
	bpftool net attach xdpdrv pinned "$PROG" dev "$BL_HOST"
	# Lab 2 (--dev uses the test veth) and the chain lab: on the host with names of their own
	# (the defaults may be labs that are up); in the sandbox with their defaults.
	if [ -z "${BPFLAB_SANDBOX:-}" ]; then
		export LAB2_NS="blx2-$BL_ID" LAB2_HOSTIF="blx2h$BL_ID" LAB2_PEERIF="blx2p$BL_ID"
		export LAB2_CGROUP_NAME="bpflab-xc-$BL_ID"
		export CHAIN_NS="blc-$BL_ID" CHAIN_HOSTIF="blch$BL_ID" CHAIN_PEERIF="blcp$BL_ID"
		export CHAIN_HOSTIP=198.18.94.1 CHAIN_PEERIP=198.18.94.2
	fi
}

setup() {
	# The chain lab's defaults, for the tests (not exported: the lab uses its own).
	: "${CHAIN_NS:=bpflab-ch}" "${CHAIN_HOSTIP:=198.18.2.1}" "${CHAIN_PEERIP:=198.18.2.2}"
}

teardown_file() {
	"$SCRIPTS/chain.sh" down >/dev/null 2>&1 || true
	"$SCRIPTS/lab2.sh" down >/dev/null 2>&1 || true
	bpftool net detach xdpdrv dev "$BL_HOST" 2>/dev/null || true
	pins_clean "$BPFLAB_PIN"
	bl_topology_down
	rm -rf "$BPFLAB_RUN" "$BL_TMP"
}

# Remove pins the way the labs do: every prog array emptied slot by slot first (the programs
# in it reference it back; see prog_array_empty in scripts/lib/progarray.sh), then the pins.
pins_clean() { # DIR
	[ -d "$1" ] || return 0
	(
		bl_use_lib
		# Pins that are not prog arrays: pinfill list refuses them and the loop is empty.
		find "$1" -type f | while read -r p; do prog_array_empty "$p"; done
	) 2>/dev/null
	rm -rf "$1"
}

teardown() {
	# A capture a failed test left running must not outlive it.
	if [ -n "${CAP_PID:-}" ]; then
		kill -9 "$CAP_PID" 2>/dev/null || true
		wait "$CAP_PID" 2>/dev/null || true
	fi
	[ ! -e "$HOOK" ] || "$XDPCAP" --flush "$HOOK" 2>/dev/null || true
}

# Number of occupied slots of a hook.
hook_count() { # [HOOK]
	bpftool -j map dump pinned "${1:-$HOOK}" | jq length
}

# Start xdpcap in the background (CAP_PID = xdpcap itself); wait until it filled N slots.
capture_start() { # N ARGS...
	local n=$1
	shift
	"$XDPCAP" "$@" 2>"$BL_TMP/cap.err" 3>&- &
	CAP_PID=$!
	bl_wait_for 10 hook_has "$n" "${HOOK_UNDER_TEST:-$HOOK}" || {
		cat "$BL_TMP/cap.err" >&2
		return 1
	}
}
hook_has() { [ "$(hook_count "$2")" = "$1" ]; }
# One program run (verdict must stay DROP), then: has an event reached FILE?
run_until_event() { # FRAME FILE
	[ "$(bl_prog_retval "$PROG" "$1")" = 1 ] && [ -s "$2" ]
}

# Stop it with SIGNAL (default INT) and wait; CAP_STATUS = its exit status.
capture_stop() { # [SIGNAL]
	kill -"${1:-INT}" "$CAP_PID"
	capture_wait
}
# Wait (bounded: xdpcap polls every 100 ms) for a capture that ends by itself (-c).
capture_wait() {
	CAP_STATUS=0
	bl_wait_for 10 not_running "$CAP_PID" || return 1
	wait "$CAP_PID" || CAP_STATUS=$?
	CAP_PID=
}
not_running() { ! kill -0 "$1" 2>/dev/null; }

ping_peer() { # COUNT: replies come back to BL_HOST and are dropped there, so ping fails
	timeout 10 ping -n -c "$1" -i 0.2 -W 1 "$PEER_IP" >/dev/null 2>&1 || true
}
ping_host_from_peer() { # COUNT: requests arrive on BL_HOST and pass
	timeout 10 ip netns exec "$BL_NS" ping -n -c "$1" -i 0.2 -W 1 "$HOST_IP" >/dev/null 2>&1 || true
}

# Packets in a pcapng file matching a tcpdump filter.
pcap_count() { # FILE [FILTER...]
	local f=$1
	shift
	tcpdump -nr "$f" "$@" 2>/dev/null | wc -l
}
# Packets whose per-packet comment records VERDICT (e.g. XDP_DROP).
verdict_count() { # FILE VERDICT
	grep -a -o "verdict $2" "$1" | wc -l
}
# "caplen len" of every Enhanced Packet Block (type 6) of a pcapng file.
epb_lengths() { # FILE
	od -An -tu4 -w4 -v "$1" | awk '{ w[n++] = $1 }
		END { i = 0; while (i < n) { if (w[i] == 6) print w[i + 5], w[i + 6]; if (w[i + 1] < 12) break; i += w[i + 1] / 4 } }'
}
# Hex of the first packet, all bytes from the Ethernet header on.
first_packet_hex() { # FILE
	tcpdump -nr "$1" -c 1 -xx 2>/dev/null | awk '/^\t0x/ { for (i = 2; i <= NF; i++) printf "%s", $i } END { print "" }'
}

# ---- command line and errors (the hook must stay untouched)

@test "--help describes the CLI and the verdict annotation" {
	run "$XDPCAP" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"HOOK_PIN OUTPUT [FILTER...]"* ]]
	[[ "$output" == *"-a ACTIONS"* && "$output" == *"--flush"* && "$output" == *"-s SNAPLEN"* ]]
	[[ "$output" == *"verdict XDP_ACTION"* ]]
}

@test "usage errors exit 2: unknown flag, missing OUTPUT, bad -a, bad -s, bad -c" {
	run "$XDPCAP" --bogus "$HOOK" out
	[ "$status" -eq 2 ]
	run "$XDPCAP" "$HOOK"
	[ "$status" -eq 2 ]
	run "$XDPCAP" -a drop,bogus "$HOOK" "$BL_TMP/x.pcap"
	[ "$status" -eq 2 ]
	[[ "$output" == *"-a:"* ]]
	run "$XDPCAP" -s 0 "$HOOK" "$BL_TMP/x.pcap"
	[ "$status" -eq 2 ]
	run "$XDPCAP" -c -1 "$HOOK" "$BL_TMP/x.pcap"
	[ "$status" -eq 2 ]
	[ "$(hook_count)" = 0 ]
}

@test "error: missing hook pin" {
	run "$XDPCAP" "$BPFLAB_PIN/nope" "$BL_TMP/x.pcap"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "xdpcap: error: cannot open pin $BPFLAB_PIN/nope: No such file or directory" ]]
}

@test "error: hook pin is a program, or a PROG_ARRAY of the wrong size" {
	run "$XDPCAP" "$PROG" "$BL_TMP/x.pcap"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"is a program"*"not a map"* ]]
	bpftool map create "$XDIR/small" type prog_array key 4 value 4 entries 3 name xc_small
	run timeout 10 "$XDPCAP" "$XDIR/small" "$BL_TMP/x.pcap"
	rm -f "$XDIR/small"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"has 3 entries, expected 4 or 5"* ]]
	run "$XDPCAP" "$XDIR" "$BL_TMP/x.pcap"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"is a directory"* ]]
}

@test "error: invalid filter gives libpcap's message, hook untouched" {
	run "$XDPCAP" "$HOOK" "$BL_TMP/x.pcap" tcp port nosuchport
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "xdpcap: error: invalid filter \"tcp port nosuchport\": "*"nosuchport"* ]]
	[ "$(hook_count)" = 0 ]
}

@test "error: unwritable output, hook untouched" {
	run "$XDPCAP" "$HOOK" /nonexistent-dir/x.pcap
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "xdpcap: error: cannot write /nonexistent-dir/x.pcap: No such file or directory" ]]
	[ "$(hook_count)" = 0 ]
}

# ---- capture

@test "capture while pinging: the dropped echo replies, verdict XDP_DROP, hook empty after SIGINT" {
	local f="$BL_TMP/drop.pcap"
	capture_start 5 "$HOOK" "$f"
	ping_peer 3
	capture_stop INT
	[ "$CAP_STATUS" -eq 0 ]
	[ "$(hook_count)" = 0 ]
	[ "$(pcap_count "$f" "icmp[icmptype] = icmp-echoreply and src host $PEER_IP and dst host $HOST_IP")" = 3 ]
	tcpdump -nr "$f" 2>/dev/null | grep -q "IP $PEER_IP > $HOST_IP: ICMP echo reply"
	# Echo replies are all xdp_drop_ping drops, and nothing else is.
	[ "$(verdict_count "$f" XDP_DROP)" = 3 ]
	grep -q "packets captured, 0 filtered, 0 lost" "$BL_TMP/cap.err"
}

@test "captured bytes and lengths are the frame's; -s truncates but keeps the original length" {
	local f="$BL_TMP/bytes.pcap" want
	bl_frame "$BL_TMP/reply" "$REPLY_FRAME"
	want=$(echo "$REPLY_FRAME" | tr -d ' ')
	capture_start 1 -a drop -c 1 "$HOOK" "$f"
	# The verdict is unchanged while a capture program sits in the slot.
	[ "$(bl_prog_retval "$PROG" "$BL_TMP/reply")" = 1 ]
	capture_wait
	[ "$CAP_STATUS" -eq 0 ]
	[ "$(first_packet_hex "$f")" = "$want" ]
	[ "$(epb_lengths "$f")" = "68 68" ]
	[ "$(verdict_count "$f" XDP_DROP)" = 1 ]

	capture_start 1 -a drop -c 1 -s 20 "$HOOK" "$f"
	[ "$(bl_prog_retval "$PROG" "$BL_TMP/reply")" = 1 ]
	capture_wait
	[ "$CAP_STATUS" -eq 0 ]
	[ "$(epb_lengths "$f")" = "20 68" ]
	[ "$(first_packet_hex "$f")" = "${want:0:40}" ]
	[ "$(hook_count)" = 0 ]
}

@test "-a pass sees the traffic that passes but not the dropped replies" {
	local f="$BL_TMP/pass.pcap"
	capture_start 1 -a pass "$HOOK" "$f"
	# Only the PASS slot (2) is filled.
	[ "$(bpftool -j map dump pinned "$HOOK" | jq -c '[.[].key | .[0] | tonumber]')" = '[2]' ] ||
		[ "$(bpftool -j map dump pinned "$HOOK" | jq -c '[.[].key | .[0]]')" = '["0x02"]' ]
	ping_peer 3
	ping_host_from_peer 3
	capture_stop TERM
	[ "$CAP_STATUS" -eq 0 ]
	[ "$(hook_count)" = 0 ]
	[ "$(pcap_count "$f" "icmp[icmptype] = icmp-echo and src host $PEER_IP")" = 3 ]
	[ "$(pcap_count "$f" "icmp[icmptype] = icmp-echoreply")" = 0 ]
	[ "$(verdict_count "$f" XDP_DROP)" = 0 ]
	[ "$(verdict_count "$f" XDP_PASS)" -ge 3 ]
}

@test "filter 'tcp port 80' captures none of the replies: filtered in the kernel" {
	local f="$BL_TMP/tcp80.pcap"
	capture_start 5 "$HOOK" "$f" tcp port 80
	ping_peer 3
	capture_stop INT
	[ "$(hook_count)" = 0 ]
	[ "$(pcap_count "$f")" = 0 ]
	# The kernel side counted them as filtered: they were seen, and never copied.
	grep -Eq '^0 packets captured, ([3-9]|[1-9][0-9]+) filtered, 0 lost' "$BL_TMP/cap.err"
}

@test "filter 'icmp[icmptype] = icmp-echoreply' keeps exactly the replies" {
	local f="$BL_TMP/icmp.pcap"
	capture_start 5 "$HOOK" "$f" "icmp[icmptype] = icmp-echoreply"
	ping_peer 3
	ping_host_from_peer 2
	capture_stop INT
	[ "$(pcap_count "$f")" = 3 ]
	[ "$(pcap_count "$f" "icmp[icmptype] = icmp-echoreply")" = 3 ]
	grep -Eq '^3 packets captured, ([2-9]|[1-9][0-9]+) filtered' "$BL_TMP/cap.err"
}

@test "in-kernel filters agree with tcpdump: VLAN, QinQ, IP options, IPv6, indirect loads" {
	local i=0 fr filter want got
	for fr in "$REPLY_FRAME" "$VLAN_FRAME" "$QINQ_FRAME" "$OPTS_FRAME" "$IP6_FRAME"; do
		bl_frame "$BL_TMP/frame$((i++))" "$fr"
	done
	# The reference: every frame captured without a filter, then filtered by tcpdump itself.
	capture_start 1 -a drop "$HOOK" "$BL_TMP/ref.pcap"
	for ((i = 0; i < 5; i++)); do [ "$(bl_prog_retval "$PROG" "$BL_TMP/frame$i")" = 1 ]; done
	capture_stop INT
	[ "$(pcap_count "$BL_TMP/ref.pcap")" = 5 ]
	for filter in "icmp" "icmp[icmptype] = icmp-echoreply" "vlan" "vlan 10 and icmp" "vlan 20" \
		"not vlan" "ip6" "icmp6 and ip6[40] = 129" "ip[0] & 0xf > 5" "icmp[4:2] = 1" \
		"tcp port 80" "len > 60" "ether src 02:00:00:00:00:02"; do
		want=$(pcap_count "$BL_TMP/ref.pcap" "$filter")
		capture_start 1 -a drop "$HOOK" "$BL_TMP/f.pcap" "$filter"
		for ((i = 0; i < 5; i++)); do bl_prog_retval "$PROG" "$BL_TMP/frame$i" >/dev/null; done
		capture_stop INT
		got=$(pcap_count "$BL_TMP/f.pcap")
		echo "filter '$filter': tcpdump $want, xdpcap $got"
		[ "$got" = "$want" ]
		grep -q "^$want packets captured, $((5 - want)) filtered, 0 lost" "$BL_TMP/cap.err"
	done
}

@test "-c 3 stops by itself and empties the hook" {
	local f="$BL_TMP/count.pcap"
	capture_start 5 -c 3 "$HOOK" "$f"
	ping_peer 5
	capture_wait
	[ "$CAP_STATUS" -eq 0 ]
	[ "$(hook_count)" = 0 ]
	[ "$(pcap_count "$f")" = 3 ]
	[ "$(epb_lengths "$f" | wc -l)" = 3 ]
}

@test "OUTPUT - streams to tcpdump -r -" {
	# The pipeline in a subshell, waited for by its pid: a bare `wait` also waits for bats'
	# own BATS_TEST_TIMEOUT watchdog (make vmtest sets it) and hangs until it fires.
	(timeout 20 "$XDPCAP" -c 2 "$HOOK" - icmp 2>/dev/null | tcpdump -nr - >"$BL_TMP/td.out" 2>/dev/null) 3>&- &
	local pid=$!
	bl_wait_for 10 hook_has 5 "$HOOK"
	ping_peer 3
	# xdpcap stops after 2 packets; tcpdump ends with its input.
	wait "$pid"
	[ "$(grep -c "IP $PEER_IP > $HOST_IP: ICMP echo reply" "$BL_TMP/td.out")" = 2 ]
	[ "$(hook_count)" = 0 ]
}

@test "write error (reader went away) exits 1 and empties the hook" {
	# head takes the pcapng header and leaves: the next packet meets a closed pipe.
	("$XDPCAP" "$HOOK" - 2>"$BL_TMP/cap.err" | head -c 64 >/dev/null) 3>&- &
	local pid=$!
	bl_wait_for 10 hook_has 5 "$HOOK"
	ping_peer 3
	bl_wait_for 10 hook_has 0 "$HOOK"
	wait "$pid" || true
	grep -q "xdpcap: error: cannot write -" "$BL_TMP/cap.err"
}

@test "a second capture on busy slots is refused and the first keeps its slots" {
	capture_start 1 -a drop "$HOOK" "$BL_TMP/first.pcap"
	run "$XDPCAP" -a drop,pass "$HOOK" "$BL_TMP/second.pcap"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"slot 1 (drop)"*"already holds program id"* ]]
	[ "$(hook_count)" = 1 ]
	capture_stop INT
	[ "$(hook_count)" = 0 ]
}

@test "a refused capture changes no output: existing file kept, no new file, nothing on stdout" {
	local f="$BL_TMP/keep.pcap" rc
	echo "an earlier capture" >"$f"
	cp "$f" "$BL_TMP/keep.orig"
	capture_start 1 -a drop "$HOOK" "$BL_TMP/first.pcap"
	# Slot busy: refused after the output was opened for writing, before anything was written.
	run "$XDPCAP" -a drop "$HOOK" "$f"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"slot 1 (drop)"*"already holds program id"* ]]
	cmp "$f" "$BL_TMP/keep.orig"
	run "$XDPCAP" -a drop "$HOOK" "$BL_TMP/new.pcap"
	[ "$status" -eq 1 ]
	[ ! -e "$BL_TMP/new.pcap" ]
	rc=0
	"$XDPCAP" -a drop "$HOOK" - >"$BL_TMP/stdout.out" 2>/dev/null || rc=$?
	[ "$rc" -eq 1 ]
	[ ! -s "$BL_TMP/stdout.out" ]
	capture_stop INT
	[ "$(hook_count)" = 0 ]
	# An invalid filter stops even earlier.
	run "$XDPCAP" "$HOOK" "$f" tcp port nosuchport
	[ "$status" -eq 1 ]
	cmp "$f" "$BL_TMP/keep.orig"
	# The same file is written once the capture does start.
	capture_start 1 -a drop -c 1 "$HOOK" "$f"
	bl_frame "$BL_TMP/reply" "$REPLY_FRAME"
	[ "$(bl_prog_retval "$PROG" "$BL_TMP/reply")" = 1 ]
	capture_wait
	[ "$CAP_STATUS" -eq 0 ]
	[ "$(pcap_count "$f")" = 1 ]
}

@test "after SIGKILL the slots stay filled (verdicts unchanged); --flush empties them" {
	capture_start 5 "$HOOK" "$BL_TMP/killed.pcap"
	capture_stop KILL
	[ "$(hook_count)" = 5 ]
	bl_frame "$BL_TMP/reply" "$REPLY_FRAME"
	[ "$(bl_prog_retval "$PROG" "$BL_TMP/reply")" = 1 ]
	run "$XDPCAP" --flush "$HOOK"
	[ "$status" -eq 0 ]
	[[ "$output" == *"emptied 5 slots"* ]]
	[ "$(hook_count)" = 0 ]
	run "$XDPCAP" --flush "$HOOK"
	[[ "$output" == *"emptied 0 slots"* ]]
}

# ---- hooks of other shapes, other tools on the same hook, time order

@test "a 4-slot hook (cloudflare/xdpcap's layout) is accepted: 4 slots filled, drops captured; -a redirect refused" {
	local d="$BPFLAB_PIN/hook4" f="$BL_TMP/hook4.pcap"
	mkdir -p "$d"
	# xdp_drop_ping with its xdpcap_hook replaced by a 4-entry map, as cloudflare's NewHook made.
	bpftool map create "$d/hook" type prog_array key 4 value 4 entries 4 name xdpcap_hook
	bpftool prog load "$BUILD/xdp_drop_ping.bpf.o" "$d/prog" map name xdpcap_hook pinned "$d/hook"
	run timeout 10 "$XDPCAP" -a drop,redirect "$d/hook" "$BL_TMP/x.pcap"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"has 4 slots"*"cannot capture XDP_REDIRECT"* ]]
	[ "$(hook_count "$d/hook")" = 0 ]
	HOOK_UNDER_TEST="$d/hook" capture_start 4 -c 2 "$d/hook" "$f"
	bl_frame "$BL_TMP/reply" "$REPLY_FRAME"
	[ "$(bl_prog_retval "$d/prog" "$BL_TMP/reply")" = 1 ]
	[ "$(bl_prog_retval "$d/prog" "$BL_TMP/reply")" = 1 ]
	capture_wait
	[ "$CAP_STATUS" -eq 0 ]
	[ "$(hook_count "$d/hook")" = 0 ]
	[ "$(pcap_count "$f")" = 2 ]
	[ "$(verdict_count "$f" XDP_DROP)" = 2 ]
	pins_clean "$d"
}

@test "another tool overwrites the capture's slot: warning naming the slot, capture ends with exit 1" {
	local d="$BPFLAB_PIN/other"
	mkdir -p "$d"
	bpftool prog loadall "$BUILD/xdpcap_dump.bpf.o" "$d" pinmaps "$d"
	capture_start 2 -a drop,pass "$HOOK" "$BL_TMP/over.pcap"
	bpftool map update pinned "$HOOK" key 1 0 0 0 value pinned "$d/xcdump_drop"
	capture_wait
	cat "$BL_TMP/cap.err"
	[ "$CAP_STATUS" -eq 1 ]
	grep -q "xdpcap: warning: slot 1 (drop) of $HOOK now holds program id [0-9]*, not this capture's" "$BL_TMP/cap.err"
	grep -q "capture ended" "$BL_TMP/cap.err"
	# Its own slot (pass) is emptied; the other tool's program is left where it put it.
	[ "$(bpftool -j map dump pinned "$HOOK" | jq length)" = 1 ]
	bpftool map delete pinned "$HOOK" key 1 0 0 0
	# Emptied instead of overwritten (e.g. xdpcap --flush from another shell): said too.
	capture_start 1 -a drop "$HOOK" "$BL_TMP/over.pcap"
	bpftool map delete pinned "$HOOK" key 1 0 0 0
	capture_wait
	[ "$CAP_STATUS" -eq 1 ]
	grep -q "xdpcap: warning: slot 1 (drop) of $HOOK was emptied by another tool" "$BL_TMP/cap.err"
	[ "$(hook_count)" = 0 ]
	pins_clean "$d"
}

# Timestamps (ns) of a capture file, one per line, in file order.
pcap_times() { # FILE
	tcpdump -nr "$1" -tt --time-stamp-precision=nano 2>/dev/null | awk '{ print $1 }'
}
# Lines where the time goes backwards, "prev > next" (none in a file in time order).
time_inversions() { # FILE
	# As strings: sec.nsec has 19 digits, more than a double holds (equal widths compare right).
	pcap_times "$1" | awk 'NR > 1 && ($1 "") < prev { print prev " > " $1 } { prev = $1 "" }'
}

@test "traffic from both CPUs at once: the capture file is in strict time order" {
	local f="$BL_TMP/order.pcap" n=3000 p0 p1 sent lost dropped
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
	dropped=$(peer_tx_dropped)
	capture_start 1 -a pass "$HOOK" "$f" udp port 9
	# Two senders pinned to CPU 0 and CPU 1: native XDP on the veth runs on the sending CPU,
	# so both perf rings fill at the same time.
	ip netns exec "$BL_NS" taskset -c 0 "$BUILD/udpburst" -c "$n" -r 20000 -t 20 "$HOST_IP" >"$BL_TMP/sent.0" &
	p0=$!
	ip netns exec "$BL_NS" taskset -c 1 "$BUILD/udpburst" -c "$n" -r 20000 -t 20 "$HOST_IP" >"$BL_TMP/sent.1" &
	p1=$!
	wait "$p0"
	wait "$p1"
	# What was sent ("sent=N"): under TCG emulation (make vmtest) -t 20 may end a sender early.
	sent=$(awk -F'[= ]' '$1 == "sent" { s += $2 } END { print s + 0 }' "$BL_TMP/sent.0" "$BL_TMP/sent.1")
	# What the veth dropped before XDP saw it (its receive ring full: under TCG, 901 of 6000).
	dropped=$(($(peer_tx_dropped) - dropped))
	echo "sent: $sent, dropped by the veth: $dropped"
	[ "$sent" -gt 0 ]
	bl_wait_for 20 pcap_has "$f" $((sent - dropped)) || true
	capture_stop INT
	[ "$CAP_STATUS" -eq 0 ]
	cat "$BL_TMP/cap.err"
	# Every packet that reached XDP is in the file or counted lost (perf ring full). Here none is
	# dropped or lost; under TCG the receiver cannot keep up with two senders and the counts say so.
	lost=$(sed -n 's/^\([0-9]*\) packets captured, [0-9]* filtered, \([0-9]*\) lost.*/\2/p' "$BL_TMP/cap.err")
	[ "$(pcap_count "$f")" = $((sent - dropped - lost)) ]
	[ "$lost" = 0 ] && [ "$dropped" = 0 ] || [ "${VMTEST:-}" = 1 ]
	time_inversions "$f" >"$BL_TMP/inv"
	echo "time inversions: $(wc -l <"$BL_TMP/inv")"
	head -5 "$BL_TMP/inv"
	[ ! -s "$BL_TMP/inv" ]
	run grep -c "too late to be sorted" "$BL_TMP/cap.err"
	[ "$output" = 0 ]
}
pcap_has() { [ "$(pcap_count "$1" 2>/dev/null)" -ge "$2" ]; }
# Frames the peer's veth end could not hand to our end (veth counts them as its tx drops).
peer_tx_dropped() { ip -n "$BL_NS" -s -j link show dev "$BL_PEER" | jq '.[0].stats64.tx.dropped'; }

@test "by hand: bpftool fills a slot with xdpcap_dump, event_pipe shows the packet, delete stops it" {
	local d="$BPFLAB_PIN/dump" pipe
	mkdir -p "$d"
	bpftool prog loadall "$BUILD/xdpcap_dump.bpf.o" "$d" pinmaps "$d"
	bpftool map update pinned "$HOOK" key 1 0 0 0 value pinned "$d/xcdump_drop"
	[ "$(hook_count)" = 1 ]
	timeout 10 bpftool map event_pipe pinned "$d/xcdump_events" >"$BL_TMP/events" 2>&1 3>&- &
	pipe=$!
	bl_frame "$BL_TMP/reply" "$REPLY_FRAME"
	# Until event_pipe has opened its perf buffers the events go nowhere: run the program
	# again until one shows up (bounded). The verdict is DROP every time.
	bl_wait_for 8 run_until_event "$BL_TMP/reply" "$BL_TMP/events"
	kill -INT "$pipe"
	wait "$pipe" || true
	# struct xcdump_meta {action 1 = DROP, len 68}, then the frame's first bytes.
	grep -q '^01 00 00 00 44 00 00 00  02 00 00 00 00 01 02 00' "$BL_TMP/events"
	bpftool map delete pinned "$HOOK" key 1 0 0 0
	[ "$(hook_count)" = 0 ]
	rm -rf "$d"
}

@test "chain: the root's hook captures the chain's final verdict" {
	local chain="$BPFLAB_PIN/chain" f="$BL_TMP/chain.pcap"
	"$SCRIPTS/chain.sh" up >/dev/null
	"$SCRIPTS/chain.sh" add 2 "$BUILD/xdp_drop_ping_member.bpf.o" >/dev/null
	HOOK_UNDER_TEST="$chain/xdpcap_hook" capture_start 5 "$chain/xdpcap_hook" "$f"
	timeout 10 ping -n -c 3 -i 0.2 -W 1 "$CHAIN_PEERIP" >/dev/null 2>&1 || true
	timeout 10 ip netns exec "$CHAIN_NS" ping -n -c 2 -i 0.2 -W 1 "$CHAIN_HOSTIP" >/dev/null 2>&1 || true
	capture_stop INT
	[ "$(hook_count "$chain/xdpcap_hook")" = 0 ]
	# The member in slot 2 dropped the replies; the requests ran off the end of the chain: PASS.
	[ "$(pcap_count "$f" "icmp[icmptype] = icmp-echoreply and src host $CHAIN_PEERIP")" = 3 ]
	[ "$(verdict_count "$f" XDP_DROP)" = 3 ]
	[ "$(pcap_count "$f" "icmp[icmptype] = icmp-echo and src host $CHAIN_PEERIP")" = 2 ]
	"$SCRIPTS/chain.sh" down >/dev/null
}

@test "lab 2 up --dev: capture its replies; after a kill -9 capture, lab2.sh down leaves nothing" {
	local hook="$BPFLAB_PIN/lab2/xdpcap_hook" f="$BL_TMP/lab2.pcap"
	# lab2.sh takes the test veth: the file's own copy of the program makes room first.
	bpftool net detach xdpdrv dev "$BL_HOST"
	bl_snapshot >"$BL_TMP/before-lab2"
	"$SCRIPTS/lab2.sh" up --dev "$BL_HOST" >"$BL_TMP/lab2.out" 2>&1 || {
		cat "$BL_TMP/lab2.out"
		false
	}
	HOOK_UNDER_TEST=$hook capture_start 5 "$hook" "$f"
	ping_peer 3
	capture_stop INT
	[ "$CAP_STATUS" -eq 0 ]
	[ "$(hook_count "$hook")" = 0 ]
	[ "$(pcap_count "$f" "icmp[icmptype] = icmp-echoreply and src host $PEER_IP and dst host $HOST_IP")" = 3 ]
	[ "$(verdict_count "$f" XDP_DROP)" = 3 ]
	# A capture killed with SIGKILL leaves its programs in the hook; down empties it anyway.
	HOOK_UNDER_TEST=$hook capture_start 5 "$hook" "$BL_TMP/killed.pcap"
	capture_stop KILL
	[ "$(hook_count "$hook")" = 5 ]
	"$SCRIPTS/lab2.sh" down >"$BL_TMP/lab2.out" 2>&1 || {
		cat "$BL_TMP/lab2.out"
		false
	}
	[ ! -e "$BPFLAB_PIN/lab2" ]
	bl_assert_same_state "$BL_TMP/before-lab2"
	# Back to the file's own setup.
	bpftool net attach xdpdrv pinned "$PROG" dev "$BL_HOST"
}

@test "pinfill fill rolls back from held fds: an entry only the map kept comes back; clear empties" {
	local d="$BPFLAB_PIN/fill" oldid
	mkdir -p "$d/new"
	bpftool map create "$d/tmpl" type array key 4 value 4 entries 1 name xc_tmpl
	bpftool map create "$d/outer" type array_of_maps key 4 value 4 entries 2 name xc_outer inner_map pinned "$d/tmpl"
	bpftool map create "$d/old" type array key 4 value 4 entries 1 name xc_old
	"$BUILD/pinfill" set "$d/outer" 0 "$d/old"
	oldid=$(bpftool -j map show pinned "$d/old" | jq .id)
	rm "$d/old" # now only slot 0 holds it
	# Slot 0 takes a fitting map, slot 1 a hash that does not match the template: the kernel
	# refuses slot 1 after slot 0 was replaced, so fill must put the old map back.
	bpftool map create "$d/new/m_0" type array key 4 value 4 entries 1 name xc_m0
	bpftool map create "$d/new/m_1" type hash key 4 value 4 entries 1 name xc_m1
	run "$BUILD/pinfill" fill "$d/outer" "$d/new" m_%d
	[ "$status" -eq 1 ]
	[[ "$output" == *"left as it was"* ]]
	[ "$("$BUILD/pinfill" list "$d/outer" | cut -f1,2)" = "0	$oldid" ]
	run "$BUILD/pinfill" clear "$d/outer"
	[ "$status" -eq 0 ]
	[ "$output" = "emptied 1 slot of $d/outer" ]
	[ -z "$("$BUILD/pinfill" list "$d/outer")" ]
	rm -rf "$d"
}

@test "benchmark script runs with a tiny count and cleans up (no timing asserted)" {
	run "$SCRIPTS/bench/xdpcap.sh" --count 200 --rates 2000 --sizes 64 --id "x$BL_ID"
	echo "$output"
	[ "$status" -eq 0 ]
	# One table row per run: rate, size, sent, then xdpcap and tcpdump columns.
	[[ "$output" == *"xdpcap"*"tcpdump"* ]]
	echo "$output" | grep -Eq '^ *2000 +64 +200 '
}

@test "nothing left behind" {
	"$SCRIPTS/chain.sh" down >/dev/null 2>&1 || true # in case a test failed half-way
	"$SCRIPTS/lab2.sh" down >/dev/null 2>&1 || true
	bpftool net detach xdpdrv dev "$BL_HOST" 2>/dev/null || true
	pins_clean "$BPFLAB_PIN"
	bl_topology_down
	# Ids from build/bpfids: no capture program, perf array or counter map of ours survives.
	# (No `bpftool map list` here: it opens every map by id, see tools/bpfids.c.)
	bl_assert_same_state "$BL_TMP/before"
}
