// SPDX-License-Identifier: GPL-2.0
/* The reference: what a frame is, read from the specifications, written without looking at
 * bpf/parse.bpf.h. Where the specifications leave a choice, the choice is the programs'
 * documented contract, "anything too short or malformed to be sure about passes":
 *
 *   IEEE 802.3      Ethernet II: 6 destination, 6 source, 2 EtherType.
 *   IEEE 802.1Q     a tag is a TPID (0x8100 C-tag, 0x88A8 S-tag) and a 2-byte TCI; the
 *                   EtherType follows. At most REF_MAX_TAGS tags are read (documented limit).
 *   RFC 791         IPv4: version 4, IHL >= 5 words, IHL*4 <= Total Length <= the bytes there.
 *                   Bytes past Total Length are link padding, not part of the datagram.
 *                   Only the fragment with offset 0 carries the upper-layer header. Header
 *                   checksum not checked (the stack drops a bad one anyway).
 *   RFC 8200        IPv6: version 6, 40 + Payload Length <= the bytes there. Extension
 *                   headers: Hop-by-Hop (0, only right after the IPv6 header, 4.3),
 *                   Routing (43), Destination Options (60): (Hdr Ext Len + 1) * 8 bytes;
 *                   Fragment (44): 8 bytes, a non-zero offset means the upper-layer header is
 *                   in another fragment; each must end inside the payload.
 *   RFC 4302 2.2    AH (51): (Payload Len + 2) * 4 bytes.
 *   RFC 792, 4443   echo reply: ICMP type 0 / ICMPv6 type 129, an 8-byte header (type, code,
 *                   checksum, identifier, sequence). The code and checksum are not checked.
 *   RFC 768, 9293   UDP: 8-byte header; TCP: 20-byte fixed header; destination port at 2..3.
 */
#include <string.h>
#include "fuzz.h"

static unsigned int be16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static void ref_ipv4(const uint8_t *h, size_t n, struct ref_pkt *p)
{
	size_t ihl, tot;

	if (n < 20 || h[0] >> 4 != 4)
		return;
	ihl = (size_t)(h[0] & 0x0f) * 4;
	tot = be16(h + 2);
	if (ihl < 20 || tot < ihl || tot > n)
		return;
	p->ip = 4;
	p->proto = h[9];
	if ((be16(h + 6) & 0x1fff) == 0) {	/* fragment offset, in 8-byte units */
		p->l4 = h + ihl;
		p->l4_len = tot - ihl;
	}
}

static int ipv6_ext(int nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

static void ref_ipv6(const uint8_t *h, size_t n, struct ref_pkt *p)
{
	size_t end, off = 40, hlen;
	int nh, walked;

	if (n < 40 || h[0] >> 4 != 6)
		return;
	end = 40 + (size_t)be16(h + 4);
	if (end > n)
		return;
	nh = h[6];
	for (walked = 0; ipv6_ext(nh); walked++) {
		if (walked == REF_MAX_EXT)
			return;			/* deeper than the documented limit: unknown */
		if (off + 8 > end)		/* every extension header has at least 8 bytes */
			return;
		switch (nh) {
		case 0:
			if (off != 40)
				return;		/* Hop-by-Hop anywhere else is malformed */
			/* fall through */
		case 43:
		case 60:
			hlen = ((size_t)h[off + 1] + 1) * 8;
			break;
		case 51:
			hlen = ((size_t)h[off + 1] + 2) * 4;
			break;
		default:	/* 44, Fragment */
			hlen = 8;
			if (be16(h + off + 2) >> 3) {
				/* A later fragment: its Next Header names the first header of the
				 * fragmentable part; the upper-layer header is elsewhere. */
				p->ip = 6;
				p->proto = h[off];
				return;
			}
			break;
		}
		if (off + hlen > end)
			return;
		nh = h[off];
		off += hlen;
	}
	p->ip = 6;
	p->proto = nh;
	p->l4 = h + off;
	p->l4_len = end - off;
}

void ref_parse(const uint8_t *f, size_t len, struct ref_pkt *p)
{
	size_t off = 14;
	unsigned int type;
	int tags;

	memset(p, 0, sizeof(*p));
	p->proto = -1;
	if (len < 14)
		return;
	type = be16(f + 12);
	for (tags = 0; tags < REF_MAX_TAGS && (type == 0x8100 || type == 0x88a8); tags++) {
		if (len < off + 4)
			return;
		type = be16(f + off + 2);
		off += 4;
	}
	p->ethertype = type;
	if (type == 0x0800)
		ref_ipv4(f + off, len - off, p);
	else if (type == 0x86dd)
		ref_ipv6(f + off, len - off, p);
}

int ref_is_echo_reply(const struct ref_pkt *p)
{
	if (!p->l4 || p->l4_len < 8)
		return 0;
	if (p->ip == 4 && p->proto == 1)
		return p->l4[0] == 0;
	if (p->ip == 6 && p->proto == 58)
		return p->l4[0] == 129;
	return 0;
}

int ref_dst_port(const struct ref_pkt *p)
{
	if (!p->l4)
		return -1;
	if ((p->proto == 17 && p->l4_len >= 8) || (p->proto == 6 && p->l4_len >= 20))
		return (int)be16(p->l4 + 2);
	return -1;
}
