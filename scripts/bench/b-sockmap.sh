# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 1: lab 2's sockops + sk_msg redirect against plain loopback TCP. Lab 2 is brought
# up with this run's own names (its cgroup gets the programs); a second, empty cgroup is the
# baseline. Both ends of every connection join the same cgroup. sockperf ping-pong (latency)
# and iperf3 (throughput) at each message/write size, plain and redirected alternately.

SM_SIZES="64 1024 16384 65536"

bench_sockmap() {
	local secs=1 runs=4 cg2 s
	[ "$SMOKE" = 0 ] || secs=1 runs=1 SM_SIZES=64
	cg2=$(cgroup2_root)
	[ -n "$cg2" ] || {
		skip_part "no cgroup v2 mount"
		return 0
	}
	check_built "$BUILD_DIR/sockops.bpf.o" "$BUILD_DIR/sk_msg.bpf.o"
	export BPFLAB_PIN=$BPIN/sockmap LAB2_NS=bn${ID}l LAB2_HOSTIF=bv${ID}l0 LAB2_PEERIF=bv${ID}l1
	export LAB2_HOSTIP=198.18.97.1 LAB2_PEERIP=198.18.97.2 LAB2_CGROUP_NAME=bpflab-bench-$ID-sm
	SM_CG[sockmap]=$cg2/$LAB2_CGROUP_NAME SM_CG[plain]=$cg2/bpflab-bench-$ID-plain
	SM_PORT[sockmap]=$((20000 + 0x$ID % 3000 * 4)) SM_PORT[plain]=$((20001 + 0x$ID % 3000 * 4))
	SM_SECS=$secs SM_LOG=$TMPD/sockmap
	mkdir -p "$SM_LOG"
	on_cleanup cgroup_remove "${SM_CG[plain]}"
	on_cleanup "$BPFLAB_ROOT/scripts/lab2.sh" down
	run "$BPFLAB_ROOT/scripts/lab2.sh" up >/dev/null
	run mkdir "${SM_CG[plain]}"
	note "Lab 2 up with this run's names (\`scripts/lab2.sh up\`, cgroup ${SM_CG[sockmap]}): sockops puts" \
		"every established socket of the cgroup into the SOCKHASH, sk_msg redirects each sendmsg to the" \
		"peer socket's ingress queue. plain (baseline): an empty cgroup next to it. Both ends of each" \
		"connection join the cgroup; 127.0.0.1; plain and sockmap alternate, $runs runs each per size." \
		"Latency: \`sockperf ping-pong --tcp -m SIZE -t $secs\`, its p50 and p99 per run (sockperf reports" \
		"half the round trip, in µs; 64 KiB is 65000 bytes, sockperf's largest message). Throughput:" \
		"\`iperf3 -c 127.0.0.1 -l SIZE -t $secs\`, Gbit/s received. lo packets per message (sockperf runs)" \
		"show whether the data went through the stack (other traffic on lo counts too)."
	if have_tool sockperf sockperf "sockperf (latency)"; then
		for s in plain sockmap; do sm_server "$s" sockperf sr --tcp -i 127.0.0.1 -p "${SM_PORT[$s]}"; done
		for s in $SM_SIZES; do
			progress "sockmap: sockperf ping-pong, $s bytes, $runs x ($secs s plain + $secs s sockmap)"
			SM_SIZE=$s
			interleave "$runs" sm_sockperf plain sockmap
		done
		sm_cdf 64
	fi
	if have_tool iperf3 iperf3 "iperf3 (throughput)"; then
		for s in plain sockmap; do sm_server "$s" iperf3 -s -p "$((${SM_PORT[$s]} + 2))"; done
		for s in $SM_SIZES; do
			progress "sockmap: iperf3, writes of $s bytes, $runs x ($secs s plain + $secs s sockmap)"
			SM_SIZE=$s
			interleave "$runs" sm_iperf plain sockmap
		done
	fi
}
declare -A SM_CG SM_PORT

# A server inside the variant's cgroup, for the whole benchmark (bounded: 15 minutes).
sm_server() { # VARIANT CMD...
	local v=$1 pid
	shift
	trace sh -c "echo \$\$ > ${SM_CG[$v]}/cgroup.procs && exec $*"
	# Not through the cg_exec function: in the background that would be a subshell, and $!
	# its pid (which ignores SIGINT) instead of timeout's.
	sh -c 'echo $$ > "$0/cgroup.procs" && shift && exec "$@"' "${SM_CG[$v]}" _ timeout 900 "$@" >"$SM_LOG/server-$v-$1.log" 2>&1 &
	pid=$!
	on_cleanup stop_pid "$pid" TERM
	if [ "$1" = sockperf ]; then wait_listen "${SM_PORT[$v]}"; else wait_listen "$((${SM_PORT[$v]} + 2))"; fi ||
		die "$1 server did not start: $(tail -n2 "$SM_LOG/server-$v-$1.log")"
}

# CDF of every sample at SIZE, per variant (at most ~2000 points each), for the plot.
sm_cdf() { # SIZE
	local v
	for v in plain sockmap; do
		cat "$SM_LOG/full-$v-$1-"*.csv 2>/dev/null | awk -F', *' 'NF == 4 && $1 ~ /^[0-9]+$/ { print $4 }' | sort -g |
			awk '{ v[NR] = $1 } END { s = int(NR / 2000); if (s < 1) s = 1; for (i = 1; i <= NR; i += s) print v[i], i / NR; if (NR) print v[NR], 1 }' >"$OUT/sockmap_cdf-$v.dat"
	done
}

