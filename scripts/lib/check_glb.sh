# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# scripts/check.sh glb: a GLB director (exercises/glb/glb.bpf.c). Two checks past the load:
#   frames  build/xdpfuzz runs a fixed stream of generated frames through the student's
#           glb_fwd and compares verdict and output bytes with GLB's specification
#           (tests/fuzz/ref_glb.c): 4 binds, 3 tables of 65536 rows, one empty slot;
#   swap    the student's maps filled by build/glbtable as the lab does; a packet goes to the
#           table's backend, and after a new table is swapped into the slot (one update of
#           glb_tables) the next packet goes to the new table's backend.

CK_GLB_SEED=1 CK_GLB_FRAMES=20000

# The most frequent kind of mismatch in xdpfuzz's output -> one sentence on its usual cause.
glb_frames_hint() { # XDPFUZZ_OUTPUT_FILE
	local kind
	kind=$(sed -n 's/^MISMATCH .*: want \(refused\|retval [0-9]*\).*, got \(refused\|retval [0-9]*\).*/\1 -> \2/p' "$1" |
		sort | uniq -c | sort -rn | head -n 1 | sed 's/^ *[0-9]* //')
	case "$kind" in
	"retval 3 -> retval 2") echo "Packets to a bound VIP passed: a lookup (bind, table, key or row) found nothing, or its result was not used." ;;
	"retval 2 -> retval 3") echo "Packets the director must pass were encapsulated: an unbound VIP, an empty table slot and an empty row (primary 0.0.0.0) all pass." ;;
	"retval 3 -> retval 3") echo "Encapsulated, but not as the specification: the row is glb_hash_row(glb_siphash(key, &f.msg, f.msg_len)) with the key of the bind's table (glb_secrets[T]), in the table of glb_tables[T]." ;;
	*) echo "Compare the frame below with what your program does: build/xdpfuzz -t glb -o glb=YOUR.bpf.o -s $CK_GLB_SEED -x N -v runs frame N alone." ;;
	esac
}

# Two of the mismatches xdpfuzz printed, well-formed frames first (a frame with a broken
# header teaches less), each cut to its first 64 bytes (the headers).
glb_frames_shown() { # XDPFUZZ_OUTPUT_FILE
	awk '/^MISMATCH/ { n++; valid[n] = /\(valid,/; hex[n] = 0 }
	     /^(MISMATCH|  output differs)/ { text[n] = text[n] $0 "\n"; next }
	     n && /^[0-9a-f][0-9a-f]( |$)/ { if (hex[n]++ < 4) text[n] = text[n] $0 "\n"; else if (hex[n] == 5) text[n] = text[n] "...\n" }
	     END { for (pass = 1; pass >= 0; pass--) for (i = 1; i <= n && shown < 2; i++)
	               if (valid[i] == pass) { printf "%s", text[i]; shown++ } }' "$1"
}

# Run FRAME through the student's program, check the output against glbtable's prediction.
glb_swap_step() { # PIN_DIR MAPS FRAME OUT -> prints glbtable's verdict line; fails if not as predicted
	local d=$1 m=$2 fr=$3 out=$4 rv
	rv=$(ck_run "$d/glb_fwd" "$fr" data_out "$out")
	if [ "$rv" != 3 ]; then
		echo "glb_fwd returned $rv (want 3, XDP_TX) for a packet to a bound VIP whose table is full"
		return 1
	fi
	vtrace "$GLBTABLE" -d "$m" flow --check "$out" 198.18.40.2 40001 198.19.1.1 80 tcp
	"$GLBTABLE" -d "$m" flow --check "$out" 198.18.40.2 40001 198.19.1.1 80 tcp 2>&1 | tail -n 1
	return "${PIPESTATUS[0]}"
}

