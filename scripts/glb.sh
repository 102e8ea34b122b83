#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# GLB lab: map-in-map forwarding tables. glb_fwd (XDP) looks up the bind of a packet's
# VIP:port/proto, hashes the flow to a row of the table the bind points at, and sends the
# packet back out IP-in-IP to the row's backend. Tables are swapped whole, atomically.
#
#   host                                       netns bpflab-glb
#   bpflabglb0 198.18.3.1/24  <--- veth --->   bpflabglb1 198.18.3.2/24  [XDP glb_peer]
#   [XDP glb_fwd]                              route 198.18.0.0/15 via 198.18.3.1
#     glb_binds{vip,port,proto} -> T -> glb_tables[T] -> inner array[hash & 255] -> backend
set -euo pipefail

PROG=glb.sh
LAB=glb
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/lib/lab.sh"

GLB_NS=${GLB_NS:-bpflab-glb}
GLB_HOSTIF=${GLB_HOSTIF:-bpflabglb0}
GLB_PEERIF=${GLB_PEERIF:-bpflabglb1}
GLB_HOSTIP=${GLB_HOSTIP:-198.18.3.1}
GLB_PEERIP=${GLB_PEERIP:-198.18.3.2}
# Must match bpf/glb.h.
TABLES=16
ROWS=256
STATS=(other no_bind no_table empty_row encap error)
ACTIONS=(XDP_ABORTED XDP_DROP XDP_PASS XDP_TX XDP_REDIRECT)

OBJ=$BUILD_DIR/glb.bpf.o
OBJ_PEER=$BUILD_DIR/glb_peer.bpf.o

usage() {
	cat <<EOF
Usage: $PROG [options] up | down | status
       $PROG [options] bind VIP PORT PROTO TABLE | unbind VIP PORT PROTO
       $PROG [options] table load TABLE FILE | table use TABLE MAP_PIN | table del TABLE
       $PROG [options] table show TABLE
       $PROG [options] flow SRC SPORT VIP PORT PROTO

  up            load and pin glb_fwd and its maps, attach it to the device (idempotent)
  down          detach and remove everything up made (idempotent, also after a failed up)
  status        program, binds, tables (inner map ids) and packet counters (--json)
  bind          glb_binds[VIP:PORT/PROTO] = TABLE (PROTO tcp or udp, TABLE 0..$((TABLES - 1)))
  unbind        remove a bind
  table load    build a NEW inner map from FILE and swap it into glb_tables[TABLE] in one
                update; the old map is freed. FILE: one row per line, "PRIMARY [SECONDARY]"
                (IPv4; 0.0.0.0 = empty row, '#' starts a comment); 1, 2, 4 ... $ROWS lines,
                repeated to fill the $ROWS rows (row r uses line r mod lines)
  table use     swap in a map you made and pinned yourself (array, key 4, value 8, $ROWS entries)
  table del     empty glb_tables[TABLE] (packets of its binds pass)
  table show    the rows of the table in glb_tables[TABLE] (--json)
  flow          run glb_fwd once on a crafted TCP SYN / UDP packet with 'bpftool prog run'
                and print the verdict, the row and the backend read from data_out (--json)

Options:
  --dev IFACE   (up) attach to IFACE instead of creating the netns/veth topology
  --src IP      (up) outer source address (default: the host end of the veth, or the first
                IPv4 address of --dev; 0.0.0.0 = the VIP)
  --json        status, table show, flow as JSON
  --step        pause before each command
  --dry-run     print the commands, change nothing
  -v, --verbose show the output of commands that may fail
  -h, --help    this help

Environment: BPFLAB_PIN (pins go to \$BPFLAB_PIN/glb), GLB_NS GLB_HOSTIF GLB_PEERIF GLB_HOSTIP GLB_PEERIP.
EOF
}

PIN=$(pin_dir)
P_PROG=$PIN/glb_fwd
P_BINDS=$PIN/glb_binds
P_TABLES=$PIN/glb_tables
P_CONFIG=$PIN/glb_config
P_STATS=$PIN/glb_stats
P_PEER=$PIN/peer/glb_peer

is_up() {
	state_load && [ "${COMPLETE:-0}" = 1 ] && [ -e "$P_PROG" ]
}

need_up() {
	[ "$DRY_RUN" = 1 ] && return 0
	is_up || die "the glb lab is not up" "run: $PROG up"
}

