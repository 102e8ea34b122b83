// SPDX-License-Identifier: GPL-2.0
/* Chain member: a UDP/TCP destination-port filter configured through its map.
 * port_rules: key {proto, 0, port in network byte order}, value = the XDP verdict for it
 * (1 XDP_DROP, 2 XDP_PASS). Packets without a rule pass on down the chain. E.g. drop UDP to
 * port 9 (discard):
 *   bpftool map update pinned DIR/port_rules key 17 0 0 9 value 1 0 0 0
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "chain.bpf.h"
#include "parse.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct port_key {
	__u8 proto;	/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;	/* always 0 */
	__be16 port;	/* destination port, network byte order */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct port_key);
	__type(value, __u32);
} port_rules SEC(".maps");

static __always_inline int port_verdict(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct port_key key = {};
	struct l4_info l4;
	__u32 *verdict;

	/* The destination port of a UDP or TCP header that is there whole (by the IP lengths). */
	if (parse_l4((void *)(long)ctx->data, data_end, &l4))
		return XDP_PASS;
	if (l4.proto == IPPROTO_UDP) {
		struct udphdr *udp = l4_header(&l4, data_end, sizeof(*udp));

		if (!udp)
			return XDP_PASS;
		key.port = udp->dest;
	} else if (l4.proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4_header(&l4, data_end, sizeof(*tcp));

		if (!tcp)
			return XDP_PASS;
		key.port = tcp->dest;
	} else {
		return XDP_PASS;
	}
	key.proto = l4.proto;
	verdict = bpf_map_lookup_elem(&port_rules, &key);
	return verdict ? *verdict : XDP_PASS;
}

SEC("xdp")
int xdp_portfilter(struct xdp_md *ctx)
{
	return chain_next(ctx, port_verdict(ctx));
}
