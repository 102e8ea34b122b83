# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 8: build/xdpcap (at the XDP exit hook, filter in the XDP program) against
# `tcpdump -i DEV -w` (AF_PACKET after XDP, classic BPF socket filter) on the same bounded UDP
# bursts, one tool at a time, alternated, at a ladder of rates; with every packet matching,
# and with 99 % of the packets rejected by the filter (two generators: 1 % to port 9, which
# the filter keeps, 99 % to port 10). "none" = no capture, for the kernel's own cost.

bench_capture() {
	local runs=2 secs=1
	# 99 % rejected only at the higher rates, where copying everything is what could lose packets.
	CAP_RATES="100000 200000 400000" CAP_RATES_1PCT="200000 400000"
	[ "$SMOKE" = 0 ] || runs=1 CAP_RATES=2000 CAP_RATES_1PCT=2000 secs=1
	check_built "$BUILD_DIR/xdp_drop_ping.bpf.o" "$BUILD_DIR/xdpcap" "$BUILD_DIR/udpburst"
	have_tool tcpdump tcpdump "capture" || return 0
	check_prereq nsenter:util-linux
	veth_pair_up c 96
	CAP_NSB=/run/netns/$NB CAP_SECS=$secs CAP_LOG=$TMPD/capture CAP_HOOK=$BPIN/capture/xdpcap_hook
	mkdir -p "$CAP_LOG"
	on_cleanup rm -rf "$BPIN/capture"
	load_all "$BUILD_DIR/xdp_drop_ping.bpf.o" "$BPIN/capture"
	on_cleanup prog_array_empty "$CAP_HOOK"
	run nsenter --net="$CAP_NSB" bpftool net attach xdpdrv pinned "$BPIN/capture/xdp_drop_ping" dev "$VB"
	note "Netns $NA -> veth -> netns $NB, where xdp_drop_ping (native) passes the UDP. Bursts of" \
		"1400-byte frames from build/udpburst, $secs s at each target rate (count = rate x $secs, cut at" \
		"$((secs + 1)) s if the sender is slower: sent_pps is what it reached), $runs runs" \
		"per tool and rate, tools alternated. **xdpcap**: \`build/xdpcap -a pass HOOK FILE FILTER\` on the" \
		"program's exit hook; **tcpdump**: \`tcpdump -i $VB -w FILE FILTER\` in $NB. Filter \`udp port 9\`." \
		"all: every packet to port 9; 1pct: 1 % to port 9 and 99 % to port 10 at the same time (the" \
		"filter rejects 99 % in the kernel; the case xdpcap's design is for). lost: the tool's own count" \
		"(xdpcap: perf buffer full/failed; tcpdump: dropped by kernel). tool_cpu_ns_per_pkt: the" \
		"capture process's user+system time per packet written; softirq_ns_per_pkt: the machine's" \
		"softirq time per packet sent (baseline: none, no capture running)."
	trace nsenter --net="$CAP_NSB" tcpdump -Z root -i "$VB" -n -w FILE udp port 9
	trace "$BUILD_DIR/xdpcap" -a pass "$CAP_HOOK" FILE udp port 9
	local f r rates
	for f in all 1pct; do
		rates=$CAP_RATES
		[ "$f" = all ] || rates=$CAP_RATES_1PCT
		for r in $rates; do
			progress "capture: $f, $r packets/s, $runs runs x (none, xdpcap, tcpdump)"
			CAP_FILTER=$f CAP_RATE=$r
			interleave "$runs" cap_one none xdpcap tcpdump
		done
	done
}

cap_ready_x() { "$PINFILL" list "$CAP_HOOK" 2>/dev/null | grep -q '^2	'; }
cap_ready_t() { grep -q 'listening on' "$CAP_LOG/t.err" 2>/dev/null; }

