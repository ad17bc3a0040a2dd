#!/usr/bin/env bash
# Packs a headless Chromium and the built browser benchmark for a GPU host that has neither, in
# parts small enough for its 64 MiB a call: OUTDIR/part-aa (58 MB) and part-ab. From the project
# root, on a Debian machine with chromium installed (for chromium-common's ICU data and snapshots):
#   bash scripts/bench/browser-encoder/pack-gpu-host.sh OUTDIR
# gpu-host.sh (beside this) unpacks and runs them there (BENCHMARKS.md, issue 19 tenth pass).
set -euo pipefail
out=$(mkdir -p "$1" && cd "$1" && pwd)
work=$(mktemp -d)
(cd "$work" && apt-get download chromium-headless-shell > /dev/null && dpkg-deb -x chromium-headless-shell_*.deb x)
hs=$work/pkg/hs
mkdir -p "$hs/lib"
cp "$work"/x/usr/lib/chromium/chromium-headless-shell "$work"/x/usr/lib/chromium/*.pak "$hs/"
for f in icudtl.dat v8_context_snapshot.bin snapshot_blob.bin libvulkan.so.1 libEGL.so libGLESv2.so; do
  cp /usr/lib/chromium/$f "$hs/"
done
# Its shared libraries, but not glibc's own (the host's loader must match them).
ldd "$hs/chromium-headless-shell" | awk '$3 ~ /^\// {print $1, $3}' |
  grep -v -E '^(libc|libm|libdl|libpthread|librt|libresolv|ld-linux-x86-64)\.so' |
  while read -r name path; do cp -L "$path" "$hs/lib/$name"; done
node scripts/bench/build-browser-encoder.mjs "$work/pkg/bench"
tar -C "$work/pkg" -cf - hs bench | xz -9e -T2 > "$work/browser.tar.xz"
(cd "$out" && split -b 58000000 "$work/browser.tar.xz" part-)
ls -la "$out"
rm -rf "$work"
