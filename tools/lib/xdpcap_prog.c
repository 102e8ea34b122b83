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
 *              inflight[cpu].begin++ (atomic)
 *              meta = { ktime, length, caplen, action, cpu }
 *              bpf_perf_event_output(ctx, events, CURRENT_CPU | caplen << 32, &meta, 24)
 *              (the kernel appends caplen packet bytes after the metadata)
 *              inflight[cpu].end++ (atomic)
 *              count "captured"; "lost" if the buffer was full (-ENOSPC);
 *              "failed" for any other error of the helper
 *   return ACTION                   the verdict the hooked program chose, unchanged
 *
 * Counters live in a per-CPU array indexed by action (no atomics needed in XDP).
 *
 * Time order. Each CPU has its own perf ring, in time order, but a read of all rings finds
 * packets of different CPUs interleaved in time: written as read, the file goes backwards
 * in time. So the rings are merged by timestamp (a k-way merge straight from the mmap()ed
 * rings, nothing copied), and a packet is handed over only when no CPU can still deliver an
 * earlier one: a CPU whose ring holds a packet delivers later ones after it; a CPU whose ring
 * is empty and that runs no capture program (inflight begin == end, an mmap()ed array the
 * program bumps around its copy) only delivers packets stamped after the moment we looked.
 * A BPF ring buffer is not the answer: it is ordered by reservation, not by timestamp (two
 * CPUs can take their timestamps in one order and reserve in the other), and it cannot copy
 * a packet of run-time length from the XDP context the way bpf_perf_event_output does.
 */
#include <errno.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pinutil.h"
#include "xdpcap_prog.h"

const char *const xc_action_names[XC_NUM_ACTIONS] = { "aborted", "drop", "pass", "tx", "redirect" };
const char *const xc_verdict_names[XC_NUM_ACTIONS] = {
	"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"
};

int xc_parse_actions(const char *arg, unsigned int *mask)
{
	const char *p = arg, *comma;
	char tok[32];
	unsigned int a;
	size_t n;

	*mask = 0;
	for (;; p = comma + 1) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (!n || n >= sizeof(tok))
			return -1;
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (!strcasecmp(tok, "all")) {
			*mask |= (1u << XC_NUM_ACTIONS) - 1;
		} else {
			for (a = 0; a < XC_NUM_ACTIONS; a++)
				if (!strcasecmp(tok, xc_action_names[a]) || !strcasecmp(tok, xc_verdict_names[a]))
					break;
			if (a == XC_NUM_ACTIONS)
				return -1;
			*mask |= 1u << a;
		}
		if (!comma)
			break;
	}
	return 0;
}

/* Prepended to every packet in the perf buffer; written by the capture program. */
struct xc_meta {
	__u64 ts_ns;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 len;	/* packet length on the wire (all fragments) */
	__u32 caplen;	/* bytes that follow */
	__u32 action;
	__u32 cpu;	/* bpf_get_smp_processor_id(): the ring it is in */
};

/* One entry per CPU of the mmap()ed inflight array, a cache line each. */
struct xc_inflight {
	__u64 begin;	/* capture programs that started copying a packet on this CPU */
	__u64 end;	/* ... and finished */
	__u64 pad[6];
};
#define INFLIGHT_END_OFF 8

/* A CPU's capture program that has begun a copy but not ended it, with an empty ring, holds
 * the merge back at most this long (it cannot take longer, short of a frozen vCPU). */
#define STUCK_NS 1000000000ULL
/* ktime in BPF (ktime_get_mono_fast_ns) and clock_gettime(CLOCK_MONOTONIC) may disagree by
 * a hair around a timekeeping update: look this far back from "now". */
#define CLOCK_MARGIN_NS 1000000ULL
/* Largest perf record (its size field is 16 bits). */
#define REC_MAX 65536

struct ring {
	struct perf_event_mmap_page *page;
	unsigned char *data;
	__u64 size;		/* of the data area, a power of two */
	__u64 tail, head;	/* our read position; the head seen this round */
	int peeked;		/* the record at tail is a sample: ts and cpu below */
	__u64 ts;
	__u32 cpu;
};

