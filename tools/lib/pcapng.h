/* SPDX-License-Identifier: GPL-2.0 */
/* pcapng: a minimal pcapng writer (section header, interfaces, enhanced packet blocks with a
 * comment), the file format tcpdump -r and Wireshark read. Host byte order, nanosecond
 * timestamps. Format: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-01.html
 *
 *   struct pcapng w;
 *   pcapng_init(&w, stdout, 65535);
 *   pcapng_section(&w, "my tool");
 *   pcapng_interface(&w, PCAPNG_LINKTYPE_ETHERNET, 65535, "eth0", "what it is", "tcp");  -> index 0
 *   pcapng_packet(&w, 0, ts_ns, data, caplen, len, "a comment");
 *   pcapng_free(&w);
 *
 * Each block is built in memory and written with one fwrite; the functions return 0, or -1
 * with errno set (a write error, or EMSGSIZE for a packet longer than the MAX_CAPLEN given
 * to pcapng_init). Closing and flushing the FILE is the caller's business.
 */
#ifndef BPFLAB_PCAPNG_H
#define BPFLAB_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCAPNG_LINKTYPE_ETHERNET 1

struct pcapng {
	FILE *f;
	unsigned char *buf;	/* the block being built */
	size_t len, cap;
	uint32_t n_ifaces;
};

int pcapng_init(struct pcapng *w, FILE *f, uint32_t max_caplen);
void pcapng_free(struct pcapng *w);
/* Section header block; USERAPPL (may be NULL) names the writing program. */
int pcapng_section(struct pcapng *w, const char *userappl);
/* Interface description block with nanosecond resolution; DESC and FILTER (a libpcap filter
 * string, cut at 255 bytes) may be NULL. Interfaces are numbered 0, 1, ... in call order. */
int pcapng_interface(struct pcapng *w, uint16_t linktype, uint32_t snaplen, const char *name,
		     const char *desc, const char *filter);
/* Enhanced packet block: CAPLEN bytes of DATA kept of a LEN-byte packet; COMMENT may be NULL. */
int pcapng_packet(struct pcapng *w, uint32_t ifidx, uint64_t ts_ns, const void *data,
		  uint32_t caplen, uint32_t len, const char *comment);

#endif
