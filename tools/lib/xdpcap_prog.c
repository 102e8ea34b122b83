// SPDX-License-Identifier: GPL-2.0
/* xdpcap_prog: capture programs for the xdpcap hook (see xdpcap_prog.h).
 *
 * A capture program is generated as raw eBPF, because its middle part is the user's
 * tcpdump filter translated from classic BPF at run time (cbpf2ebpf). It is tail-called
 * from xdpcap_exit() in the slot of one action and looks like this:
 *
 *   r6 = ctx; r7 = data; r8 = data_end; r9 = packet length
 *   <filter>                        -> r0 = bytes to keep, 0 = no match
 *   no match:  count "filtered"                          (no copy at all)
 *   match:     caplen = min(r0, snaplen, length)
 *              bpf_perf_event_output(ctx, events, CURRENT_CPU | caplen << 32, &meta, 24)
 *              (the kernel appends caplen packet bytes after the metadata)
 *              count "captured"; "lost" if the buffer was full (-ENOSPC);
 *              "failed" for any other error of the helper
 *   return ACTION                   the verdict the hooked program chose, unchanged
 *
 * Counters live in a per-CPU array indexed by action (no atomics needed in XDP).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pinutil.h"
#include "xdpcap_prog.h"

const char *const xc_action_names[XC_NUM_ACTIONS] = { "aborted", "drop", "pass", "tx", "redirect" };

/* Prepended to every packet in the perf buffer; written by the capture program. */
struct xc_meta {
	__u64 ts_ns;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 len;	/* packet length on the wire (all fragments) */
	__u32 caplen;	/* bytes that follow */
	__u32 action;
	__u32 pad;
};

/* Stack layout of the capture program: cBPF memory words at -4..-64, then these. */
#define META_OFF (-88)
#define META(field) ((__s16)(META_OFF + (int)offsetof(struct xc_meta, field)))
#define KEY_OFF  (-96)

/* Perf ring per CPU, in pages: large rings absorb bursts while the writer catches up
 * (4 MiB per CPU on small machines), but the total stays near 64 MiB on big ones. */
#define PERF_PAGES_MAX 1024
#define PERF_PAGES_MIN 64
#define PERF_PAGES_TOTAL 16384

/* Ways to make the capture program compatible with the hook's owner, tried in order:
 * a prog array only takes programs like its owner (type, expected attach type on newer
 * kernels, xdp frags flag), and bpf_prog_info does not tell us the owner's flags. */