/* Stack layout of the capture program: cBPF memory words at -4..-64, then these. */
#define META_OFF (-88)
#define META(field) ((__s16)(META_OFF + (int)offsetof(struct xc_meta, field)))
#define KEY_OFF  (-96)
#define INFLIGHT_PTR_OFF (-104)

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
	int events_fd, counts_fd, inflight_fd;
	struct xc_inflight *inflight;	/* mmap()ed inflight array, ncpu entries */
	size_t inflight_len;
	int ncpu;
	unsigned int nslots;		/* 4 or 5 */
	unsigned int lost_slots;	/* slots found taken over by another tool */
	int prog_fd[XC_NUM_ACTIONS];
	__u32 prog_id[XC_NUM_ACTIONS];
	size_t variant;
	struct perf_buffer *pb;
	xc_packet_fn fn;
	void *fn_ctx;
	int fn_done;
	uint64_t perf_lost;
	/* merge state */
	struct ring *rings;
	size_t nrings;
	__u64 *last_ts;			/* per CPU: timestamp of its last packet handed over */
	__u64 last_out;			/* timestamp of the last packet handed over */
	uint64_t late;
	unsigned char *scratch;		/* a record that wraps around the end of its ring */
};

/* ---- a tiny assembler with forward labels */
enum { L_FILTERED, L_COUNT, L_EXIT, L_FAILED, L_MAX };

struct asmb {
	struct bpf_insn *insn;
	size_t n, max;
	long label[L_MAX];
	struct {
		size_t at;
		int label;
	} fix[12];
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
	/* inflight[cpu].begin++, before the timestamp is taken (see "Time order" above) */
	call(&a, BPF_FUNC_get_smp_processor_id);
	op(&a, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_0, META(cpu), 0);
	op(&a, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_0, KEY_OFF, 0);
	ld_map_fd(&a, BPF_REG_1, xc->inflight_fd);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	op(&a, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, KEY_OFF);
	call(&a, BPF_FUNC_map_lookup_elem);
	jmp(&a, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, L_FAILED);
	op(&a, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, INFLIGHT_PTR_OFF, 0);
	/* A fetching atomic: fully ordered, so the count is visible before the packet is. */
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1);
	op(&a, BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD | BPF_FETCH);
	/* struct xc_meta on the stack */
	call(&a, BPF_FUNC_ktime_get_ns);
	op(&a, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, META(ts_ns), 0);
	op(&a, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_9, META(len), 0);
	op(&a, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_7, META(caplen), 0);
	op(&a, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, META(action), action);
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
	/* inflight[cpu].end++ (r0, the helper's result, is kept for below) */
	op(&a, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_10, INFLIGHT_PTR_OFF, 0);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1);
	op(&a, BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_2, BPF_REG_1, INFLIGHT_END_OFF, BPF_ADD | BPF_FETCH);
	/* r8 = offset of the counter to bump in struct xc_counts. Only -ENOSPC means "ring full";
	 * anything else (no perf event open on this CPU, a size the kernel refuses) is a failure. */
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8, 0, 0, offsetof(struct xc_counts, captured));
	jmp(&a, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, L_COUNT);
	op(&a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8, 0, 0, offsetof(struct xc_counts, lost));
	jmp(&a, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, -ENOSPC, L_COUNT);
	label(&a, L_FAILED);
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
	xc->events_fd = xc->counts_fd = xc->inflight_fd = -1;
	for (a = 0; a < XC_NUM_ACTIONS; a++)
		xc->prog_fd[a] = -1;
	err = pu_open_map(hook_pin, BPF_MAP_TYPE_PROG_ARRAY, &xc->hook);
	if (!err && xc->hook.max_entries != XC_NUM_ACTIONS && xc->hook.max_entries != XC_MIN_SLOTS) {
		/* 4 slots: cloudflare/xdpcap's NewHook made them so for years (no REDIRECT slot). */
		pu_err(0, "%s has %u entries, expected %u or %u (one per XDP action)", hook_pin,
		       xc->hook.max_entries, XC_MIN_SLOTS, XC_NUM_ACTIONS);
		err = -EINVAL;
	}
	if (!err && xc->hook.key_size != sizeof(__u32)) {
		pu_err(0, "%s has %u-byte keys, expected 4", hook_pin, xc->hook.key_size);
		err = -EINVAL;
	}
	if (err) {
		/* A missing pin has its own hint already; something else is pinned there. */
		if (err != -ENOENT)
			fprintf(stderr, "Hint: HOOK_PIN is the pinned xdpcap_hook map of a program "
					"built with bpf/xdpcap.bpf.h\n");
		pu_close(&xc->hook);
		free(xc);
		return NULL;
	}
	xc->nslots = xc->hook.max_entries;
	return xc;
}

