# store.sh — one object store's emulator for a test, the store named by
# STORE (s3 or azure), so that one journey or test body runs against both
# (sourced after lib/sqlite.sh or lib/pg.sh, which give work and fail):
#   store_start NAME  starts the emulator with the bucket or container NAME
#                     and exports its credentials as users keep them
#                     (lib/s3.sh, lib/azure.sh)
#   store_stop        stops it; store_kill: kill -9, as a crash (a
#                     store_start after it: the same objects and key, the
#                     endpoint's port a new one); store_pause /
#                     store_resume: SIGSTOP / SIGCONT
#   store_scheme      the URLs' scheme: s3 or azure
#   store_secret      the secret no output, catalog or log may show
#   store_log         the emulator's request log, a line "request METHOD
#                     URL" a request
#   store_words       the store's name in a sentence
#   store_key_id      the credential's public half (S3's key id; Azure's
#                     key, which has none), for the greps beside the secret
#   store_objects     the names under the bucket or container, one a line,
#                     read beside dbcare (the emulator's files or API)
#   store_get NAME    the object's bytes on stdout, read beside dbcare
#   store_dead CMD... CMD run with the store's endpoint at a closed port
store_lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case ${STORE:?STORE names the store: s3 or azure} in
s3)
  . "$store_lib/s3.sh"
  store_start() { s3_start "$1"; store_secret=$s3_secret store_key_id=$AWS_ACCESS_KEY_ID; }
  store_stop() { s3_stop; }
  store_kill() { s3_kill; }
  store_pause() { s3_pause; }
  store_resume() { s3_resume; }
  store_objects() { s3_objects; }
  store_get() { cat "$work/s3/$s3_bucket/$1._S3rver_object"; }
  store_dead() { AWS_ENDPOINT_URL=http://127.0.0.1:1 "$@"; }
  store_scheme=s3 store_log=$work/s3rver.log store_words="the bucket"
  ;;
azure)
  . "$store_lib/azure.sh"
  store_start() { azure_start "$1"; store_secret=$azure_key store_key_id=$azure_key; }
  store_stop() { azure_stop; }
  store_kill() { azure_kill; }
  store_pause() { azure_pause; }
  store_resume() { azure_resume; }
  store_objects() { azure_blobs; }
  store_get() { azure_blob "$1"; }
  store_dead() {
    AZURE_STORAGE_CONNECTION_STRING="${AZURE_STORAGE_CONNECTION_STRING/BlobEndpoint=*;/BlobEndpoint=http://127.0.0.1:1/$azure_account;}" "$@"
  }
  store_scheme=azure store_log=$work/azurite.log store_words="the container"
  ;;
*) fail "STORE=$STORE: no such store (s3 or azure)" ;;
esac
