// SPDX-License-Identifier: GPL-2.0
/* check_xdp: grade a student's lab 2 XDP program (scripts/check.sh lab2) against the solution.
 *
 * Both programs are pinned (bpftool prog load). Each is run with BPF_PROG_TEST_RUN on the same
 * few hundred crafted frames, in groups (echo replies plain, behind VLAN tags, with IP options,
 * IPv6; fragments; everything else; malformed headers; every truncation of the replies). The
 * solution's verdict is the expected one. One line per group:
 *   PASS reply-vlan: 8 frames, same verdicts as the solution
 *   FAIL reply-vlan: 4 of 8 frames differ from the solution
 * followed, for a failing group, by the first differing frames: name, expected and actual
 * verdict, the bytes in hex. Exit 0 when every group passes, 1 otherwise, 2 on usage errors.
 * `--list` prints every frame (group, name, hex) without running anything; `--self-test PIN`
 * runs the solution alone against the rules written out in this file (each frame's `spec`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/if_ether.h>

#define MAX_FRAMES 1024
#define FRAME_MAX 160
#define SHOW_MAX 2	/* differing frames shown per group */

struct frame {
	const char *group;
	char name[96];
	unsigned char b[FRAME_MAX];
	unsigned int len;
	unsigned int l4off;	/* where the ICMP header starts (0: none) */
	int spec;		/* the verdict by the rules, independent of the solution (--self-test) */
};

static struct frame frames[MAX_FRAMES];
static unsigned int nframes;

/* ---- frame building */
struct spec {
	int tags;		/* VLAN tags: 0, 1, 2 (3 = one too many) */
	__u16 outer_tpid;	/* ETH_P_8021Q or ETH_P_8021AD for the first tag */
	int v6;			/* IPv6 instead of IPv4 */
	__u16 ethertype;	/* non-IP ethertype (ARP, ...) when set */
	__u8 proto;		/* IP protocol / IPv6 next header */
	__u8 icmp_type;		/* first byte of the L4 header */
	int opt_words;		/* IPv4 options, in 4-byte words (IHL = 5 + opt_words) */
	__u16 frag;		/* IPv4 frag_off field, host order (flags + offset) */
	int bad_version;	/* write a wrong IP version */
	int ihl_override;	/* IPv4 IHL to write instead of the real one (0: real) */
	int payload;		/* bytes after the 8-byte L4 header */
};

static struct frame *add(const char *group, const char *name)
{
	struct frame *f;

	if (nframes >= MAX_FRAMES) {
		fprintf(stderr, "check_xdp: too many frames\n");
		exit(2);
	}
	f = &frames[nframes++];
	memset(f, 0, sizeof(*f));
	f->group = group;
	f->spec = XDP_PASS;
	snprintf(f->name, sizeof(f->name), "%s", name);
	return f;
}

