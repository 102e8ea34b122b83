#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# GLB lab: GLB's map sizes, GUE encapsulation byte by byte, rendezvous-filled tables, one-update
# swaps under load, flow prediction against the program, second chance (glb_redirect) and the
# demo's surviving connection, bad input, nothing left behind.

load helpers

XDP_PASS=2
XDP_TX=3
TC_ACT_OK=0
TC_ACT_REDIRECT=7
VIP=198.19.1.1
B1=198.18.42.2 B2=198.18.43.2 B3=198.18.44.2
CLIENT=198.18.40.2 DIR=198.18.41.2
KEY=000102030405060708090a0b0c0d0e0f

setup_file() {
	bl_setup_names
	export GLB_NS="blg$BL_ID" GLB="$SCRIPTS/glb.sh" P="$BPFLAB_PIN/glb" GT="$BUILD/glbtable"
	"$GLB" up >"$BL_TMP/up.log" 2>&1
}

teardown_file() {
	"$GLB" down >/dev/null 2>&1 || true
	# On the host path the pin and run dirs are this file's own (in a sandbox: private anyway).
	[ -n "${BPFLAB_SANDBOX:-}" ] || rm -rf "$BPFLAB_PIN" "$BPFLAB_RUN"
	rm -rf "$BL_TMP"
}

# Run glb_fwd once on FILE; sets RET, writes the output frame to $BL_TMP/out.
run_fwd() { # FILE
	RET=$(bpftool -j prog run pinned "$P/glb_fwd" data_in "$1" data_out "$BL_TMP/out" | jq -r .retval)
}

# Bytes of FILE from OFFSET (LEN bytes, default all) as one line of lowercase hex.
hexof() { # FILE OFFSET [LEN]
	od -An -tx1 -v -j "$2" ${3:+-N "$3"} "$1" | tr -d ' \n'
}

