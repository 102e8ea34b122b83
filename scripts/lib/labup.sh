# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # DEV and NS are set for the scripts that source this file
# The start of every lab's `up` and `down`, for labs on one device that is either the lab's
# own veth (in a netns) or a user's --dev. Source after common.sh. The lab script defines
# is_up (state loaded, lab complete) and cmd_down (idempotent teardown).
#
#   lab_target OPT_DEV HOSTIF NS     sets DEV and NS: --dev IFACE (must exist, NS empty) or the veth
#   lab_up_begin                     0: go on with up; 1: already up, nothing to do. Cleans up
#                                    after an incomplete up; refuses a stray pin dir, or a netns
#                                    or device of the lab's name that it did not make.
#   lab_up_rollback_on_failure       from here on, any exit before lab_up_done (error, die, ^C)
#                                    runs cmd_down and exits 1
#   lab_up_done                      up completed: state COMPLETE=1, rollback trap removed
#   lab_down_begin                   load what up recorded; 1 (and NS, DEV empty) if nothing was
#   lab_down_finish HAD_STATE [PROG_ARRAY_PIN...]
#                                    the end of every down: the netns up made, the prog arrays
#                                    emptied slot by slot, the pins, the state file
#   xdp_detach_if_ours DEV PIN MODE  detach XDP from DEV only if the program there is PIN's
#
# Ownership rule: `down` removes a netns, device or cgroup only when the state file says this
# lab's `up` created it. Without a state file it removes only its own pins (and detaches a
# program only where it is the pinned one), never something that merely has the lab's name.

lab_target() { # OPT_DEV HOSTIF NS
	if [ -n "$1" ]; then
		ip link show "$1" >/dev/null 2>&1 || die "device '$1' does not exist" "list devices with: ip link"
		DEV=$1 NS=
	else
		DEV=$2 NS=$3
	fi
}

lab_up_begin() {
	local pin want_dev=$DEV
	pin=$(pin_dir)
	# Subshells: the old state that is_up and cmd_down load must not replace this run's options.
	if (is_up); then
		local was
		was=$(state_load && echo "${DEV:-}")
		[ "$was" = "$want_dev" ] ||
			die "$LAB is already up on $was, not on $want_dev" "take it down first: $PROG down"
		info "$LAB is already up on $was (pins in $pin); nothing to do"
		return 1
	fi
	if [ -f "$(state_file)" ]; then
		info "cleaning up what an earlier, incomplete 'up' left"
		(cmd_down)
	fi
	[ "$DRY_RUN" = 1 ] && return 0
	[ ! -e "$pin" ] || die "$pin already exists but no $LAB state records it" \
		"set up by hand? take it down as $(lab_page) shows; otherwise remove the pins: rm -r $pin"
	if [ -n "$NS" ]; then
		! netns_exists "$NS" || die "network namespace $NS already exists" "is another $LAB lab up (another BPFLAB_PIN)? otherwise: ip netns del $NS"
		! ip link show "$DEV" >/dev/null 2>&1 || die "device $DEV already exists" "is another $LAB lab up? otherwise: ip link del $DEV"
	fi
	return 0
}

lab_up_rollback() {
	trap - EXIT INT TERM
	[ "$DRY_RUN" = 1 ] && return 0
	warn "up did not complete; rolling back"
	STEP=0 cmd_down
	exit 1
}

lab_up_rollback_on_failure() {
	LAB_ROLLBACK=1
	trap lab_up_rollback EXIT
	trap 'exit 1' INT TERM
	# Recorded before they exist (lab_up_begin checked they did not), so a killed up is undone too.
	state_set NS "$NS"
	state_set DEV "$DEV"
}

lab_up_done() {
	LAB_ROLLBACK=0
	state_set COMPLETE 1
	trap - EXIT INT TERM
}

lab_down_begin() {
	NS="" DEV=""
	state_load
}

lab_down_finish() { # HAD_STATE [PROG_ARRAY_PIN...]
	local had=$1 a
	shift
	[ -z "${NS:-}" ] || netns_down "$NS" "${DEV:-}"
	# Capture programs (an xdpcap killed with SIGKILL) or members left in prog arrays are
	# removed slot by slot, not left to the kernel's deferred flush.
	for a in "$@"; do prog_array_empty "$a"; done
	pins_remove "$(pin_dir)"
	state_clear
	[ "$had" = 1 ] || [ "$ACTION" != down ] || info "$LAB was not up (removed any pins left in $(pin_dir))"
}

# down must not detach someone else's program (e.g. after --dev on a device that changed hands).
# ID: the program id recorded at load time, for when the pin is gone already.
xdp_detach_if_ours() { # DEV PINNED_PROG MODE [ID]
	local dev=$1 pin=$2 id=${4:-} attached mode
	[ -n "$dev" ] || return 0
	[ ! -e "$pin" ] || id=$(pinned_id prog "$pin")
	attached=$(xdp_prog_id "$dev")
	[ -n "$attached" ] && [ "$attached" = "$id" ] || return 0
	# Detach in the mode it is attached in (a killed up may not have recorded it).
	mode=$(xdp_attached_mode "$dev")
	xdp_detach "$dev" "${mode:-${3:-xdpgeneric}}"
}
