// SPDX-License-Identifier: GPL-2.0
/* Lab 2, goal 1: drop ICMP and ICMPv6 echo replies before they reach the network stack,
 * so a running ping goes silent while this program is attached where the replies arrive.
 * Everything else passes, including frames too short or malformed to be sure about.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"
#include "chain.bpf.h"	/* includes xdpcap.bpf.h */

char LICENSE[] SEC("license") = "GPL";

struct vlan_tag {
	__be16 tci;
	__be16 proto;	/* the EtherType that follows the tag */
};

/* XDP_DROP for an echo reply, XDP_PASS for anything else. */
static __always_inline int ping_verdict(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;
	int i;

	if (l3 > data_end)
		return XDP_PASS;
	proto = bpf_ntohs(eth->h_proto);

	/* At most two 802.1Q / 802.1ad tags (QinQ). */
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_tag *tag = l3;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(tag + 1) > data_end)
			return XDP_PASS;
		proto = bpf_ntohs(tag->proto);
		l3 = tag + 1;
	}

	if (proto == ETH_P_IP) {
		struct iphdr *ip = l3;
		struct icmphdr *icmp;
		__u32 hlen;

		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		if (ip->version != 4 || ip->ihl < 5 || ip->protocol != IPPROTO_ICMP)
			return XDP_PASS;
		/* Only the first fragment carries the ICMP header. */
		if (bpf_ntohs(ip->frag_off) & IP_OFFSET)
			return XDP_PASS;
		hlen = ip->ihl * 4;
		icmp = l3 + hlen;
		/* The whole header (options included) and 8 bytes of ICMP must be there. */
		if ((void *)icmp + sizeof(*icmp) > data_end)
			return XDP_PASS;
		return icmp->type == ICMP_ECHOREPLY ? XDP_DROP : XDP_PASS;
	}

	if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = l3;
		struct icmp6hdr *icmp6;

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		/* Extension headers are not followed: only ICMPv6 right after the fixed header. */
		if (ip6->version != 6 || ip6->nexthdr != IPPROTO_ICMPV6_NH)
			return XDP_PASS;
		icmp6 = (void *)(ip6 + 1);
		if ((void *)icmp6 + 8 > data_end)
			return XDP_PASS;
		return icmp6->icmp6_type == ICMPV6_ECHO_REPLY ? XDP_DROP : XDP_PASS;
	}

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
