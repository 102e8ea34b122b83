/* SPDX-License-Identifier: GPL-2.0 */
/* Packet parsing shared by the XDP programs: Ethernet (up to two 802.1Q/802.1ad tags), IPv4,
 * IPv6 with its extension headers. What counts as well formed follows the specifications
 * (tests/fuzz/ref.c states them; build/xdpfuzz checks this code against it):
 *   IPv4  version 4, IHL >= 5, IHL*4 <= Total Length <= the bytes there. Bytes past Total
 *         Length are link padding (a 60-byte minimum frame), never part of the packet.
 *   IPv6  version 6, 40 + Payload Length <= the bytes there; Hop-by-Hop (only first),
 *         Routing, Fragment, Destination Options and AH headers are walked, at most
 *         IPV6_EXT_MAX of them, each inside the payload.
 * Only the first fragment (offset 0) carries the upper-layer header.
 */
#ifndef BPFLAB_PARSE_BPF_H
#define BPFLAB_PARSE_BPF_H

#include <bpf/bpf_endian.h>
#include "net.bpf.h"

/* RFC 8200 4.1's recommended order has at most six extension headers before the upper layer
 * (Hop-by-Hop, Destination Options, Routing, Fragment, AH, Destination Options). */
#define IPV6_EXT_MAX	6

struct l4_info {
	__u16 eth_proto;	/* host order: ETH_P_IP, ETH_P_IPV6, ETH_P_ARP, ... */
	__u8 ip;		/* 4 or 6 when the IP header is well formed; 0 otherwise */
	__u8 proto;		/* upper-layer protocol (IPPROTO_*) when ip != 0; else 0. For a
				 * later IPv6 fragment: the Fragment header's Next Header */
	void *l4;		/* the upper-layer header, NULL when absent (not IP, malformed,
				 * later fragment); read it through l4_header() */
	__u32 l4_len;		/* its length by the IP length fields (l4 + l4_len <= data_end) */
};

/* A 16-bit length field of the packet, with its range visible to the verifier. Older
 * verifiers (Debian 6.1's) lose a value's bounds across the byte swap, then refuse
 * `pkt + len` ("math between pkt pointer and register with unbounded min value"); the barrier
 * keeps clang from dropping the mask that gives them back. */
static __always_inline __u64 len16(__be16 v)
{
	__u64 n = bpf_ntohs(v);

	barrier_var(n);
	return n & 0xffff;
}

static __always_inline void parse_ipv4(struct iphdr *ip, void *data_end, struct l4_info *info)
{
	__u64 hlen, tot;

	if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5)
		return;
	hlen = ip->ihl * 4;
	tot = len16(ip->tot_len);
	if (tot < hlen || (void *)ip + tot > data_end)
		return;
	info->ip = 4;
	info->proto = ip->protocol;
	if (!(bpf_ntohs(ip->frag_off) & IP_OFFSET)) {
		info->l4 = (void *)ip + hlen;
		info->l4_len = tot - hlen;
	}
}

static __always_inline int ipv6_ext_hdr(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_AH || nh == IPPROTO_DSTOPTS;
}

static __always_inline void parse_ipv6(struct ipv6hdr *ip6, void *data_end, struct l4_info *info)
{
	void *l3 = ip6;
	__u64 off = sizeof(*ip6), end, hlen;
	__u8 nh, *h;
	int i;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return;
	end = sizeof(*ip6) + len16(ip6->payload_len);
	if (l3 + end > data_end)
		return;
	nh = ip6->nexthdr;
	/* A loop, not unrolled: the verifier walks it (bounded), the program stays small. */
#pragma clang loop unroll(disable)
	for (i = 0; i <= IPV6_EXT_MAX; i++) {
		if (!ipv6_ext_hdr(nh)) {
			info->ip = 6;
			info->proto = nh;
			info->l4 = l3 + off;
			info->l4_len = end - off;
			return;
		}
		h = l3 + off;
		/* Too many headers, or one that does not fit: malformed (every one is >= 8 B). */
		if (i == IPV6_EXT_MAX || off + 8 > end || (void *)(h + 8) > data_end)
			return;
		if (nh == IPPROTO_FRAGMENT) {
			hlen = 8;
			/* A later fragment: the upper-layer header is in the first one. */
			if (bpf_ntohs(*(__be16 *)(h + 2)) >> 3) {
				info->ip = 6;
				info->proto = h[0];
				return;
			}
		} else if (nh == IPPROTO_AH) {
			hlen = (h[1] + 2) * 4;		/* RFC 4302: 4-byte units, minus 2 */
		} else {
			if (nh == IPPROTO_HOPOPTS && off != sizeof(*ip6))
				return;			/* Hop-by-Hop only right after IPv6 */
			hlen = (h[1] + 1) * 8;		/* 8-byte units, not counting the first 8 */
		}
		if (off + hlen > end)
			return;
		nh = h[0];
		off += hlen;
	}
}

/* Fill *info; returns 0, or -1 when the frame is too short for its Ethernet header and tags. */
static __always_inline int parse_l4(void *data, void *data_end, struct l4_info *info)
{
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;
	int i;

	info->eth_proto = 0;
	info->ip = 0;
	info->proto = 0;
	info->l4 = NULL;
	info->l4_len = 0;
	if (l3 > data_end)
		return -1;
	proto = bpf_ntohs(eth->h_proto);
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_hdr *tag = l3;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(tag + 1) > data_end)
			return -1;
		proto = bpf_ntohs(tag->h_vlan_encapsulated_proto);
		l3 = tag + 1;
	}
	info->eth_proto = proto;
	if (proto == ETH_P_IP)
		parse_ipv4(l3, data_end, info);
	else if (proto == ETH_P_IPV6)
		parse_ipv6(l3, data_end, info);
	return 0;
}

/* The upper-layer header when at least N bytes of it are there (by the IP lengths), else NULL. */
static __always_inline void *l4_header(const struct l4_info *info, void *data_end, __u32 n)
{
	if (!info->l4 || info->l4_len < n || info->l4 + n > data_end)
		return NULL;
	return info->l4;
}

#endif
