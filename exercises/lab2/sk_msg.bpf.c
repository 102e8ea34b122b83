// SPDX-License-Identifier: GPL-2.0
/* Exercise, lab 2 goal 2 (second half): for a socket whose peer is in sock_ops_map, deliver
 * each sendmsg() straight into the peer socket, skipping TCP/IP and the loopback device.
 *
 * Check your work (as root, at the repository root):
 *   scripts/check.sh lab2 exercises/lab2/sk_msg.bpf.c
 * It pairs your program with the solution's sockops half (bpf/sockops.bpf.c), runs a loopback
 * TCP connection, and counts the packets with payload on lo: 0 when every message went
 * socket to socket. Solution: bpf/sk_msg.bpf.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"		/* AF_INET */
#include "sockmap.bpf.h"	/* sock_ops_map, struct sock_key (read sockmap.h) */

char LICENSE[] SEC("license") = "GPL";

SEC("sk_msg")
int bpf_redir(struct sk_msg_md *msg)
{
	struct sock_key key = {};	/* zeroed: padding must compare equal */

	/* TODO 1: only IPv4 (msg->family).
	 * TODO 2: the key of the PEER socket: the mirror of this socket's view (its local end is
	 *         our remote end). Same byte orders as in the sockops half: remote_port needs
	 *         bpf_ntohl(), local_port is host order already.
	 * TODO 3: bpf_msg_redirect_hash(msg, &sock_ops_map, &key, BPF_F_INGRESS);
	 *         and still return SK_PASS when the peer is not in the map.
	 */
	(void)key;
	return SK_PASS;
}
