// SPDX-License-Identifier: GPL-2.0
/* Benchmark-only: a bpf2bpf call against the same function inlined, in programs that
 * BPF_PROG_TEST_RUN can repeat (conn_trace's tracepoint programs cannot be test-run).
 *
 *   build/bench_bpf2bpf.bpf.o         handle_event() is __noinline: one copy, called
 *   build/bench_bpf2bpf_inline.bpf.o  -DBENCH_INLINE: __always_inline, a copy per program
 *
 * handle_event() has the shape of conn_trace's handle_new_connection(): fill an event from
 * the context (here the packet's addresses and ports), take a timestamp, bpf_perf_event_output()
 * it. Nobody reads `events` in the benchmark, so the output finds no perf buffer and returns
 * -ENOENT: the same work up to the copy, for both builds.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "parse.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct bench_event {
	__u64 ts_ns;
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

#ifdef BENCH_INLINE
static __always_inline
#else
static __noinline
#endif
int handle_event(struct xdp_md *ctx, __u32 flags)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct bench_event ev = {};
	struct udphdr *ports;
	struct l4_info l4;

	if (parse_l4(data, data_end, &l4) || !l4.l4 || l4.eth_proto != ETH_P_IP ||
	    (void *)(ip + 1) > data_end)
		return 0;
	ports = l4.l4;
	if ((void *)(ports + 1) > data_end)
		return 0;
	ev.ts_ns = bpf_ktime_get_ns();
	ev.saddr = ip->saddr;
	ev.daddr = ip->daddr;
	ev.sport = bpf_ntohs(ports->source);
	ev.dport = bpf_ntohs(ports->dest);
	ev.flags = flags;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 1;
}

SEC("xdp")
int ev_out(struct xdp_md *ctx)
{
	handle_event(ctx, 1);
	return XDP_PASS;
}

SEC("xdp")
int ev_in(struct xdp_md *ctx)
{
	handle_event(ctx, 2);
	return XDP_PASS;
}
