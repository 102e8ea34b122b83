// SPDX-License-Identifier: GPL-2.0
/* A minimal pcapng writer (see pcapng.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pcapng.h"

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 0x00000001
#define BT_EPB 0x00000006
#define OPT_END 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define IF_FILTER 11
#define FILTER_MAX 255
/* Room in a block beyond the packet: headers, a comment, the options of an interface. */
#define BLOCK_EXTRA 1024

int pcapng_init(struct pcapng *w, FILE *f, uint32_t max_caplen)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->cap = (size_t)max_caplen + BLOCK_EXTRA;
	w->buf = malloc(w->cap);
	return w->buf ? 0 : -1;
}

void pcapng_free(struct pcapng *w)
{
	free(w->buf);
	w->buf = NULL;
	w->cap = w->len = 0;
}

/* Append N bytes; nothing for N == 0 (P may then be NULL: memcpy(dst, NULL, 0) is undefined). */
static int put(struct pcapng *w, const void *p, size_t n)
{
	if (!n)
		return 0;
	if (n > w->cap - w->len) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

static int put32(struct pcapng *w, uint32_t v)
{
	return put(w, &v, 4);
}

static int pad4(struct pcapng *w)
{
	static const unsigned char zero[4];

	return put(w, zero, (4 - w->len % 4) % 4);
}

/* One option: code, length, value padded to 4 bytes. */
static int put_opt(struct pcapng *w, uint16_t code, const void *p, size_t n)
{
	uint16_t hdr[2] = { code, (uint16_t)n };

	if (n > UINT16_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	return put(w, hdr, sizeof(hdr)) || put(w, p, n) || pad4(w) ? -1 : 0;
}

static int put_str_opt(struct pcapng *w, uint16_t code, const char *s)
{
	return s && *s ? put_opt(w, code, s, strlen(s)) : 0;
}

static int begin(struct pcapng *w, uint32_t type)
{
	w->len = 0;
	return put32(w, type) || put32(w, 0 /* total length, set by finish() */) ? -1 : 0;
}

static int finish(struct pcapng *w)
{
	uint32_t total = w->len + 4;

	if (put32(w, total))
		return -1;
	memcpy(w->buf + 4, &total, 4);
	if (fwrite(w->buf, 1, w->len, w->f) != w->len) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

int pcapng_section(struct pcapng *w, const char *userappl)
{
	uint16_t ver[2] = { 1, 0 };
	uint64_t section_len = UINT64_MAX;	/* not known in advance */

	return begin(w, BT_SHB) || put32(w, 0x1A2B3C4D /* byte-order magic */) ||
	       put(w, ver, sizeof(ver)) || put(w, &section_len, sizeof(section_len)) ||
	       put_str_opt(w, SHB_USERAPPL, userappl) || put_opt(w, OPT_END, NULL, 0) || finish(w) ? -1 : 0;
}

int pcapng_interface(struct pcapng *w, uint16_t linktype, uint32_t snaplen, const char *name,
		     const char *desc, const char *filter)
{
	uint16_t lt[2] = { linktype, 0 };
	unsigned char tsresol = 9;	/* 10^-9 s */
	unsigned char f[FILTER_MAX + 1] = { 0 };	/* first byte 0: a libpcap filter string */
	size_t flen = filter ? strlen(filter) : 0;

	if (flen > FILTER_MAX)
		flen = FILTER_MAX;
	if (flen)
		memcpy(f + 1, filter, flen);
	if (begin(w, BT_IDB) || put(w, lt, sizeof(lt)) || put32(w, snaplen) ||
	    put_str_opt(w, IF_NAME, name) || put_str_opt(w, IF_DESCRIPTION, desc) ||
	    put_opt(w, IF_TSRESOL, &tsresol, 1) || (flen && put_opt(w, IF_FILTER, f, flen + 1)) ||
	    put_opt(w, OPT_END, NULL, 0) || finish(w))
		return -1;
	w->n_ifaces++;
	return 0;
}

int pcapng_packet(struct pcapng *w, uint32_t ifidx, uint64_t ts_ns, const void *data,
		  uint32_t caplen, uint32_t len, const char *comment)
{
	if (caplen > w->cap - BLOCK_EXTRA || (comment && strlen(comment) > BLOCK_EXTRA / 2)) {
		errno = EMSGSIZE;
		return -1;
	}
	return begin(w, BT_EPB) || put32(w, ifidx) || put32(w, ts_ns >> 32) || put32(w, (uint32_t)ts_ns) ||
	       put32(w, caplen) || put32(w, len) || put(w, data, caplen) || pad4(w) ||
	       put_str_opt(w, OPT_COMMENT, comment) || put_opt(w, OPT_END, NULL, 0) || finish(w) ? -1 : 0;
}
