// SPDX-License-Identifier: GPL-2.0
/* Exercise, lab 2 goal 2 (first half): put both ends of every established loopback IPv4 TCP
 * connection into sock_ops_map, so an sk_msg program can hand data straight to the peer.
 *
 * Check your work (as root, at the repository root):
 *   scripts/check.sh lab2 exercises/lab2/sockops.bpf.c
 * It pairs your program with the solution's sk_msg half (bpf/sk_msg.bpf.c), runs a loopback
 * TCP connection in a cgroup of its own, and checks sock_ops_map holds both ends while it is
 * open and that no payload went through lo. Solution: bpf/sockops.bpf.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"		/* AF_INET */
#include "sockmap.bpf.h"	/* sock_ops_map, struct sock_key (read sockmap.h), ip4_is_loopback() */

char LICENSE[] SEC("license") = "GPL";

SEC("sockops")
int bpf_sockops(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};	/* zeroed: padding must compare equal */

	/* TODO 1: act only when a connection becomes established, on either side:
	 *         skops->op is BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB or ..._PASSIVE_ESTABLISHED_CB;
	 *         and only for IPv4 (skops->family) between loopback addresses.
	 * TODO 2: fill the key as this socket sees the connection (local first). Byte orders:
	 *         local_ip4/remote_ip4 stay network order, local_port is host order already,
	 *         remote_port is network order in the upper 16 bits (bpf_ntohl() fixes both).
	 * TODO 3: bpf_sock_hash_update(skops, &sock_ops_map, &key, BPF_NOEXIST);
	 */
	(void)key;
	return 1;	/* sockops programs return 1 */
}
