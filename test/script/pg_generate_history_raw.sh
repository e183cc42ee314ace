#!/usr/bin/env bash
# dbcare-test-timeout: 900
# dbmigrate_generate over real histories (issue 66) with the desired file
# a whole database's raw `pg_dump --schema-only`, as users produce it
# (extensions and their comments, dbcare's own included, owners, rights):
# Umami 2.10.0's Prisma history (npm), Icinga DB's and Icinga 2 IDO's
# schemas (Debian), ejabberd's two whole schemas (Debian), the drizzle-kit
# history of Vercel's workflow world (npm),
# forward and back, judged by pg_generate_history.sh's walk
# (docs/schema-as-code.md counts them).
GENHIST=raw exec "$(dirname "$0")/pg_generate_history.sh"
