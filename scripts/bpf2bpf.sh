#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bpf2bpf lab: two programs share one __noinline subprogram, handle_new_connection(), that
# reports every new TCP connection through the perf event array `events`.
#
#   connect() ---> [k_tcp_connect | f_tcp_connect | tp_conn_out] --call--+
#                                                                        +--> handle_new_connection()
#   accept side -> [k_hashdance   | f_hashdance   | tp_conn_in ] --call--+        |
#                                                                     perf_event_output
#                                                                                 v
#                                  build/conn_events <--- ${BPFLAB_PIN}/bpf2bpf/events
#
# up picks the first hook kind the kernel allows: kprobe, then fentry, then the
# sock:inet_sock_set_state tracepoint. Programs are loaded and pinned by bpftool; build/linkpin
# attaches a pinned program and pins the link (bpftool 7.1 cannot attach these), so `down`
# detaches by removing the link pins.
set -euo pipefail

PROG=bpf2bpf.sh
LAB=bpf2bpf
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/lib/lab.sh"

LAB_SUBCMDS="up down status watch"
LAB_LOCKED="up down"
LAB_JSON=1
LAB_UP_PINS="link_out link_in"
LAB_NEEDS="prog:tracepoint map:perf_event_array"

OBJ=$BUILD_DIR/conn_trace.bpf.o
OBJ_FENTRY=$BUILD_DIR/conn_trace_fentry.bpf.o
LINKPIN=$BUILD_DIR/linkpin
CONN_EVENTS=$BUILD_DIR/conn_events
TP=sock:inet_sock_set_state

usage() {
	cat <<EOF
Usage: $PROG [options] up|down|status|watch

  up        load and pin build/conn_trace.bpf.o, probe kprobe -> fentry -> tracepoint,
            attach the first pair that works and pin its links (idempotent)
  down      detach (remove the link pins) and remove every pin up made (idempotent)
  status    what is pinned and attached, and which hook was chosen (--json for JSON)
  watch     print new TCP connections until Ctrl-C (build/conn_events on the pinned map)

Options:
  --hook kprobe|fentry|tracepoint   use this hook kind only (up fails if the kernel refuses it)
  --json          status / watch output as JSON
  --count N       watch: stop after N events
  --timeout SECS  watch: stop after SECS seconds
  --step          pause before each command
  --dry-run       print the commands, change nothing
  -v, --verbose   show the output of probes that fail
  -h, --help      this help

Environment: BPFLAB_PIN (pin root, default /sys/fs/bpf/bpflab; pins go to \$BPFLAB_PIN/bpf2bpf).
The __noinline build measured against an always_inline one: make bench B=bpf2bpf
EOF
}

PIN=$(pin_dir)
P_EVENTS=$PIN/events
P_LINK_OUT=$PIN/link_out
P_LINK_IN=$PIN/link_in

lab_option() {
	case "$1" in
	--hook)
		lab_optarg "$@"
		case $2 in kprobe | fentry | tracepoint) ;; *) usage_error "--hook: unknown hook kind '$2'" ;; esac
		OPT_HOOK=$2
		;;
	--count | --timeout)
		lab_optarg "$@"
		if [ "$1" = --count ]; then
			lab_check_value "$1" "$2" int:1:999999999
		elif ! [[ $2 =~ ^[0-9]{1,9}([.][0-9]+)?$ ]]; then
			usage_error "$1: '$2' is not a number of seconds"
		fi
		WATCH_ARGS+=("$1" "$2")
		;;
	*) return 1 ;;
	esac
}

# ---- hook probes (scripts/lib/features.sh, shared with scripts/doctor.sh): each sets REASON
# and returns non-zero when the hook cannot be used.
probe_kprobe() {
	feat_kprobe tcp_connect inet_csk_complete_hashdance || { REASON=$FEAT_REASON && return 1; }
}

