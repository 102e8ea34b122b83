/* SPDX-License-Identifier: GPL-2.0 */
/* BPF-only helpers of the GLB programs (bpf/glb.bpf.c, bpf/glb_redirect.bpf.c). */
#ifndef BPFLAB_GLB_BPF_H
#define BPFLAB_GLB_BPF_H

/* A per-CPU packet counter array of N outcomes. */
#define GLB_COUNTERS(name, n)				\
	struct {					\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);	\
		__uint(max_entries, n);			\
		__type(key, __u32);			\
		__type(value, __u64);			\
	} name SEC(".maps")

/* Count outcome STAT in MAP and return ACTION: `return glb_count(&m, WHY, XDP_PASS);` */
static __always_inline int glb_count(void *map, __u32 stat, int action)
{
	__u64 *n = bpf_map_lookup_elem(map, &stat);

	if (n)
		*n += 1;
	return action;
}

#endif
