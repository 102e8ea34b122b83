/* SPDX-License-Identifier: GPL-2.0 */
/* numarg: strict parsing of numbers given on a command line (or read from a small file), the
 * one parser every bpflab tool uses. The whole string must be the number: no empty string,
 * no leading blanks or '+', no trailing junk, no sign unless the range allows negatives, no
 * overflow, and for doubles no nan, inf or hex floats. Free of <linux/bpf.h>, so xdpcap.c
 * (which includes <pcap.h>) can use it too.
 *
 *   uint64_t n;
 *   if (numarg_u64(optarg, 10, 1, 1000, &n)) -> bad value: say what was expected, exit 2
 *
 * Both return 0, -EINVAL (not a number of that form) or -ERANGE (a number, out of range);
 * *out is written only on success.
 */
#ifndef BPFLAB_NUMARG_H
#define BPFLAB_NUMARG_H

#include <stdint.h>

/* BASE: 10 (decimal digits only: "010" is ten), 16 (hex digits, optional 0x), or 0 (decimal,
 * or hex with a 0x prefix). Never octal, never negative. */
int numarg_u64(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out);

/* A finite decimal number ("1", "0.25", "1e-3") within [MIN, MAX]. */
int numarg_double(const char *s, double min, double max, double *out);

#endif
