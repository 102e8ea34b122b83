#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Differential fuzzing (build/xdpfuzz, tests/fuzz/): generated frames through xdp_drop_ping,
# xdp_count, xdp_portfilter, the chain lab's root with members and the GLB director, compared
# (verdict, output bytes, counters) with the reference written from the specifications
# (tests/fuzz/ref.c, ref_glb.c).
# A fixed seed here; `make fuzz` runs 1,000,000 frames with a new seed each time.

load helpers

setup_file() {
	bl_setup_names
	export FUZZ="$BUILD/xdpfuzz" REGRESS="$BPFLAB_ROOT/tests/fuzz/regress"
}

teardown_file() {
	rm -rf "$BL_TMP"
}

# The runs column of TARGET's line in the summary table.
runs_of() { # TARGET OUTPUT
	echo "$2" | awk -v t="$1" '$1 == t { print $2 }'
}

@test "fuzz: 20000 frames (seed 1) and every regression frame through all 5 targets (glb encapsulating some): 0 mismatches" {
	nreg=$(find "$REGRESS" -name '*.hex' | wc -l)
	[ "$nreg" -ge 10 ]
	run "$FUZZ" -n 20000 -s 1 -r "$REGRESS" -b "$BUILD"
	echo "$output" | tail -n 8
	[ "$status" = 0 ]
	[[ "$output" == *"regression frames: $nreg from $REGRESS"* ]]
	for t in xdp_drop_ping xdp_count xdp_portfilter chain glb; do
		[ "$(runs_of "$t" "$output")" = $((20000 + nreg)) ]
	done
	# target runs refused ABORTED DROP PASS TX: GUE-encapsulated frames were compared too.
	read -r _ _ _ _ _ _ tx _ < <(echo "$output" | grep '^glb ')
	[ "$tx" -ge 50 ]
	[[ "$output" == *"runs, 0 mismatches"* ]]
	[[ "$output" != *MISMATCH* ]]
}

@test "fuzz: the stream covers drops, passes, TX, aborted and refused (< 14 B) frames; one seed gives the same stream" {
	"$FUZZ" -n 5000 -s 7 -b "$BUILD" >"$BL_TMP/a"
	"$FUZZ" -n 5000 -s 7 -b "$BUILD" >"$BL_TMP/b"
	# Same seed, same verdict counts (the last column, runs/s, is a timing).
	diff <(awk '{ $NF = ""; print }' "$BL_TMP/a" | grep -v ' s (seed') \
		<(awk '{ $NF = ""; print }' "$BL_TMP/b" | grep -v ' s (seed')
	# target runs refused ABORTED DROP PASS TX other mismatch: every outcome occurs.
	read -r _ _ refused aborted drop pass tx _ bad _ < <(grep '^chain ' "$BL_TMP/a")
	[ "$refused" -gt 0 ] && [ "$aborted" -gt 0 ] && [ "$drop" -gt 0 ] && [ "$pass" -gt 0 ] && [ "$tx" -gt 0 ]
	[ "$bad" = 0 ]
}

@test "fuzz: a wrong reference is caught: mismatch printed with the frame, one file per kind saved, exit 1, replayable" {
	run "$FUZZ" -W -n 2000 -s 3 -t xdp_drop_ping -S "$BL_TMP/saved" -b "$BUILD"
	[ "$status" = 1 ]
	[[ "$output" == *"MISMATCH xdp_drop_ping on seed 3 frame "* ]]
	[[ "$output" == *"saved as $BL_TMP/saved/xdp_drop_ping-3-0.hex"* ]]
	first=$(echo "$output" | sed -n 's/^MISMATCH xdp_drop_ping on seed 3 frame \([0-9]*\) .*/\1/p' | head -n1)
	n=$(find "$BL_TMP/saved" -name '*.hex' | wc -l)
	[ "$n" -ge 2 ]
	[ "$n" -le 40 ]
	# The saved frames are regression frames: wrong with -W, right with the real reference.
	run "$FUZZ" -W -n 0 -r "$BL_TMP/saved" -t xdp_drop_ping -b "$BUILD"
	[ "$status" = 1 ]
	"$FUZZ" -n 0 -r "$BL_TMP/saved" -b "$BUILD"
	# -x reproduces one frame of the stream alone.
	run "$FUZZ" -W -s 3 -x "$first" -t xdp_drop_ping -b "$BUILD"
	[ "$status" = 1 ]
	[[ "$output" == *"MISMATCH xdp_drop_ping on seed 3 frame $first "* ]]
}

@test "fuzz: bad usage exits 2 with one clear line; a missing object names make" {
	run "$FUZZ" -t nosuch
	[ "$status" = 2 ]
	[[ "$output" == *"no target 'nosuch' (-l lists them)"* ]]
	run "$FUZZ" -n lots
	[ "$status" = 2 ]
	[[ "$output" == *"-n: 'lots' is not a number"* ]]
	run "$FUZZ" extra
	[ "$status" = 2 ]
	[[ "$output" == *Usage:* ]]
	run "$FUZZ" -n 1 -b "$BL_TMP/nobuild"
	[ "$status" = 1 ]
	[[ "$output" == *"cannot set up xdp_drop_ping"*"run make first?"* ]]
	run "$FUZZ" -o glb
	[ "$status" = 2 ]
	[[ "$output" == *"-o wants NAME=OBJ"* ]]
	# -o replaces exactly the named object: glb's is missing, the other targets still load.
	run "$FUZZ" -n 1 -t xdp_drop_ping -o "glb=$BL_TMP/none.bpf.o"
	[ "$status" = 0 ]
	run "$FUZZ" -n 1 -t glb -o "glb=$BL_TMP/none.bpf.o"
	[ "$status" = 1 ]
	[[ "$output" == *"cannot open $BL_TMP/none.bpf.o"* ]]
	run "$FUZZ" -l
	[ "$status" = 0 ]
	[ "${#lines[@]}" = 5 ]
}
