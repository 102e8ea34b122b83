// SPDX-License-Identifier: GPL-2.0
/* Lab 2, goal 1: drop ICMP and ICMPv6 echo replies before they reach the network stack,
 * so a running ping goes silent while this program is attached where the replies arrive.
 * Everything else passes, including frames too short or malformed to be sure about.
 *
 * Built twice: build/xdp_drop_ping.bpf.o is lab 2's program; -DCHAIN_MEMBER makes
 * build/xdp_drop_ping_member.bpf.o, the same verdict as a member of the chain lab
 * (labs/chain.md), which ends with chain_next() instead of the capture exit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "parse.bpf.h"
#ifdef CHAIN_MEMBER
#include "chain.bpf.h"
#else
#include "xdpcap.bpf.h"
#endif

char LICENSE[] SEC("license") = "GPL";

/* XDP_DROP for an echo reply, XDP_PASS for anything else. parse_l4() has checked the
 * Ethernet header, at most two VLAN tags, the IP version, IHL >= 5, and that this is not a
 * later fragment; l4 is past the IPv4 options or right after the fixed IPv6 header (next
 * header 58 means ICMPv6 comes directly, extension headers are not followed).
 */
static __always_inline int ping_verdict(void *data, void *data_end)
{
	struct l4_info pkt;
	__u8 *type;

	if (parse_l4(data, data_end, &pkt) || !pkt.l4)
		return XDP_PASS;
	/* The whole IP header (options included) and 8 bytes of ICMP must be there. */
	if (pkt.l4 + 8 > data_end)
		return XDP_PASS;
	type = pkt.l4;	/* first byte of struct icmphdr and struct icmp6hdr */
	if (pkt.eth_proto == ETH_P_IP && pkt.proto == IPPROTO_ICMP)
		return *type == ICMP_ECHOREPLY ? XDP_DROP : XDP_PASS;
	if (pkt.eth_proto == ETH_P_IPV6 && pkt.proto == IPPROTO_ICMPV6_NH)
		return *type == ICMPV6_ECHO_REPLY ? XDP_DROP : XDP_PASS;
	return XDP_PASS;
}

SEC("xdp")
int xdp_drop_ping(struct xdp_md *ctx)
{
	int verdict = ping_verdict((void *)(long)ctx->data, (void *)(long)ctx->data_end);

#ifdef CHAIN_MEMBER
	return chain_next(ctx, verdict);	/* on to the next member (bpf/chain.bpf.h) */
#else
	/* Leave through the capture hook (labs/xdpcap.md): `build/xdpcap` can watch verdicts. */
	return xdpcap_exit(ctx, &xdpcap_hook, verdict);
#endif
}
