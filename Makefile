# SPDX-License-Identifier: GPL-2.0-only
# tunlane: multi-lane userspace WireGuard. Run "make V=1" for full commands.

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
RUNSTATEDIR ?= /var/run
CC ?= cc
PKG_CONFIG ?= pkg-config
BUILD ?= build

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	  -fno-strict-aliasing -D_GNU_SOURCE -fstack-protector-strong \
	  -D_FORTIFY_SOURCE=2 -fPIC -MMD -MP -Isrc
LDLIBS_CRYPTO ?= $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
LDLIBS_MNL ?= $(shell $(PKG_CONFIG) --libs libmnl 2>/dev/null || echo -lmnl)
LDLIBS += $(LDLIBS_CRYPTO) $(LDLIBS_MNL)

ifeq ($(V),1)
Q :=
else
Q := @
endif

MAINS := src/tunlaned.c src/tunlane.c
LIB_SRC := $(filter-out $(MAINS),$(wildcard src/*.c))
LIB_OBJ := $(patsubst src/%.c,$(BUILD)/%.o,$(LIB_SRC))
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BINS := $(BUILD)/tunlaned $(BUILD)/tunlane
TS_SRC := $(filter-out tunshare/libtunshare.c,$(wildcard tunshare/*.c))
TS_OBJ := $(patsubst tunshare/%.c,$(BUILD)/ts/%.o,$(TS_SRC))
TS_BINS := $(BUILD)/tunshare $(BUILD)/libtunshare.so

all: $(BINS)
all: $(TS_BINS)

$(BUILD)/%.o: src/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libtunlane.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

$(BUILD)/tunlaned $(BUILD)/tunlane: $(BUILD)/%: $(BUILD)/%.o $(BUILD)/libtunlane.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ts/%.o: tunshare/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -DTS_LIBDIR='"$(LIBDIR)"' -c -o $@ $<

$(BUILD)/tunshare: $(TS_OBJ) $(BUILD)/libtunlane.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libtunshare.so: tunshare/libtunshare.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -shared -fPIC $(LDFLAGS) -o $@ $< -ldl

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libtunlane.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

unit: $(TEST_BIN)

deps:
	$(Q)scripts/deps

check: deps all unit
	$(Q)tests/run

demo: deps all
	$(Q)scripts/demo

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(BINS) $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(LIBDIR)
	install -m 0755 $(BUILD)/tunshare $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(BUILD)/libtunshare.so $(DESTDIR)$(LIBDIR)/
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/

clean:
	rm -rf $(BUILD)

.PHONY: all unit deps check demo install clean
.SECONDARY:

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
-include $(wildcard $(BUILD)/ts/*.d)