static const struct {
	enum bpf_attach_type attach;
	__u32 flags;
} variants[] = {
	{ BPF_XDP, 0 },
	{ BPF_XDP, BPF_F_XDP_HAS_FRAGS },
	{ 0, 0 },
	{ 0, BPF_F_XDP_HAS_FRAGS },
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

struct xc {
	struct pu_obj hook;
	unsigned int mask;		/* actions to capture */
	unsigned int filled;		/* slots this process filled */
	struct cbpf_insn *filter;
	size_t filter_len;
	unsigned int snaplen;
	int events_fd, counts_fd;
	int prog_fd[XC_NUM_ACTIONS];
	__u32 prog_id[XC_NUM_ACTIONS];
	size_t variant;
	struct perf_buffer *pb;
	xc_packet_fn fn;
	void *fn_ctx;
	int fn_done;
	uint64_t perf_lost;
};

/* ---- a tiny assembler with forward labels */
enum { L_FILTERED, L_COUNT, L_EXIT, L_MAX };

struct asmb {
	struct bpf_insn *insn;
	size_t n, max;
	long label[L_MAX];
	struct {
		size_t at;
		int label;
	} fix[8];
	int nfix;
	int overflow;
};

static void op(struct asmb *a, __u8 code, int dst, int src, __s16 off, __s32 imm)
{
	if (a->n >= a->max) {
		a->overflow = 1;
		return;
	}
	ebpf_insn_set(&a->insn[a->n++], code, dst, src, off, imm);
}

static void jmp(struct asmb *a, __u8 code, int dst, int src, __s32 imm, int label)
{
	if (a->nfix >= (int)(sizeof(a->fix) / sizeof(a->fix[0]))) {
		a->overflow = 1;
		return;
	}
	a->fix[a->nfix].at = a->n;
	a->fix[a->nfix++].label = label;
	op(a, code, dst, src, 0, imm);
}

static void label(struct asmb *a, int l)
{
	a->label[l] = a->n;
}

static void ld_map_fd(struct asmb *a, int dst, int fd)
{
	/* A 16-byte load: the verifier turns the fd into the map pointer. */
	op(a, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd);
	op(a, 0, 0, 0, 0, 0);
}

static void call(struct asmb *a, int helper)
{
	op(a, BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}

static int build(const struct xc *xc, unsigned int action, int frags, struct bpf_insn *out, size_t max)
{
	const struct cbpf2ebpf_opts fo = {
		.reg_pkt = BPF_REG_7, .reg_pkt_end = BPF_REG_8, .reg_len = BPF_REG_9,
		.reg_a = BPF_REG_2, .reg_x = BPF_REG_3, .reg_tmp = BPF_REG_4, .reg_ind = BPF_REG_5,
		.reg_result = BPF_REG_0, .stack_off = 0,
	};
	struct asmb a = { .insn = out, .max = max };
	char err[256];
	int i, n;

	op(&a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	if (frags) {
		/* data_end only covers the first fragment; the helper gives the whole length. */
		call(&a, BPF_FUNC_xdp_get_buff_len);
		op(&a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_0, 0, 0);
	}
	op(&a, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_7, BPF_REG_6, offsetof(struct xdp_md, data), 0);
	op(&a, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_8, BPF_REG_6, offsetof(struct xdp_md, data_end), 0);
	if (!frags) {
		op(&a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_8, 0, 0);
		op(&a, BPF_ALU64 | BPF_SUB | BPF_X, BPF_REG_9, BPF_REG_7, 0, 0);
	}
	if (a.overflow)
		return -E2BIG;
	n = cbpf2ebpf(xc->filter, xc->filter_len, &fo, out + a.n, max - a.n, err, sizeof(err));
	if (n < 0) {
		pu_err(0, "cannot translate the filter to eBPF: %s", err);
		return -EINVAL;
	}
	a.n += n;

	jmp(&a, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, L_FILTERED);
	/* caplen = min(filter result, snaplen, length) */
	op(&a, BPF_JMP | BPF_JLE | BPF_K, BPF_REG_0, 0, 1, xc->snaplen);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, xc->snaplen);
	op(&a, BPF_JMP | BPF_JLE | BPF_X, BPF_REG_0, BPF_REG_9, 1, 0);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_9, 0, 0);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
	/* struct xc_meta on the stack */
	call(&a, BPF_FUNC_ktime_get_ns);
	op(&a, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, META(ts_ns), 0);
	op(&a, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_9, META(len), 0);
	op(&a, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_7, META(caplen), 0);
	op(&a, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, META(action), action);
	op(&a, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, META(pad), 0);
	/* bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU | caplen << 32, &meta, sizeof(meta)) */
	op(&a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
	ld_map_fd(&a, BPF_REG_2, xc->events_fd);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_7, 0, 0);
	op(&a, BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_3, 0, 0, 32);
	op(&a, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, -1);	/* 32-bit: 0xffffffff */
	op(&a, BPF_ALU64 | BPF_OR | BPF_X, BPF_REG_3, BPF_REG_4, 0, 0);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_10, 0, 0);
	op(&a, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, META_OFF);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_5, 0, 0, sizeof(struct xc_meta));
	call(&a, BPF_FUNC_perf_event_output);
	/* r8 = offset of the counter to bump in struct xc_counts. Only -ENOSPC means "ring full";
	 * anything else (no perf event open on this CPU, a size the kernel refuses) is a failure. */
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8, 0, 0, offsetof(struct xc_counts, captured));
	jmp(&a, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, L_COUNT);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8, 0, 0, offsetof(struct xc_counts, lost));
	jmp(&a, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, -ENOSPC, L_COUNT);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8, 0, 0, offsetof(struct xc_counts, failed));
	jmp(&a, BPF_JMP | BPF_JA, 0, 0, 0, L_COUNT);
	label(&a, L_FILTERED);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8, 0, 0, offsetof(struct xc_counts, filtered));
	label(&a, L_COUNT);
	op(&a, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, KEY_OFF, action);
	ld_map_fd(&a, BPF_REG_1, xc->counts_fd);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	op(&a, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, KEY_OFF);
	call(&a, BPF_FUNC_map_lookup_elem);
	jmp(&a, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, L_EXIT);
	op(&a, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_0, BPF_REG_8, 0, 0);
	op(&a, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_0, 0, 0);
	op(&a, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, 1);
	op(&a, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_1, 0, 0);
	label(&a, L_EXIT);
	/* The verdict of the program that tail-called us goes to the driver unchanged. */
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, action);
	op(&a, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	if (a.overflow)
		return -E2BIG;

	for (i = 0; i < a.nfix; i++)
		out[a.fix[i].at].off = a.label[a.fix[i].label] - (long)a.fix[i].at - 1;
	return (int)a.n;
}

