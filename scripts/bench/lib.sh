# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are used by the benchmark files
# Shared functions of the benchmark harness (scripts/bench/bench.sh sources this, then the
# b-<name>.sh file of every benchmark). A benchmark file defines bench_<name> (measure) and
# may define report_<name> (analysis lines and plots, from the summary; see report.sh).
#
#   rec METRIC CASE PARAM VARIANT ROLE RUN VALUE UNIT   one measurement into raw.csv
#                      ROLE base = the baseline the other variants of (METRIC CASE PARAM)
#                      are divided by, run by run; anything else = a measured variant
#   interleave RUNS FN VARIANT...   FN RUN VARIANT, variants A B .. on odd runs, .. B A on even
#   note TEXT          a paragraph of the benchmark's section in report.md
#   skip_part REASON   a benchmark (or a part: "part: reason") that cannot run here
#   on_cleanup CMD...  run CMD at the end of this benchmark, or on Ctrl-C (last in, first out)
#   progress TEXT      one progress line on stderr

BENCHES="sockmap xdp drop tailcall chain mim bpf2bpf capture labs peers"

bench_title() {
	case $1 in
	sockmap) echo "1. Sockmap redirect vs plain loopback TCP" ;;
	xdp) echo "2. XDP program cost (BPF_PROG_TEST_RUN)" ;;
	drop) echo "3. Drop before the stack: XDP vs tc vs nftables" ;;
	tailcall) echo "4. Tail-call cost, direct vs indirect" ;;
	chain) echo "5. Chain dispatch: root + k members, unrolled vs CHAIN_INDIRECT" ;;
	mim) echo "6. Map-in-map (GLB path) vs one flat hash" ;;
	bpf2bpf) echo "7. bpf2bpf call vs always_inline" ;;
	capture) echo "8. Capture: xdpcap vs tcpdump" ;;
	labs) echo "9. Lab bring-up: up and down wall time" ;;
	peers) echo "10. Peers in the VM: chain vs libxdp's dispatcher, xdpcap vs xdpdump" ;;
	esac
}

progress() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

rec() { # METRIC CASE PARAM VARIANT ROLE RUN VALUE UNIT
	[ -n "$7" ] || {
		warn "$CUR: no value for $1 $2 $3 $4 run $6"
		return 0
	}
	printf '%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$CUR" "$@" >>"$RAW"
}

note() { printf '%s\n\n' "$*" >>"$OUT/notes/$CUR.md"; }

skip_part() { # REASON
	printf '%s\t%s\n' "$CUR" "$*" >>"$OUT/skipped.tsv"
	progress "$CUR: skipped: $*"
}

CLEANUPS=()
on_cleanup() {
	local q
	printf -v q '%q ' "$@"
	CLEANUPS+=("$q")
}
run_cleanups() {
	local i
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[i]}" >/dev/null 2>&1 || true
	done
	CLEANUPS=()
}

