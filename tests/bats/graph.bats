#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# scripts/graph.sh: the objects of a lab that is up, with who holds a reference to what. Runs in
# its own sandbox (tests/run.sh): lab 2 and the tail-call lab with their default names. Ids and
# names are checked against what bpftool says of the pins themselves.

load helpers

setup_file() {
	bl_setup_names
	GRAPH="$SCRIPTS/graph.sh"
	L2=$BPFLAB_PIN/lab2
	TC=$BPFLAB_PIN/tailcall
	export GRAPH L2 TC
	"$SCRIPTS/lab2.sh" up >/dev/null
	"$SCRIPTS/tailcall.sh" up >/dev/null
	# One run each, shared by the tests that only read (each run takes a second or two).
	"$GRAPH" --json lab2 >"$BL_TMP/l2.json"
	"$GRAPH" lab2 >"$BL_TMP/l2.txt"
	"$GRAPH" -v --json tailcall >"$BL_TMP/tc.json" 2>"$BL_TMP/tc.trace"
}

teardown_file() {
	[ -z "${EV_PID:-}" ] || kill "$EV_PID" 2>/dev/null || true
	"$SCRIPTS/lab2.sh" down >/dev/null 2>&1 || true
	"$SCRIPTS/tailcall.sh" down >/dev/null 2>&1 || true
	rm -rf "$BL_TMP"
}

pid_of() { bpftool -j prog show pinned "$1" | jq -r .id; }
mid_of() { bpftool -j map show pinned "$1" | jq -r .id; }

# has_edge FILE FROM TO LABEL: the graph in FILE (graph.sh --json) has that edge.
has_edge() {
	jq -e --arg f "$2" --arg t "$3" --arg l "$4" 'any(.edges[]; .from == $f and .to == $t and .label == $l)' "$1" >/dev/null ||
		{ echo "no edge $2 -[$4]-> $3 in $1" >&2; return 1; }
}

@test "graph: lab2's programs are attached where lab2 put them (XDP on bpflab0, sockops on the cgroup, sk_msg on sock_ops_map)" {
	local xdp so redir map
	xdp=$(pid_of "$L2/xdp_drop_ping") so=$(pid_of "$L2/bpf_sockops") redir=$(pid_of "$L2/bpf_redir")
	map=$(mid_of "$L2/sock_ops_map")
	has_edge "$BL_TMP/l2.json" dev:/bpflab0 "prog:$xdp" "xdp driver"
	has_edge "$BL_TMP/l2.json" "cgroup:$BL_CGROUP2/bpflab" "prog:$so" cgroup_sock_ops
	has_edge "$BL_TMP/l2.json" "map:$map" "prog:$redir" msg_verdict
	# and the text says the same, in words
	output=$(cat "$BL_TMP/l2.txt")
	[[ "$output" == *"prog $xdp xdp_drop_ping  xdp"$'\n'"  <- pin $L2/xdp_drop_ping"$'\n'"  <- device bpflab0  [xdp driver]"* ]]
	[[ "$output" == *"  <- cgroup $BL_CGROUP2/bpflab  [cgroup_sock_ops]"* ]]
	[[ "$output" == *"map $map sock_ops_map  sockhash, 65535 entries"* ]]
	[[ "$output" == *"  -> prog $redir bpf_redir  [msg_verdict]"* ]]
}

@test "graph: every pin of lab2 points at its object, and every map a lab2 program uses is drawn" {
	local p j
	# What bpftool says of each pin: the edges the graph must have.
	while read -r p; do
		if j=$(bpftool -j prog show pinned "$p" 2>/dev/null); then
			echo "{\"pin\":\"$p\",\"prog\":$j}"
		else
			echo "{\"pin\":\"$p\",\"map\":$(bpftool -j map show pinned "$p")}"
		fi
	done < <(find "$L2" -type f) >"$BL_TMP/pins.jsonl"
	[ "$(grep -c . "$BL_TMP/pins.jsonl")" -ge 5 ]
	run jq -s -c --slurpfile g "$BL_TMP/l2.json" '$g[0] as $g
		| [.[] | if .prog then {from: "pin:\(.pin)", to: "prog:\(.prog.id)", label: "pin"},
			(.prog.id as $p | .prog.map_ids[] | {from: "prog:\($p)", to: "map:\(.)", label: "uses"})
		  else {from: "pin:\(.pin)", to: "map:\(.map.id)", label: "pin"} end] as $want
		| {missing: ($want - [$g.edges[] | {from, to, label: .label}]),
		   unnamed_maps: [$g.objects[] | select(.kind == "map" and .name == null) | .id],
		   pins: ([$g.edges[] | select(.label == "pin")] | length), want_pins: length,
		   progs: ([$g.objects[] | select(.kind == "prog")] | length)}' "$BL_TMP/pins.jsonl"
	[ "$status" -eq 0 ]
	# exactly these pins and lab2's three programs, nothing from another lab
	[ "$output" = '{"missing":[],"unnamed_maps":[],"pins":'"$(grep -c . "$BL_TMP/pins.jsonl")"',"want_pins":'"$(grep -c . "$BL_TMP/pins.jsonl")"',"progs":3}' ]
}

@test "graph: tail-call lab: jmp_table slot N holds classifier_N, entry is on tc ingress of bpflabtc0" {
	local jt k
	jt=$(mid_of "$TC/jmp_table")
	for k in 0 1 2; do
		has_edge "$BL_TMP/tc.json" "map:$jt" "prog:$(pid_of "$TC/classifier_$k")" "slot $k"
	done
	has_edge "$BL_TMP/tc.json" dev:/bpflabtc0 "prog:$(pid_of "$TC/entry")" "tc clsact/ingress"
	has_edge "$BL_TMP/tc.json" "prog:$(pid_of "$TC/entry")" "map:$jt" uses
	# without LAB: both labs
	run "$GRAPH"
	[ "$status" -eq 0 ]
	[[ "$output" == *"<- pin $TC/entry"* && "$output" == *"<- pin $L2/bpf_redir"* ]]
}

