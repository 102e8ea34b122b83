# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# scripts/check.sh tailcall, chain, xdpcap, bpf2bpf.
grade_tailcall() { ck_result todo fail "not written yet"; }
grade_chain() { ck_result todo fail "not written yet"; }
grade_xdpcap() { ck_result todo fail "not written yet"; }
grade_bpf2bpf() { ck_result todo fail "not written yet"; }