/* Load the capture program of ACTION. On failure the verifier's last word is printed,
 * unless QUIET (while trying which program flavour the hook accepts). */
static int load_one(struct xc *xc, unsigned int action, size_t variant, int quiet)
{
	size_t max = CBPF2EBPF_MAX_OUT(xc->filter_len) + 64;
	struct bpf_insn *insns = calloc(max, sizeof(*insns));
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = variants[variant].attach,
		    .prog_flags = variants[variant].flags);
	char name[BPF_OBJ_NAME_LEN];
	size_t logsz = 1 << 20;
	char *log = NULL, *last;
	int n, fd, err = 0;

	if (!insns)
		return -ENOMEM;
	n = build(xc, action, variants[variant].flags & BPF_F_XDP_HAS_FRAGS, insns, max);
	if (n < 0) {
		err = n;
		goto out;
	}
	snprintf(name, sizeof(name), "xdpcap_%s", xc_action_names[action]);
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, n, &opts);
	if (fd < 0 && !quiet) {
		/* Load again with the verifier log, to say why. */
		err = -errno;
		log = calloc(1, logsz);
		if (log) {
			opts.log_buf = log;
			opts.log_size = logsz;
			opts.log_level = 1;
			fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, n, &opts);
		}
	}
	if (fd >= 0) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		xc->prog_fd[action] = fd;
		/* The id tells our program from another capture's when emptying the slot. */
		xc->prog_id[action] = bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
		err = 0;
		goto out;
	}
	if (!err)
		err = -errno;
	if (quiet)
		goto out;
	if (log && *log) {
		last = log + strlen(log);
		while (last > log && last[-1] == '\n')
			*--last = '\0';
		if (pu_verbose)
			fprintf(stderr, "%s\n", log);
		last = strrchr(log, '\n');
		pu_err(err, "the kernel rejected capture program %s (%s)", name, last ? last + 1 : log);
		if (!pu_verbose)
			fprintf(stderr, "Hint: -v prints the verifier log\n");
	} else {
		pu_err(err, "cannot load capture program %s", name);
	}
out:
	free(log);
	free(insns);
	return err;
}

static void unload(struct xc *xc)
{
	unsigned int a;

	for (a = 0; a < XC_NUM_ACTIONS; a++) {
		if (xc->prog_fd[a] >= 0)
			close(xc->prog_fd[a]);
		xc->prog_fd[a] = -1;
	}
}

static int load_all(struct xc *xc, size_t variant, int quiet)
{
	unsigned int a;
	int err;

	unload(xc);
	for (a = 0; a < XC_NUM_ACTIONS; a++) {
		if (!(xc->mask & (1u << a)))
			continue;
		err = load_one(xc, a, variant, quiet);
		if (err)
			return err;
	}
	xc->variant = variant;
	return 0;
}

void xc_init(const char *argv0, int verbose)
{
	pu_init(argv0, verbose);
}

void xc_err(int err, const char *msg)
{
	pu_err(err, "%s", msg);
}

struct xc *xc_open(const char *hook_pin)
{
	struct xc *xc = calloc(1, sizeof(*xc));
	unsigned int a;
	int err;

	if (!xc) {
		pu_err(-ENOMEM, "xdpcap");
		return NULL;
	}
	xc->events_fd = xc->counts_fd = -1;
	for (a = 0; a < XC_NUM_ACTIONS; a++)
		xc->prog_fd[a] = -1;
	err = pu_open_map(hook_pin, BPF_MAP_TYPE_PROG_ARRAY, &xc->hook);
	if (!err)
		err = pu_check_map(&xc->hook, BPF_MAP_TYPE_PROG_ARRAY, XC_NUM_ACTIONS);
	if (err) {
		/* A missing pin has its own hint already; something else is pinned there. */
		if (err != -ENOENT)
			fprintf(stderr, "Hint: HOOK_PIN is the pinned xdpcap_hook map of a program "
					"built with bpf/xdpcap.bpf.h\n");
		pu_close(&xc->hook);
		free(xc);
		return NULL;
	}
	return xc;
}

int xc_flush(struct xc *xc)
{
	return pu_slots_clear(&xc->hook);
}

