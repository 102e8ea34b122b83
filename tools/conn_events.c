// SPDX-License-Identifier: GPL-2.0
/* conn_events: print the connection events of bpf/conn_trace.bpf.c from its pinned `events`
 * perf event array, one line each, local side first:
 *
 *   2026/11/22 01:41:34 new tcp connection: 127.0.0.1:40000 -> 127.0.0.1:8080
 *
 * --json prints one object per line instead. Lost samples (a per-CPU buffer overflowed) are
 * printed as "... lost N events on CPU C", never dropped silently.
 * Only one reader at a time: opening the buffers points the map's per-CPU slots at this process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "numarg.h"
#include "pinutil.h"
#include "conn_trace.h"


static volatile sig_atomic_t stop;
static int json;
static unsigned long long n_events, n_lost, count;

#define COUNT_MAX 1000000000000ULL	/* 10^12: "forever" without overflow games */
#define TIMEOUT_MAX 31536000		/* a year, in seconds */
#define PAUSE_MAX 3600

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: conn_events [--json] [--count N] [--timeout SECS] [--pages N] [--pause SECS] [-v]\n"
		"                   EVENTS_PIN\n"
		"Print new TCP connections from the pinned perf event array EVENTS_PIN\n"
		"(e.g. /sys/fs/bpf/bpflab/bpf2bpf/events) until Ctrl-C, N events, or SECS seconds.\n"
		"  --count N     stop after N events, 1..%llu\n"
		"  --timeout S   stop after S seconds (0 < S <= %d)\n"
		"  --pages N     buffer pages per CPU, a power of 2 (default 8)\n"
		"  --pause SECS  open the buffers, then wait SECS before reading: small buffers\n"
		"                overflow and the lost counts show (a demonstration)\n"
		"Exit 0; 3 when --timeout ends before --count events arrived.\n", COUNT_MAX, TIMEOUT_MAX);
}

/* A bad option value: one line naming what was expected, then the usage; exit code 2. */
static int bad_opt(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "conn_events: bad %s '%s': %s expected\n", opt, val, want);
	usage(stderr);
	return 2;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void now_str(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	strftime(buf, len, "%Y/%m/%d %H:%M:%S", localtime_r(&t, &tm));
}

/* ADDR:PORT, IPv6 in brackets. */
static void endpoint(char *buf, size_t len, __u16 family, const __u8 *addr, __u16 port, int for_json)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, ip, sizeof(ip));
	if (for_json)
		snprintf(buf, len, "%s", ip);
	else if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
}

static const char *via_str(__u32 flags)
{
	return flags & CONN_F_KPROBE ? "kprobe" : flags & CONN_F_FENTRY ? "fentry" :
	       flags & CONN_F_TRACEPOINT ? "tracepoint" : "?";
}

/* comm comes from the task: keep JSON valid whatever bytes it holds. */
static void json_str(const char *s, size_t max)
{
	size_t i;

	putchar('"');
	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct conn_event ev, *e = &ev;
	char ts[32], l[64], r[64];

	(void)ctx;
	(void)cpu;
	if (size < sizeof(*e)) {
		fprintf(stderr, "conn_events: short sample (%u bytes, want %zu): object and tool out of date?\n",
			size, sizeof(*e));
		return;
	}
	/* One poll hands over every event that is waiting: stop at --count exactly. */
	if (count && n_events >= count)
		return;
	/* The sample sits 4 bytes past an 8-byte boundary (after the u32 size of the raw
	 * record): copy it out rather than read a u64 field misaligned. */
	memcpy(&ev, data, sizeof(ev));
	n_events++;
	now_str(ts, sizeof(ts));
	endpoint(l, sizeof(l), e->family, e->laddr, e->lport, json);
	endpoint(r, sizeof(r), e->family, e->raddr, e->rport, json);
	if (!json) {
		printf("%s new tcp connection: %s -> %s\n", ts, l, r);
		return;
	}
	printf("{\"time\":\"%s\",\"direction\":\"%s\",\"via\":\"%s\",\"family\":\"%s\","
	       "\"laddr\":\"%s\",\"lport\":%u,\"raddr\":\"%s\",\"rport\":%u",
	       ts, e->flags & CONN_F_OUT ? "out" : "in", via_str(e->flags),
	       e->family == AF_INET6 ? "ipv6" : "ipv4", l, e->lport, r, e->rport);
	if (e->flags & CONN_F_TASK) {
		printf(",\"pid\":%u,\"comm\":", e->pid);
		json_str(e->comm, sizeof(e->comm));
	}
	printf("}\n");
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	char ts[32];

	(void)ctx;
	n_lost += cnt;
	now_str(ts, sizeof(ts));
	if (json)
		printf("{\"time\":\"%s\",\"lost\":%llu,\"cpu\":%d}\n", ts, (unsigned long long)cnt, cpu);
	else
		printf("%s lost %llu events on CPU %d\n", ts, (unsigned long long)cnt, cpu);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "pages", required_argument, NULL, 'p' },
		{ "pause", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	double timeout = 0, pause = 0;
	uint64_t pages = 8, v;
	struct perf_buffer *pb;
	struct timespec t0, t;
	struct pu_obj map;
	int opt, verbose = 0, err = 0, rc = 0;

	while ((opt = getopt_long(argc, argv, "jc:t:p:P:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'c':
			if (numarg_u64(optarg, 10, 1, COUNT_MAX, &v))
				return bad_opt("--count", optarg, "a whole number 1..10^12");
			count = v;
			break;
		case 't':
			if (numarg_double(optarg, 0, TIMEOUT_MAX, &timeout) || timeout <= 0)
				return bad_opt("--timeout", optarg, "seconds, 0 < S <= 31536000");
			break;
		case 'p':
			if (numarg_u64(optarg, 10, 1, 1024, &pages) || (pages & (pages - 1)))
				return bad_opt("--pages", optarg, "a power of 2, 1..1024");
			break;
		case 'P':
			if (numarg_double(optarg, 0, PAUSE_MAX, &pause))
				return bad_opt("--pause", optarg, "seconds, 0..3600");
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	pu_init(argv[0], verbose);
	if (pu_open_map(argv[optind], BPF_MAP_TYPE_PERF_EVENT_ARRAY, &map))
		return 1;
	pb = perf_buffer__new(map.fd, pages, on_sample, on_lost, NULL, NULL);
	if (!pb) {
		pu_err(-errno, "cannot open the perf buffers of %s", argv[optind]);
		pu_close(&map);
		return 1;
	}
	/* Line-buffered even into a pipe or file: each event is visible as it happens. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "conn_events: listening on %s (%u CPUs), Ctrl-C to stop\n", argv[optind],
		map.max_entries);
	if (pause) {
		struct timespec ts = { (time_t)pause, (long)((pause - (time_t)pause) * 1e9) };

		while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop && (!count || n_events < count)) {
		err = perf_buffer__poll(pb, 100);
		if (err < 0 && err != -EINTR) {
			pu_err(err, "reading %s", argv[optind]);
			rc = 1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (timeout && (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >= timeout) {
			if (count && n_events < count)
				rc = 3;
			break;
		}
	}
	fprintf(stderr, "conn_events: %llu events, %llu lost%s\n", n_events, n_lost,
		rc == 3 ? " (timeout before --count)" : "");
	perf_buffer__free(pb);
	pu_close(&map);
	return rc;
}
