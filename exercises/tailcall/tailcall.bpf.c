// SPDX-License-Identifier: GPL-2.0
/* Exercise, tail calls: the jmp_table chain and the tail-call limit.
 *
 *   entry --jmp_table[0]--> classifier_0 --[1]--> classifier_1 --[2]--> classifier_2
 *
 * Each program returns its own number (entry 3, classifier_N N) only when its tail call
 * fails because the slot is empty: a successful tail call never returns. So with the whole
 * table filled entry returns 2; empty slot 2 and it returns 1, and so on.
 * loop_self tail-calls itself through loop_table, counting in skb->cb[0], until the kernel
 * refuses; loop_start returns that count.
 *
 * Check your work (as root, at the repository root):
 *   scripts/check.sh tailcall exercises/tailcall/tailcall.bpf.c
 * It fills jmp_table, runs entry, empties the slots one by one and compares every return
 * value with the solution's (bpf/tailcall.bpf.c). Keep the function and map names.
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

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} loop_table SEC(".maps");

SEC("tc")
int classifier_0(struct __sk_buff *skb)
{
	/* TODO: tail-call slot 1 of jmp_table: bpf_tail_call_static(skb, &jmp_table, 1); */
	return 0;
}

SEC("tc")
int classifier_1(struct __sk_buff *skb)
{
	/* TODO: tail-call slot 2 */
	return 1;
}

SEC("tc")
int classifier_2(struct __sk_buff *skb)
{
	return 2;	/* the end of the chain */
}

SEC("tc")
int entry(struct __sk_buff *skb)
{
	/* TODO: tail-call slot 0 */
	return 3;
}

SEC("tc")
int loop_start(struct __sk_buff *skb)
{
	/* TODO: reset the counter (skb->cb[0] survives tail calls), tail-call loop_table slot 0 */
	return -1;	/* reached only when loop_table is empty */
}

SEC("tc")
int loop_self(struct __sk_buff *skb)
{
	/* TODO: count this call in skb->cb[0], tail-call loop_table slot 0 (this program again),
	 *       and when that fails return the count. */
	return 0;
}
