# SPDX-License-Identifier: MIT
#
# mmlab top-level Makefile, in the style of Linux's Kbuild:
#   make menuconfig | defconfig | NAME_defconfig | ...   choose a configuration
#   make            build mmlab.elf and mmlab.bin
#   make run        boot the image under QEMU
#   make check      run every test
# `make help` lists everything. O=DIR keeps all outputs (the .config too) in DIR.

MMLAB_VERSION := 0.1.0
export MMLAB_VERSION

MAKEFLAGS += -rR --no-print-directory

# ---------------------------------------------------------------------------
# Output directory: with O=DIR, re-run this Makefile inside DIR so every path
# below is relative to the output tree and sources are found via $(srctree).

ifeq ("$(origin O)", "command line")
ifneq ($(mmlab_in_objtree),1)
objdir := $(abspath $(O))
this-makefile := $(abspath $(lastword $(MAKEFILE_LIST)))
MAKECMDGOALS ?=
.DEFAULT_GOAL := all
$(filter-out sub-make,$(MAKECMDGOALS)) all: sub-make
	@:
.PHONY: sub-make
sub-make:
	@mkdir -p $(objdir)
	@$(MAKE) -C $(objdir) -f $(this-makefile) mmlab_in_objtree=1 \
		srctree=$(abspath $(dir $(this-makefile))) O=$(objdir) \
		$(MAKECMDGOALS)
need-sub-make := 1
endif
endif

ifneq ($(need-sub-make),1)

# "make defconfig all": configuration goals mixed with others run one by one,
# each in its own make, so the build sees the new configuration.
config-goals := $(filter menuconfig defconfig savedefconfig olddefconfig \
	oldconfig alldefconfig allnoconfig allyesconfig listnewconfig \
	randconfig %_defconfig,$(MAKECMDGOALS))
ifneq ($(config-goals),)
ifneq ($(filter-out $(config-goals),$(MAKECMDGOALS)),)
mixed-goals := 1
endif
endif
endif

ifeq ($(mixed-goals),1)
this-makefile := $(abspath $(lastword $(MAKEFILE_LIST)))
$(MAKECMDGOALS): one-by-one
	@:
one-by-one:
	@set -e; for goal in $(MAKECMDGOALS); do \
		$(MAKE) -f $(this-makefile) $$goal; \
	done
.PHONY: one-by-one $(MAKECMDGOALS)
else ifneq ($(need-sub-make),1)

srctree ?= .
objtree := .
export srctree objtree

# ---------------------------------------------------------------------------
# Verbosity: V=1 prints whole commands, otherwise one short line each.

ifeq ($(V),1)
  Q :=
  quiet :=
else
  Q := @
  quiet := quiet_
endif
export Q quiet

include $(srctree)/scripts/Kbuild.include

# ---------------------------------------------------------------------------
# Tools

CROSS_COMPILE ?= riscv64-linux-gnu-
CC      := $(CROSS_COMPILE)gcc
AR      := $(CROSS_COMPILE)ar
NM      := $(CROSS_COMPILE)nm
OBJCOPY := $(CROSS_COMPILE)objcopy
HOSTCC  ?= gcc
PYTHON  := /usr/bin/python3
QEMU    ?= qemu-system-riscv64
GDB     ?= gdb-multiarch
export CC AR NM OBJCOPY HOSTCC PYTHON QEMU CROSS_COMPILE

KCONFIG_CONFIG ?= .config
export KCONFIG_CONFIG

kconfig := srctree=$(srctree) MMLAB_VERSION=$(MMLAB_VERSION) $(PYTHON) -m
kconfig-file := $(srctree)/Kconfig

# ---------------------------------------------------------------------------
# Target classes: configuration targets never need an existing .config;
# build targets read include/config/auto.conf (made from .config).

config-targets := menuconfig defconfig savedefconfig olddefconfig oldconfig \
	alldefconfig allnoconfig allyesconfig listnewconfig randconfig %_defconfig
no-config-targets := help clean mrproper distclean host-check host-fuzz \
	install-deps randcheck check-tools $(config-targets)

.DEFAULT_GOAL := all
PHONY := all

all: mmlab.elf mmlab.bin

# ---------------------------------------------------------------------------
# Configuration

