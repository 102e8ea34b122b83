/* SPDX-License-Identifier: GPL-2.0 */
/* The GLB director's maps (layouts in bpf/glb.h), defined once for the director
 * (bpf/glb.bpf.c) and its exercise (exercises/glb/glb.bpf.c): tools/glbtable.c and the
 * checker fill both by these names and shapes. Include once per object, after glb.h.
 */
#ifndef BPFLAB_GLB_MAPS_BPF_H
#define BPFLAB_GLB_MAPS_BPF_H

#include "glb.h"
#include "glb.bpf.h"	/* GLB_COUNTERS(), glb_count() */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GLB_MAX_BINDS);
	__type(key, struct glb_bind);
	__type(value, __u32);
} glb_binds SEC(".maps");

/* The inner-map template: every table put into glb_tables must match it exactly (array,
 * 4-byte key, 8-byte value, GLB_ROWS entries). Sizes, not BTF types: clang emits only a
 * forward declaration of a struct reached through __array(), which libbpf cannot size.
 */
struct glb_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GLB_ROWS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct glb_row));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, GLB_TABLES);
	__type(key, __u32);
	__array(values, struct glb_table);
} glb_tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GLB_TABLES);
	__type(key, __u32);
	__type(value, struct glb_secret);
} glb_secrets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct glb_config);
} glb_config SEC(".maps");

GLB_COUNTERS(glb_stats, GLB_STAT_MAX);
#define count(stat, action) glb_count(&glb_stats, stat, action)

#endif
