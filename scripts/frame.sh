#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write one crafted Ethernet frame to stdout, for `bpftool prog run ... data_in FILE`:
#   scripts/frame.sh icmp-echo-reply > reply.bin
#   bpftool prog run pinned /sys/fs/bpf/bpflab/lab2/xdp_drop_ping data_in reply.bin
# From 198.18.0.2 (02:00:00:00:00:02) to 198.18.0.1 (02:00:00:00:00:01), the lab 2 peers;
# IPv4 and ICMP checksums are correct.
set -euo pipefail

usage() {
	cat <<EOT
Usage: frame.sh [--vlan ID]... KIND > FILE

KIND: icmp-echo-reply icmp-echo-request icmp6-echo-reply icmp6-echo-request udp tcp-syn arp
  --vlan ID   put an 802.1Q tag (ID 1..4094) in front; twice for QinQ (802.1ad outer tag)
EOT
}

die() { echo "frame.sh: error: $1" >&2; [ $# -lt 2 ] || echo "Hint: $2" >&2; exit 2; }

# 16-bit one's complement sum of hex bytes (even count), as 4 hex digits.
csum() {
	local h=$1 s=0 i
	for ((i = 0; i < ${#h}; i += 4)); do s=$((s + 16#${h:i:4})); done
	while ((s >> 16)); do s=$(((s & 0xffff) + (s >> 16))); done
	printf '%04x' $((~s & 0xffff))
}

vlans=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--vlan)
		if [ $# -lt 2 ] || ! [[ "$2" =~ ^[0-9]{1,4}$ ]] || ((10#$2 < 1 || 10#$2 > 4094)); then die "--vlan needs an ID from 1 to 4094"; fi
		vlans+=("$2")
		shift 2
		;;
	-*) usage >&2; die "unknown option '$1'" ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { usage >&2; exit 2; }
[ "${#vlans[@]}" -le 2 ] || die "at most two --vlan tags"

SRC4=c6120002 DST4=c6120001
SRC6=20010db8000000000000000000000002 DST6=20010db8000000000000000000000001
payload=6270666c6162206c61622032 # "bpflab lab 2"

ip4() { # PROTO (2 hex digits) L4_HEX
	local len hdr
	len=$(printf '%04x' $((20 + ${#2} / 2)))
	hdr="4500${len}1234400040${1}0000${SRC4}${DST4}"
	echo "${hdr:0:20}$(csum "$hdr")${hdr:24}$2"
}
icmp() { # TYPE
	local m="${1}000000000100 01${payload}"
	m=${m// /}
	echo "${m:0:4}$(csum "$m")${m:8}"
}
icmp6() { # TYPE (checksum over the IPv6 pseudo-header)
	local body="${1}00000000010001${payload}" len
	len=$(printf '%04x' $((${#body} / 2)))
	local pseudo="${SRC6}${DST6}0000${len}0000003a${body}"
	echo "60000000${len}3a40${SRC6}${DST6}${body:0:4}$(csum "$pseudo")${body:8}"
}

case "$1" in
icmp-echo-reply) l3=$(ip4 01 "$(icmp 00)") type=0800 ;;
icmp-echo-request) l3=$(ip4 01 "$(icmp 08)") type=0800 ;;
icmp6-echo-reply) l3=$(icmp6 81) type=86dd ;;
icmp6-echo-request) l3=$(icmp6 80) type=86dd ;;
udp) l3=$(ip4 11 "a4b1303900140000${payload}") type=0800 ;;
tcp-syn) l3=$(ip4 06 "a4b110f600000001000000005002721000000000") type=0800 ;;
arp) l3="0001080006040001020000000002${SRC4}000000000000${DST4}" type=0806 ;;
*) usage >&2; die "unknown kind '$1'" ;;
esac

hex="020000000001020000000002"
if [ "${#vlans[@]}" -eq 2 ]; then
	hex+="88a8$(printf '%04x' "${vlans[0]}")8100$(printf '%04x' "${vlans[1]}")"
elif [ "${#vlans[@]}" -eq 1 ]; then
	hex+="8100$(printf '%04x' "${vlans[0]}")"
fi
hex+="$type$l3"
esc=""
for ((i = 0; i < ${#hex}; i += 2)); do esc+="\\x${hex:i:2}"; done
printf '%b' "$esc"
