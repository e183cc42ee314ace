#!/usr/bin/env bash
# The day the PostgreSQL host is gone, with pgBackRest's repository in
# an Azure container: the journey of lib/pg_disaster_pitr_store.sh on
# azurite.
STORE=azure
. "$(dirname "$0")/lib/pg_disaster_pitr_store.sh"
