# SPDX-License-Identifier: GPL-2.0-only
# tunlane: multi-lane userspace WireGuard. Run "make V=1" for full commands.

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
LANE_USER ?= tunlane
RUNSTATEDIR ?= /var/run
CC ?= cc
CPPCHECK ?= cppcheck
PKG_CONFIG ?= pkg-config
BUILD ?= build

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
	  -fno-strict-aliasing -D_GNU_SOURCE -fstack-protector-strong \
	  -D_FORTIFY_SOURCE=2 -MMD -MP \
	  -DRUNSTATEDIR='"$(RUNSTATEDIR)"' -DSYSCONFDIR='"$(SYSCONFDIR)"'
ifeq ($(WERROR),1)
CFLAGS += -Werror
endif
LDLIBS_CRYPTO ?= $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
LDLIBS_MNL ?= $(shell $(PKG_CONFIG) --libs libmnl 2>/dev/null || echo -lmnl)
LDLIBS_SYSTEMD ?= $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null || echo -lsystemd)
LDLIBS_BPF ?= $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf)
LDLIBS += $(LDLIBS_CRYPTO) $(LDLIBS_MNL) $(LDLIBS_BPF)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Layers, lowest first (docs/design.md section 7, "Source layout"). Each folder sees
# only its own headers and those of the layers below it, so an include
# that points upwards is a compile error.
INC_lib     := -Isrc/lib
INC_offload := $(INC_lib) -Isrc/offload
INC_wg      := $(INC_offload) -Isrc/wg
INC_daemon  := $(INC_wg) -Isrc/daemon -Isrc/daemon/bpf
INC_cli     := $(INC_lib) -Isrc/cli
INC_ts      := $(INC_lib) -Itunshare
LAYERS := lib offload wg daemon cli

