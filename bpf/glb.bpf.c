// SPDX-License-Identifier: GPL-2.0
/* glb_fwd: a GLB-style director. An IPv4 TCP/UDP packet to a bound VIP:port is hashed to a
 * row of the forwarding table its bind points at, and sent back out (XDP_TX) inside an
 * IP-in-IP header addressed to the row's primary backend.
 *
 *   glb_binds[{vip, port, proto}] = T       bind -> table index
 *   glb_tables[T] = inner map               swapped whole by user space (one pointer write)
 *   inner[hash & (GLB_ROWS - 1)] = {primary, secondary}
 *
 * Everything else passes to the stack: non-IPv4, other protocols, VLAN-tagged frames,
 * fragments, malformed headers, an unbound VIP, a table slot without a map, an empty row.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "glb.h"
#include "parse.bpf.h"
#include "xdpcap.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define ETH_ALEN	6
#define IP_MF		0x2000
#define IP_DF		0x4000

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GLB_MAX_BINDS);
	__type(key, struct glb_bind);
	__type(value, __u32);
} glb_binds SEC(".maps");

/* The inner-map template: every table put into glb_tables must match it exactly
 * (array, 4-byte key, 8-byte value, GLB_ROWS entries). Sizes, not BTF types: clang emits
 * only a forward declaration of a struct reached through __array(), which libbpf cannot
 * size; and the tables user space creates with `bpftool map create` carry no BTF anyway.
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
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct glb_config);
} glb_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GLB_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} glb_stats SEC(".maps");

static __always_inline int count(__u32 stat, int action)
{
	__u64 *n = bpf_map_lookup_elem(&glb_stats, &stat);

	if (n)
		*n += 1;
	return action;
}

/* FNV-1a (32 bit) over 13 bytes in wire order: saddr, daddr, sport, dport, proto; then the
 * high half folded onto the low one, because the low bits of FNV-1a depend only on the
 * low bits of its input bytes. scripts/glb.sh computes the same hash to name the row.
 */
#define FNV_OFFSET	2166136261u
#define FNV_PRIME	16777619u

static __always_inline __u32 fnv_bytes(__u32 h, __u32 v, int n)
{
	int i;

#pragma unroll
	for (i = 0; i < n; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= FNV_PRIME;
	}
	return h;
}

static __always_inline __u32 flow_hash(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport, __u8 proto)
{
	__u32 h = FNV_OFFSET;

	/* Network-order values read as little-endian integers: byte i is bits 8i..8i+7. */
	h = fnv_bytes(h, saddr, 4);
	h = fnv_bytes(h, daddr, 4);
	h = fnv_bytes(h, sport, 2);
	h = fnv_bytes(h, dport, 2);
	h = fnv_bytes(h, proto, 1);
	return h ^ (h >> 16);
}

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

static __always_inline int glb_process(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + ETH_HLEN;
	struct glb_bind bind = {};
	struct glb_config *cfg;
	struct glb_row *row;
	struct l4_info l4;
	struct iphdr outer = {};
	__u8 dst_mac[ETH_ALEN], src_mac[ETH_ALEN];
	__u16 tot_len;
	__be16 sport;
	__u32 key, *table_idx;
	void *table;

	if (parse_l4(data, data_end, &l4) || !l4.l4)
		return count(GLB_STAT_OTHER, XDP_PASS);
	/* Untagged IPv4 only: the outer header goes right after the Ethernet header. */
	if (eth->h_proto != bpf_htons(ETH_P_IP) || (void *)(ip + 1) > data_end)
		return count(GLB_STAT_OTHER, XDP_PASS);
	/* Fragments pass: only the first carries the ports, the rest would hash elsewhere. */
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return count(GLB_STAT_OTHER, XDP_PASS);
	tot_len = bpf_ntohs(ip->tot_len);
	/* The inner packet must be whole, and the outer one must still fit 64 KiB. */
	if (tot_len < ip->ihl * 4 || (void *)ip + tot_len > data_end || tot_len > 0xffff - sizeof(outer))
		return count(GLB_STAT_OTHER, XDP_PASS);

	if (l4.proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4.l4;

		if ((void *)(tcp + 1) > data_end)
			return count(GLB_STAT_OTHER, XDP_PASS);
		sport = tcp->source;
		bind.port = tcp->dest;
	} else if (l4.proto == IPPROTO_UDP) {
		struct udphdr *udp = l4.l4;

		if ((void *)(udp + 1) > data_end)
			return count(GLB_STAT_OTHER, XDP_PASS);
		sport = udp->source;
		bind.port = udp->dest;
	} else {
		return count(GLB_STAT_OTHER, XDP_PASS);
	}
	bind.vip = ip->daddr;
	bind.proto = l4.proto;

	table_idx = bpf_map_lookup_elem(&glb_binds, &bind);
	if (!table_idx)
		return count(GLB_STAT_NO_BIND, XDP_PASS);
	/* The inner map as it is now: a table swapped in a moment later is seen by the next packet. */
	table = bpf_map_lookup_elem(&glb_tables, table_idx);
	if (!table)
		return count(GLB_STAT_NO_TABLE, XDP_PASS);
	key = flow_hash(ip->saddr, ip->daddr, sport, bind.port, l4.proto) & (GLB_ROWS - 1);
	row = bpf_map_lookup_elem(table, &key);
	if (!row || !row->primary)
		return count(GLB_STAT_EMPTY_ROW, XDP_PASS);

	outer.version = 4;
	outer.ihl = 5;
	outer.tos = ip->tos;
	outer.tot_len = bpf_htons(tot_len + sizeof(outer));
	outer.frag_off = bpf_htons(IP_DF);
	outer.ttl = 64;
	outer.protocol = IPPROTO_IPIP;
	outer.daddr = row->primary;
	key = 0;
	cfg = bpf_map_lookup_elem(&glb_config, &key);
	outer.saddr = cfg && cfg->src_ip ? cfg->src_ip : ip->daddr;
	outer.check = ipv4_csum(&outer);
	/* Back to where the packet came from (in a real network: the router). */
	__builtin_memcpy(dst_mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(src_mac, eth->h_dest, ETH_ALEN);

	/* Grow the packet at the front by one IPv4 header; every packet pointer is stale after. */
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(outer)))
		return count(GLB_STAT_ERROR, XDP_DROP);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	ip = data + ETH_HLEN;
	if ((void *)(ip + 1) > data_end)
		return count(GLB_STAT_ERROR, XDP_DROP);
	__builtin_memcpy(eth->h_dest, dst_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, src_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	*ip = outer;
	return count(GLB_STAT_ENCAP, XDP_TX);
}

SEC("xdp")
int glb_fwd(struct xdp_md *ctx)
{
	return xdpcap_exit(ctx, &xdpcap_hook, glb_process(ctx));
}
