# SPDX-License-Identifier: GPL-2.0
#
# lrucache: kernel module, libkcache, tools and tests.
#
#   make            build the module (against Debian's installed headers),
#                   the library and the tools
#   make check      everything: lint, build, and every test suite in QEMU on
#                   Debian's 6.1 (stock and PREEMPT_RT) and 6.12 kernels
#                   and the 7.2 debug kernel, the Debian packages installed
#                   and booted; one summary line
#   make check-KERNEL  one kernel's suites (KERNEL: stock, rt, 6.12,
#                   6.12-rt, debug; tools/kernel --list)
#   make demo       install what is missing and show the cache working
#   make bench      benchmarks in QEMU: reaper; kcache vs BPF LRU, memcached,
#                   Redis, LMDB; hit rate of mapped reads
#   make check-two-hosts  two VMs sharing one Redis (a short form runs in
#                   make check)
#   make check-tier the tier tests at length: Redis, Redis Cluster,
#                   memcached, two VMs sharing one Redis, the tier benchmark
#   make install    module, library, headers, kcachectl, man pages, udev
#                   rule, systemd unit (DESTDIR=, PREFIX=/usr/local);
#                   make uninstall removes exactly that
#   make dkms-install  the module with DKMS (dkms-uninstall to remove)
#   make module-KERNEL  the module for one kernel, in build/kmod-KERNEL
#   make deb        Debian packages in build/deb/ (lintian-clean);
#                   make check-deb installs them into a Debian 12 root
#                   and boots it in QEMU
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
# Debian's PREEMPT_RT flavour of the same kernel (linux-headers-rt-amd64).
RT_KVER ?= $(shell tools/stock-kernel --rt --kver 2>/dev/null)
RT_KDIR ?= /lib/modules/$(RT_KVER)/build

# The debug kernel (Linux 7.2 with KUnit, KASAN, lockdep, kmemleak) is built
# on first use and cached outside the checkout; DEBUG_KDIR is its tree. KSRC
# is the same tree, only extracted: checkpatch.pl and the kselftest harness
# come from it, the newest kernel's (DEBUG_KDIR and KSRC in the environment
# name other trees). Every other kernel's tree:
# $(call kdir_of,NAME), from tools/kernel (fetched the first time).
DEBUG_KDIR ?= $(shell tests/vm/build-debug-kernel)
KSRC ?= $(shell tests/vm/build-debug-kernel --tree)
kdir_of = $(if $(filter stock,$(1)),$(KDIR),$(if $(filter rt,$(1)),$(RT_KDIR),$(if \
	  $(filter debug,$(1)),$(DEBUG_KDIR),$(shell tools/kernel $(1) --kdir))))

