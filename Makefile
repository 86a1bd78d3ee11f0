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
XEN_STAMP := $(BUILD)/.deps-xen-stamp

# ---- guest (freestanding) flags -------------------------------------------------------------
# No red zone: traps and Xen upcalls push frames on the current stack. Frame pointers and no
# sibling calls: backtraces that show every caller. One section per function and data object,
# so the link keeps only what is reached (--gc-sections). -Os: the kernel and lib9p are 40%
# smaller than at -O2 (hello fits in 200 KiB); p9test's 9P bench with -O2 and -Os images
# alternating on Xen (3 rounds each, PVH and PV) was mixed, within the noise but for PV 16 MiB
# reads (0.78x) and writes (1.21x): see issue 16's note. GUEST_OPT=-O2 builds them for speed.
# -fno-ipa-sra: no per-file copies of functions (std::string's members, mostly) with parameters rewritten
# (".isra" clones: 1.5 KB of hello, and backtraces name the functions as written).
# newlib hides CLOCK_MONOTONIC unless the platform says it has one; ours does (kernel/posix).
GUEST_POSIX := -D_POSIX_TIMERS=1 -D_POSIX_MONOTONIC_CLOCK=200112L
GUEST_WARN := -Wall -Wextra
GUEST_OPT ?= -Os -fno-ipa-sra
GUEST_COMMON := $(GUEST_OPT) -g -ffunction-sections -fdata-sections -ffreestanding -fno-pie -fno-pic -mno-red-zone -fno-stack-protector \
  -fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-asynchronous-unwind-tables -nostdinc \
  -D__XEN_INTERFACE_VERSION__=0x00040e00 $(GUEST_WARN) -MMD -MP $(GUEST_POSIX)
# Xen public headers first: <xen/grant_table.h> must not find kernel/xen/grant_table.h.
GUEST_INCLUDES := -I$(XENINC) -Ikernel -Iarch/x86_64 -Ikernel/include -Ilib9p/include -Icommon/include -Iapps/lib \
  -isystem kernel/shim -isystem /usr/include/c++/12 -isystem /usr/include/x86_64-linux-gnu/c++/12 \
  -isystem kernel/shim/libc -isystem $(NEWLIB)/include -isystem $(GCCINC)
GUEST_CXXFLAGS := $(GUEST_COMMON) $(GUEST_INCLUDES) -std=c++20 -fno-exceptions -fno-rtti \
  -fno-threadsafe-statics -include kernel/shim/cxx_prelude.h
GUEST_CFLAGS := $(GUEST_COMMON) $(GUEST_INCLUDES) -std=gnu11
# Apps are built the way users build theirs: with the SDK's xenos-cc/xenos-c++ (staged in
# build/sdk, the same files `make install` puts in PREFIX). C++ apps get the libstdc++ built
# for newlib (tools/build-libstdcxx.sh): iostream, fstream, map, exceptions and RTTI.
SDK := $(BUILD)/sdk
SDK_STAMP := $(SDK)/.stamp
XENOS_CC := $(SDK)/bin/xenos-cc
XENOS_CXX := $(SDK)/bin/xenos-c++
APP_FLAGS := -O2 -g -Wall -Wextra -Iapps/lib -MMD -MP
APP_CFLAGS := $(APP_FLAGS) -std=gnu11
APP_CXXFLAGS := $(APP_FLAGS) -std=c++20
GUEST_ASFLAGS := $(GUEST_COMMON) -Iarch/x86_64 -I$(XENINC)
# Objects depend on the flags they were built with, not on the Makefile: a file per flag set
# that is rewritten only when its flags change (editing a rule or a comment rebuilds nothing).
flags_file = $(shell mkdir -p $(BUILD)/flags && f=$(BUILD)/flags/$(1) && \
  { printf '%s\n' '$(2)' | cmp -s - $$f || printf '%s\n' '$(2)' > $$f; } && echo $$f)
GUEST_FLAGS := $(call flags_file,guest,$(GUEST_CXXFLAGS) | $(GUEST_CFLAGS) | $(GUEST_ASFLAGS))
APP_FLAGS_FILE := $(call flags_file,app,$(APP_CFLAGS) | $(APP_CXXFLAGS))

