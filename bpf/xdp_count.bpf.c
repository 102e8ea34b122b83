// SPDX-License-Identifier: GPL-2.0
/* Chain member: count packets per IP protocol, then pass them on down the chain.
 * proto_count[p] counts IP protocol p (1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6): for IPv6 the
 * upper-layer protocol behind the extension headers (an MLD report behind Hop-by-Hop is 58);
 * proto_count[COUNT_NOT_IP] counts frames that are not IPv4/IPv6 (ARP, ...) or whose IP
 * header is malformed or cut short.
 * The same object works in any slot, or attached on its own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "chain.bpf.h"
#include "parse.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define COUNT_NOT_IP 255	/* IANA "reserved": no real protocol lands here */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	struct l4_info l4;
	__u32 key = COUNT_NOT_IP;
	__u64 *n;

	if (parse_l4((void *)(long)ctx->data, (void *)(long)ctx->data_end, &l4) == 0 && l4.ip)
		key = l4.proto;
	n = bpf_map_lookup_elem(&proto_count, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return chain_next(ctx, XDP_PASS);
}