KMOD_SRC := Kbuild $(wildcard kmod/*.c kmod/*.h kmod/Kbuild) \
	    $(wildcard kmod/include/linux/*.h kmod/include/uapi/linux/*.h)

.PHONY: all bench module lib tier check-tier check-two-hosts tools tests examples lint \
	checkpatch sparse kerneldoc callgraph check check-stock check-install demo clean help \
	man install install-user uninstall dkms-install dkms-uninstall pkg-install pkg-dkms \
	pkg-kernels pkg-man deb check-deb \
	example-kmod stress check-build bench-progs FORCE

all: module lib tier tools

help:
	@sed -n '3,/^# KDIR selects/p' Makefile | sed -e '$$d' -e 's/^# \{0,1\}//'

# Out-of-tree modules build in their source directory: give each kernel its
# own copy so the stock and the debug objects never mix. The copy keeps the
# sources' times, so that Kbuild rebuilds only what changed.
define build_module
	@test -d "$(1)" || { echo "no kernel tree at $(1): apt-get install linux-headers-amd64, or pass KDIR=" >&2; exit 1; }
	@mkdir -p $(2)
	@cp -rp Kbuild kmod VERSION $(2)/
	$(MAKE) -C $(1) M=$(2) W=1 modules
endef

module:
	$(call build_module,$(KDIR),$(BUILD)/kmod-stock)

module-stock: module

# module-rt, module-6.12, module-6.12-rt, module-debug (pattern rules
# cannot be .PHONY: FORCE makes them always run).
module-%: FORCE
	$(call build_module,$(call kdir_of,$*),$(BUILD)/kmod-$*)

lib:
	$(MAKE) -C libuser BUILD=$(BUILD)

tools: lib
	$(MAKE) -C tools BUILD=$(BUILD)

# libkcache-tier and lrucache-tierd (Redis, Redis Cluster, memcached as
# the backends of a cache): Documentation/lrucache/tier.rst.
tier: lib
	$(MAKE) -C tier BUILD=$(BUILD)

examples: lib
	$(MAKE) -C examples BUILD=$(BUILD)

# The example kernel module (examples/kmod-consumer), built against the
# same kernel as lrucache.ko and with its Module.symvers; the guest tests
# load it after lrucache.ko.
define build_consumer
	@mkdir -p $(2)
	@cp examples/kmod-consumer/Kbuild examples/kmod-consumer/*.c $(2)/
	$(MAKE) -C $(1) M=$(2) W=1 LRUCACHE_INCLUDE=$(TOP)/kmod/include \
		KBUILD_EXTRA_SYMBOLS=$(3)/Module.symvers modules
endef

example-kmod: module
	$(call build_consumer,$(KDIR),$(BUILD)/kmod-consumer-stock,$(BUILD)/kmod-stock)

example-kmod-stock: example-kmod

example-kmod-%: module-% FORCE
	$(call build_consumer,$(call kdir_of,$*),$(BUILD)/kmod-consumer-$*,$(BUILD)/kmod-$*)

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

# sparse on 6.1 and 6.12 (7.2's kbuild refuses Debian's sparse, see
# tests/lint/sparse).
sparse:
	$(call run_tap,tests/lint/sparse $(KDIR) $(BUILD)/kmod-sparse stock,lint-sparse)
	$(call run_tap,tests/lint/sparse $(call kdir_of,6.12) $(BUILD)/kmod-sparse-6.12 6.12,lint-sparse-6.12)

# The kernel-doc comments parse; Documentation/lrucache/kernel-api.rst,
# expanded from them into build/doc/, documents every export.
kerneldoc:
	$(call run_tap,tests/lint/kerneldoc $(KSRC),lint-kerneldoc)

# The graph of which kmod/*.c file uses which must have no circle: a
# layer below never calls one above (design.rst, "Layers"). About a
# second (cscope, ctags).
callgraph:
	$(call run_tap,tests/lint/callgraph,lint-callgraph)

lint: checkpatch sparse kerneldoc callgraph

# With NOBUILD=1 (make check's lanes, after make check-build) a check-*
# target only runs its tests: it builds nothing, so that two of them can
# run at once without two makes writing one directory.
build_deps = $(if $(NOBUILD),,$(1))

check-stock: $(call build_deps,module lib tier tools tests examples example-kmod bench-progs)
	tests/vm/run-suites stock

# The same suites on every other kernel: check-rt (PREEMPT_RT: spinlocks
# sleep, so sleeping-in-atomic and raw-spinlock misuse show up there and
# not on the stock kernel), check-6.12, check-6.12-rt, check-debug (KUnit,
# KASAN, lockdep, kmemleak). check-install is its own rule below.
check-%: $(call build_deps,module-% lib tools tests examples example-kmod-%) FORCE
	tests/vm/run-suites $*

# The kernels make check runs the suites on, in this order.
CHECK_KERNELS ?= stock rt 6.12 debug

# Everything make check's parts use, built once before they run.
check-build: module lib tier tools tests examples man example-kmod bench-progs \
	$(foreach k,$(filter-out stock,$(CHECK_KERNELS)),module-$(k) example-kmod-$(k))

bench-progs: lib
	$(MAKE) -C tools/bench BUILD=$(BUILD)

# make check runs its parts in two lanes side by side (tests/check-lanes):
# the debug kernel's suite, the longest part, and the two-host check,
# beside lint, the packaging checks, the other kernels' suites and the
# Debian package check (whose root, on a fresh machine, takes a
# debootstrap). Each lane takes about half of the time the parts take one
# after the other. CHECK_LANES=1 runs them all in one lane.
CHECK_LANES ?= 2
check_parts = lint check-install $(addprefix check-,$(CHECK_KERNELS)) \
	      check-two-hosts check-deb
check_lane2 = $(if $(filter debug,$(CHECK_KERNELS)),check-debug) \
	      check-two-hosts
check_lanes = $(if $(filter 1,$(CHECK_LANES)),"$(check_parts)", \
	      "$(filter-out $(check_lane2),$(check_parts))" "$(check_lane2)")

check:
	@rm -rf $(BUILD)/results $(BUILD)/check-lanes
	@status=0; start=$$(date +%s); \
	$(MAKE) -k check-build || { status=1; \
		echo "make check: building failed; the parts run anyway, to show what else fails"; }; \
	echo "make check: build $$(($$(date +%s) - start)) s, load $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	MAKE="$(MAKE)" tests/check-lanes $(BUILD)/check-lanes $(check_lanes) || status=1; \
	tests/summarize $(BUILD)/results || status=1; \
	exit $$status

demo:
	tools/demo

# Man pages: Documentation/man/NAME.SECTION.rst -> build/man/manSECTION/,
# with a ".so" page for each further name a page documents.
man:
	tools/mkman Documentation/man $(BUILD)/man

# Installing. The module goes to /lib/modules/<kver>/updates/ of the
# kernel it was built for (KDIR), the rest under PREFIX; every directory
# can be overridden. Without DESTDIR, depmod and ldconfig run; with one
# (packaging, make check-install) they do not: the package's scripts or
# the installing host's do. The systemd unit is installed, never enabled.
# kcachectl goes to bin (any user may use the caches their modes allow),
# lrucache-persist, which the unit runs as root, to sbin (HELPERDIR: the
# Debian package puts it in /usr/libexec/lrucache, a helper with no man
# page), lrucache-tierd to sbin.
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
HELPERDIR	?= $(SBINDIR)
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
UDEVRULESDIR	?= $(PREFIX)/lib/udev/rules.d
SYSTEMDUNITDIR	?= $(PREFIX)/lib/systemd/system
MODULESLOADDIR	?= $(PREFIX)/lib/modules-load.d
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
KVER		?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
		     $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR		?= /lib/modules/$(KVER)/updates
LIB_VARS	= DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) \
		  INCLUDEDIR=$(INCLUDEDIR) BUILD=$(BUILD)
TOOLS_VARS	= DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) BINDIR=$(BINDIR) \
		  BUILD=$(BUILD)
COMPLETION	:= $(wildcard tools/kcachectl.bash-completion)

install: module install-user
	@test -n "$(KVER)" || { echo "install: no kernel release in $(KDIR)" >&2; exit 1; }
	install -D -m 644 $(BUILD)/kmod-stock/kmod/lrucache.ko \
		$(DESTDIR)$(MODDIR)/lrucache.ko
ifeq ($(DESTDIR),)
	depmod -a $(KVER)
endif

# Everything but the module (the Debian packages install this, and ship
# the module's sources for DKMS instead).
install-user: lib tier tools man
	$(MAKE) -C libuser $(LIB_VARS) install
	$(MAKE) -C tools $(TOOLS_VARS) install
	$(MAKE) -C tier $(LIB_VARS) SBINDIR=$(SBINDIR) install
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' systemd/lrucache-tierd@.service.in \
		> $(BUILD)/lrucache-tierd@.service
	install -D -m 644 $(BUILD)/lrucache-tierd@.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/lrucache-tierd@.service
	sed 's|^kcachectl=.*|kcachectl=$${KCACHECTL:-$(BINDIR)/kcachectl}|' \
		tools/lrucache-persist > $(BUILD)/lrucache-persist
	install -D -m 755 $(BUILD)/lrucache-persist \
		$(DESTDIR)$(HELPERDIR)/lrucache-persist
	cd $(BUILD)/man && find . -type f -name '*.[1-9]' | while read -r f; do \
		install -D -m 644 "$$f" "$(DESTDIR)$(MANDIR)/$$f" || exit 1; done
	install -D -m 644 udev/60-lrucache.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-lrucache.rules
	install -D -m 644 systemd/lrucache.conf \
		$(DESTDIR)$(MODULESLOADDIR)/lrucache.conf
	sed -e 's|@SBINDIR@|$(HELPERDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		systemd/lrucache-persist.service.in > $(BUILD)/lrucache-persist.service
	install -D -m 644 $(BUILD)/lrucache-persist.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/lrucache-persist.service
ifneq ($(COMPLETION),)
	install -D -m 644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/kcachectl
endif
ifeq ($(DESTDIR),)
	ldconfig
endif

# Removes what install wrote (the man pages by the names make man gives
# them), then those of the directories install may have created that are
# left empty, except the ones the FHS says /usr/local has anyway (bin,
# sbin, lib, include, share/man).
UNINSTALL_DIRS	= $(MODDIR) $(INCLUDEDIR)/kcache $(LIBDIR)/pkgconfig \
		  $(addprefix $(MANDIR)/man,3 4 7 8) \
		  $(UDEVRULESDIR) $(dir $(UDEVRULESDIR)) \
		  $(SYSTEMDUNITDIR) $(dir $(SYSTEMDUNITDIR)) $(MODULESLOADDIR) \
		  $(BASHCOMPDIR) $(dir $(BASHCOMPDIR))
uninstall: man
	@test -n "$(KVER)" || { echo "uninstall: no kernel release in $(KDIR)" >&2; exit 1; }
	rm -f $(DESTDIR)$(MODDIR)/lrucache.ko
	$(MAKE) -C libuser $(LIB_VARS) uninstall
	$(MAKE) -C tools $(TOOLS_VARS) uninstall
	$(MAKE) -C tier $(LIB_VARS) SBINDIR=$(SBINDIR) uninstall
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/lrucache-tierd@.service
	rm -f $(DESTDIR)$(HELPERDIR)/lrucache-persist
	cd $(BUILD)/man && find . -type f -name '*.[1-9]' | while read -r f; do \
		rm -f "$(DESTDIR)$(MANDIR)/$$f"; done
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-lrucache.rules \
	      $(DESTDIR)$(MODULESLOADDIR)/lrucache.conf \
	      $(DESTDIR)$(SYSTEMDUNITDIR)/lrucache-persist.service \
	      $(DESTDIR)$(BASHCOMPDIR)/kcachectl
	for d in $(UNINSTALL_DIRS); do \
		[ ! -d "$(DESTDIR)$$d" ] || rmdir --ignore-fail-on-non-empty "$(DESTDIR)$$d"; \
	done
ifeq ($(DESTDIR),)
	depmod -a $(KVER)
	ldconfig
endif

# DKMS: the module's sources (Kbuild, kmod/, VERSION, dkms.conf with the
# version filled in) to /usr/src/lrucache-<version>, then built and
# installed for the kernel of KDIR; DKMS rebuilds it for every kernel
# installed later.
VERSION		:= $(shell cat VERSION)
DKMS_VERSION	:= $(VERSION)
DKMS_SRC	= /usr/src/lrucache-$(DKMS_VERSION)

dkms-install:
	@test -n "$(KVER)" || { echo "dkms-install: no kernel release in $(KDIR)" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -r Kbuild kmod VERSION $(DKMS_SRC)/
	sed 's/#MODULE_VERSION#/$(DKMS_VERSION)/' dkms.conf > $(DKMS_SRC)/dkms.conf
	dkms install lrucache/$(DKMS_VERSION) -k $(KVER)

dkms-uninstall:
	dkms remove lrucache/$(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

# The Debian packages (debian/), built from a copy of the tree with
# dpkg-buildpackage, checked by lintian (tools/mkdeb). check-deb builds
# them too, installs them into a Debian 12 root and boots it in QEMU
# (tests/vm/check-deb); make check runs it without the second kernel
# (CHECK_DEB=--short).
deb:
	tools/mkdeb $(BUILD)/deb

check-deb:
	tests/vm/check-deb $(CHECK_DEB)

# Packaging checks, each leaving TAP in build/results/: make install and
# uninstall into a DESTDIR, a DKMS build, the module against every
# installed Debian 6.1 flavour (stock, cloud, PREEMPT_RT), the man pages.
check-install: $(call build_deps,module lib tier tools man)
	@status=0; for t in install dkms kernels man; do \
		$(MAKE) --no-print-directory pkg-$$t || status=1; done; \
	exit $$status

pkg-install:
	$(call run_tap,tests/lint/install,pkg-install)

pkg-dkms:
	$(call run_tap,tests/lint/dkms,pkg-dkms)

pkg-kernels:
	$(call run_tap,tests/lint/kernels $(BUILD)/kmod-flavours,pkg-kernels)

pkg-man:
	$(call run_tap,tests/lint/man $(BUILD)/man,pkg-man)

# The benchmarks, each measured within one VM run (ratios, no pass/fail):
# the reaper's bucket walk against a full scan, operations watched through
# the event stream against unwatched ones, the hit rate of mapped reads
# against exact LRU, and kcache against the ioctl floor, the BPF LRU map,
# memcached, Redis and LMDB (JSON kept in build/bench/).
bench: module lib
	$(MAKE) -C tools/bench BUILD=$(BUILD)
	tools/vm-run --kernel stock --mem 2048 --timeout 1200 -- \
		$(BUILD)/bench/reap-bench
	tools/vm-run --kernel stock --mem 2048 --timeout 1200 -- \
		$(BUILD)/bench/event-cost
	tools/vm-run --kernel stock --mem 2048 --timeout 1800 -- \
		$(BUILD)/bench/mapped-hitrate
	tools/vm-run --kernel stock --mem 2048 --timeout 1200 -- \
		$(BUILD)/bench/kcache-bench --json - >$(BUILD)/bench/kcache-bench.out; \
	status=$$?; sed '/^{$$/,/^}$$/d' $(BUILD)/bench/kcache-bench.out; \
	sed -n '/^{$$/,/^}$$/p' $(BUILD)/bench/kcache-bench.out \
		>$(BUILD)/bench/kcache-bench.json; \
	echo "kcache-bench: JSON in $(BUILD)/bench/kcache-bench.json"; \
	exit $$status

# The tier's tests at length (Documentation/lrucache/tier.rst): the
# whole tests/vm/tier with TIER_LONG=1 (more writes against the readers),
# the two-VM test with more rounds, and the tier benchmark. make check
# runs the short forms.
# Two VMs sharing one Redis over a virtual link (tests/vm/two-hosts), a
# few rounds; its TAP goes to build/results/two-hosts-{a,b}.tap.
check-two-hosts: $(call build_deps,module lib tier tests)
	TIER_ROUNDS=5 tests/vm/two-hosts

check-tier: module lib tier tools tests
	tools/vm-run --kernel stock --mem 2048 --timeout 7200 \
		--env TIER_LONG=1 --env TIER_BENCH=full -- tests/vm/tier
	TIER_ROUNDS=200 tests/vm/two-hosts

# The long versions of the tests that make check runs short: the load of
# tests/abi/stress, the model comparison of tests/abi/model, a million
# calls of tests/abi/fuzz, the subscriber flood with 1000 subscribers and
# tests/abi/quota with its dump-pinning case at 8 MiB and 40 rounds, on
# the debug kernel, failing on any kernel report or leak (kmemleak scans
# after rmmod). Knobs below; the console is kept in build/stress/.
# STRESS_KERNEL=stock runs them without the checks only a debug kernel has.
STRESS_KERNEL ?= debug
STRESS_SECONDS ?= 300
STRESS_PROCS ?= 4
STRESS_THREADS ?= 4
STRESS_KEYS ?= 4000
MODEL_STEPS ?= 200000
FUZZ_CALLS ?= 1000000
FUZZ_SECONDS ?= 2400
SUBFLOOD_SUBS ?= 1000
DUMP_PIN_MIB ?= 8
DUMP_PIN_ROUNDS ?= 40

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
		--env LRUCACHE_SUBFLOOD_SUBS=$(SUBFLOOD_SUBS) \
		--env LRUCACHE_DUMP_PIN_MIB=$(DUMP_PIN_MIB) \
		--env LRUCACHE_DUMP_PIN_ROUNDS=$(DUMP_PIN_ROUNDS) \
		-- tests/run-tests $(BUILD)/tests/abi/stress \
		$(BUILD)/tests/abi/model $(BUILD)/tests/abi/fuzz \
		$(BUILD)/tests/abi/subflood $(BUILD)/tests/abi/quota

clean:
	rm -rf $(BUILD)

FORCE:
