// SPDX-License-Identifier: GPL-2.0
/* Frame generator for build/xdpfuzz. One stream per seed, a mix of:
 *   corner    the fixed cases first: lengths 0, 1, 13, 14, 15, and 1500-byte frames
 *   valid     Ethernet, 0-3 VLAN tags, then IPv4 (options, fragments), IPv6 (0-7 extension
 *             headers, fragments), ARP or another EtherType, then ICMP, ICMPv6, UDP, TCP or
 *             another protocol, a payload of 0 to MTU bytes, sometimes link padding to 60
 *   mutated   a valid frame with 1-3 header fields (or bits) changed
 *   truncated every length of one valid frame (short payload), 0 to its full size, in a row
 *   random    random bytes, 0-1518 of them, sometimes behind a real EtherType
 * Lengths and checksums of a valid frame are right; the mutations make them wrong. Half the
 * IP frames go to the GLB target's VIP (fuzz.h), so its binds are hit, not only missed.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

/* splitmix64: tiny, fast, and every seed gives a good stream */
uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned int rng_below(struct rng *r, unsigned int n)
{
	return n ? (unsigned int)(rng_next(r) % n) : 0;
}

struct gen {
	struct rng r;
	unsigned long n;		/* frames made */
	struct frame sweep;		/* the frame being truncated */
	size_t sweep_len;		/* next truncation length; > sweep.len when done */
	int sweeping;
	size_t fill_to;			/* when set: grow the payload to make the frame this long */
	int small;			/* when set: payloads of at most 16 bytes */
};

static const size_t corner_lens[] = { 0, 1, 13, 14, 15, 1500, 1514, 1518 };
#define N_CORNER (sizeof(corner_lens) / sizeof(corner_lens[0]))

struct gen *gen_new(uint64_t seed)
{
	struct gen *g = calloc(1, sizeof(*g));

	if (g)
		g->r.s = seed;
	return g;
}

void gen_free(struct gen *g)
{
	free(g);
}

/* ---- building a frame, one header field at a time */
static void put(struct frame *fr, const void *p, size_t n, int field)
{
	if (fr->len + n > FRAME_MAX)
		n = FRAME_MAX - fr->len;
	if (field && fr->nf < FIELDS_MAX)
		fr->f[fr->nf++] = (struct field){ (uint16_t)fr->len, (uint16_t)n };
	memcpy(fr->b + fr->len, p, n);
	fr->len += n;
}

static void put8(struct frame *fr, unsigned int v)
{
	uint8_t b = (uint8_t)v;

	put(fr, &b, 1, 1);
}

static void put16(struct frame *fr, unsigned int v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(fr, b, 2, 1);
}

static void put_random(struct gen *g, struct frame *fr, size_t n, int field)
{
	uint8_t b[FRAME_MAX];

	for (size_t i = 0; i < n && i < sizeof(b); i++)
		b[i] = (uint8_t)rng_next(&g->r);
	put(fr, b, n, field);
}

static void set16(struct frame *fr, size_t off, unsigned int v)
{
	fr->b[off] = (uint8_t)(v >> 8);
	fr->b[off + 1] = (uint8_t)v;
}

/* RFC 1071 Internet checksum over b[0..n), folded, complemented */
static unsigned int csum(const uint8_t *b, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static unsigned int pick(struct gen *g, const unsigned int *v, size_t n)
{
	return v[rng_below(&g->r, (unsigned int)n)];
}
#define PICK(g, ...) pick(g, (const unsigned int[]){ __VA_ARGS__ }, \
			  sizeof((const unsigned int[]){ __VA_ARGS__ }) / sizeof(unsigned int))

/* Payload size: mostly small, sometimes up to what a 1500-byte MTU leaves. */
static size_t payload_len(struct gen *g, size_t room)
{
	size_t n = g->small ? rng_below(&g->r, 17) :
		   rng_below(&g->r, 4) ? rng_below(&g->r, 65) : rng_below(&g->r, 1501);

	return n > room ? room : n;
}

