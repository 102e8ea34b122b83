# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# scripts/check.sh tailcall, chain, xdpcap, bpf2bpf: the student's object and the solution's
# are loaded side by side under CK_PIN and run with BPF_PROG_TEST_RUN (bpftool prog run) on
# frames from scripts/frame.sh; what differs is reported.

# The retval of one test run of pinned program PIN on frame file FRAME ("error" if it fails);
# ARGS go on to bpftool (e.g. data_out FILE).
ck_run() { # PIN FRAME [ARGS...]
	vtrace bpftool prog run pinned "$1" data_in "$2" "${@:3}"
	bpftool -j prog run pinned "$1" data_in "$2" "${@:3}" 2>/dev/null | jq -r '.retval // "error" | if type == "number" and . >= 2147483648 then . - 4294967296 else . end' 2>/dev/null || echo error
}

# pinfill, quiet unless -v; fails as pinfill does.
ck_pinfill() {
	vtrace "$PINFILL" "$@"
	"$PINFILL" "$@" >/dev/null 2>&1
}

ck_frame() { # KIND FILE
	"$BPFLAB_ROOT/scripts/frame.sh" "$1" >"$2"
}

# Record check "programs": OBJ has every program NAME... (any section).
ck_want_progs() { # OBJ WHAT NAME...
	local obj=$1 what=$2 missing=() p
	shift 2
	for p in "$@"; do
		ck_has_prog "$obj" "$p" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		ck_result programs fail "$what: missing ${missing[*]} (keep the starter's function names; the checker runs them by name)"
		return 1
	fi
	ck_result programs pass "$what: $*"
}

# ---- tail calls: entry's return value as the slots of jmp_table are emptied, student vs solution.
tailcall_sequence() { # DIR MAPDIR FRAME -> "r1 r2 ..." over the states below
	local d=$1 m=$2 fr=$3 out=()
	ck_pinfill fill "$m/jmp_table" "$d" 'classifier_%d' || true
	out+=("$(ck_run "$d/entry" "$fr")")
	ck_pinfill del "$m/jmp_table" 2 || true
	out+=("$(ck_run "$d/entry" "$fr")")
	ck_pinfill del "$m/jmp_table" 1 || true
	out+=("$(ck_run "$d/entry" "$fr")")
	ck_pinfill del "$m/jmp_table" 0 || true
	out+=("$(ck_run "$d/entry" "$fr")")
	ck_pinfill fill "$m/jmp_table" "$d" 'classifier_%d' || true
	ck_pinfill del "$m/jmp_table" 1 || true
	out+=("$(ck_run "$d/entry" "$fr")")
	ck_pinfill clear "$m/jmp_table" || true
	echo "${out[*]}"
}

