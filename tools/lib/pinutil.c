// SPDX-License-Identifier: GPL-2.0
/* pinutil: open pinned BPF objects and edit prog-array / map-in-map slots, with one-line
 * errors and Hint lines. See pinutil.h for the interface.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "numarg.h"
#include "pinutil.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

const char *pu_prog = "bpflab";
int pu_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's chatter (and its verifier logs) only with -v: the tools print their own errors. */
	if (!pu_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void pu_init(const char *argv0, int verbose)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	pu_prog = slash ? slash + 1 : (argv0 ? argv0 : pu_prog);
	pu_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

void pu_hint(int err)
{
	const char *h = NULL;

	switch (err < 0 ? -err : err) {
	case EPERM:
	case EACCES:
		/* As root the usual cause is something else: do not send root off to sudo. */
		h = geteuid() ? "BPF needs root (CAP_BPF + CAP_NET_ADMIN/CAP_SYS_ADMIN), and bpffs is root-only: run it with sudo"
			      : "refused although running as root: a path outside bpffs, kernel lockdown, or an LSM/seccomp policy";
		break;
	case EBUSY:
		h = "the object is in use: another program is attached there, or a loader still holds it";
		break;
	case EOPNOTSUPP:
		h = "this kernel or driver does not support the operation (see PITFALLS: no freplace/fentry here)";
		break;
	case E2BIG:
		h = "the key is out of range: check max_entries with bpftool map show";
		break;
	case ENOMEM:
		h = "raise the locked-memory limit (ulimit -l) or free some BPF maps";
		break;
	}
	if (h)
		fprintf(stderr, "Hint: %s\n", h);
}

void pu_err(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", pu_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
	pu_hint(err);
}

const char *pu_map_type_str(__u32 type)
{
	const char *s = libbpf_bpf_map_type_str(type);

	return s ? s : "unknown";
}

const char *pu_prog_type_str(__u32 type)
{
	const char *s = libbpf_bpf_prog_type_str(type);

	return s ? s : "unknown";
}

bool pu_is_array(const struct pu_obj *m)
{
	return m->type == BPF_MAP_TYPE_PROG_ARRAY || m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	       m->type == BPF_MAP_TYPE_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

bool pu_holds_progs(const struct pu_obj *m)
{
	return m->kind == PU_MAP && m->type == BPF_MAP_TYPE_PROG_ARRAY;
}

bool pu_holds_maps(const struct pu_obj *m)
{
	return m->kind == PU_MAP &&
	       (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || m->type == BPF_MAP_TYPE_HASH_OF_MAPS);
}

/* What an fd is: the anon inode name says "bpf-map", "bpf-prog" or "bpf-link". */
static enum pu_kind fd_kind(int fd, char *what, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, what, len - 1);
	if (n < 0)
		n = 0;
	what[n] = '\0';
	if (strstr(what, "bpf-map"))
		return PU_MAP;
	if (strstr(what, "bpf-prog"))
		return PU_PROG;
	return PU_NONE;
}

static int read_info(struct pu_obj *obj)
{
	int err;

	if (obj->kind == PU_MAP) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		err = bpf_obj_get_info_by_fd(obj->fd, &info, &len);
		if (err)
			return -errno;
		obj->id = info.id;
		obj->type = info.type;
		obj->key_size = info.key_size;
		obj->value_size = info.value_size;
		obj->max_entries = info.max_entries;
		obj->map_flags = info.map_flags;
		memcpy(obj->name, info.name, sizeof(obj->name));
	} else {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		err = bpf_obj_get_info_by_fd(obj->fd, &info, &len);
		if (err)
			return -errno;
		obj->id = info.id;
		obj->type = info.type;
		memcpy(obj->name, info.name, sizeof(obj->name));
	}
	obj->name[sizeof(obj->name) - 1] = '\0';
	return 0;
}

int pu_on_bpffs(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs))
		return -errno;
	return (unsigned long)sfs.f_type == BPF_FS_MAGIC;
}

int pu_pin_dir_check(const char *pin)
{
	char dir[4096];
	const char *slash = strrchr(pin, '/');
	int r;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == pin)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - pin), pin);
	r = pu_on_bpffs(dir);
	if (r < 0) {
		pu_err(r, "cannot pin at %s: directory %s", pin, dir);
		return r;
	}
	if (!r) {
		pu_err(0, "cannot pin at %s: %s is not on a bpffs mount", pin, dir);
		fprintf(stderr, "Hint: pins live under /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)\n");
		return -EINVAL;
	}
	return 0;
}

