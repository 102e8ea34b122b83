// SPDX-License-Identifier: GPL-2.0
/* glbtable: the GLB lab's table manager and flow predictor (scripts/glb.sh calls it).
 *
 * Tables are built the way GLB builds them: for every one of the 65536 rows, the backends are
 * ordered by rendezvous hashing (SipHash-2-4 with the table's key, bpf/glb_hash.h, the same
 * code the BPF director runs) and the first two become primary and secondary; a draining
 * backend is swapped to secondary. A new inner map is created, filled with ONE batch update
 * and swapped into glb_tables[T] with ONE update of the outer array: packets see the old
 * table or the new one, never a mix. The old map is freed when the last packet using it ends.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include "pinutil.h"
#include "numarg.h"
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#include "glb_hash.h"

static const char *pin_dir = "/sys/fs/bpf/bpflab/glb";
static int json;
static double rows_ms;	/* time to compute the rows (fill) or read them (load) */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-v] [--json] [-d PIN_DIR] fill TABLE [--key HEX32] BACKEND[:STATE]...\n"
		"       %s [-d PIN_DIR] load TABLE FILE\n"
		"       %s [--json] [-d PIN_DIR] show TABLE [--rows]\n"
		"       %s [--json] [-d PIN_DIR] flow [--check FRAME] SRC SPORT VIP PORT tcp|udp\n"
		"       %s rows [--key HEX32] BACKEND[:STATE]...\n"
		"       %s frame SRC SPORT VIP PORT tcp|udp FILE\n"
		"       %s key VIP PORT tcp|udp\n"
		"       %s siphash KEY_HEX32 MSG_HEX\n"
		"\n"
		"  fill   rendezvous-fill a new table for TABLE (0..4095) and swap it in (one update).\n"
		"         STATE: active (default), draining (moved to secondary), filling (as active);\n"
		"         at most one backend not active. The table's key is kept from its first fill\n"
		"         (random, or --key).\n"
		"  load   the same from FILE: one row per line, \"PRIMARY [SECONDARY]\", 1, 2, 4 ... 65536\n"
		"         lines repeated over the 65536 rows\n"
		"  show   map id, key, rows per primary and per secondary (--rows: every row)\n"
		"  flow   the bind, table, row, backends and UDP source port glb_fwd picks for a packet;\n"
		"         --check FRAME: and compare with the frame glb_fwd wrote (bpftool prog run)\n"
		"  rows   print the 65536 rows fill would build (no kernel needed)\n"
		"  frame  write an Ethernet + IPv4/IPv6 + TCP SYN / UDP frame for bpftool prog run\n"
		"  key    the glb_binds key (24 bytes, decimal) of a bind, for bpftool map update\n"
		"  siphash  SipHash-2-4 of MSG under KEY (test vectors)\n"
		"PIN_DIR: where glb_tables, glb_secrets, glb_binds, glb_config are pinned (default %s)\n",
		pu_prog, pu_prog, pu_prog, pu_prog, pu_prog, pu_prog, pu_prog, pu_prog, pin_dir);
}

static int usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", pu_prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry: %s -h\n", pu_prog);
	return 2;
}

/* ---- argument parsing */

static int parse_u32(const char *s, unsigned long max, __u32 *out)
{
	uint64_t v;

	if (numarg_u64(s, 10, 0, max, &v))
		return -1;
	*out = v;
	return 0;
}

static int parse_table(const char *s, __u32 *t)
{
	if (parse_u32(s, UINT32_MAX, t)) {
		fprintf(stderr, "%s: error: table '%s' is not a number\n", pu_prog, s);
		return -1;
	}
	if (*t >= GLB_TABLES) {
		fprintf(stderr, "%s: error: table %s out of range: glb_tables has %d slots (0..%d)\n",
			pu_prog, s, GLB_TABLES, GLB_TABLES - 1);
		return -1;
	}
	return 0;
}

static int parse_hex(const char *s, __u8 *out, size_t max, size_t *len)
{
	size_t n = strlen(s), i;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
			return -1;
		out[i] = b;
	}
	*len = n / 2;
	return 0;
}

