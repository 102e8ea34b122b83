// SPDX-License-Identifier: GPL-2.0
/* Capture by hand, without build/xdpcap: one small capture program per XDP action, to put
 * into an xdpcap_hook slot with bpftool and read with `bpftool map event_pipe`:
 *
 *   bpftool prog loadall build/xdpcap_dump.bpf.o DIR pinmaps DIR
 *   bpftool map update pinned HOOK key 1 0 0 0 value pinned DIR/xcdump_drop   # start
 *   bpftool map event_pipe pinned DIR/xcdump_events                            # watch
 *   bpftool map delete pinned HOOK key 1 0 0 0                                 # stop
 *
 * Each record is struct xcdump_meta followed by the first XCDUMP_SNAP bytes of the packet.
 * Every program returns the action of its slot, so the verdict reaches the driver unchanged.
 * build/xdpcap generates the same thing at run time, with a tcpdump filter inside.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define XCDUMP_SNAP 64	/* enough for Ethernet + IP + ICMP/UDP/TCP headers in one screen */

struct xcdump_meta {
	__u32 action;	/* the verdict, i.e. the slot this program sits in */
	__u32 len;	/* packet length */
};

/* max_entries left out: libbpf sizes a PERF_EVENT_ARRAY to the number of CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} xcdump_events SEC(".maps");

static __always_inline int dump(struct xdp_md *ctx, int action)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xcdump_meta meta = { .action = action, .len = data_end - data };
	__u64 snap = meta.len < XCDUMP_SNAP ? meta.len : XCDUMP_SNAP;

	/* The upper 32 bits of flags ask the kernel to append that many packet bytes. */
	bpf_perf_event_output(ctx, &xcdump_events, BPF_F_CURRENT_CPU | (snap << 32), &meta, sizeof(meta));
	return action;
}

SEC("xdp")
int xcdump_aborted(struct xdp_md *ctx)
{
	return dump(ctx, XDP_ABORTED);
}

SEC("xdp")
int xcdump_drop(struct xdp_md *ctx)
{
	return dump(ctx, XDP_DROP);
}

SEC("xdp")
int xcdump_pass(struct xdp_md *ctx)
{
	return dump(ctx, XDP_PASS);
}

SEC("xdp")
int xcdump_tx(struct xdp_md *ctx)
{
	return dump(ctx, XDP_TX);
}

SEC("xdp")
int xcdump_redirect(struct xdp_md *ctx)
{
	return dump(ctx, XDP_REDIRECT);
}
