// SPDX-License-Identifier: GPL-2.0
/* Classic BPF -> eBPF with direct packet access (see cbpf2ebpf.h).
 *
 * Every classic instruction becomes a few eBPF ones. The verifier must be able to prove
 * each packet load in bounds, so every load is preceded by its own check against the
 * packet end (jumping to "no match", like a classic load past the end). Indirect loads
 * also bound X first, because the verifier only accepts a variable packet offset it
 * knows to be small. Classic instructions no path reaches are left out: the verifier
 * rejects unreachable code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include "cbpf2ebpf.h"

/* Largest packet offset the verifier lets a program reach through a pointer (MAX_PACKET_OFF). */
#define PKT_OFF_MAX 0xffff

enum { TGT_NONE, TGT_CBPF, TGT_NOMATCH, TGT_END };

struct emitter {
	struct bpf_insn *out;
	size_t max, n;
	/* Jump fixups: what each emitted jump points to, resolved at the end. */
	unsigned char *tgt_kind;
	size_t *tgt_idx;
	int nomatch_used;
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct emitter *e, const char *fmt, ...)
{
	va_list ap;

	if (e->failed)
		return;
	e->failed = 1;
	va_start(ap, fmt);
	vsnprintf(e->err, e->errlen, fmt, ap);
	va_end(ap);
}

void ebpf_insn_set(struct bpf_insn *i, uint8_t code, int dst, int src, int16_t off, int32_t imm)
{
	memset(i, 0, sizeof(*i));
	i->code = code;
	i->dst_reg = dst;
	i->src_reg = src;
	i->off = off;
	i->imm = imm;
}

static void emit(struct emitter *e, __u8 code, int dst, int src, __s16 off, __s32 imm)
{
	if (e->n >= e->max) {
		fail(e, "filter too long");
		return;
	}
	ebpf_insn_set(&e->out[e->n], code, dst, src, off, imm);
	e->tgt_kind[e->n] = TGT_NONE;
	e->n++;
}

/* A jump whose offset is filled in by resolve(). */
static void emit_jump(struct emitter *e, __u8 code, int dst, int src, __s32 imm, int kind, size_t idx)
{
	emit(e, code, dst, src, 0, imm);
	if (e->failed)
		return;
	e->tgt_kind[e->n - 1] = kind;
	e->tgt_idx[e->n - 1] = idx;
	if (kind == TGT_NOMATCH)
		e->nomatch_used = 1;
}

