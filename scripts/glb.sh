#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# GLB lab: a GLB director in XDP (glb_fwd) with GitHub GLB's maps and GUE encapsulation,
# tables filled by rendezvous hashing and swapped whole, and the backends' second chance
# (glb_redirect, tc) that keeps connections alive across table changes. Topology and
# addresses: scripts/lib/glbnet.sh. Table work and flow prediction: tools/glbtable.c.
set -euo pipefail

PROG=glb.sh
LAB=glb
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/lib/lab.sh"
# shellcheck source=scripts/lib/glbnet.sh
. "$(dirname "$0")/lib/glbnet.sh"
# shellcheck source=scripts/lib/glbdemo.sh
. "$(dirname "$0")/lib/glbdemo.sh"

GLB_NS=${GLB_NS-bpflab-glb}           # namespace prefix: GLB_NS-client, -router, -dir, -b1...
GLB_BACKENDS=${GLB_BACKENDS-3}
GLB_VIP=${GLB_VIP-198.19.1.1}
GLB_PORT=${GLB_PORT-80}
STATS=(other no_bind no_table empty_row encap error)
ACTIONS=(XDP_ABORTED XDP_DROP XDP_PASS XDP_TX XDP_REDIRECT)
OBJ=$BUILD_DIR/glb.bpf.o
OBJ_PEER=$BUILD_DIR/glb_peer.bpf.o
OBJ_REDIRECT=$BUILD_DIR/glb_redirect.bpf.o
GLBTABLE=$BUILD_DIR/glbtable

usage() {
	cat <<EOF
Usage: $PROG [options] up | down | status | demo
       $PROG [options] bind VIP PORT PROTO TABLE | unbind VIP PORT PROTO
       $PROG [options] table fill TABLE BACKEND[:STATE]... | table load TABLE FILE
       $PROG [options] table show TABLE [--rows] | table del TABLE
       $PROG [options] flow SRC SPORT VIP PORT PROTO

  up          client, router, director and $GLB_BACKENDS backend namespaces; glb_fwd (XDP) on the
              director, glb_redirect (tc) on every backend, a TCP server on $GLB_VIP:$GLB_PORT
  down        remove everything up made (idempotent, also after a failed or killed up)
  status      programs, binds, tables (inner map ids), packet counters (--json)
  demo        a connection survives a table change through second chance; a new one
              goes to the new primary
  bind        glb_binds[VIP:PORT/PROTO] = TABLE (IPv4 or IPv6 VIP, tcp or udp, TABLE 0..4095)
  table fill  rendezvous-hash BACKEND[:active|draining|filling]... into a NEW 65536-row table,
              fill it in one batch, swap it into glb_tables[TABLE] with one update
  table load  the same from FILE ("PRIMARY [SECONDARY]" per line, 2^k lines repeated)
  table show  map id, key, rows per backend (--rows: all 65536)  (--json)
  table del   empty glb_tables[TABLE]
  flow        predict the row and backends of a packet (tools/glbtable.c), run glb_fwd on it
              with 'bpftool prog run' and check the GUE packet it builds matches (--json)

Options:
  --hash src|5tuple  (up) flow hash input: source address (default, as GLB) or the 5-tuple
  --json        status, table show, flow as JSON
  --step        pause before each command
  --dry-run     print the commands, change nothing
  -v, --verbose show the output of commands that may fail
  -h, --help    this help

Environment: BPFLAB_PIN (pins in \$BPFLAB_PIN/glb), GLB_NS (namespace prefix, default bpflab-glb),
GLB_BACKENDS (2 or 3), GLB_VIP, GLB_PORT.
EOF
}

PIN=$(pin_dir)
P_PROG=$PIN/glb_fwd
GLB_RUNDIR=$(state_file).d

is_up() {
	state_load && [ "${COMPLETE:-0}" = 1 ] && [ -e "$P_PROG" ]
}

need_up() {
	[ "$DRY_RUN" = 1 ] && return 0
	is_up || die "the glb lab is not up" "run: $PROG up"
}

