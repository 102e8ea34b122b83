// SPDX-License-Identifier: GPL-2.0
/* Strict number parsing for command-line values (see numarg.h).
 *
 * strtoull() alone accepts " 5", "+5", "-5" (as 2^64 - 5) and "5x" up to the junk; strtod()
 * accepts "nan", "inf" and "0x1p3". Each of those once got through a bpflab tool, so the
 * characters are checked here before the C library converts them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "numarg.h"

static int is_digit(char c, int hex)
{
	return (c >= '0' && c <= '9') ||
	       (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
}

int numarg_u64(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	const char *p;
	char *end;
	int hex = base == 16;

	if (!s || (base != 0 && base != 10 && base != 16))
		return -EINVAL;
	if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		hex = 1;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++)
		if (!is_digit(*p, hex))
			return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, hex ? 16 : 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int numarg_double(const char *s, double min, double max, double *out)
{
	const char *p = s;
	int digits = 0;
	double v;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	/* [-]digits[.digits][e[+-]digits], at least one mantissa digit: no nan/inf/hex floats. */
	if (*p == '-') {
		if (min >= 0)
			return -ERANGE;	/* "-0" too: a sign where no negative is allowed */
		p++;
	}
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (!digits)
		return -EINVAL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return -EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end)
		return -EINVAL;
	/* Overflow gives ±HUGE_VAL; underflow to a tiny value or 0 is fine for a duration. */
	if (v != v || (errno == ERANGE && (v > 1 || v < -1)) || v < min || v > max)
		return -ERANGE;
	*out = v == 0 ? 0 : v;	/* no -0.0 */
	return 0;
}
