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

LAB_SUBCMDS="up down status demo bind:4 unbind:3 table:2-1000 flow:5"
LAB_LOCKED="up down demo bind unbind table"
LAB_JSON=1
LAB_UP_PINS="glb_fwd"
LAB_NEEDS="prog:xdp prog:sched_cls map:hash map:array_of_maps map:array"
lab_env GLB_NS bpflab-glb name # namespace prefix: GLB_NS-client, -router, -dir, -b1...
lab_env GLB_BACKENDS 3 int:2:3
lab_env GLB_VIP 198.19.1.1 ip
lab_env GLB_PORT 80 port
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

table_arg() { # TABLE
	[[ "$1" =~ ^[0-9]+$ ]] || usage_error "table '$1' is not a number"
	[ "$((10#$1))" -lt 4096 ] || die "table $1 out of range: glb_tables has 4096 slots (0..4095)"
}

u32_bytes() { echo "$(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255))"; }

# bpftool -j prints bytes as ["0xc6", ...]: these jq functions turn them back into values.
JQ_BYTES='def b: map(ltrimstr("0x") | explode | map(if . >= 97 then . - 87 elif . >= 65 then . - 55 else . - 48 end) | .[0] * 16 + .[1]);
def ip4(o): b | "\(.[o]).\(.[o + 1]).\(.[o + 2]).\(.[o + 3])";
def be16(o): b | .[o] * 256 + .[o + 1];
def le32(o): b | .[o] + .[o + 1] * 256 + .[o + 2] * 65536 + .[o + 3] * 16777216;
def hex4: [(. / 4096 | floor), (. / 256 | floor) % 16, (. / 16 | floor) % 16, . % 16] | map("0123456789abcdef"[.:. + 1]) | join("");'

# ---- up / down

cmd_up() {
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
	local key t=$4
	key=$(bind_key "$1" "$2" "$3")
	table_arg "$t"
	need_up
	# shellcheck disable=SC2086,SC2046 # byte lists
	run bpftool map update pinned "$PIN/glb_binds" key $key value $(u32_bytes "$((10#$t))")
	[ "$DRY_RUN" = 1 ] || "$PINFILL" list "$PIN/glb_tables" | awk -v t="$((10#$t))" '$1 == t { f = 1 } END { exit !f }' ||
		info "note: glb_tables[$t] holds no table yet: the bind's packets pass until '$PROG table fill $t BACKEND...'"
}

cmd_unbind() {
	local key
	key=$(bind_key "$@")
	need_up
	# shellcheck disable=SC2086 # byte lists
	[ "$DRY_RUN" = 1 ] || bpftool map lookup pinned "$PIN/glb_binds" key $key >/dev/null 2>&1 ||
		die "$1:$2/$3 is not bound" "see the binds with: $PROG status"
	# shellcheck disable=SC2086 # byte lists
	run bpftool map delete pinned "$PIN/glb_binds" key $key
}

cmd_table() {
	local sub=$1 t=$2
	case "$sub" in
	fill) [ $# -ge 3 ] || die "no backends: table fill needs TABLE BACKEND[:STATE]..." ;;
	load) [ $# = 3 ] || usage_error "table load needs TABLE FILE" ;;
	show) [ $# -le 3 ] || usage_error "table show needs TABLE [--rows]" ;;
	del) [ $# = 2 ] || usage_error "table del needs TABLE" ;;
	*) usage_error "unknown table subcommand '$sub'" ;;
	esac
	table_arg "$t"
	need_up
	local -a json=()
	[ "$OPT_JSON" = 0 ] || json=(--json)
	case "$sub" in
	show) "$GLBTABLE" "${json[@]}" -d "$PIN" show "${@:2}" ;;
	del)
		[ "$DRY_RUN" = 1 ] || "$PINFILL" list "$PIN/glb_tables" | awk -v t="$((10#$t))" '$1 == t { f = 1 } END { exit !f }' ||
			die "glb_tables[$t] is empty already"
		run "$PINFILL" del "$PIN/glb_tables" "$((10#$t))"
		;;
	*) run "$GLBTABLE" "${json[@]}" -d "$PIN" "$sub" "${@:2}" ;;
	esac
}

# ---- status

cmd_status() {
	check_prereq bpftool:bpftool jq:jq
	local up=false prog_id="" binds='[]' tables='[]' stats='{}' redir='{}'
	is_up && up=true
	prog_id=$(pinned_id prog "$P_PROG")
	if [ -n "$prog_id" ]; then
		trace bpftool map dump pinned "$PIN/glb_binds"
		binds=$(bpftool -j map dump pinned "$PIN/glb_binds" | jq -c "$JQ_BYTES"' [.[] |
			{vip: (if (.key | b | .[0:4]) != [0,0,0,0] then (.key | ip4(0)) else (.key | b | [range(4; 20; 2) as $i | (.[$i] * 256 + .[$i + 1]) | hex4] | join(":")) end),
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
	lab_status_header || return 0
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
	check_prereq bpftool:bpftool jq:jq
	bind_key "$3" "$4" "$5" >/dev/null
	need_up
	local tmp ret
	local -a json=()
	[ "$OPT_JSON" = 0 ] || json=(--json)
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/glb-flow.XXXXXX")
	# shellcheck disable=SC2064 # the path is fixed now
	trap "rm -rf '$tmp'" EXIT
	run "$GLBTABLE" frame "$@" "$tmp/in" || exit 2
	trace bpftool prog run pinned "$P_PROG" data_in "$tmp/in" data_out "$tmp/out"
	[ "$DRY_RUN" = 1 ] && return 0
	ret=$(bpftool -j prog run pinned "$P_PROG" data_in "$tmp/in" data_out "$tmp/out" | jq -r .retval)
	if [ "$ret" = 3 ]; then
		trace "$GLBTABLE" -d "$PIN" flow --check "$tmp/out" "$@"
		"$GLBTABLE" "${json[@]}" -d "$PIN" flow --check "$tmp/out" "$@"
	elif [ "$OPT_JSON" = 1 ]; then
		jq -n --arg a "${ACTIONS[$ret]:-$ret}" '{action: $a}'
	else
		echo "glb_fwd: ${ACTIONS[$ret]:-$ret}"
		"$GLBTABLE" -d "$PIN" flow "$@" || true
	fi
}

OPT_HASH=0
lab_option() {
	case "$1" in
	--hash)
		lab_optarg "$@"
		case "$2" in src) OPT_HASH=0 ;; 5tuple) OPT_HASH=1 ;; *) usage_error "--hash '$2' is neither src nor 5tuple" ;; esac
		;;
	--rows) LAB_ARGS+=("$1") ;; # table show TABLE --rows
	*) return 1 ;;
	esac
}

lab_main "$@"