grade_tailcall() { # OBJ
	local obj=$1 s=$CK_PIN/student r=$CK_PIN/solution fr=$CK_TMP/udp.bin want got
	ck_want_section "$obj" 'tc programs (SEC("tc"))' 'tc|classifier' || return 1
	ck_want_progs "$obj" "the jump-table programs" entry classifier_0 classifier_1 classifier_2 || return 1
	ck_load "$obj" "$s" pinmaps "${s}_maps" || return 1
	[ -e "${s}_maps/jmp_table" ] || { ck_result jmp_table fail "no map named jmp_table (a BPF_MAP_TYPE_PROG_ARRAY)"; return 1; }
	bpftool prog loadall "$BUILD_DIR/tailcall.bpf.o" "$r" pinmaps "${r}_maps" >/dev/null 2>&1 ||
		die "cannot load the solution $BUILD_DIR/tailcall.bpf.o" "run 'make'"
	CK_CLEANUP+=("$PINFILL clear ${s}_maps/jmp_table" "$PINFILL clear ${r}_maps/jmp_table")
	ck_frame udp "$fr"
	want=$(tailcall_sequence "$r" "${r}_maps" "$fr")
	got=$(tailcall_sequence "$s" "${s}_maps" "$fr")
	local states="full table | slot 2 emptied | slots 1-2 emptied | all emptied | full but slot 1"
	if [ "$got" = "$want" ]; then
		ck_result retvals pass "entry returned $got as the slots were emptied ($states), as the solution"
	else
		ck_result retvals fail "entry's return values differ from the solution's as the slots are emptied" \
			"states:    $states"$'\n'"expected:  $want"$'\n'"got:       $got"$'\n'"A program returns its own number only when its tail call fails (the slot is empty): a successful tail call never comes back."
	fi
	ck_has_prog "$obj" loop_self || return 0
	ck_pinfill set "${s}_maps/loop_table" 0 "$s/loop_self" || true
	ck_pinfill set "${r}_maps/loop_table" 0 "$r/loop_self" || true
	CK_CLEANUP+=("$PINFILL clear ${s}_maps/loop_table" "$PINFILL clear ${r}_maps/loop_table")
	want=$(ck_run "$r/loop_start" "$fr") got=$(ck_run "$s/loop_start" "$fr")
	if [ "$got" = "$want" ]; then
		ck_result limit pass "loop_start returned $got: the kernel stopped loop_self after $got tail calls"
	else
		ck_result limit fail "loop_start returned $got, the solution $want (the number of tail calls the kernel allows)" \
			"loop_self must count itself in skb->cb[0] and tail-call loop_table slot 0 (itself) until that fails."
	fi
}

# ---- chain member: in slot 4 between two solution members (xdp_count) in slots 1 and 7.
grade_chain() { # OBJ
	local obj=$1 c=$CK_PIN/chain fr=$CK_TMP/udp.bin reuse=() m slot runs want got
	ck_want_section "$obj" 'an XDP chain member (SEC("xdp"))' 'xdp' || return 1
	if ! ck_has_map "$obj" root_array; then
		ck_result chain fail "no map root_array: a member includes \"chain.bpf.h\" and ends with return chain_next(ctx, verdict);"
		return 1
	fi
	mkdir -p "$c"
	bpftool prog load "$BUILD_DIR/xdp_root.bpf.o" "$c/xdp_root" pinmaps "$c" >/dev/null 2>&1 ||
		die "cannot load the solution $BUILD_DIR/xdp_root.bpf.o" "run 'make'"
	CK_CLEANUP+=("$PINFILL clear $c/root_array" "$PINFILL clear $c/xdpcap_hook")
	for m in root_array chain_cfg chain_runs xdpcap_hook; do reuse+=(map name "$m" pinned "$c/$m"); done
	ck_load "$obj" "$c/s4" type xdp "${reuse[@]}" pinmaps "$c/s4" || return 1
	for slot in 1 7; do
		bpftool prog loadall "$BUILD_DIR/xdp_count.bpf.o" "$c/s$slot" type xdp "${reuse[@]}" pinmaps "$c/s$slot" >/dev/null 2>&1 ||
			die "cannot load the solution $BUILD_DIR/xdp_count.bpf.o" "run 'make'"
		ck_pinfill set "$c/root_array" "$slot" "$c/s$slot/xdp_count"
	done
	if ! ck_pinfill set "$c/root_array" 4 "$c/s4/$CK_PROG"; then
		ck_result chain fail "$CK_PROG does not fit into root_array (the kernel refused it): $("$PINFILL" set "$c/root_array" 4 "$c/s4/$CK_PROG" 2>&1 | head -n 1)"
		return 1
	fi
	ck_frame udp "$fr"
	got=$(ck_run "$c/xdp_root" "$fr")
	# chain_runs (per CPU): slot:runs of every slot that ran. Each exactly once: a member that
	# restarted the chain would run twice.
	runs=$(bpftool -j map dump pinned "$c/chain_runs" | jq -r '[.[] | (.formatted // .) | ([.values[].value] | add) as $n | select($n > 0) | "\(.key)\(if $n > 1 then ":\($n)x" else "" end)"] | join(" ")')
	if [ "$runs" = "1 4 7" ] && [ "$got" = 2 ]; then
		ck_result chain pass "in slot 4 of a chain with members in slots 1 and 7: ran after slot 1, slot 7 ran after it, the chain passed the frame"
	else
		ck_result chain fail "in slot 4 between members in slots 1 and 7, slots [$runs] counted a run (want [1 4 7])$([ "$got" = 2 ] || echo " and the root returned $got (want 2, XDP_PASS)")" \
			"A member must end with return chain_next(ctx, verdict); (bpf/chain.bpf.h): that counts its run and tail-calls the next occupied slot."
	fi
	# What the member does on its own, frame by frame, against xdp_count (the solution) alone.
	ck_has_prog "$obj" xdp_count || return 0
	bpftool prog load "$BUILD_DIR/xdp_count.bpf.o" "$CK_PIN/solo" pinmaps "$CK_PIN/solo_maps" >/dev/null 2>&1 || return 0
	bpftool prog loadall "$obj" "$CK_PIN/mine" pinmaps "$CK_PIN/mine_maps" >/dev/null 2>&1 || return 0
	for m in udp tcp-syn icmp-echo-reply icmp6-echo-request arp; do
		ck_frame "$m" "$fr"
		ck_run "$CK_PIN/solo" "$fr" >/dev/null
		ck_run "$CK_PIN/mine/xdp_count" "$fr" >/dev/null
	done
	want=$(bpftool -j map dump pinned "$CK_PIN/solo_maps/proto_count" | jq -c '[.[] | (.formatted // .) | select(.value > 0) | {(.key | tostring): .value}] | add')
	got=$(bpftool -j map dump pinned "$CK_PIN/mine_maps/proto_count" 2>/dev/null | jq -c '[.[] | (.formatted // .) | select(.value > 0) | {(.key | tostring): .value}] | add // "{} (nothing counted)"' || echo none)
	if [ "$got" = "$want" ]; then
		ck_result counts pass "proto_count after UDP, TCP, ICMP, ICMPv6 and ARP frames: $got"
	else
		ck_result counts fail "proto_count after UDP, TCP, ICMP, ICMPv6 and ARP frames is $got, the solution's $want (key: IP protocol, 255 for not IP)"
	fi
}

