# dma-buf P2P: one entry point for set-up, build, test machine and tests.
#
#   make demo      install packages, build, boot the test machine, show the job
#   make check     the same set-up, then every test in both P2P modes
#   make bench     the benchmarks (build/bench/, README's table), not in check
#   make check-debug  every test on the debug kernels (KASAN, kmemleak, fault
#                  injection), with and without CONFIG_DMABUF_MOVE_NOTIFY
#   make series    the kernel part as a patch series for review, with a cover
#                  letter, checked with checkpatch --strict (build/series/out)
#   make deb       Debian packages: the kernel from the series with Debian's
#                  own config and ours merged, and p2pctl (build/deb/out)
#   make deb-check make deb's packages through make check's run "packages":
#                  installed, booted and the README's commands run with them
#   make vm        boot the test machine with a shell (also: make shell)
#   make vm-run CMD='...'   run one command in the test machine
#   make kernel / make userspace / make clean / make distclean
#
# MODE=epyc|qemu64 picks the guest CPU (host-bridge P2P allowed or not) for
# vm and vm-run; demo and check run both.

TOP	:= $(abspath .)
BUILD	:= $(TOP)/build
KSRC	:= $(BUILD)/linux-source-6.12
KOBJ	:= $(BUILD)/obj
MODROOT	:= $(BUILD)/modroot
MESON	:= $(BUILD)/meson
FRAGMENTS := $(TOP)/config/p2p.config
# The pin variant: the same kernel with CONFIG_DMABUF_MOVE_NOTIFY off.
KOBJ_PIN := $(BUILD)/obj-pin
MODROOT_PIN := $(BUILD)/modroot-pin
# The debug variants: KASAN, kmemleak, fault injection (make check-debug).
KOBJ_DEBUG := $(BUILD)/obj-debug
MODROOT_DEBUG := $(BUILD)/modroot-debug
KOBJ_DEBUG_PIN := $(BUILD)/obj-debug-pin
MODROOT_DEBUG_PIN := $(BUILD)/modroot-debug-pin
# The bench variant: no lockdep, the function profiler on (make bench).
KOBJ_BENCH := $(BUILD)/obj-bench
MODROOT_BENCH := $(BUILD)/modroot-bench
JOBS	?= $(shell nproc)
MODE	?= epyc

# ccache keys on paths relative to the clone, so a fresh clone elsewhere
# still hits the cache that earlier builds left in ~/.cache/ccache.  Kbuild's
# -fmacro-prefix-map=SRCTREE/= holds the clone's absolute path, but by design
# its output does not depend on it, so it stays out of the hash.
export CCACHE_BASEDIR := $(TOP)
export CCACHE_IGNOREOPTIONS := -fmacro-prefix-map=*
KBUILD_ARGS := CC="ccache gcc" KBUILD_BUILD_TIMESTAMP=2024-01-01 \
	   KBUILD_BUILD_USER=p2p KBUILD_BUILD_HOST=p2p
KMAKE_ARGS := -C $(KSRC) $(KBUILD_ARGS)

# $(call build-kernel,OBJDIR,MODROOT,FRAGMENTS...)
define build-kernel
	@$(TOP)/scripts/kernel-config $(KSRC) $(1) $(3)
	@+$(MAKE) $(KMAKE_ARGS) O=$(1) -s -j$(JOBS) bzImage modules
	@rm -rf $(2).new
	@+$(MAKE) $(KMAKE_ARGS) O=$(1) -s INSTALL_MOD_PATH=$(2).new \
		INSTALL_MOD_STRIP=1 modules_install
	@rm -rf $(2) && mv $(2).new $(2)
endef

.PHONY: all deps kernel kernel-pin kernel-bench kernel-debug kernel-debug-pin \
	bench check-debug series deb deb-check userspace build vm shell vm-run check \
	demo clean distclean

all: build

deps:
	@$(TOP)/scripts/install-deps

kernel: deps
	@$(TOP)/scripts/kernel-tree $(KSRC)
	$(call build-kernel,$(KOBJ),$(MODROOT),$(FRAGMENTS))