check_env() {
	[[ "$GLB_NS" =~ ^[A-Za-z0-9_.-]{1,24}$ ]] || usage_error "GLB_NS '$GLB_NS' is not a name prefix ([A-Za-z0-9_.-], 1..24)"
	[[ "$GLB_BACKENDS" =~ ^[23]$ ]] || usage_error "GLB_BACKENDS '$GLB_BACKENDS' is not 2 or 3"
	is_ipv4 "$GLB_VIP" || usage_error "GLB_VIP '$GLB_VIP' is not an IPv4 address"
	if ! [[ "$GLB_PORT" =~ ^[1-9][0-9]{0,4}$ ]] || [ "$GLB_PORT" -gt 65535 ]; then usage_error "GLB_PORT '$GLB_PORT' is not a port"; fi
}

is_ipv4() { # A.B.C.D, each 0..255 without leading zeros
	[[ "$1" =~ ^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$ ]] || return 1
	local i
	for i in 1 2 3 4; do [ "${BASH_REMATCH[$i]}" -le 255 ] || return 1; done
}

table_arg() { # TABLE
	[[ "$1" =~ ^[0-9]+$ ]] || usage_error "table '$1' is not a number"
	[ "$((10#$1))" -lt 4096 ] || die "table $1 out of range: glb_tables has 4096 slots (0..4095)"
}

u32_bytes() { echo "$(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255))"; }

# bpftool -j prints bytes as ["0xc6", ...]: these jq functions turn them back into values.
JQ_BYTES='def b: map(ltrimstr("0x") | explode | map(if . >= 97 then . - 87 elif . >= 65 then . - 55 else . - 48 end) | .[0] * 16 + .[1]);
def ip4(o): b | "\(.[o]).\(.[o + 1]).\(.[o + 2]).\(.[o + 3])";
def be16(o): b | .[o] * 256 + .[o + 1];
def le32(o): b | .[o] + .[o + 1] * 256 + .[o + 2] * 65536 + .[o + 3] * 16777216;'

# ---- up / down

