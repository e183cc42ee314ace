#!/usr/bin/env bash
# The day the PostgreSQL host is gone, with the dumps in an Azure
# container: the journey of lib/pg_disaster_pg_dump_store.sh on azurite.
STORE=azure
. "$(dirname "$0")/lib/pg_disaster_pg_dump_store.sh"
