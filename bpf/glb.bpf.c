// SPDX-License-Identifier: GPL-2.0
/* glb_fwd: a GLB director. A TCP/UDP packet to a bound VIP:port (IPv4 or IPv6) is hashed
 * (SipHash-2-4 with its table's key, bpf/glb_hash.h) to one of the 65536 rows of the table
 * its bind points at, and sent back out (XDP_TX) GUE-encapsulated to the row's primary, with
 * the secondary in the GUE hop list for the backend's second chance (bpf/glb_redirect.bpf.c).
 *
 *   glb_binds[{ipv4, ipv6, proto, port}] = T          bind -> table index
 *   glb_tables[T] = inner map                         swapped whole by user space
 *   inner[hash & 0xffff] = {primary, secondary}
 *
 * Everything else passes to the stack: other protocols, VLAN-tagged frames, fragments,
 * malformed headers, an unbound VIP, a table slot without a map, an empty row.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "glb.h"
#include "glb_hash.h"
#include "glb.bpf.h"
#include "parse.bpf.h"
#include "xdpcap.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define ETH_ALEN	6
#define IP_MF		0x2000
#define IP_DF		0x4000
#define IPPROTO_IPV6_ENCAP 41

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GLB_MAX_BINDS);
	__type(key, struct glb_bind);
	__type(value, __u32);
} glb_binds SEC(".maps");

/* The inner-map template: every table put into glb_tables must match it exactly (array,
 * 4-byte key, 8-byte value, GLB_ROWS entries). Sizes, not BTF types: clang emits only a
 * forward declaration of a struct reached through __array(), which libbpf cannot size.
 */
struct glb_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GLB_ROWS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct glb_row));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, GLB_TABLES);
	__type(key, __u32);
	__array(values, struct glb_table);
} glb_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GLB_TABLES);
	__type(key, __u32);
	__type(value, struct glb_secret);
} glb_secrets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct glb_config);
} glb_config SEC(".maps");

GLB_COUNTERS(glb_stats, GLB_STAT_MAX);
#define count(stat, action) glb_count(&glb_stats, stat, action)

/* RFC 1071 checksum of a 20-byte IPv4 header (no options). */
static __always_inline __u16 ipv4_csum(const struct iphdr *ip)
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

/* What the outer headers need from the inner packet. */
struct flow {
	struct glb_bind bind;
	union glb_msg msg;
	__u32 msg_len;
	__u32 inner_len;	/* the whole inner IP packet */
	__u8 tos;
	__u8 ipproto;		/* GUE proto_ctype: 4 or 41 */
};

/* 0 and *f filled for a whole, unfragmented IPv4 TCP/UDP packet; -1 otherwise. */
static __always_inline int parse_flow(void *data, void *data_end, struct l4_info *l4,
				      __u32 flags, struct flow *f)
{
	__u32 avail = data_end - data;	/* a scalar: lengths are compared, never added to pointers */
	__be16 sport, dport;

	/* The ports must be inside the datagram by its IP length, not in link padding after it
	 * (xdpfuzz found a TCP header past an IPv6 payload length of 0 encapsulated). */
	if (l4->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4->l4;

		if ((void *)(tcp + 1) > data_end || l4->l4_len < sizeof(*tcp))
			return -1;
		sport = tcp->source;
		dport = tcp->dest;
	} else if (l4->proto == IPPROTO_UDP) {
		struct udphdr *udp = l4->l4;

		if ((void *)(udp + 1) > data_end || l4->l4_len < sizeof(*udp))
			return -1;
		sport = udp->source;
		dport = udp->dest;
	} else {
		return -1;
	}
	f->bind.proto = l4->proto;
	f->bind.port = dport;

	if (l4->eth_proto == ETH_P_IP) {
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
		f->msg_len = glb_flow_msg(&f->msg, &ip->saddr, &ip->daddr, 4, sport, dport, l4->proto, flags);
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
		f->msg_len = glb_flow_msg(&f->msg, &ip6->saddr, &ip6->daddr, 16, sport, dport, l4->proto, flags);
	}
	return 0;
}