@test "graph: -o writes a PNG and an SVG picture (PNG magic, SVG root element, the lab's programs named)" {
	"$GRAPH" -o "$BL_TMP/l2.png" lab2
	"$GRAPH" -o "$BL_TMP/tc.svg" tailcall
	[ -s "$BL_TMP/l2.png" ] && [ -s "$BL_TMP/tc.svg" ]
	[ "$(head -c 8 "$BL_TMP/l2.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
	grep -q '<svg ' "$BL_TMP/tc.svg"
	grep -q '</svg>' "$BL_TMP/tc.svg"
	grep -q classifier_2 "$BL_TMP/tc.svg"
	# nothing half-written is left next to them
	[ "$(find "$BL_TMP" -name '*.png.*' -o -name '*.svg.*' | wc -l)" -eq 0 ]
}

@test "graph: -v prints the bpftool commands it runs; --dry-run prints them and runs nothing" {
	grep -qxF "+ bpftool -j -f prog show" "$BL_TMP/tc.trace"
	grep -qxF "+ bpftool -j -f map show pinned $TC/jmp_table" "$BL_TMP/tc.trace"
	grep -qxF "+ $BUILD/pinfill --json list $TC/jmp_table" "$BL_TMP/tc.trace"
	grep -qxF "+ bpftool -j cgroup tree $BL_CGROUP2" "$BL_TMP/tc.trace"
	run "$GRAPH" --dry-run lab2
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ find $L2 -type f"* ]]
	[[ "$output" != *"<- "* && "$output" != *"# objects"* ]]
}

@test "graph: bad input: unknown lab and lab not up exit 1 with a Hint; usage errors exit 2" {
	run "$GRAPH" nosuchlab
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "graph.sh: error: unknown lab 'nosuchlab'"* ]]
	[[ "${lines[1]}" == "Hint: labs: "*lab2* ]]
	run "$GRAPH" glb
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "graph.sh: error: lab 'glb' is not up"* ]]
	[[ "${lines[1]}" == "Hint: bring it up: scripts/glb.sh up"* ]]
	run "$GRAPH" --bogus
	[ "$status" -eq 2 ]
	run "$GRAPH" -o "$BL_TMP/x.jpg" lab2
	[ "$status" -eq 2 ]
	run "$GRAPH" lab2 tailcall
	[ "$status" -eq 2 ]
	run "$GRAPH" ../lab2
	[ "$status" -eq 2 ]
}

@test "graph: a process holding a map fd is shown as a holder, and is gone when it exits" {
	bpftool map create "$L2/ev" type perf_event_array key 4 value 4 entries 2 name ev
	bpftool map event_pipe pinned "$L2/ev" >/dev/null 2>&1 3>&- &
	EV_PID=$!
	local ev
	ev=$(mid_of "$L2/ev")
	bl_wait_for 10 sh -c "ls -l /proc/$EV_PID/fd | grep -q bpf-map"
	run "$GRAPH" lab2
	[[ "$output" == *"map $ev ev  perf_event_array, 2 entries"$'\n'"  <- pin $L2/ev"$'\n'"  <- process $EV_PID bpftool  [fd "* ]]
	kill "$EV_PID"
	wait "$EV_PID" || true
	"$GRAPH" --json lab2 >"$BL_TMP/ev.json"
	jq -e 'all(.edges[]; .from | startswith("proc:") | not)' "$BL_TMP/ev.json"
	rm "$L2/ev"
}

@test "graph: after a slot delete the slot edge is gone and the program is still pinned" {
	local jt c1
	jt=$(mid_of "$TC/jmp_table") c1=$(pid_of "$TC/classifier_1")
	"$BUILD/pinfill" del "$TC/jmp_table" 1
	"$GRAPH" --json tailcall >"$BL_TMP/tc-del.json"
	run has_edge "$BL_TMP/tc-del.json" "map:$jt" "prog:$c1" "slot 1"
	[ "$status" -eq 1 ]
	has_edge "$BL_TMP/tc-del.json" "map:$jt" "prog:$(pid_of "$TC/classifier_2")" "slot 2"
	has_edge "$BL_TMP/tc-del.json" "pin:$TC/classifier_1" "prog:$c1" pin
}

@test "graph: after rm of the XDP program's pin the pin edge is gone, the attachment still holds the program" {
	local xdp
	xdp=$(pid_of "$L2/xdp_drop_ping")
	rm "$L2/xdp_drop_ping"
	"$GRAPH" lab2 >"$BL_TMP/after.txt"
	grep -qxF "prog $xdp xdp_drop_ping  xdp" "$BL_TMP/after.txt"
	grep -A1 -xF "prog $xdp xdp_drop_ping  xdp" "$BL_TMP/after.txt" | grep -qxF "  <- device bpflab0  [xdp driver]"
	[ "$(grep -c "pin $L2/xdp_drop_ping" "$BL_TMP/after.txt")" -eq 0 ]
	# the before/after comparison a student makes: only the pin line (and the pin count) changed
	run diff "$BL_TMP/l2.txt" "$BL_TMP/after.txt"
	[ "$status" -eq 1 ]
	[ "$(grep -c '^<' <<<"$output")" -eq 2 ]
	[[ "$output" == *"<   <- pin $L2/xdp_drop_ping"* ]]
	[ "$(grep -c '^>' <<<"$output")" -eq 1 ]
}
