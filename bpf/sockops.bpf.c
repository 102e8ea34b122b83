// SPDX-License-Identifier: GPL-2.0
/* Lab 2, goal 2: put both ends of every established loopback IPv4 TCP connection
 * into sock_ops_map, so bpf_redir (sk_msg.bpf.c) can hand data straight to the peer socket.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"
#include "sockmap.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("sockops")
int bpf_sockops(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};

	/* ACTIVE: our connect() completed; PASSIVE: the accepted socket is established. */
	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB &&
	    skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	if (skops->family != AF_INET)
		return 1;
	if (!ip4_is_loopback(skops->local_ip4) || !ip4_is_loopback(skops->remote_ip4))
		return 1;

	key.sip = skops->local_ip4;
	key.dip = skops->remote_ip4;
	key.sport = skops->local_port;
	key.dport = bpf_ntohl(skops->remote_port);
	key.family = AF_INET;

	bpf_sock_hash_update(skops, &sock_ops_map, &key, BPF_NOEXIST);
	return 1;
}