grade_glb() { # OBJ
	local obj=$1 s=$CK_PIN/student m=$CK_PIN/student_maps fr=$CK_TMP/glb.bin out=$CK_TMP/glb.out
	local res n first second missing=() map
	GLBTABLE=$BUILD_DIR/glbtable
	ck_want_section "$obj" 'an XDP program (SEC("xdp"))' 'xdp' || return 1
	ck_want_progs "$obj" "the director" glb_fwd || return 1
	for map in glb_binds glb_tables glb_secrets glb_config; do
		ck_has_map "$obj" "$map" || missing+=("$map")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		ck_result maps fail "missing ${missing[*]}: keep the starter's map definitions (the checker fills them by name)"
		return 1
	fi
	ck_load "$obj" "$s" pinmaps "$m" || return 1

	# ---- frames: the same stream every time (seed), so a student can replay one frame.
	vtrace "$BUILD_DIR/xdpfuzz" -t glb -o "glb=$obj" -n "$CK_GLB_FRAMES" -s "$CK_GLB_SEED"
	"$BUILD_DIR/xdpfuzz" -t glb -o "glb=$obj" -n "$CK_GLB_FRAMES" -s "$CK_GLB_SEED" >"$CK_TMP/fuzz" 2>&1 || true
	res=$(sed -n 's/^\([0-9]*\) runs, \([0-9]*\) mismatches.*/\1 \2/p' "$CK_TMP/fuzz")
	if [ -z "$res" ]; then
		ck_result frames fail "build/xdpfuzz could not run your program" "$(tail -n 4 "$CK_TMP/fuzz")"
	elif [ "${res#* }" = 0 ]; then
		n=$(awk '$1 == "glb" { print $7 }' "$CK_TMP/fuzz")
		ck_result frames pass "${res% *} generated frames (seed $CK_GLB_SEED): verdicts and output bytes as GLB's specification ($n encapsulated, XDP_TX)"
	else
		ck_result frames fail "${res#* } of ${res% *} generated frames (seed $CK_GLB_SEED) differ from GLB's specification. $(glb_frames_hint "$CK_TMP/fuzz")" \
			"$(glb_frames_shown "$CK_TMP/fuzz")"
	fi

	# ---- swap: table 0 holds one backend, then a new table with another is swapped in.
	"$GLBTABLE" frame 198.18.40.2 40001 198.19.1.1 80 tcp "$fr" >/dev/null
	# shellcheck disable=SC2046 # the key's bytes are words
	if ! { bpftool map update pinned "$m/glb_config" key 0 0 0 0 value 198 18 41 2 0 0 0 0 &&
		bpftool map update pinned "$m/glb_binds" key $("$GLBTABLE" key 198.19.1.1 80 tcp) value 0 0 0 0 &&
		"$GLBTABLE" -d "$m" fill 0 --key 000102030405060708090a0b0c0d0e0f 198.18.42.2 198.18.43.2; } >"$CK_TMP/swap.err" 2>&1; then
		ck_result swap fail "cannot fill your maps as the lab does (glbtable)" "$(tail -n 3 "$CK_TMP/swap.err")"
		return 1
	fi
	if ! first=$(glb_swap_step "$s" "$m" "$fr" "$out"); then
		ck_result swap fail "with table 0 filled: $first" \
			"The packet must go out to the primary of its row, with the secondary as the GUE hop."
		return 0
	fi
	"$GLBTABLE" -d "$m" fill 0 198.18.44.2 198.18.45.2 >/dev/null 2>"$CK_TMP/swap.err" || {
		ck_result swap fail "cannot swap a new table into slot 0 of your glb_tables" "$(tail -n 3 "$CK_TMP/swap.err")"
		return 1
	}
	if second=$(glb_swap_step "$s" "$m" "$fr" "$out"); then
		ck_result swap pass "the next packet after a table swap went to the new table's backend: $second"
	else
		ck_result swap fail "after a new table was swapped into slot 0: $second" \
			"Before the swap: $first"$'\n'"Look the table up in glb_tables for every packet; never keep one."
	fi
}
