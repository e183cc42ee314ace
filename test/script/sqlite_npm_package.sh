#!/usr/bin/env bash
# dbcare-test-timeout: 900
# The npm package loads where its users are: on a Linux x86-64 that has
# glibc 2.28 or later and nothing else of dbcare's libraries. Packed with
# packaging/npm/pack.sh (`npm pack`), installed from its tarball (`npm
# install`, no registry) into the clean Debian minbase root of
# test/harness/npm_root.sh (made once, kept under build/: the first run takes
# a few minutes), then, inside that root (chroot, /proc of its own):
#   - Node (Debian's nodejs with node-sqlite3) loads it through the package's
#     load(db) and runs test/clients/node_sqlite3.js: a migration with a JSON
#     Schema pattern, a sealed (zstd, XChaCha20-Poly1305) backup verified;
#   - Python (Debian's python3) loads it by the package's getLoadablePath()
#     and runs the start-up journey test/clients/journey.py.
# And, read from the packed library: it needs no shared library but libc's
# own (NEEDED: libc, libm, libdl, libpthread, ld-linux) and no glibc symbol
# version newer than 2.28; the package declares os linux, cpu x64 and libc
# glibc, and npm refuses it on an arm64 machine (process.arch made arm64).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || fail "the clean root needs root (debootstrap, chroot)"
rootfs=$("$root/test/harness/build_step.sh" npm-root "$root/test/harness/npm_root.sh") ||
  fail "the clean root (test/harness/npm_root.sh) could not be made"

tarball=$("$root/packaging/npm/pack.sh" "$work/pack") || fail "pack.sh failed"
mkdir "$work/lib"
tar -xzf "$tarball" -C "$work/lib" package/lib/dbcare.so package/package.json ||
  fail "the package holds no lib/dbcare.so"
lib="$work/lib/package/lib/dbcare.so"

# What the library needs from the system.
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
extra=$(echo "$needed" | grep -vxE 'libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|ld-linux-x86-64\.so\.2' || true)
[ -z "$extra" ] || fail "the package's dbcare.so needs libraries beyond libc's: $(echo $extra)"
newest=$(objdump -T "$lib" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
[ -n "$newest" ] || fail "objdump -T read no glibc symbol version from the package's dbcare.so"
[ "$(printf '%s\n2.28\n' "$newest" | sort -V | tail -n 1)" = 2.28 ] ||
  fail "the package's dbcare.so needs glibc $newest: $(objdump -T "$lib" | grep "GLIBC_$newest)" | awk '{print $NF}' | tr '\n' ' ')"

# What the package declares, and npm's answer on another machine.
platform=$(node -e "const p = require(process.argv[1]);
  process.stdout.write(JSON.stringify([p.os, p.cpu, p.libc]))" "$work/lib/package/package.json")
[ "$platform" = '[["linux"],["x64"],["glibc"]]' ] || fail "package.json declares os, cpu, libc $platform"
mkdir -p "$work/arm64"
echo '{"name": "dbcare-arm64-test", "private": true}' > "$work/arm64/package.json"
echo "Object.defineProperty(process, 'arch', { value: 'arm64' });" > "$work/arm64.js"
if (cd "$work/arm64" && NODE_OPTIONS="--require $work/arm64.js" \
      npm install --no-audit --no-fund --offline "$tarball" > install.log 2>&1); then
  fail "npm installed the x86-64 package on an arm64 machine"
fi
grep -q EBADPLATFORM "$work/arm64/install.log" ||
  { cat "$work/arm64/install.log"; fail "npm refused the package on arm64, but not for its platform"; }

# The clean root: none of the libraries the module carries is there to help.
[ -z "$(find "$rootfs/usr/lib" -name 'libjansson.so*' -print -quit)" ] ||
  fail "the clean root has libjansson: it no longer proves the package needs none"
# (an app a killed run left behind in the kept root goes after an hour)
find "$rootfs/tmp" -maxdepth 1 -name 'npm-app.*' -mmin +60 -exec rm -rf {} +
app=$(mktemp -d "$rootfs/tmp/npm-app.XXXXXX")
trap 'rm -rf "$work" "$app"' EXIT
inside=/tmp/$(basename "$app")
echo '{"name": "dbcare-package-test", "private": true}' > "$app/package.json"
(cd "$app" && npm install --no-audit --no-fund --offline "$tarball" > install.log 2>&1) ||
  { cat "$app/install.log"; fail "the package does not install from its tarball"; }
cp "$root/test/clients/node_sqlite3.js" "$root/test/clients/journey.py" "$app/"
mkdir "$app/node" "$app/python"
(umask 077 && head -c 32 /dev/urandom > "$app/backup.key")
# in_root CMD: CMD by sh in the app's folder inside the root, with a clean
# environment; /proc is mounted in a mount namespace of its own, gone when
# the command ends, whatever ends it.
in_root() {
  unshare --mount --pid --fork --mount-proc="$rootfs/proc" \
    chroot "$rootfs" /usr/bin/env -i PATH=/usr/bin:/bin HOME="$inside" LANG=C.UTF-8 \
    DBCARE_BACKUP_KEY_FILE="$inside/backup.key" sh -c "cd $inside && $1"
}
in_root "node node_sqlite3.js $inside/node" || fail "Node (node-sqlite3) in the clean root failed"
in_root "python3 journey.py \"\$(node -p 'require(\"dbcare\").getLoadablePath()')\" $inside/python" ||
  fail "Python in the clean root failed"
echo "ok"
