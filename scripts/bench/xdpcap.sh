#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark: xdpcap next to `tcpdump -i DEV -w` on the SAME traffic, in the same run.
#
#   netns bxb-ID: bxbpID 198.18.96.2  --- veth --->  bxbhID 198.18.96.1 [XDP xdp_drop_ping]
#   build/udpburst (in the netns)  --UDP port 9-->  XDP passes it:
#       xdpcap -a pass HOOK FILE udp port 9     (at the XDP exit, filter in the kernel)
#       tcpdump -i bxbhID -w FILE udp port 9    (after XDP, in the stack)
#
# For each frame size and rate: a bounded burst (--count packets, at most 60 s), both captures
# running at once; a table of what was sent, what reached the veth, and what each capture
# wrote and lost. Then the cost the idle exit hook adds to xdp_drop_ping (`bpftool prog run
# ... repeat`, with and without the hook compiled in, alternated in this run).
# Everything it makes (netns, veth, pins, XDP attachment, files) is removed at exit.
# A benchmark, not a test: the numbers depend on the machine; nothing here asserts them.
set -euo pipefail

PROG=xdpcap-bench
LAB=bench-xdpcap
# shellcheck source=scripts/lib/lab.sh
. "$(dirname "$0")/../lib/lab.sh"
# shellcheck source=scripts/bench/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
Usage: $PROG [options]

  --count N       packets per burst (default 200000; at most 10000000)
  --rates LIST    target rates in packets/s, comma separated; 0 = as fast as the generator
                  goes (default 50000,100000,200000,0)
  --sizes LIST    Ethernet frame sizes in bytes, comma separated (default 64,1400)
  --repeat N      bpftool prog run repetitions per measurement (default 1000000; 0 = skip)
  --alone         also run each burst with only xdpcap and with only tcpdump (same
                  parameters, same run; "-" marks the capture that was off)
  --id ID         suffix for the netns, veth and pin names (default: from the PID)
  --dry-run, --step, -v, -h   as in the lab scripts
Environment: BPFLAB_PIN (pins go to \$BPFLAB_PIN/bench-xdpcap-ID).
EOF
}

COUNT=200000 RATES=50000,100000,200000,0 SIZES=64,1400 REPEAT=1000000 ID=$(printf '%04x' $(($$ % 65536)))
ALONE=0
while [ $# -gt 0 ]; do
	case "$1" in
	--alone) ALONE=1 ;;
	--count | --rates | --sizes | --repeat | --id)
		[ $# -ge 2 ] || usage_error "$1 needs a value"
		case "$1" in
		--count) COUNT=$2 ;;
		--rates) RATES=$2 ;;
		--sizes) SIZES=$2 ;;
		--repeat) REPEAT=$2 ;;
		--id) ID=$2 ;;
		esac
		shift
		;;
	*) parse_common_opt "$1" || usage_error "unknown argument '$1'" ;;
	esac
	shift
done
if ! [[ "$COUNT" =~ ^[0-9]+$ ]] || [ "$COUNT" -lt 1 ] || [ "$COUNT" -gt 10000000 ]; then
	usage_error "--count: 1..10000000"
fi
[[ "$RATES" =~ ^[0-9]+(,[0-9]+)*$ ]] || usage_error "--rates: comma list of packets/s"
[[ "$SIZES" =~ ^[0-9]+(,[0-9]+)*$ ]] || usage_error "--sizes: comma list of frame sizes"
[[ "$REPEAT" =~ ^[0-9]+$ ]] || usage_error "--repeat: a number"
[[ "$ID" =~ ^[a-z0-9]{1,8}$ ]] || usage_error "--id: 1-8 lowercase letters or digits"

need_root "$@"
check_prereq bpftool:bpftool ip:iproute2 tcpdump:tcpdump jq:jq
check_bpffs
check_built "$BUILD_DIR/xdp_drop_ping.bpf.o" "$BUILD_DIR/xdp_drop_ping_nohook.bpf.o" \
	"$BUILD_DIR/xdpcap" "$BUILD_DIR/udpburst" "$PINFILL"

