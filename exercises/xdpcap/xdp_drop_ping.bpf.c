// SPDX-License-Identifier: GPL-2.0
/* Exercise, xdpcap: make lab 2's program capturable. The verdict logic is done; the program
 * must leave through the xdpcap exit hook (bpf/xdpcap.bpf.h), a PROG_ARRAY with one slot per
 * XDP action, so `build/xdpcap` can put a capture program there while it runs.
 *
 * Check your work (as root, at the repository root):
 *   scripts/check.sh xdpcap exercises/xdpcap/xdp_drop_ping.bpf.c
 * It puts capture programs that return a different action into the hook's slots and
 * checks that they decided the verdict. Solution: bpf/xdp_drop_ping.bpf.c (via chain_next).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "net.bpf.h"
#include "parse.bpf.h"
#include "xdpcap.bpf.h"	/* xdpcap_hook, xdpcap_exit(): read it */

char LICENSE[] SEC("license") = "GPL";

static __always_inline int ping_verdict(void *data, void *data_end)
{
	struct l4_info pkt;
	__u8 *type;

	if (parse_l4(data, data_end, &pkt) || !pkt.l4 || pkt.l4 + 8 > data_end)
		return XDP_PASS;
	type = pkt.l4;
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

	/* TODO: leave through the hook instead: return xdpcap_exit(ctx, &xdpcap_hook, verdict); */
	return verdict;
}