int pu_open(const char *path, struct pu_obj *obj)
{
	struct statfs sfs;
	struct stat st;
	char what[128];
	int err;

	memset(obj, 0, sizeof(*obj));
	obj->fd = -1;
	obj->path = path;
	if (stat(path, &st)) {
		err = -errno;
		pu_err(err, "cannot open pin %s", path);
		if (err == -ENOENT)
			fprintf(stderr, "Hint: nothing is pinned there; is the lab up? (ls the directory)\n");
		return err;
	}
	if (statfs(path, &sfs) == 0 && (unsigned long)sfs.f_type != BPF_FS_MAGIC) {
		pu_err(0, "%s is not a BPF pin (not on a bpffs mount)", path);
		fprintf(stderr, "Hint: pins live under /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)\n");
		return -EINVAL;
	}
	if (S_ISDIR(st.st_mode)) {
		pu_err(0, "%s is a directory, not a pinned map or program", path);
		return -EISDIR;
	}
	obj->fd = bpf_obj_get(path);
	if (obj->fd < 0) {
		err = -errno;
		pu_err(err, "cannot open pin %s", path);
		return err;
	}
	obj->kind = fd_kind(obj->fd, what, sizeof(what));
	if (obj->kind == PU_NONE) {
		pu_err(0, "%s is a pinned %s, not a map or program", path,
		       strstr(what, "bpf-link") ? "link" : "object");
		pu_close(obj);
		return -EINVAL;
	}
	err = read_info(obj);
	if (err) {
		pu_err(err, "cannot read the info of %s", path);
		pu_close(obj);
	}
	return err;
}

int pu_open_map(const char *path, __u32 type, struct pu_obj *obj)
{
	int err = pu_open(path, obj);

	if (err)
		return err;
	if (obj->kind != PU_MAP) {
		pu_err(0, "%s is a program (%s), not a map", path, pu_prog_type_str(obj->type));
		pu_close(obj);
		return -EINVAL;
	}
	if (type && obj->type != type) {
		pu_err(0, "%s is a map of type %s, not %s", path, pu_map_type_str(obj->type), pu_map_type_str(type));
		pu_close(obj);
		return -EINVAL;
	}
	return 0;
}

int pu_open_prog(const char *path, struct pu_obj *obj)
{
	int err = pu_open(path, obj);

	if (err)
		return err;
	if (obj->kind != PU_PROG) {
		pu_err(0, "%s is a map (%s), not a program", path, pu_map_type_str(obj->type));
		pu_close(obj);
		return -EINVAL;
	}
	return 0;
}

int pu_open_id(enum pu_kind kind, __u32 id, struct pu_obj *obj)
{
	memset(obj, 0, sizeof(*obj));
	obj->kind = kind;
	obj->path = "";
	obj->fd = kind == PU_MAP ? bpf_map_get_fd_by_id(id) : bpf_prog_get_fd_by_id(id);
	if (obj->fd < 0)
		return -errno;
	return read_info(obj);
}

void pu_close(struct pu_obj *obj)
{
	if (obj->fd >= 0)
		close(obj->fd);
	obj->fd = -1;
}

int pu_check_map(const struct pu_obj *map, __u32 type, __u32 max_entries)
{
	if (map->kind != PU_MAP || (type && map->type != type)) {
		pu_err(0, "%s is not a %s map", map->path, pu_map_type_str(type));
		return -EINVAL;
	}
	if (max_entries && map->max_entries != max_entries) {
		pu_err(0, "%s has %u entries, expected %u", map->path, map->max_entries, max_entries);
		return -EINVAL;
	}
	return 0;
}

/* Key syntax:
 *   one token    an integer (decimal, or 0x.. hex) in host byte order: the index of an array
 *   N tokens     N = key_size bytes in hex, as `bpftool map dump` prints them ("0a 00 00 01");
 *                a leading "hex" word and 0x prefixes are accepted too.
 */
static bool single_token(const char *str)
{
	return !strpbrk(str, " \t,:") && strncmp(str, "hex", 3);
}

