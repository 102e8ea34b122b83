/* SPDX-License-Identifier: GPL-2.0 */
/* Protocol constants that vmlinux.h cannot carry (they are #defines in the UAPI headers). */
#ifndef BPFLAB_NET_BPF_H
#define BPFLAB_NET_BPF_H

#define ETH_HLEN	14
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_ARP	0x0806
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8

#define IPPROTO_ICMPV6_NH 58	/* not in the IPPROTO_ enum of vmlinux.h */
/* IPv6 extension headers (include/uapi/linux/in6.h #defines); AH (51) is in the enum. */
#define IPPROTO_HOPOPTS		0
#define IPPROTO_ROUTING		43
#define IPPROTO_FRAGMENT	44
#define IPPROTO_DSTOPTS		60
#define IP_OFFSET	0x1fff	/* fragment offset mask of iphdr.frag_off (host order) */

#define ICMP_ECHOREPLY		0
#define ICMP_ECHO		8
#define ICMPV6_ECHO_REQUEST	128
#define ICMPV6_ECHO_REPLY	129

#define AF_INET		2
#define AF_INET6	10

#endif
