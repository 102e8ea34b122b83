# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# scripts/check.sh lab2: the XDP program (verdicts against bpf/xdp_drop_ping.bpf.c with
# build/check_xdp, then a live ping), or the sockops / sk_msg half of sock_ops_map.
# Uses CK_PIN (a private pin dir), CK_TMP, CK_CLEANUP (commands run at exit), LIVE.

grade_lab2() { # OBJ
	local obj=$1 secs
	secs=$(ck_progs "$obj" | cut -f1)
	if grep -qx 'sockops\|sk_msg' <<<"$secs" && ! grep -qx 'xdp' <<<"$secs"; then
		grade_lab2_sockmap "$obj"
	else
		grade_lab2_xdp "$obj"
	fi
}

# Attach PIN to DEV: native XDP where the driver has it (veth), generic otherwise.
ck_xdp_attach() { # PIN DEV
	vtrace bpftool net attach xdpdrv pinned "$1" dev "$2"
	bpftool net attach xdpdrv pinned "$1" dev "$2" 2>/dev/null && return 0
	vtrace bpftool net attach xdpgeneric pinned "$1" dev "$2"
	bpftool net attach xdpgeneric pinned "$1" dev "$2"
}

# Replies to COUNT pings of ADDR (each waits at most 1 s for its reply).
ck_ping_replies() { # ADDR COUNT
	local out
	vtrace ping -c "$2" -i 0.2 -W 1 "$1"
	out=$(ping -c "$2" -i 0.2 -W 1 "$1" 2>&1) || true
	sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out" | head -n1
}

# A veth pair to a namespace of our own: HOST <-> PEER 198.18.250.1 <-> .2 (sets CK_NS CK_DEV CK_PEERIP).
ck_topology() {
	CK_NS=bpflab-chk-$$ CK_DEV=bck$$h CK_PEERIP=198.18.250.2
	CK_CLEANUP+=("ip link del $CK_DEV" "ip netns del $CK_NS")
	if [ "$VERBOSE" = 1 ]; then
		netns_up "$CK_NS" "$CK_DEV" "bck$$p" 198.18.250.1 "$CK_PEERIP"
	else
		netns_up "$CK_NS" "$CK_DEV" "bck$$p" 198.18.250.1 "$CK_PEERIP" 2>/dev/null
	fi
}

grade_lab2_xdp() { # OBJ
	local obj=$1 dir=$CK_PIN/student prog n i
	ck_want_section "$obj" 'an XDP program (SEC("xdp"))' 'xdp' || return 1
	ck_load "$obj" "$dir" pinmaps "${dir}_maps" || return 1
	prog=$dir/$CK_PROG
	vtrace bpftool prog load "$BUILD_DIR/xdp_drop_ping.bpf.o" "$CK_PIN/solution"
	bpftool prog load "$BUILD_DIR/xdp_drop_ping.bpf.o" "$CK_PIN/solution" >/dev/null 2>&1 ||
		die "cannot load the solution $BUILD_DIR/xdp_drop_ping.bpf.o" "run 'make'"
	vtrace "$BUILD_DIR/check_xdp" "$prog" "$CK_PIN/solution"
	"$BUILD_DIR/check_xdp" "$prog" "$CK_PIN/solution" >"$CK_TMP/verdicts" 2>&1 || true
	ck_import "$CK_TMP/verdicts"
	[ "$LIVE" = 1 ] || return 0

	# Live: the ping to the peer is answered, silent while the program is attached, answered again.
	ck_topology
	n=0
	for ((i = 0; i < 3 && n == 0; i++)); do n=$(ck_ping_replies "$CK_PEERIP" 1); done
	if [ "${n:-0}" = 0 ]; then
		ck_result live fail "the peer $CK_PEERIP does not answer pings even without your program: the checker's network is broken (not your fault)"
		return 1
	fi
	if ! ck_xdp_attach "$prog" "$CK_DEV" >"$CK_TMP/attach.log" 2>&1; then
		ck_result live fail "cannot attach $CK_PROG to a veth device" "$(tail -n 3 "$CK_TMP/attach.log")"
		return 1
	fi
	n=$(ck_ping_replies "$CK_PEERIP" 3)
	vtrace bpftool net detach xdpdrv dev "$CK_DEV"
	bpftool net detach xdpdrv dev "$CK_DEV" 2>/dev/null || bpftool net detach xdpgeneric dev "$CK_DEV" 2>/dev/null || true
	if [ "${n:-0}" != 0 ]; then
		ck_result live fail "ping $CK_PEERIP got $n of 3 replies while $CK_PROG was attached to the device the replies arrive on: they should all be dropped"
		return 1
	fi
	n=0
	for ((i = 0; i < 5 && n == 0; i++)); do n=$(ck_ping_replies "$CK_PEERIP" 1); done
	if [ "${n:-0}" = 0 ]; then
		ck_result live fail "after detaching, the peer no longer answers: did the program change something that outlives it?"
		return 1
	fi
	ck_result live pass "ping $CK_PEERIP: 0 of 3 replies while attached to the veth, answered again after detaching"
}

