// SPDX-License-Identifier: GPL-2.0
/* bpf2bpf lab: the fentry pair of conn_trace.bpf.c, as its own object (build/conn_trace_fentry.bpf.o).
 * Same source, so the same __noinline handle_new_connection(); scripts/bpf2bpf.sh loads it only
 * to probe or use fentry, sharing the pinned `events` map of build/conn_trace.bpf.o.
 */
#define CONN_TRACE_FENTRY
#include "conn_trace.bpf.c"
