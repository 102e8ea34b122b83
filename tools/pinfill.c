// SPDX-License-Identifier: GPL-2.0
/* pinfill: fill prog arrays and map-in-map slots BY PINNED PATH, from a shell.
 *
 * This is the control-plane loop of every tail-call example,
 *     bpf_map_update_elem(map_fd, &i, &prog_fd, BPF_ANY);
 * which bpftool can do only one slot at a time (`map update ... value pinned`), and without
 * checking the program fits before the kernel says EINVAL. The map must be pinned: a prog
 * array whose last user reference (fd or pin) goes away is flushed, so a slot set from a
 * short-lived process through an unpinned map would vanish when it exits.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "pinutil.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-v] set  MAP_PIN KEY TARGET_PIN\n"
		"       %s [-v] del  MAP_PIN KEY\n"
		"       %s [-v] [--json] list MAP_PIN\n"
		"       %s [-v] fill MAP_PIN DIR FORMAT\n"
		"       %s [-v] clear MAP_PIN\n"
		"\n"
		"  set   put the pinned program (prog_array) or pinned map (array_of_maps,\n"
		"        hash_of_maps) TARGET_PIN into slot KEY of the pinned map MAP_PIN\n"
		"  del   empty slot KEY\n"
		"  list  one line per occupied slot: key, id, type, name (--json: a JSON array)\n"
		"  fill  for every key k < max_entries: if DIR/<FORMAT with k> is pinned, set k to it\n"
		"        (FORMAT has one integer conversion, e.g. classifier_%%d); all or nothing\n"
		"  clear empty every slot (before removing the pins of a prog array)\n"
		"\n"
		"KEY: an index for arrays; for hashes an integer in host byte order, or the key\n"
		"     bytes in hex as bpftool prints them, in one argument: \"0a 00 00 01\".\n"
		"Options: -v  show libbpf's messages   --json  JSON output for list   -h  this help\n",
		pu_prog, pu_prog, pu_prog, pu_prog, pu_prog);
}

static int cmd_set(const char *map_pin, const char *key_str, const char *target_pin)
{
	struct pu_obj map, target;
	__u8 key[PU_MAX_KEY];
	int err;

	err = pu_open_map(map_pin, 0, &map);
	if (err)
		return 1;
	err = pu_parse_key(&map, key_str, key);
	if (!err)
		err = pu_open(target_pin, &target);
	if (!err) {
		err = pu_slot_set(&map, key, &target);
		pu_close(&target);
	}
	pu_close(&map);
	return err ? 1 : 0;
}

/* Open MAP_PIN: it must be a map that holds programs or maps (del, list, clear). */
static int open_holder(const char *map_pin, struct pu_obj *map)
{
	if (pu_open_map(map_pin, 0, map))
		return -1;
	if (!pu_holds_progs(map) && !pu_holds_maps(map)) {
		pu_err(0, "%s is a map of type %s, not prog_array, array_of_maps or hash_of_maps", map_pin,
		       pu_map_type_str(map->type));
		pu_close(map);
		return -1;
	}
	return 0;
}

static int cmd_del(const char *map_pin, const char *key_str)
{
	struct pu_obj map;
	__u8 key[PU_MAX_KEY];
	int err;

	if (open_holder(map_pin, &map))
		return 1;
	err = pu_parse_key(&map, key_str, key);
	if (!err) {
		err = pu_slot_del(&map, key, false);
		if (err == -ENOENT)
			fprintf(stderr, "Hint: the slot is already empty (%s list %s)\n", pu_prog, map_pin);
	}
	pu_close(&map);
	return err ? 1 : 0;
}

static int cmd_clear(const char *map_pin)
{
	struct pu_obj map;
	int n;

	if (open_holder(map_pin, &map))
		return 1;
	n = pu_slots_clear(&map);
	if (n >= 0)
		printf("emptied %d slot%s of %s\n", n, n == 1 ? "" : "s", map_pin);
	pu_close(&map);
	return n < 0;
}