/* The upper-layer message; returns its protocol number. ROOM: bytes the MTU leaves. */
static void put_l4(struct gen *g, struct frame *fr, int proto, int v6, size_t room)
{
	size_t start = fr->len, plen;

	switch (proto) {
	case 1:
	case 58:
		put8(fr, v6 ? PICK(g, 129, 129, 128, 135, 136, 1, 2, rng_below(&g->r, 256))
			    : PICK(g, 0, 0, 8, 3, 11, 5, rng_below(&g->r, 256)));
		put8(fr, rng_below(&g->r, 4) ? 0 : rng_below(&g->r, 256));	/* code */
		put16(fr, 0);							/* checksum */
		put16(fr, rng_below(&g->r, 65536));				/* identifier */
		put16(fr, rng_below(&g->r, 65536));				/* sequence */
		break;
	case 17:
		put16(fr, rng_below(&g->r, 65536));
		put16(fr, PICK(g, 9, 9, 53, 80, 22, 7, 0, 65535, rng_below(&g->r, 65536)));
		put16(fr, 0);	/* length, set below */
		put16(fr, 0);
		break;
	case 6: {
		unsigned int doff = rng_below(&g->r, 4) ? 5 : 5 + rng_below(&g->r, 11);

		put16(fr, rng_below(&g->r, 65536));
		put16(fr, PICK(g, 80, 80, 22, 9, 53, 443, 0, rng_below(&g->r, 65536)));
		put_random(g, fr, 8, 1);			/* sequence, acknowledgment */
		put8(fr, doff << 4);
		put8(fr, PICK(g, 0x02, 0x10, 0x12, 0x18, rng_below(&g->r, 256)));
		put_random(g, fr, 6, 1);			/* window, checksum, urgent */
		put_random(g, fr, (doff - 5) * 4, 0);		/* options */
		break;
	}
	default:
		break;
	}
	plen = fr->len - start;
	room = room > plen ? room - plen : 0;
	if (g->fill_to)
		put_random(g, fr, g->fill_to > fr->len && g->fill_to - fr->len < room ?
			   g->fill_to - fr->len : room, 0);
	else
		put_random(g, fr, payload_len(g, room), 0);
	if (proto == 17 && fr->len - start >= 8)
		set16(fr, start + 4, (unsigned int)(fr->len - start));
}

static unsigned int l4_proto(struct gen *g, int v6, int vip)
{
	if (vip && rng_below(&g->r, 4))		/* to the GLB VIP: mostly its binds' protocols */
		return PICK(g, 6, 6, 17);
	return v6 ? PICK(g, 58, 58, 58, 6, 17, 1, 59, 50, 0, rng_below(&g->r, 256))
		  : PICK(g, 1, 1, 1, 6, 17, 58, 50, 0, 255, rng_below(&g->r, 256));
}

static void put_ipv4(struct gen *g, struct frame *fr)
{
	size_t h = fr->len, optlen = rng_below(&g->r, 3) ? 0 : 4 * (1 + rng_below(&g->r, 10));
	int vip = (int)rng_below(&g->r, 2);	/* destination: half the time the GLB VIP */
	unsigned int proto = l4_proto(g, 0, vip), frag;

	frag = PICK(g, 0x4000, 0x4000, 0x4000, 0, 0x2000, 0x2000 | (1 + rng_below(&g->r, 0x1fff)),
		    1 + rng_below(&g->r, 0x1fff));
	put8(fr, 0x40 | (unsigned int)(5 + optlen / 4));
	put8(fr, rng_below(&g->r, 256));	/* DSCP, ECN */
	put16(fr, 0);				/* total length, set below */
	put16(fr, rng_below(&g->r, 65536));	/* identification */
	put16(fr, frag);
	put8(fr, PICK(g, 64, 1, 255, 0));
	put8(fr, proto);
	put16(fr, 0);				/* header checksum, set below */
	put_random(g, fr, 4, 1);		/* source */
	if (vip)
		put(fr, (const uint8_t[])FUZZ_GLB_VIP4, 4, 1);
	else
		put_random(g, fr, 4, 1);
	for (size_t i = 0; i < optlen; i++)	/* NOP, End of Options, or anything */
		put8(fr, PICK(g, 1, 1, 0, 7, 68, 148, rng_below(&g->r, 256)));
	put_l4(g, fr, (int)proto, 0, 1500 - (fr->len - h));
	set16(fr, h + 2, (unsigned int)(fr->len - h));
	set16(fr, h + 10, csum(fr->b + h, 20 + optlen, 0));
}