# After kernel: the tree is prepared once, and the two builds never share
# the source tree's generated files at the same time.
kernel-pin: kernel
	$(call build-kernel,$(KOBJ_PIN),$(MODROOT_PIN),$(FRAGMENTS) $(TOP)/config/pin.config)

kernel-debug: kernel
	$(call build-kernel,$(KOBJ_DEBUG),$(MODROOT_DEBUG),$(FRAGMENTS) $(TOP)/config/debug.config)

kernel-debug-pin: kernel-debug
	$(call build-kernel,$(KOBJ_DEBUG_PIN),$(MODROOT_DEBUG_PIN),$(FRAGMENTS) $(TOP)/config/debug.config $(TOP)/config/pin.config)

kernel-bench: kernel
	$(call build-kernel,$(KOBJ_BENCH),$(MODROOT_BENCH),$(FRAGMENTS) $(TOP)/config/bench.config)

userspace: deps
	@[ -f $(MESON)/build.ninja ] || meson setup $(MESON) $(TOP)
	@ninja -C $(MESON)

build: kernel userspace

vm shell: build
	@$(TOP)/scripts/vm --mode $(MODE) --shell

# CMD goes to the shell unexpanded and single-quoted, so that '$VAR' and
# quotes in it reach the guest as typed.
vm-run: build
	@$(TOP)/scripts/vm --mode $(MODE) -- '$(subst ','\'',$(value CMD))'; rc=$$?; \
	[ $$rc -eq 0 ] || echo "vm-run: the command exited with status $$rc" >&2; \
	exit $$rc

# Besides the test machine's runs, check makes the patch series, applies it
# to a pristine tree and builds it patch by patch (scripts/series-test).
check: build kernel-pin
	@KMAKE='$(MAKE) $(KBUILD_ARGS) -j$(JOBS)' $(TOP)/scripts/check

series: deps
	@$(TOP)/scripts/series $(BUILD)/series/out

# Hours on 2 cores the first time: every driver of Debian's config.
deb: series
	@KMAKE='$(MAKE) $(KBUILD_ARGS) -j$(JOBS)' $(TOP)/scripts/deb $(BUILD)/deb/out

# make deb's build (if not done yet), then its packages installed and booted
# in the test machine, compared with Debian's own kernel package.  dpkg
# unpacks Debian's 4,000 modules over 9p under TCG: about 20 minutes for
# the install step alone, so each test machine step may take 90.
deb-check: build series
	@P2P_CHECK_TIMEOUT=5400 KMAKE='$(MAKE) $(KBUILD_ARGS) -j$(JOBS)' \
		$(TOP)/scripts/check packages:debian

# Under KASAN a run takes longer than check's timeout allows: about an
# hour per kernel here, more on a busy machine.
check-debug: build kernel-debug kernel-debug-pin
	@P2P_CHECK_TIMEOUT=7200 $(TOP)/scripts/check epyc:debug epyc:debug-pin

# Not part of check: about 15 minutes of measurements (BENCH_ARGS=--quick:
# one short repetition of each, to try the pipeline).
bench: build kernel-bench
	@$(TOP)/scripts/install-deps packages packages-bench
	@$(TOP)/scripts/bench $(BENCH_ARGS)

demo: build
	@for mode in epyc qemu64; do \
		$(TOP)/scripts/vm --mode $$mode -- scripts/demo || exit 1; \
	done

clean:
	rm -rf $(KOBJ) $(MODROOT) $(KOBJ_PIN) $(MODROOT_PIN) $(KOBJ_BENCH) \
		$(MODROOT_BENCH) $(KOBJ_DEBUG) $(MODROOT_DEBUG) \
		$(KOBJ_DEBUG_PIN) $(MODROOT_DEBUG_PIN) $(MESON) $(BUILD)/vm \
		$(BUILD)/bench $(BUILD)/series $(BUILD)/deb

distclean:
	rm -rf $(BUILD)
