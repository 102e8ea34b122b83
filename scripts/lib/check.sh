# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are used by the files that source this one
# scripts/check.sh's shared part: recording check results, building a student's program with
# the project's flags, reading its programs and sections, loading it (verifier messages).
#
#   ck_result NAME pass|fail MESSAGE [DETAILS]   record one check; text mode prints it now
#   ck_import FILE        record the "PASS name: msg" / "FAIL name: msg" lines of a tool's
#                         output (indented lines after a FAIL are its details)
#   ck_build SRC OBJ      clang with `make print-bpf-cflags`; records check "compile"
#   ck_progs OBJ          "SECTION<TAB>FUNCTION" of every program in OBJ
#   ck_has_prog / ck_has_map OBJ NAME   OBJ defines that program / map
#   ck_want_section OBJ LABEL SECTION-REGEX...   record check "section": OBJ has a program
#                         in one of the sections (sets CK_PROG, CK_SEC)
#   ck_load OBJ DIR [bpftool loadall args]   loadall into DIR; records check "load"
#   ck_json / ck_csv / ck_summary  the results as JSON / CSV rows / a closing text line
# Source after common.sh. CK_MODE: text or json.

CK_MODE=${CK_MODE:-text}
CK_NAMES=() CK_OK=() CK_MSGS=() CK_DETAILS=()

ck_result() { # NAME pass|fail MESSAGE [DETAILS]
	CK_NAMES+=("$1") CK_OK+=("$2") CK_MSGS+=("$3") CK_DETAILS+=("${4:-}")
	[ "$CK_MODE" = text ] || return 0
	if [ "$2" = pass ]; then
		printf 'PASS %s: %s\n' "$1" "$3"
	else
		printf 'FAIL %s: %s\n' "$1" "$3"
		[ -z "${4:-}" ] || printf '%s\n' "$4" | sed 's/^/    /'
	fi
}

ck_failed() { # true when any check failed so far
	local ok
	for ok in "${CK_OK[@]}"; do [ "$ok" = pass ] || return 0; done
	return 1
}

ck_import() { # FILE
	local line name="" ok="" msg="" det=""
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ $line =~ ^(PASS|FAIL)\ ([^:]+):\ (.*)$ ]]; then
			[ -z "$name" ] || ck_result "$name" "$ok" "$msg" "$det"
			name=${BASH_REMATCH[2]} msg=${BASH_REMATCH[3]} det=""
			ok=$([ "${BASH_REMATCH[1]}" = PASS ] && echo pass || echo fail)
		elif [ -n "$name" ]; then
			line=${line#    }
			det+=${det:+$'\n'}$line
		fi
	done <"$1"
	[ -z "$name" ] || ck_result "$name" "$ok" "$msg" "$det"
}

# vmlinux.h precompiled with FLAGS, reused by every run (half of a compile is parsing it; the
# objects come out byte-identical). Rebuilt when vmlinux.h or the flags change; made under a
# temporary name and renamed, so parallel runs never see half a file. Prints its path, or
# nothing when it cannot be made (then the plain compile is used).
ck_pch() { # FLAGS...
	local dir=$BUILD_DIR/check pch stamp tmp
	pch=$dir/vmlinux.h.pch stamp="$*"
	if [ -s "$pch" ] && [ "$pch" -nt "$BUILD_DIR/vmlinux.h" ] && [ "$(cat "$pch.flags" 2>/dev/null)" = "$stamp" ]; then
		echo "$pch"
		return 0
	fi
	mkdir -p "$dir" 2>/dev/null || return 0
	tmp=$(mktemp "$dir/.pch.XXXXXX") || return 0
	if (cd "$BPFLAB_ROOT" && clang "$@" -x c-header "$BUILD_DIR/vmlinux.h" -o "$tmp") >/dev/null 2>&1; then
		echo "$stamp" >"$tmp.flags" && mv "$tmp.flags" "$pch.flags" && mv "$tmp" "$pch" && echo "$pch"
	fi
	rm -f "$tmp" "$tmp.flags"
}

