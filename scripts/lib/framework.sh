# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are used by the scripts that source this file
# The skeleton every lab script runs on (sourced through lib/lab.sh). A lab script sets PROG and
# LAB, sources lib/lab.sh, declares what it accepts, defines usage() and cmd_<subcommand>, and
# ends with `lab_main "$@"`:
#
#   LAB_SUBCMDS="up down status run:0-1 add:2"   subcommands; ":N" / ":MIN-MAX" positional args
#   LAB_LOCKED="up down add"                     those that change state: run under the lab lock
#   LAB_JSON=1                                   accept --json (sets OPT_JSON=1)
#   LAB_UP_PINS="prog_a map_b"                   pins (under the pin dir) that exist when up
#   LAB_NEEDS="prog:xdp map:sockhash"            what up needs of the kernel (the doctor's probes)
#   lab_option() { ... }                         optional: the lab's own options (see below)
#
# lab_main keeps the original arguments for the sudo re-exec, parses --step --dry-run -v -h
# (--json), hands other options to lab_option, checks the subcommand and its argument count,
# re-runs through sudo when not root, takes the per-lab lock, then runs cmd_<sub> ARGS....
# Adding a lab: see labs/README.md and scripts/template.sh.

LAB_SUBCMDS=${LAB_SUBCMDS:-}
LAB_LOCKED=${LAB_LOCKED:-}
LAB_JSON=${LAB_JSON:-0}
LAB_UP_PINS=${LAB_UP_PINS:-}
LAB_NEEDS=${LAB_NEEDS:-}
OPT_JSON=0
ACTION=""
LAB_ARGS=()
LAB_SHIFT=1
LAB_LOCK_FD=""

# ---- validated overrides: an explicitly empty or malformed value is an error, never the default.
#   lab_env VAR DEFAULT KIND    KIND: name ifname ip port pref int:MIN:MAX path
lab_env() { # VAR DEFAULT KIND
	local var=$1 def=$2 kind=$3
	if [ -n "${!var+set}" ]; then
		[ -n "${!var}" ] || lab_bad_value "$var is set but empty" "unset it to use the default ($def)"
	else
		printf -v "$var" '%s' "$def"
	fi
	lab_check_value "$var" "${!var}" "$kind"
}

