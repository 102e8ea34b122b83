/* SPDX-License-Identifier: GPL-2.0 */
/* The xdpcap exit hook: a capture point in every XDP program of the project that costs one
 * failed tail call until someone captures.
 *
 *   return xdpcap_exit(ctx, &xdpcap_hook, verdict);
 *
 * xdpcap_hook has one slot per XDP action. While a slot is empty the tail call falls through
 * and the program returns its verdict unchanged. `build/xdpcap HOOK_PIN ...` (or bpftool by
 * hand) puts a capture program in the slot of each verdict to watch; that program copies the
 * packet out and returns the same action, so the verdict still reaches the driver.
 * Because a successful tail call never returns, xdpcap_exit must be the program's last step.
 *
 * Build with -DNO_XDPCAP to compile the hook out (used to measure what the idle hook costs).
 */
#ifndef BPFLAB_XDPCAP_BPF_H
#define BPFLAB_XDPCAP_BPF_H

/* Slots: XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT (the action is the index). */
#define XDPCAP_NUM_ACTIONS 5

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, XDPCAP_NUM_ACTIONS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} xdpcap_hook SEC(".maps");

static __always_inline int xdpcap_exit(struct xdp_md *ctx, void *hook, int action)
{
#ifndef NO_XDPCAP
	/* An unknown action has no slot; the kernel would turn it into XDP_ABORTED anyway. */
	if (action >= 0 && action < XDPCAP_NUM_ACTIONS)
		bpf_tail_call(ctx, hook, action);
#endif
	return action;
}

#endif
