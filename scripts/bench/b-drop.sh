# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 3: a bounded UDP flood (build/udpburst) from netns A to netns B over a veth, dropped
# on B's veth by XDP (native), by tc clsact ingress (BPF), by nftables at the netdev ingress
# hook and at prerouting priority raw, or left to the stack (closed port). One variant at a
# time, attached and detached around each burst, variants alternated.

bench_drop() {
	local count=400000 runs=3
	[ "$SMOKE" = 0 ] || count=2000 runs=1
	check_built "$BUILD_DIR/udpburst"
	DROP_VARIANTS=(nft-raw xdp tc nft-ingress stack)
	if ! command -v nft >/dev/null; then
		skip_part "nft-raw, nft-ingress: 'nft' not found (Debian package: nftables; 'scripts/deps.sh bench' installs it)"
		DROP_VARIANTS=(xdp tc stack)
	fi
	check_prereq tc:iproute2 nsenter:util-linux
	veth_pair_up d 98
	DROP_NSB=/run/netns/$NB DROP_COUNT=$count
	load_all "$BUILD_DIR/bench_xdp.bpf.o" "$BPIN/drop"
	on_cleanup rm -rf "$BPIN/drop"
	# bpffs is not visible under `ip netns exec` (it mounts a fresh /sys): enter the netns only.
	run nsenter --net="$DROP_NSB" tc qdisc add dev "$VB" clsact
	note "\`ip netns exec $NA build/udpburst -c $count -r 0 -s 64 $IPB\` (UDP to port 9, as fast as it goes," \
		"at most 20 s) into netns $NB, where one variant drops it on the veth $VB: **xdp** = xdp_drop_udp9" \
		"native on the veth, **tc** = tc_drop_udp9 on clsact ingress (both bpf/bench_xdp.bpf.c, the same" \
		"parse_l4 as xdp_drop_ping, which drops only echo replies), **nft-ingress** = \`netdev\` table," \
		"ingress hook, **nft-raw** (baseline, the firewall) = \`inet\` table, prerouting, priority raw," \
		"**stack** = no rule: UDP finds no socket (UdpNoPorts). A veth delivers in the sender's context," \
		"so the sender's rate is the rate the receive path sustained. sender_cpu_ns_per_pkt: the" \
		"sender's user+system time per packet (UDP send, veth, and the receive softirq when it runs in" \
		"the sender's context); softirq_ns_per_pkt: softirq time of the whole machine (/proc/stat, tick" \
		"sampled: CONFIG_IRQ_TIME_ACCOUNTING is off here) per packet sent, which is where XDP, tc, nft" \
		"and the stack do the receiving; other load on the machine adds to it. reached_udp: UDP datagrams that reached the UDP layer per packet sent" \
		"(0 = dropped before it). $runs bursts per variant, alternated."
	trace nsenter --net="$DROP_NSB" bpftool net attach xdpdrv pinned "$BPIN/drop/xdp_drop_udp9" dev "$VB"
	trace nsenter --net="$DROP_NSB" tc filter add dev "$VB" ingress pref 1 bpf da object-pinned "$BPIN/drop/tc_drop_udp9"
	trace ip netns exec "$NB" nft -f RULES
	progress "drop: ${#DROP_VARIANTS[@]} variants x $runs bursts of $count packets"
	interleave "$runs" drop_one "${DROP_VARIANTS[@]}"
}

drop_attach() { # VARIANT on|off
	local nsb=(nsenter --net="$DROP_NSB")
	case $1-$2 in
	xdp-on) "${nsb[@]}" bpftool net attach xdpdrv pinned "$BPIN/drop/xdp_drop_udp9" dev "$VB" ;;
	xdp-off) "${nsb[@]}" bpftool net detach xdpdrv dev "$VB" ;;
	tc-on) "${nsb[@]}" tc filter add dev "$VB" ingress pref 1 bpf da object-pinned "$BPIN/drop/tc_drop_udp9" ;;
	tc-off) "${nsb[@]}" tc filter del dev "$VB" ingress pref 1 ;;
	nft-ingress-on) printf 'table netdev bench { chain in { type filter hook ingress device "%s" priority 0; udp dport 9 drop; }; }\n' "$VB" |
		ip netns exec "$NB" nft -f - ;;
	nft-raw-on) echo 'table inet bench { chain pre { type filter hook prerouting priority raw; udp dport 9 drop; }; }' |
		ip netns exec "$NB" nft -f - ;;
	nft-*-off) ip netns exec "$NB" nft flush ruleset ;;
	esac
}

# UDP datagrams that reached the UDP layer in netns B (InDatagrams + NoPorts).
drop_udp_in() {
	# shellcheck disable=SC2016 # awk's fields
	ip netns exec "$NB" awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $2 + $3; exit }' /proc/net/snmp
}

drop_one() { # RUN VARIANT
	local v=$2 role="test" out s0 s1 u0 u1 sent hz
	[ "$v" != nft-raw ] || role=base
	drop_attach "$v" on || die "drop: cannot attach $v"
	u0=$(drop_udp_in)
	s0=$(softirq_ticks)
	# The shell's /proc stat after the burst: cutime + cstime = the sender's CPU time.
	out=$(ip netns exec "$NA" sh -c '"$@"; cat /proc/$$/stat' _ "$BUILD_DIR/udpburst" -c "$DROP_COUNT" -r 0 -s 64 -t 20 "$IPB") || true
	s1=$(softirq_ticks)
	u1=$(drop_udp_in)
	drop_attach "$v" off || true
	sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' <<<"$out")
	[ "${sent:-0}" -gt 0 ] || {
		warn "drop: udpburst sent nothing ($v): $out"
		return 0
	}
	rec pps flood-64B - "$v" "$role" "$1" "$(sed -n 's/.* pps=\([0-9]*\).*/\1/p' <<<"$out")" packets/s
	hz=$(getconf CLK_TCK)
	rec sender_cpu_ns_per_pkt flood-64B - "$v" "$role" "$1" "$(tail -n1 <<<"$out" | awk -v n="$sent" -v hz="$hz" '{ printf "%.1f", ($16 + $17) * 1e9 / hz / n }')" ns
	rec softirq_ns_per_pkt flood-64B - "$v" "$role" "$1" "$(awk -v t=$((s1 - s0)) -v n="$sent" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e9 / hz / n }')" ns
	rec reached_udp flood-64B - "$v" - "$1" "$(awk -v u=$((u1 - u0)) -v n="$sent" 'BEGIN { printf "%.3f", u / n }')" per-packet
}
