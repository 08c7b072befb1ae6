# DreamMaker — one non-recursive Makefile.
#
#   make            build libraries, tools and agents into build/
#   make run        install missing packages, build, run the main job
#   make test       install missing packages, check the layering, build,
#                   run every test (plain, then ASan+UBSan, then the ring
#                   under TSan)
#   make layering   fail on an #include that breaks the layers' rules
#   make analyze    cppcheck and gcc -fanalyzer over every C file, clean
#                   or it fails (docs/testing.md)
#   make bench      run the benchmarks and print one table
#   make bench-smoke every benchmark on a small input, a line each (make
#                   test runs it: a benchmark that no longer runs fails)
#   make model      train the default meta-model (build/model/default.json)
#                   from the bundled synthetic market when it is missing
#                   or has no training record (an older file)
#   make deps       install the Debian packages the build needs
#   make deps-slurm install slurm-wlm and munge (optional: cluster sweeps,
#                   and the Slurm test that make test runs)
#   make test-slurm the sweep executor on a one-node Slurm cluster on
#                   localhost (tests/slurm/run)
#   make soak       chaos at scale: kill -9 of every agent (and the fault
#                   points), SIGSTOP of each voter, the supervisor's death
#                   and a full disk during a replay, at a slow and a fast
#                   pace, then dm-audit of the journals and the venue
#                   (tests/soak/soak; several minutes)
#   make soak-smoke a short run of it (18 kills, under a minute)
#   make SAN=address,undefined ...   sanitizer build under build/san-address-undefined
#   make SAN=thread ...              ThreadSanitizer build under build/san-thread
#   make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="mt5 neg ..."]
#                   build the libFuzzer targets (clang, build/fuzz) and run
#                   each N seconds (default 60); one table at the end
#   make fuzz-smoke replay the regression corpora (tests/fuzz/regress) and
#                   run each target a few seconds (docs/fuzzing.md)
#   make deps-fuzz  install clang and its libFuzzer runtime
#   make mt5-gen    write the files generated from the MetaTrader 5 bridge's
#                   message description (libcore/mt5/mt5_msgs.def): the
#                   EA's tools/mt5/DreamMakerBridge_msgs.mqh and the tables
#                   of docs/mt5-bridge.md (test_mt5 checks they are fresh)
#   make install [PREFIX=/usr/local] [DESTDIR=]
#                   the programs, dmctl, the configuration (an edited site
#                   file is never replaced), the model, manual pages,
#                   docs, the systemd service (tools/deploy/install)
#   make uninstall  remove what install wrote (its install-manifest)
#   make deb        a Debian package in build/deb (tools/deploy/mkdeb)
#   make deps-deploy install what tests/unit/test_install.c uses: lintian
#                   (the package's check), man-db (man -l), systemd
#                   (systemd-analyze verify, systemd-notify)

SHELL := /bin/bash
comma := ,
CC    ?= cc
SAN   ?=

ifeq ($(SAN),)
BUILD    := build
SANFLAGS :=
MALLOC   := -Wl,--no-as-needed -ljemalloc -Wl,--as-needed
else
BUILD    := build/san-$(subst $(comma),-,$(SAN))
SANFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
# TSan does not model stand-alone fences (the doorbell's Dekker fences);
# gcc warns about each one.  The doorbell tests check the protocol itself.
ifneq ($(findstring thread,$(SAN)),)
SANFLAGS += -Wno-tsan
endif
# The sanitizers bring their own allocator; jemalloc would hide its reports.
MALLOC   :=
endif

CPPFLAGS := -I. -D_GNU_SOURCE -MMD -MP
CFLAGS   := -std=c11 -O2 -g -Wall -Wextra -Werror -pthread $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS  := -pthread -Wl,--as-needed $(SANFLAGS)
LDLIBS   := $(MALLOC) -lxgboost -lyaml -luring -ljansson -lz -lm -lrt

