# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are used by the scripts that source this file
# Loopback TCP traffic and capture, for demos and tests: a bounded socat exchange run
# inside a cgroup, and a tcpdump capture around it. Source after common.sh.

# Run CMD with this shell moved into cgroup v2 directory CG first (what a student types:
#   sh -c 'echo $$ > CG/cgroup.procs && exec CMD').
cg_exec() { # CG CMD...
	local cg=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && shift && exec "$@"' "$cg" _ "$@"
}

# One bounded request/response over loopback TCP on PORT: the client sends COUNT lines,
# the server echoes them back; prints what the client received. Both ends in cgroup CG
# (or the caller's cgroup when CG is empty). Each end is killed after 10 s at most; the
# client waits up to 5 s (-t) for the echo after its last line, ending as soon as it came.
tcp_exchange() { # PORT CG [COUNT]
	local port=$1 cg=$2 count=${3:-3} srv i
	local -a wrap=()
	[ -z "$cg" ] || wrap=(cg_exec "$cg")
	trace socat "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr" SYSTEM:cat
	if [ "$DRY_RUN" = 1 ]; then
		trace socat - "TCP4:127.0.0.1:$port"
		return 0
	fi
	lab_bg "${wrap[@]}" timeout 10 socat -T 5 "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr" SYSTEM:cat
	srv=$!
	wait_listen "$port" || true
	trace socat - "TCP4:127.0.0.1:$port"
	for ((i = 1; i <= count; i++)); do echo "bpflab message $i"; done |
		"${wrap[@]}" timeout 10 socat -t 5 - "TCP4:127.0.0.1:$port"
	wait "$srv" 2>/dev/null || true
}

# Wait (at most 20 s: starting a process can take seconds under emulation) until a TCP
# listener is bound to PORT.
wait_listen() { # PORT
	local i
	for ((i = 0; i < 200; i++)); do
		ss -Htln "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# Start tcpdump on IFACE writing FILE; sets CAPTURE_PID. Returns once tcpdump listens.
capture_start() { # IFACE FILE FILTER...
	local dev=$1 file=$2 i
	shift 2
	# -Z root: tcpdump would otherwise drop to user tcpdump and fail to write into a root-only dir.
	trace tcpdump -Z root --immediate-mode -i "$dev" -U -n -w "$file" "$@"
	[ "$DRY_RUN" = 1 ] && return 0
	lab_bg timeout 30 tcpdump -Z root --immediate-mode -i "$dev" -U -n -w "$file" "$@" 2>"$file.log"
	CAPTURE_PID=$! CAPTURE_FILE=$file
	for ((i = 0; i < 50; i++)); do
		grep -q 'listening on' "$file.log" 2>/dev/null && return 0
		sleep 0.1
	done
	kill "$CAPTURE_PID" 2>/dev/null || true
	die "tcpdump did not start on $dev: $(cat "$file.log")"
}

# Stop the capture. With MIN FILTER, first wait (at most 10 s) until the file holds MIN
# packets matching FILTER, e.g. the exchange's last FINs: tcpdump writes packet by packet
# (-U), but may still be behind the traffic, and on SIGINT it drops what it has not written.
capture_stop() { # [MIN FILTER]
	local i
	[ -n "${CAPTURE_PID:-}" ] || return 0
	if [ $# = 2 ]; then
		for ((i = 0; i < 100; i++)); do
			[ "$(pcap_count "$CAPTURE_FILE" "$2")" -lt "$1" ] || break
			sleep 0.1
		done
	fi
	kill -INT "$CAPTURE_PID" 2>/dev/null || true
	wait "$CAPTURE_PID" 2>/dev/null || true
	CAPTURE_PID=
}

# TCP segments that carry payload: IP total length - IP header - TCP header != 0.
PAYLOAD_FILTER='tcp and (ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) != 0'

# Number of packets in pcap FILE matching FILTER (all packets without one).
pcap_count() { # FILE [FILTER]
	local file=$1
	shift
	tcpdump -nr "$file" "$@" 2>/dev/null | wc -l
}
