# xenos: one `make` entry point. `make help` lists the targets. Quiet by default; V=1 shows commands.
.DEFAULT_GOAL := all
BUILD ?= build
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
say = $(if $(filter 1,$(V)),,@printf '  %-8s %s\n' $(1) $(2);)

APP ?= hello
TYPE ?= pvh
CMDLINE ?=

NEWLIB_VERSION := 3.3.0
NEWLIB := $(BUILD)/newlib-$(NEWLIB_VERSION)
NEWLIB_STAMP := $(NEWLIB)/.stamp
LIBSTDCXX := $(BUILD)/libstdcxx-12
LIBSTDCXX_STAMP := $(LIBSTDCXX)/.stamp
XENINC := $(BUILD)/include-xen
GCCINC := $(shell gcc -print-file-name=include)
LIBGCC := $(shell gcc -print-libgcc-file-name)
DEPS_STAMP := $(BUILD)/.deps-stamp

# ---- guest (freestanding) flags -------------------------------------------------------------
# No red zone: traps and Xen upcalls push frames on the current stack. Frame pointers and no
# sibling calls: backtraces that show every caller.
# newlib hides CLOCK_MONOTONIC unless the platform says it has one; ours does (kernel/posix).
GUEST_POSIX := -D_POSIX_TIMERS=1 -D_POSIX_MONOTONIC_CLOCK=200112L
GUEST_WARN := -Wall -Wextra
GUEST_COMMON := -O2 -g -ffreestanding -fno-pie -fno-pic -mno-red-zone -fno-stack-protector \
  -fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-asynchronous-unwind-tables -nostdinc \
  -D__XEN_INTERFACE_VERSION__=0x00040e00 $(GUEST_WARN) -MMD -MP $(GUEST_POSIX)
# Xen public headers first: <xen/grant_table.h> must not find kernel/xen/grant_table.h.
GUEST_INCLUDES := -I$(XENINC) -Ikernel -Iarch/x86_64 -Ikernel/include -Ilib9p/include -Iapps/lib \
  -isystem kernel/shim -isystem /usr/include/c++/12 -isystem /usr/include/x86_64-linux-gnu/c++/12 \
  -isystem kernel/shim/libc -isystem $(NEWLIB)/include -isystem $(GCCINC)
GUEST_CXXFLAGS := $(GUEST_COMMON) $(GUEST_INCLUDES) -std=c++20 -fno-exceptions -fno-rtti \
  -fno-threadsafe-statics -include kernel/shim/cxx_prelude.h
GUEST_CFLAGS := $(GUEST_COMMON) $(GUEST_INCLUDES) -std=gnu11
# Apps get the libstdc++ built for newlib (tools/build-libstdcxx.sh): iostream, fstream, map,
# exceptions and RTTI. The kernel stays without exceptions and RTTI.
APP_INCLUDES := -I$(XENINC) -Ikernel/include -Ilib9p/include -Iapps/lib \
  -isystem $(LIBSTDCXX)/include/c++/12 \
  -isystem $(LIBSTDCXX)/include/c++/12/x86_64-elf -isystem kernel/shim/libc \
  -isystem $(NEWLIB)/include -isystem $(GCCINC)
APP_CXXFLAGS := $(GUEST_COMMON) $(APP_INCLUDES) -std=c++20 -fexceptions -frtti \
  -fasynchronous-unwind-tables
GUEST_ASFLAGS := $(GUEST_COMMON) -Iarch/x86_64 -I$(XENINC)
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack \
  -Wl,-z,max-page-size=0x1000 -Wl,--no-warn-rwx-segments -Wl,--eh-frame-hdr -T linker/kernel.ld
LIBGCC_EH := $(shell gcc -print-file-name=libgcc_eh.a)
GUEST_LIBS := -Wl,--start-group $(BUILD)/guest/lib9p.a $(BUILD)/libstdcxx-12/lib/libstdc++.a \
  $(BUILD)/libstdcxx-12/lib/libsupc++.a $(NEWLIB)/lib/libc.a $(NEWLIB)/lib/libm.a $(LIBGCC) \
  $(LIBGCC_EH) -Wl,--end-group

