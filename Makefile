# wadm-c: the wasmCloud Application Deployment Manager in C.
#
#   make              build build/wadm (+ wadm-worker), build/wadmctl,
#                     build/hostsim
#   make run          install missing packages (root), build, run wadm
#   make test         install missing packages (root), build, run every test
#   make check-asan   the whole suite under ASan+UBSan (build-asan/)
#   make valgrind     the unit suite under valgrind
#   make fuzz         every libFuzzer target for FUZZ_SECONDS each (clang)
#   make bench        the benchmarks, printing their figures
#   make demo         a scripted deploy on simulated hosts
#   make chaos        3 wadm instances on a 3-node NATS cluster, processes
#                     killed at random for CHAOS_SECONDS (default 120),
#                     then convergence checks (test/chaos/chaos.c)
#
# Flags come from pkg-config; libev has no .pc file on Debian.

BUILD ?= build
CC ?= cc
SAN ?=
FUZZ_SECONDS ?= 12
CHAOS_SECONDS ?= 120
ARGS ?=

# libcrypto, which libnats loads anyway: common/nc.c gives OpenSSL's
# generator getrandom(2) (a 2 MB start-up saved per NATS process), and
# its ed25519 signs the nkeys and JWTs of test/lib/test_jwt.c.
PKGS := libnats msgpack libcjson yaml-0.1 libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev -lpthread -lm
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
TEST_LIBS := $(CHECK_LIBS)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -I. -MMD -MP \
	$(PKG_CFLAGS)
