/* SPDX-License-Identifier: GPL-2.0 */
/* xdpcap_prog: the kernel side of build/xdpcap. Builds one capture program per XDP action
 * (raw eBPF: the translated tcpdump filter, then a perf-event copy of the packet), puts it
 * into the slots of a pinned xdpcap_hook (bpf/xdpcap.bpf.h), reads the packets back and
 * empties the slots again.
 *
 * Like cbpf2ebpf.h this header stays free of <linux/bpf.h>, so xdpcap.c can include
 * <pcap.h> next to it. Errors are printed here (pinutil style: one line, maybe a Hint) and
 * returned as negative errno values.
 */
#ifndef BPFLAB_XDPCAP_PROG_H
#define BPFLAB_XDPCAP_PROG_H

#include <stddef.h>
#include <stdint.h>
#include "cbpf2ebpf.h"

#define XC_NUM_ACTIONS 5	/* XDP_ABORTED .. XDP_REDIRECT: the slots of xdpcap_hook */
#define XC_MIN_SLOTS 4		/* cloudflare/xdpcap's hooks: ABORTED .. TX, no REDIRECT slot */
#define XC_SNAPLEN_MAX 262144	/* tcpdump's maximum; the kernel allows up to 2^20 - 1 */

/* "aborted", "drop", "pass", "tx", "redirect": slot i holds the capture program of action i. */
extern const char *const xc_action_names[XC_NUM_ACTIONS];
/* "XDP_ABORTED" .. "XDP_REDIRECT" */
extern const char *const xc_verdict_names[XC_NUM_ACTIONS];

/* "drop,pass" (names or XDP_ names, any case, or "all") -> bit mask of actions; -1 if bad. */
int xc_parse_actions(const char *arg, unsigned int *mask);

/* Kernel-side counts of one action's capture program. */
struct xc_counts {
	uint64_t captured;	/* copied to the perf buffer */
	uint64_t filtered;	/* rejected by the filter, not copied */
	uint64_t lost;		/* matched, but the perf buffer was full (-ENOSPC) */
	uint64_t failed;	/* matched, but bpf_perf_event_output failed otherwise */
};

/* Called for every packet read back, in timestamp order across CPUs. Return non-zero to
 * ignore everything that follows. */
typedef int (*xc_packet_fn)(void *ctx, unsigned int action, uint64_t ts_mono_ns,
			    uint32_t len, const void *data, uint32_t caplen);

struct xc;

/* Message prefix and libbpf verbosity (libbpf's chatter and verifier logs only if verbose). */
void xc_init(const char *argv0, int verbose);
/* "PROG: error: MSG[: strerror(-err)]" and a Hint line where the errno has a usual cause. */
void xc_err(int err, const char *msg);
/* Open HOOK_PIN: it must be a pinned PROG_ARRAY with 4 or 5 slots. NULL on error. */
struct xc *xc_open(const char *hook_pin);
/* Slots of the hook: 5, or 4 for a hook made by cloudflare/xdpcap (no XDP_REDIRECT slot). */
unsigned int xc_slots(const struct xc *xc);
/* Empty every slot of the hook (xdpcap --flush). Returns the number of slots that held a
 * program, or a negative errno. */
int xc_flush(struct xc *xc);
/* Build and load the capture programs for the actions in MASK (bit i = action i); nothing is
 * put into the hook yet. Fails if a chosen slot is already occupied (another capture). */
int xc_load(struct xc *xc, unsigned int mask, const struct cbpf_insn *filter, size_t len,
	    unsigned int snaplen);
/* Start reading, then fill the hook slots: capture is live when this returns 0. */
int xc_start(struct xc *xc, xc_packet_fn fn, void *ctx);
/* Wait up to TIMEOUT_MS for packets and hand them to the callback. 0 or -errno (-EINTR too).
 * A packet is handed over only once no CPU can still deliver an earlier one, so the
 * callback sees packets in timestamp order; the last few wait for the next call. */
int xc_poll(struct xc *xc, int timeout_ms);
/* Check that the slots this capture filled still hold its programs. Prints a warning line
 * for each slot found taken over (overwritten or emptied by another tool) since the last
 * call; returns the number of slots lost so far. */
unsigned int xc_slots_lost(struct xc *xc);
/* Empty the slots this capture filled (if they still hold its programs), wait (briefly) for
 * capture programs still running, then hand over everything the perf buffers hold, in
 * order. Safe to call more than once. */
void xc_stop(struct xc *xc);
/* Per-action kernel counts, and records the perf buffer reported lost. */
void xc_counts(struct xc *xc, struct xc_counts out[XC_NUM_ACTIONS]);
uint64_t xc_perf_lost(const struct xc *xc);
/* Packets that reached user space too late to be written in order (see xdpcap_prog.c). */
uint64_t xc_late(const struct xc *xc);
void xc_close(struct xc *xc);

#endif
