# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are used by the scripts that source this file
# Shared bats helpers. Each test file: `load helpers`, then call bl_setup_names in setup_file
# (or setup) to get names no lab that is up, and no other test, uses.

BPFLAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$BPFLAB_ROOT/build
SCRIPTS=$BPFLAB_ROOT/scripts
BL_CGROUP2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

# Unique names per test file run. Interface names must stay under 16 characters.
#   BL_ID  short id (4 hex digits + letters), BL_NS netns, BL_HOST/BL_PEER veth ends,
#   BL_TMP scratch dir. On the host, BPFLAB_PIN / BPFLAB_RUN are made unique too; inside
#   a sandbox (tests/run.sh runs each file in scripts/sandbox.sh) they keep the defaults,
#   which are private to the sandbox.
bl_setup_names() {
	BL_ID=$(printf '%04x' $((($$ + RANDOM) % 65536)))
	export BL_ID
	export BL_NS="blt-$BL_ID"
	export BL_HOST="blh$BL_ID"
	export BL_PEER="blp$BL_ID"
	if [ -n "${BPFLAB_SANDBOX:-}" ]; then
		export BPFLAB_PIN=/sys/fs/bpf/bpflab BPFLAB_RUN=/run/bpflab
	else
		export BPFLAB_PIN="/sys/fs/bpf/bpflab-test-$BL_ID"
		export BPFLAB_RUN="/run/bpflab-test-$BL_ID"
	fi
	BL_TMP=$(mktemp -d "${BATS_RUN_TMPDIR:-/tmp}/bl-$BL_ID.XXXX")
	export BL_TMP
}


# A cgroup v2 directory for this test (not created here).
bl_cgroup_path() {
	echo "$BL_CGROUP2/bpflab-test-$BL_ID"
}

# A TCP/UDP port for this test run: 10000-31999, below the ephemeral range (32768-60999),
# so no client socket of the machine holds it. N (0-9) picks one of ten per run.
bl_port() { # [N]
	echo $((10000 + (0x$BL_ID % 2000) * 10 + ${1:-0}))
}

# Source the lab scripts' libraries (inside a subshell, to keep the test's environment).
bl_use_lib() {
	PROG=bats
	# shellcheck source=scripts/lib/lab.sh
	. "$SCRIPTS/lib/lab.sh"
}

# A test netns + veth pair: host BL_HOST 198.18.x.1 <-> BL_PEER 198.18.x.2 in BL_NS.
# Built with the same library function the labs use.
bl_topology_up() { # [HOSTIP PEERIP]
	local hip=${1:-198.18.99.1} pip=${2:-198.18.99.2}
	(
		bl_use_lib
		netns_up "$BL_NS" "$BL_HOST" "$BL_PEER" "$hip" "$pip"
	) 2>/dev/null
}
bl_topology_down() {
	(
		bl_use_lib
		netns_down "$BL_NS" "$BL_HOST"
	) 2>/dev/null
}

# Everything a lab could leave behind, one sorted line each. On the host: the whole machine,
# with program, map and link ids from build/bpfids (which does not open the objects, see
# tools/bpfids.c). In a sandbox: only what the sandbox sees (its pins, namespaces, devices,
# cgroups, attachments, lab state files); ids are global, so a test checks the ids it made
# itself with bl_pinned_ids / bl_assert_ids_gone.
bl_snapshot() {
	# Also used under `set -euo pipefail` (tests/writeups/run.sh): a query that finds nothing
	# must not end the caller. `local -` keeps the option change inside this function.
	local -
	set +e +o pipefail
	{
		[ -n "${BPFLAB_SANDBOX:-}" ] || "$BUILD/bpfids"
		ip netns list 2>/dev/null | awk '{ print "netns " $1 }'
		ip -o link show 2>/dev/null | awk -F': ' '{ split($2, a, "@"); print "dev " a[1] }'
		ip -o link show 2>/dev/null | grep -o 'prog/xdp[a-z]* id [0-9]*' | sed 's/^/xdp /'
		bpftool cgroup tree "$BL_CGROUP2" 2>/dev/null |
			awk 'NF >= 3 && $1 ~ /^[0-9]+$/ { print "cgroup-prog " $1 " " $2 }'
		find /sys/fs/bpf -mindepth 1 2>/dev/null | sed 's/^/pin /'
		find "$BL_CGROUP2" -maxdepth 1 -name 'bpflab*' 2>/dev/null | sed 's/^/cgroup /'
		if [ -n "${BPFLAB_SANDBOX:-}" ]; then
			find "$BL_CGROUP2" -mindepth 1 -type d 2>/dev/null | sed 's/^/cgroup /'
			find "${BPFLAB_RUN:-/run/bpflab}" -type f ! -path '*/lock/*' ! -name 'features-*.json' 2>/dev/null | sed 's/^/state /'
		fi
	} | sort -u
}

