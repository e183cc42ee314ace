#!/usr/bin/env bash
# The day the host is gone, with the point-in-time log in an Azure
# container: the journey of lib/sqlite_disaster_log_store.sh against
# azurite.
STORE=azure
. "$(dirname "$0")/lib/sqlite_disaster_log_store.sh"
