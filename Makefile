# linux-cr: in-kernel checkpoint/restart as an overlay on Debian's linux-source-6.1.
#
#   make          install missing packages (as root), build kernel, tools, initramfs
#   make check    run the kselftest suite in QEMU; ends with "N passed, N failed"
#   make demo     checkpoint, kill and restart a counting program in QEMU
#   make bench    timings (never part of pass/fail)
#   make lint     W=1 build of our kernel objects and checkpatch
#   make mutate   source mutants against the suite (slow; MUTANTS="a b" for some)
#   make fuzz     mutated images against restart in QEMU (ITER=500 SEED=1)
#   make check-migrate  live migration of a container between two guests
#   make check-kselftest  the suite built and run by kselftest's own
#                 Makefile and runner (run_kselftest.sh) in the guest
#   make patchset the work as a git format-patch series against the base
#                 tree, with a cover letter (build/patchset; series/)
#   make check-series  the series applied to a fresh base tree one patch
#                 at a time: build, checkpatch --strict and kernel-doc after
#                 each (slow: 10 min with a warm ccache, much longer without)
#   make check-debug  the suite on a debug kernel (KASAN, UBSAN, lockdep,
#                 DEBUG_LIST, DEBUG_OBJECTS, kmemleak; slow)

SHELL       := /bin/bash
TOP         := $(CURDIR)
B           := $(TOP)/build
KSRC        := $(B)/linux
# The debug kernel of check-debug: a tree of its own (build/linux is built in
# place, and kbuild refuses O= builds from a tree that is), same base, series
# and overlay, configs/*.config plus configs/debug/*.config.
DB          := $(B)/debug
DKSRC       := $(DB)/linux
KTARBALL    := /usr/src/linux-source-6.1.tar.xz
JOBS        ?= $(shell nproc)
# gcc through ccache when there is one, by a command that does not change when
# ccache is installed (make's first run does): see scripts/kcc
KCC         := $(TOP)/scripts/kcc
KMAKE_VARS   = CC="$(KCC)" KBUILD_BUILD_TIMESTAMP="linux-cr" KBUILD_BUILD_USER=cr \
		KBUILD_BUILD_HOST=cr
# $(call kmake,TREE): make in the kernel tree TREE
kmake        = $(MAKE) -C $(1) -j$(JOBS) $(KMAKE_VARS)
KMAKE        = $(call kmake,$(KSRC))

DEB_PKGS    := linux-source-6.1 qemu-system-x86 busybox-static flex bison bc \
		libelf-dev libssl-dev cpio xz-utils ccache gcc make libc6-dev \
		python3-ply python3-git
