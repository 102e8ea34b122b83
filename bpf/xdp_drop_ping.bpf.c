// SPDX-License-Identifier: GPL-2.0
/* Lab 2, goal 1: drop ICMP and ICMPv6 echo replies before they reach the network stack,
 * so a running ping goes silent while this program is attached where the replies arrive.
 * Everything else passes, including frames too short or malformed to be sure about.
 *
 * Built more than once: build/xdp_drop_ping.bpf.o is lab 2's program; -DCHAIN_MEMBER makes
 * build/xdp_drop_ping_member.bpf.o, the same verdict as a member of the chain lab
 * (labs/chain.md), which ends with chain_next() instead of the capture exit; -DTRACE_DROPS
 * makes build/xdp_drop_ping_trace.bpf.o, which writes a line to the trace log for every drop.
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

/* XDP_DROP for an echo reply, XDP_PASS for anything else. parse_l4() (parse.bpf.h) has
 * checked the Ethernet header, at most two VLAN tags, and the IP header with the lengths it
 * claims (IPv6 extension headers walked); l4_header() gives the ICMP header only when the
 * packet's own length fields say its 8 bytes are there, and only in the first fragment.
 */
static __always_inline int ping_verdict(void *data, void *data_end)
{
	struct l4_info pkt;
	__u8 *type;	/* first byte of struct icmphdr and struct icmp6hdr */

	if (parse_l4(data, data_end, &pkt))
		return XDP_PASS;
	type = l4_header(&pkt, data_end, 8);
	if (!type)
		return XDP_PASS;
	if (pkt.ip == 4 && pkt.proto == IPPROTO_ICMP)
		return *type == ICMP_ECHOREPLY ? XDP_DROP : XDP_PASS;
	if (pkt.ip == 6 && pkt.proto == IPPROTO_ICMPV6_NH)
		return *type == ICMPV6_ECHO_REPLY ? XDP_DROP : XDP_PASS;
	return XDP_PASS;
}

SEC("xdp")
int xdp_drop_ping(struct xdp_md *ctx)
{
	int verdict = ping_verdict((void *)(long)ctx->data, (void *)(long)ctx->data_end);

#ifdef TRACE_DROPS
	/* How to see a program run: read the lines with `bpftool prog tracelog`. */
	if (verdict == XDP_DROP)
		bpf_printk("xdp_drop_ping: dropped an echo reply");
#endif

#ifdef CHAIN_MEMBER
	return chain_next(ctx, verdict);	/* on to the next member (bpf/chain.bpf.h) */
#else
	/* Leave through the capture hook (labs/xdpcap.md): `build/xdpcap` can watch verdicts. */
	return xdpcap_exit(ctx, &xdpcap_hook, verdict);
#endif
}