MAINS := src/daemon/tunlaned.c src/cli/tunlane.c
objs = $(patsubst src/%.c,$(BUILD)/%.o,$(filter-out $(MAINS),$(wildcard src/$(1)/*.c)))
ARCHIVES := $(foreach l,lib offload wg daemon cli,$(BUILD)/lib$(l).a)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BINS := $(BUILD)/tunlaned $(BUILD)/tunlane
TS_SRC := $(filter-out tunshare/libtunshare.c,$(wildcard tunshare/*.c))
TS_OBJ := $(patsubst tunshare/%.c,$(BUILD)/ts/%.o,$(TS_SRC))
TS_BINS := $(BUILD)/tunshare $(BUILD)/libtunshare.so

all: $(BINS)
all: $(TS_BINS)

define layer_rules
$(BUILD)/$(1)/%.o: src/$(1)/%.c
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC      $$@")
	$$(Q)$$(CC) $$(CFLAGS) $$(INC_$(1)) -c -o $$@ $$<

$(BUILD)/lib$(1).a: $(call objs,$(1))
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_rules,$(l))))

# tunlaned's BPF programs (src/daemon/bpf, BPF_CC and BPF_CFLAGS below) are
# linked into libdaemon.a as bytes (.incbin), so no file is needed at run
# time and the generic loader (src/lib/ebpf.c) opens them from memory.
BPF_SRC := $(wildcard src/daemon/bpf/*.bpf.c)
BPF_OBJ := $(patsubst src/daemon/bpf/%.c,$(BUILD)/bpf/%.o,$(BPF_SRC))

$(BUILD)/bpf/%.bpf.o: src/daemon/bpf/%.bpf.c src/daemon/bpf/lanes_bpf.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $@")
	$(Q)$(BPF_CC) $(BPF_CFLAGS) -Isrc/daemon/bpf -c -o $@ $<

$(BUILD)/bpf/embed.o: $(BPF_OBJ)
	@$(if $(Q),echo "  EMBED   $@")
	$(Q)for o in $(BPF_OBJ); do n=$$(basename $$o .bpf.o); \
		printf '\t.section .rodata\n\t.balign 8\n\t.globl tl_bpf_%s_start\ntl_bpf_%s_start:\n\t.incbin "%s"\n\t.globl tl_bpf_%s_end\ntl_bpf_%s_end:\n' $$n $$n $$o $$n $$n; \
	done > $(BUILD)/bpf/embed.S && \
	printf '\t.section .note.GNU-stack,"",@progbits\n' >> $(BUILD)/bpf/embed.S && \
	$(CC) -c -o $@ $(BUILD)/bpf/embed.S

$(BUILD)/libdaemon.a: $(BUILD)/bpf/embed.o

$(BUILD)/tunlaned: $(BUILD)/daemon/tunlaned.o $(BUILD)/libdaemon.a \
		   $(BUILD)/libwg.a $(BUILD)/liboffload.a $(BUILD)/liblib.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(LDLIBS_SYSTEMD)

$(BUILD)/tunlane: $(BUILD)/cli/tunlane.o $(BUILD)/libcli.a $(BUILD)/liblib.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ts/%.o: tunshare/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(INC_ts) -I$(BUILD)/ts -Itunshare/bpf -DTS_LIBDIR='"$(LIBDIR)"' -c -o $@ $<

# BPF programs: compiled for the BPF target and embedded in the binary as a
# libbpf skeleton, so nothing is loaded from a file at run time. v3: the
# steering programs use atomic fetch-and-add (kernel >= 5.12).
BPF_CC ?= clang
BPF_CFLAGS ?= -O2 -g -Wall -target bpf -mcpu=v3 \
	      -I/usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)
BPFTOOL ?= bpftool

$(BUILD)/ts/%.bpf.o: tunshare/bpf/%.bpf.c tunshare/bpf/ts_bpf_maps.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $@")
	$(Q)$(BPF_CC) $(BPF_CFLAGS) -Itunshare/bpf -c -o $@ $<

$(BUILD)/ts/%.skel.h: $(BUILD)/ts/%.bpf.o
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

$(BUILD)/ts/ts_server.o: $(BUILD)/ts/ts_server.skel.h

$(BUILD)/tunshare: $(TS_OBJ) $(BUILD)/liblib.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_BPF) $(LDLIBS)

$(BUILD)/libtunshare.so: tunshare/libtunshare.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -shared -fPIC $(LDFLAGS) -o $@ $< -ldl

# Unit tests see every layer: they test each from the outside.
$(BUILD)/tests/%: tests/unit/%.c $(ARCHIVES)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(INC_daemon) -Isrc/cli -Itests/unit $(LDFLAGS) -o $@ $< \
		$(BUILD)/libdaemon.a $(BUILD)/libcli.a $(BUILD)/libwg.a \
		$(BUILD)/liboffload.a $(BUILD)/liblib.a -lcmocka $(LDLIBS) $(LDLIBS_SYSTEMD)

# tunshare's pure parts, outside the layers.
TS_UNIT_OBJ := $(addprefix $(BUILD)/ts/,ts_pool.o ts_clients.o ts_subst.o)
$(BUILD)/tests/test_tunshare: tests/unit/test_tunshare.c $(TS_UNIT_OBJ) $(BUILD)/liblib.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(INC_ts) -Itests/unit $(LDFLAGS) -o $@ $< \
		$(filter %.o,$^) $(BUILD)/liblib.a -lcmocka $(LDLIBS)

unit: $(TEST_BIN)

# Static analysis of every C file; any finding fails the target. Left out,
# as style rather than defects: variableScope (this code declares at the
# top of a function) and constParameter (a parameter's const-ness is part
# of its API). Any other suppression is justified where it applies, as
# "// cppcheck-suppress ID" with the reason. The eBPF programs (*.bpf.c)
# are left to clang -target bpf and the kernel's verifier: cppcheck does
# not know their SEC() and helper macros.
analyze: deps
	$(Q)$(CPPCHECK) -q -j2 --std=c11 --error-exitcode=1 --inline-suppr \
		--enable=warning,style,performance,portability \
		--suppress=variableScope --suppress=constParameter \
		-D_GNU_SOURCE -DRUNSTATEDIR='"$(RUNSTATEDIR)"' \
		-DSYSCONFDIR='"$(SYSCONFDIR)"' -DTS_LIBDIR='"$(LIBDIR)"' \
		'-DLIBBPF_OPTS(TYPE,NAME,...)=struct TYPE NAME = { __VA_ARGS__ }' \
		-i src/daemon/bpf -i tunshare/bpf \
		$(INC_daemon) -Isrc/cli -Itunshare src tunshare

# Benchmarks (bench/README.md): built on request, never run by make check.
$(BUILD)/bench/forged-init: bench/forged-init.c $(BUILD)/libwg.a \
			    $(BUILD)/liboffload.a $(BUILD)/liblib.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(INC_wg) $(LDFLAGS) -o $@ $< $(BUILD)/libwg.a \
		$(BUILD)/liboffload.a $(BUILD)/liblib.a $(LDLIBS)

bench-forged: $(BUILD)/bench/forged-init

# ChaCha20-Poly1305 per packet through OpenSSL's EVP (bench/README.md).
$(BUILD)/bench/crypto_bench: bench/crypto_bench.c $(BUILD)/liblib.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(INC_lib) $(LDFLAGS) -o $@ $< $(BUILD)/liblib.a $(LDLIBS)

# TCP coalescing per segment, checksums computed or trusted (bench/README.md).
$(BUILD)/bench/gro_bench: bench/gro_bench.c $(BUILD)/liboffload.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(INC_offload) $(LDFLAGS) -o $@ $< $(BUILD)/liboffload.a

bench: $(BUILD)/bench/crypto_bench $(BUILD)/bench/gro_bench

deps:
	$(Q)scripts/deps

check: deps all unit san
	$(Q)SAN_BUILD=$(SAN_BUILD) tests/run

demo: deps all
	$(Q)scripts/demo

# The lanes' system user and /etc/tunlane are created only on a real
# install (no DESTDIR): a staged install (packaging) does that in postinst.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(BINS) $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(LIBDIR)
	install -m 0755 $(BUILD)/tunshare $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(BUILD)/libtunshare.so $(DESTDIR)$(LIBDIR)/
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/|$(SBINDIR)/|g' systemd/tunlane@.service \
		>$(DESTDIR)$(UNITDIR)/tunlane@.service
	install -m 0644 systemd/tunlane.target $(DESTDIR)$(UNITDIR)/
	sed 's|/usr/sbin/|$(SBINDIR)/|g' systemd/tunlane-metrics.service \
		>$(DESTDIR)$(UNITDIR)/tunlane-metrics.service
	install -d $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 completion/tunlane.bash $(DESTDIR)$(COMPLETIONDIR)/tunlane
	ln -sf tunlane $(DESTDIR)$(COMPLETIONDIR)/tunlaned
	ln -sf tunlane $(DESTDIR)$(COMPLETIONDIR)/tunshare
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/tunlane
ifeq ($(DESTDIR),)
	chmod 0700 $(SYSCONFDIR)/tunlane
	id -u $(LANE_USER) >/dev/null 2>&1 || useradd --system --no-create-home \
		--home-dir /nonexistent --shell /usr/sbin/nologin $(LANE_USER)
	-[ -d /run/systemd/system ] && systemctl daemon-reload
endif

# Leaves /etc/tunlane (your configurations) and the $(LANE_USER) user.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,tunlaned tunlane tunshare)
	rm -f $(DESTDIR)$(LIBDIR)/libtunshare.so
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard man/*.8)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,tunlane@.service tunlane.target tunlane-metrics.service)
	rm -f $(addprefix $(DESTDIR)$(COMPLETIONDIR)/,tunlane tunlaned tunshare)

# The Debian package, built from a copy of the tree in $(BUILD)/deb so the
# source tree stays clean; the .deb lands in $(BUILD)/deb.
DEB_DIR := $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/tunlane
	tar --exclude=./$(BUILD) --exclude=./.git --exclude=./build -cf - . | \
		tar -C $(DEB_DIR)/tunlane -xf -
	# (Without our variables: the package's own "make clean" must not
	# see a BUILD= given here, which would name this tree's build.)
	cd $(DEB_DIR)/tunlane && env -u BUILD -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		DEB_BUILD_OPTIONS="parallel=$$(nproc) $$DEB_BUILD_OPTIONS" \
		dpkg-buildpackage -b -us -uc
	@ls $(DEB_DIR)/tunlane_*.deb

clean:
	rm -rf $(BUILD)

.PHONY: all unit bench deps check analyze demo install uninstall deb clean bench-forged
.SECONDARY:

-include $(wildcard $(foreach l,$(LAYERS),$(BUILD)/$(l)/*.d) $(BUILD)/tests/*.d $(BUILD)/bench/*.d)
-include $(wildcard $(BUILD)/ts/*.d)

# --- Sanitizers and fuzzing ------------------------------------------------
# One clang build with ASan and UBSan and libFuzzer's coverage
# instrumentation, in $(SAN_BUILD), serves both the unit tests under the
# sanitizers and the libFuzzer harnesses of tests/fuzz. It is this same
# Makefile run again with another BUILD; SAN_CFLAGS reaches every compile
# and link there. tests/run runs what it finds in $(SAN_BUILD): `make check`
# a few seconds per harness, `make fuzz` FUZZ_TIME seconds each, on a copy
# of tests/fuzz/corpus in $(SAN_BUILD)/fuzz-corpus (the repository is never
# written to).
SAN_BUILD ?= $(BUILD)/san
SAN_CC ?= clang
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	     -fno-sanitize-recover=all -fsanitize=fuzzer-no-link
FUZZ_TIME ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
ifneq ($(SAN_CFLAGS),)
override CFLAGS += $(SAN_CFLAGS)
endif

$(BUILD)/fuzz/%: tests/fuzz/%.c $(ARCHIVES)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer $(INC_daemon) -Isrc/cli -Itests/fuzz \
		$(LDFLAGS) -o $@ $< $(BUILD)/libdaemon.a $(BUILD)/libcli.a \
		$(BUILD)/libwg.a $(BUILD)/liboffload.a $(BUILD)/liblib.a $(LDLIBS) $(LDLIBS_SYSTEMD)

fuzz-bins: $(FUZZ_BIN)

san:
	$(Q)$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CC=$(SAN_CC) \
		SAN_CFLAGS="$(SAN_FLAGS)" unit fuzz-bins

fuzz: san
	$(Q)SAN_BUILD=$(SAN_BUILD) FUZZ_TIME=$(FUZZ_TIME) TESTS='^fuzz/' tests/run

fuzz-corpus:
	$(Q)tests/fuzz/make-corpus

# Coverage the corpora reach, from a build with clang's source-based
# coverage instead of the sanitizers (needs llvm-cov; not part of check).
fuzz-coverage:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/cov CC=$(SAN_CC) \
		SAN_CFLAGS="-O0 -g -fprofile-instr-generate -fcoverage-mapping -fsanitize=fuzzer-no-link" \
		fuzz-bins
	$(Q)tests/fuzz/coverage $(BUILD)/cov $(SAN_BUILD)/fuzz-corpus

.PHONY: san fuzz fuzz-bins fuzz-corpus fuzz-coverage
-include $(wildcard $(BUILD)/fuzz/*.d)
