// SPDX-License-Identifier: GPL-2.0
/* Benchmark-only: GLB's map-in-map lookup path against one flat hash (scripts/bench/mim.sh).
 *
 *   mim_lookup   bind hash -> ARRAY_OF_MAPS slot -> inner ARRAY row   (three lookups, as glb_fwd)
 *   flat_lookup  one HASH lookup of {bind, row} -> the same row
 *
 * GLB's key and table sizes (bpf/glb.h: 24-byte bind, 65536-row tables). Both parse the
 * packet and hash the 5-tuple the same way (FNV-1a here; GLB uses SipHash, which would add
 * the same cost to both) and return XDP_DROP when they found a non-empty row, XDP_PASS
 * otherwise: no encapsulation, so the difference is the lookups alone. Each run stores the
 * row it computed in bench_row, so user space can put that one row into flat_rows.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "parse.bpf.h"
#include "glb.h"

char LICENSE[] SEC("license") = "GPL";

struct flat_key {
	struct glb_bind bind;
	__u32 row;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GLB_MAX_BINDS);
	__type(key, struct glb_bind);
	__type(value, __u32);
} mim_binds SEC(".maps");

struct mim_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GLB_ROWS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct glb_row));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, GLB_TABLES);
	__type(key, __u32);
	__array(values, struct mim_table);
} mim_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GLB_ROWS);
	__type(key, struct flat_key);
	__type(value, struct glb_row);
} flat_rows SEC(".maps");

__u32 bench_row;

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

/* The bind and the row number of a TCP/UDP IPv4 packet; -1 for anything else. */
static __always_inline int flow_of(struct xdp_md *ctx, struct glb_bind *bind, __u32 *row)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct l4_info l4;
	struct udphdr *ports;	/* TCP and UDP both start with sport, dport */
	__u32 h = FNV_OFFSET;

	if (parse_l4(data, data_end, &l4) || !l4.l4 || l4.eth_proto != ETH_P_IP ||
	    (void *)(ip + 1) > data_end)
		return -1;
	if (l4.proto != IPPROTO_TCP && l4.proto != IPPROTO_UDP)
		return -1;
	ports = l4.l4;
	if ((void *)(ports + 1) > data_end)
		return -1;
	bind->ipv4 = ip->daddr;
	bind->port = ports->dest;
	bind->proto = l4.proto;
	h = fnv_bytes(h, ip->saddr, 4);
	h = fnv_bytes(h, ip->daddr, 4);
	h = fnv_bytes(h, ports->source, 2);
	h = fnv_bytes(h, ports->dest, 2);
	h = fnv_bytes(h, l4.proto, 1);
	*row = (h ^ (h >> 16)) & (GLB_ROWS - 1);
	bench_row = *row;
	return 0;
}

SEC("xdp")
int mim_lookup(struct xdp_md *ctx)
{
	struct glb_bind bind = {};
	struct glb_row *r;
	__u32 row, *idx;
	void *table;

	if (flow_of(ctx, &bind, &row))
		return XDP_PASS;
	idx = bpf_map_lookup_elem(&mim_binds, &bind);
	if (!idx)
		return XDP_PASS;
	table = bpf_map_lookup_elem(&mim_tables, idx);
	if (!table)
		return XDP_PASS;
	r = bpf_map_lookup_elem(table, &row);
	return r && r->primary ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int flat_lookup(struct xdp_md *ctx)
{
	struct flat_key k = {};
	struct glb_row *r;

	if (flow_of(ctx, &k.bind, &k.row))
		return XDP_PASS;
	r = bpf_map_lookup_elem(&flat_rows, &k);
	return r && r->primary ? XDP_DROP : XDP_PASS;
}