ALL_LDFLAGS := $(LDFLAGS)
ifeq ($(SAN),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
ALL_LDFLAGS += -fsanitize=address,undefined
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
ALL_CFLAGS += -DWADM_VERSION=\"$(VERSION)\"

# Sources by layer (STYLE.md section 1). Every .c that is not a main()
# goes into libwadm.a; the linker pulls in only what each binary needs.
LIB_SRC := $(wildcard common/*.c common/manifest/*.c proto/*.c workers/*.c \
	supervisor/*.c workers/*/*.c)
CTL_SRC := $(wildcard cmd/ctl_*.c)
HOSTSIM_SRC := $(wildcard test/hostsim/*.c)
TESTLIB_SRC := $(wildcard test/lib/*.c)
UNIT_SRC := $(filter-out test/check_main.c,$(wildcard test/check_*.c))
IT_SRC := $(wildcard test/integration/check_*.c)
BENCH_SRC := $(wildcard test/bench/bench_*.c)
FUZZ_SRC := $(wildcard test/fuzz/fuzz_*.c)
CHAOS_SRC := $(wildcard test/chaos/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_OBJ := $(call obj,$(LIB_SRC))
LIB := $(BUILD)/libwadm.a
WADM := $(BUILD)/wadm
WORKER := $(BUILD)/wadm-worker
WADMCTL := $(BUILD)/wadmctl
HOSTSIM := $(BUILD)/hostsim
CHECK_UNIT := $(BUILD)/check_unit
CHECK_IT := $(BUILD)/check_integration
BENCHES := $(patsubst test/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
CHAOS := $(BUILD)/chaos

BINS := $(WADM) $(WORKER)
ifneq ($(wildcard cmd/wadmctl.c),)
BINS += $(WADMCTL)
endif
ifneq ($(HOSTSIM_SRC),)
BINS += $(HOSTSIM)
endif

.PHONY: all deps run test test-run check-asan valgrind fuzz bench demo \
	chaos clean FORCE
.DEFAULT_GOAL := all

all: $(BINS)

deps:
	@deploy/debian-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	exec $(WADM) $(ARGS)

test: deps
	@$(MAKE) --no-print-directory test-run

# Runs both runners even when the first fails, then fails if either did.
test-run: $(BINS) $(CHECK_UNIT) $(CHECK_IT)
	@export WADM_BIN=$(abspath $(WADM)) WADMCTL_BIN=$(abspath $(WADMCTL)) \
	  HOSTSIM_BIN=$(abspath $(HOSTSIM)) \
	  WADM_FIXTURES=$(abspath ../shared/fixtures); \
	rc=0; \
	echo "== unit tests"; $(CHECK_UNIT) || rc=1; \
	echo "== integration tests"; $(CHECK_IT) || rc=1; \
	exit $$rc

check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 CFLAGS="-O1 -g" \
	  test-run

valgrind: deps
	@$(MAKE) --no-print-directory BUILD=build-vg CFLAGS="-O1 -g" \
	  build-vg/check_unit build-vg/wadmctl
	CK_FORK=no WADM_FIXTURES=$(abspath ../shared/fixtures) \
	  WADMCTL_BIN=$(abspath build-vg/wadmctl) \
	  valgrind --error-exitcode=1 --leak-check=full \
	  --errors-for-leak-kinds=definite,indirect --track-fds=no \
	  build-vg/check_unit

fuzz: deps
	@test/fuzz/run.sh $(FUZZ_SECONDS)

bench: deps
	@$(MAKE) --no-print-directory all $(BENCHES)
	@test/bench/run.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	@test/demo.sh $(BUILD)

# CHAOS_SEED repeats a run's choices; CHAOS_KINDS picks what is killed.
chaos: deps
	@$(MAKE) --no-print-directory all $(CHAOS)
	@WADM_BIN=$(abspath $(WADM)) HOSTSIM_BIN=$(abspath $(HOSTSIM)) \
	  CHAOS_SECONDS=$(CHAOS_SECONDS) $(CHAOS)

clean:
	rm -rf build build-asan build-vg build-fuzz

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The supervisor image links no NATS code (DESIGN.md section 2).
$(WADM): $(call obj,cmd/wadm.c) $(LIB)
	$(CC) $(ALL_LDFLAGS) -Wl,--as-needed -o $@ $^ $(PKG_LIBS)

$(WORKER): $(call obj,cmd/wadm_worker.c) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(WADMCTL): $(call obj,cmd/wadmctl.c $(CTL_SRC)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(HOSTSIM): $(call obj,$(HOSTSIM_SRC)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Each runner's suite list is generated from the file names:
# test/check_foo.c exports foo_suite(), test/integration/check_bar.c
# exports bar_suite().
# Written every time, replaced only when the list changed: a deleted
# suite file must drop out of the list, which no prerequisite can tell.
$(BUILD)/gen/unit/suites.gen.h: FORCE
	@mkdir -p $(dir $@)
	@for f in $(UNIT_SRC); do n=$$(basename $$f .c); \
	  echo "SUITE($${n#check_})"; done > $@.tmp && \
	  { cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }

$(BUILD)/gen/it/suites.gen.h: FORCE
	@mkdir -p $(dir $@)
	@for f in $(IT_SRC); do n=$$(basename $$f .c); \
	  echo "SUITE($${n#check_})"; done > $@.tmp && \
	  { cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }

FORCE:

$(BUILD)/obj/check_main_unit.o: test/check_main.c $(BUILD)/gen/unit/suites.gen.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I$(BUILD)/gen/unit -c $< -o $@

$(BUILD)/obj/check_main_it.o: test/check_main.c $(BUILD)/gen/it/suites.gen.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I$(BUILD)/gen/it -c $< -o $@

$(CHECK_UNIT): $(BUILD)/obj/check_main_unit.o \
	$(call obj,$(UNIT_SRC) $(TESTLIB_SRC)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

$(CHECK_IT): $(BUILD)/obj/check_main_it.o \
	$(call obj,$(IT_SRC) $(TESTLIB_SRC)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

$(BUILD)/bench/%: $(BUILD)/obj/test/bench/%.o $(call obj,$(TESTLIB_SRC)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

$(CHAOS): $(call obj,$(CHAOS_SRC) $(TESTLIB_SRC)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
