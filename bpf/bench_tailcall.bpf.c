// SPDX-License-Identifier: GPL-2.0
/* Benchmark-only: the cost of a tail call (scripts/bench/tailcall.sh).
 *
 * Two jump tables of 35 slots. A chain of k tail calls is slots 1..k filled, slot k+1 empty:
 *
 *   d_entry --tc_direct[1]--> d_1 --[2]--> d_2 ... d_k --[k+1] empty--> returns k
 *   i_entry --tc_indirect[1]--> i_step --[2]--> i_step ... --[k+1] empty--> returns k
 *
 * Direct: every d_N tail-calls the constant slot N+1, which the JIT patches into a direct
 * jump. Indirect: one program, i_step, in every slot, with the slot number computed at run
 * time (skb->cb[0], which survives tail calls and which the verifier cannot know), so the
 * JIT emits the generic bounds check + load + indirect jump. Both bodies do the same work:
 * read cb[0], add one, write it back. The entries reset cb[0]: BPF_PROG_TEST_RUN repeats on
 * one skb, and cb would carry over from the previous repetition.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define SLOTS 35	/* entry + 33 tail calls + the empty slot that ends the longest chain */

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SLOTS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} tc_direct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SLOTS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} tc_indirect SEC(".maps");

SEC("tc")
int d_entry(struct __sk_buff *skb)
{
	skb->cb[0] = 0;
	bpf_tail_call_static(skb, &tc_direct, 1);
	return 0;
}

#define DSTEP(n)							\
SEC("tc")								\
int d_##n(struct __sk_buff *skb)					\
{									\
	skb->cb[0]++;							\
	bpf_tail_call_static(skb, &tc_direct, n + 1);			\
	return skb->cb[0];						\
}

DSTEP(1)
DSTEP(2)
DSTEP(3)
DSTEP(4)
DSTEP(5)
DSTEP(6)
DSTEP(7)
DSTEP(8)
DSTEP(9)
DSTEP(10)
DSTEP(11)
DSTEP(12)
DSTEP(13)
DSTEP(14)
DSTEP(15)
DSTEP(16)
DSTEP(17)
DSTEP(18)
DSTEP(19)
DSTEP(20)
DSTEP(21)
DSTEP(22)
DSTEP(23)
DSTEP(24)
DSTEP(25)
DSTEP(26)
DSTEP(27)
DSTEP(28)
DSTEP(29)
DSTEP(30)
DSTEP(31)
DSTEP(32)
DSTEP(33)

SEC("tc")
int i_entry(struct __sk_buff *skb)
{
	skb->cb[0] = 0;
	/* volatile: read back, so clang cannot fold the slot into a constant (a direct call). */
	bpf_tail_call(skb, &tc_indirect, *(volatile __u32 *)&skb->cb[0] + 1);
	return 0;
}

SEC("tc")
int i_step(struct __sk_buff *skb)
{
	__u32 n = skb->cb[0] + 1;

	skb->cb[0] = n;
	bpf_tail_call(skb, &tc_indirect, n + 1);
	return n;
}
