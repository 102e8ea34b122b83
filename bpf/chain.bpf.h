/* SPDX-License-Identifier: GPL-2.0 */
/* Run-time XDP chain (the chain-call lab). One root program (xdp_root) is attached to the
 * device; the members live in the 32 slots of root_array and run in slot order. A member
 * written against this header ends with one call:
 *
 *	return chain_next(ctx, verdict);
 *
 * which runs the next occupied slot after its own, or ends the chain with the verdict.
 *
 * How a member knows its slot without knowing it at compile time: XDP metadata. The root
 * reserves 8 bytes in front of the packet (bpf_xdp_adjust_meta) and writes
 * {CHAIN_MAGIC, slot} there before every tail call it tries; chain_next reads them back,
 * and writes the next slot number before each of its own tail calls. Metadata belongs to the
 * packet, so it cannot go stale (a per-CPU cursor map would, as soon as one member forgot to
 * reset it), costs no map lookup, and is absent when the member is attached on its own or
 * run with `bpftool prog run`: then chain_next just returns the verdict (through the
 * xdpcap hook).
 *
 *   data_meta        data
 *   | magic | slot | Ethernet ...              (removed again when the chain ends)
 *
 * Verdicts: XDP_PASS goes on to the next slot. Any other verdict ends the chain with it,
 * unless bit (1 << verdict) is set in chain_cfg[slot] (like libxdp's chain_call_actions);
 * a verdict that continues counts as XDP_PASS, so a chain that runs out of members passes.
 *
 * Tail-call budget: the kernel allows 33 tail calls per packet. Slots are tried in increasing
 * order, each at most once, so a packet makes at most 32 tries plus the final xdpcap tail
 * call = 33: every slot can be used even on a kernel whose JIT counts tries of empty slots
 * (older x86-64 JITs did; 6.18 counts only calls that happen).
 *
 * Members share the root's maps: load them with
 *   bpftool prog loadall OBJ DIR map name root_array pinned PIN/root_array \
 *	map name chain_cfg pinned PIN/chain_cfg map name chain_runs pinned PIN/chain_runs \
 *	map name xdpcap_hook pinned PIN/xdpcap_hook
 * so the root's xdpcap hook captures the chain's FINAL verdict.
 */
#ifndef BPFLAB_CHAIN_BPF_H
#define BPFLAB_CHAIN_BPF_H

#include "xdpcap.bpf.h"

#define CHAIN_SLOTS	32
#define CHAIN_MAGIC	0xc4a1b9f1

struct chain_meta {
	__u32 magic;
	__u32 slot;
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, CHAIN_SLOTS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} root_array SEC(".maps");

/* Per slot: bit (1 << action) set = go on with the chain on that verdict (PASS always does). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CHAIN_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} chain_cfg SEC(".maps");

/* Per slot: how many packets the member handed to chain_next. bpf stats (run_cnt) count
 * only the program the hook calls -- the root -- never the tail-called members.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CHAIN_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} chain_runs SEC(".maps");

/* End of the chain: drop our metadata again, then leave through the xdpcap exit hook. */
static __always_inline int chain_end(struct xdp_md *ctx, int verdict)
{
	bpf_xdp_adjust_meta(ctx, (int)sizeof(struct chain_meta));
	return xdpcap_exit(ctx, &xdpcap_hook, verdict);
}

/* Try the slots from `first` on; a successful tail call does not come back.
 * Default: the loop is unrolled, so every tail call has a constant index, which the JIT
 * patches into a direct jump (~1 ns per empty slot), at ~2 KB of code per program.
 * -DCHAIN_INDIRECT: one indirect tail call in a loop (~300 B, ~2.5 ns per empty slot); it
 * wins for chains longer than ~16 members, where 32 unrolled copies thrash the i-cache
 * (numbers in labs/chain.md). Both kinds of program mix freely in one chain.
 */
static __always_inline int chain_run_from(struct xdp_md *ctx, struct chain_meta *m, __u32 first)
{
#ifdef CHAIN_INDIRECT
#pragma clang loop unroll(disable)
	for (__u32 n = 0; n < CHAIN_SLOTS; n++) {
		__u32 i = first + n;

		if (i >= CHAIN_SLOTS)
			break;
		m->slot = i;
		bpf_tail_call(ctx, &root_array, i);
	}
#else
#pragma unroll
	for (__u32 i = 0; i < CHAIN_SLOTS; i++) {
		if (i < first)
			continue;
		m->slot = i;
		bpf_tail_call(ctx, &root_array, i);
	}
#endif
	return chain_end(ctx, XDP_PASS);
}

/* The chain metadata of this packet, or NULL when the program does not run in a chain. */
static __always_inline struct chain_meta *chain_meta(struct xdp_md *ctx)
{
	struct chain_meta *m = (void *)(long)ctx->data_meta;

	if ((void *)(m + 1) > (void *)(long)ctx->data || m->magic != CHAIN_MAGIC ||
	    m->slot >= CHAIN_SLOTS)
		return NULL;
	return m;
}

static __always_inline int chain_next(struct xdp_md *ctx, int verdict)
{
	struct chain_meta *m = chain_meta(ctx);
	__u32 slot, *cont;
	__u64 *runs;

	if (!m)		/* attached on its own: no chain to continue */
		return xdpcap_exit(ctx, &xdpcap_hook, verdict);
	slot = m->slot;
	runs = bpf_map_lookup_elem(&chain_runs, &slot);
	if (runs)
		*runs += 1;	/* per-CPU: no atomic needed */
	if (verdict != XDP_PASS) {
		cont = bpf_map_lookup_elem(&chain_cfg, &slot);
		if (!cont || verdict < 0 || verdict >= 32 || !(*cont & (1U << verdict)))
			return chain_end(ctx, verdict);
	}
	return chain_run_from(ctx, m, slot + 1);
}

#endif
