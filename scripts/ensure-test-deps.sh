#!/usr/bin/env bash
# Makes sure the browser tests and the WebGPU tests can run: Debian's Chromium (which also
# ships SwiftShader's Vulkan driver, used by Dawn in Node) and the Vulkan loader.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' || missing+=(libvulkan1)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "test deps: installing ${missing[*]} from apt" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else
  echo "test deps: ${missing[*]} missing and this user cannot install packages." >&2
  echo "  Run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/hp-lab-apt.log 2>&1; then
  $sudo apt-get update >/dev/null 2>&1 || true
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/hp-lab-apt.log 2>&1 || {
    echo "test deps: apt-get install ${missing[*]} failed (log: /tmp/hp-lab-apt.log)." >&2
    tail -5 /tmp/hp-lab-apt.log >&2
    exit 1
  }
fi
echo "test deps: ready" >&2
