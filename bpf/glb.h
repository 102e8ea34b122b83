/* SPDX-License-Identifier: GPL-2.0 */
/* GLB-style forwarding tables: the types shared by bpf/glb.bpf.c and the scripts.
 *
 *   glb_binds  (HASH)           struct glb_bind -> __u32 table index
 *   glb_tables (ARRAY_OF_MAPS)  table index -> inner ARRAY of GLB_ROWS struct glb_row
 *   glb_config (ARRAY, 1)       struct glb_config
 *   glb_stats  (PERCPU_ARRAY)   enum glb_stat -> __u64 packets
 *
 * Every field is laid out so that `bpftool map update ... key/value BYTES` can write it in
 * the order the bytes appear: addresses and ports in network byte order, the rest
 * little-endian u32 (x86, arm64).
 */
#ifndef BPFLAB_GLB_H
#define BPFLAB_GLB_H

#define GLB_TABLES	16	/* slots of glb_tables */
#define GLB_ROWS	256	/* rows of every table: a power of two, so row = hash & (GLB_ROWS - 1) */
#define GLB_MAX_BINDS	1024

/* 8 bytes: VIP, port, protocol of a service. pad must be 0 (it is part of the hash key). */
struct glb_bind {
	__be32 vip;
	__be16 port;
	__u8 proto;	/* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u8 pad;
};

/* One row of a forwarding table. primary 0.0.0.0 = empty row (the packet passes).
 * secondary is GLB's "second chance" backend; this lab stores it but forwards to primary only.
 */
struct glb_row {
	__be32 primary;
	__be32 secondary;
};

struct glb_config {
	__be32 src_ip;	/* outer source address; 0.0.0.0 = use the VIP */
};

enum glb_stat {
	GLB_STAT_OTHER,		/* not IPv4 TCP/UDP, tagged, fragment or malformed: XDP_PASS */
	GLB_STAT_NO_BIND,	/* no bind for dst VIP:port/proto: XDP_PASS */
	GLB_STAT_NO_TABLE,	/* the bind's table slot holds no map: XDP_PASS */
	GLB_STAT_EMPTY_ROW,	/* the row's primary is 0.0.0.0: XDP_PASS */
	GLB_STAT_ENCAP,		/* encapsulated to the primary: XDP_TX */
	GLB_STAT_ERROR,		/* no headroom for the outer header: XDP_DROP */
	GLB_STAT_MAX,
};

#endif
