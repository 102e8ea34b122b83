// SPDX-License-Identifier: GPL-2.0
/* The template lab's program (scripts/template.sh): count every frame, pass it on.
 * Copy this file to start a lab of your own; see labs/README.md, "Adding a lab".
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* One counter; bpftool map dump shows it. An ARRAY, not PERCPU_ARRAY, so a student reads
 * one number (the atomic add is the price). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pkt_count SEC(".maps");

SEC("xdp")
int xdp_template(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&pkt_count, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_PASS;
}
