/* SPDX-License-Identifier: GPL-2.0 */
/* Differential fuzzing of the XDP packet parsers (build/xdpfuzz): generated frames run through
 * each BPF program with BPF_PROG_TEST_RUN, and the verdict, the output bytes and the map side
 * effects are compared with a user-space reference written from the protocol specifications.
 */
#ifndef BPFLAB_FUZZ_H
#define BPFLAB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Largest frame generated: 1500-byte MTU + Ethernet + three VLAN tags + some slack. */
#define FRAME_MAX	1536
#define FIELDS_MAX	96

/* The GLB target's VIPs (198.19.1.1, 2001:db8::1): half the generated IP frames go there. */
#define FUZZ_GLB_VIP4	{ 198, 19, 1, 1 }
#define FUZZ_GLB_VIP6	{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }

/* ---- frame generator (gen.c) */
struct rng {
	uint64_t s;
};

uint64_t rng_next(struct rng *r);
unsigned int rng_below(struct rng *r, unsigned int n);

struct field {
	uint16_t off, len;
};

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
	const char *kind;		/* how it was made: "valid", "mutated", "truncated", ... */
	struct field f[FIELDS_MAX];	/* header fields of a built frame, for mutation */
	int nf;
};

struct gen;
struct gen *gen_new(uint64_t seed);
void gen_free(struct gen *g);
/* The next frame of the stream; the stream depends on the seed only. */
void gen_next(struct gen *g, struct frame *fr);

/* ---- reference (ref.c): what the specifications say a frame is */
/* Limits the programs document and the reference applies the same way (not from the spec):
 * at most two VLAN tags, at most six IPv6 extension headers (RFC 8200 4.1's recommended
 * order has at most six before the upper layer: HBH, DestOpts, Routing, Fragment, AH, DestOpts).
 */
#define REF_MAX_TAGS	2
#define REF_MAX_EXT	6

struct ref_pkt {
	unsigned int ethertype;	/* after at most REF_MAX_TAGS tags; 0 if the frame ends first */
	int ip;			/* 4 or 6: a well-formed IP header whose lengths fit the frame */
	int proto;		/* upper-layer protocol number when ip != 0 */
	const uint8_t *l4;	/* upper-layer message, NULL when not in this packet (a later fragment) */
	size_t l4_len;		/* its length by the IP length fields (never past the frame) */
};

void ref_parse(const uint8_t *f, size_t len, struct ref_pkt *p);
int ref_is_echo_reply(const struct ref_pkt *p);
/* Destination port of a UDP (17) or TCP (6) header that is there whole; -1 otherwise. */
int ref_dst_port(const struct ref_pkt *p);

/* XDP actions (the UAPI values) */
enum { XDP_ABORTED_ = 0, XDP_DROP_ = 1, XDP_PASS_ = 2, XDP_TX_ = 3, XDP_REDIRECT_ = 4 };

/* ---- targets (targets.c): one program (or chain) under test and its reference */
struct outcome {
	int err;		/* 0, or the negative errno of BPF_PROG_TEST_RUN */
	uint32_t retval;
	uint8_t out[FRAME_MAX + 64];
	uint32_t out_len;
};

struct target {
	const char *name;	/* -t NAME */
	const char *what;	/* one line for -l */
	/* Load the objects from BUILD; set prog_fd. Returns 0 or a negative errno. */
	int (*setup)(struct target *t, const char *build);
	/* The reference: the outcome the specifications call for. */
	void (*expect)(struct target *t, const uint8_t *f, size_t len, struct outcome *want);
	/* Optional: check the run's side effects (maps); 0 if right, else -1 with why[] filled. */
	int (*check)(struct target *t, const uint8_t *f, size_t len, const struct outcome *got,
		     char *why, size_t whylen);
	void (*teardown)(struct target *t);
	int prog_fd;
	void *priv;
};

/* -o NAME=OBJ: load OBJ wherever a target loads BUILD/NAME.bpf.o (a student's build of the
 * program, graded by scripts/check.sh). */
extern const char *fuzz_obj_name, *fuzz_obj_path;

/* ---- the GLB director's reference (ref_glb.c) */
struct ref_glb_bind {
	int ip;			/* 4 or 6 */
	uint8_t addr[16];	/* the VIP (4 or 16 bytes) */
	int proto;		/* 6 or 17 */
	unsigned int port;
	int has_table;		/* a table map in its slot */
	uint32_t table;
	uint8_t key[16];	/* the table's SipHash key, as its bytes */
};

struct ref_glb {
	const struct ref_glb_bind *binds;
	int n_binds;
	uint8_t director[4];	/* outer source address */
	/* The test data: primary and secondary (network order) of row R of table T. */
	void (*row)(uint32_t t, uint32_t r, uint8_t primary[4], uint8_t secondary[4]);
};

uint64_t ref_siphash(const uint8_t key[16], const uint8_t *m, size_t n);
/* 0 when ref_siphash gives the SipHash paper's vectors. */
int ref_siphash_selftest(void);
void ref_glb_expect(const struct ref_glb *g, const uint8_t *f, size_t len, struct outcome *want);

extern struct target *targets[];
/* -W: a deliberately wrong reference (echo replies pass, everything else is dropped), to see
 * the harness report and save mismatches. */
extern int ref_wrong;

/* Frames shorter than an Ethernet header: BPF_PROG_TEST_RUN refuses them for XDP (EINVAL). */
void expect_refused_if_short(size_t len, struct outcome *want);

#endif
