#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The write-ups run as a student runs them: every ```sh block of a page, in order, in one
# fresh root shell at the repository root, inside a sandbox of its own (default names);
# shown outputs compared after masking (tests/writeups/mask.sed); nothing left after the
# page's own teardown. See tests/writeups/run.sh.

load helpers

setup_file() {
	bl_setup_names
}

teardown_file() {
	rm -rf "$BL_TMP"
}

writeup() { # PAGE
	cd "$BPFLAB_ROOT" || return 1
	run "$SCRIPTS/sandbox.sh" tests/writeups/run.sh "$1"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "write-up labs/lab2.md runs as typed, prints what it shows, and its teardown leaves nothing" {
	writeup labs/lab2.md
}

@test "write-up labs/xdpcap.md runs as typed, prints what it shows, and its teardown leaves nothing" {
	writeup labs/xdpcap.md
}

@test "write-up labs/tailcall.md runs as typed, prints what it shows, and its teardown leaves nothing" {
	writeup labs/tailcall.md
}

@test "write-up labs/chain.md runs as typed, prints what it shows, and its teardown leaves nothing" {
	writeup labs/chain.md
}

@test "write-up labs/bpf2bpf.md runs as typed, prints what it shows, and its teardown leaves nothing" {
	writeup labs/bpf2bpf.md
}

@test "write-up labs/glb.md runs as typed, prints what it shows, and its teardown leaves nothing" {
	writeup labs/glb.md
}

page() { # LINE...: a page of these lines in BL_TMP/page.md
	printf '%s\n' "$@" >"$BL_TMP/page.md"
}

@test "the harness: one of several shown outputs or exit statuses (two kernels) must match, or the page fails" {
	cd "$BPFLAB_ROOT" || return 1
	page '```sh' 'echo a' '```' '```output' 'b' '```' 'text' '```output' 'a' '```'
	run tests/writeups/run.sh "$BL_TMP/page.md"
	[ "$status" -eq 0 ]
	page '```sh' 'echo a' '```' '```output' 'b' '```' 'text' '```output' 'c' '```'
	run tests/writeups/run.sh "$BL_TMP/page.md"
	[ "$status" -eq 1 ]
	[[ $output == *"printed something else than the page shows"* ]]
	page '```sh exit=1,0' 'true' '```'
	run tests/writeups/run.sh "$BL_TMP/page.md"
	[ "$status" -eq 0 ]
	page '```sh exit=1,2' 'true' '```'
	run tests/writeups/run.sh "$BL_TMP/page.md"
	[ "$status" -eq 1 ]
	[[ $output == *"last command exited 0, the page says 1 or 2"* ]]
}

# The commands of the page's ```sh blocks before section STOP, one a line, quotes and $ gone.
page_commands() { # PAGE STOP
	awk -v stop="$2" 'index($0, stop) == 1 { exit } /^```sh/ { f = 1; next } /^```/ { f = 0 } f' "$1" |
		sed -e 's/"//g' -e 's/\$//g'
}

# Every command that `SCRIPT --dry-run up` prints appears among the page's by-hand commands
# (before section STOP), in the same order; the page may have experiments in between.
# SKIP: a regular expression for commands that the page does its own way (e.g. glb.sh's
# servers write into the script's state directory, the page's into /tmp).
dry_run_follows_page() { # SCRIPT PAGE STOP [SKIP]
	local dry page line i=0
	# In a sandbox with a clean environment: the labs' default names, as on the page, also
	# where this file runs outside tests/run.sh's sandbox (make vmtest).
	dry=$("$SCRIPTS/sandbox.sh" env -i PATH="$PATH" HOME=/root "$SCRIPTS/$1" --dry-run up 2>&1 | sed -n 's/^+ //p' |
		sed -e "s#$BL_CGROUP2/bpflab#CG#g" -e "s#$BPFLAB_ROOT/##g" | grep -Ev -- "${4:-^\$}")
	page=$(page_commands "$BPFLAB_ROOT/labs/$2" "$3")
	[ -n "$dry" ]
	mapfile -t P <<<"$page"
	while IFS= read -r line; do
		while [ "$i" -lt "${#P[@]}" ] && [ "${P[i]}" != "$line" ]; do i=$((i + 1)); done
		[ "$i" -lt "${#P[@]}" ] || { echo "not in labs/$2 (in this order): $line"; return 1; }
		i=$((i + 1))
	done <<<"$dry"
}

@test "lab2.sh --dry-run up prints the page's by-hand commands, in the same order" {
	dry_run_follows_page lab2.sh lab2.md "## 4."
}

@test "tailcall.sh --dry-run up prints the page's by-hand commands, in the same order" {
	dry_run_follows_page tailcall.sh tailcall.md "## 5."
}

@test "chain.sh --dry-run up prints the page's by-hand commands, in the same order" {
	dry_run_follows_page chain.sh chain.md "## 3."
}

@test "bpf2bpf.sh --dry-run up prints the page's by-hand commands, in the same order" {
	dry_run_follows_page bpf2bpf.sh bpf2bpf.md "## 5."
}

@test "glb.sh --dry-run up prints the page's by-hand commands, in the same order" {
	dry_run_follows_page glb.sh glb.md "## 3." "/run/bpflab/"
}
