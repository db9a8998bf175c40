# crossdock — build, test, bench, install.
#
#   make            build ./crossdock
#   make demo       install dependencies, build, run one batch on inbox/
#   make test       install dependencies, build, run every test
#   make bench      benchmarks (name=value lines; not a test)
#   make mutants    break the code on purpose (tests/mutants/*.patch) and
#                   check that the tests catch every breakage; not part
#                   of `make test` (mutants-quick: a fixed subset, as CI runs it)
#   make install    PREFIX=/usr/local DESTDIR=
#   make SAN=1 ...  the same with AddressSanitizer + UBSan (build-san/)

PREFIX	?= /usr/local
BINDIR	 = $(PREFIX)/bin
SHAREDIR = $(PREFIX)/share/crossdock
SYSCONFDIR ?= $(PREFIX)/etc/crossdock

CC	?= cc
PKGS	 = libxml-2.0 sqlite3 libcrypto libssh2
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wformat=2
CPPFLAGS += -D_GNU_SOURCE -DCROSSDOCK_VERSION='"$(VERSION)"' \
	   -DCROSSDOCK_SYSCONFDIR='"$(SYSCONFDIR)"' \
	   -DCROSSDOCK_SHAREDIR='"$(SHAREDIR)"'
VERSION	 = 0.1.0

ifeq ($(SAN),1)
BUILD	?= build-san
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
else
BUILD	?= build
endif

# pkg-config is asked only when building, so `make clean` works on a
# machine without the libraries.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS	+= $(PKG_LIBS) -lcsv -lm

SRCS	:= $(sort $(shell find src -name '*.c'))
OBJS	:= $(SRCS:%.c=$(BUILD)/%.o)
LIBOBJS	:= $(filter-out $(BUILD)/src/main.o,$(OBJS))
UNITS	:= $(sort $(wildcard tests/unit/test_*.c))
UNITBINS := $(UNITS:tests/unit/%.c=$(BUILD)/tests/%)
BIN	 = $(BUILD)/crossdock
# the tests' LD_PRELOAD fault injector (t_faults.sh)
FAULTLIB = $(BUILD)/tests/fault.so

.PHONY: all deps demo test unit e2e bench mutants mutants-quick install clean

all: $(BIN) crossdock $(FAULTLIB)

crossdock: $(BIN)
	@ln -sf $(BIN) crossdock

$(BIN): $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) -Isrc $(CFLAGS) $(WARN) -o $@ $< \
	    $(LIBOBJS) $(LDFLAGS) $(LDLIBS) -lcmocka

$(FAULTLIB): tests/fault/fault.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -shared $(LDFLAGS) -o $@ $< -ldl

deps:
	@sh scripts/deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

test: deps
	@$(MAKE) --no-print-directory all $(UNITBINS)
	@sh tests/run.sh $(BUILD)

unit: all $(UNITBINS)
	@sh tests/run.sh $(BUILD) unit

e2e: all
	@sh tests/run.sh $(BUILD) e2e

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh $(BUILD)

mutants: deps
	@sh tests/mutants/run.sh

mutants-quick: deps
	@MUTANTS_QUICK=1 sh tests/mutants/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/mappings \
	    $(DESTDIR)$(SYSCONFDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/crossdock
	install -m 644 mappings/*.xml mappings/*.rng \
	    $(DESTDIR)$(SHAREDIR)/mappings/
	install -d $(DESTDIR)$(SHAREDIR)/mappings/out \
	    $(DESTDIR)$(SYSCONFDIR)/calendars $(DESTDIR)$(SYSCONFDIR)/catalog
	install -m 644 mappings/out/*.xml mappings/out/*.rng \
	    $(DESTDIR)$(SHAREDIR)/mappings/out/
	install -m 644 etc/calendars/*.cal $(DESTDIR)$(SYSCONFDIR)/calendars/
	install -m 644 etc/catalog/*.cat $(DESTDIR)$(SYSCONFDIR)/catalog/
	install -m 644 etc/crossdock.conf $(DESTDIR)$(SYSCONFDIR)/crossdock.conf.example
	install -d $(DESTDIR)$(SHAREDIR)/systemd
	install -m 644 etc/crossdock.service etc/crossdock-once.service \
	    etc/crossdock-once.timer $(DESTDIR)$(SHAREDIR)/systemd/

clean:
	rm -rf build build-san crossdock

-include $(OBJS:.o=.d)
