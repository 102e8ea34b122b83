#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# libFuzzer runs of the C tools' shared code, each for a bounded time:
#   fuzz_cbpf2ebpf  tools/lib/cbpf2ebpf.c on arbitrary classic BPF (seeded with tcpdump's own
#                   compilations of real filters)
#   fuzz_args       the tools' argument parsers (numbers, xdpcap -a, pinfill KEY and FORMAT)
# built with clang -fsanitize=fuzzer,address,undefined into build/fuzz/. A crash, a sanitizer
# report or a failed check stops the run with the reproducer saved in build/fuzz/crashes/.
#
#   tests/fuzz/libfuzzer/run.sh [SECONDS_PER_TARGET]      (default 30, or $FUZZ_SECONDS)
#
# Called by `make fuzz`; never by `make test`. Exit 0 when every target ran clean, 1 on a
# finding, 77 (skip) when clang's libFuzzer runtime is missing.
set -euo pipefail
cd "$(dirname "$0")/../../.."

PROG=libfuzzer/run.sh
SECS=${1:-${FUZZ_SECONDS:-30}}
CLANG=${CLANG:-clang}
OUT=build/fuzz
TARGETS=(fuzz_cbpf2ebpf fuzz_args)
FLAGS=(-g -O1 "-fsanitize=fuzzer,address,undefined" -fno-sanitize-recover=all
	-Wall -Wextra -Werror -Itools/lib -Ibpf)

die() {
	echo "$PROG: error: $1" >&2
	[ $# -lt 2 ] || echo "Hint: $2" >&2
	exit 1
}

case "$SECS" in
'' | *[!0-9]* | 0*) die "SECONDS must be a whole number 1..86400, not '$SECS'" ;;
esac
[ "$SECS" -le 86400 ] || die "SECONDS must be a whole number 1..86400, not '$SECS'"
command -v "$CLANG" >/dev/null || die "$CLANG not found (Debian package: clang)"
mkdir -p "$OUT/crashes"

# The runtime ships apart from clang on Debian (libclang-rt-14-dev, only "Recommended" by
# clang): without it every link fails with "cannot find libclang_rt.fuzzer".
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
	>"$OUT/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$OUT/probe.c" -o "$OUT/probe" 2>"$OUT/probe.err"; then
	echo "$PROG: skipped: clang cannot link libFuzzer targets: $(head -n1 "$OUT/probe.err")" >&2
	echo "Hint: apt-get install libclang-rt-dev (scripts/deps.sh installs it)" >&2
	exit 77
fi

LIB_CBPF=(tools/lib/cbpf2ebpf.c)
LIB_ARGS=(tools/lib/numarg.c tools/lib/pinutil.c tools/lib/xdpcap_prog.c tools/lib/cbpf2ebpf.c)
build() { # TARGET SOURCES...
	local t=$1
	shift
	echo "+ $CLANG ... -o $OUT/$t tests/fuzz/libfuzzer/$t.c $*"
	"$CLANG" "${FLAGS[@]}" -o "$OUT/$t" "tests/fuzz/libfuzzer/$t.c" "$@" -lbpf -lelf -lz
}
build fuzz_cbpf2ebpf "${LIB_CBPF[@]}"
build fuzz_args "${LIB_ARGS[@]}"

# Seeds: real filters as tcpdump compiles them (8-byte instructions after a register byte),
# and sample arguments. The corpus grows in build/fuzz/corpus/ from run to run.
seed_cbpf() { # NAME FILTER
	local f="$OUT/corpus/fuzz_cbpf2ebpf/seed-$1"
	[ -e "$f" ] && return 0
	tcpdump -y EN10MB -ddd "$2" 2>/dev/null | awk 'NR == 1 { printf "%c", 0 }
		NR > 1 { printf "%c%c%c%c", $1 % 256, int($1 / 256), $2, $3
			 k = $4; for (i = 0; i < 4; i++) { printf "%c", k % 256; k = int(k / 256) } }' \
		>"$f" || rm -f "$f"
}
mkdir -p "$OUT/corpus/fuzz_cbpf2ebpf" "$OUT/corpus/fuzz_args"
if command -v tcpdump >/dev/null; then
	seed_cbpf icmp "icmp"
	seed_cbpf tcp80 "tcp port 80"
	seed_cbpf vlan "vlan 10 and icmp"
	seed_cbpf ip6 "icmp6 and ip6[40] = 129"
	seed_cbpf hdrlen "tcp[tcpflags] & tcp-syn != 0 and ip[0] & 0xf > 5"
	seed_cbpf len "len > 60 and ether src 02:00:00:00:00:02"
fi
i=0
for s in '\000123' '\0010x1f' '\002nan' '\0020.25' '\003drop,pass' '\004-1' '\0050a 00 00 01' '\006c_%03d'; do
	printf "%b" "$s" >"$OUT/corpus/fuzz_args/seed-$i"
	i=$((i + 1))
done

rc=0
for t in "${TARGETS[@]}"; do
	echo "+ $OUT/$t -max_total_time=$SECS $OUT/corpus/$t"
	# -close_fd_mask=2: the tools' error lines would flood the log (libFuzzer keeps its own
	# output). Bounded: total time, time per input, memory.
	if "$OUT/$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2 \
		-artifact_prefix="$OUT/crashes/$t-" -print_final_stats=1 "$OUT/corpus/$t" \
		>"$OUT/$t.log" 2>&1; then
		echo "$t: clean: $(grep -E '^stat::number_of_executed_units' "$OUT/$t.log" | awk '{ print $2 }') runs in ${SECS}s"
	else
		rc=1
		echo "$t: FINDING (log: $OUT/$t.log):" >&2
		grep -E 'ERROR|runtime error|check failed|Test unit written' "$OUT/$t.log" | head -n 10 >&2
	fi
done
exit "$rc"
