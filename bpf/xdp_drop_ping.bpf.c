// SPDX-License-Identifier: GPL-2.0
/* Lab 2, goal 1: drop ICMP and ICMPv6 echo replies before they reach the network stack,
 * so a running ping goes silent while this program is attached where the replies arrive.
 * Everything else passes, including frames too short or malformed to be sure about.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"
#include "parse.bpf.h"
#include "chain.bpf.h"	/* includes xdpcap.bpf.h */

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
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	int verdict = ping_verdict(data, data_end);

	/* Continue the chain when run from the chain lab's root (scripts/chain.sh); attached on
	 * its own it exits through the capture hook (pinned as xdpcap_hook), so `build/xdpcap`
	 * can watch verdicts either way.
	 */
	return chain_next(ctx, verdict);
}