# ---- argument checks and byte formats (bpftool takes keys and values byte by byte)

is_ipv4() { # A.B.C.D, each 0..255 without leading zeros (bpftool would read 010 as octal)
	[[ "$1" =~ ^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$ ]] || return 1
	local i
	for i in 1 2 3 4; do [ "${BASH_REMATCH[$i]}" -le 255 ] || return 1; done
}

ip_arg() { # WHAT VALUE
	is_ipv4 "$2" || usage_error "$1 '$2' is not an IPv4 address (A.B.C.D)"
}

port_arg() { # WHAT VALUE
	if ! [[ "$2" =~ ^[1-9][0-9]{0,4}$ ]] || [ "$2" -gt 65535 ]; then
		usage_error "$1 '$2' is not a port (1..65535)"
	fi
}

proto_num() { # tcp|udp|6|17 -> 6|17
	case "$1" in
	tcp | TCP | 6) echo 6 ;;
	udp | UDP | 17) echo 17 ;;
	*) usage_error "protocol '$1' is neither tcp nor udp" ;;
	esac
}

proto_name() { [ "$1" = 6 ] && echo tcp || echo udp; }

table_arg() { # TABLE: an index of glb_tables
	[[ "$1" =~ ^[0-9]+$ ]] || usage_error "table '$1' is not a number"
	[ "$((10#$1))" -lt "$TABLES" ] || die "table $1 out of range: glb_tables has $TABLES slots (0..$((TABLES - 1)))"
}

ip_bytes() { echo "${1//./ }"; }
port_bytes() { echo "$(($1 >> 8)) $(($1 & 255))"; }
u32_bytes() { echo "$(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255))"; }

# bpftool -j prints bytes as ["0xc6", ...]: these jq functions turn them back into values.
JQ_BYTES='def b: map(ltrimstr("0x") | explode | map(if . >= 97 then . - 87 elif . >= 65 then . - 55 else . - 48 end) | .[0] * 16 + .[1]);
def ip4(o): b | "\(.[o]).\(.[o + 1]).\(.[o + 2]).\(.[o + 3])";
def be16(o): b | .[o] * 256 + .[o + 1];
def le32(o): b | .[o] + .[o + 1] * 256 + .[o + 2] * 65536 + .[o + 3] * 16777216;'

bind_key() { # VIP PORT PROTO_NUM: struct glb_bind
	echo "$(ip_bytes "$1") $(port_bytes "$2") $3 0"
}

# The row glb_fwd picks (bpf/glb.bpf.c flow_hash): FNV-1a over saddr, daddr, sport, dport
# (wire order) and proto, high half folded onto the low one, masked to the table size.
flow_row() { # SRC SPORT DST DPORT PROTO_NUM
	local h=2166136261 b
	# shellcheck disable=SC2046 # the byte lists are split into words on purpose
	for b in $(ip_bytes "$1") $(ip_bytes "$3") $(port_bytes "$2") $(port_bytes "$4") "$5"; do
		h=$((((h ^ b) * 16777619) & 0xffffffff))
	done
	echo $(((h ^ (h >> 16)) & (ROWS - 1)))
}

# ---- up / down

