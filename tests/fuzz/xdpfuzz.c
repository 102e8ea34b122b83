// SPDX-License-Identifier: GPL-2.0
/* build/xdpfuzz: differential fuzzing of the project's XDP packet parsers.
 *
 *   xdpfuzz [-n FRAMES] [-s SEED] [-t TARGET]... [-r DIR] [-S DIR] [-b BUILD] [-x INDEX] [-l] [-v] [-W]
 *
 * Every frame of one seeded stream (gen.c) runs through each target's program with
 * BPF_PROG_TEST_RUN; the return value, the output bytes and the program's map side effects
 * must be what the reference (ref.c, from the specifications) says. Frames in the regression
 * directory (-r) run first. A mismatch is printed with the frame, saved to -S DIR, and makes
 * the exit status 1.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "fuzz.h"
#include "numarg.h"

#define MAX_SAVED	40
#define MAX_PRINTED	10

struct stats {
	unsigned long runs, refused, verdict[6], mismatches;
	double seconds;
};

static struct {
	const char *save_dir;
	int saved, printed, verbose;
	char kinds[MAX_SAVED][160];
	unsigned long long seed;
} opt;

static void usage(FILE *out, int rc)
{
	fprintf(out,
		"Usage: xdpfuzz [-n FRAMES] [-s SEED] [-t TARGET]... [-r DIR] [-S DIR] [-b BUILD] [-o NAME=OBJ] [-x INDEX] [-l] [-v] [-W]\n"
		"  -n FRAMES  frames of the generated stream per target (default 20000)\n"
		"  -s SEED    seed of the stream (default: a random one, printed)\n"
		"  -t TARGET  only this target (repeatable; -l lists them)\n"
		"  -r DIR     replay the regression frames DIR/*.hex first\n"
		"  -S DIR     save one frame per kind of mismatch there (at most %d)\n"
		"  -b BUILD   where the BPF objects are (default build)\n"
		"  -o NAME=OBJ  load OBJ instead of BUILD/NAME.bpf.o (e.g. -t glb -o glb=mine.bpf.o)\n"
		"  -x INDEX   run only frame INDEX of the stream (reproduce a mismatch)\n"
		"  -v         print every frame run with -x, matching or not\n"
		"  -l         list the targets\n"
		"  -W         a deliberately wrong reference (echo replies pass): shows what a mismatch looks like\n",
		MAX_SAVED);
	exit(rc);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("xdpfuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static unsigned long long number(const char *what, const char *s)
{
	uint64_t v;

	if (numarg_u64(s, 0, 0, UINT64_MAX, &v)) {
		fprintf(stderr, "xdpfuzz: %s: '%s' is not a number\n", what, s);
		usage(stderr, 2);
	}
	return v;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hexdump(FILE *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x%s", b[i], (i % 16 == 15 || i + 1 == n) ? "\n" : " ");
}

static void describe(FILE *out, const struct outcome *o)
{
	if (o->err)
		fprintf(out, "refused (%s)", strerror(-o->err));
	else
		fprintf(out, "retval %u, %u bytes out", o->retval, o->out_len);
}

static void mismatch(struct target *t, const char *where, const struct frame *fr,
		     const struct outcome *want, const struct outcome *got, const char *why)
{
	FILE *f;
	char path[4096], kind[sizeof(opt.kinds[0])];

	if (opt.printed++ < MAX_PRINTED) {
		printf("MISMATCH %s on %s (%s, %zu bytes): want ", t->name, where, fr->kind, fr->len);
		describe(stdout, want);
		printf(", got ");
		describe(stdout, got);
		printf("%s%s\n", why[0] ? "; " : "", why);
		if (!got->err && !want->err && got->out_len == want->out_len)
			for (uint32_t i = 0; i < got->out_len; i++)
				if (got->out[i] != want->out[i]) {
					printf("  output differs from byte %u\n", i);
					break;
				}
		hexdump(stdout, fr->b, fr->len);
	}
	/* Frames replayed from the regression directory are kept there already; of the others,
	 * one per kind of mismatch (target, frame kind, wanted and got outcome). */
	if (!opt.save_dir || opt.saved >= MAX_SAVED || !strcmp(fr->kind, "regression"))
		return;
	snprintf(kind, sizeof(kind), "%s %s %d/%u %d/%u %.*s", t->name, fr->kind, want->err,
		 want->retval, got->err, got->retval, (int)strcspn(why, "="), why);
	for (int i = 0; i < opt.saved; i++)
		if (!strcmp(opt.kinds[i], kind))
			return;
	memcpy(opt.kinds[opt.saved], kind, sizeof(kind));
	snprintf(path, sizeof(path), "%s/%s-%llu-%d.hex", opt.save_dir, t->name, opt.seed, opt.saved++);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "xdpfuzz: cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# xdpfuzz mismatch: %s on %s (%s); want ", t->name, where, fr->kind);
	describe(f, want);
	fprintf(f, ", got ");
	describe(f, got);
	fprintf(f, "%s%s\n", why[0] ? "; " : "", why);
	hexdump(f, fr->b, fr->len);
	fclose(f);
	printf("  saved as %s\n", path);
}