defconfigs := $(sort $(notdir $(wildcard $(srctree)/configs/*defconfig)))

PHONY += menuconfig olddefconfig oldconfig alldefconfig allnoconfig \
	allyesconfig listnewconfig savedefconfig randconfig defconfig

menuconfig oldconfig:
	$(Q)$(kconfig) $@ $(kconfig-file)

olddefconfig alldefconfig allnoconfig allyesconfig listnewconfig:
	$(Q)$(kconfig) $@ $(kconfig-file)

savedefconfig:
	$(Q)$(kconfig) savedefconfig --kconfig $(kconfig-file) --out defconfig
	@echo "Minimal configuration written to defconfig"

randconfig:
	$(Q)srctree=$(srctree) MMLAB_VERSION=$(MMLAB_VERSION) \
		$(PYTHON) $(srctree)/scripts/kconfig/randconfig.py $(kconfig-file)

defconfig: $(srctree)/configs/defconfig
	$(Q)$(kconfig) defconfig --kconfig $(kconfig-file) $<

%_defconfig:
	@if [ ! -f $(srctree)/configs/$@ ]; then \
		echo "error: no configuration named '$@'; available: $(defconfigs)" >&2; \
		exit 2; \
	fi
	$(Q)$(kconfig) defconfig --kconfig $(kconfig-file) $(srctree)/configs/$@

# A build without a .config starts from configs/defconfig, and says so.
$(KCONFIG_CONFIG):
	@echo "*** No $(KCONFIG_CONFIG) found: applying configs/defconfig (run 'make menuconfig' to change it)"
	$(Q)$(kconfig) defconfig --kconfig $(kconfig-file) $(srctree)/configs/defconfig

# Kconfig files the configuration was made from (written by genconfig).
-include include/config/auto.conf.cmd

# syncconfig: bring .config up to date with the Kconfig files, then write
# autoconf.h and, through --sync-deps, include/config/auto.conf (the values,
# in make syntax) plus one timestamp file per symbol whose value changed.
include/config/auto.conf: $(KCONFIG_CONFIG) $(kconfig-deps)
	@mkdir -p include/config include/generated
	@echo "  GEN     include/generated/autoconf.h"
	$(Q)$(kconfig) olddefconfig $(kconfig-file) >/dev/null
	$(Q)$(kconfig) genconfig --header-path include/generated/autoconf.h \
		--sync-deps include/config \
		--file-list include/config/kconfig-files $(kconfig-file)
	$(Q)sed -e 's|^\([^/]\)|$(srctree)/\1|' -e 's|^|kconfig-deps += |' include/config/kconfig-files \
		> include/config/auto.conf.cmd
	$(Q)touch $@

# Build targets read the configuration; a goal list made only of
# configuration or housekeeping targets does not.
ifeq ($(MAKECMDGOALS),)
need-config := 1
endif
ifneq ($(filter-out $(no-config-targets),$(MAKECMDGOALS)),)
need-config := 1
endif
ifeq ($(need-config),1)
-include include/config/auto.conf
endif

# ---------------------------------------------------------------------------
# Compiler flags (the .cmd files record them: a change rebuilds)

ARCH_ISA := rv64imac_zicsr_zifencei$(if $(CONFIG_RISCV_ISA_ZBB),_zbb)

KBUILD_CPPFLAGS := -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-I$(srctree)/include -I$(srctree)/arch/riscv/include -Iinclude \
	-include $(srctree)/include/mmlab/kconfig.h \
	-include include/generated/autoconf.h
KBUILD_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror \
	-march=$(ARCH_ISA) -mabi=lp64 -mcmodel=medany \
	-ffreestanding -fno-pie -fno-common -fno-stack-protector \
	-fno-omit-frame-pointer -fno-optimize-sibling-calls \
	-fno-asynchronous-unwind-tables $(if $(CONFIG_DEBUG_INFO),-g)
KBUILD_AFLAGS := -D__ASSEMBLY__ -march=$(ARCH_ISA) -mabi=lp64 \
	$(if $(CONFIG_DEBUG_INFO),-g)
KBUILD_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,--no-relax -Wl,-T,arch/riscv/kernel.lds
export KBUILD_CPPFLAGS KBUILD_CFLAGS KBUILD_AFLAGS

# ---------------------------------------------------------------------------
# Build: descend into each directory (scripts/Makefile.build), then link.

core-dirs := arch/riscv kernel mm lib
built-ins := $(addsuffix /built-in.a,$(core-dirs))

fixdep := scripts/basic/fixdep
export fixdep

$(fixdep): $(srctree)/scripts/basic/fixdep.c
	@mkdir -p $(@D)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) -O2 -Wall -Wextra -Werror -o $@ $<

PHONY += prepare $(core-dirs)
prepare: include/config/auto.conf $(fixdep) check-tools

$(core-dirs): prepare
	$(Q)$(MAKE) -f $(srctree)/scripts/Makefile.build obj=$@

$(built-ins): %/built-in.a: % ;

quiet_cmd_lds = LDS     $@
      cmd_lds = $(CC) -E -P $(KBUILD_CPPFLAGS) -D__ASSEMBLY__ -o $@ $<

arch/riscv/kernel.lds: $(srctree)/arch/riscv/kernel.lds.S include/config/auto.conf FORCE
	$(call if_changed,lds)

# Three-step link so panic backtraces can name functions: link once with an
# empty symbol table, generate the table from that image, link again. The
# table sits after .text, so function addresses cannot move; the last step
# checks that they did not.
link-objs := -Wl,--whole-archive $(built-ins) -Wl,--no-whole-archive
link = $(CC) $(KBUILD_LDFLAGS) -o $(1) $(link-objs) $(2)
kallsyms = $(PYTHON) $(srctree)/scripts/kallsyms.py

quiet_cmd_link_mmlab = LD      $@
      cmd_link_mmlab = \
	$(kallsyms) --empty > .tmp_kallsyms0.S; \
	$(CC) $(KBUILD_AFLAGS) -c -o .tmp_kallsyms0.o .tmp_kallsyms0.S; \
	$(call link,.tmp_mmlab0.elf,.tmp_kallsyms0.o); \
	$(NM) -n .tmp_mmlab0.elf | $(kallsyms) > .tmp_kallsyms1.S; \
	$(CC) $(KBUILD_AFLAGS) -c -o .tmp_kallsyms1.o .tmp_kallsyms1.S; \
	$(call link,$@,.tmp_kallsyms1.o); \
	$(NM) -n $@ | $(kallsyms) | cmp -s - .tmp_kallsyms1.S || \
	{ echo "kallsyms: function addresses moved between link passes" >&2; rm -f $@; exit 1; }

mmlab.elf: $(built-ins) arch/riscv/kernel.lds $(srctree)/scripts/kallsyms.py FORCE
	$(call if_changed,link_mmlab)

-include .mmlab.elf.cmd .mmlab.bin.cmd arch/riscv/.kernel.lds.cmd

quiet_cmd_objcopy = OBJCOPY $@
      cmd_objcopy = $(OBJCOPY) -O binary $< $@

mmlab.bin: mmlab.elf FORCE
	$(call if_changed,objcopy)

# ---------------------------------------------------------------------------
# Running, debugging and testing

QEMU_MEM  ?= 128M
QEMU_BIOS ?= /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
QEMU_ARGS := -machine virt -nographic -m $(QEMU_MEM) -bios $(QEMU_BIOS) \
	-kernel mmlab.elf $(if $(BOOTARGS),-append "$(BOOTARGS)") $(QEMU_EXTRA)

PHONY += run debug check randcheck host-check host-fuzz check-tools install-deps

check-tools:
	@$(srctree)/scripts/check-tools $(CC) $(QEMU) $(QEMU_BIOS)

run: all
	@echo "  QEMU    mmlab.elf (quit: Ctrl-A X)"
	$(Q)$(QEMU) $(QEMU_ARGS)

debug: all
	@echo "  QEMU    mmlab.elf, halted, gdb stub on tcp::1234"
	@echo "  In another terminal run:"
	@echo "    $(GDB) $(abspath mmlab.elf) -ex 'target remote :1234'"
	$(Q)$(QEMU) $(QEMU_ARGS) -s -S

host-check:
	$(Q)$(MAKE) -f $(srctree)/tests/host/Makefile objtree=$(abspath build) run

host-fuzz:
	$(Q)$(MAKE) -f $(srctree)/tests/host/Makefile objtree=$(abspath build) fuzz

# Everything: host tests, the defconfig matrix, RAM sizes, randconfigs.
check: check-tools $(KCONFIG_CONFIG)
	$(Q)$(PYTHON) $(srctree)/scripts/check.py --srctree $(srctree) --out $(abspath build)

# Many random configurations: make randcheck N=200
N ?= 20
randcheck: check-tools
	$(Q)$(PYTHON) $(srctree)/scripts/check.py --srctree $(srctree) --out $(abspath build) \
		--only randconfig --rand $(N)

install-deps:
	$(Q)$(srctree)/scripts/install-deps

# ---------------------------------------------------------------------------
# Housekeeping

PHONY += clean mrproper distclean help compile_commands.json

clean:
	@echo "  CLEAN   objects and images"
	$(Q)find . \( -name '*.o' -o -name '*.a' -o -name '.*.cmd' \) \
		-not -path './.git/*' -delete
	$(Q)rm -f mmlab.elf mmlab.bin .tmp_* arch/riscv/kernel.lds $(fixdep)

mrproper: clean
	@echo "  CLEAN   configuration and generated files"
	$(Q)rm -rf include/generated include/config build .config .config.old \
		compile_commands.json

distclean: mrproper
	$(Q)find . \( -name '*~' -o -name '*.orig' -o -name '*.rej' \) \
		-not -path './.git/*' -delete

compile_commands.json: all
	@echo "  GEN     $@"
	$(Q)$(PYTHON) $(srctree)/scripts/gen_compile_commands.py . > $@

help:
	@$(PYTHON) $(srctree)/scripts/help.py $(srctree)

PHONY += FORCE
FORCE:

.PHONY: $(PHONY)

endif # need-sub-make
