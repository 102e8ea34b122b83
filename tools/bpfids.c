// SPDX-License-Identifier: GPL-2.0
/* bpfids: print the ids of every loaded BPF program, map and link, one "KIND ID" per line,
 * without opening any of them.
 *
 * `bpftool prog|map|link list` opens each object by id to describe it. Opening takes a
 * reference, and on this kernel (6.18) opening a PROG_ARRAY by id while its deferred flush
 * is pending leaks one reference for good (prog_array_map_clear() queues its work item
 * twice). The tests' before/after snapshots only need the ids, so they take them this way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

typedef int (*next_id_fn)(__u32 start, __u32 *next);

static int list(const char *kind, next_id_fn next)
{
	__u32 id = 0;

	while (!next(id, &id))
		printf("%s %u\n", kind, id);
	if (errno != ENOENT) {
		fprintf(stderr, "bpfids: listing %s ids: %s\n", kind, strerror(errno));
		if (errno == EPERM)
			fprintf(stderr, "Hint: run as root\n");
		return 1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: bpfids [-h]\n"
		   "Print the id of every loaded BPF program, map and link: \"prog ID\", \"map ID\",\n"
		   "\"link ID\" lines, without opening any of them.\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "bpfids: unexpected argument '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	return list("prog", bpf_prog_get_next_id) | list("map", bpf_map_get_next_id) |
	       list("link", bpf_link_get_next_id);
}