cmd_up() {
	need_root up "${ARGS[@]}"
	check_prereq bpftool:bpftool ip:iproute2 tc:iproute2 jq:jq nsenter:util-linux socat:socat ethtool:ethtool
	check_btf
	check_bpffs
	check_built "$OBJ" "$OBJ_PEER" "$OBJ_REDIRECT" "$GLBTABLE"
	NS="" DEV=""
	lab_up_begin || return 0
	lab_up_rollback_on_failure
	state_set GLB_NS "$GLB_NS"
	glb_topology_up
	run mkdir -p "$PIN/peer"
	# pinmaps: glb_binds, glb_tables (with its inner-map template), glb_secrets, glb_config, glb_stats, xdpcap_hook.
	run bpftool prog load "$OBJ" "$P_PROG" pinmaps "$PIN"
	# glb_config: outer source (the director), flags (1 = hash the 5-tuple).
	# shellcheck disable=SC2046 # byte lists
	run bpftool map update pinned "$PIN/glb_config" key 0 0 0 0 value ${GLB_DIR_IP//./ } $(u32_bytes "$OPT_HASH")
	# XDP_TX frames reach the router only if its end runs XDP itself (bpf/glb_peer.bpf.c).
	run bpftool prog load "$OBJ_PEER" "$PIN/peer/glb_peer"
	glb_nsexec router bpftool net attach xdpdrv pinned "$PIN/peer/glb_peer" dev d0
	glb_nsexec dir bpftool net attach xdpdrv pinned "$P_PROG" dev eth0
	glb_backends_up
	glb_servers_up
	lab_up_done
	[ "$DRY_RUN" = 1 ] && return 0
	echo "glb is up: glb_fwd on $(glb_ns dir)/eth0 ($GLB_DIR_IP), backends $(glb_backends); pins in $PIN"
	echo "  $PROG bind $GLB_VIP $GLB_PORT tcp 0"
	echo "  $PROG table fill 0 $(glb_backends)"
	echo "  $PROG flow $GLB_CLIENT_IP 40000 $GLB_VIP $GLB_PORT tcp      $PROG demo"
}

cmd_down() {
	need_root down "${ARGS[@]}"
	check_prereq bpftool:bpftool ip:iproute2 jq:jq
	local had_state=0
	GLB_NAMES=""
	lab_down_begin && had_state=1
	# The namespaces take their devices, XDP and tc programs and the servers with them.
	glb_topology_down
	[ ! -d "$GLB_RUNDIR" ] || run_quiet rm -rf "$GLB_RUNDIR"
	# The tables are held only by glb_tables: they go with its pin.
	lab_down_finish "$had_state" "$PIN/xdpcap_hook"
}

# ---- binds and tables

bind_key() { # VIP PORT PROTO: glb_binds key bytes (glbtable validates: exit 2 on bad input)
	local k
	k=$("$GLBTABLE" key "$@" 2>&1) || usage_error "$(head -n1 <<<"$k" | sed 's/^glbtable: //')"
	echo "$k"
}

cmd_bind() {
	need_root bind "${POS[@]}" "${ARGS[@]}"
	[ "${#POS[@]}" = 4 ] || usage_error "bind needs VIP PORT PROTO TABLE"
	local key t=${POS[3]}
	key=$(bind_key "${POS[@]:0:3}")
	table_arg "$t"
	need_up
	# shellcheck disable=SC2086,SC2046 # byte lists
	run bpftool map update pinned "$PIN/glb_binds" key $key value $(u32_bytes "$((10#$t))")
	[ "$DRY_RUN" = 1 ] || "$PINFILL" list "$PIN/glb_tables" | awk -v t="$((10#$t))" '$1 == t { f = 1 } END { exit !f }' ||
		info "note: glb_tables[$t] holds no table yet: the bind's packets pass until '$PROG table fill $t BACKEND...'"
}

cmd_unbind() {
	need_root unbind "${POS[@]}" "${ARGS[@]}"
	[ "${#POS[@]}" = 3 ] || usage_error "unbind needs VIP PORT PROTO"
	local key
	key=$(bind_key "${POS[@]}")
	need_up
	# shellcheck disable=SC2086 # byte lists
	[ "$DRY_RUN" = 1 ] || bpftool map lookup pinned "$PIN/glb_binds" key $key >/dev/null 2>&1 ||
		die "${POS[0]}:${POS[1]}/${POS[2]} is not bound" "see the binds with: $PROG status"
	# shellcheck disable=SC2086 # byte lists
	run bpftool map delete pinned "$PIN/glb_binds" key $key
}

cmd_table() {
	[ "${#POS[@]}" -ge 2 ] || usage_error "table needs fill, load, show or del, and TABLE"
	local sub=${POS[0]} t=${POS[1]}
	need_root table "${POS[@]}" "${ARGS[@]}"
	case "$sub" in
	fill) [ "${#POS[@]}" -ge 3 ] || die "no backends: table fill needs TABLE BACKEND[:STATE]..." ;;
	load) [ "${#POS[@]}" = 3 ] || usage_error "table load needs TABLE FILE" ;;
	show) [ "${#POS[@]}" -le 3 ] || usage_error "table show needs TABLE [--rows]" ;;
	del) [ "${#POS[@]}" = 2 ] || usage_error "table del needs TABLE" ;;
	*) usage_error "unknown table subcommand '$sub'" ;;
	esac
	table_arg "$t"
	need_up
	local -a json=()
	[ "$OPT_JSON" = 0 ] || json=(--json)
	case "$sub" in
	show) "$GLBTABLE" "${json[@]}" -d "$PIN" show "${POS[@]:1}" ;;
	del)
		[ "$DRY_RUN" = 1 ] || "$PINFILL" list "$PIN/glb_tables" | awk -v t="$((10#$t))" '$1 == t { f = 1 } END { exit !f }' ||
			die "glb_tables[$t] is empty already"
		run "$PINFILL" del "$PIN/glb_tables" "$((10#$t))"
		;;
	*) run "$GLBTABLE" "${json[@]}" -d "$PIN" "$sub" "${POS[@]:1}" ;;
	esac
}

# ---- status

