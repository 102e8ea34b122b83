// SPDX-License-Identifier: GPL-2.0
/* Tail-call lab: the jmp_table example. Each program returns its own number unless the
 * tail call to the next slot succeeds -- a successful tail call never returns, so the value
 * returned by `entry` tells how far down the table execution went:
 *
 *   entry --slot 0--> classifier_0 --slot 1--> classifier_1 --slot 2--> classifier_2
 *     \ empty: 3        \ empty: 0               \ empty: 1                returns 2
 *
 * Attached to tc ingress in direct-action mode these numbers are tc verdicts: 0 TC_ACT_OK
 * (pass), 2 TC_ACT_SHOT (drop). 1 (TC_ACT_RECLASSIFY) and 3 (TC_ACT_PIPE) are not acted on:
 * cls_bpf turns every code but OK, SHOT, STOLEN, TRAP, REDIRECT and UNSPEC into TC_ACT_UNSPEC,
 * "try the next filter"; with no other filter on the hook the packet passes.
 * So a full table drops the traffic and emptying any slot lets it through again.
 *
 * loop_start/loop_self show the tail-call limit: loop_self tail-calls itself through
 * loop_table, counting in skb->cb[0] (which survives tail calls), until the kernel refuses
 * the 34th call; the count it returns is MAX_TAIL_CALL_CNT (33).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 3);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} jmp_table SEC(".maps");

/* How often each program ran (0..2 classifiers, 3 entry): shows live traffic going through. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} tc_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} loop_table SEC(".maps");

static __always_inline void hit(__u32 n)
{
	__u64 *v = bpf_map_lookup_elem(&tc_hits, &n);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
	hit(0);
	bpf_tail_call_static(skb, &jmp_table, 1);
	return 0;
}

SEC("tc")
int classifier_1(struct __sk_buff *skb)
{
	hit(1);
	bpf_tail_call_static(skb, &jmp_table, 2);
	return 1;
}

SEC("tc")
int classifier_2(struct __sk_buff *skb)
{
	hit(2);
	return 2;
}

SEC("tc")
int entry(struct __sk_buff *skb)
{
	hit(3);
	bpf_tail_call_static(skb, &jmp_table, 0);
	return 3;
}

SEC("tc")
int loop_start(struct __sk_buff *skb)
{
	skb->cb[0] = 0;
	bpf_tail_call_static(skb, &loop_table, 0);
	return -1;	/* loop_table is empty */
}

SEC("tc")
int loop_self(struct __sk_buff *skb)
{
	skb->cb[0]++;	/* one more tail call got us here */
	bpf_tail_call_static(skb, &loop_table, 0);
	return skb->cb[0];
}
