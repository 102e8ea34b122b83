# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Benchmark 9: wall time of `up` and of `down` for every lab script, each pair in its own
# private sandbox (scripts/sandbox.sh: the labs use their default names, nothing is shared
# with the host or other runs). Labs alternate; the sandbox's own set-up is not timed.

LABS_ALL="lab2 tailcall chain glb bpf2bpf template"

bench_labs() {
	local runs=3 l
	[ "$SMOKE" = 0 ] || runs=1
	LABS_LIST=()
	for l in $LABS_ALL; do
		if [ -x "$BPFLAB_ROOT/scripts/$l.sh" ]; then LABS_LIST+=("$l"); else skip_part "$l: scripts/$l.sh not found"; fi
	done
	[ -x "$BPFLAB_ROOT/scripts/sandbox.sh" ] || {
		skip_part "scripts/sandbox.sh not found: the labs would run with their default names on this host"
		return 0
	}
	note "For each lab: \`scripts/sandbox.sh bash -c 'LAB up; LAB down'\`, timing \`up\` and \`down\` inside" \
		"(date +%s%N around each), $runs runs per lab, labs alternated. The lab's output is discarded;" \
		"a failing up or down is reported and not timed. up includes loading and verifying the programs" \
		"and building the lab's netns/veth/cgroup; down removes all of it."
	trace "$BPFLAB_ROOT/scripts/sandbox.sh" bash -c "scripts/LAB.sh up; scripts/LAB.sh down"
	progress "labs: ${#LABS_LIST[@]} labs x $runs runs (up + down, each in a fresh sandbox)"
	interleave "$runs" labs_one "${LABS_LIST[@]}"
}

labs_one() { # RUN LAB
	local out up down
	# shellcheck disable=SC2016 # expanded inside the sandbox
	out=$(cd "$BPFLAB_ROOT" && timeout 120 scripts/sandbox.sh bash -c '
		t0=$(date +%s%N); scripts/$0.sh up >/dev/null 2>&1 || { echo fail-up; scripts/$0.sh down >/dev/null 2>&1; exit 0; }
		t1=$(date +%s%N); scripts/$0.sh down >/dev/null 2>&1 || { echo fail-down; exit 0; }
		t2=$(date +%s%N); echo $((t1 - t0)) $((t2 - t1))' "$2" 2>/dev/null) || true
	read -r up down <<<"$out" || true
	case "$up" in
	"" | fail-*)
		warn "labs: $2 ${up:-sandbox failed} (run $1)"
		return 0
		;;
	esac
	rec up_s "$2" - "$2" - "$1" "$(awk -v n="$up" 'BEGIN { printf "%.3f", n / 1e9 }')" s
	rec down_s "$2" - "$2" - "$1" "$(awk -v n="$down" 'BEGIN { printf "%.3f", n / 1e9 }')" s
}
