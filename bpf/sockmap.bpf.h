/* SPDX-License-Identifier: GPL-2.0 */
/* The SOCKHASH both lab 2 goal 2 programs use. sk_msg.bpf.o is loaded with
 * `bpftool prog load ... map name sock_ops_map pinned PIN` so both share one map.
 * The value is the socket; declaring it 8 bytes wide lets user space read each entry's
 * socket cookie, so `bpftool map dump` lists the entries instead of failing on each one.
 */
#ifndef BPFLAB_SOCKMAP_BPF_H
#define BPFLAB_SOCKMAP_BPF_H

#include "sockmap.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SOCK_OPS_MAP_ENTRIES);
	__type(key, struct sock_key);
	__type(value, __u64);
} sock_ops_map SEC(".maps");

static __always_inline int ip4_is_loopback(__u32 addr_be)
{
	return (bpf_ntohl(addr_be) >> 24) == 127;
}

#endif