interleave() { # RUNS FN VARIANT...
	local runs=$1 fn=$2 i j
	shift 2
	local vs=("$@")
	for ((i = 1; i <= runs; i++)); do
		if ((i % 2)); then
			for ((j = 0; j < ${#vs[@]}; j++)); do "$fn" "$i" "${vs[j]}"; done
		else
			for ((j = ${#vs[@]} - 1; j >= 0; j--)); do "$fn" "$i" "${vs[j]}"; done
		fi
	done
}

# Whether tool CMD exists; if not, the part is skipped naming the Debian package.
have_tool() { # CMD PACKAGE PART
	command -v "$1" >/dev/null && return 0
	skip_part "$3: '$1' not found (Debian package: $2; 'scripts/deps.sh bench' installs it)"
	return 1
}

# Wait (bounded: 100 x 0.1 s) until CMD succeeds.
wait_until() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Stop a background process (SIGINT by default: captures flush their files) and reap it
# (SIGKILL after 10 s). Start it as `timeout SECS CMD &` so $! is timeout, which passes the
# signal on; a shell function in the background would be a subshell that ignores SIGINT.
stop_pid() { # PID [SIGNAL]
	kill "-${2:-INT}" "$1" 2>/dev/null || true
	wait_until not_running "$1" || kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
not_running() { ! kill -0 "$1" 2>/dev/null; }

# ns per run of a pinned program on frame FILE, REPEAT times (the kernel's own average).
prog_ns() { # PIN FILE REPEAT
	bpftool -j prog run pinned "$1" data_in "$2" repeat "$3" 2>/dev/null | jq -r '.duration // empty'
}
prog_retval() { # PIN FILE
	bpftool -j prog run pinned "$1" data_in "$2" repeat 1 2>/dev/null | jq -r '.retval // empty'
}

# ---- test frames (Ethernet + IPv4; checksums are not checked by the programs measured)
# frame_write FILE HEX: HEX without spaces or newlines.
frame_write() { printf '%b' "$(tr -d ' \n' <<<"$2" | sed 's/../\\x&/g')" >"$1"; }
ETH_HDR="020000000001 020000000002 0800"
# IPv4 header (20 bytes) for protocol P, total length L (4 hex digits), 198.18.96.2 -> .1
ip_hdr() { echo "4500 $2 1234 4000 40 $1 0000 c6126002 c6126001"; }
make_frames() { # DIR: echo-reply, echo-request, tcp, udp9 (all 74-byte frames)
	local pad="0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
	frame_write "$1/echo-reply" "$ETH_HDR $(ip_hdr 01 003c) 0000 0000 0001 0001 $pad"
	frame_write "$1/echo-request" "$ETH_HDR $(ip_hdr 01 003c) 0800 0000 0001 0001 $pad"
	frame_write "$1/tcp" "$ETH_HDR $(ip_hdr 06 003c) 9c40 0050 00000001 00000000 5002 ffff 0000 0000 ${pad:0:40}"
	frame_write "$1/udp9" "$ETH_HDR $(ip_hdr 11 003c) 9c40 0009 0028 0000 $pad"
}

# Load OBJ with every program pinned under DIR (and its maps under DIR too).
load_all() { # OBJ DIR [bpftool map args...]
	local obj=$1 dir=$2
	shift 2
	run mkdir -p "$dir"
	run bpftool prog loadall "$obj" "$dir" pinmaps "$dir" "$@" >/dev/null
}

# Two fresh network namespaces joined by a veth: A (sender, .2) and B (receiver, .1).
# Sets VA VB (interfaces), NA NB (namespaces), IPA IPB. Removed at cleanup.
veth_pair_up() { # TAG SUBNET(third octet)
	NA=bn$ID$1a NB=bn$ID$1b VA=bv$ID$1a VB=bv$ID$1b IPA=198.18.$2.2 IPB=198.18.$2.1
	on_cleanup ip netns del "$NA"
	on_cleanup ip netns del "$NB"
	run ip netns add "$NA"
	run ip netns add "$NB"
	run ip -n "$NA" link add "$VA" type veth peer name "$VB" netns "$NB"
	run ip -n "$NA" addr add "$IPA/24" dev "$VA"
	run ip -n "$NB" addr add "$IPB/24" dev "$VB"
	run ip -n "$NA" link set "$VA" up
	run ip -n "$NB" link set "$VB" up
	run ip -n "$NA" link set lo up
	run ip -n "$NB" link set lo up
	run ip -n "$NA" neigh replace "$IPB" lladdr "$(ip netns exec "$NB" cat "/sys/class/net/$VB/address")" dev "$VA" nud permanent
	run ip -n "$NB" neigh replace "$IPA" lladdr "$(ip netns exec "$NA" cat "/sys/class/net/$VA/address")" dev "$VB" nud permanent
}

# Softirq ticks (USER_HZ) of the whole machine so far (/proc/stat).
softirq_ticks() { awk '$1 == "cpu" { print $8; exit }' /proc/stat; }

# Fraction formatting for progress lines.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
