#!/usr/bin/env bash
# The day the PostgreSQL host is gone, with pgBackRest's repository in
# an S3 bucket: the journey of lib/pg_disaster_pitr_store.sh on s3rver.
STORE=s3
. "$(dirname "$0")/lib/pg_disaster_pitr_store.sh"