static void mov32_imm(struct emitter *e, int dst, __s32 imm)
{
	emit(e, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

static void mov32_reg(struct emitter *e, int dst, int src)
{
	emit(e, BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}

static int ld_size(__u16 code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W: return 4;
	case BPF_H: return 2;
	case BPF_B: return 1;
	}
	return 0;
}

/* dst = packet[base + off .. + size), network order to host order; no match when outside. */
static void packet_load(struct emitter *e, const struct cbpf2ebpf_opts *o, int dst, int base,
			__u32 off, int size)
{
	/* tmp = base + off + size; if (tmp > end) no match */
	emit(e, BPF_ALU64 | BPF_MOV | BPF_X, o->reg_tmp, base, 0, 0);
	emit(e, BPF_ALU64 | BPF_ADD | BPF_K, o->reg_tmp, 0, 0, off + size);
	emit_jump(e, BPF_JMP | BPF_JGT | BPF_X, o->reg_tmp, o->reg_pkt_end, 0, TGT_NOMATCH, 0);
	if (off <= 0x7fff) {
		emit(e, BPF_LDX | BPF_MEM | (size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B), dst, base, off, 0);
	} else {
		/* The load offset field is 16 bits signed: move the pointer instead. */
		emit(e, BPF_ALU64 | BPF_ADD | BPF_K, o->reg_tmp, 0, 0, -size);
		emit(e, BPF_LDX | BPF_MEM | (size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B), dst, o->reg_tmp, 0, 0);
	}
	if (size > 1)
		emit(e, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8);
}

static __s16 mem_off(const struct cbpf2ebpf_opts *o, __u32 k)
{
	return -(o->stack_off + 4 * ((int)k + 1));
}

static void translate_one(struct emitter *e, const struct cbpf2ebpf_opts *o,
			  const struct cbpf_insn *ins, size_t pc, size_t n)
{
	__u16 c = ins->code;
	__u32 k = ins->k;
	int a = o->reg_a, x = o->reg_x, size;

	switch (BPF_CLASS(c)) {
	case BPF_LD:
	case BPF_LDX: {
		int dst = BPF_CLASS(c) == BPF_LD ? a : x;

		switch (BPF_MODE(c)) {
		case BPF_IMM:
			mov32_imm(e, dst, k);
			return;
		case BPF_MEM:
			if (k >= BPF_MEMWORDS)
				break;
			emit(e, BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_10, mem_off(o, k), 0);
			return;
		case BPF_LEN:
			mov32_reg(e, dst, o->reg_len);
			return;
		case BPF_ABS:
			size = ld_size(c);
			if (BPF_CLASS(c) != BPF_LD || !size)
				break;
			if (k > (__u32)(PKT_OFF_MAX - size)) {
				/* Negative offsets are Linux's ancillary-data extensions (SKF_AD_*). */
				fail(e, "instruction %zu: packet offset %u not supported (no socket-filter extensions here)",
				     pc, k);
				return;
			}
			packet_load(e, o, a, o->reg_pkt, k, size);
			return;
		case BPF_IND:
			size = ld_size(c);
			if (BPF_CLASS(c) != BPF_LD || !size)
				break;
			if (k > (__u32)(PKT_OFF_MAX - size)) {
				fail(e, "instruction %zu: packet offset %u too large", pc, k);
				return;
			}
			/* The verifier needs X + k + size <= 0xffff to accept base + X as a packet pointer. */
			emit_jump(e, BPF_JMP | BPF_JGT | BPF_K, x, 0, PKT_OFF_MAX - k - size, TGT_NOMATCH, 0);
			emit(e, BPF_ALU64 | BPF_MOV | BPF_X, o->reg_ind, o->reg_pkt, 0, 0);
			emit(e, BPF_ALU64 | BPF_ADD | BPF_X, o->reg_ind, x, 0, 0);
			packet_load(e, o, a, o->reg_ind, k, size);
			return;
		case BPF_MSH:
			/* X = 4 * (packet[k] & 0xf): the IPv4 header length idiom. */
			if (BPF_CLASS(c) != BPF_LDX || BPF_SIZE(c) != BPF_B)
				break;
			if (k > PKT_OFF_MAX - 1) {
				fail(e, "instruction %zu: packet offset %u not supported", pc, k);
				return;
			}
			packet_load(e, o, x, o->reg_pkt, k, 1);
			emit(e, BPF_ALU | BPF_AND | BPF_K, x, 0, 0, 0xf);
			emit(e, BPF_ALU | BPF_LSH | BPF_K, x, 0, 0, 2);
			return;
		}
		break;
	}
	case BPF_ST:
	case BPF_STX:
		if (k >= BPF_MEMWORDS)
			break;
		emit(e, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_CLASS(c) == BPF_ST ? a : x, mem_off(o, k), 0);
		return;
	case BPF_ALU:
		switch (BPF_OP(c)) {
		case BPF_NEG:
			emit(e, BPF_ALU | BPF_NEG, a, 0, 0, 0);
			return;
		case BPF_DIV:
		case BPF_MOD:
			if (BPF_SRC(c) == BPF_K && k == 0) {
				fail(e, "instruction %zu: division by zero", pc);
				return;
			}
			/* Classic BPF ends with "no match" on division by X == 0. */
			if (BPF_SRC(c) == BPF_X)
				emit_jump(e, BPF_JMP | BPF_JEQ | BPF_K, x, 0, 0, TGT_NOMATCH, 0);
			/* fallthrough */
		case BPF_ADD:
		case BPF_SUB:
		case BPF_MUL:
		case BPF_OR:
		case BPF_AND:
		case BPF_XOR:
		case BPF_LSH:
		case BPF_RSH:
			if ((BPF_OP(c) == BPF_LSH || BPF_OP(c) == BPF_RSH) && BPF_SRC(c) == BPF_K && k >= 32) {
				fail(e, "instruction %zu: shift by %u", pc, k);
				return;
			}
			/* libpcap's interpreter shifts by X >= 32 to 0; eBPF would take X mod 32. */
			if ((BPF_OP(c) == BPF_LSH || BPF_OP(c) == BPF_RSH) && BPF_SRC(c) == BPF_X) {
				emit(e, BPF_JMP | BPF_JLT | BPF_K, x, 0, 2, 32);
				mov32_imm(e, a, 0);
				emit(e, BPF_JMP | BPF_JA, 0, 0, 1, 0);
			}
			/* 32-bit ALU: classic A and X are 32 bits wide; the opcodes are the same. */
			if (BPF_SRC(c) == BPF_K)
				emit(e, BPF_ALU | BPF_OP(c) | BPF_K, a, 0, 0, k);
			else
				emit(e, BPF_ALU | BPF_OP(c) | BPF_X, a, x, 0, 0);
			return;
		}
		break;
	case BPF_JMP: {
		size_t t, f;

		if (BPF_OP(c) == BPF_JA) {
			if (k >= n - pc - 1)
				break;
			emit_jump(e, BPF_JMP | BPF_JA, 0, 0, 0, TGT_CBPF, pc + 1 + k);
			return;
		}
		t = pc + 1 + ins->jt;
		f = pc + 1 + ins->jf;
		if (t >= n || f >= n)
			break;
		switch (BPF_OP(c)) {
		case BPF_JEQ:
		case BPF_JGT:
		case BPF_JGE:
		case BPF_JSET:
			/* JMP32 compares the low 32 bits, unsigned, with imm as a 32-bit value:
			 * exactly classic BPF's comparisons. */
			if (BPF_SRC(c) == BPF_K)
				emit_jump(e, BPF_JMP32 | BPF_OP(c) | BPF_K, a, 0, k, TGT_CBPF, t);
			else
				emit_jump(e, BPF_JMP32 | BPF_OP(c) | BPF_X, a, x, 0, TGT_CBPF, t);
			if (f != pc + 1)
				emit_jump(e, BPF_JMP | BPF_JA, 0, 0, 0, TGT_CBPF, f);
			return;
		}
		break;
	}
	case BPF_RET:
		switch (BPF_RVAL(c)) {
		case BPF_K:
			mov32_imm(e, o->reg_result, k);
			break;
		case BPF_A:
			mov32_reg(e, o->reg_result, a);
			break;
		default:
			fail(e, "instruction %zu: unsupported return (code 0x%04x)", pc, c);
			return;
		}
		emit_jump(e, BPF_JMP | BPF_JA, 0, 0, 0, TGT_END, 0);
		return;
	case BPF_MISC:
		if (BPF_MISCOP(c) == BPF_TAX) {
			mov32_reg(e, x, a);
			return;
		}
		if (BPF_MISCOP(c) == BPF_TXA) {
			mov32_reg(e, a, x);
			return;
		}
		break;
	}
	fail(e, "instruction %zu: unsupported or invalid classic BPF (code 0x%04x k %u)", pc, c, k);
}

int cbpf2ebpf(const struct cbpf_insn *in, size_t n, const struct cbpf2ebpf_opts *o,
	      struct bpf_insn *out, size_t max_out, char *err, size_t errlen)
{
	struct emitter e = { .out = out, .max = max_out, .err = err, .errlen = errlen };
	unsigned char *reach = NULL;
	size_t *start = NULL;
	unsigned mem_used = 0;
	size_t pc, i, end;
	int ret = -1;

	if (n == 0 || n > BPF_MAXINSNS) {
		snprintf(err, errlen, "classic filter has %zu instructions (1..%d)", n, BPF_MAXINSNS);
		return -1;
	}
	reach = calloc(n, 1);
	start = calloc(n, sizeof(*start));
	e.tgt_kind = calloc(max_out, 1);
	e.tgt_idx = calloc(max_out, sizeof(*e.tgt_idx));
	if (!reach || !start || !e.tgt_kind || !e.tgt_idx) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}

	/* Jumps only go forward, so one pass in order finds every reachable instruction. */
	reach[0] = 1;
	for (pc = 0; pc < n; pc++) {
		__u16 c = in[pc].code;

		if (!reach[pc])
			continue;
		if ((BPF_CLASS(c) == BPF_ST || BPF_CLASS(c) == BPF_STX ||
		     ((BPF_CLASS(c) == BPF_LD || BPF_CLASS(c) == BPF_LDX) && BPF_MODE(c) == BPF_MEM)) &&
		    in[pc].k < BPF_MEMWORDS)
			mem_used |= 1u << in[pc].k;
		if (BPF_CLASS(c) == BPF_RET)
			continue;
		if (BPF_CLASS(c) == BPF_JMP && BPF_OP(c) == BPF_JA) {
			if (in[pc].k < n - pc - 1)
				reach[pc + 1 + in[pc].k] = 1;
		} else if (BPF_CLASS(c) == BPF_JMP) {
			if (pc + 1 + in[pc].jt < n)
				reach[pc + 1 + in[pc].jt] = 1;
			if (pc + 1 + in[pc].jf < n)
				reach[pc + 1 + in[pc].jf] = 1;
		} else if (pc + 1 < n) {
			reach[pc + 1] = 1;
		} else {
			snprintf(err, errlen, "classic filter does not end with a return");
			goto out;
		}
	}

	/* Classic A, X and memory start at 0; the verifier insists on initialised registers. */
	mov32_imm(&e, o->reg_a, 0);
	mov32_imm(&e, o->reg_x, 0);
	for (i = 0; i < BPF_MEMWORDS; i++)
		if (mem_used & (1u << i))
			emit(&e, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, mem_off(o, i), 0);

	for (pc = 0; pc < n && !e.failed; pc++) {
		start[pc] = e.n;
		if (reach[pc])
			translate_one(&e, o, &in[pc], pc, n);
	}
	if (e.nomatch_used)
		mov32_imm(&e, o->reg_result, 0);
	if (e.failed)
		goto out;
	end = e.n;

	for (i = 0; i < end; i++) {
		size_t to;

		switch (e.tgt_kind[i]) {
		case TGT_NONE:
			continue;
		case TGT_CBPF:
			to = start[e.tgt_idx[i]];
			break;
		case TGT_NOMATCH:
			to = end - 1;
			break;
		default:
			to = end;
			break;
		}
		if (to - i - 1 > 0x7fff) {
			snprintf(err, errlen, "filter too long for 16-bit jumps");
			goto out;
		}
		out[i].off = to - i - 1;
	}
	ret = (int)end;
out:
	free(reach);
	free(start);
	free(e.tgt_kind);
	free(e.tgt_idx);
	return ret;
}