static int parse_key(const char *s, struct glb_secret *k)
{
	__u8 b[16];
	size_t n;

	if (parse_hex(s, b, 16, &n) || n != 16) {
		fprintf(stderr, "%s: error: key '%s' is not 32 hex digits\n", pu_prog, s);
		return -1;
	}
	memcpy(&k->k0, b, 8);	/* little-endian words, as SipHash reads its key */
	memcpy(&k->k1, b + 8, 8);
	return 0;
}

static void key_hex(const struct glb_secret *k, char *buf)
{
	const __u8 *b = (const __u8 *)k;
	int i;

	for (i = 0; i < 16; i++)
		sprintf(buf + 2 * i, "%02x", b[i]);
}

static int parse_proto(const char *s, __u8 *p)
{
	if (!strcmp(s, "tcp") || !strcmp(s, "6"))
		*p = 6;
	else if (!strcmp(s, "udp") || !strcmp(s, "17"))
		*p = 17;
	else
		return usage_err("protocol '%s' is neither tcp nor udp", s), -1;
	return 0;
}

static int parse_port(const char *what, const char *s, __u16 *port)
{
	__u32 v;

	if (parse_u32(s, 65535, &v) || !v || s[0] == '0') {
		fprintf(stderr, "%s: %s '%s' is not a port (1..65535)\n", pu_prog, what, s);
		return -1;
	}
	*port = htons(v);
	return 0;
}

/* IPv4 or IPv6; returns the family, 0 when neither. */
static int parse_addr(const char *s, __u8 *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return 0;
}

/* ---- rendezvous fill */

enum state { ACTIVE, DRAINING, FILLING };
static const char *const state_names[] = { "active", "draining", "filling" };

struct backend {
	__be32 ip;
	enum state state;
};