ck_build() { # SRC OBJ
	local src=$1 obj=$2 flags log pch first cc
	# shellcheck disable=SC2207 # the flags are words
	flags=($(make -s --no-print-directory -C "$BPFLAB_ROOT" print-bpf-cflags))
	log=$obj.log
	cc=(clang "${flags[@]}" -I"$(dirname "$src")")
	# The precompiled vmlinux.h stands in for the file's own first #include only when that is
	# "vmlinux.h" (as in every starter): anything else is compiled exactly as written.
	first=$(grep -m1 '^[[:space:]]*#[[:space:]]*include' "$src" 2>/dev/null || true)
	if [[ $first =~ \"vmlinux\.h\" ]] && pch=$(ck_pch "${flags[@]}") && [ -n "$pch" ]; then
		cc+=(-include-pch "$pch")
	fi
	vtrace "${cc[@]}" -c "$src" -o "$obj"
	if (cd "$BPFLAB_ROOT" && "${cc[@]}" -c "$src" -o "$obj") >"$log" 2>&1 ||
		# A failure is always reported from the plain compile (an outdated PCH must not count).
		{ [ -n "${pch:-}" ] && (cd "$BPFLAB_ROOT" && clang "${flags[@]}" -I"$(dirname "$src")" -c "$src" -o "$obj") >"$log" 2>&1; }; then
		ck_result compile pass "built with the project's flags (${flags[*]})"
		return 0
	fi
	local why="clang's first errors are below"
	# Only warnings made errors (no real error): say why they stop the build.
	grep -q -- 'error:.*\[-Werror' "$log" && ! grep -v -- '\[-Werror' "$log" | grep -q 'error:' &&
		why="the project builds with -Wall -Werror: every warning is an error (an unused variable too)"
	ck_result compile fail "does not compile: $why" "$(grep -v '^[0-9]* \(error\|warning\)s\? generated' "$log" | head -n 15)"
	return 1
}

ck_progs() { # OBJ
	llvm-objdump -t "$1" 2>/dev/null | awk '$2 == "g" && $3 == "F" { print $4 "\t" $6 }'
}

# Whether OBJ defines program (function) NAME / map NAME. Captured first: `cmd | grep -q`
# under pipefail fails when grep exits before cmd has written everything.
ck_has_prog() { # OBJ NAME
	local l
	l=$(ck_progs "$1" | cut -f2)
	grep -qx "$2" <<<"$l"
}
ck_has_map() { # OBJ NAME
	local l
	l=$(llvm-objdump -t "$1" 2>/dev/null | awk '$4 == ".maps" { print $NF }')
	grep -qx "$2" <<<"$l"
}

# The one program the lab grades: in a section matching one of the regexes.
ck_want_section() { # OBJ LABEL REGEX...
	local obj=$1 label=$2 sec fn found=""
	shift 2
	CK_PROG="" CK_SEC=""
	while IFS=$'\t' read -r sec fn; do
		for re in "$@"; do
			if [[ $sec =~ ^($re)$ ]] && [ -z "$CK_PROG" ]; then CK_PROG=$fn CK_SEC=$sec; fi
		done
		found+="${found:+, }$fn in SEC(\"$sec\")"
	done < <(ck_progs "$obj")
	if [ -n "$CK_PROG" ]; then
		ck_result section pass "$label: $CK_PROG in SEC(\"$CK_SEC\")"
		return 0
	fi
	ck_result section fail "wrong program type or section: this exercise needs $label, the file has ${found:-no program at all}" \
		"The section name picks the program type: write SEC(\"${1%%|*}\") right above the function (see the starter in exercises/)."
	return 1
}

# One sentence on what the verifier's last words usually mean.
ck_verifier_hint() { # LOG
	case "$(cat "$1")" in
	*"invalid access to packet"* | *"outside of the packet"*)
		echo "The program reads packet bytes it has not proven to be there: compare the end of what you read with data_end (e.g. if ((void *)(ip + 1) > data_end) return XDP_PASS;) before every access." ;;
	*"invalid mem access 'scalar'"* | *"invalid mem access 'map_value_or_null'"* | *"_or_null"*)
		echo "A pointer that may be NULL (a map lookup's result) is dereferenced: check it for NULL first." ;;
	*"R0 !read_ok"* | *"R0 is not a known value"* | *"At program exit"*)
		echo "The return value is missing or out of range for this program type." ;;
	*"!read_ok"* | *"invalid read from stack"* | *"invalid indirect read from stack"*)
		echo "A variable or part of a struct is read before it is written: initialise it (struct x k = {};)." ;;
	*"back-edge"* | *"infinite loop"* | *"too large"* | *"too complex"*)
		echo "The verifier cannot prove a loop ends, or there are too many paths: bound the loop with a constant or unroll it (#pragma unroll)." ;;
	*"unknown func"* | *"program of this type cannot use helper"*)
		echo "This program type may not call that helper: check which helpers its section allows." ;;
	*"invalid argument"* | *"type=scalar expected=fp"* | *"expected=map_ptr"*)
		echo "A helper got an argument of the wrong kind (e.g. a value where it wants a pointer to the stack, or a map)." ;;
	*) echo "The verifier could not prove the program safe: the line it stopped at is the last '; ... @ file:line' line above." ;;
	esac
}

