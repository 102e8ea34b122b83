// SPDX-License-Identifier: GPL-2.0
/* bpf2bpf lab: one subprogram, handle_new_connection(), shared by every program below.
 *
 * Built three times from this source:
 *   build/conn_trace.bpf.o         handle_new_connection() is __noinline: one copy in .text,
 *                                  each program reaches it with a BPF_PSEUDO_CALL (call pc+N)
 *   build/conn_trace_inline.bpf.o  -DCONN_TRACE_INLINE: __always_inline, a copy in every program
 *   build/conn_trace_fentry.bpf.o  -DCONN_TRACE_FENTRY: the fentry pair only
 * (the variants are listed in the Makefile's BPF_VARIANTS).
 *
 * Three pairs of programs (outgoing, accepted) call it; scripts/bpf2bpf.sh attaches the first
 * pair the kernel allows:
 *   kprobe      tcp_connect / inet_csk_complete_hashdance   (the source's pair; needs kprobes)
 *   fentry      the same functions                          (needs BPF trampolines; only in
 *                                                            build/conn_trace_fentry.bpf.o)
 *   tracepoint  sock:inet_sock_set_state, SYN_SENT->ESTABLISHED / SYN_RECV->ESTABLISHED
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"
#include "conn_trace.h"

char LICENSE[] SEC("license") = "GPL";

/* TCP states (include/net/tcp_states.h: #defines, so not in vmlinux.h). */
#define TCP_ESTABLISHED	1
#define TCP_SYN_SENT	2
#define TCP_SYN_RECV	3
#define IPPROTO_TCP_NR	6

/* No max_entries: libbpf sizes a perf event array to the number of CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

/* The subject of the lab: the same C function, a real call or inlined into every caller. */
#ifdef CONN_TRACE_INLINE
static __always_inline
#else
static __noinline
#endif
void handle_new_connection(void *ctx, struct sock *sk, __u32 flags)
{
	struct conn_event ev = {};

	ev.ts_ns = bpf_ktime_get_ns();
	ev.flags = flags;
	ev.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	/* The socket's own view is already local-first, for both directions. */
	ev.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev.rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (ev.family == AF_INET6) {
		BPF_CORE_READ_INTO(&ev.laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&ev.raddr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)ev.laddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)ev.raddr, sk, __sk_common.skc_daddr);
	}
	/* Accepted connections complete in softirq: `current` is whoever was running then. */
	if (flags & CONN_F_TASK) {
		ev.pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	}
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
}

#ifndef CONN_TRACE_FENTRY
/* ---- kprobes, as in the source: the attach point gives the socket directly. */
SEC("kprobe/tcp_connect")
int BPF_KPROBE(k_tcp_connect, struct sock *sk)
{
	handle_new_connection(ctx, sk, CONN_F_OUT | CONN_F_TASK | CONN_F_KPROBE);
	return 0;
}

/* inet_csk_complete_hashdance(listener, child, req, own_req): the child is the new socket. */
SEC("kprobe/inet_csk_complete_hashdance")
int BPF_KPROBE(k_hashdance, struct sock *listener, struct sock *child)
{
	handle_new_connection(ctx, child, CONN_F_IN | CONN_F_KPROBE);
	return 0;
}

/* ---- tracepoint: every TCP state change; keep only the two that mean "new connection".
 * Both fire in softirq (SYN-ACK or final ACK received), so there is no owning task. */
static __always_inline struct sock *tp_new_conn(struct trace_event_raw_inet_sock_set_state *ctx,
						int oldstate)
{
	if (ctx->protocol != IPPROTO_TCP_NR || ctx->newstate != TCP_ESTABLISHED ||
	    ctx->oldstate != oldstate)
		return NULL;
	return (struct sock *)ctx->skaddr;
}

SEC("tracepoint/sock/inet_sock_set_state")
int tp_conn_out(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct sock *sk = tp_new_conn(ctx, TCP_SYN_SENT);

	if (sk)
		handle_new_connection(ctx, sk, CONN_F_OUT | CONN_F_TRACEPOINT);
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int tp_conn_in(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct sock *sk = tp_new_conn(ctx, TCP_SYN_RECV);

	if (sk)
		handle_new_connection(ctx, sk, CONN_F_IN | CONN_F_TRACEPOINT);
	return 0;
}

#else /* CONN_TRACE_FENTRY: build/conn_trace_fentry.bpf.o, a separate object because a kernel that
       * refuses trampolines (EPERM here) would fail `bpftool prog loadall` of the whole object. */
/* ---- fentry: the kprobe pair's hooks through a BPF trampoline. */
SEC("fentry/tcp_connect")
int BPF_PROG(f_tcp_connect, struct sock *sk)
{
	handle_new_connection(ctx, sk, CONN_F_OUT | CONN_F_TASK | CONN_F_FENTRY);
	return 0;
}

SEC("fentry/inet_csk_complete_hashdance")
int BPF_PROG(f_hashdance, struct sock *listener, struct sock *child)
{
	handle_new_connection(ctx, child, CONN_F_IN | CONN_F_FENTRY);
	return 0;
}
#endif