# ---- sockops / sk_msg: one half from the student, the other from the solution if missing.
grade_lab2_sockmap() { # OBJ
	local obj=$1 dir=$CK_PIN/student ops="" msg="" map cg port n cport keys
	ck_want_section "$obj" 'a SEC("sockops") or SEC("sk_msg") program for sock_ops_map' 'sockops|sk_msg' || return 1
	ops=$(ck_progs "$obj" | awk -F'\t' '$1 == "sockops" { print $2; exit }')
	msg=$(ck_progs "$obj" | awk -F'\t' '$1 == "sk_msg" { print $2; exit }')
	if ! ck_has_map "$obj" sock_ops_map; then
		ck_result map fail "no map named sock_ops_map: include \"sockmap.bpf.h\" (it declares the SOCKHASH both halves share)"
		return 1
	fi
	map=$CK_PIN/sock_ops_map
	if [ -n "$ops" ]; then
		ck_load "$obj" "$dir" pinmaps "$CK_PIN/maps" || return 1
		mv "$CK_PIN/maps/sock_ops_map" "$map"
	else
		bpftool prog load "$BUILD_DIR/sockops.bpf.o" "$CK_PIN/solution_ops" pinmaps "$CK_PIN/maps" >/dev/null 2>&1 ||
			die "cannot load the solution $BUILD_DIR/sockops.bpf.o" "run 'make'"
		mv "$CK_PIN/maps/sock_ops_map" "$map"
		ck_load "$obj" "$dir" map name sock_ops_map pinned "$map" || return 1
		ops=solution_ops dir=$CK_PIN
	fi
	local p_ops=$dir/$ops p_msg=$CK_PIN/student/$msg
	if [ -z "$msg" ]; then
		p_msg=$CK_PIN/solution_msg
		bpftool prog load "$BUILD_DIR/sk_msg.bpf.o" "$p_msg" map name sock_ops_map pinned "$map" >/dev/null 2>&1 ||
			die "cannot load the solution $BUILD_DIR/sk_msg.bpf.o" "run 'make'"
	fi
	[ "$LIVE" = 1 ] || return 0

	# The verdict program on the map first, then sock_ops on a cgroup of our own.
	vtrace bpftool prog attach pinned "$p_msg" msg_verdict pinned "$map"
	bpftool prog attach pinned "$p_msg" msg_verdict pinned "$map"
	CK_CLEANUP+=("bpftool prog detach pinned $p_msg msg_verdict pinned $map")
	cg=$(cgroup2_root)/bpflab-check-$$
	mkdir "$cg"
	CK_CLEANUP+=("rmdir $cg" "bpftool cgroup detach $cg sock_ops pinned $p_ops")
	vtrace bpftool cgroup attach "$cg" sock_ops pinned "$p_ops"
	bpftool cgroup attach "$cg" sock_ops pinned "$p_ops"

	port=$((20000 + $$ % 10000))
	ck_sockmap_exchange "$cg" "$port" "$map"
	cport=$(cat "$CK_TMP/cport" 2>/dev/null || true)
	keys=$(cat "$CK_TMP/keys")
	n=$(jq -s 'length' <<<"$keys")
	if [ "$n" = 2 ] && [ "$(jq -s --argjson p "$port" --argjson c "${cport:-0}" \
		'map(select(.sip == "127.0.0.1" and .dip == "127.0.0.1" and .family == 2 and
			((.sport == $p and .dport == $c) or (.sport == $c and .dport == $p)))) | length' <<<"$keys")" = 2 ]; then
		ck_result sockhash pass "both ends of 127.0.0.1:$cport <-> 127.0.0.1:$port are in sock_ops_map"
	else
		ck_result sockhash fail "sock_ops_map should hold both ends of the connection 127.0.0.1:$cport <-> 127.0.0.1:$port (keys {127.0.0.1, 127.0.0.1, sport, dport, AF_INET} with {sport, dport} = {$cport, $port} and {$port, $cport}, ports in host byte order); it holds $n entries" \
			"entries found:${keys:+$'\n'}${keys:- none}"
	fi
	local entries=$n
	n=$(pcap_count "$CK_TMP/lo.pcap" "$PAYLOAD_FILTER")
	if ! grep -q 'bpflab message 3' "$CK_TMP/received"; then
		ck_result redirect fail "the data did not come back through the connection: is the sk_msg verdict SK_PASS?" "received: $(head -c 200 "$CK_TMP/received")"
	elif [ "$n" != 0 ]; then
		ck_result redirect fail "$n packets with payload went through lo: the sk_msg program did not redirect them ($([ "$entries" = 0 ] && echo "sock_ops_map is empty: nothing to redirect to" || echo "is its key the mirror of the sockops key?"))"
	else
		ck_result redirect pass "the data arrived and 0 packets with payload went through lo"
	fi
}