/* One frame through one target; returns 1 on a mismatch. */
static int run_one(struct target *t, struct stats *st, const struct frame *fr, const char *where)
{
	static struct outcome want, got;
	char why[256] = "";
	double t0 = now();
	int bad;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = fr->b, .data_size_in = (__u32)fr->len,
		    .data_out = got.out, .data_size_out = sizeof(got.out), .repeat = 1);

	got.err = bpf_prog_test_run_opts(t->prog_fd, &o);
	got.retval = o.retval;
	got.out_len = o.data_size_out;
	t->expect(t, fr->b, fr->len, &want);
	bad = got.err != want.err;
	if (!bad && !got.err)
		bad = got.retval != want.retval || got.out_len != want.out_len ||
		      memcmp(got.out, want.out, got.out_len);
	/* Always: the check keeps the expected map state in step with every run. */
	if (t->check && t->check(t, fr->b, fr->len, &got, why, sizeof(why)))
		bad = 1;
	st->runs++;
	if (got.err)
		st->refused++;
	else
		st->verdict[got.retval < 5 ? got.retval : 5]++;
	if (bad) {
		st->mismatches++;
		mismatch(t, where, fr, &want, &got, why);
	}
	if (opt.verbose) {
		printf("%s: want ", t->name);
		describe(stdout, &want);
		printf(", got ");
		describe(stdout, &got);
		printf("\n");
	}
	st->seconds += now() - t0;
	return bad;
}

static int read_hex(const char *path, struct frame *fr)
{
	FILE *f = fopen(path, "r");
	char line[4096];

	if (!f)
		return -errno;
	fr->len = 0;
	fr->nf = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		if (line[0] == '#')
			continue;
		for (;;) {
			unsigned long v = strtoul(p, &end, 16);

			if (end == p)
				break;
			if (v > 0xff || fr->len >= FRAME_MAX) {
				fclose(f);
				return -EINVAL;
			}
			fr->b[fr->len++] = (uint8_t)v;
			p = end;
		}
	}
	fclose(f);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every DIR/NAME.hex through every target. */
static void replay(const char *dir, struct target **ts, struct stats *st)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[4096];
	size_t n = 0;
	static struct frame fr;

	if (!d)
		die("cannot read %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) && n < 4096) {
		size_t l = strlen(e->d_name);

		if (l > 4 && !strcmp(e->d_name + l - 4, ".hex"))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (read_hex(path, &fr))
			die("%s: not a hex frame file", path);
		fr.kind = "regression";
		for (int k = 0; ts[k]; k++)
			run_one(ts[k], &st[k], &fr, path);
		free(names[i]);
	}
	printf("regression frames: %zu from %s\n", n, dir);
}

