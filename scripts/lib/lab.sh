# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Every shared shell library a lab script uses, in dependency order: a lab script sets PROG
# and LAB, defines usage(), then sources this one file. The files only define functions and
# defaults, so sourcing one a lab does not need costs nothing.
_bpflab_lib=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=scripts/lib/common.sh
. "$_bpflab_lib/common.sh"
# shellcheck source=scripts/lib/framework.sh
. "$_bpflab_lib/framework.sh"
# shellcheck source=scripts/lib/labup.sh
. "$_bpflab_lib/labup.sh"
# shellcheck source=scripts/lib/progarray.sh
. "$_bpflab_lib/progarray.sh"
# shellcheck source=scripts/lib/traffic.sh
. "$_bpflab_lib/traffic.sh"
# shellcheck source=scripts/lib/tracing.sh
. "$_bpflab_lib/tracing.sh"
# shellcheck source=scripts/lib/features.sh
. "$_bpflab_lib/features.sh"
unset _bpflab_lib