ck_load() { # OBJ DIR [EXTRA bpftool loadall ARGS...]
	local obj=$1 dir=$2 log
	shift 2
	log=$CK_TMP/$(basename "$dir").load.log
	vtrace bpftool prog loadall "$obj" "$dir" "$@"
	if bpftool prog loadall "$obj" "$dir" "$@" >"$log" 2>&1; then
		ck_result load pass "the verifier accepted every program"
		return 0
	fi
	if grep -q 'BEGIN PROG LOAD LOG' "$log"; then
		ck_result load fail "rejected by the verifier. $(ck_verifier_hint "$log")" \
			"$(sed -n '/BEGIN PROG LOAD LOG/,/END PROG LOAD LOG/p' "$log" | grep -v 'PROG LOAD LOG\|^processed [0-9]* insns' | tail -n 8)"
	else
		ck_result load fail "bpftool could not load it" "$(grep -v '^Warning\|^If it used\|^$' "$log" | tail -n 6)"
	fi
	return 1
}

ck_json() { # STUDENT LAB FILE
	local i args=()
	for i in "${!CK_NAMES[@]}"; do
		args+=("${CK_NAMES[i]}" "${CK_OK[i]}" "${CK_MSGS[i]}" "${CK_DETAILS[i]}")
	done
	jq -nc --arg s "$1" --arg lab "$2" --arg f "$3" '
		[$ARGS.positional | _nwise(4) | {name: .[0], ok: (.[1] == "pass"), message: .[2], details: .[3]}] as $c
		| {student: $s, lab: $lab, file: $f, passed: ([$c[] | select(.ok)] | length),
		   failed: ([$c[] | select(.ok | not)] | length), total: ($c | length), checks: $c}
		| .ok = (.failed == 0 and .total > 0)' --args "${args[@]}"
}

# JSON results on stdin (one object a line) -> a CSV header and one row each.
ck_csv() {
	echo "student,lab,passed,failed,total,result,first_failed_check"
	jq -r '[.student, .lab, .passed, .failed, .total, (if .ok then "PASS" else "FAIL" end),
		([.checks[] | select(.ok | not) | .name] | first // "")] | @csv'
}

ck_summary() {
	local i n=0
	for i in "${CK_OK[@]}"; do [ "$i" = pass ] && n=$((n + 1)); done
	echo "$n of ${#CK_OK[@]} checks passed"
}

# -v: show each command as it runs (the house trace); otherwise the checker stays quiet.
vtrace() { [ "$VERBOSE" != 1 ] || trace "$@"; }
