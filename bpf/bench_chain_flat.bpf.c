// SPDX-License-Identifier: GPL-2.0
/* Benchmark-only: the chain lab's work as ONE program (scripts/bench/b-chain.sh). What k
 * chained xdp_count members do per packet -- count the protocol, count the slot -- done k
 * times in a loop after one parse, without the root, the metadata or the tail calls (each
 * member parses again: that is part of what a chain costs). k is flat_k[0], set from user
 * space before each run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "parse.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_K 32
#define COUNT_NOT_IP 255

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} flat_proto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_K);
	__type(key, __u32);
	__type(value, __u64);
} flat_runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} flat_k SEC(".maps");

SEC("xdp")
int chain_flat(struct xdp_md *ctx)
{
	__u32 zero = 0, *kp = bpf_map_lookup_elem(&flat_k, &zero);
	__u32 k = kp ? *kp : 0, key = COUNT_NOT_IP;
	struct l4_info l4;

	/* One program parses once: only the per-member counting is repeated k times. */
	if (parse_l4((void *)(long)ctx->data, (void *)(long)ctx->data_end, &l4) == 0 &&
	    (l4.eth_proto == ETH_P_IP || l4.eth_proto == ETH_P_IPV6))
		key = l4.proto;
	/* Unrolled: a loop whose counter goes through the stack (&i) looks infinite to the verifier. */
#pragma unroll
	for (__u32 i = 0; i < MAX_K; i++) {
		__u32 slot = i;
		__u64 *n;

		if (i >= k)
			break;
		n = bpf_map_lookup_elem(&flat_proto, &key);
		if (n)
			__sync_fetch_and_add(n, 1);
		n = bpf_map_lookup_elem(&flat_runs, &slot);
		if (n)
			*n += 1;
	}
	return XDP_PASS;
}
