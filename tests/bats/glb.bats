#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# GLB lab: glb_fwd encapsulates bound flows IP-in-IP to the row's backend and passes the rest,
# a flow keeps its row, flows spread over rows, `table load` swaps a whole table in one
# update (and frees the old one), live packets come back encapsulated, errors are clear, and
# nothing is left behind.

load helpers

XDP_PASS=2
XDP_TX=3

# ---- frames: 198.19.63.2 (the test netns) -> VIP 198.19.1.1, IPv4 header checksums valid.
ETH="02 00 00 00 00 01  02 00 00 00 00 02  08 00"
VIP=198.19.1.1
UDP53="$ETH 45 00 00 22 12 34 40 00 40 11 5c 6d c6 13 3f 02 c6 13 01 01  9c 40 00 35 00 0e 00 00 62 70 66 6c 61 62"
TCP80="$ETH 45 00 00 28 12 34 40 00 40 06 5c 72 c6 13 3f 02 c6 13 01 01  9c 40 00 50 00 00 00 01 00 00 00 00 50 02 ff ff 00 00 00 00"
ICMP="$ETH 45 00 00 1c 12 34 40 00 40 01 5c 83 c6 13 3f 02 c6 13 01 01  08 00 f7 ff 00 00 00 00"

setup_file() {
	bl_setup_names
	export GLB_NS="blg-$BL_ID" GLB_HOSTIF="bgh$BL_ID" GLB_PEERIF="bgp$BL_ID"
	export GLB_HOSTIP=198.19.63.1 GLB_PEERIP=198.19.63.2
	export GLB="$SCRIPTS/glb.sh" P="$BPFLAB_PIN/glb"
}

teardown_file() {
	"$GLB" down >/dev/null 2>&1 || true
	bl_topology_down
	rm -rf "$BPFLAB_PIN" "$BPFLAB_RUN" "$BL_TMP"
}

teardown() {
	"$GLB" down >/dev/null 2>&1 || true
	"$GLB" down --dev "$BL_HOST" >/dev/null 2>&1 || true
	bl_topology_down
	rm -rf "$BPFLAB_PIN/hand"
	rmdir "$BPFLAB_PIN" 2>/dev/null || true
}

up() {
	"$GLB" up >/dev/null 2>&1
}

# A row file with the given lines.
rows() { # FILE LINE...
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
}

# Load table T with one backend in every row.
table_of() { # T BACKEND
	rows "$BL_TMP/rows" "$2"
	"$GLB" table load "$1" "$BL_TMP/rows" >/dev/null 2>&1
}

# Run glb_fwd once on HEX; sets RET and writes the output frame to $BL_TMP/out.
run_frame() { # HEX...
	bl_frame "$BL_TMP/in" "$@"
	RET=$(bpftool -j prog run pinned "$P/glb_fwd" data_in "$BL_TMP/in" data_out "$BL_TMP/out" | jq -r .retval)
}

# Bytes of FILE from OFFSET (LEN bytes, default all) as one line of lowercase hex.
hexof() { # FILE OFFSET [LEN]
	od -An -tx1 -v -j "$2" ${3:+-N "$3"} "$1" | tr -d ' \n'
}

# True when the 20-byte IPv4 header at OFFSET of FILE has a valid checksum (sums to 0xffff).
ip_csum_ok() { # FILE OFFSET
	local sum=0 w
	for w in $(od -An -tu2 --endian=big -v -j "$2" -N 20 "$1"); do sum=$((sum + w)); done
	sum=$(((sum & 0xffff) + (sum >> 16)))
	sum=$(((sum & 0xffff) + (sum >> 16)))
	[ "$sum" = 65535 ]
}

