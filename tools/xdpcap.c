// SPDX-License-Identifier: GPL-2.0
/* xdpcap: capture what an XDP program does with each packet, through the exit hook of
 * bpf/xdpcap.bpf.h, into a pcapng file that tcpdump and Wireshark read.
 *
 * The tcpdump filter is compiled by libpcap to classic BPF, translated to eBPF and run in
 * the kernel inside the capture programs (tools/lib/xdpcap_prog.c): rejected packets are
 * never copied. This file is the user-space half: options, filter, output (written by
 * tools/lib/pcapng.c), signals.
 * It includes <pcap.h>, so nothing here may include <linux/bpf.h> (both define
 * struct bpf_insn): the libbpf side lives in tools/lib/xdpcap_prog.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <pcap/pcap.h>
#include "numarg.h"
#include "pcapng.h"
#include "xdpcap_prog.h"

static const char *prog = "xdpcap";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [options] HOOK_PIN OUTPUT [FILTER...]\n"
		"       %s --flush HOOK_PIN\n"
		"Capture the packets an XDP program gives a verdict on, through its xdpcap_hook\n"
		"(a PROG_ARRAY with one slot per action, see bpf/xdpcap.bpf.h; a 4-slot hook made\n"
		"by cloudflare/xdpcap works too, without the redirect slot), e.g.\n"
		"  %s /sys/fs/bpf/bpflab/lab2/xdpcap_hook - icmp | tcpdump -nr -\n"
		"\n"
		"  HOOK_PIN     pinned xdpcap_hook map of the program to watch\n"
		"  OUTPUT       pcapng file, or - for stdout; written (and an existing file\n"
		"               truncated) only once the capture has started\n"
		"  FILTER       tcpdump filter expression, e.g. \"tcp and port 80\". It runs in the\n"
		"               kernel (libpcap -> classic BPF -> eBPF in the capture program):\n"
		"               packets it rejects are not copied at all\n"
		"  -a ACTIONS   verdicts to capture: comma list of aborted,drop,pass,tx,redirect\n"
		"               (default: all)\n"
		"  -c COUNT     stop after COUNT packets\n"
		"  -s SNAPLEN   bytes to keep per packet, 1..%d (default 65535)\n"
		"  --flush      empty every slot of HOOK_PIN (after a capture was killed) and exit\n"
		"  -v           per-action counts at exit, libbpf messages and verifier logs\n"
		"  -h, --help   this text\n"
		"\n"
		"Output: pcapng, link type Ethernet, nanosecond timestamps. The verdict of each\n"
		"packet is recorded twice: the packet belongs to interface \"xdp-ACTION\" (one\n"
		"interface per captured action) and carries the comment \"verdict XDP_ACTION\"\n"
		"(Wireshark: frame.comment; tcpdump -r reads the file but does not print it).\n"
		"Packets are written in time order, merged across CPUs.\n"
		"Stops on SIGINT/SIGTERM or -c, empties the hook slots it filled, and prints\n"
		"captured / filtered / lost counts on stderr. Exit 1 (and a warning naming the\n"
		"slot) if another tool overwrites or empties one of its slots meanwhile.\n",
		prog, prog, prog, XC_SNAPLEN_MAX);
}

/* One error line in pinutil's format ("xdpcap: error: ..."), with its Hint for ERR. */
static void fail(int err, const char *fmt, const char *arg, const char *detail)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), fmt, arg);

	if (detail && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", detail);
	xc_err(err, msg);
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, msg, arg);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}

struct output {
	FILE *f;
	const char *name;
	int created;			/* we created the file: remove it if the capture never starts */
	int committed;			/* the header is written: the file is the capture's now */
	struct pcapng w;
	int ifidx[XC_NUM_ACTIONS];	/* pcapng interface of each action */
	int64_t mono_to_real;		/* add to CLOCK_MONOTONIC ns for wall-clock ns */
	uint64_t written, limit;
	uint64_t per_action[XC_NUM_ACTIONS];
	int err;
};

static int write_header(struct output *o, unsigned int mask, unsigned int snaplen, const char *expr)
{
	unsigned int a;
	int n = 0;

	if (pcapng_init(&o->w, o->f, snaplen) || pcapng_section(&o->w, "bpflab xdpcap"))
		return -1;
	for (a = 0; a < XC_NUM_ACTIONS; a++) {
		char name[32], desc[64];

		if (!(mask & (1u << a)))
			continue;
		o->ifidx[a] = n++;
		snprintf(name, sizeof(name), "xdp-%s", xc_action_names[a]);
		snprintf(desc, sizeof(desc), "packets the XDP program gave %s", xc_verdict_names[a]);
		if (pcapng_interface(&o->w, PCAPNG_LINKTYPE_ETHERNET, snaplen, name, desc, expr))
			return -1;
	}
	return fflush(o->f) ? -1 : 0;
}

static void output_discard(struct output *o);

/* Open OUTPUT for writing without changing it: an existing file is truncated only by
 * output_commit(), once the capture is sure to start, so a refused capture leaves it as it was. */
