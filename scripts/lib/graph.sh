# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What scripts/graph.sh reads, as one JSON document for scripts/lib/graph.jq. Source after
# common.sh. Only reads: programs and links are listed by id (safe), maps only through their
# pins, or by id when a process holds an fd of them (then no flush can be pending): opening a
# PROG_ARRAY by id while its deferred flush is pending leaks a reference on 6.18 (PITFALLS).
#
#   g_run CMD...          run a read-only command; with -v (or --step, --dry-run) print it first
#   g_collect DIR         the raw document for the pins under DIR, on stdout

MAPPROGS=$BUILD_DIR/mapprogs
PINFILL=${PINFILL:-$BUILD_DIR/pinfill}

g_run() {
	[ "$VERBOSE" = 0 ] || trace "$@"
	[ "$DRY_RUN" = 0 ] || return 0
	step_pause
	if [ "${G_QUIET:-0}" = 1 ]; then "$@" 2>/dev/null; else "$@"; fi
}

# JSON from a command, or DEFAULT when it printed nothing (an object gone meanwhile, --dry-run).
g_json() { # DEFAULT CMD...
	local def=$1 out
	shift
	out=$(G_QUIET=1 g_run "$@") || out=""
	printf '%s\n' "${out:-$def}"
}

# bpftool net show in this network namespace and in every named one (a lab's peer end):
# [{"ns": NAME, "net": [bpftool's answer]}, ...], "" for this one.
g_net() {
	local ns out
	out=$(g_json '[]' bpftool -j net show)
	printf '[{"ns":"","net":%s}' "$out"
	while read -r ns _ <&3; do
		[ -e "/run/netns/$ns" ] || continue
		# nsenter, not `ip netns exec`: that one remounts /sys, hiding the pins.
		out=$(g_json '[]' nsenter --net="/run/netns/$ns" bpftool -j net show)
		printf ',{"ns":"%s","net":%s}' "$ns" "$out"
	done 3< <(ip netns list 2>/dev/null)
	echo ']'
}

# Every fd of a BPF object any process holds, [{pid, comm, fd, kind, id}], read from
# /proc/PID/fdinfo without opening the object (bpftool 7.1 here has no "pids").
g_fds() {
	local lines
	lines=$(G_QUIET=1 g_run find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/fd/*' -lname 'anon_inode:bpf*' -printf '%p %l\n') || true
	awk 'BEGIN { printf "[" }
	NF == 2 {
		split($1, p, "/"); pid = p[3]; fd = p[5]
		kind = $2 ~ /map/ ? "map" : $2 ~ /link/ ? "link" : "prog"
		key = kind "_id:"; id = ""
		while ((getline l < ("/proc/" pid "/fdinfo/" fd)) > 0) if (index(l, key) == 1) id = l
		close("/proc/" pid "/fdinfo/" fd)
		comm = "?"; getline comm < ("/proc/" pid "/comm"); close("/proc/" pid "/comm")
		gsub(/[^0-9]/, "", id); gsub(/[^A-Za-z0-9_.:\/ -]/, "", comm)
		if (id != "") printf "%s{\"pid\":%s,\"comm\":\"%s\",\"fd\":%s,\"kind\":\"%s\",\"id\":%s}", n++ ? "," : "", pid, comm, fd, kind, id
	}
	END { print "]" }' <<<"$lines"
}

# Few processes on purpose: on a busy machine each one costs tens of ms.
g_collect() { # DIR
	local dir=$1 pins progs links p m id type cg2 raw maps="" slots="" sockmap="" extra=""
	pins=$(G_QUIET=1 g_run find "$dir" -type f) || pins=""
	progs=$(g_json '[]' bpftool -j -f prog show)
	links=$(g_json '[]' bpftool -j -f link show)
	# Pins that are neither a program's nor a link's are maps: open each through its pin.
	# fd 3: stdin stays free for the --step prompts.
	while read -r p <&3; do
		m=$(g_json '' bpftool -j -f map show pinned "$p")
		# bpftool's JSON starts {"id":N,"type":"T",...
		[[ "$m" =~ ^\{\"id\":([0-9]+),\"type\":\"([a-z_]+)\" ]] || continue
		id=${BASH_REMATCH[1]} type=${BASH_REMATCH[2]}
		maps+=${maps:+,}$m
		case "$type" in
		prog_array) slots+="${slots:+,}{\"map\":$id,\"holds\":\"prog\",\"entries\":$(g_json '[]' "$PINFILL" --json list "$p")}" ;;
		array_of_maps | hash_of_maps) slots+="${slots:+,}{\"map\":$id,\"holds\":\"map\",\"entries\":$(g_json '[]' "$PINFILL" --json list "$p")}" ;;
		sockmap | sockhash) sockmap+="${sockmap:+,}{\"map\":$id,\"progs\":$(g_json '[]' "$MAPPROGS" --json "$p")}" ;;
		esac
	done 3< <(jq -nr --arg pins "$pins" --argjson progs "$progs" --argjson links "$links" \
		'([$progs[], $links[] | .pinned[]?] | map({key: ., value: 1}) | from_entries) as $o
		 | $pins | split("\n")[] | select(. != "" and ($o[.] | not))')
	cg2=$(cgroup2_root)
	# Line 1: the raw document; line 2: the map ids to open by id (see maps_to_open).
	mapfile -t raw < <(jq -nrc --arg dir "$dir" --arg pins "$pins" --argjson progs "$progs" --argjson links "$links" \
		--argjson maps "[$maps]" --argjson slots "[$slots]" --argjson sockmap "[$sockmap]" \
		--argjson net "$(g_net)" --argjson fds "$(g_fds)" \
		--argjson cgroups "$(if [ -n "$cg2" ]; then g_json '[]' bpftool -j cgroup tree "$cg2"; else echo '[]'; fi)" \
		-L "$G_LIB" 'include "graph";
		{dir: $dir, pins: ($pins | split("\n") | map(select(. != "")) | sort), progs: $progs, links: $links,
		 maps: ($maps | unique_by(.id)), slots: ($slots | unique_by(.map)), sockmap: ($sockmap | unique_by(.map)),
		 net: [$net[] | .ns as $ns | .net[0] // {} | . + {ns: $ns}], cgroups: $cgroups, fds: $fds, extra_maps: []}
		| ., (maps_to_open | map(tostring) | join(" "))')
	# Maps reached only through programs, and held by a process: safe to open by id.
	for id in ${raw[1]:-}; do
		extra+=${extra:+,}$(g_json '{}' bpftool -j map show id "$id")
	done
	if [ -n "$extra" ]; then
		jq -c --argjson extra "[$extra]" '.extra_maps = ($extra | map(select(.id)))' <<<"${raw[0]}"
	else
		echo "${raw[0]}"
	fi
}