# The fentry pair shares the pinned `events` map (kept if it loads, removed if not).
FENTRY_LOAD=(bpftool prog loadall "$OBJ_FENTRY" "$PIN/fentry" map name events pinned "$P_EVENTS")
probe_fentry() {
	feat_fentry_load "$PIN/fentry" map name events pinned "$P_EVENTS" || { REASON=$FEAT_REASON && return 1; }
}

probe_tracepoint() {
	feat_tracepoint "$TP" || { REASON=$FEAT_REASON && return 1; }
}

# Sets HOOK to the first hook kind that works (or OPT_HOOK), printing each decision.
choose_hook() {
	local kind
	HOOK=
	echo "probing hooks (kprobe, then fentry, then tracepoint):"
	for kind in kprobe fentry tracepoint; do
		if [ -n "$HOOK" ] || { [ -n "$OPT_HOOK" ] && [ "$OPT_HOOK" != "$kind" ]; }; then
			local why="not asked for with --hook"
			[ -z "$HOOK" ] || why="$HOOK chosen"
			printf '  %-11s not probed (%s)\n' "$kind:" "$why"
			continue
		fi
		if [ "$DRY_RUN" = 1 ]; then
			# Probes load and attach for real: in a dry run, show the path of the asked (or usual) hook.
			if [ "$kind" = "${OPT_HOOK:-tracepoint}" ]; then
				HOOK=$kind
				printf '  %-11s chosen (dry run: probes not run)\n' "$kind:"
			else
				case $kind in
				kprobe) trace "$LINKPIN" probe kprobe tcp_connect ;;
				fentry) trace "${FENTRY_LOAD[@]}" ;;
				tracepoint) trace "$LINKPIN" probe tracepoint "$TP" ;;
				esac
			fi
			continue
		fi
		REASON=
		if "probe_$kind"; then
			HOOK=$kind
			case $kind in
			kprobe) REASON="tcp_connect and inet_csk_complete_hashdance can be probed" ;;
			fentry) REASON="the fentry pair loaded (BPF trampolines work)" ;;
			tracepoint) REASON="$TP exists (SYN_SENT->ESTABLISHED out, SYN_RECV->ESTABLISHED in)" ;;
			esac
			printf '  %-11s chosen: %s\n' "$kind:" "$REASON"
		else
			printf '  %-11s not used: %s\n' "$kind:" "$REASON"
		fi
	done
	[ -n "$HOOK" ] || die "no usable hook for the connection programs${OPT_HOOK:+ (--hook $OPT_HOOK)}" \
		"kprobes need CONFIG_KPROBE_EVENTS, fentry needs BPF trampolines, the tracepoint needs tracefs"
}

attach_hook() {
	case $HOOK in
	kprobe)
		run "$LINKPIN" kprobe "$PIN/k_tcp_connect" tcp_connect "$P_LINK_OUT"
		run "$LINKPIN" kprobe "$PIN/k_hashdance" inet_csk_complete_hashdance "$P_LINK_IN"
		;;
	fentry)
		run "$LINKPIN" fentry "$PIN/fentry/f_tcp_connect" "$P_LINK_OUT"
		run "$LINKPIN" fentry "$PIN/fentry/f_hashdance" "$P_LINK_IN"
		;;
	tracepoint)
		run "$LINKPIN" tracepoint "$PIN/tp_conn_out" "$TP" "$P_LINK_OUT"
		run "$LINKPIN" tracepoint "$PIN/tp_conn_in" "$TP" "$P_LINK_IN"
		;;
	esac
}

cmd_up() {
	check_prereq bpftool:bpftool
	check_btf
	check_bpffs
	check_built "$OBJ" "$OBJ_FENTRY" "$LINKPIN" "$CONN_EVENTS"
	# No device or netns in this lab: only pins, links and the state file.
	DEV="" NS=""
	lab_up_begin || return 0
	tracefs_ensure

	# From here on, any exit before the end (error, die, Ctrl-C) rolls back whatever was made.
	lab_up_rollback_on_failure
	run mkdir -p "$PIN"
	# The kprobe and tracepoint pairs load everywhere (loading needs no kprobe support);
	# pinmaps pins `events` by its map name for conn_events and the fentry pair.
	run bpftool prog loadall "$OBJ" "$PIN" pinmaps "$PIN"
	choose_hook
	state_set HOOK "$HOOK"
	attach_hook
	lab_up_done

	[ "$DRY_RUN" = 1 ] && return 0
	echo "bpf2bpf is up: hook $HOOK, links pinned at $P_LINK_OUT and $P_LINK_IN"
	echo "  watch connections: $PROG watch      (or: $CONN_EVENTS $P_EVENTS)"
	echo "  see the call:      bpftool prog dump xlated pinned $PIN/tp_conn_out | grep 'call pc'"
}

