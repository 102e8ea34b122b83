/* SPDX-License-Identifier: GPL-2.0 */
/* bpf2bpf lab: the connection event shared by bpf/conn_trace.bpf.c and tools/conn_events.c. */
#ifndef BPFLAB_CONN_TRACE_H
#define BPFLAB_CONN_TRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CONN_COMM_LEN 16

/* Bits of the `flags` argument of handle_new_connection() and of conn_event.flags. */
enum {
	CONN_F_OUT	  = 1 << 0,	/* this host opened the connection (connect) */
	CONN_F_IN	  = 1 << 1,	/* this host accepted it (accept side) */
	CONN_F_TASK	  = 1 << 2,	/* the hook runs in the owning task: pid/comm are valid */
	CONN_F_KPROBE	  = 1 << 4,	/* which attach kind produced the event */
	CONN_F_FENTRY	  = 1 << 5,
	CONN_F_TRACEPOINT = 1 << 6,
};

/* One new TCP connection, always oriented from this host's side: l* = local, r* = remote. */
struct conn_event {
	__u64 ts_ns;			/* bpf_ktime_get_ns() */
	__u32 pid;			/* tgid, 0 unless CONN_F_TASK */
	__u32 flags;			/* CONN_F_* */
	__u16 family;			/* AF_INET or AF_INET6 */
	__u16 lport;			/* host byte order */
	__u16 rport;			/* host byte order */
	__u16 pad;
	__u8 laddr[16];			/* IPv4: first 4 bytes, network order */
	__u8 raddr[16];
	char comm[CONN_COMM_LEN];	/* empty unless CONN_F_TASK */
};

#endif