ARCH_SRCS := $(wildcard arch/x86_64/*.S arch/x86_64/*.cpp)
KERNEL_SRCS := $(filter-out kernel/app_name.cpp,$(wildcard kernel/*.cpp kernel/*/*.cpp))
KERNEL_OBJS := $(patsubst %,$(BUILD)/guest/%.o,$(ARCH_SRCS) $(KERNEL_SRCS))

APPS := $(notdir $(patsubst %/,%,$(dir $(wildcard apps/*/main.c apps/*/main.cpp))))
app_srcs = $(wildcard apps/$(1)/*.c apps/$(1)/*.cpp)
app_objs = $(patsubst %,$(BUILD)/guest/%.o,$(call app_srcs,$(1))) $(BUILD)/apps/$(1)/app_name.o
IMAGES := $(foreach a,$(APPS),$(BUILD)/apps/$(a)/$(a).elf)

# ---- host flags (unit tests, tools) --------------------------------------------------------
HOST_CXXFLAGS := -std=c++20 -O1 -g -Wall -Wextra -fsanitize=address,undefined \
  -fno-omit-frame-pointer -Ikernel -Ikernel/include -Ilib9p/include -Ilib9p/host -Iiohost -MMD -MP
# Release host builds (the 9p tool, benchmarks): optimised, no sanitizers.
HOST_RELEASE_CXXFLAGS := -std=c++20 -O2 -g -Wall -Wextra -Ilib9p/include -Ilib9p/host -Iiohost -MMD -MP
# Kernel files that are pure logic: they build on the host too and are unit-tested there.
HOST_TESTED := kernel/format.cpp kernel/cmdline.cpp kernel/memory/memory_map.cpp \
  kernel/memory/frame_allocator.cpp kernel/xen/xs_wire.cpp kernel/xen/grant_refs.cpp \
  kernel/xen/flex_ring.cpp kernel/ns/namespace.cpp
LIB9P_SRCS := $(wildcard lib9p/*.cpp)
LIB9P_HOST_SRCS := $(wildcard lib9p/host/*.cpp)
LIB9P_HOST := $(BUILD)/host/lib9p.a
LIB9P_RELEASE := $(BUILD)/host-release/lib9p.a
LIB9P_GUEST := $(BUILD)/guest/lib9p.a
# iohost (dom0's I/O host): its trees are unit-tested too; main.cpp only in the program.
IOHOST_LIB_SRCS := $(filter-out iohost/main.cpp,$(wildcard iohost/*.cpp))
IOHOST := $(BUILD)/bin/iohost
UNIT_SRCS := $(wildcard tests/unit/*.cpp)
UNIT_OBJS := $(patsubst %,$(BUILD)/host/%.o,$(UNIT_SRCS) $(HOST_TESTED) $(IOHOST_LIB_SRCS))
INTEROP_SRCS := $(wildcard tests/interop/*.cpp)
INTEROP_BIN := $(BUILD)/host/interop_tests
TOOL_9P := $(BUILD)/host-release/9p
UNIT_BIN := $(BUILD)/host/unit_tests

.PHONY: fuzz fuzz-run
FUZZ_FLAGS := -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Ilib9p/include -Ikernel \
  -Ikernel/include -Iiohost
FUZZ_TARGETS := $(BUILD)/fuzz/reply_fuzz $(BUILD)/fuzz/xenstore_fuzz $(BUILD)/fuzz/server_fuzz \
  $(BUILD)/fuzz/flex_ring_fuzz
FUZZ_SECONDS ?= 15
$(BUILD)/fuzz/reply_fuzz: tests/fuzz/reply_fuzz.cpp $(LIB9P_SRCS) $(wildcard lib9p/include/p9/*.h) | $(DEPS_STAMP)
	$(call say,FUZZ,$@)
	$(Q)mkdir -p $(@D) && clang++ $(FUZZ_FLAGS) -o $@ tests/fuzz/reply_fuzz.cpp $(LIB9P_SRCS)
$(BUILD)/fuzz/server_fuzz: tests/fuzz/server_fuzz.cpp $(LIB9P_SRCS) iohost/kv_tree.cpp $(wildcard lib9p/include/p9/*.h lib9p/*.h) | $(DEPS_STAMP)
	$(call say,FUZZ,$@)
	$(Q)mkdir -p $(@D) && clang++ $(FUZZ_FLAGS) -o $@ tests/fuzz/server_fuzz.cpp $(LIB9P_SRCS) iohost/kv_tree.cpp
$(BUILD)/fuzz/flex_ring_fuzz: tests/fuzz/flex_ring_fuzz.cpp kernel/xen/flex_ring.cpp kernel/xen/flex_ring.h | $(DEPS_STAMP)
	$(call say,FUZZ,$@)
	$(Q)mkdir -p $(@D) && clang++ $(FUZZ_FLAGS) -o $@ tests/fuzz/flex_ring_fuzz.cpp kernel/xen/flex_ring.cpp
$(BUILD)/fuzz/xenstore_fuzz: tests/fuzz/xenstore_fuzz.cpp kernel/xen/xs_wire.cpp kernel/xen/xs_wire.h | $(DEPS_STAMP)
	$(call say,FUZZ,$@)
	$(Q)mkdir -p $(@D) && clang++ $(FUZZ_FLAGS) -o $@ tests/fuzz/xenstore_fuzz.cpp kernel/xen/xs_wire.cpp
fuzz: $(FUZZ_TARGETS)
# Each target for FUZZ_SECONDS (make test: a short bounded run; longer by hand).
fuzz-run: $(FUZZ_TARGETS)
	$(Q)tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS)

.PHONY: all images check interop tools iohost smoke xen-test test run run-qemu help clean distclean deps deps-xen
all: images $(LIB9P_GUEST) $(TOOL_9P) $(IOHOST)
images: $(IMAGES)

help:
	@echo "make            build every app image (build/apps/<app>/<app>.elf)"
	@echo "make run        boot APP (default hello) on Xen 4.17 in the Xen-in-QEMU harness"
	@echo "                  APP=<name> CMDLINE='args' SHARE=<dir> TYPE=pvh|pv BACKEND=iohost|qemu"
	@echo "make run-qemu   boot APP directly under qemu-system-x86_64 -machine microvm (no Xen)"
	@echo "make test       everything this machine can run: check, interop, fuzz (bounded), smoke,"
	@echo "                  xen-test; ends with the total N passed, N failed"
	@echo "make check      host unit tests (GoogleTest)"
	@echo "make interop    lib9p vs diod, nfs-ganesha, iohost; diod's tools vs iohost (loopback)"
	@echo "make tools      build/host-release/9p (a 9P client) and build/bin/iohost"
	@echo "make iohost     build/bin/iohost, the I/O host (9P server; iohost/README.md)"
	@echo "make fuzz       libFuzzer targets; make fuzz-run FUZZ_SECONDS=N runs each for N s"
	@echo "make smoke      boot hello and faulty under bare QEMU and check output and status"
	@echo "make xen-test   the Xen stage: the images as PVH and PV guests on Xen 4.17 in QEMU"
	@echo "make bench      benchmarks, JSON in build/bench/: iohost vs diod, lib9p vs diodcat,"
	@echo "                  xenos vs a Linux PV domU over the same Xen 9pfs backend, image sizes"
	@echo "make deps       install the Debian packages the build needs (deps-xen: the harness too)"
	@echo "make clean      remove build outputs (keeps cached newlib, libstdc++, dom0 initramfs)"
	@echo "V=1             show the commands"

# ---- dependencies ---------------------------------------------------------------------------
deps $(DEPS_STAMP): tools/deps.sh
	$(Q)tools/deps.sh
	$(Q)mkdir -p $(BUILD) && touch $(DEPS_STAMP)
deps-xen: deps $(XEN_STAMP)

$(NEWLIB_STAMP): tools/build-newlib.sh | $(DEPS_STAMP)
	$(Q)tools/build-newlib.sh $(NEWLIB)

$(XENINC)/xen: | $(DEPS_STAMP)
	$(Q)mkdir -p $(XENINC) && ln -sfn /usr/include/xen $(XENINC)/xen

$(LIBSTDCXX_STAMP): tools/build-libstdcxx.sh $(NEWLIB_STAMP)
	$(Q)tools/build-libstdcxx.sh $(LIBSTDCXX) $(NEWLIB)

GUEST_PREREQS := $(NEWLIB_STAMP) $(XENINC)/xen $(LIBSTDCXX_STAMP)

# ---- guest objects and images ---------------------------------------------------------------
$(BUILD)/guest/apps/%.cpp.o: apps/%.cpp Makefile | $(GUEST_PREREQS)
	$(call say,CXX,$<)
	$(Q)mkdir -p $(@D) && g++ $(APP_CXXFLAGS) -c $< -o $@
$(BUILD)/guest/%.cpp.o: %.cpp Makefile | $(GUEST_PREREQS)
	$(call say,CXX,$<)
	$(Q)mkdir -p $(@D) && g++ $(GUEST_CXXFLAGS) -c $< -o $@
$(BUILD)/guest/%.c.o: %.c Makefile | $(GUEST_PREREQS)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D) && gcc $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/guest/%.S.o: %.S Makefile | $(GUEST_PREREQS)
	$(call say,AS,$<)
	$(Q)mkdir -p $(@D) && gcc $(GUEST_ASFLAGS) -c $< -o $@

$(BUILD)/apps/%/app_name.o: kernel/app_name.cpp | $(GUEST_PREREQS)
	$(Q)mkdir -p $(@D) && g++ $(GUEST_CXXFLAGS) -DXENOS_APP_NAME='"$*"' -c $< -o $@
$(BUILD)/ksyms_empty.o: tools/ksyms.sh
	$(Q)mkdir -p $(@D) && tools/ksyms.sh --empty | gcc -c -x assembler - -o $@

# Two link passes: the first finds where every function is, the second embeds that table
# (.ksyms, last in the image) so panics print symbolised backtraces. The check proves that
# filling the table moved no function.
define image_rule
$(BUILD)/apps/$(1)/$(1).elf: $(KERNEL_OBJS) $(call app_objs,$(1)) $(BUILD)/ksyms_empty.o linker/kernel.ld tools/ksyms.sh $(LIB9P_GUEST)
	$$(call say,LD,$$@)
	$(Q)g++ $(GUEST_LDFLAGS) -o $$@.pass1 $(KERNEL_OBJS) $(call app_objs,$(1)) $(BUILD)/ksyms_empty.o $(GUEST_LIBS)
	$(Q)tools/ksyms.sh $$@.pass1 | gcc -c -x assembler - -o $$@.ksyms.o
	$(Q)g++ $(GUEST_LDFLAGS) -Wl,-Map,$$@.map -o $$@ $(KERNEL_OBJS) $(call app_objs,$(1)) $$@.ksyms.o $(GUEST_LIBS)
	$(Q)cmp -s <(nm $$@.pass1 | grep -i ' t ') <(nm $$@ | grep -i ' t ') || \
	  { echo "ksyms: second link pass moved code in $$@" >&2; rm -f $$@; exit 1; }
endef
SHELL := /bin/bash
$(foreach a,$(APPS),$(eval $(call image_rule,$(a))))

# ---- host unit tests ------------------------------------------------------------------------
$(BUILD)/host/%.cpp.o: %.cpp | $(DEPS_STAMP)
	$(call say,HOSTCXX,$<)
	$(Q)mkdir -p $(@D) && g++ $(HOST_CXXFLAGS) -c $< -o $@
$(BUILD)/host-release/%.cpp.o: %.cpp | $(DEPS_STAMP)
	$(call say,HOSTCXX,$<)
	$(Q)mkdir -p $(@D) && g++ $(HOST_RELEASE_CXXFLAGS) -c $< -o $@
$(LIB9P_HOST): $(patsubst %,$(BUILD)/host/%.o,$(LIB9P_SRCS) $(LIB9P_HOST_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIB9P_RELEASE): $(patsubst %,$(BUILD)/host-release/%.o,$(LIB9P_SRCS) $(LIB9P_HOST_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^
# lib9p in the guest: the same sources, freestanding (proves the layering holds).
$(LIB9P_GUEST): $(patsubst %,$(BUILD)/guest/%.o,$(LIB9P_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

$(UNIT_BIN): $(UNIT_OBJS) $(LIB9P_HOST)
	$(call say,HOSTLD,$@)
	$(Q)g++ $(HOST_CXXFLAGS) -o $@ $^ -lgtest -lgtest_main -pthread $(IOHOST_XEN_LIBS)
$(INTEROP_BIN): $(patsubst %,$(BUILD)/host/%.o,$(INTEROP_SRCS)) $(LIB9P_HOST)
	$(call say,HOSTLD,$@)
	$(Q)g++ $(HOST_CXXFLAGS) -o $@ $^ -lgtest -lgtest_main -pthread
# The Xen backend reads rings with the guest frontend's pure ring code (kernel/xen/flex_ring.cpp:
# one implementation of xen/io/ring.h's flex ring, unit-tested and fuzzed), hence -Ikernel.
IOHOST_XEN_LIBS := -lxenstore -lxengnttab -lxenevtchn
$(BUILD)/host-release/iohost/%.cpp.o $(BUILD)/host-release/kernel/%.cpp.o: HOST_RELEASE_CXXFLAGS += -Ikernel -Ikernel/include
$(IOHOST): $(patsubst %,$(BUILD)/host-release/%.o,$(wildcard iohost/*.cpp) kernel/xen/flex_ring.cpp) $(LIB9P_RELEASE)
	$(call say,HOSTLD,$@)
	$(Q)mkdir -p $(@D) && g++ $(HOST_RELEASE_CXXFLAGS) -o $@ $^ -pthread $(IOHOST_XEN_LIBS)
$(TOOL_9P): $(BUILD)/host-release/tools/9p/main.cpp.o $(LIB9P_RELEASE)
	$(call say,HOSTLD,$@)
	$(Q)g++ $(HOST_RELEASE_CXXFLAGS) -o $@ $^ -pthread

check: $(UNIT_BIN) $(IMAGES)
	$(Q)XENOS_IMAGE=$(BUILD)/apps/hello/hello.elf $(UNIT_BIN) --gtest_brief=1

interop: $(INTEROP_BIN) $(IOHOST)
	$(Q)tests/interop/run.sh $(BUILD)

tools: $(TOOL_9P) $(IOHOST)
iohost: $(IOHOST)

BENCH_9P := $(BUILD)/host-release/lib9p_bench
$(BENCH_9P): $(BUILD)/host-release/tests/bench/lib9p_bench.cpp.o $(LIB9P_RELEASE)
	$(call say,HOSTLD,$@)
	$(Q)g++ $(HOST_RELEASE_CXXFLAGS) -o $@ $^ -pthread
.PHONY: bench
bench: $(BENCH_9P) $(IOHOST) $(IMAGES) | $(XEN_STAMP)
	$(Q)tests/bench/run.sh $(BUILD)
	$(Q)tests/bench/xen_bench.py $(BUILD)

# ---- boots ----------------------------------------------------------------------------------
smoke: $(IMAGES)
	$(Q)tests/smoke/run.sh $(BUILD)

run-qemu: $(BUILD)/apps/$(APP)/$(APP).elf
	$(Q)tests/smoke/boot.sh $< $(CMDLINE)

XEN_STAMP := $(BUILD)/.deps-xen-stamp
$(XEN_STAMP): tools/deps.sh
	$(Q)tools/deps.sh xen
	$(Q)mkdir -p $(BUILD) && touch $@

xen-test: $(IMAGES) $(IOHOST) | $(XEN_STAMP)
	$(Q)tests/xen/xen_test.py $(BUILD)

# The app's share folder, apps/<app>/share, is its 9p share (tag "share", at /fs) unless SHARE says.
SHARE ?= $(wildcard apps/$(APP)/share)
BACKEND ?= iohost
run: $(BUILD)/apps/$(APP)/$(APP).elf $(IOHOST) | $(XEN_STAMP)
	$(Q)tests/xen/xenbox.py $< --cmdline "$(CMDLINE)" $(if $(SHARE),--share $(SHARE)) --type $(TYPE) \
	  --backend $(BACKEND) --memory 128

# Every stage, even after one fails; ends with the total "N passed, N failed".
test: $(UNIT_BIN) $(INTEROP_BIN) $(IOHOST) $(FUZZ_TARGETS) $(IMAGES) | $(XEN_STAMP)
	$(Q)tests/run-all.sh $(BUILD)

clean:
	rm -rf $(BUILD)/guest $(BUILD)/apps $(BUILD)/host $(BUILD)/host-release $(BUILD)/fuzz \
	  $(BUILD)/bench $(BUILD)/ksyms_empty.o
distclean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/guest $(BUILD)/host $(BUILD)/host-release -name '*.d' 2>/dev/null)
