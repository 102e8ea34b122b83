// SPDX-License-Identifier: GPL-2.0
/* mapprogs: the programs attached to a pinned SOCKMAP or SOCKHASH (msg_verdict, stream_parser,
 * stream_verdict, skb_verdict), one "ATTACH_TYPE ID" per line, or a JSON array with --json.
 *
 * `bpftool prog attach PROG msg_verdict MAP` puts a program on a map, but bpftool 7.1 cannot
 * show it again: `bpftool net`, `map show` and `cgroup` know nothing of map attachments. The
 * kernel answers BPF_PROG_QUERY on a sockmap fd (since 6.0); scripts/graph.sh asks it here.
 * Opens the map by its pin only (never by id, see PITFALLS).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "pinutil.h"

static const struct {
	enum bpf_attach_type type;
	const char *name;	/* bpftool's word for it */
} hooks[] = {
	{ BPF_SK_MSG_VERDICT, "msg_verdict" },
	{ BPF_SK_SKB_STREAM_PARSER, "stream_parser" },
	{ BPF_SK_SKB_STREAM_VERDICT, "stream_verdict" },
	{ BPF_SK_SKB_VERDICT, "skb_verdict" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-v] [--json] MAP_PIN\n"
		"\n"
		"  The programs attached to the pinned sockmap/sockhash MAP_PIN: one line per program,\n"
		"  attach type and program id (--json: [{\"attach_type\":\"msg_verdict\",\"id\":N}, ...]).\n"
		"Options: -v  show libbpf's messages   --json  JSON output   -h  this help\n",
		pu_prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, first = true;
	struct pu_obj map;
	int c, verbose = 0, rc = 0;
	size_t h;

	pu_init(argv[0], 0);
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = 1;
			break;
		case 'j':
			json = true;
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
	if (pu_open_map(argv[optind], 0, &map))
		return 1;
	if (map.type != BPF_MAP_TYPE_SOCKMAP && map.type != BPF_MAP_TYPE_SOCKHASH) {
		pu_err(0, "%s is a map of type %s, not sockmap or sockhash", argv[optind],
		       pu_map_type_str(map.type));
		pu_close(&map);
		return 1;
	}
	if (json)
		printf("[");
	for (h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
		__u32 ids[1], cnt = 1, flags = 0;	/* a sockmap hook holds at most one program */

		if (bpf_prog_query(map.fd, hooks[h].type, 0, &flags, ids, &cnt)) {
			pu_err(-errno, "cannot query the %s programs of %s", hooks[h].name, argv[optind]);
			rc = 1;
			break;
		}
		if (!cnt)
			continue;
		if (json)
			printf("%s{\"attach_type\":\"%s\",\"id\":%u}", first ? "" : ",", hooks[h].name, ids[0]);
		else
			printf("%s\t%u\n", hooks[h].name, ids[0]);
		first = false;
	}
	if (json)
		printf("]\n");
	pu_close(&map);
	return rc;
}
