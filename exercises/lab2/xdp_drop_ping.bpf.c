// SPDX-License-Identifier: GPL-2.0
/* Exercise, lab 2 goal 1: drop ICMP and ICMPv6 echo replies, pass everything else, so a
 * running ping goes silent while the program is attached where the replies arrive.
 *
 * Check your work (as root, at the repository root; copy the file first if you like):
 *   scripts/check.sh lab2 exercises/lab2/xdp_drop_ping.bpf.c
 * It runs your program and the solution (bpf/xdp_drop_ping.bpf.c: try on your own first) on
 * ~500 crafted frames, then attaches yours to a veth and pings through it.
 *
 * The rules the frames test:
 *   - up to two VLAN tags (802.1Q 0x8100 or 802.1ad 0x88a8) sit between Ethernet and IP;
 *   - IPv4: version 4, IHL >= 5; the ICMP header starts IHL * 4 bytes into the IP header
 *     (after any options); a fragment with a non-zero offset carries no ICMP header;
 *   - IPv6: next header 58 means ICMPv6 right after the 40-byte header (extension
 *     headers are not followed);
 *   - drop only when the whole IP header and 8 bytes of ICMP are in the frame: anything
 *     too short, malformed or unknown passes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"	/* ETH_P_IP, ETH_P_8021Q, IP_OFFSET, ICMP_ECHOREPLY, ICMPV6_ECHO_REPLY, ... */

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_drop_ping(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	/* The verifier rejects every read it cannot prove lies inside [data, data_end). */
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	/* TODO 1: read eth->h_proto (network byte order: bpf_ntohs) and skip up to two
	 *         VLAN tags (struct vlan_hdr; h_vlan_encapsulated_proto is the next type).
	 * TODO 2: IPv4 (struct iphdr): check version and ihl; skip later fragments; find
	 *         the ICMP header after the options.
	 * TODO 3: IPv6 (struct ipv6hdr): nexthdr == IPPROTO_ICMPV6_NH.
	 * TODO 4: return XDP_DROP for ICMP type ICMP_ECHOREPLY or ICMPv6 type ICMPV6_ECHO_REPLY,
	 *         once 8 bytes of the ICMP header are proven to be in the frame.
	 */
	return XDP_PASS;
}
