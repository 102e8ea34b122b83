#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Lab 2: xdp_drop_ping verdicts, live ping/UDP through the veth, sockmap redirect seen by
# tcpdump, and nothing left behind by up/down.

load helpers

XDP_DROP=1
XDP_PASS=2

# ---- frame pieces (hex). Addresses 198.18.99.2 -> 198.18.99.1.
ETH_V4="02 00 00 00 00 01  02 00 00 00 00 02  08 00"
ETH_V6="02 00 00 00 00 01  02 00 00 00 00 02  86 dd"
ETH_ARP="ff ff ff ff ff ff  02 00 00 00 00 02  08 06"
VLAN1="02 00 00 00 00 01  02 00 00 00 00 02  81 00 00 0a 08 00"
VLAN2="02 00 00 00 00 01  02 00 00 00 00 02  88 a8 00 0a 81 00 00 14 08 00"
# IPv4 header without options: version/IHL, TOS, length, id, flags/frag, TTL, protocol.
ip4() { # PROTO [FRAG] [VER_IHL]
	echo "${3:-45} 00 00 24 12 34 ${2:-40 00} 40 $1 00 00  c6 12 63 02  c6 12 63 01"
}
ICMP_REPLY="00 00 00 00 00 01 00 01  de ad be ef de ad be ef"
ICMP_REQUEST="08 00 00 00 00 01 00 01  de ad be ef de ad be ef"
IP6_SRC="20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02"
IP6_DST="20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
ip6() { # NEXTHDR
	echo "60 00 00 00 00 10 $1 40 $IP6_SRC $IP6_DST"
}

setup_file() {
	bl_setup_names
	export LAB2_NS="blt2-$BL_ID" LAB2_HOSTIF="bl2h$BL_ID" LAB2_PEERIF="bl2p$BL_ID"
	export LAB2_HOSTIP=198.18.98.1 LAB2_PEERIP=198.18.98.2
	export LAB2_CGROUP_NAME="bpflab-test-$BL_ID"
	export LAB2_DEMO_PORT=$((20000 + 0x$BL_ID % 20000))
	LAB2="$SCRIPTS/lab2.sh"
	export LAB2
	# One loaded copy of the program for the verdict tests.
	mkdir -p "$BPFLAB_PIN/verdict"
	bpftool prog load "$BUILD/xdp_drop_ping.bpf.o" "$BPFLAB_PIN/verdict/xdp_drop_ping" pinmaps "$BPFLAB_PIN/verdict"
}

teardown_file() {
	"$LAB2" down >/dev/null 2>&1 || true
	bl_topology_down
	rm -rf "$BPFLAB_PIN" "$BPFLAB_RUN" "$BL_TMP"
	rmdir "$(bl_cgroup_path)" 2>/dev/null || true
}

teardown() {
	# A failed test must not leave the lab up for the next one.
	"$LAB2" down >/dev/null 2>&1 || true
	"$LAB2" down --dev "$BL_HOST" >/dev/null 2>&1 || true
}

verdict() { # HEX...
	bl_frame "$BL_TMP/frame" "$@"
	bl_prog_retval "$BPFLAB_PIN/verdict/xdp_drop_ping" "$BL_TMP/frame"
}

# ---- verdicts on crafted frames (BPF_PROG_TEST_RUN)

@test "verdict: ICMP echo reply is dropped" {
	[ "$(verdict "$ETH_V4 $(ip4 01) $ICMP_REPLY")" = $XDP_DROP ]
}

@test "verdict: echo reply behind one 802.1Q tag is dropped" {
	[ "$(verdict "$VLAN1 $(ip4 01) $ICMP_REPLY")" = $XDP_DROP ]
}

@test "verdict: echo reply behind 802.1ad + 802.1Q tags (QinQ) is dropped" {
	[ "$(verdict "$VLAN2 $(ip4 01) $ICMP_REPLY")" = $XDP_DROP ]
}

@test "verdict: echo reply behind three tags passes (at most two are parsed)" {
	local three="02 00 00 00 00 01  02 00 00 00 00 02  88 a8 00 0a 81 00 00 14 81 00 00 1e 08 00"
	[ "$(verdict "$three $(ip4 01) $ICMP_REPLY")" = $XDP_PASS ]
}

@test "verdict: echo reply with IPv4 options (IHL 6) is dropped" {
	[ "$(verdict "$ETH_V4 $(ip4 01 "40 00" 46) 01 01 01 01 $ICMP_REPLY")" = $XDP_DROP ]
}

