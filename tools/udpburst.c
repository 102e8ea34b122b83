// SPDX-License-Identifier: GPL-2.0
/* udpburst: a bounded UDP burst for benchmarks: COUNT datagrams to DST_IP:PORT, paced at a
 * target rate, frames of a chosen size on the wire. It stops by itself after COUNT packets
 * or SECONDS, whichever comes first, and prints what it sent.
 *
 *   ip netns exec NS build/udpburst -c 200000 -r 100000 -s 64 198.18.0.1
 *
 * sendmmsg() in batches of up to 64 keeps the syscall cost per packet low; pacing sleeps
 * until each batch is due (absolute CLOCK_MONOTONIC deadlines, so delays do not add up).
 * A plain UDP socket, not AF_PACKET: the frames are real IPv4/UDP to a host in a namespace
 * the caller made (the benchmark's veth), and no raw-socket setup is needed.
 */
#define _GNU_SOURCE	/* sendmmsg */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "numarg.h"

#define BATCH 64
#define HDRS (14 + 20 + 8)	/* Ethernet + IPv4 + UDP: frame size = payload + HDRS */
#define FRAME_MAX 1514		/* one Ethernet frame at MTU 1500, no fragments */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: udpburst [options] DST_IP\n"
		"Send a bounded burst of UDP datagrams to DST_IP and stop.\n"
		"  -c COUNT    packets to send (default 100000, max 100000000)\n"
		"  -r PPS      target rate in packets/s (default 100000; 0 = as fast as possible)\n"
		"  -s BYTES    Ethernet frame size, 60..%d (default 64)\n"
		"  -p PORT     UDP destination port (default 9, discard)\n"
		"  -t SECONDS  stop after this long even if COUNT is not reached (default 60)\n"
		"  -h          this help\n"
		"Prints: sent=N seconds=S pps=P\n",
		FRAME_MAX);
}

static int parse_ul(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	uint64_t n;

	if (numarg_u64(s, 10, min, max, &n))
		return -1;
	*v = n;
	return 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - (time_t)t) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	unsigned long count = 100000, rate = 100000, size = 64, port = 9, secs = 60;
	static char payload[FRAME_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned long sent = 0;
	double start, end, elapsed;
	int opt, fd, i;

	while ((opt = getopt(argc, argv, "c:r:s:p:t:h")) != -1) {
		switch (opt) {
		case 'c':
			if (parse_ul(optarg, 1, 100000000, &count))
				goto bad;
			break;
		case 'r':
			if (parse_ul(optarg, 0, 100000000, &rate))
				goto bad;
			break;
		case 's':
			if (parse_ul(optarg, 60, FRAME_MAX, &size))
				goto bad;
			break;
		case 'p':
			if (parse_ul(optarg, 1, 65535, &port))
				goto bad;
			break;
		case 't':
			if (parse_ul(optarg, 1, 3600, &secs))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		continue;
bad:
		fprintf(stderr, "udpburst: -%c: value out of range: %s\n", opt, optarg);
		usage(stderr);
		return 2;
	}
	if (argc - optind != 1 || inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1) {
		fprintf(stderr, "udpburst: one IPv4 destination address is required\n");
		usage(stderr);
		return 2;
	}
	dst.sin_port = htons(port);

	/* Not connected: a connected socket would stop at the first ICMP port unreachable. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		fprintf(stderr, "udpburst: error: cannot send to %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	/* Frames shorter than 60 bytes are padded on the wire; the payload makes up the rest. */
	memset(payload, 0xa5, sizeof(payload));
	iov.iov_base = payload;
	iov.iov_len = size - HDRS;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	start = now();
	end = start + secs;
	while (sent < count) {
		unsigned long n = count - sent < BATCH ? count - sent : BATCH;
		int r;

		if (now() > end)
			break;
		if (rate) {
			/* The batch is due when the packets before it have had their time. */
			double due = start + (double)sent / rate;

			if (due > end)
				break;
			sleep_until(due);
			/* Small batches at low rates, so the pacing stays smooth. */
			if (rate < 100000 && n > rate / 10000 + 1)
				n = rate / 10000 + 1;
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED)
				continue;	/* the queue is full for a moment: try again */
			fprintf(stderr, "udpburst: error: sendmmsg: %s\n", strerror(errno));
			close(fd);
			return 1;
		}
		sent += r;
	}
	elapsed = now() - start;
	close(fd);
	printf("sent=%lu seconds=%.3f pps=%.0f\n", sent, elapsed, elapsed > 0 ? sent / elapsed : 0);
	return sent == count ? 0 : 1;
}
