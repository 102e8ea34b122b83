// SPDX-License-Identifier: GPL-2.0
/* Benchmark-only programs (scripts/bench/): baselines and drops the labs do not have.
 *
 *   xdp_pass      returns XDP_PASS and nothing else: the harness cost of BPF_PROG_TEST_RUN,
 *                 run next to every XDP program measured, in the same run
 *   xdp_drop_udp9 XDP_DROP for UDP to port 9, XDP_PASS otherwise (the udpburst flood)
 *   tc_drop_udp9  the same test as a tc clsact ingress program (TC_ACT_SHOT / TC_ACT_OK)
 *
 * xdp_drop_ping drops echo replies only, and udpburst sends UDP: the two drop programs use
 * the same parse_l4() as xdp_drop_ping, so the per-packet work has the same shape.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "parse.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define DISCARD_PORT 9
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

static __always_inline int is_udp9(void *data, void *data_end)
{
	struct l4_info pkt;
	struct udphdr *udp;

	if (parse_l4(data, data_end, &pkt) || !pkt.l4 || pkt.proto != IPPROTO_UDP)
		return 0;
	udp = pkt.l4;
	if ((void *)(udp + 1) > data_end)
		return 0;
	return udp->dest == bpf_htons(DISCARD_PORT);
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_drop_udp9(struct xdp_md *ctx)
{
	return is_udp9((void *)(long)ctx->data, (void *)(long)ctx->data_end) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_drop_udp9(struct __sk_buff *skb)
{
	return is_udp9((void *)(long)skb->data, (void *)(long)skb->data_end) ? TC_ACT_SHOT : TC_ACT_OK;
}