cmd_up() {
	need_root up "${ARGS[@]}"
	check_prereq bpftool:bpftool ip:iproute2 jq:jq nsenter:util-linux
	check_btf
	check_bpffs
	check_built "$OBJ" "$OBJ_PEER" "$PINFILL"
	[ -z "$OPT_SRC" ] || ip_arg --src "$OPT_SRC"
	lab_target "$OPT_DEV" "$GLB_HOSTIF" "$GLB_NS"
	local src=$OPT_SRC
	if [ -z "$src" ]; then
		if [ -n "$NS" ]; then
			src=$GLB_HOSTIP
		else
			src=$(ip -4 -o addr show dev "$DEV" | awk '{ split($4, a, "/"); print a[1]; exit }')
			src=${src:-0.0.0.0}
		fi
	fi
	lab_up_begin || return 0
	lab_up_rollback_on_failure
	if [ -n "$NS" ]; then
		netns_up "$NS" "$GLB_HOSTIF" "$GLB_PEERIF" "$GLB_HOSTIP" "$GLB_PEERIP"
		# VIPs and backends are lab addresses: the netns reaches them through the director.
		run ip -n "$NS" route add 198.18.0.0/15 via "$GLB_HOSTIP"
	fi
	run mkdir -p "$PIN"
	# pinmaps: glb_binds, glb_tables (with its inner-map template), glb_config, glb_stats, xdpcap_hook.
	run bpftool prog load "$OBJ" "$P_PROG" pinmaps "$PIN"
	[ "$DRY_RUN" = 1 ] || state_set PROG_ID "$(pinned_id prog "$P_PROG")"
	# shellcheck disable=SC2046 # ip_bytes prints four separate byte arguments
	run bpftool map update pinned "$P_CONFIG" key 0 0 0 0 value $(ip_bytes "$src")
	if [ -n "$NS" ]; then
		# XDP_TX frames reach the netns end only if it runs XDP itself (see bpf/glb_peer.bpf.c).
		run mkdir -p "$PIN/peer"
		run bpftool prog load "$OBJ_PEER" "$P_PEER" pinmaps "$PIN/peer"
		# nsenter, not 'ip netns exec': that one remounts /sys, hiding the pins in /sys/fs/bpf.
		run nsenter --net="/run/netns/$NS" bpftool net attach xdpdrv pinned "$P_PEER" dev "$GLB_PEERIF"
	fi
	xdp_attach "$P_PROG" "$DEV"
	state_set XDP_MODE "$XDP_MODE"
	lab_up_done

	[ "$DRY_RUN" = 1 ] && return 0
	echo "glb is up: glb_fwd on $DEV ($XDP_MODE), outer source $src; pins in $PIN"
	echo "  echo 198.19.10.1 > /tmp/backends; echo 198.19.10.2 >> /tmp/backends; $PROG table load 0 /tmp/backends"
	echo "  $PROG bind 198.19.1.1 80 tcp 0"
	echo "  $PROG flow 198.18.3.2 40000 198.19.1.1 80 tcp"
}

cmd_down() {
	need_root down "${ARGS[@]}"
	check_prereq bpftool:bpftool ip:iproute2 jq:jq
	local had_state=0
	PROG_ID=""
	lab_down_begin && had_state=1
	xdp_detach_if_ours "${DEV:-}" "$P_PROG" "${XDP_MODE:-}" "$PROG_ID"
	# The peer program goes with the netns (its veth end is deleted); the tables are held only
	# by glb_tables, so they go with its pin.
	lab_down_finish "$had_state" "$PIN/xdpcap_hook" "$PIN/peer/xdpcap_hook"
}

# ---- binds

