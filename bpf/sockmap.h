/* SPDX-License-Identifier: GPL-2.0 */
/* Lab 2, goal 2: the key of sock_ops_map, shared by sockops.bpf.c, sk_msg.bpf.c and user space.
 *
 * One entry per socket, keyed by the connection as that socket sees it:
 *   sip, dip  local and remote IPv4 address, network byte order (as in struct bpf_sock_ops)
 *   sport     local port, host byte order   (skops->local_port is host order already)
 *   dport     remote port, host byte order  (skops->remote_port is network order in the
 *             upper 16 bits on little-endian kernels: bpf_ntohl() turns it into a host-order port)
 *   family    AF_INET (2)
 * Keys are zero-initialised before filling so any padding compares equal.
 * The sk_msg side looks up the *peer* socket: its key is this socket's key mirrored.
 */
#ifndef BPFLAB_SOCKMAP_H
#define BPFLAB_SOCKMAP_H

struct sock_key {
	__u32 sip;
	__u32 dip;
	__u32 sport;
	__u32 dport;
	__u32 family;
};

#define SOCK_OPS_MAP_ENTRIES 65535

#endif