unsigned int xc_slots(const struct xc *xc)
{
	return xc->nslots;
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
	LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = BPF_F_MMAPABLE);
	unsigned int a;
	int ncpu, err;

	if (mask >> xc->nslots) {
		pu_err(0, "%s has %u slots (aborted..tx): it cannot capture XDP_REDIRECT", xc->hook.path,
		       xc->nslots);
		fprintf(stderr, "Hint: a hook made by cloudflare/xdpcap has no redirect slot; leave out -a redirect\n");
		return -EINVAL;
	}
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
	xc->ncpu = ncpu;
	xc->last_ts = calloc(ncpu, sizeof(*xc->last_ts));
	if (!xc->last_ts)
		return -ENOMEM;
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
	xc->inflight_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xdpcap_inflt", sizeof(__u32),
					 sizeof(struct xc_inflight), ncpu, &mopts);
	if (xc->inflight_fd < 0) {
		err = -errno;
		pu_err(err, "cannot create the in-flight map");
		return err;
	}
	xc->inflight_len = (sizeof(struct xc_inflight) * ncpu + sysconf(_SC_PAGESIZE) - 1) &
			   ~((size_t)sysconf(_SC_PAGESIZE) - 1);
	xc->inflight = mmap(NULL, xc->inflight_len, PROT_READ, MAP_SHARED, xc->inflight_fd, 0);
	if (xc->inflight == MAP_FAILED) {
		xc->inflight = NULL;
		err = -errno;
		pu_err(err, "cannot mmap the in-flight map");
		return err;
	}
	return load_all(xc, 0, 0);
}

/* ---- reading the perf rings in time order */

static __u64 now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

/* Copy LEN bytes at ring offset POS (wrapping around the end of the data area). */
static void ring_read(const struct ring *r, __u64 pos, void *dst, size_t len)
{
	size_t off = pos & (r->size - 1), first = len;

	if (first > r->size - off)
		first = r->size - off;
	memcpy(dst, r->data + off, first);
	if (first < len)
		memcpy((unsigned char *)dst + first, r->data, len - first);
}

static void ring_advance(struct ring *r, __u64 size)
{
	r->tail += size;
	r->peeked = 0;
	/* Release: we are done with the bytes before the kernel may overwrite them. */
	__atomic_store_n(&r->page->data_tail, r->tail, __ATOMIC_RELEASE);
}

/* Make the record at the tail a peeked sample, consuming any other records before it
 * (PERF_RECORD_LOST is counted). Returns 1 if the ring holds a sample, 0 if empty. */
static int ring_peek(struct xc *xc, struct ring *r)
{
	struct perf_event_header h;
	unsigned char raw[sizeof(__u32) + sizeof(struct xc_meta)];
	struct xc_meta meta;
	__u64 lost[2];

	while (!r->peeked && r->tail < r->head) {
		ring_read(r, r->tail, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size > r->head - r->tail) {
			/* Cannot happen with a sane kernel: resync at the head, do not loop. */
			ring_advance(r, r->head - r->tail);
			break;
		}
		if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof(h) + sizeof(raw)) {
			ring_read(r, r->tail + sizeof(h), raw, sizeof(raw));
			memcpy(&meta, raw + sizeof(__u32), sizeof(meta));
			r->ts = meta.ts_ns;
			r->cpu = meta.cpu;
			r->peeked = 1;
			break;
		}
		if (h.type == PERF_RECORD_LOST && h.size >= sizeof(h) + sizeof(lost)) {
			ring_read(r, r->tail + sizeof(h), lost, sizeof(lost));	/* id, lost */
			xc->perf_lost += lost[1];
		}
		ring_advance(r, h.size);
	}
	return r->peeked;
}

