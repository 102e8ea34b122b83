// SPDX-License-Identifier: GPL-2.0
/* Deliberately wrong lab 2 solution (tests/bats/check.bats): checks that the IPv4 header is
 * there but reads the ICMP type without proving it is inside the frame. The verifier must
 * reject it, and check.sh must say so at the "load" check.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_pastend(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct iphdr *ip = (void *)(eth + 1);
	__u8 *icmp = (void *)(ip + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	return ip->protocol == IPPROTO_ICMP && *icmp == ICMP_ECHOREPLY ? XDP_DROP : XDP_PASS;
}