static void print_slot(const struct pu_obj *map, const void *key, __u32 id, bool json, bool first)
{
	struct pu_obj o;
	char k[3 * PU_MAX_KEY + 1];
	const char *type = "?", *name = "?";

	pu_format_key(map, key, k, sizeof(k));
	/* The slot holds an id; open it to name it (it may vanish meanwhile: print what we have). */
	if (!pu_open_id(pu_holds_progs(map) ? PU_PROG : PU_MAP, id, &o)) {
		type = o.kind == PU_PROG ? pu_prog_type_str(o.type) : pu_map_type_str(o.type);
		name = o.name;
	}
	if (json)
		printf("%s{\"key\":%s%s%s,\"id\":%u,\"type\":\"%s\",\"name\":\"%s\"}", first ? "" : ",",
		       pu_is_array(map) ? "" : "\"", k, pu_is_array(map) ? "" : "\"", id, type, name);
	else
		printf("%s\t%u\t%s\t%s\n", k, id, type, name);
	pu_close(&o);
}

static int cmd_list(const char *map_pin, bool json)
{
	__u8 key[PU_MAX_KEY], next[PU_MAX_KEY];
	bool first = true, have = false;
	struct pu_obj map;
	__u32 id;

	if (open_holder(map_pin, &map))
		return 1;
	if (json)
		printf("[");
	while (!bpf_map_get_next_key(map.fd, have ? key : NULL, next)) {
		memcpy(key, next, map.key_size);
		have = true;
		if (pu_slot_id(&map, key, &id))
			continue;	/* empty array slot */
		print_slot(&map, key, id, json, first);
		first = false;
	}
	if (json)
		printf("]\n");
	pu_close(&map);
	return 0;
}

