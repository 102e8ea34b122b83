/* SPDX-License-Identifier: GPL-2.0 */
/* pinutil: shared libbpf helpers for bpflab's C tools (pinfill, xdpcap, ...).
 *
 * Everything works on *pinned paths* and fds. On failure a function prints ONE clear line
 * ("PROG: error: ...") plus a "Hint: ..." line where the errno has a usual cause, and returns
 * a negative errno, so a tool can simply `return 1`. Nothing is changed when a check fails.
 *
 *   pu_init(argv0, verbose)          name used in messages; libbpf's own output only if verbose
 *   pu_err(err, fmt, ...)            "PROG: error: <msg>[: strerror(-err)]" + Hint for err
 *   pu_open(path, &obj)              open a pin (map or program) and read its info into obj
 *   pu_open_map(path, type, &obj)    ... it must be a map (of TYPE unless TYPE is 0)
 *   pu_open_prog(path, &obj)         ... it must be a program
 *   pu_check_map(&obj, type, n)      map is of TYPE and has N entries (0: any), else error
 *   pu_parse_key(&map, str, key)     "3" for arrays; hex bytes "0a 00 00 01" / "0x0a 0x0 ..."
 *                                    (bpftool's form) for hashes; checks key < max_entries
 *   pu_key_syntax(str)               the same syntax check without a map (a usage error:
 *                                    "-1", "x", "0a zz"), before anything is opened
 *   pu_slot_set(&map, key, &target)  map[key] = target (prog into PROG_ARRAY, map into
 *                                    *_OF_MAPS), after checking the target fits the map
 *   pu_slot_set_fd(&map, key, fd, what)  the same for a bare fd (e.g. a program xdpcap loaded)
 *   pu_slot_del(&map, key, quiet_enoent)
 *   pu_slot_id(&map, key, &id)       id of the program/map in the slot; -ENOENT when empty
 *   pu_slots_clear(&map)             empty every slot (pinfill clear, xdpcap --flush); returns
 *                                    how many held something, or a negative errno
 *   pu_prog_array_owner(fd, &type)   program type a PROG_ARRAY is bound to (0 if not yet)
 *
 * xdpcap hook example:
 *   struct pu_obj hook;
 *   if (pu_open_map(pin, BPF_MAP_TYPE_PROG_ARRAY, &hook) || pu_check_map(&hook, BPF_MAP_TYPE_PROG_ARRAY, 5))
 *           return 1;
 *   __u32 k = XDP_DROP;
 *   if (pu_slot_set_fd(&hook, &k, bpf_program__fd(prog), "capture program")) ...
 *   ... pu_slot_del(&hook, &k, 1); pu_close(&hook);
 */
#ifndef BPFLAB_PINUTIL_H
#define BPFLAB_PINUTIL_H

#include <stdbool.h>
#include <linux/bpf.h>

#define PU_MAX_KEY 64	/* largest key pu_parse_key accepts, in bytes */

enum pu_kind { PU_NONE = 0, PU_MAP, PU_PROG };

struct pu_obj {
	int fd;			/* -1 when not open */
	enum pu_kind kind;
	const char *path;	/* as given, for messages */
	__u32 id;
	__u32 type;		/* enum bpf_map_type or enum bpf_prog_type, by kind */
	char name[BPF_OBJ_NAME_LEN];
	/* maps only */
	__u32 key_size, value_size, max_entries, map_flags;
};

extern const char *pu_prog;	/* program name in messages */
extern int pu_verbose;

void pu_init(const char *argv0, int verbose);
void pu_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pu_hint(int err);

int pu_open(const char *path, struct pu_obj *obj);
/* 1 if PATH is on a bpffs mount, 0 if not, -errno if it cannot be checked. */
int pu_on_bpffs(const char *path);
/* Before pinning at PIN: its directory exists and is on bpffs, else one error line. */
int pu_pin_dir_check(const char *pin);
int pu_open_map(const char *path, __u32 type, struct pu_obj *obj);
int pu_open_prog(const char *path, struct pu_obj *obj);
void pu_close(struct pu_obj *obj);
int pu_check_map(const struct pu_obj *map, __u32 type, __u32 max_entries);

const char *pu_map_type_str(__u32 type);
const char *pu_prog_type_str(__u32 type);
bool pu_is_array(const struct pu_obj *map);
bool pu_holds_progs(const struct pu_obj *map);
bool pu_holds_maps(const struct pu_obj *map);

int pu_parse_key(const struct pu_obj *map, const char *str, void *key);
int pu_key_syntax(const char *str);
/* pinfill fill's FORMAT: exactly one integer conversion (%d %i %u %x), no '/'. */
bool pu_fill_format_ok(const char *fmt);
void pu_format_key(const struct pu_obj *map, const void *key, char *buf, size_t len);

int pu_prog_array_owner(int map_fd, __u32 *prog_type);
int pu_check_target(const struct pu_obj *map, const struct pu_obj *target);
int pu_slot_set(const struct pu_obj *map, const void *key, const struct pu_obj *target);
int pu_slot_set_fd(const struct pu_obj *map, const void *key, int fd, const char *what);
int pu_slot_del(const struct pu_obj *map, const void *key, bool quiet_enoent);
int pu_slot_id(const struct pu_obj *map, const void *key, __u32 *id);
int pu_slots_clear(const struct pu_obj *map);

/* Open the program or map with ID (as found in a slot) and read its info; kind says which. */
int pu_open_id(enum pu_kind kind, __u32 id, struct pu_obj *obj);

#endif