/* The key's tokens: one integer (decimal or 0x hex, never negative), or hex bytes. */
int pu_key_syntax(const char *str)
{
	char buf[512], *tok, *save = NULL;
	unsigned int n = 0;
	uint64_t v;

	if (single_token(str)) {
		if (!numarg_u64(str, 0, 0, UINT64_MAX, &v))
			return 0;
		pu_err(0, "bad key '%s': expected a slot number (0 or more, decimal or 0x hex) "
			  "or the key bytes in hex", str);
		return -EINVAL;
	}
	if (strlen(str) >= sizeof(buf)) {
		pu_err(0, "bad key: longer than %zu characters", sizeof(buf) - 1);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", str);
	for (tok = strtok_r(buf, " \t,:", &save); tok; tok = strtok_r(NULL, " \t,:", &save), n++) {
		if (n == 0 && !strcmp(tok, "hex"))
			continue;
		if (numarg_u64(tok, 16, 0, 0xff, &v)) {
			pu_err(0, "bad key '%s': '%s' is not a hex byte", str, tok);
			return -EINVAL;
		}
	}
	return 0;
}

/* One token: an integer of key_size bytes in host byte order (like an array index). */
static int parse_int_key(const struct pu_obj *map, const char *str, void *key)
{
	uint64_t v;

	if (numarg_u64(str, 0, 0, UINT64_MAX, &v))
		return pu_key_syntax(str);
	if (pu_is_array(map) && v >= map->max_entries) {
		pu_err(0, "key %s out of range: %s has %u entries (0..%u)", str, map->path,
		       map->max_entries, map->max_entries - 1);
		return -ERANGE;
	}
	if (map->key_size != 1 && map->key_size != 2 && map->key_size != 4 && map->key_size != 8) {
		pu_err(0, "bad key '%s': %s has %u-byte keys; give them as hex bytes", str, map->path,
		       map->key_size);
		return -EINVAL;
	}
	if (map->key_size < 8 && v >> (map->key_size * 8)) {
		pu_err(0, "key %s does not fit in %u bytes", str, map->key_size);
		return -ERANGE;
	}
	switch (map->key_size) {
	case 1:
		*(__u8 *)key = v;
		break;
	case 2:
		*(__u16 *)key = v;
		break;
	case 4:
		*(__u32 *)key = v;
		break;
	default:
		*(__u64 *)key = v;
	}
	return 0;
}

/* Key syntax:
 *   one token    an integer (decimal, or 0x.. hex) in host byte order: the index of an array
 *   N tokens     N = key_size bytes in hex, as `bpftool map dump` prints them ("0a 00 00 01");
 *                a leading "hex" word and 0x prefixes are accepted too.
 */
int pu_parse_key(const struct pu_obj *map, const char *str, void *key)
{
	char buf[512], *tok, *save = NULL;
	unsigned int n = 0;
	uint64_t v;

	if (map->key_size == 0 || map->key_size > PU_MAX_KEY) {
		pu_err(0, "%s: key size %u not supported", map->path, map->key_size);
		return -EINVAL;
	}
	if (single_token(str))
		return parse_int_key(map, str, key);
	snprintf(buf, sizeof(buf), "%s", str);
	if (pu_key_syntax(str))
		return -EINVAL;
	for (tok = strtok_r(buf, " \t,:", &save); tok; tok = strtok_r(NULL, " \t,:", &save)) {
		if (n == 0 && !strcmp(tok, "hex"))
			continue;
		numarg_u64(tok, 16, 0, 0xff, &v);	/* checked by pu_key_syntax */
		if (n < map->key_size)
			((__u8 *)key)[n] = (__u8)v;
		n++;
	}
	if (n != map->key_size) {
		pu_err(0, "bad key '%s': %s needs %u key bytes, got %u", str, map->path, map->key_size, n);
		return -EINVAL;
	}
	if (pu_is_array(map) && map->key_size == sizeof(__u32) && *(__u32 *)key >= map->max_entries) {
		pu_err(0, "key %u out of range: %s has %u entries", *(__u32 *)key, map->path, map->max_entries);
		return -ERANGE;
	}
	return 0;
}

void pu_format_key(const struct pu_obj *map, const void *key, char *buf, size_t len)
{
	size_t off = 0;
	__u32 i;

	if (pu_is_array(map) && map->key_size == sizeof(__u32)) {
		snprintf(buf, len, "%u", *(const __u32 *)key);
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < map->key_size && off + 4 < len; i++)
		off += snprintf(buf + off, len - off, "%s%02x", i ? " " : "", ((const __u8 *)key)[i]);
}

/* The kernel binds a PROG_ARRAY to the type of the first program that uses it and shows that
 * binding only in fdinfo ("owner_prog_type:"). 0 = not bound yet.
 */
int pu_prog_array_owner(int map_fd, __u32 *prog_type)
{
	char path[64], line[256];
	FILE *f;

	*prog_type = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", map_fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "owner_prog_type: %u", prog_type) == 1)
			break;
	fclose(f);
	return 0;
}

int pu_check_target(const struct pu_obj *map, const struct pu_obj *target)
{
	__u32 owner = 0;

	if (pu_holds_progs(map)) {
		if (target->kind != PU_PROG) {
			pu_err(0, "%s is a map, but %s (prog_array) holds programs", target->path, map->path);
			return -EINVAL;
		}
		pu_prog_array_owner(map->fd, &owner);
		if (owner && owner != target->type) {
			pu_err(0, "program %s is of type %s, but %s holds %s programs", target->name,
			       pu_prog_type_str(target->type), map->path, pu_prog_type_str(owner));
			fprintf(stderr, "Hint: all programs in one prog array have one type: the one of the first program that used or entered it\n");
			return -EINVAL;
		}
		return 0;
	}
	if (pu_holds_maps(map)) {
		if (target->kind != PU_MAP) {
			pu_err(0, "%s is a program, but %s (%s) holds maps", target->path, map->path,
			       pu_map_type_str(map->type));
			return -EINVAL;
		}
		return 0;
	}
	pu_err(0, "%s is a map of type %s: only prog_array, array_of_maps and hash_of_maps hold programs or maps",
	       map->path, pu_map_type_str(map->type));
	return -EINVAL;
}

int pu_slot_set_fd(const struct pu_obj *map, const void *key, int fd, const char *what)
{
	char k[3 * PU_MAX_KEY + 1];
	int err;

	if (!bpf_map_update_elem(map->fd, key, &fd, BPF_ANY))
		return 0;
	err = -errno;
	pu_format_key(map, key, k, sizeof(k));
	pu_err(err, "cannot put %s into %s[%s]", what, map->path, k);
	if (err == -EINVAL && pu_holds_progs(map))
		fprintf(stderr, "Hint: the program must match the array's owner: same type, same JIT state, "
				"same xdp frags flag (SEC(\"xdp\") vs SEC(\"xdp.frags\"))\n");
	else if (err == -EINVAL && pu_holds_maps(map))
		fprintf(stderr, "Hint: the map must match %s's inner-map template: type, key/value size, "
				"max_entries (unless BPF_F_INNER_MAP), flags\n", map->path);
	return err;
}

int pu_slot_set(const struct pu_obj *map, const void *key, const struct pu_obj *target)
{
	char what[BPF_OBJ_NAME_LEN + 512];
	int err = pu_check_target(map, target);

	if (err)
		return err;
	snprintf(what, sizeof(what), "%s %s (%s)", target->kind == PU_PROG ? "program" : "map",
		 target->name[0] ? target->name : "(no name)", target->path);
	return pu_slot_set_fd(map, key, target->fd, what);
}

int pu_slot_del(const struct pu_obj *map, const void *key, bool quiet_enoent)
{
	char k[3 * PU_MAX_KEY + 1];
	int err;

	if (!bpf_map_delete_elem(map->fd, key))
		return 0;
	err = -errno;
	if (err == -ENOENT && quiet_enoent)
		return 0;
	pu_format_key(map, key, k, sizeof(k));
	pu_err(err, "cannot delete %s[%s]", map->path, k);
	return err;
}

int pu_slot_id(const struct pu_obj *map, const void *key, __u32 *id)
{
	/* A lookup from user space returns the id of the program or map in the slot. */
	if (bpf_map_lookup_elem(map->fd, key, id))
		return -errno;
	return 0;
}

int pu_slots_clear(const struct pu_obj *map)
{
	__u8 key[PU_MAX_KEY], next[PU_MAX_KEY];
	int err, n = 0;
	__u32 i, id;

	if (pu_is_array(map)) {
		/* Array slots always exist: only the occupied ones (a lookup gives an id) count. */
		for (i = 0; i < map->max_entries; i++) {
			if (pu_slot_id(map, &i, &id))
				continue;
			err = pu_slot_del(map, &i, true);
			if (err)
				return err;
			n++;
		}
		return n;
	}
	if (map->key_size > PU_MAX_KEY)
		return -EINVAL;
	/* Hash: always restart from the first key, since the current one is gone. */
	while (!bpf_map_get_next_key(map->fd, NULL, next)) {
		memcpy(key, next, map->key_size);
		err = pu_slot_del(map, key, false);
		if (err)
			return err;
		n++;
	}
	return n;
}

/* FORMAT must contain exactly one integer conversion (%d %i %u %x, flags/width allowed) and
 * otherwise only %% — it is applied to a number we choose, never to user data.
 */
bool pu_fill_format_ok(const char *fmt)
{
	int conv = 0, width;
	const char *p;

	for (p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		p++;
		while (*p && strchr("-0 +#", *p))
			p++;
		for (width = 0; *p >= '0' && *p <= '9'; p++)
			if (++width > 3)
				return false;	/* a name is at most 255 bytes: no wider field */
		if (!*p || !strchr("diux", *p))
			return false;
		conv++;
	}
	return conv == 1 && !strchr(fmt, '/');
}
