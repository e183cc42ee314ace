# s3.sh — an S3 emulator for a script test (sourced after lib/sqlite.sh or
# lib/pg.sh, which give work and fail): s3rver, installed from npm at test
# time (test/harness/s3rver_install.sh), on 127.0.0.1 at a free port, its
# objects under $work/s3, stopped on exit. The test fails when it cannot
# be installed or started: never skipped.
#   s3_start BUCKET   starts it with one bucket and a fresh key pair (on a
#                     restart, the same pair and objects), and exports
#                     AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
#                     AWS_SECRET_ACCESS_KEY (the secret also in s3_secret,
#                     for the tests' greps); the key id with a T appended
#                     takes the same secret with the session token s3_token;
#                     its request log: $work/s3rver.log
#                     (S3_TLS=1: over HTTPS at https://localhost:PORT, its
#                     certificate made now, AWS_CA_BUNDLE naming it)
#   s3_stop           stops it; s3_kill: kill -9, as a crash
#   s3_objects        the objects' names under the bucket, one a line
s3_lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
s3_root="$(cd "$s3_lib/../../.." && pwd)"
. "$s3_lib/tls_cert.sh"
s3_pid=
s3_stop() {
  [ -n "$s3_pid" ] || return 0
  kill -CONT "$s3_pid" 2>/dev/null || true
  kill "$s3_pid" 2>/dev/null || true
  wait "$s3_pid" 2>/dev/null || true
  s3_pid=
}
s3_pause() { kill -STOP "$s3_pid"; }
s3_resume() { kill -CONT "$s3_pid"; }
s3_kill() { kill -9 "$s3_pid"; wait "$s3_pid" 2>/dev/null || true; s3_pid=; }
trap 's3_stop; rm -rf "$work"' EXIT
s3_start() {
  local bin lib
  bin=$("$s3_root/test/harness/build_step.sh" s3rver "$s3_root/test/harness/s3rver_install.sh") ||
    fail "s3rver could not be installed from npm (test/harness/s3rver_install.sh)"
  lib="$(cd "$(dirname "$bin")/.." && pwd)"
  s3_bucket=$1
  mkdir -p "$work/s3"
  if [ -z "${s3_secret:-}" ]; then
    export AWS_ACCESS_KEY_ID="AKIDTEST$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    s3_secret="secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    s3_token="token-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  fi
  export AWS_SECRET_ACCESS_KEY="$s3_secret"
  export AWS_REGION=us-east-1
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL_S3
  rm -f "$work/s3.port"
  local tls=
  [ -z "${S3_TLS:-}" ] || tls=$(tls_cert)
  S3_TEST_KEY_ID="$AWS_ACCESS_KEY_ID" S3_TEST_SECRET="$s3_secret" S3_TEST_TOKEN="$s3_token" \
    S3_TEST_TLS_DIR="$tls" NODE_PATH="$lib" \
    node "$s3_lib/s3rver.js" "$work/s3" "$1" "$work/s3.port" \
    >>"$work/s3rver.log" 2>&1 &
  s3_pid=$!
  local i
  for i in $(seq 1 300); do
    [ -s "$work/s3.port" ] && break
    kill -0 "$s3_pid" 2>/dev/null || { cat "$work/s3rver.log"; fail "s3rver did not start"; }
    sleep 0.1
  done
  [ -s "$work/s3.port" ] || fail "s3rver did not listen within 30 s"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/s3.port")"
  [ -z "$tls" ] || export AWS_ENDPOINT_URL="https://localhost:$(cat "$work/s3.port")" AWS_CA_BUNDLE="$tls/cert.pem"
}
# the bucket's object names, from s3rver's folder (not through dbcare):
# s3rver keeps each object as NAME._S3rver_object beside its metadata
s3_objects() {
  (cd "$work/s3/$s3_bucket" 2>/dev/null && find . -name '*._S3rver_object' | sed 's|^\./||; s|\._S3rver_object$||' | sort)
}
