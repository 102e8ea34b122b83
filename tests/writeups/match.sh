#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# match.sh WANT REAL: does REAL (what a block printed) match WANT (what the page shows)?
# Both are masked with mask.sed first; a WANT line "..." matches any number of lines.
# Trailing white space and empty last lines do not count. Prints a diff-like report if not.
set -euo pipefail
here=$(dirname "$0")
mask() { sed -E -f "$here/mask.sed" "$1" | sed -e 's/[[:space:]]*$//' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }
mapfile -t want < <(mask "$1")
mapfile -t real < <(mask "$2")
w=0 r=0
while [ "$w" -lt "${#want[@]}" ]; do
	if [ "${want[w]}" = ... ]; then
		w=$((w + 1))
		[ "$w" -lt "${#want[@]}" ] || { r=${#real[@]}; break; }
		# Skip real lines until the next wanted line.
		while [ "$r" -lt "${#real[@]}" ] && [ "${real[r]}" != "${want[w]}" ]; do r=$((r + 1)); done
	fi
	if [ "$r" -ge "${#real[@]}" ] || [ "${real[r]}" != "${want[w]}" ]; then
		echo "    at shown line $((w + 1)):"
		echo "    - ${want[w]}"
		echo "    + ${real[r]:-<end of output>}"
		echo "    the whole real output, masked:"
		printf '    + %s\n' "${real[@]}"
		exit 1
	fi
	w=$((w + 1)) r=$((r + 1))
done
if [ "$r" -lt "${#real[@]}" ]; then
	echo "    more output than the page shows, from: ${real[r]}"
	printf '    + %s\n' "${real[@]}"
	exit 1
fi