static void put_ipv6(struct gen *g, struct frame *fr)
{
	size_t h = fr->len;
	unsigned int next = 0, n_ext = rng_below(&g->r, 2) ? 0 : rng_below(&g->r, 8);
	int vip = (int)rng_below(&g->r, 2);	/* destination: half the time the GLB VIP */
	unsigned int ext[8];
	size_t nh_at = h + 6;

	for (unsigned int i = 0; i < n_ext; i++)
		ext[i] = i == 0 ? PICK(g, 0, 0, 60, 43, 44, 51) : PICK(g, 60, 43, 44, 51, 0);
	put8(fr, 0x60 | rng_below(&g->r, 16));
	put_random(g, fr, 3, 1);		/* traffic class, flow label */
	put16(fr, 0);				/* payload length, set below */
	put8(fr, 0);				/* next header, set below */
	put8(fr, PICK(g, 64, 255, 1, 0));
	put_random(g, fr, 16, 1);		/* source */
	if (vip)
		put(fr, (const uint8_t[])FUZZ_GLB_VIP6, 16, 1);
	else
		put_random(g, fr, 16, 1);
	for (unsigned int i = 0; i < n_ext; i++) {
		size_t at = fr->len;

		fr->b[nh_at] = (uint8_t)ext[i];
		nh_at = at;
		put8(fr, 0);			/* next header, set by the next one */
		switch (ext[i]) {
		case 44: {			/* offset 0 (first fragment) mostly */
			unsigned int off = rng_below(&g->r, 3) ? 0 : 1 + rng_below(&g->r, 0x1fff);

			put8(fr, 0);
			put16(fr, off << 3 | rng_below(&g->r, 2));
			put_random(g, fr, 4, 1);
			break;
		}
		case 51: {			/* (len + 2) * 4 bytes, a multiple of 8 in IPv6 */
			unsigned int words = 2 * rng_below(&g->r, 4);

			put8(fr, 1 + words);
			put_random(g, fr, 10 + 4 * words, 0);
			break;
		}
		default: {			/* Pad1/PadN options or a routing header: any bytes */
			unsigned int len = rng_below(&g->r, 4) ? 0 : rng_below(&g->r, 4);

			put8(fr, len);
			put_random(g, fr, 6 + 8 * len, 0);
			break;
		}
		}
	}
	next = l4_proto(g, 1, vip);
	fr->b[nh_at] = (uint8_t)next;
	put_l4(g, fr, (int)next, 1, 1500 - (fr->len - h));
	set16(fr, h + 4, (unsigned int)(fr->len - h - 40));
}

static void build_valid(struct gen *g, struct frame *fr)
{
	unsigned int tags = PICK(g, 0, 0, 0, 0, 1, 1, 2, 3), type;

	fr->len = 0;
	fr->nf = 0;
	put_random(g, fr, 6, 1);
	put_random(g, fr, 6, 1);
	for (unsigned int i = 0; i < tags; i++) {
		put16(fr, PICK(g, 0x8100, 0x8100, 0x88a8, 0x9100));
		put16(fr, rng_below(&g->r, 65536));	/* TCI */
	}
	type = PICK(g, 0x0800, 0x0800, 0x0800, 0x86dd, 0x86dd, 0x86dd, 0x0806, 0x88cc, 0x05dc,
		    0x8100, rng_below(&g->r, 65536));
	put16(fr, type);
	if (type == 0x0800)
		put_ipv4(g, fr);
	else if (type == 0x86dd)
		put_ipv6(g, fr);
	else
		put_random(g, fr, rng_below(&g->r, 64), 0);
	/* Ethernet pads short frames to 60 bytes: zeros from most drivers, anything from some. */
	if (fr->len < 60 && rng_below(&g->r, 2)) {
		int zero = rng_below(&g->r, 2);

		while (fr->len < 60)
			fr->b[fr->len++] = zero ? 0 : (uint8_t)rng_next(&g->r);
	}
}