NS=bxb-$ID HOST=bxbh$ID PEER=bxbp$ID
HOST_IP=198.18.96.1 PEER_IP=198.18.96.2
LAB=bench-xdpcap-$ID
PIN=$(pin_dir)
HOOK=$PIN/xdpcap_hook
XDPCAP=$BUILD_DIR/xdpcap
TMP=""
PIDS=()

cleanup() {
	local p
	trap - EXIT INT TERM
	# SIGINT first: timeout passes it on to xdpcap or tcpdump (a SIGKILL would orphan them).
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	xdp_detach "$HOST" xdpdrv
	# Prog arrays are emptied before their pins go (see scripts/lib/progarray.sh).
	if [ -d "$PIN" ]; then
		while read -r p; do prog_array_empty "$p"; done < <(find "$PIN" -type f)
	fi
	pins_remove "$PIN"
	netns_down "$NS" "$HOST"
	[ -z "$TMP" ] || rm -rf "$TMP"
}
[ "$DRY_RUN" = 1 ] || ! netns_exists "$NS" || die "netns $NS exists already" "another benchmark with --id $ID? otherwise: ip netns del $NS"
[ "$DRY_RUN" = 1 ] || [ ! -e "$PIN" ] || die "$PIN exists already" "another benchmark with --id $ID? otherwise: rm -r $PIN"
trap cleanup EXIT
trap 'exit 1' INT TERM

TMP=$(mktemp -d /tmp/bpflab-bench-XXXXXX)
netns_up "$NS" "$HOST" "$PEER" "$HOST_IP" "$PEER_IP"
run mkdir -p "$PIN"
run bpftool prog load "$BUILD_DIR/xdp_drop_ping.bpf.o" "$PIN/xdp_drop_ping" pinmaps "$PIN"
xdp_attach "$PIN/xdp_drop_ping" "$HOST"

hook_slot_filled() { "$PINFILL" list "$HOOK" 2>/dev/null | grep -q "^$1	"; }
tcpdump_listening() { grep -q 'listening on' "$TMP/t.err" 2>/dev/null; }
rx_packets() { cat "/sys/class/net/$HOST/statistics/rx_packets"; }
# One burst with the chosen captures on (both by default); prints one table row.
one_run() { # RATE SIZE [XDPCAP=1 [TCPDUMP=1]]
	local rate=$1 size=$2 with_x=${3:-1} with_t=${4:-1} xpid="" tpid="" rx0 rx1 out pps
	local x_cap=- x_lost=- t_cap=- t_drop=-
	rm -f "$TMP"/x.* "$TMP"/t.*
	if [ "$with_x" = 1 ]; then
		trace "$XDPCAP" -a pass "$HOOK" "$TMP/x.pcapng" udp port 9
		timeout 120 "$XDPCAP" -a pass "$HOOK" "$TMP/x.pcapng" udp port 9 2>"$TMP/x.err" &
		xpid=$!
		PIDS+=("$xpid")
		wait_until hook_slot_filled 2 || die "xdpcap did not start: $(cat "$TMP/x.err")"
	fi
	if [ "$with_t" = 1 ]; then
		trace tcpdump -Z root -i "$HOST" -n -w "$TMP/t.pcap" udp port 9
		timeout 120 tcpdump -Z root -i "$HOST" -n -w "$TMP/t.pcap" udp port 9 2>"$TMP/t.err" &
		tpid=$!
		PIDS+=("$tpid")
		wait_until tcpdump_listening || die "tcpdump did not start: $(cat "$TMP/t.err")"
	fi
	rx0=$(rx_packets)
	trace ip netns exec "$NS" "$BUILD_DIR/udpburst" -c "$COUNT" -r "$rate" -s "$size" -t 60 "$HOST_IP"
	out=$(ip netns exec "$NS" "$BUILD_DIR/udpburst" -c "$COUNT" -r "$rate" -s "$size" -t 60 "$HOST_IP") || true
	# Let both readers drain what the kernel still holds for them.
	sleep 1
	rx1=$(rx_packets)
	[ -z "$xpid" ] || stop_pid "$xpid"
	[ -z "$tpid" ] || stop_pid "$tpid"
	PIDS=()
	pps=$(sed -n 's/.* pps=\([0-9]*\).*/\1/p' <<<"$out")
	if [ "$with_x" = 1 ]; then
		x_cap=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$TMP/x.err")
		# lost = perf buffer full; a "failed" count (other errors) would be added to it.
		x_lost=$(awk -F'[ ,]+' '/packets captured/ { n = $6; for (i = 1; i < NF; i++) if ($(i + 1) == "failed") n += $i; print n }' "$TMP/x.err")
	fi
	if [ "$with_t" = 1 ]; then
		t_cap=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$TMP/t.err")
		t_drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$TMP/t.err")
	fi
	printf '%9s %5s %9s %9s %9s | %9s %9s | %9s %9s\n' "$([ "$rate" = 0 ] && echo max || echo "$rate")" "$size" "$(sed -n 's/^sent=\([0-9]*\).*/\1/p' <<<"$out")" \
		"${pps:-?}" "$((rx1 - rx0))" "${x_cap:-?}" "${x_lost:-?}" "${t_cap:-?}" "${t_drop:-?}"
	rm -f "$TMP"/x.pcapng "$TMP"/t.pcap
}