# Fails (printing the difference) when the kernel state differs from snapshot file $1.
# The kernel frees programs and prog arrays asynchronously (RCU, a work item): allow it 5 s.
bl_assert_same_state() {
	local now i
	for ((i = 0; i < 50; i++)); do
		now=$(bl_snapshot)
		[ "$now" = "$(cat "$1")" ] && return 0
		sleep 0.1
	done
	diff -u "$1" <(echo "$now")
	echo "kernel state changed (- before, + after)" >&2
	return 1
}

# "prog ID" / "map ID" / "link ID" of every program, map and link pinned under DIR, and of
# the maps those programs use: the global ids a test's lab made. Opens pins, never ids.
bl_pinned_ids() { # DIR
	local f j
	find "$1" -type f 2>/dev/null | while read -r f; do
		if j=$(bpftool -j prog show pinned "$f" 2>/dev/null); then
			jq -r '"prog \(.id)", (.map_ids // [] | .[] | "map \(.)")' <<<"$j"
		elif j=$(bpftool -j map show pinned "$f" 2>/dev/null); then
			jq -r '"map \(.id)"' <<<"$j"
		elif j=$(bpftool -j link show pinned "$f" 2>/dev/null); then
			jq -r '"link \(.id)", "prog \(.prog_id)"' <<<"$j"
		fi
	done | sort -u
}

# Fails when any id listed in FILE (from bl_pinned_ids) still exists after 5 s.
bl_assert_ids_gone() { # FILE
	local left i
	[ -s "$1" ] || { echo "bl_assert_ids_gone: $1 lists no ids (the test recorded nothing)" >&2; return 1; }
	for ((i = 0; i < 50; i++)); do
		left=$(comm -12 <(sort -u "$1") <("$BUILD/bpfids" | sort -u))
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "still loaded after down: $left" >&2
	return 1
}

