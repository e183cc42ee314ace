# dbcare — one C core (common/) built into two modules:
#   build/sqlite/dbcare.so  SQLite loadable extension (always)
#   dbcare.so               PostgreSQL extension through PGXS (when pg_config is found)
# The version lives only in META.json; everything else reads it from there.

EXTENSION  = dbcare
EXTVERSION := $(shell sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' META.json | head -n 1)

COMMON_SRC := $(sort $(wildcard common/*.c))
PG_SRC     := $(sort $(wildcard pg_ext/*.c))
SQLITE_SRC := $(sort $(wildcard sqlite_ext/*.c))
PG_SQL     := $(sort $(wildcard pg_ext/sql/*.sql))

BUILD      := build
SQLITE_SO  := $(BUILD)/sqlite/dbcare.so
WARNINGS   := -Wall -Wextra -Werror
DBC_LIBS   := -lcrypto -ljansson

# ---------------------------------------------------------------- PostgreSQL
PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

ifneq ($(PGXS),)
MODULE_big = dbcare
OBJS       = $(PG_SRC:.c=.o) $(COMMON_SRC:.c=.o)
DATA_built = dbcare--$(EXTVERSION).sql
EXTRA_CLEAN = dbcare.control $(DATA_built)
# The postgres binary exports json_object() (the SQL function), which wins the
# dynamic lookup over jansson's json_object(); in the PostgreSQL module calls to
# it go to a shim that reaches jansson's own (pg_ext/jansson_pg.c).
PG_CPPFLAGS = -Icommon -DDBC_VERSION='"$(EXTVERSION)"' -Djson_object=dbc_pg_json_object
# PostgreSQL's own headers trip -Wextra's unused-parameter (PG_FUNCTION_ARGS) and
# missing-field-initializers (its macros), and PGXS adds C90's
# declaration-after-statement, which C11 code does not follow; all else is an error.
PG_CFLAGS  = $(WARNINGS) -Wno-unused-parameter -Wno-missing-field-initializers \
             -Wno-declaration-after-statement
SHLIB_LINK = $(DBC_LIBS)
# No LLVM bitcode: it would need clang at build time for no benefit here
# ("override": PGXS's Makefile.global, included below, sets with_llvm = yes).
override with_llvm = no
REGRESS    = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --outputdir=$(BUILD)/regress

include $(PGXS)

all: dbcare.control
# Flags live here: a changed Makefile must not leave objects built with old ones.
# PGXS tracks no header dependencies: a changed struct must rebuild every object.
$(OBJS): Makefile META.json $(wildcard common/*.h pg_ext/*.h)
endif

all: sqlite

dbcare.control: dbcare.control.in META.json
	sed 's/@VERSION@/$(EXTVERSION)/' $< > $@

dbcare--$(EXTVERSION).sql: $(PG_SQL) META.json
	cat $(PG_SQL) > $@

# ---------------------------------------------------------------- SQLite
SQLITE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -fPIC $(WARNINGS) \
                 -Icommon -DDBC_VERSION='"$(EXTVERSION)"' -MMD -MP
SQLITE_OBJS   := $(patsubst %.c,$(BUILD)/sqlite/%.o,$(SQLITE_SRC) $(COMMON_SRC))

.PHONY: sqlite
sqlite: $(SQLITE_SO)

$(BUILD)/sqlite/%.o: %.c Makefile META.json
	@mkdir -p $(dir $@)
	$(CC) $(SQLITE_CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@

$(SQLITE_SO): $(SQLITE_OBJS)
	$(CC) -shared -o $@ $^ $(EXTRA_LDFLAGS) $(DBC_LIBS)

-include $(SQLITE_OBJS:.o=.d)

# ---------------------------------------------------------------- C unit tests
UNIT_SRC  := $(sort $(wildcard test/unit/test_*.c))
UNIT_BINS := $(patsubst test/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
UNIT_OBJS := $(patsubst %.c,$(BUILD)/sqlite/%.o,$(COMMON_SRC))

.PHONY: unit
unit: $(UNIT_BINS)

$(BUILD)/unit/%: test/unit/%.c test/unit/unit.h $(UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(SQLITE_CFLAGS) $(EXTRA_CFLAGS) -Itest/unit -o $@ $< $(UNIT_OBJS) $(EXTRA_LDFLAGS) $(DBC_LIBS)

# ---------------------------------------------------------------- entry points
# `make test` needs nothing installed by hand: bootstrap first, then a fresh make
# (so PGXS is found once PostgreSQL's dev package is there), then every suite.
.PHONY: test test-run demo bootstrap bench
test: bootstrap
	@$(MAKE) --no-print-directory test-run

bootstrap:
	@test/scripts/bootstrap.sh

test-run: all unit
	@test/scripts/run_tests.sh

demo: bootstrap
	@$(MAKE) --no-print-directory sqlite
	@test/scripts/demo.sh

# Benchmarks (never part of `make test`): BENCH_QUICK=1 for a short run.
bench:
	@test/bench/run.sh

clean: clean-build
.PHONY: clean-build
clean-build:
	rm -rf $(BUILD) common/*.o pg_ext/*.o common/*.bc pg_ext/*.bc
