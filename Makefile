# dbcare — one C core (core/) built into two modules:
#   build/sqlite/dbcare.so  SQLite loadable extension (always)
#   dbcare.so               PostgreSQL extension through PGXS (when pg_config is found;
#                           its objects in build/pg/)
# The version lives only in META.json; everything else reads it from there.

EXTENSION  = dbcare
EXTVERSION := $(shell sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' META.json | head -n 1)

COMMON_SRC := $(sort $(wildcard core/*/*.c))
CORE_HDRS  := $(wildcard core/*/*.h)
# The glues: one folder per part (sqlite/<part>/, pg/<part>/; pg/gen/ holds
# build tools, pg/sql/ and pg/upgrade/ SQL). A file names another part's
# header from the top, "sqlite/host/glue.h" (-I.), never a core part's.
PG_SRC     := $(sort $(wildcard pg/*/*.c))
PG_SRC     := $(filter-out pg/gen/%,$(PG_SRC))
SQLITE_SRC := $(sort $(wildcard sqlite/*/*.c))
PG_SQL     := $(sort $(wildcard pg/sql/*.sql))

BUILD      := build
SQLITE_SO  := $(BUILD)/sqlite/dbcare.so
WARNINGS   := -Wall -Wextra -Werror
# zstd: the retention archive's codec (core/retain, both modules) and the
# sealed backup files (core/container/: zstd, libsodium's secretstream;
# libcrypto's AES-GCM still reads format 1), which only the SQLite module
# and the command make and read: the PostgreSQL module writes no files, and
# neither compiles nor links core/container (nor CONTAINER_LIBS).
DBC_LIBS   := -lcrypto -ljansson -lpcre2-8 -lzstd -lm
CONTAINER_SRC := $(wildcard core/container/*.c)
CONTAINER_LIBS := -lsodium

# ---------------------------------------------------------------- PostgreSQL
PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

ifneq ($(PGXS),)
MODULE_big = dbcare
# Objects under build/pg/ like every other build output (PGXS would put them
# beside the sources); the module itself stays where PGXS installs it from.
PG_OBJ_DIR := $(BUILD)/pg
OBJS       = $(patsubst %.c,$(PG_OBJ_DIR)/%.o,$(PG_SRC) $(filter-out $(CONTAINER_SRC),$(COMMON_SRC)))
# Upgrade scripts (dbcare--A--B.sql): ALTER EXTENSION dbcare UPDATE follows
# them. Each is pg/upgrade/'s with its "-- dbcare:book-stanza" line, if any,
# replaced by the bookkeeping tables and columns version B added
# (core/book/tables.c): build/upgrade/.
UPGRADE_BUILT := $(patsubst pg/upgrade/%,$(BUILD)/upgrade/%,$(wildcard pg/upgrade/dbcare--*--*.sql))
DATA_built = dbcare--$(EXTVERSION).sql $(UPGRADE_BUILT)
EXTRA_CLEAN = dbcare.control $(DATA_built)
# The postgres binary exports json_object() (the SQL function), which wins the
# dynamic lookup over jansson's json_object(); in the PostgreSQL module calls to
# it go to a shim that reaches jansson's own (pg/host/jansson_shim.c).
# (PGXS adds -I., through which a file names another part's header.)
PG_CPPFLAGS = -Icore -DDBC_VERSION='"$(EXTVERSION)"' -Djson_object=dbc_pg_json_object
# PostgreSQL's own headers trip -Wextra's unused-parameter (PG_FUNCTION_ARGS) and
# missing-field-initializers (its macros), and PGXS adds C90's
# declaration-after-statement, which C11 code does not follow; all else is an error.
# PG_SAN_FLAGS: the sanitizers of the copy `make pg-asan` builds (else empty).
PG_CFLAGS  = $(WARNINGS) -Wno-unused-parameter -Wno-missing-field-initializers \
             -Wno-declaration-after-statement $(PG_SAN_FLAGS)
SHLIB_LINK = $(DBC_LIBS) $(PG_SAN_FLAGS)
# No LLVM bitcode: it would need clang at build time for no benefit here
# ("override": PGXS's Makefile.global, included below, sets with_llvm = yes).
override with_llvm = no
# Golden tests live in test/pg/{sql,expected}, read from there by pg_regress.
REGRESS    = $(patsubst test/pg/sql/%.sql,%,$(sort $(wildcard test/pg/sql/*.sql)))
REGRESS_OPTS = --inputdir=test/pg --outputdir=$(BUILD)/regress

include $(PGXS)

all: dbcare.control
# Flags live here: a changed Makefile must not leave objects built with old ones.
# PGXS tracks no header dependencies: a changed struct must rebuild every object.
$(OBJS): Makefile META.json $(CORE_HDRS) $(wildcard pg/*/*.h)
$(PG_OBJ_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(COMPILE.c) -o $@ $<

# The module with only the plain paths below PostgreSQL's public interfaces
# (-DDBC_PLAIN_PG_PATHS; docs/postgresql.md, "Engine internals"): the same
# objects but the gated files, for test/script/pg_plain_paths.sh.
PG_PLAIN_FILES := pg/audit/audit_wal.c pg/audit/audit_write.c pg/audit/audit_write_index.c \
                  pg/audit/audit_written_row.c pg/audit/audit_row_image.c \
                  pg/json/json_doc_layout.c pg/host/name_path.c pg/catalog/schema_cache.c
PG_PLAIN_OBJS  := $(patsubst %.c,$(PG_OBJ_DIR)/plain/%.o,$(PG_PLAIN_FILES))
PG_PLAIN_SO    := $(PG_OBJ_DIR)/plain/dbcare.so
$(PG_OBJ_DIR)/plain/%.o: %.c Makefile META.json $(CORE_HDRS) $(wildcard pg/*/*.h)
	@mkdir -p $(dir $@)
	$(COMPILE.c) -DDBC_PLAIN_PG_PATHS -o $@ $<
$(PG_PLAIN_SO): $(filter-out $(patsubst %.c,$(PG_OBJ_DIR)/%.o,$(PG_PLAIN_FILES)),$(OBJS)) $(PG_PLAIN_OBJS)
	$(LINK.shared) -o $@ $^ $(LDFLAGS) $(LDFLAGS_SL) $(SHLIB_LINK)
all: $(PG_PLAIN_SO)
endif

all: sqlite

dbcare.control: dbcare.control.in META.json
	sed 's/@VERSION@/$(EXTVERSION)/' $< > $@

# The install script: pg/sql/*.sql in order, each "-- dbcare:api <part>" line
# replaced by the CREATE FUNCTION statements the generator writes from the
# API table (core/api/functions.h), each "-- dbcare:book <table>" line by the
# table's statements from the bookkeeping catalogue (core/book/tables.c).
# The generator is a build tool, compiled for this machine; it refuses an
# inconsistent table.
API_GEN := $(BUILD)/gen/api_sql
dbcare--$(EXTVERSION).sql: $(PG_SQL) META.json $(API_GEN)
	cat $(PG_SQL) | $(API_GEN) install > $@.tmp && mv $@.tmp $@

API_GEN_SRC := pg/gen/api_sql.c pg/gen/book_sql.c pg/gen/book_pg.c sqlite/book/book_ddl.c \
               core/api/api.c $(wildcard core/book/*.c)
$(BUILD)/upgrade/%.sql: pg/upgrade/%.sql $(API_GEN)
	@mkdir -p $(dir $@)
	$(API_GEN) upgrade $(lastword $(subst --, ,$*)) < $< > $@.tmp && mv $@.tmp $@

$(API_GEN): $(API_GEN_SRC) $(wildcard core/api/*.h core/book/*.h pg/gen/*.h) sqlite/book/book_ddl.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L -O0 -g $(WARNINGS) -Icore \
	  -I. -DDBC_VERSION='"$(EXTVERSION)"' -o $@ $(API_GEN_SRC)

# The parity tests compare the engines with the generator's view of the table.
all: $(API_GEN)

# The upgrade-script statements of functions added to the table, to append
# to the newest pg/upgrade/ script: make api-stanza ID='id1 id2'
.PHONY: api-stanza
api-stanza: $(API_GEN)
	@$(API_GEN) stanza $(ID)

# The upgrade-script statements of the bookkeeping tables and columns the
# open version added (core/book/tables.c, .pg_since), which the build writes
# at the open pg/upgrade/ script's "-- dbcare:book-stanza" line: make book-stanza
.PHONY: book-stanza
book-stanza: $(API_GEN)
	@$(API_GEN) book-stanza $(EXTVERSION)

# ---------------------------------------------------------------- SQLite
SQLITE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -fPIC $(WARNINGS) \
                 -Icore -I. -DDBC_VERSION='"$(EXTVERSION)"' -MMD -MP
SQLITE_OBJS   := $(patsubst %.c,$(BUILD)/sqlite/%.o,$(SQLITE_SRC) $(COMMON_SRC))

.PHONY: sqlite
sqlite: $(SQLITE_SO)

$(BUILD)/sqlite/%.o: %.c Makefile META.json
	@mkdir -p $(dir $@)
	$(CC) $(SQLITE_CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@

# only the entry point is exported (sqlite/api/exports.map)
SQLITE_EXPORTS := sqlite/api/exports.map
$(SQLITE_SO): $(SQLITE_OBJS) $(SQLITE_EXPORTS)
	$(CC) -shared -Wl,--version-script=$(SQLITE_EXPORTS) -o $@ $(SQLITE_OBJS) $(EXTRA_LDFLAGS) \
	  $(CONTAINER_LIBS) $(DBC_LIBS)

-include $(SQLITE_OBJS:.o=.d)

# ---------------------------------------------------------------- npm package
# build/npm/dbcare.so: the SQLite module as the npm package carries it
# (packaging/npm/pack.sh), for any Linux x86-64 with glibc 2.28 or later and
# nothing else installed: the module's objects linked with jansson, PCRE2,
# zstd, libsodium and libcrypto from their static archives (their symbols kept inside,
# --exclude-libs: a process's own libcrypto.so is never mixed in), the calls
# newer glibc versioned pinned to 2.28's (packaging/npm/glibc_floor.c), and
# no debugging symbols. x86-64 only: the package declares cpu x64.
NPM_SO      := $(BUILD)/npm/dbcare.so
NPM_FLOOR   := packaging/npm/glibc_floor.c
NPM_WRAPPED := $(shell sed -n -e 's/^DBC_WRAP_SAME.[^,]*, *\([a-z_]*\),.*/\1/p' \
                 -e 's/^DBC_WRAP_STAT.\([a-z_]*\),.*/\1/p' $(NPM_FLOOR) 2>/dev/null)
comma       := ,

.PHONY: npm-module
npm-module: $(NPM_SO)
ifeq ($(shell uname -m),x86_64)
all: npm-module
endif

# jansson's archive is not position-independent: its one reference to libc's
# stdin is renamed to the floor's copy (glibc_floor.c says why).
$(BUILD)/npm/libjansson.a: Makefile
	@mkdir -p $(dir $@)
	objcopy --redefine-sym stdin=dbc_jansson_stdin "$$($(CC) -print-file-name=libjansson.a)" $@

$(BUILD)/npm/glibc_floor.o: $(NPM_FLOOR) Makefile
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -fPIC $(WARNINGS) -c $< -o $@

$(NPM_SO): $(SQLITE_OBJS) $(BUILD)/npm/glibc_floor.o $(BUILD)/npm/libjansson.a $(SQLITE_EXPORTS)
	$(CC) -shared -s -Wl,--version-script=$(SQLITE_EXPORTS) -o $@ $(SQLITE_OBJS) $(BUILD)/npm/glibc_floor.o \
	  -Wl,--exclude-libs,ALL $(addprefix -Wl$(comma)--wrap=,$(NPM_WRAPPED)) \
	  -Wl,-Bstatic -lsodium -lcrypto $(BUILD)/npm/libjansson.a -lpcre2-8 -lzstd -Wl,-Bdynamic -lm \
	  -Wl,--no-as-needed -l:libpthread.so.0 -l:libdl.so.2

# ---------------------------------------------------------------- command line
# build/cli/dbcare: the client (cli/) over libpq and libsqlite3, linked with
# the core objects for the migration file reader it shares with
# dbmigrate_load; libcurl carries backups to S3 (cli/store/). It finds the SQLite module beside itself (../lib, or
# ../sqlite in the build tree), else at the path compiled in.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
CLI_SRC    := $(sort $(wildcard cli/*.c cli/*/*.c cli/*/*/*.c))
CLI_BIN    := $(BUILD)/cli/dbcare
CLI_CORE   := $(patsubst %.c,$(BUILD)/sqlite/%.o,$(COMMON_SRC) pg/host/dialect.c sqlite/host/dialect.c)
PQ_INCLUDE := $(shell $(PG_CONFIG) --includedir 2>/dev/null)

.PHONY: cli install-cli
cli: $(CLI_BIN)
all: cli

# One object per file (build/cli/obj/, a folder per family of cli/), so the
# layering test reads the command's files with nm as it reads the modules'.
# -I.: a file names a header of another folder of cli/ from the top,
# "cli/family/name.h" (never mistaken for a core part's "backup/...").
CLI_OBJS   := $(patsubst cli/%.c,$(BUILD)/cli/obj/%.o,$(CLI_SRC))

$(BUILD)/cli/obj/%.o: cli/%.c Makefile META.json
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARNINGS) -Icore -I. $(if $(PQ_INCLUDE),-I$(PQ_INCLUDE)) \
	  -DDBC_VERSION='"$(EXTVERSION)"' -DDBCARE_MODULE_PATH='"$(LIBDIR)/dbcare.so"' -MMD -MP \
	  -c $< -o $@

-include $(CLI_OBJS:.o=.d)

# The SQLite point-in-time log (its WAL reader, records, segments and
# capture) is one source in sqlite/pitr/, built into the module and, with
# DBC_PITR_LINKED (sqlite/pitr/pitr_sqlite.h: libsqlite3 instead of the extension
# routines), into the command, which captures, restores and reads the log
# with it; so is the reader of the origin a plain backup file carries in
# itself (sqlite/pitr/backup_origin.c: the command's restore compares it too).
PITR_SHARED := $(addprefix sqlite/pitr/,pitr_wal.c pitr_log.c pitr_file.c pitr_segment.c pitr_capture.c \
               pitr_next_base.c pitr_crc32c.c pitr_end.c pitr_identity.c backup_origin.c)
CLI_PITR   := $(patsubst sqlite/%.c,$(BUILD)/cli/pitr/%.o,$(PITR_SHARED))

$(BUILD)/cli/pitr/%.o: sqlite/%.c Makefile META.json
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARNINGS) -Icore -I. -DDBC_VERSION='"$(EXTVERSION)"' -DDBC_PITR_LINKED -MMD -MP -c $< -o $@

-include $(CLI_PITR:.o=.d)

$(CLI_BIN): $(CLI_OBJS) $(CLI_PITR) $(CLI_CORE)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(CLI_OBJS) $(CLI_PITR) $(CLI_CORE) -lpq -lsqlite3 -lmicrohttpd -lcurl -pthread $(CONTAINER_LIBS) $(DBC_LIBS)

# make install: the PostgreSQL extension (PGXS, when found) and, under
# $(DESTDIR)$(PREFIX), the command, the SQLite module, the manual page
# dbcare(1) and the bash and zsh completions.
DATAROOTDIR ?= $(PREFIX)/share
MANDIR     ?= $(DATAROOTDIR)/man
BASHCOMPDIR ?= $(DATAROOTDIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATAROOTDIR)/zsh/site-functions
# make install: the PostgreSQL extension (PGXS) and, under
# $(DESTDIR)$(PREFIX), the command and the SQLite module. Without PGXS (no
# pg_config, or a wrong PG_CONFIG) it fails before installing anything, as a
# PGXS Makefile does, unless only the SQLite part is asked for:
# `make install-sqlite` (or install-cli), or DBC_SQLITE_ONLY=1.
.PHONY: install-sqlite
ifeq ($(PGXS),)
install:
	@if [ "$(DBC_SQLITE_ONLY)" != 1 ]; then \
	  echo "dbcare: cannot install the PostgreSQL extension: '$(PG_CONFIG) --pgxs' gave nothing (is PG_CONFIG right?)" >&2; \
	  echo "HINT: Set PG_CONFIG=/path/to/pg_config, or install the command and the SQLite module alone with 'make install-sqlite' (or DBC_SQLITE_ONLY=1)." >&2; \
	  exit 1; fi
	@$(MAKE) --no-print-directory install-cli
else
install: install-cli
endif
install-sqlite: install-cli
install-cli: $(CLI_BIN) $(SQLITE_SO)
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(MANDIR)/man1' \
	  '$(DESTDIR)$(BASHCOMPDIR)' '$(DESTDIR)$(ZSHCOMPDIR)'
	install -m 755 $(CLI_BIN) '$(DESTDIR)$(BINDIR)/dbcare'
	install -m 755 $(SQLITE_SO) '$(DESTDIR)$(LIBDIR)/dbcare.so'
	install -m 644 cli/share/dbcare.1 '$(DESTDIR)$(MANDIR)/man1/dbcare.1'
	install -m 644 cli/share/dbcare.bash '$(DESTDIR)$(BASHCOMPDIR)/dbcare'
	install -m 644 cli/share/_dbcare '$(DESTDIR)$(ZSHCOMPDIR)/_dbcare'

# ---------------------------------------------------------------- C unit tests
UNIT_SRC  := $(sort $(wildcard test/unit/test_*.c))
UNIT_BINS := $(patsubst test/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
# The core, and the two glues' dialects (engine-header-free data).
DIALECT_SRC := pg/host/dialect.c sqlite/host/dialect.c
UNIT_OBJS := $(patsubst %.c,$(BUILD)/sqlite/%.o,$(COMMON_SRC) $(DIALECT_SRC))
# the dialects are built only for the command and these tests: their header
# dependencies are read here, or a changed dbc_dialect leaves them stale
-include $(patsubst %.c,$(BUILD)/sqlite/%.d,$(DIALECT_SRC))

.PHONY: unit
unit: $(UNIT_BINS)

$(BUILD)/unit/%: test/unit/%.c test/unit/unit.h $(UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(SQLITE_CFLAGS) $(EXTRA_CFLAGS) -Itest/unit -o $@ $< $(UNIT_OBJS) $(EXTRA_LDFLAGS) $(CONTAINER_LIBS) $(DBC_LIBS)

# ---------------------------------------------------------------- hardening
# check-asan: the module and the unit tests rebuilt with ASan+UBSan into their
# own tree (the normal build is untouched), then the SQLite golden suite run
# through a small driver that carries the sanitizer runtime, and the unit tests.
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# The sanitized builds keep line tables only (functions, files, lines: what
# a sanitizer's report names), not the full debug information (types,
# locals), which costs a fifth of their compile time.
SAN_DEBUG   := -g1
ASAN_BUILD  := $(BUILD)/asan
ASAN_DRIVER := $(ASAN_BUILD)/sqlite_driver
# The C programs that drive the module through SQLite's C API (script tests
# run them under valgrind; the ASan suite runs these sanitized builds).
ASAN_CAPI   := $(patsubst test/script/lib/%.c,$(ASAN_BUILD)/%,$(wildcard test/script/lib/capi_*.c))

.PHONY: asan check-asan check-valgrind fuzz fuzz-build pg-asan check-pg-asan
asan:
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) \
	  EXTRA_CFLAGS="$(SAN_FLAGS) -O1 $(SAN_DEBUG)" EXTRA_LDFLAGS="$(SAN_FLAGS)" sqlite unit
	@$(MAKE) --no-print-directory $(ASAN_DRIVER) $(ASAN_CAPI)

$(ASAN_DRIVER): test/asan/sqlite_driver.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g $(WARNINGS) $(SAN_FLAGS) -o $@ $< -lsqlite3

$(ASAN_BUILD)/capi_%: test/script/lib/capi_%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_DEFAULT_SOURCE -O1 -g $(WARNINGS) $(SAN_FLAGS) -o $@ $< -lsqlite3 -lcrypto -pthread

check-asan: asan
	@DBC_SUITES=asan test/harness/run_tests.sh

# pg-asan: the PostgreSQL module with ASan+UBSan, for test/harness/
# pg_asan_suite.sh. PGXS builds beside the sources, so the sources are copied
# (their times kept: a rebuild compiles what changed) into build/pg_asan/src
# and the module is built there; the normal objects are untouched. Warnings
# stay warnings there: the normal build holds them to -Werror, and GCC's
# stringop checks misread the instrumented code.
PG_ASAN_SRC := $(BUILD)/pg_asan/src
PG_NLS_SHIM := $(BUILD)/pg_asan/nls_shim.so
pg-asan: $(PG_NLS_SHIM)
	@mkdir -p $(PG_ASAN_SRC)
	@tar -cf - --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
	  Makefile META.json dbcare.control.in core pg | tar -xf - -C $(PG_ASAN_SRC)
	@$(MAKE) --no-print-directory -C $(PG_ASAN_SRC) PG_CONFIG=$(PG_CONFIG) \
	  PG_SAN_FLAGS="$(SAN_FLAGS) -O1 $(SAN_DEBUG) -Wno-error" dbcare.so

# Preloaded with the runtime: see test/asan/pg_nls_shim.c.
$(PG_NLS_SHIM): test/asan/pg_nls_shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -g $(WARNINGS) -shared -fPIC -o $@ $<

check-pg-asan:
	@DBC_SUITES=pg_asan test/harness/run_tests.sh

check-valgrind: sqlite
	@DBC_SUITES=valgrind test/harness/run_tests.sh

# libFuzzer targets (clang): each test/fuzz/fuzz_<name>.c is linked with the
# whole core; `make fuzz FUZZ_SECONDS=60` runs each from its seed corpus.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_SRC     := $(sort $(wildcard test/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst test/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g $(WARNINGS) -Icore -I. -Itest/unit \
                -DDBC_VERSION='"$(EXTVERSION)"' -fsanitize=address,undefined \
                -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# The core is compiled once (instrumented, without libFuzzer's main) and
# linked into every target, with the point-in-time log's record reader (no
# SQLite API in it: fuzz_pitr_log.c).
FUZZ_OBJS    := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(COMMON_SRC) $(DIALECT_SRC) \
                  $(addprefix sqlite/pitr/,pitr_log.c pitr_file.c pitr_crc32c.c pitr_end.c))

fuzz-build: $(FUZZ_BINS)

$(FUZZ_BUILD)/obj/%.o: %.c $(CORE_HDRS) $(wildcard sqlite/pitr/*.h) Makefile
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/%: test/fuzz/%.c test/fuzz/fuzz.h test/unit/unit.h $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(CONTAINER_LIBS) $(DBC_LIBS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) test/harness/fuzz_suite.sh --standalone

# ---------------------------------------------------------------- entry points
# `make test` needs nothing installed by hand: bootstrap first, then a fresh make
# (so PGXS is found once PostgreSQL's dev package is there), then every suite.
.PHONY: test test-run demo bootstrap bench guard-record
# The build before the suites uses every core (the suites then run in three
# lanes), and so does the demo's: a newcomer's first command waits on it.
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: bootstrap
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) all unit
	@$(MAKE) --no-print-directory test-run

bootstrap:
	@test/harness/bootstrap.sh

test-run: all unit
	@test/harness/run_tests.sh

demo: bootstrap
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) sqlite cli
	@test/harness/demo.sh

# The performance guard's figures (test/bench/guard.json) measured again on
# this build and recorded with its commit, through the two tests that check
# them in `make test` (docs/testing.md, "The performance guard").
guard-record:
	@$(MAKE) -s --no-print-directory -j$(TEST_JOBS) all
	@DBC_GUARD_RECORD=1 DBC_SUITES="sqlite pg" DBC_ONLY='^script/(sqlite|pg)_perf_guard$$' \
		test/harness/run_tests.sh

# Benchmarks (never part of `make test`): BENCH_QUICK=1 for a short run.
bench:
	@test/bench/run.sh

clean: clean-build
.PHONY: clean-build
clean-build:
	rm -rf $(BUILD) core/*/*.o pg/*/*.o core/*/*.bc pg/*/*.bc
