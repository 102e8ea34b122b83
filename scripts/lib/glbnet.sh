# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The GLB lab's network: every device lives in a namespace the lab makes (named from the
# prefix GLB_NS), none on the host. Source after common.sh; glb.sh sets the variables.
#
#   GLB_NS-client  eth0 198.18.40.2 ---- c0 198.18.40.1  GLB_NS-router  (ip_forward)
#                                        d0 198.18.41.1 ---- eth0 198.18.41.2  GLB_NS-dir
#                                        [XDP glb_peer]       [XDP glb_fwd]
#                                        bN 198.18.(41+N).1 ---- eth0 198.18.(41+N).2  GLB_NS-bN
#                                                                 lo: VIP/32, [tc glb_redirect]
#   route VIP/32 via 198.18.41.2 in the router; backends answer the client directly (DSR).
# Links between router, director and backends carry MTU 1600 (GLB runs jumbo frames there):
# a full 1500-byte client packet still fits after the 40 bytes of IPv4 + UDP + GUE.

GLB_CLIENT_IP=198.18.40.2
GLB_DIR_IP=198.18.41.2

glb_ns() { echo "$GLB_NS-$1"; }              # client router dir b1 b2 b3
glb_backend_ip() { echo "198.18.$((41 + $1)).2"; }
glb_backends() {                             # all backend addresses, one per word
	local i
	for ((i = 1; i <= GLB_BACKENDS; i++)); do printf '%s ' "$(glb_backend_ip "$i")"; done
}
glb_nsexec() { # NAME CMD...: in the namespace; nsenter keeps /sys/fs/bpf (ip netns exec remounts /sys)
	local ns
	ns=$(glb_ns "$1")
	shift
	run nsenter --net="/run/netns/$ns" "$@"
}

# A veth from the router to namespace NAME: router end RDEV RIP/24, far end eth0 IP/24.
glb_link() { # NAME RDEV RIP IP MTU
	local r ns
	r=$(glb_ns router) ns=$(glb_ns "$1")
	run ip -n "$r" link add "$2" mtu "$5" type veth peer name eth0 netns "$ns" mtu "$5"
	run ip -n "$r" addr add "$3/24" dev "$2"
	run ip -n "$ns" addr add "$4/24" dev eth0
	run ip -n "$r" link set "$2" up
	run ip -n "$ns" link set eth0 up
	run ip -n "$ns" link set lo up
	run ip -n "$ns" route add default via "$3"
}

glb_sysctl() { # NAME KEY=VALUE...
	local n=$1
	shift
	run ip netns exec "$(glb_ns "$n")" sysctl -q -w "$@"
}

# Namespaces are recorded before they exist, so a killed up is undone by down.
glb_topology_up() {
	local n i
	GLB_NAMES="client router dir"
	for ((i = 1; i <= GLB_BACKENDS; i++)); do GLB_NAMES+=" b$i"; done
	state_set GLB_NAMES "$GLB_NAMES"
	for n in $GLB_NAMES; do
		! netns_exists "$(glb_ns "$n")" || die "network namespace $(glb_ns "$n") already exists" \
			"is another glb lab up? (GLB_NS=$GLB_NS) otherwise: ip netns del $(glb_ns "$n")"
	done
	for n in $GLB_NAMES; do run ip netns add "$(glb_ns "$n")"; done
	run ip -n "$(glb_ns router)" link set lo up
	glb_sysctl router net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	glb_link client c0 198.18.40.1 "$GLB_CLIENT_IP" 1500
	# The client's stack computes full TCP checksums: an XDP_TX'd frame loses the skb's
	# "checksum to be filled in later" (CHECKSUM_PARTIAL) state, and backends would drop it.
	glb_nsexec client ethtool -K eth0 tx off >/dev/null
	glb_link dir d0 198.18.41.1 "$GLB_DIR_IP" 1600
	run ip -n "$(glb_ns router)" route add "$GLB_VIP/32" via "$GLB_DIR_IP"
	for ((i = 1; i <= GLB_BACKENDS; i++)); do
		glb_link "b$i" "b$i" "198.18.$((41 + i)).1" "$(glb_backend_ip "$i")" 1600
		# The VIP is local (direct server return); packets to it come in on eth0.
		run ip -n "$(glb_ns "b$i")" addr add "$GLB_VIP/32" dev lo
		glb_sysctl "b$i" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
	done
}

glb_topology_down() {
	local n
	for n in ${GLB_NAMES:-}; do netns_down "$(glb_ns "$n")" ""; done
}

# glb_redirect on every backend: one load (and counters) per backend, tc ingress on eth0.
glb_backends_up() {
	local i dir
	for ((i = 1; i <= GLB_BACKENDS; i++)); do
		dir=$PIN/b$i
		run mkdir -p "$dir"
		run bpftool prog load "$OBJ_REDIRECT" "$dir/glb_redirect" type classifier pinmaps "$dir"
		glb_nsexec "b$i" tc qdisc add dev eth0 clsact
		glb_nsexec "b$i" tc filter add dev eth0 ingress pref 1 bpf direct-action pinned "$dir/glb_redirect"
	done
}

# A TCP server on VIP:GLB_PORT in every backend that appends what it receives to
# RUNDIR/bN.lines (one socat per connection, bounded by timeout).
glb_servers_up() {
	local i
	run mkdir -p "$GLB_RUNDIR"
	for ((i = 1; i <= GLB_BACKENDS; i++)); do
		[ "$DRY_RUN" = 1 ] || : >"$GLB_RUNDIR/b$i.lines"
		trace ip netns exec "$(glb_ns "b$i")" socat -u "TCP4-LISTEN:$GLB_PORT,bind=$GLB_VIP,reuseaddr,fork" \
			"OPEN:$GLB_RUNDIR/b$i.lines,append"
		[ "$DRY_RUN" = 1 ] && continue
		lab_bg ip netns exec "$(glb_ns "b$i")" timeout 3600 socat -u \
			"TCP4-LISTEN:$GLB_PORT,bind=$GLB_VIP,reuseaddr,fork" "OPEN:$GLB_RUNDIR/b$i.lines,append" \
			</dev/null >/dev/null 2>&1
	done
	[ "$DRY_RUN" = 1 ] && return 0
	for ((i = 1; i <= GLB_BACKENDS; i++)); do
		for _ in $(seq 50); do
			ip netns exec "$(glb_ns "b$i")" ss -Htln "sport = :$GLB_PORT" | grep -q . && break
			sleep 0.1
		done
	done
}

# Per-backend second-chance counters as JSON: {"b1": {"syn": N, ...}, ...}
GLB_REDIR_STATS=(not_gue bad syn local forward last error)
glb_redirect_stats() {
	local i out="{}" s
	for ((i = 1; i <= GLB_BACKENDS; i++)); do
		[ -e "$PIN/b$i/glb_redirect_stats" ] || continue
		s=$(bpftool -j map dump pinned "$PIN/b$i/glb_redirect_stats" | jq -c --arg names "${GLB_REDIR_STATS[*]}" \
			"$JQ_BYTES"' ($names | split(" ")) as $n | [.[] | {(.key | le32(0) | $n[.]):
			([.values[].value | if type == "array" then le32(0) + le32(4) * 4294967296 else . end] | add)}] | add')
		out=$(jq -c --arg b "b$i" --argjson s "$s" '. + {($b): $s}' <<<"$out")
	done
	echo "$out"
}
