// SPDX-License-Identifier: GPL-2.0
/* Chain-call lab: the root program, attached once to the device. It tail-calls the first
 * occupied slot of root_array; each member continues the chain itself with chain_next()
 * (see chain.bpf.h). Adding or removing a member is a prog-array update: the program on
 * the device never changes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "chain.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_root(struct xdp_md *ctx)
{
	struct chain_meta *m;

	/* A driver without metadata support cannot tell members their slot: pass, unchained. */
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return xdpcap_exit(ctx, &xdpcap_hook, XDP_PASS);
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data)
		return chain_end(ctx, XDP_PASS);
	m->magic = CHAIN_MAGIC;
	return chain_run_from(ctx, m, 0);
}