# Median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
[ "$DRY_RUN" = 1 ] && exit 0
echo "xdpcap vs tcpdump on the same traffic: $COUNT UDP packets per burst to port 9, $(nproc) CPUs, $(uname -r)"
printf '%9s %5s %9s %9s %9s | %9s %9s | %9s %9s\n' "" "" "" "" "" "xdpcap" "" "tcpdump" ""
printf '%9s %5s %9s %9s %9s | %9s %9s | %9s %9s\n' rate size sent sent_pps rx_veth written lost written dropped
for size in ${SIZES//,/ }; do
	for rate in ${RATES//,/ }; do
		one_run "$rate" "$size"
		[ "$ALONE" = 0 ] || {
			one_run "$rate" "$size" 1 0
			one_run "$rate" "$size" 0 1
		}
	done
done

[ "$REPEAT" -gt 0 ] || exit 0
# The idle hook: the same program with and without xdpcap_exit() compiled in, on an ICMP echo
# reply (dropped), measurements alternated so both see the same machine state.
run mkdir -p "$PIN/nohook"
run bpftool prog load "$BUILD_DIR/xdp_drop_ping_nohook.bpf.o" "$PIN/nohook/xdp_drop_ping" pinmaps "$PIN/nohook"
# Test frames of the benchmark harness (scripts/bench/lib.sh): $TMP/echo-reply is dropped.
make_frames "$TMP"
cp "$TMP/echo-reply" "$TMP/reply"
trace bpftool prog run pinned "$PIN/xdp_drop_ping" data_in "$TMP/reply" repeat "$REPEAT"
for i in 1 2 3 4 5 6 7; do
	prog_ns "$PIN/nohook/xdp_drop_ping" "$TMP/reply" "$REPEAT" >>"$TMP/nohook"
	prog_ns "$PIN/xdp_drop_ping" "$TMP/reply" "$REPEAT" >>"$TMP/hook"
done
# Hook filled with a capture program whose filter rejects the packet: no copy.
timeout 60 "$XDPCAP" -a drop "$HOOK" /dev/null tcp port 80 2>"$TMP/x.err" &
xpid=$!
PIDS+=("$xpid")
wait_until hook_slot_filled 1 || die "xdpcap did not start: $(cat "$TMP/x.err")"
for i in 1 2 3 4 5 6 7; do prog_ns "$PIN/xdp_drop_ping" "$TMP/reply" "$REPEAT" >>"$TMP/filtered"; done
stop_pid "$xpid"
PIDS=()
echo
echo "Cost per run of xdp_drop_ping on an echo reply (bpftool prog run, repeat $REPEAT, median of 7, ns):"
printf '  %-44s %6s\n' "hook compiled out (-DNO_XDPCAP)" "$(median <"$TMP/nohook")" \
	"idle hook (empty slot)" "$(median <"$TMP/hook")" \
	"hook filled, filter 'tcp port 80' rejects" "$(median <"$TMP/filtered")"
