# linux-cr: in-kernel checkpoint/restart as an overlay on Debian's linux-source-6.1.
#
#   make          install missing packages (as root), build kernel, tools, initramfs
#   make check    run the kselftest suite in QEMU; ends with "N passed, N failed"
#   make demo     checkpoint, kill and restart a counting program in QEMU
#   make bench    timings (never part of pass/fail)
#   make lint     W=1 build of our kernel objects and checkpatch
#   make mutate   source mutants against the suite (slow; MUTANTS="a b" for some)
#   make fuzz     mutated images against restart in QEMU (ITER=500 SEED=1)

SHELL       := /bin/bash
TOP         := $(CURDIR)
B           := $(TOP)/build
KSRC        := $(B)/linux
KTARBALL    := /usr/src/linux-source-6.1.tar.xz
JOBS        ?= $(shell nproc)
KCC         := $(shell command -v ccache >/dev/null 2>&1 && echo "ccache gcc" || echo gcc)
KMAKE_VARS   = CC="$(KCC)" KBUILD_BUILD_TIMESTAMP="linux-cr" KBUILD_BUILD_USER=cr \
		KBUILD_BUILD_HOST=cr
KMAKE        = $(MAKE) -C $(KSRC) -j$(JOBS) $(KMAKE_VARS)

DEB_PKGS    := linux-source-6.1 qemu-system-x86 busybox-static flex bison bc \
		libelf-dev libssl-dev cpio xz-utils ccache gcc make libc6-dev
PATCHES     := patches/series $(wildcard patches/*.patch)
CONFIGS     := $(wildcard configs/*.config)
TOOLS       := checkpoint restart ckptinfo nsexec
TOOL_BINS   := $(addprefix $(B)/user/,$(TOOLS))
DEMO        := counter
DEMO_BINS   := $(addprefix $(B)/user/,$(DEMO))
USER_CFLAGS := -static -O2 -g -Wall -Wextra -Wno-unused-parameter \
		-I$(TOP)/include/uapi -I$(TOP)/arch/x86/include/uapi -I$(TOP)/user
ST_DIR      := tools/testing/selftests/checkpoint
ST_SRCS     := $(wildcard $(ST_DIR)/*.c)
ST_BINS     := $(patsubst $(ST_DIR)/%.c,$(B)/selftests/%,$(ST_SRCS))
ST_CFLAGS   := -static -O1 -g -Wall -D_GNU_SOURCE -pthread \
		-I$(TOP)/include/uapi -I$(TOP)/arch/x86/include/uapi \
		-I$(KSRC)/tools/testing/selftests \
		-I$(TOP)/$(ST_DIR)

.PHONY: all deps kernel tools selftests initramfs check demo bench lint mutate \
	fuzz print-build-vars clean

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

# Unpack the base kernel and apply the series; redone when a patch changes.
$(KSRC)/.cr-unpacked: $(PATCHES) | deps
	rm -rf $(KSRC) $(B)/linux-source-6.1
	mkdir -p $(B)
	tar xf $(KTARBALL) -C $(B)
	mv $(B)/linux-source-6.1 $(KSRC)
	@v=$$($(MAKE) -s -C $(KSRC) kernelversion); \
	echo "Base kernel: Debian linux-source-6.1, version $$v"; \
	case "$$v" in 6.1.*) ;; *) echo "Unexpected base kernel $$v (want 6.1.y)" >&2; exit 1;; esac
	@for p in $$(grep -v '^#' patches/series); do \
		echo "  PATCH   $$p"; \
		if ! patch -d $(KSRC) -p1 --forward --batch --quiet < patches/$$p; then \
			echo "ERROR: patches/$$p does not apply to the base kernel" >&2; \
			exit 1; \
		fi; \
	done
	touch $@

$(KSRC)/.config: $(KSRC)/.cr-unpacked $(CONFIGS)
	scripts/sync-overlay $(KSRC)
	$(KMAKE) tinyconfig >/dev/null
	cd $(KSRC) && scripts/kconfig/merge_config.sh -m .config $(addprefix $(TOP)/,$(CONFIGS)) >/dev/null
	$(KMAKE) olddefconfig >/dev/null
	@for o in $$(grep -ho '^CONFIG_[A-Z0-9_]*=y' $(CONFIGS) | cut -d= -f1); do \
		grep -q "^$$o=y" $@ || echo "warning: $$o not set in kernel config" >&2; \
	done
	touch $@

kernel: $(KSRC)/.config
	@scripts/sync-overlay $(KSRC)
	$(KMAKE) bzImage
	@cmp -s $(KSRC)/arch/x86/boot/bzImage $(B)/bzImage || \
		cp $(KSRC)/arch/x86/boot/bzImage $(B)/bzImage
	@echo "Kernel: $(B)/bzImage ($$($(MAKE) -s -C $(KSRC) kernelrelease))"

tools: $(TOOL_BINS)

$(B)/user/%: user/%.c $(wildcard user/*.h) include/uapi/linux/checkpoint.h include/uapi/linux/checkpoint_hdr.h arch/x86/include/uapi/asm/checkpoint_hdr.h | deps
	@mkdir -p $(B)/user
	gcc $(USER_CFLAGS) -o $@ $<

selftests: $(ST_BINS)

$(B)/selftests/%: $(ST_DIR)/%.c $(wildcard $(ST_DIR)/*.h) include/uapi/linux/checkpoint.h include/uapi/linux/checkpoint_hdr.h arch/x86/include/uapi/asm/checkpoint_hdr.h | $(KSRC)/.cr-unpacked
	@mkdir -p $(B)/selftests
	gcc $(ST_CFLAGS) -o $@ $<

initramfs: $(B)/initramfs.cpio.gz

$(B)/initramfs.cpio.gz: scripts/mkinitramfs scripts/init scripts/demo.sh $(TOOL_BINS) $(DEMO_BINS) \
		$(ST_BINS) $(wildcard $(ST_DIR)/*.sh) | deps
	scripts/mkinitramfs $@

check: all
	CHECK_HOST=1 scripts/run-check

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
	$(KMAKE) W=1 kernel/checkpoint/ mm/checkpoint.o fs/checkpoint.o arch/x86/kernel/checkpoint.o
	cd $(TOP) && $(KSRC)/scripts/checkpatch.pl --no-tree --terse -f \
		$$(git ls-files 'kernel/checkpoint/*.[ch]' 'include/*checkpoint*.h' \
			mm/checkpoint.c fs/checkpoint.c arch/x86/kernel/checkpoint.c)

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
