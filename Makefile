# SPDX-License-Identifier: GPL-2.0
# bpflab build: every bpf/<name>.bpf.c -> build/<name>.bpf.o, every tools/<name>.c -> build/<name>.
# `make V=1` shows the full commands.

BUILD    ?= build
CLANG    ?= clang
CC       ?= cc
BPFTOOL  ?= bpftool
LLVM_STRIP ?= llvm-strip
BTF_VMLINUX ?= /sys/kernel/btf/vmlinux
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/s390x/s390/')

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I$(BUILD) -Ibpf
CFLAGS     ?= -O2 -g
TOOL_CFLAGS := $(CFLAGS) -Wall -Wextra -Werror -Ibpf -Itools/lib
LDLIBS     := -lbpf -lelf -lz
# Per-tool extra libraries, e.g. LDLIBS_xdpcap := -lpcap
LDLIBS_xdpcap := -lpcap

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
TOOL_SRCS := $(wildcard tools/*.c)
TOOLS     := $(patsubst tools/%.c,$(BUILD)/%,$(TOOL_SRCS))
TOOL_LIB_SRCS := $(wildcard tools/lib/*.c)
TOOL_LIB_OBJS := $(patsubst tools/lib/%.c,$(BUILD)/lib/%.o,$(TOOL_LIB_SRCS))
# BPF variants: a source built again with other flags. One entry per object:
#   OUTPUT:SOURCE:FLAGS   -> build/OUTPUT.bpf.o from bpf/SOURCE.bpf.c (FLAGS comma-separated)
BPF_VARIANTS := \
	conn_trace_inline:conn_trace:-DCONN_TRACE_INLINE \
	conn_trace_fentry:conn_trace:-DCONN_TRACE_FENTRY \
	xdp_count_indirect:xdp_count:-DCHAIN_INDIRECT \
	xdp_drop_ping_member:xdp_drop_ping:-DCHAIN_MEMBER \
	xdp_drop_ping_nohook:xdp_drop_ping:-DNO_XDPCAP \
	xdp_drop_ping_trace:xdp_drop_ping:-DTRACE_DROPS
# bpf2bpf lab: handle_new_connection() always_inline (scripts/bpf2bpf.sh compare), and the
#   fentry pair alone (a kernel without trampolines refuses the whole object otherwise).
# chain lab: xdp_count with the compact chain_next loop, for long chains (labs/chain.md);
#   lab 2's xdp_drop_ping as a chain member (ends with chain_next()).
# lab 2: xdp_drop_ping that also says so in the trace log for every drop (bpftool prog tracelog).
# xdpcap benchmark: xdp_drop_ping with the exit hook compiled out (scripts/bench/xdpcap.sh).
comma := ,
variant_field = $(word $(2),$(subst :, ,$(1)))
EXTRA_BPF_OBJS := $(foreach v,$(BPF_VARIANTS),$(BUILD)/$(call variant_field,$(v),1).bpf.o)

ifeq ($(V),1)
  Q :=
  msg :=
else
  Q := @
  msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Privileged steps re-run through sudo when not root (CI and VMs usually are root).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -E)

.DELETE_ON_ERROR:
# Keep the shared tool objects: they are prerequisites of a pattern rule only, which
# would make them intermediate files that make deletes after each build.
.SECONDARY: $(TOOL_LIB_OBJS)
.PHONY: all build deps lab2 test check fuzz lint clean FORCE
FORCE:

all: build
build: $(BPF_OBJS) $(EXTRA_BPF_OBJS) $(TOOLS) $(BUILD)/xdpfuzz


# Dumped from the running kernel's BTF at every make, but replaced only when its content
# changed: the objects follow the kernel that builds them (make vmtest builds on Debian's 6.1
# in the same build/, and the next make here must rebuild for this kernel), and a sandbox's
# fresh sysfs of the same kernel rebuilds nothing.
$(BUILD)/vmlinux.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)if [ ! -r "$(BTF_VMLINUX)" ]; then \
	  echo "error: $(BTF_VMLINUX) is missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y is needed for CO-RE)" >&2; exit 1; fi
	$(Q)command -v $(BPFTOOL) >/dev/null || { echo "error: bpftool not found (Debian package: bpftool); run 'make deps'" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(BTF_VMLINUX) format c > $@.$$$$.tmp && \
	  if cmp -s $@.$$$$.tmp $@; then rm -f $@.$$$$.tmp; else $(if $(Q),printf '  %-8s %s\n' BTF $@;) mv -f $@.$$$$.tmp $@; fi

# One recipe for every BPF object; BPF_VFLAGS is set for the variants only.
define bpf_compile
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(BPF_VFLAGS) -MMD -MP -c $< -o $@
endef

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(bpf_compile)

define bpf_variant_rule # OUTPUT SOURCE FLAGS
$(BUILD)/$(1).bpf.o: BPF_VFLAGS := $(subst $(comma), ,$(3))
$(BUILD)/$(1).bpf.o: bpf/$(2).bpf.c $(BUILD)/vmlinux.h
	$$(bpf_compile)
endef
$(foreach v,$(BPF_VARIANTS),$(eval $(call bpf_variant_rule,$(call variant_field,$(v),1),$(call variant_field,$(v),2),$(call variant_field,$(v),3))))

$(BUILD)/lib/%.o: tools/lib/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TOOL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%: tools/%.c $(TOOL_LIB_OBJS)
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TOOL_CFLAGS) -MMD -MP $< $(TOOL_LIB_OBJS) -o $@ $(LDLIBS) $(LDLIBS_$*)

# Differential fuzzer of the XDP parsers (tests/fuzz/; tests/fuzz/libfuzzer/ has its own build).
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
$(BUILD)/xdpfuzz: $(FUZZ_SRCS) tests/fuzz/fuzz.h $(BUILD)/lib/numarg.o
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TOOL_CFLAGS) $(FUZZ_SRCS) $(BUILD)/lib/numarg.o -o $@ $(LDLIBS)

-include $(wildcard $(BUILD)/*.d $(BUILD)/lib/*.d)
# A source removed since the last build (e.g. bpf/conn_trace_fentry.bpf.c, now a variant) is
# still named in its old .d file: let it count as remade, so the object is rebuilt, not refused.
bpf/%.bpf.c: ;

# ASan+UBSan build of the C tools into $(BUILD)/asan/ (tests/bats/tools.bats runs the tools'
# tests against it). -fno-sanitize-recover: the first report ends the tool with an error.
ASAN_CC    ?= clang
ASAN_BUILD := $(BUILD)/asan
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
ASAN_TOOLS := $(patsubst tools/%.c,$(ASAN_BUILD)/%,$(TOOL_SRCS))
ASAN_LIB_OBJS := $(patsubst tools/lib/%.c,$(ASAN_BUILD)/lib/%.o,$(TOOL_LIB_SRCS))
.SECONDARY: $(ASAN_LIB_OBJS)
.PHONY: asan
asan: $(ASAN_TOOLS)
$(ASAN_BUILD)/lib/%.o: tools/lib/%.c
	$(call msg,ASAN-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(ASAN_CC) $(ASAN_FLAGS) $(TOOL_CFLAGS) -MMD -MP -c $< -o $@
$(ASAN_BUILD)/%: tools/%.c $(ASAN_LIB_OBJS)
	$(call msg,ASAN-LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(ASAN_CC) $(ASAN_FLAGS) $(TOOL_CFLAGS) -MMD -MP $< $(ASAN_LIB_OBJS) -o $@ $(LDLIBS) $(LDLIBS_$*)
-include $(wildcard $(ASAN_BUILD)/*.d $(ASAN_BUILD)/lib/*.d)

deps:
	$(Q)$(SUDO) scripts/deps.sh

# The main job: install, build, bring lab 2 up.
lab2: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)$(SUDO) scripts/lab2.sh up
	@echo
	@echo "Lab 2 is up. Try:  scripts/lab2.sh status   scripts/lab2.sh demo   ping -c3 198.18.0.2"
	@echo "Take it down with: scripts/lab2.sh down      (read labs/lab2.md for every step by hand)"

test: deps
	$(Q)$(MAKE) --no-print-directory build
	$(Q)$(SUDO) tests/run.sh

# 1,000,000 generated frames through every XDP parser against the reference (SEED=N repeats a
# run); mismatching frames are saved in tests/fuzz/regress/, which every run replays first.
FUZZ_FRAMES ?= 1000000
fuzz: build
	$(Q)$(SUDO) $(BUILD)/xdpfuzz -n $(FUZZ_FRAMES) $(if $(SEED),-s $(SEED)) -r tests/fuzz/regress -S tests/fuzz/regress
	$(Q)if [ -e tests/fuzz/libfuzzer/run.sh ]; then $(SUDO) bash tests/fuzz/libfuzzer/run.sh; fi

# Quick loop: build and run the suite, without installing deps first.
check: build
	$(Q)$(SUDO) tests/run.sh

lint:
	$(Q)command -v shellcheck >/dev/null || { echo "error: shellcheck not found (Debian package: shellcheck); run 'make deps'" >&2; exit 1; }
	$(Q)shellcheck -x scripts/*.sh scripts/lib/*.sh scripts/bench/*.sh tests/run.sh .ci/run tests/bats/*.bash tests/bats/*.bats \
	  tests/vm/*.sh tests/vm/*.bats
	@# A bare `wait` in a test also waits for bats' BATS_TEST_TIMEOUT watchdog: wait for a pid.
	$(Q)! grep -nE '^[[:space:]]*wait[[:space:]]*($$|[;&|])' tests/bats/*.bats tests/bats/*.bash tests/vm/*.bats || \
	  { echo "error: a bare 'wait' in a bats test waits for bats' timeout watchdog too; wait \"\$$pid\"" >&2; exit 1; }

clean:
	$(Q)rm -rf $(BUILD)

# scripts/check.sh builds a student's exercise with exactly the project's BPF flags.
.PHONY: print-bpf-cflags
print-bpf-cflags:
	@echo $(BPF_CFLAGS)

# ---- Benchmarks (scripts/bench/, build/bench/report.md). Not tests: `make bench-smoke` runs
# in seconds and proves the harness end to end (tests/bats/bench.bats runs it in `make test`).
# `make bench B="sockmap tailcall"` runs the named ones; `scripts/bench/bench.sh --list` names them all.
.PHONY: bench bench-smoke
build: $(BUILD)/bench_bpf2bpf_inline.bpf.o $(BUILD)/bench_xdp_root_indirect.bpf.o

# bench bpf2bpf: the same source with handle_event() always_inline.
$(BUILD)/bench_bpf2bpf_inline.bpf.o: bpf/bench_bpf2bpf.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DBENCH_INLINE -MMD -MP -c $< -o $@

# bench chain: the chain root with -DCHAIN_INDIRECT, so a whole chain can be built either way.
$(BUILD)/bench_xdp_root_indirect.bpf.o: bpf/xdp_root.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DCHAIN_INDIRECT -MMD -MP -c $< -o $@

# In a private sandbox (scripts/sandbox.sh): its own netns, lo, bpffs and cgroup, so nothing a
# benchmark makes or sends can meet the host's labs or another run.
bench:
	$(Q)$(SUDO) scripts/deps.sh bench
	$(Q)$(MAKE) --no-print-directory build
	$(Q)$(SUDO) scripts/sandbox.sh scripts/bench/bench.sh $(B)

bench-smoke: build
	$(Q)$(SUDO) scripts/sandbox.sh scripts/bench/bench.sh --smoke --out $(BUILD)/bench-smoke $(B)

# ---- make vmtest: the suites on Debian's stock kernel in a VM (tests/vm/), where kprobes,
# fentry/freplace, FOU and libxdp work. T="bpf2bpf tailcall" runs those bats files (a word
# NAME:REGEX runs only the matching tests); no T: the CI lane; T=all: everything (slow).
# The kernel, qemu and xdp-tools come from `scripts/deps.sh vm`, so `make test` never pays for them.
.PHONY: vmtest
vmtest:
	$(Q)$(SUDO) scripts/deps.sh vm || echo "vmtest: scripts/deps.sh vm failed; tests/vm/vmtest.sh says what is missing" >&2
	$(Q)$(MAKE) --no-print-directory build
	$(Q)$(SUDO) tests/vm/vmtest.sh $(T)