# A loopback TCP connection inside CG, held open (its input is a fifo) until the map entries
# are read: writes CK_TMP/keys (one JSON key per entry), CK_TMP/cport, CK_TMP/received, CK_TMP/lo.pcap.
ck_sockmap_exchange() { # CG PORT MAP
	local cg=$1 port=$2 map=$3 srv cli i
	: >"$CK_TMP/keys"
	capture_start lo "$CK_TMP/lo.pcap" tcp port "$port" 2>/dev/null
	cg_exec "$cg" timeout 20 socat -T 10 "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr" SYSTEM:cat &
	srv=$!
	wait_listen "$port" || true
	mkfifo "$CK_TMP/in"
	cg_exec "$cg" timeout 20 socat -t 1 - "TCP4:127.0.0.1:$port" <"$CK_TMP/in" >"$CK_TMP/received" &
	cli=$!
	exec {fd}>"$CK_TMP/in"
	for ((i = 1; i <= 3; i++)); do echo "bpflab message $i" >&"$fd"; done
	for ((i = 0; i < 50; i++)); do
		! grep -q 'bpflab message 3' "$CK_TMP/received" || break
		sleep 0.1
	done
	ss -Htn state established "dport = :$port" 2>/dev/null | awk '{ n = split($3, a, ":"); print a[n]; exit }' >"$CK_TMP/cport"
	vtrace bpftool -j map dump pinned "$map"
	# struct sock_key from the raw key bytes (bpftool has no BTF for a SOCKHASH key here);
	# the ports are host byte order (little-endian on this machine's architectures).
	bpftool -j map dump pinned "$map" 2>/dev/null | jq -c '
		def byte: ltrimstr("0x") | ascii_downcase | explode
			| reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
		def le32($i): .[$i] + 256 * (.[$i + 1] + 256 * (.[$i + 2] + 256 * .[$i + 3]));
		.[] | .key | map(byte) | select(length == 20)
		| {sip: (.[0:4] | map(tostring) | join(".")), dip: (.[4:8] | map(tostring) | join(".")),
		   sport: le32(8), dport: le32(12), family: le32(16)}' >"$CK_TMP/keys" || true
	exec {fd}>&-
	wait "$cli" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	capture_stop
}