ARCH_SRCS := $(wildcard arch/x86_64/*.S arch/x86_64/*.cpp)
# common/: code the guest and iohost both build (the flex ring, the decimal parser).
COMMON_SRCS := $(wildcard common/*.cpp)
KERNEL_SRCS := $(wildcard kernel/*.cpp kernel/*/*.cpp) $(COMMON_SRCS)
KERNEL_OBJS := $(patsubst %,$(BUILD)/guest/%.o,$(ARCH_SRCS) $(KERNEL_SRCS))
LIBXENOS := $(BUILD)/guest/libxenos.a

APPS := $(notdir $(patsubst %/,%,$(dir $(wildcard apps/*/main.c apps/*/main.cpp))))
app_srcs = $(wildcard apps/$(1)/*.c apps/$(1)/*.cpp)
app_objs = $(patsubst %,$(BUILD)/guest/%.o,$(call app_srcs,$(1)))
# A C++ app links with xenos-c++ (libstdc++), a C app with xenos-cc (none of it).
app_linker = $(if $(filter %.cpp,$(call app_srcs,$(1))),$(XENOS_CXX),$(XENOS_CC))
IMAGES := $(foreach a,$(APPS),$(BUILD)/apps/$(a)/$(a).elf)

# ---- host flags (unit tests, tools) --------------------------------------------------------
HOST_CXXFLAGS := -std=c++20 -O1 -g -Wall -Wextra -fsanitize=address,undefined \
  -fno-omit-frame-pointer -Ikernel -Ikernel/include -Ilib9p/include -Ilib9p/host -Icommon/include -Iiohost -MMD -MP
# Release host builds (the 9p tool, benchmarks): optimised, no sanitizers.
HOST_RELEASE_CXXFLAGS := -std=c++20 -O2 -g -Wall -Wextra -Ilib9p/include -Ilib9p/host -Icommon/include -Iiohost -MMD -MP
HOST_FLAGS := $(call flags_file,host,$(HOST_CXXFLAGS) | $(HOST_RELEASE_CXXFLAGS))
# Kernel files that are pure logic: they build on the host too and are unit-tested there.
HOST_TESTED := kernel/format.cpp kernel/cmdline.cpp kernel/symbol_table.cpp kernel/memory/memory_map.cpp \
  kernel/memory/frame_allocator.cpp kernel/xen/xs_wire.cpp kernel/xen/grant_refs.cpp \
  common/flex_ring.cpp kernel/xen/ring_budget.cpp kernel/ns/namespace.cpp \
  kernel/sched/scheduler.cpp kernel/sched/timers.cpp arch/x86_64/context_switch.S kernel/xen/xenstore.cpp \
  kernel/ns/ninep_server.cpp kernel/xen/ninep_front.cpp kernel/ns/share.cpp kernel/xen/ring_waiters.cpp
LIB9P_SRCS := $(wildcard lib9p/*.cpp)
LIB9P_HOST_SRCS := $(wildcard lib9p/host/*.cpp)
LIB9P_HOST := $(BUILD)/host/lib9p.a
LIB9P_RELEASE := $(BUILD)/host-release/lib9p.a
LIB9P_GUEST := $(BUILD)/guest/lib9p.a
# iohost (dom0's I/O host): its trees are unit-tested too; main.cpp only in the program.
# Its floors: iohost/ (main, the reactor, the workers, the log), transport/ (sockets, Xen), trees/.
IOHOST_SRCS := $(wildcard iohost/*.cpp iohost/transport/*.cpp iohost/trees/*.cpp iohost/trees/net/*.cpp)
IOHOST_LIB_SRCS := $(filter-out iohost/main.cpp,$(IOHOST_SRCS))
IOHOST := $(BUILD)/bin/iohost
UNIT_SRCS := $(wildcard tests/unit/*.cpp)
# The Xen glue (xenstore, grant mapping, event channels) is the one iohost file that needs libxen*;
# what it does on the rings is ring_channel.cpp, tested here. It is proven by the Xen stage.
IOHOST_XEN_GLUE := iohost/transport/xen_backend.cpp
UNIT_OBJS := $(patsubst %,$(BUILD)/host/%.o,$(UNIT_SRCS) $(HOST_TESTED) $(filter-out $(IOHOST_XEN_GLUE),$(IOHOST_LIB_SRCS)))
INTEROP_SRCS := $(wildcard tests/interop/*.cpp)
INTEROP_BIN := $(BUILD)/host/interop_tests
TOOL_9P := $(BUILD)/host-release/9p
UNIT_BIN := $(BUILD)/host/unit_tests

.PHONY: fuzz fuzz-run
# A fuzz target is tests/fuzz/NAME_fuzz.cpp plus the sources it tests, one line here.
FUZZ_FLAGS := -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Ilib9p/include -Ikernel \
  -Ikernel/include -Icommon/include -Iiohost
reply_fuzz_srcs := $(LIB9P_SRCS)
server_fuzz_srcs := $(LIB9P_SRCS) iohost/trees/kv_tree.cpp
flex_ring_fuzz_srcs := common/flex_ring.cpp lib9p/codec.cpp
ring_channel_fuzz_srcs := iohost/transport/ring_channel.cpp common/flex_ring.cpp lib9p/codec.cpp
net_text_fuzz_srcs := iohost/trees/net/net_text.cpp
mapped_attr_fuzz_srcs := iohost/trees/mapped_attr.cpp
xenstore_fuzz_srcs := kernel/xen/xs_wire.cpp kernel/format.cpp
cmdline_fuzz_srcs := kernel/cmdline.cpp
memory_map_fuzz_srcs := kernel/memory/memory_map.cpp
FUZZ_TARGETS := $(patsubst tests/fuzz/%.cpp,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/*_fuzz.cpp))
# Every header any target might read: a changed header rebuilds them all (they are small).
FUZZ_HEADERS := $(wildcard lib9p/include/p9/*.h lib9p/*.h common/include/common/*.h kernel/*.h kernel/*/*.h \
  iohost/*.h iohost/*/*.h iohost/*/*/*.h)