# ---- crafted frames for `bpftool prog run`
# bl_frame FILE HEX...  writes the bytes of the hex words (spaces ignored) to FILE.
bl_frame() {
	local f=$1 hex esc="" i
	shift
	hex=$(echo "$*" | tr -d ' \n')
	for ((i = 0; i < ${#hex}; i += 2)); do esc+="\\x${hex:i:2}"; done
	printf '%b' "$esc" >"$f"
}

# The retval of one run of a pinned program on the bytes of FILE.
bl_prog_retval() { # PINNED_PROG FILE
	bpftool -j prog run pinned "$1" data_in "$2" | jq -r .retval
}

# Retry a command until it succeeds, 10 tries a second for SECONDS (bounded, never hangs). A
# count of tries, not wall time: under TCG (make vmtest) a slow command stretches the wait, and
# the files passed on Debian's 6.1 that way; bats' BATS_TEST_TIMEOUT bounds the whole test there.
bl_wait_for() { # SECONDS CMD...
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# ---- interrupted up: kill points driven by --step, never by a sleep
# Number of "[step]" prompts FILE holds.
bl_prompts() { # FILE
	grep -o '\[step\]' "$1" 2>/dev/null | wc -l
}
bl_prompts_at_least() { [ "$(bl_prompts "$1")" -ge "$2" ]; }

# Runs `SCRIPT --step ARGS... up`, answers the first N prompts, waits until prompt N+1 is
# printed (the script is then blocked reading its answer, after N commands), and sends it
# SIGNAL. Returns 1 if up finished before prompt N+1 (N is past its last command).
# The script must end from the signal itself: the answers stay open until it has (an EOF
# would read as 'q' and roll back too), and it starts with SIGINT at its default, because a
# background job of a non-interactive shell ignores SIGINT and bash cannot trap what it
# inherited ignored.
bl_kill_up_at_step() { # SCRIPT N SIGNAL [ARGS...]
	local script=$1 n=$2 sig=$3 pid rc=0
	shift 3
	rm -f "$BL_TMP/answers" "$BL_TMP/step.err"
	mkfifo "$BL_TMP/answers"
	env --default-signal=INT "$script" --step "$@" up <"$BL_TMP/answers" >/dev/null 2>"$BL_TMP/step.err" 3>&- &
	pid=$!
	exec 6>"$BL_TMP/answers"
	# read(1) on a fifo takes one line per prompt: the answers are consumed one at a time.
	yes '' | head -n "$n" >&6
	if bl_wait_for 30 sh -c "grep -o '\[step\]' '$BL_TMP/step.err' | wc -l | grep -qx '$((n + 1))' || ! kill -0 $pid 2>/dev/null"; then
		kill -0 "$pid" 2>/dev/null && kill "-$sig" "$pid" || rc=1
	else
		kill -9 "$pid" 2>/dev/null || true
		echo "bl_kill_up_at_step: prompt $((n + 1)) never came" >&2
		rc=1
	fi
	if [ "$rc" = 0 ] && ! bl_wait_for 30 sh -c "! kill -0 $pid 2>/dev/null"; then
		kill -9 "$pid" 2>/dev/null || true
		echo "bl_kill_up_at_step: SIG$sig did not end the script" >&2
		rc=2
	fi
	exec 6>&-
	wait "$pid" 2>/dev/null || true
	return "$rc"
}

# True when no network namespace NAME exists (a function: `! cmd` alone never fails a bats test).
bl_no_netns() { # NAME
	! ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qxF "$1"
}

# SIGKILL `SCRIPT --step ARGS... up` after each of its commands in turn (kill point 0, 1, ...
# until up finishes first); after each, `SCRIPT ARGS... down` must leave the state of snapshot
# file BEFORE. Prints "# LABEL: N kill points covered" to the TAP stream; fails below MIN.
# Optional, set for the call: BL_KILL_PINS=DIR also checks that every id pinned under DIR at
# a kill point is gone after its down (bl_pinned_ids; checked once at the end, as ids are never
# reused: the kernel frees them asynchronously); BL_KILL_CHECK=FUNCTION runs after each down
# for what the lab alone makes (e.g. a global switch, tc on a --dev device);
# BL_KILL_STRIDE=N kills at points 0, N, 2N, ... and the last one only (a long up; default 1).
bl_assert_every_kill_point() { # LABEL MIN BEFORE SCRIPT [ARGS...]
	local label=$1 min=$2 before=$3 script=$4 n=0 f
	shift 4
	rm -f "$BL_TMP"/kill.ids.*
	local stride=${BL_KILL_STRIDE:-1} covered=0 last=-1 total
	while :; do
		if ! bl_kill_up_at_step "$script" "$n" KILL "$@"; then
			# Past the end: up ran whole, answering one prompt per command. With a stride,
			# the last kill point (before the last command) is covered too.
			total=$(grep -o '\[step\]' "$BL_TMP/step.err" | wc -l)
			n=$((total - 1))
			[ "$n" -gt "$last" ] || break
			"$script" "$@" down >/dev/null 2>&1
			bl_kill_up_at_step "$script" "$n" KILL "$@" || break
		fi
		[ -z "${BL_KILL_PINS:-}" ] || bl_pinned_ids "$BL_KILL_PINS" >"$BL_TMP/kill.ids.$n"
		"$script" "$@" down >/dev/null 2>&1
		bl_assert_same_state "$before" || { echo "$label: left behind after a kill at command $n" >&2; return 1; }
		[ -z "${BL_KILL_CHECK:-}" ] || "$BL_KILL_CHECK" || { echo "$label: $BL_KILL_CHECK failed after a kill at command $n" >&2; return 1; }
		covered=$((covered + 1)) last=$n
		n=$((n + stride))
	done
	"$script" "$@" down >/dev/null 2>&1
	if [ "$stride" = 1 ]; then
		echo "# $label: $covered kill points covered" >&3
	else
		echo "# $label: $covered kill points covered (every ${stride}th of $((last + 1)), and the last)" >&3
	fi
	[ "$covered" -ge "$min" ] || { echo "$label: only $covered kill points (expected at least $min)" >&2; return 1; }
	bl_assert_same_state "$before"
	[ -n "${BL_KILL_PINS:-}" ] || return 0
	cat "$BL_TMP"/kill.ids.* >"$BL_TMP/kill.ids" 2>/dev/null || true
	bl_assert_ids_gone "$BL_TMP/kill.ids" && return 0
	for f in "$BL_TMP"/kill.ids.*; do
		[ -z "$(comm -12 <(sort -u "$f") <("$BUILD/bpfids" | sort -u))" ] || echo "$label: ids left after a kill at command ${f##*.}" >&2
	done
	return 1
}

# ---- faults under a lab that is up
# BREAK... removes something under the lab as a user might (ip link del, ip netns del, rm of a
# pin); then `SCRIPT down` must succeed, print SAYS, leave the state of snapshot file BEFORE,
# and free every id that was pinned under PINS.
bl_assert_down_after() { # BEFORE PINS SAYS SCRIPT BREAK...
	local before=$1 pins=$2 says=$3 script=$4 out
	shift 4
	bl_pinned_ids "$pins" >"$BL_TMP/break.ids"
	"$@"
	out=$("$script" down 2>&1) || { echo "$out" >&2; echo "down failed after: $*" >&2; return 1; }
	[[ "$out" == *"$says"* ]] || { echo "$out" >&2; echo "down did not say: $says" >&2; return 1; }
	bl_assert_same_state "$before"
	bl_assert_ids_gone "$BL_TMP/break.ids"
}

# `SCRIPT --dry-run down` must print exactly the commands (the "+ " lines) that `SCRIPT down`
# then runs, lines matching the extended regexp SKIP left out (a global switch whose other
# holders come and go in between). Prints those commands, for the test's own checks.
bl_assert_dry_run_down() { # SCRIPT [SKIP]
	local script=$1 skip=${2:-^$} dry real
	dry=$("$script" --dry-run down 2>&1 | grep '^+ ' | grep -Ev "$skip") || true
	real=$("$script" down 2>&1 | grep '^+ ' | grep -Ev "$skip") || true
	[ "$dry" = "$real" ] || { diff -u <(echo "$dry") <(echo "$real") >&2; echo "--dry-run down (-) is not down (+)" >&2; return 1; }
	echo "$dry"
}
