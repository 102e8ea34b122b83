// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: tools/lib/cbpf2ebpf.c on arbitrary classic BPF programs.
 *
 * Input: 8-byte classic instructions (code u16, jt u8, jf u8, k u32, host order), the first
 * byte choosing the registers (as xdpcap's, or another valid set). Beyond "no crash, no
 * sanitizer report", every translation must stay within its buffer and bound, and every
 * jump it emits must land inside the block or just after it (the block falls through).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include "cbpf2ebpf.h"

#define MAX_IN 512

static const struct cbpf2ebpf_opts regsets[] = {
	/* xdpcap's (tools/lib/xdpcap_prog.c) */
	{ .reg_pkt = 7, .reg_pkt_end = 8, .reg_len = 9, .reg_a = 2, .reg_x = 3, .reg_tmp = 4,
	  .reg_ind = 5, .reg_result = 0, .stack_off = 0 },
	/* result in a scratch register, memory words further down the stack */
	{ .reg_pkt = 6, .reg_pkt_end = 7, .reg_len = 8, .reg_a = 0, .reg_x = 1, .reg_tmp = 2,
	  .reg_ind = 3, .reg_result = 0, .stack_off = 64 },
};

static int is_jump(const struct bpf_insn *i)
{
	int cls = BPF_CLASS(i->code), op = BPF_OP(i->code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cbpf_insn in[MAX_IN];
	struct bpf_insn *out;
	size_t n, max, i;
	char err[256];
	int r;

	if (size < 1)
		return 0;
	n = (size - 1) / sizeof(in[0]);
	if (n > MAX_IN)
		n = MAX_IN;
	memcpy(in, data + 1, n * sizeof(in[0]));
	max = CBPF2EBPF_MAX_OUT(n);
	/* Exactly the documented room, so ASan sees any write past it. */
	out = malloc((max ? max : 1) * sizeof(*out));
	if (!out)
		return 0;
	err[0] = '\0';
	r = cbpf2ebpf(in, n, &regsets[data[0] % 2], out, max, err, sizeof(err));
	if (r < 0) {
		if (!err[0] || !memchr(err, '\0', sizeof(err)))
			abort();	/* a refusal must say why */
	} else {
		if ((size_t)r > max)
			abort();
		for (i = 0; i < (size_t)r; i++) {
			long t = (long)i + 1 + out[i].off;

			if (is_jump(&out[i]) && (t < 0 || t > r)) {
				fprintf(stderr, "insn %zu jumps to %ld, outside 0..%d\n", i, t, r);
				abort();
			}
			if (out[i].code == (BPF_LD | BPF_DW | BPF_IMM))
				i++;	/* two slots */
		}
	}
	free(out);
	return 0;
}