FUZZ_SECONDS ?= 10
.SECONDEXPANSION:
$(BUILD)/fuzz/%_fuzz: tests/fuzz/%_fuzz.cpp $$($$*_fuzz_srcs) $(FUZZ_HEADERS) | $(DEPS_STAMP)
	$(call say,FUZZ,$@)
	$(Q)mkdir -p $(@D) && clang++ $(FUZZ_FLAGS) -o $@ $< $($*_fuzz_srcs)
fuzz: $(FUZZ_TARGETS)
# Each target for FUZZ_SECONDS (make test: a short bounded run; longer by hand).
fuzz-run: $(FUZZ_TARGETS)
	$(Q)tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS)

.PHONY: all images sdk install check interop tools iohost smoke xen-test test run run-qemu help clean distclean deps deps-xen
all: images $(LIB9P_GUEST) $(TOOL_9P) $(IOHOST)
images: $(IMAGES)

help:
	@echo "make            build every app image (build/apps/<app>/<app>.elf), lib9p, the 9p"
	@echo "                  tool and iohost"
	@echo "make install PREFIX=DIR   the SDK: xenos-cc, xenos-c++, xenos-mkimage, headers,"
	@echo "                  libraries, DIR/share/xenos/toolchain.cmake (README: Your own app)"
	@echo "make run        boot APP (default hello) on Xen 4.17 in the Xen-in-QEMU harness"
	@echo "                  APP=<name> CMDLINE='args' SHARE=<dir> TYPE=pvh|pv BACKEND=iohost|qemu"
	@echo "make run-qemu   boot APP directly under qemu-system-x86_64 -machine microvm (no Xen)"
	@echo "make test       everything this machine can run: check, interop, fuzz (bounded), smoke, sdk,"
	@echo "                  xen-test; ends with the total N passed, N failed"
	@echo "make check      host unit tests (GoogleTest)"
	@echo "make interop    lib9p vs diod, nfs-ganesha, iohost; diod's tools vs iohost (loopback)"
	@echo "make tools      build/host-release/9p (a 9P client) and build/bin/iohost"
	@echo "make iohost     build/bin/iohost, the I/O host (9P server; iohost/README.md)"
	@echo "make fuzz       libFuzzer targets; make fuzz-run FUZZ_SECONDS=N runs each for N s"
	@echo "make smoke      boot hello and faulty under bare QEMU and check output and status"
	@echo "make xen-test   the Xen stage: the images as PVH and PV guests on Xen 4.17 in QEMU"
	@echo "make conformance  pjdfstest through Linux v9fs: iohost passthrough and mapped beside diod"
	@echo "make bench      benchmarks, JSON in build/bench/: iohost vs diod, lib9p vs diodcat,"
	@echo "                  xenos vs a Linux PV domU over the same Xen 9pfs backend, image sizes"
	@echo "                  by part, the smallest memory= hello and p9test pass in"
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

