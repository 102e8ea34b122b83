// SPDX-License-Identifier: GPL-2.0
/* glb_redirect: GLB's second chance, on a backend (tc ingress of its device).
 *
 * A GUE packet from the director (IPv4, UDP port 19523, bpf/glb.h) carries the client's
 * packet and, in its hop list, the backends that may own the connection if this one does not:
 *   - inner TCP SYN, or a packet of a connection this host has (socket lookup on the inner
 *     4-tuple in this netns): decapsulate and deliver here;
 *   - otherwise, if hops remain: rewrite the outer destination to the next hop, advance
 *     next_hop, fix the IPv4 checksum and send it back out where it came from (the router);
 *   - otherwise (last hop, or UDP): decapsulate and deliver, and let TCP answer (RST).
 * Anything else passes untouched. Like GLB's glb-redirect, IPv4-in-IPv4 only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "glb.h"
#include "net.bpf.h"
#include "glb.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define ETH_ALEN	6
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define IP_MF		0x2000
#define MAX_RX_HOPS	8	/* hops this backend accepts in a GUE header */
#define TCP_LISTEN_STATE 10	/* BPF_TCP_LISTEN */
/* BPF_F_CURRENT_NETNS: an enum of 6.18's BTF, absent from Debian 6.1's (make on 6.1 failed). */
#define LOOKUP_CURRENT_NETNS (-1L)

GLB_COUNTERS(glb_redirect_stats, GLB_REDIR_MAX);
#define count(stat, action) glb_count(&glb_redirect_stats, stat, action)

/* Does this host have the connection of the inner packet (not just a listener)? */
static __always_inline int have_conn(struct __sk_buff *skb, struct iphdr *in, struct tcphdr *tcp)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	int state;

	t.ipv4.saddr = in->saddr;
	t.ipv4.daddr = in->daddr;
	t.ipv4.sport = tcp->source;
	t.ipv4.dport = tcp->dest;
	sk = bpf_skc_lookup_tcp(skb, &t, sizeof(t.ipv4), LOOKUP_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	state = sk->state;
	bpf_sk_release(sk);
	return state != TCP_LISTEN_STATE;
}

SEC("tc")
int glb_redirect(struct __sk_buff *skb)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *ip, *in;
	struct udphdr *udp;
	struct glb_gue *gue;
	struct tcphdr *tcp;
	__u32 hlen, gue_len, ihl, ifindex = skb->ifindex;
	__be32 old_dst, next;
	__u8 next_hop, hop_count, mac[ETH_HLEN];
	int off;

	/* Headers may sit in paged data on some devices: make them directly readable. */
	bpf_skb_pull_data(skb, 0);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	ip = (void *)(eth + 1);
	udp = (void *)(ip + 1);
	gue = (void *)(udp + 1);
	if ((void *)(gue + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return count(GLB_REDIR_NOT_GUE, TC_ACT_OK);
	/* GLB's outer header has no options and is never fragmented. */
	if (ip->version != 4 || ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
	    (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)) || udp->dest != bpf_htons(GLB_GUE_PORT))
		return count(GLB_REDIR_NOT_GUE, TC_ACT_OK);

	hlen = gue->hlen;	/* a version or C bit set makes it > 31: refused below */
	hop_count = gue->hop_count;
	next_hop = gue->next_hop;
	if (hlen < 1 || hop_count > MAX_RX_HOPS || hlen != 1u + hop_count || next_hop > hop_count ||
	    gue->private_type != 0 || gue->proto_ctype != IPPROTO_IPIP)
		return count(GLB_REDIR_BAD, TC_ACT_OK);
	gue_len = 4 + 4 * hlen;
	in = (void *)udp + sizeof(*udp) + gue_len;
	if ((void *)(in + 1) > data_end || in->version != 4 || in->ihl < 5)
		return count(GLB_REDIR_BAD, TC_ACT_OK);

	if (in->protocol == IPPROTO_TCP) {
		ihl = in->ihl * 4;
		tcp = (void *)in + ihl;
		if ((void *)(tcp + 1) > data_end)
			return count(GLB_REDIR_BAD, TC_ACT_OK);
		if (tcp->syn && !tcp->ack) {
			off = GLB_REDIR_SYN;
			goto decap;
		}
		if (have_conn(skb, in, tcp)) {
			off = GLB_REDIR_LOCAL;
			goto decap;
		}
		if (next_hop < hop_count)
			goto forward;
	} else if (in->protocol != IPPROTO_UDP) {
		return count(GLB_REDIR_BAD, TC_ACT_OK);
	}
	off = GLB_REDIR_LAST;

decap:
	/* Remove outer IPv4 + UDP + GUE between the Ethernet header and the inner packet:
	 * both are IPv4, so the skb's protocol stays right. */
	if (bpf_skb_adjust_room(skb, -(int)(sizeof(*ip) + sizeof(*udp) + gue_len), BPF_ADJ_ROOM_MAC, 0))
		return count(GLB_REDIR_ERROR, TC_ACT_SHOT);
	return count(off, TC_ACT_OK);

forward:
	off = ETH_HLEN + sizeof(*ip) + sizeof(*udp) + sizeof(*gue) + 4 * next_hop;
	if (bpf_skb_load_bytes(skb, off, &next, 4) || !next)
		return count(GLB_REDIR_BAD, TC_ACT_OK);
	old_dst = ip->daddr;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(mac + ETH_ALEN, eth->h_dest, ETH_ALEN);
	next_hop++;
	/* Ethernet back to the router, outer destination, next_hop; UDP checksum is 0. */
	if (bpf_skb_store_bytes(skb, 0, mac, 2 * ETH_ALEN, 0) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN + offsetof(struct iphdr, daddr), &next, 4, 0) ||
	    bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check), old_dst, next, 4) ||
	    bpf_skb_store_bytes(skb, ETH_HLEN + sizeof(*ip) + sizeof(*udp) + offsetof(struct glb_gue, next_hop),
				&next_hop, 1, 0))
		return count(GLB_REDIR_ERROR, TC_ACT_SHOT);
	count(GLB_REDIR_FORWARD, 0);
	return bpf_redirect(ifindex, 0);
}
