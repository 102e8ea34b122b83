// SPDX-License-Identifier: GPL-2.0
/* The programs under test, each with its reference outcome. Adding one (the GLB forwarder,
 * say) is one more struct target in targets[]: a setup that loads the object and fills its
 * maps, an expect() that computes verdict and output bytes from ref.c (or a reference of its
 * own), and, when the program keeps state, a check() that reads it back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "fuzz.h"

void expect_refused_if_short(size_t len, struct outcome *want)
{
	if (len < 14)
		want->err = -EINVAL;
}

/* Nothing changes the frame: the output is the input (metadata included in none). */
static void expect_verdict(const uint8_t *f, size_t len, uint32_t verdict, struct outcome *want)
{
	memset(want, 0, offsetof(struct outcome, out));
	want->retval = verdict;
	memcpy(want->out, f, len);
	want->out_len = (uint32_t)len;
	expect_refused_if_short(len, want);
}

/* ---- loading: one object, or chain members sharing the root's maps */
struct loaded {
	struct bpf_object *obj[8];
	int n;
};

const char *fuzz_obj_name, *fuzz_obj_path;

static const char *const chain_maps[] = { "root_array", "chain_cfg", "chain_runs", "xdpcap_hook" };

/* Open BUILD/NAME.bpf.o; with ROOT, reuse its chain maps (as `chain.sh add` does by pin). */
static struct bpf_object *load(struct loaded *l, const char *build, const char *name,
			       struct bpf_object *root)
{
	char path[4096];
	struct bpf_object *obj;
	int err;

	if (fuzz_obj_name && !strcmp(name, fuzz_obj_name))
		snprintf(path, sizeof(path), "%s", fuzz_obj_path);
	else
		snprintf(path, sizeof(path), "%s/%s.bpf.o", build, name);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "xdpfuzz: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (size_t i = 0; root && i < sizeof(chain_maps) / sizeof(chain_maps[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, chain_maps[i]);
		struct bpf_map *rm = bpf_object__find_map_by_name(root, chain_maps[i]);

		if (m && rm && bpf_map__reuse_fd(m, bpf_map__fd(rm))) {
			fprintf(stderr, "xdpfuzz: %s: cannot share map %s\n", path, chain_maps[i]);
			bpf_object__close(obj);
			return NULL;
		}
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "xdpfuzz: cannot load %s: %s\n", path, strerror(-err));
		bpf_object__close(obj);
		return NULL;
	}
	l->obj[l->n++] = obj;
	return obj;
}

static int prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	return p ? bpf_program__fd(p) : -ENOENT;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

/* Empty every prog array first: programs in them hold the arrays back (see PITFALLS). */
static void unload(struct loaded *l)
{
	for (int i = l->n - 1; i >= 0; i--) {
		struct bpf_map *m;

		bpf_object__for_each_map(m, l->obj[i]) {
			if (bpf_map__type(m) != BPF_MAP_TYPE_PROG_ARRAY)
				continue;
			for (__u32 k = 0; k < bpf_map__max_entries(m); k++)
				bpf_map_delete_elem(bpf_map__fd(m), &k);
		}
	}
	for (int i = l->n - 1; i >= 0; i--)
		bpf_object__close(l->obj[i]);
	l->n = 0;
}

static void teardown(struct target *t)
{
	if (t->priv) {
		unload(t->priv);
		free(t->priv);
		t->priv = NULL;
	}
}

static struct loaded *loaded_new(struct target *t)
{
	return t->priv = calloc(1, sizeof(struct loaded));
}

/* ---- per-protocol counter (xdp_count) */
#define COUNT_NOT_IP 255
struct counter {
	int fd;
	uint64_t want[256];
};

static unsigned int count_key(const uint8_t *f, size_t len)
{
	struct ref_pkt p;

	ref_parse(f, len, &p);
	return p.ip ? (unsigned int)p.proto : COUNT_NOT_IP;
}

/* One more frame counted under KEY: is the map's value what it should be? */
static int counter_check(struct counter *c, unsigned int key, const char *who, char *why, size_t whylen)
{
	__u32 k = key;
	__u64 v = 0;

	c->want[key]++;
	if (!bpf_map_lookup_elem(c->fd, &k, &v) && v == c->want[key])
		return 0;
	snprintf(why, whylen, "%s: proto_count[%u] = %llu, want %llu (frame counted elsewhere)",
		 who, key, (unsigned long long)v, (unsigned long long)c->want[key]);
	/* Start again from what the map holds, so one mismatch is reported once. */
	for (k = 0; k < 256; k++)
		if (bpf_map_lookup_elem(c->fd, &k, &c->want[k]))
			c->want[k] = 0;
	return -1;
}