static int output_open(struct output *o)
{
	int fd;

	if (!strcmp(o->name, "-")) {
		o->f = stdout;
		return 0;
	}
	fd = open(o->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd >= 0)
		o->created = 1;
	else if (errno == EEXIST)
		fd = open(o->name, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
		fail(-errno, "cannot write %s", o->name, NULL);
		if (fd >= 0)
			close(fd);
		output_discard(o);
		return -1;
	}
	return 0;
}

/* The capture is live: empty an existing regular file (not a FIFO or device) and write the header. */
static int output_commit(struct output *o, unsigned int mask, unsigned int snaplen, const char *expr)
{
	struct stat st;

	if (o->f != stdout && !o->created && !fstat(fileno(o->f), &st) && S_ISREG(st.st_mode) &&
	    ftruncate(fileno(o->f), 0)) {
		fail(-errno, "cannot write %s", o->name, NULL);
		return -1;
	}
	o->committed = 1;
	/* Few large writes: at 1400-byte packets the default 4 KiB buffer means a syscall
	 * every 3 packets. Every poll round flushes anyway, so pipes stay live. */
	setvbuf(o->f, NULL, _IOFBF, 1 << 20);
	if (write_header(o, mask, snaplen, expr)) {
		fail(-errno, "cannot write %s", o->name, NULL);
		return -1;
	}
	return 0;
}

static void output_discard(struct output *o)
{
	if (o->created && !o->committed)
		unlink(o->name);
	o->created = 0;
}

static int on_packet(void *ctx, unsigned int action, uint64_t ts_mono_ns, uint32_t len,
		     const void *data, uint32_t caplen)
{
	struct output *o = ctx;
	char comment[32];

	if (o->err || (o->limit && o->written >= o->limit))
		return 1;
	snprintf(comment, sizeof(comment), "verdict %s", xc_verdict_names[action]);
	errno = 0;
	if (pcapng_packet(&o->w, o->ifidx[action], ts_mono_ns + o->mono_to_real, data, caplen, len, comment)) {
		o->err = errno ? errno : EIO;
		return 1;
	}
	o->written++;
	o->per_action[action]++;
	return o->limit && o->written >= o->limit;
}

