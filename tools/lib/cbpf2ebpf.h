/* SPDX-License-Identifier: GPL-2.0 */
/* cbpf2ebpf: translate a classic BPF filter (what libpcap's pcap_compile produces for a
 * tcpdump expression) into eBPF instructions that read the packet directly, so an XDP
 * program can run the filter in the kernel before copying anything.
 *
 * The generated block expects the packet start/end pointers and the packet length in
 * registers the caller chooses, uses four scratch registers and 64 bytes of stack for
 * cBPF's 16 memory words, and leaves the filter result in `result`: 0 = no match,
 * otherwise the number of bytes to keep (cBPF's return value). It always ends by falling
 * through to the instruction after the block. Loads outside the packet mean "no match",
 * as in classic BPF. Only forward jumps exist, so the result has no loops.
 *
 * The header does not include <linux/bpf.h> (only forward-declares struct bpf_insn) so a
 * file that includes <pcap.h>, whose struct bpf_insn is the classic one, can use it too.
 */
#ifndef BPFLAB_CBPF2EBPF_H
#define BPFLAB_CBPF2EBPF_H

#include <stddef.h>
#include <stdint.h>

/* One classic instruction: the layout of struct sock_filter and of libpcap's struct bpf_insn. */
struct cbpf_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

struct bpf_insn;

struct cbpf2ebpf_opts {
	/* Inputs, not modified: packet start and end pointers, packet length (scalar). */
	int reg_pkt, reg_pkt_end, reg_len;
	/* Scratch: cBPF's A and X, a temporary, the base for indirect loads. */
	int reg_a, reg_x, reg_tmp, reg_ind;
	/* Output: 0 when the packet does not match. May be one of the scratch registers. */
	int reg_result;
	/* cBPF memory word i lives at r10 - stack_off - 4 * (i + 1). */
	int stack_off;
};

/* Upper bound of eBPF instructions for N classic ones (size the output buffer with it). */
#define CBPF2EBPF_MAX_OUT(n) ((n) * 12 + 24)

/* Translate N classic instructions into OUT (room for MAX_OUT). Returns the number of eBPF
 * instructions, or -1 with a one-line reason in ERR (unsupported or invalid instruction). */
int cbpf2ebpf(const struct cbpf_insn *in, size_t n, const struct cbpf2ebpf_opts *opts,
	      struct bpf_insn *out, size_t max_out, char *err, size_t errlen);

/* Fill one eBPF instruction (a tiny assembler for the code around the filter). */
void ebpf_insn_set(struct bpf_insn *insn, uint8_t code, int dst, int src, int16_t off, int32_t imm);

#endif