# The inner map id in glb_tables[T], as `bpftool map dump` of the outer map shows it.
outer_value_id() { # T
	local b
	b=$(bpftool -j map dump pinned "$P/glb_tables" |
		jq -r --arg k "$(printf '0x%02x' "$1")" '.[] | select(.key[0] == $k) | .value | reverse | map(ltrimstr("0x")) | join("")')
	[ -z "$b" ] || echo $((16#$b))
}

flow_json() { # SRC SPORT VIP PORT PROTO
	"$GLB" flow "$@" --json 2>/dev/null
}

# ---- verdicts and the encapsulated frame

@test "encap: a bound UDP flow leaves IP-in-IP to the backend: outer header right, inner packet intact, XDP_TX" {
	up
	table_of 0 198.19.100.7
	"$GLB" bind "$VIP" 53 udp 0 2>/dev/null
	run_frame "$UDP53"
	[ "$RET" = $XDP_TX ]
	local in out
	in=$(hexof "$BL_TMP/in" 0)
	out=$(hexof "$BL_TMP/out" 0)
	# 20 bytes longer: one IPv4 header.
	[ "${#out}" -eq $((${#in} + 40)) ]
	# Ethernet: back where it came from (MACs swapped), EtherType IPv4.
	[ "$(hexof "$BL_TMP/out" 0 14)" = "020000000002""020000000001""0800" ]
	# Outer IPv4: v4/IHL 5, TOS copied, length 34 + 20, id 0, DF, TTL 64, proto 4 (IPIP),
	# source = the host end of the veth, destination = the backend.
	[ "$(hexof "$BL_TMP/out" 14 10)" = "4500""0036""0000""4000""40""04" ]
	[ "$(hexof "$BL_TMP/out" 26 8)" = "c6133f01""c6136407" ]
	ip_csum_ok "$BL_TMP/out" 14
	# The inner packet, byte for byte, with its checksum still valid.
	[ "${out:68}" = "${in:28}" ]
	ip_csum_ok "$BL_TMP/out" 34
}

@test "encap: a bound TCP flow too; TOS is copied to the outer header" {
	up
	table_of 2 198.19.100.9
	"$GLB" bind "$VIP" 80 tcp 2 2>/dev/null
	# TOS 0x10 (and the inner checksum adjusted for it).
	run_frame "${TCP80/45 00 00 28 12 34 40 00 40 06 5c 72/45 10 00 28 12 34 40 00 40 06 5c 62}"
	[ "$RET" = $XDP_TX ]
	[ "$(hexof "$BL_TMP/out" 14 10)" = "4510""003c""0000""4000""40""04" ]
	[ "$(hexof "$BL_TMP/out" 30 4)" = "c6136409" ]
	ip_csum_ok "$BL_TMP/out" 14
	ip_csum_ok "$BL_TMP/out" 34
	[ "$(hexof "$BL_TMP/out" 34)" = "$(hexof "$BL_TMP/in" 14)" ]
}

@test "pass: unbound VIP, other port or protocol, ICMP, IPv6, ARP, VLAN tag, fragments, malformed -> XDP_PASS, frame untouched" {
	up
	table_of 0 198.19.100.7
	"$GLB" bind "$VIP" 53 udp 0 2>/dev/null
	local f
	local -a frames=(
		"${UDP53/c6 13 01 01/c6 13 01 02}"                    # other VIP (checksum aside)
		"${UDP53/00 35 00 0e/00 36 00 0e}"                    # other port
		"${UDP53/40 11 5c 6d/40 06 5c 78}"                    # TCP to a UDP bind (short TCP header, too)
		"$ICMP"                                               # ICMP to the VIP
		"02 00 00 00 00 01 02 00 00 00 00 02 86 dd 60 00 00 00 00 08 11 40 $(printf '00 %.0s' {1..32}) 9c 40 00 35 00 08 00 00"
		"ff ff ff ff ff ff 02 00 00 00 00 02 08 06 00 01 08 00 06 04 00 01 02 00 00 00 00 02 c6 13 3f 02 00 00 00 00 00 00 c6 13 01 01"
		"${UDP53/08 00 45/81 00 00 0a 08 00 45}"              # behind a VLAN tag
		"${UDP53/40 00 40 11/20 00 40 11}"                    # first fragment (MF)
		"${UDP53/40 00 40 11/00 10 40 11}"                    # later fragment
		"${UDP53/45 00/44 00}"                                # IHL < 5
		"${UDP53/00 22 12 34/00 40 12 34}"                    # total length past the frame
		"${UDP53/00 22 12 34/00 10 12 34}"                    # total length below the header
		"$ETH 45 00 00 22 12 34 40 00 40 11 5c 6d c6 13 3f 02 c6 13 01 01  9c 40 00" # UDP header cut short
	)
	for f in "${frames[@]}"; do
		run_frame "$f"
		[ "$RET" = $XDP_PASS ] || {
			echo "frame $f: retval $RET"
			return 1
		}
		[ "$(hexof "$BL_TMP/out" 0)" = "$(hexof "$BL_TMP/in" 0)" ]
	done
	# The bound frame itself is forwarded (the list above is not passing for another reason).
	run_frame "$UDP53"
	[ "$RET" = $XDP_TX ]
}

@test "pass: a bind to an empty table slot, and an empty row (0.0.0.0), pass" {
	up
	run "$GLB" bind "$VIP" 53 udp 5
	[ "$status" -eq 0 ]
	[[ "$output" == *"glb_tables[5] holds no table yet"* ]]
	run_frame "$UDP53"
	[ "$RET" = $XDP_PASS ]
	[ "$(flow_json 198.19.63.2 40000 "$VIP" 53 udp | jq -r .action)" = XDP_PASS ]
	[[ "$("$GLB" flow 198.19.63.2 40000 "$VIP" 53 udp 2>/dev/null)" == *"glb_tables[5] is empty"* ]]
	table_of 5 0.0.0.0
	run_frame "$UDP53"
	[ "$RET" = $XDP_PASS ]
	[[ "$("$GLB" flow 198.19.63.2 40000 "$VIP" 53 udp 2>/dev/null)" == *"of table 5"*"is empty"* ]]
	# Counted apart in glb_stats.
	local stats
	stats=$("$GLB" status --json 2>/dev/null | jq -c .stats)
	[ "$(echo "$stats" | jq .no_table)" -ge 2 ]
	[ "$(echo "$stats" | jq .empty_row)" -ge 2 ]
	[ "$(echo "$stats" | jq .encap)" -eq 0 ]
}

# ---- hashing

@test "hash: the same flow always picks the same row; the row follows the documented hash" {
	up
	# Row r holds backend 198.19.100.r: the backend names the row glb_fwd picked.
	local r f first
	for r in $(seq 0 255); do echo "198.19.100.$r"; done >"$BL_TMP/rows"
	"$GLB" table load 0 "$BL_TMP/rows" 2>/dev/null
	"$GLB" bind "$VIP" 80 tcp 0 2>/dev/null
	first=$(flow_json 198.19.63.2 40000 "$VIP" 80 tcp)
	[ "$(echo "$first" | jq -r .action)" = XDP_TX ]
	[ "$(echo "$first" | jq -r .backend)" = "198.19.100.$(echo "$first" | jq -r .row)" ]
	for r in 1 2 3 4 5; do
		f=$(flow_json 198.19.63.2 40000 "$VIP" 80 tcp)
		[ "$(echo "$f" | jq -r .backend)" = "$(echo "$first" | jq -r .backend)" ]
	done
	# The raw program agrees with the script's frame (not only with itself).
	run_frame "$TCP80"
	[ "$RET" = $XDP_TX ]
	[ "$(od -An -tu1 -j 33 -N 1 "$BL_TMP/out" | tr -d ' ')" = "$(echo "$first" | jq -r .row)" ]
}

@test "hash: 64 flows spread over the 256 rows; each lands on the row the script computes" {
	up
	local r f row backend
	for r in $(seq 0 255); do echo "198.19.100.$r"; done >"$BL_TMP/rows"
	"$GLB" table load 0 "$BL_TMP/rows" 2>/dev/null
	"$GLB" bind "$VIP" 53 udp 0 2>/dev/null
	for r in $(seq 1 64); do
		f=$(flow_json "198.19.63.$((r % 4 + 2))" $((40000 + r)) "$VIP" 53 udp)
		row=$(echo "$f" | jq -r .row)
		backend=$(echo "$f" | jq -r .backend)
		[ "$backend" = "198.19.100.$row" ] || {
			echo "flow $r: row $row, backend $backend"
			return 1
		}
		echo "$row"
	done >"$BL_TMP/rowlist"
	# 64 random picks of 256 rows: about 57 distinct rows expected; 40 is far below.
	[ "$(sort -u "$BL_TMP/rowlist" | wc -l)" -ge 40 ]
	# Both halves of the table get flows (the high bits of the hash are used).
	[ "$(awk '$1 >= 128' "$BL_TMP/rowlist" | wc -l)" -ge 10 ]
	[ "$(awk '$1 < 128' "$BL_TMP/rowlist" | wc -l)" -ge 10 ]
}

@test "hash: two backends in a 2-line file share the rows half and half" {
	up
	rows "$BL_TMP/rows" "198.19.100.1 198.19.100.2" "198.19.100.2 198.19.100.1"
	"$GLB" table load 3 "$BL_TMP/rows" 2>/dev/null
	local show
	show=$("$GLB" table show 3 --json 2>/dev/null)
	[ "$(echo "$show" | jq '.rows | length')" = 256 ]
	[ "$(echo "$show" | jq '[.rows[] | select(.primary == "198.19.100.1")] | length')" = 128 ]
	[ "$(echo "$show" | jq -r '.rows[1] | "\(.primary) \(.secondary)"')" = "198.19.100.2 198.19.100.1" ]
}

# ---- the atomic swap

@test "swap: table load replaces the inner map in one update; the flow follows; the old map is freed" {
	up
	"$GLB" bind "$VIP" 53 udp 0 2>/dev/null
	table_of 0 198.19.100.1
	local id1 id2
	id1=$(outer_value_id 0)
	[ -n "$id1" ]
	# The outer map's value is the inner map's id (written with an fd).
	[ "$(bpftool -j map show id "$id1" | jq -r '.name, .type, .max_entries' | tr '\n' ' ')" = "glb_t0 array 256 " ]
	[ "$(flow_json 198.19.63.2 40000 "$VIP" 53 udp | jq -r .backend)" = 198.19.100.1 ]
	table_of 0 198.19.200.1
	id2=$(outer_value_id 0)
	[ -n "$id2" ]
	[ "$id2" != "$id1" ]
	[ "$(flow_json 198.19.63.2 40000 "$VIP" 53 udp | jq -r .backend)" = 198.19.200.1 ]
	[ "$("$GLB" status --json 2>/dev/null | jq -c '.tables')" = "[{\"table\":0,\"map_id\":$id2,\"name\":\"glb_t0\"}]" ]
	# Nothing held the old table but the outer slot: it is gone (freed after an RCU grace period).
	bl_wait_for 5 sh -c "! bpftool map show id $id1 >/dev/null 2>&1"
	# The new one is held by glb_tables alone: its build-time pin was removed.
	[ ! -e "$P/glb_t0" ]
	[ "$(find "$P" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')" = "glb_binds glb_config glb_fwd glb_stats glb_tables peer xdpcap_hook " ]
}

@test "swap: packets during 10 back-to-back swaps all see a whole table, never an empty slot" {
	up
	"$GLB" bind "$VIP" 53 udp 0 2>/dev/null
	rows "$BL_TMP/a" 198.19.100.1
	rows "$BL_TMP/b" 198.19.200.1
	"$GLB" table load 0 "$BL_TMP/a" 2>/dev/null
	local swapper i n=0
	(for i in 1 2 3 4 5; do
		"$GLB" table load 0 "$BL_TMP/b" >/dev/null 2>&1
		"$GLB" table load 0 "$BL_TMP/a" >/dev/null 2>&1
	done) &
	swapper=$!
	bl_frame "$BL_TMP/in" "$UDP53"
	# Bounded: at most 400 runs, or until the swapper is done.
	for ((i = 0; i < 400; i++)); do
		bpftool -j prog run pinned "$P/glb_fwd" data_in "$BL_TMP/in" data_out "$BL_TMP/out$i" | jq -r .retval >"$BL_TMP/ret$i"
		n=$((i + 1))
		kill -0 "$swapper" 2>/dev/null || break
	done
	wait "$swapper"
	echo "$n runs"
	for ((i = 0; i < n; i++)); do
		[ "$(cat "$BL_TMP/ret$i")" = $XDP_TX ] || {
			echo "run $i: retval $(cat "$BL_TMP/ret$i")"
			return 1
		}
		[[ "$(hexof "$BL_TMP/out$i" 30 4)" =~ ^(c6136401|c613c801)$ ]]
	done
	# glb_stats agrees: no packet found the slot empty or a row missing.
	[ "$("$GLB" status --json 2>/dev/null | jq '.stats.no_table + .stats.empty_row')" = 0 ]
}

@test "swap: table use puts a map made by hand into a slot; table del empties it" {
	up
	"$GLB" bind "$VIP" 53 udp 1 2>/dev/null
	mkdir -p "$BPFLAB_PIN/hand"
	bpftool map create "$BPFLAB_PIN/hand/mine" type array key 4 value 8 entries 256 name mine
	local r
	for r in $(seq 0 255); do echo "map update pinned $BPFLAB_PIN/hand/mine key $r 0 0 0 value 198 19 100 77 0 0 0 0"; done >"$BL_TMP/batch"
	bpftool batch file "$BL_TMP/batch" >/dev/null
	"$GLB" table use 1 "$BPFLAB_PIN/hand/mine" 2>/dev/null
	[ "$(flow_json 198.19.63.2 40000 "$VIP" 53 udp | jq -r .backend)" = 198.19.100.77 ]
	"$GLB" table del 1 2>/dev/null
	[ "$(flow_json 198.19.63.2 40000 "$VIP" 53 udp | jq -r .action)" = XDP_PASS ]
	run "$GLB" table del 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"glb_tables[1] is empty already"* ]]
}

# ---- live

@test "live: packets from the netns to a bound VIP come back IP-in-IP to the backends" {
	up
	rows "$BL_TMP/rows" 198.19.100.1 198.19.100.2
	"$GLB" table load 0 "$BL_TMP/rows" 2>/dev/null
	"$GLB" bind "$VIP" 7777 udp 0 2>/dev/null
	local pcap=$BL_TMP/live.pcap pid i
	ip netns exec "$GLB_NS" timeout 20 tcpdump -Z root --immediate-mode -U -n -i "$GLB_PEERIF" -w "$pcap" ip proto 4 2>"$pcap.log" &
	pid=$!
	bl_wait_for 5 grep -q 'listening on' "$pcap.log"
	for i in 1 2 3 4; do
		echo "bpflab $i" | ip netns exec "$GLB_NS" socat -u - "UDP4-SENDTO:$VIP:7777,sourceport=$((40000 + i))"
	done
	bl_wait_for 5 sh -c "[ \$(tcpdump -nr '$pcap' 2>/dev/null | wc -l) -ge 4 ]" || true
	kill -INT "$pid"
	wait "$pid" || true
	tcpdump -nr "$pcap" 2>/dev/null >"$BL_TMP/live.txt"
	cat "$BL_TMP/live.txt"
	[ "$(wc -l <"$BL_TMP/live.txt")" -eq 4 ]
	for i in 1 2 3 4; do
		grep -qE "IP $GLB_HOSTIP > 198\.19\.100\.[12]: IP $GLB_PEERIP\.$((40000 + i)) > $VIP\.7777: UDP, length 9" "$BL_TMP/live.txt"
		# The backend is the one `flow` names for the same 5-tuple.
		grep -q "> $(flow_json "$GLB_PEERIP" $((40000 + i)) "$VIP" 7777 udp | jq -r .backend): IP $GLB_PEERIP\.$((40000 + i)) " "$BL_TMP/live.txt"
	done
	[ "$("$GLB" status --json 2>/dev/null | jq .stats.encap)" -ge 4 ]
}

@test "live: --dev on an existing veth; the outer source is the device's address; down leaves the device" {
	bl_topology_up
	"$GLB" up --dev "$BL_HOST" >/dev/null 2>&1
	table_of 0 198.19.100.5
	"$GLB" bind "$VIP" 53 udp 0 2>/dev/null
	[ "$(flow_json 198.18.99.2 40000 "$VIP" 53 udp | jq -r '"\(.outer_src) \(.backend)"')" = "198.18.99.1 198.19.100.5" ]
	[ "$("$GLB" status --json 2>/dev/null | jq -r '"\(.attached) \(.netns)"')" = "true " ]
	"$GLB" down >/dev/null 2>&1
	ip link show "$BL_HOST" >/dev/null
	run ip -d link show "$BL_HOST"
	[[ "$output" != *prog/xdp* ]]
	bl_topology_down
}

# ---- the script's interface

@test "usage: --help lists every subcommand; bad words, addresses, ports, protocols -> exit 2" {
	run "$GLB" --help
	[ "$status" -eq 0 ]
	for w in up down status bind unbind "table load" "table use" "table del" "table show" flow --dev --src --json --step --dry-run; do
		[[ "$output" == *"$w"* ]] || {
			echo "usage lacks $w"
			return 1
		}
	done
	local -a bad=(
		"frobnicate" "" "--bogus up" "up extra" "bind 198.19.1.1 80 tcp" "bind 198.19.1 80 tcp 0"
		"bind 198.19.1.256 80 tcp 0" "bind 198.19.1.010 80 tcp 0" "bind 198.19.1.1 0 tcp 0"
		"bind 198.19.1.1 65536 tcp 0" "bind 198.19.1.1 80 sctp 0" "bind 198.19.1.1 80 tcp x"
		"table" "table frob 0" "table load 0" "flow 1.2.3.4 1 198.19.1.1 80" "unbind 198.19.1.1 80"
	)
	local args
	for args in "${bad[@]}"; do
		# shellcheck disable=SC2086 # the words of each case are split on purpose
		run "$GLB" $args
		[ "$status" -eq 2 ] || {
			echo "'$args': status $status"
			return 1
		}
		[[ "$output" == *Usage:* ]]
	done
}

@test "errors: not up, table out of range, unknown bind, bad row files, wrong map type -> one line, exit 1, nothing changed" {
	run "$GLB" bind "$VIP" 53 udp 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"the glb lab is not up"* ]]
	up
	"$GLB" bind "$VIP" 53 udp 0 2>/dev/null
	table_of 0 198.19.100.1
	local before
	before=$("$GLB" status --json 2>/dev/null | jq -c '{binds, tables}')
	run "$GLB" bind "$VIP" 80 tcp 16
	[ "$status" -eq 1 ]
	[[ "$output" == *"table 16 out of range: glb_tables has 16 slots (0..15)"* ]]
	run "$GLB" table load 99 "$BL_TMP/rows"
	[ "$status" -eq 1 ]
	[[ "$output" == *"out of range"* ]]
	run "$GLB" unbind 198.19.1.2 53 udp
	[ "$status" -eq 1 ]
	[[ "$output" == *"198.19.1.2:53/udp is not bound"* ]]
	run "$GLB" table load 0 "$BL_TMP/nonexistent"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not found"* ]]
	rows "$BL_TMP/bad" 198.19.100.1 198.19.100.2 198.19.100.3
	run "$GLB" table load 0 "$BL_TMP/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"has 3 rows: the count must be a power of two"* ]]
	rows "$BL_TMP/bad" "# a comment" 198.19.100.1 "198.19.100.x"
	run "$GLB" table load 0 "$BL_TMP/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad:3: '198.19.100.x' is not an IPv4 address"* ]]
	rows "$BL_TMP/bad" "198.19.100.1 198.19.100.2 198.19.100.3"
	run "$GLB" table load 0 "$BL_TMP/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"too many fields"* ]]
	rows "$BL_TMP/bad" "# nothing"
	run "$GLB" table load 0 "$BL_TMP/bad"
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no rows"* ]]
	mkdir -p "$BPFLAB_PIN/hand"
	bpftool map create "$BPFLAB_PIN/hand/h" type hash key 4 value 8 entries 256 name h
	run "$GLB" table use 0 "$BPFLAB_PIN/hand/h"
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrong map type: $BPFLAB_PIN/hand/h is hash"* ]]
	bpftool map create "$BPFLAB_PIN/hand/a" type array key 4 value 8 entries 128 name a
	run "$GLB" table use 0 "$BPFLAB_PIN/hand/a"
	[ "$status" -eq 1 ]
	[[ "$output" == *"wrong map type"*"128 entries"* ]]
	run "$GLB" table use 0 "$BPFLAB_PIN/hand/none"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not a pinned map"* ]]
	[ "$("$GLB" status --json 2>/dev/null | jq -c '{binds, tables}')" = "$before" ]
	[ ! -e "$P/glb_t0" ]
}

