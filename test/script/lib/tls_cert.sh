# tls_cert.sh — a certificate for an emulator served over HTTPS on
# loopback (sourced by lib/s3.sh and lib/azure.sh, after work is set):
#   tls_cert   makes $work/tls/key.pem and cert.pem once (a P-256 key, the
#              certificate self-signed for localhost, a day long: pgBackRest
#              checks the name against the DNS names only) and prints the
#              folder
tls_cert() {
  local dir=$work/tls
  if [ ! -s "$dir/cert.pem" ]; then
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" -subj /CN=localhost \
      -addext subjectAltName=DNS:localhost >"$dir/openssl.log" 2>&1 ||
      { cat "$dir/openssl.log" >&2; fail "openssl could not make the test certificate"; }
    chmod 644 "$dir/cert.pem"
  fi
  echo "$dir"
}
