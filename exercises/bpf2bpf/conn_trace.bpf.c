// SPDX-License-Identifier: GPL-2.0
/* Exercise, bpf2bpf: two tracepoint programs share ONE subprogram, handle_new_connection(),
 * which sends a struct conn_event (conn_trace.h) to user space for every new TCP connection.
 *
 * Check your work (as root, at the repository root):
 *   scripts/check.sh bpf2bpf exercises/bpf2bpf/conn_trace.bpf.c
 * It looks for the pseudo call (call pc+N) in `bpftool prog dump xlated` of both programs,
 * attaches them, opens a loopback connection and reads the events with build/conn_events.
 * Solution: bpf/conn_trace.bpf.c (its tracepoint pair). Keep the names.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"
#include "conn_trace.h"

char LICENSE[] SEC("license") = "GPL";

#define TCP_ESTABLISHED	1
#define TCP_SYN_SENT	2
#define TCP_SYN_RECV	3
#define IPPROTO_TCP_NR	6

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

/* TODO 1: make this a real BPF-to-BPF call: static __noinline instead of __always_inline. */
static __always_inline void handle_new_connection(void *ctx, struct sock *sk, __u32 flags)
{
	struct conn_event ev = {};

	ev.flags = flags;
	/* TODO 2: fill the event from the socket (BPF_CORE_READ(sk, __sk_common.skc_family),
	 *         skc_num is the local port in host order, skc_dport the remote one in network
	 *         order, skc_rcv_saddr/skc_daddr the IPv4 addresses), then send it:
	 *         bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	 */
	(void)ev;
}

static __always_inline struct sock *tp_new_conn(struct trace_event_raw_inet_sock_set_state *ctx,
						int oldstate)
{
	if (ctx->protocol != IPPROTO_TCP_NR || ctx->newstate != TCP_ESTABLISHED ||
	    ctx->oldstate != oldstate)
		return NULL;
	return (struct sock *)ctx->skaddr;
}

/* Our side connected: SYN_SENT -> ESTABLISHED. */
SEC("tracepoint/sock/inet_sock_set_state")
int tp_conn_out(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct sock *sk = tp_new_conn(ctx, TCP_SYN_SENT);

	if (sk)
		handle_new_connection(ctx, sk, CONN_F_OUT | CONN_F_TRACEPOINT);
	return 0;
}

/* A connection we accept: SYN_RECV -> ESTABLISHED. */
SEC("tracepoint/sock/inet_sock_set_state")
int tp_conn_in(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct sock *sk = tp_new_conn(ctx, TCP_SYN_RECV);

	if (sk)
		handle_new_connection(ctx, sk, CONN_F_IN | CONN_F_TRACEPOINT);
	return 0;
}
