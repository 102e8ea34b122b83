/* SPDX-License-Identifier: GPL-2.0 */
/* What the GLB director does around its map lookups: read the flow of a packet, and wrap the
 * packet in outer IPv4 + UDP + GUE for the chosen backend. Shared by the director
 * (bpf/glb.bpf.c) and its exercise (exercises/glb/glb.bpf.c), so both leave only the lookups
 * (bind -> table -> row, the map-in-map part) in the program a student reads.
 */
#ifndef BPFLAB_GLB_FWD_BPF_H
#define BPFLAB_GLB_FWD_BPF_H

#include <bpf/bpf_endian.h>
#include "glb.h"
#include "glb_hash.h"
#include "parse.bpf.h"

#define ETH_ALEN	6
#define IP_MF		0x2000
#define IP_DF		0x4000
#define IPPROTO_IPV6_ENCAP 41

/* What the lookups and the outer headers need from the inner packet. */
struct glb_flow {
	struct glb_bind bind;	/* the glb_binds key: destination VIP, protocol, port */
	union glb_msg msg;	/* the bytes the flow hash is computed over */
	__u32 msg_len;
	__u32 inner_len;	/* the whole inner IP packet */
	__u8 tos;
	__u8 ipproto;		/* GUE proto_ctype: 4 or 41 */
};

/* RFC 1071 checksum of a 20-byte IPv4 header (no options). */
static __always_inline __u16 glb_ipv4_csum(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* 0 and *f filled for an untagged, unfragmented IPv4/IPv6 TCP/UDP packet whose outer packet
 * still fits 64 KiB; -1 for everything the director passes untouched (GLB_STAT_OTHER). */
static __always_inline int glb_parse_flow(void *data, void *data_end, __u32 flags, struct glb_flow *f)
{
	__u32 avail = data_end - data;	/* a scalar: lengths are compared, never added to pointers */
	struct ethhdr *eth = data;
	struct l4_info l4;
	__be16 sport, dport;

	if (parse_l4(data, data_end, &l4) || !l4.l4)
		return -1;
	/* Untagged only: the outer header goes right after the Ethernet header. */
	if (eth->h_proto != bpf_htons(l4.eth_proto) || (l4.eth_proto != ETH_P_IP && l4.eth_proto != ETH_P_IPV6))
		return -1;
	/* The ports must be inside the datagram by its IP length, not in link padding after it
	 * (xdpfuzz found a TCP header past an IPv6 payload length of 0 encapsulated). */
	if (l4.proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4.l4;

		if ((void *)(tcp + 1) > data_end || l4.l4_len < sizeof(*tcp))
			return -1;
		sport = tcp->source;
		dport = tcp->dest;
	} else if (l4.proto == IPPROTO_UDP) {
		struct udphdr *udp = l4.l4;

		if ((void *)(udp + 1) > data_end || l4.l4_len < sizeof(*udp))
			return -1;
		sport = udp->source;
		dport = udp->dest;
	} else {
		return -1;
	}
	f->bind.proto = l4.proto;
	f->bind.port = dport;

	if (l4.eth_proto == ETH_P_IP) {
		struct iphdr *ip = data + ETH_HLEN;

		if ((void *)(ip + 1) > data_end)
			return -1;
		/* Fragments pass: only the first carries the ports the bind is looked up by. */
		if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return -1;
		/* Debian 6.1's verifier rejects pkt pointer + bpf_ntohs() (unbounded after a byte
		 * swap): the length is checked against the frame length, as two scalars. */
		f->inner_len = bpf_ntohs(ip->tot_len);
		if (f->inner_len < ip->ihl * 4 || f->inner_len > avail - ETH_HLEN)
			return -1;
		f->bind.ipv4 = ip->daddr;
		f->tos = ip->tos;
		f->ipproto = IPPROTO_IPIP;
		f->msg_len = glb_flow_msg(&f->msg, &ip->saddr, &ip->daddr, 4, sport, dport, l4.proto, flags);
	} else {
		struct ipv6hdr *ip6 = data + ETH_HLEN;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		f->inner_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
		if (f->inner_len > avail - ETH_HLEN)
			return -1;
		__builtin_memcpy(f->bind.ipv6, &ip6->daddr, 16);
		f->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
		f->ipproto = IPPROTO_IPV6_ENCAP;
		f->msg_len = glb_flow_msg(&f->msg, &ip6->saddr, &ip6->daddr, 16, sport, dport, l4.proto, flags);
	}
	/* The outer packet must still fit 64 KiB. */
	if (f->inner_len > 0xffff - sizeof(struct iphdr) - sizeof(struct udphdr) - GLB_GUE_HLEN(GLB_MAX_HOPS))
		return -1;
	return 0;
}

/* Grow the frame at the front and write outer IPv4 (src -> row's primary) + UDP (source port
 * from the hash, destination 19523) + GUE with the secondary as the one hop, the MAC
 * addresses swapped (back to the router). 0, or -1 when there is no headroom (XDP_DROP). */
static __always_inline int glb_encap(struct xdp_md *ctx, const struct glb_flow *f, __be32 src,
				     const struct glb_row *row, __u64 hash)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 dst_mac[ETH_ALEN], src_mac[ETH_ALEN];
	struct iphdr *ip, outer = {};
	__be32 secondary = row->secondary;
	__u32 hops = secondary ? 1 : 0;
	__u32 encap = sizeof(outer) + sizeof(struct udphdr) + GLB_GUE_HLEN(hops);
	struct glb_gue *gue;
	struct udphdr *udp;

	if ((void *)(eth + 1) > data_end)
		return -1;
	outer.version = 4;
	outer.ihl = 5;
	outer.tos = f->tos;
	outer.tot_len = bpf_htons(encap + f->inner_len);
	outer.frag_off = bpf_htons(IP_DF);
	outer.ttl = 64;
	outer.protocol = IPPROTO_UDP;
	outer.daddr = row->primary;
	outer.saddr = src;
	outer.check = glb_ipv4_csum(&outer);
	__builtin_memcpy(dst_mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(src_mac, eth->h_dest, ETH_ALEN);

	/* Grow the packet at the front; every packet pointer is stale after. */
	if (bpf_xdp_adjust_head(ctx, -(int)encap))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	ip = data + ETH_HLEN;
	udp = (void *)(ip + 1);
	gue = (void *)(udp + 1);
	/* The largest header (one hop) must fit; the inner packet (>= 20 bytes) follows anyway. */
	if ((void *)(gue + 1) + 4 * GLB_MAX_HOPS > data_end)
		return -1;
	__builtin_memcpy(eth->h_dest, dst_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, src_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	*ip = outer;
	udp->source = bpf_htons(glb_hash_sport(hash));
	udp->dest = bpf_htons(GLB_GUE_PORT);
	udp->len = bpf_htons(encap - sizeof(outer) + f->inner_len);
	udp->check = 0;	/* allowed over IPv4; GLB sends none */
	gue->hlen = 1 + hops;
	gue->proto_ctype = f->ipproto;
	gue->flags = 0;
	gue->private_type = 0;
	gue->next_hop = 0;
	gue->hop_count = hops;
	if (hops)
		*(__be32 *)(gue + 1) = secondary;
	return 0;
}

#endif