cmd_status() {
	need_root status "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq
	local up=false prog_id="" binds='[]' tables='[]' stats='{}' redir='{}'
	is_up && up=true
	prog_id=$(pinned_id prog "$P_PROG")
	if [ -n "$prog_id" ]; then
		trace bpftool map dump pinned "$PIN/glb_binds"
		binds=$(bpftool -j map dump pinned "$PIN/glb_binds" | jq -c "$JQ_BYTES"' [.[] |
			{vip: (if (.key | b | .[0:4]) != [0,0,0,0] then (.key | ip4(0)) else (.key | b | .[4:20] | map(. + 256 | tostring) | join(":")) end),
			 port: (.key | be16(22)), proto: (if (.key | b | .[20]) == 6 then "tcp" else "udp" end),
			 table: (.value | le32(0))}] | sort_by(.vip, .port)')
		trace "$PINFILL" list "$PIN/glb_tables"
		tables=$("$PINFILL" --json list "$PIN/glb_tables" | jq -c '[.[] | {table: .key, map_id: .id, name}]')
		trace bpftool map dump pinned "$PIN/glb_stats"
		stats=$(bpftool -j map dump pinned "$PIN/glb_stats" | jq -c --arg names "${STATS[*]}" "$JQ_BYTES"' ($names | split(" ")) as $n |
			[.[] | {(.key | le32(0) | $n[.]): ([.values[].value | if type == "array" then le32(0) + le32(4) * 4294967296 else . end] | add)}] | add')
		redir=$(glb_redirect_stats)
	fi
	if [ "$OPT_JSON" = 1 ]; then
		jq -n --argjson up "$up" --arg pin "$PIN" --arg prog "$prog_id" --argjson binds "$binds" \
			--argjson tables "$tables" --argjson stats "$stats" --argjson redir "$redir" \
			'{up: $up, pin_dir: $pin, prog_id: ($prog | tonumber? // null), binds: $binds, tables: $tables,
			  stats: $stats, second_chance: $redir}'
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
	echo "  glb_fwd id $prog_id on $(glb_ns dir)/eth0, backends $(glb_backends)"
	echo "--- binds (glb_binds)"
	echo "$binds" | jq -r '.[] | "  \(.vip):\(.port)/\(.proto) -> table \(.table)"'
	echo "--- tables (glb_tables: slot, inner map id, name)"
	echo "$tables" | jq -r '.[] | "  \(.table)\tmap id \(.map_id)\t\(.name)"'
	echo "--- director packets (glb_stats, all CPUs)"
	echo "$stats" | jq -r 'to_entries[] | "  \(.key)\t\(.value)"'
	echo "--- second chance (glb_redirect_stats per backend)"
	echo "$redir" | jq -r 'to_entries[] | "  \(.key)\t\(.value | to_entries | map("\(.key) \(.value)") | join(", "))"'
}

# ---- flow: predicted by glbtable, checked against one run of glb_fwd

cmd_flow() {
	need_root flow "${POS[@]}" "${ARGS[@]}"
	check_prereq bpftool:bpftool jq:jq
	[ "${#POS[@]}" = 5 ] || usage_error "flow needs SRC SPORT VIP PORT PROTO"
	bind_key "${POS[@]:2:3}" >/dev/null
	need_up
	local tmp ret
	local -a json=()
	[ "$OPT_JSON" = 0 ] || json=(--json)
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/glb-flow.XXXXXX")
	# shellcheck disable=SC2064 # the path is fixed now
	trap "rm -rf '$tmp'" EXIT
	run "$GLBTABLE" frame "${POS[@]}" "$tmp/in" || exit 2
	trace bpftool prog run pinned "$P_PROG" data_in "$tmp/in" data_out "$tmp/out"
	[ "$DRY_RUN" = 1 ] && return 0
	ret=$(bpftool -j prog run pinned "$P_PROG" data_in "$tmp/in" data_out "$tmp/out" | jq -r .retval)
	if [ "$ret" = 3 ]; then
		trace "$GLBTABLE" -d "$PIN" flow --check "$tmp/out" "${POS[@]}"
		"$GLBTABLE" "${json[@]}" -d "$PIN" flow --check "$tmp/out" "${POS[@]}"
	elif [ "$OPT_JSON" = 1 ]; then
		jq -n --arg a "${ACTIONS[$ret]:-$ret}" '{action: $a}'
	else
		echo "glb_fwd: ${ACTIONS[$ret]:-$ret}"
		"$GLBTABLE" -d "$PIN" flow "${POS[@]}" || true
	fi
}

OPT_JSON=0 OPT_HASH=0 ACTION=""
ARGS=() POS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--hash)
		[ $# -ge 2 ] || usage_error "--hash needs src or 5tuple"
		case "$2" in src) OPT_HASH=0 ;; 5tuple) OPT_HASH=1 ;; *) usage_error "--hash '$2' is neither src nor 5tuple" ;; esac
		ARGS+=("$1" "$2")
		shift
		;;
	--json) OPT_JSON=1 ARGS+=("$1") ;;
	--rows) POS+=("$1") ;;
	-*)
		parse_common_opt "$1" || usage_error "unknown option '$1'"
		ARGS+=("$1")
		;;
	*)
		if [ -z "$ACTION" ]; then
			case "$1" in
			up | down | status | demo | bind | unbind | table | flow) ACTION=$1 ;;
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
check_env
"cmd_$ACTION"
