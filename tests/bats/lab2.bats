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
	if [ -n "${BPFLAB_SANDBOX:-}" ]; then
		# The sandbox is private: the lab's own default names, as a student uses them.
		export LAB2_NS=bpflab LAB2_HOSTIF=bpflab0 LAB2_PEERIF=bpflab1
		export LAB2_HOSTIP=198.18.0.1 LAB2_PEERIP=198.18.0.2 LAB2_CGROUP_NAME=bpflab
	else
		export LAB2_NS="blt2-$BL_ID" LAB2_HOSTIF="bl2h$BL_ID" LAB2_PEERIF="bl2p$BL_ID"
		export LAB2_HOSTIP=198.18.98.1 LAB2_PEERIP=198.18.98.2
		export LAB2_CGROUP_NAME="bpflab-test-$BL_ID"
	fi
	LAB2_DEMO_PORT=$(bl_port 0)
	export LAB2_DEMO_PORT
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
	rmdir "$BL_CGROUP2/$LAB2_CGROUP_NAME" 2>/dev/null || true
}

teardown() {
	# A failed test must not leave the lab up for the next one.
	"$LAB2" down >/dev/null 2>&1 || true
	"$LAB2" down --dev "$BL_HOST" >/dev/null 2>&1 || true
	bl_topology_down
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

@test "verdict: ICMPv6 echo reply behind a Hop-by-Hop extension header is dropped" {
	[ "$(verdict "$ETH_V6 $(ip6 00) 3a 00 00 00 00 00 00 00 81 00 00 00 00 01 00 01")" = $XDP_DROP ]
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

# Every truncation of FRAME from 14 bytes (less is refused by BPF_PROG_TEST_RUN: no Ethernet
# header) passes while shorter than DROP_FROM bytes, and is dropped from there on. The
# program drops a packet only once it is whole by its own length field (IPv4 Total Length,
# IPv6 Payload Length), so DROP_FROM is the full frame's length.
check_truncations() { # DROP_FROM HEX...
	local from=$1 full len n got want
	shift
	full=$(echo "$*" | tr -d ' ')
	len=$((${#full} / 2))
	for ((n = 14; n <= len; n++)); do
		got=$(verdict "${full:0:$((n * 2))}")
		want=$XDP_PASS
		[ "$n" -lt "$from" ] || want=$XDP_DROP
		[ "$got" = "$want" ] || {
			echo "length $n of $len: got $got, want $want"
			return 1
		}
	done
}

@test "verdict: every truncation of an echo reply passes until the packet is whole by its Total Length" {
	check_truncations 50 "$ETH_V4 $(ip4 01) $ICMP_REPLY"
}

@test "verdict: truncations with two VLAN tags and IP options, and of an ICMPv6 reply" {
	# 22 bytes of Ethernet + tags, then 36 by Total Length (24 of IPv4 with options, 12 of ICMP).
	check_truncations 58 "$VLAN2 $(ip4 01 "40 00" 46) 01 01 01 01 $ICMP_REPLY"
	# 14 + 40 + 16 by Payload Length.
	check_truncations 70 "$ETH_V6 $(ip6 3a) 81 00 00 00 00 01 00 01 de ad be ef de ad be ef"
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
	[[ "$output" == *"unknown subcommand 'frobnicate'"* ]]
	[[ "$output" == *Usage:* ]]
	run "$LAB2" --bogus up
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
	run "$LAB2" up extra
	[ "$status" -eq 2 ]
	[[ "$output" == *"'up' takes 0 argument(s), got 1"* ]]
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
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not available"
	# A PATH with just what the script needs before its root check, and no sudo to re-run through.
	# (outside BL_TMP: the bats run dir is not readable for the unprivileged user)
	local bin
	bin=$(mktemp -d /tmp/bl-nosudo.XXXX)
	chmod 755 "$bin"
	for c in bash dirname basename id env; do ln -sf "$(command -v "$c")" "$bin/$c"; done
	PATH="$bin" run "$(command -v setpriv)" --reuid=65534 --regid=65534 --clear-groups "$LAB2" up
	rm -rf "$bin"
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
	local port rcv
	port=$(bl_port 2)
	timeout 5 socat -u -T 3 "UDP4-RECVFROM:$port,bind=198.18.99.1" "OPEN:$BL_TMP/udp,creat,trunc" &
	rcv=$!
	bl_wait_for 3 sh -c "ss -Hunl 'sport = :$port' | grep -q ."
	echo "bpflab udp" | ip netns exec "$BL_NS" socat -u - "UDP4-SENDTO:198.18.99.1:$port"
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
	bl_pinned_ids "$BPFLAB_PIN/lab2" >"$BL_TMP/ids"
	grep -q '^prog ' "$BL_TMP/ids"
	"$LAB2" down
	bl_assert_same_state "$BL_TMP/before"
	bl_assert_ids_gone "$BL_TMP/ids"
}

# Opens a loopback connection inside cgroup $1 on port $2 and keeps it open until
# close_connection: the client reads from a fifo the test holds open.
open_connection() { # CG PORT
	local cg=$1 port=$2
	(bl_use_lib && cg_exec "$cg" timeout 20 socat "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr" SYSTEM:cat) 3>&- &
	SRV_PID=$!
	(bl_use_lib && wait_listen "$port")
	mkfifo "$BL_TMP/fifo"
	(bl_use_lib && cg_exec "$cg" timeout 20 socat - "TCP4:127.0.0.1:$port" <"$BL_TMP/fifo" >"$BL_TMP/reply") 3>&- &
	CLI_PID=$!
	exec 5>"$BL_TMP/fifo"
	echo hello >&5
}
close_connection() {
	exec 5>&-
	wait "$CLI_PID" "$SRV_PID" || true
	rm -f "$BL_TMP/fifo"
}
sockhash_len() {
	bpftool -j map dump pinned "$BPFLAB_PIN/lab2/sock_ops_map" | jq length
}

@test "sockmap: an open loopback connection in the lab cgroup has both directions in sock_ops_map" {
	bl_topology_up
	"$LAB2" up --dev "$BL_HOST"
	local port keys a b c d s1 d1 s2 d2
	port=$(bl_port 1)
	open_connection "$BL_CGROUP2/$LAB2_CGROUP_NAME" "$port"
	bl_wait_for 5 sh -c "[ \"\$(bpftool -j map dump pinned $BPFLAB_PIN/lab2/sock_ops_map | jq length)\" = 2 ]"
	bpftool -j map dump pinned "$BPFLAB_PIN/lab2/sock_ops_map" >"$BL_TMP/dump"
	[ "$("$LAB2" status --json 2>/dev/null | jq .sock_ops_map.entries)" = 2 ]
	# Data went through: the echo came back while both ends were in the map.
	bl_wait_for 5 grep -qx hello "$BL_TMP/reply"
	close_connection
	# Key bytes 8..11 = sport, 12..15 = dport, host order: each entry's (sport, dport) is
	# the other's (dport, sport), and one of them is the server port.
	keys=$(jq -r '.[] | .key | [.[8], .[9], .[12], .[13]] | map(ltrimstr("0x")) | join(" ")' "$BL_TMP/dump" |
		while read -r a b c d; do echo "$((16#$b$a)) $((16#$d$c))"; done | sort -n)
	echo "keys (sport dport): $keys"
	[ "$(echo "$keys" | wc -l)" -eq 2 ]
	read -r s1 d1 <<<"$(echo "$keys" | head -n1)"
	read -r s2 d2 <<<"$(echo "$keys" | tail -n1)"
	[ "$s1" = "$d2" ]
	[ "$d1" = "$s2" ]
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
	# Data still arrives both times (the echo server answers).
	[ "$(echo "$output" | grep -c '^bpflab message 3$')" -eq 2 ]
	# Inside: the handshake (SYN, SYN-ACK) and the teardown are on lo, and no data.
	[[ "$output" =~ inside\ the\ lab\ cgroup:\ ([0-9]+)\ packets\ on\ lo:\ ([0-9]+)\ SYN,\ ([0-9]+)\ FIN,\ ([0-9]+)\ with\ payload ]]
	[ "${BASH_REMATCH[2]}" -eq 2 ]
	[ "${BASH_REMATCH[3]}" -ge 2 ]
	[ "${BASH_REMATCH[4]}" -eq 0 ]
	# Outside: the same exchange carries its data over lo.
	[[ "$output" =~ outside\ the\ lab\ cgroup:\ ([0-9]+)\ packets\ on\ lo:\ ([0-9]+)\ SYN,\ ([0-9]+)\ FIN,\ ([0-9]+)\ with\ payload ]]
	[ "${BASH_REMATCH[2]}" -eq 2 ]
	[ "${BASH_REMATCH[4]}" -gt 0 ]
	"$LAB2" down
}

@test "sockmap: --cgroup PATH uses an existing cgroup and leaves it in place on down" {
	local cg=$BL_CGROUP2/bpflab-test-$BL_ID-user port
	mkdir "$cg"
	bl_topology_up
	"$LAB2" up --dev "$BL_HOST" --cgroup "$cg"
	[ "$(bpftool -j cgroup show "$cg" | jq -r '.[0].name')" = bpf_sockops ]
	port=$(bl_port 3)
	open_connection "$cg" "$port"
	bl_wait_for 5 sh -c "[ \"\$(bpftool -j map dump pinned $BPFLAB_PIN/lab2/sock_ops_map | jq length)\" = 2 ]"
	close_connection
	"$LAB2" down
	[ -d "$cg" ]
	[ -z "$(bpftool -j cgroup show "$cg" | jq '.[]')" ]
	rmdir "$cg"
	bl_topology_down
}

@test "demo --dry-run prints the capture and exchange commands and runs none" {
	run "$LAB2" --dry-run demo
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ tcpdump -Z root --immediate-mode -i lo"* ]]
	[[ "$output" == *"+ socat - TCP4:127.0.0.1:$LAB2_DEMO_PORT"* ]]
	[[ "$output" != *"bpflab message"* ]]
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

@test "cleanup: up after a killed up cleans the old state and uses the new options" {
	bl_snapshot >"$BL_TMP/before"
	bl_kill_up_at_step "$LAB2" 14 KILL
	[ -e "$BPFLAB_PIN/lab2/xdp_drop_ping" ]
	# The killed up was building the default topology; this one must attach to the test veth.
	bl_topology_up
	run "$LAB2" up --dev "$BL_HOST"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cleaning up what an earlier, incomplete 'up' left"* ]]
	ip -d link show "$BL_HOST" | grep -q 'prog/xdp'
	run ip netns list
	[[ "$output" != *"$LAB2_NS"* ]]
	"$LAB2" down
	bl_topology_down
	bl_assert_same_state "$BL_TMP/before"
}

@test "--step: answering every prompt brings the lab up" {
	bl_topology_up
	run sh -c "yes '' | head -n 40 | '$LAB2' --step up --dev $BL_HOST"
	[ "$status" -eq 0 ]
	[[ "$output" == *"[step] Enter: run it; q: stop and roll back what this up made; k: stop and keep it"* ]]
	[[ "$output" == *"lab2 is up"* ]]
	"$LAB2" down
	bl_topology_down
}

@test "ownership: up refuses a netns, cgroup or sock_ops program it did not make, and down leaves them" {
	local cg=$BL_CGROUP2/$LAB2_CGROUP_NAME sleeper
	bl_snapshot >"$BL_TMP/before"
	# A netns of the lab's name with a process in it.
	ip netns add "$LAB2_NS"
	ip netns exec "$LAB2_NS" sleep 30 3>&- &
	sleeper=$!
	run "$LAB2" up
	[ "$status" -eq 1 ]
	[[ "$output" == *"network namespace $LAB2_NS already exists"* ]]
	"$LAB2" down
	kill -0 "$sleeper"
	ip netns list | grep -qw "$LAB2_NS"
	kill "$sleeper"
	wait "$sleeper" || true
	ip netns del "$LAB2_NS"
	# A cgroup of the lab's name.
	mkdir "$cg"
	run "$LAB2" up
	[ "$status" -eq 1 ]
	[[ "$output" == *"cgroup $cg already exists"* ]]
	"$LAB2" down
	[ -d "$cg" ]
	# --cgroup on a cgroup that has a sock_ops program already.
	mkdir -p "$BPFLAB_PIN/other"
	bpftool prog load "$BUILD/sockops.bpf.o" "$BPFLAB_PIN/other/bpf_sockops" pinmaps "$BPFLAB_PIN/other"
	bpftool cgroup attach "$cg" sock_ops pinned "$BPFLAB_PIN/other/bpf_sockops"
	run "$LAB2" up --cgroup "$cg"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already has a sock_ops program"* ]]
	[ "$(bpftool -j cgroup show "$cg" | jq length)" = 1 ]
	bpftool cgroup detach "$cg" sock_ops pinned "$BPFLAB_PIN/other/bpf_sockops"
	rm -r "$BPFLAB_PIN/other"
	rmdir "$cg"
	bl_assert_same_state "$BL_TMP/before"
}

# ---- faults, races and bad input (each one a defect found once)

@test "interrupted up: SIGKILL after each command of up, then down leaves nothing (every kill point)" {
	bl_snapshot >"$BL_TMP/before"
	bl_assert_every_kill_point lab2 18 "$BL_TMP/before" "$LAB2"
}

@test "interrupted up: SIGINT and SIGTERM roll back by themselves (4 kill points each)" {
	local n sig
	bl_snapshot >"$BL_TMP/before"
	for sig in INT TERM; do
		for n in 3 10 14 18; do
			bl_kill_up_at_step "$LAB2" "$n" "$sig"
			bl_assert_same_state "$BL_TMP/before" || { echo "SIG$sig at command $n left this" >&2; return 1; }
		done
	done
}

@test "race: two ups started at once end with the lab fully up; down leaves nothing" {
	local a b
	bl_snapshot >"$BL_TMP/before"
	"$LAB2" up >"$BL_TMP/a" 2>&1 &
	a=$!
	"$LAB2" up >"$BL_TMP/b" 2>&1 &
	b=$!
	wait "$a"
	wait "$b"
	[ "$("$LAB2" status --json 2>/dev/null | jq -r '.up, .xdp.attached, .sockops.attached' | tr '\n' ' ')" = "true true true " ]
	grep -q "already up" "$BL_TMP/a" "$BL_TMP/b"
	"$LAB2" down
	bl_assert_same_state "$BL_TMP/before"
}

@test "race: up racing down ends fully up or fully down, never between (5 rounds)" {
	local i up_pid st
	bl_snapshot >"$BL_TMP/before"
	for i in 1 2 3 4 5; do
		"$LAB2" up >/dev/null 2>&1 &
		up_pid=$!
		"$LAB2" down >/dev/null 2>&1 || true
		wait "$up_pid" || true
		st=$("$LAB2" status --json 2>/dev/null | jq -r '[.up, .xdp.attached, .sockops.attached] | map(tostring) | join(" ")')
		case "$st" in
		"true true true") "$LAB2" down >/dev/null 2>&1 ;;
		"false false false") ;;
		*) echo "round $i: half-made lab: $st" >&2; return 1 ;;
		esac
		bl_assert_same_state "$BL_TMP/before"
	done
}

@test "gone: down after its host device was deleted finishes, says so, leaves nothing" {
	bl_snapshot >"$BL_TMP/before"
	"$LAB2" up
	ip link del "$LAB2_HOSTIF"
	run "$LAB2" down
	[ "$status" -eq 0 ]
	[[ "$output" == *"device $LAB2_HOSTIF was already gone"* ]]
	bl_assert_same_state "$BL_TMP/before"
	run "$LAB2" up
	[ "$status" -eq 0 ]
	"$LAB2" down
}

@test "gone: down after its netns was deleted finishes, says so, leaves nothing" {
	bl_snapshot >"$BL_TMP/before"
	"$LAB2" up
	ip netns del "$LAB2_NS"
	run "$LAB2" down
	[ "$status" -eq 0 ]
	[[ "$output" == *"network namespace $LAB2_NS was already gone"* ]]
	bl_assert_same_state "$BL_TMP/before"
}

@test "gone: a state file naming a device and netns never created is cleaned up" {
	bl_snapshot >"$BL_TMP/before"
	mkdir -p "$BPFLAB_RUN"
	printf 'NS=%s\nDEV=%s\n' "$LAB2_NS" "$LAB2_HOSTIF" >"$BPFLAB_RUN/state$(echo "$BPFLAB_PIN/lab2" | tr / _)"
	run "$LAB2" down
	[ "$status" -eq 0 ]
	[ ! -e "$BPFLAB_RUN/state$(echo "$BPFLAB_PIN/lab2" | tr / _)" ]
	bl_assert_same_state "$BL_TMP/before"
}

@test "bad input: empty overrides, unsafe names, --dev '' are refused with exit 2, nothing made" {
	bl_snapshot >"$BL_TMP/before"
	LAB2_NS='' run "$LAB2" up
	[ "$status" -eq 2 ]
	[[ "$output" == *"LAB2_NS is set but empty"* ]]
	[ "$(echo "$output" | grep -c 'error')" = 1 ]
	BPFLAB_PIN='' run "$LAB2" up
	[ "$status" -eq 2 ]
	[[ "$output" == *"BPFLAB_PIN is set but empty"* ]]
	LAB2_CGROUP_NAME=../x run "$LAB2" up
	[ "$status" -eq 2 ]
	[[ "$output" == *"LAB2_CGROUP_NAME='../x' is not a valid name"* ]]
	LAB2_NS="two words" run "$LAB2" up
	[ "$status" -eq 2 ]
	LAB2_HOSTIF=averyveryverylongname run "$LAB2" up
	[ "$status" -eq 2 ]
	[[ "$output" == *"too long for an interface name"* ]]
	LAB2_PEERIP=198.18.0.256 run "$LAB2" up
	[ "$status" -eq 2 ]
	LAB2_DEMO_PORT=0 run "$LAB2" demo
	[ "$status" -eq 2 ]
	run "$LAB2" up --dev ""
	[ "$status" -eq 2 ]
	[[ "$output" == *"--dev needs a value"* ]]
	run "$LAB2" up --cgroup ""
	[ "$status" -eq 2 ]
	bl_assert_same_state "$BL_TMP/before"
}

@test "bad input: down with a BPFLAB_PIN that is not on bpffs removes no ordinary file" {
	mkdir -p "$BL_TMP/notbpf/lab2"
	echo precious >"$BL_TMP/notbpf/lab2/file"
	BPFLAB_PIN=$BL_TMP/notbpf run "$LAB2" down
	[ "$status" -eq 0 ]
	[ "$(cat "$BL_TMP/notbpf/lab2/file")" = precious ]
	[[ "$output" == *"not on bpffs"* ]]
}

@test "status --json: sock_ops detached by hand reads as not attached" {
	"$LAB2" up
	bpftool cgroup detach "$BL_CGROUP2/$LAB2_CGROUP_NAME" sock_ops pinned "$BPFLAB_PIN/lab2/bpf_sockops"
	[ "$("$LAB2" status --json 2>/dev/null | jq -r .sockops.attached)" = false ]
	"$LAB2" down
}

@test "up --dev while the lab is up elsewhere is refused and says where it is up" {
	"$LAB2" up
	run "$LAB2" up --dev lo
	[ "$status" -eq 1 ]
	[[ "$output" == *"already up on $LAB2_HOSTIF, not on lo"* ]]
	ip -d link show lo | grep -vq 'prog/xdp'
	"$LAB2" down
}

@test "dry-run down prints exactly the commands a real down runs" {
	"$LAB2" up
	"$LAB2" --dry-run down 2>&1 | grep '^+ ' >"$BL_TMP/dry"
	"$LAB2" down 2>&1 | grep '^+ ' >"$BL_TMP/real"
	diff -u "$BL_TMP/dry" "$BL_TMP/real"
	[ -s "$BL_TMP/real" ]
	# And when the lab is not up, both say so the same way.
	[ "$("$LAB2" --dry-run down 2>&1)" = "$("$LAB2" down 2>&1)" ]
}

@test "--step: k keeps what was made (down removes it), q rolls it back" {
	bl_snapshot >"$BL_TMP/before"
	run sh -c "{ yes '' | head -n 12; echo k; } | '$LAB2' --step up"
	[ "$status" -eq 1 ]
	[[ "$output" == *"kept what was made"* ]]
	ip netns list | grep -qw "$LAB2_NS"
	"$LAB2" down
	bl_assert_same_state "$BL_TMP/before"
}

@test "by hand: status recognises a lab 2 set up by hand and names the page's teardown; up refuses to mix" {
	mkdir -p "$BPFLAB_PIN/lab2"
	bpftool prog load "$BUILD/xdp_drop_ping.bpf.o" "$BPFLAB_PIN/lab2/xdp_drop_ping" pinmaps "$BPFLAB_PIN/lab2"
	bpftool prog load "$BUILD/sockops.bpf.o" "$BPFLAB_PIN/lab2/bpf_sockops" pinmaps "$BPFLAB_PIN/lab2"
	run "$LAB2" status
	[ "$status" -eq 0 ]
	[[ "$output" == *"lab2: set up by hand"*"labs/lab2.md"* ]]
	run "$LAB2" up
	[ "$status" -eq 1 ]
	[[ "$output" == *"take it down as labs/lab2.md shows"* ]]
	rm -r "$BPFLAB_PIN/lab2"
	rmdir "$BPFLAB_PIN" 2>/dev/null || true
}

@test "race: lab2 and the template lab up/down at once, sharing BPFLAB_PIN and BPFLAB_RUN, each ends consistent (5 rounds)" {
	local i a b
	bl_snapshot >"$BL_TMP/before"
	for i in 1 2 3 4 5; do
		{ "$LAB2" up && "$LAB2" down; } >"$BL_TMP/a" 2>&1 &
		a=$!
		{ "$SCRIPTS/template.sh" up && "$SCRIPTS/template.sh" down; } >"$BL_TMP/b" 2>&1 &
		b=$!
		wait "$a" || { cat "$BL_TMP/a"; return 1; }
		wait "$b" || { cat "$BL_TMP/b"; return 1; }
		bl_assert_same_state "$BL_TMP/before"
	done
}

@test "xdp_attach: a refusal other than 'not supported' shows the kernel's reason, not a fallback" {
	mkdir -p "$BPFLAB_PIN/other"
	bpftool prog load "$BUILD/sockops.bpf.o" "$BPFLAB_PIN/other/bpf_sockops" pinmaps "$BPFLAB_PIN/other"
	bl_topology_up
	run bash -c ". '$SCRIPTS/lib/lab.sh'; xdp_attach '$BPFLAB_PIN/other/bpf_sockops' '$BL_HOST'"
	rm -r "$BPFLAB_PIN/other"
	bl_topology_down
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot attach XDP to $BL_HOST: "* ]]
	[[ "$output" != *"falling back to generic"* ]]
	[[ "$output" != *"EBUSY"* ]]
}
