#!/usr/bin/env bash
# dbcare-test-timeout: 1200
# dbmigrate_generate over a long real Prisma history (issue 66):
# @danielcok17/prisma-db 1.20.36, 51 migration.sql in Prisma's folder name
# order, forward and back, judged by pg_generate_history.sh's walk
# (docs/schema-as-code.md counts it); a test of its own for its 3 minutes.
GENHIST=prisma-db exec "$(dirname "$0")/pg_generate_history.sh"
