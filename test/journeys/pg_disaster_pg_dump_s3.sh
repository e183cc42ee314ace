#!/usr/bin/env bash
# The day the PostgreSQL host is gone, with the dumps in an S3 bucket:
# the journey of lib/pg_disaster_pg_dump_store.sh on s3rver.
STORE=s3
. "$(dirname "$0")/lib/pg_disaster_pg_dump_store.sh"
