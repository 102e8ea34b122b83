#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Peers side by side (make vmtest: they need freplace/fentry, which a stock kernel has):
# the chain lab against libxdp's dispatcher (xdp-loader) with the same member programs, and
# build/xdpcap against xdpdump on the same traffic. Skipped with the kernel's reason elsewhere.
# Timings are printed, never asserted; under emulation they compare only with each other.

load ../bats/helpers

HOST_IP=198.18.95.1
PEER_IP=198.18.95.2
XDP_DROP=1
XDP_PASS=2

ETH="02 00 00 00 00 01  02 00 00 00 00 02  08 00"
# IPv4 198.18.95.2 -> 198.18.95.1, UDP 1234 -> 9 or 10, TCP 1234 -> 80, ICMP echo reply
# (read by name, ${!f}, in setup_file)
export UDP9 UDP10 TCP80 REPLY
UDP9="$ETH 45 00 00 1c 00 00 40 00 40 11 00 00 c6 12 5f 02 c6 12 5f 01 04 d2 00 09 00 08 00 00"
UDP10="$ETH 45 00 00 1c 00 00 40 00 40 11 00 00 c6 12 5f 02 c6 12 5f 01 04 d2 00 0a 00 08 00 00"
TCP80="$ETH 45 00 00 28 00 00 40 00 40 06 00 00 c6 12 5f 02 c6 12 5f 01 04 d2 00 50 \
00 00 00 00 00 00 00 00 50 02 20 00 00 00 00 00"
REPLY="$ETH 45 00 00 1c 00 00 40 00 40 01 00 00 c6 12 5f 02 c6 12 5f 01 00 00 00 00 00 01 00 01"
REPEAT=20000
RUNS=5

setup_file() {
	bl_setup_names
	export CHAIN="$SCRIPTS/chain.sh" P="$BPFLAB_PIN/chain"
	export CHAIN_NS="$BL_NS" CHAIN_HOSTIF="$BL_HOST" CHAIN_PEERIF="$BL_PEER"
	export CHAIN_HOSTIP=$HOST_IP CHAIN_PEERIP=$PEER_IP
	bl_topology_up "$HOST_IP" "$PEER_IP"
	# A second veth pair, both ends here, for libxdp's dispatcher while the chain holds
	# BL_HOST. Not in a netns: `ip netns exec` remounts /sys, hiding the bpffs libxdp pins to.
	export LX_A="bla$BL_ID" LX_B="blb$BL_ID"
	ip link add "$LX_A" type veth peer name "$LX_B"
	ip link set "$LX_A" up
	ip link set "$LX_B" up
	for f in UDP9 UDP10 TCP80 REPLY; do bl_frame "$BL_TMP/$f" "${!f}"; done
}

# After each test, pass or fail: the next one starts with both devices free.
teardown() {
	"$CHAIN" down >/dev/null 2>&1 || true
	xdp-loader unload --all "$BL_HOST" >/dev/null 2>&1 || true
	xdp-loader unload --all "$LX_A" >/dev/null 2>&1 || true
	bpftool net detach xdpdrv dev "$BL_HOST" 2>/dev/null || true
}

teardown_file() {
	teardown
	ip link del "$LX_A" 2>/dev/null || true
	bl_topology_down
	rm -rf "$BPFLAB_PIN" "$BPFLAB_RUN" "$BL_TMP"
}

# Skip (with the kernel's words) where libxdp/xdpdump cannot work.
need_peers() {
	if ! command -v xdp-loader >/dev/null || ! command -v xdpdump >/dev/null; then
		skip "xdp-loader/xdpdump not installed (Debian package xdp-tools: scripts/deps.sh vm)"
	fi
	local why
	why=$(
		bl_use_lib
		mkdir -p "$BPFLAB_PIN"
		feat_fentry_load "$BPFLAB_PIN/probe" 2>/dev/null && rm -rf "$BPFLAB_PIN/probe" && exit 0
		echo "$FEAT_REASON"
	) || true
	[ -z "$why" ] || skip "libxdp's dispatcher and xdpdump need freplace/fentry: $why"
}

# "retval duration_ns" of REPEAT runs of program ID|pinned PATH on FILE.
prog_run() { # id ID|pinned PATH FILE [REPEAT]
	bpftool -j prog run "$1" "$2" data_in "$3" repeat "${4:-1}" | jq -r '"\(.retval) \(.duration)"'
}

# The id of the map NAME used by program ID.
map_of() { # PROG_ID NAME
	local m
	for m in $(bpftool -j prog show id "$1" | jq -r '.map_ids[]?'); do
		[ "$(bpftool -j map show id "$m" | jq -r .name)" != "$2" ] || {
			echo "$m"
			return 0
		}
	done
	return 1
}

# Program ids libxdp attached through its dispatcher, in run order ("NAME ID" lines).
libxdp_members() { # DEV
	xdp-loader status "$1" | awk '$1 == "=>" { print $3, $4 }'
}
dispatcher_id() { # DEV
	ip -d link show "$1" | sed -n 's/.*prog\/xdp[a-z]* id \([0-9]*\).*/\1/p' | head -n1
}