static void put16(unsigned char *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static struct frame *build(const char *group, const char *name, const struct spec *s)
{
	static const unsigned char dst[6] = { 0x02, 0, 0, 0, 0, 1 }, src[6] = { 0x02, 0, 0, 0, 0, 2 };
	struct frame *f = add(group, name);
	unsigned char *p = f->b, *l4;
	int i, l4len = 8 + s->payload;

	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	p += 12;
	for (i = 0; i < s->tags; i++) {
		put16(p, i == 0 && s->outer_tpid ? s->outer_tpid : ETH_P_8021Q);
		put16(p + 2, 100 + i);	/* TCI: VLAN id */
		p += 4;
	}
	if (s->ethertype) {
		put16(p, s->ethertype);
		p += 2;
		/* ARP request for 198.18.0.2 from 198.18.0.1 (28 bytes), or filler. */
		static const unsigned char arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2,
			198, 18, 0, 1, 0, 0, 0, 0, 0, 0, 198, 18, 0, 2 };
		memcpy(p, arp, sizeof(arp));
		p += sizeof(arp);
		f->len = p - f->b;
		return f;
	}
	if (s->v6) {
		put16(p, ETH_P_IPV6);
		p += 2;
		p[0] = (s->bad_version ? 4 : 6) << 4;
		put16(p + 4, l4len);
		p[6] = s->proto;
		p[7] = 64;
		p[8] = 0xfd; p[23] = 1;	/* fd00::1 -> fd00::2 */
		p[24] = 0xfd; p[39] = 2;
		p += 40;
	} else {
		int ihl = 5 + s->opt_words;

		put16(p, ETH_P_IP);
		p += 2;
		p[0] = (s->bad_version ? 6 : 4) << 4 | (s->ihl_override ? s->ihl_override : ihl);
		put16(p + 2, ihl * 4 + l4len);
		put16(p + 4, 0x1234);
		put16(p + 6, s->frag);
		p[8] = 64;
		p[9] = s->proto;
		p[12] = 198; p[13] = 18; p[14] = 0; p[15] = 2;
		p[16] = 198; p[17] = 18; p[18] = 0; p[19] = 1;
		for (i = 0; i < s->opt_words * 4; i++)
			p[20 + i] = 1;	/* NOP options */
		p += ihl * 4;
	}
	l4 = p;
	l4[0] = s->icmp_type;
	put16(l4 + 4, 0x4242);	/* ICMP id; for TCP/UDP the first bytes are ports */
	put16(l4 + 6, 1);
	for (i = 0; i < s->payload; i++)
		l4[8 + i] = 0x10 + i;
	f->len = (l4 - f->b) + l4len;
	f->l4off = l4 - f->b;
	/* The rules (see exercises/lab2/xdp_drop_ping.bpf.c), written out independently. */
	if (s->tags <= 2 && !s->bad_version && (s->v6 || !s->ihl_override) && !(s->frag & 0x1fff) &&
	    ((!s->v6 && s->proto == IPPROTO_ICMP && s->icmp_type == 0) ||
	     (s->v6 && s->proto == IPPROTO_ICMPV6 && s->icmp_type == 129)))
		f->spec = XDP_DROP;
	return f;
}