static int64_t mono_to_real(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return (int64_t)(r.tv_sec - m.tv_sec) * 1000000000 + (r.tv_nsec - m.tv_nsec);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Compile EXPR for Ethernet frames into classic BPF. */
static struct cbpf_insn *compile_filter(const char *expr, unsigned int snaplen, size_t *len)
{
	struct bpf_program bp;
	struct cbpf_insn *f;
	pcap_t *p = pcap_open_dead(DLT_EN10MB, snaplen);
	unsigned int i;

	if (!p) {
		fail(0, "%s", "pcap_open_dead failed", NULL);
		return NULL;
	}
	if (pcap_compile(p, &bp, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		fail(0, "invalid filter \"%s\"", expr, pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	f = calloc(bp.bf_len, sizeof(*f));
	for (i = 0; f && i < bp.bf_len; i++) {
		f[i].code = bp.bf_insns[i].code;
		f[i].jt = bp.bf_insns[i].jt;
		f[i].jf = bp.bf_insns[i].jf;
		f[i].k = bp.bf_insns[i].k;
	}
	*len = bp.bf_len;
	pcap_freecode(&bp);
	pcap_close(p);
	return f;
}

static char *join_args(int argc, char **argv)
{
	size_t n = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = calloc(1, n);
	for (i = 0; s && i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "flush", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct output out = { .f = NULL };
	unsigned int mask = (1u << XC_NUM_ACTIONS) - 1, snaplen = 65535, a;
	struct xc_counts counts[XC_NUM_ACTIONS];
	uint64_t filtered = 0, lost = 0, failed = 0, kcaptured = 0;
	int opt, verbose = 0, flush = 0, ret = 1, err, mask_given = 0;
	struct cbpf_insn *filter = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t v;
	size_t flen = 0;
	char *expr = NULL;
	struct xc *xc;

	prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	while ((opt = getopt_long(argc, argv, "a:c:s:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			if (xc_parse_actions(optarg, &mask) || !mask)
				return usage_error("-a: not a comma list of aborted,drop,pass,tx,redirect: %s", optarg);
			mask_given = 1;
			break;
		case 'c':
			if (numarg_u64(optarg, 10, 1, UINT64_MAX >> 1, &v))
				return usage_error("-c: not a positive count: %s", optarg);
			out.limit = v;
			break;
		case 's':
			if (numarg_u64(optarg, 10, 1, XC_SNAPLEN_MAX, &v))
				return usage_error("-s: snaplen must be 1..262144: %s", optarg);
			snaplen = v;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'F':
			flush = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (flush ? argc - optind != 1 : argc - optind < 2)
		return usage_error("%s", flush ? "--flush takes exactly one argument: HOOK_PIN"
					       : "HOOK_PIN and OUTPUT are required");
	xc_init(argv[0], verbose);

	xc = xc_open(argv[optind]);
	if (!xc)
		return 1;
	/* All actions by default: those the hook has slots for (4 in a cloudflare/xdpcap hook). */
	if (!mask_given)
		mask &= (1u << xc_slots(xc)) - 1;
	if (flush) {
		err = xc_flush(xc);
		if (err >= 0)
			fprintf(stderr, "%s: emptied %d slot%s of %s\n", prog, err, err == 1 ? "" : "s",
				argv[optind]);
		xc_close(xc);
		return err < 0;
	}

	/* Everything that can fail on the user's input fails before the hook is touched. */
	expr = join_args(argc - optind - 2, argv + optind + 2);
	if (!expr)
		goto out;
	filter = compile_filter(expr, snaplen, &flen);
	if (!filter)
		goto out;
	/* OUTPUT is opened here to fail early if it cannot be written, but nothing is written
	 * to it (nor is it truncated) before the capture has started. */
	out.name = argv[optind + 1];
	if (output_open(&out))
		goto out;
	if (xc_load(xc, mask, filter, flen, snaplen))
		goto out;

	/* No SA_RESTART: a signal must interrupt the poll so the loop sees `stop`.
	 * SIGPIPE is ignored so a closed pipe becomes a write error and the hook is emptied. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	out.mono_to_real = mono_to_real();
	if (xc_start(xc, on_packet, &out))
		goto out;
	/* Packets that arrive meanwhile wait in the perf buffers. */
	if (output_commit(&out, mask, snaplen, expr))
		goto out;
	if (verbose)
		fprintf(stderr, "%s: capturing on %s%s%s\n", prog, argv[optind], *expr ? ", filter: " : "", expr);

	ret = 0;
	while (!stop && !out.err && !(out.limit && out.written >= out.limit)) {
		err = xc_poll(xc, 100);
		if (err < 0 && err != -EINTR) {
			fail(err, "%s", "reading the perf buffers failed", NULL);
			ret = 1;
			break;
		}
		if (fflush(out.f) && !out.err)
			out.err = errno;
		/* Another tool (a second xdpcap --flush, bpftool map update, a lab's down) took a
		 * slot: what follows would be silently incomplete. */
		if (xc_slots_lost(xc)) {
			fprintf(stderr, "%s: error: the hook's slots were changed by another tool: capture ended\n", prog);
			ret = 1;
			break;
		}
	}
	if (!ret && xc_slots_lost(xc))
		ret = 1;
	xc_stop(xc);
	if (fflush(out.f) && !out.err)
		out.err = errno;
	if (out.err == EINTR && stop) {
		/* The stop signal interrupted a write to a reader that was not reading. */
		fprintf(stderr, "%s: stopped while writing to %s: the last packet may be cut short\n",
			prog, out.name);
	} else if (out.err) {
		fail(-out.err, "cannot write %s", out.name, NULL);
		ret = 1;
	}

	xc_counts(xc, counts);
	for (a = 0; a < XC_NUM_ACTIONS; a++) {
		filtered += counts[a].filtered;
		lost += counts[a].lost;
		failed += counts[a].failed;
		kcaptured += counts[a].captured;
	}
	if (verbose) {
		for (a = 0; a < XC_NUM_ACTIONS; a++)
			if (mask & (1u << a))
				fprintf(stderr, "%s: %-8s %llu written, %llu matched, %llu filtered, %llu lost, %llu failed\n",
					prog, xc_action_names[a], (unsigned long long)out.per_action[a],
					(unsigned long long)counts[a].captured,
					(unsigned long long)counts[a].filtered, (unsigned long long)counts[a].lost,
					(unsigned long long)counts[a].failed);
		if (xc_perf_lost(xc))
			fprintf(stderr, "%s: the perf buffer reported %llu records lost\n", prog,
				(unsigned long long)xc_perf_lost(xc));
	}
	fprintf(stderr, "%llu packets captured, %llu filtered, %llu lost",
		(unsigned long long)out.written, (unsigned long long)filtered, (unsigned long long)lost);
	if (failed)
		fprintf(stderr, ", %llu failed", (unsigned long long)failed);
	if (kcaptured > out.written)
		fprintf(stderr, " (%llu more matched after the end)", (unsigned long long)(kcaptured - out.written));
	fputc('\n', stderr);
	if (xc_late(xc))
		fprintf(stderr, "%s: warning: %llu packets reached user space too late to be sorted in: "
				"the file is not in strict time order there\n", prog,
			(unsigned long long)xc_late(xc));
	if (failed)
		/* Not a full buffer: the helper refused the copy (-v shows the action). */
		fprintf(stderr, "%s: warning: bpf_perf_event_output failed %llu times for a reason other "
				"than a full buffer (a CPU without a perf buffer, or a size it refuses)\n",
			prog, (unsigned long long)failed);
out:
	xc_close(xc);
	output_discard(&out);
	if (out.f && out.f != stdout)
		fclose(out.f);
	pcapng_free(&out.w);
	free(filter);
	free(expr);
	return ret;
}