@test "verdict: ICMPv6 echo reply is dropped" {
	[ "$(verdict "$ETH_V6 $(ip6 3a) 81 00 00 00 00 01 00 01 de ad be ef de ad be ef")" = $XDP_DROP ]
}

@test "verdict: ICMPv6 echo request passes" {
	[ "$(verdict "$ETH_V6 $(ip6 3a) 80 00 00 00 00 01 00 01 de ad be ef de ad be ef")" = $XDP_PASS ]
}

@test "verdict: ICMPv6 echo reply behind an extension header passes" {
	[ "$(verdict "$ETH_V6 $(ip6 00) 3a 00 00 00 00 00 00 00 81 00 00 00 00 01 00 01")" = $XDP_PASS ]
}

@test "verdict: ICMP echo request passes" {
	[ "$(verdict "$ETH_V4 $(ip4 01) $ICMP_REQUEST")" = $XDP_PASS ]
}

@test "verdict: TCP passes" {
	[ "$(verdict "$ETH_V4 $(ip4 06) 30 39 00 50 00 00 00 01 00 00 00 00 50 02 20 00 00 00 00 00")" = $XDP_PASS ]
}

@test "verdict: UDP passes" {
	[ "$(verdict "$ETH_V4 $(ip4 11) 30 39 00 35 00 10 00 00 $ICMP_REPLY")" = $XDP_PASS ]
}

@test "verdict: ARP passes" {
	[ "$(verdict "$ETH_ARP 00 01 08 00 06 04 00 01 02 00 00 00 00 02 c6 12 63 02 00 00 00 00 00 00 c6 12 63 01")" = $XDP_PASS ]
}

@test "verdict: non-first fragment that looks like an echo reply passes" {
	[ "$(verdict "$ETH_V4 $(ip4 01 "20 01") $ICMP_REPLY")" = $XDP_PASS ]
	# The first fragment (MF set, offset 0) carries the ICMP header: dropped.
	[ "$(verdict "$ETH_V4 $(ip4 01 "20 00") $ICMP_REPLY")" = $XDP_DROP ]
}

@test "verdict: IHL < 5 and wrong IP version pass" {
	[ "$(verdict "$ETH_V4 $(ip4 01 "40 00" 44) $ICMP_REPLY")" = $XDP_PASS ]
	[ "$(verdict "$ETH_V4 $(ip4 01 "40 00" 65) $ICMP_REPLY")" = $XDP_PASS ]
}