PATCHES     := patches/series $(wildcard patches/*.patch)
CONFIGS     := $(wildcard configs/*.config)
DEBUG_CONFIGS := $(wildcard configs/debug/*.config)
TOOLS       := checkpoint restart ckptinfo nsexec
TOOL_BINS   := $(addprefix $(B)/user/,$(TOOLS))
DEMO        := counter migload
DEMO_BINS   := $(addprefix $(B)/user/,$(DEMO))
USER_CFLAGS := -static -O2 -g -Wall -Wextra -Wno-unused-parameter \
		-I$(TOP)/include/uapi -I$(TOP)/arch/x86/include/uapi -I$(TOP)/user
ST_DIR      := tools/testing/selftests/checkpoint
# cr_lib.c: the selftests' helpers that need no harness, linked into every
# program that includes cr_lib.h (through cr_util.h or not)
ST_SRCS     := $(filter-out $(ST_DIR)/cr_lib.c,$(wildcard $(ST_DIR)/*.c))
ST_BINS     := $(patsubst $(ST_DIR)/%.c,$(B)/selftests/%,$(ST_SRCS))
ST_CFLAGS   := -static -O1 -g -Wall -D_GNU_SOURCE -pthread \
		-I$(TOP)/include/uapi -I$(TOP)/arch/x86/include/uapi \
		-I$(KSRC)/tools/testing/selftests \
		-I$(TOP)/$(ST_DIR) -I$(TOP)/user

.PHONY: all deps kernel tools selftests initramfs check demo bench lint mutate \
	fuzz debug-kernel check-debug check-migrate kselftest-install \
	check-kselftest patchset check-series print-build-vars clean

all: kernel tools selftests initramfs

deps:
	@missing=; for p in $(DEB_PKGS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing:$$missing"; \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -q $$missing; \
		else \
			echo "Missing Debian packages:$$missing (run make as root)" >&2; \
			exit 1; \
		fi; \
	fi

# Unpack the base kernel into a tree (build/linux; build/debug/linux for
# check-debug) and apply the series; redone when a patch changes.
$(KSRC)/.cr-unpacked $(DKSRC)/.cr-unpacked: %/.cr-unpacked: $(PATCHES) | deps
	rm -rf $* $(dir $*)linux-source-6.1
	mkdir -p $(dir $*)
	tar xf $(KTARBALL) -C $(dir $*)
	mv $(dir $*)linux-source-6.1 $*
	@v=$$($(MAKE) -s -C $* kernelversion); \
	echo "Base kernel: Debian linux-source-6.1, version $$v"; \
	case "$$v" in 6.1.*) ;; *) echo "Unexpected base kernel $$v (want 6.1.y)" >&2; exit 1;; esac
	@for p in $$(grep -v '^#' patches/series); do \
		echo "  PATCH   $$p"; \
		if ! patch -d $* -p1 --forward --batch --quiet < patches/$$p; then \
			echo "ERROR: patches/$$p does not apply to the base kernel" >&2; \
			exit 1; \
		fi; \
	done
	touch $@

# $(call kconfig,TREE,FRAGMENTS): TREE/.config, tinyconfig with the fragments
# merged in; warns about every =y option of theirs that it does not have.
define kconfig
scripts/sync-overlay $(1)
$(call kmake,$(1)) tinyconfig >/dev/null
cd $(1) && scripts/kconfig/merge_config.sh -m .config $(addprefix $(TOP)/,$(2)) >/dev/null
$(call kmake,$(1)) olddefconfig >/dev/null
@for o in $$(grep -ho '^CONFIG_[A-Z0-9_]*=y' $(2) | cut -d= -f1); do \
	grep -q "^$$o=y" $(1)/.config || echo "warning: $$o not set in kernel config" >&2; \
done
touch $(1)/.config
endef

# $(call bzimage,TREE,OUT[,WRAPPER]): sync the overlay into TREE (only what
# changed), build its bzImage (the make run under WRAPPER if given) and copy
# it to OUT if it differs.
define bzimage
@scripts/sync-overlay $(1)
$(3) $(call kmake,$(1)) bzImage
@cmp -s $(1)/arch/x86/boot/bzImage $(2) || cp $(1)/arch/x86/boot/bzImage $(2)
@echo "Kernel: $(2) ($$($(MAKE) -s -C $(1) kernelrelease))"
endef

$(KSRC)/.config: $(KSRC)/.cr-unpacked $(CONFIGS)
	$(call kconfig,$(KSRC),$(CONFIGS))

kernel: $(KSRC)/.config
	$(call bzimage,$(KSRC),$(B)/bzImage)

$(DKSRC)/.config: $(DKSRC)/.cr-unpacked $(CONFIGS) $(DEBUG_CONFIGS)
	$(call kconfig,$(DKSRC),$(CONFIGS) $(DEBUG_CONFIGS))

# The debug kernel, build/debug/bzImage. Takes the build lock itself (one
# kernel build at a time; scripts/build-lock), also when run under "flock
# /tmp/cr-build.lock make ...".
debug-kernel: $(DKSRC)/.config
	$(call bzimage,$(DKSRC),$(DB)/bzImage,scripts/build-lock)

tools: $(TOOL_BINS)

$(B)/user/%: user/%.c $(wildcard user/*.h) include/uapi/linux/checkpoint.h include/uapi/linux/checkpoint_hdr.h arch/x86/include/uapi/asm/checkpoint_hdr.h | deps
	@mkdir -p $(B)/user
	gcc $(USER_CFLAGS) -o $@ $<

selftests: $(ST_BINS)

$(B)/selftests/%: $(ST_DIR)/%.c $(ST_DIR)/cr_lib.c $(wildcard $(ST_DIR)/*.h) user/cr_img.h include/uapi/linux/checkpoint.h include/uapi/linux/checkpoint_hdr.h arch/x86/include/uapi/asm/checkpoint_hdr.h | $(KSRC)/.cr-unpacked
	@mkdir -p $(B)/selftests
	gcc $(ST_CFLAGS) -o $@ $< $$(grep -q '^#include "cr_\(util\|tree\|lib\)\.h"' $< && \
		echo $(ST_DIR)/cr_lib.c)

initramfs: $(B)/initramfs.cpio.gz

$(B)/initramfs.cpio.gz: scripts/mkinitramfs scripts/init scripts/timeout scripts/demo.sh $(TOOL_BINS) $(DEMO_BINS) \
		$(ST_BINS) $(wildcard $(ST_DIR)/*.sh) | deps
	scripts/mkinitramfs $@

check: all
	CHECK_HOST=1 scripts/run-check

# The suite the kselftest way: built and installed by the base tree's
# tools/testing/selftests Makefile (TARGETS=checkpoint, static binaries),
# then run in the guest by kselftest's own runner (run_kselftest.sh).
# Counts the tests the binaries and scripts report (their nested TAP), and
# a binary that failed without a failing test as one failure.
KST         := $(B)/kselftest
KST_SRC     := $(KSRC)/tools/testing/selftests
kselftest-install: $(KSRC)/.cr-unpacked $(wildcard $(ST_DIR)/*) user/cr_img.h
	rm -rf $(KST_SRC)/checkpoint $(KST) $(B)/kselftest-build
	cp -r $(ST_DIR) $(KST_SRC)/checkpoint
	cp user/cr_img.h $(KST_SRC)/checkpoint/
	$(MAKE) -s -C $(KST_SRC) TARGETS=checkpoint O=$(B)/kselftest-build \
		KHDR_INCLUDES="-I$(TOP)/include/uapi -I$(TOP)/arch/x86/include/uapi" \
		LDFLAGS=-static KSFT_INSTALL_PATH=$(KST) install

check-kselftest: all kselftest-install
	scripts/vm-run --timeout 1800 --add $(KST):/opt/kselftest -- \
		/opt/kselftest/run_kselftest.sh 2>&1 | tee $(B)/check-kselftest.log; \
	awk '/^# ok [0-9]/ { if (tolower($$0) ~ /# skip/) s++; else p++ } \
		/^# not ok [0-9]/ { f++; nf++ } \
		/^ok [0-9]/ { nf = 0 } \
		/^not ok [0-9]/ { if (!nf) f++; nf = 0 } \
		END { printf "%d passed, %d failed, %d skipped\n", p, f, s; exit f > 0 || p == 0 }' \
		$(B)/check-kselftest.log

# Live migration alone (make check runs it too): two guests linked over the
# host's 127.0.0.1; MIB and RATE size the container's memory and its writes.
check-migrate: all
	scripts/check-migrate $(if $(MIB),--mib $(MIB)) $(if $(RATE),--rate $(RATE))

# The same suite on the debug kernel (configs/debug/debug.config): every
# KASAN, UBSAN, lockdep, DEBUG_LIST, DEBUG_OBJECTS report, WARN or BUG fails
# it, and so does a leak found by the kmemleak scan after the suite (init's
# cr_kmemleak_scan=1). Console loglevel 5, so that the reports (warning
# level) appear in build/debug/check.log next to the test that caused them;
# kasan_multi_shot: every KASAN report, not only the first. Slower (KASAN,
# lockdep and kmemleak on an emulated CPU): longer timeouts, and memory for
# KASAN's shadow and kmemleak's metadata; the stall and lockup detectors
# wait longer too (watchdog_thresh here, the rest in debug.config). The host
# checks of make check do not depend on the kernel and are not repeated.
# no5lvl: 4-level paging. With QEMU's -cpu max the kernel uses 5 levels,
# and KASAN's idea of its shadow range follows the LA57 CPU feature bit,
# which identify_cpu() clears for a moment at boot: an interrupt then
# gave a storm of false "wild-memory-access" reports and a boot that
# never finished (one boot in a few).
# TESTS="cr_signals ...": only these test binaries.
DEBUG_TIMEOUT      ?= 3600
DEBUG_TEST_TIMEOUT ?= 1500
DEBUG_MEM          ?= 3072
check-debug: debug-kernel tools selftests initramfs
	VM_KERNEL=$(DB)/bzImage VM_MEM=$(DEBUG_MEM) CHECK_LOG=$(DB)/check.log \
	CHECK_TIMEOUT=$(DEBUG_TIMEOUT) \
	VM_APPEND="loglevel=5 kasan_multi_shot no5lvl watchdog_thresh=50 cr_kmemleak_scan=1 CR_TEST_TIMEOUT=$(DEBUG_TEST_TIMEOUT)" \
		scripts/run-check $(TESTS)

demo: all
	scripts/vm-run --timeout 300 -- /usr/share/linux-cr/demo.sh

# crbench: timing helpers of the benchmark (in build/user/, so also in the
# initramfs once it is rebuilt; scripts/bench copies it into the VM anyway).
# CRIU (Debian's criu) for the comparison columns: installed when run as
# root; without it those columns say n/a.
bench: all $(B)/user/crbench
	@command -v criu >/dev/null 2>&1 || [ -x /usr/sbin/criu ] || \
		{ [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q criu; } || \
		echo "bench: criu not installed: no CRIU columns" >&2
	scripts/bench

lint: $(KSRC)/.config
	@scripts/sync-overlay $(KSRC)
	$(KMAKE) W=1 kernel/checkpoint/ mm/checkpoint.o fs/checkpoint.o fs/pipe_checkpoint.o \
		fs/eventfd_checkpoint.o fs/signalfd_checkpoint.o fs/timerfd_checkpoint.o \
		fs/eventpoll_checkpoint.o fs/notify/inotify/inotify_checkpoint.o \
		arch/x86/kernel/checkpoint.o \
		kernel/time/checkpoint.o ipc/checkpoint.o net/unix/checkpoint.o \
		net/ipv4/checkpoint.o net/core/checkpoint.o
	cd $(TOP) && $(KSRC)/scripts/checkpatch.pl --no-tree --terse -f \
		$$(git ls-files 'kernel/checkpoint/*.[ch]' 'include/*checkpoint*.h' \
			mm/checkpoint.c fs/checkpoint.c fs/pipe_checkpoint.c \
			fs/eventfd_checkpoint.c fs/signalfd_checkpoint.c \
			fs/timerfd_checkpoint.c fs/eventpoll_checkpoint.c \
			fs/notify/inotify/inotify_checkpoint.c arch/x86/kernel/checkpoint.c kernel/time/checkpoint.c ipc/checkpoint.c \
			net/unix/checkpoint.c net/ipv4/checkpoint.c net/core/checkpoint.c)

# The series for review (scripts/export-series, scripts/check-series).
patchset: | deps
	scripts/export-series $(B)/patchset

check-series: patchset
	scripts/check-series $(B)/patchset

# Mutation testing (scripts/mutate --help): each mutant of
# $(ST_DIR)/mutants.txt built into build/mutate/ and run against the suite.
# Takes long (see README); not part of check.
mutate: all
	scripts/mutate $(MUTANTS)

# Restart image fuzzing (cr_fuzz, see the top of $(ST_DIR)/cr_fuzz.c):
# ITER mutated images of its own checkpoints, from case 0 of seed SEED,
# restarted as root and as uid 1000; the last line is its summary. About
# 0.1 s a case in the VM (README); the VM gets 300 s + 1 s a case.
ITER        ?= 500
SEED        ?= 1
fuzz: all
	@[[ "$(ITER)" =~ ^[0-9]+$$ && "$(SEED)" =~ ^[0-9]+$$ ]] || \
		{ echo "make fuzz: ITER and SEED must be numbers" >&2; exit 2; }
	scripts/vm-run --timeout $$((300 + $(ITER))) -- \
		/usr/libexec/selftests/checkpoint/cr_fuzz --iter $(ITER) --seed $(SEED)

# For scripts/mutate: the kernel make variables and tool flags of the rules
# above, as bash assignments.
print-build-vars:
	@echo 'kmake_vars=($(KMAKE_VARS))'
	@echo 'user_cflags=($(USER_CFLAGS))'
	@echo 'jobs=$(JOBS)'

clean:
	rm -rf $(B)