int main(int argc, char **argv)
{
	static struct target *ts[16];
	static struct stats st[16];
	static struct frame fr;
	const char *build = "build", *regress = NULL;
	unsigned long long frames = 20000, only = ~0ULL;
	unsigned long total_bad = 0, total_runs = 0;
	int nt = 0, c, have_seed = 0;
	struct gen *g;
	double t0;

	while ((c = getopt(argc, argv, "n:s:t:r:S:b:o:x:lvWh")) != -1) {
		switch (c) {
		case 'n': frames = number("-n", optarg); break;
		case 's': opt.seed = number("-s", optarg); have_seed = 1; break;
		case 'r': regress = optarg; break;
		case 'S': opt.save_dir = optarg; break;
		case 'b': build = optarg; break;
		case 'o':
			fuzz_obj_path = strchr(optarg, '=');
			if (!fuzz_obj_path || fuzz_obj_path == optarg || !fuzz_obj_path[1]) {
				fprintf(stderr, "xdpfuzz: -o wants NAME=OBJ, e.g. glb=mine.bpf.o\n");
				exit(2);
			}
			fuzz_obj_name = strndup(optarg, (size_t)(fuzz_obj_path - optarg));
			fuzz_obj_path++;
			break;
		case 'x': only = number("-x", optarg); break;
		case 'v': opt.verbose = 1; break;
		case 'W': ref_wrong = 1; break;
		case 't': {
			int k = 0;

			while (targets[k] && strcmp(targets[k]->name, optarg))
				k++;
			if (!targets[k]) {
				fprintf(stderr, "xdpfuzz: no target '%s' (-l lists them)\n", optarg);
				exit(2);
			}
			if (nt < 15)
				ts[nt++] = targets[k];
			break;
		}
		case 'l':
			for (int k = 0; targets[k]; k++)
				printf("%-16s %s\n", targets[k]->name, targets[k]->what);
			return 0;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	if (geteuid() != 0)
		die("must run as root (BPF_PROG_TEST_RUN needs CAP_BPF and CAP_NET_ADMIN)");
	if (!nt)
		while (targets[nt])
			ts[nt] = targets[nt], nt++;
	if (!have_seed && getrandom(&opt.seed, sizeof(opt.seed), 0) != sizeof(opt.seed))
		opt.seed = (unsigned long long)time(NULL) ^ (unsigned long long)getpid() << 32;
	opt.verbose = opt.verbose && only != ~0ULL;

	libbpf_set_print(print_libbpf);
	for (int k = 0; k < nt; k++) {
		int err = ts[k]->setup(ts[k], build);

		if (err) {
			for (int j = 0; j <= k; j++)
				ts[j]->teardown(ts[j]);
			die("cannot set up %s: %s (run make first?)", ts[k]->name, strerror(-err));
		}
	}

	if (opt.save_dir && mkdir(opt.save_dir, 0755) && errno != EEXIST)
		die("cannot make %s: %s", opt.save_dir, strerror(errno));
	t0 = now();
	if (regress)
		replay(regress, ts, st);
	g = gen_new(opt.seed);
	if (!g)
		die("out of memory");
	printf("seed %llu: %llu frames per target (again: make fuzz SEED=%llu FUZZ_FRAMES=%llu)\n",
	       opt.seed, only == ~0ULL ? frames : 1, opt.seed, frames);
	for (unsigned long long i = 0; i < frames || (only != ~0ULL && i <= only); i++) {
		char where[64];

		gen_next(g, &fr);
		if (only != ~0ULL && i != only)
			continue;
		snprintf(where, sizeof(where), "seed %llu frame %llu", opt.seed, i);
		if (opt.verbose)
			hexdump(stdout, fr.b, fr.len);
		for (int k = 0; k < nt; k++)
			run_one(ts[k], &st[k], &fr, where);
		if (only != ~0ULL)
			break;
	}
	gen_free(g);

	printf("%-16s %9s %8s %8s %8s %8s %8s %8s %10s %10s\n", "target", "runs", "refused",
	       "ABORTED", "DROP", "PASS", "TX", "other", "mismatch", "runs/s");
	for (int k = 0; k < nt; k++) {
		struct stats *s = &st[k];

		printf("%-16s %9lu %8lu %8lu %8lu %8lu %8lu %8lu %10lu %10.0f\n", ts[k]->name, s->runs,
		       s->refused, s->verdict[0], s->verdict[1], s->verdict[2], s->verdict[3],
		       s->verdict[4] + s->verdict[5], s->mismatches, s->seconds > 0 ? s->runs / s->seconds : 0);
		total_bad += s->mismatches;
		total_runs += s->runs;
		ts[k]->teardown(ts[k]);
	}
	printf("%lu runs, %lu mismatches, %.1f s (seed %llu)\n", total_runs, total_bad, now() - t0, opt.seed);
	return total_bad ? 1 : 0;
}
