#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run a write-up as a student would: every ```sh block of PAGE, in order, in one fresh root
# shell at the repository root (variables and the working directory carry across blocks).
# Blocks that must not run use another info string (```text, ```console, ```c).
#   ```sh            must succeed: no command in it may fail
#   ```sh exit=N     its last command must exit N (commands before it may fail); exit=N,M:
#                    one of them (a page that shows two kernels, e.g. with and without kprobes)
#   ```output        after a ```sh block: what that block prints (stdout and stderr),
#                    compared after masking (tests/writeups/mask.sed); a line "..." stands
#                    for any number of lines. More ```output blocks before the next ```sh
#                    block are alternatives (what another kernel prints): one must match.
# Then the page's own teardown must have left nothing (tests/bats/helpers.bash bl_snapshot).
# Run it in a sandbox (tests/bats/writeups.bats does): the page uses the default names.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 labs/PAGE.md" >&2; exit 2; }
PAGE=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/writeups
[ -f "$PAGE" ] || { echo "run.sh: no such page: $PAGE" >&2; exit 2; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# Split the page: W/N.sh (block N), W/N.line (its line in the page), W/N.exit, W/N.want.
awk -v dir="$W" '
	function out(f, s) { printf "%s\n", s >> f; close(f) }
	/^```/ && !fence {
		fence = 1; kind = ""
		if ($0 ~ /^```sh( |$)/) {
			n++; kind = "sh"; ex = "any-ok"
			if (match($0, /exit=[0-9]+(,[0-9]+)*/)) ex = substr($0, RSTART + 5, RLENGTH - 5)
			out(dir "/" n ".line", NR); out(dir "/" n ".exit", ex)
			printf "" > (dir "/" n ".sh"); close(dir "/" n ".sh")
		} else if ($0 ~ /^```output( |$)/ && n) {
			kind = "output"; want = dir "/" n ".want" (wanted[n]++ ? "." wanted[n] : "")
			printf "" > want; close(want)
		}
		next
	}
	/^```/ && fence { fence = 0; next }
	fence && kind == "sh" { out(dir "/" n ".sh", $0) }
	fence && kind == "output" { out(want, $0) }
	END { print n + 0 > (dir "/count") }
' "$PAGE"
N=$(cat "$W/count")
[ "$N" -gt 0 ] || { echo "$PAGE: no \`\`\`sh blocks" >&2; exit 1; }

# The student's shell: one bash reading a script made of the blocks, each block's output in
# W/N.real, its failures (ERR trap) in W/N.err and its last status in W/N.rc.
{
	echo 'exec </dev/null'
	echo 'set -o errtrace'
	for ((i = 1; i <= N; i++)); do
		echo "trap 'echo \"\$BASH_COMMAND\" >>$W/$i.err' ERR"
		echo "{"
		cat "$W/$i.sh"
		echo "} >$W/$i.real 2>&1"
		echo "echo \$? >$W/$i.rc"
		echo "trap - ERR"
	done
} >"$W/student.sh"

# shellcheck source=tests/bats/helpers.bash
. "$ROOT/tests/bats/helpers.bash"
bl_snapshot >"$W/before"
cd "$ROOT"
env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	timeout 600 bash --norc --noprofile "$W/student.sh" || true

fail=0
report() { # N MESSAGE
	echo "$PAGE: block $1 (line $(cat "$W/$1.line")): $2"
	sed 's/^/    | /' "$W/$1.sh"
	fail=1
}
matches() { # N: does one of block N's shown outputs match? W/N.diff: why the first did not
	local alt
	"$HERE/match.sh" "$W/$1.want" "$W/$1.real" >"$W/$1.diff" && return 0
	for alt in "$W/$1.want".*; do
		[ ! -f "$alt" ] || ! "$HERE/match.sh" "$alt" "$W/$1.real" >/dev/null || return 0
	done
	return 1
}
for ((i = 1; i <= N; i++)); do
	if [ ! -f "$W/$i.rc" ]; then
		report "$i" "never finished (an earlier block exited the shell, or the page timed out)"
		[ ! -f "$W/$i.real" ] || sed 's/^/    > /' "$W/$i.real"
		break
	fi
	want_rc=$(cat "$W/$i.exit")
	if [ "$want_rc" = any-ok ] && [ -s "$W/$i.err" ]; then
		report "$i" "a command failed: $(head -n1 "$W/$i.err")"
		sed 's/^/    > /' "$W/$i.real"
	elif [ "$want_rc" != any-ok ] && [[ ",$want_rc," != *",$(cat "$W/$i.rc"),"* ]]; then
		report "$i" "last command exited $(cat "$W/$i.rc"), the page says ${want_rc//,/ or }"
		sed 's/^/    > /' "$W/$i.real"
	fi
	if [ -f "$W/$i.want" ] && ! matches "$i"; then
		report "$i" "printed something else than the page shows (after tests/writeups/mask.sed):"
		cat "$W/$i.diff"
	fi
done
if ! bl_assert_same_state "$W/before" >"$W/left" 2>&1; then
	echo "$PAGE: the page's teardown left this behind:"
	cat "$W/left"
	fail=1
fi
[ "$fail" = 0 ] && echo "$PAGE: $N blocks ran as the page says"
exit "$fail"