/* Never take over a slot someone else is using: their capture would silently stop. */
static int slot_busy(const struct xc *xc, unsigned int a)
{
	__u32 id;

	if (pu_slot_id(&xc->hook, &a, &id))
		return 0;
	pu_err(0, "slot %u (%s) of %s already holds program id %u", a, xc_action_names[a], xc->hook.path, id);
	fprintf(stderr, "Hint: another capture is running; if it was killed, "
			"`xdpcap --flush %s` empties the hook\n", xc->hook.path);
	return -EBUSY;
}

int xc_load(struct xc *xc, unsigned int mask, const struct cbpf_insn *filter, size_t len,
	    unsigned int snaplen)
{
	unsigned int a;
	int ncpu, err;

	for (a = 0; a < XC_NUM_ACTIONS; a++)
		if ((mask & (1u << a)) && slot_busy(xc, a))
			return -EBUSY;
	xc->mask = mask;
	xc->snaplen = snaplen;
	xc->filter_len = len;
	xc->filter = malloc(len * sizeof(*filter));
	if (!xc->filter)
		return -ENOMEM;
	memcpy(xc->filter, filter, len * sizeof(*filter));

	ncpu = libbpf_num_possible_cpus();
	if (ncpu < 0) {
		pu_err(ncpu, "cannot count CPUs");
		return ncpu;
	}
	xc->events_fd = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, "xdpcap_events", sizeof(__u32),
				       sizeof(__u32), ncpu, NULL);
	if (xc->events_fd < 0) {
		err = -errno;
		pu_err(err, "cannot create the perf event array");
		return err;
	}
	xc->counts_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "xdpcap_counts", sizeof(__u32),
				       sizeof(struct xc_counts), XC_NUM_ACTIONS, NULL);
	if (xc->counts_fd < 0) {
		err = -errno;
		pu_err(err, "cannot create the counter map");
		return err;
	}
	return load_all(xc, 0, 0);
}

static enum bpf_perf_event_ret on_event(void *ctx, int cpu, struct perf_event_header *ev)
{
	struct xc *xc = ctx;
	(void)cpu;

	if (ev->type == PERF_RECORD_SAMPLE) {
		/* PERF_SAMPLE_RAW: header, u32 size, then our metadata and the packet bytes.
		 * The metadata sits at offset 12, not 8-byte aligned: copy it out. */
		const unsigned char *raw = (const unsigned char *)(ev + 1) + sizeof(__u32);
		struct xc_meta meta;
		__u32 size;

		memcpy(&size, ev + 1, sizeof(size));
		if (xc->fn_done || size < sizeof(meta))
			return LIBBPF_PERF_EVENT_CONT;
		memcpy(&meta, raw, sizeof(meta));
		if (meta.caplen > size - sizeof(meta) || meta.action >= XC_NUM_ACTIONS)
			return LIBBPF_PERF_EVENT_CONT;
		if (xc->fn(xc->fn_ctx, meta.action, meta.ts_ns, meta.len, raw + sizeof(meta), meta.caplen))
			xc->fn_done = 1;
	} else if (ev->type == PERF_RECORD_LOST) {
		const struct {
			struct perf_event_header h;
			__u64 id;
			__u64 lost;
		} *l = (const void *)ev;

		xc->perf_lost += l->lost;
	}
	return LIBBPF_PERF_EVENT_CONT;
}

static void empty_slots(struct xc *xc)
{
	unsigned int a;
	__u32 id;

	for (a = 0; a < XC_NUM_ACTIONS; a++) {
		if (!(xc->filled & (1u << a)))
			continue;
		/* Only our own program: if someone replaced it meanwhile, it is theirs now. */
		if (!pu_slot_id(&xc->hook, &a, &id) && id == xc->prog_id[a])
			pu_slot_del(&xc->hook, &a, true);
		xc->filled &= ~(1u << a);
	}
}

/* Put the program of action A into its slot, checking again just before that the slot is
 * still empty (prog arrays have no "insert if empty", so this is as close as it gets).
 * QUIET: return -EINVAL without a message (while finding the flavour the hook accepts). */
static int fill_slot(struct xc *xc, unsigned int a, int quiet)
{
	int err = slot_busy(xc, a);

	if (err)
		return err;
	if (quiet) {
		if (bpf_map_update_elem(xc->hook.fd, &a, &xc->prog_fd[a], BPF_ANY)) {
			err = -errno;
			if (err != -EINVAL)
				pu_err(err, "cannot put the capture program into %s[%u]", xc->hook.path, a);
			return err;
		}
	} else {
		err = pu_slot_set_fd(&xc->hook, &a, xc->prog_fd[a], "the capture program");
		if (err)
			return err;
	}
	xc->filled |= 1u << a;
	return 0;
}