cmd_bind() {
	need_root bind "${POS[@]}" "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq
	[ "${#POS[@]}" = 4 ] || usage_error "bind needs VIP PORT PROTO TABLE"
	local vip=${POS[0]} port=${POS[1]} proto table=${POS[3]}
	ip_arg VIP "$vip"
	port_arg PORT "$port"
	proto=$(proto_num "${POS[2]}")
	table_arg "$table"
	table=$((10#$table))
	need_up
	# shellcheck disable=SC2046 # the key and value are lists of byte arguments
	run bpftool map update pinned "$P_BINDS" key $(bind_key "$vip" "$port" "$proto") value $(u32_bytes "$table")
	[ "$DRY_RUN" = 1 ] || [ -n "$(table_id "$table")" ] ||
		info "note: glb_tables[$table] holds no table yet: packets to $vip:$port/$(proto_name "$proto") pass until '$PROG table load $table FILE'"
}

cmd_unbind() {
	need_root unbind "${POS[@]}" "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq
	[ "${#POS[@]}" = 3 ] || usage_error "unbind needs VIP PORT PROTO"
	local vip=${POS[0]} port=${POS[1]} proto
	ip_arg VIP "$vip"
	port_arg PORT "$port"
	proto=$(proto_num "${POS[2]}")
	need_up
	# shellcheck disable=SC2046 # the key is a list of byte arguments
	[ "$DRY_RUN" = 1 ] || [ -n "$(bind_table "$vip" "$port" "$proto")" ] ||
		die "$vip:$port/$(proto_name "$proto") is not bound" "see the binds with: $PROG status"
	# shellcheck disable=SC2046 # the key is a list of byte arguments
	run bpftool map delete pinned "$P_BINDS" key $(bind_key "$vip" "$port" "$proto")
}

# The table index of a bind (empty when not bound).
bind_table() { # VIP PORT PROTO_NUM
	local out
	# shellcheck disable=SC2046 # the key is a list of byte arguments
	out=$(bpftool -j map lookup pinned "$P_BINDS" key $(bind_key "$1" "$2" "$3") 2>/dev/null) || return 0
	jq -r "$JQ_BYTES"' .value // empty | le32(0)' <<<"$out"
}

# ---- tables

# The id of the inner map in glb_tables[TABLE] (empty when the slot is empty). A lookup of
# a map-in-map slot from user space returns the inner map's id, not an fd.
table_id() { # TABLE
	local out
	# shellcheck disable=SC2046 # the key is a list of byte arguments
	out=$(bpftool -j map lookup pinned "$P_TABLES" key $(u32_bytes "$1") 2>/dev/null) || return 0
	jq -r "$JQ_BYTES"' .value // empty | le32(0)' <<<"$out"
}

# Reads a row file into ROW_LINES ("P1 P2 P3 P4 S1 S2 S3 S4" per line); dies on a bad one.
read_rows() { # FILE
	local file=$1 n=0 line primary secondary extra
	ROW_LINES=()
	[ -f "$file" ] || die "row file '$file' not found"
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line%%#*}
		read -r primary secondary extra <<<"$line" || true
		[ -n "$primary" ] || continue
		[ -z "$extra" ] || die "$file:$n: too many fields: a row is 'PRIMARY [SECONDARY]'"
		is_ipv4 "$primary" || die "$file:$n: '$primary' is not an IPv4 address"
		secondary=${secondary:-0.0.0.0}
		is_ipv4 "$secondary" || die "$file:$n: '$secondary' is not an IPv4 address"
		ROW_LINES+=("$(ip_bytes "$primary") $(ip_bytes "$secondary")")
	done <"$file"
	n=${#ROW_LINES[@]}
	[ "$n" -gt 0 ] || die "$file has no rows" "one backend per line: PRIMARY [SECONDARY]"
	if [ "$n" -gt "$ROWS" ] || [ $((n & (n - 1))) != 0 ]; then
		die "$file has $n rows: the count must be a power of two up to $ROWS (1, 2, 4, ... $ROWS)" \
			"each line then fills $ROWS/n rows of the table; repeat a backend to weight it"
	fi
}

# Swap map pinned at NEW_PIN into glb_tables[TABLE]: one update of the outer array.
table_swap() { # TABLE NEW_PIN
	local old new
	[ "$DRY_RUN" = 1 ] || old=$(table_id "$1")
	run "$PINFILL" set "$P_TABLES" "$1" "$2"
	[ "$DRY_RUN" = 1 ] && return 0
	new=$(table_id "$1")
	if [ -n "$old" ]; then
		echo "glb_tables[$1]: map id $old -> $new (the old table is freed once nothing holds it)"
	else
		echo "glb_tables[$1]: map id $new"
	fi
}

cmd_table() {
	[ "${#POS[@]}" -ge 1 ] || usage_error "table needs load, use, del or show"
	local sub=${POS[0]}
	POS=("${POS[@]:1}")
	case "$sub" in
	load) table_load ;;
	use) table_use ;;
	del) table_del ;;
	show) table_show ;;
	*) usage_error "unknown table subcommand '$sub'" ;;
	esac
}

