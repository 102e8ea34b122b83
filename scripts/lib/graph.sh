# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What scripts/graph.sh reads, as one JSON document for scripts/lib/graph.jq. Source after
# common.sh. Only reads: programs and links are listed by id (safe), maps only through their
# pins, or by id when a process holds an fd of them (then no flush can be pending): opening a
# PROG_ARRAY by id while its deferred flush is pending leaks a reference on 6.18 (PITFALLS).
#
#   g_show CMD...         print CMD with -v (--step, --dry-run), pause with --step; 1: --dry-run
#   g_get VAR DEFAULT CMD...   VAR = CMD's output (stderr dropped), DEFAULT if it failed or printed nothing
#   g_collect             G_RAW = the raw document for the pins under DIR

MAPPROGS=$BUILD_DIR/mapprogs
PINFILL=${PINFILL:-$BUILD_DIR/pinfill}

# In this shell, never in a $(...): a 'q' at the --step prompt must stop the whole script.
g_show() {
	[ "$VERBOSE" = 0 ] || trace "$@"
	[ "$DRY_RUN" = 0 ] || return 1
	step_pause
}

# A failing bpftool may print {"error": ...}: DEFAULT then, unless G_KEEP=1 (find, which fails
# when a process it walks exits meanwhile, but printed the rest).
g_get() { # VAR DEFAULT CMD...
	local _var=$1 _def=$2 _out=""
	shift 2
	! g_show "$@" || _out=$("$@" 2>/dev/null) || [ "${G_KEEP:-0}" = 1 ] || _out=""
	printf -v "$_var" '%s' "${_out:-$_def}"
}

# bpftool net show in this network namespace and in every named one (a lab's peer end):
# G_NET=[{"ns": NAME, "net": [bpftool's answer]}, ...], "" for this one.
g_net() {
	local ns out
	g_get out '[]' bpftool -j net show
	G_NET="[{\"ns\":\"\",\"net\":$out}"
	while read -r ns _ <&3; do
		[ -e "/run/netns/$ns" ] || continue
		# nsenter, not `ip netns exec`: that one remounts /sys, hiding the pins.
		g_get out '[]' nsenter --net="/run/netns/$ns" bpftool -j net show
		G_NET+=",{\"ns\":\"$ns\",\"net\":$out}"
	done 3< <(ip netns list 2>/dev/null)
	G_NET+="]"
}

# Every fd of a BPF object any process holds, G_FDS=[{pid, comm, fd, kind, id}], read from
# /proc/PID/fdinfo without opening the object (bpftool 7.1 here has no "pids").
g_fds() {
	local lines
	G_KEEP=1 g_get lines "" find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/fd/*' -lname 'anon_inode:bpf*' -printf '%p %l\n'
	G_FDS=$(awk 'BEGIN { printf "[" }
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
	END { print "]" }' <<<"$lines")
}

# Few processes on purpose: on a busy machine each one costs tens of ms.
g_collect() { # DIR
	local dir=$1 pins progs links p m id type cg2 cgroups out maps="" slots="" sockmap="" extra="" raw
	G_KEEP=1 g_get pins "" find "$dir" -type f
	g_get progs '[]' bpftool -j -f prog show
	g_get links '[]' bpftool -j -f link show
	# Pins that are neither a program's nor a link's are maps: open each through its pin.
	# fd 3: stdin stays free for the --step prompts.
	while read -r p <&3; do
		g_get m '' bpftool -j -f map show pinned "$p"
		# bpftool's JSON starts {"id":N,"type":"T",...
		[[ "$m" =~ ^\{\"id\":([0-9]+),\"type\":\"([a-z_]+)\" ]] || continue
		id=${BASH_REMATCH[1]} type=${BASH_REMATCH[2]}
		maps+=${maps:+,}$m
		case "$type" in
		prog_array | array_of_maps | hash_of_maps)
			g_get out '[]' "$PINFILL" --json list "$p"
			slots+="${slots:+,}{\"map\":$id,\"holds\":\"$([ "$type" = prog_array ] && echo prog || echo map)\",\"entries\":$out}"
			;;
		sockmap | sockhash)
			g_get out '[]' "$MAPPROGS" --json "$p"
			sockmap+="${sockmap:+,}{\"map\":$id,\"progs\":$out}"
			;;
		esac
	done 3< <(jq -nr --arg pins "$pins" --argjson progs "$progs" --argjson links "$links" \
		'([$progs[], $links[] | .pinned[]?] | map({key: ., value: 1}) | from_entries) as $o
		 | $pins | split("\n")[] | select(. != "" and ($o[.] | not))')
	g_net
	g_fds
	cg2=$(cgroup2_root)
	cgroups='[]'
	[ -z "$cg2" ] || g_get cgroups '[]' bpftool -j cgroup tree "$cg2"
	# Line 1: the raw document; line 2: the map ids to open by id (see maps_to_open).
	mapfile -t raw < <(jq -nrc --arg dir "$dir" --arg pins "$pins" --argjson progs "$progs" --argjson links "$links" \
		--argjson maps "[$maps]" --argjson slots "[$slots]" --argjson sockmap "[$sockmap]" \
		--argjson net "$G_NET" --argjson fds "$G_FDS" --argjson cgroups "$cgroups" \
		-L "$G_LIB" 'include "graph";
		{dir: $dir, pins: ($pins | split("\n") | map(select(. != "")) | sort), progs: $progs, links: $links,
		 maps: ($maps | unique_by(.id)), slots: ($slots | unique_by(.map)), sockmap: ($sockmap | unique_by(.map)),
		 net: [$net[] | .ns as $ns | .net[0] // {} | . + {ns: $ns}], cgroups: $cgroups, fds: $fds, extra_maps: []}
		| ., (maps_to_open | map(tostring) | join(" "))')
	[ -n "${raw[0]:-}" ] || die "could not read what bpftool printed" "run it again with -v to see the commands"
	# Maps reached only through programs, and held by a process: safe to open by id.
	for id in ${raw[1]:-}; do
		g_get out '{}' bpftool -j map show id "$id"
		extra+=${extra:+,}$out
	done
	G_RAW=${raw[0]}
	[ -z "$extra" ] || G_RAW=$(jq -c --argjson extra "[$extra]" '.extra_maps = ($extra | map(select(.id)))' <<<"$G_RAW")
}
