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
#include "glb_fwd.bpf.h"	/* glb_parse_flow(), glb_encap() */
#include "xdpcap.bpf.h"
#include "glb_maps.bpf.h"	/* the maps above (glb_tables: the map-in-map), count() */

char LICENSE[] SEC("license") = "GPL";

/* bind -> table -> row, then out to the row's primary. */
static __always_inline int glb_process(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct glb_flow f = {};
	struct glb_config *cfg;
	struct glb_secret *key;
	struct glb_row *row;
	__u32 zero = 0, rowi, *table_idx;
	__u64 hash;
	void *table;

	cfg = bpf_map_lookup_elem(&glb_config, &zero);
	if (!cfg || glb_parse_flow(data, data_end, cfg->flags, &f))
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
	if (glb_encap(ctx, &f, cfg->src_ip, row, hash))
		return count(GLB_STAT_ERROR, XDP_DROP);
	return count(GLB_STAT_ENCAP, XDP_TX);
}

SEC("xdp")
int glb_fwd(struct xdp_md *ctx)
{
	return xdpcap_exit(ctx, &xdpcap_hook, glb_process(ctx));
}