static int parse_backends(int n, char **args, struct backend *b)
{
	int i, j, others = 0;

	if (n < 1) {
		fprintf(stderr, "%s: error: no backends: a table needs at least one\n", pu_prog);
		return -1;
	}
	if (n > GLB_MAX_BACKENDS) {
		fprintf(stderr, "%s: error: %d backends: a table holds at most %d (more and a primary no "
			"longer meets every other backend as secondary)\n", pu_prog, n, GLB_MAX_BACKENDS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char addr[64], *colon;

		snprintf(addr, sizeof(addr), "%s", args[i]);
		colon = strchr(addr, ':');
		b[i].state = ACTIVE;
		if (colon) {
			*colon++ = 0;
			for (j = 0; j < 3 && strcmp(colon, state_names[j]); j++)
				;
			if (j == 3) {
				fprintf(stderr, "%s: error: backend '%s': state '%s' is not active, draining or filling\n",
					pu_prog, args[i], colon);
				return -1;
			}
			b[i].state = j;
		}
		if (inet_pton(AF_INET, addr, &b[i].ip) != 1 || !b[i].ip) {
			fprintf(stderr, "%s: error: backend '%s' is not an IPv4 address (A.B.C.D[:STATE])\n",
				pu_prog, args[i]);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (b[j].ip == b[i].ip) {
				fprintf(stderr, "%s: error: backend %s is listed twice\n", pu_prog, addr);
				return -1;
			}
		others += b[i].state != ACTIVE;
	}
	if (others > 1) {
		fprintf(stderr, "%s: error: %d backends are draining or filling: GLB allows one at a time\n",
			pu_prog, others);
		fprintf(stderr, "Hint: a row holds two backends; with two in transition a connection can lose both\n");
		return -1;
	}
	return 0;
}

static __u64 weight(const struct glb_secret *k, __u64 seed, __be32 ip)
{
	union glb_msg m = {};

	memcpy(m.b, &seed, 8);
	memcpy(m.b + 8, &ip, 4);
	return glb_siphash(k, &m, 12);
}

static void fill_rows(const struct glb_secret *k, const struct backend *b, int n, struct glb_row *rows)
{
	__u32 r;
	int i;

	for (r = 0; r < GLB_ROWS; r++) {
		union glb_msg m = {};
		__u64 seed, w, w1 = 0, w2 = 0;
		int i1 = -1, i2 = -1;

		memcpy(m.b, &r, 4);
		seed = glb_siphash(k, &m, 4);
		for (i = 0; i < n; i++) {
			w = weight(k, seed, b[i].ip);
			if (i1 < 0 || w > w1) {
				i2 = i1, w2 = w1;
				i1 = i, w1 = w;
			} else if (i2 < 0 || w > w2) {
				i2 = i, w2 = w;
			}
		}
		/* Draining: the new connections go to the other one, which hands it the old ones. */
		if (i2 >= 0 && b[i1].state == DRAINING) {
			i = i1, i1 = i2, i2 = i;
		}
		rows[r].primary = b[i1].ip;
		rows[r].secondary = i2 >= 0 ? b[i2].ip : 0;
	}
}

/* ---- maps */

static int open_pinned(const char *name, __u32 type, struct pu_obj *m)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	return pu_open_map(strdup(path), type, m);
}

static int read_secret(int fd, __u32 t, struct glb_secret *k)
{
	if (bpf_map_lookup_elem(fd, &t, k)) {
		pu_err(-errno, "cannot read glb_secrets[%u]", t);
		return -1;
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Create glb_t<T>, fill it in one batch, swap it into glb_tables[T] in one update. */
static int swap_in(__u32 t, const struct glb_row *rows, const struct glb_secret *new_key)
{
	struct pu_obj tables, secrets;
	static __u32 keys[GLB_ROWS];
	__u32 r, count = GLB_ROWS, old = 0, new_id = 0;
	struct glb_secret cur;
	char name[16], hex[33];
	double t0, t_fill, t_swap;
	int fd, err = -1;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (open_pinned("glb_tables", BPF_MAP_TYPE_ARRAY_OF_MAPS, &tables))
		return -1;
	if (open_pinned("glb_secrets", BPF_MAP_TYPE_ARRAY, &secrets))
		goto out_tables;
	if (read_secret(secrets.fd, t, &cur))
		goto out;
	pu_slot_id(&tables, &t, &old);	/* old stays 0 when the slot is empty */
	if (new_key && old && memcmp(new_key, &cur, sizeof(cur))) {
		fprintf(stderr, "%s: error: table %u is live with another key: a new key moves every flow\n", pu_prog, t);
		fprintf(stderr, "Hint: empty the slot first (glb.sh table del %u), or leave --key out\n", t);
		goto out;
	}
	for (r = 0; r < GLB_ROWS; r++)
		keys[r] = r;
	t0 = now_ms();
	snprintf(name, sizeof(name), "glb_t%u", t);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32), sizeof(struct glb_row), GLB_ROWS, NULL);
	if (fd < 0) {
		pu_err(-errno, "cannot create a %d-row table", GLB_ROWS);
		goto out;
	}
	if (bpf_map_update_batch(fd, keys, rows, &count, NULL) || count != GLB_ROWS) {
		pu_err(-errno, "cannot fill the new table (%u of %d rows)", count, GLB_ROWS);
		goto out_fd;
	}
	t_fill = now_ms();
	/* The key first, and only into an empty slot (checked above): no packet hashes with it yet. */
	if (new_key && memcmp(new_key, &cur, sizeof(cur)) && bpf_map_update_elem(secrets.fd, &t, new_key, BPF_ANY)) {
		pu_err(-errno, "cannot write glb_secrets[%u]", t);
		goto out_fd;
	}
	if (pu_slot_set_fd(&tables, &t, fd, "the new table"))
		goto out_fd;
	t_swap = now_ms();
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		new_id = info.id;
	read_secret(secrets.fd, t, &cur);
	key_hex(&cur, hex);
	if (json)
		printf("{\"table\":%u,\"old_map_id\":%u,\"map_id\":%u,\"key\":\"%s\",\"rows_ms\":%.3f,"
		       "\"fill_ms\":%.3f,\"swap_ms\":%.3f}\n", t, old, new_id, hex, rows_ms, t_fill - t0, t_swap - t_fill);
	else
		printf("glb_tables[%u]: map id %u -> %u (key %s; rows %.1f ms, new map filled in %.1f ms, swapped in %.1f ms)\n",
		       t, old, new_id, hex, rows_ms, t_fill - t0, t_swap - t_fill);
	err = 0;
out_fd:
	close(fd);	/* glb_tables holds the table now (or nothing does, and it is freed) */
out:
	pu_close(&secrets);
out_tables:
	pu_close(&tables);
	return err;
}

static struct glb_row rows_buf[GLB_ROWS];

static int fill_key(int argc, char **argv, struct glb_secret *k, int *have_key, int *first)
{
	*have_key = 0;
	*first = 0;
	if (argc > *first + 1 && !strcmp(argv[0], "--key")) {
		if (parse_key(argv[1], k))
			return -1;
		*have_key = 1;
		*first = 2;
	}
	return 0;
}

static int cmd_fill(int argc, char **argv)
{
	struct backend b[GLB_MAX_BACKENDS];
	struct glb_secret k;
	struct pu_obj secrets;
	int have_key, first, n;
	__u32 t, old = 0;

	if (argc < 1)
		return usage_err("%sfill needs TABLE BACKEND...", "");
	if (parse_table(argv[0], &t) || fill_key(argc - 1, argv + 1, &k, &have_key, &first))
		return 1;
	n = argc - 1 - first;
	if (parse_backends(n, argv + 1 + first, b))
		return 1;
	if (!have_key) {
		struct pu_obj tables;

		/* The table keeps its key: a new one would move every flow to another row. */
		if (open_pinned("glb_secrets", BPF_MAP_TYPE_ARRAY, &secrets))
			return 1;
		if (read_secret(secrets.fd, t, &k))
			return pu_close(&secrets), 1;
		pu_close(&secrets);
		if (open_pinned("glb_tables", BPF_MAP_TYPE_ARRAY_OF_MAPS, &tables))
			return 1;
		pu_slot_id(&tables, &t, &old);
		pu_close(&tables);
		if (!old && getrandom(&k, sizeof(k), 0) != sizeof(k)) {
			pu_err(-errno, "cannot get a random key");
			return 1;
		}
	}
	rows_ms = now_ms();
	fill_rows(&k, b, n, rows_buf);
	rows_ms = now_ms() - rows_ms;
	return swap_in(t, rows_buf, old ? NULL : &k) ? 1 : 0;
}

static int cmd_load(int argc, char **argv)
{
	static struct glb_row lines[GLB_ROWS];
	char buf[256], p[64], s[64], extra[64];
	int n = 0, ln = 0, f;
	__u32 t, r;
	FILE *in;

	if (argc != 2)
		return usage_err("%sload needs TABLE FILE", "");
	if (parse_table(argv[0], &t))
		return 1;
	in = fopen(argv[1], "r");
	if (!in) {
		pu_err(-errno, "cannot read row file '%s'", argv[1]);
		return 1;
	}
	while (fgets(buf, sizeof(buf), in)) {
		ln++;
		*strchrnul(buf, '#') = 0;
		f = sscanf(buf, "%63s %63s %63s", p, s, extra);
		if (f <= 0)
			continue;
		if (f == 3) {
			fprintf(stderr, "%s: error: %s:%d: more backends than a row holds: a row is 'PRIMARY [SECONDARY]'\n",
				pu_prog, argv[1], ln);
			return fclose(in), 1;
		}
		if (n == GLB_ROWS || inet_pton(AF_INET, p, &lines[n].primary) != 1 ||
		    (f == 2 && inet_pton(AF_INET, s, &lines[n].secondary) != 1)) {
			fprintf(stderr, "%s: error: %s:%d: %s\n", pu_prog, argv[1], ln,
				n == GLB_ROWS ? "more than 65536 rows" : "not an IPv4 address");
			return fclose(in), 1;
		}
		if (f == 1)
			lines[n].secondary = 0;
		n++;
	}
	fclose(in);
	if (!n || (n & (n - 1))) {
		fprintf(stderr, "%s: error: %s has %d rows: the count must be a power of two up to %d (1, 2, 4, ...)\n",
			pu_prog, argv[1], n, GLB_ROWS);
		fprintf(stderr, "Hint: each line then fills %d/n rows; or let 'fill' compute the rows\n", GLB_ROWS);
		return 1;
	}
	for (r = 0; r < GLB_ROWS; r++)
		rows_buf[r] = lines[r % n];
	return swap_in(t, rows_buf, NULL) ? 1 : 0;
}

/* ---- reading a table */

static int table_map(__u32 t, struct pu_obj *inner)
{
	struct pu_obj tables;
	__u32 id = 0;
	int err;

	if (open_pinned("glb_tables", BPF_MAP_TYPE_ARRAY_OF_MAPS, &tables))
		return -1;
	err = pu_slot_id(&tables, &t, &id);
	pu_close(&tables);
	if (err == -ENOENT || !id) {
		fprintf(stderr, "%s: error: glb_tables[%u] is empty\n", pu_prog, t);
		fprintf(stderr, "Hint: fill it: glb.sh table fill %u BACKEND...\n", t);
		return -1;
	}
	return err ? -1 : pu_open_id(PU_MAP, id, inner);
}

static int read_rows(const struct pu_obj *inner, struct glb_row *rows)
{
	static __u32 keys[GLB_ROWS];
	__u32 count = GLB_ROWS, batch = 0;

	if (bpf_map_lookup_batch(inner->fd, NULL, &batch, keys, rows, &count, NULL) && errno != ENOENT) {
		pu_err(-errno, "cannot read map id %u", inner->id);
		return -1;
	}
	return 0;
}

static void print_ip(const char *pre, __be32 ip, const char *post)
{
	char s[INET_ADDRSTRLEN];

	printf("%s%s%s", pre, inet_ntop(AF_INET, &ip, s, sizeof(s)), post);
}

static int cmp_be32(const void *a, const void *b)
{
	__u32 x = ntohl(*(const __be32 *)a), y = ntohl(*(const __be32 *)b);

	return x < y ? -1 : x > y;
}

/* Rows per backend as primary and as secondary. */
static void print_counts(const struct glb_row *rows)
{
	__be32 ips[2 * GLB_MAX_BACKENDS + 1];
	int n = 0, i, j;

	for (__u32 r = 0; r < GLB_ROWS; r++)
		for (j = 0; j < 2; j++) {
			__be32 ip = j ? rows[r].secondary : rows[r].primary;

			for (i = 0; i < n && ips[i] != ip; i++)
				;
			if (i == n && n < 2 * GLB_MAX_BACKENDS + 1)
				ips[n++] = ip;
		}
	qsort(ips, n, sizeof(ips[0]), cmp_be32);
	if (!json)
		printf("BACKEND\tPRIMARY\tSECONDARY\n");
	for (i = 0; i < n; i++) {
		__u32 p = 0, s = 0;

		for (__u32 r = 0; r < GLB_ROWS; r++) {
			p += rows[r].primary == ips[i];
			s += rows[r].secondary == ips[i];
		}
		print_ip(json ? (i ? ",{\"backend\":\"" : "{\"backend\":\"") : "", ips[i], json ? "\"" : "\t");
		printf(json ? ",\"primary\":%u,\"secondary\":%u}" : "%u\t%u\n", p, s);
	}
}

static void print_rows(const struct glb_row *rows)
{
	for (__u32 r = 0; r < GLB_ROWS; r++) {
		printf("%u", r);
		print_ip("\t", rows[r].primary, "");
		print_ip("\t", rows[r].secondary, "\n");
	}
}

static int cmd_show(int argc, char **argv)
{
	struct pu_obj inner, secrets;
	struct glb_secret k = {};
	char hex[33];
	__u32 t;

	if (argc < 1 || argc > 2 || (argc == 2 && strcmp(argv[1], "--rows")))
		return usage_err("%sshow needs TABLE [--rows]", "");
	if (parse_table(argv[0], &t) || table_map(t, &inner))
		return 1;
	if (read_rows(&inner, rows_buf))
		return 1;
	if (!open_pinned("glb_secrets", BPF_MAP_TYPE_ARRAY, &secrets)) {
		read_secret(secrets.fd, t, &k);
		pu_close(&secrets);
	}
	key_hex(&k, hex);
	if (argc == 2) {
		print_rows(rows_buf);
		return 0;
	}
	if (json) {
		printf("{\"table\":%u,\"map_id\":%u,\"name\":\"%s\",\"rows\":%u,\"key\":\"%s\",\"backends\":[",
		       t, inner.id, inner.name, inner.max_entries, hex);
		print_counts(rows_buf);
		printf("]}\n");
	} else {
		printf("glb_tables[%u]: map id %u (%s), %u rows, key %s\n", t, inner.id, inner.name,
		       inner.max_entries, hex);
		print_counts(rows_buf);
	}
	pu_close(&inner);
	return 0;
}

static int cmd_rows(int argc, char **argv)
{
	struct backend b[GLB_MAX_BACKENDS];
	struct glb_secret k = {};
	int have_key, first;

	if (fill_key(argc, argv, &k, &have_key, &first) || parse_backends(argc - first, argv + first, b))
		return 1;
	fill_rows(&k, b, argc - first, rows_buf);
	print_rows(rows_buf);
	return 0;
}

/* ---- one flow */

struct pkt {
	int family;
	__u8 src[16], dst[16];
	__u16 sport, dport;	/* network order */
	__u8 proto;
};

static int parse_pkt(char **argv, struct pkt *p)
{
	__u8 tmp[16];

	p->family = parse_addr(argv[0], p->src);
	if (!p->family)
		return usage_err("SRC '%s' is not an IPv4 or IPv6 address", argv[0]), -1;
	if (parse_addr(argv[2], p->dst) != p->family)
		return usage_err("VIP '%s' is not an address of the same family as SRC", argv[2]), -1;
	(void)tmp;
	if (parse_port("SPORT", argv[1], &p->sport) || parse_port("PORT", argv[3], &p->dport) ||
	    parse_proto(argv[4], &p->proto))
		return -1;
	return 0;
}

static __u16 csum16(const void *buf, int len, __u32 sum)
{
	const __u8 *b = buf;

	for (int i = 0; i + 1 < len; i += 2)
		sum += b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Ethernet 02:..:01 <- 02:..:02, IPv4 (TTL 64, DF) or IPv6 (hop limit 64), TCP SYN or UDP
 * "bpflab"; L4 checksums 0 (glb_fwd reads ports only). Returns the length. */
static int build_frame(const struct pkt *p, __u8 *f)
{
	static const __u8 eth[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	int l3 = 14, l4len = p->proto == 6 ? 20 : 14, l4, n;

	memcpy(f, eth, 12);
	if (p->family == AF_INET) {
		f[12] = 0x08, f[13] = 0x00;
		memset(f + l3, 0, 20);
		f[l3] = 0x45;
		f[l3 + 2] = (20 + l4len) >> 8, f[l3 + 3] = (20 + l4len) & 0xff;
		f[l3 + 6] = 0x40, f[l3 + 8] = 64, f[l3 + 9] = p->proto;
		memcpy(f + l3 + 12, p->src, 4);
		memcpy(f + l3 + 16, p->dst, 4);
		__u16 c = csum16(f + l3, 20, 0);
		f[l3 + 10] = c >> 8, f[l3 + 11] = c & 0xff;
		l4 = l3 + 20;
	} else {
		f[12] = 0x86, f[13] = 0xdd;
		memset(f + l3, 0, 40);
		f[l3] = 0x60;
		f[l3 + 5] = l4len, f[l3 + 6] = p->proto, f[l3 + 7] = 64;
		memcpy(f + l3 + 8, p->src, 16);
		memcpy(f + l3 + 24, p->dst, 16);
		l4 = l3 + 40;
	}
	memset(f + l4, 0, l4len);
	memcpy(f + l4, &p->sport, 2);
	memcpy(f + l4 + 2, &p->dport, 2);
	if (p->proto == 6) {
		f[l4 + 7] = 1;		/* seq 1 */
		f[l4 + 12] = 0x50;	/* data offset 5 */
		f[l4 + 13] = 0x02;	/* SYN */
		f[l4 + 14] = 0xff, f[l4 + 15] = 0xff;
	} else {
		f[l4 + 5] = l4len;
		memcpy(f + l4 + 8, "bpflab", 6);
	}
	n = l4 + l4len;
	return n;
}

static int cmd_frame(int argc, char **argv)
{
	__u8 f[128];
	struct pkt p;
	FILE *out;
	int n;

	if (argc != 6)
		return usage_err("%sframe needs SRC SPORT VIP PORT PROTO FILE", "");
	if (parse_pkt(argv, &p))
		return 2;
	n = build_frame(&p, f);
	out = fopen(argv[5], "w");
	if (!out || fwrite(f, 1, n, out) != (size_t)n || fclose(out)) {
		pu_err(-errno, "cannot write %s", argv[5]);
		return 1;
	}
	return 0;
}

/* What glb_fwd wrote: outer destination, UDP source port, hop list. */
static int decode_out(const char *file, __be32 *dst, __u16 *sport, __be32 *hop, int *hops)
{
	__u8 f[256];
	FILE *in = fopen(file, "r");
	size_t n;

	if (!in) {
		pu_err(-errno, "cannot read %s", file);
		return -1;
	}
	n = fread(f, 1, sizeof(f), in);
	fclose(in);
	if (n < 14 + 20 + 8 + 8 || f[12] != 0x08 || f[13] != 0 || f[14 + 9] != 17 ||
	    (f[36] << 8 | f[37]) != GLB_GUE_PORT) {
		fprintf(stderr, "%s: error: %s is not a GUE packet\n", pu_prog, file);
		return -1;
	}
	memcpy(dst, f + 30, 4);
	*sport = f[34] << 8 | f[35];
	*hops = f[42 + 7];
	*hop = 0;
	if (*hops && n >= 54)
		memcpy(hop, f + 50, 4);
	return 0;
}

static int cmd_flow(int argc, char **argv)
{
	struct pu_obj binds, secrets, config, inner;
	struct glb_bind bind = {};
	struct glb_config cfg = {};
	struct glb_secret k = {};
	struct glb_row row = {};
	union glb_msg m;
	const char *check = NULL;
	__u32 t, zero = 0, ri, len;
	__u64 hash;
	struct pkt p;
	char hex[33];

	if (argc >= 2 && !strcmp(argv[0], "--check"))
		check = argv[1], argc -= 2, argv += 2;
	if (argc != 5)
		return usage_err("%sflow needs SRC SPORT VIP PORT PROTO", "");
	if (parse_pkt(argv, &p))
		return 2;
	if (open_pinned("glb_binds", BPF_MAP_TYPE_HASH, &binds))
		return 1;
	if (p.family == AF_INET)
		memcpy(&bind.ipv4, p.dst, 4);
	else
		memcpy(bind.ipv6, p.dst, 16);
	bind.proto = p.proto;
	bind.port = p.dport;
	if (bpf_map_lookup_elem(binds.fd, &bind, &t)) {
		fprintf(stderr, "%s: error: %s:%s/%s is not bound\n", pu_prog, argv[2], argv[3],
			p.proto == 6 ? "tcp" : "udp");
		return 1;
	}
	pu_close(&binds);
	if (t >= GLB_TABLES) {
		fprintf(stderr, "%s: error: the bind points at table %u, past glb_tables\n", pu_prog, t);
		return 1;
	}
	if (open_pinned("glb_config", BPF_MAP_TYPE_ARRAY, &config) || bpf_map_lookup_elem(config.fd, &zero, &cfg))
		return 1;
	if (open_pinned("glb_secrets", BPF_MAP_TYPE_ARRAY, &secrets) || read_secret(secrets.fd, t, &k))
		return 1;
	if (table_map(t, &inner))
		return 1;
	len = glb_flow_msg(&m, p.src, p.dst, p.family == AF_INET ? 4 : 16, p.sport, p.dport, p.proto, cfg.flags);
	hash = glb_siphash(&k, &m, len);
	ri = glb_hash_row(hash);
	if (bpf_map_lookup_elem(inner.fd, &ri, &row)) {
		pu_err(-errno, "cannot read row %u of map id %u", ri, inner.id);
		return 1;
	}
	key_hex(&k, hex);
	if (json) {
		printf("{\"table\":%u,\"map_id\":%u,\"hash\":\"%016llx\",\"row\":%u,\"sport\":%u,\"mode\":\"%s\"",
		       t, inner.id, (unsigned long long)hash, ri, glb_hash_sport(hash),
		       cfg.flags & GLB_HASH_5TUPLE ? "5tuple" : "src");
		print_ip(",\"primary\":\"", row.primary, "\"");
		print_ip(",\"secondary\":\"", row.secondary, "\"");
		printf("%s", check ? "," : "}\n");
	} else {
		printf("%s:%s > %s:%s/%s: table %u (map id %u), hash(%s) %016llx -> row %u", argv[0], argv[1],
		       argv[2], argv[3], p.proto == 6 ? "tcp" : "udp", t, inner.id,
		       cfg.flags & GLB_HASH_5TUPLE ? "5-tuple" : "source", (unsigned long long)hash, ri);
		print_ip(": primary ", row.primary, "");
		print_ip(", secondary ", row.secondary, "");
		printf(", GUE source port %u\n", glb_hash_sport(hash));
	}
	if (check) {
		__be32 dst, hop;
		__u16 sport;
		int hops, ok;

		if (decode_out(check, &dst, &sport, &hop, &hops))
			return 1;
		ok = dst == row.primary && sport == glb_hash_sport(hash) && hop == row.secondary &&
		     hops == (row.secondary ? 1 : 0);
		if (json) {
			print_ip("\"program\":{\"dst\":\"", dst, "\"");
			print_ip(",\"hop\":\"", hop, "\"");
			printf(",\"sport\":%u},\"agrees\":%s}\n", sport, ok ? "true" : "false");
		} else {
			print_ip("glb_fwd sent it to ", dst, "");
			print_ip(" (hop list: ", hop, "");
			printf(", source port %u): %s\n", sport, ok ? "as predicted" : "NOT as predicted");
		}
		return ok ? 0 : 1;
	}
	return 0;
}

/* The glb_binds key of VIP PORT PROTO as decimal bytes, for bpftool map update ... key. */
static int cmd_key(int argc, char **argv)
{
	struct glb_bind bind = {};
	const __u8 *b = (const __u8 *)&bind;
	__u8 addr[16];
	__u8 proto;
	__u16 port;
	int fam;

	if (argc != 3)
		return usage_err("%skey needs VIP PORT PROTO", "");
	fam = parse_addr(argv[0], addr);
	if (!fam)
		return usage_err("VIP '%s' is not an IPv4 or IPv6 address", argv[0]);
	if (parse_port("PORT", argv[1], &port) || parse_proto(argv[2], &proto))
		return 2;
	bind.port = port;
	if (fam == AF_INET)
		memcpy(&bind.ipv4, addr, 4);
	else
		memcpy(bind.ipv6, addr, 16);
	bind.proto = proto;
	for (size_t i = 0; i < sizeof(bind); i++)
		printf("%u%s", b[i], i + 1 < sizeof(bind) ? " " : "\n");
	return 0;
}

static int cmd_siphash(int argc, char **argv)
{
	struct glb_secret k;
	union glb_msg m = {};
	size_t n;

	if (argc != 2)
		return usage_err("%ssiphash needs KEY MSG", "");
	if (parse_key(argv[0], &k))
		return 1;
	if (parse_hex(argv[1], m.b, sizeof(m.b) - 1, &n)) {
		fprintf(stderr, "%s: error: message '%s' is not up to %zu hex bytes\n", pu_prog, argv[1], sizeof(m.b) - 1);
		return 1;
	}
	printf("%016llx\n", (unsigned long long)glb_siphash(&k, &m, n));
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "fill", cmd_fill }, { "load", cmd_load }, { "show", cmd_show }, { "flow", cmd_flow },
	{ "rows", cmd_rows }, { "frame", cmd_frame }, { "key", cmd_key }, { "siphash", cmd_siphash },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "pins", required_argument, NULL, 'd' },
		{},
	};
	int c, verbose = 0;
	const char *cmd;

	pu_init(argv[0], 0);
	while ((c = getopt_long(argc, argv, "+vhd:", opts, NULL)) != -1) {
		switch (c) {
		case 'v': verbose = 1; break;
		case 'j': json = 1; break;
		case 'd': pin_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	pu_init(argv[0], verbose);
	if (optind >= argc)
		return usage_err("%smissing command", "");
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(argc, argv);
	return usage_err("unknown command '%s'", cmd);
}
