// SPDX-License-Identifier: GPL-2.0
/* Lab 2, goal 2: for a socket in sock_ops_map, deliver each sendmsg() straight into the
 * peer socket's receive queue, skipping TCP/IP and the loopback device.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"
#include "sockmap.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("sk_msg")
int bpf_redir(struct sk_msg_md *msg)
{
	struct sock_key key = {};

	if (msg->family != AF_INET)
		return SK_PASS;

	/* The peer's key: our remote end is its local end. */
	key.sip = msg->remote_ip4;
	key.dip = msg->local_ip4;
	key.sport = bpf_ntohl(msg->remote_port);
	key.dport = msg->local_port;
	key.family = AF_INET;

	/* No peer in the map: bpf_msg_redirect_hash() says SK_DROP, but the data should
	 * still take the normal path, so the verdict is always SK_PASS. */
	bpf_msg_redirect_hash(msg, &sock_ops_map, &key, BPF_F_INGRESS);
	return SK_PASS;
}
