#!/usr/bin/env bash
# dbmigrate_generate over Kamailio's PostgreSQL schema (Debian's
# kamailio-postgres-modules, fetched at test time, never committed),
# walked as kamdbctl makes a database: one file per module, each making
# its tables and writing its rows of the `version` table, forward and back
# (pg_generate_history.sh's walk; docs/schema-as-code.md counts it).
# Sampled to keep the test short: kamdbctl's first 6 standard modules
# (12 pairs; walked by hand, the 16 pairs of its first 8 all reach their
# state too); sqlite_generate_history_kamailio.sh walks all 44 files of
# the SQLite package.
KAMAILIO_MODULES="standard acc lcr domain group permissions" \
  GENHIST=kamailio exec "$(dirname "$0")/pg_generate_history.sh"
