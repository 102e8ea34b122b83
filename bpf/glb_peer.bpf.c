// SPDX-License-Identifier: GPL-2.0
/* glb_peer: XDP_PASS on the far end of the GLB lab's veth (in the lab's netns).
 *
 * A veth delivers the frames its partner sends with XDP_TX only to a receive queue that
 * runs NAPI, and wakes that queue up only when it has an XDP program: without one the
 * encapsulated packets glb_fwd sends back would wait in the ring until some ordinary packet
 * came by. This program makes the netns end such a receiver; it changes nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>


char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int glb_peer(struct xdp_md *ctx)
{
	return XDP_PASS;
}
