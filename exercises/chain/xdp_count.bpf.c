// SPDX-License-Identifier: GPL-2.0
/* Exercise, chain calls: a chain member that counts packets per IP protocol and passes
 * them on down the chain (scripts/chain.sh add SLOT OBJ).
 *   proto_count[p]   packets of IP protocol p (1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6)
 *   proto_count[255] frames that are not IPv4/IPv6 (ARP, ...)
 *
 * Check your work (as root, at the repository root):
 *   scripts/check.sh chain exercises/chain/xdp_count.bpf.c
 * It puts your member in slot 4 of a chain whose slots 1 and 7 hold the solution
 * (bpf/xdp_count.bpf.c), runs the root on a frame and checks that slots 1, 4 and 7 ran in
 * turn, then compares proto_count with the solution's after five kinds of frames.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "chain.bpf.h"	/* root_array, chain_next(): read it */
#include "parse.bpf.h"	/* parse_l4(): Ethernet, VLAN tags, IPv4/IPv6 */

char LICENSE[] SEC("license") = "GPL";

#define COUNT_NOT_IP 255

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	/* TODO 1: parse_l4(data, data_end, &l4); the key is l4.proto for IPv4/IPv6 frames,
	 *         COUNT_NOT_IP otherwise.
	 * TODO 2: add 1 to proto_count[key] (bpf_map_lookup_elem, check for NULL,
	 *         __sync_fetch_and_add: other CPUs count too).
	 * TODO 3: do not end the chain here: return chain_next(ctx, XDP_PASS);
	 */
	return XDP_PASS;
}