table_load() {
	need_root table load "${POS[@]}" "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq
	[ "${#POS[@]}" = 2 ] || usage_error "table load needs TABLE FILE"
	local table=${POS[0]} file=${POS[1]} new batch r n
	table_arg "$table"
	table=$((10#$table))
	read_rows "$file"
	need_up
	n=${#ROW_LINES[@]}
	new=$PIN/glb_t$table
	batch=$(mktemp "${TMPDIR:-/tmp}/glb-rows.XXXXXX")
	# Whatever happens before the swap, the new map goes (its pin is its only holder).
	trap 'rm -f "$batch"; DRY_RUN=0 STEP=0 run_quiet rm -f "$new"' EXIT
	trap 'exit 1' INT TERM
	for ((r = 0; r < ROWS; r++)); do
		# shellcheck disable=SC2086 # the row holds eight byte arguments
		set -- ${ROW_LINES[r % n]}
		[ "$1$2$3$4" = 0000 ] ||
			echo "map update pinned $new key $(u32_bytes "$r") value $*"
	done >"$batch"
	# A stale pin from a killed load is removed first.
	[ ! -e "$new" ] || run rm -f "$new"
	# The new table: no BTF, sizes matching the inner-map template of glb_tables.
	run bpftool map create "$new" type array key 4 value 8 entries "$ROWS" name "glb_t$table"
	# One bpftool process for all rows (a line per non-empty row, as typed by hand):
	sed -n '1,2s/^/+     /p' "$batch" >&2
	[ "$(wc -l <"$batch")" -le 2 ] || echo "+     ... ($(wc -l <"$batch") lines)" >&2
	[ ! -s "$batch" ] || run bpftool batch file "$batch" >/dev/null
	table_swap "$table" "$new"
	# glb_tables holds the new table now; the pin was only needed to build and hand it over.
	run rm -f "$new"
	trap - EXIT INT TERM
	rm -f "$batch"
}

table_use() {
	need_root table use "${POS[@]}" "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq
	[ "${#POS[@]}" = 2 ] || usage_error "table use needs TABLE MAP_PIN"
	local table=${POS[0]} pin=${POS[1]} info
	table_arg "$table"
	table=$((10#$table))
	need_up
	if [ "$DRY_RUN" != 1 ]; then
		info=$(bpftool -j map show pinned "$pin" 2>/dev/null) || die "$pin is not a pinned map"
		[ "$(echo "$info" | jq -r '"\(.type) \(.bytes_key) \(.bytes_value) \(.max_entries)"')" = "array 4 8 $ROWS" ] ||
			die "wrong map type: $pin is $(echo "$info" | jq -r '"\(.type), key \(.bytes_key) B, value \(.bytes_value) B, \(.max_entries) entries"'); glb_tables takes array, key 4 B, value 8 B, $ROWS entries" \
				"bpftool map create PIN type array key 4 value 8 entries $ROWS name NAME"
	fi
	table_swap "$table" "$pin"
}

table_del() {
	need_root table del "${POS[@]}" "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq
	[ "${#POS[@]}" = 1 ] || usage_error "table del needs TABLE"
	local table=${POS[0]}
	table_arg "$table"
	table=$((10#$table))
	need_up
	[ "$DRY_RUN" = 1 ] || [ -n "$(table_id "$table")" ] || die "glb_tables[$table] is empty already"
	run "$PINFILL" del "$P_TABLES" "$table"
}

table_show() {
	need_root table show "${POS[@]}" "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq
	[ "${#POS[@]}" = 1 ] || usage_error "table show needs TABLE"
	local table=${POS[0]} id rows
	table_arg "$table"
	table=$((10#$table))
	need_up
	# shellcheck disable=SC2046 # the key is a list of byte arguments
	trace bpftool map lookup pinned "$P_TABLES" key $(u32_bytes "$table")
	if [ "$DRY_RUN" = 1 ]; then
		trace bpftool map dump id ID
		return 0
	fi
	id=$(table_id "$table")
	[ -n "$id" ] || die "glb_tables[$table] is empty" "load one: $PROG table load $table FILE"
	trace bpftool map dump id "$id"
	rows=$(bpftool -j map dump id "$id" | jq -c "$JQ_BYTES"' [.[] | {row: (.key | le32(0)), primary: (.value | ip4(0)), secondary: (.value | ip4(4))}]')
	if [ "$OPT_JSON" = 1 ]; then
		jq -n --argjson t "$table" --argjson id "$id" --argjson rows "$rows" '{table: $t, map_id: $id, rows: $rows}'
		return 0
	fi
	echo "glb_tables[$table]: map id $id, $ROWS rows"
	echo "$rows" | jq -r '["ROW", "PRIMARY", "SECONDARY"], (.[] | [.row, .primary, .secondary]) | @tsv'
	echo "--- rows per primary"
	echo "$rows" | jq -r 'group_by(.primary)[] | "\(.[0].primary)\t\(length)"'
}

# ---- status

cmd_status() {
	need_root status "${ARGS[@]}"
	check_prereq bpftool:bpftool ip:iproute2 jq:jq
	local up=false prog_id="" attached="" binds='[]' tables='[]' stats='{}' src=""
	state_load || true
	is_up && up=true
	prog_id=$(pinned_id prog "$P_PROG")
	[ -z "${DEV:-}" ] || attached=$(xdp_prog_id "$DEV")
	if [ -n "$prog_id" ]; then
		trace bpftool map dump pinned "$P_BINDS"
		binds=$(bpftool -j map dump pinned "$P_BINDS" | jq -c "$JQ_BYTES"' [.[] |
			{vip: (.key | ip4(0)), port: (.key | be16(4)), proto: (if (.key | b | .[6]) == 6 then "tcp" else "udp" end),
			 table: (.value | le32(0))}] | sort_by(.vip, .port)')
		trace "$PINFILL" list "$P_TABLES"
		tables=$("$PINFILL" --json list "$P_TABLES" | jq -c '[.[] | {table: .key, map_id: .id, name}]')
		trace bpftool map dump pinned "$P_STATS"
		stats=$(bpftool -j map dump pinned "$P_STATS" | jq -c --arg names "${STATS[*]}" "$JQ_BYTES"' ($names | split(" ")) as $n |
			[.[] | {(.key | le32(0) | $n[.]): ([.values[].value | if type == "array" then le32(0) + le32(4) * 4294967296 else . end] | add)}] | add')
		trace bpftool map dump pinned "$P_CONFIG"
		src=$(bpftool -j map dump pinned "$P_CONFIG" | jq -r "$JQ_BYTES"' .[0].value | ip4(0)')
	fi
	if [ "$OPT_JSON" = 1 ]; then
		jq -n --argjson up "$up" --arg pin "$PIN" --arg dev "${DEV:-}" --arg ns "${NS:-}" --arg mode "${XDP_MODE:-}" \
			--arg prog "$prog_id" --arg att "$attached" --arg src "$src" --argjson binds "$binds" \
			--argjson tables "$tables" --argjson stats "$stats" \
			'{up: $up, pin_dir: $pin, netns: $ns, dev: $dev, mode: $mode, prog_id: ($prog | tonumber? // null),
			  attached: ($att != "" and $att == $prog), src: $src, binds: $binds, tables: $tables, stats: $stats}'
		return 0
	fi
	if [ "$up" != true ]; then
		if [ -f "$(state_file)" ] || [ -e "$PIN" ]; then
			echo "glb: incomplete: an earlier up did not finish; run '$PROG down'  (pins: $PIN)"
		else
			echo "glb: down  (pins: $PIN)"
		fi
		return 0
	fi
	echo "glb: up  (pins: $PIN)"
	echo "  glb_fwd id $prog_id on $DEV ($XDP_MODE)$([ "$attached" = "$prog_id" ] || echo ", NOT attached"), outer source $src"
	echo "--- binds (glb_binds)"
	echo "$binds" | jq -r '.[] | "  \(.vip):\(.port)/\(.proto) -> table \(.table)"'
	echo "--- tables (glb_tables: slot, inner map id, name)"
	echo "$tables" | jq -r '.[] | "  \(.table)\tmap id \(.map_id)\t\(.name)"'
	echo "--- packets (glb_stats, all CPUs)"
	echo "$stats" | jq -r 'to_entries[] | "  \(.key)\t\(.value)"'
}

# ---- flow: one crafted packet through glb_fwd

# RFC 1071 checksum of the IPv4 header bytes (decimal) given.
ip_csum() { # BYTE...
	local sum=0
	while [ $# -ge 2 ]; do
		sum=$((sum + ($1 << 8) + $2))
		shift 2
	done
	sum=$(((sum & 0xffff) + (sum >> 16)))
	sum=$(((sum & 0xffff) + (sum >> 16)))
	echo $((~sum & 0xffff))
}

# Ethernet + IPv4 + TCP SYN (or UDP with 6 bytes "bpflab"), L4 checksum 0: glb_fwd reads ports only.
write_frame() { # FILE SRC SPORT DST DPORT PROTO_NUM
	local file=$1 src=$2 dst=$4 proto=$6 l4 ip csum b out=""
	local -a l4b
	if [ "$proto" = 6 ]; then
		l4="$(port_bytes "$3") $(port_bytes "$5") 0 0 0 1 0 0 0 0 80 2 255 255 0 0 0 0"
	else
		l4="$(port_bytes "$3") $(port_bytes "$5") 0 14 0 0 98 112 102 108 97 98"
	fi
	read -ra l4b <<<"$l4"
	ip="69 0 $(port_bytes $((20 + ${#l4b[@]}))) 0 1 64 0 64 $proto"
	# shellcheck disable=SC2046,SC2086 # byte lists split on purpose
	csum=$(ip_csum $ip 0 0 $(ip_bytes "$src") $(ip_bytes "$dst"))
	# shellcheck disable=SC2046,SC2086 # byte lists split on purpose
	for b in 2 0 0 0 0 1 2 0 0 0 0 2 8 0 $ip $(port_bytes "$csum") $(ip_bytes "$src") $(ip_bytes "$dst") $l4; do
		out+=$(printf '\\x%02x' "$b")
	done
	printf '%b' "$out" >"$file"
}

cmd_flow() {
	need_root flow "${POS[@]}" "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq od:coreutils
	[ "${#POS[@]}" = 5 ] || usage_error "flow needs SRC SPORT VIP PORT PROTO"
	local src=${POS[0]} sport=${POS[1]} vip=${POS[2]} port=${POS[3]} proto ret table="" row="" id="" backend="" outer="" why
	ip_arg SRC "$src"
	port_arg SPORT "$sport"
	ip_arg VIP "$vip"
	port_arg PORT "$port"
	proto=$(proto_num "${POS[4]}")
	need_up
	FLOW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/glb-flow.XXXXXX")
	trap 'rm -rf "$FLOW_TMP"' EXIT
	write_frame "$FLOW_TMP/in" "$src" "$sport" "$vip" "$port" "$proto"
	trace bpftool prog run pinned "$P_PROG" data_in "$FLOW_TMP/in" data_out "$FLOW_TMP/out"
	[ "$DRY_RUN" = 1 ] && return 0
	ret=$(bpftool -j prog run pinned "$P_PROG" data_in "$FLOW_TMP/in" data_out "$FLOW_TMP/out" | jq -r .retval)
	table=$(bind_table "$vip" "$port" "$proto")
	[ -z "$table" ] || id=$(table_id "$table")
	[ -z "$id" ] || row=$(flow_row "$src" "$sport" "$vip" "$port" "$proto")
	if [ "$ret" = 3 ]; then
		# Ethernet (14) + outer IPv4: source at byte 26, destination at 30.
		outer=$(od -An -tu1 -j 26 -N 4 "$FLOW_TMP/out" | awk '{ print $1 "." $2 "." $3 "." $4 }')
		backend=$(od -An -tu1 -j 30 -N 4 "$FLOW_TMP/out" | awk '{ print $1 "." $2 "." $3 "." $4 }')
		why="row $row of table $table (map id $id) -> IP-in-IP $outer > $backend"
	elif [ -z "$table" ]; then
		why="$vip:$port/$(proto_name "$proto") is not bound"
	elif [ -z "$id" ]; then
		why="bound to table $table, but glb_tables[$table] is empty"
	else
		why="row $row of table $table (map id $id) is empty"
	fi
	if [ "$OPT_JSON" = 1 ]; then
		jq -n --argjson ret "$ret" --arg act "${ACTIONS[$ret]:-$ret}" --arg table "$table" --arg row "$row" \
			--arg id "$id" --arg backend "$backend" --arg outer "$outer" \
			'{retval: $ret, action: $act, table: ($table | tonumber? // null), map_id: ($id | tonumber? // null),
			  row: ($row | tonumber? // null), backend: (if $backend == "" then null else $backend end),
			  outer_src: (if $outer == "" then null else $outer end)}'
		return 0
	fi
	echo "$src:$sport > $vip:$port/$(proto_name "$proto"): ${ACTIONS[$ret]:-$ret}, $why"
}

OPT_DEV="" OPT_SRC="" OPT_JSON=0 ACTION=""
ARGS=() POS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--dev)
		[ $# -ge 2 ] || usage_error "--dev needs an interface name"
		OPT_DEV=$2 ARGS+=("$1" "$2")
		shift
		;;
	--src)
		[ $# -ge 2 ] || usage_error "--src needs an IPv4 address"
		OPT_SRC=$2 ARGS+=("$1" "$2")
		shift
		;;
	--json) OPT_JSON=1 ARGS+=("$1") ;;
	-*)
		parse_common_opt "$1" || usage_error "unknown option '$1'"
		ARGS+=("$1")
		;;
	*)
		if [ -z "$ACTION" ]; then
			case "$1" in
			up | down | status | bind | unbind | table | flow) ACTION=$1 ;;
			*) usage_error "unknown subcommand '$1'" ;;
			esac
		else
			case "$ACTION" in
			bind | unbind | table | flow) POS+=("$1") ;;
			*) usage_error "unknown argument '$1'" ;;
			esac
		fi
		;;
	esac
	shift
done
[ -n "$ACTION" ] || usage_error "missing subcommand"
"cmd_$ACTION"
