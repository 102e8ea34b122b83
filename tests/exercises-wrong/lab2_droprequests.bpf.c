// SPDX-License-Identifier: GPL-2.0
/* Deliberately wrong lab 2 solution (tests/bats/check.bats): drops every ICMP echo, requests
 * too. Replies are right, so check.sh must fail exactly the "others" group.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "net.bpf.h"
#include "parse.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_droprequests(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct l4_info pkt;
	__u8 *type;

	if (parse_l4((void *)(long)ctx->data, data_end, &pkt) || !pkt.l4 || pkt.l4 + 8 > data_end)
		return XDP_PASS;
	type = pkt.l4;
	if (pkt.eth_proto == ETH_P_IP && pkt.proto == IPPROTO_ICMP)
		return *type == ICMP_ECHOREPLY || *type == ICMP_ECHO ? XDP_DROP : XDP_PASS;
	if (pkt.eth_proto == ETH_P_IPV6 && pkt.proto == IPPROTO_ICMPV6_NH)
		return *type == ICMPV6_ECHO_REPLY || *type == ICMPV6_ECHO_REQUEST ? XDP_DROP : XDP_PASS;
	return XDP_PASS;
}