int xc_start(struct xc *xc, xc_packet_fn fn, void *ctx)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
		.watermark = 1,
	};
	unsigned int a, first = XC_NUM_ACTIONS;
	int ncpu = libbpf_num_possible_cpus();
	size_t v, pages = PERF_PAGES_MAX;
	int err;

	/* A power of two, as perf wants. */
	while (ncpu > 0 && pages > PERF_PAGES_MIN && pages * ncpu > PERF_PAGES_TOTAL)
		pages /= 2;
	/* Wake the reader per quarter ring, not per packet: a wakeup per packet costs the
	 * XDP path dearly in a flood. xc_poll reads the rest on every timeout. */
	attr.wakeup_watermark = pages * sysconf(_SC_PAGESIZE) / 4;
	xc->fn = fn;
	xc->fn_ctx = ctx;
	xc->pb = perf_buffer__new_raw(xc->events_fd, pages, &attr, on_event, xc, NULL);
	if (!xc->pb) {
		err = -errno;
		pu_err(err, "cannot open the perf buffers");
		return err;
	}
	for (a = 0; a < XC_NUM_ACTIONS && first == XC_NUM_ACTIONS; a++)
		if (xc->mask & (1u << a))
			first = a;
	if (first == XC_NUM_ACTIONS)
		return -EINVAL;

	/* Filling the first slot also finds the program flavour the hook accepts: EINVAL means
	 * "not compatible with the owner", try the next flavour. The probe is the real fill, never
	 * a write followed by a delete: a delete could remove the program of a capture that
	 * started in between. (A throwaway prog array cannot stand in for the hook: its owner is
	 * whatever enters it first, and the hook owner's frags flag and attach type are not
	 * readable, which is why we probe at all.) */
	err = -EINVAL;
	for (v = 0; v < NVARIANTS && err == -EINVAL; v++) {
		if (v != xc->variant && load_all(xc, v, 1))
			continue;
		err = fill_slot(xc, first, 1);
	}
	if (err == -EINVAL) {
		/* No flavour fits: the default one again, this time saying why. */
		err = load_all(xc, 0, 0);
		if (!err)
			err = fill_slot(xc, first, 0);
	}
	for (a = first + 1; !err && a < XC_NUM_ACTIONS; a++)
		if (xc->mask & (1u << a))
			err = fill_slot(xc, a, 0);
	if (err)
		empty_slots(xc);
	return err;
}

int xc_poll(struct xc *xc, int timeout_ms)
{
	int err = perf_buffer__poll(xc->pb, timeout_ms);

	if (err < 0)
		return err;
	/* The watermark may hold back a few packets: take them now. */
	err = perf_buffer__consume(xc->pb);
	return err < 0 ? err : 0;
}

void xc_stop(struct xc *xc)
{
	empty_slots(xc);
	if (xc->pb)
		perf_buffer__consume(xc->pb);
}

void xc_counts(struct xc *xc, struct xc_counts out[XC_NUM_ACTIONS])
{
	int ncpu = libbpf_num_possible_cpus();
	struct xc_counts *percpu;
	unsigned int a;
	int c;

	memset(out, 0, sizeof(*out) * XC_NUM_ACTIONS);
	if (ncpu <= 0 || xc->counts_fd < 0)
		return;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return;
	for (a = 0; a < XC_NUM_ACTIONS; a++) {
		if (bpf_map_lookup_elem(xc->counts_fd, &a, percpu))
			continue;
		for (c = 0; c < ncpu; c++) {
			out[a].captured += percpu[c].captured;
			out[a].filtered += percpu[c].filtered;
			out[a].lost += percpu[c].lost;
			out[a].failed += percpu[c].failed;
		}
	}
	free(percpu);
}

uint64_t xc_perf_lost(const struct xc *xc)
{
	return xc->perf_lost;
}

void xc_close(struct xc *xc)
{
	if (!xc)
		return;
	xc_stop(xc);
	perf_buffer__free(xc->pb);
	unload(xc);
	if (xc->events_fd >= 0)
		close(xc->events_fd);
	if (xc->counts_fd >= 0)
		close(xc->counts_fd);
	pu_close(&xc->hook);
	free(xc->filter);
	free(xc);
}
