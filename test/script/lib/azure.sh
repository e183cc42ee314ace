# azure.sh — an Azure Blob emulator for a script test (sourced after
# lib/sqlite.sh or lib/pg.sh, which give work and fail): azurite, installed
# from npm at test time (test/harness/azurite_install.sh), on 127.0.0.1 at
# a free port behind a logging proxy (lib/azurite.js), its data under
# $work/azure, stopped on exit. The test fails when it cannot be installed
# or started: never skipped.
#   azure_start CONTAINER  starts it with one account (a fresh name and
#                     key; on a restart the same) and the container, and
#                     exports AZURE_STORAGE_CONNECTION_STRING (the key also
#                     in azure_key, for the tests' greps; the account in
#                     azure_account, the endpoint in azure_endpoint); its
#                     request log: $work/azurite.log
#                     (AZURE_TLS=1: over HTTPS at https://localhost:PORT, its
#                     certificate made now, SSL_CERT_FILE naming it)
#   azure_stop        stops it; azure_kill: kill -9, as a crash;
#                     azure_pause / azure_resume: SIGSTOP / SIGCONT;
#                     azure_reset: every client connection reset (SIGUSR1)
#   azure_sas PERMS   a container SAS token (PERMS: rwdl...) valid an hour,
#                     signed with the key
#   azure_blobs       the committed blobs' names in the container, one a
#                     line (a List Blobs of lib/azurite.js, not dbcare's)
#   azure_blob NAME   the blob's bytes on stdout (lib/azurite.js's Get Blob)
azure_lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
azure_root="$(cd "$azure_lib/../../.." && pwd)"
. "$azure_lib/tls_cert.sh"
azure_pid=
azure_stop() {
  [ -n "$azure_pid" ] || return 0
  kill -CONT "$azure_pid" 2>/dev/null || true
  kill "$azure_pid" 2>/dev/null || true
  wait "$azure_pid" 2>/dev/null || true
  azure_pid=
}
azure_kill() { kill -9 "$azure_pid"; wait "$azure_pid" 2>/dev/null || true; azure_pid=; }
azure_pause() { kill -STOP "$azure_pid"; }
azure_resume() { kill -CONT "$azure_pid"; }
azure_reset() { kill -USR1 "$azure_pid"; }
trap 'azure_stop; rm -rf "$work"' EXIT
azure_start() {
  local modules i
  modules=$("$azure_root/test/harness/build_step.sh" azurite "$azure_root/test/harness/azurite_install.sh") ||
    fail "azurite could not be installed from npm (test/harness/azurite_install.sh)"
  azure_container=$1
  mkdir -p "$work/azure"
  if [ -z "${azure_key:-}" ]; then
    azure_account="dbcare$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    azure_key=$(head -c 32 /dev/urandom | base64 -w0)
  fi
  rm -f "$work/azure.port"
  local tls=
  [ -z "${AZURE_TLS:-}" ] || tls=$(tls_cert)
  azure_tls=$tls
  AZURITE_ACCOUNTS="$azure_account:$azure_key" AZURITE_TLS_DIR="$tls" NODE_PATH="$modules" \
    node "$azure_lib/azurite.js" "$work/azure" "$1" "$work/azure.port" >>"$work/azurite.log" 2>&1 &
  azure_pid=$!
  for i in $(seq 1 300); do
    [ -s "$work/azure.port" ] && break
    kill -0 "$azure_pid" 2>/dev/null || { cat "$work/azurite.log"; fail "azurite did not start"; }
    sleep 0.1
  done
  [ -s "$work/azure.port" ] || fail "azurite did not listen within 30 s"
  azure_endpoint="http://127.0.0.1:$(cat "$work/azure.port")/$azure_account"
  [ -z "$tls" ] || { azure_endpoint="https://localhost:$(cat "$work/azure.port")/$azure_account"; export SSL_CERT_FILE="$tls/cert.pem"; }
  unset AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_SERVICE_ENDPOINT
  export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=${azure_endpoint%%:*};AccountName=$azure_account;AccountKey=$azure_key;BlobEndpoint=$azure_endpoint;"
}
# a service SAS of the container (Azure's string to sign for version
# 2020-12-06 and later), signed with the account key by openssl
azure_sas() {
  local perms=$1 start expiry v=2021-08-06 sig
  start=$(date -u -d '-5 min' +%Y-%m-%dT%H:%M:%SZ)
  expiry=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
  sig=$(printf '%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s' \
    "$perms" "$start" "$expiry" "/blob/$azure_account/$azure_container" "" "" "https,http" "$v" "c" \
    "" "" "" "" "" "" "" |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(printf '%s' "$azure_key" | base64 -d | od -An -tx1 | tr -d ' \n')" -binary |
    base64 -w0)
  printf 'sv=%s&st=%s&se=%s&sr=c&sp=%s&spr=https%%2Chttp&sig=%s' "$v" "${start//:/%3A}" "${expiry//:/%3A}" \
    "$perms" "$(printf '%s' "$sig" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')"
}
# the committed blobs of the container, by a signed List Blobs of
# lib/azurite.js, not through dbcare
azure_blobs() {
  AZURITE_ACCOUNTS="$azure_account:$azure_key" AZURITE_TLS_DIR="${azure_tls:-}" node "$azure_lib/azurite.js" list \
    "$(cat "$work/azure.port")" "$azure_container" | sort
}
azure_blob() {
  AZURITE_ACCOUNTS="$azure_account:$azure_key" AZURITE_TLS_DIR="${azure_tls:-}" node "$azure_lib/azurite.js" get \
    "$(cat "$work/azure.port")" "$azure_container/$1"
}
