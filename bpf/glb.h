/* SPDX-License-Identifier: GPL-2.0 */
/* GLB director and second-chance backend: the types shared by bpf/glb.bpf.c,
 * bpf/glb_redirect.bpf.c, tools/glbtable.c and the scripts. Sizes are GLB's own
 * (github/glb-director, src/glb-director-xdp/bpf/glb_encap.c):
 *
 *   glb_binds   (HASH, 4096)          struct glb_bind (24 B, packed) -> __u32 table index
 *   glb_tables  (ARRAY_OF_MAPS, 4096) table index -> inner ARRAY of 65536 struct glb_row (8 B)
 *   glb_secrets (ARRAY, 4096)         table index -> struct glb_secret (SipHash-2-4 key)
 *   glb_config  (ARRAY, 1)            struct glb_config
 *   glb_stats   (PERCPU_ARRAY)        enum glb_stat -> __u64 packets
 *
 * Byte order: addresses and ports in network order, the other integers little-endian
 * (x86, arm64), so `bpftool map update ... key/value BYTES` writes them as they appear.
 */
#ifndef BPFLAB_GLB_H
#define BPFLAB_GLB_H

#define GLB_TABLES	4096
#define GLB_MAX_BINDS	4096
#define GLB_ROWS	0x10000	/* rows of every table: row = hash & (GLB_ROWS - 1) */
#define GLB_MAX_BACKENDS 256	/* per table: beyond ~2^8 a primary no longer meets every secondary */
#define GLB_GUE_PORT	19523
#define GLB_MAX_HOPS	1	/* hops after the first that a director puts in the GUE header */

/* 24 bytes, packed, as GLB: an IPv4 bind has ipv6 all zero, an IPv6 bind ipv4 0. */
struct glb_bind {
	__be32 ipv4;
	__u8 ipv6[16];
	__u16 proto;	/* IPPROTO_TCP (6) or IPPROTO_UDP (17), little-endian */
	__be16 port;
} __attribute__((packed));

/* One row: the first hop (primary, the outer destination) and the second chance
 * (secondary, in the GUE hop list). primary 0.0.0.0 = empty row (the packet passes). */
struct glb_row {
	__be32 primary;
	__be32 secondary;
};

/* SipHash-2-4 key of one table: the flow hash and the rendezvous order of the rows. */
struct glb_secret {
	__u64 k0;
	__u64 k1;
};

#define GLB_HASH_5TUPLE	1	/* glb_config.flags: hash src, dst, ports, proto, not the source only */

struct glb_config {
	__be32 src_ip;	/* outer source address: the director's */
	__u32 flags;
};

enum glb_stat {
	GLB_STAT_OTHER,		/* not IPv4/IPv6 TCP/UDP, tagged, fragment or malformed: XDP_PASS */
	GLB_STAT_NO_BIND,	/* no bind for dst VIP:port/proto: XDP_PASS */
	GLB_STAT_NO_TABLE,	/* the bind's table slot holds no map: XDP_PASS */
	GLB_STAT_EMPTY_ROW,	/* the row's primary is 0.0.0.0: XDP_PASS */
	GLB_STAT_ENCAP,		/* GUE-encapsulated to the primary: XDP_TX */
	GLB_STAT_ERROR,		/* no headroom for the outer headers: XDP_DROP */
	GLB_STAT_MAX,
};

/* GUE (draft-ietf-intarea-gue) with GLB's private data, after outer IPv4 + UDP:
 *   byte 0: version (2 bits) 0, C 0, hlen (5 bits) = 32-bit words after these 4 bytes
 *   byte 1: proto_ctype = inner IP protocol (4 IPv4, 41 IPv6); bytes 2-3 flags 0
 *   private data: private_type (2 B) 0, next_hop, hop_count, then hop_count IPv4 hops.
 * hlen = 1 + hop_count. The first hop is the outer destination and is not listed. */
struct glb_gue {
	__u8 hlen;	/* version and C are 0: the byte is hlen */
	__u8 proto_ctype;
	__u16 flags;
	__u16 private_type;
	__u8 next_hop;
	__u8 hop_count;
};

#define GLB_GUE_HLEN(hops)	(sizeof(struct glb_gue) + 4 * (hops))

/* Second chance (glb_redirect on each backend): per-CPU counters. */
enum glb_redir_stat {
	GLB_REDIR_NOT_GUE,	/* not a GUE packet to port 19523: TC_ACT_OK untouched */
	GLB_REDIR_BAD,		/* GUE, but malformed or not IPv4-in-IPv4 TCP/UDP: TC_ACT_OK untouched */
	GLB_REDIR_SYN,		/* inner TCP SYN: decapsulated here */
	GLB_REDIR_LOCAL,	/* inner packet of a connection this host has: decapsulated */
	GLB_REDIR_FORWARD,	/* unknown flow, hops left: sent to the next hop */
	GLB_REDIR_LAST,		/* unknown flow, last hop (or UDP): decapsulated, TCP answers */
	GLB_REDIR_ERROR,	/* a helper failed: dropped */
	GLB_REDIR_MAX,
};

#endif
