// SPDX-License-Identifier: GPL-2.0
/* Deliberately wrong lab 2 sockops half (tests/bats/check.bats): stores remote_port as the
 * kernel gives it (network order, upper 16 bits) instead of bpf_ntohl(). The keys no longer
 * mirror each other: check.sh must fail "sockhash" (and "redirect": nothing is redirected).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net.bpf.h"
#include "sockmap.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("sockops")
int sockops_netorder(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};

	if ((skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB &&
	     skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB) || skops->family != AF_INET)
		return 1;
	key.sip = skops->local_ip4;
	key.dip = skops->remote_ip4;
	key.sport = skops->local_port;
	key.dport = skops->remote_port;
	key.family = AF_INET;
	bpf_sock_hash_update(skops, &sock_ops_map, &key, BPF_NOEXIST);
	return 1;
}
