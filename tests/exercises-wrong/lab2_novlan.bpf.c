// SPDX-License-Identifier: GPL-2.0
/* Deliberately wrong lab 2 solution (tests/bats/check.bats): right for untagged frames,
 * but it never skips VLAN tags, so tagged echo replies pass. check.sh must fail reply-vlan.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_novlan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 *icmp;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5 ||
		    (bpf_ntohs(ip->frag_off) & IP_OFFSET) || ip->protocol != IPPROTO_ICMP)
			return XDP_PASS;
		icmp = (void *)ip + ip->ihl * 4;
		if ((void *)(icmp + 8) > data_end)
			return XDP_PASS;
		return *icmp == ICMP_ECHOREPLY ? XDP_DROP : XDP_PASS;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		icmp = (void *)(ip6 + 1);
		if ((void *)(icmp + 8) > data_end || ip6->version != 6 || ip6->nexthdr != IPPROTO_ICMPV6_NH)
			return XDP_PASS;
		return *icmp == ICMPV6_ECHO_REPLY ? XDP_DROP : XDP_PASS;
	}
	return XDP_PASS;
}