# ---- xdpcap: the program leaves through xdpcap_hook. Each hook slot gets a capture program
# that returns a *different* action (bpf/xdpcap_dump.bpf.c: slot DROP -> xcdump_pass,
# slot PASS -> xcdump_tx): a verdict that went through the hook comes out changed.
grade_xdpcap() { # OBJ
	local obj=$1 s=$CK_PIN/student x=$CK_PIN/xcdump fr=$CK_TMP/f.bin kind want got bad=""
	ck_want_section "$obj" 'an XDP program (SEC("xdp"))' 'xdp' || return 1
	if ! ck_has_map "$obj" xdpcap_hook; then
		ck_result hook fail "no map xdpcap_hook: include \"xdpcap.bpf.h\" and end with return xdpcap_exit(ctx, &xdpcap_hook, verdict);"
		return 1
	fi
	ck_load "$obj" "$s" pinmaps "${s}_maps" || return 1
	bpftool prog loadall "$BUILD_DIR/xdpcap_dump.bpf.o" "$x" pinmaps "${x}_maps" >/dev/null 2>&1 ||
		die "cannot load $BUILD_DIR/xdpcap_dump.bpf.o" "run 'make'"
	CK_CLEANUP+=("$PINFILL clear ${s}_maps/xdpcap_hook")
	for kind in icmp-echo-reply udp; do
		ck_frame "$kind" "$fr"
		ck_pinfill clear "${s}_maps/xdpcap_hook" || true
		want=$(ck_run "$s/$CK_PROG" "$fr")
		case "$want" in 1) want=2 ;; 2) want=3 ;; *) continue ;; esac
		ck_pinfill set "${s}_maps/xdpcap_hook" 1 "$x/xcdump_pass"
		ck_pinfill set "${s}_maps/xdpcap_hook" 2 "$x/xcdump_tx"
		got=$(ck_run "$s/$CK_PROG" "$fr")
		[ "$got" = "$want" ] || bad+="$kind frame: returned $got with the hook filled (want $want, what the capture program in the hook returns)"$'\n'
	done
	if [ -z "$bad" ]; then
		ck_result hook pass "verdicts go out through xdpcap_hook (the capture program in the slot decided them)"
	else
		ck_result hook fail "the program does not leave through xdpcap_hook" \
			"${bad}Its last statement must be return xdpcap_exit(ctx, &xdpcap_hook, verdict); a return before it bypasses the hook."
	fi
}

