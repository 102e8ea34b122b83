// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the argument parsers the C tools share (tools/lib): numarg_u64 and
 * numarg_double (every number option of every tool), xc_parse_actions (xdpcap -a),
 * pu_key_syntax / pu_parse_key (pinfill KEY, on fake maps of every key size) and
 * pu_fill_format_ok (pinfill fill FORMAT, then applied with snprintf as pinfill does).
 *
 * Input: one selector byte, then the argument string. Besides sanitizer reports, accepted
 * values are checked against what the parser promises (digits only, range, round trip).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "numarg.h"
#include "pinutil.h"
#include "xdpcap_prog.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s\n", #c); abort(); } } while (0)

static void t_u64(const char *s, int base, uint64_t min, uint64_t max)
{
	uint64_t v = 12345;
	char buf[64];
	const char *p = s;
	int r = numarg_u64(s, base, min, max, &v);

	if (r) {
		CHECK(r == -EINVAL || r == -ERANGE);
		CHECK(v == 12345);	/* untouched on failure */
		return;
	}
	CHECK(v >= min && v <= max);
	/* Round trip: the value printed back is the string without prefix and leading zeros. */
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		CHECK(base != 10);
		p += 2;
		snprintf(buf, sizeof(buf), "%llx", (unsigned long long)v);
	} else {
		snprintf(buf, sizeof(buf), base == 16 ? "%llx" : "%llu", (unsigned long long)v);
	}
	while (p[0] == '0' && p[1])
		p++;
	CHECK(!strcasecmp(p, buf));
}

static void t_double(const char *s, double min, double max)
{
	double v = -42;
	int r = numarg_double(s, min, max, &v);

	if (r) {
		CHECK(r == -EINVAL || r == -ERANGE);
		CHECK(v == -42);
		return;
	}
	CHECK(v == v && v >= min && v <= max);	/* not nan, in range */
	CHECK(strspn(s, "0123456789.eE+-") == strlen(s));
}

static void t_key(const char *s, uint8_t ksize_sel, int array)
{
	static const uint32_t sizes[] = { 1, 2, 4, 8, 3, 16, 64, 65, 0 };
	struct pu_obj map = { .fd = -1, .kind = PU_MAP, .path = "fuzzmap", .value_size = 4 };
	unsigned char key[PU_MAX_KEY + 8];
	int syn = pu_key_syntax(s), r;

	map.key_size = sizes[ksize_sel % (sizeof(sizes) / sizeof(sizes[0]))];
	map.type = array ? BPF_MAP_TYPE_PROG_ARRAY : BPF_MAP_TYPE_HASH_OF_MAPS;
	map.max_entries = array ? 5 : 1000;
	r = pu_parse_key(&map, s, key);
	/* What the syntax check refuses, the full parse refuses too. */
	CHECK(!syn || r);
	if (!r && array && map.key_size == 4)
		CHECK(*(uint32_t *)key < map.max_entries);
}

static void t_format(const char *s)
{
	char name[NAME_MAX + 1];
	int n;

	if (!pu_fill_format_ok(s))
		return;
	CHECK(!strchr(s, '/'));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = snprintf(name, sizeof(name), s, 4294967295u);
#pragma GCC diagnostic pop
	CHECK(n >= 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pu_init("fuzz_args", 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int mask;
	char *s;

	if (size < 1 || size > 4096)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 8) {
	case 0:
		t_u64(s, 10, 1, 1000000000000ULL);	/* conn_events --count */
		t_u64(s, 10, 0, UINT64_MAX);
		break;
	case 1:
		t_u64(s, 0, 0, UINT64_MAX);		/* a pinfill KEY */
		t_u64(s, 16, 0, 0xff);			/* one key byte */
		break;
	case 2:
		t_double(s, 0, 31536000);		/* conn_events --timeout */
		t_double(s, -1e9, 1e9);
		break;
	case 3:
		if (!xc_parse_actions(s, &mask))
			CHECK(mask && !(mask >> XC_NUM_ACTIONS));
		break;
	case 4:
	case 5:
		t_key(s, data[0] >> 3, data[0] % 8 == 4);
		break;
	default:
		t_format(s);
	}
	free(s);
	return 0;
}