/* ---- port filter rules: (proto, port) -> verdict, the same for every target using them */
static const struct { uint8_t proto; uint16_t port; uint32_t verdict; } rules[] = {
	{ 17, 9, XDP_DROP_ }, { 6, 80, XDP_DROP_ }, { 17, 53, XDP_TX_ }, { 6, 22, XDP_PASS_ },
	{ 6, 443, XDP_ABORTED_ }, { 17, 7, XDP_DROP_ },
};

static int rules_fill(int fd)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		uint8_t key[4] = { rules[i].proto, 0, (uint8_t)(rules[i].port >> 8), (uint8_t)rules[i].port };

		if (bpf_map_update_elem(fd, key, &rules[i].verdict, BPF_ANY))
			return -errno;
	}
	return 0;
}

static uint32_t rules_verdict(const uint8_t *f, size_t len)
{
	struct ref_pkt p;
	int port;

	ref_parse(f, len, &p);
	port = ref_dst_port(&p);
	for (size_t i = 0; port >= 0 && i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].proto == p.proto && rules[i].port == port)
			return rules[i].verdict;
	return XDP_PASS_;
}

int ref_wrong;

static uint32_t ping_verdict(const uint8_t *f, size_t len)
{
	struct ref_pkt p;

	ref_parse(f, len, &p);
	return ref_is_echo_reply(&p) != ref_wrong ? XDP_DROP_ : XDP_PASS_;
}

/* ---- lab 2: xdp_drop_ping on its own */
static int drop_ping_setup(struct target *t, const char *build)
{
	struct loaded *l = loaded_new(t);
	struct bpf_object *o = l ? load(l, build, "xdp_drop_ping", NULL) : NULL;

	t->prog_fd = o ? prog_fd(o, "xdp_drop_ping") : -ENOENT;
	return t->prog_fd < 0 ? t->prog_fd : 0;
}

static void drop_ping_expect(struct target *t, const uint8_t *f, size_t len, struct outcome *want)
{
	(void)t;
	expect_verdict(f, len, ping_verdict(f, len), want);
}

/* ---- port filter on its own */
static int portfilter_setup(struct target *t, const char *build)
{
	struct loaded *l = loaded_new(t);
	struct bpf_object *o = l ? load(l, build, "xdp_portfilter", NULL) : NULL;

	if (!o)
		return -ENOENT;
	t->prog_fd = prog_fd(o, "xdp_portfilter");
	return t->prog_fd < 0 ? t->prog_fd : rules_fill(map_fd(o, "port_rules"));
}

static void portfilter_expect(struct target *t, const uint8_t *f, size_t len, struct outcome *want)
{
	(void)t;
	expect_verdict(f, len, rules_verdict(f, len), want);
}

/* ---- counter on its own */
struct count_priv {
	struct loaded l;	/* first: teardown() frees the whole struct */
	struct counter c;
};

static int count_setup(struct target *t, const char *build)
{
	struct count_priv *cp = calloc(1, sizeof(*cp));
	struct bpf_object *o;

	if (!cp)
		return -ENOMEM;
	t->priv = cp;
	o = load(&cp->l, build, "xdp_count", NULL);
	if (!o)
		return -ENOENT;
	cp->c.fd = map_fd(o, "proto_count");
	t->prog_fd = prog_fd(o, "xdp_count");
	return t->prog_fd < 0 ? t->prog_fd : 0;
}

static void pass_expect(struct target *t, const uint8_t *f, size_t len, struct outcome *want)
{
	(void)t;
	expect_verdict(f, len, XDP_PASS_, want);
}

static int count_check(struct target *t, const uint8_t *f, size_t len, const struct outcome *got,
		       char *why, size_t whylen)
{
	struct count_priv *cp = t->priv;

	if (got->err)
		return 0;
	return counter_check(&cp->c, count_key(f, len), "xdp_count", why, whylen);
}