# ---- bpf2bpf: the tracepoint pair reaches handle_new_connection() with a pseudo call, and a
# loopback connection produces both events (out from the client, in from the server).
grade_bpf2bpf() { # OBJ
	local obj=$1 d=$CK_PIN/student p nocall=() port rd i ev xl
	ck_want_section "$obj" 'the tracepoint pair (SEC("tracepoint/sock/inet_sock_set_state"))' 'tracepoint/sock/inet_sock_set_state|tp/sock/inet_sock_set_state' || return 1
	ck_want_progs "$obj" "the tracepoint pair" tp_conn_out tp_conn_in || return 1
	ck_load "$obj" "$d" pinmaps "${d}_maps" || return 1
	for p in tp_conn_out tp_conn_in; do
		vtrace bpftool prog dump xlated pinned "$d/$p"
		xl=$(bpftool prog dump xlated pinned "$d/$p" 2>/dev/null) || true
		grep -q 'call pc' <<<"$xl" || nocall+=("$p")
	done
	if [ ${#nocall[@]} = 0 ]; then
		ck_result pseudocall pass "tp_conn_out and tp_conn_in reach the subprogram with a pseudo call (call pc+N in bpftool prog dump xlated)"
	else
		ck_result pseudocall fail "no pseudo call in the xlated dump of ${nocall[*]}: the subprogram was inlined into it" \
			"Declare handle_new_connection() static __noinline (not __always_inline) and call it from both programs."
	fi
	[ "$LIVE" = 1 ] || return 0
	[ -e "${d}_maps/events" ] || { ck_result events fail "no map named events (the perf event array conn_events reads)"; return 1; }
	for p in out in; do
		"$BUILD_DIR/linkpin" tracepoint "$d/tp_conn_$p" sock:inet_sock_set_state "$d/link_$p" >/dev/null 2>"$CK_TMP/linkpin.err" || {
			ck_result events fail "cannot attach tp_conn_$p to sock:inet_sock_set_state" "$(cat "$CK_TMP/linkpin.err")"
			return 1
		}
	done
	timeout 30 "$BUILD_DIR/conn_events" --json --count 2 --timeout 4 "${d}_maps/events" >"$CK_TMP/ev" 2>"$CK_TMP/ev.err" &
	rd=$!
	for ((i = 0; i < 100; i++)); do
		! grep -q listening "$CK_TMP/ev.err" || break
		sleep 0.1
	done
	port=$((30000 + $$ % 2000))
	tcp_exchange "$port" "" 1 >/dev/null 2>&1 || true
	wait "$rd" 2>/dev/null || true
	rm -f "$d/link_out" "$d/link_in"
	ev=$(jq -sc --argjson p "$port" '[.[] | select((.direction == "out" and .rport == $p) or (.direction == "in" and .lport == $p)) | .direction] | sort' "$CK_TMP/ev" 2>/dev/null || echo '[]')
	if [ "$ev" = '["in","out"]' ]; then
		ck_result events pass "a loopback connection to port $port printed one 'out' and one 'in' event"
	else
		ck_result events fail "a loopback connection to port $port should print one 'out' and one 'in' event; got $ev" \
			"$(head -n 4 "$CK_TMP/ev")"
	fi
}
