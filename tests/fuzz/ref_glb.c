// SPDX-License-Identifier: GPL-2.0
/* The GLB director's reference (target "glb" in targets.c), written from the GLB issue's
 * specification (issue 11; github/glb-director's docs/development/gue-header.md), not from
 * bpf/glb.bpf.c:
 *
 *   Match      untagged Ethernet II, IPv4 or IPv6 (ref.c), TCP or UDP whose header is whole
 *              by the IP length fields, destination VIP:port/proto bound; IPv4 fragments
 *              (MF or an offset) pass: later ones have no ports (the programs' documented
 *              contract). Anything else, an unbound VIP, a bind without a table, or an empty
 *              row (primary 0.0.0.0) passes untouched.
 *   Row        SipHash-2-4 (Aumasson & Bernstein, reference vectors checked below) of the
 *              source address (4 or 16 bytes) with the table's key; row = hash & 0xffff.
 *   Output     XDP_TX; Ethernet addresses swapped (back where it came from), EtherType IPv4;
 *              outer IPv4: IHL 5, TOS = the inner's, ID 0, DF, TTL 64, UDP, RFC 1071 checksum,
 *              source = the director, destination = the primary;
 *              UDP: source 0x8000 | (hash & 0x7fff), destination 19523, length, checksum 0;
 *              GUE: version 0, C 0, hlen = 1 + hops, proto_ctype 4 (IPv4) or 41 (IPv6),
 *              flags 0; private data u16 0, next_hop 0, hop_count = hops; then the hops:
 *              the secondary if the row has one (hops 1), none otherwise;
 *              then the inner packet as it came (link padding included: nothing is cut).
 */
#include <string.h>
#include "fuzz.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

/* SipHash-2-4 as in the paper, a byte at a time. */
uint64_t ref_siphash(const uint8_t key[16], const uint8_t *m, size_t n)
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
			  k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	uint8_t last[8] = { 0 };
	size_t i, full = n / 8 * 8;
	uint64_t w;

	for (i = 0; i <= full; i += 8) {
		if (i < full) {
			w = le64(m + i);
		} else {
			memcpy(last, m + full, n - full);
			last[7] = (uint8_t)n;
			w = le64(last);
		}
		v[3] ^= w;
		sipround(v);
		sipround(v);
		v[0] ^= w;
	}
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The paper's vectors (key 00..0f, message 00, 01, ...): empty, 8 and 15 bytes. */
int ref_siphash_selftest(void)
{
	uint8_t k[16], m[15];

	for (int i = 0; i < 16; i++)
		k[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		m[i] = (uint8_t)i;
	return ref_siphash(k, m, 0) == 0x726fdb47dd0e0e31ULL &&
	       ref_siphash(k, m, 8) == 0x93f5f5799a932462ULL &&
	       ref_siphash(k, m, 15) == 0xa129ca6149be45e5ULL ? 0 : -1;
}

static unsigned int be16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 */
static unsigned int csum(const uint8_t *b, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += be16(b + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static const struct ref_glb_bind *find_bind(const struct ref_glb *g, int ip, const uint8_t *dst,
					    int proto, unsigned int port)
{
	for (int i = 0; i < g->n_binds; i++) {
		const struct ref_glb_bind *b = &g->binds[i];

		if (b->ip == ip && b->proto == proto && b->port == port &&
		    !memcmp(b->addr, dst, ip == 4 ? 4 : 16))
			return b;
	}
	return NULL;
}

void ref_glb_expect(const struct ref_glb *g, const uint8_t *f, size_t len, struct outcome *want)
{
	const uint8_t *h = f + 14, *src, *dst;
	const struct ref_glb_bind *b;
	struct ref_pkt p;
	size_t inner_len, hops, encap;
	unsigned int tos;
	uint8_t primary[4], secondary[4], *o;
	uint64_t hash;

	memset(want, 0, offsetof(struct outcome, out));
	want->retval = XDP_PASS_;
	memcpy(want->out, f, len);
	want->out_len = (uint32_t)len;
	expect_refused_if_short(len, want);
	if (len < 14 || (be16(f + 12) != 0x0800 && be16(f + 12) != 0x86dd))
		return;
	ref_parse(f, len, &p);
	if (!p.ip || (p.proto != 6 && p.proto != 17) || ref_dst_port(&p) < 0)
		return;
	if (p.ip == 4) {
		if (be16(h + 6) & 0x3fff)	/* MF or a fragment offset */
			return;
		src = h + 12, dst = h + 16;
		inner_len = be16(h + 2);
		tos = h[1];
	} else {
		src = h + 8, dst = h + 24;
		inner_len = 40 + (size_t)be16(h + 4);
		tos = (h[0] & 0x0f) << 4 | h[1] >> 4;
	}
	b = find_bind(g, p.ip, dst, p.proto, (unsigned int)ref_dst_port(&p));
	if (!b || !b->has_table)
		return;
	hash = ref_siphash(b->key, src, p.ip == 4 ? 4 : 16);
	g->row(b->table, (uint32_t)(hash & 0xffff), primary, secondary);
	if (!memcmp(primary, "\0\0\0\0", 4))
		return;
	hops = memcmp(secondary, "\0\0\0\0", 4) ? 1 : 0;
	encap = 20 + 8 + 8 + 4 * hops;
	if (inner_len + encap > 0xffff)
		return;

	want->retval = XDP_TX_;
	want->out_len = (uint32_t)(len + encap);
	o = want->out;
	memcpy(o, f + 6, 6);
	memcpy(o + 6, f, 6);
	put16(o + 12, 0x0800);
	o += 14;
	memset(o, 0, encap);
	o[0] = 0x45;
	o[1] = (uint8_t)tos;
	put16(o + 2, (unsigned int)(encap + inner_len));
	put16(o + 6, 0x4000);			/* DF */
	o[8] = 64;
	o[9] = 17;
	memcpy(o + 12, g->director, 4);
	memcpy(o + 16, primary, 4);
	put16(o + 10, csum(o, 20));
	put16(o + 20, 0x8000 | (unsigned int)(hash & 0x7fff));
	put16(o + 22, 19523);
	put16(o + 24, (unsigned int)(encap - 20 + inner_len));
	o[28] = (uint8_t)(1 + hops);		/* version 0, C 0, hlen */
	o[29] = p.ip == 4 ? 4 : 41;
	o[35] = (uint8_t)hops;			/* private_type 0, next_hop 0, hop_count */
	if (hops)
		memcpy(o + 36, secondary, 4);
	memcpy(o + encap, f + 14, len - 14);
}