$(LIBSTDCXX_STAMP): tools/build-libstdcxx.sh kernel/shim/libc/pthread.h kernel/shim/libc/sys/_pthreadtypes.h $(NEWLIB_STAMP)
	$(Q)tools/build-libstdcxx.sh $(LIBSTDCXX) $(NEWLIB)

GUEST_PREREQS := $(NEWLIB_STAMP) $(XENINC)/xen $(LIBSTDCXX_STAMP)

# ---- guest objects, the SDK, images ---------------------------------------------------------
$(BUILD)/guest/%.cpp.o: %.cpp $(GUEST_FLAGS) | $(GUEST_PREREQS)
	$(call say,CXX,$<)
	$(Q)mkdir -p $(@D) && g++ $(GUEST_CXXFLAGS) -c $< -o $@
$(BUILD)/guest/%.c.o: %.c $(GUEST_FLAGS) | $(GUEST_PREREQS)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D) && gcc $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/guest/%.S.o: %.S $(GUEST_FLAGS) | $(GUEST_PREREQS)
	$(call say,AS,$<)
	$(Q)mkdir -p $(@D) && gcc $(GUEST_ASFLAGS) -c $< -o $@
$(BUILD)/ksyms_empty.o: tools/ksyms.py
	$(Q)mkdir -p $(@D) && tools/ksyms.py --empty | gcc -c -x assembler - -o $@