static void mutate(struct gen *g, struct frame *fr)
{
	unsigned int n = 1 + rng_below(&g->r, 3);

	while (n--) {
		if (fr->nf && rng_below(&g->r, 5)) {
			struct field *f = &fr->f[rng_below(&g->r, (unsigned int)fr->nf)];
			uint8_t *p = fr->b + f->off;
			unsigned int v = f->len == 1 ? p[0] : (unsigned int)(p[0] << 8 | p[1]);
			unsigned int max = f->len == 1 ? 0xff : 0xffff;

			if (f->off + f->len > fr->len)
				continue;
			switch (rng_below(&g->r, 6)) {
			case 0: v = 0; break;
			case 1: v = max; break;
			case 2: v = (v + 1) & max; break;
			case 3: v = (v - 1) & max; break;
			case 4: v ^= 1u << rng_below(&g->r, f->len == 1 ? 8 : 16); break;
			default: v = rng_below(&g->r, max + 1); break;
			}
			if (f->len == 1)
				p[0] = (uint8_t)v;
			else
				set16(fr, f->off, v);
		} else if (fr->len) {		/* a bit anywhere */
			fr->b[rng_below(&g->r, (unsigned int)fr->len)] ^= (uint8_t)(1u << rng_below(&g->r, 8));
		}
	}
}

void gen_next(struct gen *g, struct frame *fr)
{
	unsigned long i = g->n++;

	if (g->sweeping) {
		memcpy(fr->b, g->sweep.b, g->sweep.len);
		fr->len = g->sweep_len++;
		fr->nf = 0;
		fr->kind = "truncated";
		g->sweeping = g->sweep_len <= g->sweep.len;
		return;
	}
	if (i < N_CORNER) {
		/* Fixed cases: the short ones random bytes, the long ones valid frames of
		 * exactly that length (IP packets as large as a 1500-byte MTU allows). */
		fr->len = 0;
		if (corner_lens[i] < 60) {
			put_random(g, fr, corner_lens[i], 0);
		} else {
			g->fill_to = corner_lens[i];
			do
				build_valid(g, fr);
			while (fr->len != corner_lens[i]);
			g->fill_to = 0;
		}
		fr->nf = 0;
		fr->kind = "corner";
		return;
	}
	/* A sweep makes ~100 frames (headers, a short payload): 1 in 300 keeps them ~25 %. */
	if (rng_below(&g->r, 300) == 0) {
		g->small = 1;
		build_valid(g, &g->sweep);
		g->small = 0;
		if (rng_below(&g->r, 3) == 0)
			mutate(g, &g->sweep);
		g->sweep_len = 0;
		g->sweeping = 1;
		gen_next(g, fr);
		g->n--;		/* counted once */
		return;
	}
	switch (rng_below(&g->r, 20)) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6:
		build_valid(g, fr);
		fr->kind = "valid";
		break;
	case 7: case 8: case 9: case 10: case 11: case 12: case 13: case 14:
		build_valid(g, fr);
		mutate(g, fr);
		fr->kind = "mutated";
		break;
	case 15: case 16: {
		unsigned int type = PICK(g, 0x0800, 0x86dd, 0x8100, 0x88a8, rng_below(&g->r, 65536));

		fr->len = 0;
		fr->nf = 0;
		put_random(g, fr, rng_below(&g->r, 2) ? rng_below(&g->r, 1519) : rng_below(&g->r, 100), 0);
		if (fr->len >= 14 && rng_below(&g->r, 2))
			set16(fr, 12, type);
		fr->kind = "random";
		break;
	}
	default:	/* a valid frame as large as the MTU allows: 1500-byte IP packets */
		g->fill_to = FRAME_MAX;
		build_valid(g, fr);
		g->fill_to = 0;
		fr->kind = "valid";
		if (rng_below(&g->r, 2)) {
			mutate(g, fr);
			fr->kind = "mutated";
		}
		break;
	}
}