/* Hand the peeked sample of R to the callback and consume it. */
static void ring_emit(struct xc *xc, struct ring *r)
{
	struct perf_event_header h;
	const unsigned char *rec;
	struct xc_meta meta;
	__u32 size;

	ring_read(r, r->tail, &h, sizeof(h));
	if ((r->tail & (r->size - 1)) + h.size <= r->size) {
		rec = r->data + (r->tail & (r->size - 1));
	} else {
		ring_read(r, r->tail, xc->scratch, h.size);
		rec = xc->scratch;
	}
	/* PERF_SAMPLE_RAW: header, u32 size, then our metadata and the packet bytes. The
	 * metadata sits at offset 12, not 8-byte aligned: copy it out. */
	memcpy(&size, rec + sizeof(h), sizeof(size));
	memcpy(&meta, rec + sizeof(h) + sizeof(size), sizeof(meta));
	if (meta.cpu < (__u32)xc->ncpu)
		xc->last_ts[meta.cpu] = meta.ts_ns;
	if (meta.ts_ns < xc->last_out)
		xc->late++;
	else
		xc->last_out = meta.ts_ns;
	if (!xc->fn_done && size >= sizeof(meta) && size <= h.size - sizeof(h) - sizeof(size) &&
	    meta.caplen <= size - sizeof(meta) && meta.action < XC_NUM_ACTIONS &&
	    xc->fn(xc->fn_ctx, meta.action, meta.ts_ns, meta.len,
		   rec + sizeof(h) + sizeof(size) + sizeof(meta), meta.caplen))
		xc->fn_done = 1;
	ring_advance(r, h.size);
}

/* Is a capture program of CPU busy between its begin and end counts? */
static int cpu_busy(const struct xc *xc, int cpu)
{
	const struct xc_inflight *f = &xc->inflight[cpu];
	/* begin first: a run that ends between the two loads is then seen as still busy. */
	__u64 b = __atomic_load_n(&f->begin, __ATOMIC_ACQUIRE);

	return __atomic_load_n(&f->end, __ATOMIC_ACQUIRE) != b;
}

/* The earliest timestamp a CPU whose ring is empty can still deliver. */
static __u64 idle_bound(const struct xc *xc, int cpu, const unsigned char *busy, __u64 t)
{
	__u64 b;

	if (!busy[cpu])
		return t;	/* nothing in flight: whatever comes was stamped after T */
	/* In flight since before we looked: not earlier than its CPU's last packet. */
	b = t > STUCK_NS ? t - STUCK_NS : 0;
	return xc->last_ts[cpu] > b ? xc->last_ts[cpu] : b;
}

/* One merge round: hand over, in timestamp order, every packet no CPU can precede any more
 * (all of them when FINAL). */
static void drain(struct xc *xc, int final)
{
	unsigned char *busy = calloc(xc->ncpu, 1), *full = calloc(xc->ncpu, 1);
	__u64 t, bound = UINT64_MAX;
	struct ring *r, *min;
	size_t i;
	int c;

	if (!busy || !full) {
		free(busy);
		free(full);
		return;
	}
	/* Order matters: T, then the in-flight counts, then the ring heads. A run that stamped
	 * its packet before T had begun before we read its counts; if it had also ended, its
	 * packet is below the head we read next. */
	t = now_ns();
	t = t > CLOCK_MARGIN_NS ? t - CLOCK_MARGIN_NS : 0;
	for (c = 0; c < xc->ncpu; c++)
		busy[c] = cpu_busy(xc, c);
	for (i = 0; i < xc->nrings; i++) {
		r = &xc->rings[i];
		r->head = __atomic_load_n(&r->page->data_head, __ATOMIC_ACQUIRE);
		if (ring_peek(xc, r) && r->cpu < (__u32)xc->ncpu)
			full[r->cpu] = 1;
	}
	if (!final)
		for (c = 0; c < xc->ncpu; c++)
			if (!full[c]) {
				__u64 b = idle_bound(xc, c, busy, t);

				if (b < bound)
					bound = b;
			}
	for (;;) {
		min = NULL;
		for (i = 0; i < xc->nrings; i++) {
			r = &xc->rings[i];
			if (r->peeked && (!min || r->ts < min->ts))
				min = r;
		}
		if (!min || min->ts > bound)
			break;
		c = min->cpu;
		ring_emit(xc, min);
		if (!ring_peek(xc, min) && !final && c < xc->ncpu) {
			/* Its ring ran dry: from now on that CPU is bounded like an idle one. */
			__u64 b = idle_bound(xc, c, busy, t);

			if (b < bound)
				bound = b;
		}
	}
	free(busy);
	free(full);
}