static int cmd_fill(const char *map_pin, const char *dir, const char *fmt)
{
	struct pu_obj map, *targets = NULL, *old = NULL;
	__u32 k, id, done = 0, n = 0;
	char name[NAME_MAX + 1], path[PATH_MAX];
	struct stat st;
	int err = 0, restore_failed = 0;

	if (!pu_fill_format_ok(fmt)) {
		pu_err(0, "bad FORMAT '%s': it needs exactly one %%d (or %%u, %%x) and no '/'", fmt);
		return 1;
	}
	if (stat(dir, &st)) {
		pu_err(-errno, "cannot read directory %s", dir);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		/* No errno here: stat() succeeded, whatever errno holds is stale. */
		pu_err(0, "%s is not a directory", dir);
		return 1;
	}
	if (pu_open_map(map_pin, 0, &map))
		return 1;
	if (!pu_is_array(&map) || (!pu_holds_progs(&map) && !pu_holds_maps(&map))) {
		pu_err(0, "fill needs a prog_array or array_of_maps; %s is a map of type %s", map_pin,
		       pu_map_type_str(map.type));
		pu_close(&map);
		return 1;
	}
	targets = calloc(map.max_entries, sizeof(*targets));
	old = calloc(map.max_entries, sizeof(*old));
	if (!targets || !old) {
		pu_err(-ENOMEM, "fill");
		free(targets);
		free(old);
		pu_close(&map);
		return 1;
	}
	for (k = 0; k < map.max_entries; k++)
		targets[k].fd = old[k].fd = -1;
	/* Open and check every target first, so a bad one leaves the map untouched. */
	for (k = 0; k < map.max_entries; k++) {
		/* pu_fill_format_ok() checked FORMAT takes exactly one integer */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(name, sizeof(name), fmt, k);
#pragma GCC diagnostic pop
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (access(path, F_OK))
			continue;
		/* The path outlives this loop (messages name it); freed at out: even when the
		 * open fails. */
		targets[k].path = strdup(path);
		if (!targets[k].path) {
			err = -ENOMEM;
			pu_err(err, "fill");
			goto out;
		}
		err = pu_open(targets[k].path, &targets[k]);
		if (!err)
			err = pu_check_target(&map, &targets[k]);
		if (err)
			goto out;
		n++;
		/* Hold what the slot has now, by fd: a program or map that only this slot keeps
		 * alive is freed as soon as it is replaced, and an id cannot bring it back. */
		if (pu_slot_id(&map, &k, &id))
			continue;
		err = pu_open_id(pu_holds_progs(&map) ? PU_PROG : PU_MAP, id, &old[k]);
		if (err == -ENOENT && pu_slot_id(&map, &k, &id) == -ENOENT)
			err = 0;	/* it went away meanwhile: the slot is empty now */
		if (err) {
			pu_err(err, "cannot hold the current entry of %s[%u] (id %u) for a rollback", map_pin, k, id);
			goto out;
		}
	}
	if (n == 0) {
		pu_err(0, "nothing in %s matches %s for keys 0..%u", dir, fmt, map.max_entries - 1);
		err = -ENOENT;
		goto out;
	}
	for (k = 0; k < map.max_entries; k++) {
		if (targets[k].fd < 0)
			continue;
		err = pu_slot_set(&map, &k, &targets[k]);
		if (err)
			break;
		done = k + 1;
		printf("%u\t%u\t%s\n", k, targets[k].id, targets[k].name);
	}
	if (err) {
		/* Roll back: put back what each slot held before (from the fds held above), or empty it. */
		for (k = 0; k < done; k++) {
			if (targets[k].fd < 0)
				continue;
			if (old[k].fd >= 0 ? pu_slot_set_fd(&map, &k, old[k].fd, "the previous entry")
					   : pu_slot_del(&map, &k, true))
				restore_failed = 1;
		}
		if (restore_failed)
			fprintf(stderr, "%s: %s could not be fully restored: check it with %s list %s\n",
				pu_prog, map_pin, pu_prog, map_pin);
		else
			fprintf(stderr, "%s: %s left as it was\n", pu_prog, map_pin);
	}
out:
	if (targets)
		for (k = 0; k < map.max_entries; k++) {
			free((char *)targets[k].path);
			pu_close(&targets[k]);
		}
	if (old)
		for (k = 0; k < map.max_entries; k++)
			pu_close(&old[k]);
	free(targets);
	free(old);
	pu_close(&map);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	bool json = false;
	const char *cmd;
	int c, verbose = 0, nargs;

	pu_init(argv[0], 0);
	/* "+": options only before the command, so a KEY such as -1 reaches the key check
	 * instead of being taken for an option ("invalid option -- '1'"). */
	while ((c = getopt_long(argc, argv, "+vjh", opts, NULL)) != -1) {
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
	pu_init(argv[0], verbose);
	if (optind >= argc) {
		fprintf(stderr, "%s: missing command\n", pu_prog);
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	nargs = argc - optind;
	argv += optind;
	/* A KEY that is not a key at all is a usage error, found before anything is opened. */
	if (((!strcmp(cmd, "set") && nargs == 3) || (!strcmp(cmd, "del") && nargs == 2)) &&
	    pu_key_syntax(argv[1])) {
		fprintf(stderr, "Try '%s -h' for the KEY syntax.\n", pu_prog);
		return 2;
	}
	if (!strcmp(cmd, "set") && nargs == 3)
		return cmd_set(argv[0], argv[1], argv[2]);
	if (!strcmp(cmd, "del") && nargs == 2)
		return cmd_del(argv[0], argv[1]);
	if (!strcmp(cmd, "list") && nargs == 1)
		return cmd_list(argv[0], json);
	if (!strcmp(cmd, "fill") && nargs == 3)
		return cmd_fill(argv[0], argv[1], argv[2]);
	if (!strcmp(cmd, "clear") && nargs == 1)
		return cmd_clear(argv[0]);
	if (strcmp(cmd, "set") && strcmp(cmd, "del") && strcmp(cmd, "list") && strcmp(cmd, "fill") &&
	    strcmp(cmd, "clear"))
		fprintf(stderr, "%s: unknown command '%s'\n", pu_prog, cmd);
	else
		fprintf(stderr, "%s: wrong number of arguments for '%s'\n", pu_prog, cmd);
	usage(stderr);
	return 2;
}
