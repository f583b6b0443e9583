# SPDX-License-Identifier: GPL-2.0
#
# lrucache: kernel module, libkcache, tools and tests.
#
#   make            build the module (against Debian's installed headers),
#                   the library and the tools
#   make check      everything: lint, build, and every test suite in QEMU on
#                   the stock and the debug kernel; one summary line
#   make demo       install what is missing and show the cache working
#   make bench      benchmarks in QEMU: reaper; kcache vs BPF LRU, memcached
#   make stress     long runs on the debug kernel (KASAN, lockdep, kmemleak):
#                   multi-process load, the LRU/TTL model, 1e6 fuzzed ioctls
#
# KDIR selects the kernel tree to build the module against; by default the
# newest installed /lib/modules/*/build (never the running kernel's blindly:
# on a host without headers for `uname -r` that directory does not exist).

TOP := $(CURDIR)
BUILD ?= $(TOP)/build

STOCK_KVER ?= $(shell tools/stock-kernel --kver 2>/dev/null)
KDIR ?= /lib/modules/$(STOCK_KVER)/build

# The debug kernel (KUnit, KASAN, lockdep, kmemleak) is built on first use
# and cached outside the checkout; DEBUG_KDIR is its tree. KSRC is the same
# tree, only extracted: checkpatch.pl and the kselftest harness come from it.
DEBUG_KDIR = $(shell tests/vm/build-debug-kernel)
KSRC = $(shell tests/vm/build-debug-kernel --tree)

KMOD_SRC := Kbuild $(wildcard kmod/*.c kmod/*.h kmod/Kbuild) \
	    $(wildcard kmod/include/linux/*.h kmod/include/uapi/linux/*.h)

.PHONY: all bench module module-debug lib tools tests examples lint checkpatch sparse \
	check check-stock check-debug demo clean help stress

all: module lib tools

help:
	@sed -n '3,16p' Makefile | sed 's/^# \{0,1\}//'

# Out-of-tree modules build in their source directory: give each kernel its
# own copy so the stock and the debug objects never mix.
define build_module
	@test -d "$(1)" || { echo "no kernel tree at $(1): apt-get install linux-headers-amd64, or pass KDIR=" >&2; exit 1; }
	@mkdir -p $(2)
	@cp -r Kbuild kmod $(2)/
	$(MAKE) -C $(1) M=$(2) W=1 modules
endef

module:
	$(call build_module,$(KDIR),$(BUILD)/kmod-stock)

module-debug:
	$(call build_module,$(DEBUG_KDIR),$(BUILD)/kmod-debug)

lib:
	$(MAKE) -C libuser BUILD=$(BUILD)

tools: lib
	$(MAKE) -C tools BUILD=$(BUILD)

examples: lib
	$(MAKE) -C examples BUILD=$(BUILD)

tests: lib
	$(MAKE) -C tests BUILD=$(BUILD) \
		KSFT_DIR=$(KSRC)/tools/testing/selftests

# Kernel style and static checks, from the extracted kernel tree.
# Each check leaves its TAP in build/results/ for the summary.
define run_tap
	@mkdir -p $(BUILD)/results
	@$(1) > $(BUILD)/results/$(2).tap; status=$$?; \
	cat $(BUILD)/results/$(2).tap; exit $$status
endef

checkpatch:
	$(call run_tap,tests/lint/checkpatch $(KSRC),lint-checkpatch)

sparse:
	$(call run_tap,tests/lint/sparse $(KDIR) $(BUILD)/kmod-sparse,lint-sparse)

lint: checkpatch sparse

check-stock: module lib tools tests examples
	$(MAKE) -C tools/bench BUILD=$(BUILD)
	tests/vm/run-suites stock

check-debug: module-debug lib tools tests examples
	tests/vm/run-suites debug

check:
	@rm -rf $(BUILD)/results
	@status=0; \
	$(MAKE) lint || status=1; \
	$(MAKE) check-stock || status=1; \
	$(MAKE) check-debug || status=1; \
	tests/summarize $(BUILD)/results || status=1; \
	exit $$status

demo:
	tools/demo

# The benchmarks, each measured within one VM run (ratios, no pass/fail):
# the reaper's bucket walk against a full scan, operations watched through
# the event stream against unwatched ones, and kcache against the ioctl
# floor, the BPF LRU map and memcached (JSON kept in build/bench/).
bench: module lib
	$(MAKE) -C tools/bench BUILD=$(BUILD)
	tools/vm-run --kernel stock --mem 2048 --timeout 1200 -- \
		$(BUILD)/bench/reap-bench
	tools/vm-run --kernel stock --mem 2048 --timeout 1200 -- \
		$(BUILD)/bench/event-cost
	tools/vm-run --kernel stock --mem 2048 --timeout 1200 -- \
		$(BUILD)/bench/kcache-bench --json - >$(BUILD)/bench/kcache-bench.out; \
	status=$$?; sed '/^{$$/,/^}$$/d' $(BUILD)/bench/kcache-bench.out; \
	sed -n '/^{$$/,/^}$$/p' $(BUILD)/bench/kcache-bench.out \
		>$(BUILD)/bench/kcache-bench.json; \
	echo "kcache-bench: JSON in $(BUILD)/bench/kcache-bench.json"; \
	exit $$status

# The long versions of the tests that make check runs short: the load of
# tests/abi/stress, the model comparison of tests/abi/model and a million
# calls of tests/abi/fuzz, on the debug kernel, failing on any kernel
# report or leak (kmemleak scans after rmmod). Knobs below; the console is
# kept in build/stress/. STRESS_KERNEL=stock runs them without the checks
# only a debug kernel has.
STRESS_KERNEL ?= debug
STRESS_SECONDS ?= 300
STRESS_PROCS ?= 4
STRESS_THREADS ?= 4
STRESS_KEYS ?= 4000
MODEL_STEPS ?= 200000
FUZZ_CALLS ?= 1000000
FUZZ_SECONDS ?= 2400

stress: $(if $(filter debug,$(STRESS_KERNEL)),module-debug,module) lib tests
	@mkdir -p $(BUILD)/stress
	tools/vm-run --kernel $(STRESS_KERNEL) --check-dmesg \
		$(if $(filter debug,$(STRESS_KERNEL)),--kmemleak) \
		--timeout 7200 --log $(BUILD)/stress/$(STRESS_KERNEL).console \
		--env LRUCACHE_STRESS_SECONDS=$(STRESS_SECONDS) \
		--env LRUCACHE_STRESS_PROCS=$(STRESS_PROCS) \
		--env LRUCACHE_STRESS_THREADS=$(STRESS_THREADS) \
		--env LRUCACHE_STRESS_KEYS=$(STRESS_KEYS) \
		--env LRUCACHE_MODEL_STEPS=$(MODEL_STEPS) \
		--env LRUCACHE_FUZZ_CALLS=$(FUZZ_CALLS) \
		--env LRUCACHE_FUZZ_SECONDS=$(FUZZ_SECONDS) \
		-- tests/run-tests $(BUILD)/tests/abi/stress \
		$(BUILD)/tests/abi/model $(BUILD)/tests/abi/fuzz

clean:
	rm -rf $(BUILD)