/* ---- the chain lab: xdp_root; slot 0 xdp_count, 2 xdp_drop_ping_member, 4 xdp_portfilter,
 * 5 xdp_count_indirect. A DROP ends the chain; so does any verdict but PASS (chain_cfg 0). */
struct chain_priv {
	struct loaded l;
	struct counter c0, c5;
};

static int chain_setup(struct target *t, const char *build)
{
	static const struct { __u32 slot; const char *obj, *prog; } members[] = {
		{ 0, "xdp_count", "xdp_count" },
		{ 2, "xdp_drop_ping_member", "xdp_drop_ping" },
		{ 4, "xdp_portfilter", "xdp_portfilter" },
		{ 5, "xdp_count_indirect", "xdp_count" },
	};
	struct chain_priv *cp = calloc(1, sizeof(*cp));
	struct bpf_object *root, *o;
	int fd;

	if (!cp)
		return -ENOMEM;
	t->priv = cp;
	root = load(&cp->l, build, "xdp_root", NULL);
	if (!root)
		return -ENOENT;
	t->prog_fd = prog_fd(root, "xdp_root");
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		o = load(&cp->l, build, members[i].obj, root);
		if (!o)
			return -ENOENT;
		fd = prog_fd(o, members[i].prog);
		if (fd < 0 || bpf_map_update_elem(map_fd(root, "root_array"), &members[i].slot, &fd, BPF_ANY))
			return fd < 0 ? fd : -errno;
		if (members[i].slot == 0)
			cp->c0.fd = map_fd(o, "proto_count");
		if (members[i].slot == 5)
			cp->c5.fd = map_fd(o, "proto_count");
		if (members[i].slot == 4 && rules_fill(map_fd(o, "port_rules")))
			return -errno;
	}
	return t->prog_fd < 0 ? t->prog_fd : 0;
}

static uint32_t chain_verdict(const uint8_t *f, size_t len, int *reached_5)
{
	uint32_t v = ping_verdict(f, len);

	if (v == XDP_PASS_)
		v = rules_verdict(f, len);
	*reached_5 = v == XDP_PASS_;
	return v;
}

static void chain_expect(struct target *t, const uint8_t *f, size_t len, struct outcome *want)
{
	int reached;

	(void)t;
	/* The root's 8 bytes of metadata are gone again when the chain ends. */
	expect_verdict(f, len, chain_verdict(f, len, &reached), want);
}

static int chain_check(struct target *t, const uint8_t *f, size_t len, const struct outcome *got,
		       char *why, size_t whylen)
{
	struct chain_priv *cp = t->priv;
	unsigned int key = count_key(f, len);
	int reached, bad;

	if (got->err)
		return 0;
	chain_verdict(f, len, &reached);
	bad = counter_check(&cp->c0, key, "slot 0 xdp_count", why, whylen);
	if (reached && counter_check(&cp->c5, key, "slot 5 xdp_count_indirect", why, whylen))
		bad = -1;
	return bad;
}

/* ---- the GLB director (glb_fwd): binds TCP 80 and UDP 53 on the IPv4 VIP, TCP 80 and UDP 53
 * on the IPv6 VIP (fuzz.h); the last has no table in its slot. Table rows: a pattern with
 * empty rows (every 13th) and rows without a secondary (every 4th). */
static void glb_row(uint32_t t, uint32_t r, uint8_t primary[4], uint8_t secondary[4])
{
	const uint8_t p[4] = { 198, 18, (uint8_t)(100 + t), (uint8_t)r };
	const uint8_t s[4] = { 198, 18, (uint8_t)(110 + t), (uint8_t)(r >> 8) };

	memcpy(primary, r % 13 ? p : (const uint8_t[4]){ 0 }, 4);
	memcpy(secondary, r % 4 ? s : (const uint8_t[4]){ 0 }, 4);
}

#define GLB_KEY(t) { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, t }
static const struct ref_glb_bind glb_binds[] = {
	{ 4, FUZZ_GLB_VIP4, 6, 80, 1, 0, GLB_KEY(0) },
	{ 4, FUZZ_GLB_VIP4, 17, 53, 1, 1, GLB_KEY(1) },
	{ 6, FUZZ_GLB_VIP6, 6, 80, 1, 2, GLB_KEY(2) },
	{ 6, FUZZ_GLB_VIP6, 17, 53, 0, 3, GLB_KEY(3) },
};
static const struct ref_glb glb_ref = {
	.binds = glb_binds, .n_binds = 4, .director = { 198, 18, 41, 2 }, .row = glb_row,
};

