#!/usr/bin/env bash
# The day the host is gone, with the point-in-time log in an S3 bucket:
# the journey of lib/sqlite_disaster_log_store.sh against s3rver.
STORE=s3
. "$(dirname "$0")/lib/sqlite_disaster_log_store.sh"