@test "dry-run: up, bind, table load and flow print their commands and change nothing" {
	bl_snapshot >"$BL_TMP/before"
	run "$GLB" --dry-run up
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ ip netns add $GLB_NS"* ]]
	[[ "$output" == *"+ bpftool prog load $BUILD/glb.bpf.o $P/glb_fwd pinmaps $P"* ]]
	[[ "$output" == *"+ bpftool map update pinned $P/glb_config key 0 0 0 0 value 198 19 63 1"* ]]
	[[ "$output" == *"+ bpftool net attach xdpdrv pinned $P/glb_fwd dev $GLB_HOSTIF"* ]]
	run "$GLB" --dry-run bind "$VIP" 443 tcp 2
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ bpftool map update pinned $P/glb_binds key 198 19 1 1 1 187 6 0 value 2 0 0 0"* ]]
	rows "$BL_TMP/rows" 198.19.100.1 198.19.100.2
	run "$GLB" --dry-run table load 4 "$BL_TMP/rows"
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ bpftool map create $P/glb_t4 type array key 4 value 8 entries 256 name glb_t4"* ]]
	[[ "$output" == *"+     map update pinned $P/glb_t4 key 1 0 0 0 value 198 19 100 2 0 0 0 0"* ]]
	[[ "$output" == *"+ $BUILD/pinfill set $P/glb_tables 4 $P/glb_t4"* ]]
	run "$GLB" --dry-run flow 198.19.63.2 40000 "$VIP" 443 tcp
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ bpftool prog run pinned $P/glb_fwd data_in "* ]]
	run "$GLB" --dry-run down
	[ "$status" -eq 0 ]
	bl_assert_same_state "$BL_TMP/before"
}