cmd_down() {
	local had_state=0 l
	lab_down_begin && had_state=1
	# Removing a link pin drops the last reference to the link: that is the detach.
	for l in "$P_LINK_OUT" "$P_LINK_IN"; do
		if [ -e "$l" ]; then
			run_quiet rm -f "$l"
		elif [ "${COMPLETE:-0}" = 1 ]; then
			info "link pin $l was already gone (and the link with it)"
		fi
	done
	lab_down_finish "$had_state"
}

# JSON of the program or link pinned at PATH ("null" if none).
pinned_json() { # prog|link PATH
	[ -e "$2" ] || {
		echo null
		return
	}
	bpftool -j "$1" show pinned "$2" 2>/dev/null || echo null
}

cmd_status() {
	check_prereq bpftool:bpftool jq:jq
	local up=false p progs="[]" links="[]"
	state_load || true
	(is_up) && up=true
	for p in "$PIN"/* "$PIN"/fentry/*; do
		if [ ! -e "$p" ] || [ -d "$p" ]; then continue; fi
		case $p in
		"$P_EVENTS") ;;
		"$P_LINK_OUT" | "$P_LINK_IN") links=$(jq -c --arg pin "$p" --argjson o "$(pinned_json link "$p")" '. + [{pin: $pin} + $o]' <<<"$links") ;;
		*) progs=$(jq -c --arg pin "$p" --argjson o "$(pinned_json prog "$p")" '. + [{pin: $pin} + $o]' <<<"$progs") ;;
		esac
	done
	if [ "$OPT_JSON" = 1 ]; then
		jq -n --argjson up "$up" --arg pin "$PIN" --arg hook "${HOOK:-}" --argjson progs "$progs" \
			--argjson links "$links" --argjson events "$(pinned_json map "$P_EVENTS")" \
			'{up: $up, pin_dir: $pin, hook: (if $hook == "" then null else $hook end),
			  programs: [$progs[] | {name, id, type, pin}], links: [$links[] | {pin, id, prog_id, type}],
			  events: (if $events == null then null else {id: $events.id, type: $events.type} end)}'
		return 0
	fi
	lab_status_header || [ -e "$PIN" ] || return 0
	[ -z "${HOOK:-}" ] || echo "hook: $HOOK"
	echo "--- pinned programs (each carries its own copy of handle_new_connection after load)"
	for p in $(jq -r '.[].pin' <<<"$progs"); do run bpftool prog show pinned "$p"; done
	echo "--- links (rm the pin to detach)"
	for p in $(jq -r '.[].pin' <<<"$links"); do run bpftool link show pinned "$p"; done
	[ ! -e "$P_EVENTS" ] || {
		echo "--- events map"
		run bpftool map show pinned "$P_EVENTS"
	}
}

cmd_watch() {
	check_built "$CONN_EVENTS"
	[ -e "$P_EVENTS" ] || [ "$DRY_RUN" = 1 ] || die "$P_EVENTS is not pinned" "run: $PROG up"
	(is_up) || [ "$DRY_RUN" = 1 ] || warn "the programs are not attached (up incomplete?): no events will come"
	[ "$OPT_JSON" = 0 ] || WATCH_ARGS=(--json "${WATCH_ARGS[@]}")
	run "$CONN_EVENTS" "${WATCH_ARGS[@]}" "$P_EVENTS"
}

OPT_HOOK=""
WATCH_ARGS=()
lab_main "$@"