@test "verdict: every truncation of an echo reply passes until 8 ICMP bytes are there" {
	local full len n got
	full=$(echo "$ETH_V4 $(ip4 01) $ICMP_REPLY" | tr -d ' ')
	len=$((${#full} / 2))
	# Below 14 bytes BPF_PROG_TEST_RUN itself refuses the frame (no Ethernet header).
	for ((n = 14; n <= len; n++)); do
		got=$(verdict "${full:0:$((n * 2))}")
		if [ "$n" -lt 42 ]; then
			[ "$got" = $XDP_PASS ] || { echo "length $n: got $got, want PASS"; return 1; }
		else
			[ "$got" = $XDP_DROP ] || { echo "length $n: got $got, want DROP"; return 1; }
		fi
	done
}

# ---- the script's interface

@test "help: --help prints the same usage every time, exit 0" {
	run "$LAB2" --help
	[ "$status" -eq 0 ]
	first=$output
	run "$LAB2" -h
	[ "$status" -eq 0 ]
	[ "$output" = "$first" ]
	for word in up down status demo --dev --cgroup --step --dry-run --json; do
		[[ "$first" == *"$word"* ]] || { echo "usage lacks $word"; return 1; }
	done
}

@test "errors: unknown subcommand, unknown flag or none -> usage, exit 2" {
	run "$LAB2" frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown argument 'frobnicate'"* ]]
	[[ "$output" == *Usage:* ]]
	run "$LAB2" --bogus up
	[ "$status" -eq 2 ]
	run "$LAB2"
	[ "$status" -eq 2 ]
}

@test "errors: missing device, missing cgroup, non-cgroup dir, missing BTF -> one clear line, nothing made" {
	bl_snapshot >"$BL_TMP/before"
	run "$LAB2" up --dev nosuchdev0
	[ "$status" -eq 1 ]
	[[ "$output" == *"device 'nosuchdev0' does not exist"* ]]
	run "$LAB2" up --cgroup /nonexistent/cg
	[ "$status" -eq 1 ]
	[[ "$output" == *"cgroup '/nonexistent/cg' does not exist"* ]]
	run "$LAB2" up --cgroup /tmp
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a cgroup v2 directory"* ]]
	BPFLAB_BTF=/nonexistent/vmlinux run "$LAB2" up
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no BTF"* ]]
	bl_assert_same_state "$BL_TMP/before"
}

@test "errors: missing tools are named with their Debian package" {
	# bpftool and ip live in /usr/sbin: a PATH without it lacks both.
	PATH=/usr/bin:/bin run "$LAB2" up
	[ "$status" -eq 1 ]
	[[ "$output" == *"'bpftool' not found (Debian package: bpftool)"* ]]
}

@test "errors: not root -> clear error" {
	command -v sudo >/dev/null && skip "sudo is installed: the script would re-run itself through it"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not available"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$LAB2" up
	[ "$status" -eq 1 ]
	[[ "$output" == *"must run as root"* ]]
}

@test "dry-run: prints the commands in order and changes nothing" {
	bl_snapshot >"$BL_TMP/before"
	run "$LAB2" --dry-run up
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ ip netns add $LAB2_NS"* ]]
	[[ "$output" == *"+ bpftool prog load $BUILD/xdp_drop_ping.bpf.o $BPFLAB_PIN/lab2/xdp_drop_ping pinmaps"* ]]
	[[ "$output" == *"+ bpftool net attach xdpdrv pinned $BPFLAB_PIN/lab2/xdp_drop_ping dev $LAB2_HOSTIF"* ]]
	# msg_verdict attach comes before the cgroup attach.
	local verdict_line cgroup_line
	verdict_line=$(echo "$output" | grep -n 'msg_verdict' | cut -d: -f1)
	cgroup_line=$(echo "$output" | grep -n 'cgroup attach' | cut -d: -f1)
	[ "$verdict_line" -lt "$cgroup_line" ]
	run "$LAB2" --dry-run down
	[ "$status" -eq 0 ]
	bl_assert_same_state "$BL_TMP/before"
}

# ---- live behaviour

@test "live: ping answers, goes silent after up --dev, answers again after down; UDP flows while up" {
	bl_topology_up
	ping -c 2 -W 1 -i 0.2 198.18.99.2
	"$LAB2" up --dev "$BL_HOST"
	run ping -c 3 -W 1 -i 0.2 198.18.99.2
	[ "$status" -ne 0 ]
	[[ "$output" == *" 0 received"* ]]
	# UDP from the peer still reaches the host through the XDP program.
	timeout 5 socat -u -T 3 "UDP4-RECVFROM:9999,bind=198.18.99.1" "OPEN:$BL_TMP/udp,creat,trunc" &
	local rcv=$!
	bl_wait_for 3 sh -c 'ss -Hunl "sport = :9999" | grep -q .'
	echo "bpflab udp" | ip netns exec "$BL_NS" socat -u - "UDP4-SENDTO:198.18.99.1:9999"
	wait "$rcv"
	[ "$(cat "$BL_TMP/udp")" = "bpflab udp" ]
	"$LAB2" down --dev "$BL_HOST"
	ping -c 2 -W 1 -i 0.2 198.18.99.2
	bl_topology_down
}

@test "live: default topology — a ping to the netns peer goes silent while the lab is up" {
	bl_snapshot >"$BL_TMP/before"
	"$LAB2" up
	run ping -c 3 -W 1 -i 0.2 "$LAB2_PEERIP"
	[[ "$output" == *" 0 received"* ]]
	# The peer is there: pings from inside the netns to the host get their replies there.
	ip netns exec "$LAB2_NS" ping -c 1 -W 1 "$LAB2_HOSTIP"
	[ "$("$LAB2" status --json 2>/dev/null | jq -r '.up, .xdp.attached, .sockops.attached' | tr '\n' ' ')" = "true true true " ]
	"$LAB2" down
	bl_assert_same_state "$BL_TMP/before"
}

@test "sockmap: an open loopback connection in the lab cgroup has both directions in sock_ops_map" {
	bl_topology_up
	"$LAB2" up --dev "$BL_HOST"
	local cg port srv cli
	cg=$(bl_cgroup_path)
	port=$((LAB2_DEMO_PORT + 1))
	(bl_use_lib &&
		cg_exec "$cg" timeout 10 socat "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr" SYSTEM:cat) &
	srv=$!
	bl_wait_for 5 sh -c "ss -Htln 'sport = :$port' | grep -q ."
	(bl_use_lib &&
		{ echo hello; sleep 4; } | cg_exec "$cg" timeout 10 socat - "TCP4:127.0.0.1:$port") >"$BL_TMP/reply" &
	cli=$!
	bl_wait_for 5 sh -c "[ \"\$(bpftool -j map dump pinned $BPFLAB_PIN/lab2/sock_ops_map | jq length)\" = 2 ]"
	# The two keys mirror each other: (local port, remote port) of one is (remote, local) of the other.
	bpftool -j map dump pinned "$BPFLAB_PIN/lab2/sock_ops_map" >"$BL_TMP/dump"
	[ "$("$LAB2" status --json 2>/dev/null | jq .sock_ops_map.entries)" = 2 ]
	wait "$cli" "$srv" || true
	[ "$(cat "$BL_TMP/reply")" = hello ]
	# Key bytes 8..11 = sport, 12..15 = dport, host order: each entry's (sport, dport) is
	# the other's (dport, sport), and one of them is the server port.
	local keys a b c d
	keys=$(jq -r '.[] | .key | [.[8], .[9], .[12], .[13]] | map(ltrimstr("0x")) | join(" ")' "$BL_TMP/dump" |
		while read -r a b c d; do echo "$((16#$b$a)) $((16#$d$c))"; done | sort -n)
	echo "keys (sport dport): $keys"
	[ "$(echo "$keys" | wc -l)" -eq 2 ]
	read -r s1 d1 <<<"$(echo "$keys" | head -n1)"
	read -r s2 d2 <<<"$(echo "$keys" | tail -n1)"
	[ "$s1" = "$d2" ] && [ "$d1" = "$s2" ]
	[ "$s1" = "$port" ] || [ "$s2" = "$port" ]
	# Closed sockets leave the map.
	bl_wait_for 5 sh -c "[ \"\$(bpftool -j map dump pinned $BPFLAB_PIN/lab2/sock_ops_map | jq length)\" = 0 ]"
	"$LAB2" down --dev "$BL_HOST"
	bl_topology_down
}

@test "sockmap: tcpdump on lo sees no payload inside the lab cgroup, and sees it outside" {
	"$LAB2" up
	run "$LAB2" demo
	[ "$status" -eq 0 ]
	echo "$output"
	# Data still arrives both times (the echo server answers).
	[ "$(echo "$output" | grep -c '^bpflab message 3$')" -eq 2 ]
	[[ "$output" =~ payload\ packets\ seen\ on\ lo:\ 0\ inside\ the\ lab\ cgroup,\ ([0-9]+)\ outside ]]
	[ "${BASH_REMATCH[1]}" -gt 0 ]
	# Handshake and teardown are still on the wire inside the cgroup.
	[[ "$output" == *"Flags [S]"* ]]
	[[ "$output" == *"Flags [F.]"* ]]
	"$LAB2" down
}

# ---- nothing left behind

@test "cleanup: up; up; down; down leaves the kernel as it was" {
	bl_snapshot >"$BL_TMP/before"
	"$LAB2" up
	run "$LAB2" up
	[ "$status" -eq 0 ]
	[[ "$output" == *"already up"* ]]
	"$LAB2" down
	"$LAB2" down
	bl_assert_same_state "$BL_TMP/before"
}

@test "cleanup: an up that fails half-way rolls itself back" {
	bl_snapshot >"$BL_TMP/before"
	# --step answered 'q' at the 16th command: the netns, pins and XDP exist by then.
	run sh -c "{ for i in \$(seq 15); do echo; done; echo q; } | '$LAB2' --step up"
	[ "$status" -eq 1 ]
	[[ "$output" == *"rolling back"* ]]
	bl_assert_same_state "$BL_TMP/before"
}

@test "cleanup: down after an up killed with SIGKILL removes everything" {
	bl_snapshot >"$BL_TMP/before"
	# Feed --step enough answers to get half-way, then keep it waiting and kill it.
	sh -c 'for i in $(seq 16); do echo; done; exec sleep 21.5' 3>&- | "$LAB2" --step up >/dev/null 2>&1 3>&- &
	local pid=$!
	bl_wait_for 10 test -e "$BPFLAB_PIN/lab2/bpf_sockops"
	sleep 0.5
	kill -9 "$pid"
	pkill -f "sleep 21.5" || true
	wait "$pid" 2>/dev/null || true
	[ -e "$BPFLAB_RUN" ]
	"$LAB2" down
	bl_assert_same_state "$BL_TMP/before"
}