static enum bpf_perf_event_ret on_event(void *ctx, int cpu, struct perf_event_header *ev)
{
	/* Never called: the rings are read by drain(), not by perf_buffer__poll(). */
	(void)ctx;
	(void)cpu;
	(void)ev;
	return LIBBPF_PERF_EVENT_CONT;
}

static int rings_setup(struct xc *xc)
{
	size_t i, n = perf_buffer__buffer_cnt(xc->pb), psz = sysconf(_SC_PAGESIZE);
	void *base;
	size_t size;
	int err;

	xc->rings = calloc(n, sizeof(*xc->rings));
	xc->scratch = malloc(REC_MAX);
	if (!xc->rings || !xc->scratch)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct ring *r = &xc->rings[i];

		err = perf_buffer__buffer(xc->pb, i, &base, &size);
		if (err)
			return err;
		r->page = base;
		r->data = (unsigned char *)base + (r->page->data_offset ? r->page->data_offset : psz);
		r->size = r->page->data_size ? r->page->data_size : size;
		r->tail = __atomic_load_n(&r->page->data_tail, __ATOMIC_ACQUIRE);
	}
	xc->nrings = n;
	return 0;
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

unsigned int xc_slots_lost(struct xc *xc)
{
	unsigned int a;
	__u32 id;
	int err;

	for (a = 0; a < XC_NUM_ACTIONS; a++) {
		if (!(xc->filled & (1u << a)))
			continue;
		err = pu_slot_id(&xc->hook, &a, &id);
		if (!err && id == xc->prog_id[a])
			continue;
		if (err == -ENOENT)
			fprintf(stderr, "%s: warning: slot %u (%s) of %s was emptied by another tool: "
					"this capture no longer sees %s packets\n", pu_prog, a,
				xc_action_names[a], xc->hook.path, xc_verdict_names[a]);
		else if (!err)
			fprintf(stderr, "%s: warning: slot %u (%s) of %s now holds program id %u, not "
					"this capture's (id %u): another tool overwrote it; this capture no "
					"longer sees %s packets\n", pu_prog, a, xc_action_names[a],
				xc->hook.path, id, xc->prog_id[a], xc_verdict_names[a]);
		else
			pu_err(err, "cannot read slot %u of %s", a, xc->hook.path);
		/* Not ours any more: never delete it at the end. */
		xc->filled &= ~(1u << a);
		xc->lost_slots++;
	}
	return xc->lost_slots;
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
	err = rings_setup(xc);
	if (err) {
		pu_err(err, "cannot map the perf buffers");
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
	struct epoll_event ev[8];
	int n = epoll_wait(perf_buffer__epoll_fd(xc->pb), ev, 8, timeout_ms);

	if (n < 0)
		return -errno;
	/* Whether woken or timed out: the watermark may hold back a few packets. */
	drain(xc, 0);
	return 0;
}

void xc_stop(struct xc *xc)
{
	int c, i;

	empty_slots(xc);
	if (!xc->pb)
		return;
	/* Programs that entered before the slots were emptied may still be copying: give them
	 * a moment (bounded), so the last packets are complete and sorted in. */
	for (i = 0; i < 100; i++) {
		for (c = 0; c < xc->ncpu && !cpu_busy(xc, c); c++)
			;
		if (c == xc->ncpu)
			break;
		usleep(1000);
	}
	drain(xc, 1);
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

uint64_t xc_late(const struct xc *xc)
{
	return xc->late;
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
	if (xc->inflight)
		munmap(xc->inflight, xc->inflight_len);
	if (xc->inflight_fd >= 0)
		close(xc->inflight_fd);
	pu_close(&xc->hook);
	free(xc->filter);
	free(xc->rings);
	free(xc->scratch);
	free(xc->last_ts);
	free(xc);
}
