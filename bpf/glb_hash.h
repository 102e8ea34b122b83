/* SPDX-License-Identifier: GPL-2.0 */
/* SipHash-2-4 (Aumasson & Bernstein) and GLB's flow hash, compiled twice: into the BPF
 * director (bpf/glb.bpf.c) and into tools/glbtable.c, which fills tables and predicts rows
 * with the very same code. Include after the __u8/__u32/__u64 types are defined.
 *
 * Messages are little-endian 64-bit words; the bytes past len in the last word must be 0.
 * len is a compile-time constant at every BPF call site, so the loops unroll to straight
 * code the verifier of any kernel accepts.
 *
 * Flow hash input (bytes in wire order, hashed with the table's key):
 *   default      source address                       IPv4 4 bytes, IPv6 16
 *   5-tuple      src, dst, sport, dport, protocol     IPv4 13 bytes, IPv6 37
 * row = hash & 0xffff; outer UDP source port = 0x8000 | (hash & 0x7fff).
 *
 * Rendezvous order of the backends of row r (tools/glbtable.c):
 *   seed = siphash(key, r as 4 little-endian bytes)
 *   weight(b) = siphash(key, seed as 8 little-endian bytes, then b's 4 address bytes)
 * highest weight first.
 */
#ifndef BPFLAB_GLB_HASH_H
#define BPFLAB_GLB_HASH_H

#include "glb.h"

/* clang unrolls for the verifier; gcc (user space) ignores it quietly. */
#ifdef __clang__
#define GLB_UNROLL _Pragma("unroll")
#else
#define GLB_UNROLL
#endif

#define GLB_MSG_WORDS	5	/* 37 bytes + the length byte fit in 5 words */

union glb_msg {
	__u64 w[GLB_MSG_WORDS];
	__u8 b[8 * GLB_MSG_WORDS];
};

#define GLB_ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

#define GLB_SIPROUND(v0, v1, v2, v3)					\
	do {								\
		v0 += v1; v1 = GLB_ROTL(v1, 13); v1 ^= v0; v0 = GLB_ROTL(v0, 32); \
		v2 += v3; v3 = GLB_ROTL(v3, 16); v3 ^= v2;		\
		v0 += v3; v3 = GLB_ROTL(v3, 21); v3 ^= v0;		\
		v2 += v1; v1 = GLB_ROTL(v1, 17); v1 ^= v2; v2 = GLB_ROTL(v2, 32); \
	} while (0)

static __always_inline __u64 glb_siphash(const struct glb_secret *k, const union glb_msg *m, __u32 len)
{
	__u64 v0 = 0x736f6d6570736575ULL ^ k->k0;
	__u64 v1 = 0x646f72616e646f6dULL ^ k->k1;
	__u64 v2 = 0x6c7967656e657261ULL ^ k->k0;
	__u64 v3 = 0x7465646279746573ULL ^ k->k1;
	__u64 b = (__u64)len << 56;
	__u32 i;

GLB_UNROLL
	for (i = 0; i < GLB_MSG_WORDS; i++) {
		if (i < len / 8) {
			v3 ^= m->w[i];
			GLB_SIPROUND(v0, v1, v2, v3);
			GLB_SIPROUND(v0, v1, v2, v3);
			v0 ^= m->w[i];
		} else if (i == len / 8) {
			b |= m->w[i];	/* the last len % 8 bytes, zero-padded */
		}
	}
	v3 ^= b;
	GLB_SIPROUND(v0, v1, v2, v3);
	GLB_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	GLB_SIPROUND(v0, v1, v2, v3);
	GLB_SIPROUND(v0, v1, v2, v3);
	GLB_SIPROUND(v0, v1, v2, v3);
	GLB_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Fill m with the flow hash input and return its length. addr_len: 4 (IPv4) or 16 (IPv6);
 * ports in network order as they are on the wire. */
static __always_inline __u32 glb_flow_msg(union glb_msg *m, const void *saddr, const void *daddr,
					  __u32 addr_len, __u16 sport, __u16 dport, __u8 proto,
					  __u32 flags)
{
	__u32 n = addr_len;

GLB_UNROLL
	for (int i = 0; i < GLB_MSG_WORDS; i++)
		m->w[i] = 0;
	if (addr_len == 16)
		__builtin_memcpy(m->b, saddr, 16);
	else
		__builtin_memcpy(m->b, saddr, 4);
	if (!(flags & GLB_HASH_5TUPLE))
		return n;
	if (addr_len == 16)
		__builtin_memcpy(m->b + 16, daddr, 16);
	else
		__builtin_memcpy(m->b + 4, daddr, 4);
	n += addr_len;
	__builtin_memcpy(m->b + n, &sport, 2);
	__builtin_memcpy(m->b + n + 2, &dport, 2);
	m->b[n + 4] = proto;
	return n + 5;
}

static __always_inline __u32 glb_hash_row(__u64 hash)
{
	return hash & (GLB_ROWS - 1);
}

static __always_inline __u16 glb_hash_sport(__u64 hash)
{
	return 0x8000 | (hash & 0x7fff);
}

#endif