# ---- nothing left behind

@test "cleanup: up; up; down; down leaves the kernel as it was (tables included)" {
	bl_snapshot >"$BL_TMP/before"
	"$GLB" up
	run "$GLB" up
	[ "$status" -eq 0 ]
	[[ "$output" == *"already up"* ]]
	table_of 0 198.19.100.1
	table_of 0 198.19.100.2
	table_of 7 198.19.100.3
	"$GLB" bind "$VIP" 53 udp 0 2>/dev/null
	"$GLB" down
	"$GLB" down
	bl_assert_same_state "$BL_TMP/before"
}

@test "cleanup: an up that fails half-way rolls itself back" {
	bl_snapshot >"$BL_TMP/before"
	# --step answered 'q' at the 19th command (attach glb_fwd): netns, pins, peer XDP exist by then.
	run sh -c "{ for i in \$(seq 18); do echo; done; echo q; } | '$GLB' --step up"
	[ "$status" -eq 1 ]
	[[ "$output" == *"rolling back"* ]]
	bl_assert_same_state "$BL_TMP/before"
}

@test "cleanup: down after an up killed with SIGKILL removes everything" {
	bl_snapshot >"$BL_TMP/before"
	local pid
	mkfifo "$BL_TMP/answers"
	"$GLB" --step up <"$BL_TMP/answers" >/dev/null 2>&1 3>&- &
	pid=$!
	exec 6>"$BL_TMP/answers"
	yes '' | head -n 17 >&6
	bl_wait_for 10 test -e "$P/peer/glb_peer"
	sleep 0.5
	kill -9 "$pid"
	exec 6>&-
	wait "$pid" 2>/dev/null || true
	[ -e "$BPFLAB_RUN" ]
	"$GLB" down
	bl_assert_same_state "$BL_TMP/before"
}