# ---------------------------------------------------------------- sources
SHM_SRC   := $(wildcard shm/*.c)
CORE_SRC  := $(shell find libcore -name '*.c' | sort)
TOOL_SRC  := $(wildcard tools/*.c)
TLIB_SRC  := $(wildcard tools/lib/*.c)
AGENT_SRC := $(wildcard agents/*.c)
RT_SRC    := $(wildcard agents/rt/*.c)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
TESTLIB_SRC := $(wildcard tests/helpers.c tests/proc_helpers.c tests/cdp.c)
# what the benchmarks share with the tests: no Criterion (tests/proc_helpers.h)
BENCHLIB_SRC := tests/proc_helpers.c

SHM_LIB  := $(BUILD)/lib/libdm_shm.a
CORE_LIB := $(BUILD)/lib/libdm_core.a
RT_LIB   := $(BUILD)/lib/libdm_rt.a
VIEW_LIB := $(BUILD)/lib/libdm_view.a
# what tools share that is no part of the trading system (tools/lib/: the
# sweep executor); every tool and every test links it
TLIB_LIB := $(BUILD)/lib/libdm_tools.a
# what tools may know of the agents (agents/rt/view.h): the segment's shape
# and the readout of the agents' state, without the runtime
VIEW_SRC := agents/rt/topology.c agents/rt/dump.c agents/rt/metrics.c agents/rt/control.c

TOOLS  := $(patsubst tools/%.c,$(BUILD)/bin/dm-%,$(TOOL_SRC))
AGENTS := $(patsubst agents/%.c,$(BUILD)/bin/dm-agent-%,$(AGENT_SRC))
UNITS  := $(patsubst tests/unit/test_%.c,$(BUILD)/tests/test_%,$(UNIT_SRC))
BENCHES := $(patsubst tests/bench/bench_%.c,$(BUILD)/bench/bench_%,$(BENCH_SRC))

NPROC := $(shell nproc 2>/dev/null || echo 2)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.PHONY: test-background-builds mt5-gen deps-promtool soak soak-smoke all run test bench bench-smoke deps deps-slurm deps-fuzz fuzz fuzz-smoke fuzz-build test-slurm clean standalone layering layering-check check-unit check-san check-tsan tests benches model analyze analyze-cppcheck analyze-gcc analyze-gcc-logs install uninstall deb deps-deploy
.DEFAULT_GOAL := all
# keep objects that pattern rules consider intermediate
.SECONDARY:

all: $(TOOLS) $(AGENTS)
tests: $(UNITS)
benches: $(BENCHES)

# ---------------------------------------------------------------- rules
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(SHM_LIB): $(call obj,$(SHM_SRC))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(CORE_LIB): $(call obj,$(CORE_SRC))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# agent runtime: the glue between libcore and shm, shared by agents and tools
$(RT_LIB): $(call obj,$(RT_SRC))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(VIEW_LIB): $(call obj,$(VIEW_SRC))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(TLIB_LIB): $(call obj,$(TLIB_SRC))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/bin/dm-%: $(BUILD)/obj/tools/%.o $(TLIB_LIB) $(VIEW_LIB) $(CORE_LIB) $(SHM_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# the exporter's HTTP server (docs/observability.md)
$(BUILD)/bin/dm-exporter: LDLIBS += -lmicrohttpd

$(BUILD)/bin/dm-agent-%: $(BUILD)/obj/agents/%.o $(RT_LIB) $(CORE_LIB) $(SHM_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(call obj,$(TESTLIB_SRC)) $(TLIB_LIB) $(RT_LIB) $(CORE_LIB) $(SHM_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ -lcriterion $(LDLIBS) -o $@

$(BUILD)/bench/bench_%: $(BUILD)/obj/tests/bench/bench_%.o $(call obj,$(BENCHLIB_SRC)) $(RT_LIB) $(CORE_LIB) $(SHM_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---------------------------------------------------------------- commands
# The MetaTrader 5 bridge's generated files, from the one description of
# its messages (docs/mt5-bridge.md); both are committed.
mt5-gen: $(BUILD)/bin/dm-mt5
	$(BUILD)/bin/dm-mt5 gen-mqh -o tools/mt5/DreamMakerBridge_msgs.mqh
	$(BUILD)/bin/dm-mt5 gen-doc --update docs/mt5-bridge.md

# Installs only what is missing; apt-get update first because a fresh
# machine has no package lists.
# python3: tests/study/check.py, the independent computation test_study
# compares dm-study with (standard library only); chromium: the headless
# browser test_report_browser renders dm-report's pages in; strace: slows
# one agent's system calls in test_run's lockstep parity (README,
# Dependencies)
DEB_PKGS := build-essential pkg-config liburing-dev libyaml-dev libxgboost-dev \
            libcriterion-dev libjemalloc-dev libjansson-dev zlib1g-dev cppcheck \
            libmicrohttpd-dev tmux python3 python3-numpy chromium strace
deps:
	@tools/install-deps $(DEB_PKGS)

# promtool, with which test_exporter checks /metrics as Prometheus parses
# it, is unpacked from Debian's prometheus package into build/deps, not
# installed: the package is the Prometheus server, which installing would
# start on every interface of a machine that runs systemd.
PROMTOOL := build/deps/prometheus/usr/bin/promtool
deps-promtool:
	@tools/fetch-deb prometheus build/deps/prometheus usr/bin/promtool

# Slurm and MUNGE are optional: only sweeps on a cluster need them
# (docs/research.md), and the test that runs the executor on a one-node
# cluster on localhost (tests/slurm/).
SLURM_PKGS := slurm-wlm munge
deps-slurm:
	@tools/install-deps $(SLURM_PKGS)

# The executor's tests with a cluster: tests/slurm/run starts one
# (cluster-up), runs build/tests/test_executor against it, stops it.
# deps-slurm after deps, never beside it: one apt-get at a time.
test-slurm: deps
	@$(MAKE) --no-print-directory deps-slurm
	@$(MAKE) --no-print-directory -j$(NPROC) $(BUILD)/tests/test_executor
	@tests/slurm/run $(BUILD)

# The live strategy's meta-model: trained here, never committed
# (tools/make-model: dm-gen -> dm-features -> dm-label -> dm-train).
MODEL := build/model/default.json
model: all
	@{ [[ -f $(MODEL) ]] && grep -q "\"dm_target\"" $(MODEL); } || tools/make-model $(MODEL)

# make run DATA=FILE [FORMAT=F TICK=T LOT=Q SYMBOL=S UTC_OFFSET=MIN CONF=FILE]:
# paper trading on FILE with its instrument's configuration (tools/dmctl run)
RUN_ARGS = $(if $(CONF),-c "$(CONF)") run $(if $(DATA),--input "$(DATA)") \
           $(if $(FORMAT),--format "$(FORMAT)") $(if $(TICK),--tick "$(TICK)") \
           $(if $(LOT),--lot "$(LOT)") $(if $(SYMBOL),--symbol "$(SYMBOL)") \
           $(if $(UTC_OFFSET),--utc-offset "$(UTC_OFFSET)")
run: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@$(MAKE) --no-print-directory model
	@tools/dmctl $(strip $(RUN_ARGS))

# ---------------------------------------------------------------- installing
# make install PREFIX=/usr/local DESTDIR=: tools/deploy/install copies
# every $(BUILD)/bin/dm-* it finds (a program added later is installed
# too), dmctl, the shipped conf/ and the model under
# $(DATADIR)/dreammaker, the site files under $(SYSCONFDIR)/dreammaker
# (never replacing an edited one), a manual page per program, the docs
# and the systemd service; make uninstall removes what it wrote.  With
# PREFIX=/usr the site files go to /etc.
PREFIX       ?= /usr/local
DESTDIR      ?=
BINDIR       ?= $(PREFIX)/bin
DATADIR      ?= $(PREFIX)/share
SYSCONFDIR   ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
MANDIR       ?= $(DATADIR)/man
DOCDIR       ?= $(DATADIR)/doc/dreammaker
UNITDIR      ?= $(PREFIX)/lib/systemd/system
GENERATORDIR ?= $(PREFIX)/lib/systemd/system-generators
SYSUSERSDIR  ?= $(PREFIX)/lib/sysusers.d
LOGROTATEDIR ?= $(SYSCONFDIR)/logrotate.d
INSTALL_VARS = BUILD="$(BUILD)" DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" BINDIR="$(BINDIR)" \
               DATADIR="$(DATADIR)" SYSCONFDIR="$(SYSCONFDIR)" MANDIR="$(MANDIR)" \
               DOCDIR="$(DOCDIR)" UNITDIR="$(UNITDIR)" GENERATORDIR="$(GENERATORDIR)" \
               SYSUSERSDIR="$(SYSUSERSDIR)" LOGROTATEDIR="$(LOGROTATEDIR)"

install: all
	@$(MAKE) --no-print-directory model
	@$(INSTALL_VARS) tools/deploy/install

uninstall:
	@DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" DATADIR="$(DATADIR)" tools/deploy/uninstall

# A Debian package of the plain build: tools/deploy/mkdeb stages make
# install with PREFIX=/usr (site files in /etc, units in /lib/systemd),
# computes Depends with dpkg-shlibdeps and builds with dpkg-deb.  lintian
# checks it in the test (tests/unit/test_install.c): make deps-deploy.
deb: all
	@$(MAKE) --no-print-directory model
	@tools/deploy/mkdeb $(BUILD) build/deb

# What only the installation's test needs (make test installs them):
# lintian for the package, man-db to render the manual pages, systemd
# for systemd-analyze verify and systemd-notify.  lintian is the slow
# one (about 20 s a package), so it stays out of make deps.
DEPLOY_TEST_PKGS := lintian man-db systemd
deps-deploy:
	@tools/install-deps $(DEPLOY_TEST_PKGS)

# The tests of the plain build, then the whole unit suite under ASan+UBSan,
# then the ring and doorbell tests under TSan, then the executor on a
# one-node Slurm cluster (tests/slurm/run).  tests/run.sh prints one
# closing line "N passed, N failed" per call.
#
# The plain suites leave a third of the machine idle (their multi-process
# tests mostly wait on hand-offs), so the work that no test waits on runs
# meanwhile, under the idle scheduling class (chrt --idle): it gets a core
# only when no test wants it, so it cannot slow a test down, and a test's
# timing margins stay those of a machine of its own.  In one background
# chain: the sanitizer builds and the fuzz targets' build
# (test-background-builds, build/test-background.log), then the static
# analysis (build/test-analyze.log).  The sanitized suites wait for the
# builds only; the analysis goes on beside them, and the target waits for
# it before the smokes.  Either failing fails the target, with its log.
TSAN_UNITS := ring doorbell
BG_LOG := build/test-background.log
AN_LOG := build/test-analyze.log
BG_RC  := build/test-background.rc
test: deps standalone layering
	@$(MAKE) --no-print-directory deps-slurm
	@$(MAKE) --no-print-directory deps-fuzz
	@$(MAKE) --no-print-directory deps-promtool
	@$(MAKE) --no-print-directory deps-deploy
	@$(MAKE) --no-print-directory -j$(NPROC) all tests benches
	@$(MAKE) --no-print-directory model
	@mkdir -p build; rm -f $(BG_LOG) $(AN_LOG) $(BG_RC); \
	( chrt --idle 0 $(MAKE) --no-print-directory test-background-builds >$(BG_LOG) 2>&1; \
	  echo $$? >$(BG_RC).tmp; mv $(BG_RC).tmp $(BG_RC); \
	  chrt --idle 0 $(MAKE) --no-print-directory analyze >$(AN_LOG) 2>&1 ) & bg=$$!; \
	tests/run.sh build $(notdir $(UNITS)); plain=$$?; \
	if [ ! -f $(BG_RC) ]; then echo "test: waiting for the sanitizer builds ($(BG_LOG))"; fi; \
	while [ ! -f $(BG_RC) ]; do sleep 1; done; brc=$$(cat $(BG_RC)); \
	if [ "$$brc" != 0 ]; then tail -n 60 $(BG_LOG); kill $$bg 2>/dev/null; \
	    echo "test: the sanitizer or fuzz builds failed (exit $$brc; $(BG_LOG))" >&2; exit 1; fi; \
	tests/run.sh build/san-address-undefined $(notdir $(UNITS)) \
	    -- build/san-thread $(patsubst %,test_%,$(TSAN_UNITS)) \
	    -- slurm build; san=$$?; \
	if kill -0 $$bg 2>/dev/null; then echo "test: waiting for the static analysis ($(AN_LOG))"; fi; \
	wait $$bg; arc=$$?; \
	grep -E '^analyze:|rror' $(AN_LOG) | tail -n 40; \
	if [ $$arc -ne 0 ]; then tail -n 60 $(AN_LOG); echo "test: the static analysis failed (exit $$arc; $(AN_LOG))" >&2; exit 1; fi; \
	[ $$plain -eq 0 ] && [ $$san -eq 0 ]
	@$(MAKE) --no-print-directory soak-smoke
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory bench-smoke

# What make test builds beside the plain suites (above).
test-background-builds:
	@$(MAKE) --no-print-directory -j$(NPROC) SAN=address,undefined all tests
	@$(MAKE) --no-print-directory -j$(NPROC) SAN=thread $(patsubst %,build/san-thread/tests/test_%,$(TSAN_UNITS))
	@$(MAKE) --no-print-directory -j$(NPROC) fuzz-build

# The repository stands alone: no file may reach outside the checkout for
# data (the real samples live in tests/data).
standalone:
	@if grep -rnI --exclude-dir=build --exclude-dir=.git -e '\.\./shar[e]d' . ; then \
	    echo "standalone: the files above refer to a folder outside the repository" >&2; exit 1; fi

# The layers and who may include whom (docs/architecture.md):
#   shm/     -> shm/, and of libcore only libcore/types.h
#   libcore/ -> libcore/ only (never shm/, agents/, tools/)
#   agents/  -> shm/, libcore/, agents/
#   tools/   -> shm/, libcore/, tools/lib/, and of agents/ only agents/rt/view.h
#   tools/lib/ -> shm/, libcore/, tools/lib/
# tools/check-layering reads every #include of those folders and names each
# one that breaks a rule (FILE:LINE); tests/layering.sh plants one bad
# include per rule in a copy of the tree and expects layering-check to fail
# there.  LAYER_ROOT: the tree to check (default this one).
layering: layering-check
	@tests/layering.sh
layering-check:
	@tools/check-layering $(or $(LAYER_ROOT),.)

# Chaos at scale (tests/soak/soak): a slow pace (realtime x10) then a
# fast one (max), each of at least 100 kill -9 over the six agents, with
# the episodes and the audit; both run, the first failure sets the exit
# status.  SOAK_ARGS adds options to both (--seed N, --keep, --no-diskfull).
soak: all
	@$(MAKE) --no-print-directory model
	@rc=0; tests/soak/soak --build $(BUILD) --pace slow $(SOAK_ARGS) || rc=1; \
	 tests/soak/soak --build $(BUILD) --pace fast $(SOAK_ARGS) || rc=1; exit $$rc

# A short run of it (realtime x20, 18 kills, every episode but the full
# disk): part of the test suite's time budget, under a minute on 2 cores.
soak-smoke: all
	@$(MAKE) --no-print-directory model
	@tests/soak/soak --build $(BUILD) --pace smoke --diskfull $(SOAK_ARGS)

# ---------------------------------------------------------------- analyze
# Two static analyzers over every C file of shm/, libcore/, agents/,
# tools/ and tests/ (unit, bench, helpers), with the build's include path
# and defines; any finding fails (docs/testing.md: what runs, how to
# suppress one, and the rule that each suppression says why).
#   cppcheck: one run over the list, -j$(NPROC), its results cached in
#     build/analyze/cppcheck so that a second run reads only what changed;
#     tools/cppcheck.cfg gives it Jansson's and Criterion's macros.
#   gcc -fanalyzer: one compile per file at -O0 (the analyzer runs after
#     the front end, so -fsyntax-only would skip it), make's -j$(NPROC),
#     a log per file under build/analyze/gcc redone when the file or a
#     header it includes changes; the objects are deleted.  The test files
#     are read with tests/analyze.h first: Criterion's assertions as plain
#     conditions (why: in that file).
# Each prints one line: files, findings, seconds.
ANALYZE     := build/analyze
ANALYZE_SRC := $(shell find shm libcore agents tools tests -name '*.c' | sort)
FA_LOGS     := $(patsubst %.c,$(ANALYZE)/gcc/%.log,$(ANALYZE_SRC))
FA_CC       ?= gcc
FA_FLAGS    := -I. -D_GNU_SOURCE -std=c11 -O0 -pthread -fanalyzer
# the suppressions for the whole tree, each with its reason:
#   missingIncludeSystem: cppcheck is not given the system headers
#     (their macros it needs are in tools/cppcheck.cfg)
#   readdirCalled: readdir_r, which it proposes, is deprecated in glibc;
#     readdir is thread-safe on distinct streams, the only way it is used
#   varFuncNullUB: NULL closing a variadic list of strings (the tests'
#     argv builders) is undefined only where NULL is a plain 0; glibc
#     defines it as ((void *)0), which va_arg may read as a char *
#   ctunullpointer in libcore/mt5/mt5_msgs.def: each line of the bridge's
#     message description is the body of many generated functions (its
#     X-macro expansions), and the whole-program null check takes the
#     literal 0 sequence numbers and flags callers pass for the pointers
#     of another function expanded on the same line; every one of those
#     pointers is a caller's &struct (test_mt5 and the fuzz target run
#     them under ASan)
CPPCHECK_FLAGS := -I. -D_GNU_SOURCE --std=c11 --platform=unix64 \
    --library=posix --library=gnu --library=tools/cppcheck.cfg \
    --enable=warning,portability,performance --inline-suppr \
    --suppress=missingIncludeSystem --suppress=readdirCalled --suppress=varFuncNullUB \
    --suppress=ctunullpointer:libcore/mt5/mt5_msgs.def \
    --error-exitcode=1 -j$(NPROC) --quiet \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]'

analyze: deps
	@$(MAKE) --no-print-directory analyze-cppcheck
	@$(MAKE) --no-print-directory analyze-gcc

analyze-cppcheck:
	@mkdir -p $(ANALYZE)/cppcheck
	@printf '%s\n' $(ANALYZE_SRC) > $(ANALYZE)/cppcheck-files.txt
	@t0=$$(date +%s%N); \
	cppcheck $(CPPCHECK_FLAGS) --cppcheck-build-dir=$(ANALYZE)/cppcheck \
	    --file-list=$(ANALYZE)/cppcheck-files.txt > $(ANALYZE)/cppcheck.log 2>&1; rc=$$?; \
	n=$$(grep -c '\[[A-Za-z0-9_]*\]$$' $(ANALYZE)/cppcheck.log); \
	cat $(ANALYZE)/cppcheck.log >&2; \
	ms=$$((($$(date +%s%N) - t0) / 1000000)); \
	printf 'analyze: %s: %d files, %d findings, %d.%d s\n' "$$(cppcheck --version)" \
	    $(words $(ANALYZE_SRC)) $$n $$((ms / 1000)) $$((ms % 1000 / 100)); \
	[[ $$rc -eq 0 && $$n -eq 0 ]]

analyze-gcc:
	@t0=$$(date +%s%N); \
	$(MAKE) --no-print-directory -j$(NPROC) analyze-gcc-logs; rc=$$?; \
	n=$$(cat $(FA_LOGS) 2>/dev/null | grep ': warning: ' | sort -u | wc -l); \
	for f in $(FA_LOGS); do [[ ! -s $$f ]] || cat $$f >&2; done; \
	ms=$$((($$(date +%s%N) - t0) / 1000000)); \
	printf 'analyze: gcc %s -fanalyzer: %d files, %d findings, %d.%d s\n' \
	    "$$($(FA_CC) -dumpfullversion)" $(words $(ANALYZE_SRC)) $$n $$((ms / 1000)) $$((ms % 1000 / 100)); \
	[[ $$rc -eq 0 && $$n -eq 0 ]]

analyze-gcc-logs: $(FA_LOGS)

# the log is written whole or not at all: a compile that fails leaves none
$(ANALYZE)/gcc/%.log: %.c
	@mkdir -p $(@D)
	@$(FA_CC) $(FA_FLAGS) $(if $(filter tests/unit/% tests/helpers.c,$<),-include tests/analyze.h) \
	    -MMD -MP -MF $(@:.log=.d) -MT $@ -c $< -o $(@:.log=.o) 2> $@.tmp || \
	    { cat $@.tmp >&2; rm -f $@.tmp $(@:.log=.o); exit 1; }
	@rm -f $(@:.log=.o)
	@mv $@.tmp $@

bench: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all benches
	@$(MAKE) --no-print-directory model
	@tests/bench/run.sh $(BUILD)

bench-smoke: all benches
	@$(MAKE) --no-print-directory model
	@tests/bench/run.sh --smoke $(BUILD)

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets (tests/fuzz/fuzz_<name>.c, docs/fuzzing.md), built by
# clang under ASan+UBSan into build/fuzz, at -O1 and from only the
# modules they reach: the readers, the journal, the configuration with
# every module whose keys it holds, shm, the MetaTrader 5 bridge and the
# SHA-256 it uses.  FUZZ_SRC lists their folders;
# a new target that reaches further adds its folder here.
FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_ALL     := mt5 neg lobster binance tick journal_in gzip journal journal_delta \
                cfg config seg mt5_bridge
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -O1 -g -Wall -Wextra -Werror -pthread $(FUZZ_SAN) \
                -fsanitize=fuzzer-no-link
FUZZ_SRC     := $(sort $(wildcard libcore/feed/*.c libcore/journal/*.c libcore/config/*.c \
                libcore/market/*.c libcore/exec/*.c libcore/quality/*.c libcore/risk/*.c \
                libcore/venue/*.c libcore/vote/*.c libcore/mt5/*.c libcore/control/*.c shm/*.c)) \
                libcore/features/features.c libcore/features/feat_config.c \
                libcore/replay/replay_cfg.c libcore/strategy/strategy_cfg.c libcore/coord/coord_cfg.c \
                libcore/msg/msg.c libcore/model/digest.c agents/rt/topology.c tests/fuzz/fuzz.c
FUZZ_LIB     := $(FUZZ_BUILD)/lib/libdm_fuzz.a
FUZZ_LIBS    := -lyaml -ljansson -luring -lz -lm -lrt
FUZZ_BINS    := $(patsubst %,$(FUZZ_BUILD)/bin/fuzz_%,$(FUZZ_ALL))
fuzz_obj = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(1))

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(call fuzz_obj,$(FUZZ_SRC))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/bin/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -pthread $^ $(FUZZ_LIBS) -o $@

$(FUZZ_BUILD)/bin/mkseeds: $(FUZZ_BUILD)/obj/tests/fuzz/mkseeds.o $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_SAN) -pthread $^ $(FUZZ_LIBS) -o $@

# the seed corpora, made again when a sample, a conf file or a maker changes
$(FUZZ_BUILD)/seed/.stamp: tests/fuzz/seeds $(FUZZ_BUILD)/bin/mkseeds $(wildcard conf/*.yaml conf/*/*.yaml conf/*/*/*.yaml)
	@tests/fuzz/seeds $(FUZZ_BUILD)/bin/mkseeds $(FUZZ_BUILD)/seed
	@touch $@

fuzz-build: $(FUZZ_BINS) $(FUZZ_BUILD)/seed/.stamp

# clang and its sanitizer and libFuzzer runtimes (Debian 12: clang-14's
# libclang_rt.fuzzer, asan and ubsan are in libclang-rt-14-dev)
FUZZ_PKGS := clang libclang-rt-14-dev
deps-fuzz:
	@tools/install-deps $(FUZZ_PKGS)

# Each target FUZZ_SECONDS seconds, one at a time, niced; the corpus grows
# in build/fuzz/corpus/<target>, crashes land in build/fuzz/crashes/<target>.
fuzz: deps
	@$(MAKE) --no-print-directory deps-fuzz
	@$(MAKE) --no-print-directory -j$(NPROC) fuzz-build
	@tests/fuzz/run fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# For make test: every regression input once, then each target a few
# seconds from its seeds.  Fails on any crash, leak, hang or sanitizer report.
FUZZ_SMOKE_SECONDS ?= 3
fuzz-smoke:
	@$(MAKE) --no-print-directory -j$(NPROC) fuzz-build
	@tests/fuzz/run smoke $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS) $(FUZZ_ALL)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)

-include $(shell find $(ANALYZE)/gcc -name '*.d' 2>/dev/null)
