# SPDX-License-Identifier: ISC
# vnet -- one non-recursive GNU Makefile for the whole tree.
#
#   make                 build every program into $(B)/bin
#   make check           unit tests, fuzz smoke runs, mandoc lint and the
#                        bats system tests, then the same with ASan+UBSan
#   make fuzz            run every libFuzzer harness for FUZZ_SECONDS each
#   make bench           throughput/rate/RTT table (raw veth, kernel VXLAN, vnet)
#   make demo            the two-host overlay demo of the README
#   make install DESTDIR= PREFIX=

.DEFAULT_GOAL := all
NOCONF_GOALS := clean distclean help
ifneq ($(if $(MAKECMDGOALS),$(filter-out $(NOCONF_GOALS),$(MAKECMDGOALS)),all),)
include config.mk
endif

# A fresh clone needs no manual steps: install the Debian packages if they
# are missing, then configure.
config.mk: configure
	@sh contrib/install-deps
	./configure

SAN ?= $(if $(filter yes,$(SANITIZE)),1,)
B ?= $(if $(SAN),build-san,build)
ifeq ($(CI),true)
WERROR := yes
endif

CFLAGS ?= -O2 -g
REQ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wno-format-nonliteral -fstack-protector-strong -Ilib -Icmd -MMD -MP
ifeq ($(SAN),1)
REQ_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
REQ_LDFLAGS += -fsanitize=address,undefined
else
REQ_CFLAGS += -D_FORTIFY_SOURCE=2
endif
ifeq ($(WERROR),yes)
REQ_CFLAGS += -Werror
endif
ALL_CFLAGS = $(CONF_CFLAGS) $(CFLAGS) $(REQ_CFLAGS) $(MNL_CFLAGS) $(SODIUM_CFLAGS)
ALL_LDFLAGS = $(CONF_LDFLAGS) $(LDFLAGS) $(REQ_LDFLAGS) -Wl,--as-needed
SYS_LIBS = $(MNL_LIBS) $(PCAP_LIBS) $(SODIUM_LIBS)
LIBS = $(B)/libvnet.a $(SYS_LIBS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
PROGS := $(sort $(notdir $(wildcard cmd/vnet-*)))
# A C program is a folder with its main, cmd/PROG/PROG.c; engines may be
# there before it (their archive, tests and fuzzers build all the same).
C_PROGS := $(foreach p,$(PROGS),$(if $(wildcard cmd/$(p)/$(p).c),$(p)))
# A program's engines: every source of cmd/PROG/ but its main (PROG.c),
# built into $(B)/libPROG.a, which the program, the unit tests, the
# fuzzers and the benchmarks link (doc/HACKING).
engine_src = $(filter-out cmd/$(1)/$(1).c,$(sort $(wildcard cmd/$(1)/*.c)))
ENGINE_PROGS := $(foreach p,$(PROGS),$(if $(call engine_src,$(p)),$(p)))
ENGINE_SRC := $(foreach p,$(ENGINE_PROGS),$(call engine_src,$(p)))
ENGINE_LIBS := $(ENGINE_PROGS:%=$(B)/lib%.a)
SH_PROGS := $(foreach p,$(PROGS),$(if $(wildcard cmd/$(p)/$(p).sh),$(p)))
BINS := $(patsubst %,$(B)/bin/%,$(sort $(C_PROGS) $(SH_PROGS)))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/*.c))
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
MANS := $(sort $(wildcard man/*.[1-8]))

all: $(BINS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libvnet.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

define engine_lib
$(B)/lib$(1).a: $(patsubst %.c,$(B)/%.o,$(call engine_src,$(1)))
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach p,$(ENGINE_PROGS),$(eval $(call engine_lib,$(p))))

define c_prog
$(B)/bin/$(1): $(B)/cmd/$(1)/$(1).o $(if $(call engine_src,$(1)),$(B)/lib$(1).a) $(B)/libvnet.a
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(filter %.o %.a,$$^) $$(SYS_LIBS)
endef
$(foreach p,$(C_PROGS),$(eval $(call c_prog,$(p))))

# A script gets the one version of lib/vnet/tool.h for its @VERSION@, and
# lib/sh/log.sh in place of its "# @include lib/sh/log.sh" line.
VERSION := $(shell sed -n 's/^\#define VNET_VERSION "\(.*\)"$$/\1/p' lib/vnet/tool.h)
define sh_prog
$(B)/bin/$(1): cmd/$(1)/$(1).sh lib/vnet/tool.h lib/sh/log.sh
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  GEN     $$@")
	$$(Q)sed -e 's/@VERSION@/$$(VERSION)/' -e '/^# @include lib\/sh\/log.sh$$$$/{r lib/sh/log.sh' \
		-e 'd;}' $$< >$$@.tmp && chmod 755 $$@.tmp && mv $$@.tmp $$@
endef
$(foreach p,$(SH_PROGS),$(eval $(call sh_prog,$(p))))

$(B)/tests/%: $(B)/tests/unit/%.o $(ENGINE_LIBS) $(B)/libvnet.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(ENGINE_LIBS) $(LIBS)

# libFuzzer harnesses: clang, with their own (instrumented) build of the
# library, compiled once for all of them.
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Ilib -Icmd -MMD -MP \
	-fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(B)/fuzzlib/%.o) \
	$(ENGINE_SRC:%.c=$(B)/fuzzlib/%.o)
$(B)/fuzzlib/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC/FUZZ $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(B)/libvnet-fuzz.a: $(FUZZ_LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
$(B)/fuzz/%: $(B)/fuzzlib/tests/fuzz/%.o $(B)/libvnet-fuzz.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< \
		$(B)/libvnet-fuzz.a $(MNL_LIBS) $(PCAP_LIBS) $(SODIUM_LIBS)

# Micro-benchmarks: tests/bench/*.c, linked with the library.
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_BINS := $(BENCH_SRC:tests/bench/%.c=$(B)/bench/%)
$(B)/bench/%: $(B)/tests/bench/%.o $(ENGINE_LIBS) $(B)/libvnet.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(ENGINE_LIBS) $(LIBS)

units: $(UNIT_BINS)
fuzzers: $(FUZZ_BINS)

# The suite: this build, then (CHECK_SAN=1, the default) the same suite
# against an ASan+UBSan build in build-san/.  One closing line counts both.
CHECK_SAN ?= 1
FUZZ_SMOKE ?= 10
check: all units fuzzers
	@rm -f $(B)/check.counts
	@sh tests/run.sh --build $(B) --label plain \
		--fuzz-seconds $(FUZZ_SMOKE) --counts $(B)/check.counts || true
ifeq ($(CHECK_SAN),1)
ifneq ($(SAN),1)
	@$(MAKE) --no-print-directory SAN=1 all units
	@sh tests/run.sh --build build-san --label asan --no-fuzz --no-lint \
		--counts $(B)/check.counts || true
endif
endif
	@sh tests/summary.sh $(B)/check.counts

FUZZ_SECONDS ?= 300
fuzz: fuzzers
	@sh tests/run.sh --build $(B) --label fuzz --only-fuzz \
		--fuzz-seconds $(FUZZ_SECONDS) --counts $(B)/fuzz.counts || true
	@sh tests/summary.sh $(B)/fuzz.counts

# The overlay table (bench.sh), then every other tests/bench/*.sh.
bench: all $(BENCH_BINS)
	@bash tests/bench/bench.sh $(B)/bin
	@for s in $(filter-out tests/bench/bench.sh,$(sort $(wildcard tests/bench/*.sh))); do \
		bash $$s $(B) || exit 1; \
	done

demo: all
	@bash contrib/vnet-demo $(B)/bin

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	for m in $(MANS); do \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s; \
	done
	install -m 644 completions/bash/* \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 completions/zsh/_vnet \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%)
	for m in $(MANS); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
	done
	rm -f $(PROGS:%=$(DESTDIR)$(PREFIX)/share/bash-completion/completions/%)
	rm -f $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_vnet

clean:
	rm -rf build build-san

distclean: clean
	rm -f config.mk

help:
	@sed -n '2,12s/^# \{0,1\}//p' Makefile

.PHONY: all units fuzzers check fuzz bench demo install uninstall clean \
	distclean help
.DELETE_ON_ERROR:
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