/* A table of 65536 rows in one batch, put in slot T of glb_tables. */
static int glb_table_fill(int outer, uint32_t t)
{
	static uint32_t keys[0x10000];
	static uint8_t rows[0x10000][8];
	__u32 count = 0x10000;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "glbfuzz_table", 4, 8, 0x10000, NULL), err;

	if (fd < 0)
		return -errno;
	for (uint32_t r = 0; r < 0x10000; r++) {
		keys[r] = r;
		glb_row(t, r, rows[r], rows[r] + 4);
	}
	err = bpf_map_update_batch(fd, keys, rows, &count, NULL) ||
	      bpf_map_update_elem(outer, &t, &fd, BPF_ANY) ? -errno : 0;
	close(fd);	/* glb_tables holds it now */
	return err;
}

static int glb_setup(struct target *t, const char *build)
{
	struct loaded *l = loaded_new(t);
	struct bpf_object *o = l ? load(l, build, "glb", NULL) : NULL;
	uint8_t config[8] = { 0 };
	__u32 zero = 0;

	if (!o)
		return -ENOENT;
	if (ref_siphash_selftest()) {
		fprintf(stderr, "xdpfuzz: the reference SipHash-2-4 misses the paper's vectors\n");
		return -EINVAL;
	}
	memcpy(config, glb_ref.director, 4);	/* flags 0: the source address is hashed */
	if (bpf_map_update_elem(map_fd(o, "glb_config"), &zero, config, BPF_ANY))
		return -errno;
	for (int i = 0; i < glb_ref.n_binds; i++) {
		const struct ref_glb_bind *b = &glb_binds[i];
		uint8_t key[24] = { 0 };	/* struct glb_bind: ipv4, ipv6[16], proto (LE), port */

		memcpy(b->ip == 4 ? key : key + 4, b->addr, b->ip == 4 ? 4 : 16);
		key[20] = (uint8_t)b->proto;
		key[22] = (uint8_t)(b->port >> 8);
		key[23] = (uint8_t)b->port;
		if (bpf_map_update_elem(map_fd(o, "glb_binds"), key, &b->table, BPF_ANY) ||
		    bpf_map_update_elem(map_fd(o, "glb_secrets"), &b->table, b->key, BPF_ANY))
			return -errno;
		if (b->has_table && glb_table_fill(map_fd(o, "glb_tables"), b->table))
			return -errno;
	}
	t->prog_fd = prog_fd(o, "glb_fwd");
	return t->prog_fd < 0 ? t->prog_fd : 0;
}

static void glb_expect(struct target *t, const uint8_t *f, size_t len, struct outcome *want)
{
	(void)t;
	ref_glb_expect(&glb_ref, f, len, want);
}

static struct target t_drop_ping = {
	.name = "xdp_drop_ping", .what = "lab 2: ICMP/ICMPv6 echo replies dropped, all else passes",
	.setup = drop_ping_setup, .expect = drop_ping_expect, .teardown = teardown,
};
static struct target t_count = {
	.name = "xdp_count", .what = "counter alone: PASS, proto_count[upper-layer protocol or 255]",
	.setup = count_setup, .expect = pass_expect, .check = count_check, .teardown = teardown,
};
static struct target t_portfilter = {
	.name = "xdp_portfilter", .what = "port filter alone, rules UDP 9/7 drop, 53 TX; TCP 80 drop, 22 pass, 443 aborted",
	.setup = portfilter_setup, .expect = portfilter_expect, .teardown = teardown,
};
static struct target t_chain = {
	.name = "chain", .what = "xdp_root: 0 xdp_count, 2 xdp_drop_ping_member, 4 xdp_portfilter, 5 xdp_count_indirect",
	.setup = chain_setup, .expect = chain_expect, .check = chain_check, .teardown = teardown,
};

static struct target t_glb = {
	.name = "glb", .what = "GLB director glb_fwd: GUE to the row's primary, secondary as hop; VIPs TCP 80, UDP 53",
	.setup = glb_setup, .expect = glb_expect, .teardown = teardown,
};

struct target *targets[] = { &t_drop_ping, &t_count, &t_portfilter, &t_chain, &t_glb, NULL };