# Dies (exit 2) unless VALUE is a KIND; WHAT names it in the message (a variable or option).
lab_check_value() { # WHAT VALUE KIND
	local what=$1 v=$2 kind=$3 lo hi
	case "$kind" in
	name | ifname)
		[[ "$v" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] ||
			lab_bad_value "$what='$v' is not a valid name" "use letters, digits, '_', '.', '-' (one path component)"
		[ "$kind" = name ] || [ "${#v}" -le 15 ] ||
			lab_bad_value "$what='$v' is too long for an interface name" "at most 15 characters"
		;;
	ip)
		if ! [[ "$v" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] ||
			((10#${BASH_REMATCH[1]} > 255 || 10#${BASH_REMATCH[2]} > 255 || 10#${BASH_REMATCH[3]} > 255 || 10#${BASH_REMATCH[4]} > 255)); then
			lab_bad_value "$what='$v' is not an IPv4 address" "lab addresses come from 198.18.0.0/15, e.g. 198.18.0.1"
		fi
		;;
	port | pref) lab_check_value "$what" "$v" int:1:65535 ;;
	int:*)
		lo=${kind#int:} hi=${lo#*:} lo=${lo%%:*}
		if ! [[ "$v" =~ ^[0-9]{1,9}$ ]] || ((10#$v < lo || 10#$v > hi)); then
			lab_bad_value "$what='$v' is out of range" "a whole number from $lo to $hi"
		fi
		;;
	path)
		if [[ "$v" != /* || "$v/" == */../* ]]; then
			lab_bad_value "$what='$v' is not an absolute path without '..'" "e.g. /sys/fs/bpf/bpflab"
		fi
		;;
	*) die "lab_check_value: unknown kind '$kind'" ;;
	esac
}

lab_bad_value() { # MSG [HINT]
	echo "$PROG: error: $1" >&2
	[ $# -lt 2 ] || echo "Hint: $2" >&2
	exit 2
}

# The veth topology every lab builds by default (see netns_up):
#   host HOSTIF HOSTIP/24 <--- veth ---> netns NS: PEERIF PEERIP/24
# Sets ${PREFIX}_NS _HOSTIF _PEERIF _HOSTIP _PEERIP from the environment or the defaults.
lab_topology() { # PREFIX NS HOSTIF PEERIF HOSTIP PEERIP
	lab_env "${1}_NS" "$2" name
	lab_env "${1}_HOSTIF" "$3" ifname
	lab_env "${1}_PEERIF" "$4" ifname
	lab_env "${1}_HOSTIP" "$5" ip
	lab_env "${1}_PEERIP" "$6" ip
}

# For lab_option: an option that takes a value. Usage error without one (or with an empty one).
lab_optarg() { # OPT [VALUE...]
	if [ $# -lt 2 ] || [ -z "$2" ]; then usage_error "$1 needs a value"; fi
	LAB_SHIFT=2
}

# ---- lab state as the library sees it
is_up() {
	local p
	state_load && [ "${COMPLETE:-0}" = 1 ] || return 1
	for p in $LAB_UP_PINS; do [ -e "$(pin_dir)/$p" ] || return 1; done
}

need_up() {
	[ "$DRY_RUN" = 1 ] || is_up || die "$LAB is not up" "run: $PROG up"
}

lab_pins_present() {
	local p
	[ -n "$LAB_UP_PINS" ] || return 1
	for p in $LAB_UP_PINS; do [ -e "$(pin_dir)/$p" ] || return 1; done
}

# The lab's write-up, where its by-hand steps and teardown are.
lab_page() {
	if [ -f "$BPFLAB_ROOT/labs/$LAB.md" ]; then echo "labs/$LAB.md"; else echo "the lab's write-up"; fi
}

# "<lab>: up|set up by hand|incomplete|down  (pins: DIR)"; returns 0 only when up (by the script).
lab_status_header() {
	local pin
	pin=$(pin_dir)
	if (is_up); then
		echo "$LAB: up  (pins: $pin)"
		return 0
	fi
	if [ ! -f "$(state_file)" ] && [ -e "$pin" ] && lab_pins_present; then
		echo "$LAB: set up by hand (pins in $pin, nothing recorded by '$PROG up'): take it down by hand as $(lab_page) shows; '$PROG down' would remove only the pins"
	elif [ -f "$(state_file)" ] || [ -e "$pin" ]; then
		echo "$LAB: incomplete: an earlier up did not finish; run '$PROG down'  (pins: $pin)"
	else
		echo "$LAB: down  (pins: $pin)"
	fi
	return 1
}

# ---- the per-lab lock: two invocations of one lab (same pin dir) never interleave.
# The lock file stays in $BPFLAB_RUN/lock: removing a lock file races with its waiters.
LAB_LOCK_WAIT=${BPFLAB_LOCK_WAIT:-60}
lab_lock() {
	local f
	lab_check_value BPFLAB_LOCK_WAIT "$LAB_LOCK_WAIT" int:0:3600
	mkdir -p "$BPFLAB_RUN/lock"
	f="$BPFLAB_RUN/lock/$(pin_dir | tr '/' '_').lock"
	exec {LAB_LOCK_FD}>>"$f"
	flock -n "$LAB_LOCK_FD" && return 0
	info "waiting for another $PROG on $(pin_dir) to finish (at most ${LAB_LOCK_WAIT}s)"
	flock -w "$LAB_LOCK_WAIT" "$LAB_LOCK_FD" ||
		die "another $PROG is still running on $(pin_dir)" "wait for it to finish and try again (see it with: fuser -v $f)"
}

# Every lab run holds $BPFLAB_RUN/lock/global.lock shared; only a run that can take it
# exclusively (no other lab run is going on) may remove the shared top pin directory, so one
# lab's down never removes it between another's mkdir and its first pin.
LAB_GLOBAL_FD=""
lab_global_lock() {
	mkdir -p "$BPFLAB_RUN/lock" 2>/dev/null || return 0
	exec {LAB_GLOBAL_FD}>>"$BPFLAB_RUN/lock/global.lock"
	flock -s "$LAB_GLOBAL_FD"
}
lab_alone() {
	[ -n "$LAB_GLOBAL_FD" ] && flock -n -x "$LAB_GLOBAL_FD" || return 1
	flock -s "$LAB_GLOBAL_FD" # back to shared: the answer holds until this run ends
}

# Start CMD in the background without the lock fd (a child holding it would hold the lock).
lab_bg() { # CMD...
	if [ -n "$LAB_LOCK_FD" ]; then
		"$@" {LAB_LOCK_FD}>&- {LAB_GLOBAL_FD}>&- &
	else
		"$@" &
	fi
}

# up fails early, in the words of scripts/doctor.sh, when the kernel lacks a program or map type
# the lab needs. The probe (bpftool feature probe kernel, ~0.5 s) is a check, not a step of the
# lab: it is not traced, and its answer is kept for this boot in $BPFLAB_RUN
# (BPFLAB_FEATURES=FILE reads the probe's JSON from FILE instead). Like the lock files, the
# cache is not state of a lab: down leaves it.
lab_check_needs() {
	local need cache
	[ -n "$LAB_NEEDS" ] && [ "$DRY_RUN" != 1 ] || return 0
	if [ -n "${BPFLAB_FEATURES:-}" ]; then
		FEAT_KERNEL_JSON=$(cat "$BPFLAB_FEATURES")
	else
		cache="$BPFLAB_RUN/features-$(cat /proc/sys/kernel/random/boot_id 2>/dev/null).json"
		if [ ! -s "$cache" ]; then
			mkdir -p "$BPFLAB_RUN"
			if bpftool -j feature probe kernel >"$cache.$$" 2>/dev/null; then
				mv -f "$cache.$$" "$cache"
			else
				rm -f "$cache.$$"
			fi
		fi
		FEAT_KERNEL_JSON=$(cat "$cache" 2>/dev/null) || FEAT_KERNEL_JSON='{}'
	fi
	for need in $LAB_NEEDS; do
		case "$need" in
		prog:*) feat_need prog_type "${need#prog:}" ;;
		map:*) feat_need map_type "${need#map:}" ;;
		*) die "LAB_NEEDS: unknown need '$need'" ;;
		esac
	done
}

# ---- the entry point
lab_subcmd_spec() { # WORD: prints "MIN MAX" when WORD is a subcommand
	local s name n
	for s in $LAB_SUBCMDS; do
		name=${s%%:*}
		[ "$name" = "$1" ] || continue
		n=${s#"$name"}
		n=${n#:}
		case "$n" in
		"") echo "0 0" ;;
		*-*) echo "${n%-*} ${n#*-}" ;;
		*) echo "$n $n" ;;
		esac
		return 0
	done
	return 1
}

lab_main() {
	local orig=("$@") spec min max
	while [ $# -gt 0 ]; do
		LAB_SHIFT=1
		if [ "$1" = --json ] && [ "$LAB_JSON" = 1 ]; then
			OPT_JSON=1
		elif parse_common_opt "$1"; then
			:
		elif declare -F lab_option >/dev/null && lab_option "$@"; then
			:
		elif [ -n "$ACTION" ] && [[ "$1" != -* || "$1" =~ ^-[0-9]+$ ]]; then
			LAB_ARGS+=("$1")
		elif [[ "$1" == -* ]]; then
			usage_error "unknown option '$1'"
		elif spec=$(lab_subcmd_spec "$1"); then
			ACTION=$1
		else
			usage_error "unknown subcommand '$1'"
		fi
		shift "$LAB_SHIFT"
	done
	[ -n "$ACTION" ] || usage_error "missing subcommand"
	read -r min max <<<"$(lab_subcmd_spec "$ACTION")"
	if [ "${#LAB_ARGS[@]}" -lt "$min" ] || [ "${#LAB_ARGS[@]}" -gt "$max" ]; then
		usage_error "'$ACTION' takes $([ "$min" = "$max" ] && echo "$min" || echo "$min to $max") argument(s), got ${#LAB_ARGS[@]}"
	fi
	need_root "${orig[@]}"
	[ -n "$BPFLAB_PIN" ] || lab_bad_value "BPFLAB_PIN is set but empty" "unset it to use the default (/sys/fs/bpf/bpflab)"
	[ -n "$BPFLAB_RUN" ] || lab_bad_value "BPFLAB_RUN is set but empty" "unset it to use the default (/run/bpflab)"
	lab_check_value BPFLAB_PIN "$BPFLAB_PIN" path
	lab_check_value BPFLAB_RUN "$BPFLAB_RUN" path
	[ "$(id -u)" != 0 ] || lab_global_lock
	if [ "$DRY_RUN" != 1 ] && [[ " $LAB_LOCKED " == *" $ACTION "* ]]; then
		lab_lock
	fi
	[ "$ACTION" != up ] || lab_check_needs
	"cmd_$ACTION" "${LAB_ARGS[@]}"
}