cap_one() { # RUN VARIANT
	local v=$2 pid="" tpid="" bpid="" s0 s1 out9 out10="" sent9 sent10=0 w="" lost="" cpu="" hz c9 r9 c10 r10 pps
	c9=$((CAP_RATE * CAP_SECS)) r9=$CAP_RATE
	if [ "$CAP_FILTER" = 1pct ]; then
		c10=$((c9 * 99 / 100)) r10=$((r9 * 99 / 100)) c9=$((c9 / 100)) r9=$((r9 / 100))
	fi
	rm -f "$CAP_LOG"/*
	case $v in
	xdpcap)
		timeout 120 "$BUILD_DIR/xdpcap" -a pass "$CAP_HOOK" "$CAP_LOG/x.pcapng" udp port 9 2>"$CAP_LOG/x.err" &
		pid=$!
		wait_until cap_ready_x || die "xdpcap did not start: $(cat "$CAP_LOG/x.err")"
		;;
	tcpdump)
		timeout 120 nsenter --net="$CAP_NSB" tcpdump -Z root -i "$VB" -n -w "$CAP_LOG/t.pcap" udp port 9 2>"$CAP_LOG/t.err" &
		pid=$!
		wait_until cap_ready_t || die "tcpdump did not start: $(cat "$CAP_LOG/t.err")"
		;;
	esac
	# $pid is timeout; its child is the capture process (nsenter execs tcpdump).
	[ -z "$pid" ] || tpid=$(pgrep -P "$pid" | head -n1)
	[ -z "$pid" ] || on_cleanup stop_pid "$pid"
	s0=$(softirq_ticks)
	if [ "$CAP_FILTER" = 1pct ]; then
		ip netns exec "$NA" "$BUILD_DIR/udpburst" -c "$c10" -r "$r10" -s 1400 -p 10 -t "$((CAP_SECS + 1))" "$IPB" >"$CAP_LOG/b10" &
		bpid=$!
	fi
	out9=$(ip netns exec "$NA" "$BUILD_DIR/udpburst" -c "$c9" -r "$r9" -s 1400 -p 9 -t "$((CAP_SECS + 1))" "$IPB") || true
	[ -z "$bpid" ] || wait "$bpid" || true
	[ "$CAP_FILTER" != 1pct ] || out10=$(cat "$CAP_LOG/b10")
	s1=$(softirq_ticks)
	hz=$(getconf CLK_TCK)
	if [ -n "$pid" ]; then
		sleep 0.5 # let the reader drain what the kernel still holds for it
		[ -z "$tpid" ] || cpu=$(awk '{ print $14 + $15 }' "/proc/$tpid/stat" 2>/dev/null) || true
		stop_pid "$pid"
	fi
	sent9=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' <<<"$out9")
	[ -z "$out10" ] || sent10=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' <<<"$out10")
	pps=$(sed -n 's/.* pps=\([0-9]*\).*/\1/p' <<<"$out9")
	[ -z "$out10" ] || pps=$((pps + $(sed -n 's/.* pps=\([0-9]*\).*/\1/p' <<<"$out10")))
	case $v in
	xdpcap)
		w=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$CAP_LOG/x.err")
		lost=$(awk -F'[ ,]+' '/packets captured/ { n = $6; for (i = 1; i < NF; i++) if ($(i + 1) == "failed") n += $i; print n }' "$CAP_LOG/x.err")
		;;
	tcpdump)
		w=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$CAP_LOG/t.err")
		lost=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$CAP_LOG/t.err")
		;;
	esac
	local c="$CAP_FILTER" role="test"
	[ "$v" != none ] || role=base
	rec sent_pps "$c" "$CAP_RATE" "$v" - "$1" "$pps" packets/s
	rec softirq_ns_per_pkt "$c" "$CAP_RATE" "$v" "$role" "$1" "$(awk -v t=$((s1 - s0)) -v n=$((sent9 + sent10)) -v hz="$hz" 'BEGIN { if (n) printf "%.1f", t * 1e9 / hz / n }')" ns
	[ "$v" != none ] || return 0
	rec written "$c" "$CAP_RATE" "$v" - "$1" "$w" packets
	rec lost "$c" "$CAP_RATE" "$v" - "$1" "$lost" packets
	role="test"
	[ "$v" != tcpdump ] || role=base
	[ -z "$cpu" ] || [ "${w:-0}" = 0 ] ||
		rec tool_cpu_ns_per_pkt "$c" "$CAP_RATE" "$v" "$role" "$1" "$(awk -v t="$cpu" -v n="$w" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e9 / hz / n }')" ns
}

report_capture() {
	local f v
	echo "Highest target rate with zero loss in every run (of the target rates in the tables above; the"
	echo "sender's achieved rate is sent_pps):"
	echo
	for f in all 1pct; do
		for v in xdpcap tcpdump; do
			awk -F, -v f="$f" -v v="$v" '$1 == "capture" && $2 == "lost" && $3 == f && $5 == v { n[$4]++; if ($8 + 0 > 0) bad[$4] = 1 }
				END { best = -1; for (r in n) if (!(r in bad) && r + 0 > best) best = r + 0
					for (r in n) if ((r in bad) && r + 0 < best) mixed = 1
					printf "- highest zero-loss target rate, %s, %s: %s%s\n", f == "all" ? "every packet matching" : "1 % matching", v,
						best < 0 ? "none of the rates tried" : best " packets/s", mixed ? " (but a lower rate lost packets)" : "" }' "$RAW"
		done
	done
	echo
}

table_capture() {
	local m c
	for c in all 1pct; do
		for m in sent_pps written lost tool_cpu_ns_per_pkt softirq_ns_per_pkt; do md_pivot capture "$m" "$c" "target pps"; done
	done
}