static __always_inline int glb_process(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct glb_config *cfg;
	struct glb_secret *key;
	struct glb_row *row;
	struct glb_gue *gue;
	struct udphdr *udp;
	struct l4_info l4;
	struct iphdr *ip, outer = {};
	struct flow f = {};
	__u8 dst_mac[ETH_ALEN], src_mac[ETH_ALEN];
	__u32 zero = 0, rowi, hops, encap, *table_idx;
	__be32 secondary;
	__u64 hash;
	void *table;

	if (parse_l4(data, data_end, &l4) || !l4.l4)
		return count(GLB_STAT_OTHER, XDP_PASS);
	/* Untagged only: the outer header goes right after the Ethernet header. */
	if (eth->h_proto != bpf_htons(l4.eth_proto) || (l4.eth_proto != ETH_P_IP && l4.eth_proto != ETH_P_IPV6))
		return count(GLB_STAT_OTHER, XDP_PASS);
	cfg = bpf_map_lookup_elem(&glb_config, &zero);
	if (!cfg || parse_flow(data, data_end, &l4, cfg->flags, &f))
		return count(GLB_STAT_OTHER, XDP_PASS);
	/* The outer packet must still fit 64 KiB. */
	if (f.inner_len > 0xffff - sizeof(outer) - sizeof(*udp) - GLB_GUE_HLEN(GLB_MAX_HOPS))
		return count(GLB_STAT_OTHER, XDP_PASS);

	table_idx = bpf_map_lookup_elem(&glb_binds, &f.bind);
	if (!table_idx)
		return count(GLB_STAT_NO_BIND, XDP_PASS);
	/* The inner map as it is now: a table swapped in a moment later is seen by the next packet. */
	table = bpf_map_lookup_elem(&glb_tables, table_idx);
	key = bpf_map_lookup_elem(&glb_secrets, table_idx);
	if (!table || !key)
		return count(GLB_STAT_NO_TABLE, XDP_PASS);
	hash = glb_siphash(key, &f.msg, f.msg_len);
	rowi = glb_hash_row(hash);
	row = bpf_map_lookup_elem(table, &rowi);
	if (!row || !row->primary)
		return count(GLB_STAT_EMPTY_ROW, XDP_PASS);
	secondary = row->secondary;
	hops = secondary ? 1 : 0;
	encap = sizeof(outer) + sizeof(*udp) + GLB_GUE_HLEN(hops);

	outer.version = 4;
	outer.ihl = 5;
	outer.tos = f.tos;
	outer.tot_len = bpf_htons(encap + f.inner_len);
	outer.frag_off = bpf_htons(IP_DF);
	outer.ttl = 64;
	outer.protocol = IPPROTO_UDP;
	outer.daddr = row->primary;
	outer.saddr = cfg->src_ip;
	outer.check = ipv4_csum(&outer);
	/* Back to where the packet came from: the router. */
	__builtin_memcpy(dst_mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(src_mac, eth->h_dest, ETH_ALEN);

	/* Grow the packet at the front; every packet pointer is stale after. */
	if (bpf_xdp_adjust_head(ctx, -(int)encap))
		return count(GLB_STAT_ERROR, XDP_DROP);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	ip = data + ETH_HLEN;
	udp = (void *)(ip + 1);
	gue = (void *)(udp + 1);
	/* The largest header (one hop) must fit; the inner packet (>= 20 bytes) follows anyway. */
	if ((void *)(gue + 1) + 4 * GLB_MAX_HOPS > data_end)
		return count(GLB_STAT_ERROR, XDP_DROP);
	__builtin_memcpy(eth->h_dest, dst_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, src_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	*ip = outer;
	udp->source = bpf_htons(glb_hash_sport(hash));
	udp->dest = bpf_htons(GLB_GUE_PORT);
	udp->len = bpf_htons(encap - sizeof(outer) + f.inner_len);
	udp->check = 0;	/* allowed over IPv4; GLB sends none */
	gue->hlen = 1 + hops;
	gue->proto_ctype = f.ipproto;
	gue->flags = 0;
	gue->private_type = 0;
	gue->next_hop = 0;
	gue->hop_count = hops;
	if (hops)
		*(__be32 *)(gue + 1) = secondary;
	return count(GLB_STAT_ENCAP, XDP_TX);
}

SEC("xdp")
int glb_fwd(struct xdp_md *ctx)
{
	return xdpcap_exit(ctx, &xdpcap_hook, glb_process(ctx));
}
