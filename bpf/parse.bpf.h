/* SPDX-License-Identifier: GPL-2.0 */
/* Packet parsing shared by the XDP programs: Ethernet (up to two 802.1Q/802.1ad tags), IPv4, IPv6.
 * Malformed IP headers (wrong version, IHL < 5) count as "not IP": proto 0, no l4.
 */
#ifndef BPFLAB_PARSE_BPF_H
#define BPFLAB_PARSE_BPF_H

#include <bpf/bpf_endian.h>
#include "net.bpf.h"

struct l4_info {
	__u16 eth_proto;	/* host order: ETH_P_IP, ETH_P_IPV6, ETH_P_ARP, ... */
	__u8 proto;		/* IP protocol (IPPROTO_*); 0 when not IP */
	void *l4;		/* the L4 header, NULL when absent (non-IP, later fragment, short);
			 * for IPv4 it is past the options: l4 + N <= data_end proves the whole
			 * IP header and N bytes of L4 are there */
};

/* Fill *info; returns 0, or -1 when the frame is too short to hold an Ethernet header. */
static __always_inline int parse_l4(void *data, void *data_end, struct l4_info *info)
{
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;
	int i;

	info->proto = 0;
	info->l4 = NULL;
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

	if (proto == ETH_P_IP) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5)
			return 0;
		info->proto = ip->protocol;
		/* Only the first fragment carries the L4 header. */
		if (!(bpf_ntohs(ip->frag_off) & IP_OFFSET))
			info->l4 = l3 + ip->ihl * 4;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
			return 0;
		/* Extension headers are not followed. */
		info->proto = ip6->nexthdr;
		info->l4 = ip6 + 1;
	}
	return 0;
}

#endif
