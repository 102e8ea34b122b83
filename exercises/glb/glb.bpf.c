// SPDX-License-Identifier: GPL-2.0
/* Exercise, GLB lab: the director's lookups through a map-in-map.
 *
 *   glb_binds[f.bind]      = T               which table serves this VIP, protocol and port
 *   glb_tables[T]          = an inner map    (ARRAY_OF_MAPS: the slot holds a whole map)
 *   glb_secrets[T]         = the table's SipHash key
 *   inner[row]             = {primary, secondary}, row = glb_hash_row(hash)
 *
 * The maps are defined in bpf/glb_maps.bpf.h, shared with the solution so that the checker
 * and build/glbtable find the shapes they expect: read how glb_tables is declared there.
 * Parsing the packet (glb_parse_flow) and writing the outer headers (glb_encap) are given, in
 * bpf/glb_fwd.bpf.h. Return, counting each outcome in glb_stats with count():
 *   no bind                          -> GLB_STAT_NO_BIND,   XDP_PASS
 *   no map in the slot, or no key    -> GLB_STAT_NO_TABLE,  XDP_PASS
 *   no row, or its primary is 0      -> GLB_STAT_EMPTY_ROW, XDP_PASS (an empty row)
 *   glb_encap() fails                -> GLB_STAT_ERROR,     XDP_DROP
 *   encapsulated                     -> GLB_STAT_ENCAP,     XDP_TX
 *
 * Check your work (as root, at the repository root):
 *   scripts/check.sh glb exercises/glb/glb.bpf.c
 * It runs ~20,000 generated frames through yours and compares the verdict and every output
 * byte with GLB's specification (tests/fuzz/ref_glb.c), then swaps a table while yours is
 * loaded and checks that the next packet goes to the new table's backend. The solution is
 * bpf/glb.bpf.c: try on your own first. Keep the function and map names.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "glb_fwd.bpf.h"	/* struct glb_flow, glb_parse_flow(), glb_encap() */
#include "glb_maps.bpf.h"	/* the maps above, glb_stats, count() */

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int glb_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct glb_flow f = {};
	struct glb_config *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&glb_config, &zero);
	if (!cfg || glb_parse_flow(data, data_end, cfg->flags, &f))
		return count(GLB_STAT_OTHER, XDP_PASS);

	/* TODO 1: look up f.bind in glb_binds: the value is the table index T.
	 * TODO 2: look up T in glb_tables: the result is the inner map itself (a void *), used
	 *         like any map: bpf_map_lookup_elem(table, &row). Look up T in glb_secrets too.
	 * TODO 3: hash = glb_siphash(key, &f.msg, f.msg_len); row = glb_hash_row(hash);
	 *         look the row up in the inner map.
	 * TODO 4: if (glb_encap(ctx, &f, cfg->src_ip, row, hash)) ... and return as listed above.
	 */
	return count(GLB_STAT_NO_BIND, XDP_PASS);
}