sm_role() { [ "$1" = plain ] && echo base || echo test; }

sm_sockperf() { # RUN VARIANT
	local v=$2 size=$SM_SIZE out lo0 lo1 msgs
	[ "$size" != 65536 ] || size=65000
	lo0=$(cat /sys/class/net/lo/statistics/rx_packets)
	out=$(cg_exec "${SM_CG[$v]}" timeout $((SM_SECS + 20)) sockperf ping-pong --tcp -i 127.0.0.1 -p "${SM_PORT[$v]}" \
		-m "$size" -t "$SM_SECS" --full-log "$SM_LOG/full-$v-$SM_SIZE-$1.csv" 2>&1) || {
		warn "sockmap: sockperf failed ($v, $size bytes): $(tail -n1 <<<"$out")"
		return 0
	}
	lo1=$(cat /sys/class/net/lo/statistics/rx_packets)
	rec lat_p50 ping-pong "$SM_SIZE" "$v" "$(sm_role "$v")" "$1" "$(awk '/percentile 50.000 =/ { print $NF; exit }' <<<"$out")" us
	rec lat_p99 ping-pong "$SM_SIZE" "$v" "$(sm_role "$v")" "$1" "$(awk '/percentile 99.000 =/ { print $NF; exit }' <<<"$out")" us
	msgs=$(sed -n 's/.*\[Total Run\].*ReceivedMessages=\([0-9]*\).*/\1/p' <<<"$out" | head -n1)
	[ -z "$msgs" ] || [ "$msgs" = 0 ] ||
		rec lo_pkts_per_msg ping-pong "$SM_SIZE" "$v" - "$1" "$(awk -v p=$((lo1 - lo0)) -v m="$msgs" 'BEGIN { printf "%.3f", p / m }')" packets
}

sm_iperf() { # RUN VARIANT
	local v=$2 bps
	bps=$(cg_exec "${SM_CG[$v]}" timeout $((SM_SECS + 20)) iperf3 -c 127.0.0.1 -p "$((${SM_PORT[$v]} + 2))" \
		-l "$SM_SIZE" -t "$SM_SECS" -J 2>/dev/null | jq -r '.end.sum_received.bits_per_second // empty') || true
	[ -n "$bps" ] || {
		warn "sockmap: iperf3 failed ($v, $SM_SIZE bytes)"
		return 0
	}
	rec throughput stream "$SM_SIZE" "$v" "$(sm_role "$v")" "$1" "$(awk -v b="$bps" 'BEGIN { printf "%.3f", b / 1e9 }')" Gbit/s
}

report_sockmap() {
	local m f
	echo "Where redirecting pays, per size: **better** / **worse** when the whole interquartile range of the"
	echo "paired ratios sockmap / plain is on that side of 1, **no clear difference** otherwise."
	echo
	for m in lat_p50 lat_p99 throughput; do
		awk -F, -v m="$m" '$1 == "sockmap" && $2 == m && $5 == "sockmap" && $13 != "" { printf "%s %s %s %s\n", $4, $13, $14, $15 }' "$SUMMARY" |
			sort -n | awk -v m="$m" '
			{ if (m == "throughput") v = ($3 > 1) ? "better" : ($4 < 1) ? "worse" : "no clear difference"
			  else v = ($4 < 1) ? "better" : ($3 > 1) ? "worse" : "no clear difference"
			  line = line sprintf(" %s B %.2f× [%.2f–%.2f] %s;", $1, $2, $3, $4, v)
			  if (n++ && v != prev) cross = cross sprintf(" %s from %s B;", v, $1)
			  prev = v; if (n == 1) first = v }
			END { if (!n) exit
				printf "- %s:%s\n  - crossover: %s at the smallest size%s\n", m, line, first, cross ? ", then" cross : ", and the same at every size (no crossover)" }'
	done
	echo
	f=$OUT/sockmap_cdf
	if [ -s "$f-plain.dat" ]; then
		plot sockmap_cdf "Loopback TCP ping-pong latency at 64 B, CDF over all runs" <<EOP
set xlabel 'latency, µs (half round trip, sockperf)'; set ylabel 'fraction of messages'; set logscale x; set key bottom right
plot '$f-plain.dat' using 1:2 with lines lw 2 title 'plain TCP', '$f-sockmap.dat' using 1:2 with lines lw 2 title 'sockmap redirect'
EOP
	fi
	for m in lat_p50 lat_p99 throughput; do
		awk -F, -v m="$m" '$1 == "sockmap" && $2 == m && $5 == "sockmap" && $13 != "" { print $4, $13, $14, $15 }' "$SUMMARY" | sort -n >"$OUT/sockmap_ratio_$m.dat"
	done
	plot sockmap_ratio "Sockmap / plain against message size (median ratio, IQR)" <<EOP
set xlabel 'message / write size, bytes'; set ylabel 'sockmap / plain'; set logscale x 2; set key top right
plot 1 with lines lc 'gray' notitle, \
     '$OUT/sockmap_ratio_lat_p50.dat' using 1:2:3:4 with yerrorlines title 'latency p50 (below 1: sockmap faster)', \
     '$OUT/sockmap_ratio_lat_p99.dat' using 1:2:3:4 with yerrorlines title 'latency p99', \
     '$OUT/sockmap_ratio_throughput.dat' using 1:2:3:4 with yerrorlines title 'throughput (above 1: sockmap faster)'
EOP
}

table_sockmap() {
	local m
	for m in lat_p50 lat_p99 lo_pkts_per_msg; do md_pivot sockmap "$m" ping-pong bytes; done
	md_pivot sockmap throughput stream bytes
}
