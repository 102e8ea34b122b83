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
# Extra BPF objects built from a shared source with other flags (see bpf2bpf lab).
EXTRA_BPF_OBJS := $(BUILD)/conn_trace_inline.bpf.o
# chain lab: a member built with the compact (indirect) chain_next loop, for long chains.
EXTRA_BPF_OBJS += $(BUILD)/xdp_count_indirect.bpf.o
# xdpcap benchmark: xdp_drop_ping with the exit hook compiled out, to measure the idle hook.
EXTRA_BPF_OBJS += $(BUILD)/xdp_drop_ping_nohook.bpf.o

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
.PHONY: all build deps lab2 test lint clean

all: build
build: $(BPF_OBJS) $(EXTRA_BPF_OBJS) $(TOOLS)


$(BUILD)/vmlinux.h:
	$(call msg,BTF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)if [ ! -r "$(BTF_VMLINUX)" ]; then \
	  echo "error: $(BTF_VMLINUX) is missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y is needed for CO-RE)" >&2; exit 1; fi
	$(Q)command -v $(BPFTOOL) >/dev/null || { echo "error: bpftool not found (Debian package: bpftool); run 'make deps'" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(BTF_VMLINUX) format c > $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

# bpf2bpf lab: the same source with handle_new_connection() always_inline (scripts/bpf2bpf.sh compare).
$(BUILD)/conn_trace_inline.bpf.o: bpf/conn_trace.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DCONN_TRACE_INLINE -MMD -MP -c $< -o $@

# chain lab: xdp_count with -DCHAIN_INDIRECT (see bpf/chain.bpf.h and labs/chain.md).
$(BUILD)/xdp_count_indirect.bpf.o: bpf/xdp_count.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DCHAIN_INDIRECT -MMD -MP -c $< -o $@

# xdpcap benchmark: xdp_drop_ping with -DNO_XDPCAP (see bpf/xdpcap.bpf.h, scripts/bench/xdpcap.sh).
$(BUILD)/xdp_drop_ping_nohook.bpf.o: bpf/xdp_drop_ping.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DNO_XDPCAP -MMD -MP -c $< -o $@

$(BUILD)/lib/%.o: tools/lib/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TOOL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%: tools/%.c $(TOOL_LIB_OBJS)
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TOOL_CFLAGS) -MMD -MP $< $(TOOL_LIB_OBJS) -o $@ $(LDLIBS) $(LDLIBS_$*)

-include $(wildcard $(BUILD)/*.d $(BUILD)/lib/*.d)

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

lint:
	$(Q)command -v shellcheck >/dev/null || { echo "error: shellcheck not found (Debian package: shellcheck); run 'make deps'" >&2; exit 1; }
	$(Q)shellcheck -x scripts/*.sh scripts/lib/*.sh scripts/bench/*.sh tests/run.sh .ci/run tests/bats/*.bash tests/bats/*.bats

clean:
	$(Q)rm -rf $(BUILD)

# scripts/check.sh builds a student's exercise with exactly the project's BPF flags.
.PHONY: print-bpf-cflags
print-bpf-cflags:
	@echo $(BPF_CFLAGS)