# RFC 1071 checksum (4 hex digits) of the hex string given: computed here, not by the lab.
csum_hex() { # HEX
	local h=$1 sum=0 i
	for ((i = 0; i < ${#h}; i += 4)); do sum=$((sum + 16#${h:i:4})); done
	sum=$(((sum & 0xffff) + (sum >> 16)))
	sum=$(((sum & 0xffff) + (sum >> 16)))
	printf '%04x' $((~sum & 0xffff))
}

# shellcheck disable=SC2086 # the four numbers are split on purpose
ip_hex() { printf '%02x' ${1//./ }; }

# The GUE packet GLB builds, computed from its definition: outer IPv4 (DF, TTL 64, proto UDP,
# src = director, dst = primary), UDP (SPORT -> 19523, checksum 0), GUE (hlen = 1 + hops,
# proto_ctype), private data (type 0, next_hop 0, hop_count), hops; then INNER untouched.
expect_gue() { # INNER_HEX INNER_PROTO TOS_HEX SPORT PRIMARY [SECONDARY]
	local inner=$1 hops=0 gue ip udp len
	[ -z "${6:-}" ] || hops=1
	gue=$(printf '%02x%02x0000' $((1 + hops)) "$2")$(printf '0000%02x%02x' 0 "$hops")
	[ -z "${6:-}" ] || gue+=$(ip_hex "$6")
	len=$((${#inner} / 2 + 8 + ${#gue} / 2))
	udp=$(printf '%04x4c43%04x0000' "$4" "$len")
	ip=$(printf '45%s%04x00004000%02x11' "$3" $((len + 20)) 64)
	ip+="0000$(ip_hex "$DIR")$(ip_hex "$5")"
	ip="${ip:0:20}$(csum_hex "$ip")${ip:24}"
	echo "$ip$udp$gue$inner"
}

bound() { # PORT PROTO TABLE [BACKEND LINE...]: bind VIP and load a hand-written table
	local port=$1 proto=$2 t=$3
	shift 3
	"$GLB" bind "$VIP" "$port" "$proto" "$t" 2>/dev/null
	printf '%s\n' "$@" >"$BL_TMP/rows"
	"$GLB" table load "$t" "$BL_TMP/rows" >/dev/null 2>&1
}

# ---- the hash and the rendezvous table (user space, same code as the BPF side)

@test "siphash: the shared C SipHash-2-4 gives the reference vectors (empty, 8 and 15 bytes)" {
	[ "$("$GT" siphash "$KEY" "")" = 726fdb47dd0e0e31 ]
	[ "$("$GT" siphash "$KEY" 0001020304050607)" = 93f5f5799a932462 ]
	[ "$("$GT" siphash "$KEY" 000102030405060708090a0b0c0d0e)" = a129ca6149be45e5 ]
}

@test "rendezvous: removing 1 of 3 backends changes only rows where it was primary or secondary (~1/3 each)" {
	"$GT" rows --key "$KEY" "$B1" "$B2" "$B3" >"$BL_TMP/r3"
	"$GT" rows --key "$KEY" "$B1" "$B2" >"$BL_TMP/r2"
	[ "$(wc -l <"$BL_TMP/r3")" = 65536 ]
	# Rows whose primary and secondary both stay alive are identical.
	[ "$(paste "$BL_TMP/r3" "$BL_TMP/r2" | awk -v x="$B3" '$2 != x && $3 != x && ($2 != $5 || $3 != $6)' | wc -l)" = 0 ]
	# Rows where B3 was primary get the old secondary as primary.
	[ "$(paste "$BL_TMP/r3" "$BL_TMP/r2" | awk -v x="$B3" '$2 == x && $5 != $3' | wc -l)" = 0 ]
	local moved
	moved=$(paste "$BL_TMP/r3" "$BL_TMP/r2" | awk '$2 != $5' | wc -l)
	echo "primary moved in $moved of 65536 rows"
	[ "$moved" -gt 19661 ] && [ "$moved" -lt 24030 ] # 30 % .. 36.7 %
}

@test "rendezvous: draining moves the backend to secondary everywhere; filling is active; rows spread evenly" {
	"$GT" rows --key "$KEY" "$B1" "$B2" "$B3" >"$BL_TMP/act"
	"$GT" rows --key "$KEY" "$B1" "$B2:draining" "$B3" >"$BL_TMP/drn"
	"$GT" rows --key "$KEY" "$B1" "$B2:filling" "$B3" >"$BL_TMP/fil"
	[ "$(awk -v x="$B2" '$2 == x' "$BL_TMP/drn" | wc -l)" = 0 ]
	# Where it was primary, primary and secondary swap; every other row is unchanged.
	[ "$(paste "$BL_TMP/act" "$BL_TMP/drn" | awk -v x="$B2" '$2 == x && !($5 == $3 && $6 == x)' | wc -l)" = 0 ]
	[ "$(paste "$BL_TMP/act" "$BL_TMP/drn" | awk -v x="$B2" '$2 != x && ($2 != $5 || $3 != $6)' | wc -l)" = 0 ]
	cmp "$BL_TMP/act" "$BL_TMP/fil"
	# Each backend is primary in about a third of the rows.
	awk '{ n[$2]++ } END { for (b in n) if (n[b] < 20000 || n[b] > 23700) exit 1 }' "$BL_TMP/act"
}

# ---- maps as GLB's

@test "maps: 24-byte bind key, 4096 binds and tables, inner 65536 x 8 B; the outer value is the inner map id" {
	"$GLB" table fill 1 "$B1" "$B2" >/dev/null 2>&1
	[ "$(bpftool -j map show pinned "$P/glb_binds" | jq -r '"\(.type) \(.bytes_key) \(.bytes_value) \(.max_entries)"')" = "hash 24 4 4096" ]
	[ "$(bpftool -j map show pinned "$P/glb_tables" | jq -r '"\(.type) \(.bytes_key) \(.bytes_value) \(.max_entries)"')" = "array_of_maps 4 4 4096" ]
	local v id
	v=$(bpftool -j map dump pinned "$P/glb_tables" | jq -r '.[] | select(.key == ["0x01","0x00","0x00","0x00"]) | .value | reverse | map(ltrimstr("0x")) | join("")')
	id=$((16#$v))
	[ "$(bpftool -j map show id "$id" | jq -r '"\(.type) \(.bytes_key) \(.bytes_value) \(.max_entries) \(.name)"')" = "array 4 8 65536 glb_t1" ]
	[ "$("$GLB" table show 1 --json 2>/dev/null | jq .map_id)" = "$id" ]
}

@test "memory: one table costs 512 KiB to 1 MiB of memlock; 5 tables fill and show, then are freed" {
	local t m
	for t in 10 11 12 13 14; do "$GLB" table fill "$t" "$B1" "$B2" "$B3" >/dev/null 2>&1; done
	for t in 10 11 12 13 14; do
		m=$(bpftool -j map show id "$("$GLB" table show "$t" --json 2>/dev/null | jq .map_id)" | jq .bytes_memlock)
		echo "table $t: memlock $m"
		# 65536 rows of 8 bytes: 512 KiB and a page or so here (6.18); Debian's 6.1 reports
		# 1 MiB for the same map (it accounts memlock differently).
		[ "$m" -ge 524288 ] && [ "$m" -le 1064960 ]
	done
	for t in 10 11 12 13 14; do "$GLB" table del "$t" 2>/dev/null; done
}

# ---- GUE encapsulation, byte by byte

@test "encap: IPv4 TCP -> GUE to the primary with the secondary as hop, bytes as computed here, XDP_TX" {
	bound 80 tcp 2 "$B1 $B2"
	"$GT" frame "$CLIENT" 40000 "$VIP" 80 tcp "$BL_TMP/in"
	run_fwd "$BL_TMP/in"
	[ "$RET" = $XDP_TX ]
	local sport
	sport=$("$GT" --json -d "$P" flow "$CLIENT" 40000 "$VIP" 80 tcp | jq .sport)
	[ "$sport" -ge 32768 ]
	# Ethernet back to the router (MACs swapped), EtherType IPv4.
	[ "$(hexof "$BL_TMP/out" 0 14)" = "020000000002""020000000001""0800" ]
	[ "$(hexof "$BL_TMP/out" 14)" = "$(expect_gue "$(hexof "$BL_TMP/in" 14)" 4 00 "$sport" "$B1" "$B2")" ]
}

@test "encap: a row without secondary has no hop (hlen 1, hop_count 0); UDP and TOS carried" {
	bound 53 udp 3 "$B3"
	"$GT" frame "$CLIENT" 40000 "$VIP" 53 udp "$BL_TMP/in"
	# TOS 0x10 (IPv4 checksum adjusted: bytes 24-25 of the frame).
	printf '\x45\x10' | dd of="$BL_TMP/in" bs=1 seek=14 conv=notrunc 2>/dev/null
	local c
	c=$(csum_hex "$(hexof "$BL_TMP/in" 14 10)0000$(hexof "$BL_TMP/in" 26 8)")
	printf '%b' "\\x${c:0:2}\\x${c:2:2}" | dd of="$BL_TMP/in" bs=1 seek=24 conv=notrunc 2>/dev/null
	run_fwd "$BL_TMP/in"
	[ "$RET" = $XDP_TX ]
	[ "$(hexof "$BL_TMP/out" 14)" = "$(expect_gue "$(hexof "$BL_TMP/in" 14)" 4 10 \
		"$("$GT" --json -d "$P" flow "$CLIENT" 40000 "$VIP" 53 udp | jq .sport)" "$B3")" ]
}

@test "encap: an IPv6 VIP bind -> GUE proto 41 in outer IPv4, the IPv6 packet intact" {
	"$GLB" bind 2001:db8::1 443 tcp 2 2>/dev/null
	"$GLB" table load 2 <(echo "$B1 $B2") >/dev/null 2>&1
	"$GT" frame 2001:db8::99 40000 2001:db8::1 443 tcp "$BL_TMP/in"
	run_fwd "$BL_TMP/in"
	[ "$RET" = $XDP_TX ]
	[ "$(hexof "$BL_TMP/out" 14)" = "$(expect_gue "$(hexof "$BL_TMP/in" 14)" 41 00 \
		"$("$GT" --json -d "$P" flow 2001:db8::99 40000 2001:db8::1 443 tcp | jq .sport)" "$B1" "$B2")" ]
	[[ "$("$GLB" status 2>/dev/null)" == *":443/tcp -> table 2"* ]]
}

@test "pass: unbound port, ICMP, ARP, VLAN tag, fragments, IHL < 5, bad lengths -> XDP_PASS, frame untouched" {
	bound 80 tcp 2 "$B1 $B2"
	"$GT" frame "$CLIENT" 40000 "$VIP" 80 tcp "$BL_TMP/tcp"
	local t f
	t=$(hexof "$BL_TMP/tcp" 0)
	local -a frames=(
		"${t/00500000/00510000}"                            # other port
		"${t:0:28}45000028000040004001${t:48:16}0800f7ff00000000" # ICMP
		"ffffffffffff020000000002080600010800060400010200000000020000000000000000000000000000"
		"${t:0:24}8100000a${t:24}"                          # VLAN tag
		"${t:0:40}2000${t:44}"                              # first fragment (MF)
		"${t:0:40}0010${t:44}"                              # later fragment
		"${t:0:28}44${t:30}"                                # IHL 4
		"${t:0:32}0040${t:36}"                              # total length past the frame
		"${t:0:60}"                                         # TCP header cut short
	)
	for f in "${frames[@]}"; do
		bl_frame "$BL_TMP/in" "$f"
		run_fwd "$BL_TMP/in"
		[ "$RET" = $XDP_PASS ] || { echo "frame $f: retval $RET"; return 1; }
		[ "$(hexof "$BL_TMP/out" 0)" = "$(hexof "$BL_TMP/in" 0)" ]
	done
	run_fwd "$BL_TMP/tcp"
	[ "$RET" = $XDP_TX ]
}

# ---- flow prediction

@test "flow: the row, backends and source port glbtable predicts are what glb_fwd does, for 12 flows" {
	"$GLB" bind "$VIP" 8080 tcp 4 2>/dev/null
	"$GLB" table fill 4 "$B1" "$B2" "$B3" >/dev/null 2>&1
	local i f rows=""
	for i in $(seq 1 12); do
		f=$("$GLB" flow "198.18.$((40 + i % 3)).$((i + 2))" $((40000 + i)) "$VIP" 8080 tcp --json 2>/dev/null)
		[ "$(jq -r .agrees <<<"$f")" = true ] || { echo "$f"; return 1; }
		rows+="$(jq .row <<<"$f") "
	done
	# Source-address hashing: another port of the same client keeps the row.
	[ "$("$GLB" flow "$CLIENT" 1 "$VIP" 8080 tcp --json 2>/dev/null | jq .row)" = \
		"$("$GLB" flow "$CLIENT" 65535 "$VIP" 8080 tcp --json 2>/dev/null | jq .row)" ]
	[ "$(echo "$rows" | tr ' ' '\n' | sort -u | grep -c .)" -ge 10 ]
}

@test "flow: with the 5-tuple hash (glb_config flags 1) ports change the row, and prediction still agrees" {
	# shellcheck disable=SC2086 # byte list
	bpftool map update pinned "$P/glb_config" key 0 0 0 0 value ${DIR//./ } 1 0 0 0
	"$GLB" bind "$VIP" 8081 tcp 4 2>/dev/null
	"$GLB" table fill 4 "$B1" "$B2" "$B3" >/dev/null 2>&1
	local i rows=""
	for i in 1 2 3 4 5 6; do
		f=$("$GLB" flow "$CLIENT" $((40000 + i)) "$VIP" 8081 tcp --json 2>/dev/null)
		[ "$(jq -r '"\(.agrees) \(.mode)"' <<<"$f")" = "true 5tuple" ]
		rows+="$(jq .row <<<"$f") "
	done
	# shellcheck disable=SC2086 # byte list
	bpftool map update pinned "$P/glb_config" key 0 0 0 0 value ${DIR//./ } 0 0 0 0
	[ "$(echo "$rows" | tr ' ' '\n' | sort -u | grep -c .)" -ge 5 ]
}

# ---- the swap

@test "swap: fill builds a new inner map and swaps it with one update; the old one is freed; the key stays" {
	"$GLB" table fill 5 "$B1" "$B2" >/dev/null 2>&1
	local a b
	a=$("$GLB" table show 5 --json 2>/dev/null)
	run "$GLB" table fill 5 "$B1" "$B2" "$B3"
	[ "$status" -eq 0 ]
	[[ "$output" == *"map id $(jq .map_id <<<"$a") -> "* ]]
	b=$("$GLB" table show 5 --json 2>/dev/null)
	[ "$(jq .map_id <<<"$b")" != "$(jq .map_id <<<"$a")" ]
	[ "$(jq .key <<<"$b")" = "$(jq .key <<<"$a")" ]
	bl_wait_for 5 sh -c "! bpftool map show id $(jq .map_id <<<"$a") >/dev/null 2>&1"
	[ "$(jq '.backends | length' <<<"$b")" = 3 ]
}

@test "swap: packets run during 6 fills all see a whole table (old or new primary), never a pass" {
	"$GLB" bind "$VIP" 9000 udp 6 2>/dev/null
	"$GLB" table load 6 <(echo "$B1") >/dev/null 2>&1
	"$GT" frame "$CLIENT" 40000 "$VIP" 9000 udp "$BL_TMP/in"
	local swapper i n=0 before
	before=$("$GLB" status --json 2>/dev/null | jq '.stats.no_table + .stats.empty_row')
	(for i in 1 2 3; do
		"$GLB" table load 6 <(echo "$B2") >/dev/null 2>&1
		"$GLB" table load 6 <(echo "$B1") >/dev/null 2>&1
	done) &
	swapper=$!
	for ((i = 0; i < 300; i++)); do
		bpftool -j prog run pinned "$P/glb_fwd" data_in "$BL_TMP/in" data_out "$BL_TMP/o$i" repeat 1 | jq -r .retval >"$BL_TMP/r$i"
		n=$((i + 1))
		kill -0 "$swapper" 2>/dev/null || break
	done
	wait "$swapper"
	echo "$n runs"
	for ((i = 0; i < n; i++)); do
		[ "$(cat "$BL_TMP/r$i")" = $XDP_TX ]
		[[ "$(hexof "$BL_TMP/o$i" 30 4)" =~ ^($(ip_hex "$B1")|$(ip_hex "$B2"))$ ]]
	done
	[ "$("$GLB" status --json 2>/dev/null | jq '.stats.no_table + .stats.empty_row')" = "$before" ]
}

# ---- second chance (glb_redirect) on crafted GUE packets

# A GUE packet as glb_fwd sends it to B1 (hop B2), the inner TCP with FLAGS, from the director.
gue_frame() { # FILE TCP_FLAGS_HEX NEXT_HOP
	local inner tcp gue outer
	tcp="9c4000500000000100000000""50${2}ffff00000000"
	inner="450000280000400040060000$(ip_hex "$CLIENT")$(ip_hex "$VIP")"
	inner="${inner:0:20}$(csum_hex "$inner")${inner:24}$tcp"
	gue="020400000000$(printf '%02x' "$3")01$(ip_hex "$B2")"
	outer="450000500000400040110000$(ip_hex "$DIR")$(ip_hex "$B1")"
	outer="${outer:0:20}$(csum_hex "$outer")${outer:24}"
	bl_frame "$1" "020000000001020000000002""0800" "$outer" "c0004c43003c0000" "$gue" "$inner"
	echo "$inner" >"$1.inner"
}

redir() { # FILE: run b1's glb_redirect; sets RET
	RET=$(bpftool -j prog run pinned "$P/b1/glb_redirect" data_in "$1" data_out "$BL_TMP/out" | jq -r .retval)
}

@test "second chance: unknown non-SYN with a hop left -> sent to the next hop (dst, next_hop, checksum fixed)" {
	gue_frame "$BL_TMP/g" 10 0 # ACK
	redir "$BL_TMP/g"
	[ "$RET" = $TC_ACT_REDIRECT ]
	[ "$(hexof "$BL_TMP/out" 30 4)" = "$(ip_hex "$B2")" ]
	[ "$(hexof "$BL_TMP/out" 42 8)" = "0204000000000101" ]
	[ "$(csum_hex "$(hexof "$BL_TMP/out" 14 20)")" = 0000 ]
	# MACs swapped: back out to the router.
	[ "$(hexof "$BL_TMP/out" 0 12)" = "020000000002020000000001" ]
}

@test "second chance: a SYN, or the last hop, is decapsulated here: the inner packet follows Ethernet" {
	gue_frame "$BL_TMP/g" 02 0 # SYN
	redir "$BL_TMP/g"
	[ "$RET" = $TC_ACT_OK ]
	[ "$(hexof "$BL_TMP/out" 14)" = "$(cat "$BL_TMP/g.inner")" ]
	gue_frame "$BL_TMP/g" 10 1 # ACK, no hop left
	redir "$BL_TMP/g"
	[ "$RET" = $TC_ACT_OK ]
	[ "$(hexof "$BL_TMP/out" 14)" = "$(cat "$BL_TMP/g.inner")" ]
	# Not GUE: untouched.
	"$GT" frame "$CLIENT" 40000 "$VIP" 80 tcp "$BL_TMP/t"
	redir "$BL_TMP/t"
	[ "$RET" = $TC_ACT_OK ]
	[ "$(hexof "$BL_TMP/out" 0)" = "$(hexof "$BL_TMP/t" 0)" ]
}

# ---- the demo: live traffic through client, router, director, backends

@test "demo: connection 1 keeps its backend through the table change via second chance; connection 2 goes to the new primary" {
	run "$GLB" demo
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"OK: connection 1 kept b"* ]]
	local old new
	old=$(sed -n 's/^OK: connection 1 kept \(b[0-9]\) .*/\1/p' <<<"$output")
	new=$(sed -n 's/.*connection 2 went to \(b[0-9]\)$/\1/p' <<<"$output")
	[ "$old" != "$new" ]
	# Counters: the new primary forwarded connection 1's packets, the old one took them as its own.
	local st
	st=$("$GLB" status --json 2>/dev/null | jq -c .second_chance)
	[ "$(jq ".$new.forward" <<<"$st")" -ge 2 ]
	[ "$(jq ".$old.local" <<<"$st")" -ge 2 ]
	[ "$(jq ".$new.syn" <<<"$st")" -ge 1 ]
}

@test "FOU: Linux's own GUE receive path (ip fou ... gue + ipip) decapsulates glb_fwd's packet" {
	local probe="blgfou$BL_ID" err
	# Debian builds FOU and IPIP as modules: load them (no error here when they do not exist).
	modprobe -q fou 2>/dev/null || true
	modprobe -q ipip 2>/dev/null || true
	ip netns add "$probe"
	err=$(ip -n "$probe" fou add port 19523 gue 2>&1) || {
		ip netns del "$probe"
		skip "this kernel has no FOU/GUE receive path (CONFIG_NET_FOU): ip fou add: ${err%%$'\n'*}"
	}
	ip netns del "$probe"
	local b1="$GLB_NS-b1"
	"$GLB" bind "$VIP" 7000 udp 7 2>/dev/null
	"$GLB" table load 7 <(echo "$B1") >/dev/null 2>&1
	# b1 decapsulates with the kernel instead of glb_redirect.
	ip -n "$b1" fou add port 19523 gue
	ip -n "$b1" link set tunl0 up
	ip netns exec "$b1" sysctl -q -w net.ipv4.conf.tunl0.rp_filter=0 net.ipv4.conf.all.rp_filter=0
	nsenter --net="/run/netns/$b1" tc filter del dev eth0 ingress pref 1
	ip netns exec "$b1" timeout 60 socat -u UDP4-RECV:7000,bind="$VIP" OPEN:"$BL_TMP/fou.out",creat &
	bl_wait_for 20 sh -c "ip netns exec $b1 ss -Huln 'sport = :7000' | grep -q ."
	echo "through fou" | ip netns exec "$GLB_NS-client" socat -u - UDP4-SENDTO:"$VIP":7000
	bl_wait_for 20 grep -q "through fou" "$BL_TMP/fou.out"
	ip -n "$b1" fou del port 19523
}

# ---- bad input and the interface

@test "bad input: VIP, port, proto, state, table range, unknown table, no backends, too many -> one line, nothing changed" {
	local before
	before=$("$GLB" status --json 2>/dev/null | jq -c '{binds, tables}')
	local -a usage2=(
		"bind 198.19.1 80 tcp 0" "bind 198.19.1.256 80 tcp 0" "bind $VIP 0 tcp 0" "bind $VIP 65536 tcp 0"
		"bind $VIP 080 tcp 0" "bind $VIP 80 sctp 0" "bind $VIP 80 tcp x" "flow $CLIENT 1 $VIP 80 icmp"
		"table frob 0" "table load 0" "frobnicate" "up extra"
	)
	local a
	for a in "${usage2[@]}"; do
		# shellcheck disable=SC2086 # the words of each case are split on purpose
		run "$GLB" $a
		[ "$status" -eq 2 ] || { echo "'$a': status $status"; return 1; }
	done
	local -a fail1=(
		"table fill 0 $B1:sleeping|state 'sleeping' is not active, draining or filling"
		"table fill 0 198.18.42|'198.18.42' is not an IPv4 address"
		"table fill 4096 $B1|table 4096 out of range: glb_tables has 4096 slots (0..4095)"
		"bind $VIP 80 tcp 4096|table 4096 out of range"
		"table fill 0|no backends"
		"table fill 0 $B1:draining $B2:filling|2 backends are draining or filling"
		"table fill 0 $B1 $B1|listed twice"
		"table show 99|glb_tables[99] is empty"
		"table del 99|glb_tables[99] is empty already"
		"unbind 198.19.9.9 80 tcp|198.19.9.9:80/tcp is not bound"
	)
	for a in "${fail1[@]}"; do
		# shellcheck disable=SC2086 # the words of each case are split on purpose
		run "$GLB" ${a%%|*}
		[ "$status" -eq 1 ] || { echo "'${a%%|*}': status $status"; return 1; }
		[[ "$output" == *"${a#*|}"* ]] || { echo "'${a%%|*}': $output"; return 1; }
		[ "$(grep -c 'error:' <<<"$output")" = 1 ]
	done
	# More backends than a table holds (256), and a row with more than two.
	local -a many=()
	for i in $(seq 1 257); do many+=("10.1.$((i / 200)).$((i % 200 + 1))"); done
	run "$GLB" table fill 0 "${many[@]}"
	[ "$status" -eq 1 ]
	[[ "$output" == *"257 backends: a table holds at most 256"* ]]
	echo "$B1 $B2 $B3" >"$BL_TMP/bad"
	run "$GLB" table load 0 "$BL_TMP/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"more backends than a row holds"* ]]
	printf '%s\n' "$B1" "$B2" "$B3" >"$BL_TMP/bad"
	run "$GLB" table load 0 "$BL_TMP/bad"
	[[ "$output" == *"has 3 rows: the count must be a power of two"* ]]
	[ "$("$GLB" status --json 2>/dev/null | jq -c '{binds, tables}')" = "$before" ]
}

@test "dry-run: up and table fill print their commands and change nothing" {
	bl_snapshot >"$BL_TMP/before"
	run env GLB_NS=other BPFLAB_PIN="$BPFLAB_PIN-dry" "$GLB" --dry-run up
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ ip netns add other-router"* ]]
	[[ "$output" == *"+ bpftool prog load $BUILD/glb.bpf.o $BPFLAB_PIN-dry/glb/glb_fwd pinmaps $BPFLAB_PIN-dry/glb"* ]]
	[[ "$output" == *"tc filter add dev eth0 ingress pref 1 bpf direct-action pinned"* ]]
	run "$GLB" --dry-run table fill 0 "$B1" "$B2"
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ $BUILD/glbtable -d $P fill 0 $B1 $B2"* ]]
	bl_assert_same_state "$BL_TMP/before"
}

@test "cleanup: up; up; down; down leaves nothing (namespaces, pins, tables, state)" {
	"$GLB" down >/dev/null 2>&1
	bl_snapshot >"$BL_TMP/before"
	"$GLB" up >/dev/null 2>&1
	run "$GLB" up
	[[ "$output" == *"already up"* ]]
	"$GLB" table fill 0 "$B1" "$B2" >/dev/null 2>&1
	bl_pinned_ids "$P" >"$BL_TMP/ids"
	"$GLB" down >/dev/null 2>&1
	"$GLB" down >/dev/null 2>&1
	bl_assert_same_state "$BL_TMP/before"
	bl_assert_ids_gone "$BL_TMP/ids"
}

@test "cleanup: down after an up killed with SIGKILL removes everything" {
	bl_snapshot >"$BL_TMP/before"
	"$GLB" up >/dev/null 2>&1 &
	local pid=$!
	bl_wait_for 20 test -e "$P/glb_fwd"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	"$GLB" down >/dev/null 2>&1
	bl_assert_same_state "$BL_TMP/before"
}

@test "cleanup: up killed with SIGKILL at every 7th command (every one with BPFLAB_FULL=1) and the last, then down: nothing left" {
	"$GLB" down >/dev/null 2>&1
	bl_snapshot >"$BL_TMP/before"
	local stride=7
	[ "${BPFLAB_FULL:-0}" != 1 ] || stride=1
	BL_KILL_STRIDE=$stride BL_KILL_PINS=$P bl_assert_every_kill_point "glb (stride $stride)" 8 "$BL_TMP/before" "$GLB"
}