# One measurement for make bench (scripts/bench/b-peers.sh reads build/vm/peers.csv).
peer_rec() { # METRIC CASE PARAM VARIANT ROLE RUN VALUE UNIT
	local IFS=,
	echo "$*" >>"${VMTEST_OUT:-$BL_TMP}/peers.csv"
}

verdicts() { # id ID|pinned PATH -> the retval of each frame, one line
	local f out=""
	for f in UDP9 UDP10 TCP80 REPLY; do out+="$f=$(prog_run "$1" "$2" "$BL_TMP/$f" | cut -d' ' -f1) "; done
	echo "${out% }"
}

@test "chain lab vs libxdp dispatcher: same members, same verdicts, same live counts; cost per member" {
	need_peers
	local port_rule=(key 17 0 0 9 value "$XDP_DROP" 0 0 0) ids n t

	# --- the chain lab: port filter (drops UDP 9) then the counter
	"$CHAIN" up --dev "$BL_HOST" >/dev/null 2>&1
	"$CHAIN" add 0 "$BUILD/xdp_portfilter.bpf.o" >/dev/null 2>&1
	"$CHAIN" add 1 "$BUILD/xdp_count.bpf.o" >/dev/null 2>&1
	bpftool map update pinned "$P/slots/00/port_rules" "${port_rule[@]}"
	local v_chain
	v_chain=$(verdicts pinned "$P/xdp_root")
	ip netns exec "$BL_NS" "$BUILD/udpburst" -c 20 -r 1000 -p 9 "$HOST_IP" >/dev/null
	ip netns exec "$BL_NS" "$BUILD/udpburst" -c 20 -r 1000 -p 10 "$HOST_IP" >/dev/null
	local udp_chain
	udp_chain=$(bpftool -j map lookup pinned "$P/slots/01/proto_count" key 17 0 0 0 | jq '.formatted.value // .value')
	"$CHAIN" down >/dev/null 2>&1

	# --- libxdp: the same two objects, same order (run priority), loaded by xdp-loader
	xdp-loader load -m native -P 10 "$BL_HOST" "$BUILD/xdp_portfilter.bpf.o"
	xdp-loader load -m native -P 20 "$BL_HOST" "$BUILD/xdp_count.bpf.o"
	xdp-loader status "$BL_HOST"
	ids=$(libxdp_members "$BL_HOST")
	[ "$(awk '{ print $1 }' <<<"$ids" | paste -sd' ')" = "xdp_portfilter xdp_count" ]
	bpftool map update id "$(map_of "$(awk 'NR == 1 { print $2 }' <<<"$ids")" port_rules)" "${port_rule[@]}"
	local v_libxdp
	v_libxdp=$(verdicts id "$(dispatcher_id "$BL_HOST")")
	ip netns exec "$BL_NS" "$BUILD/udpburst" -c 20 -r 1000 -p 9 "$HOST_IP" >/dev/null
	ip netns exec "$BL_NS" "$BUILD/udpburst" -c 20 -r 1000 -p 10 "$HOST_IP" >/dev/null
	local udp_libxdp
	udp_libxdp=$(bpftool -j map lookup id "$(map_of "$(awk 'NR == 2 { print $2 }' <<<"$ids")" proto_count)" \
		key 17 0 0 0 | jq '.formatted.value // .value')
	xdp-loader unload --all "$BL_HOST"

	echo "verdicts chain:  $v_chain"
	echo "verdicts libxdp: $v_libxdp"
	[ "$v_chain" = "UDP9=$XDP_DROP UDP10=$XDP_PASS TCP80=$XDP_PASS REPLY=$XDP_PASS" ]
	[ "$v_libxdp" = "$v_chain" ]
	# The counter after the filter: 1 UDP from the verdict runs (UDP10) + the 20 live port-10
	# datagrams; the 20 to port 9 were dropped before it, with either peer.
	echo "UDP counted after the filter: chain $udp_chain, libxdp $udp_libxdp"
	[ "$udp_chain" = 21 ]
	[ "$udp_libxdp" = 21 ]

	# --- cost per member: 1 then 4 counters (PASS goes on) under each design, both set up at
	# once (the chain on BL_HOST, libxdp on the second pair's LX_A) and measured
	# alternately, RUNS times, so the two see the same machine load.
	local r disp objs sum
	local -A cost=()
	"$CHAIN" up --dev "$BL_HOST" >/dev/null 2>&1
	for n in 1 4; do
		for ((i = 0; i < n; i++)); do
			[ -e "$P/slots/0$i" ] || "$CHAIN" add "$i" "$BUILD/xdp_count.bpf.o" >/dev/null 2>&1
		done
		objs=()
		for ((i = $(libxdp_members "$LX_A" | wc -l); i < n; i++)); do objs+=("$BUILD/xdp_count.bpf.o"); done
		# Adding programs builds a new dispatcher: its id is read again.
		xdp-loader load -m native "$LX_A" "${objs[@]}"
		[ "$(libxdp_members "$LX_A" | wc -l)" = "$n" ]
		disp=$(dispatcher_id "$LX_A")
		for ((r = 1; r <= RUNS; r++)); do
			t=$(prog_run pinned "$P/xdp_root" "$BL_TMP/UDP10" $REPEAT)
			[ "${t% *}" = $XDP_PASS ]
			peer_rec ns_per_run members "$n" chain base "$r" "${t#* }" ns
			cost[chain$n]=$((${cost[chain$n]:-0} + ${t#* }))
			t=$(prog_run id "$disp" "$BL_TMP/UDP10" $REPEAT)
			[ "${t% *}" = $XDP_PASS ]
			peer_rec ns_per_run members "$n" libxdp test "$r" "${t#* }" ns
			cost[libxdp$n]=$((${cost[libxdp$n]:-0} + ${t#* }))
		done
	done
	"$CHAIN" down >/dev/null 2>&1
	xdp-loader unload --all "$LX_A"
	{
		echo "# peers: BPF_PROG_TEST_RUN ns/run (mean of $RUNS alternated runs of $REPEAT), kernel $(uname -r)"
		for sum in chain libxdp; do
			echo "# $sum 1 member $((cost[${sum}1] / RUNS)), 4 members $((cost[${sum}4] / RUNS)), per member $(((cost[${sum}4] - cost[${sum}1]) / RUNS / 3))"
		done
	} | tee -a "${VMTEST_OUT:-$BL_TMP}/peers.txt" >&3
}

@test "xdpcap vs xdpdump: the same packets from the same traffic at the exit of xdp_drop_ping" {
	need_peers
	local x=$BPFLAB_PIN/xdp i
	mkdir -p "$x"
	bpftool prog load "$BUILD/xdp_drop_ping.bpf.o" "$x/xdp_drop_ping" pinmaps "$x"
	bpftool net attach xdpdrv pinned "$x/xdp_drop_ping" dev "$BL_HOST"
	timeout 300 "$BUILD/xdpcap" "$x/xdpcap_hook" "$BL_TMP/xdpcap.pcap" 2>"$BL_TMP/xdpcap.err" &
	local cap=$!
	timeout 300 xdpdump -i "$BL_HOST" --rx-capture exit -w "$BL_TMP/xdpdump.pcap" >"$BL_TMP/xdpdump.out" 2>&1 &
	local dump=$!
	bl_wait_for 30 sh -c "[ \"\$(bpftool -j map dump pinned $x/xdpcap_hook | jq length)\" -ge 4 ]"
	bl_wait_for 30 grep -q 'listening on' "$BL_TMP/xdpdump.out" || { cat "$BL_TMP/xdpdump.out"; false; }
	# Echo replies to the host (dropped by xdp_drop_ping) and echo requests from the peer (passed).
	timeout 20 ping -n -c 5 -i 0.2 -W 1 "$PEER_IP" >/dev/null 2>&1 || true
	timeout 20 ip netns exec "$BL_NS" ping -n -c 5 -i 0.2 -W 1 "$HOST_IP" >/dev/null
	# xdpcap writes each packet as it reads it: wait until it has the 5 requests. xdpdump
	# buffers its file until it exits; both see every packet in the same program run.
	bl_wait_for 30 sh -c "[ \$(tcpdump -nr $BL_TMP/xdpcap.pcap 'icmp[icmptype] = icmp-echo' 2>/dev/null | wc -l) -ge 5 ]" || true
	kill -INT "$cap" "$dump" 2>/dev/null || true
	wait "$cap" || true
	wait "$dump" || true
	sed 's/^/# xdpdump: /' "$BL_TMP/xdpdump.out" >&3
	bpftool net detach xdpdrv dev "$BL_HOST"
	for f in xdpcap xdpdump; do
		tcpdump -nr "$BL_TMP/$f.pcap" -xx 2>/dev/null |
			awk '/^[0-9]/ { if (p != "") print p; p = "" } /^\t0x/ { for (i = 2; i <= NF; i++) p = p $i } END { if (p != "") print p }' |
			sort >"$BL_TMP/$f.hex"
		echo "# $f: $(wc -l <"$BL_TMP/$f.hex") packets, $(tcpdump -nr "$BL_TMP/$f.pcap" 'icmp[icmptype] = icmp-echoreply' 2>/dev/null | wc -l) echo replies" >&3
	done
	diff "$BL_TMP/xdpcap.hex" "$BL_TMP/xdpdump.hex"
	[ "$(wc -l <"$BL_TMP/xdpcap.hex")" -ge 10 ]
	peer_rec packets ping - xdpcap base 1 "$(wc -l <"$BL_TMP/xdpcap.hex")" packets
	peer_rec packets ping - xdpdump test 1 "$(wc -l <"$BL_TMP/xdpdump.hex")" packets
	echo "# peers: xdpcap and xdpdump captured the same $(wc -l <"$BL_TMP/xdpcap.hex") packets" |
		tee -a "${VMTEST_OUT:-$BL_TMP}/peers.txt" >&3
}