$(LIBXENOS): $(KERNEL_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

# The SDK, staged in build/sdk (install.sh leaves unchanged files' time stamps alone).
SDK_INPUTS := $(LIBXENOS) $(LIB9P_GUEST) $(BUILD)/ksyms_empty.o $(NEWLIB_STAMP) $(LIBSTDCXX_STAMP) \
  $(wildcard tools/sdk/* kernel/include/xenos/*.h lib9p/include/p9/*.h) \
  $(shell find kernel/shim/libc -name '*.h') linker/kernel.ld tools/ksyms.py tools/mkimage/mkimage
$(SDK_STAMP): $(SDK_INPUTS)
	$(call say,SDK,$(SDK))
	$(Q)tools/sdk/install.sh $(SDK) $(BUILD) $(NEWLIB) $(LIBSTDCXX) && touch $@
sdk: $(SDK_STAMP)
PREFIX ?= /usr/local
install: $(SDK_STAMP)
	$(Q)tools/sdk/install.sh $(PREFIX) $(BUILD) $(NEWLIB) $(LIBSTDCXX)
	@echo "xenos SDK installed in $(PREFIX): $(PREFIX)/bin/xenos-c++ -O2 main.cpp -o app.elf"

# The SDK is a real prerequisite, not order-only: its headers (lib9p's client.h...) are copied
# when it is staged, and an object compiled against the previous copy in the same make run
# would not be rebuilt (a p9test with an old p9::Client layout against a new lib9p.a).
$(BUILD)/guest/apps/%.c.o: apps/%.c $(APP_FLAGS_FILE) $(XENOS_CC) $(SDK_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D) && $(XENOS_CC) $(APP_CFLAGS) -c $< -o $@
$(BUILD)/guest/apps/%.cpp.o: apps/%.cpp $(APP_FLAGS_FILE) $(XENOS_CC) $(SDK_STAMP)
	$(call say,CXX,$<)
	$(Q)mkdir -p $(@D) && $(XENOS_CXX) $(APP_CXXFLAGS) -c $< -o $@
$(XENOS_CC): $(SDK_STAMP)

# xenos-cc links in two passes: the first finds where every function is, the second embeds
# that table (.ksyms, last in the image) so panics print symbolised backtraces.
define image_rule
$(BUILD)/apps/$(1)/$(1).elf: $(call app_objs,$(1)) $(SDK_STAMP)
	$$(call say,LD,$$@)
	$(Q)mkdir -p $$(@D) && $(call app_linker,$(1)) -Wl,-Map,$$@.map -o $$@ $(call app_objs,$(1))
endef
SHELL := /bin/bash
$(foreach a,$(APPS),$(eval $(call image_rule,$(a))))

# ---- host unit tests ------------------------------------------------------------------------
$(BUILD)/host/%.cpp.o: %.cpp $(HOST_FLAGS) | $(DEPS_STAMP)
	$(call say,HOSTCXX,$<)
	$(Q)mkdir -p $(@D) && g++ $(HOST_CXXFLAGS) -c $< -o $@
# The scheduler on the host: real context switches, the interrupt flag and the wait for an
# interrupt from tests/unit/host_arch/context.h (the test's fake timer).
HOST_ARCH_SHIM := -Itests/unit/host_arch -Iarch/x86_64
$(BUILD)/host/kernel/sched/%.cpp.o $(BUILD)/host/tests/unit/scheduler_test.cpp.o: HOST_CXXFLAGS += $(HOST_ARCH_SHIM)
# The xenstore client and the 9pfs handshake over a fake xenstored (tests/unit/fake_xen.h): the
# same shim, and Xen's headers at the guest's interface version.
$(BUILD)/host/kernel/xen/xenstore.cpp.o $(BUILD)/host/kernel/xen/ninep_front.cpp.o \
  $(BUILD)/host/tests/unit/fake_xen.cpp.o $(BUILD)/host/tests/unit/xenstore_test.cpp.o \
  $(BUILD)/host/tests/unit/ninep_handshake_test.cpp.o: \
  HOST_CXXFLAGS += $(HOST_ARCH_SHIM) -D__XEN_INTERFACE_VERSION__=0x00040e00
# iohost is a Linux program: the guest kernel's folders are not on its include path (with
# -Ikernel, <xen/grant_table.h> from libxengnttab's header would find the guest's own file).
$(BUILD)/host/iohost/%.cpp.o: HOST_CXXFLAGS := $(filter-out -Ikernel -Ikernel/include,$(HOST_CXXFLAGS))
# ASan cannot follow a stack switch it was not told about (it warns at every noreturn call on a
# thread's stack, kernel_thread_entry's exit): the scheduler itself runs without it, UBSan stays.
$(BUILD)/host/kernel/sched/scheduler.cpp.o: HOST_CXXFLAGS += -fno-sanitize=address
$(BUILD)/host/%.S.o: %.S | $(DEPS_STAMP)
	$(call say,HOSTAS,$<)
	$(Q)mkdir -p $(@D) && gcc -c $< -o $@
$(BUILD)/host-release/%.cpp.o: %.cpp $(HOST_FLAGS) | $(DEPS_STAMP)
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
	$(Q)g++ $(HOST_CXXFLAGS) -o $@ $^ -lgtest -lgtest_main -pthread
$(INTEROP_BIN): $(patsubst %,$(BUILD)/host/%.o,$(INTEROP_SRCS)) $(LIB9P_HOST)
	$(call say,HOSTLD,$@)
	$(Q)g++ $(HOST_CXXFLAGS) -o $@ $^ -lgtest -lgtest_main -pthread
# The Xen backend's rings are iohost/transport/ring_channel.cpp on the guest frontend's flex
# ring code (common/flex_ring.cpp): both unit-tested and fuzzed without libxen*.
IOHOST_XEN_LIBS := -lxenstore -lxengnttab -lxenevtchn
$(IOHOST): $(patsubst %,$(BUILD)/host-release/%.o,$(IOHOST_SRCS) $(COMMON_SRCS)) $(LIB9P_RELEASE)
	$(call say,HOSTLD,$@)
	$(Q)mkdir -p $(@D) && g++ $(HOST_RELEASE_CXXFLAGS) -o $@ $^ -pthread $(IOHOST_XEN_LIBS)
# iohost under the address and undefined-behaviour sanitizers, from the unit tests' objects: the
# interop stage's hostile-client attacks run against it (tests/interop/hostile.py).
IOHOST_ASAN := $(BUILD)/host/iohost-asan
$(IOHOST_ASAN): $(patsubst %,$(BUILD)/host/%.o,$(IOHOST_SRCS) $(COMMON_SRCS)) $(LIB9P_HOST)
	$(call say,HOSTLD,$@)
	$(Q)g++ $(HOST_CXXFLAGS) -o $@ $^ -pthread $(IOHOST_XEN_LIBS)
$(TOOL_9P): $(BUILD)/host-release/tools/9p/main.cpp.o $(LIB9P_RELEASE)
	$(call say,HOSTLD,$@)
	$(Q)g++ $(HOST_RELEASE_CXXFLAGS) -o $@ $^ -pthread

# Host code only: no newlib or libstdc++ build first. The image test runs when hello is built
# (make test builds it), and says it skipped otherwise.
check: $(UNIT_BIN)
	$(Q)$(if $(wildcard $(BUILD)/apps/hello/hello.elf),XENOS_IMAGE=$(BUILD)/apps/hello/hello.elf) \
	  $(UNIT_BIN) --gtest_brief=1

interop: $(INTEROP_BIN) $(IOHOST) $(IOHOST_ASAN)
	$(Q)tests/interop/run.sh $(BUILD)

tools: $(TOOL_9P) $(IOHOST)
iohost: $(IOHOST)

BENCH_9P := $(BUILD)/host-release/lib9p_bench
$(BENCH_9P): $(BUILD)/host-release/tests/bench/lib9p_bench.cpp.o $(LIB9P_RELEASE)
	$(call say,HOSTLD,$@)
	$(Q)g++ $(HOST_RELEASE_CXXFLAGS) -o $@ $^ -pthread
# apps/iobench as a static Linux program: the same calls in the Linux domU, make bench's peer.
IOBENCH_LINUX := $(BUILD)/host-release/iobench-linux
$(IOBENCH_LINUX): apps/iobench/main.c
	$(call say,HOSTCC,$@)
	$(Q)mkdir -p $(dir $@) && gcc -O2 -Wall -Wextra -static -o $@ $<
.PHONY: bench
bench: $(BENCH_9P) $(IOHOST) $(IMAGES) $(IOBENCH_LINUX) | $(XEN_STAMP)
	$(Q)tests/bench/run.sh $(BUILD)
	$(Q)tests/interop/hostile.py $(IOHOST) --bench $(BUILD)/bench/hostile.json --rounds 3 | tail -1
	$(Q)tests/bench/xen_bench.py $(BUILD)
	$(Q)tests/bench/xen_memory.py $(BUILD)
	$(Q)tests/bench/xen_leak.py $(BUILD)

# ---- boots ----------------------------------------------------------------------------------
smoke: $(IMAGES)
	$(Q)tests/smoke/run.sh $(BUILD)

run-qemu: $(BUILD)/apps/$(APP)/$(APP).elf
	$(Q)tests/smoke/boot.sh $< $(CMDLINE)

$(XEN_STAMP): tools/deps.sh
	$(Q)tools/deps.sh xen
	$(Q)mkdir -p $(BUILD) && touch $@

# pjdfstest, all of it, through Linux's v9fs on iohost's passthrough and mapped exports and on
# diod, side by side in one QEMU VM (tests/conformance/README.md); make test runs five folders.
.PHONY: conformance
conformance: $(IOHOST) | $(XEN_STAMP)
	$(Q)tests/conformance/run.py $(BUILD)

xen-test: $(IMAGES) $(IOHOST) | $(XEN_STAMP)
	$(Q)tests/xen/xen_test.py $(BUILD)

# The app's share folder, apps/<app>/share, is its 9p share (tag "share", at /fs) unless SHARE says.
SHARE ?= $(wildcard apps/$(APP)/share)
BACKEND ?= iohost
run: $(BUILD)/apps/$(APP)/$(APP).elf $(IOHOST) | $(XEN_STAMP)
	$(Q)tests/xen/xenbox.py $< --cmdline "$(CMDLINE)" $(if $(SHARE),--share $(SHARE)) --type $(TYPE) \
	  --backend $(BACKEND) --memory 128

# Every stage, even after one fails; ends with the total "N passed, N failed".
test: $(UNIT_BIN) $(INTEROP_BIN) $(IOHOST) $(IOHOST_ASAN) $(FUZZ_TARGETS) $(IMAGES) | $(XEN_STAMP)
	$(Q)tests/run-all.sh $(BUILD)

clean:
	rm -rf $(BUILD)/guest $(BUILD)/apps $(BUILD)/host $(BUILD)/host-release $(BUILD)/fuzz \
	  $(BUILD)/bench $(BUILD)/ksyms_empty.o $(BUILD)/sdk $(BUILD)/flags
distclean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/guest $(BUILD)/host $(BUILD)/host-release -name '*.d' 2>/dev/null)
