# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# `glb.sh demo`: what GLB's design is for. A TCP connection from the client reaches the
# row's primary P; the table is re-filled with P draining, so the row's primary becomes the
# old secondary S and P moves to secondary. More lines on the SAME connection go to S first,
# S has no such connection and forwards them to P (second chance); a NEW connection goes to S.
# Proof: the lines each backend's server received, glb_redirect's counters on both, and the
# GUE packets on the router (director -> S, then S -> P).

# Wait (at most 10 s) until FILE holds a line matching PATTERN.
glb_wait_line() { # FILE PATTERN
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Open a TCP connection from the client to VIP:PORT with source port SPORT; lines written
# to the fd stored in variable VAR go over it. The client socat ends when the fd is closed.
glb_connect() { # VAR SPORT
	local fifo=$GLB_RUNDIR/conn$2
	run mkfifo "$fifo"
	trace ip netns exec "$(glb_ns client)" socat -u "PIPE:$fifo" "TCP4:$GLB_VIP:$GLB_PORT,sourceport=$2"
	lab_bg ip netns exec "$(glb_ns client)" timeout 60 socat -u "PIPE:$fifo" "TCP4:$GLB_VIP:$GLB_PORT,sourceport=$2" \
		>/dev/null 2>&1
	exec {fd}>"$fifo"
	printf -v "$1" '%s' "$fd"
}

glb_backend_of() { # ADDRESS -> bN
	local i
	for ((i = 1; i <= GLB_BACKENDS; i++)); do
		[ "$(glb_backend_ip "$i")" != "$1" ] || { echo "b$i"; return 0; }
	done
	die "$1 is not one of the lab's backends"
}

glb_say() { printf '\n=== %s\n' "$*"; }

cmd_demo() {
	check_prereq bpftool:bpftool jq:jq socat:socat tcpdump:tcpdump
	need_up
	[ "$DRY_RUN" = 0 ] || die "demo has no --dry-run: it needs the answers of its own steps" "see each step with --step"
	local key pred p s pb sb c1 c2 cap=$GLB_RUNDIR/router.pcap cpid b
	key=$(bind_key "$GLB_VIP" "$GLB_PORT" tcp)
	glb_say "bind $GLB_VIP:$GLB_PORT/tcp to table 0, fill table 0 with every backend active"
	# shellcheck disable=SC2086 # byte lists
	run bpftool map update pinned "$PIN/glb_binds" key $key value 0 0 0 0
	# shellcheck disable=SC2046 # backend list
	run "$GLBTABLE" -d "$PIN" fill 0 $(glb_backends)
	pred=$("$GLBTABLE" --json -d "$PIN" flow "$GLB_CLIENT_IP" 40001 "$GLB_VIP" "$GLB_PORT" tcp)
	p=$(jq -r .primary <<<"$pred") s=$(jq -r .secondary <<<"$pred")
	pb=$(glb_backend_of "$p") sb=$(glb_backend_of "$s")
	echo "the client's row $(jq -r .row <<<"$pred"): primary $p ($pb), secondary $s ($sb)"
	for ((b = 1; b <= GLB_BACKENDS; b++)); do : >"$GLB_RUNDIR/b$b.lines"; done
	rm -f "$GLB_RUNDIR"/conn*

	trace ip netns exec "$(glb_ns router)" tcpdump -Z root --immediate-mode -U -n -i any -w "$cap" udp port 19523
	lab_bg ip netns exec "$(glb_ns router)" timeout 60 tcpdump -Z root --immediate-mode -U -n -i any -w "$cap" \
		udp port 19523 2>"$cap.log"
	cpid=$!
	glb_wait_line "$cap.log" 'listening on' || die "tcpdump did not start: $(cat "$cap.log")"

	glb_say "connection 1 (client port 40001) sends a line: it goes to the primary, $pb"
	glb_connect c1 40001
	echo "conn1 line 1, before the table change" >&"$c1"
	glb_wait_line "$GLB_RUNDIR/$pb.lines" "conn1 line 1" || die "line 1 did not reach $pb"

	glb_say "re-fill table 0 with $p draining: the row's primary becomes $s, $p its secondary"
	# shellcheck disable=SC2046 # backend list
	run "$GLBTABLE" -d "$PIN" fill 0 $(glb_backends | sed "s/\b$p\b/$p:draining/")
	"$GLBTABLE" -d "$PIN" flow "$GLB_CLIENT_IP" 40001 "$GLB_VIP" "$GLB_PORT" tcp

	glb_say "connection 1 sends two more lines: the director sends them to $sb, which forwards them to $pb"
	echo "conn1 line 2, after the table change" >&"$c1"
	echo "conn1 line 3, after the table change" >&"$c1"
	glb_wait_line "$GLB_RUNDIR/$pb.lines" "conn1 line 3" || die "connection 1 did not survive the table change"

	glb_say "connection 2 (client port 40002), new: its SYN is taken by the new primary, $sb"
	glb_connect c2 40002
	echo "conn2 line 1, a new connection" >&"$c2"
	glb_wait_line "$GLB_RUNDIR/$sb.lines" "conn2 line 1" || die "connection 2 did not reach $sb"
	exec {c1}>&- {c2}>&-
	sleep 0.3 # the last packets reach the capture file
	kill -INT "$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true

	glb_say "what each backend's server received"
	for ((b = 1; b <= GLB_BACKENDS; b++)); do
		echo "--- b$b ($(glb_backend_ip "$b"))"
		sed 's/^/  /' "$GLB_RUNDIR/b$b.lines"
	done
	glb_say "second chance counters (glb_redirect_stats)"
	glb_redirect_stats | jq -r 'to_entries[] | "  \(.key)\t\(.value | to_entries | map(select(.value > 0) | "\(.key) \(.value)") | join(", "))"'
	glb_say "GUE packets on the router (tcpdump -r $cap)"
	# Read in the router's namespace: the file names interfaces by index.
	trace ip netns exec "$(glb_ns router)" tcpdump -nr "$cap"
	ip netns exec "$(glb_ns router)" tcpdump -nr "$cap" 2>/dev/null | sed 's/^/  /' | cut -c1-150
	glb_say "restore: every backend active"
	# shellcheck disable=SC2046 # backend list
	run "$GLBTABLE" -d "$PIN" fill 0 $(glb_backends) >/dev/null
	echo "OK: connection 1 kept $pb through the change (second chance via $sb); connection 2 went to $sb"
}