static void make_frames(void)
{
	const struct spec reply4 = { .proto = IPPROTO_ICMP, .icmp_type = 0, .payload = 56 };
	const struct spec reply6 = { .v6 = 1, .proto = IPPROTO_ICMPV6, .icmp_type = 129, .payload = 56 };
	struct spec s;
	/* The replies every truncation is taken of. */
	struct frame *whole[8];
	int nwhole = 0, i, n;
	unsigned int len;

	whole[nwhole++] = build("reply-plain", "IPv4 ICMP echo reply, 56 bytes of data", &reply4);
	s = reply4, s.payload = 0;
	build("reply-plain", "IPv4 ICMP echo reply, no data", &s);
	s = reply4, s.payload = 100;
	build("reply-plain", "IPv4 ICMP echo reply, 100 bytes of data", &s);

	s = reply4, s.tags = 1;
	whole[nwhole++] = build("reply-vlan", "IPv4 echo reply behind one 802.1Q tag", &s);
	s.outer_tpid = ETH_P_8021AD;
	build("reply-vlan", "IPv4 echo reply behind one 802.1ad tag", &s);
	s = reply4, s.tags = 2, s.outer_tpid = ETH_P_8021AD;
	whole[nwhole++] = build("reply-vlan", "IPv4 echo reply behind two tags (802.1ad, 802.1Q)", &s);
	s.outer_tpid = ETH_P_8021Q;
	build("reply-vlan", "IPv4 echo reply behind two 802.1Q tags", &s);
	s = reply6, s.tags = 1;
	build("reply-vlan", "ICMPv6 echo reply behind one 802.1Q tag", &s);
	s.tags = 2, s.outer_tpid = ETH_P_8021AD;
	build("reply-vlan", "ICMPv6 echo reply behind two tags (802.1ad, 802.1Q)", &s);

	for (n = 1; n <= 10; n++) {
		char name[96];

		s = reply4, s.opt_words = n;
		snprintf(name, sizeof(name), "IPv4 echo reply with %d bytes of IP options (IHL %d)", 4 * n, 5 + n);
		if (n == 2)
			whole[nwhole++] = build("reply-ipopts", name, &s);
		else
			build("reply-ipopts", name, &s);
	}
	s = reply4, s.tags = 1, s.opt_words = 3;
	build("reply-vlan", "IPv4 echo reply with IP options behind an 802.1Q tag", &s);

	whole[nwhole++] = build("reply-ipv6", "ICMPv6 echo reply, 56 bytes of data", &reply6);
	s = reply6, s.payload = 0;
	build("reply-ipv6", "ICMPv6 echo reply, no data", &s);

	s = reply4, s.frag = 0x2000;	/* MF, offset 0: carries the ICMP header */
	build("fragments", "first fragment of an IPv4 echo reply (MF set, offset 0)", &s);
	s.frag = 0x2000 | 185;	/* offset 1480: data that looks like an echo reply */
	build("fragments", "later fragment (offset 1480, MF) whose data starts with 0", &s);
	s.frag = 185;
	build("fragments", "last fragment (offset 1480) whose data starts with 0", &s);
	s.frag = 0x4000;	/* DF only */
	build("fragments", "IPv4 echo reply with DF set", &s);

	s = reply4, s.icmp_type = 8;
	build("others", "IPv4 ICMP echo request", &s);
	s.tags = 2, s.outer_tpid = ETH_P_8021AD;
	build("others", "IPv4 echo request behind two tags", &s);
	s = reply6, s.icmp_type = 128;
	build("others", "ICMPv6 echo request", &s);
	s = reply4, s.icmp_type = 3;
	build("others", "IPv4 ICMP destination unreachable", &s);
	s.icmp_type = 11;
	build("others", "IPv4 ICMP time exceeded", &s);
	s.icmp_type = 129;
	build("others", "IPv4 ICMP type 129 (the ICMPv6 reply number, in ICMPv4)", &s);
	s = reply6, s.icmp_type = 0;
	build("others", "ICMPv6 type 0 (the ICMPv4 reply number, in ICMPv6)", &s);
	s.icmp_type = 135;
	build("others", "ICMPv6 neighbour solicitation", &s);
	s = reply4, s.proto = IPPROTO_TCP, s.payload = 12;
	build("others", "IPv4 TCP segment whose first byte is 0", &s);
	s.proto = IPPROTO_UDP;
	build("others", "IPv4 UDP datagram whose first byte is 0", &s);
	s = reply6, s.proto = IPPROTO_UDP, s.icmp_type = 129;
	build("others", "IPv6 UDP datagram whose first byte is 129", &s);
	s.proto = IPPROTO_TCP;
	build("others", "IPv6 TCP segment whose first byte is 129", &s);
	s = reply4, s.ethertype = ETH_P_ARP;
	build("others", "ARP request", &s);
	s.tags = 1;
	build("others", "ARP request behind an 802.1Q tag", &s);
	s = reply4, s.ethertype = 0x88cc;
	build("others", "LLDP frame (unknown ethertype)", &s);

	s = reply4, s.tags = 3;
	build("malformed", "IPv4 echo reply behind three tags (more than the two parsed)", &s);
	s = reply4, s.bad_version = 1;
	build("malformed", "echo reply with ethertype IPv4 but IP version 6", &s);
	s = reply4, s.ihl_override = 4;
	build("malformed", "IPv4 echo reply with IHL 4 (less than the 20-byte header)", &s);
	s = reply6, s.bad_version = 1;
	build("malformed", "ICMPv6 echo reply with ethertype IPv6 but IP version 4", &s);
	s = reply6, s.proto = 0;	/* a hop-by-hop header whose next header is 129: not ICMPv6 */
	build("malformed", "IPv6 hop-by-hop header (next header 129) before the bytes of an echo reply", &s);

	/* Every truncation of the replies: never read past the end. A cut packet is shorter than
	 * its own length fields say (IPv4 Total Length, IPv6 Payload Length): it passes. */
	for (i = 0; i < nwhole; i++) {
		for (len = ETH_HLEN; len < whole[i]->len; len++) {
			char name[96];
			struct frame *f;

			snprintf(name, sizeof(name), "%.60s, cut to %u bytes", whole[i]->name, len);
			f = add("truncated", name);
			memcpy(f->b, whole[i]->b, len);
			f->len = len;
		}
	}
}

/* ---- running */
static const char *verdict(int v)
{
	static const char *names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT" };
	static char buf[32];

	if (v >= 0 && v < 5)
		return names[v];
	snprintf(buf, sizeof(buf), "%d (not an XDP action)", v);
	return buf;
}

static int run(int fd, const struct frame *f, int *retval)
{
	unsigned char out[FRAME_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	int err = bpf_prog_test_run_opts(fd, &o);

	*retval = o.retval;
	return err ? -errno : 0;
}

static void hexdump(const struct frame *f)
{
	unsigned int i;

	for (i = 0; i < f->len; i++)
		printf("%s%02x%s", i % 16 ? "" : "      ", f->b[i], (i % 16 == 15 || i + 1 == f->len) ? "\n" : " ");
}

static int open_prog(const char *pin)
{
	int fd = bpf_obj_get(pin);

	if (fd < 0)
		fprintf(stderr, "check_xdp: error: cannot open pinned program %s: %s\n", pin, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	static const char *groups[] = { "reply-plain", "reply-vlan", "reply-ipopts", "reply-ipv6",
		"fragments", "others", "malformed", "truncated" };
	int sfd, rfd, g, failed = 0;
	unsigned int i;

	make_frames();
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < nframes; i++) {
			printf("%s: %s (%u bytes)\n", frames[i].group, frames[i].name, frames[i].len);
			hexdump(&frames[i]);
		}
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--self-test")) {
		/* The solution against the rules: guards the reference itself. */
		unsigned int bad = 0;
		int got;

		rfd = open_prog(argv[2]);
		if (rfd < 0)
			return 2;
		for (i = 0; i < nframes; i++) {
			if (run(rfd, &frames[i], &got) || got != frames[i].spec) {
				printf("    %s: %s: rules say %s, the solution %s\n", frames[i].group,
				       frames[i].name, verdict(frames[i].spec), verdict(got));
				bad++;
			}
		}
		printf("%s spec: %u of %u frames: the solution %s the rules\n", bad ? "FAIL" : "PASS",
		       nframes - bad, nframes, bad ? "differs from" : "follows");
		return bad != 0;
	}
	if (argc != 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: check_xdp STUDENT_PROG_PIN SOLUTION_PROG_PIN | --self-test SOLUTION_PROG_PIN | --list\n");
		return 2;
	}
	sfd = open_prog(argv[1]);
	rfd = open_prog(argv[2]);
	if (sfd < 0 || rfd < 0)
		return 2;
	for (g = 0; g < (int)(sizeof(groups) / sizeof(groups[0])); g++) {
		unsigned int total = 0, bad = 0, idx[SHOW_MAX];
		int want[SHOW_MAX], got[SHOW_MAX], err[SHOW_MAX];

		for (i = 0; i < nframes; i++) {
			int w, a, e;

			if (strcmp(frames[i].group, groups[g]))
				continue;
			total++;
			if (run(rfd, &frames[i], &w)) {
				fprintf(stderr, "check_xdp: error: the solution did not run: %s\n", strerror(errno));
				return 2;
			}
			e = run(sfd, &frames[i], &a);
			if (!e && a == w)
				continue;
			if (bad < SHOW_MAX) {
				idx[bad] = i, want[bad] = w, got[bad] = a, err[bad] = e;
			}
			bad++;
		}
		if (!bad) {
			printf("PASS %s: %u frames, same verdicts as the solution\n", groups[g], total);
			continue;
		}
		failed = 1;
		printf("FAIL %s: %u of %u frames differ from the solution%s\n", groups[g], bad, total,
		       bad > SHOW_MAX ? " (the first ones below)" : "");
		for (i = 0; i < bad && i < SHOW_MAX; i++) {
			const struct frame *f = &frames[idx[i]];

			printf("    frame: %s (%u bytes)\n", f->name, f->len);
			if (err[i])
				printf("    expected %s, but the test run failed: %s\n", verdict(want[i]), strerror(-err[i]));
			else
				printf("    expected %s, got %s\n", verdict(want[i]), verdict(got[i]));
			hexdump(f);
		}
	}
	return failed;
}
